/* Berkeley DB's writes pass through the lease's gate (st_lease.h).  Why here: every byte the
 * environment puts on disk -- log records at a commit, pages at a checkpoint, log files removed
 * or truncated -- goes through these replaceable system calls, so a primary whose lease has
 * lapsed (or been taken) refuses them all, whichever thread and whichever path asks.  A refused
 * write fails with EIO: the commit fails and nothing is confirmed. */
#include <db.h>
#include <errno.h>
#include <pthread.h>
#include <unistd.h>

#include "st_bdb_int.h"
#include "st_lease.h"

/* Why whole writes: Berkeley DB takes a replaced write's short count as a failure with
 * whatever errno happens to be set, where its own loop writes the rest or meets the real
 * error (ENOSPC on a full disk, which the store handles). */
static ssize_t write_whole(int fd, const char *p, size_t n, off_t off, int positioned)
{
    size_t done = 0;
    while (done < n) {
        ssize_t w = positioned ? pwrite(fd, p + done, n - done, off + (off_t)done)
                               : write(fd, p + done, n - done);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0)
            return -1;
        if (w == 0) {
            errno = ENOSPC;
            return -1;
        }
        done += (size_t)w;
    }
    return (ssize_t)n;
}

static ssize_t gate_write(int fd, const void *buf, size_t n)
{
    if (!st_lease_gate_open()) { errno = EIO; return -1; }
    return write_whole(fd, buf, n, 0, 0);
}

static ssize_t gate_pwrite(int fd, const void *buf, size_t n, off_t off)
{
    if (!st_lease_gate_open()) { errno = EIO; return -1; }
    return write_whole(fd, buf, n, off, 1);
}

/* fdatasync, as Berkeley DB itself uses where it exists */
static int gate_fsync(int fd)
{
    if (!st_lease_gate_open()) { errno = EIO; return -1; }
    return fdatasync(fd);
}

static int gate_ftruncate(int fd, off_t len)
{
    if (!st_lease_gate_open()) { errno = EIO; return -1; }
    return ftruncate(fd, len);
}

static int gate_unlink(const char *path)
{
    if (!st_lease_gate_open()) { errno = EIO; return -1; }
    return unlink(path);
}

static int gate_rename(const char *from, const char *to)
{
    if (!st_lease_gate_open()) { errno = EIO; return -1; }
    return rename(from, to);
}

static void install(void)
{
    db_env_set_func_write(gate_write);
    db_env_set_func_pwrite(gate_pwrite);
    db_env_set_func_fsync(gate_fsync);
    db_env_set_func_ftruncate(gate_ftruncate);
    db_env_set_func_unlink(gate_unlink);
    db_env_set_func_rename(gate_rename);
}

void st_bdb_gate_install(void)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, install);
}
