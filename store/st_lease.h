/* The store's lease: who may open and write the store.  A broker holds it while active; a
 * standby broker waits for it; a broker that loses it is fenced (stops serving, writes nothing).
 *
 * One small interface with one implementation today, a lock file in the store's directory
 * (flock: held by one process, released by the kernel when that process ends, however it ends).
 * The primary/replica pair adds a shared, time-limited lease behind the same interface. */
#ifndef ST_LEASE_H
#define ST_LEASE_H

#include <apr_pools.h>

#include "st.h"

typedef struct st_lease_s st_lease_t;

typedef struct st_lease_ops_s {
    const char *name;
    /* Takes the lease if it is free: APR_SUCCESS (held now), ST_EBUSY (someone else has it), or
     * another error (the lease itself cannot be used). */
    apr_status_t (*try_acquire)(st_lease_t *l);
    /* Whether it is still held (a time-limited lease renews here); 0: lost, the holder is fenced. */
    int (*still_held)(st_lease_t *l);
    void (*release)(st_lease_t *l);
    /* Who holds it, for log lines ("another broker (pid 123)"), into buf. */
    void (*holder)(st_lease_t *l, char *buf, size_t len);
} st_lease_ops_t;

struct st_lease_s {
    const st_lease_ops_t *ops;
    int held;
};

/* The lock-file lease of the store in dir (DIR/hermod.lock, created if absent); allocated in
 * pool, released when the pool is destroyed. */
apr_status_t st_lease_lockfile(apr_pool_t *pool, const char *dir, st_lease_t **out);

static inline apr_status_t st_lease_try(st_lease_t *l)
{
    apr_status_t st = l->ops->try_acquire(l);
    l->held = st == APR_SUCCESS;
    return st;
}

static inline int st_lease_still_held(st_lease_t *l)
{
    return l->held && (l->held = l->ops->still_held(l));
}

static inline void st_lease_release(st_lease_t *l)
{
    if (l->held)
        l->ops->release(l);
    l->held = 0;
}

#endif
