/* The stored form of OpenWire messages (ow_convert.c): a message read back from the store must
 * look to the core and to a consumer exactly like the one that was stored — headers, selector
 * properties, body, dead letter — although a recovered message keeps only its stored bytes and
 * headers until it is dispatched or its properties are read. */
#include <CUnit/Basic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <apr_general.h>

#include "hm_int.h"
#include "ow_adapter.h"
#include "ow_adapter_int.h"
#include "ow_codec.h"
#include "ow_int.h"
#include "sel.h"

static apr_pool_t *root;

/* The ActiveMQ client's TextMessage fixture: properties of every type, group, correlation id,
 * a temporary reply-to queue, an expiration and a user id. */
static ow_message_t *fixture_message(apr_pool_t *p)
{
    const char *dir = getenv("OW_FIXTURES");
    char path[512];
    snprintf(path, sizeof path, "%s/text_message.v12tc.bin", dir ? dir : "test/unit/fixtures/openwire");
    FILE *f = fopen(path, "rb");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    static uint8_t buf[65536];
    size_t len = fread(buf, 1, sizeof buf, f);
    fclose(f);
    ow_wire_t *w;
    CU_ASSERT_FATAL(ow_wire_create(p, NULL, &w) == APR_SUCCESS);
    CU_ASSERT_FATAL(ow_wire_force_format(w, 12, 1, 1, 1, 0) == APR_SUCCESS);
    ow_command_t *c = NULL;
    size_t used;
    CU_ASSERT_FATAL(ow_decode(w, buf, len, p, &c, &used) == APR_SUCCESS);
    CU_ASSERT_FATAL(c && OW_IS_MESSAGE_TYPE(c->obj.type));
    return (ow_message_t *)c;
}

static void same_str(const char *a, const char *b)
{
    CU_ASSERT((a == NULL) == (b == NULL));
    if (a && b)
        CU_ASSERT_STRING_EQUAL(a, b);
}

static void same_headers(const hm_msg_t *a, const hm_msg_t *b)
{
    same_str(a->message_id, b->message_id);
    same_str(a->correlation_id, b->correlation_id);
    same_str(a->type, b->type);
    same_str(a->group_id, b->group_id);
    same_str(a->dest.name, b->dest.name);
    same_str(a->reply_to.name, b->reply_to.name);
    CU_ASSERT_EQUAL(a->dest.kind, b->dest.kind);
    CU_ASSERT_EQUAL(a->reply_to.kind, b->reply_to.kind);
    CU_ASSERT_EQUAL(a->group_seq, b->group_seq);
    CU_ASSERT_EQUAL(a->priority, b->priority);
    CU_ASSERT_EQUAL(a->persistent, b->persistent);
    CU_ASSERT_EQUAL(a->expiration, b->expiration);
    CU_ASSERT_EQUAL(a->timestamp, b->timestamp);
    CU_ASSERT_EQUAL(a->size, b->size);
    CU_ASSERT_EQUAL(a->origin->codec, b->origin->codec);
}

static void same_property(const hm_msg_t *a, const hm_msg_t *b, const char *name, int present)
{
    sel_value_t va, vb;
    a->origin->get_property(a->origin_data, name, strlen(name), &va);
    b->origin->get_property(b->origin_data, name, strlen(name), &vb);
    CU_ASSERT_EQUAL(va.type, vb.type);
    CU_ASSERT_EQUAL(va.type != SEL_NULL, present);
    if (va.type == SEL_STRING && vb.type == SEL_STRING) {
        CU_ASSERT(va.u.s.len == vb.u.s.len && memcmp(va.u.s.p, vb.u.s.p, va.u.s.len) == 0);
    } else if (va.type == SEL_DOUBLE || va.type == SEL_FLOAT) {
        CU_ASSERT_EQUAL(va.u.d, vb.u.d);
    } else if (va.type == SEL_BOOL) {
        CU_ASSERT_EQUAL(va.u.b, vb.u.b);
    } else if (va.type != SEL_NULL) {
        CU_ASSERT_EQUAL(va.u.l, vb.u.l);
    }
}

/* encode -> decode gives the same message; encoding the recovered one gives the same bytes */
static void test_stored_message_reads_back_the_same(void)
{
    apr_pool_t *p;
    apr_pool_create(&p, root);
    const char *why;
    ow_message_t *om = fixture_message(p);
    hm_msg_t *sent = ow_msg_to_core(om, p, &why);
    CU_ASSERT_PTR_NOT_NULL_FATAL(sent);
    const hm_msg_codec_t *codec = ow_msg_codec();
    hm_wbuf_t wb;
    hm_wbuf_init(&wb, 1 << 20);
    CU_ASSERT_EQUAL_FATAL(codec->encode(sent, &wb), APR_SUCCESS);
    hm_msg_t *back = NULL;
    CU_ASSERT_EQUAL_FATAL(codec->decode(wb.data, wb.len, &back), APR_SUCCESS);
    same_headers(sent, back);
    CU_ASSERT_STRING_EQUAL(back->group_id, "group-A");
    CU_ASSERT_EQUAL(back->reply_to.kind, HM_TEMP_QUEUE);
    CU_ASSERT_EQUAL(back->expiration, 1700000060123LL);

    /* what a consumer receives: the same OpenWire message, decoded again on each delivery */
    apr_pool_t *dp;
    apr_pool_create(&dp, p);
    for (int i = 0; i < 2; i++) {
        ow_message_t *a = ow_msg_from_core(sent, dp), *b = ow_msg_from_core(back, dp);
        CU_ASSERT_PTR_NOT_NULL_FATAL(b);
        CU_ASSERT_TRUE(ow_object_equal(&a->cmd.obj, &b->cmd.obj));
        apr_pool_clear(dp);
    }

    /* selectors see the same properties, before and after the first read */
    static const char *const names[] = { "pBool", "pByte", "pShort", "pInt", "pLong", "pFloat",
                                         "pDouble", "pString", "JMSXUserID" };
    for (int round = 0; round < 2; round++) {
        for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
            same_property(sent, back, names[i], 1);
        same_property(sent, back, "absent", 0);
    }
    const char *ta, *tb;
    size_t la, lb;
    CU_ASSERT_EQUAL(sent->origin->text_body(sent->origin_data, &ta, &la),
                    back->origin->text_body(back->origin_data, &tb, &lb));

    /* and once decoded and kept, a delivery still is the same message */
    ow_message_t *b2 = ow_msg_from_core(back, dp);
    CU_ASSERT_TRUE(b2 && ow_object_equal(&ow_msg_from_core(sent, dp)->cmd.obj, &b2->cmd.obj));

    /* stored again (a move, a transaction), the recovered message writes the same bytes */
    hm_wbuf_t wb2;
    hm_wbuf_init(&wb2, 1 << 20);
    CU_ASSERT_EQUAL(codec->encode(back, &wb2), APR_SUCCESS);
    CU_ASSERT(wb2.len == wb.len && memcmp(wb2.data, wb.data, wb.len) == 0);
    hm_wbuf_free(&wb2);
    hm_wbuf_free(&wb);
    hm_msg_unref(back);
    hm_msg_unref(sent);
    apr_pool_destroy(p);
}

/* A recovered message that was never read still dead-letters and readdresses like the original. */
static void test_recovered_dead_letter_and_readdress(void)
{
    apr_pool_t *p;
    apr_pool_create(&p, root);
    const char *why;
    hm_msg_t *sent = ow_msg_to_core(fixture_message(p), p, &why);
    CU_ASSERT_PTR_NOT_NULL_FATAL(sent);
    const hm_msg_codec_t *codec = ow_msg_codec();
    hm_wbuf_t wb;
    hm_wbuf_init(&wb, 1 << 20);
    CU_ASSERT_EQUAL_FATAL(codec->encode(sent, &wb), APR_SUCCESS);
    hm_msg_t *back = NULL;
    CU_ASSERT_EQUAL_FATAL(codec->decode(wb.data, wb.len, &back), APR_SUCCESS);
    hm_wbuf_free(&wb);

    hm_dname_t dlq = { HM_QUEUE, "ActiveMQ.DLQ" };
    hm_msg_t *da = hm_copy_dead_letter(sent, dlq, "cause");     /* the core's copy, applied by OpenWire */
    hm_msg_t *db = hm_copy_dead_letter(back, dlq, "cause");
    CU_ASSERT_PTR_NOT_NULL_FATAL(da);
    CU_ASSERT_PTR_NOT_NULL_FATAL(db);
    same_headers(da, db);
    CU_ASSERT_STRING_EQUAL(db->dest.name, "ActiveMQ.DLQ");
    CU_ASSERT_EQUAL(db->expiration, 0);
    same_property(da, db, "dlqDeliveryFailureCause", 1);
    same_property(da, db, "originalExpiration", 1);
    same_property(da, db, "pString", 1);

    hm_dname_t to = { HM_TOPIC, "ActiveMQ.Advisory.NoConsumer.Queue.x" };
    hm_msg_t *ra = hm_copy_readdress(sent, to), *rb = hm_copy_readdress(back, to);
    CU_ASSERT_PTR_NOT_NULL_FATAL(rb);
    same_headers(ra, rb);
    hm_msg_unref(ra);
    hm_msg_unref(rb);
    hm_msg_unref(da);
    hm_msg_unref(db);
    hm_msg_unref(back);
    hm_msg_unref(sent);
    apr_pool_destroy(p);
}

/* Damaged stored bytes are refused at load (the record is then reported and skipped), never
 * accepted to fail later at dispatch. */
static void test_damaged_stored_bytes_refused(void)
{
    apr_pool_t *p;
    apr_pool_create(&p, root);
    const char *why;
    hm_msg_t *sent = ow_msg_to_core(fixture_message(p), p, &why);
    CU_ASSERT_PTR_NOT_NULL_FATAL(sent);
    const hm_msg_codec_t *codec = ow_msg_codec();
    hm_wbuf_t wb;
    hm_wbuf_init(&wb, 1 << 20);
    CU_ASSERT_EQUAL_FATAL(codec->encode(sent, &wb), APR_SUCCESS);
    hm_msg_t *back = NULL;
    for (size_t cut = 0; cut < wb.len; cut += 7) {
        back = NULL;
        CU_ASSERT_EQUAL(codec->decode(wb.data, cut, &back), HM_EMALFORMED);
        CU_ASSERT_PTR_NULL(back);
    }
    uint8_t *longer = malloc(wb.len + 1);
    memcpy(longer, wb.data, wb.len);
    longer[wb.len] = 0;
    CU_ASSERT_EQUAL(codec->decode(longer, wb.len + 1, &back), HM_EMALFORMED);
    free(longer);
    hm_wbuf_free(&wb);
    hm_msg_unref(sent);
    apr_pool_destroy(p);
}

int main(void)
{
    apr_initialize();
    apr_pool_create(&root, NULL);
    CU_initialize_registry();
    CU_pSuite s = CU_add_suite("openwire stored form", NULL, NULL);
    CU_add_test(s, "a stored message reads back the same", test_stored_message_reads_back_the_same);
    CU_add_test(s, "a recovered message dead-letters and readdresses the same", test_recovered_dead_letter_and_readdress);
    CU_add_test(s, "damaged stored bytes are refused at load", test_damaged_stored_bytes_refused);
    CU_basic_set_mode(CU_BRM_VERBOSE);
    CU_basic_run_tests();
    int failed = (int)(CU_get_number_of_failures() + CU_get_number_of_tests_failed());
    CU_cleanup_registry();
    apr_pool_destroy(root);
    apr_terminate();
    return failed ? 1 : 0;
}
