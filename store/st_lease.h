/* The store's lease: who may open and write the store.  A broker holds it while active; a
 * standby broker waits for it; a broker that loses it is fenced (stops serving, writes nothing).
 *
 * Two implementations: a lock file in the store's directory (flock: held by one process,
 * released by the kernel when that process ends, however it ends), and the lease file of a
 * primary/replica pair (st_lease_file.c: time-limited, renewed, with an epoch that grows with
 * every take-over).  While a lease guards the store (st_lease_guard), every write the store makes
 * asks st_lease_gate_open first, so a primary past its lease writes nothing. */
#ifndef ST_LEASE_H
#define ST_LEASE_H

#include <stdint.h>

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
    /* Until when the holder may write (st_lease_now_us clock); 0: not held; INT64_MAX: no end. */
    int64_t (*valid_until)(st_lease_t *l);
    /* Whether a write may reach the store now: cheap, from any thread. */
    int (*may_write)(st_lease_t *l);
    /* The epoch held (grows with every take-over); 0 for a lease without one. */
    uint64_t (*epoch)(st_lease_t *l);
} st_lease_ops_t;

struct st_lease_s {
    const st_lease_ops_t *ops;
    int held;
    int renew_ms;          /* how often the holder renews (0: never needed) */
    int lease_ms;          /* how long it lasts unrenewed (0: while the process lives) */
};

typedef struct st_lease_opts_s {
    int lease_ms;          /* lockAcquireSleepInterval */
    int renew_ms;          /* lockKeepAlivePeriod; 0: lease / 4 */
    const char *holder;    /* the name standbys log ("broker b1 (pid 12 on host h)") */
} st_lease_opts_t;

/* The lease file DIR/hermod.lease of a primary/replica pair, allocated in pool. */
apr_status_t st_lease_file(apr_pool_t *pool, const char *dir, const st_lease_opts_t *o,
                           st_lease_t **out);
/* Whether DIR has a lease file (the store belongs to a pair): the offline tools then take the
 * lease the pair's way. */
int st_lease_file_exists(const char *dir);
/* The clock leases are measured with (microseconds, monotonic, counting suspended time). */
int64_t st_lease_now_us(void);

/* Makes l guard every write of the store (NULL: none); st_lease_gate_open answers for it. */
void st_lease_guard(st_lease_t *l);
/* 1 when the store may write now (no guard, or the guard's may_write); counts refusals. */
int st_lease_gate_open(void);
/* Writes refused by the gate so far. */
uint64_t st_lease_gate_refusals(void);

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
