/*
 * lt_queue.c: the out-of-line queue operations (see lt_queue.h).
 */

#include "lt_core.h"


lt_queue_t *
lt_queue_middle(lt_queue_t *queue)
{
    lt_queue_t  *slow, *fast;

    /* fast moves two steps per step of slow: when fast reaches the last element
     * (or the one before it), slow is at index n / 2 */

    slow = lt_queue_head(queue);
    fast = slow;

    while (fast != lt_queue_last(queue)) {
        fast = lt_queue_next(fast);
        slow = lt_queue_next(slow);

        if (fast == lt_queue_last(queue)) {
            break;
        }

        fast = lt_queue_next(fast);
    }

    return slow;
}


void
lt_queue_sort(lt_queue_t *queue, int (*cmp)(const lt_queue_t *, const lt_queue_t *))
{
    lt_queue_t  *q, *prev, *next;

    if (lt_queue_empty(queue)) {
        return;
    }

    /* everything before q is sorted; q goes back past the elements greater than it
     * only, so equal elements keep their order */

    for (q = lt_queue_next(lt_queue_head(queue)); q != lt_queue_sentinel(queue); q = next) {
        next = lt_queue_next(q);
        prev = lt_queue_prev(q);

        if (cmp(prev, q) <= 0) {
            continue;
        }

        lt_queue_remove(q);

        do {
            prev = lt_queue_prev(prev);
        } while (prev != lt_queue_sentinel(queue) && cmp(prev, q) > 0);

        lt_queue_insert_after(prev, q);
    }
}
