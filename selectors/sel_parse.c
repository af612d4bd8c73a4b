/* sel_parse.c — recursive-descent parser producing the compiled tree.
 *
 * The grammar and the checks made while building the tree follow ActiveMQ's SelectorParser.jj
 * and its filter factories, so that exactly the same selectors are accepted:
 *   or  := and (OR and)*                and := eq (AND eq)*
 *   eq  := cmp ( '=' cmp | '<>' cmp | IS NULL | IS NOT NULL )*
 *   cmp := add ( ('>'|'>='|'<'|'<=') add | [NOT] LIKE str [ESCAPE str]
 *              | [NOT] BETWEEN add AND add | [NOT] IN '(' str (',' str)* ')' )*
 *   add := mul (('+'|'-') mul)*         mul := unary (('*'|'/'|'%') unary)*
 *   unary := '+' unary | '-' unary | NOT unary | XPATH str | XQUERY str | primary
 *   primary := literal | identifier | '(' or ')'
 * Note that NOT binds tighter than comparisons here (NOT a = 1 means (NOT a) = 1), as in
 * ActiveMQ.  Parentheses and unary '+' leave the operand itself, which matters for the
 * checks: ('x') < 1 is rejected like 'x' < 1, and (p) IN ('a') is a property IN. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <apr_hash.h>
#include <apr_strings.h>

#include "sel_int.h"

typedef struct parser_s {
    apr_pool_t *pool;
    const char *t;
    size_t len;
    size_t lexpos;
    sel_token_t la[2];
    int nla;
    unsigned depth;
    size_t nodes;
    apr_status_t st;
    char *err;
    size_t errlen;
    sel_expr_t *ex;
    size_t idcap;
    apr_hash_t *idhash;       /* identifier text -> interned pointer */
} parser_t;

static sel_token_t peek(parser_t *p, int k)
{
    while (p->nla <= k) {
        if (p->nla > 0 && p->la[p->nla - 1].kind == SEL_TK_ERROR) return p->la[p->nla - 1];
        p->la[p->nla++] = sel_lex_next(p->t, p->len, &p->lexpos);
    }
    return p->la[k];
}

static sel_token_t next(parser_t *p)
{
    sel_token_t tk = peek(p, 0);
    p->la[0] = p->la[1];
    p->nla--;
    return tk;
}

/* Line and 1-based column (in characters) of byte offset pos. */
static void where(parser_t *p, size_t pos, char *buf, size_t n)
{
    size_t line = 1, col = 1;
    for (size_t i = 0; i < pos && i < p->len; ) {
        uint32_t cp;
        size_t k = sel_utf8_next(p->t + i, p->len - i, &cp);
        if (cp == '\n') { line++; col = 1; } else col++;
        i += k;
    }
    if (line == 1) snprintf(buf, n, "column %zu", col);
    else snprintf(buf, n, "line %zu, column %zu", line, col);
}

static void fail(parser_t *p, apr_status_t st, size_t pos, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Records the first error: fmt names the problem, the position is appended. */
static void fail(parser_t *p, apr_status_t st, size_t pos, const char *fmt, ...)
{
    if (p->st != APR_SUCCESS) return;
    p->st = st;
    if (!p->errlen) return;
    char at[64], what[300];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    where(p, pos, at, sizeof at);
    snprintf(p->err, p->errlen, "%s at %s", what, at);
}

/* "unexpected 'AND' at column 12: expected an expression" */
static void unexpected(parser_t *p, sel_token_t tk, const char *expected)
{
    if (p->st != APR_SUCCESS) return;
    char shown[48], at[64];
    if (tk.kind == SEL_TK_EOF) snprintf(shown, sizeof shown, "end of selector");
    else if (tk.kind == SEL_TK_ERROR) {
        unsigned char c = (unsigned char)p->t[tk.pos];
        if (c == '\'') snprintf(shown, sizeof shown, "unterminated string");
        else if (c >= 0x20 && c < 0x7f) snprintf(shown, sizeof shown, "character '%c'", c);
        else if (c >= 0x80) {
            uint32_t cp;
            size_t k = sel_utf8_next(p->t + tk.pos, p->len - tk.pos, &cp);
            if (k > 1) snprintf(shown, sizeof shown, "character '%.*s' (U+%04X)", (int)k, p->t + tk.pos, (unsigned)cp);
            else snprintf(shown, sizeof shown, "byte 0x%02x", c);
        } else snprintf(shown, sizeof shown, "control character 0x%02x", c);
    } else {
        size_t n = tk.len > 20 ? 20 : tk.len;
        snprintf(shown, sizeof shown, "'%.*s%s'", (int)n, p->t + tk.pos, tk.len > 20 ? "..." : "");
    }
    where(p, tk.pos, at, sizeof at);
    p->st = SEL_ESYNTAX;
    if (p->errlen)
        snprintf(p->err, p->errlen, "unexpected %s at %s: expected %s", shown, at, expected);
}

static int expect(parser_t *p, sel_tk_e kind, const char *expected)
{
    sel_token_t tk = peek(p, 0);
    if (tk.kind != kind) { unexpected(p, tk, expected); return 0; }
    next(p);
    return 1;
}

static sel_node_t *node(parser_t *p, sel_op_e op, size_t pos, sel_node_t *l, sel_node_t *r)
{
    if (p->st != APR_SUCCESS) return NULL;
    if (++p->nodes > SEL_MAX_NODES) {
        fail(p, SEL_ELIMIT, pos, "selector has more than %d expression nodes", SEL_MAX_NODES);
        return NULL;
    }
    sel_node_t *n = apr_pcalloc(p->pool, sizeof *n);
    n->op = op;
    n->pos = l && l->pos < pos ? l->pos : pos;   /* where the expression starts, for messages */
    n->l = l;
    n->r = r;
    unsigned d = 0;
    if (l && l->depth > d) d = l->depth;
    if (r && r->depth > d) d = r->depth;
    n->depth = d + 1;
    if (n->depth > SEL_MAX_DEPTH) {
        fail(p, SEL_ELIMIT, pos, "selector nested too deeply (limit %d)", SEL_MAX_DEPTH);
        return NULL;
    }
    return n;
}

static int is_const(const sel_node_t *n) { return n->op == SEL_OP_CONST; }

static int is_bool_const(const sel_node_t *n)
{
    return n->op == SEL_OP_CONST && (n->cval.type == SEL_BOOL || n->cval.type == SEL_NULL);
}

/* ActiveMQ's "instanceof BooleanExpression". */
static int is_boolean(const sel_node_t *n)
{
    switch (n->op) {
    case SEL_OP_AND: case SEL_OP_OR: case SEL_OP_NOT: case SEL_OP_BOOLCAST:
    case SEL_OP_EQ: case SEL_OP_GT: case SEL_OP_GE: case SEL_OP_LT: case SEL_OP_LE:
    case SEL_OP_LIKE: case SEL_OP_IN: case SEL_OP_XPATH: case SEL_OP_XQUERY:
        return 1;
    case SEL_OP_CONST:
        return is_bool_const(n);
    default:
        return 0;
    }
}

static int is_number_type(int t)
{
    return t == SEL_INT || t == SEL_LONG || t == SEL_DOUBLE || t == SEL_BIGDEC;
}

/* asBooleanExpression: boolean expressions pass, a bare property is cast, anything else is
 * not a condition. */
static sel_node_t *as_bool(parser_t *p, sel_node_t *n)
{
    if (!n) return NULL;
    if (is_boolean(n)) return n;
    if (n->op == SEL_OP_PROP) return node(p, SEL_OP_BOOLCAST, n->pos, n, NULL);
    fail(p, SEL_ETYPE, n->pos, "expression will not result in a boolean value");
    return NULL;
}

static sel_node_t *logic(parser_t *p, sel_op_e op, sel_node_t *l, sel_node_t *r)
{
    if (!l || !r) return NULL;
    if (l->op != op) {
        sel_node_t *n = node(p, op, l->pos, NULL, NULL);
        if (!n) return NULL;
        n->kids = apr_palloc(p->pool, 4 * sizeof *n->kids);
        n->kids[0] = l;
        n->nkids = 1;
        n->depth = l->depth + 1;
        l = n;
    }
    size_t k = l->nkids;
    if ((k & (k - 1)) == 0 && k >= 4) {                 /* grow at powers of two */
        sel_node_t **nk = apr_palloc(p->pool, 2 * k * sizeof *nk);
        memcpy(nk, l->kids, k * sizeof *nk);
        l->kids = nk;
    }
    l->kids[l->nkids++] = r;
    if (r->depth + 1 > l->depth) l->depth = r->depth + 1;
    if (l->depth > SEL_MAX_DEPTH) {
        fail(p, SEL_ELIMIT, r->pos, "selector nested too deeply (limit %d)", SEL_MAX_DEPTH);
        return NULL;
    }
    return l;
}

static void check_less_operand(parser_t *p, const sel_node_t *n)
{
    if (!n) return;
    if (is_const(n)) {
        if (!is_number_type(n->cval.type))
            fail(p, SEL_ETYPE, n->pos, "only numbers can be compared with <, <=, > or >=");
        return;
    }
    if (is_boolean(n))
        fail(p, SEL_ETYPE, n->pos, "a condition cannot be compared with <, <=, > or >=");
}

static sel_node_t *compare(parser_t *p, sel_op_e op, sel_node_t *l, sel_node_t *r, size_t pos)
{
    if (!l || !r) return NULL;
    check_less_operand(p, l);
    check_less_operand(p, r);
    return node(p, op, pos, l, r);
}

static sel_node_t *equal(parser_t *p, sel_node_t *l, sel_node_t *r, size_t pos)
{
    if (!l || !r) return NULL;
    if (is_const(l) && l->cval.type == SEL_NULL)
        fail(p, SEL_ETYPE, l->pos, "NULL cannot be compared with = or <> (use IS NULL)");
    if (is_const(r) && r->cval.type == SEL_NULL)
        fail(p, SEL_ETYPE, r->pos, "NULL cannot be compared with = or <> (use IS NULL)");
    if (is_const(l) && is_const(r) && is_bool_const(l) && !is_bool_const(r))
        fail(p, SEL_ETYPE, r->pos, "a boolean literal cannot be compared with this literal");
    return node(p, SEL_OP_EQ, pos, l, r);
}

static sel_node_t *null_const(parser_t *p, size_t pos)
{
    sel_node_t *n = node(p, SEL_OP_CONST, pos, NULL, NULL);
    if (n) n->cval.type = SEL_NULL;
    return n;
}

static sel_node_t *not(parser_t *p, sel_node_t *n, size_t pos)
{
    return n ? node(p, SEL_OP_NOT, pos, n, NULL) : NULL;
}

/* Decodes a string literal token ('' is a quote). */
static sel_str_t string_value(parser_t *p, sel_token_t tk)
{
    sel_str_t s;
    char *o = apr_palloc(p->pool, tk.len);
    size_t n = 0;
    for (size_t i = tk.pos + 1; i < tk.pos + tk.len - 1; i++) {
        o[n++] = p->t[i];
        if (p->t[i] == '\'') i++;
    }
    o[n] = 0;
    s.p = o;
    s.len = n;
    return s;
}

static int string_literal(parser_t *p, sel_str_t *out, const char *expected)
{
    sel_token_t tk = peek(p, 0);
    if (tk.kind != SEL_TK_STRING) { unexpected(p, tk, expected); return 0; }
    next(p);
    *out = string_value(p, tk);
    return 1;
}

static void set_int_or_long(sel_val_t *v, int64_t l)
{
    v->type = (l >= INT32_MIN && l <= INT32_MAX) ? SEL_INT : SEL_LONG;
    v->u.l = l;
}

/* Integer and floating literals with ActiveMQ's typing: Integer when it fits, else Long; a
 * decimal beyond Long is a BigDecimal (whose low 64 bits may still make it an Integer); hex
 * or octal beyond Long is invalid. */
static sel_node_t *number_literal(parser_t *p, sel_token_t tk)
{
    sel_node_t *n = node(p, SEL_OP_CONST, tk.pos, NULL, NULL);
    if (!n) return NULL;
    const char *s = p->t + tk.pos;
    size_t len = tk.len;
    if (tk.kind == SEL_TK_FLOAT) {
        char *z = apr_pstrmemdup(p->pool, s, len);
        n->cval.type = SEL_DOUBLE;
        n->cval.u.d = strtod(z, NULL);
        return n;
    }
    if (tk.kind == SEL_TK_DECIMAL) {
        if (s[len - 1] == 'l' || s[len - 1] == 'L') len--;
        uint64_t v = 0;
        int over = 0;
        for (size_t i = 0; i < len; i++) {
            unsigned d = (unsigned)(s[i] - '0');
            if (v > (UINT64_C(0x7FFFFFFFFFFFFFFF) - d) / 10) over = 1;
            v = v * 10 + d;                           /* wraps: the low 64 bits */
        }
        if (!over) { set_int_or_long(&n->cval, (int64_t)v); return n; }
        int64_t low = (int64_t)v;
        if (low >= INT32_MIN && low <= INT32_MAX) { set_int_or_long(&n->cval, low); return n; }
        sel_bigdec_t *b = apr_pcalloc(p->pool, sizeof *b);
        char *z = apr_pstrmemdup(p->pool, s, len);
        b->digits = z;
        b->ndigits = len;
        b->low64 = v;
        b->dbl = strtod(z, NULL);
        n->cval.type = SEL_BIGDEC;
        n->cval.u.big = b;
        return n;
    }
    unsigned base = tk.kind == SEL_TK_HEX ? 16 : 8;
    size_t i = tk.kind == SEL_TK_HEX ? 2 : 0;
    uint64_t v = 0;
    for (; i < len; i++) {
        char c = s[i];
        unsigned d = c <= '9' ? (unsigned)(c - '0') : (unsigned)((c | 0x20) - 'a' + 10);
        if (v > (UINT64_C(0x7FFFFFFFFFFFFFFF) - d) / base) {
            fail(p, SEL_ETYPE, tk.pos, "number literal is too large for a long");
            return NULL;
        }
        v = v * base + d;
    }
    set_int_or_long(&n->cval, (int64_t)v);
    return n;
}

/* Java's UnaryExpression.negate on a constant, folded at compile time. */
static void negate_const(parser_t *p, const sel_val_t *in, sel_val_t *out)
{
    switch (in->type) {
    case SEL_INT:
        out->type = SEL_INT;
        out->u.l = (int32_t)(0u - (uint32_t)(int32_t)in->u.l);
        break;
    case SEL_LONG:
        out->type = SEL_LONG;
        out->u.l = (int64_t)(0u - (uint64_t)in->u.l);
        break;
    case SEL_DOUBLE:
        out->type = SEL_DOUBLE;
        out->u.d = -in->u.d;
        break;
    case SEL_BIGDEC: {
        const sel_bigdec_t *b = in->u.big;
        if (!b->neg && b->ndigits == 19 && memcmp(b->digits, "9223372036854775808", 19) == 0) {
            out->type = SEL_LONG;
            out->u.l = INT64_MIN;
            break;
        }
        sel_bigdec_t *nb = apr_pmemdup(p->pool, b, sizeof *b);
        nb->neg = !b->neg;
        nb->low64 = 0u - b->low64;
        nb->dbl = -b->dbl;
        out->type = SEL_BIGDEC;
        out->u.big = nb;
        break;
    }
    default:                     /* strings, booleans, NULL negate to NULL */
        out->type = SEL_NULL;
        break;
    }
}

/* Interns an identifier: every use of a name shares one pointer, the one sel_identifiers
 * reports, so an accessor may recognise names by pointer. */
static const char *intern_identifier(parser_t *p, const char *text, size_t len)
{
    sel_expr_t *ex = p->ex;
    if (!p->idhash) p->idhash = apr_hash_make(p->pool);
    const char *known = apr_hash_get(p->idhash, text, (apr_ssize_t)len);
    if (known) return known;
    if (ex->nids == p->idcap) {
        size_t cap = p->idcap ? p->idcap * 2 : 8;
        const char **ids = apr_palloc(p->pool, cap * sizeof *ids);
        size_t *lens = apr_palloc(p->pool, cap * sizeof *lens);
        if (ex->nids) {
            memcpy(ids, ex->ids, ex->nids * sizeof *ids);
            memcpy(lens, ex->id_lens, ex->nids * sizeof *lens);
        }
        ex->ids = ids;
        ex->id_lens = lens;
        p->idcap = cap;
    }
    ex->ids[ex->nids] = apr_pstrmemdup(p->pool, text, len);
    ex->id_lens[ex->nids] = len;
    apr_hash_set(p->idhash, ex->ids[ex->nids], (apr_ssize_t)len, ex->ids[ex->nids]);
    return ex->ids[ex->nids++];
}

static sel_node_t *or_expr(parser_t *p);

static sel_node_t *primary(parser_t *p)
{
    sel_token_t tk = peek(p, 0);
    sel_node_t *n;
    switch (tk.kind) {
    case SEL_TK_STRING:
        next(p);
        n = node(p, SEL_OP_CONST, tk.pos, NULL, NULL);
        if (n) {
            sel_str_t s = string_value(p, tk);
            n->cval.type = SEL_STRING;
            n->cval.u.s.p = s.p;
            n->cval.u.s.len = s.len;
        }
        return n;
    case SEL_TK_DECIMAL: case SEL_TK_HEX: case SEL_TK_OCTAL: case SEL_TK_FLOAT:
        next(p);
        return number_literal(p, tk);
    case SEL_TK_TRUE: case SEL_TK_FALSE:
        next(p);
        n = node(p, SEL_OP_CONST, tk.pos, NULL, NULL);
        if (n) { n->cval.type = SEL_BOOL; n->cval.u.b = tk.kind == SEL_TK_TRUE; }
        return n;
    case SEL_TK_NULL:
        next(p);
        return null_const(p, tk.pos);
    case SEL_TK_ID:
        next(p);
        n = node(p, SEL_OP_PROP, tk.pos, NULL, NULL);
        if (n) {
            n->name.p = intern_identifier(p, p->t + tk.pos, tk.len);
            n->name.len = tk.len;
        }
        return n;
    case SEL_TK_LPAREN:
        next(p);
        n = or_expr(p);
        if (n && !expect(p, SEL_TK_RPAREN, "')'")) return NULL;
        return n;
    default:
        unexpected(p, tk, "an expression");
        return NULL;
    }
}

static sel_node_t *unary(parser_t *p)
{
    sel_token_t tk = peek(p, 0);
    sel_node_t *n = NULL, *c;
    sel_str_t s;
    if (++p->depth > SEL_MAX_DEPTH) {
        fail(p, SEL_ELIMIT, tk.pos, "selector nested too deeply (limit %d)", SEL_MAX_DEPTH);
        return NULL;
    }
    switch (tk.kind) {
    case SEL_TK_PLUS:
        next(p);
        n = unary(p);
        break;
    case SEL_TK_MINUS:
        next(p);
        c = unary(p);
        if (c && (n = node(p, SEL_OP_NEG, tk.pos, c, NULL)) != NULL && is_const(c)) {
            negate_const(p, &c->cval, &n->cval);
            n->folded = 1;
        } else if (c && n && c->folded) {
            negate_const(p, &c->cval, &n->cval);
            n->folded = 1;
        }
        break;
    case SEL_TK_NOT:
        next(p);
        c = as_bool(p, unary(p));
        n = not(p, c, tk.pos);
        break;
    case SEL_TK_XPATH: case SEL_TK_XQUERY:
        next(p);
        if (!string_literal(p, &s, "a string")) break;
        n = node(p, tk.kind == SEL_TK_XPATH ? SEL_OP_XPATH : SEL_OP_XQUERY, tk.pos, NULL, NULL);
        if (n && tk.kind == SEL_TK_XPATH) {
            if (s.len > SEL_MAX_XPATH) {
                fail(p, SEL_ELIMIT, tk.pos, "XPATH expression longer than %d bytes", SEL_MAX_XPATH);
                return NULL;
            }
            apr_status_t st = sel_xpath_compile(p->pool, s.p, s.len, &n->xpath);
            if (st != APR_SUCCESS) { p->st = st; return NULL; }
            p->ex->uses_body = 1;
        }
        break;
    case SEL_TK_ID:
        if (peek(p, 1).kind == SEL_TK_LPAREN) {
            fail(p, SEL_EUNSUPP, tk.pos, "function calls (%.*s) are not supported",
                 (int)(tk.len > 40 ? 40 : tk.len), p->t + tk.pos);
            break;
        }
        n = primary(p);
        break;
    default:
        n = primary(p);
        break;
    }
    p->depth--;
    return p->st == APR_SUCCESS ? n : NULL;
}

static sel_node_t *mul_expr(parser_t *p)
{
    sel_node_t *l = unary(p);
    while (l) {
        sel_token_t tk = peek(p, 0);
        sel_op_e op;
        if (tk.kind == SEL_TK_STAR) op = SEL_OP_MUL;
        else if (tk.kind == SEL_TK_SLASH) op = SEL_OP_DIV;
        else if (tk.kind == SEL_TK_PERCENT) op = SEL_OP_MOD;
        else break;
        next(p);
        sel_node_t *r = unary(p);
        l = r ? node(p, op, tk.pos, l, r) : NULL;
    }
    return l;
}

static sel_node_t *add_expr(parser_t *p)
{
    sel_node_t *l = mul_expr(p);
    while (l) {
        sel_token_t tk = peek(p, 0);
        if (tk.kind != SEL_TK_PLUS && tk.kind != SEL_TK_MINUS) break;
        next(p);
        sel_node_t *r = mul_expr(p);
        l = r ? node(p, tk.kind == SEL_TK_PLUS ? SEL_OP_ADD : SEL_OP_SUB, tk.pos, l, r) : NULL;
    }
    return l;
}

static sel_node_t *like(parser_t *p, sel_node_t *l, size_t pos)
{
    sel_str_t pat, esc;
    long e = -1;
    if (!string_literal(p, &pat, "a string pattern after LIKE")) return NULL;
    if (peek(p, 0).kind == SEL_TK_ESCAPE) {
        sel_token_t etk = next(p);
        if (!string_literal(p, &esc, "a string after ESCAPE")) return NULL;
        if (sel_utf16_len(esc.p, esc.len) != 1) {
            fail(p, SEL_ETYPE, etk.pos, "the ESCAPE string must be exactly one character");
            return NULL;
        }
        uint32_t cp;
        sel_utf8_next(esc.p, esc.len, &cp);
        e = (long)cp;
    }
    if (pat.len > SEL_MAX_LIKE) {
        fail(p, SEL_ELIMIT, pos, "LIKE pattern longer than %d bytes", SEL_MAX_LIKE);
        return NULL;
    }
    sel_node_t *n = node(p, SEL_OP_LIKE, pos, l, NULL);
    if (!n) return NULL;
    char msg[128];
    if (sel_like_compile(p->pool, pat.p, pat.len, e, &n->like, msg, sizeof msg) != 0) {
        fail(p, SEL_ETYPE, pos, "%s", msg);
        return NULL;
    }
    return n;
}

static int str_order(const void *a, const void *b)
{
    const sel_str_t *x = a, *y = b;
    size_t n = x->len < y->len ? x->len : y->len;
    int c = memcmp(x->p, y->p, n);
    if (c) return c;
    return x->len < y->len ? -1 : x->len > y->len;
}

static sel_node_t *in_list(parser_t *p, sel_node_t *l, size_t pos, int negated)
{
    if (!expect(p, SEL_TK_LPAREN, "'(' after IN")) return NULL;
    size_t cap = 8, n = 0;
    sel_str_t *v = apr_palloc(p->pool, cap * sizeof *v);
    for (;;) {
        if (n == SEL_MAX_IN_LIST) {
            fail(p, SEL_ELIMIT, peek(p, 0).pos, "IN list longer than %d strings", SEL_MAX_IN_LIST);
            return NULL;
        }
        if (n == cap) {
            sel_str_t *nv = apr_palloc(p->pool, 2 * cap * sizeof *nv);
            memcpy(nv, v, n * sizeof *v);
            v = nv;
            cap *= 2;
        }
        if (!string_literal(p, &v[n], "a string in the IN list")) return NULL;
        n++;
        if (peek(p, 0).kind != SEL_TK_COMMA) break;
        next(p);
    }
    if (!expect(p, SEL_TK_RPAREN, "',' or ')' in the IN list")) return NULL;
    if (l->op != SEL_OP_PROP) {
        fail(p, SEL_ETYPE, l->pos, "IN needs a property on its left");
        return NULL;
    }
    qsort(v, n, sizeof *v, str_order);
    sel_node_t *in = node(p, SEL_OP_IN, pos, l, NULL);
    if (!in) return NULL;
    in->in_list = v;
    in->in_n = n;
    in->in_not = negated;
    return in;
}

static sel_node_t *cmp_expr(parser_t *p)
{
    sel_node_t *l = add_expr(p);
    while (l) {
        sel_token_t tk = peek(p, 0);
        int negated = 0;
        sel_tk_e k = tk.kind;
        if (k == SEL_TK_NOT) {
            sel_tk_e k2 = peek(p, 1).kind;
            if (k2 != SEL_TK_LIKE && k2 != SEL_TK_BETWEEN && k2 != SEL_TK_IN) break;
            next(p);
            negated = 1;
            k = k2;
        }
        switch (k) {
        case SEL_TK_GT: case SEL_TK_GE: case SEL_TK_LT: case SEL_TK_LE: {
            next(p);
            sel_node_t *r = add_expr(p);
            sel_op_e op = k == SEL_TK_GT ? SEL_OP_GT : k == SEL_TK_GE ? SEL_OP_GE :
                          k == SEL_TK_LT ? SEL_OP_LT : SEL_OP_LE;
            l = compare(p, op, l, r, tk.pos);
            break;
        }
        case SEL_TK_LIKE:
            next(p);
            l = like(p, l, tk.pos);
            if (negated) l = not(p, l, tk.pos);
            break;
        case SEL_TK_BETWEEN: {
            next(p);
            sel_node_t *lo = add_expr(p);
            if (!lo || !expect(p, SEL_TK_AND, "AND in BETWEEN")) return NULL;
            sel_node_t *hi = add_expr(p);
            if (!hi) return NULL;
            if (!negated)
                l = logic(p, SEL_OP_AND, compare(p, SEL_OP_GE, l, lo, tk.pos),
                          compare(p, SEL_OP_LE, l, hi, tk.pos));
            else
                l = logic(p, SEL_OP_OR, compare(p, SEL_OP_LT, l, lo, tk.pos),
                          compare(p, SEL_OP_GT, l, hi, tk.pos));
            break;
        }
        case SEL_TK_IN:
            next(p);
            l = in_list(p, l, tk.pos, negated);
            break;
        default:
            return l;
        }
    }
    return l;
}

static sel_node_t *eq_expr(parser_t *p)
{
    sel_node_t *l = cmp_expr(p);
    while (l) {
        sel_token_t tk = peek(p, 0);
        if (tk.kind == SEL_TK_EQ || tk.kind == SEL_TK_NE) {
            next(p);
            sel_node_t *r = cmp_expr(p);
            l = equal(p, l, r, tk.pos);
            if (tk.kind == SEL_TK_NE) l = not(p, l, tk.pos);
        } else if (tk.kind == SEL_TK_IS) {
            next(p);
            if (peek(p, 0).kind == SEL_TK_NULL) {
                next(p);
                l = node(p, SEL_OP_EQ, tk.pos, l, null_const(p, tk.pos));
            } else {
                if (!expect(p, SEL_TK_NOT, "NULL or NOT NULL after IS")) return NULL;
                if (!expect(p, SEL_TK_NULL, "NULL after IS NOT")) return NULL;
                l = not(p, node(p, SEL_OP_EQ, tk.pos, l, null_const(p, tk.pos)), tk.pos);
            }
        } else {
            break;
        }
    }
    return l;
}

static sel_node_t *and_expr(parser_t *p)
{
    sel_node_t *l = eq_expr(p);
    while (l && peek(p, 0).kind == SEL_TK_AND) {
        next(p);
        sel_node_t *r = eq_expr(p);
        if (!r) return NULL;
        sel_node_t *lb = as_bool(p, l);
        l = logic(p, SEL_OP_AND, lb, as_bool(p, r));
    }
    return l;
}

static sel_node_t *or_expr(parser_t *p)
{
    sel_node_t *l = and_expr(p);
    while (l && peek(p, 0).kind == SEL_TK_OR) {
        next(p);
        sel_node_t *r = and_expr(p);
        if (!r) return NULL;
        sel_node_t *lb = as_bool(p, l);
        l = logic(p, SEL_OP_OR, lb, as_bool(p, r));
    }
    return l;
}

apr_status_t sel_parse(apr_pool_t *pool, const char *text, size_t len, sel_expr_t *out,
                       char *err, size_t errlen)
{
    parser_t p;
    memset(&p, 0, sizeof p);
    p.pool = pool;
    p.t = text;
    p.len = len;
    p.err = err;
    p.errlen = errlen;
    p.ex = out;
    if (errlen) err[0] = 0;
    if (len > SEL_MAX_TEXT) {
        p.st = SEL_ELIMIT;
        if (errlen) snprintf(err, errlen, "selector longer than %d bytes", SEL_MAX_TEXT);
        return p.st;
    }
    /* ActiveMQ's SelectorParser.parse strips this prefix and then compares strings with
     * numbers and booleans by converting them (its STOMP transport adds it) */
    static const char prefix[] = "convert_string_expressions:";
    if (len >= sizeof prefix - 1 && memcmp(text, prefix, sizeof prefix - 1) == 0) {
        out->convert_strings = 1;
        p.lexpos = sizeof prefix - 1;
    }
    sel_node_t *root = or_expr(&p);
    if (root && p.st == APR_SUCCESS) {
        sel_token_t tk = peek(&p, 0);
        if (tk.kind != SEL_TK_EOF) unexpected(&p, tk, "an operator or the end of the selector");
    }
    if (root && p.st == APR_SUCCESS) root = as_bool(&p, root);
    if (p.st != APR_SUCCESS) return p.st;
    out->root = root;
    return APR_SUCCESS;
}
