/* Held sends (hm_core.h, hm_flow_t): producer flow control and a full store as broker policy.
 *
 * A send that a memory limit (HM_EFLOW) or the full store (HM_ENOSPACE) refuses is held
 * unanswered, as ActiveMQ holds it: the producer blocks on its reply or its window's ProducerAck.
 * Only later sends to the same destination queue up behind it; the client goes on with the
 * others, except that a held send the protocol marks `pauses` stops its input until it fits.
 * Held sends are retried in arrival order when the core frees space (the space waiter) and on
 * the protocol's tick (the store frees space without telling), and refused once held longer
 * than their destination's sendFailIfNoSpaceAfterTimeout, or at once with sendFailIfNoSpace. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <apr_atomic.h>
#include <apr_strings.h>

#include "hm_int.h"
#include "hm_log.h"

typedef struct held_s {
    struct held_s *next;
    hm_msg_t *msg;
    hm_send_done_fn done;          /* a routed send's completion (hm_send) */
    void *baton;
    int transacted;
    int pauses;
    apr_time_t since;
    apr_status_t why;              /* HM_EFLOW (memory) or HM_ENOSPACE (store) */
    int64_t fail_after_ms;         /* refused once held this long; 0: held as long as it takes */
    char *producer;                /* malloc'd, for texts */
} held_t;

struct hm_flow_s {
    hm_client_t *c;
    hm_broker_t *b;
    const hm_flow_ops_t *ops;
    void *ctx;
    held_t *held, **tail;
    int n;
    int paused;
    hm_space_waiter_t waiter;
};

#define FLOW_URL " See http://activemq.apache.org/producer-flow-control.html for more info"

/* ActiveMQ's ResourceAllocationException texts.  err is hm_send's for HM_EFLOW:
 * "<qualified destination>\n<limit>", or "...\n<temp limit>\n<percent>" when temporary storage
 * is full (Queue.checkUsage's text, the same at once and after a timeout). */
static void flow_text(char *out, size_t len, apr_status_t st, const char *err, const char *producer,
                      int timed_out)
{
    if (st != HM_EFLOW) {
        snprintf(out, len, "the message store is full (storeUsage limit)");
        return;
    }
    const char *nl = strchr(err, '\n');
    int dl = nl ? (int)(nl - err) : (int)strlen(err);
    const char *limit = nl ? nl + 1 : "0";
    const char *pct = strchr(limit, '\n');
    if (pct)
        snprintf(out, len, "Temp Store is Full (%s%% of %.*s). Stopping producer (%s) to prevent "
                 "flooding %.*s." FLOW_URL, pct + 1, (int)(pct - limit), limit, producer, dl, err);
    else if (timed_out)
        snprintf(out, len, "Usage Manager Memory Limit Wait Timeout. Stopping producer (%s) to "
                 "prevent flooding %.*s." FLOW_URL, producer, dl, err);
    else if (strncmp(err, "topic://", 8) == 0 || strncmp(err, "temp-topic://", 13) == 0)
        snprintf(out, len, "Usage Manager memory limit (%s) reached. Rejecting send for producer "
                 "(%s) to prevent flooding %.*s." FLOW_URL, limit, producer, dl, err);
    else
        snprintf(out, len, "Usage Manager Memory Limit reached on %.*s." FLOW_URL, dl, err);
}

/* The refusal's text into out (which may be err itself) and its log line.  err is hm_send's
 * "<destination>\n<limit>", or empty: then the destination is named from the message. */
static void refusal(hm_flow_t *f, const hm_msg_t *msg, apr_status_t st, const char *err,
                    const char *producer, int timed_out, char *out, size_t outlen)
{
    char dest[HM_MAX_DEST_NAME + 64];
    if (*err)
        snprintf(dest, sizeof dest, "%s", err);
    else
        snprintf(dest, sizeof dest, "%s://%s", HM_KIND_IS_QUEUE(msg->dest.kind) ? "queue" : "topic",
                 msg->dest.name);
    flow_text(out, outlen, st, dest, producer, timed_out);
    hm_info("client %s: send refused: %s", f->c->connection_id, out);
}

static void waiter_fire(void *baton)
{
    hm_flow_t *f = baton;
    f->ops->wake(f->ctx);
}

apr_status_t hm_flow_create(hm_client_t *c, const hm_flow_ops_t *ops, void *ctx, hm_flow_t **out)
{
    hm_flow_t *f = calloc(1, sizeof *f);
    if (!f)
        return APR_ENOMEM;
    f->c = c;
    f->b = c->b;
    f->ops = ops;
    f->ctx = ctx;
    f->tail = &f->held;
    f->waiter.fn = waiter_fire;
    f->waiter.baton = f;
    *out = f;
    return APR_SUCCESS;
}

int hm_flow_holding(const hm_flow_t *f)
{
    return f->held != NULL;
}

static int dname_same(hm_dname_t a, hm_dname_t b)
{
    return a.kind == b.kind && a.name && b.name && strcmp(a.name, b.name) == 0;
}

/* Whether a send to d must queue up behind an earlier held one. */
static int held_for(const hm_flow_t *f, hm_dname_t d)
{
    for (const held_t *k = f->held; k; k = k->next)
        if (dname_same(k->msg->dest, d))
            return 1;
    return 0;
}

/* Whether a send to k's destination is held ahead of k. */
static int held_before(const hm_flow_t *f, const held_t *k)
{
    for (const held_t *e = f->held; e != k; e = e->next)
        if (dname_same(e->msg->dest, k->msg->dest))
            return 1;
    return 0;
}

/* Arms the waiter, then looks again: room freed before it was armed must not be missed. */
static void wait_space(hm_flow_t *f)
{
    hm_space_wait(f->b, &f->waiter);
    for (const held_t *k = f->held; k; k = k->next) {
        if (k->why != HM_EFLOW || held_before(f, k))
            continue;
        char err[HM_MAX_DEST_NAME + 64];
        if (hm_flow_check(f->b, k->msg, err, sizeof err) == APR_SUCCESS) {
            f->ops->wake(f->ctx);
            return;
        }
    }
}

static void set_paused(hm_flow_t *f, int paused)
{
    if (f->paused != paused) {
        f->paused = paused;
        f->ops->pause(f->ctx, paused);
    }
}

/* The producer's id as text, malloc'd ("null" when it has none). */
static char *producer_text(hm_flow_t *f, const hm_flow_send_t *o)
{
    char *t = o->producer ? f->ops->producer_text(o->producer) : NULL;
    return t ? t : strdup("null");
}

static int hold(hm_flow_t *f, hm_msg_t *msg, const hm_flow_send_t *o, hm_send_done_fn done,
                void *baton, apr_status_t why, int64_t fail_after_ms)
{
    held_t *k = f->n < HM_MAX_HELD_SENDS ? calloc(1, sizeof *k) : NULL;
    if (k && !(k->producer = producer_text(f, o))) {
        free(k);
        k = NULL;
    }
    if (!k)
        return 0;
    k->msg = hm_msg_ref(msg);
    k->done = done;
    k->baton = baton;
    k->transacted = o->transacted;
    k->pauses = o->pauses;
    k->since = apr_time_now();
    k->why = why;
    k->fail_after_ms = fail_after_ms;
    if (why == HM_EFLOW) {
        hm_flow_blocked(f->b, msg->dest);
        hm_producer_blocked(f->c, o->producer ? k->producer : NULL, msg->dest);  /* FastProducer, by policy */
    } else if (!f->held) {
        hm_info("client %s: the message store is full; holding its producer until space frees",
                f->c->connection_id);
    }
    apr_atomic_inc32(&f->b->held_sends);
    *f->tail = k;
    f->tail = &k->next;
    f->n++;
    if (o->pauses)
        set_paused(f, 1);
    wait_space(f);
    return 1;
}

/* One attempt: route it, or (transacted) admit it when memory allows. */
static apr_status_t attempt(hm_flow_t *f, hm_msg_t *msg, int transacted, hm_send_done_fn done,
                            void *baton, char *err, size_t errlen)
{
    if (!transacted)
        return hm_send(f->c, msg, done, baton, err, errlen);
    apr_status_t st = hm_flow_check(f->b, msg, err, errlen);
    if (st == APR_SUCCESS)
        f->ops->admit(f->ctx, baton, msg);
    return st;
}

apr_status_t hm_flow_send(hm_flow_t *f, hm_msg_t *msg, const hm_flow_send_t *o,
                          hm_send_done_fn done, void *baton, char *err, size_t errlen)
{
    apr_status_t st;
    *err = '\0';
    if (o->transacted && (st = hm_send_allowed(f->c, msg->dest, err, errlen)))
        return st;
    if (held_for(f, msg->dest))
        st = HM_EFLOW;             /* behind an earlier held send to this destination */
    else
        st = attempt(f, msg, o->transacted, done, baton, err, errlen);
    if (st != HM_EFLOW && st != HM_ENOSPACE)
        return st;
    const hm_broker_opts_t *bo = &f->b->opts;
    int fail = bo->send_fail_if_no_space;
    int64_t after = bo->send_fail_after_ms;
    if (st == HM_EFLOW)
        hm_flow_mode(f->b, msg->dest, &fail, &after);
    int held = !fail || after > 0 || (st == HM_EFLOW && !*err);
    if (held && hold(f, msg, o, done, baton, st, after))
        return APR_SUCCESS;        /* answered when it fits, or when it times out */
    if (st == HM_EFLOW)
        hm_flow_blocked(f->b, msg->dest);
    char *producer = producer_text(f, o);
    refusal(f, msg, st, err, producer ? producer : "null", 0, err, errlen);
    free(producer);
    return st;
}

static int timed_out(const held_t *k, apr_time_t now)
{
    return k->fail_after_ms > 0 && now - k->since > apr_time_from_msec(k->fail_after_ms);
}

static void held_free(held_t *k, hm_broker_t *b)
{
    apr_atomic_dec32(&b->held_sends);
    hm_msg_unref(k->msg);
    free(k->producer);
    free(k);
}

/* Retries held sends in order; a send whose destination is still full stays, and so does every
 * later one to that destination. */
void hm_flow_retry(hm_flow_t *f, apr_time_t now)
{
    held_t **pp = &f->held, *last = NULL;
    int pauses = 0;
    while (*pp) {
        held_t *k = *pp;
        char err[HM_MAX_DEST_NAME + 64] = "";
        int behind = held_before(f, k);
        apr_status_t st = behind ? HM_EFLOW : attempt(f, k->msg, k->transacted, k->done, k->baton,
                                                      err, sizeof err);
        if ((st == HM_EFLOW || st == HM_ENOSPACE) && !timed_out(k, now)) {
            if (!behind)
                k->why = st;
            pauses |= k->pauses;
            last = k;
            pp = &k->next;
            continue;
        }
        if (st == HM_EFLOW || st == HM_ENOSPACE) {
            char text[HM_MAX_DEST_NAME + 512];
            if (behind)
                *err = '\0';      /* its own attempt said nothing: name the destination */
            refusal(f, k->msg, st, err, k->producer, 1, text, sizeof text);
            f->ops->refused(f->ctx, k->baton, st, text);
        } else if (st) {
            f->ops->refused(f->ctx, k->baton, st, *err ? err : hm_strerror(st));
        }
        *pp = k->next;
        f->n--;
        held_free(k, f->b);
    }
    f->tail = last ? &last->next : &f->held;
    set_paused(f, pauses);
    if (f->held)
        wait_space(f);
}

void hm_flow_destroy(hm_flow_t *f)
{
    if (!f)
        return;
    hm_space_cancel(f->b, &f->waiter);
    while (f->held) {
        held_t *k = f->held;
        f->held = k->next;
        f->ops->dropped(f->ctx, k->baton);
        held_free(k, f->b);
    }
    free(f);
}
