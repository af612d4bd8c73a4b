/* The AMQP adapter's message mapping (issue 15): a message from another protocol, with every
 * JMS property type and each body kind, becomes AMQP sections and comes back into the core with
 * exactly the same neutral content and headers; ids keep their AMQP types through their JMS text
 * forms; an AMQP message's own bytes survive the store codec; malformed sections are refused. */
#include <CUnit/Basic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <apr_general.h>

#include "amqp_adapter.h"
#include "amqp_msg.h"
#include "content_test_util.h"

static apr_pool_t *root;
static pn_data_t *scratch;

static hm_msg_t *parse(const hm_wbuf_t *b, const char *dest)
{
    amqp_in_ctx_t in = { { HM_QUEUE, dest }, "ID:unit", 1, scratch };
    hm_msg_t *m = NULL;
    const char *why = NULL;
    CU_ASSERT_EQUAL(amqp_msg_from_wire(b->data, b->len, &in, &m, &why), APR_SUCCESS);
    return m;
}

#define S(x) { .type = HM_V_STRING, .u.s = { x, sizeof(x) - 1 } }

static const hm_entry_t props[] = {
    { "pBool", { .type = HM_V_BOOL, .u.b = 1 } },
    { "pByte", { .type = HM_V_BYTE, .u.i8 = -7 } },
    { "pShort", { .type = HM_V_SHORT, .u.i16 = -300 } },
    { "pInt", { .type = HM_V_INT, .u.i32 = 100000 } },
    { "pLong", { .type = HM_V_LONG, .u.i64 = 1LL << 40 } },
    { "pFloat", { .type = HM_V_FLOAT, .u.f = 1.5f } },
    { "pDouble", { .type = HM_V_DOUBLE, .u.d = -2.25 } },
    { "pString", S("h\xc3\xa9llo") },
};

static const hm_entry_t inner[] = { { "k", S("v") } };
static const hm_entry_t map_body[] = {
    { "s", S("v") }, { "i", { .type = HM_V_INT, .u.i32 = 42 } },
    { "c", { .type = HM_V_CHAR, .u.ch = 0x263A } },
    { "b", { .type = HM_V_BYTES, .u.bytes = { (const uint8_t *)"\x00\x01", 2 } } },
    { "m", { .type = HM_V_MAP, .u.map = { inner, 1 } } },
};
static const hm_entry_t list_body[] = {
    { NULL, S("one") }, { NULL, { .type = HM_V_INT, .u.i32 = 2 } }, { NULL, { .type = HM_V_BOOL, .u.b = 1 } },
};

/* One body kind through AMQP and back. */
static void round_trip(hm_body_kind_e kind, hm_value_t body)
{
    hm_content_t c = { props, 8, kind, body, NULL };
    hm_msg_t *m = test_message(&c);
    hm_wbuf_t b;
    hm_wbuf_init(&b, 1 << 20);
    CU_ASSERT_EQUAL_FATAL(amqp_msg_to_wire(m, 2, scratch, &b), APR_SUCCESS);
    hm_msg_t *back = parse(&b, NULL);      /* NULL: by the message's own `to` */
    CU_ASSERT_PTR_NOT_NULL_FATAL(back);
    apr_pool_t *p;
    apr_pool_create(&p, root);
    hm_content_t got;
    CU_ASSERT_EQUAL(hm_msg_content(back, p, &got), APR_SUCCESS);
    CU_ASSERT(hm_content_equal(&c, &got));
    check_same_headers(back, m);
    apr_pool_destroy(p);
    hm_wbuf_free(&b);
    hm_msg_unref(back);
    hm_msg_unref(m);
}

static void test_every_kind_round_trips(void)
{
    hm_value_t text = S("t\xc3\xa9xt"), none = { .type = HM_V_NULL };
    hm_value_t bytes = { .type = HM_V_BYTES, .u.bytes = { (const uint8_t *)"\x00\xff\x01", 3 } };
    hm_value_t map = { .type = HM_V_MAP, .u.map = { map_body, 5 } };
    hm_value_t list = { .type = HM_V_LIST, .u.map = { list_body, 3 } };
    round_trip(HM_BODY_TEXT, text);
    round_trip(HM_BODY_TEXT, none);
    round_trip(HM_BODY_BYTES, bytes);
    round_trip(HM_BODY_OBJECT, bytes);
    round_trip(HM_BODY_MAP, map);
    round_trip(HM_BODY_STREAM, list);
    round_trip(HM_BODY_NONE, none);
}

static void id_round_trip(const char *text, pn_type_t type)
{
    char buf[256];
    pn_data_clear(scratch);
    amqp_id_put(scratch, text, 0);
    pn_data_rewind(scratch);
    pn_data_next(scratch);
    CU_ASSERT_EQUAL(pn_data_type(scratch), type);
    char *back = amqp_id_text(scratch, 0, buf, sizeof buf);
    CU_ASSERT_PTR_NOT_NULL_FATAL(back);
    CU_ASSERT_STRING_EQUAL(back, text);
}

static void test_ids_keep_their_types(void)
{
    id_round_trip("ID:AMQP_ULONG:12345", PN_ULONG);
    id_round_trip("ID:AMQP_UUID:12345678-1234-5678-1234-567812345678", PN_UUID);
    id_round_trip("ID:AMQP_BINARY:00FF10", PN_BINARY);
    id_round_trip("ID:AMQP_NO_PREFIX:plain", PN_STRING);
    id_round_trip("ID:vm-1:1:1:1:1", PN_STRING);
    /* a correlation id that is an application string stays as it is */
    char buf[64];
    pn_data_clear(scratch);
    pn_data_put_string(scratch, pn_bytes(5, "hello"));
    pn_data_rewind(scratch);
    pn_data_next(scratch);
    CU_ASSERT_STRING_EQUAL(amqp_id_text(scratch, 1, buf, sizeof buf), "hello");
}

/* An AMQP-born message: the hop's header is rewritten, everything after it kept byte for byte,
 * through the store codec too; a priority above 9 is seen as 9 and delivered as sent. */
static void test_amqp_bytes_kept(void)
{
    pn_data_t *d = pn_data(16);
    hm_wbuf_t in, out1, out2, stored;
    hm_wbuf_init(&in, 1 << 20);
    hm_wbuf_init(&out1, 1 << 20);
    hm_wbuf_init(&out2, 1 << 20);
    hm_wbuf_init(&stored, 1 << 20);
    /* header (priority 200), message-annotations, amqp-value 12345, footer */
    pn_data_put_described(d); pn_data_enter(d); pn_data_put_ulong(d, AMQP_SEC_HEADER);
    pn_data_put_list(d); pn_data_enter(d); pn_data_put_bool(d, 1); pn_data_put_ubyte(d, 200);
    pn_data_exit(d); pn_data_exit(d);
    amqp_data_append(d, &in);
    pn_data_clear(d);
    size_t kept_at = in.len;
    pn_data_put_described(d); pn_data_enter(d); pn_data_put_ulong(d, AMQP_SEC_MESSAGE_ANN);
    pn_data_put_map(d); pn_data_enter(d); pn_data_put_symbol(d, pn_bytes(8, "x-custom"));
    pn_data_put_string(d, pn_bytes(3, "ann")); pn_data_exit(d); pn_data_exit(d);
    amqp_data_append(d, &in);
    pn_data_clear(d);
    pn_data_put_described(d); pn_data_enter(d); pn_data_put_ulong(d, AMQP_SEC_VALUE);
    pn_data_put_int(d, 12345); pn_data_exit(d);
    amqp_data_append(d, &in);
    pn_data_clear(d);
    pn_data_put_described(d); pn_data_enter(d); pn_data_put_ulong(d, AMQP_SEC_FOOTER);
    pn_data_put_map(d); pn_data_enter(d); pn_data_put_symbol(d, pn_bytes(1, "f"));
    pn_data_put_string(d, pn_bytes(4, "foot")); pn_data_exit(d); pn_data_exit(d);
    amqp_data_append(d, &in);

    hm_msg_t *m = parse(&in, "kept.q");
    CU_ASSERT_PTR_NOT_NULL_FATAL(m);
    CU_ASSERT(amqp_msg_is_amqp(m));
    CU_ASSERT_EQUAL(m->priority, 9);
    CU_ASSERT_EQUAL(m->persistent, 1);
    CU_ASSERT_EQUAL(amqp_msg_to_wire(m, 4, scratch, &out1), APR_SUCCESS);
    /* the bytes after the header are the sender's */
    size_t tail = in.len - kept_at;
    CU_ASSERT_FATAL(out1.len >= tail);
    CU_ASSERT_EQUAL(memcmp(out1.data + out1.len - tail, in.data + kept_at, tail), 0);
    /* the new header carries priority 200 and delivery-count 4 */
    pn_data_clear(d);
    CU_ASSERT(pn_data_decode(d, (const char *)out1.data, out1.len) > 0);
    pn_data_rewind(d); pn_data_next(d); pn_data_enter(d); pn_data_next(d); pn_data_next(d);
    pn_data_enter(d);
    pn_data_next(d); CU_ASSERT(pn_data_get_bool(d));
    pn_data_next(d); CU_ASSERT_EQUAL(pn_data_get_ubyte(d), 200);
    pn_data_next(d); pn_data_next(d); pn_data_next(d); CU_ASSERT_EQUAL(pn_data_get_uint(d), 4);
    /* the store gives back a message that delivers the same bytes */
    const hm_msg_codec_t *codec = amqp_msg_codec();
    CU_ASSERT_EQUAL(codec->encode(m, &stored), APR_SUCCESS);
    hm_msg_t *back = NULL;
    CU_ASSERT_EQUAL_FATAL(codec->decode(stored.data, stored.len, &back), APR_SUCCESS);
    CU_ASSERT_EQUAL(amqp_msg_to_wire(back, 4, scratch, &out2), APR_SUCCESS);
    CU_ASSERT_EQUAL(out1.len, out2.len);
    CU_ASSERT_EQUAL(memcmp(out1.data, out2.data, out1.len), 0);
    CU_ASSERT_STRING_EQUAL(back->dest.name, "kept.q");
    CU_ASSERT_STRING_EQUAL(back->message_id, m->message_id);
    /* an amqp-value JMS has no kind for crosses as encoded bytes */
    apr_pool_t *p;
    apr_pool_create(&p, root);
    hm_content_t c;
    CU_ASSERT_EQUAL(hm_msg_content(m, p, &c), APR_SUCCESS);
    CU_ASSERT_EQUAL(c.kind, HM_BODY_OTHER);
    CU_ASSERT_STRING_EQUAL(c.body_type, "amqp-value");
    apr_pool_destroy(p);
    hm_msg_unref(back);
    hm_msg_unref(m);
    pn_data_free(d);
    hm_wbuf_free(&in); hm_wbuf_free(&out1); hm_wbuf_free(&out2); hm_wbuf_free(&stored);
}

static void test_refusals(void)
{
    amqp_in_ctx_t anon = { { HM_QUEUE, NULL }, "ID:unit", 1, scratch };
    hm_msg_t *m = NULL;
    const char *why = NULL;
    static const uint8_t value_only[] = { 0x00, 0x53, 0x77, 0xa1, 0x01, 'x' };
    CU_ASSERT_EQUAL(amqp_msg_from_wire(value_only, sizeof value_only, &anon, &m, &why), HM_EINVAL);
    CU_ASSERT_PTR_NOT_NULL(strstr(why, "to"));
    static const uint8_t truncated[] = { 0x00, 0x53, 0x73, 0xc0, 0x20, 0x05, 0xa1 };
    amqp_in_ctx_t q = { { HM_QUEUE, "q" }, "ID:unit", 1, scratch };
    CU_ASSERT_EQUAL(amqp_msg_from_wire(truncated, sizeof truncated, &q, &m, &why), HM_EMALFORMED);
    static const uint8_t bad_key[] = { 0x00, 0x53, 0x74, 0xc1, 0x03, 0x02, 0x54, 0x01 };
    CU_ASSERT_EQUAL(amqp_msg_from_wire(bad_key, sizeof bad_key, &q, &m, &why), HM_EMALFORMED);
}

int main(void)
{
    apr_initialize();
    apr_pool_create(&root, NULL);
    scratch = pn_data(16);
    CU_initialize_registry();
    CU_pSuite s = CU_add_suite("amqp_mapping", NULL, NULL);
    CU_add_test(s, "every JMS kind and property type round-trips through AMQP", test_every_kind_round_trips);
    CU_add_test(s, "ids keep their AMQP types through their JMS texts", test_ids_keep_their_types);
    CU_add_test(s, "an AMQP message's bytes survive delivery and the store", test_amqp_bytes_kept);
    CU_add_test(s, "malformed sections and a relay without `to` are refused", test_refusals);
    CU_basic_set_mode(CU_BRM_VERBOSE);
    CU_basic_run_tests();
    int failed = (int)CU_get_number_of_failures();
    CU_cleanup_registry();
    pn_data_free(scratch);
    apr_terminate();
    return failed ? 1 : 0;
}
