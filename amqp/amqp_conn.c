/* The AMQP 1.0 adapter's connection: Qpid Proton's engine (pn_connection, pn_transport,
 * pn_collector) driven by hermod's event loop.  hermod owns the socket and TLS; bytes read are
 * pushed into Proton, its events are turned into core calls, and its output is queued on the
 * connection.  Proton's proactor and SSL are not used. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <apr_atomic.h>
#include <apr_strings.h>
#include <proton/condition.h>
#include <proton/event.h>

#include "amqp_adapter.h"
#include "amqp_int.h"
#include "amqp_limits.h"
#include "hm_limits.h"
#include "hm_log.h"

/* ------------------------------------------------------------------ output */

/* Queues what Proton has to write; notices a transport that is done. */
static void flush_output(amqp_conn_t *ac)
{
    for (;;) {
        ssize_t n = pn_transport_pending(ac->pt);
        if (n <= 0) {
            if (n < 0 && pn_transport_closed(ac->pt))
                hm_conn_close(ac->conn, NULL);
            return;
        }
        uint8_t *copy = malloc((size_t)n);
        if (!copy) {
            hm_conn_close(ac->conn, "out of memory");
            return;
        }
        memcpy(copy, pn_transport_head(ac->pt), (size_t)n);
        pn_transport_pop(ac->pt, (size_t)n);
        hm_conn_send(ac->conn, copy, (size_t)n);
    }
}

/* ------------------------------------------------------------------ events */

static void put_symbols(pn_data_t *d, const char *const *syms, int n)
{
    pn_data_clear(d);
    pn_data_put_array(d, false, PN_SYMBOL);
    pn_data_enter(d);
    for (int i = 0; i < n; i++)
        pn_data_put_symbol(d, pn_bytes(strlen(syms[i]), syms[i]));
    pn_data_exit(d);
}

/* The peer's open: its container-id is the JMS client ID; the core authenticates it. */
static void on_remote_open(amqp_conn_t *ac)
{
    const char *container = pn_connection_remote_container(ac->pc);
    char err[512] = "";
    if (container && strlen(container) > AMQP_MAX_NAME) {
        amqp_conn_fail(ac, "amqp:invalid-field", "container-id longer than %d bytes", AMQP_MAX_NAME);
        return;
    }
    hm_client_info_t info = {
        .connection_id = ac->connection_id,
        .client_id = container && *container ? container : NULL,
        .user = ac->user,
        .password = ac->password,
        .client_ip = apr_pstrcat(ac->pool, "tcp://", hm_conn_peer(ac->conn), NULL),
        .cert_subject = hm_conn_peer_subject(ac->conn),
        .tls = hm_conn_is_tls(ac->conn),
    };
    apr_status_t st = hm_client_open_info(ac->b, &info, &ac->client, err, sizeof err);
    if (ac->password) {
        memset(ac->password, 0, strlen(ac->password));
        ac->password = NULL;
    }
    if (st == HM_EEXISTS) {
        pn_data_t *inf = pn_condition_info(pn_connection_condition(ac->pc));
        pn_data_put_map(inf);
        pn_data_enter(inf);
        pn_data_put_symbol(inf, pn_bytes(strlen("invalid-field"), "invalid-field"));
        pn_data_put_symbol(inf, pn_bytes(strlen("container-id"), "container-id"));
        pn_data_exit(inf);
        amqp_conn_fail(ac, "amqp:invalid-field", "%s", *err ? err : "client ID already in use");
        return;
    }
    if (st) {
        amqp_conn_fail(ac, st == HM_ENOTALLOWED ? "amqp:unauthorized-access" : "amqp:internal-error",
                       "%s", *err ? err : hm_strerror(st));
        return;
    }
    if ((st = hm_flow_create(ac->client, &amqp_flow_ops, ac, &ac->flow))) {
        amqp_conn_fail(ac, "amqp:internal-error", "%s", hm_strerror(st));
        return;
    }
    static const char *const caps[] = { "ANONYMOUS-RELAY", "DELAYED_DELIVERY" };
    put_symbols(pn_connection_offered_capabilities(ac->pc), caps, 2);
    /* the address prefixes Qpid JMS strips from queue and topic names, as ActiveMQ sends them */
    pn_data_t *props = pn_connection_properties(ac->pc);
    pn_data_clear(props);
    pn_data_put_map(props);
    pn_data_enter(props);
    static const char *const kv[] = { "queue-prefix", "queue://", "topic-prefix", "topic://",
                                      "product", "hermod" };
    for (int i = 0; i < 6; i += 2) {
        pn_data_put_symbol(props, pn_bytes(strlen(kv[i]), kv[i]));
        pn_data_put_string(props, pn_bytes(strlen(kv[i + 1]), kv[i + 1]));
    }
    pn_data_exit(props);
    ac->opened = 1;
    pn_connection_open(ac->pc);
    hm_conn_handshake_done(ac->conn);
    hm_debug("amqp %s: open, container-id %s", hm_conn_peer(ac->conn), container ? container : "(none)");
}

static void on_session_open(amqp_conn_t *ac, pn_session_t *s)
{
    if (!ac->opened) {
        amqp_conn_fail(ac, "amqp:connection:forced", "a session before the connection was opened");
        return;
    }
    if (++ac->nsessions > AMQP_MAX_SESSIONS) {
        amqp_conn_fail(ac, "amqp:resource-limit-exceeded", "more than %d sessions", AMQP_MAX_SESSIONS);
        return;
    }
    /* Proton's incoming window is this capacity in frames; every transfer is read at once
     * (amqp_link.c), so it bounds frames in flight, not memory held */
    pn_session_set_incoming_capacity(s, (size_t)AMQP_SESSION_WINDOW * pn_transport_get_max_frame(ac->pt));
    pn_session_open(s);
}

/* A session that ends takes its links with it (durable subscriptions stay). */
static void on_session_close(amqp_conn_t *ac, pn_session_t *s)
{
    amqp_link_session_end(ac, s);
    ac->nsessions--;
    pn_session_close(s);
    pn_session_free(s);
}

static void handle(amqp_conn_t *ac, pn_event_t *e)
{
    if (ac->failing && pn_event_type(e) != PN_TRANSPORT_ERROR)
        return;                    /* closing: the peer's further frames are not served */
    switch (pn_event_type(e)) {
    case PN_CONNECTION_REMOTE_OPEN:
        on_remote_open(ac);
        break;
    case PN_CONNECTION_REMOTE_CLOSE: {
        pn_condition_t *c = pn_connection_remote_condition(ac->pc);
        if (pn_condition_is_set(c))
            hm_info("amqp %s: the peer closed the connection: %s: %s", hm_conn_peer(ac->conn),
                    pn_condition_get_name(c), pn_condition_get_description(c) ? pn_condition_get_description(c) : "");
        pn_connection_close(ac->pc);
        break;
    }
    case PN_SESSION_REMOTE_OPEN:
        on_session_open(ac, pn_event_session(e));
        break;
    case PN_SESSION_REMOTE_CLOSE:
        on_session_close(ac, pn_event_session(e));
        break;
    case PN_LINK_REMOTE_OPEN:
        if (!ac->opened) {
            amqp_conn_fail(ac, "amqp:connection:forced", "a link before the connection was opened");
            break;
        }
        amqp_link_remote_open(ac, pn_event_link(e));
        break;
    case PN_LINK_REMOTE_CLOSE:
        amqp_link_remote_close(ac, pn_event_link(e), 1);
        break;
    case PN_LINK_REMOTE_DETACH:
        amqp_link_remote_close(ac, pn_event_link(e), 0);
        break;
    case PN_LINK_FLOW:
        amqp_link_flow(ac, pn_event_link(e));
        break;
    case PN_DELIVERY:
        amqp_link_delivery(ac, pn_event_delivery(e));
        break;
    case PN_TRANSPORT_ERROR: {
        pn_condition_t *c = pn_transport_condition(ac->pt);
        hm_warn("amqp %s: %s: %s; closing the connection", hm_conn_peer(ac->conn),
                pn_condition_get_name(c) ? pn_condition_get_name(c) : "transport error",
                pn_condition_get_description(c) ? pn_condition_get_description(c) : "");
        break;
    }
    default:
        break;
    }
}

static void process_events(amqp_conn_t *ac)
{
    pn_event_t *e;
    int n = 0;
    while ((e = pn_collector_peek(ac->coll)) && n++ < AMQP_EVENTS_PER_INPUT) {
        handle(ac, e);
        pn_collector_pop(ac->coll);
    }
}

/* Everything the loop does for us ends here: events, queued items, output. */
static void settle_loop(amqp_conn_t *ac)
{
    process_events(ac);
    amqp_conn_drain(ac);
    process_events(ac);
    flush_output(ac);
}

static void enter(amqp_conn_t *ac)
{
    apr_thread_mutex_lock(ac->qlock);
    ac->in_loop = 1;
    ac->loop = apr_os_thread_current();
    apr_thread_mutex_unlock(ac->qlock);
}

static void leave(amqp_conn_t *ac)
{
    settle_loop(ac);
    apr_thread_mutex_lock(ac->qlock);
    ac->in_loop = 0;
    int more = ac->q_head != NULL && !ac->kicked;
    if (more)
        ac->kicked = 1;
    apr_thread_mutex_unlock(ac->qlock);
    if (more)                      /* posted between the last drain and here */
        hm_conn_kick(ac->conn);
}

/* ------------------------------------------------------------------ protocol table */

/* "AMQP" then protocol id 0 (AMQP) or 3 (SASL), version 1.0.0. */
static int amqp_sniff(const uint8_t *p, size_t len)
{
    static const uint8_t magic[] = { 'A', 'M', 'Q', 'P' };
    size_t n = len < 4 ? len : 4;
    if (memcmp(p, magic, n) != 0)
        return 0;
    return len < 4 ? -1 : 1;
}

static apr_status_t amqp_open(hm_conn_t *conn, void **state)
{
    amqp_conn_t *ac = calloc(1, sizeof *ac);
    apr_status_t st;
    if (!ac)
        return APR_ENOMEM;
    if ((st = apr_pool_create(&ac->own, NULL)) ||
        (st = apr_thread_mutex_create(&ac->qlock, APR_THREAD_MUTEX_DEFAULT, ac->own))) {
        free(ac);
        return st;
    }
    ac->refs = 1;
    *state = ac;
    ac->q_tail = &ac->q_head;
    ac->apply_deliver = amqp_link_deliver;
    ac->apply_answer = amqp_answer_apply;
    ac->loop = apr_os_thread_current();
    ac->conn = conn;
    ac->b = hm_conn_broker(conn);
    ac->pool = hm_conn_pool(conn);
    const hm_listen_opts_t *lo = hm_conn_opts(conn);
    ac->max_message = lo->max_frame_size > 0 ? lo->max_frame_size : AMQP_DEFAULT_MAX_MESSAGE;
    /* maxFrameSize bounds whole messages; AMQP frames are wireFormat.maxAmqpFrameSize */
    uint32_t frame = AMQP_DEFAULT_FRAME_SIZE;
    if (lo->amqp_max_frame_size > 0)
        frame = lo->amqp_max_frame_size < AMQP_MIN_FRAME_SIZE ? AMQP_MIN_FRAME_SIZE
              : lo->amqp_max_frame_size > AMQP_MAX_FRAME_SIZE ? AMQP_MAX_FRAME_SIZE
              : (uint32_t)lo->amqp_max_frame_size;
    static volatile apr_uint32_t serial;
    ac->connection_id = apr_psprintf(ac->pool, "ID:%s-amqp-%u", hm_broker_name(ac->b),
                                     apr_atomic_inc32(&serial) + 1);
    hm_wbuf_init(&ac->out, (size_t)ac->max_message + 65536);
    hm_wbuf_init(&ac->in_buf, (size_t)ac->max_message);
    ac->pc = pn_connection();
    ac->pt = pn_transport();
    ac->coll = pn_collector();
    ac->scratch = pn_data(64);
    if (!ac->pc || !ac->pt || !ac->coll || !ac->scratch)
        return APR_ENOMEM;
    pn_transport_set_server(ac->pt);
    pn_transport_set_max_frame(ac->pt, frame);
    pn_transport_set_channel_max(ac->pt, AMQP_MAX_SESSIONS - 1);
    pn_transport_set_idle_timeout(ac->pt, (pn_millis_t)(lo->amqp_idle_timeout_ms > AMQP_MAX_IDLE_TIMEOUT_MS
                                                        ? AMQP_MAX_IDLE_TIMEOUT_MS : lo->amqp_idle_timeout_ms));
    pn_transport_require_auth(ac->pt, false);
    amqp_sasl_install(ac);
    pn_connection_collect(ac->pc, ac->coll);
    pn_connection_set_container(ac->pc, hm_broker_name(ac->b));
    if (pn_transport_bind(ac->pt, ac->pc) != 0)
        return APR_ENOMEM;
    return APR_SUCCESS;
}

static apr_status_t amqp_input(void *state, const uint8_t *p, size_t len, size_t *used)
{
    amqp_conn_t *ac = state;
    size_t off = 0;
    enter(ac);
    while (off < len) {
        ssize_t cap = pn_transport_capacity(ac->pt);
        if (cap < 0) {             /* the transport takes no more input: it is closing */
            off = len;
            break;
        }
        if (cap == 0) {
            settle_loop(ac);
            if (pn_transport_capacity(ac->pt) == 0)
                break;
            continue;
        }
        size_t n = len - off < (size_t)cap ? len - off : (size_t)cap;
        memcpy(pn_transport_tail(ac->pt), p + off, n);
        pn_transport_process(ac->pt, n);
        off += n;
        settle_loop(ac);
    }
    leave(ac);
    *used = off;
    return APR_SUCCESS;
}

static void amqp_tick(void *state, apr_time_t now)
{
    amqp_conn_t *ac = state;
    enter(ac);
    if (ac->flow && hm_flow_holding(ac->flow))
        hm_flow_retry(ac->flow, now);
    amqp_sasl_due(ac, now);
    pn_transport_tick(ac->pt, (int64_t)apr_time_as_msec(now));
    leave(ac);
}

static void amqp_resume(void *state)
{
    amqp_conn_t *ac = state;
    enter(ac);
    amqp_link_resume_all(ac);
    if (ac->flow && hm_flow_holding(ac->flow))
        hm_flow_retry(ac->flow, apr_time_now());
    leave(ac);
}

static void amqp_close(void *state)
{
    amqp_conn_t *ac = state;
    amqp_tx_close_all(ac);         /* uncommitted work is dropped; acknowledged messages come back */
    if (ac->pc)
        amqp_link_close_all(ac);
    if (ac->flow)
        hm_flow_destroy(ac->flow);
    if (ac->client)
        hm_client_close(ac->client);
    apr_thread_mutex_lock(ac->qlock);
    ac->closed = 1;
    amqp_item_t *it = ac->q_head;
    ac->q_head = NULL;
    apr_thread_mutex_unlock(ac->qlock);
    while (it) {                   /* deliveries were returned by closing their consumers */
        amqp_item_t *next = it->next;
        if (it->kind == ITEM_SENT) {
            free(it->in);
            free(it->text);
            amqp_conn_unref(ac);
        }
        free(it);
        it = next;
    }
    if (ac->pt) {
        pn_transport_unbind(ac->pt);
        pn_transport_free(ac->pt);
    }
    if (ac->pc)
        pn_connection_free(ac->pc);
    if (ac->coll)
        pn_collector_free(ac->coll);
    if (ac->scratch)
        pn_data_free(ac->scratch);
    hm_wbuf_free(&ac->out);
    hm_wbuf_free(&ac->in_buf);
    amqp_conn_unref(ac);
}

static const hm_proto_t amqp_proto = {
    "amqp", amqp_sniff, amqp_open, amqp_input, amqp_tick, amqp_close, amqp_resume
};

const hm_proto_t *amqp_protocol(void)
{
    return &amqp_proto;
}
