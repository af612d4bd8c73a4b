/* The network server: listeners and one event loop per core over apr_pollset.  Nothing in a loop
 * blocks: the store's disk flushes happen on its own flusher thread.  Protocols plug in through
 * hm_proto_t (hm_core.h). */
#ifndef HM_SERVER_H
#define HM_SERVER_H

#include <apr_pools.h>

#include "hm_core.h"
#include "hm_transport.h"

typedef struct hm_server_s hm_server_t;

/* nloops event loops (at least 1); the broker outlives the server. */
apr_status_t hm_server_create(apr_pool_t *pool, hm_broker_t *broker, int nloops, hm_server_t **out);
/* Listens on host:port, over TLS when tls is not NULL, for one protocol or, with several
 * (auto://), for whichever of them a connection's first bytes name (each protocol's sniff).
 * Errors name the address in err. */
apr_status_t hm_server_listen(hm_server_t *s, const char *name, const char *host, int port,
                              const hm_proto_t *const *protos, int nprotos,
                              const hm_listen_opts_t *opts, hm_tls_ctx_t *tls, char *err,
                              size_t errlen);
/* Bytes all connections' input buffers may hold together above their base size (default
 * HM_DEFAULT_INPUT_BUDGET); 0 keeps the default.  Call before hm_server_run. */
void hm_server_set_input_budget(hm_server_t *s, int64_t bytes);
/* Runs the loops until hm_server_stop; returns after every connection is closed. */
apr_status_t hm_server_run(hm_server_t *s);
/* Asks the loops to stop; safe from any thread. */
void hm_server_stop(hm_server_t *s);

#endif
