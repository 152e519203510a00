/*
 * lt_array.c: growable arrays in a pool (see lt_array.h).
 */

#include "lt_core.h"


lt_array_t *
lt_array_create(lt_pool_t *p, size_t n, size_t size)
{
    lt_array_t  *a;

    a = lt_palloc(p, sizeof(lt_array_t));
    if (a == NULL) {
        return NULL;
    }

    if (lt_array_init(a, p, n, size) != LT_OK) {
        return NULL;
    }

    return a;
}


/* lt_array_block_of: the block whose free space starts right where the array's
 * elements end (nothing was allocated after them there), or NULL */
static lt_pool_block_t *
lt_array_block_of(lt_array_t *a)
{
    u_char           *end;
    lt_pool_block_t  *b;

    end = (u_char *) a->elts + a->size * a->nalloc;

    for (b = a->pool->current; b; b = b->next) {
        if (b->last == end) {
            return b;
        }
    }

    return NULL;
}


/* lt_array_release: gives an old element buffer back when the pool can take it
 * (a large allocation; with the debug pool, every allocation is one, and freeing
 * it lets AddressSanitizer catch pointers kept across a push) */
static void
lt_array_release(lt_array_t *a, void *elts, size_t bytes)
{
#if (LT_DEBUG_POOL)
    (void) bytes;
    (void) lt_pfree(a->pool, elts);
#else
    if (bytes > a->pool->max) {
        (void) lt_pfree(a->pool, elts);
    }
#endif
}


/* lt_array_grow: room for n more elements: in place when the array is the last
 * allocation of a block with room for the shortfall, else a copy with room for
 * twice max(n, nalloc) elements */
static int
lt_array_grow(lt_array_t *a, size_t n)
{
    void             *new;
    size_t            need, nalloc;
    lt_pool_block_t  *b;

    if (a->size == 0 || n > SIZE_MAX / a->size - a->nelts) {
        return LT_ERROR;
    }

    need = a->nelts + n - a->nalloc;
    b = lt_array_block_of(a);

    if (b != NULL && (size_t) (b->end - b->last) >= need * a->size) {
        b->last += need * a->size;
        a->nalloc += need;
        return LT_OK;
    }

    nalloc = lt_max(n, a->nalloc);

    if (nalloc > SIZE_MAX / a->size / 2) {
        return LT_ERROR;
    }

    nalloc *= 2;

    new = lt_palloc(a->pool, nalloc * a->size);
    if (new == NULL) {
        return LT_ERROR;
    }

    if (a->nelts) {
        lt_memcpy(new, a->elts, a->nelts * a->size);
    }

    lt_array_release(a, a->elts, a->nalloc * a->size);

    a->elts = new;
    a->nalloc = nalloc;

    return LT_OK;
}


void *
lt_array_push(lt_array_t *a)
{
    void  *elt;

    if (a->nelts == a->nalloc && lt_array_grow(a, 1) != LT_OK) {
        return NULL;
    }

    elt = (u_char *) a->elts + a->size * a->nelts;
    a->nelts++;

    return elt;
}


void *
lt_array_push_n(lt_array_t *a, size_t n)
{
    void  *elt;

    if (n > a->nalloc - a->nelts && lt_array_grow(a, n) != LT_OK) {
        return NULL;
    }

    elt = (u_char *) a->elts + a->size * a->nelts;
    a->nelts += n;

    return elt;
}


void
lt_array_destroy(lt_array_t *a)
{
    lt_pool_block_t  *b;

    b = lt_array_block_of(a);

    if (b == NULL) {
        lt_array_release(a, a->elts, a->nalloc * a->size);
        return;
    }

    b->last = a->elts;

    /* the header too, when lt_array_create put it just before the elements */
    if ((u_char *) a + sizeof(lt_array_t) == b->last) {
        b->last = (u_char *) a;
    }
}
