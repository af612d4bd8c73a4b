/* <systemUsage><systemUsage ...><memoryUsage><memoryUsage limit="64 mb"/></memoryUsage>
 * <storeUsage>..</storeUsage><tempUsage>..</tempUsage></systemUsage></systemUsage>:
 * ActiveMQ's doubled element names (the property, then the bean) are kept as they are. */
#include <string.h>

#include "cfg_int.h"

typedef struct usage_target_s {
    int64_t *limit;
    int *percent;
    const char *what;
} usage_target_t;

typedef struct usage_vals_s {
    int64_t limit;
    int percent;
} usage_vals_t;

#define USAGE_COMMON \
    CFG_ATTR("limit", CFG_A_SIZE, usage_vals_t, limit, 1, INT64_MAX), \
    CFG_ATTR_NOTE("percentOfJvmHeap", CFG_A_SKIP, NULL), \
    CFG_ATTR_NOTE("percentUsageMinDelta", CFG_A_QUIET, NULL), \
    CFG_ATTR_NOTE("pollingTime", CFG_A_QUIET, NULL), \
    CFG_ATTR_NOTE("name", CFG_A_QUIET, NULL), \
    CFG_ATTR_NOTE("store", CFG_A_WARN, "hermod measures its own store")

static const cfg_attr_spec_t memory_attrs[] = {
    USAGE_COMMON,
    CFG_ATTR_NOTE("percentLimit", CFG_A_WARN, "give the memory limit in bytes (limit=)"),
};
static const cfg_attr_spec_t disk_attrs[] = {
    USAGE_COMMON,
    CFG_ATTR("percentLimit", CFG_A_INT, usage_vals_t, percent, 1, 100),
};

static apr_status_t inner_usage(cfg_ctx_t *ctx, xmlNode *node, void *target)
{
    usage_target_t *t = target;
    usage_vals_t v = { -1, 0 };
    apr_status_t rv = t->percent ? cfg_attrs(ctx, node, disk_attrs, CFG_NELEMS(disk_attrs), &v)
                                 : cfg_attrs(ctx, node, memory_attrs, CFG_NELEMS(memory_attrs), &v);
    if (rv != APR_SUCCESS)
        return rv;
    const xmlAttr *h = cfg_attr_find(node, "percentOfJvmHeap");
    if (h) {
        const char *s;
        int64_t p;
        if ((rv = cfg_attr_value(ctx, node, h, &s)) != APR_SUCCESS ||
            (rv = cfg_to_int64(ctx, node, h, s, 1, 100, &p)) != APR_SUCCESS)
            return rv;
        if (v.limit < 0 && (rv = cfg_warn(ctx, node, h, "ignored: hermod has no JVM heap; the %s "
                                          "limit stays %lld bytes (set limit= to change it)",
                                          t->what, (long long)*t->limit)) != APR_SUCCESS)
            return rv;
    }
    if (v.limit >= 0)
        *t->limit = v.limit;
    if (t->percent && v.percent)
        *t->percent = v.percent;
    return cfg_children(ctx, node, NULL, 0, NULL);
}

static apr_status_t usage_wrapper(cfg_ctx_t *ctx, xmlNode *node, usage_target_t *t,
                                  const char *inner)
{
    cfg_elem_spec_t spec[] = { { inner, CFG_E_PARSE, inner_usage, NULL } };
    apr_status_t rv = cfg_attrs(ctx, node, NULL, 0, NULL);
    return rv != APR_SUCCESS ? rv : cfg_children(ctx, node, spec, 1, t);
}

static apr_status_t memory_usage(cfg_ctx_t *ctx, xmlNode *node, void *target)
{
    cfg_usage_t *u = target;
    usage_target_t t = { &u->memory_limit, NULL, "memory" };
    return usage_wrapper(ctx, node, &t, "memoryUsage");
}

static apr_status_t store_usage(cfg_ctx_t *ctx, xmlNode *node, void *target)
{
    cfg_usage_t *u = target;
    usage_target_t t = { &u->store_limit, &u->store_percent_limit, "store" };
    return usage_wrapper(ctx, node, &t, "storeUsage");
}

static apr_status_t temp_usage(cfg_ctx_t *ctx, xmlNode *node, void *target)
{
    cfg_usage_t *u = target;
    usage_target_t t = { &u->temp_limit, &u->temp_percent_limit, "temp" };
    return usage_wrapper(ctx, node, &t, "tempUsage");
}

static const cfg_attr_spec_t system_usage_attrs[] = {
    CFG_ATTR("sendFailIfNoSpace", CFG_A_BOOL, cfg_usage_t, send_fail_if_no_space, 0, 0),
    CFG_ATTR("sendFailIfNoSpaceAfterTimeout", CFG_A_I64, cfg_usage_t,
             send_fail_if_no_space_after_timeout_ms, 0, INT64_MAX),
    CFG_ATTR_NOTE("name", CFG_A_QUIET, NULL),
    CFG_ATTR_NOTE("checkLimitsLogLevel", CFG_A_QUIET, NULL),
};

static const cfg_elem_spec_t system_usage_children[] = {
    { "memoryUsage", CFG_E_PARSE, memory_usage, NULL },
    { "storeUsage", CFG_E_PARSE, store_usage, NULL },
    { "tempUsage", CFG_E_PARSE, temp_usage, NULL },
    { "jobSchedulerUsage", CFG_E_WARN, NULL, "scheduled messages count against the store limit" },
    { "executor", CFG_E_WARN, NULL, "Java thread tuning" },
};

static apr_status_t inner_system_usage(cfg_ctx_t *ctx, xmlNode *node, void *target)
{
    apr_status_t rv = cfg_attrs(ctx, node, system_usage_attrs, CFG_NELEMS(system_usage_attrs),
                                target);
    if (rv == APR_SUCCESS && cfg_attr_find(node, "sendFailIfNoSpaceAfterTimeout"))
        ((cfg_usage_t *)target)->send_fail_if_no_space = true;
    return rv != APR_SUCCESS ? rv
         : cfg_children(ctx, node, system_usage_children, CFG_NELEMS(system_usage_children), target);
}

apr_status_t cfg_system_usage(cfg_ctx_t *ctx, xmlNode *node, void *target)
{
    cfg_elem_spec_t spec[] = { { "systemUsage", CFG_E_PARSE, inner_system_usage, NULL } };
    apr_status_t rv = cfg_attrs(ctx, node, NULL, 0, NULL);
    return rv != APR_SUCCESS ? rv : cfg_children(ctx, node, spec, 1, &ctx->cfg->usage);
}
