/* Checking credentials before a client opens: for protocols that authenticate in their own
 * handshake (AMQP's SASL) and answer a failure there, before the client itself is opened. */
#include <stdio.h>

#include "hm_int.h"

apr_status_t hm_broker_authenticate(hm_broker_t *b, const hm_credentials_t *cr, char *err,
                                    size_t errlen)
{
    apr_pool_t *p;
    if (apr_pool_create(&p, NULL) != APR_SUCCESS)
        return APR_ENOMEM;
    hm_principal_t *who = NULL;
    /* under the broker lock, as hm_client_open_info asks the authenticator */
    hm_lock(b);
    const hm_auth_ops_t *auth = b->opts.auth ? b->opts.auth : &hm_auth_allow_all;
    apr_status_t st = auth->authenticate(b->opts.auth_baton, cr, p, &who, err, errlen);
    if (st)                        /* rate-limited with every other refused login */
        hm_auth_log_refusal_locked(b, cr->remote, NULL, cr->user, err);
    hm_unlock(b);
    apr_pool_destroy(p);
    return st ? HM_ENOTALLOWED : APR_SUCCESS;
}
