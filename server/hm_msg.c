/* The protocol-neutral message: one allocation, shared by reference count. */
#include <stdlib.h>

#include <apr_atomic.h>

#include "hm_core.h"

hm_msg_t *hm_msg_new(size_t extra, void **extra_out)
{
    /* one block: the header, then `extra` bytes the caller may use for strings */
    size_t head = (sizeof(hm_msg_t) + 15) & ~(size_t)15;
    hm_msg_t *m = calloc(1, head + extra);
    if (!m)
        return NULL;
    m->refs = 1;
    m->priority = 4;
    if (extra_out)
        *extra_out = extra ? (char *)m + head : NULL;
    return m;
}

hm_msg_t *hm_msg_ref(hm_msg_t *m)
{
    apr_atomic_inc32(&m->refs);
    return m;
}

void hm_msg_unref(hm_msg_t *m)
{
    if (!m || apr_atomic_dec32(&m->refs) != 0)
        return;
    if (m->origin && m->origin->free)
        m->origin->free(m->origin_data);
    free(m);
}

int hm_msg_expired(const hm_msg_t *m, apr_time_t now)
{
    return m->expiration > 0 && m->expiration <= (int64_t)apr_time_as_msec(now);
}
