/* The OpenWire adapter: turns the commands of one OpenWire connection into core calls, and the
 * core's deliveries into MessageDispatch frames.
 *
 * Threads: input and ticks run on the connection's loop thread; deliveries arrive from whichever
 * thread routed the message (with the broker lock held).  Encoding shares the connection's
 * marshal cache, so every encode-and-queue happens under `wlock`. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <apr_atomic.h>
#include <apr_strings.h>
#include <apr_thread_mutex.h>

#include "hm_limits.h"
#include "hm_log.h"
#include "ow_adapter.h"
#include "ow_adapter_int.h"
#include "ow_conn_int.h"

/* Frames handled per input call: the server flushes output in between. */
#define OW_FRAMES_PER_INPUT 64

static void send_broker_info(ow_conn_t *oc)
{
    ow_broker_info_t bi;
    ow_broker_id_t id;
    memset(&bi, 0, sizeof bi);
    memset(&id, 0, sizeof id);
    id.obj.type = OW_BROKER_ID;
    id.value = (char *)hm_broker_id(oc->b);
    bi.cmd.obj.type = OW_BROKER_INFO;
    bi.broker_id = &id;
    bi.broker_name = (char *)hm_broker_name(oc->b);
    bi.broker_url = "tcp://localhost";
    ow_emit(oc, &bi.cmd);
}

/* Inactivity monitoring as ActiveMQ's AbstractInactivityMonitor negotiates it: the smaller of the
 * two sides' periods and initial delays (0 or less on either side: no monitoring, as the Java
 * client then sends no keep-alives), each capped so no conversion overflows. */
static int64_t min_ms(int64_t a, int64_t b)
{
    int64_t m = a < b ? a : b;
    return m > OW_MAX_INACTIVITY_MS ? OW_MAX_INACTIVITY_MS : m;
}

static void negotiate_inactivity(ow_conn_t *oc)
{
    const hm_listen_opts_t *lo = hm_conn_opts(oc->conn);
    oc->inactivity_ms = min_ms(lo->max_inactivity_ms, ow_wire_peer_max_inactivity_ms(oc->wire));
    if (oc->inactivity_ms < 0)
        oc->inactivity_ms = 0;
    int64_t delay = min_ms(oc->initial_delay_ms, ow_wire_peer_max_inactivity_initial_delay_ms(oc->wire));
    oc->initial_delay_ms = delay > 0 ? delay : 0;
}

/* What a command needs before it is served.  THE ONE PLACE where an OpenWire connection's state
 * is checked (gate(), called by handle() before any handler runs): the handlers below may take a
 * negotiated wire format and, where the table says so, an open client for granted. */
typedef enum {
    NEEDS_NOTHING,         /* WireFormatInfo: the handshake itself */
    NEEDS_WIRE,            /* a negotiated wire format */
    NEEDS_CLIENT,          /* ... and a ConnectionInfo accepted: refused with an error otherwise */
    NEEDS_CLIENT_OR_NOOP   /* ... else nothing to do: answered OK (ActiveMQ ignores a RemoveInfo
                              or ShutdownInfo for a connection it does not know) */
} ow_needs_e;

static ow_needs_e command_needs(uint8_t type)
{
    switch (type) {
    case OW_WIREFORMAT_INFO:
        return NEEDS_NOTHING;
    case OW_CONNECTION_INFO:
    case OW_KEEP_ALIVE_INFO:
    case OW_FLUSH_COMMAND:
    case OW_CONNECTION_CONTROL:
    case OW_CONTROL_COMMAND:
    case OW_PRODUCER_ACK:
    case OW_RESPONSE:
        return NEEDS_WIRE;
    case OW_REMOVE_INFO:
    case OW_SHUTDOWN_INFO:
        return NEEDS_CLIENT_OR_NOOP;
    case OW_SESSION_INFO:
    case OW_PRODUCER_INFO:
    case OW_CONSUMER_INFO:
    case OW_DESTINATION_INFO:
    case OW_MESSAGE_ACK:
    case OW_MESSAGE_PULL:
    case OW_CONSUMER_CONTROL:
    case OW_TRANSACTION_INFO:
    case OW_REMOVE_SUBSCRIPTION_INFO:
        return NEEDS_CLIENT;
    default:               /* messages need a client; other types are refused by handle() */
        return OW_IS_MESSAGE_TYPE(type) ? NEEDS_CLIENT : NEEDS_WIRE;
    }
}

/* 1: serve the command; 0: it was answered here, skip it; an error status: close the connection.
 * Before the handshake only a WireFormatInfo may arrive (as ActiveMQ's WireFormatNegotiator):
 * anything else closes the connection. */
static int gate(ow_conn_t *oc, const ow_command_t *cmd, apr_status_t *close_st)
{
    ow_needs_e needs = command_needs(cmd->obj.type);
    *close_st = APR_SUCCESS;
    if (needs == NEEDS_NOTHING)
        return 1;
    if (!ow_wire_negotiated(oc->wire)) {
        hm_warn("openwire %s: %s before the WireFormatInfo handshake; closing",
                hm_conn_peer(oc->conn), ow_type_name(cmd->obj.type));
        *close_st = HM_EPROTO;
        return 0;
    }
    if (needs == NEEDS_WIRE || oc->client)
        return 1;
    if (needs == NEEDS_CLIENT_OR_NOOP)
        ow_respond_ok(oc, cmd);
    else
        ow_respond_error(oc, cmd, JMS_EXC, "no ConnectionInfo has been received on this connection");
    return 0;
}

/* Why a switch on type codes: every command is data; an unexpected one is answered, not run. */
static apr_status_t handle(ow_conn_t *oc, ow_command_t *cmd)
{
    apr_status_t gst;
    if (!gate(oc, cmd, &gst))
        return gst;
    switch (cmd->obj.type) {
    case OW_WIREFORMAT_INFO: {
        apr_status_t st = ow_wire_negotiate(oc->wire, (ow_wire_format_info_t *)cmd);
        if (st) {
            hm_warn("openwire %s: wire format negotiation failed: %s", hm_conn_peer(oc->conn),
                    ow_wire_error(oc->wire));
            return st;
        }
        negotiate_inactivity(oc);
        hm_conn_handshake_done(oc->conn);
        if (!oc->client && hm_broker_requires_login(oc->b))
            hm_conn_login_wait(oc->conn, 1);
        send_broker_info(oc);
        return APR_SUCCESS;
    }
    case OW_CONNECTION_INFO: ow_on_connection_info(oc, (ow_connection_info_t *)cmd); break;
    case OW_SESSION_INFO: ow_respond_ok(oc, cmd); break;
    case OW_PRODUCER_INFO: ow_on_producer_info(oc, (ow_producer_info_t *)cmd); break;
    case OW_CONSUMER_INFO: ow_on_consumer_info(oc, (ow_consumer_info_t *)cmd); break;
    case OW_REMOVE_INFO: ow_on_remove(oc, (ow_remove_info_t *)cmd); break;
    case OW_DESTINATION_INFO: ow_on_destination_info(oc, (ow_destination_info_t *)cmd); break;
    case OW_MESSAGE_ACK: ow_on_ack(oc, (ow_message_ack_t *)cmd); break;
    case OW_MESSAGE_PULL: ow_on_pull(oc, (ow_message_pull_t *)cmd); break;
    case OW_CONSUMER_CONTROL: ow_on_consumer_control(oc, (ow_consumer_control_t *)cmd); break;
    case OW_KEEP_ALIVE_INFO:
        if (cmd->response_required) {
            ow_keep_alive_info_t k = { { { OW_KEEP_ALIVE_INFO }, 0, 0 } };
            ow_emit(oc, &k.cmd);
        }
        break;
    case OW_SHUTDOWN_INFO:
        ow_close_all(oc);
        break;
    case OW_TRANSACTION_INFO: ow_on_transaction_info(oc, (ow_transaction_info_t *)cmd); break;
    case OW_REMOVE_SUBSCRIPTION_INFO: {
        ow_remove_subscription_info_t *rs = (ow_remove_subscription_info_t *)cmd;
        char err[256] = "";
        apr_status_t st = hm_durable_remove(oc->client, rs->client_id, rs->subscription_name,
                                            err, sizeof err);
        if (st)
            ow_respond_error(oc, cmd, st == HM_ENOTFOUND ? INVALID_DEST_EXC : JMS_EXC, *err ? err : hm_strerror(st));
        else
            ow_respond_ok(oc, cmd);
        break;
    }
    case OW_FLUSH_COMMAND:
    case OW_CONNECTION_CONTROL:
    case OW_CONTROL_COMMAND:
    case OW_PRODUCER_ACK:
    case OW_RESPONSE:
        ow_respond_ok(oc, cmd);
        break;
    default:
        if (OW_IS_MESSAGE_TYPE(cmd->obj.type))
            return ow_on_message(oc, (ow_message_t *)cmd);
        hm_warn("openwire %s: unexpected command %s (type %u); closing", hm_conn_peer(oc->conn),
                ow_type_name(cmd->obj.type), cmd->obj.type);
        return HM_EPROTO;
    }
    return APR_SUCCESS;
}

/* ------------------------------------------------------------------ protocol table */

static int ow_sniff(const uint8_t *p, size_t len)
{
    static const uint8_t magic[] = { 1, 'A', 'c', 't', 'i', 'v', 'e', 'M', 'Q' };
    size_t n = len < 13 ? len : 13;
    if (n <= 4)
        return -1;
    return memcmp(p + 4, magic, n - 4) == 0 ? (len < 13 ? -1 : 1) : 0;
}

static apr_status_t ow_open(hm_conn_t *conn, void **state)
{
    apr_pool_t *pool = hm_conn_pool(conn);
    ow_conn_t *oc = calloc(1, sizeof *oc);
    const hm_listen_opts_t *lo = hm_conn_opts(conn);
    ow_wire_opts_t wo;
    apr_status_t st;
    if (!oc)
        return APR_ENOMEM;
    if ((st = apr_pool_create(&oc->own, NULL)) ||
        (st = apr_thread_mutex_create(&oc->wlock, APR_THREAD_MUTEX_DEFAULT, oc->own))) {
        free(oc);
        return st;
    }
    oc->refs = 1;
    *state = oc;                   /* ow_close releases it, whatever happens below */
    oc->conn = conn;
    oc->b = hm_conn_broker(conn);
    oc->pool = pool;
    ow_wire_opts_default(&wo);
    if (lo->max_frame_size > 0)
        wo.max_frame_size = lo->max_frame_size;
    if (lo->max_inactivity_ms >= 0)
        wo.max_inactivity_ms = lo->max_inactivity_ms;
    if (lo->max_inactivity_initial_delay_ms > 0)
        wo.max_inactivity_initial_delay_ms = lo->max_inactivity_initial_delay_ms;
    if ((st = apr_pool_create(&oc->scratch, pool)) || (st = ow_wire_create(pool, &wo, &oc->wire)))
        return st;
    oc->consumers = apr_hash_make(pool);
    oc->producer_windows = apr_hash_make(pool);
    oc->txs = apr_hash_make(pool);
    oc->xa_joined = apr_hash_make(pool);
    oc->started = oc->last_read = oc->last_write = apr_time_now();
    oc->inactivity_ms = wo.max_inactivity_ms;
    oc->initial_delay_ms = wo.max_inactivity_initial_delay_ms;
    ow_wire_format_info_t *info;
    if ((st = ow_wire_local_info(oc->wire, oc->scratch, &info)) || (st = ow_emit(oc, &info->cmd)))
        return st;
    apr_pool_clear(oc->scratch);
    return APR_SUCCESS;
}

static apr_status_t ow_input(void *state, const uint8_t *p, size_t len, size_t *used)
{
    ow_conn_t *oc = state;
    size_t off = 0;
    apr_status_t st = APR_SUCCESS;
    int frames = 0;
    oc->last_read = apr_time_now();
    while (off < len && frames++ < OW_FRAMES_PER_INPUT && !oc->paused) {
        ow_command_t *cmd = NULL;
        size_t consumed = 0;
        st = ow_decode(oc->wire, p + off, len - off, oc->scratch, &cmd, &consumed);
        if (st == HM_EINCOMPLETE) {
            st = APR_SUCCESS;
            hm_conn_expect(oc->conn, ow_decode_need(oc->wire, p + off, len - off));
            break;
        }
        if (st != APR_SUCCESS) {
            hm_warn("openwire %s: malformed frame: %s; closing the connection",
                    hm_conn_peer(oc->conn), ow_wire_error(oc->wire));
            break;
        }
        off += consumed;
        hm_debug("openwire %s: received %s (command id %d)", hm_conn_peer(oc->conn), cmd ? ow_type_name(cmd->obj.type) : "null frame", cmd ? (int)cmd->command_id : 0);
        if (cmd)
            st = handle(oc, cmd);
        apr_pool_clear(oc->scratch);
        if (st != APR_SUCCESS)
            break;
    }
    *used = off;
    return st;
}

/* Inactivity monitoring as ActiveMQ does it: write a KeepAliveInfo when we have been quiet for
 * a third of the period; give up on a peer silent for the whole period. */
static void ow_tick(void *state, apr_time_t now)
{
    ow_conn_t *oc = state;
    ow_login_refusal_due(oc, now);
    if (oc->flow && hm_flow_holding(oc->flow))
        hm_flow_retry(oc->flow, now);   /* the store frees space without telling; timeouts */
    if (oc->inactivity_ms <= 0 || !ow_wire_negotiated(oc->wire))
        return;
    apr_time_t period = apr_time_from_msec(oc->inactivity_ms);
    if (now - oc->started < apr_time_from_msec(oc->initial_delay_ms))
        return;
    if (now - oc->last_read > period) {
        hm_warn("openwire %s: no data for %" APR_INT64_T_FMT " ms (maxInactivityDuration); closing",
                hm_conn_peer(oc->conn), oc->inactivity_ms);
        hm_conn_close(oc->conn, NULL);
        return;
    }
    if (now - oc->last_write > period / 3) {
        ow_keep_alive_info_t k = { { { OW_KEEP_ALIVE_INFO }, 0, 0 } };
        ow_emit(oc, &k.cmd);
    }
}

/* Memory freed somewhere (hm_space_waiter_t): retry what is held. */
static void ow_resume(void *state)
{
    ow_conn_t *oc = state;
    if (oc->flow && hm_flow_holding(oc->flow))
        hm_flow_retry(oc->flow, apr_time_now());
}

static void ow_close(void *state)
{
    ow_conn_t *oc = state;
    if (oc->consumers)
        ow_close_all(oc);
    apr_thread_mutex_lock(oc->wlock);
    oc->closed = 1;
    apr_thread_mutex_unlock(oc->wlock);
    ow_conn_unref(oc);
}

static const hm_proto_t openwire_protocol = {
    "openwire", ow_sniff, ow_open, ow_input, ow_tick, ow_close, ow_resume
};

const hm_proto_t *ow_protocol(void)
{
    return &openwire_protocol;
}
