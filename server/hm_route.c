/* Routing a sent message: composite destinations, queues, topic fan-out, advisories. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <apr_strings.h>

#include "hm_int.h"
#include "st.h"

static apr_status_t add_target(route_t *r, hm_queue_t *q, const char *via)
{
    if (r->n == r->cap) {
        int cap = r->cap ? r->cap * 2 : 8;
        target_t *t = realloc(r->t, (size_t)cap * sizeof *t);
        if (!t)
            return APR_ENOMEM;
        r->t = t;
        r->cap = cap;
    }
    r->t[r->n].q = q;
    r->t[r->n].via = via;
    r->n++;
    return APR_SUCCESS;
}

static apr_status_t collect_topic(hm_broker_t *b, hm_msg_t *msg, hm_dest_kind_e kind,
                                  const char *name, const char *via, route_t *r)
{
    hm_topic_t *t = hm_topic_find(b, kind, name);
    apr_status_t st = APR_SUCCESS;
    if (t) {
        t->enqueued++;
        hm_tsub_t *ts;
        APR_RING_FOREACH(ts, &t->subs, hm_tsub_s, link) {
            hm_sub_t *s = ts->sub;
            if (s->last_routed == msg->broker_seq || !hm_sub_wants(s, msg))
                continue;
            s->last_routed = msg->broker_seq;
            if ((st = add_target(r, s->q, via)) != APR_SUCCESS)
                return st;
        }
    }
    if (kind != HM_TOPIC)
        return APR_SUCCESS;
    hm_sub_t *s;
    APR_RING_FOREACH(s, &b->wild_topic_subs, hm_sub_s, wild_link) {
        if (s->last_routed == msg->broker_seq || !hm_sub_wants(s, msg))
            continue;
        for (int i = 0; i < s->parts->nelts; i++) {
            const char *pat = APR_ARRAY_IDX(s->parts, i, char *);
            if (hm_name_is_wildcard(pat) && hm_name_matches(pat, name)) {
                s->last_routed = msg->broker_seq;
                if ((st = add_target(r, s->q, via)) != APR_SUCCESS)
                    return st;
                break;
            }
        }
    }
    return APR_SUCCESS;
}

/* A topic message also reaches the queues of a matching virtual topic that exist now
 * (prefix + topic + postfix, e.g. Consumer.*.VirtualTopic.Orders), as on ActiveMQ. */
static apr_status_t collect_virtual_queues(hm_broker_t *b, const char *topic, route_t *r)
{
    for (int i = 0; i < b->opts.nvirtuals; i++) {
        const hm_virtual_t *v = &b->opts.virtuals[i];
        if (v->kind != HM_VIRTUAL_TOPIC || !hm_name_matches(v->name, topic))
            continue;
        char pattern[HM_MAX_DEST_NAME + 128];
        int n = snprintf(pattern, sizeof pattern, "%s%s%s", v->prefix ? v->prefix : "", topic,
                         v->postfix ? v->postfix : "");
        if (n < 0 || (size_t)n >= sizeof pattern)
            continue;
        for (apr_hash_index_t *hi = apr_hash_first(NULL, b->queues); hi; hi = apr_hash_next(hi)) {
            hm_queue_t *q = apr_hash_this_val(hi);
            if (q->name.kind == HM_QUEUE && hm_name_matches(pattern, q->name.name)) {
                apr_status_t st = add_target(r, q, NULL);
                if (st)
                    return st;
            }
        }
    }
    return APR_SUCCESS;
}

static apr_status_t collect_one(hm_broker_t *b, hm_msg_t *msg, hm_dest_kind_e kind,
                                const char *name, int composite, route_t *r, char *err, size_t errlen);

/* A configured composite destination forwards to its members (and to itself unless
 * forwardOnly); returns 1 when name was one. */
static int collect_composite(hm_broker_t *b, hm_msg_t *msg, hm_dest_kind_e kind, const char *name,
                             route_t *r, apr_status_t *st, int *deliver_self, char *err, size_t errlen)
{
    for (int i = 0; i < b->opts.nvirtuals; i++) {
        const hm_virtual_t *v = &b->opts.virtuals[i];
        if (v->kind == HM_VIRTUAL_TOPIC || (v->kind == HM_COMPOSITE_QUEUE) != (kind == HM_QUEUE) ||
            strcmp(v->name, name) != 0)
            continue;
        for (int f = 0; f < v->nforward && !*st; f++) {
            if (strcmp(v->forward[f].name, name) == 0 && v->forward[f].kind == kind)
                continue;                  /* a member naming the composite itself */
            if (b->vfilters[i] && b->vfilters[i][f] && !hm_selector_match(b->vfilters[i][f], msg, 0))
                continue;                  /* a filteredDestination this message does not match */
            *st = collect_one(b, msg, v->forward[f].kind, v->forward[f].name, 1, r, err, errlen);
        }
        *deliver_self = !v->forward_only;
        return 1;
    }
    return 0;
}

static apr_status_t collect_one(hm_broker_t *b, hm_msg_t *msg, hm_dest_kind_e kind,
                                const char *name, int composite, route_t *r, char *err, size_t errlen)
{
    apr_status_t st = hm_name_check(name, err, errlen);
    if (st)
        return st;
    int self = 1;
    if (!composite && (kind == HM_QUEUE || kind == HM_TOPIC) &&
        collect_composite(b, msg, kind, name, r, &st, &self, err, errlen) && (st || !self))
        return st;
    if (HM_KIND_IS_QUEUE(kind)) {
        hm_queue_t *q = hm_queue_get(b, kind, name);
        if (!q) {
            if (kind == HM_TEMP_QUEUE) {
                snprintf(err, errlen, "temporary queue %s does not exist", name);
                return HM_ENOTFOUND;
            }
            return APR_ENOMEM;
        }
        return add_target(r, q, NULL);
    }
    if (kind == HM_TEMP_TOPIC && !hm_topic_find(b, kind, name)) {
        snprintf(err, errlen, "temporary topic %s does not exist", name);
        return HM_ENOTFOUND;
    }
    /* a topic exists once sent to, as on ActiveMQ (its Topic advisory goes out then) */
    if (kind == HM_TOPIC && !b->opts.advisories_off && !hm_name_is_wildcard(name) &&
        !hm_name_is_advisory((hm_dname_t){ kind, name }))
        hm_topic_get(b, kind, name);
    st = collect_topic(b, msg, kind, name, composite ? name : NULL, r);
    if (!st && kind == HM_TOPIC && b->opts.nvirtuals)
        st = collect_virtual_queues(b, name, r);
    return st;
}

/* Why parse prefixes here: a composite may mix kinds ("a,topic://b"), as ActiveMQ allows. */
static apr_status_t collect(hm_broker_t *b, hm_msg_t *msg, route_t *r, char **copy, char *err,
                            size_t errlen)
{
    const char *names = msg->dest.name;
    apr_status_t st = hm_name_check(names, err, errlen);
    if (st)
        return st;
    if (!strchr(names, ','))
        return collect_one(b, msg, msg->dest.kind, names, 0, r, err, errlen);
    char *last = NULL;
    if (!(*copy = strdup(names)))
        return APR_ENOMEM;
    int parts = 0;
    for (char *p = apr_strtok(*copy, ",", &last); p && !st; p = apr_strtok(NULL, ",", &last)) {
        hm_dest_kind_e kind = msg->dest.kind;
        if (strncmp(p, "queue://", 8) == 0) {
            kind = HM_QUEUE;
            p += 8;
        } else if (strncmp(p, "topic://", 8) == 0) {
            kind = HM_TOPIC;
            p += 8;
        }
        if (++parts > HM_MAX_COMPOSITE_PARTS) {
            snprintf(err, errlen, "composite destination has more than %d parts", HM_MAX_COMPOSITE_PARTS);
            return HM_EINVAL;
        }
        st = collect_one(b, msg, kind, p, 1, r, err, errlen);
    }
    return st;
}

typedef hm_plan_t plan_t;

void hm_plan_free(plan_t *pl)
{
    free(pl->r.t);
    free(pl->copy);
    pl->r.t = NULL;
    pl->copy = NULL;
}

/* Collects the targets and adds what must be stored to pb (shared by a transaction's sends). */
apr_status_t hm_plan_route(hm_broker_t *b, hm_msg_t *msg, hm_pbatch_t *pb, plan_t *pl,
                           char *err, size_t errlen)
{
    memset(pl, 0, sizeof *pl);
    pl->msg = msg;
    msg->broker_seq = ++b->next_seq;
    pb->have_msg = 0;
    apr_status_t st = collect(b, msg, &pl->r, &pl->copy, err, errlen);
    for (int i = 0; i < pl->r.n && !st; i++) {
        pl->r.t[i].seq = ++pl->r.t[i].q->next_seq;
        if (hm_persist_wanted(b, msg, pl->r.t[i].q))
            st = hm_persist_add(b, pb, pl->r.t[i].q, msg, pl->r.t[i].seq, err, errlen);
    }
    pl->stored = pb->have_msg;
    pl->msg_id = pb->msg_id;
    return st;
}

/* Enqueues a planned (and, where needed, stored) message and dispatches it. */
apr_status_t hm_plan_apply(hm_broker_t *b, plan_t *pl)
{
    apr_status_t st = APR_SUCCESS;
    for (int i = 0; i < pl->r.n && !st; i++) {
        hm_qentry_t *e;
        int stored = pl->stored && hm_persist_wanted(b, pl->msg, pl->r.t[i].q);
        if ((st = hm_page_enqueue(pl->r.t[i].q, pl->msg, pl->r.t[i].via, pl->r.t[i].seq, stored,
                                  pl->msg_id, &e)) != APR_SUCCESS)
            break;
        hm_queue_dispatch(pl->r.t[i].q);
        hm_usage_trim_locked(pl->r.t[i].q);
    }
    HM_EV_EACH(b, sent, b, pl);
    hm_plan_free(pl);
    return st;
}

/* Routes under the broker lock: collect, store what must be stored, then enqueue and dispatch.
 * done follows hm_send's contract. */
static apr_status_t route_locked(hm_broker_t *b, hm_msg_t *msg, hm_send_done_fn done, void *baton,
                                 char *err, size_t errlen)
{
    hm_pbatch_t pb = { NULL, 0, 0 };
    plan_t pl;
    if (hm_audit_dup_locked(b, msg)) {
        if (done)                  /* stored already: the sender hears so again */
            done(baton, APR_SUCCESS);
        return APR_SUCCESS;
    }
    apr_status_t st = hm_plan_route(b, msg, &pb, &pl, err, errlen);
    if (st) {
        if (pb.batch)
            st_batch_discard(pb.batch);
        hm_plan_free(&pl);
        return st;
    }
    int stored = pl.stored;
    if ((st = hm_persist_commit(&pb, done, baton)) != APR_SUCCESS) {
        snprintf(err, errlen, "the store refused the message: %s", hm_strerror(st));
        hm_plan_free(&pl);
        return st;
    }
    if (stored)
        hm_audit_stored_locked(b, msg);
    return hm_plan_apply(b, &pl);
}

apr_status_t hm_send(hm_client_t *c, hm_msg_t *msg, hm_send_done_fn done, void *baton,
                     char *err, size_t errlen)
{
    hm_broker_t *b = c->b;
    apr_status_t ast = hm_authorize(c, HM_AUTHZ_WRITE, msg->dest, err, errlen);
    if (!ast)
        ast = hm_authorize_create(c, msg->dest, err, errlen);
    if (ast)
        return ast;
    hm_lock(b);
    msg->producer_client = c->serial;
    apr_status_t st;
    if (hm_ev_taken(b->ev.request, b, msg, done, baton, &st, err, errlen)) {
        /* answered (statistics requests), never routed nor held */
    } else if ((st = hm_usage_check_locked(b, msg, err, errlen)) != APR_SUCCESS) {
        /* held by flow control: nothing happened, done is not called */
    } else if (!hm_ev_taken(b->ev.take, b, msg, done, baton, &st, err, errlen)) {
        st = route_locked(b, msg, done, baton, err, errlen);
    }
    hm_unlock(b);
    return st;
}

/* A message a feature holds at commit (hm_ev_hold_fn) and which subscriber holds it. */
typedef struct held_s { void *job; int by; } held_t;

/* Offers a transacted message to the hold subscribers in order; 1 when one took it. */
static int hold_locked(hm_broker_t *b, hm_msg_t *msg, st_batch_t **batch, held_t *h,
                       apr_status_t *st, char *err, size_t errlen)
{
    for (int i = 0; i < HM_MAX_SUBSCRIBERS && b->ev.hold[i]; i++) {
        if (b->ev.hold[i](b, msg, batch, &h->job, st, err, errlen)) {
            h->by = i;
            return 1;
        }
    }
    return 0;
}

apr_status_t hm_commit(hm_client_t *c, hm_msg_t *const *msgs, int nmsgs, const hm_txack_t *acks,
                       int nacks, hm_send_done_fn done, void *baton, char *err, size_t errlen)
{
    hm_broker_t *b = c->b;
    hm_pbatch_t pb = { NULL, 0, 0 };
    apr_status_t st = hm_authorize_msgs(c, msgs, nmsgs, err, errlen);
    if (st)
        return st;
    plan_t *plans = nmsgs ? calloc((size_t)nmsgs, sizeof *plans) : NULL;
    held_t *jobs = nmsgs ? calloc((size_t)nmsgs, sizeof *jobs) : NULL;
    if (nmsgs && (!plans || !jobs)) {
        free(plans);
        free(jobs);
        return APR_ENOMEM;
    }
    hm_lock(b);
    int planned = 0;
    for (; planned < nmsgs && !st; planned++) {
        msgs[planned]->producer_client = c->serial;
        /* a feature may hold it until the commit is decided (a scheduled message starts its clock
         * then, as on ActiveMQ) */
        if (!hold_locked(b, msgs[planned], &pb.batch, &jobs[planned], &st, err, errlen))
            st = hm_plan_route(b, msgs[planned], &pb, &plans[planned], err, errlen);
    }
    if (!st) {
        /* acknowledgements settle now; their removals ride in the same store batch */
        for (int i = 0; i < nacks; i++) {
            hm_consumer_t *ac = hm_consumer_by_serial(b, acks[i].consumer);
            hm_delivery_t *d = ac ? hm_consumer_find_locked(ac, acks[i].message_id) : NULL;
            if (d)
                hm_consumer_ack_locked(ac, d, (hm_ack_e)acks[i].kind, &pb);
        }
        if ((st = hm_persist_commit(&pb, done, baton)) != APR_SUCCESS)
            snprintf(err, errlen, "the store refused the transaction: %s", hm_strerror(st));
    } else if (pb.batch) {
        st_batch_discard(pb.batch);
    }
    for (int i = 0; i < planned; i++) {
        if (jobs[i].job)
            b->ev.settle[jobs[i].by](b, jobs[i].job, !st);
        else if (!st)
            hm_plan_apply(b, &plans[i]);
        else
            hm_plan_free(&plans[i]);
    }
    for (int i = 0; i < nacks && !st; i++) {
        hm_consumer_t *ac = hm_consumer_by_serial(b, acks[i].consumer);
        if (ac)
            hm_consumer_kick_locked(ac);
    }
    hm_unlock(b);
    free(plans);
    free(jobs);
    return st;
}
