/* AMQP 1.0 load client on Qpid Proton's proactor (the client side of the AMQP benchmark rows):
 * producers and consumers, each on its own connection, in one thread.  Producers send as fast
 * as credit and their window of unsettled messages allow; consumers accept each message.  After
 * the warm-up it counts, for the measured seconds, messages received and their latency (the
 * send time travels in the first 8 bytes of the body).
 *   amqp_load --url HOST:PORT --address ADDR [--producers N] [--consumers M] [--durable]
 *             [--size BYTES] [--duration S] [--warmup S] [--window N] [--credit N]
 *             [--user U --password P]
 * Prints one line: "rate=<msgs/s received, all consumers together> p50_ms=.. p99_ms=.. sent=..
 * received=.." (a topic's every subscriber's copy counts, as in compare.sh's rows). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <proton/connection.h>
#include <proton/delivery.h>
#include <proton/event.h>
#include <proton/link.h>
#include <proton/message.h>
#include <proton/proactor.h>
#include <proton/sasl.h>
#include <proton/session.h>
#include <proton/transport.h>

#define MAX_LAT 4000000

typedef struct peer_s {
    int producer;
    pn_connection_t *c;
    pn_link_t *link;
    long inflight;
} peer_t;

static const char *url = "127.0.0.1:5672", *address = "bench", *user, *password;
static int producers = 1, consumers = 1, durable, size = 1024, window = 1000, credit = 1000;
static double duration = 10, warmup = 3;
static double t0, measure_from, measure_to;
static long sent, received, measured;
static double *lat;
static long nlat;
static char *payload;
static pn_message_t *msg;
static pn_rwbytes_t encbuf;
static int done;

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void send_some(peer_t *p)
{
    while (!done && pn_link_credit(p->link) > 0 && p->inflight < window) {
        double t = now_s();
        memcpy(payload, &t, sizeof t);
        pn_message_clear(msg);
        pn_message_set_durable(msg, durable);
        pn_data_put_binary(pn_message_body(msg), pn_bytes((size_t)size, payload));
        char tag[16];
        int n = snprintf(tag, sizeof tag, "%ld", sent);
        pn_delivery(p->link, pn_dtag(tag, (size_t)n));
        if (pn_message_send(msg, p->link, &encbuf) < 0) {
            fprintf(stderr, "amqp_load: encode failed\n");
            exit(1);
        }
        p->inflight++;
        sent++;
    }
}

static void on_message(pn_delivery_t *d)
{
    pn_link_t *l = pn_delivery_link(d);
    size_t n = pn_delivery_pending(d);
    static char *buf;
    static size_t cap;
    if (n > cap) {
        cap = n * 2;
        buf = realloc(buf, cap);
    }
    pn_link_recv(l, buf, n);
    pn_message_t *m = pn_message();
    if (pn_message_decode(m, buf, n) == 0) {
        pn_data_t *body = pn_message_body(m);
        pn_data_rewind(body);
        if (pn_data_next(body) && pn_data_type(body) == PN_BINARY) {
            pn_bytes_t b = pn_data_get_binary(body);
            double t = now_s(), s;
            if (b.size >= sizeof s) {
                memcpy(&s, b.start, sizeof s);
                if (t >= measure_from && t < measure_to) {
                    measured++;
                    if (nlat < MAX_LAT)
                        lat[nlat++] = (t - s) * 1000.0;
                }
            }
        }
    }
    pn_message_free(m);
    received++;
    pn_link_advance(l);
    pn_delivery_update(d, PN_ACCEPTED);
    pn_delivery_settle(d);
    if (pn_link_credit(l) < credit / 2)
        pn_link_flow(l, credit - pn_link_credit(l));
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static void handle(pn_proactor_t *pr, pn_event_t *e)
{
    switch (pn_event_type(e)) {
    case PN_CONNECTION_INIT: {
        pn_connection_t *c = pn_event_connection(e);
        peer_t *p = pn_connection_get_context(c);
        char cid[64];
        snprintf(cid, sizeof cid, "amqp_load-%d-%p", (int)getpid(), (void *)p);
        pn_connection_set_container(c, cid);
        if (user) {
            pn_connection_set_user(c, user);
            pn_connection_set_password(c, password ? password : "");
        }
        pn_connection_open(c);
        pn_session_t *s = pn_session(c);
        pn_session_open(s);
        char name[64];
        snprintf(name, sizeof name, "%s-%p", p->producer ? "send" : "recv", (void *)p);
        if (p->producer) {
            p->link = pn_sender(s, name);
            pn_terminus_set_address(pn_link_target(p->link), address);
        } else {
            p->link = pn_receiver(s, name);
            pn_terminus_set_address(pn_link_source(p->link), address);
        }
        pn_link_set_context(p->link, p);
        pn_link_open(p->link);
        if (!p->producer)
            pn_link_flow(p->link, credit);
        break;
    }
    case PN_CONNECTION_BOUND:      /* PLAIN over plain TCP, for brokers that want a user */
        if (user)
            pn_sasl_set_allow_insecure_mechs(pn_sasl(pn_event_transport(e)), true);
        break;
    case PN_TRANSPORT_ERROR: {
        if (done)
            break;                 /* our own disconnect at the end */
        pn_condition_t *cond = pn_transport_condition(pn_event_transport(e));
        fprintf(stderr, "amqp_load: %s: %s\n", pn_condition_get_name(cond), pn_condition_get_description(cond));
        exit(1);
    }
    case PN_LINK_FLOW: {
        peer_t *p = pn_link_get_context(pn_event_link(e));
        if (p && p->producer)
            send_some(p);
        break;
    }
    case PN_DELIVERY: {
        pn_delivery_t *d = pn_event_delivery(e);
        pn_link_t *l = pn_delivery_link(d);
        peer_t *p = pn_link_get_context(l);
        if (!p)
            break;
        if (p->producer) {
            if (pn_delivery_updated(d)) {
                if (pn_delivery_remote_state(d) != PN_ACCEPTED) {
                    fprintf(stderr, "amqp_load: a send was not accepted (state 0x%" PRIx64 ")\n",
                            pn_delivery_remote_state(d));
                    exit(1);
                }
                pn_delivery_settle(d);
                p->inflight--;
                send_some(p);
            }
        } else if (pn_delivery_readable(d) && !pn_delivery_partial(d)) {
            on_message(d);
        }
        break;
    }
    case PN_PROACTOR_TIMEOUT: {
        double t = now_s();
        if (t >= measure_to) {
            done = 1;
            pn_proactor_disconnect(pr, NULL);
        } else {
            pn_proactor_set_timeout(pr, 200);
        }
        break;
    }
    case PN_PROACTOR_INACTIVE:
        done = 2;
        break;
    default:
        break;
    }
}

int main(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--url") && v) url = argv[++i];
        else if (!strcmp(a, "--address") && v) address = argv[++i];
        else if (!strcmp(a, "--producers") && v) producers = atoi(argv[++i]);
        else if (!strcmp(a, "--consumers") && v) consumers = atoi(argv[++i]);
        else if (!strcmp(a, "--size") && v) size = atoi(argv[++i]);
        else if (!strcmp(a, "--duration") && v) duration = atof(argv[++i]);
        else if (!strcmp(a, "--warmup") && v) warmup = atof(argv[++i]);
        else if (!strcmp(a, "--window") && v) window = atoi(argv[++i]);
        else if (!strcmp(a, "--credit") && v) credit = atoi(argv[++i]);
        else if (!strcmp(a, "--user") && v) user = argv[++i];
        else if (!strcmp(a, "--password") && v) password = argv[++i];
        else if (!strcmp(a, "--durable")) durable = 1;
        else {
            fprintf(stderr, "amqp_load: unknown option %s\n", a);
            return 2;
        }
    }
    if (size < 8)
        size = 8;
    payload = calloc(1, (size_t)size);
    lat = malloc(sizeof *lat * MAX_LAT);
    msg = pn_message();
    pn_proactor_t *pr = pn_proactor();
    t0 = now_s();
    measure_from = t0 + warmup;
    measure_to = measure_from + duration;
    /* consumers first, so a topic's subscribers exist before anything is sent */
    for (int i = 0; i < consumers + producers; i++) {
        peer_t *p = calloc(1, sizeof *p);
        p->producer = i >= consumers;
        p->c = pn_connection();
        pn_connection_set_context(p->c, p);
        pn_proactor_connect2(pr, p->c, NULL, url);
    }
    pn_proactor_set_timeout(pr, 200);
    while (done != 2) {
        pn_event_batch_t *b = pn_proactor_wait(pr);
        pn_event_t *e;
        while ((e = pn_event_batch_next(b)))
            handle(pr, e);
        pn_proactor_done(pr, b);
    }
    qsort(lat, (size_t)nlat, sizeof *lat, cmp);
    double p50 = nlat ? lat[nlat / 2] : 0, p99 = nlat ? lat[(long)(nlat * 0.99)] : 0;
    printf("rate=%.0f p50_ms=%.2f p99_ms=%.2f sent=%ld received=%ld\n",
           measured / duration, p50, p99, sent, received);
    pn_proactor_free(pr);
    return 0;
}
