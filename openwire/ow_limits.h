/* Limits of the OpenWire codec.  Each bounds something a peer controls. */
#ifndef OW_LIMITS_H
#define OW_LIMITS_H

/* Default maxFrameSize (ActiveMQ's transport default, 100 MiB).  A frame's declared size is
 * checked against the negotiated maximum before anything is allocated. */
#define OW_DEFAULT_MAX_FRAME_SIZE   (100LL * 1024 * 1024)

/* Largest frame accepted before the WireFormatInfo handshake: only a WireFormatInfo may come
 * first, and the Java client's is a few hundred bytes. */
#define OW_HANDSHAKE_MAX_FRAME_SIZE (8 * 1024)

/* Inactivity periods (maxInactivityDuration and its initial delay), whatever either side asks,
 * are capped here (one year, in ms), so converting them to microseconds cannot overflow. */
#define OW_MAX_INACTIVITY_MS        (365LL * 24 * 3600 * 1000)

/* Nesting of data structures inside one frame (BrokerInfo.peerBrokerInfos, Message.dataStructure,
 * DataResponse.data, ...).  Java has none and recurses until its stack overflows. */
#define OW_MAX_NESTING              32

/* Throwable causes followed when stack traces are enabled. */
#define OW_MAX_CAUSE_DEPTH          32

/* Marshal/unmarshal cache: ActiveMQ's default negotiated size and its hard maximum
 * (Short.MAX_VALUE / 2, used when a peer asks for 0). */
#define OW_DEFAULT_CACHE_SIZE       1024
#define OW_MAX_CACHE_SIZE           16383
/* Entries kept free by the outbound cache's eviction sweep (MARSHAL_CACHE_FREE_SPACE). */
#define OW_CACHE_FREE_SPACE         100

/* Strings: the tight encoder refuses modified-UTF-8 lengths >= 32767 (as Java does); the loose
 * form and readUTF allow 65535. */
#define OW_MAX_TIGHT_STRING         32766
#define OW_MAX_UTF_STRING           65535

/* Primitive maps and lists (message properties, MapMessage bodies, WireFormatInfo options). */
#define OW_PROPS_MAX_DEPTH          32       /* maps/lists inside maps/lists */
#define OW_PROPS_MAX_ENTRIES        65536    /* entries in one map or list */

/* A text body inflated from a compressed message may not exceed this. */
#define OW_MAX_INFLATED_TEXT        (100 * 1024 * 1024)

/* Length of the human-readable last-error text kept per connection. */
#define OW_ERROR_TEXT_LEN           256

#endif
