/* The lock-file lease: an exclusive flock on DIR/hermod.lock.  The kernel drops it when the
 * holder exits, even on kill -9, so a standby takes over from a crashed broker too.  The file
 * holds the holder's pid, for the standby's log line. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <apr_atomic.h>
#include <apr_strings.h>

#include "st_lease.h"
#include "st_limits.h"

typedef struct {
    st_lease_t base;
    char *path;
    int fd;
} lockfile_t;

static apr_status_t lf_try(st_lease_t *l)
{
    lockfile_t *f = (lockfile_t *)l;
    if (flock(f->fd, LOCK_EX | LOCK_NB) != 0)
        return errno == EWOULDBLOCK ? ST_EBUSY : APR_FROM_OS_ERROR(errno);
    char pid[32];
    int n = snprintf(pid, sizeof pid, "%ld\n", (long)getpid());
    if (ftruncate(f->fd, 0) == 0) {
        ssize_t w = pwrite(f->fd, pid, (size_t)n, 0);
        (void)w;   /* the pid is only for the standby's log line */
    }
    return APR_SUCCESS;
}

/* A flock cannot be taken away while its descriptor is open. */
static int lf_still_held(st_lease_t *l)
{
    return fcntl(((lockfile_t *)l)->fd, F_GETFD) != -1;
}

static void lf_release(st_lease_t *l)
{
    flock(((lockfile_t *)l)->fd, LOCK_UN);
}

static void lf_holder(st_lease_t *l, char *buf, size_t len)
{
    lockfile_t *f = (lockfile_t *)l;
    char pid[32] = "";
    ssize_t n = pread(f->fd, pid, sizeof pid - 1, 0);
    pid[n > 0 ? n : 0] = '\0';
    pid[strcspn(pid, "\n")] = '\0';
    snprintf(buf, len, "%s (held by pid %s)", f->path, *pid ? pid : "?");
}

static int64_t lf_valid_until(st_lease_t *l)
{
    return l->held ? INT64_MAX : 0;
}

static int lf_may_write(st_lease_t *l)
{
    return 1;       /* nobody else can hold the lock while this process lives */
}

static uint64_t lf_epoch(st_lease_t *l)
{
    return 0;
}

static const st_lease_ops_t lockfile_ops = { "lock file", lf_try, lf_still_held, lf_release,
                                             lf_holder, lf_valid_until, lf_may_write, lf_epoch };

static apr_status_t lf_cleanup(void *data)
{
    lockfile_t *f = data;
    if (f->fd >= 0)
        close(f->fd);     /* also drops the flock */
    return APR_SUCCESS;
}

apr_status_t st_lease_lockfile(apr_pool_t *pool, const char *dir, st_lease_t **out)
{
    lockfile_t *f = apr_pcalloc(pool, sizeof *f);
    f->base.ops = &lockfile_ops;
    f->path = apr_pstrcat(pool, dir, "/" ST_LOCK_FILE, NULL);
    if (mkdir(dir, 0700) != 0 && errno != EEXIST)
        return APR_FROM_OS_ERROR(errno);
    f->fd = open(f->path, O_CREAT | O_RDWR | O_CLOEXEC, 0600);
    if (f->fd < 0)
        return APR_FROM_OS_ERROR(errno);
    apr_pool_cleanup_register(pool, f, lf_cleanup, apr_pool_cleanup_null);
    *out = &f->base;
    return APR_SUCCESS;
}

/* The guard of the store's writes: one per process (a process opens one store). */
static st_lease_t *volatile guard;
static volatile apr_uint32_t refusals;

void st_lease_guard(st_lease_t *l)
{
    guard = l;
}

int st_lease_gate_open(void)
{
    st_lease_t *l = guard;
    if (!l || l->ops->may_write(l))
        return 1;
    apr_atomic_inc32(&refusals);
    return 0;
}

uint64_t st_lease_gate_refusals(void)
{
    return apr_atomic_read32(&refusals);
}
