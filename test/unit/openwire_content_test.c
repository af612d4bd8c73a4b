/* The protocol-neutral message (issue 13): a message made by a test protocol, with every
 * property type and each body kind, leaves as OpenWire (the ActiveMQ message of its kind, through
 * the real codec's bytes) and comes back into the core, where its neutral content is exactly what
 * was sent.  An OpenWire message that stays OpenWire is forwarded as its original bytes. */
#include <CUnit/Basic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <apr_general.h>

#include "ow_adapter.h"
#include "ow_adapter_int.h"
#include "ow_codec.h"
#include "content_test_util.h"

static apr_pool_t *root;

/* ---- values */

static const char TEXT[] = "h\xc3\xa9llo \xe2\x98\x83 \xf0\x9d\x84\x9e \0 after a NUL";   /* é ☃ 𝄞 NUL */
static const uint8_t BIN[] = { 0, 1, 2, 0x7f, 0x80, 0xfe, 0xff, 0 };

static hm_value_t v_str(const char *s, size_t n) { hm_value_t v = { HM_V_STRING }; v.u.s.p = s; v.u.s.len = n; return v; }

/* Every scalar type, plus bytes, a nested map and a nested list (what maps, streams and
 * ActiveMQ's properties can carry). */
static int all_values(hm_entry_t *e, int with_names, int nested)
{
    int n = 0;
    e[n].v.type = HM_V_NULL; e[n++].name = "p_null";
    e[n].v.type = HM_V_BOOL; e[n].v.u.b = 1; e[n++].name = "p_bool";
    e[n].v.type = HM_V_BYTE; e[n].v.u.i8 = -7; e[n++].name = "p_byte";
    e[n].v.type = HM_V_SHORT; e[n].v.u.i16 = -300; e[n++].name = "p_short";
    e[n].v.type = HM_V_CHAR; e[n].v.u.ch = 0x263a; e[n++].name = "p_char";
    e[n].v.type = HM_V_INT; e[n].v.u.i32 = -70000; e[n++].name = "p_int";
    e[n].v.type = HM_V_LONG; e[n].v.u.i64 = -(1LL << 40); e[n++].name = "p_long";
    e[n].v.type = HM_V_FLOAT; e[n].v.u.f = 1.5f; e[n++].name = "p_float";
    e[n].v.type = HM_V_DOUBLE; e[n].v.u.d = -2.25e300; e[n++].name = "p_double";
    e[n].v = v_str(TEXT, sizeof TEXT - 1); e[n++].name = "p_string \xe2\x98\x83";
    e[n].v.type = HM_V_BYTES; e[n].v.u.bytes.p = BIN; e[n].v.u.bytes.len = sizeof BIN; e[n++].name = "p_bytes";
    if (nested) {
        static hm_entry_t inner[16], list[16];
        int ni = all_values(inner, 1, 0), nl = all_values(list, 0, 0);
        e[n].v.type = HM_V_MAP; e[n].v.u.map.e = inner; e[n].v.u.map.n = ni; e[n++].name = "p_map";
        e[n].v.type = HM_V_LIST; e[n].v.u.map.e = list; e[n].v.u.map.n = nl; e[n++].name = "p_list";
    }
    if (!with_names)
        for (int i = 0; i < n; i++)
            e[i].name = NULL;
    return n;
}

/* ---- the round trip: test protocol -> core -> OpenWire bytes -> core -> neutral content */

static void round_trip(const hm_content_t *sent, const char *what)
{
    apr_pool_t *p;
    apr_pool_create(&p, root);
    hm_msg_t *m = test_message(sent);
    ow_message_t *om = ow_msg_from_core(m, p);
    CU_ASSERT_PTR_NOT_NULL_FATAL(om);
    for (int tight = 0; tight <= 1; tight++) {
        ow_wire_t *w;
        CU_ASSERT_FATAL(ow_wire_create(p, NULL, &w) == APR_SUCCESS);
        CU_ASSERT_FATAL(ow_wire_force_format(w, 12, tight, 0, 1, 0) == APR_SUCCESS);
        hm_wbuf_t wb;
        hm_wbuf_init(&wb, 1 << 24);
        CU_ASSERT_FATAL(ow_encode(w, &om->cmd, &wb) == APR_SUCCESS);
        ow_command_t *cmd;
        size_t used;
        CU_ASSERT_FATAL(ow_decode(w, wb.data, wb.len, p, &cmd, &used) == APR_SUCCESS);
        const char *why;
        hm_msg_t *back = ow_msg_to_core((ow_message_t *)cmd, p, &why);
        CU_ASSERT_PTR_NOT_NULL_FATAL(back);
        hm_content_t got;
        CU_ASSERT_EQUAL_FATAL(hm_msg_content(back, p, &got), APR_SUCCESS);
        if (!hm_content_equal(sent, &got))
            fprintf(stderr, "\n%s (%s): content differs (kind %d/%d, %d/%d properties)\n", what,
                    tight ? "tight" : "loose", sent->kind, got.kind, sent->nprops, got.nprops);
        CU_ASSERT(hm_content_equal(sent, &got));
        check_same_headers(back, m);
        hm_msg_unref(back);
        hm_wbuf_free(&wb);
    }
    hm_msg_unref(m);
    apr_pool_destroy(p);
}

static void test_every_property_type(void)
{
    hm_entry_t props[16];
    hm_content_t c = { props, all_values(props, 1, 1), HM_BODY_NONE, { HM_V_NULL }, NULL };
    round_trip(&c, "properties");
}

static void test_every_body_kind(void)
{
    hm_entry_t props[16], map[16], list[16];
    int np = all_values(props, 1, 0);
    hm_content_t c = { props, np, HM_BODY_NONE, { HM_V_NULL }, NULL };
    round_trip(&c, "no body");

    c.kind = HM_BODY_TEXT;
    c.body = v_str(TEXT, sizeof TEXT - 1);
    round_trip(&c, "text");
    c.body.type = HM_V_NULL;            /* a null text */
    round_trip(&c, "null text");
    static char big[70000];
    memset(big, 'x', sizeof big);       /* longer than one readUTF string */
    c.body = v_str(big, sizeof big);
    round_trip(&c, "long text");

    c.kind = HM_BODY_BYTES;
    c.body.type = HM_V_BYTES;
    c.body.u.bytes.p = BIN;
    c.body.u.bytes.len = sizeof BIN;
    round_trip(&c, "bytes");

    c.kind = HM_BODY_OBJECT;            /* opaque: carried, never read */
    round_trip(&c, "object");

    c.kind = HM_BODY_OTHER;
    c.body_type = "amqp-value";
    round_trip(&c, "other encoding");
    c.body_type = NULL;

    c.kind = HM_BODY_MAP;
    c.body.type = HM_V_MAP;
    c.body.u.map.e = map;
    c.body.u.map.n = all_values(map, 1, 1);
    round_trip(&c, "map");

    c.kind = HM_BODY_STREAM;
    c.body.type = HM_V_LIST;
    c.body.u.map.e = list;
    c.body.u.map.n = all_values(list, 0, 1);
    round_trip(&c, "stream");
}

/* An OpenWire message that leaves by OpenWire is its original: the same bytes again. */
static void test_openwire_forwarded_byte_for_byte(void)
{
    apr_pool_t *p;
    apr_pool_create(&p, root);
    hm_entry_t props[16];
    hm_content_t c = { props, all_values(props, 1, 1), HM_BODY_TEXT, v_str(TEXT, sizeof TEXT - 1), NULL };
    hm_msg_t *m = test_message(&c);
    ow_message_t *om = ow_msg_from_core(m, p);
    ow_wire_t *w;
    CU_ASSERT_FATAL(ow_wire_create(p, NULL, &w) == APR_SUCCESS);
    CU_ASSERT_FATAL(ow_wire_force_format(w, 12, 1, 0, 1, 0) == APR_SUCCESS);
    hm_wbuf_t first, again;
    hm_wbuf_init(&first, 1 << 24);
    hm_wbuf_init(&again, 1 << 24);
    CU_ASSERT_FATAL(ow_encode(w, &om->cmd, &first) == APR_SUCCESS);
    ow_command_t *cmd;
    size_t used;
    CU_ASSERT_FATAL(ow_decode(w, first.data, first.len, p, &cmd, &used) == APR_SUCCESS);
    const char *why;
    hm_msg_t *in = ow_msg_to_core((ow_message_t *)cmd, p, &why);
    ow_message_t *out = ow_msg_from_core(in, p);
    CU_ASSERT_FATAL(ow_encode(w, &out->cmd, &again) == APR_SUCCESS);
    CU_ASSERT_EQUAL(first.len, again.len);
    CU_ASSERT(first.len == again.len && memcmp(first.data, again.data, first.len) == 0);
    hm_wbuf_free(&first);
    hm_wbuf_free(&again);
    hm_msg_unref(in);
    hm_msg_unref(m);
    apr_pool_destroy(p);
}

int main(void)
{
    apr_initialize();
    apr_pool_create(&root, NULL);
    CU_initialize_registry();
    CU_pSuite s = CU_add_suite("openwire_content", NULL, NULL);
    CU_add_test(s, "every property type, test protocol -> OpenWire -> core", test_every_property_type);
    CU_add_test(s, "every body kind, test protocol -> OpenWire -> core", test_every_body_kind);
    CU_add_test(s, "OpenWire -> OpenWire forwards the original bytes", test_openwire_forwarded_byte_for_byte);
    CU_basic_set_mode(CU_BRM_VERBOSE);
    CU_basic_run_tests();
    unsigned failed = CU_get_number_of_failures();
    CU_cleanup_registry();
    apr_pool_destroy(root);
    apr_terminate();
    return failed ? 1 : 0;
}
