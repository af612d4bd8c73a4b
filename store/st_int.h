/* Store internals shared by its files: the record codec, the key layouts, the small ordered
 * key/value interface both back ends implement, and the store object.
 *
 * Tables (bdb: one B-tree file each; memory: one skip list each), all keys big-endian:
 *   messages  msg_id                       -> MSG  body bytes (written once, never rewritten)
 *   refs      msg_id                       -> REF  entry count, body size
 *   entries   dest, 9 - priority, seq      -> ENTRY msg_id, delivery count   (dispatch order)
 *                                          or ENTRY_BODY msg_id, delivery count, body: a
 *                                             message stored with exactly one entry keeps its
 *                                             body here and has no messages/refs records
 *                                          or ENTRY_JOURNAL msg_id, delivery count, size, LSN:
 *                                             the same, with the body (a JBODY record) in the
 *                                             Berkeley DB journal itself (st_journal.c)
 *   dests     kind, name                   -> DEST id, kind, name
 *   subs      dest id                      -> SUB  client id, name, topic, selector, noLocal
 *   xa        format, gtrid, bqual         -> XA   the prepared batch's operations
 *   producers producer id (its bytes)      -> AUDIT the last sequence number stored from it
 *                                             (duplicate sends after a failover: st_audit_list)
 * The store logic (st_batch.c, st_store.c) is written once over st_kv_vt_t, so both back ends
 * keep the same contract. */
#ifndef ST_INT_H
#define ST_INT_H

#include <pthread.h>
#include <time.h>
#include <stdint.h>

#include <apr_hash.h>

#include "st.h"
#include "st_limits.h"
#include "hm_rd.h"
#include "hm_wbuf.h"

/* ---- records: "HS" magic, version, type, then the type's fields, big-endian ---- */
#define ST_REC_MAGIC0   'H'
#define ST_REC_MAGIC1   'S'
#define ST_REC_VERSION  1
#define ST_REC_HDR      4
typedef enum { ST_REC_MSG = 1, ST_REC_REF = 2, ST_REC_ENTRY = 3, ST_REC_DEST = 4,
               ST_REC_SUB = 5, ST_REC_XA = 6, ST_REC_ENTRY_BODY = 7, ST_REC_JBODY = 8,
               ST_REC_ENTRY_JOURNAL = 9, ST_REC_AUDIT = 10 } st_rec_type_e;

/* Where a journal body record starts: log file number and offset. */
typedef struct st_lsn_s { uint32_t file, offset; } st_lsn_t;

/* One operation of a batch (also the unit of a prepared XA record). */
/* ST_OP_NONE: an operation cancelled while its batch waited (st_defer.c); applying skips it. */
/* ST_OP_AUDIT: a producer's last stored sequence number (bytes: the producer's id); never part
 * of a prepared XA record. */
typedef enum { ST_OP_NONE = 0, ST_OP_MSG = 1, ST_OP_ADD = 2, ST_OP_DEL = 3, ST_OP_DELIVERED = 4,
               ST_OP_AUDIT = 5 } st_op_type_e;
/* Whether the operation owns a malloc'd copy in bytes (freed with its batch). */
#define ST_OP_OWNS_BYTES(t) ((t) == ST_OP_MSG || (t) == ST_OP_AUDIT)
typedef struct st_op_s {
    uint8_t type;
    uint8_t priority;
    uint32_t dest;
    uint32_t count;          /* DELIVERED */
    uint64_t msg_id;         /* MSG, ADD */
    uint64_t seq;
    const uint8_t *bytes;    /* MSG: body */
    uint32_t len;
} st_op_t;

typedef struct st_rec_ref_s { uint32_t refs; uint32_t body_len; } st_rec_ref_t;
/* body is NULL for an entry that references a shared body (messages/refs tables) or a
 * journal body (journal set: body_len and lsn describe it). */
typedef struct st_rec_entry_s {
    uint64_t msg_id; uint32_t delivered;
    const uint8_t *body; uint32_t body_len;
    int journal; st_lsn_t lsn;
} st_rec_entry_t;
typedef struct st_rec_dest_s {
    uint32_t id; uint8_t kind; const uint8_t *name; uint16_t name_len;
} st_rec_dest_t;
/* Strings point into the record and are not NUL-terminated: lengths given. */
typedef struct st_rec_sub_s {
    uint32_t dest;
    uint8_t no_local, has_selector;
    const uint8_t *client_id, *name, *selector, *topic;
    uint16_t client_id_len, name_len, topic_len;
    uint32_t selector_len;
} st_rec_sub_t;

void st_rec_hdr(hm_wbuf_t *wb, st_rec_type_e type);
void st_rec_put_msg(hm_wbuf_t *wb, const void *body, uint32_t len);
void st_rec_put_ref(hm_wbuf_t *wb, const st_rec_ref_t *r);
/* Writes ENTRY_JOURNAL when e->journal is set, else ENTRY_BODY when e->body is, else ENTRY. */
void st_rec_put_entry(hm_wbuf_t *wb, const st_rec_entry_t *e);
void st_rec_put_dest(hm_wbuf_t *wb, uint32_t id, uint8_t kind, const void *name, size_t len);
void st_rec_put_sub(hm_wbuf_t *wb, uint32_t dest, const st_sub_t *sub);
/* A prepared batch: xid and operations. */
void st_rec_put_xa(hm_wbuf_t *wb, const st_xid_t *xid, const st_op_t *ops, size_t n);

/* A journal body: the message id (checked against the entry on reading) and the bytes. */
void st_rec_put_jbody(hm_wbuf_t *wb, uint64_t msg_id, const void *body, uint32_t len);
apr_status_t st_rec_get_jbody(const void *p, size_t len, uint64_t *msg_id, const uint8_t **body,
                              uint32_t *body_len);

/* Decoders: APR_SUCCESS, or ST_ECORRUPT for anything that is not exactly a valid record of
 * the type.  Outputs point into the input bytes. */
apr_status_t st_rec_get_msg(const void *p, size_t len, const uint8_t **body, uint32_t *body_len);
apr_status_t st_rec_get_ref(const void *p, size_t len, st_rec_ref_t *r);
void st_rec_put_audit(hm_wbuf_t *wb, uint64_t seq);
apr_status_t st_rec_get_audit(const void *p, size_t len, uint64_t *seq);
apr_status_t st_rec_get_entry(const void *p, size_t len, st_rec_entry_t *e);
apr_status_t st_rec_get_dest(const void *p, size_t len, st_rec_dest_t *d);
apr_status_t st_rec_get_sub(const void *p, size_t len, st_rec_sub_t *s);
/* XA: *ops is malloc'd (caller frees); op bytes point into the input. */
apr_status_t st_rec_get_xa(const void *p, size_t len, st_xid_t *xid, st_op_t **ops, size_t *n);
/* The record type of a stored value, or 0 if its header is wrong. */
int st_rec_type(const void *p, size_t len);

/* ---- keys ---- */
#define ST_KEY_MSG    8        /* msg_id */
#define ST_KEY_ENTRY  13       /* dest, 9 - priority, seq: dispatch order is key order */
void st_key_msg(uint8_t k[ST_KEY_MSG], uint64_t id);
void st_key_entry(uint8_t k[ST_KEY_ENTRY], uint32_t dest, uint8_t priority, uint64_t seq);
int st_key_entry_parse(const void *k, size_t len, uint32_t *dest, uint8_t *priority, uint64_t *seq);
void st_key_u32(uint8_t k[4], uint32_t v);
uint64_t st_get_be64(const uint8_t *p);
uint32_t st_get_be32(const uint8_t *p);
/* xid key: format, gtrid len, gtrid, bqual len, bqual. */
size_t st_key_xid(uint8_t *k, const st_xid_t *xid);
apr_status_t st_xid_parse(hm_rd_t *rd, st_xid_t *xid);

/* ---- the key/value back end ---- */
typedef enum { ST_T_MSG, ST_T_REF, ST_T_ENTRY, ST_T_DEST, ST_T_SUB, ST_T_XA, ST_T_AUDIT,
               ST_T_COUNT } st_table_e;
extern const char *const st_table_names[ST_T_COUNT];

typedef struct st_buf_s { uint8_t *p; size_t len, cap; } st_buf_t;
void st_buf_free(st_buf_t *b);
apr_status_t st_buf_reserve(st_buf_t *b, size_t n);

typedef struct st_kv_s st_kv_t;
typedef struct st_kvtx_s st_kvtx_t;
/* Return 0 to go on, 1 to stop, anything else stops and is returned. */
typedef apr_status_t (*st_scan_fn)(void *baton, const uint8_t *k, size_t kl, const uint8_t *v, size_t vl);

typedef enum { ST_COMMIT_NOSYNC, ST_COMMIT_SYNC } st_commit_e;

/* Every function returns APR_SUCCESS, HM_ENOTFOUND (get/del/last), HM_EEXISTS (put with
 * no_overwrite), ST_ELOCKED (conflict: abort and retry), ST_ERECOVER, or an OS error.
 * A write transaction excludes others in the memory back end; a read "transaction" is
 * non-transactional in bdb.  Nothing may modify a table while scanning it. */
typedef struct st_kv_vt_s {
    apr_status_t (*begin)(st_kv_t *kv, int write, st_kvtx_t **tx);
    apr_status_t (*commit)(st_kvtx_t *tx, st_commit_e how);
    void (*abort)(st_kvtx_t *tx);
    apr_status_t (*get)(st_kvtx_t *tx, int t, const void *k, size_t kl, st_buf_t *v, int for_update);
    /* A read-only get for keys asked in mostly ascending order (loading). */
    apr_status_t (*get_near)(st_kvtx_t *tx, int t, const void *k, size_t kl, st_buf_t *v);
    apr_status_t (*put)(st_kvtx_t *tx, int t, const void *k, size_t kl, const void *v, size_t vl, int no_overwrite);
    apr_status_t (*del)(st_kvtx_t *tx, int t, const void *k, size_t kl);
    /* Calls fn for every key >= from (all keys if fl == 0) in order. */
    apr_status_t (*scan)(st_kvtx_t *tx, int t, const void *from, size_t fl, st_scan_fn fn, void *baton);
    /* The greatest key of a table. */
    apr_status_t (*last)(st_kvtx_t *tx, int t, st_buf_t *k);
    /* Journal bodies (st_journal.c); all NULL in the memory back end, where bodies stay in
     * the tables.  jput appends a record to the journal; its file is kept from then on, and
     * given up again if tx aborts.  jget reads one back (any transaction).  jdrop: once tx
     * commits, the body at lsn no longer keeps its file.  jhold counts a body found at open.
     * jspan gives the oldest file a body keeps and the file being written (0 0: none). */
    apr_status_t (*jput)(st_kvtx_t *tx, const void *rec, size_t n, st_lsn_t *lsn);
    apr_status_t (*jget)(st_kvtx_t *tx, st_lsn_t lsn, st_buf_t *v);
    void (*jdrop)(st_kvtx_t *tx, st_lsn_t lsn);
    void (*jhold)(st_kv_t *kv, st_lsn_t lsn);
    void (*jspan)(st_kv_t *kv, uint32_t *oldest, uint32_t *current);
    apr_status_t (*flush)(st_kv_t *kv);                 /* make committed work durable */
    /* kbytes 0: always; else only if that much log was written since the last one. */
    apr_status_t (*checkpoint)(st_kv_t *kv, uint32_t kbytes);
    uint32_t (*log_files)(st_kv_t *kv);
    void (*close)(st_kv_t *kv);
} st_kv_vt_t;

struct st_kv_s { const st_kv_vt_t *vt; };

apr_status_t st_mem_open(st_kv_t **out);
apr_status_t st_bdb_open(const st_options_t *o, int recover_fatal, st_kv_t **out);
/* 1 while the disk is full and the journal lives on its reserve: batches adding messages are
 * refused (ENOSPC) so that acknowledgements, removals and XA outcomes still find room. */
int st_bdb_low_space(st_kv_t *kv);

/* ---- the store ---- */
/* Journal bodies in one journal file (a census, st_summary.c). */
typedef struct st_jfile_count_s { uint32_t file; uint64_t bodies; } st_jfile_count_t;

typedef struct st_dest_s {
    uint32_t id;
    st_dest_kind_e kind;
    const char *key;         /* kind byte + raw name (subs: client id NUL name) */
    size_t key_len;
    const char *name;        /* display name (subs: "clientId:name") */
    int share_bodies;        /* under s->mu: entries may be added later for a stored body */
    int detached;            /* under s->mu: its name is free (st_dest_detach); removal pending */
    uint64_t open_count[ST_MAX_PRIORITY + 1];   /* its entries per priority, counted at open */
    uint64_t open_max_seq;   /* the greatest entry seq seen at open */
} st_dest_t;

typedef struct st_waiter_s {
    st_done_fn done;
    void *baton;
    struct st_waiter_s *next;
    /* Under s->mu: claimed once its callback is taken (by the flusher, or early by the
     * acknowledgement of its message, st_defer.c); refs counts st_defer.c's references;
     * freed when both are done with it. */
    int claimed, refs, flushed;
} st_waiter_t;
/* Frees w (under s->mu) once nothing refers to it. */
void st_waiter_release_locked(st_waiter_t *w);

struct st_store_s {
    apr_pool_t *pool;
    st_options_t o;
    st_kv_t *kv;
    pthread_mutex_t mu;          /* everything below */
    apr_hash_t *dest_by_key, *dest_by_id;
    uint32_t next_dest;
    uint64_t next_msg;
    uint64_t bytes, reserved;    /* stored body bytes; bytes of batches being applied */
    uint64_t messages;
    uint64_t open_entries;       /* queue entries counted at open (sum of the reference counts):
                                  * the total that load progress reports against */
    uint64_t loaded;             /* entries handed out by st_load since open, all destinations */
    st_dest_t *count_dest;       /* open: the destination the last counted entry was of */
    st_jfile_count_t *census_j;  /* a census (st_census): journal bodies per file, instead of
                                    holding them; NULL at open */
    size_t census_jn, census_jcap;
    int census_failed;           /* the census could not note everything: no summary */
    int summary_used;            /* this open read the clean close's summary (no scan) */
    pthread_mutex_t dest_mu;     /* serializes destination creation and removal */
    uint32_t detached;           /* destinations detached and not yet removed */
    uint64_t commits, flushes, corrupt;
    uint32_t prepared;
    apr_status_t failed;         /* sticky: a flush failed or the environment panicked */
    int disk_full;               /* a flush met a full disk (not sticky: see st_commit.c) */
    apr_status_t fault[3];       /* test seam, by st_fault_e */
    /* group commit */
    pthread_cond_t flush_cv;
    st_waiter_t *wait_head, **wait_tail;
    int lazy;                    /* commits nobody waits for are not yet flushed */
    int flusher_idle;            /* the flusher sleeps until signalled (or a lazy timer) */
    struct timespec lazy_by;     /* ... and must be by then (ST_LAZY_FLUSH_MS after the first) */
    int stopping, ckpt_poked;
    pthread_t flusher, checkpointer;
    int threads;
    pthread_cond_t ckpt_cv;
    struct st_defer_s *df;       /* deferred batches (st_defer.c); NULL: batches apply at once */
};

struct st_batch_s {
    st_store_t *s;
    st_op_t *ops;
    size_t n, cap;
    uint64_t add_bytes;
    apr_status_t err;        /* sticky: allocation failure or a bad argument */
};

/* Applies ops inside tx (refcounts, entries); *bytes_delta gets the change in stored bytes
 * and *msgs_delta in stored bodies. */
apr_status_t st_apply(st_store_t *s, st_kvtx_t *tx, const st_op_t *ops, size_t n,
                      int64_t *bytes_delta, int64_t *msgs_delta);
/* Runs fn(tx) in a write transaction with deadlock retries and commits it as the sync policy
 * says; then either queues done for the group flush or calls it. */
typedef apr_status_t (*st_txfn)(st_store_t *s, st_kvtx_t *tx, void *arg);
apr_status_t st_run_tx(st_store_t *s, st_txfn fn, void *arg, int durable_now);
apr_status_t st_finish(st_store_t *s, st_done_fn done, void *baton);
/* Moves bodies that outlived ST_JOURNAL_KEEP_MB of journal into their entries (st_relocate.c);
 * the checkpointer calls it. */
apr_status_t st_relocate(st_store_t *s);
void st_commit_start(st_store_t *s);
void st_commit_stop(st_store_t *s);
apr_status_t st_take_fault(st_store_t *s, st_fault_e where);
/* Deferred batches (st_defer.c).  init/free: at open/close (df stays NULL unless bdb with a
 * flushing sync policy).  commit takes ownership of ops (MSG bytes included) on success and
 * completes done later (or at once when an acknowledgement cancelled everything). */
void st_defer_init(st_store_t *s);
void st_defer_free(st_store_t *s);
apr_status_t st_defer_commit(st_store_t *s, st_op_t *ops, size_t n, uint64_t reserved,
                             st_done_fn done, void *baton);
/* Under s->mu: is anything queued; should the flusher take the queue now (0), hold it until
 * *until (1), or sleep until signalled (2: only cancelled batches wait). */
int st_defer_pending_locked(st_store_t *s);
int st_defer_hold_locked(st_store_t *s, struct timespec *until);
/* Applies everything queued (ripe_only: only batches past their cancellation window, while
 * acknowledgements come fast), in order; returns the callbacks that now wait for a flush and
 * sets *lazy when a batch without callback was applied. */
st_waiter_t *st_defer_apply(st_store_t *s, int ripe_only, int *lazy);
/* Applies everything queued now and hands its callbacks to the flusher: call before an
 * operation that reads or rewrites the tables directly. */
void st_defer_drain(st_store_t *s);
/* Adds cancelled, and (*early) senders confirmed by their ack while their add was written. */
uint64_t st_defer_cancelled(st_store_t *s, uint64_t *early);
/* Queues callbacks for the next flush (and/or arms the lazy flush timer). */
void st_finish_waiters(st_store_t *s, st_waiter_t *w, int lazy);
/* Registers the store's status descriptions with hm_strerror (idempotent). */
void st_status_init(void);
void st_store_log_corrupt(st_store_t *s, const char *what, const void *k, size_t kl);

/* ---- the open's census and its clean-shutdown summary (st_summary.c) ---- */
/* Counts what the open counts (bodies, bytes, entries per destination and priority, journal
 * bodies per file) by scanning the tables: at open into the store (holding journal files), or
 * at close (census != 0) into the store's counters and census_j, for the summary. */
apr_status_t st_census(st_store_t *s, int census);
/* At close, after the last checkpoint: a census written to DIR/ST_SUMMARY_FILE. */
void st_summary_write(st_store_t *s);
/* At open: 1 if a valid summary was read into the store (counters, destinations' counts,
 * journal holds) and removed from the directory; 0 if there is none or it is not trusted,
 * and the open must scan. */
int st_summary_read(st_store_t *s);

#endif
