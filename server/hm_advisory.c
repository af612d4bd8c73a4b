/* ActiveMQ's advisory messages: what the broker tells watchers about connections, consumers,
 * producers, destinations and messages that expired or were dead-lettered.
 *
 * Topics and their triggers follow ActiveMQ 5.17's AdvisoryBroker: Connection, Consumer.*,
 * Producer.*, Queue/Topic/TempQueue/TempTopic, Expired.*, MessageDLQd.* are always raised (unless
 * <broker advisorySupport="false">); SlowConsumer.*, FastProducer.* and MessageConsumed.* only
 * where the destination's policy turns them on.  Advisory topics never raise advisories.  An
 * advisory is an ordinary non-persistent topic message whose hm_advisory_t the protocol turns
 * into its own shape. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <apr_strings.h>

#include "hm_int.h"
#include "hm_log.h"
#include "st.h"

static int adv_on(const hm_broker_t *b)
{
    return !b->opts.advisories_off;
}

/* Policy bits for a destination, cached (policy lookups walk the configuration). */
static unsigned policy(hm_broker_t *b, hm_dname_t d)
{
    if (!b->opts.advisory_policy || !d.name)
        return 0;
    if (!b->adv_policy || apr_hash_count(b->adv_policy) >= HM_MAX_ADV_POLICY_CACHE) {
        /* a fresh pool each time: memory stays bounded however many names come and go */
        if (b->adv_policy_pool)
            apr_pool_destroy(b->adv_policy_pool);
        b->adv_policy = NULL;
        if (apr_pool_create(&b->adv_policy_pool, b->pool) != APR_SUCCESS) {
            b->adv_policy_pool = NULL;
            return b->opts.advisory_policy(b->opts.advisory_baton, d);
        }
        b->adv_policy = apr_hash_make(b->adv_policy_pool);
    }
    char key[HM_MAX_DEST_NAME + 4];
    int n = snprintf(key, sizeof key, "%c:%s", "qtQT"[d.kind], d.name);
    if (n < 0 || (size_t)n >= sizeof key)
        return b->opts.advisory_policy(b->opts.advisory_baton, d);
    void *v = apr_hash_get(b->adv_policy, key, (apr_ssize_t)n);
    if (v)
        return (unsigned)((uintptr_t)v - 1);
    unsigned bits = b->opts.advisory_policy(b->opts.advisory_baton, d);
    apr_hash_set(b->adv_policy, apr_pstrmemdup(b->adv_policy_pool, key, (apr_size_t)n), (apr_ssize_t)n,
                 (void *)((uintptr_t)bits + 1));
    return bits;
}

/* ------------------------------------------------------------------ building and routing */

static void adv_free(void *data)
{
    if (data)
        hm_msg_unref(data);
}

static const hm_msg_origin_t adv_origin = { "core", 0, adv_free, NULL, NULL, NULL, NULL };

static size_t slen(const char *s)
{
    return s ? strlen(s) + 1 : 0;
}

static const char *scopy(char **at, const char *s)
{
    if (!s)
        return NULL;
    size_t n = strlen(s) + 1;
    char *d = memcpy(*at, s, n);
    *at += n;
    return d;
}

/* The advisory message for `a` on `topic`: one allocation holds the advisory and its strings;
 * a referenced message is held until the advisory goes. */
static hm_msg_t *adv_new(hm_broker_t *b, const char *topic, const hm_advisory_t *a)
{
    char idbuf[160];
    snprintf(idbuf, sizeof idbuf, "ID:%s-advisory:1:1:1:%llu", b->id, (unsigned long long)(b->next_seq + 1));
    size_t need = sizeof(hm_advisory_t) + slen(topic) + slen(idbuf) + slen(a->dest.name) +
                  slen(a->connection_id) + slen(a->client_id) + slen(a->user) + slen(a->id) +
                  slen(a->selector) + slen(a->subscription) + slen(a->client_ip) + slen(a->usage_name);
    void *extra;
    hm_msg_t *m = hm_msg_new(need, &extra);
    if (!m)
        return NULL;
    hm_advisory_t *adv = extra;
    char *s = (char *)(adv + 1);
    *adv = *a;
    m->dest.kind = HM_TOPIC;
    m->dest.name = scopy(&s, topic);
    m->message_id = scopy(&s, idbuf);
    adv->dest.name = scopy(&s, a->dest.name);
    adv->connection_id = scopy(&s, a->connection_id);
    adv->client_id = scopy(&s, a->client_id);
    adv->user = scopy(&s, a->user);
    adv->id = scopy(&s, a->id);
    adv->selector = scopy(&s, a->selector);
    adv->subscription = scopy(&s, a->subscription);
    adv->client_ip = scopy(&s, a->client_ip);
    adv->usage_name = scopy(&s, a->usage_name);
    adv->broker_name = b->name;
    adv->broker_id = b->id;
    adv->broker_url = b->opts.url;
    if (a->msg)
        adv->msg = hm_msg_ref((hm_msg_t *)a->msg);
    m->advisory = adv;
    m->type = "Advisory";
    m->priority = 0;                   /* ActiveMQ's advisories carry the Message default, 0 */
    m->persistent = 0;
    m->size = need + 256;
    m->origin = &adv_origin;
    m->origin_data = (void *)adv->msg;
    m->timestamp = apr_time_as_msec(apr_time_now());
    return m;
}

/* Whether subscription s listens on topic (and its selector takes m). */
static int sub_covers(const hm_sub_t *s, const char *topic, const hm_msg_t *m)
{
    for (int i = 0; i < s->parts->nelts; i++) {
        const char *p = APR_ARRAY_IDX(s->parts, i, char *);
        if (strcmp(p, topic) == 0 || (hm_name_is_wildcard(p) && hm_name_matches(p, topic)))
            return hm_sub_wants(s, m);
    }
    return 0;
}

/* Whether anyone could receive a message on topic: why build an advisory nobody reads (every
 * consumer and producer change raises some). */
static int listened(hm_broker_t *b, const char *topic)
{
    hm_topic_t *t;
    return b->opts.nvirtuals > 0 || !APR_RING_EMPTY(&b->wild_topic_subs, hm_sub_s, wild_link) ||
           ((t = hm_topic_find(b, HM_TOPIC, topic)) != NULL && !APR_RING_EMPTY(&t->subs, hm_tsub_s, link));
}

/* Routes an advisory to everyone on its topic, or (replays) to the one consumer `only`. */
static void publish(hm_broker_t *b, const char *topic, const hm_advisory_t *a, hm_consumer_t *only)
{
    if (!only)
        hm_auth_adv_published_locked(b, topic);
    if (only ? !only->sub || only->opts.dest.kind != HM_TOPIC : !listened(b, topic))
        return;
    hm_msg_t *m = adv_new(b, topic, a);
    if (!m)
        return;
    if (only) {
        hm_qentry_t *e;
        m->broker_seq = ++b->next_seq;
        if (sub_covers(only->sub, topic, m) && hm_queue_put(only->sub->q, m, 0, NULL, 0, &e) == APR_SUCCESS)
            hm_queue_dispatch(only->sub->q);
    } else {
        hm_pbatch_t pb = { NULL, 0, 0 };
        hm_plan_t pl;
        char err[256];
        apr_status_t st = hm_plan_route(b, m, &pb, &pl, err, sizeof err);
        if (st == APR_SUCCESS)
            st = hm_plan_apply(b, &pl);
        else
            hm_plan_free(&pl);
        if (pb.batch)
            st_batch_discard(pb.batch);       /* advisories are never stored */
        if (st)
            hm_debug("advisory on %s not delivered: %s", topic, err);
    }
    hm_msg_unref(m);
}

/* ------------------------------------------------------------------ destinations */

static void dest_advise(hm_broker_t *b, hm_adv_kind_e kind, hm_dname_t d, const char *conn_id,
                        hm_consumer_t *only)
{
    hm_advisory_t a = { .kind = kind, .dest = d, .connection_id = conn_id, .count = -1 };
    publish(b, hm_adv_dest_topic(d), &a, only);
}

void hm_adv_dest(hm_broker_t *b, hm_adv_kind_e kind, hm_dname_t d, const char *conn_id)
{
    if (adv_on(b) && !hm_name_is_advisory(d))
        dest_advise(b, kind, d, conn_id, NULL);
}

void hm_adv_dest_created(hm_broker_t *b, hm_dname_t d)
{
    if (d.name && !HM_KIND_IS_TEMP(d.kind) && !hm_name_is_wildcard(d.name) && !strchr(d.name, ','))
        hm_adv_dest(b, HM_ADV_DEST_ADD, d, NULL);
}

/* ------------------------------------------------------------------ connections */

static void conn_advise(hm_client_t *c, hm_adv_kind_e kind, hm_consumer_t *only)
{
    hm_advisory_t a = { .kind = kind, .connection_id = c->connection_id, .client_id = c->client_id,
                        .user = c->user, .client_ip = c->client_ip, .count = -1 };
    publish(c->b, HM_ADV_PREFIX "Connection", &a, only);
}

void hm_adv_connection(hm_client_t *c, int add)
{
    if (adv_on(c->b))
        conn_advise(c, add ? HM_ADV_CONN_ADD : HM_ADV_CONN_REMOVE, NULL);
}

/* ------------------------------------------------------------------ consumers */

/* Consumers on one existing destination, as ActiveMQ's destination statistics count them. */
static int consumers_on(hm_broker_t *b, hm_dname_t x)
{
    int n = 0;
    if (HM_KIND_IS_QUEUE(x.kind)) {
        hm_queue_t *q = hm_queue_find(b, x.kind, x.name);
        hm_attach_t *at;
        if (q)
            APR_RING_FOREACH(at, &q->consumers, hm_attach_s, link) n++;
        return n;
    }
    /* a durable subscription counts while offline too, as on ActiveMQ */
    hm_topic_t *t = hm_topic_find(b, x.kind, x.name);
    if (t) {
        hm_tsub_t *ts;
        APR_RING_FOREACH(ts, &t->subs, hm_tsub_s, link) n++;
    }
    if (x.kind == HM_TOPIC) {
        hm_sub_t *s;
        APR_RING_FOREACH(s, &b->wild_topic_subs, hm_sub_s, wild_link) {
            for (int i = 0; i < s->parts->nelts; i++) {
                const char *p = APR_ARRAY_IDX(s->parts, i, char *);
                if (hm_name_is_wildcard(p) && hm_name_matches(p, x.name)) {
                    n++;
                    break;
                }
            }
        }
    }
    return n;
}

/* consumerCount: consumers on every existing destination that d (maybe composite or wildcard)
 * names. */
static int consumer_count_of(hm_broker_t *b, hm_dname_t d)
{
    hm_dest_kind_e kind = d.kind;
    int n = 0;
    char part[HM_MAX_DEST_NAME + 1];
    for (const char *at = d.name; at && *at;) {
        const char *start = at, *comma = strchr(at, ',');
        size_t len = comma ? (size_t)(comma - start) : strlen(start);
        at = comma ? comma + 1 : NULL;
        if (len == 0 || len >= sizeof part)
            continue;
        memcpy(part, start, len);
        part[len] = '\0';
        const char *p = part;
        if (!hm_name_is_wildcard(p)) {
            n += consumers_on(b, (hm_dname_t){ kind, p });
            continue;
        }
        apr_hash_t *h = HM_KIND_IS_QUEUE(kind) ? b->queues : b->topics;
        for (apr_hash_index_t *hi = apr_hash_first(NULL, h); hi; hi = apr_hash_next(hi)) {
            hm_dname_t x = HM_KIND_IS_QUEUE(kind) ? ((hm_queue_t *)apr_hash_this_val(hi))->name
                                                  : ((hm_topic_t *)apr_hash_this_val(hi))->name;
            if (x.kind == kind && !hm_name_is_advisory(x) && hm_name_matches(p, x.name))
                n += consumers_on(b, x);
        }
    }
    return n;
}

static int consumer_count(hm_consumer_t *c)
{
    return consumer_count_of(c->b, c->opts.dest);
}

static void consumer_fields(hm_consumer_t *c, hm_advisory_t *a)
{
    a->dest = c->opts.dest;
    a->connection_id = c->client->connection_id;
    a->client_id = c->client->client_id;
    a->id = c->opts.id;
    a->selector = c->opts.selector;
    a->subscription = c->opts.durable_name;
    a->prefetch = c->opts.prefetch;
    a->priority = c->opts.priority;
    a->no_local = c->opts.no_local;
    a->exclusive = c->opts.exclusive;
    a->browser = c->opts.browser;
}

static void consumer_advise(hm_consumer_t *c, hm_adv_kind_e kind, hm_consumer_t *only)
{
    char buf[HM_ADV_TOPIC_CAP];
    const char *topic = hm_adv_topic_name(buf, sizeof buf, "Consumer.", c->opts.dest, 0, 1);
    if (topic && !only)
        hm_auth_adv_published_locked(c->b, topic);
    if (!topic || (!only && !listened(c->b, topic)))
        return;
    hm_advisory_t a = { .kind = kind };
    consumer_fields(c, &a);
    a.count = consumer_count(c);
    publish(c->b, topic, &a, only);
}

void hm_adv_consumer(hm_consumer_t *c, int add)
{
    if (!adv_on(c->b) || hm_name_is_advisory(c->opts.dest))
        return;
    if (add) {
        c->advised = 1;
        consumer_advise(c, HM_ADV_CONSUMER_ADD, NULL);
    } else if (c->advised) {
        c->advised = 0;
        consumer_advise(c, HM_ADV_CONSUMER_REMOVE, NULL);
    }
}

/* A durable subscription deleted (unsubscribe): ActiveMQ tells Consumer.Topic.<t> with a
 * RemoveSubscriptionInfo. */
void hm_adv_unsubscribed(hm_client_t *c, hm_dname_t topic, const char *client_id, const char *name)
{
    char buf[HM_ADV_TOPIC_CAP];
    const char *t;
    if (!adv_on(c->b) || hm_name_is_advisory(topic) ||
        !(t = hm_adv_topic_name(buf, sizeof buf, "Consumer.", topic, 0, 1)))
        return;
    hm_advisory_t a = { .kind = HM_ADV_UNSUBSCRIBE, .dest = topic, .connection_id = c->connection_id,
                        .client_id = client_id, .subscription = name };
    a.count = consumer_count_of(c->b, topic);
    publish(c->b, t, &a, NULL);
}

/* ------------------------------------------------------------------ producers */

static char *dest_key(hm_dname_t d)
{
    size_t n = strlen(d.name);
    char *k = malloc(n + 3);
    if (k) {
        k[0] = "qtQT"[d.kind];
        k[1] = ':';
        memcpy(k + 2, d.name, n + 1);
    }
    return k;
}

/* Keeps the per-destination producer count that producerCount reports. */
static int producer_count_add(hm_broker_t *b, hm_dname_t d, int delta)
{
    if (!b->adv_pcounts)
        b->adv_pcounts = apr_hash_make(b->pool);
    char *k = dest_key(d);
    if (!k)
        return 0;
    int *slot = apr_hash_get(b->adv_pcounts, k, APR_HASH_KEY_STRING);
    if (!slot && delta > 0) {
        size_t kl = strlen(k) + 1;
        slot = malloc(sizeof(int) + kl);
        if (!slot) {
            free(k);
            return 0;
        }
        *slot = 0;
        memcpy(slot + 1, k, kl);
        apr_hash_set(b->adv_pcounts, (char *)(slot + 1), APR_HASH_KEY_STRING, slot);
    }
    free(k);
    if (!slot)
        return 0;
    *slot += delta;
    int n = *slot;
    if (n <= 0) {
        apr_hash_set(b->adv_pcounts, (char *)(slot + 1), APR_HASH_KEY_STRING, NULL);
        free(slot);
    }
    return n < 0 ? 0 : n;
}

static void producer_advise(hm_client_t *c, const hm_producer_t *p, hm_adv_kind_e kind, int count,
                            hm_consumer_t *only)
{
    char buf[HM_ADV_TOPIC_CAP];
    const char *topic = hm_adv_topic_name(buf, sizeof buf, "Producer.", p->dest, 0, 1);
    hm_advisory_t a = { .kind = kind, .dest = p->dest, .connection_id = c->connection_id,
                        .id = p->id, .count = count };
    if (topic)
        publish(c->b, topic, &a, only);
}

/* Producers are registered (and counted) with advisories off too: the statistics count them. */
static int producer_tracked(hm_dname_t d)
{
    return d.name && !hm_name_is_advisory(d);
}

/* Why not producer_count_add(b, d, 0): statistics and metrics ask for every destination, so
 * the lookup allocates nothing (a stack key for usual names) and is skipped when no producer
 * is registered anywhere. */
int hm_adv_producer_count(hm_broker_t *b, hm_dname_t d)
{
    if (!producer_tracked(d) || !b->adv_pcounts || apr_hash_count(b->adv_pcounts) == 0)
        return 0;
    size_t n = strlen(d.name);
    char buf[256];
    if (n + 3 > sizeof buf)
        return producer_count_add(b, d, 0);
    buf[0] = "qtQT"[d.kind];
    buf[1] = ':';
    memcpy(buf + 2, d.name, n + 1);
    const int *slot = apr_hash_get(b->adv_pcounts, buf, (apr_ssize_t)(n + 2));
    return slot && *slot > 0 ? *slot : 0;
}

apr_status_t hm_producer_add(hm_client_t *c, const char *id, hm_dname_t dest)
{
    hm_broker_t *b = c->b;
    if (!id)
        return HM_EINVAL;
    apr_status_t ast = hm_authorize(c, HM_AUTHZ_WRITE, dest, NULL, 0);
    if (!ast && producer_tracked(dest))
        ast = hm_authorize_create(c, dest, NULL, 0);
    if (!ast && producer_tracked(dest))
        ast = hm_authorize_adv_client(c, "Producer.", dest, NULL, 0);
    if (ast)
        return ast;
    hm_lock(b);
    if (!producer_tracked(dest) || apr_hash_get(c->producers, id, APR_HASH_KEY_STRING)) {
        hm_unlock(b);
        return APR_SUCCESS;
    }
    if (apr_hash_count(c->producers) >= HM_MAX_CONSUMERS_PER_CLIENT) {
        hm_unlock(b);
        return HM_ENOSPACE;
    }
    size_t il = strlen(id) + 1, nl = strlen(dest.name) + 1;
    hm_producer_t *p = malloc(sizeof *p + il + nl);
    if (!p) {
        hm_unlock(b);
        return APR_ENOMEM;
    }
    p->id = memcpy((char *)(p + 1), id, il);
    p->dest.kind = dest.kind;
    p->dest.name = memcpy(p->id + il, dest.name, nl);
    p->serial = ++b->next_producer;
    apr_hash_set(c->producers, p->id, APR_HASH_KEY_STRING, p);
    int n = producer_count_add(b, p->dest, 1);
    if (adv_on(b))
        producer_advise(c, p, HM_ADV_PRODUCER_ADD, n, NULL);
    hm_unlock(b);
    return APR_SUCCESS;
}

static void producer_remove_locked(hm_client_t *c, hm_producer_t *p)
{
    apr_hash_set(c->producers, p->id, APR_HASH_KEY_STRING, NULL);
    int n = producer_count_add(c->b, p->dest, -1);
    /* a temporary destination already gone takes its producers' advisories with it */
    int gone = HM_KIND_IS_TEMP(p->dest.kind) &&
               !(HM_KIND_IS_QUEUE(p->dest.kind) ? (void *)hm_queue_find(c->b, p->dest.kind, p->dest.name)
                                                : (void *)hm_topic_find(c->b, p->dest.kind, p->dest.name));
    if (adv_on(c->b) && !gone)
        producer_advise(c, p, HM_ADV_PRODUCER_REMOVE, n, NULL);
    free(p);
}

void hm_producer_remove(hm_client_t *c, const char *id)
{
    hm_lock(c->b);
    hm_producer_t *p = id ? apr_hash_get(c->producers, id, APR_HASH_KEY_STRING) : NULL;
    if (p)
        producer_remove_locked(c, p);
    hm_unlock(c->b);
}

void hm_producer_remove_prefix(hm_client_t *c, const char *prefix)
{
    size_t pl = strlen(prefix);
    hm_lock(c->b);
    apr_hash_index_t *hi = apr_hash_first(NULL, c->producers);
    while (hi) {
        hm_producer_t *p = apr_hash_this_val(hi);
        hi = apr_hash_next(hi);
        if (strncmp(p->id, prefix, pl) == 0)
            producer_remove_locked(c, p);     /* removing the current entry is safe in APR */
    }
    hm_unlock(c->b);
}

void hm_producer_blocked(hm_client_t *c, const char *id, hm_dname_t dest)
{
    hm_broker_t *b = c->b;
    hm_lock(b);
    char buf[HM_ADV_TOPIC_CAP];
    const char *topic;
    if (adv_on(b) && producer_tracked(dest) && !HM_KIND_IS_TEMP(dest.kind) &&
        (policy(b, dest) & HM_ADVP_FAST_PRODUCER) &&
        (topic = hm_adv_topic_name(buf, sizeof buf, "FastProducer.", dest, 1, 0)) != NULL) {
        hm_advisory_t a = { .kind = HM_ADV_FAST_PRODUCER, .dest = dest,
                            .connection_id = c->connection_id, .id = id, .count = -1 };
        publish(b, topic, &a, NULL);
    }
    hm_unlock(b);
}

/* Producers go before their connection's RemoveInfo. */
void hm_adv_client_close(hm_client_t *c)
{
    apr_hash_index_t *hi;
    while ((hi = apr_hash_first(NULL, c->producers)) != NULL)
        producer_remove_locked(c, apr_hash_this_val(hi));
    if (adv_on(c->b))
        conn_advise(c, HM_ADV_CONN_REMOVE, NULL);
}

/* ------------------------------------------------------------------ messages */

void hm_adv_message(hm_broker_t *b, hm_adv_kind_e kind, hm_dname_t where, const hm_msg_t *m)
{
    if (!adv_on(b) || m->advisory || !where.name || hm_name_is_advisory(where))
        return;
    const char *prefix;
    int full = 1;
    unsigned need = 0;
    switch (kind) {
    case HM_ADV_EXPIRED: prefix = "Expired."; full = 0; break;
    case HM_ADV_DLQD: prefix = "MessageDLQd."; break;
    case HM_ADV_CONSUMED: prefix = "MessageConsumed."; need = HM_ADVP_CONSUMED; break;
    case HM_ADV_DELIVERED: prefix = "MessageDelivered."; need = HM_ADVP_DELIVERED; break;
    default: return;
    }
    if (need && !(policy(b, where) & need))
        return;
    char buf[HM_ADV_TOPIC_CAP];
    const char *topic = hm_adv_topic_name(buf, sizeof buf, prefix, where, full, 0);
    hm_advisory_t a = { .kind = kind, .dest = where, .msg = m, .count = -1 };
    if (topic)
        publish(b, topic, &a, NULL);
}

/* ActiveMQ's sendAdvisoryIfNoConsumers: a non-persistent message nobody could receive is itself
 * sent on to NoConsumer.Queue/Topic.<name>. */
static void no_consumer(hm_broker_t *b, hm_dname_t where, const hm_msg_t *m)
{
    char buf[HM_ADV_TOPIC_CAP];
    const char *topic = hm_adv_topic_name(buf, sizeof buf, "NoConsumer.", where, 0, 0);
    if (!topic)
        return;
    hm_msg_t *copy = hm_copy_readdress(m, (hm_dname_t){ HM_TOPIC, topic });
    if (!copy)
        return;
    copy->producer_client = m->producer_client;
    copy->persistent = 0;
    hm_pbatch_t pb = { NULL, 0, 0 };
    hm_plan_t pl;
    char err[256];
    if (hm_plan_route(b, copy, &pb, &pl, err, sizeof err) == APR_SUCCESS)
        hm_plan_apply(b, &pl);
    else
        hm_plan_free(&pl);
    if (pb.batch)
        st_batch_discard(pb.batch);
    hm_msg_unref(copy);
}

void hm_adv_sent(hm_broker_t *b, const hm_plan_t *pl)
{
    const hm_msg_t *m = pl->msg;
    if (!b->opts.advisory_policy || !adv_on(b) || m->advisory || strchr(m->dest.name, ',') ||
        hm_name_is_advisory(m->dest))
        return;
    unsigned bits = policy(b, m->dest);
    if (bits & HM_ADVP_DELIVERED)
        hm_adv_message(b, HM_ADV_DELIVERED, m->dest, m);
    if (!(bits & HM_ADVP_NO_CONSUMER) || m->persistent)
        return;
    int listeners = 0;
    if (HM_KIND_IS_QUEUE(m->dest.kind)) {
        hm_queue_t *q = hm_queue_find(b, m->dest.kind, m->dest.name);
        listeners = q && !APR_RING_EMPTY(&q->consumers, hm_attach_s, link);
    } else {
        for (int i = 0; i < pl->r.n && !listeners; i++)
            listeners = pl->r.t[i].q->private_sub;
    }
    if (!listeners)
        no_consumer(b, m->dest, m);
}

void hm_dest_full(hm_broker_t *b, hm_dname_t dest, const char *usage_name, int64_t usage)
{
    char buf[HM_ADV_TOPIC_CAP];
    const char *topic;
    hm_lock(b);
    if (adv_on(b) && dest.name && !hm_name_is_advisory(dest) && (policy(b, dest) & HM_ADVP_FULL) &&
        (topic = hm_adv_topic_name(buf, sizeof buf, "FULL.", dest, 1, 0)) != NULL) {
        hm_advisory_t a = { .kind = HM_ADV_FULL, .dest = dest, .usage_name = usage_name, .usage = usage,
                            .count = -1 };
        publish(b, topic, &a, NULL);
    }
    hm_unlock(b);
}

/* ------------------------------------------------------------------ slow consumers */

/* ActiveMQ's rules: a queue consumer is slow when dispatch finds its prefetch full while
 * messages wait; a topic subscriber when more than its prefetch (> 1) is pending beyond what it
 * holds.  Checked once a tick; one advisory per slow episode. */
static int is_slow(hm_consumer_t *c, hm_dname_t *where)
{
    if (c->opts.browser || c->opts.prefetch <= 0)
        return 0;
    if (c->sub) {
        *where = c->opts.dest;
        return c->opts.prefetch > 1 && c->sub->q->avail_count > (size_t)c->opts.prefetch;
    }
    if (c->outstanding < c->opts.prefetch)
        return 0;
    for (int i = 0; i < c->attached->nelts; i++) {
        hm_queue_t *q = APR_ARRAY_IDX(c->attached, i, hm_attach_t *)->q;
        if (q->avail_count > 0) {
            *where = q->name;
            return 1;
        }
    }
    return 0;
}

void hm_adv_tick_locked(hm_broker_t *b, apr_time_t now)
{
    (void)now;
    if (!adv_on(b) || !b->opts.advisory_policy)
        return;
    for (apr_hash_index_t *hi = apr_hash_first(NULL, b->consumers); hi; hi = apr_hash_next(hi)) {
        hm_consumer_t *c = apr_hash_this_val(hi);
        hm_dname_t where = { HM_QUEUE, NULL };
        if (!c->advised)
            continue;
        if (!is_slow(c, &where)) {
            c->slow = 0;
            continue;
        }
        if (c->slow)
            continue;
        c->slow = 1;
        char buf[HM_ADV_TOPIC_CAP];
        const char *topic;
        if (!(policy(b, where) & HM_ADVP_SLOW_CONSUMER) ||
            !(topic = hm_adv_topic_name(buf, sizeof buf, "SlowConsumer.", where, 1, 0)))
            continue;
        hm_advisory_t a = { .kind = HM_ADV_SLOW_CONSUMER };
        consumer_fields(c, &a);
        a.count = -1;
        publish(b, topic, &a, NULL);
    }
}

/* ------------------------------------------------------------------ replay */

static int parts_start(hm_consumer_t *c, const char *prefix, int exact)
{
    size_t pl = strlen(prefix);
    for (int i = 0; i < c->parts->nelts; i++) {
        const char *p = APR_ARRAY_IDX(c->parts, i, char *);
        if (exact ? strcmp(p, prefix) == 0 : strncmp(p, prefix, pl) == 0)
            return 1;
    }
    return 0;
}

static int by_serial(const void *x, const void *y)
{
    uint64_t a = (*(hm_consumer_t *const *)x)->serial, b = (*(hm_consumer_t *const *)y)->serial;
    return a < b ? -1 : a > b;
}

static void replay_destinations(hm_consumer_t *c)
{
    hm_broker_t *b = c->b;
    for (apr_hash_index_t *hi = apr_hash_first(NULL, b->queues); hi; hi = apr_hash_next(hi)) {
        hm_queue_t *q = apr_hash_this_val(hi);
        if (!q->private_sub)
            dest_advise(b, HM_ADV_DEST_ADD, q->name, q->owner ? q->owner->connection_id : NULL, c);
    }
    for (apr_hash_index_t *hi = apr_hash_first(NULL, b->topics); hi; hi = apr_hash_next(hi)) {
        hm_topic_t *t = apr_hash_this_val(hi);
        if (!hm_name_is_advisory(t->name) && !hm_name_is_wildcard(t->name.name))
            dest_advise(b, HM_ADV_DEST_ADD, t->name, t->owner ? t->owner->connection_id : NULL, c);
    }
}

static void replay_consumers(hm_consumer_t *c)
{
    hm_broker_t *b = c->b;
    unsigned n = apr_hash_count(b->consumers);
    hm_consumer_t **all = n ? malloc(n * sizeof *all) : NULL;
    unsigned k = 0;
    if (!all)
        return;
    for (apr_hash_index_t *hi = apr_hash_first(NULL, b->consumers); hi && k < n; hi = apr_hash_next(hi)) {
        hm_consumer_t *o = apr_hash_this_val(hi);
        if (o->advised)
            all[k++] = o;
    }
    qsort(all, k, sizeof *all, by_serial);
    for (unsigned i = 0; i < k; i++)
        consumer_advise(all[i], HM_ADV_CONSUMER_ADD, c);
    free(all);
}

void hm_adv_replay(hm_consumer_t *c)
{
    hm_broker_t *b = c->b;
    if (!adv_on(b) || c->opts.dest.kind != HM_TOPIC || !c->sub)
        return;
    hm_client_t *cl;
    if (parts_start(c, HM_ADV_PREFIX "Connection", 1)) {
        APR_RING_FOREACH(cl, &b->clients, hm_client_s, link) conn_advise(cl, HM_ADV_CONN_ADD, c);
    }
    if (parts_start(c, HM_ADV_PREFIX "Queue", 1) || parts_start(c, HM_ADV_PREFIX "Topic", 1) ||
        parts_start(c, HM_ADV_PREFIX "TempQueue", 1) || parts_start(c, HM_ADV_PREFIX "TempTopic", 1))
        replay_destinations(c);
    if (parts_start(c, HM_ADV_PREFIX "Producer.", 0)) {
        APR_RING_FOREACH(cl, &b->clients, hm_client_s, link) {
            for (apr_hash_index_t *hi = apr_hash_first(NULL, cl->producers); hi; hi = apr_hash_next(hi)) {
                hm_producer_t *p = apr_hash_this_val(hi);
                producer_advise(cl, p, HM_ADV_PRODUCER_ADD, producer_count_add(b, p->dest, 0), c);
            }
        }
    }
    if (parts_start(c, HM_ADV_PREFIX "Consumer.", 0))
        replay_consumers(c);
}
