/* Deferred batches: with the Berkeley DB flusher running, a committed batch is not written
 * at once.  It waits in a queue until the flusher takes the whole queue, applies it in one
 * transaction and flushes the log once, then completes every batch's callback.
 *
 * Why: (1) the event loops no longer spend their time inside Berkeley DB under the broker
 * lock; (2) one transaction per group instead of per message; (3) the cancellation ActiveMQ
 * calls concurrentStoreAndDispatch: a message is dispatched while its batch still waits, and
 * when its consumer's acknowledgement arrives before the flusher took the batch, the add and
 * the remove cancel out and neither is written.  The sender's callback then runs at once: the
 * message was delivered and acknowledged, so there is nothing left to lose in a crash.
 *
 * Ordering: batches are applied in commit order by one applier at a time (apply_mu), so a
 * remove is never applied before its add.  Synchronous operations that read or rewrite the
 * tables (destination removal, XA, statistics, loading) first drain the queue.
 *
 * When acknowledgements keep arriving quickly (most recent adds were removed within
 * ST_DEFER_WINDOW_US of their commit) the flusher holds a fresh batch until that window has
 * passed, so the acknowledgement can still cancel it; when they do not (no consumer, a deep
 * queue) nothing is held and a send costs one shared flush as before. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <apr_hash.h>

#include "hm_log.h"
#include "st_int.h"

typedef struct st_pend_s st_pend_t;
struct st_pend_s {
    struct st_pend_s *next;
    st_op_t *ops;
    size_t n;
    size_t live;                 /* add/remove/delivered operations not cancelled */
    size_t audits;               /* producer audit records: written, but never waited for */
    uint64_t reserved;           /* body bytes reserved under the size limit */
    uint64_t at;                 /* commit time, monotonic ns */
    st_done_fn done;             /* NULL once run early (everything cancelled) */
    void *baton;
    st_waiter_t *w;              /* once taken: its flush waiter (an ack may claim it early) */
};

/* Why audit records are not "live": a send consumed and acknowledged before its batch was
 * written is confirmed early and never written (ActiveMQ's concurrent store and dispatch);
 * its producer's sequence is still recorded for the next primary, but lazily, so that the
 * audit does not turn every such send into a disk flush it must wait for (it did: persistent
 * 1->1 sends fell from ~4,900 to ~620 msg/s).  A crash before that lazy write forgets the
 * sequence of a send that was already confirmed, so only a lost confirmation repeats it. */
static int writes(const st_pend_t *p)
{
    return p->live || p->audits;
}

typedef struct ix_key_s { uint64_t k1, k2; } ix_key_t;   /* add: dest << 8 | priority, seq.  msg: 0, msg id */
typedef struct ix_node_s {
    ix_key_t key;                /* the hash key lives in the node */
    st_pend_t *p;                /* add: its batch and operation */
    size_t op;
    uint64_t msg_id;
    uint32_t count;              /* msg: pending adds referencing it */
} ix_node_t;

/* Nodes are malloc'd and freed one by one; the table is APR's (its pool only holds the table). */
typedef struct ix_s { apr_pool_t *pool; apr_hash_t *h; } ix_t;

typedef struct recent_s { uint64_t k1, k2, at, msg_id; int hit; st_waiter_t *w; } recent_t;

struct st_defer_s {
    st_pend_t *head, **tail;
    size_t npend;
    ix_t adds, msgs;
    recent_t ring[ST_DEFER_RING];
    unsigned ring_pos, ring_n;
    uint32_t fast;               /* moving share (of 65536) of adds removed within the window */
    uint64_t cancelled, early;
    pthread_mutex_t apply_mu;    /* one applier at a time, in queue order */
};

static uint64_t now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

/* ---- the indexes (everything under s->mu) ---- */

static void ix_init(ix_t *ix)
{
    if (apr_pool_create(&ix->pool, NULL) != APR_SUCCESS)
        abort();
    ix->h = apr_hash_make(ix->pool);
}

static ix_node_t *ix_find(ix_t *ix, uint64_t k1, uint64_t k2)
{
    ix_key_t k = { k1, k2 };
    return apr_hash_get(ix->h, &k, sizeof k);
}

static ix_node_t *ix_add(ix_t *ix, uint64_t k1, uint64_t k2)
{
    ix_node_t *x = calloc(1, sizeof *x);
    if (!x) abort();
    x->key.k1 = k1;
    x->key.k2 = k2;
    apr_hash_set(ix->h, &x->key, sizeof x->key, x);
    return x;
}

static void ix_del(ix_t *ix, uint64_t k1, uint64_t k2)
{
    ix_node_t *x = ix_find(ix, k1, k2);
    if (x) {
        apr_hash_set(ix->h, &x->key, sizeof x->key, NULL);
        free(x);
    }
}

static void ix_free(ix_t *ix)
{
    for (apr_hash_index_t *hi = apr_hash_first(NULL, ix->h); hi; hi = apr_hash_next(hi))
        free(apr_hash_this_val(hi));
    apr_pool_destroy(ix->pool);
    memset(ix, 0, sizeof *ix);
}

static uint64_t entry_k1(const st_op_t *op) { return (uint64_t)op->dest << 8 | op->priority; }

/* ---- how often acknowledgements come fast ---- */

static void learn(struct st_defer_s *d, int hit)
{
    d->fast = d->fast - d->fast / 16 + (hit ? 65536u / 16 : 0);
}

static void remember(struct st_defer_s *d, const st_op_t *op, uint64_t at, st_waiter_t *w)
{
    recent_t *r = &d->ring[d->ring_pos];
    if (d->ring_n == ST_DEFER_RING && !r->hit)
        learn(d, 0);                 /* it left the window without a remove */
    if (d->ring_n == ST_DEFER_RING && r->w) {
        r->w->refs--;
        st_waiter_release_locked(r->w);
    }
    if (w)
        w->refs++;
    *r = (recent_t){ entry_k1(op), op->seq, at, op->msg_id, 0, w };
    d->ring_pos = (d->ring_pos + 1) % ST_DEFER_RING;
    if (d->ring_n < ST_DEFER_RING)
        d->ring_n++;
}

/* A remove of an add the flusher already took.  Why confirm its sender now: the message is
 * delivered and acknowledged, so whether or not its add reaches the disk first, a crash can
 * no longer lose anything the sender was promised.  Returns the waiter claimed, if any. */
static st_waiter_t *seen_remove(struct st_defer_s *d, const st_op_t *op, uint64_t now)
{
    uint64_t k1 = entry_k1(op);
    for (unsigned i = 0; i < d->ring_n; i++) {
        recent_t *r = &d->ring[i];
        if (r->k2 == op->seq && r->k1 == k1) {
            if (!r->hit && now - r->at <= (uint64_t)ST_DEFER_WINDOW_US * 1000u) {
                r->hit = 1;
                learn(d, 1);
            }
            st_waiter_t *w = r->w;
            if (!w)
                return NULL;
            r->w = NULL;
            w->refs--;
            /* not when a pending add keeps the body (a move to the dead letter queue): the
             * message lives on there, and that add is not durable yet */
            if (!w->claimed && w->done && !ix_find(&d->msgs, 0, r->msg_id)) {
                w->claimed = 1;
                return w;
            }
            st_waiter_release_locked(w);
            return NULL;
        }
    }
    return NULL;
}

/* ---- public to the store ---- */

void st_defer_init(st_store_t *s)
{
    if (s->o.kind != ST_KIND_BDB || s->o.sync == ST_SYNC_NONE)
        return;
    struct st_defer_s *d = calloc(1, sizeof *d);
    if (!d) abort();
    d->tail = &d->head;
    ix_init(&d->adds);
    ix_init(&d->msgs);
    pthread_mutex_init(&d->apply_mu, NULL);
    s->df = d;
}

void st_defer_free(st_store_t *s)
{
    struct st_defer_s *d = s->df;
    if (!d) return;
    for (unsigned i = 0; i < d->ring_n; i++)
        if (d->ring[i].w) {
            d->ring[i].w->refs--;
            st_waiter_release_locked(d->ring[i].w);
        }
    ix_free(&d->adds);
    ix_free(&d->msgs);
    pthread_mutex_destroy(&d->apply_mu);
    free(d);
    s->df = NULL;
}

static void pend_free(st_pend_t *p)
{
    for (size_t i = 0; i < p->n; i++)
        if (ST_OP_OWNS_BYTES(p->ops[i].type))
            free((void *)p->ops[i].bytes);
    free(p->ops);
    free(p);
}

typedef struct early_s { st_done_fn done; void *baton; apr_status_t st; } early_t;
typedef struct early_list_s { early_t one[8], *e; size_t n, cap; } early_list_t;

static void early_push(early_list_t *l, st_done_fn done, void *baton)
{
    if (l->n == l->cap) {
        early_t *e = malloc(2 * l->cap * sizeof *e);
        if (!e) abort();
        memcpy(e, l->e, l->n * sizeof *e);
        if (l->e != l->one) free(l->e);
        l->e = e;
        l->cap *= 2;
    }
    l->e[l->n++] = (early_t){ done, baton, APR_SUCCESS };
}

/* Cancels the pending add that remove op i of p undoes, if that is safe: the add's batch was
 * not taken yet and no other pending add needs the same body.  Returns the add's batch when
 * that batch has nothing left to write. */
static st_pend_t *cancel(st_store_t *s, struct st_defer_s *d, st_pend_t *p, size_t i)
{
    st_op_t *op = &p->ops[i];
    ix_node_t *a = ix_find(&d->adds, entry_k1(op), op->seq);
    if (!a || a->p == p)
        return NULL;
    ix_node_t *m = ix_find(&d->msgs, 0, a->msg_id);
    if (!m || m->count != 1)
        return NULL;                 /* another pending entry shares the body: keep both */
    st_pend_t *q = a->p;
    q->ops[a->op].type = ST_OP_NONE;
    q->live--;
    op->type = ST_OP_NONE;
    p->live--;
    ix_del(&d->msgs, 0, a->msg_id);
    ix_del(&d->adds, entry_k1(op), op->seq);
    d->cancelled++;
    learn(d, 1);
    if (q->live)
        return NULL;
    /* nothing left to write: give back its bytes and reservation now, not when it is taken */
    for (size_t j = 0; j < q->n; j++)
        if (q->ops[j].type == ST_OP_MSG) {
            free((void *)q->ops[j].bytes);
            q->ops[j].type = ST_OP_NONE;
        }
    s->reserved -= q->reserved;
    q->reserved = 0;
    return q;
}

apr_status_t st_defer_commit(st_store_t *s, st_op_t *ops, size_t n, uint64_t reserved,
                             st_done_fn done, void *baton)
{
    struct st_defer_s *d = s->df;
    st_pend_t *p = calloc(1, sizeof *p);
    if (!p) return APR_ENOMEM;
    p->ops = ops;
    p->n = n;
    p->reserved = reserved;
    p->done = done;
    p->baton = baton;
    p->at = now_ns();
    early_list_t early;
    early.e = early.one;
    early.n = 0;
    early.cap = 8;
    pthread_mutex_lock(&s->mu);
    if (s->failed) {
        apr_status_t st = s->failed;
        pthread_mutex_unlock(&s->mu);
        free(p);
        return st;
    }
    /* adds first: a batch that re-adds a body it also removes elsewhere keeps the body */
    for (size_t i = 0; i < n; i++) {
        st_op_t *op = &ops[i];
        if (op->type == ST_OP_DEL || op->type == ST_OP_DELIVERED)
            p->live++;
        p->audits += op->type == ST_OP_AUDIT;
        if (op->type != ST_OP_ADD)
            continue;
        p->live++;
        ix_node_t *m = ix_find(&d->msgs, 0, op->msg_id);
        if (!m)
            m = ix_add(&d->msgs, 0, op->msg_id);
        m->count++;
        if (!ix_find(&d->adds, entry_k1(op), op->seq)) {
            ix_node_t *a = ix_add(&d->adds, entry_k1(op), op->seq);
            a->p = p;
            a->op = i;
            a->msg_id = op->msg_id;
        }
    }
    /* Only a batch that adds nothing may cancel or confirm others: a remove that comes with
     * adds (a move to the dead letter queue, a transaction that consumes and sends) moves the
     * message on, and its new home is not durable yet. */
    int adds = 0;
    size_t live0 = p->live;
    for (size_t i = 0; i < n; i++)
        adds |= ops[i].type == ST_OP_ADD;
    for (size_t i = 0; i < n && !adds; i++) {
        if (ops[i].type != ST_OP_DEL)
            continue;
        st_pend_t *q = cancel(s, d, p, i);
        if (ops[i].type == ST_OP_DEL) {
            st_waiter_t *w = seen_remove(d, &ops[i], p->at);
            if (w) {
                early_push(&early, w->done, w->baton);
                d->early++;
                st_waiter_release_locked(w);
            }
        }
        if (q && q->done) {
            early_push(&early, q->done, q->baton);
            q->done = NULL;
        }
    }
    /* emptied by cancellation: done now.  (A batch empty from the start is a barrier that
     * waits for the next flush, e.g. st_dest_purge's durable empty commit.) */
    if (p->live == 0 && live0 && p->done) {
        early_push(&early, p->done, p->baton);
        p->done = NULL;
    }
    *d->tail = p;                    /* even when empty: the flusher settles and frees it */
    d->tail = &p->next;
    d->npend++;
    if (s->flusher_idle)             /* busy or holding: it looks at the queue anyway */
        pthread_cond_signal(&s->flush_cv);
    pthread_mutex_unlock(&s->mu);
    for (size_t i = 0; i < early.n; i++)
        early.e[i].done(early.e[i].baton, APR_SUCCESS);
    if (early.e != early.one)
        free(early.e);
    return APR_SUCCESS;
}

int st_defer_pending_locked(st_store_t *s)
{
    return s->df && s->df->head;
}

int st_defer_hold_locked(st_store_t *s, struct timespec *until)
{
    struct st_defer_s *d = s->df;
    if (!d || !d->head || d->fast < 65536u / 2)
        return 0;
    /* batches emptied by cancellation need no timely take; wait for the first that matters */
    const st_pend_t *p = d->head;
    while (p && !writes(p) && !p->done)
        p = p->next;
    if (!p)
        return d->npend > ST_DEFER_RING ? 0 : 2;
    uint64_t due = p->at + (uint64_t)ST_DEFER_WINDOW_US * 1000u, now = now_ns();
    if (now >= due)
        return 0;
    clock_gettime(CLOCK_REALTIME, until);
    uint64_t ns = (uint64_t)until->tv_nsec + (due - now);
    until->tv_sec += (time_t)(ns / 1000000000u);
    until->tv_nsec = (long)(ns % 1000000000u);
    return 1;
}

/* Takes the queue (under s->mu), or only its batches that had their window (fresh ones
 * keep their chance of being cancelled); the adds taken can no longer be cancelled. */
static st_pend_t *take_locked(st_store_t *s, int ripe_only)
{
    struct st_defer_s *d = s->df;
    st_pend_t *list = d->head, **end = &d->head;
    if (ripe_only && d->fast >= 65536u / 2) {
        uint64_t window = (uint64_t)ST_DEFER_WINDOW_US * 1000u, now = now_ns();
        while (*end && ((*end)->at + window <= now || (!(*end)->live && !(*end)->done)))
            end = &(*end)->next;
    } else {
        end = d->tail;
    }
    if (end == &d->head)
        return NULL;                 /* empty, or nothing ripe yet */
    d->head = *end;
    *end = NULL;
    if (!d->head)
        d->tail = &d->head;
    for (st_pend_t *p = list; p; p = p->next)
        d->npend--;
    for (st_pend_t *p = list; p; p = p->next) {
        /* a batch whose one durable change is a single add: its ack may confirm it early */
        st_waiter_t *w = NULL;
        if (p->done && p->live == 1) {
            for (size_t i = 0; i < p->n && !w; i++)
                if (p->ops[i].type == ST_OP_ADD) {
                    if (!(w = calloc(1, sizeof *w))) abort();
                    w->done = p->done;
                    w->baton = p->baton;
                    p->w = w;
                }
        }
        for (size_t i = 0; i < p->n; i++) {
            st_op_t *op = &p->ops[i];
            if (op->type != ST_OP_ADD)
                continue;
            ix_node_t *a = ix_find(&d->adds, entry_k1(op), op->seq);
            if (a && a->p == p && a->op == i)
                ix_del(&d->adds, entry_k1(op), op->seq);
            ix_node_t *m = ix_find(&d->msgs, 0, op->msg_id);
            if (m && --m->count == 0)
                ix_del(&d->msgs, 0, op->msg_id);
            remember(d, op, p->at, w);
        }
    }
    return list;
}

typedef struct group_s { st_pend_t *first, *stop; int64_t bytes, msgs; uint64_t batches; } group_t;

static apr_status_t group_tx(st_store_t *s, st_kvtx_t *tx, void *arg)
{
    group_t *g = arg;
    g->bytes = g->msgs = 0;
    g->batches = 0;
    for (st_pend_t *p = g->first; p != g->stop; p = p->next) {
        if (!writes(p))
            continue;
        g->batches++;
        int64_t b, m;
        apr_status_t st = st_apply(s, tx, p->ops, p->n, &b, &m);
        if (st)
            return st;
        g->bytes += b;
        g->msgs += m;
    }
    return APR_SUCCESS;
}

static void settle(st_store_t *s, uint64_t reserved, const group_t *g)
{
    pthread_mutex_lock(&s->mu);
    s->reserved -= reserved;
    if (g) {
        if (g->batches > 1)
            s->commits += g->batches - 1;    /* st_run_tx counted the transaction once */
        s->bytes = (uint64_t)((int64_t)s->bytes + g->bytes);
        s->messages = (uint64_t)((int64_t)s->messages + g->msgs);
    }
    pthread_mutex_unlock(&s->mu);
}

static int has_work(const st_pend_t *first, const st_pend_t *stop)
{
    for (; first != stop; first = first->next)
        if (writes(first))
            return 1;
    return 0;
}

/* Applies a taken list in order: one transaction for all, or batch by batch when that fails
 * (so one bad batch fails alone).  Applied batches with a callback become waiters for the
 * next flush (appended at *wtail); failed ones are completed at once.  *lazy is set when an
 * applied batch has no callback (it still needs a flush some time). */
static void apply_list(st_store_t *s, st_pend_t *list, st_waiter_t ***wtail, int *lazy)
{
    uint64_t reserved = 0;
    for (st_pend_t *p = list; p; p = p->next)
        reserved += p->reserved;
    group_t g = { list, NULL, 0, 0, 0 };
    apr_status_t st = has_work(list, NULL) ? st_run_tx(s, group_tx, &g, 0) : APR_SUCCESS;
    early_t *failed = NULL;
    size_t nfailed = 0;
    if (st == APR_SUCCESS) {
        settle(s, reserved, &g);
    } else {
        settle(s, reserved, NULL);
        for (st_pend_t *p = list; p; p = p->next) {
            group_t one = { p, p->next, 0, 0, 0 };
            apr_status_t pst = writes(p) ? st_run_tx(s, group_tx, &one, 0) : APR_SUCCESS;
            if (pst == APR_SUCCESS) {
                settle(s, 0, &one);
            } else {
                int claimed = 0;
                if (p->w) {              /* an early ack may have answered it already */
                    pthread_mutex_lock(&s->mu);
                    claimed = p->w->claimed;
                    p->w->claimed = p->w->flushed = 1;
                    st_waiter_release_locked(p->w);
                    pthread_mutex_unlock(&s->mu);
                    p->w = NULL;
                }
                if (p->done && !claimed) {
                    early_t *f = realloc(failed, (nfailed + 1) * sizeof *f);
                    if (!f) abort();
                    failed = f;
                    failed[nfailed++] = (early_t){ p->done, p->baton, pst };
                }
                p->done = NULL;
                p->live = p->audits = 0;
            }
        }
    }
    for (st_pend_t *p = list, *next; p; p = next) {
        next = p->next;
        if (p->done) {
            st_waiter_t *w = p->w;
            if (!w && !(w = calloc(1, sizeof *w))) abort();
            w->done = p->done;
            w->baton = p->baton;
            w->next = NULL;
            **wtail = w;
            *wtail = &w->next;
        } else if (writes(p)) {
            *lazy = 1;
        }
        pend_free(p);
    }
    pthread_mutex_unlock(&s->df->apply_mu);
    for (size_t i = 0; i < nfailed; i++)
        failed[i].done(failed[i].baton, failed[i].st);
    free(failed);
}

st_waiter_t *st_defer_apply(st_store_t *s, int ripe_only, int *lazy)
{
    st_waiter_t *head = NULL, **tail = &head;
    pthread_mutex_lock(&s->df->apply_mu);
    pthread_mutex_lock(&s->mu);
    st_pend_t *list = take_locked(s, ripe_only);
    pthread_mutex_unlock(&s->mu);
    if (!list) {
        pthread_mutex_unlock(&s->df->apply_mu);
        return NULL;
    }
    apply_list(s, list, &tail, lazy);      /* releases apply_mu */
    return head;
}

void st_defer_drain(st_store_t *s)
{
    if (!s->df)
        return;
    int lazy = 0;
    st_waiter_t *w = st_defer_apply(s, 0, &lazy);
    if (!w && !lazy)
        return;
    st_finish_waiters(s, w, lazy);
}

uint64_t st_defer_cancelled(st_store_t *s, uint64_t *early)
{
    if (early) *early = 0;
    if (!s->df) return 0;
    pthread_mutex_lock(&s->mu);
    uint64_t n = s->df->cancelled;
    if (early) *early = s->df->early;
    pthread_mutex_unlock(&s->mu);
    return n;
}
