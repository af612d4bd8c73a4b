/* The broker object, its clients and their temporary destinations. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <apr_strings.h>

#include "hm_int.h"
#include "hm_log.h"
#include "st_temp.h"

/* Why compiled once here: a filteredDestination's selector is checked for every message sent to
 * its composite; an invalid one stops the broker at start-up with the composite named. */
static apr_status_t compile_filters(hm_broker_t *b)
{
    b->vfilters = apr_pcalloc(b->pool, sizeof *b->vfilters * (size_t)(b->opts.nvirtuals + 1));
    for (int i = 0; i < b->opts.nvirtuals; i++) {
        const hm_virtual_t *v = &b->opts.virtuals[i];
        if (!v->filter)
            continue;
        b->vfilters[i] = apr_pcalloc(b->pool, sizeof **b->vfilters * (size_t)(v->nforward + 1));
        for (int f = 0; f < v->nforward; f++) {
            char err[256];
            if (v->filter[f] &&
                hm_selector_compile(b->pool, v->filter[f], &b->vfilters[i][f], err, sizeof err)) {
                hm_error("composite destination %s: filteredDestination selector \"%s\": %s",
                         v->name, v->filter[f], err);
                return HM_ESELECTOR;
            }
        }
    }
    return APR_SUCCESS;
}

/* The composition root: the features that listen to the core's events (hm_events.h).  The core
 * (consumers, queues, destinations, routing, usage) raises them without naming any feature. */
static void subscribe_features(hm_broker_t *b)
{
    HM_EV_SUBSCRIBE(b, dest_created, hm_adv_dest_created);
    HM_EV_SUBSCRIBE(b, consumer, hm_adv_consumer);
    HM_EV_SUBSCRIBE(b, watching, hm_adv_replay);
    HM_EV_SUBSCRIBE(b, unsubscribed, hm_adv_unsubscribed);
    HM_EV_SUBSCRIBE(b, message, hm_adv_message);
    HM_EV_SUBSCRIBE(b, sent, hm_adv_sent);
    HM_EV_SUBSCRIBE(b, full, hm_dest_full);
    HM_EV_SUBSCRIBE(b, dead_letter, hm_dead_letter);
    HM_EV_SUBSCRIBE(b, tick, hm_sched_tick_locked);
    HM_EV_SUBSCRIBE(b, tick, hm_adv_tick_locked);
    HM_EV_SUBSCRIBE(b, request, hm_stats_intercept);
    HM_EV_SUBSCRIBE(b, take, hm_sched_take_locked);
    HM_EV_SUBSCRIBE(b, hold, hm_sched_hold_locked);
    HM_EV_SUBSCRIBE(b, settle, hm_sched_settle_locked);
}

apr_status_t hm_broker_create(apr_pool_t *pool, const hm_broker_opts_t *opts, hm_broker_t **out)
{
    hm_broker_t *b = apr_pcalloc(pool, sizeof *b);
    apr_status_t st = apr_thread_mutex_create(&b->lock, APR_THREAD_MUTEX_NESTED, pool);
    if (st)
        return st;
    b->pool = pool;
    b->started = apr_time_now();
    b->opts = *opts;
    b->store = opts->store;
    b->name = apr_pstrdup(pool, opts->name ? opts->name : "hermod");
    char host[64] = "localhost";
    gethostname(host, sizeof host - 1);
    b->id = apr_psprintf(pool, "%s-%d-%" APR_TIME_T_FMT, host, (int)getpid(), apr_time_sec(apr_time_now()));
    b->queues = apr_hash_make(pool);
    b->topics = apr_hash_make(pool);
    b->client_ids = apr_hash_make(pool);
    b->audit = apr_hash_make(pool);
    APR_RING_INIT(&b->clients, hm_client_s, link);
    APR_RING_INIT(&b->wild_queue_consumers, hm_consumer_s, wild_link);
    APR_RING_INIT(&b->wild_topic_subs, hm_sub_s, wild_link);
    b->durables = apr_hash_make(pool);
    b->xas = apr_hash_make(pool);
    b->consumers = apr_hash_make(pool);
    APR_RING_INIT(&b->pull_waiters, hm_consumer_s, pull_link);
    if ((st = compile_filters(b)) != APR_SUCCESS)
        return st;
    subscribe_features(b);
    if (opts->temp_dir) {
        uint64_t lim = opts->temp_limit > 0 ? (uint64_t)opts->temp_limit : 0;
        if ((st = st_temp_open(pool, opts->temp_dir, lim, &b->temp)) != APR_SUCCESS) {
            hm_warn("temporary storage in %s cannot be opened (%s): non-persistent messages stay in "
                    "memory and hold producers at the memory limit", opts->temp_dir, hm_strerror(st));
            b->temp = NULL;
        }
    }
    *out = b;
    return APR_SUCCESS;
}

void hm_broker_stopping(hm_broker_t *b)
{
    hm_lock(b);
    b->stopping = 1;
    hm_unlock(b);
}

void hm_broker_destroy(hm_broker_t *b)
{
    hm_broker_stopping(b);
    hm_lock(b);
    while (!APR_RING_EMPTY(&b->clients, hm_client_s, link)) {
        hm_client_t *c = APR_RING_FIRST(&b->clients);
        hm_unlock(b);
        hm_client_close(c);
        hm_lock(b);
    }
    hm_xa_destroy_locked(b);              /* before the queues its held entries belong to */
    for (apr_hash_index_t *hi = apr_hash_first(NULL, b->durables); hi; hi = apr_hash_first(NULL, b->durables))
        hm_sub_destroy(apr_hash_this_val(hi), 0);
    for (apr_hash_index_t *hi = apr_hash_first(NULL, b->queues); hi; hi = apr_hash_first(NULL, b->queues))
        hm_queue_free(apr_hash_this_val(hi));
    for (apr_hash_index_t *hi = apr_hash_first(NULL, b->topics); hi; hi = apr_hash_first(NULL, b->topics)) {
        hm_topic_free(b, apr_hash_this_val(hi));
    }
    hm_sched_destroy(b);
    hm_audit_destroy(b);
    st_temp_close(b->temp);
    b->temp = NULL;
    hm_unlock(b);
}

const char *hm_broker_name(const hm_broker_t *b) { return b->name; }
const hm_broker_opts_t *hm_broker_options(const hm_broker_t *b) { return &b->opts; }
const char *hm_broker_id(const hm_broker_t *b) { return b->id; }

apr_status_t hm_client_open(hm_broker_t *b, const char *connection_id, const char *client_id,
                            const char *user, hm_client_t **out, char *err, size_t errlen)
{
    hm_client_info_t info = { connection_id, client_id, user, NULL };
    return hm_client_open_info(b, &info, out, err, errlen);
}

apr_status_t hm_client_open_info(hm_broker_t *b, const hm_client_info_t *info, hm_client_t **out,
                                 char *err, size_t errlen)
{
    const char *connection_id = info->connection_id, *client_id = info->client_id, *user = info->user;
    hm_lock(b);
    if (client_id && *client_id && apr_hash_get(b->client_ids, client_id, APR_HASH_KEY_STRING)) {
        snprintf(err, errlen, "Broker: %s - Client: %s already connected", b->name, client_id);
        hm_unlock(b);
        return HM_EEXISTS;
    }
    hm_client_t *c = calloc(1, sizeof *c);
    apr_pool_t *p;      /* the client's own pool: names and its temporary destination list */
    if (!c || apr_pool_create(&p, b->pool) != APR_SUCCESS) {
        free(c);
        hm_unlock(b);
        return APR_ENOMEM;
    }
    /* authentication: under the broker lock, so an authenticator must answer from memory */
    const hm_auth_ops_t *auth = b->opts.auth ? b->opts.auth : &hm_auth_allow_all;
    hm_credentials_t cr = { user, info->password, info->cert_subject, client_id, info->client_ip,
                            info->tls };
    apr_status_t ast = auth->authenticate(b->opts.auth_baton, &cr, p, &c->principal, err, errlen);
    if (ast) {
        apr_pool_destroy(p);
        free(c);
        hm_auth_log_refusal_locked(b, info->client_ip, connection_id, user, err);
        hm_unlock(b);
        return HM_ENOTALLOWED;
    }
    c->temps = apr_array_make(p, 2, sizeof(hm_dname_t));
    c->producers = apr_hash_make(p);
    c->b = b;
    if ((ast = hm_authorize_adv_connection_locked(c, err, errlen)) != APR_SUCCESS) {
        hm_auth_log_refusal_locked(b, info->client_ip, connection_id, user, err);
        apr_pool_destroy(p);
        free(c);
        hm_unlock(b);
        return ast;
    }
    c->serial = ++b->next_client;
    c->connection_id = apr_pstrdup(p, connection_id ? connection_id : "");
    c->client_id = client_id && *client_id ? apr_pstrdup(p, client_id) : NULL;
    c->user = user ? apr_pstrdup(p, user) : NULL;
    c->client_ip = info->client_ip ? apr_pstrdup(p, info->client_ip) : NULL;
    APR_RING_INIT(&c->consumers, hm_consumer_s, link);
    APR_RING_INSERT_TAIL(&b->clients, c, hm_client_s, link);
    if (c->client_id)
        apr_hash_set(b->client_ids, c->client_id, APR_HASH_KEY_STRING, c);
    hm_adv_connection(c, 1);
    *out = c;
    hm_unlock(b);
    return APR_SUCCESS;
}


static int temp_index(hm_client_t *c, hm_dname_t d)
{
    for (int i = 0; i < c->temps->nelts; i++) {
        hm_dname_t t = APR_ARRAY_IDX(c->temps, i, hm_dname_t);
        if (t.kind == d.kind && strcmp(t.name, d.name) == 0)
            return i;
    }
    return -1;
}

apr_status_t hm_temp_dest_create(hm_client_t *c, hm_dname_t d)
{
    hm_broker_t *b = c->b;
    char err[128];
    apr_status_t st = hm_name_check(d.name, err, sizeof err);
    if (st || !HM_KIND_IS_TEMP(d.kind))
        return st ? st : HM_EINVAL;
    if ((st = hm_authorize(c, HM_AUTHZ_ADMIN, d, NULL, 0)) || (st = hm_authorize_adv_dest(c, d, NULL, 0)))
        return st;
    hm_lock(b);
    if (temp_index(c, d) >= 0) {
        hm_unlock(b);
        return APR_SUCCESS;
    }
    if (c->temps->nelts >= HM_MAX_TEMP_PER_CLIENT) {
        hm_unlock(b);
        return HM_ENOSPACE;
    }
    if (d.kind == HM_TEMP_QUEUE ? hm_queue_find(b, d.kind, d.name) != NULL
                                : hm_topic_find(b, d.kind, d.name) != NULL) {
        hm_unlock(b);
        return HM_EEXISTS;
    }
    /* the name is malloc'd, freed by temp_delete_locked: a connection that makes and deletes
     * temporary destinations for ever must not grow (the array stays within
     * HM_MAX_TEMP_PER_CLIENT entries; its pool was where the names piled up) */
    char *name = strdup(d.name);
    if (!name || !(d.kind == HM_TEMP_QUEUE ? (void *)hm_queue_create(b, d, c) : (void *)hm_topic_create(b, d, c))) {
        free(name);
        hm_unlock(b);
        return APR_ENOMEM;
    }
    hm_dname_t *slot = apr_array_push(c->temps);
    slot->kind = d.kind;
    slot->name = name;
    hm_adv_dest(b, HM_ADV_DEST_ADD, *slot, c->connection_id);
    hm_unlock(b);
    return APR_SUCCESS;
}

/* Removes a temporary destination; its remaining messages are dropped, as on ActiveMQ. */
static apr_status_t temp_delete_locked(hm_client_t *c, int i, int force, char *err, size_t errlen)
{
    hm_broker_t *b = c->b;
    hm_dname_t d = APR_ARRAY_IDX(c->temps, i, hm_dname_t);
    if (d.kind == HM_TEMP_QUEUE) {
        hm_queue_t *q = hm_queue_find(b, d.kind, d.name);
        if (q && !force && !APR_RING_EMPTY(&q->consumers, hm_attach_s, link)) {
            snprintf(err, errlen, "Destination still has an active subscription: temp-queue://%s", d.name);
            return HM_EPROTO;
        }
        if (q) {
            while (!APR_RING_EMPTY(&q->consumers, hm_attach_s, link))
                hm_consumer_close_locked(APR_RING_FIRST(&q->consumers)->c, UINT64_MAX);
            hm_queue_free(q);
        }
    } else {
        hm_topic_t *t = hm_topic_find(b, d.kind, d.name);
        if (t && !force && !APR_RING_EMPTY(&t->subs, hm_tsub_s, link)) {
            snprintf(err, errlen, "Destination still has an active subscription: temp-topic://%s", d.name);
            return HM_EPROTO;
        }
        if (t) {
            while (!APR_RING_EMPTY(&t->subs, hm_tsub_s, link)) {
                hm_sub_t *s = APR_RING_FIRST(&t->subs)->sub;
                if (s->active)
                    hm_consumer_close_locked(s->active, UINT64_MAX);
                else
                    hm_sub_destroy(s, 1);
            }
            hm_topic_free(b, t);
        }
    }
    hm_adv_dest(b, HM_ADV_DEST_REMOVE, d, c->connection_id);
    APR_ARRAY_IDX(c->temps, i, hm_dname_t) = APR_ARRAY_IDX(c->temps, c->temps->nelts - 1, hm_dname_t);
    c->temps->nelts--;
    free((char *)d.name);
    return APR_SUCCESS;
}

apr_status_t hm_temp_dest_delete(hm_client_t *c, hm_dname_t d, char *err, size_t errlen)
{
    hm_lock(c->b);
    int i = temp_index(c, d);
    apr_status_t st = i < 0 ? APR_SUCCESS : temp_delete_locked(c, i, 0, err, errlen);
    hm_unlock(c->b);
    return st;
}

apr_status_t hm_dest_ensure(hm_broker_t *b, hm_dname_t d)
{
    char err[128];
    apr_status_t st = hm_name_check(d.name, err, sizeof err);
    if (st || HM_KIND_IS_TEMP(d.kind) || hm_name_is_wildcard(d.name))
        return st;
    hm_lock(b);
    void *made = HM_KIND_IS_QUEUE(d.kind) ? (void *)hm_queue_get(b, d.kind, d.name)
                                          : (void *)hm_topic_get(b, d.kind, d.name);
    hm_unlock(b);
    return made ? APR_SUCCESS : APR_ENOMEM;
}

void hm_client_close(hm_client_t *c)
{
    hm_broker_t *b = c->b;
    char err[160];
    hm_lock(b);
    while (!APR_RING_EMPTY(&c->consumers, hm_consumer_s, link))
        hm_consumer_close_locked(APR_RING_FIRST(&c->consumers), UINT64_MAX);
    while (c->temps->nelts > 0)
        temp_delete_locked(c, c->temps->nelts - 1, 1, err, sizeof err);
    hm_adv_client_close(c);
    if (c->client_id && apr_hash_get(b->client_ids, c->client_id, APR_HASH_KEY_STRING) == c)
        apr_hash_set(b->client_ids, c->client_id, APR_HASH_KEY_STRING, NULL);
    APR_RING_REMOVE(c, link);
    apr_pool_destroy(c->temps->pool);
    free(c);
    hm_unlock(b);
}

apr_status_t hm_dest_create(hm_client_t *c, hm_dname_t d)
{
    apr_status_t st = hm_authorize_create(c, d, NULL, 0);
    return st ? st : hm_dest_ensure(c->b, d);
}

/* Start-up: the queues and durable subscriptions, then prepared XA branches, then scheduled
 * jobs, each from the store; progress is logged. */
apr_status_t hm_broker_recover(hm_broker_t *b)
{
    if (!b->store)
        return APR_SUCCESS;
    apr_time_t start = apr_time_now();
    hm_loaded_t r;
    apr_status_t st = hm_persist_load(b, &r);
    if (st == APR_SUCCESS)
        st = hm_audit_recover(b);
    if (st == APR_SUCCESS)
        st = hm_xa_recover_store(b);
    if (st == APR_SUCCESS && r.sched_dest)
        st = hm_sched_recover(b, r.sched_dest);
    if (st == APR_SUCCESS)
        hm_info("store: %llu persistent messages recovered from %d queues in %.1f s%s",
                (unsigned long long)r.messages, r.queues,
                (double)(apr_time_now() - start) / APR_USEC_PER_SEC,
                r.skipped ? "; damaged records were skipped" : "");
    return st;
}
