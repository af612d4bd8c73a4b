/* Cron entries for scheduled delivery (AMQ_SCHEDULED_CRON): the standard five fields, compiled
 * to bit sets, and the next matching minute in local time (as ActiveMQ's Calendar-based parser
 * computes it, without its quirks: both day fields restricted means either may match). */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "hm_int.h"

/* Parses one field: * ? n a-b a,b,c and x/step (x: * or a range); fills the bits lo..hi. */
static int cron_field(const char *s, size_t len, int lo, int hi, uint64_t *bits)
{
    *bits = 0;
    if (len == 0)
        return 0;
    size_t i = 0;
    while (i < len) {
        size_t j = i;
        while (j < len && s[j] != ',')
            j++;
        const char *p = s + i, *end = s + j;
        int a = lo, z = hi, step = 1;
        if (p < end && (*p == '*' || *p == '?')) {
            p++;
        } else {
            char *e;
            if (p >= end || !isdigit((unsigned char)*p))
                return 0;
            long v = strtol(p, &e, 10);
            if (e > end || v < lo || v > hi)
                return 0;
            a = z = (int)v;
            p = e;
            if (p < end && *p == '-') {
                p++;
                if (p >= end || !isdigit((unsigned char)*p))
                    return 0;
                v = strtol(p, &e, 10);
                if (e > end || v < a || v > hi)
                    return 0;
                z = (int)v;
                p = e;
            }
        }
        if (p < end && *p == '/') {
            p++;
            char *e;
            if (p >= end || !isdigit((unsigned char)*p))
                return 0;
            long v = strtol(p, &e, 10);
            if (e != end || v < 1 || v > 60)
                return 0;
            step = (int)v;
            p = e;
        }
        if (p != end)
            return 0;
        for (int v = a; v <= z; v += step)
            *bits |= UINT64_C(1) << v;
        i = j + 1;
        if (j < len && i == len)
            return 0;              /* trailing comma */
    }
    return 1;
}

apr_status_t hm_cron_parse(const char *text, hm_cron_t *out)
{
    static const int lo[5] = { 0, 0, 1, 1, 0 }, hi[5] = { 59, 23, 31, 12, 7 };
    uint64_t bits[5];
    const char *p = text;
    int n = 0;
    if (!text)
        return HM_EMALFORMED;
    while (*p) {
        while (*p && isspace((unsigned char)*p))
            p++;
        if (!*p)
            break;
        const char *s = p;
        while (*p && !isspace((unsigned char)*p))
            p++;
        if (n == 5 || !cron_field(s, (size_t)(p - s), lo[n], hi[n], &bits[n]))
            return HM_EMALFORMED;
        n++;
    }
    if (n != 5)
        return HM_EMALFORMED;
    out->minutes = bits[0];
    out->hours = (uint32_t)bits[1];
    out->mdays = (uint32_t)bits[2];
    out->months = (uint16_t)bits[3];
    out->wdays = (uint8_t)((bits[4] | (bits[4] >> 7)) & 0x7f);   /* 7 is Sunday too */
    out->mday_any = bits[2] == (UINT64_C(0xffffffff) & ~UINT64_C(1));
    out->wday_any = (bits[4] & 0x7f) == 0x7f;
    return APR_SUCCESS;
}

/* Standard cron day matching: when both day fields are restricted, either may match. */
static int cron_day_ok(const hm_cron_t *c, const struct tm *t)
{
    int md = (c->mdays >> t->tm_mday) & 1, wd = (c->wdays >> t->tm_wday) & 1;
    if (c->mday_any)
        return wd;
    if (c->wday_any)
        return md;
    return md || wd;
}

/* Why a walk over local time fields: cron speaks wall-clock time (as ActiveMQ's Calendar), and
 * mktime normalises month lengths and DST.  At most a few thousand steps (8 years of days). */
apr_status_t hm_cron_next(const hm_cron_t *c, int64_t after_ms, int64_t *next_ms)
{
    time_t t = (time_t)(after_ms / 1000);
    struct tm tm;
    if (!localtime_r(&t, &tm))
        return HM_EMALFORMED;
    tm.tm_sec = 0;
    tm.tm_min++;
    tm.tm_isdst = -1;
    for (int steps = 0; steps < 200000; steps++) {
        time_t cur = mktime(&tm);
        if (cur == (time_t)-1)
            return HM_EMALFORMED;
        if (tm.tm_year > 300)
            break;
        if (!((c->months >> (tm.tm_mon + 1)) & 1)) {
            tm.tm_mon++;
            tm.tm_mday = 1;
            tm.tm_hour = tm.tm_min = 0;
        } else if (!cron_day_ok(c, &tm)) {
            tm.tm_mday++;
            tm.tm_hour = tm.tm_min = 0;
        } else if (!((c->hours >> tm.tm_hour) & 1)) {
            tm.tm_hour++;
            tm.tm_min = 0;
        } else if (!((c->minutes >> tm.tm_min) & 1)) {
            tm.tm_min++;
        } else {
            int64_t ms = (int64_t)cur * 1000;
            if (ms <= after_ms) {          /* a DST fold repeated this hour */
                tm.tm_min++;
                tm.tm_isdst = -1;
                continue;
            }
            *next_ms = ms;
            return APR_SUCCESS;
        }
        tm.tm_isdst = -1;
    }
    return HM_ENOTFOUND;
}
