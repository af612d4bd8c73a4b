/* ActiveMQTextMessage bodies: MarshallingSupport.writeUTF8 (int length, -1 = null, then the
 * text in Java's modified UTF-8), zlib-compressed when the message says so (ow_inflate.c). */
#include <apr_strings.h>

#include "ow_int.h"
#include "ow_props.h"

apr_status_t ow_text_decode(const uint8_t *content, size_t content_len, int compressed,
                            apr_pool_t *pool, const char **text, size_t *len)
{
    *text = NULL;
    *len = 0;
    if (!content)
        return APR_SUCCESS;          /* no body at all: a null text */
    if (compressed) {
        uint8_t *raw;
        size_t raw_len;
        apr_status_t st = ow_inflate(content, content_len, (size_t)OW_MAX_INFLATED_TEXT + 4, pool,
                                     &raw, &raw_len);
        if (st)
            return st;
        content = raw;
        content_len = raw_len;
    }
    hm_rd_t rd;
    hm_rd_init_whole(&rd, content, content_len);
    int32_t n = (int32_t)hm_rd_be32(&rd);
    if (!hm_rd_ok(&rd))
        return HM_EMALFORMED;
    if (n == -1)
        return APR_SUCCESS;
    if (n < 0 || (size_t)n > hm_rd_left(&rd))
        return HM_EMALFORMED;
    if ((size_t)n > OW_MAX_INFLATED_TEXT)
        return HM_ETOOBIG;
    const uint8_t *p = hm_rd_take(&rd, (size_t)n);
    if (!ow_mutf8_valid(p, (size_t)n))
        return HM_EMALFORMED;
    char *s = ow_mutf8_copy(pool, p, (size_t)n);
    if (!s)
        return APR_ENOMEM;
    *text = s;
    *len = strlen(s);
    return APR_SUCCESS;
}

apr_status_t ow_text_encode(const char *text, size_t len, hm_wbuf_t *out)
{
    if (!text) {
        hm_wbuf_be32(out, 0xFFFFFFFFu);
        return out->err;
    }
    if (len > INT32_MAX)
        return HM_ETOOBIG;
    hm_wbuf_be32(out, (uint32_t)len);
    hm_wbuf_put(out, text, len);
    return out->err;
}
