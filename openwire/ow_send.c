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
    char *k = id ? ow_producer_key(id) : NULL;
    return k ? k : strdup("null");
}

/* Answers a held or refused send with its exception (an async send has nobody to tell). */
static void flow_fail(ow_conn_t *oc, pending_t *p, apr_status_t st, const char *err,
                      const char *producer, int timed_out)
{
    apr_pool_t *tmp;
    if (apr_pool_create(&tmp, NULL) != APR_SUCCESS) {
        ow_pending_done(p, st);
        return;
    }
    const char *text = flow_text(tmp, st, err, producer, timed_out);
    hm_info("openwire %s: send refused: %s", hm_conn_peer(oc->conn), text);
    if (p->response_required)
        ow_respond_error_id(oc, p->command_id, RESOURCE_EXC, text);
    ow_pending_free(p);
    apr_pool_destroy(tmp);
}

void ow_waiter_fire(void *baton)
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
        char *pk = producer ? ow_producer_key(producer) : NULL;
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
void ow_unpark(ow_conn_t *oc, apr_time_t now)
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
            st = hm_send(oc->client, k->msg, ow_pending_done, k->p, err, sizeof err);
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
            ow_pending_done(k->p, st);
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

void ow_drop_parked(ow_conn_t *oc)
{
    hm_space_cancel(oc->b, &oc->waiter);
    while (oc->parked) {
        parked_t *k = oc->parked;
        oc->parked = k->next;
        hm_msg_unref(k->msg);
        ow_pending_free(k->p);
        free(k->producer);
        free(k->txid);
        free(k);
    }
    oc->parked_tail = &oc->parked;
    oc->nparked = 0;
}

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
    const hm_broker_opts_t *bo = hm_broker_options(oc->b);
    /* decided before sending: a send that goes through may be answered (p freed) at once.
     * A held transacted send also holds the connection, so its commit cannot overtake it. */
    int pauses = (!m->cmd.response_required && !p->window_producer) || m->transaction_id;
    apr_status_t st;
    if (parked_for(oc, hm->dest)) {
        st = HM_EFLOW;
    } else if (m->transaction_id) {
        /* held like any send, but it joins its transaction instead of being routed */
        if ((st = hm_send_allowed(oc->client, hm->dest, err, sizeof err)) == APR_SUCCESS &&
            (st = hm_flow_check(oc->b, hm, err, sizeof err)) == APR_SUCCESS) {
            tx_send(oc, m->transaction_id, hm, p);
            hm_msg_unref(hm);
            return APR_SUCCESS;
        }
    } else {
        st = hm_send(oc->client, hm, ow_pending_done, p, err, sizeof err);
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
        ow_pending_free(p);
        ow_respond_error(oc, &m->cmd, st == HM_ENOTALLOWED ? SECURITY_EXC
                                   : st == HM_ENOTFOUND ? NO_DEST_EXC : st == HM_EINVAL ? INVALID_DEST_EXC
                                   : st == HM_EMALFORMED ? MSG_FORMAT_EXC : JMS_EXC,
                      *err ? err : hm_strerror(st));
    }
    return APR_SUCCESS;
}
