/* Temporary storage (ActiveMQ's tmp_storage, bounded by <tempUsage>): lists of byte records a
 * broker moves out of memory and back, in order, which nobody needs after a restart.
 *
 * One Berkeley DB B-tree in a private environment: no transactions, no log, no locking, a small
 * cache of its own, so it shares nothing with the message store and cannot slow its commits.
 * Its directory is wiped when it opens and when it closes.  Not thread-safe: the caller
 * serialises (the broker calls it under its lock). */
#ifndef ST_TEMP_H
#define ST_TEMP_H

#include <stddef.h>
#include <stdint.h>

#include <apr_pools.h>

typedef struct st_temp_s st_temp_t;

/* Opens (creating, or emptying) dir with the given limit in bytes (0: none).  *out is owned
 * by the caller: st_temp_close. */
apr_status_t st_temp_open(apr_pool_t *pool, const char *dir, uint64_t limit, st_temp_t **out);
/* Closes and removes its files. */
void st_temp_close(st_temp_t *t);

/* Appends a record to (list, prio) under key seq (greater than the list's earlier ones).
 * HM_ENOSPACE when the storage is full (nothing written); the record that fills it is taken,
 * as a memory limit takes the send that reaches it, so "full" is reached and seen. */
apr_status_t st_temp_put(st_temp_t *t, uint32_t list, uint8_t prio, uint64_t seq,
                         const void *bytes, size_t len);

/* Called per record in seq order; a non-zero status stops the walk and is returned (after the
 * record is removed, if the callback asked with *take). */
typedef apr_status_t (*st_temp_fn)(void *baton, uint64_t seq, const void *bytes, size_t len,
                                   int *take);
/* Walks (list, prio) from the first record with seq above after, at most max records;
 * records whose callback sets *take are removed from the storage.  *end (may be NULL) is set
 * when the walk reached the list's end. */
apr_status_t st_temp_walk(st_temp_t *t, uint32_t list, uint8_t prio, uint64_t after, size_t max,
                          st_temp_fn fn, void *baton, int *end);
/* Removes every record of list (a queue or subscription that went). */
apr_status_t st_temp_drop(st_temp_t *t, uint32_t list);

/* Bytes the records take (keys and values), what <tempUsage> limits. */
uint64_t st_temp_used(const st_temp_t *t);
uint64_t st_temp_limit(const st_temp_t *t);
/* 1 when at or over the limit (ActiveMQ's tempUsage.isFull()). */
int st_temp_full(const st_temp_t *t);

#endif
