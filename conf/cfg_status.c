/* Descriptions of the cfg_ status codes for hm_strerror(). */
#include "cfg.h"

static const char *cfg_describe(apr_status_t st)
{
    switch (st) {
    case CFG_EXML:         return "configuration is not acceptable XML";
    case CFG_ETOOBIG:      return "configuration exceeds a size limit";
    case CFG_EUNKNOWN:     return "unknown configuration element";
    case CFG_EVALUE:       return "invalid configuration value";
    case CFG_EMISSING:     return "required configuration setting missing";
    case CFG_EUNSUPPORTED: return "configuration feature not supported by hermod";
    case CFG_EPLACEHOLDER: return "unknown ${...} placeholder in configuration";
    case CFG_ESTRICT:      return "configuration warning refused in strict mode";
    default:               return NULL;
    }
}

void cfg_status_init(void)
{
    hm_status_register(5, cfg_describe);
}
