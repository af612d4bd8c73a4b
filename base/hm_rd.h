/* The bounded reader: the only way wire or store bytes are read.
 *
 * Every read checks the remaining length first.  Failure is sticky: once a read runs past the
 * end (HM_EINCOMPLETE) or a value is rejected (HM_EMALFORMED / HM_ETOOBIG), every later read
 * returns zeroes and the first error stays in rd->err, so a decoder may read a whole structure
 * and check once.  Nested structures get a sub-reader limited to their declared length; a
 * declared length larger than what remains is rejected, never trusted. */
#ifndef HM_RD_H
#define HM_RD_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "hm_status.h"

typedef struct hm_rd_s {
    const uint8_t *p;
    size_t len;
    size_t pos;
    apr_status_t err;      /* APR_SUCCESS until the first failure */
    apr_status_t short_err;/* what running past the end means: HM_EINCOMPLETE or HM_EMALFORMED */
} hm_rd_t;

/* A reader over a possibly partial buffer: running past the end means "need more bytes". */
static inline void hm_rd_init(hm_rd_t *rd, const void *p, size_t len)
{
    rd->p = (const uint8_t *)p; rd->len = len; rd->pos = 0;
    rd->err = APR_SUCCESS; rd->short_err = HM_EINCOMPLETE;
}

/* A reader over a complete, length-delimited unit: running past the end is malformed. */
static inline void hm_rd_init_whole(hm_rd_t *rd, const void *p, size_t len)
{
    hm_rd_init(rd, p, len); rd->short_err = HM_EMALFORMED;
}

static inline size_t hm_rd_left(const hm_rd_t *rd) { return rd->err ? 0 : rd->len - rd->pos; }
static inline int hm_rd_ok(const hm_rd_t *rd) { return rd->err == APR_SUCCESS; }

/* Record the first failure only. */
static inline void hm_rd_fail(hm_rd_t *rd, apr_status_t st) { if (!rd->err) rd->err = st; }

/* Returns a pointer to n bytes and advances, or NULL (and sets the error) if fewer remain. */
static inline const uint8_t *hm_rd_take(hm_rd_t *rd, size_t n)
{
    if (rd->err) return NULL;
    if (n > rd->len - rd->pos) { rd->err = rd->short_err; return NULL; }
    const uint8_t *q = rd->p + rd->pos;
    rd->pos += n;
    return q;
}

static inline uint8_t hm_rd_u8(hm_rd_t *rd)
{
    const uint8_t *q = hm_rd_take(rd, 1);
    return q ? q[0] : 0;
}
static inline uint16_t hm_rd_be16(hm_rd_t *rd)
{
    const uint8_t *q = hm_rd_take(rd, 2);
    return q ? (uint16_t)((q[0] << 8) | q[1]) : 0;
}
static inline uint32_t hm_rd_be32(hm_rd_t *rd)
{
    const uint8_t *q = hm_rd_take(rd, 4);
    return q ? ((uint32_t)q[0] << 24) | ((uint32_t)q[1] << 16) | ((uint32_t)q[2] << 8) | q[3] : 0;
}
static inline uint64_t hm_rd_be64(hm_rd_t *rd)
{
    uint64_t hi = hm_rd_be32(rd);
    return (hi << 32) | hm_rd_be32(rd);
}

/* A sub-reader over the next n bytes, which must all be present (a declared length larger than
 * what remains fails the parent).  The sub-reader treats its end as malformed. */
static inline hm_rd_t hm_rd_sub(hm_rd_t *rd, size_t n)
{
    hm_rd_t sub;
    const uint8_t *q = hm_rd_take(rd, n);
    hm_rd_init_whole(&sub, q ? q : (const uint8_t *)"", q ? n : 0);
    if (!q) sub.err = rd->err;
    return sub;
}

#endif
