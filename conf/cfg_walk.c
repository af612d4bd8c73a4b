/* Table-driven handling of attributes and child elements, so each section of the
 * configuration states in one table what it reads, what it ignores and what it refuses. */
#include <string.h>

#include "cfg_int.h"

bool cfg_is_core(const xmlNode *node)
{
    return !node->ns || !node->ns->href ||
           strcmp((const char *)node->ns->href, CFG_NS_CORE) == 0;
}

apr_status_t cfg_once(cfg_ctx_t *ctx, const xmlNode *node, unsigned bit)
{
    if (ctx->seen & bit)
        return cfg_fail(ctx, node, NULL, CFG_EVALUE, "appears twice; give it once");
    ctx->seen |= bit;
    return APR_SUCCESS;
}

apr_status_t cfg_push(cfg_ctx_t *ctx, const xmlNode *node, apr_array_header_t *arr, void **slot)
{
    if (arr->nelts >= CFG_MAX_LIST)
        return cfg_fail(ctx, node, NULL, CFG_ETOOBIG, "more than %d entries", CFG_MAX_LIST);
    *slot = apr_array_push(arr);
    memset(*slot, 0, (size_t)arr->elt_size);
    return APR_SUCCESS;
}

const cfg_attr_spec_t *cfg_find_spec(const cfg_attr_spec_t *specs, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(specs[i].name, name) == 0)
            return &specs[i];
    return NULL;
}

apr_status_t cfg_apply(cfg_ctx_t *ctx, const xmlNode *node, const xmlAttr *a,
                       const cfg_attr_spec_t *spec, const char *v, void *target)
{
    apr_status_t rv;
    bool b;
    int64_t i;
    char *field = (char *)target + spec->offset;
    switch (spec->kind) {
    case CFG_A_STR:
        *(const char **)field = v;
        return APR_SUCCESS;
    case CFG_A_BOOL:
        if ((rv = cfg_to_bool(ctx, node, a, v, &b)) == APR_SUCCESS)
            *(bool *)field = b;
        return rv;
    case CFG_A_INT:
        if ((rv = cfg_to_int64(ctx, node, a, v, spec->min, spec->max, &i)) == APR_SUCCESS)
            *(int *)field = (int)i;
        return rv;
    case CFG_A_I64:
        if ((rv = cfg_to_int64(ctx, node, a, v, spec->min, spec->max, &i)) == APR_SUCCESS)
            *(int64_t *)field = i;
        return rv;
    case CFG_A_SIZE:
        if ((rv = cfg_to_size(ctx, node, a, v, spec->min, spec->max, &i)) == APR_SUCCESS)
            *(int64_t *)field = i;
        return rv;
    case CFG_A_WARN:
        return cfg_warn(ctx, node, a, "ignored: %s", spec->note);
    case CFG_A_WARN_TRUE:
        if ((rv = cfg_to_bool(ctx, node, a, v, &b)) != APR_SUCCESS || !b)
            return rv;
        return cfg_warn(ctx, node, a, "\"true\" ignored: %s", spec->note);
    case CFG_A_REFUSE_TRUE:
        if ((rv = cfg_to_bool(ctx, node, a, v, &b)) != APR_SUCCESS || !b)
            return rv;
        return cfg_fail(ctx, node, a, CFG_EUNSUPPORTED, "\"true\" is not supported: %s",
                        spec->note);
    case CFG_A_REFUSE:
        return cfg_fail(ctx, node, a, CFG_EUNSUPPORTED, "not supported: %s", spec->note);
    default:
        return APR_SUCCESS;
    }
}

apr_status_t cfg_attrs(cfg_ctx_t *ctx, const xmlNode *node, const cfg_attr_spec_t *specs,
                       size_t nspecs, void *target)
{
    apr_status_t rv;
    for (const xmlAttr *a = node->properties; a; a = a->next) {
        if (a->ns && a->ns->href) {
            if (strcmp((const char *)a->ns->href, CFG_NS_XSI) == 0)
                continue;
            if ((rv = cfg_warn(ctx, node, a, "attribute in namespace %s ignored",
                               (const char *)a->ns->href)) != APR_SUCCESS)
                return rv;
            continue;
        }
        const cfg_attr_spec_t *spec = cfg_find_spec(specs, nspecs, (const char *)a->name);
        const char *v;
        if (!spec)
            rv = cfg_warn(ctx, node, a, "unknown attribute ignored (hermod does not use it)");
        else if (spec->kind == CFG_A_SKIP || spec->kind == CFG_A_QUIET)
            rv = APR_SUCCESS;
        else if ((rv = cfg_attr_value(ctx, node, a, &v)) == APR_SUCCESS)
            rv = cfg_apply(ctx, node, a, spec, v, target);
        if (rv != APR_SUCCESS)
            return rv;
    }
    return APR_SUCCESS;
}

static bool blank(const xmlChar *s)
{
    for (; s && *s; s++)
        if (*s != ' ' && *s != '\t' && *s != '\r' && *s != '\n')
            return false;
    return true;
}

apr_status_t cfg_children(cfg_ctx_t *ctx, xmlNode *node, const cfg_elem_spec_t *specs,
                          size_t nspecs, void *target)
{
    apr_status_t rv = APR_SUCCESS;
    for (xmlNode *c = node->children; c && rv == APR_SUCCESS; c = c->next) {
        switch (c->type) {
        case XML_ELEMENT_NODE:
            break;
        case XML_TEXT_NODE:
        case XML_CDATA_SECTION_NODE:
            if (!blank(c->content))
                rv = cfg_fail(ctx, node, NULL, CFG_EUNKNOWN,
                              "unexpected text inside the element; hermod reads attributes "
                              "and child elements only");
            continue;
        case XML_ENTITY_REF_NODE:
            rv = cfg_fail(ctx, node, NULL, CFG_EXML, "entity references are not allowed");
            continue;
        default:
            continue;
        }
        if (c->ns && c->ns->href && strcmp((const char *)c->ns->href, CFG_NS_BEANS) == 0) {
            if (strcmp((const char *)c->name, "bean") == 0)
                rv = cfg_fail(ctx, c, NULL, CFG_EUNSUPPORTED,
                              "Spring bean definitions inside <%s> are not supported: hermod "
                              "never loads Java classes", (const char *)node->name);
            else
                rv = cfg_fail(ctx, c, NULL, CFG_EUNKNOWN, "is in the Spring beans namespace; "
                              "elements inside <broker> belong to ActiveMQ's (xmlns=\""
                              CFG_NS_CORE "\")");
            continue;
        }
        if (!cfg_is_core(c)) {
            rv = cfg_fail(ctx, c, NULL, CFG_EUNKNOWN, "element in namespace %s is unknown to "
                          "hermod", (const char *)c->ns->href);
            continue;
        }
        const cfg_elem_spec_t *spec = NULL;
        for (size_t i = 0; i < nspecs && !spec; i++)
            if (strcmp(specs[i].name, (const char *)c->name) == 0)
                spec = &specs[i];
        if (!spec) {
            rv = cfg_fail(ctx, c, NULL, CFG_EUNKNOWN,
                          "unknown element inside <%s>; hermod does not support it",
                          (const char *)node->name);
            continue;
        }
        switch (spec->kind) {
        case CFG_E_PARSE:
            rv = spec->fn(ctx, c, target);
            break;
        case CFG_E_WARN:
            rv = cfg_warn(ctx, c, NULL, "ignored: %s", spec->note);
            break;
        case CFG_E_INFO:
            cfg_info(ctx, c, NULL, "ignored: %s", spec->note);
            break;
        case CFG_E_REFUSE:
            rv = cfg_fail(ctx, c, NULL, CFG_EUNSUPPORTED, "not supported: %s", spec->note);
            break;
        }
    }
    return rv;
}
