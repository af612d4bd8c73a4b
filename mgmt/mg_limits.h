/* Every bound of the management HTTP side, in one place. */
#ifndef MG_LIMITS_H
#define MG_LIMITS_H

#define MG_MAX_CONNECTIONS      64              /* HTTP connections at once */
#define MG_MAX_PER_IP           16              /* ... from one address */
#define MG_CONN_TIMEOUT_S       30              /* an idle or slow HTTP connection is closed */
#define MG_CONN_MEMORY          (64 * 1024)     /* request line + headers of one request (else 431) */
#define MG_MAX_BODY             (1024 * 1024)   /* a request body (send's text, form fields): else 413 */
#define MG_MAX_FIELDS           32              /* form fields in one body */
#define MG_MAX_FIELD            (1024 * 1024)   /* one field's value */
#define MG_MAX_PARAM            (256 * 1024)    /* one query parameter (a selector's limit) */
#define MG_MAX_CREDENTIAL   1024      /* an HTTP Basic user name or password */
#define MG_MAX_OUTPUT           (256u * 1024 * 1024)   /* one response (metrics of 10,000s of destinations) */
#define MG_KEEP_OUTPUT          (64u * 1024 * 1024)   /* an answer's buffer kept for the next one */
#define MG_KEEP_POOLS           (32u * 1024 * 1024)   /* request memory kept for the next requests */
#define MG_BROWSE_DEFAULT       50              /* messages per browse page */
#define MG_BROWSE_MAX           1000
#define MG_JOBS_MAX             10000           /* scheduled jobs listed in one answer */
#define MG_BODY_PREVIEW         (64 * 1024)     /* bytes of a browsed body shown; longer ones are cut */
#define MG_HISTORY_STEP_S       10              /* the console's charts: a sample every 10 s */
#define MG_HISTORY_SAMPLES      360             /* ... for an hour */
#define MG_HISTORY_DESTS        1000            /* ... of at most this many destinations (24 KiB each) */
#define MG_CSRF_HEADER          "X-Requested-By"   /* mutating requests carry it (any value) */

#endif
