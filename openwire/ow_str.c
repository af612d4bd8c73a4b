/* Strings as OpenWire carries them: Java modified UTF-8 (DataInput.readUTF) or, in the tight
 * encoding's "ascii" form, one byte per char (Latin-1). */
#include <apr_strings.h>

#include "ow_int.h"

/* readUTF's rules: 0xxxxxxx, 110xxxxx 10xxxxxx, 1110xxxx 10xxxxxx 10xxxxxx; anything else
 * (10xxxxxx lead, 1111xxxx, truncated sequences) is malformed. */
int ow_mutf8_valid(const uint8_t *p, size_t n)
{
    size_t i = 0;
    while (i < n) {
        uint8_t c = p[i];
        switch (c >> 4) {
        case 0: case 1: case 2: case 3: case 4: case 5: case 6: case 7:
            i++;
            break;
        case 12: case 13:
            if (i + 2 > n || (p[i + 1] & 0xC0) != 0x80)
                return 0;
            i += 2;
            break;
        case 14:
            if (i + 3 > n || (p[i + 1] & 0xC0) != 0x80 || (p[i + 2] & 0xC0) != 0x80)
                return 0;
            i += 3;
            break;
        default:
            return 0;
        }
    }
    return 1;
}

/* A NUL-terminated copy of validated modified UTF-8.  A raw 0x00 (which readUTF accepts as
 * U+0000) becomes C0 80, the form Java writes, so the C string never ends early. */
char *ow_mutf8_copy(apr_pool_t *pool, const uint8_t *p, size_t n)
{
    size_t zeros = 0;
    for (size_t i = 0; i < n; i++)
        zeros += p[i] == 0;
    char *s = apr_palloc(pool, n + zeros + 1);
    if (!s)
        return NULL;
    size_t j = 0;
    for (size_t i = 0; i < n; i++) {
        if (p[i] == 0) {
            s[j++] = (char)0xC0;
            s[j++] = (char)0x80;
        } else {
            s[j++] = (char)p[i];
        }
    }
    s[j] = 0;
    return s;
}

/* The tight "ascii" form is read by Java as one char per byte (new String(bytes, 0)), so bytes
 * >= 0x80 are Latin-1 characters and 0x00 is U+0000: both need two bytes in modified UTF-8. */
char *ow_latin1_to_mutf8(apr_pool_t *pool, const uint8_t *p, size_t n)
{
    size_t extra = 0;
    for (size_t i = 0; i < n; i++)
        extra += (p[i] >= 0x80 || p[i] == 0);
    char *s = apr_palloc(pool, n + extra + 1);
    if (!s)
        return NULL;
    size_t j = 0;
    for (size_t i = 0; i < n; i++) {
        uint8_t c = p[i];
        if (c >= 0x80 || c == 0) {
            s[j++] = (char)(0xC0 | (c >> 6));
            s[j++] = (char)(0x80 | (c & 0x3F));
        } else {
            s[j++] = (char)c;
        }
    }
    s[j] = 0;
    return s;
}

/* Java's isOnlyAscii test on the chars equals "every byte in 0x01..0x7F" on their modified
 * UTF-8 form, because every other char encodes to bytes >= 0x80. */
int ow_str_is_ascii(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        uint8_t c = (uint8_t)s[i];
        if (c == 0 || c >= 0x80)
            return 0;
    }
    return 1;
}

/* Standard UTF-8 -> modified UTF-8.  Strict decoding (no overlongs, no surrogates, nothing
 * above U+10FFFF); supplementary characters become a surrogate pair, U+0000 becomes C0 80. */
apr_status_t ow_utf8_to_mutf8(apr_pool_t *pool, const char *str, size_t n, char **out, size_t *out_len)
{
    const uint8_t *s = (const uint8_t *)str;
    char *o = apr_palloc(pool, n * 2 + 1);   /* 4 bytes become 6, 1 (NUL) becomes 2 */
    if (!o)
        return APR_ENOMEM;
    size_t j = 0;
    for (size_t i = 0; i < n;) {
        uint32_t c = s[i], len, min;
        if (c < 0x80) { len = 1; min = 0; }
        else if ((c & 0xE0) == 0xC0) { len = 2; c &= 0x1F; min = 0x80; }
        else if ((c & 0xF0) == 0xE0) { len = 3; c &= 0x0F; min = 0x800; }
        else if ((c & 0xF8) == 0xF0) { len = 4; c &= 0x07; min = 0x10000; }
        else return HM_EMALFORMED;
        if (i + len > n)
            return HM_EMALFORMED;
        for (uint32_t k = 1; k < len; k++) {
            if ((s[i + k] & 0xC0) != 0x80)
                return HM_EMALFORMED;
            c = (c << 6) | (s[i + k] & 0x3F);
        }
        if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF))
            return HM_EMALFORMED;
        i += len;
        if (c == 0) {
            o[j++] = (char)0xC0;
            o[j++] = (char)0x80;
        } else if (c >= 0x10000) {
            uint32_t v = c - 0x10000, hi = 0xD800 | (v >> 10), lo = 0xDC00 | (v & 0x3FF);
            uint32_t u[2] = { hi, lo };
            for (int k = 0; k < 2; k++) {
                o[j++] = (char)(0xE0 | (u[k] >> 12));
                o[j++] = (char)(0x80 | ((u[k] >> 6) & 0x3F));
                o[j++] = (char)(0x80 | (u[k] & 0x3F));
            }
        } else {
            memcpy(o + j, s + i - len, len);
            j += len;
        }
    }
    o[j] = 0;
    *out = o;
    *out_len = j;
    return APR_SUCCESS;
}

/* One modified UTF-8 character at p (validated by ow_mutf8_valid rules) -> code unit, length. */
static int mutf8_unit(const uint8_t *p, size_t left, uint32_t *u)
{
    uint8_t c = p[0];
    if (c < 0x80) { *u = c; return 1; }
    if ((c & 0xE0) == 0xC0 && left >= 2 && (p[1] & 0xC0) == 0x80) {
        *u = ((uint32_t)(c & 0x1F) << 6) | (p[1] & 0x3F);
        return 2;
    }
    if ((c & 0xF0) == 0xE0 && left >= 3 && (p[1] & 0xC0) == 0x80 && (p[2] & 0xC0) == 0x80) {
        *u = ((uint32_t)(c & 0x0F) << 12) | ((uint32_t)(p[1] & 0x3F) << 6) | (p[2] & 0x3F);
        return 3;
    }
    return 0;
}

apr_status_t ow_mutf8_to_utf8(apr_pool_t *pool, const char *str, size_t n, char **out, size_t *out_len)
{
    const uint8_t *s = (const uint8_t *)str;
    char *o = apr_palloc(pool, n + 1);     /* never longer: 6 -> 4, 3 (lone) -> 3, 2 -> <=2 */
    if (!o)
        return APR_ENOMEM;
    size_t j = 0;
    for (size_t i = 0; i < n;) {
        uint32_t u, u2;
        int l = mutf8_unit(s + i, n - i, &u);
        if (!l)
            return HM_EMALFORMED;
        i += (size_t)l;
        if (u >= 0xD800 && u <= 0xDBFF) {
            int l2 = i < n ? mutf8_unit(s + i, n - i, &u2) : 0;
            if (l2 && u2 >= 0xDC00 && u2 <= 0xDFFF) {
                i += (size_t)l2;
                u = 0x10000 + ((u - 0xD800) << 10) + (u2 - 0xDC00);
            } else {
                u = 0xFFFD;
            }
        } else if (u >= 0xDC00 && u <= 0xDFFF) {
            u = 0xFFFD;
        }
        if (u < 0x80) {
            o[j++] = (char)u;
        } else if (u < 0x800) {
            o[j++] = (char)(0xC0 | (u >> 6));
            o[j++] = (char)(0x80 | (u & 0x3F));
        } else if (u < 0x10000) {
            o[j++] = (char)(0xE0 | (u >> 12));
            o[j++] = (char)(0x80 | ((u >> 6) & 0x3F));
            o[j++] = (char)(0x80 | (u & 0x3F));
        } else {
            o[j++] = (char)(0xF0 | (u >> 18));
            o[j++] = (char)(0x80 | ((u >> 12) & 0x3F));
            o[j++] = (char)(0x80 | ((u >> 6) & 0x3F));
            o[j++] = (char)(0x80 | (u & 0x3F));
        }
    }
    o[j] = 0;
    *out = o;
    *out_len = j;
    return APR_SUCCESS;
}
