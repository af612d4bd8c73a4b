/* Internals shared by the configuration loader's files: the load context, error and
 * warning reporting with file:line:element, and table-driven attribute/element handling. */
#ifndef CFG_INT_H
#define CFG_INT_H

#include <apr_hash.h>
#include <libxml/tree.h>

#include "cfg.h"
#include "cfg_limits.h"

#define CFG_NS_CORE  "http://activemq.apache.org/schema/core"
#define CFG_NS_BEANS "http://www.springframework.org/schema/beans"
#define CFG_NS_XSI   "http://www.w3.org/2001/XMLSchema-instance"

typedef struct cfg_ctx_s {
    cfg_t *cfg;
    apr_pool_t *pool;                 /* cfg->pool */
    const char *name;                 /* file name in messages */
    const cfg_load_opts_t *opts;      /* never NULL (defaults filled in) */
    const char *dir_base, *dir_home, *dir_conf, *dir_data;
    char *err;
    size_t errlen;
    bool saw_interceptors;            /* <destinationInterceptors> present */
    bool saw_persistence;             /* <persistenceAdapter> present */
    const char *option;               /* URI option being read, named in messages */
    unsigned seen;                    /* CFG_SEEN_* bits: single-occurrence broker children */
    apr_hash_t *props;                /* ${name} values from placeholder beans' files; or NULL */
} cfg_ctx_t;

/* ---- reporting (cfg_report.c) ---- */
/* The line of an element's start tag or an attribute, as recorded while parsing. */
int cfg_line(const xmlNode *node, const xmlAttr *attr);
/* Formats the error into ctx->err and returns `code`. */
apr_status_t cfg_fail(cfg_ctx_t *ctx, const xmlNode *node, const xmlAttr *attr,
                      apr_status_t code, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
/* Logs a warning; returns APR_SUCCESS, or CFG_ESTRICT (with ctx->err filled) when strict. */
/* The same for a line with no element (XML syntax errors); line 0 names only the file. */
apr_status_t cfg_fail_at(cfg_ctx_t *ctx, int line, apr_status_t code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
apr_status_t cfg_warn(cfg_ctx_t *ctx, const xmlNode *node, const xmlAttr *attr,
                      const char *fmt, ...) __attribute__((format(printf, 4, 5)));
void cfg_info(cfg_ctx_t *ctx, const xmlNode *node, const xmlAttr *attr, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* ---- parsing a document safely (cfg_xml.c) ---- */
/* Parses with no network, no DTD, no entities, bounded depth; records start-tag and
 * attribute lines for cfg_line().  On failure fills ctx->err and returns the code. */
apr_status_t cfg_xml_parse(cfg_ctx_t *ctx, const char *xml, size_t len, xmlDoc **doc);

/* ---- values (cfg_value.c) ---- */
/* An attribute's value with ${...} expanded, in ctx->pool. */
apr_status_t cfg_attr_value(cfg_ctx_t *ctx, const xmlNode *node, const xmlAttr *attr,
                            const char **out);
/* The attribute `name` (no namespace) of node, or NULL. */
const xmlAttr *cfg_attr_find(const xmlNode *node, const char *name);
apr_status_t cfg_expand(cfg_ctx_t *ctx, const xmlNode *node, const xmlAttr *attr,
                        const char *raw, const char **out);
/* Typed parses of a text; on error fill ctx->err naming node/attr and return CFG_EVALUE. */
apr_status_t cfg_to_bool(cfg_ctx_t *ctx, const xmlNode *n, const xmlAttr *a, const char *s, bool *out);
apr_status_t cfg_to_int64(cfg_ctx_t *ctx, const xmlNode *n, const xmlAttr *a, const char *s,
                          int64_t min, int64_t max, int64_t *out);
apr_status_t cfg_to_size(cfg_ctx_t *ctx, const xmlNode *n, const xmlAttr *a, const char *s,
                         int64_t min, int64_t max, int64_t *out);
/* Splits "a, b,c" on commas into trimmed non-empty strings. */
apr_array_header_t *cfg_split_list(apr_pool_t *pool, const char *s);
const char *cfg_trim(apr_pool_t *pool, const char *s);

/* ---- side files (cfg_props.c) ---- */
/* A whole file of at most CFG_MAX_SIDE_FILE_BYTES, NUL-terminated, in pool; err names it. */
apr_status_t cfg_side_file(apr_pool_t *pool, const char *path, char **text, size_t *len,
                           char *err, size_t errlen);
/* A Java .properties file as java.util.Properties reads it: name -> value (strings in pool). */
apr_status_t cfg_props_read(apr_pool_t *pool, const char *path, apr_hash_t **out, char *err,
                            size_t errlen);
/* The same for text in memory (path names it in err). */
apr_status_t cfg_props_parse(apr_pool_t *pool, const char *path, const char *text, size_t len,
                             apr_hash_t **out, char *err, size_t errlen);

/* The PropertyPlaceholderConfigurer beans of a <beans> document (cfg_placeholder.c): their
 * files' values into ctx->props, ENC() values decrypted.  Before anything else is read. */
apr_status_t cfg_placeholder_beans(cfg_ctx_t *ctx, xmlNode *beans);

/* <jaasAuthenticationPlugin> (cfg_jaas.c); target is the cfg_plugins_t. */
apr_status_t cfg_jaas_plugin(cfg_ctx_t *ctx, xmlNode *node, void *target);
/* login.config text (j->login_config names it; relative files resolve against its directory):
 * j->configuration's entry into j's file names and options (the fuzz target's entry point). */
apr_status_t cfg_jaas_parse(cfg_jaas_t *j, apr_pool_t *pool, const char *text, size_t len,
                            char *err, size_t errlen);
/* <jaasCertificateAuthenticationPlugin>: the same with a TextFileCertificateLoginModule. */
apr_status_t cfg_jaas_cert_plugin(cfg_ctx_t *ctx, xmlNode *node, void *target);
/* <jaasDualAuthenticationPlugin>: configuration= for plain connectors, sslConfiguration= (a
 * TextFileCertificateLoginModule) for TLS ones. */
apr_status_t cfg_jaas_dual_plugin(cfg_ctx_t *ctx, xmlNode *node, void *target);

/* ---- table-driven attributes and children (cfg_walk.c) ---- */
typedef enum {
    CFG_A_STR,        /* const char * */
    CFG_A_BOOL,       /* bool */
    CFG_A_INT,        /* int, within [min, max] */
    CFG_A_I64,        /* int64_t (counts, milliseconds), within [min, max] */
    CFG_A_SIZE,       /* int64_t bytes from an ActiveMQ size string, within [min, max] */
    CFG_A_SKIP,       /* handled by the element's own code */
    CFG_A_QUIET,      /* known, meaningless for hermod: ignored silently */
    CFG_A_WARN,       /* known ActiveMQ tuning hermod does not need: warned, ignored */
    CFG_A_WARN_TRUE,  /* boolean whose "true" hermod does not honour: warned when true */
    CFG_A_REFUSE_TRUE,/* boolean whose "true" changes semantics hermod lacks: error when true */
    CFG_A_REFUSE      /* any value is an error */
} cfg_attr_kind_e;

typedef struct cfg_attr_spec_s {
    const char *name;
    cfg_attr_kind_e kind;
    size_t offset;                    /* into the target struct */
    int64_t min, max;
    const char *note;                 /* why ignored/refused, for the message */
} cfg_attr_spec_t;

#define CFG_ATTR(n, k, type, field, lo, hi) { n, k, offsetof(type, field), lo, hi, NULL }
#define CFG_ATTR_NOTE(n, k, note) { n, k, 0, 0, 0, note }

/* Stores one (expanded) value per its spec into target; errors name node/attr. */
apr_status_t cfg_apply(cfg_ctx_t *ctx, const xmlNode *node, const xmlAttr *a,
                       const cfg_attr_spec_t *spec, const char *value, void *target);
const cfg_attr_spec_t *cfg_find_spec(const cfg_attr_spec_t *specs, size_t n, const char *name);
/* Applies `specs` to every attribute of node, writing into `target`.  Attributes not in
 * the table are warned about (hermod does not know them); xsi:* are ignored. */
apr_status_t cfg_attrs(cfg_ctx_t *ctx, const xmlNode *node, const cfg_attr_spec_t *specs,
                       size_t nspecs, void *target);

typedef apr_status_t (*cfg_elem_fn)(cfg_ctx_t *ctx, xmlNode *node, void *target);

typedef enum {
    CFG_E_PARSE,      /* handled by fn */
    CFG_E_WARN,       /* known ActiveMQ element hermod does not need: warned, skipped */
    CFG_E_INFO,       /* known, harmless: logged at INFO, skipped */
    CFG_E_REFUSE      /* known ActiveMQ element hermod cannot honour: error */
} cfg_elem_kind_e;

typedef struct cfg_elem_spec_s {
    const char *name;
    cfg_elem_kind_e kind;
    cfg_elem_fn fn;
    const char *note;
} cfg_elem_spec_t;

/* Dispatches each child element of node through `specs`.  Children must be in the
 * ActiveMQ core namespace or none; an unknown child is CFG_EUNKNOWN; non-blank text is
 * refused.  Comments and processing instructions are skipped. */
apr_status_t cfg_children(cfg_ctx_t *ctx, xmlNode *node, const cfg_elem_spec_t *specs,
                          size_t nspecs, void *target);
/* Whether node is an element hermod reads (core namespace or none). */
bool cfg_is_core(const xmlNode *node);
/* Refuses a second occurrence of a single-occurrence element. */
apr_status_t cfg_once(cfg_ctx_t *ctx, const xmlNode *node, unsigned bit);
/* Pushes onto a list, refusing more than CFG_MAX_LIST entries. */
apr_status_t cfg_push(cfg_ctx_t *ctx, const xmlNode *node, apr_array_header_t *arr, void **slot);

#define CFG_NELEMS(a) (sizeof(a) / sizeof((a)[0]))

/* ---- sections (one file each) ---- */
apr_status_t cfg_broker_element(cfg_ctx_t *ctx, xmlNode *broker);
apr_status_t cfg_transport_connectors(cfg_ctx_t *ctx, xmlNode *node, void *target);
apr_status_t cfg_parse_uri(cfg_ctx_t *ctx, const xmlNode *node, const xmlAttr *attr,
                           const char *uri, cfg_connector_t *c, bool *skip);
apr_status_t cfg_persistence_adapter(cfg_ctx_t *ctx, xmlNode *node, void *target);
apr_status_t cfg_system_usage(cfg_ctx_t *ctx, xmlNode *node, void *target);
apr_status_t cfg_destination_policy(cfg_ctx_t *ctx, xmlNode *node, void *target);
apr_status_t cfg_destination_interceptors(cfg_ctx_t *ctx, xmlNode *node, void *target);
apr_status_t cfg_destinations(cfg_ctx_t *ctx, xmlNode *node, void *target);
apr_status_t cfg_plugins(cfg_ctx_t *ctx, xmlNode *node, void *target);
apr_status_t cfg_ssl_context(cfg_ctx_t *ctx, xmlNode *node, void *target);
apr_status_t cfg_web_console(cfg_ctx_t *ctx, xmlNode *node, void *target);
/* After the whole <broker>: what <webConsole> needs of other elements (https: <sslContext>). */
apr_status_t cfg_web_check(cfg_ctx_t *ctx, xmlNode *broker);

void cfg_policy_defaults(cfg_policy_t *p);
void cfg_redelivery_defaults(cfg_redelivery_policy_t *r);
/* Reads queue=/topic=/tempQueue=/tempTopic= of a destination-map entry into kind/pattern
 * list; an entry naming several destinations ("A,B") yields one pattern each. */
apr_status_t cfg_entry_destinations(cfg_ctx_t *ctx, const xmlNode *node, bool required,
                                    cfg_dest_kind_e *kind, apr_array_header_t **patterns);

#endif
