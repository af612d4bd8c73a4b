/* Dead letters: a message the client gave up on, or a persistent message that expired, goes to
 * the dead letter queue its destination's policy names (ActiveMQ.DLQ by default). */
#include <stdio.h>
#include <string.h>

#include "hm_int.h"
#include "hm_log.h"
#include "st.h"

#define DEFAULT_DLQ "ActiveMQ.DLQ"

void hm_dead_letter(hm_broker_t *b, hm_queue_t *q, const hm_msg_t *m, int expired, const char *cause,
                    hm_pbatch_t *pb)
{
    char name[HM_MAX_DEST_NAME + 64], err[256];
    hm_dname_t src = q->sub ? m->dest : q->name, dlq = { HM_QUEUE, name };
    int go;
    q->dead_lettered++;
    if (b->opts.dlq) {
        go = b->opts.dlq(b->opts.dlq_baton, src, m, expired, &dlq, name, sizeof name);
    } else {
        go = m->persistent;
        snprintf(name, sizeof name, "%s", DEFAULT_DLQ);
    }
    /* a dead letter never loops back into the queue it came from */
    if (!go || (dlq.kind == q->name.kind && strcmp(dlq.name, q->name.name) == 0 && !q->sub))
        return;
    hm_msg_t *d = hm_copy_dead_letter(m, dlq, cause);
    if (!d) {
        hm_warn("dead letter %s from %s dropped: its protocol cannot copy it (or out of memory)",
                m->message_id ? m->message_id : "?", src.name);
        return;
    }
    d->producer_client = m->producer_client;
    hm_plan_t pl;
    apr_status_t st = hm_plan_route(b, d, pb, &pl, err, sizeof err);
    if (st == APR_SUCCESS)
        st = hm_plan_apply(b, &pl);
    else
        hm_plan_free(&pl);
    if (st)
        hm_warn("dead letter %s to %s failed: %s", m->message_id ? m->message_id : "?", dlq.name, err);
    else
        hm_adv_message(b, HM_ADV_DLQD, src, m);
    if (!st)
        hm_debug("dead letter %s from %s to %s: %s", m->message_id ? m->message_id : "?", src.name, dlq.name, cause);
    hm_msg_unref(d);
}
