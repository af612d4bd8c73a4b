/* Offline store tools behind `hermod store verify|stats|dump|recover DIR`.  verify reads every
 * record of every table through the same decoders the broker uses, then cross-checks: each
 * entry's destination and message exist, each body's reference count equals its entries,
 * no body or count record is orphaned, and a message kept inline in its entry has no other
 * entry or record. */
#include <stdlib.h>
#include <string.h>

#include <apr_strings.h>

#include "hm_log.h"
#include "st_int.h"

/* qsort and bsearch on an empty list: the C library may not be given a null base, even
 * with a count of 0 (UBSan reports it), and the lists start out unallocated. */
static void sort_n(void *base, size_t n, size_t size, int (*cmp)(const void *, const void *))
{
    if (n)
        qsort(base, n, size, cmp);
}

static void *find_n(const void *key, const void *base, size_t n, size_t size,
                    int (*cmp)(const void *, const void *))
{
    return n ? bsearch(key, base, n, size, cmp) : NULL;
}

typedef struct vec_s { void *p; size_t n, cap, size; } vec_t;

static void *vec_push(vec_t *v)
{
    if (v->n == v->cap) {
        size_t cap = v->cap ? v->cap * 2 : 1024;
        void *p = realloc(v->p, cap * v->size);
        if (!p) return NULL;
        v->p = p;
        v->cap = cap;
    }
    return (char *)v->p + v->size * v->n++;
}

typedef struct ref_item_s { uint64_t id; uint32_t refs, len; } ref_item_t;
typedef struct msg_item_s { uint64_t id; uint32_t len; } msg_item_t;
typedef struct dest_item_s { uint32_t id; uint8_t kind; } dest_item_t;

typedef struct verify_s {
    FILE *out;
    st_progress_fn progress;
    void *baton;
    uint64_t problems, records, total;
    vec_t dests, entries, refs, msgs;   /* dest_item_t, uint64_t msg ids, ref_item_t, msg_item_t */
    vec_t inl;                           /* uint64_t ids of messages kept inline in their entry
                                            or in the journal */
    vec_t entry_dests;                   /* uint32_t dest of each entry */
    int table;
    st_kv_t *kv;
    st_kvtx_t *tx;                       /* the scan's, for reading journal bodies */
    st_buf_t jb;
    uint64_t journal;                    /* entries whose body is in the journal */
} verify_t;

static void problem(verify_t *v, const char *fmt, const void *k, size_t kl, unsigned long long a,
                    unsigned long long b)
{
    v->problems++;
    if (v->problems > 1000)
        return;                          /* keep the report readable; the count stays exact */
    fprintf(v->out, "problem: %s: ", st_table_names[v->table]);
    fprintf(v->out, fmt, a, b);
    fprintf(v->out, " (key ");
    for (size_t i = 0; i < kl && i < 24; i++)
        fprintf(v->out, "%02x", ((const uint8_t *)k)[i]);
    fprintf(v->out, ")\n");
}

static void tick(verify_t *v)
{
    if (++v->records % ST_PROGRESS_EVERY == 0 && v->progress)
        v->progress(v->baton, st_table_names[v->table], v->records, 0);
}

static int journal_body_ok(verify_t *v, const st_rec_entry_t *e)
{
    uint64_t id;
    const uint8_t *body;
    uint32_t len;
    v->journal++;
    return v->kv->vt->jget && v->kv->vt->jget(v->tx, e->lsn, &v->jb) == APR_SUCCESS &&
           st_rec_get_jbody(v->jb.p, v->jb.len, &id, &body, &len) == APR_SUCCESS &&
           id == e->msg_id && len == e->body_len;
}

static apr_status_t verify_rec(void *baton, const uint8_t *k, size_t kl, const uint8_t *val, size_t vl)
{
    verify_t *v = baton;
    tick(v);
    switch (v->table) {
    case ST_T_DEST: {
        st_rec_dest_t d;
        if (st_rec_get_dest(val, vl, &d) || kl != (size_t)d.name_len + 1 || k[0] != d.kind ||
            memcmp(k + 1, d.name, d.name_len)) {
            problem(v, "damaged destination record%.0llu%.0llu", k, kl, 0, 0);
            break;
        }
        dest_item_t *it = vec_push(&v->dests);
        if (!it) return APR_ENOMEM;
        it->id = d.id;
        it->kind = d.kind;
        break;
    }
    case ST_T_ENTRY: {
        uint32_t dest;
        uint8_t prio;
        uint64_t seq;
        st_rec_entry_t e;
        if (!st_key_entry_parse(k, kl, &dest, &prio, &seq) || st_rec_get_entry(val, vl, &e)) {
            problem(v, "damaged entry record%.0llu%.0llu", k, kl, 0, 0);
            break;
        }
        if (e.journal && !journal_body_ok(v, &e)) {
            problem(v, "message %llu: its body in the journal is missing or not its own (file %llu)",
                    k, kl, e.msg_id, e.lsn.file);
            break;
        }
        uint64_t *id = vec_push(e.body || e.journal ? &v->inl : &v->entries);
        uint32_t *dd = vec_push(&v->entry_dests);
        if (!id || !dd) return APR_ENOMEM;
        *id = e.msg_id;
        *dd = dest;
        break;
    }
    case ST_T_REF: {
        st_rec_ref_t r;
        if (kl != ST_KEY_MSG || st_rec_get_ref(val, vl, &r)) {
            problem(v, "damaged reference count record%.0llu%.0llu", k, kl, 0, 0);
            break;
        }
        ref_item_t *it = vec_push(&v->refs);
        if (!it) return APR_ENOMEM;
        *it = (ref_item_t){ st_get_be64(k), r.refs, r.body_len };
        break;
    }
    case ST_T_MSG: {
        const uint8_t *body;
        uint32_t len;
        if (kl != ST_KEY_MSG || st_rec_get_msg(val, vl, &body, &len)) {
            problem(v, "damaged message record%.0llu%.0llu", k, kl, 0, 0);
            break;
        }
        msg_item_t *it = vec_push(&v->msgs);
        if (!it) return APR_ENOMEM;
        *it = (msg_item_t){ st_get_be64(k), len };
        break;
    }
    case ST_T_SUB: {
        st_rec_sub_t s;
        if (kl != 4 || st_rec_get_sub(val, vl, &s) || s.dest != st_get_be32(k))
            problem(v, "damaged subscription record%.0llu%.0llu", k, kl, 0, 0);
        break;
    }
    case ST_T_AUDIT: {
        uint64_t seq;
        if (kl == 0 || kl > ST_MAX_NAME || st_rec_get_audit(val, vl, &seq))
            problem(v, "damaged producer audit record%.0llu%.0llu", k, kl, 0, 0);
        break;
    }
    case ST_T_XA: {
        st_xid_t xid;
        st_op_t *ops;
        size_t n;
        if (st_rec_get_xa(val, vl, &xid, &ops, &n))
            problem(v, "damaged prepared transaction record%.0llu%.0llu", k, kl, 0, 0);
        else
            free(ops);
        break;
    }
    }
    return APR_SUCCESS;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static int cmp_dest(const void *a, const void *b)
{
    uint32_t x = ((const dest_item_t *)a)->id, y = ((const dest_item_t *)b)->id;
    return x < y ? -1 : x > y;
}

static void cross_check(verify_t *v)
{
    dest_item_t *dests = v->dests.p;
    sort_n(dests, v->dests.n, sizeof *dests, cmp_dest);
    v->table = ST_T_ENTRY;
    uint32_t *ed = v->entry_dests.p;
    for (size_t i = 0; i < v->entry_dests.n; i++) {
        dest_item_t key = { ed[i], 0 };
        if (!find_n(&key, dests, v->dests.n, sizeof *dests, cmp_dest))
            problem(v, "entry of unknown destination %llu%.0llu", "", 0, ed[i], 0);
    }
    uint64_t *ent = v->entries.p;
    sort_n(ent, v->entries.n, sizeof *ent, cmp_u64);
    uint64_t *inl = v->inl.p;
    sort_n(inl, v->inl.n, sizeof *inl, cmp_u64);
    for (size_t i = 0; i < v->inl.n; i++) {
        ref_item_t rk = { inl[i], 0, 0 };
        msg_item_t mk = { inl[i], 0 };
        if ((i && inl[i] == inl[i - 1]) ||
            find_n(&inl[i], ent, v->entries.n, sizeof *ent, cmp_u64) ||
            find_n(&rk, v->refs.p, v->refs.n, sizeof rk, cmp_u64) ||
            find_n(&mk, v->msgs.p, v->msgs.n, sizeof mk, cmp_u64))
            problem(v, "message %llu is kept inline in an entry but has other entries or records%.0llu",
                    "", 0, inl[i], 0);
    }
    ref_item_t *refs = v->refs.p;
    msg_item_t *msgs = v->msgs.p;
    /* All three are sorted by message id: walk them together. */
    size_t e = 0, r = 0, m = 0;
    while (e < v->entries.n || r < v->refs.n || m < v->msgs.n) {
        uint64_t id = UINT64_MAX;
        if (e < v->entries.n && ent[e] < id) id = ent[e];
        if (r < v->refs.n && refs[r].id < id) id = refs[r].id;
        if (m < v->msgs.n && msgs[m].id < id) id = msgs[m].id;
        uint64_t count = 0;
        while (e < v->entries.n && ent[e] == id) { count++; e++; }
        ref_item_t *ref = r < v->refs.n && refs[r].id == id ? &refs[r++] : NULL;
        msg_item_t *msg = m < v->msgs.n && msgs[m].id == id ? &msgs[m++] : NULL;
        v->table = ST_T_REF;
        if (count && !msg)
            problem(v, "%llu entries reference missing message %llu", "", 0, count, id);
        else if (!count && msg)
            problem(v, "orphan message %llu (%llu bytes) has no entry", "", 0, id, msg->len);
        if (ref && ref->refs != count)
            problem(v, "message %llu: reference count %llu does not match its entries", "", 0, id, ref->refs);
        else if (!ref && msg)
            problem(v, "message %llu has no reference count record%.0llu", "", 0, id, 0);
        else if (ref && !msg)
            problem(v, "reference count record for missing message %llu%.0llu", "", 0, id, 0);
        if (ref && msg && ref->len != msg->len)
            problem(v, "message %llu: size %llu differs from its reference record", "", 0, id, msg->len);
    }
}

static apr_status_t tool_open(const char *dir, int fatal, FILE *out, st_kv_t **kv)
{
    st_options_t o;
    st_options_default(&o);
    o.kind = ST_KIND_BDB;
    o.dir = dir;
    st_status_init();
    apr_status_t st = st_bdb_open(&o, fatal, kv);
    if (st)
        fprintf(out, "cannot open the store in %s: %s\n%s", dir, hm_strerror(st),
                st == ST_ERECOVER ? "the environment is damaged: run `hermod store recover DIR` "
                "(catastrophic recovery from the logs), then verify again\n" : "");
    return st;
}

apr_status_t st_tool_verify(const char *dir, FILE *out, st_progress_fn progress, void *baton)
{
    st_kv_t *kv;
    apr_status_t st = tool_open(dir, 0, out, &kv);
    if (st) return st;
    verify_t v = { out, progress, baton, 0, 0, 0, { .size = sizeof(dest_item_t) },
                   { .size = sizeof(uint64_t) }, { .size = sizeof(ref_item_t) },
                   { .size = sizeof(msg_item_t) }, { .size = sizeof(uint64_t) },
                   { .size = sizeof(uint32_t) }, 0 };
    st_kvtx_t *tx;
    st = kv->vt->begin(kv, 0, &tx);
    v.kv = kv;
    v.tx = tx;
    for (int t = 0; t < ST_T_COUNT && !st; t++) {
        v.table = t;
        uint64_t before = v.records;
        st = kv->vt->scan(tx, t, NULL, 0, verify_rec, &v);
        if (st)
            fprintf(out, "cannot read table %s: %s -- the file is damaged: run `hermod store recover "
                    "DIR` (catastrophic recovery) or restore a backup\n", st_table_names[t], hm_strerror(st));
        else if (t == ST_T_ENTRY)
            fprintf(out, "%s: %llu records (%llu with the message body inline, %llu of them in the "
                    "journal)\n", st_table_names[t], (unsigned long long)(v.records - before),
                    (unsigned long long)v.inl.n, (unsigned long long)v.journal);
        else
            fprintf(out, "%s: %llu records\n", st_table_names[t], (unsigned long long)(v.records - before));
    }
    if (!st) {
        kv->vt->abort(tx);
        cross_check(&v);
        fprintf(out, "verify %s: %llu records, %llu problems\n", dir,
                (unsigned long long)v.records, (unsigned long long)v.problems);
        if (v.problems) st = ST_ECORRUPT;
    } else if (tx) {
        kv->vt->abort(tx);
    }
    st_buf_free(&v.jb);
    free(v.dests.p); free(v.entries.p); free(v.refs.p); free(v.msgs.p); free(v.inl.p);
    free(v.entry_dests.p);
    kv->vt->close(kv);
    return st;
}

apr_status_t st_tool_recover(const char *dir, int fatal, FILE *out)
{
    st_kv_t *kv;
    apr_status_t st = tool_open(dir, fatal, out, &kv);
    if (st) return st;
    /* recovery may change what a clean close counted: the next open counts again */
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, ST_SUMMARY_FILE);
    unlink(path);
    st = kv->vt->checkpoint(kv, 0);
    kv->vt->close(kv);
    fprintf(out, "%s recovery of %s: %s\n", fatal ? "catastrophic" : "normal", dir,
            st ? hm_strerror(st) : "done");
    return st;
}

/* ---- stats and dump: through the store itself ---- */

typedef struct dest_info_s { uint32_t id; st_dest_kind_e kind; char *name; uint64_t entries; } dest_info_t;
typedef struct dests_s { dest_info_t d[4096]; size_t n; } dests_t;

static void dest_seen(void *baton, uint32_t id, st_dest_kind_e kind, const char *name)
{
    dests_t *ds = baton;
    if (ds->n < 4096)
        ds->d[ds->n++] = (dest_info_t){ id, kind, strdup(name), 0 };
}

static int cmp_info(const void *a, const void *b)
{
    uint32_t x = ((const dest_info_t *)a)->id, y = ((const dest_info_t *)b)->id;
    return x < y ? -1 : x > y;
}

static apr_status_t tool_store(const char *dir, FILE *out, apr_pool_t **pool, st_store_t **s)
{
    apr_pool_create(pool, NULL);
    st_options_t o;
    st_options_default(&o);
    o.kind = ST_KIND_BDB;
    o.dir = dir;
    apr_status_t st = st_open(*pool, &o, s);
    if (st) {
        fprintf(out, "cannot open the store in %s: %s\n", dir, hm_strerror(st));
        apr_pool_destroy(*pool);
    }
    return st;
}

static apr_status_t count_dest(void *baton, const uint8_t *k, size_t kl, const uint8_t *v, size_t vl)
{
    dests_t *ds = baton;
    uint32_t dest;
    uint8_t prio;
    uint64_t seq;
    if (!st_key_entry_parse(k, kl, &dest, &prio, &seq)) return APR_SUCCESS;
    dest_info_t key = { dest, 0, NULL, 0 };
    dest_info_t *d = find_n(&key, ds->d, ds->n, sizeof ds->d[0], cmp_info);
    if (d) d->entries++;
    return APR_SUCCESS;
}

static void print_xid(void *baton, const st_xid_t *x)
{
    FILE *out = baton;
    fprintf(out, "prepared xid format %d gtrid ", x->format);
    for (int i = 0; i < x->gtrid_len; i++) fprintf(out, "%02x", x->gtrid[i]);
    fprintf(out, " bqual ");
    for (int i = 0; i < x->bqual_len; i++) fprintf(out, "%02x", x->bqual[i]);
    fprintf(out, "\n");
}

static dests_t *list_dests(st_store_t *s)
{
    dests_t *ds = calloc(1, sizeof *ds);
    if (!ds) return NULL;
    st_dest_list(s, dest_seen, ds);
    sort_n(ds->d, ds->n, sizeof ds->d[0], cmp_info);
    return ds;
}

static void free_dests(dests_t *ds)
{
    for (size_t i = 0; i < ds->n; i++) free(ds->d[i].name);
    free(ds);
}

apr_status_t st_tool_stats(const char *dir, FILE *out)
{
    apr_pool_t *pool;
    st_store_t *s;
    apr_status_t st = tool_store(dir, out, &pool, &s);
    if (st) return st;
    st_stats_t x;
    dests_t *ds = list_dests(s);
    st = ds ? st_stats(s, &x) : APR_ENOMEM;
    if (!st) {
        fprintf(out, "store %s: %llu messages, %llu bytes, %llu entries, %u destinations, "
                "%u prepared transactions, %u log files\n", dir, (unsigned long long)x.messages,
                (unsigned long long)x.bytes, (unsigned long long)x.entries, x.destinations,
                x.prepared, x.log_files);
        st_kvtx_t *tx;
        if (!(st = s->kv->vt->begin(s->kv, 0, &tx))) {
            st = s->kv->vt->scan(tx, ST_T_ENTRY, NULL, 0, count_dest, ds);
            s->kv->vt->abort(tx);
        }
        for (size_t i = 0; i < ds->n; i++)
            fprintf(out, "  %s %s (id %u): %llu entries\n", ds->d[i].kind == ST_DEST_SUB ?
                    "subscription" : "queue", ds->d[i].name, ds->d[i].id,
                    (unsigned long long)ds->d[i].entries);
    }
    if (ds) free_dests(ds);
    st_close(s);
    apr_pool_destroy(pool);
    return st;
}

static apr_status_t dump_entry(void *baton, const st_entry_t *e, const void *bytes, size_t len)
{
    FILE *out = baton;
    fprintf(out, "    priority %u seq %llu message %llu delivered %u, %zu bytes: ", e->priority,
            (unsigned long long)e->seq, (unsigned long long)e->msg_id, e->delivered, len);
    const uint8_t *b = bytes;
    for (size_t i = 0; i < len && i < 48; i++)
        fputc(b[i] >= 0x20 && b[i] < 0x7f ? b[i] : '.', out);
    fprintf(out, "%s\n", len > 48 ? "..." : "");
    return APR_SUCCESS;
}

static void dump_sub(void *baton, uint32_t dest, const st_sub_t *sub)
{
    FILE *out = baton;
    fprintf(out, "subscription id %u: client %s name %s topic %s noLocal %d selector %s\n", dest,
            sub->client_id, sub->name, sub->topic, sub->no_local, sub->selector ? sub->selector : "(none)");
}

apr_status_t st_tool_dump(const char *dir, FILE *out)
{
    apr_pool_t *pool;
    st_store_t *s;
    apr_status_t st = tool_store(dir, out, &pool, &s);
    if (st) return st;
    dests_t *ds = list_dests(s);
    if (!ds) st = APR_ENOMEM;
    for (size_t i = 0; ds && i < ds->n && !st; i++) {
        fprintf(out, "%s %s (id %u)\n", ds->d[i].kind == ST_DEST_SUB ? "subscription" : "queue",
                ds->d[i].name, ds->d[i].id);
        st = st_load(s, ds->d[i].id, dump_entry, out);
    }
    if (!st) st = st_sub_list(s, dump_sub, out);
    if (!st) st = st_xa_recover(s, print_xid, out);
    if (ds) free_dests(ds);
    st_close(s);
    apr_pool_destroy(pool);
    return st;
}
