/* The OpenWire adapter's connection, session, consumer and producer commands: ConnectionInfo,
 * ConsumerInfo, ProducerInfo, DestinationInfo, RemoveInfo, acks, pulls, consumer control, and the
 * core's deliveries turned into MessageDispatch frames. */
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
    ow_emit(c->oc, &d.cmd);
}

static void on_deliver(void *ctx, hm_consumer_t *hc, hm_delivery_t *dl)
{
    ow_cons_t *c = ctx;
    ow_message_t *orig = ow_msg_from_core(dl->msg, c->scratch);
    if (!orig) {
        /* Left alone it would stay in flight for ever (never sent, so never acknowledged):
         * dead-lettered as a poison message, as the AMQP side does.  The broker lock is held
         * (nested); the queue's dispatch loop tolerates the settle (it guards re-entry). */
        hm_warn("openwire %s: message %s cannot be expressed over OpenWire; dead-lettered",
                hm_conn_peer(c->oc->conn), dl->msg->message_id ? dl->msg->message_id : "?");
        apr_pool_clear(c->scratch);
        hm_consumer_poison(hc, dl, "java.lang.Throwable: cannot be expressed over OpenWire", NULL, NULL);
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

void ow_close_all(ow_conn_t *oc)
{
    apr_hash_index_t *hi;
    hm_flow_destroy(oc->flow);     /* held sends go unanswered, as the connection closes */
    oc->flow = NULL;
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
    ow_key_set_clear(oc->xa_joined);
    ow_key_set_clear(oc->producer_windows);
    while ((hi = apr_hash_first(NULL, oc->consumers)) != NULL)
        close_consumer(oc, apr_hash_this_val(hi), UINT64_MAX);
    if (oc->client) {
        hm_client_close(oc->client);
        oc->client = NULL;
    }
}

void ow_on_connection_info(ow_conn_t *oc, ow_connection_info_t *ci)
{
    char err[512];
    if (oc->client) {
        ow_respond_error(oc, &ci->cmd, JMS_EXC, "connection already established");
        return;
    }
    const char *cid = ci->connection_id && ci->connection_id->value ? ci->connection_id->value : "";
    oc->connection_id = apr_pstrdup(oc->pool, cid);
    hm_client_info_t info = { cid, ci->client_id, ci->user_name,
                              ci->client_ip ? ci->client_ip
                                            : apr_pstrcat(oc->scratch, "tcp://", hm_conn_peer(oc->conn), NULL),
                              ci->password, hm_conn_peer_subject(oc->conn), hm_conn_is_tls(oc->conn) };
    apr_status_t st = hm_client_open_info(oc->b, &info, &oc->client, err, sizeof err);
    if (st == HM_EEXISTS)
        ow_respond_error(oc, &ci->cmd, INVALID_CLID_EXC, err);
    else if (st == HM_ENOTALLOWED && ci->cmd.response_required) {
        /* answered after HM_AUTH_FAIL_DELAY_MS by ow_login_refusal_due, reading nothing meanwhile */
        snprintf(oc->refusal, sizeof oc->refusal, "%s", err);
        oc->refusal_command_id = ci->cmd.command_id;
        oc->refusal_at = apr_time_now() + apr_time_from_msec(HM_AUTH_FAIL_DELAY_MS);
        oc->paused = 1;
        hm_conn_pause_input(oc->conn, 1);
    } else if (st)
        ow_respond_error(oc, &ci->cmd, st == HM_ENOTALLOWED ? SECURITY_EXC : JMS_EXC,
                         st == HM_ENOTALLOWED ? err : hm_strerror(st));
    else if ((st = hm_flow_create(oc->client, &ow_flow_ops, oc, &oc->flow)) != APR_SUCCESS) {
        hm_client_close(oc->client);
        oc->client = NULL;
        ow_respond_error(oc, &ci->cmd, RESOURCE_EXC, "out of memory");
    } else {
        hm_conn_login_wait(oc->conn, 0);
        ow_respond_ok(oc, &ci->cmd);
    }
}

/* Loop thread (tick): a deferred login refusal whose time has come is answered and the
 * connection reads again. */
void ow_login_refusal_due(ow_conn_t *oc, apr_time_t now)
{
    if (!oc->refusal_at || now < oc->refusal_at)
        return;
    oc->refusal_at = 0;
    ow_respond_error_id(oc, oc->refusal_command_id, SECURITY_EXC, oc->refusal);
    oc->paused = 0;
    hm_conn_pause_input(oc->conn, 0);
}

void ow_on_consumer_info(ow_conn_t *oc, ow_consumer_info_t *ci)
{
    char err[512] = "";
    if (!ci->consumer_id || !ci->destination || !ci->destination->physical_name) {
        ow_respond_error(oc, &ci->cmd, INVALID_DEST_EXC, "a consumer needs an id and a destination");
        return;
    }
    if (ow_find_consumer(oc, ci->consumer_id)) {
        ow_respond_error(oc, &ci->cmd, JMS_EXC, "a consumer with this id already exists");
        return;
    }
    if (apr_hash_count(oc->consumers) >= HM_MAX_CONSUMERS_PER_CLIENT) {
        ow_respond_error(oc, &ci->cmd, RESOURCE_EXC, "too many consumers on this connection");
        return;
    }
    ow_cons_t *c = calloc(1, sizeof *c);
    if (!c || !(c->key = ow_consumer_key(ci->consumer_id)) ||
        ow_object_copy_flat(&ci->consumer_id->obj, (ow_object_t **)&c->id, NULL) ||
        ow_object_copy_flat(&ci->destination->obj, (ow_object_t **)&c->dest, NULL) ||
        apr_pool_create(&c->scratch, NULL)) {
        if (c) {
            free(c->key);
            free(c->id);
            free(c->dest);
            free(c);
        }
        ow_respond_error(oc, &ci->cmd, RESOURCE_EXC, "out of memory");
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
        ow_respond_error(oc, &ci->cmd,
                      st == HM_ESELECTOR ? INVALID_SEL_EXC
                      : st == HM_ENOTALLOWED ? SECURITY_EXC
                      : st == HM_EDENIED || st == HM_ENOTFOUND || st == HM_EINVAL ? INVALID_DEST_EXC
                      : JMS_EXC,
                      *err ? err : hm_strerror(st));
        return;
    }
    ow_respond_ok(oc, &ci->cmd);
}

/* A closed session takes its producers with it (the client sends no RemoveInfo for them). */
static void forget_session_producers(ow_conn_t *oc, const ow_session_id_t *sid)
{
    char *prefix = ow_id_key(sid->connection_id, sid->value, 0);
    char *colon = prefix ? strrchr(prefix, ':') : NULL;
    if (colon) {
        colon[1] = '\0';
        hm_producer_remove_prefix(oc->client, prefix);
    }
    free(prefix);
}

void ow_on_remove(ow_conn_t *oc, ow_remove_info_t *ri)
{
    ow_object_t *id = ri->object_id;
    if (!id) {
        ow_respond_ok(oc, &ri->cmd);
        return;
    }
    switch (id->type) {
    case OW_CONSUMER_ID: {
        ow_cons_t *c = ow_find_consumer(oc, (ow_consumer_id_t *)id);
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
        ow_close_all(oc);
        if (hm_broker_requires_login(oc->b))
            hm_conn_login_wait(oc->conn, 1);   /* logged out: small frames again */
        break;
    case OW_PRODUCER_ID: {
        char *k = ow_producer_key((ow_producer_id_t *)id);
        if (k) {
            ow_key_set_remove(oc->producer_windows, k);
            hm_producer_remove(oc->client, k);
        }
        free(k);
        break;
    }
    default:
        break;
    }
    ow_respond_ok(oc, &ri->cmd);
}

void ow_on_producer_info(ow_conn_t *oc, ow_producer_info_t *pi)
{
    if (pi->producer_id && pi->window_size > 0) {
        if (apr_hash_count(oc->producer_windows) >= HM_MAX_CONSUMERS_PER_CLIENT) {
            ow_respond_error(oc, &pi->cmd, RESOURCE_EXC, "too many producers on this connection");
            return;
        }
        char *k = ow_producer_key(pi->producer_id);
        if (k)
            ow_key_set_add(oc->producer_windows, k);
    }
    if (pi->producer_id && pi->destination && pi->destination->physical_name) {
        char *k = ow_producer_key(pi->producer_id);
        hm_dname_t d = ow_dname(pi->destination);
        /* write, then the destination is created (admin) and its advisory goes out before the
         * producer's, as in ActiveMQ's AuthorizationBroker and RegionBroker.addProducer */
        apr_status_t st = !k ? APR_ENOMEM : hm_send_allowed(oc->client, d, NULL, 0);
        if (st == APR_SUCCESS && d.kind <= HM_TOPIC)
            st = hm_dest_create(oc->client, d);
        if (st == APR_SUCCESS)
            st = hm_producer_add(oc->client, k, d);
        free(k);
        if (st == HM_ENOSPACE || st == HM_ENOTALLOWED) {
            ow_respond_error(oc, &pi->cmd, st == HM_ENOSPACE ? RESOURCE_EXC : SECURITY_EXC,
                             st == HM_ENOSPACE ? "too many producers on this connection"
                                               : hm_client_denied(oc->client));
            return;
        }
    }
    ow_respond_ok(oc, &pi->cmd);
}

void ow_on_destination_info(ow_conn_t *oc, ow_destination_info_t *di)
{
    char err[256] = "";
    if (!di->destination || !di->destination->physical_name) {
        ow_respond_error(oc, &di->cmd, INVALID_DEST_EXC, "DestinationInfo without a destination");
        return;
    }
    hm_dname_t d = ow_dname(di->destination);
    apr_status_t st;
    if (di->operation_type == 0)
        st = HM_KIND_IS_TEMP(d.kind) ? hm_temp_dest_create(oc->client, d) : hm_dest_create(oc->client, d);
    else
        st = hm_dest_delete(oc->client, d, err, sizeof err);
    if (st == HM_ENOTALLOWED)
        ow_respond_error(oc, &di->cmd, SECURITY_EXC, hm_client_denied(oc->client));
    else if (st)
        ow_respond_error(oc, &di->cmd, st == HM_EINVAL ? INVALID_DEST_EXC : JMS_EXC, *err ? err : hm_strerror(st));
    else
        ow_respond_ok(oc, &di->cmd);
}

/* A transacted acknowledgement takes effect at commit; meanwhile it frees prefetch credit. */
static void on_tx_ack(ow_conn_t *oc, ow_message_ack_t *a, ow_cons_t *c, const char *id, hm_delivery_t *d)
{
    int kind = a->ack_type == OW_ACK_INDIVIDUAL ? HM_ACK_CONSUMED
             : a->ack_type == OW_ACK_DELIVERED || a->ack_type == OW_ACK_REDELIVERED ? -1
             : HM_ACK_CONSUMED_UPTO;
    apr_hash_t *table = ow_tx_table(oc, a->transaction_id);
    ow_tx_t *tx = ow_tx_begin(table, a->transaction_id, ow_tx_limit(a->transaction_id));
    apr_status_t st = !tx ? APR_ENOMEM
                    : d && kind >= 0 ? ow_tx_add_ack(tx, hm_consumer_serial(c->hc), id, kind) : APR_SUCCESS;
    ow_tx_table_done(a->transaction_id);
    if (d)
        hm_consumer_ack(c->hc, d, HM_ACK_DELIVERED_UPTO, NULL, NULL);
    if (st)
        ow_respond_error(oc, &a->cmd, RESOURCE_EXC, "the transaction cannot hold more acknowledgements");
    else
        ow_respond_ok(oc, &a->cmd);
}

void ow_on_ack(ow_conn_t *oc, ow_message_ack_t *a)
{
    ow_cons_t *c = ow_find_consumer(oc, a->consumer_id);
    char *id = c && a->last_message_id ? ow_message_id_string(oc->scratch, a->last_message_id) : NULL;
    hm_delivery_t *d = id ? hm_consumer_find(c->hc, id) : NULL;
    if (a->transaction_id) {
        on_tx_ack(oc, a, c, id, d);
        return;
    }
    if (d) {
        /* a synchronous ack is answered once its removal is durable */
        pending_t *p = a->cmd.response_required ? ow_pending_new(oc, &a->cmd) : NULL;
        hm_send_done_fn done = p ? ow_pending_done : NULL;
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
            ow_respond_error(oc, &a->cmd, RESOURCE_EXC, "out of memory");
        return;
    }
    hm_debug("openwire %s: ack for an unknown delivery ignored", hm_conn_peer(oc->conn));
    ow_respond_ok(oc, &a->cmd);
}

void ow_on_pull(ow_conn_t *oc, ow_message_pull_t *p)
{
    ow_cons_t *c = ow_find_consumer(oc, p->consumer_id);
    if (c)
        hm_consumer_pull(c->hc, p->timeout);
    ow_respond_ok(oc, &p->cmd);
}

void ow_on_consumer_control(ow_conn_t *oc, ow_consumer_control_t *cc)
{
    ow_cons_t *c = ow_find_consumer(oc, cc->consumer_id);
    if (c && cc->close)
        close_consumer(oc, c, UINT64_MAX);
    else if (c)
        hm_consumer_set_prefetch(c->hc, cc->prefetch);
    ow_respond_ok(oc, &cc->cmd);
}
