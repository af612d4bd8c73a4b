/* The answers to a client's deliveries (its sends, a transaction's discharge): each is
 * remembered on its link until the core answers it (from the store's thread, when durable), and
 * the answer is put on the wire by the loop: accepted, transactional-state, or rejected with the
 * AMQP error for the core's status.  A link that closes first orphans its remembered deliveries,
 * so a late answer settles nothing. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <proton/condition.h>
#include <proton/disposition.h>

#include "amqp_int.h"
#include "hm_log.h"

struct amqp_pending_s {
    amqp_in_t in;                  /* first: the core's baton is &in */
    amqp_pending_t *next, **prevp; /* the link's list; prevp NULL: orphaned */
};

const char *amqp_condition_for(apr_status_t st)
{
    return st == HM_ENOTALLOWED ? "amqp:unauthorized-access"
         : st == HM_EFLOW || st == HM_ENOSPACE ? "amqp:resource-limit-exceeded"
         : st == HM_ENOTFOUND ? "amqp:not-found"
         : st == HM_EINVAL || st == HM_ESELECTOR ? "amqp:invalid-field"
         : st == HM_EEXISTS ? "amqp:resource-locked"
         : st == HM_EMALFORMED ? "amqp:decode-error" : "amqp:internal-error";
}

void amqp_put_txn_id(pn_data_t *d, uint64_t id)
{
    char b[8];
    for (int i = 7; i >= 0; i--, id >>= 8)
        b[i] = (char)(id & 0xff);
    pn_data_put_binary(d, pn_bytes(8, b));
}

/* transactional-state (txn-id, accepted): a transactional transfer's answer. */
static void reply_state(pn_delivery_t *pd, uint64_t txid)
{
    pn_data_t *d = pn_disposition_data(pn_delivery_local(pd));
    pn_data_clear(d);
    pn_data_put_list(d);               /* transactional-state: [txn-id, outcome] */
    pn_data_enter(d);
    amqp_put_txn_id(d, txid);
    pn_data_put_described(d);
    pn_data_enter(d);
    pn_data_put_ulong(d, PN_ACCEPTED);
    pn_data_put_list(d);
    pn_data_exit(d);
    pn_data_exit(d);
    pn_delivery_update(pd, AMQP_TX_STATE);
}

void amqp_answer_done(void *baton, apr_status_t st)
{
    amqp_in_t *in = baton;
    amqp_item_t *it = calloc(1, sizeof *it);
    if (!it)
        return;                    /* the client's delivery stays unsettled */
    it->kind = ITEM_SENT;
    it->in = in;
    it->st = st;
    amqp_conn_post(in->ac, it);
}

static void pending_remove(amqp_pending_t *p)
{
    if (p->prevp) {
        *p->prevp = p->next;
        if (p->next)
            p->next->prevp = p->prevp;
        p->prevp = NULL;
    }
}

void amqp_answer_apply(amqp_conn_t *ac, amqp_item_t *it)
{
    amqp_pending_t *p = (amqp_pending_t *)it->in;
    if (p->in.link) {
        pending_remove(p);
        pn_delivery_t *pd = p->in.pd;
        if (pd) {
            if (it->st == APR_SUCCESS && p->in.txid) {
                reply_state(pd, p->in.txid);
            } else if (it->st == APR_SUCCESS) {
                pn_delivery_update(pd, PN_ACCEPTED);
            } else {
                pn_condition_t *c = pn_disposition_condition(pn_delivery_local(pd));
                pn_condition_set_name(c, p->in.discharge ? "amqp:transaction:rollback" : amqp_condition_for(it->st));
                pn_condition_set_description(c, it->text ? it->text : hm_strerror(it->st));
                pn_delivery_update(pd, PN_REJECTED);
            }
            pn_delivery_settle(pd);
        }
    }
    free(it->text);
    free(p);
    amqp_conn_unref(ac);
}

/* Remembers a delivery of the client's until the core answers it (amqp_answer_done). */
amqp_in_t *amqp_answer_track(amqp_conn_t *ac, amqp_link_t *l, pn_delivery_t *pd)
{
    amqp_pending_t *pi = calloc(1, sizeof *pi);
    if (!pi)
        return NULL;
    pi->in.ac = ac;
    pi->in.link = l;
    pi->in.pd = pn_delivery_settled(pd) ? NULL : pd;
    pi->next = l->ins;
    pi->prevp = &l->ins;
    if (l->ins)
        l->ins->prevp = &pi->next;
    l->ins = pi;
    amqp_conn_ref(ac);
    return &pi->in;
}

void amqp_answer_refused(amqp_conn_t *ac, amqp_in_t *in, apr_status_t st, const char *text)
{
    amqp_item_t it = { NULL, ITEM_SENT, NULL, NULL, in, st, text ? strdup(text) : NULL };
    amqp_answer_apply(ac, &it);
}

void amqp_answer_forget(amqp_in_t *in)
{
    amqp_pending_t *p = (amqp_pending_t *)in;
    amqp_conn_t *ac = in->ac;
    if (p->in.link)
        pending_remove(p);
    free(p);
    amqp_conn_unref(ac);
}

void amqp_answer_orphan(amqp_link_t *l)
{
    for (amqp_pending_t *p = l->ins; p; p = p->next) {
        p->in.link = NULL;         /* the core's answer finds no delivery to settle */
        p->in.pd = NULL;
        p->prevp = NULL;
    }
    l->ins = NULL;
}
