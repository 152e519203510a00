/*
 * lt_list.h: a list of fixed-size parts; pushing never moves elements, so
 * pointers to them stay valid (header lists, open files, shared memory zones).
 */

#ifndef LT_LIST_H
#define LT_LIST_H

#include "lt_config.h"
#include "lt_palloc.h"

typedef struct lt_list_part_s  lt_list_part_t;

struct lt_list_part_s {
    void            *elts;
    size_t           nelts;
    lt_list_part_t  *next;
};

typedef struct {
    lt_list_part_t  *last;
    lt_list_part_t   part;
    size_t           size;
    size_t           nalloc;    /* elements per part */
    lt_pool_t       *pool;
} lt_list_t;

lt_list_t *lt_list_create(lt_pool_t *pool, size_t n, size_t size);

static inline int
lt_list_init(lt_list_t *list, lt_pool_t *pool, size_t n, size_t size)
{
    list->part.elts = lt_palloc(pool, n * size);
    if (list->part.elts == NULL) {
        return LT_ERROR;
    }

    list->part.nelts = 0;
    list->part.next = NULL;
    list->last = &list->part;
    list->size = size;
    list->nalloc = n;
    list->pool = pool;

    return LT_OK;
}

/* lt_list_push: room for one more element; NULL on failure */
void *lt_list_push(lt_list_t *list);

/*
 * iterate:
 *
 *   lt_list_iter_t  it;
 *   lt_open_file_t *file;
 *
 *   lt_list_iter_init(&it, &cycle->open_files);
 *   while ((file = lt_list_iter_next(&it)) != NULL) { ... }
 */

typedef struct {
    lt_list_part_t  *part;
    size_t           i;
    size_t           size;
} lt_list_iter_t;

static inline void
lt_list_iter_init(lt_list_iter_t *it, lt_list_t *list)
{
    it->part = &list->part;
    it->i = 0;
    it->size = list->size;
}

/* lt_list_iter_next: the next element, or NULL at the end */
static inline void *
lt_list_iter_next(lt_list_iter_t *it)
{
    while (it->part) {
        if (it->i < it->part->nelts) {
            return (u_char *) it->part->elts + it->size * it->i++;
        }

        it->part = it->part->next;
        it->i = 0;
    }

    return NULL;
}

#endif /* LT_LIST_H */
