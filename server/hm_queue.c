/* A queue's contents in priority-then-arrival order, and dispatch to its consumers. */
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "hm_int.h"

/* seq 0 takes the next arrival number; recovery passes the stored one. */
apr_status_t hm_queue_put(hm_queue_t *q, hm_msg_t *msg, int32_t redelivery_count, const char *via,
                          uint64_t seq, hm_qentry_t **out)
{
    hm_qentry_t *e = calloc(1, sizeof *e);
    if (!e)
        return APR_ENOMEM;
    if (via && !(e->via = strdup(via))) {
        free(e);
        return APR_ENOMEM;
    }
    int p = msg->priority < 0 ? 0 : msg->priority >= HM_PRIORITIES ? HM_PRIORITIES - 1 : msg->priority;
    e->msg = hm_msg_ref(msg);
    e->seq = seq ? seq : ++q->next_seq;
    e->redelivery_count = redelivery_count;
    APR_RING_INSERT_TAIL(&q->avail[p], e, hm_qentry_s, link);
    q->avail_count++;
    *out = e;
    return APR_SUCCESS;
}

void hm_queue_entry_free(hm_queue_t *q, hm_qentry_t *e)
{
    hm_msg_unref(e->msg);
    free(e->via);
    free(e);
}

static int prio_of(const hm_qentry_t *e)
{
    int p = e->msg->priority;
    return p < 0 ? 0 : p >= HM_PRIORITIES ? HM_PRIORITIES - 1 : p;
}

/* A returned entry goes back to its place by arrival order (usually the head). */
void hm_queue_return(hm_queue_t *q, hm_qentry_t *e)
{
    struct hm_qentry_ring_s *r = &q->avail[prio_of(e)];
    hm_qentry_t *at;
    for (at = APR_RING_FIRST(r); at != APR_RING_SENTINEL(r, hm_qentry_s, link);
         at = APR_RING_NEXT(at, link)) {
        if (at->seq > e->seq)
            break;
    }
    APR_RING_INSERT_BEFORE(at, e, link);
    q->inflight_count--;
    q->avail_count++;
}

/* The first available entry this consumer takes; expired entries met on the way are dropped. */
static hm_qentry_t *find_entry(hm_queue_t *q, hm_consumer_t *c, apr_time_t now)
{
    for (int p = HM_PRIORITIES - 1; p >= 0; p--) {
        struct hm_qentry_ring_s *r = &q->avail[p];
        hm_qentry_t *e = APR_RING_FIRST(r);
        while (e != APR_RING_SENTINEL(r, hm_qentry_s, link)) {
            hm_qentry_t *next = APR_RING_NEXT(e, link);
            if (hm_msg_expired(e->msg, now)) {
                hm_pbatch_t pb = { NULL, 0, 0 };
                char cause[96];
                snprintf(cause, sizeof cause, "java.lang.Throwable: Message Expired. Expiration:%lld",
                         (long long)e->msg->expiration);
                APR_RING_REMOVE(e, link);
                q->avail_count--;
                hm_dead_letter(q->b, q, e->msg, 1, cause, &pb);
                hm_persist_remove(q->b, &pb, q, e);
                hm_persist_commit(&pb, NULL, NULL);
                hm_queue_entry_free(q, e);
            } else if (hm_consumer_wants(c, e->msg, e->redelivery_count)) {
                return e;
            }
            e = next;
        }
    }
    return NULL;
}

/* Round-robin: each pass offers one message to every consumer with credit, rotating the ring so
 * the next pass starts with the consumer after the last one served. */
void hm_queue_dispatch(hm_queue_t *q)
{
    if (q->dispatching)
        return;
    q->dispatching = 1;
    apr_time_t now = apr_time_now();
    int progress = 1;
    while (progress && q->avail_count > 0) {
        progress = 0;
        size_t n = 0;
        hm_attach_t *a;
        APR_RING_FOREACH(a, &q->consumers, hm_attach_s, link)
            n++;
        for (size_t i = 0; i < n && q->avail_count > 0; i++) {
            a = APR_RING_FIRST(&q->consumers);
            APR_RING_REMOVE(a, link);
            APR_RING_INSERT_TAIL(&q->consumers, a, hm_attach_s, link);
            if (!hm_consumer_has_credit(a->c))
                continue;
            hm_qentry_t *e = find_entry(q, a->c, now);
            if (!e)
                continue;
            APR_RING_REMOVE(e, link);
            q->avail_count--;
            q->inflight_count++;
            hm_consumer_hand(a->c, q, e);
            progress = 1;
        }
    }
    q->dispatching = 0;
}

void hm_queue_attach(hm_queue_t *q, hm_consumer_t *c)
{
    hm_attach_t *a = apr_pcalloc(c->pool, sizeof *a);
    a->c = c;
    a->q = q;
    APR_RING_INSERT_TAIL(&q->consumers, a, hm_attach_s, link);
    APR_ARRAY_PUSH(c->attached, hm_attach_t *) = a;
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
            return;
        }
    }
}
