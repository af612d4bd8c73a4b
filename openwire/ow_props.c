/* MarshallingSupport primitive maps and lists, decoded into a typed list that keeps wire order.
 * Recursion is bounded by OW_PROPS_MAX_DEPTH; every length is checked against the bytes left
 * before anything is allocated. */
#include <apr_strings.h>

#include "ow_int.h"
#include "ow_props.h"

static apr_status_t dec_map(hm_rd_t *rd, apr_pool_t *pool, int is_list, int depth, ow_pmap_t **out);

static apr_status_t take_str(hm_rd_t *rd, apr_pool_t *pool, size_t n, const char **s)
{
    if (n > hm_rd_left(rd))
        return HM_EMALFORMED;
    const uint8_t *p = hm_rd_take(rd, n);
    char *c = apr_palloc(pool, n + 1);
    if (!c)
        return APR_ENOMEM;
    memcpy(c, p, n);
    c[n] = 0;
    *s = c;
    return APR_SUCCESS;
}

static apr_status_t dec_value(hm_rd_t *rd, apr_pool_t *pool, int depth, ow_pvalue_t *v)
{
    uint8_t t = hm_rd_u8(rd);
    if (!hm_rd_ok(rd))
        return rd->err;
    v->type = (ow_pv_type_t)t;
    switch (t) {
    case OW_PV_NULL: break;
    case OW_PV_BOOLEAN: v->u.b = hm_rd_u8(rd) != 0; break;
    case OW_PV_BYTE: v->u.i8 = (int8_t)hm_rd_u8(rd); break;
    case OW_PV_CHAR: v->u.ch = hm_rd_be16(rd); break;
    case OW_PV_SHORT: v->u.i16 = (int16_t)hm_rd_be16(rd); break;
    case OW_PV_INT: v->u.i32 = (int32_t)hm_rd_be32(rd); break;
    case OW_PV_LONG: v->u.i64 = (int64_t)hm_rd_be64(rd); break;
    case OW_PV_FLOAT: {
        uint32_t u = hm_rd_be32(rd);
        memcpy(&v->u.f, &u, sizeof u);
        break;
    }
    case OW_PV_DOUBLE: {
        uint64_t u = hm_rd_be64(rd);
        memcpy(&v->u.d, &u, sizeof u);
        break;
    }
    case OW_PV_BYTES: {
        int32_t n = (int32_t)hm_rd_be32(rd);
        if (!hm_rd_ok(rd))
            return rd->err;
        if (n < 0 || (size_t)n > hm_rd_left(rd))
            return HM_EMALFORMED;
        const uint8_t *p = hm_rd_take(rd, (size_t)n);
        uint8_t *copy = apr_palloc(pool, n ? (size_t)n : 1);   /* never NULL for an empty array */
        if (!copy)
            return APR_ENOMEM;
        memcpy(copy, p, (size_t)n);
        v->u.bytes.data = copy;
        v->u.bytes.len = n;
        break;
    }
    case OW_PV_STRING:
    case OW_PV_BIG_STRING: {
        int64_t n = t == OW_PV_STRING ? (int64_t)hm_rd_be16(rd) : (int64_t)(int32_t)hm_rd_be32(rd);
        if (!hm_rd_ok(rd))
            return rd->err;
        if (n < 0)
            return HM_EMALFORMED;
        apr_status_t st = take_str(rd, pool, (size_t)n, &v->u.str.data);
        if (st)
            return st;
        v->u.str.len = (int32_t)n;
        break;
    }
    case OW_PV_MAP:
    case OW_PV_LIST:
        return dec_map(rd, pool, t == OW_PV_LIST, depth + 1, &v->u.map);
    default:
        return HM_EMALFORMED;
    }
    return hm_rd_ok(rd) ? APR_SUCCESS : rd->err;
}

static apr_status_t dec_map(hm_rd_t *rd, apr_pool_t *pool, int is_list, int depth, ow_pmap_t **out)
{
    if (depth > OW_PROPS_MAX_DEPTH)
        return HM_ETOOBIG;
    int32_t n = (int32_t)hm_rd_be32(rd);
    if (!hm_rd_ok(rd))
        return rd->err;
    ow_pmap_t *m = apr_pcalloc(pool, sizeof *m);
    if (!m)
        return APR_ENOMEM;
    m->is_list = is_list;
    if (n < 0) {
        if (is_list)
            return HM_EMALFORMED;
        m->is_null = 1;
        *out = m;
        return APR_SUCCESS;
    }
    /* each entry takes at least one byte (a list's type byte; a map's 2-byte name length) */
    if (n > OW_PROPS_MAX_ENTRIES)
        return HM_ETOOBIG;
    if ((size_t)n > hm_rd_left(rd))
        return HM_EMALFORMED;
    m->entries = apr_pcalloc(pool, (n ? (size_t)n : 1) * sizeof *m->entries);
    if (!m->entries)
        return APR_ENOMEM;
    for (int32_t i = 0; i < n; i++) {
        ow_pentry_t *e = &m->entries[i];
        apr_status_t st;
        if (!is_list) {
            uint16_t nl = hm_rd_be16(rd);
            if (!hm_rd_ok(rd))
                return rd->err;
            if ((st = take_str(rd, pool, nl, &e->name)))
                return st;
            e->name_len = nl;
        }
        if ((st = dec_value(rd, pool, depth, &e->value)))
            return st;
        m->count = i + 1;
    }
    *out = m;
    return APR_SUCCESS;
}

apr_status_t ow_props_decode(const uint8_t *p, size_t len, apr_pool_t *pool, ow_pmap_t **out)
{
    hm_rd_t rd;
    hm_rd_init_whole(&rd, p, len);
    apr_status_t st = dec_map(&rd, pool, 0, 0, out);
    if (st)
        return st;
    return hm_rd_left(&rd) ? HM_EMALFORMED : APR_SUCCESS;
}

static apr_status_t enc_map(const ow_pmap_t *m, hm_wbuf_t *out, int depth);

static apr_status_t enc_value(const ow_pvalue_t *v, hm_wbuf_t *out, int depth)
{
    hm_wbuf_u8(out, (uint8_t)v->type);
    switch (v->type) {
    case OW_PV_NULL: break;
    case OW_PV_BOOLEAN: hm_wbuf_u8(out, v->u.b ? 1 : 0); break;
    case OW_PV_BYTE: hm_wbuf_u8(out, (uint8_t)v->u.i8); break;
    case OW_PV_CHAR: hm_wbuf_be16(out, v->u.ch); break;
    case OW_PV_SHORT: hm_wbuf_be16(out, (uint16_t)v->u.i16); break;
    case OW_PV_INT: hm_wbuf_be32(out, (uint32_t)v->u.i32); break;
    case OW_PV_LONG: hm_wbuf_be64(out, (uint64_t)v->u.i64); break;
    case OW_PV_FLOAT: {
        uint32_t u;
        memcpy(&u, &v->u.f, sizeof u);
        hm_wbuf_be32(out, u);
        break;
    }
    case OW_PV_DOUBLE: {
        uint64_t u;
        memcpy(&u, &v->u.d, sizeof u);
        hm_wbuf_be64(out, u);
        break;
    }
    case OW_PV_BYTES:
        if (v->u.bytes.len < 0 || (v->u.bytes.len && !v->u.bytes.data))
            return HM_EINVAL;
        hm_wbuf_be32(out, (uint32_t)v->u.bytes.len);
        hm_wbuf_put(out, v->u.bytes.data, (size_t)v->u.bytes.len);
        break;
    case OW_PV_STRING:
        if (v->u.str.len < 0 || v->u.str.len > 65535)
            return HM_ETOOBIG;
        hm_wbuf_be16(out, (uint16_t)v->u.str.len);
        hm_wbuf_put(out, v->u.str.data, (size_t)v->u.str.len);
        break;
    case OW_PV_BIG_STRING:
        if (v->u.str.len < 0)
            return HM_EINVAL;
        hm_wbuf_be32(out, (uint32_t)v->u.str.len);
        hm_wbuf_put(out, v->u.str.data, (size_t)v->u.str.len);
        break;
    case OW_PV_MAP:
    case OW_PV_LIST:
        if (!v->u.map || (v->u.map->is_list != (v->type == OW_PV_LIST)))
            return HM_EINVAL;
        return enc_map(v->u.map, out, depth + 1);
    default:
        return HM_EINVAL;
    }
    return out->err;
}

static apr_status_t enc_map(const ow_pmap_t *m, hm_wbuf_t *out, int depth)
{
    if (depth > OW_PROPS_MAX_DEPTH)
        return HM_ETOOBIG;
    if (m->is_null) {
        hm_wbuf_be32(out, 0xFFFFFFFFu);
        return out->err;
    }
    hm_wbuf_be32(out, (uint32_t)m->count);
    for (int32_t i = 0; i < m->count; i++) {
        const ow_pentry_t *e = &m->entries[i];
        if (!m->is_list) {
            size_t nl = e->name ? (size_t)e->name_len : 0;
            if (nl > 65535)
                return HM_ETOOBIG;
            hm_wbuf_be16(out, (uint16_t)nl);
            hm_wbuf_put(out, e->name, nl);
        }
        apr_status_t st = enc_value(&e->value, out, depth);
        if (st)
            return st;
    }
    return out->err;
}

apr_status_t ow_props_encode(const ow_pmap_t *map, hm_wbuf_t *out)
{
    return enc_map(map, out, 0);
}

const ow_pvalue_t *ow_props_get(const ow_pmap_t *map, const char *name)
{
    size_t n = strlen(name);
    for (int32_t i = 0; map && !map->is_list && i < map->count; i++) {
        const ow_pentry_t *e = &map->entries[i];
        if (e->name && (size_t)e->name_len == n && memcmp(e->name, name, n) == 0)
            return &e->value;
    }
    return NULL;
}

ow_pmap_t *ow_props_new(apr_pool_t *pool, int is_list)
{
    ow_pmap_t *m = apr_pcalloc(pool, sizeof *m);
    if (m)
        m->is_list = is_list;
    return m;
}

apr_status_t ow_props_add(ow_pmap_t *map, apr_pool_t *pool, const char *name,
                          const ow_pvalue_t *value)
{
    if (map->count >= OW_PROPS_MAX_ENTRIES)
        return HM_ETOOBIG;
    /* grow by doubling: capacity is the next power of two >= count */
    int32_t cap = 1;
    while (cap < map->count)
        cap *= 2;
    if (map->count == 0 || map->count == cap) {
        int32_t ncap = map->count == 0 ? 8 : cap * 2;
        ow_pentry_t *e = apr_pcalloc(pool, (size_t)ncap * sizeof *e);
        if (!e)
            return APR_ENOMEM;
        if (map->count)
            memcpy(e, map->entries, (size_t)map->count * sizeof *e);
        map->entries = e;
    }
    ow_pentry_t *e = &map->entries[map->count++];
    e->name = map->is_list ? NULL : name;
    e->name_len = e->name ? (int32_t)strlen(name) : 0;
    e->value = *value;
    map->is_null = 0;
    return APR_SUCCESS;
}

/* A StreamMessage body is the same typed values one after another, without a count. */
apr_status_t ow_stream_body_decode(const uint8_t *p, size_t len, apr_pool_t *pool, ow_pmap_t **out)
{
    hm_rd_t rd;
    hm_rd_init_whole(&rd, p, len);
    ow_pmap_t *m = ow_props_new(pool, 1);
    if (!m)
        return APR_ENOMEM;
    while (hm_rd_left(&rd) > 0) {
        ow_pvalue_t v;
        memset(&v, 0, sizeof v);
        apr_status_t st = dec_value(&rd, pool, 0, &v);
        if (st)
            return st;
        if ((st = ow_props_add(m, pool, NULL, &v)))
            return st;
    }
    *out = m;
    return APR_SUCCESS;
}

apr_status_t ow_stream_body_encode(const ow_pmap_t *list, hm_wbuf_t *out)
{
    for (int32_t i = 0; i < list->count; i++) {
        apr_status_t st = enc_value(&list->entries[i].value, out, 0);
        if (st)
            return st;
    }
    return out->err;
}
