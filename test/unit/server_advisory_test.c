/* Unit tests of the core's advisories (ActiveMQ.Advisory.*), driven directly: a watcher is a
 * consumer on an advisory topic and the test reads the hm_advisory_t of what it receives. */
#include <CUnit/Basic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <apr_general.h>

#include "hm_core.h"
#include "hm_int.h"
#include "sel.h"

static apr_pool_t *pool;
static hm_broker_t *broker;

#define MAXREC 64

/* ---- a recording consumer: keeps a reference to what it was given ---- */

typedef struct rec_s {
    int n;
    hm_msg_t *m[MAXREC];
    char topic[MAXREC][160];
    hm_delivery_t *d[MAXREC];
} rec_t;

static void rec_deliver(void *ctx, hm_consumer_t *c, hm_delivery_t *d)
{
    rec_t *r = ctx;
    (void)c;
    if (r->n < MAXREC) {
        r->m[r->n] = hm_msg_ref(d->msg);
        r->d[r->n] = d;
        snprintf(r->topic[r->n], sizeof r->topic[0], "%s", d->msg->dest.name);
    }
    r->n++;
}

static void rec_empty(void *ctx, hm_consumer_t *c)
{
    (void)ctx;
    (void)c;
}

static const hm_consumer_ops_t rec_ops = { rec_deliver, rec_empty };

static void rec_clear(rec_t *r)
{
    for (int i = 0; i < r->n && i < MAXREC; i++)
        hm_msg_unref(r->m[i]);
    memset(r, 0, sizeof *r);
}

static const hm_advisory_t *adv(rec_t *r, int i)
{
    CU_ASSERT_FATAL(i < r->n);
    CU_ASSERT_PTR_NOT_NULL_FATAL(r->m[i]->advisory);
    CU_ASSERT_FALSE(r->m[i]->persistent);
    CU_ASSERT_STRING_EQUAL(r->m[i]->type, "Advisory");
    return r->m[i]->advisory;
}

/* ---- test messages (dead-letterable, so expiry reaches the DLQ) ---- */

typedef struct tmsg_s {
    char id[32];
    char dest[64];
} tmsg_t;

static hm_msg_t *mk(hm_dest_kind_e kind, const char *dest, const char *id, int persistent, int64_t expiration);

/* The test protocol applies the core's copy: only the destination and expiration matter here. */
static hm_msg_t *tmsg_derive(const hm_msg_t *m, const hm_derive_t *d)
{
    hm_dname_t to = d->dest ? *d->dest : m->dest;
    return mk(to.kind, to.name, m->message_id, m->persistent, d->set_expiration ? d->expiration : m->expiration);
}

static const hm_msg_origin_t tmsg_origin = { .protocol = "test", .derive = tmsg_derive };

static hm_msg_t *mk(hm_dest_kind_e kind, const char *dest, const char *id, int persistent, int64_t expiration)
{
    void *extra;
    hm_msg_t *m = hm_msg_new(sizeof(tmsg_t), &extra);
    tmsg_t *t = extra;
    snprintf(t->id, sizeof t->id, "%s", id);
    snprintf(t->dest, sizeof t->dest, "%s", dest);
    m->dest.kind = kind;
    m->dest.name = t->dest;
    m->message_id = t->id;
    m->priority = 4;
    m->persistent = persistent;
    m->expiration = expiration;
    m->origin = &tmsg_origin;
    m->origin_data = t;
    return m;
}

static void put(hm_client_t *c, hm_dest_kind_e kind, const char *dest, const char *id, int persistent,
                int64_t expiration)
{
    char err[128];
    hm_msg_t *m = mk(kind, dest, id, persistent, expiration);
    CU_ASSERT_EQUAL(hm_send(c, m, NULL, NULL, err, sizeof err), APR_SUCCESS);
    hm_msg_unref(m);
}

static hm_client_t *client_on(hm_broker_t *b, const char *conn, const char *cid)
{
    hm_client_t *c = NULL;
    char err[128];
    CU_ASSERT_EQUAL_FATAL(hm_client_open(b, conn, cid, "bob", &c, err, sizeof err), APR_SUCCESS);
    return c;
}

static hm_client_t *client(const char *conn)
{
    return client_on(broker, conn, NULL);
}

static hm_consumer_t *consume(hm_client_t *cl, hm_dest_kind_e kind, const char *dest, int prefetch,
                              const char *selector, const char *id, rec_t *r)
{
    hm_consumer_opts_t o = { .dest = { kind, dest }, .selector = selector, .prefetch = prefetch, .id = id };
    hm_consumer_t *c = NULL;
    char err[256];
    CU_ASSERT_EQUAL(hm_consumer_open(cl, &o, &rec_ops, r, &c, err, sizeof err), APR_SUCCESS);
    return c;
}

static hm_consumer_t *watch(hm_client_t *cl, const char *topic, rec_t *r)
{
    return consume(cl, HM_TOPIC, topic, 1000, NULL, NULL, r);
}

/* ---- tests ---- */

static void test_consumer_start_stop_and_count(void)
{
    hm_client_t *w = client("ID:w1"), *c = client("ID:c1");
    rec_t wr = { 0 }, r1 = { 0 }, r2 = { 0 };
    watch(w, "ActiveMQ.Advisory.Consumer.Queue.a.q1", &wr);
    CU_ASSERT_EQUAL(wr.n, 0);                          /* nobody yet: no replay */
    hm_consumer_t *c1 = consume(c, HM_QUEUE, "a.q1", 7, "x = 1", "ID:c1:1:1", &r1);
    CU_ASSERT_EQUAL_FATAL(wr.n, 1);
    const hm_advisory_t *a = adv(&wr, 0);
    CU_ASSERT_EQUAL(a->kind, HM_ADV_CONSUMER_ADD);
    CU_ASSERT_STRING_EQUAL(a->id, "ID:c1:1:1");
    CU_ASSERT_EQUAL(a->dest.kind, HM_QUEUE);
    CU_ASSERT_STRING_EQUAL(a->dest.name, "a.q1");
    CU_ASSERT_STRING_EQUAL(a->selector, "x = 1");
    CU_ASSERT_EQUAL(a->prefetch, 7);
    CU_ASSERT_EQUAL(a->count, 1);
    CU_ASSERT_STRING_EQUAL(a->connection_id, "ID:c1");
    CU_ASSERT_STRING_EQUAL(a->broker_name, "advtest");
    hm_consumer_t *c2 = consume(c, HM_QUEUE, "a.q1", 1, NULL, "ID:c1:1:2", &r2);
    CU_ASSERT_EQUAL(adv(&wr, 1)->count, 2);
    hm_consumer_close(c1, UINT64_MAX);
    CU_ASSERT_EQUAL_FATAL(wr.n, 3);
    CU_ASSERT_EQUAL(adv(&wr, 2)->kind, HM_ADV_CONSUMER_REMOVE);
    CU_ASSERT_STRING_EQUAL(adv(&wr, 2)->id, "ID:c1:1:1");
    CU_ASSERT_EQUAL(adv(&wr, 2)->count, 1);
    hm_consumer_close(c2, UINT64_MAX);
    CU_ASSERT_EQUAL(adv(&wr, 3)->count, 0);
    CU_ASSERT_STRING_EQUAL(wr.topic[3], "ActiveMQ.Advisory.Consumer.Queue.a.q1");
    /* a composite destination's advisory topic spells the comma as ActiveMQ does */
    rec_t wc = { 0 }, rc = { 0 };
    watch(w, "ActiveMQ.Advisory.Consumer.Topic.a.t1&sbquo;a.t2", &wc);
    hm_consumer_t *cc = consume(c, HM_TOPIC, "a.t1,a.t2", 10, NULL, "ID:c1:1:3", &rc);
    CU_ASSERT_EQUAL(wc.n, 1);
    CU_ASSERT_EQUAL(wc.n ? adv(&wc, 0)->count : -1, 2);   /* one subscriber on each of two topics */
    hm_consumer_close(cc, UINT64_MAX);
    hm_client_close(c);
    hm_client_close(w);
    rec_clear(&wr);
    rec_clear(&wc);
}

static void test_durable_counts_offline_and_unsubscribe(void)
{
    hm_client_t *c = client_on(broker, "ID:c8", "cid-8"), *w = client("ID:w8");
    rec_t wr = { 0 }, r = { 0 };
    char err[256];
    watch(w, "ActiveMQ.Advisory.Consumer.Topic.du.t", &wr);
    hm_consumer_opts_t o = { .dest = { HM_TOPIC, "du.t" }, .prefetch = 10, .durable_name = "subA", .id = "ID:c8:1:1" };
    hm_consumer_t *d = NULL;
    CU_ASSERT_EQUAL_FATAL(hm_consumer_open(c, &o, &rec_ops, &r, &d, err, sizeof err), APR_SUCCESS);
    hm_consumer_t *plain = consume(c, HM_TOPIC, "du.t", 10, NULL, "ID:c8:1:2", &r);
    CU_ASSERT_EQUAL(adv(&wr, 1)->count, 2);
    hm_consumer_close(d, UINT64_MAX);
    CU_ASSERT_EQUAL_FATAL(wr.n, 3);
    CU_ASSERT_EQUAL(adv(&wr, 2)->kind, HM_ADV_CONSUMER_REMOVE);
    CU_ASSERT_EQUAL(adv(&wr, 2)->count, 2);            /* offline, the subscription still counts */
    hm_consumer_close(plain, UINT64_MAX);
    CU_ASSERT_EQUAL(adv(&wr, 3)->count, 1);
    CU_ASSERT_EQUAL(hm_durable_remove(c, "cid-8", "subA", err, sizeof err), APR_SUCCESS);
    CU_ASSERT_EQUAL_FATAL(wr.n, 5);
    CU_ASSERT_EQUAL(adv(&wr, 4)->kind, HM_ADV_UNSUBSCRIBE);
    CU_ASSERT_STRING_EQUAL(adv(&wr, 4)->subscription, "subA");
    CU_ASSERT_STRING_EQUAL(adv(&wr, 4)->client_id, "cid-8");
    CU_ASSERT_EQUAL(adv(&wr, 4)->count, 0);
    hm_client_close(c);
    hm_client_close(w);
    rec_clear(&wr);
    rec_clear(&r);
}

static void test_replay_to_new_watcher(void)
{
    hm_client_t *c = client("ID:c2"), *w = client("ID:w2");
    rec_t r = { 0 }, wr = { 0 }, wild = { 0 }, other = { 0 };
    consume(c, HM_QUEUE, "b.q1", 10, NULL, "ID:c2:1:1", &r);
    consume(c, HM_QUEUE, "b.q1", 10, NULL, "ID:c2:1:2", &r);
    consume(c, HM_QUEUE, "b.q2", 10, NULL, "ID:c2:1:3", &r);
    watch(w, "ActiveMQ.Advisory.Consumer.Queue.b.q1", &wr);
    CU_ASSERT_EQUAL_FATAL(wr.n, 2);                    /* exactly this queue's, in order */
    CU_ASSERT_STRING_EQUAL(adv(&wr, 0)->id, "ID:c2:1:1");
    CU_ASSERT_STRING_EQUAL(adv(&wr, 1)->id, "ID:c2:1:2");
    CU_ASSERT_EQUAL(adv(&wr, 1)->count, 2);
    watch(w, "ActiveMQ.Advisory.Consumer.Queue.b.>", &wild);
    CU_ASSERT_EQUAL(wild.n, 3);
    /* the replay goes only to the new watcher */
    CU_ASSERT_EQUAL(wr.n, 2);
    /* a watcher of other advisories gets no consumer replay */
    watch(w, "ActiveMQ.Advisory.Queue", &other);
    for (int i = 0; i < other.n; i++)
        CU_ASSERT_EQUAL(adv(&other, i)->kind, HM_ADV_DEST_ADD);
    hm_client_close(c);
    hm_client_close(w);
    rec_clear(&wr);
    rec_clear(&wild);
    rec_clear(&other);
}

static void test_producers(void)
{
    hm_client_t *c = client("ID:c3"), *w = client("ID:w3");
    rec_t wr = { 0 }, all = { 0 }, late = { 0 };
    watch(w, "ActiveMQ.Advisory.Producer.Queue.p.q", &wr);
    watch(w, "ActiveMQ.Advisory.Producer.>", &all);
    CU_ASSERT_EQUAL(hm_producer_add(c, "ID:c3:1:1", (hm_dname_t){ HM_QUEUE, "p.q" }), APR_SUCCESS);
    CU_ASSERT_EQUAL_FATAL(wr.n, 1);
    CU_ASSERT_EQUAL(adv(&wr, 0)->kind, HM_ADV_PRODUCER_ADD);
    CU_ASSERT_STRING_EQUAL(adv(&wr, 0)->id, "ID:c3:1:1");
    CU_ASSERT_EQUAL(adv(&wr, 0)->count, 1);
    hm_producer_add(c, "ID:c3:1:2", (hm_dname_t){ HM_QUEUE, "p.q" });
    CU_ASSERT_EQUAL(adv(&wr, 1)->count, 2);
    hm_producer_add(c, "ID:c3:1:2", (hm_dname_t){ HM_QUEUE, "p.q" });      /* known: nothing new */
    hm_producer_add(c, "ID:c3:1:3", (hm_dname_t){ HM_QUEUE, NULL });       /* anonymous: not advised */
    hm_producer_add(c, "ID:c3:1:4", (hm_dname_t){ HM_TOPIC, "ActiveMQ.Advisory.Queue" });
    CU_ASSERT_EQUAL(wr.n, 2);
    CU_ASSERT_EQUAL(all.n, 2);
    watch(w, "ActiveMQ.Advisory.Producer.Queue.>", &late);
    CU_ASSERT_EQUAL(late.n, 2);                        /* replayed */
    CU_ASSERT_EQUAL(late.n ? adv(&late, 0)->count : 0, 2);
    hm_producer_remove(c, "ID:c3:1:1");
    CU_ASSERT_EQUAL_FATAL(wr.n, 3);
    CU_ASSERT_EQUAL(adv(&wr, 2)->kind, HM_ADV_PRODUCER_REMOVE);
    CU_ASSERT_EQUAL(adv(&wr, 2)->count, 1);
    CU_ASSERT_EQUAL(hm_adv_producer_count(broker, (hm_dname_t){ HM_QUEUE, "p.q" }), 1);
    hm_producer_add(c, "ID:c3:2:1", (hm_dname_t){ HM_QUEUE, "p.q" });
    hm_producer_remove_prefix(c, "ID:c3:2:");          /* a closed session's producers */
    CU_ASSERT_EQUAL_FATAL(wr.n, 5);
    CU_ASSERT_STRING_EQUAL(adv(&wr, 4)->id, "ID:c3:2:1");
    hm_client_close(c);                                /* the last producer goes with its client */
    CU_ASSERT_EQUAL_FATAL(wr.n, 6);
    CU_ASSERT_STRING_EQUAL(adv(&wr, 5)->id, "ID:c3:1:2");
    CU_ASSERT_EQUAL(adv(&wr, 5)->count, 0);
    hm_client_close(w);
    rec_clear(&wr);
    rec_clear(&all);
    rec_clear(&late);
}

static void test_connections(void)
{
    hm_client_t *before = client("ID:before"), *w = client("ID:w4");
    rec_t wr = { 0 };
    watch(w, "ActiveMQ.Advisory.Connection", &wr);
    int saw_before = 0, saw_own = 0;
    for (int i = 0; i < wr.n; i++) {
        CU_ASSERT_EQUAL(adv(&wr, i)->kind, HM_ADV_CONN_ADD);
        saw_before |= strcmp(adv(&wr, i)->connection_id, "ID:before") == 0;
        saw_own |= strcmp(adv(&wr, i)->connection_id, "ID:w4") == 0;
    }
    CU_ASSERT(saw_before && saw_own);
    int n = wr.n;
    hm_client_t *c = client_on(broker, "ID:new", "client-7");
    CU_ASSERT_EQUAL_FATAL(wr.n, n + 1);
    CU_ASSERT_EQUAL(adv(&wr, n)->kind, HM_ADV_CONN_ADD);
    CU_ASSERT_STRING_EQUAL(adv(&wr, n)->client_id, "client-7");
    CU_ASSERT_STRING_EQUAL(adv(&wr, n)->user, "bob");
    hm_client_close(c);
    CU_ASSERT_EQUAL_FATAL(wr.n, n + 2);
    CU_ASSERT_EQUAL(adv(&wr, n + 1)->kind, HM_ADV_CONN_REMOVE);
    CU_ASSERT_STRING_EQUAL(adv(&wr, n + 1)->connection_id, "ID:new");
    hm_client_close(before);
    hm_client_close(w);
    rec_clear(&wr);
}

static void test_destinations(void)
{
    hm_client_t *c = client("ID:c5"), *w = client("ID:w5");
    rec_t q = { 0 }, t = { 0 }, tq = { 0 }, sub = { 0 };
    put(c, HM_QUEUE, "d.early", "m0", 0, 0);
    watch(w, "ActiveMQ.Advisory.Queue", &q);
    watch(w, "ActiveMQ.Advisory.Topic", &t);
    watch(w, "ActiveMQ.Advisory.TempQueue", &tq);
    int early = 0;
    for (int i = 0; i < q.n; i++)
        early |= strcmp(adv(&q, i)->dest.name, "d.early") == 0;
    CU_ASSERT(early);
    for (int i = 0; i < t.n; i++)                      /* advisory topics are never announced */
        CU_ASSERT_NOT_EQUAL(strncmp(adv(&t, i)->dest.name, "ActiveMQ.Advisory.", 18), 0);
    int nq = q.n, nt = t.n;
    put(c, HM_QUEUE, "d.q", "m1", 0, 0);
    put(c, HM_QUEUE, "d.q", "m2", 0, 0);
    CU_ASSERT_EQUAL_FATAL(q.n, nq + 1);                /* once, when it came into being */
    CU_ASSERT_EQUAL(adv(&q, nq)->kind, HM_ADV_DEST_ADD);
    CU_ASSERT_STRING_EQUAL(adv(&q, nq)->dest.name, "d.q");
    put(c, HM_TOPIC, "d.t", "m3", 0, 0);               /* a topic exists once sent to */
    CU_ASSERT_EQUAL_FATAL(t.n, nt + 1);
    CU_ASSERT_STRING_EQUAL(adv(&t, nt)->dest.name, "d.t");
    consume(c, HM_TOPIC, "d.wild.>", 10, NULL, "ID:c5:1:1", &sub);   /* a wildcard is no topic */
    CU_ASSERT_EQUAL(t.n, nt + 1);
    CU_ASSERT_EQUAL(hm_temp_dest_create(c, (hm_dname_t){ HM_TEMP_QUEUE, "ID:c5:1:1" }), APR_SUCCESS);
    CU_ASSERT_EQUAL_FATAL(tq.n, 1);
    CU_ASSERT_EQUAL(adv(&tq, 0)->kind, HM_ADV_DEST_ADD);
    CU_ASSERT_STRING_EQUAL(adv(&tq, 0)->connection_id, "ID:c5");
    CU_ASSERT_EQUAL(q.n, nq + 1);                      /* temporary ones only on TempQueue */
    hm_client_close(c);
    CU_ASSERT_EQUAL_FATAL(tq.n, 2);
    CU_ASSERT_EQUAL(adv(&tq, 1)->kind, HM_ADV_DEST_REMOVE);
    hm_client_close(w);
    rec_clear(&q);
    rec_clear(&t);
    rec_clear(&tq);
}

static void test_expired_and_dead_lettered(void)
{
    hm_client_t *c = client("ID:c6"), *w = client("ID:w6");
    rec_t ex = { 0 }, dl = { 0 }, r = { 0 };
    watch(w, "ActiveMQ.Advisory.Expired.Queue.e.q", &ex);
    watch(w, "ActiveMQ.Advisory.MessageDLQd.Queue.e.q", &dl);
    int64_t past = apr_time_as_msec(apr_time_now()) - 1000;
    put(c, HM_QUEUE, "e.q", "persistent-1", 1, past);
    put(c, HM_QUEUE, "e.q", "fresh", 1, 0);
    hm_broker_tick(broker, apr_time_now() + apr_time_from_sec(3600));   /* the expiry sweep */
    CU_ASSERT_EQUAL_FATAL(ex.n, 1);
    CU_ASSERT_EQUAL(adv(&ex, 0)->kind, HM_ADV_EXPIRED);
    CU_ASSERT_PTR_NOT_NULL_FATAL(adv(&ex, 0)->msg);
    CU_ASSERT_STRING_EQUAL(adv(&ex, 0)->msg->message_id, "persistent-1");
    CU_ASSERT_EQUAL_FATAL(dl.n, 1);                    /* persistent: it went to ActiveMQ.DLQ */
    CU_ASSERT_EQUAL(adv(&dl, 0)->kind, HM_ADV_DLQD);
    CU_ASSERT_STRING_EQUAL(adv(&dl, 0)->msg->message_id, "persistent-1");
    /* a poison acknowledgement dead-letters too */
    hm_consumer_t *k = consume(c, HM_QUEUE, "e.q", 10, NULL, "ID:c6:1:1", &r);
    CU_ASSERT_EQUAL_FATAL(r.n, 1);
    hm_consumer_poison(k, r.d[0], "java.lang.Throwable: test", NULL, NULL);
    CU_ASSERT_EQUAL_FATAL(dl.n, 2);
    CU_ASSERT_STRING_EQUAL(adv(&dl, 1)->msg->message_id, "fresh");
    CU_ASSERT_EQUAL(ex.n, 1);
    /* the client found one expired in its prefetch buffer */
    put(c, HM_QUEUE, "e.q", "in-buffer", 1, apr_time_as_msec(apr_time_now()) + 60000);
    CU_ASSERT_EQUAL_FATAL(r.n, 2);
    hm_consumer_expired(k, r.d[1], NULL, NULL);
    CU_ASSERT_EQUAL_FATAL(ex.n, 2);
    CU_ASSERT_STRING_EQUAL(adv(&ex, 1)->msg->message_id, "in-buffer");
    CU_ASSERT_EQUAL_FATAL(dl.n, 3);
    CU_ASSERT_STRING_EQUAL(adv(&dl, 2)->msg->message_id, "in-buffer");
    hm_client_close(c);
    hm_client_close(w);
    rec_clear(&ex);
    rec_clear(&dl);
    rec_clear(&r);
}

static void test_not_advised(void)
{
    hm_client_t *c = client("ID:c7"), *w = client("ID:w7");
    rec_t wr = { 0 }, r = { 0 };
    watch(w, "ActiveMQ.Advisory.Consumer.Topic.ActiveMQ.Advisory.>", &wr);
    watch(c, "ActiveMQ.Advisory.Queue", &r);
    consume(c, HM_TOPIC, "ActiveMQ.Advisory.TempQueue,ActiveMQ.Advisory.TempTopic", 10, NULL, "ID:c7:1:2", &r);
    CU_ASSERT_EQUAL(wr.n, 0);
    hm_client_close(c);
    CU_ASSERT_EQUAL(wr.n, 0);
    hm_client_close(w);
    rec_clear(&r);
}

/* ---- optional advisories, on their own broker with a policy ---- */

static unsigned policy_calls;
static unsigned test_policy(void *baton, hm_dname_t d)
{
    (void)baton;
    policy_calls++;
    return strncmp(d.name, "slow.", 5) == 0
           ? HM_ADVP_SLOW_CONSUMER | HM_ADVP_CONSUMED | HM_ADVP_FAST_PRODUCER | HM_ADVP_FULL : 0;
}

static void test_policy_advisories(void)
{
    hm_broker_t *b;
    hm_broker_opts_t bo = { .name = "policy", .advisory_policy = test_policy, .url = "tcp://h:1" };
    CU_ASSERT_EQUAL_FATAL(hm_broker_create(pool, &bo, &b), APR_SUCCESS);
    hm_client_t *c = client_on(b, "ID:p1", NULL), *w = client_on(b, "ID:pw", NULL);
    rec_t slow = { 0 }, fine = { 0 }, r1 = { 0 }, r2 = { 0 }, consumed = { 0 }, fast = { 0 };
    watch(w, "ActiveMQ.Advisory.SlowConsumer.Queue.slow.q", &slow);
    watch(w, "ActiveMQ.Advisory.SlowConsumer.Queue.fine.q", &fine);
    watch(w, "ActiveMQ.Advisory.MessageConsumed.Queue.slow.q", &consumed);
    watch(w, "ActiveMQ.Advisory.FastProducer.Queue.>", &fast);
    hm_consumer_t *k1 = consume(c, HM_QUEUE, "slow.q", 2, NULL, "ID:p1:1:1", &r1);
    consume(c, HM_QUEUE, "fine.q", 2, NULL, "ID:p1:1:2", &r2);
    for (int i = 0; i < 5; i++) {
        put(c, HM_QUEUE, "slow.q", "s", 0, 0);
        put(c, HM_QUEUE, "fine.q", "f", 0, 0);
    }
    hm_broker_tick(b, apr_time_now());
    CU_ASSERT_EQUAL_FATAL(slow.n, 1);
    CU_ASSERT_EQUAL(adv(&slow, 0)->kind, HM_ADV_SLOW_CONSUMER);
    CU_ASSERT_STRING_EQUAL(adv(&slow, 0)->id, "ID:p1:1:1");
    CU_ASSERT_STRING_EQUAL(adv(&slow, 0)->broker_url, "tcp://h:1");
    CU_ASSERT_EQUAL(fine.n, 0);                        /* its policy does not ask for it */
    hm_broker_tick(b, apr_time_now());
    CU_ASSERT_EQUAL(slow.n, 1);                        /* once per slow episode */
    hm_consumer_ack(k1, r1.d[1], HM_ACK_CONSUMED_UPTO, NULL, NULL);
    CU_ASSERT_EQUAL(consumed.n, 2);                    /* advisoryForConsumed */
    hm_broker_tick(b, apr_time_now());                 /* full again with messages waiting: same episode */
    CU_ASSERT_EQUAL(slow.n, 1);
    hm_producer_add(c, "ID:p1:2:1", (hm_dname_t){ HM_QUEUE, "slow.q" });
    hm_producer_blocked(c, "ID:p1:2:1", (hm_dname_t){ HM_QUEUE, "slow.q" });
    hm_producer_blocked(c, "ID:p1:2:1", (hm_dname_t){ HM_QUEUE, "fine.q" });
    CU_ASSERT_EQUAL_FATAL(fast.n, 1);
    CU_ASSERT_EQUAL(adv(&fast, 0)->kind, HM_ADV_FAST_PRODUCER);
    rec_t full = { 0 };
    watch(w, "ActiveMQ.Advisory.FULL.>", &full);
    hm_dest_full(b, (hm_dname_t){ HM_QUEUE, "slow.q" }, "policy:queue://slow.q:memory", 1024);
    hm_dest_full(b, (hm_dname_t){ HM_QUEUE, "fine.q" }, "policy:queue://fine.q:memory", 1024);
    CU_ASSERT_EQUAL_FATAL(full.n, 1);
    CU_ASSERT_STRING_EQUAL(full.topic[0], "ActiveMQ.Advisory.FULL.Queue.slow.q");
    CU_ASSERT_STRING_EQUAL(adv(&full, 0)->usage_name, "policy:queue://slow.q:memory");
    CU_ASSERT_EQUAL(adv(&full, 0)->usage, 1024);
    rec_clear(&full);
    unsigned calls = policy_calls;
    hm_broker_tick(b, apr_time_now());
    hm_broker_tick(b, apr_time_now());
    CU_ASSERT(policy_calls <= calls + 2);              /* answers are cached */
    hm_client_close(c);
    hm_client_close(w);
    hm_broker_destroy(b);
    rec_clear(&slow);
    rec_clear(&fine);
    rec_clear(&consumed);
    rec_clear(&fast);
    rec_clear(&r1);
    rec_clear(&r2);
}

static void test_advisory_support_off(void)
{
    hm_broker_t *b;
    hm_broker_opts_t bo = { .name = "off", .advisories_off = 1, .advisory_policy = test_policy };
    CU_ASSERT_EQUAL_FATAL(hm_broker_create(pool, &bo, &b), APR_SUCCESS);
    hm_client_t *w = client_on(b, "ID:ow", NULL);
    rec_t all = { 0 }, r = { 0 };
    watch(w, "ActiveMQ.Advisory.>", &all);
    hm_client_t *c = client_on(b, "ID:o1", NULL);
    consume(c, HM_QUEUE, "slow.q", 1, NULL, "ID:o1:1:1", &r);
    hm_producer_add(c, "ID:o1:1:2", (hm_dname_t){ HM_QUEUE, "slow.q" });
    CU_ASSERT_EQUAL(hm_adv_producer_count(b, (hm_dname_t){ HM_QUEUE, "slow.q" }), 1);   /* still counted */
    put(c, HM_QUEUE, "slow.q", "a", 1, 0);
    put(c, HM_QUEUE, "slow.q", "b", 1, apr_time_as_msec(apr_time_now()) - 10);
    put(c, HM_TOPIC, "some.topic", "c", 0, 0);
    hm_temp_dest_create(c, (hm_dname_t){ HM_TEMP_QUEUE, "ID:o1:tq" });
    hm_broker_tick(b, apr_time_now() + apr_time_from_sec(3600));
    hm_client_close(c);
    CU_ASSERT_EQUAL(all.n, 0);
    hm_client_close(w);
    hm_broker_destroy(b);
    rec_clear(&all);
    rec_clear(&r);
}

int main(void)
{
    apr_initialize();
    apr_pool_create(&pool, NULL);
    hm_broker_opts_t bo = { .name = "advtest" };
    if (hm_broker_create(pool, &bo, &broker) != APR_SUCCESS)
        return 1;
    CU_initialize_registry();
    CU_pSuite s = CU_add_suite("server advisories", NULL, NULL);
    CU_add_test(s, "consumer start/stop with consumerCount", test_consumer_start_stop_and_count);
    CU_add_test(s, "durable: counted offline, unsubscribe advised", test_durable_counts_offline_and_unsubscribe);
    CU_add_test(s, "existing consumers replayed to a new watcher", test_replay_to_new_watcher);
    CU_add_test(s, "producers: add, remove, count, anonymous", test_producers);
    CU_add_test(s, "connections: replay, add, remove", test_connections);
    CU_add_test(s, "queue/topic/temp destination advisories", test_destinations);
    CU_add_test(s, "expired and dead-lettered messages", test_expired_and_dead_lettered);
    CU_add_test(s, "advisory topics raise no advisories", test_not_advised);
    CU_add_test(s, "policy: slow consumer, consumed, fast producer", test_policy_advisories);
    CU_add_test(s, "advisorySupport=false: none at all", test_advisory_support_off);
    CU_basic_set_mode(CU_BRM_VERBOSE);
    CU_basic_run_tests();
    unsigned failed = CU_get_number_of_failures();
    CU_cleanup_registry();
    hm_broker_destroy(broker);
    apr_pool_destroy(pool);
    apr_terminate();
    return failed ? 1 : 0;
}
