/* Authentication and authorization: one interface the core calls where a connection opens, a
 * consumer or producer is created, a message is sent, and a destination or temporary
 * destination is created.  Protocols only carry the client's credentials (user, password and,
 * over TLS, its certificate's subject) to hm_client_open_info.  The broker ships with allow-all
 * (hm_auth_allow_all, also what a NULL hm_broker_opts_t.auth means); users and permissions from
 * the configuration implement the same two calls. */
#ifndef HM_AUTH_H
#define HM_AUTH_H

#include <apr_pools.h>

#include "hm_status.h"

/* What a connecting client presents.  Any field may be NULL. */
typedef struct hm_credentials_s {
    const char *user, *password;
    const char *cert_subject;      /* TLS client certificate's subject ("CN=x, O=y"), verified */
    const char *client_id;
    const char *remote;            /* "tcp://ip:port" */
    int tls;                       /* the connection came in on a TLS connector */
} hm_credentials_t;

/* Whom the broker took the client for. */
typedef struct hm_principal_s {
    const char *user;              /* NULL: anonymous */
    int anonymous;                 /* let in as the anonymous user (user is its name then) */
    const char *shown;             /* the name refusals give, when not user (ActiveMQ shows a
                                      certificate user by its DN) */
    const char *const *groups;
    int ngroups;
} hm_principal_t;

typedef enum { HM_AUTHZ_READ, HM_AUTHZ_WRITE, HM_AUTHZ_ADMIN } hm_authz_op_e;

/* A destination as the authorizer sees it (the core's hm_dname_t without including the core). */
typedef struct hm_authz_dest_s {
    int kind;                      /* hm_dkind_e: queue, topic, temp queue, temp topic */
    const char *name;
} hm_authz_dest_t;

typedef struct hm_auth_ops_s {
    const char *name;
    /* APR_SUCCESS with *out (allocated in pool, which lives as long as the connection), or
     * HM_ENOTALLOWED with the reason the client is told in err. */
    apr_status_t (*authenticate)(void *baton, const hm_credentials_t *cr, apr_pool_t *pool,
                                 hm_principal_t **out, char *err, size_t errlen);
    /* APR_SUCCESS, or HM_ENOTALLOWED with the reason in err.  Called on the send path: cheap. */
    apr_status_t (*authorize)(void *baton, const hm_principal_t *who, hm_authz_op_e op,
                              hm_authz_dest_t dest, char *err, size_t errlen);
} hm_auth_ops_t;

/* Everyone may do everything; the principal is the user name the client gave. */
extern const hm_auth_ops_t hm_auth_allow_all;

/* ---- The built-in users and permissions (simpleAuthenticationPlugin, JAAS properties files,
 * authorizationPlugin), as ActiveMQ 5.17's SimpleAuthenticationBroker and AuthorizationBroker
 * decide.  The broker's opts.auth = &hm_auth_simple, opts.auth_baton = hm_auth_simple_create's. */

typedef struct hm_auth_user_s {
    const char *name, *password;
    const char *dn;                /* certificate users: the subject DN as Java prints it */
    const char *const *groups;
    int ngroups;
} hm_auth_user_t;

/* Whether a member of `groups` may do op on one destination (never composite): the
 * configuration's authorization map (conf/'s cfg_authz_permits behind it). */
typedef int (*hm_authz_map_fn)(void *baton, hm_authz_op_e op, hm_authz_dest_t dest,
                               const char *const *groups, int ngroups);

typedef struct hm_auth_simple_opts_s {
    const hm_auth_user_t *users;
    int nusers;
    int anonymous_allowed;         /* a client without user name and password gets: */
    const char *anonymous_user;    /* NULL: "anonymous" */
    const char *anonymous_group;   /* NULL: "anonymous" */
    int certificates;              /* users by TLS client certificate (DN), not password */
    hm_authz_map_fn permits;       /* NULL: an authenticated user may do everything */
    void *permits_baton;
} hm_auth_simple_opts_t;

/* Copies the users into pool (which outlives the broker); *baton is for hm_auth_simple. */
apr_status_t hm_auth_simple_create(apr_pool_t *pool, const hm_auth_simple_opts_t *o, void **baton);
/* Replaces the users (a reloaded users/groups file), safely against logins on other threads:
 * a principal keeps its own copy of its groups, so the old table is freed at once. */
apr_status_t hm_auth_simple_set_users(void *baton, const hm_auth_user_t *users, int nusers);
extern const hm_auth_ops_t hm_auth_simple;

/* jaasDualAuthenticationPlugin: connections on TLS connectors are authenticated by tls_*, the
 * others by plain_*; both authorize alike (plain's map).  *baton (in pool) is for hm_auth_dual. */
apr_status_t hm_auth_dual_create(apr_pool_t *pool, const hm_auth_ops_t *plain, void *plain_baton,
                                 const hm_auth_ops_t *tls, void *tls_baton, void **baton);
extern const hm_auth_ops_t hm_auth_dual;

const char *hm_authz_op_name(hm_authz_op_e op);

#endif
