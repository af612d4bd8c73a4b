/* The protocol-neutral content of a message: typed application properties and a body with its
 * kind.  A message keeps its protocol's own form (origin_data); the neutral content is made on
 * demand (hm_msg_content), only when the message leaves by another protocol than it came in by,
 * so a message that crosses one protocol untouched is never decoded into it.
 *
 * Values cover every JMS type and null, and the nested maps and lists AMQP (and ActiveMQ's
 * MarshallingSupport) allow.  Strings are standard UTF-8 (any byte, NUL included, with its
 * length); names are NUL-terminated UTF-8. */
#ifndef HM_CONTENT_H
#define HM_CONTENT_H

#include <stddef.h>
#include <stdint.h>

#include <apr_pools.h>

#include "hm_status.h"

typedef enum {
    HM_V_NULL, HM_V_BOOL, HM_V_BYTE, HM_V_SHORT, HM_V_CHAR, HM_V_INT, HM_V_LONG, HM_V_FLOAT,
    HM_V_DOUBLE, HM_V_STRING, HM_V_BYTES, HM_V_MAP, HM_V_LIST
} hm_vtype_e;

typedef struct hm_entry_s hm_entry_t;

typedef struct hm_value_s {
    hm_vtype_e type;
    union {
        int b;                      /* BOOL */
        int8_t i8;                  /* BYTE */
        int16_t i16;                /* SHORT */
        uint16_t ch;                /* CHAR: a UTF-16 unit, as Java's char */
        int32_t i32;                /* INT */
        int64_t i64;                /* LONG */
        float f;                    /* FLOAT */
        double d;                   /* DOUBLE */
        struct { const char *p; size_t len; } s;          /* STRING (UTF-8) */
        struct { const uint8_t *p; size_t len; } bytes;   /* BYTES */
        struct { const hm_entry_t *e; int n; } map;       /* MAP, LIST (entries without names) */
    } u;
} hm_value_t;

struct hm_entry_s {
    const char *name;               /* NULL in a list */
    hm_value_t v;
};

typedef enum {
    HM_BODY_NONE,                   /* a plain message */
    HM_BODY_TEXT,                   /* body: STRING (or NULL: a null text) */
    HM_BODY_BYTES,                  /* body: BYTES */
    HM_BODY_MAP,                    /* body: MAP */
    HM_BODY_STREAM,                 /* body: LIST */
    HM_BODY_OBJECT,                 /* body: BYTES, a serialized object: opaque, never read */
    HM_BODY_OTHER                   /* body: BYTES in an encoding named by body_type */
} hm_body_kind_e;

typedef struct hm_content_s {
    const hm_entry_t *props;        /* application properties, in their order */
    int nprops;
    hm_body_kind_e kind;
    hm_value_t body;
    const char *body_type;          /* OTHER: the encoding ("amqp-value", ...); else NULL */
} hm_content_t;

/* Exact equality, types included (floating point compared bit for bit; maps in order). */
int hm_value_equal(const hm_value_t *a, const hm_value_t *b);
int hm_content_equal(const hm_content_t *a, const hm_content_t *b);

#endif
