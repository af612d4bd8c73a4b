/* The OpenWire adapter's output side: ids and key sets, encoding and queueing a command
 * (ow_emit), Responses and ExceptionResponses, and requests answered once the store has made
 * them durable (pending_t). */
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
#include "ow_conn_int.h"

/* "<connection>:<session>:<value>", malloc'd: the key of a consumer or producer id. */
char *ow_id_key(const char *connection, int64_t session, int64_t value)
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

char *ow_consumer_key(const ow_consumer_id_t *id)
{
    return ow_id_key(id->connection_id, id->session_id, id->value);
}

char *ow_producer_key(const ow_producer_id_t *id)
{
    return ow_id_key(id->connection_id, id->session_id, id->value);
}

/* Key sets whose malloc'd keys the table owns (stored as their own values), so removing a key
 * frees it: a long-lived connection's sets do not grow with what it did in the past. */
int ow_key_set_add(apr_hash_t *set, char *k)
{
    if (apr_hash_get(set, k, APR_HASH_KEY_STRING)) {
        free(k);
        return 0;
    }
    apr_hash_set(set, k, APR_HASH_KEY_STRING, k);
    return 1;
}

void ow_key_set_remove(apr_hash_t *set, const char *k)
{
    char *owned = apr_hash_get(set, k, APR_HASH_KEY_STRING);
    if (owned) {
        apr_hash_set(set, k, APR_HASH_KEY_STRING, NULL);
        free(owned);
    }
}

void ow_key_set_clear(apr_hash_t *set)
{
    apr_hash_index_t *hi;
    while ((hi = apr_hash_first(NULL, set)) != NULL)
        ow_key_set_remove(set, apr_hash_this_key(hi));
}

ow_cons_t *ow_find_consumer(ow_conn_t *oc, const ow_consumer_id_t *id)
{
    if (!id)
        return NULL;
    char *k = ow_consumer_key(id);
    ow_cons_t *c = k ? apr_hash_get(oc->consumers, k, APR_HASH_KEY_STRING) : NULL;
    free(k);
    return c;
}

void ow_conn_unref(ow_conn_t *oc)
{
    if (apr_atomic_dec32(&oc->refs) == 0) {
        apr_pool_destroy(oc->own);
        free(oc);
    }
}

/* Encodes one command and queues it.  Returns the codec's status (logged on failure). */
apr_status_t ow_emit(ow_conn_t *oc, const ow_command_t *cmd)
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
    ow_emit(oc, &r.cmd);
}

void ow_respond_ok(ow_conn_t *oc, const ow_command_t *req)
{
    if (req->response_required)
        respond_ok_id(oc, req->command_id);
}

void ow_respond_error_id(ow_conn_t *oc, int32_t command_id, const char *exc_class,
                             const char *message)
{
    ow_throwable_t t = { (char *)exc_class, (char *)message, NULL, 0, NULL };
    ow_exception_response_t r = { { { OW_EXCEPTION_RESPONSE }, 0, 0 }, command_id, &t };
    ow_emit(oc, &r.cmd);
}

/* What ActiveMQ's TransportConnection.serviceException sends for a failed command that wanted
 * no answer: the client hands it to the connection's ExceptionListener, and stays connected. */
void ow_connection_error(ow_conn_t *oc, const char *exc_class, const char *message)
{
    ow_throwable_t t = { (char *)exc_class, (char *)message, NULL, 0, NULL };
    ow_connection_error_t e = { { { OW_CONNECTION_ERROR }, 0, 0 }, &t, NULL };
    ow_emit(oc, &e.cmd);
}

void ow_respond_error(ow_conn_t *oc, const ow_command_t *req, const char *exc_class,
                          const char *message)
{
    hm_info("openwire %s: %s refused: %s: %s", hm_conn_peer(oc->conn),
            ow_type_name(req->obj.type), exc_class, message);
    if (req->response_required)
        ow_respond_error_id(oc, req->command_id, exc_class, message);
}


pending_t *ow_pending_new(ow_conn_t *oc, const ow_command_t *cmd)
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

void ow_pending_free(pending_t *p)
{
    ow_conn_t *oc = p->oc;
    free(p->window_producer);
    free(p->txid);
    free(p);
    ow_conn_unref(oc);
}

/* Runs on whichever thread completed the store commit (or inline without a store). */
void ow_pending_done(void *baton, apr_status_t st)
{
    pending_t *p = baton;
    ow_conn_t *oc = p->oc;
    if (st != APR_SUCCESS) {
        hm_warn("openwire: a request of %s failed in the store: %s", oc->connection_id ? oc->connection_id : "?",
                hm_strerror(st));
        if (p->response_required)
            ow_respond_error_id(oc, p->command_id, st == HM_ENOSPACE ? RESOURCE_EXC : JMS_EXC,
                             st == HM_ENOSPACE ? "the message store is full (storeUsage limit)"
                                               : hm_strerror(st));
    } else if (p->response_required && p->int_response) {
        ow_integer_response_t r = { { { OW_INTEGER_RESPONSE }, 0, 0 }, p->command_id, p->int_result };
        ow_emit(oc, &r.cmd);
    } else if (p->response_required) {
        respond_ok_id(oc, p->command_id);
    } else if (p->window_producer) {
        ow_producer_ack_t pa = { { { OW_PRODUCER_ACK }, 0, 0 }, p->window_producer, p->size };
        ow_emit(oc, &pa.cmd);
    }
    ow_pending_free(p);
}
