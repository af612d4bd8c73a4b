/* The store: what the broker core persists, behind one interface with two implementations.
 *
 *   ST_KIND_MEMORY  everything in process memory (persistent="false", tests); same contract.
 *   ST_KIND_BDB     a Berkeley DB 5.3 transactional journal in a directory.
 *
 * The store knows messages as opaque bytes plus routing facts, never protocols.  A message
 * body is stored once; each destination that holds it (a queue or a durable subscription)
 * has an *entry* referencing it; the body goes when its last entry goes.  A destination's
 * entries read back in dispatch order: priority 9 first, then 8..0, within a priority by the
 * arrival sequence number the core gives each entry.
 *
 * Changes are grouped in a batch that commits atomically (all or nothing).  Commit is
 * asynchronous: the done callback runs once, from any thread, when the batch is durable
 * (log flushed; concurrent commits share one flush) or has failed.  Non-persistent messages
 * never reach the store.  Thread-safety: every function may be called from any thread; a
 * single batch is used by one thread at a time.  Listing callbacks (st_sub_list,
 * st_xa_recover) must not call back into the store; st_load's callback may. */
#ifndef ST_H
#define ST_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <apr_pools.h>

#include "hm_status.h"

/* Store status codes (block 4). */
#define ST_ECORRUPT   (HM_ERRSPACE(4) + 1)  /* a stored record failed to parse: reported, skipped */
#define ST_ERECOVER   (HM_ERRSPACE(4) + 2)  /* the environment is damaged: run recovery (see st_tool_recover) */
#define ST_EFAILED    (HM_ERRSPACE(4) + 3)  /* an earlier log flush failed; close and reopen the store */
#define ST_ELOCKED    (HM_ERRSPACE(4) + 4)  /* repeated lock conflicts; the batch was not applied */
#define ST_EDB        (HM_ERRSPACE(4) + 5)  /* another Berkeley DB error (logged) */
#define ST_EBUSY      (HM_ERRSPACE(4) + 6)  /* the directory is in use by another open store */
/* The store size limit is HM_ENOSPACE; a full disk or I/O error is the OS errno (ENOSPC, EIO). */

typedef enum { ST_KIND_MEMORY, ST_KIND_BDB } st_kind_e;

/* always: each commit flushes its own log records before done runs.
 * batch:  group commit: commits wait together for one shared flush (the default).
 * none:   done runs at once; the log reaches disk when its buffer fills or at the next
 *         checkpoint (a crash may lose recent commits, never consistency). */
typedef enum { ST_SYNC_BATCH, ST_SYNC_ALWAYS, ST_SYNC_NONE } st_sync_e;

/* Progress on long operations (load, verify): phase is a static string, done/total counts
 * (total 0 when unknown). */
typedef void (*st_progress_fn)(void *baton, const char *phase, uint64_t done, uint64_t total);

typedef struct st_options_s {
    st_kind_e kind;
    const char *dir;            /* bdb: the environment directory (created if absent) */
    uint64_t cache_bytes;       /* bdb buffer cache; 0: 64 MB */
    uint32_t log_file_bytes;    /* bdb log file size; 0: 10 MB; at least 128 KB */
    st_sync_e sync;
    uint64_t size_limit;        /* bytes of stored message bodies; 0: unlimited.  Past it,
                                   a batch that adds messages fails with HM_ENOSPACE */
    unsigned checkpoint_secs;   /* bdb: checkpoint + log-file removal at least this often
                                   (0: 30 s), and whenever two log files' worth was written */
    uint64_t journal_keep_bytes; /* bdb: bodies that outlive this much journal move into the
                                   tables (0: ST_JOURNAL_KEEP_MB; at least two log files) */
    st_progress_fn progress;    /* optional */
    void *progress_baton;
    int lease_held;             /* bdb: the caller holds the directory's lease (st_lease.h), so
                                   the store takes no lock of its own; 0: it locks the directory */
} st_options_t;

/* Fills defaults (kind memory, sync batch, everything else 0 = default). */
void st_options_default(st_options_t *o);

typedef struct st_store_s st_store_t;
typedef struct st_batch_s st_batch_t;

/* Called exactly once when a committed batch is durable (APR_SUCCESS) or failed.  It may run
 * before st_batch_commit returns (memory store, sync always/none).  A NULL done is allowed.
 * It runs on the store's flusher thread, or on the thread of a later commit that removes the
 * batch's one added entry (an acknowledgement): a message delivered and acknowledged needs no
 * disk to be safe, so its add is then cancelled or, if already being written, its sender
 * confirmed at once (ActiveMQ's concurrentStoreAndDispatch).  It may start new commits
 * (st_batch_commit) but must not wait for one (st_batch_commit_wait returns HM_EDENIED on the
 * flusher) nor close the store. */
typedef void (*st_done_fn)(void *baton, apr_status_t st);

/* Opens (bdb: with recovery) or creates a store.  The store lives until st_close; pool is
 * only used for the store's own bookkeeping and must outlive it.  Errors: ST_ERECOVER for a
 * damaged environment (message logged with the way out), ST_EBUSY if another process (or
 * store) has the directory open, OS errors for the directory. */
apr_status_t st_open(apr_pool_t *pool, const st_options_t *opts, st_store_t **out);
/* Waits for outstanding commits to finish (their callbacks run), checkpoints, closes. */
void st_close(st_store_t *s);

/* ---- destinations ---- */
typedef enum { ST_DEST_QUEUE = 1, ST_DEST_SUB = 2 } st_dest_kind_e;

/* The id of a queue by name, created durably if absent.  Durable subscriptions get their
 * destination id from st_sub_put. */
apr_status_t st_dest_id(st_store_t *s, const char *queue_name, uint32_t *id);
typedef void (*st_dest_fn)(void *baton, uint32_t id, st_dest_kind_e kind, const char *name);
/* Lists every destination (queues and durable subscriptions). */
apr_status_t st_dest_list(st_store_t *s, st_dest_fn each, void *baton);
/* A destination whose stored bodies may get entries in later batches (st_batch_add_entry with
 * an id from an earlier batch: the scheduler's repeats).  Its bodies always use the shared
 * layout; call before its first batch, in every run (not stored). */
apr_status_t st_dest_share_bodies(st_store_t *s, uint32_t id);
/* Removes a destination and all its entries durably (bodies with no other entry go too).
 * HM_ENOTFOUND if unknown.  Synchronous; large backlogs go in several transactions. */
apr_status_t st_dest_remove(st_store_t *s, uint32_t id);
/* Frees a queue's name at once without touching the disk, so it may be called under the
 * caller's own locks: the next st_dest_id for that name creates a new destination, while id's
 * record and entries stay until st_dest_remove(id).  A st_dest_id for the same name before
 * then runs that removal itself first, so the old record never outlives the new one (and
 * st_dest_remove then says HM_ENOTFOUND).  HM_ENOTFOUND if id is unknown. */
apr_status_t st_dest_detach(st_store_t *s, uint32_t id);
/* Removes all entries of a destination but keeps it (purge).  Synchronous and durable. */
apr_status_t st_dest_purge(st_store_t *s, uint32_t id);

/* ---- batches ---- */
/* A new empty batch.  It is consumed by st_batch_commit / st_batch_prepare / st_batch_discard. */
st_batch_t *st_batch_begin(st_store_t *s);
/* Adds a message body (copied) and returns its store-wide id in *msg_id.  A body that no
 * entry in the same batch references is not stored. */
void st_batch_add_message(st_batch_t *b, const void *bytes, size_t len, uint64_t *msg_id);
/* An entry of msg_id on dest, at (priority 0..9, arrival seq).  (dest, priority, seq) is the
 * entry's key: adding an existing key fails the batch with HM_EEXISTS. */
void st_batch_add_entry(st_batch_t *b, uint32_t dest, uint64_t msg_id, uint8_t priority, uint64_t seq);
/* Removes an entry (acknowledge).  Removing an absent entry is a no-op. */
void st_batch_remove_entry(st_batch_t *b, uint32_t dest, uint8_t priority, uint64_t seq);
/* Records how often an entry was delivered (for JMSRedelivered / redelivery count after a
 * restart).  Absent entries are ignored. */
void st_batch_set_delivered(st_batch_t *b, uint32_t dest, uint8_t priority, uint64_t seq, uint32_t count);
/* Number of operations in the batch. */
size_t st_batch_size(const st_batch_t *b);
/* Drops a batch without applying it (local transaction rollback). */
void st_batch_discard(st_batch_t *b);

/* Applies the batch atomically and consumes it.  APR_SUCCESS: done will be called once the
 * batch is durable (or with an error if applying or the flush fails).  Any other return:
 * nothing was applied and done is NOT called (HM_ENOSPACE: size limit; ST_EFAILED; ...).
 * With Berkeley DB and sync batch/always, a batch of up to ST_DEFER_MAX_OPS operations is
 * queued and applied by the flusher (so HM_EEXISTS, ENOSPC or EIO then come through done);
 * commits nobody waits for (done NULL) reach the disk with the next flush, at the latest
 * after ST_LAZY_FLUSH_MS. */
apr_status_t st_batch_commit(st_batch_t *b, st_done_fn done, void *baton);
/* Convenience: commit and wait until durable; returns the final status. */
apr_status_t st_batch_commit_wait(st_batch_t *b);

/* ---- producer audit ---- */
/* Records in the batch that producer (len bytes, an opaque id) has sent everything up to seq,
 * so a send repeated after a failover (same producer, same sequence number) is known as a
 * duplicate by whichever broker opens the store next.  Not kept in a prepared XA record. */
void st_batch_audit(st_batch_t *b, const char *producer, size_t len, uint64_t seq);
/* Forgets a producer (a silent one, pruned). */
void st_batch_audit_forget(st_batch_t *b, const char *producer, size_t len);
typedef void (*st_audit_fn)(void *baton, const char *producer, size_t len, uint64_t seq);
/* Every producer the store remembers, with its last stored sequence number. */
apr_status_t st_audit_list(st_store_t *s, st_audit_fn each, void *baton);

/* ---- XA ---- */
#define ST_XID_MAX 64
typedef struct st_xid_s {
    int32_t format;
    uint8_t gtrid_len, bqual_len;           /* each <= ST_XID_MAX */
    uint8_t gtrid[ST_XID_MAX], bqual[ST_XID_MAX];
} st_xid_t;

/* Records the batch durably under xid (prepared) and consumes it; nothing is applied until
 * st_xa_commit.  Same return/callback contract as st_batch_commit; HM_EEXISTS if the xid is
 * already prepared. */
apr_status_t st_batch_prepare(st_batch_t *b, const st_xid_t *xid, st_done_fn done, void *baton);
/* Applies a prepared batch and forgets the xid, or discards it.  HM_ENOTFOUND if the xid is
 * not prepared (done not called).  Contract as st_batch_commit. */
apr_status_t st_xa_commit(st_store_t *s, const st_xid_t *xid, st_done_fn done, void *baton);
apr_status_t st_xa_rollback(st_store_t *s, const st_xid_t *xid, st_done_fn done, void *baton);
typedef void (*st_xid_fn)(void *baton, const st_xid_t *xid);
/* Lists prepared transactions (after a restart: those to resolve). */
apr_status_t st_xa_recover(st_store_t *s, st_xid_fn each, void *baton);

/* The operations a prepared transaction will apply, in batch order, so a restarted broker can
 * hold them in doubt: bodies (ST_XA_MSG), entries to add and entries to remove.  bytes are valid
 * only during the call.  HM_ENOTFOUND for an unknown xid, ST_ECORRUPT for a damaged record. */
typedef enum { ST_XA_MSG = 1, ST_XA_ADD, ST_XA_REMOVE, ST_XA_DELIVERED } st_xa_op_kind_e;
typedef struct st_xa_op_s {
    st_xa_op_kind_e kind;
    uint32_t dest;
    uint8_t priority;
    uint64_t seq;
    uint64_t msg_id;
    const void *bytes;
    size_t len;
    uint32_t delivered;         /* ST_XA_DELIVERED: the count recorded */
} st_xa_op_t;
typedef void (*st_xa_op_fn)(void *baton, const st_xa_op_t *op);
apr_status_t st_xa_ops(st_store_t *s, const st_xid_t *xid, st_xa_op_fn each, void *baton);

/* ---- loading ---- */
typedef struct st_entry_s {
    uint32_t dest;
    uint8_t priority;
    uint64_t seq;
    uint64_t msg_id;
    uint32_t delivered;       /* the last count set by st_batch_set_delivered, else 0 */
} st_entry_t;
/* bytes are valid only during the call; a non-zero return stops the load and is returned. */
typedef apr_status_t (*st_load_fn)(void *baton, const st_entry_t *e, const void *bytes, size_t len);
/* Calls each for every entry of dest in dispatch order.  A record that fails to parse is
 * logged and skipped.  Reports progress through the options' callback.  Entries are read in
 * chunks; no store lock is held while each runs.  Entries committed during a load may or may
 * not be seen. */
apr_status_t st_load(st_store_t *s, uint32_t dest, st_load_fn each, void *baton);

/* Paging: up to max entries of dest at one priority whose seq is greater than after, in seq
 * order, as st_load hands them (bytes valid only during the call; no progress lines).  *end
 * (optional) is set when no entry of that priority follows the last one handed out.  Batches
 * committed before the call are seen. */
apr_status_t st_page(st_store_t *s, uint32_t dest, uint8_t priority, uint64_t after, size_t max,
                     st_load_fn each, void *baton, int *end);
/* What the open counted of dest: its entries per priority (index = priority 0..9) and the
 * greatest entry seq.  These are the counts at open, not kept up to date afterwards: a broker
 * reads them once, before it changes anything.  HM_ENOTFOUND for an unknown destination. */
apr_status_t st_dest_counts(st_store_t *s, uint32_t dest, uint64_t counts[10], uint64_t *max_seq);

/* ---- durable subscriptions ---- */
typedef struct st_sub_s {
    const char *client_id;
    const char *name;
    const char *selector;     /* NULL: none */
    const char *topic;
    int no_local;
} st_sub_t;
/* Creates or updates a durable subscription and returns its destination id (its backlog is
 * that destination's entries). */
apr_status_t st_sub_put(st_store_t *s, const st_sub_t *sub, uint32_t *dest_id);
/* Removes a subscription with its backlog.  HM_ENOTFOUND if absent. */
apr_status_t st_sub_remove(st_store_t *s, const char *client_id, const char *name);
typedef void (*st_sub_fn)(void *baton, uint32_t dest_id, const st_sub_t *sub);
apr_status_t st_sub_list(st_store_t *s, st_sub_fn each, void *baton);

/* ---- maintenance ---- */
typedef struct st_stats_s {
    uint64_t messages;        /* stored bodies */
    uint64_t entries;
    uint64_t bytes;           /* sum of body sizes (what size_limit bounds) */
    uint32_t destinations;
    uint32_t prepared;        /* prepared XA transactions */
    uint64_t commits;         /* batches committed since open */
    uint64_t flushes;         /* log flushes since open (commits/flushes = group size) */
    uint32_t log_files;       /* bdb: log files on disk */
    uint64_t corrupt;         /* damaged records reported and skipped since open */
    uint64_t cancelled;       /* adds never written: acknowledged while their batch waited */
} st_stats_t;
/* Counters are kept in memory; entries are counted by a scan (slow on a large store). */
apr_status_t st_stats(st_store_t *s, st_stats_t *out);
/* The in-memory counters only (messages, bytes, destinations, prepared, commits, flushes,
 * corrupt), without the scan or the log-file count: cheap enough for every metrics scrape. */
void st_counters(st_store_t *s, st_stats_t *out);
/* Bytes of stored message bodies now (what size_limit bounds), without a scan. */
uint64_t st_bytes(st_store_t *s);
/* bdb: a checkpoint now, then removal of log files no longer needed.  Also runs periodically. */
apr_status_t st_checkpoint(st_store_t *s);

/* ---- offline tools (the broker's `hermod store verify|stats|dump|recover DIR`) ---- */
/* Each opens DIR itself (the broker must not be running on it) and writes a human report to
 * out.  verify checks every record, every entry's message, orphan bodies and reference counts;
 * returns ST_ECORRUPT if it found problems. */
apr_status_t st_tool_verify(const char *dir, FILE *out, st_progress_fn progress, void *baton);
apr_status_t st_tool_stats(const char *dir, FILE *out);
apr_status_t st_tool_dump(const char *dir, FILE *out);
/* Runs recovery on a damaged environment (fatal != 0: catastrophic recovery from all logs). */
apr_status_t st_tool_recover(const char *dir, int fatal, FILE *out);

/* ---- test seam ---- */
typedef enum { ST_FAULT_COMMIT = 1, ST_FAULT_FLUSH = 2 } st_fault_e;
/* Makes the next commit (before anything is applied) or the next log flush fail with err
 * (e.g. APR_FROM_OS_ERROR(ENOSPC)).  For tests only. */
void st_test_fault(st_store_t *s, st_fault_e where, apr_status_t err);

#endif
