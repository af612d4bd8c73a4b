/* libFuzzer target for the AMQP adapter's message handling: Proton's decoder plus hermod's
 * mapping.  The input is a message as a client's transfers carry it (its sections).  Whatever
 * parses must survive every way out: a delivery over AMQP (which must parse again), the neutral
 * content (JMS mapping) and a delivery made from it, and the store codec (whose decoded message
 * must deliver the same bytes), or the process aborts. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <apr_general.h>

#include "amqp_adapter.h"
#include "amqp_msg.h"
#include "sel.h"

static apr_pool_t *root;
static pn_data_t *scratch;

static hm_msg_t *parse(const uint8_t *p, size_t len)
{
    amqp_in_ctx_t in = { { HM_QUEUE, "fuzz" }, "ID:fuzz", 1, scratch };
    hm_msg_t *m = NULL;
    const char *why;
    if (amqp_msg_from_wire(p, len, &in, &m, &why) != APR_SUCCESS)
        return NULL;
    return m;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!root) {
        apr_initialize();
        apr_pool_create(&root, NULL);
        scratch = pn_data(16);
    }
    amqp_in_ctx_t in = { { HM_QUEUE, "fuzz" }, "ID:fuzz", 1, scratch };
    hm_msg_t *m = NULL;
    const char *why;
    if (amqp_msg_from_wire(data, size, &in, &m, &why) != APR_SUCCESS)
        return 0;
    sel_value_t v;
    m->origin->get_property(m->origin_data, "k", 1, &v);
    m->origin->get_property(m->origin_data, "JMSXUserID", 10, &v);

    /* a delivery over AMQP parses again */
    hm_wbuf_t out;
    hm_wbuf_init(&out, (size_t)1 << 28);
    if (amqp_msg_to_wire(m, 3, scratch, &out) != APR_SUCCESS)
        abort();
    hm_msg_t *again = parse(out.data, out.len);
    if (!again)
        abort();
    hm_msg_unref(again);

    /* the neutral content, and a delivery made from it, which parses */
    apr_pool_t *p;
    apr_pool_create(&p, root);
    hm_content_t c;
    if (hm_msg_content(m, p, &c) == APR_SUCCESS) {
        hm_wbuf_t j;
        hm_wbuf_init(&j, (size_t)1 << 28);
        if (amqp_jms_import(m, 0, &c, scratch, &j) == APR_SUCCESS) {
            hm_msg_t *x = parse(j.data, j.len);
            if (!x)
                abort();
            hm_content_t c2;
            if (hm_msg_content(x, p, &c2) != APR_SUCCESS || c2.kind != c.kind)
                abort();
            hm_msg_unref(x);
        }
        hm_wbuf_free(&j);
    }
    apr_pool_destroy(p);

    /* the store codec gives back a message that delivers the same bytes */
    const hm_msg_codec_t *codec = amqp_msg_codec();
    hm_wbuf_t st;
    hm_wbuf_init(&st, (size_t)1 << 28);
    if (codec->encode(m, &st) != APR_SUCCESS)
        abort();
    hm_msg_t *back = NULL;
    if (codec->decode(st.data, st.len, &back) != APR_SUCCESS)
        abort();
    hm_wbuf_t out2;
    hm_wbuf_init(&out2, (size_t)1 << 28);
    if (amqp_msg_to_wire(back, 3, scratch, &out2) != APR_SUCCESS || out2.len != out.len ||
        memcmp(out2.data, out.data, out.len) != 0)
        abort();
    if ((back->message_id == NULL) != (m->message_id == NULL) ||
        (m->message_id && strcmp(back->message_id, m->message_id) != 0) ||
        back->priority != m->priority || back->expiration != m->expiration ||
        strcmp(back->dest.name, m->dest.name) != 0)
        abort();
    hm_msg_unref(back);
    hm_wbuf_free(&out);
    hm_wbuf_free(&out2);
    hm_wbuf_free(&st);
    hm_msg_unref(m);
    return 0;
}
