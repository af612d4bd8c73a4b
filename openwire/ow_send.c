/* The OpenWire adapter's send path: a message from the wire into the core, and sends held by flow
 * control or a full store until they fit (or fail after their timeout). */
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

/* Adds a send to its transaction and answers it (reply or ProducerAck). */
static void tx_send(ow_conn_t *oc, const ow_transaction_id_t *txid, hm_msg_t *hm, pending_t *p)
{
    apr_hash_t *table = ow_tx_table(oc, txid);
    ow_tx_t *tx = ow_tx_begin(table, txid, ow_tx_limit(txid));
    apr_status_t st = tx ? ow_tx_add_msg(tx, hm) : APR_ENOMEM;
    ow_tx_table_done(txid);
    if (st) {
        hm_info("openwire %s: transacted send refused: the transaction cannot hold more messages",
                hm_conn_peer(oc->conn));
        if (p->response_required)
            ow_respond_error_id(oc, p->command_id, RESOURCE_EXC, "the transaction cannot hold more messages");
        ow_pending_free(p);
    } else {
        ow_pending_done(p, APR_SUCCESS);
    }
}

/* The core's held sends (hm_flow_t) translated into OpenWire: answers, a paused input, a
 * transacted send joining its transaction. */
static void flow_admit(void *ctx, void *baton, hm_msg_t *msg)
{
    pending_t *p = baton;
    tx_send(ctx, p->txid, msg, p);
}

static const char *error_class(apr_status_t st)
{
    return st == HM_EFLOW || st == HM_ENOSPACE ? RESOURCE_EXC
         : st == HM_ENOTALLOWED ? SECURITY_EXC
         : st == HM_ENOTFOUND ? NO_DEST_EXC
         : st == HM_EINVAL ? INVALID_DEST_EXC
         : st == HM_EMALFORMED ? MSG_FORMAT_EXC : JMS_EXC;
}

static void flow_refused(void *ctx, void *baton, apr_status_t st, const char *text)
{
    ow_conn_t *oc = ctx;
    pending_t *p = baton;
    if (p->response_required)
        ow_respond_error_id(oc, p->command_id, error_class(st), text);
    else if (st == HM_ENOTALLOWED)
        ow_connection_error(oc, SECURITY_EXC, text);   /* ActiveMQ: the ExceptionListener hears it */
    ow_pending_free(p);
}

static void flow_dropped(void *ctx, void *baton)
{
    ow_pending_free(baton);
}

static void flow_pause(void *ctx, int paused)
{
    ow_conn_t *oc = ctx;
    oc->paused = paused;
    hm_conn_pause_input(oc->conn, paused);
}

static void flow_wake(void *ctx)
{
    ow_conn_t *oc = ctx;
    hm_conn_kick(oc->conn);
}

static char *flow_producer_text(const void *producer)
{
    return ow_producer_key(producer);
}

const hm_flow_ops_t ow_flow_ops = { flow_admit, flow_refused, flow_dropped, flow_pause, flow_wake,
                                    flow_producer_text };

/* Why a status: a message whose properties do not parse is a malformed frame, which closes the
 * connection like any other; everything else is answered and the connection goes on. */
apr_status_t ow_on_message(ow_conn_t *oc, ow_message_t *m)
{
    char err[HM_MAX_DEST_NAME + 64] = "";
    if (!m->destination || !m->destination->physical_name) {
        ow_respond_error(oc, &m->cmd, INVALID_DEST_EXC, "message without a destination");
        return APR_SUCCESS;
    }
    m->broker_in_time = apr_time_as_msec(apr_time_now());
    const char *uid;
    if (hm_client_user_id(oc->client, &uid))
        m->user_id = uid ? apr_pstrdup(oc->scratch, uid) : NULL;
    const char *why;
    hm_msg_t *hm = ow_msg_to_core(m, oc->scratch, &why);
    if (!hm && strcmp(why, OW_MALFORMED_PROPS) == 0) {
        hm_warn("openwire %s: %s in %s; closing the connection", hm_conn_peer(oc->conn), why,
                ow_type_name(m->cmd.obj.type));
        return HM_EMALFORMED;
    }
    if (!hm) {
        ow_respond_error(oc, &m->cmd, RESOURCE_EXC, why);
        return APR_SUCCESS;
    }
    pending_t *p = ow_pending_new(oc, &m->cmd);
    if (!p) {
        hm_msg_unref(hm);
        ow_respond_error(oc, &m->cmd, RESOURCE_EXC, "out of memory");
        return APR_SUCCESS;
    }
    if (!m->cmd.response_required && m->producer_id) {
        char *k = ow_producer_key(m->producer_id);
        if (k && apr_hash_get(oc->producer_windows, k, APR_HASH_KEY_STRING) &&
            ow_object_copy_flat(&m->producer_id->obj, (ow_object_t **)&p->window_producer, NULL) == APR_SUCCESS)
            p->size = ow_msg_size(m);
        free(k);
    }
    if (m->transaction_id &&
        ow_object_copy_flat(&m->transaction_id->obj, (ow_object_t **)&p->txid, NULL) != APR_SUCCESS) {
        ow_pending_free(p);
        hm_msg_unref(hm);
        ow_respond_error(oc, &m->cmd, RESOURCE_EXC, "out of memory");
        return APR_SUCCESS;
    }
    /* A held send pauses the connection where ActiveMQ blocks it: an asynchronous send without
     * a window, and a transacted one (so its commit cannot overtake it).  Decided before
     * sending: a send that goes through may be answered (p freed) at once. */
    hm_flow_send_t o = { m->transaction_id != NULL,
                         (!m->cmd.response_required && !p->window_producer) || m->transaction_id,
                         m->producer_id };
    apr_status_t st = hm_flow_send(oc->flow, hm, &o, ow_pending_done, p, err, sizeof err);
    hm_msg_unref(hm);
    if (st) {
        if (st != HM_EFLOW && st != HM_ENOSPACE)
            hm_info("openwire %s: %s refused: %s", hm_conn_peer(oc->conn),
                    ow_type_name(m->cmd.obj.type), *err ? err : hm_strerror(st));
        flow_refused(oc, p, st, *err ? err : hm_strerror(st));
    }
    return APR_SUCCESS;
}
