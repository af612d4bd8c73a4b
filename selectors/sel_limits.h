/* sel_limits.h — every hard limit of the selector library in one place.  Exceeding one at
 * compile time makes the selector invalid (SEL_ELIMIT); none of them can crash the broker.
 * ActiveMQ itself has no such limits; these are far above what real selectors use. */
#ifndef SEL_LIMITS_H
#define SEL_LIMITS_H

#define SEL_MAX_TEXT        (256 * 1024)  /* bytes of selector text */
#define SEL_MAX_DEPTH       256           /* nesting of the expression tree (parentheses, unary
                                             operators and chains like a+b+c all count); bounds
                                             the parser's and evaluator's recursion */
#define SEL_MAX_LIKE        4096          /* bytes of a LIKE pattern */
#define SEL_MAX_IN_LIST     16384         /* strings in one IN (...) list */
#define SEL_MAX_NODES       65536         /* expression nodes in one selector */
#define SEL_MAX_XPATH       4096          /* bytes of an XPATH expression */

#define SEL_EVAL_SCRATCH    1024          /* stack bytes sel_eval keeps for string concatenation
                                             results before spilling to the heap */
#define SEL_MAX_CONCAT      (16 * 1024 * 1024) /* a concatenation result larger than this is an
                                             evaluation error (SEL_ERROR) */
#define SEL_XML_MAX_BODY    (4 * 1024 * 1024)  /* XPATH over a larger body is FALSE */
#define SEL_XPATH_MAX_OPS   (10UL * 1000 * 1000) /* libxml2 XPath steps per evaluation; beyond is FALSE */
#define SEL_XML_MAX_DEPTH   128           /* element nesting of an XPATH body; deeper is FALSE */

#endif
