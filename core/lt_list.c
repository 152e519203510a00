/*
 * lt_list.c: lists of fixed-size parts in a pool (see lt_list.h).
 */

#include "lt_core.h"


lt_list_t *
lt_list_create(lt_pool_t *pool, size_t n, size_t size)
{
    lt_list_t  *list;

    list = lt_palloc(pool, sizeof(lt_list_t));
    if (list == NULL) {
        return NULL;
    }

    if (lt_list_init(list, pool, n, size) != LT_OK) {
        return NULL;
    }

    return list;
}


void *
lt_list_push(lt_list_t *list)
{
    void            *elts;
    lt_list_part_t  *part;

    part = list->last;

    if (part->nelts == list->nalloc) {

        /* the last part is full: chain a new one, the old parts stay in place */

        elts = lt_palloc(list->pool, list->nalloc * list->size);
        if (elts == NULL) {
            return NULL;
        }

        part = lt_palloc(list->pool, sizeof(lt_list_part_t));
        if (part == NULL) {
            return NULL;
        }

        part->elts = elts;
        part->nelts = 0;
        part->next = NULL;

        list->last->next = part;
        list->last = part;
    }

    elts = (u_char *) part->elts + list->size * part->nelts;
    part->nelts++;

    return elts;
}
