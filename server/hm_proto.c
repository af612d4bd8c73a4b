/* The protocol registry: the protocols this build speaks, by name.  main() registers each
 * protocol's table once at start; listeners find theirs here by the connector's scheme, so the
 * server and the core never name a protocol. */
#include <string.h>

#include "hm_core.h"
#include "hm_limits.h"

static const hm_proto_t *registry[HM_MAX_PROTOCOLS];
static int nregistered;

apr_status_t hm_proto_register(const hm_proto_t *p)
{
    if (hm_proto_find(p->name))
        return HM_EEXISTS;
    if (nregistered == HM_MAX_PROTOCOLS)
        return HM_ENOSPACE;
    registry[nregistered++] = p;
    return APR_SUCCESS;
}

const hm_proto_t *hm_proto_find(const char *name)
{
    for (int i = 0; i < nregistered; i++)
        if (strcmp(registry[i]->name, name) == 0)
            return registry[i];
    return NULL;
}
