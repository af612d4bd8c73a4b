/* The console's charts: the last hour of each destination's depth and counters, sampled in a
 * thread of its own (mg_history.c). */
#ifndef MG_HISTORY_H
#define MG_HISTORY_H

#include <apr_pools.h>

#include "hm_admin.h"
#include "hm_wbuf.h"
#include "mg_limits.h"

typedef struct mg_history_s mg_history_t;

/* Starts sampling b every MG_HISTORY_STEP_S (the first round at once). */
apr_status_t mg_history_start(apr_pool_t *pool, hm_broker_t *b, mg_history_t **out);
/* Stops the thread and frees the samples (before the broker goes). */
void mg_history_stop(mg_history_t *h);
/* {"stepSeconds":S,"first":MS,"samples":[[pending,enqueued,dequeued],...]} of d, oldest first;
 * 0 (nothing written) when d has no samples (not yet sampled, or over MG_HISTORY_DESTS). */
int mg_history_json(mg_history_t *h, hm_dname_t d, hm_wbuf_t *w);

#endif
