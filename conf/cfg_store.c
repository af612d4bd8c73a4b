/* <persistenceAdapter>: hermod's own <bdb> element, or ActiveMQ's <kahaDB> (and mKahaDB,
 * levelDB) mapped onto the Berkeley DB store in the same directory.  The mapping does not
 * convert data: a KahaDB journal already in that directory is left alone and not read. */
#include <string.h>

#include <apr_strings.h>

#include "cfg_int.h"

static apr_status_t sync_policy(cfg_ctx_t *ctx, xmlNode *node, const char *attr_name,
                                cfg_store_t *st)
{
    const xmlAttr *a = cfg_attr_find(node, attr_name);
    const char *v;
    apr_status_t rv;
    if (!a)
        return APR_SUCCESS;
    if ((rv = cfg_attr_value(ctx, node, a, &v)) != APR_SUCCESS)
        return rv;
    v = cfg_trim(ctx->pool, v);
    /* syncPolicy (bdb) uses always|batch|none; journalDiskSyncStrategy (kahaDB) uses
     * always|periodic|never for the same three choices */
    if (strcasecmp(v, "always") == 0)
        st->sync = CFG_SYNC_ALWAYS;
    else if (strcasecmp(v, "batch") == 0 || strcasecmp(v, "periodic") == 0)
        st->sync = CFG_SYNC_BATCH;
    else if (strcasecmp(v, "none") == 0 || strcasecmp(v, "never") == 0)
        st->sync = CFG_SYNC_NONE;
    else
        return cfg_fail(ctx, node, a, CFG_EVALUE, "\"%s\" is not %s", v,
                        strcmp(attr_name, "syncPolicy") == 0 ? "always, batch or none"
                                                             : "always, periodic or never");
    return APR_SUCCESS;
}

static apr_status_t adapter_start(cfg_ctx_t *ctx, xmlNode *node, cfg_store_t *st)
{
    if (st->line)
        return cfg_fail(ctx, node, NULL, CFG_EVALUE, "a second store (the first is on line "
                        "%d); <persistenceAdapter> holds exactly one", st->line);
    st->line = cfg_line(node, NULL);
    st->configured_as = apr_pstrdup(ctx->pool, (const char *)node->name);
    return APR_SUCCESS;
}

#define S(n, k, f, lo, hi) CFG_ATTR(n, k, cfg_store_t, f, lo, hi)

/* <locker>: which locker guards the store.  ActiveMQ's lease-database-locker keeps a lease row
 * in a database; hermod's lease-file-locker keeps the same lease in a file of the store's
 * directory, which is what a pair on a shared file system needs.  ActiveMQ's shared-file-locker
 * (an OS file lock, which a paused or partitioned primary keeps holding) is read as the lease
 * file, with the same attributes. */
static const cfg_attr_spec_t locker_attrs[] = {
    S("lockAcquireSleepInterval", CFG_A_INT, lease_ms, 100, 3600000),
    S("failIfLocked", CFG_A_BOOL, fail_if_locked, 0, 0),
    S("leaseHolderId", CFG_A_STR, lease_holder_id, 0, 0),
    CFG_ATTR_NOTE("maxAllowableDiffFromDBTime", CFG_A_QUIET, NULL),
    CFG_ATTR_NOTE("createTablesOnStartup", CFG_A_QUIET, NULL),
    CFG_ATTR_NOTE("directory", CFG_A_WARN, "the lease file is always in the store's directory"),
    CFG_ATTR_NOTE("name", CFG_A_QUIET, NULL),
};

static apr_status_t lease_locker(cfg_ctx_t *ctx, xmlNode *node, void *target)
{
    cfg_store_t *st = target;
    if (st->locker_line)
        return cfg_fail(ctx, node, NULL, CFG_EVALUE, "a second locker (the first is on line %d)",
                        st->locker_line);
    st->locker = CFG_LOCKER_LEASE;
    st->locker_line = cfg_line(node, NULL);
    if (strcmp((const char *)node->name, "lease-file-locker") != 0)
        cfg_info(ctx, node, NULL, "read as hermod's <lease-file-locker>: a lease in the store's "
                 "directory, renewed every lockKeepAlivePeriod ms, lasting lockAcquireSleepInterval ms");
    apr_status_t rv = cfg_attrs(ctx, node, locker_attrs, CFG_NELEMS(locker_attrs), st);
    return rv == APR_SUCCESS ? cfg_children(ctx, node, NULL, 0, NULL) : rv;
}

static const cfg_elem_spec_t lockers[] = {
    { "lease-file-locker", CFG_E_PARSE, lease_locker, NULL },
    { "shared-file-locker", CFG_E_PARSE, lease_locker, NULL },
    { "lease-database-locker", CFG_E_PARSE, lease_locker, NULL },
    { "database-locker", CFG_E_REFUSE, NULL, "a database lock is not available; use "
      "<lease-file-locker/> (a lease in the store's directory)" },
};

static apr_status_t locker(cfg_ctx_t *ctx, xmlNode *node, void *target)
{
    apr_status_t rv = cfg_attrs(ctx, node, NULL, 0, NULL);
    return rv == APR_SUCCESS ? cfg_children(ctx, node, lockers, CFG_NELEMS(lockers), target) : rv;
}

static const cfg_elem_spec_t adapter_children[] = {
    { "locker", CFG_E_PARSE, locker, NULL },
};

/* The lease's timing once the whole adapter is read: the renewal period must leave the lease
 * room for a few renewals, or a primary would fence itself at the first slow write. */
static apr_status_t lease_timing(cfg_ctx_t *ctx, xmlNode *node, cfg_store_t *st)
{
    if (st->locker != CFG_LOCKER_LEASE)
        return APR_SUCCESS;
    if (!st->lease_ms)
        st->lease_ms = 10000;
    if (!st->keep_alive_ms)
        st->keep_alive_ms = st->lease_ms / 4;
    if (st->keep_alive_ms * 2 > st->lease_ms)
        return cfg_fail(ctx, node, cfg_attr_find(node, "lockKeepAlivePeriod"), CFG_EVALUE,
                        "lockKeepAlivePeriod=\"%d\" must be at most half the lease "
                        "(lockAcquireSleepInterval=\"%d\"), so a renewal can fail once without "
                        "the primary losing its lease", st->keep_alive_ms, st->lease_ms);
    return APR_SUCCESS;
}

static const cfg_attr_spec_t bdb_attrs[] = {
    S("directory", CFG_A_STR, directory, 0, 0),
    S("cacheSize", CFG_A_SIZE, cache_size, 1 << 20, INT64_MAX),
    S("logFileSize", CFG_A_SIZE, log_file_size, 1 << 20, (int64_t)4 << 30),
    S("groupCommitMs", CFG_A_INT, group_commit_ms, 0, 60000),
    CFG_ATTR_NOTE("syncPolicy", CFG_A_SKIP, NULL),
    S("lockKeepAlivePeriod", CFG_A_INT, keep_alive_ms, 0, 3600000),
};

static apr_status_t bdb(cfg_ctx_t *ctx, xmlNode *node, void *target)
{
    cfg_store_t *st = target;
    apr_status_t rv = adapter_start(ctx, node, st);
    if (rv == APR_SUCCESS)
        rv = cfg_attrs(ctx, node, bdb_attrs, CFG_NELEMS(bdb_attrs), st);
    if (rv == APR_SUCCESS)
        rv = sync_policy(ctx, node, "syncPolicy", st);
    if (rv == APR_SUCCESS)
        rv = cfg_children(ctx, node, adapter_children, CFG_NELEMS(adapter_children), st);
    if (rv == APR_SUCCESS)
        rv = lease_timing(ctx, node, st);
    if (rv == APR_SUCCESS && !st->directory)
        st->directory = apr_pstrcat(ctx->pool, ctx->cfg->data_directory, "/bdb", NULL);
    return rv;
}

#define KAHA_TUNING "KahaDB tuning; the Berkeley DB store does not use it"
static const cfg_attr_spec_t kahadb_attrs[] = {
    S("directory", CFG_A_STR, directory, 0, 0),
    S("journalMaxFileLength", CFG_A_SIZE, log_file_size, 1 << 20, (int64_t)4 << 30),
    S("journalDiskSyncInterval", CFG_A_INT, group_commit_ms, 0, 60000),
    CFG_ATTR_NOTE("journalDiskSyncStrategy", CFG_A_SKIP, NULL),
    CFG_ATTR_NOTE("enableJournalDiskSyncs", CFG_A_SKIP, NULL),
    CFG_ATTR_NOTE("indexCacheSize", CFG_A_WARN, KAHA_TUNING " (set <bdb cacheSize=>)"),
    CFG_ATTR_NOTE("indexWriteBatchSize", CFG_A_WARN, KAHA_TUNING),
    CFG_ATTR_NOTE("indexDirectory", CFG_A_WARN, KAHA_TUNING),
    CFG_ATTR_NOTE("checkpointInterval", CFG_A_WARN, KAHA_TUNING),
    CFG_ATTR_NOTE("cleanupInterval", CFG_A_WARN, KAHA_TUNING),
    CFG_ATTR_NOTE("concurrentStoreAndDispatchQueues", CFG_A_WARN, KAHA_TUNING),
    CFG_ATTR_NOTE("concurrentStoreAndDispatchTopics", CFG_A_WARN, KAHA_TUNING),
    CFG_ATTR_NOTE("ignoreMissingJournalfiles", CFG_A_WARN, KAHA_TUNING),
    CFG_ATTR_NOTE("checkForCorruptJournalFiles", CFG_A_WARN, KAHA_TUNING),
    CFG_ATTR_NOTE("checksumJournalFiles", CFG_A_WARN, KAHA_TUNING),
    CFG_ATTR_NOTE("archiveDataLogs", CFG_A_WARN, KAHA_TUNING),
    CFG_ATTR_NOTE("directoryArchive", CFG_A_WARN, KAHA_TUNING),
    CFG_ATTR_NOTE("enableIndexWriteAsync", CFG_A_WARN, KAHA_TUNING),
    CFG_ATTR_NOTE("maxAsyncJobs", CFG_A_WARN, KAHA_TUNING),
    CFG_ATTR_NOTE("preallocationStrategy", CFG_A_WARN, KAHA_TUNING),
    CFG_ATTR_NOTE("preallocationScope", CFG_A_WARN, KAHA_TUNING),
    CFG_ATTR_NOTE("journalMaxWriteBatchSize", CFG_A_WARN, KAHA_TUNING),
    CFG_ATTR_NOTE("forceRecoverIndex", CFG_A_WARN, KAHA_TUNING),
    CFG_ATTR_NOTE("archiveCorruptedIndex", CFG_A_WARN, KAHA_TUNING),
    CFG_ATTR_NOTE("enableIndexDiskSyncs", CFG_A_WARN, KAHA_TUNING),
    CFG_ATTR_NOTE("enableIndexRecoveryFile", CFG_A_WARN, KAHA_TUNING),
    CFG_ATTR_NOTE("enableIndexPageCaching", CFG_A_WARN, KAHA_TUNING),
    CFG_ATTR_NOTE("enableAckCompaction", CFG_A_WARN, KAHA_TUNING),
    CFG_ATTR_NOTE("compactAcksAfterNoGC", CFG_A_WARN, KAHA_TUNING),
    CFG_ATTR_NOTE("compactAcksIgnoresStoreGrowth", CFG_A_WARN, KAHA_TUNING),
    CFG_ATTR_NOTE("cleanupOnStop", CFG_A_WARN, KAHA_TUNING),
    CFG_ATTR_NOTE("useLock", CFG_A_WARN, "hermod always locks its store directory"),
    S("lockKeepAlivePeriod", CFG_A_INT, keep_alive_ms, 0, 3600000),
};
#undef S

/* kahaDB (and levelDB, whose attributes overlap) mapped onto Berkeley DB. */
static apr_status_t kahadb(cfg_ctx_t *ctx, xmlNode *node, void *target)
{
    cfg_store_t *st = target;
    apr_status_t rv = adapter_start(ctx, node, st);
    if (rv == APR_SUCCESS)
        rv = cfg_attrs(ctx, node, kahadb_attrs, CFG_NELEMS(kahadb_attrs), st);
    if (rv == APR_SUCCESS)
        rv = sync_policy(ctx, node, "journalDiskSyncStrategy", st);
    const xmlAttr *a = cfg_attr_find(node, "enableJournalDiskSyncs");
    if (rv == APR_SUCCESS && a) {
        const char *v;
        bool on;
        if ((rv = cfg_attr_value(ctx, node, a, &v)) == APR_SUCCESS &&
            (rv = cfg_to_bool(ctx, node, a, v, &on)) == APR_SUCCESS && !on)
            st->sync = CFG_SYNC_NONE;
    }
    if (rv == APR_SUCCESS)
        rv = cfg_children(ctx, node, adapter_children, CFG_NELEMS(adapter_children), st);
    if (rv == APR_SUCCESS)
        rv = lease_timing(ctx, node, st);
    if (rv != APR_SUCCESS)
        return rv;
    if (!st->directory)
        st->directory = apr_pstrcat(ctx->pool, ctx->cfg->data_directory, "/",
                                    strcmp(st->configured_as, "levelDB") == 0 ? "leveldb"
                                                                              : "kahadb", NULL);
    cfg_info(ctx, node, NULL, "mapped to hermod's Berkeley DB store in \"%s\"; existing %s files "
             "there are not read or converted", st->directory, st->configured_as);
    return APR_SUCCESS;
}

static const cfg_elem_spec_t mkahadb_children[] = {
    { "filteredPersistenceAdapters", CFG_E_WARN, NULL, "hermod keeps every destination in one "
      "Berkeley DB store" },
};

static apr_status_t mkahadb(cfg_ctx_t *ctx, xmlNode *node, void *target)
{
    static const cfg_attr_spec_t attrs[] = {
        CFG_ATTR("directory", CFG_A_STR, cfg_store_t, directory, 0, 0),
        CFG_ATTR("journalMaxFileLength", CFG_A_SIZE, cfg_store_t, log_file_size, 1 << 20,
                 (int64_t)4 << 30),
        CFG_ATTR_NOTE("journalWriteBatchSize", CFG_A_WARN, KAHA_TUNING),
        CFG_ATTR_NOTE("checkpointInterval", CFG_A_WARN, KAHA_TUNING),
    };
    cfg_store_t *st = target;
    apr_status_t rv = adapter_start(ctx, node, st);
    if (rv == APR_SUCCESS)
        rv = cfg_attrs(ctx, node, attrs, CFG_NELEMS(attrs), st);
    if (rv == APR_SUCCESS)
        rv = cfg_children(ctx, node, mkahadb_children, CFG_NELEMS(mkahadb_children), st);
    if (rv != APR_SUCCESS)
        return rv;
    if (!st->directory)
        st->directory = apr_pstrcat(ctx->pool, ctx->cfg->data_directory, "/mkahadb", NULL);
    cfg_info(ctx, node, NULL, "mapped to one Berkeley DB store in \"%s\"; existing KahaDB files "
             "there are not read or converted", st->directory);
    return APR_SUCCESS;
}

static apr_status_t memory(cfg_ctx_t *ctx, xmlNode *node, void *target)
{
    cfg_store_t *st = target;
    apr_status_t rv = adapter_start(ctx, node, st);
    if (rv == APR_SUCCESS)
        rv = cfg_attrs(ctx, node, NULL, 0, NULL);
    if (rv == APR_SUCCESS)
        rv = cfg_children(ctx, node, NULL, 0, NULL);
    st->kind = CFG_STORE_MEMORY;
    st->directory = apr_pstrcat(ctx->pool, ctx->cfg->data_directory, "/bdb", NULL);
    return rv;
}

static const cfg_elem_spec_t adapters[] = {
    { "bdb", CFG_E_PARSE, bdb, NULL },
    { "kahaDB", CFG_E_PARSE, kahadb, NULL },
    { "levelDB", CFG_E_PARSE, kahadb, NULL },
    { "mKahaDB", CFG_E_PARSE, mkahadb, NULL },
    { "memoryPersistenceAdapter", CFG_E_PARSE, memory, NULL },
    { "jdbcPersistenceAdapter", CFG_E_REFUSE, NULL, "JDBC persistence is not available; hermod "
      "stores messages in Berkeley DB (use <bdb directory=\"...\"/>)" },
    { "journalPersistenceAdapter", CFG_E_REFUSE, NULL, "use <bdb/>" },
    { "journaledJDBC", CFG_E_REFUSE, NULL, "JDBC persistence is not available; use <bdb/>" },
    { "replicatedLevelDB", CFG_E_REFUSE, NULL, "replicated stores are not supported" },
};

apr_status_t cfg_persistence_adapter(cfg_ctx_t *ctx, xmlNode *node, void *target)
{
    cfg_store_t *st = &ctx->cfg->store;
    apr_status_t rv = cfg_attrs(ctx, node, NULL, 0, NULL);
    if (rv == APR_SUCCESS)
        rv = cfg_children(ctx, node, adapters, CFG_NELEMS(adapters), st);
    if (rv == APR_SUCCESS && !st->line)
        rv = cfg_fail(ctx, node, NULL, CFG_EMISSING, "holds no store; use <bdb/> or <kahaDB/>");
    return rv;
}
