#include "hm_wbuf.h"

#include <stdlib.h>
#include <string.h>

void hm_wbuf_init(hm_wbuf_t *wb, size_t max)
{
    wb->data = NULL; wb->len = 0; wb->cap = 0; wb->max = max; wb->err = APR_SUCCESS;
}

void hm_wbuf_free(hm_wbuf_t *wb)
{
    free(wb->data);
    wb->data = NULL; wb->len = wb->cap = 0;
}

void hm_wbuf_reset(hm_wbuf_t *wb)
{
    wb->len = 0; wb->err = APR_SUCCESS;
}

uint8_t *hm_wbuf_extend(hm_wbuf_t *wb, size_t n)
{
    if (wb->err)
        return NULL;
    if (n > wb->max || wb->len > wb->max - n) {
        wb->err = HM_ETOOBIG;
        return NULL;
    }
    if (wb->len + n > wb->cap) {
        size_t cap = wb->cap ? wb->cap : 256;
        while (cap < wb->len + n)
            cap = cap > SIZE_MAX / 2 ? wb->len + n : cap * 2;
        uint8_t *d = realloc(wb->data, cap);
        if (!d) {
            wb->err = APR_ENOMEM;
            return NULL;
        }
        wb->data = d; wb->cap = cap;
    }
    uint8_t *at = wb->data + wb->len;
    wb->len += n;
    return at;
}

void hm_wbuf_put(hm_wbuf_t *wb, const void *p, size_t n)
{
    uint8_t *at = hm_wbuf_extend(wb, n);
    if (at && n)
        memcpy(at, p, n);
}

void hm_wbuf_u8(hm_wbuf_t *wb, uint8_t v) { hm_wbuf_put(wb, &v, 1); }

void hm_wbuf_be16(hm_wbuf_t *wb, uint16_t v)
{
    uint8_t b[2] = { (uint8_t)(v >> 8), (uint8_t)v };
    hm_wbuf_put(wb, b, 2);
}

void hm_wbuf_be32(hm_wbuf_t *wb, uint32_t v)
{
    uint8_t b[4] = { (uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v };
    hm_wbuf_put(wb, b, 4);
}

void hm_wbuf_be64(hm_wbuf_t *wb, uint64_t v)
{
    hm_wbuf_be32(wb, (uint32_t)(v >> 32));
    hm_wbuf_be32(wb, (uint32_t)v);
}

void hm_wbuf_patch_be32(hm_wbuf_t *wb, size_t at, uint32_t v)
{
    if (wb->err || at + 4 > wb->len)
        return;
    wb->data[at] = (uint8_t)(v >> 24); wb->data[at + 1] = (uint8_t)(v >> 16);
    wb->data[at + 2] = (uint8_t)(v >> 8); wb->data[at + 3] = (uint8_t)v;
}

uint8_t *hm_wbuf_detach(hm_wbuf_t *wb, size_t *len)
{
    uint8_t *d = wb->data;
    *len = wb->len;
    wb->data = NULL; wb->len = wb->cap = 0;
    return d;
}
