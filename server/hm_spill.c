/* Spill: a queue's (or non-durable topic subscription's) non-persistent messages beyond the
 * memory high-water mark wait in temporary storage (<tempUsage>, st_temp), as ActiveMQ's file
 * pending cursor moves them to tmp_storage, instead of holding producers.
 *
 * Per priority, once anything of p is spilled every later arrival of p is spilled too, so what
 * is in memory always comes before what is in temporary storage and order holds; entries come
 * back (moved, not copied: taken out of temporary storage) as consumers drain the ring: at
 * least one when the ring is empty, then while memory is under the mark.  A consumer whose
 * selector or group takes nothing in memory scans the spilled entries itself, from where its
 * last scan stopped, and brings back only its match.  Producers are held only when temporary
 * storage is full (hm_usage.c).  Order between spilled non-persistent messages and paged-out
 * persistent ones of the same priority is per kind, as with ActiveMQ's StoreQueueCursor.
 *
 * Record: via length (2 bytes), via, the message's stored form (hm_persist_encode). */
#include <string.h>

#include "hm_int.h"
#include "hm_log.h"
#include "hm_rd.h"
#include "hm_wbuf.h"
#include "st_temp.h"

int hm_spill_room(const hm_queue_t *q)
{
    return !hm_usage_above(q, q->policy.spill_pct > 0 ? q->policy.spill_pct : HM_SPILL_HIGH_PCT);
}

/* Why a pending message limit keeps a subscription in memory: it already bounds what waits
 * (hm_usage_trim_locked drops the oldest from the ring), and the spilled would escape it. */
int hm_spill_out(hm_queue_t *q, hm_msg_t *msg, const char *via, uint64_t seq)
{
    hm_broker_t *b = q->b;
    int p = hm_queue_prio(q, msg);
    if (!b->temp || q->policy.memory_only || (q->sub && q->policy.pending_limit >= 0) ||
        !hm_usage_charged(q, msg) || (!q->spilled[p] && hm_spill_room(q)))
        return 0;
    size_t vl = via ? strlen(via) : 0;
    if (vl > UINT16_MAX)
        return 0;
    if (!q->temp_list && !(q->temp_list = ++b->next_temp_list))
        q->temp_list = ++b->next_temp_list;
    hm_wbuf_t wb;
    hm_wbuf_init(&wb, SIZE_MAX / 2);
    hm_wbuf_be16(&wb, (uint16_t)vl);
    hm_wbuf_put(&wb, via ? via : "", vl);
    apr_status_t st = hm_persist_encode(b, msg, &wb);
    if (!seq)
        seq = ++q->next_seq;
    if (st == APR_SUCCESS)
        st = st_temp_put(b->temp, q->temp_list, (uint8_t)p, seq, wb.data, wb.len);
    hm_wbuf_free(&wb);
    if (st) {
        /* full since the send was let in, or not storable: it stays in memory */
        if (st != HM_ENOSPACE && st != HM_EINVAL)
            hm_warn("temporary storage: cannot spill a message of %s: %s", q->name.name, hm_strerror(st));
        return 0;
    }
    q->spilled[p]++;
    q->spilled_count++;
    q->enqueued++;
    return 1;
}

/* The message of a record, and its via (pointing into bytes); NULL if it cannot be read. */
static hm_msg_t *record_msg(hm_queue_t *q, const void *bytes, size_t len, char *via, size_t vialen)
{
    hm_rd_t rd;
    hm_rd_init_whole(&rd, bytes, len);
    uint16_t vl = hm_rd_be16(&rd);
    const uint8_t *v = hm_rd_take(&rd, vl);
    if (rd.err || vl >= vialen)
        return NULL;
    memcpy(via, v, vl);
    via[vl] = 0;
    const char *why = NULL;
    hm_msg_t *m = hm_persist_decode(q->b, (const uint8_t *)bytes + rd.pos, len - rd.pos, &why);
    if (m)
        m->broker_seq = ++q->b->next_seq;
    else
        hm_warn("temporary storage: a message of %s cannot be read (%s); dropped", q->name.name, why);
    return m;
}

typedef struct spill_ctx_s {
    hm_queue_t *q;
    int p;
    size_t got;
    hm_attach_t *a;               /* a scan: the consumer looking */
    apr_time_t now;
    hm_qentry_t *found;
} spill_ctx_t;

#define SPILL_STOP (HM_ERRSPACE(1) + 998)   /* private: ends a walk early */

/* Moves a taken record into the ring. */
static hm_qentry_t *bring(spill_ctx_t *x, uint64_t seq, hm_msg_t *m, const char *via)
{
    hm_queue_t *q = x->q;
    hm_qentry_t *e = NULL;
    q->spilled[x->p]--;
    q->spilled_count--;
    if (!m) {
        q->dequeued++;            /* unreadable: it leaves the queue */
        return NULL;
    }
    if (hm_queue_insert(q, m, 0, *via ? via : NULL, seq, &e) != APR_SUCCESS)
        e = NULL;
    hm_msg_unref(m);
    return e;
}

static apr_status_t in_one(void *baton, uint64_t seq, const void *bytes, size_t len, int *take)
{
    spill_ctx_t *x = baton;
    char via[HM_MAX_DEST_NAME + 1];
    *take = 1;
    if (bring(x, seq, record_msg(x->q, bytes, len, via, sizeof via), via))
        x->got++;
    return hm_spill_room(x->q) ? APR_SUCCESS : SPILL_STOP;
}

/* After records were taken: producers held for a full temporary storage look again. */
static void freed(hm_broker_t *b, int was_full)
{
    if (was_full && !st_temp_full(b->temp))
        hm_usage_temp_freed(b);
}

static void walk_failed(hm_queue_t *q, int p, apr_status_t st)
{
    hm_error("temporary storage: cannot read the spilled messages of %s (priority %d): %s; its %llu "
             "spilled messages are dropped", q->name.name, p, hm_strerror(st),
             (unsigned long long)q->spilled[p]);
    q->dequeued += q->spilled[p];
    q->spilled_count -= q->spilled[p];
    q->spilled[p] = 0;
}

size_t hm_spill_in(hm_queue_t *q, int p)
{
    hm_broker_t *b = q->b;
    if (!q->spilled[p] || !b->temp)
        return 0;
    spill_ctx_t x = { q, p, 0, NULL, 0, NULL };
    int end = 0, was_full = st_temp_full(b->temp);
    apr_status_t st = st_temp_walk(b->temp, q->temp_list, (uint8_t)p, 0, HM_PAGE_MSGS, in_one, &x, &end);
    if (st && st != SPILL_STOP)
        walk_failed(q, p, st);
    else if (end && !st && q->spilled[p]) {
        q->spilled_count -= q->spilled[p];     /* the count was high: settle it */
        q->spilled[p] = 0;
    }
    freed(b, was_full);
    return x.got;
}

static apr_status_t scan_one(void *baton, uint64_t seq, const void *bytes, size_t len, int *take)
{
    spill_ctx_t *x = baton;
    char via[HM_MAX_DEST_NAME + 1];
    hm_msg_t *m = record_msg(x->q, bytes, len, via, sizeof via);
    if (!m) {
        *take = 1;
        bring(x, seq, NULL, via);
        return APR_SUCCESS;
    }
    if (hm_msg_expired(m, x->now) || !hm_consumer_wants(x->a->c, m, 0) ||
        !hm_queue_group_allows(x->q, x->a->c, m)) {
        x->a->spill_scan[x->p] = seq;        /* expired ones go when the ring reaches them */
        hm_msg_unref(m);
        return APR_SUCCESS;
    }
    *take = 1;
    x->found = bring(x, seq, m, via);
    return SPILL_STOP;
}

hm_qentry_t *hm_spill_scan(hm_queue_t *q, hm_attach_t *a, int p, apr_time_t now)
{
    hm_broker_t *b = q->b;
    if (!q->spilled[p] || !b->temp)
        return NULL;
    spill_ctx_t x = { q, p, 0, a, now, NULL };
    int was_full = st_temp_full(b->temp);
    apr_status_t st = st_temp_walk(b->temp, q->temp_list, (uint8_t)p, a->spill_scan[p], SIZE_MAX,
                                   scan_one, &x, NULL);
    if (st && st != SPILL_STOP)
        hm_warn("temporary storage: a consumer's scan of %s failed: %s", q->name.name, hm_strerror(st));
    freed(b, was_full);
    return x.found;
}

static apr_status_t all_one(void *baton, uint64_t seq, const void *bytes, size_t len, int *take)
{
    spill_ctx_t *x = baton;
    char via[HM_MAX_DEST_NAME + 1];
    *take = 1;
    bring(x, seq, record_msg(x->q, bytes, len, via, sizeof via), via);
    return APR_SUCCESS;
}

void hm_spill_all(hm_queue_t *q)
{
    hm_broker_t *b = q->b;
    if (!q->spilled_count || !b->temp)
        return;
    int was_full = st_temp_full(b->temp);
    for (int p = HM_PRIORITIES - 1; p >= 0; p--) {
        spill_ctx_t x = { q, p, 0, NULL, 0, NULL };
        apr_status_t st = q->spilled[p] ? st_temp_walk(b->temp, q->temp_list, (uint8_t)p, 0, SIZE_MAX,
                                                       all_one, &x, NULL) : APR_SUCCESS;
        if (st) {
            walk_failed(q, p, st);
        } else if (q->spilled[p]) {
            q->spilled_count -= q->spilled[p];     /* the count was high: settle it */
            q->spilled[p] = 0;
        }
    }
    freed(b, was_full);
}

typedef struct browse_ctx_s {
    hm_queue_t *q;
    hm_browse_range_t *r;
    apr_array_header_t *items;
} browse_ctx_t;

static apr_status_t browse_one(void *baton, uint64_t seq, const void *bytes, size_t len, int *take)
{
    browse_ctx_t *x = baton;
    char via[HM_MAX_DEST_NAME + 1];
    (void)take;
    x->r->after = seq;
    if (seq > x->r->upto)
        return SPILL_STOP;        /* arrived after the browser opened */
    hm_msg_t *m = record_msg(x->q, bytes, len, via, sizeof via);
    if (m) {
        hm_browse_item_t *it = apr_array_push(x->items);
        it->msg = m;              /* the decoded reference moves to the item */
        it->redelivery_count = 0;
    }
    return APR_SUCCESS;
}

int hm_spill_browse(hm_broker_t *b, hm_browse_range_t *r, apr_array_header_t *items)
{
    hm_queue_t *q = b->temp ? hm_queue_find(b, HM_QUEUE, r->queue) : NULL;
    if (!q || q->temp_list != r->temp_list)
        return 1;                 /* the queue went */
    browse_ctx_t x = { q, r, items };
    int end = 0;
    apr_status_t st = st_temp_walk(b->temp, r->temp_list, (uint8_t)r->priority, r->after, HM_PAGE_MSGS,
                                   browse_one, &x, &end);
    return st != APR_SUCCESS || end || r->after >= r->upto;
}

/* Why not at shutdown: the whole file goes when temporary storage closes, and deleting a deep
 * spill record by record would only delay the stop. */
uint64_t hm_spill_drop(hm_queue_t *q)
{
    hm_broker_t *b = q->b;
    uint64_t n = q->spilled_count;
    if (!b->temp || !q->temp_list || b->stopping)
        return n;
    int was_full = st_temp_full(b->temp);
    apr_status_t st = st_temp_drop(b->temp, q->temp_list);
    if (st)
        hm_warn("temporary storage: cannot drop the spilled messages of %s: %s", q->name.name, hm_strerror(st));
    memset(q->spilled, 0, sizeof q->spilled);
    q->spilled_count = 0;
    freed(b, was_full);
    return n;
}
