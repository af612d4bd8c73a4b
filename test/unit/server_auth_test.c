/* The core's authentication and authorization interface (server/hm_auth.h), with a test
 * authorizer: the core asks it where a connection opens, a consumer or producer is created, a
 * message is sent (also in a transaction or an XA branch), and a destination or temporary
 * destination is created; the client's user, password and certificate subject reach it; a
 * refusal is HM_ENOTALLOWED in ActiveMQ's words; allow-all lets everything through. */
#include <CUnit/Basic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <apr_general.h>
#include <apr_strings.h>

#include "hm_core.h"

static apr_pool_t *pool;

/* ---- the test authorizer: alice/wonder (group "writers"), bob/builder, or a client
 * certificate "CN=carol" without a password.  writers may read and write "orders.*"; everyone
 * may read "orders.*" and "ActiveMQ.Advisory.*"; only carol may create (admin), and everyone the
 * advisory topics (which a client's first connection, consumer or producer creates). */

static hm_credentials_t last;
static int authorize_calls;

static apr_status_t t_authenticate(void *baton, const hm_credentials_t *cr, apr_pool_t *p,
                                   hm_principal_t **out, char *err, size_t errlen)
{
    last = *cr;
    static const char *const writers[] = { "writers" };
    hm_principal_t *pr = apr_pcalloc(p, sizeof *pr);
    if (cr->cert_subject && strcmp(cr->cert_subject, "CN=carol") == 0) {
        pr->user = "carol";
    } else if (cr->user && cr->password && strcmp(cr->user, "alice") == 0 && strcmp(cr->password, "wonder") == 0) {
        pr->user = "alice";
        pr->groups = writers;
        pr->ngroups = 1;
    } else if (cr->user && cr->password && strcmp(cr->user, "bob") == 0 && strcmp(cr->password, "builder") == 0) {
        pr->user = "bob";
    } else {
        snprintf(err, errlen, "User name [%s] or password is invalid.", cr->user ? cr->user : "");
        return HM_ENOTALLOWED;
    }
    *out = pr;
    return APR_SUCCESS;
}

static apr_status_t t_authorize(void *baton, const hm_principal_t *who, hm_authz_op_e op,
                                hm_authz_dest_t d, char *err, size_t errlen)
{
    authorize_calls++;
    int writer = who->ngroups == 1 && strcmp(who->groups[0], "writers") == 0;
    int orders = strncmp(d.name, "orders.", 7) == 0;
    int advisory = strncmp(d.name, "ActiveMQ.Advisory.", 18) == 0;
    int carol = who->user && strcmp(who->user, "carol") == 0;
    int ok = op == HM_AUTHZ_READ ? orders || advisory || carol
           : op == HM_AUTHZ_WRITE ? (orders && writer) || carol
           : carol || advisory;
    return ok ? APR_SUCCESS : HM_ENOTALLOWED;
}

static const hm_auth_ops_t test_auth = { "test", t_authenticate, t_authorize };

static hm_broker_t *make_broker(const hm_auth_ops_t *auth)
{
    hm_broker_opts_t bo = { .name = "auth", .auth = auth };
    hm_broker_t *b = NULL;
    CU_ASSERT_FATAL(hm_broker_create(pool, &bo, &b) == APR_SUCCESS);
    return b;
}

static hm_client_t *login(hm_broker_t *b, const char *user, const char *pw, const char *subject,
                          apr_status_t want)
{
    hm_client_info_t info = { "ID:c", NULL, user, "tcp://127.0.0.1:1", pw, subject };
    hm_client_t *c = NULL;
    char err[256] = "";
    CU_ASSERT_EQUAL(hm_client_open_info(b, &info, &c, err, sizeof err), want);
    if (want == HM_ENOTALLOWED)
        CU_ASSERT_PTR_NOT_NULL(strstr(err, "is invalid"));
    return c;
}

/* a message to (kind, dest) */
static hm_msg_t *mk(hm_dest_kind_e kind, const char *dest)
{
    void *extra;
    hm_msg_t *m = hm_msg_new(strlen(dest) + 8, &extra);
    m->dest.kind = kind;
    m->dest.name = strcpy(extra, dest);
    m->message_id = "ID:m:1:1:1";
    m->priority = 4;
    return m;
}

static void no_deliver(void *ctx, hm_consumer_t *c, hm_delivery_t *d) { }
static void no_empty(void *ctx, hm_consumer_t *c) { }
static const hm_consumer_ops_t ops = { no_deliver, no_empty };

static apr_status_t open_consumer(hm_client_t *c, const char *dest, char *err, size_t errlen)
{
    hm_consumer_opts_t o = { { HM_QUEUE, dest }, NULL, 10, 0, 0, 0, 0 };
    hm_consumer_t *k = NULL;
    apr_status_t st = hm_consumer_open(c, &o, &ops, NULL, &k, err, errlen);
    if (k)
        hm_consumer_close(k, UINT64_MAX);
    return st;
}

static void test_credentials_reach_the_authenticator(void)
{
    hm_broker_t *b = make_broker(&test_auth);
    login(b, "alice", "nope", NULL, HM_ENOTALLOWED);
    login(b, NULL, NULL, NULL, HM_ENOTALLOWED);
    hm_client_t *a = login(b, "alice", "wonder", NULL, APR_SUCCESS);
    CU_ASSERT_STRING_EQUAL(last.password, "wonder");
    CU_ASSERT_STRING_EQUAL(last.remote, "tcp://127.0.0.1:1");
    CU_ASSERT_STRING_EQUAL(hm_client_principal(a)->user, "alice");
    hm_client_t *c = login(b, NULL, NULL, "CN=carol", APR_SUCCESS);   /* certificate only */
    CU_ASSERT_STRING_EQUAL(last.cert_subject, "CN=carol");
    CU_ASSERT_STRING_EQUAL(hm_client_principal(c)->user, "carol");
    hm_client_close(a);
    hm_client_close(c);
    hm_broker_destroy(b);
}

static void test_consumers_producers_and_sends_are_authorized(void)
{
    hm_broker_t *b = make_broker(&test_auth);
    hm_client_t *alice = login(b, "alice", "wonder", NULL, APR_SUCCESS);
    hm_client_t *bob = login(b, "bob", "builder", NULL, APR_SUCCESS);
    char err[512];
    /* existing destinations: creating one would need admin (test_creating_destinations_needs_admin) */
    hm_dest_ensure(b, (hm_dname_t){ HM_QUEUE, "orders.in" });
    CU_ASSERT_EQUAL(open_consumer(bob, "orders.in", err, sizeof err), APR_SUCCESS);
    CU_ASSERT_EQUAL(open_consumer(bob, "payroll", err, sizeof err), HM_ENOTALLOWED);
    CU_ASSERT_STRING_EQUAL(err, "User bob is not authorized to read from: queue://payroll");

    CU_ASSERT_EQUAL(hm_producer_add(alice, "ID:p:1:1", (hm_dname_t){ HM_QUEUE, "orders.in" }), APR_SUCCESS);
    CU_ASSERT_EQUAL(hm_producer_add(bob, "ID:p:1:2", (hm_dname_t){ HM_QUEUE, "orders.in" }), HM_ENOTALLOWED);
    CU_ASSERT_STRING_EQUAL(hm_client_denied(bob), "User bob is not authorized to write to: queue://orders.in");
    CU_ASSERT_EQUAL(hm_producer_add(bob, "ID:p:1:3", (hm_dname_t){ HM_QUEUE, NULL }), APR_SUCCESS); /* anonymous */

    hm_msg_t *m = mk(HM_QUEUE, "orders.in");
    CU_ASSERT_EQUAL(hm_send(alice, m, NULL, NULL, err, sizeof err), APR_SUCCESS);
    CU_ASSERT_EQUAL(hm_send(bob, m, NULL, NULL, err, sizeof err), HM_ENOTALLOWED);
    CU_ASSERT_STRING_EQUAL(err, "User bob is not authorized to write to: queue://orders.in");
    CU_ASSERT_EQUAL(hm_send_allowed(bob, m->dest, err, sizeof err), HM_ENOTALLOWED);
    /* a transaction with one forbidden message is refused whole, before anything is applied */
    hm_msg_t *t = mk(HM_TOPIC, "prices");
    hm_msg_t *both[] = { m, t };
    CU_ASSERT_EQUAL(hm_commit(alice, both, 2, NULL, 0, NULL, NULL, err, sizeof err), HM_ENOTALLOWED);
    CU_ASSERT_STRING_EQUAL(err, "User alice is not authorized to write to: topic://prices");
    hm_xid_t xid;
    memset(&xid, 0, sizeof xid);
    xid.gtrid_len = xid.bqual_len = 1;
    CU_ASSERT_EQUAL(hm_xa_prepare(bob, &xid, both, 1, NULL, 0, NULL, NULL, err, sizeof err), HM_ENOTALLOWED);
    hm_msg_unref(t);
    hm_msg_unref(m);
    hm_client_close(alice);
    hm_client_close(bob);
    hm_broker_destroy(b);
}

static void test_creating_destinations_needs_admin(void)
{
    hm_broker_t *b = make_broker(&test_auth);
    hm_client_t *alice = login(b, "alice", "wonder", NULL, APR_SUCCESS);
    hm_client_t *carol = login(b, NULL, NULL, "CN=carol", APR_SUCCESS);
    CU_ASSERT_EQUAL(hm_dest_create(alice, (hm_dname_t){ HM_QUEUE, "orders.new" }), HM_ENOTALLOWED);
    CU_ASSERT_STRING_EQUAL(hm_client_denied(alice), "User alice is not authorized to create: queue://orders.new");
    CU_ASSERT_EQUAL(hm_temp_dest_create(alice, (hm_dname_t){ HM_TEMP_QUEUE, "ID:c:1:1" }), HM_ENOTALLOWED);
    CU_ASSERT_STRING_EQUAL(hm_client_denied(alice), "User alice is not authorized to create: temp-queue://ID:c:1:1");
    CU_ASSERT_EQUAL(hm_dest_create(carol, (hm_dname_t){ HM_QUEUE, "orders.new" }), APR_SUCCESS);
    CU_ASSERT_EQUAL(hm_temp_dest_create(carol, (hm_dname_t){ HM_TEMP_QUEUE, "ID:c:1:2" }), APR_SUCCESS);
    hm_client_close(alice);
    hm_client_close(carol);
    hm_broker_destroy(b);
}

static void test_allow_all_by_default(void)
{
    hm_broker_t *b = make_broker(NULL);
    hm_client_t *c = login(b, "anyone", "anything", NULL, APR_SUCCESS);
    CU_ASSERT_STRING_EQUAL(hm_client_principal(c)->user, "anyone");
    char err[256];
    authorize_calls = 0;
    CU_ASSERT_EQUAL(open_consumer(c, "payroll", err, sizeof err), APR_SUCCESS);
    hm_msg_t *m = mk(HM_QUEUE, "payroll");
    CU_ASSERT_EQUAL(hm_send(c, m, NULL, NULL, err, sizeof err), APR_SUCCESS);
    hm_msg_unref(m);
    CU_ASSERT_EQUAL(hm_dest_create(c, (hm_dname_t){ HM_TOPIC, "news" }), APR_SUCCESS);
    CU_ASSERT_EQUAL(authorize_calls, 0);
    hm_client_close(c);
    hm_broker_destroy(b);
}

/* ---- the built-in authenticator (hm_auth_simple) with a map: "app" may read and write APP.>,
 * "admins" everything, the anonymous group may read PUBLIC; everyone ActiveMQ.Advisory.Connection. */
static int map_permits(void *baton, hm_authz_op_e op, hm_authz_dest_t d, const char *const *g, int n)
{
    if (strcmp(d.name, "ActiveMQ.Advisory.Connection") == 0)
        return 1;                     /* everyone may connect first */
    for (int i = 0; i < n; i++) {
        if (strcmp(g[i], "admins") == 0)
            return 1;
        if (strcmp(g[i], "app") == 0 && op != HM_AUTHZ_ADMIN && strncmp(d.name, "APP.", 4) == 0)
            return 1;
        if (strcmp(g[i], "guests") == 0 && op == HM_AUTHZ_READ && strcmp(d.name, "PUBLIC") == 0)
            return 1;
    }
    return 0;
}

static hm_broker_t *simple_broker(int anonymous, void **baton)
{
    static const char *const app[] = { "app" }, *const admins[] = { "admins", "app" };
    hm_auth_user_t users[] = { { "app", "secret", NULL, app, 1 }, { "admin", "adm1n", NULL, admins, 2 } };
    hm_auth_simple_opts_t o = { .users = users, .nusers = 2, .anonymous_allowed = anonymous,
                                .anonymous_group = "guests", .permits = map_permits };
    CU_ASSERT_FATAL(hm_auth_simple_create(pool, &o, baton) == APR_SUCCESS);
    hm_broker_opts_t bo = { .name = "simple", .auth = &hm_auth_simple, .auth_baton = *baton };
    hm_broker_t *b = NULL;
    CU_ASSERT_FATAL(hm_broker_create(pool, &bo, &b) == APR_SUCCESS);
    return b;
}

static apr_status_t simple_login(hm_broker_t *b, const char *user, const char *pw, hm_client_t **c,
                                 char *err, size_t errlen)
{
    hm_client_info_t info = { "ID:s", NULL, user, "tcp://10.0.0.9:4242", pw, NULL };
    *c = NULL;
    return hm_client_open_info(b, &info, c, err, errlen);
}

static void test_simple_authentication(void)
{
    void *baton;
    hm_broker_t *b = simple_broker(0, &baton);
    hm_client_t *c;
    char err[256];
    CU_ASSERT_EQUAL(simple_login(b, "admin", "wrong", &c, err, sizeof err), HM_ENOTALLOWED);
    CU_ASSERT_STRING_EQUAL(err, "User name [admin] or password is invalid.");
    CU_ASSERT_EQUAL(simple_login(b, NULL, NULL, &c, err, sizeof err), HM_ENOTALLOWED);
    CU_ASSERT_STRING_EQUAL(err, "User name [null] or password is invalid.");
    CU_ASSERT_EQUAL(simple_login(b, "app", NULL, &c, err, sizeof err), HM_ENOTALLOWED);
    CU_ASSERT_EQUAL(simple_login(b, "app", "secre", &c, err, sizeof err), HM_ENOTALLOWED);
    CU_ASSERT_EQUAL(simple_login(b, "app", "secret!", &c, err, sizeof err), HM_ENOTALLOWED);
    CU_ASSERT_EQUAL(simple_login(b, "nobody", "secret", &c, err, sizeof err), HM_ENOTALLOWED);
    CU_ASSERT_STRING_EQUAL(err, "User name [nobody] or password is invalid.");
    /* a flood of refusals is answered every time (the log is bounded, not the answers) */
    for (int i = 0; i < 500; i++)
        CU_ASSERT_EQUAL(simple_login(b, "admin", "guess", &c, err, sizeof err), HM_ENOTALLOWED);
    CU_ASSERT_EQUAL(simple_login(b, "app", "secret", &c, err, sizeof err), APR_SUCCESS);
    CU_ASSERT_STRING_EQUAL(hm_client_principal(c)->user, "app");
    CU_ASSERT_EQUAL(hm_client_principal(c)->ngroups, 1);
    hm_client_close(c);
    /* reloaded users: the old password stops working, the new one works */
    static const char *const app[] = { "app" };
    hm_auth_user_t users[] = { { "app", "changed", NULL, app, 1 } };
    CU_ASSERT_EQUAL(hm_auth_simple_set_users(baton, users, 1), APR_SUCCESS);
    CU_ASSERT_EQUAL(simple_login(b, "app", "secret", &c, err, sizeof err), HM_ENOTALLOWED);
    CU_ASSERT_EQUAL(simple_login(b, "app", "changed", &c, err, sizeof err), APR_SUCCESS);
    hm_client_close(c);
    CU_ASSERT_EQUAL(simple_login(b, "admin", "adm1n", &c, err, sizeof err), HM_ENOTALLOWED);
    hm_broker_destroy(b);
}

static void test_simple_anonymous(void)
{
    void *baton;
    hm_broker_t *b = simple_broker(1, &baton);
    hm_client_t *c;
    char err[256];
    CU_ASSERT_EQUAL(simple_login(b, NULL, NULL, &c, err, sizeof err), APR_SUCCESS);
    CU_ASSERT_STRING_EQUAL(hm_client_principal(c)->user, "anonymous");
    hm_client_t *admin;
    CU_ASSERT_EQUAL_FATAL(simple_login(b, "admin", "adm1n", &admin, err, sizeof err), APR_SUCCESS);
    /* admin's consumer creates PUBLIC and its consumer advisory topic (the guests may not) */
    CU_ASSERT_EQUAL(open_consumer(admin, "PUBLIC", err, sizeof err), APR_SUCCESS);
    hm_client_close(admin);
    CU_ASSERT_STRING_EQUAL(hm_client_principal(c)->groups[0], "guests");
    CU_ASSERT_EQUAL(open_consumer(c, "PUBLIC", err, sizeof err), APR_SUCCESS);
    CU_ASSERT_EQUAL(open_consumer(c, "APP.ORDERS", err, sizeof err), HM_ENOTALLOWED);
    CU_ASSERT_STRING_EQUAL(err, "User anonymous is not authorized to read from: queue://APP.ORDERS");
    hm_client_close(c);
    /* a user name without a password is not anonymous */
    CU_ASSERT_EQUAL(simple_login(b, "app", NULL, &c, err, sizeof err), HM_ENOTALLOWED);
    hm_broker_destroy(b);
}

static void test_simple_authorization(void)
{
    void *baton;
    hm_broker_t *b = simple_broker(0, &baton);
    hm_client_t *app, *admin;
    char err[512];
    CU_ASSERT_EQUAL_FATAL(simple_login(b, "app", "secret", &app, err, sizeof err), APR_SUCCESS);
    CU_ASSERT_EQUAL_FATAL(simple_login(b, "admin", "adm1n", &admin, err, sizeof err), APR_SUCCESS);
    /* APP.ORDERS does not exist yet: app may read it but not create it */
    CU_ASSERT_EQUAL(open_consumer(app, "APP.ORDERS", err, sizeof err), HM_ENOTALLOWED);
    CU_ASSERT_STRING_EQUAL(err, "User app is not authorized to create: queue://APP.ORDERS");
    hm_msg_t *m = mk(HM_QUEUE, "APP.ORDERS");
    CU_ASSERT_EQUAL(hm_send(app, m, NULL, NULL, err, sizeof err), HM_ENOTALLOWED);
    CU_ASSERT_STRING_EQUAL(err, "User app is not authorized to create: queue://APP.ORDERS");
    CU_ASSERT_EQUAL(hm_dest_create(app, (hm_dname_t){ HM_QUEUE, "APP.ORDERS" }), HM_ENOTALLOWED);
    /* once admin made it, app may use it */
    CU_ASSERT_EQUAL(hm_dest_create(admin, (hm_dname_t){ HM_QUEUE, "APP.ORDERS" }), APR_SUCCESS);
    CU_ASSERT_EQUAL(hm_dest_create(app, (hm_dname_t){ HM_QUEUE, "APP.ORDERS" }), APR_SUCCESS);
    CU_ASSERT_EQUAL(hm_send(app, m, NULL, NULL, err, sizeof err), APR_SUCCESS);
    CU_ASSERT_EQUAL(open_consumer(admin, "APP.ORDERS", err, sizeof err), APR_SUCCESS);
    CU_ASSERT_EQUAL(open_consumer(app, "APP.ORDERS", err, sizeof err), APR_SUCCESS);
    CU_ASSERT_EQUAL(open_consumer(app, "ADMIN.ONLY", err, sizeof err), HM_ENOTALLOWED);
    CU_ASSERT_STRING_EQUAL(err, "User app is not authorized to read from: queue://ADMIN.ONLY");
    hm_msg_unref(m);
    /* a composite needs every part: the permitted first part does not open the second */
    m = mk(HM_QUEUE, "APP.ORDERS,topic://ADMIN.NEWS");
    CU_ASSERT_EQUAL(hm_send(app, m, NULL, NULL, err, sizeof err), HM_ENOTALLOWED);
    CU_ASSERT_STRING_EQUAL(err, "User app is not authorized to write to: APP.ORDERS,topic://ADMIN.NEWS");
    hm_msg_unref(m);
    /* ActiveMQ's advisory rule: the first advisory on a topic creates it in the context of the
     * client that raised it, so app (no admin anywhere) may not be the first consumer or producer
     * of a destination; once admin's were, app may */
    CU_ASSERT_EQUAL(hm_dest_create(admin, (hm_dname_t){ HM_QUEUE, "APP.NEW" }), APR_SUCCESS);
    CU_ASSERT_EQUAL(open_consumer(app, "APP.NEW", err, sizeof err), HM_ENOTALLOWED);
    CU_ASSERT_STRING_EQUAL(err, "User app is not authorized to create: topic://ActiveMQ.Advisory.Consumer.Queue.APP.NEW");
    CU_ASSERT_EQUAL(hm_producer_add(app, "ID:p:9:1", (hm_dname_t){ HM_QUEUE, "APP.NEW" }), HM_ENOTALLOWED);
    CU_ASSERT_STRING_EQUAL(hm_client_denied(app), "User app is not authorized to create: topic://ActiveMQ.Advisory.Producer.Queue.APP.NEW");
    CU_ASSERT_EQUAL(open_consumer(admin, "APP.NEW", err, sizeof err), APR_SUCCESS);
    CU_ASSERT_EQUAL(hm_producer_add(admin, "ID:p:9:2", (hm_dname_t){ HM_QUEUE, "APP.NEW" }), APR_SUCCESS);
    CU_ASSERT_EQUAL(open_consumer(app, "APP.NEW", err, sizeof err), APR_SUCCESS);
    CU_ASSERT_EQUAL(hm_producer_add(app, "ID:p:9:3", (hm_dname_t){ HM_QUEUE, "APP.NEW" }), APR_SUCCESS);
    /* subscribing to an advisory topic nobody published on yet creates it: admin */
    hm_consumer_opts_t o = { { HM_TOPIC, "ActiveMQ.Advisory.Producer.Queue.APP.ORDERS" }, NULL, 10, 0, 0, 0, 0 };
    hm_consumer_t *k = NULL;
    CU_ASSERT_EQUAL(hm_consumer_open(app, &o, &ops, NULL, &k, err, sizeof err), HM_ENOTALLOWED);
    CU_ASSERT_STRING_EQUAL(err, "User app is not authorized to read from: topic://ActiveMQ.Advisory.Producer.Queue.APP.ORDERS");
    CU_ASSERT_EQUAL(hm_consumer_open(admin, &o, &ops, NULL, &k, err, sizeof err), APR_SUCCESS);
    if (k)
        hm_consumer_close(k, UINT64_MAX);
    hm_client_close(app);
    hm_client_close(admin);
    hm_broker_destroy(b);
}

/* jaasCertificateAuthenticationPlugin: the client certificate's DN names the user. */
static void test_certificate_users(void)
{
    static const char *const app[] = { "app" };
    hm_auth_user_t users[] = { { "app", NULL, "CN=jms client, O=hermod tests", app, 1 } };
    hm_auth_simple_opts_t o = { .users = users, .nusers = 1, .certificates = 1 };
    void *baton;
    CU_ASSERT_FATAL(hm_auth_simple_create(pool, &o, &baton) == APR_SUCCESS);
    hm_broker_opts_t bo = { .name = "cert", .auth = &hm_auth_simple, .auth_baton = baton };
    hm_broker_t *b = NULL;
    CU_ASSERT_FATAL(hm_broker_create(pool, &bo, &b) == APR_SUCCESS);
    char err[256];
    hm_client_t *c = NULL;
    hm_client_info_t plain = { "ID:x", NULL, "app", "tcp://10.0.0.1:1", "whatever", NULL };
    CU_ASSERT_EQUAL(hm_client_open_info(b, &plain, &c, err, sizeof err), HM_ENOTALLOWED);
    CU_ASSERT_STRING_EQUAL(err, "Unable to authenticate transport without SSL certificate.");
    hm_client_info_t other = { "ID:x", NULL, NULL, "tcp://10.0.0.1:1", NULL, "CN=mallory" };
    CU_ASSERT_EQUAL(hm_client_open_info(b, &other, &c, err, sizeof err), HM_ENOTALLOWED);
    CU_ASSERT_STRING_EQUAL(err, "User name [null] or password is invalid. No user for client certificate: CN=mallory");
    hm_client_info_t good = { "ID:x", NULL, NULL, "tcp://10.0.0.1:1", NULL, "CN=jms client, O=hermod tests" };
    CU_ASSERT_EQUAL_FATAL(hm_client_open_info(b, &good, &c, err, sizeof err), APR_SUCCESS);
    CU_ASSERT_STRING_EQUAL(hm_client_principal(c)->user, "app");
    CU_ASSERT_STRING_EQUAL(hm_client_principal(c)->groups[0], "app");
    CU_ASSERT_STRING_EQUAL(hm_client_principal(c)->shown, "CN=jms client, O=hermod tests");
    hm_client_close(c);
    hm_broker_destroy(b);

    /* jaasDualAuthenticationPlugin: TLS connectors by certificate, the others by password */
    static const char *const apps[] = { "apps" };
    hm_auth_user_t pw_users[] = { { "app", "apppw", NULL, apps, 1 } };
    hm_auth_simple_opts_t po = { .users = pw_users, .nusers = 1 };
    void *pw_baton, *dual_baton;
    CU_ASSERT_FATAL(hm_auth_simple_create(pool, &po, &pw_baton) == APR_SUCCESS);
    CU_ASSERT_FATAL(hm_auth_dual_create(pool, &hm_auth_simple, pw_baton, &hm_auth_simple, baton,
                                        &dual_baton) == APR_SUCCESS);
    hm_broker_opts_t dbo = { .name = "dual", .auth = &hm_auth_dual, .auth_baton = dual_baton };
    CU_ASSERT_FATAL(hm_broker_create(pool, &dbo, &b) == APR_SUCCESS);
    hm_client_info_t pw = { "ID:y", NULL, "app", "tcp://10.0.0.1:1", "apppw", NULL, 0 };
    CU_ASSERT_EQUAL_FATAL(hm_client_open_info(b, &pw, &c, err, sizeof err), APR_SUCCESS);
    CU_ASSERT_STRING_EQUAL(hm_client_principal(c)->groups[0], "apps");
    hm_client_close(c);
    pw.tls = 1;                       /* the same password on a TLS connector: a certificate is needed */
    CU_ASSERT_EQUAL(hm_client_open_info(b, &pw, &c, err, sizeof err), HM_ENOTALLOWED);
    CU_ASSERT_STRING_EQUAL(err, "Unable to authenticate transport without SSL certificate.");
    good.tls = 1;
    CU_ASSERT_EQUAL_FATAL(hm_client_open_info(b, &good, &c, err, sizeof err), APR_SUCCESS);
    CU_ASSERT_STRING_EQUAL(hm_client_principal(c)->user, "app");
    hm_client_close(c);
    hm_broker_destroy(b);
}

int main(void)
{
    apr_initialize();
    apr_pool_create(&pool, NULL);
    CU_initialize_registry();
    CU_pSuite s = CU_add_suite("server_auth", NULL, NULL);
    CU_add_test(s, "credentials reach the authenticator; bad ones are refused",
                test_credentials_reach_the_authenticator);
    CU_add_test(s, "consumers, producers, sends and transactions are authorized",
                test_consumers_producers_and_sends_are_authorized);
    CU_add_test(s, "creating destinations and temporary destinations needs admin",
                test_creating_destinations_needs_admin);
    CU_add_test(s, "allow-all when no authorizer is configured", test_allow_all_by_default);
    CU_add_test(s, "built-in users: ActiveMQ's refusal text, exact passwords, reload",
                test_simple_authentication);
    CU_add_test(s, "anonymous access gets the anonymous user and group", test_simple_anonymous);
    CU_add_test(s, "certificate users: the client certificate's DN", test_certificate_users);
    CU_add_test(s, "authorization map: read, write, create-only-when-missing, composites, advisories",
                test_simple_authorization);
    CU_basic_set_mode(CU_BRM_VERBOSE);
    CU_basic_run_tests();
    unsigned failed = CU_get_number_of_failures();
    CU_cleanup_registry();
    apr_pool_destroy(pool);
    apr_terminate();
    return failed ? 1 : 0;
}
