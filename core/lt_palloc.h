/*
 * lt_palloc.h: memory pools. A pool hands out memory that lives until the pool is
 * destroyed: one pool per cycle, per connection, per request. Small allocations
 * come from blocks carved linearly; large ones are malloc'd and listed so that
 * lt_pfree() can give them back early. Cleanup handlers run at destruction, last
 * registered first, so that fds and library state die with their pool.
 *
 * Built with --with-debug-pool every allocation is a malloc of its own, which
 * lets AddressSanitizer see overruns and use after destruction, and the
 * environment variable LINTEL_POOL_FAIL=N makes the Nth allocation (and every
 * Nth after it) fail, to exercise the error paths.
 */

#ifndef LT_PALLOC_H
#define LT_PALLOC_H

#include "lt_config.h"

#define LT_DEFAULT_POOL_SIZE   (16 * 1024)
#define LT_MIN_POOL_SIZE       256
/* allocations above this come from malloc, not from a pool block */
#define LT_MAX_ALLOC_FROM_POOL 4095

typedef void (*lt_pool_cleanup_pt)(void *data);

typedef struct lt_pool_cleanup_s  lt_pool_cleanup_t;

struct lt_pool_cleanup_s {
    lt_pool_cleanup_pt   handler;
    void                *data;
    lt_pool_cleanup_t   *next;
};

typedef struct lt_pool_block_s  lt_pool_block_t;
typedef struct lt_pool_large_s  lt_pool_large_t;

struct lt_pool_block_s {
    u_char              *last;      /* free space of this block */
    u_char              *end;
    lt_pool_block_t     *next;
    unsigned             failed;    /* allocations this block could not serve */
};

struct lt_pool_s {
    lt_pool_block_t      first;     /* the block this header sits at the start of */
    lt_pool_block_t     *current;   /* first block still worth trying */
    lt_pool_large_t     *large;
    lt_pool_cleanup_t   *cleanup;
    lt_chain_t          *chain;     /* free chain links (lt_buf.h) */
    lt_log_t            *log;
    size_t               max;       /* largest allocation served from blocks */
    size_t               block_size;
};

/* lt_create_pool: a pool whose blocks are `size` bytes (the first one holds the
 * pool header itself); NULL when out of memory (logged to log, which may be NULL) */
lt_pool_t *lt_create_pool(size_t size, lt_log_t *log);

/* lt_destroy_pool: runs the cleanups, then frees every block and large allocation */
void lt_destroy_pool(lt_pool_t *pool);

/* lt_reset_pool: frees large allocations and rewinds the blocks, keeping them; the
 * cleanups are not run and are dropped: use only on pools without cleanups */
void lt_reset_pool(lt_pool_t *pool);

/* lt_pool_clear: runs the cleanups, then rewinds the pool for reuse (a cache of
 * request pools); the first block is kept, later ones too */
void lt_pool_clear(lt_pool_t *pool);

/* lt_palloc: aligned memory; lt_pnalloc: unaligned (strings); lt_pcalloc: zeroed.
 * NULL when out of memory, logged once. */
void *lt_palloc(lt_pool_t *pool, size_t size);
void *lt_pnalloc(lt_pool_t *pool, size_t size);
void *lt_pcalloc(lt_pool_t *pool, size_t size);
/* lt_pmemalign: a large allocation with the given alignment */
void *lt_pmemalign(lt_pool_t *pool, size_t size, size_t alignment);

/* lt_pfree: gives back a large allocation now; LT_DECLINED for block memory */
int lt_pfree(lt_pool_t *pool, void *p);

/* lt_pool_cleanup_add: registers a cleanup (handler to be set by the caller) with
 * `size` bytes of data allocated from the pool when size > 0 */
lt_pool_cleanup_t *lt_pool_cleanup_add(lt_pool_t *pool, size_t size);

/* lt_pool_run_cleanup_file: runs and disarms the file cleanup for fd, if any */
void lt_pool_run_cleanup_file(lt_pool_t *pool, int fd);

/* a cleanup that closes a file descriptor */
typedef struct {
    int          fd;
    u_char      *name;
    lt_log_t    *log;
} lt_pool_cleanup_file_t;

void lt_pool_cleanup_file(void *data);

/* lt_pool_delete_file: the same cleanup that also removes the file */
void lt_pool_delete_file(void *data);

/* lt_alloc/lt_calloc: malloc that logs the failure */
void *lt_alloc(size_t size, lt_log_t *log);
void *lt_calloc(size_t size, lt_log_t *log);
#define lt_free  free

/* bytes a pool currently holds from malloc (blocks and large), for tests and stats */
size_t lt_pool_footprint(lt_pool_t *pool);

#endif /* LT_PALLOC_H */
