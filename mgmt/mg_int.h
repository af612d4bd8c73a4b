/* Internals of the management side shared by its files: one HTTP request as the handlers see
 * it, and the handlers. */
#ifndef MG_INT_H
#define MG_INT_H

#include <apr_pools.h>
#include <apr_tables.h>

#include "hm_admin.h"
#include "hm_wbuf.h"
#include "mg.h"
#include "mg_limits.h"
#include "mg_text.h"

struct MHD_Connection;

typedef struct mg_req_s {
    apr_pool_t *pool;              /* this request's, freed when it is answered */
    hm_broker_t *b;
    struct mg_history_s *history;  /* the charts' samples (mg_history.h) */
    struct st_lease_s *lease;      /* the store's lease (mg_opts_t), or NULL */
    struct MHD_Connection *conn;
    const char *method, *path;
    apr_table_t *form;             /* fields of a form-encoded body */
    hm_wbuf_t body;                /* a text/plain body (send's text), at most MG_MAX_BODY */
    int has_text_body;
    hm_wbuf_t out;                 /* the answer's bytes */
    const char *type;              /* and its Content-Type */
} mg_req_t;

/* A parameter: a form field of the body, else a query parameter; NULL when absent.  Values
 * longer than MG_MAX_PARAM are treated as absent (the handler then answers 400). */
const char *mg_arg(mg_req_t *r, const char *name);
/* The destination named by queue= or topic= (prefix: "from"/"to" for a move, else NULL).
 * 0 when neither is given. */
int mg_dest_arg(mg_req_t *r, const char *param_queue, const char *param_topic, hm_dname_t *d);
/* Writes a neutral value as JSON (bytes as {"base64": ...}). */
void mg_json_value(hm_wbuf_t *w, const hm_value_t *v, apr_pool_t *pool);
/* An error answer {"error": text} with this status; returns status. */
int mg_fail(mg_req_t *r, int status, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* The HTTP status for a core error (404, 400, 409, 503, 500). */
int mg_http_status(apr_status_t st);

/* Handlers: fill r->out (and r->type), return the HTTP status. */
typedef int (*mg_handler_fn)(mg_req_t *r);
int mg_metrics(mg_req_t *r);                    /* mg_metrics.c */
int mg_queues_jsp(mg_req_t *r);                 /* mg_xml.c */
int mg_console(mg_req_t *r);                    /* mg_console.c: /admin/ and its assets */
int mg_api_broker(mg_req_t *r);                 /* mg_api.c: reading */
/* GET /api/destinations, connections, consumers, producers, subscriptions: chosen by r->path. */
int mg_api_list(mg_req_t *r);
int mg_api_scheduled(mg_req_t *r);
int mg_api_browse(mg_req_t *r);
int mg_api_history(mg_req_t *r);
int mg_api_create(mg_req_t *r);                 /* mg_api_ops.c: changing */
int mg_api_delete(mg_req_t *r);
int mg_api_purge(mg_req_t *r);
int mg_api_send(mg_req_t *r);
int mg_api_move(mg_req_t *r);
int mg_api_copy(mg_req_t *r);
int mg_api_remove(mg_req_t *r);
int mg_api_pause(mg_req_t *r);
int mg_api_resume(mg_req_t *r);

#endif
