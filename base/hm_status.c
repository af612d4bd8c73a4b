#include "hm_status.h"

#include <apr_strings.h>

#define HM_BLOCKS 16
static hm_describe_fn describers[HM_BLOCKS];

void hm_status_register(int block, hm_describe_fn fn)
{
    if (block >= 0 && block < HM_BLOCKS)
        describers[block] = fn;
}

static const char *hm_describe(apr_status_t st)
{
    switch (st) {
    case HM_EINCOMPLETE: return "incomplete input";
    case HM_EMALFORMED:  return "malformed input";
    case HM_ETOOBIG:     return "size exceeds limit";
    case HM_EPROTO:      return "protocol error";
    case HM_ENOTFOUND:   return "not found";
    case HM_EEXISTS:     return "already exists";
    case HM_EDENIED:     return "permission denied";
    case HM_ECLOSED:     return "closed";
    case HM_ENOSPACE:    return "resource limit reached";
    case HM_EINVAL:      return "invalid argument";
    case HM_ESELECTOR:   return "invalid message selector";
    case HM_ENOTALLOWED: return "not authorized";
    case HM_EFLOW:       return "memory limit reached (producer flow control)";
    default:             return NULL;
    }
}

/* Why thread-local: apr_strerror needs a caller buffer, and callers want a plain string. */
const char *hm_strerror(apr_status_t st)
{
    static _Thread_local char buf[256];
    if (st >= APR_OS_START_USERERR && st < APR_OS_START_USERERR + HM_BLOCKS * 1000) {
        int block = (int)((st - APR_OS_START_USERERR) / 1000);
        const char *d = block == 0 ? hm_describe(st) : describers[block] ? describers[block](st) : NULL;
        if (d)
            return d;
        apr_snprintf(buf, sizeof buf, "hermod error %d", (int)st);
        return buf;
    }
    return apr_strerror(st, buf, sizeof buf);
}
