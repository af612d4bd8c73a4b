/* sel_util.c — small pieces of Java semantics the evaluator needs without allocating:
 * UTF-16 string order over UTF-8 bytes, and Java's Double/Float.toString for concatenation. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sel_int.h"

size_t sel_utf8_next(const char *s, size_t len, uint32_t *cp)
{
    const unsigned char *u = (const unsigned char *)s;
    unsigned c = u[0];
    size_t n;
    uint32_t v;
    if (c < 0x80) { *cp = c; return 1; }
    if (c >= 0xC2 && c <= 0xDF) { n = 2; v = c & 0x1F; }
    else if (c >= 0xE0 && c <= 0xEF) { n = 3; v = c & 0x0F; }
    else if (c >= 0xF0 && c <= 0xF4) { n = 4; v = c & 0x07; }
    else { *cp = c; return 1; }
    if (n > len) { *cp = c; return 1; }
    for (size_t i = 1; i < n; i++) {
        if ((u[i] & 0xC0) != 0x80) { *cp = c; return 1; }
        v = (v << 6) | (u[i] & 0x3F);
    }
    if ((n == 3 && v < 0x800) || (n == 4 && (v < 0x10000 || v > 0x10FFFF))) { *cp = c; return 1; }
    *cp = v;
    return n;
}

size_t sel_utf16_len(const char *s, size_t len)
{
    size_t n = 0, i = 0;
    while (i < len) {
        uint32_t cp;
        i += sel_utf8_next(s + i, len - i, &cp);
        n += cp >= 0x10000 ? 2 : 1;
    }
    return n;
}

/* The UTF-16 code units of cp, for ordering: units[0..return). */
static int utf16_units(uint32_t cp, unsigned units[2])
{
    if (cp < 0x10000) { units[0] = cp; return 1; }
    cp -= 0x10000;
    units[0] = 0xD800 + (cp >> 10);
    units[1] = 0xDC00 + (cp & 0x3FF);
    return 2;
}

/* Why not memcmp: Java orders strings by UTF-16 code unit, which differs from UTF-8 byte
 * order when a supplementary character meets one in U+E000..U+FFFF. */
int sel_str_cmp(const char *a, size_t alen, const char *b, size_t blen)
{
    size_t i = 0, j = 0;
    while (i < alen && j < blen) {
        uint32_t ca, cb;
        size_t na = sel_utf8_next(a + i, alen - i, &ca);
        size_t nb = sel_utf8_next(b + j, blen - j, &cb);
        if (ca != cb) {
            unsigned ua[2], ub[2];
            int la = utf16_units(ca, ua), lb = utf16_units(cb, ub);
            if (ua[0] != ub[0]) return ua[0] < ub[0] ? -1 : 1;
            if (la == 2 && lb == 2) return ua[1] < ub[1] ? -1 : 1;
            return la < lb ? -1 : 1;  /* not reachable for distinct code points */
        }
        i += na; j += nb;
    }
    if (i < alen) return 1;
    if (j < blen) return -1;
    return 0;
}

/* The digits Java 19+ prints (Double.toString's specification since JDK-4511638): the
 * shortest decimal that reads back as the same value, but at least two digits, and of those
 * the closest to the value.  (JDK 17's older algorithm sometimes printed one digit more for
 * values with 16-17 significant digits; see README.)  *exp10 is the exponent of the first
 * digit; is_float picks float precision. */
static size_t shortest_digits(double d, int is_float, char *digits, int *exp10)
{
    char buf[40];
    for (int prec = 0; prec < 17; prec++) {
        snprintf(buf, sizeof buf, "%.*e", prec, d);
        int ok = is_float ? strtof(buf, NULL) == (float)d : strtod(buf, NULL) == d;
        if (ok || prec == 16) {
            if (prec == 0) snprintf(buf, sizeof buf, "%.1e", d);
            break;
        }
    }
    size_t n = 0;
    const char *p = buf;
    for (; *p && *p != 'e'; p++)
        if (*p >= '0' && *p <= '9') digits[n++] = *p;
    *exp10 = atoi(p + 1);
    while (n > 1 && digits[n - 1] == '0') n--;
    return n;
}

/* Java's layout: plain notation for 1e-3 <= |d| < 1e7, else d.dddE<exp>; always at least one
 * digit after the point. */
static size_t java_fmt(double d, int is_float, char *buf)
{
    if (isnan(d)) { strcpy(buf, "NaN"); return 3; }
    if (isinf(d)) { strcpy(buf, d > 0 ? "Infinity" : "-Infinity"); return strlen(buf); }
    size_t o = 0;
    if (signbit(d)) { buf[o++] = '-'; d = -d; }
    if (d == 0) { strcpy(buf + o, "0.0"); return o + 3; }
    char dg[24];
    int e;
    size_t n = shortest_digits(d, is_float, dg, &e);
    if (d >= 1e-3 && d < 1e7) {
        if (e >= 0) {
            for (int i = 0; i <= e; i++) buf[o++] = (size_t)i < n ? dg[i] : '0';
            buf[o++] = '.';
            if ((size_t)(e + 1) < n) for (size_t i = (size_t)e + 1; i < n; i++) buf[o++] = dg[i];
            else buf[o++] = '0';
        } else {
            buf[o++] = '0'; buf[o++] = '.';
            for (int i = -1; i > e; i--) buf[o++] = '0';
            for (size_t i = 0; i < n; i++) buf[o++] = dg[i];
        }
    } else {
        buf[o++] = dg[0];
        buf[o++] = '.';
        if (n > 1) for (size_t i = 1; i < n; i++) buf[o++] = dg[i];
        else buf[o++] = '0';
        o += (size_t)sprintf(buf + o, "E%d", e);
    }
    buf[o] = 0;
    return o;
}

size_t sel_fmt_double(double d, char *buf) { return java_fmt(d, 0, buf); }
size_t sel_fmt_float(float f, char *buf) { return java_fmt((double)f, 1, buf); }
