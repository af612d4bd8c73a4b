/* Snapshots of the broker for operators (hm_admin.h): destinations with their statistics,
 * connections, consumers and the broker's usage, copied out under the broker lock. */
#include <stdlib.h>
#include <string.h>

#include <apr_atomic.h>
#include <apr_strings.h>

#include "hm_admin.h"
#include "hm_int.h"
#include "st.h"
#include "st_temp.h"

/* A queue's numbers, added into d (a topic sums its subscriptions' private queues). */
static void add_queue(hm_broker_t *b, const hm_queue_t *q, hm_admin_dest_t *d)
{
    d->pending += hm_queue_pending(q);
    d->inflight += q->inflight_count;
    d->consumers += hm_queue_consumer_count(q);
    d->dequeued += q->dequeued;
    d->dispatched += q->dispatched;
    d->expired += q->expired;
    d->dead_lettered += q->dead_lettered;
    d->blocked_sends += q->blocked_sends;
    d->memory_bytes += q->mem_used;
    d->memory_limit = q->policy.memory_limit > 0 ? q->policy.memory_limit : b->opts.memory_limit;
}

/* Operators see what applications made: not temporary destinations, advisory topics or the
 * statistics plugin's request names. */
static int listed(hm_dname_t n)
{
    if (n.kind == HM_QUEUE)
        return strncmp(n.name, "ActiveMQ.Statistics", 19) != 0;
    return n.kind == HM_TOPIC && strncmp(n.name, "ActiveMQ.", 9) != 0;
}

static int dest_order(const void *a, const void *b)
{
    const hm_admin_dest_t *x = a, *y = b;
    if (x->name.kind != y->name.kind)
        return x->name.kind < y->name.kind ? -1 : 1;
    return strcmp(x->name.name, y->name.name);
}

apr_status_t hm_admin_dests(hm_broker_t *b, apr_pool_t *pool, apr_array_header_t **out)
{
    hm_lock(b);
    apr_array_header_t *a = apr_array_make(pool, (int)(apr_hash_count(b->queues) + apr_hash_count(b->topics) + 1),
                                           sizeof(hm_admin_dest_t));
    for (apr_hash_index_t *hi = apr_hash_first(NULL, b->queues); hi; hi = apr_hash_next(hi)) {
        hm_queue_t *q = apr_hash_this_val(hi);
        if (!listed(q->name))
            continue;
        hm_admin_dest_t *d = apr_array_push(a);
        memset(d, 0, sizeof *d);
        d->name.kind = q->name.kind;
        d->name.name = apr_pstrdup(pool, q->name.name);
        add_queue(b, q, d);
        d->enqueued = q->enqueued;
        d->producers = (uint64_t)hm_adv_producer_count(b, q->name);
        d->paused = q->paused;
    }
    for (apr_hash_index_t *hi = apr_hash_first(NULL, b->topics); hi; hi = apr_hash_next(hi)) {
        hm_topic_t *t = apr_hash_this_val(hi);
        if (!listed(t->name))
            continue;
        hm_admin_dest_t *d = apr_array_push(a);
        memset(d, 0, sizeof *d);
        d->name.kind = t->name.kind;
        d->name.name = apr_pstrdup(pool, t->name.name);
        const hm_tsub_t *ts;
        APR_RING_FOREACH(ts, &t->subs, hm_tsub_s, link)
            add_queue(b, ts->sub->q, d);
        d->enqueued = t->enqueued;
        d->producers = (uint64_t)hm_adv_producer_count(b, t->name);
        if (!d->memory_limit)
            d->memory_limit = b->opts.memory_limit;
    }
    hm_unlock(b);
    qsort(a->elts, (size_t)a->nelts, sizeof(hm_admin_dest_t), dest_order);
    *out = a;
    return APR_SUCCESS;
}

void hm_admin_broker(hm_broker_t *b, hm_admin_broker_t *out)
{
    memset(out, 0, sizeof *out);
    hm_lock(b);
    out->name = b->name;           /* both live as long as the broker */
    out->id = b->id;
    out->uptime_ms = (int64_t)apr_time_as_msec(apr_time_now() - b->started);
    const hm_client_t *c;
    APR_RING_FOREACH(c, &b->clients, hm_client_s, link)
        out->connections++;
    out->consumers = apr_hash_count(b->consumers);
    out->blocked_sends = b->blocked_sends;
    out->memory_bytes = b->mem_used;
    out->temp_bytes = b->temp ? st_temp_used(b->temp) : 0;
    hm_unlock(b);
    out->producers_held = apr_atomic_read32(&b->held_sends);
    out->memory_limit = b->opts.memory_limit;
    out->store_limit = b->opts.store_limit;
    out->temp_limit = b->opts.temp_limit;
    if (b->store) {
        st_stats_t s;
        st_counters(b->store, &s);
        out->has_store = 1;
        out->store_bytes = s.bytes;
        out->store_commits = s.commits;
        out->store_flushes = s.flushes;
    }
}

static const char *dup_or_null(apr_pool_t *pool, const char *s)
{
    return s ? apr_pstrdup(pool, s) : NULL;
}

apr_status_t hm_admin_conns(hm_broker_t *b, apr_pool_t *pool, apr_array_header_t **out)
{
    apr_array_header_t *a = apr_array_make(pool, 16, sizeof(hm_admin_conn_t));
    hm_lock(b);
    const hm_client_t *c;
    APR_RING_FOREACH(c, &b->clients, hm_client_s, link) {
        hm_admin_conn_t *x = apr_array_push(a);
        x->connection_id = dup_or_null(pool, c->connection_id);
        x->client_id = dup_or_null(pool, c->client_id);
        x->user = dup_or_null(pool, c->user);
        x->client_ip = dup_or_null(pool, c->client_ip);
        x->producers = c->producers ? apr_hash_count(c->producers) : 0;
        x->consumers = 0;
        const hm_consumer_t *k;
        APR_RING_FOREACH(k, &c->consumers, hm_consumer_s, link)
            x->consumers++;
    }
    hm_unlock(b);
    *out = a;
    return APR_SUCCESS;
}

apr_status_t hm_admin_consumers(hm_broker_t *b, apr_pool_t *pool, apr_array_header_t **out)
{
    apr_array_header_t *a = apr_array_make(pool, 16, sizeof(hm_admin_consumer_t));
    hm_lock(b);
    const hm_client_t *c;
    APR_RING_FOREACH(c, &b->clients, hm_client_s, link) {
        const hm_consumer_t *k;
        APR_RING_FOREACH(k, &c->consumers, hm_consumer_s, link) {
            hm_admin_consumer_t *x = apr_array_push(a);
            x->id = dup_or_null(pool, k->opts.id);
            x->connection_id = dup_or_null(pool, c->connection_id);
            x->client_id = dup_or_null(pool, c->client_id);
            x->dest.kind = k->opts.dest.kind;
            x->dest.name = dup_or_null(pool, k->opts.dest.name);
            x->selector = k->opts.selector && *k->opts.selector ? apr_pstrdup(pool, k->opts.selector) : NULL;
            x->durable_name = dup_or_null(pool, k->opts.durable_name);
            x->prefetch = k->opts.prefetch;
            x->browser = k->opts.browser;
            x->exclusive = k->opts.exclusive;
            x->priority = k->opts.priority;
            x->inflight = k->outstanding > 0 ? (uint64_t)k->outstanding : 0;
        }
    }
    hm_unlock(b);
    *out = a;
    return APR_SUCCESS;
}

apr_status_t hm_admin_producers(hm_broker_t *b, apr_pool_t *pool, apr_array_header_t **out)
{
    apr_array_header_t *a = apr_array_make(pool, 16, sizeof(hm_admin_producer_t));
    hm_lock(b);
    const hm_client_t *c;
    APR_RING_FOREACH(c, &b->clients, hm_client_s, link) {
        for (apr_hash_index_t *hi = c->producers ? apr_hash_first(NULL, c->producers) : NULL; hi;
             hi = apr_hash_next(hi)) {
            const hm_producer_t *p = apr_hash_this_val(hi);
            hm_admin_producer_t *x = apr_array_push(a);
            x->id = dup_or_null(pool, p->id);
            x->connection_id = dup_or_null(pool, c->connection_id);
            x->client_id = dup_or_null(pool, c->client_id);
            x->dest.kind = p->dest.kind;
            x->dest.name = dup_or_null(pool, p->dest.name);
        }
    }
    hm_unlock(b);
    *out = a;
    return APR_SUCCESS;
}

apr_status_t hm_admin_durables(hm_broker_t *b, apr_pool_t *pool, apr_array_header_t **out)
{
    apr_array_header_t *a = apr_array_make(pool, 16, sizeof(hm_admin_durable_t));
    hm_lock(b);
    for (apr_hash_index_t *hi = apr_hash_first(NULL, b->durables); hi; hi = apr_hash_next(hi)) {
        const hm_sub_t *s = apr_hash_this_val(hi);
        hm_admin_durable_t *x = apr_array_push(a);
        x->client_id = dup_or_null(pool, s->client_id);
        x->name = dup_or_null(pool, s->name);
        x->topic = dup_or_null(pool, s->topic);
        x->selector = s->selector_text && *s->selector_text ? apr_pstrdup(pool, s->selector_text) : NULL;
        x->active = s->active != NULL;
        x->pending = hm_queue_pending(s->q);
        x->inflight = s->q->inflight_count;
        x->enqueued = s->q->enqueued;
        x->dequeued = s->q->dequeued;
    }
    hm_unlock(b);
    *out = a;
    return APR_SUCCESS;
}

typedef struct jobs_baton_s {
    apr_pool_t *pool;
    apr_array_header_t *a;
} jobs_baton_t;

static void job_copy(void *baton, const char *job_id, const hm_msg_t *m, int64_t due_ms,
                     int64_t period_ms, int32_t repeat, int cron)
{
    jobs_baton_t *jb = baton;
    hm_admin_job_t *x = apr_array_push(jb->a);
    x->job_id = dup_or_null(jb->pool, job_id);
    x->message_id = dup_or_null(jb->pool, m->message_id);
    x->dest.kind = m->dest.kind;
    x->dest.name = dup_or_null(jb->pool, m->dest.name);
    x->due_ms = due_ms;
    x->period_ms = period_ms;
    x->repeat = repeat;
    x->cron = cron;
}

apr_status_t hm_admin_jobs(hm_broker_t *b, size_t max, apr_pool_t *pool, apr_array_header_t **out,
                           size_t *total)
{
    jobs_baton_t jb = { pool, apr_array_make(pool, 16, sizeof(hm_admin_job_t)) };
    hm_lock(b);
    *total = hm_sched_each_locked(b, max, job_copy, &jb);
    hm_unlock(b);
    *out = jb.a;
    return APR_SUCCESS;
}
