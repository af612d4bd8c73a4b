/* Limits on what a configuration may contain.  A configuration comes from a file an
 * administrator writes, but it is still input: every size is bounded before use. */
#ifndef CFG_LIMITS_H
#define CFG_LIMITS_H

#define CFG_MAX_FILE_BYTES   (4u * 1024 * 1024)  /* larger files are refused (CFG_ETOOBIG) */
#define CFG_MAX_DEPTH        32                   /* element nesting; activemq.xml needs ~10 */
#define CFG_MAX_LIST         10000                /* entries in any one list (policies, users...) */
#define CFG_MAX_VALUE_BYTES  8192                 /* one attribute value after ${} expansion */
#define CFG_MAX_PLACEHOLDERS 64                   /* ${...} in one value */
#define CFG_MAX_NAME_BYTES   1024                 /* a destination name or pattern */
#define CFG_MAX_URI_OPTIONS  64                   /* ?a=b&c=d pairs in one connector URI */
#define CFG_MAX_SIDE_FILE_BYTES (1024u * 1024)    /* a .properties or login.config file */

#endif
