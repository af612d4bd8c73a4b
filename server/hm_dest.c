/* Destination names, wildcard matching, and the broker's queue and topic tables. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hm_int.h"

int hm_name_is_wildcard(const char *name)
{
    for (const char *p = name; *p; p++) {
        if ((*p == '*' || *p == '>') && (p == name || p[-1] == '.') && (p[1] == '.' || p[1] == 0))
            return 1;
    }
    return 0;
}

/* Why iterative: names come from the wire, so no recursion whose depth a client chooses.
 * Segments are separated by '.'; '*' matches one segment, '>' one or more remaining ones. */
int hm_name_matches(const char *pat, const char *name)
{
    const char *p = pat, *n = name;
    for (;;) {
        const char *pe = strchr(p, '.'), *ne = strchr(n, '.');
        size_t pl = pe ? (size_t)(pe - p) : strlen(p);
        size_t nl = ne ? (size_t)(ne - n) : strlen(n);
        if (pl == 1 && p[0] == '>')
            return 1;                      /* n has at least this segment */
        if (!(pl == 1 && p[0] == '*') && (pl != nl || memcmp(p, n, pl) != 0))
            return 0;
        if (!pe || !ne)
            return !pe && !ne;
        p = pe + 1;
        n = ne + 1;
    }
}

apr_status_t hm_name_check(const char *name, char *err, size_t errlen)
{
    size_t len = name ? strlen(name) : 0;
    if (len == 0) {
        snprintf(err, errlen, "destination name is empty");
        return HM_EINVAL;
    }
    if (len > HM_MAX_DEST_NAME) {
        snprintf(err, errlen, "destination name of %zu bytes exceeds %d", len, HM_MAX_DEST_NAME);
        return HM_EINVAL;
    }
    return APR_SUCCESS;
}

static char *make_key(hm_dest_kind_e kind, const char *name)
{
    size_t len = strlen(name);
    char *k = malloc(len + 3);
    if (!k)
        return NULL;
    k[0] = "qtQT"[kind];
    k[1] = ':';
    memcpy(k + 2, name, len + 1);
    return k;
}

static const char *lookup_key(hm_dest_kind_e kind, const char *name, char *buf, size_t cap,
                              char **heap)
{
    size_t len = strlen(name);
    *heap = NULL;
    if (len + 3 > cap) {
        *heap = make_key(kind, name);
        return *heap;
    }
    buf[0] = "qtQT"[kind];
    buf[1] = ':';
    memcpy(buf + 2, name, len + 1);
    return buf;
}

hm_queue_t *hm_queue_find(hm_broker_t *b, hm_dest_kind_e kind, const char *name)
{
    char buf[256], *heap;
    const char *key = lookup_key(kind, name, buf, sizeof buf, &heap);
    hm_queue_t *q = key ? apr_hash_get(b->queues, key, APR_HASH_KEY_STRING) : NULL;
    free(heap);
    return q;
}

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
    if (!q || !(q->key = make_key(name.kind, name.name))) {
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

hm_topic_t *hm_topic_find(hm_broker_t *b, hm_dest_kind_e kind, const char *name)
{
    char buf[256], *heap;
    const char *key = lookup_key(kind, name, buf, sizeof buf, &heap);
    hm_topic_t *t = key ? apr_hash_get(b->topics, key, APR_HASH_KEY_STRING) : NULL;
    free(heap);
    return t;
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
    t->key = make_key(kind, name);
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

/* One part of a (possibly composite) name names an advisory topic. */
static int part_is_advisory(const char *p, size_t len, hm_dest_kind_e kind)
{
    size_t pl = strlen(HM_ADV_PREFIX);
    if (len >= 8 && strncmp(p, "topic://", 8) == 0) {
        p += 8;
        len -= 8;
        kind = HM_TOPIC;
    } else if (len >= 8 && strncmp(p, "queue://", 8) == 0) {
        return 0;
    }
    return kind == HM_TOPIC && len >= pl && strncmp(p, HM_ADV_PREFIX, pl) == 0;
}

int hm_name_is_advisory(hm_dname_t d)
{
    if (!d.name)
        return 0;
    const char *p = d.name;
    for (;;) {
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        if (part_is_advisory(p, len, d.kind))
            return 1;
        if (!comma)
            return 0;
        p = comma + 1;
    }
}
