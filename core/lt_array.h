/*
 * lt_array.h: a growable array in a pool. Growing moves the elements (to a larger
 * allocation in the same pool), so do not keep pointers to elements across a push.
 */

#ifndef LT_ARRAY_H
#define LT_ARRAY_H

#include "lt_config.h"
#include "lt_palloc.h"

typedef struct {
    void        *elts;
    size_t       nelts;
    size_t       size;      /* of one element */
    size_t       nalloc;
    lt_pool_t   *pool;
} lt_array_t;

/* lt_array_create: a new array with room for n elements; NULL on failure */
lt_array_t *lt_array_create(lt_pool_t *p, size_t n, size_t size);

/* lt_array_init: initialises an array struct the caller owns */
static inline int
lt_array_init(lt_array_t *array, lt_pool_t *pool, size_t n, size_t size)
{
    array->nelts = 0;
    array->size = size;
    array->nalloc = n;
    array->pool = pool;

    array->elts = lt_palloc(pool, n * size);
    if (array->elts == NULL) {
        return LT_ERROR;
    }

    return LT_OK;
}

/* lt_array_push: room for one more element (uninitialised); NULL on failure */
void *lt_array_push(lt_array_t *a);
/* lt_array_push_n: room for n more contiguous elements; NULL on failure */
void *lt_array_push_n(lt_array_t *a, size_t n);

/* lt_array_destroy: gives the memory back when it is the pool's last allocation */
void lt_array_destroy(lt_array_t *a);

#endif /* LT_ARRAY_H */
