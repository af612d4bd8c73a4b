/* Routing a sent message: composite destinations, queues, topic fan-out, advisories. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <apr_strings.h>

#include "hm_int.h"

static apr_status_t route_topic(hm_broker_t *b, hm_msg_t *msg, hm_dest_kind_e kind,
                                const char *name, const char *via)
{
    hm_topic_t *t = hm_topic_find(b, kind, name);
    apr_status_t st = APR_SUCCESS;
    if (t) {
        hm_tsub_t *s;
        APR_RING_FOREACH(s, &t->subs, hm_tsub_s, link) {
            hm_consumer_t *c = s->c;
            if (c->last_routed == msg->broker_seq || !hm_consumer_wants(c, msg, 0))
                continue;
            c->last_routed = msg->broker_seq;
            if ((st = hm_queue_put(c->subq, msg, 0, via)) != APR_SUCCESS)
                return st;
            hm_queue_dispatch(c->subq);
        }
    }
    if (kind != HM_TOPIC)
        return APR_SUCCESS;
    hm_consumer_t *c;
    APR_RING_FOREACH(c, &b->wild_topic_consumers, hm_consumer_s, wild_link) {
        if (c->last_routed == msg->broker_seq || !hm_consumer_wants(c, msg, 0))
            continue;
        for (int i = 0; i < c->parts->nelts; i++) {
            const char *pat = APR_ARRAY_IDX(c->parts, i, char *);
            if (hm_name_is_wildcard(pat) && hm_name_matches(pat, name)) {
                c->last_routed = msg->broker_seq;
                if ((st = hm_queue_put(c->subq, msg, 0, via)) != APR_SUCCESS)
                    return st;
                hm_queue_dispatch(c->subq);
                break;
            }
        }
    }
    return APR_SUCCESS;
}

static apr_status_t route_one(hm_broker_t *b, hm_msg_t *msg, hm_dest_kind_e kind,
                              const char *name, int composite, char *err, size_t errlen)
{
    apr_status_t st = hm_name_check(name, err, errlen);
    if (st)
        return st;
    if (HM_KIND_IS_QUEUE(kind)) {
        hm_queue_t *q = hm_queue_get(b, kind, name);
        if (!q) {
            if (kind == HM_TEMP_QUEUE) {
                snprintf(err, errlen, "temporary queue %s does not exist", name);
                return HM_ENOTFOUND;
            }
            return APR_ENOMEM;
        }
        if ((st = hm_queue_put(q, msg, 0, NULL)) != APR_SUCCESS)
            return st;
        hm_queue_dispatch(q);
        return APR_SUCCESS;
    }
    if (kind == HM_TEMP_TOPIC && !hm_topic_find(b, kind, name)) {
        snprintf(err, errlen, "temporary topic %s does not exist", name);
        return HM_ENOTFOUND;
    }
    return route_topic(b, msg, kind, name, composite ? name : NULL);
}

/* Why parse prefixes here: a composite may mix kinds ("a,topic://b"), as ActiveMQ allows. */
apr_status_t hm_route_locked(hm_broker_t *b, hm_msg_t *msg, char *err, size_t errlen)
{
    const char *names = msg->dest.name;
    apr_status_t st = hm_name_check(names, err, errlen);
    if (st)
        return st;
    msg->broker_seq = ++b->next_seq;
    if (!strchr(names, ','))
        return route_one(b, msg, msg->dest.kind, names, 0, err, errlen);
    char *copy = strdup(names), *last = NULL;
    if (!copy)
        return APR_ENOMEM;
    int parts = 0;
    for (char *p = apr_strtok(copy, ",", &last); p && !st; p = apr_strtok(NULL, ",", &last)) {
        hm_dest_kind_e kind = msg->dest.kind;
        if (strncmp(p, "queue://", 8) == 0) {
            kind = HM_QUEUE;
            p += 8;
        } else if (strncmp(p, "topic://", 8) == 0) {
            kind = HM_TOPIC;
            p += 8;
        }
        if (++parts > HM_MAX_COMPOSITE_PARTS) {
            snprintf(err, errlen, "composite destination has more than %d parts", HM_MAX_COMPOSITE_PARTS);
            st = HM_EINVAL;
            break;
        }
        st = route_one(b, msg, kind, p, 1, err, errlen);
    }
    free(copy);
    return st;
}

apr_status_t hm_send(hm_client_t *c, hm_msg_t *msg, hm_send_done_fn done, void *baton,
                     char *err, size_t errlen)
{
    hm_broker_t *b = c->b;
    hm_lock(b);
    msg->producer_client = c->serial;
    apr_status_t st = hm_route_locked(b, msg, err, errlen);
    hm_unlock(b);
    if (st == APR_SUCCESS && done)
        done(baton, APR_SUCCESS);
    return st;
}

static void advisory_free(void *data)
{
    (void)data;
}

static const hm_msg_origin_t advisory_origin = { "core", advisory_free, NULL, NULL };

/* Publishes a destination advisory on ActiveMQ.Advisory.TempQueue/TempTopic (or, with `only`, to
 * that one consumer).  The advisory lives inside the message's own allocation. */
void hm_advise_dest(hm_broker_t *b, hm_adv_kind_e kind, hm_dname_t d, const char *conn_id,
                    hm_consumer_t *only)
{
    const char *topic = d.kind == HM_TEMP_QUEUE ? "ActiveMQ.Advisory.TempQueue"
                      : d.kind == HM_TEMP_TOPIC ? "ActiveMQ.Advisory.TempTopic"
                      : d.kind == HM_QUEUE ? "ActiveMQ.Advisory.Queue" : "ActiveMQ.Advisory.Topic";
    size_t nl = strlen(d.name) + 1, tl = strlen(topic) + 1, cl = conn_id ? strlen(conn_id) + 1 : 0;
    char idbuf[96];
    uint64_t seq = ++b->next_seq;
    snprintf(idbuf, sizeof idbuf, "ID:%s-advisory:1:1:1:%llu", b->id, (unsigned long long)seq);
    size_t il = strlen(idbuf) + 1;
    void *extra;
    hm_msg_t *m = hm_msg_new(sizeof(hm_advisory_t) + nl + tl + cl + il, &extra);
    if (!m)
        return;
    hm_advisory_t *adv = extra;
    char *s = (char *)(adv + 1);
    adv->kind = kind;
    adv->dest.kind = d.kind;
    adv->dest.name = memcpy(s, d.name, nl);
    s += nl;
    m->dest.kind = HM_TOPIC;
    m->dest.name = memcpy(s, topic, tl);
    s += tl;
    if (conn_id) {
        adv->connection_id = memcpy(s, conn_id, cl);
        s += cl;
    }
    m->message_id = memcpy(s, idbuf, il);
    m->advisory = adv;
    m->origin = &advisory_origin;
    m->timestamp = apr_time_as_msec(apr_time_now());
    m->broker_seq = seq;
    if (only) {
        if (only->subq && hm_queue_put(only->subq, m, 0, NULL) == APR_SUCCESS)
            hm_queue_dispatch(only->subq);
    } else {
        route_topic(b, m, HM_TOPIC, topic, NULL);
    }
    hm_msg_unref(m);
}
