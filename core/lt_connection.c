/*
 * lt_connection.c: listening sockets and the connection table (see
 * lt_connection.h).
 */

#include "lt_core.h"

lt_listening_t *
lt_create_listening(lt_conf_t *cf, struct sockaddr *sockaddr, socklen_t socklen)
{
    u_char           text[LT_SOCKADDR_STRLEN];
    size_t           len;
    lt_listening_t  *ls;
    struct sockaddr *sa;

    ls = lt_array_push(&cf->cycle->listening);
    if (ls == NULL) {
        return NULL;
    }

    lt_memzero(ls, sizeof(lt_listening_t));

    sa = lt_palloc(cf->pool, socklen);
    if (sa == NULL) {
        return NULL;
    }

    memcpy(sa, sockaddr, socklen);

    ls->sockaddr = sa;
    ls->socklen = socklen;

    len = lt_sock_ntop(sa, socklen, text, LT_SOCKADDR_STRLEN, 1);
    ls->addr_text.len = len;
    ls->addr_text.data = lt_pnalloc(cf->pool, len + 1);
    if (ls->addr_text.data == NULL) {
        return NULL;
    }

    memcpy(ls->addr_text.data, text, len);
    ls->addr_text.data[len] = '\0';

    ls->fd = -1;
    ls->type = SOCK_STREAM;
    ls->backlog = 511;
    ls->rcvbuf = -1;
    ls->sndbuf = -1;
    ls->fastopen = -1;
    ls->listen = 1;
    ls->pool_size = 256;
    ls->log = *cf->cycle->log;
    ls->logp = &cf->cycle->new_log;

    return ls;
}


int
lt_clone_listening(lt_cycle_t *cycle, lt_listening_t *ls)
{
    int              n;
    lt_core_conf_t  *ccf;
    lt_listening_t   ols;

    if (!ls->reuseport || ls->worker != 0) {
        return LT_OK;
    }

    ols = *ls;

    ccf = (lt_core_conf_t *) lt_get_conf(cycle->conf_ctx, lt_core_module);

    for (n = 1; n < ccf->worker_processes; n++) {

        /* the array may move: only copies of ols are taken */
        ls = lt_array_push(&cycle->listening);
        if (ls == NULL) {
            return LT_ERROR;
        }

        *ls = ols;
        ls->worker = (unsigned) n;
    }

    return LT_OK;
}


/* lt_bind_one: socket, options that must precede bind, bind, listen. LT_OK,
 * LT_AGAIN for EADDRINUSE (worth a retry), LT_ERROR (logged) */
static int
lt_bind_one(lt_cycle_t *cycle, lt_listening_t *ls)
{
    int   s, one, err;

    s = socket(ls->sockaddr->sa_family, ls->type | SOCK_CLOEXEC, 0);
    if (s == -1) {
        lt_log_error(LT_LOG_EMERG, cycle->log, errno, "socket() %s failed",
                     ls->addr_text.data);
        return LT_ERROR;
    }

    one = 1;

    if (ls->sockaddr->sa_family != AF_UNIX
        && setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(int)) == -1)
    {
        lt_log_error(LT_LOG_EMERG, cycle->log, errno,
                     "setsockopt(SO_REUSEADDR) %s failed", ls->addr_text.data);
        goto failed;
    }

#if (LT_HAVE_REUSEPORT)
    if (ls->reuseport
        && setsockopt(s, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(int)) == -1)
    {
        lt_log_error(LT_LOG_EMERG, cycle->log, errno,
                     "setsockopt(SO_REUSEPORT) %s failed", ls->addr_text.data);
        goto failed;
    }
#endif

    if (ls->sockaddr->sa_family == AF_INET6) {
        int  v6only = ls->ipv6only ? 1 : 0;

        if (setsockopt(s, IPPROTO_IPV6, IPV6_V6ONLY, &v6only, sizeof(int)) == -1) {
            lt_log_error(LT_LOG_EMERG, cycle->log, errno,
                         "setsockopt(IPV6_V6ONLY) %s failed, ignored", ls->addr_text.data);
        }
    }

    if (lt_nonblocking(s) != LT_OK) {
        lt_log_error(LT_LOG_EMERG, cycle->log, errno, "fcntl(O_NONBLOCK) %s failed",
                     ls->addr_text.data);
        goto failed;
    }

    if (bind(s, ls->sockaddr, ls->socklen) == -1) {
        err = errno;

        if (err != EADDRINUSE || !lt_test_config) {
            lt_log_error(LT_LOG_EMERG, cycle->log, err, "bind() to %s failed",
                         ls->addr_text.data);
        }

        close(s);
        return err == EADDRINUSE ? LT_AGAIN : LT_ERROR;
    }

    if (ls->sockaddr->sa_family == AF_UNIX) {
        const char  *path = ((struct sockaddr_un *) ls->sockaddr)->sun_path;

        if (chmod(path, 0666) == -1) {
            lt_log_error(LT_LOG_EMERG, cycle->log, errno, "chmod() \"%s\" failed", path);
        }

        if (lt_test_config && unlink(path) == -1) {
            lt_log_error(LT_LOG_EMERG, cycle->log, errno, "unlink() \"%s\" failed", path);
        }
    }

    if (ls->listen && listen(s, ls->backlog) == -1) {
        err = errno;

        lt_log_error(LT_LOG_EMERG, cycle->log, err, "listen() to %s, backlog %d failed",
                     ls->addr_text.data, ls->backlog);
        close(s);
        return err == EADDRINUSE && !lt_test_config ? LT_AGAIN : LT_ERROR;
    }

    ls->fd = s;
    ls->open = 1;
    ls->bound = 1;

    return LT_OK;

failed:

    close(s);
    return LT_ERROR;
}


int
lt_open_listening_sockets(lt_cycle_t *cycle)
{
    size_t           i;
    int              tries, failed, rc;
    lt_listening_t  *ls;

    for (tries = 5; tries; tries--) {
        failed = 0;

        ls = cycle->listening.elts;

        for (i = 0; i < cycle->listening.nelts; i++) {

            if (ls[i].ignore || ls[i].fd != -1) {
                continue;
            }

            rc = lt_bind_one(cycle, &ls[i]);

            if (rc == LT_ERROR) {
                return LT_ERROR;
            }

            if (rc == LT_AGAIN && !lt_test_config) {
                failed = 1;
            }
        }

        if (!failed) {
            return LT_OK;
        }

        /* the address may be freed soon: an old binary finishing its shutdown */
        lt_log_error(LT_LOG_NOTICE, cycle->log, 0, "try again to bind() after 500ms");

        usleep(500 * 1000);
    }

    lt_log_error(LT_LOG_EMERG, cycle->log, 0, "still could not bind()");

    return LT_ERROR;
}


void
lt_configure_listening_sockets(lt_cycle_t *cycle)
{
    size_t           i;
    int              value;
    lt_listening_t  *ls;

    ls = cycle->listening.elts;

    for (i = 0; i < cycle->listening.nelts; i++) {

        ls[i].log = *ls[i].logp;

        if (ls[i].fd == -1) {
            continue;
        }

        if (ls[i].rcvbuf != -1
            && setsockopt(ls[i].fd, SOL_SOCKET, SO_RCVBUF, &ls[i].rcvbuf, sizeof(int)) == -1)
        {
            lt_log_error(LT_LOG_ALERT, cycle->log, errno,
                         "setsockopt(SO_RCVBUF, %d) %s failed, ignored",
                         ls[i].rcvbuf, ls[i].addr_text.data);
        }

        if (ls[i].sndbuf != -1
            && setsockopt(ls[i].fd, SOL_SOCKET, SO_SNDBUF, &ls[i].sndbuf, sizeof(int)) == -1)
        {
            lt_log_error(LT_LOG_ALERT, cycle->log, errno,
                         "setsockopt(SO_SNDBUF, %d) %s failed, ignored",
                         ls[i].sndbuf, ls[i].addr_text.data);
        }

        if (ls[i].keepalive) {
            value = (ls[i].keepalive == 1) ? 1 : 0;

            if (setsockopt(ls[i].fd, SOL_SOCKET, SO_KEEPALIVE, &value, sizeof(int)) == -1) {
                lt_log_error(LT_LOG_ALERT, cycle->log, errno,
                             "setsockopt(SO_KEEPALIVE, %d) %s failed, ignored",
                             value, ls[i].addr_text.data);
            }
        }

#if (LT_HAVE_TCP_KEEPIDLE)
        if (ls[i].keepidle) {
            (void) setsockopt(ls[i].fd, IPPROTO_TCP, TCP_KEEPIDLE, &ls[i].keepidle,
                              sizeof(int));
        }

        if (ls[i].keepintvl) {
            (void) setsockopt(ls[i].fd, IPPROTO_TCP, TCP_KEEPINTVL, &ls[i].keepintvl,
                              sizeof(int));
        }

        if (ls[i].keepcnt) {
            (void) setsockopt(ls[i].fd, IPPROTO_TCP, TCP_KEEPCNT, &ls[i].keepcnt,
                              sizeof(int));
        }
#endif

#if (LT_HAVE_TCP_FASTOPEN)
        if (ls[i].fastopen != -1
            && setsockopt(ls[i].fd, IPPROTO_TCP, TCP_FASTOPEN, &ls[i].fastopen,
                          sizeof(int)) == -1)
        {
            lt_log_error(LT_LOG_ALERT, cycle->log, errno,
                         "setsockopt(TCP_FASTOPEN, %d) %s failed, ignored",
                         ls[i].fastopen, ls[i].addr_text.data);
        }
#endif

#if (LT_HAVE_TCP_DEFER_ACCEPT)
        if (ls[i].deferred_accept) {
            value = 1;
            (void) setsockopt(ls[i].fd, IPPROTO_TCP, TCP_DEFER_ACCEPT, &value, sizeof(int));
        }
#endif

        /* an inherited socket takes the (possibly new) backlog */
        if (ls[i].listen && !ls[i].open && listen(ls[i].fd, ls[i].backlog) == -1) {
            lt_log_error(LT_LOG_ALERT, cycle->log, errno,
                         "listen() to %s, backlog %d failed, ignored",
                         ls[i].addr_text.data, ls[i].backlog);
        }
    }
}


void
lt_close_listening_sockets(lt_cycle_t *cycle)
{
    size_t            i;
    lt_listening_t   *ls;
    lt_connection_t  *c;

    ls = cycle->listening.elts;

    for (i = 0; i < cycle->listening.nelts; i++) {

        c = ls[i].connection;

        if (c) {
            if (c->read.active) {
                (void) lt_epoll_del_listening(c);
            }

            /* a paused listener (out of descriptors) has a resume timer */
            if (c->read.timer_set) {
                lt_event_del_timer(&c->read);
            }

            if (c->read.posted) {
                lt_delete_posted_event(&c->read);
            }

            lt_free_connection(c);
            c->fd = -1;
            ls[i].connection = NULL;
        }

        if (ls[i].fd == -1) {
            continue;
        }

        if (close(ls[i].fd) == -1) {
            lt_log_error(LT_LOG_EMERG, cycle->log, errno,
                         "close() socket %s failed", ls[i].addr_text.data);
        }

        /* a unix socket's file goes with the last process that owns it: the
         * master (not a worker, not while a new binary uses it) */
        if (ls[i].sockaddr->sa_family == AF_UNIX && lt_process <= LT_PROCESS_MASTER
            && lt_new_binary == 0)
        {
            (void) unlink(((struct sockaddr_un *) ls[i].sockaddr)->sun_path);
        }

        ls[i].fd = -1;
    }

    cycle->listening.nelts = 0;
}


lt_connection_t *
lt_get_connection(int fd, lt_log_t *log)
{
    unsigned          instance;
    lt_connection_t  *c;
    lt_cycle_t       *cycle;

    cycle = (lt_cycle_t *) lt_cycle;

    c = cycle->free_connections;

    if (c == NULL) {
        /* close idle keep-alive connections to make room */
        lt_drain_connections(cycle);
        c = cycle->free_connections;
    }

    if (c == NULL) {
        lt_log_error(LT_LOG_ALERT, log, 0, "%zu worker_connections are not enough",
                     cycle->connection_n);
        return NULL;
    }

    cycle->free_connections = c->data;
    cycle->free_connection_n--;

    instance = c->read.instance;

    lt_memzero(c, sizeof(lt_connection_t));

    c->fd = fd;
    c->log = log;
    c->io = &lt_os_io;

    c->read.instance = !instance;
    c->write.instance = !instance;
    c->read.data = c;
    c->write.data = c;
    c->write.write = 1;

    return c;
}


void
lt_free_connection(lt_connection_t *c)
{
    lt_cycle_t  *cycle = (lt_cycle_t *) lt_cycle;

    c->data = cycle->free_connections;
    cycle->free_connections = c;
    cycle->free_connection_n++;
}


void
lt_close_connection(lt_connection_t *c)
{
    int  fd;

    if (c->fd == -1) {
        lt_log_error(LT_LOG_ALERT, c->log, 0, "connection already closed");
        lt_debug_point();
        return;
    }

    if (c->read.timer_set) {
        lt_event_del_timer(&c->read);
    }

    if (c->write.timer_set) {
        lt_event_del_timer(&c->write);
    }

    if (c->read.posted) {
        lt_delete_posted_event(&c->read);
    }

    if (c->write.posted) {
        lt_delete_posted_event(&c->write);
    }

    /* closing the fd removes it from epoll: no epoll_ctl needed */
    c->read.active = 0;
    c->write.active = 0;
    c->read.closed = 1;
    c->write.closed = 1;

    lt_reusable_connection(c, 0);

    fd = c->fd;
    c->fd = -1;

    lt_free_connection(c);

    if (close(fd) == -1) {
        lt_log_error(LT_LOG_ALERT, c->log, errno, "close() socket %d failed", fd);
    }
}


void
lt_reusable_connection(lt_connection_t *c, unsigned reusable)
{
    lt_cycle_t  *cycle = (lt_cycle_t *) lt_cycle;

    if (c->reusable) {
        lt_queue_remove(&c->queue);
        cycle->reusable_connections_n--;
    }

    c->reusable = reusable;

    if (reusable) {
        lt_queue_insert_head(&cycle->reusable_connections_queue, &c->queue);
        cycle->reusable_connections_n++;
    }
}


void
lt_drain_connections(lt_cycle_t *cycle)
{
    size_t            i, n;
    lt_queue_t       *q;
    lt_connection_t  *c;

    if (cycle->reusable_connections_n == 0) {
        return;
    }

    if (cycle->connections_reuse_time != (unsigned) lt_time()) {
        cycle->connections_reuse_time = (unsigned) lt_time();
        lt_log_error(LT_LOG_WARN, cycle->log, 0,
                     "%zu worker_connections are not enough, reusing connections",
                     cycle->connection_n);
    }

    /* the oldest eighth (at least one, at most 32) */
    n = lt_min(32, lt_max(1, cycle->reusable_connections_n / 8));

    for (i = 0; i < n && !lt_queue_empty(&cycle->reusable_connections_queue); i++) {
        q = lt_queue_last(&cycle->reusable_connections_queue);
        c = lt_queue_data(q, lt_connection_t, queue);

        c->close = 1;
        c->read.handler(&c->read);
    }
}


void
lt_close_idle_connections(lt_cycle_t *cycle)
{
    size_t            i;
    lt_connection_t  *c;

    c = cycle->connections;

    for (i = 0; i < cycle->connection_n; i++) {

        /* the handler may close other connections: check each slot as we go */
        if (c[i].fd != -1 && c[i].idle) {
            c[i].close = 1;
            c[i].read.handler(&c[i].read);
        }
    }
}


int
lt_connection_local_sockaddr(lt_connection_t *c, lt_str_t *s, unsigned port)
{
    socklen_t                len;
    struct sockaddr_storage  ss;
    u_char                   text[LT_SOCKADDR_STRLEN];

    if (c->local_sockaddr == NULL) {
        len = sizeof(ss);

        if (getsockname(c->fd, (struct sockaddr *) &ss, &len) == -1) {
            lt_connection_error(c, errno, "getsockname() failed");
            return LT_ERROR;
        }

        c->local_sockaddr = lt_palloc(c->pool, len);
        if (c->local_sockaddr == NULL) {
            return LT_ERROR;
        }

        memcpy(c->local_sockaddr, &ss, len);
        c->local_socklen = len;
    }

    if (s == NULL) {
        return LT_OK;
    }

    s->len = lt_sock_ntop(c->local_sockaddr, c->local_socklen, text, sizeof(text), port);
    s->data = lt_pnalloc(c->pool, s->len);
    if (s->data == NULL) {
        return LT_ERROR;
    }

    memcpy(s->data, text, s->len);

    return LT_OK;
}


int
lt_connection_error(lt_connection_t *c, int err, const char *text)
{
    unsigned  level;

    /* errors a peer causes are not ours to alert about */
    if (err == ECONNRESET && c->log_error == LT_ERROR_IGNORE_ECONNRESET) {
        return 0;
    }

    if (err == EINVAL && c->log_error == LT_ERROR_IGNORE_EINVAL) {
        return 0;
    }

    if (err == EMSGSIZE && c->log_error == LT_ERROR_IGNORE_EMSGSIZE) {
        return 0;
    }

    if (err == 0 || err == ECONNRESET || err == EPIPE || err == ENOTCONN
        || err == ETIMEDOUT || err == ECONNREFUSED || err == ENETDOWN
        || err == ENETUNREACH || err == EHOSTDOWN || err == EHOSTUNREACH)
    {
        switch (c->log_error) {

        case LT_ERROR_IGNORE_EMSGSIZE:
        case LT_ERROR_IGNORE_EINVAL:
        case LT_ERROR_IGNORE_ECONNRESET:
        case LT_ERROR_INFO:
            level = LT_LOG_INFO;
            break;

        default:
            level = LT_LOG_ERR;
        }

    } else {
        level = LT_LOG_ALERT;
    }

    lt_log_error(level, c->log, err, "%s", text);

    return LT_ERROR;
}


int
lt_tcp_nodelay(lt_connection_t *c)
{
    int  on;

    if (c->tcp_nodelay != LT_TCP_NODELAY_UNSET) {
        return LT_OK;
    }

    on = 1;

    if (setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(int)) == -1) {
        lt_connection_error(c, errno, "setsockopt(TCP_NODELAY) failed");
        return LT_ERROR;
    }

    c->tcp_nodelay = LT_TCP_NODELAY_SET;

    return LT_OK;
}


size_t
lt_sock_ntop(struct sockaddr *sa, socklen_t socklen, u_char *text, size_t len,
    unsigned port)
{
    struct sockaddr_in   *sin;
    struct sockaddr_in6  *sin6;
    struct sockaddr_un   *saun;
    char                  addr[INET6_ADDRSTRLEN];
    int                   n;

    switch (sa->sa_family) {

    case AF_INET:
        sin = (struct sockaddr_in *) sa;
        inet_ntop(AF_INET, &sin->sin_addr, addr, sizeof(addr));

        n = port ? snprintf((char *) text, len, "%s:%d", addr, ntohs(sin->sin_port))
                 : snprintf((char *) text, len, "%s", addr);
        break;

    case AF_INET6:
        sin6 = (struct sockaddr_in6 *) sa;
        inet_ntop(AF_INET6, &sin6->sin6_addr, addr, sizeof(addr));

        n = port ? snprintf((char *) text, len, "[%s]:%d", addr, ntohs(sin6->sin6_port))
                 : snprintf((char *) text, len, "%s", addr);
        break;

    case AF_UNIX:
        saun = (struct sockaddr_un *) sa;

        if (socklen <= (socklen_t) offsetof(struct sockaddr_un, sun_path)) {
            n = snprintf((char *) text, len, "unix:");

        } else {
            n = snprintf((char *) text, len, "unix:%.*s",
                         (int) strnlen(saun->sun_path,
                                       socklen - offsetof(struct sockaddr_un, sun_path)),
                         saun->sun_path);
        }
        break;

    default:
        return 0;
    }

    if (n < 0) {
        return 0;
    }

    return (size_t) n < len ? (size_t) n : len - 1;
}


int
lt_cmp_sockaddr(struct sockaddr *sa1, socklen_t slen1, struct sockaddr *sa2,
    socklen_t slen2, unsigned cmp_port)
{
    struct sockaddr_in   *sin1, *sin2;
    struct sockaddr_in6  *sin61, *sin62;
    struct sockaddr_un   *saun1, *saun2;

    if (sa1->sa_family != sa2->sa_family) {
        return LT_DECLINED;
    }

    switch (sa1->sa_family) {

    case AF_INET6:
        sin61 = (struct sockaddr_in6 *) sa1;
        sin62 = (struct sockaddr_in6 *) sa2;

        if (cmp_port && sin61->sin6_port != sin62->sin6_port) {
            return LT_DECLINED;
        }

        if (memcmp(&sin61->sin6_addr, &sin62->sin6_addr, 16) != 0) {
            return LT_DECLINED;
        }

        break;

    case AF_UNIX:
        saun1 = (struct sockaddr_un *) sa1;
        saun2 = (struct sockaddr_un *) sa2;

        if (slen1 != slen2
            || memcmp(&saun1->sun_path, &saun2->sun_path,
                      slen1 - offsetof(struct sockaddr_un, sun_path)) != 0)
        {
            return LT_DECLINED;
        }

        break;

    default: /* AF_INET */

        sin1 = (struct sockaddr_in *) sa1;
        sin2 = (struct sockaddr_in *) sa2;

        if (cmp_port && sin1->sin_port != sin2->sin_port) {
            return LT_DECLINED;
        }

        if (sin1->sin_addr.s_addr != sin2->sin_addr.s_addr) {
            return LT_DECLINED;
        }

        break;
    }

    return LT_OK;
}


in_port_t
lt_inet_get_port(struct sockaddr *sa)
{
    switch (sa->sa_family) {
    case AF_INET6:
        return ntohs(((struct sockaddr_in6 *) sa)->sin6_port);
    case AF_UNIX:
        return 0;
    default:
        return ntohs(((struct sockaddr_in *) sa)->sin_port);
    }
}


void
lt_inet_set_port(struct sockaddr *sa, in_port_t port)
{
    switch (sa->sa_family) {
    case AF_INET6:
        ((struct sockaddr_in6 *) sa)->sin6_port = htons(port);
        break;
    case AF_UNIX:
        break;
    default:
        ((struct sockaddr_in *) sa)->sin_port = htons(port);
        break;
    }
}
