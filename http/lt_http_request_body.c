/*
 * lt_http_request_body.c: reading a request body (Content-Length or chunked)
 * into memory, spilling to a temp file past client_body_buffer_size; or
 * reading and throwing it away (discard) so the connection can be kept.
 * Expect: 100-continue is answered before the first body read.
 *
 * Chunked bodies are decoded in place: raw bytes are read after the decoded
 * data in the same buffer, and each chunk's payload is moved down onto the
 * decoded end, so the decoded body is contiguous and never larger than what
 * was read.
 */

#include "lt_http.h"

/* reading state beyond lt_http_request_body_t */
typedef struct {
    u_char            *raw_pos;     /* unparsed bytes, after buf->last */
    u_char            *raw_last;
    unsigned           trailers:1;
    unsigned           done:1;
    lt_http_parse_t    trailer_parse;
} lt_http_body_ctx_t;

static void lt_http_read_client_request_body_handler(lt_http_request_t *r);
static int lt_http_do_read_client_request_body(lt_http_request_t *r);
static int lt_http_do_read_unbuffered(lt_http_request_t *r, unsigned first);
static int lt_http_body_done(lt_http_request_t *r, lt_http_request_body_t *rb,
    lt_http_body_ctx_t *ctx);
static int lt_http_read_discarded_request_body(lt_http_request_t *r);
static int lt_http_body_ctx(lt_http_request_t *r, lt_http_body_ctx_t **ctx);
static int lt_http_discard_chunked(lt_http_request_t *r, lt_buf_t *bp);

static lt_module_t  lt_http_request_body_tag;


/* lt_http_test_expect: "Expect: 100-continue" gets its interim response once */
static int
lt_http_test_expect(lt_http_request_t *r)
{
    ssize_t          n;
    lt_table_elt_t  *expect;

    if (r->expect_tested || r->headers_in.expect == NULL
        || r->http_version < LT_HTTP_VERSION_11)
    {
        return LT_OK;
    }

    r->expect_tested = 1;

    expect = r->headers_in.expect;

    if (expect->value.len != sizeof("100-continue") - 1
        || lt_strncasecmp(expect->value.data, (u_char *) "100-continue",
                          sizeof("100-continue") - 1) != 0)
    {
        return LT_OK;
    }

    n = lt_send(r->connection, (u_char *) "HTTP/1.1 100 Continue" CRLF CRLF,
                sizeof("HTTP/1.1 100 Continue" CRLF CRLF) - 1);

    if (n == sizeof("HTTP/1.1 100 Continue" CRLF CRLF) - 1) {
        return LT_OK;
    }

    /* such a small write goes out whole or the connection is broken */
    r->connection->error = 1;

    return LT_ERROR;
}


int
lt_http_send_continue(lt_http_request_t *r)
{
    return lt_http_test_expect(r);
}


/* lt_http_body_temp_file: a new temp file in client_body_temp_path */
static int
lt_http_body_temp_file(lt_http_request_t *r, lt_http_request_body_t *rb)
{
    lt_file_t                *tf;
    lt_http_core_loc_conf_t  *clcf;

    clcf = lt_http_get_module_loc_conf(r, lt_http_core_module);

    tf = lt_pcalloc(r->pool, sizeof(lt_file_t));
    if (tf == NULL) {
        return LT_ERROR;
    }

    tf->log = r->connection->log;

    if (lt_create_temp_file(tf, clcf->client_body_temp_path, r->pool,
                            r->request_body_in_persistent_file,
                            r->request_body_in_clean_file,
                            r->request_body_file_group_access)
        != LT_OK)
    {
        return LT_ERROR;
    }

    rb->temp_file = tf;

    /* nginx's line, which people tune client_body_buffer_size by */
    lt_log_error(LT_LOG_WARN, r->connection->log, 0,
                 "a client request body is buffered to a temporary file %s",
                 tf->name.data);

    return LT_OK;
}


/* lt_http_body_flush: writes the decoded data of rb->buf to the temp file */
static int
lt_http_body_flush(lt_http_request_t *r, lt_http_request_body_t *rb, lt_http_body_ctx_t *ctx)
{
    size_t  n, raw;

    if (rb->temp_file == NULL && lt_http_body_temp_file(r, rb) != LT_OK) {
        return LT_ERROR;
    }

    n = rb->buf->last - rb->buf->start;

    if (n && lt_write_file(rb->temp_file, rb->buf->start, n, rb->temp_file->offset) == LT_ERROR) {
        return LT_ERROR;
    }

    /* the raw remainder moves to the start */
    raw = ctx->raw_last - ctx->raw_pos;
    memmove(rb->buf->start, ctx->raw_pos, raw);

    rb->buf->pos = rb->buf->start;
    rb->buf->last = rb->buf->start;
    ctx->raw_pos = rb->buf->start;
    ctx->raw_last = rb->buf->start + raw;

    return LT_OK;
}


/* lt_http_body_decode: moves what the raw bytes hold of the body onto buf->last;
 * LT_OK (more needed), LT_DONE (complete), or an HTTP error */
static int
lt_http_body_decode(lt_http_request_t *r, lt_http_request_body_t *rb, lt_http_body_ctx_t *ctx)
{
    int                       rc;
    size_t                    size;
    lt_buf_t                  tb;
    lt_http_core_loc_conf_t  *clcf;

    if (rb->chunked == NULL) {
        size = ctx->raw_last - ctx->raw_pos;
        if ((off_t) size > rb->rest) {
            size = (size_t) rb->rest;
        }

        rb->buf->last += size;
        ctx->raw_pos += size;
        rb->rest -= size;
        rb->received += size;

        return rb->rest == 0 ? LT_DONE : LT_OK;
    }

    lt_memzero(&tb, sizeof(lt_buf_t));
    tb.pos = ctx->raw_pos;
    tb.last = ctx->raw_last;

    clcf = lt_http_get_module_loc_conf(r, lt_http_core_module);

    for ( ;; ) {
        if (ctx->trailers) {
            rc = lt_http_parse_header_line(&ctx->trailer_parse, &tb, 1);

            if (rc == LT_HTTP_PARSE_HEADER_DONE) {
                ctx->raw_pos = tb.pos;
                return LT_DONE;
            }

            if (rc == LT_OK) {
                continue;
            }

            if (rc == LT_AGAIN) {
                break;
            }

            lt_log_error(LT_LOG_INFO, r->connection->log, 0,
                         "client sent invalid trailer in a chunked body");
            return LT_HTTP_BAD_REQUEST;
        }

        rc = lt_http_parse_chunked(rb->chunked, &tb);

        if (rc == LT_HTTP_PARSE_CHUNK_DATA) {
            if (clcf->client_max_body_size
                && clcf->client_max_body_size - rb->received < rb->chunked->size)
            {
                lt_log_error(LT_LOG_ERR, r->connection->log, 0,
                             "client intended to send too large chunked body: %lld+%lld bytes",
                             (long long) rb->received, (long long) rb->chunked->size);
                return LT_HTTP_REQUEST_ENTITY_TOO_LARGE;
            }

            size = tb.last - tb.pos;
            if ((off_t) size > rb->chunked->size) {
                size = (size_t) rb->chunked->size;
            }

            memmove(rb->buf->last, tb.pos, size);
            rb->buf->last += size;
            tb.pos += size;
            rb->chunked->size -= size;
            rb->chunked->length -= size;
            rb->received += size;

            if (tb.pos == tb.last) {
                break;
            }

            continue;
        }

        if (rc == LT_HTTP_PARSE_CHUNK_LAST) {
            ctx->trailers = 1;
            lt_http_parse_init(&ctx->trailer_parse);
            continue;
        }

        if (rc == LT_AGAIN) {
            break;
        }

        lt_log_error(LT_LOG_INFO, r->connection->log, 0, "client sent invalid chunked body");
        return LT_HTTP_BAD_REQUEST;
    }

    ctx->raw_pos = tb.pos;

    return LT_OK;
}


int
lt_http_read_client_request_body(lt_http_request_t *r,
    lt_http_client_body_handler_pt post_handler)
{
    int                       rc;
    size_t                    preread, size;
    lt_http_body_ctx_t       *ctx;
    lt_http_request_body_t   *rb;
    lt_http_core_loc_conf_t  *clcf;

    r->main->count++;

    if (r != r->main || r->request_body || r->discard_body) {
        post_handler(r);
        return LT_OK;
    }

    if (lt_http_test_expect(r) != LT_OK) {
        rc = LT_HTTP_INTERNAL_SERVER_ERROR;
        goto done;
    }

    rb = lt_pcalloc(r->pool, sizeof(lt_http_request_body_t));
    if (rb == NULL) {
        rc = LT_HTTP_INTERNAL_SERVER_ERROR;
        goto done;
    }

    rb->rest = -1;
    rb->post_handler = post_handler;
    r->request_body = rb;

    if (r->headers_in.content_length_n <= 0 && !r->headers_in.chunked) {
        post_handler(r);
        return LT_OK;
    }

    if (r->headers_in.chunked) {
        rb->chunked = lt_pcalloc(r->pool, sizeof(lt_http_chunked_t));
        if (rb->chunked == NULL) {
            rc = LT_HTTP_INTERNAL_SERVER_ERROR;
            goto done;
        }

    } else {
        rb->rest = r->headers_in.content_length_n;
    }

    clcf = lt_http_get_module_loc_conf(r, lt_http_core_module);

    size = clcf->client_body_buffer_size;

    if (rb->chunked == NULL && rb->rest < (off_t) size) {
        /* a small body: a buffer just its size */
        size = (size_t) rb->rest;
    }

    rb->buf = lt_create_temp_buf(r->pool, size ? size : 1);
    if (rb->buf == NULL || lt_http_body_ctx(r, &ctx) != LT_OK) {
        rc = LT_HTTP_INTERNAL_SERVER_ERROR;
        goto done;
    }

    rb->buf->tag = &lt_http_request_body_tag;

    /* the body bytes read together with the headers */

    preread = r->header_in->last - r->header_in->pos;

    if (preread) {
        r->request_length += preread;
    }

    r->write_event_handler = lt_http_request_empty_handler;
    r->reading_body = 1;

    if (r->request_body_no_buffering) {
        /* the caller takes the body as it comes (proxy_request_buffering off):
         * what came with the header now, the rest by
         * lt_http_read_unbuffered_request_body() from its own read handler */
        r->read_event_handler = lt_http_block_reading;

        rc = lt_http_do_read_unbuffered(r, 1);

        if (rc == LT_DONE) {
            /* all of it came with the header: buffered after all, as nginx
             * does ($request_body, client_body_in_file_only) */
            r->request_body_no_buffering = 0;
            rc = lt_http_body_done(r, rb, rb->ctx);
            goto done;
        }

        if (rc < LT_HTTP_SPECIAL_RESPONSE) {
            post_handler(r);
            return LT_OK;
        }

        goto done;
    }

    r->read_event_handler = lt_http_read_client_request_body_handler;

    rc = lt_http_do_read_client_request_body(r);

done:

    if (rc >= LT_HTTP_SPECIAL_RESPONSE) {
        r->main->count--;
    }

    return rc == LT_AGAIN ? LT_OK : rc;
}


static int
lt_http_body_ctx(lt_http_request_t *r, lt_http_body_ctx_t **ctxp)
{
    lt_http_body_ctx_t  *ctx;

    ctx = lt_pcalloc(r->pool, sizeof(lt_http_body_ctx_t));
    if (ctx == NULL) {
        return LT_ERROR;
    }

    ctx->raw_pos = r->request_body->buf->start;
    ctx->raw_last = r->request_body->buf->start;

    r->request_body->ctx = ctx;

    *ctxp = ctx;

    return LT_OK;
}


/* lt_http_body_done: the body is complete: its chain, and the post handler */
static int
lt_http_body_done(lt_http_request_t *r, lt_http_request_body_t *rb, lt_http_body_ctx_t *ctx)
{
    lt_buf_t    *b;
    lt_chain_t  *cl;

    if (rb->temp_file || r->request_body_in_file_only) {
        if (lt_http_body_flush(r, rb, ctx) != LT_OK) {
            return LT_HTTP_INTERNAL_SERVER_ERROR;
        }

        b = lt_calloc_buf(r->pool);
        if (b == NULL) {
            return LT_HTTP_INTERNAL_SERVER_ERROR;
        }

        b->in_file = 1;
        b->file_pos = 0;
        b->file_last = rb->temp_file->offset;
        b->file = rb->temp_file;

    } else {
        b = rb->buf;
    }

    b->last_buf = 1;

    cl = lt_alloc_chain_link(r->pool);
    if (cl == NULL) {
        return LT_HTTP_INTERNAL_SERVER_ERROR;
    }

    cl->buf = b;
    cl->next = NULL;

    rb->bufs = cl;
    rb->ctx = NULL;
    rb->rest = 0;

    if (r->headers_in.chunked) {
        /* the decoded length, for whoever passes the body on */
        r->headers_in.content_length_n = rb->received;
    }

    r->read_event_handler = lt_http_block_reading;
    r->reading_body = 0;

    rb->post_handler(r);

    return LT_OK;
}


/* lt_http_body_want: at most how many more raw bytes belong to the body; reads
 * are cut to it so that a pipelined request after the body stays unread */
static size_t
lt_http_body_want(lt_http_request_body_t *rb, lt_http_body_ctx_t *ctx)
{
    off_t  want;

    if (rb->chunked == NULL) {
        want = rb->rest - (ctx->raw_last - ctx->raw_pos);

    } else if (ctx->trailers) {
        /* trailer lines have no length: a byte at a time (they are rare) */
        want = 1;

    } else {
        want = rb->chunked->length ? rb->chunked->length : 3;
        want -= ctx->raw_last - ctx->raw_pos;
    }

    return want > 0 ? (size_t) want : 1;
}


static int
lt_http_do_read_client_request_body(lt_http_request_t *r)
{
    int                       rc;
    size_t                    size, take;
    ssize_t                   n;
    lt_connection_t          *c;
    lt_http_body_ctx_t       *ctx;
    lt_http_request_body_t   *rb;
    lt_http_core_loc_conf_t  *clcf;

    c = r->connection;
    rb = r->request_body;
    ctx = rb->ctx;

    for ( ;; ) {

        if (ctx->raw_last == rb->buf->end) {
            if (lt_http_body_flush(r, rb, ctx) != LT_OK) {
                return LT_HTTP_INTERNAL_SERVER_ERROR;
            }

            if (ctx->raw_last == rb->buf->end) {
                /* a chunk header longer than the whole buffer */
                lt_log_error(LT_LOG_INFO, c->log, 0, "client sent invalid chunked body");
                return LT_HTTP_BAD_REQUEST;
            }
        }

        size = lt_min((size_t) (rb->buf->end - ctx->raw_last), lt_http_body_want(rb, ctx));

        if (r->header_in->pos < r->header_in->last) {
            /* body bytes that came with the headers */
            take = lt_min(size, (size_t) (r->header_in->last - r->header_in->pos));
            memcpy(ctx->raw_last, r->header_in->pos, take);
            r->header_in->pos += take;
            n = (ssize_t) take;

        } else {
            if (!c->read.ready) {
                break;
            }

            n = lt_recv(c, ctx->raw_last, size);

            if (n == LT_AGAIN) {
                break;
            }

            if (n == 0) {
                lt_log_error(LT_LOG_INFO, c->log, 0,
                             "client prematurely closed connection");
            }

            if (n == 0 || n == LT_ERROR) {
                c->error = 1;
                return LT_HTTP_BAD_REQUEST;
            }

            r->request_length += n;
        }

        ctx->raw_last += n;

        rc = lt_http_body_decode(r, rb, ctx);

        if (rc == LT_DONE) {
            return lt_http_body_done(r, rb, ctx);
        }

        if (rc != LT_OK) {
            return rc;
        }
    }

    clcf = lt_http_get_module_loc_conf(r, lt_http_core_module);

    lt_event_add_timer(&c->read, clcf->client_body_timeout);

    return LT_AGAIN;
}


static void
lt_http_read_client_request_body_handler(lt_http_request_t *r)
{
    int  rc;

    if (r->connection->read.timedout) {
        r->connection->timedout = 1;
        lt_http_finalize_request(r, LT_HTTP_REQUEST_TIME_OUT);
        return;
    }

    rc = lt_http_do_read_client_request_body(r);

    if (rc >= LT_HTTP_SPECIAL_RESPONSE) {
        lt_http_finalize_request(r, rc);
    }
}


/*
 * Unbuffered reading (r->request_body_no_buffering): the decoded bytes of
 * rb->buf between pos and last are handed over in rb->bufs (one link, reused);
 * the taker moves buf->pos to buf->last when it has them, and must not call
 * again before it has sent them, since the buffer is then reused from its
 * start. Nothing goes to a temp file: with the buffer full of bytes not yet
 * taken, reading waits.
 */
static int
lt_http_do_read_unbuffered(lt_http_request_t *r, unsigned first)
{
    int                       rc;
    size_t                    size, take, raw;
    ssize_t                   n;
    lt_chain_t               *cl;
    lt_connection_t          *c;
    lt_http_body_ctx_t       *ctx;
    lt_http_request_body_t   *rb;
    lt_http_core_loc_conf_t  *clcf;

    c = r->connection;
    rb = r->request_body;
    ctx = rb->ctx;

    if (!r->reading_body) {
        return LT_OK;
    }

    if (rb->buf->pos == rb->buf->last && rb->buf->pos != rb->buf->start) {
        /* all taken: the raw remainder moves to the start */
        raw = ctx->raw_last - ctx->raw_pos;
        memmove(rb->buf->start, ctx->raw_pos, raw);

        rb->buf->pos = rb->buf->start;
        rb->buf->last = rb->buf->start;
        ctx->raw_pos = rb->buf->start;
        ctx->raw_last = rb->buf->start + raw;
    }

    rc = LT_AGAIN;

    for ( ;; ) {

        if (ctx->raw_last == rb->buf->end) {
            if (rb->buf->last == rb->buf->start) {
                /* a chunk header longer than the whole buffer */
                lt_log_error(LT_LOG_INFO, c->log, 0, "client sent invalid chunked body");
                return LT_HTTP_BAD_REQUEST;
            }

            /* full: the taker first */
            break;
        }

        size = lt_min((size_t) (rb->buf->end - ctx->raw_last), lt_http_body_want(rb, ctx));

        if (r->header_in->pos < r->header_in->last) {
            take = lt_min(size, (size_t) (r->header_in->last - r->header_in->pos));
            memcpy(ctx->raw_last, r->header_in->pos, take);
            r->header_in->pos += take;
            n = (ssize_t) take;

        } else {
            if (!c->read.ready) {
                break;
            }

            n = lt_recv(c, ctx->raw_last, size);

            if (n == LT_AGAIN) {
                break;
            }

            if (n == 0) {
                lt_log_error(LT_LOG_INFO, c->log, 0,
                             "client prematurely closed connection");
            }

            if (n == 0 || n == LT_ERROR) {
                c->error = 1;
                return LT_HTTP_BAD_REQUEST;
            }

            r->request_length += n;
        }

        ctx->raw_last += n;

        rc = lt_http_body_decode(r, rb, ctx);

        if (rc == LT_DONE) {
            break;
        }

        if (rc != LT_OK) {
            return rc;
        }

        rc = LT_AGAIN;
    }

    if (rc == LT_DONE) {
        if (c->read.timer_set) {
            lt_event_del_timer(&c->read);
        }

        if (first) {
            /* complete at once: the caller decides */
            return LT_DONE;
        }

        rb->buf->last_buf = 1;
        rb->rest = 0;
        r->reading_body = 0;
        r->read_event_handler = lt_http_block_reading;
    }

    if (rb->buf->pos < rb->buf->last || rc == LT_DONE) {
        cl = rb->free;

        if (cl == NULL) {
            cl = lt_alloc_chain_link(r->pool);
            if (cl == NULL) {
                return LT_HTTP_INTERNAL_SERVER_ERROR;
            }

            rb->free = cl;
        }

        cl->buf = rb->buf;
        cl->next = NULL;
        rb->bufs = cl;
    }

    if (rc == LT_DONE) {
        return LT_OK;
    }

    if (!c->read.ready) {
        clcf = lt_http_get_module_loc_conf(r, lt_http_core_module);
        lt_event_add_timer(&c->read, clcf->client_body_timeout);

    } else if (c->read.timer_set) {
        lt_event_del_timer(&c->read);
    }

    return LT_AGAIN;
}


int
lt_http_read_unbuffered_request_body(lt_http_request_t *r)
{
    if (r->connection->read.timedout) {
        r->connection->timedout = 1;
        return LT_HTTP_REQUEST_TIME_OUT;
    }

    return lt_http_do_read_unbuffered(r, 0);
}


/* discarding */

/* lt_http_discard_bytes: accounts for raw bytes at p (up to n) that belong to the
 * body, *used of them; LT_OK when the body is over, LT_AGAIN for more, or an
 * error status */
static int
lt_http_discard_bytes(lt_http_request_t *r, u_char *p, size_t n, size_t *used)
{
    int        rc;
    size_t     size;
    lt_buf_t   b;

    if (!r->headers_in.chunked) {
        size = (size_t) lt_min((off_t) n, r->headers_in.content_length_n);
        r->headers_in.content_length_n -= size;
        *used = size;
        return r->headers_in.content_length_n == 0 ? LT_OK : LT_AGAIN;
    }

    lt_memzero(&b, sizeof(lt_buf_t));
    b.pos = p;
    b.last = p + n;

    rc = lt_http_discard_chunked(r, &b);

    *used = b.pos - p;

    return rc;
}


/* lt_http_discard_chunked: walks a chunked body in b, leaving b->pos after what
 * belongs to it */
static int
lt_http_discard_chunked(lt_http_request_t *r, lt_buf_t *bp)
{
    int        rc;
    size_t     size;
    lt_buf_t   b;

    b = *bp;

    for ( ;; ) {
        if (r->request_body->last_saved) {
            /* in the trailers */
            rc = lt_http_parse_header_line(&r->parse, &b, 1);

            if (rc == LT_HTTP_PARSE_HEADER_DONE) {
                r->headers_in.content_length_n = 0;
                bp->pos = b.pos;
                return LT_OK;
            }

            if (rc == LT_OK) {
                continue;
            }

            bp->pos = b.pos;
            return rc == LT_AGAIN ? LT_AGAIN : LT_HTTP_BAD_REQUEST;
        }

        rc = lt_http_parse_chunked(r->request_body->chunked, &b);

        if (rc == LT_HTTP_PARSE_CHUNK_DATA) {
            size = (size_t) lt_min((off_t) (b.last - b.pos), r->request_body->chunked->size);
            b.pos += size;
            r->request_body->chunked->size -= size;
            r->request_body->chunked->length -= size;

            if (b.pos == b.last) {
                bp->pos = b.pos;
                return LT_AGAIN;
            }

            continue;
        }

        if (rc == LT_HTTP_PARSE_CHUNK_LAST) {
            r->request_body->last_saved = 1;
            lt_http_parse_init(&r->parse);
            continue;
        }

        bp->pos = b.pos;

        if (rc == LT_AGAIN) {
            return LT_AGAIN;
        }

        lt_log_error(LT_LOG_INFO, r->connection->log, 0, "client sent invalid chunked body");
        return LT_HTTP_BAD_REQUEST;
    }
}


int
lt_http_discard_request_body(lt_http_request_t *r)
{
    int      rc;
    size_t   size, used;

    if (r != r->main || r->discard_body || r->request_body) {
        return LT_OK;
    }

    if (lt_http_test_expect(r) != LT_OK) {
        return LT_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (r->connection->read.timer_set) {
        lt_event_del_timer(&r->connection->read);
    }

    if (r->headers_in.content_length_n <= 0 && !r->headers_in.chunked) {
        return LT_OK;
    }

    r->request_body = lt_pcalloc(r->pool, sizeof(lt_http_request_body_t));
    if (r->request_body == NULL) {
        return LT_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (r->headers_in.chunked) {
        r->request_body->chunked = lt_pcalloc(r->pool, sizeof(lt_http_chunked_t));
        if (r->request_body->chunked == NULL) {
            return LT_HTTP_INTERNAL_SERVER_ERROR;
        }
    }

    size = r->header_in->last - r->header_in->pos;

    if (size) {
        rc = lt_http_discard_bytes(r, r->header_in->pos, size, &used);

        if (rc >= LT_HTTP_SPECIAL_RESPONSE) {
            return rc;
        }

        /* what follows the body is a pipelined request: it stays */
        r->header_in->pos += used;

        if (rc == LT_OK) {
            r->lingering_close = 0;
            return LT_OK;
        }
    }

    rc = lt_http_read_discarded_request_body(r);

    if (rc == LT_OK) {
        r->lingering_close = 0;
        return LT_OK;
    }

    if (rc >= LT_HTTP_SPECIAL_RESPONSE) {
        return rc;
    }

    /* rc == LT_AGAIN */

    r->read_event_handler = lt_http_discarded_request_body_handler;
    r->count++;
    r->discard_body = 1;

    return LT_OK;
}


static int
lt_http_read_discarded_request_body(lt_http_request_t *r)
{
    int       rc;
    ssize_t   n;
    size_t    size, used;
    u_char    buffer[LT_HTTP_DISCARD_BUFFER_SIZE];

    for ( ;; ) {
        if (r->headers_in.content_length_n == 0) {
            r->read_event_handler = lt_http_block_reading;
            return LT_OK;
        }

        if (!r->connection->read.ready) {
            return LT_AGAIN;
        }

        size = LT_HTTP_DISCARD_BUFFER_SIZE;

        /* never beyond the body: a pipelined request may follow it */
        if (!r->headers_in.chunked) {
            if (r->headers_in.content_length_n < (off_t) size) {
                size = (size_t) r->headers_in.content_length_n;
            }

        } else if (r->request_body->last_saved) {
            size = 1;

        } else if (r->request_body->chunked->length > 0
                   && r->request_body->chunked->length < (off_t) size)
        {
            size = (size_t) r->request_body->chunked->length;
        }

        n = lt_recv(r->connection, buffer, size);

        if (n == LT_ERROR) {
            r->connection->error = 1;
            return LT_OK;
        }

        if (n == LT_AGAIN) {
            return LT_AGAIN;
        }

        if (n == 0) {
            return LT_OK;
        }

        rc = lt_http_discard_bytes(r, buffer, (size_t) n, &used);

        if (rc != LT_AGAIN) {
            if (rc == LT_OK) {
                r->read_event_handler = lt_http_block_reading;
            }

            return rc;
        }
    }
}


void
lt_http_discarded_request_body_handler(lt_http_request_t *r)
{
    int                       rc;
    int64_t                   timer;
    lt_event_t               *rev;
    lt_connection_t          *c;
    lt_http_core_loc_conf_t  *clcf;

    c = r->connection;
    rev = &c->read;

    if (rev->timedout) {
        c->timedout = 1;
        c->error = 1;
        lt_http_finalize_request(r, LT_ERROR);
        return;
    }

    if (r->lingering_time) {
        timer = (int64_t) r->lingering_time - (int64_t) lt_time();

        if (timer <= 0) {
            r->discard_body = 0;
            r->lingering_close = 0;
            lt_http_finalize_request(r, LT_ERROR);
            return;
        }

    } else {
        timer = 0;
    }

    rc = lt_http_read_discarded_request_body(r);

    if (rc == LT_OK) {
        r->discard_body = 0;
        r->lingering_close = 0;
        lt_http_finalize_request(r, LT_DONE);
        return;
    }

    if (rc >= LT_HTTP_SPECIAL_RESPONSE) {
        c->error = 1;
        lt_http_finalize_request(r, LT_ERROR);
        return;
    }

    /* rc == LT_AGAIN */

    if (timer) {
        clcf = lt_http_get_module_loc_conf(r, lt_http_core_module);

        timer *= 1000;

        if ((uint64_t) timer > clcf->lingering_timeout) {
            timer = (int64_t) clcf->lingering_timeout;
        }

        lt_event_add_timer(rev, (uint64_t) timer);
    }
}
