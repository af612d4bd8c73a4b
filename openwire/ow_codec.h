/* OpenWire codec (protocol versions 1..12): frames <-> C structs.
 *
 * The data model (one struct per data-structure type, type codes OW_*) is in ow_types.h;
 * primitive maps (message properties, MapMessage bodies) in ow_props.h; limits in ow_limits.h.
 *
 * Typical connection use:
 *     ow_wire_create(conn_pool, &opts, &w);
 *     ow_wire_local_info(w, pool, &info);  ow_encode(w, &info->cmd, &out);   // send ours first
 *     loop: ow_decode(w, buf, len, frame_pool, &cmd, &used)
 *           the peer's WIREFORMAT_INFO -> ow_wire_negotiate(w, info)
 * Before negotiation frames use the pre-negotiation format every ActiveMQ peer starts with:
 * loose encoding, no cache, size prefix, no stack traces, the preferred version.
 * A ow_wire_t is used by one thread at a time. */
#ifndef OW_CODEC_H
#define OW_CODEC_H

#include <stddef.h>
#include <stdint.h>

#include <apr_pools.h>

#include "hm_status.h"
#include "hm_wbuf.h"
#include "ow_limits.h"
#include "ow_types.h"

/* Status codes of the ow block (HM_ERRSPACE(1)); hm_strerror describes them once
 * ow_status_init() (called by ow_wire_create) has registered the describer. */
#define OW_EUNKNOWN_TYPE     (HM_ERRSPACE(1) + 1)  /* a type code no marshaller of this version has */
#define OW_EBAD_TYPE         (HM_ERRSPACE(1) + 2)  /* a known type where it is not allowed */
#define OW_EBAD_MAGIC        (HM_ERRSPACE(1) + 3)  /* WireFormatInfo magic is not "ActiveMQ" */
#define OW_EBAD_CACHE_INDEX  (HM_ERRSPACE(1) + 4)  /* a marshal-cache index outside the cache */
#define OW_EVERSION          (HM_ERRSPACE(1) + 5)  /* a protocol version outside 1..12 */
#define OW_EUNAVAILABLE      (HM_ERRSPACE(1) + 6)  /* a feature this codec does not offer */

void ow_status_init(void);

#define OW_MIN_VERSION 1
#define OW_MAX_VERSION 12

typedef struct ow_wire_s ow_wire_t;

/* The broker's preferences, sent in its WireFormatInfo.  ow_wire_opts_default fills ActiveMQ's
 * defaults: version 12, tight on, cache on, cache size 1024, size prefix on, max frame 100 MiB,
 * max inactivity 30000 ms, initial delay 10000 ms, tcp no delay on, stack traces on. */
typedef struct ow_wire_opts_s {
    int32_t version;
    int tight;
    int cache;
    int32_t cache_size;
    int size_prefix_disabled;
    int64_t max_frame_size;
    int64_t max_inactivity_ms;
    int64_t max_inactivity_initial_delay_ms;
    int tcp_no_delay;
    int stack_trace;            /* StackTraceEnabled (added after the lead's list) */
} ow_wire_opts_t;

void ow_wire_opts_default(ow_wire_opts_t *opts);

/* Creates per-connection codec state in pool (opts NULL = defaults; opts is copied).
 * Cache entries are malloc'd and released by a cleanup on pool.
 * APR_SUCCESS, OW_EVERSION, HM_EINVAL. */
apr_status_t ow_wire_create(apr_pool_t *pool, const ow_wire_opts_t *opts, ow_wire_t **out);

/* The broker's own WireFormatInfo to send first (allocated in pool). */
apr_status_t ow_wire_local_info(ow_wire_t *w, apr_pool_t *pool, ow_wire_format_info_t **out);

/* Applies the peer's WireFormatInfo as OpenWireFormat.renegotiateWireFormat does: version =
 * min of both (a non-positive side loses), max frame size likewise, stack trace / tcp no delay /
 * cache / tight = both, size prefix disabled = both, cache size = min (0 means 16383).
 * Resets both caches.  OW_EBAD_MAGIC, HM_EMALFORMED (bad properties) or OW_EVERSION. */
apr_status_t ow_wire_negotiate(ow_wire_t *w, const ow_wire_format_info_t *peer);

/* Uses this format from now on without a handshake (tests, stored encodings, tools). */
apr_status_t ow_wire_force_format(ow_wire_t *w, int32_t version, int tight, int cache,
                                  int stack_trace, int size_prefix_disabled);

/* Lowers (or raises) the frame size limit from now on, e.g. a small limit until the connection
 * is authenticated; a later ow_wire_negotiate recomputes it from the preferences. */
void ow_wire_set_max_frame_size(ow_wire_t *w, int64_t max);

/* Current format: version, tight, cache, stack traces, negotiated yet? */
int32_t ow_wire_version(const ow_wire_t *w);
int ow_wire_tight(const ow_wire_t *w);
int ow_wire_cache(const ow_wire_t *w);
int ow_wire_stack_trace(const ow_wire_t *w);
int ow_wire_negotiated(const ow_wire_t *w);
int64_t ow_wire_max_frame_size(const ow_wire_t *w);
/* The peer's MaxInactivityDuration / ...InitalDelay from its WireFormatInfo (0 if absent). */
int64_t ow_wire_peer_max_inactivity_ms(const ow_wire_t *w);
int64_t ow_wire_peer_max_inactivity_initial_delay_ms(const ow_wire_t *w);

/* Three-way decode of one frame from buf[0..len) (see ow_decode_need for the bytes to wait for):
 *   APR_SUCCESS: *out is the command (NULL for a null frame, which carries nothing), *consumed
 *                the bytes used;
 *   HM_EINCOMPLETE: more bytes are needed; *consumed = 0;
 *   an error (HM_EMALFORMED, HM_ETOOBIG, OW_EUNKNOWN_TYPE, OW_EBAD_TYPE, OW_EBAD_CACHE_INDEX,
 *   APR_ENOMEM): the connection should be closed; ow_wire_error(w) says why.
 * The declared frame size is checked against the max frame size before anything is allocated.
 * A frame whose top-level structure is not a command is OW_EBAD_TYPE.  Everything decoded lives
 * in pool (the caller's per-frame scratch pool); objects the peer put in the unmarshal cache are
 * additionally kept (as private copies) by w.  With the size prefix disabled the frame is
 * delimited by its own contents (then *consumed tells where it ended), and a frame still
 * incomplete after max frame size bytes is HM_ETOOBIG. */
apr_status_t ow_decode(ow_wire_t *w, const uint8_t *buf, size_t len, apr_pool_t *pool,
                       ow_command_t **out, size_t *consumed);

/* Minimum total bytes the frame starting at buf needs, once its 4-byte size prefix is there
 * (0 if not known yet or the size prefix is disabled). */
size_t ow_decode_need(const ow_wire_t *w, const uint8_t *buf, size_t len);

/* Appends one frame (with its size prefix unless disabled) to out; updates the outbound marshal
 * cache.  cmd NULL encodes a null frame.  HM_EINVAL (a field the type cannot hold, e.g. a
 * nested object of a wrong type or a magic that is not 8 bytes), HM_ETOOBIG (a string too long,
 * frame over max frame size, out's max), OW_EUNKNOWN_TYPE; ow_wire_error says which field.
 * On failure nothing is appended (unless out itself failed, which is sticky) and the outbound
 * cache is forgotten, so the connection stays usable.  Send ow_wire_local_info's result with
 * this before calling ow_wire_negotiate: the peer reads it in the pre-negotiation format.
 * Strings must be Java modified UTF-8 (4-byte UTF-8 sequences are not readable by Java). */
apr_status_t ow_encode(ow_wire_t *w, const ow_command_t *cmd, hm_wbuf_t *out);

/* The last error's human-readable reason ("" if none). */
const char *ow_wire_error(const ow_wire_t *w);

/* A zeroed structure of the given type in pool with obj.type set (NULL if the type is
 * unknown or memory is short). */
ow_object_t *ow_object_new(apr_pool_t *pool, uint8_t type);

/* Deep copy of any decoded (or hand-built) structure into ONE malloc'd block; free with free().
 * *size (optional) receives the block's size. */
apr_status_t ow_object_copy_flat(const ow_object_t *src, ow_object_t **dst, size_t *size);

/* Deep copy into pool. */
apr_status_t ow_object_copy(const ow_object_t *src, apr_pool_t *pool, ow_object_t **dst);

/* Deep, field-by-field equality of two structures (both NULL counts as equal).  Fields a
 * version lacks are compared too (they are zero after decoding). */
int ow_object_equal(const ow_object_t *a, const ow_object_t *b);

/* "ActiveMQTextMessage" etc., for logs; "unknown" for codes no version knows. */
const char *ow_type_name(uint8_t type);

/* Is this type code a command (may be a frame's top-level structure)? */
int ow_type_is_command(uint8_t type);

/* Strings between OpenWire (Java modified UTF-8: U+0000 as C0 80, characters above U+FFFF as
 * two 3-byte surrogates) and standard UTF-8 (AMQP, logs, selectors).  Results are
 * NUL-terminated in pool with their length in *out_len (standard UTF-8 may contain NUL bytes).
 * HM_EMALFORMED for input that is not valid in its encoding (unpaired surrogates from
 * modified UTF-8 become U+FFFD instead, as Java's String.getBytes would). */
apr_status_t ow_utf8_to_mutf8(apr_pool_t *pool, const char *s, size_t n, char **out, size_t *out_len);
apr_status_t ow_mutf8_to_utf8(apr_pool_t *pool, const char *s, size_t n, char **out, size_t *out_len);

#endif
