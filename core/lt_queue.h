/*
 * lt_queue.h: an intrusive circular doubly linked list with a sentinel. Embed an
 * lt_queue_t in a struct and get the struct back with lt_queue_data().
 */

#ifndef LT_QUEUE_H
#define LT_QUEUE_H

#include "lt_config.h"

typedef struct lt_queue_s  lt_queue_t;

struct lt_queue_s {
    lt_queue_t  *prev;
    lt_queue_t  *next;
};

#define lt_queue_init(q)        ((q)->prev = q, (q)->next = q)
#define lt_queue_empty(h)       ((h) == (h)->prev)
#define lt_queue_head(h)        (h)->next
#define lt_queue_last(h)        (h)->prev
#define lt_queue_sentinel(h)    (h)
#define lt_queue_next(q)        (q)->next
#define lt_queue_prev(q)        (q)->prev
#define lt_queue_data(q, type, link)  lt_container_of(q, type, link)

static inline void
lt_queue_insert_head(lt_queue_t *h, lt_queue_t *x)
{
    x->next = h->next;
    x->next->prev = x;
    x->prev = h;
    h->next = x;
}

static inline void
lt_queue_insert_tail(lt_queue_t *h, lt_queue_t *x)
{
    x->prev = h->prev;
    x->prev->next = x;
    x->next = h;
    h->prev = x;
}

#define lt_queue_insert_after   lt_queue_insert_head

static inline void
lt_queue_remove(lt_queue_t *x)
{
    x->next->prev = x->prev;
    x->prev->next = x->next;
#if (LT_DEBUG)
    x->prev = NULL;
    x->next = NULL;
#endif
}

/* lt_queue_split: moves q and everything after it from h into n */
static inline void
lt_queue_split(lt_queue_t *h, lt_queue_t *q, lt_queue_t *n)
{
    n->prev = h->prev;
    n->prev->next = n;
    n->next = q;
    h->prev = q->prev;
    h->prev->next = h;
    q->prev = n;
}

/* lt_queue_add: appends all of n to h (n is left dangling) */
static inline void
lt_queue_add(lt_queue_t *h, lt_queue_t *n)
{
    h->prev->next = n->next;
    n->next->prev = h->prev;
    h->prev = n->prev;
    h->prev->next = h;
}

/* lt_queue_middle: the middle element (the first of the second half) */
lt_queue_t *lt_queue_middle(lt_queue_t *queue);

/* lt_queue_sort: stable insertion sort */
void lt_queue_sort(lt_queue_t *queue, int (*cmp)(const lt_queue_t *, const lt_queue_t *));

#endif /* LT_QUEUE_H */
