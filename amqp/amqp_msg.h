/* AMQP 1.0 messages and the core's neutral message (amqp_msg.c; the JMS mapping: amqp_jms.h).
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

#include "amqp_jms.h"
#include "hm_core.h"
#include "hm_wbuf.h"

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

#endif
