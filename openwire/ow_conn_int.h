/* The OpenWire adapter's per-connection state, shared by its files: ow_adapter.c (the protocol
 * table, the state gate and the command switch), ow_session.c, ow_send.c, ow_txcmd.c, ow_reply.c.
 * The codec and conversions are in ow_adapter_int.h. */
#ifndef OW_CONN_INT_H
#define OW_CONN_INT_H

#include <apr_hash.h>
#include <apr_thread_mutex.h>

#include "hm_core.h"
#include "ow_adapter_int.h"
#include "ow_codec.h"

#define JMS_EXC           "javax.jms.JMSException"
#define INVALID_DEST_EXC  "javax.jms.InvalidDestinationException"
#define INVALID_SEL_EXC   "javax.jms.InvalidSelectorException"
#define INVALID_CLID_EXC  "javax.jms.InvalidClientIDException"
#define SECURITY_EXC      "javax.jms.JMSSecurityException"
#define RESOURCE_EXC      "javax.jms.ResourceAllocationException"
#define MSG_FORMAT_EXC    "javax.jms.MessageFormatException"
#define NO_DEST_EXC       "org.apache.activemq.DestinationDoesNotExistException"
#define XA_EXC            "javax.transaction.xa.XAException"
#define OW_MAX_RECOVER    4096   /* prepared branches listed by one recover */

/* TransactionInfo types (ActiveMQ's TransactionInfo constants). */
enum { TX_BEGIN = 0, TX_PREPARE = 1, TX_COMMIT_ONE_PHASE = 2, TX_COMMIT_TWO_PHASE = 3,
       TX_ROLLBACK = 4, TX_RECOVER = 5, TX_FORGET = 6, TX_END = 7 };

typedef struct ow_conn_s ow_conn_t;

typedef struct ow_cons_s {
    ow_conn_t *oc;
    hm_consumer_t *hc;
    char *key;                     /* malloc'd hash key */
    ow_consumer_id_t *id;          /* flat copy */
    ow_destination_t *dest;        /* flat copy */
    int64_t session_id;
    apr_pool_t *scratch;           /* encoding deliveries (under the broker lock) */
} ow_cons_t;

/* Lives until the connection is closed AND every store completion it waits for has run: those
 * arrive on the store's thread and answer through ow_emit(), which checks `closed` first. */
struct ow_conn_s {
    volatile apr_uint32_t refs;
    int closed;                    /* under wlock: the connection (and its pool) is gone */
    apr_pool_t *own;               /* holds wlock; outlives the connection's pool */
    hm_conn_t *conn;
    hm_broker_t *b;
    apr_pool_t *pool;
    apr_pool_t *scratch;           /* cleared after each frame */
    ow_wire_t *wire;
    apr_thread_mutex_t *wlock;     /* encoding + queueing output */
    hm_client_t *client;
    char *connection_id;
    apr_hash_t *consumers;         /* key -> ow_cons_t */
    apr_hash_t *producer_windows;  /* producers with a window: an owned key set */
    apr_hash_t *txs;               /* local transaction key -> ow_tx_t */
    apr_hash_t *xa_joined;         /* XA branches this connection works on: an owned key set */
    hm_flow_t *flow;               /* the core holds sends for space here (with the client) */
    int paused;                    /* input paused behind a held send (hm_flow_ops_t.pause) */
    apr_time_t last_read, last_write, started;
    int64_t inactivity_ms, initial_delay_ms;
    apr_time_t refusal_at;         /* a refused login is answered then (input paused till) */
    int32_t refusal_command_id;
    char refusal[512];
};

/* A request answered when the store has made it durable (a persistent send or an ack). */
typedef struct pending_s {
    ow_conn_t *oc;
    int32_t command_id;
    int response_required;
    ow_producer_id_t *window_producer;   /* flat copy: answer with a ProducerAck */
    int32_t size;
    int int_response;              /* answer with an IntegerResponse (XA prepare) */
    int32_t int_result;
    ow_transaction_id_t *txid;     /* flat copy: a transacted send joins it when admitted */
} pending_t;

/* ---- Output and replies (ow_reply.c) */
char *ow_id_key(const char *connection, int64_t session, int64_t value);
char *ow_consumer_key(const ow_consumer_id_t *id);
char *ow_producer_key(const ow_producer_id_t *id);
int ow_key_set_add(apr_hash_t *set, char *k);
void ow_key_set_remove(apr_hash_t *set, const char *k);
void ow_key_set_clear(apr_hash_t *set);
ow_cons_t *ow_find_consumer(ow_conn_t *oc, const ow_consumer_id_t *id);
void ow_conn_unref(ow_conn_t *oc);
apr_status_t ow_emit(ow_conn_t *oc, const ow_command_t *cmd);
void ow_respond_ok(ow_conn_t *oc, const ow_command_t *req);
void ow_connection_error(ow_conn_t *oc, const char *exc_class, const char *message);
void ow_login_refusal_due(ow_conn_t *oc, apr_time_t now);
void ow_respond_error_id(ow_conn_t *oc, int32_t command_id, const char *exc_class,
                             const char *message);
void ow_respond_error(ow_conn_t *oc, const ow_command_t *req, const char *exc_class,
                          const char *message);
pending_t *ow_pending_new(ow_conn_t *oc, const ow_command_t *cmd);
void ow_pending_free(pending_t *p);
void ow_pending_done(void *baton, apr_status_t st);

/* ---- Connections, sessions, consumers, producers (ow_session.c) */
void ow_close_all(ow_conn_t *oc);
void ow_on_connection_info(ow_conn_t *oc, ow_connection_info_t *ci);
void ow_on_consumer_info(ow_conn_t *oc, ow_consumer_info_t *ci);
void ow_on_remove(ow_conn_t *oc, ow_remove_info_t *ri);
void ow_on_producer_info(ow_conn_t *oc, ow_producer_info_t *pi);
void ow_on_destination_info(ow_conn_t *oc, ow_destination_info_t *di);
void ow_on_ack(ow_conn_t *oc, ow_message_ack_t *a);
void ow_on_pull(ow_conn_t *oc, ow_message_pull_t *p);
void ow_on_consumer_control(ow_conn_t *oc, ow_consumer_control_t *cc);

/* ---- The send path and held sends (ow_send.c) */
extern const hm_flow_ops_t ow_flow_ops;
apr_status_t ow_on_message(ow_conn_t *oc, ow_message_t *m);

/* ---- Transactions (ow_txcmd.c) */
apr_hash_t *ow_tx_table(ow_conn_t *oc, const ow_transaction_id_t *id);
unsigned ow_tx_limit(const ow_transaction_id_t *id);
void ow_tx_table_done(const ow_transaction_id_t *id);
void ow_on_transaction_info(ow_conn_t *oc, ow_transaction_info_t *ti);

#endif
