/* OpenWire codec internals shared between its files. */
#ifndef OW_INT_H
#define OW_INT_H

#include <apr_hash.h>

#include "hm_rd.h"
#include "ow_codec.h"

/* How one field travels (BaseDataStreamMarshaller's primitives). */
enum {
    OW_K_BYTE = 1,   /* int8_t: one byte */
    OW_K_BOOL,       /* int: a bit in the BooleanStream (tight) or a byte (loose) */
    OW_K_INT,        /* int32_t: 4 bytes */
    OW_K_LONG,       /* int64_t: tight = 2 bits + 0/2/4/8 bytes, loose = 8 bytes */
    OW_K_STRING,     /* char *: null bit, ascii bit, length-prefixed bytes / readUTF */
    OW_K_BYTES,      /* ow_bytes_t: null bit, int length, bytes (byte[] and ByteSequence) */
    OW_K_CONST,      /* ow_bytes_t of exactly const_len bytes, no null marker */
    OW_K_NESTED,     /* pointer: null bit, type byte, the structure */
    OW_K_CACHED,     /* pointer: a nested object through the marshal cache when enabled */
    OW_K_ARRAY,      /* pointer array: null bit, short count, nested objects */
    OW_K_THROWABLE   /* ow_throwable_t * */
};

typedef struct ow_field_s {
    uint8_t kind;
    uint8_t min_ver, max_ver;  /* protocol versions that marshal this field */
    uint8_t cons;              /* index into ow_constraints: type codes a pointer may hold */
    uint16_t const_len;
    uint16_t off;              /* offsetof in the C struct */
    uint16_t count_off;        /* OW_K_ARRAY: offsetof the int32_t count */
    const char *name;
} ow_field_t;

typedef struct ow_type_desc_s {
    uint8_t code;
    uint8_t min_ver;           /* first protocol version with a marshaller for it */
    uint8_t is_command;
    uint8_t marshal_aware;     /* Java isMarshallAware(): an extra bit when nested (tight) */
    uint16_t size;             /* bytes to allocate */
    const char *name;          /* Java simple class name */
    const ow_field_t *fields;
    uint16_t nfields;
} ow_type_desc_t;

extern const ow_type_desc_t ow_type_descs[];
extern const size_t ow_type_desc_count;
extern const ow_type_desc_t *const ow_type_by_code[256];
extern const uint8_t ow_constraints[][32];
extern const char *const ow_constraint_names[];
extern const size_t ow_constraint_count;

/* The descriptor of a type code, or NULL; _v also requires a marshaller in that version. */
const ow_type_desc_t *ow_desc(uint8_t type);
const ow_type_desc_t *ow_desc_v(uint8_t type, int version);
int ow_cons_allows(uint8_t cons, uint8_t type);

struct ow_wire_s {
    apr_pool_t *pool;
    ow_wire_opts_t pref;           /* our preferences */
    int32_t version;
    int tight, cache, stack_trace, size_prefix_disabled, tcp_no_delay, negotiated;
    int64_t max_frame_size;
    int64_t peer_inactivity, peer_inactivity_delay;
    int32_t cache_size;            /* entries in each cache array */
    /* inbound: the peer's cache, objects as flat malloc'd copies */
    ow_object_t **in_cache;
    /* outbound: index -> key (malloc'd canonical bytes), key -> index + 1 in out_map */
    uint8_t **out_keys;
    size_t *out_key_lens;
    apr_hash_t *out_map;
    apr_pool_t *map_pool;
    int32_t out_next, out_evict, out_used;
    char err[OW_ERROR_TEXT_LEN];
};

/* Records a formatted reason in w->err and returns st. */
apr_status_t ow_fail(ow_wire_t *w, apr_status_t st, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Body decoders/encoders of one structure (no type byte, no frame header). */
apr_status_t ow_unmarshal_body(ow_wire_t *w, hm_rd_t *rd, apr_pool_t *pool, uint8_t type,
                               ow_object_t **out);
apr_status_t ow_marshal_body(ow_wire_t *w, const ow_object_t *o, hm_wbuf_t *out);
void ow_cache_reset(ow_wire_t *w);

/* Outbound cache: find a canonical key (ow_object_key) -> its index; add takes the key's
 * memory and returns the index used, or -1 when the cache is full. */
apr_status_t ow_object_key(const ow_object_t *o, hm_wbuf_t *key);
int ow_out_cache_find(ow_wire_t *w, const uint8_t *key, size_t len, int16_t *idx);
int16_t ow_out_cache_add(ow_wire_t *w, hm_wbuf_t *key);

/* Strings as they travel: validation of Java modified UTF-8 (readUTF rules), conversion of the
 * tight "ascii" form (bytes as Latin-1) into modified UTF-8. */
int ow_mutf8_valid(const uint8_t *p, size_t n);
char *ow_latin1_to_mutf8(apr_pool_t *pool, const uint8_t *p, size_t n);
char *ow_mutf8_copy(apr_pool_t *pool, const uint8_t *p, size_t n);
int ow_str_is_ascii(const char *s, size_t n);

#endif
