/* The hermod side of conf/tools/policy_golden.py: the same arguments as PolicyMapOracle
 * (q:PATTERN... -- q:NAME...), answered with cfg_policy_for.  Not part of the build:
 *   gcc -std=c11 -Iconf -Iserver $(pkg-config --cflags apr-1 libxml-2.0) \
 *       conf/tools/policy_driver.c build/debug/lib/libhm_conf.a build/debug/lib/libhm_base.a \
 *       $(pkg-config --libs apr-1 libxml-2.0) -o /tmp/policy_driver */
#include <stdio.h>
#include <string.h>

#include <apr_general.h>
#include <apr_strings.h>

#include "cfg.h"

static void quiet(void *baton, hm_log_level_e level, const char *msg)
{
}

int main(int argc, char **argv)
{
    apr_pool_t *pool;
    apr_initialize();
    apr_pool_create(&pool, NULL);
    char *xml = apr_pstrdup(pool, "<broker><destinationPolicy><policyMap><policyEntries>");
    int i = 1, idx = 0;
    for (; i < argc && strcmp(argv[i], "--") != 0; i++)
        xml = apr_psprintf(pool, "%s<policyEntry %s='%s' maxPageSize='%d'/>", xml,
                           argv[i][0] == 'q' ? "queue" : "topic", argv[i] + 2, ++idx);
    xml = apr_pstrcat(pool, xml, "</policyEntries></policyMap></destinationPolicy></broker>", NULL);
    cfg_t *cfg;
    char err[512];
    cfg_load_opts_t opts = { .log = quiet };
    if (cfg_load_memory(pool, "driver", xml, strlen(xml), &opts, &cfg, err, sizeof err)) {
        fprintf(stderr, "%s\n", err);
        return 1;
    }
    for (i++; i < argc; i++) {
        const cfg_policy_t *p = cfg_policy_for(cfg, argv[i][0] == 'q', argv[i] + 2);
        printf("%s %d\n", argv[i], p == &cfg->default_policy ? 0 : p->max_page_size);
    }
    apr_terminate();
    return 0;
}
