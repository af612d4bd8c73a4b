/* sel.h — the JMS message selector library (SQL-92 subset of JMS 1.1 plus ActiveMQ's
 * extensions), standalone: it depends on APR and libxml2 only, never on other hermod headers.
 *
 * A selector is compiled once (per consumer) into a pool and then evaluated against many
 * messages through an accessor the caller supplies.  Semantics follow ActiveMQ 5.17's
 * org.apache.activemq.selector.SelectorParser and org.apache.activemq.filter.* exactly,
 * including where they depart from the JMS specification (see README in this folder).
 *
 * Evaluation does not allocate, with two documented exceptions: XPATH parses the message body
 * with libxml2, and a string concatenation ('a' + x) whose results exceed SEL_EVAL_SCRATCH
 * bytes spills to the heap (freed before sel_eval returns). */
#ifndef SEL_H
#define SEL_H

#include <stddef.h>
#include <stdint.h>

#include <apr_errno.h>
#include <apr_pools.h>

/* Status codes (block 3000 of hermod's user error space; hermod's HM_ERRSPACE(3) equals this
 * base, but this library must not include hermod headers). Every one of them means the
 * selector is invalid: the broker answers javax.jms.InvalidSelectorException. */
#define SEL_ERRBASE   (APR_OS_START_USERERR + 3000)
#define SEL_ESYNTAX   (SEL_ERRBASE + 1)   /* not a selector: bad token or grammar */
#define SEL_ETYPE     (SEL_ERRBASE + 2)   /* well-formed but rejected by ActiveMQ's checks,
                                              e.g. 'a' < 1, x = NULL, NOT 5, 1 + 2 alone */
#define SEL_ELIMIT    (SEL_ERRBASE + 3)   /* exceeds a limit of sel_limits.h */
#define SEL_EUNSUPP   (SEL_ERRBASE + 4)   /* ActiveMQ feature hermod does not implement
                                              (function calls such as REGEX(...)) */

/* True for every status sel_compile returns for a bad selector. */
#define SEL_IS_INVALID(st) ((st) > SEL_ERRBASE && (st) <= SEL_ERRBASE + 99)

typedef struct sel_expr_s sel_expr_t;   /* compiled selector, lives in the caller's pool */

typedef enum {
    SEL_FALSE = 0,
    SEL_TRUE = 1,
    SEL_UNKNOWN = 2,   /* SQL NULL: the message does not match */
    SEL_ERROR = 3      /* evaluation raised what is an exception in ActiveMQ (arithmetic on a
                          string, negating a byte property, Double compared with Float...);
                          the message does not match */
} sel_result_e;

/* Value types an accessor reports.  ActiveMQ's comparisons and arithmetic depend on the Java
 * class of a property (Byte, Short, Integer, Long, Float, Double), e.g. a Short property
 * compared with an Integer literal is promoted while an Integer property compared with a Short
 * one is simply FALSE, and a Float is narrowed differently from a Double.  So an accessor must
 * report each property with the type it was sent with (OpenWire/AMQP both carry it).
 * SEL_FLOAT carries the float's value in u.d (exactly representable). */
typedef enum {
    SEL_NULL = 0,
    SEL_BOOL,
    SEL_BYTE,
    SEL_SHORT,
    SEL_INT,
    SEL_LONG,
    SEL_FLOAT,
    SEL_DOUBLE,
    SEL_STRING
} sel_type_e;

typedef struct sel_value_s {
    sel_type_e type;
    union {
        int b;                                      /* SEL_BOOL: 0 or 1 */
        int64_t l;                                  /* SEL_BYTE, SEL_SHORT, SEL_INT, SEL_LONG */
        double d;                                   /* SEL_FLOAT, SEL_DOUBLE */
        struct { const char *p; size_t len; } s;    /* SEL_STRING, UTF-8, not NUL-terminated */
    } u;
} sel_value_t;

/* The identifiers ActiveMQ reads from the message itself instead of its properties (exact,
 * case-sensitive names).  The value an accessor must report for each, as ActiveMQ does:
 *   DESTINATION, REPLY_TO   STRING "queue://name" / "topic://name"..., or NULL
 *   TYPE, MESSAGE_ID, CORRELATION_ID, X_GROUP_ID, X_PRODUCER_TXID   STRING or NULL
 *   DELIVERY_MODE   STRING "PERSISTENT" or "NON_PERSISTENT"
 *   PRIORITY, X_DELIVERY_COUNT (redeliveries + 1), X_GROUP_SEQ   INT
 *   TIMESTAMP, EXPIRATION, BROKER_IN_TIME, BROKER_OUT_TIME   LONG
 *   REDELIVERED, X_GROUP_FIRST_FOR_CONSUMER   BOOL
 *   X_USER_ID   STRING: the authenticated user id, else the JMSXUserID property, else NULL
 *   BROKER_PATH   STRING: Java's Arrays.toString of the broker path ("null" when none) */
typedef enum {
    SEL_HDR_NONE = 0,
    SEL_HDR_DESTINATION, SEL_HDR_REPLY_TO, SEL_HDR_TYPE, SEL_HDR_DELIVERY_MODE, SEL_HDR_PRIORITY,
    SEL_HDR_MESSAGE_ID, SEL_HDR_TIMESTAMP, SEL_HDR_CORRELATION_ID, SEL_HDR_EXPIRATION,
    SEL_HDR_REDELIVERED, SEL_HDR_X_DELIVERY_COUNT, SEL_HDR_X_GROUP_ID, SEL_HDR_X_USER_ID,
    SEL_HDR_X_GROUP_SEQ, SEL_HDR_X_PRODUCER_TXID, SEL_HDR_BROKER_IN_TIME,
    SEL_HDR_BROKER_OUT_TIME, SEL_HDR_BROKER_PATH, SEL_HDR_X_GROUP_FIRST_FOR_CONSUMER
} sel_header_e;

/* Which header name[0..len) is, SEL_HDR_NONE for a property name. */
sel_header_e sel_header_lookup(const char *name, size_t len);

/* How the evaluator reaches a message.  Names that sel_header_lookup recognises (JMSPriority,
 * JMSDeliveryMode, ...) are headers and must be answered from the message with the types
 * listed at sel_header_e; any other name is a property looked up by its exact, case-sensitive
 * name.  Header names shadow properties of the same name. */
typedef struct sel_accessor_s {
    /* Looks up an identifier (property or JMS header name, exactly as written in the selector).
     * Sets *out (SEL_NULL when absent). Strings must stay valid until sel_eval returns. */
    void (*get)(void *msg, const char *name, size_t name_len, sel_value_t *out);
    /* The message body as text for XPATH; returns 0 if the message has no text body. May be
     * NULL. (ActiveMQ also evaluates XPATH over BytesMessage bodies; an accessor may return
     * those bytes here too.) */
    int (*text_body)(void *msg, const char **text, size_t *len);
} sel_accessor_t;

/* Compiles the selector text[0..len) into pool.  On success *out is set and stays valid for
 * the pool's lifetime; the compiled form is read-only, so several threads may evaluate it at
 * once.  On failure returns SEL_ESYNTAX, SEL_ETYPE, SEL_ELIMIT or SEL_EUNSUPP and writes a
 * NUL-terminated message naming the 1-based column and the problem into err (if errlen > 0),
 * e.g. "unexpected 'AND' at column 12: expected an expression".
 * Note: like ActiveMQ, an empty or blank selector is invalid here; JMS clients send no
 * selector instead, and callers should treat a blank one as none (see sel_is_blank). */
apr_status_t sel_compile(apr_pool_t *pool, const char *text, size_t len, sel_expr_t **out,
                         char *err, size_t errlen);

/* Evaluates e against msg the way ActiveMQ's broker does (BooleanExpression.matches()).
 * The message matches iff the result is SEL_TRUE.  SEL_ERROR: ActiveMQ would throw.
 * Otherwise SEL_FALSE or SEL_UNKNOWN, after the operand that decided (AND and OR stop at the
 * first operand that settles the match, as ActiveMQ's matches() does).  Thread-safe for a
 * shared e; does not allocate except as noted at the top of this file. */
sel_result_e sel_eval(const sel_expr_t *e, const sel_accessor_t *acc, void *msg);

/* ActiveMQ's full three-valued BooleanExpression.evaluate() of the whole selector: differs
 * from sel_eval only in that AND/OR look at every operand until one decides the SQL result,
 * so an operand that throws after an unknown one makes it SEL_ERROR.  For tests/tools. */
sel_result_e sel_eval3(const sel_expr_t *e, const sel_accessor_t *acc, void *msg);

/* True if text consists only of characters <= ' ' (Java's String.trim() would empty it):
 * ActiveMQ's client then sends no selector at all. */
int sel_is_blank(const char *text, size_t len);

/* The identifiers a compiled selector reads, each once, in first-use order, so a caller can
 * check cheaply which properties a subscription depends on.  Pointers live in the pool (and
 * are NUL-terminated); the name sel_eval passes to the accessor's get is always one of these
 * pointers, so an accessor may map them to slots once per subscription. */
size_t sel_identifiers(const sel_expr_t *e, const char *const **names, const size_t **lens);

/* True if the selector uses XPATH (its evaluation parses the message body). */
int sel_uses_body(const sel_expr_t *e);

/* Initialises libxml2 once; call it from the main thread before starting threads that
 * compile XPATH selectors.  sel_compile calls it too. */
void sel_global_init(void);

#endif
