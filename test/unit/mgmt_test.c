/* The management side's pure pieces: escaping for JSON, XML and Prometheus (what keeps a hostile
 * message body or destination name from breaking out of its string), and /metrics as rendered
 * from a real broker the operations changed (hm_admin.h in-process, no HTTP). */
#include <string.h>

#include <CUnit/Basic.h>
#include <apr_general.h>

#include "hm_admin.h"
#include "mg_int.h"
#include "mg_text.h"

static char *render(void (*fn)(hm_wbuf_t *, const char *, size_t), const char *s, size_t len)
{
    static char out[4096];
    hm_wbuf_t w;
    hm_wbuf_init(&w, sizeof out - 1);
    fn(&w, s, len);
    memcpy(out, w.data, w.len);
    out[w.len] = '\0';
    hm_wbuf_free(&w);
    return out;
}

static void test_json_escapes_what_breaks_out(void)
{
    CU_ASSERT_STRING_EQUAL(render(mg_json_str, "a\"b\\c", 5), "\"a\\\"b\\\\c\"");
    CU_ASSERT_STRING_EQUAL(render(mg_json_str, "</script>", 9), "\"\\u003c/script\\u003e\"");
    CU_ASSERT_STRING_EQUAL(render(mg_json_str, "x\n\r\t\x01\x7f", 6), "\"x\\n\\r\\t\\u0001\\u007f\"");
    CU_ASSERT_STRING_EQUAL(render(mg_json_str, "\0a", 2), "\"\\u0000a\"");          /* NUL kept, escaped */
    CU_ASSERT_STRING_EQUAL(render(mg_json_str, "\xe2\x80\xa8", 3), "\"\\u2028\"");    /* JS line separator */
    CU_ASSERT_STRING_EQUAL(render(mg_json_str, "h\xc3\xa9 \xf0\x9d\x84\x9e", 8), "\"h\xc3\xa9 \xf0\x9d\x84\x9e\"");
}

static void test_invalid_utf8_becomes_replacement(void)
{
    /* a lone continuation, an overlong '/', a surrogate, past U+10FFFF, a cut sequence */
    CU_ASSERT_STRING_EQUAL(render(mg_json_str, "\x80", 1), "\"\xef\xbf\xbd\"");
    CU_ASSERT_STRING_EQUAL(render(mg_json_str, "\xc0\xaf", 2), "\"\xef\xbf\xbd\xef\xbf\xbd\"");
    CU_ASSERT_STRING_EQUAL(render(mg_json_str, "\xed\xa0\x80", 3), "\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\"");
    CU_ASSERT_STRING_EQUAL(render(mg_json_str, "\xf4\x90\x80\x80", 4),
                           "\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\"");
    CU_ASSERT_STRING_EQUAL(render(mg_json_str, "a\xe6\x97", 3), "\"a\xef\xbf\xbd\xef\xbf\xbd\"");
    CU_ASSERT_EQUAL(mg_utf8_seq((const unsigned char *)"\xf0\x9d\x84\x9e", 4), 4);
    CU_ASSERT_EQUAL(mg_utf8_seq((const unsigned char *)"\xf0\x9d\x84", 3), 0);
}

static void test_xml_escapes_and_drops_forbidden(void)
{
    CU_ASSERT_STRING_EQUAL(render(mg_xml_str, "a&<>\"'", 6), "a&amp;&lt;&gt;&quot;&apos;");
    CU_ASSERT_STRING_EQUAL(render(mg_xml_str, "\x01x\x80", 3), "\xef\xbf\xbdx\xef\xbf\xbd");
    CU_ASSERT_STRING_EQUAL(render(mg_xml_str, "\xef\xbf\xbe", 3), "\xef\xbf\xbd");   /* U+FFFE */
}

static void test_prometheus_label_escapes(void)
{
    hm_wbuf_t w;
    hm_wbuf_init(&w, 1024);
    mg_prom_label(&w, "q\"1\\\n\xff");
    hm_wbuf_u8(&w, 0);
    CU_ASSERT_STRING_EQUAL((char *)w.data, "q\\\"1\\\\\\n\xef\xbf\xbd");
    hm_wbuf_free(&w);
}

/* The sample line of a family for a queue in rendered /metrics text (NULL: absent). */
static const char *sample(const char *text, const char *line_start)
{
    const char *p = strstr(text, line_start);
    return p ? p + strlen(line_start) : NULL;
}

static void test_metrics_follow_the_operations(void)
{
    apr_pool_t *pool;
    apr_pool_create(&pool, NULL);
    hm_broker_opts_t o = { .name = "unit", .memory_limit = 1 << 20 };
    hm_broker_t *b;
    CU_ASSERT_EQUAL_FATAL(hm_broker_create(pool, &o, &b), APR_SUCCESS);
    char err[256];
    hm_dname_t q = { HM_QUEUE, "Q \"one\"" }, to = { HM_QUEUE, "Q.two" };
    CU_ASSERT_EQUAL(hm_admin_create(b, q, err, sizeof err), APR_SUCCESS);
    for (int i = 0; i < 5; i++)
        CU_ASSERT_EQUAL(hm_admin_send_text(b, q, "hello", 5, NULL, NULL, i, 1, pool, NULL, NULL, err, sizeof err),
                        APR_SUCCESS);
    uint64_t n = 0;
    CU_ASSERT_EQUAL(hm_admin_copy(b, q, to, "JMSPriority >= 3", 1, 0, &n, err, sizeof err), APR_SUCCESS);
    CU_ASSERT_EQUAL(n, 2);
    CU_ASSERT_EQUAL(hm_admin_purge(b, q, "JMSPriority = 0", &n, err, sizeof err), APR_SUCCESS);
    CU_ASSERT_EQUAL(n, 1);
    CU_ASSERT_EQUAL(hm_admin_purge(b, q, "JMSPriority >>> 0", &n, err, sizeof err), HM_ESELECTOR);
    CU_ASSERT_EQUAL(hm_admin_pause(b, to, 1, err, sizeof err), APR_SUCCESS);

    mg_req_t r = { .b = b, .pool = pool };
    hm_wbuf_init(&r.out, MG_MAX_OUTPUT);
    CU_ASSERT_EQUAL(mg_metrics(&r), 200);
    hm_wbuf_u8(&r.out, 0);
    const char *t = (const char *)r.out.data;
    CU_ASSERT_PTR_NOT_NULL(strstr(t, "# HELP hermod_queue_messages "));
    CU_ASSERT_PTR_NOT_NULL(strstr(t, "# TYPE hermod_queue_enqueued_total counter\n"));
    CU_ASSERT_PTR_NOT_NULL(strstr(t, "# TYPE hermod_queue_messages gauge\n"));
    const char *v = sample(t, "hermod_queue_messages{queue=\"Q \\\"one\\\"\"} ");
    CU_ASSERT(v && strncmp(v, "2\n", 2) == 0);
    v = sample(t, "hermod_queue_enqueued_total{queue=\"Q \\\"one\\\"\"} ");
    CU_ASSERT(v && strncmp(v, "5\n", 2) == 0);
    v = sample(t, "hermod_queue_dequeued_total{queue=\"Q \\\"one\\\"\"} ");
    CU_ASSERT(v && strncmp(v, "3\n", 2) == 0);
    v = sample(t, "hermod_queue_messages{queue=\"Q.two\"} ");
    CU_ASSERT(v && strncmp(v, "2\n", 2) == 0);
    v = sample(t, "\nhermod_memory_limit_bytes ");
    CU_ASSERT(v && strncmp(v, "1048576\n", 8) == 0);
    /* every family once: HELP and TYPE precede samples, never repeated */
    const char *first = strstr(t, "# TYPE hermod_queue_messages gauge");
    CU_ASSERT(first && !strstr(first + 1, "# TYPE hermod_queue_messages gauge"));
    hm_wbuf_free(&r.out);

    apr_array_header_t *dests;
    hm_admin_dests(b, pool, &dests);
    CU_ASSERT_EQUAL(dests->nelts, 2);
    CU_ASSERT(APR_ARRAY_IDX(dests, 1, hm_admin_dest_t).paused);
    CU_ASSERT_EQUAL(hm_admin_delete(b, q, err, sizeof err), APR_SUCCESS);
    CU_ASSERT_EQUAL(hm_admin_delete(b, q, err, sizeof err), HM_ENOTFOUND);
    hm_broker_destroy(b);
    apr_pool_destroy(pool);
}

int main(void)
{
    apr_initialize();
    CU_initialize_registry();
    CU_pSuite s = CU_add_suite("mgmt", NULL, NULL);
    CU_add_test(s, "JSON escapes what breaks out of a string", test_json_escapes_what_breaks_out);
    CU_add_test(s, "invalid UTF-8 becomes U+FFFD", test_invalid_utf8_becomes_replacement);
    CU_add_test(s, "XML escapes and replaces forbidden characters", test_xml_escapes_and_drops_forbidden);
    CU_add_test(s, "Prometheus label values are escaped", test_prometheus_label_escapes);
    CU_add_test(s, "metrics follow send, move, purge, pause", test_metrics_follow_the_operations);
    CU_basic_set_mode(CU_BRM_VERBOSE);
    CU_basic_run_tests();
    unsigned failed = CU_get_number_of_failures();
    CU_cleanup_registry();
    apr_terminate();
    return failed ? 1 : 0;
}
