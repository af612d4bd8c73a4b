/* Spring's property placeholders in a <beans> file: the properties files a
 * PropertyPlaceholderConfigurer bean names (credentials.properties), and ENC(...) values of
 * Jasypt's EncryptablePropertyPlaceholderConfigurer (credentials-enc.properties), decrypted
 * as Jasypt's StandardPBEStringEncryptor does with PBEWithMD5AndDES, through OpenSSL.  No bean
 * is instantiated: hermod reads the few properties these beans are configured with. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <apr_strings.h>
#include <openssl/evp.h>
#include <openssl/provider.h>

#include "cfg_int.h"

#define JASYPT_ITERATIONS 1000       /* StandardPBEStringEncryptor's default */
#define JASYPT_SALT       8

/* Why a library context of its own: DES lives in OpenSSL 3's legacy provider, which must not
 * become available to the broker's TLS. */
apr_status_t cfg_jasypt_decrypt(apr_pool_t *pool, const char *password, const char *b64,
                                const char **out)
{
    size_t len = strlen(b64);
    if (len == 0 || len % 4 || len > CFG_MAX_VALUE_BYTES)
        return CFG_EVALUE;
    unsigned char *raw = apr_palloc(pool, len), *plain;
    int n = EVP_DecodeBlock(raw, (const unsigned char *)b64, (int)len);
    if (n < 0)
        return CFG_EVALUE;
    n -= (b64[len - 1] == '=') + (b64[len - 2] == '=');
    if (n <= JASYPT_SALT || (n - JASYPT_SALT) % 8)
        return CFG_EVALUE;
    apr_status_t rv = CFG_EVALUE;
    OSSL_LIB_CTX *lib = OSSL_LIB_CTX_new();
    OSSL_PROVIDER *legacy = lib ? OSSL_PROVIDER_load(lib, "legacy") : NULL;
    OSSL_PROVIDER *dflt = lib ? OSSL_PROVIDER_load(lib, "default") : NULL;
    EVP_CIPHER *des = legacy ? EVP_CIPHER_fetch(lib, "DES-CBC", NULL) : NULL;
    EVP_MD *md5 = dflt ? EVP_MD_fetch(lib, "MD5", NULL) : NULL;
    EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
    unsigned char key[EVP_MAX_KEY_LENGTH], iv[EVP_MAX_IV_LENGTH];
    int l1 = 0, l2 = 0;
    plain = apr_palloc(pool, (size_t)n + 8);
    /* PBKDF1 with MD5 is EVP_BytesToKey for the first 16 bytes: DES key, then IV */
    if (des && md5 && c &&
        EVP_BytesToKey(des, md5, raw, (const unsigned char *)password, (int)strlen(password),
                       JASYPT_ITERATIONS, key, iv) > 0 &&
        EVP_DecryptInit_ex(c, des, NULL, key, iv) == 1 &&
        EVP_DecryptUpdate(c, plain, &l1, raw + JASYPT_SALT, n - JASYPT_SALT) == 1 &&
        EVP_DecryptFinal_ex(c, plain + l1, &l2) == 1) {
        plain[l1 + l2] = '\0';
        *out = (const char *)plain;
        rv = APR_SUCCESS;
    } else if (!des || !md5) {
        rv = CFG_EUNSUPPORTED;
    }
    OPENSSL_cleanse(key, sizeof key);
    EVP_CIPHER_CTX_free(c);
    EVP_CIPHER_free(des);
    EVP_MD_free(md5);
    if (legacy)
        OSSL_PROVIDER_unload(legacy);
    if (dflt)
        OSSL_PROVIDER_unload(dflt);
    OSSL_LIB_CTX_free(lib);
    return rv;
}

static bool is_beans(const xmlNode *n, const char *name)
{
    return n->type == XML_ELEMENT_NODE && strcmp((const char *)n->name, name) == 0 &&
           (!n->ns || strcmp((const char *)n->ns->href, CFG_NS_BEANS) == 0);
}

static char *attr_text(const xmlNode *n, const char *name)
{
    const xmlAttr *a = cfg_attr_find(n, name);
    xmlChar *v = a ? xmlNodeListGetString(n->doc, a->children, 1) : NULL;
    char *s = v ? strdup((const char *)v) : NULL;
    xmlFree(v);
    return s;
}

static bool ends_with(const char *s, const char *tail)
{
    size_t a = strlen(s), b = strlen(tail);
    return a >= b && strcmp(s + a - b, tail) == 0;
}

/* The value of <property name=N value=V/> (or its <value> text, or each <list><value>). */
static apr_array_header_t *property_values(cfg_ctx_t *ctx, const xmlNode *bean, const char *name)
{
    apr_array_header_t *out = apr_array_make(ctx->pool, 1, sizeof(const char *));
    for (const xmlNode *p = bean->children; p; p = p->next) {
        if (!is_beans(p, "property"))
            continue;
        char *n = attr_text(p, "name"), *v = attr_text(p, "value");
        if (n && strcmp(n, name) == 0) {
            if (v)
                APR_ARRAY_PUSH(out, const char *) = apr_pstrdup(ctx->pool, v);
            for (const xmlNode *c = p->children; c; c = c->next) {
                const xmlNode *vals = is_beans(c, "list") ? c->children : c;
                for (const xmlNode *x = vals; x; x = x == c ? NULL : x->next) {
                    if (is_beans(x, "value")) {
                        xmlChar *t = xmlNodeGetContent(x);
                        APR_ARRAY_PUSH(out, const char *) = cfg_trim(ctx->pool, (const char *)t);
                        xmlFree(t);
                    }
                    if (vals == c)
                        break;
                }
            }
        }
        free(n);
        free(v);
    }
    return out;
}

static const char *last_value(cfg_ctx_t *ctx, const xmlNode *bean, const char *name)
{
    apr_array_header_t *a = property_values(ctx, bean, name);
    return a->nelts ? APR_ARRAY_IDX(a, a->nelts - 1, const char *) : NULL;
}

/* Jasypt's encryptor beans: where the password comes from, and that the algorithm is ours. */
static apr_status_t encryptor_bean(cfg_ctx_t *ctx, xmlNode *bean, const char **password,
                                   const char **source)
{
    const char *alg = last_value(ctx, bean, "algorithm");
    if (alg && strcmp(alg, "PBEWithMD5AndDES") != 0)
        return cfg_fail(ctx, bean, NULL, CFG_EUNSUPPORTED, "Jasypt algorithm %s: hermod decrypts "
                        "ENC() values made with PBEWithMD5AndDES only", alg);
    const char *env = last_value(ctx, bean, "passwordEnvName");
    const char *pw = last_value(ctx, bean, "password");
    if (env) {
        *source = apr_psprintf(ctx->pool, "environment variable %s", env);
        *password = getenv(env);
    } else if (pw) {
        *source = "the encryptor's password property";
        *password = pw;
    }
    return APR_SUCCESS;
}

static apr_status_t read_location(cfg_ctx_t *ctx, xmlNode *bean, const char *cls, const char *loc,
                                  bool encryptable, bool ignore_missing, const char *password,
                                  const char *source)
{
    const char *path;
    char why[512];
    apr_hash_t *props;
    apr_status_t rv = cfg_expand(ctx, bean, NULL, loc, &path);
    if (rv)
        return rv;
    if (strncmp(path, "classpath:", 10) == 0)
        return cfg_fail(ctx, bean, NULL, CFG_EUNSUPPORTED, "location %s: hermod has no class path; "
                        "name the file (file:${activemq.conf}/...)", path);
    if (strncmp(path, "file:", 5) == 0)
        path += 5;
    /* a relative name is the working directory's, as Spring's file: resources are */
    if ((rv = cfg_props_read(ctx->pool, path, &props, why, sizeof why)) != APR_SUCCESS) {
        /* not an error by itself: a placeholder it would have defined is, naming itself */
        if (!ignore_missing)
            cfg_info(ctx, bean, NULL, "Spring bean %s: %s; its placeholders stay undefined", cls, why);
        return APR_SUCCESS;
    }
    for (apr_hash_index_t *hi = apr_hash_first(ctx->pool, props); hi; hi = apr_hash_next(hi)) {
        const char *k = apr_hash_this_key(hi), *v = apr_hash_this_val(hi);
        size_t vl = strlen(v);
        if (encryptable && vl > 5 && strncmp(v, "ENC(", 4) == 0 && v[vl - 1] == ')') {
            if (!password)
                return cfg_fail(ctx, bean, NULL, CFG_EMISSING, "%s: %s is encrypted (ENC) and %s "
                                "is not set", path, k, source);
            const char *plain;
            rv = cfg_jasypt_decrypt(ctx->pool, password, apr_pstrmemdup(ctx->pool, v + 4, vl - 5), &plain);
            if (rv)
                return cfg_fail(ctx, bean, NULL, rv, "%s: %s cannot be decrypted with the password "
                                "from %s (PBEWithMD5AndDES)%s", path, k, source,
                                rv == CFG_EUNSUPPORTED ? ": OpenSSL's legacy provider (DES) is "
                                "not available" : "");
            v = plain;
        }
        apr_hash_set(ctx->props, k, APR_HASH_KEY_STRING, v);
    }
    cfg_info(ctx, bean, NULL, "Spring bean %s: %u placeholder values from %s", cls,
             apr_hash_count(props), path);
    return APR_SUCCESS;
}

apr_status_t cfg_placeholder_beans(cfg_ctx_t *ctx, xmlNode *beans)
{
    const char *password = NULL, *source = "environment variable ACTIVEMQ_ENCRYPTION_PASSWORD";
    apr_status_t rv = APR_SUCCESS;
    ctx->props = apr_hash_make(ctx->pool);
    password = getenv("ACTIVEMQ_ENCRYPTION_PASSWORD");
    for (xmlNode *b = beans->children; b && !rv; b = b->next) {
        char *cls = is_beans(b, "bean") ? attr_text(b, "class") : NULL;
        if (cls && (ends_with(cls, "PBEConfig") || ends_with(cls, "PBEStringEncryptor")))
            rv = encryptor_bean(ctx, b, &password, &source);
        free(cls);
    }
    for (xmlNode *b = beans->children; b && !rv; b = b->next) {
        char *cls = is_beans(b, "bean") ? attr_text(b, "class") : NULL;
        if (cls && ends_with(cls, "PlaceholderConfigurer")) {
            bool enc = strstr(cls, "Encryptable") != NULL;
            const char *ign = last_value(ctx, b, "ignoreResourceNotFound");
            apr_array_header_t *locs = property_values(ctx, b, "location");
            apr_array_header_t *more = property_values(ctx, b, "locations");
            apr_array_cat(locs, more);
            if (!locs->nelts)
                cfg_info(ctx, b, NULL, "Spring bean %s: names no properties file", cls);
            for (int i = 0; i < locs->nelts && !rv; i++)
                rv = read_location(ctx, b, cls, APR_ARRAY_IDX(locs, i, const char *), enc,
                                   ign && strcmp(ign, "true") == 0, password, source);
        }
        free(cls);
    }
    return rv;
}
