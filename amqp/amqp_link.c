/* AMQP links in the core: a client's sender is a producer (its transfers go through the core's
 * held-send path, hm_flow_t, and are settled when the core answers: accepted once a persistent
 * message is durable), a client's receiver is a consumer in credit mode (the core hands it at
 * most the link's credit; dispositions become acknowledgements). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <apr_strings.h>
#include <proton/condition.h>
#include <proton/disposition.h>
#include <proton/terminus.h>

#include "amqp_int.h"
#include "amqp_limits.h"
#include "hm_limits.h"
#include "hm_log.h"

/* The selector and no-local filters: ActiveMQ's descriptors, by code or by name. */
#define SELECTOR_CODE   0x0000468C00000004ULL
#define NO_LOCAL_CODE   0x0000468C00000003ULL
#define SELECTOR_NAME   "apache.org:selector-filter:string"
#define NO_LOCAL_NAME   "apache.org:no-local-filter:list"

/* Per-link state the loop keeps besides amqp_link_t (which amqp_int.h shares). */
typedef struct link_extra_s {
    amqp_link_t l;
    hm_wbuf_t partial;             /* a transfer arriving in several frames */
    pn_delivery_t *partial_pd;
    amqp_item_t *backlog, **backlog_tail;   /* handed by the core beyond the link's credit */
} link_extra_t;

#define EXTRA(l) ((link_extra_t *)(l))

static void link_release(amqp_conn_t *ac, amqp_link_t *l, int closed);

/* ------------------------------------------------------------------ helpers */

static int has_capability(pn_data_t *caps, const char *name)
{
    if (!caps)
        return 0;
    pn_data_rewind(caps);
    if (!pn_data_next(caps))
        return 0;
    if (pn_data_type(caps) == PN_SYMBOL) {
        pn_bytes_t s = pn_data_get_symbol(caps);
        return s.size == strlen(name) && memcmp(s.start, name, s.size) == 0;
    }
    if (pn_data_type(caps) != PN_ARRAY)
        return 0;
    size_t n = pn_data_get_array(caps);
    int found = 0;
    pn_data_enter(caps);
    for (size_t i = 0; i < n && pn_data_next(caps) && !found; i++) {
        if (pn_data_type(caps) == PN_SYMBOL) {
            pn_bytes_t s = pn_data_get_symbol(caps);
            found = s.size == strlen(name) && memcmp(s.start, name, s.size) == 0;
        }
    }
    pn_data_exit(caps);
    return found;
}

/* A terminus address: a scheme names the kind; a bare name is a queue unless the terminus's
 * capabilities say otherwise (Qpid JMS sends `topic`, `temporary-queue`, `temporary-topic`). */
static hm_dname_t terminus_dest(pn_terminus_t *t, const char *addr)
{
    pn_data_t *caps = pn_terminus_capabilities(t);
    int kind = has_capability(caps, "topic") ? HM_TOPIC
             : has_capability(caps, "temporary-queue") ? HM_TEMP_QUEUE
             : has_capability(caps, "temporary-topic") ? HM_TEMP_TOPIC : -1;
    return amqp_address_dest(addr, kind);
}

/* Answers an attach with a refusal: a null terminus on our side, then a detach with the error. */
static void refuse(amqp_conn_t *ac, pn_link_t *pl, const char *condition, const char *text)
{
    hm_info("amqp %s: link \"%s\" refused: %s", hm_conn_peer(ac->conn), pn_link_name(pl), text);
    pn_terminus_set_type(pn_link_is_sender(pl) ? pn_link_source(pl) : pn_link_target(pl), PN_UNSPECIFIED);
    pn_terminus_copy(pn_link_is_sender(pl) ? pn_link_target(pl) : pn_link_source(pl),
                     pn_link_is_sender(pl) ? pn_link_remote_target(pl) : pn_link_remote_source(pl));
    pn_condition_t *c = pn_link_condition(pl);
    pn_condition_set_name(c, condition);
    pn_condition_set_description(c, text);
    pn_link_open(pl);
    pn_link_close(pl);
}

static amqp_link_t *link_new(amqp_conn_t *ac, pn_link_t *pl, int consumer)
{
    link_extra_t *x = calloc(1, sizeof *x);
    if (!x)
        return NULL;
    amqp_link_t *l = &x->l;
    if (apr_pool_create(&l->pool, ac->pool) != APR_SUCCESS) {
        free(x);
        return NULL;
    }
    l->ac = ac;
    l->pl = pl;
    l->consumer = consumer;
    hm_wbuf_init(&x->partial, (size_t)ac->max_message);
    x->backlog_tail = &x->backlog;
    l->next = ac->links;
    l->prevp = &ac->links;
    if (ac->links)
        ac->links->prevp = &l->next;
    ac->links = l;
    pn_link_set_context(pl, l);
    return l;
}

/* ------------------------------------------------------------------ consumers */

static void on_deliver(void *ctx, hm_consumer_t *hc, hm_delivery_t *d)
{
    amqp_link_t *l = ctx;
    amqp_item_t *it = calloc(1, sizeof *it);
    if (!it) {                     /* cannot track it: it goes back at once */
        hm_warn("amqp: out of memory handing a delivery to a consumer");
        return;
    }
    it->kind = ITEM_DELIVER;
    it->link = l;
    it->d = d;
    amqp_conn_post(l->ac, it);
}

static void on_empty(void *ctx, hm_consumer_t *hc)
{
    (void)ctx; (void)hc;           /* a browser at its end: its receiver simply gets nothing more */
}

static const hm_consumer_ops_t consumer_ops = { on_deliver, on_empty };

/* The filters a receiver asked for: a selector and no-local. */
static apr_status_t read_filters(apr_pool_t *pool, pn_terminus_t *src, const char **selector,
                                 int *no_local, char *err, size_t errlen)
{
    pn_data_t *f = pn_terminus_filter(src);
    *selector = NULL;
    *no_local = 0;
    pn_data_rewind(f);
    if (!pn_data_next(f) || pn_data_type(f) != PN_MAP)
        return APR_SUCCESS;
    size_t n = pn_data_get_map(f) / 2;
    pn_data_enter(f);
    for (size_t i = 0; i < n && pn_data_next(f) && pn_data_next(f); i++) {
        if (pn_data_type(f) != PN_DESCRIBED)
            continue;
        pn_data_enter(f);
        pn_data_next(f);
        int sel = 0, nl = 0;
        if (pn_data_type(f) == PN_ULONG) {
            uint64_t code = pn_data_get_ulong(f);
            sel = code == SELECTOR_CODE;
            nl = code == NO_LOCAL_CODE;
        } else if (pn_data_type(f) == PN_SYMBOL) {
            pn_bytes_t s = pn_data_get_symbol(f);
            sel = BYTES_IS(s, SELECTOR_NAME);
            nl = BYTES_IS(s, NO_LOCAL_NAME);
        }
        if (pn_data_next(f) && sel) {
            if (pn_data_type(f) != PN_STRING) {
                snprintf(err, errlen, "the selector filter's value is not a string");
                pn_data_exit(f);
                pn_data_exit(f);
                return HM_ESELECTOR;
            }
            pn_bytes_t s = pn_data_get_string(f);
            if (s.size > AMQP_MAX_NAME) {
                snprintf(err, errlen, "a selector longer than %d bytes", AMQP_MAX_NAME);
                pn_data_exit(f);
                pn_data_exit(f);
                return HM_ESELECTOR;
            }
            *selector = apr_pstrmemdup(pool, s.start, s.size);
        }
        if (nl)
            *no_local = 1;
        pn_data_exit(f);
    }
    pn_data_exit(f);
    return APR_SUCCESS;
}

static void open_consumer(amqp_conn_t *ac, pn_link_t *pl);

/* A receiver without a source address names a durable subscription by its link name (Qpid JMS
 * does so to unsubscribe): the source becomes the subscription's, as if attached with it. */
static void resume_by_name(amqp_conn_t *ac, pn_link_t *pl)
{
    char *topic, *selector;
    int no_local;
    apr_pool_t *tmp;               /* what is kept is copied into the terminus and the link */
    const char *cid = pn_connection_remote_container(ac->pc);
    if (apr_pool_create(&tmp, NULL) != APR_SUCCESS) {
        refuse(ac, pl, "amqp:internal-error", "out of memory");
        return;
    }
    if (hm_durable_lookup(ac->b, cid, pn_link_name(pl), tmp, &topic, &selector, &no_local)) {
        apr_pool_destroy(tmp);
        refuse(ac, pl, "amqp:not-found", "no durable subscription by this link's name");
        return;
    }
    pn_terminus_t *src = pn_link_remote_source(pl);
    pn_terminus_set_type(src, PN_SOURCE);   /* Proton reads an address-less source as unspecified */
    pn_terminus_set_address(src, apr_pstrcat(tmp, "topic://", topic, NULL));
    pn_terminus_set_durability(src, PN_DELIVERIES);
    pn_terminus_set_expiry_policy(src, PN_EXPIRE_NEVER);
    pn_data_t *f = pn_terminus_filter(src);
    pn_data_clear(f);
    pn_data_put_map(f);
    pn_data_enter(f);
    if (selector) {
        pn_data_put_symbol(f, pn_bytes(strlen("jms-selector"), "jms-selector"));
        pn_data_put_described(f);
        pn_data_enter(f);
        pn_data_put_ulong(f, SELECTOR_CODE);
        pn_data_put_string(f, pn_bytes(strlen(selector), selector));
        pn_data_exit(f);
    }
    if (no_local) {
        pn_data_put_symbol(f, pn_bytes(strlen("no-local"), "no-local"));
        pn_data_put_described(f);
        pn_data_enter(f);
        pn_data_put_ulong(f, NO_LOCAL_CODE);
        pn_data_put_list(f);
        pn_data_exit(f);
    }
    pn_data_exit(f);
    apr_pool_destroy(tmp);
    open_consumer(ac, pl);
}

static void open_consumer(amqp_conn_t *ac, pn_link_t *pl)
{
    pn_terminus_t *src = pn_link_remote_source(pl);
    const char *addr = pn_terminus_get_address(src);
    char err[HM_MAX_DEST_NAME + 128] = "";
    hm_dname_t dest;
    if (!pn_terminus_is_dynamic(src) && (!addr || !*addr)) {
        resume_by_name(ac, pl);
        return;
    }
    if (addr && strlen(addr) > AMQP_MAX_NAME) {
        refuse(ac, pl, "amqp:invalid-field", "a source address that is too long");
        return;
    }
    /* the link first: what it needs lives in its pool and goes with it */
    amqp_link_t *l = link_new(ac, pl, 1);
    if (!l) {
        refuse(ac, pl, "amqp:internal-error", "out of memory");
        return;
    }
    apr_status_t st;
    if (pn_terminus_is_dynamic(src)) {
        int topic = has_capability(pn_terminus_capabilities(src), "temporary-topic");
        dest.kind = topic ? HM_TEMP_TOPIC : HM_TEMP_QUEUE;
        dest.name = apr_psprintf(l->pool, "%s:%llu", ac->connection_id,
                                 (unsigned long long)++ac->next_id);
        if ((st = hm_temp_dest_create(ac->client, dest))) {
            link_release(ac, l, 0);
            refuse(ac, pl, amqp_condition_for(st), hm_client_denied(ac->client) ? hm_client_denied(ac->client) : hm_strerror(st));
            return;
        }
        addr = apr_pstrcat(l->pool, topic ? "temp-topic://" : "temp-queue://", dest.name, NULL);
    } else {
        dest = terminus_dest(src, addr);
    }
    const char *selector;
    int no_local;
    if ((st = read_filters(l->pool, src, &selector, &no_local, err, sizeof err))) {
        link_release(ac, l, 0);
        refuse(ac, pl, "amqp:invalid-field", err);
        return;
    }
    int durable = dest.kind == HM_TOPIC && pn_terminus_get_durability(src) != PN_NONDURABLE &&
                  pn_terminus_get_expiry_policy(src) == PN_EXPIRE_NEVER;
    l->dest_name = apr_pstrdup(l->pool, dest.name);
    l->durable = durable;
    l->sub_name = durable ? apr_pstrdup(l->pool, pn_link_name(pl)) : NULL;
    l->presettled = pn_link_remote_snd_settle_mode(pl) == PN_SND_SETTLED;
    hm_consumer_opts_t o = {
        .dest = { dest.kind, l->dest_name },
        .selector = selector,
        .prefetch = 0,
        .no_local = no_local,
        .browser = HM_KIND_IS_QUEUE(dest.kind) && pn_terminus_get_distribution_mode(src) == PN_DIST_MODE_COPY,
        .durable_name = l->sub_name,
        .id = apr_psprintf(l->pool, "%s:1:%llu", ac->connection_id, (unsigned long long)++ac->next_id),
        .credit = 1,
    };
    st = hm_consumer_open(ac->client, &o, &consumer_ops, l, &l->hc, err, sizeof err);
    if (st) {
        const char *text = st == HM_ENOTALLOWED && hm_client_denied(ac->client) ? hm_client_denied(ac->client)
                         : *err ? err : hm_strerror(st);
        link_release(ac, l, 0);
        refuse(ac, pl, amqp_condition_for(st), text);
        return;
    }
    /* echo the source as asked (clients check the address and the filters we accepted) */
    pn_terminus_copy(pn_link_source(pl), src);
    if (pn_terminus_is_dynamic(src)) {
        pn_terminus_set_dynamic(pn_link_source(pl), false);
        pn_terminus_set_address(pn_link_source(pl), addr);
    }
    pn_terminus_copy(pn_link_target(pl), pn_link_remote_target(pl));
    pn_link_set_snd_settle_mode(pl, pn_link_remote_snd_settle_mode(pl));
    pn_link_open(pl);
    amqp_link_flow(ac, pl);
}

/* Puts one delivery on the wire; 0 when the link has no credit for it (kept for later). */
static int send_delivery(amqp_conn_t *ac, amqp_link_t *l, hm_delivery_t *d)
{
    pn_link_t *pl = l->pl;
    if (pn_link_credit(pl) <= 0)
        return 0;
    if (hm_conn_output_queued(ac->conn) > AMQP_OUTPUT_HIGH) {
        hm_conn_wake_when_drained(ac->conn, AMQP_OUTPUT_LOW);   /* amqp_link_resume_all then */
        return 0;
    }
    hm_wbuf_reset(&ac->out);
    apr_status_t st = amqp_msg_to_wire(d->msg, d->redelivery_count, ac->scratch, &ac->out);
    if (st) {
        hm_warn("amqp %s: message %s cannot be expressed over AMQP (%s); dead-lettered",
                hm_conn_peer(ac->conn), d->msg->message_id ? d->msg->message_id : "?", hm_strerror(st));
        hm_consumer_poison(l->hc, d, "java.lang.Throwable: cannot be expressed over AMQP", NULL, NULL);
        return 1;
    }
    uint64_t tag = ++ac->next_tag;
    pn_delivery_t *pd = pn_delivery(pl, pn_dtag((const char *)&tag, sizeof tag));
    pn_link_send(pl, (const char *)ac->out.data, ac->out.len);
    pn_link_advance(pl);
    l->sent++;
    if (d->msg->broker_seq > l->last_seq)
        l->last_seq = d->msg->broker_seq;
    if (l->presettled) {
        pn_delivery_settle(pd);
        hm_consumer_ack(l->hc, d, HM_ACK_CONSUMED, NULL, NULL);
    } else {
        pn_delivery_set_context(pd, d);
    }
    if (ac->out.cap > 1024 * 1024) {   /* a large message's buffer goes back */
        size_t max = ac->out.max;
        hm_wbuf_free(&ac->out);
        hm_wbuf_init(&ac->out, max);
    }
    return 1;
}

void amqp_link_deliver(amqp_conn_t *ac, amqp_item_t *it)
{
    amqp_link_t *l = it->link;
    link_extra_t *x = EXTRA(l);
    if (x->backlog || !send_delivery(ac, l, it->d)) {
        amqp_item_t *keep = malloc(sizeof *keep);
        if (!keep) {
            hm_consumer_ack(l->hc, it->d, HM_ACK_RELEASE, NULL, NULL);
            return;
        }
        *keep = *it;
        keep->next = NULL;
        *x->backlog_tail = keep;
        x->backlog_tail = &keep->next;
    }
}

/* Sends what the core handed beyond the credit, as far as the credit now goes. */
static void send_backlog(amqp_conn_t *ac, amqp_link_t *l)
{
    link_extra_t *x = EXTRA(l);
    while (x->backlog && send_delivery(ac, l, x->backlog->d)) {
        amqp_item_t *it = x->backlog;
        x->backlog = it->next;
        if (!x->backlog)
            x->backlog_tail = &x->backlog;
        free(it);
    }
}

/* A drain the client asked for completes once nothing the core handed is held back: the credit
 * left is given up (pn_link_drained) and the core's grant shrinks to match.  Tried at the
 * client's flow and again whenever a held backlog went out (amqp_link_resume_all): a drain that
 * met a full output completes as soon as that output drained, not at the client's next flow. */
static void complete_drain(amqp_conn_t *ac, amqp_link_t *l)
{
    pn_link_t *pl = l->pl;
    if (!pn_link_get_drain(pl) || pn_link_credit(pl) <= 0)
        return;
    amqp_conn_drain(ac);           /* what the grant dispatched goes out first */
    send_backlog(ac, l);
    if (pn_link_credit(pl) > 0 && !EXTRA(l)->backlog) {
        pn_link_drained(pl);
        int64_t owed = l->granted - l->sent;
        if (owed > 0) {
            hm_consumer_grant(l->hc, (int32_t)-owed);
            l->granted -= owed;
        }
    }
}

/* The core may hand the link what its credit allows beyond what it has handed already: credit
 * granted minus deliveries sent is what the core still owes (or has queued for us). */
void amqp_link_flow(amqp_conn_t *ac, pn_link_t *pl)
{
    amqp_link_t *l = pn_link_get_context(pl);
    if (!l || !l->consumer || !l->hc)
        return;
    send_backlog(ac, l);
    int64_t credit = pn_link_credit(pl);
    if (credit > AMQP_MAX_CONSUMER_CREDIT)
        credit = AMQP_MAX_CONSUMER_CREDIT;
    int64_t delta = credit - (l->granted - l->sent);
    if (delta > 0) {
        l->granted += delta;
        hm_consumer_grant(l->hc, (int32_t)delta);
    }
    complete_drain(ac, l);
}

/* The client settled (or gave an outcome for) one of our deliveries. */
static void on_outcome(amqp_conn_t *ac, amqp_link_t *l, pn_delivery_t *pd)
{
    hm_delivery_t *d = pn_delivery_get_context(pd);
    if (!d || !l->hc)
        return;
    uint64_t state = pn_delivery_remote_state(pd);
    if (!state && !pn_delivery_settled(pd))
        return;                    /* nothing decided yet */
    pn_delivery_set_context(pd, NULL);
    pn_disposition_t *disp = pn_delivery_remote(pd);
    if (state == AMQP_TX_STATE) {
        uint64_t outcome;
        amqp_tx_t *t = amqp_tx_of_state(ac, disp, &outcome);
        if (t && outcome == PN_ACCEPTED && amqp_tx_add_ack(t, l, d) == APR_SUCCESS) {
            pn_delivery_settle(pd);
            return;
        }
        state = t ? outcome : PN_RELEASED;   /* other outcomes apply at once */
    }
    switch (state) {
    case PN_RELEASED:
        hm_consumer_ack(l->hc, d, HM_ACK_RELEASE, NULL, NULL);
        break;
    case PN_MODIFIED:
        if (pn_disposition_is_undeliverable(disp) ||
            (pn_disposition_is_failed(disp) && d->redelivery_count + 1 > AMQP_MAX_REDELIVERIES))
            hm_consumer_poison(l->hc, d, "java.lang.Throwable: Delivery failed and exceeded the maximum redeliveries", NULL, NULL);
        else
            hm_consumer_ack(l->hc, d, pn_disposition_is_failed(disp) ? HM_ACK_RETURN : HM_ACK_RELEASE, NULL, NULL);
        break;
    case PN_REJECTED: {
        pn_condition_t *c = pn_disposition_condition(disp);
        const char *why = c && pn_condition_is_set(c) && pn_condition_get_description(c)
                        ? pn_condition_get_description(c) : "rejected by the client";
        char cause[512];
        snprintf(cause, sizeof cause, "java.lang.Throwable: %s", why);
        hm_consumer_poison(l->hc, d, cause, NULL, NULL);
        break;
    }
    default:                       /* accepted, or settled with no outcome */
        hm_consumer_ack(l->hc, d, HM_ACK_CONSUMED, NULL, NULL);
        break;
    }
    pn_delivery_settle(pd);
}

/* ------------------------------------------------------------------ producers */

static void open_producer(amqp_conn_t *ac, pn_link_t *pl)
{
    pn_terminus_t *tgt = pn_link_remote_target(pl);
    if (pn_terminus_get_type(tgt) == PN_COORDINATOR) {
        amqp_link_t *l = link_new(ac, pl, 0);
        if (!l) {
            refuse(ac, pl, "amqp:internal-error", "out of memory");
            return;
        }
        l->coordinator = 1;
        pn_terminus_copy(pn_link_target(pl), tgt);
        pn_terminus_copy(pn_link_source(pl), pn_link_remote_source(pl));
        pn_link_open(pl);
        pn_link_flow(pl, AMQP_PRODUCER_CREDIT);
        return;
    }
    const char *addr = pn_terminus_get_address(tgt);
    hm_dname_t dest = { HM_QUEUE, NULL };
    if (addr && strlen(addr) > AMQP_MAX_NAME) {
        refuse(ac, pl, "amqp:invalid-field", "a target address that is too long");
        return;
    }
    if (pn_terminus_is_dynamic(tgt)) {
        refuse(ac, pl, "amqp:not-implemented", "dynamic targets are not supported");
        return;
    }
    if (addr && *addr)
        dest = terminus_dest(tgt, addr);
    amqp_link_t *l = link_new(ac, pl, 0);
    if (!l) {
        refuse(ac, pl, "amqp:internal-error", "out of memory");
        return;
    }
    l->dest_name = dest.name ? apr_pstrdup(l->pool, dest.name) : NULL;
    l->dest.kind = dest.kind;
    l->dest.name = l->dest_name;
    l->producer_id = apr_psprintf(l->pool, "%s:1:%llu", ac->connection_id,
                                  (unsigned long long)++ac->next_id);
    apr_status_t st = hm_producer_add(ac->client, l->producer_id, l->dest);
    if (st) {
        const char *text = st == HM_ENOTALLOWED && hm_client_denied(ac->client) ? hm_client_denied(ac->client)
                                                                                 : hm_strerror(st);
        l->producer_id = NULL;
        link_release(ac, l, 0);
        refuse(ac, pl, amqp_condition_for(st), text);
        return;
    }
    pn_terminus_copy(pn_link_target(pl), tgt);
    pn_terminus_copy(pn_link_source(pl), pn_link_remote_source(pl));
    pn_link_set_rcv_settle_mode(pl, PN_RCV_FIRST);
    pn_link_open(pl);
    if (!ac->held)
        pn_link_flow(pl, AMQP_PRODUCER_CREDIT);
}

static void topup(amqp_conn_t *ac, pn_link_t *pl)
{
    int credit = pn_link_credit(pl);
    if (!ac->held && credit < AMQP_PRODUCER_CREDIT / 2)
        pn_link_flow(pl, AMQP_PRODUCER_CREDIT - credit);
}

void amqp_link_credit_all(amqp_conn_t *ac)
{
    for (amqp_link_t *l = ac->links; l; l = l->next)
        if (!l->consumer && pn_link_state(l->pl) & PN_LOCAL_ACTIVE)
            topup(ac, l->pl);
}

static void reject_now(pn_delivery_t *pd, const char *condition, const char *text)
{
    if (!pn_delivery_settled(pd)) {
        pn_condition_t *c = pn_disposition_condition(pn_delivery_local(pd));
        pn_condition_set_name(c, condition);
        pn_condition_set_description(c, text);
        pn_delivery_update(pd, PN_REJECTED);
    }
    pn_delivery_settle(pd);
}

/* A complete transfer: into the core. */
static void on_message(amqp_conn_t *ac, amqp_link_t *l, pn_delivery_t *pd, const uint8_t *p, size_t len)
{
    const char *why = NULL;
    hm_msg_t *m = NULL;
    if (l->coordinator) {
        amqp_tx_control(ac, l, pd, p, len, amqp_answer_track);
        return;
    }
    uint64_t txid = 0;
    if (pn_delivery_remote_state(pd) == AMQP_TX_STATE) {
        uint64_t outcome;
        amqp_tx_t *t = amqp_tx_of_state(ac, pn_delivery_remote(pd), &outcome);
        if (!t) {
            reject_now(pd, "amqp:transaction:unknown-id", "a transfer in an unknown transaction");
            return;
        }
        txid = amqp_tx_id(t);
    }
    amqp_in_ctx_t ctx = { l->dest, ac->connection_id, ++ac->next_id, ac->scratch };
    apr_status_t st = amqp_msg_from_wire(p, len, &ctx, &m, &why);
    int presettled = pn_delivery_settled(pd);
    if (st) {
        if (st == HM_EMALFORMED) {
            amqp_conn_fail(ac, "amqp:decode-error", "a malformed message on link \"%s\": %s",
                           pn_link_name(l->pl), why);
            return;
        }
        hm_info("amqp %s: message refused: %s", hm_conn_peer(ac->conn), why);
        reject_now(pd, amqp_condition_for(st), why);
        return;
    }
    amqp_in_t *in = amqp_answer_track(ac, l, pd);
    if (!in) {
        hm_msg_unref(m);
        pn_delivery_update(pd, PN_RELEASED);
        pn_delivery_settle(pd);
        return;
    }
    in->txid = txid;
    if (presettled)
        pn_delivery_settle(pd);
    char err[HM_MAX_DEST_NAME + 128] = "";
    hm_flow_send_t o = { txid != 0, 1, l->producer_id };
    st = hm_flow_send(ac->flow, m, &o, amqp_answer_done, in, err, sizeof err);
    hm_msg_unref(m);
    if (st)
        amqp_answer_refused(ac, in, st, st == HM_ENOTALLOWED && hm_client_denied(ac->client)
                                      ? hm_client_denied(ac->client) : *err ? err : hm_strerror(st));
    topup(ac, l->pl);
}

/* Bytes of an incoming transfer: read as they come; a message in several frames is gathered in
 * the link's buffer (at most the connection's message size). */
static void on_transfer(amqp_conn_t *ac, amqp_link_t *l, pn_delivery_t *pd)
{
    link_extra_t *x = EXTRA(l);
    if (pn_delivery_aborted(pd)) {
        hm_wbuf_reset(&x->partial);
        x->partial_pd = NULL;
        pn_delivery_settle(pd);
        return;
    }
    if (!pn_delivery_readable(pd))
        return;
    size_t pending = pn_delivery_pending(pd);
    hm_wbuf_t *buf = x->partial_pd == pd ? &x->partial : pn_delivery_partial(pd) ? &x->partial : &ac->in_buf;
    if (buf == &ac->in_buf || x->partial_pd != pd)
        hm_wbuf_reset(buf);
    if ((int64_t)(buf->len + pending) > ac->max_message) {
        char text[160];
        snprintf(text, sizeof text, "a message larger than %lld bytes", (long long)ac->max_message);
        hm_wbuf_reset(&x->partial);
        x->partial_pd = NULL;
        pn_condition_t *c = pn_link_condition(l->pl);
        pn_condition_set_name(c, "amqp:link:message-size-exceeded");
        pn_condition_set_description(c, text);
        hm_warn("amqp %s: link \"%s\": %s; closing the link", hm_conn_peer(ac->conn), pn_link_name(l->pl), text);
        pn_delivery_settle(pd);
        amqp_link_remote_close(ac, l->pl, 1);
        return;
    }
    uint8_t *dst = hm_wbuf_extend(buf, pending);
    if (!dst) {
        amqp_conn_fail(ac, "amqp:resource-limit-exceeded", "out of memory receiving a message");
        return;
    }
    ssize_t n = pn_link_recv(l->pl, (char *)dst, pending);
    if (n < 0)
        n = 0;
    buf->len -= pending - (size_t)n;
    if (pn_delivery_partial(pd)) {
        x->partial_pd = pd;
        return;
    }
    x->partial_pd = NULL;
    pn_link_advance(l->pl);        /* the next delivery becomes readable; this one is answered later */
    on_message(ac, l, pd, buf->data, buf->len);
    hm_wbuf_reset(buf);
    if (buf->cap > 1024 * 1024) {
        size_t max = buf->max;
        hm_wbuf_free(buf);
        hm_wbuf_init(buf, max);
    }
}

void amqp_link_delivery(amqp_conn_t *ac, pn_delivery_t *pd)
{
    pn_link_t *pl = pn_delivery_link(pd);
    amqp_link_t *l = pn_link_get_context(pl);
    if (!l) {                      /* on a refused or closed link */
        if (pn_link_is_receiver(pl) && pn_delivery_readable(pd))
            pn_link_recv(pl, NULL, 0);
        if (!pn_delivery_partial(pd))
            pn_delivery_settle(pd);
        return;
    }
    if (l->consumer) {
        if (pn_delivery_updated(pd) || pn_delivery_settled(pd)) {
            on_outcome(ac, l, pd);
            pn_delivery_clear(pd);
        }
    } else {
        on_transfer(ac, l, pd);
    }
}

/* ------------------------------------------------------------------ flow ops (held sends) */

/* A transactional transfer fits: it joins its transaction (if still open) and is answered. */
static void flow_admit(void *ctx, void *baton, hm_msg_t *msg)
{
    amqp_conn_t *ac = ctx;
    amqp_in_t *in = baton;
    amqp_tx_t *t = amqp_tx_find(ac, in->txid);
    apr_status_t st = t ? amqp_tx_add_msg(t, msg) : HM_ENOTFOUND;
    if (st)
        amqp_answer_refused(ac, in, st, t ? "the transaction cannot hold more messages" : "the transaction has ended");
    else
        amqp_answer_done(in, APR_SUCCESS);
}

static void flow_refused(void *ctx, void *baton, apr_status_t st, const char *text)
{
    amqp_in_t *in = baton;
    amqp_item_t *it = calloc(1, sizeof *it);
    if (!it)
        return;
    it->kind = ITEM_SENT;
    it->in = in;
    it->st = st;
    it->text = text ? strdup(text) : NULL;
    amqp_conn_post(in->ac, it);
}

static void flow_dropped(void *ctx, void *baton)
{
    (void)ctx;
    amqp_answer_forget(baton);
}

/* Held sends withhold producers' credit rather than stop reading: acknowledgements and other
 * links keep flowing. */
static void flow_pause(void *ctx, int paused)
{
    amqp_conn_t *ac = ctx;
    ac->held = paused;
    if (!paused)
        amqp_link_credit_all(ac);
}

static void flow_wake(void *ctx)
{
    hm_conn_kick(((amqp_conn_t *)ctx)->conn);
}

static char *flow_producer_text(const void *producer)
{
    return producer ? strdup(producer) : NULL;
}

const hm_flow_ops_t amqp_flow_ops = { flow_admit, flow_refused, flow_dropped, flow_pause, flow_wake,
                                      flow_producer_text };

/* ------------------------------------------------------------------ attach and detach */

void amqp_link_remote_open(amqp_conn_t *ac, pn_link_t *pl)
{
    if (++ac->nlinks > AMQP_MAX_LINKS) {
        amqp_conn_fail(ac, "amqp:resource-limit-exceeded", "more than %d links", AMQP_MAX_LINKS);
        return;
    }
    const char *name = pn_link_name(pl);
    if (name && strlen(name) > AMQP_MAX_NAME) {
        refuse(ac, pl, "amqp:invalid-field", "a link name that is too long");
        return;
    }
    if (pn_link_is_sender(pl))
        open_consumer(ac, pl);
    else
        open_producer(ac, pl);
}

/* Forgets a link's core objects.  closed: the peer closed it (a durable subscription ends);
 * else it only detached (the subscription and its backlog stay). */
static void link_release(amqp_conn_t *ac, amqp_link_t *l, int closed)
{
    link_extra_t *x = EXTRA(l);
    if (l->hc) {
        amqp_tx_forget_link(ac, l);
        hm_consumer_close(l->hc, l->last_seq);
        l->hc = NULL;
        /* no more deliveries can be posted: drop the ones queued for this link */
        apr_thread_mutex_lock(ac->qlock);
        for (amqp_item_t **pp = &ac->q_head; *pp;) {
            amqp_item_t *it = *pp;
            if (it->kind == ITEM_DELIVER && it->link == l) {
                *pp = it->next;
                free(it);
            } else {
                pp = &it->next;
            }
        }
        ac->q_tail = &ac->q_head;
        while (*ac->q_tail)
            ac->q_tail = &(*ac->q_tail)->next;
        apr_thread_mutex_unlock(ac->qlock);
        if (closed && l->durable && l->sub_name) {
            char err[256] = "";
            const char *cid = pn_connection_remote_container(ac->pc);
            if (hm_durable_remove(ac->client, cid, l->sub_name, err, sizeof err) == APR_SUCCESS)
                hm_info("amqp %s: durable subscription %s removed", hm_conn_peer(ac->conn), l->sub_name);
        }
    }
    while (x->backlog) {
        amqp_item_t *it = x->backlog;
        x->backlog = it->next;
        free(it);
    }
    if (l->producer_id)
        hm_producer_remove(ac->client, l->producer_id);
    amqp_answer_orphan(l);
    hm_wbuf_free(&x->partial);
    *l->prevp = l->next;
    if (l->next)
        l->next->prevp = l->prevp;
    pn_link_set_context(l->pl, NULL);
    apr_pool_destroy(l->pool);
    free(x);
}

void amqp_link_remote_close(amqp_conn_t *ac, pn_link_t *pl, int closed)
{
    amqp_link_t *l = pn_link_get_context(pl);
    if (l)
        link_release(ac, l, closed);
    if (pn_link_state(pl) & PN_REMOTE_CLOSED) {
        ac->nlinks--;
        if (!(pn_link_state(pl) & PN_LOCAL_CLOSED)) {
            if (closed)
                pn_link_close(pl);
            else
                pn_link_detach(pl);
        }
        pn_link_free(pl);
    } else if (!(pn_link_state(pl) & PN_LOCAL_CLOSED)) {
        pn_link_close(pl);         /* we end it (an error set on the link says why) */
    }
}

void amqp_link_resume_all(amqp_conn_t *ac)
{
    for (amqp_link_t *l = ac->links; l; l = l->next)
        if (l->consumer && l->hc) {
            send_backlog(ac, l);
            complete_drain(ac, l);
        }
}

void amqp_link_session_end(amqp_conn_t *ac, pn_session_t *s)
{
    for (pn_link_t *pl = pn_link_head(ac->pc, 0); pl; pl = pn_link_next(pl, 0)) {
        if (pn_link_session(pl) != s)
            continue;
        amqp_link_t *l = pn_link_get_context(pl);
        if (l)
            link_release(ac, l, 0);
        ac->nlinks--;
    }
}

void amqp_link_close_all(amqp_conn_t *ac)
{
    while (ac->links)
        link_release(ac, ac->links, 0);
}
