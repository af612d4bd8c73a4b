/* Event loops, listeners and connections.
 *
 * Each loop thread owns an apr_pollset and the connections assigned to it; only that thread
 * reads from them, writes to them, and adds or removes them from its pollset.  Other threads
 * (delivering messages to consumers) append to a connection's output under its lock and wake the
 * owning loop, which flushes.  Loop 0 also accepts and hands connections out round-robin. */
#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <apr_atomic.h>
#include <apr_network_io.h>
#include <apr_poll.h>
#include <apr_ring.h>
#include <apr_strings.h>
#include <apr_thread_mutex.h>
#include <apr_thread_proc.h>

#include "hm_addrlimit.h"
#include "hm_log.h"
#include "hm_limits.h"
#include "hm_server.h"
#include "hm_transport.h"

#define READ_BUDGET  (1024 * 1024)    /* bytes read from one connection per wake-up */
#define IOV_MAX_HM   64
#define CLOSE_GRACE  apr_time_from_sec(2)

typedef struct hm_loop_s hm_loop_t;

typedef struct out_chunk_s {
    APR_RING_ENTRY(out_chunk_s) link;
    uint8_t *data;
    size_t len, off;
} out_chunk_t;
APR_RING_HEAD(out_ring_s, out_chunk_s);

/* Poll events carry either a listener or a connection; both start with this tag. */
enum { EV_LISTENER = 1, EV_CONN = 2 };

typedef struct hm_listener_s {
    int kind;
    hm_server_t *srv;
    char *name;
    apr_socket_t *sock;
    const hm_proto_t *protos[HM_MAX_LISTEN_PROTOS];   /* one, or the candidates auto:// sniffs */
    int nprotos;
    hm_tls_ctx_t *tls;                   /* NULL: plain TCP */
    hm_listen_opts_t opts;
    volatile apr_uint32_t active;
    hm_addrlimit_t *per_address;         /* maximumConnectionsPerAddress; NULL: no limit */
    apr_time_t per_address_logged;       /* accepting loop only */
    apr_pollfd_t pfd;
} hm_listener_t;

struct hm_conn_s {
    int kind;
    APR_RING_ENTRY(hm_conn_s) link;
    apr_pool_t *pool;
    apr_socket_t *sock;
    hm_transport_t *t;                   /* every byte in and out goes through it */
    const hm_proto_t *proto;             /* NULL until the first bytes name it (auto://) */
    hm_loop_t *loop;
    hm_listener_t *lst;
    void *pstate;
    int opened;
    uint8_t *in;
    size_t in_len, in_cap, in_max;
    size_t want;                         /* bytes the frame being received needs (hm_conn_expect) */
    size_t budget_wait;                  /* input capacity waiting for the server's budget */
    apr_time_t budget_since;             /* when it began to wait */
    apr_time_t handshake_deadline;       /* 0: handshake done (in_max is then the frame limit) */
    apr_thread_mutex_t *out_lock;
    struct out_ring_s out;
    _Atomic size_t out_queued;           /* bytes queued and not yet written */
    size_t drain_below;                  /* hm_conn_wake_when_drained: kick when queued <= this */
    int drain_watch;
    volatile apr_uint32_t out_pending;   /* output queued since the loop last flushed */
    int pollout;                         /* POLLOUT currently requested */
    int read_wants_out;                  /* TLS: a read waits for the socket to be writable */
    int write_wants_in;                  /* TLS: a write waits for the socket to be readable */
    int in_paused;                       /* input not read nor fed (hm_conn_pause_input) */
    int refeed;                          /* buffered input to feed once input restarts */
    volatile apr_uint32_t kicked;        /* hm_conn_kick: run the protocol's resume */
    int closing;
    apr_time_t close_deadline;
    char peer[64];
    char *addr;                          /* counted in lst->per_address (the remote ip) */
    apr_pollfd_t pfd;
};
APR_RING_HEAD(conn_ring_s, hm_conn_s);

struct hm_loop_s {
    hm_server_t *srv;
    int index;
    apr_pool_t *pool;
    apr_pollset_t *ps;
    apr_thread_t *thread;
    struct conn_ring_s conns;
    apr_thread_mutex_t *inbox_lock;
    apr_array_header_t *inbox;           /* hm_conn_t* handed over by the accepting loop */
    apr_time_t last_tick;
};

struct hm_server_s {
    apr_pool_t *pool;
    hm_broker_t *broker;
    int nloops;
    hm_loop_t **loops;
    apr_array_header_t *listeners;       /* hm_listener_t* */
    volatile apr_uint32_t stop;
    apr_uint32_t next_loop;
    int64_t input_budget;                /* bytes above HM_INPUT_BASE, all connections */
    atomic_llong input_charged;
};

static _Thread_local hm_loop_t *current_loop;

/* ------------------------------------------------------------------ connections */

void hm_conn_send(hm_conn_t *c, uint8_t *data, size_t len)
{
    out_chunk_t *ch = malloc(sizeof *ch);
    if (!ch) {
        free(data);
        return;
    }
    ch->data = data;
    ch->len = len;
    ch->off = 0;
    atomic_fetch_add(&c->out_queued, len);
    apr_thread_mutex_lock(c->out_lock);
    APR_RING_INSERT_TAIL(&c->out, ch, out_chunk_s, link);
    apr_thread_mutex_unlock(c->out_lock);
    if (apr_atomic_xchg32(&c->out_pending, 1) == 0 && current_loop != c->loop)
        apr_pollset_wakeup(c->loop->ps);
}

void hm_conn_close(hm_conn_t *c, const char *reason)
{
    if (!c->closing) {
        c->closing = 1;
        c->close_deadline = apr_time_now() + CLOSE_GRACE;
        if (reason)
            hm_info("closing connection %s: %s", c->peer, reason);
    }
}

apr_pool_t *hm_conn_pool(hm_conn_t *c) { return c->pool; }
const char *hm_conn_peer(const hm_conn_t *c) { return c->peer; }
const char *hm_conn_peer_subject(hm_conn_t *c) { return hm_transport_peer_subject(c->t); }
int hm_conn_is_tls(const hm_conn_t *c) { return c->lst->tls != NULL; }
hm_broker_t *hm_conn_broker(const hm_conn_t *c) { return c->lst->srv->broker; }
const hm_listen_opts_t *hm_conn_opts(const hm_conn_t *c) { return &c->lst->opts; }

static void set_events(hm_conn_t *c)
{
    apr_pollset_remove(c->loop->ps, &c->pfd);
    c->pfd.reqevents = (c->in_paused || c->budget_wait ? (c->write_wants_in ? APR_POLLIN : 0) : APR_POLLIN) |
                       (c->pollout || c->read_wants_out ? APR_POLLOUT : 0);
    apr_pollset_add(c->loop->ps, &c->pfd);
}

static void set_pollout(hm_conn_t *c, int on)
{
    if (c->pollout == on)
        return;
    c->pollout = on;
    set_events(c);
}

size_t hm_conn_output_queued(hm_conn_t *c)
{
    return atomic_load(&c->out_queued);
}

void hm_conn_wake_when_drained(hm_conn_t *c, size_t below)
{
    c->drain_below = below;
    c->drain_watch = 1;
    if (atomic_load(&c->out_queued) <= below) {
        c->drain_watch = 0;
        hm_conn_kick(c);
    }
}

void hm_conn_kick(hm_conn_t *c)
{
    if (apr_atomic_xchg32(&c->kicked, 1) == 0 && current_loop != c->loop)
        apr_pollset_wakeup(c->loop->ps);
}

void hm_conn_pause_input(hm_conn_t *c, int paused)
{
    paused = paused != 0;
    if (c->in_paused == paused)
        return;
    c->in_paused = paused;
    if (!paused)
        c->refeed = 1;
    set_events(c);
}

/* Writes as much queued output as the socket takes.  Returns non-zero on a write error. */
static int conn_flush(hm_conn_t *c)
{
    apr_atomic_set32(&c->out_pending, 0);
    for (;;) {
        struct iovec iov[IOV_MAX_HM];
        int n = 0;
        apr_thread_mutex_lock(c->out_lock);
        out_chunk_t *ch;
        APR_RING_FOREACH(ch, &c->out, out_chunk_s, link) {
            if (n == IOV_MAX_HM)
                break;
            iov[n].iov_base = ch->data + ch->off;
            iov[n].iov_len = ch->len - ch->off;
            n++;
        }
        apr_thread_mutex_unlock(c->out_lock);
        if (n == 0) {
            set_pollout(c, 0);
            return 0;
        }
        size_t written = 0;
        apr_status_t st = hm_transport_sendv(c->t, iov, n, &written);
        if (st != APR_SUCCESS && !APR_STATUS_IS_EAGAIN(st)) {
            hm_info("connection %s: write failed: %s; closing", c->peer, hm_strerror(st));
            return 1;
        }
        atomic_fetch_sub(&c->out_queued, written);
        if (c->drain_watch && atomic_load(&c->out_queued) <= c->drain_below) {
            c->drain_watch = 0;
            hm_conn_kick(c);
        }
        apr_thread_mutex_lock(c->out_lock);
        while (written > 0) {
            ch = APR_RING_FIRST(&c->out);
            size_t left = ch->len - ch->off;
            if (written < left) {
                ch->off += written;
                break;
            }
            written -= left;
            APR_RING_REMOVE(ch, link);
            free(ch->data);
            free(ch);
        }
        int more = !APR_RING_EMPTY(&c->out, out_chunk_s, link);
        apr_thread_mutex_unlock(c->out_lock);
        if (APR_STATUS_IS_EAGAIN(st) && hm_transport_wants(c->t) == APR_POLLIN) {
            c->write_wants_in = 1;    /* TLS handshake: the peer must speak first */
            set_events(c);
            return 0;
        }
        if (APR_STATUS_IS_EAGAIN(st) || (more && st != APR_SUCCESS)) {
            set_pollout(c, 1);
            return 0;
        }
        if (!more) {
            set_pollout(c, 0);
            return 0;
        }
    }
}

/* A flush from a poll event: clears what the transport waited for before writing again. */
static int conn_flush_again(hm_conn_t *c)
{
    if (c->write_wants_in) {
        c->write_wants_in = 0;
        set_events(c);
    }
    return conn_flush(c);
}

static int conn_has_output(hm_conn_t *c)
{
    apr_thread_mutex_lock(c->out_lock);
    int more = !APR_RING_EMPTY(&c->out, out_chunk_s, link);
    apr_thread_mutex_unlock(c->out_lock);
    return more;
}

/* ---- input buffers: the pre-handshake limit, the frame limit and the server-wide budget ---- */

static int64_t charge_of(size_t cap)
{
    return cap > HM_INPUT_BASE ? (int64_t)(cap - HM_INPUT_BASE) : 0;
}

static hm_server_t *conn_server(const hm_conn_t *c) { return c->lst->srv; }

/* Resizes the input buffer to cap bytes, taking or giving back budget.  1: done; 0: the budget
 * is exhausted (the connection stops being read until hm_server retries); -1: closed. */
static int input_resize(hm_conn_t *c, size_t cap)
{
    hm_server_t *s = conn_server(c);
    if (cap > c->in_max) {
        hm_warn("connection %s: a frame of %zu bytes is over the %zu-byte limit%s; closing", c->peer,
                cap, c->in_max, c->handshake_deadline ? " before the handshake"
                                : c->in_max == HM_PRELOGIN_INPUT_MAX ? " before login" : "");
        hm_conn_close(c, NULL);
        c->closing = 1;
        c->close_deadline = 0;
        return -1;
    }
    if (charge_of(cap) > s->input_budget) {       /* could never fit, even alone */
        hm_warn("connection %s: a frame of %zu bytes is over the broker's inputBufferLimit of %"
                APR_INT64_T_FMT " bytes; closing", c->peer, cap, s->input_budget);
        hm_conn_close(c, NULL);
        c->closing = 1;
        c->close_deadline = 0;
        return -1;
    }
    int64_t delta = charge_of(cap) - charge_of(c->in_cap);
    if (delta > 0 && atomic_fetch_add(&s->input_charged, delta) + delta > s->input_budget) {
        atomic_fetch_sub(&s->input_charged, delta);
        if (!c->budget_wait) {
            hm_warn("connection %s: input budget of %" APR_INT64_T_FMT " bytes in use; not reading "
                    "it until others finish their frames", c->peer, s->input_budget);
            c->budget_since = apr_time_now();
        }
        c->budget_wait = cap;
        set_events(c);
        return 0;
    }
    uint8_t *in = realloc(c->in, cap);
    if (!in) {
        if (delta > 0)
            atomic_fetch_sub(&s->input_charged, delta);
        hm_conn_close(c, "out of memory for input");
        return -1;
    }
    if (delta < 0)
        atomic_fetch_add(&s->input_charged, delta);
    c->in = in;
    c->in_cap = cap;
    if (c->budget_wait) {
        c->budget_wait = 0;
        set_events(c);
    }
    return 1;
}

/* Large buffers go back once their frame is handled: an idle connection keeps the base size. */
static void input_shrink(hm_conn_t *c)
{
    if (c->in_cap > HM_INPUT_BASE && c->in_len <= HM_INPUT_BASE && c->want <= HM_INPUT_BASE)
        input_resize(c, HM_INPUT_BASE);
}

/* The capacity for the next read once the buffer is full: double, but no more than the frame
 * being received needs (the protocol said, hm_conn_expect).  Buffers grow with the bytes that
 * arrive, not with what a header declares, so a peer holds only the budget it filled. */
static size_t input_next_cap(const hm_conn_t *c)
{
    size_t cap = c->in_cap * 2;
    if (c->want > c->in_cap && cap > c->want)
        cap = c->want;
    return cap > c->in_max ? (c->in_cap < c->in_max ? c->in_max : c->in_cap + 1) : cap;
}

void hm_conn_expect(hm_conn_t *c, size_t bytes)
{
    c->want = bytes;
    if (bytes > c->in_max && !c->closing) {
        /* it could never be taken: close now rather than when its bytes filled the limit */
        hm_warn("connection %s: a frame of %zu bytes is declared, over the %zu-byte limit%s; closing",
                c->peer, bytes, c->in_max, c->handshake_deadline ? " before the handshake"
                : c->in_max == HM_PRELOGIN_INPUT_MAX ? " before login" : "");
        c->closing = 1;
        c->close_deadline = 0;
    }
}

static size_t frame_limit(const hm_conn_t *c)
{
    return (size_t)(c->lst->opts.max_frame_size > 0 ? c->lst->opts.max_frame_size : 100 << 20) + 4096;
}

void hm_conn_handshake_done(hm_conn_t *c)
{
    if (!c->handshake_deadline)
        return;
    c->handshake_deadline = 0;
    c->in_max = frame_limit(c);
}

void hm_conn_login_wait(hm_conn_t *c, int waiting)
{
    size_t full = frame_limit(c);
    c->in_max = waiting && full > HM_PRELOGIN_INPUT_MAX ? HM_PRELOGIN_INPUT_MAX : full;
}

static void conn_destroy(hm_conn_t *c)
{
    if (c->pstate && c->proto->close)
        c->proto->close(c->pstate);
    apr_pollset_remove(c->loop->ps, &c->pfd);
    APR_RING_REMOVE(c, link);
    if (c->t)
        hm_transport_shutdown(c->t);
    apr_socket_close(c->sock);
    while (!APR_RING_EMPTY(&c->out, out_chunk_s, link)) {
        out_chunk_t *ch = APR_RING_FIRST(&c->out);
        APR_RING_REMOVE(ch, link);
        free(ch->data);
        free(ch);
    }
    free(c->in);
    atomic_fetch_sub(&conn_server(c)->input_charged, charge_of(c->in_cap));
    apr_atomic_dec32(&c->lst->active);
    if (c->addr)
        hm_addrlimit_give(c->lst->per_address, c->addr);
    hm_debug("connection %s closed", c->peer);
    apr_pool_destroy(c->pool);
}

static void conn_open_protocol(hm_conn_t *c, const hm_proto_t *proto)
{
    c->proto = proto;
    if (proto->open(c, &c->pstate) != APR_SUCCESS) {
        hm_conn_close(c, "protocol refused the connection");
        return;
    }
    c->opened = 1;
}

/* auto://: the first bytes name the protocol (each candidate's sniff).  1: identified and opened;
 * 0: not yet (more bytes needed) or never (the connection is closing). */
static int conn_identify(hm_conn_t *c)
{
    int undecided = 0;
    for (int i = 0; i < c->lst->nprotos; i++) {
        const hm_proto_t *p = c->lst->protos[i];
        int r = p->sniff ? p->sniff(c->in, c->in_len) : 0;
        if (r > 0) {
            hm_debug("connection %s: speaks %s", c->peer, p->name);
            conn_open_protocol(c, p);
            return c->opened && !c->closing;
        }
        undecided |= r < 0;
    }
    if (!undecided) {
        hm_warn("connection %s: its first bytes are none of the protocols of %s; closing",
                c->peer, c->lst->name);
        c->closing = 1;
        c->close_deadline = 0;
    }
    return 0;
}

/* Feeds buffered bytes to the protocol until it needs more; compacts what is left. */
static void conn_feed(hm_conn_t *c)
{
    size_t off = 0;
    while (off < c->in_len && !c->closing && !c->in_paused) {
        size_t used = 0;
        c->want = 0;
        if (!c->proto && !conn_identify(c))
            return;
        apr_status_t st = c->proto->input(c->pstate, c->in + off, c->in_len - off, &used);
        if (st != APR_SUCCESS) {
            hm_conn_close(c, NULL);
            c->in_len = 0;
            return;
        }
        if (used == 0)
            break;
        off += used;
        /* answers and deliveries go out between chunks, not after a whole burst of input */
        if (apr_atomic_read32(&c->out_pending) && conn_flush(c)) {
            c->closing = 1;
            c->close_deadline = 0;
        }
    }
    if (off > 0) {
        memmove(c->in, c->in + off, c->in_len - off);
        c->in_len -= off;
    }
    if (c->in_cap > HM_INPUT_SHRINK_AT)
        input_shrink(c);          /* smaller ones go back on the next tick (no realloc churn) */
}

static void conn_read(hm_conn_t *c)
{
    size_t budget = READ_BUDGET;
    while (!c->closing && budget > 0 && !c->budget_wait) {
        if (c->in_len == c->in_cap && input_resize(c, input_next_cap(c)) <= 0)
            return;
        size_t n = c->in_cap - c->in_len;
        apr_status_t st = hm_transport_recv(c->t, c->in + c->in_len, &n);
        if (n > 0) {
            if (c->read_wants_out) {
                c->read_wants_out = 0;
                set_events(c);
            }
            c->in_len += n;
            budget = budget > n ? budget - n : 0;
            conn_feed(c);
        }
        if (st == APR_EOF) {
            c->closing = 1;           /* peer went away: nothing more to write */
            c->close_deadline = 0;
            return;
        }
        if (APR_STATUS_IS_EAGAIN(st)) {
            int out = hm_transport_wants(c->t) == APR_POLLOUT;
            if (out != c->read_wants_out) {
                c->read_wants_out = out;  /* TLS handshake: our answer must go out first */
                set_events(c);
            }
            return;
        }
        if (st != APR_SUCCESS) {
            hm_info("connection %s: read failed: %s; closing", c->peer, hm_strerror(st));
            c->closing = 1;
            c->close_deadline = 0;
            return;
        }
    }
}

static void conn_start(hm_loop_t *l, hm_conn_t *c)
{
    c->loop = l;
    APR_RING_INSERT_TAIL(&l->conns, c, hm_conn_s, link);
    c->pfd.desc_type = APR_POLL_SOCKET;
    c->pfd.desc.s = c->sock;
    c->pfd.reqevents = APR_POLLIN;
    c->pfd.client_data = c;
    apr_pollset_add(l->ps, &c->pfd);
    if (c->lst->nprotos == 1)
        conn_open_protocol(c, c->lst->protos[0]);
}

/* ------------------------------------------------------------------ accepting */

static void accept_all(hm_loop_t *l, hm_listener_t *lst)
{
    hm_server_t *s = l->srv;
    for (;;) {
        apr_pool_t *p;
        if (apr_pool_create(&p, NULL) != APR_SUCCESS)
            return;
        apr_socket_t *sock;
        apr_status_t st = apr_socket_accept(&sock, lst->sock, p);
        if (st != APR_SUCCESS) {
            apr_pool_destroy(p);
            if (!APR_STATUS_IS_EAGAIN(st))
                hm_warn("accept on %s: %s", lst->name, hm_strerror(st));
            return;
        }
        apr_sockaddr_t *sa = NULL;
        char *ip = NULL;
        apr_socket_addr_get(&sa, APR_REMOTE, sock);
        if (sa)
            apr_sockaddr_ip_get(&ip, sa);
        if (lst->opts.max_connections > 0 &&
            apr_atomic_read32(&lst->active) >= (apr_uint32_t)lst->opts.max_connections) {
            hm_warn("refusing connection from %s on %s: maximumConnections %d reached",
                    ip ? ip : "?", lst->name, lst->opts.max_connections);
            apr_socket_close(sock);
            apr_pool_destroy(p);
            continue;
        }
        if (lst->per_address && ip && !hm_addrlimit_take(lst->per_address, ip)) {
            if (apr_time_now() - lst->per_address_logged > apr_time_from_sec(HM_REFUSAL_LOG_INTERVAL_S)) {
                lst->per_address_logged = apr_time_now();   /* one flooding host, few log lines */
                hm_warn("refusing connections from %s on %s: maximumConnectionsPerAddress %d reached",
                        ip, lst->name, lst->opts.max_connections_per_address);
            }
            apr_socket_close(sock);
            apr_pool_destroy(p);
            continue;
        }
        apr_socket_opt_set(sock, APR_SO_NONBLOCK, 1);
        apr_socket_timeout_set(sock, 0);
        apr_socket_opt_set(sock, APR_TCP_NODELAY, 1);
        hm_conn_t *c = apr_pcalloc(p, sizeof *c);
        c->addr = lst->per_address && ip ? apr_pstrdup(p, ip) : NULL;
        c->kind = EV_CONN;
        c->pool = p;
        c->sock = sock;
        c->lst = lst;
        c->in_cap = HM_HANDSHAKE_INPUT_MAX;
        c->in = malloc(c->in_cap);
        c->in_max = HM_HANDSHAKE_INPUT_MAX;
        int64_t cto = lst->opts.connect_timeout_ms > 0 ? lst->opts.connect_timeout_ms
                                                       : HM_DEFAULT_CONNECT_TIMEOUT_MS;
        c->handshake_deadline = apr_time_now() + apr_time_from_msec(cto);
        if (!c->in || apr_thread_mutex_create(&c->out_lock, APR_THREAD_MUTEX_DEFAULT, p)) {
            free(c->in);
            if (c->addr)
                hm_addrlimit_give(lst->per_address, c->addr);
            apr_socket_close(sock);
            apr_pool_destroy(p);
            continue;
        }
        APR_RING_INIT(&c->out, out_chunk_s, link);
        apr_port_t port = sa ? sa->port : 0;
        apr_snprintf(c->peer, sizeof c->peer, "%s:%u", ip ? ip : "?", (unsigned)port);
        if (hm_transport_open(p, sock, lst->tls, c->peer, &c->t) != APR_SUCCESS) {
            hm_warn("connection %s on %s: cannot set up its transport", c->peer, lst->name);
            free(c->in);
            if (c->addr)
                hm_addrlimit_give(lst->per_address, c->addr);
            apr_socket_close(sock);
            apr_pool_destroy(p);
            continue;
        }
        apr_atomic_inc32(&lst->active);
        hm_debug("connection %s accepted on %s", c->peer, lst->name);
        hm_loop_t *to = s->loops[apr_atomic_inc32(&s->next_loop) % (apr_uint32_t)s->nloops];
        if (to == l) {
            conn_start(l, c);
        } else {
            apr_thread_mutex_lock(to->inbox_lock);
            APR_ARRAY_PUSH(to->inbox, hm_conn_t *) = c;
            apr_thread_mutex_unlock(to->inbox_lock);
            apr_pollset_wakeup(to->ps);
        }
    }
}

/* ------------------------------------------------------------------ loops */

static void loop_housekeeping(hm_loop_t *l)
{
    apr_thread_mutex_lock(l->inbox_lock);
    apr_array_header_t *in = l->inbox;
    int n = in->nelts;
    hm_conn_t *fresh[64];
    int take = n > 64 ? 64 : n;
    for (int i = 0; i < take; i++)
        fresh[i] = APR_ARRAY_IDX(in, i, hm_conn_t *);
    memmove(in->elts, in->elts + take * sizeof(hm_conn_t *), (size_t)(n - take) * sizeof(hm_conn_t *));
    in->nelts = n - take;
    apr_thread_mutex_unlock(l->inbox_lock);
    for (int i = 0; i < take; i++)
        conn_start(l, fresh[i]);
    if (n > take)
        apr_pollset_wakeup(l->ps);

    apr_time_t now = apr_time_now();
    int tick = now - l->last_tick >= apr_time_from_sec(1);
    if (tick)
        l->last_tick = now;
    if (l->index == 0)
        hm_broker_tick(l->srv->broker, now);
    hm_conn_t *c = APR_RING_FIRST(&l->conns);
    while (c != APR_RING_SENTINEL(&l->conns, hm_conn_s, link)) {
        hm_conn_t *next = APR_RING_NEXT(c, link);
        if (!c->closing && c->handshake_deadline && now >= c->handshake_deadline) {
            hm_warn("connection %s: no handshake within %" APR_INT64_T_FMT " ms "
                    "(transport.connectAttemptTimeout); closing", c->peer,
                    c->lst->opts.connect_timeout_ms > 0 ? c->lst->opts.connect_timeout_ms
                                                        : (int64_t)HM_DEFAULT_CONNECT_TIMEOUT_MS);
            c->closing = 1;
            c->close_deadline = 0;
        }
        if (c->budget_wait && !c->closing &&
            now - c->budget_since > apr_time_from_sec(HM_INPUT_BUDGET_WAIT_S)) {
            hm_warn("connection %s: no input budget for %d s; closing", c->peer, HM_INPUT_BUDGET_WAIT_S);
            c->closing = 1;   /* frees what it holds: waiters behind it, or a deadlock of them, go on */
            c->close_deadline = 0;
        } else if (c->budget_wait && !c->closing && input_resize(c, c->budget_wait) > 0)
            conn_read(c);
        else if (!c->closing && !c->in_paused && !c->budget_wait && hm_transport_pending(c->t))
            conn_read(c);             /* TLS bytes already decrypted: poll cannot report them */
        if (tick && !c->closing && !c->budget_wait)
            input_shrink(c);
        if (tick && !c->closing && c->opened && c->proto->tick)
            c->proto->tick(c->pstate, now);
        if (apr_atomic_read32(&c->kicked) && apr_atomic_xchg32(&c->kicked, 0) && !c->closing &&
            c->opened && c->proto->resume)
            c->proto->resume(c->pstate);
        if (c->refeed && !c->in_paused && !c->closing) {
            c->refeed = 0;
            conn_feed(c);
        }
        if (apr_atomic_read32(&c->out_pending) && conn_flush(c)) {
            c->closing = 1;
            c->close_deadline = 0;
        }
        if (c->closing && (!conn_has_output(c) || now >= c->close_deadline))
            conn_destroy(c);
        c = next;
    }
}

static void *APR_THREAD_FUNC loop_main(apr_thread_t *t, void *arg)
{
    hm_loop_t *l = arg;
    hm_server_t *s = l->srv;
    current_loop = l;
    while (!apr_atomic_read32(&s->stop)) {
        apr_int32_t n = 0;
        const apr_pollfd_t *ev = NULL;
        apr_status_t st = apr_pollset_poll(l->ps, apr_time_from_msec(HM_TICK_MS), &n, &ev);
        if (st != APR_SUCCESS && !APR_STATUS_IS_TIMEUP(st) && !APR_STATUS_IS_EINTR(st) &&
            st != APR_EINTR) {
            hm_error("event loop %d: poll failed: %s", l->index, hm_strerror(st));
            break;
        }
        for (apr_int32_t i = 0; i < n; i++) {
            if (*(const int *)ev[i].client_data == EV_LISTENER) {
                accept_all(l, ev[i].client_data);
                continue;
            }
            hm_conn_t *c = ev[i].client_data;
            int readable = ev[i].rtnevents & (APR_POLLIN | APR_POLLHUP | APR_POLLERR);
            if (ev[i].rtnevents & APR_POLLOUT && c->read_wants_out)
                readable = 1;             /* the TLS read that waited to write goes on */
            if ((ev[i].rtnevents & APR_POLLOUT || (readable && c->write_wants_in)) && conn_flush_again(c)) {
                c->closing = 1;
                c->close_deadline = 0;
            }
            if (readable)
                conn_read(c);
        }
        loop_housekeeping(l);
    }
    /* shutting down: close every connection */
    while (!APR_RING_EMPTY(&l->conns, hm_conn_s, link)) {
        hm_conn_t *c = APR_RING_FIRST(&l->conns);
        conn_flush(c);
        conn_destroy(c);
    }
    current_loop = NULL;
    if (t)
        apr_thread_exit(t, APR_SUCCESS);
    return NULL;
}

apr_status_t hm_server_create(apr_pool_t *pool, hm_broker_t *broker, int nloops, hm_server_t **out)
{
    hm_server_t *s = apr_pcalloc(pool, sizeof *s);
    apr_status_t st;
    s->pool = pool;
    s->broker = broker;
    s->nloops = nloops < 1 ? 1 : nloops;
    s->loops = apr_pcalloc(pool, sizeof(hm_loop_t *) * (size_t)s->nloops);
    s->listeners = apr_array_make(pool, 2, sizeof(hm_listener_t *));
    s->input_budget = HM_DEFAULT_INPUT_BUDGET;
    atomic_init(&s->input_charged, 0);
    for (int i = 0; i < s->nloops; i++) {
        hm_loop_t *l = apr_pcalloc(pool, sizeof *l);
        l->srv = s;
        l->index = i;
        l->pool = pool;
        APR_RING_INIT(&l->conns, hm_conn_s, link);
        l->inbox = apr_array_make(pool, 16, sizeof(hm_conn_t *));
        if ((st = apr_thread_mutex_create(&l->inbox_lock, APR_THREAD_MUTEX_DEFAULT, pool)) ||
            (st = apr_pollset_create(&l->ps, 1024, pool, APR_POLLSET_WAKEABLE | APR_POLLSET_NOCOPY)))
            return st;
        s->loops[i] = l;
    }
    *out = s;
    return APR_SUCCESS;
}

apr_status_t hm_server_listen(hm_server_t *s, const char *name, const char *host, int port,
                              const hm_proto_t *const *protos, int nprotos,
                              const hm_listen_opts_t *opts, hm_tls_ctx_t *tls, char *err,
                              size_t errlen)
{
    if (nprotos < 1 || nprotos > HM_MAX_LISTEN_PROTOS) {
        snprintf(err, errlen, "%s: %d protocols (1 to %d)", name, nprotos, HM_MAX_LISTEN_PROTOS);
        return HM_EINVAL;
    }
    apr_sockaddr_t *sa;
    apr_socket_t *sock;
    apr_status_t st = apr_sockaddr_info_get(&sa, host, APR_UNSPEC, (apr_port_t)port, 0, s->pool);
    if (st) {
        snprintf(err, errlen, "cannot resolve %s: %s", host, hm_strerror(st));
        return st;
    }
    if ((st = apr_socket_create(&sock, sa->family, SOCK_STREAM, APR_PROTO_TCP, s->pool)) ||
        (st = apr_socket_opt_set(sock, APR_SO_REUSEADDR, 1)) ||
        (st = apr_socket_bind(sock, sa)) ||
        (st = apr_socket_listen(sock, 512))) {
        snprintf(err, errlen, "cannot listen on %s:%d: %s", host, port, hm_strerror(st));
        return st;
    }
    apr_socket_opt_set(sock, APR_SO_NONBLOCK, 1);
    apr_socket_timeout_set(sock, 0);
    hm_listener_t *lst = apr_pcalloc(s->pool, sizeof *lst);
    lst->kind = EV_LISTENER;
    lst->srv = s;
    const char *pn = protos[0]->name;
    for (int i = 1; i < nprotos; i++)
        pn = apr_pstrcat(s->pool, pn, "|", protos[i]->name, NULL);
    lst->name = apr_psprintf(s->pool, "%s (%s%s%s://%s:%d)", name, nprotos > 1 ? "auto:" : "", pn,
                             tls ? "+ssl" : "", host, port);
    lst->tls = tls;
    lst->sock = sock;
    for (int i = 0; i < nprotos; i++)
        lst->protos[i] = protos[i];
    lst->nprotos = nprotos;
    lst->opts = *opts;
    if (opts->max_connections_per_address > 0 &&
        (st = hm_addrlimit_create(s->pool, opts->max_connections_per_address, &lst->per_address))) {
        snprintf(err, errlen, "%s", hm_strerror(st));
        return st;
    }
    lst->pfd.desc_type = APR_POLL_SOCKET;
    lst->pfd.desc.s = sock;
    lst->pfd.reqevents = APR_POLLIN;
    lst->pfd.client_data = lst;
    if ((st = apr_pollset_add(s->loops[0]->ps, &lst->pfd)) != APR_SUCCESS) {
        snprintf(err, errlen, "cannot poll %s: %s", lst->name, hm_strerror(st));
        return st;
    }
    APR_ARRAY_PUSH(s->listeners, hm_listener_t *) = lst;
    hm_info("listening on %s", lst->name);
    return APR_SUCCESS;
}

void hm_server_set_input_budget(hm_server_t *s, int64_t bytes)
{
    s->input_budget = bytes > 0 ? bytes : HM_DEFAULT_INPUT_BUDGET;
}

apr_status_t hm_server_run(hm_server_t *s)
{
    apr_status_t st;
    for (int i = 1; i < s->nloops; i++) {
        if ((st = apr_thread_create(&s->loops[i]->thread, NULL, loop_main, s->loops[i], s->pool)))
            return st;
    }
    loop_main(NULL, s->loops[0]);
    for (int i = 1; i < s->nloops; i++) {
        apr_status_t rv;
        apr_thread_join(&rv, s->loops[i]->thread);
    }
    for (int i = 0; i < s->listeners->nelts; i++)
        apr_socket_close(APR_ARRAY_IDX(s->listeners, i, hm_listener_t *)->sock);
    return APR_SUCCESS;
}

void hm_server_stop(hm_server_t *s)
{
    apr_atomic_set32(&s->stop, 1);
    for (int i = 0; i < s->nloops; i++)
        apr_pollset_wakeup(s->loops[i]->ps);
}
