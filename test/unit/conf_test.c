/* Unit tests for the configuration loader (conf/).  Run from the repository root: the
 * shipped files conf/hermod.xml, conf/hermod.xsd and conf/examples/ are loaded by path. */
#include "conf_test_util.h"

/* ---- defaults and the shipped files ---- */

static void test_defaults(void)
{
    logcap_t lc;
    cfg_t *cfg = ok("<broker " CORE "/>", &lc);
    CU_ASSERT_STRING_EQUAL(cfg->broker_name, "localhost");
    CU_ASSERT_STRING_EQUAL(cfg->data_directory, "data");
    CU_ASSERT_TRUE(cfg->persistent);
    CU_ASSERT_TRUE(cfg->advisory_support);
    CU_ASSERT_FALSE(cfg->scheduler_support);
    CU_ASSERT_EQUAL(cfg->connectors->nelts, 0);
    CU_ASSERT_EQUAL(cfg->store.kind, CFG_STORE_BDB);
    CU_ASSERT_STRING_EQUAL(cfg->store.directory, "data/bdb");
    CU_ASSERT_EQUAL(cfg->store.sync, CFG_SYNC_ALWAYS);
    CU_ASSERT_EQUAL(cfg->store.group_commit_ms, 0);
    CU_ASSERT_EQUAL(cfg->usage.memory_limit, (int64_t)1 << 30);
    CU_ASSERT_EQUAL(cfg->usage.store_limit, (int64_t)100 << 30);
    CU_ASSERT_EQUAL(cfg->usage.temp_limit, (int64_t)50 << 30);
    CU_ASSERT_PTR_NULL(cfg->tls);
    /* ActiveMQ's default virtual topic, present because useVirtualTopics defaults to true */
    CU_ASSERT_EQUAL_FATAL(cfg->virtuals->nelts, 1);
    const cfg_virtual_t *v = &APR_ARRAY_IDX(cfg->virtuals, 0, cfg_virtual_t);
    CU_ASSERT_EQUAL(v->kind, CFG_VIRTUAL_TOPIC);
    CU_ASSERT_STRING_EQUAL(v->name, "VirtualTopic.>");
    CU_ASSERT_STRING_EQUAL(v->prefix, "Consumer.*.");
    const cfg_policy_t *p = cfg_policy_for(cfg, true, "ANY.QUEUE");
    CU_ASSERT_PTR_EQUAL(p, &cfg->default_policy);
    CU_ASSERT_TRUE(p->producer_flow_control);
    CU_ASSERT_EQUAL(p->max_page_size, 200);
    CU_ASSERT_EQUAL(p->dlq.kind, CFG_DLQ_SHARED);
    CU_ASSERT_STRING_EQUAL(p->dlq.shared_queue, "ActiveMQ.DLQ");
    CU_ASSERT_EQUAL(lc.warns, 0);
    cfg_destroy(cfg);
}

static void test_shipped_default_config(void)
{
    logcap_t lc;
    cfg_load_opts_t o = opts_with(&lc);
    cfg_t *cfg = NULL;
    char err[1024] = "";
    apr_status_t rv = cfg_load_file(pool, "conf/hermod.xml", &o, &cfg, err, sizeof err);
    if (rv != APR_SUCCESS)
        fprintf(stderr, "\n%s\n", err);
    CU_ASSERT_EQUAL_FATAL(rv, APR_SUCCESS);
    CU_ASSERT_STRING_EQUAL(cfg->broker_name, "hermod");
    CU_ASSERT_STRING_EQUAL(cfg->data_directory, "data");
    CU_ASSERT_TRUE(cfg->persistent);
    CU_ASSERT_EQUAL(cfg->store.kind, CFG_STORE_BDB);
    CU_ASSERT_STRING_EQUAL(cfg->store.configured_as, "bdb");
    CU_ASSERT_STRING_EQUAL(cfg->store.directory, "data/bdb");
    CU_ASSERT_EQUAL(cfg->store.cache_size, 64 << 20);
    CU_ASSERT_EQUAL(cfg->store.log_file_size, 32 << 20);
    CU_ASSERT_EQUAL(cfg->store.sync, CFG_SYNC_ALWAYS);
    CU_ASSERT_EQUAL_FATAL(cfg->connectors->nelts, 2);
    const cfg_connector_t *a = connector(cfg, 1);   /* AMQP 1.0 on ActiveMQ's port, loopback */
    CU_ASSERT_STRING_EQUAL(a->name, "amqp");
    CU_ASSERT_EQUAL(a->scheme, CFG_SCHEME_AMQP);
    CU_ASSERT_EQUAL(a->protocols, CFG_PROTO_AMQP);
    CU_ASSERT_STRING_EQUAL(a->host, "127.0.0.1");
    CU_ASSERT_EQUAL(a->port, 5672);
    const cfg_connector_t *c = connector(cfg, 0);
    CU_ASSERT_STRING_EQUAL(c->name, "openwire");
    CU_ASSERT_EQUAL(c->scheme, CFG_SCHEME_TCP);
    CU_ASSERT_EQUAL(c->protocols, CFG_PROTO_OPENWIRE);
    CU_ASSERT_FALSE(c->tls);
    CU_ASSERT_STRING_EQUAL(c->host, "127.0.0.1");
    CU_ASSERT_EQUAL(c->port, 61616);
    CU_ASSERT_EQUAL(c->max_connections, 1000);
    CU_ASSERT_EQUAL(c->max_frame_size, 104857600);
    CU_ASSERT_EQUAL(c->max_inactivity_ms, 30000);
    CU_ASSERT_EQUAL(lc.warns, 0);
    CU_ASSERT_STRING_EQUAL(cfg->source, "conf/hermod.xml");
    cfg_destroy(cfg);
}

static int schema_errors;
static void count_schema_error(void *ctx, const char *msg, ...)
{
    schema_errors++;
}

/* Validates a document against conf/hermod.xsd; returns xmlSchemaValidateDoc's result. */
static int validate_doc(xmlDocPtr doc)
{
    xmlSchemaParserCtxtPtr pc = xmlSchemaNewParserCtxt("conf/hermod.xsd");
    CU_ASSERT_PTR_NOT_NULL_FATAL(pc);
    xmlSchemaPtr schema = xmlSchemaParse(pc);
    CU_ASSERT_PTR_NOT_NULL_FATAL(schema);
    xmlSchemaValidCtxtPtr vc = xmlSchemaNewValidCtxt(schema);
    schema_errors = 0;
    xmlSchemaSetValidErrors(vc, count_schema_error, count_schema_error, NULL);
    int rc = xmlSchemaValidateDoc(vc, doc);
    xmlSchemaFreeValidCtxt(vc);
    xmlSchemaFree(schema);
    xmlSchemaFreeParserCtxt(pc);
    return rc;
}

static int validate(const char *xml_text, const char *xml_file)
{
    xmlDocPtr doc = xml_file ? xmlReadFile(xml_file, NULL, XML_PARSE_NONET)
                             : xmlReadMemory(xml_text, (int)strlen(xml_text), "t.xml", NULL,
                                             XML_PARSE_NONET);
    CU_ASSERT_PTR_NOT_NULL_FATAL(doc);
    int rc = validate_doc(doc);
    xmlFreeDoc(doc);
    return rc;
}

static void test_default_config_validates_against_xsd(void)
{
    CU_ASSERT_EQUAL(validate(NULL, "conf/hermod.xml"), 0);
    CU_ASSERT_EQUAL(schema_errors, 0);
}

static const char *FULL =
    "<broker " CORE " brokerName='b1' schedulerSupport='true'>\n"
    " <destinationPolicy><policyMap><policyEntries>\n"
    "  <policyEntry queue='>' prioritizedMessages='true' memoryLimit='64 mb'>\n"
    "   <deadLetterStrategy><individualDeadLetterStrategy queuePrefix='DLQ.' "
    "useQueueForQueueMessages='true' processExpired='false'/></deadLetterStrategy>\n"
    "  </policyEntry>\n"
    " </policyEntries></policyMap></destinationPolicy>\n"
    " <destinationInterceptors><virtualDestinationInterceptor><virtualDestinations>\n"
    "  <virtualTopic name='VT.>' prefix='C.*.' selectorAware='true'/>\n"
    "  <compositeQueue name='IN'><forwardTo><queue physicalName='A'/><topic physicalName='B'/>"
    "</forwardTo></compositeQueue>\n"
    " </virtualDestinations></virtualDestinationInterceptor></destinationInterceptors>\n"
    " <plugins><statisticsBrokerPlugin/>\n"
    "  <simpleAuthenticationPlugin><users><authenticationUser username='u' password='p' "
    "groups='users,admins'/></users></simpleAuthenticationPlugin>\n"
    "  <authorizationPlugin><map><authorizationMap><authorizationEntries>\n"
    "   <authorizationEntry queue='>' read='admins' write='admins' admin='admins'/>\n"
    "  </authorizationEntries></authorizationMap></map></authorizationPlugin>\n"
    " </plugins>\n"
    " <sslContext><sslContext certificate='c.pem' privateKey='k.pem'/></sslContext>\n"
    " <persistenceAdapter><bdb syncPolicy='batch' groupCommitMs='5'/></persistenceAdapter>\n"
    " <transportConnectors>\n"
    "  <transportConnector name='ow' uri='ssl://0.0.0.0:61617'/>\n"
    " </transportConnectors>\n"
    "</broker>\n";

static void test_xsd_covers_supported_elements(void)
{
    /* the <broker> of the stock activemq.xml, taken out of its <beans> */
    xmlDocPtr src = xmlReadFile("conf/examples/activemq-stock.xml", NULL, XML_PARSE_NONET);
    CU_ASSERT_PTR_NOT_NULL_FATAL(src);
    xmlNodePtr broker = xmlDocGetRootElement(src)->children;
    while (broker && !(broker->type == XML_ELEMENT_NODE && xmlStrEqual(broker->name, BAD_CAST "broker")))
        broker = broker->next;
    CU_ASSERT_PTR_NOT_NULL_FATAL(broker);
    xmlDocPtr doc = xmlNewDoc(BAD_CAST "1.0");
    xmlDocSetRootElement(doc, xmlDocCopyNode(broker, doc, 1));
    CU_ASSERT_EQUAL(validate_doc(doc), 0);
    CU_ASSERT_EQUAL(schema_errors, 0);
    xmlFreeDoc(doc);
    xmlFreeDoc(src);

    CU_ASSERT_EQUAL(validate(FULL, NULL), 0);
    CU_ASSERT_EQUAL(schema_errors, 0);
    /* and it is strict: an element hermod does not know fails validation */
    CU_ASSERT_NOT_EQUAL(validate("<broker " CORE "><networkConnectors/></broker>", NULL), 0);
    CU_ASSERT_NOT_EQUAL(validate("<broker " CORE "><persistenceAdapter><bdb syncPolicy='x'/>"
                                 "</persistenceAdapter></broker>", NULL), 0);
}

static void test_stock_activemq_xml_loads_with_warnings(void)
{
    logcap_t lc;
    cfg_load_opts_t o = opts_with(&lc);
    o.base_dir = "/opt/activemq";
    cfg_t *cfg = NULL;
    char err[1024] = "";
    const char *path = "conf/examples/activemq-stock.xml";
    apr_status_t rv = cfg_load_file(pool, path, &o, &cfg, err, sizeof err);
    if (rv != APR_SUCCESS)
        fprintf(stderr, "\n%s\n", err);
    CU_ASSERT_EQUAL_FATAL(rv, APR_SUCCESS);
    CU_ASSERT_STRING_EQUAL(cfg->broker_name, "localhost");
    CU_ASSERT_STRING_EQUAL(cfg->data_directory, "/opt/activemq/data");
    CU_ASSERT_EQUAL(cfg->store.kind, CFG_STORE_BDB);
    CU_ASSERT_STRING_EQUAL(cfg->store.configured_as, "kahaDB");
    CU_ASSERT_STRING_EQUAL(cfg->store.directory, "/opt/activemq/data/kahadb");
    CU_ASSERT_EQUAL(cfg->usage.store_limit, (int64_t)100 << 30);
    CU_ASSERT_EQUAL(cfg->usage.temp_limit, (int64_t)50 << 30);
    /* openwire and amqp are served; stomp, mqtt and ws are skipped with a warning */
    CU_ASSERT_EQUAL_FATAL(cfg->connectors->nelts, 2);
    CU_ASSERT_STRING_EQUAL(connector(cfg, 0)->name, "openwire");
    CU_ASSERT_STRING_EQUAL(connector(cfg, 0)->host, "0.0.0.0");
    CU_ASSERT_EQUAL(connector(cfg, 1)->scheme, CFG_SCHEME_AMQP);
    CU_ASSERT_EQUAL(connector(cfg, 1)->port, 5672);
    CU_ASSERT_EQUAL(connector(cfg, 1)->max_frame_size, 104857600);
    const cfg_policy_t *p = cfg_policy_for(cfg, false, "prices.eur");
    CU_ASSERT_STRING_EQUAL(p->pattern, ">");
    CU_ASSERT_EQUAL(p->pending_message_limit, 1000);
    CU_ASSERT_PTR_EQUAL(cfg_policy_for(cfg, true, "orders"), &cfg->default_policy);

    CU_ASSERT(logged(&lc, "I conf/examples/activemq-stock.xml:16: <bean>: Spring bean "
                          "org.springframework.beans.factory.config.PropertyPlaceholderConfigurer"));
    CU_ASSERT(logged(&lc, "<managementContext>: ignored: hermod has no JMX"));
    CU_ASSERT(logged(&lc, "<memoryUsage>: attribute \"percentOfJvmHeap\": ignored: hermod has no JVM heap"));
    CU_ASSERT(logged(&lc, "W conf/examples/activemq-stock.xml:85: <transportConnector>: attribute "
                          "\"uri\": connector \"stomp://"));
    CU_ASSERT(logged(&lc, "does not speak MQTT"));
    CU_ASSERT(logged(&lc, "no WebSocket transport"));
    CU_ASSERT(logged(&lc, "<import>: resource \"jetty.xml\" not read"));
    CU_ASSERT(logged(&lc, "I conf/examples/activemq-stock.xml:91: <shutdownHooks>"));
    CU_ASSERT(logged(&lc, "<kahaDB>: mapped to hermod's Berkeley DB store in \"/opt/activemq/data/kahadb\""));
    CU_ASSERT_EQUAL(lc.warns, 6);
    CU_ASSERT_EQUAL(lc.infos, 3);
    cfg_destroy(cfg);

    /* strict mode refuses the first warning, naming it */
    o = opts_with(&lc);
    o.strict = true;
    rv = cfg_load_file(pool, path, &o, &cfg, err, sizeof err);
    CU_ASSERT_EQUAL(rv, CFG_ESTRICT);
    CU_ASSERT_PTR_NULL(cfg);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "<managementContext>"));
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "strict"));
}

/* ---- refused configurations: code and the exact place named ---- */

typedef struct bad_case_s {
    const char *what;
    const char *xml;
    apr_status_t code;
    const char *message;              /* must appear in the error text */
} bad_case_t;

#define B "<broker " CORE ">\n"
#define TC(uri) B "<transportConnectors>\n<transportConnector uri=\"" uri "\"/>\n" \
                "</transportConnectors></broker>"

static const bad_case_t bad_cases[] = {
    { "port too big", TC("tcp://0.0.0.0:70000"), CFG_EVALUE,
      "t.xml:3: <transportConnector>: attribute \"uri\": port \"70000\" is not in 1..65535" },
    { "port zero", TC("tcp://0.0.0.0:0"), CFG_EVALUE, "port \"0\" is not in 1..65535" },
    { "port not a number", TC("tcp://0.0.0.0:abc"), CFG_EVALUE, "port \"abc\"" },
    { "no port", TC("tcp://0.0.0.0"), CFG_EVALUE, "has no port" },
    { "no host", TC("tcp://:61616"), CFG_EVALUE, "has no host" },
    { "not a uri", TC("61616"), CFG_EVALUE, "is not a URI" },
    { "unknown scheme", TC("foo://0.0.0.0:1234"), CFG_EUNSUPPORTED,
      "t.xml:3: <transportConnector>: attribute \"uri\": unsupported scheme \"foo\"" },
    { "bad option value", TC("tcp://h:1?wireFormat.maxFrameSize=lots"), CFG_EVALUE,
      "attribute \"uri\": option \"wireFormat.maxFrameSize\": \"lots\" is not a size" },
    { "option out of range", TC("tcp://h:1?maximumConnections=0"), CFG_EVALUE,
      "option \"maximumConnections\": 0 is out of range" },
    { "option without value", TC("tcp://h:1?maximumConnections"), CFG_EVALUE,
      "option \"maximumConnections\": needs a value" },
    { "uri missing", B "<transportConnectors>\n<transportConnector name='x'/>"
      "</transportConnectors></broker>", CFG_EMISSING,
      "t.xml:3: <transportConnector>: attribute \"uri\" is required" },
    { "duplicate connector name", B "<transportConnectors>\n"
      "<transportConnector name='a' uri='tcp://h:1'/>\n<transportConnector name='a' uri='tcp://h:2'/>\n"
      "</transportConnectors></broker>", CFG_EVALUE,
      "t.xml:4: <transportConnector>: attribute \"name\": a second connector named \"a\" (first on line 3)" },
    { "bad size string", B "<systemUsage><systemUsage>\n<memoryUsage>\n"
      "<memoryUsage limit='64 zb'/></memoryUsage></systemUsage></systemUsage></broker>", CFG_EVALUE,
      "t.xml:4: <memoryUsage>: attribute \"limit\": \"64 zb\" is not a size" },
    { "unknown element", "<broker " CORE ">\n  <transportConnectors/>\n\n  <fooBar/>\n</broker>",
      CFG_EUNKNOWN, "t.xml:4: <fooBar>: unknown element inside <broker>" },
    { "unknown nested element", B "<destinationPolicy><policyMap><policyEntries>\n"
      "<policyEntry queue='>'>\n<oddStrategy/></policyEntry></policyEntries></policyMap>"
      "</destinationPolicy></broker>", CFG_EUNKNOWN, "t.xml:4: <oddStrategy>: unknown element inside <policyEntry>" },
    { "multi-line start tag names the attribute's line",
      "<broker " CORE "\n   brokerName='x'\n   persistent='perhaps'\n   useJmx='false'>\n</broker>",
      CFG_EVALUE, "t.xml:3: <broker>: attribute \"persistent\": \"perhaps\" is not a boolean" },
    { "unknown placeholder", "<broker " CORE " dataDirectory='${foo.bar}/x'/>", CFG_EPLACEHOLDER,
      "t.xml:1: <broker>: attribute \"dataDirectory\": unknown placeholder ${foo.bar}" },
    { "unterminated placeholder", "<broker " CORE " dataDirectory='${activemq.data'/>", CFG_EVALUE,
      "unterminated" },
    { "XXE", "<?xml version='1.0'?>\n<!DOCTYPE broker [<!ENTITY x SYSTEM 'file:///etc/passwd'>]>\n"
      "<broker " CORE " brokerName='&x;'/>", CFG_EXML, "t.xml:2: <!DOCTYPE> is not allowed" },
    { "billion laughs", "<!DOCTYPE l [<!ENTITY a 'aaaaaaaaaa'><!ENTITY b '&a;&a;&a;&a;&a;&a;'>]>"
      "<broker " CORE " brokerName='&b;'/>", CFG_EXML, "<!DOCTYPE> is not allowed" },
    { "external DTD", "<!DOCTYPE beans PUBLIC '-//SPRING//DTD BEAN//EN' "
      "'http://www.springframework.org/dtd/spring-beans.dtd'><beans/>", CFG_EXML, "DOCTYPE" },
    { "not well-formed", "<broker " CORE ">\n<transportConnectors>\n</broker>", CFG_EXML,
      "t.xml:3: not well-formed XML" },
    { "undeclared entity", "<broker " CORE " brokerName='&nope;'/>", CFG_EXML, "not well-formed" },
    { "empty document", "", CFG_EXML, "t.xml:1: not well-formed XML: Document is empty" },
    { "want client auth without CA", B "<sslContext><sslContext certificate='c' privateKey='k'/>"
      "</sslContext>\n<transportConnectors>\n<transportConnector uri='amqp+ssl://h:1?transport.wantClientAuth=true'/>"
      "</transportConnectors></broker>", CFG_EMISSING, "t.xml:4: <transportConnector>: wantClientAuth=true needs caCertificate=" },
    { "wrong root", "<configuration/>", CFG_EUNKNOWN, "t.xml:1: <configuration>: the root element must be" },
    { "broker in another namespace", "<broker xmlns='http://activemq.org/config/1.0'/>",
      CFG_EUNKNOWN, "namespace http://activemq.org/config/1.0 is not ActiveMQ's" },
    { "beans without broker", "<beans xmlns='http://www.springframework.org/schema/beans'>\n"
      "<bean class='x.Y'/></beans>", CFG_EMISSING, "t.xml:1: <beans>: no <broker> element" },
    { "two brokers", "<beans xmlns='http://www.springframework.org/schema/beans'>\n"
      "<broker " CORE "/>\n<broker " CORE "/></beans>", CFG_EUNSUPPORTED,
      "t.xml:3: <broker>: a second <broker> (first on line 2)" },
    { "bean inside broker", B "<plugins>\n<bean xmlns='http://www.springframework.org/schema/beans' "
      "class='com.acme.AuthPlugin'/></plugins></broker>", CFG_EUNSUPPORTED,
      "t.xml:3: <bean>: Spring bean definitions inside <plugins> are not supported" },
    { "network connectors", B "<networkConnectors>\n<networkConnector uri='static:(tcp://x:1)'/>"
      "</networkConnectors></broker>", CFG_EUNSUPPORTED,
      "t.xml:2: <networkConnectors>: not supported: hermod does not form networks of brokers" },
    { "transportConnectorURIs", B "<transportConnectorURIs>\n</transportConnectorURIs></broker>",
      CFG_EUNSUPPORTED, "t.xml:2: <transportConnectorURIs>: not supported: list listeners as" },
    { "broker child in the beans namespace", "<beans xmlns='http://www.springframework.org/schema/beans' "
      "xmlns:amq='http://activemq.apache.org/schema/core'>\n<amq:broker>\n<transportConnectors/>"
      "</amq:broker></beans>", CFG_EUNKNOWN,
      "t.xml:3: <transportConnectors>: is in the Spring beans namespace" },
    { "renewal as long as the lease", B "<persistenceAdapter>\n<bdb lockKeepAlivePeriod='1500'>"
      "<locker><lease-file-locker lockAcquireSleepInterval='2000'/></locker></bdb>"
      "</persistenceAdapter></broker>", CFG_EVALUE,
      "t.xml:3: <bdb>: attribute \"lockKeepAlivePeriod\": lockKeepAlivePeriod=\"1500\" must be at most half" },
    { "database locker", B "<persistenceAdapter><kahaDB><locker>\n<database-locker/></locker></kahaDB>"
      "</persistenceAdapter></broker>", CFG_EUNSUPPORTED, "t.xml:3: <database-locker>: not supported" },
    { "jdbc store", B "<persistenceAdapter>\n<jdbcPersistenceAdapter dataSource='#ds'/>"
      "</persistenceAdapter></broker>", CFG_EUNSUPPORTED, "t.xml:3: <jdbcPersistenceAdapter>: not supported: JDBC" },
    { "empty persistenceAdapter", B "<persistenceAdapter>\n</persistenceAdapter></broker>",
      CFG_EMISSING, "<persistenceAdapter>: holds no store" },
    { "bad sync policy", B "<persistenceAdapter>\n<bdb syncPolicy='sometimes'/></persistenceAdapter>"
      "</broker>", CFG_EVALUE, "t.xml:3: <bdb>: attribute \"syncPolicy\": \"sometimes\" is not always, batch or none" },
    { "jaas", B "<plugins>\n<jaasAuthenticationPlugin configuration='activemq'/></plugins></broker>",
      CFG_EMISSING, "t.xml:3: <jaasAuthenticationPlugin>: /opt/amq/conf/login.config: No such file" },
    { "jaas sslConfiguration", B "<plugins>\n<jaasAuthenticationPlugin sslConfiguration='x'/></plugins></broker>",
      CFG_EVALUE, "t.xml:3: <jaasAuthenticationPlugin>: attribute \"sslConfiguration\": only "
      "<jaasDualAuthenticationPlugin> has an sslConfiguration" },
    { "JKS keystore", B "<sslContext>\n<sslContext keyStore='broker.ks' keyStorePassword='password'/>"
      "</sslContext></broker>", CFG_EUNSUPPORTED,
      "t.xml:3: <sslContext>: attribute \"keyStore\": \"broker.ks\" is a Java keystore" },
    { "JKS truststore", B "<sslContext>\n<sslContext certificate='c.pem' privateKey='k.pem' "
      "trustStore='client.ts'/></sslContext></broker>", CFG_EUNSUPPORTED, "keytool -exportcert" },
    { "JKS truststore without PEM", B "<sslContext>\n<sslContext keyStore='b.p12' trustStore='t.jks' "
      "trustStorePassword='pw'/></sslContext></broker>", CFG_EUNSUPPORTED,
      "t.xml:3: <sslContext>: attribute \"trustStore\": \"t.jks\" is a Java truststore" },
    { "ssl without sslContext", TC("ssl://0.0.0.0:61617"), CFG_EMISSING,
      "t.xml:3: <transportConnector>: \"ssl://0.0.0.0:61617\" needs an <sslContext>" },
    { "client auth without CA", B "<sslContext><sslContext certificate='c' privateKey='k'/>"
      "</sslContext>\n<transportConnectors>\n<transportConnector uri='ssl://h:1?needClientAuth=true'/>"
      "</transportConnectors></broker>", CFG_EMISSING, "t.xml:4: <transportConnector>: needClientAuth=true needs caCertificate=" },
    { "policy without destination", B "<destinationPolicy><policyMap><policyEntries>\n"
      "<policyEntry producerFlowControl='false'/></policyEntries></policyMap></destinationPolicy>"
      "</broker>", CFG_EMISSING, "t.xml:3: <policyEntry>: needs queue=, topic=" },
    { "text inside an element", B "<transportConnectors>tcp://x:1</transportConnectors></broker>",
      CFG_EUNKNOWN, "<transportConnectors>: unexpected text" },
    { "mirrored queues", "<broker " CORE " useMirroredQueues='true'/>", CFG_EUNSUPPORTED,
      "attribute \"useMirroredQueues\": \"true\" is not supported" },
    { "composite forwarding nowhere", B "<destinationInterceptors><virtualDestinationInterceptor>"
      "<virtualDestinations>\n<compositeQueue name='X'/></virtualDestinations>"
      "</virtualDestinationInterceptor></destinationInterceptors></broker>", CFG_EMISSING,
      "t.xml:3: <compositeQueue>: forwards nowhere" },
    { "duplicate section", B "<plugins/>\n<plugins/></broker>", CFG_EVALUE,
      "t.xml:3: <plugins>: appears twice" },
    { "user without password", B "<plugins><simpleAuthenticationPlugin><users>\n"
      "<authenticationUser username='u'/></users></simpleAuthenticationPlugin></plugins></broker>",
      CFG_EMISSING, "t.xml:3: <authenticationUser>: attribute \"password\" is required" },
};

static void test_refused_configs_name_file_line_element(void)
{
    for (size_t i = 0; i < sizeof bad_cases / sizeof bad_cases[0]; i++) {
        const bad_case_t *bc = &bad_cases[i];
        logcap_t lc;
        cfg_t *cfg = (cfg_t *)1;
        char err[1024] = "";
        apr_status_t rv = load(bc->xml, &lc, &cfg, err, sizeof err);
        if (rv != bc->code || !strstr(err, bc->message))
            fprintf(stderr, "\ncase \"%s\": status %d (want %d), error: %s\n", bc->what, (int)rv,
                    (int)bc->code, err);
        CU_ASSERT_EQUAL(rv, bc->code);
        CU_ASSERT_PTR_NOT_NULL(strstr(err, bc->message));
        CU_ASSERT_PTR_NULL(cfg);
    }
}

static void test_file_too_large(void)
{
    size_t n = CFG_MAX_FILE_BYTES + 1;
    char *xml = malloc(n + 1);
    CU_ASSERT_PTR_NOT_NULL_FATAL(xml);
    memset(xml, ' ', n);
    memcpy(xml, "<broker/>", 9);
    xml[n] = '\0';
    cfg_t *cfg;
    char err[256];
    apr_status_t rv = cfg_load_memory(pool, "big.xml", xml, n, NULL, &cfg, err, sizeof err);
    CU_ASSERT_EQUAL(rv, CFG_ETOOBIG);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "big.xml: file is 4194305 bytes; the limit is 4194304"));

    const char *path = "build/conf_test_big.xml";
    FILE *f = fopen(path, "wb");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    fwrite(xml, 1, n, f);
    fclose(f);
    rv = cfg_load_file(pool, path, NULL, &cfg, err, sizeof err);
    CU_ASSERT_EQUAL(rv, CFG_ETOOBIG);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "larger than 4194304 bytes"));
    remove(path);
    free(xml);
}

static void test_too_deep(void)
{
    char xml[4096];
    size_t n = (size_t)snprintf(xml, sizeof xml, "<broker " CORE ">");
    for (int i = 0; i < CFG_MAX_DEPTH + 5; i++)
        n += (size_t)snprintf(xml + n, sizeof xml - n, "<plugins>");
    cfg_t *cfg;
    char err[256];
    apr_status_t rv = cfg_load_memory(pool, "deep.xml", xml, n, NULL, &cfg, err, sizeof err);
    CU_ASSERT_EQUAL(rv, CFG_ETOOBIG);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "nested deeper than 32"));
}

/* Issue 12 (8): an attribute name longer than 255 characters was compared past the end of a
 * 256-byte stack buffer while recording attribute lines.  It must load (the unknown attribute is
 * reported) and the lines of the attributes after it must still be right. */
static void test_long_attribute_name(void)
{
    static const size_t lens[] = { 255, 256, 300, 5000 };
    for (size_t i = 0; i < sizeof lens / sizeof lens[0]; i++) {
        char *name = malloc(lens[i] + 1);
        CU_ASSERT_PTR_NOT_NULL_FATAL(name);
        memset(name, 'a', lens[i]);
        name[lens[i]] = '\0';
        char *xml = apr_psprintf(pool, "<broker " CORE "\n  %s=\"1\"\n  x:%s=\"2\" xmlns:x=\"urn:x\"\n"
                                 "  persistent=\"maybe\"/>", name, name);
        logcap_t lc;
        cfg_t *cfg = NULL;
        char err[1024] = "";
        apr_status_t rv = load(xml, &lc, &cfg, err, sizeof err);
        CU_ASSERT_NOT_EQUAL(rv, APR_SUCCESS);
        if (!strstr(err, "t.xml:4:"))
            fprintf(stderr, "\nlong attribute %zu: %s\n", lens[i], err);
        CU_ASSERT_PTR_NOT_NULL(strstr(err, "t.xml:4:"));
        CU_ASSERT_PTR_NOT_NULL(strstr(err, "persistent"));
        free(name);
    }
}

static void test_missing_file(void)
{
    cfg_t *cfg;
    char err[256];
    apr_status_t rv = cfg_load_file(pool, "conf/no-such-file.xml", NULL, &cfg, err, sizeof err);
    CU_ASSERT_TRUE(APR_STATUS_IS_ENOENT(rv));
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "conf/no-such-file.xml: cannot open"));
    CU_ASSERT_PTR_NULL(cfg);
}

/* ---- accepted shapes ---- */

static void test_broker_shapes(void)
{
    const char *shapes[] = {
        "<broker " CORE " brokerName='a'/>",
        "<broker brokerName='a'/>",
        "<beans xmlns='http://www.springframework.org/schema/beans'>"
        "<broker " CORE " brokerName='a'/></beans>",
        "<beans xmlns='http://www.springframework.org/schema/beans' "
        "xmlns:amq='http://activemq.apache.org/schema/core'><amq:broker brokerName='a'>"
        "<amq:transportConnectors><amq:transportConnector uri='tcp://h:1'/>"
        "</amq:transportConnectors></amq:broker></beans>",
        "<beans><broker brokerName='a'/></beans>",
        "<?xml version='1.0' encoding='ISO-8859-1'?><broker brokerName='a'/>",
    };
    for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++) {
        logcap_t lc;
        cfg_t *cfg = ok(shapes[i], &lc);
        CU_ASSERT_STRING_EQUAL(cfg->broker_name, "a");
        CU_ASSERT_EQUAL(lc.warns, 0);
        cfg_destroy(cfg);
    }
}

static void test_beans_wrapper_logs_and_never_instantiates(void)
{
    logcap_t lc;
    cfg_t *cfg = ok("<beans xmlns='http://www.springframework.org/schema/beans'>\n"
                    "<bean id='x' class='org.springframework.beans.factory.config."
                    "PropertyPlaceholderConfigurer'/>\n"
                    "<bean id='ds' class='org.apache.commons.dbcp2.BasicDataSource'>"
                    "<property name='url' value='${db.url}'/></bean>\n"
                    "<broker " CORE "/>\n<import resource='camel.xml'/></beans>", &lc);
    CU_ASSERT(logged(&lc, "I t.xml:2: <bean>: Spring bean org.springframework"));
    CU_ASSERT(logged(&lc, "W t.xml:3: <bean>: Spring bean of class "
                          "org.apache.commons.dbcp2.BasicDataSource ignored"));
    CU_ASSERT(logged(&lc, "W t.xml:5: <import>: resource \"camel.xml\" not read"));
    CU_ASSERT_EQUAL(lc.warns, 2);
    cfg_destroy(cfg);
}

static void test_placeholders(void)
{
    logcap_t lc;
    cfg_load_opts_t o = opts_with(&lc);
    cfg_property_t props[] = { { "my.port", "61699" }, { "activemq.data", "/override/data" } };
    o.base_dir = "/srv/amq";
    o.properties = props;
    o.nproperties = 2;
    const char *xml =
        "<broker " CORE " brokerName='${broker.name:fallback}' dataDirectory='${activemq.data}'>"
        "<persistenceAdapter><kahaDB directory='${activemq.base}/k'/></persistenceAdapter>"
        "<sslContext><sslContext certificate='${activemq.conf}/c.pem' "
        "privateKey='${activemq.home}/k.pem'/></sslContext>"
        "<transportConnectors><transportConnector uri='tcp://localhost:${my.port}'/>"
        "</transportConnectors></broker>";
    cfg_t *cfg;
    char err[512] = "";
    CU_ASSERT_EQUAL_FATAL(cfg_load_memory(pool, "t.xml", xml, strlen(xml), &o, &cfg, err,
                                          sizeof err), APR_SUCCESS);
    CU_ASSERT_STRING_EQUAL(cfg->broker_name, "fallback");
    CU_ASSERT_STRING_EQUAL(cfg->data_directory, "/override/data");
    CU_ASSERT_STRING_EQUAL(cfg->store.directory, "/srv/amq/k");
    CU_ASSERT_STRING_EQUAL(cfg->tls->certificate, "/srv/amq/conf/c.pem");
    CU_ASSERT_STRING_EQUAL(cfg->tls->private_key, "/srv/amq/k.pem");
    CU_ASSERT_EQUAL(connector(cfg, 0)->port, 61699);
    cfg_destroy(cfg);

    /* defaults without options: base ".", conf = base/conf for a document in memory */
    xml = "<broker " CORE " dataDirectory='${activemq.data}|${activemq.conf}|${activemq.home}'/>";
    CU_ASSERT_EQUAL_FATAL(cfg_load_memory(pool, "t.xml", xml, strlen(xml), NULL, &cfg, err,
                                          sizeof err), APR_SUCCESS);
    CU_ASSERT_STRING_EQUAL(cfg->data_directory, "./data|./conf|.");
    cfg_destroy(cfg);
}

static void test_connector_uris(void)
{
    logcap_t lc;
    cfg_t *cfg = ok(
        "<broker " CORE ">\n"
        "<sslContext><sslContext certificate='c.pem' privateKey='k.pem' caCertificate='ca.pem'/>"
        "</sslContext>\n<transportConnectors>\n"
        "<transportConnector name='a' uri='nio://0.0.0.0:61616?wireFormat.maxInactivityDuration=0"
        "&amp;wireFormat.maxInactivityDurationInitalDelay=5000&amp;wireFormat.tightEncodingEnabled=false"
        "&amp;wireFormat.cacheEnabled=false&amp;wireFormat.cacheSize=256&amp;"
        "wireFormat.sizePrefixDisabled=true&amp;transport.tcpNoDelay=false&amp;"
        "wireFormat.maxFrameSize=1mb&amp;transport.bogus=1&amp;trace=true'/>\n"
        "<transportConnector name='b' uri='amqp+ssl://[::1]:5671?transport.needClientAuth=true"
        "&amp;transport.transformer=native&amp;wireFormat.maxAmqpFrameSize=65536'/>\n"
        "<transportConnector name='c' uri='auto+nio+ssl://h:61618/?auto.protocols=default,stomp'/>\n"
        "<transportConnector name='d' uri='auto://h:61619'/>\n"
        "</transportConnectors></broker>", &lc);
    CU_ASSERT_EQUAL_FATAL(cfg->connectors->nelts, 4);
    const cfg_connector_t *a = connector(cfg, 0), *b = connector(cfg, 1);
    const cfg_connector_t *c = connector(cfg, 2), *d = connector(cfg, 3);
    CU_ASSERT_EQUAL(a->scheme, CFG_SCHEME_TCP);
    CU_ASSERT_STRING_EQUAL(a->scheme_text, "nio");
    CU_ASSERT_EQUAL(a->max_inactivity_ms, 0);
    CU_ASSERT_EQUAL(a->max_inactivity_initial_delay_ms, 5000);
    CU_ASSERT_FALSE(a->tight_encoding);
    CU_ASSERT_FALSE(a->cache_enabled);
    CU_ASSERT_EQUAL(a->cache_size, 256);
    CU_ASSERT_TRUE(a->size_prefix_disabled);
    CU_ASSERT_FALSE(a->tcp_no_delay);
    CU_ASSERT_EQUAL(a->max_frame_size, 1 << 20);
    CU_ASSERT_EQUAL(a->max_connections, 0);
    CU_ASSERT(logged(&lc, "I t.xml:4: <transportConnector>: attribute \"uri\": nio:// is served like tcp://"));
    CU_ASSERT(logged(&lc, "W t.xml:4: <transportConnector>: attribute \"uri\": option "
                          "\"transport.bogus\": unknown option ignored"));
    CU_ASSERT(logged(&lc, "option \"trace\": ignored"));
    CU_ASSERT_EQUAL(b->scheme, CFG_SCHEME_AMQP_SSL);
    CU_ASSERT_EQUAL(b->protocols, CFG_PROTO_AMQP);
    CU_ASSERT_TRUE(b->tls);
    CU_ASSERT_STRING_EQUAL(b->host, "::1");
    CU_ASSERT_EQUAL(b->port, 5671);
    CU_ASSERT_TRUE(b->need_client_auth);
    CU_ASSERT_STRING_EQUAL(b->amqp_transformer, "native");
    CU_ASSERT_EQUAL(b->amqp_max_frame_size, 65536);
    CU_ASSERT_EQUAL(c->scheme, CFG_SCHEME_AUTO_SSL);
    CU_ASSERT_EQUAL(c->protocols, CFG_PROTO_OPENWIRE);
    CU_ASSERT(logged(&lc, "protocol \"stomp\" ignored"));
    CU_ASSERT_EQUAL(d->protocols, CFG_PROTO_OPENWIRE | CFG_PROTO_AMQP);
    CU_ASSERT_STRING_EQUAL(d->name, "d");
    CU_ASSERT_EQUAL(lc.warns, 3);
    cfg_destroy(cfg);
}

static void test_size_strings(void)
{
    static const struct { const char *text; int64_t value; } good[] = {
        { "64 mb", 64LL << 20 }, { "1 gb", 1LL << 30 }, { "512kb", 512LL << 10 },
        { "1024", 1024 }, { "10 b", 10 }, { " 7 K ", 7LL << 10 }, { "3G", 3LL << 30 },
        { "100 GB", 100LL << 30 }, { "0", 0 },
    };
    static const char *const bad[] = {
        "", "mb", "1.5 mb", "-1", "1 tb", "99999999999999999999", "10 kbb", "1 m b",
        "9999999999999 gb",
    };
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        int64_t v = -1;
        CU_ASSERT_EQUAL(cfg_parse_size(good[i].text, &v), APR_SUCCESS);
        CU_ASSERT_EQUAL(v, good[i].value);
    }
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int64_t v;
        CU_ASSERT_EQUAL(cfg_parse_size(bad[i], &v), CFG_EVALUE);
    }
}

static void test_usage(void)
{
    logcap_t lc;
    cfg_t *cfg = ok("<broker " CORE "><systemUsage><systemUsage sendFailIfNoSpaceAfterTimeout='3000'>"
                    "<memoryUsage><memoryUsage limit='64 mb'/></memoryUsage>"
                    "<storeUsage><storeUsage limit='2 gb' percentLimit='80'/></storeUsage>"
                    "<tempUsage><tempUsage limit='512kb'/></tempUsage>"
                    "</systemUsage></systemUsage></broker>", &lc);
    CU_ASSERT_EQUAL(cfg->usage.memory_limit, 64 << 20);
    CU_ASSERT_EQUAL(cfg->usage.store_limit, 2LL << 30);
    CU_ASSERT_EQUAL(cfg->usage.store_percent_limit, 80);
    CU_ASSERT_EQUAL(cfg->usage.temp_limit, 512 << 10);
    CU_ASSERT_TRUE(cfg->usage.send_fail_if_no_space);
    CU_ASSERT_EQUAL(cfg->usage.send_fail_if_no_space_after_timeout_ms, 3000);
    cfg_destroy(cfg);
}

static void test_tls_contexts(void)
{
    logcap_t lc;
    cfg_t *cfg = ok("<broker " CORE "><sslContext><sslContext keyStore='broker.p12' "
                    "keyStorePassword='pw' trustStore='t.jks' caCertificate='ca.pem'/></sslContext>"
                    "<transportConnectors><transportConnector uri='ssl://h:1?needClientAuth=true'/>"
                    "</transportConnectors></broker>", &lc);
    CU_ASSERT_EQUAL(cfg->tls->format, CFG_TLS_PKCS12);
    CU_ASSERT_STRING_EQUAL(cfg->tls->key_store, "broker.p12");
    CU_ASSERT_STRING_EQUAL(cfg->tls->key_store_password, "pw");
    CU_ASSERT_STRING_EQUAL(cfg->tls->ca_certificate, "ca.pem");
    CU_ASSERT_TRUE(connector(cfg, 0)->need_client_auth);
    CU_ASSERT_STRING_EQUAL(connector(cfg, 0)->name, "ssl://h:1?needClientAuth=true");
    CU_ASSERT_PTR_NULL(cfg->tls->trust_store);    /* caCertificate= wins */
    cfg_destroy(cfg);
    /* ActiveMQ's own PKCS#12 <sslContext>: the trustStore verifies client certificates */
    cfg = ok("<broker " CORE "><sslContext><sslContext keyStore='b.p12' keyStorePassword='pw' "
             "keyStoreType='pkcs12' trustStore='trust.p12' trustStorePassword='tpw' "
             "trustStoreType='pkcs12'/></sslContext><transportConnectors><transportConnector "
             "uri='ssl://h:1?needClientAuth=true'/></transportConnectors></broker>", &lc);
    CU_ASSERT_STRING_EQUAL(cfg->tls->trust_store, "trust.p12");
    CU_ASSERT_STRING_EQUAL(cfg->tls->trust_store_password, "tpw");
    CU_ASSERT_PTR_NULL(cfg->tls->ca_certificate);
    cfg_destroy(cfg);
    cfg = ok("<broker " CORE "><sslContext><sslContext certificate='c.pem' privateKey='k.pem' "
             "privateKeyPassword='x' crlPath='revoked.pem'/></sslContext></broker>", &lc);
    CU_ASSERT_STRING_EQUAL(cfg->tls->crl_path, "revoked.pem");
    CU_ASSERT_EQUAL(cfg->tls->format, CFG_TLS_PEM);
    CU_ASSERT_STRING_EQUAL(cfg->tls->private_key_password, "x");
    CU_ASSERT_STRING_EQUAL(cfg->tls->protocol, "TLS");
    cfg_destroy(cfg);
}

/* The pair's lease: hermod's lease-file-locker with ActiveMQ's attribute names, and the
 * lockers of an existing activemq.xml read as it; without a locker the exclusive lock stays. */
static void test_store_lockers(void)
{
    logcap_t lc;
    cfg_t *cfg = ok("<broker " CORE "><persistenceAdapter><bdb directory='/s' lockKeepAlivePeriod='500'>"
                    "<locker><lease-file-locker lockAcquireSleepInterval='2000' leaseHolderId='a'/>"
                    "</locker></bdb></persistenceAdapter></broker>", &lc);
    CU_ASSERT_EQUAL(cfg->store.locker, CFG_LOCKER_LEASE);
    CU_ASSERT_EQUAL(cfg->store.lease_ms, 2000);
    CU_ASSERT_EQUAL(cfg->store.keep_alive_ms, 500);
    CU_ASSERT_STRING_EQUAL(cfg->store.lease_holder_id, "a");
    CU_ASSERT_EQUAL(lc.warns, 0);
    cfg_destroy(cfg);

    cfg = ok("<broker " CORE "><persistenceAdapter><kahaDB directory='/s'><locker>"
             "<shared-file-locker lockAcquireSleepInterval='4000'/></locker></kahaDB>"
             "</persistenceAdapter></broker>", &lc);
    CU_ASSERT_EQUAL(cfg->store.locker, CFG_LOCKER_LEASE);
    CU_ASSERT_EQUAL(cfg->store.lease_ms, 4000);
    CU_ASSERT_EQUAL(cfg->store.keep_alive_ms, 1000);     /* a quarter of the lease */
    CU_ASSERT(logged(&lc, "<shared-file-locker>: read as hermod's <lease-file-locker>"));
    CU_ASSERT(!cfg->store.fail_if_locked);
    cfg_destroy(cfg);

    cfg = ok("<broker " CORE "><persistenceAdapter><kahaDB><locker><shared-file-locker/></locker>"
             "</kahaDB></persistenceAdapter></broker>", &lc);
    CU_ASSERT_EQUAL(cfg->store.lease_ms, 10000);         /* ActiveMQ's default */
    cfg_destroy(cfg);

    cfg = ok("<broker " CORE "><persistenceAdapter><bdb/></persistenceAdapter></broker>", &lc);
    CU_ASSERT_EQUAL(cfg->store.locker, CFG_LOCKER_EXCLUSIVE);
    cfg_destroy(cfg);

    CU_ASSERT_EQUAL(validate("<broker " CORE "><persistenceAdapter><bdb lockKeepAlivePeriod='500'>"
                             "<locker><lease-file-locker lockAcquireSleepInterval='2000'/></locker>"
                             "</bdb></persistenceAdapter></broker>", NULL), 0);
    CU_ASSERT_EQUAL(schema_errors, 0);
}

static void test_store_variants(void)
{
    logcap_t lc;
    cfg_t *cfg = ok("<broker " CORE " dataDirectory='/d'><persistenceAdapter><kahaDB "
                    "journalMaxFileLength='16mb' journalDiskSyncStrategy='periodic' "
                    "journalDiskSyncInterval='50' indexCacheSize='10000'/></persistenceAdapter></broker>", &lc);
    CU_ASSERT_STRING_EQUAL(cfg->store.directory, "/d/kahadb");
    CU_ASSERT_EQUAL(cfg->store.log_file_size, 16 << 20);
    CU_ASSERT_EQUAL(cfg->store.sync, CFG_SYNC_BATCH);
    CU_ASSERT_EQUAL(cfg->store.group_commit_ms, 50);
    CU_ASSERT(logged(&lc, "attribute \"indexCacheSize\": ignored: KahaDB tuning"));
    cfg_destroy(cfg);

    cfg = ok("<broker " CORE "><persistenceAdapter><kahaDB enableJournalDiskSyncs='false'/>"
             "</persistenceAdapter></broker>", &lc);
    CU_ASSERT_EQUAL(cfg->store.sync, CFG_SYNC_NONE);
    cfg_destroy(cfg);

    cfg = ok("<broker " CORE "><persistenceAdapter><bdb syncPolicy='batch'/></persistenceAdapter>"
             "</broker>", &lc);
    CU_ASSERT_EQUAL(cfg->store.sync, CFG_SYNC_BATCH);
    CU_ASSERT_EQUAL(cfg->store.group_commit_ms, 100);
    cfg_destroy(cfg);

    cfg = ok("<broker " CORE " persistent='false'><persistenceAdapter><bdb/></persistenceAdapter>"
             "</broker>", &lc);
    CU_ASSERT_EQUAL(cfg->store.kind, CFG_STORE_MEMORY);
    CU_ASSERT(logged(&lc, "persistent=\"false\""));
    cfg_destroy(cfg);

    cfg = ok("<broker " CORE "><persistenceAdapter><memoryPersistenceAdapter/></persistenceAdapter>"
             "</broker>", &lc);
    CU_ASSERT_EQUAL(cfg->store.kind, CFG_STORE_MEMORY);
    cfg_destroy(cfg);
}

static void test_broker_attributes(void)
{
    logcap_t lc;
    cfg_t *cfg = ok("<broker " CORE " brokerName='my broker!' schedulerSupport='yes' "
                    "advisorySupport='false' useJmx='true' offlineDurableSubscriberTimeout='86400000' "
                    "deleteAllMessagesOnStartup='true' someFutureThing='1' brokerId='ID:b-1'/>", &lc);
    CU_ASSERT_STRING_EQUAL(cfg->broker_id, "ID:b-1");
    CU_ASSERT_EQUAL(cfg->max_scheduler_repeat_allowed, 1000);
    CU_ASSERT_STRING_EQUAL(cfg->broker_name, "my_broker_");
    CU_ASSERT_TRUE(cfg->scheduler_support);
    CU_ASSERT_FALSE(cfg->advisory_support);
    CU_ASSERT_EQUAL(cfg->offline_durable_subscriber_timeout_ms, 86400000);
    CU_ASSERT_TRUE(cfg->store.delete_all_on_startup);
    CU_ASSERT(logged(&lc, "attribute \"useJmx\": \"true\" ignored: hermod has no JMX"));
    CU_ASSERT(logged(&lc, "attribute \"someFutureThing\": unknown attribute ignored"));
    CU_ASSERT(logged(&lc, "attribute \"brokerName\": \"my broker!\" has characters"));
    CU_ASSERT_EQUAL(lc.warns, 3);
    cfg_destroy(cfg);
}

static void test_strerror_names_cfg_codes(void)
{
    cfg_status_init();
    CU_ASSERT_STRING_EQUAL(hm_strerror(CFG_EPLACEHOLDER), "unknown ${...} placeholder in configuration");
    CU_ASSERT_STRING_EQUAL(hm_strerror(CFG_EUNSUPPORTED), "configuration feature not supported by hermod");
}

int main(void)
{
    apr_initialize();
    apr_pool_create(&pool, NULL);
    CU_initialize_registry();
    CU_pSuite s = CU_add_suite("conf", NULL, NULL);
    CU_add_test(s, "defaults", test_defaults);
    CU_add_test(s, "shipped conf/hermod.xml", test_shipped_default_config);
    CU_add_test(s, "conf/hermod.xml validates against conf/hermod.xsd",
                test_default_config_validates_against_xsd);
    CU_add_test(s, "hermod.xsd covers supported elements, refuses others",
                test_xsd_covers_supported_elements);
    CU_add_test(s, "stock activemq.xml loads with expected warnings",
                test_stock_activemq_xml_loads_with_warnings);
    CU_add_test(s, "refused configs name file:line:element", test_refused_configs_name_file_line_element);
    CU_add_test(s, "file too large", test_file_too_large);
    CU_add_test(s, "nesting too deep", test_too_deep);
    CU_add_test(s, "missing file", test_missing_file);
    CU_add_test(s, "bare, namespaced, prefixed and wrapped broker", test_broker_shapes);
    CU_add_test(s, "beans wrapper: beans logged, never instantiated",
                test_beans_wrapper_logs_and_never_instantiates);
    CU_add_test(s, "placeholders", test_placeholders);
    CU_add_test(s, "connector URIs and options", test_connector_uris);
    CU_add_test(s, "ActiveMQ size strings", test_size_strings);
    CU_add_test(s, "systemUsage", test_usage);
    CU_add_test(s, "TLS contexts", test_tls_contexts);
    CU_add_test(s, "store variants", test_store_variants);
    CU_add_test(s, "store lockers", test_store_lockers);
    CU_add_test(s, "broker attributes", test_broker_attributes);
    CU_add_test(s, "hm_strerror names cfg codes", test_strerror_names_cfg_codes);
    CU_add_test(s, "attribute names longer than 255 characters", test_long_attribute_name);
    CU_basic_set_mode(CU_BRM_VERBOSE);
    CU_basic_run_tests();
    unsigned failed = CU_get_number_of_failures();
    CU_cleanup_registry();
    apr_pool_destroy(pool);
    apr_terminate();
    xmlCleanupParser();
    return failed ? 1 : 0;
}
