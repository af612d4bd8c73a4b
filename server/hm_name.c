/* Destination names (checks, wildcard matching, advisory names) and looking them up in the
 * broker's queue and topic tables; nothing here creates or frees a destination (hm_dest.c). */
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

char *hm_dest_key(hm_dest_kind_e kind, const char *name)
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
        *heap = hm_dest_key(kind, name);
        return *heap;
    }
    buf[0] = "qtQT"[kind];
    buf[1] = ':';
    memcpy(buf + 2, name, len + 1);
    return buf;
}

/* A destination in one of the broker's tables, without allocating for usual names. */
static void *table_get(apr_hash_t *table, hm_dest_kind_e kind, const char *name)
{
    char buf[256], *heap;
    const char *key = lookup_key(kind, name, buf, sizeof buf, &heap);
    void *found = key ? apr_hash_get(table, key, APR_HASH_KEY_STRING) : NULL;
    free(heap);
    return found;
}

hm_queue_t *hm_queue_find(hm_broker_t *b, hm_dest_kind_e kind, const char *name)
{
    return table_get(b->queues, kind, name);
}

hm_topic_t *hm_topic_find(hm_broker_t *b, hm_dest_kind_e kind, const char *name)
{
    return table_get(b->topics, kind, name);
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
