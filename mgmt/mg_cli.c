/* `hermod admin [--url URL] [--user U --password P] [--json] COMMAND ...`: the command-line
 * client of the management API (libcurl for HTTP, jansson to read the API's JSON), with the
 * commands and output ActiveMQ's `activemq` script has.  Exit status 0 on success, 1 on any
 * failure (the API's error text on stderr), 2 for a usage error. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <jansson.h>

#include "mg.h"
#include "mg_limits.h"

#define CLI_MAX_RESPONSE (256u * 1024 * 1024)

typedef struct cli_s {
    const char *url, *user, *password;
    const char *cacert;            /* https: the CA (or self-signed certificate) to trust */
    int json;
    CURL *curl;
} cli_t;

typedef struct buf_s {
    char *p;
    size_t len, cap;
} buf_t;

static size_t on_data(char *ptr, size_t size, size_t n, void *ud)
{
    buf_t *b = ud;
    size_t add = size * n;
    if (b->len + add + 1 > CLI_MAX_RESPONSE)
        return 0;
    if (b->len + add + 1 > b->cap) {
        size_t cap = (b->len + add + 1) * 2;
        char *p = realloc(b->p, cap);
        if (!p)
            return 0;
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->len, ptr, add);
    b->len += add;
    b->p[b->len] = '\0';
    return add;
}

/* Appends &name=value (percent-encoded) to a query string being built in q. */
static void query_add(cli_t *c, buf_t *q, const char *name, const char *value)
{
    if (!value)
        return;
    char *v = curl_easy_escape(c->curl, value, 0);
    if (!v)
        return;
    char head[64];
    int n = snprintf(head, sizeof head, "%s%s=", q->len ? "&" : "?", name);
    on_data(head, 1, (size_t)n, q);
    on_data(v, 1, strlen(v), q);
    curl_free(v);
}

/* One API call: method on path+query, with an optional text/plain body.  Returns the HTTP
 * status (0: no answer) and the body in *out (malloc'd, NUL-terminated). */
static long call(cli_t *c, const char *method, const char *path, const buf_t *query,
                 const char *body, char **out)
{
    buf_t resp = { NULL, 0, 0 };
    size_t ul = strlen(c->url);
    while (ul && c->url[ul - 1] == '/')
        ul--;
    size_t total = ul + strlen(path) + (query && query->p ? query->len : 0) + 1;
    char *url = malloc(total);
    if (!url)
        return 0;
    snprintf(url, total, "%.*s%s%s", (int)ul, c->url, path, query && query->p ? query->p : "");
    curl_easy_reset(c->curl);
    curl_easy_setopt(c->curl, CURLOPT_URL, url);
    curl_easy_setopt(c->curl, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(c->curl, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(c->curl, CURLOPT_WRITEDATA, &resp);
    curl_easy_setopt(c->curl, CURLOPT_TIMEOUT, 60L);
    curl_easy_setopt(c->curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c->curl, CURLOPT_PROTOCOLS_STR, "http,https");
    if (c->cacert)
        curl_easy_setopt(c->curl, CURLOPT_CAINFO, c->cacert);
    if (c->user) {
        curl_easy_setopt(c->curl, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
        curl_easy_setopt(c->curl, CURLOPT_USERNAME, c->user);
        curl_easy_setopt(c->curl, CURLOPT_PASSWORD, c->password ? c->password : "");
    }
    struct curl_slist *h = NULL;
    if (strcmp(method, "GET") != 0) {
        h = curl_slist_append(h, MG_CSRF_HEADER ": hermod-admin");
        h = curl_slist_append(h, "Content-Type: text/plain; charset=utf-8");
        curl_easy_setopt(c->curl, CURLOPT_POSTFIELDS, body ? body : "");
        curl_easy_setopt(c->curl, CURLOPT_POSTFIELDSIZE, (long)(body ? strlen(body) : 0));
        curl_easy_setopt(c->curl, CURLOPT_HTTPHEADER, h);
    }
    long status = 0;
    CURLcode rc = curl_easy_perform(c->curl);
    if (rc == CURLE_OK)
        curl_easy_getinfo(c->curl, CURLINFO_RESPONSE_CODE, &status);
    else
        fprintf(stderr, "hermod admin: %s: %s\n", url, curl_easy_strerror(rc));
    curl_slist_free_all(h);
    free(url);
    *out = resp.p ? resp.p : strdup("");
    return status;
}

/* The API's answer as JSON, or NULL after saying why on stderr. */
static json_t *call_json(cli_t *c, const char *method, const char *path, const buf_t *query,
                         const char *body, char **raw)
{
    long status = call(c, method, path, query, body, raw);
    if (!status)
        return NULL;
    json_error_t e;
    json_t *j = json_loads(*raw, JSON_DECODE_ANY, &e);
    if (status / 100 != 2) {
        json_t *msg = j ? json_object_get(j, "error") : NULL;
        fprintf(stderr, "hermod admin: HTTP %ld: %s\n", status,
                json_is_string(msg) ? json_string_value(msg) : *raw);
        json_decref(j);
        return NULL;
    }
    if (!j)
        fprintf(stderr, "hermod admin: the answer is not JSON: %s\n", e.text);
    return j;
}

static long long num(json_t *o, const char *k)
{
    json_t *v = json_object_get(o, k);
    return json_is_integer(v) ? json_integer_value(v) : 0;
}

static const char *str(json_t *o, const char *k)
{
    json_t *v = json_object_get(o, k);
    return json_is_string(v) ? json_string_value(v) : NULL;
}

/* ActiveMQ's dstat: queues (or topics, or all) with its eight columns. */
static int cmd_dstat(cli_t *c, const char *which)
{
    char *raw;
    buf_t q = { NULL, 0, 0 };
    if (which && strcmp(which, "all") != 0)
        query_add(c, &q, "kind", strcmp(which, "topics") == 0 ? "topic" : "queue");
    json_t *a = call_json(c, "GET", "/api/destinations", &q, NULL, &raw);
    free(q.p);
    if (!a || c->json) {
        if (a)
            fputs(raw, stdout);
        free(raw);
        json_decref(a);
        return a ? 0 : 1;
    }
    printf("%-50s  %10s  %10s  %10s  %10s  %10s  %10s  %10s\n", "Name", "Queue Size", "Producer #",
           "Consumer #", "Enqueue #", "Dequeue #", "Forward #", "Memory %");
    size_t i;
    json_t *d;
    json_array_foreach(a, i, d) {
        printf("%-50s  %10lld  %10lld  %10lld  %10lld  %10lld  %10d  %10lld\n", str(d, "name"),
               num(d, "size"), num(d, "producers"), num(d, "consumers"), num(d, "enqueued"),
               num(d, "dequeued"), 0, num(d, "memoryPercent"));
    }
    json_decref(a);
    free(raw);
    return 0;
}

static int cmd_list(cli_t *c)
{
    char *raw;
    json_t *a = call_json(c, "GET", "/api/destinations", NULL, NULL, &raw);
    if (a && c->json) {
        fputs(raw, stdout);
    } else if (a) {
        size_t i;
        json_t *d;
        json_array_foreach(a, i, d)
            printf("%s://%s\n", str(d, "kind"), str(d, "name"));
    }
    free(raw);
    json_decref(a);
    return a ? 0 : 1;
}

/* ActiveMQ's query: every attribute of the broker and of each destination. */
static int cmd_query(cli_t *c)
{
    char *raw1, *raw2;
    json_t *b = call_json(c, "GET", "/api/broker", NULL, NULL, &raw1);
    json_t *a = b ? call_json(c, "GET", "/api/destinations", NULL, NULL, &raw2) : NULL;
    int ok = a != NULL;
    if (ok && c->json) {
        printf("{\"broker\":%s,\"destinations\":%s}\n", raw1, raw2);
    } else if (ok) {
        const char *k;
        json_t *v;
        printf("Type = Broker\n");
        json_object_foreach(b, k, v) {
            char *t = json_dumps(v, JSON_ENCODE_ANY);
            printf("%s = %s\n", k, json_is_string(v) ? json_string_value(v) : t);
            free(t);
        }
        size_t i;
        json_t *d;
        json_array_foreach(a, i, d) {
            printf("\nType = %s\n", strcmp(str(d, "kind"), "queue") == 0 ? "Queue" : "Topic");
            json_object_foreach(d, k, v) {
                char *t = json_dumps(v, JSON_ENCODE_ANY);
                printf("%s = %s\n", k, json_is_string(v) ? json_string_value(v) : t);
                free(t);
            }
        }
    }
    free(raw1);
    if (b)
        free(raw2);
    json_decref(a);
    json_decref(b);
    return ok ? 0 : 1;
}

static void print_field(const char *prefix, const char *k, json_t *v)
{
    if (!v || json_is_null(v))
        return;
    char *t = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
    printf("%s:%s = %s\n", prefix, k, json_is_string(v) ? json_string_value(v) : t);
    free(t);
}

/* ActiveMQ's browse: each message's header fields, properties and body, a page at a time. */
static int cmd_browse(cli_t *c, const char *queue, const char *sel)
{
    long long offset = 0, total = 1;
    int first = 1;
    if (c->json)
        fputs("[", stdout);
    while (offset < total) {
        buf_t q = { NULL, 0, 0 };
        char off[32];
        snprintf(off, sizeof off, "%lld", offset);
        query_add(c, &q, "queue", queue);
        query_add(c, &q, "selector", sel);
        query_add(c, &q, "offset", off);
        query_add(c, &q, "limit", "1000");
        char *raw;
        json_t *page = call_json(c, "GET", "/api/browse", &q, NULL, &raw);
        free(q.p);
        free(raw);
        if (!page)
            return 1;
        total = num(page, "total");
        json_t *msgs = json_object_get(page, "messages");
        size_t i;
        json_t *m;
        json_array_foreach(msgs, i, m) {
            if (c->json) {
                char *t = json_dumps(m, JSON_COMPACT);
                printf("%s\n%s", first ? "" : ",", t);
                free(t);
                first = 0;
                continue;
            }
            static const char *const hdr[][2] = {
                { "id", "JMSMessageID" }, { "destination", "JMSDestination" },
                { "correlationId", "JMSCorrelationID" }, { "type", "JMSType" },
                { "replyTo", "JMSReplyTo" }, { "priority", "JMSPriority" },
                { "persistent", "JMSDeliveryMode" }, { "redelivered", "JMSRedelivered" },
                { "timestamp", "JMSTimestamp" }, { "expiration", "JMSExpiration" },
                { "groupId", "JMSXGroupID" }, { "redeliveryCount", "JMSXDeliveryCount-1" },
            };
            for (size_t h = 0; h < sizeof hdr / sizeof hdr[0]; h++) {
                json_t *v = json_object_get(m, hdr[h][0]);
                if (json_is_object(v) && json_object_get(v, "name"))
                    v = json_object_get(v, "name");
                if (strcmp(hdr[h][0], "persistent") == 0)
                    printf("JMS_HEADER_FIELD:JMSDeliveryMode = %s\n", json_is_true(v) ? "persistent" : "non-persistent");
                else
                    print_field("JMS_HEADER_FIELD", hdr[h][1], v);
            }
            const char *k;
            json_t *v;
            json_object_foreach(json_object_get(m, "properties"), k, v)
                print_field("JMS_CUSTOM_FIELD", k, v);
            const char *kind = str(m, "bodyKind");
            print_field("JMS_BODY_FIELD", kind && strcmp(kind, "text") == 0 ? "JMSText" : "JMSBody",
                        json_object_get(m, "body"));
            putchar('\n');
        }
        offset += (long long)json_array_size(msgs);
        if (!json_array_size(msgs))
            total = 0;                 /* the queue shrank meanwhile */
        json_decref(page);
    }
    if (c->json)
        fputs("\n]\n", stdout);
    return 0;
}

/* A changing call and its one-line report (or the API's JSON with --json). */
static int change(cli_t *c, const char *method, const char *path, buf_t *q, const char *body,
                  const char *count_key, const char *fmt, const char *a1, const char *a2)
{
    char *raw;
    json_t *j = call_json(c, method, path, q, body, &raw);
    free(q->p);
    if (j && c->json)
        fputs(raw, stdout);
    else if (j && count_key)
        printf(fmt, num(j, count_key), a1, a2);
    else if (j)
        printf(fmt, str(j, "id"), a1, a2);
    free(raw);
    json_decref(j);
    return j ? 0 : 1;
}

static int usage(void)
{
    fprintf(stderr,
            "usage: hermod admin [--url URL] [--cacert PEM] [--user U --password P] [--json] COMMAND\n"
            "  dstat [queues|topics|all]        destinations with ActiveMQ's dstat columns\n"
            "  list                             every queue and topic\n"
            "  browse QUEUE [--msgsel SEL]      each message's headers, properties and body\n"
            "  purge QUEUE [--msgsel SEL]       remove the (matching) messages\n"
            "  move FROM TO [--msgsel SEL]      move the (matching) messages to another queue\n"
            "  send QUEUE TEXT                  send a text message\n"
            "  query                            every attribute of the broker and destinations\n"
            "URL defaults to http://127.0.0.1:8161 (the broker's <webConsole uri>); --cacert names\n"
            "the certificate to trust for an https:// console.\n");
    return 2;
}

int mg_admin_main(int argc, const char *const *argv)
{
    cli_t c = { .url = "http://127.0.0.1:8161" };
    const char *sel = NULL, *args[4];
    int nargs = 0;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--url") == 0 && i + 1 < argc)
            c.url = argv[++i];
        else if (strcmp(a, "--user") == 0 && i + 1 < argc)
            c.user = argv[++i];
        else if (strcmp(a, "--password") == 0 && i + 1 < argc)
            c.password = argv[++i];
        else if (strcmp(a, "--cacert") == 0 && i + 1 < argc)
            c.cacert = argv[++i];
        else if (strcmp(a, "--msgsel") == 0 && i + 1 < argc)
            sel = argv[++i];
        else if (strcmp(a, "--json") == 0)
            c.json = 1;
        else if (a[0] == '-' && a[1] == '-')
            return usage();
        else if (nargs < 4)
            args[nargs++] = a;
        else
            return usage();
    }
    if (!nargs)
        return usage();
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK || !(c.curl = curl_easy_init())) {
        fprintf(stderr, "hermod admin: libcurl cannot start\n");
        return 1;
    }
    const char *cmd = args[0];
    buf_t q = { NULL, 0, 0 };
    int rc;
    if (strcmp(cmd, "dstat") == 0 && nargs <= 2) {
        rc = cmd_dstat(&c, nargs == 2 ? args[1] : NULL);
    } else if (strcmp(cmd, "list") == 0 && nargs == 1) {
        rc = cmd_list(&c);
    } else if (strcmp(cmd, "query") == 0 && nargs == 1) {
        rc = cmd_query(&c);
    } else if (strcmp(cmd, "browse") == 0 && nargs == 2) {
        rc = cmd_browse(&c, args[1], sel);
    } else if (strcmp(cmd, "purge") == 0 && nargs == 2) {
        query_add(&c, &q, "queue", args[1]);
        query_add(&c, &q, "selector", sel);
        rc = change(&c, "POST", "/api/purge", &q, NULL, "removed", "Purged %lld messages from %s%s\n",
                    args[1], "");
    } else if (strcmp(cmd, "move") == 0 && nargs == 3) {
        query_add(&c, &q, "from", args[1]);
        query_add(&c, &q, "to", args[2]);
        query_add(&c, &q, "selector", sel);
        rc = change(&c, "POST", "/api/move", &q, NULL, "moved", "Moved %lld messages from %s to %s\n",
                    args[1], args[2]);
    } else if (strcmp(cmd, "send") == 0 && nargs == 3) {
        query_add(&c, &q, "queue", args[1]);
        rc = change(&c, "POST", "/api/send", &q, args[2], NULL, "Sent %s to %s%s\n", args[1], "");
    } else {
        rc = usage();
    }
    curl_easy_cleanup(c.curl);
    curl_global_cleanup();
    return rc;
}
