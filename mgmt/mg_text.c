/* Escaping for JSON, XML and Prometheus text (mg_text.h). */
#include <stdio.h>
#include <string.h>

#include "mg_text.h"

void mg_puts(hm_wbuf_t *w, const char *s)
{
    hm_wbuf_put(w, s, strlen(s));
}

void mg_printf(hm_wbuf_t *w, const char *fmt, ...)
{
    char small[256];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    if ((size_t)n < sizeof small) {
        hm_wbuf_put(w, small, (size_t)n);
        return;
    }
    uint8_t *p = hm_wbuf_extend(w, (size_t)n + 1);
    if (!p)
        return;
    va_start(ap, fmt);
    vsnprintf((char *)p, (size_t)n + 1, fmt, ap);
    va_end(ap);
    w->len--;                      /* the terminating NUL is not part of the output */
}

/* Why by hand: a strict decoder (no overlongs, no surrogates, nothing above U+10FFFF) is what
 * decides that the output is valid text whatever bytes a message body holds. */
size_t mg_utf8_seq(const unsigned char *p, size_t len)
{
    unsigned c = p[0];
    if (c < 0x80)
        return 1;
    size_t n = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC2 ? 2 : 0;
    if (!n || c > 0xF4 || n > len)
        return 0;
    for (size_t i = 1; i < n; i++)
        if ((p[i] & 0xC0) != 0x80)
            return 0;
    if (n == 3 && ((c == 0xE0 && p[1] < 0xA0) || (c == 0xED && p[1] >= 0xA0)))
        return 0;                  /* overlong, or a UTF-16 surrogate */
    if (n == 4 && ((c == 0xF0 && p[1] < 0x90) || (c == 0xF4 && p[1] >= 0x90)))
        return 0;                  /* overlong, or above U+10FFFF */
    return n;
}

static const char REPLACEMENT[] = "\xEF\xBF\xBD";

void mg_json_str(hm_wbuf_t *w, const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *)s;
    hm_wbuf_u8(w, '"');
    for (size_t i = 0; i < len;) {
        unsigned c = p[i];
        size_t n = mg_utf8_seq(p + i, len - i);
        if (!n) {
            mg_puts(w, REPLACEMENT);
            i++;
            continue;
        }
        if (n == 1) {
            if (c == '"' || c == '\\') {
                hm_wbuf_u8(w, '\\');
                hm_wbuf_u8(w, (uint8_t)c);
            } else if (c == '\n') {
                mg_puts(w, "\\n");
            } else if (c == '\r') {
                mg_puts(w, "\\r");
            } else if (c == '\t') {
                mg_puts(w, "\\t");
            } else if (c < 0x20 || c == 0x7F || c == '<' || c == '>' || c == '&') {
                mg_printf(w, "\\u%04x", c);
            } else {
                hm_wbuf_u8(w, (uint8_t)c);
            }
        } else if (n == 3 && c == 0xE2 && p[i + 1] == 0x80 && (p[i + 2] == 0xA8 || p[i + 2] == 0xA9)) {
            mg_printf(w, "\\u%04x", p[i + 2] == 0xA8 ? 0x2028u : 0x2029u);
        } else {
            hm_wbuf_put(w, p + i, n);
        }
        i += n;
    }
    hm_wbuf_u8(w, '"');
}

void mg_json_cstr(hm_wbuf_t *w, const char *s)
{
    if (s)
        mg_json_str(w, s, strlen(s));
    else
        mg_puts(w, "null");
}

void mg_xml_str(hm_wbuf_t *w, const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *)s;
    for (size_t i = 0; i < len;) {
        unsigned c = p[i];
        size_t n = mg_utf8_seq(p + i, len - i);
        if (!n || (n == 1 && c < 0x20 && c != '\t' && c != '\n' && c != '\r') ||
            (n == 3 && c == 0xEF && p[i + 1] == 0xBF && p[i + 2] >= 0xBE)) {   /* U+FFFE/F */
            mg_puts(w, REPLACEMENT);
            i += n ? n : 1;
            continue;
        }
        switch (n == 1 ? c : 0) {
        case '&': mg_puts(w, "&amp;"); break;
        case '<': mg_puts(w, "&lt;"); break;
        case '>': mg_puts(w, "&gt;"); break;
        case '"': mg_puts(w, "&quot;"); break;
        case '\'': mg_puts(w, "&apos;"); break;
        default: hm_wbuf_put(w, p + i, n);
        }
        i += n;
    }
}

void mg_prom_label(hm_wbuf_t *w, const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t len = strlen(s);
    for (size_t i = 0; i < len;) {
        size_t n = mg_utf8_seq(p + i, len - i);
        if (!n) {
            mg_puts(w, REPLACEMENT);
            i++;
        } else if (p[i] == '\\' || p[i] == '"') {
            hm_wbuf_u8(w, '\\');
            hm_wbuf_u8(w, p[i++]);
        } else if (p[i] == '\n') {
            mg_puts(w, "\\n");
            i++;
        } else {
            hm_wbuf_put(w, p + i, n);
            i += n;
        }
    }
}
