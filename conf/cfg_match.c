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

static size_t count_segs(const char *s)
{
    size_t n = 1;
    for (; *s; s++)
        n += *s == '.';
    return n;
}

/* Segments of `pattern` before its trailing run of ">" segments, or -1 when its last
 * segment is not ">"; *trailing gets the length of that run. */
static long prefix_segs(const char *pattern, long *trailing_out)
{
    const char *p = pattern, *seg;
    bool more = true;
    size_t len;
    long n = 0, trailing = 0;
    while (next_seg(&p, &more, &seg, &len)) {
        n++;
        trailing = seg_is(seg, len, ">") ? trailing + 1 : 0;
    }
    *trailing_out = trailing;
    return trailing ? n - trailing : -1;
}

static bool has_star_seg(const char *pattern)
{
    const char *p = pattern, *seg;
    bool more = true;
    size_t len;
    while (next_seg(&p, &more, &seg, &len))
        if (seg_is(seg, len, "*"))
            return true;
    return false;
}

/* ActiveMQ's DestinationFilter.parseFilter(pattern).matches(name), one kind of filter each:
 * last segment ">": the segments before it must match the name's first ones ("*" on
 * either side matches one segment) and the name may end right there (FOO.> matches FOO);
 * as ActiveMQ's DestinationMap finds candidates before filtering them, FOO.>.> does not;
 * a "*" segment elsewhere: same number of segments, "*" matches any one; otherwise the
 * names must be equal. */
bool cfg_dest_matches(const char *pattern, const char *name)
{
    if (strcmp(pattern, name) == 0)
        return true;
    const char *p = pattern, *n = name, *ps, *ns;
    bool pmore = true, nmore = true;
    size_t pl, nl;
    long trailing, k = prefix_segs(pattern, &trailing);
    if (k >= 0) {
        size_t nn = count_segs(name);
        /* FOO.> matches FOO, but FOO.>.> does not (ActiveMQ's map keeps it one level down) */
        if (nn < (size_t)k || (nn == (size_t)k && trailing > 1))
            return false;
        for (long i = 0; i < k; i++) {
            next_seg(&p, &pmore, &ps, &pl);
            next_seg(&n, &nmore, &ns, &nl);
            if (!seg_is(ns, nl, "*") && !seg_is(ps, pl, "*") &&
                (pl != nl || memcmp(ps, ns, pl) != 0))
                return false;
        }
        return true;
    }
    if (!has_star_seg(pattern) || count_segs(pattern) != count_segs(name))
        return false;
    while (next_seg(&p, &pmore, &ps, &pl) && next_seg(&n, &nmore, &ns, &nl))
        if (!seg_is(ps, pl, "*") && (pl != nl || memcmp(ps, ns, pl) != 0))
            return false;
    return true;
}

static bool is_pattern(const char *s)
{
    return strchr(s, '*') || strchr(s, '>');
}

static int sign(int v)
{
    return (v > 0) - (v < 0);
}

/* ActiveMQ's comparator in DestinationMap.chooseValue: the entry naming the destination
 * exactly first, then ActiveMQDestination.compare (a pattern whose filter matches the
 * other entry's name sorts after it, else by name). */
static int amq_compare(const char *a, const char *b, const char *name)
{
    if (strcmp(name, a) == 0)
        return -1;
    if (strcmp(name, b) == 0)
        return 1;
    bool ap = is_pattern(a), bp = is_pattern(b);
    if (ap && bp && strcmp(a, b) == 0)
        return 0;
    if (ap && cfg_dest_matches(a, b))
        return 1;
    if (bp && cfg_dest_matches(b, a))
        return -1;
    return sign(strcmp(a, b));
}

/* Whether every name pattern b matches is also matched by pattern a. */
static bool covers(const char *a, const char *b)
{
    const char *p = a, *q = b, *as, *bs;
    bool amore = true, bmore = true;
    size_t al, bl;
    for (;;) {
        bool ha = next_seg(&p, &amore, &as, &al);
        if (ha && seg_is(as, al, ">"))
            return true;
        bool hb = next_seg(&q, &bmore, &bs, &bl);
        if (!ha || !hb)
            return !ha && !hb;
        if (seg_is(bs, bl, ">"))
            return false;
        if (seg_is(as, al, "*"))
            continue;
        if (seg_is(bs, bl, "*") || al != bl || memcmp(as, bs, al) != 0)
            return false;
    }
}

static int literal_segments(const char *s)
{
    const char *p = s, *seg;
    bool more = true;
    size_t len;
    int n = 0;
    while (next_seg(&p, &more, &seg, &len))
        if (!seg_is(seg, len, "*") && !seg_is(seg, len, ">"))
            n++;
    return n;
}

/* hermod's own order, used only where ActiveMQ's choice depends on hash order: the
 * narrower of two patterns where one covers the other, then more literal segments, then
 * no ">", then the lower name. */
static bool narrower(const char *a, const char *b)
{
    bool a_covers_b = covers(a, b), b_covers_a = covers(b, a);
    if (a_covers_b != b_covers_a)
        return b_covers_a;
    int la = literal_segments(a), lb = literal_segments(b);
    if (la != lb)
        return la > lb;
    bool ga = strchr(a, '>') != NULL, gb = strchr(b, '>') != NULL;
    if (ga != gb)
        return gb;
    return strcmp(a, b) < 0;
}

typedef struct entry_view_s {
    const apr_array_header_t *arr;
    size_t kind_off, pattern_off;
} entry_view_t;

static const char *pattern_of(const entry_view_t *v, int i, cfg_dest_kind_e kind,
                              const char *name)
{
    const char *elt = v->arr->elts + (size_t)i * (size_t)v->arr->elt_size;
    cfg_dest_kind_e k;
    const char *pattern;
    memcpy(&k, elt + v->kind_off, sizeof k);
    memcpy(&pattern, elt + v->pattern_off, sizeof pattern);
    return pattern && k == kind && cfg_dest_matches(pattern, name) ? pattern : NULL;
}

/* The entry ActiveMQ's DestinationMap.chooseValue returns, or NULL when none matches.
 * ActiveMQ sorts the matching entries in a TreeSet with a comparator that is not always
 * consistent, so where it is not, its answer depends on hash order.  Here: when one entry
 * consistently sorts before every other (ActiveMQ then always returns it), that entry;
 * otherwise hermod's own stable order (narrower()).  Identical patterns: the first. */
static const void *choose(const apr_array_header_t *arr, size_t kind_off, size_t pattern_off,
                          cfg_dest_kind_e kind, const char *name)
{
    entry_view_t v = { arr, kind_off, pattern_off };
    int best = -1;
    for (int i = 0; i < arr->nelts; i++) {
        const char *p = pattern_of(&v, i, kind, name);
        if (p && (best < 0 || (strcmp(p, pattern_of(&v, best, kind, name)) != 0 &&
                               amq_compare(p, pattern_of(&v, best, kind, name), name) < 0)))
            best = i;
    }
    if (best < 0)
        return NULL;
    const char *bp = pattern_of(&v, best, kind, name);
    bool consistent = true;
    for (int i = 0; i < arr->nelts && consistent; i++) {
        const char *p = pattern_of(&v, i, kind, name);
        if (p && i != best && strcmp(p, bp) != 0)
            consistent = amq_compare(bp, p, name) < 0 && amq_compare(p, bp, name) > 0;
    }
    if (!consistent) {
        best = -1;
        for (int i = 0; i < arr->nelts; i++) {
            const char *p = pattern_of(&v, i, kind, name);
            if (p && (best < 0 || narrower(p, pattern_of(&v, best, kind, name))))
                best = i;
        }
    }
    return arr->elts + (size_t)best * (size_t)arr->elt_size;
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

/* Whether ActiveMQ's DestinationMap tree (as DefaultAuthorizationMap queries it, with no
 * filtering afterwards) finds pattern for the literal name: segments match in turn ("*"
 * matches any one); a ">" met while name segments remain matches whatever follows in both;
 * and a pattern one segment longer than the name whose last segment is ">" matches too. */
static bool tree_matches(const char *pattern, const char *name)
{
    const char *p = pattern, *n = name, *ps, *ns;
    bool pmore = true, nmore = true;
    size_t pl, nl;
    for (;;) {
        bool hn = next_seg(&n, &nmore, &ns, &nl);
        bool hp = next_seg(&p, &pmore, &ps, &pl);
        if (!hn)
            return !hp || (seg_is(ps, pl, ">") && !pmore);
        if (!hp)
            return false;
        if (seg_is(ps, pl, ">"))
            return true;
        if (!seg_is(ps, pl, "*") && (pl != nl || memcmp(ps, ns, pl) != 0))
            return false;
    }
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
        if (e->kind == kind && tree_matches(e->pattern, name) &&
            granted(e->groups[op], groups, ngroups))
            return true;
    }
    return false;
}
