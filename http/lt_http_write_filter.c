/*
 * lt_http_write_filter.c: the last body filter. It queues what it is given
 * after what the socket did not take yet, holds small pieces back until
 * "postpone_output" bytes, a flush or the end, applies limit_rate, and writes
 * with the connection's send_chain (writev/sendfile).
 */

#include "lt_http.h"

int
lt_http_send_header(lt_http_request_t *r)
{
    if (r->header_sent) {
        lt_log_error(LT_LOG_ALERT, r->connection->log, 0, "header already sent");
        return LT_ERROR;
    }

    if (r->err_status) {
        r->headers_out.status = r->err_status;
        r->headers_out.status_line.len = 0;
    }

    return lt_http_top_header_filter(r);
}


int
lt_http_output_filter(lt_http_request_t *r, lt_chain_t *in)
{
    int               rc;
    lt_connection_t  *c;

    c = r->connection;

    rc = lt_http_top_body_filter(r, in);

    if (rc == LT_ERROR) {
        /* the connection is not usable any more */
        c->error = 1;
    }

    return rc;
}


/* lt_http_write_limit: how much limit_rate allows now (0: no limit); LT_AGAIN when
 * the write must be delayed (the timer is set) */
static int
lt_http_write_limit(lt_http_request_t *r, off_t *limit)
{
    off_t                     allowed;
    uint64_t                  delay;
    lt_str_t                  val;
    lt_connection_t          *c;
    lt_http_core_loc_conf_t  *clcf;

    c = r->connection;
    clcf = lt_http_get_module_loc_conf(r, lt_http_core_module);

    if (!r->limit_rate_set) {
        r->limit_rate_set = 1;

        if (clcf->limit_rate && lt_http_complex_value(r, clcf->limit_rate, &val) == LT_OK) {
            int64_t  n = lt_parse_size(&val);
            r->limit_rate = n > 0 ? (size_t) n : 0;
        }
    }

    if (!r->limit_rate_after_set) {
        r->limit_rate_after_set = 1;

        if (clcf->limit_rate_after
            && lt_http_complex_value(r, clcf->limit_rate_after, &val) == LT_OK)
        {
            int64_t  n = lt_parse_size(&val);
            r->limit_rate_after = n > 0 ? (size_t) n : 0;
        }
    }

    *limit = (off_t) clcf->sendfile_max_chunk;

    if (r->limit_rate == 0) {
        return LT_OK;
    }

    allowed = (off_t) r->limit_rate * (lt_time() - r->start_sec + 1)
              - (c->sent - (off_t) r->limit_rate_after);

    if (allowed <= 0) {
        c->write.delayed = 1;
        delay = (uint64_t) (-allowed * 1000 / (off_t) r->limit_rate + 1);
        lt_event_add_timer(&c->write, delay);

        c->buffered |= LT_HTTP_WRITE_BUFFERED;

        return LT_AGAIN;
    }

    if (*limit == 0 || allowed < *limit) {
        *limit = allowed;
    }

    return LT_OK;
}


int
lt_http_write_filter(lt_http_request_t *r, lt_chain_t *in)
{
    off_t                     size, sent, limit;
    unsigned                  last, flush, sync;
    lt_chain_t               *cl, *ln, **ll, *chain;
    lt_connection_t          *c;
    lt_http_core_loc_conf_t  *clcf;

    c = r->connection;

    if (c->error) {
        return LT_ERROR;
    }

    size = 0;
    flush = 0;
    sync = 0;
    last = 0;
    ll = &r->out;

    /* what is already queued */

    for (cl = r->out; cl; cl = cl->next) {
        ll = &cl->next;

        size += lt_buf_size(cl->buf);

        if (cl->buf->flush || cl->buf->recycled) {
            flush = 1;
        }

        if (cl->buf->sync) {
            sync = 1;
        }

        if (cl->buf->last_buf) {
            last = 1;
        }
    }

    /* append the new bufs */

    for (ln = in; ln; ln = ln->next) {
        cl = lt_alloc_chain_link(r->pool);
        if (cl == NULL) {
            return LT_ERROR;
        }

        cl->buf = ln->buf;
        *ll = cl;
        ll = &cl->next;

        size += lt_buf_size(cl->buf);

        if (cl->buf->flush || cl->buf->recycled) {
            flush = 1;
        }

        if (cl->buf->sync) {
            sync = 1;
        }

        if (cl->buf->last_buf) {
            last = 1;
        }
    }

    *ll = NULL;

    clcf = lt_http_get_module_loc_conf(r, lt_http_core_module);

    /* hold small pieces back until there is enough to send */

    if (!last && !flush && in && size < (off_t) clcf->postpone_output) {
        return LT_OK;
    }

    if (c->write.delayed) {
        c->buffered |= LT_HTTP_WRITE_BUFFERED;
        return LT_AGAIN;
    }

    if (size == 0 && !(c->buffered & LT_HTTP_LOWLEVEL_BUFFERED)) {
        if (last || flush || sync) {
            for (cl = r->out; cl; /* void */) {
                ln = cl;
                cl = cl->next;
                lt_free_chain_link(r->pool, ln);
            }

            r->out = NULL;
            c->buffered &= ~LT_HTTP_WRITE_BUFFERED;

            return LT_OK;
        }

        lt_log_error(LT_LOG_ALERT, c->log, 0, "the http output chain is empty");
        return LT_ERROR;
    }

    if (lt_http_write_limit(r, &limit) == LT_AGAIN) {
        return LT_AGAIN;
    }

    sent = c->sent;

    chain = lt_send_chain(c, r->out, limit);

    if (chain == LT_CHAIN_ERROR) {
        c->error = 1;
        return LT_ERROR;
    }

    if (r->limit_rate) {
        off_t     nsent = c->sent;
        uint64_t  delay;

        if (r->limit_rate_after) {
            sent -= (off_t) r->limit_rate_after;
            if (sent < 0) {
                sent = 0;
            }

            nsent -= (off_t) r->limit_rate_after;
            if (nsent < 0) {
                nsent = 0;
            }
        }

        delay = (uint64_t) ((nsent - sent) * 1000 / (off_t) r->limit_rate);

        if (delay > 0) {
            c->write.delayed = 1;
            lt_event_add_timer(&c->write, delay);
        }
    }

    if (chain && c->write.ready && !c->write.delayed) {
        /* a chunk limit stopped the write: go on in the next loop iteration */
        lt_post_event(&c->write, &lt_posted_next_events);
    }

    for (cl = r->out; cl && cl != chain; /* void */) {
        ln = cl;
        cl = cl->next;
        lt_free_chain_link(r->pool, ln);
    }

    r->out = chain;

    if (chain) {
        c->buffered |= LT_HTTP_WRITE_BUFFERED;
        return LT_AGAIN;
    }

    c->buffered &= ~LT_HTTP_WRITE_BUFFERED;

    if (c->buffered & LT_HTTP_LOWLEVEL_BUFFERED) {
        return LT_AGAIN;
    }

    return LT_OK;
}
