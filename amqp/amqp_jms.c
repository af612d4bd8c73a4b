/* The JMS mapping of AMQP messages, both ways, as Artemis and Qpid JMS define it (ActiveMQ's
 * transport.transformer=jms): body sections and x-opt-jms-msg-type ↔ the JMS message kinds,
 * application-properties ↔ JMS properties with their types, message-id and correlation-id ↔
 * their JMS text forms. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <apr_strings.h>
#include <apr_time.h>

#include "amqp_limits.h"
#include "amqp_jms.h"

#include "hm_rd.h"

#define SERIALIZED_OBJECT "application/x-java-serialized-object"

/* ------------------------------------------------------------------ encoding */

apr_status_t amqp_data_append(pn_data_t *d, hm_wbuf_t *out)
{
    ssize_t need = pn_data_encoded_size(d);
    if (need < 0)
        return HM_EMALFORMED;
    uint8_t *dst = hm_wbuf_extend(out, (size_t)need);
    if (!dst)
        return APR_ENOMEM;
    ssize_t n = pn_data_encode(d, (char *)dst, (size_t)need);
    return n == need ? APR_SUCCESS : HM_EMALFORMED;
}

/* ------------------------------------------------------------------ ids */

static const char *prefix_after(const char *s, const char *prefix)
{
    size_t n = strlen(prefix);
    return strncmp(s, prefix, n) == 0 ? s + n : NULL;
}

char *amqp_id_text(pn_data_t *d, int correlation, char *buf, size_t cap)
{
    switch (pn_data_type(d)) {
    case PN_ULONG:
        snprintf(buf, cap, "ID:AMQP_ULONG:%llu", (unsigned long long)pn_data_get_ulong(d));
        return buf;
    case PN_UUID: {
        pn_uuid_t u = pn_data_get_uuid(d);
        const unsigned char *b = (const unsigned char *)u.bytes;
        snprintf(buf, cap, "ID:AMQP_UUID:%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
                 b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12],
                 b[13], b[14], b[15]);
        return buf;
    }
    case PN_BINARY: {
        pn_bytes_t b = pn_data_get_binary(d);
        size_t at = (size_t)snprintf(buf, cap, "ID:AMQP_BINARY:");
        for (size_t i = 0; i < b.size && at + 3 <= cap; i++)
            at += (size_t)snprintf(buf + at, cap - at, "%02X", (unsigned char)b.start[i]);
        return buf;
    }
    case PN_STRING: {
        pn_bytes_t b = pn_data_get_string(d);
        int keep = correlation || (b.size >= 3 && memcmp(b.start, "ID:", 3) == 0);
        snprintf(buf, cap, "%s%.*s", keep ? "" : "ID:AMQP_NO_PREFIX:", (int)b.size, b.start);
        return buf;
    }
    default:
        return NULL;
    }
}

static int hexval(char c)
{
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10
         : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

void amqp_id_put(pn_data_t *d, const char *text, int correlation)
{
    const char *r;
    if ((r = prefix_after(text, "ID:AMQP_ULONG:")) && *r) {
        char *end;
        unsigned long long v = strtoull(r, &end, 10);
        if (!*end) {
            pn_data_put_ulong(d, v);
            return;
        }
    }
    if ((r = prefix_after(text, "ID:AMQP_UUID:")) && strlen(r) == 36) {
        pn_uuid_t u;
        int k = 0, ok = 1;
        for (int i = 0; r[i] && ok; i++) {
            if (r[i] == '-')
                continue;
            int hi = hexval(r[i]), lo = r[i + 1] ? hexval(r[i + 1]) : -1;
            if (hi < 0 || lo < 0 || k >= 16)
                ok = 0;
            else
                u.bytes[k++] = (char)(hi * 16 + lo);
            i++;
        }
        if (ok && k == 16) {
            pn_data_put_uuid(d, u);
            return;
        }
    }
    if ((r = prefix_after(text, "ID:AMQP_BINARY:")) && strlen(r) % 2 == 0) {
        size_t n = strlen(r) / 2;
        char *b = malloc(n ? n : 1);
        int ok = b != NULL;
        for (size_t i = 0; ok && i < n; i++) {
            int hi = hexval(r[2 * i]), lo = hexval(r[2 * i + 1]);
            ok = hi >= 0 && lo >= 0;
            if (ok)
                b[i] = (char)(hi * 16 + lo);
        }
        if (ok) {
            pn_data_put_binary(d, pn_bytes(n, b));   /* copied by Proton */
            free(b);
            return;
        }
        free(b);
    }
    if ((r = prefix_after(text, "ID:AMQP_NO_PREFIX:")) || (r = prefix_after(text, "ID:AMQP_STRING:")))
        text = r;
    (void)correlation;
    pn_data_put_string(d, pn_bytes(strlen(text), text));
}

/* ------------------------------------------------------------------ export: AMQP → neutral */

static apr_status_t value_export(pn_data_t *d, apr_pool_t *pool, hm_value_t *v, int depth);

/* The entries of the map or list at the cursor (keys: strings; entries with other keys are
 * skipped, as JMS has no other). */
static apr_status_t compound_export(pn_data_t *d, apr_pool_t *pool, int is_map, hm_value_t *v, int depth)
{
    size_t n = is_map ? pn_data_get_map(d) / 2
             : pn_data_type(d) == PN_ARRAY ? pn_data_get_array(d) : pn_data_get_list(d);
    hm_entry_t *e = apr_pcalloc(pool, (n ? n : 1) * sizeof *e);
    int k = 0;
    apr_status_t st = APR_SUCCESS;
    pn_data_enter(d);
    if (pn_data_type(d) == PN_ARRAY && pn_data_is_array_described(d))
        pn_data_next(d);           /* skip an array's descriptor */
    for (size_t i = 0; i < n && !st && pn_data_next(d); i++) {
        const char *name = NULL;
        if (is_map) {
            pn_type_t kt = pn_data_type(d);
            if (kt == PN_STRING || kt == PN_SYMBOL) {
                pn_bytes_t b = pn_data_get_bytes(d);
                name = apr_pstrmemdup(pool, b.start, b.size);
            }
            if (!pn_data_next(d))
                break;
            if (!name)
                continue;
        }
        e[k].name = name;
        st = value_export(d, pool, &e[k].v, depth + 1);
        k++;
    }
    pn_data_exit(d);
    v->type = is_map ? HM_V_MAP : HM_V_LIST;
    v->u.map.e = e;
    v->u.map.n = k;
    return st;
}

static apr_status_t value_export(pn_data_t *d, apr_pool_t *pool, hm_value_t *v, int depth)
{
    memset(v, 0, sizeof *v);
    if (depth > AMQP_MAX_DEPTH)
        return HM_EMALFORMED;
    switch (pn_data_type(d)) {
    case PN_BOOL: v->type = HM_V_BOOL; v->u.b = pn_data_get_bool(d); break;
    case PN_BYTE: v->type = HM_V_BYTE; v->u.i8 = pn_data_get_byte(d); break;
    case PN_UBYTE: v->type = HM_V_SHORT; v->u.i16 = pn_data_get_ubyte(d); break;
    case PN_SHORT: v->type = HM_V_SHORT; v->u.i16 = pn_data_get_short(d); break;
    case PN_USHORT: v->type = HM_V_INT; v->u.i32 = pn_data_get_ushort(d); break;
    case PN_INT: v->type = HM_V_INT; v->u.i32 = pn_data_get_int(d); break;
    case PN_UINT: v->type = HM_V_LONG; v->u.i64 = pn_data_get_uint(d); break;
    case PN_LONG: v->type = HM_V_LONG; v->u.i64 = pn_data_get_long(d); break;
    case PN_ULONG: v->type = HM_V_LONG; v->u.i64 = (int64_t)pn_data_get_ulong(d); break;
    case PN_TIMESTAMP: v->type = HM_V_LONG; v->u.i64 = pn_data_get_timestamp(d); break;
    case PN_FLOAT: v->type = HM_V_FLOAT; v->u.f = pn_data_get_float(d); break;
    case PN_DOUBLE: v->type = HM_V_DOUBLE; v->u.d = pn_data_get_double(d); break;
    case PN_CHAR: {
        pn_char_t c = pn_data_get_char(d);
        if (c <= 0xFFFF) {
            v->type = HM_V_CHAR;
            v->u.ch = (uint16_t)c;
        } else {                   /* beyond Java's char: the character as a string */
            char *s = apr_palloc(pool, 5);
            s[0] = (char)(0xF0 | (c >> 18)); s[1] = (char)(0x80 | ((c >> 12) & 0x3F));
            s[2] = (char)(0x80 | ((c >> 6) & 0x3F)); s[3] = (char)(0x80 | (c & 0x3F)); s[4] = 0;
            v->type = HM_V_STRING;
            v->u.s.p = s;
            v->u.s.len = 4;
        }
        break;
    }
    case PN_STRING:
    case PN_SYMBOL: {
        pn_bytes_t b = pn_data_get_bytes(d);
        v->type = HM_V_STRING;
        v->u.s.p = apr_pstrmemdup(pool, b.start, b.size);
        v->u.s.len = b.size;
        break;
    }
    case PN_BINARY: {
        pn_bytes_t b = pn_data_get_binary(d);
        v->type = HM_V_BYTES;
        v->u.bytes.p = (const uint8_t *)apr_pmemdup(pool, b.start, b.size ? b.size : 1);
        v->u.bytes.len = b.size;
        break;
    }
    case PN_UUID: {
        char buf[64];
        amqp_id_text(d, 0, buf, sizeof buf);
        v->type = HM_V_STRING;
        v->u.s.p = apr_pstrdup(pool, buf + strlen("ID:AMQP_UUID:"));
        v->u.s.len = strlen(v->u.s.p);
        break;
    }
    case PN_MAP:
        return compound_export(d, pool, 1, v, depth);
    case PN_LIST:
    case PN_ARRAY:
        return compound_export(d, pool, 0, v, depth);
    default:
        v->type = HM_V_NULL;       /* decimals, described values: no JMS type */
        break;
    }
    return APR_SUCCESS;
}

typedef struct body_s {
    int msg_type;                  /* x-opt-jms-msg-type, -1: none */
    const char *content_type;
    int nsections;
    uint64_t code;                 /* the body sections' kind */
    hm_wbuf_t data;                /* data sections, concatenated */
    hm_value_t value;              /* amqp-value, or amqp-sequence items (a list) */
    const uint8_t *raw;            /* the body's bytes, for a value JMS has no kind for */
    size_t raw_len;
} body_t;

static int content_type_is_text(const char *ct)
{
    if (!ct)
        return 0;
    return strncmp(ct, "text/", 5) == 0 || strstr(ct, "charset=") || strstr(ct, "json") ||
           strstr(ct, "xml");
}

/* Reads the sections of kept bytes: annotations and properties for the kind, app properties,
 * body. */
static apr_status_t read_sections(const uint8_t *p, size_t len, pn_data_t *d, apr_pool_t *pool,
                                  body_t *b, hm_content_t *out)
{
    size_t off = 0;
    while (off < len) {
        pn_data_clear(d);
        ssize_t n = pn_data_decode(d, (const char *)p + off, len - off);
        if (n <= 0)
            return HM_EMALFORMED;
        pn_data_rewind(d);
        if (!pn_data_next(d) || pn_data_type(d) != PN_DESCRIBED || !pn_data_enter(d) || !pn_data_next(d))
            return HM_EMALFORMED;
        uint64_t code = 0;
        if (pn_data_type(d) == PN_ULONG)
            code = pn_data_get_ulong(d);
        else if (pn_data_type(d) == PN_SYMBOL) {
            pn_bytes_t s = pn_data_get_symbol(d);
            code = BYTES_IS(s, "amqp:data:binary") ? AMQP_SEC_DATA
                 : BYTES_IS(s, "amqp:amqp-value:*") ? AMQP_SEC_VALUE : 0;
        }
        if (!pn_data_next(d))
            return HM_EMALFORMED;
        switch (code) {
        case AMQP_SEC_MESSAGE_ANN:
            if (pn_data_type(d) == PN_MAP) {
                size_t m = pn_data_get_map(d);
                pn_data_enter(d);
                for (size_t i = 0; i < m / 2 && pn_data_next(d); i++) {
                    pn_type_t kt = pn_data_type(d);
                    pn_bytes_t k = kt == PN_SYMBOL || kt == PN_STRING ? pn_data_get_bytes(d) : pn_bytes(0, NULL);
                    if (!pn_data_next(d))
                        break;
                    if (BYTES_IS(k, "x-opt-jms-msg-type") &&
                        pn_data_type(d) == PN_BYTE)
                        b->msg_type = pn_data_get_byte(d);
                }
            }
            break;
        case AMQP_SEC_PROPERTIES:
            if (pn_data_type(d) == PN_LIST && pn_data_enter(d)) {
                for (int i = 0; i < 7 && pn_data_next(d); i++)
                    if (i == 6 && pn_data_type(d) == PN_SYMBOL) {
                        pn_bytes_t s = pn_data_get_symbol(d);
                        b->content_type = apr_pstrmemdup(pool, s.start, s.size);
                    }
            }
            break;
        case AMQP_SEC_APP_PROPS:
            if (pn_data_type(d) == PN_MAP) {
                hm_value_t v;
                apr_status_t st = compound_export(d, pool, 1, &v, 0);
                if (st)
                    return st;
                out->props = v.u.map.e;
                out->nprops = v.u.map.n;
            }
            break;
        case AMQP_SEC_DATA:
        case AMQP_SEC_SEQUENCE:
        case AMQP_SEC_VALUE:
            if (!b->nsections++) {
                b->code = code;
                b->raw = p + off;
            }
            b->raw_len = off + (size_t)n - (size_t)(b->raw - p);
            if (code != b->code)
                return HM_EMALFORMED;          /* mixed body sections */
            if (code == AMQP_SEC_DATA && pn_data_type(d) == PN_BINARY) {
                pn_bytes_t bin = pn_data_get_binary(d);
                hm_wbuf_put(&b->data, bin.start, bin.size);
            } else if (code == AMQP_SEC_SEQUENCE) {
                hm_value_t items;
                apr_status_t st = value_export(d, pool, &items, 0);
                if (st)
                    return st;
                if (items.type != HM_V_LIST)
                    return HM_EMALFORMED;      /* an amqp-sequence is a list */
                if (b->nsections == 1) {
                    b->value = items;
                } else {                       /* several sequences: one list */
                    int total = b->value.u.map.n + items.u.map.n;
                    hm_entry_t *e = apr_pcalloc(pool, (size_t)(total ? total : 1) * sizeof *e);
                    memcpy(e, b->value.u.map.e, (size_t)b->value.u.map.n * sizeof *e);
                    memcpy(e + b->value.u.map.n, items.u.map.e, (size_t)items.u.map.n * sizeof *e);
                    b->value.u.map.e = e;
                    b->value.u.map.n = total;
                }
            } else if (code == AMQP_SEC_VALUE) {
                if (b->nsections > 1)
                    return HM_EMALFORMED;
                apr_status_t st = value_export(d, pool, &b->value, 0);
                if (st)
                    return st;
            }
            break;
        default:
            break;
        }
        off += (size_t)n;
    }
    return APR_SUCCESS;
}

/* The JMS kind a body says by itself (its section and content type); -1: none JMS has. */
static int kind_of_body(const body_t *b)
{
    if (!b->nsections)
        return AMQP_JMS_MESSAGE;
    if (b->code == AMQP_SEC_DATA)
        return b->content_type && strcmp(b->content_type, SERIALIZED_OBJECT) == 0 ? AMQP_JMS_OBJECT
             : content_type_is_text(b->content_type) ? AMQP_JMS_TEXT : AMQP_JMS_BYTES;
    if (b->code == AMQP_SEC_SEQUENCE)
        return AMQP_JMS_STREAM;
    switch (b->value.type) {
    case HM_V_NULL: case HM_V_STRING: return AMQP_JMS_TEXT;
    case HM_V_BYTES: return AMQP_JMS_BYTES;
    case HM_V_MAP: return AMQP_JMS_MAP;
    case HM_V_LIST: return AMQP_JMS_STREAM;
    default: return -1;
    }
}

/* Whether the body fits the kind x-opt-jms-msg-type names (no body fits every kind: its empty
 * one).  A message whose annotation and body disagree is taken by its body. */
static int kind_fits(int t, const body_t *b)
{
    if (!b->nsections)
        return 1;
    switch (t) {
    case AMQP_JMS_TEXT:
        return b->code == AMQP_SEC_DATA || (b->code == AMQP_SEC_VALUE &&
               (b->value.type == HM_V_STRING || b->value.type == HM_V_NULL));
    case AMQP_JMS_BYTES:
    case AMQP_JMS_OBJECT:
        return b->code == AMQP_SEC_DATA || (b->code == AMQP_SEC_VALUE && b->value.type == HM_V_BYTES);
    case AMQP_JMS_MAP:
        return b->code == AMQP_SEC_VALUE && b->value.type == HM_V_MAP;
    case AMQP_JMS_STREAM:
        return b->code == AMQP_SEC_SEQUENCE || (b->code == AMQP_SEC_VALUE && b->value.type == HM_V_LIST);
    default:
        return 0;                  /* MESSAGE with a body, or an unknown kind */
    }
}

apr_status_t amqp_jms_export(const uint8_t *p, size_t len, apr_pool_t *pool, hm_content_t *out)
{
    memset(out, 0, sizeof *out);
    body_t b;
    memset(&b, 0, sizeof b);
    b.msg_type = -1;
    hm_wbuf_init(&b.data, (size_t)AMQP_DEFAULT_MAX_MESSAGE);
    pn_data_t *d = pn_data(16);
    if (!d)
        return APR_ENOMEM;
    apr_status_t st = read_sections(p, len, d, pool, &b, out);
    pn_data_free(d);
    if (!st && b.data.err)
        st = b.data.err;
    if (st) {
        hm_wbuf_free(&b.data);
        return st;
    }
    hm_value_t bytes = { HM_V_BYTES };
    bytes.u.bytes.p = b.data.len ? apr_pmemdup(pool, b.data.data, b.data.len) : (const uint8_t *)"";
    bytes.u.bytes.len = b.data.len;
    hm_wbuf_free(&b.data);
    int t = b.msg_type;
    if (t < 0 || !kind_fits(t, &b))  /* no annotation, or one the body contradicts: by the body */
        t = kind_of_body(&b);
    if (!b.nsections) {            /* no body: the kind's empty one (an unknown kind: none) */
        out->kind = t == AMQP_JMS_TEXT ? HM_BODY_TEXT : t == AMQP_JMS_BYTES ? HM_BODY_BYTES
                  : t == AMQP_JMS_OBJECT ? HM_BODY_OBJECT : t == AMQP_JMS_MAP ? HM_BODY_MAP
                  : t == AMQP_JMS_STREAM ? HM_BODY_STREAM : HM_BODY_NONE;
        if (out->kind == HM_BODY_BYTES || out->kind == HM_BODY_OBJECT)
            out->body = bytes;
        return APR_SUCCESS;
    }
    switch (t) {
    case AMQP_JMS_MESSAGE:
        out->kind = HM_BODY_NONE;
        return APR_SUCCESS;
    case AMQP_JMS_TEXT:
        out->kind = HM_BODY_TEXT;
        if (b.code == AMQP_SEC_DATA) {
            out->body.type = HM_V_STRING;
            out->body.u.s.p = (const char *)bytes.u.bytes.p;
            out->body.u.s.len = bytes.u.bytes.len;
        } else if (b.value.type == HM_V_STRING) {
            out->body = b.value;
        }
        return APR_SUCCESS;
    case AMQP_JMS_BYTES:
    case AMQP_JMS_OBJECT:
        if (b.code == AMQP_SEC_DATA || !b.nsections) {
            out->kind = t == AMQP_JMS_OBJECT ? HM_BODY_OBJECT : HM_BODY_BYTES;
            out->body = bytes;
            return APR_SUCCESS;
        }
        if (b.value.type == HM_V_BYTES) {
            out->kind = t == AMQP_JMS_OBJECT ? HM_BODY_OBJECT : HM_BODY_BYTES;
            out->body = b.value;
            return APR_SUCCESS;
        }
        break;
    case AMQP_JMS_MAP:
        if (b.value.type == HM_V_MAP) {
            out->kind = HM_BODY_MAP;
            out->body = b.value;
            return APR_SUCCESS;
        }
        break;
    case AMQP_JMS_STREAM:
        if (b.value.type == HM_V_LIST) {
            out->kind = HM_BODY_STREAM;
            out->body = b.value;
            return APR_SUCCESS;
        }
        break;
    default:
        break;
    }
    /* a body JMS has no kind for: carried as its encoded sections */
    out->kind = HM_BODY_OTHER;
    out->body_type = b.code == AMQP_SEC_DATA ? "amqp-data" : b.code == AMQP_SEC_SEQUENCE ? "amqp-sequence" : "amqp-value";
    out->body.type = HM_V_BYTES;
    out->body.u.bytes.p = b.raw ? apr_pmemdup(pool, b.raw, b.raw_len) : (const uint8_t *)"";
    out->body.u.bytes.len = b.raw ? b.raw_len : 0;
    return APR_SUCCESS;
}

/* ------------------------------------------------------------------ import: neutral → AMQP */

static void value_put(pn_data_t *d, const hm_value_t *v, int depth)
{
    switch (v->type) {
    case HM_V_BOOL: pn_data_put_bool(d, v->u.b); break;
    case HM_V_BYTE: pn_data_put_byte(d, v->u.i8); break;
    case HM_V_SHORT: pn_data_put_short(d, v->u.i16); break;
    case HM_V_CHAR: pn_data_put_char(d, v->u.ch); break;
    case HM_V_INT: pn_data_put_int(d, v->u.i32); break;
    case HM_V_LONG: pn_data_put_long(d, v->u.i64); break;
    case HM_V_FLOAT: pn_data_put_float(d, v->u.f); break;
    case HM_V_DOUBLE: pn_data_put_double(d, v->u.d); break;
    case HM_V_STRING: pn_data_put_string(d, pn_bytes(v->u.s.len, v->u.s.p)); break;
    case HM_V_BYTES: pn_data_put_binary(d, pn_bytes(v->u.bytes.len, (const char *)v->u.bytes.p)); break;
    case HM_V_MAP:
    case HM_V_LIST:
        if (depth > AMQP_MAX_DEPTH) {
            pn_data_put_null(d);
            break;
        }
        if (v->type == HM_V_MAP)
            pn_data_put_map(d);
        else
            pn_data_put_list(d);
        pn_data_enter(d);
        for (int i = 0; i < v->u.map.n; i++) {
            const hm_entry_t *e = &v->u.map.e[i];
            if (v->type == HM_V_MAP)
                pn_data_put_string(d, pn_bytes(strlen(e->name), e->name));
            value_put(d, &e->v, depth + 1);
        }
        pn_data_exit(d);
        break;
    default:
        pn_data_put_null(d);
        break;
    }
}

static void section_begin(pn_data_t *d, uint64_t code)
{
    pn_data_clear(d);
    pn_data_put_described(d);
    pn_data_enter(d);
    pn_data_put_ulong(d, code);
}

static apr_status_t section_end(pn_data_t *d, hm_wbuf_t *out)
{
    pn_data_exit(d);
    return amqp_data_append(d, out);
}

static void put_symbol(pn_data_t *d, const char *s)
{
    pn_data_put_symbol(d, pn_bytes(strlen(s), s));
}

static void put_str(pn_data_t *d, const char *s)
{
    if (s)
        pn_data_put_string(d, pn_bytes(strlen(s), s));
    else
        pn_data_put_null(d);
}

static const char *address_of(apr_pool_t *pool, hm_dname_t n)
{
    static const char *const scheme[] = { "queue://", "topic://", "temp-queue://", "temp-topic://" };
    return n.name ? apr_pstrcat(pool, scheme[n.kind], n.name, NULL) : NULL;
}

static int8_t msg_type_of(hm_body_kind_e k)
{
    switch (k) {
    case HM_BODY_TEXT: return AMQP_JMS_TEXT;
    case HM_BODY_BYTES: case HM_BODY_OTHER: return AMQP_JMS_BYTES;
    case HM_BODY_MAP: return AMQP_JMS_MAP;
    case HM_BODY_STREAM: return AMQP_JMS_STREAM;
    case HM_BODY_OBJECT: return AMQP_JMS_OBJECT;
    default: return AMQP_JMS_MESSAGE;
    }
}

static int is_amqp_body_type(const char *t)
{
    return t && (strcmp(t, "amqp-value") == 0 || strcmp(t, "amqp-data") == 0 ||
                 strcmp(t, "amqp-sequence") == 0);
}

apr_status_t amqp_jms_import(const hm_msg_t *m, int32_t redelivery_count, const hm_content_t *c,
                             pn_data_t *d, hm_wbuf_t *out)
{
    apr_status_t st;
    apr_pool_t *pool;
    if (apr_pool_create(&pool, NULL) != APR_SUCCESS)
        return APR_ENOMEM;
    int64_t now = apr_time_as_msec(apr_time_now());
    int amqp_body = c->kind == HM_BODY_OTHER && is_amqp_body_type(c->body_type);

    section_begin(d, AMQP_SEC_HEADER);
    pn_data_put_list(d);
    pn_data_enter(d);
    pn_data_put_bool(d, m->persistent);
    pn_data_put_ubyte(d, (uint8_t)m->priority);
    if (m->expiration > 0)
        pn_data_put_uint(d, (uint32_t)(m->expiration - now > 0 ? (m->expiration - now > UINT32_MAX ? UINT32_MAX : m->expiration - now) : 1));
    else
        pn_data_put_null(d);
    pn_data_put_bool(d, 0);
    pn_data_put_uint(d, redelivery_count > 0 ? (uint32_t)redelivery_count : 0);
    pn_data_exit(d);
    st = section_end(d, out);

    if (!st) {
        section_begin(d, AMQP_SEC_MESSAGE_ANN);
        pn_data_put_map(d);
        pn_data_enter(d);
        if (!amqp_body) {
            put_symbol(d, "x-opt-jms-msg-type");
            pn_data_put_byte(d, msg_type_of(c->kind));
        }
        put_symbol(d, "x-opt-jms-dest");
        pn_data_put_byte(d, (int8_t)m->dest.kind);
        if (m->reply_to.name) {
            put_symbol(d, "x-opt-jms-reply-to");
            pn_data_put_byte(d, (int8_t)m->reply_to.kind);
        }
        pn_data_exit(d);
        st = section_end(d, out);
    }

    if (!st) {
        section_begin(d, AMQP_SEC_PROPERTIES);
        pn_data_put_list(d);
        pn_data_enter(d);
        if (m->message_id) amqp_id_put(d, m->message_id, 0); else pn_data_put_null(d);
        pn_data_put_null(d);                                   /* user-id */
        put_str(d, address_of(pool, m->dest));                 /* to */
        put_str(d, m->type);                                   /* subject */
        put_str(d, address_of(pool, m->reply_to));             /* reply-to */
        if (m->correlation_id) amqp_id_put(d, m->correlation_id, 1); else pn_data_put_null(d);
        if (c->kind == HM_BODY_OBJECT) put_symbol(d, SERIALIZED_OBJECT); else pn_data_put_null(d);
        pn_data_put_null(d);                                   /* content-encoding */
        if (m->expiration > 0) pn_data_put_timestamp(d, m->expiration); else pn_data_put_null(d);
        if (m->timestamp > 0) pn_data_put_timestamp(d, m->timestamp); else pn_data_put_null(d);
        put_str(d, m->group_id);
        if (m->group_id) pn_data_put_uint(d, (uint32_t)m->group_seq); else pn_data_put_null(d);
        pn_data_exit(d);
        st = section_end(d, out);
    }

    int nprops = 0;
    for (int i = 0; i < c->nprops; i++)
        nprops += c->props[i].v.type != HM_V_MAP && c->props[i].v.type != HM_V_LIST;
    if (!st && nprops) {
        section_begin(d, AMQP_SEC_APP_PROPS);
        pn_data_put_map(d);
        pn_data_enter(d);
        for (int i = 0; i < c->nprops; i++) {
            const hm_entry_t *e = &c->props[i];
            if (e->v.type == HM_V_MAP || e->v.type == HM_V_LIST)
                continue;          /* application-properties hold simple values only */
            pn_data_put_string(d, pn_bytes(strlen(e->name), e->name));
            value_put(d, &e->v, 0);
        }
        pn_data_exit(d);
        st = section_end(d, out);
    }

    if (!st) {
        switch (c->kind) {
        case HM_BODY_NONE:
            break;
        case HM_BODY_TEXT:
            section_begin(d, AMQP_SEC_VALUE);
            if (c->body.type == HM_V_STRING)
                pn_data_put_string(d, pn_bytes(c->body.u.s.len, c->body.u.s.p));
            else
                pn_data_put_null(d);
            st = section_end(d, out);
            break;
        case HM_BODY_MAP:
        case HM_BODY_STREAM:
            section_begin(d, c->kind == HM_BODY_MAP ? AMQP_SEC_VALUE : AMQP_SEC_SEQUENCE);
            if (c->body.type == HM_V_NULL) {
                hm_value_t empty = { c->kind == HM_BODY_MAP ? HM_V_MAP : HM_V_LIST };
                value_put(d, &empty, 0);
            } else {
                value_put(d, &c->body, 0);
            }
            st = section_end(d, out);
            break;
        default:
            if (amqp_body) {       /* an AMQP body that crossed another protocol: as it was */
                hm_wbuf_put(out, c->body.u.bytes.p, c->body.u.bytes.len);
                st = out->err;
            } else {
                section_begin(d, AMQP_SEC_DATA);
                pn_data_put_binary(d, pn_bytes(c->body.type == HM_V_BYTES ? c->body.u.bytes.len : 0,
                                               c->body.type == HM_V_BYTES ? (const char *)c->body.u.bytes.p : ""));
                st = section_end(d, out);
            }
            break;
        }
    }
    apr_pool_destroy(pool);
    return st;
}
