/* ActiveMQ's primitive maps and lists (MarshallingSupport): message properties
 * (Message.marshalledProperties), MapMessage bodies, WireFormatInfo options.
 *
 * Decoding yields a typed list that keeps the wire order, so encoding it again gives the same
 * bytes.  Every length is bounded by the bytes that remain; nesting is limited to
 * OW_PROPS_MAX_DEPTH and each map/list to OW_PROPS_MAX_ENTRIES entries.  Strings are kept as
 * the raw bytes that travelled (Java modified UTF-8 for the short form); they are NUL-terminated
 * copies, and `len` gives their length. */
#ifndef OW_PROPS_H
#define OW_PROPS_H

#include <stddef.h>
#include <stdint.h>

#include <apr_pools.h>

#include "hm_status.h"
#include "hm_wbuf.h"

typedef enum ow_pv_type_e {  /* the MarshallingSupport type bytes */
    OW_PV_NULL = 0, OW_PV_BOOLEAN = 1, OW_PV_BYTE = 2, OW_PV_CHAR = 3, OW_PV_SHORT = 4,
    OW_PV_INT = 5, OW_PV_LONG = 6, OW_PV_DOUBLE = 7, OW_PV_FLOAT = 8, OW_PV_STRING = 9,
    OW_PV_BYTES = 10, OW_PV_MAP = 11, OW_PV_LIST = 12, OW_PV_BIG_STRING = 13
} ow_pv_type_t;

typedef struct ow_pmap_s ow_pmap_t;

typedef struct ow_pvalue_s {
    ow_pv_type_t type;
    union {
        int b;                  /* BOOLEAN */
        int8_t i8;              /* BYTE */
        uint16_t ch;            /* CHAR (a UTF-16 unit) */
        int16_t i16;            /* SHORT */
        int32_t i32;            /* INT */
        int64_t i64;            /* LONG */
        float f;                /* FLOAT */
        double d;               /* DOUBLE */
        struct { const char *data; int32_t len; } str;       /* STRING, BIG_STRING */
        struct { const uint8_t *data; int32_t len; } bytes;  /* BYTES */
        ow_pmap_t *map;         /* MAP, LIST (a list has entries without names) */
    } u;
} ow_pvalue_t;

typedef struct ow_pentry_s {
    const char *name;           /* NULL in lists */
    int32_t name_len;
    ow_pvalue_t value;
} ow_pentry_t;

struct ow_pmap_s {
    int is_list;
    int is_null;                /* the map was written as null (size -1) */
    int32_t count;
    ow_pentry_t *entries;
};

/* Decodes a whole primitive map from bytes (e.g. marshalled_properties).  The map lives in pool.
 * HM_EMALFORMED (truncated, unknown type byte, trailing bytes), HM_ETOOBIG (depth or count). */
apr_status_t ow_props_decode(const uint8_t *p, size_t len, apr_pool_t *pool, ow_pmap_t **out);

/* Encodes a map (or a list, written as a bare list) the way MarshallingSupport does. */
apr_status_t ow_props_encode(const ow_pmap_t *map, hm_wbuf_t *out);

/* StreamMessage bodies: typed values back to back (no count), as a list. */
apr_status_t ow_stream_body_decode(const uint8_t *p, size_t len, apr_pool_t *pool, ow_pmap_t **out);
apr_status_t ow_stream_body_encode(const ow_pmap_t *list, hm_wbuf_t *out);

/* The entry with that name (first match), or NULL. */
const ow_pvalue_t *ow_props_get(const ow_pmap_t *map, const char *name);

/* Building: an empty map/list in pool, and appending (the value is copied shallowly; names and
 * strings must outlive the map).  APR_ENOMEM or HM_ETOOBIG. */
ow_pmap_t *ow_props_new(apr_pool_t *pool, int is_list);
apr_status_t ow_props_add(ow_pmap_t *map, apr_pool_t *pool, const char *name,
                          const ow_pvalue_t *value);

/* Text message bodies (ActiveMQTextMessage.content): an int length (-1 = null text) and that
 * many bytes of modified UTF-8 (MarshallingSupport.writeUTF8).  When the message is compressed
 * the content is zlib data and is inflated here (limit OW_MAX_INFLATED_TEXT).
 * *text is NUL-terminated in pool (NULL for a null text), *len its length.  HM_EMALFORMED,
 * HM_ETOOBIG. */
apr_status_t ow_text_decode(const uint8_t *content, size_t content_len, int compressed,
                            apr_pool_t *pool, const char **text, size_t *len);
/* Inflates zlib data (any message body whose `compressed` flag is set: text, map, bytes...)
 * into pool, producing at most max bytes (HM_ETOOBIG beyond; HM_EMALFORMED for bad data or a
 * wrong Adler-32).  out is NUL-terminated for convenience; out_len excludes the NUL. */
apr_status_t ow_inflate(const uint8_t *in, size_t len, size_t max, apr_pool_t *pool,
                        uint8_t **out, size_t *out_len);

/* Encodes text (NULL = null text) as an uncompressed content body into out. */
apr_status_t ow_text_encode(const char *text, size_t len, hm_wbuf_t *out);

#endif
