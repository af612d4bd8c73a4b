/* Consumers: attaching to queues and topics, prefetch credit, acknowledgements, pulls and
 * browsers. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <apr_strings.h>

#include "hm_int.h"
#include "hm_log.h"

int hm_consumer_wants(hm_consumer_t *c, const hm_msg_t *m, int32_t redelivery_count)
{
    if (c->opts.no_local && m->producer_client == c->client->serial)
        return 0;
    return !c->selector || hm_selector_match(c->selector, m, redelivery_count);
}

int hm_consumer_has_credit(const hm_consumer_t *c)
{
    if (c->opts.browser)
        return 0;
    if (c->opts.credit)
        return c->pulls > 0;
    if (c->opts.prefetch > 0)
        return c->outstanding < c->opts.prefetch;
    return c->pulls > 0;
}

static void pull_wait_end(hm_consumer_t *c)
{
    if (c->pull_waiting) {
        APR_RING_REMOVE(c, pull_link);
        c->pull_waiting = 0;
    }
    c->pull_deadline = 0;
}

void hm_consumer_hand(hm_consumer_t *c, hm_queue_t *q, hm_qentry_t *e, int group_first)
{
    hm_dlv_t *d = calloc(1, sizeof *d);
    if (!d) {                      /* cannot track it: leave it for later */
        hm_queue_return(q, e);
        return;
    }
    d->pub.msg = e->msg;
    d->pub.redelivery_count = e->redelivery_count;
    d->pub.seq = ++c->next_seq;
    d->pub.dest = q->name;
    d->pub.group_first = group_first;
    if (q->private_sub)
        d->pub.dest.name = e->via ? e->via : e->msg->dest.name;
    d->queue = q;
    d->entry = e;
    APR_RING_INSERT_TAIL(&c->dlv, d, hm_dlv_s, link);
    c->outstanding++;
    if (c->opts.credit) {
        if (c->pulls > 0)
            c->pulls--;
    } else if (c->opts.prefetch == 0 && --c->pulls <= 0) {
        c->pulls = 0;
        pull_wait_end(c);
    }
    c->ops->deliver(c->ctx, c, &d->pub);
}

/* Dispatches every queue the consumer takes from: its credit may have grown. */
static void consumer_kick(hm_consumer_t *c)
{
    for (int i = 0; i < c->attached->nelts; i++)
        hm_queue_dispatch(APR_ARRAY_IDX(c->attached, i, hm_attach_t *)->q);
}

/* Why: a browser never takes from the queue; it is handed its snapshot within its credit and
 * told once when the snapshot is exhausted. */
static void browser_pump(hm_consumer_t *c)
{
    /* a paged queue's stored part is read a page at a time as the browser gets to it */
    while (c->snap_pos >= c->snapshot->nelts && c->browse_paged && c->browse_paged->nelts > 0) {
        c->snapshot->nelts = 0;
        c->snap_pos = 0;
        hm_browse_range_t *r = &APR_ARRAY_IDX(c->browse_paged, 0, hm_browse_range_t);
        if (r->temp_list ? hm_spill_browse(c->b, r, c->snapshot) : hm_page_browse(c->b, r, c->snapshot)) {
            memmove(r, r + 1, (size_t)(c->browse_paged->nelts - 1) * sizeof *r);
            c->browse_paged->nelts--;
        }
    }
    while (c->snap_pos < c->snapshot->nelts &&
           (c->opts.credit ? c->pulls > 0 : c->opts.prefetch <= 0 || c->outstanding < c->opts.prefetch)) {
        hm_browse_item_t *it = &APR_ARRAY_IDX(c->snapshot, c->snap_pos, hm_browse_item_t);
        c->snap_pos++;
        if (hm_msg_expired(it->msg, apr_time_now()) || !hm_consumer_wants(c, it->msg, it->redelivery_count)) {
            hm_msg_unref(it->msg);
            it->msg = NULL;
            continue;
        }
        hm_dlv_t *d = calloc(1, sizeof *d);
        if (!d)
            break;
        d->pub.msg = it->msg;     /* the reference moves to the delivery */
        it->msg = NULL;
        d->pub.redelivery_count = it->redelivery_count;
        d->pub.seq = ++c->next_seq;
        d->pub.dest = d->pub.msg->dest;
        APR_RING_INSERT_TAIL(&c->dlv, d, hm_dlv_s, link);
        c->outstanding++;
        if (c->opts.credit)
            c->pulls--;
        c->ops->deliver(c->ctx, c, &d->pub);
    }
    if (c->snap_pos >= c->snapshot->nelts && !c->browse_done &&
        (!c->browse_paged || c->browse_paged->nelts == 0)) {
        c->browse_done = 1;
        c->ops->empty(c->ctx, c);
    }
}

static void snapshot_queue(hm_consumer_t *c, hm_queue_t *q)
{
    for (int p = HM_PRIORITIES - 1; p >= 0; p--) {
        hm_qentry_t *e;
        APR_RING_FOREACH(e, &q->avail[p], hm_qentry_s, link) {
            hm_browse_item_t *it = apr_array_push(c->snapshot);
            it->msg = hm_msg_ref(e->msg);
            it->redelivery_count = e->redelivery_count;
        }
        if (q->paged[p] && q->store_id) {
            if (!c->browse_paged)
                c->browse_paged = apr_array_make(c->pool, 4, sizeof(hm_browse_range_t));
            hm_browse_range_t *r = apr_array_push(c->browse_paged);
            memset(r, 0, sizeof *r);
            r->queue = apr_pstrdup(c->pool, q->name.name);
            r->store_id = q->store_id;
            r->priority = p;
            r->after = q->page_seq[p];
            r->upto = q->next_seq;
        }
        if (q->spilled[p] && q->temp_list) {
            if (!c->browse_paged)
                c->browse_paged = apr_array_make(c->pool, 4, sizeof(hm_browse_range_t));
            hm_browse_range_t *r = apr_array_push(c->browse_paged);
            memset(r, 0, sizeof *r);
            r->queue = apr_pstrdup(c->pool, q->name.name);
            r->temp_list = q->temp_list;
            r->priority = p;
            r->upto = q->next_seq;
        }
    }
    /* messages handed to consumers but not yet acknowledged are still in the queue */
    hm_attach_t *a;
    APR_RING_FOREACH(a, &q->consumers, hm_attach_s, link) {
        hm_dlv_t *d;
        APR_RING_FOREACH(d, &a->c->dlv, hm_dlv_s, link) {
            if (d->queue == q) {
                hm_browse_item_t *it = apr_array_push(c->snapshot);
                it->msg = hm_msg_ref(d->pub.msg);
                it->redelivery_count = d->pub.redelivery_count;
            }
        }
    }
}

static apr_status_t split_parts(hm_consumer_t *c, char *err, size_t errlen)
{
    apr_status_t st = hm_name_check(c->opts.dest.name, err, errlen);
    if (st)
        return st;
    char *names = apr_pstrdup(c->pool, c->opts.dest.name), *last = NULL;
    c->parts = apr_array_make(c->pool, 2, sizeof(char *));
    for (char *part = apr_strtok(names, ",", &last); part; part = apr_strtok(NULL, ",", &last)) {
        if (c->parts->nelts >= HM_MAX_COMPOSITE_PARTS) {
            snprintf(err, errlen, "composite destination has more than %d parts", HM_MAX_COMPOSITE_PARTS);
            return HM_EINVAL;
        }
        APR_ARRAY_PUSH(c->parts, char *) = part;
    }
    if (c->parts->nelts == 0) {
        snprintf(err, errlen, "destination name \"%s\" names no destination", c->opts.dest.name);
        return HM_EINVAL;
    }
    return APR_SUCCESS;
}

static apr_status_t check_temp(hm_consumer_t *c, hm_client_t *owner, const char *name,
                               char *err, size_t errlen)
{
    if (!owner) {
        snprintf(err, errlen, "temporary destination %s does not exist", name);
        return HM_ENOTFOUND;
    }
    if (owner != c->client) {
        snprintf(err, errlen, "cannot consume from temporary destination %s: it belongs to another connection", name);
        return HM_EDENIED;
    }
    return APR_SUCCESS;
}

static apr_status_t open_queue_consumer(hm_consumer_t *c, char *err, size_t errlen)
{
    hm_broker_t *b = c->b;
    hm_dest_kind_e kind = c->opts.dest.kind;
    for (int i = 0; i < c->parts->nelts; i++) {
        const char *name = APR_ARRAY_IDX(c->parts, i, char *);
        if (hm_name_is_wildcard(name) && kind == HM_QUEUE) {
            c->wildcard = 1;
            continue;
        }
        hm_queue_t *q = hm_queue_get(b, kind, name);
        if (kind == HM_TEMP_QUEUE) {
            apr_status_t st = check_temp(c, q ? q->owner : NULL, name, err, errlen);
            if (st)
                return st;
        }
        if (!q)
            return APR_ENOMEM;
        hm_queue_attach(q, c);
    }
    if (c->wildcard) {
        for (apr_hash_index_t *hi = apr_hash_first(NULL, b->queues); hi; hi = apr_hash_next(hi)) {
            hm_queue_t *q = apr_hash_this_val(hi);
            if (q->name.kind != HM_QUEUE)
                continue;
            for (int i = 0; i < c->parts->nelts; i++) {
                const char *pat = APR_ARRAY_IDX(c->parts, i, char *);
                if (hm_name_is_wildcard(pat) && hm_name_matches(pat, q->name.name)) {
                    hm_queue_attach(q, c);
                    break;
                }
            }
        }
        APR_RING_INSERT_TAIL(&b->wild_queue_consumers, c, hm_consumer_s, wild_link);
    }
    return APR_SUCCESS;
}

/* A queue created after a wildcard consumer opened joins that consumer's set. */
void hm_consumer_attach_new_queue(hm_broker_t *b, hm_queue_t *q)
{
    if (q->name.kind != HM_QUEUE)
        return;
    hm_consumer_t *c;
    APR_RING_FOREACH(c, &b->wild_queue_consumers, hm_consumer_s, wild_link) {
        for (int i = 0; i < c->parts->nelts; i++) {
            const char *pat = APR_ARRAY_IDX(c->parts, i, char *);
            if (hm_name_is_wildcard(pat) && hm_name_matches(pat, q->name.name)) {
                hm_queue_attach(q, c);
                break;
            }
        }
    }
}

static apr_status_t open_topic_consumer(hm_consumer_t *c, char *err, size_t errlen)
{
    hm_broker_t *b = c->b;
    const hm_consumer_opts_t *o = &c->opts;
    hm_sub_t *s = NULL;
    apr_status_t st;
    if (o->durable_name) {
        const char *cid = c->client->client_id;
        if (!cid) {
            snprintf(err, errlen, "You cannot create a durable subscriber without specifying a unique clientID on a Connection");
            return HM_EINVAL;
        }
        if (o->dest.kind != HM_TOPIC) {
            snprintf(err, errlen, "durable subscriptions are for ordinary topics only");
            return HM_EINVAL;
        }
        s = hm_sub_find_durable(b, cid, o->durable_name);
        if (s && s->active) {
            snprintf(err, errlen, "Durable consumer is in use for client: %s and subscriptionName: %s",
                     cid, o->durable_name);
            return HM_EEXISTS;
        }
        if (s && !hm_sub_same(s, o->dest, o->selector, o->no_local)) {
            hm_sub_destroy(s, 1);           /* changed: a new subscription replaces it */
            s = NULL;
        }
        if (!s) {
            if ((st = hm_sub_create(b, o->dest, o->selector, o->no_local, NULL, cid, o->durable_name,
                                    &s, err, errlen)))
                return st;
            if ((st = hm_sub_persist(s)) != APR_SUCCESS) {
                snprintf(err, errlen, "cannot store the durable subscription: %s", hm_strerror(st));
                hm_sub_destroy(s, 0);
                return st;
            }
        }
    } else if ((st = hm_sub_create(b, o->dest, o->selector, o->no_local,
                                   o->dest.kind == HM_TEMP_TOPIC ? c->client : NULL, NULL, NULL,
                                   &s, err, errlen))) {
        return st;
    }
    c->sub = s;
    s->active = c;
    s->owner_client = c->client->serial;
    hm_queue_attach(s->q, c);
    HM_EV_EACH(c->b, watching, c);
    return APR_SUCCESS;
}

static apr_status_t open_browser(hm_consumer_t *c, char *err, size_t errlen)
{
    hm_broker_t *b = c->b;
    if (!HM_KIND_IS_QUEUE(c->opts.dest.kind)) {
        snprintf(err, errlen, "only queues can be browsed");
        return HM_EINVAL;
    }
    c->snapshot = apr_array_make(c->pool, 64, sizeof(hm_browse_item_t));
    for (int i = 0; i < c->parts->nelts; i++) {
        const char *name = APR_ARRAY_IDX(c->parts, i, char *);
        if (hm_name_is_wildcard(name)) {
            for (apr_hash_index_t *hi = apr_hash_first(NULL, b->queues); hi; hi = apr_hash_next(hi)) {
                hm_queue_t *q = apr_hash_this_val(hi);
                if (q->name.kind == c->opts.dest.kind && hm_name_matches(name, q->name.name))
                    snapshot_queue(c, q);
            }
            continue;
        }
        hm_queue_t *q = hm_queue_find(b, c->opts.dest.kind, name);
        if (c->opts.dest.kind == HM_TEMP_QUEUE) {
            apr_status_t st = check_temp(c, q ? q->owner : NULL, name, err, errlen);
            if (st)
                return st;
        }
        if (q)
            snapshot_queue(c, q);
    }
    return APR_SUCCESS;
}

apr_status_t hm_consumer_open(hm_client_t *cl, const hm_consumer_opts_t *opts,
                              const hm_consumer_ops_t *ops, void *ctx, hm_consumer_t **out,
                              char *err, size_t errlen)
{
    hm_broker_t *b = cl->b;
    apr_pool_t *pool;
    apr_status_t st;
    *out = NULL;
    if ((st = hm_authorize(cl, HM_AUTHZ_READ, opts->dest, err, errlen)) ||
        (st = hm_authorize_create(cl, opts->dest, err, errlen)) ||
        (st = hm_authorize_adv_client(cl, "Consumer.", opts->dest, err, errlen)))
        return st;
    hm_lock(b);
    if ((st = apr_pool_create(&pool, b->pool)) != APR_SUCCESS) {
        hm_unlock(b);
        return st;
    }
    hm_consumer_t *c = apr_pcalloc(pool, sizeof *c);
    c->b = b;
    c->client = cl;
    c->pool = pool;
    c->opts = *opts;
    c->opts.dest.name = apr_pstrdup(pool, opts->dest.name ? opts->dest.name : "");
    c->opts.selector = opts->selector && *opts->selector ? apr_pstrdup(pool, opts->selector) : NULL;
    c->ops = ops;
    c->ctx = ctx;
    c->attached = apr_array_make(pool, 1, sizeof(hm_attach_t *));
    APR_RING_INIT(&c->dlv, hm_dlv_s, link);
    APR_RING_ELEM_INIT(c, link);
    APR_RING_ELEM_INIT(c, wild_link);
    APR_RING_ELEM_INIT(c, pull_link);
    APR_RING_INSERT_TAIL(&cl->consumers, c, hm_consumer_s, link);
    c->serial = ++b->next_consumer;
    apr_hash_set(b->consumers, &c->serial, sizeof c->serial, c);

    c->opts.durable_name = opts->durable_name ? apr_pstrdup(pool, opts->durable_name) : NULL;
    c->opts.id = opts->id ? apr_pstrdup(pool, opts->id) : NULL;
    st = split_parts(c, err, errlen);
    if (!st && c->opts.selector && HM_KIND_IS_QUEUE(c->opts.dest.kind))
        st = hm_selector_compile(pool, c->opts.selector, &c->selector, err, errlen);
    if (!st) {
        if (c->opts.browser)
            st = open_browser(c, err, errlen);
        else if (HM_KIND_IS_QUEUE(c->opts.dest.kind))
            st = open_queue_consumer(c, err, errlen);
        else
            st = open_topic_consumer(c, err, errlen);
    }
    if (st) {
        hm_consumer_close_locked(c, 0);
        hm_unlock(b);
        return st;
    }
    *out = c;
    HM_EV_EACH(c->b, consumer, c, 1);
    if (c->opts.browser)
        browser_pump(c);
    else
        consumer_kick(c);
    hm_unlock(b);
    return APR_SUCCESS;
}

/* consumed: it was consumed (not expired): a MessageConsumed advisory where the policy asks */
static void settle_as(hm_consumer_t *c, hm_dlv_t *d, hm_pbatch_t *pb, int consumed)
{
    APR_RING_REMOVE(d, link);
    if (!d->delivered)
        c->outstanding--;
    if (d->entry) {
        if (consumed && c->b->opts.advisory_policy)
            HM_EV_EACH(c->b, message, c->b, HM_ADV_CONSUMED, d->pub.dest, d->pub.msg);
        hm_persist_remove(c->b, pb, d->queue, d->entry);
        d->queue->dequeued++;
        d->queue->inflight_count--;
        hm_queue_entry_free(d->queue, d->entry);
    } else {
        hm_msg_unref(d->pub.msg);
    }
    free(d);
}

static void settle(hm_consumer_t *c, hm_dlv_t *d, hm_pbatch_t *pb)
{
    settle_as(c, d, pb, 1);
}

/* Gives a delivery back to its queue; `counted` marks it as seen by the application. */
static void give_back(hm_consumer_t *c, hm_dlv_t *d, int counted, hm_pbatch_t *pb)
{
    APR_RING_REMOVE(d, link);
    if (!d->delivered)
        c->outstanding--;
    if (d->entry) {
        if (counted) {
            d->entry->redelivery_count++;
            hm_persist_delivered(c->b, pb, d->queue, d->entry);
        }
        hm_queue_return(d->queue, d->entry);
    } else {
        hm_msg_unref(d->pub.msg);
    }
    free(d);
}

void hm_consumer_close_locked(hm_consumer_t *c, uint64_t last_delivered)
{
    hm_broker_t *b = c->b;
    pull_wait_end(c);
    if (c->wildcard) {
        APR_RING_REMOVE(c, wild_link);
        c->wildcard = 0;
    }
    hm_pbatch_t pb = { NULL, 0, 0 };
    /* newest first: each goes back in front of the queue's head (hm_queue_return finds its
     * place at once), so many unsettled deliveries return in linear time */
    while (!APR_RING_EMPTY(&c->dlv, hm_dlv_s, link)) {
        hm_dlv_t *d = APR_RING_LAST(&c->dlv);
        give_back(c, d, !b->stopping && (last_delivered == UINT64_MAX || d->pub.msg->broker_seq <= last_delivered), &pb);
    }
    hm_persist_commit(&pb, NULL, NULL);
    if (c->snapshot) {
        for (int i = c->snap_pos; i < c->snapshot->nelts; i++)
            hm_msg_unref(APR_ARRAY_IDX(c->snapshot, i, hm_browse_item_t).msg);
        c->snapshot->nelts = 0;
    }
    /* detach from every queue, then let the others have what came back */
    apr_array_header_t *queues = apr_array_make(c->pool, c->attached->nelts, sizeof(hm_queue_t *));
    while (c->attached->nelts > 0) {
        hm_queue_t *q = APR_ARRAY_IDX(c->attached, 0, hm_attach_t *)->q;
        hm_queue_detach(q, c);
        if (!c->sub || q != c->sub->q)
            APR_ARRAY_PUSH(queues, hm_queue_t *) = q;
    }
    if (c->sub) {
        /* a durable subscription keeps collecting; a plain one ends with its consumer */
        c->sub->active = NULL;
        c->sub->owner_client = 0;
        if (!c->sub->key)
            hm_sub_destroy(c->sub, 0);
        c->sub = NULL;
    }
    for (int i = 0; i < queues->nelts; i++)
        hm_queue_dispatch(APR_ARRAY_IDX(queues, i, hm_queue_t *));
    HM_EV_EACH(c->b, consumer, c, 0);
    APR_RING_REMOVE(c, link);
    apr_hash_set(b->consumers, &c->serial, sizeof c->serial, NULL);
    apr_pool_destroy(c->pool);
}

void hm_consumer_close(hm_consumer_t *c, uint64_t last_delivered)
{
    hm_broker_t *b = c->b;
    hm_lock(b);
    hm_consumer_close_locked(c, last_delivered);
    hm_unlock(b);
}

/* Settles (or marks) deliveries; removals of stored messages are added to pb. */
void hm_consumer_ack_locked(hm_consumer_t *c, hm_delivery_t *pub, hm_ack_e kind, hm_pbatch_t *pb)
{
    hm_dlv_t *target = (hm_dlv_t *)pub;
    if (kind == HM_ACK_CONSUMED || kind == HM_ACK_POISON) {
        if (kind == HM_ACK_POISON && target->entry)
            HM_EV_EACH(c->b, dead_letter, c->b, target->queue, target->pub.msg, 0, "java.lang.Throwable: poison acknowledgement", pb);
        settle(c, target, pb);
        return;
    }
    if (kind == HM_ACK_RELEASE || kind == HM_ACK_RETURN) {
        give_back(c, target, kind == HM_ACK_RETURN, pb);
        return;
    }
    /* every delivery up to and including the target, oldest first */
    hm_dlv_t *d = APR_RING_FIRST(&c->dlv);
    while (d != APR_RING_SENTINEL(&c->dlv, hm_dlv_s, link)) {
        hm_dlv_t *next = APR_RING_NEXT(d, link);
        int last = d == target;
        if (kind == HM_ACK_CONSUMED_UPTO)
            settle(c, d, pb);
        else if (kind == HM_ACK_REDELIVER_UPTO)
            give_back(c, d, 1, pb);
        else if (!d->delivered) {
            d->delivered = 1;
            c->outstanding--;
        }
        if (last)
            break;
        d = next;
    }
}

void hm_consumer_take_locked(hm_consumer_t *c, hm_delivery_t *pub, hm_ack_e kind, hm_pbatch_t *pb,
                             hm_hold_fn hold, void *baton)
{
    hm_dlv_t *target = (hm_dlv_t *)pub;
    hm_dlv_t *d = kind == HM_ACK_CONSUMED ? target : APR_RING_FIRST(&c->dlv);
    while (d != APR_RING_SENTINEL(&c->dlv, hm_dlv_s, link)) {
        hm_dlv_t *next = APR_RING_NEXT(d, link);
        int last = d == target;
        APR_RING_REMOVE(d, link);
        if (!d->delivered)
            c->outstanding--;
        if (d->entry) {
            hm_persist_remove(c->b, pb, d->queue, d->entry);
            hold(baton, d->queue, d->entry);
        } else {
            hm_msg_unref(d->pub.msg);
        }
        free(d);
        if (last)
            break;
        d = next;
    }
}

void hm_consumer_kick_locked(hm_consumer_t *c)
{
    if (c->opts.browser)
        browser_pump(c);
    else
        consumer_kick(c);
}

/* Dead-letters one unsettled delivery (expired: as the broker's own expiry does) and settles it. */
static void dead_letter_delivery(hm_consumer_t *c, hm_delivery_t *pub, int expired, const char *cause,
                                 hm_send_done_fn done, void *baton)
{
    hm_lock(c->b);
    hm_pbatch_t pb = { NULL, 0, 0 };
    hm_dlv_t *d = (hm_dlv_t *)pub;
    char why[96];
    if (d->entry && expired) {
        snprintf(why, sizeof why, "java.lang.Throwable: Message Expired. Expiration:%lld",
                 (long long)d->pub.msg->expiration);
        cause = why;
        d->queue->expired++;
    }
    if (d->entry)
        HM_EV_EACH(c->b, dead_letter, c->b, d->queue, d->pub.msg, expired, cause, &pb);
    if (d->entry && expired)           /* after MessageDLQd, as ActiveMQ orders them */
        HM_EV_EACH(c->b, message, c->b, HM_ADV_EXPIRED, d->pub.dest, d->pub.msg);
    settle_as(c, d, &pb, !expired);
    if (hm_persist_commit(&pb, done, baton) != APR_SUCCESS && done)
        done(baton, HM_ENOSPACE);
    hm_consumer_kick_locked(c);
    hm_unlock(c->b);
}

void hm_consumer_poison(hm_consumer_t *c, hm_delivery_t *pub, const char *cause,
                        hm_send_done_fn done, void *baton)
{
    dead_letter_delivery(c, pub, 0, cause, done, baton);
}

void hm_consumer_expired(hm_consumer_t *c, hm_delivery_t *pub, hm_send_done_fn done, void *baton)
{
    dead_letter_delivery(c, pub, 1, NULL, done, baton);
}

void hm_consumer_ack(hm_consumer_t *c, hm_delivery_t *pub, hm_ack_e kind, hm_send_done_fn done,
                     void *baton)
{
    hm_lock(c->b);
    hm_pbatch_t pb = { NULL, 0, 0 };
    hm_consumer_ack_locked(c, pub, kind, &pb);
    if (hm_persist_commit(&pb, done, baton) != APR_SUCCESS && done)
        done(baton, HM_ENOSPACE);
    hm_consumer_kick_locked(c);
    hm_unlock(c->b);
}

hm_delivery_t *hm_consumer_find_locked(hm_consumer_t *c, const char *message_id)
{
    hm_dlv_t *d;
    APR_RING_FOREACH(d, &c->dlv, hm_dlv_s, link) {
        if (d->pub.msg->message_id && strcmp(d->pub.msg->message_id, message_id) == 0)
            return &d->pub;
    }
    return NULL;
}

hm_delivery_t *hm_consumer_find(hm_consumer_t *c, const char *message_id)
{
    hm_lock(c->b);
    hm_delivery_t *found = hm_consumer_find_locked(c, message_id);
    hm_unlock(c->b);
    return found;
}

void hm_consumer_pull(hm_consumer_t *c, int64_t timeout_ms)
{
    hm_broker_t *b = c->b;
    hm_lock(b);
    if (c->opts.prefetch == 0 && !c->opts.browser) {
        c->pulls = 1;
        consumer_kick(c);
        if (c->pulls > 0) {
            if (timeout_ms < 0) {
                c->pulls = 0;
                c->ops->empty(c->ctx, c);
            } else if (timeout_ms > 0) {
                c->pull_deadline = apr_time_now() + apr_time_from_msec(timeout_ms);
                if (!c->pull_waiting) {
                    APR_RING_INSERT_TAIL(&b->pull_waiters, c, hm_consumer_s, pull_link);
                    c->pull_waiting = 1;
                }
            }
        }
    }
    hm_unlock(b);
}

void hm_consumer_set_prefetch(hm_consumer_t *c, int32_t prefetch)
{
    hm_lock(c->b);
    c->opts.prefetch = prefetch < 0 ? 0 : prefetch;
    if (c->opts.browser)
        browser_pump(c);
    else
        consumer_kick(c);
    hm_unlock(c->b);
}

void hm_consumer_grant(hm_consumer_t *c, int32_t delta)
{
    hm_lock(c->b);
    c->pulls += delta;
    if (c->pulls < 0)
        c->pulls = 0;
    hm_consumer_kick_locked(c);
    hm_unlock(c->b);
}

hm_client_t *hm_consumer_client(const hm_consumer_t *c)
{
    return c->client;
}

uint64_t hm_consumer_serial(const hm_consumer_t *c)
{
    return c->serial;
}

hm_consumer_t *hm_consumer_by_serial(hm_broker_t *b, uint64_t serial)
{
    return apr_hash_get(b->consumers, &serial, sizeof serial);
}

void hm_broker_tick(hm_broker_t *b, apr_time_t now)
{
    hm_lock(b);
    if (now >= b->next_sweep) {
        /* each queue sweeps at its own policy's period (hm_usage.c); this is their resolution */
        b->next_sweep = now + apr_time_from_msec(HM_EXPIRE_RESOLUTION_MS);
        hm_usage_expire_locked(b, now);
    }
    hm_consumer_t *c = APR_RING_FIRST(&b->pull_waiters);
    while (c != APR_RING_SENTINEL(&b->pull_waiters, hm_consumer_s, pull_link)) {
        hm_consumer_t *next = APR_RING_NEXT(c, pull_link);
        if (c->pull_deadline && c->pull_deadline <= now) {
            pull_wait_end(c);
            if (c->pulls > 0) {
                c->pulls = 0;
                c->ops->empty(c->ctx, c);
            }
        }
        c = next;
    }
    hm_audit_prune_locked(b, now);
    HM_EV_EACH(b, tick, b, now);       /* the scheduler, slow-consumer advisories */
    hm_unlock(b);
}
