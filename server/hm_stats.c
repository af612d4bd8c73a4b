/* The statistics plugin (ActiveMQ's statisticsBrokerPlugin): a message sent to
 * ActiveMQ.Statistics.Destination.<name> (a name or wildcard; a queue request asks about queues,
 * a topic request about topics) or ActiveMQ.Statistics.Broker is answered with one map message
 * per matching destination, sent to its JMSReplyTo with the request's JMSCorrelationID.  With the
 * boolean property ActiveMQ.Statistics.Destination.List.End.With.Null an empty map ends the list. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hm_int.h"
#include "sel.h"
#include "st.h"
#include "st_temp.h"

#define STATS_DEST   "ActiveMQ.Statistics.Destination"
#define STATS_BROKER "ActiveMQ.Statistics.Broker"
#define STATS_END    "ActiveMQ.Statistics.Destination.List.End.With.Null"

/* The counters of one reply, in the order of `names`. */
enum { V_SIZE, V_ENQ, V_DEQ, V_DISP, V_EXP, V_INFL, V_CONS, V_PROD, V_MEM, V_MEMLIM, V_MEMPCT,
       V_BLOCKED, V_STORE, V_STORELIM, V_STOREPCT, V_TEMPLIM, V_TEMPPCT, NVALUES };
/* blockedSends is hermod's own: sends held or refused by producer flow control */
static const char *const names[NVALUES] = {
    "size", "enqueueCount", "dequeueCount", "dispatchCount", "expiredCount", "inflightCount",
    "consumerCount", "producerCount", "memoryUsage", "memoryLimit", "memoryPercentUsage",
    "blockedSends", "storeUsage", "storeLimit", "storePercentUsage", "tempLimit", "tempPercentUsage" };
#define NDEST_VALUES (V_BLOCKED + 1)   /* a destination's reply stops before the broker's usage */

static const hm_msg_origin_t stats_origin = { "core", 0, NULL, NULL, NULL, NULL };

static int64_t percent(uint64_t used, int64_t limit)
{
    if (limit <= 0)
        return 0;
    int64_t p = (int64_t)(used * 100 / (uint64_t)limit);
    return p > 100 ? 100 : p;
}

/* One reply (dest NULL: the broker's, or with nvalues 0 the empty end-of-list map): the fields
 * and their strings live in the message's own allocation. */
static void reply(hm_broker_t *b, const hm_msg_t *req, const char *dest, const int64_t *v, int nvalues)
{
    const char *dn = dest ? dest : "";
    size_t nl = strlen(dn) + 1, bl = strlen(b->name) + 1, il = strlen(b->id) + 1;
    char idbuf[96];
    snprintf(idbuf, sizeof idbuf, "ID:%s-stats:1:1:1:%llu", b->id, (unsigned long long)(b->next_seq + 1));
    size_t ml = strlen(idbuf) + 1;
    /* the request goes away once answered; the reply may wait in its queue longer */
    size_t rl = strlen(req->reply_to.name) + 1, cl = req->correlation_id ? strlen(req->correlation_id) + 1 : 0;
    void *extra;
    hm_msg_t *m = hm_msg_new(sizeof(hm_field_t) * (NVALUES + 3) + nl + bl + il + ml + rl + cl, &extra);
    if (!m)
        return;
    hm_field_t *f = extra;
    char *s = (char *)(f + NVALUES + 3);
    int n = 0;
    if (nvalues) {
        if (dest)
            f[n++] = (hm_field_t){ "destinationName", 1, memcpy(s, dn, nl), 0 };
        s += nl;
        f[n++] = (hm_field_t){ "brokerName", 1, memcpy(s, b->name, bl), 0 };
        s += bl;
        f[n++] = (hm_field_t){ "brokerId", 1, memcpy(s, b->id, il), 0 };
        s += il;
        for (int i = 0; i < nvalues; i++)
            f[n++] = (hm_field_t){ names[i], 0, NULL, v[i] };
    } else {
        s += nl + bl + il;
    }
    m->fields = f;
    m->nfields = n;
    m->message_id = memcpy(s, idbuf, ml);
    s += ml;
    m->dest.kind = req->reply_to.kind;
    m->dest.name = memcpy(s, req->reply_to.name, rl);
    s += rl;
    /* as ActiveMQ: none when the request had none */
    m->correlation_id = cl ? memcpy(s, req->correlation_id, cl) : NULL;
    m->timestamp = apr_time_as_msec(apr_time_now());
    m->priority = 4;                           /* Message.DEFAULT_PRIORITY, as ActiveMQ sends it */
    m->origin = &stats_origin;
    char err[128];
    hm_plan_t pl;
    hm_pbatch_t pb = { NULL, 0, 0 };
    if (hm_plan_route(b, m, &pb, &pl, err, sizeof err) == APR_SUCCESS)
        hm_plan_apply(b, &pl);
    else
        hm_plan_free(&pl);
    hm_msg_unref(m);
}

/* A queue's counters (or a topic subscription's private queue's, summed into a topic's). */
static void queue_values(hm_broker_t *b, const hm_queue_t *q, int64_t v[NVALUES])
{
    /* a queue without a limit of its own may use the broker's, as on ActiveMQ */
    int64_t limit = q->policy.memory_limit > 0 ? q->policy.memory_limit : b->opts.memory_limit;
    v[V_SIZE] += (int64_t)(hm_queue_pending(q) + q->inflight_count);
    v[V_ENQ] += (int64_t)q->enqueued;
    v[V_DEQ] += (int64_t)q->dequeued;
    v[V_DISP] += (int64_t)q->dispatched;
    v[V_EXP] += (int64_t)q->expired;
    v[V_INFL] += (int64_t)q->inflight_count;
    v[V_CONS] += (int64_t)hm_queue_consumer_count(q);
    v[V_MEM] += (int64_t)q->mem_used;
    v[V_MEMLIM] = limit;
    v[V_MEMPCT] = percent((uint64_t)v[V_MEM], limit);
    v[V_BLOCKED] += (int64_t)q->blocked_sends;
}

static int wanted(const char *pattern, const char *name)
{
    return pattern && (hm_name_is_wildcard(pattern) ? hm_name_matches(pattern, name)
                                                    : strcmp(pattern, name) == 0);
}

static int bool_property(const hm_msg_t *m, const char *name)
{
    sel_value_t v = { .type = SEL_NULL };
    if (m->origin && m->origin->get_property)
        m->origin->get_property(m->origin_data, name, strlen(name), &v);
    return v.type == SEL_BOOL && v.u.b;
}

/* Topics: published counts its own; the rest is what its subscriptions hold and did. */
static void topic_replies(hm_broker_t *b, const hm_msg_t *req, const char *pattern, int64_t *total)
{
    for (apr_hash_index_t *hi = apr_hash_first(NULL, b->topics); hi; hi = apr_hash_next(hi)) {
        hm_topic_t *t = apr_hash_this_val(hi);
        /* temporary topics and advisory topics count in the broker's totals only */
        int listed = t->name.kind == HM_TOPIC && strncmp(t->name.name, "ActiveMQ.", 9) != 0;
        if (!listed && !total)
            continue;
        int64_t v[NVALUES] = { 0 };
        const hm_tsub_t *ts;
        APR_RING_FOREACH(ts, &t->subs, hm_tsub_s, link)
            queue_values(b, ts->sub->q, v);
        v[V_ENQ] = (int64_t)t->enqueued;
        v[V_PROD] = hm_adv_producer_count(b, t->name);
        if (total)
            for (int i = 0; i <= V_PROD; i++)
                total[i] += v[i];
        if (listed && wanted(pattern, t->name.name)) {
            char *dn = malloc(strlen(t->name.name) + 9);
            if (dn) {
                sprintf(dn, "topic://%s", t->name.name);
                reply(b, req, dn, v, NDEST_VALUES);
                free(dn);
            }
        }
    }
}

int hm_stats_request(hm_broker_t *b, const hm_msg_t *msg)
{
    const char *name = msg->dest.name;
    if (msg->dest.kind != HM_QUEUE && msg->dest.kind != HM_TOPIC)
        return 0;
    int broker = strcmp(name, STATS_BROKER) == 0;
    size_t pl = strlen(STATS_DEST);
    if (!broker && !(strncmp(name, STATS_DEST, pl) == 0 && (name[pl] == '.' || name[pl] == 0)))
        return 0;
    if (!msg->reply_to.name)
        return 1;                  /* nobody to answer: swallowed, as on ActiveMQ */
    const char *pattern = broker ? NULL : name[pl] ? name + pl + 1 : ">";
    int queues = broker || msg->dest.kind == HM_QUEUE;
    int64_t total[NVALUES] = { 0 };
    if (queues) {
        for (apr_hash_index_t *hi = apr_hash_first(NULL, b->queues); hi; hi = apr_hash_next(hi)) {
            hm_queue_t *q = apr_hash_this_val(hi);
            if (strncmp(q->name.name, "ActiveMQ.Statistics", 19) == 0)
                continue;
            int64_t v[NVALUES] = { 0 };
            queue_values(b, q, v);
            v[V_PROD] = hm_adv_producer_count(b, q->name);
            for (int i = 0; i <= V_PROD; i++)
                total[i] += v[i];
            if (q->name.kind == HM_QUEUE && wanted(pattern, q->name.name)) {   /* temporary: totals only */
                char *dn = malloc(strlen(q->name.name) + 9);
                if (dn) {
                    sprintf(dn, "queue://%s", q->name.name);
                    reply(b, msg, dn, v, NDEST_VALUES);
                    free(dn);
                }
            }
        }
    }
    if (!queues || broker)
        topic_replies(b, msg, broker ? NULL : pattern, broker ? total : NULL);
    if (broker) {
        uint64_t stored = b->store ? st_bytes(b->store) : 0;
        total[V_MEM] = (int64_t)b->mem_used;
        total[V_MEMLIM] = b->opts.memory_limit;
        total[V_MEMPCT] = percent(b->mem_used, b->opts.memory_limit);
        total[V_BLOCKED] = (int64_t)b->blocked_sends;
        total[V_STORE] = (int64_t)stored;
        total[V_STORELIM] = b->opts.store_limit;
        total[V_STOREPCT] = percent(stored, b->opts.store_limit);
        total[V_TEMPLIM] = b->opts.temp_limit;
        total[V_TEMPPCT] = b->temp ? percent(st_temp_used(b->temp), b->opts.temp_limit) : 0;
        reply(b, msg, NULL, total, NVALUES);
    } else if (bool_property(msg, STATS_END)) {
        reply(b, msg, NULL, NULL, 0);
    }
    return 1;
}

int hm_stats_intercept(hm_broker_t *b, hm_msg_t *msg, hm_send_done_fn done, void *baton,
                       apr_status_t *st, char *err, size_t errlen)
{
    if (!b->opts.statistics || !hm_stats_request(b, msg))
        return 0;
    *st = APR_SUCCESS;
    if (done)
        done(baton, APR_SUCCESS);
    return 1;
}
