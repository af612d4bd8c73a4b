/* Persistence: what the core writes to the store and how it reads it back on start-up.
 *
 * A stored message body is one codec byte followed by the protocol's own encoding of the message;
 * each queue that holds it has an entry keyed (queue, priority, arrival seq), so a queue reads
 * back in dispatch order.  Temporary queues and topic subscribers without durability are never
 * stored. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <apr_strings.h>

#include "hm_int.h"
#include "hm_log.h"
#include "st.h"

void hm_broker_register_codec(hm_broker_t *b, const hm_msg_codec_t *codec)
{
    b->codecs[codec->id] = codec;
}

int hm_persist_wanted(hm_broker_t *b, const hm_msg_t *m, const hm_queue_t *q)
{
    return b->store && m->persistent && m->origin && m->origin->codec &&
           b->codecs[m->origin->codec] &&
           ((q->name.kind == HM_QUEUE && !q->private_sub) || (q->sub && q->sub->key && q->store_id));
}

static apr_status_t queue_store_id(hm_broker_t *b, hm_queue_t *q)
{
    if (q->store_id)
        return APR_SUCCESS;
    return st_dest_id(b->store, q->name.name, &q->store_id);
}

apr_status_t hm_persist_encode(hm_broker_t *b, const hm_msg_t *m, hm_wbuf_t *wb)
{
    const hm_msg_codec_t *codec = m->origin && m->origin->codec ? b->codecs[m->origin->codec] : NULL;
    if (!codec)
        return HM_EINVAL;
    hm_wbuf_u8(wb, codec->id);
    apr_status_t st = codec->encode(m, wb);
    return st == APR_SUCCESS && wb->err ? wb->err : st;
}

apr_status_t hm_persist_add(hm_broker_t *b, hm_pbatch_t *pb, hm_queue_t *q, const hm_msg_t *m,
                            uint64_t seq, char *err, size_t errlen)
{
    apr_status_t st = q->sub ? APR_SUCCESS : queue_store_id(b, q);
    if (st) {
        snprintf(err, errlen, "cannot store queue %s: %s", q->name.name, hm_strerror(st));
        return st;
    }
    if (!pb->batch)
        pb->batch = st_batch_begin(b->store);
    if (!pb->have_msg) {
        hm_wbuf_t wb;
        hm_wbuf_init(&wb, SIZE_MAX / 2);
        if ((st = hm_persist_encode(b, m, &wb)) != APR_SUCCESS) {
            hm_wbuf_free(&wb);
            snprintf(err, errlen, "cannot encode the message for the store: %s", hm_strerror(st));
            return st;
        }
        st_batch_add_message(pb->batch, wb.data, wb.len, &pb->msg_id);
        hm_wbuf_free(&wb);
        pb->have_msg = 1;
        hm_audit_note_locked(b, pb->batch, m);
    }
    st_batch_add_entry(pb->batch, q->store_id, pb->msg_id, (uint8_t)hm_queue_prio(q, m), seq);
    return APR_SUCCESS;
}


void hm_persist_remove(hm_broker_t *b, hm_pbatch_t *pb, hm_queue_t *q, const hm_qentry_t *e)
{
    if (!e->stored || !b->store)
        return;
    if (!pb->batch)
        pb->batch = st_batch_begin(b->store);
    st_batch_remove_entry(pb->batch, q->store_id, (uint8_t)hm_queue_prio(q, e->msg), e->seq);
}

void hm_persist_delivered(hm_broker_t *b, hm_pbatch_t *pb, hm_queue_t *q, const hm_qentry_t *e)
{
    if (!e->stored || !b->store)
        return;
    if (!pb->batch)
        pb->batch = st_batch_begin(b->store);
    st_batch_set_delivered(pb->batch, q->store_id, (uint8_t)hm_queue_prio(q, e->msg), e->seq,
                           (uint32_t)e->redelivery_count);
}

apr_status_t hm_persist_commit(hm_pbatch_t *pb, hm_send_done_fn done, void *baton)
{
    if (!pb->batch) {
        if (done)
            done(baton, APR_SUCCESS);
        return APR_SUCCESS;
    }
    apr_status_t st = st_batch_commit(pb->batch, done, baton);
    pb->batch = NULL;
    return st;
}

/* ------------------------------------------------------------------ recovery
 * Queues and durable subscriptions start paged out (hm_page.c): the store's open counted
 * their entries, and their messages are read when a consumer needs them. */

hm_msg_t *hm_persist_decode(hm_broker_t *b, const void *bytes, size_t len, const char **why)
{
    const uint8_t *p = bytes;
    const hm_msg_codec_t *codec = len > 0 ? b->codecs[p[0]] : NULL;
    hm_msg_t *m = NULL;
    if (!codec) {
        *why = "unknown format";
        return NULL;
    }
    if (codec->decode(p + 1, len - 1, &m) != APR_SUCCESS) {
        *why = "damaged";
        return NULL;
    }
    return m;
}

typedef struct dest_list_s {
    apr_array_header_t *ids;
    apr_array_header_t *names;
    uint32_t sched_id;             /* the scheduler's destination, 0: none */
} dest_list_t;

static void collect_dest(void *baton, uint32_t id, st_dest_kind_e kind, const char *name)
{
    dest_list_t *l = baton;
    if (kind != ST_DEST_QUEUE)
        return;
    if (strcmp(name, HM_SCHED_STORE_DEST) == 0) {
        l->sched_id = id;
        return;
    }
    APR_ARRAY_PUSH(l->ids, uint32_t) = id;
    APR_ARRAY_PUSH(l->names, char *) = apr_pstrdup(l->names->pool, name);
}

apr_status_t hm_persist_load(hm_broker_t *b, hm_loaded_t *out)
{
    memset(out, 0, sizeof *out);
    apr_pool_t *tmp;
    apr_status_t st = apr_pool_create(&tmp, b->pool);
    if (st)
        return st;
    dest_list_t l = { apr_array_make(tmp, 16, sizeof(uint32_t)), apr_array_make(tmp, 16, sizeof(char *)), 0 };
    hm_lock(b);
    st = st_dest_list(b->store, collect_dest, &l);
    uint64_t total = 0, skipped = 0;
    for (int i = 0; i < l.ids->nelts && !st; i++) {
        const char *name = APR_ARRAY_IDX(l.names, i, char *);
        hm_queue_t *q = hm_queue_get(b, HM_QUEUE, name);
        if (!q) {
            st = APR_ENOMEM;
            break;
        }
        q->store_id = APR_ARRAY_IDX(l.ids, i, uint32_t);
        uint64_t n = 0;
        st = hm_page_recover(q, &n);
        if (n)
            hm_info("store: queue %s: %llu messages recovered (paged in on demand)", name,
                    (unsigned long long)n);
        total += n;
    }
    apr_array_header_t *subs = NULL;
    if (st == APR_SUCCESS)
        st = hm_sub_recover(b, tmp, &subs);
    for (int i = 0; subs && i < subs->nelts && !st; i++) {
        hm_sub_t *s = APR_ARRAY_IDX(subs, i, hm_sub_t *);
        if (!s)
            continue;
        uint64_t n = 0;
        st = hm_page_recover(s->q, &n);
        hm_info("store: durable subscription %s of %s on %s: %llu messages recovered", s->name,
                s->client_id, s->topic, (unsigned long long)n);
        total += n;
    }
    hm_unlock(b);
    out->messages = total;
    out->skipped = skipped;
    out->queues = l.ids->nelts;
    out->sched_dest = l.sched_id;
    apr_pool_destroy(tmp);
    return st;
}
