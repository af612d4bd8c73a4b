/* The broker's queue and topic tables: creating, getting and freeing their destinations
 * (names and lookups: hm_name.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hm_int.h"

static hm_queue_t *queue_alloc(hm_broker_t *b, hm_dname_t name)
{
    hm_queue_t *q = calloc(1, sizeof *q);
    char *nm = q ? strdup(name.name) : NULL;
    if (!nm) {
        free(q);
        return NULL;
    }
    q->b = b;
    q->name.kind = name.kind;
    q->name.name = nm;
    for (int i = 0; i < HM_PRIORITIES; i++)
        APR_RING_INIT(&q->avail[i], hm_qentry_s, link);
    APR_RING_INIT(&q->consumers, hm_attach_s, link);
    return q;
}

hm_queue_t *hm_queue_new_private(hm_broker_t *b, hm_dname_t name)
{
    hm_queue_t *q = queue_alloc(b, name);
    if (q) {
        q->private_sub = 1;
        hm_usage_policy(b, q, name);
    }
    return q;
}

hm_queue_t *hm_queue_create(hm_broker_t *b, hm_dname_t name, hm_client_t *owner)
{
    hm_queue_t *q = queue_alloc(b, name);
    if (!q || !(q->key = hm_dest_key(name.kind, name.name))) {
        if (q)
            hm_queue_free(q);
        return NULL;
    }
    q->owner = owner;
    hm_usage_policy(b, q, name);
    apr_hash_set(b->queues, q->key, APR_HASH_KEY_STRING, q);
    hm_consumer_attach_new_queue(b, q);
    if (!owner)
        HM_EV_EACH(b, dest_created, b, q->name);
    return q;
}

/* Creates an ordinary queue on first use; temporary queues must already exist. */
hm_queue_t *hm_queue_get(hm_broker_t *b, hm_dest_kind_e kind, const char *name)
{
    hm_queue_t *q = hm_queue_find(b, kind, name);
    if (q || kind == HM_TEMP_QUEUE)
        return q;
    return hm_queue_create(b, (hm_dname_t){ kind, name }, NULL);
}

void hm_queue_free(hm_queue_t *q)
{
    hm_spill_drop(q);
    for (int i = 0; i < HM_PRIORITIES; i++) {
        while (!APR_RING_EMPTY(&q->avail[i], hm_qentry_s, link)) {
            hm_qentry_t *e = APR_RING_FIRST(&q->avail[i]);
            APR_RING_REMOVE(e, link);
            hm_queue_entry_free(q, e);
        }
    }
    if (q->key)
        apr_hash_set(q->b->queues, q->key, APR_HASH_KEY_STRING, NULL);
    if (q->gpool)
        apr_pool_destroy(q->gpool);
    if (q->stray_pool)
        apr_pool_destroy(q->stray_pool);
    free(q->key);
    free((char *)q->name.name);
    free(q);
}

hm_topic_t *hm_topic_get(hm_broker_t *b, hm_dest_kind_e kind, const char *name)
{
    hm_topic_t *t = hm_topic_find(b, kind, name);
    if (t || kind == HM_TEMP_TOPIC)
        return t;
    return hm_topic_create(b, (hm_dname_t){ kind, name }, NULL);
}

hm_topic_t *hm_topic_create(hm_broker_t *b, hm_dname_t d, hm_client_t *owner)
{
    hm_dest_kind_e kind = d.kind;
    const char *name = d.name;
    hm_topic_t *t = calloc(1, sizeof *t);
    if (!t)
        return NULL;
    t->name.kind = kind;
    t->name.name = strdup(name);
    t->key = hm_dest_key(kind, name);
    if (!t->name.name || !t->key) {
        free((char *)t->name.name);
        free(t->key);
        free(t);
        return NULL;
    }
    APR_RING_INIT(&t->subs, hm_tsub_s, link);
    t->owner = owner;
    apr_hash_set(b->topics, t->key, APR_HASH_KEY_STRING, t);
    if (!owner && !hm_name_is_advisory(t->name))
        HM_EV_EACH(b, dest_created, b, t->name);
    return t;
}

/* Subscriptions remove themselves when their consumers close. */
void hm_topic_free(hm_broker_t *b, hm_topic_t *t)
{
    apr_hash_set(b->topics, t->key, APR_HASH_KEY_STRING, NULL);
    free(t->key);
    free((char *)t->name.name);
    free(t);
}
