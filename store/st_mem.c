/* The memory back end: each table is a skip list of byte keys in the same order a B-tree
 * gives, so the store logic above runs unchanged.  One write transaction at a time holds the
 * lock and keeps an undo log; abort replays it backwards, so a batch is all or nothing. */
#include <stdlib.h>
#include <string.h>

#include "st_int.h"

#define MEM_LEVELS 24

typedef struct mem_node_s {
    uint8_t *key, *val;
    size_t kl, vl;
    int height;
    struct mem_node_s *next[];
} mem_node_t;

typedef struct mem_list_s {
    mem_node_t *head;
    int height;
} mem_list_t;

typedef struct mem_undo_s {
    int t;
    uint8_t *key, *val;       /* val NULL: the key was absent before */
    size_t kl, vl;
    struct mem_undo_s *prev;
} mem_undo_t;

typedef struct mem_kv_s {
    st_kv_t kv;
    pthread_mutex_t mu;
    mem_list_t t[ST_T_COUNT];
    uint64_t rnd;
} mem_kv_t;

struct st_kvtx_s {
    mem_kv_t *m;
    int write;
    mem_undo_t *undo;
};

static int keycmp(const uint8_t *a, size_t al, const uint8_t *b, size_t bl)
{
    int c = memcmp(a, b, al < bl ? al : bl);
    return c ? c : (al < bl ? -1 : al > bl);
}

static mem_node_t *node_new(int height, const void *k, size_t kl, const void *v, size_t vl)
{
    mem_node_t *n = calloc(1, sizeof *n + (size_t)height * sizeof n->next[0]);
    if (!n) abort();
    n->height = height;
    n->key = malloc(kl ? kl : 1);
    n->val = malloc(vl ? vl : 1);
    if (!n->key || !n->val) abort();
    memcpy(n->key, k, kl);
    memcpy(n->val, v, vl);
    n->kl = kl;
    n->vl = vl;
    return n;
}

static void node_free(mem_node_t *n)
{
    free(n->key);
    free(n->val);
    free(n);
}

/* Fills prev[] with the last node before key on each level; returns the first node >= key. */
static mem_node_t *list_seek(mem_list_t *l, const uint8_t *k, size_t kl, mem_node_t **prev)
{
    mem_node_t *x = l->head;
    for (int i = MEM_LEVELS - 1; i >= 0; i--) {
        while (x->next[i] && keycmp(x->next[i]->key, x->next[i]->kl, k, kl) < 0)
            x = x->next[i];
        if (prev) prev[i] = x;
    }
    return x->next[0];
}

static int random_height(mem_kv_t *m)
{
    int h = 1;
    for (;;) {
        m->rnd ^= m->rnd << 13; m->rnd ^= m->rnd >> 7; m->rnd ^= m->rnd << 17;
        if ((m->rnd & 3) != 0 || h == MEM_LEVELS) return h;
        h++;
    }
}

/* Sets key to val (val NULL: removes it); returns the old value through *old (owned by caller). */
static void list_set(mem_kv_t *m, mem_list_t *l, const uint8_t *k, size_t kl, const uint8_t *v, size_t vl,
                     uint8_t **old, size_t *oldl)
{
    mem_node_t *prev[MEM_LEVELS];
    mem_node_t *x = list_seek(l, k, kl, prev);
    int found = x && keycmp(x->key, x->kl, k, kl) == 0;
    if (old) { *old = NULL; *oldl = 0; }
    if (found) {
        if (old) { *old = x->val; *oldl = x->vl; x->val = NULL; }
        if (v) {
            free(x->val);
            x->val = malloc(vl ? vl : 1);
            if (!x->val) abort();
            memcpy(x->val, v, vl);
            x->vl = vl;
            return;
        }
        for (int i = 0; i < x->height; i++)
            prev[i]->next[i] = x->next[i];
        node_free(x);
        return;
    }
    if (!v) return;
    int h = random_height(m);
    mem_node_t *n = node_new(h, k, kl, v, vl);
    for (int i = 0; i < h; i++) {
        n->next[i] = prev[i]->next[i];
        prev[i]->next[i] = n;
    }
}

static apr_status_t mem_begin(st_kv_t *kv, int write, st_kvtx_t **out)
{
    mem_kv_t *m = (mem_kv_t *)kv;
    st_kvtx_t *tx = calloc(1, sizeof *tx);
    if (!tx) return APR_ENOMEM;
    tx->m = m;
    tx->write = write;
    pthread_mutex_lock(&m->mu);
    *out = tx;
    return APR_SUCCESS;
}

static void undo_free(mem_undo_t *u)
{
    while (u) {
        mem_undo_t *p = u->prev;
        free(u->key);
        free(u->val);
        free(u);
        u = p;
    }
}

static apr_status_t mem_commit(st_kvtx_t *tx, st_commit_e how)
{
    undo_free(tx->undo);
    pthread_mutex_unlock(&tx->m->mu);
    free(tx);
    return APR_SUCCESS;
}

static void mem_abort(st_kvtx_t *tx)
{
    for (mem_undo_t *u = tx->undo; u; u = u->prev)
        list_set(tx->m, &tx->m->t[u->t], u->key, u->kl, u->val, u->vl, NULL, NULL);
    undo_free(tx->undo);
    pthread_mutex_unlock(&tx->m->mu);
    free(tx);
}

static apr_status_t mem_get(st_kvtx_t *tx, int t, const void *k, size_t kl, st_buf_t *v, int for_update)
{
    mem_node_t *x = list_seek(&tx->m->t[t], k, kl, NULL);
    if (!x || keycmp(x->key, x->kl, k, kl) != 0)
        return HM_ENOTFOUND;
    apr_status_t st = st_buf_reserve(v, x->vl);
    if (st) return st;
    memcpy(v->p, x->val, x->vl);
    v->len = x->vl;
    return APR_SUCCESS;
}

static apr_status_t mem_get_near(st_kvtx_t *tx, int t, const void *k, size_t kl, st_buf_t *v)
{
    return mem_get(tx, t, k, kl, v, 0);
}

static void record_undo(st_kvtx_t *tx, int t, const void *k, size_t kl, uint8_t *old, size_t oldl)
{
    mem_undo_t *u = calloc(1, sizeof *u);
    if (!u) abort();
    u->t = t;
    u->key = malloc(kl ? kl : 1);
    if (!u->key) abort();
    memcpy(u->key, k, kl);
    u->kl = kl;
    u->val = old;
    u->vl = oldl;
    u->prev = tx->undo;
    tx->undo = u;
}

static apr_status_t mem_put(st_kvtx_t *tx, int t, const void *k, size_t kl, const void *v, size_t vl, int no_overwrite)
{
    if (no_overwrite) {
        mem_node_t *x = list_seek(&tx->m->t[t], k, kl, NULL);
        if (x && keycmp(x->key, x->kl, k, kl) == 0)
            return HM_EEXISTS;
    }
    uint8_t *old;
    size_t oldl;
    list_set(tx->m, &tx->m->t[t], k, kl, v, vl, &old, &oldl);
    record_undo(tx, t, k, kl, old, oldl);
    return APR_SUCCESS;
}

static apr_status_t mem_del(st_kvtx_t *tx, int t, const void *k, size_t kl)
{
    uint8_t *old;
    size_t oldl;
    list_set(tx->m, &tx->m->t[t], k, kl, NULL, 0, &old, &oldl);
    if (!old)
        return HM_ENOTFOUND;
    record_undo(tx, t, k, kl, old, oldl);
    return APR_SUCCESS;
}

static apr_status_t mem_scan(st_kvtx_t *tx, int t, const void *from, size_t fl, st_scan_fn fn, void *baton)
{
    mem_list_t *l = &tx->m->t[t];
    mem_node_t *x = fl ? list_seek(l, from, fl, NULL) : l->head->next[0];
    for (; x; x = x->next[0]) {
        apr_status_t st = fn(baton, x->key, x->kl, x->val, x->vl);
        if (st == 1) return APR_SUCCESS;
        if (st) return st;
    }
    return APR_SUCCESS;
}

static apr_status_t mem_last(st_kvtx_t *tx, int t, st_buf_t *k)
{
    mem_node_t *x = tx->m->t[t].head;
    for (int i = MEM_LEVELS - 1; i >= 0; i--)
        while (x->next[i])
            x = x->next[i];
    if (x == tx->m->t[t].head)
        return HM_ENOTFOUND;
    apr_status_t st = st_buf_reserve(k, x->kl);
    if (st) return st;
    memcpy(k->p, x->key, x->kl);
    k->len = x->kl;
    return APR_SUCCESS;
}

static apr_status_t mem_flush(st_kv_t *kv) { return APR_SUCCESS; }
static apr_status_t mem_checkpoint(st_kv_t *kv, uint32_t kbytes) { return APR_SUCCESS; }
static uint32_t mem_log_files(st_kv_t *kv) { return 0; }

static void mem_close(st_kv_t *kv)
{
    mem_kv_t *m = (mem_kv_t *)kv;
    for (int t = 0; t < ST_T_COUNT; t++) {
        mem_node_t *x = m->t[t].head;
        while (x) {
            mem_node_t *n = x->next[0];
            node_free(x);
            x = n;
        }
    }
    pthread_mutex_destroy(&m->mu);
    free(m);
}

static const st_kv_vt_t mem_vt = {
    mem_begin, mem_commit, mem_abort, mem_get, mem_get_near, mem_put, mem_del, mem_scan, mem_last,
    NULL, NULL, NULL, NULL, NULL,        /* no journal: bodies stay in the tables */
    mem_flush, mem_checkpoint, mem_log_files, mem_close
};

apr_status_t st_mem_open(st_kv_t **out)
{
    mem_kv_t *m = calloc(1, sizeof *m);
    if (!m) return APR_ENOMEM;
    m->kv.vt = &mem_vt;
    m->rnd = 0x9e3779b97f4a7c15ull;
    pthread_mutex_init(&m->mu, NULL);
    for (int t = 0; t < ST_T_COUNT; t++) {
        m->t[t].head = node_new(MEM_LEVELS, "", 0, "", 0);
        m->t[t].height = MEM_LEVELS;
    }
    *out = &m->kv;
    return APR_SUCCESS;
}
