/*
 * lt_event_connect.c: non-blocking outgoing connections (see lt_event_connect.h).
 */

#include "lt_core.h"
#include "lt_event_connect.h"


int
lt_event_get_peer(lt_peer_connection_t *pc, void *data)
{
    return LT_OK;
}


/* lt_event_connect_bind: proxy_bind's address (and "transparent") on socket s;
 * LT_OK, or LT_DECLINED after logging (the peer is not to blame, but this
 * attempt cannot go on) */
static int
lt_event_connect_bind(lt_peer_connection_t *pc, int s)
{
    int  value;

    if (pc->transparent) {
        value = 1;

        if (pc->local->sockaddr->sa_family == AF_INET6) {
#ifdef IPV6_TRANSPARENT
            if (setsockopt(s, IPPROTO_IPV6, IPV6_TRANSPARENT, &value, sizeof(int)) == -1) {
                lt_log_error(LT_LOG_ALERT, pc->log, errno,
                             "setsockopt(IPV6_TRANSPARENT) failed, ignored");
            }
#endif

        } else if (setsockopt(s, IPPROTO_IP, IP_TRANSPARENT, &value, sizeof(int)) == -1) {
            lt_log_error(LT_LOG_ALERT, pc->log, errno,
                         "setsockopt(IP_TRANSPARENT) failed, ignored");
        }
    }

#ifdef IP_BIND_ADDRESS_NO_PORT
    if (pc->local->sockaddr->sa_family != AF_UNIX
        && lt_inet_get_port(pc->local->sockaddr) == 0)
    {
        /* the port is chosen at connect(): many connections may share the address */
        value = 1;
        (void) setsockopt(s, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &value, sizeof(int));
    }
#endif

    if (bind(s, pc->local->sockaddr, pc->local->socklen) == -1) {
        lt_log_error(LT_LOG_CRIT, pc->log, errno, "bind(%.*s) failed",
                     (int) pc->local->name.len, pc->local->name.data);
        return LT_DECLINED;
    }

    return LT_OK;
}


int
lt_event_connect_peer(lt_peer_connection_t *pc)
{
    int               rc, s, err;
    unsigned          level;
    lt_connection_t  *c;

    if (pc->reconnect) {
        /* the same peer again (a reused connection failed): no new pick */
        pc->reconnect = 0;
        pc->cached = 0;

    } else {
        pc->cached = 0;

        rc = pc->get(pc, pc->data);
        if (rc != LT_OK) {
            return rc;
        }
    }

    s = socket(pc->sockaddr->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

    if (s == -1) {
        lt_log_error(LT_LOG_ALERT, pc->log, errno, "socket() failed");
        return LT_ERROR;
    }

    c = lt_get_connection(s, pc->log);

    if (c == NULL) {
        if (close(s) == -1) {
            lt_log_error(LT_LOG_ALERT, pc->log, errno, "close() socket failed");
        }

        return LT_ERROR;
    }

    if (pc->rcvbuf
        && setsockopt(s, SOL_SOCKET, SO_RCVBUF, &pc->rcvbuf, sizeof(int)) == -1)
    {
        lt_log_error(LT_LOG_ALERT, pc->log, errno, "setsockopt(SO_RCVBUF) failed");
        goto failed;
    }

    if (pc->so_keepalive) {
        int  value = 1;

        if (setsockopt(s, SOL_SOCKET, SO_KEEPALIVE, &value, sizeof(int)) == -1) {
            lt_log_error(LT_LOG_ALERT, pc->log, errno,
                         "setsockopt(SO_KEEPALIVE) failed, ignored");
        }
    }

    if (pc->local && lt_event_connect_bind(pc, s) != LT_OK) {
        lt_close_connection(c);
        return LT_DECLINED;
    }

    c->log_error = pc->log_error;
    c->sendfile = pc->sockaddr->sa_family != AF_UNIX;

    pc->connection = c;

    if (lt_epoll_add_connection(c) != LT_OK) {
        goto failed;
    }

    rc = connect(s, pc->sockaddr, pc->socklen);

    if (rc == -1) {
        err = errno;

        if (err != EINPROGRESS) {
            if (err == ECONNREFUSED || err == EAGAIN || err == ECONNRESET || err == ENETDOWN
                || err == ENETUNREACH || err == EHOSTDOWN || err == EHOSTUNREACH
                || err == ENOENT || err == ENOTDIR || err == EACCES)
            {
                level = LT_LOG_ERR;

            } else {
                level = LT_LOG_CRIT;
            }

            lt_log_error(level, c->log, err, "connect() to %.*s failed",
                         pc->name ? (int) pc->name->len : 0,
                         pc->name ? (char *) pc->name->data : "");

            lt_close_connection(c);
            pc->connection = NULL;

            return LT_DECLINED;
        }

        return LT_AGAIN;
    }

    /* connected at once (unix sockets, often loopback): writable now */
    c->write.ready = 1;

    return LT_OK;

failed:

    lt_close_connection(c);
    pc->connection = NULL;

    return LT_ERROR;
}


int
lt_event_connect_test(lt_connection_t *c, int *err)
{
    int        e;
    socklen_t  len;

    e = 0;
    len = sizeof(int);

    if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, (void *) &e, &len) == -1) {
        e = errno;
    }

    *err = e;

    return e ? LT_ERROR : LT_OK;
}
