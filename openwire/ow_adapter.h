/* The OpenWire protocol as the server sees it: a protocol table entry (hm_core.h). */
#ifndef OW_ADAPTER_H
#define OW_ADAPTER_H

#include "hm_core.h"

/* The OpenWire protocol; opts configure every connection of a listener (limits, preferences). */
const hm_proto_t *ow_protocol(void);
/* How OpenWire messages are stored (register with hm_broker_register_codec). */
const hm_msg_codec_t *ow_msg_codec(void);

/* A message the broker makes itself (m's headers and its neutral content c, e.g. a text sent
 * from the web console) as an OpenWire message, so it is stored and delivered like any other
 * (hm_broker_opts_t.adopt).  One reference, or NULL (out of memory, or c not expressible). */
hm_msg_t *ow_msg_adopt(const hm_msg_t *m, const hm_content_t *c);

#endif
