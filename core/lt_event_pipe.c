/*
 * lt_event_pipe.c: the buffered upstream relay (see lt_event_pipe.h).
 *
 * A call alternates two steps until neither can go on:
 *
 *  - read: the preread buffers first, then one raw buffer per recv. Only the
 *    first of free_raw_bufs may hold bytes; it goes to the input filter when it
 *    is full, when it holds all of p->length, or when the upstream ends. With no
 *    buffer left to read into, either the client can take data (write first) or
 *    the oldest data of p->in goes to the temp file, which frees the raw buffers
 *    behind it.
 *
 *  - write: file ranges (p->out) then memory (p->in) to the consumer, memory
 *    within busy_size; what the consumer has finished moves from p->busy to
 *    p->free, and a raw buffer whose last shadow finished is read into again.
 *    Once the upstream has ended, everything left is handed over at once.
 *
 * Edge-triggered rules: a recv that returns less than asked drained the socket
 * (lt_recv clears ready), so the read step stops on !ready and never reads just
 * to see EAGAIN; the upstream's readiness is kept while the pipe has no buffer,
 * and the write step frees buffers and reads again in the same call.
 */

#include "lt_core.h"
#include "lt_event_pipe.h"

#define lt_event_pipe_finished(p)                                             \
    ((p)->upstream_eof || (p)->upstream_error || (p)->upstream_done)

/* consecutive empty flushes (output_filter(NULL)) one write step may make */
#define LT_EVENT_PIPE_MAX_FLUSHES  10

static int lt_event_pipe_read_upstream(lt_event_pipe_t *p, unsigned may_defer);
static int lt_event_pipe_preread(lt_event_pipe_t *p);
static int lt_event_pipe_get_raw_buf(lt_event_pipe_t *p, unsigned may_defer);
static int lt_event_pipe_filter_head(lt_event_pipe_t *p);
static int lt_event_pipe_upstream_end(lt_event_pipe_t *p);
static int lt_event_pipe_write_downstream(lt_event_pipe_t *p);
static int lt_event_pipe_hand_over(lt_event_pipe_t *p);
static int lt_event_pipe_recycle(lt_event_pipe_t *p, lt_chain_t *until);
static int lt_event_pipe_drain(lt_event_pipe_t *p);
static int lt_event_pipe_write_temp_file(lt_event_pipe_t *p);
static int lt_event_pipe_pwritev(lt_event_pipe_t *p, lt_chain_t *cl, lt_chain_t *end);
static int lt_event_pipe_is_preread(lt_event_pipe_t *p, lt_buf_t *b);
static void lt_event_pipe_timers(lt_event_pipe_t *p);


static inline int
lt_event_pipe_writable(lt_event_pipe_t *p)
{
    return p->downstream == NULL
           || (p->downstream->write.ready && !p->downstream->write.delayed);
}


/* lt_event_pipe_timedout: a timer fired on the event the caller was called for */
static void
lt_event_pipe_timedout(lt_event_pipe_t *p, int do_write)
{
    lt_event_t  *ev;

    if (!do_write) {
        if (p->upstream == NULL || p->upstream->fd == -1) {
            return;
        }

        ev = &p->upstream->read;

        if (!ev->timedout) {
            return;
        }

        if (ev->delayed) {
            /* the limit_rate pause is over */
            ev->timedout = 0;
            ev->delayed = 0;
            return;
        }

        if (!p->upstream_error) {
            p->upstream_error = 1;
            p->upstream->timedout = 1;
            (void) lt_connection_error(p->upstream, ETIMEDOUT, "upstream timed out");
        }

        return;
    }

    if (p->downstream == NULL || p->downstream->fd == -1) {
        return;
    }

    ev = &p->downstream->write;

    if (!ev->timedout) {
        return;
    }

    if (ev->delayed) {
        /* the client's limit_rate pause is over */
        ev->timedout = 0;
        ev->delayed = 0;
        return;
    }

    if (!p->downstream_error) {
        p->downstream_error = 1;
        p->downstream->timedout = 1;
        (void) lt_connection_error(p->downstream, ETIMEDOUT, "client timed out");
    }
}


int
lt_event_pipe(lt_event_pipe_t *p, int do_write)
{
    int       rc;
    unsigned  deferred;

    lt_event_pipe_timedout(p, do_write);

    deferred = 0;

    for ( ;; ) {
        if (do_write) {
            p->log->action = "sending to client";

            if (lt_event_pipe_write_downstream(p) == LT_ABORT) {
                return LT_ABORT;
            }
        }

        p->read = 0;
        p->upstream_blocked = 0;

        p->log->action = "reading upstream";

        /* after a write that the lack of buffers asked for, the temp file is
         * the way on: asking for another write could go round forever */
        rc = lt_event_pipe_read_upstream(p, !deferred);

        if (rc == LT_ABORT) {
            return LT_ABORT;
        }

        if (p->read) {
            deferred = 0;
            do_write = 1;
            continue;
        }

        if (rc == LT_AGAIN) {
            deferred = 1;
            do_write = 1;
            continue;
        }

        if (lt_event_pipe_finished(p) && !p->downstream_done && !p->downstream_error) {
            /* the end came without bytes (eof, error, timeout): hand over */
            do_write = 1;
            continue;
        }

        break;
    }

    lt_event_pipe_timers(p);

    return LT_OK;
}


static void
lt_event_pipe_timers(lt_event_pipe_t *p)
{
    lt_event_t  *ev;

    if (p->upstream && p->upstream->fd != -1) {
        ev = &p->upstream->read;

        if (!ev->delayed) {
            if (!ev->ready && !lt_event_pipe_finished(p) && p->read_timeout) {
                lt_event_add_timer(ev, p->read_timeout);

            } else if (ev->timer_set) {
                lt_event_del_timer(ev);
            }
        }
    }

    if (p->downstream && p->downstream->fd != -1) {
        ev = &p->downstream->write;

        if (!ev->delayed) {
            if (!ev->ready && !p->downstream_error && p->send_timeout) {
                lt_event_add_timer(ev, p->send_timeout);

            } else if (ev->timer_set) {
                lt_event_del_timer(ev);
            }
        }
    }
}


/* reading */

/* lt_event_pipe_read_upstream: reads while the upstream is ready and there is a
 * buffer; LT_OK, LT_AGAIN (no buffer, but the client could take data: write
 * first; only when may_defer), LT_ABORT */
static int
lt_event_pipe_read_upstream(lt_event_pipe_t *p, unsigned may_defer)
{
    int          rc;
    off_t        limit;
    size_t       size;
    ssize_t      n;
    uint64_t     delay;
    lt_buf_t    *b;
    lt_event_t  *rev;

    if (p->upstream == NULL || p->upstream->fd == -1) {
        return LT_OK;
    }

    if (lt_event_pipe_finished(p)) {
        /* the end may have come from outside (a timeout) */
        if (!p->free_bufs && lt_event_pipe_upstream_end(p) != LT_OK) {
            return LT_ABORT;
        }

        return LT_OK;
    }

    rev = &p->upstream->read;

    if (p->input_filter == NULL) {
        p->input_filter = lt_event_pipe_copy_input_filter;
    }

    if (p->last_in == NULL) {
        p->last_in = &p->in;
    }

    if (p->start_sec == 0) {
        p->start_sec = lt_time();
    }

    if (p->preread_bufs && lt_event_pipe_preread(p) != LT_OK) {
        return LT_ABORT;
    }

    rc = LT_OK;

    for ( ;; ) {

        if (lt_event_pipe_finished(p) || p->length == 0) {
            break;
        }

        if (!rev->ready || rev->delayed) {
            break;
        }

        limit = 0;

        if (p->limit_rate) {
            limit = (off_t) p->limit_rate * (lt_time() - p->start_sec + 1) - p->read_length;

            if (limit <= 0) {
                rev->delayed = 1;
                delay = (uint64_t) (-limit * 1000 / (off_t) p->limit_rate + 1);
                lt_event_add_timer(rev, delay);
                break;
            }
        }

        rc = lt_event_pipe_get_raw_buf(p, may_defer);

        if (rc == LT_ABORT) {
            return LT_ABORT;
        }

        if (rc != LT_OK) {
            break;
        }

        b = p->free_raw_bufs->buf;
        size = (size_t) (b->end - b->last);

        if (limit && (off_t) size > limit) {
            size = (size_t) limit;
        }

        n = lt_recv(p->upstream, b->last, size);

        lt_log_debug(p->log, "pipe recv: %zd of %zu", n, size);

        if (n == LT_AGAIN) {
            break;
        }

        if (n == LT_ERROR) {
            p->upstream_error = 1;
            break;
        }

        if (n == 0) {
            p->upstream_eof = 1;
            break;
        }

        p->read = 1;
        p->read_length += n;
        b->last += n;

        if (lt_event_pipe_filter_head(p) != LT_OK) {
            return LT_ABORT;
        }

        if (p->limit_rate) {
            delay = (uint64_t) n * 1000 / p->limit_rate;

            if (delay > 0) {
                rev->delayed = 1;
                lt_event_add_timer(rev, delay);
                break;
            }
        }
    }

    if (p->length == 0 && !p->upstream_done) {
        p->upstream_done = 1;
    }

    if (lt_event_pipe_finished(p) && lt_event_pipe_upstream_end(p) != LT_OK) {
        return LT_ABORT;
    }

    return rc == LT_AGAIN ? LT_AGAIN : LT_OK;
}


/* lt_event_pipe_filter_head: gives the first raw buffer to the input filter
 * when it is full or holds all of p->length */
static int
lt_event_pipe_filter_head(lt_event_pipe_t *p)
{
    lt_buf_t    *b;
    lt_chain_t  *cl;

    cl = p->free_raw_bufs;

    if (cl == NULL) {
        return LT_OK;
    }

    b = cl->buf;

    if (b->last != b->end
        && (p->length == -1 || b->last == b->pos || b->last - b->pos < p->length))
    {
        return LT_OK;
    }

    p->free_raw_bufs = cl->next;
    lt_free_chain_link(p->pool, cl);

    if (p->input_filter(p, b) != LT_OK) {
        return LT_ERROR;
    }

    return LT_OK;
}


/* lt_event_pipe_preread: the body bytes read with the header, as if just read:
 * every buffer but a last one with room goes to the input filter now; that one
 * is read into further */
static int
lt_event_pipe_preread(lt_event_pipe_t *p)
{
    size_t       n;
    lt_buf_t    *b;
    lt_chain_t  *in, *cl, *ln;

    in = p->preread_bufs;
    p->preread_bufs = NULL;

    n = 0;

    for (cl = in; cl; cl = cl->next) {
        n += cl->buf->last - cl->buf->pos;

        ln = lt_alloc_chain_link(p->pool);
        if (ln == NULL) {
            return LT_ERROR;
        }

        ln->buf = cl->buf;
        ln->next = p->preread_raw;
        p->preread_raw = ln;
    }

    p->preread_size = n;
    p->read_length += n;

    if (n) {
        p->read = 1;
    }

    lt_log_debug(p->log, "pipe preread: %zu", n);

    for (cl = in; cl; cl = cl->next) {
        b = cl->buf;
        b->shadow = NULL;

        if (cl->next == NULL && b->last != b->end && !p->upstream_done) {
            ln = lt_alloc_chain_link(p->pool);
            if (ln == NULL) {
                return LT_ERROR;
            }

            ln->buf = b;
            ln->next = p->free_raw_bufs;
            p->free_raw_bufs = ln;

            return lt_event_pipe_filter_head(p);
        }

        if (p->input_filter(p, b) != LT_OK) {
            return LT_ERROR;
        }
    }

    return LT_OK;
}


/* lt_event_pipe_get_raw_buf: makes sure free_raw_bufs has a buffer to read
 * into: LT_OK; LT_AGAIN (none, but writing to the client may free some: only
 * when may_defer) or LT_DECLINED (none) with upstream_blocked set; LT_ABORT */
static int
lt_event_pipe_get_raw_buf(lt_event_pipe_t *p, unsigned may_defer)
{
    int          rc;
    lt_buf_t    *b;
    lt_chain_t  *cl;

    if (p->free_raw_bufs) {
        return LT_OK;
    }

    if (p->allocated < p->bufs.num) {
        b = lt_create_temp_buf(p->pool, p->bufs.size);
        if (b == NULL) {
            return LT_ABORT;
        }

        b->tag = p->tag;

        cl = lt_alloc_chain_link(p->pool);
        if (cl == NULL) {
            return LT_ABORT;
        }

        cl->buf = b;
        cl->next = NULL;
        p->free_raw_bufs = cl;
        p->allocated++;

        return LT_OK;
    }

    p->upstream_blocked = 1;

    if (may_defer && (p->downstream_error || lt_event_pipe_writable(p))) {
        lt_log_debug(p->log, "pipe no buffer: downstream ready");
        return LT_AGAIN;
    }

    if (p->downstream_error || p->in == NULL || p->temp_path == NULL
        || (p->temp_file ? p->temp_file->offset : 0) >= p->max_temp_file_size)
    {
        lt_log_debug(p->log, "pipe no buffer to read in");
        return LT_DECLINED;
    }

    rc = lt_event_pipe_write_temp_file(p);

    if (rc == LT_ABORT) {
        return LT_ABORT;
    }

    if (rc != LT_OK || p->free_raw_bufs == NULL) {
        return LT_DECLINED;
    }

    p->upstream_blocked = 0;

    return LT_OK;
}


/* lt_event_pipe_upstream_end: the upstream ended (once): the partial buffer goes
 * to the input filter, the raw buffers nobody uses go back to the pool; LT_OK or
 * LT_ERROR (the input filter failed) */
static int
lt_event_pipe_upstream_end(lt_event_pipe_t *p)
{
    lt_buf_t    *b;
    lt_chain_t  *cl, *next;

    if (p->free_bufs) {
        return LT_OK;
    }

    if ((p->upstream_eof || p->upstream_error) && p->free_raw_bufs && !p->upstream_done) {
        cl = p->free_raw_bufs;
        p->free_raw_bufs = cl->next;
        b = cl->buf;
        lt_free_chain_link(p->pool, cl);

        if (p->input_filter(p, b) != LT_OK) {
            return LT_ERROR;
        }
    }

    p->free_bufs = 1;

    for (cl = p->free_raw_bufs; cl; cl = next) {
        next = cl->next;
        b = cl->buf;

        if (b->shadow == NULL && !lt_event_pipe_is_preread(p, b)
            && lt_pfree(p->pool, b->start) == LT_OK)
        {
            b->start = NULL;
            b->pos = NULL;
            b->last = NULL;
            b->end = NULL;
        }

        lt_free_chain_link(p->pool, cl);
    }

    p->free_raw_bufs = NULL;

    return LT_OK;
}


/* writing */

/* lt_event_pipe_write_downstream: gives the consumer what it may take now;
 * LT_OK or LT_ABORT */
static int
lt_event_pipe_write_downstream(lt_event_pipe_t *p)
{
    int          rc;
    u_char      *prev;
    size_t       bsize, cap;
    unsigned     flush, flushes, prev_last_shadow;
    lt_chain_t  *out, **ll, *cl, *old_free;

    flushes = 0;

    for ( ;; ) {
        if (p->downstream_error) {
            return lt_event_pipe_drain(p);
        }

        if (lt_event_pipe_finished(p)) {
            /* an end flagged from outside: the partial raw buffer goes to the
             * input filter before everything is handed over */
            if (!p->free_bufs && lt_event_pipe_upstream_end(p) != LT_OK) {
                return LT_ABORT;
            }

            return lt_event_pipe_hand_over(p);
        }

        if (!lt_event_pipe_writable(p)) {
            break;
        }

        /* the raw buffers behind what the consumer holds, each counted once */

        prev = NULL;
        bsize = 0;

        for (cl = p->busy; cl; cl = cl->next) {
            if (cl->buf->recycled && prev != cl->buf->start) {
                bsize += cl->buf->end - cl->buf->start;
                prev = cl->buf->start;
            }
        }

        out = NULL;
        ll = &out;
        flush = 0;

        if (p->busy && bsize >= (size_t) p->busy_size) {
            flush = 1;

        } else {
            /* file ranges first: they are older than anything in memory */

            if (p->out) {
                *ll = p->out;

                for (cl = p->out; cl->next; cl = cl->next) { /* void */ }

                ll = &cl->next;
                p->out = NULL;
            }

            prev_last_shadow = 1;

            while (p->in) {
                cl = p->in;

                if (cl->buf->recycled && prev_last_shadow) {
                    cap = cl->buf->end - cl->buf->start;

                    if (bsize && bsize + cap > (size_t) p->busy_size) {
                        flush = 1;
                        break;
                    }

                    bsize += cap;
                }

                prev_last_shadow = cl->buf->last_shadow || cl->buf->shadow == NULL;

                p->in = cl->next;
                cl->next = NULL;
                *ll = cl;
                ll = &cl->next;
            }
        }

        if (out == NULL) {
            if (!flush || flushes++ >= LT_EVENT_PIPE_MAX_FLUSHES) {
                break;
            }

        } else {
            flushes = 0;
        }

        lt_log_debug(p->log, "pipe write: %p busy:%zu flush:%u", (void *) out, bsize, flush);

        rc = p->output_filter(p->output_ctx, out);

        old_free = p->free;
        lt_chain_update_chains(p->pool, &p->free, &p->busy, &out, p->tag);

        if (rc == LT_ERROR) {
            p->downstream_error = 1;
            return lt_event_pipe_drain(p);
        }

        if (lt_event_pipe_recycle(p, old_free) != LT_OK) {
            return LT_ABORT;
        }
    }

    return LT_OK;
}


/* lt_event_pipe_hand_over: the upstream ended: everything left goes to the
 * consumer at once, file ranges first */
static int
lt_event_pipe_hand_over(lt_event_pipe_t *p)
{
    int          rc;
    lt_chain_t  *cl, *out, *old_free;

    if (p->downstream_done) {
        return LT_OK;
    }

    for (cl = p->busy; cl; cl = cl->next) {
        cl->buf->recycled = 0;
    }

    out = p->out;

    if (out) {
        for (cl = out; cl->next; cl = cl->next) { /* void */ }

        cl->next = p->in;

    } else {
        out = p->in;
    }

    p->out = NULL;
    p->in = NULL;

    p->downstream_done = 1;

    if (out == NULL) {
        return LT_OK;
    }

    for (cl = out; cl; cl = cl->next) {
        cl->buf->recycled = 0;
    }

    lt_log_debug(p->log, "pipe write: hand over");

    rc = p->output_filter(p->output_ctx, out);

    old_free = p->free;
    lt_chain_update_chains(p->pool, &p->free, &p->busy, &out, p->tag);

    if (rc == LT_ERROR) {
        p->downstream_error = 1;
        return lt_event_pipe_drain(p);
    }

    return lt_event_pipe_recycle(p, old_free) == LT_OK ? LT_OK : LT_ABORT;
}


/* lt_event_pipe_file_pending: a range of the temp file is still to be sent */
static int
lt_event_pipe_file_pending(lt_event_pipe_t *p)
{
    lt_chain_t  *cl;

    if (p->out) {
        return 1;
    }

    for (cl = p->busy; cl; cl = cl->next) {
        if (cl->buf->temp_file && cl->buf->file_last > cl->buf->file_pos) {
            return 1;
        }
    }

    return 0;
}


/* lt_event_pipe_recycle: the buffers that lt_chain_update_chains() just moved
 * to p->free (those before `until`) are done: their raw buffers are read into
 * again, and with a cyclic temp file the file is rewound once all of it is sent */
static int
lt_event_pipe_recycle(lt_event_pipe_t *p, lt_chain_t *until)
{
    lt_buf_t    *b;
    lt_chain_t  *cl;

    for (cl = p->free; cl && cl != until; cl = cl->next) {
        b = cl->buf;

        if (b->temp_file && p->cyclic_temp_file && p->temp_file
            && p->temp_file->offset && !lt_event_pipe_file_pending(p))
        {
            lt_log_debug(p->log, "pipe temp file rewound");
            p->temp_file->offset = 0;
        }

        if (b->last_shadow) {
            if (lt_event_pipe_add_free_buf(p, b->shadow) != LT_OK) {
                return LT_ERROR;
            }

            b->last_shadow = 0;
        }

        b->shadow = NULL;
    }

    return LT_OK;
}


/* lt_event_pipe_drain: the client is gone: what was for it is dropped and the
 * raw buffers are read into again (the upstream is read to its end) */
static int
lt_event_pipe_drain(lt_event_pipe_t *p)
{
    unsigned     held;
    lt_chain_t  *cl, *next;

    for ( ;; ) {
        held = 0;

        if (p->busy) {
            /* the consumer may still point at these: once the upstream has
             * ended their memory is not given back */
            held = p->free_bufs;
            cl = p->busy;
            p->busy = NULL;

        } else if (p->out) {
            cl = p->out;
            p->out = NULL;

        } else if (p->in) {
            cl = p->in;
            p->in = NULL;

        } else {
            return LT_OK;
        }

        for ( /* void */ ; cl; cl = next) {
            next = cl->next;

            if (cl->buf->last_shadow && !held) {
                if (lt_event_pipe_add_free_buf(p, cl->buf->shadow) != LT_OK) {
                    return LT_ABORT;
                }
            }

            cl->buf->last_shadow = 0;
            cl->buf->shadow = NULL;
            cl->next = p->free;
            p->free = cl;
        }
    }
}


/* the temp file */

/* lt_event_pipe_write_temp_file: writes the oldest data of p->in (whole raw
 * buffers, about temp_file_write_size bytes, within max_temp_file_size) to the
 * temp file, appends the range to p->out and frees the raw buffers; LT_OK,
 * LT_BUSY (nothing fits), LT_ABORT */
static int
lt_event_pipe_write_temp_file(lt_event_pipe_t *p)
{
    off_t        offset, size, group;
    lt_buf_t    *b;
    lt_file_t   *tf;
    lt_chain_t  *cl, *end, *last, *next;

    offset = p->temp_file ? p->temp_file->offset : 0;

    /* choose: whole groups of buffers made from one raw buffer */

    size = 0;
    end = p->in;

    while (end) {
        group = 0;

        for (cl = end; cl; cl = cl->next) {
            b = cl->buf;

            if (lt_buf_in_memory(b)) {
                group += b->last - b->pos;
            }

            if (b->last_shadow || b->shadow == NULL) {
                break;
            }
        }

        if (size && size + group > (off_t) p->temp_file_write_size) {
            break;
        }

        if (offset + size + group > p->max_temp_file_size) {
            break;
        }

        size += group;
        end = cl ? cl->next : NULL;
    }

    if (end == p->in) {
        lt_log_debug(p->log, "pipe temp file: nothing fits at %lld", (long long) offset);
        return LT_BUSY;
    }

    if (p->temp_file == NULL) {
        tf = lt_pcalloc(p->pool, sizeof(lt_file_t));
        if (tf == NULL) {
            return LT_ABORT;
        }

        tf->fd = -1;
        tf->log = p->log;

        if (lt_create_temp_file(tf, p->temp_path, p->pool, p->temp_persistent, 0, 0)
            != LT_OK)
        {
            return LT_ABORT;
        }

        p->temp_file = tf;

        if (p->temp_file_warn) {
            lt_log_error(LT_LOG_WARN, p->log, 0, "%s %.*s", p->temp_file_warn,
                         (int) tf->name.len, tf->name.data);
        }
    }

    tf = p->temp_file;

    if (lt_event_pipe_pwritev(p, p->in, end) != LT_OK) {
        return LT_ABORT;
    }

    /* the range: the last one in p->out grows when it ends where this begins */

    last = NULL;

    for (cl = p->out; cl; cl = cl->next) {
        last = cl;
    }

    if (last && last->buf->file_last == offset) {
        last->buf->file_last = offset + size;

    } else if (size) {
        cl = lt_chain_get_free_buf(p->pool, &p->free);
        if (cl == NULL) {
            return LT_ABORT;
        }

        b = cl->buf;
        lt_memzero(b, sizeof(lt_buf_t));

        b->tag = p->tag;
        b->file = tf;
        b->file_pos = offset;
        b->file_last = offset + size;
        b->in_file = 1;
        b->temp_file = 1;

        if (last) {
            last->next = cl;

        } else {
            p->out = cl;
        }
    }

    tf->offset = offset + size;

    lt_log_debug(p->log, "pipe temp file: %lld bytes, offset %lld", (long long) size,
                 (long long) tf->offset);

    /* the written buffers are done: their raw buffers are read into again */

    for (cl = p->in; cl != end; cl = next) {
        next = cl->next;
        b = cl->buf;

        if (b->last_shadow) {
            if (lt_event_pipe_add_free_buf(p, b->shadow) != LT_OK) {
                return LT_ABORT;
            }
        }

        b->last_shadow = 0;
        b->shadow = NULL;

        cl->next = p->free;
        p->free = cl;
    }

    p->in = end;

    return LT_OK;
}


/* lt_event_pipe_pwritev: the memory of the buffers [cl, end) at the temp file's
 * offset; LT_OK or LT_ERROR (logged) */
static int
lt_event_pipe_pwritev(lt_event_pipe_t *p, lt_chain_t *cl, lt_chain_t *end)
{
    int           n, i;
    off_t         offset;
    size_t        len;
    ssize_t       written;
    lt_file_t    *tf;
    struct iovec  iovs[LT_IOVS_PREALLOCATE], *iov;

    tf = p->temp_file;
    offset = tf->offset;

    while (cl != end) {
        n = 0;

        for ( /* void */ ; cl != end && n < LT_IOVS_PREALLOCATE; cl = cl->next) {
            if (!lt_buf_in_memory(cl->buf)) {
                continue;
            }

            len = cl->buf->last - cl->buf->pos;

            if (len == 0) {
                continue;
            }

            if (n && (u_char *) iovs[n - 1].iov_base + iovs[n - 1].iov_len == cl->buf->pos) {
                iovs[n - 1].iov_len += len;
                continue;
            }

            iovs[n].iov_base = cl->buf->pos;
            iovs[n].iov_len = len;
            n++;
        }

        iov = iovs;
        i = n;

        while (i > 0) {
            written = pwritev(tf->fd, iov, i, offset);

            if (written == -1 && errno == EINTR) {
                continue;
            }

            if (written <= 0) {
                lt_log_error(LT_LOG_CRIT, p->log, written == -1 ? errno : 0,
                             "pwritev() \"%.*s\" failed", (int) tf->name.len,
                             tf->name.data);
                return LT_ERROR;
            }

            offset += written;

            while (i > 0 && (size_t) written >= iov->iov_len) {
                written -= iov->iov_len;
                iov++;
                i--;
            }

            if (i > 0) {
                iov->iov_base = (u_char *) iov->iov_base + written;
                iov->iov_len -= written;
            }
        }
    }

    return LT_OK;
}


/* buffers */

static int
lt_event_pipe_is_preread(lt_event_pipe_t *p, lt_buf_t *b)
{
    lt_chain_t  *cl;

    for (cl = p->preread_raw; cl; cl = cl->next) {
        if (cl->buf == b) {
            return 1;
        }
    }

    return 0;
}


int
lt_event_pipe_copy_input_filter(lt_event_pipe_t *p, lt_buf_t *buf)
{
    lt_buf_t  *b;

    if (buf->pos == buf->last) {
        return lt_event_pipe_add_free_buf(p, buf);
    }

    if (p->upstream_done) {
        lt_log_debug(p->log, "pipe input data after the end");
        return lt_event_pipe_add_free_buf(p, buf);
    }

    if (p->length == 0) {
        p->upstream_done = 1;
        lt_log_error(LT_LOG_WARN, p->log, 0,
                     "upstream sent more data than specified in \"Content-Length\" header");
        return lt_event_pipe_add_free_buf(p, buf);
    }

    b = lt_event_pipe_add_data(p, buf, buf->pos, buf->last);
    if (b == NULL) {
        return LT_ERROR;
    }

    if (p->length == -1) {
        return LT_OK;
    }

    if (b->last - b->pos > p->length) {
        lt_log_error(LT_LOG_WARN, p->log, 0,
                     "upstream sent more data than specified in \"Content-Length\" header");

        /* length stays above 0: the connection is not reusable */
        b->last = b->pos + p->length;
        p->upstream_done = 1;

        return LT_OK;
    }

    p->length -= b->last - b->pos;

    return LT_OK;
}


lt_buf_t *
lt_event_pipe_add_data(lt_event_pipe_t *p, lt_buf_t *raw, u_char *pos, u_char *last)
{
    lt_buf_t    *b, *prev;
    lt_chain_t  *cl, *tail;

    cl = lt_chain_get_free_buf(p->pool, &p->free);
    if (cl == NULL) {
        return NULL;
    }

    b = cl->buf;
    lt_memzero(b, sizeof(lt_buf_t));

    b->start = raw->start;
    b->end = raw->end;
    b->pos = pos;
    b->last = last;
    b->temporary = 1;
    b->recycled = 1;
    b->tag = p->tag;
    b->shadow = raw;
    b->last_shadow = 1;

    /* the shadows of a raw buffer are a list: raw -> first -> ... -> last -> raw */

    prev = NULL;

    if (p->in) {
        tail = lt_container_of(p->last_in, lt_chain_t, next);
        prev = tail->buf;
    }

    if (prev && prev->last_shadow && prev->shadow == raw) {
        prev->last_shadow = 0;
        prev->shadow = b;

    } else {
        raw->shadow = b;
    }

    if (p->in) {
        *p->last_in = cl;

    } else {
        p->in = cl;
    }

    p->last_in = &cl->next;

    return b;
}


int
lt_event_pipe_add_free_buf(lt_event_pipe_t *p, lt_buf_t *b)
{
    lt_chain_t  *cl;

    b->shadow = NULL;

    if (lt_event_pipe_is_preread(p, b)) {
        /* its start may hold the response header: not read into again */
        b->pos = b->last;
        return LT_OK;
    }

    b->pos = b->start;
    b->last = b->start;

    if (p->free_bufs) {
        /* the upstream has ended: the memory goes back to the pool */
        if (b->start && lt_pfree(p->pool, b->start) == LT_OK) {
            b->start = NULL;
            b->pos = NULL;
            b->last = NULL;
            b->end = NULL;
        }

        return LT_OK;
    }

    cl = lt_alloc_chain_link(p->pool);
    if (cl == NULL) {
        return LT_ERROR;
    }

    cl->buf = b;

    if (p->free_raw_bufs == NULL || p->free_raw_bufs->buf->pos == p->free_raw_bufs->buf->last)
    {
        cl->next = p->free_raw_bufs;
        p->free_raw_bufs = cl;

        return LT_OK;
    }

    /* the first holds bytes already: it stays first */

    cl->next = p->free_raw_bufs->next;
    p->free_raw_bufs->next = cl;

    return LT_OK;
}
