/* The allow-all authenticator/authorizer, and the core's one place of authorization checks
 * (hm_authorize, hm_int.h), called by clients, consumers, producers, sends and destinations. */
#include <stdio.h>

#include <apr_strings.h>

#include "hm_int.h"

static apr_status_t allow_authenticate(void *baton, const hm_credentials_t *cr, apr_pool_t *pool,
                                       hm_principal_t **out, char *err, size_t errlen)
{
    hm_principal_t *p = apr_pcalloc(pool, sizeof *p);
    p->user = cr->user ? apr_pstrdup(pool, cr->user) : NULL;
    *out = p;
    return APR_SUCCESS;
}

static apr_status_t allow_authorize(void *baton, const hm_principal_t *who, hm_authz_op_e op,
                                    hm_authz_dest_t dest, char *err, size_t errlen)
{
    return APR_SUCCESS;
}

const hm_auth_ops_t hm_auth_allow_all = { "allow-all", allow_authenticate, allow_authorize };

const char *hm_authz_op_name(hm_authz_op_e op)
{
    return op == HM_AUTHZ_READ ? "read" : op == HM_AUTHZ_WRITE ? "write" : "admin";
}

apr_status_t hm_authorize(hm_client_t *c, hm_authz_op_e op, hm_dname_t d, char *err, size_t errlen)
{
    const hm_broker_opts_t *o = &c->b->opts;
    if (!o->auth || o->auth == &hm_auth_allow_all || !d.name)
        return APR_SUCCESS;
    char why[256] = "";
    hm_authz_dest_t ad = { (int)d.kind, d.name };
    apr_status_t st = o->auth->authorize(o->auth_baton, c->principal, op, ad, why, sizeof why);
    if (st) {
        const char *user = c->principal && c->principal->user ? c->principal->user : "anonymous";
        /* ActiveMQ's AuthorizationBroker wording, which clients may match on */
        static const char *const verbs[] = { "read from", "write to", "create" };
        if (!err || !errlen) {
            err = c->denied;
            errlen = sizeof c->denied;
        }
        if (err && errlen)
            snprintf(err, errlen, "User %s is not authorized to %s: %s%s://%s%s%s", user,
                     verbs[op], HM_KIND_IS_TEMP(d.kind) ? "temp-" : "",
                     d.kind == HM_TOPIC || d.kind == HM_TEMP_TOPIC ? "topic" : "queue", d.name,
                     *why ? " -- " : "", why);
        return HM_ENOTALLOWED;
    }
    return APR_SUCCESS;
}

const char *hm_client_denied(const hm_client_t *c) { return c->denied; }
const hm_principal_t *hm_client_principal(const hm_client_t *c) { return c->principal; }

apr_status_t hm_send_allowed(hm_client_t *c, hm_dname_t d, char *err, size_t errlen)
{
    return hm_authorize(c, HM_AUTHZ_WRITE, d, err, errlen);
}

/* Every message of a transaction, before any of it is applied. */
apr_status_t hm_authorize_msgs(hm_client_t *c, hm_msg_t *const *msgs, int n, char *err, size_t errlen)
{
    for (int i = 0; i < n; i++) {
        apr_status_t st = hm_authorize(c, HM_AUTHZ_WRITE, msgs[i]->dest, err, errlen);
        if (st)
            return st;
    }
    return APR_SUCCESS;
}
