/* Loading a configuration: reading the file (bounded), finding <broker> bare or inside a
 * Spring <beans> wrapper, the <broker> element itself, and the defaults applied after. */
#include <string.h>

#include <apr_file_io.h>
#include <apr_strings.h>

#include "cfg_int.h"

#define SEEN_CONNECTORS   0x01u
#define SEEN_USAGE        0x02u
#define SEEN_POLICY       0x04u
#define SEEN_PLUGINS      0x08u
#define SEEN_SSL          0x10u
#define SEEN_DESTINATIONS 0x20u

static void defaults(cfg_t *cfg)
{
    cfg->broker_name = "localhost";
    cfg->data_directory = "data";
    cfg->persistent = true;
    cfg->advisory_support = true;
    cfg->use_virtual_topics = true;
    cfg->enable_statistics = true;
    cfg->keep_durable_subs_active = true;
    cfg->offline_durable_subscriber_timeout_ms = -1;
    cfg->offline_durable_subscriber_task_schedule_ms = 300000;
    cfg->max_scheduler_repeat_allowed = 1000;
    cfg->input_buffer_limit = 512LL * 1024 * 1024;
    cfg->connectors = apr_array_make(cfg->pool, 4, sizeof(cfg_connector_t));
    cfg->policies = apr_array_make(cfg->pool, 4, sizeof(cfg_policy_t));
    cfg->virtuals = apr_array_make(cfg->pool, 2, sizeof(cfg_virtual_t));
    cfg->destinations = apr_array_make(cfg->pool, 2, sizeof(cfg_destination_t));
    cfg_policy_defaults(&cfg->default_policy);

    cfg->store.kind = CFG_STORE_BDB;
    cfg->store.configured_as = "default";
    cfg->store.cache_size = 64 * 1024 * 1024;
    cfg->store.log_file_size = 32 * 1024 * 1024;
    cfg->store.sync = CFG_SYNC_ALWAYS;
    cfg->store.group_commit_ms = -1;          /* resolved by the sync policy at the end */

    cfg->usage.memory_limit = (int64_t)1 << 30;
    cfg->usage.store_limit = (int64_t)100 << 30;
    cfg->usage.temp_limit = (int64_t)50 << 30;

    cfg_plugins_t *pl = &cfg->plugins;
    pl->anonymous_user = "anonymous";
    pl->anonymous_group = "anonymous";
    pl->users = apr_array_make(cfg->pool, 2, sizeof(cfg_user_t));
    pl->authz_entries = apr_array_make(cfg->pool, 4, sizeof(cfg_authz_entry_t));
    pl->redelivery_fallback_to_dlq = true;
    pl->redelivery_send_to_dlq_if_max_exceeded = true;
    pl->redelivery_policies = apr_array_make(cfg->pool, 2, sizeof(cfg_redelivery_policy_t));
}

static const char *const NO_HA = "primary/replica (master/slave) brokers are not supported yet";

static const cfg_attr_spec_t broker_attrs[] = {
    CFG_ATTR("brokerName", CFG_A_STR, cfg_t, broker_name, 0, 0),
    CFG_ATTR("dataDirectory", CFG_A_STR, cfg_t, data_directory, 0, 0),
    CFG_ATTR("persistent", CFG_A_BOOL, cfg_t, persistent, 0, 0),
    CFG_ATTR("schedulerSupport", CFG_A_BOOL, cfg_t, scheduler_support, 0, 0),
    CFG_ATTR("advisorySupport", CFG_A_BOOL, cfg_t, advisory_support, 0, 0),
    CFG_ATTR("useVirtualTopics", CFG_A_BOOL, cfg_t, use_virtual_topics, 0, 0),
    CFG_ATTR("enableStatistics", CFG_A_BOOL, cfg_t, enable_statistics, 0, 0),
    CFG_ATTR("populateJMSXUserID", CFG_A_BOOL, cfg_t, populate_jmsx_user_id, 0, 0),
    CFG_ATTR("useAuthenticatedPrincipalForJMSXUserID", CFG_A_BOOL, cfg_t,
             use_authenticated_principal_for_jmsx_user_id, 0, 0),
    CFG_ATTR("allowTempAutoCreationOnSend", CFG_A_BOOL, cfg_t, allow_temp_auto_creation_on_send, 0, 0),
    CFG_ATTR("rejectDurableConsumers", CFG_A_BOOL, cfg_t, reject_durable_consumers, 0, 0),
    CFG_ATTR("keepDurableSubsActive", CFG_A_BOOL, cfg_t, keep_durable_subs_active, 0, 0),
    CFG_ATTR("offlineDurableSubscriberTimeout", CFG_A_I64, cfg_t,
             offline_durable_subscriber_timeout_ms, -1, INT64_MAX),
    CFG_ATTR("offlineDurableSubscriberTaskSchedule", CFG_A_I64, cfg_t,
             offline_durable_subscriber_task_schedule_ms, 1, INT64_MAX),
    CFG_ATTR("schedulePeriodForDestinationPurge", CFG_A_I64, cfg_t,
             schedule_period_for_destination_purge_ms, 0, INT64_MAX),
    CFG_ATTR("maxPurgedDestinationsPerSweep", CFG_A_INT, cfg_t, max_purged_destinations_per_sweep,
             0, INT32_MAX),
    CFG_ATTR("deleteAllMessagesOnStartup", CFG_A_BOOL, cfg_t, store.delete_all_on_startup, 0, 0),
    CFG_ATTR("brokerId", CFG_A_STR, cfg_t, broker_id, 0, 0),
    CFG_ATTR("enableMessageExpirationOnActiveDurableSubs", CFG_A_BOOL, cfg_t,
             enable_message_expiration_on_active_durable_subs, 0, 0),
    CFG_ATTR("inputBufferLimit", CFG_A_SIZE, cfg_t, input_buffer_limit, 1024 * 1024, INT64_MAX),
    CFG_ATTR("maxSchedulerRepeatAllowed", CFG_A_INT, cfg_t, max_scheduler_repeat_allowed, 0,
             INT32_MAX),
    CFG_ATTR_NOTE("startAsync", CFG_A_QUIET, NULL),
    CFG_ATTR_NOTE("waitForSlaveTimeout", CFG_A_QUIET, NULL),
    CFG_ATTR_NOTE("anonymousProducerAdvisorySupport", CFG_A_WARN, "advisories for anonymous "
                  "producers are not sent"),
    CFG_ATTR_NOTE("schedulerDirectory", CFG_A_WARN, "scheduled messages live in the main store"),
    CFG_ATTR_NOTE("schedulePeriodForDiskUsageCheck", CFG_A_WARN, "hermod checks disk usage itself"),
    CFG_ATTR_NOTE("diskUsageCheckRegrowThreshold", CFG_A_WARN, "hermod checks disk usage itself"),
    CFG_ATTR_NOTE("adjustUsageLimits", CFG_A_WARN, "limits are used as configured"),
    CFG_ATTR_NOTE("populateUserNameInMBeans", CFG_A_WARN, "hermod has no JMX"),
    CFG_ATTR_NOTE("storeOpenWireVersion", CFG_A_WARN, "the store keeps its own format"),
    CFG_ATTR_NOTE("useVirtualDestSubs", CFG_A_WARN, "network-of-brokers tuning"),
    CFG_ATTR_NOTE("useVirtualDestSubsOnCreation", CFG_A_WARN, "network-of-brokers tuning"),
    CFG_ATTR_NOTE("rollbackOnlyOnAsyncException", CFG_A_WARN, "Java transaction tuning"),
    CFG_ATTR_NOTE("persistenceThreadPriority", CFG_A_WARN, "Java thread tuning"),
    CFG_ATTR_NOTE("taskRunnerPriority", CFG_A_WARN, "Java thread tuning"),
    CFG_ATTR_NOTE("systemExitOnShutdownExitCode", CFG_A_WARN, "Java process control"),
    CFG_ATTR_NOTE("vmConnectorURI", CFG_A_WARN, "hermod has no in-JVM transport"),
    CFG_ATTR_NOTE("id", CFG_A_QUIET, NULL),
    CFG_ATTR_NOTE("start", CFG_A_QUIET, NULL),
    CFG_ATTR_NOTE("useShutdownHook", CFG_A_QUIET, NULL),
    CFG_ATTR_NOTE("useLoggingForShutdownErrors", CFG_A_QUIET, NULL),
    CFG_ATTR_NOTE("useJmx", CFG_A_WARN_TRUE, "hermod has no JMX; it reports through its log"),
    CFG_ATTR_NOTE("dedicatedTaskRunner", CFG_A_WARN, "Java thread tuning"),
    CFG_ATTR_NOTE("useLocalHostBrokerName", CFG_A_WARN, "broker naming for networks of brokers"),
    CFG_ATTR_NOTE("networkConnectorStartAsync", CFG_A_WARN, "hermod has no network connectors"),
    CFG_ATTR_NOTE("restartAllowed", CFG_A_WARN, "hermod does not restart itself in-process"),
    CFG_ATTR_NOTE("systemExitOnShutdown", CFG_A_WARN, "Java process control"),
    CFG_ATTR_NOTE("splitSystemUsageForProducersConsumers", CFG_A_WARN, "Java memory accounting"),
    CFG_ATTR_NOTE("producerSystemUsagePortion", CFG_A_WARN, "Java memory accounting"),
    CFG_ATTR_NOTE("consumerSystemUsagePortion", CFG_A_WARN, "Java memory accounting"),
    CFG_ATTR_NOTE("monitorConnectionSplits", CFG_A_WARN, "network-of-brokers tuning"),
    CFG_ATTR_NOTE("tmpDataDirectory", CFG_A_WARN, "hermod does not spool to a temp store"),
    CFG_ATTR_NOTE("cacheTempDestinations", CFG_A_WARN, "client-side cache tuning"),
    CFG_ATTR_NOTE("timeBeforePurgeTempDestinations", CFG_A_WARN, "temp destinations end with "
                  "their connection"),
    CFG_ATTR_NOTE("mbeanInvocationTimeout", CFG_A_WARN, "hermod has no JMX"),
    CFG_ATTR_NOTE("useMirroredQueues", CFG_A_REFUSE_TRUE, "mirrored queues are not implemented"),
    CFG_ATTR_NOTE("useTempMirroredQueues", CFG_A_REFUSE_TRUE, "mirrored queues are not implemented"),
    CFG_ATTR_NOTE("passiveSlave", CFG_A_REFUSE_TRUE, NO_HA),
    CFG_ATTR_NOTE("waitForSlave", CFG_A_REFUSE_TRUE, NO_HA),
    CFG_ATTR_NOTE("shutdownOnSlaveFailure", CFG_A_REFUSE_TRUE, NO_HA),
    CFG_ATTR_NOTE("shutdownOnMasterFailure", CFG_A_REFUSE_TRUE, NO_HA),
};

static apr_status_t once_then(cfg_ctx_t *ctx, xmlNode *node, unsigned bit, cfg_elem_fn fn)
{
    apr_status_t rv = cfg_once(ctx, node, bit);
    return rv != APR_SUCCESS ? rv : fn(ctx, node, ctx->cfg);
}

static apr_status_t do_connectors(cfg_ctx_t *ctx, xmlNode *n, void *t)
{ return once_then(ctx, n, SEEN_CONNECTORS, cfg_transport_connectors); }
static apr_status_t do_usage(cfg_ctx_t *ctx, xmlNode *n, void *t)
{ return once_then(ctx, n, SEEN_USAGE, cfg_system_usage); }
static apr_status_t do_policy(cfg_ctx_t *ctx, xmlNode *n, void *t)
{ return once_then(ctx, n, SEEN_POLICY, cfg_destination_policy); }
static apr_status_t do_plugins(cfg_ctx_t *ctx, xmlNode *n, void *t)
{ return once_then(ctx, n, SEEN_PLUGINS, cfg_plugins); }
static apr_status_t do_ssl(cfg_ctx_t *ctx, xmlNode *n, void *t)
{ return once_then(ctx, n, SEEN_SSL, cfg_ssl_context); }
static apr_status_t do_destinations(cfg_ctx_t *ctx, xmlNode *n, void *t)
{ return once_then(ctx, n, SEEN_DESTINATIONS, cfg_destinations); }

static apr_status_t do_persistence(cfg_ctx_t *ctx, xmlNode *n, void *t)
{
    if (ctx->saw_persistence)
        return cfg_fail(ctx, n, NULL, CFG_EVALUE, "appears twice; give it once");
    ctx->saw_persistence = true;
    return cfg_persistence_adapter(ctx, n, ctx->cfg);
}

static apr_status_t do_interceptors(cfg_ctx_t *ctx, xmlNode *n, void *t)
{
    if (ctx->saw_interceptors)
        return cfg_fail(ctx, n, NULL, CFG_EVALUE, "appears twice; give it once");
    ctx->saw_interceptors = true;
    return cfg_destination_interceptors(ctx, n, ctx->cfg);
}

static const cfg_elem_spec_t broker_children[] = {
    { "transportConnectors", CFG_E_PARSE, do_connectors, NULL },
    { "persistenceAdapter", CFG_E_PARSE, do_persistence, NULL },
    { "systemUsage", CFG_E_PARSE, do_usage, NULL },
    { "destinationPolicy", CFG_E_PARSE, do_policy, NULL },
    { "destinationInterceptors", CFG_E_PARSE, do_interceptors, NULL },
    { "destinations", CFG_E_PARSE, do_destinations, NULL },
    { "plugins", CFG_E_PARSE, do_plugins, NULL },
    { "sslContext", CFG_E_PARSE, do_ssl, NULL },
    { "webConsole", CFG_E_PARSE, cfg_web_console, NULL },
    { "managementContext", CFG_E_WARN, NULL, "hermod has no JMX management context" },
    { "shutdownHooks", CFG_E_INFO, NULL, "hermod shuts down cleanly on SIGTERM; Java shutdown "
      "hooks do not apply" },
    { "ioExceptionHandler", CFG_E_WARN, NULL, "hermod stops the broker on store I/O errors" },
    { "producerSystemUsage", CFG_E_WARN, NULL, "one <systemUsage> applies to all" },
    { "consumerSystemUsage", CFG_E_WARN, NULL, "one <systemUsage> applies to all" },
    { "tempDataStore", CFG_E_WARN, NULL, "hermod does not spool to a temp store" },
    { "jobSchedulerStore", CFG_E_WARN, NULL, "scheduled messages live in the main store" },
    { "networkConnectors", CFG_E_REFUSE, NULL, "hermod does not form networks of brokers; "
      "remove <networkConnectors> to run this broker standalone" },
    { "proxyConnectors", CFG_E_REFUSE, NULL, "hermod has no proxy connectors" },
    { "jmsBridgeConnectors", CFG_E_REFUSE, NULL, "hermod has no JMS bridge to other providers" },
    { "persistenceFactory", CFG_E_REFUSE, NULL, "JDBC persistence is not available; hermod "
      "stores messages in Berkeley DB (<persistenceAdapter><bdb/></persistenceAdapter>)" },
    { "messageAuthorizationPolicy", CFG_E_REFUSE, NULL, "per-message authorization needs Java code" },
    { "networkConnectorURIs", CFG_E_REFUSE, NULL, "hermod does not form networks of brokers" },
    { "transportConnectorURIs", CFG_E_REFUSE, NULL, "list listeners as <transportConnectors>"
      "<transportConnector uri=\"...\"/></transportConnectors>" },
    { "services", CFG_E_REFUSE, NULL, "broker services are Java code" },
};

/* ActiveMQ replaces characters outside [A-Za-z0-9._:-] in a broker name with '_' and
 * warns; hermod does the same so names in logs and advisories agree. */
static apr_status_t check_broker_name(cfg_ctx_t *ctx, xmlNode *broker)
{
    char *name = apr_pstrdup(ctx->pool, ctx->cfg->broker_name);
    bool changed = false;
    if (!*name)
        return cfg_fail(ctx, broker, cfg_attr_find(broker, "brokerName"), CFG_EVALUE,
                        "must not be empty");
    for (char *p = name; *p; p++) {
        char c = *p;
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '-' || c == ':')) {
            *p = '_';
            changed = true;
        }
    }
    apr_status_t rv = APR_SUCCESS;
    if (changed)
        rv = cfg_warn(ctx, broker, cfg_attr_find(broker, "brokerName"),
                      "\"%s\" has characters outside [A-Za-z0-9._:-]; using \"%s\"",
                      ctx->cfg->broker_name, name);
    ctx->cfg->broker_name = name;
    return rv;
}

apr_status_t cfg_broker_element(cfg_ctx_t *ctx, xmlNode *broker)
{
    apr_status_t rv = cfg_attrs(ctx, broker, broker_attrs, CFG_NELEMS(broker_attrs), ctx->cfg);
    if (rv == APR_SUCCESS)
        rv = check_broker_name(ctx, broker);
    if (rv == APR_SUCCESS && !*ctx->cfg->data_directory)
        rv = cfg_fail(ctx, broker, cfg_attr_find(broker, "dataDirectory"), CFG_EVALUE,
                      "must not be empty");
    if (rv == APR_SUCCESS)
        rv = cfg_children(ctx, broker, broker_children, CFG_NELEMS(broker_children), ctx->cfg);
    if (rv == APR_SUCCESS)
        rv = cfg_web_check(ctx, broker);
    return rv;
}

static bool in_ns(const xmlNode *n, const char *href)
{
    return n->ns && n->ns->href && strcmp((const char *)n->ns->href, href) == 0;
}

static bool is_broker(const xmlNode *n)
{
    return strcmp((const char *)n->name, "broker") == 0;
}

/* A <broker> in a namespace other than ActiveMQ's (e.g. the 4.x one) would be read with
 * different meanings; refuse it by name. */
static apr_status_t check_broker_ns(cfg_ctx_t *ctx, xmlNode *n)
{
    if (cfg_is_core(n))
        return APR_SUCCESS;
    return cfg_fail(ctx, n, NULL, CFG_EUNKNOWN, "namespace %s is not ActiveMQ's; use "
                    "xmlns=\"" CFG_NS_CORE "\"", (const char *)n->ns->href);
}

static bool ends_with(const char *s, const char *tail)
{
    size_t n = strlen(s), m = strlen(tail);
    return n >= m && strcmp(s + n - m, tail) == 0;
}

/* The Spring <beans> wrapper: one <broker>, read where it stands so messages come in
 * document order; Spring's own elements are logged and skipped.
 * A bean's class attribute is only ever text in a message: nothing is instantiated. */
static apr_status_t beans_element(cfg_ctx_t *ctx, xmlNode *beans, xmlNode **broker)
{
    apr_status_t rv = cfg_placeholder_beans(ctx, beans);   /* Spring resolves these first */
    for (xmlNode *c = beans->children; c && rv == APR_SUCCESS; c = c->next) {
        if (c->type == XML_ENTITY_REF_NODE)
            return cfg_fail(ctx, beans, NULL, CFG_EXML, "entity references are not allowed");
        if (c->type != XML_ELEMENT_NODE)
            continue;
        const char *name = (const char *)c->name;
        if (is_broker(c) && (cfg_is_core(c) || !in_ns(c, CFG_NS_BEANS))) {
            if ((rv = check_broker_ns(ctx, c)) != APR_SUCCESS)
                return rv;
            if (*broker)
                return cfg_fail(ctx, c, NULL, CFG_EUNSUPPORTED, "a second <broker> (first on "
                                "line %d); hermod runs one broker per configuration",
                                cfg_line(*broker, NULL));
            *broker = c;
            rv = cfg_broker_element(ctx, c);        /* in document order with the rest */
        } else if (c->ns && !in_ns(c, CFG_NS_BEANS) &&
                   strcmp((const char *)c->ns->href, CFG_NS_CORE) != 0 &&
                   strcmp(name, "property-placeholder") == 0) {
            cfg_info(ctx, c, NULL, "ignored: hermod expands ${activemq.*} placeholders itself");
        } else if (!cfg_is_core(c) && !in_ns(c, CFG_NS_BEANS)) {
            rv = cfg_fail(ctx, c, NULL, CFG_EUNKNOWN, "element in namespace %s is unknown to "
                          "hermod", (const char *)c->ns->href);
        } else if (strcmp(name, "bean") == 0) {
            const xmlAttr *a = cfg_attr_find(c, "class");
            xmlChar *cls = a ? xmlNodeListGetString(c->doc, a->children, 1) : NULL;
            const char *text = cls ? (const char *)cls : "(none)";
            if (ends_with(text, "PlaceholderConfigurer") || ends_with(text, "PBEConfig") ||
                ends_with(text, "PBEStringEncryptor"))
                ;   /* read by cfg_placeholder_beans */
            else
                rv = cfg_warn(ctx, c, NULL, "Spring bean of class %s ignored: hermod never "
                              "instantiates Java classes", text);
            xmlFree(cls);
        } else if (strcmp(name, "import") == 0) {
            const xmlAttr *a = cfg_attr_find(c, "resource");
            xmlChar *res = a ? xmlNodeListGetString(c->doc, a->children, 1) : NULL;
            rv = cfg_warn(ctx, c, NULL, "resource \"%s\" not read: hermod does not import "
                          "Spring files (it has no Jetty web console)",
                          res ? (const char *)res : "");
            xmlFree(res);
        } else if (strcmp(name, "description") == 0 || strcmp(name, "alias") == 0) {
            continue;
        } else {
            rv = cfg_fail(ctx, c, NULL, CFG_EUNKNOWN, "unknown element inside <beans>; "
                          "hermod reads <broker> and skips <bean> and <import>");
        }
    }
    if (rv == APR_SUCCESS && !*broker)
        rv = cfg_fail(ctx, beans, NULL, CFG_EMISSING, "no <broker> element inside <beans>");
    return rv;
}

static apr_status_t root_element(cfg_ctx_t *ctx, xmlDoc *doc)
{
    xmlNode *root = xmlDocGetRootElement(doc);
    xmlNode *broker = NULL;
    apr_status_t rv;
    if (!root)
        return cfg_fail_at(ctx, 0, CFG_EMISSING, "no root element");
    if (is_broker(root)) {
        if ((rv = check_broker_ns(ctx, root)) != APR_SUCCESS)
            return rv;
        broker = root;
    } else if (strcmp((const char *)root->name, "beans") == 0 &&
               (!root->ns || in_ns(root, CFG_NS_BEANS))) {
        return beans_element(ctx, root, &broker);
    } else {
        return cfg_fail(ctx, root, NULL, CFG_EUNKNOWN, "the root element must be <broker> "
                        "(xmlns=\"" CFG_NS_CORE "\") or a Spring <beans> holding one");
    }
    return cfg_broker_element(ctx, broker);
}

static const char *TLS_HINT = "with PEM files: certificate=, privateKey= (and caCertificate= "
                              "for client certificates)";

/* Settings that depend on more than one element, checked once everything is read. */
static apr_status_t finish(cfg_ctx_t *ctx)
{
    cfg_t *cfg = ctx->cfg;
    cfg_store_t *st = &cfg->store;
    if (!ctx->saw_persistence)
        st->directory = apr_pstrcat(cfg->pool, cfg->data_directory, "/bdb", NULL);
    if (!cfg->persistent) {
        if (ctx->saw_persistence)
            cfg_info(ctx, NULL, NULL, "persistent=\"false\": messages are kept in memory; the "
                     "<persistenceAdapter> is not used");
        st->kind = CFG_STORE_MEMORY;
    }
    if (st->group_commit_ms < 0)
        st->group_commit_ms = st->sync == CFG_SYNC_BATCH ? 100 : 0;

    if (cfg->use_virtual_topics && !ctx->saw_interceptors) {
        /* ActiveMQ's default interceptor; configuring <destinationInterceptors> replaces it */
        cfg_virtual_t *v = apr_array_push(cfg->virtuals);
        memset(v, 0, sizeof *v);
        v->kind = CFG_VIRTUAL_TOPIC;
        v->name = "VirtualTopic.>";
        v->prefix = "Consumer.*.";
        v->postfix = "";
        v->forward_only = true;
        v->copy_message = true;
        v->forward_to = apr_array_make(cfg->pool, 1, sizeof(cfg_forward_t));
    }

    for (int i = 0; i < cfg->connectors->nelts; i++) {
        cfg_connector_t *c = &APR_ARRAY_IDX(cfg->connectors, i, cfg_connector_t);
        if (c->tls && !cfg->tls)
            return cfg_fail_at(ctx, c->line, CFG_EMISSING, "<transportConnector>: \"%s\" needs "
                               "an <sslContext> %s", c->uri, TLS_HINT);
        if (c->need_client_auth && !c->tls)
            return cfg_fail_at(ctx, c->line, CFG_EVALUE, "<transportConnector>: needClientAuth "
                               "needs a TLS scheme (ssl, amqp+ssl, auto+ssl)");
        if (c->want_client_auth && !c->tls)
            return cfg_fail_at(ctx, c->line, CFG_EVALUE, "<transportConnector>: wantClientAuth "
                               "needs a TLS scheme (ssl, amqp+ssl, auto+ssl)");
        if ((c->need_client_auth || c->want_client_auth) && !cfg->tls->ca_certificate &&
            !cfg->tls->trust_store)
            return cfg_fail_at(ctx, c->line, CFG_EMISSING, "<transportConnector>: "
                               "%s=true needs caCertificate= (a PEM CA bundle) or a PKCS#12 "
                               "trustStore= in <sslContext> (line %d)",
                               c->need_client_auth ? "needClientAuth" : "wantClientAuth",
                               cfg->tls->line);
    }
    return APR_SUCCESS;
}

static apr_status_t load(apr_pool_t *parent, const char *name, const char *xml, size_t len,
                         const cfg_load_opts_t *opts, const char *file_dir, cfg_t **out,
                         char *err, size_t errlen)
{
    static const cfg_load_opts_t no_opts;
    char dummy[1];
    *out = NULL;
    if (!err || errlen == 0) {
        err = dummy;
        errlen = sizeof dummy;
    }
    err[0] = '\0';
    cfg_status_init();
    apr_pool_t *pool;
    apr_status_t rv = apr_pool_create(&pool, parent);
    if (rv != APR_SUCCESS)
        return rv;
    cfg_t *cfg = apr_pcalloc(pool, sizeof *cfg);
    cfg->pool = pool;
    cfg->source = apr_pstrdup(pool, name ? name : "(config)");
    defaults(cfg);

    cfg_ctx_t ctx;
    memset(&ctx, 0, sizeof ctx);
    ctx.cfg = cfg;
    ctx.pool = pool;
    ctx.name = cfg->source;
    ctx.opts = opts ? opts : &no_opts;
    ctx.err = err;
    ctx.errlen = errlen;
    ctx.dir_base = ctx.opts->base_dir ? ctx.opts->base_dir : ".";
    ctx.dir_home = ctx.opts->home_dir ? ctx.opts->home_dir : ctx.dir_base;
    ctx.dir_conf = ctx.opts->conf_dir ? ctx.opts->conf_dir
                 : file_dir ? file_dir : apr_pstrcat(pool, ctx.dir_base, "/conf", NULL);
    ctx.dir_data = ctx.opts->data_dir ? ctx.opts->data_dir
                 : apr_pstrcat(pool, ctx.dir_base, "/data", NULL);

    xmlDoc *doc = NULL;
    rv = cfg_xml_parse(&ctx, xml, len, &doc);
    if (rv == APR_SUCCESS)
        rv = root_element(&ctx, doc);
    if (rv == APR_SUCCESS)
        rv = finish(&ctx);
    if (doc)
        xmlFreeDoc(doc);
    if (rv != APR_SUCCESS) {
        apr_pool_destroy(pool);
        return rv;
    }
    *out = cfg;
    return APR_SUCCESS;
}

apr_status_t cfg_load_memory(apr_pool_t *parent, const char *name, const char *xml, size_t len,
                             const cfg_load_opts_t *opts, cfg_t **out, char *err, size_t errlen)
{
    return load(parent, name, xml, len, opts, NULL, out, err, errlen);
}

/* Why read it ourselves rather than let libxml2 open it: the size limit is checked before
 * anything is parsed, and libxml2 never gets a file name it could resolve relatives from. */
apr_status_t cfg_load_file(apr_pool_t *parent, const char *path, const cfg_load_opts_t *opts,
                           cfg_t **out, char *err, size_t errlen)
{
    apr_pool_t *tmp;
    apr_file_t *f;
    apr_finfo_t fi;
    char ebuf[128];
    *out = NULL;
    apr_status_t rv = apr_pool_create(&tmp, parent);
    if (rv != APR_SUCCESS)
        return rv;
    rv = apr_file_open(&f, path, APR_FOPEN_READ | APR_FOPEN_BINARY, 0, tmp);
    if (rv == APR_SUCCESS)
        rv = apr_file_info_get(&fi, APR_FINFO_SIZE | APR_FINFO_TYPE, f);
    if (rv != APR_SUCCESS) {
        if (err && errlen)
            snprintf(err, errlen, "%s: cannot open: %s", path, apr_strerror(rv, ebuf, sizeof ebuf));
        apr_pool_destroy(tmp);
        return rv;
    }
    if (fi.filetype != APR_REG || fi.size > (apr_off_t)CFG_MAX_FILE_BYTES) {
        if (err && errlen)
            snprintf(err, errlen, fi.filetype != APR_REG ? "%s: not a regular file"
                     : "%s: file is larger than %u bytes", path, (unsigned)CFG_MAX_FILE_BYTES);
        apr_pool_destroy(tmp);
        return fi.filetype != APR_REG ? CFG_EVALUE : CFG_ETOOBIG;
    }
    /* read one byte more than expected to notice a file that grew meanwhile */
    size_t want = (size_t)fi.size + 1, got = 0;
    char *buf = apr_palloc(tmp, want);
    rv = apr_file_read_full(f, buf, want, &got);
    apr_file_close(f);
    if (rv != APR_SUCCESS && !APR_STATUS_IS_EOF(rv)) {
        if (err && errlen)
            snprintf(err, errlen, "%s: cannot read: %s", path, apr_strerror(rv, ebuf, sizeof ebuf));
        apr_pool_destroy(tmp);
        return rv;
    }
    if (got > (size_t)fi.size) {
        if (err && errlen)
            snprintf(err, errlen, "%s: file changed while being read", path);
        apr_pool_destroy(tmp);
        return CFG_EVALUE;
    }
    const char *slash = strrchr(path, '/');
    const char *dir = slash ? (slash == path ? "/" : apr_pstrmemdup(tmp, path, (size_t)(slash - path)))
                            : ".";
    rv = load(parent, path, buf, got, opts, dir, out, err, errlen);
    apr_pool_destroy(tmp);
    return rv;
}

void cfg_destroy(cfg_t *cfg)
{
    if (cfg)
        apr_pool_destroy(cfg->pool);
}
