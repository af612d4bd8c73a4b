/* Message bodies kept in the Berkeley DB journal itself (the Berkeley DB back end).
 *
 * Why: a body written into a B-tree page reaches the journal three times over its life: as
 * the insert, about once more in the page images that page splits log, and once more as the
 * undo image of its delete.  Appended as a record of the journal (DB_ENV->log_put) it is
 * written once; the entry that points at it stays a few dozen bytes, and so does the
 * acknowledgement that deletes it.  The price is that a journal file cannot go while a body
 * in it is still live.  This file counts live bodies per journal file; the checkpoint removes
 * only files older than the oldest counted one (st_bdb.c), and the store moves bodies that
 * stay long into their entries (st_store.c) so that a backlog does not pin the journal.
 *
 * Counting rules, which keep a file from going while a durable entry may still need it:
 * a body counts from the moment it is written (and stops counting if its transaction
 * aborts); a release counts once the releasing transaction commits, and the checkpoint reads
 * the oldest file before it flushes the log, which makes every release counted by then
 * durable before any file goes. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "hm_log.h"
#include "st_bdb_int.h"

#define JREC_TYPE   10008u   /* an application record type (at least DB_user_BEGIN) */
#define JREC_PREFIX 8u       /* record type and a zero transaction id: what recovery reads */

/* Under b->jmu: the counter of file, created when asked (NULL on no memory or absent). */
static st_jfile_t *jfile(bdb_kv_t *b, uint32_t file, int create)
{
    size_t lo = 0, hi = b->jn;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (b->jf[mid].file < file) lo = mid + 1;
        else hi = mid;
    }
    if (lo < b->jn && b->jf[lo].file == file)
        return &b->jf[lo];
    if (!create)
        return NULL;
    if (b->jn == b->jcap) {
        size_t cap = b->jcap ? b->jcap * 2 : 16;
        st_jfile_t *p = realloc(b->jf, cap * sizeof *p);
        if (!p) return NULL;
        b->jf = p;
        b->jcap = cap;
    }
    memmove(&b->jf[lo + 1], &b->jf[lo], (b->jn - lo) * sizeof *b->jf);
    b->jn++;
    b->jf[lo] = (st_jfile_t){ file, 0 };
    return &b->jf[lo];
}

static void count(bdb_kv_t *b, const st_lsn_t *l, size_t n, int up)
{
    pthread_mutex_lock(&b->jmu);
    for (size_t i = 0; i < n; i++) {
        st_jfile_t *f = jfile(b, l[i].file, up);
        if (!f) {
            if (up)                       /* the file may go too early: say so */
                hm_error("store: out of memory counting journal bodies; journal file %u may be "
                         "removed while it still holds a message", l[i].file);
            continue;
        }
        if (up) {
            f->bodies++;
        } else if (f->bodies && --f->bodies == 0) {
            size_t at = (size_t)(f - b->jf);
            memmove(f, f + 1, (b->jn - at - 1) * sizeof *f);
            b->jn--;
        }
    }
    pthread_mutex_unlock(&b->jmu);
}

static apr_status_t push(st_lsn_t **a, size_t *n, size_t *cap)
{
    if (*n < *cap)
        return APR_SUCCESS;
    size_t c = *cap ? *cap * 2 : 64;
    st_lsn_t *p = realloc(*a, c * sizeof *p);
    if (!p) return APR_ENOMEM;
    *a = p;
    *cap = c;
    return APR_SUCCESS;
}

apr_status_t st_journal_put(st_kvtx_t *tx, const void *rec, size_t n, st_lsn_t *lsn)
{
    if (!tx->txn)
        return HM_EINVAL;
    if (n > UINT32_MAX - JREC_PREFIX)
        return HM_ETOOBIG;
    apr_status_t st = st_buf_reserve(&tx->jbuf, n + JREC_PREFIX);
    if (!st) st = push(&tx->held, &tx->nheld, &tx->capheld);
    if (st) return st;
    const uint32_t prefix[2] = { JREC_TYPE, 0 };
    memcpy(tx->jbuf.p, prefix, sizeof prefix);
    memcpy(tx->jbuf.p + JREC_PREFIX, rec, n);
    DBT d;
    memset(&d, 0, sizeof d);
    d.data = tx->jbuf.p;
    d.size = (u_int32_t)(n + JREC_PREFIX);
    DB_LSN l;
    int rc = tx->b->env->log_put(tx->b->env, &l, &d, 0);
    if (rc && st_bdb_full_disk(tx->b, rc))
        rc = tx->b->env->log_put(tx->b->env, &l, &d, 0);
    if (rc)
        return st_bdb_map_err(rc);
    /* Counted just after the write: the file written to is the newest, which no checkpoint
     * can archive for two checkpoints yet. */
    *lsn = (st_lsn_t){ l.file, l.offset };
    count(tx->b, lsn, 1, 1);
    tx->held[tx->nheld++] = *lsn;
    return APR_SUCCESS;
}

apr_status_t st_journal_get(st_kvtx_t *tx, st_lsn_t lsn, st_buf_t *v)
{
    int rc = 0;
    if (!tx->logc && (rc = tx->b->env->log_cursor(tx->b->env, &tx->logc, 0)))
        return st_bdb_map_err(rc);
    DB_LSN l;
    l.file = lsn.file;
    l.offset = lsn.offset;
    tx->jrec.flags = DB_DBT_REALLOC;
    rc = tx->logc->get(tx->logc, &l, &tx->jrec, DB_SET);
    if (rc == ENOMEM)
        return APR_ENOMEM;
    if (rc) {
        hm_debug("store: journal record %u/%u: %s", lsn.file, lsn.offset, db_strerror(rc));
        return HM_ENOTFOUND;
    }
    uint32_t type;
    if (tx->jrec.size < JREC_PREFIX)
        return ST_ECORRUPT;
    memcpy(&type, tx->jrec.data, sizeof type);
    if (type != JREC_TYPE)
        return ST_ECORRUPT;
    size_t n = tx->jrec.size - JREC_PREFIX;
    apr_status_t st = st_buf_reserve(v, n);
    if (st) return st;
    memcpy(v->p, (const uint8_t *)tx->jrec.data + JREC_PREFIX, n);
    v->len = n;
    return APR_SUCCESS;
}

void st_journal_drop(st_kvtx_t *tx, st_lsn_t lsn)
{
    if (push(&tx->dropped, &tx->ndropped, &tx->capdropped) != APR_SUCCESS) {
        hm_warn("store: out of memory: journal file %u is kept until the next restart", lsn.file);
        return;
    }
    tx->dropped[tx->ndropped++] = lsn;
}

void st_journal_end(st_kvtx_t *tx, int committed)
{
    if (committed)
        count(tx->b, tx->dropped, tx->ndropped, 0);
    else
        count(tx->b, tx->held, tx->nheld, 0);
    if (tx->logc)
        tx->logc->close(tx->logc, 0);
    free(tx->jrec.data);
    st_buf_free(&tx->jbuf);
    free(tx->held);
    free(tx->dropped);
}

void st_journal_hold(st_kv_t *kv, st_lsn_t lsn)
{
    count((bdb_kv_t *)kv, &lsn, 1, 1);
}

uint32_t st_journal_oldest(bdb_kv_t *b)
{
    pthread_mutex_lock(&b->jmu);
    uint32_t f = b->jn ? b->jf[0].file : 0;
    pthread_mutex_unlock(&b->jmu);
    return f;
}

void st_journal_span(st_kv_t *kv, uint32_t *oldest, uint32_t *current)
{
    bdb_kv_t *b = (bdb_kv_t *)kv;
    *oldest = st_journal_oldest(b);
    *current = 0;
    DB_LOG_STAT *ls = NULL;
    if (*oldest && b->env->log_stat(b->env, &ls, 0) == 0 && ls) {
        *current = ls->st_cur_file;
        free(ls);
    }
}

/* Recovery meets the journal's body records too: they change no page, so there is nothing
 * to redo or undo. */
int st_journal_dispatch(DB_ENV *env, DBT *rec, DB_LSN *lsn, db_recops op)
{
    (void)env; (void)rec; (void)lsn; (void)op;
    return 0;
}
