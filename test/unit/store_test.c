/* Store tests.  The behavioural suites run twice, against the memory and the Berkeley DB
 * implementations (same contract); the record codec too.  Durability on Berkeley DB alone
 * (crashes, the journal, recovery, tools) is store_bdb_test.c. */
#include "store_test_util.h"

/* ---- behaviour (both implementations) ---- */

static void test_priority_then_arrival_order(void)
{
    st_store_t *s = open_fresh();
    uint32_t q, other;
    CU_ASSERT_EQUAL(st_dest_id(s, "orders", &q), APR_SUCCESS);
    CU_ASSERT_EQUAL(st_dest_id(s, "other", &other), APR_SUCCESS);
    uint32_t again;
    CU_ASSERT_EQUAL(st_dest_id(s, "orders", &again), APR_SUCCESS);
    CU_ASSERT_EQUAL(again, q);
    static const uint8_t prios[] = { 4, 9, 0, 4, 9, 7, 0, 4, 300 % 10, 9 };
    char body[32];
    for (uint64_t i = 0; i < 10; i++) {
        snprintf(body, sizeof body, "m%llu", (unsigned long long)i);
        put_msg(s, q, body, prios[i], i + 1);
        put_msg(s, other, "noise", 5, i + 1);
    }
    s = reopen(s);
    loaded_t *l = load(s, q);
    CU_ASSERT_EQUAL_FATAL(l->n, 10);
    for (size_t i = 1; i < l->n; i++) {
        CU_ASSERT(l->e[i - 1].priority > l->e[i].priority ||
                  (l->e[i - 1].priority == l->e[i].priority && l->e[i - 1].seq < l->e[i].seq));
        CU_ASSERT_EQUAL(l->e[i].dest, q);
    }
    CU_ASSERT_STRING_EQUAL(l->body[0], "m1");   /* first priority-9 message */
    CU_ASSERT_STRING_EQUAL(l->body[9], "m8");   /* last priority-0 message */
    CU_ASSERT_EQUAL(load(s, other)->n, 10);
    finish(s);
}

typedef struct ack_load_s { st_store_t *s; size_t n; int prev_prio; uint64_t prev_seq; int bad; } ack_load_t;

/* Checks dispatch order and acknowledges every even entry from inside the load. */
static apr_status_t ack_even(void *baton, const st_entry_t *e, const void *bytes, size_t len)
{
    ack_load_t *a = baton;
    if (a->n && (e->priority > a->prev_prio || (e->priority == a->prev_prio && e->seq <= a->prev_seq)))
        a->bad++;
    a->prev_prio = e->priority;
    a->prev_seq = e->seq;
    a->n++;
    if (e->seq % 2 == 0) {
        st_batch_t *b = st_batch_begin(a->s);
        st_batch_remove_entry(b, e->dest, e->priority, e->seq);
        if (st_batch_commit_wait(b) != APR_SUCCESS) a->bad++;
    }
    return APR_SUCCESS;
}

static void test_load_in_chunks_callback_may_ack(void)
{
    st_store_t *s = open_fresh();
    uint32_t q;
    st_dest_id(s, "many", &q);
    st_batch_t *b = st_batch_begin(s);
    for (uint64_t i = 0; i < 3000; i++) {
        uint64_t id;
        st_batch_add_message(b, "m", 1, &id);
        st_batch_add_entry(b, q, id, (uint8_t)((i * 7) % 10), i);
    }
    CU_ASSERT_EQUAL(st_batch_commit_wait(b), APR_SUCCESS);
    ack_load_t a = { s, 0, 0, 0, 0 };
    CU_ASSERT_EQUAL(st_load(s, q, ack_even, &a), APR_SUCCESS);
    CU_ASSERT_EQUAL(a.n, 3000);
    CU_ASSERT_EQUAL(a.bad, 0);
    s = reopen(s);
    loaded_t *l = load(s, q);
    CU_ASSERT_EQUAL(l->n, 1500);
    for (size_t i = 0; i < l->n; i++)
        CU_ASSERT_EQUAL(l->e[i].seq % 2, 1);
    finish(s);
}

static void test_failed_batch_leaves_nothing(void)
{
    st_store_t *s = open_fresh();
    uint32_t q;
    st_dest_id(s, "q", &q);
    put_msg(s, q, "first", 4, 1);
    st_stats_t before = stats(s);
    uint64_t a, b2;
    st_batch_t *b = st_batch_begin(s);
    st_batch_add_message(b, "new-one", 7, &a);
    st_batch_add_entry(b, q, a, 4, 2);
    st_batch_add_message(b, "new-two", 7, &b2);
    st_batch_add_entry(b, q, b2, 4, 1);          /* key (q, 4, 1) exists: the batch must fail */
    st_batch_remove_entry(b, q, 4, 1);
    CU_ASSERT_EQUAL(st_batch_commit_wait(b), HM_EEXISTS);
    loaded_t *l = load(s, q);
    CU_ASSERT_EQUAL_FATAL(l->n, 1);
    CU_ASSERT_STRING_EQUAL(l->body[0], "first");
    st_stats_t after = stats(s);
    CU_ASSERT_EQUAL(after.messages, before.messages);
    CU_ASSERT_EQUAL(after.bytes, before.bytes);
    CU_ASSERT_EQUAL(after.entries, 1);
    /* A bad argument fails the whole batch before anything is applied. */
    b = st_batch_begin(s);
    st_batch_add_message(b, "x", 1, &a);
    st_batch_add_entry(b, q, a, 10, 9);
    CU_ASSERT_EQUAL(st_batch_commit_wait(b), HM_EINVAL);
    CU_ASSERT_EQUAL(load(s, q)->n, 1);
    finish(s);
}

static void test_remove_acknowledged(void)
{
    st_store_t *s = open_fresh();
    uint32_t q;
    st_dest_id(s, "q", &q);
    put_msg(s, q, "a", 4, 1);
    put_msg(s, q, "b", 4, 2);
    put_msg(s, q, "c", 4, 3);
    remove_entry(s, q, 4, 2);
    remove_entry(s, q, 4, 2);                   /* twice: a no-op */
    remove_entry(s, q, 7, 99);                  /* never existed */
    s = reopen(s);
    loaded_t *l = load(s, q);
    CU_ASSERT_EQUAL_FATAL(l->n, 2);
    CU_ASSERT_STRING_EQUAL(l->body[0], "a");
    CU_ASSERT_STRING_EQUAL(l->body[1], "c");
    st_stats_t x = stats(s);
    CU_ASSERT_EQUAL(x.messages, 2);
    CU_ASSERT_EQUAL(x.bytes, 2);
    finish(s);
}

static void test_shared_body_goes_with_last_entry(void)
{
    st_store_t *s = open_fresh();
    uint32_t d[3];
    st_dest_id(s, "q1", &d[0]);
    st_dest_id(s, "q2", &d[1]);
    st_dest_id(s, "q3", &d[2]);
    uint64_t id;
    st_batch_t *b = st_batch_begin(s);
    st_batch_add_message(b, "shared-body", 11, &id);
    for (int i = 0; i < 3; i++)
        st_batch_add_entry(b, d[i], id, 4, 1);
    CU_ASSERT_EQUAL(st_batch_commit_wait(b), APR_SUCCESS);
    st_stats_t x = stats(s);
    CU_ASSERT_EQUAL(x.messages, 1);
    CU_ASSERT_EQUAL(x.entries, 3);
    CU_ASSERT_EQUAL(x.bytes, 11);
    remove_entry(s, d[0], 4, 1);
    remove_entry(s, d[1], 4, 1);
    s = reopen(s);
    x = stats(s);
    CU_ASSERT_EQUAL(x.messages, 1);
    CU_ASSERT_EQUAL(x.bytes, 11);
    loaded_t *l = load(s, d[2]);
    CU_ASSERT_EQUAL_FATAL(l->n, 1);
    CU_ASSERT_STRING_EQUAL(l->body[0], "shared-body");
    CU_ASSERT_EQUAL(l->e[0].msg_id, id);
    remove_entry(s, d[2], 4, 1);
    x = stats(s);
    CU_ASSERT_EQUAL(x.messages, 0);
    CU_ASSERT_EQUAL(x.bytes, 0);
    CU_ASSERT_EQUAL(x.entries, 0);
    /* A body no entry references is not stored at all. */
    b = st_batch_begin(s);
    st_batch_add_message(b, "orphan", 6, &id);
    CU_ASSERT_EQUAL(st_batch_commit_wait(b), APR_SUCCESS);
    CU_ASSERT_EQUAL(stats(s).messages, 0);
    finish(s);
}

static void test_delivery_count_survives(void)
{
    st_store_t *s = open_fresh();
    uint32_t q;
    st_dest_id(s, "q", &q);
    put_msg(s, q, "a", 4, 1);
    put_msg(s, q, "b", 4, 2);
    st_batch_t *b = st_batch_begin(s);
    st_batch_set_delivered(b, q, 4, 2, 3);
    st_batch_set_delivered(b, q, 4, 77, 1);     /* absent: ignored */
    CU_ASSERT_EQUAL(st_batch_commit_wait(b), APR_SUCCESS);
    s = reopen(s);
    loaded_t *l = load(s, q);
    CU_ASSERT_EQUAL_FATAL(l->n, 2);
    CU_ASSERT_EQUAL(l->e[0].delivered, 0);
    CU_ASSERT_EQUAL(l->e[1].delivered, 3);
    finish(s);
}

typedef struct subs_seen_s { int n; uint32_t dest; char client[32], name[32], topic[32], sel[64]; int no_local, has_sel; } subs_seen_t;

static void sub_seen(void *baton, uint32_t dest, const st_sub_t *sub)
{
    subs_seen_t *x = baton;
    x->n++;
    x->dest = dest;
    snprintf(x->client, sizeof x->client, "%s", sub->client_id);
    snprintf(x->name, sizeof x->name, "%s", sub->name);
    snprintf(x->topic, sizeof x->topic, "%s", sub->topic);
    x->has_sel = sub->selector != NULL;
    snprintf(x->sel, sizeof x->sel, "%s", sub->selector ? sub->selector : "");
    x->no_local = sub->no_local;
}

static void test_durable_subscription_with_backlog(void)
{
    st_store_t *s = open_fresh();
    st_sub_t sub = { "client-1", "audit", "region = 'EU'", "orders.topic", 1 };
    uint32_t sd, again, q;
    CU_ASSERT_EQUAL(st_sub_put(s, &sub, &sd), APR_SUCCESS);
    CU_ASSERT_EQUAL(st_sub_put(s, &sub, &again), APR_SUCCESS);
    CU_ASSERT_EQUAL(again, sd);
    st_dest_id(s, "q", &q);
    uint64_t id;
    st_batch_t *b = st_batch_begin(s);            /* one body for the sub and a queue */
    st_batch_add_message(b, "both", 4, &id);
    st_batch_add_entry(b, sd, id, 4, 1);
    st_batch_add_entry(b, q, id, 4, 1);
    CU_ASSERT_EQUAL(st_batch_commit_wait(b), APR_SUCCESS);
    put_msg(s, sd, "sub-only", 4, 2);
    s = reopen(s);
    subs_seen_t seen = { 0 };
    CU_ASSERT_EQUAL(st_sub_list(s, sub_seen, &seen), APR_SUCCESS);
    CU_ASSERT_EQUAL_FATAL(seen.n, 1);
    CU_ASSERT_EQUAL(seen.dest, sd);
    CU_ASSERT_STRING_EQUAL(seen.client, "client-1");
    CU_ASSERT_STRING_EQUAL(seen.name, "audit");
    CU_ASSERT_STRING_EQUAL(seen.topic, "orders.topic");
    CU_ASSERT_STRING_EQUAL(seen.sel, "region = 'EU'");
    CU_ASSERT_EQUAL(seen.no_local, 1);
    CU_ASSERT_EQUAL(load(s, sd)->n, 2);
    CU_ASSERT_EQUAL(stats(s).messages, 2);
    CU_ASSERT_EQUAL(st_sub_remove(s, "client-1", "audit"), APR_SUCCESS);
    CU_ASSERT_EQUAL(st_sub_remove(s, "client-1", "audit"), HM_ENOTFOUND);
    s = reopen(s);
    memset(&seen, 0, sizeof seen);
    st_sub_list(s, sub_seen, &seen);
    CU_ASSERT_EQUAL(seen.n, 0);
    CU_ASSERT_EQUAL(load(s, sd)->n, 0);
    st_stats_t x = stats(s);
    CU_ASSERT_EQUAL(x.messages, 1);              /* "sub-only" went with the backlog */
    CU_ASSERT_EQUAL(x.entries, 1);
    loaded_t *l = load(s, q);
    CU_ASSERT_EQUAL_FATAL(l->n, 1);
    CU_ASSERT_STRING_EQUAL(l->body[0], "both");
    /* Without a selector. */
    st_sub_t plain = { "client-2", "all", NULL, "t", 0 };
    CU_ASSERT_EQUAL(st_sub_put(s, &plain, &sd), APR_SUCCESS);
    memset(&seen, 0, sizeof seen);
    st_sub_list(s, sub_seen, &seen);
    CU_ASSERT_EQUAL(seen.n, 1);
    CU_ASSERT_EQUAL(seen.has_sel, 0);
    finish(s);
}

static void test_dest_remove_drops_backlog_in_chunks(void)
{
    st_store_t *s = open_fresh();
    uint32_t q, keep;
    st_dest_id(s, "big", &q);
    st_dest_id(s, "keep", &keep);
    for (int round = 0; round < 3; round++) {
        st_batch_t *b = st_batch_begin(s);
        for (int i = 0; i < 1000; i++) {
            uint64_t id;
            st_batch_add_message(b, "x", 1, &id);
            st_batch_add_entry(b, q, id, (uint8_t)(i % 10), (uint64_t)(round * 1000 + i));
        }
        CU_ASSERT_EQUAL(st_batch_commit_wait(b), APR_SUCCESS);
    }
    put_msg(s, keep, "kept", 4, 1);
    CU_ASSERT_EQUAL(st_dest_purge(s, q), APR_SUCCESS);
    CU_ASSERT_EQUAL(load(s, q)->n, 0);
    CU_ASSERT_EQUAL(stats(s).destinations, 2);   /* purge keeps the destination */
    put_msg(s, q, "again", 4, 1);
    CU_ASSERT_EQUAL(st_dest_remove(s, q), APR_SUCCESS);
    s = reopen(s);
    st_stats_t x = stats(s);
    CU_ASSERT_EQUAL(x.messages, 1);
    CU_ASSERT_EQUAL(x.entries, 1);
    CU_ASSERT_EQUAL(x.destinations, 1);
    CU_ASSERT_EQUAL(st_dest_remove(s, q), HM_ENOTFOUND);
    finish(s);
}

/* A queue deleted while batches of it still wait (a later ack, the delete's own removes) and
 * made again at once: the new one gets a new destination and only its own entries; the old
 * record goes before the new one is written, and st_dest_remove then has nothing left. */
static void test_dest_detach_then_recreate(void)
{
    st_store_t *s = open_fresh();
    uint32_t old, again;
    CU_ASSERT_EQUAL(st_dest_id(s, "churn", &old), APR_SUCCESS);
    put_msg(s, old, "old-1", 4, 1);
    st_batch_t *b = st_batch_begin(s);
    uint64_t id;
    st_batch_add_message(b, "old-2", 5, &id);
    st_batch_add_entry(b, old, id, 4, 2);
    CU_ASSERT_EQUAL(st_batch_commit(b, NULL, NULL), APR_SUCCESS);   /* may still be queued */
    CU_ASSERT_EQUAL(st_dest_detach(s, old), APR_SUCCESS);
    CU_ASSERT_EQUAL(st_dest_id(s, "churn", &again), APR_SUCCESS);
    CU_ASSERT_NOT_EQUAL(again, old);
    put_msg(s, again, "new", 3, 1);
    CU_ASSERT_EQUAL(st_dest_remove(s, old), HM_ENOTFOUND);        /* already done by st_dest_id */
    s = reopen(s);
    CU_ASSERT_EQUAL(stats(s).destinations, 1);
    CU_ASSERT_EQUAL(stats(s).messages, 1);
    uint32_t now;
    CU_ASSERT_EQUAL(st_dest_id(s, "churn", &now), APR_SUCCESS);
    CU_ASSERT_EQUAL(now, again);
    loaded_t *l = load(s, now);
    CU_ASSERT_EQUAL_FATAL(l->n, 1);
    CU_ASSERT_STRING_EQUAL(l->body[0], "new");
    /* detached and removed later, with nothing made meanwhile: gone after a restart */
    CU_ASSERT_EQUAL(st_dest_detach(s, now), APR_SUCCESS);
    CU_ASSERT_EQUAL(st_dest_remove(s, now), APR_SUCCESS);
    s = reopen(s);
    CU_ASSERT_EQUAL(stats(s).destinations, 0);
    CU_ASSERT_EQUAL(stats(s).messages, 0);
    finish(s);
}

typedef struct xids_s { int n; st_xid_t x[8]; } xids_t;
static void xid_seen(void *baton, const st_xid_t *xid)
{
    xids_t *x = baton;
    if (x->n < 8) x->x[x->n] = *xid;
    x->n++;
}

static st_xid_t make_xid(const char *g)
{
    st_xid_t x;
    memset(&x, 0, sizeof x);
    x.format = 0x1234;
    x.gtrid_len = (uint8_t)strlen(g);
    memcpy(x.gtrid, g, x.gtrid_len);
    x.bqual_len = 3;
    memcpy(x.bqual, "\x00\x01\x02", 3);
    return x;
}

static void nop_done(void *baton, apr_status_t st) { *(apr_status_t *)baton = st; }

static void test_xa_prepare_commit_rollback(void)
{
    st_store_t *s = open_fresh();
    uint32_t q;
    st_dest_id(s, "q", &q);
    put_msg(s, q, "old", 4, 1);
    st_xid_t x1 = make_xid("gtrid-one"), x2 = make_xid("gtrid-two");
    uint64_t id;
    apr_status_t done = -1;
    st_batch_t *b = st_batch_begin(s);
    st_batch_add_message(b, "xa-new", 6, &id);
    st_batch_add_entry(b, q, id, 4, 2);
    st_batch_remove_entry(b, q, 4, 1);
    CU_ASSERT_EQUAL(st_batch_prepare(b, &x1, nop_done, &done), APR_SUCCESS);
    b = st_batch_begin(s);
    st_batch_add_message(b, "xa-dropped", 10, &id);
    st_batch_add_entry(b, q, id, 4, 3);
    CU_ASSERT_EQUAL(st_batch_prepare(b, &x2, nop_done, &done), APR_SUCCESS);
    b = st_batch_begin(s);
    CU_ASSERT_EQUAL(st_batch_prepare(b, &x2, nop_done, &done), HM_EEXISTS);
    s = reopen(s);                              /* close: waits for the prepares' flushes */
    loaded_t *l = load(s, q);
    CU_ASSERT_EQUAL_FATAL(l->n, 1);             /* nothing applied yet */
    CU_ASSERT_STRING_EQUAL(l->body[0], "old");
    xids_t seen = { 0 };
    CU_ASSERT_EQUAL(st_xa_recover(s, xid_seen, &seen), APR_SUCCESS);
    CU_ASSERT_EQUAL_FATAL(seen.n, 2);
    CU_ASSERT_EQUAL(seen.x[0].format, 0x1234);
    CU_ASSERT_EQUAL(seen.x[0].bqual_len, 3);
    CU_ASSERT(memcmp(seen.x[0].gtrid, "gtrid-one", 9) == 0 || memcmp(seen.x[1].gtrid, "gtrid-one", 9) == 0);
    CU_ASSERT_EQUAL(stats(s).prepared, 2);
    /* A new message after reopen must not reuse an id that is only in a prepared record. */
    uint32_t other;
    st_dest_id(s, "other", &other);
    CU_ASSERT(put_msg(s, other, "after", 4, 1) > id);
    done = -1;
    CU_ASSERT_EQUAL(st_xa_commit(s, &x1, nop_done, &done), APR_SUCCESS);
    CU_ASSERT_EQUAL(st_xa_rollback(s, &x2, nop_done, &done), APR_SUCCESS);
    CU_ASSERT_EQUAL(st_xa_commit(s, &x2, nop_done, &done), HM_ENOTFOUND);
    s = reopen(s);
    CU_ASSERT_EQUAL(done, APR_SUCCESS);
    l = load(s, q);
    CU_ASSERT_EQUAL_FATAL(l->n, 1);
    CU_ASSERT_STRING_EQUAL(l->body[0], "xa-new");
    seen.n = 0;
    st_xa_recover(s, xid_seen, &seen);
    CU_ASSERT_EQUAL(seen.n, 0);
    st_stats_t x = stats(s);
    CU_ASSERT_EQUAL(x.prepared, 0);
    CU_ASSERT_EQUAL(x.messages, 2);
    finish(s);
}

typedef struct audits_s { int n; char key[8][32]; uint64_t seq[8]; } audits_t;

static void audit_seen(void *baton, const char *producer, size_t len, uint64_t seq)
{
    audits_t *a = baton;
    if (a->n < 8 && len < 32) {
        memcpy(a->key[a->n], producer, len);
        a->key[a->n][len] = '\0';
        a->seq[a->n++] = seq;
    }
}

/* The producer audit: the last sequence stored per producer survives a restart (overwritten,
 * one record each), can be forgotten, and stays out of a prepared transaction's record. */
static void test_producer_audit_survives(void)
{
    st_store_t *s = open_fresh();
    uint32_t q;
    st_dest_id(s, "q", &q);
    for (uint64_t seq = 1; seq <= 3; seq++) {
        uint64_t id;
        st_batch_t *b = st_batch_begin(s);
        st_batch_add_message(b, "m", 1, &id);
        st_batch_add_entry(b, q, id, 4, seq);
        st_batch_audit(b, "ID:p:1:1", 8, seq);
        CU_ASSERT_EQUAL(st_batch_commit_wait(b), APR_SUCCESS);
    }
    st_batch_t *b = st_batch_begin(s);
    st_batch_audit(b, "ID:other:1:1", 12, 7);
    st_xid_t x = make_xid("gtrid-audit");
    uint64_t id;
    st_batch_add_message(b, "xa", 2, &id);
    st_batch_add_entry(b, q, id, 4, 9);
    apr_status_t done = -1;
    CU_ASSERT_EQUAL(st_batch_prepare(b, &x, nop_done, &done), APR_SUCCESS);
    s = reopen(s);
    audits_t a = { 0 };
    CU_ASSERT_EQUAL(st_audit_list(s, audit_seen, &a), APR_SUCCESS);
    CU_ASSERT_EQUAL_FATAL(a.n, 1);                  /* the prepared one is not applied */
    CU_ASSERT_STRING_EQUAL(a.key[0], "ID:p:1:1");
    CU_ASSERT_EQUAL(a.seq[0], 3);
    CU_ASSERT_EQUAL(st_xa_commit(s, &x, nop_done, &done), APR_SUCCESS);
    CU_ASSERT_EQUAL(load(s, q)->n, 4);
    b = st_batch_begin(s);
    st_batch_audit_forget(b, "ID:p:1:1", 8);
    st_batch_audit_forget(b, "ID:never", 8);        /* absent: nothing happens */
    CU_ASSERT_EQUAL(st_batch_commit_wait(b), APR_SUCCESS);
    s = reopen(s);
    a.n = 0;
    CU_ASSERT_EQUAL(st_audit_list(s, audit_seen, &a), APR_SUCCESS);
    CU_ASSERT_EQUAL(a.n, 0);
    finish(s);
}

static void test_size_limit_gives_enospace(void)
{
    fresh_dir();
    st_options_t o = opts();
    o.size_limit = 1000;
    st_store_t *s = open_with(&o);
    uint32_t q;
    st_dest_id(s, "q", &q);
    char big[601];
    memset(big, 'z', 600);
    big[600] = 0;
    put_msg(s, q, big, 4, 1);
    uint64_t id;
    st_batch_t *b = st_batch_begin(s);
    st_batch_add_message(b, big, 600, &id);
    st_batch_add_entry(b, q, id, 4, 2);
    CU_ASSERT_EQUAL(st_batch_commit_wait(b), HM_ENOSPACE);
    CU_ASSERT_EQUAL(load(s, q)->n, 1);
    remove_entry(s, q, 4, 1);                   /* removals are always allowed */
    put_msg(s, q, big, 4, 3);                   /* and make room */
    CU_ASSERT_EQUAL(stats(s).bytes, 600);
    finish(s);
}

static void test_fault_commit_and_flush(void)
{
    st_store_t *s = open_fresh();
    uint32_t q;
    st_dest_id(s, "q", &q);
    put_msg(s, q, "before", 4, 1);
    st_test_fault(s, ST_FAULT_COMMIT, APR_FROM_OS_ERROR(ENOSPC));
    uint64_t id;
    st_batch_t *b = st_batch_begin(s);
    st_batch_add_message(b, "lost", 4, &id);
    st_batch_add_entry(b, q, id, 4, 2);
    CU_ASSERT_EQUAL(st_batch_commit_wait(b), APR_FROM_OS_ERROR(ENOSPC));
    CU_ASSERT_EQUAL(load(s, q)->n, 1);
    CU_ASSERT_EQUAL(stats(s).messages, 1);
    put_msg(s, q, "after", 4, 3);              /* the store goes on after a refused commit */
    CU_ASSERT_EQUAL(load(s, q)->n, 2);

    st_test_fault(s, ST_FAULT_FLUSH, APR_FROM_OS_ERROR(EIO));
    b = st_batch_begin(s);
    st_batch_add_message(b, "unsure", 6, &id);
    st_batch_add_entry(b, q, id, 4, 4);
    CU_ASSERT_EQUAL(st_batch_commit_wait(b), APR_FROM_OS_ERROR(EIO));
    b = st_batch_begin(s);                      /* a failed flush stops further changes */
    st_batch_add_message(b, "refused", 7, &id);
    st_batch_add_entry(b, q, id, 4, 5);
    CU_ASSERT_EQUAL(st_batch_commit_wait(b), ST_EFAILED);
    if (g_kind == ST_KIND_BDB) {
        s = reopen(s);                          /* recovery: consistent, usable again */
        loaded_t *l = load(s, q);
        CU_ASSERT(l->n == 2 || l->n == 3);
        CU_ASSERT_STRING_EQUAL(l->body[0], "before");
        CU_ASSERT_STRING_EQUAL(l->body[1], "after");
        size_t n = l->n;
        put_msg(s, q, "reopened", 4, 6);
        CU_ASSERT_EQUAL(load(s, q)->n, n + 1);
    }
    finish(s);
}

/* A full disk at a log flush fails that commit but does not stop the store: once there is room
 * (here: the fault is gone) commits go on without a reopen.  EIO still stops it (above). */
static void test_full_disk_flush_not_sticky(void)
{
    st_store_t *s = open_fresh();
    uint32_t q;
    st_dest_id(s, "q", &q);
    put_msg(s, q, "before", 4, 1);
    st_test_fault(s, ST_FAULT_FLUSH, APR_FROM_OS_ERROR(ENOSPC));
    uint64_t id;
    st_batch_t *b = st_batch_begin(s);
    st_batch_add_message(b, "unsure", 6, &id);
    st_batch_add_entry(b, q, id, 4, 2);
    CU_ASSERT_EQUAL(st_batch_commit_wait(b), APR_FROM_OS_ERROR(ENOSPC));
    b = st_batch_begin(s);
    st_batch_add_message(b, "after", 5, &id);
    st_batch_add_entry(b, q, id, 4, 3);
    CU_ASSERT_EQUAL(st_batch_commit_wait(b), APR_SUCCESS);
    s = reopen(s);
    loaded_t *l = load(s, q);
    CU_ASSERT(l->n == 2 || l->n == 3);          /* the unsure one: either way, never twice */
    CU_ASSERT_STRING_EQUAL(l->body[0], "before");
    CU_ASSERT_STRING_EQUAL(l->body[l->n - 1], "after");
    finish(s);
}

static void test_corrupt_records_skipped(void)
{
    st_store_t *s = open_fresh();
    uint32_t q;
    st_dest_id(s, "q", &q);
    uint32_t other;
    st_dest_id(s, "other", &other);
    put_msg(s, q, "good-1", 4, 1);
    uint64_t bad_body;                          /* shared by two entries: the messages table */
    st_batch_t *b = st_batch_begin(s);
    st_batch_add_message(b, "body-to-damage", 14, &bad_body);
    st_batch_add_entry(b, q, bad_body, 4, 2);
    st_batch_add_entry(b, other, bad_body, 4, 1);
    CU_ASSERT_EQUAL(st_batch_commit_wait(b), APR_SUCCESS);
    put_msg(s, q, "good-3", 4, 4);
    uint8_t k[ST_KEY_ENTRY], mk[ST_KEY_MSG];
    /* an entry whose value is garbage */
    st_key_entry(k, q, 4, 3);
    raw_put(s, ST_T_ENTRY, k, sizeof k, "garbage!", 8);
    /* a message whose length field lies */
    st_key_msg(mk, bad_body);
    const uint8_t lying[] = { 'H', 'S', 1, ST_REC_MSG, 0, 0, 0x10, 0, 'x' };
    raw_put(s, ST_T_MSG, mk, sizeof mk, lying, sizeof lying);
    /* an entry pointing at a message that does not exist */
    st_key_entry(k, q, 4, 5);
    const uint8_t dangling[] = { 'H', 'S', 1, ST_REC_ENTRY, 0, 0, 0, 0, 0x7f, 0, 0, 0, 0, 0, 0, 0 };
    raw_put(s, ST_T_ENTRY, k, sizeof k, dangling, sizeof dangling);
    /* an entry with an inline body whose length lies */
    st_key_entry(k, q, 4, 6);
    const uint8_t lying_inline[] = { 'H', 'S', 1, ST_REC_ENTRY_BODY, 0, 0, 0, 0, 0, 0, 0x7f, 0,
                                     0, 0, 0, 0, 0, 0x10, 0, 0, 'x' };
    raw_put(s, ST_T_ENTRY, k, sizeof k, lying_inline, sizeof lying_inline);
    /* a destination and a subscription with bad records */
    raw_put(s, ST_T_DEST, "\x01zzz", 4, "HS\x01\x04\x00", 5);
    uint8_t sk[4];
    st_key_u32(sk, 4242);
    raw_put(s, ST_T_SUB, sk, sizeof sk, "HS\x02\x05", 4);
    /* a prepared record with the wrong version */
    raw_put(s, ST_T_XA, "\x00\x00\x00\x01\x01g\x00", 7, "HS\x09\x06", 4);
    s = reopen(s);
    loaded_t *l = load(s, q);
    CU_ASSERT_EQUAL_FATAL(l->n, 2);
    CU_ASSERT_STRING_EQUAL(l->body[0], "good-1");
    CU_ASSERT_STRING_EQUAL(l->body[1], "good-3");
    subs_seen_t seen = { 0 };
    st_sub_list(s, sub_seen, &seen);
    CU_ASSERT_EQUAL(seen.n, 0);
    xids_t xs = { 0 };
    st_xa_recover(s, xid_seen, &xs);
    CU_ASSERT_EQUAL(xs.n, 1);                    /* the key is sound; its commit will refuse */
    apr_status_t done = -1;
    CU_ASSERT_EQUAL(st_xa_commit(s, &xs.x[0], nop_done, &done), ST_ECORRUPT);
    CU_ASSERT_EQUAL(st_xa_rollback(s, &xs.x[0], nop_done, &done), APR_SUCCESS);
    st_stats_t x = stats(s);
    CU_ASSERT(x.corrupt >= 6);
    CU_ASSERT_EQUAL(x.destinations, 2);          /* the damaged destination was not trusted */
    /* acknowledging around damage still works */
    remove_entry(s, q, 4, 3);
    remove_entry(s, q, 4, 1);
    CU_ASSERT_EQUAL(load(s, q)->n, 1);
    finish(s);
}

/* ---- the record codec, table-driven ---- */

static void test_codec_rejects_bad_records(void)
{
    const uint8_t *body;
    uint32_t len;
    st_rec_entry_t e;
    st_rec_ref_t r;
    st_rec_dest_t d;
    st_rec_sub_t sub;
    st_xid_t xid;
    st_op_t *ops;
    size_t n;
    static const struct { const char *name; const char *bytes; size_t len; } bad[] = {
        { "empty", "", 0 },
        { "truncated header", "HS\x01", 3 },
        { "bad magic", "XS\x01\x01\x00\x00\x00\x00", 8 },
        { "future version", "HS\x02\x01\x00\x00\x00\x00", 8 },
        { "length past end", "HS\x01\x01\x00\x00\x00\x05" "abc", 11 },
        { "oversize length", "HS\x01\x01\xff\xff\xff\xff", 8 },
        { "trailing bytes", "HS\x01\x01\x00\x00\x00\x01" "ab", 10 },
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        CU_ASSERT_EQUAL(st_rec_get_msg(bad[i].bytes, bad[i].len, &body, &len), ST_ECORRUPT);
    CU_ASSERT_EQUAL(st_rec_get_msg("HS\x01\x01\x00\x00\x00\x02" "ab", 10, &body, &len), APR_SUCCESS);
    CU_ASSERT_EQUAL(len, 2);
    CU_ASSERT_EQUAL(st_rec_get_entry("HS\x01\x01\x00\x00\x00\x02" "ab", 10, &e), ST_ECORRUPT); /* wrong type */
    CU_ASSERT_EQUAL(st_rec_get_ref("HS\x01\x02\x00\x00\x00\x00\x00\x00\x00\x01", 12, &r), ST_ECORRUPT); /* 0 refs */
    CU_ASSERT_EQUAL(st_rec_get_dest("HS\x01\x04\x00\x00\x00\x01\x09\x00\x01q", 12, &d), ST_ECORRUPT); /* bad kind */
    CU_ASSERT_EQUAL(st_rec_get_dest("HS\x01\x04\x00\x00\x00\x01\x01\x00\x01q", 12, &d), APR_SUCCESS);
    CU_ASSERT_EQUAL(st_rec_get_sub("HS\x01\x05\x00\x00\x00\x01\x00\x00\x01" "c\x00\x01n\x00\x01t\x02", 19, &sub), ST_ECORRUPT);
    CU_ASSERT_EQUAL(st_rec_get_sub("HS\x01\x05\x00\x00\x00\x01\x00\x00\x01" "c\x00\x01n\x00\x01t\x00", 19, &sub), APR_SUCCESS);
    /* an XA record claiming more operations than its bytes can hold */
    CU_ASSERT_EQUAL(st_rec_get_xa("HS\x01\x06\x00\x00\x00\x01\x00\x00\xff\xff\xff\xff", 14, &xid, &ops, &n), ST_ECORRUPT);
    /* a gtrid longer than the limit */
    CU_ASSERT_EQUAL(st_rec_get_xa("HS\x01\x06\x00\x00\x00\x01\xff", 9, &xid, &ops, &n), ST_ECORRUPT);

    /* round trip of a prepared batch */
    st_op_t in[3] = {
        { .type = ST_OP_MSG, .msg_id = 7, .bytes = (const uint8_t *)"hello", .len = 5 },
        { .type = ST_OP_ADD, .dest = 3, .msg_id = 7, .priority = 9, .seq = 11 },
        { .type = ST_OP_DELIVERED, .dest = 3, .priority = 0, .seq = 2, .count = 5 },
    };
    st_xid_t x = make_xid("g");
    hm_wbuf_t wb;
    hm_wbuf_init(&wb, 1 << 16);
    st_rec_put_xa(&wb, &x, in, 3);
    CU_ASSERT_EQUAL_FATAL(st_rec_get_xa(wb.data, wb.len, &xid, &ops, &n), APR_SUCCESS);
    CU_ASSERT_EQUAL(n, 3);
    CU_ASSERT_EQUAL(ops[0].len, 5);
    CU_ASSERT(memcmp(ops[0].bytes, "hello", 5) == 0);
    CU_ASSERT_EQUAL(ops[1].priority, 9);
    CU_ASSERT_EQUAL(ops[1].seq, 11);
    CU_ASSERT_EQUAL(ops[2].count, 5);
    CU_ASSERT_EQUAL(xid.gtrid_len, 1);
    free(ops);
    for (size_t cut = 0; cut < wb.len; cut++)     /* every truncation is refused */
        CU_ASSERT_EQUAL(st_rec_get_xa(wb.data, cut, &xid, &ops, &n), ST_ECORRUPT);
    hm_wbuf_free(&wb);
}

/* ---- an acknowledgement right behind its send (the deferred queue may cancel both) ---- */

#define ACKN 3000
typedef struct ackcb_s { int calls; apr_status_t st; } ackcb_t;
static ackcb_t ack_cb[ACKN];

static void count_done(void *baton, apr_status_t st)
{
    ackcb_t *c = baton;
    c->calls++;
    c->st = st;
}

/* Every sender hears back exactly once and successfully, whether its add was written,
 * cancelled by the ack, or confirmed by the ack during the write; what was acknowledged stays
 * gone after a restart, and a message moved on to another queue in the acknowledging batch
 * (a dead letter) is never cancelled with its original.  Each send also records its producer's
 * sequence (the duplicate audit), as an OpenWire send does: that record is still written, but
 * a send whose add was cancelled is confirmed by its ack, not after a disk flush (the audit
 * once made every such send wait for one: 1->1 persistent sends ran 7x slower). */
static void test_ack_right_after_send(void)
{
    st_store_t *s = open_fresh();
    uint32_t q, dlq;
    st_dest_id(s, "q", &q);
    st_dest_id(s, "dlq", &dlq);
    memset(ack_cb, 0, sizeof ack_cb);
    int moved = 0, early = 0;
    for (int i = 0; i < ACKN; i++) {
        uint64_t id;
        char body[32];
        snprintf(body, sizeof body, "m%d", i);
        st_batch_t *b = st_batch_begin(s);
        st_batch_add_message(b, body, strlen(body), &id);
        st_batch_add_entry(b, q, id, 4, (uint64_t)i);
        st_batch_audit(b, "ID:p:1:1", 8, (uint64_t)i + 1);
        CU_ASSERT_EQUAL_FATAL(st_batch_commit(b, count_done, &ack_cb[i]), APR_SUCCESS);
        b = st_batch_begin(s);
        st_batch_remove_entry(b, q, 4, (uint64_t)i);
        if (i % 10 == 0) {                      /* dead letter: a new copy on dlq */
            snprintf(body, sizeof body, "d%d", i);
            st_batch_add_message(b, body, strlen(body), &id);
            st_batch_add_entry(b, dlq, id, 4, (uint64_t)i);
            moved++;
        }
        CU_ASSERT_EQUAL_FATAL(st_batch_commit(b, NULL, NULL), APR_SUCCESS);
        early += ack_cb[i].calls == 1;          /* confirmed by the time its ack is in */
    }
    CU_ASSERT_EQUAL(st_batch_commit_wait(st_batch_begin(s)), APR_SUCCESS);
    int once = 0, ok = 0;
    for (int i = 0; i < ACKN; i++) {
        once += ack_cb[i].calls == 1;
        ok += ack_cb[i].st == APR_SUCCESS;
        if (ack_cb[i].calls != 1)
            printf("\n    send %d: %d callbacks\n", i, ack_cb[i].calls);
    }
    CU_ASSERT_EQUAL(once, ACKN);
    CU_ASSERT_EQUAL(ok, ACKN);
    st_stats_t x = stats(s);
    printf("\n    %d sends each acknowledged at once: %llu adds cancelled before being written, "
           "%d confirmed by their ack\n", ACKN, (unsigned long long)x.cancelled, early);
    CU_ASSERT((uint64_t)early >= x.cancelled);
    s = reopen(s);
    audits_t a = { 0 };
    CU_ASSERT_EQUAL(st_audit_list(s, audit_seen, &a), APR_SUCCESS);
    CU_ASSERT_EQUAL_FATAL(a.n, 1);                  /* written, if lazily */
    CU_ASSERT_EQUAL(a.seq[0], ACKN);
    CU_ASSERT_EQUAL(load(s, q)->n, 0);
    loaded_t *l = load(s, dlq);
    CU_ASSERT_EQUAL(l->n, (size_t)moved);
    CU_ASSERT_STRING_EQUAL(l->body[0], "d0");
    CU_ASSERT_EQUAL(stats(s).messages, (uint64_t)moved);
    finish(s);
}

/* ---- concurrency: group commit under four committing threads ---- */

typedef struct thr_s { st_store_t *s; uint32_t q; int base; apr_status_t st; } thr_t;

static void *committer(void *arg)
{
    thr_t *t = arg;
    for (int i = 0; i < 200 && !t->st; i++) {
        uint64_t id;
        char body[32];
        snprintf(body, sizeof body, "t%d-%d", t->base, i);
        st_batch_t *b = st_batch_begin(t->s);
        st_batch_add_message(b, body, strlen(body), &id);
        st_batch_add_entry(b, t->q, id, (uint8_t)(i % 10), (uint64_t)(t->base * 1000 + i));
        t->st = st_batch_commit_wait(b);
    }
    return NULL;
}

static void test_concurrent_commits_all_durable(void)
{
    st_store_t *s = open_fresh();
    uint32_t q;
    st_dest_id(s, "q", &q);
    pthread_t th[4];
    thr_t t[4];
    for (int i = 0; i < 4; i++) {
        t[i] = (thr_t){ s, q, i, APR_SUCCESS };
        pthread_create(&th[i], NULL, committer, &t[i]);
    }
    for (int i = 0; i < 4; i++) {
        pthread_join(th[i], NULL);
        CU_ASSERT_EQUAL(t[i].st, APR_SUCCESS);
    }
    st_stats_t x = stats(s);
    CU_ASSERT(x.commits >= 800);
    s = reopen(s);
    CU_ASSERT_EQUAL(load(s, q)->n, 800);
    finish(s);
}

/* The scheduler's way: a destination marked to share bodies keeps them in the shared layout,
 * so a later batch can add another entry for the same message id. */
static void test_shared_destination_takes_later_entries(void)
{
    st_store_t *s = open_fresh();
    uint32_t sched, q;
    st_dest_id(s, "jobs", &sched);
    st_dest_id(s, "target", &q);
    CU_ASSERT_EQUAL(st_dest_share_bodies(s, sched), APR_SUCCESS);
    CU_ASSERT_EQUAL(st_dest_share_bodies(s, 4242), HM_ENOTFOUND);
    uint64_t id = put_msg(s, sched, "repeat-me", 4, 1);
    st_batch_t *b = st_batch_begin(s);
    st_batch_add_entry(b, q, id, 4, 1);             /* the body came in the earlier batch */
    st_batch_add_entry(b, sched, id, 4, 2);
    st_batch_remove_entry(b, sched, 4, 1);
    CU_ASSERT_EQUAL(st_batch_commit_wait(b), APR_SUCCESS);
    s = reopen(s);
    CU_ASSERT_EQUAL(st_dest_share_bodies(s, sched), APR_SUCCESS);
    loaded_t *l = load(s, q);
    CU_ASSERT_EQUAL_FATAL(l->n, 1);
    CU_ASSERT_STRING_EQUAL(l->body[0], "repeat-me");
    l = load(s, sched);
    CU_ASSERT_EQUAL_FATAL(l->n, 1);
    CU_ASSERT_STRING_EQUAL(l->body[0], "repeat-me");
    CU_ASSERT_EQUAL(stats(s).messages, 1);
    CU_ASSERT_EQUAL(stats(s).corrupt, 0);
    finish(s);
}

/* A message with a single entry keeps its body in the entry (one record each way); one with
 * several entries keeps the shared layout; both mix in one batch, survive a reopen, and new
 * ids never repeat an inline one.  verify counts inline bodies and flags one that is also
 * stored shared. */
static void test_inline_bodies(void)
{
    st_store_t *s = open_fresh();
    uint32_t q1, q2;
    st_dest_id(s, "inline.q1", &q1);
    st_dest_id(s, "inline.q2", &q2);
    uint64_t solo, shared;
    st_batch_t *b = st_batch_begin(s);
    st_batch_add_message(b, "solo-body", 9, &solo);
    st_batch_add_entry(b, q1, solo, 4, 1);
    st_batch_add_message(b, "shared-body", 11, &shared);
    st_batch_add_entry(b, q1, shared, 4, 2);
    st_batch_add_entry(b, q2, shared, 4, 1);
    CU_ASSERT_EQUAL(st_batch_commit_wait(b), APR_SUCCESS);
    uint64_t last = put_msg(s, q2, "tail", 4, 2);
    st_stats_t x = stats(s);
    CU_ASSERT_EQUAL(x.messages, 3);
    CU_ASSERT_EQUAL(x.entries, 4);
    CU_ASSERT_EQUAL(x.bytes, 9 + 11 + 4);
    s = reopen(s);
    x = stats(s);
    CU_ASSERT_EQUAL(x.messages, 3);
    CU_ASSERT_EQUAL(x.bytes, 9 + 11 + 4);
    CU_ASSERT(put_msg(s, q2, "after-reopen", 4, 3) > last);
    loaded_t *l = load(s, q1);
    CU_ASSERT_EQUAL_FATAL(l->n, 2);
    CU_ASSERT_STRING_EQUAL(l->body[0], "solo-body");
    CU_ASSERT_EQUAL(l->e[0].msg_id, solo);
    CU_ASSERT_STRING_EQUAL(l->body[1], "shared-body");
    remove_entry(s, q1, 4, 1);
    remove_entry(s, q1, 4, 2);
    x = stats(s);
    CU_ASSERT_EQUAL(x.messages, 3);             /* the shared body stays for q2 */
    CU_ASSERT_EQUAL(x.bytes, 11 + 4 + 12);
    l = load(s, q2);
    CU_ASSERT_EQUAL_FATAL(l->n, 3);
    CU_ASSERT_STRING_EQUAL(l->body[0], "shared-body");
    CU_ASSERT_STRING_EQUAL(l->body[1], "tail");
    CU_ASSERT_STRING_EQUAL(l->body[2], "after-reopen");
    if (g_kind != ST_KIND_BDB) { finish(s); return; }
    st_close(s);
    char *text;
    size_t len;
    FILE *out = open_memstream(&text, &len);
    CU_ASSERT_EQUAL(st_tool_verify(g_dir, out, NULL, NULL), APR_SUCCESS);
    fclose(out);
    CU_ASSERT_PTR_NOT_NULL(strstr(text, "(2 with the message body inline, 2 of them in the journal)"));
    CU_ASSERT_PTR_NOT_NULL(strstr(text, " 0 problems"));
    free(text);
    st_options_t o = opts();
    s = open_with(&o);
    uint8_t mk[ST_KEY_MSG];
    st_key_msg(mk, last);
    raw_put(s, ST_T_MSG, mk, sizeof mk, "HS\x01\x01\x00\x00\x00\x04tail", 12);
    st_close(s);
    out = open_memstream(&text, &len);
    CU_ASSERT_EQUAL(st_tool_verify(g_dir, out, NULL, NULL), ST_ECORRUPT);
    fclose(out);
    CU_ASSERT_PTR_NOT_NULL(strstr(text, "kept inline in an entry but has other entries or records"));
    free(text);
    rm_rf(g_dir);
    g_dir[0] = 0;
}

static int use_memory(void) { g_kind = ST_KIND_MEMORY; return 0; }
static int use_bdb(void) { g_kind = ST_KIND_BDB; return 0; }

int main(void)
{
    apr_initialize();
    apr_pool_create(&g_pool, NULL);
    hm_log_set_level(HM_LOG_ERROR);
    CU_initialize_registry();
    static const struct { const char *name; CU_TestFunc fn; } both[] = {
        { "entries load by priority then arrival", test_priority_then_arrival_order },
        { "load crosses chunks in order; its callback may acknowledge", test_load_in_chunks_callback_may_ack },
        { "a failed batch leaves nothing", test_failed_batch_leaves_nothing },
        { "removed (acked) entries stay removed", test_remove_acknowledged },
        { "a shared body goes with its last entry", test_shared_body_goes_with_last_entry },
        { "a single-entry message keeps its body inline", test_inline_bodies },
        { "a destination that shares bodies takes later entries", test_shared_destination_takes_later_entries },
        { "delivery count survives", test_delivery_count_survives },
        { "durable subscription persists and goes with its backlog", test_durable_subscription_with_backlog },
        { "purging or removing a destination drops its backlog", test_dest_remove_drops_backlog_in_chunks },
        { "a detached destination made again gets a new one, the old removed first", test_dest_detach_then_recreate },
        { "XA prepare survives, commit applies, rollback discards", test_xa_prepare_commit_rollback },
        { "a producer's last stored sequence survives, can be forgotten", test_producer_audit_survives },
        { "size limit gives HM_ENOSPACE", test_size_limit_gives_enospace },
        { "injected ENOSPC/EIO fail the commit, store stays consistent", test_fault_commit_and_flush },
        { "a full disk at a flush fails that commit only", test_full_disk_flush_not_sticky },
        { "damaged records are reported and skipped", test_corrupt_records_skipped },
        { "four threads commit concurrently", test_concurrent_commits_all_durable },
        { "an ack right after its send: one callback each, nothing resurrected", test_ack_right_after_send },
    };
    CU_pSuite mem = CU_add_suite("store (memory)", use_memory, NULL);
    CU_pSuite bdb = CU_add_suite("store (bdb)", use_bdb, NULL);
    for (size_t i = 0; i < sizeof both / sizeof both[0]; i++) {
        CU_add_test(mem, both[i].name, both[i].fn);
        CU_add_test(bdb, both[i].name, both[i].fn);
    }
    CU_pSuite codec = CU_add_suite("store record codec", NULL, NULL);
    CU_add_test(codec, "bad records are refused, good ones round-trip", test_codec_rejects_bad_records);
    CU_basic_set_mode(CU_BRM_VERBOSE);
    CU_basic_run_tests();
    unsigned failed = CU_get_number_of_failures();
    CU_cleanup_registry();
    apr_pool_destroy(g_pool);
    apr_terminate();
    return failed ? 1 : 0;
}
