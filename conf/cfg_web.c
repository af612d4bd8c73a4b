/* <webConsole uri="http://127.0.0.1:8161" allowRemoteWithoutAuth="false" adminGroup="admins"/>:
 * hermod's own element for the management HTTP side (console, JSON API, Prometheus metrics).
 * Only the address is checked here; who may reach it is decided where it starts (mgmt/). */
#include <stdlib.h>
#include <string.h>

#include <apr_strings.h>

#include "cfg_int.h"

static const cfg_attr_spec_t web_attrs[] = {
    CFG_ATTR("uri", CFG_A_STR, cfg_web_t, uri, 0, 0),
    CFG_ATTR("allowRemoteWithoutAuth", CFG_A_BOOL, cfg_web_t, allow_remote_without_auth, 0, 0),
    CFG_ATTR("adminGroup", CFG_A_STR, cfg_web_t, admin_group, 0, 0),
};

/* http://host:port with a literal IPv4 address or a name, no path but "/". */
static apr_status_t parse_uri(cfg_ctx_t *ctx, const xmlNode *node, cfg_web_t *w)
{
    const xmlAttr *a = cfg_attr_find(node, "uri");
    const char *u = w->uri, *p;
    w->https = strncmp(u, "https://", 8) == 0;
    if (!w->https && strncmp(u, "http://", 7) != 0)
        return cfg_fail(ctx, node, a, CFG_EVALUE, "\"%s\": expected http://host:port or https://host:port", u);
    p = u + (w->https ? 8 : 7);
    const char *colon = strrchr(p, ':');
    if (!colon || colon == p)
        return cfg_fail(ctx, node, a, CFG_EVALUE, "\"%s\": expected http://host:port", u);
    char *end;
    long port = strtol(colon + 1, &end, 10);
    if (end == colon + 1 || port < 1 || port > 65535 || (*end && strcmp(end, "/") != 0))
        return cfg_fail(ctx, node, a, CFG_EVALUE, "\"%s\": the port must be 1..65535 and no path "
                        "may follow", u);
    w->host = apr_pstrmemdup(ctx->pool, p, (size_t)(colon - p));
    size_t hl = strlen(w->host);
    if (hl >= 2 && w->host[0] == '[' && w->host[hl - 1] == ']')    /* [v6]: the address itself */
        w->host = apr_pstrmemdup(ctx->pool, w->host + 1, hl - 2);
    w->port = (int)port;
    return APR_SUCCESS;
}

apr_status_t cfg_web_console(cfg_ctx_t *ctx, xmlNode *node, void *target)
{
    cfg_t *cfg = ctx->cfg;
    if (cfg->web)
        return cfg_fail(ctx, node, NULL, CFG_EVALUE, "appears twice; give it once");
    cfg_web_t *w = apr_pcalloc(ctx->pool, sizeof *w);
    w->admin_group = "admins";
    w->line = cfg_line(node, NULL);
    apr_status_t rv = cfg_attrs(ctx, node, web_attrs, CFG_NELEMS(web_attrs), w);
    if (rv == APR_SUCCESS)
        rv = cfg_children(ctx, node, NULL, 0, NULL);
    if (rv != APR_SUCCESS)
        return rv;
    if (!w->uri)
        return cfg_fail(ctx, node, NULL, CFG_EMISSING, "give uri=\"http://127.0.0.1:8161\"");
    if ((rv = parse_uri(ctx, node, w)) != APR_SUCCESS)
        return rv;
    /* https serves the broker's own certificate: checked once the whole <broker> is read
     * (cfg_web_check), since <sslContext> may come after <webConsole> */
    cfg->web = w;
    return APR_SUCCESS;
}

apr_status_t cfg_web_check(cfg_ctx_t *ctx, xmlNode *broker)
{
    const cfg_t *cfg = ctx->cfg;
    const cfg_web_t *w = cfg->web;
    if (!w || !w->https)
        return APR_SUCCESS;
    if (!cfg->tls)
        return cfg_fail_at(ctx, w->line, CFG_EMISSING, "<webConsole uri=\"%s\">: https needs an "
                           "<sslContext> with the broker's certificate", w->uri);
    if (cfg->tls->format != CFG_TLS_PEM)
        return cfg_fail_at(ctx, w->line, CFG_EUNSUPPORTED, "<webConsole uri=\"%s\">: the console "
                           "serves PEM files (certificate= and privateKey= of <sslContext>), not a "
                           "PKCS#12 keyStore", w->uri);
    return APR_SUCCESS;
}
