/* Store limits: every length read back from disk is checked against these before use. */
#ifndef ST_LIMITS_H
#define ST_LIMITS_H

#define ST_LOCK_FILE       "hermod.lock"         /* in the store directory: its lock-file lease */
#define ST_LEASE_FILE      "hermod.lease"        /* ... or a pair's lease file (st_lease_file.c) */
#define ST_LEASE_RECORD    512                   /* bytes of the lease record, written whole */
#define ST_LEASE_HOLDER_MAX 256                  /* the holder's name in it */
#define ST_LEASE_MIN_MARGIN_MS 100               /* the least safety margin of a lease */
#define ST_SUMMARY_FILE    "hermod.summary"      /* in the store directory: the census of a clean close */
#define ST_SUMMARY_MAX     (64u * 1024 * 1024)   /* bytes of a summary read back */
#define ST_MAX_BODY        (256u * 1024 * 1024)  /* one message body */
#define ST_MAX_NAME        4096u                 /* destination, client id, subscription, topic */
#define ST_BDB_REGION_MAX  (64u * 1024 * 1024)   /* bdb: the environment region (locks, transactions,
                                                    log buffer; not the cache) may grow to this */
#define ST_MAX_SELECTOR    65536u
#define ST_MAX_BATCH_OPS   (1u << 22)            /* operations in one batch / prepared record */
#define ST_MAX_PRIORITY    9
#define ST_REMOVE_CHUNK    1000u                 /* entries removed per transaction when a
                                                    destination goes */
#define ST_LOCK_RETRIES    20                    /* deadlock retries of one batch */
#define ST_PROGRESS_EVERY  100000u               /* progress callback period (records) */
#define ST_CKPT_POKE       256u                  /* commits between journal size checks */
#define ST_LAZY_FLUSH_MS   100u                  /* a commit nobody waits for (an ack) reaches
                                                    disk within this, or with the next flush
                                                    someone waits for, whichever comes first */
#define ST_DEFER_WINDOW_US 1000u                /* how long a fresh batch may wait for the
                                                    acknowledgement that cancels it, while
                                                    acknowledgements come that fast */
#define ST_DEFER_RING      256u                  /* recent adds watched for fast removes */
#define ST_DEFER_MAX_OPS   16u                   /* larger batches are applied at once */
#define ST_JOURNAL_MAX_BODY (64u * 1024)         /* larger single-entry bodies go into their
                                                    entry, not the journal (st_journal.c) */
#define ST_JOURNAL_KEEP_MB  128u                 /* bodies older than this much journal move
                                                    into their entries, so files can go */
#define ST_RELOCATE_CHUNK   500u                 /* entries moved per transaction */

/* Page size of a new messages.db and entries.db (which keeps most bodies inline).  Why 8 KB: Berkeley DB keeps a B-tree item inline only up
 * to about a quarter page and moves larger ones to overflow pages of their own.  Freeing an
 * overflow page that is the file's last page (the normal case when a queue drains as fast as
 * it fills) forces a synchronous log flush inside the acknowledging transaction.  With 8 KB
 * pages bodies up to about 2 KB (the common 1 KB message with its headers) stay inline; larger
 * pages would keep more inline but waste up to a page per larger body on disk (an overflow
 * page holds one item).  Existing files keep the page size they were created with. */
#define ST_BDB_MSG_PAGE    (8u * 1024)

/* Temporary storage (st_temp.c) */
#define ST_TEMP_FILE       "spill.db"            /* in the temporary storage directory */
#define ST_TEMP_CACHE      (4u * 1024 * 1024)    /* its Berkeley DB cache: what it may hold in
                                                    memory, whatever the spilled backlog */
#define ST_TEMP_PAGE       (8u * 1024)           /* keeps 1 KB messages inline (as ST_BDB_MSG_PAGE) */
#define ST_TEMP_KEY        13u                   /* list (4), priority (1), seq (8), big-endian */

#endif
