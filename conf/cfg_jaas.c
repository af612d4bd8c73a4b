/* <jaasAuthenticationPlugin>: ActiveMQ's JAAS set-up as its distribution ships it — a login.config
 * entry naming org.apache.activemq.jaas.PropertiesLoginModule over users.properties (user =
 * password) and groups.properties (group = user, user...).  hermod reads the JAAS file shape
 * itself; any other login module is Java code it cannot run, and is refused. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <apr_file_info.h>
#include <apr_strings.h>

#include "cfg_int.h"

#define PROPS_MODULE "org.apache.activemq.jaas.PropertiesLoginModule"
#define CERT_MODULE  "org.apache.activemq.jaas.TextFileCertificateLoginModule"

/* The one login module each plugin reads, and its options naming the two files. */
static const struct { const char *module, *user_opt, *group_opt; } modules[2] = {
    { PROPS_MODULE, "org.apache.activemq.jaas.properties.user", "org.apache.activemq.jaas.properties.group" },
    { CERT_MODULE, "org.apache.activemq.jaas.textfiledn.user", "org.apache.activemq.jaas.textfiledn.group" },
};

typedef struct lex_s {
    const char *p, *end;
    int line;
    apr_pool_t *pool;
} lex_t;

/* The next token of a JAAS configuration file: a word, a quoted string (quotes removed), or one
 * of { } ; =.  NULL at the end; comments are // to the end of the line and C style. */
static const char *token(lex_t *lx, int *quoted)
{
    *quoted = 0;
    for (;;) {
        while (lx->p < lx->end && strchr(" \t\r\n", *lx->p)) {
            if (*lx->p == '\n')
                lx->line++;
            lx->p++;
        }
        if (lx->end - lx->p >= 2 && lx->p[0] == '/' && lx->p[1] == '/') {
            while (lx->p < lx->end && *lx->p != '\n')
                lx->p++;
        } else if (lx->end - lx->p >= 2 && lx->p[0] == '/' && lx->p[1] == '*') {
            lx->p += 2;
            while (lx->p < lx->end && !(lx->end - lx->p >= 2 && lx->p[0] == '*' && lx->p[1] == '/'))
                lx->line += *lx->p++ == '\n';
            lx->p = lx->p < lx->end ? lx->p + 2 : lx->end;
        } else {
            break;
        }
    }
    if (lx->p >= lx->end)
        return NULL;
    const char *s = lx->p;
    if (strchr("{};=", *s)) {
        lx->p++;
        return apr_pstrmemdup(lx->pool, s, 1);
    }
    if (*s == '"') {
        char *out = apr_palloc(lx->pool, (size_t)(lx->end - s)), *o = out;
        for (lx->p++; lx->p < lx->end && *lx->p != '"'; lx->p++) {
            if (*lx->p == '\\' && lx->p + 1 < lx->end)
                lx->p++;
            lx->line += *lx->p == '\n';
            *o++ = *lx->p;
        }
        *o = '\0';
        if (lx->p < lx->end)
            lx->p++;
        *quoted = 1;
        return out;
    }
    while (lx->p < lx->end && !strchr(" \t\r\n{};=\"", *lx->p))
        lx->p++;
    return apr_pstrmemdup(lx->pool, s, (size_t)(lx->p - s));
}

static apr_status_t bad(const char *file, int line, char *err, size_t errlen, const char *what)
{
    snprintf(err, errlen, "%s:%d: %s", file, line, what);
    return CFG_EVALUE;
}

static const char *resolve(apr_pool_t *pool, const char *dir, const char *name)
{
    if (strncmp(name, "file:", 5) == 0)
        name += 5;
    return name[0] == '/' ? name : apr_pstrcat(pool, dir, "/", name, NULL);
}

/* Finds entry `name` in login.config and takes its one login module's options. */
static apr_status_t parse_login_config(cfg_jaas_t *j, apr_pool_t *pool, char *err, size_t errlen)
{
    char *text;
    size_t len;
    apr_status_t rv = cfg_side_file(pool, j->login_config, &text, &len, err, errlen);
    return rv ? rv : cfg_jaas_parse(j, pool, text, len, err, errlen);
}

apr_status_t cfg_jaas_parse(cfg_jaas_t *j, apr_pool_t *pool, const char *text, size_t len,
                            char *err, size_t errlen)
{
    const char *want = modules[j->certificates].module;
    lex_t lx = { text, text + len, 1, pool };
    const char *t, *file = j->login_config;
    int q, found = 0;
    char *dir = apr_pstrdup(pool, file), *slash = strrchr(dir, '/');
    if (slash)
        *slash = '\0';
    else
        dir = ".";
    while ((t = token(&lx, &q)) != NULL) {
        const char *entry = t;
        if (!(t = token(&lx, &q)) || strcmp(t, "{") != 0)
            return bad(file, lx.line, err, errlen, "expected \"{\" after the entry name");
        int mine = strcmp(entry, j->configuration) == 0, nmodules = 0;
        for (;;) {
            const char *cls = token(&lx, &q);
            if (!cls)
                return bad(file, lx.line, err, errlen, "unterminated entry");
            if (strcmp(cls, "}") == 0)
                break;
            const char *flag = token(&lx, &q);
            if (!flag || (strcmp(flag, "required") && strcmp(flag, "requisite") &&
                          strcmp(flag, "sufficient") && strcmp(flag, "optional")))
                return bad(file, lx.line, err, errlen, "expected a flag (required, requisite, "
                           "sufficient, optional) after the login module");
            nmodules++;
            if (mine && strcmp(cls, want) != 0)
                return bad(file, lx.line, err, errlen, apr_psprintf(pool, "login module %s is Java "
                           "code hermod cannot run; hermod reads %s only here", cls, want));
            if (mine && nmodules > 1)
                return bad(file, lx.line, err, errlen, apr_psprintf(pool, "more than one login "
                           "module in the entry; hermod reads a single %s", want));
            while ((t = token(&lx, &q)) != NULL && strcmp(t, ";") != 0) {
                const char *opt = t;
                if (!(t = token(&lx, &q)) || strcmp(t, "=") != 0 || !(t = token(&lx, &q)))
                    return bad(file, lx.line, err, errlen, "expected option=value");
                if (!mine)
                    continue;
                if (strcmp(opt, modules[j->certificates].user_opt) == 0)
                    j->users_file = resolve(pool, dir, t);
                else if (strcmp(opt, modules[j->certificates].group_opt) == 0)
                    j->groups_file = resolve(pool, dir, t);
                else if (strcmp(opt, "reload") == 0)
                    j->reload = strcasecmp(t, "true") == 0;
                else if (strcmp(opt, "debug") != 0 && strcmp(opt, "baseDir") != 0)
                    return bad(file, lx.line, err, errlen, apr_psprintf(pool, "option %s of "
                               "%s is not supported by hermod", opt, want));
            }
            if (!t)
                return bad(file, lx.line, err, errlen, "expected \";\" after the login module");
        }
        if ((t = token(&lx, &q)) == NULL || strcmp(t, ";") != 0)
            return bad(file, lx.line, err, errlen, "expected \";\" after \"}\"");
        if (mine) {
            if (!nmodules)
                return bad(file, lx.line, err, errlen, "the entry has no login module");
            found = 1;
        }
    }
    if (!found) {
        snprintf(err, errlen, "%s: no entry \"%s\" (jaasAuthenticationPlugin configuration=)", file,
                 j->configuration);
        return CFG_EMISSING;
    }
    if (!j->users_file)
        j->users_file = resolve(pool, dir, "users.properties");
    if (!j->groups_file)
        j->groups_file = resolve(pool, dir, "groups.properties");
    return APR_SUCCESS;
}

/* users.properties (user = password, or user = certificate DN) and groups.properties into
 * cfg_user_t (groups from every line naming the user). */
static apr_status_t read_users(cfg_jaas_t *j, apr_pool_t *pool, apr_array_header_t **out,
                               char *err, size_t errlen)
{
    apr_hash_t *users, *groups;
    apr_finfo_t fu, fg;
    apr_status_t rv = apr_stat(&fu, j->users_file, APR_FINFO_MTIME | APR_FINFO_SIZE, pool);
    if (rv == APR_SUCCESS)
        rv = apr_stat(&fg, j->groups_file, APR_FINFO_MTIME | APR_FINFO_SIZE, pool);
    if (rv == APR_SUCCESS)
        rv = cfg_props_read(pool, j->users_file, &users, err, errlen);
    else
        snprintf(err, errlen, "%s or %s cannot be read", j->users_file, j->groups_file);
    if (rv == APR_SUCCESS)
        rv = cfg_props_read(pool, j->groups_file, &groups, err, errlen);
    if (rv)
        return rv;
    apr_array_header_t *a = apr_array_make(pool, (int)apr_hash_count(users), sizeof(cfg_user_t));
    apr_hash_t *index = apr_hash_make(pool);
    for (apr_hash_index_t *hi = apr_hash_first(pool, users); hi; hi = apr_hash_next(hi)) {
        cfg_user_t *u = apr_array_push(a);
        u->username = apr_hash_this_key(hi);
        u->password = j->certificates ? NULL : apr_hash_this_val(hi);
        u->dn = j->certificates ? apr_hash_this_val(hi) : NULL;
        u->groups = apr_array_make(pool, 2, sizeof(const char *));
        apr_hash_set(index, u->username, APR_HASH_KEY_STRING, u);
    }
    for (apr_hash_index_t *hi = apr_hash_first(pool, groups); hi; hi = apr_hash_next(hi)) {
        apr_array_header_t *members = cfg_split_list(pool, apr_hash_this_val(hi));
        for (int i = 0; i < members->nelts; i++) {
            cfg_user_t *u = apr_hash_get(index, APR_ARRAY_IDX(members, i, const char *), APR_HASH_KEY_STRING);
            if (u)
                APR_ARRAY_PUSH(u->groups, const char *) = apr_hash_this_key(hi);
        }
    }
    j->users_mtime = fu.mtime;
    j->users_size = fu.size;
    j->groups_mtime = fg.mtime;
    j->groups_size = fg.size;
    *out = a;
    return APR_SUCCESS;
}

apr_status_t cfg_jaas_reload(cfg_jaas_t *j, apr_pool_t *pool, apr_array_header_t **users,
                             char *err, size_t errlen)
{
    apr_finfo_t fu, fg;
    *users = NULL;
    if (apr_stat(&fu, j->users_file, APR_FINFO_MTIME | APR_FINFO_SIZE, pool) != APR_SUCCESS ||
        apr_stat(&fg, j->groups_file, APR_FINFO_MTIME | APR_FINFO_SIZE, pool) != APR_SUCCESS) {
        snprintf(err, errlen, "%s or %s cannot be read; the users stay as they were",
                 j->users_file, j->groups_file);
        return APR_ENOENT;
    }
    if (fu.mtime == j->users_mtime && fu.size == j->users_size && fg.mtime == j->groups_mtime &&
        fg.size == j->groups_size)
        return APR_SUCCESS;
    return read_users(j, pool, users, err, errlen);
}

/* ActiveMQ's start script points java.security.auth.login.config at $ACTIVEMQ_CONF/login.config;
 * without ACTIVEMQ_CONF hermod looks beside the activemq.xml (${activemq.conf}). */
static const char *login_config_path(cfg_ctx_t *ctx)
{
    const char *env = getenv("ACTIVEMQ_CONF");
    const char *p = NULL;
    char *abs;
    apr_finfo_t fi;
    if (env && *env) {
        p = apr_pstrcat(ctx->pool, env, "/login.config", NULL);
        if (apr_stat(&fi, p, APR_FINFO_TYPE, ctx->pool) != APR_SUCCESS)
            p = NULL;
    }
    if (!p)
        p = apr_pstrcat(ctx->pool, ctx->dir_conf, "/login.config", NULL);
    /* absolute, so a reload reads the same files whatever the working directory */
    return apr_filepath_merge(&abs, NULL, p, 0, ctx->pool) == APR_SUCCESS ? abs : p;
}

/* One login.config entry and its users, or the error (naming the element) in ctx. */
static apr_status_t load_entry(cfg_ctx_t *ctx, xmlNode *node, const char *configuration,
                               bool certificates, cfg_jaas_t **out, apr_array_header_t **users)
{
    cfg_jaas_t *j = apr_pcalloc(ctx->pool, sizeof *j);
    char why[1024];
    j->configuration = configuration;
    j->certificates = certificates;
    j->login_config = login_config_path(ctx);
    apr_status_t rv = parse_login_config(j, ctx->pool, why, sizeof why);
    if (rv == APR_SUCCESS)
        rv = read_users(j, ctx->pool, users, why, sizeof why);
    if (rv)
        return cfg_fail(ctx, node, NULL, rv == APR_ENOENT || APR_STATUS_IS_ENOENT(rv) ? CFG_EMISSING : rv,
                        "%s", why);
    cfg_info(ctx, node, NULL, "%d %susers from %s (login.config: %s, entry %s%s)", (*users)->nelts,
             certificates ? "certificate " : "", j->users_file, j->login_config, configuration,
             j->reload ? "; reloaded when changed" : "");
    *out = j;
    return APR_SUCCESS;
}

typedef struct jaas_attrs_s {
    const char *configuration, *ssl_configuration;
} jaas_attrs_t;

/* kind 0: jaasAuthenticationPlugin, 1: jaasCertificateAuthenticationPlugin,
 * 2: jaasDualAuthenticationPlugin (configuration for plain connectors, sslConfiguration for TLS). */
static apr_status_t jaas_plugin(cfg_ctx_t *ctx, xmlNode *node, cfg_plugins_t *pl, int kind)
{
    static const cfg_attr_spec_t attrs[] = {
        CFG_ATTR("configuration", CFG_A_STR, jaas_attrs_t, configuration, 0, 0),
        CFG_ATTR("sslConfiguration", CFG_A_STR, jaas_attrs_t, ssl_configuration, 0, 0),
        CFG_ATTR_NOTE("discoverLoginConfig", CFG_A_QUIET, NULL),
    };
    if (pl->authentication)
        return cfg_fail(ctx, node, NULL, CFG_EVALUE, "a second authentication plugin");
    jaas_attrs_t a = { "activemq", "activemq-ssl" };
    apr_status_t rv = cfg_attrs(ctx, node, attrs, CFG_NELEMS(attrs), &a);
    if (rv == APR_SUCCESS && kind != 2 && cfg_attr_find(node, "sslConfiguration"))
        rv = cfg_fail(ctx, node, cfg_attr_find(node, "sslConfiguration"), CFG_EVALUE,
                      "only <jaasDualAuthenticationPlugin> has an sslConfiguration");
    if (rv == APR_SUCCESS)
        rv = cfg_children(ctx, node, NULL, 0, NULL);
    if (rv == APR_SUCCESS)
        rv = load_entry(ctx, node, a.configuration, kind == 1, &pl->jaas, &pl->users);
    if (rv == APR_SUCCESS && kind == 2)
        rv = load_entry(ctx, node, a.ssl_configuration, true, &pl->jaas_ssl, &pl->ssl_users);
    if (rv == APR_SUCCESS)
        pl->authentication = true;
    return rv;
}

apr_status_t cfg_jaas_plugin(cfg_ctx_t *ctx, xmlNode *node, void *target)
{
    return jaas_plugin(ctx, node, target, 0);
}

apr_status_t cfg_jaas_cert_plugin(cfg_ctx_t *ctx, xmlNode *node, void *target)
{
    return jaas_plugin(ctx, node, target, 1);
}

apr_status_t cfg_jaas_dual_plugin(cfg_ctx_t *ctx, xmlNode *node, void *target)
{
    return jaas_plugin(ctx, node, target, 2);
}
