/* Connections per remote address: a table of the addresses with open connections only, so it
 * is as large as the connections themselves (bounded by maximumConnections and the OS). */
#include <stdlib.h>
#include <string.h>

#include <apr_hash.h>
#include <apr_thread_mutex.h>

#include "hm_addrlimit.h"

typedef struct entry_s {
    int n;
    char ip[];
} entry_t;

struct hm_addrlimit_s {
    apr_thread_mutex_t *lock;
    apr_hash_t *open;              /* ip -> entry_t (malloc'd, key inside) */
    int max;
};

apr_status_t hm_addrlimit_create(apr_pool_t *pool, int max, hm_addrlimit_t **out)
{
    hm_addrlimit_t *a = apr_pcalloc(pool, sizeof *a);
    apr_status_t st = apr_thread_mutex_create(&a->lock, APR_THREAD_MUTEX_DEFAULT, pool);
    if (st)
        return st;
    a->open = apr_hash_make(pool);
    a->max = max;
    *out = a;
    return APR_SUCCESS;
}

int hm_addrlimit_take(hm_addrlimit_t *a, const char *ip)
{
    int ok = 1;
    apr_thread_mutex_lock(a->lock);
    entry_t *e = apr_hash_get(a->open, ip, APR_HASH_KEY_STRING);
    if (!e && (e = malloc(sizeof *e + strlen(ip) + 1)) != NULL) {
        e->n = 0;
        strcpy(e->ip, ip);
        apr_hash_set(a->open, e->ip, APR_HASH_KEY_STRING, e);
    }
    if (!e || e->n >= a->max)
        ok = 0;
    else
        e->n++;
    apr_thread_mutex_unlock(a->lock);
    return ok;
}

void hm_addrlimit_give(hm_addrlimit_t *a, const char *ip)
{
    apr_thread_mutex_lock(a->lock);
    entry_t *e = apr_hash_get(a->open, ip, APR_HASH_KEY_STRING);
    if (e && --e->n <= 0) {
        apr_hash_set(a->open, e->ip, APR_HASH_KEY_STRING, NULL);
        free(e);
    }
    apr_thread_mutex_unlock(a->lock);
}
