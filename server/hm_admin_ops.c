/* The operations of a console on the core (hm_admin.h): create and delete destinations, browse,
 * purge, remove, copy and move messages between queues, pause dispatch, send a text message.
 * Each runs whole under the broker lock, so a loop thread never sees half of one (a deleted
 * queue's store record goes after it, outside). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <apr_strings.h>

#include "hm_admin.h"
#include "hm_int.h"
#include "hm_log.h"
#include "st.h"

static apr_status_t plain_name(hm_dname_t d, char *err, size_t errlen)
{
    apr_status_t st = hm_name_check(d.name, err, errlen);
    if (st)
        return st;
    if ((d.kind != HM_QUEUE && d.kind != HM_TOPIC) || hm_name_is_wildcard(d.name) ||
        strchr(d.name, ',')) {
        snprintf(err, errlen, "not an ordinary queue or topic name: %s", d.name);
        return HM_EINVAL;
    }
    return APR_SUCCESS;
}

/* The queue an operation works on; HM_ENOTFOUND (with err) when there is none. */
static apr_status_t find_queue(hm_broker_t *b, hm_dname_t d, hm_queue_t **out, char *err, size_t errlen)
{
    apr_status_t st = plain_name(d, err, errlen);
    if (st)
        return st;
    if (d.kind != HM_QUEUE) {
        snprintf(err, errlen, "only queues hold messages to work on: %s is a topic", d.name);
        return HM_EINVAL;
    }
    if (!(*out = hm_queue_find(b, HM_QUEUE, d.name))) {
        snprintf(err, errlen, "no queue named %s", d.name);
        return HM_ENOTFOUND;
    }
    return APR_SUCCESS;
}

/* The selector's compiled form in pool, or NULL for none. */
static apr_status_t compile(const char *text, apr_pool_t *pool, hm_selector_t **out, char *err, size_t errlen)
{
    *out = NULL;
    if (!text || !*text)
        return APR_SUCCESS;
    return hm_selector_compile(pool, text, out, err, errlen);
}

/* The pending entries in memory of q matching sel, in dispatch order, into an array in pool
 * (what is paged out is visited separately: hm_page_visit). */
static void matching_at(hm_queue_t *q, const hm_selector_t *sel, int p, apr_array_header_t *a)
{
    hm_qentry_t *e;
    APR_RING_FOREACH(e, &q->avail[p], hm_qentry_s, link) {
        if (!sel || hm_selector_match(sel, e->msg, e->redelivery_count))
            APR_ARRAY_PUSH(a, hm_qentry_t *) = e;
    }
}

static apr_array_header_t *matching(hm_queue_t *q, const hm_selector_t *sel, apr_pool_t *pool)
{
    apr_array_header_t *a = apr_array_make(pool, 16, sizeof(hm_qentry_t *));
    for (int p = HM_PRIORITIES - 1; p >= 0; p--)
        matching_at(q, sel, p, a);
    return a;
}

/* Takes a pending entry out of its queue for good (its stored copy in pb), counted dequeued
 * as ActiveMQ counts a purged message. */
static void drop_entry(hm_broker_t *b, hm_queue_t *q, hm_qentry_t *e, hm_pbatch_t *pb)
{
    hm_queue_unlink(q, e);
    q->avail_count--;
    q->dequeued++;
    hm_persist_remove(b, pb, q, e);
    hm_queue_entry_free(q, e);
}

apr_status_t hm_admin_create(hm_broker_t *b, hm_dname_t d, char *err, size_t errlen)
{
    apr_status_t st = plain_name(d, err, errlen);
    if (st)
        return st;
    if ((st = hm_dest_ensure(b, d)) != APR_SUCCESS)
        snprintf(err, errlen, "cannot create %s: %s", d.name, hm_strerror(st));
    return st;
}

/* Broker lock held.  *store_id: the stored queue's id, detached from its name here so that a
 * queue of the same name made right after gets a new record, and removed by the caller once
 * the lock is released (st_dest_remove waits for the disk). */
static apr_status_t delete_locked(hm_broker_t *b, hm_dname_t d, uint32_t *store_id)
{
    *store_id = 0;
    if (d.kind == HM_QUEUE) {
        hm_queue_t *q = hm_queue_find(b, HM_QUEUE, d.name);
        if (!q)
            return HM_ENOTFOUND;
        if (!APR_RING_EMPTY(&q->consumers, hm_attach_s, link) || q->inflight_count)
            return HM_EPROTO;   /* in flight without consumers: held by a prepared XA branch */
        hm_pbatch_t pb = { NULL, 0, 0 };
        for (int p = 0; p < HM_PRIORITIES; p++)
            while (!APR_RING_EMPTY(&q->avail[p], hm_qentry_s, link))
                drop_entry(b, q, APR_RING_FIRST(&q->avail[p]), &pb);
        hm_persist_commit(&pb, NULL, NULL);
        if (b->store && q->store_id && st_dest_detach(b->store, q->store_id) == APR_SUCCESS)
            *store_id = q->store_id;
        hm_queue_free(q);
    } else {
        hm_topic_t *t = hm_topic_find(b, HM_TOPIC, d.name);
        if (!t)
            return HM_ENOTFOUND;
        if (!APR_RING_EMPTY(&t->subs, hm_tsub_s, link))
            return HM_EPROTO;
        hm_topic_free(b, t);
    }
    hm_adv_dest(b, HM_ADV_DEST_REMOVE, d, NULL);
    return APR_SUCCESS;
}

apr_status_t hm_admin_delete(hm_broker_t *b, hm_dname_t d, char *err, size_t errlen)
{
    apr_status_t st = plain_name(d, err, errlen);
    if (st)
        return st;
    uint32_t store_id;
    hm_lock(b);
    st = delete_locked(b, d, &store_id);
    hm_unlock(b);
    if (store_id) {
        /* HM_ENOTFOUND: a queue of the same name made meanwhile already removed it */
        apr_status_t rs = st_dest_remove(b->store, store_id);
        if (rs && rs != HM_ENOTFOUND)
            hm_warn("store: the record of deleted queue %s stays (%s); it comes back, empty, "
                    "after a restart", d.name, hm_strerror(rs));
    }
    if (st == HM_ENOTFOUND)
        snprintf(err, errlen, "no %s named %s", d.kind == HM_QUEUE ? "queue" : "topic", d.name);
    else if (st == HM_EPROTO)
        snprintf(err, errlen, "%s has consumers or subscriptions (or messages held by a prepared "
                 "XA transaction): close them first", d.name);
    return st;
}

/* The same delete asked for by a client (DestinationInfo REMOVE), as ActiveMQ answers it. */
apr_status_t hm_dest_delete(hm_client_t *c, hm_dname_t d, char *err, size_t errlen)
{
    if (HM_KIND_IS_TEMP(d.kind))
        return hm_temp_dest_delete(c, d, err, errlen);
    apr_status_t st = hm_authorize_remove(c, d, err, errlen);
    if (!st)
        st = hm_admin_delete(c->b, d, err, errlen);
    if (st == HM_ENOTFOUND)
        return APR_SUCCESS;
    if (st == HM_EPROTO)   /* ActiveMQ's AbstractRegion.removeDestination */
        snprintf(err, errlen, "Destination still has an active subscription: %s://%s",
                 d.kind == HM_TOPIC ? "topic" : "queue", d.name);
    return st;
}

static apr_status_t msg_release(void *data)
{
    hm_msg_unref(data);
    return APR_SUCCESS;
}

/* The browsed form: headers copied, content made in pool; the message itself is held until
 * pool goes (its content may point into it). */
static void browsed(const hm_qentry_t *e, apr_pool_t *pool, hm_admin_msg_t *x)
{
    const hm_msg_t *m = e->msg;
    memset(x, 0, sizeof *x);
    x->message_id = m->message_id ? apr_pstrdup(pool, m->message_id) : NULL;
    x->correlation_id = m->correlation_id ? apr_pstrdup(pool, m->correlation_id) : NULL;
    x->type = m->type ? apr_pstrdup(pool, m->type) : NULL;
    x->group_id = m->group_id ? apr_pstrdup(pool, m->group_id) : NULL;
    x->dest.kind = m->dest.kind;
    x->dest.name = m->dest.name ? apr_pstrdup(pool, m->dest.name) : NULL;
    x->reply_to.kind = m->reply_to.kind;
    x->reply_to.name = m->reply_to.name ? apr_pstrdup(pool, m->reply_to.name) : NULL;
    x->priority = m->priority;
    x->persistent = m->persistent;
    x->redelivery_count = e->redelivery_count;
    x->redelivered = e->redelivery_count > 0;
    x->timestamp = m->timestamp;
    x->expiration = m->expiration;
    x->size = m->size;
    apr_pool_cleanup_register(pool, hm_msg_ref((hm_msg_t *)m), msg_release, apr_pool_cleanup_null);
    if (hm_msg_content(m, pool, &x->content) != APR_SUCCESS)
        memset(&x->content, 0, sizeof x->content);
}

typedef struct browse_s {
    const hm_selector_t *sel;
    size_t offset, limit, *total;
    apr_pool_t *pool;
    apr_array_header_t *out;
} browse_t;

/* Counts a pending entry and keeps it when it falls in the page asked for; 1 once the page
 * is complete and, without a selector, nothing more needs reading to know the total. */
static int browse_take(browse_t *x, const hm_qentry_t *e)
{
    if (x->sel && !hm_selector_match(x->sel, e->msg, e->redelivery_count))
        return 0;
    if (*x->total >= x->offset && *x->total - x->offset < x->limit)
        browsed(e, x->pool, apr_array_push(x->out));
    (*x->total)++;
    return !x->sel && *x->total >= x->offset + x->limit;
}

static int browse_paged(void *baton, hm_queue_t *q, int p, uint64_t seq, int32_t rc, hm_msg_t *m)
{
    (void)q; (void)p;
    hm_qentry_t e = { .msg = m, .seq = seq, .redelivery_count = rc };
    return browse_take(baton, &e);
}

/* Why per priority, the ring then the store: that is dispatch order, and a console page of a
 * deep queue reads only what it shows (with a selector, the whole queue is read to count the
 * matches, one chunk at a time). */
static void browse_queue(hm_queue_t *q, browse_t *x)
{
    for (int p = HM_PRIORITIES - 1; p >= 0; p--) {
        hm_qentry_t *e;
        APR_RING_FOREACH(e, &q->avail[p], hm_qentry_s, link)
            browse_take(x, e);
        if (!q->paged[p])
            continue;
        size_t before = *x->total;
        if (x->sel || (before < x->offset + x->limit && before + q->paged[p] > x->offset))
            hm_page_visit(q, p, browse_paged, x);
        if (!x->sel)
            *x->total = before + q->paged[p];
    }
}

apr_status_t hm_admin_browse(hm_broker_t *b, hm_dname_t d, const char *selector, size_t offset,
                             size_t limit, apr_pool_t *pool, apr_array_header_t **out,
                             size_t *total, char *err, size_t errlen)
{
    hm_selector_t *sel;
    apr_status_t st = compile(selector, pool, &sel, err, errlen);
    if (st)
        return st;
    *out = apr_array_make(pool, (int)(limit < 64 ? limit + 1 : 64), sizeof(hm_admin_msg_t));
    *total = 0;
    hm_lock(b);
    hm_queue_t *q;
    if ((st = find_queue(b, d, &q, err, errlen)) == APR_SUCCESS) {
        browse_t x = { sel, offset, limit, total, pool, *out };
        browse_queue(q, &x);
    }
    hm_unlock(b);
    return st;
}

typedef struct purge_s {
    hm_broker_t *b;
    const hm_selector_t *sel;
    const char *message_id;
    hm_pbatch_t pb;
    uint64_t *removed;
} purge_t;

static int id_is(const hm_msg_t *m, const char *message_id)
{
    return !message_id || (m->message_id && strcmp(m->message_id, message_id) == 0);
}

/* A paged-out entry goes from the store without coming into memory; removals are committed
 * every HM_PAGE_MSGS so a purge of a deep queue holds no large batch. */
static int purge_paged(void *baton, hm_queue_t *q, int p, uint64_t seq, int32_t rc, hm_msg_t *m)
{
    purge_t *x = baton;
    if ((x->sel && !hm_selector_match(x->sel, m, rc)) || !id_is(m, x->message_id))
        return 0;
    hm_page_drop(q, &x->pb, p, seq);
    q->dequeued++;
    (*x->removed)++;
    if (st_batch_size(x->pb.batch) >= HM_PAGE_MSGS)
        hm_persist_commit(&x->pb, NULL, NULL);
    return x->message_id != NULL;
}

/* Removes the matching pending entries (every one, or the one whose id is message_id). */
static apr_status_t remove_matching(hm_broker_t *b, hm_dname_t d, const char *selector,
                                    const char *message_id, uint64_t *removed, char *err, size_t errlen)
{
    apr_pool_t *pool;
    apr_status_t st = apr_pool_create(&pool, NULL);
    if (st)
        return st;
    hm_selector_t *sel;
    *removed = 0;
    if ((st = compile(selector, pool, &sel, err, errlen)) == APR_SUCCESS) {
        hm_lock(b);
        hm_queue_t *q;
        if ((st = find_queue(b, d, &q, err, errlen)) == APR_SUCCESS) {
            hm_spill_all(q);      /* spilled messages are matched in memory */
            apr_array_header_t *a = matching(q, sel, pool);
            purge_t x = { b, sel, message_id, { NULL, 0, 0 }, removed };
            for (int i = 0; i < a->nelts; i++) {
                hm_qentry_t *e = APR_ARRAY_IDX(a, i, hm_qentry_t *);
                if (!id_is(e->msg, message_id))
                    continue;
                drop_entry(b, q, e, &x.pb);
                (*removed)++;
            }
            for (int p = HM_PRIORITIES - 1; p >= 0 && !(message_id && *removed); p--)
                hm_page_visit(q, p, purge_paged, &x);
            hm_persist_commit(&x.pb, NULL, NULL);
            if (*removed)
                hm_queue_dispatch(q);     /* nothing new to give, but held producers may go on */
        }
        hm_unlock(b);
    }
    apr_pool_destroy(pool);
    return st;
}

apr_status_t hm_admin_purge(hm_broker_t *b, hm_dname_t d, const char *selector, uint64_t *removed,
                            char *err, size_t errlen)
{
    return remove_matching(b, d, selector, NULL, removed, err, errlen);
}

apr_status_t hm_admin_remove(hm_broker_t *b, hm_dname_t d, const char *message_id, char *err,
                             size_t errlen)
{
    uint64_t n = 0;
    apr_status_t st = remove_matching(b, d, NULL, message_id, &n, err, errlen);
    if (!st && !n) {
        snprintf(err, errlen, "no pending message %s in %s", message_id, d.name);
        st = HM_ENOTFOUND;
    }
    return st;
}

/* One copy of m to `to`: planned into pb (stored there when persistent) and, for a move, the
 * original's removal in the same batch (e in memory, or the paged-out entry (p, seq) when e is
 * NULL); enqueued once the batch is committed. */
static apr_status_t copy_one(hm_broker_t *b, hm_queue_t *from, const hm_msg_t *m, hm_qentry_t *e,
                             int p, uint64_t seq, hm_dname_t to, int move, char *err, size_t errlen)
{
    hm_msg_t *c = hm_copy_readdress(m, to);
    if (!c) {
        snprintf(err, errlen, "message %s cannot be copied (its protocol cannot readdress it)",
                 m->message_id ? m->message_id : "?");
        return HM_EINVAL;
    }
    c->producer_client = m->producer_client;
    hm_pbatch_t pb = { NULL, 0, 0 };
    hm_plan_t pl;
    apr_status_t st = hm_plan_route(b, c, &pb, &pl, err, errlen);
    if (st == APR_SUCCESS && move && e) {
        drop_entry(b, from, e, &pb);
    } else if (st == APR_SUCCESS && move) {
        hm_page_drop(from, &pb, p, seq);
        from->dequeued++;
    }
    if (st == APR_SUCCESS && (st = hm_persist_commit(&pb, NULL, NULL)) != APR_SUCCESS)
        snprintf(err, errlen, "the store refused the copy: %s", hm_strerror(st));
    if (st) {
        if (pb.batch)
            st_batch_discard(pb.batch);
        hm_plan_free(&pl);
    } else {
        st = hm_plan_apply(b, &pl);
    }
    hm_msg_unref(c);
    return st;
}

typedef struct copy_s {
    const hm_selector_t *sel;
    hm_dname_t to;
    int move;
    uint64_t max, *count;
    apr_status_t st;
    char *err;
    size_t errlen;
} copy_t;

/* 1 once the copy is done (its maximum reached) or has failed. */
static int copy_over(const copy_t *x)
{
    return x->st != APR_SUCCESS || (x->max && *x->count >= x->max);
}

static int copy_paged(void *baton, hm_queue_t *q, int p, uint64_t seq, int32_t rc, hm_msg_t *m)
{
    copy_t *x = baton;
    if (x->sel && !hm_selector_match(x->sel, m, rc))
        return 0;
    if ((x->st = copy_one(q->b, q, m, NULL, p, seq, x->to, x->move, x->err, x->errlen)) == APR_SUCCESS)
        (*x->count)++;
    return copy_over(x);
}

/* Why per priority, the ring then the store, one message at a time: that is dispatch order,
 * and a copy or move of a deep queue then holds one page of the source in memory, not the
 * queue (what lands on the target beyond its window is paged out there in turn). */
static void copy_queue(hm_queue_t *q, copy_t *x, apr_pool_t *pool)
{
    for (int p = HM_PRIORITIES - 1; p >= 0 && !copy_over(x); p--) {
        apr_array_header_t *a = apr_array_make(pool, 16, sizeof(hm_qentry_t *));
        matching_at(q, x->sel, p, a);
        for (int i = 0; i < a->nelts && !copy_over(x); i++) {
            hm_qentry_t *e = APR_ARRAY_IDX(a, i, hm_qentry_t *);
            if ((x->st = copy_one(q->b, q, e->msg, e, p, e->seq, x->to, x->move, x->err, x->errlen)) == APR_SUCCESS)
                (*x->count)++;
        }
        if (!copy_over(x))
            hm_page_visit(q, p, copy_paged, x);
    }
}

apr_status_t hm_admin_copy(hm_broker_t *b, hm_dname_t from, hm_dname_t to, const char *selector,
                           int move, uint64_t max, uint64_t *count, char *err, size_t errlen)
{
    *count = 0;
    apr_status_t st = plain_name(to, err, errlen);
    if (st)
        return st;
    if (to.kind != HM_QUEUE || (from.name && strcmp(from.name, to.name) == 0)) {
        snprintf(err, errlen, "messages are copied or moved to another queue");
        return HM_EINVAL;
    }
    apr_pool_t *pool;
    if ((st = apr_pool_create(&pool, NULL)) != APR_SUCCESS)
        return st;
    hm_selector_t *sel;
    if ((st = compile(selector, pool, &sel, err, errlen)) == APR_SUCCESS) {
        hm_lock(b);
        hm_queue_t *q;
        if ((st = find_queue(b, from, &q, err, errlen)) == APR_SUCCESS) {
            copy_t x = { sel, to, move, max, count, APR_SUCCESS, err, errlen };
            hm_spill_all(q);      /* spilled non-persistent messages are copied from memory */
            copy_queue(q, &x, pool);
            st = x.st;
        }
        hm_unlock(b);
    }
    apr_pool_destroy(pool);
    return st;
}

apr_status_t hm_admin_pause(hm_broker_t *b, hm_dname_t d, int paused, char *err, size_t errlen)
{
    hm_lock(b);
    hm_queue_t *q;
    apr_status_t st = find_queue(b, d, &q, err, errlen);
    if (st == APR_SUCCESS) {
        q->paused = paused;
        if (!paused)
            hm_queue_dispatch(q);
    }
    hm_unlock(b);
    return st;
}

/* ------------------------------------------------------------------ a text message */

typedef struct admin_text_s {
    size_t len;
    const char *text;
} admin_text_t;

static int admin_text_body(const void *data, const char **text, size_t *len)
{
    const admin_text_t *t = data;
    *text = t->text;
    *len = t->len;
    return 1;
}

static apr_status_t admin_text_content(const void *data, apr_pool_t *pool, hm_content_t *out)
{
    const admin_text_t *t = data;
    memset(out, 0, sizeof *out);
    out->kind = HM_BODY_TEXT;
    out->body.type = HM_V_STRING;
    out->body.u.s.p = apr_pstrmemdup(pool, t->text, t->len);
    out->body.u.s.len = t->len;
    return APR_SUCCESS;
}

static hm_msg_t *admin_derive(const hm_msg_t *m, const hm_derive_t *d);

/* A message the broker makes: no stored form (codec 0), its protocol's form made from the
 * neutral content when delivered. */
static const hm_msg_origin_t admin_origin = { "core", 0, NULL, NULL, admin_text_body, admin_text_content,
                                              admin_derive };

static char *put(char **at, const char *s, size_t len)
{
    char *p = *at;
    memcpy(p, s, len);
    p[len] = '\0';
    *at += len + 1;
    return p;
}

/* A text message in one allocation: headers as given, no properties. */
static hm_msg_t *text_msg(const char *id, hm_dname_t d, const char *text, size_t len, const char *type,
                          const char *correlation_id)
{
    size_t il = strlen(id), nl = strlen(d.name), tl = type ? strlen(type) : 0;
    size_t cl = correlation_id ? strlen(correlation_id) : 0;
    void *extra;
    hm_msg_t *m = hm_msg_new(sizeof(admin_text_t) + il + nl + tl + cl + len + 5, &extra);
    if (!m)
        return NULL;
    admin_text_t *t = extra;
    char *at = (char *)(t + 1);
    m->message_id = put(&at, id, il);
    m->dest.kind = d.kind;
    m->dest.name = put(&at, d.name, nl);
    m->type = type ? put(&at, type, tl) : NULL;
    m->correlation_id = correlation_id ? put(&at, correlation_id, cl) : NULL;
    t->text = put(&at, text, len);
    t->len = len;
    m->size = len + 256;           /* about what an OpenWire text message of it takes */
    m->origin = &admin_origin;
    m->origin_data = t;
    return m;
}

/* The copies the core makes of such a message (moved, copied, dead-lettered): headers as d
 * says; added properties cannot be carried (a message without properties), so such a copy is
 * refused and the core reports it. */
static hm_msg_t *admin_derive(const hm_msg_t *m, const hm_derive_t *d)
{
    if (d->nadd > 0)
        return NULL;
    const admin_text_t *t = m->origin_data;
    char id[192];
    if (d->id_conn)
        snprintf(id, sizeof id, "%s:0:0:%lld", d->id_conn, (long long)d->id_seq);
    hm_msg_t *c = text_msg(d->id_conn ? id : m->message_id, d->dest ? *d->dest : m->dest, t->text, t->len,
                           d->type ? d->type : m->type, m->correlation_id);
    if (!c)
        return NULL;
    c->priority = m->priority;
    c->persistent = 0;             /* it has no stored form, whatever d asks */
    c->expiration = d->set_expiration ? d->expiration : m->expiration;
    c->timestamp = d->set_timestamp ? d->timestamp : m->timestamp;
    c->producer_client = m->producer_client;
    return c;
}

/* The persistent form of an admin text message (the protocol's, through opts.adopt), or m
 * itself (non-persistent) when there is none.  Takes m's reference. */
static hm_msg_t *adopted(hm_broker_t *b, hm_msg_t *m, apr_pool_t *pool)
{
    hm_content_t c;
    hm_msg_t *a = NULL;
    m->persistent = 1;
    if (b->opts.adopt && admin_text_content(m->origin_data, pool, &c) == APR_SUCCESS)
        a = b->opts.adopt(m, &c);
    if (!a) {
        m->persistent = 0;
        return m;
    }
    a->producer_client = m->producer_client;
    hm_msg_unref(m);
    return a;
}

apr_status_t hm_admin_send_text(hm_broker_t *b, hm_dname_t d, const char *text, size_t len,
                                const char *type, const char *correlation_id, int priority,
                                int persistent, apr_pool_t *pool, const char **id_out,
                                int *persistent_out, char *err, size_t errlen)
{
    apr_status_t st = plain_name(d, err, errlen);
    if (st)
        return st;
    char id[160];
    hm_lock(b);
    snprintf(id, sizeof id, "ID:%s-admin:1:1:1:%llu", b->id, (unsigned long long)(b->next_seq + 1));
    hm_msg_t *m = text_msg(id, d, text, len, type, correlation_id);
    if (!m) {
        hm_unlock(b);
        return APR_ENOMEM;
    }
    m->timestamp = apr_time_as_msec(apr_time_now());
    m->priority = priority < 0 ? 4 : priority > 9 ? 9 : priority;
    if (persistent)
        m = adopted(b, m, pool);
    if (persistent_out)
        *persistent_out = m->persistent;
    if ((st = hm_usage_check_locked(b, m, err, errlen)) == APR_SUCCESS) {
        hm_pbatch_t pb = { NULL, 0, 0 };
        hm_plan_t pl;
        /* stored (and committed: queued for writing) before it is enqueued, as hm_send does;
         * nobody waits for the write to be durable */
        if ((st = hm_plan_route(b, m, &pb, &pl, err, errlen)) == APR_SUCCESS &&
            (st = hm_persist_commit(&pb, NULL, NULL)) == APR_SUCCESS) {
            st = hm_plan_apply(b, &pl);
        } else {
            if (pb.batch)
                st_batch_discard(pb.batch);
            hm_plan_free(&pl);
        }
    } else {
        char *nlp = strchr(err, '\n');
        if (nlp)
            snprintf(nlp, errlen - (size_t)(nlp - err), " is full (memory limit)");
    }
    hm_unlock(b);
    if (st == APR_SUCCESS && id_out)
        *id_out = apr_pstrdup(pool, m->message_id);
    hm_msg_unref(m);
    return st;
}
