/* The JSON API, reading: the broker, destinations with their statistics, connections,
 * consumers, and browsing a queue. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <apr_base64.h>
#include <apr_strings.h>

#include "mg_history.h"
#include "mg_int.h"

int mg_dest_arg(mg_req_t *r, const char *param_queue, const char *param_topic, hm_dname_t *d)
{
    const char *q = param_queue ? mg_arg(r, param_queue) : NULL;
    const char *t = param_topic ? mg_arg(r, param_topic) : NULL;
    if (q && !t) {
        *d = (hm_dname_t){ HM_QUEUE, q };
        return 1;
    }
    if (t && !q) {
        *d = (hm_dname_t){ HM_TOPIC, t };
        return 1;
    }
    return 0;
}

static const char *kind_name(hm_dest_kind_e k)
{
    return k == HM_QUEUE ? "queue" : k == HM_TOPIC ? "topic" : k == HM_TEMP_QUEUE ? "temp-queue" : "temp-topic";
}

static void json_u64(hm_wbuf_t *w, const char *name, uint64_t v, int comma)
{
    mg_printf(w, "%s\"%s\":%" PRIu64, comma ? "," : "", name, v);
}

static void json_i64(hm_wbuf_t *w, const char *name, int64_t v)
{
    mg_printf(w, ",\"%s\":%" PRId64, name, v);
}

static void json_field(hm_wbuf_t *w, const char *name, const char *v, int comma)
{
    mg_printf(w, "%s\"%s\":", comma ? "," : "", name);
    mg_json_cstr(w, v);
}

static void json_dname(hm_wbuf_t *w, const char *name, hm_dname_t d)
{
    mg_printf(w, ",\"%s\":", name);
    if (!d.name) {
        mg_puts(w, "null");
        return;
    }
    mg_printf(w, "{\"kind\":\"%s\",\"name\":", kind_name(d.kind));
    mg_json_cstr(w, d.name);
    mg_puts(w, "}");
}

int mg_api_broker(mg_req_t *r)
{
    hm_admin_broker_t b;
    hm_admin_broker(r->b, &b);
    hm_wbuf_t *w = &r->out;
    mg_puts(w, "{");
    json_field(w, "name", b.name, 0);
    json_field(w, "id", b.id, 1);
    json_i64(w, "uptimeMs", b.uptime_ms);
    json_u64(w, "connections", b.connections, 1);
    json_u64(w, "consumers", b.consumers, 1);
    json_u64(w, "producersHeld", b.producers_held, 1);
    json_u64(w, "blockedSends", b.blocked_sends, 1);
    json_u64(w, "memoryBytes", b.memory_bytes, 1);
    json_i64(w, "memoryLimit", b.memory_limit);
    json_u64(w, "storeBytes", b.store_bytes, 1);
    json_i64(w, "storeLimit", b.store_limit);
    json_u64(w, "tempBytes", b.temp_bytes, 1);
    json_i64(w, "tempLimit", b.temp_limit);
    json_u64(w, "storeCommits", b.store_commits, 1);
    json_u64(w, "storeLogFlushes", b.store_flushes, 1);
    mg_printf(w, ",\"persistent\":%s}\n", b.has_store ? "true" : "false");
    return 200;
}

/* A JSON array of what list() copied out of the broker, one object per element written by
 * item (which returns 0 to leave an element out). */
typedef apr_status_t (*list_fn)(hm_broker_t *b, apr_pool_t *pool, apr_array_header_t **out);
typedef int (*item_fn)(mg_req_t *r, hm_wbuf_t *w, const void *elt);

static int json_list(mg_req_t *r, list_fn list, item_fn item)
{
    apr_array_header_t *a;
    apr_status_t st = list(r->b, r->pool, &a);
    if (st)
        return mg_fail(r, mg_http_status(st), "%s", hm_strerror(st));
    hm_wbuf_t *w = &r->out;
    int n = 0;
    mg_puts(w, "[");
    for (int i = 0; i < a->nelts; i++) {
        size_t mark = w->len;
        mg_puts(w, n ? ",\n{" : "\n{");
        if (item(r, w, a->elts + (size_t)i * (size_t)a->elt_size)) {
            mg_puts(w, "}");
            n++;
        } else if (!w->err) {
            w->len = mark;
        }
    }
    mg_puts(w, "\n]\n");
    return 200;
}

static int dest_item(mg_req_t *r, hm_wbuf_t *w, const void *elt)
{
    const hm_admin_dest_t *d = elt;
    const char *only = mg_arg(r, "kind");
    if (only && strcmp(only, kind_name(d->name.kind)) != 0)
        return 0;
    mg_printf(w, "\"kind\":\"%s\",\"name\":", kind_name(d->name.kind));
    mg_json_cstr(w, d->name.name);
    json_u64(w, "size", d->pending + d->inflight, 1);     /* ActiveMQ's QueueSize */
    json_u64(w, "pending", d->pending, 1);
    json_u64(w, "inflight", d->inflight, 1);
    json_u64(w, "consumers", d->consumers, 1);
    json_u64(w, "producers", d->producers, 1);
    json_u64(w, "enqueued", d->enqueued, 1);
    json_u64(w, "dequeued", d->dequeued, 1);
    json_u64(w, "dispatched", d->dispatched, 1);
    json_u64(w, "expired", d->expired, 1);
    json_u64(w, "deadLettered", d->dead_lettered, 1);
    json_u64(w, "blockedSends", d->blocked_sends, 1);
    json_u64(w, "memoryBytes", d->memory_bytes, 1);
    json_i64(w, "memoryLimit", d->memory_limit);
    mg_printf(w, ",\"memoryPercent\":%d", d->memory_limit > 0
              ? (int)(d->memory_bytes * 100 / (uint64_t)d->memory_limit) : 0);
    mg_printf(w, ",\"paused\":%s", d->paused ? "true" : "false");
    return 1;
}

static int conn_item(mg_req_t *r, hm_wbuf_t *w, const void *elt)
{
    const hm_admin_conn_t *c = elt;
    json_field(w, "connectionId", c->connection_id, 0);
    json_field(w, "clientId", c->client_id, 1);
    json_field(w, "user", c->user, 1);
    json_field(w, "remoteAddress", c->client_ip, 1);
    json_u64(w, "consumers", c->consumers, 1);
    json_u64(w, "producers", c->producers, 1);
    return 1;
}

/* What a consumer and a producer both show first: whose they are and where. */
static void endpoint_fields(hm_wbuf_t *w, const char *id, const char *connection_id,
                            const char *client_id, hm_dname_t dest)
{
    json_field(w, "id", id, 0);
    json_field(w, "connectionId", connection_id, 1);
    json_field(w, "clientId", client_id, 1);
    json_dname(w, "destination", dest);
}

static int consumer_item(mg_req_t *r, hm_wbuf_t *w, const void *elt)
{
    const hm_admin_consumer_t *c = elt;
    endpoint_fields(w, c->id, c->connection_id, c->client_id, c->dest);
    json_field(w, "selector", c->selector, 1);
    json_field(w, "durableName", c->durable_name, 1);
    mg_printf(w, ",\"prefetch\":%d,\"browser\":%s,\"exclusive\":%s,\"priority\":%d",
              (int)c->prefetch, c->browser ? "true" : "false", c->exclusive ? "true" : "false",
              c->priority);
    json_u64(w, "inflight", c->inflight, 1);
    return 1;
}

static int producer_item(mg_req_t *r, hm_wbuf_t *w, const void *elt)
{
    const hm_admin_producer_t *p = elt;
    endpoint_fields(w, p->id, p->connection_id, p->client_id, p->dest);
    return 1;
}

static int durable_item(mg_req_t *r, hm_wbuf_t *w, const void *elt)
{
    const hm_admin_durable_t *d = elt;
    json_field(w, "clientId", d->client_id, 0);
    json_field(w, "name", d->name, 1);
    json_field(w, "topic", d->topic, 1);
    json_field(w, "selector", d->selector, 1);
    mg_printf(w, ",\"active\":%s", d->active ? "true" : "false");
    json_u64(w, "pending", d->pending, 1);
    json_u64(w, "inflight", d->inflight, 1);
    json_u64(w, "enqueued", d->enqueued, 1);
    json_u64(w, "dequeued", d->dequeued, 1);
    return 1;
}

int mg_api_scheduled(mg_req_t *r)
{
    apr_array_header_t *a;
    size_t total;
    hm_admin_jobs(r->b, MG_JOBS_MAX, r->pool, &a, &total);
    hm_wbuf_t *w = &r->out;
    mg_printf(w, "{\"total\":%zu,\"jobs\":[", total);
    for (int i = 0; i < a->nelts; i++) {
        const hm_admin_job_t *j = &APR_ARRAY_IDX(a, i, hm_admin_job_t);
        mg_puts(w, i ? ",\n{" : "\n{");
        json_field(w, "jobId", j->job_id, 0);
        json_field(w, "messageId", j->message_id, 1);
        json_dname(w, "destination", j->dest);
        json_i64(w, "due", j->due_ms);
        json_i64(w, "period", j->period_ms);
        mg_printf(w, ",\"repeat\":%d,\"cron\":%s}", (int)j->repeat, j->cron ? "true" : "false");
    }
    mg_puts(w, "\n]}\n");
    return 200;
}

/* The lists the API serves, by path: what the core lists and how one entry is written. */
static const struct { const char *path; list_fn list; item_fn item; } lists[] = {
    { "/api/destinations", hm_admin_dests, dest_item },
    { "/api/connections", hm_admin_conns, conn_item },
    { "/api/consumers", hm_admin_consumers, consumer_item },
    { "/api/producers", hm_admin_producers, producer_item },
    { "/api/subscriptions", hm_admin_durables, durable_item },
};

int mg_api_list(mg_req_t *r)
{
    for (size_t i = 0; i < sizeof lists / sizeof lists[0]; i++)
        if (strcmp(r->path, lists[i].path) == 0)
            return json_list(r, lists[i].list, lists[i].item);
    return mg_fail(r, 404, "no list at %s", r->path);
}

static void json_bytes(hm_wbuf_t *w, const uint8_t *p, size_t len, apr_pool_t *pool)
{
    size_t n = len > MG_BODY_PREVIEW ? MG_BODY_PREVIEW : len;
    char *b64 = apr_palloc(pool, (apr_size_t)apr_base64_encode_len((int)n));
    apr_base64_encode_binary(b64, p, (int)n);
    mg_puts(w, "{\"base64\":");
    mg_json_cstr(w, b64);
    mg_printf(w, ",\"length\":%zu}", len);
}

void mg_json_value(hm_wbuf_t *w, const hm_value_t *v, apr_pool_t *pool)
{
    switch (v->type) {
    case HM_V_NULL: mg_puts(w, "null"); break;
    case HM_V_BOOL: mg_puts(w, v->u.b ? "true" : "false"); break;
    case HM_V_BYTE: mg_printf(w, "%d", v->u.i8); break;
    case HM_V_SHORT: mg_printf(w, "%d", v->u.i16); break;
    case HM_V_CHAR: mg_printf(w, "%u", v->u.ch); break;
    case HM_V_INT: mg_printf(w, "%" PRId32, v->u.i32); break;
    case HM_V_LONG: mg_printf(w, "%" PRId64, v->u.i64); break;
    case HM_V_FLOAT: mg_printf(w, "%.9g", (double)v->u.f); break;
    case HM_V_DOUBLE: mg_printf(w, "%.17g", v->u.d); break;
    case HM_V_STRING: mg_json_str(w, v->u.s.p, v->u.s.len); break;
    case HM_V_BYTES: json_bytes(w, v->u.bytes.p, v->u.bytes.len, pool); break;
    case HM_V_MAP:
    case HM_V_LIST:
        mg_puts(w, v->type == HM_V_MAP ? "{" : "[");
        for (int i = 0; i < v->u.map.n; i++) {
            const hm_entry_t *e = &v->u.map.e[i];
            if (i)
                mg_puts(w, ",");
            if (v->type == HM_V_MAP) {
                mg_json_cstr(w, e->name ? e->name : "");
                mg_puts(w, ":");
            }
            mg_json_value(w, &e->v, pool);
        }
        mg_puts(w, v->type == HM_V_MAP ? "}" : "]");
        break;
    }
}

static const char *body_kind(hm_body_kind_e k)
{
    static const char *const names[] = { "none", "text", "bytes", "map", "stream", "object", "other" };
    return (unsigned)k < sizeof names / sizeof names[0] ? names[k] : "other";
}

static void json_message(hm_wbuf_t *w, const hm_admin_msg_t *m, apr_pool_t *pool)
{
    mg_puts(w, "{");
    json_field(w, "id", m->message_id, 0);
    json_dname(w, "destination", m->dest);
    json_field(w, "correlationId", m->correlation_id, 1);
    json_field(w, "type", m->type, 1);
    json_field(w, "groupId", m->group_id, 1);
    json_dname(w, "replyTo", m->reply_to);
    mg_printf(w, ",\"priority\":%d,\"persistent\":%s,\"redelivered\":%s,\"redeliveryCount\":%d",
              m->priority, m->persistent ? "true" : "false", m->redelivered ? "true" : "false",
              (int)m->redelivery_count);
    json_i64(w, "timestamp", m->timestamp);
    json_i64(w, "expiration", m->expiration);
    json_u64(w, "size", m->size, 1);
    mg_puts(w, ",\"properties\":{");
    for (int i = 0; i < m->content.nprops; i++) {
        if (i)
            mg_puts(w, ",");
        mg_json_cstr(w, m->content.props[i].name ? m->content.props[i].name : "");
        mg_puts(w, ":");
        mg_json_value(w, &m->content.props[i].v, pool);
    }
    mg_printf(w, "},\"bodyKind\":\"%s\",\"body\":", body_kind(m->content.kind));
    const hm_value_t *b = &m->content.body;
    if (m->content.kind == HM_BODY_NONE) {
        mg_puts(w, "null");
    } else if (m->content.kind == HM_BODY_TEXT && b->type == HM_V_STRING) {
        int cut = b->u.s.len > MG_BODY_PREVIEW;
        mg_json_str(w, b->u.s.p, cut ? MG_BODY_PREVIEW : b->u.s.len);
        if (cut)
            mg_printf(w, ",\"bodyTruncated\":true,\"bodyLength\":%zu", b->u.s.len);
    } else if (m->content.kind == HM_BODY_OBJECT) {
        mg_printf(w, "{\"serializedObject\":true,\"length\":%zu}", b->u.bytes.len);   /* never read */
    } else {
        mg_json_value(w, b, pool);
    }
    mg_puts(w, "}");
}

/* A non-negative decimal no larger than max, or def when absent; -1 when malformed. */
static long long count_arg(mg_req_t *r, const char *name, long long def, long long max)
{
    const char *s = mg_arg(r, name);
    if (!s)
        return def;
    char *end;
    long long v = strtoll(s, &end, 10);
    return (!*s || *end || v < 0 || v > max) ? -1 : v;
}

int mg_api_browse(mg_req_t *r)
{
    hm_dname_t d;
    if (!mg_dest_arg(r, "queue", NULL, &d))
        return mg_fail(r, 400, "give queue=NAME");
    long long offset = count_arg(r, "offset", 0, INT32_MAX);
    long long limit = count_arg(r, "limit", MG_BROWSE_DEFAULT, MG_BROWSE_MAX);
    if (offset < 0 || limit < 0)
        return mg_fail(r, 400, "offset and limit are whole numbers (limit at most %d)", MG_BROWSE_MAX);
    apr_array_header_t *a;
    size_t total;
    char err[512] = "";
    apr_status_t st = hm_admin_browse(r->b, d, mg_arg(r, "selector"), (size_t)offset, (size_t)limit,
                                      r->pool, &a, &total, err, sizeof err);
    if (st)
        return mg_fail(r, mg_http_status(st), "%s", *err ? err : "browse failed");
    hm_wbuf_t *w = &r->out;
    mg_puts(w, "{\"queue\":");
    mg_json_cstr(w, d.name);
    mg_printf(w, ",\"total\":%zu,\"offset\":%lld,\"messages\":[", total, offset);
    for (int i = 0; i < a->nelts; i++) {
        mg_puts(w, i ? ",\n" : "\n");
        json_message(w, &APR_ARRAY_IDX(a, i, hm_admin_msg_t), r->pool);
    }
    mg_puts(w, "\n]}\n");
    return 200;
}

int mg_api_history(mg_req_t *r)
{
    hm_dname_t d;
    if (!mg_dest_arg(r, "queue", "topic", &d))
        return mg_fail(r, 400, "give queue=NAME or topic=NAME");
    if (!mg_history_json(r->history, d, &r->out))
        return mg_fail(r, 404, "no samples of %s yet (one every %d s, for at most %d destinations)",
                       d.name, MG_HISTORY_STEP_S, MG_HISTORY_DESTS);
    return 200;
}
