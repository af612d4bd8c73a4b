/* Store tests on Berkeley DB alone: SIGKILL at random moments, the journal kept bounded, bodies
 * moving out of it, damaged environments, recovery and the offline tools, load progress. */
#include "store_test_util.h"

typedef struct nested_s { st_store_t *s; uint32_t q; apr_status_t inner; int async_done; } nested_t;

typedef struct prog_s { int n; uint64_t done[16], total[16]; } prog_t;

/* ---- durability (bdb) ---- */

static int pipe_fd = -1;
static pthread_mutex_t child_mu = PTHREAD_MUTEX_INITIALIZER;
static uint64_t child_durable[100000];
static size_t child_ndurable;

typedef struct child_op_s { char kind; uint64_t id; char body[40]; } child_op_t;

#define CRASH_IDS 200000
typedef struct crash_state_s { uint8_t state[CRASH_IDS]; char body[CRASH_IDS][16]; int present[CRASH_IDS]; } crash_state_t;
enum { CS_NONE, CS_ADDED, CS_REMOVING, CS_REMOVED };

/* The room kept for a full disk (running, and recovery) is there after every open, re-made
 * when gone. */
static void test_recovery_reserve_kept(void)
{
    st_store_t *s = open_fresh();
    char p[400];
    struct stat sb;
    snprintf(p, sizeof p, "%s/hermod.reserve", g_dir);
    CU_ASSERT_EQUAL_FATAL(stat(p, &sb), 0);
    CU_ASSERT(sb.st_size >= 4 << 20);
    CU_ASSERT(sb.st_blocks * 512 >= 4 << 20);    /* allocated, not a sparse file */
    char run[400];
    snprintf(run, sizeof run, "%s/hermod.reserve-run", g_dir);
    CU_ASSERT_EQUAL_FATAL(stat(run, &sb), 0);        /* the one a full disk gets while running */
    CU_ASSERT(sb.st_blocks * 512 >= 4 << 20);
    CU_ASSERT_EQUAL(unlink(p), 0);
    CU_ASSERT_EQUAL(unlink(run), 0);
    s = reopen(s);
    CU_ASSERT_EQUAL(stat(p, &sb), 0);
    CU_ASSERT(sb.st_size >= 4 << 20);
    CU_ASSERT_EQUAL(stat(run, &sb), 0);
    CU_ASSERT(sb.st_size >= 4 << 20);
    finish(s);
}

static void child_done(void *baton, apr_status_t st)
{
    child_op_t *op = baton;
    if (st == APR_SUCCESS) {
        char line[96];
        int n = snprintf(line, sizeof line, "%c %llu %s\n", op->kind, (unsigned long long)op->id, op->body);
        if (write(pipe_fd, line, (size_t)n) != n) _exit(3);
        if (op->kind == 'A') {
            pthread_mutex_lock(&child_mu);
            if (child_ndurable < 100000) child_durable[child_ndurable++] = op->id;
            pthread_mutex_unlock(&child_mu);
        }
    }
    free(op);
}

/* The victim: commits adds and removals asynchronously and reports each durable one. */
static void crash_child(int cycle)
{
    apr_pool_t *pool;
    apr_pool_create(&pool, NULL);
    st_options_t o = opts();
    st_store_t *s;
    if (st_open(pool, &o, &s) != APR_SUCCESS) _exit(2);
    uint32_t q;
    if (st_dest_id(s, "crashq", &q) != APR_SUCCESS) _exit(2);
    if (write(pipe_fd, "S 0 ready\n", 10) != 10) _exit(3);   /* the kill clock starts now */
    unsigned seed = (unsigned)(cycle * 7919 + 1);
    time_t end = time(NULL) + 5;
    for (int n = 0; time(NULL) < end; n++) {
        st_batch_t *b = st_batch_begin(s);
        child_op_t *op = calloc(1, sizeof *op);
        pthread_mutex_lock(&child_mu);
        int remove = child_ndurable > 0 && rand_r(&seed) % 3 == 0;
        if (remove) {
            size_t i = (size_t)rand_r(&seed) % child_ndurable;
            op->id = child_durable[i];
            child_durable[i] = child_durable[--child_ndurable];
        }
        pthread_mutex_unlock(&child_mu);
        if (remove) {
            char line[40];
            int len = snprintf(line, sizeof line, "r %llu -\n", (unsigned long long)op->id);
            if (write(pipe_fd, line, (size_t)len) != len) _exit(3);
            op->kind = 'R';
            strcpy(op->body, "-");
            st_batch_remove_entry(b, q, (uint8_t)(op->id % 10), op->id);
        } else {
            op->kind = 'A';
            snprintf(op->body, sizeof op->body, "c%d-n%d", cycle, n);
            st_batch_add_message(b, op->body, strlen(op->body), &op->id);
            st_batch_add_entry(b, q, op->id, (uint8_t)(op->id % 10), op->id);
        }
        if (st_batch_commit(b, child_done, op) != APR_SUCCESS) _exit(4);
    }
    _exit(0);
}

static apr_status_t crash_seen(void *baton, const st_entry_t *e, const void *bytes, size_t len)
{
    crash_state_t *cs = baton;
    if (e->msg_id < CRASH_IDS) {
        cs->present[e->msg_id] = 1;
        if (cs->state[e->msg_id] == CS_ADDED &&
            (len != strlen(cs->body[e->msg_id]) || memcmp(bytes, cs->body[e->msg_id], len) != 0))
            cs->present[e->msg_id] = -1;            /* wrong content */
    }
    return APR_SUCCESS;
}

static void test_crash_keeps_every_durable_commit(void)
{
    fresh_dir();
    crash_state_t *cs = calloc(1, sizeof *cs);
    int bad = 0, checked_present = 0, checked_removed = 0;
    for (int cycle = 0; cycle < 20; cycle++) {
        int fds[2];
        CU_ASSERT_FATAL(pipe(fds) == 0);
        pid_t pid = fork();
        CU_ASSERT_FATAL(pid >= 0);
        if (pid == 0) {
            close(fds[0]);
            pipe_fd = fds[1];
            hm_log_set_level(HM_LOG_ERROR);
            crash_child(cycle);
        }
        close(fds[1]);
        FILE *in = fdopen(fds[0], "r");
        char kind = 0;
        unsigned long long id;
        char body[64];
        int ready = fscanf(in, " %c %llu %63s", &kind, &id, body) == 3 && kind == 'S';
        CU_ASSERT(ready);
        srand((unsigned)cycle);
        usleep((useconds_t)(20000 + rand() % 230000));
        kill(pid, SIGKILL);
        while (fscanf(in, " %c %llu %63s", &kind, &id, body) == 3) {
            if (id >= CRASH_IDS) continue;
            if (kind == 'A') { cs->state[id] = CS_ADDED; snprintf(cs->body[id], 16, "%.15s", body); }
            else if (kind == 'r' && cs->state[id] == CS_ADDED) cs->state[id] = CS_REMOVING;
            else if (kind == 'R') cs->state[id] = CS_REMOVED;
        }
        fclose(in);
        int wst = 0;
        waitpid(pid, &wst, 0);
        if (WIFEXITED(wst)) printf("\n    child exited early with status %d\n", WEXITSTATUS(wst));
        st_options_t o = opts();
        st_store_t *s = open_with(&o);
        uint32_t q;
        CU_ASSERT_EQUAL(st_dest_id(s, "crashq", &q), APR_SUCCESS);
        memset(cs->present, 0, sizeof cs->present);
        CU_ASSERT_EQUAL(st_load(s, q, crash_seen, cs), APR_SUCCESS);
        for (size_t i = 0; i < CRASH_IDS; i++) {
            if (cs->state[i] == CS_ADDED) { checked_present++; if (cs->present[i] != 1) bad++; }
            if (cs->state[i] == CS_REMOVED) { checked_removed++; if (cs->present[i] != 0) bad++; }
        }
        st_close(s);
        /* Each child starts as after a crash (its open scans, as the open above did): the clean
         * close just made leaves a summary, and opening from it leaves the Berkeley DB cache
         * cold, which under AddressSanitizer made removals slower than the kill window. */
        char sum[512];
        snprintf(sum, sizeof sum, "%s/%s", g_dir, ST_SUMMARY_FILE);
        unlink(sum);
    }
    printf("\n    crash cycles: 20; summed over cycles: %d presence checks, %d removal checks; %d violations\n",
           checked_present, checked_removed, bad);
    CU_ASSERT(checked_present > 100);
    CU_ASSERT(checked_removed > 10);
    CU_ASSERT_EQUAL(bad, 0);
    free(cs);
    rm_rf(g_dir);
    g_dir[0] = 0;
}

static void test_journal_stays_bounded(void)
{
    fresh_dir();
    st_options_t o = opts();
    o.log_file_bytes = 128 * 1024;
    o.sync = ST_SYNC_NONE;
    st_store_t *s = open_with(&o);
    uint32_t q;
    st_dest_id(s, "steady", &q);
    char body[1024];
    memset(body, 'b', sizeof body);
    uint32_t max_files = 0;
    for (int i = 0; i < 6000; i++) {
        uint64_t id;
        st_batch_t *b = st_batch_begin(s);
        st_batch_add_message(b, body, sizeof body, &id);
        st_batch_add_entry(b, q, id, 4, (uint64_t)i);
        if (i > 0) st_batch_remove_entry(b, q, 4, (uint64_t)(i - 1));
        CU_ASSERT_EQUAL_FATAL(st_batch_commit(b, NULL, NULL), APR_SUCCESS);
        if (i % 100 == 99) {                    /* the most files: just before a checkpoint */
            st_stats_t x = stats(s);
            if (x.log_files > max_files) max_files = x.log_files;
            CU_ASSERT_EQUAL(st_checkpoint(s), APR_SUCCESS);
        }
    }
    st_stats_t x = stats(s);
    printf("\n    6000 append+remove rounds of 1 KB, at most %u log files of 128 KB on disk\n", max_files);
    CU_ASSERT(max_files >= 2 && max_files <= 12);  /* without removal: over 100 */
    CU_ASSERT_EQUAL(x.messages, 1);
    finish(s);
}

/* A body in the journal keeps its file; one that stays (a message nobody consumes) moves into
 * the messages table once it is journal_keep_bytes old, so the journal stays bounded, and the message
 * is still there after a restart. */
static void test_long_lived_body_leaves_journal(void)
{
    fresh_dir();
    st_options_t o = opts();
    o.log_file_bytes = 128 * 1024;
    o.journal_keep_bytes = 256 * 1024;
    o.sync = ST_SYNC_NONE;
    st_store_t *s = open_with(&o);
    uint32_t q, slow;
    st_dest_id(s, "steady", &q);
    st_dest_id(s, "nobody.reads", &slow);
    put_msg(s, slow, "stays", 4, 1);
    uint8_t k[ST_KEY_ENTRY];
    st_key_entry(k, slow, 4, 1);
    st_buf_t v = { 0 };
    st_kvtx_t *tx;
    CU_ASSERT_EQUAL_FATAL(s->kv->vt->begin(s->kv, 0, &tx), APR_SUCCESS);
    CU_ASSERT_EQUAL(s->kv->vt->get(tx, ST_T_ENTRY, k, sizeof k, &v, 0), APR_SUCCESS);
    s->kv->vt->abort(tx);
    CU_ASSERT_EQUAL(st_rec_type(v.p, v.len), ST_REC_ENTRY_JOURNAL);
    char body[1024];
    memset(body, 'b', sizeof body);
    uint32_t max_files = 0;
    for (int i = 0; i < 3000; i++) {
        uint64_t id;
        st_batch_t *b = st_batch_begin(s);
        st_batch_add_message(b, body, sizeof body, &id);
        st_batch_add_entry(b, q, id, 4, (uint64_t)i);
        if (i > 0) st_batch_remove_entry(b, q, 4, (uint64_t)(i - 1));
        CU_ASSERT_EQUAL_FATAL(st_batch_commit(b, NULL, NULL), APR_SUCCESS);
        if (i % 100 == 99) {
            st_stats_t x = stats(s);
            if (x.log_files > max_files) max_files = x.log_files;
            CU_ASSERT_EQUAL(st_checkpoint(s), APR_SUCCESS);
            CU_ASSERT_EQUAL(st_relocate(s), APR_SUCCESS);
        }
    }
    printf("\n    one message kept, 3000 others through: at most %u log files of 128 KB\n", max_files);
    CU_ASSERT(max_files >= 2 && max_files <= 12);   /* kept in the journal: over 25 */
    CU_ASSERT_EQUAL_FATAL(s->kv->vt->begin(s->kv, 0, &tx), APR_SUCCESS);
    CU_ASSERT_EQUAL(s->kv->vt->get(tx, ST_T_ENTRY, k, sizeof k, &v, 0), APR_SUCCESS);
    s->kv->vt->abort(tx);
    CU_ASSERT_EQUAL(st_rec_type(v.p, v.len), ST_REC_ENTRY);   /* a shared body with one entry now */
    st_buf_free(&v);
    st_close(s);
    s = open_with(&o);
    loaded_t *l = load(s, slow);
    CU_ASSERT_EQUAL_FATAL(l->n, 1);
    CU_ASSERT_STRING_EQUAL(l->body[0], "stays");
    CU_ASSERT_EQUAL(load(s, q)->n, 1);
    CU_ASSERT_EQUAL(stats(s).messages, 2);
    st_close(s);
    char *text;
    size_t len;
    FILE *out = open_memstream(&text, &len);
    CU_ASSERT_EQUAL(st_tool_verify(g_dir, out, NULL, NULL), APR_SUCCESS);
    fclose(out);
    CU_ASSERT_PTR_NOT_NULL(strstr(text, " 0 problems"));
    free(text);
    rm_rf(g_dir);
    g_dir[0] = 0;
}

/* The same steady loop with no explicit checkpoint: the store's own checkpointer reclaims the
 * journal (its peak depends on disk speed; what matters is that it comes back down). */
static void test_journal_bounded_automatically(void)
{
    fresh_dir();
    st_options_t o = opts();
    o.log_file_bytes = 128 * 1024;
    st_store_t *s = open_with(&o);
    uint32_t q;
    st_dest_id(s, "steady", &q);
    char body[1024];
    memset(body, 'b', sizeof body);
    uint32_t max_files = 0;
    time_t start = time(NULL);
    int i;
    for (i = 0; time(NULL) < start + 15 && (time(NULL) < start + 3 || i < 1000); i++) {
        uint64_t id;
        st_batch_t *b = st_batch_begin(s);
        st_batch_add_message(b, body, sizeof body, &id);
        st_batch_add_entry(b, q, id, 4, (uint64_t)i);
        if (i > 0) st_batch_remove_entry(b, q, 4, (uint64_t)(i - 1));
        CU_ASSERT_EQUAL_FATAL(st_batch_commit_wait(b), APR_SUCCESS);
        if (i % 50 == 0) {
            st_stats_t x = stats(s);
            if (x.log_files > max_files) max_files = x.log_files;
        }
    }
    uint32_t files = 0;
    for (int wait = 0; wait < 80; wait++) {       /* the periodic checkpoint catches up */
        files = stats(s).log_files;
        if (files <= 3) break;
        usleep(100000);
    }
    printf("\n    %d durable append+remove rounds (~%d KB of log), peak %u log files of 128 KB, "
           "then %u\n", i, i * 3, max_files, files);
    CU_ASSERT(i >= 1000);                        /* at least ~3 MB = 23 files were written */
    CU_ASSERT(files <= 3);
    finish(s);
}

static void test_damaged_environment_reported(void)
{
    st_store_t *s = open_fresh();
    uint32_t q;
    st_dest_id(s, "q", &q);
    for (int i = 0; i < 50; i++)
        put_msg(s, q, "some message body", 4, (uint64_t)i);
    st_close(s);
    /* Overwrite the entries table's pages (past the meta page) with garbage. */
    char p[512];
    snprintf(p, sizeof p, "%s/entries.db", g_dir);
    int fd = open(p, O_WRONLY);
    CU_ASSERT_FATAL(fd >= 0);
    char junk[4096];
    memset(junk, 0x5a, sizeof junk);
    for (off_t off = 4096; off < 4 * 4096; off += 4096)
        CU_ASSERT(pwrite(fd, junk, sizeof junk, off) == (ssize_t)sizeof junk);
    close(fd);
    /* Berkeley DB keeps its handles after a panic (they leak by design), so the damaged store
     * is opened in a child that reports what it saw and leaves with _exit. */
    int fds[2];
    CU_ASSERT_FATAL(pipe(fds) == 0);
    pid_t pid = fork();
    CU_ASSERT_FATAL(pid >= 0);
    if (pid == 0) {
        close(fds[0]);
        st_options_t o = opts();
        st_store_t *s2 = NULL;
        apr_status_t st = st_open(g_pool, &o, &s2);
        if (st == APR_SUCCESS) {                 /* damage found when the page is read */
            static loaded_t l;
            st = st_load(s2, q, collect, &l);
            st_close(s2);
        }
        FILE *out = fopen("/dev/null", "w");
        apr_status_t vst = st_tool_verify(g_dir, out, NULL, NULL);
        fclose(out);
        apr_status_t r[2] = { st, vst };
        if (write(fds[1], r, sizeof r) != sizeof r) _exit(3);
        _exit(0);
    }
    close(fds[1]);
    apr_status_t r[2] = { -1, -1 };
    CU_ASSERT_EQUAL(read(fds[0], r, sizeof r), (ssize_t)sizeof r);
    close(fds[0]);
    int wst = 0;
    waitpid(pid, &wst, 0);
    CU_ASSERT(WIFEXITED(wst) && WEXITSTATUS(wst) == 0);   /* no crash */
    CU_ASSERT(r[0] == ST_ERECOVER || r[0] == ST_ECORRUPT);
    CU_ASSERT(r[1] != APR_SUCCESS && r[1] != (apr_status_t)-1);  /* verify names the problem */
    CU_ASSERT_PTR_NOT_NULL(strstr(hm_strerror(ST_ERECOVER), "recover"));
    rm_rf(g_dir);
    g_dir[0] = 0;
}

static void test_tools_verify_stats_dump(void)
{
    st_store_t *s = open_fresh();
    uint32_t q;
    st_dest_id(s, "tool.q", &q);
    st_sub_t sub = { "c", "s", NULL, "topic.a", 0 };
    uint32_t sd;
    st_sub_put(s, &sub, &sd);
    uint64_t id;
    st_batch_t *b = st_batch_begin(s);
    st_batch_add_message(b, "payload", 7, &id);
    st_batch_add_entry(b, q, id, 4, 1);
    st_batch_add_entry(b, sd, id, 4, 1);
    CU_ASSERT_EQUAL(st_batch_commit_wait(b), APR_SUCCESS);
    st_close(s);
    char *text;
    size_t len;
    FILE *out = open_memstream(&text, &len);
    CU_ASSERT_EQUAL(st_tool_verify(g_dir, out, NULL, NULL), APR_SUCCESS);
    CU_ASSERT_EQUAL(st_tool_stats(g_dir, out), APR_SUCCESS);
    CU_ASSERT_EQUAL(st_tool_dump(g_dir, out), APR_SUCCESS);
    fclose(out);
    CU_ASSERT_PTR_NOT_NULL(strstr(text, "tool.q"));
    CU_ASSERT_PTR_NOT_NULL(strstr(text, "c:s"));
    CU_ASSERT_PTR_NOT_NULL(strstr(text, "0 problems"));
    free(text);
    /* a body whose reference count is wrong is a problem verify reports */
    st_options_t o = opts();
    s = open_with(&o);
    uint8_t mk[ST_KEY_MSG];
    st_key_msg(mk, id);
    raw_put(s, ST_T_REF, mk, sizeof mk, "HS\x01\x02\x00\x00\x00\x05\x00\x00\x00\x07", 12);
    st_close(s);
    out = open_memstream(&text, &len);
    CU_ASSERT_EQUAL(st_tool_verify(g_dir, out, NULL, NULL), ST_ECORRUPT);
    fclose(out);
    CU_ASSERT_PTR_NOT_NULL(strstr(text, "reference"));
    free(text);
    rm_rf(g_dir);
    g_dir[0] = 0;
}

static void test_recover_tool_keeps_data(void)
{
    st_store_t *s = open_fresh();
    uint32_t q;
    st_dest_id(s, "q", &q);
    for (int i = 0; i < 20; i++)
        put_msg(s, q, "kept", 4, (uint64_t)i);
    CU_ASSERT_EQUAL(st_checkpoint(s), APR_SUCCESS);
    for (int i = 20; i < 30; i++)
        put_msg(s, q, "after-checkpoint", 4, (uint64_t)i);
    remove_entry(s, q, 4, 0);
    st_close(s);
    char *text;
    size_t len;
    FILE *out = open_memstream(&text, &len);
    CU_ASSERT_EQUAL(st_tool_recover(g_dir, 0, out), APR_SUCCESS);
    CU_ASSERT_EQUAL(st_tool_recover(g_dir, 1, out), APR_SUCCESS);
    CU_ASSERT_EQUAL(st_tool_verify(g_dir, out, NULL, NULL), APR_SUCCESS);
    fclose(out);
    CU_ASSERT_PTR_NOT_NULL(strstr(text, "catastrophic recovery"));
    free(text);
    st_options_t o = opts();
    s = open_with(&o);
    CU_ASSERT_EQUAL(load(s, q)->n, 29);
    finish(s);
}

static void nested_async_done(void *baton, apr_status_t st)
{
    ((nested_t *)baton)->async_done = st == APR_SUCCESS ? 1 : -1;
}

/* A completion callback that commits again: asynchronously works, waiting is refused. */
static void nested_done(void *baton, apr_status_t st)
{
    nested_t *n = baton;
    uint64_t id;
    st_batch_t *b = st_batch_begin(n->s);
    st_batch_add_message(b, "w", 1, &id);
    st_batch_add_entry(b, n->q, id, 4, 2);
    n->inner = st_batch_commit_wait(b);
    b = st_batch_begin(n->s);
    st_batch_add_message(b, "a", 1, &id);
    st_batch_add_entry(b, n->q, id, 4, 3);
    if (st_batch_commit(b, nested_async_done, n) != APR_SUCCESS) n->async_done = -1;
}

static void test_callback_may_commit_but_not_wait(void)
{
    st_store_t *s = open_fresh();
    nested_t n = { s, 0, -1, 0 };
    st_dest_id(s, "q", &n.q);
    uint64_t id;
    st_batch_t *b = st_batch_begin(s);
    st_batch_add_message(b, "first", 5, &id);
    st_batch_add_entry(b, n.q, id, 4, 1);
    CU_ASSERT_EQUAL(st_batch_commit(b, nested_done, &n), APR_SUCCESS);
    s = reopen(s);                                /* close waits for all callbacks */
    CU_ASSERT_EQUAL(n.inner, HM_EDENIED);
    CU_ASSERT_EQUAL(n.async_done, 1);
    loaded_t *l = load(s, n.q);
    CU_ASSERT_EQUAL_FATAL(l->n, 2);
    CU_ASSERT_STRING_EQUAL(l->body[1], "a");
    finish(s);
}

/* One transaction touching tens of thousands of records (a big JMS transaction, a purge)
 * commits, now that the lock table is not sized for its maximum at open (st_bdb.c). */
#define BIG_BATCH 60000
static void test_big_batch_grows_lock_table(void)
{
    st_store_t *s = open_fresh();
    uint32_t q;
    st_dest_id(s, "big", &q);
    st_batch_t *b = st_batch_begin(s);
    char body[16];
    for (int i = 0; i < BIG_BATCH; i++) {
        uint64_t id;
        int n = snprintf(body, sizeof body, "b%d", i);
        st_batch_add_message(b, body, (size_t)n, &id);
        st_batch_add_entry(b, q, id, (uint8_t)(i % 10), (uint64_t)i + 1);
    }
    CU_ASSERT_EQUAL_FATAL(st_batch_commit_wait(b), APR_SUCCESS);
    s = reopen(s);
    CU_ASSERT_EQUAL(stats(s).messages, BIG_BATCH);
    b = st_batch_begin(s);
    for (int i = 0; i < BIG_BATCH; i++)
        st_batch_remove_entry(b, q, (uint8_t)(i % 10), (uint64_t)i + 1);
    CU_ASSERT_EQUAL_FATAL(st_batch_commit_wait(b), APR_SUCCESS);
    s = reopen(s);
    st_stats_t x = stats(s);
    CU_ASSERT_EQUAL(x.messages, 0);
    CU_ASSERT_EQUAL(x.entries, 0);
    finish(s);
}

static void test_second_open_refused(void)
{
    st_store_t *s = open_fresh();
    st_options_t o = opts();
    st_store_t *s2 = NULL;
    CU_ASSERT_EQUAL(st_open(g_pool, &o, &s2), ST_EBUSY);
    FILE *out = fopen("/dev/null", "w");
    CU_ASSERT_EQUAL(st_tool_verify(g_dir, out, NULL, NULL), ST_EBUSY);
    fclose(out);
    finish(s);
}

static void prog_seen(void *baton, const char *phase, uint64_t done, uint64_t total)
{
    prog_t *p = baton;
    if (strcmp(phase, "load") == 0 && p->n < 16) {
        p->done[p->n] = done;
        p->total[p->n++] = total;
    }
}

static apr_status_t count_only(void *baton, const st_entry_t *e, const void *bytes, size_t len)
{
    (void)e; (void)bytes; (void)len;
    ++*(uint64_t *)baton;
    return APR_SUCCESS;
}

/* A restart's load progress counts against every entry the open found, across queues (a
 * message on two queues counts twice), so an operator sees how far recovery has got. */
static void test_load_progress_has_total(void)
{
    st_store_t *s = open_fresh();
    uint32_t a, b;
    CU_ASSERT_EQUAL(st_dest_id(s, "progress.a", &a), APR_SUCCESS);
    CU_ASSERT_EQUAL(st_dest_id(s, "progress.b", &b), APR_SUCCESS);
    uint64_t seq = 0;
    for (int chunk = 0; chunk < 150; chunk++) {       /* 150,000 on a, 60,000 of them also on b */
        st_batch_t *bt = st_batch_begin(s);
        for (int i = 0; i < 1000; i++) {
            uint64_t id;
            st_batch_add_message(bt, "p", 1, &id);
            st_batch_add_entry(bt, a, id, 4, ++seq);
            if (chunk < 60)
                st_batch_add_entry(bt, b, id, 4, seq);
        }
        CU_ASSERT_EQUAL_FATAL(st_batch_commit_wait(bt), APR_SUCCESS);
    }
    st_close(s);
    static prog_t p;
    st_options_t o = opts();
    o.progress = prog_seen;
    o.progress_baton = &p;
    s = open_with(&o);
    uint64_t na = 0, nb = 0;
    CU_ASSERT_EQUAL(st_load(s, a, count_only, &na), APR_SUCCESS);
    CU_ASSERT_EQUAL(st_load(s, b, count_only, &nb), APR_SUCCESS);
    CU_ASSERT_EQUAL(na, 150000);
    CU_ASSERT_EQUAL(nb, 60000);
    CU_ASSERT_EQUAL_FATAL(p.n, 4);
    static const uint64_t want[] = { 100000, 150000, 200000, 210000 };
    for (int i = 0; i < 4; i++) {
        CU_ASSERT_EQUAL(p.done[i], want[i]);
        CU_ASSERT_EQUAL(p.total[i], 210000);
    }
    finish(s);
}

static int use_bdb(void) { g_kind = ST_KIND_BDB; return 0; }

int main(void)
{
    apr_initialize();
    apr_pool_create(&g_pool, NULL);
    hm_log_set_level(HM_LOG_ERROR);
    CU_initialize_registry();
    CU_pSuite bdb = CU_add_suite("store (bdb): durability, journal, recovery, tools", use_bdb, NULL);
    CU_add_test(bdb, "SIGKILL at random moments loses no durable commit", test_crash_keeps_every_durable_commit);
    CU_add_test(bdb, "load progress reports the total counted at open", test_load_progress_has_total);
    CU_add_test(bdb, "checkpoints keep the journal bounded", test_journal_stays_bounded);
    CU_add_test(bdb, "the store's own checkpoints keep the journal bounded", test_journal_bounded_automatically);
    CU_add_test(bdb, "a body that stays moves out of the journal", test_long_lived_body_leaves_journal);
    CU_add_test(bdb, "a damaged environment is reported, not a crash", test_damaged_environment_reported);
    CU_add_test(bdb, "verify, stats and dump tools", test_tools_verify_stats_dump);
    CU_add_test(bdb, "a second open of the same directory is refused", test_second_open_refused);
    CU_add_test(bdb, "a batch of 60,000 adds, then of 60,000 removals, commits", test_big_batch_grows_lock_table);
    CU_add_test(bdb, "room for recovery on a full disk is kept", test_recovery_reserve_kept);
    CU_add_test(bdb, "a commit callback may commit again but not wait", test_callback_may_commit_but_not_wait);
    CU_add_test(bdb, "normal and catastrophic recovery keep the data", test_recover_tool_keeps_data);
    CU_basic_set_mode(CU_BRM_VERBOSE);
    CU_basic_run_tests();
    unsigned failed = CU_get_number_of_failures();
    CU_cleanup_registry();
    apr_pool_destroy(g_pool);
    apr_terminate();
    return failed ? 1 : 0;
}
