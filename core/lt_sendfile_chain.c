/*
 * lt_sendfile_chain.c: the send_chain of plain connections: memory buffers go
 * out with writev()/sendmsg(), file ranges with sendfile(). When headers in
 * memory are followed by a file, they are sent with MSG_MORE, so the kernel
 * puts them in the same packet as the file's first bytes: what TCP_CORK does
 * for nginx's tcp_nopush, without the two setsockopt() calls per response
 * (tcp_nopush off turns it off).
 */

#include "lt_core.h"

#include <sys/sendfile.h>

#define LT_SENDFILE_MAXSIZE  2147479552L


/* lt_chain_file_size: how much of the file can go in one sendfile(): the
 * neighbouring ranges of the same file, up to limit */
static off_t
lt_chain_file_size(lt_chain_t **in, off_t limit)
{
    off_t        size, fprev, total;
    lt_buf_t    *b;
    lt_chain_t  *cl;

    total = 0;
    cl = *in;
    fprev = cl->buf->file_pos;
    b = cl->buf;

    for ( ;; ) {
        size = cl->buf->file_last - cl->buf->file_pos;

        if (size > limit - total) {
            size = limit - total;
        }

        total += size;
        fprev = cl->buf->file_pos + size;

        cl = cl->next;

        if (cl == NULL || !cl->buf->in_file || lt_buf_in_memory(cl->buf)
            || cl->buf->file != b->file || cl->buf->file_pos != fprev || total >= limit)
        {
            break;
        }
    }

    *in = cl;

    return total;
}


/* lt_sendfile_file: one sendfile() for the file range at the head of *in */
static ssize_t
lt_sendfile_file(lt_connection_t *c, lt_chain_t **in, off_t limit, off_t *expected)
{
    off_t      offset;
    ssize_t    n;
    lt_buf_t  *file;

    file = (*in)->buf;
    *expected = lt_chain_file_size(in, limit);
    offset = file->file_pos;

    for ( ;; ) {
        n = sendfile(c->fd, file->file->fd, &offset, (size_t) *expected);

        if (n == -1 && errno == EINTR) {
            continue;
        }

        break;
    }

    if (n == -1) {
        if (errno == EAGAIN) {
            return 0;
        }

        c->write.error = 1;
        lt_connection_error(c, errno, "sendfile() failed");
        return LT_ERROR;
    }

    if (n == 0 && *expected > 0) {
        /* the file was truncated while we sent it */
        lt_log_error(LT_LOG_ALERT, c->log, 0, "sendfile() reported that \"%.*s\" was "
                     "truncated at %lld", (int) file->file->name.len, file->file->name.data,
                     (long long) file->file_pos);
        return LT_ERROR;
    }

    return n;
}


/* lt_sendfile_iovec: the memory buffers at the head of in, coalesced */
static lt_chain_t *
lt_sendfile_iovec(struct iovec *iovs, int *niovs, off_t *total, lt_chain_t *in, off_t limit)
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
            break;
        }

        size = in->buf->last - in->buf->pos;

        if ((off_t) size > limit - *total) {
            size = (size_t) (limit - *total);
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
lt_sendfile_chain(lt_connection_t *c, lt_chain_t *in, off_t limit)
{
    int           niovs, more;
    off_t         send, expected;
    ssize_t       n;
    lt_chain_t   *cl, *next;
    lt_event_t   *wev;
    struct iovec  iovs[LT_IOVS_PREALLOCATE];

    wev = &c->write;

    if (!wev->ready) {
        return in;
    }

    if (limit == 0 || limit > (off_t) (LT_SENDFILE_MAXSIZE - lt_pagesize)) {
        limit = (off_t) (LT_SENDFILE_MAXSIZE - lt_pagesize);
    }

    send = 0;

    for ( ;; ) {
        cl = lt_sendfile_iovec(iovs, &niovs, &expected, in, limit - send);

        if (niovs == 0 && cl && cl->buf->in_file && !lt_buf_in_memory(cl->buf)) {
            next = cl;
            n = lt_sendfile_file(c, &next, limit - send, &expected);

        } else if (niovs) {
            struct msghdr  msg;

            lt_memzero(&msg, sizeof(struct msghdr));
            msg.msg_iov = iovs;
            msg.msg_iovlen = niovs;

            /* headers followed by a file: held for the file's first packet */
            more = (cl && cl->buf->in_file && !lt_buf_in_memory(cl->buf)
                    && c->tcp_nopush != LT_TCP_NOPUSH_DISABLED && send + expected < limit);

            n = sendmsg(c->fd, &msg, MSG_NOSIGNAL | (more ? MSG_MORE : 0));

            if (n == -1) {
                if (errno == EAGAIN || errno == EINTR) {
                    n = errno == EAGAIN ? 0 : -2;

                } else {
                    wev->error = 1;
                    lt_connection_error(c, errno, "sendmsg() failed");
                    return LT_CHAIN_ERROR;
                }
            }

            if (n == -2) {
                continue;
            }

        } else {
            /* only special buffers left */
            return lt_chain_update_sent(in, 0);
        }

        if (n == LT_ERROR) {
            return LT_CHAIN_ERROR;
        }

        send += n;
        c->sent += n;

        in = lt_chain_update_sent(in, n);

        if (n < expected) {
            wev->ready = 0;
            return in;
        }

        if (send >= limit || in == NULL) {
            return in;
        }
    }
}
