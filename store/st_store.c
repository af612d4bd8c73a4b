/* The store object: open (recovering the in-memory indexes from the tables), destinations,
 * durable subscriptions, loading a destination in dispatch order, statistics. */
#include <stdlib.h>
#include <string.h>

#include <apr_strings.h>

#include "hm_log.h"
#include "st_int.h"

static const char *describe(apr_status_t st)
{
    switch (st) {
    case ST_ECORRUPT: return "store record damaged";
    case ST_ERECOVER: return "store environment damaged: run recovery (hermod store recover DIR)";
    case ST_EFAILED:  return "store failed earlier (log flush error); reopen the store";
    case ST_ELOCKED:  return "store lock conflicts persisted";
    case ST_EDB:      return "Berkeley DB error (see log)";
    case ST_EBUSY:    return "store directory is in use by another process";
    default:          return NULL;
    }
}

void st_options_default(st_options_t *o)
{
    memset(o, 0, sizeof *o);
    o->kind = ST_KIND_MEMORY;
    o->sync = ST_SYNC_BATCH;
}

void st_store_log_corrupt(st_store_t *s, const char *what, const void *k, size_t kl)
{
    char hex[2 * 40 + 4];
    size_t n = 0;
    for (size_t i = 0; i < kl && i < 40; i++)
        n += (size_t)snprintf(hex + n, sizeof hex - n, "%02x", ((const uint8_t *)k)[i]);
    hex[n] = 0;
    hm_warn("store: skipped a damaged %s record (key %s%s)", what, hex, kl > 40 ? "..." : "");
    pthread_mutex_lock(&s->mu);
    s->corrupt++;
    pthread_mutex_unlock(&s->mu);
}

/* ---- destinations ---- */

static st_dest_t *dest_add(st_store_t *s, uint32_t id, st_dest_kind_e kind, const void *key, size_t kl)
{
    st_dest_t *d = apr_pcalloc(s->pool, sizeof *d);
    d->id = id;
    d->kind = kind;
    d->key = apr_pmemdup(s->pool, key, kl);
    d->key_len = kl;
    if (kind == ST_DEST_SUB) {
        const char *raw = (const char *)key + 1;
        size_t cl = strnlen(raw, kl - 1);
        d->name = apr_psprintf(s->pool, "%.*s:%.*s", (int)cl, raw,
                               (int)(kl - 1 - (cl < kl - 1 ? cl + 1 : cl)), raw + cl + 1);
    } else {
        d->name = apr_pstrndup(s->pool, (const char *)key + 1, kl - 1);
    }
    uint32_t *idk = apr_pmemdup(s->pool, &d->id, sizeof d->id);
    apr_hash_set(s->dest_by_key, d->key, (apr_ssize_t)kl, d);
    apr_hash_set(s->dest_by_id, idk, sizeof *idk, d);
    if (id >= s->next_dest)
        s->next_dest = id + 1;
    return d;
}

static apr_status_t load_dest(void *baton, const uint8_t *k, size_t kl, const uint8_t *v, size_t vl)
{
    st_store_t *s = baton;
    st_rec_dest_t d;
    if (st_rec_get_dest(v, vl, &d) != APR_SUCCESS || kl != (size_t)d.name_len + 1 ||
        k[0] != d.kind || memcmp(k + 1, d.name, d.name_len) != 0 ||
        apr_hash_get(s->dest_by_id, &d.id, sizeof d.id)) {
        st_store_log_corrupt(s, "destination", k, kl);
        return APR_SUCCESS;
    }
    dest_add(s, d.id, (st_dest_kind_e)d.kind, k, kl);
    return APR_SUCCESS;
}

typedef struct dest_arg_s {
    st_dest_kind_e kind;
    const uint8_t *key;
    size_t kl;
    uint32_t id;
    int create;
    const st_sub_t *sub;
} dest_arg_t;

static apr_status_t dest_tx(st_store_t *s, st_kvtx_t *tx, void *argp)
{
    dest_arg_t *a = argp;
    const st_kv_vt_t *kv = s->kv->vt;
    hm_wbuf_t wb;
    apr_status_t st = APR_SUCCESS;
    hm_wbuf_init(&wb, 1 << 20);
    if (a->create) {
        st_rec_put_dest(&wb, a->id, (uint8_t)a->kind, a->key + 1, a->kl - 1);
        st = wb.err ? wb.err : kv->put(tx, ST_T_DEST, a->key, a->kl, wb.data, wb.len, 1);
    }
    if (!st && a->sub) {
        uint8_t k[4];
        st_key_u32(k, a->id);
        hm_wbuf_reset(&wb);
        st_rec_put_sub(&wb, a->id, a->sub);
        st = wb.err ? wb.err : kv->put(tx, ST_T_SUB, k, sizeof k, wb.data, wb.len, 0);
    }
    hm_wbuf_free(&wb);
    return st;
}

typedef struct chunk_s { uint32_t dest; st_op_t *ops; size_t n; int64_t bytes, msgs; } chunk_t;

static apr_status_t collect_entry(void *baton, const uint8_t *k, size_t kl, const uint8_t *v, size_t vl)
{
    chunk_t *c = baton;
    uint32_t dest;
    uint8_t prio;
    uint64_t seq;
    if (!st_key_entry_parse(k, kl, &dest, &prio, &seq) || dest != c->dest || c->n == ST_REMOVE_CHUNK)
        return 1;
    st_op_t *op = &c->ops[c->n++];
    memset(op, 0, sizeof *op);
    op->type = ST_OP_DEL;
    op->dest = dest;
    op->priority = prio;
    op->seq = seq;
    return APR_SUCCESS;
}

static apr_status_t remove_chunk_tx(st_store_t *s, st_kvtx_t *tx, void *argp)
{
    chunk_t *c = argp;
    uint8_t k[ST_KEY_ENTRY];
    st_key_entry(k, c->dest, ST_MAX_PRIORITY, 0);
    c->n = 0;
    apr_status_t st = s->kv->vt->scan(tx, ST_T_ENTRY, k, sizeof k, collect_entry, c);
    if (!st)
        st = st_apply(s, tx, c->ops, c->n, &c->bytes, &c->msgs);
    return st;
}

static apr_status_t remove_dest_tx(st_store_t *s, st_kvtx_t *tx, void *argp)
{
    st_dest_t *d = argp;
    uint8_t k[4];
    st_key_u32(k, d->id);
    apr_status_t st = s->kv->vt->del(tx, ST_T_DEST, d->key, d->key_len);
    if (st == HM_ENOTFOUND) st = APR_SUCCESS;
    if (!st && d->kind == ST_DEST_SUB) {
        st = s->kv->vt->del(tx, ST_T_SUB, k, sizeof k);
        if (st == HM_ENOTFOUND) st = APR_SUCCESS;
    }
    return st;
}

/* Why in chunks: a backlog of millions must not become one transaction holding every lock. */
static apr_status_t drop_entries(st_store_t *s, uint32_t id)
{
    chunk_t c = { id, malloc(ST_REMOVE_CHUNK * sizeof(st_op_t)), 0, 0, 0 };
    apr_status_t st = c.ops ? APR_SUCCESS : APR_ENOMEM;
    while (!st) {
        st = st_run_tx(s, remove_chunk_tx, &c, 0);
        if (st) break;
        pthread_mutex_lock(&s->mu);
        s->bytes = (uint64_t)((int64_t)s->bytes + c.bytes);
        s->messages = (uint64_t)((int64_t)s->messages + c.msgs);
        pthread_mutex_unlock(&s->mu);
        if (c.n < ST_REMOVE_CHUNK) break;
    }
    free(c.ops);
    return st;
}

/* Under s->mu: the detached destination whose name is key, if any (few are ever pending). */
static st_dest_t *detached_named(st_store_t *s, const uint8_t *key, size_t kl)
{
    for (apr_hash_index_t *hi = apr_hash_first(NULL, s->dest_by_id); hi; hi = apr_hash_next(hi)) {
        st_dest_t *d = apr_hash_this_val(hi);
        if (d->detached && d->key_len == kl && memcmp(d->key, key, kl) == 0)
            return d;
    }
    return NULL;
}

/* With s->dest_mu held.  The batches already queued go first (drain), so none of them writes
 * an entry of d after its removal; the destination record goes last, so a crash midway leaves
 * a smaller backlog, never entries without a destination. */
static apr_status_t remove_locked(st_store_t *s, st_dest_t *d)
{
    st_defer_drain(s);
    apr_status_t st = drop_entries(s, d->id);
    if (!st)
        st = st_run_tx(s, remove_dest_tx, d, 1);
    if (!st) {
        pthread_mutex_lock(&s->mu);
        if (!d->detached)
            apr_hash_set(s->dest_by_key, d->key, (apr_ssize_t)d->key_len, NULL);
        else
            s->detached--;
        apr_hash_set(s->dest_by_id, &d->id, sizeof d->id, NULL);
        pthread_mutex_unlock(&s->mu);
    }
    return st;
}

/* Finds or durably creates a destination; with sub, also (re)writes its subscription record. */
static apr_status_t dest_ensure(st_store_t *s, st_dest_kind_e kind, const uint8_t *key, size_t kl,
                                const st_sub_t *sub, uint32_t *id)
{
    pthread_mutex_lock(&s->dest_mu);
    pthread_mutex_lock(&s->mu);
    st_dest_t *d = apr_hash_get(s->dest_by_key, key, (apr_ssize_t)kl);
    st_dest_t *old = d || !s->detached ? NULL : detached_named(s, key, kl);
    pthread_mutex_unlock(&s->mu);
    apr_status_t st = old ? remove_locked(s, old) : APR_SUCCESS;
    if (st) {
        pthread_mutex_unlock(&s->dest_mu);
        return st;
    }
    pthread_mutex_lock(&s->mu);
    dest_arg_t a = { kind, key, kl, d ? d->id : s->next_dest, d == NULL, sub };
    pthread_mutex_unlock(&s->mu);
    if (!d || sub)
        st = st_run_tx(s, dest_tx, &a, 1);
    if (!st && !d) {
        pthread_mutex_lock(&s->mu);
        dest_add(s, a.id, kind, key, kl);
        pthread_mutex_unlock(&s->mu);
    }
    pthread_mutex_unlock(&s->dest_mu);
    if (!st)
        *id = a.id;
    return st;
}

apr_status_t st_dest_id(st_store_t *s, const char *queue_name, uint32_t *id)
{
    size_t n = queue_name ? strlen(queue_name) : 0;
    if (n == 0 || n > ST_MAX_NAME)
        return HM_EINVAL;
    uint8_t key[1 + ST_MAX_NAME];
    key[0] = ST_DEST_QUEUE;
    memcpy(key + 1, queue_name, n);
    return dest_ensure(s, ST_DEST_QUEUE, key, n + 1, NULL, id);
}

apr_status_t st_dest_share_bodies(st_store_t *s, uint32_t id)
{
    pthread_mutex_lock(&s->mu);
    st_dest_t *d = apr_hash_get(s->dest_by_id, &id, sizeof id);
    if (d) d->share_bodies = 1;
    pthread_mutex_unlock(&s->mu);
    return d ? APR_SUCCESS : HM_ENOTFOUND;
}

apr_status_t st_dest_list(st_store_t *s, st_dest_fn each, void *baton)
{
    pthread_mutex_lock(&s->mu);
    unsigned n = apr_hash_count(s->dest_by_id), i = 0;
    st_dest_t **all = malloc((n ? n : 1) * sizeof *all);
    if (!all) { pthread_mutex_unlock(&s->mu); return APR_ENOMEM; }
    for (apr_hash_index_t *hi = apr_hash_first(NULL, s->dest_by_id); hi; hi = apr_hash_next(hi))
        if (!((st_dest_t *)apr_hash_this_val(hi))->detached)
            all[i++] = apr_hash_this_val(hi);
    n = i;
    pthread_mutex_unlock(&s->mu);
    for (i = 0; i < n; i++)
        each(baton, all[i]->id, all[i]->kind, all[i]->name);
    free(all);
    return APR_SUCCESS;
}

apr_status_t st_dest_purge(st_store_t *s, uint32_t id)
{
    pthread_mutex_lock(&s->mu);
    int known = apr_hash_get(s->dest_by_id, &id, sizeof id) != NULL;
    pthread_mutex_unlock(&s->mu);
    if (!known)
        return HM_ENOTFOUND;
    st_defer_drain(s);
    apr_status_t st = drop_entries(s, id);
    /* The chunks were committed without a flush; one durable empty commit covers them all. */
    if (!st) st = st_batch_commit_wait(st_batch_begin(s));
    return st;
}

apr_status_t st_dest_remove(st_store_t *s, uint32_t id)
{
    pthread_mutex_lock(&s->dest_mu);
    pthread_mutex_lock(&s->mu);
    st_dest_t *d = apr_hash_get(s->dest_by_id, &id, sizeof id);
    pthread_mutex_unlock(&s->mu);
    apr_status_t st = d ? remove_locked(s, d) : HM_ENOTFOUND;
    pthread_mutex_unlock(&s->dest_mu);
    return st;
}

apr_status_t st_dest_detach(st_store_t *s, uint32_t id)
{
    pthread_mutex_lock(&s->mu);
    st_dest_t *d = apr_hash_get(s->dest_by_id, &id, sizeof id);
    if (d && !d->detached) {
        apr_hash_set(s->dest_by_key, d->key, (apr_ssize_t)d->key_len, NULL);
        d->detached = 1;
        s->detached++;
    }
    pthread_mutex_unlock(&s->mu);
    return d ? APR_SUCCESS : HM_ENOTFOUND;
}

/* ---- durable subscriptions ---- */

static apr_status_t sub_key(const char *client_id, const char *name, uint8_t *key, size_t *kl)
{
    size_t cl = client_id ? strlen(client_id) : 0, nl = name ? strlen(name) : 0;
    if (cl == 0 || nl == 0 || cl > ST_MAX_NAME || nl > ST_MAX_NAME)
        return HM_EINVAL;
    key[0] = ST_DEST_SUB;
    memcpy(key + 1, client_id, cl);
    key[1 + cl] = 0;
    memcpy(key + 2 + cl, name, nl);
    *kl = 2 + cl + nl;
    return APR_SUCCESS;
}

apr_status_t st_sub_put(st_store_t *s, const st_sub_t *sub, uint32_t *dest_id)
{
    uint8_t key[2 + 2 * ST_MAX_NAME];
    size_t kl;
    apr_status_t st = sub_key(sub->client_id, sub->name, key, &kl);
    if (st) return st;
    size_t tl = sub->topic ? strlen(sub->topic) : 0;
    if (tl == 0 || tl > ST_MAX_NAME || (sub->selector && strlen(sub->selector) > ST_MAX_SELECTOR))
        return HM_EINVAL;
    return dest_ensure(s, ST_DEST_SUB, key, kl, sub, dest_id);
}

apr_status_t st_sub_remove(st_store_t *s, const char *client_id, const char *name)
{
    uint8_t key[2 + 2 * ST_MAX_NAME];
    size_t kl;
    apr_status_t st = sub_key(client_id, name, key, &kl);
    if (st) return st;
    pthread_mutex_lock(&s->mu);
    st_dest_t *d = apr_hash_get(s->dest_by_key, key, (apr_ssize_t)kl);
    uint32_t id = d ? d->id : 0;
    pthread_mutex_unlock(&s->mu);
    return d ? st_dest_remove(s, id) : HM_ENOTFOUND;
}

typedef struct sub_list_s { st_store_t *s; st_sub_fn each; void *baton; } sub_list_t;

static apr_status_t sub_each(void *baton, const uint8_t *k, size_t kl, const uint8_t *v, size_t vl)
{
    sub_list_t *l = baton;
    st_rec_sub_t r;
    if (kl != 4 || st_rec_get_sub(v, vl, &r) != APR_SUCCESS || r.dest != st_get_be32(k)) {
        st_store_log_corrupt(l->s, "subscription", k, kl);
        return APR_SUCCESS;
    }
    char *client = strndup((const char *)r.client_id, r.client_id_len);
    char *name = strndup((const char *)r.name, r.name_len);
    char *topic = strndup((const char *)r.topic, r.topic_len);
    char *sel = r.selector ? strndup((const char *)r.selector, r.selector_len) : NULL;
    if (client && name && topic && (sel || !r.selector)) {
        st_sub_t sub = { client, name, sel, topic, r.no_local };
        l->each(l->baton, r.dest, &sub);
    }
    free(client); free(name); free(topic); free(sel);
    return APR_SUCCESS;
}

apr_status_t st_sub_list(st_store_t *s, st_sub_fn each, void *baton)
{
    st_kvtx_t *tx;
    apr_status_t st = s->kv->vt->begin(s->kv, 0, &tx);
    if (st) return st;
    sub_list_t l = { s, each, baton };
    st = s->kv->vt->scan(tx, ST_T_SUB, NULL, 0, sub_each, &l);
    s->kv->vt->abort(tx);
    return st;
}

/* ---- loading ---- */

/* Why chunks: the entries are read a chunk at a time in a short read transaction, and the
 * callbacks run after it ends, so no lock is held while the core works on a message and a
 * load never blocks or deadlocks with commits. */
#define LOAD_CHUNK       1024
#define LOAD_CHUNK_BYTES (8u << 20)

typedef struct load_item_s { st_entry_t e; size_t off; uint32_t len; } load_item_t;

typedef struct load_s {
    st_store_t *s;
    st_kvtx_t *tx;
    uint32_t dest;
    load_item_t items[LOAD_CHUNK];
    size_t n;
    st_buf_t bodies, msg;
    uint8_t last[ST_KEY_ENTRY + 1];
    int have_last, full;
    int prio;                     /* >= 0: only entries of this priority */
    size_t limit;                 /* entries this chunk may take */
} load_t;

static apr_status_t keep_body(load_t *l, const st_entry_t *e, const uint8_t *body, uint32_t len)
{
    apr_status_t st = st_buf_reserve(&l->bodies, l->bodies.len + len);
    if (st) return st;
    memcpy(l->bodies.p + l->bodies.len, body, len);
    l->items[l->n++] = (load_item_t){ *e, l->bodies.len, len };
    l->bodies.len += len;
    return APR_SUCCESS;
}

/* A body in the journal (st_journal.c): read it back and check it is this message's. */
static apr_status_t keep_journal_body(load_t *l, const st_entry_t *e, const st_rec_entry_t *r,
                                      const uint8_t *k, size_t kl)
{
    apr_status_t st = l->s->kv->vt->jget ? l->s->kv->vt->jget(l->tx, r->lsn, &l->msg) : HM_ENOTFOUND;
    uint64_t id;
    const uint8_t *body;
    uint32_t len;
    if (st == APR_ENOMEM)
        return st;
    if (st || st_rec_get_jbody(l->msg.p, l->msg.len, &id, &body, &len) != APR_SUCCESS ||
        id != r->msg_id || len != r->body_len) {
        hm_warn("store: message %llu of destination %u: its body at journal %u/%u is missing or "
                "not its own; skipped", (unsigned long long)r->msg_id, (unsigned)e->dest,
                r->lsn.file, r->lsn.offset);
        st_store_log_corrupt(l->s, "entry (journal body)", k, kl);
        return APR_SUCCESS;
    }
    return keep_body(l, e, body, len);
}

static apr_status_t load_entry(void *baton, const uint8_t *k, size_t kl, const uint8_t *v, size_t vl)
{
    load_t *l = baton;
    if (kl < 4 || st_get_be32(k) != l->dest ||
        (l->prio >= 0 && (kl < 5 || k[4] != ST_MAX_PRIORITY - l->prio)))
        return 1;
    if (l->n == l->limit || l->bodies.len > LOAD_CHUNK_BYTES) {
        l->full = 1;
        return 1;
    }
    st_entry_t e;
    st_rec_entry_t r;
    if (kl == ST_KEY_ENTRY) {
        memcpy(l->last, k, kl);
        l->have_last = 1;
    }
    if (!st_key_entry_parse(k, kl, &e.dest, &e.priority, &e.seq)) {
        st_store_log_corrupt(l->s, "entry key", k, kl);
        return APR_SUCCESS;
    }
    if (st_rec_get_entry(v, vl, &r) != APR_SUCCESS) {
        st_store_log_corrupt(l->s, "entry", k, kl);
        return APR_SUCCESS;
    }
    e.msg_id = r.msg_id;
    e.delivered = r.delivered;
    if (r.body)
        return keep_body(l, &e, r.body, r.body_len);
    if (r.journal)
        return keep_journal_body(l, &e, &r, k, kl);
    uint8_t mk[ST_KEY_MSG];
    st_key_msg(mk, r.msg_id);
    apr_status_t st = l->s->kv->vt->get_near(l->tx, ST_T_MSG, mk, sizeof mk, &l->msg);
    if (st == HM_ENOTFOUND) {
        hm_warn("store: entry of destination %u references missing message %llu; skipped",
                (unsigned)e.dest, (unsigned long long)r.msg_id);
        st_store_log_corrupt(l->s, "entry (no message)", k, kl);
        return APR_SUCCESS;
    }
    if (st) return st;
    const uint8_t *body;
    uint32_t len;
    if (st_rec_get_msg(l->msg.p, l->msg.len, &body, &len) != APR_SUCCESS) {
        st_store_log_corrupt(l->s, "message", mk, sizeof mk);
        return APR_SUCCESS;
    }
    return keep_body(l, &e, body, len);
}

/* What load progress counts towards: every entry the open counted, across all destinations
 * (a destination created since then can take the count past it). */
static uint64_t load_total(const st_store_t *s)
{
    return s->open_entries > s->loaded ? s->open_entries : s->loaded;
}

/* Reads entries of dest from key `from` in chunks, calling each, until the destination (or,
 * with prio >= 0, that priority) ends, max entries were handed out, or each stops.  *end is
 * set when the range was exhausted.  progress: count towards the load progress lines. */
static apr_status_t load_range(st_store_t *s, uint32_t dest, int prio, uint64_t after, size_t max,
                               int progress, st_load_fn each, void *baton, int *end)
{
    st_defer_drain(s);
    load_t *l = calloc(1, sizeof *l);
    if (!l) return APR_ENOMEM;
    l->s = s;
    l->dest = dest;
    l->prio = prio;
    uint8_t from[ST_KEY_ENTRY + 1];
    size_t fl = ST_KEY_ENTRY;
    st_key_entry(from, dest, prio >= 0 ? (uint8_t)prio : ST_MAX_PRIORITY, after);
    if (after) {
        from[ST_KEY_ENTRY] = 0;     /* strictly after `after` */
        fl = ST_KEY_ENTRY + 1;
    }
    apr_status_t st = APR_SUCCESS;
    uint64_t total = 0;
    size_t handed = 0;
    int exhausted = 0;
    do {
        l->n = 0;
        l->bodies.len = 0;
        l->full = 0;
        l->have_last = 0;
        l->limit = max - handed < LOAD_CHUNK ? max - handed : LOAD_CHUNK;
        if ((st = s->kv->vt->begin(s->kv, 0, &l->tx)))
            break;
        st = s->kv->vt->scan(l->tx, ST_T_ENTRY, from, fl, load_entry, l);
        s->kv->vt->abort(l->tx);
        if (st == 1)
            st = APR_SUCCESS;        /* the range ended or the chunk filled */
        exhausted = !l->full;
        for (size_t i = 0; i < l->n && !st; i++) {
            st = each(baton, &l->items[i].e, l->bodies.p + l->items[i].off, l->items[i].len);
            total++;
            handed++;
            if (progress && ++s->loaded % ST_PROGRESS_EVERY == 0 && s->o.progress)
                s->o.progress(s->o.progress_baton, "load", s->loaded, load_total(s));
        }
        /* The next chunk starts just after the last key read: that key plus a zero byte. */
        memcpy(from, l->last, ST_KEY_ENTRY);
        from[ST_KEY_ENTRY] = 0;
        fl = ST_KEY_ENTRY + 1;
    } while (!st && l->full && l->have_last && handed < max);
    st_buf_free(&l->bodies);
    st_buf_free(&l->msg);
    free(l);
    if (end)
        *end = exhausted && !st;
    /* a last line for a long load, and one when everything counted at open is loaded */
    if (progress && !st && s->o.progress && s->loaded % ST_PROGRESS_EVERY &&
        (total >= ST_PROGRESS_EVERY || (s->loaded >= ST_PROGRESS_EVERY && s->loaded == s->open_entries)))
        s->o.progress(s->o.progress_baton, "load", s->loaded, load_total(s));
    return st;
}

apr_status_t st_load(st_store_t *s, uint32_t dest, st_load_fn each, void *baton)
{
    return load_range(s, dest, -1, 0, SIZE_MAX, 1, each, baton, NULL);
}

apr_status_t st_page(st_store_t *s, uint32_t dest, uint8_t priority, uint64_t after, size_t max,
                     st_load_fn each, void *baton, int *end)
{
    if (priority > ST_MAX_PRIORITY || max == 0) {
        if (end) *end = 0;
        return max == 0 ? APR_SUCCESS : HM_EINVAL;
    }
    return load_range(s, dest, priority, after, max, 0, each, baton, end);
}

apr_status_t st_dest_counts(st_store_t *s, uint32_t dest, uint64_t counts[ST_MAX_PRIORITY + 1],
                            uint64_t *max_seq)
{
    pthread_mutex_lock(&s->dest_mu);
    st_dest_t *d = apr_hash_get(s->dest_by_id, &dest, sizeof dest);
    if (d) {
        memcpy(counts, d->open_count, sizeof d->open_count);
        *max_seq = d->open_max_seq;
    }
    pthread_mutex_unlock(&s->dest_mu);
    return d ? APR_SUCCESS : HM_ENOTFOUND;
}

/* ---- opening ---- */

static apr_status_t count_ref(void *baton, const uint8_t *k, size_t kl, const uint8_t *v, size_t vl)
{
    st_store_t *s = baton;
    st_rec_ref_t r;
    if (kl != ST_KEY_MSG || st_rec_get_ref(v, vl, &r) != APR_SUCCESS) {
        st_store_log_corrupt(s, "reference count", k, kl);
        return APR_SUCCESS;
    }
    s->bytes += r.body_len;
    s->messages++;
    s->open_entries += r.refs;
    if (s->messages % ST_PROGRESS_EVERY == 0 && s->o.progress && !s->census_j)
        s->o.progress(s->o.progress_baton, "open", s->messages, 0);
    return APR_SUCCESS;
}

/* A census notes a journal body's file instead of holding it (the store is closing). */
static void census_journal(st_store_t *s, uint32_t file)
{
    if (s->census_jn && s->census_j[s->census_jn - 1].file == file) {
        s->census_j[s->census_jn - 1].bodies++;
        return;
    }
    for (size_t i = 0; i < s->census_jn; i++) {
        if (s->census_j[i].file == file) {
            s->census_j[i].bodies++;
            return;
        }
    }
    if (s->census_jn == s->census_jcap) {
        size_t cap = s->census_jcap ? s->census_jcap * 2 : 16;
        st_jfile_count_t *n = realloc(s->census_j, cap * sizeof *n);
        if (!n) {
            s->census_failed = 1;
            return;
        }
        s->census_j = n;
        s->census_jcap = cap;
    }
    s->census_j[s->census_jn++] = (st_jfile_count_t){ file, 1 };
}

/* Every entry counts towards its destination's per-priority totals (st_dest_counts), so a
 * broker can start with its queues paged out instead of reading them. */
static void count_entry(st_store_t *s, const uint8_t *k, size_t kl)
{
    uint32_t dest;
    uint8_t prio;
    uint64_t seq;
    if (!st_key_entry_parse(k, kl, &dest, &prio, &seq))
        return;
    if (!s->count_dest || s->count_dest->id != dest)
        s->count_dest = apr_hash_get(s->dest_by_id, &dest, sizeof dest);
    if (!s->count_dest)
        return;
    s->count_dest->open_count[prio]++;
    if (seq > s->count_dest->open_max_seq)
        s->count_dest->open_max_seq = seq;
}

/* Messages kept in their entry or the journal have no count record: the open counts them
 * here, takes their ids into account for the next id, and tells the journal which of its
 * files still hold bodies. */
static apr_status_t count_inline(void *baton, const uint8_t *k, size_t kl, const uint8_t *v, size_t vl)
{
    st_store_t *s = baton;
    st_rec_entry_t r;
    count_entry(s, k, kl);
    int type = st_rec_type(v, vl);
    if (type != ST_REC_ENTRY_BODY && type != ST_REC_ENTRY_JOURNAL)
        return APR_SUCCESS;
    if (st_rec_get_entry(v, vl, &r) != APR_SUCCESS)
        return APR_SUCCESS;               /* the load reports it */
    if (r.journal && s->census_j)
        census_journal(s, r.lsn.file);
    else if (r.journal && s->kv->vt->jhold)
        s->kv->vt->jhold(s->kv, r.lsn);
    s->bytes += r.body_len;
    s->messages++;
    s->open_entries++;
    if (r.msg_id >= s->next_msg)
        s->next_msg = r.msg_id + 1;
    if (s->messages % ST_PROGRESS_EVERY == 0 && s->o.progress && !s->census_j)
        s->o.progress(s->o.progress_baton, "open", s->messages, 0);
    return APR_SUCCESS;
}

/* Message ids must never be reused: start past every id in the tables and in prepared records. */
static apr_status_t scan_xa(void *baton, const uint8_t *k, size_t kl, const uint8_t *v, size_t vl)
{
    st_store_t *s = baton;
    st_xid_t xid;
    st_op_t *ops;
    size_t n;
    if (st_rec_get_xa(v, vl, &xid, &ops, &n) != APR_SUCCESS) {
        st_store_log_corrupt(s, "prepared transaction", k, kl);
        return APR_SUCCESS;
    }
    for (size_t i = 0; i < n; i++)
        if (ops[i].msg_id >= s->next_msg)
            s->next_msg = ops[i].msg_id + 1;
    free(ops);
    s->prepared++;
    return APR_SUCCESS;
}

/* Why a census can run at close: it reads exactly what the open would read, so a summary of it
 * lets the next open skip the scan (st_summary.c). */
apr_status_t st_census(st_store_t *s, int census)
{
    const st_kv_vt_t *kv = s->kv->vt;
    st_kvtx_t *tx;
    apr_status_t st = kv->begin(s->kv, 0, &tx);
    if (st) return st;
    if (census) {
        s->bytes = s->messages = s->open_entries = 0;
        s->census_jn = 0;
        s->census_failed = 0;
        if (!s->census_j && !(s->census_j = calloc(16, sizeof *s->census_j)))
            s->census_failed = 1;
        else if (s->census_jcap == 0)
            s->census_jcap = 16;
        for (apr_hash_index_t *hi = apr_hash_first(NULL, s->dest_by_id); hi; hi = apr_hash_next(hi)) {
            st_dest_t *d = apr_hash_this_val(hi);
            memset(d->open_count, 0, sizeof d->open_count);
            d->open_max_seq = 0;
        }
    }
    s->count_dest = NULL;
    st = kv->scan(tx, ST_T_REF, NULL, 0, count_ref, s);
    if (!st) st = kv->scan(tx, ST_T_ENTRY, NULL, 0, count_inline, s);
    kv->abort(tx);
    return st;
}

static apr_status_t recover_indexes(st_store_t *s)
{
    const st_kv_vt_t *kv = s->kv->vt;
    st_kvtx_t *tx;
    apr_status_t st = kv->begin(s->kv, 0, &tx);
    if (st) return st;
    st_buf_t k = { 0 };
    for (int t = ST_T_MSG; t <= ST_T_REF && !st; t++) {
        st = kv->last(tx, t, &k);
        if (st == APR_SUCCESS && k.len == ST_KEY_MSG && st_get_be64(k.p) >= s->next_msg)
            s->next_msg = st_get_be64(k.p) + 1;
        if (st == HM_ENOTFOUND) st = APR_SUCCESS;
    }
    st_buf_free(&k);
    if (!st) st = kv->scan(tx, ST_T_DEST, NULL, 0, load_dest, s);
    if (!st) st = kv->scan(tx, ST_T_XA, NULL, 0, scan_xa, s);
    kv->abort(tx);
    /* after a clean close the summary says what the scan would find */
    if (!st && !(s->summary_used = st_summary_read(s)))
        st = st_census(s, 0);
    return st;
}

static void register_status(void) { hm_status_register(4, describe); }

void st_status_init(void)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, register_status);
}

apr_status_t st_open(apr_pool_t *pool, const st_options_t *opts, st_store_t **out)
{
    st_status_init();
    st_store_t *s = apr_pcalloc(pool, sizeof *s);
    s->pool = pool;
    s->o = *opts;
    if (opts->dir)
        s->o.dir = apr_pstrdup(pool, opts->dir);
    if (s->o.sync > ST_SYNC_NONE || (s->o.kind != ST_KIND_MEMORY && s->o.kind != ST_KIND_BDB))
        return HM_EINVAL;
    apr_status_t st = s->o.kind == ST_KIND_BDB ? st_bdb_open(&s->o, 0, &s->kv) : st_mem_open(&s->kv);
    if (st) return st;
    pthread_mutex_init(&s->mu, NULL);
    pthread_mutex_init(&s->dest_mu, NULL);
    s->dest_by_key = apr_hash_make(pool);
    s->dest_by_id = apr_hash_make(pool);
    s->next_dest = 1;
    s->next_msg = 1;
    st = recover_indexes(s);
    if (st) {
        s->kv->vt->close(s->kv);
        pthread_mutex_destroy(&s->mu);
        pthread_mutex_destroy(&s->dest_mu);
        return st;
    }
    if (s->o.kind == ST_KIND_BDB)
        hm_info("store: opened %s: %llu messages, %llu bytes, %u destinations, %u prepared%s",
                s->o.dir, (unsigned long long)s->messages, (unsigned long long)s->bytes,
                apr_hash_count(s->dest_by_id), s->prepared,
                s->summary_used ? " (counted by the last clean shutdown)" : "");
    st_defer_init(s);
    st_commit_start(s);
    *out = s;
    return APR_SUCCESS;
}

void st_close(st_store_t *s)
{
    if (!s) return;
    st_commit_stop(s);
    if (s->df) {
        uint64_t early, cancelled = st_defer_cancelled(s, &early);
        hm_info("store: closed after %llu commits, %llu log flushes; %llu stored adds were cancelled "
                "by acknowledgements before being written, %llu senders confirmed by the "
                "acknowledgement during the write", (unsigned long long)s->commits,
                (unsigned long long)s->flushes, (unsigned long long)cancelled,
                (unsigned long long)early);
    }
    st_defer_free(s);
    if (!s->failed)
        s->kv->vt->checkpoint(s->kv, 0);
    if (!s->failed && s->o.kind == ST_KIND_BDB)
        st_summary_write(s);
    free(s->census_j);
    s->kv->vt->close(s->kv);
    pthread_mutex_destroy(&s->mu);
    pthread_mutex_destroy(&s->dest_mu);
}

/* ---- statistics ---- */

static apr_status_t count_one(void *baton, const uint8_t *k, size_t kl, const uint8_t *v, size_t vl)
{
    (*(uint64_t *)baton)++;
    return APR_SUCCESS;
}

void st_counters(st_store_t *s, st_stats_t *out)
{
    memset(out, 0, sizeof *out);
    pthread_mutex_lock(&s->mu);
    out->messages = s->messages;
    out->bytes = s->bytes;
    out->destinations = apr_hash_count(s->dest_by_id);
    out->prepared = s->prepared;
    out->commits = s->commits;
    out->flushes = s->flushes;
    out->corrupt = s->corrupt;
    pthread_mutex_unlock(&s->mu);
}

apr_status_t st_stats(st_store_t *s, st_stats_t *out)
{
    memset(out, 0, sizeof *out);
    st_defer_drain(s);
    st_kvtx_t *tx;
    apr_status_t st = s->kv->vt->begin(s->kv, 0, &tx);
    if (st) return st;
    st = s->kv->vt->scan(tx, ST_T_ENTRY, NULL, 0, count_one, &out->entries);
    s->kv->vt->abort(tx);
    uint64_t entries = out->entries;
    st_counters(s, out);
    out->entries = entries;
    out->cancelled = st_defer_cancelled(s, NULL);
    out->log_files = s->kv->vt->log_files(s->kv);
    return st;
}

uint64_t st_bytes(st_store_t *s)
{
    pthread_mutex_lock(&s->mu);
    uint64_t n = s->bytes;
    pthread_mutex_unlock(&s->mu);
    return n;
}
