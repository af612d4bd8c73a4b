/* Users from the configuration's side files: JAAS (login.config + users/groups.properties, with
 * reload), properties files named by a PropertyPlaceholderConfigurer bean, and Jasypt ENC()
 * values; ActiveMQ's own activemq-security.xml example loads with its credentials. */
#include <apr_file_io.h>
#include <unistd.h>

#include "conf_test_util.h"

static char dir[256];

static void put(const char *name, const char *text)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    fputs(text, f);
    fclose(f);
}

static apr_status_t load_in_dir(const char *xml, logcap_t *lc, cfg_t **cfg, char *err, size_t errlen)
{
    cfg_load_opts_t o = opts_with(lc);
    o.conf_dir = dir;
    return cfg_load_memory(pool, "t.xml", xml, strlen(xml), &o, cfg, err, errlen);
}

static const cfg_user_t *user(const cfg_t *cfg, const char *name)
{
    for (int i = 0; i < cfg->plugins.users->nelts; i++) {
        const cfg_user_t *u = &APR_ARRAY_IDX(cfg->plugins.users, i, cfg_user_t);
        if (strcmp(u->username, name) == 0)
            return u;
    }
    return NULL;
}

static int in_group(const cfg_user_t *u, const char *g)
{
    for (int i = 0; u && i < u->groups->nelts; i++)
        if (strcmp(APR_ARRAY_IDX(u->groups, i, const char *), g) == 0)
            return 1;
    return 0;
}

#define JAAS_XML "<broker " CORE "><plugins><jaasAuthenticationPlugin configuration='activemq'/>" \
                 "</plugins></broker>"

static void test_jaas_properties_login_module(void)
{
    put("login.config",
        "/* as ActiveMQ ships it */\n"
        "activemq {\n"
        "    org.apache.activemq.jaas.PropertiesLoginModule required\n"
        "        org.apache.activemq.jaas.properties.user=\"users.properties\"\n"
        "        org.apache.activemq.jaas.properties.group=\"groups.properties\"\n"
        "        reload=true;\n"
        "};\n"
        "// another application's entry is not ours to judge\n"
        "other { com.example.KerberosModule required debug=true; };\n");
    put("users.properties", "# user=password\nadmin=admin\nuser : pass\\\n   word\nsp\\ ace=x\\u00e9\n");
    put("groups.properties", "admins=admin\nusers=admin, user\n");
    logcap_t lc;
    cfg_t *cfg = NULL;
    char err[1024] = "";
    apr_status_t rv = load_in_dir(JAAS_XML, &lc, &cfg, err, sizeof err);
    if (rv)
        fprintf(stderr, "\n%s\n", err);
    CU_ASSERT_EQUAL_FATAL(rv, APR_SUCCESS);
    CU_ASSERT_TRUE(cfg->plugins.authentication);
    CU_ASSERT_PTR_NOT_NULL_FATAL(cfg->plugins.jaas);
    CU_ASSERT_TRUE(cfg->plugins.jaas->reload);
    CU_ASSERT_EQUAL(cfg->plugins.users->nelts, 3);
    CU_ASSERT_STRING_EQUAL(user(cfg, "admin")->password, "admin");
    CU_ASSERT_STRING_EQUAL(user(cfg, "user")->password, "password");     /* continuation */
    CU_ASSERT_STRING_EQUAL(user(cfg, "sp ace")->password, "x\xc3\xa9");  /* escapes, \u00e9 */
    CU_ASSERT_TRUE(in_group(user(cfg, "admin"), "admins"));
    CU_ASSERT_TRUE(in_group(user(cfg, "admin"), "users"));
    CU_ASSERT_TRUE(in_group(user(cfg, "user"), "users"));
    CU_ASSERT_FALSE(in_group(user(cfg, "user"), "admins"));
    CU_ASSERT(logged(&lc, "3 users from"));

    /* reload: nothing changed, nothing read; a changed file gives the new users */
    apr_array_header_t *users = NULL;
    CU_ASSERT_EQUAL(cfg_jaas_reload(cfg->plugins.jaas, pool, &users, err, sizeof err), APR_SUCCESS);
    CU_ASSERT_PTR_NULL(users);
    put("users.properties", "admin=changed-and-longer\n");
    CU_ASSERT_EQUAL(cfg_jaas_reload(cfg->plugins.jaas, pool, &users, err, sizeof err), APR_SUCCESS);
    CU_ASSERT_PTR_NOT_NULL_FATAL(users);
    CU_ASSERT_EQUAL(users->nelts, 1);
    CU_ASSERT_STRING_EQUAL(APR_ARRAY_IDX(users, 0, cfg_user_t).password, "changed-and-longer");
    cfg_destroy(cfg);
}

static void test_jaas_refusals(void)
{
    static const struct { const char *login_config, *message; } cases[] = {
        { "activemq { org.apache.activemq.jaas.GuestLoginModule required; };",
          "login module org.apache.activemq.jaas.GuestLoginModule is Java code hermod cannot run" },
        { "activemq { org.apache.activemq.jaas.PropertiesLoginModule required; "
          "org.apache.activemq.jaas.GuestLoginModule sufficient; };", "login module" },
        { "other { org.apache.activemq.jaas.PropertiesLoginModule required; };",
          "no entry \"activemq\"" },
        { "activemq { org.apache.activemq.jaas.PropertiesLoginModule required", "expected \";\"" },
        { "activemq { org.apache.activemq.jaas.PropertiesLoginModule always; };", "expected a flag" },
        { "activemq { org.apache.activemq.jaas.PropertiesLoginModule required "
          "org.apache.activemq.jaas.properties.user=\"nope.properties\"; };", "cannot be read" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        put("login.config", cases[i].login_config);
        logcap_t lc;
        cfg_t *cfg = NULL;
        char err[1024] = "";
        CU_ASSERT_NOT_EQUAL(load_in_dir(JAAS_XML, &lc, &cfg, err, sizeof err), APR_SUCCESS);
        CU_ASSERT_PTR_NULL(cfg);
        if (!strstr(err, cases[i].message) || !strstr(err, "t.xml:1: <jaasAuthenticationPlugin>"))
            fprintf(stderr, "\ncase %zu: %s\n", i, err);
        CU_ASSERT_PTR_NOT_NULL(strstr(err, cases[i].message));
    }
}

static void test_jaas_certificate_login_module(void)
{
    put("login.config",
        "CertLogin {\n"
        "    org.apache.activemq.jaas.TextFileCertificateLoginModule required\n"
        "        debug=true\n"
        "        org.apache.activemq.jaas.textfiledn.user=\"dn-users.properties\"\n"
        "        org.apache.activemq.jaas.textfiledn.group=\"dn-groups.properties\";\n"
        "};\n");
    put("dn-users.properties", "app=CN=jms client, O=hermod tests\n");
    put("dn-groups.properties", "apps=app\n");
    logcap_t lc;
    cfg_t *cfg = NULL;
    char err[1024] = "";
    const char *xml = "<broker " CORE "><plugins><jaasCertificateAuthenticationPlugin "
                      "configuration='CertLogin'/></plugins></broker>";
    apr_status_t rv = load_in_dir(xml, &lc, &cfg, err, sizeof err);
    if (rv)
        fprintf(stderr, "\n%s\n", err);
    CU_ASSERT_EQUAL_FATAL(rv, APR_SUCCESS);
    CU_ASSERT_TRUE(cfg->plugins.jaas->certificates);
    CU_ASSERT_STRING_EQUAL(user(cfg, "app")->dn, "CN=jms client, O=hermod tests");
    CU_ASSERT_PTR_NULL(user(cfg, "app")->password);
    CU_ASSERT_TRUE(in_group(user(cfg, "app"), "apps"));
    cfg_destroy(cfg);
    /* jaasDualAuthenticationPlugin: both entries, password users and certificate users apart */
    put("login.config",
        "CertLogin { org.apache.activemq.jaas.TextFileCertificateLoginModule required\n"
        "  org.apache.activemq.jaas.textfiledn.user=\"dn-users.properties\"\n"
        "  org.apache.activemq.jaas.textfiledn.group=\"dn-groups.properties\"; };\n"
        "activemq { org.apache.activemq.jaas.PropertiesLoginModule required\n"
        "  org.apache.activemq.jaas.properties.user=\"users.properties\"\n"
        "  org.apache.activemq.jaas.properties.group=\"dn-groups.properties\"; };\n");
    put("users.properties", "app=apppw\n");
    const char *dual = "<broker " CORE "><plugins><jaasDualAuthenticationPlugin configuration='activemq' "
                       "sslConfiguration='CertLogin'/></plugins></broker>";
    rv = load_in_dir(dual, &lc, &cfg, err, sizeof err);
    if (rv)
        fprintf(stderr, "\n%s\n", err);
    CU_ASSERT_EQUAL_FATAL(rv, APR_SUCCESS);
    CU_ASSERT_STRING_EQUAL(user(cfg, "app")->password, "apppw");
    CU_ASSERT_PTR_NOT_NULL_FATAL(cfg->plugins.jaas_ssl);
    CU_ASSERT_EQUAL(cfg->plugins.ssl_users->nelts, 1);
    CU_ASSERT_STRING_EQUAL(APR_ARRAY_IDX(cfg->plugins.ssl_users, 0, cfg_user_t).dn, "CN=jms client, O=hermod tests");
    cfg_destroy(cfg);
    /* the password module under the certificate plugin is refused, naming what is expected */
    put("login.config", "CertLogin { org.apache.activemq.jaas.PropertiesLoginModule required; };");
    CU_ASSERT_NOT_EQUAL(load_in_dir(xml, &lc, &cfg, err, sizeof err), APR_SUCCESS);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "hermod reads org.apache.activemq.jaas.TextFileCertificateLoginModule"));
}

static void test_jasypt_decrypt(void)
{
    /* the values of ActiveMQ's credentials-enc.properties, made with password "activemq" */
    const char *plain = NULL;
    CU_ASSERT_EQUAL(cfg_jasypt_decrypt(pool, "activemq", "mYRkg+4Q4hua1kvpCCI2hg==", &plain), APR_SUCCESS);
    CU_ASSERT_STRING_EQUAL(plain, "manager");
    CU_ASSERT_EQUAL(cfg_jasypt_decrypt(pool, "activemq", "Cf3Jf3tM+UrSOoaKU50od5CuBa8rxjoL", &plain), APR_SUCCESS);
    CU_ASSERT_STRING_EQUAL(plain, "password");
    CU_ASSERT_NOT_EQUAL(cfg_jasypt_decrypt(pool, "wrong", "mYRkg+4Q4hua1kvpCCI2hg==", &plain), APR_SUCCESS);
    static const char *const bad[] = { "", "abc", "!!!!", "mYRkg+4Q", "mYRkg+4Q4hua1kvpCCI2h===" };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        CU_ASSERT_EQUAL(cfg_jasypt_decrypt(pool, "activemq", bad[i], &plain), CFG_EVALUE);
}

static void test_placeholder_bean_properties(void)
{
    put("credentials.properties", "activemq.username=system\nactivemq.password=manager\n");
    const char *xml =
        "<beans xmlns='http://www.springframework.org/schema/beans'>\n"
        "<bean class='org.springframework.beans.factory.config.PropertyPlaceholderConfigurer'>"
        "<property name='locations'><value>file:${activemq.conf}/credentials.properties</value>"
        "</property></bean>\n"
        "<broker " CORE "><plugins><simpleAuthenticationPlugin><users>"
        "<authenticationUser username='${activemq.username}' password='${activemq.password}' groups='admins'/>"
        "</users></simpleAuthenticationPlugin></plugins></broker></beans>";
    logcap_t lc;
    cfg_t *cfg = NULL;
    char err[1024] = "";
    apr_status_t rv = load_in_dir(xml, &lc, &cfg, err, sizeof err);
    if (rv)
        fprintf(stderr, "\n%s\n", err);
    CU_ASSERT_EQUAL_FATAL(rv, APR_SUCCESS);
    CU_ASSERT_STRING_EQUAL(user(cfg, "system")->password, "manager");
    CU_ASSERT(logged(&lc, "2 placeholder values from"));
    cfg_destroy(cfg);
    /* without the file, a placeholder it would define is an error naming it */
    put("credentials.properties", "other=1\n");
    CU_ASSERT_EQUAL(load_in_dir(xml, &lc, &cfg, err, sizeof err), CFG_EPLACEHOLDER);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "${activemq.username}"));
}

/* ActiveMQ's own example, as Debian ships it, with its credentials-enc.properties. */
static void test_activemq_security_example(void)
{
    logcap_t lc;
    cfg_load_opts_t o = opts_with(&lc);
    cfg_t *cfg = NULL;
    char err[1024] = "";
    setenv("ACTIVEMQ_ENCRYPTION_PASSWORD", "activemq", 1);
    apr_status_t rv = cfg_load_file(pool, "test/unit/fixtures/security/activemq-security.xml", &o, &cfg,
                                    err, sizeof err);
    if (rv)
        fprintf(stderr, "\n%s\n", err);
    CU_ASSERT_EQUAL_FATAL(rv, APR_SUCCESS);
    CU_ASSERT_TRUE(cfg->plugins.authentication);
    CU_ASSERT_TRUE(cfg->plugins.authorization);
    CU_ASSERT_STRING_EQUAL(user(cfg, "system")->password, "manager");
    CU_ASSERT_STRING_EQUAL(user(cfg, "user")->password, "password");
    CU_ASSERT_STRING_EQUAL(user(cfg, "guest")->password, "password");
    const char *admins[] = { "admins" }, *guests[] = { "guests" };
    CU_ASSERT_TRUE(cfg_authz_permits(cfg, CFG_DEST_QUEUE, "ANY", CFG_AUTHZ_WRITE, admins, 1));
    CU_ASSERT_FALSE(cfg_authz_permits(cfg, CFG_DEST_QUEUE, "ANY", CFG_AUTHZ_WRITE, guests, 1));
    CU_ASSERT_TRUE(cfg_authz_permits(cfg, CFG_DEST_QUEUE, "GUEST.x", CFG_AUTHZ_READ, guests, 1));
    cfg_destroy(cfg);
    /* without the encryption password: refused, naming the variable */
    unsetenv("ACTIVEMQ_ENCRYPTION_PASSWORD");
    o = opts_with(&lc);
    rv = cfg_load_file(pool, "test/unit/fixtures/security/activemq-security.xml", &o, &cfg, err, sizeof err);
    CU_ASSERT_EQUAL(rv, CFG_EMISSING);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "ACTIVEMQ_ENCRYPTION_PASSWORD is not set"));
    setenv("ACTIVEMQ_ENCRYPTION_PASSWORD", "not-it", 1);
    rv = cfg_load_file(pool, "test/unit/fixtures/security/activemq-security.xml", &o, &cfg, err, sizeof err);
    CU_ASSERT_NOT_EQUAL(rv, APR_SUCCESS);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "cannot be decrypted"));
    unsetenv("ACTIVEMQ_ENCRYPTION_PASSWORD");
}

/* The README's example configuration loads, passwords from its credentials.properties. */
static void test_shipped_secure_example(void)
{
    logcap_t lc;
    cfg_load_opts_t o = opts_with(&lc);
    cfg_t *cfg = NULL;
    char err[1024] = "";
    apr_status_t rv = cfg_load_file(pool, "conf/examples/hermod-secure.xml", &o, &cfg, err, sizeof err);
    if (rv)
        fprintf(stderr, "\n%s\n", err);
    CU_ASSERT_EQUAL_FATAL(rv, APR_SUCCESS);
    CU_ASSERT_STRING_EQUAL(user(cfg, "admin")->password, "change-me-admin");
    CU_ASSERT_TRUE(cfg->populate_jmsx_user_id);
    CU_ASSERT_EQUAL(lc.warns, 0);
    cfg_destroy(cfg);
}

int main(void)
{
    apr_initialize();
    apr_pool_create(&pool, NULL);
    snprintf(dir, sizeof dir, "/tmp/hermod-conf-security-%d", (int)getpid());
    apr_dir_make_recursive(dir, APR_OS_DEFAULT, pool);
    CU_initialize_registry();
    CU_pSuite s = CU_add_suite("conf_security", NULL, NULL);
    CU_add_test(s, "JAAS: login.config, users and groups properties, reload", test_jaas_properties_login_module);
    CU_add_test(s, "JAAS: other login modules and broken files refused", test_jaas_refusals);
    CU_add_test(s, "JAAS: TextFileCertificateLoginModule (user = DN)", test_jaas_certificate_login_module);
    CU_add_test(s, "Jasypt ENC() values (PBEWithMD5AndDES)", test_jasypt_decrypt);
    CU_add_test(s, "PropertyPlaceholderConfigurer's properties file", test_placeholder_bean_properties);
    CU_add_test(s, "ActiveMQ's activemq-security.xml example loads with its credentials",
                test_activemq_security_example);
    CU_add_test(s, "the README's secured example loads", test_shipped_secure_example);
    CU_basic_set_mode(CU_BRM_VERBOSE);
    CU_basic_run_tests();
    unsigned failed = CU_get_number_of_failures();
    CU_cleanup_registry();
    static const char *const files[] = { "login.config", "users.properties", "groups.properties",
                                         "credentials.properties", "dn-users.properties", "dn-groups.properties" };
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++)
        apr_file_remove(apr_pstrcat(pool, dir, "/", files[i], NULL), pool);
    apr_dir_remove(dir, pool);
    apr_pool_destroy(pool);
    apr_terminate();
    return failed ? 1 : 0;
}
