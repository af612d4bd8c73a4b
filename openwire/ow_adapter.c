/* The OpenWire adapter: turns the commands of one OpenWire connection into core calls, and the
 * core's deliveries into MessageDispatch frames.
 *
 * Threads: input and ticks run on the connection's loop thread; deliveries arrive from whichever
 * thread routed the message (with the broker lock held).  Encoding shares the connection's
 * marshal cache, so every encode-and-queue happens under `wlock`. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <apr_atomic.h>
#include <apr_strings.h>
#include <apr_thread_mutex.h>

#include "hm_limits.h"
#include "hm_log.h"
#include "ow_adapter.h"
#include "ow_adapter_int.h"

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

/* Frames handled per input call: the server flushes output in between. */
#define OW_FRAMES_PER_INPUT 64

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
 * arrive on the store's thread and answer through emit(), which checks `closed` first. */
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
    struct parked_s *parked;       /* sends held by flow control or a full store (FIFO) */
    hm_space_waiter_t waiter;      /* armed while sends are held: memory freed somewhere */
    int paused;                    /* input paused behind a held async send (no window) */
    struct parked_s **parked_tail;
    int nparked;
    apr_time_t last_read, last_write, started;
    int64_t inactivity_ms, initial_delay_ms;
};

/* "<connection>:<session>:<value>", malloc'd: the key of a consumer or producer id. */
static char *id_key(const char *connection, int64_t session, int64_t value)
{
    char buf[64];
    int n = snprintf(buf, sizeof buf, ":%" APR_INT64_T_FMT ":%" APR_INT64_T_FMT, session, value);
    const char *conn = connection ? connection : "";
    size_t cl = strlen(conn);
    char *k = malloc(cl + (size_t)n + 1);
    if (k) {
        memcpy(k, conn, cl);
        memcpy(k + cl, buf, (size_t)n + 1);
    }
    return k;
}

static char *consumer_key(const ow_consumer_id_t *id)
{
    return id_key(id->connection_id, id->session_id, id->value);
}

static char *producer_key(const ow_producer_id_t *id)
{
    return id_key(id->connection_id, id->session_id, id->value);
}

/* Key sets whose malloc'd keys the table owns (stored as their own values), so removing a key
 * frees it: a long-lived connection's sets do not grow with what it did in the past. */
static int key_set_add(apr_hash_t *set, char *k)
{
    if (apr_hash_get(set, k, APR_HASH_KEY_STRING)) {
        free(k);
        return 0;
    }
    apr_hash_set(set, k, APR_HASH_KEY_STRING, k);
    return 1;
}

static void key_set_remove(apr_hash_t *set, const char *k)
{
    char *owned = apr_hash_get(set, k, APR_HASH_KEY_STRING);
    if (owned) {
        apr_hash_set(set, k, APR_HASH_KEY_STRING, NULL);
        free(owned);
    }
}

static void key_set_clear(apr_hash_t *set)
{
    apr_hash_index_t *hi;
    while ((hi = apr_hash_first(NULL, set)) != NULL)
        key_set_remove(set, apr_hash_this_key(hi));
}

static ow_cons_t *find_consumer(ow_conn_t *oc, const ow_consumer_id_t *id)
{
    if (!id)
        return NULL;
    char *k = consumer_key(id);
    ow_cons_t *c = k ? apr_hash_get(oc->consumers, k, APR_HASH_KEY_STRING) : NULL;
    free(k);
    return c;
}

static void conn_unref(ow_conn_t *oc)
{
    if (apr_atomic_dec32(&oc->refs) == 0) {
        apr_pool_destroy(oc->own);
        free(oc);
    }
}

/* Encodes one command and queues it.  Returns the codec's status (logged on failure). */
static apr_status_t emit(ow_conn_t *oc, const ow_command_t *cmd)
{
    hm_wbuf_t wb;
    apr_thread_mutex_lock(oc->wlock);
    if (oc->closed) {
        apr_thread_mutex_unlock(oc->wlock);
        return HM_ECLOSED;
    }
    hm_wbuf_init(&wb, (size_t)ow_wire_max_frame_size(oc->wire) + 64);
    apr_status_t st = ow_encode(oc->wire, cmd, &wb);
    if (st == APR_SUCCESS) {
        size_t len;
        uint8_t *data = hm_wbuf_detach(&wb, &len);
        hm_conn_send(oc->conn, data, len);
        oc->last_write = apr_time_now();
    } else {
        hm_warn("openwire %s: cannot encode %s: %s", hm_conn_peer(oc->conn),
                cmd ? ow_type_name(cmd->obj.type) : "null", ow_wire_error(oc->wire));
    }
    apr_thread_mutex_unlock(oc->wlock);
    hm_wbuf_free(&wb);
    return st;
}

static void respond_ok_id(ow_conn_t *oc, int32_t command_id)
{
    ow_response_t r = { { { OW_RESPONSE }, 0, 0 }, command_id };
    emit(oc, &r.cmd);
}

static void respond_ok(ow_conn_t *oc, const ow_command_t *req)
{
    if (req->response_required)
        respond_ok_id(oc, req->command_id);
}

static void respond_error_id(ow_conn_t *oc, int32_t command_id, const char *exc_class,
                             const char *message)
{
    ow_throwable_t t = { (char *)exc_class, (char *)message, NULL, 0, NULL };
    ow_exception_response_t r = { { { OW_EXCEPTION_RESPONSE }, 0, 0 }, command_id, &t };
    emit(oc, &r.cmd);
}

static void respond_error(ow_conn_t *oc, const ow_command_t *req, const char *exc_class,
                          const char *message)
{
    hm_info("openwire %s: %s refused: %s: %s", hm_conn_peer(oc->conn),
            ow_type_name(req->obj.type), exc_class, message);
    if (req->response_required)
        respond_error_id(oc, req->command_id, exc_class, message);
}

/* A request answered when the store has made it durable (a persistent send or an ack). */
typedef struct pending_s {
    ow_conn_t *oc;
    int32_t command_id;
    int response_required;
    ow_producer_id_t *window_producer;   /* flat copy: answer with a ProducerAck */
    int32_t size;
    int int_response;              /* answer with an IntegerResponse (XA prepare) */
    int32_t int_result;
} pending_t;

static pending_t *pending_new(ow_conn_t *oc, const ow_command_t *cmd)
{
    pending_t *p = calloc(1, sizeof *p);
    if (!p)
        return NULL;
    apr_atomic_inc32(&oc->refs);
    p->oc = oc;
    p->command_id = cmd->command_id;
    p->response_required = cmd->response_required;
    return p;
}

static void pending_free(pending_t *p)
{
    ow_conn_t *oc = p->oc;
    free(p->window_producer);
    free(p);
    conn_unref(oc);
}

/* Runs on whichever thread completed the store commit (or inline without a store). */
static void pending_done(void *baton, apr_status_t st)
{
    pending_t *p = baton;
    ow_conn_t *oc = p->oc;
    if (st != APR_SUCCESS) {
        hm_warn("openwire: a request of %s failed in the store: %s", oc->connection_id ? oc->connection_id : "?",
                hm_strerror(st));
        if (p->response_required)
            respond_error_id(oc, p->command_id, st == HM_ENOSPACE ? RESOURCE_EXC : JMS_EXC,
                             st == HM_ENOSPACE ? "the message store is full (storeUsage limit)"
                                               : hm_strerror(st));
    } else if (p->response_required && p->int_response) {
        ow_integer_response_t r = { { { OW_INTEGER_RESPONSE }, 0, 0 }, p->command_id, p->int_result };
        emit(oc, &r.cmd);
    } else if (p->response_required) {
        respond_ok_id(oc, p->command_id);
    } else if (p->window_producer) {
        ow_producer_ack_t pa = { { { OW_PRODUCER_ACK }, 0, 0 }, p->window_producer, p->size };
        emit(oc, &pa.cmd);
    }
    pending_free(p);
}

/* ------------------------------------------------------------------ deliveries */

static void dispatch(ow_cons_t *c, const ow_message_t *msg, int32_t redelivery, hm_dname_t dest)
{
    ow_message_dispatch_t d;
    memset(&d, 0, sizeof d);
    d.cmd.obj.type = OW_MESSAGE_DISPATCH;
    d.consumer_id = c->id;
    d.destination = c->dest;
    if (dest.name && msg)
        d.destination = ow_destination_from(c->scratch, dest);
    d.message = (ow_message_t *)msg;
    d.redelivery_counter = redelivery;
    emit(c->oc, &d.cmd);
}

static void on_deliver(void *ctx, hm_consumer_t *hc, hm_delivery_t *dl)
{
    ow_cons_t *c = ctx;
    ow_message_t *orig = ow_msg_from_core(dl->msg, c->scratch);
    if (!orig) {
        hm_warn("openwire %s: cannot express message %s over OpenWire; dropped from dispatch",
                hm_conn_peer(c->oc->conn), dl->msg->message_id ? dl->msg->message_id : "?");
        apr_pool_clear(c->scratch);
        return;
    }
    /* a shallow copy carries the per-delivery fields; the stored message stays untouched */
    ow_message_t m = *orig;
    ow_message_id_t mid;
    if (orig->message_id) {
        mid = *orig->message_id;
        mid.broker_sequence_id = (int64_t)dl->msg->broker_seq;
        m.message_id = &mid;
    }
    m.redelivery_counter = dl->redelivery_count;
    m.jms_xgroup_first_for_consumer = dl->group_first;
    m.broker_out_time = apr_time_as_msec(apr_time_now());
    dispatch(c, &m, dl->redelivery_count, dl->dest);
    apr_pool_clear(c->scratch);
}

/* A pull that found nothing, or a browser at its end: a dispatch without a message. */
static void on_empty(void *ctx, hm_consumer_t *hc)
{
    ow_cons_t *c = ctx;
    dispatch(c, NULL, 0, (hm_dname_t){ HM_QUEUE, NULL });
}

static const hm_consumer_ops_t consumer_ops = { on_deliver, on_empty };

/* ------------------------------------------------------------------ commands */

static void close_consumer(ow_conn_t *oc, ow_cons_t *c, uint64_t last_delivered)
{
    apr_hash_set(oc->consumers, c->key, APR_HASH_KEY_STRING, NULL);
    if (c->hc)
        hm_consumer_close(c->hc, last_delivered);
    apr_pool_destroy(c->scratch);
    free(c->key);
    free(c->id);
    free(c->dest);
    free(c);
}

static void drop_parked(ow_conn_t *oc);

static void close_all(ow_conn_t *oc)
{
    apr_hash_index_t *hi;
    drop_parked(oc);
    /* open transactions roll back with their connection; an XA branch once nobody else works
     * on it (a prepared one belongs to the broker and stays) */
    while ((hi = apr_hash_first(NULL, oc->txs)) != NULL)
        ow_tx_end(oc->txs, apr_hash_this_val(hi));
    for (hi = apr_hash_first(NULL, oc->xa_joined); hi; hi = apr_hash_next(hi)) {
        apr_hash_t *xa = ow_xa_lock();
        ow_tx_t *tx = apr_hash_get(xa, apr_hash_this_key(hi), APR_HASH_KEY_STRING);
        if (tx && ow_tx_leave(tx) <= 0)
            ow_tx_end(xa, tx);
        ow_xa_unlock();
    }
    key_set_clear(oc->xa_joined);
    key_set_clear(oc->producer_windows);
    while ((hi = apr_hash_first(NULL, oc->consumers)) != NULL)
        close_consumer(oc, apr_hash_this_val(hi), UINT64_MAX);
    if (oc->client) {
        hm_client_close(oc->client);
        oc->client = NULL;
    }
}

static void on_connection_info(ow_conn_t *oc, ow_connection_info_t *ci)
{
    char err[256];
    if (oc->client) {
        respond_error(oc, &ci->cmd, JMS_EXC, "connection already established");
        return;
    }
    const char *cid = ci->connection_id && ci->connection_id->value ? ci->connection_id->value : "";
    oc->connection_id = apr_pstrdup(oc->pool, cid);
    hm_client_info_t info = { cid, ci->client_id, ci->user_name,
                              ci->client_ip ? ci->client_ip
                                            : apr_pstrcat(oc->scratch, "tcp://", hm_conn_peer(oc->conn), NULL) };
    apr_status_t st = hm_client_open_info(oc->b, &info, &oc->client, err, sizeof err);
    if (st == HM_EEXISTS)
        respond_error(oc, &ci->cmd, INVALID_CLID_EXC, err);
    else if (st)
        respond_error(oc, &ci->cmd, JMS_EXC, hm_strerror(st));
    else
        respond_ok(oc, &ci->cmd);
}

static void on_consumer_info(ow_conn_t *oc, ow_consumer_info_t *ci)
{
    char err[512] = "";
    if (!ci->consumer_id || !ci->destination || !ci->destination->physical_name) {
        respond_error(oc, &ci->cmd, INVALID_DEST_EXC, "a consumer needs an id and a destination");
        return;
    }
    if (find_consumer(oc, ci->consumer_id)) {
        respond_error(oc, &ci->cmd, JMS_EXC, "a consumer with this id already exists");
        return;
    }
    if (apr_hash_count(oc->consumers) >= HM_MAX_CONSUMERS_PER_CLIENT) {
        respond_error(oc, &ci->cmd, RESOURCE_EXC, "too many consumers on this connection");
        return;
    }
    ow_cons_t *c = calloc(1, sizeof *c);
    if (!c || !(c->key = consumer_key(ci->consumer_id)) ||
        ow_object_copy_flat(&ci->consumer_id->obj, (ow_object_t **)&c->id, NULL) ||
        ow_object_copy_flat(&ci->destination->obj, (ow_object_t **)&c->dest, NULL) ||
        apr_pool_create(&c->scratch, NULL)) {
        if (c) {
            free(c->key);
            free(c->id);
            free(c->dest);
            free(c);
        }
        respond_error(oc, &ci->cmd, RESOURCE_EXC, "out of memory");
        return;
    }
    c->oc = oc;
    c->session_id = ci->consumer_id->session_id;
    apr_hash_set(oc->consumers, c->key, APR_HASH_KEY_STRING, c);
    hm_consumer_opts_t o = {
        .dest = ow_dname(ci->destination),
        .selector = ci->selector,
        .prefetch = ci->prefetch_size,
        .no_local = ci->no_local,
        .browser = ci->browser,
        .exclusive = ci->exclusive,
        .priority = ci->priority,
        .durable_name = ci->destination->obj.type == OW_ACTIVEMQ_TOPIC ? ci->subscription_name : NULL,
        .id = c->key,
    };
    apr_status_t st = hm_consumer_open(oc->client, &o, &consumer_ops, c, &c->hc, err, sizeof err);
    if (st) {
        close_consumer(oc, c, UINT64_MAX);
        respond_error(oc, &ci->cmd,
                      st == HM_ESELECTOR ? INVALID_SEL_EXC
                      : st == HM_EDENIED || st == HM_ENOTFOUND || st == HM_EINVAL ? INVALID_DEST_EXC
                      : JMS_EXC,
                      *err ? err : hm_strerror(st));
        return;
    }
    respond_ok(oc, &ci->cmd);
}

/* A closed session takes its producers with it (the client sends no RemoveInfo for them). */
static void forget_session_producers(ow_conn_t *oc, const ow_session_id_t *sid)
{
    char *prefix = id_key(sid->connection_id, sid->value, 0);
    char *colon = prefix ? strrchr(prefix, ':') : NULL;
    if (colon) {
        colon[1] = '\0';
        hm_producer_remove_prefix(oc->client, prefix);
    }
    free(prefix);
}

static void on_remove(ow_conn_t *oc, ow_remove_info_t *ri)
{
    ow_object_t *id = ri->object_id;
    if (!id) {
        respond_ok(oc, &ri->cmd);
        return;
    }
    switch (id->type) {
    case OW_CONSUMER_ID: {
        ow_cons_t *c = find_consumer(oc, (ow_consumer_id_t *)id);
        if (c) {
            int64_t last = ri->last_delivered_sequence_id;
            /* -1 (or 0 from old clients): nothing was seen, none counts as redelivered */
            close_consumer(oc, c, last > 0 ? (uint64_t)last : 0);
        }
        break;
    }
    case OW_SESSION_ID: {
        int64_t sid = ((ow_session_id_t *)id)->value;
        for (apr_hash_index_t *hi = apr_hash_first(oc->scratch, oc->consumers); hi; hi = apr_hash_next(hi)) {
            ow_cons_t *c = apr_hash_this_val(hi);
            if (c->session_id == sid)
                close_consumer(oc, c, UINT64_MAX);
        }
        forget_session_producers(oc, (ow_session_id_t *)id);
        break;
    }
    case OW_CONNECTION_ID:
        close_all(oc);
        break;
    case OW_PRODUCER_ID: {
        char *k = producer_key((ow_producer_id_t *)id);
        if (k) {
            key_set_remove(oc->producer_windows, k);
            hm_producer_remove(oc->client, k);
        }
        free(k);
        break;
    }
    default:
        break;
    }
    respond_ok(oc, &ri->cmd);
}

static void on_producer_info(ow_conn_t *oc, ow_producer_info_t *pi)
{
    if (pi->producer_id && pi->window_size > 0) {
        if (apr_hash_count(oc->producer_windows) >= HM_MAX_CONSUMERS_PER_CLIENT) {
            respond_error(oc, &pi->cmd, RESOURCE_EXC, "too many producers on this connection");
            return;
        }
        char *k = producer_key(pi->producer_id);
        if (k)
            key_set_add(oc->producer_windows, k);
    }
    if (pi->destination && ow_dname(pi->destination).kind <= HM_TOPIC)
        hm_dest_ensure(oc->b, ow_dname(pi->destination));
    if (pi->producer_id && pi->destination && pi->destination->physical_name) {
        char *k = producer_key(pi->producer_id);
        if (k && hm_producer_add(oc->client, k, ow_dname(pi->destination)) == HM_ENOSPACE) {
            free(k);
            respond_error(oc, &pi->cmd, RESOURCE_EXC, "too many producers on this connection");
            return;
        }
        free(k);
    }
    respond_ok(oc, &pi->cmd);
}

static void on_destination_info(ow_conn_t *oc, ow_destination_info_t *di)
{
    char err[256] = "";
    if (!di->destination || !di->destination->physical_name) {
        respond_error(oc, &di->cmd, INVALID_DEST_EXC, "DestinationInfo without a destination");
        return;
    }
    hm_dname_t d = ow_dname(di->destination);
    apr_status_t st;
    if (di->operation_type == 0)
        st = HM_KIND_IS_TEMP(d.kind) ? hm_temp_dest_create(oc->client, d) : hm_dest_ensure(oc->b, d);
    else
        st = HM_KIND_IS_TEMP(d.kind) ? hm_temp_dest_delete(oc->client, d, err, sizeof err) : APR_SUCCESS;
    if (st)
        respond_error(oc, &di->cmd, st == HM_EINVAL ? INVALID_DEST_EXC : JMS_EXC, *err ? err : hm_strerror(st));
    else
        respond_ok(oc, &di->cmd);
}

/* Where a transaction lives: XA branches in the process-wide table (locked until
 * tx_table_done), local ones on their connection. */
static apr_hash_t *tx_table(ow_conn_t *oc, const ow_transaction_id_t *id)
{
    return id->obj.type == OW_ACTIVEMQ_XA_TRANSACTION_ID ? ow_xa_lock() : oc->txs;
}

static unsigned tx_limit(const ow_transaction_id_t *id)
{
    return id->obj.type == OW_ACTIVEMQ_XA_TRANSACTION_ID ? OW_MAX_OPEN_XA : OW_MAX_OPEN_TXS;
}

static void tx_table_done(const ow_transaction_id_t *id)
{
    if (id->obj.type == OW_ACTIVEMQ_XA_TRANSACTION_ID)
        ow_xa_unlock();
}

/* A send held unanswered because a memory limit (producer flow control) or the full store
 * refused it: the producer blocks on its reply or on its window's ProducerAck, as with
 * ActiveMQ.  Only later sends to the same destination queue up behind it; the connection goes
 * on with everything else, except after an asynchronous send without a window, which ActiveMQ
 * answers by blocking the whole connection (here: its input pauses). */
typedef struct parked_s {
    struct parked_s *next;
    hm_msg_t *msg;
    pending_t *p;
    apr_time_t since;
    int pauses;                    /* async, no window: input stays paused while it waits */
    apr_status_t why;              /* HM_EFLOW (memory) or HM_ENOSPACE (store) */
    int64_t fail_after_ms;         /* refused once held this long; 0: held as long as it takes */
    ow_transaction_id_t *txid;     /* a transacted send: joins its transaction when it fits */
    char *producer;                /* ProducerId text for error messages (malloc'd) */
} parked_t;

#define FLOW_URL " See http://activemq.apache.org/producer-flow-control.html for more info"

/* ActiveMQ's ResourceAllocationException texts.  err is hm_send's for HM_EFLOW:
 * "<qualified destination>\n<limit>". */
static const char *flow_text(apr_pool_t *pool, apr_status_t st, const char *err,
                             const char *producer, int timed_out)
{
    if (st != HM_EFLOW)
        return "the message store is full (storeUsage limit)";
    const char *nl = strchr(err, '\n');
    char *dest = apr_pstrndup(pool, err, nl ? (size_t)(nl - err) : strlen(err));
    const char *limit = nl ? nl + 1 : "0";
    if (timed_out)
        return apr_psprintf(pool, "Usage Manager Memory Limit Wait Timeout. Stopping producer (%s) to "
                            "prevent flooding %s." FLOW_URL, producer, dest);
    if (strncmp(dest, "topic://", 8) == 0 || strncmp(dest, "temp-topic://", 13) == 0)
        return apr_psprintf(pool, "Usage Manager memory limit (%s) reached. Rejecting send for producer "
                            "(%s) to prevent flooding %s." FLOW_URL, limit, producer, dest);
    return apr_psprintf(pool, "Usage Manager Memory Limit reached on %s." FLOW_URL, dest);
}

static char *producer_text(const ow_producer_id_t *id)
{
    char *k = id ? producer_key(id) : NULL;
    return k ? k : strdup("null");
}

/* Answers a held or refused send with its exception (an async send has nobody to tell). */
static void flow_fail(ow_conn_t *oc, pending_t *p, apr_status_t st, const char *err,
                      const char *producer, int timed_out)
{
    apr_pool_t *tmp;
    if (apr_pool_create(&tmp, NULL) != APR_SUCCESS) {
        pending_done(p, st);
        return;
    }
    const char *text = flow_text(tmp, st, err, producer, timed_out);
    hm_info("openwire %s: send refused: %s", hm_conn_peer(oc->conn), text);
    if (p->response_required)
        respond_error_id(oc, p->command_id, RESOURCE_EXC, text);
    pending_free(p);
    apr_pool_destroy(tmp);
}

static void waiter_fire(void *baton)
{
    ow_conn_t *oc = baton;
    hm_conn_kick(oc->conn);
}

static int dname_same(hm_dname_t a, hm_dname_t b)
{
    return a.kind == b.kind && a.name && b.name && strcmp(a.name, b.name) == 0;
}

/* Whether a send to d must queue up behind an earlier held one. */
static int parked_for(const ow_conn_t *oc, hm_dname_t d)
{
    for (const parked_t *k = oc->parked; k; k = k->next)
        if (dname_same(k->msg->dest, d))
            return 1;
    return 0;
}

/* Whether a send to k's destination is held ahead of k. */
static int parked_before(const ow_conn_t *oc, const parked_t *k)
{
    for (const parked_t *e = oc->parked; e != k; e = e->next)
        if (dname_same(e->msg->dest, k->msg->dest))
            return 1;
    return 0;
}

/* Arms the waiter, then looks again: room freed before it was armed must not be missed. */
static void wait_space(ow_conn_t *oc)
{
    hm_space_wait(oc->b, &oc->waiter);
    for (const parked_t *k = oc->parked; k; k = k->next) {
        if (k->why != HM_EFLOW || parked_before(oc, k))
            continue;
        char err[HM_MAX_DEST_NAME + 64];
        if (hm_flow_check(oc->b, k->msg, err, sizeof err) == APR_SUCCESS) {
            hm_conn_kick(oc->conn);
            return;
        }
    }
}

/* Adds a send to its transaction and answers it (reply or ProducerAck). */
static void tx_send(ow_conn_t *oc, const ow_transaction_id_t *txid, hm_msg_t *hm, pending_t *p)
{
    apr_hash_t *table = tx_table(oc, txid);
    ow_tx_t *tx = ow_tx_begin(table, txid, tx_limit(txid));
    apr_status_t st = tx ? ow_tx_add_msg(tx, hm) : APR_ENOMEM;
    tx_table_done(txid);
    if (st) {
        hm_info("openwire %s: transacted send refused: the transaction cannot hold more messages",
                hm_conn_peer(oc->conn));
        if (p->response_required)
            respond_error_id(oc, p->command_id, RESOURCE_EXC, "the transaction cannot hold more messages");
        pending_free(p);
    } else {
        pending_done(p, APR_SUCCESS);
    }
}

static int park(ow_conn_t *oc, hm_msg_t *hm, pending_t *p, const ow_producer_id_t *producer,
                const ow_transaction_id_t *txid, int pauses, apr_status_t why, int64_t fail_after_ms)
{
    parked_t *k = oc->nparked < OW_MAX_PARKED ? calloc(1, sizeof *k) : NULL;
    if (k && (!(k->producer = producer_text(producer)) ||
              (txid && ow_object_copy_flat(&txid->obj, (ow_object_t **)&k->txid, NULL) != APR_SUCCESS))) {
        free(k->producer);
        free(k);
        k = NULL;
    }
    if (!k)
        return 0;
    k->msg = hm_msg_ref(hm);
    k->p = p;
    k->since = apr_time_now();
    k->pauses = pauses;
    k->why = why;
    k->fail_after_ms = fail_after_ms;
    if (why == HM_EFLOW) {
        hm_flow_blocked(oc->b, hm->dest);
        char *pk = producer ? producer_key(producer) : NULL;
        hm_producer_blocked(oc->client, pk, hm->dest);   /* FastProducer advisory, by policy */
        free(pk);
    } else if (!oc->parked)
        hm_info("openwire %s: the message store is full; holding the producer until space frees",
                hm_conn_peer(oc->conn));
    *oc->parked_tail = k;
    oc->parked_tail = &k->next;
    oc->nparked++;
    if (pauses) {
        oc->paused = 1;
        hm_conn_pause_input(oc->conn, 1);
    }
    wait_space(oc);
    return 1;
}

static int timed_out(const parked_t *k, apr_time_t now)
{
    return k->fail_after_ms > 0 && now - k->since > apr_time_from_msec(k->fail_after_ms);
}

/* Retries held sends in order; a send whose destination is still full stays, and so does every
 * later one to that destination.  Runs on the connection's loop thread. */
static void unpark(ow_conn_t *oc, apr_time_t now)
{
    parked_t **pp = &oc->parked, *last = NULL;
    int pauses = 0;
    while (*pp) {
        parked_t *k = *pp;
        char err[HM_MAX_DEST_NAME + 64] = "";
        apr_status_t st;
        int behind = parked_before(oc, k);
        if (behind)
            st = HM_EFLOW;
        else if (k->txid && (st = hm_flow_check(oc->b, k->msg, err, sizeof err)) == APR_SUCCESS)
            tx_send(oc, k->txid, k->msg, k->p);
        else if (!k->txid)
            st = hm_send(oc->client, k->msg, pending_done, k->p, err, sizeof err);
        if ((st == HM_EFLOW || st == HM_ENOSPACE) && !timed_out(k, now)) {
            if (!behind)
                k->why = st;
            pauses |= k->pauses;
            last = k;
            pp = &k->next;
            continue;
        }
        if (st == HM_EFLOW || st == HM_ENOSPACE) {
            if (behind)
                snprintf(err, sizeof err, "%s://%s", HM_KIND_IS_QUEUE(k->msg->dest.kind) ? "queue" : "topic",
                         k->msg->dest.name);
            flow_fail(oc, k->p, st, err, k->producer, 1);
        } else if (st) {
            pending_done(k->p, st);
        }
        *pp = k->next;
        oc->nparked--;
        hm_msg_unref(k->msg);
        free(k->producer);
        free(k->txid);
        free(k);
    }
    oc->parked_tail = last ? &last->next : &oc->parked;
    oc->paused = pauses;
    hm_conn_pause_input(oc->conn, pauses);
    if (oc->parked)
        wait_space(oc);
}

static void drop_parked(ow_conn_t *oc)
{
    hm_space_cancel(oc->b, &oc->waiter);
    while (oc->parked) {
        parked_t *k = oc->parked;
        oc->parked = k->next;
        hm_msg_unref(k->msg);
        pending_free(k->p);
        free(k->producer);
        free(k->txid);
        free(k);
    }
    oc->parked_tail = &oc->parked;
    oc->nparked = 0;
}

/* Why a status: a message whose properties do not parse is a malformed frame, which closes the
 * connection like any other; everything else is answered and the connection goes on. */
static apr_status_t on_message(ow_conn_t *oc, ow_message_t *m)
{
    char err[HM_MAX_DEST_NAME + 64] = "";
    if (!m->destination || !m->destination->physical_name) {
        respond_error(oc, &m->cmd, INVALID_DEST_EXC, "message without a destination");
        return APR_SUCCESS;
    }
    m->broker_in_time = apr_time_as_msec(apr_time_now());
    const char *why;
    hm_msg_t *hm = ow_msg_to_core(m, oc->scratch, &why);
    if (!hm && strcmp(why, OW_MALFORMED_PROPS) == 0) {
        hm_warn("openwire %s: %s in %s; closing the connection", hm_conn_peer(oc->conn), why,
                ow_type_name(m->cmd.obj.type));
        return HM_EMALFORMED;
    }
    if (!hm) {
        respond_error(oc, &m->cmd, RESOURCE_EXC, why);
        return APR_SUCCESS;
    }
    pending_t *p = pending_new(oc, &m->cmd);
    if (!p) {
        hm_msg_unref(hm);
        respond_error(oc, &m->cmd, RESOURCE_EXC, "out of memory");
        return APR_SUCCESS;
    }
    if (!m->cmd.response_required && m->producer_id) {
        char *k = producer_key(m->producer_id);
        if (k && apr_hash_get(oc->producer_windows, k, APR_HASH_KEY_STRING) &&
            ow_object_copy_flat(&m->producer_id->obj, (ow_object_t **)&p->window_producer, NULL) == APR_SUCCESS)
            p->size = ow_msg_size(m);
        free(k);
    }
    const hm_broker_opts_t *bo = hm_broker_options(oc->b);
    /* decided before sending: a send that goes through may be answered (p freed) at once.
     * A held transacted send also holds the connection, so its commit cannot overtake it. */
    int pauses = (!m->cmd.response_required && !p->window_producer) || m->transaction_id;
    apr_status_t st;
    if (parked_for(oc, hm->dest)) {
        st = HM_EFLOW;
    } else if (m->transaction_id) {
        /* held like any send, but it joins its transaction instead of being routed */
        if ((st = hm_flow_check(oc->b, hm, err, sizeof err)) == APR_SUCCESS) {
            tx_send(oc, m->transaction_id, hm, p);
            hm_msg_unref(hm);
            return APR_SUCCESS;
        }
    } else {
        st = hm_send(oc->client, hm, pending_done, p, err, sizeof err);
    }
    int fail = bo->send_fail_if_no_space;
    int64_t after = bo->send_fail_after_ms;
    if (st == HM_EFLOW)
        hm_flow_mode(oc->b, hm->dest, &fail, &after);
    int held = st == HM_EFLOW || st == HM_ENOSPACE ? !fail || after > 0 : 0;
    if (st == HM_EFLOW && !*err)       /* behind an earlier held send to this destination */
        held = 1;
    if (held && park(oc, hm, p, m->producer_id, m->transaction_id, pauses, st, after)) {
        hm_msg_unref(hm);           /* answered when it fits */
        return APR_SUCCESS;
    }
    hm_msg_unref(hm);
    if (st == HM_EFLOW || st == HM_ENOSPACE) {
        if (st == HM_EFLOW)
            hm_flow_blocked(oc->b, ow_dname(m->destination));
        char *producer = producer_text(m->producer_id);
        if (!*err)
            snprintf(err, sizeof err, "%s://%s", m->destination->obj.type == OW_ACTIVEMQ_TOPIC ? "topic" : "queue",
                     m->destination->physical_name);
        flow_fail(oc, p, st, err, producer ? producer : "null", 0);
        free(producer);
        return APR_SUCCESS;
    }
    if (st) {
        pending_free(p);
        respond_error(oc, &m->cmd, st == HM_ENOTFOUND ? NO_DEST_EXC : st == HM_EINVAL ? INVALID_DEST_EXC
                                   : st == HM_EMALFORMED ? MSG_FORMAT_EXC : JMS_EXC,
                      *err ? err : hm_strerror(st));
    }
    return APR_SUCCESS;
}

/* A transacted acknowledgement takes effect at commit; meanwhile it frees prefetch credit. */
static void on_tx_ack(ow_conn_t *oc, ow_message_ack_t *a, ow_cons_t *c, const char *id, hm_delivery_t *d)
{
    int kind = a->ack_type == OW_ACK_INDIVIDUAL ? HM_ACK_CONSUMED
             : a->ack_type == OW_ACK_DELIVERED || a->ack_type == OW_ACK_REDELIVERED ? -1
             : HM_ACK_CONSUMED_UPTO;
    apr_hash_t *table = tx_table(oc, a->transaction_id);
    ow_tx_t *tx = ow_tx_begin(table, a->transaction_id, tx_limit(a->transaction_id));
    apr_status_t st = !tx ? APR_ENOMEM
                    : d && kind >= 0 ? ow_tx_add_ack(tx, hm_consumer_serial(c->hc), id, kind) : APR_SUCCESS;
    tx_table_done(a->transaction_id);
    if (d)
        hm_consumer_ack(c->hc, d, HM_ACK_DELIVERED_UPTO, NULL, NULL);
    if (st)
        respond_error(oc, &a->cmd, RESOURCE_EXC, "the transaction cannot hold more acknowledgements");
    else
        respond_ok(oc, &a->cmd);
}

static void on_ack(ow_conn_t *oc, ow_message_ack_t *a)
{
    ow_cons_t *c = find_consumer(oc, a->consumer_id);
    char *id = c && a->last_message_id ? ow_message_id_string(oc->scratch, a->last_message_id) : NULL;
    hm_delivery_t *d = id ? hm_consumer_find(c->hc, id) : NULL;
    if (a->transaction_id) {
        on_tx_ack(oc, a, c, id, d);
        return;
    }
    if (d) {
        /* a synchronous ack is answered once its removal is durable */
        pending_t *p = a->cmd.response_required ? pending_new(oc, &a->cmd) : NULL;
        hm_send_done_fn done = p ? pending_done : NULL;
        switch (a->ack_type) {
        case OW_ACK_POISON: {
            const ow_throwable_t *t = a->poison_cause;
            const char *cause = t ? apr_psprintf(oc->scratch, "%s: %s", t->class_name ? t->class_name : "java.lang.Throwable",
                                                 t->message ? t->message : "null")
                                  : "java.lang.Throwable: poison acknowledgement";
            hm_consumer_poison(c->hc, d, cause, done, p);
            break;
        }
        case OW_ACK_DELIVERED:
        case OW_ACK_REDELIVERED:
            hm_consumer_ack(c->hc, d, HM_ACK_DELIVERED_UPTO, done, p);
            break;
        case OW_ACK_INDIVIDUAL:
            hm_consumer_ack(c->hc, d, HM_ACK_CONSUMED, done, p);
            break;
        case OW_ACK_EXPIRED:
            hm_consumer_expired(c->hc, d, done, p);
            break;
        case OW_ACK_STANDARD:
        case OW_ACK_UNMATCHED:
        default:
            hm_consumer_ack(c->hc, d, a->message_count == 1 && a->first_message_id &&
                                      a->ack_type != OW_ACK_STANDARD
                                      ? HM_ACK_CONSUMED : HM_ACK_CONSUMED_UPTO, done, p);
            break;
        }
        if (a->cmd.response_required && !p)
            respond_error(oc, &a->cmd, RESOURCE_EXC, "out of memory");
        return;
    }
    hm_debug("openwire %s: ack for an unknown delivery ignored", hm_conn_peer(oc->conn));
    respond_ok(oc, &a->cmd);
}

static void on_pull(ow_conn_t *oc, ow_message_pull_t *p)
{
    ow_cons_t *c = find_consumer(oc, p->consumer_id);
    if (c)
        hm_consumer_pull(c->hc, p->timeout);
    respond_ok(oc, &p->cmd);
}

static void on_consumer_control(ow_conn_t *oc, ow_consumer_control_t *cc)
{
    ow_cons_t *c = find_consumer(oc, cc->consumer_id);
    if (c && cc->close)
        close_consumer(oc, c, UINT64_MAX);
    else if (c)
        hm_consumer_set_prefetch(c->hc, cc->prefetch);
    respond_ok(oc, &cc->cmd);
}

static void respond_int(ow_conn_t *oc, const ow_command_t *req, int32_t result)
{
    ow_integer_response_t r = { { { OW_INTEGER_RESPONSE }, 0, 0 }, req->command_id, result };
    emit(oc, &r.cmd);
}

/* Lists every prepared XA branch of the broker (for XAResource.recover). */
static void respond_recover(ow_conn_t *oc, const ow_command_t *req)
{
    hm_xid_t xids[OW_MAX_RECOVER];
    int n = hm_xa_recover(oc->b, xids, OW_MAX_RECOVER);
    if (n > OW_MAX_RECOVER)
        n = OW_MAX_RECOVER;
    ow_object_t **ids = apr_pcalloc(oc->scratch, sizeof(ow_object_t *) * (size_t)(n + 1));
    for (int i = 0; i < n; i++) {
        ow_xa_transaction_id_t *x = (ow_xa_transaction_id_t *)ow_object_new(oc->scratch, OW_ACTIVEMQ_XA_TRANSACTION_ID);
        x->format_id = xids[i].format;
        x->global_transaction_id.data = apr_pmemdup(oc->scratch, xids[i].gtrid, xids[i].gtrid_len + 1u);
        x->global_transaction_id.len = xids[i].gtrid_len;
        x->branch_qualifier.data = apr_pmemdup(oc->scratch, xids[i].bqual, xids[i].bqual_len + 1u);
        x->branch_qualifier.len = xids[i].bqual_len;
        ids[i] = &x->obj;
    }
    ow_data_array_response_t r = { { { OW_DATA_ARRAY_RESPONSE }, 0, 0 }, req->command_id, ids, n };
    emit(oc, &r.cmd);
}

/* ActiveMQ's text for an xid: "XID:[<format>,globalId=<hex>,branchId=<hex>]". */
static const char *xid_text(apr_pool_t *pool, const hm_xid_t *x)
{
    char g[2 * HM_XID_MAX + 1], q[2 * HM_XID_MAX + 1];
    for (int i = 0; i < x->gtrid_len; i++)
        sprintf(g + 2 * i, "%02x", x->gtrid[i]);
    g[2 * x->gtrid_len] = 0;
    for (int i = 0; i < x->bqual_len; i++)
        sprintf(q + 2 * i, "%02x", x->bqual[i]);
    q[2 * x->bqual_len] = 0;
    return apr_psprintf(pool, "XID:[%d,globalId=%s,branchId=%s]", (int)x->format, g, q);
}

/* XA errors reach the client as an XAException whose message ends in "xaErrorCode:<n>". */
static void respond_xa_error(ow_conn_t *oc, const ow_command_t *req, int code, const char *what)
{
    respond_error(oc, req, XA_EXC, apr_psprintf(oc->scratch, "%s xaErrorCode:%d", what, code));
}

static void respond_nota(ow_conn_t *oc, const ow_command_t *req, const hm_xid_t *xid)
{
    respond_xa_error(oc, req, -4, apr_psprintf(oc->scratch, "Transaction '%s' has not been started.",
                                               xid_text(oc->scratch, xid)));
}

/* Completes a prepared branch held by the broker (possibly prepared by another connection). */
static void xa_complete(ow_conn_t *oc, ow_transaction_info_t *ti, int commit)
{
    hm_xid_t xid;
    if (ow_xid(ti->transaction_id, &xid) != APR_SUCCESS) {
        respond_xa_error(oc, &ti->cmd, -5, "malformed transaction id");   /* XAER_INVAL */
        return;
    }
    pending_t *p = pending_new(oc, &ti->cmd);
    if (!p) {
        respond_error(oc, &ti->cmd, RESOURCE_EXC, "out of memory");
        return;
    }
    apr_status_t st = commit ? hm_xa_commit(oc->b, &xid, pending_done, p)
                             : hm_xa_rollback(oc->b, &xid, pending_done, p);
    if (st) {
        pending_free(p);
        if (st == HM_ENOTFOUND)
            respond_nota(oc, &ti->cmd, &xid);
        else
            respond_xa_error(oc, &ti->cmd, -3, hm_strerror(st));   /* XAER_RMERR */
    }
}

/* Joins this connection to an XA branch it begins (or joins) so closing it can let go. */
static void xa_join(ow_conn_t *oc, ow_tx_t *tx, const ow_transaction_id_t *id)
{
    char *k = ow_tx_key(id);
    if (k && key_set_add(oc->xa_joined, k))
        ow_tx_join(tx);
}

static void on_transaction_info_in(ow_conn_t *oc, ow_transaction_info_t *ti, apr_hash_t *table)
{
    char err[256] = "";
    ow_tx_t *tx = ti->type == TX_BEGIN ? ow_tx_begin(table, ti->transaction_id, tx_limit(ti->transaction_id))
                                       : ow_tx_find(table, ti->transaction_id);
    int xa = ti->transaction_id->obj.type == OW_ACTIVEMQ_XA_TRANSACTION_ID;
    if (xa && tx && ti->type == TX_BEGIN)
        xa_join(oc, tx, ti->transaction_id);
    hm_xid_t xid;
    int prepared = xa && !tx && ow_xid(ti->transaction_id, &xid) == APR_SUCCESS && hm_xa_is_prepared(oc->b, &xid);
    switch (ti->type) {
    case TX_BEGIN:
    case TX_END:
        if (ti->type == TX_BEGIN && !tx)
            respond_error(oc, &ti->cmd, RESOURCE_EXC, "too many open transactions");
        else
            respond_ok(oc, &ti->cmd);
        return;
    case TX_FORGET:
        /* forgetting a prepared branch rolls it back, as ActiveMQ does */
        if (tx)
            ow_tx_end(table, tx);
        if (prepared)
            xa_complete(oc, ti, 0);
        else if (!tx && xa && ow_xid(ti->transaction_id, &xid) == APR_SUCCESS)
            respond_nota(oc, &ti->cmd, &xid);
        else
            respond_ok(oc, &ti->cmd);
        return;
    case TX_PREPARE: {
        if (prepared) {
            respond_int(oc, &ti->cmd, 0);   /* prepared already: XA_OK again */
            return;
        }
        if (!tx) {
            respond_error(oc, &ti->cmd, JMS_EXC, apr_psprintf(oc->scratch,
                          "Cannot prepare a transaction that had not been started or previously returned XA_RDONLY: %s",
                          xa && ow_xid(ti->transaction_id, &xid) == APR_SUCCESS ? xid_text(oc->scratch, &xid) : "?"));
            return;
        }
        if (ow_tx_empty(tx)) {
            ow_tx_end(table, tx);
            respond_int(oc, &ti->cmd, 3);   /* XA_RDONLY: nothing to commit */
            return;
        }
        /* the branch moves from the connection to the broker: durable, answered XA_OK */
        pending_t *p = pending_new(oc, &ti->cmd);
        if (p) {
            p->int_response = 1;
            p->int_result = 0;
        }
        apr_status_t st = p ? ow_tx_prepare(tx, oc->client, pending_done, p,
                                           err, sizeof err) : APR_ENOMEM;
        ow_tx_end(table, tx);
        if (st) {
            if (p)
                pending_free(p);
            respond_xa_error(oc, &ti->cmd, -3, *err ? err : hm_strerror(st));
        }
        return;
    }
    case TX_ROLLBACK:
        if (tx) {
            ow_tx_end(table, tx);
            respond_ok(oc, &ti->cmd);
        } else if (xa) {
            xa_complete(oc, ti, 0);
        } else {
            respond_ok(oc, &ti->cmd);
        }
        return;
    case TX_COMMIT_ONE_PHASE:
    case TX_COMMIT_TWO_PHASE: {
        if (ti->type == TX_COMMIT_TWO_PHASE && tx) {
            respond_xa_error(oc, &ti->cmd, -6, "Cannot do 2 phase commit if the transaction has not been prepared");
            return;
        }
        if (!tx && xa) {
            xa_complete(oc, ti, 1);         /* prepared (also a one-phase commit of it) or NOTA */
            return;
        }
        if (!tx) {
            respond_ok(oc, &ti->cmd);       /* an empty local transaction */
            return;
        }
        pending_t *p = pending_new(oc, &ti->cmd);
        apr_status_t st = p ? ow_tx_commit(tx, oc->client, pending_done, p,
                                          err, sizeof err) : APR_ENOMEM;
        ow_tx_end(table, tx);
        if (st) {
            if (p)
                pending_free(p);
            respond_error(oc, &ti->cmd, st == HM_ENOTFOUND ? NO_DEST_EXC : st == HM_ENOSPACE ? RESOURCE_EXC
                          : "javax.jms.TransactionRolledBackException", *err ? err : hm_strerror(st));
        }
        return;
    }
    default:
        respond_error(oc, &ti->cmd, JMS_EXC, "unknown TransactionInfo type");
        return;
    }
}

static void on_transaction_info(ow_conn_t *oc, ow_transaction_info_t *ti)
{
    if (ti->type == TX_RECOVER) {
        respond_recover(oc, &ti->cmd);
        return;
    }
    if (!ti->transaction_id) {
        respond_error(oc, &ti->cmd, JMS_EXC, "TransactionInfo without a transaction id");
        return;
    }
    apr_hash_t *table = tx_table(oc, ti->transaction_id);
    on_transaction_info_in(oc, ti, table);
    /* a branch that ended (prepared, committed, rolled back) is no longer this connection's */
    if (ti->transaction_id->obj.type == OW_ACTIVEMQ_XA_TRANSACTION_ID &&
        !ow_tx_find(table, ti->transaction_id)) {
        char *k = ow_tx_key(ti->transaction_id);
        if (k)
            key_set_remove(oc->xa_joined, k);
        free(k);
    }
    tx_table_done(ti->transaction_id);
}

static void send_broker_info(ow_conn_t *oc)
{
    ow_broker_info_t bi;
    ow_broker_id_t id;
    memset(&bi, 0, sizeof bi);
    memset(&id, 0, sizeof id);
    id.obj.type = OW_BROKER_ID;
    id.value = (char *)hm_broker_id(oc->b);
    bi.cmd.obj.type = OW_BROKER_INFO;
    bi.broker_id = &id;
    bi.broker_name = (char *)hm_broker_name(oc->b);
    bi.broker_url = "tcp://localhost";
    emit(oc, &bi.cmd);
}

/* Inactivity monitoring as ActiveMQ's AbstractInactivityMonitor negotiates it: the smaller of the
 * two sides' periods and initial delays (0 or less on either side: no monitoring, as the Java
 * client then sends no keep-alives), each capped so no conversion overflows. */
static int64_t min_ms(int64_t a, int64_t b)
{
    int64_t m = a < b ? a : b;
    return m > OW_MAX_INACTIVITY_MS ? OW_MAX_INACTIVITY_MS : m;
}

static void negotiate_inactivity(ow_conn_t *oc)
{
    const hm_listen_opts_t *lo = hm_conn_opts(oc->conn);
    oc->inactivity_ms = min_ms(lo->max_inactivity_ms, ow_wire_peer_max_inactivity_ms(oc->wire));
    if (oc->inactivity_ms < 0)
        oc->inactivity_ms = 0;
    int64_t delay = min_ms(oc->initial_delay_ms, ow_wire_peer_max_inactivity_initial_delay_ms(oc->wire));
    oc->initial_delay_ms = delay > 0 ? delay : 0;
}

/* What a command needs before it is served.  THE ONE PLACE where an OpenWire connection's state
 * is checked (gate(), called by handle() before any handler runs): the handlers below may take a
 * negotiated wire format and, where the table says so, an open client for granted. */
typedef enum {
    NEEDS_NOTHING,         /* WireFormatInfo: the handshake itself */
    NEEDS_WIRE,            /* a negotiated wire format */
    NEEDS_CLIENT,          /* ... and a ConnectionInfo accepted: refused with an error otherwise */
    NEEDS_CLIENT_OR_NOOP   /* ... else nothing to do: answered OK (ActiveMQ ignores a RemoveInfo
                              or ShutdownInfo for a connection it does not know) */
} ow_needs_e;

static ow_needs_e command_needs(uint8_t type)
{
    switch (type) {
    case OW_WIREFORMAT_INFO:
        return NEEDS_NOTHING;
    case OW_CONNECTION_INFO:
    case OW_KEEP_ALIVE_INFO:
    case OW_FLUSH_COMMAND:
    case OW_CONNECTION_CONTROL:
    case OW_CONTROL_COMMAND:
    case OW_PRODUCER_ACK:
    case OW_RESPONSE:
        return NEEDS_WIRE;
    case OW_REMOVE_INFO:
    case OW_SHUTDOWN_INFO:
        return NEEDS_CLIENT_OR_NOOP;
    case OW_SESSION_INFO:
    case OW_PRODUCER_INFO:
    case OW_CONSUMER_INFO:
    case OW_DESTINATION_INFO:
    case OW_MESSAGE_ACK:
    case OW_MESSAGE_PULL:
    case OW_CONSUMER_CONTROL:
    case OW_TRANSACTION_INFO:
    case OW_REMOVE_SUBSCRIPTION_INFO:
        return NEEDS_CLIENT;
    default:               /* messages need a client; other types are refused by handle() */
        return OW_IS_MESSAGE_TYPE(type) ? NEEDS_CLIENT : NEEDS_WIRE;
    }
}

/* 1: serve the command; 0: it was answered here, skip it; an error status: close the connection.
 * Before the handshake only a WireFormatInfo may arrive (as ActiveMQ's WireFormatNegotiator):
 * anything else closes the connection. */
static int gate(ow_conn_t *oc, const ow_command_t *cmd, apr_status_t *close_st)
{
    ow_needs_e needs = command_needs(cmd->obj.type);
    *close_st = APR_SUCCESS;
    if (needs == NEEDS_NOTHING)
        return 1;
    if (!ow_wire_negotiated(oc->wire)) {
        hm_warn("openwire %s: %s before the WireFormatInfo handshake; closing",
                hm_conn_peer(oc->conn), ow_type_name(cmd->obj.type));
        *close_st = HM_EPROTO;
        return 0;
    }
    if (needs == NEEDS_WIRE || oc->client)
        return 1;
    if (needs == NEEDS_CLIENT_OR_NOOP)
        respond_ok(oc, cmd);
    else
        respond_error(oc, cmd, JMS_EXC, "no ConnectionInfo has been received on this connection");
    return 0;
}

/* Why a switch on type codes: every command is data; an unexpected one is answered, not run. */
static apr_status_t handle(ow_conn_t *oc, ow_command_t *cmd)
{
    apr_status_t gst;
    if (!gate(oc, cmd, &gst))
        return gst;
    switch (cmd->obj.type) {
    case OW_WIREFORMAT_INFO: {
        apr_status_t st = ow_wire_negotiate(oc->wire, (ow_wire_format_info_t *)cmd);
        if (st) {
            hm_warn("openwire %s: wire format negotiation failed: %s", hm_conn_peer(oc->conn),
                    ow_wire_error(oc->wire));
            return st;
        }
        negotiate_inactivity(oc);
        hm_conn_handshake_done(oc->conn);
        send_broker_info(oc);
        return APR_SUCCESS;
    }
    case OW_CONNECTION_INFO: on_connection_info(oc, (ow_connection_info_t *)cmd); break;
    case OW_SESSION_INFO: respond_ok(oc, cmd); break;
    case OW_PRODUCER_INFO: on_producer_info(oc, (ow_producer_info_t *)cmd); break;
    case OW_CONSUMER_INFO: on_consumer_info(oc, (ow_consumer_info_t *)cmd); break;
    case OW_REMOVE_INFO: on_remove(oc, (ow_remove_info_t *)cmd); break;
    case OW_DESTINATION_INFO: on_destination_info(oc, (ow_destination_info_t *)cmd); break;
    case OW_MESSAGE_ACK: on_ack(oc, (ow_message_ack_t *)cmd); break;
    case OW_MESSAGE_PULL: on_pull(oc, (ow_message_pull_t *)cmd); break;
    case OW_CONSUMER_CONTROL: on_consumer_control(oc, (ow_consumer_control_t *)cmd); break;
    case OW_KEEP_ALIVE_INFO:
        if (cmd->response_required) {
            ow_keep_alive_info_t k = { { { OW_KEEP_ALIVE_INFO }, 0, 0 } };
            emit(oc, &k.cmd);
        }
        break;
    case OW_SHUTDOWN_INFO:
        close_all(oc);
        break;
    case OW_TRANSACTION_INFO: on_transaction_info(oc, (ow_transaction_info_t *)cmd); break;
    case OW_REMOVE_SUBSCRIPTION_INFO: {
        ow_remove_subscription_info_t *rs = (ow_remove_subscription_info_t *)cmd;
        char err[256] = "";
        apr_status_t st = hm_durable_remove(oc->client, rs->client_id, rs->subscription_name,
                                            err, sizeof err);
        if (st)
            respond_error(oc, cmd, st == HM_ENOTFOUND ? INVALID_DEST_EXC : JMS_EXC, *err ? err : hm_strerror(st));
        else
            respond_ok(oc, cmd);
        break;
    }
    case OW_FLUSH_COMMAND:
    case OW_CONNECTION_CONTROL:
    case OW_CONTROL_COMMAND:
    case OW_PRODUCER_ACK:
    case OW_RESPONSE:
        respond_ok(oc, cmd);
        break;
    default:
        if (OW_IS_MESSAGE_TYPE(cmd->obj.type))
            return on_message(oc, (ow_message_t *)cmd);
        hm_warn("openwire %s: unexpected command %s (type %u); closing", hm_conn_peer(oc->conn),
                ow_type_name(cmd->obj.type), cmd->obj.type);
        return HM_EPROTO;
    }
    return APR_SUCCESS;
}

/* ------------------------------------------------------------------ protocol table */

static int ow_sniff(const uint8_t *p, size_t len)
{
    static const uint8_t magic[] = { 1, 'A', 'c', 't', 'i', 'v', 'e', 'M', 'Q' };
    size_t n = len < 13 ? len : 13;
    if (n <= 4)
        return -1;
    return memcmp(p + 4, magic, n - 4) == 0 ? (len < 13 ? -1 : 1) : 0;
}

static apr_status_t ow_open(hm_conn_t *conn, void **state)
{
    apr_pool_t *pool = hm_conn_pool(conn);
    ow_conn_t *oc = calloc(1, sizeof *oc);
    const hm_listen_opts_t *lo = hm_conn_opts(conn);
    ow_wire_opts_t wo;
    apr_status_t st;
    if (!oc)
        return APR_ENOMEM;
    if ((st = apr_pool_create(&oc->own, NULL)) ||
        (st = apr_thread_mutex_create(&oc->wlock, APR_THREAD_MUTEX_DEFAULT, oc->own))) {
        free(oc);
        return st;
    }
    oc->refs = 1;
    *state = oc;                   /* ow_close releases it, whatever happens below */
    oc->conn = conn;
    oc->b = hm_conn_broker(conn);
    oc->pool = pool;
    ow_wire_opts_default(&wo);
    if (lo->max_frame_size > 0)
        wo.max_frame_size = lo->max_frame_size;
    if (lo->max_inactivity_ms >= 0)
        wo.max_inactivity_ms = lo->max_inactivity_ms;
    if (lo->max_inactivity_initial_delay_ms > 0)
        wo.max_inactivity_initial_delay_ms = lo->max_inactivity_initial_delay_ms;
    if ((st = apr_pool_create(&oc->scratch, pool)) || (st = ow_wire_create(pool, &wo, &oc->wire)))
        return st;
    oc->consumers = apr_hash_make(pool);
    oc->producer_windows = apr_hash_make(pool);
    oc->txs = apr_hash_make(pool);
    oc->xa_joined = apr_hash_make(pool);
    oc->parked_tail = &oc->parked;
    oc->waiter.fn = waiter_fire;
    oc->waiter.baton = oc;
    oc->started = oc->last_read = oc->last_write = apr_time_now();
    oc->inactivity_ms = wo.max_inactivity_ms;
    oc->initial_delay_ms = wo.max_inactivity_initial_delay_ms;
    ow_wire_format_info_t *info;
    if ((st = ow_wire_local_info(oc->wire, oc->scratch, &info)) || (st = emit(oc, &info->cmd)))
        return st;
    apr_pool_clear(oc->scratch);
    return APR_SUCCESS;
}

static apr_status_t ow_input(void *state, const uint8_t *p, size_t len, size_t *used)
{
    ow_conn_t *oc = state;
    size_t off = 0;
    apr_status_t st = APR_SUCCESS;
    int frames = 0;
    oc->last_read = apr_time_now();
    while (off < len && frames++ < OW_FRAMES_PER_INPUT && !oc->paused) {
        ow_command_t *cmd = NULL;
        size_t consumed = 0;
        st = ow_decode(oc->wire, p + off, len - off, oc->scratch, &cmd, &consumed);
        if (st == HM_EINCOMPLETE) {
            st = APR_SUCCESS;
            hm_conn_expect(oc->conn, ow_decode_need(oc->wire, p + off, len - off));
            break;
        }
        if (st != APR_SUCCESS) {
            hm_warn("openwire %s: malformed frame: %s; closing the connection",
                    hm_conn_peer(oc->conn), ow_wire_error(oc->wire));
            break;
        }
        off += consumed;
        hm_debug("openwire %s: received %s (command id %d)", hm_conn_peer(oc->conn), cmd ? ow_type_name(cmd->obj.type) : "null frame", cmd ? (int)cmd->command_id : 0);
        if (cmd)
            st = handle(oc, cmd);
        apr_pool_clear(oc->scratch);
        if (st != APR_SUCCESS)
            break;
    }
    *used = off;
    return st;
}

/* Inactivity monitoring as ActiveMQ does it: write a KeepAliveInfo when we have been quiet for
 * a third of the period; give up on a peer silent for the whole period. */
static void ow_tick(void *state, apr_time_t now)
{
    ow_conn_t *oc = state;
    if (oc->parked && oc->client)
        unpark(oc, now);           /* the store frees space without telling; timeouts */
    if (oc->inactivity_ms <= 0 || !ow_wire_negotiated(oc->wire))
        return;
    apr_time_t period = apr_time_from_msec(oc->inactivity_ms);
    if (now - oc->started < apr_time_from_msec(oc->initial_delay_ms))
        return;
    if (now - oc->last_read > period) {
        hm_warn("openwire %s: no data for %" APR_INT64_T_FMT " ms (maxInactivityDuration); closing",
                hm_conn_peer(oc->conn), oc->inactivity_ms);
        hm_conn_close(oc->conn, NULL);
        return;
    }
    if (now - oc->last_write > period / 3) {
        ow_keep_alive_info_t k = { { { OW_KEEP_ALIVE_INFO }, 0, 0 } };
        emit(oc, &k.cmd);
    }
}

/* Memory freed somewhere (hm_space_waiter_t): retry what is held. */
static void ow_resume(void *state)
{
    ow_conn_t *oc = state;
    if (oc->parked && oc->client)
        unpark(oc, apr_time_now());
}

static void ow_close(void *state)
{
    ow_conn_t *oc = state;
    if (oc->consumers)
        close_all(oc);
    apr_thread_mutex_lock(oc->wlock);
    oc->closed = 1;
    apr_thread_mutex_unlock(oc->wlock);
    conn_unref(oc);
}

static const hm_proto_t openwire_protocol = {
    "openwire", ow_sniff, ow_open, ow_input, ow_tick, ow_close, ow_resume
};

const hm_proto_t *ow_protocol(void)
{
    return &openwire_protocol;
}
