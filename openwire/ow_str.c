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
