/* The last hour of each destination's depth and counters, for the console's charts: a thread
 * of its own takes a snapshot (hm_admin_dests) every MG_HISTORY_STEP_S and keeps
 * MG_HISTORY_SAMPLES of them per destination, for at most MG_HISTORY_DESTS destinations, so
 * memory stays bounded whatever the broker holds. */
#include <stdlib.h>
#include <string.h>

#include <apr_hash.h>
#include <apr_strings.h>
#include <apr_thread_cond.h>
#include <apr_thread_mutex.h>
#include <apr_thread_proc.h>

#include "hm_limits.h"
#include "mg_history.h"
#include "mg_text.h"

typedef struct sample_s {
    uint64_t pending, enqueued, dequeued;
} sample_t;

typedef struct series_s {
    int64_t first_ms;              /* time of samples[head] */
    size_t head, n;                /* a ring of n samples, oldest at head */
    uint64_t seen;                 /* the round it was last seen in (gone ones are dropped) */
    sample_t samples[MG_HISTORY_SAMPLES];
    char key[];                    /* its hash key, freed with it */
} series_t;

struct mg_history_s {
    hm_broker_t *b;
    apr_pool_t *pool;
    apr_hash_t *series;            /* "q:NAME" / "t:NAME" -> series_t (malloc'd with its key) */
    apr_thread_mutex_t *mu;        /* series, between the sampler and the HTTP thread */
    apr_thread_cond_t *wake;
    apr_thread_t *thread;
    uint64_t round;
    int64_t last_ms;               /* when the last round was taken */
    int stop;
};

static char *key_of(hm_dname_t d, char *buf, size_t cap)
{
    apr_snprintf(buf, cap, "%c:%s", d.kind == HM_QUEUE ? 'q' : 't', d.name);
    return buf;
}

/* One round: every listed destination gets a sample; destinations gone since are forgotten. */
static void take_round(mg_history_t *h)
{
    apr_pool_t *tmp;
    if (apr_pool_create(&tmp, NULL) != APR_SUCCESS)
        return;
    apr_array_header_t *a;
    hm_admin_dests(h->b, tmp, &a);
    int64_t now = (int64_t)apr_time_as_msec(apr_time_now());
    apr_thread_mutex_lock(h->mu);
    h->round++;
    h->last_ms = now;
    for (int i = 0; i < a->nelts; i++) {
        const hm_admin_dest_t *d = &APR_ARRAY_IDX(a, i, hm_admin_dest_t);
        char kb[HM_MAX_DEST_NAME + 3];
        const char *k = key_of(d->name, kb, sizeof kb);
        series_t *s = apr_hash_get(h->series, k, APR_HASH_KEY_STRING);
        if (!s) {
            size_t kl = strlen(k) + 1;
            if (apr_hash_count(h->series) >= MG_HISTORY_DESTS || !(s = calloc(1, sizeof *s + kl)))
                continue;
            s->first_ms = now;
            memcpy(s->key, k, kl);
            apr_hash_set(h->series, s->key, APR_HASH_KEY_STRING, s);
        }
        sample_t v = { d->pending, d->enqueued, d->dequeued };
        if (s->n < MG_HISTORY_SAMPLES) {
            s->samples[(s->head + s->n++) % MG_HISTORY_SAMPLES] = v;
        } else {
            s->samples[s->head] = v;
            s->head = (s->head + 1) % MG_HISTORY_SAMPLES;
            s->first_ms += MG_HISTORY_STEP_S * 1000;
        }
        s->seen = h->round;
    }
    for (apr_hash_index_t *hi = apr_hash_first(tmp, h->series); hi; hi = apr_hash_next(hi)) {
        series_t *s = apr_hash_this_val(hi);
        if (s->seen != h->round) {
            apr_hash_set(h->series, s->key, APR_HASH_KEY_STRING, NULL);
            free(s);
        }
    }
    apr_thread_mutex_unlock(h->mu);
    apr_pool_destroy(tmp);
}

static void *APR_THREAD_FUNC sampler(apr_thread_t *t, void *arg)
{
    mg_history_t *h = arg;
    apr_thread_mutex_lock(h->mu);
    while (!h->stop) {
        apr_thread_mutex_unlock(h->mu);
        take_round(h);
        apr_thread_mutex_lock(h->mu);
        if (!h->stop)
            apr_thread_cond_timedwait(h->wake, h->mu, apr_time_from_sec(MG_HISTORY_STEP_S));
    }
    apr_thread_mutex_unlock(h->mu);
    apr_thread_exit(t, APR_SUCCESS);
    return NULL;
}

apr_status_t mg_history_start(apr_pool_t *pool, hm_broker_t *b, mg_history_t **out)
{
    mg_history_t *h = apr_pcalloc(pool, sizeof *h);
    h->b = b;
    apr_status_t st;
    if ((st = apr_pool_create(&h->pool, pool)) || (st = apr_thread_mutex_create(&h->mu, 0, pool)) ||
        (st = apr_thread_cond_create(&h->wake, pool)))
        return st;
    h->series = apr_hash_make(h->pool);
    if ((st = apr_thread_create(&h->thread, NULL, sampler, h, pool)) != APR_SUCCESS)
        return st;
    *out = h;
    return APR_SUCCESS;
}

void mg_history_stop(mg_history_t *h)
{
    if (!h || !h->thread)
        return;
    apr_thread_mutex_lock(h->mu);
    h->stop = 1;
    apr_thread_cond_signal(h->wake);
    apr_thread_mutex_unlock(h->mu);
    apr_status_t rv;
    apr_thread_join(&rv, h->thread);
    h->thread = NULL;
    /* each key lives in its series: take the entry out of the table before freeing it */
    for (apr_hash_index_t *hi = apr_hash_first(h->pool, h->series); hi;) {
        series_t *s = apr_hash_this_val(hi);
        hi = apr_hash_next(hi);
        apr_hash_set(h->series, s->key, APR_HASH_KEY_STRING, NULL);
        free(s);
    }
}

int mg_history_json(mg_history_t *h, hm_dname_t d, hm_wbuf_t *w)
{
    char kb[HM_MAX_DEST_NAME + 3];
    apr_thread_mutex_lock(h->mu);
    const series_t *s = apr_hash_get(h->series, key_of(d, kb, sizeof kb), APR_HASH_KEY_STRING);
    if (s) {
        mg_printf(w, "{\"stepSeconds\":%d,\"first\":%lld,\"samples\":[", MG_HISTORY_STEP_S,
                  (long long)s->first_ms);
        for (size_t i = 0; i < s->n; i++) {
            const sample_t *v = &s->samples[(s->head + i) % MG_HISTORY_SAMPLES];
            mg_printf(w, "%s[%llu,%llu,%llu]", i ? "," : "", (unsigned long long)v->pending,
                      (unsigned long long)v->enqueued, (unsigned long long)v->dequeued);
        }
        mg_puts(w, "]}\n");
    }
    apr_thread_mutex_unlock(h->mu);
    return s != NULL;
}
