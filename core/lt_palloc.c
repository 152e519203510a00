/*
 * lt_palloc.c: memory pools (see lt_palloc.h).
 */

#include "lt_core.h"

struct lt_pool_large_s {
    lt_pool_large_t  *next;
    void             *alloc;
    size_t            size;
};

#if (LT_DEBUG_POOL)

static int64_t  lt_pool_fail_every = -1;
static int64_t  lt_pool_alloc_count;

/* lt_pool_should_fail: the failure injector of the debug pool (LINTEL_POOL_FAIL=N) */
static int
lt_pool_should_fail(void)
{
    const char  *v;

    if (lt_pool_fail_every == -1) {
        v = getenv("LINTEL_POOL_FAIL");
        lt_pool_fail_every = (v && atoll(v) > 0) ? atoll(v) : 0;
    }

    if (lt_pool_fail_every == 0) {
        return 0;
    }

    return ++lt_pool_alloc_count % lt_pool_fail_every == 0;
}

#endif


void *
lt_alloc(size_t size, lt_log_t *log)
{
    void  *p;

    p = malloc(size);
    if (p == NULL && log) {
        lt_log_error(LT_LOG_EMERG, log, errno, "malloc(%zu) failed", size);
    }

    return p;
}


void *
lt_calloc(size_t size, lt_log_t *log)
{
    void  *p;

    p = lt_alloc(size, log);
    if (p) {
        lt_memzero(p, size);
    }

    return p;
}


/* lt_pool_free_large: frees the large allocations (and, in the debug pool, their
 * list nodes, which are malloc'd there too) */
static void
lt_pool_free_large(lt_pool_t *pool)
{
    lt_pool_large_t  *l, *next;

    for (l = pool->large; l; l = next) {
        next = l->next;
        free(l->alloc);
#if (LT_DEBUG_POOL)
        free(l);
#endif
    }

    pool->large = NULL;
}


lt_pool_t *
lt_create_pool(size_t size, lt_log_t *log)
{
    lt_pool_t  *p;

    if (size < LT_MIN_POOL_SIZE) {
        size = LT_MIN_POOL_SIZE;
    }

    p = lt_alloc(size, log);
    if (p == NULL) {
        return NULL;
    }

    p->first.last = (u_char *) p + sizeof(lt_pool_t);
    p->first.end = (u_char *) p + size;
    p->first.next = NULL;
    p->first.failed = 0;

    p->current = &p->first;
    p->large = NULL;
    p->cleanup = NULL;
    p->chain = NULL;
    p->log = log;
    p->block_size = size;

    size -= sizeof(lt_pool_t);
    p->max = size < LT_MAX_ALLOC_FROM_POOL ? size : LT_MAX_ALLOC_FROM_POOL;

    return p;
}


void
lt_destroy_pool(lt_pool_t *pool)
{
    lt_pool_block_t    *b, *next;
    lt_pool_cleanup_t  *c;

    for (c = pool->cleanup; c; c = c->next) {
        if (c->handler) {
            c->handler(c->data);
        }
    }

    lt_pool_free_large(pool);

    for (b = pool->first.next; b; b = next) {
        next = b->next;
        free(b);
    }

    free(pool);
}


void
lt_reset_pool(lt_pool_t *pool)
{
    lt_pool_block_t  *b;
    lt_pool_free_large(pool);

    pool->first.last = (u_char *) pool + sizeof(lt_pool_t);
    pool->first.failed = 0;

    for (b = pool->first.next; b; b = b->next) {
        b->last = (u_char *) b + sizeof(lt_pool_block_t);
        b->failed = 0;
    }

    pool->current = &pool->first;
    pool->large = NULL;
    pool->cleanup = NULL;
    pool->chain = NULL;
}


void
lt_pool_clear(lt_pool_t *pool)
{
    lt_pool_cleanup_t  *c;

    for (c = pool->cleanup; c; c = c->next) {
        if (c->handler) {
            c->handler(c->data);
        }
    }

    lt_reset_pool(pool);
}


#if !(LT_DEBUG_POOL)

/* lt_palloc_block: a new block at the end of the list, serving this allocation */
static void *
lt_palloc_block(lt_pool_t *pool, size_t size, size_t align)
{
    u_char           *m;
    lt_pool_block_t  *b, *new;

    m = lt_alloc(pool->block_size, pool->log);
    if (m == NULL) {
        return NULL;
    }

    new = (lt_pool_block_t *) m;
    new->end = m + pool->block_size;
    new->next = NULL;
    new->failed = 0;

    m += sizeof(lt_pool_block_t);
    m = lt_align_ptr(m, align);
    new->last = m + size;

    /* blocks that failed often stop being tried first */
    for (b = pool->current; b->next; b = b->next) {
        if (b->failed++ > 4) {
            pool->current = b->next;
        }
    }

    b->next = new;

    return m;
}


static void *
lt_palloc_large(lt_pool_t *pool, size_t size)
{
    void             *p;
    unsigned          n;
    lt_pool_large_t  *large;

    p = lt_alloc(size, pool->log);
    if (p == NULL) {
        return NULL;
    }

    /* reuse a slot freed by lt_pfree() among the first few */
    n = 0;
    for (large = pool->large; large; large = large->next) {
        if (large->alloc == NULL) {
            large->alloc = p;
            large->size = size;
            return p;
        }

        if (n++ > 3) {
            break;
        }
    }

#if (LT_DEBUG_POOL)
    large = malloc(sizeof(lt_pool_large_t));
#else
    large = lt_palloc(pool, sizeof(lt_pool_large_t));
#endif
    if (large == NULL) {
        free(p);
        return NULL;
    }

    large->alloc = p;
    large->size = size;
    large->next = pool->large;
    pool->large = large;

    return p;
}


static void *
lt_palloc_small(lt_pool_t *pool, size_t size, size_t align)
{
    u_char           *m;
    lt_pool_block_t  *b;

    for (b = pool->current; b; b = b->next) {
        m = lt_align_ptr(b->last, align);

        /* aligning may step past the end of an almost full block */
        if (m <= b->end && (size_t) (b->end - m) >= size) {
            b->last = m + size;
            return m;
        }
    }

    return lt_palloc_block(pool, size, align);
}


#endif


#if (LT_DEBUG_POOL)

/* the debug pool: every allocation is a malloc of its own, listed for destruction */
static void *
lt_palloc_debug(lt_pool_t *pool, size_t size)
{
    void             *p;
    lt_pool_large_t  *large;

    if (lt_pool_should_fail()) {
        if (pool->log) {
            lt_log_error(LT_LOG_EMERG, pool->log, ENOMEM,
                         "malloc(%zu) failed (injected by LINTEL_POOL_FAIL)", size);
        }
        return NULL;
    }

    p = lt_alloc(size ? size : 1, pool->log);
    if (p == NULL) {
        return NULL;
    }

    large = malloc(sizeof(lt_pool_large_t));
    if (large == NULL) {
        free(p);
        return NULL;
    }

    large->alloc = p;
    large->size = size;
    large->next = pool->large;
    pool->large = large;

    return p;
}

#endif


void *
lt_palloc(lt_pool_t *pool, size_t size)
{
#if (LT_DEBUG_POOL)
    return lt_palloc_debug(pool, size);
#else
    if (size <= pool->max) {
        return lt_palloc_small(pool, size, LT_ALIGNMENT);
    }

    return lt_palloc_large(pool, size);
#endif
}


void *
lt_pnalloc(lt_pool_t *pool, size_t size)
{
#if (LT_DEBUG_POOL)
    return lt_palloc_debug(pool, size);
#else
    if (size <= pool->max) {
        return lt_palloc_small(pool, size, 1);
    }

    return lt_palloc_large(pool, size);
#endif
}


void *
lt_pcalloc(lt_pool_t *pool, size_t size)
{
    void  *p;

    p = lt_palloc(pool, size);
    if (p) {
        lt_memzero(p, size);
    }

    return p;
}


void *
lt_pmemalign(lt_pool_t *pool, size_t size, size_t alignment)
{
    void             *p;
    lt_pool_large_t  *large;
    int               err;

#if (LT_DEBUG_POOL)
    if (lt_pool_should_fail()) {
        return NULL;
    }
#endif

    err = posix_memalign(&p, alignment, size);
    if (err) {
        if (pool->log) {
            lt_log_error(LT_LOG_EMERG, pool->log, err,
                         "posix_memalign(%zu, %zu) failed", alignment, size);
        }
        return NULL;
    }

#if (LT_DEBUG_POOL)
    large = malloc(sizeof(lt_pool_large_t));
#else
    large = lt_palloc_small(pool, sizeof(lt_pool_large_t), LT_ALIGNMENT);
#endif
    if (large == NULL) {
        free(p);
        return NULL;
    }

    large->alloc = p;
    large->size = size;
    large->next = pool->large;
    pool->large = large;

    return p;
}


int
lt_pfree(lt_pool_t *pool, void *p)
{
    lt_pool_large_t  *l;

    for (l = pool->large; l; l = l->next) {
        if (p == l->alloc) {
            free(l->alloc);
            l->alloc = NULL;
            l->size = 0;
            return LT_OK;
        }
    }

    return LT_DECLINED;
}


lt_pool_cleanup_t *
lt_pool_cleanup_add(lt_pool_t *pool, size_t size)
{
    lt_pool_cleanup_t  *c;

    c = lt_palloc(pool, sizeof(lt_pool_cleanup_t));
    if (c == NULL) {
        return NULL;
    }

    if (size) {
        c->data = lt_palloc(pool, size);
        if (c->data == NULL) {
            return NULL;
        }

    } else {
        c->data = NULL;
    }

    c->handler = NULL;
    c->next = pool->cleanup;
    pool->cleanup = c;

    return c;
}


void
lt_pool_cleanup_file(void *data)
{
    lt_pool_cleanup_file_t  *cf = data;

    if (cf->fd != LT_INVALID_FILE && close(cf->fd) == -1) {
        lt_log_error(LT_LOG_ALERT, cf->log, errno, "close() \"%s\" failed",
                     cf->name ? (char *) cf->name : "");
    }
}


void
lt_pool_delete_file(void *data)
{
    lt_pool_cleanup_file_t  *cf = data;

    if (cf->name && unlink((char *) cf->name) == -1 && errno != ENOENT) {
        lt_log_error(LT_LOG_CRIT, cf->log, errno, "unlink() \"%s\" failed",
                     (char *) cf->name);
    }

    lt_pool_cleanup_file(data);
}


void
lt_pool_run_cleanup_file(lt_pool_t *pool, int fd)
{
    lt_pool_cleanup_t       *c;
    lt_pool_cleanup_file_t  *cf;

    for (c = pool->cleanup; c; c = c->next) {
        if (c->handler == lt_pool_cleanup_file || c->handler == lt_pool_delete_file) {
            cf = c->data;

            if (cf->fd == fd) {
                c->handler(cf);
                c->handler = NULL;
                return;
            }
        }
    }
}


size_t
lt_pool_footprint(lt_pool_t *pool)
{
    size_t            n;
    lt_pool_block_t  *b;
    lt_pool_large_t  *l;

    n = pool->block_size;

    for (b = pool->first.next; b; b = b->next) {
        n += pool->block_size;
    }

    for (l = pool->large; l; l = l->next) {
        n += l->size;
    }

    return n;
}
