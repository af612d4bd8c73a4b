/* The record codec: what the store writes and how it reads it back.  Every value is read
 * through the bounded reader and must be exactly one well-formed record; anything else is
 * ST_ECORRUPT, so a damaged record is reported and skipped, never trusted. */
#include <stdlib.h>
#include <string.h>

#include "st_int.h"

const char *const st_table_names[ST_T_COUNT] = {
    "messages", "refs", "entries", "destinations", "subscriptions", "xa", "producers" };

void st_rec_hdr(hm_wbuf_t *wb, st_rec_type_e type)
{
    hm_wbuf_u8(wb, ST_REC_MAGIC0);
    hm_wbuf_u8(wb, ST_REC_MAGIC1);
    hm_wbuf_u8(wb, ST_REC_VERSION);
    hm_wbuf_u8(wb, (uint8_t)type);
}

void st_rec_put_msg(hm_wbuf_t *wb, const void *body, uint32_t len)
{
    st_rec_hdr(wb, ST_REC_MSG);
    hm_wbuf_be32(wb, len);
    hm_wbuf_put(wb, body, len);
}

void st_rec_put_ref(hm_wbuf_t *wb, const st_rec_ref_t *r)
{
    st_rec_hdr(wb, ST_REC_REF);
    hm_wbuf_be32(wb, r->refs);
    hm_wbuf_be32(wb, r->body_len);
}

void st_rec_put_entry(hm_wbuf_t *wb, const st_rec_entry_t *e)
{
    st_rec_hdr(wb, e->journal ? ST_REC_ENTRY_JOURNAL : e->body ? ST_REC_ENTRY_BODY : ST_REC_ENTRY);
    hm_wbuf_be64(wb, e->msg_id);
    hm_wbuf_be32(wb, e->delivered);
    if (e->journal) {
        hm_wbuf_be32(wb, e->body_len);
        hm_wbuf_be32(wb, e->lsn.file);
        hm_wbuf_be32(wb, e->lsn.offset);
    } else if (e->body) {
        hm_wbuf_be32(wb, e->body_len);
        hm_wbuf_put(wb, e->body, e->body_len);
    }
}

void st_rec_put_jbody(hm_wbuf_t *wb, uint64_t msg_id, const void *body, uint32_t len)
{
    st_rec_hdr(wb, ST_REC_JBODY);
    hm_wbuf_be64(wb, msg_id);
    hm_wbuf_be32(wb, len);
    hm_wbuf_put(wb, body, len);
}

void st_rec_put_dest(hm_wbuf_t *wb, uint32_t id, uint8_t kind, const void *name, size_t len)
{
    st_rec_hdr(wb, ST_REC_DEST);
    hm_wbuf_be32(wb, id);
    hm_wbuf_u8(wb, kind);
    hm_wbuf_be16(wb, (uint16_t)len);
    hm_wbuf_put(wb, name, len);
}

static void put_str16(hm_wbuf_t *wb, const char *s)
{
    size_t n = strlen(s);
    hm_wbuf_be16(wb, (uint16_t)n);
    hm_wbuf_put(wb, s, n);
}

void st_rec_put_sub(hm_wbuf_t *wb, uint32_t dest, const st_sub_t *sub)
{
    st_rec_hdr(wb, ST_REC_SUB);
    hm_wbuf_be32(wb, dest);
    hm_wbuf_u8(wb, sub->no_local ? 1 : 0);
    put_str16(wb, sub->client_id);
    put_str16(wb, sub->name);
    put_str16(wb, sub->topic);
    hm_wbuf_u8(wb, sub->selector ? 1 : 0);
    if (sub->selector) {
        size_t n = strlen(sub->selector);
        hm_wbuf_be32(wb, (uint32_t)n);
        hm_wbuf_put(wb, sub->selector, n);
    }
}

static void put_xid(hm_wbuf_t *wb, const st_xid_t *xid)
{
    hm_wbuf_be32(wb, (uint32_t)xid->format);
    hm_wbuf_u8(wb, xid->gtrid_len);
    hm_wbuf_put(wb, xid->gtrid, xid->gtrid_len);
    hm_wbuf_u8(wb, xid->bqual_len);
    hm_wbuf_put(wb, xid->bqual, xid->bqual_len);
}

void st_rec_put_xa(hm_wbuf_t *wb, const st_xid_t *xid, const st_op_t *ops, size_t n)
{
    st_rec_hdr(wb, ST_REC_XA);
    put_xid(wb, xid);
    size_t kept = 0;               /* the producer audit is not part of a transaction's record */
    for (size_t i = 0; i < n; i++)
        kept += ops[i].type != ST_OP_AUDIT && ops[i].type != ST_OP_NONE;
    hm_wbuf_be32(wb, (uint32_t)kept);
    for (size_t i = 0; i < n; i++) {
        const st_op_t *op = &ops[i];
        if (op->type == ST_OP_AUDIT || op->type == ST_OP_NONE)
            continue;
        hm_wbuf_u8(wb, op->type);
        switch (op->type) {
        case ST_OP_MSG:
            hm_wbuf_be64(wb, op->msg_id);
            hm_wbuf_be32(wb, op->len);
            hm_wbuf_put(wb, op->bytes, op->len);
            break;
        case ST_OP_ADD:
            hm_wbuf_be32(wb, op->dest);
            hm_wbuf_be64(wb, op->msg_id);
            hm_wbuf_u8(wb, op->priority);
            hm_wbuf_be64(wb, op->seq);
            break;
        case ST_OP_DEL:
        case ST_OP_DELIVERED:
            hm_wbuf_be32(wb, op->dest);
            hm_wbuf_u8(wb, op->priority);
            hm_wbuf_be64(wb, op->seq);
            if (op->type == ST_OP_DELIVERED)
                hm_wbuf_be32(wb, op->count);
            break;
        }
    }
}

/* ---- decoding ---- */

static void read_hdr(hm_rd_t *rd, st_rec_type_e want)
{
    uint8_t m0 = hm_rd_u8(rd), m1 = hm_rd_u8(rd), v = hm_rd_u8(rd), t = hm_rd_u8(rd);
    if (m0 != ST_REC_MAGIC0 || m1 != ST_REC_MAGIC1 || v != ST_REC_VERSION || t != want)
        hm_rd_fail(rd, HM_EMALFORMED);
}

/* A record must be consumed exactly: trailing bytes mean it is not what it claims. */
static apr_status_t finish(hm_rd_t *rd)
{
    if (hm_rd_ok(rd) && hm_rd_left(rd) != 0)
        hm_rd_fail(rd, HM_EMALFORMED);
    return hm_rd_ok(rd) ? APR_SUCCESS : ST_ECORRUPT;
}

int st_rec_type(const void *p, size_t len)
{
    const uint8_t *b = p;
    if (len < ST_REC_HDR || b[0] != ST_REC_MAGIC0 || b[1] != ST_REC_MAGIC1 || b[2] != ST_REC_VERSION)
        return 0;
    return b[3] >= ST_REC_MSG && b[3] <= ST_REC_AUDIT ? b[3] : 0;
}

/* A body: its length, bounded, then the bytes. */
static const uint8_t *read_body(hm_rd_t *rd, uint32_t *len)
{
    *len = hm_rd_be32(rd);
    if (*len > ST_MAX_BODY)
        hm_rd_fail(rd, HM_ETOOBIG);
    return hm_rd_take(rd, *len);
}

apr_status_t st_rec_get_msg(const void *p, size_t len, const uint8_t **body, uint32_t *body_len)
{
    hm_rd_t rd;
    hm_rd_init_whole(&rd, p, len);
    read_hdr(&rd, ST_REC_MSG);
    *body = read_body(&rd, body_len);
    return finish(&rd);
}

apr_status_t st_rec_get_ref(const void *p, size_t len, st_rec_ref_t *r)
{
    hm_rd_t rd;
    hm_rd_init_whole(&rd, p, len);
    read_hdr(&rd, ST_REC_REF);
    r->refs = hm_rd_be32(&rd);
    r->body_len = hm_rd_be32(&rd);
    if (r->refs == 0 || r->body_len > ST_MAX_BODY)
        hm_rd_fail(&rd, HM_EMALFORMED);
    return finish(&rd);
}

apr_status_t st_rec_get_entry(const void *p, size_t len, st_rec_entry_t *e)
{
    hm_rd_t rd;
    hm_rd_init_whole(&rd, p, len);
    int type = st_rec_type(p, len);
    if (type != ST_REC_ENTRY_BODY && type != ST_REC_ENTRY_JOURNAL)
        type = ST_REC_ENTRY;
    read_hdr(&rd, type);
    e->msg_id = hm_rd_be64(&rd);
    e->delivered = hm_rd_be32(&rd);
    e->body = NULL;
    e->body_len = 0;
    e->journal = type == ST_REC_ENTRY_JOURNAL;
    e->lsn = (st_lsn_t){ 0, 0 };
    if (e->journal) {
        e->body_len = hm_rd_be32(&rd);
        e->lsn.file = hm_rd_be32(&rd);
        e->lsn.offset = hm_rd_be32(&rd);
        if (e->body_len > ST_MAX_BODY || e->lsn.file == 0)
            hm_rd_fail(&rd, HM_EMALFORMED);
    } else if (type == ST_REC_ENTRY_BODY) {
        e->body = read_body(&rd, &e->body_len);
    }
    return finish(&rd);
}

apr_status_t st_rec_get_jbody(const void *p, size_t len, uint64_t *msg_id, const uint8_t **body,
                              uint32_t *body_len)
{
    hm_rd_t rd;
    hm_rd_init_whole(&rd, p, len);
    read_hdr(&rd, ST_REC_JBODY);
    *msg_id = hm_rd_be64(&rd);
    *body = read_body(&rd, body_len);
    return finish(&rd);
}

/* Names are non-empty, bounded and (except a subscription's separator) free of NULs. */
static const uint8_t *read_str16(hm_rd_t *rd, uint16_t *len)
{
    *len = hm_rd_be16(rd);
    if (*len == 0 || *len > ST_MAX_NAME) {
        hm_rd_fail(rd, HM_EMALFORMED);
        return NULL;
    }
    const uint8_t *s = hm_rd_take(rd, *len);
    if (s && memchr(s, 0, *len))
        hm_rd_fail(rd, HM_EMALFORMED);
    return s;
}

apr_status_t st_rec_get_dest(const void *p, size_t len, st_rec_dest_t *d)
{
    hm_rd_t rd;
    hm_rd_init_whole(&rd, p, len);
    read_hdr(&rd, ST_REC_DEST);
    d->id = hm_rd_be32(&rd);
    d->kind = hm_rd_u8(&rd);
    d->name_len = hm_rd_be16(&rd);
    if (d->id == 0 || (d->kind != ST_DEST_QUEUE && d->kind != ST_DEST_SUB) ||
        d->name_len == 0 || d->name_len > 2 * ST_MAX_NAME + 1)
        hm_rd_fail(&rd, HM_EMALFORMED);
    d->name = hm_rd_take(&rd, d->name_len);
    if (d->name && d->kind == ST_DEST_QUEUE && memchr(d->name, 0, d->name_len))
        hm_rd_fail(&rd, HM_EMALFORMED);
    return finish(&rd);
}

apr_status_t st_rec_get_sub(const void *p, size_t len, st_rec_sub_t *s)
{
    hm_rd_t rd;
    hm_rd_init_whole(&rd, p, len);
    read_hdr(&rd, ST_REC_SUB);
    s->dest = hm_rd_be32(&rd);
    s->no_local = hm_rd_u8(&rd);
    s->client_id = read_str16(&rd, &s->client_id_len);
    s->name = read_str16(&rd, &s->name_len);
    s->topic = read_str16(&rd, &s->topic_len);
    s->has_selector = hm_rd_u8(&rd);
    s->selector = NULL;
    s->selector_len = 0;
    if (s->has_selector == 1) {
        s->selector_len = hm_rd_be32(&rd);
        if (s->selector_len > ST_MAX_SELECTOR)
            hm_rd_fail(&rd, HM_ETOOBIG);
        s->selector = hm_rd_take(&rd, s->selector_len);
        if (s->selector && memchr(s->selector, 0, s->selector_len))
            hm_rd_fail(&rd, HM_EMALFORMED);
    } else if (s->has_selector != 0) {
        hm_rd_fail(&rd, HM_EMALFORMED);
    }
    if (s->dest == 0 || s->no_local > 1)
        hm_rd_fail(&rd, HM_EMALFORMED);
    return finish(&rd);
}

apr_status_t st_xid_parse(hm_rd_t *rd, st_xid_t *xid)
{
    memset(xid, 0, sizeof *xid);
    xid->format = (int32_t)hm_rd_be32(rd);
    xid->gtrid_len = hm_rd_u8(rd);
    if (xid->gtrid_len > ST_XID_MAX)
        hm_rd_fail(rd, HM_EMALFORMED);
    const uint8_t *g = hm_rd_take(rd, xid->gtrid_len);
    if (g) memcpy(xid->gtrid, g, xid->gtrid_len);
    xid->bqual_len = hm_rd_u8(rd);
    if (xid->bqual_len > ST_XID_MAX)
        hm_rd_fail(rd, HM_EMALFORMED);
    const uint8_t *q = hm_rd_take(rd, xid->bqual_len);
    if (q) memcpy(xid->bqual, q, xid->bqual_len);
    return hm_rd_ok(rd) ? APR_SUCCESS : ST_ECORRUPT;
}

apr_status_t st_rec_get_xa(const void *p, size_t len, st_xid_t *xid, st_op_t **out, size_t *nout)
{
    hm_rd_t rd;
    hm_rd_init_whole(&rd, p, len);
    *out = NULL;
    *nout = 0;
    read_hdr(&rd, ST_REC_XA);
    st_xid_parse(&rd, xid);
    uint32_t n = hm_rd_be32(&rd);
    /* Each operation takes at least 13 bytes: a count larger than that allows is a lie. */
    if (n > ST_MAX_BATCH_OPS || (size_t)n > hm_rd_left(&rd) / 13)
        hm_rd_fail(&rd, HM_EMALFORMED);
    if (!hm_rd_ok(&rd))
        return ST_ECORRUPT;
    st_op_t *ops = calloc(n ? n : 1, sizeof *ops);
    if (!ops)
        return APR_ENOMEM;
    for (uint32_t i = 0; i < n && hm_rd_ok(&rd); i++) {
        st_op_t *op = &ops[i];
        op->type = hm_rd_u8(&rd);
        switch (op->type) {
        case ST_OP_MSG:
            op->msg_id = hm_rd_be64(&rd);
            op->len = hm_rd_be32(&rd);
            if (op->len > ST_MAX_BODY)
                hm_rd_fail(&rd, HM_ETOOBIG);
            op->bytes = hm_rd_take(&rd, op->len);
            break;
        case ST_OP_ADD:
            op->dest = hm_rd_be32(&rd);
            op->msg_id = hm_rd_be64(&rd);
            op->priority = hm_rd_u8(&rd);
            op->seq = hm_rd_be64(&rd);
            break;
        case ST_OP_DEL:
        case ST_OP_DELIVERED:
            op->dest = hm_rd_be32(&rd);
            op->priority = hm_rd_u8(&rd);
            op->seq = hm_rd_be64(&rd);
            if (op->type == ST_OP_DELIVERED)
                op->count = hm_rd_be32(&rd);
            break;
        default:
            hm_rd_fail(&rd, HM_EMALFORMED);
        }
        if (op->priority > ST_MAX_PRIORITY)
            hm_rd_fail(&rd, HM_EMALFORMED);
    }
    apr_status_t st = finish(&rd);
    if (st != APR_SUCCESS) {
        free(ops);
        return st;
    }
    *out = ops;
    *nout = n;
    return APR_SUCCESS;
}

/* ---- keys ---- */

static void be32(uint8_t *k, uint32_t v)
{
    k[0] = (uint8_t)(v >> 24); k[1] = (uint8_t)(v >> 16); k[2] = (uint8_t)(v >> 8); k[3] = (uint8_t)v;
}

static void be64(uint8_t *k, uint64_t v)
{
    be32(k, (uint32_t)(v >> 32));
    be32(k + 4, (uint32_t)v);
}

uint32_t st_get_be32(const uint8_t *p)
{
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

uint64_t st_get_be64(const uint8_t *p)
{
    return ((uint64_t)st_get_be32(p) << 32) | st_get_be32(p + 4);
}

void st_key_u32(uint8_t k[4], uint32_t v) { be32(k, v); }
void st_key_msg(uint8_t k[ST_KEY_MSG], uint64_t id) { be64(k, id); }

/* Why 9 - priority: the B-tree's byte order then yields priority 9 first without sorting. */
void st_key_entry(uint8_t k[ST_KEY_ENTRY], uint32_t dest, uint8_t priority, uint64_t seq)
{
    be32(k, dest);
    k[4] = (uint8_t)(ST_MAX_PRIORITY - priority);
    be64(k + 5, seq);
}

int st_key_entry_parse(const void *key, size_t len, uint32_t *dest, uint8_t *priority, uint64_t *seq)
{
    const uint8_t *k = key;
    if (len != ST_KEY_ENTRY || k[4] > ST_MAX_PRIORITY)
        return 0;
    *dest = st_get_be32(k);
    *priority = (uint8_t)(ST_MAX_PRIORITY - k[4]);
    *seq = st_get_be64(k + 5);
    return 1;
}

size_t st_key_xid(uint8_t *k, const st_xid_t *xid)
{
    size_t n = 0;
    be32(k, (uint32_t)xid->format); n += 4;
    k[n++] = xid->gtrid_len;
    memcpy(k + n, xid->gtrid, xid->gtrid_len); n += xid->gtrid_len;
    k[n++] = xid->bqual_len;
    memcpy(k + n, xid->bqual, xid->bqual_len); n += xid->bqual_len;
    return n;
}

void st_buf_free(st_buf_t *b)
{
    free(b->p);
    b->p = NULL;
    b->len = b->cap = 0;
}

apr_status_t st_buf_reserve(st_buf_t *b, size_t n)
{
    if (n <= b->cap)
        return APR_SUCCESS;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < n)
        cap *= 2;
    uint8_t *p = realloc(b->p, cap);
    if (!p)
        return APR_ENOMEM;
    b->p = p;
    b->cap = cap;
    return APR_SUCCESS;
}

void st_rec_put_audit(hm_wbuf_t *wb, uint64_t seq)
{
    st_rec_hdr(wb, ST_REC_AUDIT);
    hm_wbuf_be64(wb, seq);
}

apr_status_t st_rec_get_audit(const void *p, size_t len, uint64_t *seq)
{
    hm_rd_t rd;
    hm_rd_init_whole(&rd, p, len);
    read_hdr(&rd, ST_REC_AUDIT);
    *seq = hm_rd_be64(&rd);
    return finish(&rd);
}
