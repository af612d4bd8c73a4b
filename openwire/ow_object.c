/* Whole-structure operations driven by the field tables: new, deep copy (into a pool or into
 * one malloc'd block), equality, and the canonical key the marshal cache compares by value. */
#include <stdlib.h>

#include <apr_strings.h>

#include "ow_int.h"

/* An allocator that either measures (base == NULL: counts aligned bytes, returns NULL) or
 * hands out memory from a pool or from one pre-sized block. */
typedef struct al_s {
    apr_pool_t *pool;
    uint8_t *base;
    size_t used, cap;
    int measure;
} al_t;

static void *al_get(al_t *a, size_t n)
{
    size_t need = (n + 7) & ~(size_t)7;
    if (a->measure) {
        a->used += need;
        return NULL;
    }
    if (a->pool)
        return apr_pcalloc(a->pool, n ? n : 1);
    if (a->used + need > a->cap)
        return NULL;
    void *p = a->base + a->used;
    a->used += need;
    memset(p, 0, n);
    return p;
}

/* Each copy helper returns the copy (NULL when measuring) and sets *ok = 0 on failure. */
static void *dup_mem(al_t *a, const void *src, size_t n, int *ok)
{
    void *p = al_get(a, n);
    if (p)
        memcpy(p, src, n);
    else if (!a->measure)
        *ok = 0;
    return p;
}

static char *dup_str(al_t *a, const char *s, int *ok)
{
    return s ? dup_mem(a, s, strlen(s) + 1, ok) : NULL;
}

static ow_object_t *copy_obj(al_t *a, const ow_object_t *src, int depth, int *ok);

static ow_throwable_t *copy_throwable(al_t *a, const ow_throwable_t *t, int depth, int *ok)
{
    if (!t || depth > OW_MAX_CAUSE_DEPTH + 1) {
        if (t)
            *ok = 0;
        return NULL;
    }
    ow_throwable_t *d = al_get(a, sizeof *d);
    if (!d && !a->measure) {
        *ok = 0;
        return NULL;
    }
    char *cn = dup_str(a, t->class_name, ok), *msg = dup_str(a, t->message, ok);
    ow_stack_element_t *st = NULL;
    int32_t n = t->stack_trace && t->stack_trace_count > 0 ? t->stack_trace_count : 0;
    if (n) {
        st = al_get(a, (size_t)n * sizeof *st);
        if (!st && !a->measure)
            *ok = 0;
        for (int32_t i = 0; i < n && *ok; i++) {
            const ow_stack_element_t *e = &t->stack_trace[i];
            char *c1 = dup_str(a, e->class_name, ok), *c2 = dup_str(a, e->method_name, ok),
                 *c3 = dup_str(a, e->file_name, ok);
            if (st) {
                st[i].class_name = c1;
                st[i].method_name = c2;
                st[i].file_name = c3;
                st[i].line_number = e->line_number;
            }
        }
    }
    ow_throwable_t *cause = copy_throwable(a, t->cause, depth + 1, ok);
    if (d) {
        d->class_name = cn;
        d->message = msg;
        d->stack_trace = st;
        d->stack_trace_count = n;
        d->cause = cause;
    }
    return d;
}

static ow_object_t *copy_obj(al_t *a, const ow_object_t *src, int depth, int *ok)
{
    if (!src)
        return NULL;
    const ow_type_desc_t *d = ow_desc(src->type);
    if (!d || depth > OW_MAX_NESTING + 1) {
        *ok = 0;
        return NULL;
    }
    char *dst = al_get(a, d->size);
    if (!dst && !a->measure) {
        *ok = 0;
        return NULL;
    }
    if (dst)
        memcpy(dst, src, d->size);
    const char *s = (const char *)src;
    for (uint16_t i = 0; i < d->nfields && *ok; i++) {
        const ow_field_t *f = &d->fields[i];
        void *to = dst ? dst + f->off : NULL;
        const void *from = s + f->off;
        switch (f->kind) {
        case OW_K_STRING: {
            char *c = dup_str(a, *(char *const *)from, ok);
            if (to)
                *(char **)to = c;
            break;
        }
        case OW_K_BYTES:
        case OW_K_CONST: {
            const ow_bytes_t *b = from;
            if (b->data) {
                const uint8_t *c = dup_mem(a, b->data, b->len > 0 ? (size_t)b->len : 0, ok);
                if (to)
                    ((ow_bytes_t *)to)->data = c;
            }
            break;
        }
        case OW_K_NESTED:
        case OW_K_CACHED: {
            ow_object_t *c = copy_obj(a, *(ow_object_t *const *)from, depth + 1, ok);
            if (to)
                *(ow_object_t **)to = c;
            break;
        }
        case OW_K_ARRAY: {
            ow_object_t *const *arr = *(ow_object_t **const *)from;
            int32_t n = *(const int32_t *)(s + f->count_off);
            if (!arr)
                break;
            if (n < 0)
                n = 0;
            ow_object_t **c = al_get(a, (n ? (size_t)n : 1) * sizeof *c);
            if (!c && !a->measure)
                *ok = 0;
            for (int32_t j = 0; j < n && *ok; j++) {
                ow_object_t *e = copy_obj(a, arr[j], depth + 1, ok);
                if (c)
                    c[j] = e;
            }
            if (to) {
                *(ow_object_t ***)to = c;
                *(int32_t *)(dst + f->count_off) = n;
            }
            break;
        }
        case OW_K_THROWABLE: {
            ow_throwable_t *c = copy_throwable(a, *(ow_throwable_t *const *)from, 0, ok);
            if (to)
                *(ow_throwable_t **)to = c;
            break;
        }
        default:
            break;   /* scalars came with the memcpy */
        }
    }
    return (ow_object_t *)dst;
}

ow_object_t *ow_object_new(apr_pool_t *pool, uint8_t type)
{
    const ow_type_desc_t *d = ow_desc(type);
    if (!d)
        return NULL;
    ow_object_t *o = apr_pcalloc(pool, d->size);
    if (o)
        o->type = type;
    return o;
}

apr_status_t ow_object_copy(const ow_object_t *src, apr_pool_t *pool, ow_object_t **dst)
{
    al_t a = { pool, NULL, 0, 0, 0 };
    int ok = 1;
    *dst = copy_obj(&a, src, 0, &ok);
    if (!ok)
        return src && !ow_desc(src->type) ? OW_EUNKNOWN_TYPE : APR_ENOMEM;
    return APR_SUCCESS;
}

apr_status_t ow_object_copy_flat(const ow_object_t *src, ow_object_t **dst, size_t *size)
{
    *dst = NULL;
    if (!src)
        return HM_EINVAL;
    al_t m = { NULL, NULL, 0, 0, 1 };
    int ok = 1;
    copy_obj(&m, src, 0, &ok);
    if (!ok)
        return ow_desc(src->type) ? HM_ETOOBIG : OW_EUNKNOWN_TYPE;
    uint8_t *block = malloc(m.used);
    if (!block)
        return APR_ENOMEM;
    al_t a = { NULL, block, 0, m.used, 0 };
    ow_object_t *o = copy_obj(&a, src, 0, &ok);
    if (!ok || !o) {
        free(block);
        return APR_ENOMEM;
    }
    *dst = o;
    if (size)
        *size = m.used;
    return APR_SUCCESS;
}

/* ---- equality ---- */

static int str_eq(const char *a, const char *b)
{
    return a == b || (a && b && strcmp(a, b) == 0);
}

static int bytes_eq(const ow_bytes_t *a, const ow_bytes_t *b)
{
    if (!a->data || !b->data)
        return !a->data && !b->data;
    return a->len == b->len && (a->len <= 0 || memcmp(a->data, b->data, (size_t)a->len) == 0);
}

static int throwable_eq(const ow_throwable_t *a, const ow_throwable_t *b)
{
    if (!a || !b)
        return a == b;
    if (!str_eq(a->class_name, b->class_name) || !str_eq(a->message, b->message)
        || a->stack_trace_count != b->stack_trace_count)
        return 0;
    for (int32_t i = 0; i < a->stack_trace_count; i++) {
        const ow_stack_element_t *x = &a->stack_trace[i], *y = &b->stack_trace[i];
        if (!str_eq(x->class_name, y->class_name) || !str_eq(x->method_name, y->method_name)
            || !str_eq(x->file_name, y->file_name) || x->line_number != y->line_number)
            return 0;
    }
    return throwable_eq(a->cause, b->cause);
}

int ow_object_equal(const ow_object_t *a, const ow_object_t *b)
{
    if (!a || !b)
        return a == b;
    if (a->type != b->type)
        return 0;
    const ow_type_desc_t *d = ow_desc(a->type);
    if (!d)
        return 0;
    const char *x = (const char *)a, *y = (const char *)b;
    for (uint16_t i = 0; i < d->nfields; i++) {
        const ow_field_t *f = &d->fields[i];
        const void *p = x + f->off, *q = y + f->off;
        int eq = 1;
        switch (f->kind) {
        case OW_K_BYTE: eq = *(const int8_t *)p == *(const int8_t *)q; break;
        case OW_K_BOOL: eq = !*(const int *)p == !*(const int *)q; break;
        case OW_K_INT: eq = *(const int32_t *)p == *(const int32_t *)q; break;
        case OW_K_LONG: eq = *(const int64_t *)p == *(const int64_t *)q; break;
        case OW_K_STRING: eq = str_eq(*(char *const *)p, *(char *const *)q); break;
        case OW_K_BYTES:
        case OW_K_CONST: eq = bytes_eq(p, q); break;
        case OW_K_NESTED:
        case OW_K_CACHED:
            eq = ow_object_equal(*(ow_object_t *const *)p, *(ow_object_t *const *)q);
            break;
        case OW_K_ARRAY: {
            ow_object_t *const *pa = *(ow_object_t **const *)p, *const *qa = *(ow_object_t **const *)q;
            int32_t n = *(const int32_t *)(x + f->count_off), m = *(const int32_t *)(y + f->count_off);
            if (!pa || !qa) {
                eq = !pa && !qa;
                break;
            }
            eq = n == m;
            for (int32_t j = 0; eq && j < n; j++)
                eq = ow_object_equal(pa[j], qa[j]);
            break;
        }
        case OW_K_THROWABLE:
            eq = throwable_eq(*(ow_throwable_t *const *)p, *(ow_throwable_t *const *)q);
            break;
        }
        if (!eq)
            return 0;
    }
    return 1;
}

/* ---- canonical key: every field of every version, self-delimiting ---- */

static void key_str(hm_wbuf_t *k, const char *s)
{
    hm_wbuf_u8(k, s != NULL);
    if (s) {
        size_t n = strlen(s);
        hm_wbuf_be32(k, (uint32_t)n);
        hm_wbuf_put(k, s, n);
    }
}

static void key_obj(hm_wbuf_t *k, const ow_object_t *o, int depth)
{
    if (!o) {
        hm_wbuf_u8(k, 0);
        return;
    }
    const ow_type_desc_t *d = ow_desc(o->type);
    if (!d || depth > OW_MAX_NESTING + 1) {
        k->err = HM_EINVAL;
        return;
    }
    hm_wbuf_u8(k, o->type);
    const char *x = (const char *)o;
    for (uint16_t i = 0; i < d->nfields; i++) {
        const ow_field_t *f = &d->fields[i];
        const void *p = x + f->off;
        switch (f->kind) {
        case OW_K_BYTE: hm_wbuf_u8(k, (uint8_t) * (const int8_t *)p); break;
        case OW_K_BOOL: hm_wbuf_u8(k, *(const int *)p ? 1 : 0); break;
        case OW_K_INT: hm_wbuf_be32(k, (uint32_t) * (const int32_t *)p); break;
        case OW_K_LONG: hm_wbuf_be64(k, (uint64_t) * (const int64_t *)p); break;
        case OW_K_STRING: key_str(k, *(char *const *)p); break;
        case OW_K_BYTES:
        case OW_K_CONST: {
            const ow_bytes_t *b = p;
            hm_wbuf_u8(k, b->data != NULL);
            if (b->data && b->len >= 0) {
                hm_wbuf_be32(k, (uint32_t)b->len);
                hm_wbuf_put(k, b->data, (size_t)b->len);
            }
            break;
        }
        case OW_K_NESTED:
        case OW_K_CACHED: key_obj(k, *(ow_object_t *const *)p, depth + 1); break;
        case OW_K_ARRAY: {
            ow_object_t *const *arr = *(ow_object_t **const *)p;
            int32_t n = arr ? *(const int32_t *)(x + f->count_off) : -1;
            hm_wbuf_be32(k, (uint32_t)n);
            for (int32_t j = 0; j < n; j++)
                key_obj(k, arr[j], depth + 1);
            break;
        }
        case OW_K_THROWABLE:
            /* never part of a cached value; identity by presence only */
            hm_wbuf_u8(k, *(ow_throwable_t *const *)p != NULL);
            break;
        }
    }
}

apr_status_t ow_object_key(const ow_object_t *o, hm_wbuf_t *key)
{
    hm_wbuf_init(key, (size_t)1 << 24);
    key_obj(key, o, 0);
    if (key->err) {
        apr_status_t st = key->err;
        hm_wbuf_free(key);
        return st;
    }
    return APR_SUCCESS;
}
