/* The broker as an operator sees it: snapshots of its state and the operations of a console
 * (ActiveMQ's web console and JMX), for the management side (mgmt/) which runs in its own thread.
 *
 * Threading: every function takes the broker lock itself and copies what it returns into the
 * caller's pool (which must belong to the calling thread), so nothing returned points into the
 * broker.  Nothing here blocks beyond the lock: stored changes are committed, not waited for. */
#ifndef HM_ADMIN_H
#define HM_ADMIN_H

#include <apr_pools.h>
#include <apr_tables.h>

#include "hm_core.h"

/* One queue or topic (temporary and advisory ones are left out).  Topics: pending, in flight,
 * consumers, dequeued, expired, dead-lettered and memory are their subscriptions' sums. */
typedef struct hm_admin_dest_s {
    hm_dname_t name;
    uint64_t pending;              /* waiting, not yet dispatched */
    uint64_t inflight;             /* dispatched, not yet acknowledged */
    uint64_t consumers, producers;
    uint64_t enqueued, dequeued, dispatched, expired, dead_lettered, blocked_sends;
    uint64_t memory_bytes;
    int64_t memory_limit;          /* its own, else the broker's; 0: none */
    int paused;                    /* queues: dispatch paused by an operator */
} hm_admin_dest_t;

typedef struct hm_admin_broker_s {
    const char *name, *id;
    int64_t uptime_ms;
    uint64_t connections, consumers, producers_held, blocked_sends;
    uint64_t memory_bytes, store_bytes, temp_bytes;
    int64_t memory_limit, store_limit, temp_limit;   /* 0: none */
    uint64_t store_commits, store_flushes;
    int has_store;
} hm_admin_broker_t;

typedef struct hm_admin_conn_s {
    const char *connection_id, *client_id, *user, *client_ip;   /* NULL: none */
    uint64_t consumers, producers;
} hm_admin_conn_t;

typedef struct hm_admin_consumer_s {
    const char *id, *connection_id, *client_id;   /* NULL: none */
    hm_dname_t dest;
    const char *selector, *durable_name;
    int32_t prefetch;
    int browser, exclusive, priority;
    uint64_t inflight;             /* deliveries not yet acknowledged */
} hm_admin_consumer_t;

typedef struct hm_admin_producer_s {
    const char *id, *connection_id, *client_id;
    hm_dname_t dest;
} hm_admin_producer_t;

/* A durable topic subscription, with or without its consumer. */
typedef struct hm_admin_durable_s {
    const char *client_id, *name, *topic, *selector;
    int active;                    /* a consumer is attached */
    uint64_t pending, inflight, enqueued, dequeued;
} hm_admin_durable_t;

/* A scheduled message (AMQ_SCHEDULED_*) waiting for its time. */
typedef struct hm_admin_job_s {
    const char *job_id, *message_id;
    hm_dname_t dest;
    int64_t due_ms, period_ms;
    int32_t repeat;                /* repeats left; < 0: forever (cron) */
    int cron;
} hm_admin_job_t;

/* A message as browsed: headers, and the neutral content (properties and body) in pool. */
typedef struct hm_admin_msg_s {
    const char *message_id, *correlation_id, *type, *group_id;
    hm_dname_t dest, reply_to;
    int priority, persistent, redelivered;
    int32_t redelivery_count;
    int64_t timestamp, expiration;
    uint64_t size;
    hm_content_t content;
} hm_admin_msg_t;

/* Arrays of the structs above (elements in pool), destinations sorted by kind then name. */
apr_status_t hm_admin_dests(hm_broker_t *b, apr_pool_t *pool, apr_array_header_t **out);
void hm_admin_broker(hm_broker_t *b, hm_admin_broker_t *out);
apr_status_t hm_admin_conns(hm_broker_t *b, apr_pool_t *pool, apr_array_header_t **out);
apr_status_t hm_admin_consumers(hm_broker_t *b, apr_pool_t *pool, apr_array_header_t **out);
apr_status_t hm_admin_producers(hm_broker_t *b, apr_pool_t *pool, apr_array_header_t **out);
apr_status_t hm_admin_durables(hm_broker_t *b, apr_pool_t *pool, apr_array_header_t **out);
/* Scheduled jobs in due order would cost a sort of the heap: they come in heap order, at most
 * max of them (*total says how many wait). */
apr_status_t hm_admin_jobs(hm_broker_t *b, size_t max, apr_pool_t *pool, apr_array_header_t **out,
                           size_t *total);

/* The operations.  Errors: HM_ENOTFOUND (no such queue or message), HM_ESELECTOR (err says why),
 * HM_EINVAL (a bad name, a temporary or wildcard destination), HM_EPROTO (deleting a destination
 * that still has consumers), HM_EFLOW/HM_ENOSPACE (a full destination or store: nothing sent),
 * APR_ENOMEM.  A selector may be NULL or empty (every message). */

/* Creates an ordinary queue or topic (nothing when it exists). */
apr_status_t hm_admin_create(hm_broker_t *b, hm_dname_t d, char *err, size_t errlen);
/* Deletes a queue (its messages and its store record included) or topic without consumers.
 * The store's removal waits for the disk after the broker lock is released, so call it where
 * waiting is fine (not under the broker lock). */
apr_status_t hm_admin_delete(hm_broker_t *b, hm_dname_t d, char *err, size_t errlen);
/* The pending messages of queue d matching selector, in dispatch order: from the offset-th, at
 * most limit; *total is how many match in all. */
apr_status_t hm_admin_browse(hm_broker_t *b, hm_dname_t d, const char *selector, size_t offset,
                             size_t limit, apr_pool_t *pool, apr_array_header_t **out,
                             size_t *total, char *err, size_t errlen);
/* Removes the pending messages matching selector (all of them, purge; or the one message_id). */
apr_status_t hm_admin_purge(hm_broker_t *b, hm_dname_t d, const char *selector, uint64_t *removed,
                            char *err, size_t errlen);
apr_status_t hm_admin_remove(hm_broker_t *b, hm_dname_t d, const char *message_id, char *err,
                             size_t errlen);
/* Copies (move 0) or moves the pending messages of queue from matching selector to queue to,
 * at most max (0: all); a moved message leaves from in the same store batch it arrives in to. */
apr_status_t hm_admin_copy(hm_broker_t *b, hm_dname_t from, hm_dname_t to, const char *selector,
                           int move, uint64_t max, uint64_t *count, char *err, size_t errlen);
/* Stops (1) or restarts (0) dispatch from queue d; consumers keep what they already have. */
apr_status_t hm_admin_pause(hm_broker_t *b, hm_dname_t d, int paused, char *err, size_t errlen);
/* Sends a text message to d, with a JMSType and correlation id when not NULL.  Persistent only
 * when the broker can give it a stored form (opts.adopt); *persistent_out says which it was,
 * *id_out (in pool) names it. */
apr_status_t hm_admin_send_text(hm_broker_t *b, hm_dname_t d, const char *text, size_t len,
                                const char *type, const char *correlation_id, int priority,
                                int persistent, apr_pool_t *pool, const char **id_out,
                                int *persistent_out, char *err, size_t errlen);

#endif
