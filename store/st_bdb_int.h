/* The Berkeley DB back end's own types, shared by st_bdb.c (tables, transactions, the
 * environment) and st_journal.c (bodies kept in the journal). */
#ifndef ST_BDB_INT_H
#define ST_BDB_INT_H

#include <db.h>
#include <pthread.h>

#include "st_int.h"
#include "st_lease.h"

/* Files of the journal that bodies keep (st_journal.c): file number and bodies in it. */
typedef struct st_jfile_s { uint32_t file; uint64_t bodies; } st_jfile_t;

typedef struct bdb_kv_s {
    st_kv_t kv;
    volatile int panicked;   /* after a panic every call fails the same way: log it once */
    volatile int disk_full;  /* the last checkpoint met a full disk: its page errors were logged */
    volatile int low_space;  /* the reserve was given up to a full disk: new messages refused */
    uint64_t reserve;        /* bytes of each reserve file (see reserve_bytes) */
    DB_ENV *env;
    DB *db[ST_T_COUNT];
    char *dir;
    apr_pool_t *lease_pool;  /* the offline tools' own hold on the store's lease; NULL when */
    st_lease_t *lease;       /*   the broker holds it (st_options_t.lease_held) */
    pthread_mutex_t jmu;     /* jf, jn, jcap */
    st_jfile_t *jf;          /* ascending by file */
    size_t jn, jcap;
} bdb_kv_t;

/* Cursor reads use DB_DBT_REALLOC so a too-small buffer never leaves the cursor in doubt. */
typedef struct cur_s { DBC *c; DBT key, data; } cur_t;

struct st_kvtx_s {
    bdb_kv_t *b;
    DB_TXN *txn;             /* NULL for reads */
    cur_t near[ST_T_COUNT];  /* get_near's cursors, closed with the transaction */
    DB_LOGC *logc;           /* jget's journal cursor, closed with the transaction */
    DBT jrec;                /* its record buffer (DB_DBT_REALLOC) */
    st_buf_t jbuf;           /* jput's record buffer */
    st_lsn_t *held, *dropped;  /* bodies written / released by this transaction */
    size_t nheld, capheld, ndropped, capdropped;
};

apr_status_t st_bdb_map_err(int rc);
/* Routes Berkeley DB's writes through the lease's gate (st_bdb_gate.c); once per process. */
void st_bdb_gate_install(void);
/* A write met a full disk: give up the running reserve (once); 1 if that made room. */
int st_bdb_full_disk(bdb_kv_t *b, int rc);

/* st_journal.c: the transaction ends (committed: 1 if it committed); the oldest file bodies
 * keep (0: none); Berkeley DB's recovery callback for the journal's own records. */
void st_journal_end(st_kvtx_t *tx, int committed);
uint32_t st_journal_oldest(bdb_kv_t *b);
int st_journal_dispatch(DB_ENV *env, DBT *rec, DB_LSN *lsn, db_recops op);
apr_status_t st_journal_put(st_kvtx_t *tx, const void *rec, size_t n, st_lsn_t *lsn);
apr_status_t st_journal_get(st_kvtx_t *tx, st_lsn_t lsn, st_buf_t *v);
void st_journal_drop(st_kvtx_t *tx, st_lsn_t lsn);
void st_journal_hold(st_kv_t *kv, st_lsn_t lsn);
void st_journal_span(st_kv_t *kv, uint32_t *oldest, uint32_t *current);

#endif
