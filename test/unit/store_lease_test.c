/* Unit tests for the lease file of a primary/replica pair (store/st_lease_file.c), with two
 * leases on one directory as the two brokers hold them: one holder at a time; a renewed lease
 * keeps the standby out; an unrenewed one is taken after a whole lease and not before; the old
 * holder may not write past its own deadline and never once the record names another epoch; a
 * released lease is taken at once; a torn record is activity, not a lapse. */
#include <CUnit/Basic.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <apr_general.h>

#include "hm_log.h"
#include "st_lease.h"

static apr_pool_t *root;
static char dir[64];

#define LEASE_MS 300
#define RENEW_MS 60

static void fresh_dir(void)
{
    char cmd[128];
    if (*dir) {
        snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
        if (system(cmd) != 0)
            CU_FAIL("rm");
    }
    strcpy(dir, "/tmp/hermod-leasefile-XXXXXX");
    CU_ASSERT_FATAL(mkdtemp(dir) != NULL);
}

static st_lease_t *lease(const char *who)
{
    st_lease_opts_t o = { .lease_ms = LEASE_MS, .renew_ms = RENEW_MS, .holder = who };
    st_lease_t *l;
    CU_ASSERT_FATAL(st_lease_file(root, dir, &o, &l) == APR_SUCCESS);
    return l;
}

static int64_t ms_since(int64_t t0)
{
    return (st_lease_now_us() - t0) / 1000;
}

static void test_renewed_lease_keeps_standby_out(void)
{
    fresh_dir();
    st_lease_t *a = lease("a"), *b = lease("b");
    CU_ASSERT_EQUAL(st_lease_try(a), APR_SUCCESS);        /* a new file: free */
    CU_ASSERT_EQUAL(a->ops->epoch(a), 1);
    int64_t t0 = st_lease_now_us();
    int b_took = 0;
    while (ms_since(t0) < 3 * LEASE_MS) {                  /* a renews; b looks */
        CU_ASSERT(st_lease_still_held(a));
        for (int i = 0; i < 3; i++) {
            b_took |= st_lease_try(b) == APR_SUCCESS;
            usleep(RENEW_MS * 1000 / 3);
        }
    }
    CU_ASSERT(!b_took);
    char who[512];
    b->ops->holder(b, who, sizeof who);
    CU_ASSERT_PTR_NOT_NULL(strstr(who, "held by a (epoch 1"));
    CU_ASSERT(a->ops->may_write(a));
}

static void test_lapsed_lease_taken_after_a_whole_lease(void)
{
    fresh_dir();
    st_lease_t *a = lease("a"), *b = lease("b");
    CU_ASSERT_EQUAL(st_lease_try(a), APR_SUCCESS);
    int64_t renewed = st_lease_now_us();
    CU_ASSERT(st_lease_still_held(a));
    /* a stops renewing (paused); b polls */
    apr_status_t st;
    int64_t t0 = st_lease_now_us();
    while ((st = st_lease_try(b)) == ST_EBUSY && ms_since(t0) < 5 * LEASE_MS)
        usleep(10000);
    CU_ASSERT_EQUAL(st, APR_SUCCESS);
    CU_ASSERT(ms_since(t0) >= LEASE_MS);                   /* not before a whole lease */
    CU_ASSERT(ms_since(t0) < LEASE_MS + 200);
    CU_ASSERT_EQUAL(b->ops->epoch(b), 2);                  /* the epoch grows */
    /* a's own deadline closed before b took over */
    CU_ASSERT(a->ops->valid_until(a) < st_lease_now_us());
    CU_ASSERT(a->ops->valid_until(a) - renewed < (int64_t)LEASE_MS * 1000);
    CU_ASSERT(!a->ops->may_write(a));
    /* a wakes up: its renewal finds b's epoch and gives up for good */
    CU_ASSERT(!st_lease_still_held(a));
    CU_ASSERT(!a->ops->may_write(a));
    CU_ASSERT(b->ops->may_write(b));
    CU_ASSERT(st_lease_still_held(b));
}

static void test_deadline_without_renewal(void)
{
    fresh_dir();
    st_lease_t *a = lease("a");
    CU_ASSERT_EQUAL(st_lease_try(a), APR_SUCCESS);
    int64_t t0 = st_lease_now_us();
    CU_ASSERT(a->ops->may_write(a));
    while (a->ops->may_write(a) && ms_since(t0) < 2 * LEASE_MS)
        usleep(5000);
    /* it stops writing before the lease can have lapsed, with a margin */
    CU_ASSERT(ms_since(t0) < LEASE_MS - 50);
    CU_ASSERT(ms_since(t0) >= LEASE_MS / 2);
    /* and the gate follows the guarding lease */
    st_lease_guard(a);
    uint64_t refused = st_lease_gate_refusals();
    CU_ASSERT(!st_lease_gate_open());
    CU_ASSERT_EQUAL(st_lease_gate_refusals(), refused + 1);
    CU_ASSERT(st_lease_still_held(a));                     /* a late renewal still works */
    CU_ASSERT(st_lease_gate_open());
    st_lease_guard(NULL);
}

static void test_release_hands_over_at_once(void)
{
    fresh_dir();
    st_lease_t *a = lease("a"), *b = lease("b");
    CU_ASSERT_EQUAL(st_lease_try(a), APR_SUCCESS);
    CU_ASSERT_EQUAL(st_lease_try(b), ST_EBUSY);
    st_lease_release(a);
    CU_ASSERT(!a->ops->may_write(a));
    int64_t t0 = st_lease_now_us();
    CU_ASSERT_EQUAL(st_lease_try(b), APR_SUCCESS);
    CU_ASSERT(ms_since(t0) < 50);
    CU_ASSERT_EQUAL(b->ops->epoch(b), 2);
}

static void test_torn_record_is_activity(void)
{
    fresh_dir();
    st_lease_t *a = lease("a"), *b = lease("b");
    CU_ASSERT_EQUAL(st_lease_try(a), APR_SUCCESS);
    char path[128];
    snprintf(path, sizeof path, "%s/hermod.lease", dir);
    int fd = open(path, O_WRONLY);
    CU_ASSERT_FATAL(fd >= 0);
    int64_t t0 = st_lease_now_us();
    /* a record broken in a different way every 50 ms: never a lapse */
    int took = 0;
    for (int i = 0; ms_since(t0) < 2 * LEASE_MS; i++) {
        char junk[32];
        int n = snprintf(junk, sizeof junk, "hermod-lease 1\nepoch %d", i);
        CU_ASSERT(pwrite(fd, junk, (size_t)n, 0) == n);
        took |= st_lease_try(b) == APR_SUCCESS;
        usleep(50000);
    }
    CU_ASSERT(!took);
    CU_ASSERT(!st_lease_still_held(a));   /* a's record is broken: a cannot know it still holds */
    /* left broken and unchanged, it lapses like any record */
    t0 = st_lease_now_us();
    apr_status_t st;
    while ((st = st_lease_try(b)) == ST_EBUSY && ms_since(t0) < 5 * LEASE_MS)
        usleep(10000);
    CU_ASSERT_EQUAL(st, APR_SUCCESS);
    CU_ASSERT(b->ops->epoch(b) >= 2);
    close(fd);
}

int main(void)
{
    apr_initialize();
    apr_pool_create(&root, NULL);
    hm_log_set_level(HM_LOG_ERROR);
    CU_initialize_registry();
    CU_pSuite s = CU_add_suite("store_lease", NULL, NULL);
    CU_add_test(s, "a renewed lease keeps the standby out", test_renewed_lease_keeps_standby_out);
    CU_add_test(s, "a lapsed lease is taken after a whole lease, the old holder fenced",
                test_lapsed_lease_taken_after_a_whole_lease);
    CU_add_test(s, "the holder stops writing before its lease can lapse", test_deadline_without_renewal);
    CU_add_test(s, "a released lease is taken at once", test_release_hands_over_at_once);
    CU_add_test(s, "a torn record is activity, not a lapse", test_torn_record_is_activity);
    CU_basic_set_mode(CU_BRM_VERBOSE);
    CU_basic_run_tests();
    unsigned failed = CU_get_number_of_failures();
    CU_cleanup_registry();
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd) != 0)
        failed++;
    apr_pool_destroy(root);
    apr_terminate();
    return failed ? 1 : 0;
}
