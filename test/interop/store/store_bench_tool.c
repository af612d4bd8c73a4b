/* Store benchmark (not a test): group commit throughput and start-up load time.
 *   store_bench_tool commits DIR THREADS SECONDS [batch|always|none]
 *       THREADS producers each commit one persistent message per batch and wait until it is
 *       durable (as a producer waits for its send reply); prints commits/s and commits/flush.
 *   store_bench_tool load DIR N [BODY_BYTES [same|mixed]]
 *       fills a fresh store with N messages on one queue (all priority 4, or priorities
 *       cycling 0..9), closes it, then times reopen (recovery) and loading every message in
 *       dispatch order.
 * DIR is removed first and must not be in use. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>

#include <apr_general.h>

#include "st.h"
#include "hm_log.h"

static double now(void)
{
    struct timeval tv;
    gettimeofday(&tv, NULL);
    return (double)tv.tv_sec + tv.tv_usec / 1e6;
}

static double cpu(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
           (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

static void wipe(const char *dir)
{
    char cmd[4200];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (strchr(dir, '\'') || system(cmd) != 0) {
        fprintf(stderr, "cannot clear %s\n", dir);
        exit(2);
    }
}

typedef struct prod_s { st_store_t *s; uint32_t q; double until; unsigned long n; int id; } prod_t;

static void *producer(void *arg)
{
    prod_t *p = arg;
    char body[256];
    memset(body, 'm', sizeof body);
    while (now() < p->until) {
        uint64_t id;
        st_batch_t *b = st_batch_begin(p->s);
        st_batch_add_message(b, body, sizeof body, &id);
        st_batch_add_entry(b, p->q, id, 4, ((uint64_t)p->id << 40) | p->n);
        apr_status_t st = st_batch_commit_wait(b);
        if (st) { fprintf(stderr, "commit: %s\n", hm_strerror(st)); exit(1); }
        p->n++;
    }
    return NULL;
}

static int bench_commits(apr_pool_t *pool, const char *dir, int threads, double secs, st_sync_e sync)
{
    wipe(dir);
    st_options_t o;
    st_options_default(&o);
    o.kind = ST_KIND_BDB;
    o.dir = dir;
    o.sync = sync;
    st_store_t *s;
    apr_status_t st = st_open(pool, &o, &s);
    if (st) { fprintf(stderr, "open: %s\n", hm_strerror(st)); return 1; }
    uint32_t q;
    st_dest_id(s, "bench", &q);
    st_stats_t before, after;
    st_stats(s, &before);
    prod_t p[64];
    pthread_t th[64];
    double start = now();
    for (int i = 0; i < threads; i++) {
        p[i] = (prod_t){ s, q, start + secs, 0, i };
        pthread_create(&th[i], NULL, producer, &p[i]);
    }
    unsigned long total = 0;
    for (int i = 0; i < threads; i++) {
        pthread_join(th[i], NULL);
        total += p[i].n;
    }
    double took = now() - start;
    st_stats(s, &after);
    uint64_t flushes = after.flushes - before.flushes;
    printf("commits: %d thread(s), sync %s: %lu durable commits in %.1f s = %.0f commits/s; "
           "%llu log flushes (%.1f commits per flush)\n", threads,
           sync == ST_SYNC_BATCH ? "batch" : sync == ST_SYNC_ALWAYS ? "always" : "none",
           total, took, total / took, (unsigned long long)flushes,
           flushes ? (double)total / (double)flushes : 0.0);
    st_close(s);
    wipe(dir);
    return 0;
}

static void progress(void *baton, const char *phase, uint64_t done, uint64_t total)
{
    fprintf(stderr, "  %s: %llu%s\n", phase, (unsigned long long)done, total ? " (done)" : "");
}

static apr_status_t count(void *baton, const st_entry_t *e, const void *bytes, size_t len)
{
    (*(uint64_t *)baton)++;
    return APR_SUCCESS;
}

static int bench_load(apr_pool_t *pool, const char *dir, unsigned long n, size_t body_len, int mixed)
{
    wipe(dir);
    st_options_t o;
    st_options_default(&o);
    o.kind = ST_KIND_BDB;
    o.dir = dir;
    o.cache_bytes = 256ull << 20;
    o.log_file_bytes = 64u << 20;
    st_store_t *s;
    apr_status_t st = st_open(pool, &o, &s);
    if (st) { fprintf(stderr, "open: %s\n", hm_strerror(st)); return 1; }
    uint32_t q;
    st_dest_id(s, "bench", &q);
    char *body = malloc(body_len);
    memset(body, 'm', body_len);
    double t0 = now();
    for (unsigned long i = 0; i < n; ) {
        st_batch_t *b = st_batch_begin(s);
        for (int k = 0; k < 1000 && i < n; k++, i++) {
            uint64_t id;
            st_batch_add_message(b, body, body_len, &id);
            st_batch_add_entry(b, q, id, mixed ? (uint8_t)(i % 10) : 4, i);
        }
        if ((st = st_batch_commit_wait(b))) { fprintf(stderr, "fill: %s\n", hm_strerror(st)); return 1; }
    }
    double t1 = now();
    st_close(s);
    double t2 = now(), c2 = cpu();
    o.progress = progress;
    if ((st = st_open(pool, &o, &s))) { fprintf(stderr, "reopen: %s\n", hm_strerror(st)); return 1; }
    double t3 = now(), c3 = cpu();
    uint64_t loaded = 0;
    st = st_load(s, q, count, &loaded);
    double t4 = now(), c4 = cpu();
    printf("load (%s priorities): filled %lu messages of %zu bytes in %.1f s (close %.1f s); reopen with recovery "
           "%.2f s (%.2f s CPU); loaded %llu in dispatch order in %.2f s (%.2f s CPU, %.0f msgs/s); status %s\n",
           mixed ? "mixed" : "same", n, body_len, t1 - t0, t2 - t1, t3 - t2, c3 - c2, (unsigned long long)loaded, t4 - t3, c4 - c3,
           loaded / (t4 - t3), hm_strerror(st));
    st_close(s);
    free(body);
    wipe(dir);
    return loaded == n ? 0 : 1;
}

int main(int argc, char **argv)
{
    apr_initialize();
    apr_pool_t *pool;
    apr_pool_create(&pool, NULL);
    hm_log_set_level(HM_LOG_WARN);
    int rc = 2;
    if (argc >= 5 && strcmp(argv[1], "commits") == 0) {
        st_sync_e sync = ST_SYNC_BATCH;
        if (argc > 5) sync = strcmp(argv[5], "always") == 0 ? ST_SYNC_ALWAYS :
                             strcmp(argv[5], "none") == 0 ? ST_SYNC_NONE : ST_SYNC_BATCH;
        int threads = atoi(argv[3]);
        if (threads >= 1 && threads <= 64)
            rc = bench_commits(pool, argv[2], threads, atof(argv[4]), sync);
    } else if (argc >= 4 && strcmp(argv[1], "load") == 0) {
        rc = bench_load(pool, argv[2], strtoul(argv[3], NULL, 10),
                        argc > 4 ? (size_t)strtoul(argv[4], NULL, 10) : 200,
                        argc > 5 && strcmp(argv[5], "mixed") == 0);
    }
    if (rc == 2)
        fprintf(stderr, "usage: %s commits DIR THREADS SECONDS [batch|always|none]\n"
                        "       %s load DIR N [BODY_BYTES [same|mixed]]\n", argv[0], argv[0]);
    apr_pool_destroy(pool);
    apr_terminate();
    return rc;
}
