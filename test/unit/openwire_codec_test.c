/* OpenWire codec: round trips of every data-structure type in every encoding, and the byte
 * fixtures the real ActiveMQ 5.17 client wrote (test/unit/fixtures/openwire, made by
 * gen/GenFixtures.java): decoded field by field and re-encoded byte for byte. */
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

static const char *fixture_dir(void)
{
    const char *d = getenv("OW_FIXTURES");
    return d ? d : "test/unit/fixtures/openwire";
}

/* ---------- a generic filler: every field a version has, driven by the field tables ---------- */

static unsigned rnd(unsigned *s)
{
    *s = *s * 1103515245u + 12345u;
    return (*s >> 8) & 0xFFFFFF;
}

static const char *const STRINGS[] = {
    "", "plain ascii", "Gr\xc3\xbc\xc3\x9f" "e \xe2\x82\xac \xe4\xbe\xa1", "nul\xc0\x80inside", "x",
};

static uint8_t pick_type(uint8_t cons, int version, uint8_t avoid, unsigned *s)
{
    uint8_t cand[64];
    int n = 0;
    for (size_t i = 0; i < ow_type_desc_count; i++) {
        const ow_type_desc_t *d = &ow_type_descs[i];
        if (d->min_ver <= version && d->code != avoid && ow_cons_allows(cons, d->code) && n < 64)
            cand[n++] = d->code;
    }
    return n ? cand[rnd(s) % (unsigned)n] : 0;
}

static ow_throwable_t *fill_throwable(apr_pool_t *p, int stack, int depth, unsigned *s)
{
    ow_throwable_t *t = apr_pcalloc(p, sizeof *t);
    t->class_name = "javax.jms.JMSException";
    t->message = rnd(s) % 3 ? apr_psprintf(p, "failure %u \xc3\xa4", rnd(s)) : NULL;
    if (stack) {
        t->stack_trace_count = 2;
        t->stack_trace = apr_pcalloc(p, 2 * sizeof *t->stack_trace);
        t->stack_trace[0] = (ow_stack_element_t){ "org.example.A", "run", "A.java", 42 };
        t->stack_trace[1] = (ow_stack_element_t){ "org.example.B", "<init>", NULL, -2 };
        if (depth < 2)
            t->cause = fill_throwable(p, stack, depth + 1, s);
    }
    return t;
}

static ow_object_t *fill(apr_pool_t *p, uint8_t type, int version, int stack, int depth, unsigned *s)
{
    const ow_type_desc_t *d = ow_desc(type);
    char *o = (char *)ow_object_new(p, type);
    for (uint16_t i = 0; i < d->nfields; i++) {
        const ow_field_t *f = &d->fields[i];
        if (version < f->min_ver || version > f->max_ver)
            continue;
        void *at = o + f->off;
        switch (f->kind) {
        case OW_K_BYTE: *(int8_t *)at = (int8_t)rnd(s); break;
        case OW_K_BOOL: *(int *)at = rnd(s) & 1; break;
        case OW_K_INT: *(int32_t *)at = (int32_t)(rnd(s) * 977u - 5000000u); break;
        case OW_K_LONG: {
            static const int64_t L[] = { 0, 1, 0xFFFF, 0x10000, 0xFFFFFFFFLL, 0x100000000LL, -1, INT64_MIN, 1700000000123LL };
            *(int64_t *)at = L[rnd(s) % 9];
            break;
        }
        case OW_K_STRING: {
            unsigned r = rnd(s) % 6;
            *(char **)at = r == 5 ? NULL : (char *)STRINGS[r];
            break;
        }
        case OW_K_BYTES: {
            ow_bytes_t *b = at;
            unsigned r = rnd(s) % 4;
            if (r) {
                uint8_t *data = apr_palloc(p, 32);
                for (int j = 0; j < 32; j++)
                    data[j] = (uint8_t)rnd(s);
                b->data = data;
                b->len = (int32_t)(r == 1 ? 0 : rnd(s) % 32);
            }
            break;
        }
        case OW_K_CONST: {
            ow_bytes_t *b = at;
            b->data = (const uint8_t *)"ActiveMQ";
            b->len = f->const_len;
            break;
        }
        case OW_K_NESTED:
        case OW_K_CACHED:
            if (depth < 3 && rnd(s) % 5) {
                uint8_t t = pick_type(f->cons, version, type, s);
                if (t)
                    *(ow_object_t **)at = fill(p, t, version, stack, depth + 1, s);
            }
            break;
        case OW_K_ARRAY:
            if (depth < 3 && rnd(s) % 4) {
                int32_t n = (int32_t)(rnd(s) % 4);
                ow_object_t **arr = apr_pcalloc(p, (n ? (size_t)n : 1) * sizeof *arr);
                for (int32_t j = 0; j < n; j++) {
                    uint8_t t = pick_type(f->cons, version, type, s);
                    arr[j] = (t && rnd(s) % 5) ? fill(p, t, version, stack, depth + 1, s) : NULL;
                }
                *(ow_object_t ***)at = arr;
                *(int32_t *)(o + f->count_off) = n;
            }
            break;
        case OW_K_THROWABLE:
            if (rnd(s) % 4)
                *(ow_throwable_t **)at = fill_throwable(p, stack, 0, s);
            break;
        }
    }
    return (ow_object_t *)o;
}

/* A command carrying x: x itself, or a DataResponse holding a non-command structure. */
static ow_command_t *as_command(apr_pool_t *p, ow_object_t *x)
{
    if (ow_type_is_command(x->type))
        return (ow_command_t *)x;
    ow_data_response_t *r = (ow_data_response_t *)ow_object_new(p, OW_DATA_RESPONSE);
    r->cmd.command_id = 77;
    r->correlation_id = 5;
    r->data = x;
    return &r->cmd;
}

static ow_wire_t *wire(apr_pool_t *p, int version, int tight, int cache, int stack)
{
    ow_wire_t *w;
    CU_ASSERT_FATAL(ow_wire_create(p, NULL, &w) == APR_SUCCESS);
    CU_ASSERT_FATAL(ow_wire_force_format(w, version, tight, cache, stack, 0) == APR_SUCCESS);
    return w;
}

typedef struct fmt_s { int version, tight, cache, stack; } fmt_t;
static const fmt_t FORMATS[] = {
    { 12, 1, 1, 1 }, { 12, 1, 0, 1 }, { 12, 0, 0, 1 }, { 12, 0, 1, 0 }, { 11, 1, 1, 1 },
    { 10, 0, 1, 1 }, { 9, 1, 1, 0 }, { 8, 0, 0, 1 }, { 6, 1, 0, 1 }, { 6, 0, 0, 0 },
    { 3, 1, 1, 1 }, { 2, 0, 1, 1 }, { 1, 1, 0, 1 }, { 1, 0, 0, 1 },
};

static int roundtrip_one(apr_pool_t *p, const fmt_t *f, uint8_t type, unsigned seed)
{
    unsigned s = seed;
    ow_object_t *x = fill(p, type, f->version, f->stack, 0, &s);
    ow_command_t *cmd = as_command(p, x);
    hm_wbuf_t b1, b2;
    hm_wbuf_init(&b1, 1 << 24);
    hm_wbuf_init(&b2, 1 << 24);
    int ok = 0;
    ow_wire_t *wa = wire(p, f->version, f->tight, f->cache, f->stack);
    ow_wire_t *wb = wire(p, f->version, f->tight, f->cache, f->stack);
    ow_wire_t *wc = wire(p, f->version, f->tight, f->cache, f->stack);
    ow_command_t *y = NULL;
    size_t used = 0;
    apr_status_t st = ow_encode(wa, cmd, &b1);
    if (st) {
        printf("\n  encode %s v%d: %s\n", ow_type_name(type), f->version, ow_wire_error(wa));
        goto done;
    }
    st = ow_decode(wb, b1.data, b1.len, p, &y, &used);
    if (st || used != b1.len) {
        printf("\n  decode %s v%d t%d c%d: %d %s\n", ow_type_name(type), f->version, f->tight,
               f->cache, st, ow_wire_error(wb));
        goto done;
    }
    if (!ow_object_equal(&cmd->obj, &y->obj)) {
        printf("\n  %s v%d t%d c%d: decoded differs\n", ow_type_name(type), f->version, f->tight, f->cache);
        goto done;
    }
    if (ow_encode(wc, y, &b2) || b2.len != b1.len || memcmp(b1.data, b2.data, b1.len) != 0) {
        printf("\n  %s v%d: re-encoding differs\n", ow_type_name(type), f->version);
        goto done;
    }
    ok = 1;
done:
    hm_wbuf_free(&b1);
    hm_wbuf_free(&b2);
    return ok;
}

/* decode(encode(x)) == x field by field and encode(decode(bytes)) == bytes, for every type the
 * version has, over tight/loose, cache on/off, stack traces on/off and versions 1..12. */
static void test_roundtrip_every_type_every_format(void)
{
    int runs = 0, fails = 0;
    for (size_t fi = 0; fi < sizeof FORMATS / sizeof FORMATS[0]; fi++) {
        const fmt_t *f = &FORMATS[fi];
        for (size_t i = 0; i < ow_type_desc_count; i++) {
            const ow_type_desc_t *d = &ow_type_descs[i];
            if (d->min_ver > f->version)
                continue;
            for (unsigned seed = 1; seed <= 6; seed++) {
                apr_pool_t *p;
                apr_pool_create(&p, root);
                runs++;
                if (!roundtrip_one(p, f, d->code, seed * 7919u + d->code))
                    fails++;
                apr_pool_destroy(p);
            }
        }
    }
    CU_ASSERT_EQUAL(fails, 0);
    CU_ASSERT(runs > 2000);
}

/* One connection's stream: many commands through the same two wires, more distinct cached
 * values than the cache holds, so eviction and index reuse must agree on both sides. */
static void test_cache_eviction_stays_in_step(void)
{
    apr_pool_t *p;
    apr_pool_create(&p, root);
    ow_wire_opts_t o;
    ow_wire_opts_default(&o);
    o.cache_size = 130;     /* the sweep keeps 100 free: at most 30 live entries */
    for (int tight = 0; tight <= 1; tight++) {
        ow_wire_t *wa, *wb;
        CU_ASSERT_FATAL(ow_wire_create(p, &o, &wa) == APR_SUCCESS);
        CU_ASSERT_FATAL(ow_wire_create(p, &o, &wb) == APR_SUCCESS);
        ow_wire_force_format(wa, 12, tight, 1, 1, 0);
        ow_wire_force_format(wb, 12, tight, 1, 1, 0);
        hm_wbuf_t b;
        hm_wbuf_init(&b, 1 << 26);
        int bad = 0;
        ow_message_ack_t *sent[400];
        for (int i = 0; i < 400; i++) {
            ow_message_ack_t *a = (ow_message_ack_t *)ow_object_new(p, OW_MESSAGE_ACK);
            ow_consumer_id_t *c = (ow_consumer_id_t *)ow_object_new(p, OW_CONSUMER_ID);
            ow_destination_t *d = (ow_destination_t *)ow_object_new(p, OW_ACTIVEMQ_QUEUE);
            c->connection_id = "ID:conn";
            c->session_id = 1;
            c->value = i % 97;                 /* repeats: some hits, many misses */
            d->physical_name = apr_psprintf(p, "q.%d", i % 41);
            a->consumer_id = c;
            a->destination = d;
            a->cmd.command_id = i;
            a->ack_type = 2;
            a->message_count = 1;
            sent[i] = a;
            if (ow_encode(wa, &a->cmd, &b) != APR_SUCCESS)
                bad++;
        }
        size_t off = 0;
        for (int i = 0; i < 400 && !bad; i++) {
            ow_command_t *y;
            size_t used;
            if (ow_decode(wb, b.data + off, b.len - off, p, &y, &used) != APR_SUCCESS
                || !ow_object_equal(&sent[i]->cmd.obj, &y->obj))
                bad++;
            off += used;
        }
        CU_ASSERT_EQUAL(bad, 0);
        CU_ASSERT_EQUAL(off, b.len);
        hm_wbuf_free(&b);
    }
    apr_pool_destroy(p);
}

static void test_copy_flat_is_one_block_and_equal(void)
{
    apr_pool_t *p;
    apr_pool_create(&p, root);
    for (size_t i = 0; i < ow_type_desc_count; i++) {
        unsigned s = 99 + (unsigned)i;
        ow_object_t *x = fill(p, ow_type_descs[i].code, 12, 1, 0, &s);
        ow_object_t *flat = NULL;
        size_t size = 0;
        CU_ASSERT_EQUAL(ow_object_copy_flat(x, &flat, &size), APR_SUCCESS);
        CU_ASSERT(size >= ow_type_descs[i].size);
        CU_ASSERT(ow_object_equal(x, flat));
        /* the copy owns its memory: changing the source leaves it intact */
        ow_object_t *again;
        ow_object_copy(x, p, &again);
        memset((char *)x + sizeof(ow_object_t), 0, ow_type_descs[i].size - sizeof(ow_object_t));
        CU_ASSERT(ow_object_equal(flat, again));
        free(flat);
    }
    apr_pool_destroy(p);
}

/* ---------- fixtures from the real client ---------- */

typedef struct fix_s {
    char file[128], name[64];
    int version, tight, cache, stack, type, frames;
} fix_t;

static int load_manifest(fix_t *out, int max)
{
    char path[512];
    snprintf(path, sizeof path, "%s/MANIFEST", fixture_dir());
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    char line[512];
    int n = 0;
    while (fgets(line, sizeof line, f) && n < max) {
        if (line[0] == '#')
            continue;
        fix_t *x = &out[n];
        if (sscanf(line, "%127s %d %d %d %d %d %d %63s", x->file, &x->version, &x->tight, &x->cache,
                   &x->stack, &x->type, &x->frames, x->name) == 8)
            n++;
    }
    fclose(f);
    return n;
}

static uint8_t *load_file(const char *name, size_t *len)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", fixture_dir(), name);
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *b = malloc(n > 0 ? (size_t)n : 1);
    *len = fread(b, 1, (size_t)n, f);
    fclose(f);
    return b;
}

/* Decodes every frame of a fixture with a wire in its format; NULL on failure. */
static ow_command_t **decode_fixture(apr_pool_t *p, const fix_t *x, const uint8_t *b, size_t len,
                                     int *count)
{
    ow_wire_t *w;
    if (x->frames == 1 && x->type == OW_WIREFORMAT_INFO && strcmp(x->name, "client_wireformat") == 0)
        ow_wire_create(p, NULL, &w);          /* the pre-negotiation format, as a broker starts */
    else
        w = wire(p, x->version, x->tight, x->cache, x->stack);
    ow_command_t **cmds = apr_pcalloc(p, (size_t)x->frames * sizeof *cmds);
    size_t off = 0;
    int n = 0;
    while (off < len) {
        size_t used;
        if (n >= x->frames) {
            printf("\n  %s: more frames than the manifest says\n", x->file);
            return NULL;
        }
        apr_status_t st = ow_decode(w, b + off, len - off, p, &cmds[n], &used);
        if (st) {
            printf("\n  %s frame %d: status %d: %s\n", x->file, n, st, ow_wire_error(w));
            return NULL;
        }
        off += used;
        n++;
    }
    *count = n;
    return cmds;
}

static void test_fixtures_decode_and_reencode_identically(void)
{
    static fix_t fx[600];
    int n = load_manifest(fx, 600);
    CU_ASSERT_FATAL(n > 300);
    int bad = 0, frames = 0;
    for (int i = 0; i < n; i++) {
        size_t len;
        uint8_t *b = load_file(fx[i].file, &len);
        if (!b) {
            bad++;
            continue;
        }
        apr_pool_t *p;
        apr_pool_create(&p, root);
        int count = 0;
        ow_command_t **cmds = decode_fixture(p, &fx[i], b, len, &count);
        if (!cmds || count != fx[i].frames || (fx[i].frames == 1 && cmds[0]->obj.type != fx[i].type)) {
            bad++;
        } else {
            frames += count;
            ow_wire_t *w;
            if (strcmp(fx[i].name, "client_wireformat") == 0)
                ow_wire_create(p, NULL, &w);
            else
                w = wire(p, fx[i].version, fx[i].tight, fx[i].cache, fx[i].stack);
            hm_wbuf_t out;
            hm_wbuf_init(&out, 1 << 24);
            for (int k = 0; k < count; k++)
                if (ow_encode(w, cmds[k], &out) != APR_SUCCESS)
                    printf("\n  %s: encode %d: %s\n", fx[i].file, k, ow_wire_error(w));
            if (out.len != len || memcmp(out.data, b, len) != 0) {
                size_t at = 0;
                while (at < len && at < out.len && out.data[at] == b[at])
                    at++;
                printf("\n  %s: re-encoded %zu bytes vs %zu, first difference at %zu\n", fx[i].file,
                       out.len, len, at);
                bad++;
            }
            hm_wbuf_free(&out);
        }
        apr_pool_destroy(p);
        free(b);
    }
    CU_ASSERT_EQUAL(bad, 0);
    CU_ASSERT(frames > 1000);
}

/* Decodes one v12 tight+cache fixture frame. */
static ow_command_t *fixture_cmd(apr_pool_t *p, const char *name)
{
    char file[128];
    snprintf(file, sizeof file, "%s.v12tc.bin", name);
    size_t len;
    uint8_t *b = load_file(file, &len);
    CU_ASSERT_PTR_NOT_NULL_FATAL(b);
    ow_wire_t *w = wire(p, 12, 1, 1, 1);
    ow_command_t *c = NULL;
    size_t used;
    CU_ASSERT_EQUAL(ow_decode(w, b, len, p, &c, &used), APR_SUCCESS);
    CU_ASSERT_EQUAL(used, len);
    free(b);
    CU_ASSERT_PTR_NOT_NULL_FATAL(c);
    return c;
}

#define CONN_ID "ID:fixture-host-40123-1700000000000-1:1"

static void test_fixture_connection_consumer_producer(void)
{
    apr_pool_t *p;
    apr_pool_create(&p, root);
    ow_connection_info_t *ci = (ow_connection_info_t *)fixture_cmd(p, "connection_info");
    CU_ASSERT_EQUAL(ci->cmd.obj.type, OW_CONNECTION_INFO);
    CU_ASSERT_EQUAL(ci->cmd.command_id, 1);
    CU_ASSERT_TRUE(ci->cmd.response_required);
    CU_ASSERT_STRING_EQUAL(ci->connection_id->value, CONN_ID);
    CU_ASSERT_STRING_EQUAL(ci->client_id, "fixture-client");
    CU_ASSERT_STRING_EQUAL(ci->user_name, "alice");
    CU_ASSERT_STRING_EQUAL(ci->password, "s3cret");
    CU_ASSERT_STRING_EQUAL(ci->client_ip, "tcp://127.0.0.1:40123");
    CU_ASSERT_TRUE(ci->manageable);
    CU_ASSERT_FALSE(ci->fault_tolerant);
    CU_ASSERT_EQUAL_FATAL(ci->broker_path_count, 2);
    CU_ASSERT_STRING_EQUAL(ci->broker_path[1]->value, "broker-b");

    ow_consumer_info_t *co = (ow_consumer_info_t *)fixture_cmd(p, "consumer_info");
    CU_ASSERT_STRING_EQUAL(co->selector, "color = 'red' AND weight > 2.5");
    CU_ASSERT_EQUAL(co->destination->obj.type, OW_ACTIVEMQ_QUEUE);
    CU_ASSERT_STRING_EQUAL(co->destination->physical_name, "orders.eu");
    CU_ASSERT_EQUAL(co->prefetch_size, 1000);
    CU_ASSERT_EQUAL(co->consumer_id->session_id, 1);
    CU_ASSERT_EQUAL(co->consumer_id->value, 7);
    CU_ASSERT_STRING_EQUAL(co->subscription_name, "durable-sub");
    CU_ASSERT_TRUE(co->no_local && co->exclusive && co->dispatch_async);
    CU_ASSERT_EQUAL(co->priority, -3);
    CU_ASSERT_EQUAL_FATAL(co->network_consumer_path_count, 1);
    CU_ASSERT_EQUAL(co->network_consumer_path[0]->value, 99);
    CU_ASSERT_PTR_NOT_NULL_FATAL(co->additional_predicate);
    CU_ASSERT_EQUAL(co->additional_predicate->message_ttl, 4);
    CU_ASSERT_STRING_EQUAL(co->additional_predicate->network_broker_id->value, "broker-b");

    ow_producer_info_t *pi = (ow_producer_info_t *)fixture_cmd(p, "producer_info");
    CU_ASSERT_EQUAL(pi->destination->obj.type, OW_ACTIVEMQ_TOPIC);
    CU_ASSERT_STRING_EQUAL(pi->destination->physical_name, "prices.>");
    CU_ASSERT_EQUAL(pi->window_size, 65536);
    apr_pool_destroy(p);
}

static void test_fixture_text_message_body_and_properties(void)
{
    apr_pool_t *p;
    apr_pool_create(&p, root);
    ow_message_t *m = (ow_message_t *)fixture_cmd(p, "text_message");
    CU_ASSERT_EQUAL(m->cmd.obj.type, OW_ACTIVEMQ_TEXT_MESSAGE);
    CU_ASSERT_EQUAL(m->cmd.command_id, 11);
    CU_ASSERT_TRUE(m->persistent);
    CU_ASSERT_EQUAL(m->priority, 7);
    CU_ASSERT_EQUAL(m->timestamp, 1700000000123LL);
    CU_ASSERT_EQUAL(m->expiration, 1700000060123LL);
    CU_ASSERT_STRING_EQUAL(m->correlation_id, "corr-1");
    CU_ASSERT_STRING_EQUAL(m->group_id, "group-A");
    CU_ASSERT_EQUAL(m->group_sequence, 3);
    CU_ASSERT_STRING_EQUAL(m->type, "fixture");
    CU_ASSERT_STRING_EQUAL(m->user_id, "alice");
    CU_ASSERT_EQUAL(m->reply_to->obj.type, OW_ACTIVEMQ_TEMP_QUEUE);
    CU_ASSERT_EQUAL(m->message_id->producer_sequence_id, 1);
    CU_ASSERT_EQUAL(m->message_id->broker_sequence_id, 1001);
    CU_ASSERT_EQUAL(m->message_id->producer_id->value, 1);
    CU_ASSERT_EQUAL_FATAL(m->transaction_id->obj.type, OW_ACTIVEMQ_LOCAL_TRANSACTION_ID);
    CU_ASSERT_EQUAL(m->transaction_id->local.value, 5);
    CU_ASSERT_STRING_EQUAL(m->transaction_id->local.connection_id->value, CONN_ID);
    CU_ASSERT_FALSE(m->compressed);

    const char *text;
    size_t tlen;
    CU_ASSERT_EQUAL(ow_text_decode(m->content.data, (size_t)m->content.len, m->compressed, p, &text, &tlen), APR_SUCCESS);
    CU_ASSERT_STRING_EQUAL(text, "Gr\xc3\xbc\xc3\x9f" "e aus K\xc3\xb6ln \xe2\x80\x94 \xe4\xbe\xa1\xe6\xa0\xbc \xe2\x82\xac \xe2\x9c\x93");

    ow_pmap_t *props;
    CU_ASSERT_EQUAL_FATAL(ow_props_decode(m->marshalled_properties.data, (size_t)m->marshalled_properties.len, p, &props), APR_SUCCESS);
    const ow_pvalue_t *v;
    CU_ASSERT((v = ow_props_get(props, "pBool")) && v->type == OW_PV_BOOLEAN && v->u.b == 1);
    CU_ASSERT((v = ow_props_get(props, "pByte")) && v->type == OW_PV_BYTE && v->u.i8 == -5);
    CU_ASSERT((v = ow_props_get(props, "pShort")) && v->type == OW_PV_SHORT && v->u.i16 == -12345);
    CU_ASSERT((v = ow_props_get(props, "pInt")) && v->type == OW_PV_INT && v->u.i32 == 123456789);
    CU_ASSERT((v = ow_props_get(props, "pLong")) && v->type == OW_PV_LONG && v->u.i64 == -1234567890123456789LL);
    CU_ASSERT((v = ow_props_get(props, "pFloat")) && v->type == OW_PV_FLOAT && v->u.f == 3.25f);
    CU_ASSERT((v = ow_props_get(props, "pDouble")) && v->type == OW_PV_DOUBLE && v->u.d == -2.5e100);
    CU_ASSERT((v = ow_props_get(props, "pString")) && v->type == OW_PV_STRING
              && strcmp(v->u.str.data, "wert-\xc3\xa4\xc3\xb6\xc3\xbc") == 0);
    CU_ASSERT((v = ow_props_get(props, "pChar")) && v->type == OW_PV_CHAR && v->u.ch == 'Z');
    CU_ASSERT((v = ow_props_get(props, "pMap")) && v->type == OW_PV_MAP
              && ow_props_get(v->u.map, "inner") && ow_props_get(v->u.map, "inner")->u.i32 == 42);
    CU_ASSERT((v = ow_props_get(props, "pList")) && v->type == OW_PV_LIST && v->u.map->count == 3
              && v->u.map->entries[1].value.type == OW_PV_LONG);
    CU_ASSERT_PTR_NULL(ow_props_get(props, "absent"));
    /* the properties re-encode to the very bytes the client wrote */
    hm_wbuf_t b;
    hm_wbuf_init(&b, 1 << 20);
    CU_ASSERT_EQUAL(ow_props_encode(props, &b), APR_SUCCESS);
    CU_ASSERT(b.len == (size_t)m->marshalled_properties.len
              && memcmp(b.data, m->marshalled_properties.data, b.len) == 0);
    hm_wbuf_free(&b);
    apr_pool_destroy(p);
}

static void test_fixture_map_message_and_acks(void)
{
    apr_pool_t *p;
    apr_pool_create(&p, root);
    ow_message_t *m = (ow_message_t *)fixture_cmd(p, "map_message");
    CU_ASSERT_EQUAL(m->cmd.obj.type, OW_ACTIVEMQ_MAP_MESSAGE);
    ow_pmap_t *body;
    CU_ASSERT_EQUAL_FATAL(ow_props_decode(m->content.data, (size_t)m->content.len, p, &body), APR_SUCCESS);
    const ow_pvalue_t *v;
    CU_ASSERT((v = ow_props_get(body, "name")) && strcmp(v->u.str.data, "Widget") == 0);
    CU_ASSERT((v = ow_props_get(body, "count")) && v->u.i32 == 17);
    CU_ASSERT((v = ow_props_get(body, "price")) && v->type == OW_PV_DOUBLE && v->u.d == 9.99);
    CU_ASSERT((v = ow_props_get(body, "blob")) && v->type == OW_PV_BYTES && v->u.bytes.len == 4
              && v->u.bytes.data[3] == 0xff);
    CU_ASSERT((v = ow_props_get(body, "big")) && v->u.i64 == INT64_MIN);
    CU_ASSERT((v = ow_props_get(body, "ch")) && v->type == OW_PV_CHAR && v->u.ch == 'q');

    ow_message_t *bm = (ow_message_t *)fixture_cmd(p, "bytes_message");
    static const uint8_t bytes_body[] = { 0, 1, 2, 3, 4, 5, 0x80, 0xff, 1, 2, 3, 4 };
    CU_ASSERT(bm->content.len == sizeof bytes_body && memcmp(bm->content.data, bytes_body, sizeof bytes_body) == 0);
    ow_message_t *sm = (ow_message_t *)fixture_cmd(p, "stream_message");
    ow_pmap_t *items;
    CU_ASSERT_EQUAL_FATAL(ow_stream_body_decode(sm->content.data, (size_t)sm->content.len, p, &items), APR_SUCCESS);
    CU_ASSERT_EQUAL_FATAL(items->count, 3);
    CU_ASSERT_STRING_EQUAL(items->entries[0].value.u.str.data, "first");
    CU_ASSERT_EQUAL(items->entries[1].value.u.i32, 2);
    CU_ASSERT_EQUAL(items->entries[2].value.type, OW_PV_BOOLEAN);
    hm_wbuf_t sb;
    hm_wbuf_init(&sb, 1 << 20);
    CU_ASSERT_EQUAL(ow_stream_body_encode(items, &sb), APR_SUCCESS);
    CU_ASSERT(sb.len == (size_t)sm->content.len && memcmp(sb.data, sm->content.data, sb.len) == 0);
    hm_wbuf_free(&sb);

    static const char *const acks[] = { "ack_delivered", "ack_poison", "ack_standard", "ack_redelivered",
                                        "ack_individual", "ack_unmatched", "ack_expired" };
    for (int t = 0; t <= 6; t++) {
        ow_message_ack_t *a = (ow_message_ack_t *)fixture_cmd(p, acks[t]);
        CU_ASSERT_EQUAL(a->cmd.obj.type, OW_MESSAGE_ACK);
        CU_ASSERT_EQUAL(a->ack_type, t);
        CU_ASSERT_EQUAL(a->message_count, 9);
        CU_ASSERT_EQUAL(a->last_message_id->producer_sequence_id, 9);
        CU_ASSERT_STRING_EQUAL(a->destination->physical_name, "orders.eu");
        CU_ASSERT_EQUAL(a->consumer_id->value, 7);
        if (t == 1) {
            CU_ASSERT_PTR_NOT_NULL_FATAL(a->poison_cause);
            CU_ASSERT_STRING_EQUAL(a->poison_cause->class_name, "java.lang.Throwable");
            CU_ASSERT_STRING_EQUAL(a->poison_cause->message, "Delivery[7] exceeds redelivery policy limit");
            CU_ASSERT(a->poison_cause->stack_trace_count > 0);
        } else {
            CU_ASSERT_PTR_NULL(a->poison_cause);
        }
        CU_ASSERT((t == 2) == (a->transaction_id != NULL));
    }
    apr_pool_destroy(p);
}

static void test_fixture_transactions_and_exception(void)
{
    apr_pool_t *p;
    apr_pool_create(&p, root);
    ow_transaction_info_t *xa = (ow_transaction_info_t *)fixture_cmd(p, "xa_begin");
    CU_ASSERT_EQUAL(xa->type, 0);   /* TransactionInfo.BEGIN */
    CU_ASSERT_EQUAL_FATAL(xa->transaction_id->obj.type, OW_ACTIVEMQ_XA_TRANSACTION_ID);
    CU_ASSERT_EQUAL(xa->transaction_id->xa.format_id, 0x1234);
    CU_ASSERT_EQUAL(xa->transaction_id->xa.global_transaction_id.len, 9);
    CU_ASSERT_EQUAL(xa->transaction_id->xa.global_transaction_id.data[8], 9);
    CU_ASSERT_EQUAL(xa->transaction_id->xa.branch_qualifier.len, 2);
    CU_ASSERT_EQUAL(xa->transaction_id->xa.branch_qualifier.data[0], 0xaa);
    ow_transaction_info_t *lc = (ow_transaction_info_t *)fixture_cmd(p, "local_commit");
    CU_ASSERT_EQUAL(lc->type, 2);   /* COMMIT_ONE_PHASE */
    CU_ASSERT_EQUAL(lc->transaction_id->local.value, 5);

    ow_exception_response_t *er = (ow_exception_response_t *)fixture_cmd(p, "exception_response");
    CU_ASSERT_EQUAL(er->correlation_id, 3);
    CU_ASSERT_PTR_NOT_NULL_FATAL(er->exception);
    CU_ASSERT_STRING_EQUAL(er->exception->class_name, "javax.jms.InvalidSelectorException");
    CU_ASSERT_STRING_EQUAL(er->exception->message, "Invalid selector 'color = ': syntax error");
    CU_ASSERT(er->exception->stack_trace_count > 0);
    CU_ASSERT_STRING_EQUAL(er->exception->stack_trace[0].file_name, "GenFixtures.java");
    CU_ASSERT_PTR_NOT_NULL_FATAL(er->exception->cause);
    CU_ASSERT_STRING_EQUAL(er->exception->cause->class_name, "java.lang.IllegalStateException");
    CU_ASSERT_STRING_EQUAL(er->exception->cause->message, "parser state: \xc3\x84\xc3\x96\xc3\x9c");

    ow_message_dispatch_t *md = (ow_message_dispatch_t *)fixture_cmd(p, "message_dispatch");
    CU_ASSERT_EQUAL_FATAL(md->message->cmd.obj.type, OW_ACTIVEMQ_TEXT_MESSAGE);
    CU_ASSERT_EQUAL(md->redelivery_counter, 2);
    const char *text;
    size_t tl;
    CU_ASSERT_EQUAL(ow_text_decode(md->message->content.data, (size_t)md->message->content.len, 0, p, &text, &tl), APR_SUCCESS);
    CU_ASSERT_STRING_EQUAL(text, "dispatched");

    ow_data_array_response_t *dar = (ow_data_array_response_t *)fixture_cmd(p, "data_array_response");
    CU_ASSERT_EQUAL_FATAL(dar->data_count, 7);
    CU_ASSERT_EQUAL(dar->data[0]->type, OW_JOURNAL_TOPIC_ACK);
    CU_ASSERT_STRING_EQUAL(((ow_journal_topic_ack_t *)dar->data[0])->subscrition_name, "durable-sub");
    CU_ASSERT_PTR_NULL(dar->data[5]);
    CU_ASSERT_EQUAL(dar->data[6]->type, OW_BROKER_ID);
    ow_broker_info_t *bi = (ow_broker_info_t *)fixture_cmd(p, "broker_info");
    CU_ASSERT_EQUAL_FATAL(bi->peer_broker_infos_count, 1);
    CU_ASSERT_STRING_EQUAL(bi->peer_broker_infos[0]->broker_name, "peer");
    CU_ASSERT_EQUAL(bi->connection_id, 123456789012LL);
    apr_pool_destroy(p);
}

/* The broker's side of the handshake with the real client's first frame. */
static void test_negotiation_with_client_wireformat(void)
{
    apr_pool_t *p;
    apr_pool_create(&p, root);
    size_t len;
    uint8_t *b = load_file("client_wireformat.bin", &len);
    CU_ASSERT_PTR_NOT_NULL_FATAL(b);
    ow_wire_t *broker;
    ow_wire_create(p, NULL, &broker);
    CU_ASSERT_FALSE(ow_wire_tight(broker));
    ow_command_t *c;
    size_t used;
    CU_ASSERT_EQUAL_FATAL(ow_decode(broker, b, len, p, &c, &used), APR_SUCCESS);
    CU_ASSERT_EQUAL(c->obj.type, OW_WIREFORMAT_INFO);
    ow_wire_format_info_t *info = (ow_wire_format_info_t *)c;
    CU_ASSERT_EQUAL(info->version, 12);
    CU_ASSERT_EQUAL(ow_wire_negotiate(broker, info), APR_SUCCESS);
    CU_ASSERT_EQUAL(ow_wire_version(broker), 12);
    CU_ASSERT_TRUE(ow_wire_tight(broker));
    CU_ASSERT_TRUE(ow_wire_cache(broker));
    CU_ASSERT_TRUE(ow_wire_stack_trace(broker));
    CU_ASSERT_EQUAL(broker->cache_size, 1024);
    CU_ASSERT_EQUAL(ow_wire_peer_max_inactivity_ms(broker), 30000);

    /* an older client: version = min, and a broker preferring loose makes the link loose */
    ow_wire_opts_t o;
    ow_wire_opts_default(&o);
    o.tight = 0;
    o.cache_size = 50;
    ow_wire_t *w2;
    ow_wire_create(p, &o, &w2);
    info->version = 9;
    CU_ASSERT_EQUAL(ow_wire_negotiate(w2, info), APR_SUCCESS);
    CU_ASSERT_EQUAL(ow_wire_version(w2), 9);
    CU_ASSERT_FALSE(ow_wire_tight(w2));
    CU_ASSERT_EQUAL(w2->cache_size, 50);

    static const uint8_t bad[8] = "ActiveMX";
    info->magic.data = bad;
    CU_ASSERT_EQUAL(ow_wire_negotiate(w2, info), OW_EBAD_MAGIC);
    free(b);

    /* our own WireFormatInfo: sent pre-negotiation, understood by a peer wire */
    ow_wire_t *a, *z;
    ow_wire_create(p, NULL, &a);
    ow_wire_create(p, NULL, &z);
    ow_wire_format_info_t *mine;
    CU_ASSERT_EQUAL_FATAL(ow_wire_local_info(a, p, &mine), APR_SUCCESS);
    hm_wbuf_t out;
    hm_wbuf_init(&out, 1 << 20);
    CU_ASSERT_EQUAL(ow_encode(a, &mine->cmd, &out), APR_SUCCESS);
    CU_ASSERT_EQUAL_FATAL(ow_decode(z, out.data, out.len, p, &c, &used), APR_SUCCESS);
    CU_ASSERT_EQUAL(ow_wire_negotiate(z, (ow_wire_format_info_t *)c), APR_SUCCESS);
    CU_ASSERT_TRUE(ow_wire_tight(z) && ow_wire_cache(z) && ow_wire_negotiated(z));
    CU_ASSERT_EQUAL(ow_wire_max_frame_size(z), OW_DEFAULT_MAX_FRAME_SIZE);
    hm_wbuf_free(&out);
    apr_pool_destroy(p);
}

/* A real session (CaptureSession.java: JMS client <-> ActiveMQ 5.17 broker through a relay):
 * each direction decodes frame by frame exactly as a receiving peer would (pre-negotiation
 * WireFormatInfo, then the negotiated tight+cache format), and re-encodes byte for byte. */
typedef struct dir_s { uint8_t *b; size_t len; ow_command_t *cmds[256]; int n; } dir_t;

static int decode_direction(apr_pool_t *p, dir_t *d, const ow_wire_format_info_t *peer_info,
                            ow_wire_format_info_t **own_info)
{
    ow_wire_t *w;
    ow_wire_create(p, NULL, &w);
    size_t off = 0;
    d->n = 0;
    while (off < d->len && d->n < 256) {
        size_t used;
        apr_status_t st = ow_decode(w, d->b + off, d->len - off, p, &d->cmds[d->n], &used);
        if (st) {
            printf("\n  session frame %d: %s\n", d->n, ow_wire_error(w));
            return 0;
        }
        if (d->n == 0) {
            *own_info = (ow_wire_format_info_t *)d->cmds[0];
            if (peer_info && ow_wire_negotiate(w, *own_info) != APR_SUCCESS)
                return 0;
        }
        off += used;
        d->n++;
    }
    return off == d->len;
}

static int reencode_direction(apr_pool_t *p, const dir_t *d, const ow_wire_format_info_t *info)
{
    ow_wire_t *w;
    ow_wire_create(p, NULL, &w);
    hm_wbuf_t out;
    hm_wbuf_init(&out, 1 << 24);
    for (int i = 0; i < d->n; i++) {
        if (ow_encode(w, d->cmds[i], &out) != APR_SUCCESS)
            printf("\n  session encode %d: %s\n", i, ow_wire_error(w));
        if (i == 0)
            ow_wire_negotiate(w, info);
    }
    int same = out.len == d->len && memcmp(out.data, d->b, d->len) == 0;
    hm_wbuf_free(&out);
    return same;
}

static ow_command_t *find_cmd(const dir_t *d, uint8_t type, int nth)
{
    for (int i = 0; i < d->n; i++)
        if (d->cmds[i] && d->cmds[i]->obj.type == type && nth-- == 0)
            return d->cmds[i];
    return NULL;
}

static void test_real_session_both_directions(void)
{
    apr_pool_t *p;
    apr_pool_create(&p, root);
    dir_t *c2b = apr_pcalloc(p, sizeof *c2b), *b2c = apr_pcalloc(p, sizeof *b2c);
    c2b->b = load_file("session_client.bin", &c2b->len);
    b2c->b = load_file("session_broker.bin", &b2c->len);
    CU_ASSERT_PTR_NOT_NULL_FATAL(c2b->b);
    CU_ASSERT_PTR_NOT_NULL_FATAL(b2c->b);
    ow_wire_format_info_t *ci = NULL, *bi = NULL;
    /* each receiver negotiates with the info the sender put first on its own direction */
    CU_ASSERT_TRUE_FATAL(decode_direction(p, c2b, (void *)1, &ci));
    CU_ASSERT_TRUE_FATAL(decode_direction(p, b2c, (void *)1, &bi));
    CU_ASSERT(c2b->n > 15);
    CU_ASSERT(b2c->n > 10);
    CU_ASSERT_TRUE(reencode_direction(p, c2b, ci));
    CU_ASSERT_TRUE(reencode_direction(p, b2c, bi));

    ow_connection_info_t *conn = (ow_connection_info_t *)find_cmd(c2b, OW_CONNECTION_INFO, 0);
    CU_ASSERT_PTR_NOT_NULL_FATAL(conn);
    CU_ASSERT_STRING_EQUAL(conn->client_id, "capture-client");
    CU_ASSERT_STRING_EQUAL(conn->user_name, "alice");
    ow_consumer_info_t *sel = (ow_consumer_info_t *)find_cmd(c2b, OW_CONSUMER_INFO, 0);
    CU_ASSERT_PTR_NOT_NULL_FATAL(sel);
    CU_ASSERT_STRING_EQUAL(sel->selector, "color = 'red' OR n > 0");
    ow_message_t *tm = (ow_message_t *)find_cmd(c2b, OW_ACTIVEMQ_TEXT_MESSAGE, 0);
    CU_ASSERT_PTR_NOT_NULL_FATAL(tm);
    const char *text;
    size_t tl;
    CU_ASSERT_EQUAL(ow_text_decode(tm->content.data, (size_t)tm->content.len, tm->compressed, p, &text, &tl), APR_SUCCESS);
    CU_ASSERT_STRING_EQUAL(text, "Gr\xc3\xbc\xc3\x9f" "e \xe2\x80\x94 \xe4\xbe\xa1\xe6\xa0\xbc \xe2\x82\xac \xe2\x9c\x93");
    CU_ASSERT_STRING_EQUAL(tm->correlation_id, "corr-capture");
    ow_pmap_t *props;
    CU_ASSERT_EQUAL_FATAL(ow_props_decode(tm->marshalled_properties.data, (size_t)tm->marshalled_properties.len, p, &props), APR_SUCCESS);
    CU_ASSERT_EQUAL(ow_props_get(props, "n")->u.i32, 42);
    CU_ASSERT_PTR_NOT_NULL(find_cmd(c2b, OW_MESSAGE_ACK, 0));
    CU_ASSERT_PTR_NOT_NULL(find_cmd(c2b, OW_TRANSACTION_INFO, 0));
    CU_ASSERT_PTR_NOT_NULL(find_cmd(c2b, OW_REMOVE_SUBSCRIPTION_INFO, 0));

    ow_broker_info_t *binfo = (ow_broker_info_t *)find_cmd(b2c, OW_BROKER_INFO, 0);
    CU_ASSERT_PTR_NOT_NULL_FATAL(binfo);
    CU_ASSERT_STRING_EQUAL(binfo->broker_name, "ref");
    /* the queue is prioritized: the priority-9 map message is dispatched first */
    int kinds = 0;
    ow_message_dispatch_t *md;
    for (int i = 0; (md = (ow_message_dispatch_t *)find_cmd(b2c, OW_MESSAGE_DISPATCH, i)); i++) {
        CU_ASSERT_PTR_NOT_NULL_FATAL(md->message);
        if (i == 0)
            CU_ASSERT_EQUAL(md->message->priority, 9);
        kinds |= 1 << (md->message->cmd.obj.type - OW_ACTIVEMQ_MESSAGE);
    }
    CU_ASSERT_EQUAL(kinds, (1 << 1) | (1 << 2) | (1 << 5));   /* bytes, map, text */
    CU_ASSERT_PTR_NOT_NULL(find_cmd(b2c, OW_RESPONSE, 0));
    free(c2b->b);
    free(b2c->b);
    apr_pool_destroy(p);
}

int main(void)
{
    apr_initialize();
    apr_pool_create(&root, NULL);
    CU_initialize_registry();
    CU_pSuite s = CU_add_suite("openwire_codec", NULL, NULL);
    CU_add_test(s, "round trip of every type in every format", test_roundtrip_every_type_every_format);
    CU_add_test(s, "marshal cache eviction stays in step", test_cache_eviction_stays_in_step);
    CU_add_test(s, "flat copy is one block and equal", test_copy_flat_is_one_block_and_equal);
    CU_add_test(s, "client fixtures decode and re-encode byte-identically", test_fixtures_decode_and_reencode_identically);
    CU_add_test(s, "fixture: connection/consumer/producer fields", test_fixture_connection_consumer_producer);
    CU_add_test(s, "fixture: text message body and properties", test_fixture_text_message_body_and_properties);
    CU_add_test(s, "fixture: map and stream message bodies, every ack type", test_fixture_map_message_and_acks);
    CU_add_test(s, "fixture: transactions, exception, dispatch", test_fixture_transactions_and_exception);
    CU_add_test(s, "negotiation with the client's WireFormatInfo", test_negotiation_with_client_wireformat);
    CU_add_test(s, "real client/broker session, both directions", test_real_session_both_directions);
    CU_basic_set_mode(CU_BRM_VERBOSE);
    CU_basic_run_tests();
    int failed = (int)CU_get_number_of_failures();
    CU_cleanup_registry();
    apr_pool_destroy(root);
    apr_terminate();
    return failed ? 1 : 0;
}
