/* Temporary storage: see st_temp.h.  Keys are (list, priority, seq) big-endian, so a B-tree
 * cursor walks one list's priority in seq order and a list's records are adjacent. */
#include <string.h>

#include <apr_file_info.h>
#include <apr_file_io.h>
#include <apr_strings.h>
#include <db.h>

#include "hm_log.h"
#include "hm_status.h"
#include "st_bdb_int.h"
#include "st_limits.h"
#include "st_temp.h"

struct st_temp_s {
    apr_pool_t *pool;
    char *dir;
    DB_ENV *env;
    DB *db;
    uint64_t used, limit;
};

static void key_make(uint8_t k[ST_TEMP_KEY], uint32_t list, uint8_t prio, uint64_t seq)
{
    for (int i = 0; i < 4; i++)
        k[i] = (uint8_t)(list >> (24 - 8 * i));
    k[4] = prio;
    for (int i = 0; i < 8; i++)
        k[5 + i] = (uint8_t)(seq >> (56 - 8 * i));
}

static uint64_t key_seq(const uint8_t *k)
{
    uint64_t s = 0;
    for (int i = 0; i < 8; i++)
        s = s << 8 | k[5 + i];
    return s;
}

/* Why every file goes: what a previous run spilled is not wanted (ActiveMQ discards
 * tmp_storage at start too), and a private environment leaves only the database file. */
static void wipe(apr_pool_t *pool, const char *dir)
{
    apr_dir_t *d;
    apr_finfo_t fi;
    if (apr_dir_open(&d, dir, pool) != APR_SUCCESS)
        return;
    while (apr_dir_read(&fi, APR_FINFO_NAME | APR_FINFO_TYPE, d) == APR_SUCCESS) {
        if (fi.filetype == APR_REG)
            apr_file_remove(apr_pstrcat(pool, dir, "/", fi.name, NULL), pool);
    }
    apr_dir_close(d);
}

apr_status_t st_temp_open(apr_pool_t *pool, const char *dir, uint64_t limit, st_temp_t **out)
{
    st_temp_t *t = apr_pcalloc(pool, sizeof *t);
    t->pool = pool;
    t->dir = apr_pstrdup(pool, dir);
    t->limit = limit;
    apr_status_t st = apr_dir_make_recursive(dir, APR_FPROT_OS_DEFAULT, pool);
    if (st)
        return st;
    wipe(pool, dir);
    int rc = db_env_create(&t->env, 0);
    if (!rc)
        rc = t->env->set_cachesize(t->env, 0, ST_TEMP_CACHE, 1);
    if (!rc)
        rc = t->env->open(t->env, dir, DB_CREATE | DB_INIT_MPOOL | DB_PRIVATE, 0600);
    if (!rc)
        rc = db_create(&t->db, t->env, 0);
    if (!rc)
        rc = t->db->set_pagesize(t->db, ST_TEMP_PAGE);
    if (!rc)
        rc = t->db->open(t->db, NULL, ST_TEMP_FILE, NULL, DB_BTREE, DB_CREATE, 0600);
    if (rc) {
        st = st_bdb_map_err(rc);
        st_temp_close(t);
        return st;
    }
    *out = t;
    return APR_SUCCESS;
}

void st_temp_close(st_temp_t *t)
{
    if (!t)
        return;
    if (t->db)
        t->db->close(t->db, DB_NOSYNC);
    if (t->env)
        t->env->close(t->env, 0);
    t->db = NULL;
    t->env = NULL;
    wipe(t->pool, t->dir);
}

apr_status_t st_temp_put(st_temp_t *t, uint32_t list, uint8_t prio, uint64_t seq,
                         const void *bytes, size_t len)
{
    uint64_t need = ST_TEMP_KEY + (uint64_t)len;
    if (len > UINT32_MAX || st_temp_full(t))
        return HM_ENOSPACE;
    uint8_t k[ST_TEMP_KEY];
    key_make(k, list, prio, seq);
    DBT key = { .data = k, .size = ST_TEMP_KEY };
    DBT val = { .data = (void *)bytes, .size = (u_int32_t)len };
    int rc = t->db->put(t->db, NULL, &key, &val, 0);
    if (rc)
        return st_bdb_map_err(rc);
    t->used += need;
    return APR_SUCCESS;
}

static void forget(st_temp_t *t, size_t len)
{
    uint64_t n = ST_TEMP_KEY + (uint64_t)len;
    t->used = t->used >= n ? t->used - n : 0;
}

apr_status_t st_temp_walk(st_temp_t *t, uint32_t list, uint8_t prio, uint64_t after, size_t max,
                          st_temp_fn fn, void *baton, int *end)
{
    if (end)
        *end = 0;
    if (after == UINT64_MAX) {
        if (end)
            *end = 1;
        return APR_SUCCESS;
    }
    DBC *c;
    int rc = t->db->cursor(t->db, NULL, &c, 0);
    if (rc)
        return st_bdb_map_err(rc);
    uint8_t k[ST_TEMP_KEY], first[ST_TEMP_KEY];
    key_make(first, list, prio, after + 1);
    memcpy(k, first, sizeof k);
    DBT key = { .data = k, .size = ST_TEMP_KEY, .ulen = ST_TEMP_KEY, .flags = DB_DBT_USERMEM };
    DBT val = { 0 };
    apr_status_t st = APR_SUCCESS;
    size_t n = 0;
    rc = c->get(c, &key, &val, DB_SET_RANGE);
    while (!rc && n < max) {
        if (key.size != ST_TEMP_KEY || memcmp(k, first, 5) != 0) {
            rc = DB_NOTFOUND;      /* past the list's priority */
            break;
        }
        int take = 0;
        n++;
        st = fn(baton, key_seq(k), val.data, val.size, &take);
        if (take) {
            size_t len = val.size;
            if ((rc = c->del(c, 0)) != 0)
                break;
            forget(t, len);
        }
        if (st)
            break;
        rc = c->get(c, &key, &val, DB_NEXT);
    }
    if (rc == DB_NOTFOUND) {
        rc = 0;
        if (end)
            *end = 1;
    }
    c->close(c);
    return st ? st : st_bdb_map_err(rc);
}

apr_status_t st_temp_drop(st_temp_t *t, uint32_t list)
{
    DBC *c;
    int rc = t->db->cursor(t->db, NULL, &c, 0);
    if (rc)
        return st_bdb_map_err(rc);
    uint8_t k[ST_TEMP_KEY], first[ST_TEMP_KEY];
    key_make(first, list, 0, 0);
    memcpy(k, first, sizeof k);
    DBT key = { .data = k, .size = ST_TEMP_KEY, .ulen = ST_TEMP_KEY, .flags = DB_DBT_USERMEM };
    DBT val = { 0 };
    rc = c->get(c, &key, &val, DB_SET_RANGE);
    while (!rc && key.size == ST_TEMP_KEY && memcmp(k, first, 4) == 0) {
        size_t len = val.size;
        if ((rc = c->del(c, 0)) != 0)
            break;
        forget(t, len);
        rc = c->get(c, &key, &val, DB_NEXT);
    }
    c->close(c);
    return rc == DB_NOTFOUND ? APR_SUCCESS : st_bdb_map_err(rc);
}

uint64_t st_temp_used(const st_temp_t *t)
{
    return t->used;
}

uint64_t st_temp_limit(const st_temp_t *t)
{
    return t->limit;
}

int st_temp_full(const st_temp_t *t)
{
    return t->limit && t->used >= t->limit;
}
