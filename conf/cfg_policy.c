/* <destinationPolicy><policyMap><policyEntries><policyEntry queue=">" .../>: per-destination
 * settings, matched later by cfg_policy_lookup (cfg_match.c). */
#include <string.h>

#include <apr_strings.h>

#include "cfg_int.h"

void cfg_policy_defaults(cfg_policy_t *p)
{
    memset(p, 0, sizeof *p);
    p->producer_flow_control = true;
    p->expire_messages_period_ms = 30000;
    p->max_page_size = 200;
    p->cursor_high_water = 70;
    p->max_browse_page_size = 400;
    p->use_cache = true;
    p->queue_prefetch = p->topic_prefetch = p->durable_topic_prefetch = -1;
    p->queue_browser_prefetch = -1;
    p->inactive_timeout_before_gc_ms = 60000;
    p->use_consumer_priority = true;
    p->enable_audit = true;
    p->max_audit_depth = 2048;
    p->max_producers_to_audit = 64;
    p->pending_message_limit = -1;
    p->max_destinations = -1;
    p->send_fail_if_no_space = -1;
    p->dispatch = CFG_DISPATCH_ROUND_ROBIN;
    p->dlq.kind = CFG_DLQ_SHARED;
    p->dlq.shared_queue = "ActiveMQ.DLQ";
    p->dlq.queue_prefix = "DLQ.";
    p->dlq.topic_prefix = "DLQ.";
    p->dlq.queue_suffix = "";
    p->dlq.topic_suffix = "";
    p->dlq.use_queue_for_queue_messages = true;
    p->dlq.use_queue_for_topic_messages = true;
    p->dlq.process_expired = true;
}

apr_status_t cfg_entry_destinations(cfg_ctx_t *ctx, const xmlNode *node, bool required,
                                    cfg_dest_kind_e *kind, apr_array_header_t **patterns)
{
    static const struct { const char *attr; cfg_dest_kind_e kind; bool flag; } kinds[] = {
        { "queue", CFG_DEST_QUEUE, false }, { "topic", CFG_DEST_TOPIC, false },
        { "tempQueue", CFG_DEST_TEMP_QUEUE, true }, { "tempTopic", CFG_DEST_TEMP_TOPIC, true },
    };
    const xmlAttr *found = NULL;
    apr_status_t rv;
    *patterns = NULL;
    for (size_t i = 0; i < CFG_NELEMS(kinds); i++) {
        const xmlAttr *a = cfg_attr_find(node, kinds[i].attr);
        const char *v;
        if (!a)
            continue;
        if (found)
            return cfg_fail(ctx, node, a, CFG_EVALUE, "give only one of queue=, topic=, "
                            "tempQueue=, tempTopic= per entry");
        found = a;
        if ((rv = cfg_attr_value(ctx, node, a, &v)) != APR_SUCCESS)
            return rv;
        *kind = kinds[i].kind;
        if (kinds[i].flag) {
            bool on;
            if ((rv = cfg_to_bool(ctx, node, a, v, &on)) != APR_SUCCESS)
                return rv;
            if (!on)
                return cfg_fail(ctx, node, a, CFG_EVALUE, "only \"true\" makes sense here");
            *patterns = apr_array_make(ctx->pool, 1, sizeof(const char *));
            *(const char **)apr_array_push(*patterns) = ">";
            continue;
        }
        *patterns = cfg_split_list(ctx->pool, v);
        if ((*patterns)->nelts == 0)
            return cfg_fail(ctx, node, a, CFG_EVALUE, "names no destination");
        for (int j = 0; j < (*patterns)->nelts; j++)
            if (strlen(APR_ARRAY_IDX(*patterns, j, const char *)) > CFG_MAX_NAME_BYTES)
                return cfg_fail(ctx, node, a, CFG_ETOOBIG, "a name longer than %d bytes",
                                CFG_MAX_NAME_BYTES);
    }
    if (!found && required)
        return cfg_fail(ctx, node, NULL, CFG_EMISSING, "needs queue=, topic=, tempQueue= or "
                        "tempTopic=");
    return APR_SUCCESS;
}

/* ---- dead letter strategies ---- */

#define D(n, k, f) CFG_ATTR(n, k, cfg_dlq_t, f, 0, 0)
static const cfg_attr_spec_t individual_attrs[] = {
    D("queuePrefix", CFG_A_STR, queue_prefix),
    D("topicPrefix", CFG_A_STR, topic_prefix),
    D("queueSuffix", CFG_A_STR, queue_suffix),
    D("topicSuffix", CFG_A_STR, topic_suffix),
    D("useQueueForQueueMessages", CFG_A_BOOL, use_queue_for_queue_messages),
    D("useQueueForTopicMessages", CFG_A_BOOL, use_queue_for_topic_messages),
    D("processExpired", CFG_A_BOOL, process_expired),
    D("processNonPersistent", CFG_A_BOOL, process_non_persistent),
    CFG_ATTR("expiration", CFG_A_I64, cfg_dlq_t, expiration_ms, 0, INT64_MAX),
    CFG_ATTR_NOTE("enableAudit", CFG_A_QUIET, NULL),
    CFG_ATTR_NOTE("maxProducersToAudit", CFG_A_QUIET, NULL),
    CFG_ATTR_NOTE("maxAuditDepth", CFG_A_QUIET, NULL),
    D("destinationPerDurableSubscriber", CFG_A_BOOL, destination_per_durable_subscriber),
};
static const cfg_attr_spec_t shared_attrs[] = {
    D("processExpired", CFG_A_BOOL, process_expired),
    D("processNonPersistent", CFG_A_BOOL, process_non_persistent),
    CFG_ATTR("expiration", CFG_A_I64, cfg_dlq_t, expiration_ms, 0, INT64_MAX),
    CFG_ATTR_NOTE("enableAudit", CFG_A_QUIET, NULL),
    CFG_ATTR_NOTE("maxProducersToAudit", CFG_A_QUIET, NULL),
    CFG_ATTR_NOTE("maxAuditDepth", CFG_A_QUIET, NULL),
};
#undef D

static apr_status_t dlq_queue(cfg_ctx_t *ctx, xmlNode *node, void *target)
{
    cfg_dlq_t *d = target;
    const xmlAttr *a = cfg_attr_find(node, "physicalName");
    static const cfg_attr_spec_t attrs[] = { CFG_ATTR_NOTE("physicalName", CFG_A_SKIP, NULL) };
    apr_status_t rv = cfg_attrs(ctx, node, attrs, 1, NULL);
    if (rv == APR_SUCCESS && !a)
        rv = cfg_fail(ctx, node, NULL, CFG_EMISSING, "attribute \"physicalName\" is required");
    if (rv == APR_SUCCESS)
        rv = cfg_attr_value(ctx, node, a, &d->shared_queue);
    if (rv == APR_SUCCESS && !*d->shared_queue)
        rv = cfg_fail(ctx, node, a, CFG_EVALUE, "must not be empty");
    return rv;
}

static apr_status_t dlq_holder(cfg_ctx_t *ctx, xmlNode *node, void *target)
{
    static const cfg_elem_spec_t children[] = {
        { "queue", CFG_E_PARSE, dlq_queue, NULL },
        { "topic", CFG_E_REFUSE, NULL, "a dead letter destination must be a queue" },
    };
    apr_status_t rv = cfg_attrs(ctx, node, NULL, 0, NULL);
    return rv ? rv : cfg_children(ctx, node, children, CFG_NELEMS(children), target);
}

static apr_status_t individual(cfg_ctx_t *ctx, xmlNode *node, void *target)
{
    cfg_dlq_t *d = target;
    d->kind = CFG_DLQ_INDIVIDUAL;
    apr_status_t rv = cfg_attrs(ctx, node, individual_attrs, CFG_NELEMS(individual_attrs), d);
    return rv ? rv : cfg_children(ctx, node, NULL, 0, NULL);
}

static apr_status_t shared(cfg_ctx_t *ctx, xmlNode *node, void *target)
{
    static const cfg_elem_spec_t children[] = {
        { "deadLetterQueue", CFG_E_PARSE, dlq_holder, NULL },
    };
    cfg_dlq_t *d = target;
    d->kind = CFG_DLQ_SHARED;
    apr_status_t rv = cfg_attrs(ctx, node, shared_attrs, CFG_NELEMS(shared_attrs), d);
    return rv ? rv : cfg_children(ctx, node, children, CFG_NELEMS(children), d);
}

static apr_status_t discarding(cfg_ctx_t *ctx, xmlNode *node, void *target)
{
    cfg_dlq_t *d = target;
    d->kind = CFG_DLQ_DISCARD;
    apr_status_t rv = cfg_attrs(ctx, node, shared_attrs, CFG_NELEMS(shared_attrs), d);
    return rv ? rv : cfg_children(ctx, node, NULL, 0, NULL);
}

static apr_status_t dead_letter(cfg_ctx_t *ctx, xmlNode *node, void *target)
{
    static const cfg_elem_spec_t children[] = {
        { "individualDeadLetterStrategy", CFG_E_PARSE, individual, NULL },
        { "sharedDeadLetterStrategy", CFG_E_PARSE, shared, NULL },
        { "discardingDeadLetterStrategy", CFG_E_PARSE, discarding, NULL },
    };
    cfg_policy_t *p = target;
    apr_status_t rv = cfg_attrs(ctx, node, NULL, 0, NULL);
    return rv ? rv : cfg_children(ctx, node, children, CFG_NELEMS(children), &p->dlq);
}

const char *cfg_dlq_for(const cfg_policy_t *p, bool is_queue, const char *dest,
                        const char *durable_key, apr_pool_t *pool, bool *dlq_is_queue)
{
    const cfg_dlq_t *d = &p->dlq;
    switch (d->kind) {
    case CFG_DLQ_DISCARD:
        return NULL;
    case CFG_DLQ_SHARED:
        *dlq_is_queue = true;
        return d->shared_queue;
    case CFG_DLQ_INDIVIDUAL:
    default:
        break;
    }
    *dlq_is_queue = is_queue ? d->use_queue_for_queue_messages : d->use_queue_for_topic_messages;
    bool per_sub = d->destination_per_durable_subscriber && durable_key && !is_queue;
    return apr_pstrcat(pool, is_queue ? d->queue_prefix : d->topic_prefix, dest,
                       per_sub ? "." : "", per_sub ? durable_key : "",
                       is_queue ? d->queue_suffix : d->topic_suffix, NULL);
}

/* ---- other policy children ---- */

static apr_status_t constant_limit(cfg_ctx_t *ctx, xmlNode *node, void *target)
{
    static const cfg_attr_spec_t attrs[] = {
        CFG_ATTR("limit", CFG_A_INT, cfg_policy_t, pending_message_limit, -1, INT32_MAX),
    };
    apr_status_t rv = cfg_attrs(ctx, node, attrs, CFG_NELEMS(attrs), target);
    return rv ? rv : cfg_children(ctx, node, NULL, 0, NULL);
}

static apr_status_t pending_limit(cfg_ctx_t *ctx, xmlNode *node, void *target)
{
    static const cfg_elem_spec_t children[] = {
        { "constantPendingMessageLimitStrategy", CFG_E_PARSE, constant_limit, NULL },
        { "prefetchRatePendingMessageLimitStrategy", CFG_E_WARN, NULL, "use "
          "constantPendingMessageLimitStrategy" },
    };
    apr_status_t rv = cfg_attrs(ctx, node, NULL, 0, NULL);
    return rv ? rv : cfg_children(ctx, node, children, CFG_NELEMS(children), target);
}

/* An element that is only its name: no attributes, no children. */
static apr_status_t empty_elem(cfg_ctx_t *ctx, xmlNode *node)
{
    apr_status_t rv = cfg_attrs(ctx, node, NULL, 0, NULL);
    return rv ? rv : cfg_children(ctx, node, NULL, 0, NULL);
}

static apr_status_t vm_cursor(cfg_ctx_t *ctx, xmlNode *node, void *target)
{
    ((cfg_policy_t *)target)->vm_cursor = true;
    return empty_elem(ctx, node);
}

static apr_status_t spill_cursor(cfg_ctx_t *ctx, xmlNode *node, void *target)
{
    ((cfg_policy_t *)target)->vm_cursor = false;
    return empty_elem(ctx, node);
}

/* Why only the kind is read: the vm cursors keep waiting messages in memory (producers are held
 * at the limit); the store and file cursors spill non-persistent ones to temporary storage,
 * which is what hermod does by default with a persistent broker. */
static apr_status_t pending_queue(cfg_ctx_t *ctx, xmlNode *node, void *target)
{
    static const cfg_elem_spec_t children[] = {
        { "vmQueueCursor", CFG_E_PARSE, vm_cursor, NULL },
        { "storeCursor", CFG_E_PARSE, spill_cursor, NULL },
        { "fileQueueCursor", CFG_E_PARSE, spill_cursor, NULL },
    };
    apr_status_t rv = cfg_attrs(ctx, node, NULL, 0, NULL);
    return rv ? rv : cfg_children(ctx, node, children, CFG_NELEMS(children), target);
}

static apr_status_t pending_subscriber(cfg_ctx_t *ctx, xmlNode *node, void *target)
{
    static const cfg_elem_spec_t children[] = {
        { "vmCursor", CFG_E_PARSE, vm_cursor, NULL },
        { "fileCursor", CFG_E_PARSE, spill_cursor, NULL },
    };
    apr_status_t rv = cfg_attrs(ctx, node, NULL, 0, NULL);
    return rv ? rv : cfg_children(ctx, node, children, CFG_NELEMS(children), target);
}

static apr_status_t round_robin(cfg_ctx_t *ctx, xmlNode *node, void *target)
{
    ((cfg_policy_t *)target)->dispatch = CFG_DISPATCH_ROUND_ROBIN;
    return empty_elem(ctx, node);
}

static apr_status_t strict_order(cfg_ctx_t *ctx, xmlNode *node, void *target)
{
    ((cfg_policy_t *)target)->dispatch = CFG_DISPATCH_STRICT_ORDER;
    return empty_elem(ctx, node);
}

static apr_status_t dispatch_policy(cfg_ctx_t *ctx, xmlNode *node, void *target)
{
    static const cfg_elem_spec_t children[] = {
        { "roundRobinDispatchPolicy", CFG_E_PARSE, round_robin, NULL },
        { "simpleDispatchPolicy", CFG_E_PARSE, round_robin, NULL },
        { "strictOrderDispatchPolicy", CFG_E_PARSE, strict_order, NULL },
        { "priorityDispatchPolicy", CFG_E_WARN, NULL, "consumer priority is always honoured" },
        { "priorityNetworkDispatchPolicy", CFG_E_WARN, NULL, "hermod has no network bridges" },
    };
    apr_status_t rv = cfg_attrs(ctx, node, NULL, 0, NULL);
    return rv ? rv : cfg_children(ctx, node, children, CFG_NELEMS(children), target);
}

#define P(n, k, f, lo, hi) CFG_ATTR(n, k, cfg_policy_t, f, lo, hi)
#define CURSOR "hermod's cursors are fixed: persistent queue messages page from the store, " \
               "non-persistent ones spill to temporary storage at 70% of the memory limit"
static const cfg_attr_spec_t entry_attrs[] = {
    CFG_ATTR_NOTE("queue", CFG_A_SKIP, NULL),
    CFG_ATTR_NOTE("topic", CFG_A_SKIP, NULL),
    CFG_ATTR_NOTE("tempQueue", CFG_A_SKIP, NULL),
    CFG_ATTR_NOTE("tempTopic", CFG_A_SKIP, NULL),
    P("producerFlowControl", CFG_A_BOOL, producer_flow_control, 0, 0),
    P("memoryLimit", CFG_A_SIZE, memory_limit, 0, INT64_MAX),
    P("prioritizedMessages", CFG_A_BOOL, prioritized_messages, 0, 0),
    P("expireMessagesPeriod", CFG_A_I64, expire_messages_period_ms, 0, INT64_MAX),
    P("maxPageSize", CFG_A_INT, max_page_size, 1, 1000000),
    P("maxBrowsePageSize", CFG_A_INT, max_browse_page_size, 1, 1000000),
    P("useCache", CFG_A_BOOL, use_cache, 0, 0),
    P("queuePrefetch", CFG_A_INT, queue_prefetch, 0, INT16_MAX),
    P("topicPrefetch", CFG_A_INT, topic_prefetch, 0, INT16_MAX),
    P("durableTopicPrefetch", CFG_A_INT, durable_topic_prefetch, 0, INT16_MAX),
    P("queueBrowserPrefetch", CFG_A_INT, queue_browser_prefetch, 0, INT16_MAX),
    P("gcInactiveDestinations", CFG_A_BOOL, gc_inactive_destinations, 0, 0),
    P("inactiveTimoutBeforeGC", CFG_A_I64, inactive_timeout_before_gc_ms, 0, INT64_MAX),
    P("inactiveTimeoutBeforeGC", CFG_A_I64, inactive_timeout_before_gc_ms, 0, INT64_MAX),
    P("allConsumersExclusiveByDefault", CFG_A_BOOL, all_consumers_exclusive_by_default, 0, 0),
    P("useConsumerPriority", CFG_A_BOOL, use_consumer_priority, 0, 0),
    P("enableAudit", CFG_A_BOOL, enable_audit, 0, 0),
    P("maxAuditDepth", CFG_A_INT, max_audit_depth, 0, INT32_MAX),
    P("maxQueueAuditDepth", CFG_A_INT, max_audit_depth, 0, INT32_MAX),
    P("maxProducersToAudit", CFG_A_INT, max_producers_to_audit, 0, INT32_MAX),
    P("persistJMSRedelivered", CFG_A_BOOL, persist_jms_redelivered, 0, 0),
    P("advisoryForConsumed", CFG_A_BOOL, advisory_for_consumed, 0, 0),
    P("advisoryForDelivery", CFG_A_BOOL, advisory_for_delivery, 0, 0),
    P("advisoryWhenFull", CFG_A_BOOL, advisory_when_full, 0, 0),
    P("sendAdvisoryIfNoConsumers", CFG_A_BOOL, send_advisory_if_no_consumers, 0, 0),
    P("advisoryForSlowConsumers", CFG_A_BOOL, advisory_for_slow_consumers, 0, 0),
    P("advisoryForFastProducers", CFG_A_BOOL, advisory_for_fast_producers, 0, 0),
    CFG_ATTR_NOTE("advisoryForDiscardingMessages", CFG_A_WARN_TRUE, "no discard advisories"),
    CFG_ATTR_NOTE("alwaysRetroactive", CFG_A_WARN_TRUE, "retroactive consumers are not supported"),
    CFG_ATTR_NOTE("strictOrderDispatch", CFG_A_WARN_TRUE, "queues dispatch in order per consumer"),
    CFG_ATTR_NOTE("optimizedDispatch", CFG_A_WARN, "Java dispatch tuning"),
    CFG_ATTR_NOTE("lazyDispatch", CFG_A_WARN, "Java dispatch tuning"),
    CFG_ATTR_NOTE("consumersBeforeDispatchStarts", CFG_A_WARN, "dispatch starts at once"),
    CFG_ATTR_NOTE("timeBeforeDispatchStarts", CFG_A_WARN, "dispatch starts at once"),
    CFG_ATTR_NOTE("reduceMemoryFootprint", CFG_A_WARN, "Java memory tuning"),
    P("cursorMemoryHighWaterMark", CFG_A_INT, cursor_high_water, 1, 100),
    CFG_ATTR_NOTE("storeUsageHighWaterMark", CFG_A_WARN, "the store limit applies as a whole"),
    CFG_ATTR_NOTE("blockedProducerWarningInterval", CFG_A_WARN, "blocked producers are logged"),
    CFG_ATTR_NOTE("maxExpirePageSize", CFG_A_WARN, CURSOR),
    CFG_ATTR_NOTE("minimumMessageSize", CFG_A_WARN, "hermod counts real message sizes"),
    CFG_ATTR_NOTE("usePrefetchExtension", CFG_A_WARN, "prefetch follows the client's window"),
    CFG_ATTR_NOTE("includeBodyForAdvisory", CFG_A_WARN, "advisories carry no message bodies"),
    CFG_ATTR_NOTE("sendDuplicateFromStoreToDLQ", CFG_A_WARN, "Java duplicate handling"),
    CFG_ATTR_NOTE("doOptimzeMessageStorage", CFG_A_WARN, "Java store tuning"),
    CFG_ATTR_NOTE("optimizeMessageStoreInFlightLimit", CFG_A_WARN, "Java store tuning"),
    CFG_ATTR_NOTE("useTopicSubscriptionInflightStats", CFG_A_QUIET, NULL),
    P("maxDestinations", CFG_A_INT, max_destinations, -1, INT32_MAX),
    CFG_ATTR_NOTE("sendFailIfNoSpace", CFG_A_SKIP, NULL),
    P("sendFailIfNoSpaceAfterTimeout", CFG_A_I64, send_fail_if_no_space_after_timeout_ms, 0,
      INT64_MAX),
    CFG_ATTR_NOTE("messageGroupMapFactoryType", CFG_A_WARN, "message groups use hermod's own map"),
    CFG_ATTR_NOTE("gcWithNetworkConsumers", CFG_A_WARN, "hermod has no network consumers"),
};
#undef P

static const cfg_elem_spec_t entry_children[] = {
    { "deadLetterStrategy", CFG_E_PARSE, dead_letter, NULL },
    { "pendingMessageLimitStrategy", CFG_E_PARSE, pending_limit, NULL },
    { "dispatchPolicy", CFG_E_PARSE, dispatch_policy, NULL },
    { "subscriptionRecoveryPolicy", CFG_E_WARN, NULL, "retroactive consumers are not supported" },
    { "pendingQueuePolicy", CFG_E_PARSE, pending_queue, NULL },
    { "pendingDurableSubscriberPolicy", CFG_E_WARN, NULL, CURSOR },
    { "pendingSubscriberPolicy", CFG_E_PARSE, pending_subscriber, NULL },
    { "messageEvictionStrategy", CFG_E_WARN, NULL, "pending messages are limited, not evicted "
      "by strategy" },
    { "slowConsumerStrategy", CFG_E_WARN, NULL, "slow consumers are not aborted" },
    { "messageGroupMapFactory", CFG_E_WARN, NULL, "message groups use hermod's own map" },
    { "networkBridgeFilterFactory", CFG_E_WARN, NULL, "hermod has no network bridges" },
};

/* sendFailIfNoSpace on an entry overrides <systemUsage> only where it is given. */
static apr_status_t send_fail_override(cfg_ctx_t *ctx, xmlNode *node, cfg_policy_t *p)
{
    const xmlAttr *a = cfg_attr_find(node, "sendFailIfNoSpace");
    const char *v;
    bool on;
    apr_status_t rv;
    if (!a)
        return APR_SUCCESS;
    if ((rv = cfg_attr_value(ctx, node, a, &v)) == APR_SUCCESS &&
        (rv = cfg_to_bool(ctx, node, a, v, &on)) == APR_SUCCESS)
        p->send_fail_if_no_space = on;
    return rv;
}

/* One <policyEntry> may name several destinations ("A,B"): one cfg_policy_t each. */
static apr_status_t policy_entry(cfg_ctx_t *ctx, xmlNode *node, void *target)
{
    cfg_policy_t p;
    cfg_dest_kind_e kind = CFG_DEST_QUEUE;
    apr_array_header_t *patterns;
    cfg_policy_defaults(&p);
    apr_status_t rv = cfg_entry_destinations(ctx, node, true, &kind, &patterns);
    if (rv == APR_SUCCESS)
        rv = cfg_attrs(ctx, node, entry_attrs, CFG_NELEMS(entry_attrs), &p);
    if (rv == APR_SUCCESS)
        rv = send_fail_override(ctx, node, &p);
    if (rv == APR_SUCCESS)
        rv = cfg_children(ctx, node, entry_children, CFG_NELEMS(entry_children), &p);
    if (rv != APR_SUCCESS)
        return rv;
    p.kind = kind;
    p.line = cfg_line(node, NULL);
    for (int i = 0; i < patterns->nelts; i++) {
        void *slot;
        if ((rv = cfg_push(ctx, node, ctx->cfg->policies, &slot)) != APR_SUCCESS)
            return rv;
        p.pattern = APR_ARRAY_IDX(patterns, i, const char *);
        memcpy(slot, &p, sizeof p);
    }
    return APR_SUCCESS;
}

/* <defaultEntry><policyEntry .../></defaultEntry>: what applies when nothing matches. */
static apr_status_t default_policy_entry(cfg_ctx_t *ctx, xmlNode *node, void *target)
{
    cfg_policy_t *p = &ctx->cfg->default_policy;
    cfg_dest_kind_e kind;
    apr_array_header_t *patterns;
    apr_status_t rv = cfg_entry_destinations(ctx, node, false, &kind, &patterns);
    if (rv == APR_SUCCESS && patterns)
        rv = cfg_warn(ctx, node, NULL, "the destination of a default entry is ignored");
    if (rv == APR_SUCCESS)
        rv = cfg_attrs(ctx, node, entry_attrs, CFG_NELEMS(entry_attrs), p);
    if (rv == APR_SUCCESS)
        rv = send_fail_override(ctx, node, p);
    if (rv == APR_SUCCESS)
        rv = cfg_children(ctx, node, entry_children, CFG_NELEMS(entry_children), p);
    p->line = cfg_line(node, NULL);
    p->pattern = NULL;
    return rv;
}

static apr_status_t default_entry(cfg_ctx_t *ctx, xmlNode *node, void *target)
{
    static const cfg_elem_spec_t children[] = {
        { "policyEntry", CFG_E_PARSE, default_policy_entry, NULL },
    };
    apr_status_t rv = cfg_attrs(ctx, node, NULL, 0, NULL);
    return rv ? rv : cfg_children(ctx, node, children, CFG_NELEMS(children), target);
}

static apr_status_t policy_entries(cfg_ctx_t *ctx, xmlNode *node, void *target)
{
    static const cfg_elem_spec_t children[] = {
        { "policyEntry", CFG_E_PARSE, policy_entry, NULL },
    };
    apr_status_t rv = cfg_attrs(ctx, node, NULL, 0, NULL);
    return rv ? rv : cfg_children(ctx, node, children, CFG_NELEMS(children), target);
}

static apr_status_t policy_map(cfg_ctx_t *ctx, xmlNode *node, void *target)
{
    static const cfg_elem_spec_t children[] = {
        { "policyEntries", CFG_E_PARSE, policy_entries, NULL },
        { "defaultEntry", CFG_E_PARSE, default_entry, NULL },
    };
    apr_status_t rv = cfg_attrs(ctx, node, NULL, 0, NULL);
    return rv ? rv : cfg_children(ctx, node, children, CFG_NELEMS(children), target);
}

apr_status_t cfg_destination_policy(cfg_ctx_t *ctx, xmlNode *node, void *target)
{
    static const cfg_elem_spec_t children[] = {
        { "policyMap", CFG_E_PARSE, policy_map, NULL },
    };
    apr_status_t rv = cfg_attrs(ctx, node, NULL, 0, NULL);
    return rv ? rv : cfg_children(ctx, node, children, CFG_NELEMS(children), target);
}
