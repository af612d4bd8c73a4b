/* The built-in authenticator and authorizer: users with passwords and groups from the
 * configuration (simpleAuthenticationPlugin or JAAS properties files), anonymous access, and
 * the configuration's authorization map, with ActiveMQ 5.17's rules and words. */
#include <stdio.h>
#include <string.h>

#include <apr_hash.h>
#include <apr_strings.h>
#include <apr_thread_mutex.h>
#include <openssl/crypto.h>

#include "hm_auth.h"

typedef struct table_s {
    apr_pool_t *pool;
    apr_hash_t *users;             /* name -> hm_auth_user_t */
    apr_hash_t *by_dn;             /* certificate DN -> hm_auth_user_t */
} table_t;

typedef struct simple_s {
    apr_pool_t *pool;
    apr_thread_mutex_t *lock;      /* guards tab: reloads come from another thread */
    table_t *tab;
    int certificates;
    int anonymous_allowed;
    const char *anonymous_user;
    const char *anonymous_groups[1];
    hm_authz_map_fn permits;
    void *permits_baton;
} simple_t;

static apr_status_t table_make(apr_pool_t *parent, const hm_auth_user_t *users, int n, table_t **out)
{
    apr_pool_t *p;
    apr_status_t st = apr_pool_create(&p, parent);
    if (st)
        return st;
    table_t *t = apr_pcalloc(p, sizeof *t);
    t->pool = p;
    t->users = apr_hash_make(p);
    t->by_dn = apr_hash_make(p);
    for (int i = 0; i < n; i++) {
        hm_auth_user_t *u = apr_pcalloc(p, sizeof *u);
        const char **g = apr_pcalloc(p, sizeof *g * (size_t)(users[i].ngroups + 1));
        u->name = apr_pstrdup(p, users[i].name);
        u->password = apr_pstrdup(p, users[i].password ? users[i].password : "");
        u->dn = users[i].dn ? apr_pstrdup(p, users[i].dn) : NULL;
        for (int k = 0; k < users[i].ngroups; k++)
            g[k] = apr_pstrdup(p, users[i].groups[k]);
        u->groups = g;
        u->ngroups = users[i].ngroups;
        apr_hash_set(t->users, u->name, APR_HASH_KEY_STRING, u);
        if (u->dn)
            apr_hash_set(t->by_dn, u->dn, APR_HASH_KEY_STRING, u);
    }
    *out = t;
    return APR_SUCCESS;
}

apr_status_t hm_auth_simple_create(apr_pool_t *pool, const hm_auth_simple_opts_t *o, void **baton)
{
    simple_t *s = apr_pcalloc(pool, sizeof *s);
    s->pool = pool;
    s->anonymous_allowed = o->anonymous_allowed;
    s->certificates = o->certificates;
    s->anonymous_user = apr_pstrdup(pool, o->anonymous_user ? o->anonymous_user : "anonymous");
    s->anonymous_groups[0] = apr_pstrdup(pool, o->anonymous_group ? o->anonymous_group : "anonymous");
    s->permits = o->permits;
    s->permits_baton = o->permits_baton;
    apr_status_t st = apr_thread_mutex_create(&s->lock, APR_THREAD_MUTEX_DEFAULT, pool);
    if (st == APR_SUCCESS)
        st = table_make(pool, o->users, o->nusers, &s->tab);
    if (st == APR_SUCCESS)
        *baton = s;
    return st;
}

apr_status_t hm_auth_simple_set_users(void *baton, const hm_auth_user_t *users, int nusers)
{
    simple_t *s = baton;
    table_t *t, *old;
    apr_status_t st = table_make(s->pool, users, nusers, &t);
    if (st)
        return st;
    apr_thread_mutex_lock(s->lock);
    old = s->tab;
    s->tab = t;
    apr_thread_mutex_unlock(s->lock);
    apr_pool_destroy(old->pool);
    return APR_SUCCESS;
}

/* Why CRYPTO_memcmp over the longer length: the time taken says nothing about how much of a
 * guessed password was right. */
static int password_matches(const char *want, const char *given)
{
    size_t lw = strlen(want), lg = strlen(given), n = lw > lg ? lw : lg;
    char a[256], b[256];
    if (n >= sizeof a)
        return lw == lg && CRYPTO_memcmp(want, given, lw) == 0;
    memset(a, 0, sizeof a);
    memset(b, 0, sizeof b);
    memcpy(a, want, lw);
    memcpy(b, given, lg);
    return (CRYPTO_memcmp(a, b, sizeof a) == 0) & (lw == lg);
}

static void take_user(const hm_auth_user_t *u, apr_pool_t *pool, hm_principal_t *p)
{
    const char **g = apr_pcalloc(pool, sizeof *g * (size_t)(u->ngroups + 1));
    for (int k = 0; k < u->ngroups; k++)
        g[k] = apr_pstrdup(pool, u->groups[k]);
    p->user = apr_pstrdup(pool, u->name);
    p->groups = g;
    p->ngroups = u->ngroups;
}

/* JaasCertificateAuthenticationBroker with a TextFileCertificateLoginModule: the verified client
 * certificate's DN names the user; ActiveMQ's words for each refusal. */
static apr_status_t certificate_login(simple_t *s, const hm_credentials_t *cr, apr_pool_t *pool,
                                      hm_principal_t *p, char *err, size_t errlen)
{
    if (!cr->cert_subject) {
        snprintf(err, errlen, "Unable to authenticate transport without SSL certificate.");
        return HM_ENOTALLOWED;
    }
    apr_thread_mutex_lock(s->lock);
    const hm_auth_user_t *u = apr_hash_get(s->tab->by_dn, cr->cert_subject, APR_HASH_KEY_STRING);
    if (u) {
        take_user(u, pool, p);
        p->shown = apr_pstrdup(pool, cr->cert_subject);
    }
    apr_thread_mutex_unlock(s->lock);
    if (!u) {
        snprintf(err, errlen, "User name [%s] or password is invalid. No user for client certificate: %s",
                 cr->user ? cr->user : "null", cr->cert_subject);
        return HM_ENOTALLOWED;
    }
    return APR_SUCCESS;
}

/* SimpleAuthenticationBroker.authenticate: anonymous only when both user name and password are
 * absent; otherwise the user must exist with exactly this password. */
static apr_status_t simple_authenticate(void *baton, const hm_credentials_t *cr, apr_pool_t *pool,
                                        hm_principal_t **out, char *err, size_t errlen)
{
    simple_t *s = baton;
    hm_principal_t *p = apr_pcalloc(pool, sizeof *p);
    if (s->certificates) {
        apr_status_t st = certificate_login(s, cr, pool, p, err, errlen);
        if (st == APR_SUCCESS)
            *out = p;
        return st;
    }
    if (s->anonymous_allowed && !cr->user && !cr->password) {
        p->user = s->anonymous_user;
        p->groups = s->anonymous_groups;
        p->ngroups = 1;
        p->anonymous = 1;
        *out = p;
        return APR_SUCCESS;
    }
    apr_thread_mutex_lock(s->lock);
    const hm_auth_user_t *u = cr->user ? apr_hash_get(s->tab->users, cr->user, APR_HASH_KEY_STRING) : NULL;
    int ok = u && password_matches(u->password, cr->password ? cr->password : "") && cr->password;
    if (ok)
        take_user(u, pool, p);
    apr_thread_mutex_unlock(s->lock);
    if (!ok) {
        snprintf(err, errlen, "User name [%s] or password is invalid.", cr->user ? cr->user : "null");
        return HM_ENOTALLOWED;
    }
    *out = p;
    return APR_SUCCESS;
}

static apr_status_t simple_authorize(void *baton, const hm_principal_t *who, hm_authz_op_e op,
                                     hm_authz_dest_t dest, char *err, size_t errlen)
{
    simple_t *s = baton;
    if (!s->permits)
        return APR_SUCCESS;
    return s->permits(s->permits_baton, op, dest, who ? who->groups : NULL, who ? who->ngroups : 0)
               ? APR_SUCCESS : HM_ENOTALLOWED;
}

const hm_auth_ops_t hm_auth_simple = { "simple", simple_authenticate, simple_authorize };

/* ---- jaasDualAuthenticationPlugin: two authenticators chosen by the connector ---- */

typedef struct dual_s {
    const hm_auth_ops_t *plain, *tls;
    void *plain_baton, *tls_baton;
} dual_t;

apr_status_t hm_auth_dual_create(apr_pool_t *pool, const hm_auth_ops_t *plain, void *plain_baton,
                                 const hm_auth_ops_t *tls, void *tls_baton, void **baton)
{
    dual_t *d = apr_pcalloc(pool, sizeof *d);
    d->plain = plain;
    d->plain_baton = plain_baton;
    d->tls = tls;
    d->tls_baton = tls_baton;
    *baton = d;
    return APR_SUCCESS;
}

static apr_status_t dual_authenticate(void *baton, const hm_credentials_t *cr, apr_pool_t *pool,
                                      hm_principal_t **out, char *err, size_t errlen)
{
    dual_t *d = baton;
    return cr->tls ? d->tls->authenticate(d->tls_baton, cr, pool, out, err, errlen)
                   : d->plain->authenticate(d->plain_baton, cr, pool, out, err, errlen);
}

static apr_status_t dual_authorize(void *baton, const hm_principal_t *who, hm_authz_op_e op,
                                   hm_authz_dest_t dest, char *err, size_t errlen)
{
    dual_t *d = baton;
    return d->plain->authorize(d->plain_baton, who, op, dest, err, errlen);
}

const hm_auth_ops_t hm_auth_dual = { "dual", dual_authenticate, dual_authorize };
