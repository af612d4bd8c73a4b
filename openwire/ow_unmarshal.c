/* The generic decoder: one walk over a type's field table serves every type, both encodings
 * (tight: booleans come from the frame's BooleanStream; loose: each is a byte) and every
 * protocol version (a field outside its versions is skipped). */
#include <stdlib.h>

#include <apr_strings.h>

#include "ow_int.h"

typedef struct bitrd_s {
    const uint8_t *p;
    size_t nbits, pos;
} bitrd_t;

typedef struct dctx_s {
    ow_wire_t *w;
    apr_pool_t *pool;
    hm_rd_t *rd;
    bitrd_t *bs;
    int tight;
    int version;
} dctx_t;

static apr_status_t d_object(dctx_t *c, uint8_t type, int depth, ow_object_t **out);
static apr_status_t d_nested(dctx_t *c, uint8_t cons, const char *field, int depth,
                             ow_object_t **out);

/* Reader failures: running past a size-delimited frame is malformed; past the end of an
 * unprefixed buffer means more bytes are needed. */
static apr_status_t rd_check(dctx_t *c, const char *what)
{
    if (hm_rd_ok(c->rd))
        return APR_SUCCESS;
    if (c->rd->err == HM_EINCOMPLETE)
        return HM_EINCOMPLETE;
    return ow_fail(c->w, c->rd->err, "frame ends inside %s", what);
}

static apr_status_t d_bool(dctx_t *c, int *v, const char *what)
{
    if (c->tight) {
        bitrd_t *b = c->bs;
        if (b->pos >= b->nbits)
            return ow_fail(c->w, HM_EMALFORMED, "boolean stream exhausted at %s", what);
        *v = (b->p[b->pos >> 3] >> (b->pos & 7)) & 1;
        b->pos++;
        return APR_SUCCESS;
    }
    *v = hm_rd_u8(c->rd) != 0;
    return rd_check(c, what);
}

/* BooleanStream.unmarshal: a length byte, or 0xC0 + byte, or 0x80 + short; then the bytes. */
static apr_status_t d_bitstream(dctx_t *c, bitrd_t *b)
{
    int n = hm_rd_u8(c->rd);
    if (n == 0xC0)
        n = hm_rd_u8(c->rd);
    else if (n == 0x80)
        n = (int16_t)hm_rd_be16(c->rd);
    apr_status_t st = rd_check(c, "boolean stream header");
    if (st)
        return st;
    if (n < 0)
        return ow_fail(c->w, HM_EMALFORMED, "negative boolean stream length %d", n);
    b->p = hm_rd_take(c->rd, (size_t)n);
    if ((st = rd_check(c, "boolean stream")))
        return st;
    b->nbits = (size_t)n * 8;
    b->pos = 0;
    return APR_SUCCESS;
}

static apr_status_t d_long(dctx_t *c, int64_t *v, const char *what)
{
    if (!c->tight) {
        *v = (int64_t)hm_rd_be64(c->rd);
        return rd_check(c, what);
    }
    int b1, b2;
    apr_status_t st;
    if ((st = d_bool(c, &b1, what)) || (st = d_bool(c, &b2, what)))
        return st;
    if (b1)
        *v = b2 ? (int64_t)hm_rd_be64(c->rd) : (int64_t)hm_rd_be32(c->rd);
    else
        *v = b2 ? (int64_t)hm_rd_be16(c->rd) : 0;
    return rd_check(c, what);
}

static apr_status_t d_string(dctx_t *c, char **out, const char *what)
{
    int present, ascii = 0;
    apr_status_t st;
    *out = NULL;
    if ((st = d_bool(c, &present, what)) || !present)
        return st;
    if (c->tight && (st = d_bool(c, &ascii, what)))
        return st;
    size_t n;
    if (ascii) {
        int16_t sn = (int16_t)hm_rd_be16(c->rd);
        if ((st = rd_check(c, what)))
            return st;
        if (sn < 0)
            return ow_fail(c->w, HM_EMALFORMED, "negative string length %d in %s", sn, what);
        n = (size_t)sn;
    } else {
        n = hm_rd_be16(c->rd);
    }
    const uint8_t *p = hm_rd_take(c->rd, n);
    if ((st = rd_check(c, what)))
        return st;
    if (ascii) {
        *out = ow_latin1_to_mutf8(c->pool, p, n);
    } else {
        if (!ow_mutf8_valid(p, n))
            return ow_fail(c->w, HM_EMALFORMED, "malformed modified UTF-8 in %s", what);
        *out = ow_mutf8_copy(c->pool, p, n);
    }
    return *out ? APR_SUCCESS : APR_ENOMEM;
}

static apr_status_t d_bytes(dctx_t *c, ow_bytes_t *b, const char *what)
{
    int present;
    apr_status_t st;
    b->data = NULL;
    b->len = 0;
    if ((st = d_bool(c, &present, what)) || !present)
        return st;
    int32_t n = (int32_t)hm_rd_be32(c->rd);
    if ((st = rd_check(c, what)))
        return st;
    if (n < 0)
        return ow_fail(c->w, HM_EMALFORMED, "negative length %d in %s", (int)n, what);
    if ((size_t)n > hm_rd_left(c->rd) && c->rd->short_err == HM_EMALFORMED)
        return ow_fail(c->w, HM_EMALFORMED, "%s of %d bytes exceeds the %zu left in the frame",
                       what, (int)n, hm_rd_left(c->rd));
    const uint8_t *p = hm_rd_take(c->rd, (size_t)n);
    if ((st = rd_check(c, what)))
        return st;
    uint8_t *copy = apr_palloc(c->pool, n ? (size_t)n : 1);
    if (!copy)
        return APR_ENOMEM;
    memcpy(copy, p, (size_t)n);
    b->data = copy;
    b->len = n;
    return APR_SUCCESS;
}

static apr_status_t d_throwable(dctx_t *c, int depth, ow_throwable_t **out, const char *what)
{
    int present;
    apr_status_t st;
    *out = NULL;
    if ((st = d_bool(c, &present, what)) || !present)
        return st;
    if (depth > OW_MAX_CAUSE_DEPTH)
        return ow_fail(c->w, HM_ETOOBIG, "throwable causes nested deeper than %d in %s",
                       OW_MAX_CAUSE_DEPTH, what);
    ow_throwable_t *t = apr_pcalloc(c->pool, sizeof *t);
    if (!t)
        return APR_ENOMEM;
    if ((st = d_string(c, &t->class_name, what)) || (st = d_string(c, &t->message, what)))
        return st;
    if (c->w->stack_trace) {
        int16_t n = (int16_t)hm_rd_be16(c->rd);
        if ((st = rd_check(c, what)))
            return st;
        /* each element carries at least its 4-byte line number (+3 booleans when loose) */
        size_t min_each = c->tight ? 4 : 7;
        if (n < 0 || ((size_t)n * min_each > hm_rd_left(c->rd) && c->rd->short_err == HM_EMALFORMED))
            return ow_fail(c->w, HM_EMALFORMED, "bad stack trace length %d in %s", n, what);
        if (n > 0) {
            t->stack_trace = apr_pcalloc(c->pool, (size_t)n * sizeof *t->stack_trace);
            if (!t->stack_trace)
                return APR_ENOMEM;
        }
        for (int i = 0; i < n; i++) {
            ow_stack_element_t *e = &t->stack_trace[i];
            if ((st = d_string(c, &e->class_name, what)) || (st = d_string(c, &e->method_name, what))
                || (st = d_string(c, &e->file_name, what)))
                return st;
            e->line_number = (int32_t)hm_rd_be32(c->rd);
            if ((st = rd_check(c, what)))
                return st;
            t->stack_trace_count = i + 1;
        }
        if ((st = d_throwable(c, depth + 1, &t->cause, what)))
            return st;
    }
    *out = t;
    return APR_SUCCESS;
}

static apr_status_t check_cons(dctx_t *c, uint8_t cons, const ow_object_t *o, const char *field)
{
    if (o && !ow_cons_allows(cons, o->type))
        return ow_fail(c->w, OW_EBAD_TYPE, "%s cannot hold a %s (expects %s)", field,
                       ow_type_name(o->type), ow_constraint_names[cons]);
    return APR_SUCCESS;
}

static apr_status_t d_nested(dctx_t *c, uint8_t cons, const char *field, int depth,
                             ow_object_t **out)
{
    int present;
    apr_status_t st;
    *out = NULL;
    if ((st = d_bool(c, &present, field)) || !present)
        return st;
    uint8_t type = hm_rd_u8(c->rd);
    if ((st = rd_check(c, field)))
        return st;
    const ow_type_desc_t *d = ow_desc_v(type, c->version);
    if (!d)
        return ow_fail(c->w, OW_EUNKNOWN_TYPE, "Unknown data type: %d (in %s)", (int8_t)type, field);
    if (!ow_cons_allows(cons, type))
        return ow_fail(c->w, OW_EBAD_TYPE, "%s cannot hold a %s (expects %s)", field, d->name,
                       ow_constraint_names[cons]);
    if (depth >= OW_MAX_NESTING)
        return ow_fail(c->w, HM_ETOOBIG, "data structures nested deeper than %d", OW_MAX_NESTING);
    if (c->tight && d->marshal_aware) {
        int own_form;
        if ((st = d_bool(c, &own_form, field)))
            return st;
        if (own_form) {
            /* A nested structure in its own marshalled form: size, type and its own
             * BooleanStream (OpenWireFormat accepts it though no Java peer writes it). */
            (void)hm_rd_be32(c->rd);
            (void)hm_rd_u8(c->rd);
            bitrd_t bs2, *saved = c->bs;
            if ((st = rd_check(c, field)) || (st = d_bitstream(c, &bs2)))
                return st;
            c->bs = &bs2;
            st = d_object(c, type, depth + 1, out);
            c->bs = saved;
            return st;
        }
    }
    return d_object(c, type, depth + 1, out);
}

static apr_status_t cache_index(dctx_t *c, int16_t idx, const char *field)
{
    if (idx < 0 || idx >= c->w->cache_size)
        return ow_fail(c->w, OW_EBAD_CACHE_INDEX, "cache index %d outside 0..%d in %s", idx,
                       (int)c->w->cache_size - 1, field);
    return APR_SUCCESS;
}

static apr_status_t d_cached(dctx_t *c, uint8_t cons, const char *field, int depth,
                             ow_object_t **out)
{
    if (!c->w->cache)
        return d_nested(c, cons, field, depth, out);
    int fresh;
    apr_status_t st;
    if ((st = d_bool(c, &fresh, field)))
        return st;
    int16_t idx = (int16_t)hm_rd_be16(c->rd);
    if ((st = rd_check(c, field)))
        return st;
    if (fresh) {
        if ((st = d_nested(c, cons, field, depth, out)))
            return st;
        if (idx == -1)   /* the peer's cache was full: not cached */
            return APR_SUCCESS;
        if ((st = cache_index(c, idx, field)))
            return st;
        ow_object_t *flat = NULL;
        if (*out && (st = ow_object_copy_flat(*out, &flat, NULL)))
            return st;
        free(c->w->in_cache[idx]);
        c->w->in_cache[idx] = flat;
        return APR_SUCCESS;
    }
    if ((st = cache_index(c, idx, field)))
        return st;
    *out = NULL;
    if (c->w->in_cache[idx] && (st = ow_object_copy(c->w->in_cache[idx], c->pool, out)))
        return st;
    return check_cons(c, cons, *out, field);
}

static apr_status_t d_array(dctx_t *c, const ow_field_t *f, char *base, int depth)
{
    int present;
    apr_status_t st;
    if ((st = d_bool(c, &present, f->name)) || !present)
        return st;
    int16_t n = (int16_t)hm_rd_be16(c->rd);
    if ((st = rd_check(c, f->name)))
        return st;
    /* every element takes at least one bit (tight) or one byte (loose) */
    size_t left = c->tight ? c->bs->nbits - c->bs->pos : hm_rd_left(c->rd);
    if (n < 0 || ((size_t)n > left && (c->tight || c->rd->short_err == HM_EMALFORMED)))
        return ow_fail(c->w, HM_EMALFORMED, "bad array length %d in %s", n, f->name);
    ow_object_t **arr = apr_pcalloc(c->pool, (n ? (size_t)n : 1) * sizeof *arr);
    if (!arr)
        return APR_ENOMEM;
    for (int i = 0; i < n; i++)
        if ((st = d_nested(c, f->cons, f->name, depth, &arr[i])))
            return st;
    *(ow_object_t ***)(base + f->off) = arr;
    *(int32_t *)(base + f->count_off) = n;
    return APR_SUCCESS;
}

static apr_status_t d_field(dctx_t *c, const ow_field_t *f, char *base, int depth)
{
    void *at = base + f->off;
    apr_status_t st;
    switch (f->kind) {
    case OW_K_BYTE:
        *(int8_t *)at = (int8_t)hm_rd_u8(c->rd);
        return rd_check(c, f->name);
    case OW_K_BOOL:
        return d_bool(c, (int *)at, f->name);
    case OW_K_INT:
        *(int32_t *)at = (int32_t)hm_rd_be32(c->rd);
        return rd_check(c, f->name);
    case OW_K_LONG:
        return d_long(c, (int64_t *)at, f->name);
    case OW_K_STRING:
        return d_string(c, (char **)at, f->name);
    case OW_K_BYTES:
        return d_bytes(c, (ow_bytes_t *)at, f->name);
    case OW_K_CONST: {
        const uint8_t *p = hm_rd_take(c->rd, f->const_len);
        if ((st = rd_check(c, f->name)))
            return st;
        ow_bytes_t *b = at;
        b->data = apr_pmemdup(c->pool, p, f->const_len);
        b->len = f->const_len;
        return b->data ? APR_SUCCESS : APR_ENOMEM;
    }
    case OW_K_NESTED:
        return d_nested(c, f->cons, f->name, depth, (ow_object_t **)at);
    case OW_K_CACHED:
        return d_cached(c, f->cons, f->name, depth, (ow_object_t **)at);
    case OW_K_ARRAY:
        return d_array(c, f, base, depth);
    case OW_K_THROWABLE:
        return d_throwable(c, 0, (ow_throwable_t **)at, f->name);
    }
    return ow_fail(c->w, HM_EINVAL, "bad field table entry %s", f->name);
}

static apr_status_t d_object(dctx_t *c, uint8_t type, int depth, ow_object_t **out)
{
    const ow_type_desc_t *d = ow_desc_v(type, c->version);
    if (!d)
        return ow_fail(c->w, OW_EUNKNOWN_TYPE, "Unknown data type: %d", (int8_t)type);
    char *o = apr_pcalloc(c->pool, d->size);
    if (!o)
        return APR_ENOMEM;
    ((ow_object_t *)o)->type = type;
    for (uint16_t i = 0; i < d->nfields; i++) {
        const ow_field_t *f = &d->fields[i];
        if (c->version < f->min_ver || c->version > f->max_ver)
            continue;
        apr_status_t st = d_field(c, f, o, depth);
        if (st)
            return st;
    }
    *out = (ow_object_t *)o;
    return APR_SUCCESS;
}

/* One structure's body after its type byte: in the tight encoding its BooleanStream first. */
apr_status_t ow_unmarshal_body(ow_wire_t *w, hm_rd_t *rd, apr_pool_t *pool, uint8_t type,
                               ow_object_t **out)
{
    bitrd_t bs = { NULL, 0, 0 };
    dctx_t c = { w, pool, rd, &bs, w->tight, w->version };
    apr_status_t st;
    if (c.tight && (st = d_bitstream(&c, &bs)))
        return st;
    return d_object(&c, type, 0, out);
}
