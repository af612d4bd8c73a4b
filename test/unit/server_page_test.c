/* Paging (server/hm_page.c) on the Berkeley DB store: a queue keeps a bounded window of its
 * persistent messages in memory and reads the rest from the store as a consumer drains it, in
 * priority order; a broker restarts with every queue paged out (nothing decoded); a selector
 * finds its match at the far end without loading the queue; a browser sees all of it. */
#include <CUnit/Basic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <apr_general.h>

#include "hm_admin.h"
#include "hm_int.h"
#include "hm_log.h"
#include "st.h"

#define TEST_CODEC 201
#define N 3000
#define SIZE 1000

static apr_pool_t *pool;

/* ---- messages: "m<n>" with a priority; the stored form is "<priority><id>" */

static hm_msg_t *derive(const hm_msg_t *m, const hm_derive_t *d);
static const hm_msg_origin_t origin = { "test", TEST_CODEC, NULL, NULL, NULL, NULL, derive };

/* "m<n>" to dest (default paged.q), with a priority and an expiration (epoch ms, 0: none) */
static hm_msg_t *mk_to(int n, int prio, int64_t expiration, const char *dest)
{
    char *extra;
    hm_msg_t *m = hm_msg_new(64, (void **)&extra);
    snprintf(extra, 16, "m%d", n);
    snprintf(extra + 16, 48, "%s", dest ? dest : "paged.q");
    m->message_id = extra;
    m->dest.kind = HM_QUEUE;
    m->dest.name = extra + 16;
    m->priority = prio;
    m->expiration = expiration;
    m->persistent = 1;
    m->size = SIZE;
    m->origin = &origin;
    return m;
}

static hm_msg_t *mk(int n, int prio) { return mk_to(n, prio, 0, NULL); }

/* A dead letter or a copy: the same message elsewhere (its expiration as the core says). */
static hm_msg_t *derive(const hm_msg_t *m, const hm_derive_t *d)
{
    return mk_to(atoi(m->message_id + 1), m->priority, d->set_expiration ? d->expiration : m->expiration,
                 d->dest ? d->dest->name : m->dest.name);
}

/* stored form: priority, expiration (8 bytes, host order), destination, NUL, id */
static apr_status_t enc(const hm_msg_t *m, hm_wbuf_t *out)
{
    hm_wbuf_u8(out, (uint8_t)m->priority);
    hm_wbuf_put(out, &m->expiration, sizeof m->expiration);
    hm_wbuf_put(out, m->dest.name, strlen(m->dest.name) + 1);
    hm_wbuf_put(out, m->message_id, strlen(m->message_id));
    return out->err;
}

static apr_status_t dec(const uint8_t *p, size_t len, hm_msg_t **out)
{
    int64_t exp;
    if (len < 12 || len > 80)
        return HM_EMALFORMED;
    memcpy(&exp, p + 1, sizeof exp);
    const char *dest = (const char *)p + 9;
    size_t dlen = strnlen(dest, len - 9);
    if (dlen == len - 9 || dlen > 40 || len - 10 - dlen > 15)
        return HM_EMALFORMED;
    char id[16];
    memcpy(id, dest + dlen + 1, len - 10 - dlen);
    id[len - 10 - dlen] = '\0';
    char d[48];
    memcpy(d, dest, dlen + 1);
    *out = mk_to(atoi(id + 1), p[0], exp, d);
    return APR_SUCCESS;
}

static const hm_msg_codec_t codec = { TEST_CODEC, "test", enc, dec };

/* ---- a consumer that records deliveries; the test acknowledges them outside the lock */

typedef struct {
    int n;                        /* delivered so far */
    int ids[N + 16];
    int prio[N + 16];
    hm_delivery_t *pending[N + 16];
    int npending;
    int empty;
} rec_t;

static void rec_deliver(void *ctx, hm_consumer_t *c, hm_delivery_t *d)
{
    rec_t *r = ctx;
    (void)c;
    if (r->n < N + 16) {
        r->ids[r->n] = atoi(d->msg->message_id + 1);
        r->prio[r->n] = d->msg->priority;
        r->pending[r->npending++] = d;
    }
    r->n++;
}

static void rec_empty(void *ctx, hm_consumer_t *c) { (void)c; ((rec_t *)ctx)->empty = 1; }
static const hm_consumer_ops_t ops = { rec_deliver, rec_empty };

/* Acknowledges what came until nothing more comes. */
static void drain(hm_consumer_t *k, rec_t *r)
{
    while (r->npending > 0) {
        hm_delivery_t *d = r->pending[--r->npending];
        hm_consumer_ack(k, d, HM_ACK_CONSUMED, NULL, NULL);
    }
}

static void open_all(const char *dir, int64_t memory_limit, st_store_t **s, hm_broker_t **b)
{
    st_options_t o;
    st_options_default(&o);
    o.kind = ST_KIND_BDB;
    o.dir = dir;
    o.cache_bytes = 8u << 20;
    CU_ASSERT_FATAL(st_open(pool, &o, s) == APR_SUCCESS);
    hm_broker_opts_t bo = { .name = "paging", .store = *s, .memory_limit = memory_limit };
    CU_ASSERT_FATAL(hm_broker_create(pool, &bo, b) == APR_SUCCESS);
    hm_broker_register_codec(*b, &codec);
    CU_ASSERT_FATAL(hm_broker_recover(*b) == APR_SUCCESS);
}

static void close_all(st_store_t *s, hm_broker_t *b)
{
    hm_broker_stopping(b);
    hm_broker_destroy(b);
    st_close(s);
}

static void send_all(hm_client_t *c, int from, int n, int mixed)
{
    char err[256];
    for (int i = from; i < from + n; i++) {
        hm_msg_t *m = mk(i, mixed ? (i * 7) % 10 : 4);
        CU_ASSERT_EQUAL(hm_send(c, m, NULL, NULL, err, sizeof err), APR_SUCCESS);
        hm_msg_unref(m);
    }
}

/* 1 MB limit: the window is 128 KiB, about 131 of these messages. */
#define LIMIT (1 << 20)
#define WINDOW_MSGS ((LIMIT / 8) / SIZE + 1)

/* A fresh broker on dir with a 1 MB limit, a client, and N messages sent to paged.q. */
static hm_queue_t *start_deep(char *dir, st_store_t **s, hm_broker_t **b, hm_client_t **c)
{
    char err[256];
    CU_ASSERT_FATAL(mkdtemp(dir) != NULL);
    open_all(dir, LIMIT, s, b);
    CU_ASSERT_FATAL(hm_client_open(*b, "ID:p", NULL, NULL, c, err, sizeof err) == APR_SUCCESS);
    send_all(*c, 0, N, 0);
    return hm_queue_find(*b, HM_QUEUE, "paged.q");
}

static void finish_all(const char *dir, st_store_t *s, hm_broker_t *b, hm_client_t *c)
{
    hm_client_close(c);
    close_all(s, b);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    CU_ASSERT_EQUAL(system(cmd), 0);
}

/* Drains queue `name` with one consumer; the ids received, in order, into r. */
static void drain_queue(hm_client_t *c, const char *name, rec_t *r, int want)
{
    char err[256];
    memset(r, 0, sizeof *r);
    hm_consumer_opts_t co = { { HM_QUEUE, name }, NULL, 50, 0, 0, 0, 0, NULL, NULL, 0 };
    hm_consumer_t *k;
    CU_ASSERT_FATAL(hm_consumer_open(c, &co, &ops, r, &k, err, sizeof err) == APR_SUCCESS);
    for (int i = 0; r->n < want && i < 10 * N; i++)
        drain(k, r);
    drain(k, r);
    hm_consumer_close(k, 0);
}

static void test_window_bounded_and_drained_in_order(void)
{
    char dir[] = "/tmp/hermod-page-XXXXXX";
    st_store_t *s;
    hm_broker_t *b;
    hm_client_t *c;
    char err[256];
    hm_queue_t *q = start_deep(dir, &s, &b, &c);
    CU_ASSERT_FATAL(q != NULL);
    CU_ASSERT(q->avail_count <= WINDOW_MSGS);
    CU_ASSERT_EQUAL(q->avail_count + q->paged_count, N);
    CU_ASSERT(q->page_bytes <= (uint64_t)LIMIT / 8 + SIZE);

    /* a consumer with prefetch 50 drains all, in order, the window never above its bound */
    static rec_t r;
    memset(&r, 0, sizeof r);
    hm_consumer_opts_t co = { { HM_QUEUE, "paged.q" }, NULL, 50, 0, 0, 0, 0, NULL, NULL, 0 };
    hm_consumer_t *k;
    CU_ASSERT_FATAL(hm_consumer_open(c, &co, &ops, &r, &k, err, sizeof err) == APR_SUCCESS);
    size_t peak = 0;
    for (int rounds = 0; r.n < N && rounds < 10 * N; rounds++) {
        if (q->avail_count + q->inflight_count > peak)
            peak = q->avail_count + q->inflight_count;
        drain(k, &r);
    }
    CU_ASSERT_EQUAL_FATAL(r.n, N);
    for (int i = 0; i < N; i++)
        CU_ASSERT_EQUAL(r.ids[i], i);
    CU_ASSERT(peak <= WINDOW_MSGS + HM_PAGE_MSGS + 50);
    drain(k, &r);
    CU_ASSERT_EQUAL(q->avail_count + q->paged_count + q->inflight_count, 0);
    hm_consumer_close(k, 0);
    finish_all(dir, s, b, c);
}

static void test_restart_paged_out_priority_order(void)
{
    char dir[] = "/tmp/hermod-page-XXXXXX";
    CU_ASSERT_FATAL(mkdtemp(dir) != NULL);
    st_store_t *s;
    hm_broker_t *b;
    open_all(dir, 0, &s, &b);     /* no limit: all of it stays in memory before the restart */
    hm_client_t *c;
    char err[256];
    CU_ASSERT_FATAL(hm_client_open(b, "ID:p", NULL, NULL, &c, err, sizeof err) == APR_SUCCESS);
    send_all(c, 0, N / 2, 1);
    hm_client_close(c);
    close_all(s, b);

    open_all(dir, LIMIT, &s, &b);
    hm_queue_t *q = hm_queue_find(b, HM_QUEUE, "paged.q");
    CU_ASSERT_FATAL(q != NULL);
    /* the restart decoded nothing: every message is paged out, counted by priority */
    CU_ASSERT_EQUAL(q->avail_count, 0);
    CU_ASSERT_EQUAL(q->paged_count, N / 2);
    CU_ASSERT_EQUAL(q->paged[7], N / 20);
    CU_ASSERT_EQUAL(q->enqueued, N / 2);
    CU_ASSERT_FATAL(hm_client_open(b, "ID:p2", NULL, NULL, &c, err, sizeof err) == APR_SUCCESS);
    send_all(c, N / 2, N / 2, 1);  /* the second half after the restart, behind the first */
    static rec_t r;
    memset(&r, 0, sizeof r);
    hm_consumer_opts_t co = { { HM_QUEUE, "paged.q" }, NULL, 20, 0, 0, 0, 0, NULL, NULL, 0 };
    hm_consumer_t *k;
    CU_ASSERT_FATAL(hm_consumer_open(c, &co, &ops, &r, &k, err, sizeof err) == APR_SUCCESS);
    for (int rounds = 0; r.n < N && rounds < 10 * N; rounds++)
        drain(k, &r);
    CU_ASSERT_EQUAL_FATAL(r.n, N);
    /* a consumer that takes 20 at a time sees priority order within what was there: checked
     * as "never a lower priority before a higher one of an earlier arrival" */
    int bad = 0;
    for (int i = 1; i < N; i++) {
        if (r.prio[i] == r.prio[i - 1] && r.ids[i] < r.ids[i - 1])
            bad++;
        if (r.prio[i] > r.prio[i - 1] && r.ids[i] < r.ids[i - 1])
            bad++;
    }
    CU_ASSERT_EQUAL(bad, 0);
    CU_ASSERT_EQUAL(r.prio[0], 9);
    CU_ASSERT_EQUAL(r.prio[N - 1], 0);
    hm_consumer_close(k, 0);
    finish_all(dir, s, b, c);
}

static void test_selector_far_end_and_browser(void)
{
    char dir[] = "/tmp/hermod-page-XXXXXX";
    st_store_t *s;
    hm_broker_t *b;
    hm_client_t *c;
    char err[256];
    hm_queue_t *q = start_deep(dir, &s, &b, &c);
    CU_ASSERT_FATAL(q != NULL);

    /* the match is the last message: found without the queue coming into memory */
    static rec_t r;
    memset(&r, 0, sizeof r);
    hm_consumer_opts_t co = { { HM_QUEUE, "paged.q" }, "JMSMessageID = 'm2998' OR JMSMessageID = 'm2999'",
                              10, 0, 0, 0, 0, NULL, NULL, 0 };
    hm_consumer_t *k;
    CU_ASSERT_FATAL(hm_consumer_open(c, &co, &ops, &r, &k, err, sizeof err) == APR_SUCCESS);
    CU_ASSERT_EQUAL_FATAL(r.n, 2);
    CU_ASSERT_EQUAL(r.ids[0], 2998);
    CU_ASSERT_EQUAL(r.ids[1], 2999);
    CU_ASSERT(q->avail_count <= WINDOW_MSGS + HM_PAGE_MSGS);
    drain(k, &r);
    hm_consumer_close(k, 0);

    /* a browser sees the other N - 2, in order, and takes none */
    static rec_t br;
    memset(&br, 0, sizeof br);
    hm_consumer_opts_t bo = { { HM_QUEUE, "paged.q" }, NULL, 100, 0, 1, 0, 0, NULL, NULL, 0 };
    CU_ASSERT_FATAL(hm_consumer_open(c, &bo, &ops, &br, &k, err, sizeof err) == APR_SUCCESS);
    for (int rounds = 0; !br.empty && rounds < 10 * N; rounds++)
        drain(k, &br);
    CU_ASSERT(br.empty);
    CU_ASSERT_EQUAL_FATAL(br.n, N - 2);
    for (int i = 0; i < N - 2; i++)
        CU_ASSERT_EQUAL(br.ids[i], i);
    hm_consumer_close(k, 0);
    CU_ASSERT_EQUAL(q->avail_count + q->paged_count, N - 2);
    finish_all(dir, s, b, c);
}

/* The console's browse shows a page of a deep queue in dispatch order and its total without
 * reading it all in; a purge with a selector removes paged-out messages from the store. */
static void test_admin_browse_and_purge_paged(void)
{
    char dir[] = "/tmp/hermod-page-XXXXXX";
    st_store_t *s;
    hm_broker_t *b;
    hm_client_t *c;
    char err[256];
    hm_queue_t *q = start_deep(dir, &s, &b, &c);
    CU_ASSERT_FATAL(q != NULL && q->paged_count > 0);
    size_t in_memory = q->avail_count;
    hm_dname_t d = { HM_QUEUE, "paged.q" };
    apr_pool_t *tmp;
    apr_pool_create(&tmp, pool);
    apr_array_header_t *out;
    size_t total = 0;
    /* a page across the window's edge, then one far down the queue */
    CU_ASSERT_EQUAL(hm_admin_browse(b, d, NULL, in_memory - 5, 10, tmp, &out, &total, err, sizeof err), APR_SUCCESS);
    CU_ASSERT_EQUAL(total, N);
    CU_ASSERT_EQUAL_FATAL(out->nelts, 10);
    for (int i = 0; i < 10; i++) {
        char want[16];
        snprintf(want, sizeof want, "m%d", (int)in_memory - 5 + i);
        CU_ASSERT_STRING_EQUAL(APR_ARRAY_IDX(out, i, hm_admin_msg_t).message_id, want);
    }
    CU_ASSERT_EQUAL(hm_admin_browse(b, d, "JMSMessageID LIKE 'm29__'", 50, 100, tmp, &out, &total, err, sizeof err), APR_SUCCESS);
    CU_ASSERT_EQUAL(total, 100);         /* m2900..m2999 */
    CU_ASSERT_EQUAL_FATAL(out->nelts, 50);
    CU_ASSERT_STRING_EQUAL(APR_ARRAY_IDX(out, 0, hm_admin_msg_t).message_id, "m2950");
    CU_ASSERT(q->avail_count <= in_memory);   /* nothing was brought into the window */
    apr_pool_destroy(tmp);

    /* purge m2xxx (1000 messages, all paged out) */
    uint64_t removed = 0;
    CU_ASSERT_EQUAL(hm_admin_purge(b, d, "JMSMessageID LIKE 'm2___'", &removed, err, sizeof err), APR_SUCCESS);
    CU_ASSERT_EQUAL(removed, 1000);
    CU_ASSERT_EQUAL(q->avail_count + q->paged_count, N - 1000);
    CU_ASSERT_EQUAL(hm_admin_remove(b, d, "m1999", err, sizeof err), APR_SUCCESS);
    CU_ASSERT_EQUAL(hm_admin_remove(b, d, "m1999", err, sizeof err), HM_ENOTFOUND);
    /* a consumer gets exactly the rest, in order */
    static rec_t r;
    drain_queue(c, "paged.q", &r, N - 1001);
    CU_ASSERT_EQUAL_FATAL(r.n, N - 1001);
    for (int i = 0; i < N - 1001; i++)
        CU_ASSERT_EQUAL(r.ids[i], i);
    finish_all(dir, s, b, c);
}

/* Runs the broker's expiry sweep as if its period had passed `round` times. */
static void sweep(hm_broker_t *b, int round)
{
    hm_lock(b);
    hm_usage_expire_locked(b, apr_time_now() + apr_time_from_sec(31) * round);
    hm_unlock(b);
}

/* Expired messages at the far end of a deep queue leave it by the periodic sweep, with nobody
 * consuming and without the queue coming into memory: a bounded chunk per sweep, each sweep
 * going on from where the last stopped, the expired ones dead-lettered and counted; a queue
 * whose paged messages carry no expiration is no longer read once a pass has found none. */
static void test_expiry_sweep_reaches_paged(void)
{
    enum { TTL = 100 };
    char dir[] = "/tmp/hermod-page-XXXXXX";
    CU_ASSERT_FATAL(mkdtemp(dir) != NULL);
    st_store_t *s;
    hm_broker_t *b;
    hm_client_t *c;
    char err[256];
    open_all(dir, LIMIT, &s, &b);
    CU_ASSERT_FATAL(hm_client_open(b, "ID:p", NULL, NULL, &c, err, sizeof err) == APR_SUCCESS);
    send_all(c, 0, N - TTL, 0);
    int64_t soon = (int64_t)apr_time_as_msec(apr_time_now()) + 300;
    for (int i = N - TTL; i < N; i++) {
        hm_msg_t *m = mk_to(i, 4, soon, NULL);
        CU_ASSERT_EQUAL(hm_send(c, m, NULL, NULL, err, sizeof err), APR_SUCCESS);
        hm_msg_unref(m);
    }
    hm_queue_t *q = hm_queue_find(b, HM_QUEUE, "paged.q");
    CU_ASSERT_FATAL(q != NULL);
    size_t in_memory = q->avail_count;
    CU_ASSERT_FATAL(q->paged_count >= (uint64_t)(N - WINDOW_MSGS));
    apr_sleep(apr_time_from_msec(400));

    int rounds = 0;
    uint64_t visits = q->sweep_visits;
    while (q->expired < TTL && rounds < 20) {
        sweep(b, ++rounds);
        CU_ASSERT(q->sweep_visits - visits <= HM_PAGE_SWEEP_MSGS);   /* bounded per sweep */
        visits = q->sweep_visits;
    }
    CU_ASSERT_EQUAL(q->expired, TTL);
    CU_ASSERT_EQUAL(rounds, (N - (int)in_memory + HM_PAGE_SWEEP_MSGS - 1) / HM_PAGE_SWEEP_MSGS);
    CU_ASSERT_EQUAL(q->avail_count, in_memory);          /* nothing was read in */
    CU_ASSERT_EQUAL(hm_queue_pending(q), N - TTL);
    CU_ASSERT_EQUAL(q->dequeued, TTL);
    hm_queue_t *dlq = hm_queue_find(b, HM_QUEUE, "ActiveMQ.DLQ");
    CU_ASSERT_FATAL(dlq != NULL);
    CU_ASSERT_EQUAL(hm_queue_pending(dlq), TTL);

    /* no expiration left: after a pass that finds none, the sweep reads nothing */
    for (int i = 0; i < 6; i++)
        sweep(b, ++rounds);
    visits = q->sweep_visits;
    sweep(b, ++rounds);
    CU_ASSERT_EQUAL(q->sweep_visits, visits);
    hm_client_close(c);
    close_all(s, b);

    /* the store agrees: after a restart the queue has the rest, in order; the DLQ the expired */
    open_all(dir, LIMIT, &s, &b);
    q = hm_queue_find(b, HM_QUEUE, "paged.q");
    dlq = hm_queue_find(b, HM_QUEUE, "ActiveMQ.DLQ");
    CU_ASSERT_FATAL(q != NULL && dlq != NULL);
    CU_ASSERT_EQUAL(hm_queue_pending(q), N - TTL);
    CU_ASSERT_EQUAL(hm_queue_pending(dlq), TTL);
    CU_ASSERT_FATAL(hm_client_open(b, "ID:p2", NULL, NULL, &c, err, sizeof err) == APR_SUCCESS);
    static rec_t r;
    drain_queue(c, "paged.q", &r, N - TTL);
    CU_ASSERT_EQUAL_FATAL(r.n, N - TTL);
    for (int i = 0; i < N - TTL; i++)
        CU_ASSERT_EQUAL(r.ids[i], i);
    finish_all(dir, s, b, c);
}

/* The console's copy and move of a deep queue walk the store a page at a time: the source's
 * window stays bounded (it used to read the whole queue in), the copy is complete and in order,
 * and a move leaves the source without the moved messages, across a restart too. */
static void test_copy_and_move_paged(void)
{
    char dir[] = "/tmp/hermod-page-XXXXXX";
    st_store_t *s;
    hm_broker_t *b;
    hm_client_t *c;
    char err[256];
    hm_queue_t *q = start_deep(dir, &s, &b, &c);
    CU_ASSERT_FATAL(q != NULL && q->paged_count > 0);
    size_t in_memory = q->avail_count;
    hm_dname_t d = { HM_QUEUE, "paged.q" }, cq = { HM_QUEUE, "copy.q" }, mq = { HM_QUEUE, "moved.q" };
    uint64_t n = 0;
    CU_ASSERT_EQUAL(hm_admin_copy(b, d, cq, NULL, 0, 0, &n, err, sizeof err), APR_SUCCESS);
    CU_ASSERT_EQUAL(n, N);
    CU_ASSERT_EQUAL(q->avail_count, in_memory);          /* the source was not read in */
    CU_ASSERT_EQUAL(hm_queue_pending(q), N);
    hm_queue_t *t = hm_queue_find(b, HM_QUEUE, "copy.q");
    CU_ASSERT_FATAL(t != NULL);
    CU_ASSERT_EQUAL(hm_queue_pending(t), N);
    CU_ASSERT(t->avail_count <= WINDOW_MSGS);           /* the target pages too */
    /* a move by selector of the m1xxx, and one bounded by a maximum */
    CU_ASSERT_EQUAL(hm_admin_copy(b, d, mq, "JMSMessageID LIKE 'm1___'", 1, 0, &n, err, sizeof err), APR_SUCCESS);
    CU_ASSERT_EQUAL(n, 1000);
    CU_ASSERT_EQUAL(hm_admin_copy(b, d, mq, "JMSMessageID LIKE 'm2___'", 1, 10, &n, err, sizeof err), APR_SUCCESS);
    CU_ASSERT_EQUAL(n, 10);
    CU_ASSERT(q->avail_count <= in_memory);
    CU_ASSERT_EQUAL(hm_queue_pending(q), N - 1010);
    hm_client_close(c);
    close_all(s, b);

    open_all(dir, LIMIT, &s, &b);
    q = hm_queue_find(b, HM_QUEUE, "paged.q");
    CU_ASSERT_FATAL(q != NULL);
    CU_ASSERT_EQUAL(hm_queue_pending(q), N - 1010);
    CU_ASSERT_FATAL(hm_client_open(b, "ID:p2", NULL, NULL, &c, err, sizeof err) == APR_SUCCESS);
    static rec_t r;
    drain_queue(c, "moved.q", &r, 1010);
    CU_ASSERT_EQUAL_FATAL(r.n, 1010);
    for (int i = 0; i < 1010; i++)
        CU_ASSERT_EQUAL(r.ids[i], 1000 + i);
    drain_queue(c, "copy.q", &r, N);
    CU_ASSERT_EQUAL_FATAL(r.n, N);
    for (int i = 0; i < N; i++)
        CU_ASSERT_EQUAL(r.ids[i], i);
    drain_queue(c, "paged.q", &r, N);
    CU_ASSERT_EQUAL_FATAL(r.n, N - 1010);
    for (int i = 0, want = 0; i < r.n; i++, want++) {
        if (want == 1000)
            want = 2010;
        CU_ASSERT_EQUAL(r.ids[i], want);
    }
    finish_all(dir, s, b, c);
}

int main(void)
{
    apr_initialize();
    apr_pool_create(&pool, NULL);
    hm_log_set_level(HM_LOG_ERROR);
    CU_initialize_registry();
    CU_pSuite su = CU_add_suite("server_page", NULL, NULL);
    CU_add_test(su, "a deep queue keeps a bounded window and drains in order",
                test_window_bounded_and_drained_in_order);
    CU_add_test(su, "a restart leaves the queue paged out; priority order across pages",
                test_restart_paged_out_priority_order);
    CU_add_test(su, "a selector finds the far end without loading; a browser sees it all",
                test_selector_far_end_and_browser);
    CU_add_test(su, "the console browses and purges a paged queue without reading it in",
                test_admin_browse_and_purge_paged);
    CU_add_test(su, "the expiry sweep reaches paged messages a chunk at a time",
                test_expiry_sweep_reaches_paged);
    CU_add_test(su, "the console copies and moves a paged queue a page at a time",
                test_copy_and_move_paged);
    CU_basic_set_mode(CU_BRM_VERBOSE);
    CU_basic_run_tests();
    unsigned failed = CU_get_number_of_failures();
    CU_cleanup_registry();
    apr_terminate();
    return failed ? 1 : 0;
}
