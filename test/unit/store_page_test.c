/* Paging reads (st_page) and the per-destination counts of the open (st_dest_counts): what a
 * broker relies on to keep only a window of a deep queue in memory. */
#include "store_test_util.h"

typedef struct page_s { size_t n; uint64_t seq[4096]; uint8_t prio[4096]; } page_t;

static apr_status_t take(void *baton, const st_entry_t *e, const void *bytes, size_t len)
{
    page_t *p = baton;
    (void)bytes; (void)len;
    if (p->n == 4096) return HM_ETOOBIG;
    p->seq[p->n] = e->seq;
    p->prio[p->n] = e->priority;
    p->n++;
    return APR_SUCCESS;
}

/* Three priorities interleaved, 2,500 entries at priority 5 (more than one read chunk). */
static void fill_three(st_store_t *s, uint32_t q)
{
    uint64_t seq = 0;
    for (int i = 0; i < 2500; i++) {
        st_batch_t *b = st_batch_begin(s);
        for (int k = 0; k < 3; k++) {
            uint64_t id;
            char body[32];
            uint8_t prio = k == 0 ? 5 : k == 1 ? 9 : 0;
            if (k > 0 && i % 10)
                continue;              /* 250 each at 9 and 0 */
            snprintf(body, sizeof body, "b%llu", (unsigned long long)++seq);
            st_batch_add_message(b, body, strlen(body), &id);
            st_batch_add_entry(b, q, id, prio, seq);
        }
        CU_ASSERT_EQUAL(st_batch_commit_wait(b), APR_SUCCESS);
    }
}

static void test_page_one_priority_after_seq(void)
{
    st_store_t *s = open_fresh();
    uint32_t q, other;
    CU_ASSERT_EQUAL(st_dest_id(s, "deep", &q), APR_SUCCESS);
    CU_ASSERT_EQUAL(st_dest_id(s, "other", &other), APR_SUCCESS);
    fill_three(s, q);
    put_msg(s, other, "noise", 5, 1);
    static page_t p;
    int end = -1;
    /* the first page of priority 5: 256 entries in seq order, more to come */
    p.n = 0;
    CU_ASSERT_EQUAL(st_page(s, q, 5, 0, 256, take, &p, &end), APR_SUCCESS);
    CU_ASSERT_EQUAL_FATAL(p.n, 256);
    CU_ASSERT_EQUAL(end, 0);
    for (size_t i = 0; i < p.n; i++)
        CU_ASSERT_EQUAL(p.prio[i], 5);
    for (size_t i = 1; i < p.n; i++)
        CU_ASSERT(p.seq[i] > p.seq[i - 1]);
    /* the next page starts strictly after the last one read */
    uint64_t last = p.seq[p.n - 1];
    p.n = 0;
    CU_ASSERT_EQUAL(st_page(s, q, 5, last, 1, take, &p, &end), APR_SUCCESS);
    CU_ASSERT_EQUAL_FATAL(p.n, 1);
    CU_ASSERT(p.seq[0] > last);
    /* the rest in one call crosses read chunks and ends at the priority's end */
    p.n = 0;
    CU_ASSERT_EQUAL(st_page(s, q, 5, last, SIZE_MAX, take, &p, &end), APR_SUCCESS);
    CU_ASSERT_EQUAL(p.n, 2500 - 256);
    CU_ASSERT_EQUAL(end, 1);
    /* exactly the remaining count: the end is known when the next key is another priority */
    p.n = 0;
    CU_ASSERT_EQUAL(st_page(s, q, 9, 0, 250, take, &p, &end), APR_SUCCESS);
    CU_ASSERT_EQUAL(p.n, 250);
    CU_ASSERT_EQUAL(end, 1);
    /* priority 0 is the queue's last: its end is the destination's end, not the next queue */
    p.n = 0;
    CU_ASSERT_EQUAL(st_page(s, q, 0, 0, 4096, take, &p, &end), APR_SUCCESS);
    CU_ASSERT_EQUAL(p.n, 250);
    CU_ASSERT_EQUAL(end, 1);
    /* an empty priority, a bad one, nothing asked */
    p.n = 0;
    CU_ASSERT_EQUAL(st_page(s, q, 7, 0, 10, take, &p, &end), APR_SUCCESS);
    CU_ASSERT_EQUAL(p.n, 0);
    CU_ASSERT_EQUAL(end, 1);
    CU_ASSERT_EQUAL(st_page(s, q, 10, 0, 10, take, &p, &end), HM_EINVAL);
    CU_ASSERT_EQUAL(st_page(s, q, 5, 0, 0, take, &p, &end), APR_SUCCESS);
    CU_ASSERT_EQUAL(p.n, 0);
    finish(s);
}

/* A batch whose commit nobody waited for is seen by the next page read (the core counts a
 * message as paged out as soon as its batch is committed). */
static void test_page_sees_committed_batches(void)
{
    st_store_t *s = open_fresh();
    uint32_t q;
    CU_ASSERT_EQUAL(st_dest_id(s, "lazy", &q), APR_SUCCESS);
    for (uint64_t i = 1; i <= 50; i++) {
        uint64_t id;
        st_batch_t *b = st_batch_begin(s);
        st_batch_add_message(b, "x", 1, &id);
        st_batch_add_entry(b, q, id, 4, i);
        CU_ASSERT_EQUAL(st_batch_commit(b, NULL, NULL), APR_SUCCESS);
    }
    static page_t p;
    p.n = 0;
    int end = 0;
    CU_ASSERT_EQUAL(st_page(s, q, 4, 0, 100, take, &p, &end), APR_SUCCESS);
    CU_ASSERT_EQUAL(p.n, 50);
    CU_ASSERT_EQUAL(end, 1);
    /* a removed entry is not read again */
    remove_entry(s, q, 4, 1);
    p.n = 0;
    CU_ASSERT_EQUAL(st_page(s, q, 4, 0, 1, take, &p, &end), APR_SUCCESS);
    CU_ASSERT_EQUAL_FATAL(p.n, 1);
    CU_ASSERT_EQUAL(p.seq[0], 2);
    finish(s);
}

/* The open counts every destination's entries per priority and its greatest seq, whatever
 * the layout of their bodies (inline, shared by two destinations). */
static void test_open_counts_destinations(void)
{
    st_store_t *s = open_fresh();
    uint32_t q, r, empty;
    CU_ASSERT_EQUAL(st_dest_id(s, "counted", &q), APR_SUCCESS);
    CU_ASSERT_EQUAL(st_dest_id(s, "second", &r), APR_SUCCESS);
    CU_ASSERT_EQUAL(st_dest_id(s, "empty", &empty), APR_SUCCESS);
    fill_three(s, q);
    /* one body with entries on both queues: the shared layout */
    uint64_t id;
    st_batch_t *b = st_batch_begin(s);
    st_batch_add_message(b, "shared", 6, &id);
    st_batch_add_entry(b, q, id, 2, 90000);
    st_batch_add_entry(b, r, id, 2, 7);
    CU_ASSERT_EQUAL(st_batch_commit_wait(b), APR_SUCCESS);
    remove_entry(s, q, 5, 1);            /* an acknowledged one is not counted */
    s = reopen(s);
    uint64_t counts[10], max_seq;
    CU_ASSERT_EQUAL(st_dest_counts(s, q, counts, &max_seq), APR_SUCCESS);
    CU_ASSERT_EQUAL(counts[5], 2499);
    CU_ASSERT_EQUAL(counts[9], 250);
    CU_ASSERT_EQUAL(counts[0], 250);
    CU_ASSERT_EQUAL(counts[2], 1);
    CU_ASSERT_EQUAL(counts[7], 0);
    CU_ASSERT_EQUAL(max_seq, 90000);
    CU_ASSERT_EQUAL(st_dest_counts(s, r, counts, &max_seq), APR_SUCCESS);
    CU_ASSERT_EQUAL(counts[2], 1);
    CU_ASSERT_EQUAL(max_seq, 7);
    CU_ASSERT_EQUAL(st_dest_counts(s, empty, counts, &max_seq), APR_SUCCESS);
    for (int i = 0; i < 10; i++)
        CU_ASSERT_EQUAL(counts[i], 0);
    CU_ASSERT_EQUAL(st_dest_counts(s, 4242, counts, &max_seq), HM_ENOTFOUND);
    finish(s);
}

static int summary_exists(void)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", g_dir, ST_SUMMARY_FILE);
    return access(path, F_OK) == 0;
}

/* A clean close leaves a summary that the next open uses instead of scanning, and removes;
 * a damaged summary is ignored (the open scans); after a crash there is none.  Either way
 * the counts, the next message id and the bodies in the journal are the same. */
static void test_clean_close_summary(void)
{
    st_store_t *s = open_fresh();
    uint32_t q;
    CU_ASSERT_EQUAL(st_dest_id(s, "summed", &q), APR_SUCCESS);
    fill_three(s, q);
    st_stats_t before;
    st_counters(s, &before);
    s = reopen(s);                    /* a clean close: a summary, used and removed */
    CU_ASSERT(!summary_exists());
    uint64_t counts[10], max_seq;
    CU_ASSERT_EQUAL(st_dest_counts(s, q, counts, &max_seq), APR_SUCCESS);
    CU_ASSERT_EQUAL(counts[5], 2500);
    CU_ASSERT_EQUAL(counts[9], 250);
    CU_ASSERT_EQUAL(max_seq, 3000);
    st_stats_t after;
    st_counters(s, &after);
    CU_ASSERT_EQUAL(after.messages, before.messages);
    CU_ASSERT_EQUAL(after.bytes, before.bytes);
    /* a new message gets a new id, and every body reads back after a checkpoint */
    uint64_t id = put_msg(s, q, "later", 5, 5000);
    CU_ASSERT(id > 3000);
    CU_ASSERT_EQUAL(st_checkpoint(s), APR_SUCCESS);
    static page_t p;
    p.n = 0;
    CU_ASSERT_EQUAL(st_page(s, q, 5, 0, SIZE_MAX, take, &p, NULL), APR_SUCCESS);
    CU_ASSERT_EQUAL(p.n, 2501);
    st_close(s);
    CU_ASSERT(summary_exists());
    /* damaged: one byte changed; the open scans and still counts right */
    char path[512];
    snprintf(path, sizeof path, "%s/%s", g_dir, ST_SUMMARY_FILE);
    FILE *f = fopen(path, "r+b");
    CU_ASSERT_FATAL(f != NULL);
    fseek(f, 12, SEEK_SET);
    fputc(0x5a, f);
    fclose(f);
    st_options_t o = opts();
    s = open_with(&o);
    CU_ASSERT(!summary_exists());
    CU_ASSERT_EQUAL(st_dest_counts(s, q, counts, &max_seq), APR_SUCCESS);
    CU_ASSERT_EQUAL(counts[5], 2501);
    CU_ASSERT_EQUAL(max_seq, 5000);
    st_counters(s, &after);
    CU_ASSERT_EQUAL(after.messages, before.messages + 1);
    finish(s);
}

static int use_memory(void) { g_kind = ST_KIND_MEMORY; return 0; }
static int use_bdb(void) { g_kind = ST_KIND_BDB; return 0; }

int main(void)
{
    apr_initialize();
    apr_pool_create(&g_pool, NULL);
    hm_log_set_level(HM_LOG_ERROR);
    CU_initialize_registry();
    CU_pSuite mem = CU_add_suite("store paging (memory)", use_memory, NULL);
    CU_pSuite bdb = CU_add_suite("store paging (bdb)", use_bdb, NULL);
    CU_add_test(mem, "a page is one priority, after a seq, bounded", test_page_one_priority_after_seq);
    CU_add_test(bdb, "a page is one priority, after a seq, bounded", test_page_one_priority_after_seq);
    CU_add_test(mem, "a page sees batches committed without waiting", test_page_sees_committed_batches);
    CU_add_test(bdb, "a page sees batches committed without waiting", test_page_sees_committed_batches);
    /* the memory store does not survive a reopen, so its open never counts anything */
    CU_add_test(bdb, "the open counts each destination's entries per priority", test_open_counts_destinations);
    CU_add_test(bdb, "a clean close's summary replaces the open's scan; a damaged one is ignored", test_clean_close_summary);
    CU_basic_set_mode(CU_BRM_VERBOSE);
    CU_basic_run_tests();
    unsigned failed = CU_get_number_of_failures();
    CU_cleanup_registry();
    apr_pool_destroy(g_pool);
    apr_terminate();
    return failed ? 1 : 0;
}
