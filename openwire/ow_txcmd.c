/* The OpenWire adapter's TransactionInfo commands: local transactions and XA (begin, end,
 * prepare, commit, rollback, recover, forget) with ActiveMQ's answers and error codes. */
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

/* Where a transaction lives: XA branches in the process-wide table (locked until
 * ow_tx_table_done), local ones on their connection. */
apr_hash_t *ow_tx_table(ow_conn_t *oc, const ow_transaction_id_t *id)
{
    return id->obj.type == OW_ACTIVEMQ_XA_TRANSACTION_ID ? ow_xa_lock() : oc->txs;
}

unsigned ow_tx_limit(const ow_transaction_id_t *id)
{
    return id->obj.type == OW_ACTIVEMQ_XA_TRANSACTION_ID ? OW_MAX_OPEN_XA : OW_MAX_OPEN_TXS;
}

void ow_tx_table_done(const ow_transaction_id_t *id)
{
    if (id->obj.type == OW_ACTIVEMQ_XA_TRANSACTION_ID)
        ow_xa_unlock();
}

static void respond_int(ow_conn_t *oc, const ow_command_t *req, int32_t result)
{
    ow_integer_response_t r = { { { OW_INTEGER_RESPONSE }, 0, 0 }, req->command_id, result };
    ow_emit(oc, &r.cmd);
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
    ow_emit(oc, &r.cmd);
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
    ow_respond_error(oc, req, XA_EXC, apr_psprintf(oc->scratch, "%s xaErrorCode:%d", what, code));
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
    pending_t *p = ow_pending_new(oc, &ti->cmd);
    if (!p) {
        ow_respond_error(oc, &ti->cmd, RESOURCE_EXC, "out of memory");
        return;
    }
    apr_status_t st = commit ? hm_xa_commit(oc->b, &xid, ow_pending_done, p)
                             : hm_xa_rollback(oc->b, &xid, ow_pending_done, p);
    if (st) {
        ow_pending_free(p);
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
    if (k && ow_key_set_add(oc->xa_joined, k))
        ow_tx_join(tx);
}

static void on_transaction_info_in(ow_conn_t *oc, ow_transaction_info_t *ti, apr_hash_t *table)
{
    char err[256] = "";
    ow_tx_t *tx = ti->type == TX_BEGIN ? ow_tx_begin(table, ti->transaction_id, ow_tx_limit(ti->transaction_id))
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
            ow_respond_error(oc, &ti->cmd, RESOURCE_EXC, "too many open transactions");
        else
            ow_respond_ok(oc, &ti->cmd);
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
            ow_respond_ok(oc, &ti->cmd);
        return;
    case TX_PREPARE: {
        if (prepared) {
            respond_int(oc, &ti->cmd, 0);   /* prepared already: XA_OK again */
            return;
        }
        if (!tx) {
            ow_respond_error(oc, &ti->cmd, JMS_EXC, apr_psprintf(oc->scratch,
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
        pending_t *p = ow_pending_new(oc, &ti->cmd);
        if (p) {
            p->int_response = 1;
            p->int_result = 0;
        }
        apr_status_t st = p ? ow_tx_prepare(tx, oc->client, ow_pending_done, p,
                                           err, sizeof err) : APR_ENOMEM;
        ow_tx_end(table, tx);
        if (st) {
            if (p)
                ow_pending_free(p);
            respond_xa_error(oc, &ti->cmd, -3, *err ? err : hm_strerror(st));
        }
        return;
    }
    case TX_ROLLBACK:
        if (tx) {
            ow_tx_end(table, tx);
            ow_respond_ok(oc, &ti->cmd);
        } else if (xa) {
            xa_complete(oc, ti, 0);
        } else {
            ow_respond_ok(oc, &ti->cmd);
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
            ow_respond_ok(oc, &ti->cmd);       /* an empty local transaction */
            return;
        }
        pending_t *p = ow_pending_new(oc, &ti->cmd);
        apr_status_t st = p ? ow_tx_commit(tx, oc->client, ow_pending_done, p,
                                          err, sizeof err) : APR_ENOMEM;
        ow_tx_end(table, tx);
        if (st) {
            if (p)
                ow_pending_free(p);
            ow_respond_error(oc, &ti->cmd, st == HM_ENOTFOUND ? NO_DEST_EXC : st == HM_ENOSPACE ? RESOURCE_EXC
                          : "javax.jms.TransactionRolledBackException", *err ? err : hm_strerror(st));
        }
        return;
    }
    default:
        ow_respond_error(oc, &ti->cmd, JMS_EXC, "unknown TransactionInfo type");
        return;
    }
}

void ow_on_transaction_info(ow_conn_t *oc, ow_transaction_info_t *ti)
{
    if (ti->type == TX_RECOVER) {
        respond_recover(oc, &ti->cmd);
        return;
    }
    if (!ti->transaction_id) {
        ow_respond_error(oc, &ti->cmd, JMS_EXC, "TransactionInfo without a transaction id");
        return;
    }
    apr_hash_t *table = ow_tx_table(oc, ti->transaction_id);
    on_transaction_info_in(oc, ti, table);
    /* a branch that ended (prepared, committed, rolled back) is no longer this connection's */
    if (ti->transaction_id->obj.type == OW_ACTIVEMQ_XA_TRANSACTION_ID &&
        !ow_tx_find(table, ti->transaction_id)) {
        char *k = ow_tx_key(ti->transaction_id);
        if (k)
            ow_key_set_remove(oc->xa_joined, k);
        free(k);
    }
    ow_tx_table_done(ti->transaction_id);
}
