/* Open connections counted per remote address (a listener's maximumConnectionsPerAddress), so
 * one host cannot take every connection a connector allows.  Thread-safe: connections are
 * accepted on one loop and closed on any. */
#ifndef HM_ADDRLIMIT_H
#define HM_ADDRLIMIT_H

#include <apr_pools.h>

typedef struct hm_addrlimit_s hm_addrlimit_t;

apr_status_t hm_addrlimit_create(apr_pool_t *pool, int max, hm_addrlimit_t **out);
/* 1: counted (give it back with hm_addrlimit_give); 0: ip already has max connections. */
int hm_addrlimit_take(hm_addrlimit_t *a, const char *ip);
void hm_addrlimit_give(hm_addrlimit_t *a, const char *ip);

#endif
