/* Unit tests for the configuration loader (conf/).  Run from the repository root: the
 * shipped files conf/hermod.xml, conf/hermod.xsd and conf/examples/ are loaded by path. */
#include <CUnit/Basic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <apr_general.h>
#include <apr_strings.h>
#include <libxml/parser.h>
#include <libxml/xmlschemas.h>

#include "cfg.h"
#include "cfg_limits.h"

static apr_pool_t *pool;

/* ---- capturing warnings ---- */

typedef struct logcap_s {
    char text[16384];
    int warns, infos;
} logcap_t;

static void capture(void *baton, hm_log_level_e level, const char *msg)
{
    logcap_t *lc = baton;
    size_t n = strlen(lc->text);
    snprintf(lc->text + n, sizeof lc->text - n, "%s %s\n", level == HM_LOG_WARN ? "W" : "I", msg);
    if (level == HM_LOG_WARN)
        lc->warns++;
    else
        lc->infos++;
}

static cfg_load_opts_t opts_with(logcap_t *lc)
{
    cfg_load_opts_t o;
    memset(&o, 0, sizeof o);
    memset(lc, 0, sizeof *lc);
    o.log = capture;
    o.log_baton = lc;
    return o;
}

#define CORE "xmlns=\"http://activemq.apache.org/schema/core\""

static apr_status_t load(const char *xml, logcap_t *lc, cfg_t **cfg, char *err, size_t errlen)
{
    cfg_load_opts_t o = opts_with(lc);
    o.base_dir = "/opt/amq";
    return cfg_load_memory(pool, "t.xml", xml, strlen(xml), &o, cfg, err, errlen);
}

/* Loads a document that must be accepted. */
static cfg_t *ok(const char *xml, logcap_t *lc)
{
    cfg_t *cfg = NULL;
    char err[1024] = "";
    apr_status_t rv = load(xml, lc, &cfg, err, sizeof err);
    if (rv != APR_SUCCESS)
        fprintf(stderr, "\nunexpected failure: %s\n", err);
    CU_ASSERT_EQUAL_FATAL(rv, APR_SUCCESS);
    CU_ASSERT_PTR_NOT_NULL_FATAL(cfg);
    return cfg;
}

static const cfg_connector_t *connector(const cfg_t *cfg, int i)
{
    CU_ASSERT_FATAL(i < cfg->connectors->nelts);
    return &APR_ARRAY_IDX(cfg->connectors, i, cfg_connector_t);
}

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
    CU_ASSERT_EQUAL_FATAL(cfg->connectors->nelts, 1);
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

static bool logged(const logcap_t *lc, const char *level_and_text)
{
    return strstr(lc->text, level_and_text) != NULL;
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
    { "jdbc store", B "<persistenceAdapter>\n<jdbcPersistenceAdapter dataSource='#ds'/>"
      "</persistenceAdapter></broker>", CFG_EUNSUPPORTED, "t.xml:3: <jdbcPersistenceAdapter>: not supported: JDBC" },
    { "empty persistenceAdapter", B "<persistenceAdapter>\n</persistenceAdapter></broker>",
      CFG_EMISSING, "<persistenceAdapter>: holds no store" },
    { "bad sync policy", B "<persistenceAdapter>\n<bdb syncPolicy='sometimes'/></persistenceAdapter>"
      "</broker>", CFG_EVALUE, "t.xml:3: <bdb>: attribute \"syncPolicy\": \"sometimes\" is not always, batch or none" },
    { "jaas", B "<plugins>\n<jaasAuthenticationPlugin configuration='activemq'/></plugins></broker>",
      CFG_EUNSUPPORTED, "t.xml:3: <jaasAuthenticationPlugin>: not supported: JAAS" },
    { "JKS keystore", B "<sslContext>\n<sslContext keyStore='broker.ks' keyStorePassword='password'/>"
      "</sslContext></broker>", CFG_EUNSUPPORTED,
      "t.xml:3: <sslContext>: attribute \"keyStore\": \"broker.ks\" is a Java keystore" },
    { "JKS truststore", B "<sslContext>\n<sslContext certificate='c.pem' privateKey='k.pem' "
      "trustStore='client.ts'/></sslContext></broker>", CFG_EUNSUPPORTED, "keytool -exportcert" },
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

/* ---- policies and matching ---- */

static void test_wildcard_matching(void)
{
    static const struct { const char *pattern, *name; bool match; } cases[] = {
        { ">", "A", true }, { ">", "A.B.C", true }, { "A.>", "A", true },
        { "A.>", "A.B.C", true }, { "A.>", "B.A", false }, { "A.*", "A.B", true },
        { "A.*", "A", false }, { "A.*", "A.B.C", false }, { "*.B", "A.B", true },
        { "A.B", "A.B", true }, { "A.B", "A.BB", false }, { "A.*.C", "A.X.C", true },
        { "A.*.C", "A.X.D", false }, { "A.B", "A.*", false }, { "A", "A.B", false },
        { "A.B.>", "A.B", true }, { "A.B.>", "A", false }, { "A.>", "*.B", true },
        { "A.*", "*.B", false }, { "*.>.>", "A", false }, { "*.>.>", "A.B", true },
        { "A.>.B", "A.X.B", false }, { "A.>.B", "A.>.B", true },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        bool m = cfg_dest_matches(cases[i].pattern, cases[i].name);
        if (m != cases[i].match)
            fprintf(stderr, "\n%s vs %s\n", cases[i].pattern, cases[i].name);
        CU_ASSERT_EQUAL(m, cases[i].match);
    }
}

static void test_policy_for_picks_most_specific(void)
{
    logcap_t lc;
    cfg_t *cfg = ok(
        "<broker " CORE "><destinationPolicy><policyMap><policyEntries>\n"
        "<policyEntry queue='>' maxPageSize='1'/>\n"
        "<policyEntry queue='FOO.>' maxPageSize='2'/>\n"
        "<policyEntry queue='FOO.BAR.*' maxPageSize='3'/>\n"
        "<policyEntry queue='FOO.BAR.BAZ' maxPageSize='4'/>\n"
        "<policyEntry queue='ORDERS,INVOICES' maxPageSize='5' queuePrefetch='10'/>\n"
        "<policyEntry topic='FOO.>' maxPageSize='6' producerFlowControl='false'/>\n"
        "<policyEntry tempQueue='true' maxPageSize='7'/>\n"
        "<policyEntry queue='*.X' maxPageSize='8'/>\n"
        "</policyEntries><defaultEntry><policyEntry maxPageSize='99'/></defaultEntry>"
        "</policyMap></destinationPolicy></broker>", &lc);
    static const struct { cfg_dest_kind_e kind; const char *name; int page; } cases[] = {
        { CFG_DEST_QUEUE, "FOO.BAR.BAZ", 4 }, { CFG_DEST_QUEUE, "FOO.BAR.QUX", 3 },
        { CFG_DEST_QUEUE, "FOO.X", 8 },       /* FOO.> covers *.X, so *.X is narrower */
        { CFG_DEST_QUEUE, "FOO.Y", 2 }, { CFG_DEST_QUEUE, "FOO", 2 },
        { CFG_DEST_QUEUE, "FOO.BAR.BAZ.DEEP", 2 }, { CFG_DEST_QUEUE, "OTHER", 1 },
        { CFG_DEST_QUEUE, "ORDERS", 5 }, { CFG_DEST_QUEUE, "INVOICES", 5 },
        { CFG_DEST_QUEUE, "BAR.X", 8 },
        { CFG_DEST_TOPIC, "FOO.NEWS", 6 }, { CFG_DEST_TOPIC, "OTHER", 99 },
        { CFG_DEST_TEMP_QUEUE, "ID:x-1:1:1", 7 }, { CFG_DEST_TEMP_TOPIC, "ID:x", 99 },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const cfg_policy_t *p = cfg_policy_lookup(cfg, cases[i].kind, cases[i].name);
        if (p->max_page_size != cases[i].page)
            fprintf(stderr, "\n%s: got %d want %d\n", cases[i].name, p->max_page_size, cases[i].page);
        CU_ASSERT_EQUAL(p->max_page_size, cases[i].page);
    }
    CU_ASSERT_EQUAL(cfg_policy_for(cfg, true, "ORDERS")->queue_prefetch, 10);
    CU_ASSERT_EQUAL(cfg_policy_for(cfg, true, "OTHER")->queue_prefetch, -1);
    CU_ASSERT_FALSE(cfg_policy_for(cfg, false, "FOO.A")->producer_flow_control);
    CU_ASSERT_EQUAL(cfg_policy_for(cfg, true, "FOO.BAR.X")->line, 4);
    cfg_destroy(cfg);
}

/* Generated by running ActiveMQ 5.17.2's own PolicyMap (activemq-broker.jar) 40 times per
 * query with shuffled entries and keeping the queries it always answers the same way:
 * { entries (queue patterns, '|'-separated), destination, 1-based entry chosen (0: none) }. */
static const struct { const char *patterns, *name; int expect; } activemq_choices[] = {
    { "*.*.C.>|*.>", "B.A.A", 2 },
    { "*.*.C.>|*.>", "C.C", 2 },
    { "*.*.C.>|*.>", "B", 2 },
    { "*.*.C.>|*.>", "C", 2 },
    { "*.C|A.A.>|B.>|C.*", "A.A", 2 },
    { "*.C|A.A.>|B.>|C.*", "B", 3 },
    { "*.C|A.A.>|B.>|C.*", "A.A.A", 2 },
    { "*.C|A.A.>|B.>|C.*", "C.B.C", 0 },
    { ">|C.B.*.>|C.*.C|*.*.B.>|B", "C", 1 },
    { ">|C.B.*.>|C.*.C|*.*.B.>|B", "B", 5 },
    { ">|C.B.*.>|C.*.C|*.*.B.>|B", "A", 1 },
    { ">|C.B.*.>|C.*.C|*.*.B.>|B", "C.A", 1 },
    { "*.*.C|C.*", "B.A.C", 1 },
    { "*.*.C|C.*", "A", 0 },
    { "*.*.C|C.*", "A.A", 0 },
    { "*.*.C|C.*", "C.A.C.B", 0 },
    { "C.A.*|C|>.A|B.B.A|*.A.A|B.B", "C.A", 0 },
    { "C.A.*|C|>.A|B.B.A|*.A.A|B.B", "C.C.C.B", 0 },
    { "C.A.*|C|>.A|B.B.A|*.A.A|B.B", "B.A", 0 },
    { "C.A.*|C|>.A|B.B.A|*.A.A|B.B", "B.B.B.A", 0 },
    { "A.B.>|*.>|*.*.B.>|A.>|*.A.>", "B.B.A.A", 2 },
    { "A.B.>|*.>|*.*.B.>|A.>|*.A.>", "B.B.A", 2 },
    { "A.B.>|*.>|*.*.B.>|A.>|*.A.>", "C.A.A.A", 5 },
    { "A.B.>|*.>|*.*.B.>|A.>|*.A.>", "B.A", 5 },
    { "A.*.>|*|B.>", "C.C", 0 },
    { "A.*.>|*|B.>", "B.B", 3 },
    { "A.*.>|*|B.>", "B.A.A", 3 },
    { "A.*.>|*|B.>", "C.B.A.A", 0 },
    { "A.C.>|A.>", "B.C.C.C", 0 },
    { "A.C.>|A.>", "C.A.C", 0 },
    { "A.C.>|A.>", "B.C", 0 },
    { "A.C.>|A.>", "B.C.C", 0 },
    { "*.C.>|*.*|A|*", "A.B", 2 },
    { "*.C.>|*.*|A|*", "C.C.B.C", 1 },
    { "*.C.>|*.*|A|*", "A.C.A.C", 1 },
    { "*.C.>|*.*|A|*", "B.B.B", 0 },
    { "*.>|*|B.>|B.*.>|C|*.>.*", "C.C", 1 },
    { "*.>|*|B.>|B.*.>|C|*.>.*", "A.A.C.C", 1 },
    { "*.>|*|B.>|B.*.>|C|*.>.*", "A", 2 },
    { "*.>|*|B.>|B.*.>|C|*.>.*", "C", 5 },
    { "C.*|A.B.B.>|C.*.>|C.C.*.>|A.>|>.C.*.>", "A.A.B", 5 },
    { "C.*|A.B.B.>|C.*.>|C.C.*.>|A.>|>.C.*.>", "B.B", 0 },
    { "C.*|A.B.B.>|C.*.>|C.C.*.>|A.>|>.C.*.>", "C.B", 1 },
    { "C.*|A.B.B.>|C.*.>|C.C.*.>|A.>|>.C.*.>", "B", 0 },
    { "*.C|>.C", "A.B", 0 },
    { "*.C|>.C", "B.B.B.B", 0 },
    { "*.C|>.C", "A.C.A.A", 0 },
    { "*.C|>.C", "C.C", 1 },
    { "A.*.*|A.A.>|C.*.B|*", "A.B.B", 1 },
    { "A.*.*|A.A.>|C.*.B|*", "C", 4 },
    { "A.*.*|A.A.>|C.*.B|*", "C.B", 0 },
    { "A.*.*|A.A.>|C.*.B|*", "C.B.A.B", 0 },
    { "*.*.B|*.*.*.>|*", "A.C", 0 },
    { "*.*.B|*.*.*.>|*", "B.C", 0 },
    { "*.*.B|*.*.*.>|*", "B.B.B", 1 },
    { "*.*.B|*.*.*.>|*", "C.C.C", 2 },
    { "*.>|*|*.C.>|C.>|*.*", "B.B.C", 1 },
    { "*.>|*|*.C.>|C.>|*.*", "B.C.A", 3 },
    { "*.>|*|*.C.>|C.>|*.*", "B.B.B", 1 },
    { "*.>|*|*.C.>|C.>|*.*", "B.C.C.B", 3 },
    { "*.*|*.B.*|B|*.A.>", "C.A.B.B", 4 },
    { "*.*|*.B.*|B|*.A.>", "B.A", 1 },
    { "*.*|*.B.*|B|*.A.>", "B.B.C", 2 },
    { "*.*|*.B.*|B|*.A.>", "C.A", 1 },
    { "C.A.*|*.*.B|B.*.>|C|B", "C", 4 },
    { "C.A.*|*.*.B|B.*.>|C|B", "A.A.C.C", 0 },
    { "C.A.*|*.*.B|B.*.>|C|B", "B.C", 3 },
    { "C.A.*|*.*.B|B.*.>|C|B", "C.A", 0 },
    { "*.*.C.>|A|*|B.>|B.*.A|*.*", "A.A.C.A", 1 },
    { "*.*.C.>|A|*|B.>|B.*.A|*.*", "C.B.B", 0 },
    { "*.*.C.>|A|*|B.>|B.*.A|*.*", "C", 3 },
    { "*.*.C.>|A|*|B.>|B.*.A|*.*", "C.A.C", 1 },
    { "*.*|*", "C.A", 1 },
    { "*.*|*", "B.A.A", 0 },
    { "*.*|*", "A.B.B", 0 },
    { "*.*|*", "B.B.B.C", 0 },
    { "B.C|B.C.*", "B", 0 },
    { "B.C|B.C.*", "A.B.C", 0 },
    { "B.C|B.C.*", "B.C.C.B", 0 },
    { "B.C|B.C.*", "C.B", 0 },
    { "A.*.A.>|C.*|B.*.*|A.>|*.*.*.>|*.A.>", "B", 0 },
    { "A.*.A.>|C.*|B.*.*|A.>|*.*.*.>|*.A.>", "A", 4 },
    { "A.*.A.>|C.*|B.*.*|A.>|*.*.*.>|*.A.>", "C", 0 },
    { "A.*.A.>|C.*|B.*.*|A.>|*.*.*.>|*.A.>", "B.B.C.B", 5 },
    { "*.*.*|C.B.B.>|B.B.A|*.*|*.A.>|B.C.B", "A.C", 4 },
    { "*.*.*|C.B.B.>|B.B.A|*.*|*.A.>|B.C.B", "C.B.C.C", 0 },
    { "*.*.*|C.B.B.>|B.B.A|*.*|*.A.>|B.C.B", "C.C.B", 1 },
    { "*.*.*|C.B.B.>|B.B.A|*.*|*.A.>|B.C.B", "C.B.A", 1 },
    { "*.*.*|*|A.*.*.>|A.*.>|B.*.B.>|A.>", "B", 2 },
    { "*.*.*|*|A.*.*.>|A.*.>|B.*.B.>|A.>", "C.B.C", 1 },
    { "*.*.*|*|A.*.*.>|A.*.>|B.*.B.>|A.>", "C", 2 },
    { "*.*.*|*|A.*.*.>|A.*.>|B.*.B.>|A.>", "B.B.C.C", 0 },
    { "A.*|C.*.*.>|*", "B.B", 0 },
    { "A.*|C.*.*.>|*", "A.C", 1 },
    { "A.*|C.*.*.>|*", "A.A", 1 },
    { "A.*|C.*.*.>|*", "C.B", 0 },
    { "B|A|B.*.*.>|B.>", "B.C.A.C", 3 },
    { "B|A|B.*.*.>|B.>", "C.C.B.C", 0 },
    { "B|A|B.*.*.>|B.>", "A.A.B", 0 },
    { "B|A|B.*.*.>|B.>", "C.A.A.A", 0 },
    { "A.A.*|*", "C", 2 },
    { "A.A.*|*", "C.C.B", 0 },
    { "A.A.*|*", "B.A", 0 },
    { "A.A.*|*", "B.C.A", 0 },
    { ">.C.>|*.*|C|A.*", "C.B.B", 0 },
    { ">.C.>|*.*|C|A.*", "A.C", 4 },
    { ">.C.>|*.*|C|A.*", "A.C.C.B", 0 },
    { ">.C.>|*.*|C|A.*", "C.B.B.B", 0 },
    { "*.*|*.A.C|A.*.>|A.A.>", "C", 0 },
    { "*.*|*.A.C|A.*.>|A.A.>", "A.C", 1 },
    { "*.*|*.A.C|A.*.>|A.A.>", "C.A.A.A", 0 },
    { "*.*|*.A.C|A.*.>|A.A.>", "B.C", 1 },
    { "*.*.B|*.C|>|A.A", "C.A.A.C", 3 },
    { "*.*.B|*.C|>|A.A", "C", 3 },
    { "*.*.B|*.C|>|A.A", "B", 3 },
    { "*.*.B|*.C|>|A.A", "C.C.A", 3 },
    { "A.B.>|*.B.C|A.A.C|*.A|A.>|A.B.*.>", "A.C.B", 5 },
    { "A.B.>|*.B.C|A.A.C|*.A|A.>|A.B.*.>", "A.A.C", 3 },
    { "A.B.>|*.B.C|A.A.C|*.A|A.>|A.B.*.>", "B.A.C", 0 },
    { "A.B.>|*.B.C|A.A.C|*.A|A.>|A.B.*.>", "C.C.B.A", 0 },
};

static void test_policy_choice_agrees_with_activemq(void)
{
    for (size_t i = 0; i < sizeof activemq_choices / sizeof activemq_choices[0]; i++) {
        char xml[2048];
        size_t n = (size_t)snprintf(xml, sizeof xml, "<broker " CORE "><destinationPolicy>"
                                    "<policyMap><policyEntries>");
        char pats[256];
        snprintf(pats, sizeof pats, "%s", activemq_choices[i].patterns);
        int idx = 0;
        for (char *save, *p = strtok_r(pats, "|", &save); p; p = strtok_r(NULL, "|", &save))
            n += (size_t)snprintf(xml + n, sizeof xml - n, "<policyEntry queue='%s' "
                                  "maxPageSize='%d'/>", p, ++idx);
        snprintf(xml + n, sizeof xml - n, "</policyEntries></policyMap></destinationPolicy></broker>");
        logcap_t lc;
        cfg_t *cfg = ok(xml, &lc);
        const cfg_policy_t *p = cfg_policy_for(cfg, true, activemq_choices[i].name);
        int got = p == &cfg->default_policy ? 0 : p->max_page_size;
        if (got != activemq_choices[i].expect)
            fprintf(stderr, "\n%s / %s: got %d, ActiveMQ %d\n", activemq_choices[i].patterns,
                    activemq_choices[i].name, got, activemq_choices[i].expect);
        CU_ASSERT_EQUAL(got, activemq_choices[i].expect);
        cfg_destroy(cfg);
    }
}

static void test_policy_entry_fields(void)
{
    logcap_t lc;
    cfg_t *cfg = ok(
        "<broker " CORE "><destinationPolicy><policyMap><policyEntries>\n"
        "<policyEntry queue='Q.>' producerFlowControl='false' memoryLimit='10 mb' "
        "prioritizedMessages='true' expireMessagesPeriod='0' useCache='false' gcInactiveDestinations='true' "
        "inactiveTimoutBeforeGC='5000' optimizedDispatch='true'>\n"
        "<deadLetterStrategy><individualDeadLetterStrategy queuePrefix='DEAD.' queueSuffix='.X' "
        "useQueueForQueueMessages='true' processExpired='false' processNonPersistent='true'/>"
        "</deadLetterStrategy><dispatchPolicy><strictOrderDispatchPolicy/></dispatchPolicy>"
        "<pendingQueuePolicy><vmQueueCursor/></pendingQueuePolicy></policyEntry>\n"
        "<policyEntry topic='>'><deadLetterStrategy><sharedDeadLetterStrategy processExpired='false'>"
        "<deadLetterQueue><queue physicalName='ALL.DEAD'/></deadLetterQueue>"
        "</sharedDeadLetterStrategy></deadLetterStrategy></policyEntry>\n"
        "<policyEntry queue='LIMITED.>' maxDestinations='5' sendFailIfNoSpace='true'/>\n"
        "<policyEntry topic='PER.>'><deadLetterStrategy><individualDeadLetterStrategy "
        "useQueueForTopicMessages='false' destinationPerDurableSubscriber='true'/>"
        "</deadLetterStrategy></policyEntry>\n"
        "<policyEntry queue='NOISE'><deadLetterStrategy><discardingDeadLetterStrategy/>"
        "</deadLetterStrategy></policyEntry>\n"
        "</policyEntries></policyMap></destinationPolicy></broker>", &lc);
    const cfg_policy_t *p = cfg_policy_for(cfg, true, "Q.A");
    CU_ASSERT_FALSE(p->producer_flow_control);
    CU_ASSERT_EQUAL(p->memory_limit, 10 << 20);
    CU_ASSERT_TRUE(p->prioritized_messages);
    CU_ASSERT_EQUAL(p->expire_messages_period_ms, 0);
    CU_ASSERT_FALSE(p->use_cache);
    CU_ASSERT_TRUE(p->gc_inactive_destinations);
    CU_ASSERT_EQUAL(p->inactive_timeout_before_gc_ms, 5000);
    CU_ASSERT_EQUAL(p->dispatch, CFG_DISPATCH_STRICT_ORDER);
    CU_ASSERT_EQUAL(p->dlq.kind, CFG_DLQ_INDIVIDUAL);
    CU_ASSERT_STRING_EQUAL(p->dlq.queue_prefix, "DEAD.");
    CU_ASSERT_STRING_EQUAL(p->dlq.queue_suffix, ".X");
    CU_ASSERT_FALSE(p->dlq.process_expired);
    CU_ASSERT_TRUE(p->dlq.process_non_persistent);
    p = cfg_policy_for(cfg, false, "T");
    CU_ASSERT_EQUAL(p->dlq.kind, CFG_DLQ_SHARED);
    CU_ASSERT_STRING_EQUAL(p->dlq.shared_queue, "ALL.DEAD");
    CU_ASSERT_FALSE(p->dlq.process_expired);
    CU_ASSERT_EQUAL(cfg_policy_for(cfg, true, "NOISE")->dlq.kind, CFG_DLQ_DISCARD);
    bool dlq_queue = false;
    CU_ASSERT_STRING_EQUAL(cfg_dlq_for(cfg_policy_for(cfg, true, "Q.A"), true, "Q.A", NULL, pool,
                                       &dlq_queue), "DEAD.Q.A.X");
    CU_ASSERT_TRUE(dlq_queue);
    CU_ASSERT_STRING_EQUAL(cfg_dlq_for(cfg_policy_for(cfg, false, "T"), false, "T", "c:s", pool,
                                       &dlq_queue), "ALL.DEAD");
    CU_ASSERT_PTR_NULL(cfg_dlq_for(cfg_policy_for(cfg, true, "NOISE"), true, "NOISE", NULL, pool,
                                   &dlq_queue));
    CU_ASSERT_STRING_EQUAL(cfg_dlq_for(&cfg->default_policy, true, "Z", NULL, pool, &dlq_queue),
                           "ActiveMQ.DLQ");
    CU_ASSERT_EQUAL(cfg_policy_for(cfg, true, "NOISE")->send_fail_if_no_space, -1);
    CU_ASSERT_EQUAL(cfg_policy_for(cfg, true, "NOISE")->max_destinations, -1);
    CU_ASSERT_EQUAL(cfg_policy_for(cfg, true, "LIMITED.X")->send_fail_if_no_space, 1);
    CU_ASSERT_EQUAL(cfg_policy_for(cfg, true, "LIMITED.X")->max_destinations, 5);
    CU_ASSERT_STRING_EQUAL(cfg_dlq_for(cfg_policy_for(cfg, false, "PER.A"), false, "PER.A",
                                       "client1:sub1", pool, &dlq_queue), "DLQ.PER.A.client1:sub1");
    CU_ASSERT_FALSE(dlq_queue);
    CU_ASSERT(logged(&lc, "W t.xml:2: <policyEntry>: attribute \"optimizedDispatch\": ignored"));
    CU_ASSERT(logged(&lc, "<pendingQueuePolicy>: ignored"));
    CU_ASSERT_EQUAL(lc.warns, 2);
    cfg_destroy(cfg);
}

/* ---- virtual destinations, plugins, TLS, store ---- */

static void test_virtual_destinations(void)
{
    logcap_t lc;
    cfg_t *cfg = ok(
        "<broker " CORE "><destinationInterceptors><virtualDestinationInterceptor>"
        "<virtualDestinations>"
        "<virtualTopic name='VT.>' prefix='C.*.' selectorAware='true'/>"
        "<compositeQueue name='IN' forwardOnly='false'><forwardTo><queue physicalName='A'/>"
        "<topic physicalName='B'/><filteredDestination selector=\"color = 'red'\" queue='RED'/>"
        "</forwardTo></compositeQueue>"
        "<compositeTopic name='T.ALL'><forwardTo><queue physicalName='LOG'/></forwardTo>"
        "</compositeTopic>"
        "</virtualDestinations></virtualDestinationInterceptor></destinationInterceptors>"
        "<destinations><queue physicalName='PRE.Q'/><topic physicalName='PRE.T'/></destinations>"
        "</broker>", &lc);
    /* configuring interceptors replaces the default VirtualTopic.> one, as in ActiveMQ */
    CU_ASSERT_EQUAL_FATAL(cfg->virtuals->nelts, 3);
    const cfg_virtual_t *vt = &APR_ARRAY_IDX(cfg->virtuals, 0, cfg_virtual_t);
    CU_ASSERT_EQUAL(vt->kind, CFG_VIRTUAL_TOPIC);
    CU_ASSERT_STRING_EQUAL(vt->name, "VT.>");
    CU_ASSERT_STRING_EQUAL(vt->prefix, "C.*.");
    CU_ASSERT_TRUE(vt->selector_aware);
    const cfg_virtual_t *cq = &APR_ARRAY_IDX(cfg->virtuals, 1, cfg_virtual_t);
    CU_ASSERT_EQUAL(cq->kind, CFG_COMPOSITE_QUEUE);
    CU_ASSERT_FALSE(cq->forward_only);
    CU_ASSERT_EQUAL_FATAL(cq->forward_to->nelts, 3);
    const cfg_forward_t *f = &APR_ARRAY_IDX(cq->forward_to, 1, cfg_forward_t);
    CU_ASSERT_FALSE(f->is_queue);
    CU_ASSERT_STRING_EQUAL(f->name, "B");
    f = &APR_ARRAY_IDX(cq->forward_to, 2, cfg_forward_t);
    CU_ASSERT_TRUE(f->is_queue);
    CU_ASSERT_STRING_EQUAL(f->name, "RED");
    CU_ASSERT_STRING_EQUAL(f->selector, "color = 'red'");
    CU_ASSERT_EQUAL(APR_ARRAY_IDX(cfg->virtuals, 2, cfg_virtual_t).kind, CFG_COMPOSITE_TOPIC);
    CU_ASSERT_EQUAL_FATAL(cfg->destinations->nelts, 2);
    CU_ASSERT_STRING_EQUAL(APR_ARRAY_IDX(cfg->destinations, 1, cfg_destination_t).name, "PRE.T");
    cfg_destroy(cfg);

    cfg = ok("<broker " CORE " useVirtualTopics='false'/>", &lc);
    CU_ASSERT_EQUAL(cfg->virtuals->nelts, 0);
    cfg_destroy(cfg);
}

static void test_security_plugins(void)
{
    logcap_t lc;
    cfg_t *cfg = ok(
        "<broker " CORE "><plugins>\n"
        "<simpleAuthenticationPlugin anonymousAccessAllowed='true'><users>"
        "<authenticationUser username='admin' password='secret' groups='admins, users'/>"
        "<authenticationUser username='app' password='pw' groups='users'/>"
        "</users></simpleAuthenticationPlugin>\n"
        "<authorizationPlugin><map><authorizationMap><authorizationEntries>"
        "<authorizationEntry queue='>' read='admins' write='admins' admin='admins'/>"
        "<authorizationEntry queue='APP.>' read='users' write='users' admin='users'/>"
        "<authorizationEntry topic='ActiveMQ.Advisory.>' read='*' write='*' admin='*'/>"
        "</authorizationEntries>"
        "<tempDestinationAuthorizationEntry><tempDestinationAuthorizationEntry read='users' "
        "write='users' admin='users'/></tempDestinationAuthorizationEntry>"
        "</authorizationMap></map></authorizationPlugin>\n"
        "<statisticsBrokerPlugin/>\n"
        "<redeliveryPlugin fallbackToDeadLetter='true'><redeliveryPolicyMap><redeliveryPolicyMap>"
        "<redeliveryPolicyEntries><redeliveryPolicy queue='SLOW' maximumRedeliveries='3' "
        "redeliveryDelay='5000' useExponentialBackOff='true' backOffMultiplier='2.5'/>"
        "</redeliveryPolicyEntries><defaultEntry><redeliveryPolicy maximumRedeliveries='1'/>"
        "</defaultEntry></redeliveryPolicyMap></redeliveryPolicyMap></redeliveryPlugin>\n"
        "</plugins></broker>", &lc);
    const cfg_plugins_t *pl = &cfg->plugins;
    CU_ASSERT_TRUE(pl->authentication);
    CU_ASSERT_TRUE(pl->anonymous_access_allowed);
    CU_ASSERT_EQUAL_FATAL(pl->users->nelts, 2);
    const cfg_user_t *u = &APR_ARRAY_IDX(pl->users, 0, cfg_user_t);
    CU_ASSERT_STRING_EQUAL(u->username, "admin");
    CU_ASSERT_STRING_EQUAL(u->password, "secret");
    CU_ASSERT_EQUAL_FATAL(u->groups->nelts, 2);
    CU_ASSERT_STRING_EQUAL(APR_ARRAY_IDX(u->groups, 1, const char *), "users");
    CU_ASSERT_TRUE(pl->statistics);
    const char *admins[] = { "admins" }, *users[] = { "users" };
    CU_ASSERT_TRUE(cfg_authz_permits(cfg, CFG_DEST_QUEUE, "ANY", CFG_AUTHZ_WRITE, admins, 1));
    CU_ASSERT_FALSE(cfg_authz_permits(cfg, CFG_DEST_QUEUE, "ANY", CFG_AUTHZ_WRITE, users, 1));
    CU_ASSERT_TRUE(cfg_authz_permits(cfg, CFG_DEST_QUEUE, "APP.ORDERS", CFG_AUTHZ_READ, users, 1));
    CU_ASSERT_FALSE(cfg_authz_permits(cfg, CFG_DEST_TOPIC, "APP.ORDERS", CFG_AUTHZ_READ, admins, 1));
    CU_ASSERT_TRUE(cfg_authz_permits(cfg, CFG_DEST_TOPIC, "ActiveMQ.Advisory.Queue",
                                     CFG_AUTHZ_READ, NULL, 0));
    CU_ASSERT_TRUE(cfg_authz_permits(cfg, CFG_DEST_TEMP_QUEUE, "ID:1", CFG_AUTHZ_ADMIN, users, 1));
    CU_ASSERT_FALSE(cfg_authz_permits(cfg, CFG_DEST_TEMP_QUEUE, "ID:1", CFG_AUTHZ_ADMIN, admins, 1));
    CU_ASSERT_TRUE(pl->redelivery);
    const cfg_redelivery_policy_t *r = cfg_redelivery_for(cfg, CFG_DEST_QUEUE, "SLOW");
    CU_ASSERT_PTR_NOT_NULL_FATAL(r);
    CU_ASSERT_EQUAL(r->maximum_redeliveries, 3);
    CU_ASSERT_EQUAL(r->redelivery_delay_ms, 5000);
    CU_ASSERT_TRUE(r->use_exponential_backoff);
    CU_ASSERT_DOUBLE_EQUAL(r->backoff_multiplier, 2.5, 1e-9);
    r = cfg_redelivery_for(cfg, CFG_DEST_QUEUE, "FAST");
    CU_ASSERT_PTR_NOT_NULL_FATAL(r);
    CU_ASSERT_EQUAL(r->maximum_redeliveries, 1);
    CU_ASSERT(logged(&lc, "W t.xml:5: <redeliveryPlugin>: parsed, but broker-side redelivery is "
                          "not supported yet"));
    CU_ASSERT_EQUAL(lc.warns, 1);
    cfg_destroy(cfg);

    /* without an authorization plugin everything is permitted */
    cfg = ok("<broker " CORE "/>", &lc);
    CU_ASSERT_TRUE(cfg_authz_permits(cfg, CFG_DEST_QUEUE, "X", CFG_AUTHZ_ADMIN, NULL, 0));
    CU_ASSERT_PTR_NULL(cfg_redelivery_for(cfg, CFG_DEST_QUEUE, "X"));
    cfg_destroy(cfg);
}

/* Generated with ActiveMQ 5.17.2's DefaultAuthorizationMap.getReadACLs: entry i (1-based) of
 * the '|'-separated queue patterns grants read to group "g<i>"; the groups ActiveMQ grants
 * for the destination, comma-separated. */
static const struct { const char *patterns, *name, *groups; } activemq_acls[] = {
    { "*.*.*|>.B.>|A.>|A.C|B.B|B.C", "A.C", "g2,g3,g4" },
    { "*.*.*|>.B.>|A.>|A.C|B.B|B.C", "B.A.A", "g1,g2" },
    { "*.*.*|>.B.>|A.>|A.C|B.B|B.C", "B.B.A.C", "g2" },
    { "A.A.>|B.B", "A.A", "g1" },
    { "A.A.>|B.B", "C.A.B.C", "" },
    { "A.A.>|B.B", "C", "" },
    { "*.*.B.>|*.>|*.>.>|*.A.>|A.>|C.>", "C.A.B", "g1,g2,g3,g4,g6" },
    { "*.*.B.>|*.>|*.>.>|*.A.>|A.>|C.>", "C.A.C", "g2,g3,g4,g6" },
    { "*.*.B.>|*.>|*.>.>|*.A.>|A.>|C.>", "B.B.A.C", "g2,g3" },
    { "*.*.*.>|B", "B.A.C", "g1" },
    { "*.*.*.>|B", "C.B.B.C", "g1" },
    { "*.*.*.>|B", "B.C", "" },
    { "*.A.C|>.C.>.>", "A.B.A", "g2" },
    { "*.A.C|>.C.>.>", "C", "g2" },
    { "*.A.C|>.C.>.>", "C.B.C.A", "g2" },
    { "*|*.>|*.A.*|*.A.*.>|>.>|B.>.A.>", "B.A.C", "g2,g3,g4,g5,g6" },
    { "*|*.>|*.A.*|*.A.*.>|>.>|B.>.A.>", "B.A.A.B", "g2,g4,g5,g6" },
    { "*|*.>|*.A.*|*.A.*.>|>.>|B.>.A.>", "A.B.B", "g2,g5" },
    { "A.>|C|C.A|C.B.*|C.C", "A.C", "g1" },
    { "A.>|C|C.A|C.B.*|C.C", "A", "g1" },
    { "A.>|C|C.A|C.B.*|C.C", "C.A.C", "" },
    { "*|A.B.>|B.>|B.C", "B", "g1,g3" },
    { "*|A.B.>|B.>|B.C", "B.C", "g3,g4" },
    { "*|A.B.>|B.>|B.C", "A.A.C.A", "" },
    { "*.B|A.C.*.>|C|C.C", "A.C.B", "g2" },
    { "*.B|A.C.*.>|C|C.C", "C", "g3" },
    { "*.B|A.C.*.>|C|C.C", "B.C.C", "" },
    { "*.>|C.*.>", "C.C.A", "g1,g2" },
    { "*.>|C.*.>", "C.B.C", "g1,g2" },
    { "*.>|C.*.>", "B.C.A", "g1" },
    { "*.C.>|*.C.B|>.B.C|A.A.C.>|C.>|C.C.B", "B.C.B", "g1,g2,g3" },
    { "*.C.>|*.C.B|>.B.C|A.A.C.>|C.>|C.C.B", "C.C.C", "g1,g3,g5" },
    { "*.C.>|*.C.B|>.B.C|A.A.C.>|C.>|C.C.B", "B.A.A", "g3" },
    { "*.>|*.B.C|*.C.B.>", "B.B.A.B", "g1" },
    { "*.>|*.B.C|*.C.B.>", "B.C", "g1" },
    { "*.>|*.B.C|*.C.B.>", "B.A", "g1" },
    { "A.B.A.>|B.*.*.>", "B.B.A.A", "g2" },
    { "A.B.A.>|B.*.*.>", "C.A", "" },
    { "A.B.A.>|B.*.*.>", "B", "" },
    { "*|A.>|B.B|C", "C", "g1,g4" },
    { "*|A.>|B.B|C", "A", "g1,g2" },
    { "*|A.>|B.B|C", "B.B.A", "" },
    { "*.>|*.A.>|A.C.C|B.B", "B.A", "g1,g2" },
    { "*.>|*.A.>|A.C.C|B.B", "C.A.B", "g1,g2" },
    { "*.>|*.A.>|A.C.C|B.B", "C.B.B.B", "g1" },
    { "*|*.*.*|*.*.>|>.C.*.>|B.C.>|C.*.B", "A.A.A", "g2,g3,g4" },
    { "*|*.*.*|*.*.>|>.C.*.>|B.C.>|C.*.B", "A.B.C", "g2,g3,g4" },
    { "*|*.*.*|*.*.>|>.C.*.>|B.C.>|C.*.B", "A.C.A.C", "g3,g4" },
    { "*.*.>|>", "A.B.B.B", "g1,g2" },
    { "*.*.>|>", "A.A.B", "g1,g2" },
    { "*.*.>|>", "A", "g2" },
    { "*.B|A|A.*.B.>|A.>|B|C", "A.B", "g1,g4" },
    { "*.B|A|A.*.B.>|A.>|B|C", "A.C.A", "g4" },
    { "*.B|A|A.*.B.>|A.>|B|C", "B.A.B", "" },
    { "*.C|C.B.C.>", "C.C", "g1" },
    { "*.C|C.B.C.>", "A.A", "" },
    { "*.C|C.B.C.>", "C", "" },
    { "*|A.C.*|C|C.A.C.>", "C", "g1,g3" },
    { "*|A.C.*|C|C.A.C.>", "B", "g1" },
    { "*|A.C.*|C|C.A.C.>", "C.A", "" },
};

static void test_authorization_agrees_with_activemq(void)
{
    for (size_t i = 0; i < sizeof activemq_acls / sizeof activemq_acls[0]; i++) {
        char xml[2048], pats[256];
        size_t n = (size_t)snprintf(xml, sizeof xml, "<broker " CORE "><plugins><authorizationPlugin>"
                                    "<map><authorizationMap><authorizationEntries>");
        snprintf(pats, sizeof pats, "%s", activemq_acls[i].patterns);
        int count = 0;
        for (char *save, *p = strtok_r(pats, "|", &save); p; p = strtok_r(NULL, "|", &save))
            n += (size_t)snprintf(xml + n, sizeof xml - n, "<authorizationEntry queue='%s' "
                                  "read='g%d'/>", p, ++count);
        snprintf(xml + n, sizeof xml - n, "</authorizationEntries></authorizationMap></map>"
                 "</authorizationPlugin></plugins></broker>");
        logcap_t lc;
        cfg_t *cfg = ok(xml, &lc);
        char want[64], got[64] = "";
        snprintf(want, sizeof want, ",%s,", activemq_acls[i].groups);
        for (int g = 1; g <= count; g++) {
            char group[16], item[24];
            snprintf(group, sizeof group, "g%d", g);
            const char *groups[] = { group };
            bool permitted = cfg_authz_permits(cfg, CFG_DEST_QUEUE, activemq_acls[i].name,
                                               CFG_AUTHZ_READ, groups, 1);
            snprintf(item, sizeof item, ",%s,", group);
            if (permitted != (strstr(want, item) != NULL))
                snprintf(got, sizeof got, "%s", group);
            CU_ASSERT_EQUAL(permitted, strstr(want, item) != NULL);
        }
        if (*got)
            fprintf(stderr, "\n%s / %s: %s differs from ActiveMQ (%s)\n", activemq_acls[i].patterns,
                    activemq_acls[i].name, got, activemq_acls[i].groups);
        cfg_destroy(cfg);
    }
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
    cfg_destroy(cfg);
    cfg = ok("<broker " CORE "><sslContext><sslContext certificate='c.pem' privateKey='k.pem' "
             "privateKeyPassword='x' crlPath='revoked.pem'/></sslContext></broker>", &lc);
    CU_ASSERT_STRING_EQUAL(cfg->tls->crl_path, "revoked.pem");
    CU_ASSERT_EQUAL(cfg->tls->format, CFG_TLS_PEM);
    CU_ASSERT_STRING_EQUAL(cfg->tls->private_key_password, "x");
    CU_ASSERT_STRING_EQUAL(cfg->tls->protocol, "TLS");
    cfg_destroy(cfg);
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
    CU_add_test(s, "destination wildcards", test_wildcard_matching);
    CU_add_test(s, "cfg_policy_for picks the most specific entry", test_policy_for_picks_most_specific);
    CU_add_test(s, "policy choice agrees with ActiveMQ's PolicyMap (120 cases)",
                test_policy_choice_agrees_with_activemq);
    CU_add_test(s, "policy entry fields and dead letter strategies", test_policy_entry_fields);
    CU_add_test(s, "virtual destinations and start-up destinations", test_virtual_destinations);
    CU_add_test(s, "security plugins, authorization, redelivery", test_security_plugins);
    CU_add_test(s, "authorization agrees with ActiveMQ's DefaultAuthorizationMap (60 cases)",
                test_authorization_agrees_with_activemq);
    CU_add_test(s, "TLS contexts", test_tls_contexts);
    CU_add_test(s, "store variants", test_store_variants);
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
