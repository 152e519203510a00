/*
 * lt_slab.h: an allocator for one shared memory zone. The zone is cut into pages;
 * small sizes (powers of two from 8 bytes up to half a page) share pages that
 * track their free slots with a bitmap; larger requests take runs of whole pages,
 * and freed runs merge with free neighbours. All state lives inside the zone, so
 * any process that maps it can allocate and free under the zone's lock.
 */

#ifndef LT_SLAB_H
#define LT_SLAB_H

#include "lt_config.h"
#include "lt_shmtx.h"

typedef struct lt_slab_page_s  lt_slab_page_t;

/* a page's descriptor; what the fields mean is private to lt_slab.c */
struct lt_slab_page_s {
    lt_slab_page_t  *next;      /* free runs, or a size class's pages with free slots */
    lt_slab_page_t  *prev;
    uint16_t         type;      /* LT_SLAB_* in lt_slab.c */
    uint16_t         shift;     /* slot pages: log2 of the slot size */
    uint32_t         n;         /* pages in a run, or slots in use */
    uintptr_t        map;       /* slot bitmap when it fits in one word */
};

typedef struct {
    size_t      total;
    size_t      used;
    size_t      reqs;
    size_t      fails;
} lt_slab_stat_t;

typedef struct {
    lt_shmtx_sh_t     lock;

    size_t            min_size;     /* smallest slot */
    size_t            min_shift;

    lt_slab_page_t   *pages;        /* one descriptor per page */
    lt_slab_page_t   *last;
    lt_slab_page_t    free;         /* list of free page runs */

    lt_slab_stat_t   *stats;        /* per size class */
    size_t            pfree;        /* free pages */

    u_char           *start;        /* first page */
    u_char           *end;          /* end of the zone */

    lt_shmtx_t        mutex;

    u_char           *log_ctx;
    u_char            zero;
    unsigned          log_nomem:1;  /* log "no memory" failures (default on) */

    void             *data;         /* the zone owner's root structure */
    void             *addr;         /* the zone's start */
} lt_slab_pool_t;

/* lt_slab_sizes_init: computes page-size dependent constants; call once at start */
void lt_slab_sizes_init(void);

/* lt_slab_init: lays out the allocator; pool->addr, ->end and ->min_shift must be
 * set (lt_init_zone_pool does this for zones) */
void lt_slab_init(lt_slab_pool_t *pool);

/* lt_slab_alloc/calloc: size bytes (NULL when the zone is full, logged as
 * "lt_slab_alloc() failed: no memory" with the zone name); lock taken inside */
void *lt_slab_alloc(lt_slab_pool_t *pool, size_t size);
void *lt_slab_calloc(lt_slab_pool_t *pool, size_t size);
/* the _locked variants expect the caller to hold pool->mutex */
void *lt_slab_alloc_locked(lt_slab_pool_t *pool, size_t size);
void *lt_slab_calloc_locked(lt_slab_pool_t *pool, size_t size);

void lt_slab_free(lt_slab_pool_t *pool, void *p);
void lt_slab_free_locked(lt_slab_pool_t *pool, void *p);

#endif /* LT_SLAB_H */
