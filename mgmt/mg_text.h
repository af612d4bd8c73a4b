/* Writing text safely for each format the management side answers in: JSON strings, XML text
 * and attributes, Prometheus label values.  Pure functions over hm_wbuf_t (unit-tested). */
#ifndef MG_TEXT_H
#define MG_TEXT_H

#include <stdarg.h>
#include <stddef.h>

#include "hm_wbuf.h"

void mg_puts(hm_wbuf_t *w, const char *s);
void mg_printf(hm_wbuf_t *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* A JSON string, quoted: control characters, quote, backslash, < > & and U+2028/9 escaped;
 * bytes that are not UTF-8 become U+FFFD, so any input yields valid JSON. */
void mg_json_str(hm_wbuf_t *w, const char *s, size_t len);
/* The same for a C string, or null for NULL. */
void mg_json_cstr(hm_wbuf_t *w, const char *s);
/* XML character data or attribute value: & < > " ' escaped, characters XML 1.0 forbids and
 * invalid UTF-8 replaced by U+FFFD. */
void mg_xml_str(hm_wbuf_t *w, const char *s, size_t len);
/* A Prometheus label value (inside the quotes): backslash, quote and newline escaped, invalid
 * UTF-8 replaced. */
void mg_prom_label(hm_wbuf_t *w, const char *s);
/* The length of the valid UTF-8 sequence at p (1..4), or 0 when the bytes are not one. */
size_t mg_utf8_seq(const unsigned char *p, size_t len);

#endif
