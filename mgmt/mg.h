/* The management HTTP side: the console (/admin/), the JSON API (/api/), Prometheus metrics
 * (/metrics) and ActiveMQ's /admin/xml/queues.jsp, served by libmicrohttpd in its own thread.
 * Every read of broker state goes through hm_admin.h (which takes the broker lock). */
#ifndef MG_H
#define MG_H

#include <apr_pools.h>

#include "hm_core.h"

typedef struct mg_server_s mg_server_t;

typedef struct mg_opts_s {
    const char *host;              /* address to listen on (a literal or a name) */
    int port;
    int allow_remote_without_auth; /* else a non-loopback address is refused without auth */
    int auth_configured;           /* users exist: HTTP Basic of a user in admin_group is required */
    const char *admin_group;
    const char *tls_cert_pem;      /* https: the certificate chain and key, PEM text; NULL: http */
    const char *tls_key_pem;
    const char *tls_key_password;  /* NULL: none */
    struct st_lease_s *lease;      /* the store's lease, for its metrics; NULL: no store */
} mg_opts_t;

/* What mg_start would refuse about opts without starting anything (the address is resolved):
 * for --check-config, and to refuse before the broker starts any thread. */
apr_status_t mg_check(const mg_opts_t *opts, char *err, size_t errlen);
/* Starts serving.  Errors (with err): HM_EINVAL (an address it must not serve), HM_EDENIED
 * (an address it must not serve without authentication), the listening socket's errors. */
apr_status_t mg_start(apr_pool_t *pool, hm_broker_t *broker, const mg_opts_t *opts,
                      mg_server_t **out, char *err, size_t errlen);
/* Stops the HTTP thread (before the broker is destroyed). */
void mg_stop(mg_server_t *s);

/* `hermod admin ...` (mg_cli.c): the command-line client of the API; returns the exit status. */
int mg_admin_main(int argc, const char *const *argv);

#endif
