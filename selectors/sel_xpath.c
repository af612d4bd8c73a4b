/* sel_xpath.c — ActiveMQ's XPATH '<expr>' selector extension over libxml2.
 *
 * ActiveMQ parses the body with a namespace-aware DOM builder that refuses any DOCTYPE
 * (disallow-doctype-decl) and treats every parse or XPath failure as FALSE; so do we.  The
 * parse is hardened: no network, no DTD loading, no entity substitution, a DOCTYPE aborts the
 * parse at once (so no entity declaration is ever processed), and body size and element depth
 * are bounded.  This is the one place where evaluation allocates (libxml2 builds a tree). */
#include <string.h>

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xpath.h>
#include <libxml/xpathInternals.h>

#include <apr_strings.h>

#include "sel_int.h"

struct sel_xpath_s {
    xmlXPathCompExprPtr comp;
};

static void silent_structured(void *ctx, xmlErrorPtr error) { (void)ctx; (void)error; }

void sel_global_init(void)
{
    xmlInitParser();
}

static apr_status_t free_comp(void *data)
{
    struct sel_xpath_s *x = data;
    if (x->comp) xmlXPathFreeCompExpr(x->comp);
    x->comp = NULL;
    return APR_SUCCESS;
}

apr_status_t sel_xpath_compile(apr_pool_t *pool, const char *expr, size_t len,
                               struct sel_xpath_s **out)
{
    *out = NULL;
    if (memchr(expr, 0, len)) return APR_SUCCESS;      /* never valid XPath: always FALSE */
    sel_global_init();
    char *z = apr_pstrmemdup(pool, expr, len);
    xmlXPathContextPtr ctx = xmlXPathNewContext(NULL);
    if (!ctx) return APR_ENOMEM;
    ctx->error = silent_structured;
    xmlXPathCompExprPtr comp = xmlXPathCtxtCompile(ctx, (const xmlChar *)z);
    xmlXPathFreeContext(ctx);
    if (!comp) return APR_SUCCESS;                      /* invalid XPath: always FALSE */
    struct sel_xpath_s *x = apr_pcalloc(pool, sizeof *x);
    x->comp = comp;
    apr_pool_cleanup_register(pool, x, free_comp, apr_pool_cleanup_null);
    *out = x;
    return APR_SUCCESS;
}

/* A DOCTYPE makes ActiveMQ's parser fail, so it stops ours before anything in it is read. */
static void refuse_doctype(void *ctx, const xmlChar *name, const xmlChar *eid, const xmlChar *sid)
{
    (void)name; (void)eid; (void)sid;
    xmlParserCtxtPtr p = ctx;
    p->wellFormed = 0;
    xmlStopParser(p);
}

/* Checks the element depth limit and drops comment nodes, which ActiveMQ's DOM builder
 * ignores (setIgnoringComments), so that comment() and node() see the same tree. */
static int prepare_tree(xmlNodePtr n, int depth)
{
    if (depth > SEL_XML_MAX_DEPTH) return 0;
    xmlNodePtr c = n->children;
    while (c) {
        xmlNodePtr next = c->next;
        if (c->type == XML_COMMENT_NODE) {
            xmlUnlinkNode(c);
            xmlFreeNode(c);
        } else if (c->type == XML_ELEMENT_NODE && !prepare_tree(c, depth + 1)) {
            return 0;
        }
        c = next;
    }
    return 1;
}

int sel_xpath_eval(const struct sel_xpath_s *x, const char *text, size_t len)
{
    if (!x || !text || len == 0 || len > SEL_XML_MAX_BODY || len > INT32_MAX) return 0;
    xmlParserCtxtPtr p = xmlNewParserCtxt();
    if (!p) return 0;
    p->sax->internalSubset = refuse_doctype;
    p->sax->externalSubset = refuse_doctype;
    p->sax->serror = silent_structured;
    int opts = XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING | XML_PARSE_NOCDATA;
    xmlDocPtr doc = xmlCtxtReadMemory(p, text, (int)len, NULL, "UTF-8", opts);
    int ok = doc && p->wellFormed && !doc->intSubset && !doc->extSubset;
    int result = 0;
    if (ok) {
        xmlNodePtr root = xmlDocGetRootElement(doc);
        if (root && prepare_tree((xmlNodePtr)doc, 0)) {
            xmlXPathContextPtr ctx = xmlXPathNewContext(doc);
            if (ctx) {
                ctx->error = silent_structured;
                ctx->node = (xmlNodePtr)doc;      /* JAXP evaluates from the document node */
                ctx->opLimit = SEL_XPATH_MAX_OPS;  /* a pathological XPath gives up: FALSE */
                xmlXPathObjectPtr r = xmlXPathCompiledEval(x->comp, ctx);
                if (r) {
                    result = xmlXPathCastToBoolean(r) ? 1 : 0;
                    xmlXPathFreeObject(r);
                }
                xmlXPathFreeContext(ctx);
            }
        }
    }
    if (doc) xmlFreeDoc(doc);
    xmlFreeParserCtxt(p);
    return result;
}
