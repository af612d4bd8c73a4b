/* sel_like.c — LIKE patterns, matched without allocation.
 *
 * ActiveMQ turns a LIKE pattern into a java.util.regex.Pattern: % becomes ".*?", _ becomes
 * ".", regex metacharacters become "\xhh", and an escape character followed by _, % or itself
 * becomes "\x" + Integer.toHexString(next char).  That last rule misbehaves for characters
 * whose hex form is not two digits (an escape below U+0010 swallows the following pattern
 * character as its second digit, or makes the pattern invalid; one above U+00FF matches two
 * characters).  To be exact we build the same regular-expression text and read it back the
 * way java.util.regex would, keeping only the three constructs it can contain. */
#include <stdio.h>
#include <string.h>

#include "sel_int.h"

static int hexval(uint32_t c)
{
    if (c >= '0' && c <= '9') return (int)(c - '0');
    if (c >= 'a' && c <= 'f') return (int)(c - 'a' + 10);
    if (c >= 'A' && c <= 'F') return (int)(c - 'A' + 10);
    return -1;
}

static int is_regex_meta(uint32_t c)
{
    return c > 0 && c < 0x80 && strchr(".\\[]^$?*+{}|():&<>=!", (int)c) != NULL;
}

static size_t put_hex(uint32_t *rx, size_t n, uint32_t c)
{
    char h[16];
    int k = snprintf(h, sizeof h, "%x", (unsigned)c);
    rx[n++] = '\\';
    rx[n++] = 'x';
    for (int i = 0; i < k; i++) rx[n++] = (unsigned char)h[i];
    return n;
}

static size_t utf8_put(char *out, uint32_t cp)
{
    if (cp < 0x80) { out[0] = (char)cp; return 1; }
    if (cp < 0x800) { out[0] = (char)(0xC0 | (cp >> 6)); out[1] = (char)(0x80 | (cp & 0x3F)); return 2; }
    if (cp < 0x10000) {
        out[0] = (char)(0xE0 | (cp >> 12)); out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        out[2] = (char)(0x80 | (cp & 0x3F)); return 3;
    }
    out[0] = (char)(0xF0 | (cp >> 18)); out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    out[2] = (char)(0x80 | ((cp >> 6) & 0x3F)); out[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

int sel_like_compile(apr_pool_t *pool, const char *pat, size_t len, long esc, sel_like_t *out,
                     char *err, size_t errlen)
{
    /* 1. the regular expression ActiveMQ would build (without \A), plus "\z" */
    uint32_t *rx = apr_palloc(pool, (len * 8 + 4) * sizeof *rx);
    size_t n = 0, i = 0;
    while (i < len) {
        uint32_t c;
        i += sel_utf8_next(pat + i, len - i, &c);
        if (esc >= 0 && c == (uint32_t)esc && i < len) {
            uint32_t nx;
            size_t k = sel_utf8_next(pat + i, len - i, &nx);
            if (nx == '_' || nx == '%' || nx == c) {
                i += k;
                n = put_hex(rx, n, nx);
                continue;
            }
        }
        if (c == '%') { rx[n++] = '.'; rx[n++] = '*'; rx[n++] = '?'; }
        else if (c == '_') rx[n++] = '.';
        else if (is_regex_meta(c)) n = put_hex(rx, n, c);
        else rx[n++] = c;
    }
    rx[n++] = '\\';
    rx[n++] = 'z';

    /* 2. read it back into items; literal runs become UTF-8 byte strings */
    sel_like_item_t *items = apr_palloc(pool, (n + 1) * sizeof *items);
    char *lit = apr_palloc(pool, n * 4 + 1);
    size_t ni = 0, nl = 0;
    for (size_t r = 0; r < n; ) {
        uint32_t c = rx[r];
        if (c == '\\' && rx[r + 1] == 'z') break;
        uint32_t litc;
        if (c == '\\') {                               /* always "\x" here */
            int h1 = hexval(rx[r + 2]), h2 = h1 >= 0 ? hexval(rx[r + 3]) : -1;
            if (h1 < 0 || h2 < 0) {
                snprintf(err, errlen, "the LIKE pattern's escape makes an invalid pattern");
                return -1;
            }
            litc = (uint32_t)(h1 * 16 + h2);
            r += 4;
        } else if (c == '.') {
            int any = rx[r + 1] == '*';
            r += any ? 3 : 1;
            if (any && ni > 0 && items[ni - 1].kind == SEL_LK_ANY) continue;
            items[ni].kind = any ? SEL_LK_ANY : SEL_LK_ONE;
            items[ni].p = NULL; items[ni].len = 0;
            ni++;
            continue;
        } else {
            litc = c;
            r++;
        }
        if (ni == 0 || items[ni - 1].kind != SEL_LK_LIT) {
            items[ni].kind = SEL_LK_LIT;
            items[ni].p = lit + nl;
            items[ni].len = 0;
            ni++;
        }
        size_t w = utf8_put(lit + nl, litc);
        nl += w;
        items[ni - 1].len += w;
    }
    out->items = items;
    out->n = ni;
    return 0;
}

/* Classic wildcard matching with one backtrack point (the last %): every other item has a
 * fixed width, so retrying from the last % with one more character consumed is complete.
 * Work is at most (value length x longest %-free run of the pattern); a literal after % is
 * found with memmem. */
int sel_like_match(const sel_like_t *like, const char *s, size_t len)
{
    const sel_like_item_t *it = like->items;
    size_t np = like->n, p = 0, si = 0;
    size_t star_p = (size_t)-1, star_s = 0;
    while (si < len) {
        if (p < np && it[p].kind == SEL_LK_LIT && it[p].len <= len - si &&
            memcmp(s + si, it[p].p, it[p].len) == 0) {
            si += it[p].len; p++;
        } else if (p < np && it[p].kind == SEL_LK_ONE) {
            uint32_t cp;
            si += sel_utf8_next(s + si, len - si, &cp); p++;
        } else if (p < np && it[p].kind == SEL_LK_ANY) {
            star_p = p++; star_s = si;
        } else if (star_p != (size_t)-1) {
            uint32_t cp;
            star_s += sel_utf8_next(s + star_s, len - star_s, &cp);
            if (star_p + 1 < np && it[star_p + 1].kind == SEL_LK_LIT) {
                /* jump to the literal's next occurrence; a literal starts with a whole
                 * character, so any occurrence lies on a character boundary */
                const char *f = memmem(s + star_s, len - star_s, it[star_p + 1].p, it[star_p + 1].len);
                if (!f) return 0;
                star_s = (size_t)(f - s);
            }
            si = star_s;
            p = star_p + 1;
        } else {
            return 0;
        }
    }
    while (p < np && it[p].kind == SEL_LK_ANY) p++;
    return p == np;
}
