/* AMQP messages in the core: parsing an incoming message's sections once, the origin operations
 * (properties for selectors, content for other protocols, copies), the store codec, and the
 * bytes of a delivery.  See amqp_msg.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <apr_time.h>

#include "amqp_adapter.h"
#include "amqp_limits.h"
#include "amqp_msg.h"

#include "hm_limits.h"
#include "hm_rd.h"
#include "sel.h"

typedef struct amqp_prop_s {
    const char *name;
    size_t nlen;
    sel_value_t v;
} amqp_prop_t;

/* The AMQP form of a message, in the block hm_msg_new gave it. */
typedef struct amqp_origin_s {
    const uint8_t *kept;           /* from the message-annotations on */
    size_t kept_len;
    int durable, first_acquirer, has_ttl;
    uint8_t priority;
    uint32_t ttl;
    amqp_prop_t *props;
    int nprops;
    const char *user_id;           /* properties.user-id as text (JMSXUserID), or NULL */
    int64_t sched_delay;           /* x-opt-delivery-delay / -time as a delay in ms; 0: none */
} amqp_origin_t;

/* A bump allocator over the rest of the message's block. */
typedef struct arena_s {
    char *p;
    size_t left;
} arena_t;

static void *arena_take(arena_t *a, size_t n)
{
    size_t pad = (size_t)(-(uintptr_t)a->p & 7);
    if (pad + n > a->left)
        return NULL;
    void *r = a->p + pad;
    a->p += pad + n;
    a->left -= pad + n;
    return r;
}

static const char *arena_str(arena_t *a, const char *s, size_t n)
{
    char *r = arena_take(a, n + 1);
    if (r) {
        memcpy(r, s, n);
        r[n] = 0;
    }
    return r;
}

/* ------------------------------------------------------------------ sections */

/* The descriptor code of the section at p (0 when it is not a described ulong or a known
 * symbolic descriptor).  Read through the bounded reader: a peer's bytes. */
static uint64_t section_code(const uint8_t *p, size_t len)
{
    static const char *const names[] = {
        "amqp:header:list", "amqp:delivery-annotations:map", "amqp:message-annotations:map",
        "amqp:properties:list", "amqp:application-properties:map", "amqp:data:binary",
        "amqp:amqp-sequence:list", "amqp:amqp-value:*", "amqp:footer:map"
    };
    hm_rd_t rd;
    hm_rd_init_whole(&rd, p, len);
    if (hm_rd_u8(&rd) != 0x00)
        return 0;
    uint8_t c = hm_rd_u8(&rd);
    uint64_t code = 0;
    size_t n = 0;
    if (c == 0x53)
        code = hm_rd_u8(&rd);
    else if (c == 0x80)
        code = hm_rd_be64(&rd);
    else if (c == 0xa3)
        n = hm_rd_u8(&rd);
    else if (c == 0xb3)
        n = hm_rd_be32(&rd);
    if (n) {
        const uint8_t *s = hm_rd_take(&rd, n);
        for (size_t i = 0; s && i < sizeof names / sizeof names[0]; i++)
            if (strlen(names[i]) == n && memcmp(names[i], s, n) == 0)
                code = AMQP_SEC_HEADER + i;
    }
    return hm_rd_ok(&rd) ? code : 0;
}

/* Decodes the section at p into d, leaving the cursor on its value.  Bytes used, or -1. */
static ssize_t section_decode(pn_data_t *d, const uint8_t *p, size_t len)
{
    pn_data_clear(d);
    ssize_t n = pn_data_decode(d, (const char *)p, len);
    if (n <= 0)
        return -1;
    pn_data_rewind(d);
    if (!pn_data_next(d) || pn_data_type(d) != PN_DESCRIBED || !pn_data_enter(d) ||
        !pn_data_next(d) || !pn_data_next(d))
        return -1;
    return n;
}

/* ------------------------------------------------------------------ parsing */

typedef struct parsed_s {
    size_t kept_off;               /* where the kept bytes start */
    int durable, first_acquirer, has_ttl;
    uint8_t priority;
    uint32_t ttl;
    uint32_t delivery_count;
    size_t prebody;                /* bytes of the sections before the body */
    size_t props_off, props_len;   /* properties section, if any */
    size_t app_off, app_len;       /* application-properties, if any */
    size_t ann_off, ann_len;       /* message-annotations, if any */
} parsed_t;

/* Finds the sections and reads the header.  HM_EMALFORMED with *why. */
static apr_status_t locate(const uint8_t *p, size_t len, pn_data_t *d, parsed_t *x, const char **why)
{
    size_t off = 0;
    memset(x, 0, sizeof *x);
    x->priority = 4;
    while (off < len) {
        uint64_t code = section_code(p + off, len - off);
        if (code >= AMQP_SEC_DATA || code == 0)
            break;                 /* the body (or something we keep as it is) */
        ssize_t n = section_decode(d, p + off, len - off);
        if (n < 0) {
            *why = "a message section does not decode";
            return HM_EMALFORMED;
        }
        switch (code) {
        case AMQP_SEC_HEADER:
            if (pn_data_type(d) == PN_LIST && pn_data_enter(d)) {
                for (int i = 0; i < 5 && pn_data_next(d); i++) {
                    pn_type_t t = pn_data_type(d);
                    if (i == 0 && t == PN_BOOL) x->durable = pn_data_get_bool(d);
                    if (i == 1 && t == PN_UBYTE) x->priority = pn_data_get_ubyte(d);
                    if (i == 2 && t == PN_UINT) { x->ttl = pn_data_get_uint(d); x->has_ttl = 1; }
                    if (i == 3 && t == PN_BOOL) x->first_acquirer = pn_data_get_bool(d);
                    if (i == 4 && t == PN_UINT) x->delivery_count = pn_data_get_uint(d);
                }
            }
            x->kept_off = off + (size_t)n;
            break;
        case AMQP_SEC_DELIVERY_ANN:
            x->kept_off = off + (size_t)n;
            break;
        case AMQP_SEC_MESSAGE_ANN:
            x->ann_off = off; x->ann_len = (size_t)n;
            break;
        case AMQP_SEC_PROPERTIES:
            x->props_off = off; x->props_len = (size_t)n;
            break;
        case AMQP_SEC_APP_PROPS:
            x->app_off = off; x->app_len = (size_t)n;
            break;
        }
        off += (size_t)n;
    }
    x->prebody = off;
    return APR_SUCCESS;
}

/* Reads a string or symbol at the cursor into the arena; NULL for other types. */
static const char *get_str(pn_data_t *d, arena_t *a)
{
    pn_type_t t = pn_data_type(d);
    if (t != PN_STRING && t != PN_SYMBOL)
        return NULL;
    pn_bytes_t b = pn_data_get_bytes(d);
    return arena_str(a, b.start, b.size);
}

hm_dname_t amqp_address_dest(const char *addr, int jms_dest_type)
{
    static const struct { const char *prefix; hm_dest_kind_e kind; } schemes[] = {
        { "queue://", HM_QUEUE }, { "topic://", HM_TOPIC },
        { "temp-queue://", HM_TEMP_QUEUE }, { "temp-topic://", HM_TEMP_TOPIC },
    };
    hm_dname_t d = { HM_QUEUE, NULL };
    if (!addr || !*addr)
        return d;
    for (size_t i = 0; i < sizeof schemes / sizeof schemes[0]; i++) {
        size_t n = strlen(schemes[i].prefix);
        if (strncmp(addr, schemes[i].prefix, n) == 0) {
            d.kind = schemes[i].kind;
            d.name = addr + n;
            return d;
        }
    }
    /* x-opt-jms-dest / x-opt-jms-reply-to: 0 queue, 1 topic, 2 temp queue, 3 temp topic */
    if (jms_dest_type >= 0 && jms_dest_type <= 3)
        d.kind = (hm_dest_kind_e)jms_dest_type;
    d.name = addr;
    return d;
}

/* A property value as a selector sees it; strings go to the arena. */
static void prop_value(pn_data_t *d, arena_t *a, sel_value_t *v)
{
    v->type = SEL_NULL;
    switch (pn_data_type(d)) {
    case PN_BOOL: v->type = SEL_BOOL; v->u.b = pn_data_get_bool(d); break;
    case PN_BYTE: v->type = SEL_BYTE; v->u.l = pn_data_get_byte(d); break;
    case PN_UBYTE: v->type = SEL_SHORT; v->u.l = pn_data_get_ubyte(d); break;
    case PN_SHORT: v->type = SEL_SHORT; v->u.l = pn_data_get_short(d); break;
    case PN_USHORT: v->type = SEL_INT; v->u.l = pn_data_get_ushort(d); break;
    case PN_INT: v->type = SEL_INT; v->u.l = pn_data_get_int(d); break;
    case PN_UINT: v->type = SEL_LONG; v->u.l = pn_data_get_uint(d); break;
    case PN_LONG: v->type = SEL_LONG; v->u.l = pn_data_get_long(d); break;
    case PN_ULONG: v->type = SEL_LONG; v->u.l = (int64_t)pn_data_get_ulong(d); break;
    case PN_TIMESTAMP: v->type = SEL_LONG; v->u.l = pn_data_get_timestamp(d); break;
    case PN_FLOAT: v->type = SEL_FLOAT; v->u.d = pn_data_get_float(d); break;
    case PN_DOUBLE: v->type = SEL_DOUBLE; v->u.d = pn_data_get_double(d); break;
    case PN_STRING:
    case PN_SYMBOL: {
        pn_bytes_t b = pn_data_get_bytes(d);
        const char *s = arena_str(a, b.start, b.size);
        if (s) {
            v->type = SEL_STRING;
            v->u.s.p = s;
            v->u.s.len = b.size;
        }
        break;
    }
    default: break;
    }
}

static int32_t annotation_int(pn_data_t *d)
{
    switch (pn_data_type(d)) {
    case PN_BYTE: return pn_data_get_byte(d);
    case PN_UBYTE: return pn_data_get_ubyte(d);
    case PN_INT: return pn_data_get_int(d);
    case PN_LONG: return (int32_t)pn_data_get_long(d);
    default: return -1;
    }
}

static int64_t annotation_long(pn_data_t *d)
{
    switch (pn_data_type(d)) {
    case PN_LONG: return pn_data_get_long(d);
    case PN_ULONG: return (int64_t)pn_data_get_ulong(d);
    case PN_TIMESTAMP: return pn_data_get_timestamp(d);
    case PN_INT: return pn_data_get_int(d);
    case PN_UINT: return pn_data_get_uint(d);
    default: return 0;
    }
}

static void origin_free(void *data) { (void)data; }   /* lives in the message's own block */

static void origin_get_property(const void *data, const char *name, size_t len, sel_value_t *out)
{
    const amqp_origin_t *o = data;
    out->type = SEL_NULL;
    if (len == 10 && memcmp(name, "JMSXUserID", 10) == 0) {
        if (o->user_id) {
            out->type = SEL_STRING;
            out->u.s.p = o->user_id;
            out->u.s.len = strlen(o->user_id);
        }
        return;
    }
    for (int i = 0; i < o->nprops; i++)
        if (o->props[i].nlen == len && memcmp(o->props[i].name, name, len) == 0) {
            *out = o->props[i].v;
            return;
        }
    if (o->sched_delay > 0 && len == 19 && memcmp(name, "AMQ_SCHEDULED_DELAY", 19) == 0) {
        out->type = SEL_LONG;
        out->u.l = o->sched_delay;
    }
}

static apr_status_t origin_content(const void *data, apr_pool_t *pool, hm_content_t *out)
{
    const amqp_origin_t *o = data;
    return amqp_jms_export(o->kept, o->kept_len, pool, out);
}

static hm_msg_t *origin_derive(const hm_msg_t *m, const hm_derive_t *d);

static const hm_msg_origin_t amqp_origin_ops = {
    .protocol = "amqp", .codec = AMQP_STORE_CODEC, .free = origin_free,
    .get_property = origin_get_property, .content = origin_content, .derive = origin_derive
};

int amqp_msg_is_amqp(const hm_msg_t *m)
{
    return m->origin == &amqp_origin_ops;
}

/* What the core keeps of a message besides its kept bytes: enough to rebuild it from the store
 * (amqp_msg_codec) or to derive a copy. */
typedef struct fixed_s {
    hm_dname_t dest;
    int64_t expiration, timestamp;
    int persistent, priority;
    int durable, first_acquirer, has_ttl;
    uint32_t ttl;
    const char *message_id;        /* the core's id of a message that carries none */
    int id_override;               /* message_id replaces the message's own (a core copy's new id) */
} fixed_t;

/* Builds the core message over kept bytes; headers from the properties section. */
static apr_status_t build(const uint8_t *kept, size_t kept_len, const parsed_t *x, const uint8_t *base,
                          const amqp_in_ctx_t *in, const fixed_t *fx, pn_data_t *d, hm_msg_t **out,
                          const char **why)
{
    /* strings decoded from the sections are no longer than the sections; the rest are named */
    const hm_dname_t *dn = fx ? &fx->dest : &in->dest;
    size_t strings = 2 * x->prebody + 512 + (dn->name ? strlen(dn->name) + 1 : 0) +
                     (fx && fx->message_id ? strlen(fx->message_id) + 1 : 0) +
                     (in && in->id_prefix ? strlen(in->id_prefix) + 32 : 0);
    size_t nprops_max = x->app_len / 2 + 1;
    void *extra;
    hm_msg_t *m = hm_msg_new(sizeof(amqp_origin_t) + 8 + kept_len + strings + 8 +
                             nprops_max * sizeof(amqp_prop_t) + 8, &extra);
    if (!m) {
        *why = "out of memory";
        return APR_ENOMEM;
    }
    arena_t a = { extra, sizeof(amqp_origin_t) + 8 + kept_len + strings + 8 + nprops_max * sizeof(amqp_prop_t) + 8 };
    amqp_origin_t *o = arena_take(&a, sizeof *o);
    uint8_t *copy = arena_take(&a, kept_len ? kept_len : 1);
    memcpy(copy, kept, kept_len);
    o->kept = copy;
    o->kept_len = kept_len;
    m->origin = &amqp_origin_ops;
    m->origin_data = o;
    m->size = kept_len + 1024;

    const char *to = NULL;
    int to_type = -1, reply_type = -1;
    int64_t delay = 0, at = 0;
    char idbuf[256];
    /* message-annotations: the JMS destination kinds, scheduled delivery (read, not removed) */
    if (x->ann_len && section_decode(d, base + x->ann_off, x->ann_len) > 0 && pn_data_type(d) == PN_MAP) {
        size_t n = pn_data_get_map(d);
        pn_data_enter(d);
        for (size_t i = 0; i + 1 < n + 1 && pn_data_next(d); i += 2) {
            pn_type_t kt = pn_data_type(d);
            pn_bytes_t k = kt == PN_SYMBOL || kt == PN_STRING ? pn_data_get_bytes(d) : pn_bytes(0, NULL);
            if (!pn_data_next(d))
                break;
            if (BYTES_IS(k, "x-opt-jms-dest"))
                to_type = annotation_int(d);
            else if (BYTES_IS(k, "x-opt-jms-reply-to"))
                reply_type = annotation_int(d);
            else if (BYTES_IS(k, "x-opt-delivery-time"))
                at = annotation_long(d);
            else if (BYTES_IS(k, "x-opt-delivery-delay"))
                delay = annotation_long(d);
        }
    }
    int raw_priority = fx ? fx->priority : x->priority;   /* AMQP allows 0..255; JMS has 0..9 */
    m->priority = raw_priority > 9 ? 9 : raw_priority;
    m->persistent = fx ? fx->persistent : x->durable;
    o->durable = fx ? fx->durable : x->durable;
    o->priority = fx ? (uint8_t)fx->priority : x->priority;
    o->ttl = fx ? fx->ttl : x->ttl;
    o->has_ttl = fx ? fx->has_ttl : x->has_ttl;
    o->first_acquirer = fx ? fx->first_acquirer : x->first_acquirer;
    int64_t abs_expiry = 0, created = 0;
    if (x->props_len && section_decode(d, base + x->props_off, x->props_len) > 0 &&
        pn_data_type(d) == PN_LIST && pn_data_enter(d)) {
        for (int i = 0; i < 13 && pn_data_next(d); i++) {
            switch (i) {
            case 0: {
                char *t = amqp_id_text(d, 0, idbuf, sizeof idbuf);
                m->message_id = t ? arena_str(&a, t, strlen(t)) : NULL;
                break;
            }
            case 1:
                if (pn_data_type(d) == PN_BINARY) {
                    pn_bytes_t b = pn_data_get_binary(d);
                    o->user_id = arena_str(&a, b.start, b.size);
                }
                break;
            case 2: to = get_str(d, &a); break;
            case 3: m->type = get_str(d, &a); break;
            case 4: {
                const char *r = get_str(d, &a);
                m->reply_to = amqp_address_dest(r, reply_type);
                break;
            }
            case 5: {
                char *t = amqp_id_text(d, 1, idbuf, sizeof idbuf);
                m->correlation_id = t ? arena_str(&a, t, strlen(t)) : NULL;
                break;
            }
            case 8: if (pn_data_type(d) == PN_TIMESTAMP) abs_expiry = pn_data_get_timestamp(d); break;
            case 9: if (pn_data_type(d) == PN_TIMESTAMP) created = pn_data_get_timestamp(d); break;
            case 10: m->group_id = get_str(d, &a); break;
            case 11: if (pn_data_type(d) == PN_UINT) m->group_seq = (int32_t)pn_data_get_uint(d); break;
            default: break;
            }
        }
    }
    if (x->app_len && section_decode(d, base + x->app_off, x->app_len) > 0 && pn_data_type(d) == PN_MAP) {
        size_t n = pn_data_get_map(d) / 2;
        o->props = arena_take(&a, (n ? n : 1) * sizeof *o->props);
        pn_data_enter(d);
        for (size_t i = 0; i < n && o->props && pn_data_next(d); i++) {
            pn_type_t kt = pn_data_type(d);
            if (kt != PN_STRING && kt != PN_SYMBOL) {
                *why = "an application-properties key is not a string";
                hm_msg_unref(m);
                return HM_EMALFORMED;
            }
            pn_bytes_t k = pn_data_get_bytes(d);
            amqp_prop_t *pr = &o->props[o->nprops];
            pr->name = arena_str(&a, k.start, k.size);
            pr->nlen = k.size;
            if (!pn_data_next(d))
                break;
            prop_value(d, &a, &pr->v);
            if (pr->name)
                o->nprops++;
        }
    }
    if (fx) {
        m->dest = fx->dest;
        if (m->dest.name)
            m->dest.name = arena_str(&a, m->dest.name, strlen(m->dest.name));
        m->expiration = fx->expiration;
        m->timestamp = fx->timestamp;
        if ((!m->message_id || fx->id_override) && fx->message_id)
            m->message_id = arena_str(&a, fx->message_id, strlen(fx->message_id));
    } else {
        m->dest = in->dest;
        if (!m->dest.name) {
            m->dest = amqp_address_dest(to, to_type);
            if (!m->dest.name) {
                hm_msg_unref(m);
                *why = "a message sent by the anonymous relay without a `to` address";
                return HM_EINVAL;
            }
        } else {
            m->dest.name = arena_str(&a, m->dest.name, strlen(m->dest.name));
        }
        int64_t now = apr_time_as_msec(apr_time_now());
        m->timestamp = created ? created : now;
        /* scheduled delivery (DELAYED_DELIVERY): what the scheduler reads as AMQ_SCHEDULED_DELAY
         * on a message as it arrives; copies and stored messages carry none */
        o->sched_delay = delay > 0 ? delay : at > now ? at - now : 0;
        m->expiration = abs_expiry ? abs_expiry : x->has_ttl && x->ttl ? now + x->ttl : 0;
        if (!m->message_id && in->id_prefix) {
            snprintf(idbuf, sizeof idbuf, "%s:%llu", in->id_prefix, (unsigned long long)in->id_seq);
            m->message_id = arena_str(&a, idbuf, strlen(idbuf));
        }
    }
    if (!m->dest.name || (m->reply_to.name && !(m->reply_to.name = arena_str(&a, m->reply_to.name, strlen(m->reply_to.name))))) {
        hm_msg_unref(m);
        *why = "out of memory";
        return APR_ENOMEM;
    }
    *out = m;
    return APR_SUCCESS;
}

apr_status_t amqp_msg_from_wire(const uint8_t *p, size_t len, const amqp_in_ctx_t *in,
                                hm_msg_t **out, const char **why)
{
    parsed_t x;
    apr_status_t st = locate(p, len, in->scratch, &x, why);
    if (st)
        return st;
    if (x.kept_off > len) {
        *why = "a message section does not decode";
        return HM_EMALFORMED;
    }
    /* offsets of later sections are relative to p; the kept bytes start at kept_off */
    return build(p + x.kept_off, len - x.kept_off, &x, p, in, NULL, in->scratch, out, why);
}

/* ------------------------------------------------------------------ deliveries */

static apr_status_t put_header(pn_data_t *d, int durable, int priority, int has_ttl, uint32_t ttl,
                               int first_acquirer, uint32_t delivery_count)
{
    pn_data_clear(d);
    pn_data_put_described(d);
    pn_data_enter(d);
    pn_data_put_ulong(d, AMQP_SEC_HEADER);
    pn_data_put_list(d);
    pn_data_enter(d);
    pn_data_put_bool(d, durable);
    pn_data_put_ubyte(d, (uint8_t)priority);
    if (has_ttl)
        pn_data_put_uint(d, ttl);
    else
        pn_data_put_null(d);
    pn_data_put_bool(d, first_acquirer);
    pn_data_put_uint(d, delivery_count);
    pn_data_exit(d);
    pn_data_exit(d);
    return APR_SUCCESS;
}

apr_status_t amqp_msg_to_wire(const hm_msg_t *m, int32_t redelivery_count, pn_data_t *scratch,
                              hm_wbuf_t *out)
{
    if (amqp_msg_is_amqp(m)) {
        const amqp_origin_t *o = m->origin_data;
        put_header(scratch, o->durable, o->priority, o->has_ttl, o->ttl, o->first_acquirer,
                   redelivery_count > 0 ? (uint32_t)redelivery_count : 0);
        apr_status_t st = amqp_data_append(scratch, out);
        if (st)
            return st;
        hm_wbuf_put(out, o->kept, o->kept_len);
        return out->err == APR_SUCCESS ? APR_SUCCESS : APR_ENOMEM;
    }
    apr_pool_t *pool;
    if (apr_pool_create(&pool, NULL) != APR_SUCCESS)
        return APR_ENOMEM;
    hm_content_t c;
    apr_status_t st = hm_msg_content(m, pool, &c);
    if (!st)
        st = amqp_jms_import(m, redelivery_count, &c, scratch, out);
    apr_pool_destroy(pool);
    return st;
}

/* ------------------------------------------------------------------ copies and the store */

static void fixed_of(const hm_msg_t *m, fixed_t *fx)
{
    const amqp_origin_t *o = m->origin_data;
    fx->dest = m->dest;
    fx->expiration = m->expiration;
    fx->timestamp = m->timestamp;
    fx->persistent = m->persistent;
    fx->priority = o->priority;
    fx->durable = o->durable;
    fx->first_acquirer = o->first_acquirer;
    fx->has_ttl = o->has_ttl;
    fx->ttl = o->ttl;
    fx->message_id = m->message_id;
    fx->id_override = 0;
}

static hm_msg_t *rebuild(const uint8_t *kept, size_t kept_len, const fixed_t *fx)
{
    pn_data_t *d = pn_data(16);
    if (!d)
        return NULL;
    parsed_t x;
    const char *why;
    hm_msg_t *m = NULL;
    if (locate(kept, kept_len, d, &x, &why) == APR_SUCCESS)
        build(kept, kept_len, &x, kept, NULL, fx, d, &m, &why);
    pn_data_free(d);
    return m;
}

/* A copy the core described: the headers it changes; the kept bytes stay as they are (the
 * properties the core adds or drops, e.g. a dead letter's cause, are not written into them). */
static hm_msg_t *origin_derive(const hm_msg_t *m, const hm_derive_t *dv)
{
    const amqp_origin_t *o = m->origin_data;
    fixed_t fx;
    fixed_of(m, &fx);
    if (dv->dest)
        fx.dest = *dv->dest;
    if (dv->set_expiration)
        fx.expiration = dv->expiration;
    if (dv->set_timestamp)
        fx.timestamp = dv->timestamp;
    if (dv->persistent >= 0)
        fx.persistent = fx.durable = dv->persistent;
    char id[AMQP_MAX_NAME + 32];
    if (dv->id_conn) {             /* the core's new id for this copy (the bytes keep theirs) */
        snprintf(id, sizeof id, "%s:0:0:%lld", dv->id_conn, (long long)dv->id_seq);
        fx.message_id = id;
        fx.id_override = 1;
    }
    hm_msg_t *c = rebuild(o->kept, o->kept_len, &fx);
    if (c)
        c->producer_client = m->producer_client;
    return c;
}

/* The stored form: a version byte, the fixed fields, then the kept bytes. */
#define STORE_VERSION 1

static apr_status_t codec_encode(const hm_msg_t *m, hm_wbuf_t *out)
{
    const amqp_origin_t *o = m->origin_data;
    size_t nlen = m->dest.name ? strlen(m->dest.name) : 0;
    hm_wbuf_u8(out, STORE_VERSION);
    hm_wbuf_u8(out, (uint8_t)m->dest.kind);
    hm_wbuf_be32(out, (uint32_t)nlen);
    hm_wbuf_put(out, m->dest.name, nlen);
    hm_wbuf_be64(out, (uint64_t)m->expiration);
    hm_wbuf_be64(out, (uint64_t)m->timestamp);
    hm_wbuf_u8(out, o->priority);
    hm_wbuf_u8(out, (uint8_t)((m->persistent ? 1 : 0) | (o->durable ? 2 : 0) |
                              (o->first_acquirer ? 4 : 0) | (o->has_ttl ? 8 : 0)));
    hm_wbuf_be32(out, o->ttl);
    size_t ilen = m->message_id ? strlen(m->message_id) : 0;
    if (ilen > AMQP_MAX_NAME)
        ilen = 0;                  /* an id this long is not kept across a restart */
    hm_wbuf_be16(out, (uint16_t)ilen);
    hm_wbuf_put(out, m->message_id, ilen);
    hm_wbuf_put(out, o->kept, o->kept_len);
    return out->err == APR_SUCCESS ? APR_SUCCESS : APR_ENOMEM;
}

static apr_status_t codec_decode(const uint8_t *p, size_t len, hm_msg_t **out)
{
    hm_rd_t rd;
    fixed_t fx;
    char name[HM_MAX_DEST_NAME + 1];
    hm_rd_init_whole(&rd, p, len);
    if (hm_rd_u8(&rd) != STORE_VERSION)
        return HM_EMALFORMED;
    uint8_t kind = hm_rd_u8(&rd);
    uint32_t nlen = hm_rd_be32(&rd);
    if (kind > HM_TEMP_TOPIC || nlen == 0 || nlen > HM_MAX_DEST_NAME)
        return HM_EMALFORMED;
    const uint8_t *nm = hm_rd_take(&rd, nlen);
    fx.expiration = (int64_t)hm_rd_be64(&rd);
    fx.timestamp = (int64_t)hm_rd_be64(&rd);
    fx.priority = hm_rd_u8(&rd);
    uint8_t flags = hm_rd_u8(&rd);
    fx.ttl = hm_rd_be32(&rd);
    uint16_t ilen = hm_rd_be16(&rd);
    const uint8_t *id = hm_rd_take(&rd, ilen);
    if (!hm_rd_ok(&rd) || !nm || ilen > AMQP_MAX_NAME)
        return HM_EMALFORMED;
    char idbuf[AMQP_MAX_NAME + 1];
    memcpy(idbuf, id ? (const char *)id : "", ilen);
    idbuf[ilen] = 0;
    fx.message_id = ilen ? idbuf : NULL;
    memcpy(name, nm, nlen);
    name[nlen] = 0;
    fx.dest.kind = (hm_dest_kind_e)kind;
    fx.dest.name = name;
    fx.id_override = 0;
    fx.persistent = flags & 1;
    fx.durable = (flags & 2) != 0;
    fx.first_acquirer = (flags & 4) != 0;
    fx.has_ttl = (flags & 8) != 0;
    size_t off = rd.pos;
    hm_msg_t *m = rebuild(p + off, len - off, &fx);
    if (!m)
        return HM_EMALFORMED;
    *out = m;
    return APR_SUCCESS;
}

static const hm_msg_codec_t amqp_codec = { AMQP_STORE_CODEC, "amqp", codec_encode, codec_decode };

const hm_msg_codec_t *amqp_msg_codec(void)
{
    return &amqp_codec;
}
