/* AMQP 1.0 messages and the core's neutral message (amqp_msg.c, amqp_jms.c).
 *
 * A message that comes in by AMQP keeps its bytes: everything from its message-annotations on,
 * exactly as sent (the hop-by-hop header and delivery-annotations are taken off).  The core reads
 * its headers, properties and application-properties from them once; a delivery over AMQP is a
 * fresh header (with the delivery count) followed by those bytes, so annotations, footer and
 * every non-JMS type travel untouched.  Leaving by another protocol, its neutral content
 * (hm_content_t) is made on demand with the JMS mapping of Artemis and Qpid JMS (amqp_jms.c);
 * a foreign message comes to AMQP the same way back. */
#ifndef AMQP_MSG_H
#define AMQP_MSG_H

#include <proton/codec.h>

#include "hm_core.h"
#include "hm_wbuf.h"

/* A pn_bytes_t equal to a string literal. */
#define BYTES_IS(b, lit) ((b).size == sizeof(lit) - 1 && memcmp((b).start, lit, sizeof(lit) - 1) == 0)

/* Section descriptors (AMQP 1.0 part 3.2). */
enum {
    AMQP_SEC_HEADER = 0x70, AMQP_SEC_DELIVERY_ANN = 0x71, AMQP_SEC_MESSAGE_ANN = 0x72,
    AMQP_SEC_PROPERTIES = 0x73, AMQP_SEC_APP_PROPS = 0x74, AMQP_SEC_DATA = 0x75,
    AMQP_SEC_SEQUENCE = 0x76, AMQP_SEC_VALUE = 0x77, AMQP_SEC_FOOTER = 0x78
};

/* x-opt-jms-msg-type (Qpid JMS, Artemis, ActiveMQ). */
enum { AMQP_JMS_MESSAGE = 0, AMQP_JMS_OBJECT = 1, AMQP_JMS_MAP = 2, AMQP_JMS_BYTES = 3,
       AMQP_JMS_STREAM = 4, AMQP_JMS_TEXT = 5 };

/* What the link a message arrived on says about where it goes. */
typedef struct amqp_in_ctx_s {
    hm_dname_t dest;               /* the link's target; name NULL: anonymous relay, use `to` */
    const char *id_prefix;         /* for a message without a message-id: "<prefix>:<seq>" */
    uint64_t id_seq;
    pn_data_t *scratch;            /* a reusable decoder (cleared here) */
} amqp_in_ctx_t;

/* A complete incoming message (the bytes of its transfers) as a core message with one
 * reference.  HM_EMALFORMED: the sections do not parse (*why says how); HM_EINVAL: it names no
 * destination (*why). */
apr_status_t amqp_msg_from_wire(const uint8_t *p, size_t len, const amqp_in_ctx_t *in,
                                hm_msg_t **out, const char **why);

/* Appends the bytes of one delivery of m over AMQP (its delivery count: redelivery_count) to
 * out, whichever protocol it came by.  HM_EMALFORMED/APR_ENOMEM when it cannot be expressed. */
apr_status_t amqp_msg_to_wire(const hm_msg_t *m, int32_t redelivery_count, pn_data_t *scratch,
                              hm_wbuf_t *out);

/* A destination from an address: queue://, topic://, temp-queue://, temp-topic:// or bare (a
 * queue, or the kind given: 0 queue, 1 topic, 2 temporary queue, 3 temporary topic, as
 * x-opt-jms-dest says; -1: none).  The name points into addr; NULL for an empty address. */
hm_dname_t amqp_address_dest(const char *addr, int kind);

/* Whether m came in by AMQP (its bytes are kept). */
int amqp_msg_is_amqp(const hm_msg_t *m);

/* ---- the JMS mapping (amqp_jms.c) */

/* The neutral content of an AMQP message's kept bytes (application-properties and body). */
apr_status_t amqp_jms_export(const uint8_t *p, size_t len, apr_pool_t *pool, hm_content_t *out);
/* A foreign message's delivery: header, message-annotations, properties, application-properties
 * and body made from the core message and its neutral content. */
apr_status_t amqp_jms_import(const hm_msg_t *m, int32_t redelivery_count, const hm_content_t *c,
                             pn_data_t *d, hm_wbuf_t *out);
/* Encodes d's contents (one or more sections) at the end of out. */
apr_status_t amqp_data_append(pn_data_t *d, hm_wbuf_t *out);
/* The text form of a message-id or correlation-id value at d's cursor, as Qpid JMS names it
 * (ID:AMQP_ULONG:..., ID:AMQP_UUID:..., ID:AMQP_BINARY:..., ID:AMQP_NO_PREFIX:...); correlation
 * strings stay as they are.  NULL for a null or unknown type. */
char *amqp_id_text(pn_data_t *d, int correlation, char *buf, size_t cap);
/* Puts a JMS id text back as the AMQP value Qpid JMS would send. */
void amqp_id_put(pn_data_t *d, const char *text, int correlation);

#endif
