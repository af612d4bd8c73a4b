/* A growable output buffer for encoders, with a hard maximum size.
 * Memory comes from malloc so a buffer can outlive any pool; hm_wbuf_free releases it.
 * Failure is sticky like the reader's: after an allocation failure or overflow of `max`,
 * writes are ignored and wb->err holds HM_ETOOBIG or APR_ENOMEM. */
#ifndef HM_WBUF_H
#define HM_WBUF_H

#include <stddef.h>
#include <stdint.h>

#include "hm_status.h"

typedef struct hm_wbuf_s {
    uint8_t *data;
    size_t len;
    size_t cap;
    size_t max;
    apr_status_t err;
} hm_wbuf_t;

void hm_wbuf_init(hm_wbuf_t *wb, size_t max);
void hm_wbuf_free(hm_wbuf_t *wb);
void hm_wbuf_reset(hm_wbuf_t *wb);                 /* len = 0, keeps memory, clears err */
/* Reserves n bytes and returns where to write them, or NULL on failure. */
uint8_t *hm_wbuf_extend(hm_wbuf_t *wb, size_t n);
void hm_wbuf_put(hm_wbuf_t *wb, const void *p, size_t n);
void hm_wbuf_u8(hm_wbuf_t *wb, uint8_t v);
void hm_wbuf_be16(hm_wbuf_t *wb, uint16_t v);
void hm_wbuf_be32(hm_wbuf_t *wb, uint32_t v);
void hm_wbuf_be64(hm_wbuf_t *wb, uint64_t v);
/* Overwrites 4 bytes at an earlier offset (for length prefixes filled in afterwards). */
void hm_wbuf_patch_be32(hm_wbuf_t *wb, size_t at, uint32_t v);
/* Hands the bytes to the caller (who frees them with free()) and empties the buffer. */
uint8_t *hm_wbuf_detach(hm_wbuf_t *wb, size_t *len);

#endif
