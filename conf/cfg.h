/* hermod configuration: an activemq.xml-shaped XML file loaded with libxml2 into plain C
 * structs the broker reads directly.
 *
 * A loaded configuration owns one APR pool (cfg->pool, a subpool of the caller's pool);
 * every string, array and struct below lives in it and stays valid until cfg_destroy()
 * or the parent pool is destroyed.  A loaded cfg_t is read-only: many threads may read it.
 *
 * What is accepted, warned about, or refused is listed in conf/README.md; the schema of
 * everything hermod understands is conf/hermod.xsd. */
#ifndef CFG_H
#define CFG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <apr_pools.h>
#include <apr_tables.h>

#include "hm_log.h"
#include "hm_status.h"

/* Status codes (block 5).  I/O failures opening or reading the file come back as APR's own
 * codes (e.g. APR_ENOENT).  Every error also fills the caller's buffer with
 * "<file>:<line>: <element>: [attribute "x": ]<what is wrong>". */
#define CFG_EXML          (HM_ERRSPACE(5) + 1)  /* not well-formed XML, a DOCTYPE/entity, too deep */
#define CFG_ETOOBIG       (HM_ERRSPACE(5) + 2)  /* file or a list larger than cfg_limits.h allows */
#define CFG_EUNKNOWN      (HM_ERRSPACE(5) + 3)  /* an element hermod does not know */
#define CFG_EVALUE        (HM_ERRSPACE(5) + 4)  /* a bad value: port, size, number, boolean, URI */
#define CFG_EMISSING      (HM_ERRSPACE(5) + 5)  /* a required element or attribute is absent */
#define CFG_EUNSUPPORTED  (HM_ERRSPACE(5) + 6)  /* a known ActiveMQ feature hermod cannot honour */
#define CFG_EPLACEHOLDER  (HM_ERRSPACE(5) + 7)  /* ${name} with no value */
#define CFG_ESTRICT       (HM_ERRSPACE(5) + 8)  /* a warning, refused because opts->strict */

/* ---- load options ---------------------------------------------------------------- */

/* Receives INFO and WARN messages (already prefixed "file:line: <element>: ").
 * The default (opts->log == NULL) writes them with hm_log(). */
typedef void (*cfg_log_fn)(void *baton, hm_log_level_e level, const char *msg);

typedef struct cfg_property_s {
    const char *name;                 /* "${name}" in the file */
    const char *value;
} cfg_property_t;

typedef struct cfg_load_opts_s {
    /* Values of the ActiveMQ placeholders.  NULL picks the default shown. */
    const char *base_dir;             /* ${activemq.base}: "." */
    const char *home_dir;             /* ${activemq.home}: base_dir */
    const char *conf_dir;             /* ${activemq.conf}: the loaded file's directory
                                         (cfg_load_file) or base_dir/conf */
    const char *data_dir;             /* ${activemq.data}: base_dir/data */
    const cfg_property_t *properties; /* further ${name} values, checked first */
    size_t nproperties;
    cfg_log_fn log;
    void *log_baton;
    bool strict;                      /* every warning is an error (CFG_ESTRICT) */
} cfg_load_opts_t;

/* ---- transport connectors ------------------------------------------------------- */

typedef enum {
    CFG_SCHEME_TCP,                   /* OpenWire; also nio:// */
    CFG_SCHEME_SSL,                   /* OpenWire over TLS; also nio+ssl:// */
    CFG_SCHEME_AMQP,                  /* AMQP 1.0; also amqp+nio:// */
    CFG_SCHEME_AMQP_SSL,              /* AMQP 1.0 over TLS; also amqp+nio+ssl:// */
    CFG_SCHEME_AUTO,                  /* protocol sniffed per connection; also auto+nio:// */
    CFG_SCHEME_AUTO_SSL               /* the same over TLS; also auto+nio+ssl:// */
} cfg_scheme_e;

#define CFG_PROTO_OPENWIRE  0x1u
#define CFG_PROTO_AMQP      0x2u

typedef struct cfg_connector_s {
    const char *name;                 /* name=, or the URI when absent (as ActiveMQ) */
    const char *uri;                  /* as written, placeholders expanded */
    const char *scheme_text;          /* as written: "tcp", "nio+ssl", ... */
    cfg_scheme_e scheme;
    unsigned protocols;               /* CFG_PROTO_*: what this listener accepts */
    bool tls;
    const char *host;                 /* "0.0.0.0", "127.0.0.1", "::" (no brackets), a name */
    int port;                         /* 1..65535 */
    int line;                         /* of <transportConnector>, for the broker's messages */

    int max_connections;              /* maximumConnections; 0 = no limit (ActiveMQ's default) */
    int max_connections_per_address;  /* maximumConnectionsPerAddress (hermod); 0 = no limit */
    int backlog;                      /* listen backlog; default 128 */
    int64_t connect_timeout_ms;       /* transport.connectAttemptTimeout (also connectionTimeout,
                                         wireFormat.connectAttemptTimeout): time to finish the
                                         handshake; default 10000 (ActiveMQ: 30000); 0: 10000 */
    /* OpenWire wire format (wireFormat.*) */
    int64_t max_frame_size;           /* bytes; default 104857600 (100 MiB); AMQP: max message */
    bool max_frame_size_enabled;      /* default true */
    int64_t max_inactivity_ms;        /* default 30000; 0 = no inactivity monitor */
    int64_t max_inactivity_initial_delay_ms; /* default 10000 */
    bool tight_encoding;              /* default true (offered; the client negotiates) */
    bool cache_enabled;               /* default true */
    int cache_size;                   /* default 1024 */
    bool size_prefix_disabled;        /* default false */
    bool stack_trace_enabled;         /* default true */
    bool tcp_no_delay_enabled;        /* wireFormat.tcpNoDelayEnabled, default true */
    int max_wire_version;             /* wireFormat.version; default 12 */
    /* AMQP (amqp and auto schemes) */
    int64_t amqp_max_frame_size;      /* wireFormat.maxAmqpFrameSize; default 131072 */
    int64_t amqp_idle_timeout_ms;     /* wireFormat.idleTimeout; default 30000 */
    bool amqp_allow_non_sasl;         /* wireFormat.allowNonSaslConnections; default false */
    int amqp_producer_credit;         /* transport.producerCredit; default 1000 */
    int amqp_prefetch;                /* transport.prefetch; default 0 = broker default */
    const char *amqp_transformer;     /* transport.transformer: "jms" (default), "native", "raw" */
    /* socket (transport.*) */
    bool tcp_no_delay;                /* transport.tcpNoDelay; default true */
    bool keep_alive;                  /* transport.keepAlive (SO_KEEPALIVE); default false */
    int socket_buffer_size;           /* transport.socketBufferSize; 0 = OS default */
    int64_t so_timeout_ms;            /* transport.soTimeout; 0 = none */
    int64_t so_write_timeout_ms;      /* transport.soWriteTimeout; 0 = none */
    bool use_inactivity_monitor;      /* transport.useInactivityMonitor; default true */
    bool use_keep_alive;              /* transport.useKeepAlive (OpenWire KeepAliveInfo); true */
    /* TLS (needs cfg->tls) */
    bool need_client_auth;            /* needClientAuth / transport.needClientAuth */
    bool want_client_auth;            /* wantClientAuth / transport.wantClientAuth */
    const char *enabled_protocols;    /* transport.enabledProtocols, e.g. "TLSv1.2,TLSv1.3"; NULL */
    const char *enabled_cipher_suites;/* transport.enabledCipherSuites (IANA names); NULL */
    /* <transportConnector> attributes */
    bool allow_link_stealing;         /* default false */
    int max_producers_per_connection; /* 0 = no limit */
    int max_consumers_per_connection; /* 0 = no limit */
} cfg_connector_t;

/* ---- persistence ------------------------------------------------------------------- */

typedef enum {
    CFG_STORE_BDB,                    /* <bdb>, <kahaDB> (mapped), or the default */
    CFG_STORE_MEMORY                  /* persistent="false" or <memoryPersistenceAdapter> */
} cfg_store_kind_e;

typedef enum {
    CFG_SYNC_ALWAYS,                  /* a commit is on disk before the producer's reply */
    CFG_SYNC_BATCH,                   /* written at once, flushed every group_commit_ms */
    CFG_SYNC_NONE                     /* left to the OS and checkpoints */
} cfg_sync_e;

typedef enum {
    CFG_LOCKER_EXCLUSIVE,             /* DIR/hermod.lock, flock: released by the kernel on exit */
    CFG_LOCKER_LEASE                  /* DIR/hermod.lease: renewed, lapses unless renewed */
} cfg_locker_e;

typedef struct cfg_store_s {
    cfg_store_kind_e kind;
    const char *configured_as;        /* "bdb", "kahaDB", "mKahaDB", "levelDB", "default", ... */
    const char *directory;            /* default <dataDirectory>/bdb; kahaDB default
                                         <dataDirectory>/kahadb; relative to the cwd */
    int64_t cache_size;               /* bytes; default 64 MiB */
    int64_t log_file_size;            /* bytes; default 32 MiB (kahaDB journalMaxFileLength) */
    cfg_sync_e sync;                  /* default always */
    int group_commit_ms;              /* always: longest wait to share one flush (default 0);
                                         batch: flush interval (default 100) */
    bool delete_all_on_startup;       /* broker deleteAllMessagesOnStartup */
    int line;                         /* of the adapter element, 0 for the default */
    /* Who may open the store: one broker at a time by an exclusive lock file (the default), or
     * a primary/replica pair by a time-limited lease file (<locker><lease-file-locker/>, or
     * ActiveMQ's <shared-file-locker>/<lease-database-locker> read as it). */
    cfg_locker_e locker;
    int lease_ms;                     /* lockAcquireSleepInterval: how long a lease lasts after its
                                         last renewal (default 10000) */
    int keep_alive_ms;                /* lockKeepAlivePeriod: renewal period (default lease / 4);
                                         less than the lease */
    bool fail_if_locked;              /* failIfLocked: exit instead of waiting as standby */
    const char *lease_holder_id;      /* leaseHolderId: the name in the lease (default brokerName) */
    int locker_line;
} cfg_store_t;

/* ---- system usage -------------------------------------------------------------------- */

typedef struct cfg_usage_s {
    int64_t memory_limit;             /* bytes; default 1 GiB */
    int64_t store_limit;              /* bytes; default 100 GiB */
    int store_percent_limit;          /* percentLimit of the disk; 0 = unset */
    int64_t temp_limit;               /* bytes; default 50 GiB */
    int temp_percent_limit;           /* 0 = unset */
    bool send_fail_if_no_space;       /* default false: producers block */
    int64_t send_fail_if_no_space_after_timeout_ms; /* 0 = unset */
} cfg_usage_t;

/* ---- destination policies ------------------------------------------------------------ */

typedef enum {
    CFG_DEST_QUEUE, CFG_DEST_TOPIC, CFG_DEST_TEMP_QUEUE, CFG_DEST_TEMP_TOPIC
} cfg_dest_kind_e;

typedef enum {
    CFG_DLQ_SHARED,                   /* one queue for all (default "ActiveMQ.DLQ") */
    CFG_DLQ_INDIVIDUAL,               /* a DLQ per destination: prefix + name + suffix */
    CFG_DLQ_DISCARD                   /* discardingDeadLetterStrategy: drop */
} cfg_dlq_kind_e;

typedef struct cfg_dlq_s {
    cfg_dlq_kind_e kind;
    const char *shared_queue;         /* shared: default "ActiveMQ.DLQ" */
    const char *queue_prefix;         /* individual: default "DLQ." */
    const char *topic_prefix;         /* individual: default "DLQ." */
    const char *queue_suffix;         /* individual: default "" */
    const char *topic_suffix;         /* individual: default "" */
    bool use_queue_for_queue_messages;/* default true */
    bool use_queue_for_topic_messages;/* default true */
    bool process_expired;             /* default true */
    bool process_non_persistent;      /* default false */
    int64_t expiration_ms;            /* expiration set on DLQ'd messages; 0 = none */
    bool destination_per_durable_subscriber; /* individual: one DLQ per durable subscription */
} cfg_dlq_t;

typedef enum { CFG_DISPATCH_ROUND_ROBIN, CFG_DISPATCH_STRICT_ORDER } cfg_dispatch_e;

typedef struct cfg_policy_s {
    cfg_dest_kind_e kind;
    const char *pattern;              /* "FOO.>", "*.BAR", ...; NULL in cfg->default_policy */
    int line;
    bool producer_flow_control;       /* default true */
    int64_t memory_limit;             /* bytes; 0 = share the broker's memory limit */
    bool prioritized_messages;        /* default false */
    int64_t expire_messages_period_ms;/* default 30000; 0 = no periodic expiry */
    int max_page_size;                /* default 200 */
    int max_browse_page_size;         /* default 400 */
    bool use_cache;                   /* default true */
    int queue_prefetch;               /* -1 = unset (client decides) */
    int topic_prefetch;               /* -1 = unset */
    int durable_topic_prefetch;       /* -1 = unset */
    int queue_browser_prefetch;       /* -1 = unset */
    bool gc_inactive_destinations;    /* default false */
    int64_t inactive_timeout_before_gc_ms; /* default 60000 */
    bool all_consumers_exclusive_by_default; /* default false */
    bool use_consumer_priority;       /* default true */
    bool enable_audit;                /* duplicate detection; default true */
    int max_audit_depth;              /* default 2048 */
    int max_producers_to_audit;       /* default 64 */
    bool persist_jms_redelivered;     /* default false */
    bool advisory_for_consumed;       /* default false */
    bool advisory_for_delivery;       /* default false */
    bool advisory_when_full;          /* default false */
    bool send_advisory_if_no_consumers; /* default false */
    bool advisory_for_slow_consumers; /* default false */
    bool advisory_for_fast_producers; /* default false */
    int pending_message_limit;        /* constantPendingMessageLimitStrategy; -1 = none */
    int cursor_high_water;            /* cursorMemoryHighWaterMark: % of the memory limit past
                                         which non-persistent messages spill; default 70 */
    bool vm_cursor;                   /* <pendingQueuePolicy><vmQueueCursor/> (queues) or
                                         <pendingSubscriberPolicy><vmCursor/> (topics): messages
                                         stay in memory, never spill to <tempUsage> */
    int max_destinations;             /* destinations this wildcard entry may create; -1 = any */
    int send_fail_if_no_space;        /* -1 = as <systemUsage>; 0/1 overrides */
    int64_t send_fail_if_no_space_after_timeout_ms; /* 0 = as <systemUsage> */
    cfg_dispatch_e dispatch;          /* dispatchPolicy; default round robin */
    cfg_dlq_t dlq;
} cfg_policy_t;

/* ---- virtual destinations ------------------------------------------------------------ */

typedef enum {
    CFG_VIRTUAL_TOPIC,                /* <virtualTopic>: Consumer.<id>.VirtualTopic.X queues */
    CFG_COMPOSITE_QUEUE,
    CFG_COMPOSITE_TOPIC
} cfg_virtual_kind_e;

typedef struct cfg_forward_s {
    bool is_queue;
    const char *name;                 /* physicalName */
    const char *selector;             /* <filteredDestination selector=>; NULL = all */
} cfg_forward_t;

typedef struct cfg_virtual_s {
    cfg_virtual_kind_e kind;
    const char *name;                 /* virtualTopic default ">"; a pattern */
    int line;
    /* virtualTopic */
    const char *prefix;               /* default "Consumer.*." */
    const char *postfix;              /* default "" */
    bool selector_aware;              /* default false */
    bool local;                       /* default false */
    bool drop_on_resource_limit;      /* default false */
    /* composite */
    bool forward_only;                /* default true */
    bool copy_message;                /* default true */
    apr_array_header_t *forward_to;   /* of cfg_forward_t */
} cfg_virtual_t;

/* ---- security ------------------------------------------------------------------------ */

typedef struct cfg_user_s {
    const char *username;
    const char *password;             /* NULL for a certificate user */
    const char *dn;                   /* jaasCertificateAuthenticationPlugin: the subject DN */
    apr_array_header_t *groups;       /* of const char * */
} cfg_user_t;

typedef enum { CFG_AUTHZ_READ, CFG_AUTHZ_WRITE, CFG_AUTHZ_ADMIN } cfg_authz_op_e;

typedef struct cfg_authz_entry_s {
    cfg_dest_kind_e kind;
    const char *pattern;
    int line;
    apr_array_header_t *groups[3];    /* [cfg_authz_op_e] of const char *; "*" = everyone */
} cfg_authz_entry_t;

typedef struct cfg_redelivery_policy_s {
    cfg_dest_kind_e kind;
    const char *pattern;              /* NULL for the default entry */
    int maximum_redeliveries;         /* default 6; -1 = forever */
    int64_t initial_redelivery_delay_ms; /* default 1000 */
    int64_t redelivery_delay_ms;      /* default 1000 */
    int64_t maximum_redelivery_delay_ms; /* default -1 = none */
    bool use_exponential_backoff;     /* default false */
    double backoff_multiplier;        /* default 5.0 */
} cfg_redelivery_policy_t;

/* <jaasAuthenticationPlugin configuration="activemq"/>: the entry of login.config it names,
 * which must be one org.apache.activemq.jaas.PropertiesLoginModule (or, for
 * <jaasCertificateAuthenticationPlugin>, one TextFileCertificateLoginModule).  Its users and
 * groups are read at load into plugins.users (cfg_jaas.c). */
typedef struct cfg_jaas_s {
    const char *configuration;        /* the login.config entry; default "activemq" */
    const char *login_config;         /* the file read ($ACTIVEMQ_CONF/ or beside the XML) */
    const char *users_file;           /* absolute: org.apache.activemq.jaas.properties.user */
    const char *groups_file;          /* absolute: org.apache.activemq.jaas.properties.group */
    bool reload;                      /* reload=true: reread when the files change */
    bool certificates;                /* jaasCertificateAuthenticationPlugin: users by client
                                         certificate (TextFileCertificateLoginModule: user=DN) */
    int64_t users_mtime, groups_mtime, users_size, groups_size;   /* as last read */
} cfg_jaas_t;

typedef struct cfg_plugins_s {
    bool authentication;              /* <simpleAuthenticationPlugin> or <jaasAuthenticationPlugin> */
    cfg_jaas_t *jaas;                 /* the JAAS plugin; NULL for simple authentication */
    cfg_jaas_t *jaas_ssl;             /* jaasDualAuthenticationPlugin: the TLS connectors' entry */
    apr_array_header_t *ssl_users;    /* ... its certificate users (cfg_user_t with dn) */
    bool anonymous_access_allowed;    /* default false */
    const char *anonymous_user;       /* default "anonymous" */
    const char *anonymous_group;      /* default "anonymous" */
    apr_array_header_t *users;        /* of cfg_user_t */

    bool authorization;               /* <authorizationPlugin> present */
    apr_array_header_t *authz_entries;/* of cfg_authz_entry_t, file order */
    cfg_authz_entry_t *authz_default; /* <defaultEntry>; NULL if absent */
    cfg_authz_entry_t *authz_temp;    /* <tempDestinationAuthorizationEntry>; NULL if absent */

    bool statistics;                  /* <statisticsBrokerPlugin/> */

    bool redelivery;                  /* <redeliveryPlugin> present (parsed; see README) */
    bool redelivery_fallback_to_dlq;  /* fallbackToDeadLetter, default true */
    bool redelivery_send_to_dlq_if_max_exceeded; /* default true */
    apr_array_header_t *redelivery_policies; /* of cfg_redelivery_policy_t (default first) */
} cfg_plugins_t;

typedef enum { CFG_TLS_PEM, CFG_TLS_PKCS12 } cfg_tls_format_e;

typedef struct cfg_tls_s {
    cfg_tls_format_e format;
    const char *certificate;          /* PEM: certificate chain file */
    const char *private_key;          /* PEM: private key file */
    const char *private_key_password; /* may be NULL */
    const char *key_store;            /* PKCS12: keyStore file */
    const char *key_store_password;
    const char *ca_certificate;       /* PEM CA bundle to verify clients; NULL = none */
    const char *trust_store;          /* PKCS12 trustStore (instead of ca_certificate); NULL */
    const char *trust_store_password;
    const char *crl_path;             /* crlPath=: revoked client certificates (PEM); NULL */
    const char *protocol;             /* protocol= ("TLS" default) */
    int line;
} cfg_tls_t;

/* ---- the whole configuration ------------------------------------------------------------ */

/* <webConsole>: hermod's management HTTP side (console, JSON API, metrics). */
typedef struct cfg_web_s {
    const char *uri;                  /* as written, e.g. "http://127.0.0.1:8161" */
    bool https;                       /* uri is https://: served with <sslContext>'s PEM files */
    const char *host;                 /* from uri: an address (IPv6 without brackets) or name */
    int port;
    bool allow_remote_without_auth;   /* serve a non-loopback address without authentication */
    const char *admin_group;          /* the group whose users may use it; default "admins" */
    int line;
} cfg_web_t;

typedef struct cfg_destination_s {
    bool is_queue;
    const char *name;
} cfg_destination_t;

typedef struct cfg_s {
    apr_pool_t *pool;                 /* owns everything below */
    const char *source;               /* the file name used in messages */

    const char *broker_name;          /* brokerName; default "localhost" */
    const char *broker_id;            /* brokerId; NULL = the broker generates one */
    const char *data_directory;       /* dataDirectory; default "data" (relative: to the cwd) */
    bool persistent;                  /* default true */
    bool scheduler_support;           /* default false */
    bool advisory_support;            /* default true */
    bool use_virtual_topics;          /* default true */
    bool enable_statistics;           /* default true */
    bool populate_jmsx_user_id;       /* default false */
    bool use_authenticated_principal_for_jmsx_user_id; /* default false */
    bool allow_temp_auto_creation_on_send; /* default false */
    bool reject_durable_consumers;    /* default false */
    bool keep_durable_subs_active;    /* default true */
    int64_t offline_durable_subscriber_timeout_ms;  /* default -1 = never */
    int64_t offline_durable_subscriber_task_schedule_ms; /* default 300000 */
    int64_t schedule_period_for_destination_purge_ms; /* default 0 = off */
    int max_purged_destinations_per_sweep;          /* default 0 = all */
    bool enable_message_expiration_on_active_durable_subs; /* default false */
    int max_scheduler_repeat_allowed; /* default 1000 */
    int64_t input_buffer_limit;       /* hermod: inputBufferLimit, bytes all connections' input
                                         buffers may hold above 64 KiB each; default 512 MiB */

    apr_array_header_t *connectors;   /* of cfg_connector_t, file order */
    cfg_store_t store;
    cfg_usage_t usage;

    apr_array_header_t *policies;     /* of cfg_policy_t, file order; use cfg_policy_for */
    cfg_policy_t default_policy;      /* what cfg_policy_for returns when nothing matches */

    apr_array_header_t *virtuals;     /* of cfg_virtual_t; holds VirtualTopic.> when
                                         useVirtualTopics and no <destinationInterceptors> */
    apr_array_header_t *destinations; /* of cfg_destination_t: <destinations> created at start */
    cfg_plugins_t plugins;
    cfg_tls_t *tls;                   /* <sslContext>; NULL when absent */
    cfg_web_t *web;                   /* <webConsole>; NULL when absent (not served) */
} cfg_t;

/* ---- API --------------------------------------------------------------------------------- */

/* Loads and checks the configuration file at `path` (at most CFG_MAX_FILE_BYTES).
 * Call the loaders from one thread at a time (libxml2 initialises itself on first use).
 * On success *out is a configuration in a new subpool of `parent`.  On failure *out is
 * NULL, nothing is left allocated in `parent`, and `err` (if errlen > 0) holds a message
 * naming file, line and element.  `opts` may be NULL. */
apr_status_t cfg_load_file(apr_pool_t *parent, const char *path, const cfg_load_opts_t *opts,
                           cfg_t **out, char *err, size_t errlen);

/* The same for a document in memory; `name` is what messages call it. */
apr_status_t cfg_load_memory(apr_pool_t *parent, const char *name, const char *xml, size_t len,
                             const cfg_load_opts_t *opts, cfg_t **out, char *err, size_t errlen);

/* Frees a configuration (destroys cfg->pool). */
void cfg_destroy(cfg_t *cfg);

/* The policy entry that applies to destination `name`, chosen as ActiveMQ's PolicyMap does:
 * an entry naming exactly this destination first, then the most specific matching wildcard
 * ("FOO.BAR.*" before "FOO.>" before ">"), then the lowest name (where ActiveMQ's own
 * choice depends on hash order, a fixed rule described in conf/README.md).  Never NULL:
 * with no match it returns &cfg->default_policy.  Wildcards: "." separates segments, "*" is
 * one segment, a final ">" the remaining segments (zero or more: "FOO.>" matches "FOO").
 * Cost grows with the number of entries: look up once per destination and keep the answer. */
const cfg_policy_t *cfg_policy_for(const cfg_t *cfg, bool is_queue, const char *name);
const cfg_policy_t *cfg_policy_lookup(const cfg_t *cfg, cfg_dest_kind_e kind, const char *name);

/* Whether a user in `groups` may perform `op` on a destination, as ActiveMQ's
 * DefaultAuthorizationMap decides: the union of the groups of every matching entry plus
 * <defaultEntry> (temporary destinations use <tempDestinationAuthorizationEntry>); no
 * matching entry denies.  Always true when no <authorizationPlugin> is configured. */
bool cfg_authz_permits(const cfg_t *cfg, cfg_dest_kind_e kind, const char *name,
                       cfg_authz_op_e op, const char *const *groups, size_t ngroups);

/* An ENC(...) value's inside as Jasypt's StandardPBEStringEncryptor (PBEWithMD5AndDES, 1000
 * iterations, 8-byte salt) made it: the plain text in pool, CFG_EVALUE when it does not
 * decrypt (wrong password or not Jasypt's), CFG_EUNSUPPORTED without OpenSSL's DES. */
apr_status_t cfg_jasypt_decrypt(apr_pool_t *pool, const char *password, const char *b64,
                                const char **out);

/* reload=true: the users read again when either properties file changed since the last read
 * (*users NULL when neither did), as cfg_user_t in pool.  One caller at a time per j. */
apr_status_t cfg_jaas_reload(cfg_jaas_t *j, apr_pool_t *pool, apr_array_header_t **users,
                             char *err, size_t errlen);

/* The dead letter destination for a message from destination `dest` (is_queue) under policy
 * p, as ActiveMQ's dead letter strategies name it: the shared queue, or prefix + name (+ "." +
 * durable_key for destinationPerDurableSubscriber; durable_key is the subscription's
 * "clientId:subscriptionName", NULL when not a durable subscription) + suffix.  Returns
 * the name (in pool) and sets *dlq_is_queue, or NULL when the policy discards dead letters. */
const char *cfg_dlq_for(const cfg_policy_t *p, bool is_queue, const char *dest,
                        const char *durable_key, apr_pool_t *pool, bool *dlq_is_queue);

/* The redelivery policy for a destination (redeliveryPlugin), or NULL when none applies. */
const cfg_redelivery_policy_t *cfg_redelivery_for(const cfg_t *cfg, cfg_dest_kind_e kind,
                                                  const char *name);

/* Whether destination-name `pattern` matches `name`, exactly as ActiveMQ's DestinationFilter
 * decides (see conf/README.md, "Matching"). */
bool cfg_dest_matches(const char *pattern, const char *name);

/* Parses an ActiveMQ size string: "64 mb", "1 gb", "512kb", "1024", "10 b" (k/m/g are
 * powers of 1024, case-insensitive).  APR_SUCCESS, or CFG_EVALUE when malformed/overflowing. */
apr_status_t cfg_parse_size(const char *text, int64_t *out);

/* Registers the cfg_ codes with hm_strerror (idempotent; the loaders call it). */
void cfg_status_init(void);

#endif
