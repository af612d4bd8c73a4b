/* hermod status codes: APR's apr_status_t with the project's own codes above
 * APR_OS_START_USERERR.  Each module owns a block of 1000 so codes never collide:
 *   hm 0..999, ow 1000.., amqp 2000.., sel 3000.., st 4000.., cfg 5000.. */
#ifndef HM_STATUS_H
#define HM_STATUS_H

#include <apr_errno.h>

#define HM_ERRSPACE(block)  (APR_OS_START_USERERR + (block) * 1000)

/* Decoding has three outcomes: APR_SUCCESS (complete), HM_EINCOMPLETE (need more bytes),
 * or an error such as HM_EMALFORMED. */
#define HM_EINCOMPLETE  (HM_ERRSPACE(0) + 1)   /* need more bytes: not an error */
#define HM_EMALFORMED   (HM_ERRSPACE(0) + 2)   /* bytes violate the format */
#define HM_ETOOBIG      (HM_ERRSPACE(0) + 3)   /* a declared size exceeds a limit */
#define HM_EPROTO       (HM_ERRSPACE(0) + 4)   /* well-formed but not allowed here */
#define HM_ENOTFOUND    (HM_ERRSPACE(0) + 5)   /* a named thing does not exist */
#define HM_EEXISTS      (HM_ERRSPACE(0) + 6)   /* a named thing already exists */
#define HM_EDENIED      (HM_ERRSPACE(0) + 7)   /* not permitted */
#define HM_ECLOSED      (HM_ERRSPACE(0) + 8)   /* the peer or object is closed */
#define HM_ENOSPACE     (HM_ERRSPACE(0) + 9)   /* a memory or store limit is reached */
#define HM_EINVAL       (HM_ERRSPACE(0) + 10)  /* an argument or setting is invalid */
#define HM_ESELECTOR    (HM_ERRSPACE(0) + 11)  /* a message selector is invalid */
#define HM_ENOTALLOWED  (HM_ERRSPACE(0) + 12)  /* authentication or authorization refused */
#define HM_EFLOW        (HM_ERRSPACE(0) + 40)  /* a memory limit holds the producer (flow control) */

/* A static description of any status, hermod's or APR's (thread-safe). */
const char *hm_strerror(apr_status_t st);

/* Modules register a describer for their own block so hm_strerror knows every code. */
typedef const char *(*hm_describe_fn)(apr_status_t st);
void hm_status_register(int block, hm_describe_fn fn);

#endif
