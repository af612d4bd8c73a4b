/* Internals shared by the OpenWire adapter's files (not the codec's). */
#ifndef OW_ADAPTER_INT_H
#define OW_ADAPTER_INT_H

#include <apr_hash.h>
#include <apr_thread_mutex.h>

#include "hm_core.h"
#include "ow_codec.h"
#include "ow_props.h"

/* ActiveMQ's MessageAck types. */
enum {
    OW_ACK_DELIVERED = 0, OW_ACK_POISON = 1, OW_ACK_STANDARD = 2, OW_ACK_REDELIVERED = 3,
    OW_ACK_INDIVIDUAL = 4, OW_ACK_UNMATCHED = 5, OW_ACK_EXPIRED = 6
};

/* Converts the wire's destination to the core's name (NULL name if d is NULL). */
hm_dname_t ow_dname(const ow_destination_t *d);
/* The core's destination as an OpenWire destination in pool. */
ow_destination_t *ow_destination_from(apr_pool_t *pool, hm_dname_t d);
/* MessageId.toString(): "<connection id>:<session>:<producer>:<sequence>" in pool. */
char *ow_message_id_string(apr_pool_t *pool, const ow_message_id_t *id);

#define OW_STORE_CODEC 1      /* the codec byte of stored OpenWire messages */
#define OW_MALFORMED_PROPS "malformed message properties"

/* A core message for a decoded OpenWire message (kept as one flat copy).  NULL when memory is
 * short or the properties are malformed (*why says which). */
hm_msg_t *ow_msg_to_core(const ow_message_t *m, apr_pool_t *scratch, const char **why);
/* The OpenWire message to dispatch for a core message: the original for messages that came in
 * over OpenWire, otherwise one built in pool (advisories). */
ow_message_t *ow_msg_from_core(const hm_msg_t *m, apr_pool_t *pool);
/* ActiveMQ's Message.getSize(): what producer flow-control windows count. */
int32_t ow_msg_size(const ow_message_t *m);

#endif
