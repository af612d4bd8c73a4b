/* The bridge from the core's messages to the selector library: header names resolve to the
 * neutral message fields, everything else to the protocol's property lookup. */
#include <stdio.h>
#include <string.h>

#include "hm_int.h"
#include "sel.h"

struct hm_selector_s {
    sel_expr_t *expr;
};

typedef struct eval_ctx_s {
    const hm_msg_t *m;
    int32_t redelivery_count;
    char dest[8 + HM_MAX_DEST_NAME + 16];   /* "queue://name" for JMSDestination/JMSReplyTo */
} eval_ctx_t;

static void set_str(sel_value_t *v, const char *s)
{
    if (!s) {
        v->type = SEL_NULL;
        return;
    }
    v->type = SEL_STRING;
    v->u.s.p = s;
    v->u.s.len = strlen(s);
}

static void set_dest(eval_ctx_t *x, sel_value_t *v, hm_dname_t d)
{
    static const char *const scheme[] = { "queue://", "topic://", "temp-queue://", "temp-topic://" };
    if (!d.name) {
        v->type = SEL_NULL;
        return;
    }
    snprintf(x->dest, sizeof x->dest, "%s%s", scheme[d.kind], d.name);
    set_str(v, x->dest);
}

#define IS(lit) (len == sizeof(lit) - 1 && memcmp(name, lit, len) == 0)

static void get(void *ctx, const char *name, size_t len, sel_value_t *v)
{
    eval_ctx_t *x = ctx;
    const hm_msg_t *m = x->m;
    v->type = SEL_NULL;
    if (len > 3 && memcmp(name, "JMS", 3) == 0) {
        if (IS("JMSDeliveryMode")) { set_str(v, m->persistent ? "PERSISTENT" : "NON_PERSISTENT"); return; }
        if (IS("JMSPriority")) { v->type = SEL_INT; v->u.l = m->priority; return; }
        if (IS("JMSMessageID")) { set_str(v, m->message_id); return; }
        if (IS("JMSTimestamp")) { v->type = SEL_LONG; v->u.l = m->timestamp; return; }
        if (IS("JMSExpiration")) { v->type = SEL_LONG; v->u.l = m->expiration; return; }
        if (IS("JMSCorrelationID")) { set_str(v, m->correlation_id); return; }
        if (IS("JMSType")) { set_str(v, m->type); return; }
        if (IS("JMSRedelivered")) { v->type = SEL_BOOL; v->u.b = x->redelivery_count > 0; return; }
        if (IS("JMSDestination")) { set_dest(x, v, m->dest); return; }
        if (IS("JMSReplyTo")) { set_dest(x, v, m->reply_to); return; }
        if (IS("JMSXDeliveryCount")) { v->type = SEL_INT; v->u.l = x->redelivery_count + 1; return; }
        if (IS("JMSXGroupID")) { set_str(v, m->group_id); return; }
        if (IS("JMSXGroupSeq")) { v->type = SEL_INT; v->u.l = m->group_seq; return; }
    }
    if (m->origin && m->origin->get_property)
        m->origin->get_property(m->origin_data, name, len, v);
}

static int text_body(void *ctx, const char **text, size_t *len)
{
    const hm_msg_t *m = ((eval_ctx_t *)ctx)->m;
    return m->origin && m->origin->text_body ? m->origin->text_body(m->origin_data, text, len) : 0;
}

static const sel_accessor_t accessor = { get, text_body };

apr_status_t hm_selector_compile(apr_pool_t *pool, const char *text, hm_selector_t **out,
                                 char *err, size_t errlen)
{
    size_t len = strlen(text);
    *out = NULL;
    if (sel_is_blank(text, len))
        return APR_SUCCESS;
    hm_selector_t *s = apr_pcalloc(pool, sizeof *s);
    apr_status_t st = sel_compile(pool, text, len, &s->expr, err, errlen);
    if (st)
        return SEL_IS_INVALID(st) ? HM_ESELECTOR : st;
    *out = s;
    return APR_SUCCESS;
}

int hm_selector_match(const hm_selector_t *s, const hm_msg_t *m, int32_t redelivery_count)
{
    eval_ctx_t x;
    x.m = m;
    x.redelivery_count = redelivery_count;
    return sel_eval(s->expr, &accessor, &x) == SEL_TRUE;
}
