/* XPATH selectors over message bodies, including hostile XML (entities, depth, size). */
#include <CUnit/Basic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <apr_general.h>
#include <apr_pools.h>

#include "sel.h"
#include "sel_limits.h"
#include "selectors_test_util.h"

static apr_pool_t *pool;

typedef struct body_s { const char *text; size_t len; } body_t;

static void body_get(void *msg, const char *name, size_t len, sel_value_t *out)
{
    (void)msg; (void)name; (void)len;
    out->type = SEL_NULL;
}

static int body_text(void *msg, const char **text, size_t *len)
{
    body_t *b = msg;
    if (!b->text) return 0;
    *text = b->text;
    *len = b->len;
    return 1;
}

static sel_result_e xpath_on(const char *sel, const char *text, size_t len)
{
    static const sel_accessor_t bacc = { body_get, body_text };
    body_t b = { text, len };
    sel_expr_t *e;
    char err[256];
    if (sel_compile(pool, sel, strlen(sel), &e, err, sizeof err) != APR_SUCCESS) return (sel_result_e)-1;
    CU_ASSERT_EQUAL(sel_uses_body(e), strstr(sel, "XPATH") != NULL);
    return sel_eval(e, &bacc, &b);
}

static void test_xpath(void)
{
    const char *doc = "<order type='x'><item>1</item></order>";
    CU_ASSERT_EQUAL(xpath_on("XPATH '//order[@type=''x'']'", doc, strlen(doc)), SEL_TRUE);
    CU_ASSERT_EQUAL(xpath_on("XPATH '//order[@type=''y'']'", doc, strlen(doc)), SEL_FALSE);
    CU_ASSERT_EQUAL(xpath_on("XPATH 'order/item = 1'", doc, strlen(doc)), SEL_TRUE);
    CU_ASSERT_EQUAL(xpath_on("XPATH 'count(//item)'", doc, strlen(doc)), SEL_TRUE);
    CU_ASSERT_EQUAL(xpath_on("NOT XPATH '//order'", doc, strlen(doc)), SEL_FALSE);
    CU_ASSERT_EQUAL(xpath_on("XPATH '//order'", NULL, 0), SEL_FALSE);          /* no text body */
    CU_ASSERT_EQUAL(xpath_on("XPATH '//order'", "<order>", 7), SEL_FALSE);     /* not well-formed */
    CU_ASSERT_EQUAL(xpath_on("XPATH ']['", doc, strlen(doc)), SEL_FALSE);      /* bad XPath: valid, never matches */
    CU_ASSERT_EQUAL(xpath_on("XQUERY '//order'", doc, strlen(doc)), SEL_FALSE);
    /* XXE: an external entity must never be read; any DOCTYPE makes the body not match */
    const char *xxe = "<?xml version='1.0'?><!DOCTYPE r [<!ENTITY x SYSTEM 'file:///etc/passwd'>]>"
                      "<r>&x;</r>";
    CU_ASSERT_EQUAL(xpath_on("XPATH 'contains(/r, ''root'')'", xxe, strlen(xxe)), SEL_FALSE);
    CU_ASSERT_EQUAL(xpath_on("XPATH '/r'", xxe, strlen(xxe)), SEL_FALSE);
    const char *net = "<!DOCTYPE r SYSTEM 'http://127.0.0.1:9/x.dtd'><r/>";
    CU_ASSERT_EQUAL(xpath_on("XPATH '/r'", net, strlen(net)), SEL_FALSE);
    /* billion laughs: refused at the DOCTYPE, before any expansion */
    const char *lol =
        "<?xml version='1.0'?><!DOCTYPE lolz [<!ENTITY lol 'lol'>"
        "<!ENTITY lol1 '&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;'>"
        "<!ENTITY lol2 '&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;'>"
        "<!ENTITY lol3 '&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;'>"
        "<!ENTITY lol4 '&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;'>"
        "<!ENTITY lol5 '&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;'>"
        "<!ENTITY lol6 '&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;'>"
        "<!ENTITY lol7 '&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;'>"
        "<!ENTITY lol8 '&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;'>"
        "<!ENTITY lol9 '&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;'>"
        "]><lolz>&lol9;</lolz>";
    CU_ASSERT_EQUAL(xpath_on("XPATH 'string-length(/lolz) > 0'", lol, strlen(lol)), SEL_FALSE);
    /* a pathological XPath over a moderate body gives up (FALSE) instead of running for hours */
    char *wide = repeat("<r>", "<a/>", 3000, "</r>");
    CU_ASSERT_EQUAL(xpath_on("XPATH 'count(//a[count(//a[count(//a) > 0]) > 0]) > 0'", wide, strlen(wide)), SEL_FALSE);
    CU_ASSERT_EQUAL(xpath_on("XPATH 'count(//a) = 3000'", wide, strlen(wide)), SEL_TRUE);
    free(wide);
    /* deep element nesting beyond the limit is refused, not recursed into */
    char *deep = repeat("", "<a>", 5000, "");
    char *deep2 = repeat(deep, "</a>", 5000, "");
    CU_ASSERT_EQUAL(xpath_on("XPATH '/a'", deep2, strlen(deep2)), SEL_FALSE);
    free(deep); free(deep2);
    deep = repeat("", "<a>", SEL_XML_MAX_DEPTH, "");
    deep2 = repeat(deep, "</a>", SEL_XML_MAX_DEPTH, "");
    CU_ASSERT_EQUAL(xpath_on("XPATH '/a'", deep2, strlen(deep2)), SEL_TRUE);
    free(deep); free(deep2);
}

/* ---- one compiled selector shared by several threads ---- */

int main(void)
{
    apr_initialize();
    sel_global_init();
    apr_pool_create(&pool, NULL);
    CU_initialize_registry();
    CU_pSuite s = CU_add_suite("selectors: XPATH", NULL, NULL);
    CU_add_test(s, "XPATH, including hostile XML", test_xpath);
    CU_basic_set_mode(CU_BRM_VERBOSE);
    CU_basic_run_tests();
    unsigned failed = CU_get_number_of_failures();
    CU_cleanup_registry();
    apr_pool_destroy(pool);
    apr_terminate();
    return failed ? 1 : 0;
}
