/* OpenWire messages <-> the core's neutral messages.
 *
 * An incoming message is kept as one flat copy of its decoded form (content and marshalled
 * properties stay as the bytes that travelled, so a message sent and received over OpenWire is
 * never re-encoded field by field).  Its properties are indexed once, at send time, so selectors
 * evaluate without allocating.  A message recovered from the store is kept as its stored bytes
 * and decoded on demand (ow_stored_t). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <apr_atomic.h>
#include <apr_strings.h>

#include "ow_adapter.h"
#include "ow_adapter_int.h"
#include "sel.h"

typedef struct ow_prop_s {
    const char *name;
    size_t nlen;
    sel_value_t v;
} ow_prop_t;

/* What a core message's origin_data points to: lives in the message's own allocation. */
typedef struct ow_origin_s {
    ow_message_t *msg;             /* flat copy, freed with free() */
    int32_t nprops;
    ow_prop_t *props;
} ow_origin_t;

/* A stored message's properties as selectors read them (one malloc'd block), so a selector
 * scanning a deep recovered queue does not keep a decoded copy of each message. */
typedef struct ow_pindex_s {
    const char *user_id;           /* JMSXUserID */
    int32_t nprops;
    ow_prop_t *props;
} ow_pindex_t;

/* What a message recovered from the store points to, in the message's own allocation.  Only
 * the headers the core reads are taken out at start-up (a restart with a deep queue then costs
 * the stored bytes plus a header per message, not a decoded copy); the OpenWire form is decoded
 * again from `raw` into the delivery's scratch pool each time the message is dispatched.  What
 * must outlive a call is made once and kept: a property index when a selector or statistics
 * read its properties, the decoded message when an XPATH selector reads its text. */
typedef struct ow_stored_s {
    volatile void *full;           /* hm_msg_t * of the decoded form, set once; NULL until then */
    volatile void *pindex;         /* ow_pindex_t *: its properties, for selectors; set once */
    const uint8_t *raw;            /* the stored encoding (after the codec byte) */
    size_t len;
} ow_stored_t;

static const hm_msg_origin_t ow_origin_ops, ow_stored_ops;
static apr_status_t stored_decode_into(const uint8_t *raw, size_t len, apr_pool_t *pool,
                                       ow_message_t **out);
static const ow_pindex_t *stored_pindex(ow_stored_t *z);

/* The decoded form of a stored message, made on first need; racing threads keep the first. */
static const ow_origin_t *stored_full(ow_stored_t *z)
{
    hm_msg_t *f = apr_atomic_casptr(&z->full, NULL, NULL);
    if (f)
        return f->origin_data;
    apr_pool_t *p;
    if (apr_pool_create(&p, NULL) != APR_SUCCESS)
        return NULL;
    ow_message_t *om;
    const char *why;
    if (stored_decode_into(z->raw, z->len, p, &om) == APR_SUCCESS)
        f = ow_msg_to_core(om, p, &why);
    apr_pool_destroy(p);
    if (!f)
        return NULL;
    hm_msg_t *prev = apr_atomic_casptr(&z->full, f, NULL);
    if (prev) {
        hm_msg_unref(f);
        f = prev;
    }
    return f->origin_data;
}

/* The OpenWire form of a message this file made: the kept one, or for a stored message not
 * decoded yet, one decoded into pool.  NULL when that fails. */
static ow_message_t *msg_of(const hm_msg_t *m, apr_pool_t *pool)
{
    if (m->origin == &ow_origin_ops)
        return ((const ow_origin_t *)m->origin_data)->msg;
    if (m->origin != &ow_stored_ops)
        return NULL;
    ow_stored_t *z = m->origin_data;
    hm_msg_t *f = apr_atomic_casptr(&z->full, NULL, NULL);
    if (f)
        return ((const ow_origin_t *)f->origin_data)->msg;
    ow_message_t *om;
    return stored_decode_into(z->raw, z->len, pool, &om) == APR_SUCCESS ? om : NULL;
}

hm_dname_t ow_dname(const ow_destination_t *d)
{
    hm_dname_t n = { HM_QUEUE, NULL };
    if (!d)
        return n;
    switch (d->obj.type) {
    case OW_ACTIVEMQ_TOPIC: n.kind = HM_TOPIC; break;
    case OW_ACTIVEMQ_TEMP_QUEUE: n.kind = HM_TEMP_QUEUE; break;
    case OW_ACTIVEMQ_TEMP_TOPIC: n.kind = HM_TEMP_TOPIC; break;
    default: n.kind = HM_QUEUE; break;
    }
    n.name = d->physical_name ? d->physical_name : "";
    return n;
}

ow_destination_t *ow_destination_from(apr_pool_t *pool, hm_dname_t d)
{
    static const uint8_t types[] = { OW_ACTIVEMQ_QUEUE, OW_ACTIVEMQ_TOPIC, OW_ACTIVEMQ_TEMP_QUEUE,
                                     OW_ACTIVEMQ_TEMP_TOPIC };
    if (!d.name)
        return NULL;
    ow_destination_t *od = (ow_destination_t *)ow_object_new(pool, types[d.kind]);
    if (od)
        od->physical_name = apr_pstrdup(pool, d.name);
    return od;
}

char *ow_message_id_string(apr_pool_t *pool, const ow_message_id_t *id)
{
    if (!id)
        return NULL;
    if (id->text_view)
        return apr_pstrdup(pool, id->text_view);
    const ow_producer_id_t *p = id->producer_id;
    return apr_psprintf(pool, "%s:%" APR_INT64_T_FMT ":%" APR_INT64_T_FMT ":%" APR_INT64_T_FMT,
                        p && p->connection_id ? p->connection_id : "",
                        p ? p->session_id : 0, p ? p->value : 0, id->producer_sequence_id);
}

int32_t ow_msg_size(const ow_message_t *m)
{
    int64_t size = 1024;           /* ActiveMQ's DEFAULT_MINIMUM_MESSAGE_SIZE */
    if (m->marshalled_properties.data)
        size += m->marshalled_properties.len;
    if (m->content.data)
        size += m->content.len;
    return size > INT32_MAX ? INT32_MAX : (int32_t)size;
}

static void origin_free(void *data)
{
    ow_origin_t *o = data;
    free(o->msg);
}

static void props_lookup(const char *user_id, int32_t nprops, const ow_prop_t *props,
                         const char *name, size_t len, sel_value_t *out)
{
    out->type = SEL_NULL;
    if (len == 10 && memcmp(name, "JMSXUserID", 10) == 0) {
        if (user_id) {
            out->type = SEL_STRING;
            out->u.s.p = user_id;
            out->u.s.len = strlen(user_id);
        }
        return;
    }
    for (int32_t i = 0; i < nprops; i++) {
        if (props[i].nlen == len && memcmp(props[i].name, name, len) == 0) {
            *out = props[i].v;
            return;
        }
    }
}

static void origin_get_property(const void *data, const char *name, size_t len, sel_value_t *out)
{
    const ow_origin_t *o = data;
    props_lookup(o->msg->user_id, o->nprops, o->props, name, len, out);
}

/* The text of an uncompressed TextMessage, read in place (for XPATH selectors). */
static int origin_text_body(const void *data, const char **text, size_t *len)
{
    const ow_message_t *m = ((const ow_origin_t *)data)->msg;
    if (m->cmd.obj.type != OW_ACTIVEMQ_TEXT_MESSAGE || m->compressed || !m->content.data ||
        m->content.len < 4)
        return 0;
    const uint8_t *p = m->content.data;
    uint32_t n = ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
    if (n > (uint32_t)m->content.len - 4)
        return 0;
    *text = (const char *)p + 4;
    *len = n;
    return 1;
}

static hm_msg_t *origin_derive(const hm_msg_t *m, const hm_derive_t *d);

static apr_status_t origin_content(const void *data, apr_pool_t *pool, hm_content_t *out)
{
    return ow_content_export(((const ow_origin_t *)data)->msg, pool, out);
}

static const hm_msg_origin_t ow_origin_ops = {
    .protocol = "openwire", .codec = OW_STORE_CODEC, .free = origin_free,
    .get_property = origin_get_property, .text_body = origin_text_body, .content = origin_content,
    .derive = origin_derive
};

static void stored_free(void *data)
{
    ow_stored_t *z = data;
    hm_msg_t *f = apr_atomic_casptr(&z->full, NULL, NULL);
    if (f)
        hm_msg_unref(f);
    free(apr_atomic_casptr(&z->pindex, NULL, NULL));
}

static void stored_get_property(const void *data, const char *name, size_t len, sel_value_t *out)
{
    const ow_pindex_t *x = stored_pindex((ow_stored_t *)data);
    if (x)
        props_lookup(x->user_id, x->nprops, x->props, name, len, out);
    else
        out->type = SEL_NULL;
}

static int stored_text_body(const void *data, const char **text, size_t *len)
{
    const ow_origin_t *o = stored_full((ow_stored_t *)data);
    return o ? origin_text_body(o, text, len) : 0;
}

/* A stored message's content: decoded into pool, then exported. */
static apr_status_t stored_content(const void *data, apr_pool_t *pool, hm_content_t *out)
{
    const ow_stored_t *z = data;
    ow_message_t *om;
    apr_status_t st = stored_decode_into(z->raw, z->len, pool, &om);
    return st ? st : ow_content_export(om, pool, out);
}

static const hm_msg_origin_t ow_stored_ops = {
    .protocol = "openwire", .codec = OW_STORE_CODEC, .free = stored_free,
    .get_property = stored_get_property, .text_body = stored_text_body, .content = stored_content,
    .derive = origin_derive
};

/* Maps a property to a selector value; types selectors cannot compare become NULL. */
static int prop_value(const ow_pvalue_t *pv, sel_value_t *v)
{
    switch (pv->type) {
    case OW_PV_BOOLEAN: v->type = SEL_BOOL; v->u.b = pv->u.b; return 1;
    case OW_PV_BYTE: v->type = SEL_BYTE; v->u.l = pv->u.i8; return 1;
    case OW_PV_SHORT: v->type = SEL_SHORT; v->u.l = pv->u.i16; return 1;
    case OW_PV_INT: v->type = SEL_INT; v->u.l = pv->u.i32; return 1;
    case OW_PV_LONG: v->type = SEL_LONG; v->u.l = pv->u.i64; return 1;
    case OW_PV_FLOAT: v->type = SEL_FLOAT; v->u.d = pv->u.f; return 1;
    case OW_PV_DOUBLE: v->type = SEL_DOUBLE; v->u.d = pv->u.d; return 1;
    case OW_PV_STRING:
    case OW_PV_BIG_STRING:
        v->type = SEL_STRING;
        v->u.s.p = pv->u.str.data;
        v->u.s.len = (size_t)pv->u.str.len;
        return 1;
    default:
        v->type = SEL_NULL;
        return 0;
    }
}

/* Bytes props_fill copies (names and string values, each NUL-terminated). */
static size_t props_bytes(const ow_pmap_t *props, int32_t nprops)
{
    size_t n = 0;
    for (int32_t i = 0; i < nprops; i++) {
        const ow_pentry_t *e = &props->entries[i];
        n += (size_t)e->name_len + 1;
        if (e->value.type == OW_PV_STRING || e->value.type == OW_PV_BIG_STRING)
            n += (size_t)e->value.u.str.len + 1;
    }
    return n;
}

/* Indexes the named properties into out, copying their strings to *s; returns how many. */
static int32_t props_fill(const ow_pmap_t *props, int32_t nprops, ow_prop_t *out, char **sp)
{
    char *s = *sp;
    int32_t n = 0;
    for (int32_t i = 0; i < nprops; i++) {
        const ow_pentry_t *e = &props->entries[i];
        ow_prop_t *p = &out[n];
        if (!e->name)
            continue;
        p->name = memcpy(s, e->name, (size_t)e->name_len);
        s[e->name_len] = 0;
        p->nlen = (size_t)e->name_len;
        s += e->name_len + 1;
        prop_value(&e->value, &p->v);
        if (p->v.type == SEL_STRING) {
            p->v.u.s.p = memcpy(s, e->value.u.str.data, p->v.u.s.len);
            s[p->v.u.s.len] = 0;
            s += p->v.u.s.len + 1;
        }
        n++;
    }
    *sp = s;
    return n;
}

/* The property index of a stored message, made on first need; racing threads keep the first. */
static const ow_pindex_t *stored_pindex(ow_stored_t *z)
{
    ow_pindex_t *x = apr_atomic_casptr(&z->pindex, NULL, NULL);
    if (x)
        return x;
    apr_pool_t *p;
    if (apr_pool_create(&p, NULL) != APR_SUCCESS)
        return NULL;
    ow_message_t *m;
    ow_pmap_t *props = NULL;
    if (stored_decode_into(z->raw, z->len, p, &m) == APR_SUCCESS &&
        (!m->marshalled_properties.data || m->marshalled_properties.len <= 0 ||
         ow_props_decode(m->marshalled_properties.data, (size_t)m->marshalled_properties.len, p,
                         &props) == APR_SUCCESS)) {
        int32_t nprops = props && !props->is_list ? props->count : 0;
        size_t ulen = m->user_id ? strlen(m->user_id) + 1 : 0;
        x = malloc(sizeof *x + (size_t)nprops * sizeof(ow_prop_t) + props_bytes(props, nprops) + ulen);
        if (x) {
            x->props = (ow_prop_t *)(x + 1);
            char *s = (char *)(x->props + nprops);
            x->nprops = props_fill(props, nprops, x->props, &s);
            x->user_id = ulen ? memcpy(s, m->user_id, ulen) : NULL;
        }
    }
    apr_pool_destroy(p);
    if (!x)
        return NULL;
    ow_pindex_t *prev = apr_atomic_casptr(&z->pindex, x, NULL);
    if (prev) {
        free(x);
        x = prev;
    }
    return x;
}

hm_msg_t *ow_msg_to_core(const ow_message_t *m, apr_pool_t *scratch, const char **why)
{
    ow_pmap_t *props = NULL;
    *why = "out of memory";
    if (m->marshalled_properties.data && m->marshalled_properties.len > 0 &&
        ow_props_decode(m->marshalled_properties.data, (size_t)m->marshalled_properties.len,
                        scratch, &props) != APR_SUCCESS) {
        *why = OW_MALFORMED_PROPS;
        return NULL;
    }
    int32_t nprops = props && !props->is_list ? props->count : 0;
    char *msgid = ow_message_id_string(scratch, m->message_id);
    size_t extra = sizeof(ow_origin_t) + (size_t)nprops * sizeof(ow_prop_t) + (msgid ? strlen(msgid) + 1 : 0) +
                   props_bytes(props, nprops);
    ow_object_t *flat;
    if (ow_object_copy_flat(&m->cmd.obj, &flat, NULL) != APR_SUCCESS)
        return NULL;
    void *ext;
    hm_msg_t *hm = hm_msg_new(extra, &ext);
    if (!hm) {
        free(flat);
        return NULL;
    }
    ow_origin_t *o = ext;
    o->msg = (ow_message_t *)flat;
    o->props = (ow_prop_t *)(o + 1);
    char *s = (char *)(o->props + nprops);
    o->nprops = props_fill(props, nprops, o->props, &s);
    if (msgid)
        hm->message_id = strcpy(s, msgid);
    /* the producer audit: "<producer id>:<sequence>" from a producer's own MessageId */
    const ow_message_id_t *mid = m->message_id;
    if (msgid && mid && !mid->text_view && mid->producer_id && mid->producer_sequence_id > 0) {
        const char *colon = strrchr(hm->message_id, ':');
        hm->producer_key = hm->message_id;
        hm->producer_key_len = colon ? (size_t)(colon - hm->message_id) : 0;
        hm->producer_seq = (uint64_t)mid->producer_sequence_id;
    }
    const ow_message_t *fm = o->msg;
    hm->dest = ow_dname(fm->destination);
    hm->correlation_id = fm->correlation_id;
    hm->type = fm->type;
    hm->group_id = fm->group_id;
    hm->group_seq = fm->group_sequence;
    hm->reply_to = ow_dname(fm->reply_to);
    hm->priority = fm->priority;
    hm->persistent = fm->persistent;
    hm->expiration = fm->expiration;
    hm->timestamp = fm->timestamp;
    hm->size = (size_t)ow_msg_size(fm);
    hm->origin = &ow_origin_ops;
    hm->origin_data = o;
    return hm;
}

/* A message the broker itself makes (advisory, statistics reply): its id, destination and
 * headers from the core message. */
ow_message_t *ow_broker_message(const hm_msg_t *m, apr_pool_t *pool, uint8_t type)
{
    ow_message_t *om = (ow_message_t *)ow_object_new(pool, type);
    ow_message_id_t *id = (ow_message_id_t *)ow_object_new(pool, OW_MESSAGE_ID);
    ow_producer_id_t *pid = (ow_producer_id_t *)ow_object_new(pool, OW_PRODUCER_ID);
    if (!om || !id || !pid)
        return NULL;
    pid->connection_id = apr_pstrdup(pool, m->message_id);
    pid->session_id = 1;
    pid->value = 1;
    id->producer_id = pid;
    id->producer_sequence_id = (int64_t)m->broker_seq;
    id->text_view = apr_pstrdup(pool, m->message_id);
    om->producer_id = pid;
    om->message_id = id;
    om->destination = ow_destination_from(pool, m->dest);
    om->correlation_id = m->correlation_id ? apr_pstrdup(pool, m->correlation_id) : NULL;
    om->timestamp = m->timestamp;
    om->priority = 4;
    return om;
}

ow_message_t *ow_msg_from_core(const hm_msg_t *m, apr_pool_t *pool)
{
    if (m->origin == &ow_origin_ops || m->origin == &ow_stored_ops)
        return msg_of(m, pool);
    if (m->advisory)
        return ow_advisory_message(m, pool);
    /* came in by another protocol, or a map the core made (statistics): from its neutral content */
    hm_content_t c;
    if ((m->fields || (m->origin && m->origin->content)) && hm_msg_content(m, pool, &c) == APR_SUCCESS)
        return ow_content_import(m, &c, pool);
    return NULL;
}

/* The message id "<connection>:<session>:<producer>:<sequence>" as OpenWire's MessageId, so it
 * reads the same after a restart (text_view is not stored); NULL when it is not of that shape. */
static ow_message_id_t *id_of(const char *text, apr_pool_t *pool)
{
    const char *c3 = text ? strrchr(text, ':') : NULL, *c2 = NULL, *c1 = NULL;
    for (const char *p = c3 ? c3 - 1 : NULL; p && p > text && !c1; p--)
        if (*p == ':') {
            if (!c2) c2 = p; else c1 = p;
        }
    if (!c1)
        return NULL;
    ow_message_id_t *id = (ow_message_id_t *)ow_object_new(pool, OW_MESSAGE_ID);
    ow_producer_id_t *pid = (ow_producer_id_t *)ow_object_new(pool, OW_PRODUCER_ID);
    if (!id || !pid)
        return NULL;
    pid->connection_id = apr_pstrmemdup(pool, text, (apr_size_t)(c1 - text));
    pid->session_id = apr_atoi64(c1 + 1);
    pid->value = apr_atoi64(c2 + 1);
    id->producer_id = pid;
    id->producer_sequence_id = apr_atoi64(c3 + 1);
    return id;
}

hm_msg_t *ow_msg_adopt(const hm_msg_t *m, const hm_content_t *c)
{
    apr_pool_t *pool;
    if (apr_pool_create(&pool, NULL) != APR_SUCCESS)
        return NULL;
    hm_msg_t *hm = NULL;
    ow_message_t *om = ow_content_import(m, c, pool);
    if (om) {
        ow_message_id_t *id = id_of(m->message_id, pool);
        if (id) {
            om->message_id = id;
            om->producer_id = id->producer_id;
        }
        const char *why;
        hm = ow_msg_to_core(om, pool, &why);
    }
    apr_pool_destroy(pool);
    return hm;
}

/* ------------------------------------------------------------------ the stored form */

/* Stored messages use one fixed format (v12, loose, no cache) so any connection's negotiated
 * format can read them back.  A wire is per thread: the codec's state is not shared. */
static _Thread_local ow_wire_t *store_wire;
static _Thread_local apr_pool_t *store_pool, *store_scratch;

static apr_status_t store_wire_get(ow_wire_t **out)
{
    apr_status_t st;
    if (!store_wire) {
        if ((st = apr_pool_create(&store_pool, NULL)) || (st = apr_pool_create(&store_scratch, store_pool)) ||
            (st = ow_wire_create(store_pool, NULL, &store_wire)) ||
            (st = ow_wire_force_format(store_wire, OW_MAX_VERSION, 0, 0, 0, 0))) {
            store_wire = NULL;
            return st;
        }
    }
    *out = store_wire;
    return APR_SUCCESS;
}

static apr_status_t store_encode(const hm_msg_t *m, hm_wbuf_t *out)
{
    if (m->origin == &ow_stored_ops) {
        const ow_stored_t *z = m->origin_data;
        hm_wbuf_put(out, z->raw, z->len);
        return APR_SUCCESS;
    }
    ow_wire_t *w;
    apr_status_t st = store_wire_get(&w);
    return st ? st : ow_encode(w, &((ow_origin_t *)m->origin_data)->msg->cmd, out);
}

/* A stored encoding as one OpenWire message allocated in pool. */
static apr_status_t stored_decode_into(const uint8_t *raw, size_t len, apr_pool_t *pool,
                                       ow_message_t **out)
{
    ow_wire_t *w;
    ow_command_t *cmd = NULL;
    size_t used = 0;
    apr_status_t st = store_wire_get(&w);
    if (st)
        return st;
    st = ow_decode(w, raw, len, pool, &cmd, &used);
    if (st == APR_SUCCESS && (!cmd || !OW_IS_MESSAGE_TYPE(cmd->obj.type) || used != len))
        st = HM_EMALFORMED;
    if (st == APR_SUCCESS)
        *out = (ow_message_t *)cmd;
    return st == HM_EINCOMPLETE ? HM_EMALFORMED : st;
}

/* A recovered message: its stored bytes and the headers the core reads, in one allocation
 * (see ow_stored_t).  The properties are checked here so a record whose properties do not
 * parse is reported at start-up, as before, rather than at its first selector. */
static hm_msg_t *stored_msg(const uint8_t *raw, size_t len, const ow_message_t *m, apr_pool_t *scratch)
{
    ow_pmap_t *props;
    if (m->marshalled_properties.data && m->marshalled_properties.len > 0 &&
        ow_props_decode(m->marshalled_properties.data, (size_t)m->marshalled_properties.len,
                        scratch, &props) != APR_SUCCESS)
        return NULL;
    hm_dname_t dest = ow_dname(m->destination), reply = ow_dname(m->reply_to);
    const char *strs[6] = { ow_message_id_string(scratch, m->message_id), m->correlation_id,
                            m->type, m->group_id, dest.name, reply.name };
    const char *kept[6] = { NULL };
    size_t extra = sizeof(ow_stored_t) + len;
    for (int i = 0; i < 6; i++)
        extra += strs[i] ? strlen(strs[i]) + 1 : 0;
    void *ext;
    hm_msg_t *hm = hm_msg_new(extra, &ext);
    if (!hm)
        return NULL;
    ow_stored_t *z = ext;
    uint8_t *copy = (uint8_t *)(z + 1);
    z->raw = memcpy(copy, raw, len);
    z->len = len;
    char *s = (char *)copy + len;
    for (int i = 0; i < 6; i++) {
        if (strs[i]) {
            size_t n = strlen(strs[i]) + 1;
            kept[i] = memcpy(s, strs[i], n);
            s += n;
        }
    }
    hm->message_id = kept[0];
    hm->correlation_id = kept[1];
    hm->type = kept[2];
    hm->group_id = kept[3];
    hm->dest.kind = dest.kind;
    hm->dest.name = kept[4];
    hm->reply_to.kind = reply.kind;
    hm->reply_to.name = kept[5];
    hm->group_seq = m->group_sequence;
    hm->priority = m->priority;
    hm->persistent = m->persistent;
    hm->expiration = m->expiration;
    hm->timestamp = m->timestamp;
    hm->size = (size_t)ow_msg_size(m);
    hm->origin = &ow_stored_ops;
    hm->origin_data = z;
    return hm;
}

static apr_status_t store_decode(const uint8_t *p, size_t len, hm_msg_t **out)
{
    ow_message_t *m = NULL;
    ow_wire_t *w;
    apr_status_t st = store_wire_get(&w);      /* also makes store_scratch */
    if (st == APR_SUCCESS)
        st = stored_decode_into(p, len, store_scratch, &m);
    if (st == APR_SUCCESS && !(*out = stored_msg(p, len, m, store_scratch)))
        st = HM_EMALFORMED;
    if (store_scratch)
        apr_pool_clear(store_scratch);
    return st;
}

static const hm_msg_codec_t ow_store_codec = { OW_STORE_CODEC, "openwire", store_encode, store_decode };

const hm_msg_codec_t *ow_msg_codec(void)
{
    return &ow_store_codec;
}

/* ------------------------------------------------------------------ copies */

/* The properties without those named in d->drop, then d->add, encoded into out. */
static apr_status_t derived_props(const ow_message_t *om, const hm_derive_t *d, apr_pool_t *p,
                                  hm_wbuf_t *out)
{
    ow_pmap_t *old = NULL, *props = ow_props_new(p, 0);
    if (!props)
        return APR_ENOMEM;
    if (om->marshalled_properties.data && om->marshalled_properties.len > 0 &&
        ow_props_decode(om->marshalled_properties.data, (size_t)om->marshalled_properties.len, p, &old))
        return HM_EMALFORMED;
    for (int32_t i = 0; old && !old->is_list && i < old->count; i++) {
        const ow_pentry_t *e = &old->entries[i];
        int dropped = !e->name;
        for (int k = 0; k < d->ndrop && !dropped; k++)
            dropped = (size_t)e->name_len == strlen(d->drop[k]) && memcmp(e->name, d->drop[k], (size_t)e->name_len) == 0;
        if (!dropped && ow_props_add(props, p, e->name, &e->value))
            return APR_ENOMEM;
    }
    apr_status_t st = ow_content_append(props, d->add, d->nadd, p);
    return st ? st : ow_props_encode(props, out);
}

/* A copy the core described (hm_copy.c), applied to the OpenWire form: everything not named in d
 * stays as the original has it. */
static hm_msg_t *origin_derive(const hm_msg_t *hm, const hm_derive_t *d)
{
    apr_pool_t *p;
    if (apr_pool_create(&p, NULL) != APR_SUCCESS)
        return NULL;
    const ow_message_t *om = msg_of(hm, p);
    hm_wbuf_t wb;
    hm_wbuf_init(&wb, OW_MAX_DEAD_LETTER_PROPS);
    hm_msg_t *out = NULL;
    if (!om)
        goto done;
    ow_message_t m = *om;          /* shallow: ow_msg_to_core keeps its own flat copy */
    if (d->dest && !(m.destination = ow_destination_from(p, *d->dest)))
        goto done;
    if (d->orig_mode == HM_ORIG_SET && !(m.original_destination = ow_destination_from(p, d->orig)))
        goto done;
    if (d->orig_mode == HM_ORIG_SET_IF_ABSENT && !m.original_destination)
        m.original_destination = om->destination;
    if (d->set_expiration)
        m.expiration = d->expiration;
    if (d->set_timestamp)
        m.timestamp = d->timestamp;
    if (d->persistent >= 0)
        m.persistent = d->persistent;
    if (d->type)
        m.type = (char *)d->type;
    if (d->reset_redelivery)
        m.redelivery_counter = 0;
    if (d->clear_transaction)
        m.transaction_id = NULL;
    if (d->ndrop || d->nadd) {
        if (derived_props(om, d, p, &wb) != APR_SUCCESS || wb.err)
            goto done;
        m.marshalled_properties.data = wb.data;
        m.marshalled_properties.len = (int32_t)wb.len;
    }
    if (d->id_conn) {
        ow_message_id_t *id = (ow_message_id_t *)ow_object_new(p, OW_MESSAGE_ID);
        ow_producer_id_t *pid = (ow_producer_id_t *)ow_object_new(p, OW_PRODUCER_ID);
        if (!id || !pid)
            goto done;
        pid->connection_id = apr_pstrdup(p, d->id_conn);
        id->producer_id = pid;
        id->producer_sequence_id = d->id_seq;
        m.message_id = id;
    }
    const char *why;
    out = ow_msg_to_core(&m, p, &why);
done:
    hm_wbuf_free(&wb);
    apr_pool_destroy(p);
    return out;
}
