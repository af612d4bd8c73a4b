/* Memory accounting, producer flow control and per-destination expiry in the core (hm_usage.c),
 * driven directly: no network, no protocol. */
#include <CUnit/Basic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <apr_general.h>

#include "hm_int.h"
#include "st.h"

static apr_pool_t *pool;

#define MSG 1000                      /* bytes each test message counts */

/* Policies by name prefix: lim.* 3000 bytes, nopfc.* 3000 without flow control, exp.* swept
 * every 100 ms, exp0.* never swept. */
static void policy(void *baton, hm_dname_t d, hm_dest_policy_t *out)
{
    (void)baton;
    if (strncmp(d.name, "lim.", 4) == 0) {
        out->memory_limit = 3 * MSG;
    } else if (strncmp(d.name, "nopfc.", 6) == 0) {
        out->memory_limit = 3 * MSG;
        out->producer_flow_control = 0;
    } else if (strncmp(d.name, "exp.", 4) == 0) {
        out->expire_period_ms = 100;
    } else if (strncmp(d.name, "exp0.", 5) == 0) {
        out->expire_period_ms = 0;
    } else if (strncmp(d.name, "pfail.", 6) == 0) {
        out->send_fail_if_no_space = 1;
    } else if (strncmp(d.name, "ptime.", 6) == 0) {
        out->send_fail_after_ms = 500;
    } else if (strncmp(d.name, "pend.", 5) == 0) {
        out->memory_limit = 3 * MSG;
        out->pending_limit = 1;
    }
}

static hm_broker_t *new_broker(int64_t memory_limit)
{
    hm_broker_opts_t bo = { .name = "usage", .policy = policy, .memory_limit = memory_limit };
    hm_broker_t *b = NULL;
    CU_ASSERT_FATAL(hm_broker_create(pool, &bo, &b) == APR_SUCCESS);
    return b;
}

typedef struct rec_s {
    int n;
    hm_delivery_t *d[64];
} rec_t;

static void rec_deliver(void *ctx, hm_consumer_t *c, hm_delivery_t *d)
{
    rec_t *r = ctx;
    if (r->n < 64)
        r->d[r->n] = d;
    r->n++;
}

static void rec_empty(void *ctx, hm_consumer_t *c) { (void)ctx; (void)c; }

static const hm_consumer_ops_t rec_ops = { rec_deliver, rec_empty };
static const hm_msg_origin_t origin = { "test", 0, NULL, NULL, NULL };

static int last_seq;

static apr_status_t post(hm_client_t *c, hm_dest_kind_e kind, const char *dest, int64_t expiration,
                         char *err, size_t errlen)
{
    void *extra;
    hm_msg_t *m = hm_msg_new(strlen(dest) + 1 + 32, &extra);
    int seq = last_seq;
    char *s = extra;
    m->dest.kind = kind;
    m->dest.name = strcpy(s, dest);
    snprintf(s + strlen(dest) + 1, 32, "ID:m%d", ++seq);
    last_seq = seq;
    m->message_id = s + strlen(dest) + 1;
    m->size = MSG;
    m->expiration = expiration;
    m->origin = &origin;
    err[0] = 0;
    apr_status_t st = hm_send(c, m, NULL, NULL, err, errlen);
    hm_msg_unref(m);
    return st;
}

static hm_client_t *client(hm_broker_t *b)
{
    hm_client_t *c = NULL;
    char err[128];
    CU_ASSERT_FATAL(hm_client_open(b, "ID:c", NULL, NULL, &c, err, sizeof err) == APR_SUCCESS);
    return c;
}

static hm_consumer_t *consume(hm_client_t *cl, hm_dest_kind_e kind, const char *dest, int prefetch, rec_t *r)
{
    hm_consumer_opts_t o = { { kind, dest }, NULL, prefetch, 0, 0, 0, 0, NULL };
    hm_consumer_t *c = NULL;
    char err[128];
    CU_ASSERT(hm_consumer_open(cl, &o, &rec_ops, r, &c, err, sizeof err) == APR_SUCCESS);
    return c;
}

static int fired;
static void on_space(void *baton) { (void)baton; fired++; }

/* A queue takes sends while under its limit (the last may cross it), then holds them; messages
 * in flight still count; an acknowledgement frees room and wakes the waiter. */
static void test_queue_limit_holds_until_ack(void)
{
    hm_broker_t *b = new_broker(0);
    hm_client_t *c = client(b);
    char err[256];
    for (int i = 0; i < 3; i++)
        CU_ASSERT_EQUAL(post(c, HM_QUEUE, "lim.a", 0, err, sizeof err), APR_SUCCESS);
    CU_ASSERT_EQUAL(post(c, HM_QUEUE, "lim.a", 0, err, sizeof err), HM_EFLOW);
    CU_ASSERT_STRING_EQUAL(err, "queue://lim.a\n3000");
    CU_ASSERT_EQUAL(hm_queue_find(b, HM_QUEUE, "lim.a")->avail_count, 3);
    /* another destination is not affected */
    for (int i = 0; i < 10; i++)
        CU_ASSERT_EQUAL(post(c, HM_QUEUE, "free.b", 0, err, sizeof err), APR_SUCCESS);

    hm_space_waiter_t w = { NULL, NULL, on_space, NULL };
    fired = 0;
    hm_space_wait(b, &w);
    rec_t r = { 0 };
    hm_consumer_t *cons = consume(c, HM_QUEUE, "lim.a", 10, &r);
    CU_ASSERT_EQUAL(r.n, 3);
    CU_ASSERT_EQUAL(fired, 0);
    CU_ASSERT_EQUAL(post(c, HM_QUEUE, "lim.a", 0, err, sizeof err), HM_EFLOW);   /* in flight counts */
    hm_consumer_ack(cons, r.d[0], HM_ACK_CONSUMED, NULL, NULL);
    CU_ASSERT_EQUAL(fired, 1);
    CU_ASSERT_EQUAL(post(c, HM_QUEUE, "lim.a", 0, err, sizeof err), APR_SUCCESS);
    CU_ASSERT_EQUAL(r.n, 4);
    hm_consumer_close(cons, UINT64_MAX);
    hm_client_close(c);
    hm_broker_destroy(b);
}

/* producerFlowControl="false": the destination's own limit does not hold sends. */
static void test_no_flow_control(void)
{
    hm_broker_t *b = new_broker(0);
    hm_client_t *c = client(b);
    char err[256];
    for (int i = 0; i < 20; i++)
        CU_ASSERT_EQUAL(post(c, HM_QUEUE, "nopfc.q", 0, err, sizeof err), APR_SUCCESS);
    CU_ASSERT_EQUAL(hm_queue_find(b, HM_QUEUE, "nopfc.q")->avail_count, 20);
    hm_client_close(c);
    hm_broker_destroy(b);
}

/* The broker-wide limit holds every destination with flow control; one without is held only at
 * HM_NOPFC_FACTOR times it; a waiter is woken when the broker goes back under. */
static void test_broker_limit(void)
{
    hm_broker_t *b = new_broker(5 * MSG);
    hm_client_t *c = client(b);
    char err[256];
    for (int i = 0; i < 5; i++)
        CU_ASSERT_EQUAL(post(c, HM_QUEUE, i % 2 ? "x.one" : "x.two", 0, err, sizeof err), APR_SUCCESS);
    CU_ASSERT_EQUAL(post(c, HM_QUEUE, "x.three", 0, err, sizeof err), HM_EFLOW);
    CU_ASSERT_STRING_EQUAL(err, "queue://x.three\n5000");
    CU_ASSERT_PTR_NULL(hm_queue_find(b, HM_QUEUE, "x.three"));   /* nothing happened */
    CU_ASSERT_EQUAL(post(c, HM_TOPIC, "x.topic", 0, err, sizeof err), HM_EFLOW);
    int taken = 0;
    while (post(c, HM_QUEUE, "nopfc.big", 0, err, sizeof err) == APR_SUCCESS && taken < 100)
        taken++;
    CU_ASSERT_EQUAL(taken, 5);   /* up to 2 x 5000 */

    hm_space_waiter_t w = { NULL, NULL, on_space, NULL };
    fired = 0;
    hm_space_wait(b, &w);
    rec_t r = { 0 };
    hm_consumer_t *cons = consume(c, HM_QUEUE, "nopfc.big", 10, &r);
    CU_ASSERT_EQUAL(r.n, 5);
    for (int i = 0; i < 5; i++)
        hm_consumer_ack(cons, r.d[i], HM_ACK_CONSUMED, NULL, NULL);
    CU_ASSERT_EQUAL(fired, 1);
    CU_ASSERT_EQUAL(post(c, HM_QUEUE, "x.three", 0, err, sizeof err), HM_EFLOW);   /* still at 5000 */
    rec_t r2 = { 0 };
    hm_consumer_t *c2 = consume(c, HM_QUEUE, "x.one", 10, &r2);
    hm_consumer_ack(c2, r2.d[0], HM_ACK_CONSUMED, NULL, NULL);
    CU_ASSERT_EQUAL(post(c, HM_QUEUE, "x.three", 0, err, sizeof err), APR_SUCCESS);
    /* a cancelled waiter is not called */
    hm_space_wait(b, &w);
    hm_space_cancel(b, &w);
    fired = 0;
    hm_consumer_close(c2, UINT64_MAX);
    hm_consumer_close(cons, UINT64_MAX);
    hm_client_close(c);
    CU_ASSERT_EQUAL(fired, 0);
    hm_broker_destroy(b);
}

/* A slow subscriber fills the topic's limit and holds its producers; a topic nobody subscribes
 * to holds nothing; closing the subscriber frees its messages. */
static void test_topic_slow_subscriber(void)
{
    hm_broker_t *b = new_broker(0);
    hm_client_t *c = client(b);
    char err[256];
    for (int i = 0; i < 10; i++)
        CU_ASSERT_EQUAL(post(c, HM_TOPIC, "lim.t", 0, err, sizeof err), APR_SUCCESS);
    rec_t r = { 0 };
    hm_consumer_t *sub = consume(c, HM_TOPIC, "lim.t", 1, &r);
    for (int i = 0; i < 3; i++)
        CU_ASSERT_EQUAL(post(c, HM_TOPIC, "lim.t", 0, err, sizeof err), APR_SUCCESS);
    CU_ASSERT_EQUAL(post(c, HM_TOPIC, "lim.t", 0, err, sizeof err), HM_EFLOW);
    CU_ASSERT_STRING_EQUAL(err, "topic://lim.t\n3000");
    CU_ASSERT_EQUAL(post(c, HM_TOPIC, "lim.other", 0, err, sizeof err), APR_SUCCESS);
    hm_consumer_close(sub, UINT64_MAX);
    CU_ASSERT_EQUAL(b->mem_used, 0);
    CU_ASSERT_EQUAL(post(c, HM_TOPIC, "lim.t", 0, err, sizeof err), APR_SUCCESS);
    hm_client_close(c);
    hm_broker_destroy(b);
}

/* constantPendingMessageLimitStrategy: a slow subscriber keeps only its newest undispatched
 * messages, so it does not hold the topic's producers. */
static void test_topic_pending_limit_discards_oldest(void)
{
    hm_broker_t *b = new_broker(0);
    hm_client_t *c = client(b);
    char err[256], first[32], last[32];
    rec_t r = { 0 };
    hm_consumer_t *sub = consume(c, HM_TOPIC, "pend.t", 1, &r);
    for (int i = 0; i < 10; i++) {
        CU_ASSERT_EQUAL(post(c, HM_TOPIC, "pend.t", 0, err, sizeof err), APR_SUCCESS);
        if (i == 0)
            snprintf(first, sizeof first, "ID:m%d", last_seq);
    }
    snprintf(last, sizeof last, "ID:m%d", last_seq);
    CU_ASSERT_EQUAL_FATAL(r.n, 1);
    CU_ASSERT_STRING_EQUAL(r.d[0]->msg->message_id, first);
    hm_consumer_ack(sub, r.d[0], HM_ACK_CONSUMED, NULL, NULL);
    CU_ASSERT_EQUAL_FATAL(r.n, 2);
    CU_ASSERT_STRING_EQUAL(r.d[1]->msg->message_id, last);   /* 8 in between were discarded */
    CU_ASSERT_EQUAL(b->mem_used, MSG);
    hm_consumer_close(sub, UINT64_MAX);
    hm_client_close(c);
    hm_broker_destroy(b);
}

/* A policy's sendFailIfNoSpace / sendFailIfNoSpaceAfterTimeout override the broker's. */
static void test_flow_mode_per_destination(void)
{
    hm_broker_t *b = new_broker(0);
    int fail = -1;
    int64_t after = -1;
    hm_flow_mode(b, (hm_dname_t){ HM_QUEUE, "plain.q" }, &fail, &after);
    CU_ASSERT(fail == 0 && after == 0);
    hm_flow_mode(b, (hm_dname_t){ HM_QUEUE, "pfail.q" }, &fail, &after);
    CU_ASSERT(fail == 1 && after == 0);
    hm_flow_mode(b, (hm_dname_t){ HM_TOPIC, "ptime.t" }, &fail, &after);
    CU_ASSERT(fail == 1 && after == 500);
    hm_broker_destroy(b);
}

/* A composite send is held when any of its parts is full. */
static void test_composite_held_by_one_part(void)
{
    hm_broker_t *b = new_broker(0);
    hm_client_t *c = client(b);
    char err[256];
    for (int i = 0; i < 3; i++)
        CU_ASSERT_EQUAL(post(c, HM_QUEUE, "lim.c", 0, err, sizeof err), APR_SUCCESS);
    CU_ASSERT_EQUAL(post(c, HM_QUEUE, "free.c,lim.c", 0, err, sizeof err), HM_EFLOW);
    CU_ASSERT_STRING_EQUAL(err, "queue://lim.c\n3000");
    CU_ASSERT_PTR_NULL(hm_queue_find(b, HM_QUEUE, "free.c"));
    hm_client_close(c);
    hm_broker_destroy(b);
}

/* Each queue sweeps expired messages at its own policy's period; 0 never sweeps. */
static void test_expire_period_per_destination(void)
{
    hm_broker_t *b = new_broker(0);
    hm_client_t *c = client(b);
    char err[256];
    int64_t soon = apr_time_as_msec(apr_time_now()) + 50;
    for (int i = 0; i < 4; i++) {
        CU_ASSERT_EQUAL(post(c, HM_QUEUE, "exp.q", soon, err, sizeof err), APR_SUCCESS);
        CU_ASSERT_EQUAL(post(c, HM_QUEUE, "exp0.q", soon, err, sizeof err), APR_SUCCESS);
    }
    hm_queue_t *swept = hm_queue_find(b, HM_QUEUE, "exp.q"), *kept = hm_queue_find(b, HM_QUEUE, "exp0.q");
    apr_time_t later = apr_time_now() + apr_time_from_msec(500);
    hm_broker_tick(b, later);
    CU_ASSERT_EQUAL(swept->avail_count, 0);
    CU_ASSERT_EQUAL(swept->expired, 4);
    CU_ASSERT_EQUAL(swept->mem_used, 0);
    CU_ASSERT_EQUAL(kept->avail_count, 4);
    hm_broker_tick(b, later + apr_time_from_sec(60));
    CU_ASSERT_EQUAL(kept->avail_count, 4);
    CU_ASSERT_EQUAL(b->mem_used, 4 * MSG);
    hm_client_close(c);
    hm_broker_destroy(b);
}

/* The sweep leaves alone a queue none of whose messages can expire (a deep recovered queue
 * must not be walked every period), and walks one again once an expiring message arrives. */
static void test_expire_sweep_skips_queue_without_expiration(void)
{
    hm_broker_t *b = new_broker(0);
    hm_client_t *c = client(b);
    char err[256];
    for (int i = 0; i < 50; i++)
        CU_ASSERT_EQUAL(post(c, HM_QUEUE, "exp.never", 0, err, sizeof err), APR_SUCCESS);
    hm_queue_t *q = hm_queue_find(b, HM_QUEUE, "exp.never");
    CU_ASSERT_PTR_NOT_NULL_FATAL(q);
    apr_time_t t = apr_time_now() + apr_time_from_msec(500);
    hm_broker_tick(b, t);
    hm_broker_tick(b, t + apr_time_from_sec(1));
    CU_ASSERT_EQUAL(q->sweep_visits, 0);
    CU_ASSERT_EQUAL(q->avail_count, 50);
    CU_ASSERT_EQUAL(q->expirable, 0);

    int64_t soon = apr_time_as_msec(apr_time_now()) + 50;
    CU_ASSERT_EQUAL(post(c, HM_QUEUE, "exp.never", soon, err, sizeof err), APR_SUCCESS);
    CU_ASSERT_EQUAL(q->expirable, 1);
    hm_broker_tick(b, t + apr_time_from_sec(2));
    CU_ASSERT(q->sweep_visits > 0);
    CU_ASSERT_EQUAL(q->expired, 1);
    CU_ASSERT_EQUAL(q->expirable, 0);
    CU_ASSERT_EQUAL(q->avail_count, 50);
    uint64_t visits = q->sweep_visits;
    hm_broker_tick(b, t + apr_time_from_sec(3));
    CU_ASSERT_EQUAL(q->sweep_visits, visits);
    hm_client_close(c);
    hm_broker_destroy(b);
}

/* The stored form is the message id: enough for a store to take the message. */
static apr_status_t id_encode(const hm_msg_t *m, hm_wbuf_t *out)
{
    hm_wbuf_put(out, m->message_id, strlen(m->message_id));
    return APR_SUCCESS;
}

static apr_status_t id_decode(const uint8_t *p, size_t len, hm_msg_t **out)
{
    (void)p; (void)len; (void)out;
    return HM_EMALFORMED;          /* never read back here */
}

static const hm_msg_codec_t id_codec = { 9, "id", id_encode, id_decode };
static const hm_msg_origin_t stored_origin = { "test", 9, NULL, NULL, NULL };

/* As with ActiveMQ's store cursor, persistent messages on a queue of a broker with a store do
 * not count against the memory limit and never hold their producer; non-persistent ones do. */
static void test_persistent_queue_messages_not_held(void)
{
    st_options_t so;
    st_options_default(&so);
    st_store_t *store;
    CU_ASSERT_FATAL(st_open(pool, &so, &store) == APR_SUCCESS);
    hm_broker_opts_t bo = { .name = "usage", .policy = policy, .store = store };
    hm_broker_t *b = NULL;
    CU_ASSERT_FATAL(hm_broker_create(pool, &bo, &b) == APR_SUCCESS);
    hm_broker_register_codec(b, &id_codec);
    hm_client_t *c = client(b);
    char err[256];
    for (int i = 0; i < 10; i++) {
        void *extra;
        hm_msg_t *m = hm_msg_new(32, &extra);
        snprintf(extra, 32, "ID:p%d", i);
        m->dest = (hm_dname_t){ HM_QUEUE, "lim.p" };
        m->message_id = extra;
        m->size = MSG;
        m->persistent = 1;
        m->origin = &stored_origin;
        CU_ASSERT_EQUAL(hm_send(c, m, NULL, NULL, err, sizeof err), APR_SUCCESS);
        hm_msg_unref(m);
    }
    hm_queue_t *q = hm_queue_find(b, HM_QUEUE, "lim.p");
    CU_ASSERT_EQUAL(q->avail_count, 10);     /* 10 x 1000 bytes past a 3000-byte limit */
    CU_ASSERT_EQUAL(q->mem_used, 0);
    for (int i = 0; i < 3; i++)
        CU_ASSERT_EQUAL(post(c, HM_QUEUE, "lim.p", 0, err, sizeof err), APR_SUCCESS);
    CU_ASSERT_EQUAL(post(c, HM_QUEUE, "lim.p", 0, err, sizeof err), HM_EFLOW);   /* non-persistent */
    CU_ASSERT_EQUAL(q->mem_used, 3 * MSG);
    hm_client_close(c);
    hm_broker_destroy(b);
    st_close(store);
}

int main(void)
{
    apr_initialize();
    apr_pool_create(&pool, NULL);
    if (CU_initialize_registry() != CUE_SUCCESS)
        return 1;
    CU_pSuite s = CU_add_suite("server usage", NULL, NULL);
    CU_add_test(s, "queue limit holds until an ack frees room", test_queue_limit_holds_until_ack);
    CU_add_test(s, "producerFlowControl=false", test_no_flow_control);
    CU_add_test(s, "broker-wide memory limit", test_broker_limit);
    CU_add_test(s, "slow topic subscriber holds the topic", test_topic_slow_subscriber);
    CU_add_test(s, "composite held by one full part", test_composite_held_by_one_part);
    CU_add_test(s, "topic pending message limit discards the oldest", test_topic_pending_limit_discards_oldest);
    CU_add_test(s, "sendFailIfNoSpace per destination", test_flow_mode_per_destination);
    CU_add_test(s, "expireMessagesPeriod per destination", test_expire_period_per_destination);
    CU_add_test(s, "expiry sweep skips queues without expiring messages", test_expire_sweep_skips_queue_without_expiration);
    CU_add_test(s, "persistent queue messages are not held for memory", test_persistent_queue_messages_not_held);
    CU_basic_set_mode(CU_BRM_VERBOSE);
    CU_basic_run_tests();
    unsigned failed = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
    CU_cleanup_registry();
    apr_pool_destroy(pool);
    apr_terminate();
    return failed ? 1 : 0;
}
