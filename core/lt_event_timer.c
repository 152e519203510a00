/*
 * lt_event_timer.c: timers in a red-black tree keyed by deadline, and the
 * posted-event queues (see lt_event.h).
 */

#include "lt_core.h"

lt_rbtree_t              lt_event_timer_rbtree;
static lt_rbtree_node_t  lt_event_timer_sentinel;

lt_queue_t  lt_posted_accept_events;
lt_queue_t  lt_posted_events;
lt_queue_t  lt_posted_next_events;


int
lt_event_timer_init(lt_log_t *log)
{
    lt_rbtree_init(&lt_event_timer_rbtree, &lt_event_timer_sentinel,
                   lt_rbtree_insert_timer_value);

    lt_queue_init(&lt_posted_accept_events);
    lt_queue_init(&lt_posted_events);
    lt_queue_init(&lt_posted_next_events);

    return LT_OK;
}


void
lt_event_add_timer(lt_event_t *ev, uint64_t timer)
{
    uint64_t  key;
    int64_t   diff;

    key = lt_current_msec + timer;

    if (ev->timer_set) {
        /* re-arming to nearly the same deadline is common (every read of a
         * keep-alive connection): leave the tree alone when the move is small */
        diff = (int64_t) (key - ev->timer.key);

        if (lt_abs(diff) < LT_TIMER_LAZY_DELAY) {
            return;
        }

        lt_event_del_timer(ev);
    }

    ev->timer.key = (lt_rbtree_key_t) key;

    lt_rbtree_insert(&lt_event_timer_rbtree, &ev->timer);

    ev->timer_set = 1;
}


uint64_t
lt_event_find_timer(void)
{
    int64_t            timer;
    lt_rbtree_node_t  *node, *root, *sentinel;

    if (lt_event_timer_rbtree.root == &lt_event_timer_sentinel) {
        return LT_TIMER_INFINITE;
    }

    root = lt_event_timer_rbtree.root;
    sentinel = lt_event_timer_rbtree.sentinel;

    node = lt_rbtree_min(root, sentinel);

    timer = (int64_t) (node->key - lt_current_msec);

    return (uint64_t) (timer > 0 ? timer : 0);
}


void
lt_event_expire_timers(void)
{
    lt_event_t        *ev;
    lt_rbtree_node_t  *node, *root, *sentinel;

    sentinel = lt_event_timer_rbtree.sentinel;

    for ( ;; ) {
        root = lt_event_timer_rbtree.root;

        if (root == sentinel) {
            return;
        }

        node = lt_rbtree_min(root, sentinel);

        if ((int64_t) (node->key - lt_current_msec) > 0) {
            return;
        }

        ev = lt_container_of(node, lt_event_t, timer);

        lt_rbtree_delete(&lt_event_timer_rbtree, &ev->timer);

        ev->timer_set = 0;
        ev->timedout = 1;

        ev->handler(ev);
    }
}


int
lt_event_no_timers_left(void)
{
    lt_event_t        *ev;
    lt_rbtree_node_t  *node, *root, *sentinel;

    sentinel = lt_event_timer_rbtree.sentinel;
    root = lt_event_timer_rbtree.root;

    if (root == sentinel) {
        return LT_OK;
    }

    for (node = lt_rbtree_min(root, sentinel);
         node;
         node = lt_rbtree_next(&lt_event_timer_rbtree, node))
    {
        ev = lt_container_of(node, lt_event_t, timer);

        if (!ev->cancelable) {
            return LT_AGAIN;
        }
    }

    return LT_OK;
}


void
lt_event_process_posted(lt_cycle_t *cycle, lt_queue_t *posted)
{
    lt_queue_t  *q;
    lt_event_t  *ev;

    while (!lt_queue_empty(posted)) {
        q = lt_queue_head(posted);
        ev = lt_queue_data(q, lt_event_t, queue);

        lt_delete_posted_event(ev);

        ev->handler(ev);
    }
}


void
lt_event_move_posted_next(lt_cycle_t *cycle)
{
    lt_queue_t  *q;
    lt_event_t  *ev;

    /* events posted "for the next iteration" were waiting for more input: they
     * become ready again without a syscall to ask */
    for (q = lt_queue_head(&lt_posted_next_events);
         q != lt_queue_sentinel(&lt_posted_next_events);
         q = lt_queue_next(q))
    {
        ev = lt_queue_data(q, lt_event_t, queue);
        ev->ready = 1;
        ev->available = 1;
    }

    if (!lt_queue_empty(&lt_posted_next_events)) {
        lt_queue_add(&lt_posted_events, &lt_posted_next_events);
        lt_queue_init(&lt_posted_next_events);
    }
}
