/* The protocol-neutral messaging core: what OpenWire and AMQP adapters call.
 *
 * Threading: every function here takes the broker lock itself (a nested mutex).  Callbacks the
 * core makes into a protocol (hm_consumer_ops_t) run with that lock held: they must only encode
 * and queue bytes (hm_conn_send) and must not block.
 *
 * Ownership: messages are reference-counted (hm_msg_ref/unref) and shared by every queue entry
 * and delivery that holds them; the core never copies a message. */
#ifndef HM_CORE_H
#define HM_CORE_H

#include <stddef.h>
#include <stdint.h>

#include <apr_pools.h>
#include <apr_time.h>

#include "hm_auth.h"
#include "hm_content.h"
#include "hm_status.h"
#include "hm_wbuf.h"

typedef struct hm_broker_s hm_broker_t;
struct st_store_s;     /* store/st.h */
typedef struct hm_client_s hm_client_t;
typedef struct hm_consumer_s hm_consumer_t;
typedef struct hm_delivery_s hm_delivery_t;
typedef struct hm_msg_s hm_msg_t;
typedef struct hm_conn_s hm_conn_t;

/* ---------------------------------------------------------------- destinations */

typedef enum { HM_QUEUE = 0, HM_TOPIC = 1, HM_TEMP_QUEUE = 2, HM_TEMP_TOPIC = 3 } hm_dest_kind_e;
#define HM_KIND_IS_QUEUE(k) ((k) == HM_QUEUE || (k) == HM_TEMP_QUEUE)
#define HM_KIND_IS_TEMP(k)  ((k) == HM_TEMP_QUEUE || (k) == HM_TEMP_TOPIC)

typedef struct hm_dname_s {
    hm_dest_kind_e kind;
    const char *name;          /* NULL: no destination */
} hm_dname_t;

/* ---------------------------------------------------------------- messages */

struct sel_value_s;   /* selectors/sel.h: a typed property value */

/* A copy of a message that the core decides on (dead letter, scheduled firing, readdressed
 * advisory; hm_copy.c): which headers change and which properties go and come.  The protocol
 * applies it to its own form (origin->derive), so the copy keeps everything else byte for byte.
 * Fields left at their "keep" value change nothing. */
typedef enum { HM_ORIG_KEEP, HM_ORIG_SET, HM_ORIG_SET_IF_ABSENT } hm_orig_mode_e;
typedef struct hm_derive_s {
    const hm_dname_t *dest;        /* the copy's destination; NULL: the same */
    hm_orig_mode_e orig_mode;      /* the recorded original destination: */
    hm_dname_t orig;               /*   set to orig (SET), or to the current one if none (IF_ABSENT) */
    int set_expiration;            /* 1: expiration = the value below */
    int64_t expiration;
    int set_timestamp;
    int64_t timestamp;
    int persistent;                /* -1: keep; 0/1: set */
    const char *type;              /* JMSType; NULL: keep */
    int reset_redelivery;          /* the redelivery counter back to 0 */
    int clear_transaction;         /* no transaction id */
    const char *const *drop;       /* property names removed */
    int ndrop;
    const hm_entry_t *add;         /* properties added after them, in order */
    int nadd;
    const char *id_conn;           /* a new message id: producer id_conn:0:0, sequence id_seq; NULL: keep */
    int64_t id_seq;
} hm_derive_t;

/* What a protocol tells the core about the original, protocol-specific form of a message it
 * created.  The core never looks inside origin_data. */
typedef struct hm_msg_origin_s {
    const char *protocol;
    uint8_t codec;                 /* the hm_msg_codec_t that stores it; 0: never stored */
    void (*free)(void *data);
    /* Value of an application property with the type it was sent with (for selectors); strings
     * stay valid while the message lives.  Sets SEL_NULL when absent. */
    void (*get_property)(const void *data, const char *name, size_t len, struct sel_value_s *out);
    /* The body as text, for XPATH selectors; returns 0 when there is none. */
    int (*text_body)(const void *data, const char **text, size_t *len);
    /* Optional: the neutral content (hm_content.h) of the protocol's form, in pool.  What lets
     * the message leave by another protocol. */
    apr_status_t (*content)(const void *data, apr_pool_t *pool, hm_content_t *out);
    /* Optional: the copy the core described (hm_derive_t) in the protocol's own form, with one
     * reference; NULL: cannot (the core then drops it, and says so). */
    hm_msg_t *(*derive)(const hm_msg_t *m, const hm_derive_t *d);
} hm_msg_origin_t;

/* An advisory the core raises (ActiveMQ's advisory topics).  Protocols turn it into their own
 * shape (OpenWire: ConnectionInfo, ConsumerInfo, ProducerInfo, RemoveInfo, DestinationInfo or the
 * message itself as the advisory's data structure). */
typedef enum {
    HM_ADV_NONE,
    HM_ADV_DEST_ADD, HM_ADV_DEST_REMOVE,           /* dest; connection_id */
    HM_ADV_CONN_ADD, HM_ADV_CONN_REMOVE,           /* connection_id, client_id, user */
    HM_ADV_CONSUMER_ADD, HM_ADV_CONSUMER_REMOVE,   /* id, dest, consumer fields; count */
    HM_ADV_PRODUCER_ADD, HM_ADV_PRODUCER_REMOVE,   /* id, dest; count */
    HM_ADV_EXPIRED, HM_ADV_DLQD,                   /* msg, dest (where it was) */
    HM_ADV_SLOW_CONSUMER,                          /* id, dest, consumer fields */
    HM_ADV_FAST_PRODUCER,                          /* id, dest */
    HM_ADV_CONSUMED, HM_ADV_DELIVERED,             /* msg, dest */
    HM_ADV_NO_CONSUMER,                            /* msg, dest: sent where nobody listens */
    HM_ADV_UNSUBSCRIBE,                            /* dest, client_id, subscription; count */
    HM_ADV_FULL                                    /* dest, usage_name, usage */
} hm_adv_kind_e;
typedef struct hm_advisory_s {
    hm_adv_kind_e kind;
    hm_dname_t dest;               /* the destination it is about */
    const char *connection_id;
    const char *client_id, *user;  /* connections (NULL: none) */
    const char *client_ip;         /* connections: "tcp://ip:port" */
    const char *usage_name;        /* FULL: the limit reached, and its usage */
    int64_t usage;
    const char *id;                /* consumer or producer: "<connection id>:<session>:<value>" */
    const char *selector;          /* consumers */
    const char *subscription;      /* durable subscription name */
    int32_t prefetch;
    int priority, no_local, exclusive, browser;
    int count;                     /* consumerCount / producerCount property; -1: none */
    const hm_msg_t *msg;           /* EXPIRED, DLQD...: the message (held by the advisory) */
    const char *broker_name, *broker_id, *broker_url;   /* originBroker* properties */
} hm_advisory_t;

/* Optional advisories a destination's policy turns on (activemq.xml policyEntry). */
enum {
    HM_ADVP_SLOW_CONSUMER = 1,     /* advisoryForSlowConsumers */
    HM_ADVP_FAST_PRODUCER = 2,     /* advisoryForFastProducers */
    HM_ADVP_CONSUMED = 4,          /* advisoryForConsumed */
    HM_ADVP_DELIVERED = 8,         /* advisoryForDelivery */
    HM_ADVP_NO_CONSUMER = 16,      /* sendAdvisoryIfNoConsumers */
    HM_ADVP_FULL = 32              /* advisoryWhenFull */
};
typedef unsigned (*hm_adv_policy_fn)(void *baton, hm_dname_t dest);

/* A neutral map body (statistics replies): protocols express it as their map message. */
typedef struct hm_field_s {
    const char *name;
    int is_string;
    const char *s;
    int64_t l;
} hm_field_t;

/* The protocol-neutral message.  String fields point into memory the message owns (usually
 * origin_data); NULL means absent. */
struct hm_msg_s {
    volatile uint32_t refs;
    uint64_t broker_seq;           /* broker-wide arrival number, set by hm_send */
    hm_dname_t dest;               /* the destination it was sent to (composites are split) */
    const char *message_id;
    const char *correlation_id;
    const char *type;
    const char *group_id;
    int32_t group_seq;
    hm_dname_t reply_to;
    int priority;                  /* 0..9 */
    int persistent;
    int64_t expiration;            /* ms since the epoch, 0 = never */
    int64_t timestamp;
    uint64_t producer_client;      /* hm_client id of the sender, for noLocal */
    /* The sending producer and its sequence number, for the duplicate audit (hm_audit.c): a
     * persistent send repeated by a failover transport has the same both.  producer_key points
     * into the message (not NUL-terminated); length 0: not audited. */
    const char *producer_key;
    size_t producer_key_len;
    uint64_t producer_seq;
    size_t size;                   /* bytes accounted against memory limits */
    hm_advisory_t *advisory;       /* set on advisory messages raised by the core */
    const hm_field_t *fields;      /* set on map messages the core makes (statistics) */
    int nfields;
    const hm_msg_origin_t *origin;
    void *origin_data;
};

/* How a protocol's messages are written to and read back from the store (one byte id each).
 * The stored form is the protocol's own encoding, so nothing is lost or re-expressed. */
typedef struct hm_msg_codec_s {
    uint8_t id;
    const char *name;
    /* Appends the stored form of m (whose origin names this codec) to out. */
    apr_status_t (*encode)(const hm_msg_t *m, hm_wbuf_t *out);
    /* A message (one reference) from its stored form; HM_EMALFORMED for bytes that do not
     * parse (the record is then reported and skipped). */
    apr_status_t (*decode)(const uint8_t *p, size_t len, hm_msg_t **out);
} hm_msg_codec_t;

/* A zeroed message with one reference; free_self frees the struct when the last reference goes
 * (after origin->free(origin_data)).  Returns NULL when out of memory. */
hm_msg_t *hm_msg_new(size_t extra, void **extra_out);
/* The message's neutral properties and body, in pool (from its origin's content, or a map the
 * core made); an empty content when neither knows one. */
apr_status_t hm_msg_content(const hm_msg_t *m, apr_pool_t *pool, hm_content_t *out);
hm_msg_t *hm_msg_ref(hm_msg_t *m);
void hm_msg_unref(hm_msg_t *m);
int hm_msg_expired(const hm_msg_t *m, apr_time_t now);

/* ---------------------------------------------------------------- broker */

/* Where a dead letter from dest goes: fills *dlq and returns 1, or returns 0 to drop it.
 * expired: it expired (rather than exhausting its redeliveries). */
typedef int (*hm_dlq_fn)(void *baton, hm_dname_t dest, const hm_msg_t *m, int expired,
                         hm_dname_t *dlq, char *name, size_t cap);

/* Virtual destinations (activemq.xml <destinationInterceptors>). */
typedef enum { HM_VIRTUAL_TOPIC, HM_COMPOSITE_QUEUE, HM_COMPOSITE_TOPIC } hm_virtual_kind_e;
typedef struct hm_virtual_s {
    hm_virtual_kind_e kind;
    const char *name;              /* virtual topic: a topic pattern; composite: its name */
    const char *prefix, *postfix;  /* virtual topic: consumer queues are prefix + topic + postfix */
    int forward_only;              /* composite: not also delivered under its own name */
    int nforward;
    const hm_dname_t *forward;     /* composite: where its messages go */
    const char *const *filter;     /* composite: per member, the selector of a filteredDestination
                                    * (only matching messages go there), NULL entries or array: all */
} hm_virtual_t;

/* What a destination's policy (activemq.xml <policyEntry>) says about limits and expiry. */
typedef struct hm_dest_policy_s {
    int64_t memory_limit;          /* bytes its held messages may take; 0: only the broker's limit */
    int producer_flow_control;     /* 0: never hold its producers (up to HM_NOPFC_FACTOR x the
                                      broker limit, then they are held anyway) */
    int64_t expire_period_ms;      /* sweep its expired messages this often; 0: never */
    int pending_limit;             /* topics (constantPendingMessageLimitStrategy): a non-durable
                                      subscriber keeps at most this many undispatched messages,
                                      the oldest are discarded; -1: no limit */
    int send_fail_if_no_space;     /* -1: as the broker (opts); 0: hold; 1: refuse */
    int64_t send_fail_after_ms;    /* 0: as the broker; else hold at most this long */
    int memory_only;               /* a vm cursor: non-persistent messages never spill */
    int spill_pct;                 /* they spill past this % of the memory limit; 0: HM_SPILL_HIGH_PCT */
} hm_dest_policy_t;
/* Fills *out for destination d (a topic subscription asks with its topic). */
typedef void (*hm_policy_fn)(void *baton, hm_dname_t d, hm_dest_policy_t *out);

typedef struct hm_broker_opts_s {
    const char *name;
    const hm_virtual_t *virtuals;
    int nvirtuals;
    hm_dlq_fn dlq;                 /* NULL: every dead letter goes to ActiveMQ.DLQ if persistent */
    void *dlq_baton;
    struct st_store_s *store;      /* persistent messages go here; NULL: memory only */
    int64_t expire_period_ms;      /* sweep for expired messages this often (0: 30 s) */
    int statistics;                /* answer ActiveMQ.Statistics.* requests (statisticsBrokerPlugin) */
    int send_fail_if_no_space;     /* a full store refuses sends instead of holding producers */
    int64_t send_fail_after_ms;    /* ...or holds them at most this long (0: no limit) */
    int scheduler_support;         /* honour AMQ_SCHEDULED_* properties (schedulerSupport) */
    int scheduler_max_repeat;      /* largest AMQ_SCHEDULED_REPEAT; 0: 1000 */
    int advisories_off;            /* <broker advisorySupport="false">: no advisories at all */
    hm_adv_policy_fn advisory_policy;   /* NULL: none of the optional advisories */
    void *advisory_baton;
    const char *url;               /* originBrokerURL of advisories (the first listener) */
    int64_t memory_limit;          /* <memoryUsage limit>: bytes all held messages may take; 0: none */
    int64_t store_limit, temp_limit;   /* <storeUsage>/<tempUsage> limits */
    const char *temp_dir;          /* temporary storage (wiped at start); NULL: nothing spills */
    hm_policy_fn policy;           /* NULL: no per-destination limits, expiry every expire_period_ms */
    void *policy_baton;
    const hm_auth_ops_t *auth;     /* NULL: hm_auth_allow_all */
    /* A message the broker makes from headers and neutral content (the console's sends) in a
     * protocol's storable form (one reference); NULL: such messages are sent non-persistent. */
    hm_msg_t *(*adopt)(const hm_msg_t *m, const hm_content_t *c);
    void *auth_baton;
    int populate_user_id;          /* <broker populateJMSXUserID>: sends carry the sender's user */
    int user_id_from_principal;    /* useAuthenticatedPrincipalForJMSXUserID */
} hm_broker_opts_t;

apr_status_t hm_broker_create(apr_pool_t *pool, const hm_broker_opts_t *opts, hm_broker_t **out);
/* Makes a protocol's messages storable (call before hm_broker_recover). */
void hm_broker_register_codec(hm_broker_t *b, const hm_msg_codec_t *codec);
/* Loads every stored queue's messages in dispatch order; progress is logged.  Records that do
 * not parse are reported and skipped. */
apr_status_t hm_broker_recover(hm_broker_t *b);
/* The broker is shutting down: consumers closed from now on return their messages without
 * counting them as delivered (a shutdown is not a failed delivery).  Safe from any thread. */
void hm_broker_stopping(hm_broker_t *b);
void hm_broker_destroy(hm_broker_t *b);
const char *hm_broker_name(const hm_broker_t *b);
const hm_broker_opts_t *hm_broker_options(const hm_broker_t *b);
const char *hm_broker_id(const hm_broker_t *b);

/* ---------------------------------------------------------------- clients */

/* A logical client connection.  client_id may be NULL; a client_id already in use gives
 * HM_EEXISTS with a message in err. */
apr_status_t hm_client_open(hm_broker_t *b, const char *connection_id, const char *client_id,
                            const char *user, hm_client_t **out, char *err, size_t errlen);
/* The same with where the client connects from (ActiveMQ's clientIp, "tcp://ip:port"), which
 * connection advisories report; any field may be NULL. */
typedef struct hm_client_info_s {
    const char *connection_id, *client_id, *user, *client_ip;
    const char *password;          /* for authentication only; not kept */
    const char *cert_subject;      /* the verified TLS client certificate's subject, or NULL */
    int tls;                       /* on a TLS connector (hm_conn_is_tls) */
} hm_client_info_t;
apr_status_t hm_client_open_info(hm_broker_t *b, const hm_client_info_t *info, hm_client_t **out,
                                 char *err, size_t errlen);
/* Closes every consumer still open (their deliveries return to their queues) and deletes the
 * client's temporary destinations. */
void hm_client_close(hm_client_t *c);
/* Authentication (the broker's hm_auth_ops_t) happens in hm_client_open_info: HM_ENOTALLOWED
 * with the reason in err.  Every later refusal (consumer, producer, send, destination) is also
 * HM_ENOTALLOWED; its text, in ActiveMQ's words, is here until the next one. */
const char *hm_client_denied(const hm_client_t *c);
/* Checks credentials without opening a client (a protocol's own handshake, e.g. SASL; the
 * management HTTP side), and, when group is not NULL, that the user is in it: HM_ENOTALLOWED with
 * the reason in err (refusals are logged with every other refused login).  A protocol's client is
 * authenticated again when it opens. */
apr_status_t hm_broker_authenticate(hm_broker_t *b, const hm_credentials_t *cr, const char *group,
                                    char *err, size_t errlen);
const hm_principal_t *hm_client_principal(const hm_client_t *c);
/* Whether this client's messages get JMSXUserID set (populateJMSXUserID): 1 with *user the value
 * (NULL: none, which also removes a forged one), 0 when messages keep what the sender put. */
int hm_client_user_id(const hm_client_t *c, const char **user);

/* Temporary destinations belong to the client that created them. */
apr_status_t hm_temp_dest_create(hm_client_t *c, hm_dname_t d);
/* HM_EPROTO while a consumer is still open on it. */
apr_status_t hm_temp_dest_delete(hm_client_t *c, hm_dname_t d, char *err, size_t errlen);
/* Creates an ordinary destination explicitly (DestinationInfo ADD). */
apr_status_t hm_dest_ensure(hm_broker_t *b, hm_dname_t d);
/* The same for a client, which must be authorized to create it (HM_ENOTALLOWED). */
apr_status_t hm_dest_create(hm_client_t *c, hm_dname_t d);
/* Deletes an ordinary destination for a client (DestinationInfo REMOVE; a temporary one goes to
 * hm_temp_dest_delete): admin needed (HM_ENOTALLOWED), HM_EPROTO while it has consumers, an
 * unknown one is no error (ActiveMQ).  Waits for the store: not under the broker lock. */
apr_status_t hm_dest_delete(hm_client_t *c, hm_dname_t d, char *err, size_t errlen);

/* ---------------------------------------------------------------- sending */

typedef void (*hm_send_done_fn)(void *baton, apr_status_t st);

/* Routes a message to its destination(s).  msg->dest may name a composite ("a,b") and, for
 * topics, fans out to every matching subscription.  The core takes its own references; the
 * caller keeps (and later drops) its own.
 *
 * THE DURABILITY CONTRACT (tested by test/unit/server_durability_test.c):
 * - A persistent message is enqueued, and may be dispatched to a consumer, as soon as its store
 *   batch is committed, i.e. queued for writing: before the write is durable (ActiveMQ's
 *   concurrentStoreAndDispatch).  Its sender is answered (done) only once it is durable, so a
 *   sender that was told "sent" never loses the message, even to kill -9.
 * - A message delivered and acknowledged before its write began is never written; its sender is
 *   then answered at once (there is nothing left to lose).
 * - A batch the store refuses when it is committed (store limit, full disk, a failed store) is
 *   an error from hm_send: nothing was enqueued and done is not called.
 * - A write that fails later (its log flush) reaches the sender as done(error); the message stays
 *   enqueued in memory and may still be delivered, and whether it survives a restart is unknown
 *   (the store takes no further change until reopened).  A sender that resends after an error may
 *   therefore cause a duplicate: at least once, as with ActiveMQ.
 *
 * done is called exactly once when the message is accepted (for a persistent message as above,
 * from the store's thread), possibly before hm_send returns; it is not called when hm_send
 * itself returns an error.
 * Errors: HM_ENOTFOUND (a temporary destination that no longer exists), HM_EINVAL,
 * HM_ENOSPACE (the store limit), HM_EFLOW (producer flow control: a destination, or the broker,
 * holds as many message bytes as its memory limit allows; err is then the destination's
 * qualified name, "queue://A" or "topic://T", a newline and the limit in bytes), store errors.
 * HM_EFLOW is checked before anything else happens: the caller holds the send (or refuses it)
 * and waits with hm_space_wait. */
apr_status_t hm_send(hm_client_t *c, hm_msg_t *msg, hm_send_done_fn done, void *baton,
                     char *err, size_t errlen);
/* Whether the client may send to d (HM_ENOTALLOWED, reason in err): what hm_send checks, for a
 * protocol that holds a transacted send until its commit (which checks again). */
apr_status_t hm_send_allowed(hm_client_t *c, hm_dname_t d, char *err, size_t errlen);

/* ---------------------------------------------------------------- producers */

/* Producers matter to the core for advisories (ActiveMQ.Advisory.Producer.*) and counts: a
 * protocol registers each one with its own id; dest NULL name: anonymous (neither advised, as
 * ActiveMQ's default, nor counted).  HM_ENOSPACE past HM_MAX_CONSUMERS_PER_CLIENT producers; an id already registered
 * is left as it is.  hm_client_close removes those still registered. */
apr_status_t hm_producer_add(hm_client_t *c, const char *id, hm_dname_t dest);
void hm_producer_remove(hm_client_t *c, const char *id);
/* Removes every producer whose id starts with prefix (a closed session's). */
void hm_producer_remove_prefix(hm_client_t *c, const char *prefix);
/* The protocol is holding this producer back (flow control): a FastProducer advisory when its
 * destination's policy has advisoryForFastProducers. */
void hm_producer_blocked(hm_client_t *c, const char *id, hm_dname_t dest);

/* A destination reached a limit (usage_name names it, e.g. "<broker>:queue://q:memory"; usage:
 * bytes in use): a FULL.<type>.<name> advisory when its policy has advisoryWhenFull.  For the
 * flow-control code; safe with the broker lock held (it is a nested mutex). */
void hm_dest_full(hm_broker_t *b, hm_dname_t dest, const char *usage_name, int64_t usage);

/* Waiting for memory to free (producer flow control).  The waiter belongs to the caller; while
 * armed, fn(baton) runs once (broker lock held, any thread: only signal, e.g. hm_conn_kick)
 * when any destination or the broker goes back under its memory limit, then it is disarmed. */
typedef struct hm_space_waiter_s {
    struct hm_space_waiter_s *next, **prevp;   /* core's list; prevp NULL: not armed */
    void (*fn)(void *baton);
    void *baton;
} hm_space_waiter_t;
void hm_space_wait(hm_broker_t *b, hm_space_waiter_t *w);
/* Disarms w (call before freeing it). */
void hm_space_cancel(hm_broker_t *b, hm_space_waiter_t *w);
/* HM_EFLOW (err as hm_send gives it) when hm_send would hold msg for memory now.  Arm the
 * waiter, then ask: room that freed in between is never missed.  A protocol also asks before
 * it takes a transacted send (ActiveMQ holds those when sent, not when committed). */
apr_status_t hm_flow_check(hm_broker_t *b, const hm_msg_t *msg, char *err, size_t errlen);
/* Whether a send to d that hm_send answered HM_EFLOW is refused (*fail) and, if held, for how long
 * at most (*after_ms, 0: no limit): the destination's policy, else the broker's options. */
void hm_flow_mode(hm_broker_t *b, hm_dname_t d, int *fail, int64_t *after_ms);
/* A protocol held (or refused) one send hm_send answered with HM_EFLOW: counted in the
 * destination's statistics (blockedSends) and logged once per time the destination fills. */
void hm_flow_blocked(hm_broker_t *b, hm_dname_t d);

/* ---------------------------------------------------------------- held sends (hm_flow.c) */

/* Producer flow control and a full store, as broker policy: a protocol sends through its
 * client's hm_flow_t, and a send that a memory limit or the full store refuses is held by the
 * core in arrival order, retried when space frees, and refused after its timeout or at once
 * (sendFailIfNoSpace), with ActiveMQ's ResourceAllocationException texts.  Later sends to a
 * destination that has a held send queue up behind it; the others go on.  The protocol only
 * translates: it answers, pauses its input, or (for a transacted send) adds the message to its
 * transaction, through these callbacks. */
typedef struct hm_flow_s hm_flow_t;
typedef struct hm_flow_ops_s {
    /* A held or checked transacted send fits now: add msg (borrowed) to its transaction and
     * answer it.  Loop thread. */
    void (*admit)(void *ctx, void *baton, hm_msg_t *msg);
    /* The send failed: st HM_EFLOW / HM_ENOSPACE with ActiveMQ's text, or another error. */
    void (*refused)(void *ctx, void *baton, apr_status_t st, const char *text);
    /* A held send is dropped unanswered (the connection is closing): release baton. */
    void (*dropped)(void *ctx, void *baton);
    /* Stop (1) or restart (0) reading input: a send held that ActiveMQ answers by blocking the
     * connection (asynchronous, no producer window; or transacted). */
    void (*pause)(void *ctx, int paused);
    /* Space may have freed (any thread): call hm_flow_retry soon on the loop thread. */
    void (*wake)(void *ctx);
    /* The producer's id as text (malloc'd; NULL: "null"), asked only when a send is held or
     * refused, during hm_flow_send: the common path formats nothing. */
    char *(*producer_text)(const void *producer);
} hm_flow_ops_t;

typedef struct hm_flow_send_s {
    int transacted;                /* admit instead of routing */
    int pauses;                    /* holding it pauses the protocol's input */
    const void *producer;          /* the protocol's producer id (producer_text), or NULL */
} hm_flow_send_t;

apr_status_t hm_flow_create(hm_client_t *c, const hm_flow_ops_t *ops, void *ctx, hm_flow_t **out);
/* Sends (hm_send, with done/baton), admits (transacted), or holds msg.  APR_SUCCESS: routed (done
 * follows), admitted (admit ran) or held (a callback follows).  HM_EFLOW / HM_ENOSPACE: refused at
 * once, err holds ActiveMQ's text.  Other errors as hm_send's; neither done nor a callback runs. */
apr_status_t hm_flow_send(hm_flow_t *f, hm_msg_t *msg, const hm_flow_send_t *o,
                          hm_send_done_fn done, void *baton, char *err, size_t errlen);
/* Retries held sends in order, fails those past their timeout.  Loop thread (tick, wake). */
void hm_flow_retry(hm_flow_t *f, apr_time_t now);
int hm_flow_holding(const hm_flow_t *f);
/* Drops every held send (dropped runs for each) and frees f. */
void hm_flow_destroy(hm_flow_t *f);

/* ---------------------------------------------------------------- transactions */

/* One acknowledgement inside a transaction, resolved by the protocol at commit time. */
typedef struct hm_txack_s {
    uint64_t consumer;            /* hm_consumer_serial(); a consumer closed since is skipped */
    const char *message_id;       /* resolved under the broker lock when applied */
    int kind;                     /* hm_ack_e */
} hm_txack_t;

/* Commits a local transaction (or a one-phase XA commit): routes every message and applies
 * every acknowledgement atomically, in one store batch; done (when the batch is durable) as for
 * hm_send.  On an error nothing was sent (acknowledged deliveries may already be settled in
 * memory if the store itself failed; they come back after a restart). */
apr_status_t hm_commit(hm_client_t *c, hm_msg_t *const *msgs, int nmsgs, const hm_txack_t *acks,
                       int nacks, hm_send_done_fn done, void *baton, char *err, size_t errlen);

/* An XA transaction branch id (javax.transaction.xa.Xid). */
#define HM_XID_MAX 64
typedef struct hm_xid_s {
    int32_t format;
    uint8_t gtrid_len, bqual_len;          /* each <= HM_XID_MAX */
    uint8_t gtrid[HM_XID_MAX], bqual[HM_XID_MAX];
} hm_xid_t;

/* Prepares an XA branch: its messages stay invisible and the messages it acknowledges stay
 * locked until hm_xa_commit or hm_xa_rollback, from any connection and across restarts (the
 * prepared state is stored); done when durable.  Errors: HM_EEXISTS (already prepared), and
 * hm_commit's. */
apr_status_t hm_xa_prepare(hm_client_t *c, const hm_xid_t *xid, hm_msg_t *const *msgs, int nmsgs,
                           const hm_txack_t *acks, int nacks, hm_send_done_fn done, void *baton,
                           char *err, size_t errlen);
/* Completes a prepared branch; done when durable.  HM_ENOTFOUND: no such prepared branch. */
apr_status_t hm_xa_commit(hm_broker_t *b, const hm_xid_t *xid, hm_send_done_fn done, void *baton);
apr_status_t hm_xa_rollback(hm_broker_t *b, const hm_xid_t *xid, hm_send_done_fn done, void *baton);
int hm_xa_is_prepared(hm_broker_t *b, const hm_xid_t *xid);
/* The prepared branches (at most max written to out); returns how many exist. */
int hm_xa_recover(hm_broker_t *b, hm_xid_t *out, int max);

/* ---------------------------------------------------------------- consuming */

/* One message handed to one consumer and not yet settled. */
struct hm_delivery_s {
    hm_msg_t *msg;
    hm_dname_t dest;              /* the destination it is delivered from */
    int32_t redelivery_count;     /* times delivered before this one */
    uint64_t seq;                 /* per-consumer dispatch number */
    int group_first;              /* the first message of its group for this consumer */
};

typedef struct hm_consumer_ops_s {
    /* Hands a message to the protocol (broker lock held; encode and queue, do not block). */
    void (*deliver)(void *ctx, hm_consumer_t *c, hm_delivery_t *d);
    /* A pull (prefetch 0) found nothing before its timeout, or a browser reached the end. */
    void (*empty)(void *ctx, hm_consumer_t *c);
} hm_consumer_ops_t;

typedef struct hm_consumer_opts_s {
    hm_dname_t dest;              /* may be a wildcard (. * >) or composite (a,b) */
    const char *selector;         /* NULL or empty: none */
    int32_t prefetch;             /* 0: pull mode (hm_consumer_pull) */
    int no_local;
    int browser;
    int exclusive;
    int priority;
    const char *durable_name;     /* topics: a durable subscription of the client's client ID */
    const char *id;               /* the protocol's name for it (advisories); NULL: none */
    int credit;                   /* 1: AMQP-style link credit: prefetch is ignored and the
                                     consumer is handed only what hm_consumer_grant allows */
} hm_consumer_opts_t;

/* Errors: HM_ESELECTOR or HM_EINVAL with err naming the problem (selector, destination name);
 * HM_EEXISTS (a durable subscription that already has a consumer);
 * HM_EDENIED (consuming from another client's temporary destination); HM_ENOTFOUND (a temporary
 * destination that does not exist). */
apr_status_t hm_consumer_open(hm_client_t *c, const hm_consumer_opts_t *opts,
                              const hm_consumer_ops_t *ops, void *ctx, hm_consumer_t **out,
                              char *err, size_t errlen);
/* A durable subscription's topic, selector (NULL: none) and noLocal, in pool; HM_ENOTFOUND.  For
 * protocols that resume a subscription by name alone (AMQP's receiver without a source). */
apr_status_t hm_durable_lookup(hm_broker_t *b, const char *client_id, const char *name,
                               apr_pool_t *pool, char **topic, char **selector, int *no_local);
/* Deletes a durable subscription and its backlog.  HM_ENOTFOUND: none by that name;
 * HM_EPROTO: a consumer is still attached. */
apr_status_t hm_durable_remove(hm_client_t *c, const char *client_id, const char *name,
                               char *err, size_t errlen);

/* Returns every unsettled delivery to its queue.  Those whose message broker_seq <= last_delivered
 * (all, when last_delivered is UINT64_MAX) were seen by the application and count as delivered
 * once more (JMSRedelivered); the others go back as they were. */
void hm_consumer_close(hm_consumer_t *c, uint64_t last_delivered);

typedef enum {
    HM_ACK_POISON,            /* the client gave up on this delivery: dead-letter it */
    HM_ACK_CONSUMED,          /* this delivery is done */
    HM_ACK_CONSUMED_UPTO,     /* this one and every earlier delivery of the consumer are done */
    HM_ACK_DELIVERED_UPTO,    /* seen by the application: frees prefetch credit, not consumed */
    HM_ACK_REDELIVER_UPTO,    /* give these back now, counted as redelivered */
    HM_ACK_RELEASE,           /* give this one back, not counted (AMQP released) */
    HM_ACK_RETURN,            /* give this one back, counted as redelivered (AMQP modified) */
} hm_ack_e;
/* Dead-letters one delivery the client gave up on (cause: "<class>: <message>"). */
void hm_consumer_poison(hm_consumer_t *c, hm_delivery_t *d, const char *cause,
                        hm_send_done_fn done, void *baton);
/* The client found this delivery expired before handing it to the application: dead-lettered
 * as an expired message (by default only if persistent), as the broker's own expiry does. */
void hm_consumer_expired(hm_consumer_t *c, hm_delivery_t *d, hm_send_done_fn done, void *baton);
/* done (may be NULL) runs once the acknowledgement is durable (from the store's thread) or at
 * once when nothing needed storing. */
void hm_consumer_ack(hm_consumer_t *c, hm_delivery_t *d, hm_ack_e kind, hm_send_done_fn done,
                     void *baton);
/* The unsettled delivery of this message id, or NULL. */
hm_delivery_t *hm_consumer_find(hm_consumer_t *c, const char *message_id);
/* Prefetch-0 consumers ask for one message; timeout_ms < 0: answer now, 0: wait forever. */
void hm_consumer_pull(hm_consumer_t *c, int64_t timeout_ms);
void hm_consumer_set_prefetch(hm_consumer_t *c, int32_t prefetch);
/* A credit consumer (opts.credit) may be handed delta more messages (negative: fewer, never
 * below none); they are dispatched before this returns when they are there. */
void hm_consumer_grant(hm_consumer_t *c, int32_t delta);
hm_client_t *hm_consumer_client(const hm_consumer_t *c);
/* A broker-wide number naming the consumer for as long as it is open. */
uint64_t hm_consumer_serial(const hm_consumer_t *c);

/* Fires pull timeouts and other timed work; the server calls it periodically. */
void hm_broker_tick(hm_broker_t *b, apr_time_t now);

/* ---------------------------------------------------------------- connections (for protocols) */

/* A protocol plugs into the server through this table; the core never includes a protocol. */
typedef struct hm_proto_s {
    const char *name;
    /* 1: these first bytes are this protocol's, 0: they are not, -1: need more bytes. */
    int (*sniff)(const uint8_t *p, size_t len);
    /* A new connection; *state is the protocol's per-connection state. */
    apr_status_t (*open)(hm_conn_t *conn, void **state);
    /* Consumes whole frames from p[0..len), reporting how many bytes it used.  An error closes the
     * connection; the protocol logs the reason. */
    apr_status_t (*input)(void *state, const uint8_t *p, size_t len, size_t *used);
    /* Called about once a second on the connection's loop thread. */
    void (*tick)(void *state, apr_time_t now);
    /* The connection is going away: release core objects (consumers, client). */
    void (*close)(void *state);
    /* Optional: runs on the loop thread soon after hm_conn_kick (e.g. retry held sends). */
    void (*resume)(void *state);
} hm_proto_t;

/* The registry (main() fills it before listening): HM_EEXISTS for a second table of the same
 * name.  Not thread-safe: registration happens before any loop runs. */
apr_status_t hm_proto_register(const hm_proto_t *p);
const hm_proto_t *hm_proto_find(const char *name);

typedef struct hm_listen_opts_s {
    int64_t max_frame_size;
    int64_t max_inactivity_ms;
    int64_t max_inactivity_initial_delay_ms;
    int max_connections;
    int max_connections_per_address;   /* open connections from one remote ip; 0: no limit */
    int64_t connect_timeout_ms;    /* handshake deadline; 0: HM_DEFAULT_CONNECT_TIMEOUT_MS */
    int64_t amqp_max_frame_size;   /* AMQP frames (wireFormat.maxAmqpFrameSize); 0: the default */
    int64_t amqp_idle_timeout_ms;  /* AMQP idle-time-out announced (wireFormat.idleTimeout); 0: none */
} hm_listen_opts_t;

/* Queues bytes for sending (takes ownership of malloc'd data); safe from any thread. */
void hm_conn_send(hm_conn_t *conn, uint8_t *data, size_t len);
/* Closes after pending output is written; safe from the connection's own loop thread. */
void hm_conn_close(hm_conn_t *conn, const char *reason);
apr_pool_t *hm_conn_pool(hm_conn_t *conn);
/* Bytes queued for the peer and not yet written (the peer reads slower than we send). */
size_t hm_conn_output_queued(hm_conn_t *conn);
/* Runs the protocol's resume once the queued output is down to `below` bytes.  Loop thread. */
void hm_conn_wake_when_drained(hm_conn_t *conn, size_t below);
/* Asks the connection's loop to run the protocol's resume soon; safe from any thread. */
void hm_conn_kick(hm_conn_t *conn);
/* Stops (1) or restarts (0) reading the connection's input, so TCP pushes back on a producer
 * the broker cannot take more from; buffered input is fed again on restart.  Loop thread only. */
void hm_conn_pause_input(hm_conn_t *conn, int paused);
/* The protocol's handshake is complete: the connection may now buffer a whole frame (up to
 * max_frame_size) and its handshake deadline is lifted.  Loop thread only. */
void hm_conn_handshake_done(hm_conn_t *conn);
/* While a protocol waits for its client to log in (1), frames are held to HM_PRELOGIN_INPUT_MAX,
 * so an unauthenticated peer cannot make the broker buffer a large frame; 0 gives the frame
 * limit back.  Only a broker with users asks this (hm_broker_requires_login).  Loop thread. */
void hm_conn_login_wait(hm_conn_t *conn, int waiting);
int hm_broker_requires_login(const hm_broker_t *b);
/* The frame being received needs `bytes` in all (from its declared size): the input buffer grows
 * to that at once, within the limits.  Called from input() when it reports an incomplete frame. */
void hm_conn_expect(hm_conn_t *conn, size_t bytes);
const char *hm_conn_peer(const hm_conn_t *conn);
/* The verified TLS client certificate's subject ("CN=..., O=..." as Java prints it); NULL over
 * plain TCP or without one. */
const char *hm_conn_peer_subject(hm_conn_t *conn);
hm_broker_t *hm_conn_broker(const hm_conn_t *conn);
/* The connection came in on a TLS connector (ssl://, auto+ssl://). */
int hm_conn_is_tls(const hm_conn_t *conn);
const hm_listen_opts_t *hm_conn_opts(const hm_conn_t *conn);

#endif
