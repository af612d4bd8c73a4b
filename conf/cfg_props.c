/* Java .properties files (credentials.properties, users.properties, groups.properties) and the
 * side files the configuration names, read whole and bounded. */
#include <stdio.h>
#include <string.h>

#include <apr_file_io.h>
#include <apr_strings.h>

#include "cfg_int.h"

apr_status_t cfg_side_file(apr_pool_t *pool, const char *path, char **text, size_t *len,
                           char *err, size_t errlen)
{
    apr_file_t *f;
    apr_finfo_t fi;
    char eb[128];
    apr_status_t rv = apr_file_open(&f, path, APR_FOPEN_READ | APR_FOPEN_BINARY, 0, pool);
    if (rv == APR_SUCCESS && (rv = apr_file_info_get(&fi, APR_FINFO_SIZE, f)) == APR_SUCCESS &&
        fi.size > (apr_off_t)CFG_MAX_SIDE_FILE_BYTES) {
        apr_file_close(f);
        snprintf(err, errlen, "%s: larger than %u bytes", path, CFG_MAX_SIDE_FILE_BYTES);
        return CFG_ETOOBIG;
    }
    if (rv != APR_SUCCESS) {
        snprintf(err, errlen, "%s: %s", path, apr_strerror(rv, eb, sizeof eb));
        return rv;
    }
    *text = apr_palloc(pool, (apr_size_t)fi.size + 1);
    apr_size_t got = 0;
    rv = fi.size ? apr_file_read_full(f, *text, (apr_size_t)fi.size, &got) : APR_SUCCESS;
    apr_file_close(f);
    if (rv != APR_SUCCESS) {
        snprintf(err, errlen, "%s: %s", path, apr_strerror(rv, eb, sizeof eb));
        return rv;
    }
    (*text)[got] = '\0';
    *len = got;
    return APR_SUCCESS;
}

static void put_utf8(char *out, size_t *n, unsigned cp)
{
    if (cp < 0x80) {
        out[(*n)++] = (char)cp;
    } else if (cp < 0x800) {
        out[(*n)++] = (char)(0xC0 | (cp >> 6));
        out[(*n)++] = (char)(0x80 | (cp & 0x3F));
    } else {
        out[(*n)++] = (char)(0xE0 | (cp >> 12));
        out[(*n)++] = (char)(0x80 | ((cp >> 6) & 0x3F));
        out[(*n)++] = (char)(0x80 | (cp & 0x3F));
    }
}

/* One logical line (continuations joined, escapes decoded) split into key and value, as
 * java.util.Properties.load reads it. */
static void logical_line(const char **pp, const char *end, char *key, size_t *klen, char *val,
                         size_t *vlen)
{
    const char *p = *pp;
    int in_key = 1, sep_seen = 0, skip_ws = 1;
    *klen = *vlen = 0;
    while (p < end) {
        char c = *p++;
        if (c == '\r' || c == '\n') {
            if (c == '\r' && p < end && *p == '\n')
                p++;
            break;
        }
        if (skip_ws && (c == ' ' || c == '\t' || c == '\f'))
            continue;
        skip_ws = 0;
        if (c == '\\') {
            if (p >= end)
                break;
            c = *p++;
            if (c == '\r' || c == '\n') {       /* continuation: leading blanks dropped */
                if (c == '\r' && p < end && *p == '\n')
                    p++;
                skip_ws = 1;
                continue;
            }
            char *out = in_key ? key : val;
            size_t *n = in_key ? klen : vlen;
            if (c == 'u' && end - p >= 4) {
                char hex[5] = { p[0], p[1], p[2], p[3], 0 };
                char *e;
                unsigned cp = (unsigned)strtoul(hex, &e, 16);
                if (*e == '\0') {
                    put_utf8(out, n, cp);
                    p += 4;
                    continue;
                }
            }
            out[(*n)++] = c == 't' ? '\t' : c == 'n' ? '\n' : c == 'r' ? '\r' : c == 'f' ? '\f' : c;
            continue;
        }
        if (in_key && (c == '=' || c == ':' || c == ' ' || c == '\t' || c == '\f')) {
            in_key = 0;
            skip_ws = 1;
            sep_seen = c == '=' || c == ':';
            continue;
        }
        if (!in_key && !sep_seen && *vlen == 0 && (c == '=' || c == ':')) {
            sep_seen = 1;                        /* "key = value" */
            skip_ws = 1;
            continue;
        }
        if (in_key)
            key[(*klen)++] = c;
        else
            val[(*vlen)++] = c;
    }
    *pp = p;
}

apr_status_t cfg_props_read(apr_pool_t *pool, const char *path, apr_hash_t **out, char *err,
                            size_t errlen)
{
    char *text;
    size_t len;
    apr_status_t rv = cfg_side_file(pool, path, &text, &len, err, errlen);
    return rv ? rv : cfg_props_parse(pool, path, text, len, out, err, errlen);
}

apr_status_t cfg_props_parse(apr_pool_t *pool, const char *path, const char *text, size_t len,
                             apr_hash_t **out, char *err, size_t errlen)
{
    apr_hash_t *h = apr_hash_make(pool);
    const char *p = text, *end = text + len;
    char *key = apr_palloc(pool, len + 1), *val = apr_palloc(pool, len + 1);
    while (p < end) {
        while (p < end && (*p == ' ' || *p == '\t' || *p == '\f' || *p == '\r' || *p == '\n'))
            p++;
        if (p < end && (*p == '#' || *p == '!')) {
            while (p < end && *p != '\n' && *p != '\r')
                p++;
            continue;
        }
        if (p >= end)
            break;
        size_t kl, vl;
        logical_line(&p, end, key, &kl, val, &vl);
        if (apr_hash_count(h) >= CFG_MAX_LIST) {
            snprintf(err, errlen, "%s: more than %d entries", path, CFG_MAX_LIST);
            return CFG_ETOOBIG;
        }
        apr_hash_set(h, apr_pstrmemdup(pool, key, kl), kl, apr_pstrmemdup(pool, val, vl));
    }
    *out = h;
    return APR_SUCCESS;
}
