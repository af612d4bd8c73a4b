/* The names of ActiveMQ's advisory topics, shared by the advisories themselves (hm_advisory.c)
 * and by the authorization of the clients that make them appear (hm_auth.c). */
#include <stdio.h>
#include <string.h>

#include "hm_int.h"

/* "<prefix><Queue|Topic>.<name>", with ',' written as "&sbquo;" when `sbquo` (consumer and
 * producer topics of composite destinations, as ActiveMQ names them). */
const char *hm_adv_topic_name(char *buf, size_t cap, const char *prefix, hm_dname_t d, int full_type,
                              int sbquo)
{
    const char *type = full_type ? (d.kind == HM_QUEUE ? "Queue" : d.kind == HM_TOPIC ? "Topic"
                                    : d.kind == HM_TEMP_QUEUE ? "TempQueue" : "TempTopic")
                                 : (HM_KIND_IS_QUEUE(d.kind) ? "Queue" : "Topic");
    int n = snprintf(buf, cap, "%s%s%s.", HM_ADV_PREFIX, prefix, type);
    if (n < 0 || (size_t)n >= cap)
        return NULL;
    size_t at = (size_t)n;
    for (const char *p = d.name; *p; p++) {
        const char *piece = *p == ',' && sbquo ? "&sbquo;" : NULL;
        size_t pl = piece ? strlen(piece) : 1;
        if (at + pl + 1 > cap)
            return NULL;
        if (piece)
            memcpy(buf + at, piece, pl);
        else
            buf[at] = *p;
        at += pl;
    }
    buf[at] = '\0';
    return buf;
}

const char *hm_adv_dest_topic(hm_dname_t d)
{
    return d.kind == HM_TEMP_QUEUE ? HM_ADV_PREFIX "TempQueue"
         : d.kind == HM_TEMP_TOPIC ? HM_ADV_PREFIX "TempTopic"
         : d.kind == HM_QUEUE ? HM_ADV_PREFIX "Queue" : HM_ADV_PREFIX "Topic";
}
