/* Paging: a queue's persistent messages live in the store; memory holds a window of them.
 *
 * Per priority p, a queue's stored entries split at q->page_seq[p]: those at or below it were
 * read into memory (or admitted while the window had room) and are in the ring, in flight or
 * gone; those above it are only in the store (q->paged[p] of them, as far as the core knows),
 * except "strays": single entries brought in early by a consumer's store scan (a selector that
 * matches far down a deep queue) or by XA recovery, remembered by seq so that the page read
 * that later passes them skips them.
 *
 * Why the window counts bytes of stored messages held in memory (waiting or in flight), and
 * only those: non-persistent messages and topic copies are bounded by the memory limit and
 * flow control as before (hm_usage.c); persistent queue messages were exempt from it because
 * the store bounds them, and now the window bounds their memory too.  A send beyond the
 * window costs no memory once its batch is written; a consumer reading the queue brings the
 * next page (HM_PAGE_MSGS entries) in as its priority's ring drains.
 *
 * Reads run under the broker lock, in the thread that dispatches: a page is a short chunked
 * read (the store drains its queued batches first, so what the core counts as paged out is
 * in the tables).  A count that turns out too high (a batch that failed after its send was
 * counted) is corrected when a read reaches the end of the priority. */
#include <stdio.h>
#include <string.h>

#include <apr_strings.h>

#include "hm_int.h"
#include "hm_log.h"
#include "st.h"

/* The window of one queue: HM_PAGE_WINDOW_BYTES, less under a small memory limit. */
static uint64_t window(const hm_queue_t *q)
{
    uint64_t w = HM_PAGE_WINDOW_BYTES;
    if (q->b->opts.memory_limit > 0 && (uint64_t)q->b->opts.memory_limit / 8 < w)
        w = (uint64_t)q->b->opts.memory_limit / 8;
    if (q->policy.memory_limit > 0 && (uint64_t)q->policy.memory_limit / 2 < w)
        w = (uint64_t)q->policy.memory_limit / 2;
    return w < HM_PAGE_MIN_WINDOW ? HM_PAGE_MIN_WINDOW : w;
}

int hm_page_room(const hm_queue_t *q)
{
    const hm_broker_t *b = q->b;
    if (b->opts.memory_limit > 0 && b->page_bytes >= (uint64_t)b->opts.memory_limit / 2)
        return 0;
    return q->page_bytes < window(q);
}

static void stray_add(hm_queue_t *q, int p, uint64_t seq)
{
    if (!q->strays) {
        if (apr_pool_create(&q->stray_pool, q->b->pool) != APR_SUCCESS)
            return;
        q->strays = apr_hash_make(q->stray_pool);
    }
    uint64_t *k = apr_pmemdup(q->stray_pool, &seq, sizeof seq);
    apr_hash_set(q->strays, k, sizeof *k, (void *)(uintptr_t)(p + 1));
}

/* Why the pool goes when the set empties: keys cannot be freed one by one. */
static void strays_gc(hm_queue_t *q)
{
    if (q->strays && apr_hash_count(q->strays) == 0) {
        apr_pool_destroy(q->stray_pool);
        q->stray_pool = NULL;
        q->strays = NULL;
    }
}

/* 1 if seq is a stray (in memory already); it is forgotten, as the page read passes it. */
static int stray_take(hm_queue_t *q, uint64_t seq)
{
    if (!q->strays || !apr_hash_get(q->strays, &seq, sizeof seq))
        return 0;
    apr_hash_set(q->strays, &seq, sizeof seq, NULL);
    strays_gc(q);
    return 1;
}

/* The store has nothing more at p: the count is settled and strays of p are below the line. */
static void page_end(hm_queue_t *q, int p)
{
    q->paged_count -= q->paged[p];
    q->paged[p] = 0;
    for (apr_hash_index_t *hi = q->strays ? apr_hash_first(NULL, q->strays) : NULL; hi; hi = apr_hash_next(hi)) {
        const void *k;
        void *v;
        apr_hash_this(hi, &k, NULL, &v);
        if ((int)(uintptr_t)v == p + 1) {
            uint64_t seq;
            memcpy(&seq, k, sizeof seq);
            if (seq > q->page_seq[p])
                q->page_seq[p] = seq;
            apr_hash_set(q->strays, k, sizeof seq, NULL);
        }
    }
    strays_gc(q);
}

static void paged_dec(hm_queue_t *q, int p)
{
    if (q->paged[p] > 0) {
        q->paged[p]--;
        q->paged_count--;
    }
}

void hm_page_hold(hm_queue_t *q, hm_qentry_t *e, uint64_t msg_id)
{
    int p = hm_queue_prio(q, e->msg);
    e->stored = 1;
    e->store_msg = msg_id;
    q->page_bytes += e->msg->size;
    q->b->page_bytes += e->msg->size;
    if (e->seq > q->page_seq[p]) {
        if (q->paged[p] > 0)
            stray_add(q, p, e->seq);
        else
            q->page_seq[p] = e->seq;
    }
}

void hm_page_release(hm_queue_t *q, const hm_qentry_t *e)
{
    if (!e->stored)
        return;
    uint64_t n = e->msg->size;
    q->page_bytes = q->page_bytes >= n ? q->page_bytes - n : 0;
    q->b->page_bytes = q->b->page_bytes >= n ? q->b->page_bytes - n : 0;
}

apr_status_t hm_page_enqueue(hm_queue_t *q, hm_msg_t *msg, const char *via, uint64_t seq,
                             int stored, uint64_t msg_id, hm_qentry_t **out)
{
    *out = NULL;
    if (!stored && hm_spill_out(q, msg, via, seq))
        return APR_SUCCESS;        /* past the memory high-water mark: in temporary storage */
    int p = hm_queue_prio(q, msg);
    if (stored && q->store_id && seq > q->page_seq[p] && (q->paged[p] > 0 || !hm_page_room(q))) {
        q->paged[p]++;
        q->paged_count++;
        q->enqueued++;
        if (msg->expiration > 0)
            q->sweep.may_expire = q->sweep.met_ttl = 1;
        return APR_SUCCESS;
    }
    apr_status_t st = hm_queue_put(q, msg, 0, via, seq, out);
    if (st == APR_SUCCESS && stored)
        hm_page_hold(q, *out, msg_id);
    return st;
}

static hm_msg_t *decode(hm_queue_t *q, const st_entry_t *se, const void *bytes, size_t len)
{
    const char *why;
    hm_msg_t *m = hm_persist_decode(q->b, bytes, len, &why);
    if (!m)
        hm_warn("store: message %llu on %s cannot be read (%s); skipped",
                (unsigned long long)se->msg_id, q->name.name, why);
    else
        m->broker_seq = ++q->b->next_seq;
    return m;
}

/* Puts a decoded stored entry into the ring and the window. */
static hm_qentry_t *bring(hm_queue_t *q, int p, const st_entry_t *se, hm_msg_t *m)
{
    hm_qentry_t *e;
    paged_dec(q, p);
    if (hm_queue_insert(q, m, (int32_t)se->delivered, NULL, se->seq, &e) != APR_SUCCESS)
        return NULL;
    hm_page_hold(q, e, se->msg_id);
    return e;
}

typedef struct page_ctx_s {
    hm_queue_t *q;
    int p;
    size_t got;
    hm_attach_t *a;               /* a store scan: the consumer looking */
    apr_time_t now;
    uint64_t want;                /* a pull: the seq wanted */
    hm_qentry_t *found;
} page_ctx_t;

#define PAGE_FOUND (HM_ERRSPACE(1) + 999)   /* private: stops a scan at its match */

static apr_status_t page_one(void *baton, const st_entry_t *se, const void *bytes, size_t len)
{
    page_ctx_t *x = baton;
    hm_queue_t *q = x->q;
    if (se->seq > q->page_seq[x->p])
        q->page_seq[x->p] = se->seq;
    if (stray_take(q, se->seq))
        return APR_SUCCESS;
    hm_msg_t *m = decode(q, se, bytes, len);
    if (!m) {
        paged_dec(q, x->p);
        return APR_SUCCESS;
    }
    if (bring(q, x->p, se, m))
        x->got++;
    hm_msg_unref(m);
    return APR_SUCCESS;
}

static void page_failed(hm_queue_t *q, int p, apr_status_t st)
{
    hm_error("store: cannot read the next page of %s (priority %d): %s; its %llu paged messages "
             "wait for a restart", q->name.name, p, hm_strerror(st), (unsigned long long)q->paged[p]);
    q->paged_count -= q->paged[p];
    q->paged[p] = 0;
}

size_t hm_page_in(hm_queue_t *q, int p)
{
    if (!q->paged[p] || !q->b->store)
        return 0;
    page_ctx_t x = { q, p, 0, NULL, 0, 0, NULL };
    int end = 0;
    apr_status_t st = st_page(q->b->store, q->store_id, (uint8_t)p, q->page_seq[p], HM_PAGE_MSGS,
                              page_one, &x, &end);
    if (st)
        page_failed(q, p, st);
    else if (end)
        page_end(q, p);
    return x.got;
}

/* A store scan: the first entry the consumer takes is brought in as a stray; what its
 * selector rejects moves its position on, so the next scan starts after it. */
static apr_status_t scan_one(void *baton, const st_entry_t *se, const void *bytes, size_t len)
{
    page_ctx_t *x = baton;
    hm_queue_t *q = x->q;
    if (q->strays && apr_hash_get(q->strays, &se->seq, sizeof se->seq))
        return APR_SUCCESS;       /* in memory: find_in_ring saw it */
    hm_msg_t *m = decode(q, se, bytes, len);
    if (!m)
        return APR_SUCCESS;
    apr_status_t st = APR_SUCCESS;
    if (hm_msg_expired(m, x->now)) {
        x->a->scan_seq[x->p] = se->seq;     /* the next page read expires it */
    } else if (!hm_consumer_wants(x->a->c, m, (int32_t)se->delivered)) {
        x->a->scan_seq[x->p] = se->seq;
    } else if (hm_queue_group_allows(q, x->a->c, m)) {
        x->found = bring(q, x->p, se, m);
        st = PAGE_FOUND;
    }
    hm_msg_unref(m);
    return st;
}

hm_qentry_t *hm_page_scan(hm_queue_t *q, hm_attach_t *a, int p, apr_time_t now)
{
    if (!q->paged[p] || !q->b->store)
        return NULL;
    page_ctx_t x = { q, p, 0, a, now, 0, NULL };
    uint64_t from = a->scan_seq[p] > q->page_seq[p] ? a->scan_seq[p] : q->page_seq[p];
    apr_status_t st = st_page(q->b->store, q->store_id, (uint8_t)p, from, SIZE_MAX, scan_one, &x, NULL);
    if (st && st != PAGE_FOUND)
        hm_warn("store: a consumer's scan of %s failed: %s", q->name.name, hm_strerror(st));
    return x.found;
}

static apr_status_t pull_one(void *baton, const st_entry_t *se, const void *bytes, size_t len)
{
    page_ctx_t *x = baton;
    if (se->seq != x->want)
        return APR_SUCCESS;
    hm_msg_t *m = decode(x->q, se, bytes, len);
    if (m) {
        x->found = bring(x->q, x->p, se, m);
        hm_msg_unref(m);
    }
    return APR_SUCCESS;
}

hm_qentry_t *hm_page_pull(hm_queue_t *q, int p, uint64_t seq)
{
    if (!q->paged[p] || seq <= q->page_seq[p] || !q->b->store ||
        (q->strays && apr_hash_get(q->strays, &seq, sizeof seq)))
        return NULL;
    page_ctx_t x = { q, p, 0, NULL, 0, seq, NULL };
    apr_status_t st = st_page(q->b->store, q->store_id, (uint8_t)p, seq - 1, 1, pull_one, &x, NULL);
    if (st)
        hm_warn("store: cannot read message %llu of %s: %s", (unsigned long long)seq,
                q->name.name, hm_strerror(st));
    return x.found;
}

apr_status_t hm_page_recover(hm_queue_t *q, uint64_t *count)
{
    uint64_t counts[HM_PRIORITIES], max_seq = 0;
    *count = 0;
    apr_status_t st = st_dest_counts(q->b->store, q->store_id, counts, &max_seq);
    if (st == HM_ENOTFOUND)
        return APR_SUCCESS;
    if (st)
        return st;
    for (int p = 0; p < HM_PRIORITIES; p++) {
        /* a topic subscription keeps one ring: what the store has at any priority is at 0 */
        int to = q->sub ? 0 : p;
        q->paged[to] += counts[p];
        q->paged_count += counts[p];
        *count += counts[p];
    }
    q->enqueued += *count;
    if (*count)
        q->sweep.may_expire = 1;  /* unknown until the sweep's first pass */
    if (max_seq > q->next_seq)
        q->next_seq = max_seq;
    return APR_SUCCESS;
}

typedef struct browse_ctx_s {
    hm_broker_t *b;
    hm_queue_t *q;                /* NULL if the queue went */
    hm_browse_range_t *r;
    apr_array_header_t *items;
} browse_ctx_t;

static apr_status_t browse_one(void *baton, const st_entry_t *se, const void *bytes, size_t len)
{
    browse_ctx_t *x = baton;
    x->r->after = se->seq;
    if (se->seq > x->r->upto)
        return PAGE_FOUND;        /* arrived after the browser opened */
    if (x->q && x->q->strays && apr_hash_get(x->q->strays, &se->seq, sizeof se->seq))
        return APR_SUCCESS;       /* in memory: in the snapshot already */
    const char *why;
    hm_msg_t *m = hm_persist_decode(x->b, bytes, len, &why);
    if (!m)
        return APR_SUCCESS;
    hm_browse_item_t *it = apr_array_push(x->items);
    it->msg = m;                  /* the decoded reference moves to the item */
    it->redelivery_count = (int32_t)se->delivered;
    return APR_SUCCESS;
}

int hm_page_browse(hm_broker_t *b, hm_browse_range_t *r, apr_array_header_t *items)
{
    if (!b->store)
        return 1;
    hm_queue_t *q = hm_queue_find(b, HM_QUEUE, r->queue);
    browse_ctx_t x = { b, q && q->store_id == r->store_id ? q : NULL, r, items };
    int end = 0;
    apr_status_t st = st_page(b->store, r->store_id, (uint8_t)r->priority, r->after, HM_PAGE_MSGS,
                              browse_one, &x, &end);
    return st != APR_SUCCESS || end || r->after >= r->upto;
}

typedef struct visit_ctx_s {
    hm_queue_t *q;
    int p;
    hm_page_visit_fn fn;
    void *baton;
} visit_ctx_t;

static apr_status_t visit_one(void *baton, const st_entry_t *se, const void *bytes, size_t len)
{
    visit_ctx_t *x = baton;
    if (x->q->strays && apr_hash_get(x->q->strays, &se->seq, sizeof se->seq))
        return APR_SUCCESS;       /* in memory: the caller saw it in the ring */
    hm_msg_t *m = decode(x->q, se, bytes, len);
    if (!m)
        return APR_SUCCESS;
    int stop = x->fn(x->baton, x->q, x->p, se->seq, (int32_t)se->delivered, m);
    hm_msg_unref(m);
    return stop ? PAGE_FOUND : APR_SUCCESS;
}

void hm_page_visit(hm_queue_t *q, int p, hm_page_visit_fn fn, void *baton)
{
    if (!q->paged[p] || !q->b->store)
        return;
    visit_ctx_t x = { q, p, fn, baton };
    apr_status_t st = st_page(q->b->store, q->store_id, (uint8_t)p, q->page_seq[p], SIZE_MAX,
                              visit_one, &x, NULL);
    if (st && st != PAGE_FOUND)
        hm_warn("store: cannot read the paged messages of %s: %s", q->name.name, hm_strerror(st));
}

void hm_page_drop(hm_queue_t *q, hm_pbatch_t *pb, int p, uint64_t seq)
{
    if (!pb->batch)
        pb->batch = st_batch_begin(q->b->store);
    st_batch_remove_entry(pb->batch, q->store_id, (uint8_t)p, seq);
    paged_dec(q, p);
}

typedef struct sweep_ctx_s {
    hm_queue_t *q;
    int p;
    apr_time_t now;
    size_t seen, expired;
    hm_pbatch_t pb;
} sweep_ctx_t;

static apr_status_t sweep_one(void *baton, const st_entry_t *se, const void *bytes, size_t len)
{
    sweep_ctx_t *x = baton;
    hm_queue_t *q = x->q;
    x->seen++;
    q->sweep_visits++;
    q->sweep.after = se->seq;
    if (q->strays && apr_hash_get(q->strays, &se->seq, sizeof se->seq))
        return APR_SUCCESS;       /* in memory: the ring's sweep covers it */
    hm_msg_t *m = decode(q, se, bytes, len);
    if (!m)
        return APR_SUCCESS;
    if (m->expiration > 0)
        q->sweep.met_ttl = 1;
    if (hm_msg_expired(m, x->now)) {
        hm_queue_expired_out(q, m, &x->pb);
        hm_page_drop(q, &x->pb, x->p, se->seq);
        x->expired++;
        if (st_batch_size(x->pb.batch) >= HM_PAGE_MSGS)
            hm_persist_commit(&x->pb, NULL, NULL);
    }
    hm_msg_unref(m);
    return APR_SUCCESS;
}

/* Why a position and a budget: a deep queue is read a chunk per sweep, as ActiveMQ's sweep
 * reads maxExpirePageSize messages, but from where the last one stopped, so that successive
 * sweeps reach its far end; and why may_expire: a pass that met no expiration (and no entry
 * with one paged out meanwhile) lets later sweeps skip the queue until one is. */
size_t hm_page_expire(hm_queue_t *q, apr_time_t now)
{
    hm_page_sweep_t *w = &q->sweep;
    if (!q->b->store || !q->store_id || !w->may_expire)
        return 0;
    if (!q->paged_count) {
        memset(w, 0, sizeof *w);  /* nothing paged out: the next pass starts afresh */
        return 0;
    }
    sweep_ctx_t x = { q, 0, now, 0, 0, { NULL, 0, 0 } };
    apr_time_t t0 = apr_time_now();
    while (x.seen < HM_PAGE_SWEEP_MSGS) {
        x.p = HM_PRIORITIES - 1 - w->done;
        int end = 1;
        if (q->paged[x.p]) {
            uint64_t from = w->after > q->page_seq[x.p] ? w->after : q->page_seq[x.p];
            apr_status_t st = st_page(q->b->store, q->store_id, (uint8_t)x.p, from,
                                      HM_PAGE_SWEEP_MSGS - x.seen, sweep_one, &x, &end);
            if (st) {
                hm_warn("store: the expiry sweep of %s cannot read its paged messages: %s",
                        q->name.name, hm_strerror(st));
                break;
            }
        }
        if (!end)
            break;                /* the budget ran out: the next sweep goes on from here */
        w->after = 0;
        if (++w->done == HM_PRIORITIES) {
            w->done = 0;
            w->may_expire = w->met_ttl;
            w->met_ttl = 0;
            break;                /* one pass at most per sweep */
        }
    }
    hm_persist_commit(&x.pb, NULL, NULL);
    hm_debug("expiry sweep of %s: %zu paged messages read, %zu expired, in %lld us (broker lock held)",
             q->name.name, x.seen, x.expired, (long long)(apr_time_now() - t0));
    return x.expired;
}
