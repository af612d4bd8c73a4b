/* The HTTP server of the management side on libmicrohttpd (its own thread): who may talk to it,
 * the routes, the bounded request body, the answer's headers. */
#include <netdb.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <netinet/in.h>

#include <microhttpd.h>

#include <apr_strings.h>

#include "hm_log.h"
#include "mg_history.h"
#include "mg_int.h"

struct mg_server_s {
    struct MHD_Daemon *d;
    hm_broker_t *b;
    mg_history_t *history;
    /* Why memory is kept between requests: a 10,000-destination scrape every second would
     * otherwise map and unmap megabytes each time, and every unmap interrupts the broker's
     * other threads (TLB shootdowns).  Both are used only on libmicrohttpd's one thread. */
    apr_allocator_t *alloc;        /* request pools' memory, up to MG_KEEP_POOLS kept */
    uint8_t *spare;                /* the last answer's buffer, for the next one */
    size_t spare_cap;
    mg_opts_t opts;
    char port_text[8];
};

/* Per HTTP request, across libmicrohttpd's calls (headers, body pieces, end). */
typedef struct conn_state_s {
    mg_req_t r;
    const struct route_s *route;
    struct MHD_PostProcessor *pp;
    size_t body_bytes;
    int nfields;
    int refused;                   /* an answer is decided before the body is read (status) */
    char why[320];
} conn_state_t;

typedef struct route_s {
    const char *method;            /* "GET", "POST" or "DELETE" */
    const char *path;              /* exact, or ending in '/' for a prefix (the console) */
    mg_handler_fn fn;
} route_t;

static const route_t routes[] = {
    { "GET", "/metrics", mg_metrics },
    { "GET", "/api/broker", mg_api_broker },
    { "GET", "/api/destinations", mg_api_list },
    { "GET", "/api/connections", mg_api_list },
    { "GET", "/api/consumers", mg_api_list },
    { "GET", "/api/producers", mg_api_list },
    { "GET", "/api/subscriptions", mg_api_list },
    { "GET", "/api/scheduled", mg_api_scheduled },
    { "GET", "/api/browse", mg_api_browse },
    { "GET", "/api/history", mg_api_history },
    { "POST", "/api/destinations", mg_api_create },
    { "DELETE", "/api/destinations", mg_api_delete },
    { "POST", "/api/purge", mg_api_purge },
    { "POST", "/api/send", mg_api_send },
    { "POST", "/api/move", mg_api_move },
    { "POST", "/api/copy", mg_api_copy },
    { "DELETE", "/api/message", mg_api_remove },
    { "POST", "/api/pause", mg_api_pause },
    { "POST", "/api/resume", mg_api_resume },
    { "GET", "/admin/xml/queues.jsp", mg_queues_jsp },
    { "GET", "/admin/", mg_console },
};

/* The route for method and path; *known tells whether the path exists with another method. */
static const route_t *find_route(const char *method, const char *path, int *known)
{
    *known = 0;
    for (size_t i = 0; i < sizeof routes / sizeof routes[0]; i++) {
        const route_t *rt = &routes[i];
        size_t n = strlen(rt->path);
        int match = rt->path[n - 1] == '/' ? strncmp(path, rt->path, n) == 0 : strcmp(path, rt->path) == 0;
        if (!match)
            continue;
        *known = 1;
        if (strcmp(method, rt->method) == 0)
            return rt;
    }
    return NULL;
}

const char *mg_arg(mg_req_t *r, const char *name)
{
    const char *v = r->form ? apr_table_get(r->form, name) : NULL;
    if (!v)
        v = MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, name);
    return v && strlen(v) <= MG_MAX_PARAM ? v : NULL;
}

int mg_fail(mg_req_t *r, int status, const char *fmt, ...)
{
    char text[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    hm_wbuf_reset(&r->out);
    mg_puts(&r->out, "{\"error\":");
    mg_json_cstr(&r->out, text);
    mg_puts(&r->out, "}\n");
    r->type = "application/json";
    return status;
}

int mg_http_status(apr_status_t st)
{
    switch (st) {
    case APR_SUCCESS: return MHD_HTTP_OK;
    case HM_ENOTFOUND: return MHD_HTTP_NOT_FOUND;
    case HM_EINVAL: case HM_ESELECTOR: return MHD_HTTP_BAD_REQUEST;
    case HM_EPROTO: case HM_EEXISTS: return MHD_HTTP_CONFLICT;
    case HM_EFLOW: case HM_ENOSPACE: return MHD_HTTP_SERVICE_UNAVAILABLE;
    case HM_ENOTALLOWED: case HM_EDENIED: return MHD_HTTP_FORBIDDEN;
    default: return MHD_HTTP_INTERNAL_SERVER_ERROR;
    }
}

/* DNS rebinding: a page from evil.example whose name now points at 127.0.0.1 sends its own
 * Host.  Without authentication only the names of this machine's loopback are served. */
static int host_allowed(const mg_server_t *s, const char *host)
{
    if (s->opts.allow_remote_without_auth || s->opts.auth_configured)
        return 1;
    if (!host)
        return 0;
    static const char *const names[] = { "127.0.0.1", "localhost", "[::1]" };
    const char *colon = host[0] == '[' ? strchr(host, ']') : host;
    colon = colon ? strchr(colon, ':') : NULL;
    size_t hl = colon ? (size_t)(colon - host) : strlen(host);
    if (colon && strcmp(colon + 1, s->port_text) != 0)
        return 0;
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strlen(names[i]) == hl && strncasecmp(host, names[i], hl) == 0)
            return 1;
    return strlen(s->opts.host) == hl && strncasecmp(host, s->opts.host, hl) == 0;
}

/* With users configured, every request carries HTTP Basic credentials of a user in the admin
 * group (ActiveMQ's console realm), checked by the broker's authenticator; refusals are logged
 * with every other refused login (rate-limited). */
static int authenticated(const mg_server_t *s, struct MHD_Connection *c)
{
    if (!s->opts.auth_configured)
        return 1;
    char *pass = NULL;
    char *user = MHD_basic_auth_get_username_password(c, &pass);
    int ok = 0;
    if (user && strlen(user) <= MG_MAX_CREDENTIAL && (!pass || strlen(pass) <= MG_MAX_CREDENTIAL)) {
        const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
        char remote[INET6_ADDRSTRLEN + 16] = "http";
        if (ci && ci->client_addr)
            getnameinfo(ci->client_addr, ci->client_addr->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6)
                                                                               : sizeof(struct sockaddr_in),
                        remote, sizeof remote, NULL, 0, NI_NUMERICHOST);
        char err[256];
        hm_credentials_t cr = { .user = user, .password = pass ? pass : "", .remote = remote,
                                .tls = s->opts.tls_cert_pem != NULL };
        ok = hm_broker_authenticate(s->b, &cr, s->opts.admin_group ? s->opts.admin_group : "admins",
                                    err, sizeof err) == APR_SUCCESS;
    }
    if (pass) {
        memset(pass, 0, strlen(pass));
        MHD_free(pass);
    }
    if (user)
        MHD_free(user);
    return ok;
}

/* An answer's buffer on its way out: kept as the server's spare once sent. */
typedef struct outbuf_s {
    mg_server_t *s;
    uint8_t *data;
    size_t cap;
} outbuf_t;

static void outbuf_done(void *cls)
{
    outbuf_t *o = cls;
    if (!o->s->spare && o->cap <= MG_KEEP_OUTPUT) {
        o->s->spare = o->data;
        o->s->spare_cap = o->cap;
    } else {
        free(o->data);
    }
    free(o);
}

static enum MHD_Result answer(mg_server_t *s, struct MHD_Connection *c, conn_state_t *cs, int status)
{
    mg_req_t *r = &cs->r;
    size_t len = 0;
    if (r->out.err)
        status = mg_fail(r, MHD_HTTP_INTERNAL_SERVER_ERROR, "the answer is larger than %u bytes",
                         MG_MAX_OUTPUT);
    outbuf_t *o = malloc(sizeof *o);
    size_t cap = r->out.cap;
    uint8_t *data = o ? hm_wbuf_detach(&r->out, &len) : NULL;
    if (o && !data && (data = malloc(1)) != NULL)    /* an empty answer */
        cap = 1;
    if (!data) {
        free(o);
        return MHD_NO;
    }
    *o = (outbuf_t){ s, data, cap };
    struct MHD_Response *resp = MHD_create_response_from_buffer_with_free_callback_cls(len, data,
                                                                                       outbuf_done, o);
    if (!resp) {
        outbuf_done(o);
        return MHD_NO;
    }
    MHD_add_response_header(resp, "Content-Type", r->type ? r->type : "application/json");
    MHD_add_response_header(resp, "Cache-Control", "no-store");
    MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(resp, "X-Frame-Options", "DENY");
    MHD_add_response_header(resp, "Content-Security-Policy",
                            "default-src 'self'; frame-ancestors 'none'; form-action 'none'");
    if (status == MHD_HTTP_METHOD_NOT_ALLOWED)
        MHD_add_response_header(resp, "Allow", "GET, POST, DELETE");
    if (status == MHD_HTTP_UNAUTHORIZED)
        MHD_add_response_header(resp, "WWW-Authenticate", "Basic realm=\"hermod\", charset=\"UTF-8\"");
    if (status == MHD_HTTP_UNAUTHORIZED)
        MHD_add_response_header(resp, "WWW-Authenticate", "Basic realm=\"hermod\"");
    enum MHD_Result ret = MHD_queue_response(c, (unsigned)status, resp);
    MHD_destroy_response(resp);
    return ret;
}

static enum MHD_Result on_field(void *cls, enum MHD_ValueKind kind, const char *key,
                                const char *filename, const char *content_type,
                                const char *transfer_encoding, const char *data, uint64_t off,
                                size_t size)
{
    conn_state_t *cs = cls;
    mg_req_t *r = &cs->r;
    const char *had = apr_table_get(r->form, key);
    if (!had && ++cs->nfields > MG_MAX_FIELDS) {
        cs->refused = MHD_HTTP_CONTENT_TOO_LARGE;
        snprintf(cs->why, sizeof cs->why, "more than %d form fields", MG_MAX_FIELDS);
        return MHD_NO;
    }
    size_t hl = had ? strlen(had) : 0;
    if (hl + size > MG_MAX_FIELD) {
        cs->refused = MHD_HTTP_CONTENT_TOO_LARGE;
        snprintf(cs->why, sizeof cs->why, "form field %.40s longer than %d bytes", key, MG_MAX_FIELD);
        return MHD_NO;
    }
    /* a value may arrive in pieces: each is appended to what came before */
    apr_table_set(r->form, key, had ? apr_pstrcat(r->pool, had, apr_pstrmemdup(r->pool, data, size), NULL)
                                    : apr_pstrmemdup(r->pool, data, size));
    return MHD_YES;
}

/* The decisions made from the request line and headers alone, before any body is read. */
static int admit(mg_server_t *s, struct MHD_Connection *c, conn_state_t *cs, const char *method,
                 const char *url)
{
    int known;
    const char *host = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_HOST);
    if (!host_allowed(s, host)) {
        snprintf(cs->why, sizeof cs->why, "this console answers only to the names of the loopback "
                 "address (Host: localhost or 127.0.0.1)");
        return MHD_HTTP_FORBIDDEN;
    }
    if (!authenticated(s, c)) {
        snprintf(cs->why, sizeof cs->why, "authentication required");
        return MHD_HTTP_UNAUTHORIZED;
    }
    cs->route = find_route(method, url, &known);
    if (!cs->route) {
        snprintf(cs->why, sizeof cs->why, known ? "%s is not allowed on %.80s" : "no such page: %.80s",
                 known ? method : url, url);
        return known ? MHD_HTTP_METHOD_NOT_ALLOWED : MHD_HTTP_NOT_FOUND;
    }
    if (strcmp(method, "GET") == 0)
        return 0;
    /* a cross-site form or a no-cors fetch cannot add a header; a cross-site fetch that adds
     * one needs a CORS preflight, which is never answered */
    const char *csrf = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MG_CSRF_HEADER);
    if (!csrf || !*csrf) {
        snprintf(cs->why, sizeof cs->why, "a changing request must carry the header %s "
                 "(cross-site requests are refused)", MG_CSRF_HEADER);
        return MHD_HTTP_FORBIDDEN;
    }
    const char *cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
    if (cl && strtoull(cl, NULL, 10) > MG_MAX_BODY) {
        snprintf(cs->why, sizeof cs->why, "the body is larger than %d bytes", MG_MAX_BODY);
        return MHD_HTTP_CONTENT_TOO_LARGE;
    }
    const char *ct = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);
    if (!ct || strncasecmp(ct, "text/plain", 10) == 0) {
        cs->r.has_text_body = 1;
    } else if (strncasecmp(ct, MHD_HTTP_POST_ENCODING_FORM_URLENCODED,
                           strlen(MHD_HTTP_POST_ENCODING_FORM_URLENCODED)) == 0) {
        cs->pp = MHD_create_post_processor(c, 16 * 1024, on_field, cs);
        if (!cs->pp)
            return MHD_HTTP_BAD_REQUEST;
    } else {
        snprintf(cs->why, sizeof cs->why, "send parameters in the query string or as "
                 "application/x-www-form-urlencoded fields (a message text may be text/plain), "
                 "not %.60s", ct);
        return MHD_HTTP_UNSUPPORTED_MEDIA_TYPE;
    }
    return 0;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version, const char *upload,
                                  size_t *upload_size, void **con_cls)
{
    mg_server_t *s = cls;
    conn_state_t *cs = *con_cls;
    if (!cs) {
        apr_pool_t *pool;
        if (apr_pool_create_unmanaged_ex(&pool, NULL, s->alloc) != APR_SUCCESS)
            return MHD_NO;
        cs = apr_pcalloc(pool, sizeof *cs);
        cs->r.pool = pool;
        cs->r.b = s->b;
        cs->r.history = s->history;
        cs->r.lease = s->opts.lease;
        cs->r.conn = c;
        cs->r.method = apr_pstrdup(pool, method);
        cs->r.path = apr_pstrdup(pool, url);
        cs->r.form = apr_table_make(pool, 8);
        hm_wbuf_init(&cs->r.body, MG_MAX_BODY);
        hm_wbuf_init(&cs->r.out, MG_MAX_OUTPUT);
        if (s->spare) {            /* the last answer's memory, already mapped */
            cs->r.out.data = s->spare;
            cs->r.out.cap = s->spare_cap;
            s->spare = NULL;
        }
        *con_cls = cs;
        cs->refused = admit(s, c, cs, method, url);
        return MHD_YES;
    }
    if (*upload_size) {
        /* a refused request's body is read and dropped, bounded by the connection timeout */
        cs->body_bytes += *upload_size;
        if (!cs->refused && cs->body_bytes > MG_MAX_BODY) {
            cs->refused = MHD_HTTP_CONTENT_TOO_LARGE;
            snprintf(cs->why, sizeof cs->why, "the body is larger than %d bytes", MG_MAX_BODY);
        }
        if (!cs->refused) {
            if (cs->pp) {
                if (MHD_post_process(cs->pp, upload, *upload_size) != MHD_YES && !cs->refused) {
                    cs->refused = MHD_HTTP_BAD_REQUEST;
                    snprintf(cs->why, sizeof cs->why, "the form body does not parse");
                }
            } else {
                hm_wbuf_put(&cs->r.body, upload, *upload_size);
            }
        }
        *upload_size = 0;
        return MHD_YES;
    }
    int status;
    if (cs->refused)
        status = mg_fail(&cs->r, cs->refused, "%s", cs->why[0] ? cs->why : "refused");
    else
        status = cs->route->fn(&cs->r);
    return answer(s, c, cs, status);
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    conn_state_t *cs = *con_cls;
    if (!cs)
        return;
    if (cs->pp)
        MHD_destroy_post_processor(cs->pp);
    hm_wbuf_free(&cs->r.body);
    hm_wbuf_free(&cs->r.out);
    apr_pool_destroy(cs->r.pool);   /* also lets go of the messages a browse held */
    *con_cls = NULL;
}

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
    char text[512];
    vsnprintf(text, sizeof text, fmt, ap);
    size_t n = strlen(text);
    while (n && text[n - 1] == '\n')
        text[--n] = '\0';
    hm_warn("web console: %s", text);
}

static int is_loopback(const struct sockaddr *sa)
{
    if (sa->sa_family == AF_INET)
        return (ntohl(((const struct sockaddr_in *)sa)->sin_addr.s_addr) >> 24) == 127;
    if (sa->sa_family == AF_INET6)
        return memcmp(&((const struct sockaddr_in6 *)sa)->sin6_addr, &in6addr_loopback,
                      sizeof in6addr_loopback) == 0;
    return 0;
}

static apr_status_t stop_cleanup(void *data)
{
    mg_stop(data);
    return APR_SUCCESS;
}

/* The address to listen on (freeaddrinfo it), after the checks of mg_check. */
static apr_status_t resolve(const mg_opts_t *opts, struct addrinfo **out, char *err, size_t errlen)
{
    if (opts->tls_cert_pem && MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES) {
        snprintf(err, errlen, "this libmicrohttpd has no TLS support");
        return HM_EINVAL;
    }
    struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
                              .ai_flags = AI_PASSIVE }, *ai;
    char port[8];
    snprintf(port, sizeof port, "%d", opts->port);
    int gai = getaddrinfo(opts->host, port, &hints, &ai);
    if (gai) {
        snprintf(err, errlen, "%s: %s", opts->host, gai_strerror(gai));
        return HM_EINVAL;
    }
    if (!is_loopback(ai->ai_addr) && !opts->allow_remote_without_auth && !opts->auth_configured) {
        snprintf(err, errlen, "%s is not a loopback address: without authentication the console "
                 "is served on loopback only (allowRemoteWithoutAuth=\"true\" overrides this)",
                 opts->host);
        freeaddrinfo(ai);
        return HM_EINVAL;
    }
    *out = ai;
    return APR_SUCCESS;
}

apr_status_t mg_check(const mg_opts_t *opts, char *err, size_t errlen)
{
    struct addrinfo *ai;
    apr_status_t st = resolve(opts, &ai, err, errlen);
    if (st == APR_SUCCESS)
        freeaddrinfo(ai);
    return st;
}

apr_status_t mg_start(apr_pool_t *pool, hm_broker_t *broker, const mg_opts_t *opts,
                      mg_server_t **out, char *err, size_t errlen)
{
    struct addrinfo *ai;
    apr_status_t st = resolve(opts, &ai, err, errlen);
    if (st)
        return st;
    if (!is_loopback(ai->ai_addr))
        hm_warn("web console on %s:%d WITHOUT authentication (allowRemoteWithoutAuth=\"true\"): "
                "anyone who reaches this address can read, send and delete messages",
                opts->host, opts->port);
    mg_server_t *s = apr_pcalloc(pool, sizeof *s);
    s->b = broker;
    if ((st = apr_allocator_create(&s->alloc)) != APR_SUCCESS) {
        freeaddrinfo(ai);
        return st;
    }
    apr_allocator_max_free_set(s->alloc, MG_KEEP_POOLS);
    s->opts = *opts;
    s->opts.host = apr_pstrdup(pool, opts->host);
    snprintf(s->port_text, sizeof s->port_text, "%d", opts->port);
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL | MHD_USE_ERROR_LOG |
                     (ai->ai_family == AF_INET6 ? MHD_USE_IPv6 : 0);
    /* the charts' sampler first: requests may read it as soon as the daemon runs */
    if ((st = mg_history_start(pool, broker, &s->history)) != APR_SUCCESS) {
        freeaddrinfo(ai);
        apr_allocator_destroy(s->alloc);
        snprintf(err, errlen, "cannot start the console's sampling thread: %s", hm_strerror(st));
        return st;
    }
    /* https: libmicrohttpd's TLS (GnuTLS) with the broker's <sslContext> PEM files */
    struct MHD_OptionItem tls[4];
    int nt = 0;
    if (opts->tls_cert_pem) {
        flags |= MHD_USE_TLS;
        tls[nt++] = (struct MHD_OptionItem){ MHD_OPTION_HTTPS_MEM_CERT, 0, (void *)opts->tls_cert_pem };
        tls[nt++] = (struct MHD_OptionItem){ MHD_OPTION_HTTPS_MEM_KEY, 0, (void *)opts->tls_key_pem };
        if (opts->tls_key_password)
            tls[nt++] = (struct MHD_OptionItem){ MHD_OPTION_HTTPS_KEY_PASSWORD, 0,
                                                 (void *)opts->tls_key_password };
    }
    tls[nt] = (struct MHD_OptionItem){ MHD_OPTION_END, 0, NULL };
    s->d = MHD_start_daemon(flags, (uint16_t)opts->port, NULL, NULL, on_request, s,
                            MHD_OPTION_EXTERNAL_LOGGER, mhd_log, s,
                            MHD_OPTION_SOCK_ADDR, ai->ai_addr,
                            MHD_OPTION_CONNECTION_LIMIT, (unsigned)MG_MAX_CONNECTIONS,
                            MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned)MG_MAX_PER_IP,
                            MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)MG_CONN_TIMEOUT_S,
                            MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)MG_CONN_MEMORY,
                            MHD_OPTION_NOTIFY_COMPLETED, on_completed, s,
                            MHD_OPTION_ARRAY, tls,
                            MHD_OPTION_END);
    freeaddrinfo(ai);
    if (!s->d) {
        mg_history_stop(s->history);
        apr_allocator_destroy(s->alloc);
        snprintf(err, errlen, "cannot listen on %s:%d (in use, or not an address of this machine)",
                 opts->host, opts->port);
        return APR_EGENERAL;
    }

    apr_pool_cleanup_register(pool, s, stop_cleanup, apr_pool_cleanup_null);
    hm_info("web console, API and metrics on %s://%s:%d/ (/admin/, /api/, /metrics)",
            opts->tls_cert_pem ? "https" : "http", opts->host, opts->port);
    *out = s;
    return APR_SUCCESS;
}

void mg_stop(mg_server_t *s)
{
    if (s && s->d) {
        MHD_stop_daemon(s->d);     /* first: no request reads the history any more */
        s->d = NULL;
        mg_history_stop(s->history);
        free(s->spare);
        s->spare = NULL;
        apr_allocator_destroy(s->alloc);
    }
}
