/* /metrics: the Prometheus text format (version 0.0.4).  One snapshot of the destinations and
 * one of the broker, then every family written whole (HELP, TYPE, its samples), as the format
 * requires.  Counters end in _total, sizes in _bytes. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <apr_strings.h>
#include <apr_time.h>

#include "hm_log.h"
#include "mg_int.h"
#include "st_lease.h"

typedef struct dest_metric_s {
    const char *suffix;            /* after hermod_queue_ / hermod_topic_ */
    const char *type;
    const char *help;
    size_t offset;                 /* of the uint64_t in hm_admin_dest_t */
} dest_metric_t;

#define DM(s, t, h, f) { s, t, h, offsetof(hm_admin_dest_t, f) }
static const dest_metric_t dest_metrics[] = {
    DM("messages", "gauge", "Messages waiting to be dispatched", pending),
    DM("messages_inflight", "gauge", "Messages dispatched and not yet acknowledged", inflight),
    DM("consumers", "gauge", "Consumers (topics: subscriptions' consumers)", consumers),
    DM("producers", "gauge", "Producers registered on the destination", producers),
    DM("enqueued_total", "counter", "Messages that arrived", enqueued),
    DM("dequeued_total", "counter", "Messages that left (acknowledged, purged, moved, expired)", dequeued),
    DM("expired_total", "counter", "Messages that expired", expired),
    DM("dead_lettered_total", "counter", "Messages that died here (expired or refused by consumers)",
       dead_lettered),
    DM("memory_bytes", "gauge", "Bytes of the messages held in memory", memory_bytes),
};
#undef DM

static void family(hm_wbuf_t *w, const char *name, const char *type, const char *help)
{
    mg_printf(w, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* Decimal digits of v ending just before end; returns where they start. */
static char *u64_text(uint64_t v, char *end)
{
    do {
        *--end = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    return end;
}

/* Why the labels are made once: every destination appears in nine families, and 10,000
 * destinations scraped every second must cost the broker's machine little (see
 * clients/bench/metrics_cost.sh). */
typedef struct label_s {
    const char *text;              /* {queue="NAME"} and a space */
    size_t len;
} label_t;

static const label_t *labels_of(const apr_array_header_t *dests, apr_pool_t *pool)
{
    label_t *labels = apr_palloc(pool, sizeof *labels * (size_t)(dests->nelts + 1));
    hm_wbuf_t w;
    hm_wbuf_init(&w, MG_MAX_OUTPUT);
    for (int i = 0; i < dests->nelts; i++) {
        const hm_admin_dest_t *d = &APR_ARRAY_IDX(dests, i, hm_admin_dest_t);
        hm_wbuf_reset(&w);
        mg_puts(&w, d->name.kind == HM_QUEUE ? "{queue=\"" : "{topic=\"");
        mg_prom_label(&w, d->name.name);
        mg_puts(&w, "\"} ");
        labels[i].text = w.err ? "{} " : apr_pstrmemdup(pool, (const char *)w.data, w.len);
        labels[i].len = w.err ? 3 : w.len;
    }
    hm_wbuf_free(&w);
    return labels;
}

static void dest_family(hm_wbuf_t *w, const apr_array_header_t *dests, const label_t *labels,
                        hm_dest_kind_e kind, const dest_metric_t *m)
{
    char name[96], num[24];
    snprintf(name, sizeof name, "hermod_%s_%s", kind == HM_QUEUE ? "queue" : "topic", m->suffix);
    size_t nl = strlen(name);
    family(w, name, m->type, m->help);
    for (int i = 0; i < dests->nelts; i++) {
        const hm_admin_dest_t *d = &APR_ARRAY_IDX(dests, i, hm_admin_dest_t);
        if (d->name.kind != kind)
            continue;
        uint64_t v;
        memcpy(&v, (const char *)d + m->offset, sizeof v);
        char *end = num + sizeof num - 1, *digits = u64_text(v, end);
        *end = '\n';
        hm_wbuf_put(w, name, nl);
        hm_wbuf_put(w, labels[i].text, labels[i].len);
        hm_wbuf_put(w, digits, (size_t)(end + 1 - digits));
    }
}

static void gauge(hm_wbuf_t *w, const char *name, const char *type, const char *help, double v)
{
    family(w, name, type, help);
    mg_printf(w, "%s %.17g\n", name, v);
}

int mg_metrics(mg_req_t *r)
{
    apr_array_header_t *dests;
    hm_admin_broker_t b;
    apr_time_t t0 = apr_time_now();
    hm_admin_dests(r->b, r->pool, &dests);      /* the only part under the broker lock */
    hm_admin_broker(r->b, &b);
    apr_time_t t1 = apr_time_now();
    hm_wbuf_t *w = &r->out;
    const label_t *labels = labels_of(dests, r->pool);
    size_t nfam = sizeof dest_metrics / sizeof dest_metrics[0];
    /* one allocation for the usual answer instead of a dozen doublings of a 4 MB buffer */
    size_t guess = (size_t)dests->nelts * nfam * 80 + 8192;
    if (guess < MG_MAX_OUTPUT / 4 && hm_wbuf_extend(w, guess))
        w->len = 0;
    for (size_t k = 0; k < 2; k++)
        for (size_t i = 0; i < nfam; i++)
            dest_family(w, dests, labels, k ? HM_TOPIC : HM_QUEUE, &dest_metrics[i]);
    gauge(w, "hermod_connections", "gauge", "Client connections open", (double)b.connections);
    gauge(w, "hermod_consumers", "gauge", "Consumers open", (double)b.consumers);
    gauge(w, "hermod_memory_usage_bytes", "gauge", "Bytes of messages held in memory", (double)b.memory_bytes);
    gauge(w, "hermod_memory_limit_bytes", "gauge", "<memoryUsage> limit (0: none)", (double)b.memory_limit);
    gauge(w, "hermod_store_usage_bytes", "gauge", "Bytes of stored message bodies", (double)b.store_bytes);
    gauge(w, "hermod_store_limit_bytes", "gauge", "<storeUsage> limit (0: none or no store)", (double)b.store_limit);
    gauge(w, "hermod_temp_usage_bytes", "gauge", "Bytes of non-persistent messages spilled to temporary storage",
          (double)b.temp_bytes);
    gauge(w, "hermod_temp_limit_bytes", "gauge", "<tempUsage> limit", (double)b.temp_limit);
    gauge(w, "hermod_store_commits_total", "counter", "Store batches committed since start",
          (double)b.store_commits);
    gauge(w, "hermod_store_log_flushes_total", "counter", "Store log flushes since start (commits per "
          "flush: group commit)", (double)b.store_flushes);
    gauge(w, "hermod_producers_held", "gauge", "Sends held now by producer flow control or a full store",
          (double)b.producers_held);
    gauge(w, "hermod_blocked_sends_total", "counter", "Sends held or refused by flow control since start",
          (double)b.blocked_sends);
    gauge(w, "hermod_uptime_seconds", "gauge", "Seconds since the broker started", (double)b.uptime_ms / 1000.0);
    if (r->lease) {
        /* a standby serves no metrics: only the primary answers, with its lease */
        st_lease_t *l = r->lease;
        int64_t until = l->ops->valid_until(l), now = st_lease_now_us();
        gauge(w, "hermod_lease_primary", "gauge", "1 while this broker holds the store's lease "
              "and may write", until > now ? 1.0 : 0.0);
        gauge(w, "hermod_lease_epoch", "gauge", "The lease's epoch (grows with every take-over; "
              "0 for the single broker's lock file)", (double)l->ops->epoch(l));
        if (l->lease_ms)
            gauge(w, "hermod_lease_remaining_seconds", "gauge", "How long this primary may write "
                  "without another renewal", until > now ? (double)(until - now) / 1e6 : 0.0);
        gauge(w, "hermod_lease_refused_writes_total", "counter", "Store writes refused because "
              "the lease had lapsed or was taken", (double)st_lease_gate_refusals());
    }
    r->type = "text/plain; version=0.0.4; charset=utf-8";
    /* what a scrape costs the broker (the snapshot holds its lock) and the HTTP thread */
    hm_debug("metrics: %d destinations: snapshot %.2f ms, written %.2f ms, %zu bytes",
           dests->nelts, (double)(t1 - t0) / 1000.0, (double)(apr_time_now() - t1) / 1000.0, w->len);
    return 200;
}
