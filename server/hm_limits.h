/* Limits of the messaging core, in one place. */
#ifndef HM_LIMITS_H
#define HM_LIMITS_H

#define HM_PRIORITIES             10       /* JMS priorities 0..9 */
#define HM_MAX_DEST_NAME          4096     /* bytes in one destination name (composite: whole) */
#define HM_PAGE_WINDOW_BYTES      (4u << 20)  /* stored messages one queue keeps in memory (hm_page.c) */
#define HM_PAGE_MIN_WINDOW        (64u << 10) /* ... however small the memory limit */
#define HM_PAGE_MSGS              256      /* entries read from the store in one page */
#define HM_SPILL_HIGH_PCT         70       /* non-persistent messages spill to temporary storage
                                              past this % of a memory limit (ActiveMQ's
                                              cursorMemoryHighWaterMark) (hm_spill.c) */
#define HM_PAGE_SWEEP_MSGS        512      /* paged-out entries one expiry sweep of a queue reads
                                              (under the broker lock: 2048 held it 12-386 ms) */
#define HM_MAX_COMPOSITE_PARTS    64       /* "a,b,c" parts in one composite destination */
#define HM_MAX_TEMP_PER_CLIENT    10000    /* temporary destinations one connection may own */
#define HM_MAX_CONSUMERS_PER_CLIENT 65536
#define HM_TICK_MS                50       /* resolution of pull timeouts */
#define HM_MAX_ADV_CREATED        65536    /* advisory topics remembered as created (authz) */
#define HM_MAX_ADV_POLICY_CACHE   4096     /* destinations whose advisory policy is remembered */
#define HM_NOPFC_FACTOR           2        /* producerFlowControl="false": held at this x the
                                              broker's memory limit, so memory stays bounded */
#define HM_MAX_CONTENT_DEPTH      32       /* maps and lists nested in a neutral content */
#define HM_MAX_HELD_SENDS         1024     /* sends held for space on one connection */
#define HM_FLOW_LOG_INTERVAL_S    30       /* a held destination is logged at most this often */
#define HM_REFUSAL_LOG_INTERVAL_S 30       /* a host over its connection limit: logged this often */
#define HM_AUTH_LOG_BURST         20       /* refused logins logged per window, then counted */
#define HM_AUTH_LOG_WINDOW_S      60
#define HM_AUTH_FAIL_DELAY_MS     1000     /* a refused login is answered after this long (a
                                              protocol defers its answer; the loop never sleeps) */
#define HM_EXPIRE_RESOLUTION_MS   100      /* how often queues' expiry periods are looked at */

/* Connections' input (hm_server.c).  Before its handshake a connection may buffer only
 * HM_HANDSHAKE_INPUT_MAX bytes and must finish the handshake within its listener's
 * connect_timeout_ms; after it, one frame up to the listener's max_frame_size, and all
 * connections' buffers above HM_INPUT_BASE together at most the server's input budget (a
 * connection that would exceed it stops being read until others release theirs, and is closed
 * after HM_INPUT_BUDGET_WAIT_S). */
#define HM_HANDSHAKE_INPUT_MAX    (16 * 1024)
#define HM_PRELOGIN_INPUT_MAX     (64 * 1024)         /* a frame before login (hm_conn_login_wait) */
#define HM_INPUT_BASE             (64 * 1024)         /* kept per connection, never charged */
#define HM_INPUT_SHRINK_AT        (1024 * 1024)       /* larger: given back right after the frame */
#define HM_INPUT_BUDGET_WAIT_S    30                  /* waiting longer for budget closes it */
#define HM_DEFAULT_INPUT_BUDGET   (512LL * 1024 * 1024)
#define HM_DEFAULT_CONNECT_TIMEOUT_MS 10000
#define HM_MAX_PROTOCOLS          8        /* protocol tables registered */
#define HM_MAX_LISTEN_PROTOS      4        /* protocols one auto:// listener sniffs for */

/* The producer audit (hm_audit.c): duplicate sends after a failover */
#define HM_AUDIT_MAX        65536u      /* producers remembered at once */
#define HM_AUDIT_KEY_MAX    1024u       /* bytes of a producer id that is audited */
#define HM_AUDIT_KEEP_MS    3600000     /* a producer silent this long is forgotten */
#define HM_AUDIT_PRUNE_MS   60000       /* how often silent producers are looked for */

#endif
