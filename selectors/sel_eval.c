/* sel_eval.c — evaluation of a compiled selector with ActiveMQ 5.17's semantics:
 *  - three-valued logic, but a comparison of incompatible types is FALSE, not unknown;
 *  - x = y is TRUE when both are NULL; NULL = 1 is unknown while 1 = NULL is FALSE;
 *  - promotion depends on the Java class of the left operand (a Short property is promoted
 *    to meet an Integer literal, an Integer property never meets a Short one);
 *  - arithmetic on Byte/Short/Integer wraps at 32 bits, on Long at 64, / and % are always
 *    floating point; 'abc' + x concatenates Java's text of x;
 *  - what throws in ActiveMQ (arithmetic on strings or booleans, negating a Byte/Short,
 *    Double compared with Float) ends the evaluation with SEL_ERROR.
 * Operands are evaluated in ActiveMQ's order, so which error or short-circuit wins is the
 * same.  Nothing here allocates except XPATH (libxml2) and string concatenation beyond
 * SEL_EVAL_SCRATCH bytes. */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sel_int.h"

typedef struct spill_s { struct spill_s *next; } spill_t;

typedef struct ctx_s {
    const sel_accessor_t *acc;
    int convert;                 /* convert_string_expressions: */
    void *msg;
    char *scratch;
    size_t cap, used;
    spill_t *spills;
    size_t spilled;
} ctx_t;

enum { EV_OK = 0, EV_ERROR = -1 };

static char *scratch_alloc(ctx_t *c, size_t n)
{
    if (n <= c->cap - c->used) {
        char *p = c->scratch + c->used;
        c->used += n;
        return p;
    }
    if (n > SEL_MAX_CONCAT || c->spilled + n > SEL_MAX_CONCAT) return NULL;
    spill_t *s = malloc(sizeof *s + n);
    if (!s) return NULL;
    s->next = c->spills;
    c->spills = s;
    c->spilled += n;
    return (char *)(s + 1);
}

static void set_bool(sel_val_t *v, int b) { v->type = SEL_BOOL; v->u.b = b ? 1 : 0; }
static void set_null(sel_val_t *v) { v->type = SEL_NULL; }

static int64_t java_bits(double d)
{
    int64_t b;
    if (isnan(d)) return INT64_C(0x7ff8000000000000);
    memcpy(&b, &d, sizeof b);
    return b;
}

/* Double.compare: NaN above everything and equal to itself, -0.0 below 0.0. */
static int dcmp(double a, double b)
{
    if (a < b) return -1;
    if (a > b) return 1;
    int64_t x = java_bits(a), y = java_bits(b);
    return x == y ? 0 : (x < y ? -1 : 1);
}

static int lcmp(int64_t a, int64_t b) { return a < b ? -1 : a > b; }

static int bigcmp(const sel_bigdec_t *a, const sel_bigdec_t *b)
{
    if (a->neg != b->neg) return a->neg ? -1 : 1;
    int r;
    if (a->ndigits != b->ndigits) r = a->ndigits < b->ndigits ? -1 : 1;
    else {
        r = memcmp(a->digits, b->digits, a->ndigits);
        r = r < 0 ? -1 : r > 0;
    }
    return a->neg ? -r : r;
}

static int is_intlike(int t) { return t == SEL_BYTE || t == SEL_SHORT || t == SEL_INT || t == SEL_LONG; }
static double to_double(const sel_val_t *v) { return is_intlike(v->type) ? (double)v->u.l : v->u.d; }

static char *scratch_alloc(ctx_t *c, size_t n);

/* With convert_string_expressions, a string meeting a number is read as that number's class
 * (Byte.valueOf, ..., Double.valueOf); *v becomes the converted value.  1: not a number (Java's
 * NumberFormatException, so the comparison is FALSE); EV_ERROR: no room. */
static int convert_string(ctx_t *c, int type, sel_val_t *v)
{
    const char *p = v->u.s.p;
    size_t n = v->u.s.len;
    int64_t l;
    switch (type) {
    case SEL_BYTE: if (sel_java_parse_long(p, n, INT8_MIN, INT8_MAX, &l)) return 1; break;
    case SEL_SHORT: if (sel_java_parse_long(p, n, INT16_MIN, INT16_MAX, &l)) return 1; break;
    case SEL_INT: if (sel_java_parse_long(p, n, INT32_MIN, INT32_MAX, &l)) return 1; break;
    case SEL_LONG: if (sel_java_parse_long(p, n, INT64_MIN, INT64_MAX, &l)) return 1; break;
    case SEL_FLOAT: case SEL_DOUBLE: {
        char *buf = scratch_alloc(c, n + 1);
        double d;
        if (!buf) return EV_ERROR;
        if (sel_java_parse_double(p, n, type == SEL_FLOAT, buf, &d)) return 1;
        v->type = type;
        v->u.d = d;
        return 0;
    }
    case SEL_BOOL:
        v->type = SEL_BOOL;
        v->u.b = sel_java_parse_bool(p, n);
        return 0;
    default:
        return 1;
    }
    v->type = type;
    v->u.l = l;
    return 0;
}

static int same_class_compare(const sel_val_t *a, const sel_val_t *b, int *cmp);

/* ComparisonExpression.compare: 0 with *cmp set, 1 when the classes do not meet (FALSE),
 * EV_ERROR when Java would throw. */
static int jcompare(ctx_t *c, const sel_val_t *a, const sel_val_t *b, int *cmp)
{
    int lt = a->type, rt = b->type;
    if (lt == rt) return same_class_compare(a, b, cmp);
    if (c->convert && rt == SEL_STRING && lt != SEL_STRING) {
        /* Boolean meets String: ActiveMQ casts the Boolean to String and throws */
        if (lt == SEL_BOOL) return EV_ERROR;
        if (lt == SEL_BIGDEC) return 1;
        sel_val_t conv = *b;
        int r = convert_string(c, lt, &conv);
        if (r) return r;
        return same_class_compare(a, &conv, cmp);
    }
    if (c->convert && lt == SEL_STRING) {
        if (rt == SEL_BIGDEC) return 1;
        sel_val_t conv = *a;
        int r = convert_string(c, rt, &conv);
        if (r) return r;
        return same_class_compare(&conv, b, cmp);
    }
    switch (lt) {
    case SEL_BYTE: case SEL_SHORT: case SEL_INT: case SEL_LONG:
        /* a Byte meets Short/Integer/Long, a Short meets Integer/Long, an Integer meets Long,
         * a Long meets Integer: all exact as 64-bit integers */
        if (is_intlike(rt)) {
            int ok = (lt == SEL_BYTE) || (lt == SEL_SHORT && rt != SEL_BYTE) ||
                     (lt == SEL_INT && rt == SEL_LONG) || (lt == SEL_LONG && rt == SEL_INT);
            if (!ok) return 1;
            *cmp = lcmp(a->u.l, b->u.l);
            return 0;
        }
        if (rt == SEL_FLOAT) { *cmp = dcmp((double)(float)a->u.l, b->u.d); return 0; }
        if (rt == SEL_DOUBLE) { *cmp = dcmp((double)a->u.l, b->u.d); return 0; }
        return 1;
    case SEL_FLOAT:
        if (rt == SEL_INT || rt == SEL_LONG) { *cmp = dcmp(a->u.d, (double)(float)b->u.l); return 0; }
        if (rt == SEL_DOUBLE) { *cmp = dcmp(a->u.d, b->u.d); return 0; }
        return 1;
    case SEL_DOUBLE:
        if (rt == SEL_INT || rt == SEL_LONG) { *cmp = dcmp(a->u.d, (double)b->u.l); return 0; }
        if (rt == SEL_FLOAT) return EV_ERROR;      /* Double.compareTo(Float): ClassCastException */
        return 1;
    default:
        return 1;
    }
}

static int same_class_compare(const sel_val_t *a, const sel_val_t *b, int *cmp)
{
    switch (a->type) {
    case SEL_BOOL: *cmp = a->u.b - b->u.b; return 0;
    case SEL_BYTE: case SEL_SHORT: case SEL_INT: case SEL_LONG: *cmp = lcmp(a->u.l, b->u.l); return 0;
    case SEL_FLOAT: case SEL_DOUBLE: *cmp = dcmp(a->u.d, b->u.d); return 0;
    case SEL_STRING: *cmp = sel_str_cmp(a->u.s.p, a->u.s.len, b->u.s.p, b->u.s.len); return 0;
    case SEL_BIGDEC: *cmp = bigcmp(a->u.big, b->u.big); return 0;
    default: return 1;
    }
}

static int is_number(int t)
{
    return is_intlike(t) || t == SEL_FLOAT || t == SEL_DOUBLE || t == SEL_BIGDEC;
}

static int64_t long_value(const sel_val_t *v)
{
    return v->type == SEL_BIGDEC ? (int64_t)v->u.big->low64 : v->u.l;
}

static double double_value(const sel_val_t *v)
{
    if (v->type == SEL_BIGDEC) return v->u.big->dbl;
    return to_double(v);
}

/* Java's String.valueOf(v) into the scratch arena. */
static int to_text(ctx_t *c, const sel_val_t *v, const char **p, size_t *len)
{
    char buf[40];
    size_t n;
    switch (v->type) {
    case SEL_STRING: *p = v->u.s.p; *len = v->u.s.len; return 0;
    case SEL_BOOL: *p = v->u.b ? "true" : "false"; *len = v->u.b ? 4 : 5; return 0;
    case SEL_BIGDEC: {
        const sel_bigdec_t *b = v->u.big;
        char *o = scratch_alloc(c, b->ndigits + 1);
        if (!o) return EV_ERROR;
        n = 0;
        if (b->neg) o[n++] = '-';
        memcpy(o + n, b->digits, b->ndigits);
        *p = o; *len = n + b->ndigits;
        return 0;
    }
    case SEL_FLOAT: n = sel_fmt_float((float)v->u.d, buf); break;
    case SEL_DOUBLE: n = sel_fmt_double(v->u.d, buf); break;
    default: {
        uint64_t m = v->u.l < 0 ? 0u - (uint64_t)v->u.l : (uint64_t)v->u.l;
        char tmp[24];
        size_t k = 0;
        do { tmp[k++] = (char)('0' + m % 10); m /= 10; } while (m);
        n = 0;
        if (v->u.l < 0) buf[n++] = '-';
        while (k) buf[n++] = tmp[--k];
        break;
    }
    }
    char *o = scratch_alloc(c, n);
    if (!o) return EV_ERROR;
    memcpy(o, buf, n);
    *p = o; *len = n;
    return 0;
}

static int ev(ctx_t *c, const sel_node_t *n, sel_val_t *out);

static int arith(ctx_t *c, const sel_node_t *n, sel_val_t *out)
{
    sel_val_t a, b;
    if (ev(c, n->l, &a)) return EV_ERROR;
    if (a.type == SEL_NULL) { set_null(out); return 0; }
    if (ev(c, n->r, &b)) return EV_ERROR;
    if (b.type == SEL_NULL) { set_null(out); return 0; }
    if (n->op == SEL_OP_ADD && a.type == SEL_STRING) {
        const char *bp;
        size_t bl;
        if (to_text(c, &b, &bp, &bl)) return EV_ERROR;
        if (bl == 0) { *out = a; return 0; }
        if (a.u.s.len > SEL_MAX_CONCAT) return EV_ERROR;
        char *o = scratch_alloc(c, a.u.s.len + bl);
        if (!o) return EV_ERROR;
        memcpy(o, a.u.s.p, a.u.s.len);
        memcpy(o + a.u.s.len, bp, bl);
        out->type = SEL_STRING;
        out->u.s.p = o;
        out->u.s.len = a.u.s.len + bl;
        return 0;
    }
    if (!is_number(a.type) || !is_number(b.type)) return EV_ERROR;
    if (n->op == SEL_OP_DIV || n->op == SEL_OP_MOD) {
        double x = double_value(&a), y = double_value(&b);
        out->type = SEL_DOUBLE;
        out->u.d = n->op == SEL_OP_DIV ? x / y : fmod(x, y);
        return 0;
    }
    int dbl = a.type == SEL_FLOAT || a.type == SEL_DOUBLE || b.type == SEL_FLOAT || b.type == SEL_DOUBLE;
    if (dbl) {
        double x = double_value(&a), y = double_value(&b);
        out->type = SEL_DOUBLE;
        out->u.d = n->op == SEL_OP_ADD ? x + y : n->op == SEL_OP_SUB ? x - y : x * y;
        return 0;
    }
    uint64_t x = (uint64_t)long_value(&a), y = (uint64_t)long_value(&b);
    uint64_t r = n->op == SEL_OP_ADD ? x + y : n->op == SEL_OP_SUB ? x - y : x * y;
    if (a.type == SEL_LONG || b.type == SEL_LONG) {
        out->type = SEL_LONG;
        out->u.l = (int64_t)r;
    } else {                                  /* Java int arithmetic: the low 32 bits */
        out->type = SEL_INT;
        out->u.l = (int32_t)(uint32_t)r;
    }
    return 0;
}

static int in_list_has(const sel_node_t *n, const char *p, size_t len)
{
    size_t lo = 0, hi = n->in_n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        const sel_str_t *s = &n->in_list[mid];
        size_t m = s->len < len ? s->len : len;
        int c = memcmp(s->p, p, m);
        if (c == 0) c = s->len < len ? -1 : s->len > len;
        if (c == 0) return 1;
        if (c < 0) lo = mid + 1; else hi = mid;
    }
    return 0;
}

static int prop(ctx_t *c, const sel_node_t *n, sel_val_t *out)
{
    sel_value_t v;
    v.type = SEL_NULL;
    c->acc->get(c->msg, n->name.p, n->name.len, &v);
    switch (v.type) {
    case SEL_BOOL: out->type = SEL_BOOL; out->u.b = v.u.b ? 1 : 0; break;
    case SEL_BYTE: out->type = v.type; out->u.l = (int8_t)v.u.l; break;
    case SEL_SHORT: out->type = v.type; out->u.l = (int16_t)v.u.l; break;
    case SEL_INT: out->type = v.type; out->u.l = (int32_t)v.u.l; break;
    case SEL_LONG: out->type = v.type; out->u.l = v.u.l; break;
    case SEL_FLOAT:                 /* keep the float's value; out-of-range would be undefined */
        out->type = v.type;
        out->u.d = isfinite(v.u.d) && fabs(v.u.d) > FLT_MAX ? copysign(INFINITY, v.u.d) : (float)v.u.d;
        break;
    case SEL_DOUBLE: out->type = v.type; out->u.d = v.u.d; break;
    case SEL_STRING:
        out->type = SEL_STRING;
        out->u.s.p = v.u.s.p ? v.u.s.p : "";
        out->u.s.len = v.u.s.p ? v.u.s.len : 0;
        break;
    default: set_null(out); break;
    }
    return 0;
}

static int ev(ctx_t *c, const sel_node_t *n, sel_val_t *out)
{
    sel_val_t a, b;
    int cmp, r;
    switch (n->op) {
    case SEL_OP_CONST:
        *out = n->cval;
        return 0;
    case SEL_OP_PROP:
        return prop(c, n, out);
    case SEL_OP_BOOLCAST:
        if (ev(c, n->l, &a)) return EV_ERROR;
        if (a.type == SEL_NULL) set_null(out);
        else set_bool(out, a.type == SEL_BOOL && a.u.b);
        return 0;
    case SEL_OP_NOT:
        if (ev(c, n->l, &a)) return EV_ERROR;
        if (a.type == SEL_BOOL) set_bool(out, !a.u.b);
        else set_null(out);
        return 0;
    case SEL_OP_NEG:
        if (n->folded) { *out = n->cval; return 0; }
        if (ev(c, n->l, &a)) return EV_ERROR;
        switch (a.type) {
        case SEL_INT: out->type = SEL_INT; out->u.l = (int32_t)(0u - (uint32_t)(int32_t)a.u.l); return 0;
        case SEL_LONG: out->type = SEL_LONG; out->u.l = (int64_t)(0u - (uint64_t)a.u.l); return 0;
        case SEL_FLOAT: case SEL_DOUBLE: out->type = a.type; out->u.d = -a.u.d; return 0;
        case SEL_BYTE: case SEL_SHORT: case SEL_BIGDEC: return EV_ERROR;  /* "Don't know how to negate" */
        default: set_null(out); return 0;
        }
    case SEL_OP_AND: case SEL_OP_OR: {
        int decisive = n->op == SEL_OP_OR, nulls = 0;
        for (size_t i = 0; i < n->nkids; i++) {
            if (ev(c, n->kids[i], &a)) return EV_ERROR;
            if (a.type == SEL_BOOL) {
                if (a.u.b == decisive) { set_bool(out, decisive); return 0; }
            } else {
                nulls = 1;
            }
        }
        if (nulls) set_null(out); else set_bool(out, !decisive);
        return 0;
    }
    case SEL_OP_EQ:
        if (ev(c, n->l, &a) || ev(c, n->r, &b)) return EV_ERROR;
        if (a.type == SEL_NULL || b.type == SEL_NULL) {
            if (a.type == SEL_NULL && b.type == SEL_NULL) set_bool(out, 1);
            else if (a.type == SEL_NULL) set_null(out);
            else set_bool(out, 0);
            return 0;
        }
        r = jcompare(c, &a, &b, &cmp);
        if (r == EV_ERROR) return EV_ERROR;
        set_bool(out, r == 0 && cmp == 0);
        return 0;
    case SEL_OP_GT: case SEL_OP_GE: case SEL_OP_LT: case SEL_OP_LE:
        if (ev(c, n->l, &a)) return EV_ERROR;
        if (a.type == SEL_NULL) { set_null(out); return 0; }
        if (ev(c, n->r, &b)) return EV_ERROR;
        if (b.type == SEL_NULL) { set_null(out); return 0; }
        r = jcompare(c, &a, &b, &cmp);
        if (r == EV_ERROR) return EV_ERROR;
        if (r) { set_bool(out, 0); return 0; }
        set_bool(out, n->op == SEL_OP_GT ? cmp > 0 : n->op == SEL_OP_GE ? cmp >= 0 :
                      n->op == SEL_OP_LT ? cmp < 0 : cmp <= 0);
        return 0;
    case SEL_OP_LIKE:
        if (ev(c, n->l, &a)) return EV_ERROR;
        if (a.type == SEL_NULL) set_null(out);
        else set_bool(out, a.type == SEL_STRING && sel_like_match(&n->like, a.u.s.p, a.u.s.len));
        return 0;
    case SEL_OP_IN:
        if (ev(c, n->l, &a)) return EV_ERROR;
        if (a.type != SEL_STRING) set_null(out);
        else set_bool(out, in_list_has(n, a.u.s.p, a.u.s.len) ^ n->in_not);
        return 0;
    case SEL_OP_ADD: case SEL_OP_SUB: case SEL_OP_MUL: case SEL_OP_DIV: case SEL_OP_MOD:
        return arith(c, n, out);
    case SEL_OP_XPATH: {
        const char *t = NULL;
        size_t len = 0;
        int ok = n->xpath && c->acc->text_body && c->acc->text_body(c->msg, &t, &len);
        set_bool(out, ok && sel_xpath_eval(n->xpath, t, len));
        return 0;
    }
    case SEL_OP_XQUERY:
        set_bool(out, 0);                       /* ActiveMQ's XQUERY never matches */
        return 0;
    }
    return EV_ERROR;
}

/* BooleanExpression.matches(), which is what ActiveMQ's broker asks: AND and OR combine their
 * operands' matches() and so stop at the first operand that is not TRUE (for AND) even when
 * evaluate() would go on (and perhaps throw); every other node is evaluate() == TRUE.
 * Returns SEL_TRUE, SEL_ERROR, or SEL_FALSE/SEL_UNKNOWN for the operand that decided. */
static sel_result_e match(ctx_t *c, const sel_node_t *n)
{
    sel_val_t v;
    if (n->op == SEL_OP_AND) {
        for (size_t i = 0; i < n->nkids; i++) {
            sel_result_e r = match(c, n->kids[i]);
            if (r != SEL_TRUE) return r;
        }
        return SEL_TRUE;
    }
    if (n->op == SEL_OP_OR) {
        sel_result_e res = SEL_FALSE;
        for (size_t i = 0; i < n->nkids; i++) {
            sel_result_e r = match(c, n->kids[i]);
            if (r == SEL_TRUE || r == SEL_ERROR) return r;
            if (r == SEL_UNKNOWN) res = SEL_UNKNOWN;
        }
        return res;
    }
    if (ev(c, n, &v)) return SEL_ERROR;
    if (v.type == SEL_BOOL) return v.u.b ? SEL_TRUE : SEL_FALSE;
    return SEL_UNKNOWN;
}

static void ctx_init(ctx_t *c, char *scratch, size_t cap, const sel_expr_t *e,
                     const sel_accessor_t *acc, void *msg)
{
    c->acc = acc;
    c->convert = e->convert_strings;
    c->msg = msg;
    c->scratch = scratch;
    c->cap = cap;
    c->used = 0;
    c->spills = NULL;
    c->spilled = 0;
}

static void ctx_done(ctx_t *c)
{
    while (c->spills) {
        spill_t *s = c->spills;
        c->spills = s->next;
        free(s);
    }
}

sel_result_e sel_eval(const sel_expr_t *e, const sel_accessor_t *acc, void *msg)
{
    char scratch[SEL_EVAL_SCRATCH];
    ctx_t c;
    if (!e || !e->root || !acc || !acc->get) return SEL_ERROR;
    ctx_init(&c, scratch, sizeof scratch, e, acc, msg);
    sel_result_e res = match(&c, e->root);
    ctx_done(&c);
    return res;
}

sel_result_e sel_eval3(const sel_expr_t *e, const sel_accessor_t *acc, void *msg)
{
    char scratch[SEL_EVAL_SCRATCH];
    ctx_t c;
    sel_val_t v;
    sel_result_e res;
    if (!e || !e->root || !acc || !acc->get) return SEL_ERROR;
    ctx_init(&c, scratch, sizeof scratch, e, acc, msg);
    if (ev(&c, e->root, &v)) res = SEL_ERROR;
    else if (v.type == SEL_BOOL) res = v.u.b ? SEL_TRUE : SEL_FALSE;
    else res = SEL_UNKNOWN;
    ctx_done(&c);
    return res;
}
