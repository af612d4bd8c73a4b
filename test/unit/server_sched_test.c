/* Unit tests of scheduled delivery (server/hm_sched.c), driving the core directly: the broker's
 * tick is called with chosen times, so timing is exact and the tests do not sleep. */
#include <CUnit/Basic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <apr_general.h>

#include "hm_int.h"
#include "sel.h"
#include "st.h"

static apr_pool_t *pool;

/* ---- a recording consumer ---- */

typedef struct rec_s {
    int n;
    char ids[64][48];
    char dests[64][32];
} rec_t;

static void rec_deliver(void *ctx, hm_consumer_t *c, hm_delivery_t *d)
{
    rec_t *r = ctx;
    if (r->n < 64) {
        snprintf(r->ids[r->n], sizeof r->ids[0], "%s", d->msg->message_id);
        snprintf(r->dests[r->n], sizeof r->dests[0], "%s", d->dest.name);
    }
    r->n++;
    hm_consumer_ack(c, d, HM_ACK_CONSUMED, NULL, NULL);
}

static void rec_empty(void *ctx, hm_consumer_t *c)
{
    (void)ctx;
    (void)c;
}

static const hm_consumer_ops_t rec_ops = { rec_deliver, rec_empty };

/* ---- test messages: an id, a destination and the four schedule properties ---- */

#define TM_DELAY  1
#define TM_PERIOD 2
#define TM_REPEAT 4
#define TM_CRON   8
#define TM_ACTION 16
#define TM_RANGE  32
#define TM_JOBID  64
#define TM_CODEC  77

typedef struct tmsg_s {
    int has;                       /* TM_* bits */
    int64_t delay, period;
    int32_t repeat;
    char cron[64];
    char action[16];
    int64_t from, to;
    char jobid[48];
    char id[32];
    char dest[32];
} tmsg_t;

static void tmsg_get(const void *data, const char *name, size_t len, sel_value_t *out)
{
    const tmsg_t *t = data;
    out->type = SEL_NULL;
    if ((t->has & TM_DELAY) && len == 19 && memcmp(name, "AMQ_SCHEDULED_DELAY", len) == 0) {
        out->type = SEL_LONG;
        out->u.l = t->delay;
    } else if ((t->has & TM_PERIOD) && len == 20 && memcmp(name, "AMQ_SCHEDULED_PERIOD", len) == 0) {
        out->type = SEL_LONG;
        out->u.l = t->period;
    } else if ((t->has & TM_REPEAT) && len == 20 && memcmp(name, "AMQ_SCHEDULED_REPEAT", len) == 0) {
        out->type = SEL_INT;
        out->u.l = t->repeat;
    } else if ((t->has & TM_CRON) && len == 18 && memcmp(name, "AMQ_SCHEDULED_CRON", len) == 0) {
        out->type = SEL_STRING;
        out->u.s.p = t->cron;
        out->u.s.len = strlen(t->cron);
    } else if ((t->has & TM_ACTION) && len == 20 && memcmp(name, "AMQ_SCHEDULER_ACTION", len) == 0) {
        out->type = SEL_STRING;
        out->u.s.p = t->action;
        out->u.s.len = strlen(t->action);
    } else if ((t->has & TM_JOBID) && len == 14 && memcmp(name, "scheduledJobId", len) == 0) {
        out->type = SEL_STRING;
        out->u.s.p = t->jobid;
        out->u.s.len = strlen(t->jobid);
    } else if ((t->has & TM_RANGE) && len == 17 && memcmp(name, "ACTION_START_TIME", len) == 0) {
        out->type = SEL_LONG;
        out->u.l = t->from;
    } else if ((t->has & TM_RANGE) && len == 15 && memcmp(name, "ACTION_END_TIME", len) == 0) {
        out->type = SEL_LONG;
        out->u.l = t->to;
    }
}

static const hm_msg_origin_t tmsg_origin = { "test", TM_CODEC, NULL, tmsg_get, NULL, NULL };

static hm_msg_t *mk_from(const tmsg_t *src)
{
    void *extra;
    hm_msg_t *m = hm_msg_new(sizeof(tmsg_t), &extra);
    tmsg_t *t = memcpy(extra, src, sizeof *t);
    m->dest.kind = HM_QUEUE;
    m->dest.name = t->dest;
    m->message_id = t->id;
    m->persistent = 1;
    m->origin = &tmsg_origin;
    m->origin_data = t;
    return m;
}

static hm_msg_t *mk(const char *dest, const char *id, int has, int64_t delay, int64_t period,
                    int32_t repeat, const char *cron)
{
    tmsg_t t;
    memset(&t, 0, sizeof t);
    t.has = has;
    t.delay = delay;
    t.period = period;
    t.repeat = repeat;
    snprintf(t.cron, sizeof t.cron, "%s", cron ? cron : "");
    snprintf(t.id, sizeof t.id, "%s", id);
    snprintf(t.dest, sizeof t.dest, "%s", dest);
    return mk_from(&t);
}

/* The stored form is the struct itself: enough to prove recovery rebuilds the schedule. */
static apr_status_t tm_encode(const hm_msg_t *m, hm_wbuf_t *out)
{
    hm_wbuf_put(out, m->origin_data, sizeof(tmsg_t));
    return APR_SUCCESS;
}

static apr_status_t tm_decode(const uint8_t *p, size_t len, hm_msg_t **out)
{
    tmsg_t t;
    if (len != sizeof t)
        return HM_EMALFORMED;
    memcpy(&t, p, sizeof t);
    t.id[sizeof t.id - 1] = t.dest[sizeof t.dest - 1] = t.cron[sizeof t.cron - 1] = 0;
    *out = mk_from(&t);
    return APR_SUCCESS;
}

static const hm_msg_codec_t tm_codec = { TM_CODEC, "test", tm_encode, tm_decode };

/* ---- brokers ---- */

static hm_broker_t *broker_new(int sched, st_store_t *store)
{
    apr_pool_t *p;
    apr_pool_create(&p, pool);
    hm_broker_opts_t bo = { .name = "t", .store = store, .scheduler_support = sched };
    hm_broker_t *b = NULL;
    CU_ASSERT_FATAL(hm_broker_create(p, &bo, &b) == APR_SUCCESS);
    hm_broker_register_codec(b, &tm_codec);
    return b;
}

static hm_client_t *client(hm_broker_t *b)
{
    hm_client_t *c = NULL;
    char err[64];
    CU_ASSERT_FATAL(hm_client_open(b, "conn", NULL, NULL, &c, err, sizeof err) == APR_SUCCESS);
    return c;
}

static void consume(hm_client_t *cl, const char *dest, rec_t *r)
{
    hm_consumer_opts_t o;
    memset(&o, 0, sizeof o);
    o.dest.kind = HM_QUEUE;
    o.dest.name = dest;
    o.prefetch = 100;
    hm_consumer_t *c;
    char err[64];
    CU_ASSERT_FATAL(hm_consumer_open(cl, &o, &rec_ops, r, &c, err, sizeof err) == APR_SUCCESS);
}

static apr_status_t tsend(hm_client_t *cl, hm_msg_t *m)
{
    char err[128] = "";
    apr_status_t st = hm_send(cl, m, NULL, NULL, err, sizeof err);
    hm_msg_unref(m);
    return st;
}

#define MS(x) ((apr_time_t)(x) * 1000)

/* Ticks every 50 ms from..to (absolute times), as the server's event loop does. */
static void run_ticks(hm_broker_t *b, apr_time_t from, apr_time_t to)
{
    for (apr_time_t t = from; t <= to; t += MS(50))
        hm_broker_tick(b, t);
}

/* ---- cron ---- */

static int64_t utc(int y, int mo, int d, int h, int mi)
{
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    tm.tm_year = y - 1900;
    tm.tm_mon = mo - 1;
    tm.tm_mday = d;
    tm.tm_hour = h;
    tm.tm_min = mi;
    return (int64_t)timegm(&tm) * 1000;
}

static void test_cron_next_table(void)
{
    static const struct {
        const char *cron;
        int from[5];               /* y m d h mi (plus 30 s) */
        int want[5];
    } cases[] = {
        { "* * * * *",        { 2026, 11, 22, 4, 10 }, { 2026, 11, 22, 4, 11 } },
        { "0 * * * *",        { 2026, 11, 22, 4, 10 }, { 2026, 11, 22, 5, 0 } },
        { "*/15 * * * *",     { 2026, 11, 22, 4, 10 }, { 2026, 11, 22, 4, 15 } },
        { "*/15 * * * *",     { 2026, 11, 22, 4, 45 }, { 2026, 11, 22, 5, 0 } },
        { "30 2 * * *",       { 2026, 11, 22, 4, 10 }, { 2026, 11, 23, 2, 30 } },
        { "0 0 1 * *",        { 2026, 11, 22, 4, 10 }, { 2026, 12, 1, 0, 0 } },
        { "0 0 1 1 *",        { 2026, 11, 22, 4, 10 }, { 2027, 1, 1, 0, 0 } },
        { "0 12 * * 1",       { 2026, 11, 22, 4, 10 }, { 2026, 11, 23, 12, 0 } },  /* 22nd: Sunday */
        { "0 12 * * 7",       { 2026, 11, 22, 4, 10 }, { 2026, 11, 22, 12, 0 } },  /* 7 = Sunday */
        { "0 9 * * 1-5",      { 2026, 11, 20, 18, 0 }, { 2026, 11, 23, 9, 0 } },   /* Fri eve */
        { "5,35 10-11 * * *", { 2026, 11, 22, 10, 35 }, { 2026, 11, 22, 11, 5 } },
        { "0 0 29 2 *",       { 2026, 11, 22, 4, 10 }, { 2028, 2, 29, 0, 0 } },
        { "0 0 31 * *",       { 2026, 11, 22, 4, 10 }, { 2026, 12, 31, 0, 0 } },
        { "0 0 13 * 5",       { 2026, 11, 22, 4, 10 }, { 2026, 11, 27, 0, 0 } },   /* 13th or Friday */
        { "59 23 31 12 ?",    { 2026, 12, 31, 23, 59 }, { 2027, 12, 31, 23, 59 } },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        hm_cron_t c;
        int64_t next = 0;
        CU_ASSERT_EQUAL_FATAL(hm_cron_parse(cases[i].cron, &c), APR_SUCCESS);
        const int *f = cases[i].from, *w = cases[i].want;
        CU_ASSERT_EQUAL(hm_cron_next(&c, utc(f[0], f[1], f[2], f[3], f[4]) + 30000, &next), APR_SUCCESS);
        if (next != utc(w[0], w[1], w[2], w[3], w[4]))
            fprintf(stderr, "\n  cron '%s': got %lld want %lld\n", cases[i].cron, (long long)next,
                    (long long)utc(w[0], w[1], w[2], w[3], w[4]));
        CU_ASSERT_EQUAL(next, utc(w[0], w[1], w[2], w[3], w[4]));
    }
    hm_cron_t c;
    int64_t next;
    CU_ASSERT_EQUAL(hm_cron_parse("0 0 30 2 *", &c), APR_SUCCESS);
    CU_ASSERT_EQUAL(hm_cron_next(&c, utc(2026, 1, 1, 0, 0), &next), HM_ENOTFOUND);
}

static void test_cron_parse_rejects(void)
{
    static const char *bad[] = { "", "* * * *", "* * * * * *", "60 * * * *", "* 24 * * *",
                                 "* * 0 * *", "* * 32 * *", "* * * 13 *", "* * * * 8", "a * * * *",
                                 "1- * * * *", "5-1 * * * *", "*/0 * * * *", "1,,2 * * * *",
                                 "1, * * * *", "-1 * * * *", "*/ * * * *", "1/x * * * *" };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        hm_cron_t c;
        if (hm_cron_parse(bad[i], &c) == APR_SUCCESS)
            fprintf(stderr, "\n  accepted '%s'\n", bad[i]);
        CU_ASSERT_NOT_EQUAL(hm_cron_parse(bad[i], &c), APR_SUCCESS);
    }
    hm_cron_t c;
    CU_ASSERT_EQUAL(hm_cron_parse("  0-59/20  1,2,3 */2 1-12/3 0-6  ", &c), APR_SUCCESS);
    CU_ASSERT_EQUAL(c.minutes, (UINT64_C(1) << 0) | (UINT64_C(1) << 20) | (UINT64_C(1) << 40));
    CU_ASSERT_EQUAL(c.months, (1 << 1) | (1 << 4) | (1 << 7) | (1 << 10));
}

/* ---- delivery ---- */

static void test_delay_respected(void)
{
    hm_broker_t *b = broker_new(1, NULL);
    hm_client_t *cl = client(b);
    rec_t r = { 0 };
    consume(cl, "d.q", &r);
    apr_time_t t0 = apr_time_now();
    CU_ASSERT_EQUAL(tsend(cl, mk("d.q", "m1", TM_DELAY, 1000, 0, 0, NULL)), APR_SUCCESS);
    CU_ASSERT_EQUAL(r.n, 0);
    CU_ASSERT_EQUAL(hm_sched_pending(b), 1);
    run_ticks(b, t0, t0 + MS(999));
    CU_ASSERT_EQUAL(r.n, 0);                     /* never before the delay */
    run_ticks(b, t0 + MS(1000), t0 + MS(1600));  /* ActiveMQ rounds the start up to 500 ms */
    CU_ASSERT_EQUAL(r.n, 1);
    CU_ASSERT_STRING_EQUAL(r.ids[0], "m1");
    CU_ASSERT_EQUAL(hm_sched_pending(b), 0);
    run_ticks(b, t0 + MS(1600), t0 + MS(5000));
    CU_ASSERT_EQUAL(r.n, 1);
    hm_client_close(cl);
    hm_broker_destroy(b);
}

static void test_period_repeat_count(void)
{
    hm_broker_t *b = broker_new(1, NULL);
    hm_client_t *cl = client(b);
    rec_t r = { 0 };
    consume(cl, "p.q", &r);
    apr_time_t t0 = apr_time_now();
    CU_ASSERT_EQUAL(tsend(cl, mk("p.q", "rep", TM_DELAY | TM_PERIOD | TM_REPEAT, 200, 300, 3, NULL)), APR_SUCCESS);
    /* period without delay: first copy one period after the start, repeat 1 -> 2 copies */
    rec_t r2 = { 0 };
    consume(cl, "p2.q", &r2);
    CU_ASSERT_EQUAL(tsend(cl, mk("p2.q", "per", TM_PERIOD | TM_REPEAT, 0, 400, 1, NULL)), APR_SUCCESS);
    run_ticks(b, t0, t0 + MS(350));
    CU_ASSERT_EQUAL(r2.n, 0);
    run_ticks(b, t0 + MS(400), t0 + MS(5000));
    CU_ASSERT_EQUAL(r.n, 4);                     /* repeat + 1 */
    CU_ASSERT_EQUAL(r2.n, 2);
    CU_ASSERT_EQUAL(hm_sched_pending(b), 0);
    hm_client_close(cl);
    hm_broker_destroy(b);
}

static void test_zero_period_one_copy_per_tick(void)
{
    hm_broker_t *b = broker_new(1, NULL);
    hm_client_t *cl = client(b);
    rec_t r = { 0 };
    consume(cl, "z.q", &r);
    apr_time_t t0 = apr_time_now();
    CU_ASSERT_EQUAL(tsend(cl, mk("z.q", "zero", TM_DELAY | TM_PERIOD | TM_REPEAT, 100, 0, 3, NULL)), APR_SUCCESS);
    hm_broker_tick(b, t0 + MS(700));
    CU_ASSERT_EQUAL(r.n, 1);                     /* not all four inside one tick */
    run_ticks(b, t0 + MS(750), t0 + MS(2000));
    CU_ASSERT_EQUAL(r.n, 4);
    CU_ASSERT_EQUAL(hm_sched_pending(b), 0);
    hm_client_close(cl);
    hm_broker_destroy(b);
}

static void test_repeat_forever_until_destroy(void)
{
    hm_broker_t *b = broker_new(1, NULL);
    hm_client_t *cl = client(b);
    rec_t r = { 0 };
    consume(cl, "f.q", &r);
    apr_time_t t0 = apr_time_now();
    CU_ASSERT_EQUAL(tsend(cl, mk("f.q", "forever", TM_PERIOD | TM_REPEAT, 0, 1000, -1, NULL)), APR_SUCCESS);
    run_ticks(b, t0, t0 + MS(10600));
    CU_ASSERT(r.n >= 9 && r.n <= 11);
    CU_ASSERT_EQUAL(hm_sched_pending(b), 1);
    hm_client_close(cl);
    hm_broker_destroy(b);                        /* pending job freed (asan checks) */
}

static void test_order_of_delays(void)
{
    hm_broker_t *b = broker_new(1, NULL);
    hm_client_t *cl = client(b);
    rec_t r = { 0 };
    consume(cl, "o.q", &r);
    apr_time_t t0 = apr_time_now();
    const char *ids[] = { "c", "a", "d", "b" };
    int64_t delays[] = { 3000, 1000, 4000, 2000 };
    for (int i = 0; i < 4; i++)
        CU_ASSERT_EQUAL(tsend(cl, mk("o.q", ids[i], TM_DELAY, delays[i], 0, 0, NULL)), APR_SUCCESS);
    CU_ASSERT_EQUAL(tsend(cl, mk("o.q", "now", 0, 0, 0, 0, NULL)), APR_SUCCESS);
    run_ticks(b, t0, t0 + MS(6000));
    CU_ASSERT_EQUAL_FATAL(r.n, 5);
    CU_ASSERT_STRING_EQUAL(r.ids[0], "now");
    CU_ASSERT_STRING_EQUAL(r.ids[1], "a");
    CU_ASSERT_STRING_EQUAL(r.ids[2], "b");
    CU_ASSERT_STRING_EQUAL(r.ids[3], "c");
    CU_ASSERT_STRING_EQUAL(r.ids[4], "d");
    hm_client_close(cl);
    hm_broker_destroy(b);
}

static void test_cron_with_repeat_starts_jobs(void)
{
    hm_broker_t *b = broker_new(1, NULL);
    hm_client_t *cl = client(b);
    rec_t r = { 0 }, r2 = { 0 };
    consume(cl, "c.q", &r);
    consume(cl, "c2.q", &r2);
    /* The send rounds its start up to 500 ms, and the first cron time is the next whole minute
     * after that start: starting in the last second of a minute would push it a minute on. */
    if (apr_time_now() % MS(60000) > MS(58500))
        apr_sleep(MS(60000) - apr_time_now() % MS(60000) + MS(10));
    apr_time_t t0 = apr_time_now();
    /* every minute: one copy each minute */
    CU_ASSERT_EQUAL(tsend(cl, mk("c.q", "cron", TM_CRON, 0, 0, 0, "* * * * *")), APR_SUCCESS);
    /* every minute, repeat 2 period 1 s: each cron time starts a job of 3 copies */
    CU_ASSERT_EQUAL(tsend(cl, mk("c2.q", "cronrep", TM_CRON | TM_PERIOD | TM_REPEAT, 0, 1000, 2, "* * * * *")), APR_SUCCESS);
    /* up to 30 s past the 4th whole minute after t0: exactly 4 cron times, each with room for
     * its two repeats whatever second of the minute the test starts at */
    apr_time_t end = t0 - t0 % MS(60000) + MS(60000 * 4 + 30000);
    run_ticks(b, t0, end);
    CU_ASSERT_EQUAL(r.n, 4);
    CU_ASSERT_EQUAL(r2.n, 3 * r.n);
    CU_ASSERT(hm_sched_pending(b) >= 2);         /* the cron jobs stay */
    hm_client_close(cl);
    hm_broker_destroy(b);
}

static void test_off_and_invalid(void)
{
    hm_broker_t *off = broker_new(0, NULL);
    hm_client_t *cl = client(off);
    rec_t r = { 0 };
    consume(cl, "x.q", &r);
    CU_ASSERT_EQUAL(tsend(cl, mk("x.q", "ignored", TM_DELAY, 60000, 0, 0, NULL)), APR_SUCCESS);
    CU_ASSERT_EQUAL(r.n, 1);                     /* schedulerSupport off: at once */
    CU_ASSERT_EQUAL(tsend(cl, mk("x.q", "badcron", TM_CRON, 0, 0, 0, "nonsense")), APR_SUCCESS);
    CU_ASSERT_EQUAL(r.n, 2);
    hm_client_close(cl);
    hm_broker_destroy(off);

    hm_broker_t *b = broker_new(1, NULL);
    cl = client(b);
    rec_t r2 = { 0 };
    consume(cl, "x.q", &r2);
    CU_ASSERT_EQUAL(tsend(cl, mk("x.q", "badcron", TM_CRON, 0, 0, 0, "nonsense")), HM_EMALFORMED);
    CU_ASSERT_EQUAL(tsend(cl, mk("x.q", "toomany", TM_DELAY | TM_REPEAT, 10, 10, 1001, NULL)), HM_EMALFORMED);
    CU_ASSERT_EQUAL(hm_sched_pending(b), 0);
    apr_time_t t0 = apr_time_now();
    CU_ASSERT_EQUAL(tsend(cl, mk("x.q", "negative", TM_DELAY, -5000, 0, 0, NULL)), APR_SUCCESS);
    run_ticks(b, t0, t0 + MS(600));              /* a negative delay is none */
    CU_ASSERT_EQUAL(r2.n, 1);
    /* repeat alone does not schedule (ActiveMQ needs delay, period or cron) */
    CU_ASSERT_EQUAL(tsend(cl, mk("x.q", "repeatonly", TM_REPEAT, 0, 0, 5, NULL)), APR_SUCCESS);
    CU_ASSERT_EQUAL(r2.n, 2);
    hm_client_close(cl);
    hm_broker_destroy(b);
}

static void test_transaction_schedules_at_commit(void)
{
    hm_broker_t *b = broker_new(1, NULL);
    hm_client_t *cl = client(b);
    rec_t r = { 0 };
    consume(cl, "t.q", &r);
    hm_msg_t *ms[2] = { mk("t.q", "tx-late", TM_DELAY, 1000, 0, 0, NULL), mk("t.q", "tx-now", 0, 0, 0, 0, NULL) };
    apr_time_t t0 = apr_time_now();
    char err[128];
    CU_ASSERT_EQUAL(hm_commit(cl, ms, 2, NULL, 0, NULL, NULL, err, sizeof err), APR_SUCCESS);
    CU_ASSERT_EQUAL(r.n, 1);
    CU_ASSERT_STRING_EQUAL(r.ids[0], "tx-now");
    CU_ASSERT_EQUAL(hm_sched_pending(b), 1);
    run_ticks(b, t0, t0 + MS(999));
    CU_ASSERT_EQUAL(r.n, 1);
    run_ticks(b, t0 + MS(1000), t0 + MS(1600));
    CU_ASSERT_EQUAL(r.n, 2);
    CU_ASSERT_STRING_EQUAL(r.ids[1], "tx-late");
    hm_msg_unref(ms[0]);
    hm_msg_unref(ms[1]);
    /* a transaction refused as a whole schedules nothing */
    hm_msg_t *bad[2] = { mk("t.q", "tx-ok", TM_DELAY, 100, 0, 0, NULL), mk("t.q", "tx-bad", TM_CRON, 0, 0, 0, "x") };
    CU_ASSERT_EQUAL(hm_commit(cl, bad, 2, NULL, 0, NULL, NULL, err, sizeof err), HM_EMALFORMED);
    CU_ASSERT_EQUAL(hm_sched_pending(b), 0);
    hm_msg_unref(bad[0]);
    hm_msg_unref(bad[1]);
    hm_client_close(cl);
    hm_broker_destroy(b);
}

static hm_xid_t xid_of(int n)
{
    hm_xid_t x;
    memset(&x, 0, sizeof x);
    x.format = 1;
    x.gtrid_len = 4;
    memcpy(x.gtrid, &n, 4);
    x.bqual_len = 1;
    x.bqual[0] = 7;
    return x;
}

static int count_id(const rec_t *r, const char *id)
{
    int n = 0;
    for (int i = 0; i < r->n && i < 64; i++)
        n += strcmp(r->ids[i], id) == 0;
    return n;
}

/* Issue 5: a delayed message sent in an XA branch is held until the branch commits, then waits
 * its delay counted from the commit; a rolled-back branch schedules nothing; a branch in doubt
 * across a restart keeps its scheduled message (with its repeats) for the commit. */
static void test_xa_branch_schedules_at_commit(void)
{
    st_options_t so;
    st_options_default(&so);
    st_store_t *store;
    CU_ASSERT_FATAL(st_open(pool, &so, &store) == APR_SUCCESS);
    hm_broker_t *b = broker_new(1, store);
    hm_client_t *cl = client(b);
    rec_t r = { 0 };
    consume(cl, "xa.q", &r);
    char err[128];
    hm_xid_t xa = xid_of(1), xb = xid_of(2), xc = xid_of(3);

    hm_msg_t *ms[2] = { mk("xa.q", "xa-late", TM_DELAY, 1000, 0, 0, NULL), mk("xa.q", "xa-now", 0, 0, 0, 0, NULL) };
    apr_time_t t0 = apr_time_now();
    CU_ASSERT_EQUAL(hm_xa_prepare(cl, &xa, ms, 2, NULL, 0, NULL, NULL, err, sizeof err), APR_SUCCESS);
    CU_ASSERT_EQUAL(hm_sched_pending(b), 0);     /* not the scheduler's before the commit */
    run_ticks(b, t0, t0 + MS(3000));
    CU_ASSERT_EQUAL(r.n, 0);
    CU_ASSERT_EQUAL(hm_xa_commit(b, &xa, NULL, NULL), APR_SUCCESS);
    apr_time_t tc = apr_time_now();
    CU_ASSERT_EQUAL(r.n, 1);
    CU_ASSERT_STRING_EQUAL(r.ids[0], "xa-now");
    CU_ASSERT_EQUAL(hm_sched_pending(b), 1);
    run_ticks(b, tc, tc + MS(999));
    CU_ASSERT_EQUAL(r.n, 1);
    run_ticks(b, tc + MS(1000), tc + MS(1600));
    CU_ASSERT_EQUAL(r.n, 2);
    CU_ASSERT_EQUAL(count_id(&r, "xa-late"), 1);
    hm_msg_unref(ms[0]);
    hm_msg_unref(ms[1]);

    /* rollback: nothing scheduled, nothing delivered */
    hm_msg_t *rb = mk("xa.q", "xa-rolled", TM_DELAY, 100, 0, 0, NULL);
    CU_ASSERT_EQUAL(hm_xa_prepare(cl, &xb, &rb, 1, NULL, 0, NULL, NULL, err, sizeof err), APR_SUCCESS);
    CU_ASSERT_EQUAL(hm_xa_rollback(b, &xb, NULL, NULL), APR_SUCCESS);
    CU_ASSERT_EQUAL(hm_sched_pending(b), 0);
    run_ticks(b, tc + MS(1600), tc + MS(3000));
    CU_ASSERT_EQUAL(count_id(&r, "xa-rolled"), 0);
    hm_msg_unref(rb);

    /* in doubt across a restart: a repeating job comes back with the branch */
    hm_msg_t *rep = mk("xa.q", "xa-rep", TM_DELAY | TM_PERIOD | TM_REPEAT, 200, 100, 2, NULL);
    CU_ASSERT_EQUAL(hm_xa_prepare(cl, &xc, &rep, 1, NULL, 0, NULL, NULL, err, sizeof err), APR_SUCCESS);
    hm_msg_unref(rep);
    hm_client_close(cl);
    hm_broker_destroy(b);

    hm_broker_t *b2 = broker_new(1, store);
    CU_ASSERT_EQUAL_FATAL(hm_broker_recover(b2), APR_SUCCESS);
    hm_xid_t found[4];
    CU_ASSERT_EQUAL(hm_xa_recover(b2, found, 4), 1);
    CU_ASSERT_EQUAL(hm_sched_pending(b2), 0);
    cl = client(b2);
    rec_t r2 = { 0 };
    consume(cl, "xa.q", &r2);
    apr_time_t t2 = apr_time_now();
    run_ticks(b2, t2, t2 + MS(2000));
    CU_ASSERT_EQUAL(r2.n, 0);
    CU_ASSERT_EQUAL(hm_xa_commit(b2, &xc, NULL, NULL), APR_SUCCESS);
    CU_ASSERT_EQUAL(hm_sched_pending(b2), 1);
    tc = apr_time_now();
    run_ticks(b2, tc, tc + MS(3000));
    CU_ASSERT_EQUAL(count_id(&r2, "xa-rep"), 3);   /* repeat 2: three copies */
    CU_ASSERT_EQUAL(hm_sched_pending(b2), 0);
    hm_client_close(cl);
    hm_broker_destroy(b2);

    st_stats_t stats;
    CU_ASSERT_EQUAL(st_stats(store, &stats), APR_SUCCESS);
    CU_ASSERT_EQUAL(stats.messages, 0);
    CU_ASSERT_EQUAL(stats.prepared, 0);
    st_close(store);
}

static hm_msg_t *mgmt(const char *action, int has, int64_t from, int64_t to, const char *jobid)
{
    tmsg_t t;
    memset(&t, 0, sizeof t);
    t.has = TM_ACTION | has;
    snprintf(t.action, sizeof t.action, "%s", action);
    t.from = from;
    t.to = to;
    snprintf(t.jobid, sizeof t.jobid, "%s", jobid ? jobid : "");
    snprintf(t.id, sizeof t.id, "ID:admin:1:1:1:1");
    snprintf(t.dest, sizeof t.dest, "ActiveMQ.Scheduler.Management");
    return mk_from(&t);
}

static void test_management_remove(void)
{
    st_options_t so;
    st_options_default(&so);
    st_store_t *store;
    CU_ASSERT_FATAL(st_open(pool, &so, &store) == APR_SUCCESS);
    hm_broker_t *b = broker_new(1, store);
    hm_client_t *cl = client(b);
    rec_t r = { 0 }, admin = { 0 };
    consume(cl, "m.q", &r);
    consume(cl, "ActiveMQ.Scheduler.Management", &admin);
    apr_time_t t0 = apr_time_now();
    int64_t now_ms = apr_time_as_msec(t0);
    CU_ASSERT_EQUAL(tsend(cl, mk("m.q", "ID:p:1:1:1:1", TM_DELAY, 10000, 0, 0, NULL)), APR_SUCCESS);
    CU_ASSERT_EQUAL(tsend(cl, mk("m.q", "ID:p:1:1:1:2", TM_DELAY, 20000, 0, 0, NULL)), APR_SUCCESS);
    CU_ASSERT_EQUAL(tsend(cl, mk("m.q", "ID:p:1:1:1:3", TM_DELAY, 30000, 0, 0, NULL)), APR_SUCCESS);
    CU_ASSERT_EQUAL(hm_sched_pending(b), 3);
    /* an unknown id and an unknown action change nothing */
    CU_ASSERT_EQUAL(tsend(cl, mgmt("REMOVE", TM_JOBID, 0, 0, "ID:nope:1")), APR_SUCCESS);
    CU_ASSERT_EQUAL(tsend(cl, mgmt("SHUFFLE", 0, 0, 0, NULL)), APR_SUCCESS);
    CU_ASSERT_EQUAL(hm_sched_pending(b), 3);
    /* REMOVEALL within a time range: only the 20 s one */
    CU_ASSERT_EQUAL(tsend(cl, mgmt("REMOVEALL", TM_RANGE, now_ms + 15000, now_ms + 25000, NULL)), APR_SUCCESS);
    CU_ASSERT_EQUAL(hm_sched_pending(b), 2);
    /* REMOVE by job id: "<producer id>:<job number>", the first job was number 1 */
    CU_ASSERT_EQUAL(tsend(cl, mgmt("REMOVE", TM_JOBID, 0, 0, "ID:p:1:1:1:1")), APR_SUCCESS);
    CU_ASSERT_EQUAL(hm_sched_pending(b), 1);
    CU_ASSERT_EQUAL(admin.n, 0);                 /* management messages are consumed */
    run_ticks(b, t0, t0 + MS(31000));
    CU_ASSERT_EQUAL_FATAL(r.n, 1);
    CU_ASSERT_STRING_EQUAL(r.ids[0], "ID:p:1:1:1:3");
    CU_ASSERT_EQUAL(tsend(cl, mk("m.q", "ID:p:1:1:1:4", TM_DELAY, 10000, 0, 0, NULL)), APR_SUCCESS);
    CU_ASSERT_EQUAL(tsend(cl, mk("m.q", "ID:p:1:1:1:5", TM_PERIOD | TM_REPEAT, 0, 1000, -1, NULL)), APR_SUCCESS);
    CU_ASSERT_EQUAL(tsend(cl, mgmt("REMOVEALL", 0, 0, 0, NULL)), APR_SUCCESS);
    CU_ASSERT_EQUAL(hm_sched_pending(b), 0);
    hm_client_close(cl);
    hm_broker_destroy(b);
    /* removed jobs are gone from the store too */
    hm_broker_t *b2 = broker_new(1, store);
    CU_ASSERT_EQUAL(hm_broker_recover(b2), APR_SUCCESS);
    CU_ASSERT_EQUAL(hm_sched_pending(b2), 0);
    hm_broker_destroy(b2);
    st_close(store);
}

/* ---- persistence ---- */

static void test_recovery_from_store(void)
{
    st_options_t so;
    st_options_default(&so);
    st_store_t *store;
    CU_ASSERT_FATAL(st_open(pool, &so, &store) == APR_SUCCESS);

    hm_broker_t *b = broker_new(1, store);
    hm_client_t *cl = client(b);
    apr_time_t t0 = apr_time_now();
    CU_ASSERT_EQUAL(tsend(cl, mk("s.q", "late", TM_DELAY, 5000, 0, 0, NULL)), APR_SUCCESS);
    CU_ASSERT_EQUAL(tsend(cl, mk("s.q", "rep", TM_DELAY | TM_PERIOD | TM_REPEAT, 100, 1000, 3, NULL)), APR_SUCCESS);
    /* "rep" fires once (then 3 remain) before the broker goes away */
    rec_t r = { 0 };
    consume(cl, "s.q", &r);
    run_ticks(b, t0, t0 + MS(700));
    CU_ASSERT_EQUAL(r.n, 1);
    CU_ASSERT_EQUAL(hm_sched_pending(b), 2);
    hm_client_close(cl);
    hm_broker_destroy(b);

    st_stats_t stats;
    CU_ASSERT_EQUAL(st_stats(store, &stats), APR_SUCCESS);
    CU_ASSERT_EQUAL(stats.messages, 2);          /* each body stored once */

    hm_broker_t *b2 = broker_new(1, store);
    CU_ASSERT_EQUAL_FATAL(hm_broker_recover(b2), APR_SUCCESS);
    CU_ASSERT_EQUAL(hm_sched_pending(b2), 2);
    cl = client(b2);
    rec_t r2 = { 0 };
    consume(cl, "s.q", &r2);
    run_ticks(b2, t0 + MS(700), t0 + MS(4999));
    int before = 0;
    for (int i = 0; i < r2.n && i < 64; i++)
        before += strcmp(r2.ids[i], "late") == 0;
    CU_ASSERT_EQUAL(before, 0);                  /* the delay still holds after recovery */
    run_ticks(b2, t0 + MS(5000), t0 + MS(9000));
    int late = 0, rep = 0;
    for (int i = 0; i < r2.n && i < 64; i++) {
        late += strcmp(r2.ids[i], "late") == 0;
        rep += strcmp(r2.ids[i], "rep") == 0;
    }
    CU_ASSERT_EQUAL(late, 1);
    CU_ASSERT_EQUAL(rep, 3);                     /* the remaining repeats, not all 4 again */
    CU_ASSERT_EQUAL(hm_sched_pending(b2), 0);
    hm_client_close(cl);
    hm_broker_destroy(b2);

    /* everything delivered (and consumed): nothing of the schedule is left in the store */
    CU_ASSERT_EQUAL(st_stats(store, &stats), APR_SUCCESS);
    CU_ASSERT_EQUAL(stats.messages, 0);
    hm_broker_t *b3 = broker_new(1, store);
    CU_ASSERT_EQUAL(hm_broker_recover(b3), APR_SUCCESS);
    CU_ASSERT_EQUAL(hm_sched_pending(b3), 0);
    hm_broker_destroy(b3);
    st_close(store);
}

/* A cron job with repeat starts a follow-up job at each cron time; both survive a restart. */
static void test_cron_followup_recovered(void)
{
    st_options_t so;
    st_options_default(&so);
    st_store_t *store;
    CU_ASSERT_FATAL(st_open(pool, &so, &store) == APR_SUCCESS);
    hm_broker_t *b = broker_new(1, store);
    hm_client_t *cl = client(b);
    if (apr_time_now() % MS(60000) > MS(58500))  /* as above: not across a minute's end */
        apr_sleep(MS(60000) - apr_time_now() % MS(60000) + MS(10));
    apr_time_t t0 = apr_time_now();
    CU_ASSERT_EQUAL(tsend(cl, mk("cr.q", "cronrep", TM_CRON | TM_PERIOD | TM_REPEAT, 0, 1000, 1, "* * * * *")), APR_SUCCESS);
    /* the first cron time: the next minute after the start (now rounded up to 500 ms) */
    int64_t start = (apr_time_as_msec(t0) + 500) / 500 * 500;
    apr_time_t first = MS((start / 60000 + 1) * 60000 + 1000);   /* cron minute + the period */
    hm_broker_tick(b, first - MS(1));
    CU_ASSERT_EQUAL(hm_sched_pending(b), 1);
    hm_broker_tick(b, first);
    CU_ASSERT_EQUAL(hm_sched_pending(b), 2);     /* the cron job and its follow-up */
    hm_client_close(cl);
    hm_broker_destroy(b);
    st_stats_t stats;
    CU_ASSERT_EQUAL(st_stats(store, &stats), APR_SUCCESS);
    CU_ASSERT_EQUAL(stats.messages, 1);          /* one body for both */

    hm_broker_t *b2 = broker_new(1, store);
    CU_ASSERT_EQUAL_FATAL(hm_broker_recover(b2), APR_SUCCESS);
    CU_ASSERT_EQUAL(hm_sched_pending(b2), 2);
    cl = client(b2);
    rec_t r = { 0 };
    consume(cl, "cr.q", &r);
    run_ticks(b2, first, first + MS(5000));
    CU_ASSERT_EQUAL(r.n, 2);                     /* repeat 1: two copies, then the follow-up ends */
    CU_ASSERT_EQUAL(hm_sched_pending(b2), 1);
    hm_client_close(cl);
    hm_broker_destroy(b2);
    st_close(store);
}

int main(void)
{
    setenv("TZ", "UTC", 1);
    tzset();
    apr_initialize();
    apr_pool_create(&pool, NULL);
    CU_initialize_registry();
    CU_pSuite s = CU_add_suite("scheduler", NULL, NULL);
    CU_add_test(s, "cron next time table", test_cron_next_table);
    CU_add_test(s, "cron entries refused", test_cron_parse_rejects);
    CU_add_test(s, "delay respected", test_delay_respected);
    CU_add_test(s, "period and repeat count", test_period_repeat_count);
    CU_add_test(s, "zero period: one copy per tick", test_zero_period_one_copy_per_tick);
    CU_add_test(s, "repeat forever until destroy", test_repeat_forever_until_destroy);
    CU_add_test(s, "several delays in due order", test_order_of_delays);
    CU_add_test(s, "cron, and cron with repeat", test_cron_with_repeat_starts_jobs);
    CU_add_test(s, "scheduler off; invalid schedules", test_off_and_invalid);
    CU_add_test(s, "a transaction schedules at commit", test_transaction_schedules_at_commit);
    CU_add_test(s, "an XA branch schedules at commit", test_xa_branch_schedules_at_commit);
    CU_add_test(s, "management REMOVE and REMOVEALL", test_management_remove);
    CU_add_test(s, "persistence and recovery", test_recovery_from_store);
    CU_add_test(s, "cron follow-up recovered", test_cron_followup_recovered);
    CU_basic_set_mode(CU_BRM_VERBOSE);
    CU_basic_run_tests();
    unsigned failed = CU_get_number_of_failures();
    CU_cleanup_registry();
    apr_pool_destroy(pool);
    apr_terminate();
    return failed ? 1 : 0;
}
