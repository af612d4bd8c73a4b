/* AMQP sections and the JMS mapping (amqp_jms.c), as Artemis and Qpid JMS define it: the body
 * sections and x-opt-jms-msg-type <-> the JMS message kinds, application-properties <-> JMS
 * properties, message-id and correlation-id <-> their JMS texts.  Below amqp_msg.h, which keeps
 * AMQP messages in the core. */
#ifndef AMQP_JMS_H
#define AMQP_JMS_H

#include <string.h>

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
