/* Attribute values: ${...} placeholders, booleans, numbers and ActiveMQ size strings. */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <apr_strings.h>

#include "cfg_int.h"

const xmlAttr *cfg_attr_find(const xmlNode *node, const char *name)
{
    for (const xmlAttr *a = node->properties; a; a = a->next)
        if (!a->ns && strcmp((const char *)a->name, name) == 0)
            return a;
    return NULL;
}

const char *cfg_trim(apr_pool_t *pool, const char *s)
{
    while (isspace((unsigned char)*s))
        s++;
    size_t n = strlen(s);
    while (n > 0 && isspace((unsigned char)s[n - 1]))
        n--;
    return apr_pstrmemdup(pool, s, n);
}

apr_array_header_t *cfg_split_list(apr_pool_t *pool, const char *s)
{
    apr_array_header_t *arr = apr_array_make(pool, 4, sizeof(const char *));
    while (*s) {
        const char *comma = strchr(s, ',');
        size_t n = comma ? (size_t)(comma - s) : strlen(s);
        const char *item = cfg_trim(pool, apr_pstrmemdup(pool, s, n));
        if (*item)
            *(const char **)apr_array_push(arr) = item;
        s += n + (comma ? 1 : 0);
    }
    return arr;
}

/* The value of placeholder `name`: the caller's properties first, then activemq.*. */
static const char *lookup(cfg_ctx_t *ctx, const char *name)
{
    for (size_t i = 0; i < ctx->opts->nproperties; i++)
        if (ctx->opts->properties[i].name && strcmp(ctx->opts->properties[i].name, name) == 0)
            return ctx->opts->properties[i].value ? ctx->opts->properties[i].value : "";
    const char *v = ctx->props ? apr_hash_get(ctx->props, name, APR_HASH_KEY_STRING) : NULL;
    if (v)
        return v;
    if (strcmp(name, "activemq.base") == 0) return ctx->dir_base;
    if (strcmp(name, "activemq.home") == 0) return ctx->dir_home;
    if (strcmp(name, "activemq.conf") == 0) return ctx->dir_conf;
    if (strcmp(name, "activemq.data") == 0) return ctx->dir_data;
    return NULL;
}

/* Why only this much of Spring's placeholder syntax: activemq.xml files use ${name} and
 * occasionally ${name:default}; nesting and escapes are not seen in practice. */
apr_status_t cfg_expand(cfg_ctx_t *ctx, const xmlNode *node, const xmlAttr *attr,
                        const char *raw, const char **out)
{
    if (!strstr(raw, "${")) {
        if (strlen(raw) > CFG_MAX_VALUE_BYTES)
            return cfg_fail(ctx, node, attr, CFG_ETOOBIG, "value longer than %d bytes",
                            CFG_MAX_VALUE_BYTES);
        *out = apr_pstrdup(ctx->pool, raw);
        return APR_SUCCESS;
    }
    char *buf = apr_palloc(ctx->pool, CFG_MAX_VALUE_BYTES + 1);
    size_t n = 0;
    int count = 0;
    const char *p = raw;
    while (*p) {
        const char *piece;
        size_t plen;
        if (p[0] == '$' && p[1] == '{') {
            const char *close = strchr(p + 2, '}');
            if (!close)
                return cfg_fail(ctx, node, attr, CFG_EVALUE, "unterminated \"${\" in \"%s\"", raw);
            if (++count > CFG_MAX_PLACEHOLDERS)
                return cfg_fail(ctx, node, attr, CFG_ETOOBIG, "more than %d placeholders",
                                CFG_MAX_PLACEHOLDERS);
            char *name = apr_pstrmemdup(ctx->pool, p + 2, (size_t)(close - p - 2));
            char *dflt = strchr(name, ':');
            if (dflt)
                *dflt++ = '\0';
            piece = lookup(ctx, name);
            if (!piece && dflt)
                piece = dflt;
            if (!piece)
                return cfg_fail(ctx, node, attr, CFG_EPLACEHOLDER,
                                "unknown placeholder ${%s} (hermod knows ${activemq.base}, "
                                "${activemq.home}, ${activemq.conf}, ${activemq.data}, "
                                "the properties it is given and those of a "
                                "PropertyPlaceholderConfigurer bean's files)", name);
            plen = strlen(piece);
            p = close + 1;
        } else {
            piece = p;
            plen = 1;
            p++;
        }
        if (n + plen > CFG_MAX_VALUE_BYTES)
            return cfg_fail(ctx, node, attr, CFG_ETOOBIG, "value longer than %d bytes",
                            CFG_MAX_VALUE_BYTES);
        memcpy(buf + n, piece, plen);
        n += plen;
    }
    buf[n] = '\0';
    *out = buf;
    return APR_SUCCESS;
}

apr_status_t cfg_attr_value(cfg_ctx_t *ctx, const xmlNode *node, const xmlAttr *attr,
                            const char **out)
{
    xmlChar *raw = xmlNodeListGetString(attr->doc, attr->children, 1);
    apr_status_t rv = cfg_expand(ctx, node, attr, raw ? (const char *)raw : "", out);
    xmlFree(raw);
    return rv;
}

apr_status_t cfg_to_bool(cfg_ctx_t *ctx, const xmlNode *n, const xmlAttr *a, const char *s,
                         bool *out)
{
    static const char *const yes[] = { "true", "yes", "on", "1" };
    static const char *const no[] = { "false", "no", "off", "0" };
    const char *t = cfg_trim(ctx->pool, s);
    for (size_t i = 0; i < CFG_NELEMS(yes); i++) {
        if (strcasecmp(t, yes[i]) == 0) { *out = true; return APR_SUCCESS; }
        if (strcasecmp(t, no[i]) == 0) { *out = false; return APR_SUCCESS; }
    }
    return cfg_fail(ctx, n, a, CFG_EVALUE, "\"%s\" is not a boolean (true or false)", s);
}

apr_status_t cfg_to_int64(cfg_ctx_t *ctx, const xmlNode *n, const xmlAttr *a, const char *s,
                          int64_t min, int64_t max, int64_t *out)
{
    const char *t = cfg_trim(ctx->pool, s);
    char *end;
    errno = 0;
    long long v = strtoll(t, &end, 10);
    if (!*t || *end || errno == ERANGE || isspace((unsigned char)*t))
        return cfg_fail(ctx, n, a, CFG_EVALUE, "\"%s\" is not a whole number", s);
    if (v < min || v > max)
        return cfg_fail(ctx, n, a, CFG_EVALUE, "%lld is out of range %lld..%lld", v,
                        (long long)min, (long long)max);
    *out = v;
    return APR_SUCCESS;
}

apr_status_t cfg_parse_size(const char *text, int64_t *out)
{
    const char *p = text;
    while (isspace((unsigned char)*p))
        p++;
    if (!isdigit((unsigned char)*p))
        return CFG_EVALUE;
    uint64_t v = 0;
    while (isdigit((unsigned char)*p)) {
        v = v * 10 + (uint64_t)(*p++ - '0');
        if (v > (uint64_t)INT64_MAX)
            return CFG_EVALUE;
    }
    while (isspace((unsigned char)*p))
        p++;
    int shift = 0;
    switch (tolower((unsigned char)*p)) {
    case 'k': shift = 10; p++; break;
    case 'm': shift = 20; p++; break;
    case 'g': shift = 30; p++; break;
    default: break;
    }
    if (tolower((unsigned char)*p) == 'b')
        p++;
    while (isspace((unsigned char)*p))
        p++;
    if (*p)
        return CFG_EVALUE;
    if (v > ((uint64_t)INT64_MAX >> shift))
        return CFG_EVALUE;
    *out = (int64_t)(v << shift);
    return APR_SUCCESS;
}

apr_status_t cfg_to_size(cfg_ctx_t *ctx, const xmlNode *n, const xmlAttr *a, const char *s,
                         int64_t min, int64_t max, int64_t *out)
{
    int64_t v;
    if (cfg_parse_size(s, &v) != APR_SUCCESS)
        return cfg_fail(ctx, n, a, CFG_EVALUE, "\"%s\" is not a size (e.g. \"64 mb\", "
                        "\"1 gb\", \"512kb\", \"1048576\")", s);
    if (v < min || v > max)
        return cfg_fail(ctx, n, a, CFG_EVALUE, "size %lld bytes is out of range %lld..%lld",
                        (long long)v, (long long)min, (long long)max);
    *out = v;
    return APR_SUCCESS;
}
