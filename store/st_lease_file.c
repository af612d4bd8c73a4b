/* The lease file of a primary/replica pair (st_lease.h): DIR/hermod.lease, one small record
 * that the primary renews every keep-alive period and that lapses when it stops renewing.
 *
 * Why a renewed record and not a file lock: a lock is held for as long as the process lives, so
 * a primary that is paused (SIGSTOP, a frozen VM) or cut off from a shared file system keeps the
 * standby out for ever.  A lease lapses; the standby then takes it with a new epoch, and the old
 * primary, once it runs again, finds it can no longer write.
 *
 * Why it is safe without shared clocks: each side measures only its own durations with its own
 * monotonic clock (CLOCK_BOOTTIME, which also counts suspended time).  The primary may write
 * until (start of its last successful renewal) + lease - margin.  The standby takes over only
 * after it has seen the same record, unchanged, for a whole lease; it first saw that record after
 * it was written, so after the renewal started.  As long as the two clocks run at the same rate
 * (within the margin), the primary's writing window closes before the standby's opens.
 * What the margin does not cover: a pause between the write check (st_lease_may_write) and the
 * write system call itself, of more than the margin.  The README says so.
 *
 * The record is text, fixed size, written in place under a short fcntl() lock, with a checksum
 * (a torn read is seen as activity, never as a lapse).
 *
 * Why no fsync: what the lease needs is that the other broker sees a write, not that it
 * survives a power cut (after one, every broker waits a whole lease anyway).  One host shares
 * the page cache; a network file system must be mounted to write through (README).  An fsync
 * here would also wait behind the store's own flushes, and a renewal slowed by a busy disk would
 * fence a healthy primary. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <apr_strings.h>

#include "hm_log.h"
#include "st_lease.h"
#include "st_limits.h"

typedef struct {
    uint64_t epoch, beat;
    int lease_ms;
    int released;
    char nonce[17];
    char holder[ST_LEASE_HOLDER_MAX];
} lease_rec_t;

typedef struct {
    st_lease_t base;
    char *path;
    int fd;
    int lease_ms, renew_ms, margin_ms;
    char holder[ST_LEASE_HOLDER_MAX];
    char nonce[17];                     /* this process image's own: a re-exec gets a new one */
    uint64_t epoch;                     /* ours, once held */
    uint64_t beat;
    _Atomic int64_t valid_until_us;     /* CLOCK_BOOTTIME; 0: may not write */
    /* odd while this process writes its record (a renewal): a write check that overlaps one may
     * read it half-written, and then trusts the deadline alone.  Why not a mutex: a renewal can
     * stall in its write (a stalled disk), and no store write may wait behind it. */
    _Atomic uint64_t writing;
    /* the standby's view: the last record bytes seen and since when (its own clock) */
    char seen[ST_LEASE_RECORD];
    int64_t seen_since_us;
    uint64_t seen_epoch;
    const char *fault;                  /* HERMOD_FAULT_LEASE: a control file for the tests */
} lease_file_t;

int64_t st_lease_now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_BOOTTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static uint32_t fnv1a(const char *p, size_t n)
{
    uint32_t h = 2166136261u;
    while (n--)
        h = (h ^ (uint8_t)*p++) * 16777619u;
    return h;
}

static void rec_format(const lease_rec_t *r, char out[ST_LEASE_RECORD])
{
    memset(out, 0, ST_LEASE_RECORD);
    int n = snprintf(out, ST_LEASE_RECORD - 16,
                     "hermod-lease 1\nepoch %" PRIu64 "\nbeat %" PRIu64 "\nlease-ms %d\n"
                     "state %s\nnonce %s\nholder %s\n", r->epoch, r->beat, r->lease_ms,
                     r->released ? "released" : "held", r->nonce, r->holder);
    if (n < 0 || n >= ST_LEASE_RECORD - 16)
        n = ST_LEASE_RECORD - 17;
    snprintf(out + n, 16, "sum %08x\n", fnv1a(out, (size_t)n));
}

/* The record from its bytes: 0 when they are not a whole, unbroken record. */
static int rec_parse(const char *buf, size_t len, lease_rec_t *r)
{
    char text[ST_LEASE_RECORD + 1];
    if (len > ST_LEASE_RECORD)
        len = ST_LEASE_RECORD;
    memcpy(text, buf, len);
    text[len] = '\0';
    char *sum = strstr(text, "sum ");
    if (!sum || sum == text || sum[-1] != '\n' ||
        strtoul(sum + 4, NULL, 16) != fnv1a(text, (size_t)(sum - text)))
        return 0;
    *sum = '\0';
    memset(r, 0, sizeof *r);
    char state[16] = "";
    const char *h = strstr(text, "\nholder ");
    if (sscanf(text, "hermod-lease 1\nepoch %" SCNu64 "\nbeat %" SCNu64 "\nlease-ms %d\n"
                     "state %15s\nnonce %16s\n", &r->epoch, &r->beat, &r->lease_ms, state,
               r->nonce) != 5 || !h)
        return 0;
    apr_cpystrn(r->holder, h + 8, sizeof r->holder);
    r->holder[strcspn(r->holder, "\n")] = '\0';
    r->released = strcmp(state, "released") == 0;
    return 1;
}

/* The record's bytes (zero-filled past the end of a short file); -1 on a read error. */
static ssize_t rec_read(lease_file_t *f, char buf[ST_LEASE_RECORD])
{
    memset(buf, 0, ST_LEASE_RECORD);
    ssize_t n = pread(f->fd, buf, ST_LEASE_RECORD, 0);
    return n;
}

/* A short exclusive (F_WRLCK) or shared lock on the record, never waiting: a renewal or a
 * take-over is a read and a write of a few hundred bytes. */
static int rec_lock(lease_file_t *f, short type)
{
    struct flock fl = { .l_type = type, .l_whence = SEEK_SET, .l_start = 0, .l_len = 0 };
    for (int i = 0; i < 20; i++) {
        if (fcntl(f->fd, F_SETLK, &fl) == 0)
            return 1;
        if (errno != EAGAIN && errno != EACCES && errno != EINTR)
            return 0;
        usleep(1000);
    }
    return 0;
}

static void rec_unlock(lease_file_t *f)
{
    struct flock fl = { .l_type = F_UNLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 0 };
    fcntl(f->fd, F_SETLK, &fl);
}

/* The tests' fault seam: HERMOD_FAULT_LEASE names a control file; while it says "fail" a
 * renewal's write fails (a lease file that cannot be written), while it says "stall" the
 * renewal blocks (a stalled disk).  Absent or anything else: no fault. */
static int fault_now(lease_file_t *f, const char *what)
{
    if (!f->fault)
        return 0;
    char buf[16] = "";
    FILE *c = fopen(f->fault, "r");
    if (!c)
        return 0;
    size_t n = fread(buf, 1, sizeof buf - 1, c);
    fclose(c);
    buf[n] = '\0';
    return strncmp(buf, what, strlen(what)) == 0;
}

static int rec_write(lease_file_t *f, const lease_rec_t *r)
{
    char buf[ST_LEASE_RECORD];
    rec_format(r, buf);
    while (fault_now(f, "stall"))
        usleep(20000);
    if (fault_now(f, "fail")) {
        errno = EIO;
        return -1;
    }
    return pwrite(f->fd, buf, sizeof buf, 0) == (ssize_t)sizeof buf ? 0 : -1;
}

static void rec_mine(lease_file_t *f, lease_rec_t *r, uint64_t epoch, int released)
{
    memset(r, 0, sizeof *r);
    r->epoch = epoch;
    r->beat = ++f->beat;
    r->lease_ms = f->lease_ms;
    r->released = released;
    memcpy(r->nonce, f->nonce, sizeof r->nonce);
    apr_cpystrn(r->holder, f->holder, sizeof r->holder);
}

/* Writes our claim with epoch e over the record seen in `expect` (under the lock, still the
 * same bytes: nobody renewed or took it meanwhile).  APR_SUCCESS: held from t0 on. */
static apr_status_t claim(lease_file_t *f, const char expect[ST_LEASE_RECORD], uint64_t e)
{
    char now_bytes[ST_LEASE_RECORD];
    int64_t t0 = st_lease_now_us();
    if (!rec_lock(f, F_WRLCK))
        return ST_EBUSY;
    if (rec_read(f, now_bytes) < 0 || memcmp(now_bytes, expect, ST_LEASE_RECORD) != 0) {
        rec_unlock(f);
        return ST_EBUSY;            /* it moved: the holder is alive after all */
    }
    lease_rec_t r;
    rec_mine(f, &r, e, 0);
    int w = rec_write(f, &r);
    rec_unlock(f);
    if (w != 0)
        return APR_FROM_OS_ERROR(errno ? errno : EIO);
    f->epoch = e;
    f->valid_until_us = t0 + (int64_t)(f->lease_ms - f->margin_ms) * 1000;
    hm_info("lease: taken with epoch %" PRIu64 " (%s)", e, f->path);
    return APR_SUCCESS;
}

/* Standby: takes the lease when it is free, released, or unchanged for a whole lease. */
static apr_status_t lf_try(st_lease_t *l)
{
    lease_file_t *f = (lease_file_t *)l;
    char buf[ST_LEASE_RECORD];
    int64_t now = st_lease_now_us();
    if (!rec_lock(f, F_RDLCK))
        return ST_EBUSY;            /* being written right now: alive */
    ssize_t n = rec_read(f, buf);
    rec_unlock(f);
    if (n < 0)
        return APR_FROM_OS_ERROR(errno);
    lease_rec_t r;
    int valid = rec_parse(buf, (size_t)n, &r);
    if (valid && r.epoch > f->seen_epoch)
        f->seen_epoch = r.epoch;
    if (n == 0 || (valid && r.released))
        return claim(f, buf, f->seen_epoch + 1);
    if (!f->seen_since_us || memcmp(buf, f->seen, sizeof buf) != 0) {
        memcpy(f->seen, buf, sizeof buf);
        f->seen_since_us = now;
        return ST_EBUSY;
    }
    int lease_ms = valid && r.lease_ms > f->lease_ms ? r.lease_ms : f->lease_ms;
    if (now - f->seen_since_us < (int64_t)lease_ms * 1000)
        return ST_EBUSY;
    hm_warn("lease: %s was not renewed for %d ms (last holder: %s): taking it over", f->path,
            lease_ms, valid ? r.holder : "unreadable record");
    apr_status_t st = claim(f, buf, f->seen_epoch + 1);
    if (st == ST_EBUSY)
        f->seen_since_us = 0;
    return st;
}

/* Primary: renews (a new beat under our epoch).  0 once the record names someone else; a
 * failed write keeps the lease only until its deadline. */
static int lf_still_held(st_lease_t *l)
{
    lease_file_t *f = (lease_file_t *)l;
    char buf[ST_LEASE_RECORD];
    lease_rec_t r;
    int64_t t0 = st_lease_now_us();
    if (!rec_lock(f, F_WRLCK))
        return t0 < f->valid_until_us;
    ssize_t n = rec_read(f, buf);
    if (n >= 0 && (!rec_parse(buf, (size_t)n, &r) || r.epoch != f->epoch ||
                   strcmp(r.nonce, f->nonce) != 0)) {
        rec_unlock(f);
        f->valid_until_us = 0;
        int named = n > 0 && rec_parse(buf, (size_t)n, &r);
        hm_error("lease: %s now names %s (epoch %" PRIu64 "), not this broker (epoch %" PRIu64 ")",
                 f->path, named ? r.holder : "nobody readable", named ? r.epoch : 0, f->epoch);
        return 0;
    }
    int w = -1, err = EIO;
    if (n >= 0) {
        rec_mine(f, &r, f->epoch, 0);
        atomic_fetch_add(&f->writing, 1);
        w = rec_write(f, &r);
        err = errno;
        atomic_fetch_add(&f->writing, 1);
    }
    rec_unlock(f);
    if (w == 0) {
        int64_t until = t0 + (int64_t)(f->lease_ms - f->margin_ms) * 1000, was = f->valid_until_us;
        /* 0 means fenced meanwhile, and fenced stays */
        while (was && !atomic_compare_exchange_weak(&f->valid_until_us, &was, until))
            ;
        return f->valid_until_us != 0;
    }
    int64_t left = f->valid_until_us - t0;
    hm_warn("lease: renewing %s failed: %s; the lease holds for %" PRId64 " ms more", f->path,
            strerror(err), left > 0 ? left / 1000 : 0);
    return st_lease_now_us() < f->valid_until_us;
}

static void lf_release(st_lease_t *l)
{
    lease_file_t *f = (lease_file_t *)l;
    char buf[ST_LEASE_RECORD];
    lease_rec_t r;
    f->valid_until_us = 0;
    if (!rec_lock(f, F_WRLCK))
        return;
    ssize_t n = rec_read(f, buf);
    if (n > 0 && rec_parse(buf, (size_t)n, &r) && r.epoch == f->epoch &&
        strcmp(r.nonce, f->nonce) == 0) {
        rec_mine(f, &r, f->epoch, 1);
        if (rec_write(f, &r) == 0) {
            hm_info("lease: released (epoch %" PRIu64 "); a standby takes over at once", f->epoch);
        }
    }
    rec_unlock(f);
}

static void lf_holder(st_lease_t *l, char *buf, size_t len)
{
    lease_file_t *f = (lease_file_t *)l;
    char raw[ST_LEASE_RECORD];
    lease_rec_t r;
    ssize_t n = rec_read(f, raw);
    if (n > 0 && rec_parse(raw, (size_t)n, &r))
        snprintf(buf, len, "%s, held by %s (epoch %" PRIu64 ", lease %d ms)", f->path, r.holder,
                 r.epoch, r.lease_ms);
    else
        snprintf(buf, len, "%s", f->path);
}

static int64_t lf_valid_until(st_lease_t *l)
{
    return ((lease_file_t *)l)->valid_until_us;
}

/* In the store's write path: inside the deadline, and the record still ours.  Cheap (a clock
 * read and a pread of the record from the page cache). */
static int lf_may_write(st_lease_t *l)
{
    lease_file_t *f = (lease_file_t *)l;
    if (st_lease_now_us() >= f->valid_until_us)
        return 0;
    uint64_t g = atomic_load(&f->writing);
    if (g & 1)
        return 1;                   /* our own renewal is rewriting our record right now */
    char buf[ST_LEASE_RECORD];
    lease_rec_t r;
    ssize_t n = rec_read(f, buf);
    if (atomic_load(&f->writing) != g)
        return 1;                   /* ... or was, while we read it */
    if (n > 0 && rec_parse(buf, (size_t)n, &r) && r.epoch == f->epoch &&
        strcmp(r.nonce, f->nonce) == 0)
        return 1;
    f->valid_until_us = 0;          /* another epoch: never again */
    return 0;
}

static uint64_t lf_epoch(st_lease_t *l)
{
    return ((lease_file_t *)l)->epoch;
}

static const st_lease_ops_t lease_file_ops = {
    "lease file", lf_try, lf_still_held, lf_release, lf_holder, lf_valid_until, lf_may_write,
    lf_epoch,
};

static apr_status_t lease_cleanup(void *data)
{
    lease_file_t *f = data;
    if (f->fd >= 0)
        close(f->fd);
    return APR_SUCCESS;
}

apr_status_t st_lease_file(apr_pool_t *pool, const char *dir, const st_lease_opts_t *o,
                           st_lease_t **out)
{
    lease_file_t *f = apr_pcalloc(pool, sizeof *f);
    f->base.ops = &lease_file_ops;
    f->path = apr_pstrcat(pool, dir, "/" ST_LEASE_FILE, NULL);
    f->lease_ms = o->lease_ms > 0 ? o->lease_ms : 10000;
    f->renew_ms = o->renew_ms > 0 ? o->renew_ms : f->lease_ms / 4;
    /* the margin covers clock-rate differences and the time from a write check to its write */
    f->margin_ms = f->lease_ms / 5 > ST_LEASE_MIN_MARGIN_MS ? f->lease_ms / 5 : ST_LEASE_MIN_MARGIN_MS;
    if (f->margin_ms > f->lease_ms - f->renew_ms)
        f->margin_ms = (f->lease_ms - f->renew_ms) / 2;
    f->base.renew_ms = f->renew_ms;
    f->base.lease_ms = f->lease_ms;
    apr_cpystrn(f->holder, o->holder && *o->holder ? o->holder : "hermod", sizeof f->holder);
    for (char *p = f->holder; *p; p++)
        if (*p == '\n' || *p == '\r')
            *p = ' ';
    /* a nonce tells this process image from every other, even one with the same pid (a
     * fenced broker re-executes itself) */
    unsigned char rnd[8];
    if (apr_generate_random_bytes(rnd, sizeof rnd) != APR_SUCCESS)
        return APR_EGENERAL;
    for (int i = 0; i < 8; i++)
        snprintf(f->nonce + 2 * i, 3, "%02x", rnd[i]);
    f->fault = getenv("HERMOD_FAULT_LEASE");
    atomic_init(&f->valid_until_us, 0);
    atomic_init(&f->writing, 0);
    if (mkdir(dir, 0700) != 0 && errno != EEXIST)
        return APR_FROM_OS_ERROR(errno);
    f->fd = open(f->path, O_CREAT | O_RDWR | O_CLOEXEC, 0600);
    if (f->fd < 0)
        return APR_FROM_OS_ERROR(errno);
    apr_pool_cleanup_register(pool, f, lease_cleanup, apr_pool_cleanup_null);
    *out = &f->base;
    return APR_SUCCESS;
}

int st_lease_file_exists(const char *dir)
{
    char p[4200];
    struct stat sb;
    snprintf(p, sizeof p, "%s/%s", dir, ST_LEASE_FILE);
    return stat(p, &sb) == 0 && sb.st_size > 0;
}
