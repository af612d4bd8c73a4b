/* The producer audit (ActiveMQ's producerAudit): a persistent send that a client's failover
 * transport repeats after a take-over -- same producer, same sequence number, because its
 * receipt was lost with the old primary -- is confirmed again but not enqueued twice.
 *
 * Why in the store: the repeat reaches the new primary, which never saw the original.  Each
 * batch that stores a producer's message also records the producer's sequence number (one small
 * record per producer, overwritten), and a broker that opens the store reads them back.
 * Bounded: a producer silent for HM_AUDIT_KEEP_MS is forgotten (a failover repeats within
 * seconds), in memory and in the store, and at most HM_AUDIT_MAX producers are kept. */
#include <stdlib.h>
#include <string.h>

#include "hm_int.h"
#include "hm_log.h"
#include "st.h"

typedef struct audit_entry_s {
    uint64_t seq;
    int64_t seen_ms;
    size_t len;
    char key[];
} audit_entry_t;

static int64_t now_ms(void)
{
    return apr_time_as_msec(apr_time_now());
}

static audit_entry_t *entry_set(hm_broker_t *b, const char *key, size_t len, uint64_t seq,
                                int64_t seen)
{
    audit_entry_t *e = apr_hash_get(b->audit, key, (apr_ssize_t)len);
    if (!e) {
        if (apr_hash_count(b->audit) >= HM_AUDIT_MAX)
            return NULL;             /* full: this producer is not audited (never a false dup) */
        if (!(e = malloc(sizeof *e + len)))
            return NULL;
        memcpy(e->key, key, len);
        e->len = len;
        e->seq = 0;
        apr_hash_set(b->audit, e->key, (apr_ssize_t)len, e);
    }
    if (seq > e->seq)
        e->seq = seq;
    e->seen_ms = seen;
    return e;
}

int hm_audit_dup_locked(hm_broker_t *b, const hm_msg_t *m)
{
    if (!b->store || !m->persistent || !m->producer_key_len)
        return 0;
    audit_entry_t *e = apr_hash_get(b->audit, m->producer_key, (apr_ssize_t)m->producer_key_len);
    if (!e || m->producer_seq > e->seq)
        return 0;
    /* the first ten, then every thousandth: a client repeating sends for ever must not flood
     * the log */
    if (++b->audit_dups <= 10 || b->audit_dups % 1000 == 0)
        hm_warn("duplicate send of message %s (producer sequence %llu, already stored up to "
                "%llu): confirmed, not enqueued again (%llu so far)",
                m->message_id ? m->message_id : "?", (unsigned long long)m->producer_seq,
                (unsigned long long)e->seq, (unsigned long long)b->audit_dups);
    return 1;
}

/* Only producers the memory table has (or has room for) are recorded: the store's records are
 * pruned through that table, so one beyond it would stay for ever (a client making new
 * producers without end must not grow producers.db without end). */
void hm_audit_note_locked(hm_broker_t *b, st_batch_t *batch, const hm_msg_t *m)
{
    if (!m->producer_key_len || m->producer_key_len > HM_AUDIT_KEY_MAX)
        return;
    if (apr_hash_count(b->audit) >= HM_AUDIT_MAX &&
        !apr_hash_get(b->audit, m->producer_key, (apr_ssize_t)m->producer_key_len))
        return;
    st_batch_audit(batch, m->producer_key, m->producer_key_len, m->producer_seq);
}

/* Why only now: a send the store refused (full: the send is held and tried again later) must
 * not count as stored, or its own retry would be taken for a repeat. */
void hm_audit_stored_locked(hm_broker_t *b, const hm_msg_t *m)
{
    if (m->producer_key_len && m->producer_key_len <= HM_AUDIT_KEY_MAX && m->persistent && b->store)
        entry_set(b, m->producer_key, m->producer_key_len, m->producer_seq, now_ms());
}

typedef struct load_s { hm_broker_t *b; int64_t now; uint64_t kept; st_batch_t *forget; } load_t;

static void load_one(void *baton, const char *key, size_t len, uint64_t seq)
{
    load_t *x = baton;
    /* the store keeps no time: a producer read back starts its keeping period now; one the
     * table has no room for would never be pruned, so it goes */
    if (len <= HM_AUDIT_KEY_MAX && entry_set(x->b, key, len, seq, x->now)) {
        x->kept++;
        return;
    }
    if (!x->forget)
        x->forget = st_batch_begin(x->b->store);
    st_batch_audit_forget(x->forget, key, len);
}

apr_status_t hm_audit_recover(hm_broker_t *b)
{
    load_t x = { b, now_ms(), 0, NULL };
    apr_status_t st = st_audit_list(b->store, load_one, &x);
    if (x.forget && st_batch_commit(x.forget, NULL, NULL) != APR_SUCCESS)
        hm_warn("store: producers beyond the audit's table stay until the next start");
    if (st == APR_SUCCESS && x.kept)
        hm_info("store: %llu producers' last stored sequence numbers read (duplicate sends after "
                "a failover are dropped)", (unsigned long long)x.kept);
    return st;
}

void hm_audit_prune_locked(hm_broker_t *b, apr_time_t now)
{
    if (now < b->audit_next_prune)
        return;
    b->audit_next_prune = now + apr_time_from_msec(HM_AUDIT_PRUNE_MS);
    int64_t old = apr_time_as_msec(now) - HM_AUDIT_KEEP_MS;
    st_batch_t *forget = NULL;
    for (apr_hash_index_t *hi = apr_hash_first(NULL, b->audit); hi; ) {
        audit_entry_t *e = apr_hash_this_val(hi);
        hi = apr_hash_next(hi);
        if (e->seen_ms > old)
            continue;
        if (b->store) {
            if (!forget)
                forget = st_batch_begin(b->store);
            st_batch_audit_forget(forget, e->key, e->len);
        }
        apr_hash_set(b->audit, e->key, (apr_ssize_t)e->len, NULL);
        free(e);
    }
    if (forget && st_batch_commit(forget, NULL, NULL) != APR_SUCCESS)
        hm_warn("store: forgetting silent producers failed; they are forgotten at the next prune");
}

void hm_audit_destroy(hm_broker_t *b)
{
    for (apr_hash_index_t *hi = apr_hash_first(NULL, b->audit); hi; ) {
        audit_entry_t *e = apr_hash_this_val(hi);
        hi = apr_hash_next(hi);
        apr_hash_set(b->audit, e->key, (apr_ssize_t)e->len, NULL);   /* the key lives in e */
        free(e);
    }
}
