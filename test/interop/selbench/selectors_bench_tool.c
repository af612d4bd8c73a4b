/* selectors_bench_tool — evaluations per second of hermod's selector library, the C half of
 * the selector benchmark (clients/selbench/run.sh; the Java half, clients/selbench/
 * SelBench.java, runs ActiveMQ's SelectorParser over the same cases file).
 *
 *   selectors_bench_tool [--check] [--seconds S] [--rounds N] [--only NAME] [--mem N] CASES
 *
 * Each selector of CASES is compiled once, then evaluated with sel_eval (the broker's
 * matches()) over every message of CASES again and again: for S wall-clock seconds (default 2,
 * 0.5 with --check) or, with --rounds, exactly N times over the message set (repeatable counts
 * for callgrind, which collects only inside run_rounds).  Every evaluation is compared with
 * the first one of the same message; a difference aborts (exit 3).
 *
 * Output, one tab-separated line per selector (lines starting with '#' are comments):
 *   name  evaluations  wall-ns  cpu-ns  evaluations/s  bytes  results
 * cpu-ns is this thread's CPU time (CLOCK_THREAD_CPUTIME_ID) over the same loop, and
 * evaluations/s is evaluations per second of it in the best of 5 equal windows of the timed
 * seconds: on a machine shared with other work the wall-clock time also counts the time the
 * thread was not running, and the CPU time how much other jobs disturbed its caches.
 * bytes: pool memory one compiled selector holds (N compiles of it into one pool with its own
 * allocator, the growth of the process's mapped memory divided by N; 0 without --mem); results: per message, the
 * three-valued evaluate() (TRUE/FALSE/NULL/ERROR), ':' and matches() (T/F/E), comma-separated,
 * in the format SelBench.java prints, so the two can be compared. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <apr_general.h>
#include <apr_pools.h>

#include "sel.h"

#define MAX_MSGS 64
#define MAX_PROPS 32
#define MAX_SELS 64
#define LINE_MAX_LEN 4096
#define WINDOWS 5          /* timed windows per selector; the best one is reported */

typedef struct prop_s {
    char *name;
    size_t name_len;
    sel_value_t v;
} prop_t;

typedef struct msg_s {
    char *name;
    prop_t props[MAX_PROPS];
    int nprops;
    int persistent, priority;
    char *type;
    size_t type_len;
} msg_t;

typedef struct sel_case_s {
    char *name;
    char *text;
} sel_case_t;

static msg_t msgs[MAX_MSGS];
static int nmsgs;
static sel_case_t sels[MAX_SELS];
static int nsels;

static void die(const char *what, const char *detail)
{
    fprintf(stderr, "selectors_bench_tool: %s%s%s\n", what, detail ? ": " : "", detail ? detail : "");
    exit(2);
}

static void set_str(sel_value_t *out, const char *p, size_t len)
{
    if (!p) { out->type = SEL_NULL; return; }
    out->type = SEL_STRING;
    out->u.s.p = p;
    out->u.s.len = len;
}

/* A plausible broker accessor: headers through sel_header_lookup (which rejects a name not
 * starting with "JMS" at once), properties by a scan of the message's few typed properties. */
static void get(void *mp, const char *name, size_t len, sel_value_t *out)
{
    msg_t *m = mp;
    out->type = SEL_NULL;
    switch (sel_header_lookup(name, len)) {
    case SEL_HDR_NONE: case SEL_HDR_X_USER_ID:
        break;
    case SEL_HDR_DELIVERY_MODE:
        if (m->persistent) set_str(out, "PERSISTENT", 10);
        else set_str(out, "NON_PERSISTENT", 14);
        return;
    case SEL_HDR_PRIORITY: out->type = SEL_INT; out->u.l = m->priority; return;
    case SEL_HDR_TYPE: set_str(out, m->type, m->type_len); return;
    case SEL_HDR_REDELIVERED: out->type = SEL_BOOL; out->u.b = 0; return;
    case SEL_HDR_X_DELIVERY_COUNT: out->type = SEL_INT; out->u.l = 1; return;
    case SEL_HDR_X_GROUP_SEQ: out->type = SEL_INT; out->u.l = 0; return;
    case SEL_HDR_TIMESTAMP: case SEL_HDR_EXPIRATION: case SEL_HDR_BROKER_IN_TIME:
    case SEL_HDR_BROKER_OUT_TIME:
        out->type = SEL_LONG; out->u.l = 0; return;
    case SEL_HDR_BROKER_PATH: set_str(out, "null", 4); return;
    case SEL_HDR_X_GROUP_FIRST_FOR_CONSUMER: out->type = SEL_BOOL; out->u.b = 0; return;
    default: return;   /* destination, reply-to, ids: none in these messages */
    }
    for (int i = 0; i < m->nprops; i++)
        if (m->props[i].name_len == len && memcmp(m->props[i].name, name, len) == 0) {
            *out = m->props[i].v;
            return;
        }
}

static void parse_prop(msg_t *m, const char *name, const char *type, const char *val)
{
    if (m->nprops == MAX_PROPS) die("too many properties in", m->name);
    prop_t *p = &m->props[m->nprops++];
    p->name = strdup(name);
    p->name_len = strlen(name);
    sel_value_t *v = &p->v;
    if (!strcmp(type, "bool")) { v->type = SEL_BOOL; v->u.b = !strcmp(val, "true"); }
    else if (!strcmp(type, "byte")) { v->type = SEL_BYTE; v->u.l = strtoll(val, NULL, 10); }
    else if (!strcmp(type, "short")) { v->type = SEL_SHORT; v->u.l = strtoll(val, NULL, 10); }
    else if (!strcmp(type, "int")) { v->type = SEL_INT; v->u.l = strtoll(val, NULL, 10); }
    else if (!strcmp(type, "long")) { v->type = SEL_LONG; v->u.l = strtoll(val, NULL, 10); }
    else if (!strcmp(type, "float")) { v->type = SEL_FLOAT; v->u.d = strtof(val, NULL); }
    else if (!strcmp(type, "double")) { v->type = SEL_DOUBLE; v->u.d = strtod(val, NULL); }
    else if (!strcmp(type, "string")) set_str(v, strdup(val), strlen(val));
    else die("unknown property type", type);
}

/* Splits off the next space-separated word of *s (NULL at the end of the line). */
static char *word(char **s)
{
    while (**s == ' ') (*s)++;
    if (!**s) return NULL;
    char *w = *s;
    while (**s && **s != ' ') (*s)++;
    if (**s) *(*s)++ = 0;
    return w;
}

static void load(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f) die("cannot open", path);
    char line[LINE_MAX_LEN];
    msg_t *cur = NULL;
    while (fgets(line, sizeof line, f)) {
        size_t n = strlen(line);
        while (n && (line[n - 1] == '\n' || line[n - 1] == '\r')) line[--n] = 0;
        char *s = line;
        char *kw = word(&s);
        if (!kw || kw[0] == '#') continue;
        if (!strcmp(kw, "MSG")) {
            if (nmsgs == MAX_MSGS) die("too many messages", NULL);
            cur = &msgs[nmsgs++];
            char *name = word(&s);
            cur->name = strdup(name ? name : "?");
        } else if (!strcmp(kw, "P") && cur) {
            char *name = word(&s), *type = word(&s);
            if (!name || !type) die("bad property line", NULL);
            parse_prop(cur, name, type, s);
        } else if (!strcmp(kw, "H") && cur) {
            char *name = word(&s), *val = word(&s);
            if (!name || !val) die("bad header line", NULL);
            if (!strcmp(name, "priority")) cur->priority = atoi(val);
            else if (!strcmp(name, "persistent")) cur->persistent = !strcmp(val, "true");
            else if (!strcmp(name, "type")) { cur->type = strdup(val); cur->type_len = strlen(val); }
            else die("unknown header", name);
        } else if (!strcmp(kw, "SEL")) {
            if (nsels == MAX_SELS) die("too many selectors", NULL);
            char *name = word(&s);
            if (!name || !*s) die("bad selector line", NULL);
            sels[nsels].name = strdup(name);
            sels[nsels].text = strdup(s);
            nsels++;
        } else {
            die("unknown line", kw);
        }
    }
    fclose(f);
    if (!nmsgs || !nsels) die("no messages or no selectors in", path);
}

/* Frees what load() allocated, so the asan variant's leak check stays quiet. */
static void unload(void)
{
    for (int i = 0; i < nmsgs; i++) {
        for (int k = 0; k < msgs[i].nprops; k++) {
            free(msgs[i].props[k].name);
            if (msgs[i].props[k].v.type == SEL_STRING) free((void *)(uintptr_t)msgs[i].props[k].v.u.s.p);
        }
        free(msgs[i].name);
        free(msgs[i].type);
    }
    for (int s = 0; s < nsels; s++) {
        free(sels[s].name);
        free(sels[s].text);
    }
}

static double now_ns(clockid_t clock)
{
    struct timespec ts;
    clock_gettime(clock, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

/* The measured loop: kept out of line so callgrind --toggle-collect=run_rounds counts only
 * evaluations (and this loop's few instructions), never parsing or compiling.  Returns how
 * many evaluations differed from expect. */
__attribute__((noinline)) static long run_rounds(const sel_expr_t *e, const sel_accessor_t *acc,
                                                 const sel_result_e *expect, long rounds)
{
    long bad = 0;
    for (long r = 0; r < rounds; r++)
        for (int i = 0; i < nmsgs; i++)
            bad += sel_eval(e, acc, &msgs[i]) != expect[i];
    return bad;
}

static const char *result_name(sel_result_e r)
{
    switch (r) {
    case SEL_TRUE: return "TRUE";
    case SEL_FALSE: return "FALSE";
    case SEL_UNKNOWN: return "NULL";
    default: return "ERROR";
    }
}

/* Bytes of address space the process maps: Debian's APR allocator takes its 8 KiB blocks with
 * mmap, not malloc, so malloc's statistics would not see a pool grow. */
static size_t mapped_bytes(void)
{
    unsigned long pages = 0;
    FILE *f = fopen("/proc/self/statm", "r");
    if (!f || fscanf(f, "%lu", &pages) != 1) die("cannot read /proc/self/statm", NULL);
    fclose(f);
    return pages * (size_t)sysconf(_SC_PAGESIZE);
}

/* Pool bytes per compiled selector, amortized over n compiles into one pool that has its own
 * allocator (so no block freed by an earlier pool is recycled unseen). */
static double compiled_bytes(const char *text, int n)
{
    apr_allocator_t *al;
    apr_pool_t *pool;
    if (apr_allocator_create(&al) != APR_SUCCESS) die("apr_allocator_create", NULL);
    size_t before = mapped_bytes();
    if (apr_pool_create_ex(&pool, NULL, NULL, al) != APR_SUCCESS) die("apr_pool_create_ex", NULL);
    apr_allocator_owner_set(al, pool);
    for (int k = 0; k < n; k++) {
        sel_expr_t *e;
        char err[256];
        if (sel_compile(pool, text, strlen(text), &e, err, sizeof err) != APR_SUCCESS)
            die("compile", err);
    }
    size_t after = mapped_bytes();
    apr_pool_destroy(pool);
    return after > before ? (double)(after - before) / n : 0;
}

int main(int argc, char **argv)
{
    int check = 0, mem = 0;
    double seconds = -1;
    long fixed_rounds = 0;
    const char *only = NULL, *path = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--check")) check = 1;
        else if (!strcmp(argv[i], "--seconds") && i + 1 < argc) seconds = atof(argv[++i]);
        else if (!strcmp(argv[i], "--rounds") && i + 1 < argc) fixed_rounds = atol(argv[++i]);
        else if (!strcmp(argv[i], "--only") && i + 1 < argc) only = argv[++i];
        else if (!strcmp(argv[i], "--mem") && i + 1 < argc) mem = atoi(argv[++i]);
        else if (argv[i][0] != '-' && !path) path = argv[i];
        else die("usage: selectors_bench_tool [--check] [--seconds S] [--rounds N] [--only NAME] "
                 "[--mem N] CASES", NULL);
    }
    if (!path) die("no cases file", NULL);
    if (seconds < 0) seconds = check ? 0.5 : 2.0;
    load(path);

    apr_initialize();
    sel_global_init();
    apr_pool_t *root;
    apr_pool_create(&root, NULL);
    sel_accessor_t acc = { get, NULL };
    printf("# hermod selectors: %d messages, %d selectors, %s\n", nmsgs, nsels,
           fixed_rounds ? "fixed rounds" : "timed");
    for (int s = 0; s < nsels; s++) {
        if (only && strcmp(only, sels[s].name)) continue;
        apr_pool_t *pool;
        apr_pool_create(&pool, root);
        sel_expr_t *e;
        char err[256];
        if (sel_compile(pool, sels[s].text, strlen(sels[s].text), &e, err, sizeof err) != APR_SUCCESS)
            die(sels[s].text, err);
        sel_result_e expect[MAX_MSGS];
        char results[MAX_MSGS * 10] = "";
        for (int i = 0; i < nmsgs; i++) {
            expect[i] = sel_eval(e, &acc, &msgs[i]);
            char one[16];
            snprintf(one, sizeof one, "%s%s:%c", i ? "," : "", result_name(sel_eval3(e, &acc, &msgs[i])),
                     expect[i] == SEL_TRUE ? 'T' : expect[i] == SEL_ERROR ? 'E' : 'F');
            strcat(results, one);
        }
        long rounds = 0, bad = 0;
        double best = 0;
        double c0 = now_ns(CLOCK_THREAD_CPUTIME_ID), t0 = now_ns(CLOCK_MONOTONIC), t1;
        if (fixed_rounds) {
            bad = run_rounds(e, &acc, expect, fixed_rounds);
            rounds = fixed_rounds;
            t1 = now_ns(CLOCK_MONOTONIC);
        } else {
            /* WINDOWS equal windows of wall clock, batches of ~1000 evaluations between clock
             * reads; the rate reported is the best window's, per second of CPU time */
            long batch = 1000 / nmsgs + 1;
            t1 = t0;
            for (int w = 0; w < WINDOWS; w++) {
                double end = t0 + seconds * 1e9 * (w + 1) / WINDOWS;
                double wc0 = now_ns(CLOCK_THREAD_CPUTIME_ID);
                long wr = 0;
                do {
                    bad += run_rounds(e, &acc, expect, batch);
                    wr += batch;
                    t1 = now_ns(CLOCK_MONOTONIC);
                } while (t1 < end);
                double wcpu = now_ns(CLOCK_THREAD_CPUTIME_ID) - wc0;
                if (wcpu > 0 && (double)wr * nmsgs / (wcpu / 1e9) > best)
                    best = (double)wr * nmsgs / (wcpu / 1e9);
                rounds += wr;
            }
        }
        if (bad) {
            fprintf(stderr, "selectors_bench_tool: %s: %ld evaluations differ from the first\n",
                    sels[s].name, bad);
            return 3;
        }
        double cpu = now_ns(CLOCK_THREAD_CPUTIME_ID) - c0;
        long long evals = (long long)rounds * nmsgs;
        if (fixed_rounds) best = cpu > 0 ? evals / (cpu / 1e9) : 0;
        printf("%s\t%lld\t%.0f\t%.0f\t%.0f\t%.0f\t%s\n", sels[s].name, evals, t1 - t0, cpu, best, mem ? compiled_bytes(sels[s].text, mem) : 0.0,
               results);
        fflush(stdout);
        apr_pool_destroy(pool);
    }
    apr_pool_destroy(root);
    apr_terminate();
    unload();
    return 0;
}
