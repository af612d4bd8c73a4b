/* The statistics plugin (ActiveMQ's statisticsBrokerPlugin): a message sent to
 * ActiveMQ.Statistics.Destination.<name> (a name or wildcard) or ActiveMQ.Statistics.Broker is
 * answered with one map message per matching destination, sent to its JMSReplyTo. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hm_int.h"

#define STATS_DEST   "ActiveMQ.Statistics.Destination"
#define STATS_BROKER "ActiveMQ.Statistics.Broker"
#define NVALUES 12
#define NFIELDS (NVALUES + 3)

static const hm_msg_origin_t stats_origin = { "core", 0, NULL, NULL, NULL, NULL };

/* One reply: the fields and their strings live in the message's own allocation. */
static void reply(hm_broker_t *b, const hm_msg_t *req, const char *dest_name, const int64_t v[NVALUES])
{
    /* blockedSends is hermod's own: sends held or refused by producer flow control */
    static const char *const names[NVALUES] = { "size", "enqueueCount", "dequeueCount", "dispatchCount",
                                                "expiredCount", "inflightCount", "consumerCount", "producerCount",
                                                "memoryUsage", "memoryLimit", "memoryPercentUsage",
                                                "blockedSends" };
    size_t nl = strlen(dest_name) + 1, bl = strlen(b->name) + 1, il = strlen(b->id) + 1;
    char idbuf[96];
    snprintf(idbuf, sizeof idbuf, "ID:%s-stats:1:1:1:%llu", b->id, (unsigned long long)(b->next_seq + 1));
    size_t ml = strlen(idbuf) + 1;
    void *extra;
    hm_msg_t *m = hm_msg_new(sizeof(hm_field_t) * NFIELDS + nl + bl + il + ml, &extra);
    if (!m)
        return;
    hm_field_t *f = extra;
    char *s = (char *)(f + NFIELDS);
    int n = 0;
    f[n++] = (hm_field_t){ "destinationName", 1, memcpy(s, dest_name, nl), 0 };
    s += nl;
    f[n++] = (hm_field_t){ "brokerName", 1, memcpy(s, b->name, bl), 0 };
    s += bl;
    f[n++] = (hm_field_t){ "brokerId", 1, memcpy(s, b->id, il), 0 };
    s += il;
    for (int i = 0; i < NVALUES; i++)
        f[n++] = (hm_field_t){ names[i], 0, NULL, v[i] };
    m->fields = f;
    m->nfields = n;
    m->message_id = memcpy(s, idbuf, ml);
    m->dest = req->reply_to;
    m->correlation_id = req->correlation_id ? req->correlation_id : req->message_id;
    m->timestamp = apr_time_as_msec(apr_time_now());
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

static void count_consumers(const hm_queue_t *q, int64_t *n)
{
    const hm_attach_t *a;
    APR_RING_FOREACH(a, &q->consumers, hm_attach_s, link)
        (*n)++;
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
    int64_t total[NVALUES] = { 0 };
    for (apr_hash_index_t *hi = apr_hash_first(NULL, b->queues); hi; hi = apr_hash_next(hi)) {
        hm_queue_t *q = apr_hash_this_val(hi);
        if (strncmp(q->name.name, "ActiveMQ.Statistics", 19) == 0)
            continue;
        /* a queue without a limit of its own may use the broker's, as on ActiveMQ */
        int64_t limit = q->policy.memory_limit > 0 ? q->policy.memory_limit : b->opts.memory_limit;
        int64_t v[NVALUES] = { (int64_t)(q->avail_count + q->inflight_count), (int64_t)q->enqueued,
                               (int64_t)q->dequeued, (int64_t)q->dispatched, (int64_t)q->expired,
                               (int64_t)q->inflight_count, 0, 0, (int64_t)q->mem_used, limit,
                               limit > 0 ? (int64_t)q->mem_used * 100 / limit : 0,
                               (int64_t)q->blocked_sends };
        count_consumers(q, &v[6]);
        for (int i = 0; i < 8; i++)
            total[i] += v[i];
        if (pattern && (hm_name_is_wildcard(pattern) ? hm_name_matches(pattern, q->name.name)
                                                     : strcmp(pattern, q->name.name) == 0))
            reply(b, msg, q->name.name, v);
    }
    if (broker) {
        total[8] = (int64_t)b->mem_used;
        total[9] = b->opts.memory_limit;
        total[10] = b->opts.memory_limit > 0 ? (int64_t)b->mem_used * 100 / b->opts.memory_limit : 0;
        total[11] = (int64_t)b->blocked_sends;
        reply(b, msg, "", total);
    }
    return 1;
}
