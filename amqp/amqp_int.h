/* The AMQP adapter's per-connection state, shared by its files: amqp_conn.c (the protocol table,
 * Proton's transport and event loop), amqp_link.c (links: producers and consumers), amqp_sasl.c.
 *
 * Threads.  Proton's objects are touched only on the connection's loop thread.  The core calls
 * back from other threads (a delivery routed by another connection, a send made durable by the
 * store's thread); those callbacks only append an item to the connection's queue under `qlock`
 * and wake the loop (hm_conn_kick), which applies the items to Proton (amqp_conn_drain). */
#ifndef AMQP_INT_H
#define AMQP_INT_H

#include <apr_thread_mutex.h>
#include <apr_portable.h>
#include <apr_thread_proc.h>
#include <proton/codec.h>
#include <proton/connection.h>
#include <proton/event.h>
#include <proton/delivery.h>
#include <proton/link.h>
#include <proton/session.h>
#include <proton/transport.h>

#include "amqp_msg.h"
#include "hm_core.h"
#include "hm_wbuf.h"

typedef struct amqp_conn_s amqp_conn_t;
typedef struct amqp_link_s amqp_link_t;
typedef struct amqp_tx_s amqp_tx_t;

/* Transaction states (AMQP 1.0 part 4.5). */
#define AMQP_TX_DECLARED 0x33
#define AMQP_TX_STATE    0x34

/* A message the client is sending us, until the core answers it. */
typedef struct amqp_in_s {
    amqp_conn_t *ac;
    pn_delivery_t *pd;             /* NULL once settled by the client (pre-settled) */
    amqp_link_t *link;
    uint64_t txid;                 /* a transactional transfer's transaction; 0: none */
    int discharge;                 /* a commit: a failure is amqp:transaction:rollback */
} amqp_in_t;

/* Work the loop applies to Proton (amqp_conn_drain). */
typedef enum { ITEM_DELIVER, ITEM_SENT } amqp_item_kind_e;
typedef struct amqp_item_s {
    struct amqp_item_s *next;
    amqp_item_kind_e kind;
    amqp_link_t *link;             /* DELIVER: the consumer's link */
    hm_delivery_t *d;              /* DELIVER */
    amqp_in_t *in;                 /* SENT: the send the core answered */
    apr_status_t st;               /* SENT */
    char *text;                    /* SENT: the refusal's text (malloc'd), or NULL */
} amqp_item_t;

typedef struct amqp_pending_s amqp_pending_t;

struct amqp_link_s {
    amqp_conn_t *ac;
    apr_pool_t *pool;              /* the link's names and ids: gone with the link */
    amqp_pending_t *ins;           /* the client's deliveries the core has not answered yet */
    pn_link_t *pl;
    amqp_link_t *next, **prevp;    /* the connection's links */
    int consumer;                  /* 1: we send (the client's receiver); 0: the client sends */
    int coordinator;               /* the client's transaction coordinator link */
    hm_dname_t dest;               /* producer: its target (name NULL: anonymous relay) */
    char *dest_name;
    char *producer_id;             /* registered with the core (advisories, counts) */
    /* consumer */
    hm_consumer_t *hc;
    int presettled;                /* snd-settle-mode settled: at most once */
    int64_t granted;               /* credit given to the core so far */
    int64_t sent;                  /* deliveries put on the link so far */
    int queued;                    /* DELIVER items waiting in the connection's queue */
    uint64_t last_seq;             /* broker_seq of the latest message sent */
    int durable;                   /* a durable subscription (kept on detach closed=false) */
    char *sub_name;
};

struct amqp_conn_s {
    volatile apr_uint32_t refs;    /* the connection, plus one per send the core still answers */
    int closed;                    /* under qlock: Proton and the connection are gone */
    apr_pool_t *own;               /* holds qlock; outlives the connection's pool */
    apr_thread_mutex_t *qlock;
    amqp_item_t *q_head, **q_tail; /* under qlock */
    void (*apply_deliver)(amqp_conn_t *ac, amqp_item_t *it);   /* the loop's handling of items */
    void (*apply_answer)(amqp_conn_t *ac, amqp_item_t *it);
    int kicked;                    /* under qlock: a wake-up is on its way */
    apr_os_thread_t loop;          /* the connection's loop thread */
    int in_loop;                   /* the loop is inside our code and drains before leaving */

    hm_conn_t *conn;
    hm_broker_t *b;
    apr_pool_t *pool;
    pn_connection_t *pc;
    pn_transport_t *pt;
    pn_collector_t *coll;
    pn_data_t *scratch;            /* decoding and encoding messages */
    hm_wbuf_t out;                 /* a delivery's bytes */
    hm_wbuf_t in_buf;              /* reused for a transfer that completes in one frame */

    hm_client_t *client;
    hm_flow_t *flow;
    char *connection_id;
    char *user, *password;         /* from SASL PLAIN; the password is wiped once used */
    int sasl_done;
    apr_time_t sasl_refuse_at;     /* a refused login is answered then (0: none pending) */
    int held;                      /* the core holds one of our sends: producers get no credit */
    int opened;                    /* the peer's open was accepted */
    int failing;                   /* amqp_conn_fail ran: the connection is closing */
    int nsessions, nlinks;
    uint64_t next_tag, next_id;
    int64_t max_message;
    amqp_link_t *links;
    amqp_tx_t *txs;                /* open transactions */
    int ntxs;
    uint64_t next_txn;
};

/* ---- amqp_post.c */
void amqp_conn_ref(amqp_conn_t *ac);
void amqp_conn_unref(amqp_conn_t *ac);
/* Appends an item (from any thread); wakes the loop unless it will drain anyway. */
void amqp_conn_post(amqp_conn_t *ac, amqp_item_t *it);
/* Applies queued items to Proton (loop thread). */
void amqp_conn_drain(amqp_conn_t *ac);
/* Closes the connection with an AMQP error (condition, description), logged. */
void amqp_conn_fail(amqp_conn_t *ac, const char *condition, const char *fmt, ...);

/* ---- amqp_link.c */
void amqp_link_remote_open(amqp_conn_t *ac, pn_link_t *pl);
void amqp_link_remote_close(amqp_conn_t *ac, pn_link_t *pl, int closed);
void amqp_link_flow(amqp_conn_t *ac, pn_link_t *pl);
void amqp_link_delivery(amqp_conn_t *ac, pn_delivery_t *pd);
/* The core handed a delivery (ITEM_DELIVER). */
void amqp_link_deliver(amqp_conn_t *ac, amqp_item_t *it);
/* Producers may be given credit again (the core stopped holding). */
void amqp_link_credit_all(amqp_conn_t *ac);
/* Output drained: deliveries waiting in links' backlogs go out. */
void amqp_link_resume_all(amqp_conn_t *ac);
/* The session ends: its links' core objects go (durable subscriptions stay). */
void amqp_link_session_end(amqp_conn_t *ac, pn_session_t *s);
/* Frees every link's core objects (the connection is going). */
void amqp_link_close_all(amqp_conn_t *ac);
extern const hm_flow_ops_t amqp_flow_ops;

/* ---- amqp_answer.c */
/* Remembers a client's delivery on its link until the core answers it; NULL: out of memory. */
amqp_in_t *amqp_answer_track(amqp_conn_t *ac, amqp_link_t *l, pn_delivery_t *pd);
/* The core's answer to a send or a commit (hm_send_done_fn; baton: the amqp_in_t); any thread. */
void amqp_answer_done(void *baton, apr_status_t st);
/* Puts an answer (ITEM_SENT) on the wire and forgets its delivery.  Loop thread. */
void amqp_answer_apply(amqp_conn_t *ac, amqp_item_t *it);
/* Answers in with a refusal now (loop thread) and forgets it. */
void amqp_answer_refused(amqp_conn_t *ac, amqp_in_t *in, apr_status_t st, const char *text);
/* Forgets in unanswered (the core dropped a held send: the connection is closing). */
void amqp_answer_forget(amqp_in_t *in);
/* The link closes: its remembered deliveries will settle nothing. */
void amqp_answer_orphan(amqp_link_t *l);
/* The AMQP error condition for a core status. */
const char *amqp_condition_for(apr_status_t st);
/* A txn-id as this broker hands them out (8 bytes, big-endian). */
void amqp_put_txn_id(pn_data_t *d, uint64_t id);

/* ---- amqp_tx.c */
/* A coordinator link's transfer: declare or discharge.  track makes the amqp_in_t that the
 * commit's answer settles. */
void amqp_tx_control(amqp_conn_t *ac, amqp_link_t *l, pn_delivery_t *pd, const uint8_t *p, size_t len,
                     amqp_in_t *(*track)(amqp_conn_t *, amqp_link_t *, pn_delivery_t *));
/* The transaction a transactional-state names (its outcome in *outcome), or NULL. */
amqp_tx_t *amqp_tx_of_state(amqp_conn_t *ac, pn_disposition_t *state, uint64_t *outcome);
amqp_tx_t *amqp_tx_find(amqp_conn_t *ac, uint64_t id);
uint64_t amqp_tx_id(const amqp_tx_t *t);
apr_status_t amqp_tx_add_msg(amqp_tx_t *t, hm_msg_t *m);
apr_status_t amqp_tx_add_ack(amqp_tx_t *t, amqp_link_t *l, const hm_delivery_t *d);
void amqp_tx_forget_link(amqp_conn_t *ac, amqp_link_t *l);
void amqp_tx_close_all(amqp_conn_t *ac);

/* ---- amqp_sasl.c */
/* Installs hermod's SASL server (ANONYMOUS, PLAIN checked by the broker's authenticator). */
void amqp_sasl_install(amqp_conn_t *ac);
/* A refused login whose delay has passed gets its SASL outcome (loop thread, tick). */
void amqp_sasl_due(amqp_conn_t *ac, apr_time_t now);

#endif
