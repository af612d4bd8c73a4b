/* <destinationInterceptors><virtualDestinationInterceptor><virtualDestinations>: virtual
 * topics and composite queues/topics; and <destinations>, the ones created at start-up. */
#include <string.h>

#include <apr_strings.h>

#include "cfg_int.h"

static apr_status_t required_name(cfg_ctx_t *ctx, const xmlNode *node, const char *attr_name,
                                  const char **out)
{
    const xmlAttr *a = cfg_attr_find(node, attr_name);
    apr_status_t rv;
    if (!a)
        return cfg_fail(ctx, node, NULL, CFG_EMISSING, "attribute \"%s\" is required", attr_name);
    if ((rv = cfg_attr_value(ctx, node, a, out)) != APR_SUCCESS)
        return rv;
    *out = cfg_trim(ctx->pool, *out);
    if (!**out)
        return cfg_fail(ctx, node, a, CFG_EVALUE, "must not be empty");
    if (strlen(*out) > CFG_MAX_NAME_BYTES)
        return cfg_fail(ctx, node, a, CFG_ETOOBIG, "longer than %d bytes", CFG_MAX_NAME_BYTES);
    return APR_SUCCESS;
}

/* <queue physicalName=> / <topic physicalName=> inside <forwardTo> */
static apr_status_t forward_dest(cfg_ctx_t *ctx, xmlNode *node, void *target)
{
    static const cfg_attr_spec_t attrs[] = { CFG_ATTR_NOTE("physicalName", CFG_A_SKIP, NULL) };
    cfg_virtual_t *v = target;
    void *slot = NULL;
    const char *name;
    apr_status_t rv = cfg_attrs(ctx, node, attrs, 1, NULL);
    if (rv == APR_SUCCESS)
        rv = required_name(ctx, node, "physicalName", &name);
    if (rv == APR_SUCCESS)
        rv = cfg_children(ctx, node, NULL, 0, NULL);
    if (rv == APR_SUCCESS)
        rv = cfg_push(ctx, node, v->forward_to, &slot);
    if (rv != APR_SUCCESS)
        return rv;
    cfg_forward_t *f = slot;
    f->is_queue = strcmp((const char *)node->name, "queue") == 0;
    f->name = name;
    return APR_SUCCESS;
}

/* <filteredDestination selector="..." queue="X"|topic="Y"/> */
static apr_status_t filtered_dest(cfg_ctx_t *ctx, xmlNode *node, void *target)
{
    static const cfg_attr_spec_t attrs[] = {
        CFG_ATTR("selector", CFG_A_STR, cfg_forward_t, selector, 0, 0),
        CFG_ATTR_NOTE("queue", CFG_A_SKIP, NULL),
        CFG_ATTR_NOTE("topic", CFG_A_SKIP, NULL),
    };
    cfg_virtual_t *v = target;
    cfg_forward_t f = { 0 };
    void *slot = NULL;
    cfg_dest_kind_e kind = CFG_DEST_QUEUE;
    apr_array_header_t *names;
    apr_status_t rv = cfg_attrs(ctx, node, attrs, CFG_NELEMS(attrs), &f);
    if (rv == APR_SUCCESS)
        rv = cfg_entry_destinations(ctx, node, true, &kind, &names);
    if (rv == APR_SUCCESS && (kind == CFG_DEST_TEMP_QUEUE || kind == CFG_DEST_TEMP_TOPIC))
        rv = cfg_fail(ctx, node, NULL, CFG_EVALUE, "forward to a queue= or topic=");
    if (rv == APR_SUCCESS && names->nelts != 1)
        rv = cfg_fail(ctx, node, NULL, CFG_EVALUE, "names %d destinations; give one",
                      names->nelts);
    if (rv == APR_SUCCESS)
        rv = cfg_children(ctx, node, NULL, 0, NULL);
    if (rv == APR_SUCCESS)
        rv = cfg_push(ctx, node, v->forward_to, &slot);
    if (rv != APR_SUCCESS)
        return rv;
    f.is_queue = kind == CFG_DEST_QUEUE;
    f.name = APR_ARRAY_IDX(names, 0, const char *);
    memcpy(slot, &f, sizeof f);
    return APR_SUCCESS;
}

static apr_status_t forward_to(cfg_ctx_t *ctx, xmlNode *node, void *target)
{
    static const cfg_elem_spec_t children[] = {
        { "queue", CFG_E_PARSE, forward_dest, NULL },
        { "topic", CFG_E_PARSE, forward_dest, NULL },
        { "filteredDestination", CFG_E_PARSE, filtered_dest, NULL },
    };
    apr_status_t rv = cfg_attrs(ctx, node, NULL, 0, NULL);
    return rv ? rv : cfg_children(ctx, node, children, CFG_NELEMS(children), target);
}

#define V(n, k, f) CFG_ATTR(n, k, cfg_virtual_t, f, 0, 0)
static const cfg_attr_spec_t virtual_topic_attrs[] = {
    V("name", CFG_A_STR, name),
    V("prefix", CFG_A_STR, prefix),
    V("postfix", CFG_A_STR, postfix),
    V("selectorAware", CFG_A_BOOL, selector_aware),
    V("local", CFG_A_BOOL, local),
    V("dropOnResourceLimit", CFG_A_BOOL, drop_on_resource_limit),
    CFG_ATTR_NOTE("concurrentSend", CFG_A_QUIET, NULL),
    CFG_ATTR_NOTE("transactedSend", CFG_A_QUIET, NULL),
    CFG_ATTR_NOTE("setOriginalDestination", CFG_A_QUIET, NULL),
};
static const cfg_attr_spec_t composite_attrs[] = {
    V("name", CFG_A_SKIP, name),
    V("forwardOnly", CFG_A_BOOL, forward_only),
    V("copyMessage", CFG_A_BOOL, copy_message),
    CFG_ATTR_NOTE("concurrentSend", CFG_A_QUIET, NULL),
    CFG_ATTR_NOTE("sendWhenNotMatched", CFG_A_WARN_TRUE, "filtered forwards send only matches"),
};
#undef V

static apr_status_t virtual_common(cfg_ctx_t *ctx, xmlNode *node, cfg_virtual_kind_e kind)
{
    static const cfg_elem_spec_t composite_children[] = {
        { "forwardTo", CFG_E_PARSE, forward_to, NULL },
    };
    cfg_virtual_t v;
    void *slot = NULL;
    memset(&v, 0, sizeof v);
    v.kind = kind;
    v.line = cfg_line(node, NULL);
    v.forward_only = true;
    v.copy_message = true;
    v.forward_to = apr_array_make(ctx->pool, 2, sizeof(cfg_forward_t));
    apr_status_t rv;
    if (kind == CFG_VIRTUAL_TOPIC) {
        v.name = ">";
        v.prefix = "Consumer.*.";
        v.postfix = "";
        rv = cfg_attrs(ctx, node, virtual_topic_attrs, CFG_NELEMS(virtual_topic_attrs), &v);
        if (rv == APR_SUCCESS)
            rv = cfg_children(ctx, node, NULL, 0, NULL);
    } else {
        rv = cfg_attrs(ctx, node, composite_attrs, CFG_NELEMS(composite_attrs), &v);
        if (rv == APR_SUCCESS)
            rv = required_name(ctx, node, "name", &v.name);
        if (rv == APR_SUCCESS)
            rv = cfg_children(ctx, node, composite_children, CFG_NELEMS(composite_children), &v);
        if (rv == APR_SUCCESS && v.forward_to->nelts == 0)
            rv = cfg_fail(ctx, node, NULL, CFG_EMISSING, "forwards nowhere: add <forwardTo>");
    }
    if (rv == APR_SUCCESS)
        rv = cfg_push(ctx, node, ctx->cfg->virtuals, &slot);
    if (rv == APR_SUCCESS)
        memcpy(slot, &v, sizeof v);
    return rv;
}

static apr_status_t virtual_topic(cfg_ctx_t *ctx, xmlNode *node, void *target)
{ return virtual_common(ctx, node, CFG_VIRTUAL_TOPIC); }
static apr_status_t composite_queue(cfg_ctx_t *ctx, xmlNode *node, void *target)
{ return virtual_common(ctx, node, CFG_COMPOSITE_QUEUE); }
static apr_status_t composite_topic(cfg_ctx_t *ctx, xmlNode *node, void *target)
{ return virtual_common(ctx, node, CFG_COMPOSITE_TOPIC); }

static apr_status_t virtual_destinations(cfg_ctx_t *ctx, xmlNode *node, void *target)
{
    static const cfg_elem_spec_t children[] = {
        { "virtualTopic", CFG_E_PARSE, virtual_topic, NULL },
        { "compositeQueue", CFG_E_PARSE, composite_queue, NULL },
        { "compositeTopic", CFG_E_PARSE, composite_topic, NULL },
    };
    apr_status_t rv = cfg_attrs(ctx, node, NULL, 0, NULL);
    return rv ? rv : cfg_children(ctx, node, children, CFG_NELEMS(children), target);
}

static apr_status_t virtual_interceptor(cfg_ctx_t *ctx, xmlNode *node, void *target)
{
    static const cfg_elem_spec_t children[] = {
        { "virtualDestinations", CFG_E_PARSE, virtual_destinations, NULL },
    };
    static const cfg_attr_spec_t attrs[] = {
        CFG_ATTR_NOTE("expireMessagesPeriod", CFG_A_QUIET, NULL),
    };
    apr_status_t rv = cfg_attrs(ctx, node, attrs, CFG_NELEMS(attrs), NULL);
    return rv ? rv : cfg_children(ctx, node, children, CFG_NELEMS(children), target);
}

apr_status_t cfg_destination_interceptors(cfg_ctx_t *ctx, xmlNode *node, void *target)
{
    static const cfg_elem_spec_t children[] = {
        { "virtualDestinationInterceptor", CFG_E_PARSE, virtual_interceptor, NULL },
        { "mirroredQueue", CFG_E_REFUSE, NULL, "mirrored queues are not implemented" },
    };
    apr_status_t rv = cfg_attrs(ctx, node, NULL, 0, NULL);
    return rv ? rv : cfg_children(ctx, node, children, CFG_NELEMS(children), target);
}

static apr_status_t startup_dest(cfg_ctx_t *ctx, xmlNode *node, void *target)
{
    static const cfg_attr_spec_t attrs[] = { CFG_ATTR_NOTE("physicalName", CFG_A_SKIP, NULL) };
    void *slot = NULL;
    const char *name;
    apr_status_t rv = cfg_attrs(ctx, node, attrs, 1, NULL);
    if (rv == APR_SUCCESS)
        rv = required_name(ctx, node, "physicalName", &name);
    if (rv == APR_SUCCESS && (strchr(name, '*') || strchr(name, '>')))
        rv = cfg_fail(ctx, node, cfg_attr_find(node, "physicalName"), CFG_EVALUE,
                      "\"%s\": a destination created at start-up cannot be a wildcard", name);
    if (rv == APR_SUCCESS)
        rv = cfg_children(ctx, node, NULL, 0, NULL);
    if (rv == APR_SUCCESS)
        rv = cfg_push(ctx, node, ctx->cfg->destinations, &slot);
    if (rv != APR_SUCCESS)
        return rv;
    cfg_destination_t *d = slot;
    d->is_queue = strcmp((const char *)node->name, "queue") == 0;
    d->name = name;
    return APR_SUCCESS;
}

apr_status_t cfg_destinations(cfg_ctx_t *ctx, xmlNode *node, void *target)
{
    static const cfg_elem_spec_t children[] = {
        { "queue", CFG_E_PARSE, startup_dest, NULL },
        { "topic", CFG_E_PARSE, startup_dest, NULL },
        { "tempQueue", CFG_E_REFUSE, NULL, "temporary destinations belong to a connection" },
        { "tempTopic", CFG_E_REFUSE, NULL, "temporary destinations belong to a connection" },
    };
    apr_status_t rv = cfg_attrs(ctx, node, NULL, 0, NULL);
    return rv ? rv : cfg_children(ctx, node, children, CFG_NELEMS(children), target);
}
