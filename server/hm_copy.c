/* The copies the broker makes of a message, decided once, here: what a dead letter, a scheduled
 * firing and a readdressed advisory change, as ActiveMQ does.  The message's protocol applies
 * the change to its own form (origin->derive), so everything else in the copy is the original's. */
#include <string.h>

#include "hm_int.h"

static hm_msg_t *derive(const hm_msg_t *m, const hm_derive_t *d)
{
    return m->origin && m->origin->derive ? m->origin->derive(m, d) : NULL;
}

static hm_value_t string_value(const char *s)
{
    hm_value_t v = { HM_V_STRING };
    v.u.s.p = s;
    v.u.s.len = strlen(s);
    return v;
}

/* ActiveMQ's dead letter: to dlq, with the destination it was first sent to recorded (if none is
 * yet), no expiration, its redelivery count reset, and the properties dlqDeliveryFailureCause and
 * originalExpiration set. */
hm_msg_t *hm_copy_dead_letter(const hm_msg_t *m, hm_dname_t dlq, const char *cause)
{
    static const char *const drop[] = { "dlqDeliveryFailureCause", "originalExpiration" };
    hm_entry_t add[2] = { { "dlqDeliveryFailureCause", string_value(cause) },
                          { "originalExpiration", { HM_V_LONG } } };
    add[1].v.u.i64 = m->expiration;
    hm_derive_t d = { .dest = &dlq, .orig_mode = HM_ORIG_SET_IF_ABSENT, .set_expiration = 1,
                      .expiration = 0, .persistent = -1, .reset_redelivery = 1,
                      .drop = drop, .ndrop = 2, .add = add, .nadd = 2 };
    return derive(m, &d);
}

/* The message as sent, to another destination (NoConsumer advisories). */
hm_msg_t *hm_copy_readdress(const hm_msg_t *m, hm_dname_t to)
{
    hm_derive_t d = { .dest = &to, .persistent = -1, .clear_transaction = 1 };
    return derive(m, &d);
}

/* What ActiveMQ's SchedulerBroker sends for one firing: the stored message without its schedule,
 * tagged scheduledJobId, with a new id when id_conn is given, and its time to live restarted at
 * now_ms.  With browse_to, the copy an administrator browsing the scheduler sees instead: the
 * schedule kept, sent to browse_to with the original destination recorded, non-persistent,
 * JMSType "Advisory". */
hm_msg_t *hm_copy_scheduled(const hm_msg_t *m, const char *job_id, const char *id_conn, int64_t id_seq,
                            int64_t now_ms, const hm_dname_t *browse_to)
{
    static const char *const schedule[] = { HM_SCHED_DELAY, HM_SCHED_PERIOD, HM_SCHED_REPEAT,
                                            HM_SCHED_CRON, "scheduledJobId" };
    hm_entry_t add[1] = { { "scheduledJobId", string_value(job_id) } };
    hm_derive_t d = { .persistent = -1, .add = add, .nadd = 1, .id_conn = id_conn, .id_seq = id_seq };
    if (browse_to) {
        d.drop = schedule + 4;     /* only the job id: the browser sees the schedule */
        d.ndrop = 1;
        d.dest = browse_to;
        d.orig_mode = HM_ORIG_SET;
        d.orig = m->dest;
        d.persistent = 0;
        d.type = "Advisory";
        d.clear_transaction = 1;
    } else {
        d.drop = schedule;
        d.ndrop = 5;
        if (m->timestamp > 0 && m->expiration > 0) {
            int64_t ttl = m->expiration - m->timestamp, exp = ttl + now_ms;
            if (exp > m->expiration) {
                d.set_expiration = ttl > 0;
                d.expiration = exp;
                d.set_timestamp = 1;
                d.timestamp = now_ms;
            }
        }
    }
    return derive(m, &d);
}
