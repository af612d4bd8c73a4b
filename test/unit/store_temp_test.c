/* Temporary storage (st_temp): lists kept in order per priority, records taken back out, the
 * <tempUsage> limit, and the wipe at open (a restart discards what was spilled). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>

#include <CUnit/Basic.h>
#include <apr_general.h>
#include <apr_file_info.h>

#include "hm_log.h"
#include "hm_status.h"
#include "st_temp.h"

static apr_pool_t *g_pool;

typedef struct seen_s { size_t n; uint64_t seq[64]; char body[64][16]; int take; size_t stop_at; } seen_t;

static apr_status_t see(void *baton, uint64_t seq, const void *bytes, size_t len, int *take)
{
    seen_t *s = baton;
    if (s->n == 64) return HM_ETOOBIG;
    s->seq[s->n] = seq;
    snprintf(s->body[s->n], sizeof s->body[0], "%.*s", (int)len, (const char *)bytes);
    s->n++;
    *take = s->take;
    return s->stop_at && s->n == s->stop_at ? HM_EEXISTS : APR_SUCCESS;
}

static st_temp_t *open_in(char *dir, uint64_t limit)
{
    st_temp_t *t = NULL;
    CU_ASSERT_EQUAL_FATAL(st_temp_open(g_pool, dir, limit, &t), APR_SUCCESS);
    return t;
}

static void put(st_temp_t *t, uint32_t list, uint8_t prio, uint64_t seq)
{
    char b[16];
    snprintf(b, sizeof b, "m%llu", (unsigned long long)seq);
    CU_ASSERT_EQUAL(st_temp_put(t, list, prio, seq, b, strlen(b)), APR_SUCCESS);
}

static void test_order_per_list_and_priority(void)
{
    char dir[] = "/tmp/st_temp_XXXXXX";
    if (!mkdtemp(dir)) abort();
    st_temp_t *t = open_in(dir, 0);
    for (uint64_t s = 1; s <= 10; s++) {
        put(t, 2, (uint8_t)(s % 2 ? 4 : 9), s);
        put(t, 1, 4, 100 + s);
        put(t, 3, 4, 200 + s);
    }
    seen_t x = { 0 };
    int end = 0;
    CU_ASSERT_EQUAL(st_temp_walk(t, 2, 4, 0, 100, see, &x, &end), APR_SUCCESS);
    CU_ASSERT_EQUAL(x.n, 5);
    CU_ASSERT_TRUE(end);
    for (size_t i = 0; i < x.n; i++)
        CU_ASSERT_EQUAL(x.seq[i], 2 * i + 1);
    CU_ASSERT_STRING_EQUAL(x.body[4], "m9");
    /* after a seq, bounded, not at the end */
    memset(&x, 0, sizeof x);
    CU_ASSERT_EQUAL(st_temp_walk(t, 2, 9, 4, 2, see, &x, &end), APR_SUCCESS);
    CU_ASSERT_EQUAL(x.n, 2);
    CU_ASSERT_EQUAL(x.seq[0], 6);
    CU_ASSERT_EQUAL(x.seq[1], 8);
    CU_ASSERT_FALSE(end);
    /* an empty priority of a list ends at once */
    memset(&x, 0, sizeof x);
    CU_ASSERT_EQUAL(st_temp_walk(t, 2, 0, 0, 100, see, &x, &end), APR_SUCCESS);
    CU_ASSERT_EQUAL(x.n, 0);
    CU_ASSERT_TRUE(end);
    st_temp_close(t);
    rmdir(dir);
}

static void test_take_frees_and_drop(void)
{
    char dir[] = "/tmp/st_temp_XXXXXX";
    if (!mkdtemp(dir)) abort();
    st_temp_t *t = open_in(dir, 0);
    for (uint64_t s = 1; s <= 6; s++)
        put(t, 7, 0, s);
    put(t, 8, 0, 1);
    uint64_t full = st_temp_used(t);
    CU_ASSERT_EQUAL(full, 7 * 13 + 6 * 2 + 2);
    /* take three; the callback's stop status comes back and the third is still taken */
    seen_t x = { .take = 1, .stop_at = 3 };
    CU_ASSERT_EQUAL(st_temp_walk(t, 7, 0, 0, 100, see, &x, NULL), HM_EEXISTS);
    CU_ASSERT_EQUAL(x.n, 3);
    CU_ASSERT_EQUAL(st_temp_used(t), full - 3 * 15);
    memset(&x, 0, sizeof x);
    CU_ASSERT_EQUAL(st_temp_walk(t, 7, 0, 0, 100, see, &x, NULL), APR_SUCCESS);
    CU_ASSERT_EQUAL(x.n, 3);
    CU_ASSERT_EQUAL(x.seq[0], 4);
    CU_ASSERT_EQUAL(st_temp_drop(t, 7), APR_SUCCESS);
    CU_ASSERT_EQUAL(st_temp_used(t), 15);
    memset(&x, 0, sizeof x);
    CU_ASSERT_EQUAL(st_temp_walk(t, 7, 0, 0, 100, see, &x, NULL), APR_SUCCESS);
    CU_ASSERT_EQUAL(x.n, 0);
    memset(&x, 0, sizeof x);
    CU_ASSERT_EQUAL(st_temp_walk(t, 8, 0, 0, 100, see, &x, NULL), APR_SUCCESS);
    CU_ASSERT_EQUAL(x.n, 1);
    st_temp_close(t);
    rmdir(dir);
}

static void test_limit(void)
{
    char dir[] = "/tmp/st_temp_XXXXXX";
    if (!mkdtemp(dir)) abort();
    st_temp_t *t = open_in(dir, 100);
    char body[40] = { 0 };
    CU_ASSERT_EQUAL(st_temp_put(t, 1, 0, 1, body, sizeof body), APR_SUCCESS);   /* 53 */
    CU_ASSERT_FALSE(st_temp_full(t));
    CU_ASSERT_EQUAL(st_temp_put(t, 1, 0, 2, body, sizeof body), APR_SUCCESS);   /* 106: reaches it */
    CU_ASSERT_TRUE(st_temp_full(t));
    CU_ASSERT_EQUAL(st_temp_put(t, 1, 0, 3, body, 1), HM_ENOSPACE);
    CU_ASSERT_EQUAL(st_temp_used(t), 106);
    seen_t x = { .take = 1 };
    CU_ASSERT_EQUAL(st_temp_walk(t, 1, 0, 0, 1, see, &x, NULL), APR_SUCCESS);
    CU_ASSERT_FALSE(st_temp_full(t));
    CU_ASSERT_EQUAL(st_temp_put(t, 1, 0, 3, body, 1), APR_SUCCESS);
    CU_ASSERT_EQUAL(st_temp_limit(t), 100);
    st_temp_close(t);
    rmdir(dir);
}

/* A run killed with records spilled (a child that exits without closing) leaves its file; the
 * next open starts empty. */
static void test_reopen_discards(void)
{
    char dir[] = "/tmp/st_temp_XXXXXX";
    if (!mkdtemp(dir)) abort();
    pid_t pid = fork();
    CU_ASSERT_NOT_EQUAL_FATAL(pid, -1);
    if (pid == 0) {
        st_temp_t *t = NULL;
        if (st_temp_open(g_pool, dir, 0, &t))
            _exit(2);
        char body[3000] = { 0 };
        for (uint64_t s = 1; s <= 5000; s++)      /* 15 MB: past the cache, so the file has them */
            if (st_temp_put(t, 1, 0, s, body, sizeof body))
                _exit(3);
        _exit(0);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    CU_ASSERT_TRUE_FATAL(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    char path[64];
    snprintf(path, sizeof path, "%s/spill.db", dir);
    apr_finfo_t fi;
    CU_ASSERT_EQUAL_FATAL(apr_stat(&fi, path, APR_FINFO_SIZE, g_pool), APR_SUCCESS);
    CU_ASSERT_TRUE(fi.size > 4 * 1024 * 1024);
    st_temp_t *u = open_in(dir, 0);
    seen_t x = { 0 };
    CU_ASSERT_EQUAL(st_temp_walk(u, 1, 0, 0, 100, see, &x, NULL), APR_SUCCESS);
    CU_ASSERT_EQUAL(x.n, 0);
    CU_ASSERT_EQUAL(st_temp_used(u), 0);
    CU_ASSERT_EQUAL(apr_stat(&fi, path, APR_FINFO_SIZE, g_pool), APR_SUCCESS);
    CU_ASSERT_TRUE(fi.size < 1024 * 1024);
    st_temp_close(u);
    rmdir(dir);
}

int main(void)
{
    apr_initialize();
    apr_pool_create(&g_pool, NULL);
    hm_log_set_level(HM_LOG_ERROR);
    CU_initialize_registry();
    CU_pSuite s = CU_add_suite("temporary storage", NULL, NULL);
    CU_add_test(s, "lists keep seq order per priority, walked after a seq", test_order_per_list_and_priority);
    CU_add_test(s, "taken records free their bytes; a dropped list is gone", test_take_frees_and_drop);
    CU_add_test(s, "the record that reaches the limit is taken, later ones refused", test_limit);
    CU_add_test(s, "an open discards what an earlier run left", test_reopen_discards);
    CU_basic_set_mode(CU_BRM_VERBOSE);
    CU_basic_run_tests();
    unsigned failed = CU_get_number_of_failures();
    CU_cleanup_registry();
    apr_pool_destroy(g_pool);
    apr_terminate();
    return failed ? 1 : 0;
}
