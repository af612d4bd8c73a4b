#include "hm_log.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static volatile hm_log_level_e min_level = HM_LOG_INFO;

void hm_log_set_level(hm_log_level_e level) { min_level = level; }
hm_log_level_e hm_log_get_level(void) { return min_level; }

/* Under systemd stderr is the journal: JOURNAL_STREAM names its device and inode, and only when
 * stderr is still that stream (a child of a service may have redirected it) does each line start
 * with its syslog priority ("<6>", sd-daemon(3)), which the journal turns into the entry's
 * priority, without a timestamp of its own (the journal keeps one). */
static int journal;
static pthread_once_t journal_once = PTHREAD_ONCE_INIT;

static void journal_check(void)
{
    const char *js = getenv("JOURNAL_STREAM");
    unsigned long long dev, ino;
    struct stat st;
    journal = js && sscanf(js, "%llu:%llu", &dev, &ino) == 2 && fstat(STDERR_FILENO, &st) == 0 &&
              (unsigned long long)st.st_dev == dev && (unsigned long long)st.st_ino == ino;
}

static int to_journal(void)
{
    pthread_once(&journal_once, journal_check);
    return journal;
}

void hm_log(hm_log_level_e level, const char *fmt, ...)
{
    static const char *names[] = { "DEBUG", "INFO", "WARN", "ERROR" };
    static const char *priorities[] = { "<7>", "<6>", "<4>", "<3>" };
    if (level < min_level)
        return;
    char line[2048];
    int n;
    if (to_journal()) {
        n = snprintf(line, sizeof line, "%s%-5s ", priorities[level], names[level]);
    } else {
        struct timeval tv;
        struct tm tm;
        gettimeofday(&tv, NULL);
        gmtime_r(&tv.tv_sec, &tm);
        n = snprintf(line, sizeof line, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ %-5s ",
                     tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
                     tm.tm_sec, (int)(tv.tv_usec / 1000), names[level]);
    }
    va_list ap;
    va_start(ap, fmt);
    int m = vsnprintf(line + n, sizeof line - (size_t)n - 1, fmt, ap);
    va_end(ap);
    size_t len = (size_t)n + (m < 0 ? 0 : (size_t)m);
    if (len > sizeof line - 2)
        len = sizeof line - 2;
    line[len++] = '\n';
    /* one write() per line keeps lines from different threads whole */
    ssize_t w = write(STDERR_FILENO, line, len);
    (void)w;
}
