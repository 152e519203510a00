/*
 * lt_epoll.c: the epoll back end of the event loop (see lt_event.h).
 *
 * The user data of each epoll registration is the connection pointer with the
 * connection's `instance` bit in its lowest bit. When a handler closes a
 * connection and the slot is reused for a new fd within the same batch, the bit
 * differs and the stale event for the old fd is ignored.
 */

#include "lt_core.h"

static int                  lt_ep = -1;
static struct epoll_event  *lt_event_list;
static int                  lt_nevents;

/* the epoll module: only its "epoll_events" directive */
typedef struct {
    int   events;
} lt_epoll_conf_t;

static void *lt_epoll_create_conf(lt_conf_t *cf);
static char *lt_epoll_init_conf(lt_conf_t *cf, void *conf);

static const lt_conf_num_bounds_t  lt_epoll_events_bounds = { 1, 65536 };

static lt_command_t  lt_epoll_commands[] = {

    { "epoll_events", LT_CTX_EVENTS, 1, 1, lt_conf_set_int_slot, LT_MAIN_CONF,
      offsetof(lt_epoll_conf_t, events), &lt_epoll_events_bounds },

    lt_null_command
};

lt_module_t  lt_epoll_module = {
    .name = "epoll",
    .type = LT_EVENT_MODULE,
    .commands = lt_epoll_commands,
    .create_main_conf = lt_epoll_create_conf,
    .init_main_conf = lt_epoll_init_conf,
};


static void *
lt_epoll_create_conf(lt_conf_t *cf)
{
    lt_epoll_conf_t  *epcf;

    epcf = lt_palloc(cf->pool, sizeof(lt_epoll_conf_t));
    if (epcf == NULL) {
        return NULL;
    }

    epcf->events = LT_CONF_UNSET;

    return epcf;
}


static char *
lt_epoll_init_conf(lt_conf_t *cf, void *conf)
{
    lt_epoll_conf_t  *epcf = conf;

    lt_conf_init_value(epcf->events, 512);

    return LT_CONF_OK;
}


int
lt_epoll_init(lt_cycle_t *cycle)
{
    lt_epoll_conf_t  *epcf;

    epcf = lt_event_get_conf(cycle->conf_ctx, lt_epoll_module);

    lt_ep = epoll_create1(EPOLL_CLOEXEC);
    if (lt_ep == -1) {
        lt_log_error(LT_LOG_EMERG, cycle->log, errno, "epoll_create1() failed");
        return LT_ERROR;
    }

    lt_nevents = epcf->events;

    lt_event_list = lt_alloc(sizeof(struct epoll_event) * lt_nevents, cycle->log);
    if (lt_event_list == NULL) {
        return LT_ERROR;
    }

    return LT_OK;
}


void
lt_epoll_done(lt_cycle_t *cycle)
{
    if (lt_ep != -1 && close(lt_ep) == -1) {
        lt_log_error(LT_LOG_ALERT, cycle->log, errno, "epoll close() failed");
    }

    lt_ep = -1;

    lt_free(lt_event_list);
    lt_event_list = NULL;
    lt_nevents = 0;
}


static int
lt_epoll_ctl(lt_connection_t *c, int op, uint32_t events)
{
    struct epoll_event  ee;

    if (lt_ep == -1) {
        /* lt_epoll_done ran: the process is exiting and the set is gone */
        return LT_OK;
    }

    ee.events = events;
    ee.data.ptr = (void *) ((uintptr_t) c | c->read.instance);

    if (epoll_ctl(lt_ep, op, c->fd, &ee) == -1) {
        lt_log_error(LT_LOG_ALERT, c->log, errno, "epoll_ctl(%d, %d) failed", op, c->fd);
        return LT_ERROR;
    }

    return LT_OK;
}


int
lt_epoll_add_connection(lt_connection_t *c)
{
    if (lt_epoll_ctl(c, EPOLL_CTL_ADD, EPOLLIN | EPOLLOUT | EPOLLET | EPOLLRDHUP) != LT_OK) {
        return LT_ERROR;
    }

    c->read.active = 1;
    c->write.active = 1;

    return LT_OK;
}


int
lt_epoll_del_connection(lt_connection_t *c, unsigned flags)
{
    struct epoll_event  ee;

    /* close() removes the fd from the epoll set: no syscall needed */
    if (!(flags & LT_CLOSE_EVENT) && lt_ep != -1) {
        if (epoll_ctl(lt_ep, EPOLL_CTL_DEL, c->fd, &ee) == -1) {
            lt_log_error(LT_LOG_ALERT, c->log, errno, "epoll_ctl(%d, %d) failed",
                         EPOLL_CTL_DEL, c->fd);
            return LT_ERROR;
        }
    }

    c->read.active = 0;
    c->write.active = 0;

    return LT_OK;
}


int
lt_epoll_add_listening(lt_connection_t *c, int exclusive)
{
    uint32_t  events;

    events = EPOLLIN;

#if (LT_HAVE_EPOLLEXCLUSIVE)
    if (exclusive) {
        /* wake one worker per connection instead of all of them */
        events |= EPOLLEXCLUSIVE;
    }
#endif

    if (lt_epoll_ctl(c, EPOLL_CTL_ADD, events) != LT_OK) {
        return LT_ERROR;
    }

    c->read.active = 1;

    return LT_OK;
}


int
lt_epoll_del_listening(lt_connection_t *c)
{
    struct epoll_event  ee;

    if (lt_ep != -1 && epoll_ctl(lt_ep, EPOLL_CTL_DEL, c->fd, &ee) == -1) {
        lt_log_error(LT_LOG_ALERT, c->log, errno, "epoll_ctl(%d, %d) failed",
                     EPOLL_CTL_DEL, c->fd);
        return LT_ERROR;
    }

    c->read.active = 0;

    return LT_OK;
}


/* lt_epoll_dispatch: one ready event: mark and run (or post) its handlers */
static void
lt_epoll_dispatch(struct epoll_event *e, unsigned flags)
{
    uint32_t          revents;
    unsigned          instance;
    lt_connection_t  *c;
    lt_event_t       *rev, *wev;

    c = (lt_connection_t *) ((uintptr_t) e->data.ptr & ~(uintptr_t) 1);
    instance = (unsigned) ((uintptr_t) e->data.ptr & 1);

    rev = &c->read;

    if (c->fd == -1 || rev->instance != instance) {
        /* stale: the fd was closed by an earlier handler in this batch */
        return;
    }

    revents = e->events;

    if (revents & (EPOLLERR | EPOLLHUP)) {
        /* the handlers find the error on their next read or write */
        revents |= EPOLLIN | EPOLLOUT;
    }

    if ((revents & EPOLLIN) && rev->active) {

        if (revents & EPOLLRDHUP) {
            rev->pending_eof = 1;
        }

        rev->ready = 1;
        rev->available = 1;

        if (flags & LT_POST_EVENTS) {
            lt_post_event(rev, rev->accept ? &lt_posted_accept_events : &lt_posted_events);

        } else {
            rev->handler(rev);
        }
    }

    wev = &c->write;

    if ((revents & EPOLLOUT) && wev->active) {

        if (c->fd == -1 || wev->instance != instance) {
            return;
        }

        wev->ready = 1;

        if (flags & LT_POST_EVENTS) {
            lt_post_event(wev, &lt_posted_events);

        } else {
            wev->handler(wev);
        }
    }
}


int
lt_epoll_process_events(lt_cycle_t *cycle, uint64_t timer, unsigned flags)
{
    int  events, i, err;

    /* signals are blocked except during the wait, so none slips in between
     * the loop's checks of the signal flags and this sleep */
    events = epoll_pwait(lt_ep, lt_event_list, lt_nevents,
                         timer == LT_TIMER_INFINITE ? -1 : (int) lt_min(timer, INT_MAX),
                         &lt_wait_sigmask);

    err = (events == -1) ? errno : 0;

    lt_time_update();

    if (err) {
        if (err == EINTR) {
            return LT_OK;
        }

        lt_log_error(LT_LOG_ALERT, cycle->log, err, "epoll_pwait() failed");
        return LT_ERROR;
    }

    if (events == 0) {
        if (timer != LT_TIMER_INFINITE) {
            return LT_OK;
        }

        lt_log_error(LT_LOG_ALERT, cycle->log, 0,
                     "epoll_pwait() returned no events without timeout");
        return LT_ERROR;
    }

    for (i = 0; i < events; i++) {
        lt_epoll_dispatch(&lt_event_list[i], flags);
    }

    return LT_OK;
}
