/* The Berkeley DB 5.3 back end: one transactional environment (recovery on open, thread-safe
 * handles) with one B-tree file per table.  Commits are written without a flush; durability
 * comes from st_commit.c's shared log flush, or from a synchronous commit. */
#include <db.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>

#include "hm_log.h"
#include "st_bdb_int.h"

/* Two reserve files: one a running store gives up when the disk fills, one only an open on a
 * full disk gives up (crash recovery after the first was used). */
#define RESERVE_RUN     "hermod.reserve-run"
#define RESERVE_RECOVER "hermod.reserve"
static int reserve_release(const char *dir, const char *name);
static int reserve_keep(const char *dir, const char *name, uint64_t want);

/* Why: when the disk fills, the journal must still take acknowledgements, removals and XA
 * outcomes; the reserve kept beside it gives that room, and from then on the store refuses new
 * messages (st_bdb_low_space) and skips checkpoints until there is room for the reserves again.  Returns 1 when rc was a
 * full disk and room was just made (worth one retry). */
int st_bdb_full_disk(bdb_kv_t *b, int rc)
{
    if ((rc != ENOSPC && rc != EDQUOT) || b->low_space)
        return 0;
    b->low_space = 1;
    if (!reserve_release(b->dir, RESERVE_RUN))
        return 0;
    hm_error("store: the disk of %s is full: new persistent messages are refused until space is "
             "freed; acknowledgements still reach the journal", b->dir);
    return 1;
}

/* While low on space: is there room for the reserve again?  Then messages are taken again. */
static void room_check(bdb_kv_t *b)
{
    struct statvfs v;
    if (!b->low_space || statvfs(b->dir, &v) != 0)
        return;
    if ((uint64_t)v.f_bavail * v.f_frsize < 3 * b->reserve ||
        !reserve_keep(b->dir, RESERVE_RECOVER, b->reserve) || !reserve_keep(b->dir, RESERVE_RUN, b->reserve))
        return;
    b->low_space = 0;
    hm_info("store: the disk of %s has room again: persistent messages are taken again", b->dir);
}

int st_bdb_low_space(st_kv_t *kv)
{
    return ((bdb_kv_t *)kv)->low_space;
}

static void cur_close(cur_t *cu);

static void close_near(st_kvtx_t *tx)
{
    for (int t = 0; t < ST_T_COUNT; t++)
        if (tx->near[t].c)
            cur_close(&tx->near[t]);
}

/* Why map: the layers above speak apr_status_t, and must tell a lock conflict (retry) from a
 * damaged environment (recover) from the OS refusing (ENOSPC, EIO). */
apr_status_t st_bdb_map_err(int rc)
{
    switch (rc) {
    case 0: return APR_SUCCESS;
    case DB_NOTFOUND: case DB_KEYEMPTY: return HM_ENOTFOUND;
    case DB_KEYEXIST: return HM_EEXISTS;
    case DB_LOCK_DEADLOCK: case DB_LOCK_NOTGRANTED: return ST_ELOCKED;
    case DB_RUNRECOVERY: return ST_ERECOVER;
    case DB_VERIFY_BAD: return ST_ECORRUPT;
    default:
        if (rc > 0) return APR_FROM_OS_ERROR(rc);
        hm_error("store: Berkeley DB: %s", db_strerror(rc));
        return ST_EDB;
    }
}

static void errcall(const DB_ENV *env, const char *prefix, const char *msg)
{
    bdb_kv_t *b = env->app_private;
    if (b && (b->panicked || b->disk_full))
        hm_debug("store: Berkeley DB: %s", msg);
    else
        hm_error("store: Berkeley DB: %s", msg);
}

static void event(DB_ENV *env, u_int32_t ev, void *info)
{
    bdb_kv_t *b = env->app_private;
    if (ev == DB_EVENT_PANIC && b && !b->panicked++)
        hm_error("store: Berkeley DB environment panic: the store needs recovery (restart the "
                 "broker, or run `hermod store recover DIR`)");
}

static apr_status_t bdb_begin(st_kv_t *kv, int write, st_kvtx_t **out)
{
    bdb_kv_t *b = (bdb_kv_t *)kv;
    st_kvtx_t *tx = calloc(1, sizeof *tx);
    if (!tx) return APR_ENOMEM;
    tx->b = b;
    if (write) {
        int rc = b->env->txn_begin(b->env, NULL, &tx->txn, 0);
        if (rc) { free(tx); return st_bdb_map_err(rc); }
    }
    *out = tx;
    return APR_SUCCESS;
}

static apr_status_t bdb_commit(st_kvtx_t *tx, st_commit_e how)
{
    int rc = 0;
    close_near(tx);
    if (tx->txn)
        rc = tx->txn->commit(tx->txn, how == ST_COMMIT_SYNC ? DB_TXN_SYNC : DB_TXN_NOSYNC);
    st_bdb_full_disk(tx->b, rc);          /* this transaction is aborted; the next one gets the room */
    st_journal_end(tx, rc == 0);
    free(tx);
    return st_bdb_map_err(rc);
}

static void bdb_abort(st_kvtx_t *tx)
{
    close_near(tx);
    if (tx->txn)
        tx->txn->abort(tx->txn);
    st_journal_end(tx, 0);
    free(tx);
}

static void dbt_in(DBT *d, const void *p, size_t n)
{
    memset(d, 0, sizeof *d);
    d->data = (void *)p;
    d->size = (u_int32_t)n;
}

/* Reads into a growing user buffer (handles are DB_THREAD, so memory must be ours). */
static int get_into(DBT *d, st_buf_t *buf, int (*op)(void *, DBT *), void *arg)
{
    for (;;) {
        memset(d, 0, sizeof *d);
        if (st_buf_reserve(buf, 64) != APR_SUCCESS) return ENOMEM;
        d->data = buf->p;
        d->ulen = (u_int32_t)buf->cap;
        d->flags = DB_DBT_USERMEM;
        int rc = op(arg, d);
        if (rc == DB_BUFFER_SMALL) {
            if (st_buf_reserve(buf, d->size) != APR_SUCCESS) return ENOMEM;
            continue;
        }
        if (rc == 0) buf->len = d->size;
        return rc;
    }
}

typedef struct get_arg_s { DB *db; DB_TXN *txn; DBT *key; u_int32_t flags; } get_arg_t;
static int do_get(void *a, DBT *d)
{
    get_arg_t *g = a;
    return g->db->get(g->db, g->txn, g->key, d, g->flags);
}

static apr_status_t bdb_get(st_kvtx_t *tx, int t, const void *k, size_t kl, st_buf_t *v, int for_update)
{
    DBT key, data;
    dbt_in(&key, k, kl);
    get_arg_t g = { tx->b->db[t], tx->txn, &key, (for_update && tx->txn) ? DB_RMW : 0 };
    return st_bdb_map_err(get_into(&data, v, do_get, &g));
}

static apr_status_t bdb_put(st_kvtx_t *tx, int t, const void *k, size_t kl, const void *v, size_t vl, int no_overwrite)
{
    DBT key, data;
    dbt_in(&key, k, kl);
    dbt_in(&data, v, vl);
    DB *db = tx->b->db[t];
    int rc = db->put(db, tx->txn, &key, &data, no_overwrite ? DB_NOOVERWRITE : 0);
    st_bdb_full_disk(tx->b, rc);
    return st_bdb_map_err(rc);
}

static apr_status_t bdb_del(st_kvtx_t *tx, int t, const void *k, size_t kl)
{
    DBT key;
    dbt_in(&key, k, kl);
    DB *db = tx->b->db[t];
    return st_bdb_map_err(db->del(db, tx->txn, &key, 0));
}

static apr_status_t cur_open(st_kvtx_t *tx, int t, cur_t *cu)
{
    memset(cu, 0, sizeof *cu);
    DB *db = tx->b->db[t];
    cu->key.flags = cu->data.flags = DB_DBT_REALLOC;
    return st_bdb_map_err(db->cursor(db, tx->txn, &cu->c, 0));
}

static void cur_close(cur_t *cu)
{
    cu->c->close(cu->c);
    free(cu->key.data);
    free(cu->data.data);
    memset(cu, 0, sizeof *cu);
}

static int cur_step(cur_t *cu, u_int32_t flags, const void *from, size_t fl)
{
    if (flags == DB_SET_RANGE) {
        void *p = realloc(cu->key.data, fl);
        if (!p) return ENOMEM;
        memcpy(p, from, fl);
        cu->key.data = p;
        cu->key.size = (u_int32_t)fl;
    }
    return cu->c->get(cu->c, &cu->key, &cu->data, flags);
}

/* Why bulk: a scan (the load reads every queue entry) fetches a page's worth of records per
 * cursor call (DB_MULTIPLE_KEY) instead of paying a cursor call, page pin and lock per record. */
#define SCAN_BULK_BYTES (256u << 10)

static apr_status_t bdb_scan(st_kvtx_t *tx, int t, const void *from, size_t fl, st_scan_fn fn, void *baton)
{
    cur_t cu;
    apr_status_t st = cur_open(tx, t, &cu);
    if (st) return st;
    st_buf_t bulk = { 0 };
    u_int32_t op = fl ? DB_SET_RANGE : DB_FIRST;
    int rc = 0;
    if (fl) {
        void *k = realloc(cu.key.data, fl);
        if (!k) rc = ENOMEM;
        else {
            memcpy(k, from, fl);
            cu.key.data = k;
            cu.key.size = (u_int32_t)fl;
            cu.key.ulen = (u_int32_t)fl;
        }
    }
    size_t want = SCAN_BULK_BYTES;
    while (rc == 0 && !st) {
        if (st_buf_reserve(&bulk, want) != APR_SUCCESS) { rc = ENOMEM; break; }
        DBT data;
        memset(&data, 0, sizeof data);
        data.data = bulk.p;
        data.ulen = (u_int32_t)(bulk.cap & ~(size_t)1023);
        data.flags = DB_DBT_USERMEM;
        rc = cu.c->get(cu.c, &cu.key, &data, op | DB_MULTIPLE_KEY);
        if (rc == DB_BUFFER_SMALL) {     /* one record larger than the buffer: grow and retry */
            want = ((size_t)data.size + 1023) & ~(size_t)1023;
            rc = 0;
            continue;
        }
        if (rc) break;
        op = DB_NEXT;
        void *p;
        DB_MULTIPLE_INIT(p, &data);
        for (;;) {
            void *k, *v;
            u_int32_t kl, vl;
            DB_MULTIPLE_KEY_NEXT(p, &data, k, kl, v, vl);
            if (!p) break;
            if ((st = fn(baton, k, kl, v, vl))) break;
        }
    }
    if (st == 1) st = APR_SUCCESS;
    else if (!st && rc != DB_NOTFOUND) st = st_bdb_map_err(rc);
    st_buf_free(&bulk);
    cur_close(&cu);
    return st;
}

/* Why: loading reads messages in nearly ascending key order; one kept cursor that steps
 * forward (or seeks) avoids a fresh cursor and a tree descent per message. */
static apr_status_t bdb_get_near(st_kvtx_t *tx, int t, const void *k, size_t kl, st_buf_t *v)
{
    cur_t *cu = &tx->near[t];
    apr_status_t st;
    int rc = DB_NOTFOUND;
    if (!cu->c && (st = cur_open(tx, t, cu)))
        return st;
    if (cu->key.size == kl) {
        int c = memcmp(cu->key.data, k, kl);
        if (c == 0)
            rc = 0;
        else if (c < 0 && (rc = cur_step(cu, DB_NEXT, NULL, 0)) == 0 &&
                 (cu->key.size != kl || memcmp(cu->key.data, k, kl) != 0))
            rc = DB_NOTFOUND;
    }
    if (rc == DB_NOTFOUND) {
        rc = cur_step(cu, DB_SET_RANGE, k, kl);
        if (rc == 0 && (cu->key.size != kl || memcmp(cu->key.data, k, kl) != 0))
            rc = DB_NOTFOUND;
    }
    if (rc) {
        if (rc != DB_NOTFOUND) cu->key.size = 0;
        return st_bdb_map_err(rc);
    }
    if ((st = st_buf_reserve(v, cu->data.size)))
        return st;
    memcpy(v->p, cu->data.data, cu->data.size);
    v->len = cu->data.size;
    return APR_SUCCESS;
}

static apr_status_t bdb_last(st_kvtx_t *tx, int t, st_buf_t *k)
{
    cur_t cu;
    apr_status_t st = cur_open(tx, t, &cu);
    if (st) return st;
    int rc = cur_step(&cu, DB_LAST, NULL, 0);
    if (rc == 0 && (st = st_buf_reserve(k, cu.key.size)) == APR_SUCCESS) {
        memcpy(k->p, cu.key.data, cu.key.size);
        k->len = cu.key.size;
    }
    cur_close(&cu);
    return rc ? st_bdb_map_err(rc) : st;
}

static apr_status_t bdb_flush(st_kv_t *kv)
{
    bdb_kv_t *b = (bdb_kv_t *)kv;
    int rc = b->env->log_flush(b->env, NULL);
    if (st_bdb_full_disk(b, rc))
        rc = b->env->log_flush(b->env, NULL);   /* the unwritten records go into the room made */
    return st_bdb_map_err(rc);
}

/* Why checkpoint then archive: after a checkpoint, older log files are no longer needed for
 * normal recovery and can go, so the journal stays bounded while consumers keep up.  (Berkeley
 * DB keeps the files back to the checkpoint before the last, so removal lags one checkpoint.)
 * Files that still hold a live message body (st_journal.c) stay. */
/* Why: Berkeley DB writes each page in place with one write, and a page of a growing file needs
 * new blocks; when the disk fills up during that write, part of an 8 KB page lands (a torn
 * page), which recovery cannot repair (a checksum error: catastrophic recovery).  So a checkpoint
 * waits while the disk lacks room for every dirty page (counted at the largest page size) plus
 * one log file, which commits may write meanwhile. */
static int room_for_checkpoint(bdb_kv_t *b)
{
    struct statvfs v;
    DB_MPOOL_STAT *gsp = NULL;
    uint32_t lg_max = 0;
    if (statvfs(b->dir, &v) != 0 || b->env->memp_stat(b->env, &gsp, NULL, 0) != 0)
        return 1;                  /* cannot tell: as before */
    uint64_t dirty = (uint64_t)gsp->st_page_dirty * (64u << 10);
    free(gsp);
    b->env->get_lg_max(b->env, &lg_max);
    return (uint64_t)v.f_bavail * v.f_frsize >= dirty + lg_max;
}

static apr_status_t bdb_checkpoint(st_kv_t *kv, uint32_t kbytes)
{
    bdb_kv_t *b = (bdb_kv_t *)kv;
    room_check(b);
    if (b->low_space)              /* page writes would eat the room kept for the journal */
        return APR_FROM_OS_ERROR(ENOSPC);
    if (!room_for_checkpoint(b))   /* no torn pages on a disk about to fill */
        return APR_FROM_OS_ERROR(ENOSPC);
    /* Read before the log flush below, which makes every release counted by then durable: a
     * file is removed only once no durable entry can still need a body in it. */
    uint32_t keep = st_journal_oldest(b);
    /* DB_FORCE: a quiet store still needs the second checkpoint that lets old files go. */
    int rc = b->env->txn_checkpoint(b->env, kbytes, 0, kbytes ? 0 : DB_FORCE);
    if (st_bdb_full_disk(b, rc))
        rc = b->env->txn_checkpoint(b->env, kbytes, 0, kbytes ? 0 : DB_FORCE);
    b->disk_full = rc == ENOSPC || rc == EDQUOT;     /* one report per full-disk episode */
    if (rc) return st_bdb_map_err(rc);
    /* A checkpoint that found too little new log did nothing, flush included: flush here so
     * the releases counted before keep was read are durable before a file they freed goes. */
    rc = b->env->log_flush(b->env, NULL);
    if (rc) return st_bdb_map_err(rc);
    char **list = NULL;
    rc = b->env->log_archive(b->env, &list, DB_ARCH_ABS);
    for (char **f = list; !rc && f && *f; f++) {
        const char *base = strrchr(*f, '/');
        unsigned long n = strtoul(base ? base + 5 : *f + 4, NULL, 10);
        if (!keep || n < keep)
            unlink(*f);
    }
    free(list);
    return st_bdb_map_err(rc);
}

static uint32_t bdb_log_files(st_kv_t *kv)
{
    bdb_kv_t *b = (bdb_kv_t *)kv;
    DIR *d = opendir(b->dir);
    uint32_t n = 0;
    if (!d) return 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        if (strncmp(e->d_name, "log.", 4) == 0)
            n++;
    closedir(d);
    return n;
}

static void bdb_close(st_kv_t *kv)
{
    bdb_kv_t *b = (bdb_kv_t *)kv;
    for (int t = 0; t < ST_T_COUNT; t++)
        if (b->db[t])
            b->db[t]->close(b->db[t], 0);
    if (b->env)
        b->env->close(b->env, 0);
    if (b->lease)
        st_lease_release(b->lease);        /* a pair's lease file says "released" */
    if (b->lease_pool)
        apr_pool_destroy(b->lease_pool);   /* closes the lock file: the lease is free again */
    pthread_mutex_destroy(&b->jmu);
    free(b->jf);
    free(b->dir);
    free(b);
}

static const st_kv_vt_t bdb_vt = {
    bdb_begin, bdb_commit, bdb_abort, bdb_get, bdb_get_near, bdb_put, bdb_del, bdb_scan, bdb_last,
    st_journal_put, st_journal_get, st_journal_drop, st_journal_hold, st_journal_span,
    bdb_flush, bdb_checkpoint, bdb_log_files, bdb_close
};

/* Why: a failed recovery on a full disk looks like damage to Berkeley DB; tell the two apart
 * so the way out is right (free space, not catastrophic recovery).  "Short" means less free
 * space than the journal recovery may replay, plus a margin. */
static int short_of_space(const char *dir)
{
    struct statvfs v;
    if (statvfs(dir, &v) != 0)
        return 0;
    uint64_t avail = (uint64_t)v.f_bavail * v.f_frsize, logs = 0;
    DIR *d = opendir(dir);
    if (!d) return 0;
    struct dirent *e;
    char p[4400];
    while ((e = readdir(d)) != NULL) {
        struct stat st;
        snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
        if (strncmp(e->d_name, "log.", 4) == 0 && stat(p, &st) == 0)
            logs += (uint64_t)st.st_size;
    }
    closedir(d);
    return avail < logs + (1u << 20);
}

/* Creates the environment handle and opens it (with recovery).  Returns the Berkeley DB code;
 * on failure b->env is the opened-and-failed handle to discard (NULL if none was created). */
static int env_open(bdb_kv_t *b, const st_options_t *o, int recover_fatal)
{
    int rc = db_env_create(&b->env, 0);
    if (rc) { b->env = NULL; return rc; }
    DB_ENV *env = b->env;
    env->app_private = b;
    env->set_errcall(env, errcall);
    env->set_event_notify(env, event);
    env->set_app_dispatch(env, st_journal_dispatch);
    uint64_t cache = o->cache_bytes ? o->cache_bytes : 64ull << 20;
    env->set_cachesize(env, (u_int32_t)(cache >> 30), (u_int32_t)(cache & ((1u << 30) - 1)), 1);
    uint32_t lg_max = o->log_file_bytes ? o->log_file_bytes : 10u << 20;
    if (lg_max < 128u << 10) lg_max = 128u << 10;
    uint32_t lg_bsize = lg_max / 4 < (1u << 20) ? lg_max / 4 : (1u << 20);
    env->set_lg_bsize(env, lg_bsize);
    env->set_lg_max(env, lg_max);
    env->set_lk_detect(env, DB_LOCK_DEFAULT);
    /* Why initial sizes and a ceiling rather than set_lk_max_*: those size the lock table for
     * its maximum up front (200,000 locks cost 23 MB of resident memory in an idle broker);
     * this way the table starts small and grows in the environment region as big batches
     * (a purge, a transaction of thousands) need it, up to the same maximum. */
    env->set_memory_init(env, DB_MEM_LOCK, 2000);
    env->set_memory_init(env, DB_MEM_LOCKOBJECT, 2000);
    env->set_memory_init(env, DB_MEM_LOCKER, 200);
    env->set_lk_tablesize(env, 4096);
    env->set_memory_max(env, 0, ST_BDB_REGION_MAX);
    env->set_tx_max(env, 1000);
    /* Why DB_PRIVATE: one process owns the store (the lock file enforces it), so the regions
     * live in heap memory -- no region files to go stale after a crash, and no mmap'd file
     * pages that turn a full disk into SIGBUS. */
    u_int32_t flags = DB_CREATE | DB_INIT_TXN | DB_INIT_LOG | DB_INIT_LOCK | DB_INIT_MPOOL |
                      DB_THREAD | DB_PRIVATE | (recover_fatal ? DB_RECOVER_FATAL : DB_RECOVER);
    return env->open(env, o->dir, flags, 0600);
}

static void env_discard(bdb_kv_t *b)
{
    if (b->env)
        b->env->close(b->env, 0);
    b->env = NULL;
}

/* Why reserves: on a full disk the journal must still take acknowledgements and checkpoints,
 * and recovery after a crash writes too (pages the journal replays, a checkpoint); without room
 * a store whose disk filled up could neither drain nor start again until someone freed space.
 * Each open keeps two files of this size beside the journal (RESERVE_RUN, RESERVE_RECOVER). */
static uint64_t reserve_bytes(const st_options_t *o)
{
    uint64_t lg = o->log_file_bytes ? o->log_file_bytes : 10u << 20;
    uint64_t r = 4 * lg;           /* what recovery may replay when checkpoints could not run */
    return r < (8u << 20) ? 8u << 20 : r > (64u << 20) ? 64u << 20 : r;
}

static int reserve_release(const char *dir, const char *name)
{
    char p[4200];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    if (unlink(p) != 0)
        return 0;
    hm_warn("store: the disk of %s is full: released %s, the room kept for that", dir, name);
    return 1;
}

/* Makes DIR/name want bytes (allocated, not sparse); 1 when it is there. */
static int reserve_keep(const char *dir, const char *name, uint64_t want)
{
    char p[4200];
    struct stat sb;
    snprintf(p, sizeof p, "%s/%s", dir, name);
    if (stat(p, &sb) == 0 && (uint64_t)sb.st_size >= want)
        return 1;
    int fd = open(p, O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
    int rc = fd < 0 ? errno : posix_fallocate(fd, 0, (off_t)want);
    if (fd >= 0)
        close(fd);
    if (rc) {
        unlink(p);
        hm_warn("store: no room for the %llu MB kept in %s for a full disk: %s",
                (unsigned long long)(want >> 20), dir, strerror(rc));
    }
    return rc == 0;
}

/* The lease an offline tool takes: the lock file, or for a pair's store (it has a lease file)
 * the lease file, waiting up to a lease for a holder that may have crashed.  Busy while a
 * broker of the pair renews it. */
static apr_status_t tool_lease(apr_pool_t *pool, const char *dir, st_lease_t **out)
{
    apr_status_t st;
    if (!st_lease_file_exists(dir))
        return (st = st_lease_lockfile(pool, dir, out)) ? st : st_lease_try(*out);
    st_lease_opts_t lo = { .lease_ms = 1000, .holder = "hermod store tool" };
    if ((st = st_lease_file(pool, dir, &lo, out)))
        return st;
    int64_t give_up = 0;
    while ((st = st_lease_try(*out)) == ST_EBUSY) {
        char who[512];
        (*out)->ops->holder(*out, who, sizeof who);
        /* the record names its lease length; wait a little longer than that */
        const char *ms = strstr(who, "lease ");
        int64_t lease = ms ? atoll(ms + 6) : 10000;
        if (!give_up)
            give_up = st_lease_now_us() + (lease + 1000) * 1000;
        if (st_lease_now_us() > give_up)
            return ST_EBUSY;
        usleep(100000);
    }
    return st;
}

apr_status_t st_bdb_open(const st_options_t *o, int recover_fatal, st_kv_t **out)
{
    if (!o->dir || !*o->dir)
        return HM_EINVAL;
    if (mkdir(o->dir, 0700) != 0 && errno != EEXIST)
        return APR_FROM_OS_ERROR(errno);
    bdb_kv_t *b = calloc(1, sizeof *b);
    if (!b || !(b->dir = strdup(o->dir))) { free(b); return APR_ENOMEM; }
    b->kv.vt = &bdb_vt;
    pthread_mutex_init(&b->jmu, NULL);
    /* Why the lease: recovery on open assumes no other process uses the environment.  A broker
     * took it already (st_lease.h); the offline tools take it here, the same way. */
    apr_status_t lst = APR_SUCCESS;
    st_bdb_gate_install();
    if (!o->lease_held &&
        ((lst = apr_pool_create(&b->lease_pool, NULL)) ||
         (lst = tool_lease(b->lease_pool, o->dir, &b->lease)))) {
        char who[512] = "";
        if (b->lease)
            b->lease->ops->holder(b->lease, who, sizeof who);
        hm_error("store: cannot lock %s: %s", *who ? who : o->dir, lst == ST_EBUSY ?
                 "another broker or store tool has this store open" : hm_strerror(lst));
        b->env = NULL;
        bdb_close(&b->kv);
        return lst;
    }
    if (short_of_space(o->dir))
        reserve_release(o->dir, RESERVE_RECOVER);   /* before recovery fails for want of room */
    int rc = env_open(b, o, recover_fatal);
    if (rc && b->env && short_of_space(o->dir) &&
        (reserve_release(o->dir, RESERVE_RUN) || reserve_release(o->dir, RESERVE_RECOVER))) {
        env_discard(b);                             /* recovery gets the reserved room */
        b->panicked = 0;
        rc = env_open(b, o, recover_fatal);
    }
    if (rc && !b->env) { bdb_close(&b->kv); return st_bdb_map_err(rc); }
    if (rc && short_of_space(o->dir)) {
        hm_error("store: cannot open %s: the disk is (nearly) full -- recovery needs room to "
                 "replay the journal; free disk space and start again", o->dir);
        env_discard(b);
        bdb_close(&b->kv);
        return APR_FROM_OS_ERROR(ENOSPC);
    }
    if (rc) {
        apr_status_t st = st_bdb_map_err(rc);
        if (rc < 0 && rc != ENOENT && st != HM_ENOTFOUND) st = ST_ERECOVER;
        hm_error("store: cannot open the Berkeley DB environment in %s: %s%s", o->dir,
                 db_strerror(rc), st == ST_ERECOVER ? " -- the store is damaged; try "
                 "`hermod store recover DIR` (catastrophic recovery) and `hermod store verify DIR`" : "");
        env_discard(b);
        bdb_close(&b->kv);
        return st;
    }
    DB_ENV *env = b->env;
    static const char *const files[ST_T_COUNT] = {
        "messages.db", "refs.db", "entries.db", "dests.db", "subs.db", "xa.db", "producers.db" };
    for (int t = 0; t < ST_T_COUNT; t++) {
        if ((rc = db_create(&b->db[t], env, 0)) == 0 &&
            (rc = b->db[t]->set_flags(b->db[t], DB_CHKSUM)) == 0 &&  /* damaged pages are detected */
            ((t != ST_T_MSG && t != ST_T_ENTRY) ||
             (rc = b->db[t]->set_pagesize(b->db[t], ST_BDB_MSG_PAGE)) == 0))
            rc = b->db[t]->open(b->db[t], NULL, files[t], NULL, DB_BTREE,
                                DB_CREATE | DB_AUTO_COMMIT | DB_THREAD, 0600);
        if (rc) {
            apr_status_t st = st_bdb_map_err(rc);
            hm_error("store: cannot open %s/%s: %s", o->dir, files[t], db_strerror(rc));
            if (b->db[t] && rc) { b->db[t]->close(b->db[t], 0); b->db[t] = NULL; }
            bdb_close(&b->kv);
            return st == ST_EDB ? ST_ERECOVER : st;
        }
    }
    b->reserve = reserve_bytes(o);
    /* no room to keep both: as good as full */
    b->low_space = !reserve_keep(o->dir, RESERVE_RECOVER, b->reserve) ||
                   !reserve_keep(o->dir, RESERVE_RUN, b->reserve);
    *out = &b->kv;
    return APR_SUCCESS;
}
