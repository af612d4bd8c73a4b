/* The clean-shutdown summary: what the open would count, written by a clean close.
 *
 * Why: the open must know every stored body's size (the size limit), the next message id, which
 * journal files still hold bodies (they must not go) and each destination's entries per priority
 * (a broker starts its queues paged out).  Counting them is a scan of every entry, which grows
 * with the backlog: about 1.5 s for a million messages.  A clean close runs the same scan (the
 * census) after its last checkpoint and writes the result here; the next open reads it instead
 * of scanning and removes it before anything can change, so after a crash (no summary) the open
 * scans as before.  The file is untrusted input like any record: read with the bounded reader,
 * checked whole (a checksum, exact length, known destinations), or ignored.
 *
 * Layout, big-endian: "HMSU", version 1, messages, bytes, entries, next message id (64 bits
 * each); destination count, then per destination its id, 10 entry counts (priority 0..9) and
 * greatest seq; journal-file count, then per file its number and bodies; an FNV-1a checksum of
 * everything before it. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hm_log.h"
#include "st_int.h"
#include "st_lease.h"

#define SUM_VERSION 1

static uint32_t fnv1a(const uint8_t *p, size_t n)
{
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < n; i++)
        h = (h ^ p[i]) * 16777619u;
    return h;
}

static void sync_dir(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY);
    if (fd >= 0) {
        (void)fsync(fd);
        close(fd);
    }
}

static int write_all(int fd, const uint8_t *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

void st_summary_write(st_store_t *s)
{
    uint64_t next_msg = s->next_msg;
    if (st_census(s, 1) != APR_SUCCESS || s->census_failed) {
        hm_warn("store: no start-up summary written (the census failed); the next open scans");
        return;
    }
    hm_wbuf_t wb;
    hm_wbuf_init(&wb, ST_SUMMARY_MAX);
    hm_wbuf_put(&wb, "HMSU", 4);
    hm_wbuf_u8(&wb, SUM_VERSION);
    hm_wbuf_be64(&wb, s->messages);
    hm_wbuf_be64(&wb, s->bytes);
    hm_wbuf_be64(&wb, s->open_entries);
    hm_wbuf_be64(&wb, next_msg > s->next_msg ? next_msg : s->next_msg);
    hm_wbuf_be32(&wb, apr_hash_count(s->dest_by_id));
    for (apr_hash_index_t *hi = apr_hash_first(NULL, s->dest_by_id); hi; hi = apr_hash_next(hi)) {
        const st_dest_t *d = apr_hash_this_val(hi);
        hm_wbuf_be32(&wb, d->id);
        for (int p = 0; p <= ST_MAX_PRIORITY; p++)
            hm_wbuf_be64(&wb, d->open_count[p]);
        hm_wbuf_be64(&wb, d->open_max_seq);
    }
    hm_wbuf_be32(&wb, (uint32_t)s->census_jn);
    for (size_t i = 0; i < s->census_jn; i++) {
        hm_wbuf_be32(&wb, s->census_j[i].file);
        hm_wbuf_be64(&wb, s->census_j[i].bodies);
    }
    if (!wb.err)
        hm_wbuf_be32(&wb, fnv1a(wb.data, wb.len));
    char tmp[4096], path[4096];
    snprintf(tmp, sizeof tmp, "%s/%s.tmp", s->o.dir, ST_SUMMARY_FILE);
    snprintf(path, sizeof path, "%s/%s", s->o.dir, ST_SUMMARY_FILE);
    /* a pair's primary past its lease must not leave a census of its own for the next opener:
     * the standby may have changed the store since (the lease's gate, as for every write) */
    int fd = wb.err || !st_lease_gate_open() ? -1 : open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    int ok = fd >= 0 && write_all(fd, wb.data, wb.len) == 0 && fsync(fd) == 0;
    if (fd >= 0)
        close(fd);
    if (ok && st_lease_gate_open() && rename(tmp, path) == 0) {
        sync_dir(s->o.dir);
    } else {
        unlink(tmp);
        hm_warn("store: no start-up summary written in %s; the next open scans", s->o.dir);
    }
    hm_wbuf_free(&wb);
}

typedef struct sum_dest_s { uint32_t id; uint64_t count[ST_MAX_PRIORITY + 1], max_seq; } sum_dest_t;

/* The summary's bytes, or NULL if there is none (or it cannot be read whole). */
static uint8_t *slurp(const char *path, size_t *len)
{
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return NULL;
    off_t size = lseek(fd, 0, SEEK_END);
    uint8_t *p = size > 0 && size <= ST_SUMMARY_MAX ? malloc((size_t)size) : NULL;
    if (p && pread(fd, p, (size_t)size, 0) != size) {
        free(p);
        p = NULL;
    }
    close(fd);
    *len = p ? (size_t)size : 0;
    return p;
}

/* Parses and checks the whole summary; applies nothing.  dests/jf are malloc'd. */
static int parse(st_store_t *s, const uint8_t *p, size_t len, uint64_t hdr[4], sum_dest_t **dests,
                 uint32_t *nd, st_jfile_count_t **jf, uint32_t *nj)
{
    *dests = NULL;
    *jf = NULL;
    if (len < 9 || fnv1a(p, len - 4) != st_get_be32(p + len - 4))
        return 0;
    hm_rd_t rd;
    hm_rd_init(&rd, p, len - 4);
    const uint8_t *magic = hm_rd_take(&rd, 4);
    if (!magic || memcmp(magic, "HMSU", 4) != 0 || hm_rd_u8(&rd) != SUM_VERSION)
        return 0;
    for (int i = 0; i < 4; i++)
        hdr[i] = hm_rd_be64(&rd);
    *nd = hm_rd_be32(&rd);
    if (!hm_rd_ok(&rd) || *nd != apr_hash_count(s->dest_by_id) ||
        hm_rd_left(&rd) / (4 + 8 * (ST_MAX_PRIORITY + 2)) < *nd)
        return 0;
    *dests = calloc(*nd ? *nd : 1, sizeof **dests);
    if (!*dests)
        return 0;
    for (uint32_t i = 0; i < *nd; i++) {
        sum_dest_t *d = &(*dests)[i];
        d->id = hm_rd_be32(&rd);
        for (int q = 0; q <= ST_MAX_PRIORITY; q++)
            d->count[q] = hm_rd_be64(&rd);
        d->max_seq = hm_rd_be64(&rd);
        if (!apr_hash_get(s->dest_by_id, &d->id, sizeof d->id))
            return 0;                 /* a destination the tables do not have */
    }
    *nj = hm_rd_be32(&rd);
    if (!hm_rd_ok(&rd) || hm_rd_left(&rd) != (size_t)*nj * 12)
        return 0;
    *jf = calloc(*nj ? *nj : 1, sizeof **jf);
    if (!*jf)
        return 0;
    for (uint32_t i = 0; i < *nj; i++) {
        (*jf)[i].file = hm_rd_be32(&rd);
        (*jf)[i].bodies = hm_rd_be64(&rd);
    }
    return hm_rd_ok(&rd) && hm_rd_left(&rd) == 0;
}

int st_summary_read(st_store_t *s)
{
    if (s->o.kind != ST_KIND_BDB || !s->o.dir)
        return 0;
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", s->o.dir, ST_SUMMARY_FILE);
    size_t len;
    uint8_t *p = slurp(path, &len);
    if (!p) {
        unlink(path);                 /* unreadable or absent: the scan decides */
        return 0;
    }
    uint64_t hdr[4];
    sum_dest_t *dests;
    st_jfile_count_t *jf;
    uint32_t nd = 0, nj = 0;
    int ok = parse(s, p, len, hdr, &dests, &nd, &jf, &nj);
    free(p);
    /* gone before anything changes: a crash from here on means a scan at the next open */
    if (unlink(path) != 0 && errno != ENOENT)
        ok = 0;
    sync_dir(s->o.dir);
    if (!ok) {
        hm_warn("store: the start-up summary in %s is not valid; counting by a scan", s->o.dir);
    } else {
        s->messages = hdr[0];
        s->bytes = hdr[1];
        s->open_entries = hdr[2];
        if (hdr[3] > s->next_msg)
            s->next_msg = hdr[3];
        for (uint32_t i = 0; i < nd; i++) {
            st_dest_t *d = apr_hash_get(s->dest_by_id, &dests[i].id, sizeof dests[i].id);
            memcpy(d->open_count, dests[i].count, sizeof d->open_count);
            d->open_max_seq = dests[i].max_seq;
        }
        for (uint32_t i = 0; i < nj && s->kv->vt->jhold; i++)
            for (uint64_t n = 0; n < jf[i].bodies; n++)
                s->kv->vt->jhold(s->kv, (st_lsn_t){ jf[i].file, 0 });
    }
    free(dests);
    free(jf);
    return ok;
}
