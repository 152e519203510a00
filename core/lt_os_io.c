/*
 * lt_os_io.c: plain socket I/O for connections (lt_os_io). Edge-triggered rules:
 * a read that returns less than asked drained the socket, so `ready` is cleared
 * and nobody reads again until epoll says so; the same for a short write.
 */

#include "lt_core.h"

const lt_conn_io_t  lt_os_io = {
    .recv = lt_unix_recv,
    .send = lt_unix_send,
    .send_chain = lt_sendfile_chain,
};


ssize_t
lt_unix_recv(lt_connection_t *c, u_char *buf, size_t size)
{
    ssize_t      n;
    lt_event_t  *rev;

    rev = &c->read;

    for ( ;; ) {
        n = recv(c->fd, buf, size, 0);

        if (n == 0) {
            rev->ready = 0;
            rev->eof = 1;
            return 0;
        }

        if (n > 0) {
            if ((size_t) n < size && !rev->pending_eof) {
                rev->ready = 0;
            }

            return n;
        }

        if (errno == EAGAIN || errno == EWOULDBLOCK) {
            rev->ready = 0;
            return LT_AGAIN;
        }

        if (errno == EINTR) {
            continue;
        }

        rev->ready = 0;
        rev->error = 1;
        lt_connection_error(c, errno, "recv() failed");

        return LT_ERROR;
    }
}


ssize_t
lt_unix_send(lt_connection_t *c, u_char *buf, size_t size)
{
    ssize_t      n;
    lt_event_t  *wev;

    wev = &c->write;

    for ( ;; ) {
        n = send(c->fd, buf, size, MSG_NOSIGNAL);

        if (n > 0) {
            if ((size_t) n < size) {
                wev->ready = 0;
            }

            c->sent += n;
            return n;
        }

        if (n == 0) {
            lt_log_error(LT_LOG_ALERT, c->log, 0, "send() returned zero");
            wev->ready = 0;
            return 0;
        }

        if (errno == EAGAIN || errno == EWOULDBLOCK) {
            wev->ready = 0;
            return LT_AGAIN;
        }

        if (errno == EINTR) {
            continue;
        }

        wev->error = 1;
        (void) lt_connection_error(c, errno, "send() failed");

        return LT_ERROR;
    }
}


/* lt_output_chain_to_iovec: the memory buffers of in, coalesced, up to limit bytes
 * and LT_IOVS_PREALLOCATE vectors; returns the first link not taken */
static lt_chain_t *
lt_output_chain_to_iovec(struct iovec *iovs, int *niovs, size_t *total, lt_chain_t *in,
    size_t limit)
{
    size_t   size;
    u_char  *prev;
    int      n;

    n = 0;
    prev = NULL;
    *total = 0;

    for ( /* void */ ; in && *total < limit; in = in->next) {

        if (lt_buf_special(in->buf)) {
            continue;
        }

        if (in->buf->in_file && !lt_buf_in_memory(in->buf)) {
            /* file data goes through the sendfile path, not here */
            break;
        }

        size = in->buf->last - in->buf->pos;

        if (size > limit - *total) {
            size = limit - *total;
        }

        if (size == 0) {
            continue;
        }

        if (prev == in->buf->pos) {
            iovs[n - 1].iov_len += size;

        } else {
            if (n == LT_IOVS_PREALLOCATE) {
                break;
            }

            iovs[n].iov_base = in->buf->pos;
            iovs[n].iov_len = size;
            n++;
        }

        prev = in->buf->pos + size;
        *total += size;
    }

    *niovs = n;

    return in;
}


lt_chain_t *
lt_writev_chain(lt_connection_t *c, lt_chain_t *in, off_t limit)
{
    ssize_t       n;
    size_t        total, max;
    int           niovs;
    struct iovec  iovs[LT_IOVS_PREALLOCATE];
    lt_event_t   *wev;
    lt_chain_t   *cl;

    wev = &c->write;

    if (!wev->ready) {
        return in;
    }

    max = (limit == 0 || limit > (off_t) (SSIZE_MAX - lt_pagesize))
              ? (size_t) (SSIZE_MAX - lt_pagesize) : (size_t) limit;

    for ( ;; ) {
        cl = lt_output_chain_to_iovec(iovs, &niovs, &total, in, max);

        if (niovs == 0) {
            return cl == in ? lt_chain_update_sent(in, 0) : cl;
        }

        n = writev(c->fd, iovs, niovs);

        if (n == -1) {
            if (errno == EAGAIN || errno == EWOULDBLOCK) {
                wev->ready = 0;
                return in;
            }

            if (errno == EINTR) {
                continue;
            }

            wev->error = 1;
            (void) lt_connection_error(c, errno, "writev() failed");
            return LT_CHAIN_ERROR;
        }

        c->sent += n;
        in = lt_chain_update_sent(in, n);

        if ((size_t) n < total) {
            wev->ready = 0;
            return in;
        }

        max -= (size_t) n;

        if (max == 0 || in == NULL) {
            return in;
        }
    }
}
