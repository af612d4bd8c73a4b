/* hermod: the broker process.
 *   hermod --config FILE [--log-level debug|info|warn|error] [--loops N]
 * Runs in the foreground, logs to stderr, stops gracefully on SIGTERM/SIGINT, and exits
 * non-zero with a message naming file, line and element when the configuration is bad. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <apr_atomic.h>
#include <apr_file_info.h>
#include <apr_file_io.h>
#include <apr_general.h>
#include <apr_network_io.h>
#include <apr_signal.h>
#include <apr_strings.h>
#include <apr_thread_proc.h>

#include "cfg.h"
#include "hm_life.h"
#include "hm_limits.h"
#include "hm_log.h"
#include "hm_server.h"
#include "amqp_adapter.h"
#include "mg.h"
#include "ow_adapter.h"
#include "sel.h"
#include "st.h"
#include "st_lease.h"

/* How often a standby retries the store's lease, and an active broker checks it. */
#define LEASE_POLL_MS 1000

static hm_server_t *the_server;
static hm_broker_t *the_broker;

/* The configuration's virtual destinations in the core's terms (arrays in pool). */
static void map_virtuals(const cfg_t *cfg, apr_pool_t *pool, hm_broker_opts_t *bo)
{
    int n = cfg->virtuals ? cfg->virtuals->nelts : 0;
    hm_virtual_t *v = apr_pcalloc(pool, sizeof *v * (size_t)(n + 1));
    for (int i = 0; i < n; i++) {
        const cfg_virtual_t *c = &APR_ARRAY_IDX(cfg->virtuals, i, cfg_virtual_t);
        v[i].kind = c->kind == CFG_VIRTUAL_TOPIC ? HM_VIRTUAL_TOPIC
                  : c->kind == CFG_COMPOSITE_QUEUE ? HM_COMPOSITE_QUEUE : HM_COMPOSITE_TOPIC;
        v[i].name = c->name;
        v[i].prefix = c->prefix;
        v[i].postfix = c->postfix;
        v[i].forward_only = c->forward_only;
        int nf = c->forward_to ? c->forward_to->nelts : 0;
        hm_dname_t *f = apr_pcalloc(pool, sizeof *f * (size_t)(nf + 1));
        const char **sel = apr_pcalloc(pool, sizeof *sel * (size_t)(nf + 1));
        for (int j = 0; j < nf; j++) {
            const cfg_forward_t *t = &APR_ARRAY_IDX(c->forward_to, j, cfg_forward_t);
            f[j].kind = t->is_queue ? HM_QUEUE : HM_TOPIC;
            f[j].name = t->name;
            sel[j] = t->selector;
        }
        v[i].nforward = nf;
        v[i].forward = f;
        v[i].filter = sel;
    }
    bo->virtuals = v;
    bo->nvirtuals = n;
}

/* Dead letter routing from the configuration's destination policies. */
static int config_dlq(void *baton, hm_dname_t dest, const hm_msg_t *m, int expired,
                      hm_dname_t *dlq, char *name, size_t cap)
{
    const cfg_t *cfg = baton;
    int is_queue = HM_KIND_IS_QUEUE(dest.kind);
    const cfg_policy_t *p = cfg_policy_for(cfg, is_queue, dest.name);
    if ((expired && !p->dlq.process_expired) || (!m->persistent && !p->dlq.process_non_persistent))
        return 0;
    apr_pool_t *tmp;
    if (apr_pool_create(&tmp, NULL) != APR_SUCCESS)
        return 0;
    bool q = true;
    const char *n = cfg_dlq_for(p, is_queue, dest.name, NULL, tmp, &q);
    int go = n && strlen(n) < cap;
    if (go) {
        strcpy(name, n);
        dlq->kind = q ? HM_QUEUE : HM_TOPIC;
        dlq->name = name;
    }
    apr_pool_destroy(tmp);
    return go;
}

/* originBrokerURL of advisories: the first connector's address as ActiveMQ publishes it
 * (scheme://host:port, the machine's name for a wildcard address). */
static const char *config_url(const cfg_t *cfg, apr_pool_t *pool)
{
    for (int i = 0; i < cfg->connectors->nelts; i++) {
        const cfg_connector_t *c = &APR_ARRAY_IDX(cfg->connectors, i, cfg_connector_t);
        const char *host = c->host;
        char name[256];
        if (!host || strcmp(host, "0.0.0.0") == 0 || strcmp(host, "::") == 0)
            host = apr_gethostname(name, sizeof name, pool) == APR_SUCCESS ? name : "localhost";
        return apr_psprintf(pool, "%s://%s:%d", c->scheme_text, host, c->port);
    }
    return NULL;
}

/* The optional advisories a destination's policy entry turns on. */
static unsigned config_advisories(void *baton, hm_dname_t dest)
{
    const cfg_policy_t *p = cfg_policy_for(baton, HM_KIND_IS_QUEUE(dest.kind), dest.name);
    return (p->advisory_for_slow_consumers ? HM_ADVP_SLOW_CONSUMER : 0) |
           (p->advisory_for_fast_producers ? HM_ADVP_FAST_PRODUCER : 0) |
           (p->advisory_for_consumed ? HM_ADVP_CONSUMED : 0) |
           (p->advisory_for_delivery ? HM_ADVP_DELIVERED : 0) |
           (p->send_advisory_if_no_consumers ? HM_ADVP_NO_CONSUMER : 0) |
           (p->advisory_when_full ? HM_ADVP_FULL : 0);
}

/* A policy entry anywhere turning an optional advisory on: only then are policies consulted. */
static int config_any_advisory(const cfg_t *cfg)
{
    const cfg_policy_t *d = &cfg->default_policy;
    int any = d->advisory_for_slow_consumers || d->advisory_for_fast_producers ||
              d->advisory_for_consumed || d->advisory_for_delivery || d->send_advisory_if_no_consumers ||
              d->advisory_when_full;
    for (int i = 0; cfg->policies && i < cfg->policies->nelts; i++) {
        const cfg_policy_t *p = &APR_ARRAY_IDX(cfg->policies, i, cfg_policy_t);
        any |= p->advisory_for_slow_consumers || p->advisory_for_fast_producers ||
               p->advisory_for_consumed || p->advisory_for_delivery || p->send_advisory_if_no_consumers ||
               p->advisory_when_full;
    }
    return any;
}

/* Memory limit, producer flow control and expiry period from the destination's policy entry. */
static void config_policy(void *baton, hm_dname_t dest, hm_dest_policy_t *out)
{
    const cfg_t *cfg = baton;
    /* temporary destinations take <policyEntry tempQueue="true"/tempTopic="true"> entries */
    cfg_dest_kind_e kind = dest.kind == HM_QUEUE ? CFG_DEST_QUEUE : dest.kind == HM_TOPIC ? CFG_DEST_TOPIC
                         : dest.kind == HM_TEMP_QUEUE ? CFG_DEST_TEMP_QUEUE : CFG_DEST_TEMP_TOPIC;
    const cfg_policy_t *p = cfg_policy_lookup(cfg, kind, dest.name);
    out->memory_limit = p->memory_limit;
    out->producer_flow_control = p->producer_flow_control;
    out->expire_period_ms = p->expire_messages_period_ms;
    out->pending_limit = p->pending_message_limit;
    out->send_fail_if_no_space = p->send_fail_if_no_space;
    out->send_fail_after_ms = p->send_fail_if_no_space_after_timeout_ms;
    out->memory_only = p->vm_cursor;
    out->spill_pct = p->cursor_high_water;
}

static void store_progress(void *baton, const char *phase, uint64_t done, uint64_t total)
{
    if (total)
        hm_info("store: %s: %llu of %llu (%.0f%%)", phase, (unsigned long long)done,
                (unsigned long long)total, 100.0 * (double)done / (double)total);
    else
        hm_info("store: %s: %llu", phase, (unsigned long long)done);
}

/* Opens the Berkeley DB store the configuration names; NULL (no store) for persistent="false"
 * or a memory adapter. */
static int uses_store(const cfg_t *cfg)
{
    return cfg->persistent && cfg->store.kind == CFG_STORE_BDB;
}

static apr_status_t open_store(const cfg_t *cfg, apr_pool_t *pool, st_store_t **out)
{
    *out = NULL;
    if (!uses_store(cfg))
        return APR_SUCCESS;
    st_options_t o;
    st_options_default(&o);
    o.kind = ST_KIND_BDB;
    o.lease_held = 1;          /* main() took the store's lease before opening it */
    o.dir = cfg->store.directory;
    if (cfg->store.cache_size > 0)
        o.cache_bytes = (uint64_t)cfg->store.cache_size;
    if (cfg->store.log_file_size > 0)
        o.log_file_bytes = (uint32_t)cfg->store.log_file_size;
    o.sync = cfg->store.sync == CFG_SYNC_BATCH ? ST_SYNC_BATCH
           : cfg->store.sync == CFG_SYNC_NONE ? ST_SYNC_NONE : ST_SYNC_ALWAYS;
    if (cfg->usage.store_limit > 0)
        o.size_limit = (uint64_t)cfg->usage.store_limit;
    o.progress = store_progress;
    /* a pair's standby recovers from the last checkpoint on: checkpoint as often as KahaDB does
     * (checkpointInterval 5 s), so a take-over replays at most a few seconds of journal */
    if (cfg->store.locker == CFG_LOCKER_LEASE)
        o.checkpoint_secs = 5;
    if (cfg->store.delete_all_on_startup)
        hm_warn("%s: deleteAllMessagesOnStartup is not supported; stored messages are kept", cfg->source);
    apr_status_t st = st_open(pool, &o, out);
    if (st)
        hm_error("%s:%d: the message store in %s cannot be opened: %s", cfg->source, cfg->store.line,
                 o.dir, hm_strerror(st));
    else
        hm_info("message store: Berkeley DB in %s (configured as <%s>)", o.dir, cfg->store.configured_as);
    return st;
}

/* The store's lease: the exclusive lock file, or a pair's lease file (<locker>).  *poll_ms:
 * how often a standby looks at it. */
static apr_status_t store_lease(const cfg_t *cfg, apr_pool_t *pool, st_lease_t **out, int *poll_ms)
{
    *poll_ms = LEASE_POLL_MS;
    if (cfg->store.locker != CFG_LOCKER_LEASE)
        return st_lease_lockfile(pool, cfg->store.directory, out);
    char host[256] = "?";
    gethostname(host, sizeof host - 1);
    st_lease_opts_t lo = {
        .lease_ms = cfg->store.lease_ms,
        .renew_ms = cfg->store.keep_alive_ms,
        .holder = cfg->store.lease_holder_id
                  ? cfg->store.lease_holder_id
                  : apr_psprintf(pool, "broker \"%s\" (pid %ld on %s)", cfg->broker_name,
                                 (long)getpid(), host),
    };
    /* a standby looks often: a released lease is taken at once, a lapsed one within a poll */
    *poll_ms = cfg->store.keep_alive_ms < 100 ? cfg->store.keep_alive_ms : 100;
    hm_info("store: a primary/replica pair's lease in %s/hermod.lease: lasts %d ms, renewed every "
            "%d ms", cfg->store.directory, cfg->store.lease_ms, cfg->store.keep_alive_ms);
    return st_lease_file(pool, cfg->store.directory, &lo, out);
}

static int usage(void)
{
    fprintf(stderr,
            "usage: hermod --config FILE [--log-level debug|info|warn|error] [--loops N]\n"
            "       hermod --check-config FILE       load the configuration, report problems, exit\n"
            "       hermod admin [--url URL] [--json] dstat|list|browse|purge|move|send|query ...\n"
            "                                        manage a running broker through its web console's API\n"
            "       hermod store verify|stats|dump|recover DIR\n"
            "                                        check, summarise, list or recover a stopped\n"
            "                                        broker's Berkeley DB store (its directory)\n");
    return 2;
}

static void tool_progress(void *baton, const char *phase, uint64_t done, uint64_t total)
{
    fprintf(stderr, "\r%s: %llu of %llu", phase, (unsigned long long)done, (unsigned long long)total);
    if (done >= total)
        fputc('\n', stderr);
}

/* `hermod store ...`: offline store tools (the broker must not be running on DIR). */
static int store_tool(const char *cmd, const char *dir)
{
    apr_status_t st;
    if (strcmp(cmd, "verify") == 0)
        st = st_tool_verify(dir, stdout, tool_progress, NULL);
    else if (strcmp(cmd, "stats") == 0)
        st = st_tool_stats(dir, stdout);
    else if (strcmp(cmd, "dump") == 0)
        st = st_tool_dump(dir, stdout);
    else if (strcmp(cmd, "recover") == 0)
        st = st_tool_recover(dir, 0, stdout);
    else
        return usage();
    if (st) {
        fprintf(stderr, "hermod store %s %s: %s\n", cmd, dir, hm_strerror(st));
        return 1;
    }
    return 0;
}

static hm_life_t *the_life;
static const char *const *the_argv;     /* for the re-execution of a fenced broker */

/* The lease is gone while active: another broker may be writing the store now.  Nothing more
 * may reach it, not even a clean close (a checkpoint writes; the lease's gate refuses it anyway).
 * The process image is replaced by a fresh one with the same arguments: every connection and
 * listener closes with it, and the new image waits as standby (a pair's lease), or exits. */
static void on_fenced(void *baton, const char *why)
{
    hm_error("hermod fenced (%s; store writes refused since: %llu): closing every connection "
             "and starting again as standby", why, (unsigned long long)st_lease_gate_refusals());
    execv("/proc/self/exe", (char *const *)the_argv);
    hm_error("hermod fenced: cannot start again (%s): exiting", strerror(errno));
    _exit(3);
}

/* The TLS listeners' contexts, reloaded on SIGHUP (renewed certificates without a restart). */
static hm_tls_ctx_t *tls_contexts[64];
static int ntls_contexts;
static const char *tls_names[64];

static void reload_certificates(void)
{
    for (int i = 0; i < ntls_contexts; i++) {
        char err[512];
        if (hm_tls_ctx_reload(tls_contexts[i], err, sizeof err) == APR_SUCCESS)
            hm_info("SIGHUP: connector \"%s\": certificates reloaded; new connections use them",
                    tls_names[i]);
        else
            hm_error("SIGHUP: connector \"%s\": certificates not reloaded, the previous ones stay: %s",
                     tls_names[i], err);
    }
}

static int on_signal(int signum)
{
    if (signum == SIGHUP) {
        /* of the configuration only the TLS certificates are reloaded (listeners, store,
         * policies, the web console keep what they started with): say so, keep running */
        reload_certificates();
        hm_warn("SIGHUP: %s; the rest of the configuration is not reloaded (restart hermod to "
                "apply it)", ntls_contexts ? "TLS certificates reread" : "no TLS connector to reload");
        return 0;   /* keep waiting for signals */
    }
    hm_info("signal %d received: shutting down", signum);
    hm_life_request_stop(the_life);
    if (the_broker)
        hm_broker_stopping(the_broker);
    if (the_server)
        hm_server_stop(the_server);
    return 1;   /* stop waiting for signals */
}

static void *APR_THREAD_FUNC signal_thread(apr_thread_t *t, void *arg)
{
    apr_signal_thread(on_signal);
    return NULL;
}

/* Once the store's lease is held, every way out ends its watch before the pools go and releases
 * a pair's lease, so the standby takes over at once (whatever was written is recovered by
 * whoever opens the store next). */
static void lease_end(st_lease_t *lease)
{
    if (lease) {
        hm_life_unwatch(the_life);
        st_lease_release(lease);
        st_lease_guard(NULL);
    }
}

/* Every way out of main once the signal thread runs, but the one after a normal stop.  Why
 * _exit: that thread stays in sigwait, detached, and the store runs its flusher and
 * checkpointer; exit handlers (apr_terminate) would free the pools under them, a segfault in
 * about one exit in six.  What must end cleanly is closed first: the store (a checkpoint, so
 * the next start recovers nothing).  Logs go to stderr, unbuffered; stdout is flushed. */
static int leave(int rc, st_store_t *store, st_lease_t *lease)
{
    if (store)
        st_close(store);
    lease_end(lease);
    fflush(stdout);
    fflush(stderr);
    _exit(rc);
}

/* The TLS context of an ssl:// connector, from <sslContext> and the connector's options. */
static apr_status_t tls_context(const cfg_t *cfg, const cfg_connector_t *c, apr_pool_t *pool,
                                hm_tls_ctx_t **out, char *err, size_t errlen)
{
    const cfg_tls_t *t = cfg->tls;
    if (!t) {
        snprintf(err, errlen, "a TLS connector needs an <sslContext> with the broker's certificate");
        return HM_EINVAL;
    }
    hm_tls_opts_t o = {
        .certificate = t->format == CFG_TLS_PEM ? t->certificate : NULL,
        .private_key = t->format == CFG_TLS_PEM ? t->private_key : NULL,
        .private_key_password = t->private_key_password,
        .pkcs12 = t->format == CFG_TLS_PKCS12 ? t->key_store : NULL,
        .pkcs12_password = t->key_store_password,
        .ca_certificate = t->ca_certificate,
        .trust_pkcs12 = t->trust_store,
        .trust_pkcs12_password = t->trust_store_password,
        .crl = t->crl_path,
        .want_client_auth = c->want_client_auth,
        .need_client_auth = c->need_client_auth,
        .protocols = c->enabled_protocols,
        .ciphers = c->enabled_cipher_suites,
    };
    return hm_tls_ctx_create(pool, &o, out, err, errlen);
}

/* Starts one listener per connector the build supports; the others are reported. */
static apr_status_t start_listeners(const cfg_t *cfg, hm_server_t *srv, apr_pool_t *pool)
{
    int started = 0;
    for (int i = 0; i < cfg->connectors->nelts; i++) {
        const cfg_connector_t *c = &APR_ARRAY_IDX(cfg->connectors, i, cfg_connector_t);
        char err[512];
        /* the connector's protocols, as the registry has them: auto:// sniffs among several */
        static const struct { unsigned bit; const char *name; } kinds[] = {
            { CFG_PROTO_OPENWIRE, "openwire" }, { CFG_PROTO_AMQP, "amqp" },
        };
        const hm_proto_t *protos[HM_MAX_LISTEN_PROTOS];
        int n = 0;
        for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++) {
            const hm_proto_t *p = (c->protocols & kinds[k].bit) ? hm_proto_find(kinds[k].name) : NULL;
            if (p && n < HM_MAX_LISTEN_PROTOS)
                protos[n++] = p;
            else if (c->protocols & kinds[k].bit)
                hm_warn("%s:%d: <transportConnector name=\"%s\">: %s is not supported by this build "
                        "yet", cfg->source, c->line, c->name, kinds[k].name);
        }
        if (!n) {
            hm_warn("%s:%d: <transportConnector name=\"%s\" uri=\"%s\">: not started",
                    cfg->source, c->line, c->name, c->uri);
            continue;
        }
        hm_tls_ctx_t *tls = NULL;
        if (c->tls && tls_context(cfg, c, pool, &tls, err, sizeof err) != APR_SUCCESS) {
            hm_error("%s:%d: <transportConnector name=\"%s\">: %s", cfg->source, c->line, c->name, err);
            return HM_EINVAL;
        }
        if (tls && ntls_contexts < (int)(sizeof tls_contexts / sizeof tls_contexts[0])) {
            tls_names[ntls_contexts] = c->name;
            tls_contexts[ntls_contexts++] = tls;
        }
        hm_listen_opts_t lo = {
            .max_frame_size = c->max_frame_size_enabled ? c->max_frame_size : 0,
            .max_inactivity_ms = c->use_inactivity_monitor ? c->max_inactivity_ms : 0,
            .max_inactivity_initial_delay_ms = c->max_inactivity_initial_delay_ms,
            .max_connections = c->max_connections,
            .max_connections_per_address = c->max_connections_per_address,
            .connect_timeout_ms = c->connect_timeout_ms,
            .amqp_max_frame_size = c->amqp_max_frame_size,
            .amqp_idle_timeout_ms = c->amqp_idle_timeout_ms,
        };
        apr_status_t st = hm_server_listen(srv, c->name, c->host, c->port, protos, n, &lo, tls,
                                           err, sizeof err);
        if (st) {
            hm_error("%s:%d: <transportConnector name=\"%s\">: %s", cfg->source, c->line, c->name, err);
            return st;
        }
        started++;
    }
    if (!started) {
        hm_error("%s: no transport connector could be started", cfg->source);
        return HM_EINVAL;
    }
    return APR_SUCCESS;
}

/* A configuration that asks for users or permissions gets them or nothing: until the
 * configured plugins are enforced, such a broker does not start (and --check-config says why),
 * rather than run open to everyone while the file says otherwise. */
/* ActiveMQ's AuthorizationBroker refuses every operation of a connection no authentication
 * plugin has vouched for; hermod refuses the configuration instead, saying why. */
static int refuse_unenforced_security(const cfg_t *cfg)
{
    if (cfg->plugins.authorization && !cfg->plugins.authentication) {
        hm_error("%s: <authorizationPlugin> needs an authentication plugin "
                 "(<simpleAuthenticationPlugin> or <jaasAuthenticationPlugin>) to know who the "
                 "users are; without one ActiveMQ refuses every client", cfg->source);
        return 1;
    }
    return 0;
}

/* The configuration's authorization map as the core asks it (hm_authz_map_fn). */
static int config_permits(void *baton, hm_authz_op_e op, hm_authz_dest_t d,
                          const char *const *groups, int ngroups)
{
    static const cfg_dest_kind_e kinds[] = { [HM_QUEUE] = CFG_DEST_QUEUE, [HM_TOPIC] = CFG_DEST_TOPIC,
                                             [HM_TEMP_QUEUE] = CFG_DEST_TEMP_QUEUE,
                                             [HM_TEMP_TOPIC] = CFG_DEST_TEMP_TOPIC };
    static const cfg_authz_op_e ops[] = { [HM_AUTHZ_READ] = CFG_AUTHZ_READ,
                                          [HM_AUTHZ_WRITE] = CFG_AUTHZ_WRITE,
                                          [HM_AUTHZ_ADMIN] = CFG_AUTHZ_ADMIN };
    return cfg_authz_permits(baton, kinds[d.kind], d.name, ops[op], groups, (size_t)ngroups);
}

/* The configuration's users in the core's terms (arrays in pool). */
static hm_auth_user_t *config_users(const apr_array_header_t *users, apr_pool_t *pool)
{
    hm_auth_user_t *out = apr_pcalloc(pool, sizeof *out * (size_t)(users->nelts + 1));
    for (int i = 0; i < users->nelts; i++) {
        const cfg_user_t *u = &APR_ARRAY_IDX(users, i, cfg_user_t);
        out[i].name = u->username;
        out[i].password = u->password;
        out[i].dn = u->dn;
        out[i].groups = (const char *const *)u->groups->elts;
        out[i].ngroups = u->groups->nelts;
    }
    return out;
}

/* JAAS reload=true: the users files are looked at every second and, once changed, become the
 * authenticator's users (ActiveMQ rereads them at the next login). */
typedef struct jaas_watch_s {
    cfg_jaas_t *jaas;
    void *auth_baton;
    apr_thread_t *thread;
    volatile apr_uint32_t stop;    /* set at shutdown, before the pools go */
} jaas_watch_t;

static jaas_watch_t *the_watches[2];   /* the JAAS entries with reload=true (dual: two) */

static void *APR_THREAD_FUNC jaas_watch_thread(apr_thread_t *t, void *arg)
{
    jaas_watch_t *w = arg;
    apr_pool_t *scratch;
    char err[512];
    apr_pool_create(&scratch, NULL);
    while (!apr_atomic_read32(&w->stop)) {
        for (int i = 0; i < 10 && !apr_atomic_read32(&w->stop); i++)
            apr_sleep(apr_time_from_msec(100));
        apr_array_header_t *users = NULL;
        apr_status_t st = cfg_jaas_reload(w->jaas, scratch, &users, err, sizeof err);
        if (st)
            hm_warn("JAAS reload: %s", err);
        else if (users && (st = hm_auth_simple_set_users(w->auth_baton, config_users(users, scratch),
                                                         users->nelts)) == APR_SUCCESS)
            hm_info("JAAS reload: %d users from %s", users->nelts, w->jaas->users_file);
        apr_pool_clear(scratch);
    }
    apr_pool_destroy(scratch);
    return NULL;
}

static apr_status_t jaas_watch_start(cfg_jaas_t *jaas, void *auth_baton, apr_pool_t *pool)
{
    int slot = the_watches[0] ? 1 : 0;
    if (!jaas || !jaas->reload || the_watches[slot])
        return APR_SUCCESS;
    jaas_watch_t *w = apr_pcalloc(pool, sizeof *w);
    w->jaas = jaas;
    w->auth_baton = auth_baton;
    apr_status_t st = apr_thread_create(&w->thread, NULL, jaas_watch_thread, w, pool);
    if (st == APR_SUCCESS)
        the_watches[slot] = w;
    return st;
}

static void jaas_watch_end(void)
{
    apr_status_t rv;
    for (int i = 0; i < 2; i++)
        if (the_watches[i]) {
            apr_atomic_set32(&the_watches[i]->stop, 1);
            apr_thread_join(&rv, the_watches[i]->thread);
        }
}

/* Users and permissions: the built-in authenticator over the configuration's users, asking the
 * configuration's authorization map (jaasDualAuthenticationPlugin: one over the password users
 * for plain connectors, one over the certificate users for TLS ones); JMSXUserID stamping. */
static apr_status_t config_security(const cfg_t *cfg, apr_pool_t *pool, hm_broker_opts_t *bo)
{
    bo->populate_user_id = cfg->populate_jmsx_user_id;
    bo->user_id_from_principal = cfg->use_authenticated_principal_for_jmsx_user_id;
    if (!cfg->plugins.authentication)
        return APR_SUCCESS;
    const cfg_plugins_t *pl = &cfg->plugins;
    hm_auth_simple_opts_t o = {
        .users = config_users(pl->users, pool), .nusers = pl->users->nelts,
        .anonymous_allowed = pl->anonymous_access_allowed,
        .certificates = pl->jaas && pl->jaas->certificates,
        .anonymous_user = pl->anonymous_user, .anonymous_group = pl->anonymous_group,
        .permits = pl->authorization ? config_permits : NULL, .permits_baton = (void *)cfg,
    };
    bo->auth = &hm_auth_simple;
    apr_status_t st = hm_auth_simple_create(pool, &o, &bo->auth_baton);
    if (st == APR_SUCCESS)
        st = jaas_watch_start(pl->jaas, bo->auth_baton, pool);
    if (st == APR_SUCCESS && pl->jaas_ssl) {
        void *tls_baton;
        o.users = config_users(pl->ssl_users, pool);
        o.nusers = pl->ssl_users->nelts;
        o.certificates = 1;
        if ((st = hm_auth_simple_create(pool, &o, &tls_baton)) == APR_SUCCESS &&
            (st = jaas_watch_start(pl->jaas_ssl, tls_baton, pool)) == APR_SUCCESS &&
            (st = hm_auth_dual_create(pool, &hm_auth_simple, bo->auth_baton, &hm_auth_simple,
                                      tls_baton, &bo->auth_baton)) == APR_SUCCESS)
            bo->auth = &hm_auth_dual;
    }
    return st;
}

/* A whole small file (a PEM certificate or key) as a NUL-terminated string in pool. */
static apr_status_t read_small_file(const char *path, apr_pool_t *pool, char **out, apr_size_t *len)
{
    apr_file_t *f;
    apr_finfo_t fi;
    apr_status_t st = apr_file_open(&f, path, APR_READ | APR_BINARY, APR_OS_DEFAULT, pool);
    if (st)
        return st;
    if ((st = apr_file_info_get(&fi, APR_FINFO_SIZE, f)) == APR_SUCCESS && fi.size > 1024 * 1024)
        st = HM_ETOOBIG;
    if (st == APR_SUCCESS) {
        *out = apr_palloc(pool, (apr_size_t)fi.size + 1);
        st = apr_file_read_full(f, *out, (apr_size_t)fi.size, len);
        if (st == APR_SUCCESS)
            (*out)[*len] = '\0';
    }
    apr_file_close(f);
    return st;
}

/* The web console, API and metrics (<webConsole>), in libmicrohttpd's own thread. */
static apr_status_t console_opts(const cfg_t *cfg, apr_pool_t *pool, mg_opts_t *o)
{
    const cfg_web_t *w = cfg->web;
    *o = (mg_opts_t){
        .host = w->host,
        .port = w->port,
        .allow_remote_without_auth = w->allow_remote_without_auth,
        .auth_configured = cfg->plugins.authentication,
        .admin_group = w->admin_group,
    };
    apr_status_t st = APR_SUCCESS;
    if (w->https) {                /* cfg_web_check made sure <sslContext> has PEM files */
        apr_size_t n;
        char *cert, *key;
        if ((st = read_small_file(cfg->tls->certificate, pool, &cert, &n)) != APR_SUCCESS ||
            (st = read_small_file(cfg->tls->private_key, pool, &key, &n)) != APR_SUCCESS) {
            hm_error("%s:%d: <webConsole uri=\"%s\">: the <sslContext> PEM files cannot be read: %s",
                     cfg->source, w->line, w->uri, hm_strerror(st));
            return st;
        }
        o->tls_cert_pem = cert;
        o->tls_key_pem = key;
        o->tls_key_password = cfg->tls->private_key_password;
    }
    char err[512];
    if ((st = mg_check(o, err, sizeof err)) != APR_SUCCESS)
        hm_error("%s:%d: <webConsole uri=\"%s\">: %s", cfg->source, w->line, w->uri, err);
    return st;
}

static apr_status_t start_console(const cfg_t *cfg, const mg_opts_t *o, hm_broker_t *broker,
                                  apr_pool_t *pool, mg_server_t **out)
{
    char err[512];
    apr_status_t st = mg_start(pool, broker, o, out, err, sizeof err);
    if (st)
        hm_error("%s:%d: <webConsole uri=\"%s\">: %s", cfg->source, cfg->web->line, cfg->web->uri, err);
    return st;
}

int main(int argc, const char *const *argv)
{
    const char *config = NULL;
    int loops = (int)sysconf(_SC_NPROCESSORS_ONLN), check_only = 0;
    if (argc >= 2 && strcmp(argv[1], "admin") == 0)
        return mg_admin_main(argc - 2, argv + 2);
    if (argc == 4 && strcmp(argv[1], "store") == 0) {
        apr_app_initialize(&argc, &argv, NULL);
        int rc = store_tool(argv[2], argv[3]);
        apr_terminate();
        return rc;
    }
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--check-config") == 0 && i + 1 < argc) {
            config = argv[++i];
            check_only = 1;
        } else if (strcmp(argv[i], "--config") == 0 && i + 1 < argc) {
            config = argv[++i];
        } else if (strcmp(argv[i], "--loops") == 0 && i + 1 < argc) {
            loops = atoi(argv[++i]);
        } else if (strcmp(argv[i], "--log-level") == 0 && i + 1 < argc) {
            const char *l = argv[++i];
            hm_log_set_level(strcmp(l, "debug") == 0 ? HM_LOG_DEBUG : strcmp(l, "warn") == 0 ? HM_LOG_WARN
                             : strcmp(l, "error") == 0 ? HM_LOG_ERROR : HM_LOG_INFO);
        } else {
            return usage();
        }
    }
    if (!config)
        return usage();
    if (loops < 1 || loops > 64)
        loops = 2;

    the_argv = argv;
    apr_app_initialize(&argc, &argv, NULL);
    atexit(apr_terminate);
    /* block SIGTERM/SIGINT before any thread exists (store flusher, event loops): only the
     * signal thread started below receives them, so shutdown is always the graceful one */
    apr_setup_signal_thread();
    /* a peer that resets its socket while output is queued must close that connection only:
     * writes get EPIPE instead of a SIGPIPE that would end the process */
    signal(SIGPIPE, SIG_IGN);
    sel_global_init();
    apr_pool_t *pool;
    apr_pool_create(&pool, NULL);

    cfg_t *cfg;
    char err[1024];
    apr_status_t st = cfg_load_file(pool, config, NULL, &cfg, err, sizeof err);
    if (st) {
        hm_error("bad configuration: %s", err);
        return 2;
    }
    if (refuse_unenforced_security(cfg))
        return 2;
    /* the console's address and files are checked before any thread starts (and by
     * --check-config); only the listening itself can still fail later */
    mg_opts_t console_o;
    if (cfg->web && console_opts(cfg, pool, &console_o) != APR_SUCCESS)
        return 2;
    if (check_only) {
        hm_info("%s: configuration is valid", config);
        return 0;
    }
    if ((st = apr_dir_make_recursive(cfg->data_directory, APR_OS_DEFAULT, pool)) != APR_SUCCESS) {
        hm_error("%s: dataDirectory \"%s\" cannot be created: %s", cfg->source,
                 cfg->data_directory, hm_strerror(st));
        return 2;
    }

    /* starting -> standby (while another broker holds the store's lease) -> recovering: the
     * store opens only once the lease is ours; signals end a standby wait */
    if ((st = hm_life_create(pool, on_fenced, NULL, &the_life))) {
        hm_error("cannot start the broker: %s", hm_strerror(st));
        return 1;
    }
    apr_thread_t *sig;
    if ((st = apr_thread_create(&sig, NULL, signal_thread, NULL, pool))) {
        hm_error("cannot start the signal thread: %s", hm_strerror(st));
        return 1;
    }
    apr_thread_detach(sig);
    st_lease_t *lease = NULL;
    if (uses_store(cfg)) {
        int poll_ms;
        hm_life_fail_if_taken(the_life, cfg->store.fail_if_locked);
        if ((st = store_lease(cfg, pool, &lease, &poll_ms)) ||
            (st = hm_life_acquire(the_life, lease, poll_ms))) {
            if (st == HM_ECLOSED) {
                hm_info("hermod stopped (was standby)");
                return leave(0, NULL, NULL);
            }
            hm_error("%s:%d: the store's lease in %s cannot be taken: %s", cfg->source,
                     cfg->store.line, cfg->store.directory, st == ST_EBUSY ? "another broker "
                     "holds it (failIfLocked=\"true\")" : hm_strerror(st));
            return leave(1, NULL, NULL);
        }
        /* from now on every write of the store asks the lease, and the lease is renewed (or
         * checked) all through recovery, service and shutdown, until released */
        st_lease_guard(lease);
        if ((st = hm_life_watch(the_life, lease, lease->renew_ms ? lease->renew_ms : LEASE_POLL_MS))) {
            hm_error("cannot watch the store's lease: %s", hm_strerror(st));
            return leave(1, NULL, lease);
        }
    } else {
        hm_life_set(the_life, HM_LIFE_RECOVERING);
    }
    st_store_t *store;
    if (open_store(cfg, pool, &store) != APR_SUCCESS)
        return leave(1, NULL, lease);
    hm_broker_opts_t bo = { .name = cfg->broker_name, .store = store, .dlq = config_dlq, .dlq_baton = cfg };
    map_virtuals(cfg, pool, &bo);
    bo.send_fail_if_no_space = cfg->usage.send_fail_if_no_space;
    bo.statistics = cfg->plugins.statistics;
    bo.expire_period_ms = cfg->default_policy.expire_messages_period_ms;
    bo.send_fail_after_ms = cfg->usage.send_fail_if_no_space_after_timeout_ms;
    bo.scheduler_support = cfg->scheduler_support;
    bo.scheduler_max_repeat = cfg->max_scheduler_repeat_allowed;
    bo.advisories_off = !cfg->advisory_support;
    if (config_any_advisory(cfg)) {
        bo.advisory_policy = config_advisories;
        bo.advisory_baton = cfg;
    }
    bo.url = config_url(cfg, pool);
    bo.memory_limit = cfg->usage.memory_limit;
    bo.store_limit = store ? cfg->usage.store_limit : 0;
    bo.temp_limit = cfg->usage.temp_limit;
    /* as ActiveMQ (BrokerService.getTempDataStore): a broker without persistence has none */
    bo.temp_dir = store ? apr_pstrcat(pool, cfg->data_directory, "/tmp_storage", NULL) : NULL;
    bo.policy = config_policy;
    bo.policy_baton = cfg;
    bo.adopt = ow_msg_adopt;       /* the console's messages are stored as OpenWire messages */
    hm_broker_t *broker;
    if ((st = config_security(cfg, pool, &bo)) ||
        (st = hm_broker_create(pool, &bo, &broker)) ||
        (st = hm_server_create(pool, broker, loops, &the_server))) {
        hm_error("cannot start the broker: %s", hm_strerror(st));
        return leave(1, store, lease);
    }
    the_broker = broker;
    hm_server_set_input_budget(the_server, cfg->input_buffer_limit);
    hm_broker_register_codec(broker, ow_msg_codec());
    hm_broker_register_codec(broker, amqp_msg_codec());
    hm_proto_register(ow_protocol());
    hm_proto_register(amqp_protocol());
    if ((st = hm_broker_recover(broker)) != APR_SUCCESS) {
        hm_error("recovering the message store failed: %s (run: hermod store verify %s)",
                 hm_strerror(st), cfg->store.directory);
        return leave(1, store, lease);
    }
    if (hm_life_stop_requested(the_life)) {     /* a signal came while recovering */
        hm_broker_destroy(broker);
        if (store)
            st_close(store);
        hm_info("hermod stopped");
        return leave(0, NULL, lease);
    }
    if (start_listeners(cfg, the_server, pool) != APR_SUCCESS)
        return leave(2, store, lease);
    mg_server_t *console = NULL;
    console_o.lease = lease;
    if (cfg->web && start_console(cfg, &console_o, broker, pool, &console) != APR_SUCCESS)
        return leave(2, store, lease);
    hm_life_set(the_life, HM_LIFE_ACTIVE);
    hm_info("hermod broker \"%s\" started (%d event loops, data in %s)", cfg->broker_name, loops,
            cfg->data_directory);
    hm_server_run(the_server);
    hm_life_set(the_life, HM_LIFE_STOPPING);
    mg_stop(console);              /* no HTTP request may reach the broker once it goes */
    jaas_watch_end();
    hm_broker_destroy(broker);
    if (store)
        st_close(store);
    lease_end(lease);
    hm_info("hermod stopped");
    return 0;
}
