/* The neutral content's helpers (hm_content.h), and hm_msg_content: a message's content from
 * its protocol's own form, or from what the core made it with. */
#include <string.h>

#include "hm_int.h"

static int entries_equal(const hm_entry_t *a, int na, const hm_entry_t *b, int nb)
{
    if (na != nb)
        return 0;
    for (int i = 0; i < na; i++) {
        if ((a[i].name == NULL) != (b[i].name == NULL) ||
            (a[i].name && strcmp(a[i].name, b[i].name) != 0) || !hm_value_equal(&a[i].v, &b[i].v))
            return 0;
    }
    return 1;
}

int hm_value_equal(const hm_value_t *a, const hm_value_t *b)
{
    if (a->type != b->type)
        return 0;
    switch (a->type) {
    case HM_V_NULL: return 1;
    case HM_V_BOOL: return !a->u.b == !b->u.b;
    case HM_V_BYTE: return a->u.i8 == b->u.i8;
    case HM_V_SHORT: return a->u.i16 == b->u.i16;
    case HM_V_CHAR: return a->u.ch == b->u.ch;
    case HM_V_INT: return a->u.i32 == b->u.i32;
    case HM_V_LONG: return a->u.i64 == b->u.i64;
    case HM_V_FLOAT: return memcmp(&a->u.f, &b->u.f, sizeof a->u.f) == 0;
    case HM_V_DOUBLE: return memcmp(&a->u.d, &b->u.d, sizeof a->u.d) == 0;
    case HM_V_STRING:
        return a->u.s.len == b->u.s.len && memcmp(a->u.s.p, b->u.s.p, a->u.s.len) == 0;
    case HM_V_BYTES:
        return a->u.bytes.len == b->u.bytes.len &&
               (!a->u.bytes.len || memcmp(a->u.bytes.p, b->u.bytes.p, a->u.bytes.len) == 0);
    case HM_V_MAP:
    case HM_V_LIST:
        return entries_equal(a->u.map.e, a->u.map.n, b->u.map.e, b->u.map.n);
    }
    return 0;
}

int hm_content_equal(const hm_content_t *a, const hm_content_t *b)
{
    return a->kind == b->kind && entries_equal(a->props, a->nprops, b->props, b->nprops) &&
           hm_value_equal(&a->body, &b->body) &&
           (a->body_type == NULL) == (b->body_type == NULL) &&
           (!a->body_type || strcmp(a->body_type, b->body_type) == 0);
}

apr_status_t hm_msg_content(const hm_msg_t *m, apr_pool_t *pool, hm_content_t *out)
{
    memset(out, 0, sizeof *out);
    if (m->origin && m->origin->content)
        return m->origin->content(m->origin_data, pool, out);
    if (m->fields) {               /* a map the core made (statistics) */
        hm_entry_t *e = apr_pcalloc(pool, sizeof *e * (size_t)(m->nfields ? m->nfields : 1));
        for (int i = 0; i < m->nfields; i++) {
            e[i].name = m->fields[i].name;
            if (m->fields[i].is_string) {
                e[i].v.type = HM_V_STRING;
                e[i].v.u.s.p = m->fields[i].s;
                e[i].v.u.s.len = strlen(m->fields[i].s);
            } else {
                e[i].v.type = HM_V_LONG;
                e[i].v.u.i64 = m->fields[i].l;
            }
        }
        out->kind = HM_BODY_MAP;
        out->body.type = HM_V_MAP;
        out->body.u.map.e = e;
        out->body.u.map.n = m->nfields;
    }
    return APR_SUCCESS;
}
