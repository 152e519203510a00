/*
 * lt_event_accept.c: accepting connections on a listening socket.
 */

#include "lt_core.h"

static void lt_close_accepted_connection(lt_connection_t *c);


/* lt_accept_resume: the listeners were paused (out of fds): try again */
static void
lt_accept_resume(lt_event_t *ev)
{
    lt_cycle_t  *cycle = (lt_cycle_t *) lt_cycle;

    (void) lt_enable_accept_events(cycle);

    ev->handler = lt_event_accept;
    ev->timedout = 0;
}


/* lt_accept_one: sets up the connection for an accepted socket and hands it to
 * the protocol; LT_OK, or LT_ERROR when the socket had to be dropped */
static int
lt_accept_one(lt_listening_t *ls, int s, struct sockaddr *sa, socklen_t socklen,
    lt_log_t *log)
{
    lt_connection_t  *c;
    lt_log_t         *clog;
    u_char            text[LT_SOCKADDR_STRLEN];

    lt_stat_add(accepted, 1);

    c = lt_get_connection(s, log);
    if (c == NULL) {
        if (close(s) == -1) {
            lt_log_error(LT_LOG_ALERT, log, errno, "close() socket failed");
        }
        return LT_ERROR;
    }

    lt_stat_add(active, 1);

    c->pool = lt_create_pool(ls->pool_size, log);
    if (c->pool == NULL) {
        goto failed;
    }

    c->sockaddr = lt_palloc(c->pool, socklen);
    clog = lt_palloc(c->pool, sizeof(lt_log_t));
    if (c->sockaddr == NULL || clog == NULL) {
        goto failed;
    }

    memcpy(c->sockaddr, sa, socklen);
    c->socklen = socklen;

    *clog = ls->log;
    c->log = clog;
    c->pool->log = clog;
    c->listening = ls;

    if (ls->sockaddr->sa_family == AF_UNIX) {
        /* no TCP options on a unix socket */
        c->tcp_nodelay = LT_TCP_NODELAY_DISABLED;
        c->tcp_nopush = LT_TCP_NOPUSH_DISABLED;
    }

    if (!ls->wildcard) {
        c->local_sockaddr = ls->sockaddr;
        c->local_socklen = ls->socklen;
    }

    c->number = __atomic_add_fetch(&lt_stats->connection_counter, 1, __ATOMIC_RELAXED);
    clog->connection = c->number;
    clog->handler = NULL;
    clog->data = NULL;

    lt_stat_add(handled, 1);

    if (ls->addr_ntop) {
        c->addr_text.len = lt_sock_ntop(c->sockaddr, c->socklen, text, sizeof(text), 0);
        c->addr_text.data = lt_pnalloc(c->pool, c->addr_text.len);
        if (c->addr_text.data == NULL) {
            goto failed;
        }

        memcpy(c->addr_text.data, text, c->addr_text.len);
    }

    /* a new socket can be written at once: no need to wait for EPOLLOUT */
    c->write.ready = 1;

    if (lt_epoll_add_connection(c) != LT_OK) {
        goto failed;
    }

    ls->handler(c);

    return LT_OK;

failed:

    lt_close_accepted_connection(c);
    return LT_ERROR;
}


void
lt_event_accept(lt_event_t *ev)
{
    int                       s, err;
    unsigned                  level;
    socklen_t                 socklen;
    struct sockaddr_storage   sa;
    lt_connection_t          *lc;
    lt_listening_t           *ls;
    lt_event_conf_t          *ecf;
    lt_cycle_t               *cycle;

    if (ev->timedout) {
        lt_accept_resume(ev);
    }

    cycle = (lt_cycle_t *) lt_cycle;
    ecf = lt_event_get_conf(cycle->conf_ctx, lt_event_core_module);

    lc = ev->data;
    ls = lc->listening;
    ev->ready = 0;

    do {
        socklen = sizeof(sa);

        s = accept4(lc->fd, (struct sockaddr *) &sa, &socklen,
                    SOCK_NONBLOCK | SOCK_CLOEXEC);

        if (s == -1) {
            err = errno;

            if (err == EAGAIN || err == EWOULDBLOCK) {
                return;
            }

            if (err == EINTR || err == ECONNABORTED) {
                continue;
            }

            level = (err == EMFILE || err == ENFILE) ? LT_LOG_CRIT : LT_LOG_ALERT;
            lt_log_error(level, lc->log, err, "accept4() failed");

            if (err == EMFILE || err == ENFILE) {
                /* out of descriptors: stop accepting for a while instead of
                 * spinning on a listener that stays readable */
                if (lt_disable_accept_events(cycle, 1) == LT_OK) {
                    ev->handler = lt_accept_resume;
                    lt_event_add_timer(ev, ecf->accept_mutex_delay);
                }
            }

            return;
        }

        if (lt_accept_one(ls, s, (struct sockaddr *) &sa, socklen, lc->log) != LT_OK) {
            /* leave the rest of the backlog to a freed slot or another worker */
            return;
        }

    } while (ecf->multi_accept);
}


static void
lt_close_accepted_connection(lt_connection_t *c)
{
    int         fd;
    lt_pool_t  *pool;

    fd = c->fd;
    c->fd = -1;
    pool = c->pool;

    lt_free_connection(c);

    if (close(fd) == -1) {
        lt_log_error(LT_LOG_ALERT, c->log, errno, "close() socket failed");
    }

    if (pool) {
        lt_destroy_pool(pool);
    }

    lt_stat_add(active, -1);
}


int
lt_enable_accept_events(lt_cycle_t *cycle)
{
    size_t            i;
    lt_listening_t   *ls;
    lt_connection_t  *c;

    ls = cycle->listening.elts;

    for (i = 0; i < cycle->listening.nelts; i++) {
        c = ls[i].connection;

        if (c == NULL || c->read.active) {
            continue;
        }

        if (lt_epoll_add_listening(c, !ls[i].reuseport) != LT_OK) {
            return LT_ERROR;
        }
    }

    return LT_OK;
}


int
lt_disable_accept_events(lt_cycle_t *cycle, int all)
{
    size_t            i;
    lt_listening_t   *ls;
    lt_connection_t  *c;

    ls = cycle->listening.elts;

    for (i = 0; i < cycle->listening.nelts; i++) {
        c = ls[i].connection;

        if (c == NULL || !c->read.active) {
            continue;
        }

        /* a reuseport socket belongs to this worker alone: pausing it would
         * leave its queue unserved, unless we stop accepting altogether */
        if (ls[i].reuseport && !all) {
            continue;
        }

        if (lt_epoll_del_listening(c) != LT_OK) {
            return LT_ERROR;
        }
    }

    return LT_OK;
}
