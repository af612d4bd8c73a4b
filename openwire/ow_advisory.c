/* Advisories in ActiveMQ's shape: an ActiveMQMessage of JMSType "Advisory" whose data structure
 * is the command that happened (ConnectionInfo, ConsumerInfo, ProducerInfo, DestinationInfo, a
 * RemoveInfo naming what went away, or the message that expired or was dead-lettered, without its
 * body) and whose properties say where it came from (originBrokerName, originBrokerId,
 * originBrokerURL) plus consumerCount, producerCount, orignalMessageId, consumerId or producerId
 * as AdvisoryBroker sets them. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <apr_strings.h>

#include "ow_adapter_int.h"
#include "ow_int.h"

/* "<connection>:<session>:<value>" back into its parts (ids the adapter named that way). */
static void split_id(apr_pool_t *pool, const char *id, char **conn, int64_t *session, int64_t *value)
{
    *conn = apr_pstrdup(pool, id ? id : "");
    *session = *value = 0;
    char *last = strrchr(*conn, ':');
    if (!last)
        return;
    *last = '\0';
    char *mid = strrchr(*conn, ':');
    if (!mid) {
        *last = ':';
        return;
    }
    *mid = '\0';
    *session = apr_atoi64(mid + 1);
    *value = apr_atoi64(last + 1);
}

static ow_connection_id_t *connection_id(apr_pool_t *pool, const char *v)
{
    ow_connection_id_t *cid;
    if (!v || !(cid = (ow_connection_id_t *)ow_object_new(pool, OW_CONNECTION_ID)))
        return NULL;
    cid->value = apr_pstrdup(pool, v);
    return cid;
}

static ow_consumer_id_t *consumer_id(apr_pool_t *pool, const char *id)
{
    ow_consumer_id_t *c = (ow_consumer_id_t *)ow_object_new(pool, OW_CONSUMER_ID);
    if (c)
        split_id(pool, id, &c->connection_id, &c->session_id, &c->value);
    return c;
}

static ow_producer_id_t *producer_id(apr_pool_t *pool, const char *id)
{
    ow_producer_id_t *p = (ow_producer_id_t *)ow_object_new(pool, OW_PRODUCER_ID);
    if (p)
        split_id(pool, id, &p->connection_id, &p->session_id, &p->value);
    return p;
}

static ow_object_t *connection_info(apr_pool_t *pool, const hm_advisory_t *a)
{
    ow_connection_info_t *ci = (ow_connection_info_t *)ow_object_new(pool, OW_CONNECTION_INFO);
    if (!ci)
        return NULL;
    ci->connection_id = connection_id(pool, a->connection_id ? a->connection_id : "");
    ci->client_id = a->client_id ? apr_pstrdup(pool, a->client_id) : NULL;
    ci->user_name = a->user ? apr_pstrdup(pool, a->user) : NULL;
    ci->password = "";                 /* never distributed, as on ActiveMQ */
    ci->client_ip = a->client_ip ? apr_pstrdup(pool, a->client_ip) : NULL;
    return &ci->cmd.obj;
}

static ow_object_t *consumer_info(apr_pool_t *pool, const hm_advisory_t *a)
{
    ow_consumer_info_t *ci = (ow_consumer_info_t *)ow_object_new(pool, OW_CONSUMER_INFO);
    if (!ci)
        return NULL;
    ci->consumer_id = consumer_id(pool, a->id);
    ci->destination = ow_destination_from(pool, a->dest);
    ci->browser = a->browser;
    ci->prefetch_size = a->prefetch;
    ci->dispatch_async = 1;            /* hermod always dispatches asynchronously */
    ci->selector = a->selector ? apr_pstrdup(pool, a->selector) : NULL;
    ci->subscription_name = a->subscription ? apr_pstrdup(pool, a->subscription) : NULL;
    ci->client_id = a->client_id ? apr_pstrdup(pool, a->client_id) : NULL;
    ci->no_local = a->no_local;
    ci->exclusive = a->exclusive;
    ci->priority = (int8_t)a->priority;
    return &ci->cmd.obj;
}

static ow_object_t *producer_info(apr_pool_t *pool, const hm_advisory_t *a)
{
    ow_producer_info_t *pi = (ow_producer_info_t *)ow_object_new(pool, OW_PRODUCER_INFO);
    if (!pi)
        return NULL;
    pi->producer_id = producer_id(pool, a->id);
    pi->destination = ow_destination_from(pool, a->dest);
    return &pi->cmd.obj;
}

static ow_object_t *remove_info(apr_pool_t *pool, ow_object_t *what)
{
    ow_remove_info_t *ri = (ow_remove_info_t *)ow_object_new(pool, OW_REMOVE_INFO);
    if (!ri || !what)
        return NULL;
    ri->object_id = what;
    ri->last_delivered_sequence_id = -2;   /* RemoveInfo.LAST_DELIVERED_UNKNOWN, as ActiveMQ's */
    return &ri->cmd.obj;
}

static ow_object_t *destination_info(apr_pool_t *pool, const hm_advisory_t *a)
{
    ow_destination_info_t *di = (ow_destination_info_t *)ow_object_new(pool, OW_DESTINATION_INFO);
    if (!di)
        return NULL;
    di->connection_id = connection_id(pool, a->connection_id);
    di->destination = ow_destination_from(pool, a->dest);
    di->operation_type = a->kind == HM_ADV_DEST_ADD ? 0 : 1;
    return &di->cmd.obj;
}

/* The message an advisory is about, without its body (includeBodyForAdvisory is off). */
static ow_object_t *message_copy(apr_pool_t *pool, const hm_msg_t *m)
{
    const ow_message_t *orig = ow_msg_from_core(m, pool);
    ow_message_t *cp;
    if (!orig || !(cp = apr_pmemdup(pool, orig, sizeof *orig)))
        return NULL;
    cp->content.data = NULL;
    cp->content.len = 0;
    cp->compressed = 0;
    return &cp->cmd.obj;
}

static apr_status_t add_str(ow_pmap_t *map, apr_pool_t *pool, const char *name, const char *v)
{
    ow_pvalue_t pv;
    pv.type = OW_PV_STRING;
    pv.u.str.data = v ? v : "";
    pv.u.str.len = (int32_t)strlen(pv.u.str.data);
    return ow_props_add(map, pool, name, &pv);
}

static apr_status_t add_int(ow_pmap_t *map, apr_pool_t *pool, const char *name, int32_t v)
{
    ow_pvalue_t pv;
    pv.type = OW_PV_INT;
    pv.u.i32 = v;
    return ow_props_add(map, pool, name, &pv);
}

/* The data structure and the kind-specific properties. */
static apr_status_t describe(const hm_advisory_t *a, apr_pool_t *pool, ow_pmap_t *props,
                             ow_object_t **ds)
{
    apr_status_t st = APR_SUCCESS;
    switch (a->kind) {
    case HM_ADV_DEST_ADD:
    case HM_ADV_DEST_REMOVE:
        *ds = destination_info(pool, a);
        break;
    case HM_ADV_CONN_ADD:
        *ds = connection_info(pool, a);
        break;
    case HM_ADV_CONN_REMOVE:
        *ds = remove_info(pool, (ow_object_t *)connection_id(pool, a->connection_id ? a->connection_id : ""));
        break;
    case HM_ADV_CONSUMER_ADD:
    case HM_ADV_CONSUMER_REMOVE:
        st = add_int(props, pool, "consumerCount", a->count);
        *ds = a->kind == HM_ADV_CONSUMER_ADD ? consumer_info(pool, a)
                                             : remove_info(pool, (ow_object_t *)consumer_id(pool, a->id));
        break;
    case HM_ADV_PRODUCER_ADD:
    case HM_ADV_PRODUCER_REMOVE:
        st = add_int(props, pool, "producerCount", a->count);
        *ds = a->kind == HM_ADV_PRODUCER_ADD ? producer_info(pool, a)
                                             : remove_info(pool, (ow_object_t *)producer_id(pool, a->id));
        break;
    case HM_ADV_UNSUBSCRIBE: {
        ow_remove_subscription_info_t *rs =
            (ow_remove_subscription_info_t *)ow_object_new(pool, OW_REMOVE_SUBSCRIPTION_INFO);
        if (rs) {
            rs->connection_id = connection_id(pool, a->connection_id);
            rs->client_id = a->client_id ? apr_pstrdup(pool, a->client_id) : NULL;
            rs->subscription_name = a->subscription ? apr_pstrdup(pool, a->subscription) : NULL;
        }
        st = add_int(props, pool, "consumerCount", a->count);
        *ds = rs ? &rs->cmd.obj : NULL;
        break;
    }
    case HM_ADV_SLOW_CONSUMER:
        st = add_str(props, pool, "consumerId", a->id);
        *ds = consumer_info(pool, a);
        break;
    case HM_ADV_FAST_PRODUCER:
        st = add_str(props, pool, "producerId", a->id);
        *ds = producer_info(pool, a);
        break;
    case HM_ADV_EXPIRED:
    case HM_ADV_CONSUMED:
    case HM_ADV_DELIVERED:
        st = add_str(props, pool, "orignalMessageId", a->msg ? a->msg->message_id : NULL);
        if (!st && a->kind != HM_ADV_EXPIRED) {
            const char *qn = apr_pstrcat(pool, HM_KIND_IS_QUEUE(a->dest.kind) ? "queue://" : "topic://",
                                         a->dest.name, NULL);
            if (HM_KIND_IS_TEMP(a->dest.kind))
                qn = apr_pstrcat(pool, a->dest.kind == HM_TEMP_QUEUE ? "temp-queue://" : "temp-topic://",
                                 a->dest.name, NULL);
            st = add_str(props, pool, "orignalDestination", qn);
        }
        *ds = a->msg ? message_copy(pool, a->msg) : NULL;
        break;
    case HM_ADV_FULL: {
        ow_pvalue_t pv;
        pv.type = OW_PV_LONG;
        pv.u.i64 = a->usage;
        st = add_str(props, pool, "usageName", a->usage_name);
        if (!st)
            st = ow_props_add(props, pool, "usageCount", &pv);
        *ds = NULL;
        break;
    }
    case HM_ADV_DLQD:
        *ds = a->msg ? message_copy(pool, a->msg) : NULL;
        break;
    default:
        *ds = NULL;
        break;
    }
    return st;
}

ow_message_t *ow_advisory_message(const hm_msg_t *m, apr_pool_t *pool)
{
    const hm_advisory_t *a = m->advisory;
    ow_message_t *om = ow_broker_message(m, pool, OW_ACTIVEMQ_MESSAGE);
    ow_pmap_t *props = ow_props_new(pool, 0);
    ow_object_t *ds = NULL;
    if (!om || !props || describe(a, pool, props, &ds) ||
        add_str(props, pool, "originBrokerName", a->broker_name) ||
        add_str(props, pool, "originBrokerId", a->broker_id) ||
        (a->broker_url && add_str(props, pool, "originBrokerURL", a->broker_url)))
        return NULL;
    hm_wbuf_t wb;
    hm_wbuf_init(&wb, 1 << 20);
    if (ow_props_encode(props, &wb) || wb.err) {
        hm_wbuf_free(&wb);
        return NULL;
    }
    om->marshalled_properties.data = apr_pmemdup(pool, wb.data, wb.len);
    om->marshalled_properties.len = (int32_t)wb.len;
    hm_wbuf_free(&wb);
    om->type = "Advisory";
    om->persistent = 0;
    om->priority = (int8_t)m->priority;
    om->data_structure = ds;
    return om;
}
