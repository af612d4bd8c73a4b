/* AMQP local transactions (amqp:local-transactions): the coordinator link's declare and
 * discharge, transactional transfers (sends joining a transaction) and transactional
 * dispositions (acknowledgements joining it).  A commit hands everything to the core in one
 * hm_commit (one store batch, all or nothing through a crash, as OpenWire's); a rollback drops
 * the sends and gives the acknowledged messages back, counted as redelivered. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <proton/condition.h>
#include <proton/disposition.h>

#include "amqp_int.h"
#include "amqp_limits.h"
#include "hm_log.h"

#define DECLARE     0x31
#define DISCHARGE   0x32

typedef struct tx_ack_s {
    amqp_link_t *link;             /* NULL: its link closed since (the core gave it back) */
    char *message_id;
    uint64_t consumer;
} tx_ack_t;

struct amqp_tx_s {
    uint64_t id;
    amqp_tx_t *next;
    hm_msg_t **msgs;
    int nmsgs, capm;
    tx_ack_t *acks;
    int nacks, capa;
};

amqp_tx_t *amqp_tx_find(amqp_conn_t *ac, uint64_t id)
{
    for (amqp_tx_t *t = ac->txs; t; t = t->next)
        if (t->id == id)
            return t;
    return NULL;
}

static void tx_free(amqp_tx_t *t)
{
    for (int i = 0; i < t->nmsgs; i++)
        hm_msg_unref(t->msgs[i]);
    for (int i = 0; i < t->nacks; i++)
        free(t->acks[i].message_id);
    free(t->msgs);
    free(t->acks);
    free(t);
}

static void unlink_tx(amqp_conn_t *ac, amqp_tx_t *t)
{
    for (amqp_tx_t **pp = &ac->txs; *pp; pp = &(*pp)->next)
        if (*pp == t) {
            *pp = t->next;
            ac->ntxs--;
            return;
        }
}

/* A txn-id as we hand them out: 8 bytes, big-endian. */
static int txn_id_of(pn_data_t *d, uint64_t *id)
{
    if (pn_data_type(d) != PN_BINARY)
        return 0;
    pn_bytes_t b = pn_data_get_binary(d);
    if (b.size != 8)
        return 0;
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v = (v << 8) | (uint8_t)b.start[i];
    *id = v;
    return 1;
}

static void put_txn_id(pn_data_t *d, uint64_t id)
{
    char b[8];
    for (int i = 7; i >= 0; i--, id >>= 8)
        b[i] = (char)(id & 0xff);
    pn_data_put_binary(d, pn_bytes(8, b));
}

amqp_tx_t *amqp_tx_of_state(amqp_conn_t *ac, pn_disposition_t *state, uint64_t *outcome)
{
    pn_data_t *d = pn_disposition_data(state);
    uint64_t id;
    *outcome = 0;
    pn_data_rewind(d);
    if (!pn_data_next(d))
        return NULL;
    if (pn_data_type(d) == PN_LIST) {
        pn_data_enter(d);
        pn_data_next(d);
    }
    if (!txn_id_of(d, &id))
        return NULL;
    if (pn_data_next(d) && pn_data_type(d) == PN_DESCRIBED) {
        pn_data_enter(d);
        if (pn_data_next(d) && pn_data_type(d) == PN_ULONG)
            *outcome = pn_data_get_ulong(d);
        pn_data_exit(d);
    }
    return amqp_tx_find(ac, id);
}

void amqp_tx_reply_state(pn_delivery_t *pd, uint64_t txid)
{
    pn_data_t *d = pn_disposition_data(pn_delivery_local(pd));
    pn_data_clear(d);
    pn_data_put_list(d);               /* transactional-state: [txn-id, outcome] */
    pn_data_enter(d);
    put_txn_id(d, txid);
    pn_data_put_described(d);
    pn_data_enter(d);
    pn_data_put_ulong(d, PN_ACCEPTED);
    pn_data_put_list(d);
    pn_data_exit(d);
    pn_data_exit(d);
    pn_delivery_update(pd, AMQP_TX_STATE);
}

uint64_t amqp_tx_id(const amqp_tx_t *t)
{
    return t->id;
}

apr_status_t amqp_tx_add_msg(amqp_tx_t *t, hm_msg_t *m)
{
    if (t->nmsgs + t->nacks >= AMQP_MAX_TX_ITEMS)
        return HM_ENOSPACE;
    if (t->nmsgs == t->capm) {
        int cap = t->capm ? 2 * t->capm : 16;
        hm_msg_t **n = realloc(t->msgs, (size_t)cap * sizeof *n);
        if (!n)
            return APR_ENOMEM;
        t->msgs = n;
        t->capm = cap;
    }
    t->msgs[t->nmsgs++] = hm_msg_ref(m);
    return APR_SUCCESS;
}

apr_status_t amqp_tx_add_ack(amqp_tx_t *t, amqp_link_t *l, const hm_delivery_t *d)
{
    if (t->nmsgs + t->nacks >= AMQP_MAX_TX_ITEMS || !d->msg->message_id)
        return HM_ENOSPACE;
    if (t->nacks == t->capa) {
        int cap = t->capa ? 2 * t->capa : 16;
        tx_ack_t *n = realloc(t->acks, (size_t)cap * sizeof *n);
        if (!n)
            return APR_ENOMEM;
        t->acks = n;
        t->capa = cap;
    }
    char *id = strdup(d->msg->message_id);
    if (!id)
        return APR_ENOMEM;
    t->acks[t->nacks++] = (tx_ack_t){ l, id, hm_consumer_serial(l->hc) };
    return APR_SUCCESS;
}

/* The link's consumer closed: its deliveries went back, nothing to give back at rollback. */
void amqp_tx_forget_link(amqp_conn_t *ac, amqp_link_t *l)
{
    for (amqp_tx_t *t = ac->txs; t; t = t->next)
        for (int i = 0; i < t->nacks; i++)
            if (t->acks[i].link == l)
                t->acks[i].link = NULL;
}

static void rollback(amqp_tx_t *t)
{
    for (int i = 0; i < t->nacks; i++) {
        amqp_link_t *l = t->acks[i].link;
        hm_delivery_t *d = l && l->hc ? hm_consumer_find(l->hc, t->acks[i].message_id) : NULL;
        if (d)
            hm_consumer_ack(l->hc, d, HM_ACK_RETURN, NULL, NULL);
    }
    tx_free(t);
}

void amqp_tx_close_all(amqp_conn_t *ac)
{
    while (ac->txs) {
        amqp_tx_t *t = ac->txs;
        ac->txs = t->next;
        tx_free(t);                /* the consumers' close returns what they acknowledged */
    }
    ac->ntxs = 0;
}

static void refuse_control(pn_delivery_t *pd, const char *condition, const char *text)
{
    pn_condition_t *c = pn_disposition_condition(pn_delivery_local(pd));
    pn_condition_set_name(c, condition);
    pn_condition_set_description(c, text);
    pn_delivery_update(pd, PN_REJECTED);
    pn_delivery_settle(pd);
}

/* Finds the amqp-value section's described body in a coordinator message; the cursor is left
 * inside the described value on its list.  Returns the descriptor code, 0 if none. */
static uint64_t control_of(pn_data_t *d, const uint8_t *p, size_t len)
{
    size_t off = 0;
    while (off < len) {
        pn_data_clear(d);
        ssize_t n = pn_data_decode(d, (const char *)p + off, len - off);
        if (n <= 0)
            return 0;
        off += (size_t)n;
        pn_data_rewind(d);
        if (!pn_data_next(d) || pn_data_type(d) != PN_DESCRIBED || !pn_data_enter(d) || !pn_data_next(d))
            return 0;
        if (pn_data_type(d) != PN_ULONG || pn_data_get_ulong(d) != AMQP_SEC_VALUE)
            continue;
        if (!pn_data_next(d) || pn_data_type(d) != PN_DESCRIBED || !pn_data_enter(d) || !pn_data_next(d))
            return 0;
        uint64_t code = 0;
        if (pn_data_type(d) == PN_ULONG) {
            code = pn_data_get_ulong(d);
        } else if (pn_data_type(d) == PN_SYMBOL) {
            pn_bytes_t s = pn_data_get_symbol(d);
            code = BYTES_IS(s, "amqp:declare:list") ? DECLARE : BYTES_IS(s, "amqp:discharge:list") ? DISCHARGE : 0;
        }
        if (!pn_data_next(d))
            return 0;
        return code;
    }
    return 0;
}

void amqp_tx_control(amqp_conn_t *ac, amqp_link_t *l, pn_delivery_t *pd, const uint8_t *p, size_t len,
                     amqp_in_t *(*track)(amqp_conn_t *, amqp_link_t *, pn_delivery_t *))
{
    pn_data_t *d = ac->scratch;
    uint64_t code = control_of(d, p, len);
    if (code == DECLARE) {
        if (ac->ntxs >= AMQP_MAX_TXS) {
            refuse_control(pd, "amqp:resource-limit-exceeded", "too many open transactions");
            return;
        }
        amqp_tx_t *t = calloc(1, sizeof *t);
        if (!t) {
            refuse_control(pd, "amqp:internal-error", "out of memory");
            return;
        }
        t->id = ++ac->next_txn;
        t->next = ac->txs;
        ac->txs = t;
        ac->ntxs++;
        pn_data_t *dd = pn_disposition_data(pn_delivery_local(pd));
        pn_data_clear(dd);
        pn_data_put_list(dd);          /* declared: [txn-id] */
        pn_data_enter(dd);
        put_txn_id(dd, t->id);
        pn_data_exit(dd);
        pn_delivery_update(pd, AMQP_TX_DECLARED);
        pn_delivery_settle(pd);
        return;
    }
    if (code != DISCHARGE) {
        refuse_control(pd, "amqp:not-implemented", "the coordinator takes only declare and discharge");
        return;
    }
    uint64_t id = 0;
    int fail = 0;
    if (pn_data_type(d) == PN_LIST && pn_data_enter(d) && pn_data_next(d))
        txn_id_of(d, &id);
    if (pn_data_next(d) && pn_data_type(d) == PN_BOOL)
        fail = pn_data_get_bool(d);
    amqp_tx_t *t = amqp_tx_find(ac, id);
    if (!t) {
        refuse_control(pd, "amqp:transaction:unknown-id", "no such transaction");
        return;
    }
    unlink_tx(ac, t);
    if (fail) {
        rollback(t);
        pn_delivery_update(pd, PN_ACCEPTED);
        pn_delivery_settle(pd);
        return;
    }
    hm_txack_t *acks = t->nacks ? calloc((size_t)t->nacks, sizeof *acks) : NULL;
    if (t->nacks && !acks) {
        rollback(t);
        refuse_control(pd, "amqp:transaction:rollback", "out of memory");
        return;
    }
    for (int i = 0; i < t->nacks; i++)
        acks[i] = (hm_txack_t){ t->acks[i].consumer, t->acks[i].message_id, HM_ACK_CONSUMED };
    amqp_in_t *in = track(ac, l, pd);   /* the discharge is answered when the commit is durable */
    if (in)
        in->discharge = 1;
    char err[512] = "";
    apr_status_t st = in ? hm_commit(ac->client, t->msgs, t->nmsgs, acks, t->nacks, amqp_link_answer, in,
                                     err, sizeof err)
                         : APR_ENOMEM;
    free(acks);
    tx_free(t);
    if (st) {
        hm_warn("amqp %s: commit failed: %s", hm_conn_peer(ac->conn), *err ? err : hm_strerror(st));
        if (in)
            amqp_link_refused(ac, in, st, *err ? err : hm_strerror(st));
        else
            refuse_control(pd, "amqp:transaction:rollback", hm_strerror(st));
    }
}
