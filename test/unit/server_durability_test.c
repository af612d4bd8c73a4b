/* The durability contract of hm_send (server/hm_core.h), on the Berkeley DB store: a persistent
 * message is enqueued, and may reach a consumer, once its store batch is committed and before
 * the write is durable; its sender is answered only when it is durable.  A batch the store refuses
 * when it is committed is an error from hm_send and nothing is enqueued; a write that fails later
 * (its log flush) reaches the sender as an error while the message stays deliverable from memory,
 * and whether it survives a restart is unknown. */
#include <CUnit/Basic.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <apr_atomic.h>
#include <apr_general.h>

#include "hm_core.h"
#include "hm_log.h"
#include "st.h"

#define TEST_CODEC 200

static apr_pool_t *pool;

/* ---- a minimal stored form: the message id */

static const hm_msg_origin_t origin = { "test", TEST_CODEC, NULL, NULL, NULL, NULL };

static hm_msg_t *mk(const char *id)
{
    void *extra;
    hm_msg_t *m = hm_msg_new(64 + 8, &extra);
    snprintf(extra, 64, "%s", id);
    m->message_id = extra;
    m->dest.kind = HM_QUEUE;
    m->dest.name = "durable.q";
    m->priority = 4;
    m->persistent = 1;
    m->origin = &origin;
    return m;
}

static apr_status_t enc(const hm_msg_t *m, hm_wbuf_t *out)
{
    hm_wbuf_put(out, m->message_id, strlen(m->message_id));
    return out->err;
}

static apr_status_t dec(const uint8_t *p, size_t len, hm_msg_t **out)
{
    char id[64];
    if (len >= sizeof id)
        return HM_EMALFORMED;
    memcpy(id, p, len);
    id[len] = '\0';
    *out = mk(id);
    return APR_SUCCESS;
}

static const hm_msg_codec_t codec = { TEST_CODEC, "test", enc, dec };

/* ---- a consumer that notes whether the sender had been answered at delivery time */

static volatile apr_uint32_t answered[4];
static volatile apr_uint32_t outcome[4];

typedef struct {
    int n;
    char ids[8][64];
    int sender_answered[8];
} rec_t;

static void rec_deliver(void *ctx, hm_consumer_t *c, hm_delivery_t *d)
{
    rec_t *r = ctx;
    if (r->n < 8) {
        snprintf(r->ids[r->n], sizeof r->ids[0], "%s", d->msg->message_id);
        int i = d->msg->message_id[1] - '0';
        r->sender_answered[r->n] = i >= 0 && i < 4 ? (int)apr_atomic_read32(&answered[i]) : -1;
    }
    r->n++;
}

static void rec_empty(void *ctx, hm_consumer_t *c) { }
static const hm_consumer_ops_t ops = { rec_deliver, rec_empty };

static void done(void *baton, apr_status_t st)
{
    int i = (int)(intptr_t)baton;
    apr_atomic_set32(&outcome[i], (apr_uint32_t)st);
    apr_atomic_set32(&answered[i], 1);
}

static int wait_answer(int i)
{
    for (int t = 0; t < 500 && !apr_atomic_read32(&answered[i]); t++)
        apr_sleep(apr_time_from_msec(10));
    return (int)apr_atomic_read32(&answered[i]);
}

static void open_all(const char *dir, st_store_t **s, hm_broker_t **b)
{
    st_options_t o;
    st_options_default(&o);
    o.kind = ST_KIND_BDB;
    o.dir = dir;
    o.sync = ST_SYNC_ALWAYS;
    CU_ASSERT_FATAL(st_open(pool, &o, s) == APR_SUCCESS);
    hm_broker_opts_t bo = { .name = "durable", .store = *s };
    CU_ASSERT_FATAL(hm_broker_create(pool, &bo, b) == APR_SUCCESS);
    hm_broker_register_codec(*b, &codec);
    CU_ASSERT_FATAL(hm_broker_recover(*b) == APR_SUCCESS);
}

static void test_dispatch_before_durable_and_failed_write(void)
{
    char dir[] = "/tmp/hermod-durable-XXXXXX";
    CU_ASSERT_FATAL(mkdtemp(dir) != NULL);
    st_store_t *s;
    hm_broker_t *b;
    open_all(dir, &s, &b);
    hm_client_t *c;
    char err[256];
    CU_ASSERT_FATAL(hm_client_open(b, "ID:c", NULL, NULL, &c, err, sizeof err) == APR_SUCCESS);
    rec_t r = { 0 };
    hm_consumer_opts_t co = { { HM_QUEUE, "durable.q" }, NULL, 10, 0, 0, 0, 0 };
    hm_consumer_t *k;
    CU_ASSERT_FATAL(hm_consumer_open(c, &co, &ops, &r, &k, err, sizeof err) == APR_SUCCESS);

    /* m1: written; the consumer had it before its sender was answered */
    hm_msg_t *m = mk("m1");
    CU_ASSERT_EQUAL(hm_send(c, m, done, (void *)(intptr_t)1, err, sizeof err), APR_SUCCESS);
    hm_msg_unref(m);
    CU_ASSERT(wait_answer(1));
    CU_ASSERT_EQUAL(apr_atomic_read32(&outcome[1]), APR_SUCCESS);
    CU_ASSERT_EQUAL(r.n, 1);
    CU_ASSERT_STRING_EQUAL(r.ids[0], "m1");
    CU_ASSERT_EQUAL(r.sender_answered[0], 0);

    /* m2: the store refuses the batch when it is committed (a full disk): hm_send returns the
     * error, nothing was enqueued, done is not called, no consumer sees it */
    st_test_fault(s, ST_FAULT_COMMIT, APR_FROM_OS_ERROR(ENOSPC));
    m = mk("m2");
    CU_ASSERT_EQUAL(hm_send(c, m, done, (void *)(intptr_t)2, err, sizeof err), APR_FROM_OS_ERROR(ENOSPC));
    hm_msg_unref(m);
    apr_sleep(apr_time_from_msec(50));
    CU_ASSERT_EQUAL(apr_atomic_read32(&answered[2]), 0);
    CU_ASSERT_EQUAL(r.n, 1);

    /* m3: the log flush fails (an I/O error): the sender hears it; whether the record reached
     * the journal is unknown, and the store takes no further change until reopened */
    st_test_fault(s, ST_FAULT_FLUSH, APR_FROM_OS_ERROR(EIO));
    m = mk("m3");
    CU_ASSERT_EQUAL(hm_send(c, m, done, (void *)(intptr_t)3, err, sizeof err), APR_SUCCESS);
    hm_msg_unref(m);
    CU_ASSERT(wait_answer(3));
    CU_ASSERT_EQUAL(apr_atomic_read32(&outcome[3]), APR_FROM_OS_ERROR(EIO));
    CU_ASSERT_EQUAL(r.n, 2);
    CU_ASSERT_STRING_EQUAL(r.ids[1], "m3");
    CU_ASSERT_EQUAL(r.sender_answered[1], 0);

    /* after a restart: m1 (durable, never acknowledged), not m2 (refused); m3 may be there */
    hm_consumer_close(k, 0);
    hm_client_close(c);
    hm_broker_stopping(b);
    hm_broker_destroy(b);
    st_close(s);
    open_all(dir, &s, &b);
    CU_ASSERT_FATAL(hm_client_open(b, "ID:c2", NULL, NULL, &c, err, sizeof err) == APR_SUCCESS);
    rec_t r2 = { 0 };
    CU_ASSERT_FATAL(hm_consumer_open(c, &co, &ops, &r2, &k, err, sizeof err) == APR_SUCCESS);
    CU_ASSERT(r2.n == 1 || r2.n == 2);
    if (r2.n >= 1)
        CU_ASSERT_STRING_EQUAL(r2.ids[0], "m1");
    if (r2.n == 2)
        CU_ASSERT_STRING_EQUAL(r2.ids[1], "m3");
    hm_consumer_close(k, 0);
    hm_client_close(c);
    hm_broker_destroy(b);
    st_close(s);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    CU_ASSERT_EQUAL(system(cmd), 0);
}

int main(void)
{
    apr_initialize();
    apr_pool_create(&pool, NULL);
    hm_log_set_level(HM_LOG_ERROR);
    CU_initialize_registry();
    CU_pSuite su = CU_add_suite("server_durability", NULL, NULL);
    CU_add_test(su, "dispatched before durable; a failed write is reported and not kept",
                test_dispatch_before_durable_and_failed_write);
    CU_basic_set_mode(CU_BRM_VERBOSE);
    CU_basic_run_tests();
    unsigned failed = CU_get_number_of_failures();
    CU_cleanup_registry();
    apr_terminate();
    return failed ? 1 : 0;
}
