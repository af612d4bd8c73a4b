/* The broker lifecycle (hm_life.h): the state, the standby wait for the store's lease, and the
 * watch that fences an active broker whose lease is gone. */
#include <apr_thread_cond.h>
#include <apr_thread_mutex.h>
#include <apr_thread_proc.h>

#include "hm_life.h"
#include "hm_log.h"

struct hm_life_s {
    apr_pool_t *pool;
    apr_thread_mutex_t *mu;
    apr_thread_cond_t *cv;         /* signalled on a stop request */
    hm_life_state_e state;
    int stop;
    hm_fence_fn fence;
    void *baton;
    st_lease_t *watched;
    int watch_ms;
    apr_thread_t *watcher;
};

static const char *const names[] = { "starting", "standby", "recovering", "active", "stopping",
                                     "fenced" };

const char *hm_life_name(hm_life_state_e s)
{
    return (unsigned)s < sizeof names / sizeof names[0] ? names[s] : "?";
}

apr_status_t hm_life_create(apr_pool_t *pool, hm_fence_fn fence, void *baton, hm_life_t **out)
{
    hm_life_t *l = apr_pcalloc(pool, sizeof *l);
    apr_status_t st;
    if ((st = apr_thread_mutex_create(&l->mu, APR_THREAD_MUTEX_DEFAULT, pool)) ||
        (st = apr_thread_cond_create(&l->cv, pool)))
        return st;
    l->pool = pool;
    l->fence = fence;
    l->baton = baton;
    l->state = HM_LIFE_STARTING;
    *out = l;
    return APR_SUCCESS;
}

hm_life_state_e hm_life_state(hm_life_t *l)
{
    apr_thread_mutex_lock(l->mu);
    hm_life_state_e s = l->state;
    apr_thread_mutex_unlock(l->mu);
    return s;
}

void hm_life_set(hm_life_t *l, hm_life_state_e s)
{
    apr_thread_mutex_lock(l->mu);
    hm_life_state_e was = l->state;
    /* fenced is final: nothing may bring a fenced broker back */
    if (was != HM_LIFE_FENCED)
        l->state = s;
    apr_thread_mutex_unlock(l->mu);
    if (was != s && was != HM_LIFE_FENCED)
        hm_info("broker state: %s -> %s", hm_life_name(was), hm_life_name(s));
}

void hm_life_request_stop(hm_life_t *l)
{
    apr_thread_mutex_lock(l->mu);
    l->stop = 1;
    apr_thread_cond_broadcast(l->cv);
    apr_thread_mutex_unlock(l->mu);
}

int hm_life_stop_requested(hm_life_t *l)
{
    apr_thread_mutex_lock(l->mu);
    int s = l->stop;
    apr_thread_mutex_unlock(l->mu);
    return s;
}

/* Sleeps up to ms unless a stop is requested; returns the stop flag. */
static int nap(hm_life_t *l, int ms)
{
    apr_thread_mutex_lock(l->mu);
    if (!l->stop)
        apr_thread_cond_timedwait(l->cv, l->mu, apr_time_from_msec(ms));
    int s = l->stop;
    apr_thread_mutex_unlock(l->mu);
    return s;
}

apr_status_t hm_life_acquire(hm_life_t *l, st_lease_t *lease, int poll_ms)
{
    for (int waited = 0;; waited++) {
        if (hm_life_stop_requested(l))
            return HM_ECLOSED;
        apr_status_t st = st_lease_try(lease);
        if (st == APR_SUCCESS) {
            hm_life_set(l, HM_LIFE_RECOVERING);
            return APR_SUCCESS;
        }
        if (st != ST_EBUSY)
            return st;
        if (!waited) {
            char who[512];
            lease->ops->holder(lease, who, sizeof who);
            hm_life_set(l, HM_LIFE_STANDBY);
            hm_info("standby: the store's %s is taken: %s; waiting for it (not listening)",
                    lease->ops->name, who);
        }
        if (nap(l, poll_ms))
            return HM_ECLOSED;
    }
}

static void *APR_THREAD_FUNC watch_main(apr_thread_t *t, void *arg)
{
    hm_life_t *l = arg;
    while (!nap(l, l->watch_ms)) {
        if (hm_life_state(l) != HM_LIFE_ACTIVE)
            continue;
        if (!st_lease_still_held(l->watched)) {
            hm_life_set(l, HM_LIFE_FENCED);
            hm_error("fenced: the store's %s was lost; this broker stops serving and writes nothing",
                     l->watched->ops->name);
            l->fence(l->baton, "lease lost");
            break;
        }
    }
    return NULL;
}

apr_status_t hm_life_watch(hm_life_t *l, st_lease_t *lease, int poll_ms)
{
    l->watched = lease;
    l->watch_ms = poll_ms > 0 ? poll_ms : 1000;
    apr_threadattr_t *ta;
    apr_status_t st = apr_threadattr_create(&ta, l->pool);
    if (!st)
        st = apr_threadattr_detach_set(ta, 1);
    return st ? st : apr_thread_create(&l->watcher, ta, watch_main, l, l->pool);
}
