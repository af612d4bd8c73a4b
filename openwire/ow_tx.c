/* OpenWire transactions: a local or XA transaction collects sends and acknowledgements on its
 * connection and hands them to the core in one commit (one store batch). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pthread.h>

#include <apr_strings.h>
#include <apr_thread_mutex.h>

#include "hm_log.h"
#include "ow_adapter_int.h"

struct ow_tx_s {
    char *key;
    int xa;
    ow_transaction_id_t *id;       /* flat copy */
    hm_msg_t **msgs;
    int nmsgs, capm;
    struct ow_txack_s { uint64_t consumer; char *message_id; int kind; } *acks;
    int nacks, capa;
    int participants;              /* XA: connections that started (or joined) it */
};

/* XA branches are the broker's, not a connection's: one table for every connection, so a
 * branch joined (TMJOIN) from another connection collects into the same transaction. */
static apr_thread_mutex_t *xa_mutex;
static apr_hash_t *xa_table;
static pthread_once_t xa_once = PTHREAD_ONCE_INIT;

static void xa_init(void)
{
    apr_pool_t *p;
    if (apr_pool_create(&p, NULL) == APR_SUCCESS &&
        apr_thread_mutex_create(&xa_mutex, APR_THREAD_MUTEX_DEFAULT, p) == APR_SUCCESS)
        xa_table = apr_hash_make(p);
}

apr_hash_t *ow_xa_lock(void)
{
    pthread_once(&xa_once, xa_init);
    if (!xa_mutex)
        abort();                   /* no memory for the table at start-up */
    apr_thread_mutex_lock(xa_mutex);
    return xa_table;
}

void ow_xa_unlock(void)
{
    apr_thread_mutex_unlock(xa_mutex);
}

void ow_tx_join(ow_tx_t *tx) { tx->participants++; }
int ow_tx_leave(ow_tx_t *tx) { return --tx->participants; }

/* A transaction id as a hash key: "L:<connection>:<n>" or "X:<format>:<gtrid hex>:<bqual hex>". */
char *ow_tx_key(const ow_transaction_id_t *id)
{
    if (!id)
        return NULL;
    if (id->obj.type == OW_ACTIVEMQ_LOCAL_TRANSACTION_ID) {
        const char *conn = id->local.connection_id && id->local.connection_id->value
                         ? id->local.connection_id->value : "";
        size_t n = strlen(conn) + 32;
        char *k = malloc(n);
        if (k)
            snprintf(k, n, "L:%s:%" APR_INT64_T_FMT, conn, id->local.value);
        return k;
    }
    const ow_xa_transaction_id_t *x = &id->xa;
    size_t gl = x->global_transaction_id.data ? (size_t)x->global_transaction_id.len : 0;
    size_t bl = x->branch_qualifier.data ? (size_t)x->branch_qualifier.len : 0;
    char *k = malloc(16 + 2 * (gl + bl) + 4);
    if (!k)
        return NULL;
    char *p = k + sprintf(k, "X:%d:", (int)x->format_id);
    for (size_t i = 0; i < gl; i++)
        p += sprintf(p, "%02x", x->global_transaction_id.data[i]);
    *p++ = ':';
    for (size_t i = 0; i < bl; i++)
        p += sprintf(p, "%02x", x->branch_qualifier.data[i]);
    *p = 0;
    return k;
}

ow_tx_t *ow_tx_find(apr_hash_t *txs, const ow_transaction_id_t *id)
{
    char *k = ow_tx_key(id);
    ow_tx_t *tx = k ? apr_hash_get(txs, k, APR_HASH_KEY_STRING) : NULL;
    free(k);
    return tx;
}

ow_tx_t *ow_tx_begin(apr_hash_t *txs, const ow_transaction_id_t *id, unsigned max)
{
    ow_tx_t *tx = ow_tx_find(txs, id);
    if (tx || apr_hash_count(txs) >= max)
        return tx;
    if (!(tx = calloc(1, sizeof *tx)) || !(tx->key = ow_tx_key(id)) ||
        ow_object_copy_flat(&id->obj, (ow_object_t **)&tx->id, NULL) != APR_SUCCESS) {
        if (tx)
            free(tx->key);
        free(tx);
        return NULL;
    }
    tx->xa = id->obj.type == OW_ACTIVEMQ_XA_TRANSACTION_ID;
    apr_hash_set(txs, tx->key, APR_HASH_KEY_STRING, tx);
    return tx;
}

apr_status_t ow_tx_add_msg(ow_tx_t *tx, hm_msg_t *m)
{
    if (tx->nmsgs == tx->capm) {
        int cap = tx->capm ? tx->capm * 2 : 8;
        if (cap > OW_MAX_TX_OPS)
            return HM_ENOSPACE;
        hm_msg_t **n = realloc(tx->msgs, (size_t)cap * sizeof *n);
        if (!n)
            return APR_ENOMEM;
        tx->msgs = n;
        tx->capm = cap;
    }
    tx->msgs[tx->nmsgs++] = hm_msg_ref(m);
    return APR_SUCCESS;
}

apr_status_t ow_tx_add_ack(ow_tx_t *tx, uint64_t consumer, const char *message_id, int kind)
{
    if (tx->nacks == tx->capa) {
        int cap = tx->capa ? tx->capa * 2 : 8;
        if (cap > OW_MAX_TX_OPS)
            return HM_ENOSPACE;
        struct ow_txack_s *n = realloc(tx->acks, (size_t)cap * sizeof *n);
        if (!n)
            return APR_ENOMEM;
        tx->acks = n;
        tx->capa = cap;
    }
    struct ow_txack_s *a = &tx->acks[tx->nacks];
    a->consumer = consumer;
    if (!(a->message_id = strdup(message_id)))
        return APR_ENOMEM;
    a->kind = kind;
    tx->nacks++;
    return APR_SUCCESS;
}

int ow_tx_empty(const ow_tx_t *tx) { return tx->nmsgs == 0 && tx->nacks == 0; }
int ow_tx_is_xa(const ow_tx_t *tx) { return tx->xa; }


/* The acknowledgements as the core takes them (malloc'd, *n of them); the core skips those
 * whose consumer has closed since (their messages went back to the queue). */
static hm_txack_t *core_acks(ow_tx_t *tx, int *n)
{
    hm_txack_t *acks = calloc((size_t)tx->nacks + 1, sizeof *acks);
    *n = 0;
    for (int i = 0; acks && i < tx->nacks; i++) {
        acks[*n].consumer = tx->acks[i].consumer;
        acks[*n].message_id = tx->acks[i].message_id;
        acks[*n].kind = tx->acks[i].kind;
        (*n)++;
    }
    return acks;
}

apr_status_t ow_tx_commit(ow_tx_t *tx, hm_client_t *client, hm_send_done_fn done, void *baton,
                          char *err, size_t errlen)
{
    int n;
    hm_txack_t *acks = core_acks(tx, &n);
    if (!acks)
        return APR_ENOMEM;
    apr_status_t st = hm_commit(client, tx->msgs, tx->nmsgs, acks, n, done, baton, err, errlen);
    free(acks);
    return st;
}

apr_status_t ow_xid(const ow_transaction_id_t *id, hm_xid_t *out)
{
    const ow_xa_transaction_id_t *x = &id->xa;
    int32_t gl = x->global_transaction_id.data ? x->global_transaction_id.len : 0;
    int32_t bl = x->branch_qualifier.data ? x->branch_qualifier.len : 0;
    if (id->obj.type != OW_ACTIVEMQ_XA_TRANSACTION_ID || gl > HM_XID_MAX || bl > HM_XID_MAX)
        return HM_EINVAL;
    memset(out, 0, sizeof *out);
    out->format = x->format_id;
    out->gtrid_len = (uint8_t)gl;
    out->bqual_len = (uint8_t)bl;
    if (gl)
        memcpy(out->gtrid, x->global_transaction_id.data, (size_t)gl);
    if (bl)
        memcpy(out->bqual, x->branch_qualifier.data, (size_t)bl);
    return APR_SUCCESS;
}

apr_status_t ow_tx_prepare(ow_tx_t *tx, hm_client_t *client, hm_send_done_fn done, void *baton,
                           char *err, size_t errlen)
{
    hm_xid_t xid;
    apr_status_t st = ow_xid(tx->id, &xid);
    if (st) {
        snprintf(err, errlen, "an XA transaction id longer than %d bytes", HM_XID_MAX);
        return st;
    }
    int n;
    hm_txack_t *acks = core_acks(tx, &n);
    if (!acks)
        return APR_ENOMEM;
    st = hm_xa_prepare(client, &xid, tx->msgs, tx->nmsgs, acks, n, done, baton, err, errlen);
    free(acks);
    return st;
}

void ow_tx_end(apr_hash_t *txs, ow_tx_t *tx)
{
    apr_hash_set(txs, tx->key, APR_HASH_KEY_STRING, NULL);
    for (int i = 0; i < tx->nmsgs; i++)
        hm_msg_unref(tx->msgs[i]);
    for (int i = 0; i < tx->nacks; i++)
        free(tx->acks[i].message_id);
    free(tx->msgs);
    free(tx->acks);
    free(tx->id);
    free(tx->key);
    free(tx);
}
