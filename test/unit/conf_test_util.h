/* What the configuration test executables share (conf_test.c, conf_policy_test.c): loading a
 * document from a string with its warnings captured. */
#ifndef CONF_TEST_UTIL_H
#define CONF_TEST_UTIL_H

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

static inline void capture(void *baton, hm_log_level_e level, const char *msg)
{
    logcap_t *lc = baton;
    size_t n = strlen(lc->text);
    snprintf(lc->text + n, sizeof lc->text - n, "%s %s\n", level == HM_LOG_WARN ? "W" : "I", msg);
    if (level == HM_LOG_WARN)
        lc->warns++;
    else
        lc->infos++;
}

static inline cfg_load_opts_t opts_with(logcap_t *lc)
{
    cfg_load_opts_t o;
    memset(&o, 0, sizeof o);
    memset(lc, 0, sizeof *lc);
    o.log = capture;
    o.log_baton = lc;
    return o;
}

#define CORE "xmlns=\"http://activemq.apache.org/schema/core\""

static inline apr_status_t load(const char *xml, logcap_t *lc, cfg_t **cfg, char *err, size_t errlen)
{
    cfg_load_opts_t o = opts_with(lc);
    o.base_dir = "/opt/amq";
    return cfg_load_memory(pool, "t.xml", xml, strlen(xml), &o, cfg, err, errlen);
}

/* Loads a document that must be accepted. */
static inline cfg_t *ok(const char *xml, logcap_t *lc)
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

static inline const cfg_connector_t *connector(const cfg_t *cfg, int i)
{
    CU_ASSERT_FATAL(i < cfg->connectors->nelts);
    return &APR_ARRAY_IDX(cfg->connectors, i, cfg_connector_t);
}


static inline bool logged(const logcap_t *lc, const char *level_and_text)
{
    return strstr(lc->text, level_and_text) != NULL;
}

#endif
