/*
 * lt_http_upstream_relay.c: the response body's way to the client, once the
 * header was sent: the buffered relay through lt_event_pipe (proxy_buffering on),
 * the unbuffered one (off, and X-Accel-Buffering: no), and the two-way tunnel
 * after "101 Switching Protocols". lt_http_upstream_send_response() picks one.
 */

#include "lt_http.h"
#include "lt_http_upstream_int.h"

static void lt_http_upstream_upgrade(lt_http_request_t *r, lt_http_upstream_t *u);
static void lt_http_upstream_upgraded_first_downstream(lt_http_request_t *r);
static void lt_http_upstream_upgraded_read_downstream(lt_http_request_t *r);
static void lt_http_upstream_upgraded_write_downstream(lt_http_request_t *r);
static void lt_http_upstream_upgraded_read_upstream(lt_http_request_t *r,
    lt_http_upstream_t *u);
static void lt_http_upstream_upgraded_write_upstream(lt_http_request_t *r,
    lt_http_upstream_t *u);
static void lt_http_upstream_process_upgraded(lt_http_request_t *r, unsigned from_upstream,
    unsigned do_write);
static void lt_http_upstream_process_non_buffered_downstream(lt_http_request_t *r);
static void lt_http_upstream_process_non_buffered_upstream(lt_http_request_t *r,
    lt_http_upstream_t *u);
static void lt_http_upstream_process_non_buffered_request(lt_http_request_t *r,
    unsigned do_write);
static void lt_http_upstream_process_downstream(lt_http_request_t *r);
static void lt_http_upstream_process_upstream(lt_http_request_t *r, lt_http_upstream_t *u);
static void lt_http_upstream_process_request(lt_http_request_t *r, lt_http_upstream_t *u);


static int
lt_http_upstream_pipe_output_filter(void *data, lt_chain_t *chain)
{
    int                 rc;
    lt_http_request_t  *r = data;

    rc = lt_http_output_filter(r, chain);

    if (rc == LT_ERROR) {
        return LT_ERROR;
    }

    return (r->buffered || r->connection->buffered) ? LT_AGAIN : LT_OK;
}


void
lt_http_upstream_send_response(lt_http_request_t *r, lt_http_upstream_t *u)
{
    int                       rc;
    ssize_t                   n;
    lt_connection_t          *c;
    lt_event_pipe_t          *p;
    lt_http_core_loc_conf_t  *clcf;

    if (u->headers_in.x_accel_buffering_off) {
        u->buffering = 0;

    } else if (u->headers_in.x_accel_buffering_on) {
        u->buffering = 1;
    }

    if (u->conf->force_ranges) {
        /* proxy_force_ranges: byte ranges of the response whatever the
         * upstream said (one range at a time, as nginx) */
        r->allow_ranges = 1;
        r->single_range = 1;
    }

    rc = lt_http_send_header(r);

    if (rc == LT_ERROR || rc > LT_OK) {
        lt_http_upstream_finalize_request(r, u, rc);
        return;
    }

    u->header_sent = 1;

    if (u->upgrade) {
        lt_http_upstream_upgrade(r, u);
        return;
    }

    c = r->connection;

    if (r->header_only) {
        lt_http_upstream_finalize_request(r, u, rc);
        return;
    }

    clcf = lt_http_get_module_loc_conf(r, lt_http_core_module);

    if (!u->buffering) {

        if (u->input_filter_init && u->input_filter_init(u->input_filter_ctx) == LT_ERROR) {
            lt_http_upstream_finalize_request(r, u, LT_ERROR);
            return;
        }

        u->read_event_handler = lt_http_upstream_process_non_buffered_upstream;
        r->write_event_handler = lt_http_upstream_process_non_buffered_downstream;

        r->limit_rate = 0;
        r->limit_rate_set = 1;

        if (clcf->tcp_nodelay && c->tcp_nodelay == LT_TCP_NODELAY_UNSET
            && lt_tcp_nodelay(c) != LT_OK)
        {
            lt_http_upstream_finalize_request(r, u, LT_ERROR);
            return;
        }

        n = u->buffer.last - u->buffer.pos;

        if (u->buffer.pos != u->buffer.start) {
            /* the response header stays where it is ($upstream_http_*, the
             * log): the body gets a buffer of its own */
            u_char  *start;

            start = lt_palloc(r->pool, u->conf->buffer_size);
            if (start == NULL) {
                lt_http_upstream_finalize_request(r, u, LT_ERROR);
                return;
            }

            memcpy(start, u->buffer.pos, n);
            u->buffer.start = start;
            u->buffer.pos = start;
            u->buffer.last = start + n;
            u->buffer.end = start + u->conf->buffer_size;
        }

        if (n) {
            u->buffer.last = u->buffer.pos;

            u->state->response_length += n;

            if (u->input_filter(u->input_filter_ctx, n) == LT_ERROR) {
                lt_http_upstream_finalize_request(r, u, LT_ERROR);
                return;
            }

        } else {
            u->buffer.pos = u->buffer.start;
            u->buffer.last = u->buffer.start;
        }

        lt_http_upstream_process_non_buffered_request(r, 1);

        return;
    }

    /* buffered: the pipe reads as fast as the upstream sends */

    p = u->pipe;

    if (p == NULL) {
        p = lt_pcalloc(r->pool, sizeof(lt_event_pipe_t));
        if (p == NULL) {
            lt_http_upstream_finalize_request(r, u, LT_ERROR);
            return;
        }

        u->pipe = p;
    }

    p->output_filter = lt_http_upstream_pipe_output_filter;
    p->output_ctx = r;
    p->tag = u->output_tag;
    p->bufs = u->conf->bufs;
    p->busy_size = (ssize_t) u->conf->busy_buffers_size;
    p->upstream = u->peer.connection;
    p->downstream = c;
    p->pool = r->pool;
    p->log = c->log;
    p->limit_rate = u->conf->limit_rate;
    p->start_sec = lt_time();

    p->temp_path = u->conf->temp_path;
    p->temp_file_warn = "an upstream response is buffered to a temporary file";
    p->max_temp_file_size = (off_t) u->conf->max_temp_file_size;
    p->temp_file_write_size = (ssize_t) u->conf->temp_file_write_size;

    p->preread_bufs = lt_alloc_chain_link(r->pool);
    if (p->preread_bufs == NULL) {
        lt_http_upstream_finalize_request(r, u, LT_ERROR);
        return;
    }

    p->preread_bufs->buf = &u->buffer;
    p->preread_bufs->next = NULL;
    u->buffer.recycled = 1;

    p->preread_size = u->buffer.last - u->buffer.pos;

    p->read_timeout = u->conf->read_timeout;
    p->send_timeout = clcf->send_timeout;

    p->length = -1;

    if (p->input_ctx == NULL) {
        p->input_ctx = r;
    }

    /* the module sets the pipe's input filter and length here */
    if (u->input_filter_init && u->input_filter_init(u->input_filter_ctx) != LT_OK) {
        lt_http_upstream_finalize_request(r, u, LT_ERROR);
        return;
    }

    u->read_event_handler = lt_http_upstream_process_upstream;
    r->write_event_handler = lt_http_upstream_process_downstream;

    lt_http_upstream_process_upstream(r, u);
}


/* the two-way tunnel after "101 Switching Protocols" */

static void
lt_http_upstream_upgrade(lt_http_request_t *r, lt_http_upstream_t *u)
{
    lt_connection_t          *c;
    lt_http_core_loc_conf_t  *clcf;

    c = r->connection;
    clcf = lt_http_get_module_loc_conf(r, lt_http_core_module);

    /* the client is not to be kept after this */
    r->keepalive = 0;
    c->log->action = "proxying upgraded connection";

    u->read_event_handler = lt_http_upstream_upgraded_read_upstream;
    u->write_event_handler = lt_http_upstream_upgraded_write_upstream;
    r->read_event_handler = lt_http_upstream_upgraded_read_downstream;
    r->write_event_handler = lt_http_upstream_upgraded_write_downstream;

    if (clcf->tcp_nodelay) {
        if (c->tcp_nodelay == LT_TCP_NODELAY_UNSET && lt_tcp_nodelay(c) != LT_OK) {
            lt_http_upstream_finalize_request(r, u, LT_ERROR);
            return;
        }

        if (u->peer.connection->tcp_nodelay == LT_TCP_NODELAY_UNSET
            && u->peer.connection->sockaddr == NULL
            && lt_tcp_nodelay(u->peer.connection) != LT_OK)
        {
            lt_http_upstream_finalize_request(r, u, LT_ERROR);
            return;
        }
    }

    /* the header went into the output chain: push it out now */
    if (lt_http_output_filter(r, NULL) == LT_ERROR) {
        lt_http_upstream_finalize_request(r, u, LT_ERROR);
        return;
    }

    u->from_client.start = lt_palloc(r->pool, u->conf->buffer_size);
    if (u->from_client.start == NULL) {
        lt_http_upstream_finalize_request(r, u, LT_ERROR);
        return;
    }

    u->from_client.pos = u->from_client.start;
    u->from_client.last = u->from_client.start;
    u->from_client.end = u->from_client.start + u->conf->buffer_size;
    u->from_client.temporary = 1;

    if (r->header_in->pos < r->header_in->last) {
        /* the client did not wait for the 101 */
        size_t  n = lt_min((size_t) (r->header_in->last - r->header_in->pos),
                           u->conf->buffer_size);

        u->from_client.last = lt_cpymem(u->from_client.last, r->header_in->pos, n);
        r->header_in->pos += n;
    }

    if (u->buffer.pos == u->buffer.last) {
        u->buffer.pos = u->buffer.start;
        u->buffer.last = u->buffer.start;
    }

    /* both directions start now, but a call may finalize the request (the
     * upstream sent its last bytes and closed): the client's side goes first
     * through a posted event, which closing the connection cancels */
    r->read_event_handler = lt_http_upstream_upgraded_first_downstream;
    lt_post_event(&c->read, &lt_posted_events);

    lt_http_upstream_process_upgraded(r, 1, 1);
}


/* lt_http_upstream_upgraded_first_downstream: the first run of the client's
 * side: what the client sent before the 101 goes out too */
static void
lt_http_upstream_upgraded_first_downstream(lt_http_request_t *r)
{
    r->read_event_handler = lt_http_upstream_upgraded_read_downstream;

    lt_http_upstream_process_upgraded(r, 0, 1);
}


static void
lt_http_upstream_upgraded_read_downstream(lt_http_request_t *r)
{
    lt_http_upstream_process_upgraded(r, 0, 0);
}


static void
lt_http_upstream_upgraded_write_downstream(lt_http_request_t *r)
{
    lt_http_upstream_process_upgraded(r, 1, 1);
}


static void
lt_http_upstream_upgraded_read_upstream(lt_http_request_t *r, lt_http_upstream_t *u)
{
    lt_http_upstream_process_upgraded(r, 1, 0);
}


static void
lt_http_upstream_upgraded_write_upstream(lt_http_request_t *r, lt_http_upstream_t *u)
{
    lt_http_upstream_process_upgraded(r, 0, 1);
}


static void
lt_http_upstream_process_upgraded(lt_http_request_t *r, unsigned from_upstream,
    unsigned do_write)
{
    size_t                    size;
    ssize_t                   n;
    lt_buf_t                 *b;
    lt_connection_t          *c, *downstream, *upstream, *dst, *src;
    lt_http_upstream_t       *u;
    lt_http_core_loc_conf_t  *clcf;

    c = r->connection;
    u = r->upstream;

    if (u->cleanup == NULL || u->peer.connection == NULL) {
        return;
    }

    downstream = c;
    upstream = u->peer.connection;

    if (downstream->write.timedout) {
        c->timedout = 1;
        lt_log_error(LT_LOG_INFO, c->log, ETIMEDOUT, "client timed out");
        lt_http_upstream_finalize_request(r, u, LT_HTTP_REQUEST_TIME_OUT);
        return;
    }

    if (upstream->read.timedout || upstream->write.timedout) {
        lt_log_error(LT_LOG_ERR, c->log, ETIMEDOUT, "upstream timed out");
        lt_http_upstream_finalize_request(r, u, LT_HTTP_GATEWAY_TIME_OUT);
        return;
    }

    if (from_upstream) {
        src = upstream;
        dst = downstream;
        b = &u->buffer;

    } else {
        src = downstream;
        dst = upstream;
        b = &u->from_client;
    }

    for ( ;; ) {

        if (do_write) {
            size = b->last - b->pos;

            if (size && dst->write.ready) {
                n = lt_send(dst, b->pos, size);

                if (n == LT_ERROR) {
                    lt_http_upstream_finalize_request(r, u, LT_ERROR);
                    return;
                }

                if (n > 0) {
                    b->pos += n;

                    if (from_upstream) {
                        u->state->response_length += n;
                    }

                    if (b->pos == b->last) {
                        b->pos = b->start;
                        b->last = b->start;
                    }
                }
            }
        }

        size = b->end - b->last;

        if (size && src->read.ready) {
            n = lt_recv(src, b->last, size);

            if (n == LT_AGAIN || n == 0) {
                break;
            }

            if (n > 0) {
                do_write = 1;
                b->last += n;

                if (from_upstream) {
                    u->state->bytes_received += n;
                }

                continue;
            }

            if (n == LT_ERROR) {
                src->read.eof = 1;
            }
        }

        break;
    }

    if ((upstream->read.eof && u->buffer.pos == u->buffer.last)
        || (downstream->read.eof && u->from_client.pos == u->from_client.last)
        || (downstream->read.eof && upstream->read.eof))
    {
        lt_http_upstream_finalize_request(r, u, 0);
        return;
    }

    clcf = lt_http_get_module_loc_conf(r, lt_http_core_module);

    if (!upstream->write.ready && upstream->read.eof == 0
        && u->from_client.pos < u->from_client.last)
    {
        lt_event_add_timer(&upstream->write, u->conf->send_timeout);

    } else if (upstream->write.timer_set) {
        lt_event_del_timer(&upstream->write);
    }

    if (!upstream->read.ready) {
        lt_event_add_timer(&upstream->read, u->conf->read_timeout);

    } else if (upstream->read.timer_set) {
        lt_event_del_timer(&upstream->read);
    }

    if (!downstream->write.ready && u->buffer.pos < u->buffer.last) {
        lt_event_add_timer(&downstream->write, clcf->send_timeout);

    } else if (downstream->write.timer_set) {
        lt_event_del_timer(&downstream->write);
    }
}


/* the unbuffered relay */

static void
lt_http_upstream_process_non_buffered_downstream(lt_http_request_t *r)
{
    lt_event_t          *wev;
    lt_connection_t     *c;
    lt_http_upstream_t  *u;

    c = r->connection;
    u = r->upstream;
    wev = &c->write;

    c->log->action = "sending to client";

    if (wev->timedout) {
        c->timedout = 1;
        lt_log_error(LT_LOG_INFO, c->log, ETIMEDOUT, "client timed out");
        lt_http_upstream_finalize_request(r, u, LT_HTTP_REQUEST_TIME_OUT);
        return;
    }

    lt_http_upstream_process_non_buffered_request(r, 1);
}


static void
lt_http_upstream_process_non_buffered_upstream(lt_http_request_t *r, lt_http_upstream_t *u)
{
    lt_connection_t  *c;

    c = u->peer.connection;

    c->log->action = "reading upstream";

    if (c->read.timedout) {
        lt_log_error(LT_LOG_ERR, c->log, ETIMEDOUT, "upstream timed out");
        lt_http_upstream_finalize_request(r, u, LT_HTTP_GATEWAY_TIME_OUT);
        return;
    }

    lt_http_upstream_process_non_buffered_request(r, 0);
}


static void
lt_http_upstream_process_non_buffered_request(lt_http_request_t *r, unsigned do_write)
{
    int                       rc;
    size_t                    size;
    ssize_t                   n;
    lt_buf_t                 *b;
    lt_connection_t          *downstream, *upstream;
    lt_http_upstream_t       *u;
    lt_http_core_loc_conf_t  *clcf;

    u = r->upstream;
    downstream = r->connection;
    upstream = u->peer.connection;

    b = &u->buffer;

    do_write = do_write || u->length == 0;

    for ( ;; ) {

        if (do_write) {

            if (u->out_bufs || u->busy_bufs || downstream->buffered) {
                rc = lt_http_output_filter(r, u->out_bufs);

                if (rc == LT_ERROR) {
                    lt_http_upstream_finalize_request(r, u, LT_ERROR);
                    return;
                }

                lt_chain_update_chains(r->pool, &u->free_bufs, &u->busy_bufs, &u->out_bufs,
                                       u->output_tag);
            }

            if (u->busy_bufs == NULL) {

                if (u->length == 0 || (upstream->read.eof && u->length == -1)) {
                    lt_http_upstream_finalize_request(r, u, 0);
                    return;
                }

                if (upstream->read.eof) {
                    lt_log_error(LT_LOG_ERR, upstream->log, 0,
                                 "upstream prematurely closed connection");
                    lt_http_upstream_finalize_request(r, u, LT_HTTP_BAD_GATEWAY);
                    return;
                }

                if (upstream->read.error || u->error) {
                    lt_http_upstream_finalize_request(r, u, LT_HTTP_BAD_GATEWAY);
                    return;
                }

                b->pos = b->start;
                b->last = b->start;
            }
        }

        size = b->end - b->last;

        if (size && upstream->read.ready) {

            n = lt_recv(upstream, b->last, size);

            if (n == LT_AGAIN) {
                break;
            }

            if (n > 0) {
                u->state->bytes_received += n;
                u->state->response_length += n;

                if (u->input_filter(u->input_filter_ctx, n) == LT_ERROR) {
                    lt_http_upstream_finalize_request(r, u, LT_ERROR);
                    return;
                }
            }

            do_write = 1;

            continue;
        }

        break;
    }

    clcf = lt_http_get_module_loc_conf(r, lt_http_core_module);

    if (downstream->data == r) {
        if (downstream->buffered || u->busy_bufs) {
            if (!downstream->write.delayed) {
                lt_event_add_timer(&downstream->write, clcf->send_timeout);
            }

        } else if (downstream->write.timer_set) {
            lt_event_del_timer(&downstream->write);
        }
    }

    if (!upstream->read.ready && !upstream->read.eof) {
        lt_event_add_timer(&upstream->read, u->conf->read_timeout);

    } else if (upstream->read.timer_set) {
        lt_event_del_timer(&upstream->read);
    }
}


int
lt_http_upstream_non_buffered_filter(void *data, ssize_t bytes)
{
    lt_buf_t            *b;
    lt_chain_t          *cl, **ll;
    lt_http_request_t   *r = data;
    lt_http_upstream_t  *u;

    u = r->upstream;

    if (u->length == 0) {
        lt_log_error(LT_LOG_WARN, r->connection->log, 0,
                     "upstream sent more data than specified in \"Content-Length\" header");
        return LT_OK;
    }

    for (cl = u->out_bufs, ll = &u->out_bufs; cl; cl = cl->next) {
        ll = &cl->next;
    }

    cl = lt_chain_get_free_buf(r->pool, &u->free_bufs);
    if (cl == NULL) {
        return LT_ERROR;
    }

    *ll = cl;

    b = cl->buf;
    lt_memzero(b, sizeof(lt_buf_t));

    b->flush = 1;
    b->memory = 1;
    b->tag = u->output_tag;

    b->pos = u->buffer.last;
    b->start = b->pos;
    u->buffer.last += bytes;
    b->last = u->buffer.last;

    if (u->length == -1) {
        return LT_OK;
    }

    if (bytes > u->length) {
        lt_log_error(LT_LOG_WARN, r->connection->log, 0,
                     "upstream sent more data than specified in \"Content-Length\" header");

        b->last = b->pos + u->length;
        u->length = 0;

        return LT_OK;
    }

    u->length -= bytes;

    return LT_OK;
}


/* the buffered relay (lt_event_pipe) */

static void
lt_http_upstream_process_downstream(lt_http_request_t *r)
{
    lt_event_t          *wev;
    lt_connection_t     *c;
    lt_event_pipe_t     *p;
    lt_http_upstream_t  *u;

    c = r->connection;
    u = r->upstream;
    p = u->pipe;
    wev = &c->write;

    c->log->action = "sending to client";

    if (wev->timedout) {
        p->downstream_error = 1;
        c->timedout = 1;
        lt_log_error(LT_LOG_INFO, c->log, ETIMEDOUT, "client timed out");

    } else if (lt_event_pipe(p, 1) == LT_ABORT) {
        lt_http_upstream_finalize_request(r, u, LT_ERROR);
        return;
    }

    lt_http_upstream_process_request(r, u);
}


static void
lt_http_upstream_process_upstream(lt_http_request_t *r, lt_http_upstream_t *u)
{
    lt_connection_t  *upstream;
    lt_event_pipe_t  *p;

    upstream = u->peer.connection;
    p = u->pipe;

    r->connection->log->action = "reading upstream";

    if (upstream->read.timedout) {
        p->upstream_error = 1;
        lt_log_error(LT_LOG_ERR, upstream->log, ETIMEDOUT, "upstream timed out");

    } else if (lt_event_pipe(p, 0) == LT_ABORT) {
        lt_http_upstream_finalize_request(r, u, LT_ERROR);
        return;
    }

    lt_http_upstream_process_request(r, u);
}


static void
lt_http_upstream_process_request(lt_http_request_t *r, lt_http_upstream_t *u)
{
    lt_event_pipe_t  *p;

    p = u->pipe;

    if (p->downstream_error) {
        lt_http_upstream_finalize_request(r, u, r->connection->timedout
                                                ? LT_HTTP_REQUEST_TIME_OUT : LT_ERROR);
        return;
    }

    /* the pipe hands everything over once the upstream ended: how it ended
     * decides between a complete response and a cut one (502: the client's
     * connection is closed, no last chunk) */
    if (p->upstream_done || p->upstream_eof || p->upstream_error) {
        if (p->upstream_done || (p->upstream_eof && p->length == -1)) {
            lt_http_upstream_finalize_request(r, u, 0);
            return;
        }

        if (p->upstream_eof) {
            lt_log_error(LT_LOG_ERR, r->connection->log, 0,
                         "upstream prematurely closed connection");
        }

        lt_http_upstream_finalize_request(r, u, LT_HTTP_BAD_GATEWAY);
        return;
    }
}
