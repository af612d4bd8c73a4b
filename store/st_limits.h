/* Store limits: every length read back from disk is checked against these before use. */
#ifndef ST_LIMITS_H
#define ST_LIMITS_H

#define ST_MAX_BODY        (256u * 1024 * 1024)  /* one message body */
#define ST_MAX_NAME        4096u                 /* destination, client id, subscription, topic */
#define ST_MAX_SELECTOR    65536u
#define ST_MAX_BATCH_OPS   (1u << 22)            /* operations in one batch / prepared record */
#define ST_MAX_PRIORITY    9
#define ST_REMOVE_CHUNK    1000u                 /* entries removed per transaction when a
                                                    destination goes */
#define ST_LOCK_RETRIES    20                    /* deadlock retries of one batch */
#define ST_PROGRESS_EVERY  100000u               /* progress callback period (records) */
#define ST_CKPT_POKE       256u                  /* commits between journal size checks */

#endif
