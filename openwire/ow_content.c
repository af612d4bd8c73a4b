/* OpenWire messages and the neutral content (server/hm_content.h), both ways.
 *
 * Export: an ActiveMQ message's properties (MarshallingSupport map) and body by its class:
 * Message (none), TextMessage (text), BytesMessage (bytes), MapMessage (map), StreamMessage
 * (list), ObjectMessage (opaque bytes, never deserialized).  Strings go from Java's modified
 * UTF-8 to UTF-8; compressed bodies are inflated.
 * Import: a message that came in by another protocol becomes the ActiveMQ message of its body
 * kind, with its headers from the core message.  A body in another encoding (AMQP's) travels as
 * a BytesMessage whose property JMS_HERMOD_BODY_TYPE names the encoding, and comes back as one. */
#include <string.h>

#include <apr_strings.h>

#include "hm_limits.h"
#include "ow_adapter_int.h"
#include "ow_int.h"
#include "ow_props.h"

#define BODY_TYPE_PROP "JMS_HERMOD_BODY_TYPE"
#define SHORT_STRING_MAX 8191      /* MarshallingSupport: shorter strings use the readUTF form */

/* ------------------------------------------------------------------ export */

static apr_status_t map_export(const ow_pmap_t *m, apr_pool_t *pool, const hm_entry_t **out, int *n,
                               int depth);

/* The scalar types, which both sides hold as the same C type at the start of their unions. */
static const struct { ow_pv_type_t ow; hm_vtype_e hm; size_t size; } scalars[] = {
    { OW_PV_NULL, HM_V_NULL, 0 },
    { OW_PV_BOOLEAN, HM_V_BOOL, sizeof(int) },
    { OW_PV_BYTE, HM_V_BYTE, sizeof(int8_t) },
    { OW_PV_CHAR, HM_V_CHAR, sizeof(uint16_t) },
    { OW_PV_SHORT, HM_V_SHORT, sizeof(int16_t) },
    { OW_PV_INT, HM_V_INT, sizeof(int32_t) },
    { OW_PV_LONG, HM_V_LONG, sizeof(int64_t) },
    { OW_PV_FLOAT, HM_V_FLOAT, sizeof(float) },
    { OW_PV_DOUBLE, HM_V_DOUBLE, sizeof(double) },
};

/* 1 when pv is a scalar, copied into v (or, with to_ow, v into pv). */
static int scalar(ow_pvalue_t *pv, hm_value_t *v, int to_ow)
{
    for (size_t i = 0; i < sizeof scalars / sizeof scalars[0]; i++) {
        if (to_ow ? v->type != scalars[i].hm : pv->type != scalars[i].ow)
            continue;
        pv->type = scalars[i].ow;
        v->type = scalars[i].hm;
        if (to_ow)
            memcpy(&pv->u, &v->u, scalars[i].size);
        else
            memcpy(&v->u, &pv->u, scalars[i].size);
        return 1;
    }
    return 0;
}

static apr_status_t value_export(const ow_pvalue_t *pv, apr_pool_t *pool, hm_value_t *v, int depth)
{
    memset(v, 0, sizeof *v);
    if (scalar((ow_pvalue_t *)pv, v, 0))
        return APR_SUCCESS;
    switch (pv->type) {
    case OW_PV_STRING:
    case OW_PV_BIG_STRING: {
        char *s;
        size_t len;
        apr_status_t st = ow_mutf8_to_utf8(pool, pv->u.str.data, (size_t)pv->u.str.len, &s, &len);
        if (st)
            return st;
        v->type = HM_V_STRING;
        v->u.s.p = s;
        v->u.s.len = len;
        break;
    }
    case OW_PV_BYTES:
        v->type = HM_V_BYTES;
        v->u.bytes.p = pv->u.bytes.data;
        v->u.bytes.len = (size_t)pv->u.bytes.len;
        break;
    case OW_PV_MAP:
    case OW_PV_LIST:
        v->type = pv->type == OW_PV_MAP ? HM_V_MAP : HM_V_LIST;
        return map_export(pv->u.map, pool, &v->u.map.e, &v->u.map.n, depth + 1);
    default:
        return HM_EMALFORMED;
    }
    return APR_SUCCESS;
}

static apr_status_t map_export(const ow_pmap_t *m, apr_pool_t *pool, const hm_entry_t **out, int *n,
                               int depth)
{
    *out = NULL;
    *n = 0;
    if (!m || m->is_null)
        return APR_SUCCESS;
    if (depth > HM_MAX_CONTENT_DEPTH)
        return HM_ETOOBIG;
    hm_entry_t *e = apr_pcalloc(pool, sizeof *e * (size_t)(m->count ? m->count : 1));
    for (int32_t i = 0; i < m->count; i++) {
        const ow_pentry_t *pe = &m->entries[i];
        if (pe->name) {
            char *name;
            size_t nl;
            apr_status_t st = ow_mutf8_to_utf8(pool, pe->name, (size_t)pe->name_len, &name, &nl);
            if (st)
                return st;
            e[i].name = name;
        }
        apr_status_t st = value_export(&pe->value, pool, &e[i].v, depth);
        if (st)
            return st;
    }
    *out = e;
    *n = m->count;
    return APR_SUCCESS;
}

/* The body bytes, inflated when the message is compressed. */
static apr_status_t body_bytes(const ow_message_t *m, apr_pool_t *pool, const uint8_t **p, size_t *len)
{
    *p = m->content.data;
    *len = m->content.data ? (size_t)m->content.len : 0;
    if (!m->compressed || !*len)
        return APR_SUCCESS;
    uint8_t *out;
    apr_status_t st = ow_inflate(*p, *len, OW_MAX_INFLATED_TEXT, pool, &out, len);
    *p = out;
    return st;
}

apr_status_t ow_content_export(const ow_message_t *m, apr_pool_t *pool, hm_content_t *out)
{
    memset(out, 0, sizeof *out);
    apr_status_t st;
    if (m->marshalled_properties.data && m->marshalled_properties.len > 0) {
        ow_pmap_t *props;
        if ((st = ow_props_decode(m->marshalled_properties.data, (size_t)m->marshalled_properties.len,
                                  pool, &props)) ||
            (st = map_export(props, pool, &out->props, &out->nprops, 0)))
            return st;
    }
    const uint8_t *p;
    size_t len;
    switch (m->cmd.obj.type) {
    case OW_ACTIVEMQ_TEXT_MESSAGE: {
        const char *text;
        size_t tl;
        if ((st = ow_text_decode(m->content.data, m->content.data ? (size_t)m->content.len : 0,
                                 m->compressed, pool, &text, &tl)))
            return st;
        out->kind = HM_BODY_TEXT;
        if (text) {
            char *u;
            if ((st = ow_mutf8_to_utf8(pool, text, tl, &u, &tl)))
                return st;
            out->body.type = HM_V_STRING;
            out->body.u.s.p = u;
            out->body.u.s.len = tl;
        }
        return APR_SUCCESS;
    }
    case OW_ACTIVEMQ_MAP_MESSAGE:
    case OW_ACTIVEMQ_STREAM_MESSAGE: {
        ow_pmap_t *map = NULL;
        if ((st = body_bytes(m, pool, &p, &len)))
            return st;
        int stream = m->cmd.obj.type == OW_ACTIVEMQ_STREAM_MESSAGE;
        if (len && (st = stream ? ow_stream_body_decode(p, len, pool, &map) : ow_props_decode(p, len, pool, &map)))
            return st;
        out->kind = stream ? HM_BODY_STREAM : HM_BODY_MAP;
        out->body.type = stream ? HM_V_LIST : HM_V_MAP;
        return map_export(map, pool, &out->body.u.map.e, &out->body.u.map.n, 0);
    }
    case OW_ACTIVEMQ_BYTES_MESSAGE:
    case OW_ACTIVEMQ_OBJECT_MESSAGE:
        if ((st = body_bytes(m, pool, &p, &len)))
            return st;
        out->kind = m->cmd.obj.type == OW_ACTIVEMQ_OBJECT_MESSAGE ? HM_BODY_OBJECT : HM_BODY_BYTES;
        out->body.type = HM_V_BYTES;
        out->body.u.bytes.p = p;
        out->body.u.bytes.len = len;
        break;
    default:
        out->kind = HM_BODY_NONE;
        return APR_SUCCESS;
    }
    /* a body in another encoding, carried as bytes: its property names the encoding */
    for (int i = 0; out->kind == HM_BODY_BYTES && i < out->nprops; i++) {
        const hm_entry_t *e = &out->props[i];
        if (strcmp(e->name, BODY_TYPE_PROP) == 0 && e->v.type == HM_V_STRING) {
            out->kind = HM_BODY_OTHER;
            out->body_type = apr_pstrmemdup(pool, e->v.u.s.p, e->v.u.s.len);
            hm_entry_t *rest = apr_palloc(pool, sizeof *rest * (size_t)out->nprops);
            memcpy(rest, out->props, sizeof *rest * (size_t)i);
            memcpy(rest + i, out->props + i + 1, sizeof *rest * (size_t)(out->nprops - i - 1));
            out->props = rest;
            out->nprops--;
            break;
        }
    }
    return APR_SUCCESS;
}

/* ------------------------------------------------------------------ import */

static apr_status_t entries_import(const hm_entry_t *e, int n, int is_list, apr_pool_t *pool,
                                   ow_pmap_t **out, int depth);

static apr_status_t string_import(const char *s, size_t len, apr_pool_t *pool, ow_pvalue_t *pv)
{
    char *m;
    size_t ml;
    apr_status_t st = ow_utf8_to_mutf8(pool, s, len, &m, &ml);
    if (st)
        return st;
    if (ml > INT32_MAX)
        return HM_ETOOBIG;
    pv->type = ml < SHORT_STRING_MAX ? OW_PV_STRING : OW_PV_BIG_STRING;
    pv->u.str.data = m;
    pv->u.str.len = (int32_t)ml;
    return APR_SUCCESS;
}

static apr_status_t value_import(const hm_value_t *v, apr_pool_t *pool, ow_pvalue_t *pv, int depth)
{
    memset(pv, 0, sizeof *pv);
    hm_value_t scalar_v = *v;
    if (scalar(pv, &scalar_v, 1))
        return APR_SUCCESS;
    switch (v->type) {
    case HM_V_STRING: return string_import(v->u.s.p, v->u.s.len, pool, pv);
    case HM_V_BYTES:
        if (v->u.bytes.len > INT32_MAX)
            return HM_ETOOBIG;
        pv->type = OW_PV_BYTES;
        pv->u.bytes.data = v->u.bytes.p;
        pv->u.bytes.len = (int32_t)v->u.bytes.len;
        break;
    case HM_V_MAP:
    case HM_V_LIST:
        pv->type = v->type == HM_V_MAP ? OW_PV_MAP : OW_PV_LIST;
        return entries_import(v->u.map.e, v->u.map.n, v->type == HM_V_LIST, pool, &pv->u.map, depth + 1);
    default:                       /* the scalars, above */
        return HM_EINVAL;
    }
    return APR_SUCCESS;
}

/* Appends e[0..n) (names converted to modified UTF-8 unless m is a list) to m. */
static apr_status_t entries_append(ow_pmap_t *m, const hm_entry_t *e, int n, apr_pool_t *pool, int depth)
{
    for (int i = 0; i < n; i++) {
        ow_pvalue_t pv;
        char *name = NULL;
        size_t nl;
        apr_status_t st;
        if (!m->is_list && (st = ow_utf8_to_mutf8(pool, e[i].name ? e[i].name : "", e[i].name ? strlen(e[i].name) : 0,
                                                  &name, &nl)))
            return st;
        if ((st = value_import(&e[i].v, pool, &pv, depth)) || (st = ow_props_add(m, pool, name, &pv)))
            return st;
    }
    return APR_SUCCESS;
}

apr_status_t ow_content_append(ow_pmap_t *m, const hm_entry_t *e, int n, apr_pool_t *pool)
{
    return entries_append(m, e, n, pool, 0);
}

static apr_status_t entries_import(const hm_entry_t *e, int n, int is_list, apr_pool_t *pool,
                                   ow_pmap_t **out, int depth)
{
    if (depth > HM_MAX_CONTENT_DEPTH)
        return HM_ETOOBIG;
    ow_pmap_t *m = ow_props_new(pool, is_list);
    if (!m)
        return APR_ENOMEM;
    *out = m;
    return entries_append(m, e, n, pool, depth);
}

/* Keeps what an encoder wrote into wb as a byte sequence in pool, and frees wb. */
static apr_status_t kept(hm_wbuf_t *wb, apr_status_t st, apr_pool_t *pool, ow_bytes_t *out)
{
    if (!st && wb->err)
        st = wb->err;
    if (!st) {
        out->data = apr_pmemdup(pool, wb->data, wb->len);
        out->len = (int32_t)wb->len;
    }
    hm_wbuf_free(wb);
    return st;
}

/* Encodes with fn into a byte sequence in pool. */
static apr_status_t encoded(apr_status_t (*fn)(const ow_pmap_t *, hm_wbuf_t *), const ow_pmap_t *m,
                            apr_pool_t *pool, ow_bytes_t *out)
{
    hm_wbuf_t wb;
    hm_wbuf_init(&wb, (size_t)OW_DEFAULT_MAX_FRAME_SIZE);
    return kept(&wb, fn(m, &wb), pool, out);
}

static apr_status_t text_content(const hm_value_t *body, apr_pool_t *pool, ow_bytes_t *out)
{
    hm_wbuf_t wb;
    char *m = NULL;
    size_t ml = 0;
    apr_status_t st = body->type == HM_V_STRING ? ow_utf8_to_mutf8(pool, body->u.s.p, body->u.s.len, &m, &ml)
                                                : APR_SUCCESS;
    if (st)
        return st;
    hm_wbuf_init(&wb, (size_t)OW_DEFAULT_MAX_FRAME_SIZE);
    return kept(&wb, ow_text_encode(m, ml, &wb), pool, out);
}

static uint8_t class_of(hm_body_kind_e kind)
{
    switch (kind) {
    case HM_BODY_TEXT: return OW_ACTIVEMQ_TEXT_MESSAGE;
    case HM_BODY_BYTES:
    case HM_BODY_OTHER: return OW_ACTIVEMQ_BYTES_MESSAGE;
    case HM_BODY_MAP: return OW_ACTIVEMQ_MAP_MESSAGE;
    case HM_BODY_STREAM: return OW_ACTIVEMQ_STREAM_MESSAGE;
    case HM_BODY_OBJECT: return OW_ACTIVEMQ_OBJECT_MESSAGE;
    default: return OW_ACTIVEMQ_MESSAGE;
    }
}

ow_message_t *ow_content_import(const hm_msg_t *hm, const hm_content_t *c, apr_pool_t *pool)
{
    ow_message_t *om = ow_broker_message(hm, pool, class_of(c->kind));
    if (!om)
        return NULL;
    om->priority = (int8_t)hm->priority;
    om->persistent = hm->persistent;
    om->expiration = hm->expiration;
    om->type = hm->type ? apr_pstrdup(pool, hm->type) : NULL;
    om->group_id = hm->group_id ? apr_pstrdup(pool, hm->group_id) : NULL;
    om->group_sequence = hm->group_seq;
    om->reply_to = hm->reply_to.name ? ow_destination_from(pool, hm->reply_to) : NULL;
    ow_pmap_t *props;
    apr_status_t st = entries_import(c->props, c->nprops, 0, pool, &props, 0);
    if (!st && c->kind == HM_BODY_OTHER) {
        ow_pvalue_t pv;
        const char *bt = c->body_type ? c->body_type : "";
        st = string_import(bt, strlen(bt), pool, &pv);
        if (!st)
            st = ow_props_add(props, pool, BODY_TYPE_PROP, &pv);
    }
    if (!st && props->count)
        st = encoded(ow_props_encode, props, pool, &om->marshalled_properties);
    if (st)
        return NULL;
    ow_pmap_t *map;
    switch (c->kind) {
    case HM_BODY_TEXT:
        st = text_content(&c->body, pool, &om->content);
        break;
    case HM_BODY_MAP:
    case HM_BODY_STREAM:
        st = entries_import(c->body.u.map.e, c->body.type == HM_V_NULL ? 0 : c->body.u.map.n,
                            c->kind == HM_BODY_STREAM, pool, &map, 0);
        if (!st)
            st = encoded(c->kind == HM_BODY_STREAM ? ow_stream_body_encode : ow_props_encode, map, pool,
                         &om->content);
        break;
    case HM_BODY_BYTES:
    case HM_BODY_OBJECT:
    case HM_BODY_OTHER:
        if (c->body.type == HM_V_BYTES && c->body.u.bytes.len) {
            if (c->body.u.bytes.len > INT32_MAX)
                return NULL;
            om->content.data = apr_pmemdup(pool, c->body.u.bytes.p, c->body.u.bytes.len);
            om->content.len = (int32_t)c->body.u.bytes.len;
        }
        break;
    default:
        break;
    }
    return st ? NULL : om;
}
