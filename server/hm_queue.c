/* A queue's contents in priority-then-arrival order, and dispatch to its consumers. */
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include <apr_strings.h>

#include "hm_int.h"

static void reset_cursors_after(hm_queue_t *q, int p, uint64_t seq);

/* Why the walk back from the tail: arrivals come in seq order and go at the tail at once, but
 * a page read from the store may come after an entry with a greater seq (a stray, a late XA
 * commit) and must go before it. */
apr_status_t hm_queue_insert(hm_queue_t *q, hm_msg_t *msg, int32_t redelivery_count, const char *via,
                             uint64_t seq, hm_qentry_t **out)
{
    hm_qentry_t *e = calloc(1, sizeof *e);
    if (!e)
        return APR_ENOMEM;
    if (via && !(e->via = strdup(via))) {
        free(e);
        return APR_ENOMEM;
    }
    int p = hm_queue_prio(q, msg);
    e->msg = hm_msg_ref(msg);
    e->seq = seq ? seq : ++q->next_seq;
    e->redelivery_count = redelivery_count;
    struct hm_qentry_ring_s *r = &q->avail[p];
    hm_qentry_t *at = APR_RING_LAST(r);
    while (at != APR_RING_SENTINEL(r, hm_qentry_s, link) && at->seq > e->seq)
        at = APR_RING_PREV(at, link);
    if (at == APR_RING_LAST(r)) {
        APR_RING_INSERT_TAIL(r, e, hm_qentry_s, link);
    } else {
        APR_RING_INSERT_AFTER(at, e, link);
        reset_cursors_after(q, p, e->seq);
    }
    q->avail_count++;
    if (msg->expiration > 0)
        q->expirable++;
    hm_usage_charge(q, msg);
    *out = e;
    return APR_SUCCESS;
}

/* seq 0 takes the next arrival number; recovery passes the stored one. */
apr_status_t hm_queue_put(hm_queue_t *q, hm_msg_t *msg, int32_t redelivery_count, const char *via,
                          uint64_t seq, hm_qentry_t **out)
{
    apr_status_t st = hm_queue_insert(q, msg, redelivery_count, via, seq, out);
    if (st == APR_SUCCESS)
        q->enqueued++;
    return st;
}

void hm_queue_entry_free(hm_queue_t *q, hm_qentry_t *e)
{
    hm_page_release(q, e);
    hm_usage_release(q, e->msg);
    if (e->msg->expiration > 0)
        q->expirable--;
    hm_msg_unref(e->msg);
    free(e->via);
    free(e);
}

/* Queues order by JMSPriority; topic subscriptions keep publish order, as on ActiveMQ. */
int hm_queue_prio(const hm_queue_t *q, const hm_msg_t *m)
{
    if (q->sub)
        return 0;
    return m->priority < 0 ? 0 : m->priority >= HM_PRIORITIES ? HM_PRIORITIES - 1 : m->priority;
}

/* Takes an available entry out of its ring; cursors resting on it step back to its
 * predecessor (everything before it was rejected too). */
void hm_queue_unlink(hm_queue_t *q, hm_qentry_t *e)
{
    int p = hm_queue_prio(q, e->msg);
    hm_qentry_t *prev = APR_RING_PREV(e, link);
    if (prev == APR_RING_SENTINEL(&q->avail[p], hm_qentry_s, link))
        prev = NULL;
    hm_attach_t *a;
    APR_RING_FOREACH(a, &q->consumers, hm_attach_s, link) {
        if (a->cursor[p] == e)
            a->cursor[p] = prev;
    }
    APR_RING_REMOVE(e, link);
}

/* A returned entry goes back to its place by arrival order (usually the head). */
void hm_queue_return(hm_queue_t *q, hm_qentry_t *e)
{
    struct hm_qentry_ring_s *r = &q->avail[hm_queue_prio(q, e->msg)];
    hm_qentry_t *at;
    for (at = APR_RING_FIRST(r); at != APR_RING_SENTINEL(r, hm_qentry_s, link);
         at = APR_RING_NEXT(at, link)) {
        if (at->seq > e->seq)
            break;
    }
    APR_RING_INSERT_BEFORE(at, e, link);
    q->inflight_count--;
    q->avail_count++;
    reset_cursors_after(q, hm_queue_prio(q, e->msg), e->seq);
}

/* Cursors past a newly placed entry must look at it again. */
static void reset_cursors_after(hm_queue_t *q, int p, uint64_t seq)
{
    hm_attach_t *a;
    APR_RING_FOREACH(a, &q->consumers, hm_attach_s, link) {
        if (a->cursor[p] && a->cursor[p]->seq > seq)
            a->cursor[p] = NULL;
    }
}

/* Message groups: a group belongs to the consumer that got its first message until that
 * consumer goes (or JMSXGroupSeq -1 closes the group). */
int hm_queue_group_allows(const hm_queue_t *q, const hm_consumer_t *c, const hm_msg_t *m)
{
    if (!m->group_id || !q->groups)
        return 1;
    hm_consumer_t *owner = apr_hash_get(q->groups, m->group_id, APR_HASH_KEY_STRING);
    return !owner || owner == c;
}

/* Records the group's owner when c takes its message; returns 1 if c is new to the group. */
static int group_assign(hm_queue_t *q, hm_consumer_t *c, const hm_msg_t *m)
{
    if (!m->group_id)
        return 0;
    if (!q->groups) {
        if (apr_pool_create(&q->gpool, q->b->pool) != APR_SUCCESS)
            return 0;
        q->groups = apr_hash_make(q->gpool);
    }
    hm_consumer_t *owner = apr_hash_get(q->groups, m->group_id, APR_HASH_KEY_STRING);
    int first = owner != c;
    if (m->group_seq == -1)
        apr_hash_set(q->groups, m->group_id, APR_HASH_KEY_STRING, NULL);
    else if (first)
        apr_hash_set(q->groups, apr_pstrdup(q->gpool, m->group_id), APR_HASH_KEY_STRING, c);
    return first;
}

void hm_queue_expired_out(hm_queue_t *q, const hm_msg_t *m, hm_pbatch_t *pb)
{
    char cause[96];
    snprintf(cause, sizeof cause, "java.lang.Throwable: Message Expired. Expiration:%lld",
             (long long)m->expiration);
    q->expired++;
    q->dequeued++;                 /* it left the queue, as ActiveMQ counts it */
    HM_EV_EACH(q->b, dead_letter, q->b, q, m, 1, cause, pb);
    HM_EV_EACH(q->b, message, q->b, HM_ADV_EXPIRED, q->sub ? m->dest : q->name, m);
}

/* Dead-letters (or drops) an expired available entry; the caller has unlinked it. */
static void expire_entry(hm_queue_t *q, hm_qentry_t *e)
{
    hm_pbatch_t pb = { NULL, 0, 0 };
    q->avail_count--;
    hm_queue_expired_out(q, e->msg, &pb);
    hm_persist_remove(q->b, &pb, q, e);
    hm_persist_commit(&pb, NULL, NULL);
    hm_queue_entry_free(q, e);
}

/* The background sweep: expired messages leave the queue even when nobody reaches them.
 * A queue none of whose messages has an expiration (the usual case, and a million recovered
 * messages) is not walked at all; what is paged out is swept a chunk at a time (hm_page.c). */
size_t hm_queue_expire(hm_queue_t *q, apr_time_t now)
{
    size_t n = 0;
    for (int p = HM_PRIORITIES - 1; p >= 0 && q->expirable > 0; p--) {
        struct hm_qentry_ring_s *r = &q->avail[p];
        hm_qentry_t *e = APR_RING_FIRST(r);
        while (e != APR_RING_SENTINEL(r, hm_qentry_s, link) && q->expirable > 0) {
            hm_qentry_t *next = APR_RING_NEXT(e, link);
            q->sweep_visits++;
            if (hm_msg_expired(e->msg, now)) {
                hm_queue_unlink(q, e);
                expire_entry(q, e);
                n++;
            }
            e = next;
        }
    }
    return n + hm_page_expire(q, now);
}

/* The first entry of priority p in memory this consumer takes, starting after what its
 * selector already rejected; expired entries met on the way are dropped. */
static hm_qentry_t *find_in_ring(hm_queue_t *q, hm_attach_t *a, int p, apr_time_t now)
{
    hm_consumer_t *c = a->c;
    {
        struct hm_qentry_ring_s *r = &q->avail[p];
        hm_qentry_t *e = a->cursor[p] ? APR_RING_NEXT(a->cursor[p], link) : APR_RING_FIRST(r);
        int advancing = 1;         /* until an entry is skipped for another reason than the selector */
        while (e != APR_RING_SENTINEL(r, hm_qentry_s, link)) {
            hm_qentry_t *next = APR_RING_NEXT(e, link);
            if (hm_msg_expired(e->msg, now)) {
                hm_queue_unlink(q, e);
                expire_entry(q, e);
            } else if (!hm_queue_group_allows(q, c, e->msg)) {
                advancing = 0;
            } else if (hm_consumer_wants(c, e->msg, e->redelivery_count)) {
                return e;
            } else if (advancing) {
                a->cursor[p] = e;
            }
            e = next;
        }
    }
    return NULL;
}

/* The first available entry this consumer takes, by priority.  When a priority's entries in
 * memory are exhausted and more are paged out, the next page is read while the window has
 * room (or the ring is empty); past that, the consumer's own scan of the store finds what
 * only it takes (a selector, a group), so the window does not fill with what it rejects. */
static hm_qentry_t *find_entry(hm_queue_t *q, hm_attach_t *a, apr_time_t now)
{
    for (int p = HM_PRIORITIES - 1; p >= 0; p--) {
        hm_qentry_t *e = find_in_ring(q, a, p, now);
        while (!e && q->paged[p]) {
            if (APR_RING_EMPTY(&q->avail[p], hm_qentry_s, link) || hm_page_room(q)) {
                hm_page_in(q, p);           /* progress or paged[p] = 0: the loop ends */
                e = find_in_ring(q, a, p, now);
            } else {
                e = hm_page_scan(q, a, p, now);
                break;
            }
        }
        while (!e && q->spilled[p]) {      /* the same for what spilled (hm_spill.c) */
            if ((APR_RING_EMPTY(&q->avail[p], hm_qentry_s, link) || hm_spill_room(q)) && hm_spill_in(q, p)) {
                e = find_in_ring(q, a, p, now);
            } else {
                e = hm_spill_scan(q, a, p, now);
                break;
            }
        }
        if (e)
            return e;
    }
    return NULL;
}

/* Round-robin among the highest-priority consumers that have credit (lower ones get messages
 * only while those are full), or only the exclusive consumer when there is one.  Each pass
 * offers one message per consumer, rotating the ring so the next pass starts after the last
 * one served. */
void hm_queue_dispatch(hm_queue_t *q)
{
    if (q->dispatching || q->paused)
        return;
    q->dispatching = 1;
    apr_time_t now = apr_time_now();
    int progress = 1;
    while (progress && hm_queue_pending(q) > 0) {
        progress = 0;
        size_t n = 0;
        int top = INT32_MIN;
        hm_attach_t *a;
        APR_RING_FOREACH(a, &q->consumers, hm_attach_s, link) {
            n++;
            if (hm_consumer_has_credit(a->c) && a->c->opts.priority > top)
                top = a->c->opts.priority;
        }
        for (size_t i = 0; i < n && hm_queue_pending(q) > 0; i++) {
            a = APR_RING_FIRST(&q->consumers);
            APR_RING_REMOVE(a, link);
            APR_RING_INSERT_TAIL(&q->consumers, a, hm_attach_s, link);
            if ((q->exclusive && a->c != q->exclusive) || a->c->opts.priority < top ||
                !hm_consumer_has_credit(a->c))
                continue;
            hm_qentry_t *e = find_entry(q, a, now);
            if (!e)
                continue;
            hm_queue_unlink(q, e);
            q->avail_count--;
            q->inflight_count++;
            int first = group_assign(q, a->c, e->msg);
            q->dispatched++;
            hm_consumer_hand(a->c, q, e, first);
            progress = 1;
        }
    }
    q->dispatching = 0;
}

/* The exclusive consumer: the earliest attached consumer that asked for exclusivity. */
static void choose_exclusive(hm_queue_t *q)
{
    hm_attach_t *a, *best = NULL;
    APR_RING_FOREACH(a, &q->consumers, hm_attach_s, link) {
        if (a->c->opts.exclusive && (!best || a->order < best->order))
            best = a;
    }
    q->exclusive = best ? best->c : NULL;
}

size_t hm_queue_consumer_count(const hm_queue_t *q)
{
    size_t n = 0;
    const hm_attach_t *a;
    APR_RING_FOREACH(a, &q->consumers, hm_attach_s, link)
        n++;
    return n;
}

void hm_queue_attach(hm_queue_t *q, hm_consumer_t *c)
{
    hm_attach_t *a = apr_pcalloc(c->pool, sizeof *a);
    a->c = c;
    a->q = q;
    a->order = ++q->next_attach;
    APR_RING_INSERT_TAIL(&q->consumers, a, hm_attach_s, link);
    APR_ARRAY_PUSH(c->attached, hm_attach_t *) = a;
    if (c->opts.exclusive && !q->exclusive)
        q->exclusive = c;
}

void hm_queue_detach(hm_queue_t *q, hm_consumer_t *c)
{
    for (int i = 0; i < c->attached->nelts; i++) {
        hm_attach_t *a = APR_ARRAY_IDX(c->attached, i, hm_attach_t *);
        if (a->q == q) {
            APR_RING_REMOVE(a, link);
            APR_ARRAY_IDX(c->attached, i, hm_attach_t *) =
                APR_ARRAY_IDX(c->attached, c->attached->nelts - 1, hm_attach_t *);
            c->attached->nelts--;
            if (q->exclusive == c)
                choose_exclusive(q);
            /* its groups move to whoever takes their next message */
            for (apr_hash_index_t *hi = q->groups ? apr_hash_first(NULL, q->groups) : NULL; hi; hi = apr_hash_next(hi)) {
                const void *k;
                void *v;
                apr_hash_this(hi, &k, NULL, &v);
                if (v == c)
                    apr_hash_set(q->groups, k, APR_HASH_KEY_STRING, NULL);
            }
            return;
        }
    }
}
