/* What the store's test executables share (store_test.c, store_bdb_test.c): a scratch
 * directory, opening and reopening, writing and loading entries. */
#ifndef STORE_TEST_UTIL_H
#define STORE_TEST_UTIL_H

#include <CUnit/Basic.h>
#include <errno.h>
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <apr_general.h>

#include "st.h"
#include "st_int.h"
#include "hm_log.h"

static apr_pool_t *g_pool;
static st_kind_e g_kind;
static char g_dir[256];

/* ---- helpers ---- */

static inline void rm_rf(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d) return;
    struct dirent *e;
    char p[512];
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.') continue;
        snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
        unlink(p);
    }
    closedir(d);
    rmdir(dir);
}

static inline void fresh_dir(void)
{
    if (g_dir[0]) rm_rf(g_dir);
    snprintf(g_dir, sizeof g_dir, "/tmp/hm_store_test_XXXXXX");
    if (!mkdtemp(g_dir)) abort();
}

static inline st_options_t opts(void)
{
    st_options_t o;
    st_options_default(&o);
    o.kind = g_kind;
    o.dir = g_dir;
    o.cache_bytes = 8u << 20;
    return o;
}

static inline st_store_t *open_with(const st_options_t *o)
{
    st_store_t *s = NULL;
    apr_status_t st = st_open(g_pool, o, &s);
    CU_ASSERT_EQUAL_FATAL(st, APR_SUCCESS);
    return s;
}

static inline st_store_t *open_fresh(void)
{
    fresh_dir();
    st_options_t o = opts();
    return open_with(&o);
}

/* Memory stores do not survive close: "reopen" keeps the same store for them. */
static inline st_store_t *reopen(st_store_t *s)
{
    if (g_kind == ST_KIND_MEMORY) return s;
    st_close(s);
    st_options_t o = opts();
    return open_with(&o);
}

static inline void finish(st_store_t *s)
{
    st_close(s);
    if (g_dir[0]) { rm_rf(g_dir); g_dir[0] = 0; }
}

static uint64_t put_msg(st_store_t *s, uint32_t dest, const char *body, uint8_t prio, uint64_t seq)
{
    uint64_t id;
    st_batch_t *b = st_batch_begin(s);
    st_batch_add_message(b, body, strlen(body), &id);
    st_batch_add_entry(b, dest, id, prio, seq);
    CU_ASSERT_EQUAL(st_batch_commit_wait(b), APR_SUCCESS);
    return id;
}

static inline void remove_entry(st_store_t *s, uint32_t dest, uint8_t prio, uint64_t seq)
{
    st_batch_t *b = st_batch_begin(s);
    st_batch_remove_entry(b, dest, prio, seq);
    CU_ASSERT_EQUAL(st_batch_commit_wait(b), APR_SUCCESS);
}

#define MAXL 4096
typedef struct loaded_s {
    size_t n;
    st_entry_t e[MAXL];
    char body[MAXL][64];
} loaded_t;

static inline apr_status_t collect(void *baton, const st_entry_t *e, const void *bytes, size_t len)
{
    loaded_t *l = baton;
    if (l->n == MAXL) return HM_ETOOBIG;
    l->e[l->n] = *e;
    snprintf(l->body[l->n], sizeof l->body[0], "%.*s", (int)len, (const char *)bytes);
    l->n++;
    return APR_SUCCESS;
}

static inline loaded_t *load(st_store_t *s, uint32_t dest)
{
    static loaded_t l;
    l.n = 0;
    CU_ASSERT_EQUAL(st_load(s, dest, collect, &l), APR_SUCCESS);
    return &l;
}

static inline st_stats_t stats(st_store_t *s)
{
    st_stats_t x;
    CU_ASSERT_EQUAL(st_stats(s, &x), APR_SUCCESS);
    return x;
}


/* Records written straight into the tables, as a damaged disk would leave them. */
static inline void raw_put(st_store_t *s, int table, const void *k, size_t kl, const void *v, size_t vl)
{
    st_kvtx_t *tx;
    CU_ASSERT_EQUAL_FATAL(s->kv->vt->begin(s->kv, 1, &tx), APR_SUCCESS);
    CU_ASSERT_EQUAL(s->kv->vt->put(tx, table, k, kl, v, vl, 0), APR_SUCCESS);
    CU_ASSERT_EQUAL(s->kv->vt->commit(tx, ST_COMMIT_SYNC), APR_SUCCESS);
}

#endif
