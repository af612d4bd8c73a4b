/* <webConsole>: what is read, and the mistakes refused with file, line and element. */
#include "conf_test_util.h"

static void test_web_console_read(void)
{
    logcap_t lc;
    cfg_t *cfg = ok("<broker " CORE "><webConsole uri='http://127.0.0.1:8161'/></broker>", &lc);
    CU_ASSERT_PTR_NOT_NULL_FATAL(cfg->web);
    CU_ASSERT_STRING_EQUAL(cfg->web->host, "127.0.0.1");
    CU_ASSERT_EQUAL(cfg->web->port, 8161);
    CU_ASSERT_FALSE(cfg->web->https);
    CU_ASSERT_FALSE(cfg->web->allow_remote_without_auth);
    CU_ASSERT_STRING_EQUAL(cfg->web->admin_group, "admins");
    CU_ASSERT_EQUAL(lc.warns, 0);
    cfg = ok("<broker " CORE "><webConsole uri='http://[::1]:9000/' allowRemoteWithoutAuth='true' "
             "adminGroup='ops'/></broker>", &lc);
    CU_ASSERT_STRING_EQUAL(cfg->web->host, "::1");
    CU_ASSERT_EQUAL(cfg->web->port, 9000);
    CU_ASSERT_TRUE(cfg->web->allow_remote_without_auth);
    CU_ASSERT_STRING_EQUAL(cfg->web->admin_group, "ops");
    cfg = ok("<broker " CORE "/>", &lc);
    CU_ASSERT_PTR_NULL(cfg->web);
}

static void test_web_console_https_needs_pem_ssl_context(void)
{
    logcap_t lc;
    cfg_t *cfg = ok("<broker " CORE "><webConsole uri='https://localhost:8162'/>"
                    "<sslContext><sslContext certificate='c.pem' privateKey='k.pem'/></sslContext></broker>", &lc);
    CU_ASSERT_TRUE(cfg->web->https);
    CU_ASSERT_STRING_EQUAL(cfg->web->host, "localhost");
    char err[1024] = "";
    cfg = NULL;
    CU_ASSERT_NOT_EQUAL(load("<broker " CORE ">\n<webConsole uri='https://localhost:8162'/></broker>", &lc, &cfg,
                             err, sizeof err), APR_SUCCESS);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "t.xml:2: <webConsole uri=\"https://localhost:8162\">: https needs an <sslContext>"));
}

static void test_web_console_mistakes(void)
{
    static const char *const bad[][2] = {
        { "<webConsole/>", "uri=" },
        { "<webConsole uri='ftp://127.0.0.1:8161'/>", "expected http://host:port" },
        { "<webConsole uri='http://127.0.0.1'/>", "expected http://host:port" },
        { "<webConsole uri='http://127.0.0.1:0'/>", "the port must be 1..65535" },
        { "<webConsole uri='http://127.0.0.1:70000'/>", "the port must be 1..65535" },
        { "<webConsole uri='http://127.0.0.1:8161/admin'/>", "no path" },
        { "<webConsole uri='http://127.0.0.1:8161' allowRemoteWithoutAuth='perhaps'/>", "allowRemoteWithoutAuth" },
        { "<webConsole uri='http://127.0.0.1:8161'/><webConsole uri='http://127.0.0.1:8162'/>", "appears twice" },
        { "<webConsole uri='http://127.0.0.1:8161'><x/></webConsole>", "x" },
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        logcap_t lc;
        cfg_t *cfg = NULL;
        char xml[512], err[1024] = "";
        snprintf(xml, sizeof xml, "<broker " CORE ">%s</broker>", bad[i][0]);
        apr_status_t rv = load(xml, &lc, &cfg, err, sizeof err);
        CU_ASSERT_NOT_EQUAL(rv, APR_SUCCESS);
        if (!strstr(err, bad[i][1]) || !strstr(err, "<webConsole"))
            fprintf(stderr, "\n%s: %s\n", bad[i][0], err);
        CU_ASSERT_PTR_NOT_NULL(strstr(err, bad[i][1]));
        CU_ASSERT_PTR_NOT_NULL(strstr(err, "t.xml:1:"));
    }
}

int main(void)
{
    apr_initialize();
    apr_pool_create(&pool, NULL);
    CU_initialize_registry();
    CU_pSuite s = CU_add_suite("conf_web", NULL, NULL);
    CU_add_test(s, "<webConsole> read", test_web_console_read);
    CU_add_test(s, "https needs an <sslContext> with PEM files", test_web_console_https_needs_pem_ssl_context);
    CU_add_test(s, "mistakes name file, line and element", test_web_console_mistakes);
    CU_basic_set_mode(CU_BRM_VERBOSE);
    CU_basic_run_tests();
    unsigned failed = CU_get_number_of_failures();
    CU_cleanup_registry();
    apr_terminate();
    return failed ? 1 : 0;
}
