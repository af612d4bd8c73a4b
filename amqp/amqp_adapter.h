/* The AMQP 1.0 protocol on Qpid Proton's engine: what main() registers. */
#ifndef AMQP_ADAPTER_H
#define AMQP_ADAPTER_H

#include "hm_core.h"

#define AMQP_STORE_CODEC 2       /* the codec byte of stored AMQP messages */

/* The protocol table ("amqp") for the server's registry. */
const hm_proto_t *amqp_protocol(void);
/* How AMQP messages are stored (register before recovery). */
const hm_msg_codec_t *amqp_msg_codec(void);

#endif
