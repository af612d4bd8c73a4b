/* libFuzzer target for the OpenWire decoders.  The first input byte picks what the rest is:
 *   low nibble 0..13: a stream of frames in version 1 + n % 12, bit 4 tight, bit 5 cache,
 *                     bit 6 size prefix disabled, bit 7 stack traces;
 *   low nibble 14: a text message body (bit 7: compressed) and the UTF-8 conversions;
 *   low nibble 15: a primitive map, and the same bytes as a StreamMessage body.
 * Every command that decodes is encoded again and decoded by fresh wires: the result must be
 * equal, or the process aborts (a codec disagreement is a bug as much as a crash is). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <apr_general.h>

#include "ow_codec.h"
#include "ow_props.h"

static apr_pool_t *root;

static void check_roundtrip(apr_pool_t *p, int v, int tight, int cache, int prefix_off, int stack,
                            const ow_command_t *c)
{
    ow_wire_t *e, *d;
    if (ow_wire_create(p, NULL, &e) || ow_wire_create(p, NULL, &d)
        || ow_wire_force_format(e, v, tight, cache, stack, prefix_off)
        || ow_wire_force_format(d, v, tight, cache, stack, prefix_off))
        abort();
    hm_wbuf_t b;
    hm_wbuf_init(&b, (size_t)1 << 26);
    apr_status_t st = ow_encode(e, c, &b);
    if (st == HM_ETOOBIG) {     /* e.g. a 40000-byte readUTF string cannot go out tight */
        hm_wbuf_free(&b);
        return;
    }
    if (st)
        abort();
    ow_command_t *y;
    size_t used;
    if (ow_decode(d, b.data, b.len, p, &y, &used) || used != b.len)
        abort();
    if (!ow_object_equal(c ? &c->obj : NULL, y ? &y->obj : NULL))
        abort();
    hm_wbuf_free(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!root) {
        apr_initialize();
        apr_pool_create(&root, NULL);
    }
    if (size < 1)
        return 0;
    uint8_t m = data[0];
    data++;
    size--;
    apr_pool_t *p;
    apr_pool_create(&p, root);
    if ((m & 15) == 15) {
        ow_pmap_t *map;
        if (ow_props_decode(data, size, p, &map) == APR_SUCCESS) {
            /* not byte-identical in general (any negative count is a null map, written as -1),
             * but the encoding must decode and re-encode to itself */
            hm_wbuf_t b, b2;
            ow_pmap_t *again;
            hm_wbuf_init(&b, (size_t)1 << 26);
            hm_wbuf_init(&b2, (size_t)1 << 26);
            if (ow_props_encode(map, &b) || ow_props_decode(b.data, b.len, p, &again)
                || ow_props_encode(again, &b2) || b.len != b2.len || memcmp(b.data, b2.data, b.len) != 0)
                abort();
            hm_wbuf_free(&b);
            hm_wbuf_free(&b2);
        }
        ow_pmap_t *items;
        if (ow_stream_body_decode(data, size, p, &items) == APR_SUCCESS) {
            /* a stream body holds no counts: it re-encodes to exactly its bytes */
            hm_wbuf_t b;
            hm_wbuf_init(&b, (size_t)1 << 26);
            if (ow_stream_body_encode(items, &b) || b.len != size || (size && memcmp(b.data, data, size) != 0)) {
                /* nested maps inside may hold a non-canonical null count; only those differ */
                ow_pmap_t *again;
                hm_wbuf_t b2;
                hm_wbuf_init(&b2, (size_t)1 << 26);
                if (ow_stream_body_decode(b.data, b.len, p, &again) || ow_stream_body_encode(again, &b2)
                    || b2.len != b.len || (b.len && memcmp(b2.data, b.data, b.len) != 0))
                    abort();
                hm_wbuf_free(&b2);
            }
            hm_wbuf_free(&b);
        }
    } else if ((m & 15) == 14) {
        const char *t;
        size_t len;
        (void)ow_text_decode(data, size, m >> 7, p, &t, &len);
        /* valid UTF-8 survives the trip through modified UTF-8 unchanged */
        char *mu, *back;
        size_t mn, bn;
        if (ow_utf8_to_mutf8(p, (const char *)data, size, &mu, &mn) == APR_SUCCESS
            && (ow_mutf8_to_utf8(p, mu, mn, &back, &bn) != APR_SUCCESS || bn != size
                || memcmp(back, data, size) != 0))
            abort();
        (void)ow_mutf8_to_utf8(p, (const char *)data, size, &back, &bn);
    } else {
        int v = 1 + (m & 15) % 12, tight = (m >> 4) & 1, cache = (m >> 5) & 1;
        int prefix_off = (m >> 6) & 1, stack = (m >> 7) & 1;
        ow_wire_t *w;
        ow_wire_create(p, NULL, &w);
        ow_wire_force_format(w, v, tight, cache, stack, prefix_off);
        size_t off = 0;
        for (int frames = 0; off < size && frames < 64; frames++) {
            ow_command_t *c;
            size_t used;
            if (ow_decode(w, data + off, size - off, p, &c, &used) != APR_SUCCESS)
                break;
            check_roundtrip(p, v, tight, cache, prefix_off, stack, c);
            off += used;
        }
    }
    apr_pool_destroy(p);
    return 0;
}
