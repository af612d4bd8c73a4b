/* The OpenWire protocol as the server sees it: a protocol table entry (hm_core.h). */
#ifndef OW_ADAPTER_H
#define OW_ADAPTER_H

#include "hm_core.h"

/* The OpenWire protocol; opts configure every connection of a listener (limits, preferences). */
const hm_proto_t *ow_protocol(void);

#endif
