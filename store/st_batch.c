/* Batches: operations gathered by the core, applied atomically in one transaction; and XA,
 * where the same operations are first recorded under an xid and applied later. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "hm_log.h"
#include "st_int.h"

st_batch_t *st_batch_begin(st_store_t *s)
{
    st_batch_t *b = calloc(1, sizeof *b);
    if (!b) abort();
    b->s = s;
    return b;
}

static st_op_t *push(st_batch_t *b)
{
    if (b->err) return NULL;
    if (b->n == b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 8;
        st_op_t *ops = cap <= ST_MAX_BATCH_OPS ? realloc(b->ops, cap * sizeof *ops) : NULL;
        if (!ops) { b->err = cap <= ST_MAX_BATCH_OPS ? APR_ENOMEM : HM_ETOOBIG; return NULL; }
        b->ops = ops;
        b->cap = cap;
    }
    st_op_t *op = &b->ops[b->n++];
    memset(op, 0, sizeof *op);
    return op;
}

void st_batch_add_message(st_batch_t *b, const void *bytes, size_t len, uint64_t *msg_id)
{
    pthread_mutex_lock(&b->s->mu);
    *msg_id = b->s->next_msg++;
    pthread_mutex_unlock(&b->s->mu);
    if (len > ST_MAX_BODY) { if (!b->err) b->err = HM_ETOOBIG; return; }
    st_op_t *op = push(b);
    if (!op) return;
    uint8_t *copy = malloc(len ? len : 1);
    if (!copy) { b->n--; b->err = APR_ENOMEM; return; }
    memcpy(copy, bytes, len);
    op->type = ST_OP_MSG;
    op->msg_id = *msg_id;
    op->bytes = copy;
    op->len = (uint32_t)len;
    b->add_bytes += len;
}

static void entry_op(st_batch_t *b, uint8_t type, uint32_t dest, uint64_t msg_id, uint8_t priority,
                     uint64_t seq, uint32_t count)
{
    if (priority > ST_MAX_PRIORITY || dest == 0) { if (!b->err) b->err = HM_EINVAL; return; }
    st_op_t *op = push(b);
    if (!op) return;
    op->type = type;
    op->dest = dest;
    op->msg_id = msg_id;
    op->priority = priority;
    op->seq = seq;
    op->count = count;
}

void st_batch_add_entry(st_batch_t *b, uint32_t dest, uint64_t msg_id, uint8_t priority, uint64_t seq)
{
    entry_op(b, ST_OP_ADD, dest, msg_id, priority, seq, 0);
}

void st_batch_remove_entry(st_batch_t *b, uint32_t dest, uint8_t priority, uint64_t seq)
{
    entry_op(b, ST_OP_DEL, dest, 0, priority, seq, 0);
}

void st_batch_set_delivered(st_batch_t *b, uint32_t dest, uint8_t priority, uint64_t seq, uint32_t count)
{
    entry_op(b, ST_OP_DELIVERED, dest, 0, priority, seq, count);
}

static st_op_t *audit_op(st_batch_t *b, const char *producer, size_t len);

void st_batch_audit(st_batch_t *b, const char *producer, size_t len, uint64_t seq)
{
    st_op_t *op = audit_op(b, producer, len);
    if (op)
        op->seq = seq;
}

void st_batch_audit_forget(st_batch_t *b, const char *producer, size_t len)
{
    st_op_t *op = audit_op(b, producer, len);
    if (op)
        op->count = 1;          /* a removal */
}

static st_op_t *audit_op(st_batch_t *b, const char *producer, size_t len)
{
    if (len == 0 || len > ST_MAX_NAME) { if (!b->err) b->err = HM_EINVAL; return NULL; }
    st_op_t *op = push(b);
    if (!op) return NULL;
    uint8_t *copy = malloc(len);
    if (!copy) { b->n--; b->err = APR_ENOMEM; return NULL; }
    memcpy(copy, producer, len);
    op->type = ST_OP_AUDIT;
    op->bytes = copy;
    op->len = (uint32_t)len;
    return op;
}

size_t st_batch_size(const st_batch_t *b) { return b->n; }

void st_batch_discard(st_batch_t *b)
{
    if (!b) return;
    for (size_t i = 0; i < b->n; i++)
        if (ST_OP_OWNS_BYTES(b->ops[i].type))
            free((void *)b->ops[i].bytes);
    free(b->ops);
    free(b);
}

/* ---- applying ---- */

typedef struct delta_s { uint64_t id; int64_t d; const st_op_t *msg; } delta_t;

static int delta_cmp(const void *a, const void *b)
{
    const delta_t *x = a, *y = b;
    return x->id < y->id ? -1 : x->id > y->id;
}

/* Why reference counts in their own table: a body is written once and never rewritten; an ack
 * touches the small count record, and knows the body size without reading the body. */
static apr_status_t apply_refs(st_store_t *s, st_kvtx_t *tx, delta_t *ds, size_t nd,
                               int64_t *bytes_delta, int64_t *msgs_delta)
{
    const st_kv_vt_t *kv = s->kv->vt;
    qsort(ds, nd, sizeof *ds, delta_cmp);
    st_buf_t v = { 0 };
    hm_wbuf_t wb;
    hm_wbuf_init(&wb, ST_MAX_BODY + 64);
    apr_status_t st = APR_SUCCESS;
    for (size_t i = 0; i < nd && !st; ) {
        uint64_t id = ds[i].id;
        int64_t d = 0;
        const st_op_t *msg = NULL;
        for (; i < nd && ds[i].id == id; i++) {
            d += ds[i].d;
            if (ds[i].msg) msg = ds[i].msg;
        }
        uint8_t k[ST_KEY_MSG];
        st_key_msg(k, id);
        st_rec_ref_t ref;
        if (msg) {
            if (d <= 0)
                continue;               /* a body no entry references is not stored */
            hm_wbuf_reset(&wb);
            st_rec_put_msg(&wb, msg->bytes, msg->len);
            if ((st = wb.err) || (st = kv->put(tx, ST_T_MSG, k, sizeof k, wb.data, wb.len, 1)))
                break;
            ref.refs = (uint32_t)d;
            ref.body_len = msg->len;
            *bytes_delta += msg->len;
            *msgs_delta += 1;
        } else {
            if (d == 0)
                continue;
            st = kv->get(tx, ST_T_REF, k, sizeof k, &v, 1);
            if (st == HM_ENOTFOUND) {
                hm_warn("store: an entry referenced message %llu, which has no reference record",
                        (unsigned long long)id);
                st = APR_SUCCESS;
                continue;
            }
            if (st) break;
            if (st_rec_get_ref(v.p, v.len, &ref) != APR_SUCCESS) {
                st_store_log_corrupt(s, "reference count", k, sizeof k);
                continue;
            }
            int64_t refs = (int64_t)ref.refs + d;
            if (refs <= 0) {
                if ((st = kv->del(tx, ST_T_REF, k, sizeof k)))
                    break;
                st = kv->del(tx, ST_T_MSG, k, sizeof k);
                if (st == HM_ENOTFOUND) st = APR_SUCCESS;
                *bytes_delta -= ref.body_len;
                *msgs_delta -= 1;
                continue;
            }
            ref.refs = (uint32_t)refs;
        }
        hm_wbuf_reset(&wb);
        st_rec_put_ref(&wb, &ref);
        if (!(st = wb.err))
            st = kv->put(tx, ST_T_REF, k, sizeof k, wb.data, wb.len, 0);
    }
    st_buf_free(&v);
    hm_wbuf_free(&wb);
    return st;
}

static int shares(st_store_t *s, uint32_t dest)
{
    pthread_mutex_lock(&s->mu);
    const st_dest_t *d = apr_hash_get(s->dest_by_id, &dest, sizeof dest);
    int yes = d && d->share_bodies;
    pthread_mutex_unlock(&s->mu);
    return yes;
}

/* Why inline bodies: most messages (a queue send) get exactly one entry.  Keeping such a body
 * in its entry makes the add one write and the acknowledgement one delete, where the shared
 * layout costs a body, a count and an entry record each way (about three times the journal
 * bytes and B-tree operations).  Returns, per op, the index+1 of the MSG op whose body an ADD
 * takes inline (0: none); a MSG op taken inline is marked with SIZE_MAX.  NULL on no memory. */
static size_t *plan_inline(st_store_t *s, const st_op_t *ops, size_t n)
{
    size_t *plan = calloc(n ? n : 1, sizeof *plan);
    delta_t *ix = malloc((n ? n : 1) * sizeof *ix);
    if (!plan || !ix) { free(plan); free(ix); return NULL; }
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        if (ops[i].type == ST_OP_MSG || ops[i].type == ST_OP_ADD)
            ix[m++] = (delta_t){ ops[i].msg_id, (int64_t)i, NULL };
    qsort(ix, m, sizeof *ix, delta_cmp);
    for (size_t i = 0; i < m; ) {
        size_t j = i, msg = SIZE_MAX, add = SIZE_MAX, msgs = 0, adds = 0;
        for (; j < m && ix[j].id == ix[i].id; j++) {
            size_t k = (size_t)ix[j].d;
            if (ops[k].type == ST_OP_MSG) { msg = k; msgs++; }
            else { add = k; adds++; }
        }
        if (msgs == 1 && adds == 1 && msg < add && !shares(s, ops[add].dest)) {
            plan[add] = msg + 1;
            plan[msg] = SIZE_MAX;
        }
        i = j;
    }
    free(ix);
    return plan;
}

/* The body goes to the journal (st_journal.c); the entry keeps where. */
static apr_status_t journal_body(st_store_t *s, st_kvtx_t *tx, const st_op_t *msg, st_rec_entry_t *e)
{
    hm_wbuf_t wb;
    hm_wbuf_init(&wb, ST_JOURNAL_MAX_BODY + 64);
    st_rec_put_jbody(&wb, msg->msg_id, msg->bytes, msg->len);
    apr_status_t st = wb.err ? wb.err : s->kv->vt->jput(tx, wb.data, wb.len, &e->lsn);
    hm_wbuf_free(&wb);
    e->journal = st == APR_SUCCESS;
    return st;
}

static apr_status_t put_entry(st_store_t *s, st_kvtx_t *tx, const uint8_t *k, const st_rec_entry_t *e,
                              int no_overwrite)
{
    hm_wbuf_t wb;
    hm_wbuf_init(&wb, ST_MAX_BODY + 64);
    st_rec_put_entry(&wb, e);
    apr_status_t st = wb.err ? wb.err
                    : s->kv->vt->put(tx, ST_T_ENTRY, k, ST_KEY_ENTRY, wb.data, wb.len, no_overwrite);
    hm_wbuf_free(&wb);
    return st;
}

apr_status_t st_apply(st_store_t *s, st_kvtx_t *tx, const st_op_t *ops, size_t n,
                      int64_t *bytes_delta, int64_t *msgs_delta)
{
    const st_kv_vt_t *kv = s->kv->vt;
    delta_t *ds = malloc((n ? n : 1) * sizeof *ds);
    size_t *plan = plan_inline(s, ops, n);
    if (!ds || !plan) { free(ds); free(plan); return APR_ENOMEM; }
    size_t nd = 0;
    st_buf_t v = { 0 };
    apr_status_t st = APR_SUCCESS;
    *bytes_delta = *msgs_delta = 0;
    for (size_t i = 0; i < n && !st; i++) {
        const st_op_t *op = &ops[i];
        uint8_t k[ST_KEY_ENTRY];
        st_rec_entry_t e = { 0 };
        st_key_entry(k, op->dest, op->priority, op->seq);
        switch (op->type) {
        case ST_OP_NONE:
            break;
        case ST_OP_MSG:
            if (plan[i] != SIZE_MAX)
                ds[nd++] = (delta_t){ op->msg_id, 0, op };
            break;
        case ST_OP_ADD:
            e.msg_id = op->msg_id;
            if (plan[i]) {
                const st_op_t *msg = &ops[plan[i] - 1];
                e.body_len = msg->len;
                if (kv->jput && msg->len <= ST_JOURNAL_MAX_BODY)
                    st = journal_body(s, tx, msg, &e);
                else
                    e.body = msg->bytes;
                *bytes_delta += msg->len;
                *msgs_delta += 1;
            } else {
                ds[nd++] = (delta_t){ op->msg_id, 1, NULL };
            }
            if (!st)
                st = put_entry(s, tx, k, &e, 1);
            break;
        case ST_OP_AUDIT: {
            if (op->count) {
                st = kv->del(tx, ST_T_AUDIT, op->bytes, op->len);
                if (st == HM_ENOTFOUND)
                    st = APR_SUCCESS;
                break;
            }
            hm_wbuf_t wb;
            hm_wbuf_init(&wb, 64);
            st_rec_put_audit(&wb, op->seq);
            st = wb.err ? wb.err : kv->put(tx, ST_T_AUDIT, op->bytes, op->len, wb.data, wb.len, 0);
            hm_wbuf_free(&wb);
            break;
        }
        case ST_OP_DEL:
        case ST_OP_DELIVERED:
            st = kv->get(tx, ST_T_ENTRY, k, sizeof k, &v, 1);
            if (st == HM_ENOTFOUND) { st = APR_SUCCESS; break; }
            if (st) break;
            if (st_rec_get_entry(v.p, v.len, &e) != APR_SUCCESS) {
                st_store_log_corrupt(s, "entry", k, sizeof k);
                if (op->type == ST_OP_DEL)
                    st = kv->del(tx, ST_T_ENTRY, k, sizeof k);
                break;
            }
            if (op->type == ST_OP_DEL) {
                st = kv->del(tx, ST_T_ENTRY, k, sizeof k);
                if (!st && e.journal)
                    kv->jdrop(tx, e.lsn);
                if (e.body || e.journal) {
                    *bytes_delta -= e.body_len;
                    *msgs_delta -= 1;
                } else {
                    ds[nd++] = (delta_t){ e.msg_id, -1, NULL };
                }
            } else {
                e.delivered = op->count;      /* an inline body is written back with it */
                st = put_entry(s, tx, k, &e, 0);
            }
            break;
        default:
            st = HM_EINVAL;
        }
    }
    st_buf_free(&v);
    free(plan);
    if (!st)
        st = apply_refs(s, tx, ds, nd, bytes_delta, msgs_delta);
    free(ds);
    return st;
}

/* ---- committing ---- */

typedef struct batch_arg_s {
    const st_op_t *ops;
    size_t n;
    const st_xid_t *put_xid;     /* prepare: record instead of applying */
    const st_xid_t *del_xid;     /* xa commit/rollback: forget the record */
    int apply;
    int64_t bytes, msgs;
} batch_arg_t;

static apr_status_t batch_tx(st_store_t *s, st_kvtx_t *tx, void *argp)
{
    batch_arg_t *a = argp;
    const st_kv_vt_t *kv = s->kv->vt;
    apr_status_t st = APR_SUCCESS;
    uint8_t k[8 + 2 * ST_XID_MAX];
    a->bytes = a->msgs = 0;
    if (a->del_xid) {
        st = kv->del(tx, ST_T_XA, k, st_key_xid(k, a->del_xid));
        if (st) return st;
    }
    if (a->put_xid) {
        hm_wbuf_t wb;
        hm_wbuf_init(&wb, (size_t)1 << 40);
        st_rec_put_xa(&wb, a->put_xid, a->ops, a->n);
        st = wb.err ? wb.err : kv->put(tx, ST_T_XA, k, st_key_xid(k, a->put_xid), wb.data, wb.len, 1);
        hm_wbuf_free(&wb);
        return st;
    }
    if (a->apply)
        st = st_apply(s, tx, a->ops, a->n, &a->bytes, &a->msgs);
    return st;
}

/* Reserves room under the size limit for bytes about to be added. */
static apr_status_t reserve(st_store_t *s, uint64_t add)
{
    apr_status_t st = APR_SUCCESS;
    pthread_mutex_lock(&s->mu);
    if (s->failed)
        st = s->failed;
    else if (add && s->o.size_limit && s->bytes + s->reserved + add > s->o.size_limit)
        st = HM_ENOSPACE;
    else if (add && s->o.kind == ST_KIND_BDB && st_bdb_low_space(s->kv))
        st = APR_FROM_OS_ERROR(ENOSPC);         /* the disk is full: room is kept for removals */
    else
        s->reserved += add;
    pthread_mutex_unlock(&s->mu);
    return st;
}

static void settle(st_store_t *s, uint64_t reserved, apr_status_t st, const batch_arg_t *a)
{
    pthread_mutex_lock(&s->mu);
    s->reserved -= reserved;
    if (!st) {
        s->bytes = (uint64_t)((int64_t)s->bytes + a->bytes);
        s->messages = (uint64_t)((int64_t)s->messages + a->msgs);
        if (a->put_xid) s->prepared++;
        if (a->del_xid) s->prepared--;
    }
    pthread_mutex_unlock(&s->mu);
}

static apr_status_t run_batch(st_store_t *s, batch_arg_t *a, uint64_t add_bytes, st_done_fn done, void *baton)
{
    apr_status_t st = reserve(s, add_bytes);
    if (st) return st;
    st = st_take_fault(s, ST_FAULT_COMMIT);
    if (!st)
        st = st_run_tx(s, batch_tx, a, 0);
    settle(s, add_bytes, st, a);
    if (st) return st;
    return st_finish(s, done, baton);
}

/* With a flusher the batch joins the deferred queue (st_defer.c): the size limit and the
 * test fault are still checked here, so those refusals stay synchronous.  A large batch (a
 * transaction) is applied at once by its caller after the queue ahead of it: the flusher
 * would otherwise apply it and flush in turn, where the caller can apply it while the
 * flusher flushes. */
static apr_status_t defer_batch(st_batch_t *b, st_done_fn done, void *baton)
{
    st_store_t *s = b->s;
    apr_status_t st = reserve(s, b->add_bytes);
    if (st) return st;
    if (!(st = st_take_fault(s, ST_FAULT_COMMIT)))
        st = st_defer_commit(s, b->ops, b->n, b->add_bytes, done, baton);
    if (st) {
        pthread_mutex_lock(&s->mu);
        s->reserved -= b->add_bytes;
        pthread_mutex_unlock(&s->mu);
        return st;
    }
    b->ops = NULL;                   /* owned by the queue now */
    b->n = 0;
    return APR_SUCCESS;
}

apr_status_t st_batch_commit(st_batch_t *b, st_done_fn done, void *baton)
{
    batch_arg_t a = { b->ops, b->n, NULL, NULL, 1, 0, 0 };
    apr_status_t st = b->err ? b->err
                    : b->s->df && b->n <= ST_DEFER_MAX_OPS ? defer_batch(b, done, baton)
                    : (st_defer_drain(b->s), run_batch(b->s, &a, b->add_bytes, done, baton));
    st_batch_discard(b);
    return st;
}

apr_status_t st_batch_prepare(st_batch_t *b, const st_xid_t *xid, st_done_fn done, void *baton)
{
    batch_arg_t a = { b->ops, b->n, xid, NULL, 0, 0, 0 };
    st_defer_drain(b->s);
    apr_status_t st = b->err ? b->err :
        (xid->gtrid_len > ST_XID_MAX || xid->bqual_len > ST_XID_MAX) ? HM_EINVAL :
        run_batch(b->s, &a, b->add_bytes, done, baton);
    st_batch_discard(b);
    return st;
}

typedef struct waiter_sync_s {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int done;
    apr_status_t st;
} waiter_sync_t;

static void wake(void *baton, apr_status_t st)
{
    waiter_sync_t *w = baton;
    pthread_mutex_lock(&w->mu);
    w->done = 1;
    w->st = st;
    pthread_cond_signal(&w->cv);
    pthread_mutex_unlock(&w->mu);
}

/* Why a helper: tests and rare core paths (subscription changes) want "durable now". */
static apr_status_t wait_for(apr_status_t st, waiter_sync_t *w)
{
    if (st == APR_SUCCESS) {
        pthread_mutex_lock(&w->mu);
        while (!w->done)
            pthread_cond_wait(&w->cv, &w->mu);
        pthread_mutex_unlock(&w->mu);
        st = w->st;
    }
    pthread_mutex_destroy(&w->mu);
    pthread_cond_destroy(&w->cv);
    return st;
}

apr_status_t st_batch_commit_wait(st_batch_t *b)
{
    st_store_t *s = b->s;
    if (s->threads && pthread_equal(pthread_self(), s->flusher)) {
        hm_error("store: a commit callback waited for another commit (it would wait forever)");
        st_batch_discard(b);
        return HM_EDENIED;
    }
    waiter_sync_t w = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, 0 };
    return wait_for(st_batch_commit(b, wake, &w), &w);
}

/* Reads a prepared record; *ops is malloc'd and points into *v. */
static apr_status_t xa_read(st_store_t *s, const st_xid_t *xid, st_buf_t *v, st_op_t **ops, size_t *n)
{
    const st_kv_vt_t *kv = s->kv->vt;
    st_kvtx_t *tx;
    uint8_t k[8 + 2 * ST_XID_MAX];
    size_t kl = st_key_xid(k, xid);
    apr_status_t st = kv->begin(s->kv, 0, &tx);
    if (st) return st;
    st = kv->get(tx, ST_T_XA, k, kl, v, 0);
    kv->abort(tx);
    if (st) return st;
    st_xid_t stored;
    st = st_rec_get_xa(v->p, v->len, &stored, ops, n);
    if (st)
        st_store_log_corrupt(s, "prepared transaction", k, kl);
    return st;
}

static apr_status_t xa_end(st_store_t *s, const st_xid_t *xid, int apply, st_done_fn done, void *baton)
{
    if (xid->gtrid_len > ST_XID_MAX || xid->bqual_len > ST_XID_MAX)
        return HM_EINVAL;
    st_defer_drain(s);
    st_buf_t v = { 0 };
    st_op_t *ops = NULL;
    size_t n = 0;
    apr_status_t st = xa_read(s, xid, &v, &ops, &n);
    if (st == ST_ECORRUPT && !apply)
        st = APR_SUCCESS;                /* a damaged record can still be rolled back */
    if (!st) {
        batch_arg_t a = { ops, n, NULL, xid, apply, 0, 0 };
        /* Prepared bytes were admitted at prepare time: the limit does not refuse a commit. */
        st = st_take_fault(s, ST_FAULT_COMMIT);
        if (!st) st = st_run_tx(s, batch_tx, &a, 0);
        settle(s, 0, st, &a);
        if (!st) st = st_finish(s, done, baton);
    }
    free(ops);
    st_buf_free(&v);
    return st;
}

apr_status_t st_xa_commit(st_store_t *s, const st_xid_t *xid, st_done_fn done, void *baton)
{
    return xa_end(s, xid, 1, done, baton);
}

apr_status_t st_xa_rollback(st_store_t *s, const st_xid_t *xid, st_done_fn done, void *baton)
{
    return xa_end(s, xid, 0, done, baton);
}

typedef struct xa_list_s { st_store_t *s; st_xid_fn each; void *baton; } xa_list_t;

static apr_status_t xa_each(void *baton, const uint8_t *k, size_t kl, const uint8_t *v, size_t vl)
{
    xa_list_t *x = baton;
    hm_rd_t rd;
    st_xid_t xid;
    hm_rd_init_whole(&rd, k, kl);
    if (st_xid_parse(&rd, &xid) != APR_SUCCESS || hm_rd_left(&rd) != 0) {
        st_store_log_corrupt(x->s, "prepared transaction key", k, kl);
        return APR_SUCCESS;
    }
    x->each(x->baton, &xid);
    return APR_SUCCESS;
}

/* Every record of table t, in a read transaction of its own. */
static apr_status_t scan_all(st_store_t *s, int t, st_scan_fn fn, void *baton)
{
    const st_kv_vt_t *kv = s->kv->vt;
    st_kvtx_t *tx;
    apr_status_t st = kv->begin(s->kv, 0, &tx);
    if (st) return st;
    st = kv->scan(tx, t, NULL, 0, fn, baton);
    kv->abort(tx);
    return st;
}

apr_status_t st_xa_recover(st_store_t *s, st_xid_fn each, void *baton)
{
    xa_list_t x = { s, each, baton };
    return scan_all(s, ST_T_XA, xa_each, &x);
}

typedef struct audit_list_s { st_store_t *s; st_audit_fn each; void *baton; } audit_list_t;

static apr_status_t audit_each(void *baton, const uint8_t *k, size_t kl, const uint8_t *v, size_t vl)
{
    audit_list_t *x = baton;
    uint64_t seq;
    if (kl == 0 || kl > ST_MAX_NAME || st_rec_get_audit(v, vl, &seq) != APR_SUCCESS) {
        st_store_log_corrupt(x->s, "producer audit", k, kl);
        return APR_SUCCESS;
    }
    x->each(x->baton, (const char *)k, kl, seq);
    return APR_SUCCESS;
}

apr_status_t st_audit_list(st_store_t *s, st_audit_fn each, void *baton)
{
    audit_list_t x = { s, each, baton };
    return scan_all(s, ST_T_AUDIT, audit_each, &x);
}

apr_status_t st_xa_ops(st_store_t *s, const st_xid_t *xid, st_xa_op_fn each, void *baton)
{
    if (xid->gtrid_len > ST_XID_MAX || xid->bqual_len > ST_XID_MAX)
        return HM_EINVAL;
    st_buf_t v = { 0 };
    st_op_t *ops = NULL;
    size_t n = 0;
    apr_status_t st = xa_read(s, xid, &v, &ops, &n);
    for (size_t i = 0; i < n && st == APR_SUCCESS; i++) {
        static const st_xa_op_kind_e kinds[] = { 0, ST_XA_MSG, ST_XA_ADD, ST_XA_REMOVE, ST_XA_DELIVERED };
        if (ops[i].type < ST_OP_MSG || ops[i].type > ST_OP_DELIVERED)
            continue;
        st_xa_op_t op = { kinds[ops[i].type], ops[i].dest, ops[i].priority, ops[i].seq, ops[i].msg_id,
                          ops[i].bytes, ops[i].len, ops[i].count };
        each(baton, &op);
    }
    free(ops);
    st_buf_free(&v);
    return st;
}
