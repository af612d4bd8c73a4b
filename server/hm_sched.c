/* Scheduled and delayed delivery, as ActiveMQ's broker does it with schedulerSupport="true".
 *
 * A message sent with AMQ_SCHEDULED_DELAY / _PERIOD / _CRON (and optionally _REPEAT) is held here
 * instead of being routed, and routed as an ordinary send when due.  ActiveMQ's timing, which
 * clients rely on:
 *   start = now rounded up to the next 500 ms;
 *   first = (cron ? next cron minute after start : start) + (delay > 0 ? delay : period);
 *   a non-cron job fires, then while repeat != 0 fires again `period` ms after each firing
 *   (repeat + 1 copies; a negative repeat never ends);
 *   a cron job with repeat 0 fires at every cron time; with repeat != 0 each cron time starts a
 *   separate non-cron job (delay, period, repeat) instead of firing itself.
 * Each copy loses its AMQ_SCHEDULED_* properties and gains scheduledJobId; repeating and cron jobs
 * give every copy a new message id (hm_copy_scheduled; the protocol applies it).
 *
 * Jobs live in a min-heap by due time.  With a store, each job is an entry of one store
 * destination (HM_SCHED_STORE_DEST) whose seq is (due ms << 22 | job number), so the body is
 * stored once however often it fires; the entry's delivered count holds the remaining repeats
 * (0: as the message says, n: n - 1, UINT32_MAX: forever) and its priority byte tells a cron
 * job's follow-up (1) from a job as sent (0).  Firing routes the copy and moves the entry in one
 * store batch. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <apr_strings.h>

#include "hm_int.h"
#include "hm_log.h"
#include "sel.h"
#include "st.h"

#define SCHED_SEQ_BITS   22
#define SCHED_MAX_DUE_MS ((UINT64_C(1) << (64 - SCHED_SEQ_BITS)) - 1)
#define SCHED_FOREVER    UINT32_MAX
#define SCHED_PRIO_JOB   0
#define SCHED_PRIO_CHILD 1

typedef struct hm_sjob_s {
    hm_msg_t *msg;                 /* the message as sent (one reference) */
    int64_t due_ms;
    int64_t delay_ms, period_ms;
    int32_t repeat;                /* remaining repeats; < 0: forever */
    int32_t repeat_asked;          /* AMQ_SCHEDULED_REPEAT as sent: copies get new ids when != 0 */
    int child;                     /* started by a cron job: never itself cron */
    hm_cron_t cron;
    int has_cron;
    uint64_t num;                  /* job number: ties on due time, job id */
    uint64_t store_seq;            /* its entry in the scheduler's store destination, 0: none */
    uint64_t store_msg;
    char *job_id;                  /* malloc'd */
} hm_sjob_t;

struct hm_sched_s {
    hm_sjob_t **heap;
    size_t n, cap;
    uint64_t next_num;
    uint64_t next_msg_seq;         /* new message ids for repeated copies */
    uint32_t store_id;             /* 0: not yet known */
    char *id_conn;                 /* producer part of those ids */
};

/* ------------------------------------------------------------------ the heap */

static int job_before(const hm_sjob_t *a, const hm_sjob_t *b)
{
    return a->due_ms < b->due_ms || (a->due_ms == b->due_ms && a->num < b->num);
}

static void heap_up(hm_sched_t *s, size_t i)
{
    hm_sjob_t *j = s->heap[i];
    while (i > 0) {
        size_t p = (i - 1) / 2;
        if (!job_before(j, s->heap[p]))
            break;
        s->heap[i] = s->heap[p];
        i = p;
    }
    s->heap[i] = j;
}

static void heap_down(hm_sched_t *s, size_t i)
{
    hm_sjob_t *j = s->heap[i];
    for (;;) {
        size_t l = 2 * i + 1, m = i;
        const hm_sjob_t *best = j;
        if (l < s->n && job_before(s->heap[l], best)) {
            m = l;
            best = s->heap[l];
        }
        if (l + 1 < s->n && job_before(s->heap[l + 1], best))
            m = l + 1;
        if (m == i)
            break;
        s->heap[i] = s->heap[m];
        i = m;
    }
    s->heap[i] = j;
}

static apr_status_t heap_push(hm_sched_t *s, hm_sjob_t *j)
{
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 16;
        hm_sjob_t **h = realloc(s->heap, cap * sizeof *h);
        if (!h)
            return APR_ENOMEM;
        s->heap = h;
        s->cap = cap;
    }
    s->heap[s->n++] = j;
    heap_up(s, s->n - 1);
    return APR_SUCCESS;
}

static hm_sjob_t *heap_pop(hm_sched_t *s)
{
    hm_sjob_t *top = s->heap[0];
    s->heap[0] = s->heap[--s->n];
    if (s->n)
        heap_down(s, 0);
    return top;
}

/* ------------------------------------------------------------------ jobs */

static hm_sched_t *sched_get(hm_broker_t *b)
{
    if (!b->sched) {
        hm_sched_t *s = calloc(1, sizeof *s);
        if (!s)
            return NULL;
        s->id_conn = apr_psprintf(b->pool, "ID:%s-scheduler", b->id);
        b->sched = s;
    }
    return b->sched;
}

static void job_free(hm_sjob_t *j)
{
    hm_msg_unref(j->msg);
    free(j->job_id);
    free(j);
}

/* ActiveMQ names a job like a message id of the sender's producer: "<producer id>:<n>". */
static char *job_id_make(const hm_msg_t *m, uint64_t num)
{
    const char *id = m->message_id ? m->message_id : "ID:scheduled";
    const char *colon = strrchr(id, ':');
    size_t plen = colon && colon != id ? (size_t)(colon - id) : strlen(id);
    char *s = malloc(plen + 24);
    if (s)
        snprintf(s, plen + 24, "%.*s:%llu", (int)plen, id, (unsigned long long)num);
    return s;
}

static int prop(const hm_msg_t *m, const char *name, sel_value_t *v)
{
    m->origin->get_property(m->origin_data, name, strlen(name), v);
    return v->type != SEL_NULL;
}

/* A property as a number, as ActiveMQ's TypeConversionSupport converts it (integers and decimal
 * strings; anything else is an error). */
static int prop_long(const sel_value_t *v, int64_t *out)
{
    switch (v->type) {
    case SEL_BYTE: case SEL_SHORT: case SEL_INT: case SEL_LONG:
        *out = v->u.l;
        return 1;
    case SEL_STRING: {
        char buf[32];
        if (v->u.s.len == 0 || v->u.s.len >= sizeof buf)
            return 0;
        memcpy(buf, v->u.s.p, v->u.s.len);
        buf[v->u.s.len] = 0;
        char *e;
        errno = 0;
        long long x = strtoll(buf, &e, 10);
        if (*e || errno)
            return 0;
        *out = x;
        return 1;
    }
    default:
        return 0;
    }
}

/* The schedule a message asks for.  Returns 0 (not scheduled), 1 (filled j), or an error. */
static apr_status_t job_read(hm_broker_t *b, const hm_msg_t *m, hm_sjob_t *j, int *scheduled,
                             char *err, size_t errlen)
{
    sel_value_t cron, period, delay, repeat, v;
    *scheduled = 0;
    if (!m->origin || !m->origin->get_property)
        return APR_SUCCESS;
    int has_cron = prop(m, HM_SCHED_CRON, &cron), has_period = prop(m, HM_SCHED_PERIOD, &period),
        has_delay = prop(m, HM_SCHED_DELAY, &delay);
    if (!has_cron && !has_period && !has_delay)
        return APR_SUCCESS;
    if (prop(m, HM_SCHED_JOB_ID, &v))
        return APR_SUCCESS;    /* a copy the scheduler already fired: never scheduled again */
    int64_t x;
    if (has_period) {
        if (!prop_long(&period, &x)) {
            snprintf(err, errlen, "%s is not a number", HM_SCHED_PERIOD);
            return HM_EMALFORMED;
        }
        j->period_ms = x;
    }
    if (has_delay) {
        if (!prop_long(&delay, &x)) {
            snprintf(err, errlen, "%s is not a number", HM_SCHED_DELAY);
            return HM_EMALFORMED;
        }
        j->delay_ms = x;
    }
    if (prop(m, HM_SCHED_REPEAT, &repeat)) {
        if (!prop_long(&repeat, &x) || x < INT32_MIN || x > INT32_MAX) {
            snprintf(err, errlen, "%s is not an int", HM_SCHED_REPEAT);
            return HM_EMALFORMED;
        }
        int max = b->opts.scheduler_max_repeat > 0 ? b->opts.scheduler_max_repeat : HM_SCHED_MAX_REPEAT;
        if (x > max) {
            snprintf(err, errlen, "The scheduled repeat value is too large");
            return HM_EMALFORMED;
        }
        j->repeat = j->repeat_asked = (int32_t)x;
    }
    if (has_cron && cron.type == SEL_STRING && cron.u.s.len > 0) {
        char buf[256];
        if (cron.u.s.len >= sizeof buf) {
            snprintf(err, errlen, "%s is too long", HM_SCHED_CRON);
            return HM_EMALFORMED;
        }
        memcpy(buf, cron.u.s.p, cron.u.s.len);
        buf[cron.u.s.len] = 0;
        if (hm_cron_parse(buf, &j->cron) != APR_SUCCESS) {
            snprintf(err, errlen, "Not a valid cron entry: %s", buf);
            return HM_EMALFORMED;
        }
        j->has_cron = 1;
    } else if (has_cron && cron.type != SEL_STRING) {
        snprintf(err, errlen, "%s is not a string", HM_SCHED_CRON);
        return HM_EMALFORMED;
    }
    *scheduled = 1;
    return APR_SUCCESS;
}

/* ActiveMQ's first execution time of a job created at now_ms. */
static apr_status_t job_first_due(const hm_sjob_t *j, int64_t now_ms, int64_t *due)
{
    int64_t start = (now_ms + 500) / 500 * 500, t = start;
    if (j->has_cron && !j->child) {
        apr_status_t st = hm_cron_next(&j->cron, start, &t);
        if (st)
            return st;
    }
    t += j->delay_ms > 0 ? j->delay_ms : j->period_ms;
    *due = t < 0 ? 0 : (uint64_t)t > SCHED_MAX_DUE_MS ? (int64_t)SCHED_MAX_DUE_MS : t;
    return APR_SUCCESS;
}

static uint32_t repeat_code(int32_t repeat)
{
    return repeat < 0 ? SCHED_FOREVER : (uint32_t)repeat + 1;
}

static uint64_t job_seq(const hm_sjob_t *j)
{
    return ((uint64_t)j->due_ms << SCHED_SEQ_BITS) | (j->num & ((UINT64_C(1) << SCHED_SEQ_BITS) - 1));
}

static apr_status_t store_id(hm_broker_t *b, hm_sched_t *s)
{
    if (s->store_id)
        return APR_SUCCESS;
    /* a repeating job adds entries for its stored body in later batches */
    apr_status_t st = st_dest_id(b->store, HM_SCHED_STORE_DEST, &s->store_id);
    if (!st) st = st_dest_share_bodies(b->store, s->store_id);
    return st;
}

/* Adds j's entry (at its due time) to a batch; the body is added first when not yet stored. */
static apr_status_t job_store(hm_broker_t *b, hm_sched_t *s, st_batch_t **batch, hm_sjob_t *j)
{
    apr_status_t st = store_id(b, s);
    if (st)
        return st;
    if (!*batch)
        *batch = st_batch_begin(b->store);
    if (!j->store_msg) {
        const hm_msg_codec_t *codec = b->codecs[j->msg->origin->codec];
        hm_wbuf_t wb;
        hm_wbuf_init(&wb, SIZE_MAX / 2);
        hm_wbuf_u8(&wb, codec->id);
        st = codec->encode(j->msg, &wb);
        if (st == APR_SUCCESS && wb.err)
            st = wb.err;
        if (st == APR_SUCCESS)
            st_batch_add_message(*batch, wb.data, wb.len, &j->store_msg);
        hm_wbuf_free(&wb);
        if (st)
            return st;
    }
    j->store_seq = job_seq(j);
    uint8_t prio = j->child ? SCHED_PRIO_CHILD : SCHED_PRIO_JOB;
    st_batch_add_entry(*batch, s->store_id, j->store_msg, prio, j->store_seq);
    if (j->repeat != 0 || j->child)
        st_batch_set_delivered(*batch, s->store_id, prio, j->store_seq, repeat_code(j->repeat));
    return APR_SUCCESS;
}

static void job_unstore(hm_broker_t *b, hm_sched_t *s, st_batch_t **batch, hm_sjob_t *j)
{
    if (!j->store_seq)
        return;
    if (!*batch)
        *batch = st_batch_begin(b->store);
    st_batch_remove_entry(*batch, s->store_id, j->child ? SCHED_PRIO_CHILD : SCHED_PRIO_JOB, j->store_seq);
    j->store_seq = 0;
}

static int storable(hm_broker_t *b, const hm_msg_t *m)
{
    return b->store && m->origin && m->origin->codec && b->codecs[m->origin->codec];
}

static hm_sjob_t *job_new(hm_sched_t *s, hm_msg_t *m)
{
    hm_sjob_t *j = calloc(1, sizeof *j);
    if (!j)
        return NULL;
    j->num = ++s->next_num;
    if (!(j->job_id = job_id_make(m, j->num))) {
        free(j);
        return NULL;
    }
    j->msg = hm_msg_ref(m);
    return j;
}

/* ------------------------------------------------------------------ management */

typedef struct jmatch_s {
    const char *job_id;            /* REMOVE: this job */
    size_t id_len;
    int ranged;                    /* REMOVEALL with a time range */
    int64_t from_ms, to_ms;
} jmatch_t;

static int job_matches(const hm_sjob_t *j, const jmatch_t *m)
{
    if (m->job_id)
        return strlen(j->job_id) == m->id_len && memcmp(j->job_id, m->job_id, m->id_len) == 0;
    return !m->ranged || (j->due_ms >= m->from_ms && j->due_ms <= m->to_ms);
}

/* Removes the matching jobs (and their stored entries), then restores the heap: O(n), but only
 * an administrator's message pays it. */
static void jobs_remove(hm_broker_t *b, hm_sched_t *s, const jmatch_t *m)
{
    st_batch_t *batch = NULL;
    size_t k = 0, removed = 0;
    for (size_t i = 0; i < s->n; i++) {
        hm_sjob_t *j = s->heap[i];
        if (job_matches(j, m)) {
            job_unstore(b, s, &batch, j);
            job_free(j);
            removed++;
        } else {
            s->heap[k++] = j;
        }
    }
    s->n = k;
    for (size_t i = k / 2; i-- > 0;)
        heap_down(s, i);
    apr_status_t st = batch ? st_batch_commit(batch, NULL, NULL) : APR_SUCCESS;
    if (st)
        hm_warn("scheduler: removing jobs from the store failed: %s", hm_strerror(st));
    hm_info("scheduler: %zu scheduled job%s removed", removed, removed == 1 ? "" : "s");
}

static int job_cmp(const void *a, const void *b)
{
    const hm_sjob_t *x = *(hm_sjob_t *const *)a, *y = *(hm_sjob_t *const *)b;
    return job_before(x, y) ? -1 : job_before(y, x) ? 1 : 0;
}

/* BROWSE: a copy of each matching job, in due order, to the management message's reply-to. */
static void jobs_browse(hm_broker_t *b, hm_sched_t *s, const jmatch_t *m, hm_dname_t to)
{
    hm_sjob_t **list = s->n ? malloc(s->n * sizeof *list) : NULL;
    size_t n = 0;
    if (!list)
        return;
    for (size_t i = 0; i < s->n; i++)
        if (job_matches(s->heap[i], m))
            list[n++] = s->heap[i];
    qsort(list, n, sizeof *list, job_cmp);
    int64_t now_ms = apr_time_as_msec(apr_time_now());
    for (size_t i = 0; i < n; i++) {
        hm_msg_t *c = hm_copy_scheduled(list[i]->msg, list[i]->job_id, s->id_conn,
                                        (int64_t)++s->next_msg_seq, now_ms, &to);
        if (!c)
            continue;
        char err[160];
        hm_pbatch_t pb = { NULL, 0, 0 };
        hm_plan_t pl;
        if (hm_plan_route(b, c, &pb, &pl, err, sizeof err) == APR_SUCCESS) {
            hm_persist_commit(&pb, NULL, NULL);     /* non-persistent: nothing to store */
            hm_plan_apply(b, &pl);
        } else {
            hm_warn("scheduler: browse reply to %s failed: %s", to.name, err);
            hm_plan_free(&pl);
            if (pb.batch)
                st_batch_discard(pb.batch);
        }
        hm_msg_unref(c);
    }
    free(list);
}

static int is_management(const hm_msg_t *m)
{
    size_t n = strlen(HM_SCHED_MANAGEMENT);
    return m->dest.name && strncasecmp(m->dest.name, HM_SCHED_MANAGEMENT, n) == 0;
}

/* A message to ActiveMQ.Scheduler.Management: BROWSE (copies to its JMSReplyTo) or REMOVEALL
 * (both optionally ACTION_START_TIME..ACTION_END_TIME, by next due time), or REMOVE
 * (scheduledJobId).  It is consumed, never routed. */
static void manage(hm_broker_t *b, const hm_msg_t *msg)
{
    sel_value_t action, id, from, to;
    if (!msg->origin || !msg->origin->get_property || !prop(msg, HM_SCHED_ACTION, &action) ||
        action.type != SEL_STRING || !b->sched)
        return;
    jmatch_t m = { NULL, 0, 0, 0, 0 };
    if (action.u.s.len == 6 && memcmp(action.u.s.p, "REMOVE", 6) == 0) {
        if (!prop(msg, HM_SCHED_JOB_ID, &id) || id.type != SEL_STRING)
            return;
        m.job_id = id.u.s.p;
        m.id_len = id.u.s.len;
    } else if ((action.u.s.len == 9 && memcmp(action.u.s.p, "REMOVEALL", 9) == 0) ||
               (action.u.s.len == 6 && memcmp(action.u.s.p, "BROWSE", 6) == 0)) {
        if (prop(msg, HM_SCHED_START_TIME, &from) && prop(msg, HM_SCHED_END_TIME, &to)) {
            if (!prop_long(&from, &m.from_ms) || !prop_long(&to, &m.to_ms))
                return;
            m.ranged = 1;
        }
        if (action.u.s.len == 6) {
            if (msg->reply_to.name)
                jobs_browse(b, b->sched, &m, msg->reply_to);
            return;
        }
    } else {
        hm_warn("scheduler: management action %.*s is not one of BROWSE, REMOVE, REMOVEALL",
                (int)(action.u.s.len > 32 ? 32 : action.u.s.len), action.u.s.p);
        return;
    }
    jobs_remove(b, b->sched, &m);
}

int hm_sched_plan_locked(hm_broker_t *b, hm_msg_t *msg, struct st_batch_s **batch, hm_sjob_t **out,
                         apr_status_t *result, char *err, size_t errlen)
{
    hm_sjob_t tmp;
    int scheduled;
    *result = APR_SUCCESS;
    *out = NULL;
    if (!b->opts.scheduler_support)
        return 0;
    if (is_management(msg)) {
        manage(b, msg);
        return 1;
    }
    memset(&tmp, 0, sizeof tmp);
    apr_status_t st = job_read(b, msg, &tmp, &scheduled, err, errlen);
    if (st || !scheduled) {
        *result = st;
        return st != APR_SUCCESS;
    }
    hm_sched_t *s = sched_get(b);
    hm_sjob_t *j = s ? job_new(s, msg) : NULL;
    if (!j) {
        *result = APR_ENOMEM;
        return 1;
    }
    tmp.num = j->num;
    tmp.job_id = j->job_id;
    tmp.msg = j->msg;
    *j = tmp;
    if ((st = job_first_due(j, apr_time_as_msec(apr_time_now()), &j->due_ms)) != APR_SUCCESS) {
        snprintf(err, errlen, "the cron entry never matches a date");
        job_free(j);
        *result = HM_EMALFORMED;
        return 1;
    }
    if (storable(b, msg) && (st = job_store(b, s, batch, j)) != APR_SUCCESS) {
        snprintf(err, errlen, "the store refused the scheduled message: %s", hm_strerror(st));
        job_free(j);
        *result = st;
        return 1;
    }
    *out = j;
    return 1;
}

void hm_sched_arm_locked(hm_broker_t *b, hm_sjob_t *j)
{
    if (!j)
        return;
    if (heap_push(b->sched, j) != APR_SUCCESS) {
        /* stored but not armed: it fires after the next restart */
        hm_warn("scheduler: out of memory arming job %s", j->job_id);
        job_free(j);
    }
}

void hm_sched_arm_committed_locked(hm_broker_t *b, hm_sjob_t *j)
{
    if (!j)
        return;
    /* the clock starts at commit, as ActiveMQ's scheduler hook does after the commit; the stored
     * entry keeps the prepare-time due, which only an earlier restart would use */
    int64_t due;
    if (job_first_due(j, apr_time_as_msec(apr_time_now()), &due) == APR_SUCCESS)
        j->due_ms = due;
    hm_sched_arm_locked(b, j);
}

void hm_sched_drop(hm_sjob_t *j)
{
    if (j)
        job_free(j);
}

int hm_sched_hold_locked(hm_broker_t *b, hm_msg_t *msg, struct st_batch_s **batch, void **job,
                         apr_status_t *st, char *err, size_t errlen)
{
    hm_sjob_t *j = NULL;
    int held = hm_sched_plan_locked(b, msg, batch, &j, st, err, errlen);
    *job = j;
    return held;
}

void hm_sched_settle_locked(hm_broker_t *b, void *job, int committed)
{
    if (committed)
        hm_sched_arm_locked(b, job);
    else
        hm_sched_drop(job);
}

int hm_sched_take_locked(hm_broker_t *b, hm_msg_t *msg, hm_send_done_fn done, void *baton,
                         apr_status_t *result, char *err, size_t errlen)
{
    st_batch_t *batch = NULL;
    hm_sjob_t *j;
    if (!hm_sched_plan_locked(b, msg, &batch, &j, result, err, errlen))
        return 0;
    if (*result) {
        if (batch)
            st_batch_discard(batch);
        return 1;
    }
    if (batch && (*result = st_batch_commit(batch, done, baton)) != APR_SUCCESS) {
        snprintf(err, errlen, "the store refused the scheduled message: %s", hm_strerror(*result));
        job_free(j);
        return 1;
    }
    hm_sched_arm_locked(b, j);
    if (!batch && done)
        done(baton, APR_SUCCESS);
    return 1;
}

/* The message one firing delivers: a protocol copy when the protocol can make one. */
static hm_msg_t *job_copy(hm_broker_t *b, hm_sched_t *s, hm_sjob_t *j, int new_id, int64_t now_ms)
{
    hm_msg_t *m = hm_copy_scheduled(j->msg, j->job_id, new_id ? s->id_conn : NULL,
                                    new_id ? (int64_t)++s->next_msg_seq : 0, now_ms, NULL);
    if (!m) {
        m = hm_msg_ref(j->msg);
    } else if (!new_id) {
        m->producer_client = j->msg->producer_client;
    }
    (void)b;
    return m;
}

/* Routes one copy; what the schedule changes in the store rides in the same batch (sched_ops
 * adds them), so a crash never loses or repeats a firing. */
typedef void (*sched_ops_fn)(hm_broker_t *b, hm_sched_t *s, hm_sjob_t *j, st_batch_t **batch, void *arg);

static void job_fire(hm_broker_t *b, hm_sched_t *s, hm_sjob_t *j, int deliver, int new_id,
                     int64_t now_ms, sched_ops_fn ops, void *arg)
{
    char err[256];
    hm_pbatch_t pb = { NULL, 0, 0 };
    hm_plan_t pl;
    hm_msg_t *m = NULL;
    int planned = 0;
    if (deliver) {
        m = job_copy(b, s, j, new_id, now_ms);
        apr_status_t st = hm_plan_route(b, m, &pb, &pl, err, sizeof err);
        if (st) {
            hm_warn("scheduler: job %s cannot be delivered to %s: %s", j->job_id,
                    m->dest.name ? m->dest.name : "(none)", err);
            hm_plan_free(&pl);
            if (pb.batch)
                st_batch_discard(pb.batch);
            pb.batch = NULL;
        } else {
            planned = 1;
        }
    }
    if (b->store)
        ops(b, s, j, &pb.batch, arg);
    else
        ops(b, s, j, NULL, arg);
    apr_status_t st = hm_persist_commit(&pb, NULL, NULL);
    if (st) {
        hm_warn("scheduler: the store refused job %s: %s", j->job_id, hm_strerror(st));
        if (planned)
            hm_plan_free(&pl);
    } else if (planned) {
        hm_plan_apply(b, &pl);
    }
    if (m)
        hm_msg_unref(m);
}

typedef struct resched_s {
    hm_sjob_t *child;              /* a cron job's follow-up to store, or NULL */
    int keep;                      /* j goes back into the heap at j->due_ms */
    int64_t next_due;
} resched_t;

static void resched_ops(hm_broker_t *b, hm_sched_t *s, hm_sjob_t *j, st_batch_t **batch, void *arg)
{
    resched_t *r = arg;
    if (!batch)
        return;
    int stored = j->store_seq != 0;
    job_unstore(b, s, batch, j);
    if (r->keep && stored && job_store(b, s, batch, j) != APR_SUCCESS)
        hm_warn("scheduler: job %s could not be stored again; it fires while the broker runs", j->job_id);
    if (r->child && stored && job_store(b, s, batch, r->child) != APR_SUCCESS)
        hm_warn("scheduler: follow-up of job %s could not be stored", j->job_id);
}

/* Fires one due job and re-arms it as ActiveMQ's job scheduler does. */
static void job_run(hm_broker_t *b, hm_sched_t *s, hm_sjob_t *j, int64_t now_ms)
{
    resched_t r = { NULL, 0, j->due_ms };
    int deliver = 1, new_id;
    if (!j->has_cron || j->child) {
        new_id = j->repeat_asked != 0 || j->has_cron;
        if (j->repeat != 0) {
            r.keep = 1;
            /* at least one tick later: a zero or negative period cannot spin inside one tick */
            r.next_due = j->period_ms > 0 ? now_ms + j->period_ms : now_ms + 1;
            if (j->repeat > 0)
                j->repeat--;
        }
    } else {
        new_id = 1;
        deliver = j->repeat == 0;
        int64_t next;
        if (hm_cron_next(&j->cron, now_ms, &next) == APR_SUCCESS && next > now_ms) {
            r.keep = 1;
            r.next_due = next;
            if (j->repeat != 0 && (r.child = job_new(s, j->msg)) != NULL) {
                r.child->child = 1;
                r.child->store_msg = j->store_msg;      /* the same stored body */
                r.child->delay_ms = j->delay_ms;
                r.child->period_ms = j->period_ms;
                r.child->repeat = r.child->repeat_asked = j->repeat;
                r.child->has_cron = j->has_cron;
                r.child->cron = j->cron;
                job_first_due(r.child, now_ms, &r.child->due_ms);
            }
        }
    }
    j->due_ms = r.next_due < 0 ? 0 : (uint64_t)r.next_due > SCHED_MAX_DUE_MS ? (int64_t)SCHED_MAX_DUE_MS : r.next_due;
    job_fire(b, s, j, deliver, new_id, now_ms, resched_ops, &r);
    if (r.child && heap_push(s, r.child) != APR_SUCCESS)
        job_free(r.child);
    if (r.keep && heap_push(s, j) == APR_SUCCESS)
        return;
    job_free(j);
}

void hm_sched_tick_locked(hm_broker_t *b, apr_time_t now)
{
    hm_sched_t *s = b->sched;
    if (!s)
        return;
    int64_t now_ms = apr_time_as_msec(now);
    /* bounded per tick so one busy second cannot stall the event loop */
    for (int fired = 0; s->n > 0 && s->heap[0]->due_ms <= now_ms && fired < HM_SCHED_FIRE_PER_TICK; fired++)
        job_run(b, s, heap_pop(s), now_ms);
}

size_t hm_sched_each_locked(hm_broker_t *b, size_t max, hm_sched_each_fn fn, void *baton)
{
    hm_sched_t *s = b->sched;
    for (size_t i = 0; s && i < s->n && i < max; i++) {
        const hm_sjob_t *j = s->heap[i];
        fn(baton, j->job_id, j->msg, j->due_ms, j->period_ms, j->repeat, j->has_cron);
    }
    return s ? s->n : 0;
}

size_t hm_sched_pending(hm_broker_t *b)
{
    hm_lock(b);
    size_t n = b->sched ? b->sched->n : 0;
    hm_unlock(b);
    return n;
}

void hm_sched_destroy(hm_broker_t *b)
{
    hm_sched_t *s = b->sched;
    if (!s)
        return;
    for (size_t i = 0; i < s->n; i++)
        job_free(s->heap[i]);
    free(s->heap);
    free(s);
    b->sched = NULL;
}

/* ------------------------------------------------------------------ recovery */

typedef struct sload_s {
    hm_broker_t *b;
    hm_sched_t *s;
    uint64_t loaded, skipped;
} sload_t;

/* A job from its stored entry (m: one reference, taken); NULL when m no longer has a valid
 * schedule (e.g. a lower repeat limit since). */
static hm_sjob_t *job_from_entry(hm_broker_t *b, hm_sched_t *s, hm_msg_t *m, const st_entry_t *e)
{
    char err[160];
    uint64_t num = e->seq & ((UINT64_C(1) << SCHED_SEQ_BITS) - 1);
    if (num > s->next_num)
        s->next_num = num;
    hm_sjob_t *j = calloc(1, sizeof *j);
    int scheduled = 0;
    if (j)
        j->num = num;
    if (!j || !(j->job_id = job_id_make(m, num)) ||
        job_read(b, m, j, &scheduled, err, sizeof err) != APR_SUCCESS || !scheduled) {
        if (j) {
            free(j->job_id);
            free(j);
        }
        hm_msg_unref(m);
        return NULL;
    }
    j->msg = m;
    j->child = e->priority == SCHED_PRIO_CHILD;
    j->due_ms = (int64_t)(e->seq >> SCHED_SEQ_BITS);
    j->store_seq = e->seq;
    j->store_msg = e->msg_id;
    hm_sched_job_delivered(j, e->seq, e->delivered);
    return j;
}

void hm_sched_job_delivered(hm_sjob_t *j, uint64_t seq, uint32_t delivered)
{
    if (!j || j->store_seq != seq)
        return;
    if (delivered == SCHED_FOREVER)
        j->repeat = -1;
    else if (delivered > 0)
        j->repeat = (int32_t)(delivered - 1);
}

static apr_status_t sched_load_one(void *baton, const st_entry_t *e, const void *bytes, size_t len)
{
    sload_t *x = baton;
    const char *why;
    hm_msg_t *m = hm_persist_decode(x->b, bytes, len, &why);
    if (!m) {
        hm_warn("store: scheduled message %llu cannot be read (%s); skipped",
                (unsigned long long)e->msg_id, why);
        x->skipped++;
        return APR_SUCCESS;
    }
    hm_sjob_t *j = job_from_entry(x->b, x->s, m, e);
    if (!j) {
        /* not schedulable any more: forget it rather than loop */
        hm_warn("store: scheduled message %llu no longer has a valid schedule; dropped",
                (unsigned long long)e->msg_id);
        st_batch_t *bt = st_batch_begin(x->b->store);
        st_batch_remove_entry(bt, e->dest, e->priority, e->seq);
        x->skipped++;
        return st_batch_commit_wait(bt);
    }
    if (heap_push(x->s, j) != APR_SUCCESS) {
        job_free(j);
        return APR_ENOMEM;
    }
    x->loaded++;
    return APR_SUCCESS;
}

uint32_t hm_sched_store_dest(hm_broker_t *b)
{
    hm_sched_t *s = b->store ? sched_get(b) : NULL;
    return s && store_id(b, s) == APR_SUCCESS ? s->store_id : 0;
}

hm_sjob_t *hm_sched_job_rebuild(hm_broker_t *b, hm_msg_t *m, const st_entry_t *e)
{
    hm_sched_t *s = sched_get(b);
    if (!s) {
        hm_msg_unref(m);
        return NULL;
    }
    return job_from_entry(b, s, m, e);
}

apr_status_t hm_sched_recover(hm_broker_t *b, uint32_t store_dest)
{
    hm_lock(b);
    hm_sched_t *s = sched_get(b);
    apr_status_t st = s ? APR_SUCCESS : APR_ENOMEM;
    sload_t x = { b, s, 0, 0 };
    if (s) {
        s->store_id = store_dest;
        st = st_dest_share_bodies(b->store, store_dest);
        if (!st) st = st_load(b->store, store_dest, sched_load_one, &x);
    }
    hm_unlock(b);
    if (x.loaded || x.skipped)
        hm_info("store: %llu scheduled messages recovered%s%s", (unsigned long long)x.loaded,
                x.skipped ? " (some records skipped)" : "",
                b->opts.scheduler_support ? "" : "; schedulerSupport is off but they still fire");
    return st;
}
