/* The OpenWire protocol as the server sees it: a protocol table entry (hm_core.h). */
#ifndef OW_ADAPTER_H
#define OW_ADAPTER_H

#include "hm_core.h"

/* The OpenWire protocol; opts configure every connection of a listener (limits, preferences). */
const hm_proto_t *ow_protocol(void);
/* How OpenWire messages are stored (register with hm_broker_register_codec). */
const hm_msg_codec_t *ow_msg_codec(void);

#endif
