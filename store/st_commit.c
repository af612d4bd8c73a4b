/* Transactions and group commit.  A batch is applied and committed without flushing the log;
 * its completion waits in a queue.  One flusher thread takes everything queued, flushes the
 * log once (which covers every commit already written), then runs all their callbacks: many
 * concurrent commits share one disk flush.  A checkpointer thread bounds the journal. */
#include <errno.h>
#include <stdlib.h>
#include <time.h>

#include "hm_log.h"
#include "st_int.h"

apr_status_t st_take_fault(st_store_t *s, st_fault_e where)
{
    pthread_mutex_lock(&s->mu);
    apr_status_t st = s->fault[where];
    s->fault[where] = APR_SUCCESS;
    pthread_mutex_unlock(&s->mu);
    return st;
}

void st_test_fault(st_store_t *s, st_fault_e where, apr_status_t err)
{
    pthread_mutex_lock(&s->mu);
    if (where == ST_FAULT_COMMIT || where == ST_FAULT_FLUSH)
        s->fault[where] = err;
    pthread_mutex_unlock(&s->mu);
}

/* Why a full disk does not latch: it clears when space is freed, and Berkeley DB keeps the log
 * records it could not write and writes them with the next flush, so the store goes on once
 * there is room (the commits whose flush failed were reported failed: their outcome is unknown,
 * as with a lost reply).  Any other flush error (EIO...) leaves the journal in doubt: refuse
 * changes until recovery on reopen. */
static int disk_full(apr_status_t st)
{
    return st == APR_FROM_OS_ERROR(ENOSPC) || st == APR_FROM_OS_ERROR(EDQUOT);
}

static void fail_store(st_store_t *s, apr_status_t st)
{
    pthread_mutex_lock(&s->mu);
    if (disk_full(st)) {
        if (!s->disk_full++)
            hm_error("store: %s while writing the journal; persistent sends fail until space is "
                     "freed", hm_strerror(st));
    } else if (!s->failed) {
        s->failed = st == ST_ERECOVER ? ST_ERECOVER : ST_EFAILED;
        hm_error("store: %s; refusing further changes until the store is reopened "
                 "(recovery on open restores a consistent state)", hm_strerror(st));
    }
    pthread_mutex_unlock(&s->mu);
}

apr_status_t st_run_tx(st_store_t *s, st_txfn fn, void *arg, int durable_now)
{
    const st_kv_vt_t *kv = s->kv->vt;
    apr_status_t st = ST_ELOCKED;
    pthread_mutex_lock(&s->mu);
    apr_status_t failed = s->failed;
    pthread_mutex_unlock(&s->mu);
    if (failed)
        return failed;
    for (int attempt = 0; attempt < ST_LOCK_RETRIES && st == ST_ELOCKED; attempt++) {
        st_kvtx_t *tx;
        if ((st = kv->begin(s->kv, 1, &tx)))
            break;
        if ((st = fn(s, tx, arg))) {
            kv->abort(tx);
            continue;
        }
        /* with the flusher running, "always" commits without a flush and st_finish waits for the
         * flusher's shared flush: still durable before done, and the caller never blocks */
        int sync = durable_now || (s->o.kind == ST_KIND_BDB && s->o.sync == ST_SYNC_ALWAYS && !s->threads);
        st = kv->commit(tx, sync ? ST_COMMIT_SYNC : ST_COMMIT_NOSYNC);
    }
    if (st == ST_ERECOVER)
        fail_store(s, st);
    if (!st) {
        pthread_mutex_lock(&s->mu);
        if (++s->commits % ST_CKPT_POKE == 0) {
            s->ckpt_poked = 1;                   /* a busy store checks its journal size often */
            pthread_cond_signal(&s->ckpt_cv);
        }
        pthread_mutex_unlock(&s->mu);
    }
    return st;
}

static void arm_lazy_locked(st_store_t *s)
{
    if (s->lazy)
        return;
    s->lazy = 1;
    clock_gettime(CLOCK_REALTIME, &s->lazy_by);
    s->lazy_by.tv_nsec += (long)ST_LAZY_FLUSH_MS * 1000000L;
    if (s->lazy_by.tv_nsec >= 1000000000L) {
        s->lazy_by.tv_sec += s->lazy_by.tv_nsec / 1000000000L;
        s->lazy_by.tv_nsec %= 1000000000L;
    }
    pthread_cond_signal(&s->flush_cv);
}

static int lazy_due_locked(const st_store_t *s)
{
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    return s->lazy && (now.tv_sec > s->lazy_by.tv_sec ||
                       (now.tv_sec == s->lazy_by.tv_sec && now.tv_nsec >= s->lazy_by.tv_nsec));
}

/* Why commits without a callback do not wait in the queue: nobody is told they are durable
 * (acknowledgements, delivery counts, scheduler bookkeeping), so they need no flush of their
 * own.  The log is sequential, so any later flush covers them; a timer bounds how long they
 * can stay in the log buffer when no other commit comes.  A crash before that flush can only
 * undo such a commit (an acknowledged message comes back), never lose a confirmed one. */
apr_status_t st_finish(st_store_t *s, st_done_fn done, void *baton)
{
    if (s->threads && (s->o.sync == ST_SYNC_BATCH || s->o.sync == ST_SYNC_ALWAYS)) {
        if (!done) {
            pthread_mutex_lock(&s->mu);
            arm_lazy_locked(s);
            pthread_mutex_unlock(&s->mu);
            return APR_SUCCESS;
        }
        st_waiter_t *w = calloc(1, sizeof *w);
        if (!w) abort();
        w->done = done;
        w->baton = baton;
        w->next = NULL;
        pthread_mutex_lock(&s->mu);
        *s->wait_tail = w;
        s->wait_tail = &w->next;
        pthread_cond_signal(&s->flush_cv);
        pthread_mutex_unlock(&s->mu);
        return APR_SUCCESS;
    }
    /* Nothing to wait for (memory, or the commit itself was synchronous / not durable). */
    apr_status_t st = st_take_fault(s, ST_FAULT_FLUSH);
    if (st) {
        fail_store(s, st);
    } else if (s->disk_full) {
        pthread_mutex_lock(&s->mu);
        s->disk_full = 0;
        pthread_mutex_unlock(&s->mu);
    }
    if (done)
        done(baton, st);
    return APR_SUCCESS;
}

void st_waiter_release_locked(st_waiter_t *w)
{
    if (w->flushed && w->refs == 0)
        free(w);
}

void st_finish_waiters(st_store_t *s, st_waiter_t *w, int lazy)
{
    if (lazy)
        st_finish(s, NULL, NULL);
    if (!w)
        return;
    st_waiter_t *last = w;
    while (last->next)
        last = last->next;
    pthread_mutex_lock(&s->mu);
    *s->wait_tail = w;
    s->wait_tail = &last->next;
    pthread_cond_signal(&s->flush_cv);
    pthread_mutex_unlock(&s->mu);
}

/* Under s->mu: waits until there is something to do now.  Queued batches are taken at once
 * unless st_defer_hold_locked says a cancelling acknowledgement is likely; commits nobody
 * waits for are flushed when their timer runs out. */
static void flusher_wait(st_store_t *s)
{
    int lazy_due = 0;
    for (;;) {
        if (s->stopping || s->wait_head || lazy_due)
            return;
        struct timespec until;
        int timed = 0;
        if (st_defer_pending_locked(s)) {
            int hold = st_defer_hold_locked(s, &until);
            if (hold == 0)
                return;
            timed = hold == 1;
        }
        if (s->lazy && (!timed || s->lazy_by.tv_sec < until.tv_sec ||
                        (s->lazy_by.tv_sec == until.tv_sec && s->lazy_by.tv_nsec < until.tv_nsec))) {
            until = s->lazy_by;
            timed = 2;
        }
        s->flusher_idle = timed != 1;    /* while holding, a new batch changes nothing */
        int rc = timed ? pthread_cond_timedwait(&s->flush_cv, &s->mu, &until)
                       : pthread_cond_wait(&s->flush_cv, &s->mu);
        s->flusher_idle = 0;
        if (rc == ETIMEDOUT && timed == 2)
            lazy_due = 1;
    }
}

static void *flusher(void *arg)
{
    st_store_t *s = arg;
    pthread_mutex_lock(&s->mu);
    for (;;) {
        flusher_wait(s);
        if (!s->wait_head && !s->lazy && !st_defer_pending_locked(s))
            break;                   /* stopping, nothing left */
        int lazy = 0;
        st_waiter_t *applied = NULL;
        if (st_defer_pending_locked(s)) {
            pthread_mutex_unlock(&s->mu);
            applied = st_defer_apply(s, !s->stopping, &lazy);
            pthread_mutex_lock(&s->mu);
        }
        st_waiter_t *w = s->wait_head;
        s->wait_head = NULL;
        s->wait_tail = &s->wait_head;
        if (applied) {               /* earlier waiters first */
            st_waiter_t **t = &w;
            while (*t)
                t = &(*t)->next;
            *t = applied;
        }
        if (!w && !s->stopping && !lazy_due_locked(s)) {
            if (lazy)
                arm_lazy_locked(s);  /* applied, nobody waits: the timer flushes them */
            continue;
        }
        if (!w && !s->lazy && !lazy)
            continue;                /* stopping with nothing to flush */
        s->lazy = 0;                 /* this flush covers every commit made so far */
        pthread_mutex_unlock(&s->mu);
        apr_status_t st = st_take_fault(s, ST_FAULT_FLUSH);
        if (!st)
            st = s->kv->vt->flush(s->kv);
        if (st)
            fail_store(s, st);
        pthread_mutex_lock(&s->mu);
        if (!st && s->disk_full) {
            s->disk_full = 0;
            hm_info("store: the journal is written again (disk space was freed)");
        }
        s->flushes++;
        pthread_mutex_unlock(&s->mu);
        /* callbacks an acknowledgement already ran early are skipped */
        pthread_mutex_lock(&s->mu);
        for (st_waiter_t *x = w; x; x = x->next) {
            if (x->claimed)
                x->done = NULL;
            x->claimed = 1;
        }
        pthread_mutex_unlock(&s->mu);
        for (st_waiter_t *x = w; x; x = x->next)
            if (x->done)
                x->done(x->baton, st);
        pthread_mutex_lock(&s->mu);
        while (w) {
            st_waiter_t *next = w->next;
            w->flushed = 1;
            st_waiter_release_locked(w);
            w = next;
        }
    }
    pthread_mutex_unlock(&s->mu);
    return NULL;
}

/* Why both a clock and a size trigger: a quiet store still checkpoints now and then, and a
 * busy one checkpoints once it has written a few log files' worth, so the journal on disk
 * stays a few files long whatever the rate. */
static void *checkpointer(void *arg)
{
    st_store_t *s = arg;
    unsigned secs = s->o.checkpoint_secs ? s->o.checkpoint_secs : 30;
    time_t last_forced = time(NULL);
    uint64_t last_commits = 0;
    apr_status_t last_failure = APR_SUCCESS;
    uint32_t lg_max = s->o.log_file_bytes ? s->o.log_file_bytes : 10u << 20;
    uint32_t kbytes = (lg_max < (128u << 10) ? 128u << 10 : lg_max) / 1024 * 2;
    pthread_mutex_lock(&s->mu);
    while (!s->stopping) {
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_sec += 1;
        int rc = 0;
        while (!s->stopping && !s->ckpt_poked && rc != ETIMEDOUT)
            rc = pthread_cond_timedwait(&s->ckpt_cv, &s->mu, &until);
        s->ckpt_poked = 0;
        uint64_t commits = s->commits;
        if (s->stopping)
            break;
        pthread_mutex_unlock(&s->mu);
        /* Removal lags a checkpoint: once the store goes quiet, one more lets the files go. */
        int idle = commits == last_commits && s->kv->vt->log_files(s->kv) > 2;
        last_commits = commits;
        int force = idle || time(NULL) - last_forced >= (time_t)secs;
        if (force)
            last_forced = time(NULL);
        apr_status_t st = s->kv->vt->checkpoint(s->kv, force ? 0 : kbytes);
        if (!st)
            st = st_relocate(s);
        if (st && st != last_failure)             /* a full disk fails every second: once */
            hm_warn("store: checkpoint failed: %s", hm_strerror(st));
        last_failure = st;
        pthread_mutex_lock(&s->mu);
    }
    pthread_mutex_unlock(&s->mu);
    return NULL;
}

void st_commit_start(st_store_t *s)
{
    s->wait_head = NULL;
    s->wait_tail = &s->wait_head;
    pthread_cond_init(&s->flush_cv, NULL);
    pthread_cond_init(&s->ckpt_cv, NULL);
    if (s->o.kind != ST_KIND_BDB)
        return;
    if (pthread_create(&s->flusher, NULL, flusher, s) != 0)
        abort();
    if (pthread_create(&s->checkpointer, NULL, checkpointer, s) != 0)
        abort();
    s->threads = 1;
}

/* Drains the queue: every waiting commit gets its callback before the store closes. */
void st_commit_stop(st_store_t *s)
{
    if (s->threads) {
        pthread_mutex_lock(&s->mu);
        s->stopping = 1;
        pthread_cond_broadcast(&s->flush_cv);
        pthread_cond_broadcast(&s->ckpt_cv);
        pthread_mutex_unlock(&s->mu);
        pthread_join(s->flusher, NULL);
        pthread_join(s->checkpointer, NULL);
        s->threads = 0;
    }
    pthread_cond_destroy(&s->flush_cv);
    pthread_cond_destroy(&s->ckpt_cv);
}

apr_status_t st_checkpoint(st_store_t *s)
{
    return s->kv->vt->checkpoint(s->kv, 0);
}
