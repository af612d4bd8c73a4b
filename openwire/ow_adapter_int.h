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

#define OW_MAX_DEAD_LETTER_PROPS (64u << 20)   /* bytes of properties a dead letter may carry */
#define OW_STORE_CODEC 1      /* the codec byte of stored OpenWire messages */
#define OW_MALFORMED_PROPS "malformed message properties"

/* A core message for a decoded OpenWire message (kept as one flat copy).  NULL when memory is
 * short or the properties are malformed (*why says which). */
hm_msg_t *ow_msg_to_core(const ow_message_t *m, apr_pool_t *scratch, const char **why);
/* The OpenWire message to dispatch for a core message: the original for messages that came in
 * over OpenWire, otherwise one built in pool (advisories). */
ow_message_t *ow_msg_from_core(const hm_msg_t *m, apr_pool_t *pool);
/* A message the broker itself makes, in pool: id, destination and headers of the core message m
 * (type: its OpenWire message class). */
ow_message_t *ow_broker_message(const hm_msg_t *m, apr_pool_t *pool, uint8_t type);
/* The ActiveMQMessage for a core advisory (ow_advisory.c): ActiveMQ's data structure
 * (ConnectionInfo, ConsumerInfo, ProducerInfo, RemoveInfo, DestinationInfo or the message
 * concerned, body cleared) and properties (originBroker*, consumerCount, ...).  NULL: no memory. */
ow_message_t *ow_advisory_message(const hm_msg_t *m, apr_pool_t *pool);
/* The neutral content (hm_content.h) of an OpenWire message, in pool (ow_content.c). */
apr_status_t ow_content_export(const ow_message_t *m, apr_pool_t *pool, hm_content_t *out);
/* The ActiveMQ message for a message that came in by another protocol: its class from the body
 * kind, headers from hm, properties and body from c.  NULL when it cannot be expressed. */
ow_message_t *ow_content_import(const hm_msg_t *hm, const hm_content_t *c, apr_pool_t *pool);

/* Appends neutral entries to a property map (names and strings to modified UTF-8). */
apr_status_t ow_content_append(ow_pmap_t *m, const hm_entry_t *e, int n, apr_pool_t *pool);

/* ActiveMQ's Message.getSize(): what producer flow-control windows count. */
int32_t ow_msg_size(const ow_message_t *m);

/* Transactions (ow_tx.c): what a transaction collected until it commits or rolls back. */
#define OW_MAX_TX_OPS (1 << 20)       /* sends + acks in one transaction */
#define OW_MAX_OPEN_TXS 4096           /* local transactions open on one connection */
#define OW_MAX_OPEN_XA 65536           /* XA branches being worked on, broker-wide */
typedef struct ow_tx_s ow_tx_t;
char *ow_tx_key(const ow_transaction_id_t *id);
ow_tx_t *ow_tx_find(apr_hash_t *txs, const ow_transaction_id_t *id);
/* NULL when out of memory or the table already holds `max` transactions. */
ow_tx_t *ow_tx_begin(apr_hash_t *txs, const ow_transaction_id_t *id, unsigned max);
apr_status_t ow_tx_add_msg(ow_tx_t *tx, hm_msg_t *m);
apr_status_t ow_tx_add_ack(ow_tx_t *tx, uint64_t consumer, const char *message_id, int kind);
/* The process-wide table of XA branches being worked on (locked while in use). */
apr_hash_t *ow_xa_lock(void);
void ow_xa_unlock(void);
void ow_tx_join(ow_tx_t *tx);
int ow_tx_leave(ow_tx_t *tx);
int ow_tx_empty(const ow_tx_t *tx);
int ow_tx_is_xa(const ow_tx_t *tx);
apr_status_t ow_tx_commit(ow_tx_t *tx, hm_client_t *client, hm_send_done_fn done, void *baton,
                          char *err, size_t errlen);
apr_status_t ow_tx_prepare(ow_tx_t *tx, hm_client_t *client, hm_send_done_fn done, void *baton,
                           char *err, size_t errlen);
apr_status_t ow_xid(const ow_transaction_id_t *id, hm_xid_t *out);
void ow_tx_end(apr_hash_t *txs, ow_tx_t *tx);

#endif
