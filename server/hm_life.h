/* The broker's lifecycle: starting -> standby (waiting for the store's lease) -> recovering ->
 * active -> stopping, or fenced (the lease was lost while active: the broker stops serving and
 * writes nothing more).  The store is opened only once the lease is held, and the transports
 * only once the store is recovered, so a standby broker neither touches the store nor listens. */
#ifndef HM_LIFE_H
#define HM_LIFE_H

#include <apr_pools.h>

#include "st_lease.h"

typedef enum {
    HM_LIFE_STARTING, HM_LIFE_STANDBY, HM_LIFE_RECOVERING, HM_LIFE_ACTIVE, HM_LIFE_STOPPING,
    HM_LIFE_FENCED
} hm_life_state_e;

typedef struct hm_life_s hm_life_t;

/* What to do when the lease is lost while active: it must stop all writes at once (main.c exits
 * the process without closing the store). */
typedef void (*hm_fence_fn)(void *baton, const char *why);

apr_status_t hm_life_create(apr_pool_t *pool, hm_fence_fn fence, void *baton, hm_life_t **out);
const char *hm_life_name(hm_life_state_e s);
hm_life_state_e hm_life_state(hm_life_t *l);
/* Moves to state s and logs the transition. */
void hm_life_set(hm_life_t *l, hm_life_state_e s);
/* Takes the lease, waiting in standby (retrying every poll_ms) while another broker holds it.
 * APR_SUCCESS: held, state recovering; HM_ECLOSED: a stop was requested while waiting; another
 * error: the lease cannot be used. */
apr_status_t hm_life_acquire(hm_life_t *l, st_lease_t *lease, int poll_ms);
/* failIfLocked: hm_life_acquire answers ST_EBUSY instead of waiting as standby. */
void hm_life_fail_if_taken(hm_life_t *l, int on);
/* From any thread (the signal thread): ends a standby wait; hm_life_stop_requested says so. */
void hm_life_request_stop(hm_life_t *l);
int hm_life_stop_requested(hm_life_t *l);
/* From recovery on, renews (or checks) the lease every poll_ms on a thread of its own, and for a
 * time-limited lease watches its deadline on another; a lost or lapsed lease moves to fenced and
 * calls the fence function. */
apr_status_t hm_life_watch(hm_life_t *l, st_lease_t *lease, int poll_ms);
/* Ends the watch (before the lease is released at a graceful stop). */
void hm_life_unwatch(hm_life_t *l);

#endif
