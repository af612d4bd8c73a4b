/* libFuzzer target for the configuration loader: any bytes must be refused or accepted
 * without crashing, leaking or reading out of bounds; an accepted configuration must
 * answer the lookups the broker makes. */
#include <stdint.h>
#include <string.h>

#include <apr_general.h>

#include "cfg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void quiet(void *baton, hm_log_level_e level, const char *msg)
{
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static apr_pool_t *root;
    if (!root) {
        apr_initialize();
        apr_pool_create(&root, NULL);
    }
    cfg_load_opts_t opts;
    memset(&opts, 0, sizeof opts);
    opts.log = quiet;
    cfg_t *cfg = NULL;
    char err[512];
    if (cfg_load_memory(root, "fuzz.xml", (const char *)data, size, &opts, &cfg, err,
                        sizeof err) == APR_SUCCESS) {
        const char *groups[] = { "admins" };
        (void)cfg_policy_for(cfg, true, "FOO.BAR");
        (void)cfg_policy_lookup(cfg, CFG_DEST_TEMP_TOPIC, "ID:1");
        (void)cfg_authz_permits(cfg, CFG_DEST_QUEUE, "FOO.BAR", CFG_AUTHZ_READ, groups, 1);
        (void)cfg_redelivery_for(cfg, CFG_DEST_QUEUE, "FOO.BAR");
        cfg_destroy(cfg);
    }
    return 0;
}
