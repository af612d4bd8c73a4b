/* Core events.  The send, dispatch and lifecycle paths of the core report what happened here
 * and name no feature; the features (advisories, the scheduler's clock, dead letters) subscribe
 * when the broker is created (hm_broker.c wires them), so they sit above the core instead of
 * being called by name from inside it.  Every event is raised under the broker lock, and a
 * subscriber may use the core (route a message, look up a queue) but must not block. */
#ifndef HM_EVENTS_H
#define HM_EVENTS_H

#include <stdlib.h>

#include "hm_core.h"

struct hm_queue_s;
struct hm_pbatch_s;
struct hm_plan_s;
struct st_batch_s;

#define HM_MAX_SUBSCRIBERS 4       /* per event */

typedef void (*hm_ev_dest_fn)(hm_broker_t *b, hm_dname_t d);
typedef void (*hm_ev_consumer_fn)(hm_consumer_t *c, int added);
typedef void (*hm_ev_watch_fn)(hm_consumer_t *c);
typedef void (*hm_ev_unsub_fn)(hm_client_t *c, hm_dname_t topic, const char *client_id, const char *name);
typedef void (*hm_ev_message_fn)(hm_broker_t *b, hm_adv_kind_e what, hm_dname_t where, const hm_msg_t *m);
typedef void (*hm_ev_sent_fn)(hm_broker_t *b, const struct hm_plan_s *pl);
typedef void (*hm_ev_full_fn)(hm_broker_t *b, hm_dname_t d, const char *usage_name, int64_t used);
typedef void (*hm_ev_dead_fn)(hm_broker_t *b, struct hm_queue_s *q, const hm_msg_t *m, int expired,
                              const char *cause, struct hm_pbatch_s *pb);
typedef void (*hm_ev_tick_fn)(hm_broker_t *b, apr_time_t now);
/* A feature that takes a sent message instead of letting it route (the statistics plugin answers
 * requests, the scheduler holds scheduled messages): 1 with *st set (done is then its business),
 * 0 to let it go on. */
typedef int (*hm_ev_take_fn)(hm_broker_t *b, hm_msg_t *msg, hm_send_done_fn done, void *baton,
                             apr_status_t *st, char *err, size_t errlen);

/* A feature that holds a message of a committing transaction instead of letting it route (the
 * scheduler): 1 when it took msg (*st set on failure; its store writes join *batch, begun when
 * NULL; *job, NULL when nothing is left to do, goes back to the same subscriber's settle once
 * the commit is decided), 0 to let it route. */
typedef int (*hm_ev_hold_fn)(hm_broker_t *b, hm_msg_t *msg, struct st_batch_s **batch, void **job,
                             apr_status_t *st, char *err, size_t errlen);
/* The transaction of a held message committed (1) or failed (0); job is never NULL. */
typedef void (*hm_ev_settle_fn)(hm_broker_t *b, void *job, int committed);

/* Subscribers, in the order they subscribed.  Lives in hm_broker_t (hm_int.h). */
struct hm_events_s {
    hm_ev_dest_fn dest_created[HM_MAX_SUBSCRIBERS];       /* an ordinary queue or topic appeared */
    hm_ev_consumer_fn consumer[HM_MAX_SUBSCRIBERS];       /* opened (1) or closed (0) */
    hm_ev_watch_fn watching[HM_MAX_SUBSCRIBERS];          /* a consumer on advisory topics opened */
    hm_ev_unsub_fn unsubscribed[HM_MAX_SUBSCRIBERS];      /* a durable subscription was removed */
    hm_ev_message_fn message[HM_MAX_SUBSCRIBERS];         /* expired, consumed, ... (hm_adv_kind_e) */
    hm_ev_sent_fn sent[HM_MAX_SUBSCRIBERS];               /* a message reached its destinations */
    hm_ev_full_fn full[HM_MAX_SUBSCRIBERS];               /* a memory limit holds producers */
    hm_ev_dead_fn dead_letter[HM_MAX_SUBSCRIBERS];        /* a message must be dead-lettered */
    hm_ev_tick_fn tick[HM_MAX_SUBSCRIBERS];               /* about every HM_TICK_MS */
    hm_ev_take_fn request[HM_MAX_SUBSCRIBERS];            /* a send, before memory limits apply */
    hm_ev_take_fn take[HM_MAX_SUBSCRIBERS];               /* a send that fits, before routing */
    hm_ev_hold_fn hold[HM_MAX_SUBSCRIBERS];               /* a transacted send at commit ... */
    hm_ev_settle_fn settle[HM_MAX_SUBSCRIBERS];           /* ... and its outcome (same order) */
};

/* Offers a send to the subscribers of a take event in order; 1 when one took it. */
static inline int hm_ev_taken(hm_ev_take_fn const *list, hm_broker_t *b, hm_msg_t *msg,
                              hm_send_done_fn done, void *baton, apr_status_t *st, char *err,
                              size_t errlen)
{
    for (int i = 0; i < HM_MAX_SUBSCRIBERS && list[i]; i++)
        if (list[i](b, msg, done, baton, st, err, errlen))
            return 1;
    return 0;
}

/* Subscribing: at broker creation, before any event.  More than HM_MAX_SUBSCRIBERS is a wiring
 * mistake in hm_broker.c, which every test would find. */
#define HM_EV_SUBSCRIBE(b, event, fn) \
    do { \
        int ev_i_ = 0; \
        while (ev_i_ < HM_MAX_SUBSCRIBERS && (b)->ev.event[ev_i_]) \
            ev_i_++; \
        if (ev_i_ == HM_MAX_SUBSCRIBERS) \
            abort(); \
        (b)->ev.event[ev_i_] = (fn); \
    } while (0)

/* Raising (the core's side). */
#define HM_EV_EACH(b, event, ...) \
    do { \
        for (int ev_i_ = 0; ev_i_ < HM_MAX_SUBSCRIBERS && (b)->ev.event[ev_i_]; ev_i_++) \
            (b)->ev.event[ev_i_](__VA_ARGS__); \
    } while (0)

#endif
