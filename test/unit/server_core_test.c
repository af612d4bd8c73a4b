/* Unit tests of the messaging core, driven directly (no network, no protocol). */
#include <CUnit/Basic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <apr_general.h>

#include "hm_core.h"
#include "sel.h"

static apr_pool_t *pool;
static hm_broker_t *broker;

/* ---- a recording consumer ---- */

typedef struct rec_s {
    int n;
    hm_delivery_t *d[512];
    char ids[512][32];
    int32_t redelivered[512];
    int empties;
} rec_t;

static void rec_deliver(void *ctx, hm_consumer_t *c, hm_delivery_t *d)
{
    rec_t *r = ctx;
    if (r->n < 512) {
        r->d[r->n] = d;
        snprintf(r->ids[r->n], sizeof r->ids[0], "%s", d->msg->message_id);
        r->redelivered[r->n] = d->redelivery_count;
    }
    r->n++;
}

static void rec_empty(void *ctx, hm_consumer_t *c)
{
    ((rec_t *)ctx)->empties++;
}

static const hm_consumer_ops_t rec_ops = { rec_deliver, rec_empty };

/* ---- messages with one string property "color" ---- */

typedef struct tmsg_s {
    char id[32];
    char color[16];
} tmsg_t;

static void tmsg_get(const void *data, const char *name, size_t len, struct sel_value_s *out)
{
    const tmsg_t *t = data;
    out->type = SEL_NULL;
    if (len == 5 && memcmp(name, "color", 5) == 0 && t->color[0]) {
        out->type = SEL_STRING;
        out->u.s.p = t->color;
        out->u.s.len = strlen(t->color);
    }
}

static const hm_msg_origin_t tmsg_origin = { "test", 0, NULL, tmsg_get, NULL };

static hm_msg_t *mk(hm_dest_kind_e kind, const char *dest, const char *id, int prio, const char *color)
{
    void *extra;
    hm_msg_t *m = hm_msg_new(sizeof(tmsg_t) + strlen(dest) + 1, &extra);
    tmsg_t *t = extra;
    snprintf(t->id, sizeof t->id, "%s", id);
    snprintf(t->color, sizeof t->color, "%s", color ? color : "");
    m->dest.kind = kind;
    m->dest.name = strcpy((char *)(t + 1), dest);
    m->message_id = t->id;
    m->priority = prio;
    m->origin = &tmsg_origin;
    m->origin_data = t;
    return m;
}

static void put(hm_client_t *c, hm_dest_kind_e kind, const char *dest, const char *id, int prio,
                 const char *color)
{
    char err[128];
    hm_msg_t *m = mk(kind, dest, id, prio, color);
    CU_ASSERT_EQUAL(hm_send(c, m, NULL, NULL, err, sizeof err), APR_SUCCESS);
    hm_msg_unref(m);
}

static hm_client_t *client(const char *cid)
{
    hm_client_t *c = NULL;
    char err[128];
    CU_ASSERT_EQUAL_FATAL(hm_client_open(broker, "ID:conn", cid, NULL, &c, err, sizeof err), APR_SUCCESS);
    return c;
}

static hm_consumer_t *consume(hm_client_t *cl, hm_dest_kind_e kind, const char *dest, int prefetch,
                              const char *selector, int browser, rec_t *r)
{
    hm_consumer_opts_t o = { { kind, dest }, selector, prefetch, 0, browser, 0, 0 };
    hm_consumer_t *c = NULL;
    char err[256];
    apr_status_t st = hm_consumer_open(cl, &o, &rec_ops, r, &c, err, sizeof err);
    CU_ASSERT_EQUAL(st, APR_SUCCESS);
    return c;
}

static hm_consumer_t *consume_opts(hm_client_t *cl, const char *dest, int prefetch, int exclusive,
                                   int priority, rec_t *r)
{
    hm_consumer_opts_t o = { { HM_QUEUE, dest }, NULL, prefetch, 0, 0, exclusive, priority };
    hm_consumer_t *c = NULL;
    char err[256];
    CU_ASSERT_EQUAL(hm_consumer_open(cl, &o, &rec_ops, r, &c, err, sizeof err), APR_SUCCESS);
    return c;
}

static void test_exclusive_consumer_and_takeover(void)
{
    hm_client_t *cl = client(NULL);
    rec_t a = { 0 }, b = { 0 };
    hm_consumer_t *ca = consume_opts(cl, "q.excl", 100, 1, 0, &a);
    consume_opts(cl, "q.excl", 100, 1, 0, &b);
    for (int i = 0; i < 5; i++)
        put(cl, HM_QUEUE, "q.excl", "m", 4, NULL);
    CU_ASSERT_EQUAL(a.n, 5);
    CU_ASSERT_EQUAL(b.n, 0);
    hm_consumer_ack(ca, a.d[4], HM_ACK_CONSUMED_UPTO, NULL, NULL);
    hm_consumer_close(ca, UINT64_MAX);
    put(cl, HM_QUEUE, "q.excl", "after", 4, NULL);
    CU_ASSERT_EQUAL(b.n, 1);                          /* the next exclusive consumer took over */
    hm_client_close(cl);
}

static void test_consumer_priority(void)
{
    hm_client_t *cl = client(NULL);
    rec_t lo = { 0 }, hi = { 0 };
    consume_opts(cl, "q.cprio", 2, 0, 1, &lo);
    consume_opts(cl, "q.cprio", 2, 0, 5, &hi);
    for (int i = 0; i < 3; i++)
        put(cl, HM_QUEUE, "q.cprio", "m", 4, NULL);
    CU_ASSERT_EQUAL(hi.n, 2);                         /* the higher priority consumer first */
    CU_ASSERT_EQUAL(lo.n, 1);                         /* the lower one only when it is full */
    hm_client_close(cl);
}

static void test_message_groups_stick_and_move(void)
{
    hm_client_t *cl = client(NULL);
    rec_t r[3] = { { 0 } };
    hm_consumer_t *c[3];
    for (int i = 0; i < 3; i++)
        c[i] = consume_opts(cl, "q.groups", 100, 0, 0, &r[i]);
    static const char *groups[] = { "g0", "g1", "g2", "g3", "g4", "g5" };
    char err[64];
    for (int round = 0; round < 3; round++) {
        for (int g = 0; g < 6; g++) {
            hm_msg_t *m = mk(HM_QUEUE, "q.groups", groups[g], 4, NULL);
            m->group_id = groups[g];
            CU_ASSERT_EQUAL(hm_send(cl, m, NULL, NULL, err, sizeof err), APR_SUCCESS);
            hm_msg_unref(m);
        }
    }
    /* every group's three messages went to one consumer, flagged first only once */
    for (int g = 0; g < 6; g++) {
        int owners = 0, firsts = 0;
        for (int i = 0; i < 3; i++) {
            int n = 0;
            for (int j = 0; j < r[i].n; j++) {
                if (strcmp(r[i].ids[j], groups[g]) == 0) {
                    n++;
                    firsts += r[i].d[j]->group_first;
                }
            }
            owners += n > 0;
            CU_ASSERT(n == 0 || n == 3);
        }
        CU_ASSERT_EQUAL(owners, 1);
        CU_ASSERT_EQUAL(firsts, 1);
    }
    CU_ASSERT(r[0].n > 0 && r[1].n > 0 && r[2].n > 0);
    /* the owner of g0 goes: g0 moves to another consumer */
    int owner = 0;
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < r[i].n; j++)
            if (strcmp(r[i].ids[j], "g0") == 0)
                owner = i;
    int before[3] = { r[0].n, r[1].n, r[2].n };
    hm_consumer_close(c[owner], UINT64_MAX);          /* its unacked messages move too */
    int moved = 0;
    for (int i = 0; i < 3; i++)
        if (i != owner)
            moved += r[i].n - before[i];
    CU_ASSERT_EQUAL(moved, before[owner]);
    hm_client_close(cl);
}

static void test_competing_consumers_share_within_prefetch(void)
{
    hm_client_t *cl = client(NULL);
    rec_t r[3] = { { 0 } };
    hm_consumer_t *c[3];
    for (int i = 0; i < 3; i++)
        c[i] = consume(cl, HM_QUEUE, "q.compete", 5, NULL, 0, &r[i]);
    char id[16];
    for (int i = 0; i < 30; i++) {
        snprintf(id, sizeof id, "m%d", i);
        put(cl, HM_QUEUE, "q.compete", id, 4, NULL);
    }
    /* prefetch 5 each: 15 handed out, the rest wait */
    CU_ASSERT_EQUAL(r[0].n + r[1].n + r[2].n, 15);
    CU_ASSERT(r[0].n == 5 && r[1].n == 5 && r[2].n == 5);
    /* acknowledging frees credit and the rest flows, each message exactly once */
    int total = 0;
    for (int round = 0; round < 10 && total < 30; round++) {
        for (int i = 0; i < 3; i++)
            if (r[i].n > 0)
                hm_consumer_ack(c[i], r[i].d[r[i].n - 1], HM_ACK_CONSUMED_UPTO, NULL, NULL);
        total = r[0].n + r[1].n + r[2].n;
    }
    CU_ASSERT_EQUAL(total, 30);
    int seen[30] = { 0 };
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < r[i].n; j++)
            seen[atoi(r[i].ids[j] + 1)]++;
    for (int k = 0; k < 30; k++)
        CU_ASSERT_EQUAL(seen[k], 1);
    hm_client_close(cl);
}

static void test_priority_then_arrival_order(void)
{
    hm_client_t *cl = client(NULL);
    put(cl, HM_QUEUE, "q.prio", "low1", 1, NULL);
    put(cl, HM_QUEUE, "q.prio", "high1", 9, NULL);
    put(cl, HM_QUEUE, "q.prio", "low2", 1, NULL);
    put(cl, HM_QUEUE, "q.prio", "mid", 5, NULL);
    put(cl, HM_QUEUE, "q.prio", "high2", 9, NULL);
    rec_t r = { 0 };
    consume(cl, HM_QUEUE, "q.prio", 100, NULL, 0, &r);
    CU_ASSERT_EQUAL_FATAL(r.n, 5);
    CU_ASSERT_STRING_EQUAL(r.ids[0], "high1");
    CU_ASSERT_STRING_EQUAL(r.ids[1], "high2");
    CU_ASSERT_STRING_EQUAL(r.ids[2], "mid");
    CU_ASSERT_STRING_EQUAL(r.ids[3], "low1");
    CU_ASSERT_STRING_EQUAL(r.ids[4], "low2");
    hm_client_close(cl);
}

static void test_topic_fans_out_in_order(void)
{
    hm_client_t *cl = client(NULL);
    rec_t a = { 0 }, b = { 0 };
    consume(cl, HM_TOPIC, "t.news", 100, NULL, 0, &a);
    consume(cl, HM_TOPIC, "t.news", 100, NULL, 0, &b);
    put(cl, HM_TOPIC, "t.news", "n1", 4, NULL);
    put(cl, HM_TOPIC, "t.news", "n2", 4, NULL);
    put(cl, HM_TOPIC, "t.other", "x", 4, NULL);
    CU_ASSERT_EQUAL(a.n, 2);
    CU_ASSERT_EQUAL(b.n, 2);
    CU_ASSERT_STRING_EQUAL(a.ids[0], "n1");
    CU_ASSERT_STRING_EQUAL(b.ids[1], "n2");
    hm_client_close(cl);
}

static void test_wildcards(void)
{
    hm_client_t *cl = client(NULL);
    rec_t any = { 0 }, one = { 0 }, tp = { 0 };
    consume(cl, HM_QUEUE, "w.>", 100, NULL, 0, &any);
    consume(cl, HM_QUEUE, "w.*.x", 100, NULL, 0, &one);
    consume(cl, HM_TOPIC, "wt.*", 100, NULL, 0, &tp);
    put(cl, HM_QUEUE, "w.a.x", "m1", 4, NULL);      /* queue created after the consumers */
    put(cl, HM_QUEUE, "w.a.b.c", "m2", 4, NULL);
    put(cl, HM_QUEUE, "other", "m3", 4, NULL);
    put(cl, HM_TOPIC, "wt.a", "t1", 4, NULL);
    put(cl, HM_TOPIC, "wt.a.b", "t2", 4, NULL);
    CU_ASSERT_EQUAL(any.n + one.n, 2);               /* m1 to one of them, m2 to "w.>" */
    CU_ASSERT(any.n >= 1);
    int m2 = 0;
    for (int i = 0; i < any.n; i++)
        m2 += strcmp(any.ids[i], "m2") == 0;
    CU_ASSERT_EQUAL(m2, 1);
    CU_ASSERT_EQUAL(tp.n, 1);
    CU_ASSERT_STRING_EQUAL(tp.ids[0], "t1");
    hm_client_close(cl);
}

static void test_redelivery_after_close(void)
{
    hm_client_t *cl = client(NULL);
    rec_t r1 = { 0 }, r2 = { 0 };
    hm_consumer_t *c1 = consume(cl, HM_QUEUE, "q.redeliver", 10, NULL, 0, &r1);
    put(cl, HM_QUEUE, "q.redeliver", "a", 4, NULL);
    put(cl, HM_QUEUE, "q.redeliver", "b", 4, NULL);
    CU_ASSERT_EQUAL(r1.n, 2);
    hm_consumer_ack(c1, r1.d[0], HM_ACK_CONSUMED, NULL, NULL);    /* "a" done, "b" not */
    hm_consumer_close(c1, UINT64_MAX);
    consume(cl, HM_QUEUE, "q.redeliver", 10, NULL, 0, &r2);
    CU_ASSERT_EQUAL_FATAL(r2.n, 1);
    CU_ASSERT_STRING_EQUAL(r2.ids[0], "b");
    CU_ASSERT_EQUAL(r2.redelivered[0], 1);
    hm_client_close(cl);
}

static void test_browser_does_not_consume(void)
{
    hm_client_t *cl = client(NULL);
    put(cl, HM_QUEUE, "q.browse", "a", 4, NULL);
    put(cl, HM_QUEUE, "q.browse", "b", 4, NULL);
    rec_t br = { 0 }, r = { 0 };
    consume(cl, HM_QUEUE, "q.browse", 100, NULL, 1, &br);
    CU_ASSERT_EQUAL(br.n, 2);
    CU_ASSERT_EQUAL(br.empties, 1);                   /* told the browse is complete */
    consume(cl, HM_QUEUE, "q.browse", 100, NULL, 0, &r);
    CU_ASSERT_EQUAL(r.n, 2);
    hm_client_close(cl);
}

static void test_pull_mode(void)
{
    hm_client_t *cl = client(NULL);
    rec_t r = { 0 };
    hm_consumer_t *c = consume(cl, HM_QUEUE, "q.pull", 0, NULL, 0, &r);
    put(cl, HM_QUEUE, "q.pull", "a", 4, NULL);
    CU_ASSERT_EQUAL(r.n, 0);                          /* nothing until asked */
    hm_consumer_pull(c, -1);
    CU_ASSERT_EQUAL(r.n, 1);
    hm_consumer_ack(c, r.d[0], HM_ACK_CONSUMED, NULL, NULL);
    hm_consumer_pull(c, -1);                          /* receiveNoWait on an empty queue */
    CU_ASSERT_EQUAL(r.empties, 1);
    hm_consumer_pull(c, 1);                           /* receive(1 ms): times out */
    apr_sleep(apr_time_from_msec(5));
    hm_broker_tick(broker, apr_time_now());
    CU_ASSERT_EQUAL(r.empties, 2);
    hm_client_close(cl);
}

static void test_selector_reaches_deep_messages(void)
{
    hm_client_t *cl = client(NULL);
    char id[16];
    for (int i = 0; i < 300; i++) {
        snprintf(id, sizeof id, "m%d", i);
        put(cl, HM_QUEUE, "q.sel", id, 4, i == 250 ? "red" : "blue");
    }
    rec_t red = { 0 };
    consume(cl, HM_QUEUE, "q.sel", 10, "color = 'red'", 0, &red);
    CU_ASSERT_EQUAL_FATAL(red.n, 1);
    CU_ASSERT_STRING_EQUAL(red.ids[0], "m250");
    hm_consumer_opts_t o = { { HM_QUEUE, "q.sel" }, "color = = 'x'", 10, 0, 0, 0, 0 };
    hm_consumer_t *bad;
    char err[256];
    CU_ASSERT_EQUAL(hm_consumer_open(cl, &o, &rec_ops, &red, &bad, err, sizeof err), HM_ESELECTOR);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "column"));
    hm_client_close(cl);
}

static void test_selector_cursor_sees_returned_message(void)
{
    hm_client_t *cl = client(NULL);
    rec_t any = { 0 }, red = { 0 };
    hm_consumer_t *a = consume(cl, HM_QUEUE, "q.cursor", 1, NULL, 0, &any);
    put(cl, HM_QUEUE, "q.cursor", "r0", 4, "red");     /* taken by the consumer without selector */
    for (int i = 0; i < 50; i++)
        put(cl, HM_QUEUE, "q.cursor", "b", 4, "blue");
    consume(cl, HM_QUEUE, "q.cursor", 10, "color = 'red'", 0, &red);
    CU_ASSERT_EQUAL(red.n, 0);                        /* it scanned past 50 blue ones */
    put(cl, HM_QUEUE, "q.cursor", "r1", 4, "red");
    CU_ASSERT_EQUAL_FATAL(red.n, 1);
    CU_ASSERT_STRING_EQUAL(red.ids[0], "r1");
    hm_consumer_close(a, UINT64_MAX);                 /* r0 goes back to the head of the queue */
    CU_ASSERT_EQUAL_FATAL(red.n, 2);
    CU_ASSERT_STRING_EQUAL(red.ids[1], "r0");
    hm_client_close(cl);
}

static void test_temp_destinations(void)
{
    hm_client_t *owner = client(NULL), *other = client(NULL);
    hm_dname_t tq = { HM_TEMP_QUEUE, "ID:temp-1" };
    char err[256];
    CU_ASSERT_EQUAL(hm_temp_dest_create(owner, tq), APR_SUCCESS);
    hm_consumer_opts_t o = { tq, NULL, 10, 0, 0, 0, 0 };
    hm_consumer_t *c;
    rec_t r = { 0 };
    CU_ASSERT_EQUAL(hm_consumer_open(other, &o, &rec_ops, &r, &c, err, sizeof err), HM_EDENIED);
    put(other, HM_TEMP_QUEUE, "ID:temp-1", "reply", 4, NULL);   /* anyone may send */
    CU_ASSERT_EQUAL(hm_consumer_open(owner, &o, &rec_ops, &r, &c, err, sizeof err), APR_SUCCESS);
    CU_ASSERT_EQUAL(r.n, 1);
    hm_client_close(owner);                           /* deletes it */
    hm_msg_t *m = mk(HM_TEMP_QUEUE, "ID:temp-1", "late", 4, NULL);
    CU_ASSERT_EQUAL(hm_send(other, m, NULL, NULL, err, sizeof err), HM_ENOTFOUND);
    hm_msg_unref(m);
    hm_client_close(other);
}

static void test_duplicate_client_id_refused(void)
{
    hm_client_t *a = client("same"), *b = NULL;
    char err[256];
    CU_ASSERT_EQUAL(hm_client_open(broker, "ID:c2", "same", NULL, &b, err, sizeof err), HM_EEXISTS);
    hm_client_close(a);
    CU_ASSERT_EQUAL(hm_client_open(broker, "ID:c3", "same", NULL, &b, err, sizeof err), APR_SUCCESS);
    hm_client_close(b);
}

static void test_composite_send_and_expiry(void)
{
    hm_client_t *cl = client(NULL);
    put(cl, HM_QUEUE, "comp.a,comp.b", "both", 4, NULL);
    hm_msg_t *m = mk(HM_QUEUE, "comp.a", "expired", 4, NULL);
    m->expiration = 1;                                /* long past */
    char err[64];
    CU_ASSERT_EQUAL(hm_send(cl, m, NULL, NULL, err, sizeof err), APR_SUCCESS);
    hm_msg_unref(m);
    rec_t a = { 0 }, b = { 0 };
    consume(cl, HM_QUEUE, "comp.a", 10, NULL, 0, &a);
    consume(cl, HM_QUEUE, "comp.b", 10, NULL, 0, &b);
    CU_ASSERT_EQUAL(a.n, 1);
    CU_ASSERT_EQUAL(b.n, 1);
    CU_ASSERT_STRING_EQUAL(a.ids[0], "both");
    CU_ASSERT_STRING_EQUAL(b.d[0]->dest.name, "comp.b");
    hm_client_close(cl);
}

/* A statistics reply that waits in its queue outlives the request it answers: its JMSReplyTo
 * name and correlation id are its own (they were borrowed; asan saw a use after free). */
static void test_statistics_reply_outlives_request(void)
{
    hm_broker_opts_t bo = { .name = "stats", .statistics = 1 };
    hm_broker_t *b;
    CU_ASSERT_FATAL(hm_broker_create(pool, &bo, &b) == APR_SUCCESS);
    hm_client_t *c;
    char err[128];
    CU_ASSERT_FATAL(hm_client_open(b, "ID:s", NULL, NULL, &c, err, sizeof err) == APR_SUCCESS);
    void *extra;
    hm_msg_t *req = hm_msg_new(64, &extra);
    char *names = extra;
    strcpy(names, "stats.replies");
    strcpy(names + 20, "corr-1");
    req->dest = (hm_dname_t){ HM_QUEUE, "ActiveMQ.Statistics.Broker" };
    req->reply_to = (hm_dname_t){ HM_QUEUE, names };
    req->correlation_id = names + 20;
    req->message_id = "ID:req:1:1:1";
    req->priority = 4;
    CU_ASSERT_EQUAL(hm_send(c, req, NULL, NULL, err, sizeof err), APR_SUCCESS);
    memset(names, 'x', 27);            /* the request's memory changes, then goes */
    hm_msg_unref(req);
    rec_t r = { 0 };
    hm_consumer_t *k = consume(c, HM_QUEUE, "stats.replies", 10, NULL, 0, &r);
    CU_ASSERT_EQUAL_FATAL(r.n, 1);
    CU_ASSERT_STRING_EQUAL(r.d[0]->msg->dest.name, "stats.replies");
    CU_ASSERT_STRING_EQUAL(r.d[0]->msg->correlation_id, "corr-1");
    CU_ASSERT(r.d[0]->msg->nfields > 3);
    hm_consumer_close(k, UINT64_MAX);
    hm_client_close(c);
    hm_broker_destroy(b);
}

int main(void)
{
    apr_initialize();
    apr_pool_create(&pool, NULL);
    hm_broker_opts_t bo = { .name = "test" };
    if (hm_broker_create(pool, &bo, &broker) != APR_SUCCESS)
        return 1;
    CU_initialize_registry();
    CU_pSuite s = CU_add_suite("server core", NULL, NULL);
    CU_add_test(s, "competing consumers share within prefetch", test_competing_consumers_share_within_prefetch);
    CU_add_test(s, "priority then arrival order", test_priority_then_arrival_order);
    CU_add_test(s, "topic fans out in order", test_topic_fans_out_in_order);
    CU_add_test(s, "wildcards . * >", test_wildcards);
    CU_add_test(s, "redelivery after consumer close", test_redelivery_after_close);
    CU_add_test(s, "browser does not consume", test_browser_does_not_consume);
    CU_add_test(s, "pull mode (prefetch 0)", test_pull_mode);
    CU_add_test(s, "selector reaches deep messages", test_selector_reaches_deep_messages);
    CU_add_test(s, "selector cursor sees a returned message", test_selector_cursor_sees_returned_message);
    CU_add_test(s, "temporary destinations", test_temp_destinations);
    CU_add_test(s, "duplicate client id refused", test_duplicate_client_id_refused);
    CU_add_test(s, "composite send and expiry", test_composite_send_and_expiry);
    CU_add_test(s, "exclusive consumer and take-over", test_exclusive_consumer_and_takeover);
    CU_add_test(s, "consumer priority", test_consumer_priority);
    CU_add_test(s, "message groups stick to a consumer and move when it closes", test_message_groups_stick_and_move);
    CU_add_test(s, "a statistics reply outlives its request", test_statistics_reply_outlives_request);
    CU_basic_set_mode(CU_BRM_VERBOSE);
    CU_basic_run_tests();
    unsigned failed = CU_get_number_of_failures();
    CU_cleanup_registry();
    hm_broker_destroy(broker);
    apr_pool_destroy(pool);
    apr_terminate();
    return failed ? 1 : 0;
}
