/* Memory limits and producer flow control (ActiveMQ's <memoryUsage> and a policy entry's
 * memoryLimit/producerFlowControl), and each destination's own expiry sweep period.
 *
 * What counts: every message a queue holds, waiting or in flight to a consumer, at its size
 * (ActiveMQ's Message.getSize()), against the queue's limit and the broker's.  A topic
 * subscription's own queue counts the same way against the topic's policy limit, so one slow
 * subscriber fills it and holds the topic's producers, as ActiveMQ does by default.  Durable
 * subscriptions are not counted (ActiveMQ keeps their backlog in the store, not in memory).
 *
 * Why check before routing: as on ActiveMQ, a send is accepted while the destination is below
 * its limit (the last one may go over it) and held once it is at or above. */
#include <stdio.h>
#include <string.h>

#include "hm_int.h"
#include "hm_log.h"
#include "st_temp.h"

#define DEFAULT_EXPIRE_MS 30000

void hm_usage_policy(hm_broker_t *b, hm_queue_t *q, hm_dname_t policy_of)
{
    q->policy.memory_limit = 0;
    q->policy.producer_flow_control = 1;
    q->policy.expire_period_ms = b->opts.expire_period_ms > 0 ? b->opts.expire_period_ms : DEFAULT_EXPIRE_MS;
    q->policy.pending_limit = -1;
    q->policy.send_fail_if_no_space = -1;
    q->policy.send_fail_after_ms = 0;
    q->policy.memory_only = 0;
    q->policy.spill_pct = 0;
    if (b->opts.policy && policy_of.name)
        b->opts.policy(b->opts.policy_baton, policy_of, &q->policy);
    if (q->policy.expire_period_ms > 0)
        q->next_expire = apr_time_now() + apr_time_from_msec(q->policy.expire_period_ms);
}

static int counted(const hm_queue_t *q)
{
    return !(q->sub && q->sub->key);
}

/* Why persistent messages on queues are left out: with ActiveMQ's default store cursor a
 * queue's persistent messages live in the store and only a cache of them in memory, so a
 * backlog of persistent messages never holds their producers (the store limit does).  hermod
 * keeps them in memory too, so its memory grows with such a backlog; the store limit bounds it.
 * Non-persistent messages and topic subscriptions' copies count, as with a vm cursor. */
int hm_usage_charged(const hm_queue_t *q, const hm_msg_t *m)
{
    return counted(q) && !(m->persistent && q->b->store && q->name.kind == HM_QUEUE && !q->sub);
}

/* 0 under the limit, 1 at or over it, 2 at or over HM_NOPFC_FACTOR times it. */
static int broker_level(const hm_broker_t *b)
{
    uint64_t lim = (uint64_t)b->opts.memory_limit;
    if (b->opts.memory_limit <= 0 || b->mem_used < lim)
        return 0;
    return b->mem_used >= lim * HM_NOPFC_FACTOR ? 2 : 1;
}

int hm_usage_above(const hm_queue_t *q, int pct)
{
    const hm_broker_t *b = q->b;
    if (b->opts.memory_limit > 0 && b->mem_used * 100 >= (uint64_t)b->opts.memory_limit * (uint64_t)pct)
        return 1;
    return q->policy.memory_limit > 0 && q->mem_used * 100 >= (uint64_t)q->policy.memory_limit * (uint64_t)pct;
}

static int queue_full(const hm_queue_t *q)
{
    return q->policy.memory_limit > 0 && q->mem_used >= (uint64_t)q->policy.memory_limit;
}

static void wake_waiters(hm_broker_t *b)
{
    hm_space_waiter_t *w = b->waiters;
    b->waiters = NULL;
    while (w) {
        hm_space_waiter_t *next = w->next;
        w->next = NULL;
        w->prevp = NULL;
        w->fn(w->baton);
        w = next;
    }
}

void hm_usage_temp_freed(hm_broker_t *b)
{
    if (b->waiters)
        wake_waiters(b);
}

void hm_usage_charge(hm_queue_t *q, const hm_msg_t *m)
{
    if (!hm_usage_charged(q, m))
        return;
    hm_broker_t *b = q->b;
    q->mem_used += m->size;
    b->mem_used += m->size;
    if (queue_full(q))
        q->mem_full = 1;
    int level = broker_level(b);
    if (level > b->mem_full)
        b->mem_full = level;
}

void hm_usage_release(hm_queue_t *q, const hm_msg_t *m)
{
    if (!hm_usage_charged(q, m))
        return;
    hm_broker_t *b = q->b;
    q->mem_used = q->mem_used >= m->size ? q->mem_used - m->size : 0;
    b->mem_used = b->mem_used >= m->size ? b->mem_used - m->size : 0;
    int wake = 0;
    if (q->mem_full && !queue_full(q)) {
        q->mem_full = 0;
        wake = 1;
    }
    int level = broker_level(b);
    if (level < b->mem_full) {
        b->mem_full = level;
        wake = 1;
    }
    if (wake && b->waiters)
        wake_waiters(b);
}

void hm_space_wait(hm_broker_t *b, hm_space_waiter_t *w)
{
    hm_lock(b);
    if (!w->prevp) {
        w->next = b->waiters;
        if (w->next)
            w->next->prevp = &w->next;
        w->prevp = &b->waiters;
        b->waiters = w;
    }
    hm_unlock(b);
}

void hm_space_cancel(hm_broker_t *b, hm_space_waiter_t *w)
{
    hm_lock(b);
    if (w->prevp) {
        *w->prevp = w->next;
        if (w->next)
            w->next->prevp = w->prevp;
        w->next = NULL;
        w->prevp = NULL;
    }
    hm_unlock(b);
}

/* Whether sends to q are held now: its own limit (with flow control on), or the broker's. */
static int queue_blocks(const hm_broker_t *b, const hm_queue_t *q)
{
    int level = broker_level(b);
    if (!q->policy.producer_flow_control)
        return level >= 2;
    return queue_full(q) || level >= 1;
}

static apr_status_t flow_err(const hm_queue_t *q, const char *qualified, const char *name,
                             const hm_broker_t *b, char *err, size_t errlen)
{
    int64_t limit = queue_full(q) ? q->policy.memory_limit : b->opts.memory_limit;
    snprintf(err, errlen, "%s%s\n%lld", qualified, name, (long long)limit);
    return HM_EFLOW;
}

/* A topic holds its producers while one of its (non-durable) subscriptions is full. */
static apr_status_t check_topic(hm_broker_t *b, hm_dest_kind_e kind, const char *name, char *err,
                                size_t errlen)
{
    const char *qual = kind == HM_TOPIC ? "topic://" : "temp-topic://";
    hm_topic_t *t = hm_topic_find(b, kind, name);
    if (t) {
        hm_tsub_t *ts;
        APR_RING_FOREACH(ts, &t->subs, hm_tsub_s, link) {
            if (counted(ts->sub->q) && queue_blocks(b, ts->sub->q))
                return flow_err(ts->sub->q, qual, name, b, err, errlen);
        }
    }
    hm_sub_t *s;
    APR_RING_FOREACH(s, &b->wild_topic_subs, hm_sub_s, wild_link) {
        if (!counted(s->q) || !queue_blocks(b, s->q))
            continue;
        for (int i = 0; i < s->parts->nelts; i++) {
            const char *pat = APR_ARRAY_IDX(s->parts, i, char *);
            if (hm_name_is_wildcard(pat) && hm_name_matches(pat, name))
                return flow_err(s->q, qual, name, b, err, errlen);
        }
    }
    if (broker_level(b) >= 1) {
        /* nobody subscribed yet: only the broker's limit applies, with the topic's policy */
        hm_queue_t probe;
        memset(&probe, 0, sizeof probe);
        hm_usage_policy(b, &probe, (hm_dname_t){ kind, name });
        if (queue_blocks(b, &probe))
            return flow_err(&probe, qual, name, b, err, errlen);
    }
    return APR_SUCCESS;
}

/* Why only a full temporary storage holds what would spill: past the memory high-water mark
 * it goes there instead of waiting (ActiveMQ's Queue.checkUsage holds a non-persistent send
 * when tempUsage is full, and its file cursor spills before memory fills).  err gets a third
 * line, the percentage, which names the temporary storage in the producer's exception. */
static apr_status_t temp_err(const hm_broker_t *b, hm_dest_kind_e kind, const char *name,
                             char *err, size_t errlen)
{
    uint64_t used = st_temp_used(b->temp), lim = st_temp_limit(b->temp);
    snprintf(err, errlen, "%s%s\n%llu\n%llu", HM_KIND_IS_QUEUE(kind) ?
             (kind == HM_QUEUE ? "queue://" : "temp-queue://") : (kind == HM_TOPIC ? "topic://" : "temp-topic://"),
             name, (unsigned long long)lim, (unsigned long long)(lim ? used * 100 / lim : 0));
    return HM_EFLOW;
}

/* Whether what goes to the destination spills when memory is short: not with a vm cursor
 * policy (a topic: when one of its subscriptions has one). */
static int spills(hm_broker_t *b, hm_dest_kind_e kind, const char *name)
{
    if (!b->temp)
        return 0;
    if (HM_KIND_IS_QUEUE(kind)) {
        hm_queue_t *q = hm_queue_find(b, kind, name), probe;
        if (!q) {
            memset(&probe, 0, sizeof probe);
            hm_usage_policy(b, &probe, (hm_dname_t){ kind, name });
            q = &probe;
        }
        return !q->policy.memory_only;
    }
    hm_topic_t *t = hm_topic_find(b, kind, name);
    hm_tsub_t *ts;
    if (t)
        APR_RING_FOREACH(ts, &t->subs, hm_tsub_s, link) {
            if (counted(ts->sub->q) && ts->sub->q->policy.memory_only)
                return 0;
        }
    return 1;
}

static apr_status_t check_one(hm_broker_t *b, hm_dest_kind_e kind, const char *name, int persistent,
                              char *err, size_t errlen)
{
    if (persistent && b->store && kind == HM_QUEUE)
        return APR_SUCCESS;        /* not held for memory: see hm_usage_charged() */
    if (spills(b, kind, name))
        return st_temp_full(b->temp) ? temp_err(b, kind, name, err, errlen) : APR_SUCCESS;
    if (HM_KIND_IS_QUEUE(kind)) {
        hm_queue_t *q = hm_queue_find(b, kind, name);
        hm_queue_t probe;
        if (!q) {
            if (broker_level(b) == 0)
                return APR_SUCCESS;
            memset(&probe, 0, sizeof probe);
            hm_usage_policy(b, &probe, (hm_dname_t){ kind, name });
            q = &probe;
        }
        if (queue_blocks(b, q))
            return flow_err(q, kind == HM_QUEUE ? "queue://" : "temp-queue://", name, b, err, errlen);
        return APR_SUCCESS;
    }
    return check_topic(b, kind, name, err, errlen);
}

apr_status_t hm_usage_check_locked(hm_broker_t *b, const hm_msg_t *msg, char *err, size_t errlen)
{
    const char *names = msg->dest.name;
    if (!names)
        return APR_SUCCESS;
    if (!strchr(names, ','))
        return check_one(b, msg->dest.kind, names, msg->persistent, err, errlen);
    /* a composite: held when any part is (parts are checked in place, without copying) */
    char part[HM_MAX_DEST_NAME + 1];
    const char *p = names;
    while (*p) {
        const char *end = strchr(p, ',');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        if (len > 0 && len <= HM_MAX_DEST_NAME) {
            memcpy(part, p, len);
            part[len] = 0;
            hm_dest_kind_e kind = msg->dest.kind;
            const char *n = part;
            if (strncmp(n, "queue://", 8) == 0) {
                kind = HM_QUEUE;
                n += 8;
            } else if (strncmp(n, "topic://", 8) == 0) {
                kind = HM_TOPIC;
                n += 8;
            }
            apr_status_t st = *n ? check_one(b, kind, n, msg->persistent, err, errlen) : APR_SUCCESS;
            if (st)
                return st;
        }
        if (!end)
            break;
        p = end + 1;
    }
    return APR_SUCCESS;
}

apr_status_t hm_flow_check(hm_broker_t *b, const hm_msg_t *msg, char *err, size_t errlen)
{
    hm_lock(b);
    apr_status_t st = hm_usage_check_locked(b, msg, err, errlen);
    hm_unlock(b);
    return st;
}

void hm_flow_mode(hm_broker_t *b, hm_dname_t d, int *fail, int64_t *after_ms)
{
    hm_lock(b);
    hm_queue_t *q = HM_KIND_IS_QUEUE(d.kind) && d.name ? hm_queue_find(b, d.kind, d.name) : NULL;
    hm_queue_t probe;
    if (!q) {
        memset(&probe, 0, sizeof probe);
        hm_usage_policy(b, &probe, d);
        q = &probe;
    }
    int64_t after = q->policy.send_fail_after_ms > 0 ? q->policy.send_fail_after_ms : b->opts.send_fail_after_ms;
    *fail = q->policy.send_fail_if_no_space >= 0 ? q->policy.send_fail_if_no_space : b->opts.send_fail_if_no_space;
    /* as on ActiveMQ, a timeout makes producers fail once it has passed, not at once */
    *after_ms = after > 0 ? after : 0;
    if (q->policy.send_fail_after_ms > 0)
        *fail = 1;
    hm_unlock(b);
}

void hm_flow_blocked(hm_broker_t *b, hm_dname_t d)
{
    hm_lock(b);
    b->blocked_sends++;
    hm_queue_t *q = HM_KIND_IS_QUEUE(d.kind) && d.name ? hm_queue_find(b, d.kind, d.name) : NULL;
    apr_time_t now = apr_time_now(), *last = q ? &q->flow_logged : &b->topic_flow_logged;
    if (q)
        q->blocked_sends++;
    /* FULL.<type>.<name> advisory, by policy (advisoryWhenFull); usage named as ActiveMQ's */
    char usage_name[512];
    snprintf(usage_name, sizeof usage_name, "%s:%s:memory", b->name, d.name ? d.name : "");
    HM_EV_EACH(b, full, b, d, usage_name, (int64_t)(q ? q->mem_used : b->mem_used));
    /* as ActiveMQ (blockedProducerWarningInterval): at most every 30 s per destination */
    if ((!*last || now - *last >= apr_time_from_sec(HM_FLOW_LOG_INTERVAL_S)) &&
        d.name && spills(b, d.kind, d.name) && st_temp_full(b->temp)) {
        *last = now;
        uint64_t used = st_temp_used(b->temp), lim = st_temp_limit(b->temp);
        hm_warn("Temp Store is Full (%llu%% of %llu) on %s://%s: producers are held until consumers "
                "take spilled messages back.", (unsigned long long)(lim ? used * 100 / lim : 0),
                (unsigned long long)lim, HM_KIND_IS_QUEUE(d.kind) ? "queue" : "topic", d.name);
    } else if (!*last || now - *last >= apr_time_from_sec(HM_FLOW_LOG_INTERVAL_S)) {
        *last = now;
        int64_t limit = q && q->policy.memory_limit > 0 ? q->policy.memory_limit : b->opts.memory_limit;
        hm_warn("Usage Manager Memory Limit (%lld) reached on %s://%s, size %zu. Producers will be "
                "throttled to the rate at which messages are removed from this destination to "
                "prevent flooding it.", (long long)limit,
                d.kind == HM_QUEUE ? "queue" : d.kind == HM_TOPIC ? "topic"
                : d.kind == HM_TEMP_QUEUE ? "temp-queue" : "temp-topic",
                d.name ? d.name : "?", q ? q->avail_count + q->inflight_count : 0);
    }
    hm_unlock(b);
}

/* ActiveMQ's constantPendingMessageLimitStrategy: a non-durable subscriber that falls behind
 * loses its oldest undispatched messages rather than holding the topic's producers. */
void hm_usage_trim_locked(hm_queue_t *q)
{
    if (!q->sub || q->sub->key || q->policy.pending_limit < 0)
        return;
    while (q->avail_count > (size_t)q->policy.pending_limit) {
        hm_qentry_t *e = NULL;
        for (int p = 0; p < HM_PRIORITIES && !e; p++)
            if (!APR_RING_EMPTY(&q->avail[p], hm_qentry_s, link))
                e = APR_RING_FIRST(&q->avail[p]);
        if (!e)
            break;
        hm_queue_unlink(q, e);
        q->avail_count--;
        q->dequeued++;
        q->discarded++;
        hm_queue_entry_free(q, e);
    }
}

void hm_usage_expire_locked(hm_broker_t *b, apr_time_t now)
{
    size_t n = 0;
    for (apr_hash_index_t *hi = apr_hash_first(NULL, b->queues); hi; hi = apr_hash_next(hi)) {
        hm_queue_t *q = apr_hash_this_val(hi);
        if (q->policy.expire_period_ms <= 0 || now < q->next_expire)
            continue;
        q->next_expire = now + apr_time_from_msec(q->policy.expire_period_ms);
        n += hm_queue_expire(q, now);
    }
    if (n)
        hm_debug("expiry sweep: %zu expired messages removed", n);
}
