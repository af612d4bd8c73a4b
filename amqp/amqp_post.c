/* What a connection's links ask of it: references (a connection lives until the core's last
 * answer to it has arrived), the queue that carries the core's callbacks from other threads to
 * the loop (amqp_int.h explains why), and closing with an AMQP error. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <apr_atomic.h>
#include <proton/condition.h>

#include "amqp_int.h"
#include "hm_log.h"

void amqp_conn_ref(amqp_conn_t *ac)
{
    apr_atomic_inc32(&ac->refs);
}

void amqp_conn_unref(amqp_conn_t *ac)
{
    if (apr_atomic_dec32(&ac->refs) != 0)
        return;
    apr_pool_destroy(ac->own);
    free(ac);
}

void amqp_conn_fail(amqp_conn_t *ac, const char *condition, const char *fmt, ...)
{
    char text[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    if (ac->failing)
        return;                    /* the first reason is the one the peer gets */
    ac->failing = 1;
    hm_warn("amqp %s: %s; closing the connection", hm_conn_peer(ac->conn), text);
    pn_condition_t *c = pn_connection_condition(ac->pc);
    if (!pn_condition_is_set(c)) {
        pn_condition_set_name(c, condition);
        pn_condition_set_description(c, text);
    }
    if (pn_connection_state(ac->pc) & PN_LOCAL_UNINIT)
        pn_connection_open(ac->pc);
    pn_connection_close(ac->pc);
}

/* ------------------------------------------------------------------ the cross-thread queue */

void amqp_conn_post(amqp_conn_t *ac, amqp_item_t *it)
{
    int kick = 0;
    it->next = NULL;
    apr_thread_mutex_lock(ac->qlock);
    if (ac->closed) {
        apr_thread_mutex_unlock(ac->qlock);
        if (it->kind == ITEM_SENT) {
            free(it->in);
            free(it->text);
            amqp_conn_unref(ac);
        }
        free(it);
        return;
    }
    *ac->q_tail = it;
    ac->q_tail = &it->next;
    if (it->kind == ITEM_DELIVER)
        it->link->queued++;
    /* the loop drains before it leaves our code: no wake-up needed from inside it */
    if (!ac->kicked && !(ac->in_loop && apr_os_thread_equal(ac->loop, apr_os_thread_current())))
        ac->kicked = kick = 1;
    apr_thread_mutex_unlock(ac->qlock);
    if (kick)
        hm_conn_kick(ac->conn);
}

void amqp_conn_drain(amqp_conn_t *ac)
{
    for (;;) {
        apr_thread_mutex_lock(ac->qlock);
        amqp_item_t *it = ac->q_head;
        ac->q_head = NULL;
        ac->q_tail = &ac->q_head;
        ac->kicked = 0;
        for (amqp_item_t *x = it; x; x = x->next)
            if (x->kind == ITEM_DELIVER)
                x->link->queued--;
        apr_thread_mutex_unlock(ac->qlock);
        if (!it)
            return;
        while (it) {
            amqp_item_t *next = it->next;
            if (it->kind == ITEM_DELIVER)
                ac->apply_deliver(ac, it);
            else
                ac->apply_answer(ac, it);
            free(it);
            it = next;
        }
    }
}

