/* Moving long-lived bodies out of the journal.
 *
 * Why: a body in the journal (st_journal.c) keeps its journal file on disk until the message
 * goes.  Most messages go within moments; a backlog would keep every file since its oldest
 * message.  So once the oldest live body lies more than ST_JOURNAL_KEEP_MB of journal back
 * (the journal_keep_bytes option), the checkpointer copies the bodies in those old files into
 * the messages table with a count record, as a shared body with one entry, one transaction per
 * chunk, and the files can go at the next checkpoints.  Why not into the entry itself: the
 * entry would grow in place from a few dozen bytes to the body's size and split its pages
 * half-empty; the messages table is appended in id order and the entries stay small, which is
 * what a start-up with a large backlog reads first.  A message is moved at most once. */
#include <stdlib.h>
#include <string.h>

#include "hm_log.h"
#include "st_int.h"

typedef struct reloc_s {
    uint32_t below;                            /* move bodies in files before this one */
    uint8_t keys[ST_RELOCATE_CHUNK][ST_KEY_ENTRY];
    size_t n;
    uint8_t from[ST_KEY_ENTRY + 1];            /* where the next scan starts */
    size_t fl;
    uint64_t moved;
} reloc_t;

static apr_status_t collect(void *baton, const uint8_t *k, size_t kl, const uint8_t *v, size_t vl)
{
    reloc_t *r = baton;
    st_rec_entry_t e;
    if (r->n == ST_RELOCATE_CHUNK)
        return 1;
    if (kl == ST_KEY_ENTRY) {                  /* resume after this key: it plus a zero byte */
        memcpy(r->from, k, kl);
        r->from[kl] = 0;
        r->fl = kl + 1;
    }
    if (kl == ST_KEY_ENTRY && st_rec_type(v, vl) == ST_REC_ENTRY_JOURNAL &&
        st_rec_get_entry(v, vl, &e) == APR_SUCCESS && e.lsn.file < r->below)
        memcpy(r->keys[r->n++], k, kl);
    return APR_SUCCESS;
}

static apr_status_t move_tx(st_store_t *s, st_kvtx_t *tx, void *arg)
{
    reloc_t *r = arg;
    const st_kv_vt_t *kv = s->kv->vt;
    st_buf_t v = { 0 }, jb = { 0 };
    hm_wbuf_t wb;
    hm_wbuf_init(&wb, ST_JOURNAL_MAX_BODY + 64);
    apr_status_t st = APR_SUCCESS;
    uint64_t moved = 0;
    for (size_t i = 0; i < r->n && !st; i++) {
        st_rec_entry_t e;
        uint64_t id;
        const uint8_t *body;
        uint32_t len;
        st = kv->get(tx, ST_T_ENTRY, r->keys[i], ST_KEY_ENTRY, &v, 1);
        if (st == HM_ENOTFOUND) { st = APR_SUCCESS; continue; }   /* acknowledged meanwhile */
        if (st) break;
        if (st_rec_get_entry(v.p, v.len, &e) != APR_SUCCESS || !e.journal || e.lsn.file >= r->below)
            continue;
        st = kv->jget(tx, e.lsn, &jb);
        if (st == APR_ENOMEM) break;
        if (st || st_rec_get_jbody(jb.p, jb.len, &id, &body, &len) != APR_SUCCESS ||
            id != e.msg_id || len != e.body_len) {
            st = APR_SUCCESS;                  /* the load reports a missing body */
            continue;
        }
        uint8_t mk[ST_KEY_MSG];
        st_key_msg(mk, e.msg_id);
        hm_wbuf_reset(&wb);
        st_rec_put_msg(&wb, body, len);
        if ((st = wb.err) || (st = kv->put(tx, ST_T_MSG, mk, sizeof mk, wb.data, wb.len, 1))) {
            if (st != HM_EEXISTS) break;
            st_store_log_corrupt(s, "message (already stored; its journal body stays)", mk, sizeof mk);
            st = APR_SUCCESS;
            continue;
        }
        st_rec_ref_t ref = { 1, len };
        hm_wbuf_reset(&wb);
        st_rec_put_ref(&wb, &ref);
        if ((st = wb.err) || (st = kv->put(tx, ST_T_REF, mk, sizeof mk, wb.data, wb.len, 0)))
            break;
        st_lsn_t old = e.lsn;
        e.journal = 0;
        hm_wbuf_reset(&wb);
        st_rec_put_entry(&wb, &e);
        if ((st = wb.err) || (st = kv->put(tx, ST_T_ENTRY, r->keys[i], ST_KEY_ENTRY, wb.data, wb.len, 0)))
            break;
        kv->jdrop(tx, old);
        moved++;
    }
    hm_wbuf_free(&wb);
    st_buf_free(&v);
    st_buf_free(&jb);
    if (!st)
        r->moved += moved;
    return st;
}

apr_status_t st_relocate(st_store_t *s)
{
    const st_kv_vt_t *kv = s->kv->vt;
    if (!kv->jspan)
        return APR_SUCCESS;
    uint32_t oldest, current;
    kv->jspan(s->kv, &oldest, &current);
    uint64_t lg = s->o.log_file_bytes ? s->o.log_file_bytes : 10u << 20;
    uint64_t keep = s->o.journal_keep_bytes ? s->o.journal_keep_bytes : (uint64_t)ST_JOURNAL_KEEP_MB << 20;
    uint64_t files = keep / lg;
    if (files < 2) files = 2;
    if (!oldest || current < oldest + files)
        return APR_SUCCESS;
    reloc_t *r = calloc(1, sizeof *r);
    if (!r) return APR_ENOMEM;
    r->below = (uint32_t)(current - files + 1);
    apr_status_t st = APR_SUCCESS;
    for (;;) {                                 /* a chunk per round; a short one was the last */
        st_kvtx_t *tx;
        r->n = 0;
        if ((st = kv->begin(s->kv, 0, &tx)))
            break;
        st = kv->scan(tx, ST_T_ENTRY, r->fl ? r->from : NULL, r->fl, collect, r);
        kv->abort(tx);
        if (!st && r->n)
            st = st_run_tx(s, move_tx, r, 0);
        if (st || r->n < ST_RELOCATE_CHUNK)
            break;
        /* Why checkpoints in between: moving a large backlog writes hundreds of megabytes of
         * journal, all of which a crash recovery would replay (a pair's take-over waits for it)
         * unless checkpoints go on meanwhile; this one only acts once two files were written */
        st = kv->checkpoint(s->kv, (uint32_t)(2 * lg / 1024));
        if (st)
            break;
    }
    if (r->moved) {
        st_finish(s, NULL, NULL);              /* the moves reach disk with the next flush */
        hm_info("store: moved %llu message bodies out of journal files before %u (they outlived "
                "%llu KB of journal), so those files can go", (unsigned long long)r->moved,
                r->below, (unsigned long long)(keep >> 10));
    }
    free(r);
    return st;
}
