/* OpenWire codec against hostile input, plus primitive maps and text bodies: every case is a
 * clean, specific error (never a crash, never a huge allocation). */
#include <CUnit/Basic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <apr_general.h>
#include <apr_strings.h>

#include "ow_codec.h"
#include "ow_int.h"
#include "ow_props.h"

static apr_pool_t *root;

static ow_wire_t *wire(apr_pool_t *p, int version, int tight, int cache)
{
    ow_wire_t *w;
    CU_ASSERT_FATAL(ow_wire_create(p, NULL, &w) == APR_SUCCESS);
    if (version)
        CU_ASSERT_FATAL(ow_wire_force_format(w, version, tight, cache, 1, 0) == APR_SUCCESS);
    return w;
}

/* A frame: size prefix over the body the test wrote into b (from offset 4). */
static void frame_begin(hm_wbuf_t *b)
{
    hm_wbuf_init(b, 1 << 26);
    hm_wbuf_be32(b, 0);
}

static void frame_end(hm_wbuf_t *b)
{
    hm_wbuf_patch_be32(b, 0, (uint32_t)(b->len - 4));
}

static apr_status_t decode(ow_wire_t *w, apr_pool_t *p, const hm_wbuf_t *b, ow_command_t **c)
{
    size_t used;
    return ow_decode(w, b->data, b->len, p, c, &used);
}

static void test_random_bytes_never_crash(void)
{
    apr_pool_t *p;
    apr_pool_create(&p, root);
    unsigned s = 12345;
    uint8_t buf[512];
    int ok = 0, errs = 0;
    for (int i = 0; i < 30000; i++) {
        size_t n = (s = s * 1103515245u + 12345u) % sizeof buf;
        for (size_t j = 0; j < n; j++)
            buf[j] = (uint8_t)((s = s * 1103515245u + 12345u) >> 16);
        if (n > 5 && i % 2) {        /* a plausible header, so the body decoders run */
            uint32_t sz = (uint32_t)n - 4;
            buf[0] = (uint8_t)(sz >> 24); buf[1] = (uint8_t)(sz >> 16);
            buf[2] = (uint8_t)(sz >> 8); buf[3] = (uint8_t)sz;
            static const uint8_t cmds[] = { 1, 2, 3, 5, 21, 22, 23, 28, 31, 33, 92 };
            buf[4] = cmds[(s >> 20) % sizeof cmds];
        }
        ow_wire_t *w = wire(p, i % 3 ? 12 : 0, i % 3 == 1, i % 5 != 0);
        ow_command_t *c;
        size_t used = 99;
        apr_status_t st = ow_decode(w, buf, n, p, &c, &used);
        if (st == APR_SUCCESS) {
            ok++;
            CU_ASSERT(used <= n);
        } else {
            errs++;
            CU_ASSERT(st == HM_EINCOMPLETE || st == HM_EMALFORMED || st == HM_ETOOBIG
                      || st == OW_EUNKNOWN_TYPE || st == OW_EBAD_TYPE || st == OW_EBAD_CACHE_INDEX);
            CU_ASSERT_EQUAL(used, 0);
        }
        if (i % 1000 == 999)
            apr_pool_clear(p);
    }
    CU_ASSERT(errs > 0);
    apr_pool_destroy(p);
}

static void test_frame_over_max_rejected_before_reading(void)
{
    apr_pool_t *p;
    apr_pool_create(&p, root);
    ow_wire_t *w = wire(p, 0, 0, 0);
    /* only the 4-byte prefix has arrived: 200 MiB declared */
    const uint8_t hdr[4] = { 0x0C, 0x80, 0x00, 0x00 };
    ow_command_t *c;
    size_t used;
    CU_ASSERT_EQUAL(ow_decode(w, hdr, 4, p, &c, &used), HM_ETOOBIG);
    CU_ASSERT_STRING_EQUAL(ow_wire_error(w), "frame of 209715200 bytes exceeds the limit before the handshake 8192");
    /* before the handshake (issue 12): only a WireFormatInfo may come, a few kilobytes */
    const uint8_t hdr9k[4] = { 0, 0, 0x23, 0x28 };
    CU_ASSERT_EQUAL(ow_decode(w, hdr9k, 4, p, &c, &used), HM_ETOOBIG);
    const uint8_t hdr8k[4] = { 0, 0, 0x20, 0x00 };
    CU_ASSERT_EQUAL(ow_decode(w, hdr8k, 4, p, &c, &used), HM_EINCOMPLETE);
    /* after it, the negotiated maxFrameSize */
    CU_ASSERT_FATAL(ow_wire_force_format(w, 12, 0, 0, 1, 0) == APR_SUCCESS);
    CU_ASSERT_EQUAL(ow_decode(w, hdr, 4, p, &c, &used), HM_ETOOBIG);
    CU_ASSERT_STRING_EQUAL(ow_wire_error(w), "frame of 209715200 bytes exceeds maxFrameSize 104857600");
    CU_ASSERT_EQUAL(ow_decode(w, hdr9k, 4, p, &c, &used), HM_EINCOMPLETE);
    /* a smaller negotiated maximum is honoured too */
    ow_wire_opts_t o;
    ow_wire_opts_default(&o);
    o.max_frame_size = 1000;
    ow_wire_t *w2;
    ow_wire_create(p, &o, &w2);
    const uint8_t hdr2[4] = { 0, 0, 0x03, 0xE9 };
    CU_ASSERT_EQUAL(ow_decode(w2, hdr2, 4, p, &c, &used), HM_ETOOBIG);
    const uint8_t neg[5] = { 0xFF, 0xFF, 0xFF, 0xFF, 1 };
    CU_ASSERT_EQUAL(ow_decode(w2, neg, 5, p, &c, &used), HM_EMALFORMED);
    apr_pool_destroy(p);
}

/* Builds a real ConsumerInfo frame in the given format. */
static void consumer_frame(apr_pool_t *p, ow_wire_t *w, hm_wbuf_t *b)
{
    ow_consumer_info_t *ci = (ow_consumer_info_t *)ow_object_new(p, OW_CONSUMER_INFO);
    ow_consumer_id_t *id = (ow_consumer_id_t *)ow_object_new(p, OW_CONSUMER_ID);
    ow_destination_t *d = (ow_destination_t *)ow_object_new(p, OW_ACTIVEMQ_TOPIC);
    id->connection_id = "ID:c";
    id->value = 3;
    d->physical_name = "news.\xc3\xa4";
    ci->consumer_id = id;
    ci->destination = d;
    ci->selector = "a > 1";
    ci->prefetch_size = 1000;
    hm_wbuf_init(b, 1 << 20);
    CU_ASSERT_EQUAL_FATAL(ow_encode(w, &ci->cmd, b), APR_SUCCESS);
}

static void test_truncated_frame_incomplete_then_complete(void)
{
    apr_pool_t *p;
    apr_pool_create(&p, root);
    for (int mode = 0; mode < 3; mode++) {
        ow_wire_t *enc, *dec;
        hm_wbuf_t b;
        if (mode < 2) {
            enc = wire(p, 12, mode, 1);
            dec = wire(p, 12, mode, 1);
        } else {   /* size prefix disabled: the frame ends where its contents end */
            ow_wire_create(p, NULL, &enc);
            ow_wire_create(p, NULL, &dec);
            ow_wire_force_format(enc, 12, 1, 0, 1, 1);
            ow_wire_force_format(dec, 12, 1, 0, 1, 1);
        }
        consumer_frame(p, enc, &b);
        int bad = 0;
        for (size_t n = 0; n < b.len; n++) {
            ow_command_t *c = (ow_command_t *)1;
            size_t used = 7;
            if (ow_decode(dec, b.data, n, p, &c, &used) != HM_EINCOMPLETE || used != 0)
                bad++;
        }
        CU_ASSERT_EQUAL(bad, 0);
        if (mode < 2)
            CU_ASSERT_EQUAL(ow_decode_need(dec, b.data, 4), b.len);
        ow_command_t *c;
        size_t used;
        CU_ASSERT_EQUAL(ow_decode(dec, b.data, b.len, p, &c, &used), APR_SUCCESS);
        CU_ASSERT_EQUAL(used, b.len);
        CU_ASSERT_STRING_EQUAL(((ow_consumer_info_t *)c)->destination->physical_name, "news.\xc3\xa4");
        hm_wbuf_free(&b);
    }
    apr_pool_destroy(p);
}

static void test_unknown_and_non_command_types(void)
{
    apr_pool_t *p;
    apr_pool_create(&p, root);
    ow_wire_t *w = wire(p, 12, 0, 0);
    ow_command_t *c;
    hm_wbuf_t b;
    const uint8_t codes[] = { 13, 35, 200, 255 };
    for (size_t i = 0; i < sizeof codes; i++) {
        frame_begin(&b);
        hm_wbuf_u8(&b, codes[i]);
        hm_wbuf_be32(&b, 1);
        frame_end(&b);
        CU_ASSERT_EQUAL(decode(w, p, &b, &c), OW_EUNKNOWN_TYPE);
        hm_wbuf_free(&b);
    }
    CU_ASSERT_PTR_NOT_NULL(strstr(ow_wire_error(w), "Unknown data type: -1"));
    /* a type that exists only from version 12 on, in a version 6 connection */
    ow_wire_t *w6 = wire(p, 6, 0, 0);
    frame_begin(&b);
    hm_wbuf_u8(&b, OW_BROKER_SUBSCRIPTION_INFO);
    hm_wbuf_be32(&b, 1);
    hm_wbuf_u8(&b, 0);
    hm_wbuf_u8(&b, 0); hm_wbuf_u8(&b, 0); hm_wbuf_u8(&b, 0);
    frame_end(&b);
    CU_ASSERT_EQUAL(decode(w6, p, &b, &c), OW_EUNKNOWN_TYPE);
    hm_wbuf_free(&b);
    /* a destination is not a command */
    frame_begin(&b);
    hm_wbuf_u8(&b, OW_ACTIVEMQ_QUEUE);
    hm_wbuf_u8(&b, 0);
    frame_end(&b);
    CU_ASSERT_EQUAL(decode(w, p, &b, &c), OW_EBAD_TYPE);
    hm_wbuf_free(&b);
    /* a null frame carries nothing */
    frame_begin(&b);
    hm_wbuf_u8(&b, 0);
    frame_end(&b);
    c = (ow_command_t *)1;
    CU_ASSERT_EQUAL(decode(w, p, &b, &c), APR_SUCCESS);
    CU_ASSERT_PTR_NULL(c);
    hm_wbuf_free(&b);
    apr_pool_destroy(p);
}

/* Loose ControlCommand header: type, command id, response required. */
static void control_head(hm_wbuf_t *b)
{
    frame_begin(b);
    hm_wbuf_u8(b, OW_CONTROL_COMMAND);
    hm_wbuf_be32(b, 9);
    hm_wbuf_u8(b, 0);
}

static void test_lengths_larger_than_frame_or_negative(void)
{
    apr_pool_t *p;
    apr_pool_create(&p, root);
    ow_wire_t *w = wire(p, 12, 0, 0);
    ow_command_t *c;
    hm_wbuf_t b;
    /* string claims 65535 bytes, 3 follow */
    control_head(&b);
    hm_wbuf_u8(&b, 1);
    hm_wbuf_be16(&b, 0xFFFF);
    hm_wbuf_put(&b, "abc", 3);
    frame_end(&b);
    CU_ASSERT_EQUAL(decode(w, p, &b, &c), HM_EMALFORMED);
    hm_wbuf_free(&b);
    /* invalid modified UTF-8 */
    control_head(&b);
    hm_wbuf_u8(&b, 1);
    hm_wbuf_be16(&b, 2);
    hm_wbuf_put(&b, "\xc3\x28", 2);
    frame_end(&b);
    CU_ASSERT_EQUAL(decode(w, p, &b, &c), HM_EMALFORMED);
    hm_wbuf_free(&b);
    /* trailing bytes after the command */
    control_head(&b);
    hm_wbuf_u8(&b, 0);
    hm_wbuf_u8(&b, 0);
    frame_end(&b);
    CU_ASSERT_EQUAL(decode(w, p, &b, &c), HM_EMALFORMED);
    hm_wbuf_free(&b);

    /* PartialCommand (command id, byte[] data), loose: negative and oversized lengths */
    for (int k = 0; k < 2; k++) {
        frame_begin(&b);
        hm_wbuf_u8(&b, OW_PARTIAL_COMMAND);
        hm_wbuf_be32(&b, 1);
        hm_wbuf_u8(&b, 1);
        hm_wbuf_be32(&b, k ? 0x7FFFFFFF : 0xFFFFFFFF);
        hm_wbuf_put(&b, "xy", 2);
        frame_end(&b);
        CU_ASSERT_EQUAL(decode(w, p, &b, &c), HM_EMALFORMED);
        hm_wbuf_free(&b);
    }
    /* the same, tight: booleans first */
    ow_wire_t *wt = wire(p, 12, 1, 0);
    frame_begin(&b);
    hm_wbuf_u8(&b, OW_PARTIAL_COMMAND);
    hm_wbuf_u8(&b, 1);          /* boolean stream: 1 byte */
    hm_wbuf_u8(&b, 0x01);       /* data present */
    hm_wbuf_be32(&b, 1);
    hm_wbuf_be32(&b, 0xFFFFFFFE);
    frame_end(&b);
    CU_ASSERT_EQUAL(decode(wt, p, &b, &c), HM_EMALFORMED);
    CU_ASSERT_PTR_NOT_NULL(strstr(ow_wire_error(wt), "negative length"));
    hm_wbuf_free(&b);
    /* tight "ascii" string with a negative length: ControlCommand bits rr=0, present, ascii */
    frame_begin(&b);
    hm_wbuf_u8(&b, OW_CONTROL_COMMAND);
    hm_wbuf_u8(&b, 1);
    hm_wbuf_u8(&b, 0x06);
    hm_wbuf_be32(&b, 1);
    hm_wbuf_be16(&b, 0x8000);
    frame_end(&b);
    CU_ASSERT_EQUAL(decode(wt, p, &b, &c), HM_EMALFORMED);
    hm_wbuf_free(&b);
    /* booleans run out: a one-byte stream cannot hold ConsumerInfo's bits */
    frame_begin(&b);
    hm_wbuf_u8(&b, OW_CONSUMER_INFO);
    hm_wbuf_u8(&b, 0);
    hm_wbuf_be32(&b, 1);
    frame_end(&b);
    CU_ASSERT_EQUAL(decode(wt, p, &b, &c), HM_EMALFORMED);
    hm_wbuf_free(&b);
    apr_pool_destroy(p);
}

static void test_array_counts(void)
{
    apr_pool_t *p;
    apr_pool_create(&p, root);
    ow_wire_t *w = wire(p, 12, 0, 0);
    ow_command_t *c;
    hm_wbuf_t b;
    /* DataArrayResponse: command id, rr, correlation id, array present + count */
    const uint16_t counts[] = { 0x7FFF, 0x8000, 0xFFFF };
    for (size_t i = 0; i < 3; i++) {
        frame_begin(&b);
        hm_wbuf_u8(&b, OW_DATA_ARRAY_RESPONSE);
        hm_wbuf_be32(&b, 1);
        hm_wbuf_u8(&b, 0);
        hm_wbuf_be32(&b, 2);
        hm_wbuf_u8(&b, 1);
        hm_wbuf_be16(&b, counts[i]);
        hm_wbuf_u8(&b, 0);
        frame_end(&b);
        CU_ASSERT_EQUAL(decode(w, p, &b, &c), HM_EMALFORMED);
        hm_wbuf_free(&b);
    }
    /* a primitive map claiming 2^31-1 entries */
    const uint8_t m[] = { 0x7F, 0xFF, 0xFF, 0xFF, 0, 1, 'a', 0 };
    ow_pmap_t *map;
    CU_ASSERT_NOT_EQUAL(ow_props_decode(m, sizeof m, p, &map), APR_SUCCESS);
    const uint8_t l[] = { 0, 0, 0, 1, 0, 1, 'a', OW_PV_LIST, 0x7F, 0xFF, 0xFF, 0xFF, 0 };
    CU_ASSERT_NOT_EQUAL(ow_props_decode(l, sizeof l, p, &map), APR_SUCCESS);
    const uint8_t neg[] = { 0, 0, 0, 1, 0, 1, 'a', OW_PV_BYTES, 0xFF, 0xFF, 0xFF, 0xFE };
    CU_ASSERT_EQUAL(ow_props_decode(neg, sizeof neg, p, &map), HM_EMALFORMED);
    apr_pool_destroy(p);
}

static void test_props_nested_10000_deep(void)
{
    apr_pool_t *p;
    apr_pool_create(&p, root);
    for (int list = 0; list <= 1; list++) {
        hm_wbuf_t b;
        hm_wbuf_init(&b, 1 << 20);
        hm_wbuf_be32(&b, 1);
        hm_wbuf_be16(&b, 1);
        hm_wbuf_u8(&b, 'k');
        for (int i = 0; i < 10000; i++) {
            hm_wbuf_u8(&b, list ? OW_PV_LIST : OW_PV_MAP);
            hm_wbuf_be32(&b, 1);
            if (!list) {
                hm_wbuf_be16(&b, 1);
                hm_wbuf_u8(&b, 'k');
            }
        }
        hm_wbuf_u8(&b, OW_PV_NULL);
        ow_pmap_t *m;
        CU_ASSERT_EQUAL(ow_props_decode(b.data, b.len, p, &m), HM_ETOOBIG);
        hm_wbuf_free(&b);
    }
    apr_pool_destroy(p);
}

static void test_structures_nested_too_deep(void)
{
    apr_pool_t *p;
    apr_pool_create(&p, root);
    ow_wire_t *w = wire(p, 12, 0, 0);
    ow_command_t *c;
    hm_wbuf_t b;
    /* DataResponse.data holding a DataResponse holding ... 1000 deep */
    frame_begin(&b);
    hm_wbuf_u8(&b, OW_DATA_RESPONSE);
    for (int i = 0; i < 1000; i++) {
        hm_wbuf_be32(&b, 1);
        hm_wbuf_u8(&b, 0);
        hm_wbuf_be32(&b, 1);
        hm_wbuf_u8(&b, 1);
        hm_wbuf_u8(&b, OW_DATA_RESPONSE);
    }
    frame_end(&b);
    CU_ASSERT_EQUAL(decode(w, p, &b, &c), HM_ETOOBIG);
    hm_wbuf_free(&b);
    /* an ExceptionResponse whose throwable has 1000 causes */
    frame_begin(&b);
    hm_wbuf_u8(&b, OW_EXCEPTION_RESPONSE);
    hm_wbuf_be32(&b, 1);
    hm_wbuf_u8(&b, 0);
    hm_wbuf_be32(&b, 1);
    for (int i = 0; i < 1000; i++) {
        hm_wbuf_u8(&b, 1);       /* throwable present */
        hm_wbuf_u8(&b, 0);       /* class name null */
        hm_wbuf_u8(&b, 0);       /* message null */
        hm_wbuf_be16(&b, 0);     /* no stack */
    }
    hm_wbuf_u8(&b, 0);
    frame_end(&b);
    CU_ASSERT_EQUAL(decode(w, p, &b, &c), HM_ETOOBIG);
    hm_wbuf_free(&b);
    apr_pool_destroy(p);
}

static void test_wrong_nested_type_and_cache_index(void)
{
    apr_pool_t *p;
    apr_pool_create(&p, root);
    ow_wire_t *w = wire(p, 12, 0, 0);
    ow_command_t *c;
    hm_wbuf_t b;
    /* ProducerAck.producerId holding a ConnectionId */
    frame_begin(&b);
    hm_wbuf_u8(&b, OW_PRODUCER_ACK);
    hm_wbuf_be32(&b, 1);
    hm_wbuf_u8(&b, 0);
    hm_wbuf_u8(&b, 1);
    hm_wbuf_u8(&b, OW_CONNECTION_ID);
    hm_wbuf_u8(&b, 0);
    hm_wbuf_be32(&b, 5);
    frame_end(&b);
    CU_ASSERT_EQUAL(decode(w, p, &b, &c), OW_EBAD_TYPE);
    CU_ASSERT_PTR_NOT_NULL(strstr(ow_wire_error(w), "producer_id cannot hold a ConnectionId"));
    hm_wbuf_free(&b);
    /* SessionInfo with cache on: a reference to slot 5000 of a 1024-entry cache, and a fresh
     * value stored at -2 */
    ow_wire_opts_t o;
    ow_wire_opts_default(&o);
    ow_wire_t *w1024;
    ow_wire_create(p, &o, &w1024);
    ow_wire_force_format(w1024, 12, 0, 1, 1, 0);
    CU_ASSERT_EQUAL(w1024->cache_size, OW_DEFAULT_CACHE_SIZE);
    const uint16_t idx[] = { 5000, 0xFFFE };
    for (int k = 0; k < 2; k++) {
        frame_begin(&b);
        hm_wbuf_u8(&b, OW_SESSION_INFO);
        hm_wbuf_be32(&b, 1);
        hm_wbuf_u8(&b, 0);
        hm_wbuf_u8(&b, k);           /* k = 1: a new value */
        hm_wbuf_be16(&b, idx[k]);
        if (k) {
            hm_wbuf_u8(&b, 1);
            hm_wbuf_u8(&b, OW_SESSION_ID);
            hm_wbuf_u8(&b, 0);
            hm_wbuf_be64(&b, 1);
        }
        frame_end(&b);
        CU_ASSERT_EQUAL(decode(w1024, p, &b, &c), OW_EBAD_CACHE_INDEX);
        hm_wbuf_free(&b);
    }
    apr_pool_destroy(p);
}

static void test_encoder_refuses_what_java_cannot_read(void)
{
    apr_pool_t *p;
    apr_pool_create(&p, root);
    ow_wire_t *w = wire(p, 12, 1, 1);
    hm_wbuf_t b;
    hm_wbuf_init(&b, 1 << 20);
    ow_control_command_t *cc = (ow_control_command_t *)ow_object_new(p, OW_CONTROL_COMMAND);
    char *big = apr_palloc(p, 40001);
    memset(big, 'a', 40000);
    big[40000] = 0;
    cc->command = big;
    CU_ASSERT_EQUAL(ow_encode(w, &cc->cmd, &b), HM_ETOOBIG);
    CU_ASSERT_EQUAL(b.len, 0);
    ow_producer_ack_t *pa = (ow_producer_ack_t *)ow_object_new(p, OW_PRODUCER_ACK);
    pa->producer_id = (ow_producer_id_t *)ow_object_new(p, OW_CONSUMER_ID);
    CU_ASSERT_EQUAL(ow_encode(w, &pa->cmd, &b), HM_EINVAL);
    ow_wire_format_info_t *wf = (ow_wire_format_info_t *)ow_object_new(p, OW_WIREFORMAT_INFO);
    wf->magic.data = (const uint8_t *)"Active";
    wf->magic.len = 6;
    CU_ASSERT_EQUAL(ow_encode(w, &wf->cmd, &b), HM_EINVAL);
    ow_object_t *queue = ow_object_new(p, OW_ACTIVEMQ_QUEUE);
    CU_ASSERT_EQUAL(ow_encode(w, (ow_command_t *)queue, &b), HM_EINVAL);
    CU_ASSERT_PTR_NULL(ow_object_new(p, 13));
    CU_ASSERT_STRING_EQUAL(ow_type_name(OW_ACTIVEMQ_TEXT_MESSAGE), "ActiveMQTextMessage");
    CU_ASSERT_STRING_EQUAL(ow_type_name(13), "unknown");
    CU_ASSERT_PTR_NOT_NULL(strstr(hm_strerror(OW_EBAD_MAGIC), "magic"));
    hm_wbuf_free(&b);
    apr_pool_destroy(p);
}

/* The tight "ascii" string form is read as Latin-1 by Java: bytes >= 0x80 become two-byte
 * modified UTF-8 characters, NUL becomes C0 80. */
static void test_ascii_form_is_latin1(void)
{
    apr_pool_t *p;
    apr_pool_create(&p, root);
    ow_wire_t *w = wire(p, 12, 1, 0);
    hm_wbuf_t b;
    frame_begin(&b);
    hm_wbuf_u8(&b, OW_CONTROL_COMMAND);
    hm_wbuf_u8(&b, 1);
    hm_wbuf_u8(&b, 0x06);
    hm_wbuf_be32(&b, 1);
    hm_wbuf_be16(&b, 3);
    hm_wbuf_put(&b, "\xe9\x00z", 3);
    frame_end(&b);
    ow_command_t *c;
    CU_ASSERT_EQUAL_FATAL(decode(w, p, &b, &c), APR_SUCCESS);
    CU_ASSERT_STRING_EQUAL(((ow_control_command_t *)c)->command, "\xc3\xa9\xc0\x80z");
    hm_wbuf_free(&b);
    apr_pool_destroy(p);
}

static void test_props_roundtrip_and_builder(void)
{
    apr_pool_t *p;
    apr_pool_create(&p, root);
    ow_pmap_t *m = ow_props_new(p, 0), *inner = ow_props_new(p, 1);
    ow_pvalue_t v;
    memset(&v, 0, sizeof v);
    v.type = OW_PV_STRING; v.u.str.data = "x"; v.u.str.len = 1;
    CU_ASSERT_EQUAL(ow_props_add(inner, p, NULL, &v), APR_SUCCESS);
    const ow_pvalue_t vals[] = {
        { .type = OW_PV_NULL }, { .type = OW_PV_BOOLEAN, .u.b = 1 }, { .type = OW_PV_BYTE, .u.i8 = -1 },
        { .type = OW_PV_CHAR, .u.ch = 0x20AC }, { .type = OW_PV_SHORT, .u.i16 = -2 },
        { .type = OW_PV_INT, .u.i32 = -3 }, { .type = OW_PV_LONG, .u.i64 = INT64_MAX },
        { .type = OW_PV_FLOAT, .u.f = 1.5f }, { .type = OW_PV_DOUBLE, .u.d = 1e-300 },
    };
    char name[16];
    for (size_t i = 0; i < sizeof vals / sizeof vals[0]; i++) {
        snprintf(name, sizeof name, "k%zu", i);
        CU_ASSERT_EQUAL(ow_props_add(m, p, apr_pstrdup(p, name), &vals[i]), APR_SUCCESS);
    }
    v.type = OW_PV_BIG_STRING; v.u.str.data = "big"; v.u.str.len = 3;
    ow_props_add(m, p, "big", &v);
    v.type = OW_PV_BYTES; v.u.bytes.data = (const uint8_t *)"\0\1"; v.u.bytes.len = 2;
    ow_props_add(m, p, "bytes", &v);
    v.type = OW_PV_LIST; v.u.map = inner;
    ow_props_add(m, p, "list", &v);
    hm_wbuf_t b, b2;
    hm_wbuf_init(&b, 1 << 20);
    hm_wbuf_init(&b2, 1 << 20);
    CU_ASSERT_EQUAL_FATAL(ow_props_encode(m, &b), APR_SUCCESS);
    ow_pmap_t *d;
    CU_ASSERT_EQUAL_FATAL(ow_props_decode(b.data, b.len, p, &d), APR_SUCCESS);
    CU_ASSERT_EQUAL(d->count, m->count);
    CU_ASSERT_EQUAL(ow_props_get(d, "k6")->u.i64, INT64_MAX);
    CU_ASSERT_EQUAL(ow_props_get(d, "k3")->u.ch, 0x20AC);
    CU_ASSERT_EQUAL(ow_props_get(d, "k8")->u.d, 1e-300);
    CU_ASSERT_STRING_EQUAL(ow_props_get(d, "big")->u.str.data, "big");
    CU_ASSERT_EQUAL(ow_props_get(d, "list")->u.map->count, 1);
    CU_ASSERT_EQUAL(ow_props_encode(d, &b2), APR_SUCCESS);
    CU_ASSERT(b.len == b2.len && memcmp(b.data, b2.data, b.len) == 0);
    /* truncations of a valid map are all malformed, never a crash */
    int bad = 0;
    for (size_t n = 0; n < b.len; n++)
        if (ow_props_decode(b.data, n, p, &d) == APR_SUCCESS)
            bad++;
    CU_ASSERT_EQUAL(bad, 0);
    const uint8_t unknown[] = { 0, 0, 0, 1, 0, 1, 'a', 99 };
    CU_ASSERT_EQUAL(ow_props_decode(unknown, sizeof unknown, p, &d), HM_EMALFORMED);
    const uint8_t nullmap[] = { 0xFF, 0xFF, 0xFF, 0xFF };
    CU_ASSERT_EQUAL(ow_props_decode(nullmap, 4, p, &d), APR_SUCCESS);
    CU_ASSERT_TRUE(d->is_null);
    hm_wbuf_free(&b);
    hm_wbuf_free(&b2);
    apr_pool_destroy(p);
}

static void test_text_bodies(void)
{
    apr_pool_t *p;
    apr_pool_create(&p, root);
    hm_wbuf_t b;
    hm_wbuf_init(&b, 1 << 20);
    const char *t = "h\xc3\xa9llo \xe2\x82\xac";
    CU_ASSERT_EQUAL(ow_text_encode(t, strlen(t), &b), APR_SUCCESS);
    const char *out;
    size_t len;
    CU_ASSERT_EQUAL(ow_text_decode(b.data, b.len, 0, p, &out, &len), APR_SUCCESS);
    CU_ASSERT_STRING_EQUAL(out, t);
    CU_ASSERT_EQUAL(len, strlen(t));
    CU_ASSERT_EQUAL(ow_text_decode(b.data, b.len, 1, p, &out, &len), HM_EMALFORMED);  /* not zlib */
    CU_ASSERT_EQUAL(ow_text_decode(b.data, b.len - 1, 0, p, &out, &len), HM_EMALFORMED);
    hm_wbuf_reset(&b);
    CU_ASSERT_EQUAL(ow_text_encode(NULL, 0, &b), APR_SUCCESS);
    CU_ASSERT_EQUAL(ow_text_decode(b.data, b.len, 0, p, &out, &len), APR_SUCCESS);
    CU_ASSERT_PTR_NULL(out);
    const uint8_t bad[] = { 0, 0, 0, 2, 0xF0, 0x9F };
    CU_ASSERT_EQUAL(ow_text_decode(bad, sizeof bad, 0, p, &out, &len), HM_EMALFORMED);
    const uint8_t neg[] = { 0x80, 0, 0, 0 };
    CU_ASSERT_EQUAL(ow_text_decode(neg, sizeof neg, 0, p, &out, &len), HM_EMALFORMED);
    hm_wbuf_free(&b);
    apr_pool_destroy(p);
}

/* A frame that fails to encode must not leave the outbound cache naming values the peer never
 * received: the next frames still decode on the other side. */
static void test_encode_failure_keeps_caches_in_step(void)
{
    apr_pool_t *p;
    apr_pool_create(&p, root);
    for (int tight = 0; tight <= 1; tight++) {
        ow_wire_t *e = wire(p, 12, tight, 1), *d = wire(p, 12, tight, 1);
        hm_wbuf_t b;
        hm_wbuf_init(&b, 1 << 20);
        ow_producer_id_t *pid = (ow_producer_id_t *)ow_object_new(p, OW_PRODUCER_ID);
        pid->connection_id = "ID:x";
        pid->value = 4;
        ow_destination_t *q = (ow_destination_t *)ow_object_new(p, OW_ACTIVEMQ_QUEUE);
        q->physical_name = "q";
        ow_message_t *m = (ow_message_t *)ow_object_new(p, OW_ACTIVEMQ_TEXT_MESSAGE);
        m->producer_id = pid;
        m->destination = q;
        char *big = apr_palloc(p, 70001);
        memset(big, 'x', 70000);
        big[70000] = 0;
        m->correlation_id = big;           /* too long for any encoding */
        CU_ASSERT_EQUAL(ow_encode(e, &m->cmd, &b), HM_ETOOBIG);
        CU_ASSERT_EQUAL(b.len, 0);
        m->correlation_id = "ok";
        CU_ASSERT_EQUAL(ow_encode(e, &m->cmd, &b), APR_SUCCESS);
        CU_ASSERT_EQUAL(ow_encode(e, &m->cmd, &b), APR_SUCCESS);
        size_t off = 0;
        for (int i = 0; i < 2; i++) {
            ow_command_t *c;
            size_t used;
            CU_ASSERT_EQUAL_FATAL(ow_decode(d, b.data + off, b.len - off, p, &c, &used), APR_SUCCESS);
            CU_ASSERT(ow_object_equal(&m->cmd.obj, &c->obj));
            off += used;
        }
        hm_wbuf_free(&b);
    }
    apr_pool_destroy(p);
}

static void test_utf8_conversions(void)
{
    apr_pool_t *p;
    apr_pool_create(&p, root);
    char *o;
    size_t n;
    /* U+1F600 (4 bytes) <-> surrogate pair ED A0 BD ED B8 80; NUL <-> C0 80 */
    const char utf8[] = "a\xf0\x9f\x98\x80" "b\0c\xc3\xa9";
    CU_ASSERT_EQUAL_FATAL(ow_utf8_to_mutf8(p, utf8, sizeof utf8 - 1, &o, &n), APR_SUCCESS);
    CU_ASSERT_EQUAL(n, 13);
    CU_ASSERT(memcmp(o, "a\xed\xa0\xbd\xed\xb8\x80" "b\xc0\x80" "c\xc3\xa9", 13) == 0);
    CU_ASSERT_TRUE(ow_mutf8_valid((const uint8_t *)o, n));
    char *back;
    size_t bn;
    CU_ASSERT_EQUAL_FATAL(ow_mutf8_to_utf8(p, o, n, &back, &bn), APR_SUCCESS);
    CU_ASSERT(bn == sizeof utf8 - 1 && memcmp(back, utf8, bn) == 0);
    /* invalid standard UTF-8: overlong, surrogate, truncated */
    CU_ASSERT_EQUAL(ow_utf8_to_mutf8(p, "\xc0\x80", 2, &o, &n), HM_EMALFORMED);
    CU_ASSERT_EQUAL(ow_utf8_to_mutf8(p, "\xed\xa0\x80", 3, &o, &n), HM_EMALFORMED);
    CU_ASSERT_EQUAL(ow_utf8_to_mutf8(p, "\xe2\x82", 2, &o, &n), HM_EMALFORMED);
    /* a lone surrogate from Java becomes U+FFFD */
    CU_ASSERT_EQUAL(ow_mutf8_to_utf8(p, "x\xed\xa0\xbd", 4, &back, &bn), APR_SUCCESS);
    CU_ASSERT(bn == 4 && memcmp(back, "x\xef\xbf\xbd", 4) == 0);
    apr_pool_destroy(p);
}

static uint8_t *fixture(const char *name, size_t *len)
{
    char path[512];
    const char *d = getenv("OW_FIXTURES");
    snprintf(path, sizeof path, "%s/%s", d ? d : "test/unit/fixtures/openwire", name);
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    uint8_t *b = malloc(1 << 20);
    *len = fread(b, 1, 1 << 20, f);
    fclose(f);
    return b;
}

/* Bodies the Java client compressed (gen/GenCompressed.java): fixed and dynamic Huffman
 * codes, stored blocks, a map body; damaged or oversized data is refused. */
static void test_compressed_bodies(void)
{
    apr_pool_t *p;
    apr_pool_create(&p, root);
    size_t n;
    const char *text;
    size_t tl;
    uint8_t *b = fixture("compressed_text.bin", &n);
    CU_ASSERT_PTR_NOT_NULL_FATAL(b);
    CU_ASSERT_EQUAL(ow_text_decode(b, n, 1, p, &text, &tl), APR_SUCCESS);
    CU_ASSERT_STRING_EQUAL(text, "Gr\xc3\xbc\xc3\x9f" "e aus K\xc3\xb6ln \xe2\x80\x94 \xe4\xbe\xa1\xe6\xa0\xbc \xe2\x82\xac \xe2\x9c\x93");
    /* every truncation and every single-byte corruption is refused or decodes to something
     * else, never crashes */
    int accepted = 0;
    for (size_t k = 0; k < n; k++)
        if (ow_text_decode(b, k, 1, p, &text, &tl) == APR_SUCCESS)
            accepted++;
    CU_ASSERT_EQUAL(accepted, 0);
    for (size_t k = 2; k < n; k++) {
        b[k] ^= 0x5A;
        CU_ASSERT_NOT_EQUAL(ow_text_decode(b, n, 1, p, &text, &tl), APR_SUCCESS);
        b[k] ^= 0x5A;
    }
    free(b);

    b = fixture("compressed_large.bin", &n);
    CU_ASSERT_PTR_NOT_NULL_FATAL(b);
    CU_ASSERT_EQUAL_FATAL(ow_text_decode(b, n, 1, p, &text, &tl), APR_SUCCESS);
    char *want = apr_palloc(p, 400000), *w = want;
    for (int i = 0; i < 20000; i++)
        w += sprintf(w, "line %d \xc3\xbc\n", i % 97);
    CU_ASSERT_EQUAL(tl, (size_t)(w - want));
    CU_ASSERT(tl == (size_t)(w - want) && memcmp(text, want, tl) == 0);
    uint8_t *raw;
    size_t rl;
    CU_ASSERT_EQUAL(ow_inflate(b, n, 1000, p, &raw, &rl), HM_ETOOBIG);
    free(b);

    b = fixture("compressed_stored.bin", &n);
    CU_ASSERT_PTR_NOT_NULL_FATAL(b);
    CU_ASSERT_EQUAL(ow_text_decode(b, n, 1, p, &text, &tl), APR_SUCCESS);
    CU_ASSERT_STRING_EQUAL(text, "stored block text");
    free(b);

    b = fixture("compressed_map.bin", &n);
    CU_ASSERT_PTR_NOT_NULL_FATAL(b);
    CU_ASSERT_EQUAL_FATAL(ow_inflate(b, n, 1 << 20, p, &raw, &rl), APR_SUCCESS);
    ow_pmap_t *m;
    CU_ASSERT_EQUAL_FATAL(ow_props_decode(raw, rl, p, &m), APR_SUCCESS);
    CU_ASSERT_EQUAL(ow_props_get(m, "count")->u.i32, 17);
    free(b);
    /* a preset dictionary and a bad header check are refused */
    const uint8_t dict[] = { 0x78, 0xBB, 0, 0, 0, 0 };
    CU_ASSERT_EQUAL(ow_inflate(dict, sizeof dict, 100, p, &raw, &rl), HM_EMALFORMED);
    const uint8_t hdr[] = { 0x78, 0x9D, 3, 0 };
    CU_ASSERT_EQUAL(ow_inflate(hdr, sizeof hdr, 100, p, &raw, &rl), HM_EMALFORMED);
    apr_pool_destroy(p);
}

int main(void)
{
    apr_initialize();
    apr_pool_create(&root, NULL);
    CU_initialize_registry();
    CU_pSuite s = CU_add_suite("openwire_hostile", NULL, NULL);
    CU_add_test(s, "random bytes never crash", test_random_bytes_never_crash);
    CU_add_test(s, "frame over maxFrameSize rejected from its prefix", test_frame_over_max_rejected_before_reading);
    CU_add_test(s, "truncated frame: incomplete byte by byte, then complete", test_truncated_frame_incomplete_then_complete);
    CU_add_test(s, "unknown and non-command types", test_unknown_and_non_command_types);
    CU_add_test(s, "lengths larger than the frame or negative", test_lengths_larger_than_frame_or_negative);
    CU_add_test(s, "array and map counts of 2^15-1 and 2^31-1", test_array_counts);
    CU_add_test(s, "property map nested 10000 deep", test_props_nested_10000_deep);
    CU_add_test(s, "structures and causes nested too deep", test_structures_nested_too_deep);
    CU_add_test(s, "wrong nested type and bad cache index", test_wrong_nested_type_and_cache_index);
    CU_add_test(s, "encoder refuses what Java cannot read", test_encoder_refuses_what_java_cannot_read);
    CU_add_test(s, "tight ascii strings are Latin-1", test_ascii_form_is_latin1);
    CU_add_test(s, "encode failure keeps caches in step", test_encode_failure_keeps_caches_in_step);
    CU_add_test(s, "primitive maps round trip", test_props_roundtrip_and_builder);
    CU_add_test(s, "text bodies", test_text_bodies);
    CU_add_test(s, "compressed bodies from the Java client", test_compressed_bodies);
    CU_add_test(s, "UTF-8 <-> modified UTF-8", test_utf8_conversions);
    CU_basic_set_mode(CU_BRM_VERBOSE);
    CU_basic_run_tests();
    int failed = (int)CU_get_number_of_failures();
    CU_cleanup_registry();
    apr_pool_destroy(root);
    apr_terminate();
    return failed ? 1 : 0;
}
