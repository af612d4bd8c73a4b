/* Limits of the AMQP 1.0 adapter, in one place.  Each bounds something a peer controls, so what
 * Proton may allocate for one connection stays small and known. */
#ifndef AMQP_LIMITS_H
#define AMQP_LIMITS_H

/* The largest AMQP frame we accept (our open's max-frame-size): wireFormat.maxAmqpFrameSize
 * (ActiveMQ's option and default, 128 KiB) within these bounds.  Larger messages come as several
 * transfer frames. */
#define AMQP_DEFAULT_FRAME_SIZE   (128 * 1024)
#define AMQP_MIN_FRAME_SIZE       512            /* the spec's MIN-MAX-FRAME-SIZE */
#define AMQP_MAX_FRAME_SIZE       (16 * 1024 * 1024)

/* The idle-time-out we announce (wireFormat.idleTimeout / transport.idleTimeout) at most. */
#define AMQP_MAX_IDLE_TIMEOUT_MS  (24LL * 3600 * 1000)

/* A whole message (all its transfer frames): the listener's maxFrameSize when set, else this
 * (OpenWire's default maxFrameSize, so both protocols accept the same messages). */
#define AMQP_DEFAULT_MAX_MESSAGE  (100LL * 1024 * 1024)

/* Sessions and links one connection may open (channel-max is AMQP_MAX_SESSIONS - 1). */
#define AMQP_MAX_SESSIONS         64
#define AMQP_MAX_LINKS            1024

/* A session's incoming window, in transfer frames.  Transfers are read as they arrive (a whole
 * message is bounded by the message size limit), so this bounds frames in flight, not memory. */
#define AMQP_SESSION_WINDOW       2048

/* Credit a producer's link is given, topped up when half is used; withheld while the core holds
 * one of this connection's sends (producer flow control). */
#define AMQP_PRODUCER_CREDIT      500

/* Link credit a consumer's link may hold at once (more is clamped); it bounds the deliveries
 * the core hands one link ahead of the wire. */
#define AMQP_MAX_CONSUMER_CREDIT  100000

/* Output queued for a peer that reads slower than it gives credit: above HIGH, deliveries wait
 * (in the link's backlog) until the socket has taken all but LOW. */
#define AMQP_OUTPUT_HIGH          (8 * 1024 * 1024)
#define AMQP_OUTPUT_LOW           (1024 * 1024)

/* A terminus address, a link name, a container id, a filter string. */
#define AMQP_MAX_NAME             4096

/* SASL PLAIN's initial response (authzid NUL authcid NUL password). */
#define AMQP_MAX_SASL_RESPONSE    4096

/* A refused SASL login is answered this much later (and at the next tick after it), as the
 * broker answers refused OpenWire logins: password guessing gets one try a second. */
#define AMQP_LOGIN_REFUSAL_DELAY_MS 1000

/* Redeliveries before a message returned as modified(delivery-failed) is dead-lettered, as
 * ActiveMQ's default RedeliveryPolicy (maximumRedeliveries 6). */
#define AMQP_MAX_REDELIVERIES     6

/* Open transactions on one connection, and sends plus acknowledgements in one transaction. */
#define AMQP_MAX_TXS              64
#define AMQP_MAX_TX_ITEMS         100000

/* Events handled per input call before output is flushed and other connections get a turn. */
#define AMQP_EVENTS_PER_INPUT     4096

/* Nesting of maps and lists inside one message's sections. */
#define AMQP_MAX_DEPTH            32

#endif
