/* Internals of the messaging core shared by server/ sources; protocols never include this. */
#ifndef HM_INT_H
#define HM_INT_H

#include <apr_hash.h>
#include <apr_ring.h>
#include <apr_tables.h>
#include <apr_thread_mutex.h>

#include "hm_core.h"
#include "hm_events.h"
#include "hm_limits.h"

typedef struct hm_queue_s hm_queue_t;
typedef struct hm_topic_s hm_topic_t;
typedef struct hm_selector_s hm_selector_t;
typedef struct hm_sub_s hm_sub_t;

/* A message waiting in a queue (or a topic subscription's private queue). */
typedef struct hm_qentry_s {
    APR_RING_ENTRY(hm_qentry_s) link;
    hm_msg_t *msg;
    uint64_t seq;                  /* arrival order within the queue */
    int32_t redelivery_count;
    char *via;                     /* topic subscriptions fed by a composite send: the topic */
    uint64_t store_msg;            /* the stored body's id, when stored */
    int stored;                    /* also in the store (under the queue's store id) */
} hm_qentry_t;
APR_RING_HEAD(hm_qentry_ring_s, hm_qentry_s);

/* An unsettled delivery; `pub` is what protocols see. */
typedef struct hm_dlv_s {
    hm_delivery_t pub;
    APR_RING_ENTRY(hm_dlv_s) link;
    hm_queue_t *queue;             /* NULL for a browser's copy */
    hm_qentry_t *entry;            /* NULL for a browser's copy */
    int delivered;                 /* DELIVERED ack seen: no longer holds prefetch credit */
} hm_dlv_t;
APR_RING_HEAD(hm_dlv_ring_s, hm_dlv_s);

/* A consumer attached to a queue; a queue rotates its ring for round-robin dispatch. */
typedef struct hm_attach_s {
    APR_RING_ENTRY(hm_attach_s) link;
    hm_consumer_t *c;
    hm_queue_t *q;
    uint64_t order;                /* attach order: the next exclusive consumer takes over */
    /* per priority ring: the last entry this consumer's selector rejected, with every entry
     * before it rejected too, so a deep queue is not rescanned from its head each time */
    hm_qentry_t *cursor[HM_PRIORITIES];
    /* per priority: the last paged-out entry (seq) its store scan rejected (hm_page.c) */
    uint64_t scan_seq[HM_PRIORITIES];
    /* per priority: the last spilled entry (seq) its temporary storage scan rejected (hm_spill.c) */
    uint64_t spill_scan[HM_PRIORITIES];
} hm_attach_t;
APR_RING_HEAD(hm_attach_ring_s, hm_attach_s);

/* The expiry sweep's position in a queue's paged-out entries (hm_page.c): a pass walks the
 * priorities from 9 down, a bounded chunk per sweep. */
typedef struct hm_page_sweep_s {
    int done;                      /* priorities this pass has finished (it is at 9 - done) */
    uint64_t after;                /* the last seq it read at that priority */
    int may_expire;                /* paged-out entries may carry an expiration */
    int met_ttl;                   /* this pass met one, or one was paged out since it began */
} hm_page_sweep_t;

struct hm_queue_s {
    hm_broker_t *b;
    hm_dname_t name;               /* name string owned (malloc) */
    char *key;                     /* hash key, owned */
    hm_client_t *owner;            /* temporary queues: the creating client */
    int private_sub;               /* a topic subscription's own queue (not in the hash) */
    hm_sub_t *sub;                 /* that subscription */
    struct hm_qentry_ring_s avail[HM_PRIORITIES];   /* index = priority, 9 dispatched first */
    size_t avail_count;
    size_t inflight_count;
    uint64_t next_seq;
    struct hm_attach_ring_s consumers;
    int dispatching;               /* re-entrance guard */
    uint32_t store_id;             /* 0: not yet known to the store */
    hm_consumer_t *exclusive;      /* the exclusive consumer all messages go to, if any */
    uint64_t enqueued, dequeued, dispatched, expired;   /* statistics */
    uint64_t next_attach;
    apr_pool_t *gpool;             /* message groups: created on first use */
    apr_hash_t *groups;            /* JMSXGroupID -> owning hm_consumer_t */
    hm_dest_policy_t policy;       /* limits and expiry (hm_usage.c) */
    uint64_t mem_used;             /* bytes of the messages it holds (pending + in flight) */
    int mem_full;                  /* was at its limit: going under wakes held producers */
    apr_time_t flow_logged;        /* when its "limit reached" was last logged */
    uint64_t blocked_sends;        /* statistics: sends held or refused by flow control */
    uint64_t discarded;            /* statistics: dropped by a pending message limit */
    apr_time_t next_expire;        /* its next expiry sweep */
    size_t expirable;              /* entries (pending or in flight) whose message has an
                                    * expiration: the sweep skips a queue that has none */
    uint64_t sweep_visits;         /* statistics: entries the expiry sweep has looked at */
    uint64_t dead_lettered;        /* statistics: messages that died here (expired or poison) */
    int paused;                    /* dispatch paused by an operator (hm_admin_pause) */
    /* paging (hm_page.c): per priority, entries only in the store, all with a seq above
     * page_seq[p] (the greatest seq read in or admitted to memory) */
    uint64_t paged[HM_PRIORITIES];
    uint64_t page_seq[HM_PRIORITIES];
    uint64_t paged_count;          /* sum of paged[] */
    uint64_t page_bytes;           /* bytes of stored messages it holds in memory */
    apr_pool_t *stray_pool;        /* strays: created on first use */
    apr_hash_t *strays;            /* seq -> priority + 1: entries above page_seq already in
                                    * memory (a selector's store scan, XA recovery) */
    /* spill (hm_spill.c): per priority, non-persistent entries in temporary storage, all
     * after those in memory; temp_list names them there (0: none yet) */
    uint64_t spilled[HM_PRIORITIES];
    uint64_t spilled_count;        /* sum of spilled[] */
    uint32_t temp_list;
    hm_page_sweep_t sweep;         /* the expiry sweep's walk of what is paged out */
};

/* A subscription's registration with one topic. */
typedef struct hm_tsub_s {
    APR_RING_ENTRY(hm_tsub_s) link;
    hm_sub_t *sub;
    hm_topic_t *t;
} hm_tsub_t;
APR_RING_HEAD(hm_tsub_ring_s, hm_tsub_s);

/* A topic subscription (hm_sub.c): what a topic consumer reads from. */
struct hm_sub_s {
    APR_RING_ENTRY(hm_sub_s) wild_link;   /* on the broker's wildcard list */
    hm_broker_t *b;
    apr_pool_t *pool;
    hm_queue_t *q;                 /* private queue of what it has collected */
    char *topic;                   /* destination as subscribed (may be composite/wildcard) */
    apr_array_header_t *parts;     /* its names */
    int wildcard;
    apr_array_header_t *tsubs;     /* hm_tsub_t* */
    char *selector_text;
    hm_selector_t *selector;
    int no_local;
    uint64_t owner_client;         /* serial of the attached consumer's client, for noLocal */
    hm_client_t *owner;            /* temporary topics: the client allowed to subscribe */
    uint64_t last_routed;          /* broker_seq last fanned out to it (no duplicates) */
    hm_consumer_t *active;         /* the attached consumer, or NULL (durable, offline) */
    char *client_id, *name, *key;  /* durable subscriptions only */
};
APR_RING_HEAD(hm_sub_ring_s, hm_sub_s);

struct hm_topic_s {
    hm_dname_t name;
    char *key;
    hm_client_t *owner;
    struct hm_tsub_ring_s subs;
    uint64_t enqueued;             /* messages published to it (statistics) */
};

struct hm_consumer_s {
    hm_broker_t *b;
    uint64_t serial;
    hm_client_t *client;
    APR_RING_ENTRY(hm_consumer_s) link;   /* in the client's ring */
    apr_pool_t *pool;              /* names, selector, arrays: freed on close */
    hm_consumer_opts_t opts;       /* strings copied into pool */
    const hm_consumer_ops_t *ops;
    void *ctx;
    hm_selector_t *selector;
    int32_t outstanding;           /* deliveries still holding prefetch credit */
    int64_t pulls;                 /* prefetch 0: messages asked for */
    apr_time_t pull_deadline;      /* 0: none */
    int pull_waiting;              /* on the broker's pull-waiter list */
    APR_RING_ENTRY(hm_consumer_s) pull_link;
    uint64_t next_seq;
    struct hm_dlv_ring_s dlv;
    apr_array_header_t *attached;  /* hm_attach_t* (queue consumers) */
    hm_sub_t *sub;                 /* topic consumers: their subscription */
    apr_array_header_t *parts;     /* destination names (a composite has several) */
    int wildcard;                  /* on the broker's wildcard list (queue consumers) */
    APR_RING_ENTRY(hm_consumer_s) wild_link;
    apr_array_header_t *snapshot;  /* browsers: hm_browse_item_t */
    apr_array_header_t *browse_paged; /* browsers: hm_browse_range_t still to read from the store */
    int snap_pos;
    int browse_done;
    int advised;                   /* its ConsumerInfo advisory went out (a RemoveInfo follows) */
    int slow;                      /* a SlowConsumer advisory went out; cleared when it catches up */
};
APR_RING_HEAD(hm_consumer_ring_s, hm_consumer_s);

typedef struct hm_browse_item_s {
    hm_msg_t *msg;
    int32_t redelivery_count;
} hm_browse_item_t;

/* A browser's part of a paged queue: entries of one priority above `after`, up to `upto`. */
typedef struct hm_browse_range_s {
    const char *queue;             /* the queue's name (in the consumer's pool) */
    uint32_t store_id;
    uint32_t temp_list;            /* non-zero: the queue's spilled entries (hm_spill_browse) */
    int priority;
    uint64_t after, upto;
} hm_browse_range_t;

struct hm_client_s {
    hm_broker_t *b;
    uint64_t serial;
    char *connection_id;
    char *client_id;               /* NULL if none */
    char *user;
    char *client_ip;               /* NULL if unknown */
    hm_principal_t *principal;     /* from authentication (in the client's pool) */
    char denied[512];              /* the last authorization refusal (hm_client_denied) */
    struct hm_consumer_ring_s consumers;
    apr_array_header_t *temps;     /* hm_dname_t with malloc'd names */
    APR_RING_ENTRY(hm_client_s) link;
    apr_hash_t *producers;         /* id -> hm_producer_t (malloc'd), for advisories */
};

/* A registered producer (hm_advisory.c). */
typedef struct hm_producer_s {
    char *id;
    hm_dname_t dest;               /* name malloc'd with the struct */
    uint64_t serial;               /* registration order (replayed in that order) */
} hm_producer_t;
APR_RING_HEAD(hm_client_ring_s, hm_client_s);

struct hm_broker_s {
    apr_pool_t *pool;
    apr_thread_mutex_t *lock;
    char *name;
    char *id;
    apr_hash_t *queues;            /* key -> hm_queue_t */
    apr_hash_t *topics;            /* key -> hm_topic_t */
    apr_hash_t *client_ids;        /* client id -> hm_client_t */
    struct hm_client_ring_s clients;
    struct hm_consumer_ring_s wild_queue_consumers;
    struct hm_sub_ring_s wild_topic_subs;
    apr_hash_t *durables;          /* "client id\nname" -> hm_sub_t */
    struct hm_consumer_ring_s pull_waiters;
    uint64_t next_seq;
    uint64_t next_client;
    apr_time_t next_sweep;
    volatile int stopping;         /* shutting down: returns are not failed deliveries */
    hm_broker_opts_t opts;
    struct st_store_s *store;
    const hm_msg_codec_t *codecs[256];
    apr_hash_t *xas;               /* xid key -> hm_xa_t: prepared XA branches */
    apr_hash_t *adv_pcounts;       /* advisories: "<kind>:<name>" -> producers on it (lazy) */
    apr_hash_t *adv_policy;        /* advisories: "<kind>:<name>" -> policy bits + 1 (lazy) */
    apr_pool_t *adv_policy_pool;   /* its table and keys; dropped whole when it is full */
    uint64_t next_producer;
    apr_hash_t *consumers;         /* serial -> open hm_consumer_t */
    uint64_t next_consumer;
    struct hm_sched_s *sched;      /* scheduled messages (hm_sched.c); NULL until the first */
    struct hm_events_s ev;         /* who hears the core's events (hm_events.h) */
    hm_selector_t ***vfilters;     /* [virtual][member]: compiled opts.virtuals[].filter, or NULL */
    uint64_t mem_used;             /* bytes held by every queue (hm_usage.c) */
    uint64_t page_bytes;           /* bytes of stored messages queues hold in memory (hm_page.c) */
    struct st_temp_s *temp;        /* temporary storage (hm_spill.c); NULL: none, nothing spills */
    uint32_t next_temp_list;
    int mem_full;
    hm_space_waiter_t *waiters;    /* armed hm_space_waiter_t list */
    uint64_t blocked_sends;        /* statistics: every send held by flow control */
    apr_time_t topic_flow_logged;  /* when a topic's "limit reached" was last logged */
    apr_time_t started;            /* hm_broker_create: uptime */
    volatile apr_uint32_t held_sends;   /* sends held by flow control now (hm_flow.c, atomic) */
    apr_hash_t *adv_created;       /* advisory topics published once (authorization only) */
    apr_pool_t *adv_created_pool;
    apr_time_t auth_log_since;     /* refused logins: the current log window (hm_auth.c) */
    unsigned auth_log_count, auth_log_dropped;
    apr_hash_t *audit;             /* producer id -> last stored sequence (hm_audit.c) */
    apr_time_t audit_next_prune;
    uint64_t audit_dups;           /* repeated sends dropped */
};

/* destination names and lookups (hm_name.c) */
int hm_name_is_wildcard(const char *name);
int hm_name_matches(const char *pattern, const char *name);
apr_status_t hm_name_check(const char *name, char *err, size_t errlen);
hm_queue_t *hm_queue_find(hm_broker_t *b, hm_dest_kind_e kind, const char *name);
hm_topic_t *hm_topic_find(hm_broker_t *b, hm_dest_kind_e kind, const char *name);
/* The tables' key of a destination, malloc'd (NULL: no memory). */
char *hm_dest_key(hm_dest_kind_e kind, const char *name);
/* destinations (hm_dest.c) */
hm_queue_t *hm_queue_get(hm_broker_t *b, hm_dest_kind_e kind, const char *name);
hm_queue_t *hm_queue_create(hm_broker_t *b, hm_dname_t name, hm_client_t *owner);
hm_queue_t *hm_queue_new_private(hm_broker_t *b, hm_dname_t name);
void hm_queue_free(hm_queue_t *q);
hm_topic_t *hm_topic_get(hm_broker_t *b, hm_dest_kind_e kind, const char *name);
hm_topic_t *hm_topic_create(hm_broker_t *b, hm_dname_t name, hm_client_t *owner);
void hm_topic_free(hm_broker_t *b, hm_topic_t *t);

/* queue contents and dispatch (hm_queue.c) */
apr_status_t hm_queue_put(hm_queue_t *q, hm_msg_t *msg, int32_t redelivery_count, const char *via,
                          uint64_t seq, hm_qentry_t **out);
void hm_queue_dispatch(hm_queue_t *q);
int hm_queue_prio(const hm_queue_t *q, const hm_msg_t *m);
size_t hm_queue_expire(hm_queue_t *q, apr_time_t now);
void hm_queue_return(hm_queue_t *q, hm_qentry_t *e);
void hm_queue_entry_free(hm_queue_t *q, hm_qentry_t *e);
void hm_queue_unlink(hm_queue_t *q, hm_qentry_t *e);
void hm_queue_attach(hm_queue_t *q, hm_consumer_t *c);
/* hm_queue_put without counting an arrival (a paged-in entry arrived long ago), keeping the
 * priority ring in seq order. */
apr_status_t hm_queue_insert(hm_queue_t *q, hm_msg_t *msg, int32_t redelivery_count, const char *via,
                             uint64_t seq, hm_qentry_t **out);
/* Message groups: may c take m now? */
int hm_queue_group_allows(const hm_queue_t *q, const hm_consumer_t *c, const hm_msg_t *m);

/* paging (hm_page.c): a queue's stored messages beyond its window stay in the store */
/* Enqueues a routed message: a stored one (msg_id) beyond the window stays in the store only
 * and *out is NULL; otherwise as hm_queue_put, marked stored when it is. */
apr_status_t hm_page_enqueue(hm_queue_t *q, hm_msg_t *msg, const char *via, uint64_t seq,
                             int stored, uint64_t msg_id, hm_qentry_t **out);
/* Marks an entry in memory as the stored entry of msg_id and counts it in the window. */
void hm_page_hold(hm_queue_t *q, hm_qentry_t *e, uint64_t msg_id);
/* An entry of the window leaves memory (hm_queue_entry_free). */
void hm_page_release(hm_queue_t *q, const hm_qentry_t *e);
/* Reads the next page of priority p into the ring; the number of entries added. */
size_t hm_page_in(hm_queue_t *q, int p);
/* 1 when the window has room for another page. */
int hm_page_room(const hm_queue_t *q);
/* Looks for the first paged-out entry of priority p that a's consumer takes, from where its
 * last scan stopped, and brings it into the ring; NULL if none. */
hm_qentry_t *hm_page_scan(hm_queue_t *q, hm_attach_t *a, int p, apr_time_t now);
/* Brings the stored entry (p, seq) into the ring if it is paged out (XA recovery). */
hm_qentry_t *hm_page_pull(hm_queue_t *q, int p, uint64_t seq);
/* A browser's next page of r into items (hm_browse_item_t, each with a reference); 1 when the
 * range is finished. */
int hm_page_browse(hm_broker_t *b, hm_browse_range_t *r, apr_array_header_t *items);
/* Visits the paged-out entries of priority p in order, each decoded (strays, which are in
 * memory, are left out); fn returns non-zero to stop.  Memory stays bounded: one read chunk. */
typedef int (*hm_page_visit_fn)(void *baton, hm_queue_t *q, int p, uint64_t seq,
                                int32_t redelivery_count, hm_msg_t *m);
void hm_page_visit(hm_queue_t *q, int p, hm_page_visit_fn fn, void *baton);
struct hm_pbatch_s;
/* Removes the paged-out entry (p, seq) from the store within pb, without reading it in. */
void hm_page_drop(hm_queue_t *q, struct hm_pbatch_s *pb, int p, uint64_t seq);
/* The expiry sweep of q's paged-out entries: reads up to HM_PAGE_SWEEP_MSGS of them from where
 * the last sweep stopped, dead-letters the expired ones; the number expired. */
size_t hm_page_expire(hm_queue_t *q, apr_time_t now);
/* An expired message leaves q (statistics, dead letter into pb, advisory); hm_queue.c. */
void hm_queue_expired_out(hm_queue_t *q, const hm_msg_t *m, struct hm_pbatch_s *pb);
/* Start-up: q's stored entries as counted by the store's open, all paged out. */
apr_status_t hm_page_recover(hm_queue_t *q, uint64_t *count);
/* Messages the queue holds: in memory (pending) and paged out. */
#define hm_queue_pending(q) ((q)->avail_count + (q)->paged_count + (q)->spilled_count)

/* spill (hm_spill.c): non-persistent messages past the memory high-water mark wait in
 * temporary storage (<tempUsage>) in arrival order, and come back as consumers drain */
/* Takes a routed entry that is not stored into temporary storage when it must go there:
 * 1 if it did (counted as arrived, not in memory). */
int hm_spill_out(hm_queue_t *q, hm_msg_t *msg, const char *via, uint64_t seq);
/* 1 while q's memory has room for spilled messages to come back. */
int hm_spill_room(const hm_queue_t *q);
/* Brings priority p's next spilled entries back into the ring (at least one, then while
 * there is room); the number brought. */
size_t hm_spill_in(hm_queue_t *q, int p);
/* The first spilled entry of priority p that a's consumer takes, brought back; NULL if none. */
hm_qentry_t *hm_spill_scan(hm_queue_t *q, hm_attach_t *a, int p, apr_time_t now);
/* Brings every spilled entry back (operator actions over a whole queue). */
void hm_spill_all(hm_queue_t *q);
/* A browser's next spilled entries of r (r->temp_list) into items, left in temporary storage;
 * 1 when the range is finished. */
int hm_spill_browse(hm_broker_t *b, hm_browse_range_t *r, apr_array_header_t *items);
/* Forgets q's spilled entries (the queue goes, or is purged); the number dropped. */
uint64_t hm_spill_drop(hm_queue_t *q);
/* Consumers attached to q (statistics' consumerCount). */
size_t hm_queue_consumer_count(const hm_queue_t *q);
void hm_queue_detach(hm_queue_t *q, hm_consumer_t *c);

/* consumers (hm_consumer.c) */
int hm_consumer_wants(hm_consumer_t *c, const hm_msg_t *m, int32_t redelivery_count);
int hm_consumer_has_credit(const hm_consumer_t *c);
void hm_consumer_hand(hm_consumer_t *c, hm_queue_t *q, hm_qentry_t *e, int group_first);
void hm_consumer_close_locked(hm_consumer_t *c, uint64_t last_delivered);
void hm_consumer_attach_new_queue(hm_broker_t *b, hm_queue_t *q);
struct hm_pbatch_s;
void hm_consumer_ack_locked(hm_consumer_t *c, hm_delivery_t *d, hm_ack_e kind, struct hm_pbatch_s *pb);
void hm_consumer_kick_locked(hm_consumer_t *c);
/* XA prepare: takes acknowledged deliveries out of the consumer without settling them. */
typedef void (*hm_hold_fn)(void *baton, hm_queue_t *q, hm_qentry_t *e);
void hm_consumer_take_locked(hm_consumer_t *c, hm_delivery_t *d, hm_ack_e kind, struct hm_pbatch_s *pb,
                             hm_hold_fn hold, void *baton);
hm_delivery_t *hm_consumer_find_locked(hm_consumer_t *c, const char *message_id);
hm_consumer_t *hm_consumer_by_serial(hm_broker_t *b, uint64_t serial);

/* topic subscriptions (hm_sub.c) */
int hm_sub_wants(const hm_sub_t *s, const hm_msg_t *m);
apr_status_t hm_sub_create(hm_broker_t *b, hm_dname_t dest, const char *selector, int no_local,
                           hm_client_t *owner, const char *client_id, const char *name,
                           hm_sub_t **out, char *err, size_t errlen);
apr_status_t hm_sub_persist(hm_sub_t *s);
/* forget: also remove a durable subscription from the store */
void hm_sub_destroy(hm_sub_t *s, int forget);
hm_sub_t *hm_sub_find_durable(hm_broker_t *b, const char *client_id, const char *name);
int hm_sub_same(const hm_sub_t *s, hm_dname_t dest, const char *selector, int no_local);
apr_status_t hm_sub_recover(hm_broker_t *b, apr_pool_t *tmp, apr_array_header_t **out);

/* routing (hm_route.c) */
apr_status_t hm_route_locked(hm_broker_t *b, hm_msg_t *msg, char *err, size_t errlen);

/* advisories (hm_advisory.c), all under the broker lock; each does nothing when advisories are
 * off.  A name under ActiveMQ.Advisory. never produces advisories itself. */
#define HM_ADV_PREFIX "ActiveMQ.Advisory."
/* Any part of d (a composite too) is an advisory topic (hm_name.c). */
int hm_name_is_advisory(hm_dname_t d);
/* Advisory topic names (hm_adv_topic.c): "ActiveMQ.Advisory.<prefix><Queue|Topic>.<name>" in
 * buf (NULL when it does not fit cap; HM_ADV_TOPIC_CAP always fits), with ',' written "&sbquo;"
 * when sbquo; the destination topic (Queue, Topic, TempQueue, TempTopic) of d's kind. */
#define HM_ADV_TOPIC_CAP (HM_MAX_DEST_NAME * 7 + 96)
const char *hm_adv_topic_name(char *buf, size_t cap, const char *prefix, hm_dname_t d, int full_type,
                              int sbquo);
const char *hm_adv_dest_topic(hm_dname_t d);
void hm_adv_dest(hm_broker_t *b, hm_adv_kind_e kind, hm_dname_t d, const char *conn_id);
/* An ordinary queue or topic came into being (not a temporary one, nor an advisory topic). */
void hm_adv_dest_created(hm_broker_t *b, hm_dname_t d);
void hm_adv_connection(hm_client_t *c, int add);
void hm_adv_consumer(hm_consumer_t *c, int add);
/* Producers registered on exactly this destination (statistics' producerCount). */
int hm_adv_producer_count(hm_broker_t *b, hm_dname_t d);
void hm_adv_unsubscribed(hm_client_t *c, hm_dname_t topic, const char *client_id, const char *name);
/* EXPIRED, DLQD, CONSUMED, DELIVERED, NO_CONSUMER about message m found at (or sent to) where */
void hm_adv_message(hm_broker_t *b, hm_adv_kind_e kind, hm_dname_t where, const hm_msg_t *m);
/* A new consumer on advisory topics gets what already exists (connections, destinations,
 * consumers, producers), as ActiveMQ replays them. */
void hm_adv_replay(hm_consumer_t *c);
/* Slow consumer detection, about once a second. */
void hm_adv_tick_locked(hm_broker_t *b, apr_time_t now);

/* A message reached its destination(s) (planned and applied): MessageDelivered and NoConsumer
 * advisories where the policy asks for them. */
struct hm_plan_s;
void hm_adv_sent(hm_broker_t *b, const struct hm_plan_s *pl);
void hm_adv_client_close(hm_client_t *c);

/* What hm_persist_load found: the queues' and durable subscriptions' messages are loaded; the
 * scheduler's destination (0: none) is for hm_broker_recover to hand on. */
typedef struct hm_loaded_s {
    uint64_t messages, skipped;
    int queues;
    uint32_t sched_dest;
} hm_loaded_t;
apr_status_t hm_persist_load(hm_broker_t *b, hm_loaded_t *out);

/* persistence (hm_persist.c): batches are created lazily; NULL means nothing to store */
typedef struct hm_pbatch_s {
    struct st_batch_s *batch;
    uint64_t msg_id;               /* the body added to this batch, for the send being routed */
    int have_msg;
} hm_pbatch_t;
int hm_persist_wanted(hm_broker_t *b, const hm_msg_t *m, const hm_queue_t *q);
/* A stored record (codec byte, then that codec's form) as a message with one reference, or NULL
 * with *why ("damaged" or "unknown format") for a record that must be skipped, never trusted. */
hm_msg_t *hm_persist_decode(hm_broker_t *b, const void *bytes, size_t len, const char **why);
/* Appends m's stored form (what hm_persist_decode reads) to wb; HM_EINVAL if no codec stores it. */
struct hm_wbuf_s;
apr_status_t hm_persist_encode(hm_broker_t *b, const hm_msg_t *m, struct hm_wbuf_s *wb);
apr_status_t hm_persist_add(hm_broker_t *b, hm_pbatch_t *pb, hm_queue_t *q, const hm_msg_t *m,
                            uint64_t seq, char *err, size_t errlen);
void hm_persist_remove(hm_broker_t *b, hm_pbatch_t *pb, hm_queue_t *q, const hm_qentry_t *e);
void hm_persist_delivered(hm_broker_t *b, hm_pbatch_t *pb, hm_queue_t *q, const hm_qentry_t *e);
/* Commits (done called when durable, or at once when the batch is empty). */
apr_status_t hm_persist_commit(hm_pbatch_t *pb, hm_send_done_fn done, void *baton);

/* the producer audit: duplicate persistent sends after a failover (hm_audit.c) */
/* Whether m repeats a send already stored (same producer, sequence not above the last stored). */
int hm_audit_dup_locked(hm_broker_t *b, const hm_msg_t *m);
/* m is being stored in batch: its producer's sequence goes into the batch too. */
void hm_audit_note_locked(hm_broker_t *b, struct st_batch_s *batch, const hm_msg_t *m);
/* A client's send of m was accepted by the store: its producer's sequence is remembered. */
void hm_audit_stored_locked(hm_broker_t *b, const hm_msg_t *m);
/* Reads the producers' sequences back from the store (start-up). */
apr_status_t hm_audit_recover(hm_broker_t *b);
/* Forgets producers silent for HM_AUDIT_KEEP_MS (every HM_AUDIT_PRUNE_MS; from the tick). */
void hm_audit_prune_locked(hm_broker_t *b, apr_time_t now);
void hm_audit_destroy(hm_broker_t *b);

/* Where one sent message goes: collected first, so a persistent message is stored (or refused)
 * before any queue holds it. */
typedef struct target_s {
    hm_queue_t *q;
    const char *via;
    uint64_t seq;
} target_t;

typedef struct hm_route_s {
    target_t *t;
    int n, cap;
} route_t;

/* One message's route: its targets, with their arrival numbers and whether it was stored. */
typedef struct hm_plan_s {
    hm_msg_t *msg;
    route_t r;
    char *copy;
    uint64_t msg_id;
    int stored;
} hm_plan_t;
/* Collects targets and adds what must be stored to pb; apply enqueues and dispatches. */
apr_status_t hm_plan_route(hm_broker_t *b, hm_msg_t *msg, hm_pbatch_t *pb, hm_plan_t *pl,
                           char *err, size_t errlen);
apr_status_t hm_plan_apply(hm_broker_t *b, hm_plan_t *pl);
void hm_plan_free(hm_plan_t *pl);

/* dead letters (hm_dlq.c): routes the dead letter of e (from queue q) within pb; the caller
 * still settles or frees the entry */
void hm_dead_letter(hm_broker_t *b, hm_queue_t *q, const hm_msg_t *m, int expired, const char *cause,
                    hm_pbatch_t *pb);

/* statistics plugin (hm_stats.c): 1 if msg was a statistics request (answered, not routed) */
int hm_stats_request(hm_broker_t *b, const hm_msg_t *msg);
/* The same as a send interceptor (hm_events.h): a request is answered, done runs at once. */
int hm_stats_intercept(hm_broker_t *b, hm_msg_t *msg, hm_send_done_fn done, void *baton,
                       apr_status_t *st, char *err, size_t errlen);

/* scheduled and delayed delivery (hm_sched.c; cron entries in hm_cron.c) */
#define HM_SCHED_DELAY   "AMQ_SCHEDULED_DELAY"
#define HM_SCHED_PERIOD  "AMQ_SCHEDULED_PERIOD"
#define HM_SCHED_REPEAT  "AMQ_SCHEDULED_REPEAT"
#define HM_SCHED_CRON    "AMQ_SCHEDULED_CRON"
#define HM_SCHED_JOB_ID  "scheduledJobId"
#define HM_SCHED_MANAGEMENT "ActiveMQ.Scheduler.Management"   /* a prefix, any case */
#define HM_SCHED_ACTION  "AMQ_SCHEDULER_ACTION"
#define HM_SCHED_START_TIME "ACTION_START_TIME"
#define HM_SCHED_END_TIME "ACTION_END_TIME"
/* The store destination holding scheduled messages; a comma keeps it from naming any queue. */
#define HM_SCHED_STORE_DEST "hermod,scheduler"
#define HM_SCHED_MAX_REPEAT 1000          /* ActiveMQ's maxRepeatAllowed default */
#define HM_SCHED_FIRE_PER_TICK 1000
typedef struct hm_sched_s hm_sched_t;
/* A compiled 5-field cron entry (minute hour day-of-month month day-of-week) as bit sets. */
typedef struct hm_cron_s {
    uint64_t minutes;
    uint32_t hours, mdays;
    uint16_t months;
    uint8_t wdays;
    int mday_any, wday_any;
} hm_cron_t;
/* HM_EMALFORMED for anything but 5 fields of * ? n a-b lists and /steps within range. */
apr_status_t hm_cron_parse(const char *text, hm_cron_t *out);
/* The first matching minute (local time) strictly after after_ms; HM_ENOTFOUND if none within
 * the years ahead (e.g. 31 February). */
apr_status_t hm_cron_next(const hm_cron_t *c, int64_t after_ms, int64_t *next_ms);
/* hm_send's hook: 1 when the scheduler took the message (or refused it: *result, err;
 * HM_EMALFORMED for a schedule that does not parse), in which case done follows hm_send's
 * contract; 0 when it is to be routed now. */
int hm_sched_take_locked(hm_broker_t *b, hm_msg_t *msg, hm_send_done_fn done, void *baton,
                         apr_status_t *result, char *err, size_t errlen);
/* The same in two steps, for a transaction (hm_commit): plan adds the job's stored entry to
 * *batch (begun when NULL) and gives the job in *job; after the batch commits, arm starts its
 * clock; when the transaction fails, drop forgets it.  A message to the management destination
 * is acted on at once and consumed (1 with *job NULL; arm and drop accept NULL). */
typedef struct hm_sjob_s hm_sjob_t;
struct st_batch_s;
int hm_sched_plan_locked(hm_broker_t *b, hm_msg_t *msg, struct st_batch_s **batch, hm_sjob_t **job,
                         apr_status_t *result, char *err, size_t errlen);
void hm_sched_arm_locked(hm_broker_t *b, hm_sjob_t *job);
void hm_sched_drop(hm_sjob_t *job);
/* The same as the core's hold and settle events (hm_events.h): a local transaction's scheduled
 * messages start their clock at commit, as on ActiveMQ. */
int hm_sched_hold_locked(hm_broker_t *b, hm_msg_t *msg, struct st_batch_s **batch, void **job,
                         apr_status_t *st, char *err, size_t errlen);
void hm_sched_settle_locked(hm_broker_t *b, void *job, int committed);
/* For an XA branch (hm_xa.c): arm a planned job when the branch commits, its delay counted
 * from now (the commit), as ActiveMQ schedules a transacted message only after commit. */
void hm_sched_arm_committed_locked(hm_broker_t *b, hm_sjob_t *job);
/* After a restart, a prepared branch's scheduled message: the scheduler's store destination
 * (created when absent; 0 without a store or on error), a job rebuilt from the branch's stored
 * entry (m: one reference, taken; NULL when it no longer has a valid schedule; not armed), and
 * the entry's repeat count when the branch records one (ignored unless seq is the job's). */
struct st_entry_s;
uint32_t hm_sched_store_dest(hm_broker_t *b);
hm_sjob_t *hm_sched_job_rebuild(hm_broker_t *b, hm_msg_t *m, const struct st_entry_s *e);
void hm_sched_job_delivered(hm_sjob_t *job, uint64_t seq, uint32_t delivered);
/* Routes every job due at now (broker lock held). */
void hm_sched_tick_locked(hm_broker_t *b, apr_time_t now);
/* Re-arms the jobs stored under store_dest (the HM_SCHED_STORE_DEST destination). */
apr_status_t hm_sched_recover(hm_broker_t *b, uint32_t store_dest);
/* Calls fn for each waiting job (at most max), in heap order; returns how many wait. */
typedef void (*hm_sched_each_fn)(void *baton, const char *job_id, const hm_msg_t *m, int64_t due_ms,
                                 int64_t period_ms, int32_t repeat, int cron);
size_t hm_sched_each_locked(hm_broker_t *b, size_t max, hm_sched_each_fn fn, void *baton);
/* Jobs waiting (for tests and statistics). */
size_t hm_sched_pending(hm_broker_t *b);
/* Drops every job from memory (the stored ones stay for the next start). */
void hm_sched_destroy(hm_broker_t *b);

/* memory limits, producer flow control and per-destination expiry (hm_usage.c) */
void hm_usage_policy(hm_broker_t *b, hm_queue_t *q, hm_dname_t policy_of);
void hm_usage_charge(hm_queue_t *q, const hm_msg_t *m);
void hm_usage_release(hm_queue_t *q, const hm_msg_t *m);
/* 1 if m on q counts against the memory limits (and so may spill). */
int hm_usage_charged(const hm_queue_t *q, const hm_msg_t *m);
/* 1 when q's or the broker's counted memory is at or past pct % of its limit. */
int hm_usage_above(const hm_queue_t *q, int pct);
/* Temporary storage freed space: held producers look again. */
void hm_usage_temp_freed(hm_broker_t *b);
/* HM_EFLOW (err as hm_send says) when a send to msg->dest must wait for memory. */
apr_status_t hm_usage_check_locked(hm_broker_t *b, const hm_msg_t *msg, char *err, size_t errlen);
/* Discards a slow non-durable subscriber's oldest undispatched messages over its pending limit. */
void hm_usage_trim_locked(hm_queue_t *q);
/* Sweeps every queue whose expiry period has come round. */
void hm_usage_expire_locked(hm_broker_t *b, apr_time_t now);

/* XA branches (hm_xa.c) */
apr_status_t hm_xa_recover_store(hm_broker_t *b);
/* Forgets every branch in memory at broker destroy (the store keeps the prepared ones). */
void hm_xa_destroy_locked(hm_broker_t *b);

/* selectors bridge (hm_select.c) */
apr_status_t hm_selector_compile(apr_pool_t *pool, const char *text, hm_selector_t **out,
                                 char *err, size_t errlen);
int hm_selector_match(const hm_selector_t *s, const hm_msg_t *m, int32_t redelivery_count);

static inline void hm_lock(hm_broker_t *b) { apr_thread_mutex_lock(b->lock); }
static inline void hm_unlock(hm_broker_t *b) { apr_thread_mutex_unlock(b->lock); }

/* The one place the core asks the authorizer (hm_auth.c): APR_SUCCESS or HM_ENOTALLOWED with
 * ActiveMQ's wording in err, or in the client's denied text when err is NULL. */
apr_status_t hm_authorize(hm_client_t *c, hm_authz_op_e op, hm_dname_t d, char *err, size_t errlen);
apr_status_t hm_authorize_msgs(hm_client_t *c, hm_msg_t *const *msgs, int n, char *err, size_t errlen);
/* Admin, when d (or a part of it) does not exist yet: creating it is what the client asks. */
apr_status_t hm_authorize_create(hm_client_t *c, hm_dname_t d, char *err, size_t errlen);
/* Admin on d, refused with ActiveMQ's "not authorized to remove" (DestinationInfo REMOVE). */
apr_status_t hm_authorize_remove(hm_client_t *c, hm_dname_t d, char *err, size_t errlen);
/* Whether an authorizer other than allow-all is configured. */
int hm_authz_enabled(const hm_broker_t *b);
/* ActiveMQ's rule for advisory topics (hm_auth.c): the client whose connection, consumer,
 * producer or new destination would be the first advisory on a topic creates that topic and
 * needs admin there.  HM_ENOTALLOWED with ActiveMQ's text (err NULL: the client's denied text). */
apr_status_t hm_authorize_adv_connection_locked(hm_client_t *c, char *err, size_t errlen);
/* role: "Consumer." or "Producer." (before the consumer or producer exists). */
apr_status_t hm_authorize_adv_client(hm_client_t *c, const char *role, hm_dname_t d, char *err,
                                     size_t errlen);
apr_status_t hm_authorize_adv_dest(hm_client_t *c, hm_dname_t d, char *err, size_t errlen);
/* The advisories tell the authorizer each topic they publish on (so it exists from then on).
 * Broker lock held. */
void hm_auth_adv_published_locked(hm_broker_t *b, const char *topic);
/* A refused login, logged within HM_AUTH_LOG_BURST per HM_AUTH_LOG_WINDOW_S.  Broker lock held. */
void hm_auth_log_refusal_locked(hm_broker_t *b, const char *remote, const char *connection_id,
                                const char *user, const char *why);

/* The copies the broker makes (hm_copy.c): ActiveMQ's semantics, applied by the message's
 * protocol (origin->derive).  NULL when it cannot (no derive, or out of memory). */
hm_msg_t *hm_copy_dead_letter(const hm_msg_t *m, hm_dname_t dlq, const char *cause);
hm_msg_t *hm_copy_readdress(const hm_msg_t *m, hm_dname_t to);
hm_msg_t *hm_copy_scheduled(const hm_msg_t *m, const char *job_id, const char *id_conn, int64_t id_seq,
                            int64_t now_ms, const hm_dname_t *browse_to);

#endif
