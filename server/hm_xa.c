/* Prepared XA branches.  A branch holds the messages it sends (invisible until commit) and the
 * queue entries it acknowledged (locked: taken out of circulation).  It belongs to the broker,
 * not to a connection, so a transaction manager may resolve it later from anywhere; it is stored
 * and rebuilt from the store after a restart. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <apr_strings.h>

#include "hm_int.h"
#include "hm_log.h"
#include "st.h"

typedef struct xa_add_s {
    hm_queue_t *q;
    hm_msg_t *msg;
    uint64_t seq;
    char *via;
    uint64_t msg_id;
    int stored;
} xa_add_t;

typedef struct xa_held_s {
    hm_queue_t *q;
    hm_qentry_t *e;
} xa_held_t;

typedef struct hm_xa_s {
    hm_xid_t xid;
    char key[2 * (2 * HM_XID_MAX + 8) + 1];
    int in_store;
    xa_add_t *adds;
    int nadds, capa;
    xa_held_t *held;
    int nheld, caph;
    hm_sjob_t **jobs;              /* scheduled messages: armed when the branch commits */
    int njobs, capj;
} hm_xa_t;

static void xid_key(const hm_xid_t *x, char *out)
{
    char *p = out + sprintf(out, "%08x", (unsigned)x->format);
    for (int i = 0; i < x->gtrid_len; i++)
        p += sprintf(p, "%02x", x->gtrid[i]);
    *p++ = '.';
    for (int i = 0; i < x->bqual_len; i++)
        p += sprintf(p, "%02x", x->bqual[i]);
    *p = 0;
}

static void to_st(const hm_xid_t *x, st_xid_t *s)
{
    s->format = x->format;
    s->gtrid_len = x->gtrid_len;
    s->bqual_len = x->bqual_len;
    memcpy(s->gtrid, x->gtrid, x->gtrid_len);
    memcpy(s->bqual, x->bqual, x->bqual_len);
}

static void from_st(const st_xid_t *s, hm_xid_t *x)
{
    memset(x, 0, sizeof *x);
    x->format = s->format;
    x->gtrid_len = s->gtrid_len;
    x->bqual_len = s->bqual_len;
    memcpy(x->gtrid, s->gtrid, s->gtrid_len);
    memcpy(x->bqual, s->bqual, s->bqual_len);
}

static hm_xa_t *xa_new(const hm_xid_t *xid)
{
    hm_xa_t *x = calloc(1, sizeof *x);
    if (x) {
        x->xid = *xid;
        xid_key(xid, x->key);
    }
    return x;
}

static apr_status_t xa_add(hm_xa_t *x, hm_queue_t *q, hm_msg_t *m, uint64_t seq, const char *via,
                           uint64_t msg_id, int stored)
{
    if (x->nadds == x->capa) {
        int cap = x->capa ? x->capa * 2 : 8;
        xa_add_t *n = realloc(x->adds, (size_t)cap * sizeof *n);
        if (!n)
            return APR_ENOMEM;
        x->adds = n;
        x->capa = cap;
    }
    xa_add_t *a = &x->adds[x->nadds];
    a->via = via ? strdup(via) : NULL;
    if (via && !a->via)
        return APR_ENOMEM;
    a->q = q;
    a->msg = hm_msg_ref(m);
    a->seq = seq;
    a->msg_id = msg_id;
    a->stored = stored;
    x->nadds++;
    return APR_SUCCESS;
}

static apr_status_t xa_add_job(hm_xa_t *x, hm_sjob_t *j)
{
    if (x->njobs == x->capj) {
        int cap = x->capj ? x->capj * 2 : 4;
        hm_sjob_t **n = realloc(x->jobs, (size_t)cap * sizeof *n);
        if (!n)
            return APR_ENOMEM;
        x->jobs = n;
        x->capj = cap;
    }
    x->jobs[x->njobs++] = j;
    return APR_SUCCESS;
}

static void xa_hold(void *baton, hm_queue_t *q, hm_qentry_t *e)
{
    hm_xa_t *x = baton;
    if (x->nheld == x->caph) {
        int cap = x->caph ? x->caph * 2 : 8;
        xa_held_t *n = realloc(x->held, (size_t)cap * sizeof *n);
        if (!n) {                   /* cannot lock it: give it back rather than lose it */
            hm_queue_return(q, e);
            return;
        }
        x->held = n;
        x->caph = cap;
    }
    x->held[x->nheld].q = q;
    x->held[x->nheld].e = e;
    x->nheld++;
}

static void xa_free(hm_xa_t *x)
{
    for (int i = 0; i < x->nadds; i++) {
        hm_msg_unref(x->adds[i].msg);
        free(x->adds[i].via);
    }
    free(x->adds);
    free(x->held);
    for (int i = 0; i < x->njobs; i++)
        hm_sched_drop(x->jobs[i]);
    free(x->jobs);
    free(x);
}

apr_status_t hm_xa_prepare(hm_client_t *c, const hm_xid_t *xid, hm_msg_t *const *msgs, int nmsgs,
                           const hm_txack_t *acks, int nacks, hm_send_done_fn done, void *baton,
                           char *err, size_t errlen)
{
    hm_broker_t *b = c->b;
    apr_status_t ast = hm_authorize_msgs(c, msgs, nmsgs, err, errlen);
    if (ast)
        return ast;
    hm_xa_t *x = xa_new(xid);
    if (!x)
        return APR_ENOMEM;
    hm_pbatch_t pb = { NULL, 0, 0 };
    apr_status_t st = APR_SUCCESS;
    hm_lock(b);
    if (apr_hash_get(b->xas, x->key, APR_HASH_KEY_STRING)) {
        snprintf(err, errlen, "the transaction is already prepared");
        st = HM_EEXISTS;
    }
    for (int i = 0; i < nmsgs && !st; i++) {
        hm_plan_t pl;
        hm_sjob_t *job;
        msgs[i]->producer_client = c->serial;
        /* a scheduled message joins the scheduler only when the branch commits (as on ActiveMQ);
         * its stored entry rides in the prepared batch */
        if (hm_sched_plan_locked(b, msgs[i], &pb.batch, &job, &st, err, errlen)) {
            if (!st && job && (st = xa_add_job(x, job)) != APR_SUCCESS)
                hm_sched_drop(job);
            continue;
        }
        st = hm_plan_route(b, msgs[i], &pb, &pl, err, errlen);
        for (int t = 0; t < pl.r.n && !st; t++)
            st = xa_add(x, pl.r.t[t].q, msgs[i], pl.r.t[t].seq, pl.r.t[t].via, pl.msg_id,
                        pl.stored && hm_persist_wanted(b, msgs[i], pl.r.t[t].q));
        hm_plan_free(&pl);
    }
    if (st) {
        if (pb.batch)
            st_batch_discard(pb.batch);
        hm_unlock(b);
        xa_free(x);
        return st;
    }
    for (int i = 0; i < nacks; i++) {
        hm_consumer_t *ac = hm_consumer_by_serial(b, acks[i].consumer);
        hm_delivery_t *d = ac ? hm_consumer_find_locked(ac, acks[i].message_id) : NULL;
        if (d)
            hm_consumer_take_locked(ac, d, (hm_ack_e)acks[i].kind, &pb, xa_hold, x);
    }
    if (pb.batch) {
        st_xid_t sx;
        to_st(xid, &sx);
        st = st_batch_prepare(pb.batch, &sx, done, baton);
        x->in_store = st == APR_SUCCESS;
        if (st)
            snprintf(err, errlen, "the store refused the prepared transaction: %s", hm_strerror(st));
    } else if (done) {
        done(baton, APR_SUCCESS);
    }
    if (st) {
        for (int i = 0; i < x->nheld; i++)
            hm_queue_return(x->held[i].q, x->held[i].e);
        x->nheld = 0;
        xa_free(x);
    } else {
        apr_hash_set(b->xas, x->key, APR_HASH_KEY_STRING, x);
    }
    for (int i = 0; i < nacks; i++) {
        hm_consumer_t *ac = hm_consumer_by_serial(b, acks[i].consumer);
        if (ac)
            hm_consumer_kick_locked(ac);
    }
    hm_unlock(b);
    return st;
}

/* Takes the branch out of the table and the store; apply decides commit or rollback. */
static apr_status_t xa_end(hm_broker_t *b, const hm_xid_t *xid, int apply, hm_send_done_fn done,
                           void *baton)
{
    char key[sizeof ((hm_xa_t *)0)->key];
    xid_key(xid, key);
    hm_lock(b);
    hm_xa_t *x = apr_hash_get(b->xas, key, APR_HASH_KEY_STRING);
    if (!x) {
        hm_unlock(b);
        return HM_ENOTFOUND;
    }
    apr_status_t st = APR_SUCCESS;
    if (x->in_store) {
        st_xid_t sx;
        to_st(xid, &sx);
        st = apply ? st_xa_commit(b->store, &sx, done, baton) : st_xa_rollback(b->store, &sx, done, baton);
        if (st) {
            hm_unlock(b);
            return st;
        }
    } else if (done) {
        done(baton, APR_SUCCESS);
    }
    apr_hash_set(b->xas, key, APR_HASH_KEY_STRING, NULL);
    for (int i = 0; i < x->nheld; i++) {
        hm_queue_t *q = x->held[i].q;
        hm_qentry_t *e = x->held[i].e;
        if (apply) {
            q->inflight_count--;
            hm_queue_entry_free(q, e);
        } else {
            e->redelivery_count++;
            hm_queue_return(q, e);
            hm_queue_dispatch(q);
        }
    }
    for (int i = 0; apply && i < x->nadds; i++) {
        xa_add_t *a = &x->adds[i];
        hm_qentry_t *e;
        if (hm_page_enqueue(a->q, a->msg, a->via, a->seq, a->stored, a->msg_id, &e) == APR_SUCCESS)
            hm_queue_dispatch(a->q);
    }
    for (int i = 0; apply && i < x->njobs; i++)
        hm_sched_arm_committed_locked(b, x->jobs[i]);
    if (apply)
        x->njobs = 0;              /* armed: the scheduler owns them now */
    hm_unlock(b);
    xa_free(x);
    return APR_SUCCESS;
}

apr_status_t hm_xa_commit(hm_broker_t *b, const hm_xid_t *xid, hm_send_done_fn done, void *baton)
{
    return xa_end(b, xid, 1, done, baton);
}

apr_status_t hm_xa_rollback(hm_broker_t *b, const hm_xid_t *xid, hm_send_done_fn done, void *baton)
{
    return xa_end(b, xid, 0, done, baton);
}

void hm_xa_destroy_locked(hm_broker_t *b)
{
    for (apr_hash_index_t *hi = apr_hash_first(NULL, b->xas); hi; hi = apr_hash_first(NULL, b->xas)) {
        hm_xa_t *x = apr_hash_this_val(hi);
        apr_hash_set(b->xas, x->key, APR_HASH_KEY_STRING, NULL);
        for (int i = 0; i < x->nheld; i++) {
            x->held[i].q->inflight_count--;
            hm_queue_entry_free(x->held[i].q, x->held[i].e);
        }
        xa_free(x);
    }
}

int hm_xa_is_prepared(hm_broker_t *b, const hm_xid_t *xid)
{
    char key[sizeof ((hm_xa_t *)0)->key];
    xid_key(xid, key);
    hm_lock(b);
    int found = apr_hash_get(b->xas, key, APR_HASH_KEY_STRING) != NULL;
    hm_unlock(b);
    return found;
}

int hm_xa_recover(hm_broker_t *b, hm_xid_t *out, int max)
{
    int n = 0;
    hm_lock(b);
    for (apr_hash_index_t *hi = apr_hash_first(NULL, b->xas); hi; hi = apr_hash_next(hi)) {
        if (n < max)
            out[n] = ((hm_xa_t *)apr_hash_this_val(hi))->xid;
        n++;
    }
    hm_unlock(b);
    return n;
}

/* ------------------------------------------------------------------ after a restart */

typedef struct rebuild_s {
    hm_broker_t *b;
    hm_xa_t *x;
    apr_hash_t *bodies;            /* msg id -> hm_msg_t* decoded from this branch */
    apr_pool_t *pool;
} rebuild_t;

static hm_queue_t *queue_by_store_id(hm_broker_t *b, uint32_t id)
{
    for (apr_hash_index_t *hi = apr_hash_first(NULL, b->queues); hi; hi = apr_hash_next(hi)) {
        hm_queue_t *q = apr_hash_this_val(hi);
        if (q->store_id == id)
            return q;
    }
    for (apr_hash_index_t *hi = apr_hash_first(NULL, b->durables); hi; hi = apr_hash_next(hi)) {
        hm_sub_t *s = apr_hash_this_val(hi);
        if (s->q->store_id == id)
            return s->q;
    }
    return NULL;
}

/* A scheduled message of the branch: its job is held back again until the branch commits. */
static void rebuild_job(rebuild_t *r, const st_xa_op_t *op)
{
    if (op->kind == ST_XA_DELIVERED) {
        for (int i = 0; i < r->x->njobs; i++)
            hm_sched_job_delivered(r->x->jobs[i], op->seq, op->delivered);
        return;
    }
    hm_msg_t *m = op->kind == ST_XA_ADD ? apr_hash_get(r->bodies, &op->msg_id, sizeof op->msg_id) : NULL;
    if (!m)
        return;
    st_entry_t e = { op->dest, op->priority, op->seq, op->msg_id, 0 };
    hm_sjob_t *j = hm_sched_job_rebuild(r->b, hm_msg_ref(m), &e);
    if (!j)
        hm_warn("store: a scheduled message of prepared transaction %s has no valid schedule; dropped",
                r->x->key);
    else if (xa_add_job(r->x, j) != APR_SUCCESS)
        hm_sched_drop(j);
}

/* Rebuilds one branch from its stored operations: bodies are decoded, adds held back, removed
 * entries (already recovered into their queues) taken out of circulation again. */
static void rebuild_op(void *baton, const st_xa_op_t *op)
{
    rebuild_t *r = baton;
    hm_broker_t *b = r->b;
    if (op->kind == ST_XA_MSG) {
        const char *why;
        hm_msg_t *m = hm_persist_decode(b, op->bytes, op->len, &why);
        if (m) {
            uint64_t *k = apr_pmemdup(r->pool, &op->msg_id, sizeof op->msg_id);
            apr_hash_set(r->bodies, k, sizeof *k, m);
        } else {
            hm_warn("store: message %llu of a prepared XA branch cannot be read (%s); skipped",
                    (unsigned long long)op->msg_id, why);
        }
        return;
    }
    hm_queue_t *q = queue_by_store_id(b, op->dest);
    if (!q) {
        if (op->dest && op->dest == hm_sched_store_dest(b))
            rebuild_job(r, op);
        return;
    }
    if (op->kind == ST_XA_ADD) {
        hm_msg_t *m = apr_hash_get(r->bodies, &op->msg_id, sizeof op->msg_id);
        if (m) {
            m->broker_seq = ++b->next_seq;
            xa_add(r->x, q, m, op->seq, NULL, op->msg_id, 1);
        }
        if (op->seq > q->next_seq)
            q->next_seq = op->seq;
    } else if (op->kind == ST_XA_REMOVE) {
        int p = op->priority < HM_PRIORITIES ? op->priority : HM_PRIORITIES - 1;
        hm_qentry_t *e, *found = hm_page_pull(q, p, op->seq);
        APR_RING_FOREACH(e, &q->avail[p], hm_qentry_s, link) {
            if (found || e->seq == op->seq)
                break;
        }
        if (!found && e != APR_RING_SENTINEL(&q->avail[p], hm_qentry_s, link))
            found = e;
        if (found) {
            hm_queue_unlink(q, found);
            q->avail_count--;
            q->inflight_count++;
            xa_hold(r->x, q, found);
        }
    }
}

typedef struct xid_list_s {
    apr_array_header_t *xids;
} xid_list_t;

static void collect_xid(void *baton, const st_xid_t *xid)
{
    xid_list_t *l = baton;
    *(st_xid_t *)apr_array_push(l->xids) = *xid;
}

apr_status_t hm_xa_recover_store(hm_broker_t *b)
{
    if (!b->store)
        return APR_SUCCESS;
    apr_pool_t *tmp;
    apr_status_t st = apr_pool_create(&tmp, b->pool);
    if (st)
        return st;
    xid_list_t l = { apr_array_make(tmp, 4, sizeof(st_xid_t)) };
    hm_lock(b);
    st = st_xa_recover(b->store, collect_xid, &l);
    for (int i = 0; i < l.xids->nelts && !st; i++) {
        hm_xid_t xid;
        from_st(&APR_ARRAY_IDX(l.xids, i, st_xid_t), &xid);
        rebuild_t r = { b, xa_new(&xid), apr_hash_make(tmp), tmp };
        if (!r.x) {
            st = APR_ENOMEM;
            break;
        }
        r.x->in_store = 1;
        st = st_xa_ops(b->store, &APR_ARRAY_IDX(l.xids, i, st_xid_t), rebuild_op, &r);
        for (apr_hash_index_t *hi = apr_hash_first(tmp, r.bodies); hi; hi = apr_hash_next(hi))
            hm_msg_unref(apr_hash_this_val(hi));   /* the adds keep their own references */
        if (st) {
            hm_warn("store: prepared transaction %s cannot be read: %s", r.x->key, hm_strerror(st));
            xa_free(r.x);
            st = APR_SUCCESS;
            continue;
        }
        apr_hash_set(b->xas, r.x->key, APR_HASH_KEY_STRING, r.x);
        hm_info("store: prepared XA transaction %s in doubt: %d messages held, %d acknowledged",
                r.x->key, r.x->nadds, r.x->nheld);
    }
    hm_unlock(b);
    apr_pool_destroy(tmp);
    return st;
}
