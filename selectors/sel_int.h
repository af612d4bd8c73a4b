/* sel_int.h — internals shared by the selector library's files: tokens, the compiled tree,
 * evaluation values.  Not for use outside selectors/. */
#ifndef SEL_INT_H
#define SEL_INT_H

#include <stdint.h>

#include "sel.h"
#include "sel_limits.h"

/* ---- tokens (sel_lex.c) ---- */
typedef enum {
    SEL_TK_EOF, SEL_TK_ERROR,
    /* keywords (case-insensitive) */
    SEL_TK_NOT, SEL_TK_AND, SEL_TK_OR, SEL_TK_BETWEEN, SEL_TK_LIKE, SEL_TK_ESCAPE, SEL_TK_IN,
    SEL_TK_IS, SEL_TK_TRUE, SEL_TK_FALSE, SEL_TK_NULL, SEL_TK_XPATH, SEL_TK_XQUERY,
    /* literals and names */
    SEL_TK_DECIMAL, SEL_TK_HEX, SEL_TK_OCTAL, SEL_TK_FLOAT, SEL_TK_STRING, SEL_TK_ID,
    /* punctuation */
    SEL_TK_EQ, SEL_TK_NE, SEL_TK_GT, SEL_TK_GE, SEL_TK_LT, SEL_TK_LE, SEL_TK_LPAREN,
    SEL_TK_RPAREN, SEL_TK_COMMA, SEL_TK_PLUS, SEL_TK_MINUS, SEL_TK_STAR, SEL_TK_SLASH,
    SEL_TK_PERCENT
} sel_tk_e;

typedef struct sel_token_s {
    sel_tk_e kind;
    size_t pos;       /* byte offset of the first character */
    size_t len;       /* bytes of the token's text */
} sel_token_t;

/* Scans the token starting at or after *pos (skipping blanks and comments exactly as
 * ActiveMQ's JavaCC token manager does) and advances *pos past it.  A character no token can
 * start with, or an unterminated string, yields SEL_TK_ERROR at its position. */
sel_token_t sel_lex_next(const char *text, size_t len, size_t *pos);
const char *sel_tk_name(sel_tk_e kind);

/* ---- values during evaluation ---- */
/* Internal-only type: an integer literal too big for a Java long, which ActiveMQ keeps as a
 * java.math.BigDecimal.  It only ever comes from literals. */
#define SEL_BIGDEC 100

typedef struct sel_bigdec_s {
    int neg;
    const char *digits;    /* decimal digits without leading zeros */
    size_t ndigits;
    uint64_t low64;        /* the value modulo 2^64, as BigDecimal.longValue() sees it */
    double dbl;            /* BigDecimal.doubleValue() */
} sel_bigdec_t;

typedef struct sel_val_s {
    int type;                  /* a sel_type_e or SEL_BIGDEC */
    union {
        int b;
        int64_t l;
        double d;
        struct { const char *p; size_t len; } s;
        const sel_bigdec_t *big;
    } u;
} sel_val_t;

/* ---- the compiled tree ---- */
typedef enum {
    SEL_OP_CONST, SEL_OP_PROP, SEL_OP_BOOLCAST, SEL_OP_NOT, SEL_OP_NEG,
    SEL_OP_AND, SEL_OP_OR,
    SEL_OP_EQ, SEL_OP_GT, SEL_OP_GE, SEL_OP_LT, SEL_OP_LE,
    SEL_OP_LIKE, SEL_OP_IN,
    SEL_OP_ADD, SEL_OP_SUB, SEL_OP_MUL, SEL_OP_DIV, SEL_OP_MOD,
    SEL_OP_XPATH, SEL_OP_XQUERY
} sel_op_e;

/* One LIKE pattern element: a run of literal bytes, one character, or any sequence. */
typedef enum { SEL_LK_LIT, SEL_LK_ONE, SEL_LK_ANY } sel_lk_e;
typedef struct sel_like_item_s {
    sel_lk_e kind;
    const char *p;     /* SEL_LK_LIT: UTF-8 bytes */
    size_t len;
} sel_like_item_t;

typedef struct sel_like_s {
    sel_like_item_t *items;
    size_t n;
} sel_like_t;

typedef struct sel_str_s { const char *p; size_t len; } sel_str_t;

struct sel_xpath_s;
typedef struct sel_node_s sel_node_t;
struct sel_node_s {
    sel_op_e op;
    size_t pos;                 /* byte offset in the text, for messages */
    unsigned depth;
    sel_node_t *l, *r;          /* operands (NOT/NEG/BOOLCAST/LIKE/IN use l) */
    sel_node_t **kids;          /* AND/OR: flattened operands */
    size_t nkids;
    int folded;                 /* NEG of a constant: cval holds the result */
    sel_val_t cval;             /* CONST value (and folded NEG) */
    sel_str_t name;             /* PROP: identifier as written */
    int in_not;                 /* IN: NOT IN */
    sel_str_t *in_list;         /* IN: strings sorted bytewise */
    size_t in_n;
    sel_like_t like;            /* LIKE */
    struct sel_xpath_s *xpath;  /* XPATH: NULL when the expression never matches */
};

struct sel_expr_s {
    sel_node_t *root;
    const char **ids;
    size_t *id_lens;
    size_t nids;
    int uses_body;
    int convert_strings;        /* "convert_string_expressions:" prefix */
};

/* ---- sel_like.c ---- */
/* Compiles pattern (UTF-8) with escape code point esc (-1: none) the way ActiveMQ turns it
 * into a java.util.regex.Pattern.  Returns 0, or -1 with a message in err when that
 * regular expression would not compile. */
int sel_like_compile(apr_pool_t *pool, const char *pat, size_t len, long esc, sel_like_t *out,
                     char *err, size_t errlen);
int sel_like_match(const sel_like_t *like, const char *s, size_t len);

/* ---- sel_util.c ---- */
/* Decodes one UTF-8 code point at s[0..len) (len > 0); invalid bytes decode as themselves,
 * one byte each.  Returns the byte length. */
size_t sel_utf8_next(const char *s, size_t len, uint32_t *cp);
/* Number of UTF-16 code units of a UTF-8 string (what Java's String.length() says). */
size_t sel_utf16_len(const char *s, size_t len);
/* Java's String.compareTo order (UTF-16 code units) for UTF-8 strings: <0, 0, >0. */
int sel_str_cmp(const char *a, size_t alen, const char *b, size_t blen);
/* Java's Double.toString / Float.toString; returns the length written (buf >= 32 bytes). */
size_t sel_fmt_double(double d, char *buf);
size_t sel_fmt_float(float f, char *buf);

/* ---- sel_jnum.c: Java's String-to-number conversions (0, or -1 for NumberFormatException) ---- */
int sel_java_parse_long(const char *p, size_t n, int64_t min, int64_t max, int64_t *out);
/* buf must hold n + 1 bytes. */
int sel_java_parse_double(const char *p, size_t n, int is_float, char *buf, double *out);
int sel_java_parse_bool(const char *p, size_t n);

/* ---- sel_xpath.c ---- */
/* Compiles an XPATH expression; *out NULL means ActiveMQ would evaluate it to FALSE for every
 * message (invalid XPath syntax).  Registers cleanup on pool. */
apr_status_t sel_xpath_compile(apr_pool_t *pool, const char *expr, size_t len,
                               struct sel_xpath_s **out);
/* Evaluates over a text body; 1 only when the body parses (no DTD allowed, within the size and
 * depth limits) and the XPath result converts to true. */
int sel_xpath_eval(const struct sel_xpath_s *x, const char *text, size_t len);

/* ---- sel_parse.c ---- */
apr_status_t sel_parse(apr_pool_t *pool, const char *text, size_t len, sel_expr_t *out,
                       char *err, size_t errlen);

#endif
