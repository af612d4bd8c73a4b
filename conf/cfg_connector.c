/* <transportConnectors>: each <transportConnector uri="scheme://host:port?options"> becomes
 * a cfg_connector_t.  Options follow ActiveMQ's names; the ones hermod has no use for are
 * warned about by name (ActiveMQ itself rejects some unknown options only when the first
 * client connects; a warning at start-up is the kinder of the two). */
#include <ctype.h>
#include <string.h>

#include <apr_strings.h>

#include "cfg_int.h"

typedef enum { SCHEME_OK, SCHEME_SKIP } scheme_use_e;

typedef struct scheme_s {
    const char *text;
    scheme_use_e use;
    cfg_scheme_e scheme;
    unsigned protocols;
    bool tls;
    const char *note;                 /* SCHEME_SKIP: why; SCHEME_OK: a mapping note or NULL */
} scheme_t;

#define OW CFG_PROTO_OPENWIRE
#define AM CFG_PROTO_AMQP
static const scheme_t schemes[] = {
    { "tcp", SCHEME_OK, CFG_SCHEME_TCP, OW, false, NULL },
    { "nio", SCHEME_OK, CFG_SCHEME_TCP, OW, false, "nio:// is served like tcp:// (hermod's I/O "
      "is always non-blocking)" },
    { "ssl", SCHEME_OK, CFG_SCHEME_SSL, OW, true, NULL },
    { "nio+ssl", SCHEME_OK, CFG_SCHEME_SSL, OW, true, "nio+ssl:// is served like ssl://" },
    { "amqp", SCHEME_OK, CFG_SCHEME_AMQP, AM, false, NULL },
    { "amqp+nio", SCHEME_OK, CFG_SCHEME_AMQP, AM, false, "amqp+nio:// is served like amqp://" },
    { "amqp+ssl", SCHEME_OK, CFG_SCHEME_AMQP_SSL, AM, true, NULL },
    { "amqp+nio+ssl", SCHEME_OK, CFG_SCHEME_AMQP_SSL, AM, true, "amqp+nio+ssl:// is served like "
      "amqp+ssl://" },
    { "auto", SCHEME_OK, CFG_SCHEME_AUTO, OW | AM, false, NULL },
    { "auto+nio", SCHEME_OK, CFG_SCHEME_AUTO, OW | AM, false, "auto+nio:// is served like auto://" },
    { "auto+ssl", SCHEME_OK, CFG_SCHEME_AUTO_SSL, OW | AM, true, NULL },
    { "auto+nio+ssl", SCHEME_OK, CFG_SCHEME_AUTO_SSL, OW | AM, true, "auto+nio+ssl:// is served "
      "like auto+ssl://" },
    { "stomp", SCHEME_SKIP, 0, 0, false, "hermod does not speak STOMP" },
    { "stomp+nio", SCHEME_SKIP, 0, 0, false, "hermod does not speak STOMP" },
    { "stomp+ssl", SCHEME_SKIP, 0, 0, false, "hermod does not speak STOMP" },
    { "stomp+nio+ssl", SCHEME_SKIP, 0, 0, false, "hermod does not speak STOMP" },
    { "mqtt", SCHEME_SKIP, 0, 0, false, "hermod does not speak MQTT" },
    { "mqtt+nio", SCHEME_SKIP, 0, 0, false, "hermod does not speak MQTT" },
    { "mqtt+ssl", SCHEME_SKIP, 0, 0, false, "hermod does not speak MQTT" },
    { "mqtt+nio+ssl", SCHEME_SKIP, 0, 0, false, "hermod does not speak MQTT" },
    { "ws", SCHEME_SKIP, 0, 0, false, "hermod has no WebSocket transport" },
    { "wss", SCHEME_SKIP, 0, 0, false, "hermod has no WebSocket transport" },
    { "http", SCHEME_SKIP, 0, 0, false, "hermod has no HTTP transport" },
    { "https", SCHEME_SKIP, 0, 0, false, "hermod has no HTTP transport" },
    { "udp", SCHEME_SKIP, 0, 0, false, "hermod has no UDP transport" },
};

static void connector_defaults(cfg_connector_t *c)
{
    memset(c, 0, sizeof *c);
    c->backlog = 128;
    c->connect_timeout_ms = 10000;    /* ActiveMQ's is 30 s; hermod closes idle sockets sooner */
    c->max_frame_size = 104857600;
    c->max_frame_size_enabled = true;
    c->max_inactivity_ms = 30000;
    c->max_inactivity_initial_delay_ms = 10000;
    c->tight_encoding = true;
    c->cache_enabled = true;
    c->cache_size = 1024;
    c->stack_trace_enabled = true;
    c->tcp_no_delay_enabled = true;
    c->max_wire_version = 12;
    c->amqp_max_frame_size = 131072;
    c->amqp_idle_timeout_ms = 30000;
    c->amqp_producer_credit = 1000;
    c->amqp_transformer = "jms";
    c->tcp_no_delay = true;
    c->use_inactivity_monitor = true;
    c->use_keep_alive = true;
}

#define O(n, k, f, lo, hi) CFG_ATTR(n, k, cfg_connector_t, f, lo, hi)
static const cfg_attr_spec_t options[] = {
    O("maximumConnections", CFG_A_INT, max_connections, 1, INT32_MAX),
    O("maximumConnectionsPerAddress", CFG_A_INT, max_connections_per_address, 1, INT32_MAX),
    O("backlog", CFG_A_INT, backlog, 1, 65535),
    O("connectionTimeout", CFG_A_I64, connect_timeout_ms, 0, INT64_MAX),
    O("protocolDetectionTimeOut", CFG_A_I64, connect_timeout_ms, 0, INT64_MAX),
    O("allowLinkStealing", CFG_A_BOOL, allow_link_stealing, 0, 0),
    O("soTimeout", CFG_A_I64, so_timeout_ms, 0, INT64_MAX),
    O("socketBufferSize", CFG_A_INT, socket_buffer_size, 0, INT32_MAX),
    O("needClientAuth", CFG_A_BOOL, need_client_auth, 0, 0),
    O("wantClientAuth", CFG_A_BOOL, want_client_auth, 0, 0),
    O("wireFormat.maxFrameSize", CFG_A_SIZE, max_frame_size, 1, INT64_MAX),
    O("wireFormat.maxFrameSizeEnabled", CFG_A_BOOL, max_frame_size_enabled, 0, 0),
    O("wireFormat.maxInactivityDuration", CFG_A_I64, max_inactivity_ms, 0, INT64_MAX),
    O("wireFormat.maxInactivityDurationInitalDelay", CFG_A_I64, max_inactivity_initial_delay_ms,
      0, INT64_MAX),
    O("wireFormat.maxInactivityDurationInitialDelay", CFG_A_I64, max_inactivity_initial_delay_ms,
      0, INT64_MAX),
    O("wireFormat.tightEncodingEnabled", CFG_A_BOOL, tight_encoding, 0, 0),
    O("wireFormat.cacheEnabled", CFG_A_BOOL, cache_enabled, 0, 0),
    O("wireFormat.cacheSize", CFG_A_INT, cache_size, 0, 32767),
    O("wireFormat.sizePrefixDisabled", CFG_A_BOOL, size_prefix_disabled, 0, 0),
    O("wireFormat.stackTraceEnabled", CFG_A_BOOL, stack_trace_enabled, 0, 0),
    O("wireFormat.tcpNoDelayEnabled", CFG_A_BOOL, tcp_no_delay_enabled, 0, 0),
    O("wireFormat.version", CFG_A_INT, max_wire_version, 1, 12),
    O("wireFormat.maxAmqpFrameSize", CFG_A_SIZE, amqp_max_frame_size, 512, INT32_MAX),
    O("wireFormat.idleTimeout", CFG_A_I64, amqp_idle_timeout_ms, 0, INT64_MAX),
    O("transport.idleTimeout", CFG_A_I64, amqp_idle_timeout_ms, 0, INT64_MAX),
    O("wireFormat.allowNonSaslConnections", CFG_A_BOOL, amqp_allow_non_sasl, 0, 0),
    O("wireFormat.connectAttemptTimeout", CFG_A_I64, connect_timeout_ms, 0, INT64_MAX),
    O("transport.connectAttemptTimeout", CFG_A_I64, connect_timeout_ms, 0, INT64_MAX),
    O("wireFormat.producerCredit", CFG_A_INT, amqp_producer_credit, 0, INT32_MAX),
    O("transport.producerCredit", CFG_A_INT, amqp_producer_credit, 0, INT32_MAX),
    O("transport.prefetch", CFG_A_INT, amqp_prefetch, 0, INT32_MAX),
    O("transport.transformer", CFG_A_SKIP, amqp_transformer, 0, 0),
    O("transport.tcpNoDelay", CFG_A_BOOL, tcp_no_delay, 0, 0),
    O("transport.keepAlive", CFG_A_BOOL, keep_alive, 0, 0),
    O("transport.socketBufferSize", CFG_A_INT, socket_buffer_size, 0, INT32_MAX),
    O("transport.soTimeout", CFG_A_I64, so_timeout_ms, 0, INT64_MAX),
    O("transport.soWriteTimeout", CFG_A_I64, so_write_timeout_ms, 0, INT64_MAX),
    O("transport.useInactivityMonitor", CFG_A_BOOL, use_inactivity_monitor, 0, 0),
    O("transport.useKeepAlive", CFG_A_BOOL, use_keep_alive, 0, 0),
    O("transport.needClientAuth", CFG_A_BOOL, need_client_auth, 0, 0),
    O("transport.wantClientAuth", CFG_A_BOOL, want_client_auth, 0, 0),
    O("transport.enabledProtocols", CFG_A_STR, enabled_protocols, 0, 0),
    O("transport.enabledCipherSuites", CFG_A_STR, enabled_cipher_suites, 0, 0),
    O("auto.protocols", CFG_A_SKIP, protocols, 0, 0),
    CFG_ATTR_NOTE("trace", CFG_A_WARN, "use hermod's debug log level"),
    CFG_ATTR_NOTE("transport.trace", CFG_A_WARN, "use hermod's debug log level"),
    CFG_ATTR_NOTE("transport.closeAsync", CFG_A_QUIET, NULL),
    CFG_ATTR_NOTE("useQueueForAccept", CFG_A_QUIET, NULL),
    CFG_ATTR_NOTE("transport.ioBufferSize", CFG_A_WARN, "Java stream buffering"),
    CFG_ATTR_NOTE("transport.soLinger", CFG_A_WARN, "hermod closes sockets without lingering"),
    CFG_ATTR_NOTE("transport.useLocalHost", CFG_A_QUIET, NULL),
    CFG_ATTR_NOTE("transport.daemon", CFG_A_QUIET, NULL),
    CFG_ATTR_NOTE("transport.threadName", CFG_A_QUIET, NULL),
    CFG_ATTR_NOTE("diffServ", CFG_A_WARN, "hermod does not set IP traffic classes"),
    CFG_ATTR_NOTE("typeOfService", CFG_A_WARN, "hermod does not set IP traffic classes"),
    CFG_ATTR_NOTE("dynamicManagement", CFG_A_WARN, "hermod has no JMX"),
    CFG_ATTR_NOTE("jmxPort", CFG_A_WARN, "hermod has no JMX"),
    CFG_ATTR_NOTE("startLogging", CFG_A_WARN, "use hermod's debug log level"),
    CFG_ATTR_NOTE("logWriterName", CFG_A_WARN, "use hermod's debug log level"),
    CFG_ATTR_NOTE("wireFormat.host", CFG_A_QUIET, NULL),
    CFG_ATTR_NOTE("wireFormat.includePlatformDetails", CFG_A_QUIET, NULL),
};
#undef O

static int hexval(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* URL-decodes like Java's URLDecoder (which ActiveMQ uses): %XX and '+' for space. */
static char *url_decode(apr_pool_t *pool, const char *s, size_t n)
{
    char *out = apr_palloc(pool, n + 1), *o = out;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '%' && i + 2 < n && hexval(s[i + 1]) >= 0 && hexval(s[i + 2]) >= 0) {
            *o++ = (char)(hexval(s[i + 1]) * 16 + hexval(s[i + 2]));
            i += 2;
        } else {
            *o++ = s[i] == '+' ? ' ' : s[i];
        }
    }
    *o = '\0';
    return out;
}

/* auto.protocols=default,amqp narrows what an auto:// listener accepts. */
static apr_status_t auto_protocols(cfg_ctx_t *ctx, const xmlNode *node, const xmlAttr *attr,
                                   const char *v, cfg_connector_t *c)
{
    apr_array_header_t *list = cfg_split_list(ctx->pool, v);
    unsigned protos = 0;
    apr_status_t rv = APR_SUCCESS;
    if (c->scheme != CFG_SCHEME_AUTO && c->scheme != CFG_SCHEME_AUTO_SSL)
        return cfg_warn(ctx, node, attr, "ignored: only auto:// listeners detect protocols");
    for (int i = 0; i < list->nelts && rv == APR_SUCCESS; i++) {
        const char *p = APR_ARRAY_IDX(list, i, const char *);
        if (strcasecmp(p, "default") == 0 || strcasecmp(p, "openwire") == 0)
            protos |= CFG_PROTO_OPENWIRE;
        else if (strcasecmp(p, "amqp") == 0)
            protos |= CFG_PROTO_AMQP;
        else if (strcasecmp(p, "stomp") == 0 || strcasecmp(p, "mqtt") == 0)
            rv = cfg_warn(ctx, node, attr, "protocol \"%s\" ignored: hermod serves OpenWire "
                          "and AMQP only", p);
        else
            rv = cfg_fail(ctx, node, attr, CFG_EVALUE, "unknown protocol \"%s\" (default, "
                          "amqp, stomp, mqtt)", p);
    }
    if (rv == APR_SUCCESS && !protos)
        rv = cfg_fail(ctx, node, attr, CFG_EVALUE, "names no protocol hermod serves");
    if (rv == APR_SUCCESS)
        c->protocols = protos;
    return rv;
}

static apr_status_t one_option(cfg_ctx_t *ctx, const xmlNode *node, const xmlAttr *attr,
                               const char *key, const char *value, cfg_connector_t *c)
{
    const cfg_attr_spec_t *spec = cfg_find_spec(options, CFG_NELEMS(options), key);
    if (!spec)
        return cfg_warn(ctx, node, attr, "unknown option ignored (hermod does not use it)");
    if (strcmp(key, "auto.protocols") == 0)
        return auto_protocols(ctx, node, attr, value, c);
    if (strcmp(key, "transport.transformer") == 0) {
        if (strcmp(value, "jms") && strcmp(value, "native") && strcmp(value, "raw"))
            return cfg_fail(ctx, node, attr, CFG_EVALUE, "\"%s\" is not jms, native or raw",
                            value);
        c->amqp_transformer = value;
        return APR_SUCCESS;
    }
    if (spec->kind == CFG_A_QUIET)
        return APR_SUCCESS;
    return cfg_apply(ctx, node, attr, spec, value, c);
}

static apr_status_t query(cfg_ctx_t *ctx, const xmlNode *node, const xmlAttr *attr,
                          const char *q, cfg_connector_t *c)
{
    int count = 0;
    apr_status_t rv = APR_SUCCESS;
    while (*q && rv == APR_SUCCESS) {
        const char *amp = strchr(q, '&');
        size_t n = amp ? (size_t)(amp - q) : strlen(q);
        if (n > 0) {
            if (++count > CFG_MAX_URI_OPTIONS)
                return cfg_fail(ctx, node, attr, CFG_ETOOBIG, "more than %d options",
                                CFG_MAX_URI_OPTIONS);
            const char *eq = memchr(q, '=', n);
            size_t klen = eq ? (size_t)(eq - q) : n;
            const char *key = url_decode(ctx->pool, q, klen);
            const char *val = eq ? url_decode(ctx->pool, eq + 1, n - klen - 1) : "";
            ctx->option = key;
            if (!eq)
                rv = cfg_fail(ctx, node, attr, CFG_EVALUE, "needs a value (name=value)");
            else
                rv = one_option(ctx, node, attr, key, val, c);
            ctx->option = NULL;
        }
        q += n + (amp ? 1 : 0);
    }
    return rv;
}

apr_status_t cfg_parse_uri(cfg_ctx_t *ctx, const xmlNode *node, const xmlAttr *attr,
                           const char *uri, cfg_connector_t *c, bool *skip)
{
    *skip = false;
    const char *sep = strstr(uri, "://");
    if (!sep || sep == uri)
        return cfg_fail(ctx, node, attr, CFG_EVALUE, "\"%s\" is not a URI like "
                        "tcp://host:port", uri);
    char *scheme = apr_pstrmemdup(ctx->pool, uri, (size_t)(sep - uri));
    for (char *p = scheme; *p; p++)
        *p = (char)tolower((unsigned char)*p);
    const scheme_t *s = NULL;
    for (size_t i = 0; i < CFG_NELEMS(schemes) && !s; i++)
        if (strcmp(schemes[i].text, scheme) == 0)
            s = &schemes[i];
    if (!s)
        return cfg_fail(ctx, node, attr, CFG_EUNSUPPORTED, "unsupported scheme \"%s\" (hermod "
                        "serves tcp, ssl, nio, nio+ssl, amqp, amqp+ssl, auto, auto+ssl)", scheme);
    if (s->use == SCHEME_SKIP) {
        *skip = true;
        return cfg_warn(ctx, node, attr, "connector \"%s\" skipped: %s", uri, s->note);
    }
    if (s->note)
        cfg_info(ctx, node, attr, "%s", s->note);
    c->scheme_text = scheme;
    c->scheme = s->scheme;
    c->protocols = s->protocols;
    c->tls = s->tls;

    /* authority: host[:port] or [v6]:port, then an optional "/" */
    const char *p = sep + 3;
    const char *host, *host_end;
    if (*p == '[') {
        host = p + 1;
        host_end = strchr(host, ']');
        if (!host_end)
            return cfg_fail(ctx, node, attr, CFG_EVALUE, "\"%s\": unclosed \"[\" in the host", uri);
        p = host_end + 1;
    } else {
        host = p;
        while (*p && *p != ':' && *p != '/' && *p != '?')
            p++;
        host_end = p;
    }
    if (host_end == host)
        return cfg_fail(ctx, node, attr, CFG_EVALUE, "\"%s\" has no host (use 0.0.0.0 to listen "
                        "on every address)", uri);
    c->host = apr_pstrmemdup(ctx->pool, host, (size_t)(host_end - host));
    if (*p != ':')
        return cfg_fail(ctx, node, attr, CFG_EVALUE, "\"%s\" has no port", uri);
    const char *port = ++p;
    while (*p && *p != '/' && *p != '?')
        p++;
    const char *port_text = apr_pstrmemdup(ctx->pool, port, (size_t)(p - port));
    long v = 0;
    bool digits = *port_text != '\0' && strlen(port_text) <= 6;
    for (const char *d = port_text; *d && digits; d++)
        digits = isdigit((unsigned char)*d) != 0;
    if (digits)
        v = strtol(port_text, NULL, 10);
    if (!digits || v < 1 || v > 65535)
        return cfg_fail(ctx, node, attr, CFG_EVALUE, "port \"%s\" is not in 1..65535", port_text);
    c->port = (int)v;
    if (*p == '/')
        p++;
    if (*p && *p != '?')
        return cfg_fail(ctx, node, attr, CFG_EVALUE, "\"%s\": unexpected path \"%s\"", uri, p);
    return *p == '?' ? query(ctx, node, attr, p + 1, c) : APR_SUCCESS;
}

static const cfg_attr_spec_t connector_attrs[] = {
    CFG_ATTR("name", CFG_A_STR, cfg_connector_t, name, 0, 0),
    CFG_ATTR_NOTE("uri", CFG_A_SKIP, NULL),
    CFG_ATTR("allowLinkStealing", CFG_A_BOOL, cfg_connector_t, allow_link_stealing, 0, 0),
    CFG_ATTR("maximumProducersAllowedPerConnection", CFG_A_INT, cfg_connector_t,
             max_producers_per_connection, 0, INT32_MAX),
    CFG_ATTR("maximumConsumersAllowedPerConnection", CFG_A_INT, cfg_connector_t,
             max_consumers_per_connection, 0, INT32_MAX),
    CFG_ATTR_NOTE("updateClusterClients", CFG_A_WARN_TRUE, "hermod does not form clusters"),
    CFG_ATTR_NOTE("rebalanceClusterClients", CFG_A_WARN_TRUE, "hermod does not form clusters"),
    CFG_ATTR_NOTE("updateClusterClientsOnRemove", CFG_A_WARN_TRUE, "hermod does not form clusters"),
    CFG_ATTR_NOTE("updateClusterFilter", CFG_A_WARN, "hermod does not form clusters"),
    CFG_ATTR_NOTE("discoveryUri", CFG_A_WARN, "hermod does not advertise itself"),
    CFG_ATTR_NOTE("enableStatusMonitor", CFG_A_WARN_TRUE, "hermod has no status monitor"),
    CFG_ATTR_NOTE("auditNetworkProducers", CFG_A_WARN_TRUE, "hermod has no network bridges"),
    CFG_ATTR_NOTE("disableAsyncDispatch", CFG_A_WARN_TRUE, "hermod always dispatches "
                  "asynchronously"),
    CFG_ATTR_NOTE("warnOnRemoteClose", CFG_A_QUIET, NULL),
    CFG_ATTR_NOTE("displayStackTrace", CFG_A_QUIET, NULL),
};

static const cfg_elem_spec_t connector_children[] = {
    { "publishedAddressPolicy", CFG_E_WARN, NULL, "hermod does not publish addresses to clients" },
};

static apr_status_t transport_connector(cfg_ctx_t *ctx, xmlNode *node, void *target)
{
    cfg_t *cfg = ctx->cfg;
    cfg_connector_t c;
    connector_defaults(&c);
    c.line = cfg_line(node, NULL);
    apr_status_t rv = cfg_attrs(ctx, node, connector_attrs, CFG_NELEMS(connector_attrs), &c);
    if (rv != APR_SUCCESS)
        return rv;
    const xmlAttr *ua = cfg_attr_find(node, "uri");
    if (!ua)
        return cfg_fail(ctx, node, NULL, CFG_EMISSING, "attribute \"uri\" is required "
                        "(e.g. uri=\"tcp://0.0.0.0:61616\")");
    const char *uri;
    bool skip;
    if ((rv = cfg_attr_value(ctx, node, ua, &uri)) != APR_SUCCESS)
        return rv;
    c.uri = cfg_trim(ctx->pool, uri);
    if ((rv = cfg_parse_uri(ctx, node, ua, c.uri, &c, &skip)) != APR_SUCCESS || skip)
        return rv;
    if ((rv = cfg_children(ctx, node, connector_children, CFG_NELEMS(connector_children), &c)))
        return rv;
    if (!c.name || !*c.name)
        c.name = c.uri;                        /* ActiveMQ names an unnamed connector so too */
    for (int i = 0; i < cfg->connectors->nelts; i++) {
        cfg_connector_t *o = &APR_ARRAY_IDX(cfg->connectors, i, cfg_connector_t);
        if (strcmp(o->name, c.name) == 0)
            return cfg_fail(ctx, node, cfg_attr_find(node, "name"), CFG_EVALUE, "a second "
                            "connector named \"%s\" (first on line %d)", c.name, o->line);
        if (o->port == c.port && strcmp(o->host, c.host) == 0)
            return cfg_fail(ctx, node, ua, CFG_EVALUE, "%s:%d is already used by connector "
                            "\"%s\" (line %d)", c.host, c.port, o->name, o->line);
    }
    void *slot;
    if ((rv = cfg_push(ctx, node, cfg->connectors, &slot)) != APR_SUCCESS)
        return rv;
    memcpy(slot, &c, sizeof c);
    return APR_SUCCESS;
}

static const cfg_elem_spec_t connectors_children[] = {
    { "transportConnector", CFG_E_PARSE, transport_connector, NULL },
};

apr_status_t cfg_transport_connectors(cfg_ctx_t *ctx, xmlNode *node, void *target)
{
    apr_status_t rv = cfg_attrs(ctx, node, NULL, 0, NULL);
    return rv != APR_SUCCESS ? rv
         : cfg_children(ctx, node, connectors_children, CFG_NELEMS(connectors_children), target);
}
