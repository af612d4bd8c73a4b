/* The broker lifecycle (hm_life.h): the state, the standby wait for the store's lease, and the
 * watch that fences an active broker whose lease is gone. */
#include <apr_thread_cond.h>
#include <apr_thread_mutex.h>
#include <apr_thread_proc.h>

#include <stdio.h>

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
    int unwatch;                   /* the watch threads end (before the lease is released) */
    int fenced;
    int fail_if_taken;
    apr_thread_t *watcher, *watchdog;
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

/* Sleeps up to ms unless *flag is set (under mu); returns the flag: nap ends at a stop
 * request, watch_nap when the watch ends. */
static int nap_until(hm_life_t *l, int ms, const int *flag)
{
    apr_thread_mutex_lock(l->mu);
    if (!*flag)
        apr_thread_cond_timedwait(l->cv, l->mu, apr_time_from_msec(ms));
    int s = *flag;
    apr_thread_mutex_unlock(l->mu);
    return s;
}

static int nap(hm_life_t *l, int ms)
{
    return nap_until(l, ms, &l->stop);
}

static int watch_nap(hm_life_t *l, int ms)
{
    return nap_until(l, ms, &l->unwatch);
}

void hm_life_fail_if_taken(hm_life_t *l, int on)
{
    l->fail_if_taken = on;
}

apr_status_t hm_life_acquire(hm_life_t *l, st_lease_t *lease, int poll_ms)
{
    /* a time-limited lease is known to be taken only once it was seen renewed within a lease */
    int64_t decided = st_lease_now_us() + (int64_t)lease->lease_ms * 1000 + 2000 * (int64_t)poll_ms;
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
        if (l->fail_if_taken && (!lease->lease_ms || st_lease_now_us() > decided))
            return ST_EBUSY;
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

/* Once only, from whichever watch thread sees it first. */
static void fence(hm_life_t *l, const char *why)
{
    apr_thread_mutex_lock(l->mu);
    int first = !l->fenced;
    l->fenced = 1;
    apr_thread_mutex_unlock(l->mu);
    if (!first)
        return;
    hm_life_set(l, HM_LIFE_FENCED);
    hm_error("fenced: %s; this broker stops serving and writes nothing more", why);
    l->fence(l->baton, why);
}

static int watching(hm_life_t *l)
{
    hm_life_state_e s = hm_life_state(l);
    return s == HM_LIFE_ACTIVE || s == HM_LIFE_STOPPING || s == HM_LIFE_RECOVERING;
}

/* Renews (a time-limited lease) or checks (a lock) the lease every watch_ms, also while stopping:
 * a stopping broker still writes (its last commits, a checkpoint) until it releases the lease. */
static void *APR_THREAD_FUNC watch_main(apr_thread_t *t, void *arg)
{
    hm_life_t *l = arg;
    while (!watch_nap(l, l->watch_ms)) {
        if (watching(l) && !st_lease_still_held(l->watched)) {
            char why[128];
            snprintf(why, sizeof why, "the store's %s was lost", l->watched->ops->name);
            fence(l, why);
            break;
        }
    }
    return NULL;
}

/* Why a second thread: the renewal itself may hang (a stalled disk, a hung file server), and
 * the broker must still stop before its lease can have lapsed.  This one only reads a clock. */
static void *APR_THREAD_FUNC watchdog_main(apr_thread_t *t, void *arg)
{
    hm_life_t *l = arg;
    st_lease_t *lease = l->watched;
    int step = lease->renew_ms / 4 < 50 ? lease->renew_ms / 4 : 50;
    while (!watch_nap(l, step > 5 ? step : 5)) {
        int64_t until = lease->ops->valid_until(lease);
        if (watching(l) && st_lease_now_us() >= until) {
            char why[128];
            snprintf(why, sizeof why, "the store's %s was not renewed before its deadline",
                     lease->ops->name);
            fence(l, why);
            break;
        }
    }
    return NULL;
}

apr_status_t hm_life_watch(hm_life_t *l, st_lease_t *lease, int poll_ms)
{
    l->watched = lease;
    l->watch_ms = poll_ms > 0 ? poll_ms : 1000;
    apr_status_t st = apr_thread_create(&l->watcher, NULL, watch_main, l, l->pool);
    if (st == APR_SUCCESS && lease->lease_ms > 0)
        st = apr_thread_create(&l->watchdog, NULL, watchdog_main, l, l->pool);
    return st;
}

void hm_life_unwatch(hm_life_t *l)
{
    apr_status_t rv;
    apr_thread_mutex_lock(l->mu);
    l->unwatch = 1;
    apr_thread_cond_broadcast(l->cv);
    apr_thread_mutex_unlock(l->mu);
    if (l->watcher)
        apr_thread_join(&rv, l->watcher);
    if (l->watchdog)
        apr_thread_join(&rv, l->watchdog);
    l->watcher = l->watchdog = NULL;
}
