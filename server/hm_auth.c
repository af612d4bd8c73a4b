/* The allow-all authenticator/authorizer, and the core's one place of authorization checks
 * (hm_authorize, hm_int.h), called by clients, consumers, producers, sends and destinations. */
#include <stdio.h>
#include <string.h>

#include <apr_strings.h>

#include "hm_int.h"
#include "hm_log.h"

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

int hm_authz_enabled(const hm_broker_t *b)
{
    return b->opts.auth && b->opts.auth != &hm_auth_allow_all;
}

int hm_broker_requires_login(const hm_broker_t *b)
{
    return hm_authz_enabled(b);
}

static int authz_on(const hm_client_t *c)
{
    return hm_authz_enabled(c->b);
}

/* The next part of a possibly composite name ("A,topic://B"; a part's prefix gives its kind, as
 * routing reads it), 0 after the last.  buf holds the part's name. */
static int next_part(const char **cur, hm_dname_t whole, char *buf, size_t buflen, hm_dname_t *out)
{
    const char *p = *cur;
    if (!p)
        return 0;
    const char *comma = strchr(p, ',');
    size_t len = comma ? (size_t)(comma - p) : strlen(p);
    *cur = comma ? comma + 1 : NULL;
    out->kind = whole.kind;
    if (strchr(whole.name, ',') && len >= 8 && strncmp(p, "queue://", 8) == 0) {
        out->kind = HM_QUEUE;
        p += 8;
        len -= 8;
    } else if (strchr(whole.name, ',') && len >= 8 && strncmp(p, "topic://", 8) == 0) {
        out->kind = HM_TOPIC;
        p += 8;
        len -= 8;
    }
    if (len >= buflen)
        len = buflen - 1;
    memcpy(buf, p, len);
    buf[len] = '\0';
    out->name = buf;
    return 1;
}

/* ActiveMQ's AuthorizationBroker wording, which clients may match on: verb is "read from",
 * "write to", "create" or "remove". */
static apr_status_t deny(hm_client_t *c, const char *verb, hm_dname_t d, const char *why,
                         char *err, size_t errlen)
{
    const hm_principal_t *p = c->principal;
    const char *user = p && p->shown ? p->shown : p && p->user ? p->user : "anonymous";
    if (!err || !errlen) {
        err = c->denied;
        errlen = sizeof c->denied;
    }
    if (strchr(d.name, ','))          /* ActiveMQ prints a composite as its bare name */
        snprintf(err, errlen, "User %s is not authorized to %s: %s%s%s", user, verb, d.name,
                 why && *why ? " -- " : "", why ? why : "");
    else
        snprintf(err, errlen, "User %s is not authorized to %s: %s%s://%s%s%s", user, verb,
                 HM_KIND_IS_TEMP(d.kind) ? "temp-" : "",
                 d.kind == HM_TOPIC || d.kind == HM_TEMP_TOPIC ? "topic" : "queue", d.name,
                 why && *why ? " -- " : "", why ? why : "");
    if (err != c->denied)
        snprintf(c->denied, sizeof c->denied, "%s", err);
    return HM_ENOTALLOWED;
}

/* Why part by part: a composite is allowed only when every destination it names is, as
 * ActiveMQ's DefaultAuthorizationMap decides for composites. */
static apr_status_t authorize_as(hm_client_t *c, hm_authz_op_e op, const char *verb, hm_dname_t d,
                                 char *err, size_t errlen)
{
    if (!authz_on(c) || !d.name)
        return APR_SUCCESS;
    const hm_broker_opts_t *o = &c->b->opts;
    char part[HM_MAX_DEST_NAME + 1];
    hm_dname_t x;
    for (const char *cur = d.name; next_part(&cur, d, part, sizeof part, &x);) {
        char why[256] = "";
        hm_authz_dest_t ad = { (int)x.kind, x.name };
        if (o->auth->authorize(o->auth_baton, c->principal, op, ad, why, sizeof why))
            return deny(c, verb, strchr(d.name, ',') ? d : x, why, err, errlen);
    }
    return APR_SUCCESS;
}

apr_status_t hm_authorize(hm_client_t *c, hm_authz_op_e op, hm_dname_t d, char *err, size_t errlen)
{
    static const char *const verbs[] = { "read from", "write to", "create" };
    return authorize_as(c, op, verbs[op], d, err, errlen);
}

/* ActiveMQ's AuthorizationBroker.removeDestination: admin, refused "to remove". */
apr_status_t hm_authorize_remove(hm_client_t *c, hm_dname_t d, char *err, size_t errlen)
{
    return authorize_as(c, HM_AUTHZ_ADMIN, "remove", d, err, errlen);
}

/* ------------------------------------------------------------------ advisory topics */

/* ActiveMQ creates an advisory topic the first time it publishes there (hm_advisory.c), in the context of the
 * client whose action raised the advisory, so that client needs admin on it (AuthorizationBroker
 * .addDestination).  With authorization on, hermod remembers the advisory topics published once
 * (at most HM_MAX_ADV_CREATED; later ones keep needing admin).  Broker lock held. */
void hm_auth_adv_published_locked(hm_broker_t *b, const char *topic)
{
    if (!hm_authz_enabled(b))
        return;
    if (!b->adv_created) {
        if (apr_pool_create(&b->adv_created_pool, b->pool) != APR_SUCCESS)
            return;
        b->adv_created = apr_hash_make(b->adv_created_pool);
    }
    if (apr_hash_count(b->adv_created) < HM_MAX_ADV_CREATED &&
        !apr_hash_get(b->adv_created, topic, APR_HASH_KEY_STRING))
        apr_hash_set(b->adv_created, apr_pstrdup(b->adv_created_pool, topic), APR_HASH_KEY_STRING, "");
}

static int adv_published_locked(hm_broker_t *b, const char *topic)
{
    return b->adv_created && apr_hash_get(b->adv_created, topic, APR_HASH_KEY_STRING) != NULL;
}

/* Admin on `topic` when c's action would be the first to publish there (see hm_auth_adv_published_locked). */
static apr_status_t create_check(hm_client_t *c, const char *topic, int locked, char *err, size_t errlen)
{
    if (!topic || c->b->opts.advisories_off || !hm_authz_enabled(c->b))
        return APR_SUCCESS;
    if (!locked)
        hm_lock(c->b);
    int exists = adv_published_locked(c->b, topic);
    if (!locked)
        hm_unlock(c->b);
    return exists ? APR_SUCCESS : hm_authorize(c, HM_AUTHZ_ADMIN, (hm_dname_t){ HM_TOPIC, topic }, err, errlen);
}

apr_status_t hm_authorize_adv_dest(hm_client_t *c, hm_dname_t d, char *err, size_t errlen)
{
    return hm_name_is_advisory(d) ? APR_SUCCESS : create_check(c, hm_adv_dest_topic(d), 0, err, errlen);
}

apr_status_t hm_authorize_adv_connection_locked(hm_client_t *c, char *err, size_t errlen)
{
    return create_check(c, HM_ADV_PREFIX "Connection", 1, err, errlen);
}

/* Why apart from hm_adv_consumer / hm_producer_add (hm_advisory.c): the check comes before the
 * consumer or producer exists.  role: "Consumer." or "Producer.". */
apr_status_t hm_authorize_adv_client(hm_client_t *c, const char *role, hm_dname_t d, char *err,
                                     size_t errlen)
{
    char buf[HM_ADV_TOPIC_CAP];
    if (!d.name || hm_name_is_advisory(d))
        return APR_SUCCESS;
    return create_check(c, hm_adv_topic_name(buf, sizeof buf, role, d, 0, 1), 0, err, errlen);
}

/* ActiveMQ's AuthorizationBroker.addDestination: creating a destination that does not exist yet
 * (by a producer, a consumer, a send or DestinationInfo) needs admin, and so does the
 * destination advisory topic it is the first to raise (ActiveMQ.Advisory.Queue...).  An advisory
 * topic exists once the broker published there; wildcards and temporary destinations create
 * nothing here (hm_temp_dest_create asks for admin itself). */
apr_status_t hm_authorize_create(hm_client_t *c, hm_dname_t d, char *err, size_t errlen)
{
    if (!authz_on(c) || !d.name || HM_KIND_IS_TEMP(d.kind))
        return APR_SUCCESS;
    char part[HM_MAX_DEST_NAME + 1];
    hm_dname_t x;
    for (const char *cur = d.name; next_part(&cur, d, part, sizeof part, &x);) {
        if (!*x.name || hm_name_is_wildcard(x.name))
            continue;
        int advisory = hm_name_is_advisory(x);
        hm_lock(c->b);
        int exists = advisory ? adv_published_locked(c->b, x.name)
                   : HM_KIND_IS_QUEUE(x.kind) ? hm_queue_find(c->b, x.kind, x.name) != NULL
                                              : hm_topic_find(c->b, x.kind, x.name) != NULL;
        hm_unlock(c->b);
        if (exists)
            continue;
        apr_status_t st = hm_authorize(c, HM_AUTHZ_ADMIN, x, err, errlen);
        if (!st && !advisory)
            st = hm_authorize_adv_dest(c, x, err, errlen);
        if (st)
            return st;
    }
    return APR_SUCCESS;
}

/* The log of refused logins, bounded: HM_AUTH_LOG_BURST lines per HM_AUTH_LOG_WINDOW_S, then
 * one line saying how many were not logged, so a password-guessing flood cannot fill the disk.
 * Broker lock held. */
void hm_auth_log_refusal_locked(hm_broker_t *b, const char *remote, const char *connection_id,
                                const char *user, const char *why)
{
    apr_time_t now = apr_time_now();
    if (now - b->auth_log_since >= apr_time_from_sec(HM_AUTH_LOG_WINDOW_S)) {
        if (b->auth_log_dropped)
            hm_warn("%u more refused logins were not logged in the last %d s", b->auth_log_dropped,
                    HM_AUTH_LOG_WINDOW_S);
        b->auth_log_since = now;
        b->auth_log_count = 0;
        b->auth_log_dropped = 0;
    }
    if (b->auth_log_count >= HM_AUTH_LOG_BURST) {
        b->auth_log_dropped++;
        return;
    }
    b->auth_log_count++;
    hm_warn("login refused from %s (connection %s, user %s): %s%s", remote ? remote : "?",
            connection_id ? connection_id : "?", user ? user : "(none)", why,
            b->auth_log_count == HM_AUTH_LOG_BURST ? " (further refusals are counted, not logged, "
                                                     "for a while)" : "");
}

const char *hm_client_denied(const hm_client_t *c) { return c->denied; }
const hm_principal_t *hm_client_principal(const hm_client_t *c) { return c->principal; }

/* ActiveMQ's UserIDBroker: the connection's user name (an anonymous client: anonymousUser), or
 * with useAuthenticatedPrincipal the authenticated user (a certificate's user). */
int hm_client_user_id(const hm_client_t *c, const char **user)
{
    const hm_broker_opts_t *o = &c->b->opts;
    if (!o->populate_user_id)
        return 0;
    const hm_principal_t *p = c->principal;
    *user = p && p->anonymous ? p->user : c->user;   /* ActiveMQ names anonymous senders too */
    if (o->user_id_from_principal && p && p->user)
        *user = p->user;
    return 1;
}

apr_status_t hm_send_allowed(hm_client_t *c, hm_dname_t d, char *err, size_t errlen)
{
    return hm_authorize(c, HM_AUTHZ_WRITE, d, err, errlen);
}

/* Every message of a transaction, before any of it is applied. */
apr_status_t hm_authorize_msgs(hm_client_t *c, hm_msg_t *const *msgs, int n, char *err, size_t errlen)
{
    for (int i = 0; i < n; i++) {
        apr_status_t st = hm_authorize(c, HM_AUTHZ_WRITE, msgs[i]->dest, err, errlen);
        if (!st)
            st = hm_authorize_create(c, msgs[i]->dest, err, errlen);
        if (st)
            return st;
    }
    return APR_SUCCESS;
}
