/*
 * lt_event.h: the event loop. Each worker runs one epoll instance, edge-triggered:
 * a connection's fd is registered once for read and write (and RDHUP) when it is
 * accepted or connected, and never touched with epoll_ctl again. Handlers are
 * called with the event; `ready` says there may be data (or room) until a call
 * returns EAGAIN. Timers live in one red-black tree keyed by their deadline; the
 * loop sleeps until the nearest one. Time is read once per iteration.
 */

#ifndef LT_EVENT_H
#define LT_EVENT_H

#include "lt_config.h"
#include "lt_rbtree.h"
#include "lt_queue.h"
#include "lt_array.h"

#define LT_TIMER_INFINITE  (uint64_t) -1
#define LT_TIMER_LAZY_DELAY  300        /* ms a re-armed timer may move without re-insert */

struct lt_event_s {
    void               *data;       /* the connection, or the owner of a pure timer */
    lt_event_handler_pt handler;

    lt_rbtree_node_t    timer;      /* key: deadline in lt_current_msec */
    lt_queue_t          queue;      /* posted events */

    unsigned            write:1;
    unsigned            accept:1;
    unsigned            instance:1; /* flips on reuse, to detect stale epoll events */
    unsigned            active:1;   /* registered with epoll */
    unsigned            ready:1;
    unsigned            eof:1;
    unsigned            error:1;
    unsigned            timedout:1;
    unsigned            timer_set:1;
    unsigned            delayed:1;
    unsigned            posted:1;
    unsigned            closed:1;
    unsigned            pending_eof:1;  /* the peer closed (RDHUP) but data may remain */
    unsigned            cancelable:1;   /* this timer does not keep an exiting worker */
    unsigned            available:1;    /* for listening sockets: accept more */
    unsigned            log_on_timeout:1;
};

/* what the loop was asked to do after an iteration */
#define LT_UPDATE_TIME      1
#define LT_POST_EVENTS      2

extern lt_rbtree_t      lt_event_timer_rbtree;
extern lt_queue_t       lt_posted_accept_events;
extern lt_queue_t       lt_posted_events;
extern lt_queue_t       lt_posted_next_events;
extern int              lt_event_timer_alarm;
extern size_t           lt_accept_disabled_count;

/* timers */
int lt_event_timer_init(lt_log_t *log);
uint64_t lt_event_find_timer(void);     /* ms until the nearest, or LT_TIMER_INFINITE */
void lt_event_expire_timers(void);
int lt_event_no_timers_left(void);      /* only cancelable timers remain */

static inline void
lt_event_del_timer(lt_event_t *ev)
{
    lt_rbtree_delete(&lt_event_timer_rbtree, &ev->timer);
    ev->timer_set = 0;
}

void lt_event_add_timer(lt_event_t *ev, uint64_t timer);

/* posted events: run after the current batch of epoll events */
static inline void
lt_post_event(lt_event_t *ev, lt_queue_t *q)
{
    if (!ev->posted) {
        ev->posted = 1;
        lt_queue_insert_tail(q, &ev->queue);
    }
}

static inline void
lt_delete_posted_event(lt_event_t *ev)
{
    ev->posted = 0;
    lt_queue_remove(&ev->queue);
}

void lt_event_process_posted(lt_cycle_t *cycle, lt_queue_t *posted);
void lt_event_move_posted_next(lt_cycle_t *cycle);

/* epoll */
int lt_epoll_init(lt_cycle_t *cycle);
void lt_epoll_done(lt_cycle_t *cycle);
/* lt_epoll_add_connection: registers c's fd for read, write and RDHUP, edge-triggered */
int lt_epoll_add_connection(lt_connection_t *c);
/* lt_epoll_del_connection: removes c's fd (not needed before close(); flags
 * LT_CLOSE_EVENT says the fd is about to be closed) */
int lt_epoll_del_connection(lt_connection_t *c, unsigned flags);
/* lt_epoll_add_listening/lt_epoll_del_listening: a listening socket, level-
 * triggered for read, EPOLLEXCLUSIVE when shared between workers */
int lt_epoll_add_listening(lt_connection_t *c, int exclusive);
int lt_epoll_del_listening(lt_connection_t *c);
/* lt_epoll_process_events: waits up to timer ms, updates time, runs or posts the
 * handlers of ready events */
int lt_epoll_process_events(lt_cycle_t *cycle, uint64_t timer, unsigned flags);

#define LT_CLOSE_EVENT  1

/* lt_process_events_and_timers: one loop iteration */
void lt_process_events_and_timers(lt_cycle_t *cycle);

/* lt_event_accept: the read handler of a listening socket */
void lt_event_accept(lt_event_t *ev);
/* lt_enable_accept_events/lt_disable_accept_events: pause accepting (out of file
 * descriptors); a full connection table does not pause: the client is accepted
 * and closed, as in nginx without an accept mutex */
int lt_enable_accept_events(lt_cycle_t *cycle);
int lt_disable_accept_events(lt_cycle_t *cycle, int all);

/* the events {} block's settings */
typedef struct {
    int64_t     connections;
    unsigned    use;
    int         multi_accept;
    int         accept_mutex;
    uint64_t    accept_mutex_delay;
    const char *name;
    lt_array_t *debug_connection;   /* lt_cidr_t, later */
} lt_event_conf_t;

extern lt_module_t  lt_events_module;
extern lt_module_t  lt_event_core_module;

#define lt_event_get_conf(conf_ctx, module)                                   \
    (((lt_conf_ctx_t *) (conf_ctx)[lt_events_module.index])                   \
         ->main_conf[(module).ctx_index])

/* counters shared by all workers, in a small zone the master maps once */
typedef struct {
    uint64_t    connection_counter;     /* numbers connections: the "*N" in logs */
    uint64_t    accepted;
    uint64_t    handled;
    uint64_t    requests;
    uint64_t    active;
    uint64_t    reading;
    uint64_t    writing;
    uint64_t    waiting;
} lt_shared_stats_t;

extern lt_shared_stats_t  *lt_stats;

#define lt_stat_add(field, n)  __atomic_fetch_add(&lt_stats->field, n, __ATOMIC_RELAXED)

#endif /* LT_EVENT_H */
