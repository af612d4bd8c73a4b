/* Checking credentials without opening a client: for protocols that authenticate in their own
 * handshake (AMQP's SASL) and answer a failure there, and for the management HTTP side (HTTP
 * Basic of a user in the console's admin group). */
#include <stdio.h>
#include <string.h>

#include "hm_int.h"

/* 1 when the principal is in group. */
static int in_group(const hm_principal_t *who, const char *group)
{
    for (int i = 0; who && i < who->ngroups; i++)
        if (strcmp(who->groups[i], group) == 0)
            return 1;
    return 0;
}

apr_status_t hm_broker_authenticate(hm_broker_t *b, const hm_credentials_t *cr, const char *group,
                                    char *err, size_t errlen)
{
    apr_pool_t *p;
    if (apr_pool_create(&p, NULL) != APR_SUCCESS)
        return APR_ENOMEM;
    hm_principal_t *who = NULL;
    /* under the broker lock, as hm_client_open_info asks the authenticator */
    hm_lock(b);
    const hm_auth_ops_t *auth = b->opts.auth ? b->opts.auth : &hm_auth_allow_all;
    apr_status_t st = auth->authenticate(b->opts.auth_baton, cr, p, &who, err, errlen);
    if (!st && group && !in_group(who, group)) {
        snprintf(err, errlen, "User %s is not in the %s group", cr->user ? cr->user : "null", group);
        st = HM_ENOTALLOWED;
    }
    if (st)                        /* rate-limited with every other refused login */
        hm_auth_log_refusal_locked(b, cr->remote, NULL, cr->user, err);
    hm_unlock(b);
    apr_pool_destroy(p);
    return st ? HM_ENOTALLOWED : APR_SUCCESS;
}
