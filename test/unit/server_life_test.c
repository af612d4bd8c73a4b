/* Unit tests for the broker lifecycle (server/hm_life.c) and the store's lock-file lease
 * (store/st_lease.c): a standby waits while the lease is taken and recovers once it is free, a
 * stop request ends the wait, and an active broker whose lease is lost is fenced. */
#include <CUnit/Basic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <apr_general.h>
#include <apr_thread_proc.h>

#include "hm_life.h"
#include "hm_log.h"
#include "st_lease.h"

static apr_pool_t *root;

/* A lease for the tests: busy for `busy_tries` attempts, then free; lost after `held_checks`
 * successful checks (-1: never). */
typedef struct {
    st_lease_t base;
    int busy_tries, tries;
    int held_checks, checks;
    int released;
} fake_lease_t;

static apr_status_t fake_try(st_lease_t *l)
{
    fake_lease_t *f = (fake_lease_t *)l;
    return f->tries++ < f->busy_tries ? ST_EBUSY : APR_SUCCESS;
}

static int fake_still_held(st_lease_t *l)
{
    fake_lease_t *f = (fake_lease_t *)l;
    return f->held_checks < 0 || f->checks++ < f->held_checks;
}

static void fake_release(st_lease_t *l) { ((fake_lease_t *)l)->released = 1; }

static void fake_holder(st_lease_t *l, char *buf, size_t len) { snprintf(buf, len, "the test"); }

static int64_t fake_valid_until(st_lease_t *l) { return l->held ? INT64_MAX : 0; }
static int fake_may_write(st_lease_t *l) { return 1; }
static uint64_t fake_epoch(st_lease_t *l) { return 0; }
static const st_lease_ops_t fake_ops = { "test lease", fake_try, fake_still_held, fake_release,
                                         fake_holder, fake_valid_until, fake_may_write, fake_epoch };

static volatile int fenced;
static void on_fence(void *baton, const char *why) { fenced++; }

static void test_standby_waits_then_recovers(void)
{
    hm_life_t *l;
    CU_ASSERT_FATAL(hm_life_create(root, on_fence, NULL, &l) == APR_SUCCESS);
    fake_lease_t f = { { &fake_ops, 0 }, 3, 0, -1, 0, 0 };
    CU_ASSERT_EQUAL(hm_life_state(l), HM_LIFE_STARTING);
    CU_ASSERT_EQUAL(hm_life_acquire(l, &f.base, 10), APR_SUCCESS);
    CU_ASSERT_EQUAL(f.tries, 4);                      /* three refusals, then taken */
    CU_ASSERT_EQUAL(hm_life_state(l), HM_LIFE_RECOVERING);
    CU_ASSERT(f.base.held);
    st_lease_release(&f.base);
    CU_ASSERT(f.released);
}

static void *APR_THREAD_FUNC stop_later(apr_thread_t *t, void *arg)
{
    apr_sleep(apr_time_from_msec(100));
    hm_life_request_stop(arg);
    return NULL;
}

static void test_stop_ends_standby(void)
{
    hm_life_t *l;
    CU_ASSERT_FATAL(hm_life_create(root, on_fence, NULL, &l) == APR_SUCCESS);
    fake_lease_t f = { { &fake_ops, 0 }, 1 << 30, 0, -1, 0, 0 };   /* never free */
    apr_thread_t *t;
    CU_ASSERT_FATAL(apr_thread_create(&t, NULL, stop_later, l, root) == APR_SUCCESS);
    apr_time_t t0 = apr_time_now();
    CU_ASSERT_EQUAL(hm_life_acquire(l, &f.base, 5000), HM_ECLOSED);  /* not after 5 s */
    CU_ASSERT(apr_time_now() - t0 < apr_time_from_sec(2));
    CU_ASSERT_EQUAL(hm_life_state(l), HM_LIFE_STANDBY);
    CU_ASSERT(!f.base.held);
    apr_status_t rv;
    apr_thread_join(&rv, t);
}

static void test_lost_lease_fences(void)
{
    hm_life_t *l;
    CU_ASSERT_FATAL(hm_life_create(root, on_fence, NULL, &l) == APR_SUCCESS);
    fake_lease_t f = { { &fake_ops, 0 }, 0, 0, 2, 0, 0 };   /* lost at the third check */
    CU_ASSERT_EQUAL(hm_life_acquire(l, &f.base, 10), APR_SUCCESS);
    hm_life_set(l, HM_LIFE_ACTIVE);
    fenced = 0;
    CU_ASSERT_EQUAL(hm_life_watch(l, &f.base, 10), APR_SUCCESS);
    for (int i = 0; i < 200 && !fenced; i++)
        apr_sleep(apr_time_from_msec(10));
    CU_ASSERT_EQUAL(fenced, 1);
    CU_ASSERT_EQUAL(hm_life_state(l), HM_LIFE_FENCED);
    hm_life_set(l, HM_LIFE_ACTIVE);                   /* fenced is final */
    CU_ASSERT_EQUAL(hm_life_state(l), HM_LIFE_FENCED);
    hm_life_request_stop(l);
    hm_life_unwatch(l);
}

/* Two lock-file leases on one directory (as two brokers would hold): one at a time; the second
 * names the holder's pid and gets the lease once the first lets go. */
static void test_lockfile_lease_is_exclusive(void)
{
    char dir[] = "/tmp/hermod-lease-XXXXXX";
    CU_ASSERT_FATAL(mkdtemp(dir) != NULL);
    apr_pool_t *p1, *p2;
    apr_pool_create(&p1, root);
    apr_pool_create(&p2, root);
    st_lease_t *a, *b;
    CU_ASSERT_FATAL(st_lease_lockfile(p1, dir, &a) == APR_SUCCESS);
    CU_ASSERT_FATAL(st_lease_lockfile(p2, dir, &b) == APR_SUCCESS);
    CU_ASSERT_EQUAL(st_lease_try(a), APR_SUCCESS);
    CU_ASSERT_EQUAL(st_lease_try(b), ST_EBUSY);
    char who[256];
    b->ops->holder(b, who, sizeof who);
    char pid[32];
    snprintf(pid, sizeof pid, "pid %ld", (long)getpid());
    CU_ASSERT_PTR_NOT_NULL(strstr(who, pid));
    CU_ASSERT(st_lease_still_held(a));
    st_lease_release(a);
    CU_ASSERT_EQUAL(st_lease_try(b), APR_SUCCESS);
    apr_pool_destroy(p2);                             /* closing releases it too */
    CU_ASSERT_EQUAL(st_lease_try(a), APR_SUCCESS);
    apr_pool_destroy(p1);
    char path[300];
    snprintf(path, sizeof path, "%s/hermod.lock", dir);
    unlink(path);
    rmdir(dir);
}

int main(void)
{
    apr_initialize();
    apr_pool_create(&root, NULL);
    hm_log_set_level(HM_LOG_ERROR);
    CU_initialize_registry();
    CU_pSuite s = CU_add_suite("server_life", NULL, NULL);
    CU_add_test(s, "standby waits for the lease, then recovers", test_standby_waits_then_recovers);
    CU_add_test(s, "a stop request ends a standby wait", test_stop_ends_standby);
    CU_add_test(s, "a lost lease fences an active broker, for good", test_lost_lease_fences);
    CU_add_test(s, "lock-file lease: one holder at a time", test_lockfile_lease_is_exclusive);
    CU_basic_set_mode(CU_BRM_VERBOSE);
    CU_basic_run_tests();
    unsigned failed = CU_get_number_of_failures();
    CU_cleanup_registry();
    apr_pool_destroy(root);
    apr_terminate();
    return failed ? 1 : 0;
}
