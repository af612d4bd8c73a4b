/* selectors_eval_tool — evaluates selectors over messages with hermod's selector library, for
 * the differential suite (run.sh) that compares it with ActiveMQ's own SelectorParser.
 * Reads a case file on stdin (format in cases.md next to this file) and prints one line per
 * SEL line: "<name> INVALID" or "<name> R:M..." per message: R is the three-valued evaluate() (TRUE/FALSE/NULL/ERROR), M
 * the broker's matches() verdict (T match, F no match, E exception). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <apr_general.h>
#include <apr_pools.h>

#include "sel.h"
#include "sel_int.h"      /* sel_fmt_double/float: Java's number text for concatenation */

#define MAX_MSGS 32
#define MAX_PROPS 64

typedef struct prop_s {
    char *name;
    sel_value_t v;
} prop_t;

typedef struct msg_s {
    char *id;
    prop_t props[MAX_PROPS];
    int nprops;
    char *text;                /* NULL: not a text message */
    size_t text_len;
    int persistent, priority, redelivery, group_seq;
    long long timestamp, expiration;
    char *message_id, *correlation_id, *type, *group_id;
    size_t message_id_len, correlation_id_len, type_len, group_id_len;
} msg_t;

static msg_t msgs[MAX_MSGS];
static int nmsgs;

static char *unhex(const char *h, size_t *len)
{
    size_t n = strlen(h);
    if (strcmp(h, "-") == 0) n = 0;
    char *o = malloc(n / 2 + 1);
    for (size_t i = 0; i + 1 < n; i += 2) {
        unsigned v;
        sscanf(h + i, "%2x", &v);
        o[i / 2] = (char)v;
    }
    o[n / 2] = 0;
    *len = n / 2;
    return o;
}

static void set_str(sel_value_t *out, const char *p, size_t len)
{
    if (!p) { out->type = SEL_NULL; return; }
    out->type = SEL_STRING;
    out->u.s.p = p;
    out->u.s.len = len;
}

static int name_is(const char *name, size_t len, const char *lit)
{
    return strlen(lit) == len && memcmp(name, lit, len) == 0;
}

/* The header table of ActiveMQ's PropertyExpression (via sel_header_lookup), then the
 * property map. */
static void get(void *mp, const char *name, size_t len, sel_value_t *out)
{
    msg_t *m = mp;
    out->type = SEL_NULL;
    switch (sel_header_lookup(name, len)) {
    case SEL_HDR_DELIVERY_MODE: {
        const char *s = m->persistent ? "PERSISTENT" : "NON_PERSISTENT";
        set_str(out, s, strlen(s));
        return;
    }
    case SEL_HDR_PRIORITY: out->type = SEL_INT; out->u.l = m->priority; return;
    case SEL_HDR_MESSAGE_ID: set_str(out, m->message_id, m->message_id_len); return;
    case SEL_HDR_TIMESTAMP: out->type = SEL_LONG; out->u.l = m->timestamp; return;
    case SEL_HDR_CORRELATION_ID: set_str(out, m->correlation_id, m->correlation_id_len); return;
    case SEL_HDR_TYPE: set_str(out, m->type, m->type_len); return;
    case SEL_HDR_EXPIRATION: out->type = SEL_LONG; out->u.l = m->expiration; return;
    case SEL_HDR_REDELIVERED: out->type = SEL_BOOL; out->u.b = m->redelivery > 0; return;
    case SEL_HDR_X_DELIVERY_COUNT: out->type = SEL_INT; out->u.l = m->redelivery + 1; return;
    case SEL_HDR_X_GROUP_ID: set_str(out, m->group_id, m->group_id_len); return;
    case SEL_HDR_X_GROUP_SEQ: out->type = SEL_INT; out->u.l = m->group_seq; return;
    case SEL_HDR_DESTINATION: case SEL_HDR_REPLY_TO: case SEL_HDR_X_PRODUCER_TXID: return;
    case SEL_HDR_BROKER_IN_TIME: case SEL_HDR_BROKER_OUT_TIME: out->type = SEL_LONG; out->u.l = 0; return;
    case SEL_HDR_BROKER_PATH: set_str(out, "null", 4); return;
    case SEL_HDR_X_GROUP_FIRST_FOR_CONSUMER: out->type = SEL_BOOL; out->u.b = 0; return;
    case SEL_HDR_X_USER_ID: break;        /* no authenticated user here: the property */
    case SEL_HDR_NONE: break;
    }
    for (int i = 0; i < m->nprops; i++)
        if (name_is(name, len, m->props[i].name)) { *out = m->props[i].v; return; }
}

static int text_body(void *mp, const char **text, size_t *len)
{
    msg_t *m = mp;
    if (!m->text) return 0;
    *text = m->text;
    *len = m->text_len;
    return 1;
}

static void parse_prop(msg_t *m, char *name, char *type, char *val)
{
    if (m->nprops == MAX_PROPS) return;
    prop_t *p = &m->props[m->nprops++];
    p->name = strdup(name);
    sel_value_t *v = &p->v;
    if (!strcmp(type, "bool")) { v->type = SEL_BOOL; v->u.b = !strcmp(val, "true"); }
    else if (!strcmp(type, "byte")) { v->type = SEL_BYTE; v->u.l = strtoll(val, NULL, 10); }
    else if (!strcmp(type, "short")) { v->type = SEL_SHORT; v->u.l = strtoll(val, NULL, 10); }
    else if (!strcmp(type, "int")) { v->type = SEL_INT; v->u.l = strtoll(val, NULL, 10); }
    else if (!strcmp(type, "long")) { v->type = SEL_LONG; v->u.l = strtoll(val, NULL, 10); }
    else if (!strcmp(type, "float")) {
        uint32_t bits = (uint32_t)strtoul(val, NULL, 16);
        float f;
        memcpy(&f, &bits, sizeof f);
        v->type = SEL_FLOAT; v->u.d = f;
    } else if (!strcmp(type, "double")) {
        uint64_t bits = strtoull(val, NULL, 16);
        double d;
        memcpy(&d, &bits, sizeof d);
        v->type = SEL_DOUBLE; v->u.d = d;
    } else {
        size_t len;
        char *s = unhex(val, &len);
        set_str(v, s, len);
    }
}

static void parse_header(msg_t *m, char *name, char *val)
{
    size_t len;
    if (!strcmp(name, "persistent")) m->persistent = !strcmp(val, "true");
    else if (!strcmp(name, "priority")) m->priority = atoi(val);
    else if (!strcmp(name, "redelivery")) m->redelivery = atoi(val);
    else if (!strcmp(name, "groupSeq")) m->group_seq = atoi(val);
    else if (!strcmp(name, "timestamp")) m->timestamp = strtoll(val, NULL, 10);
    else if (!strcmp(name, "expiration")) m->expiration = strtoll(val, NULL, 10);
    else if (!strcmp(name, "messageId")) { m->message_id = unhex(val, &len); m->message_id_len = len; }
    else if (!strcmp(name, "correlationId")) { m->correlation_id = unhex(val, &len); m->correlation_id_len = len; }
    else if (!strcmp(name, "type")) { m->type = unhex(val, &len); m->type_len = len; }
    else if (!strcmp(name, "groupId")) { m->group_id = unhex(val, &len); m->group_id_len = len; }
}

static const char *result_name(sel_result_e r)
{
    switch (r) {
    case SEL_TRUE: return "TRUE";
    case SEL_FALSE: return "FALSE";
    case SEL_UNKNOWN: return "NULL";
    default: return "ERROR";
    }
}

int main(void)
{
    apr_initialize();
    sel_global_init();
    apr_pool_t *root;
    apr_pool_create(&root, NULL);
    sel_accessor_t acc = { get, text_body };
    size_t cap = 1 << 20;
    char *line = malloc(cap);
    msg_t *cur = NULL;
    while (fgets(line, (int)cap, stdin)) {
        size_t n = strlen(line);
        while (n && (line[n - 1] == '\n' || line[n - 1] == '\r')) line[--n] = 0;
        char *save = NULL;
        char *kw = strtok_r(line, " ", &save);
        if (!kw) continue;
        if (!strcmp(kw, "MSG")) {
            if (nmsgs == MAX_MSGS) return 2;
            cur = &msgs[nmsgs++];
            cur->id = strdup(strtok_r(NULL, " ", &save));
            char *t = strtok_r(NULL, " ", &save);
            if (t && !strcmp(t, "text")) cur->text = unhex(strtok_r(NULL, " ", &save), &cur->text_len);
        } else if (!strcmp(kw, "P") && cur) {
            char *name = strtok_r(NULL, " ", &save), *type = strtok_r(NULL, " ", &save);
            char *val = strtok_r(NULL, " ", &save);
            parse_prop(cur, name, type, val ? val : "-");
        } else if (!strcmp(kw, "H") && cur) {
            char *name = strtok_r(NULL, " ", &save), *val = strtok_r(NULL, " ", &save);
            parse_header(cur, name, val ? val : "-");
        } else if (!strcmp(kw, "FMTD") || !strcmp(kw, "FMTF")) {
            char *hex = strtok_r(NULL, " ", &save), *name = strtok_r(NULL, " ", &save);
            char buf[64];
            if (kw[3] == 'D') {
                uint64_t bits = strtoull(hex, NULL, 16);
                double d;
                memcpy(&d, &bits, sizeof d);
                sel_fmt_double(d, buf);
            } else {
                uint32_t bits = (uint32_t)strtoul(hex, NULL, 16);
                float f;
                memcpy(&f, &bits, sizeof f);
                sel_fmt_float(f, buf);
            }
            printf("%s %s\n", name, buf);
        } else if (!strcmp(kw, "SEL")) {
            char *hex = strtok_r(NULL, " ", &save), *name = strtok_r(NULL, " ", &save);
            size_t len;
            char *text = unhex(hex, &len);
            apr_pool_t *pool;
            apr_pool_create(&pool, root);
            sel_expr_t *e;
            char err[256];
            if (sel_compile(pool, text, len, &e, err, sizeof err) != APR_SUCCESS) {
                printf("%s INVALID\t%s\n", name, err);
            } else {
                printf("%s", name);
                for (int i = 0; i < nmsgs; i++) {
                    sel_result_e m = sel_eval(e, &acc, &msgs[i]);
                    printf(" %s:%c", result_name(sel_eval3(e, &acc, &msgs[i])),
                           m == SEL_TRUE ? 'T' : m == SEL_ERROR ? 'E' : 'F');
                }
                printf("\n");
            }
            apr_pool_destroy(pool);
            free(text);
        }
    }
    free(line);
    apr_pool_destroy(root);
    apr_terminate();
    return 0;
}
