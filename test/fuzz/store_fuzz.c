/* Fuzz target for the store's record decoders: every stored value is untrusted input.
 * Each input is offered to every decoder; whatever decodes must re-encode to the same bytes
 * (so a decoder never accepts something the encoder would not have written). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "st_int.h"

static void same(const hm_wbuf_t *wb, const uint8_t *data, size_t size)
{
    if (wb->err || wb->len != size || memcmp(wb->data, data, size) != 0)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    hm_wbuf_t wb;
    hm_wbuf_init(&wb, (size_t)1 << 30);
    const uint8_t *body;
    uint32_t len;
    if (st_rec_get_msg(data, size, &body, &len) == APR_SUCCESS) {
        st_rec_put_msg(&wb, body, len);
        same(&wb, data, size);
    }
    st_rec_ref_t r;
    if (st_rec_get_ref(data, size, &r) == APR_SUCCESS) {
        hm_wbuf_reset(&wb);
        st_rec_put_ref(&wb, &r);
        same(&wb, data, size);
    }
    st_rec_entry_t e;
    if (st_rec_get_entry(data, size, &e) == APR_SUCCESS) {
        hm_wbuf_reset(&wb);
        st_rec_put_entry(&wb, &e);
        same(&wb, data, size);
    }
    st_rec_dest_t d;
    if (st_rec_get_dest(data, size, &d) == APR_SUCCESS) {
        hm_wbuf_reset(&wb);
        st_rec_put_dest(&wb, d.id, d.kind, d.name, d.name_len);
        same(&wb, data, size);
    }
    st_rec_sub_t s;
    if (st_rec_get_sub(data, size, &s) == APR_SUCCESS) {
        char *c = strndup((const char *)s.client_id, s.client_id_len);
        char *n = strndup((const char *)s.name, s.name_len);
        char *t = strndup((const char *)s.topic, s.topic_len);
        char *sel = s.selector ? strndup((const char *)s.selector, s.selector_len) : NULL;
        st_sub_t sub = { c, n, sel, t, s.no_local };
        hm_wbuf_reset(&wb);
        st_rec_put_sub(&wb, s.dest, &sub);
        same(&wb, data, size);
        free(c); free(n); free(t); free(sel);
    }
    uint64_t audit_seq;
    if (st_rec_get_audit(data, size, &audit_seq) == APR_SUCCESS) {
        hm_wbuf_reset(&wb);
        st_rec_put_audit(&wb, audit_seq);
        same(&wb, data, size);
    }
    st_xid_t xid;
    st_op_t *ops;
    size_t nops;
    if (st_rec_get_xa(data, size, &xid, &ops, &nops) == APR_SUCCESS) {
        hm_wbuf_reset(&wb);
        st_rec_put_xa(&wb, &xid, ops, nops);
        same(&wb, data, size);
        free(ops);
    }
    uint32_t dest;
    uint8_t prio;
    uint64_t seq;
    if (st_key_entry_parse(data, size, &dest, &prio, &seq)) {
        uint8_t k[ST_KEY_ENTRY];
        st_key_entry(k, dest, prio, seq);
        if (memcmp(k, data, sizeof k) != 0) abort();
    }
    hm_wbuf_free(&wb);
    return 0;
}
