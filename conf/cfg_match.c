/* Destination wildcards and the lookups built on them: the policy entry, authorization and
 * redelivery policy that apply to a destination, chosen as ActiveMQ's DestinationMap does. */
#include <stddef.h>
#include <string.h>

#include "cfg_int.h"

/* The next '.'-separated segment of *p: its start and length; advances *p past it.
 * Returns false when no segment is left. */
static bool next_seg(const char **p, bool *more, const char **seg, size_t *len)
{
    if (!*more)
        return false;
    const char *dot = strchr(*p, '.');
    *seg = *p;
    *len = dot ? (size_t)(dot - *p) : strlen(*p);
    *more = dot != NULL;
    *p = dot ? dot + 1 : *p + *len;
    return true;
}

static bool seg_is(const char *seg, size_t len, const char *lit)
{
    return len == strlen(lit) && memcmp(seg, lit, len) == 0;
}

bool cfg_dest_matches(const char *pattern, const char *name)
{
    const char *p = pattern, *n = name;
    bool pmore = true, nmore = true;
    const char *ps, *ns;
    size_t pl, nl;
    for (;;) {
        bool hp = next_seg(&p, &pmore, &ps, &pl);
        if (hp && seg_is(ps, pl, ">"))
            return true;                       /* the rest, zero or more segments */
        bool hn = next_seg(&n, &nmore, &ns, &nl);
        if (!hp || !hn)
            return !hp && !hn;
        if (!seg_is(ps, pl, "*") && !seg_is(ns, nl, "*") &&
            (pl != nl || memcmp(ps, ns, pl) != 0))
            return false;
    }
}

static bool is_pattern(const char *s)
{
    return strchr(s, '*') || strchr(s, '>');
}

/* Whether entry pattern a should be chosen over b for `name`.  ActiveMQ: an exact name
 * first; then, of two patterns where one covers the other, the narrower; then the lower
 * name.  Where ActiveMQ's own comparison is inconsistent (FOO.* vs FOO.>, each covering
 * the other), the pattern without '>' is taken as the narrower. */
static bool better(const char *a, const char *b, const char *name)
{
    bool ea = strcmp(a, name) == 0, eb = strcmp(b, name) == 0;
    if (ea != eb)
        return ea;
    bool a_covers_b = is_pattern(a) && cfg_dest_matches(a, b);
    bool b_covers_a = is_pattern(b) && cfg_dest_matches(b, a);
    if (a_covers_b && b_covers_a) {
        bool ga = strchr(a, '>') != NULL, gb = strchr(b, '>') != NULL;
        if (ga != gb)
            return gb;
    } else if (a_covers_b != b_covers_a) {
        return b_covers_a;
    }
    return strcmp(a, b) < 0;
}

/* The best entry of `arr` (elements with a cfg_dest_kind_e at kind_off and a pattern
 * pointer at pattern_off) for kind/name, or NULL. */
static const void *choose(const apr_array_header_t *arr, size_t kind_off, size_t pattern_off,
                          cfg_dest_kind_e kind, const char *name)
{
    const char *best = NULL;
    const void *best_elt = NULL;
    for (int i = 0; i < arr->nelts; i++) {
        const char *elt = arr->elts + (size_t)i * (size_t)arr->elt_size;
        cfg_dest_kind_e k;
        const char *pattern;
        memcpy(&k, elt + kind_off, sizeof k);
        memcpy(&pattern, elt + pattern_off, sizeof pattern);
        if (!pattern || k != kind || !cfg_dest_matches(pattern, name))
            continue;
        if (!best || better(pattern, best, name)) {
            best = pattern;
            best_elt = elt;
        }
    }
    return best_elt;
}

const cfg_policy_t *cfg_policy_lookup(const cfg_t *cfg, cfg_dest_kind_e kind, const char *name)
{
    const cfg_policy_t *p = choose(cfg->policies, offsetof(cfg_policy_t, kind),
                                   offsetof(cfg_policy_t, pattern), kind, name);
    return p ? p : &cfg->default_policy;
}

const cfg_policy_t *cfg_policy_for(const cfg_t *cfg, bool is_queue, const char *name)
{
    return cfg_policy_lookup(cfg, is_queue ? CFG_DEST_QUEUE : CFG_DEST_TOPIC, name);
}

const cfg_redelivery_policy_t *cfg_redelivery_for(const cfg_t *cfg, cfg_dest_kind_e kind,
                                                  const char *name)
{
    const apr_array_header_t *list = cfg->plugins.redelivery_policies;
    const cfg_redelivery_policy_t *r = choose(list, offsetof(cfg_redelivery_policy_t, kind),
                                              offsetof(cfg_redelivery_policy_t, pattern),
                                              kind, name);
    if (r)
        return r;
    if (list->nelts > 0 && !APR_ARRAY_IDX(list, 0, cfg_redelivery_policy_t).pattern)
        return &APR_ARRAY_IDX(list, 0, cfg_redelivery_policy_t);
    return NULL;
}

static bool granted(const apr_array_header_t *acl, const char *const *groups, size_t ngroups)
{
    for (int i = 0; acl && i < acl->nelts; i++) {
        const char *g = APR_ARRAY_IDX(acl, i, const char *);
        if (strcmp(g, "*") == 0)
            return true;
        for (size_t j = 0; j < ngroups; j++)
            if (groups[j] && strcmp(groups[j], g) == 0)
                return true;
    }
    return false;
}

bool cfg_authz_permits(const cfg_t *cfg, cfg_dest_kind_e kind, const char *name,
                       cfg_authz_op_e op, const char *const *groups, size_t ngroups)
{
    const cfg_plugins_t *pl = &cfg->plugins;
    if (!pl->authorization)
        return true;
    if (kind == CFG_DEST_TEMP_QUEUE || kind == CFG_DEST_TEMP_TOPIC)
        return !pl->authz_temp || granted(pl->authz_temp->groups[op], groups, ngroups);
    if (pl->authz_default && granted(pl->authz_default->groups[op], groups, ngroups))
        return true;
    for (int i = 0; i < pl->authz_entries->nelts; i++) {
        const cfg_authz_entry_t *e = &APR_ARRAY_IDX(pl->authz_entries, i, cfg_authz_entry_t);
        if (e->kind == kind && cfg_dest_matches(e->pattern, name) &&
            granted(e->groups[op], groups, ngroups))
            return true;
    }
    return false;
}
