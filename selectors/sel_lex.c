/* sel_lex.c — the selector tokenizer.  It reproduces the token set of ActiveMQ's JavaCC
 * grammar (SelectorParser.jj) including its longest-match rules: "--" starts a comment only
 * when a line end follows (otherwise it is two minus signs), an unterminated block comment is
 * "/" "*", "0x" without digits is the octal 0 followed by the name x, "019" is 01 then 9. */
#include <string.h>

#include "sel_int.h"

static int is_digit(int c) { return c >= '0' && c <= '9'; }
static int is_hex(int c) { return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }
static int id_start(int c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == '$'; }
static int id_part(int c) { return id_start(c) || is_digit(c); }

static const struct { const char *word; sel_tk_e kind; } keywords[] = {
    { "NOT", SEL_TK_NOT }, { "AND", SEL_TK_AND }, { "OR", SEL_TK_OR },
    { "BETWEEN", SEL_TK_BETWEEN }, { "LIKE", SEL_TK_LIKE }, { "ESCAPE", SEL_TK_ESCAPE },
    { "IN", SEL_TK_IN }, { "IS", SEL_TK_IS }, { "TRUE", SEL_TK_TRUE }, { "FALSE", SEL_TK_FALSE },
    { "NULL", SEL_TK_NULL }, { "XPATH", SEL_TK_XPATH }, { "XQUERY", SEL_TK_XQUERY },
};

const char *sel_tk_name(sel_tk_e kind)
{
    switch (kind) {
    case SEL_TK_EOF: return "end of selector";
    case SEL_TK_ERROR: return "invalid character";
    case SEL_TK_DECIMAL: case SEL_TK_HEX: case SEL_TK_OCTAL: case SEL_TK_FLOAT: return "number";
    case SEL_TK_STRING: return "string";
    case SEL_TK_ID: return "identifier";
    default: break;
    }
    for (size_t i = 0; i < sizeof keywords / sizeof keywords[0]; i++)
        if (keywords[i].kind == kind) return keywords[i].word;
    return "operator";
}

/* Length of an exponent [eE][+-]?[0-9]+ at t[i..), 0 if none. */
static size_t exponent_len(const char *t, size_t len, size_t i)
{
    size_t j = i;
    if (j >= len || (t[j] != 'e' && t[j] != 'E')) return 0;
    j++;
    if (j < len && (t[j] == '+' || t[j] == '-')) j++;
    if (j >= len || !is_digit((unsigned char)t[j])) return 0;
    while (j < len && is_digit((unsigned char)t[j])) j++;
    return j - i;
}

/* Longest FLOATING_POINT_LITERAL at t[i..), 0 if none. */
static size_t float_len(const char *t, size_t len, size_t i)
{
    size_t j = i, best = 0;
    while (j < len && is_digit((unsigned char)t[j])) j++;
    if (j > i) {
        if (j < len && t[j] == '.') {                      /* 5. 5.5 5.5E10 5.E10 */
            size_t k = j + 1;
            while (k < len && is_digit((unsigned char)t[k])) k++;
            best = k + exponent_len(t, len, k) - i;
        } else {
            size_t e = exponent_len(t, len, j);            /* 5E10 */
            if (e) best = j + e - i;
        }
    } else if (j < len && t[j] == '.') {                   /* .5 .5E10 */
        size_t k = j + 1;
        while (k < len && is_digit((unsigned char)t[k])) k++;
        if (k > j + 1) best = k + exponent_len(t, len, k) - i;
    }
    return best;
}

/* The number token at t[i..): the longest of DECIMAL, HEX, OCTAL and FLOAT. */
static sel_token_t number(const char *t, size_t len, size_t i)
{
    sel_token_t tk = { SEL_TK_ERROR, i, 1 };
    size_t best = 0, j;
    if (t[i] >= '1' && t[i] <= '9') {
        for (j = i; j < len && is_digit((unsigned char)t[j]); j++) ;
        if (j < len && (t[j] == 'l' || t[j] == 'L')) j++;
        best = j - i; tk.kind = SEL_TK_DECIMAL;
    } else if (t[i] == '0') {
        if (i + 2 < len && (t[i + 1] == 'x' || t[i + 1] == 'X') && is_hex((unsigned char)t[i + 2])) {
            for (j = i + 2; j < len && is_hex((unsigned char)t[j]); j++) ;
            best = j - i; tk.kind = SEL_TK_HEX;
        } else {
            for (j = i + 1; j < len && t[j] >= '0' && t[j] <= '7'; j++) ;
            best = j - i; tk.kind = SEL_TK_OCTAL;
        }
    }
    size_t f = float_len(t, len, i);
    if (f > best) { best = f; tk.kind = SEL_TK_FLOAT; }
    if (best) tk.len = best;
    return tk;
}

sel_token_t sel_lex_next(const char *t, size_t len, size_t *pos)
{
    size_t i = *pos;
    for (;;) {                                  /* blanks and comments */
        if (i >= len) break;
        char c = t[i];
        if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f') { i++; continue; }
        if (c == '-' && i + 1 < len && t[i + 1] == '-') {
            size_t j = i + 2;
            while (j < len && t[j] != '\n' && t[j] != '\r') j++;
            if (j < len) { i = j + 1; continue; }      /* a line comment needs its line end */
            break;
        }
        if (c == '/' && i + 1 < len && t[i + 1] == '*') {
            size_t j = i + 2;
            while (j + 1 < len && !(t[j] == '*' && t[j + 1] == '/')) j++;
            if (j + 1 < len) { i = j + 2; continue; }
            break;
        }
        break;
    }
    sel_token_t tk = { SEL_TK_EOF, i, 0 };
    if (i >= len) { *pos = i; return tk; }
    unsigned char c = (unsigned char)t[i];
    tk.len = 1;
    if (id_start(c)) {
        size_t j = i + 1;
        while (j < len && id_part((unsigned char)t[j])) j++;
        tk.kind = SEL_TK_ID; tk.len = j - i;
        for (size_t k = 0; k < sizeof keywords / sizeof keywords[0]; k++) {
            const char *w = keywords[k].word;
            size_t wl = strlen(w), m;
            if (wl != tk.len) continue;
            for (m = 0; m < wl; m++) {
                char a = t[i + m];
                if (a >= 'a' && a <= 'z') a = (char)(a - 'a' + 'A');
                if (a != w[m]) break;
            }
            if (m == wl) { tk.kind = keywords[k].kind; break; }
        }
    } else if (is_digit(c) || c == '.') {
        tk = number(t, len, i);
    } else if (c == '\'') {
        size_t j = i + 1;
        for (;;) {
            if (j >= len) { tk.kind = SEL_TK_ERROR; tk.len = 1; break; }
            if (t[j] == '\'') {
                if (j + 1 < len && t[j + 1] == '\'') { j += 2; continue; }
                tk.kind = SEL_TK_STRING; tk.len = j + 1 - i; break;
            }
            j++;
        }
    } else {
        char n = i + 1 < len ? t[i + 1] : 0;
        switch (c) {
        case '=': tk.kind = SEL_TK_EQ; break;
        case '<':
            if (n == '>') { tk.kind = SEL_TK_NE; tk.len = 2; }
            else if (n == '=') { tk.kind = SEL_TK_LE; tk.len = 2; }
            else tk.kind = SEL_TK_LT;
            break;
        case '>':
            if (n == '=') { tk.kind = SEL_TK_GE; tk.len = 2; }
            else tk.kind = SEL_TK_GT;
            break;
        case '(': tk.kind = SEL_TK_LPAREN; break;
        case ')': tk.kind = SEL_TK_RPAREN; break;
        case ',': tk.kind = SEL_TK_COMMA; break;
        case '+': tk.kind = SEL_TK_PLUS; break;
        case '-': tk.kind = SEL_TK_MINUS; break;
        case '*': tk.kind = SEL_TK_STAR; break;
        case '/': tk.kind = SEL_TK_SLASH; break;
        case '%': tk.kind = SEL_TK_PERCENT; break;
        default: tk.kind = SEL_TK_ERROR; break;
        }
    }
    *pos = tk.kind == SEL_TK_ERROR ? i : i + tk.len;
    return tk;
}
