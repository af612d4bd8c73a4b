/* <sslContext><sslContext .../></sslContext>: hermod uses OpenSSL, which reads PEM and
 * PKCS#12 files but not Java keystores.  PEM files are given with hermod's own attributes
 * (certificate=, privateKey=, caCertificate=); a PKCS#12 keyStore or trustStore is accepted as
 * is, so that ActiveMQ's own <sslContext> with PKCS#12 stores works unchanged; a JKS keyStore
 * or trustStore is refused with the commands that convert it. */
#include <string.h>

#include <apr_strings.h>

#include "cfg_int.h"

typedef struct tls_raw_s {
    cfg_tls_t tls;
    const char *key_store_type;
    const char *trust_store_type;
} tls_raw_t;

#define T(n, f) CFG_ATTR(n, CFG_A_STR, tls_raw_t, f, 0, 0)
static const cfg_attr_spec_t tls_attrs[] = {
    T("certificate", tls.certificate),
    T("privateKey", tls.private_key),
    T("privateKeyPassword", tls.private_key_password),
    T("caCertificate", tls.ca_certificate),
    T("keyStore", tls.key_store),
    T("keyStorePassword", tls.key_store_password),
    T("keyStoreType", key_store_type),
    T("trustStore", tls.trust_store),
    T("trustStorePassword", tls.trust_store_password),
    T("trustStoreType", trust_store_type),
    T("protocol", tls.protocol),
    T("crlPath", tls.crl_path),
    CFG_ATTR_NOTE("keyStoreKeyPassword", CFG_A_QUIET, NULL),
    CFG_ATTR_NOTE("keyStoreAlgorithm", CFG_A_WARN, "OpenSSL picks its own algorithms"),
    CFG_ATTR_NOTE("trustStoreAlgorithm", CFG_A_WARN, "OpenSSL picks its own algorithms"),
    CFG_ATTR_NOTE("secureRandomAlgorithm", CFG_A_WARN, "OpenSSL seeds itself"),
    CFG_ATTR_NOTE("provider", CFG_A_WARN, "there are no Java security providers"),
};
#undef T

static bool has_suffix(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcasecmp(s + n - m, suffix) == 0;
}

static bool is_pkcs12(const char *path, const char *type)
{
    if (type)
        return strcasecmp(type, "pkcs12") == 0;
    return has_suffix(path, ".p12") || has_suffix(path, ".pfx");
}

static apr_status_t inner(cfg_ctx_t *ctx, xmlNode *node, void *target)
{
    tls_raw_t r;
    memset(&r, 0, sizeof r);
    r.tls.protocol = "TLS";
    r.tls.line = cfg_line(node, NULL);
    apr_status_t rv = cfg_attrs(ctx, node, tls_attrs, CFG_NELEMS(tls_attrs), &r);
    if (rv == APR_SUCCESS)
        rv = cfg_children(ctx, node, NULL, 0, NULL);
    if (rv != APR_SUCCESS)
        return rv;
    cfg_tls_t *t = apr_pmemdup(ctx->pool, &r.tls, sizeof r.tls);
    if (t->certificate || t->private_key) {
        if (!t->certificate || !t->private_key)
            return cfg_fail(ctx, node, NULL, CFG_EMISSING, "give both certificate= and "
                            "privateKey= (PEM files)");
        t->format = CFG_TLS_PEM;
        if (t->key_store)
            cfg_info(ctx, node, cfg_attr_find(node, "keyStore"), "not used: the PEM files "
                     "certificate= and privateKey= are");
    } else if (t->key_store) {
        if (!is_pkcs12(t->key_store, r.key_store_type))
            return cfg_fail(ctx, node, cfg_attr_find(node, "keyStore"), CFG_EUNSUPPORTED,
                            "\"%s\" is a Java keystore, which OpenSSL cannot read; convert it: "
                            "keytool -importkeystore -srckeystore %s -destkeystore broker.p12 "
                            "-deststoretype PKCS12; openssl pkcs12 -in broker.p12 -nokeys -out "
                            "broker-cert.pem; openssl pkcs12 -in broker.p12 -nocerts -nodes -out "
                            "broker-key.pem; then set certificate=\"broker-cert.pem\" "
                            "privateKey=\"broker-key.pem\" (or keyStore=\"broker.p12\" "
                            "keyStoreType=\"PKCS12\")", t->key_store, t->key_store);
        t->format = CFG_TLS_PKCS12;
    } else {
        return cfg_fail(ctx, node, NULL, CFG_EMISSING, "names no server certificate: give "
                        "certificate= and privateKey= (PEM files)");
    }
    if (t->trust_store && t->ca_certificate) {
        cfg_info(ctx, node, cfg_attr_find(node, "trustStore"), "not used: the PEM file "
                 "caCertificate= is");
        t->trust_store = NULL;
    } else if (t->trust_store && !is_pkcs12(t->trust_store, r.trust_store_type)) {
        return cfg_fail(ctx, node, cfg_attr_find(node, "trustStore"), CFG_EUNSUPPORTED,
                        "\"%s\" is a Java truststore, which OpenSSL cannot read; export it: "
                        "keytool -exportcert -rfc -keystore %s -alias <alias> -file ca.pem; "
                        "then set caCertificate=\"ca.pem\" (or convert it to PKCS#12: keytool "
                        "-importkeystore -srckeystore %s -destkeystore trust.p12 -deststoretype "
                        "PKCS12, and set trustStoreType=\"PKCS12\")", t->trust_store,
                        t->trust_store, t->trust_store);
    }
    if (ctx->cfg->tls)
        return cfg_fail(ctx, node, NULL, CFG_EVALUE, "a second TLS context");
    ctx->cfg->tls = t;
    return APR_SUCCESS;
}

apr_status_t cfg_ssl_context(cfg_ctx_t *ctx, xmlNode *node, void *target)
{
    static const cfg_elem_spec_t children[] = {
        { "sslContext", CFG_E_PARSE, inner, NULL },
    };
    apr_status_t rv = cfg_attrs(ctx, node, NULL, 0, NULL);
    if (rv == APR_SUCCESS)
        rv = cfg_children(ctx, node, children, CFG_NELEMS(children), target);
    if (rv == APR_SUCCESS && !ctx->cfg->tls)
        rv = cfg_fail(ctx, node, NULL, CFG_EMISSING, "holds no <sslContext> element");
    return rv;
}
