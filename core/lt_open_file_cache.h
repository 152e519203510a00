/*
 * lt_open_file_cache.h: a per-worker cache of open file descriptors and of what
 * stat() said about paths ("open_file_cache"), so that a file served again and
 * again is not opened and stat()ed for every request.
 *
 * An entry is checked again against the file system once it is older than the
 * caller's "valid" time; it is dropped when unused for "inactive" seconds, or, the
 * least recently used first, when the cache holds "max" entries. A descriptor that
 * requests still use when its entry goes is closed by the last of them.
 */

#ifndef LT_OPEN_FILE_CACHE_H
#define LT_OPEN_FILE_CACHE_H

#include "lt_config.h"
#include "lt_string.h"
#include "lt_palloc.h"
#include "lt_queue.h"
#include "lt_rbtree.h"

typedef struct lt_open_file_cache_s  lt_open_file_cache_t;

typedef struct {
    /* out */
    int             fd;         /* -1 for a directory, or when only tested */
    struct stat     st;
    int             err;        /* the errno of a failure */
    const char     *failed;     /* "open()" or "stat()": what failed */

    /* in */
    time_t          valid;      /* seconds a cached answer is trusted */
    unsigned        min_uses;   /* uses within "inactive" before a descriptor is kept */
    size_t          read_ahead; /* not 0: sequential read-ahead on a new descriptor */
    unsigned        errors:1;   /* failures are cached too */
    unsigned        test_only:1;    /* the caller needs the stat() only */
} lt_open_file_info_t;

/* lt_open_file_cache_init: a cache in pool (its descriptors are closed with it) */
lt_open_file_cache_t *lt_open_file_cache_init(lt_pool_t *pool, unsigned max,
    time_t inactive);

/*
 * lt_open_cached_file: opens name (NUL-terminated) and fills of, from the cache
 * when there is one (cache may be NULL). LT_OK, or LT_ERROR with of->err and
 * of->failed set (of->err 0: out of memory). The descriptor is not the caller's
 * to close: it is released with pool.
 */
int lt_open_cached_file(lt_open_file_cache_t *cache, const lt_str_t *name,
    lt_open_file_info_t *of, lt_pool_t *pool);

#endif /* LT_OPEN_FILE_CACHE_H */
