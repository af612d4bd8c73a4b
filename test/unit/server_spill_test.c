/* Spill (server/hm_spill.c): a broker with temporary storage moves non-persistent messages
 * beyond 70% of the memory limit there instead of holding the producer, brings them back in
 * order as a consumer drains, holds sends only when temporary storage is full, keeps a
 * vm-cursor destination in memory, and forgets a deleted queue's spilled messages. */
#include <CUnit/Basic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <apr_general.h>

#include "hm_int.h"
#include "hm_log.h"
#include "st_temp.h"

#define TEST_CODEC 202
#define N 3000
#define SIZE 1000
#define LIMIT (100 * 1000)                /* memory: 100 messages; spilling past 70 */

static apr_pool_t *pool;

static const hm_msg_origin_t origin = { "test", TEST_CODEC, NULL, NULL, NULL, NULL };

static hm_msg_t *mk(const char *q, int n, int prio)
{
    void *extra;
    hm_msg_t *m = hm_msg_new(96, &extra);
    snprintf(extra, 32, "m%d", n);
    m->message_id = extra;
    m->dest.kind = HM_QUEUE;
    m->dest.name = strcpy((char *)extra + 32, q);
    m->priority = prio;
    m->size = SIZE;
    m->origin = &origin;
    return m;
}

/* The stored form: priority, destination length, destination, id. */
static apr_status_t enc(const hm_msg_t *m, hm_wbuf_t *out)
{
    hm_wbuf_u8(out, (uint8_t)m->priority);
    hm_wbuf_u8(out, (uint8_t)strlen(m->dest.name));
    hm_wbuf_put(out, m->dest.name, strlen(m->dest.name));
    hm_wbuf_put(out, m->message_id, strlen(m->message_id));
    return out->err;
}

static apr_status_t dec(const uint8_t *p, size_t len, hm_msg_t **out)
{
    if (len < 3 || p[1] > 60 || len - 2 - p[1] > 20)
        return HM_EMALFORMED;
    char q[64], id[24];
    memcpy(q, p + 2, p[1]);
    q[p[1]] = '\0';
    memcpy(id, p + 2 + p[1], len - 2 - p[1]);
    id[len - 2 - p[1]] = '\0';
    *out = mk(q, atoi(id + 1), p[0]);
    return APR_SUCCESS;
}

static const hm_msg_codec_t codec = { TEST_CODEC, "test", enc, dec };

/* vm.* has a vm cursor (stays in memory); half.* spills past 30% (cursorMemoryHighWaterMark) */
static void policy(void *baton, hm_dname_t d, hm_dest_policy_t *out)
{
    (void)baton;
    if (strncmp(d.name, "vm.", 3) == 0)
        out->memory_only = 1;
    else if (strncmp(d.name, "half.", 5) == 0)
        out->spill_pct = 30;
}

typedef struct {
    int n;
    int ids[N + 16];
    int prio[N + 16];
    hm_delivery_t *pending[N + 16];
    int npending;
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

static void rec_empty(void *ctx, hm_consumer_t *c) { (void)ctx; (void)c; }
static const hm_consumer_ops_t ops = { rec_deliver, rec_empty };

static void drain(hm_consumer_t *k, rec_t *r)
{
    while (r->npending > 0)
        hm_consumer_ack(k, r->pending[--r->npending], HM_ACK_CONSUMED, NULL, NULL);
}

typedef struct {
    char dir[64];
    hm_broker_t *b;
    hm_client_t *c;
} env_t;

static void start(env_t *e, int64_t temp_limit)
{
    char err[256];
    snprintf(e->dir, sizeof e->dir, "/tmp/hermod-spill-XXXXXX");
    CU_ASSERT_FATAL(mkdtemp(e->dir) != NULL);
    hm_broker_opts_t bo = { .name = "spill", .memory_limit = LIMIT, .temp_limit = temp_limit,
                            .temp_dir = e->dir, .policy = policy };
    CU_ASSERT_FATAL(hm_broker_create(pool, &bo, &e->b) == APR_SUCCESS);
    CU_ASSERT_FATAL(e->b->temp != NULL);
    hm_broker_register_codec(e->b, &codec);
    CU_ASSERT_FATAL(hm_client_open(e->b, "ID:p", NULL, NULL, &e->c, err, sizeof err) == APR_SUCCESS);
}

static void finish(env_t *e)
{
    hm_client_close(e->c);
    hm_broker_stopping(e->b);
    hm_broker_destroy(e->b);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", e->dir);
    CU_ASSERT_EQUAL(system(cmd), 0);
}

static apr_status_t send1(env_t *e, const char *q, int n, int prio, char *err, size_t errlen)
{
    hm_msg_t *m = mk(q, n, prio);
    apr_status_t st = hm_send(e->c, m, NULL, NULL, err, errlen);
    hm_msg_unref(m);
    return st;
}

static hm_consumer_t *consume(env_t *e, const char *q, const char *selector, rec_t *r)
{
    char err[256];
    hm_consumer_opts_t co = { { HM_QUEUE, q }, selector, 50, 0, 0, 0, 0, NULL, NULL, 0 };
    hm_consumer_t *k = NULL;
    CU_ASSERT_FATAL(hm_consumer_open(e->c, &co, &ops, r, &k, err, sizeof err) == APR_SUCCESS);
    return k;
}

static void test_spills_and_drains_in_order(void)
{
    env_t e;
    char err[256];
    start(&e, 0);
    for (int i = 0; i < N; i++)
        CU_ASSERT_EQUAL(send1(&e, "spill.q", i, (i * 7) % 10, err, sizeof err), APR_SUCCESS);
    hm_queue_t *q = hm_queue_find(e.b, HM_QUEUE, "spill.q");
    CU_ASSERT_FATAL(q != NULL);
    CU_ASSERT(q->mem_used <= (uint64_t)LIMIT * HM_SPILL_HIGH_PCT / 100 + SIZE);
    CU_ASSERT(q->spilled_count >= N - LIMIT / SIZE);
    CU_ASSERT_EQUAL(q->avail_count + q->spilled_count, N);
    CU_ASSERT(st_temp_used(e.b->temp) > q->spilled_count * 13);
    static rec_t r;
    memset(&r, 0, sizeof r);
    hm_consumer_t *k = consume(&e, "spill.q", NULL, &r);
    uint64_t peak = 0;
    for (int rounds = 0; r.n < N && rounds < 10 * N; rounds++) {
        if (q->mem_used > peak)
            peak = q->mem_used;
        drain(k, &r);
    }
    CU_ASSERT_EQUAL_FATAL(r.n, N);
    /* strict priority order, send order within a priority */
    for (int i = 1; i < N; i++)
        CU_ASSERT(r.prio[i] < r.prio[i - 1] || (r.prio[i] == r.prio[i - 1] && r.ids[i] > r.ids[i - 1]));
    CU_ASSERT(peak <= (uint64_t)LIMIT + 50 * SIZE);
    drain(k, &r);
    CU_ASSERT_EQUAL(q->avail_count + q->spilled_count + q->inflight_count, 0);
    CU_ASSERT_EQUAL(st_temp_used(e.b->temp), 0);
    hm_consumer_close(k, 0);
    finish(&e);
}

static void test_selector_reaches_spilled(void)
{
    env_t e;
    char err[256];
    start(&e, 0);
    for (int i = 0; i < N; i++)
        CU_ASSERT_EQUAL(send1(&e, "sel.q", i, 4, err, sizeof err), APR_SUCCESS);
    static rec_t r;
    memset(&r, 0, sizeof r);
    /* JMSMessageID = 'm2990': far past what is in memory */
    hm_consumer_t *k = consume(&e, "sel.q", "JMSMessageID = 'm2990'", &r);
    CU_ASSERT_EQUAL(r.n, 1);
    CU_ASSERT_EQUAL(r.ids[0], 2990);
    hm_queue_t *q = hm_queue_find(e.b, HM_QUEUE, "sel.q");
    CU_ASSERT_EQUAL(q->avail_count + q->spilled_count, N - 1);
    drain(k, &r);
    hm_consumer_close(k, 0);
    finish(&e);
}

static void test_temp_full_holds_then_frees(void)
{
    env_t e;
    char err[256];
    start(&e, 50 * 1000);           /* temporary storage: about 50 records */
    apr_status_t st = APR_SUCCESS;
    int sent = 0;
    while (sent < N && (st = send1(&e, "full.q", sent, 4, err, sizeof err)) == APR_SUCCESS)
        sent++;
    CU_ASSERT_EQUAL(st, HM_EFLOW);
    CU_ASSERT(sent > LIMIT * HM_SPILL_HIGH_PCT / 100 / SIZE);
    CU_ASSERT(st_temp_full(e.b->temp));
    /* the hold names temporary storage: "<dest>\n<limit>\n<percent>" */
    CU_ASSERT_STRING_EQUAL(err, "queue://full.q\n50000\n100");
    /* a consumer taking spilled messages back frees room */
    static rec_t r;
    memset(&r, 0, sizeof r);
    hm_consumer_t *k = consume(&e, "full.q", NULL, &r);
    drain(k, &r);
    CU_ASSERT(!st_temp_full(e.b->temp));
    CU_ASSERT_EQUAL(send1(&e, "full.q", sent, 4, err, sizeof err), APR_SUCCESS);
    hm_consumer_close(k, 0);
    /* deleting the queue drops what it spilled */
    for (int i = 1; i <= 2 * LIMIT / SIZE; i++)
        CU_ASSERT_EQUAL(send1(&e, "full.q", sent + i, 4, err, sizeof err), APR_SUCCESS);
    hm_queue_t *q = hm_queue_find(e.b, HM_QUEUE, "full.q");
    CU_ASSERT(q->spilled_count > 0);
    hm_lock(e.b);
    hm_queue_free(q);
    hm_unlock(e.b);
    CU_ASSERT_EQUAL(st_temp_used(e.b->temp), 0);
    finish(&e);
}

static void test_policy_high_water_mark(void)
{
    env_t e;
    char err[256];
    start(&e, 0);
    for (int i = 0; i < 1000; i++)
        CU_ASSERT_EQUAL(send1(&e, "half.q", i, 4, err, sizeof err), APR_SUCCESS);
    hm_queue_t *q = hm_queue_find(e.b, HM_QUEUE, "half.q");
    CU_ASSERT_EQUAL(q->avail_count, LIMIT * 30 / 100 / SIZE);
    CU_ASSERT_EQUAL(q->spilled_count, 1000 - LIMIT * 30 / 100 / SIZE);
    finish(&e);
}

static void test_vm_cursor_stays_in_memory(void)
{
    env_t e;
    char err[256];
    start(&e, 0);
    apr_status_t st = APR_SUCCESS;
    int sent = 0;
    while (sent < N && (st = send1(&e, "vm.q", sent, 4, err, sizeof err)) == APR_SUCCESS)
        sent++;
    CU_ASSERT_EQUAL(st, HM_EFLOW);          /* held at the memory limit, as before */
    CU_ASSERT_EQUAL(sent, LIMIT / SIZE);
    CU_ASSERT_PTR_NULL(strchr(strchr(err, '\n') + 1, '\n'));
    CU_ASSERT_EQUAL(hm_queue_find(e.b, HM_QUEUE, "vm.q")->spilled_count, 0);
    CU_ASSERT_EQUAL(st_temp_used(e.b->temp), 0);
    finish(&e);
}

int main(void)
{
    apr_initialize();
    apr_pool_create(&pool, NULL);
    hm_log_set_level(HM_LOG_ERROR);
    CU_initialize_registry();
    CU_pSuite su = CU_add_suite("spill to temporary storage", NULL, NULL);
    CU_add_test(su, "past the high-water mark messages spill and drain in priority order", test_spills_and_drains_in_order);
    CU_add_test(su, "a selector reaches a spilled match without bringing the rest back", test_selector_reaches_spilled);
    CU_add_test(su, "a full temporary storage holds sends; draining frees it; a deleted queue drops its part", test_temp_full_holds_then_frees);
    CU_add_test(su, "a vm cursor policy keeps messages in memory, held at the limit", test_vm_cursor_stays_in_memory);
    CU_add_test(su, "a policy's cursorMemoryHighWaterMark moves the point where spilling starts", test_policy_high_water_mark);
    CU_basic_set_mode(CU_BRM_VERBOSE);
    CU_basic_run_tests();
    unsigned failed = CU_get_number_of_failures();
    CU_cleanup_registry();
    apr_pool_destroy(pool);
    apr_terminate();
    return failed ? 1 : 0;
}
