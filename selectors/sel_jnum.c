/* sel_jnum.c — Java's parsing of numbers and booleans from strings, for ActiveMQ's
 * "convert_string_expressions:" selectors, where a comparison between a string and a number
 * (or boolean) converts the string with Integer.valueOf, Double.valueOf, Boolean.valueOf...
 * A string Java would reject (NumberFormatException) makes the comparison FALSE. */
#include <stdlib.h>
#include <string.h>

#include "sel_int.h"

int sel_java_parse_long(const char *p, size_t n, int64_t min, int64_t max, int64_t *out)
{
    size_t i = 0;
    int neg = 0;
    if (n == 0) return -1;
    if (p[0] == '-' || p[0] == '+') { neg = p[0] == '-'; i = 1; if (n == 1) return -1; }
    uint64_t limit = neg ? (uint64_t)0 - (uint64_t)min : (uint64_t)max, v = 0;
    for (; i < n; i++) {
        if (p[i] < '0' || p[i] > '9') return -1;   /* Java also takes non-ASCII digits; rare */
        unsigned d = (unsigned)(p[i] - '0');
        if (v > (limit - d) / 10) return -1;
        v = v * 10 + d;
    }
    *out = neg ? (int64_t)(0u - v) : (int64_t)v;
    return 0;
}

static int is_dig(char c) { return c >= '0' && c <= '9'; }
static int is_xdig(char c) { return is_dig(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }

/* FloatingDecimal.readJavaFormatString's syntax after trim(): [sign] (NaN | Infinity |
 * digits[.digits][exp] | .digits[exp] | 0x hex[.hex] p exp) [fFdD] (no suffix after NaN or
 * Infinity).  Copies what strtod needs into buf (without the suffix) and returns 0, or -1. */
static int java_float_syntax(const char *p, size_t n, char *buf)
{
    while (n && (unsigned char)p[0] <= ' ') { p++; n--; }
    while (n && (unsigned char)p[n - 1] <= ' ') n--;
    if (n == 0) return -1;
    size_t i = 0;
    if (p[0] == '+' || p[0] == '-') i++;
    const char *rest = p + i;
    size_t rl = n - i;
    if ((rl == 3 && memcmp(rest, "NaN", 3) == 0) || (rl == 8 && memcmp(rest, "Infinity", 8) == 0)) {
        memcpy(buf, p, n);
        buf[n] = 0;
        return 0;
    }
    size_t j = i;
    if (rl >= 2 && rest[0] == '0' && (rest[1] == 'x' || rest[1] == 'X')) {
        size_t k = j + 2, digits = 0;
        while (k < n && is_xdig(p[k])) { k++; digits++; }
        if (k < n && p[k] == '.') { k++; while (k < n && is_xdig(p[k])) { k++; digits++; } }
        if (!digits || k >= n || (p[k] != 'p' && p[k] != 'P')) return -1;
        k++;
        if (k < n && (p[k] == '+' || p[k] == '-')) k++;
        if (k >= n || !is_dig(p[k])) return -1;
        while (k < n && is_dig(p[k])) k++;
        j = k;
    } else {
        size_t k = j, digits = 0;
        while (k < n && is_dig(p[k])) { k++; digits++; }
        if (k < n && p[k] == '.') { k++; while (k < n && is_dig(p[k])) { k++; digits++; } }
        if (!digits) return -1;
        if (k < n && (p[k] == 'e' || p[k] == 'E')) {
            k++;
            if (k < n && (p[k] == '+' || p[k] == '-')) k++;
            if (k >= n || !is_dig(p[k])) return -1;
            while (k < n && is_dig(p[k])) k++;
        }
        j = k;
    }
    size_t end = j;
    if (j < n && strchr("fFdD", p[j]) && p[j]) j++;
    if (j != n) return -1;
    memcpy(buf, p, end);
    buf[end] = 0;
    return 0;
}

int sel_java_parse_double(const char *p, size_t n, int is_float, char *buf, double *out)
{
    if (java_float_syntax(p, n, buf) != 0) return -1;
    *out = is_float ? (double)strtof(buf, NULL) : strtod(buf, NULL);
    return 0;
}

int sel_java_parse_bool(const char *p, size_t n)
{
    return n == 4 && (p[0] | 0x20) == 't' && (p[1] | 0x20) == 'r' && (p[2] | 0x20) == 'u' &&
           (p[3] | 0x20) == 'e';
}
