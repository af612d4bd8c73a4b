/* Topic subscriptions: a private queue fed by one or more topics (names may be wildcards).
 * A plain subscription lives and dies with its consumer; a durable one is named by (client ID,
 * subscription name), keeps collecting while no consumer is attached, and is stored. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <apr_strings.h>

#include "hm_int.h"
#include "hm_log.h"
#include "st.h"

int hm_sub_wants(const hm_sub_t *s, const hm_msg_t *m)
{
    if (s->no_local && s->owner_client && m->producer_client == s->owner_client)
        return 0;
    return !s->selector || hm_selector_match(s->selector, m, 0);
}

static char *durable_key(apr_pool_t *p, const char *client_id, const char *name)
{
    return apr_pstrcat(p, client_id, "\n", name, NULL);
}

/* Registers the subscription with each named topic (or the wildcard list). */
static apr_status_t sub_register(hm_broker_t *b, hm_sub_t *s, char *err, size_t errlen)
{
    for (int i = 0; i < s->parts->nelts; i++) {
        const char *name = APR_ARRAY_IDX(s->parts, i, char *);
        if (hm_name_is_wildcard(name) && s->q->name.kind == HM_TOPIC) {
            s->wildcard = 1;
            continue;
        }
        hm_topic_t *t = hm_topic_get(b, s->q->name.kind, name);
        if (!t) {
            if (s->q->name.kind == HM_TEMP_TOPIC) {
                snprintf(err, errlen, "temporary destination %s does not exist", name);
                return HM_ENOTFOUND;
            }
            return APR_ENOMEM;
        }
        if (s->q->name.kind == HM_TEMP_TOPIC && s->owner && t->owner != s->owner) {
            snprintf(err, errlen, "cannot consume from temporary destination %s: it belongs to another connection", name);
            return HM_EDENIED;
        }
        hm_tsub_t *ts = apr_pcalloc(s->pool, sizeof *ts);
        ts->sub = s;
        ts->t = t;
        APR_RING_INSERT_TAIL(&t->subs, ts, hm_tsub_s, link);
        APR_ARRAY_PUSH(s->tsubs, hm_tsub_t *) = ts;
    }
    if (s->wildcard)
        APR_RING_INSERT_TAIL(&b->wild_topic_subs, s, hm_sub_s, wild_link);
    return APR_SUCCESS;
}

apr_status_t hm_sub_create(hm_broker_t *b, hm_dname_t dest, const char *selector, int no_local,
                           hm_client_t *owner, const char *client_id, const char *name,
                           hm_sub_t **out, char *err, size_t errlen)
{
    apr_pool_t *pool;
    apr_status_t st = apr_pool_create(&pool, b->pool);
    if (st)
        return st;
    hm_sub_t *s = apr_pcalloc(pool, sizeof *s);
    s->pool = pool;
    s->b = b;
    s->owner = owner;
    s->no_local = no_local;
    s->tsubs = apr_array_make(pool, 1, sizeof(hm_tsub_t *));
    s->parts = apr_array_make(pool, 2, sizeof(char *));
    APR_RING_ELEM_INIT(s, wild_link);
    s->topic = apr_pstrdup(pool, dest.name);
    s->selector_text = selector && *selector ? apr_pstrdup(pool, selector) : NULL;
    if (name) {
        s->client_id = apr_pstrdup(pool, client_id);
        s->name = apr_pstrdup(pool, name);
        s->key = durable_key(pool, client_id, name);
    }
    char *names = apr_pstrdup(pool, dest.name), *last = NULL;
    for (char *p = apr_strtok(names, ",", &last); p; p = apr_strtok(NULL, ",", &last)) {
        if (s->parts->nelts >= HM_MAX_COMPOSITE_PARTS) {
            snprintf(err, errlen, "composite destination has more than %d parts", HM_MAX_COMPOSITE_PARTS);
            apr_pool_destroy(pool);
            return HM_EINVAL;
        }
        APR_ARRAY_PUSH(s->parts, char *) = p;
    }
    if (s->selector_text && (st = hm_selector_compile(pool, s->selector_text, &s->selector, err, errlen))) {
        apr_pool_destroy(pool);
        return st;
    }
    if (!(s->q = hm_queue_new_private(b, dest))) {
        apr_pool_destroy(pool);
        return APR_ENOMEM;
    }
    s->q->sub = s;
    if ((st = sub_register(b, s, err, errlen)) != APR_SUCCESS) {
        hm_sub_destroy(s, 0);
        return st;
    }
    if (s->key)
        apr_hash_set(b->durables, s->key, APR_HASH_KEY_STRING, s);
    *out = s;
    return APR_SUCCESS;
}

/* Stores a new durable subscription (its id keys its entries in the store). */
apr_status_t hm_sub_persist(hm_sub_t *s)
{
    hm_broker_t *b = s->b;
    if (!b->store || !s->key)
        return APR_SUCCESS;
    st_sub_t rec = { s->client_id, s->name, s->selector_text, s->topic, s->no_local };
    return st_sub_put(b->store, &rec, &s->q->store_id);
}

void hm_sub_destroy(hm_sub_t *s, int forget)
{
    hm_broker_t *b = s->b;
    if (s->wildcard)
        APR_RING_REMOVE(s, wild_link);
    for (int i = 0; i < s->tsubs->nelts; i++)
        APR_RING_REMOVE(APR_ARRAY_IDX(s->tsubs, i, hm_tsub_t *), link);
    if (s->key && apr_hash_get(b->durables, s->key, APR_HASH_KEY_STRING) == s)
        apr_hash_set(b->durables, s->key, APR_HASH_KEY_STRING, NULL);
    if (forget && s->key && b->store) {
        apr_status_t st = st_sub_remove(b->store, s->client_id, s->name);
        if (st && st != HM_ENOTFOUND)
            hm_warn("store: removing durable subscription %s of %s: %s", s->name, s->client_id, hm_strerror(st));
    }
    hm_queue_free(s->q);
    apr_pool_destroy(s->pool);
}

hm_sub_t *hm_sub_find_durable(hm_broker_t *b, const char *client_id, const char *name)
{
    char buf[512];
    size_t cl = strlen(client_id), nl = strlen(name);
    if (cl + nl + 2 > sizeof buf)
        return NULL;
    memcpy(buf, client_id, cl);
    buf[cl] = '\n';
    memcpy(buf + cl + 1, name, nl + 1);
    return apr_hash_get(b->durables, buf, APR_HASH_KEY_STRING);
}

apr_status_t hm_durable_lookup(hm_broker_t *b, const char *client_id, const char *name,
                               apr_pool_t *pool, char **topic, char **selector, int *no_local)
{
    hm_lock(b);
    hm_sub_t *s = client_id && name ? hm_sub_find_durable(b, client_id, name) : NULL;
    if (s) {
        *topic = apr_pstrdup(pool, s->topic);
        *selector = s->selector_text ? apr_pstrdup(pool, s->selector_text) : NULL;
        *no_local = s->no_local;
    }
    hm_unlock(b);
    return s ? APR_SUCCESS : HM_ENOTFOUND;
}

/* Same subscription?  ActiveMQ replaces a durable subscription whose topic, selector or noLocal
 * changed (its backlog is dropped). */
int hm_sub_same(const hm_sub_t *s, hm_dname_t dest, const char *selector, int no_local)
{
    const char *a = s->selector_text ? s->selector_text : "";
    const char *b2 = selector ? selector : "";
    return strcmp(s->topic, dest.name) == 0 && strcmp(a, b2) == 0 && !s->no_local == !no_local;
}

apr_status_t hm_durable_remove(hm_client_t *c, const char *client_id, const char *name,
                               char *err, size_t errlen)
{
    hm_broker_t *b = c->b;
    hm_lock(b);
    hm_sub_t *s = client_id && name ? hm_sub_find_durable(b, client_id, name) : NULL;
    apr_status_t st = APR_SUCCESS;
    if (!s) {
        snprintf(err, errlen, "No durable subscription exists for clientID: %s and subscriptionName: %s",
                 client_id ? client_id : "", name ? name : "");
        st = HM_ENOTFOUND;
    } else if (s->active) {
        snprintf(err, errlen, "Durable consumer is in use for client: %s and subscriptionName: %s",
                 client_id, name);
        st = HM_EPROTO;
    } else {
        hm_dname_t topic = { s->q->name.kind, strdup(s->topic) };
        hm_sub_destroy(s, 1);
        if (topic.name)
            HM_EV_EACH(c->b, unsubscribed, c, topic, client_id, name);
        free((char *)topic.name);
    }
    hm_unlock(b);
    return st;
}

/* ------------------------------------------------------------------ recovery */

typedef struct recover_ctx_s {
    hm_broker_t *b;
    apr_array_header_t *subs;
} recover_ctx_t;

static void recover_one(void *baton, uint32_t dest_id, const st_sub_t *rec)
{
    recover_ctx_t *x = baton;
    hm_broker_t *b = x->b;
    hm_sub_t **slot = apr_array_push(x->subs);
    char err[256];
    hm_dname_t d = { HM_TOPIC, rec->topic };
    *slot = NULL;
    if (hm_sub_create(b, d, rec->selector, rec->no_local, NULL, rec->client_id, rec->name, slot,
                      err, sizeof err) != APR_SUCCESS) {
        hm_warn("store: durable subscription %s of %s cannot be restored: %s", rec->name, rec->client_id, err);
        *slot = NULL;
        return;
    }
    (*slot)->q->store_id = dest_id;
}

apr_status_t hm_sub_recover(hm_broker_t *b, apr_pool_t *tmp, apr_array_header_t **out)
{
    recover_ctx_t x = { b, apr_array_make(tmp, 8, sizeof(hm_sub_t *)) };
    apr_status_t st = st_sub_list(b->store, recover_one, &x);
    *out = x.subs;
    return st;
}
