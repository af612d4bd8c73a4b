/* The generic encoder: one walk over a type's field table.  Tight encoding collects the
 * BooleanStream bits and the data bytes in one pass (Java makes a sizing pass that sets the
 * bits and a second that writes the data; both visit the fields in the same order, so the
 * results are identical); the frame code puts the bits before the data. */
#include <stdlib.h>

#include "ow_int.h"

typedef struct bitwr_s {
    uint8_t *p;
    size_t nbits, cap;
    int oom;
} bitwr_t;

typedef struct ectx_s {
    ow_wire_t *w;
    hm_wbuf_t *out;
    bitwr_t *bs;
    int tight;
    int version;
} ectx_t;

static apr_status_t e_object(ectx_t *c, const ow_object_t *o, int depth);

static apr_status_t wb_check(ectx_t *c)
{
    if (c->out->err == APR_SUCCESS)
        return APR_SUCCESS;
    return ow_fail(c->w, c->out->err, "output buffer: %s",
                   c->out->err == HM_ETOOBIG ? "frame larger than the buffer's maximum" : "out of memory");
}

static void e_bool(ectx_t *c, int v)
{
    if (!c->tight) {
        hm_wbuf_u8(c->out, v ? 1 : 0);
        return;
    }
    bitwr_t *b = c->bs;
    if (b->nbits / 8 >= b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 64;
        uint8_t *p = realloc(b->p, cap);
        if (!p) {
            b->oom = 1;
            return;
        }
        memset(p + b->cap, 0, cap - b->cap);
        b->p = p;
        b->cap = cap;
    }
    if (v)
        b->p[b->nbits >> 3] |= (uint8_t)(1u << (b->nbits & 7));
    b->nbits++;
}

static void e_long(ectx_t *c, int64_t v)
{
    uint64_t u = (uint64_t)v;
    if (!c->tight) {
        hm_wbuf_be64(c->out, u);
    } else if (u == 0) {
        e_bool(c, 0);
        e_bool(c, 0);
    } else if ((u & 0xFFFFFFFFFFFF0000ULL) == 0) {
        e_bool(c, 0);
        e_bool(c, 1);
        hm_wbuf_be16(c->out, (uint16_t)u);
    } else if ((u & 0xFFFFFFFF00000000ULL) == 0) {
        e_bool(c, 1);
        e_bool(c, 0);
        hm_wbuf_be32(c->out, (uint32_t)u);
    } else {
        e_bool(c, 1);
        e_bool(c, 1);
        hm_wbuf_be64(c->out, u);
    }
}

static apr_status_t e_string(ectx_t *c, const char *s, const char *what)
{
    e_bool(c, s != NULL);
    if (!s)
        return APR_SUCCESS;
    size_t n = strlen(s);
    if (c->tight) {
        if (n > OW_MAX_TIGHT_STRING)
            return ow_fail(c->w, HM_ETOOBIG, "%s: a string of %zu bytes is too long to encode",
                           what, n);
        e_bool(c, ow_str_is_ascii(s, n));
    } else if (n > OW_MAX_UTF_STRING) {
        return ow_fail(c->w, HM_ETOOBIG, "%s: a string of %zu bytes is too long to encode", what, n);
    }
    hm_wbuf_be16(c->out, (uint16_t)n);
    hm_wbuf_put(c->out, s, n);
    return APR_SUCCESS;
}

static apr_status_t e_bytes(ectx_t *c, const ow_bytes_t *b, const char *what)
{
    e_bool(c, b->data != NULL);
    if (!b->data)
        return APR_SUCCESS;
    if (b->len < 0)
        return ow_fail(c->w, HM_EINVAL, "%s: negative length", what);
    hm_wbuf_be32(c->out, (uint32_t)b->len);
    hm_wbuf_put(c->out, b->data, (size_t)b->len);
    return APR_SUCCESS;
}

static apr_status_t e_throwable(ectx_t *c, const ow_throwable_t *t, int depth, const char *what)
{
    apr_status_t st;
    e_bool(c, t != NULL);
    if (!t)
        return APR_SUCCESS;
    if (depth > OW_MAX_CAUSE_DEPTH)
        return ow_fail(c->w, HM_ETOOBIG, "%s: throwable causes nested too deep", what);
    if ((st = e_string(c, t->class_name, what)) || (st = e_string(c, t->message, what)))
        return st;
    if (!c->w->stack_trace)
        return APR_SUCCESS;
    if (t->stack_trace_count < 0 || t->stack_trace_count > 32767
        || (t->stack_trace_count && !t->stack_trace))
        return ow_fail(c->w, HM_EINVAL, "%s: bad stack trace length %d", what, (int)t->stack_trace_count);
    hm_wbuf_be16(c->out, (uint16_t)t->stack_trace_count);
    for (int32_t i = 0; i < t->stack_trace_count; i++) {
        const ow_stack_element_t *e = &t->stack_trace[i];
        if ((st = e_string(c, e->class_name, what)) || (st = e_string(c, e->method_name, what))
            || (st = e_string(c, e->file_name, what)))
            return st;
        hm_wbuf_be32(c->out, (uint32_t)e->line_number);
    }
    return e_throwable(c, t->cause, depth + 1, what);
}

static apr_status_t e_nested(ectx_t *c, const ow_object_t *o, uint8_t cons, const char *what,
                             int depth)
{
    e_bool(c, o != NULL);
    if (!o)
        return APR_SUCCESS;
    const ow_type_desc_t *d = ow_desc_v(o->type, c->version);
    if (!d)
        return ow_fail(c->w, OW_EUNKNOWN_TYPE, "%s: type %d has no marshaller in version %d",
                       what, o->type, c->version);
    if (!ow_cons_allows(cons, o->type))
        return ow_fail(c->w, HM_EINVAL, "%s cannot hold a %s (expects %s)", what, d->name,
                       ow_constraint_names[cons]);
    if (depth >= OW_MAX_NESTING)
        return ow_fail(c->w, HM_ETOOBIG, "%s: structures nested deeper than %d", what, OW_MAX_NESTING);
    if (c->tight && d->marshal_aware)
        e_bool(c, 0);   /* "no cached marshalled form follows" */
    hm_wbuf_u8(c->out, o->type);
    return e_object(c, o, depth + 1);
}

/* Outbound marshal cache, mirroring OpenWireFormat: a value already in the cache goes out as
 * its index only.  Tight encoding adds an object to the cache after its nested fields were
 * sized (so inner cached objects take the lower indexes), loose encoding before. */
static apr_status_t e_cached(ectx_t *c, const ow_object_t *o, uint8_t cons, const char *what,
                             int depth)
{
    if (!c->w->cache)
        return e_nested(c, o, cons, what, depth);
    hm_wbuf_t key;
    apr_status_t st = ow_object_key(o, &key);
    if (st)
        return ow_fail(c->w, st, "%s: cannot build cache key", what);
    int16_t idx;
    if (ow_out_cache_find(c->w, key.data, key.len, &idx)) {
        hm_wbuf_free(&key);
        e_bool(c, 0);
        hm_wbuf_be16(c->out, (uint16_t)idx);
        return APR_SUCCESS;
    }
    e_bool(c, 1);
    if (!c->tight) {
        idx = ow_out_cache_add(c->w, &key);
        hm_wbuf_be16(c->out, (uint16_t)idx);
        return e_nested(c, o, cons, what, depth);
    }
    size_t at = c->out->len;
    hm_wbuf_be16(c->out, 0);
    if ((st = e_nested(c, o, cons, what, depth))) {
        hm_wbuf_free(&key);
        return st;
    }
    idx = ow_out_cache_add(c->w, &key);
    if (c->out->err == APR_SUCCESS) {
        c->out->data[at] = (uint8_t)((uint16_t)idx >> 8);
        c->out->data[at + 1] = (uint8_t)idx;
    }
    return APR_SUCCESS;
}

static apr_status_t e_field(ectx_t *c, const ow_field_t *f, const char *base, int depth)
{
    const void *at = base + f->off;
    switch (f->kind) {
    case OW_K_BYTE:
        hm_wbuf_u8(c->out, (uint8_t) * (const int8_t *)at);
        return APR_SUCCESS;
    case OW_K_BOOL:
        e_bool(c, *(const int *)at);
        return APR_SUCCESS;
    case OW_K_INT:
        hm_wbuf_be32(c->out, (uint32_t) * (const int32_t *)at);
        return APR_SUCCESS;
    case OW_K_LONG:
        e_long(c, *(const int64_t *)at);
        return APR_SUCCESS;
    case OW_K_STRING:
        return e_string(c, *(char *const *)at, f->name);
    case OW_K_BYTES:
        return e_bytes(c, at, f->name);
    case OW_K_CONST: {
        const ow_bytes_t *b = at;
        if (!b->data || b->len != f->const_len)
            return ow_fail(c->w, HM_EINVAL, "%s must be exactly %d bytes", f->name, f->const_len);
        hm_wbuf_put(c->out, b->data, f->const_len);
        return APR_SUCCESS;
    }
    case OW_K_NESTED:
        return e_nested(c, *(ow_object_t *const *)at, f->cons, f->name, depth);
    case OW_K_CACHED:
        return e_cached(c, *(ow_object_t *const *)at, f->cons, f->name, depth);
    case OW_K_ARRAY: {
        ow_object_t *const *arr = *(ow_object_t **const *)at;
        int32_t n = *(const int32_t *)(base + f->count_off);
        e_bool(c, arr != NULL);
        if (!arr)
            return APR_SUCCESS;
        if (n < 0 || n > 32767)
            return ow_fail(c->w, HM_EINVAL, "%s: array length %d outside 0..32767", f->name, (int)n);
        hm_wbuf_be16(c->out, (uint16_t)n);
        for (int32_t i = 0; i < n; i++) {
            apr_status_t st = e_nested(c, arr[i], f->cons, f->name, depth);
            if (st)
                return st;
        }
        return APR_SUCCESS;
    }
    case OW_K_THROWABLE:
        return e_throwable(c, *(ow_throwable_t *const *)at, 0, f->name);
    }
    return ow_fail(c->w, HM_EINVAL, "bad field table entry %s", f->name);
}

static apr_status_t e_object(ectx_t *c, const ow_object_t *o, int depth)
{
    const ow_type_desc_t *d = ow_desc_v(o->type, c->version);
    if (!d)
        return ow_fail(c->w, OW_EUNKNOWN_TYPE, "type %d has no marshaller in version %d", o->type,
                       c->version);
    for (uint16_t i = 0; i < d->nfields; i++) {
        const ow_field_t *f = &d->fields[i];
        if (c->version < f->min_ver || c->version > f->max_ver)
            continue;
        apr_status_t st = e_field(c, f, (const char *)o, depth);
        if (st)
            return st;
    }
    return APR_SUCCESS;
}

/* Writes the frame body after the type byte into out: loose = the fields; tight = the
 * BooleanStream header and bits followed by the data. */
apr_status_t ow_marshal_body(ow_wire_t *w, const ow_object_t *o, hm_wbuf_t *out)
{
    bitwr_t bs = { NULL, 0, 0, 0 };
    ectx_t c = { w, out, &bs, w->tight, w->version };
    apr_status_t st;
    if (!w->tight) {
        st = e_object(&c, o, 0);
        return st ? st : wb_check(&c);
    }
    hm_wbuf_t data;
    hm_wbuf_init(&data, out->max);
    c.out = &data;
    st = e_object(&c, o, 0);
    if (!st)
        st = wb_check(&c);
    if (!st && bs.oom)
        st = ow_fail(w, APR_ENOMEM, "out of memory for the boolean stream");
    if (!st) {
        size_t n = (bs.nbits + 7) / 8;
        if (n < 64) {
            hm_wbuf_u8(out, (uint8_t)n);
        } else if (n < 256) {
            hm_wbuf_u8(out, 0xC0);
            hm_wbuf_u8(out, (uint8_t)n);
        } else if (n <= 32767) {
            hm_wbuf_u8(out, 0x80);
            hm_wbuf_be16(out, (uint16_t)n);
        } else {
            st = ow_fail(w, HM_ETOOBIG, "boolean stream of %zu bytes", n);
        }
        if (!st) {
            hm_wbuf_put(out, bs.p, n);
            hm_wbuf_put(out, data.data, data.len);
            c.out = out;
            st = wb_check(&c);
        }
    }
    free(bs.p);
    hm_wbuf_free(&data);
    return st;
}
