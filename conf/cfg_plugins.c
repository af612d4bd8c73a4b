/* <plugins>: simple authentication, authorization map, statistics, redelivery.
 * Plugins hermod cannot run are errors when they guard access (an ignored authentication
 * plugin would open the broker), warnings when they only add logging or tuning. */
#include <string.h>

#include <apr_strings.h>

#include "cfg_int.h"

/* ---- simpleAuthenticationPlugin ---- */

static apr_status_t auth_user(cfg_ctx_t *ctx, xmlNode *node, void *target)
{
    static const cfg_attr_spec_t attrs[] = {
        CFG_ATTR("username", CFG_A_STR, cfg_user_t, username, 0, 0),
        CFG_ATTR("password", CFG_A_STR, cfg_user_t, password, 0, 0),
        CFG_ATTR_NOTE("groups", CFG_A_SKIP, NULL),
    };
    cfg_plugins_t *pl = &ctx->cfg->plugins;
    cfg_user_t u = { 0 }, *slot;
    const char *groups = "";
    apr_status_t rv = cfg_attrs(ctx, node, attrs, CFG_NELEMS(attrs), &u);
    const xmlAttr *g = cfg_attr_find(node, "groups");
    if (rv == APR_SUCCESS && g)
        rv = cfg_attr_value(ctx, node, g, &groups);
    if (rv == APR_SUCCESS && (!u.username || !*u.username))
        rv = cfg_fail(ctx, node, NULL, CFG_EMISSING, "attribute \"username\" is required");
    if (rv == APR_SUCCESS && !u.password)
        rv = cfg_fail(ctx, node, NULL, CFG_EMISSING, "attribute \"password\" is required");
    for (int i = 0; rv == APR_SUCCESS && i < pl->users->nelts; i++)
        if (strcmp(APR_ARRAY_IDX(pl->users, i, cfg_user_t).username, u.username) == 0)
            rv = cfg_fail(ctx, node, cfg_attr_find(node, "username"), CFG_EVALUE,
                          "user \"%s\" is defined twice", u.username);
    if (rv == APR_SUCCESS)
        rv = cfg_children(ctx, node, NULL, 0, NULL);
    void *p;
    if (rv == APR_SUCCESS)
        rv = cfg_push(ctx, node, pl->users, &p);
    if (rv != APR_SUCCESS)
        return rv;
    slot = p;
    u.groups = cfg_split_list(ctx->pool, groups);
    *slot = u;
    return APR_SUCCESS;
}

static apr_status_t auth_users(cfg_ctx_t *ctx, xmlNode *node, void *target)
{
    static const cfg_elem_spec_t children[] = {
        { "authenticationUser", CFG_E_PARSE, auth_user, NULL },
    };
    apr_status_t rv = cfg_attrs(ctx, node, NULL, 0, NULL);
    return rv ? rv : cfg_children(ctx, node, children, CFG_NELEMS(children), target);
}

static apr_status_t simple_auth(cfg_ctx_t *ctx, xmlNode *node, void *target)
{
    static const cfg_attr_spec_t attrs[] = {
        CFG_ATTR("anonymousAccessAllowed", CFG_A_BOOL, cfg_plugins_t, anonymous_access_allowed, 0, 0),
        CFG_ATTR("anonymousUser", CFG_A_STR, cfg_plugins_t, anonymous_user, 0, 0),
        CFG_ATTR("anonymousGroup", CFG_A_STR, cfg_plugins_t, anonymous_group, 0, 0),
    };
    static const cfg_elem_spec_t children[] = {
        { "users", CFG_E_PARSE, auth_users, NULL },
        { "userPasswords", CFG_E_REFUSE, NULL, "list users as <users><authenticationUser .../>" },
        { "userGroups", CFG_E_REFUSE, NULL, "give groups= on each <authenticationUser>" },
    };
    cfg_plugins_t *pl = target;
    if (pl->authentication)
        return cfg_fail(ctx, node, NULL, CFG_EVALUE, "a second authentication plugin");
    pl->authentication = true;
    apr_status_t rv = cfg_attrs(ctx, node, attrs, CFG_NELEMS(attrs), pl);
    return rv ? rv : cfg_children(ctx, node, children, CFG_NELEMS(children), pl);
}

/* ---- authorizationPlugin ---- */

static const char *const op_attr[3] = { "read", "write", "admin" };

static apr_status_t authz_acls(cfg_ctx_t *ctx, xmlNode *node, cfg_authz_entry_t *e)
{
    apr_status_t rv;
    for (int op = 0; op < 3; op++) {
        const xmlAttr *a = cfg_attr_find(node, op_attr[op]);
        const char *v = "";
        if (a && (rv = cfg_attr_value(ctx, node, a, &v)) != APR_SUCCESS)
            return rv;
        e->groups[op] = cfg_split_list(ctx->pool, v);
    }
    e->line = cfg_line(node, NULL);
    return cfg_children(ctx, node, NULL, 0, NULL);
}

static const cfg_attr_spec_t authz_attrs[] = {
    CFG_ATTR_NOTE("queue", CFG_A_SKIP, NULL),
    CFG_ATTR_NOTE("topic", CFG_A_SKIP, NULL),
    CFG_ATTR_NOTE("tempQueue", CFG_A_SKIP, NULL),
    CFG_ATTR_NOTE("tempTopic", CFG_A_SKIP, NULL),
    CFG_ATTR_NOTE("read", CFG_A_SKIP, NULL),
    CFG_ATTR_NOTE("write", CFG_A_SKIP, NULL),
    CFG_ATTR_NOTE("admin", CFG_A_SKIP, NULL),
    CFG_ATTR_NOTE("groupClass", CFG_A_QUIET, NULL),
};

static apr_status_t authz_entry(cfg_ctx_t *ctx, xmlNode *node, void *target)
{
    cfg_plugins_t *pl = &ctx->cfg->plugins;
    cfg_authz_entry_t e;
    apr_array_header_t *patterns;
    memset(&e, 0, sizeof e);
    apr_status_t rv = cfg_attrs(ctx, node, authz_attrs, CFG_NELEMS(authz_attrs), NULL);
    if (rv == APR_SUCCESS)
        rv = cfg_entry_destinations(ctx, node, true, &e.kind, &patterns);
    if (rv == APR_SUCCESS)
        rv = authz_acls(ctx, node, &e);
    for (int i = 0; rv == APR_SUCCESS && i < patterns->nelts; i++) {
        void *slot;
        if ((rv = cfg_push(ctx, node, pl->authz_entries, &slot)) == APR_SUCCESS) {
            e.pattern = APR_ARRAY_IDX(patterns, i, const char *);
            memcpy(slot, &e, sizeof e);
        }
    }
    return rv;
}

static apr_status_t authz_entries(cfg_ctx_t *ctx, xmlNode *node, void *target)
{
    static const cfg_elem_spec_t children[] = {
        { "authorizationEntry", CFG_E_PARSE, authz_entry, NULL },
    };
    apr_status_t rv = cfg_attrs(ctx, node, NULL, 0, NULL);
    return rv ? rv : cfg_children(ctx, node, children, CFG_NELEMS(children), target);
}

/* <defaultEntry><authorizationEntry read= write= admin=/></defaultEntry> and the
 * <tempDestinationAuthorizationEntry> (bare, or wrapping one) share this shape. */
static apr_status_t authz_single(cfg_ctx_t *ctx, xmlNode *node, cfg_authz_entry_t **out)
{
    cfg_authz_entry_t *e = apr_pcalloc(ctx->pool, sizeof *e);
    apr_status_t rv = cfg_attrs(ctx, node, authz_attrs, CFG_NELEMS(authz_attrs), NULL);
    if (rv == APR_SUCCESS)
        rv = authz_acls(ctx, node, e);
    if (rv == APR_SUCCESS && *out)
        rv = cfg_fail(ctx, node, NULL, CFG_EVALUE, "given twice");
    if (rv == APR_SUCCESS)
        *out = e;
    return rv;
}

static apr_status_t default_entry_inner(cfg_ctx_t *ctx, xmlNode *node, void *target)
{
    return authz_single(ctx, node, &ctx->cfg->plugins.authz_default);
}

static apr_status_t default_entry(cfg_ctx_t *ctx, xmlNode *node, void *target)
{
    static const cfg_elem_spec_t children[] = {
        { "authorizationEntry", CFG_E_PARSE, default_entry_inner, NULL },
    };
    apr_status_t rv = cfg_attrs(ctx, node, NULL, 0, NULL);
    return rv ? rv : cfg_children(ctx, node, children, CFG_NELEMS(children), target);
}

static apr_status_t temp_entry(cfg_ctx_t *ctx, xmlNode *node, void *target)
{
    /* written either as the property holding a bean, or as the bean itself */
    for (xmlNode *c = node->children; c; c = c->next)
        if (c->type == XML_ELEMENT_NODE && cfg_is_core(c) &&
            strcmp((const char *)c->name, "tempDestinationAuthorizationEntry") == 0) {
            apr_status_t rv = cfg_attrs(ctx, node, NULL, 0, NULL);
            return rv ? rv : temp_entry(ctx, c, target);
        }
    return authz_single(ctx, node, &ctx->cfg->plugins.authz_temp);
}

static apr_status_t authz_map(cfg_ctx_t *ctx, xmlNode *node, void *target)
{
    static const cfg_elem_spec_t children[] = {
        { "authorizationEntries", CFG_E_PARSE, authz_entries, NULL },
        { "defaultEntry", CFG_E_PARSE, default_entry, NULL },
        { "tempDestinationAuthorizationEntry", CFG_E_PARSE, temp_entry, NULL },
    };
    static const cfg_attr_spec_t attrs[] = { CFG_ATTR_NOTE("groupClass", CFG_A_QUIET, NULL) };
    apr_status_t rv = cfg_attrs(ctx, node, attrs, CFG_NELEMS(attrs), NULL);
    return rv ? rv : cfg_children(ctx, node, children, CFG_NELEMS(children), target);
}

static apr_status_t authz_map_holder(cfg_ctx_t *ctx, xmlNode *node, void *target)
{
    static const cfg_elem_spec_t children[] = {
        { "authorizationMap", CFG_E_PARSE, authz_map, NULL },
        { "cachedLDAPAuthorizationMap", CFG_E_REFUSE, NULL, "LDAP authorization is not available" },
        { "simpleAuthorizationMap", CFG_E_REFUSE, NULL, "use <authorizationMap>" },
    };
    apr_status_t rv = cfg_attrs(ctx, node, NULL, 0, NULL);
    return rv ? rv : cfg_children(ctx, node, children, CFG_NELEMS(children), target);
}

static apr_status_t authz_plugin(cfg_ctx_t *ctx, xmlNode *node, void *target)
{
    static const cfg_elem_spec_t children[] = {
        { "map", CFG_E_PARSE, authz_map_holder, NULL },
    };
    cfg_plugins_t *pl = target;
    if (pl->authorization)
        return cfg_fail(ctx, node, NULL, CFG_EVALUE, "a second authorization plugin");
    pl->authorization = true;
    apr_status_t rv = cfg_attrs(ctx, node, NULL, 0, NULL);
    return rv ? rv : cfg_children(ctx, node, children, CFG_NELEMS(children), target);
}

/* ---- redeliveryPlugin ---- */

void cfg_redelivery_defaults(cfg_redelivery_policy_t *r)
{
    memset(r, 0, sizeof *r);
    r->maximum_redeliveries = 6;
    r->initial_redelivery_delay_ms = 1000;
    r->redelivery_delay_ms = 1000;
    r->maximum_redelivery_delay_ms = -1;
    r->backoff_multiplier = 5.0;
}

#define R(n, k, f, lo, hi) CFG_ATTR(n, k, cfg_redelivery_policy_t, f, lo, hi)
static const cfg_attr_spec_t redelivery_attrs[] = {
    CFG_ATTR_NOTE("queue", CFG_A_SKIP, NULL),
    CFG_ATTR_NOTE("topic", CFG_A_SKIP, NULL),
    CFG_ATTR_NOTE("tempQueue", CFG_A_SKIP, NULL),
    CFG_ATTR_NOTE("tempTopic", CFG_A_SKIP, NULL),
    R("maximumRedeliveries", CFG_A_INT, maximum_redeliveries, -1, INT32_MAX),
    R("initialRedeliveryDelay", CFG_A_I64, initial_redelivery_delay_ms, 0, INT64_MAX),
    R("redeliveryDelay", CFG_A_I64, redelivery_delay_ms, 0, INT64_MAX),
    R("maximumRedeliveryDelay", CFG_A_I64, maximum_redelivery_delay_ms, -1, INT64_MAX),
    R("useExponentialBackOff", CFG_A_BOOL, use_exponential_backoff, 0, 0),
    R("backOffMultiplier", CFG_A_SKIP, backoff_multiplier, 0, 0),
    CFG_ATTR_NOTE("useCollisionAvoidance", CFG_A_WARN_TRUE, "delays are not randomised"),
    CFG_ATTR_NOTE("collisionAvoidancePercent", CFG_A_WARN, "delays are not randomised"),
    CFG_ATTR_NOTE("preDispatchCheck", CFG_A_QUIET, NULL),
};
#undef R

static apr_status_t redelivery_policy(cfg_ctx_t *ctx, xmlNode *node, bool is_default)
{
    cfg_redelivery_policy_t r;
    apr_array_header_t *patterns = NULL;
    cfg_redelivery_defaults(&r);
    apr_status_t rv = cfg_attrs(ctx, node, redelivery_attrs, CFG_NELEMS(redelivery_attrs), &r);
    const xmlAttr *m = cfg_attr_find(node, "backOffMultiplier");
    if (rv == APR_SUCCESS && m) {
        const char *v;
        char *end;
        if ((rv = cfg_attr_value(ctx, node, m, &v)) == APR_SUCCESS) {
            r.backoff_multiplier = strtod(v, &end);
            if (end == v || *cfg_trim(ctx->pool, end) || r.backoff_multiplier < 1.0 ||
                r.backoff_multiplier > 1000.0)
                rv = cfg_fail(ctx, node, m, CFG_EVALUE, "\"%s\" is not a number in 1..1000", v);
        }
    }
    if (rv == APR_SUCCESS)
        rv = cfg_entry_destinations(ctx, node, !is_default, &r.kind, &patterns);
    if (rv == APR_SUCCESS)
        rv = cfg_children(ctx, node, NULL, 0, NULL);
    apr_array_header_t *list = ctx->cfg->plugins.redelivery_policies;
    if (rv == APR_SUCCESS && is_default) {
        void *slot;
        if ((rv = cfg_push(ctx, node, list, &slot)) == APR_SUCCESS) {
            /* the default goes first so lookups can find it at index 0 */
            memmove(list->elts + sizeof r, list->elts, (size_t)(list->nelts - 1) * sizeof r);
            r.pattern = NULL;
            memcpy(list->elts, &r, sizeof r);
        }
        return rv;
    }
    for (int i = 0; rv == APR_SUCCESS && i < patterns->nelts; i++) {
        void *slot;
        if ((rv = cfg_push(ctx, node, list, &slot)) == APR_SUCCESS) {
            r.pattern = APR_ARRAY_IDX(patterns, i, const char *);
            memcpy(slot, &r, sizeof r);
        }
    }
    return rv;
}

static apr_status_t redelivery_entry(cfg_ctx_t *ctx, xmlNode *node, void *target)
{ return redelivery_policy(ctx, node, false); }
static apr_status_t redelivery_default_inner(cfg_ctx_t *ctx, xmlNode *node, void *target)
{ return redelivery_policy(ctx, node, true); }

static apr_status_t redelivery_entries(cfg_ctx_t *ctx, xmlNode *node, void *target)
{
    static const cfg_elem_spec_t children[] = {
        { "redeliveryPolicy", CFG_E_PARSE, redelivery_entry, NULL },
    };
    apr_status_t rv = cfg_attrs(ctx, node, NULL, 0, NULL);
    return rv ? rv : cfg_children(ctx, node, children, CFG_NELEMS(children), target);
}

static apr_status_t redelivery_default(cfg_ctx_t *ctx, xmlNode *node, void *target)
{
    static const cfg_elem_spec_t children[] = {
        { "redeliveryPolicy", CFG_E_PARSE, redelivery_default_inner, NULL },
    };
    apr_status_t rv = cfg_attrs(ctx, node, NULL, 0, NULL);
    return rv ? rv : cfg_children(ctx, node, children, CFG_NELEMS(children), target);
}

static apr_status_t redelivery_map(cfg_ctx_t *ctx, xmlNode *node, void *target)
{
    static const cfg_elem_spec_t children[] = {
        { "redeliveryPolicyEntries", CFG_E_PARSE, redelivery_entries, NULL },
        { "defaultEntry", CFG_E_PARSE, redelivery_default, NULL },
    };
    apr_status_t rv = cfg_attrs(ctx, node, NULL, 0, NULL);
    return rv ? rv : cfg_children(ctx, node, children, CFG_NELEMS(children), target);
}

static apr_status_t redelivery_map_holder(cfg_ctx_t *ctx, xmlNode *node, void *target)
{
    static const cfg_elem_spec_t children[] = {
        { "redeliveryPolicyMap", CFG_E_PARSE, redelivery_map, NULL },
    };
    apr_status_t rv = cfg_attrs(ctx, node, NULL, 0, NULL);
    return rv ? rv : cfg_children(ctx, node, children, CFG_NELEMS(children), target);
}

static apr_status_t redelivery_plugin(cfg_ctx_t *ctx, xmlNode *node, void *target)
{
    static const cfg_attr_spec_t attrs[] = {
        CFG_ATTR("fallbackToDeadLetter", CFG_A_BOOL, cfg_plugins_t, redelivery_fallback_to_dlq, 0, 0),
        CFG_ATTR("sendToDlqIfMaxRetriesExceeded", CFG_A_BOOL, cfg_plugins_t,
                 redelivery_send_to_dlq_if_max_exceeded, 0, 0),
    };
    static const cfg_elem_spec_t children[] = {
        { "redeliveryPolicyMap", CFG_E_PARSE, redelivery_map_holder, NULL },
    };
    cfg_plugins_t *pl = target;
    if (pl->redelivery)
        return cfg_fail(ctx, node, NULL, CFG_EVALUE, "given twice");
    pl->redelivery = true;
    apr_status_t rv = cfg_attrs(ctx, node, attrs, CFG_NELEMS(attrs), pl);
    if (rv == APR_SUCCESS)
        rv = cfg_children(ctx, node, children, CFG_NELEMS(children), pl);
    if (rv == APR_SUCCESS)
        rv = cfg_warn(ctx, node, NULL, "parsed, but broker-side redelivery is not supported yet: "
                      "clients redeliver (their RedeliveryPolicy) and then the message goes to "
                      "the dead letter queue");
    return rv;
}

static apr_status_t statistics(cfg_ctx_t *ctx, xmlNode *node, void *target)
{
    ((cfg_plugins_t *)target)->statistics = true;
    apr_status_t rv = cfg_attrs(ctx, node, NULL, 0, NULL);
    return rv ? rv : cfg_children(ctx, node, NULL, 0, NULL);
}

static const cfg_elem_spec_t plugin_children[] = {
    { "simpleAuthenticationPlugin", CFG_E_PARSE, simple_auth, NULL },
    { "authorizationPlugin", CFG_E_PARSE, authz_plugin, NULL },
    { "statisticsBrokerPlugin", CFG_E_PARSE, statistics, NULL },
    { "redeliveryPlugin", CFG_E_PARSE, redelivery_plugin, NULL },
    { "jaasAuthenticationPlugin", CFG_E_PARSE, cfg_jaas_plugin, NULL },
    { "jaasCertificateAuthenticationPlugin", CFG_E_PARSE, cfg_jaas_cert_plugin, NULL },
    { "jaasDualAuthenticationPlugin", CFG_E_PARSE, cfg_jaas_dual_plugin, NULL },
    { "loggingBrokerPlugin", CFG_E_WARN, NULL, "hermod logs connections at INFO; per-message "
      "event logging is not available" },
    { "timeStampingBrokerPlugin", CFG_E_WARN, NULL, "message timestamps are left as sent" },
    { "traceBrokerPathPlugin", CFG_E_WARN, NULL, "hermod has no network bridges" },
    { "discardingDLQBrokerPlugin", CFG_E_WARN, NULL, "dead letters are kept; use "
      "<discardingDeadLetterStrategy> in a policy entry to drop them" },
    { "runtimeConfigurationPlugin", CFG_E_WARN, NULL, "restart hermod to apply changes" },
    { "connectionDotFilePlugin", CFG_E_WARN, NULL, "diagnostics only" },
    { "destinationDotFilePlugin", CFG_E_WARN, NULL, "diagnostics only" },
    { "multicastTraceBrokerPlugin", CFG_E_WARN, NULL, "diagnostics only" },
    { "udpTraceBrokerPlugin", CFG_E_WARN, NULL, "diagnostics only" },
    { "forcePersistencyModeBrokerPlugin", CFG_E_REFUSE, NULL, "it changes message delivery "
      "modes, which hermod does not do" },
    { "destinationsPlugin", CFG_E_WARN, NULL, "list destinations under <destinations>" },
};

apr_status_t cfg_plugins(cfg_ctx_t *ctx, xmlNode *node, void *target)
{
    apr_status_t rv = cfg_attrs(ctx, node, NULL, 0, NULL);
    return rv ? rv : cfg_children(ctx, node, plugin_children, CFG_NELEMS(plugin_children),
                                  &ctx->cfg->plugins);
}
