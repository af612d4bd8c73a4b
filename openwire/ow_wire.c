/* Per-connection codec state: the wire format (pre-negotiation, negotiated, forced), the two
 * marshal caches, and framing (size prefix, type byte, max frame size). */
#include <stdlib.h>

#include <apr_strings.h>

#include "ow_int.h"
#include "ow_props.h"

static const uint8_t MAGIC[8] = { 'A', 'c', 't', 'i', 'v', 'e', 'M', 'Q' };

void ow_wire_opts_default(ow_wire_opts_t *o)
{
    memset(o, 0, sizeof *o);
    o->version = OW_MAX_VERSION;
    o->tight = 1;
    o->cache = 1;
    o->cache_size = OW_DEFAULT_CACHE_SIZE;
    o->max_frame_size = OW_DEFAULT_MAX_FRAME_SIZE;
    o->max_inactivity_ms = 30000;
    o->max_inactivity_initial_delay_ms = 10000;
    o->tcp_no_delay = 1;
    o->stack_trace = 1;
}

/* ---- caches ---- */

static void free_caches(ow_wire_t *w)
{
    if (w->in_cache)
        for (int32_t i = 0; i < w->cache_size; i++)
            free(w->in_cache[i]);
    if (w->out_keys)
        for (int32_t i = 0; i < w->cache_size; i++)
            free(w->out_keys[i]);
    free(w->in_cache);
    free(w->out_keys);
    free(w->out_key_lens);
    w->in_cache = NULL;
    w->out_keys = NULL;
    w->out_key_lens = NULL;
    if (w->map_pool)
        apr_pool_destroy(w->map_pool);
    w->map_pool = NULL;
    w->out_map = NULL;
    w->out_next = w->out_evict = 0;
}

static apr_status_t cleanup(void *data)
{
    free_caches(data);
    return APR_SUCCESS;
}

/* Fresh, empty caches of `size` entries each (as renegotiateWireFormat allocates them). */
static apr_status_t alloc_caches(ow_wire_t *w, int32_t size)
{
    free_caches(w);
    w->cache_size = size;
    if (!w->cache)
        return APR_SUCCESS;
    w->in_cache = calloc((size_t)size, sizeof *w->in_cache);
    w->out_keys = calloc((size_t)size, sizeof *w->out_keys);
    w->out_key_lens = calloc((size_t)size, sizeof *w->out_key_lens);
    if (!w->in_cache || !w->out_keys || !w->out_key_lens
        || apr_pool_create(&w->map_pool, w->pool) != APR_SUCCESS) {
        free_caches(w);
        return APR_ENOMEM;
    }
    w->out_map = apr_hash_make(w->map_pool);
    return APR_SUCCESS;
}

void ow_cache_reset(ow_wire_t *w)
{
    alloc_caches(w, w->cache_size);
}

/* A null object's key: one zero byte (Java caches null references too: HashMap allows a
 * null key, and a null cached field goes through addToMarshallCache like any other). */
static const uint8_t NULL_KEY[1] = { 0 };

int ow_out_cache_find(ow_wire_t *w, const uint8_t *key, size_t len, int16_t *idx)
{
    void *v = apr_hash_get(w->out_map, key, (apr_ssize_t)len);
    if (!v)
        return 0;
    *idx = (int16_t)((intptr_t)v - 1);
    return 1;
}

static void out_remove_slot(ow_wire_t *w, int32_t i)
{
    if (w->out_keys[i]) {
        apr_hash_set(w->out_map, w->out_keys[i], (apr_ssize_t)w->out_key_lens[i], NULL);
        free(w->out_keys[i]);
        w->out_keys[i] = NULL;
    } else {
        /* an empty slot is Java's null array element: remove(null) drops a cached null */
        apr_hash_set(w->out_map, NULL_KEY, 1, NULL);
    }
}

int16_t ow_out_cache_add(ow_wire_t *w, hm_wbuf_t *key)
{
    int32_t i = w->out_next++;
    if (w->out_next >= w->cache_size)
        w->out_next = 0;
    if ((int32_t)apr_hash_count(w->out_map) >= w->cache_size) {
        hm_wbuf_free(key);
        return -1;
    }
    if (w->out_keys[i])
        out_remove_slot(w, i);
    size_t len;
    uint8_t *k = hm_wbuf_detach(key, &len);
    w->out_keys[i] = k;
    w->out_key_lens[i] = len;
    apr_hash_set(w->out_map, k, (apr_ssize_t)len, (void *)(intptr_t)(i + 1));
    return (int16_t)i;
}

/* runMarshallCacheEvictionSweep: keep OW_CACHE_FREE_SPACE entries free, oldest first.  Java
 * loops forever when the cache is smaller than that; here an empty map ends the sweep. */
static void out_sweep(ow_wire_t *w)
{
    while ((int32_t)apr_hash_count(w->out_map) > w->cache_size - OW_CACHE_FREE_SPACE
           && apr_hash_count(w->out_map) > 0) {
        out_remove_slot(w, w->out_evict);
        if (++w->out_evict >= w->cache_size)
            w->out_evict = 0;
    }
}

/* After a frame that was not sent, the outbound cache may name values the peer never saw.
 * Forgetting every entry keeps both sides consistent: from now on each value goes out in full
 * with a fresh index, and the peer overwrites whatever it held at that index. */
static void out_forget(ow_wire_t *w)
{
    if (!w->cache || !w->out_keys)
        return;
    apr_hash_clear(w->out_map);      /* first: it reads the keys it removes */
    for (int32_t i = 0; i < w->cache_size; i++) {
        free(w->out_keys[i]);
        w->out_keys[i] = NULL;
    }
}

/* ---- state ---- */

apr_status_t ow_wire_create(apr_pool_t *pool, const ow_wire_opts_t *opts, ow_wire_t **out)
{
    ow_status_init();
    ow_wire_t *w = apr_pcalloc(pool, sizeof *w);
    if (!w)
        return APR_ENOMEM;
    w->pool = pool;
    if (opts)
        w->pref = *opts;
    else
        ow_wire_opts_default(&w->pref);
    if (w->pref.version < OW_MIN_VERSION || w->pref.version > OW_MAX_VERSION)
        return ow_fail(NULL, OW_EVERSION, "version");
    if (w->pref.cache_size < 0 || w->pref.cache_size > OW_MAX_CACHE_SIZE)
        return HM_EINVAL;
    /* The pre-negotiation format of OpenWireFormatFactory.createWireFormat: the preferred
     * version, loose, no cache, size prefix, no stack traces. */
    w->version = w->pref.version;
    w->max_frame_size = w->pref.max_frame_size > 0 ? w->pref.max_frame_size : OW_DEFAULT_MAX_FRAME_SIZE;
    /* a pre-cleanup: it runs before map_pool (a subpool) is destroyed with its parent */
    apr_pool_pre_cleanup_register(pool, w, cleanup);
    *out = w;
    return APR_SUCCESS;
}

const char *ow_wire_error(const ow_wire_t *w)
{
    return w->err;
}

void ow_wire_set_max_frame_size(ow_wire_t *w, int64_t max)
{
    w->max_frame_size = max > 0 ? max : OW_DEFAULT_MAX_FRAME_SIZE;
}

int32_t ow_wire_version(const ow_wire_t *w) { return w->version; }
int ow_wire_tight(const ow_wire_t *w) { return w->tight; }
int ow_wire_cache(const ow_wire_t *w) { return w->cache; }
int ow_wire_stack_trace(const ow_wire_t *w) { return w->stack_trace; }
int ow_wire_negotiated(const ow_wire_t *w) { return w->negotiated; }
int64_t ow_wire_max_frame_size(const ow_wire_t *w) { return w->max_frame_size; }
int64_t ow_wire_peer_max_inactivity_ms(const ow_wire_t *w) { return w->peer_inactivity; }
int64_t ow_wire_peer_max_inactivity_initial_delay_ms(const ow_wire_t *w)
{
    return w->peer_inactivity_delay;
}

apr_status_t ow_wire_force_format(ow_wire_t *w, int32_t version, int tight, int cache,
                                  int stack_trace, int size_prefix_disabled)
{
    if (version < OW_MIN_VERSION || version > OW_MAX_VERSION)
        return ow_fail(w, OW_EVERSION, "Invalid version: %d", (int)version);
    w->version = version;
    w->tight = !!tight;
    w->cache = !!cache;
    w->stack_trace = !!stack_trace;
    w->size_prefix_disabled = !!size_prefix_disabled;
    w->negotiated = 1;
    return alloc_caches(w, w->pref.cache_size ? w->pref.cache_size : OW_MAX_CACHE_SIZE);
}

static apr_status_t add_bool(ow_pmap_t *m, apr_pool_t *p, const char *name, int v)
{
    ow_pvalue_t pv = { .type = OW_PV_BOOLEAN, .u.b = !!v };
    return ow_props_add(m, p, name, &pv);
}

static apr_status_t add_long(ow_pmap_t *m, apr_pool_t *p, const char *name, int64_t v)
{
    ow_pvalue_t pv = { .type = OW_PV_LONG, .u.i64 = v };
    return ow_props_add(m, p, name, &pv);
}

static apr_status_t add_str(ow_pmap_t *m, apr_pool_t *p, const char *name, const char *v)
{
    ow_pvalue_t pv = { .type = OW_PV_STRING };
    pv.u.str.data = v;
    pv.u.str.len = (int32_t)strlen(v);
    return ow_props_add(m, p, name, &pv);
}

apr_status_t ow_wire_local_info(ow_wire_t *w, apr_pool_t *pool, ow_wire_format_info_t **out)
{
    ow_wire_format_info_t *i = (ow_wire_format_info_t *)ow_object_new(pool, OW_WIREFORMAT_INFO);
    ow_pmap_t *m = ow_props_new(pool, 0);
    if (!i || !m)
        return APR_ENOMEM;
    const ow_wire_opts_t *o = &w->pref;
    ow_pvalue_t cs = { .type = OW_PV_INT, .u.i32 = o->cache_size };
    apr_status_t st;
    if ((st = add_bool(m, pool, "TightEncodingEnabled", o->tight))
        || (st = add_bool(m, pool, "CacheEnabled", o->cache))
        || (st = ow_props_add(m, pool, "CacheSize", &cs))
        || (st = add_bool(m, pool, "SizePrefixDisabled", o->size_prefix_disabled))
        || (st = add_bool(m, pool, "StackTraceEnabled", o->stack_trace))
        || (st = add_bool(m, pool, "TcpNoDelayEnabled", o->tcp_no_delay))
        || (st = add_long(m, pool, "MaxInactivityDuration", o->max_inactivity_ms))
        || (st = add_long(m, pool, "MaxInactivityDurationInitalDelay",
                          o->max_inactivity_initial_delay_ms))
        || (st = add_long(m, pool, "MaxFrameSize", o->max_frame_size))
        || (st = add_str(m, pool, "ProviderName", "hermod"))
        || (st = add_str(m, pool, "ProviderVersion", "1.0"))
        || (st = add_str(m, pool, "PlatformDetails", "hermod OpenWire broker (C)")))
        return st;
    hm_wbuf_t b;
    hm_wbuf_init(&b, 1 << 20);
    if ((st = ow_props_encode(m, &b))) {
        hm_wbuf_free(&b);
        return st;
    }
    i->marshalled_properties.data = apr_pmemdup(pool, b.data, b.len);
    i->marshalled_properties.len = (int32_t)b.len;
    hm_wbuf_free(&b);
    i->magic.data = MAGIC;
    i->magic.len = sizeof MAGIC;
    i->version = o->version;
    *out = i;
    return APR_SUCCESS;
}

/* WireFormatInfo.isXxx(): only a boolean true counts. */
static int prop_true(const ow_pmap_t *m, const char *name)
{
    const ow_pvalue_t *v = m ? ow_props_get(m, name) : NULL;
    return v && v->type == OW_PV_BOOLEAN && v->u.b;
}

static int64_t prop_long(const ow_pmap_t *m, const char *name)
{
    const ow_pvalue_t *v = m ? ow_props_get(m, name) : NULL;
    return v && v->type == OW_PV_LONG ? v->u.i64 : 0;
}

static int32_t prop_int(const ow_pmap_t *m, const char *name)
{
    const ow_pvalue_t *v = m ? ow_props_get(m, name) : NULL;
    return v && v->type == OW_PV_INT ? v->u.i32 : 0;
}

/* OpenWireFormat.min: the smaller one, except that a non-positive value loses. */
static int64_t java_min(int64_t a, int64_t b)
{
    return (a < b && a > 0) || b <= 0 ? a : b;
}

apr_status_t ow_wire_negotiate(ow_wire_t *w, const ow_wire_format_info_t *peer)
{
    if (!peer->magic.data || peer->magic.len != 8 || memcmp(peer->magic.data, MAGIC, 8) != 0)
        return ow_fail(w, OW_EBAD_MAGIC, "Remote wire format magic is invalid");
    if (peer->version < 1)
        return ow_fail(w, OW_EVERSION, "Remote wire format (%d) is lower the minimum version required (1)",
                       (int)peer->version);
    apr_pool_t *tmp;
    if (apr_pool_create(&tmp, w->pool) != APR_SUCCESS)
        return APR_ENOMEM;
    ow_pmap_t *m = NULL;
    apr_status_t st = APR_SUCCESS;
    if (peer->marshalled_properties.data
        && (st = ow_props_decode(peer->marshalled_properties.data,
                                 (size_t)peer->marshalled_properties.len, tmp, &m))) {
        apr_pool_destroy(tmp);
        return ow_fail(w, st, "malformed WireFormatInfo properties");
    }
    const ow_wire_opts_t *o = &w->pref;
    int32_t version = (int32_t)java_min(o->version, peer->version);
    if (version < OW_MIN_VERSION || version > OW_MAX_VERSION) {
        apr_pool_destroy(tmp);
        return ow_fail(w, OW_EVERSION, "Invalid version: %d", (int)version);
    }
    int64_t peer_max = prop_long(m, "MaxFrameSize");
    int cache = prop_true(m, "CacheEnabled") && o->cache;
    int64_t cache_size = prop_int(m, "CacheSize");
    w->version = version;
    w->max_frame_size = java_min(o->max_frame_size, peer_max);
    if (w->max_frame_size <= 0)
        w->max_frame_size = OW_DEFAULT_MAX_FRAME_SIZE;
    w->stack_trace = prop_true(m, "StackTraceEnabled") && o->stack_trace;
    w->tcp_no_delay = prop_true(m, "TcpNoDelayEnabled") && o->tcp_no_delay;
    w->tight = prop_true(m, "TightEncodingEnabled") && o->tight;
    w->size_prefix_disabled = prop_true(m, "SizePrefixDisabled") && o->size_prefix_disabled;
    w->peer_inactivity = prop_long(m, "MaxInactivityDuration");
    w->peer_inactivity_delay = prop_long(m, "MaxInactivityDurationInitalDelay");
    apr_pool_destroy(tmp);
    w->cache = cache;
    int32_t size = 0;
    if (cache) {
        int64_t s = o->cache_size < cache_size ? o->cache_size : cache_size;
        if (s < 0)
            return ow_fail(w, HM_EMALFORMED, "negative CacheSize %lld", (long long)cache_size);
        size = s == 0 ? OW_MAX_CACHE_SIZE : (int32_t)s;
    }
    w->negotiated = 1;
    return alloc_caches(w, size);
}

/* ---- frames ---- */

size_t ow_decode_need(const ow_wire_t *w, const uint8_t *buf, size_t len)
{
    if (w->size_prefix_disabled || len < 4)
        return 0;
    uint32_t size = ((uint32_t)buf[0] << 24) | ((uint32_t)buf[1] << 16) | ((uint32_t)buf[2] << 8) | buf[3];
    return size > INT32_MAX ? 0 : 4 + (size_t)size;
}

apr_status_t ow_decode(ow_wire_t *w, const uint8_t *buf, size_t len, apr_pool_t *pool,
                       ow_command_t **out, size_t *consumed)
{
    hm_rd_t rd;
    size_t head = 0;
    *out = NULL;
    *consumed = 0;
    w->err[0] = 0;
    /* before the handshake only a WireFormatInfo may come: a few kilobytes at most */
    int64_t max = w->negotiated || w->max_frame_size < OW_HANDSHAKE_MAX_FRAME_SIZE
                  ? w->max_frame_size : OW_HANDSHAKE_MAX_FRAME_SIZE;
    if (!w->size_prefix_disabled) {
        if (len < 4)
            return HM_EINCOMPLETE;
        int32_t size = (int32_t)(((uint32_t)buf[0] << 24) | ((uint32_t)buf[1] << 16)
                                 | ((uint32_t)buf[2] << 8) | buf[3]);
        if (size > max)
            return ow_fail(w, HM_ETOOBIG, "frame of %d bytes exceeds %s %lld", (int)size,
                           w->negotiated ? "maxFrameSize" : "the limit before the handshake",
                           (long long)max);
        if (size < 1)
            return ow_fail(w, HM_EMALFORMED, "frame size %d", (int)size);
        if (len - 4 < (size_t)size)
            return HM_EINCOMPLETE;
        hm_rd_init_whole(&rd, buf + 4, (size_t)size);
        head = 4;
    } else {
        hm_rd_init(&rd, buf, len);
    }
    uint8_t type = hm_rd_u8(&rd);
    if (!hm_rd_ok(&rd))
        return HM_EINCOMPLETE;
    if (type != OW_NULL_TYPE) {
        const ow_type_desc_t *d = ow_desc_v(type, w->version);
        if (!d)
            return ow_fail(w, OW_EUNKNOWN_TYPE, "Unknown data type: %d", (int8_t)type);
        if (!d->is_command)
            return ow_fail(w, OW_EBAD_TYPE, "a %s is not a command", d->name);
        ow_object_t *o;
        apr_status_t st = ow_unmarshal_body(w, &rd, pool, type, &o);
        if (st == HM_EINCOMPLETE && !head && (int64_t)len >= max)
            return ow_fail(w, HM_ETOOBIG, "unprefixed frame longer than maxFrameSize %lld",
                           (long long)max);
        if (st == HM_EINCOMPLETE)
            return st;
        if (st)
            return st;
        *out = (ow_command_t *)o;
    }
    if (head && hm_rd_left(&rd) > 0)
        return ow_fail(w, HM_EMALFORMED, "%zu bytes after the %s in its frame", hm_rd_left(&rd),
                       ow_type_name(type));
    *consumed = head + rd.pos;
    return APR_SUCCESS;
}

apr_status_t ow_encode(ow_wire_t *w, const ow_command_t *cmd, hm_wbuf_t *out)
{
    w->err[0] = 0;
    if (w->cache)
        out_sweep(w);
    size_t start = out->len;
    if (!cmd) {
        if (!w->size_prefix_disabled)
            hm_wbuf_be32(out, 1);
        hm_wbuf_u8(out, OW_NULL_TYPE);
        return out->err;
    }
    const ow_type_desc_t *d = ow_desc_v(cmd->obj.type, w->version);
    if (!d)
        return ow_fail(w, OW_EUNKNOWN_TYPE, "Unknown data type: %d", cmd->obj.type);
    if (!d->is_command)
        return ow_fail(w, HM_EINVAL, "a %s is not a command", d->name);
    if (!w->size_prefix_disabled)
        hm_wbuf_be32(out, 0);
    hm_wbuf_u8(out, cmd->obj.type);
    apr_status_t st = ow_marshal_body(w, &cmd->obj, out);
    if (!st && out->err)
        st = ow_fail(w, out->err, "output buffer full or out of memory");
    if (st) {
        if (out->len >= start && !out->err)
            out->len = start;
        out_forget(w);
        return st;
    }
    size_t size = out->len - start - (w->size_prefix_disabled ? 0 : 4);
    if (w->tight && (int64_t)size > w->max_frame_size) {
        out->len = start;
        out_forget(w);
        return ow_fail(w, HM_ETOOBIG, "frame of %zu bytes exceeds maxFrameSize %lld", size,
                       (long long)w->max_frame_size);
    }
    if (size > INT32_MAX) {
        out->len = start;
        out_forget(w);
        return ow_fail(w, HM_ETOOBIG, "frame of %zu bytes", size);
    }
    if (!w->size_prefix_disabled)
        hm_wbuf_patch_be32(out, start, (uint32_t)size);
    return APR_SUCCESS;
}
