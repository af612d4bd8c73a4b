/* The JSON API, changing: every handler here is reached only by POST or DELETE with the
 * cross-site header (mg_http.c), and answers {"ok":true,...} or {"error":...}. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "mg_int.h"

static int done(mg_req_t *r, apr_status_t st, const char *err, const char *extra_fmt, uint64_t n)
{
    if (st)
        return mg_fail(r, mg_http_status(st), "%s", err && *err ? err : hm_strerror(st));
    mg_puts(&r->out, "{\"ok\":true");
    if (extra_fmt)
        mg_printf(&r->out, ",\"%s\":%" PRIu64, extra_fmt, n);
    mg_puts(&r->out, "}\n");
    return 200;
}

#define NEED_DEST(r, d) \
    do { \
        if (!mg_dest_arg((r), "queue", "topic", &(d))) \
            return mg_fail((r), 400, "give queue=NAME or topic=NAME"); \
    } while (0)

#define NEED_QUEUE(r, d) \
    do { \
        if (!mg_dest_arg((r), "queue", NULL, &(d))) \
            return mg_fail((r), 400, "give queue=NAME"); \
    } while (0)

int mg_api_create(mg_req_t *r)
{
    hm_dname_t d;
    char err[512] = "";
    NEED_DEST(r, d);
    return done(r, hm_admin_create(r->b, d, err, sizeof err), err, NULL, 0);
}

int mg_api_delete(mg_req_t *r)
{
    hm_dname_t d;
    char err[512] = "";
    NEED_DEST(r, d);
    return done(r, hm_admin_delete(r->b, d, err, sizeof err), err, NULL, 0);
}

int mg_api_purge(mg_req_t *r)
{
    hm_dname_t d;
    char err[512] = "";
    uint64_t n = 0;
    NEED_QUEUE(r, d);
    apr_status_t st = hm_admin_purge(r->b, d, mg_arg(r, "selector"), &n, err, sizeof err);
    return done(r, st, err, "removed", n);
}

int mg_api_remove(mg_req_t *r)
{
    hm_dname_t d;
    char err[512] = "";
    NEED_QUEUE(r, d);
    const char *id = mg_arg(r, "id");
    if (!id || !*id)
        return mg_fail(r, 400, "give id=MESSAGE_ID");
    return done(r, hm_admin_remove(r->b, d, id, err, sizeof err), err, "removed", 1);
}

static int copy_or_move(mg_req_t *r, int move)
{
    hm_dname_t from, to;
    char err[512] = "";
    if (!mg_dest_arg(r, "from", NULL, &from) || !mg_dest_arg(r, "to", NULL, &to))
        return mg_fail(r, 400, "give from=QUEUE and to=QUEUE");
    const char *maxs = mg_arg(r, "max");
    char *end = NULL;
    unsigned long long max = maxs ? strtoull(maxs, &end, 10) : 0;
    if (maxs && (!*maxs || *end || *maxs == '-'))
        return mg_fail(r, 400, "max is a whole number (0: all)");
    uint64_t n = 0;
    apr_status_t st = hm_admin_copy(r->b, from, to, mg_arg(r, "selector"), move, max, &n, err, sizeof err);
    if (st && n)       /* some went before the failure: say how many */
        return mg_fail(r, mg_http_status(st), "%s (after %" PRIu64 " messages)", err, n);
    return done(r, st, err, move ? "moved" : "copied", n);
}

int mg_api_move(mg_req_t *r)
{
    return copy_or_move(r, 1);
}

int mg_api_copy(mg_req_t *r)
{
    return copy_or_move(r, 0);
}

static int pause_resume(mg_req_t *r, int paused)
{
    hm_dname_t d;
    char err[512] = "";
    NEED_QUEUE(r, d);
    return done(r, hm_admin_pause(r->b, d, paused, err, sizeof err), err, NULL, 0);
}

int mg_api_pause(mg_req_t *r)
{
    return pause_resume(r, 1);
}

int mg_api_resume(mg_req_t *r)
{
    return pause_resume(r, 0);
}

/* The text: a form field body=, else a text/plain body (UTF-8 checked: JMS text is Unicode). */
int mg_api_send(mg_req_t *r)
{
    hm_dname_t d;
    char err[512] = "";
    NEED_DEST(r, d);
    const char *text = mg_arg(r, "body");
    size_t len = text ? strlen(text) : r->body.len;
    if (!text) {
        if (!r->has_text_body)
            return mg_fail(r, 400, "give the text as body= or as a text/plain body");
        text = r->body.len ? (const char *)r->body.data : "";
    }
    for (size_t i = 0, n; i < len; i += n)
        if (!(n = mg_utf8_seq((const unsigned char *)text + i, len - i)))
            return mg_fail(r, 400, "the text is not UTF-8 (byte %zu)", i);
    const char *prio = mg_arg(r, "priority");
    int priority = prio ? atoi(prio) : 4;
    if (priority < 0 || priority > 9)
        return mg_fail(r, 400, "priority is 0..9");
    const char *pers = mg_arg(r, "persistent");
    if (pers && strcmp(pers, "true") != 0 && strcmp(pers, "false") != 0)
        return mg_fail(r, 400, "persistent is true (the default) or false");
    const char *id = NULL;
    int persistent = 0;
    apr_status_t st = hm_admin_send_text(r->b, d, text, len, mg_arg(r, "type"), mg_arg(r, "correlationId"),
                                         priority, !pers || strcmp(pers, "true") == 0, r->pool, &id,
                                         &persistent, err, sizeof err);
    if (st)
        return mg_fail(r, mg_http_status(st), "%s", *err ? err : hm_strerror(st));
    mg_puts(&r->out, "{\"ok\":true,\"id\":");
    mg_json_cstr(&r->out, id);
    mg_printf(&r->out, ",\"persistent\":%s}\n", persistent ? "true" : "false");
    return 200;
}
