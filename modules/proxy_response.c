/*
 * proxy_response.c: the response side of the proxy module: the status line and
 * header of the upstream's response (parsed with http/lt_http_parse.c, lines
 * pointing into the upstream's header buffer), interim 1xx responses skipped,
 * and the input filters the upstream core relays the body with: Content-Length
 * and close-delimited bodies pass as they are, chunked bodies lose their framing
 * in place (data buffers shadow the raw ones: no copies), trailers are kept for
 * $upstream_trailer_NAME and passed on when the client asked for them.
 */

#include "lt_http.h"
#include "proxy.h"

static int lt_http_proxy_process_header(lt_http_request_t *r);
static int lt_http_proxy_copy_filter(lt_event_pipe_t *p, lt_buf_t *buf);
static int lt_http_proxy_chunked_filter(lt_event_pipe_t *p, lt_buf_t *buf);
static int lt_http_proxy_non_buffered_chunked_filter(void *data, ssize_t bytes);


int
lt_http_proxy_process_status_line(lt_http_request_t *r)
{
    int                   rc;
    lt_http_upstream_t   *u;
    lt_http_proxy_ctx_t  *ctx;

    u = r->upstream;
    ctx = lt_http_get_module_ctx(r, lt_http_proxy_module);

    if (ctx == NULL) {
        return LT_ERROR;
    }

    rc = lt_http_parse_status_line(&ctx->parse, &u->buffer);

    if (rc == LT_AGAIN) {
        return LT_AGAIN;
    }

    if (rc != LT_OK) {
        if (u->buffer.last - u->buffer.start >= 5
            && lt_strncmp(u->buffer.start, "HTTP/", 5) == 0)
        {
            /* an HTTP/1.x status line gone wrong: a bad response (nginx
             * would pass it on as HTTP/0.9) */
            lt_log_error(LT_LOG_ERR, r->connection->log, 0,
                         "upstream sent invalid status line: \"%.*s\"",
                         (int) lt_min(u->buffer.last - u->buffer.start, 64),
                         u->buffer.start);
            return LT_HTTP_UPSTREAM_INVALID_HEADER;
        }

        /* not HTTP/1.x: an HTTP/0.9 response, the whole of it is the body */
        lt_log_error(LT_LOG_ERR, r->connection->log, 0,
                     "upstream sent no valid HTTP/1.0 header");

        r->http_version = LT_HTTP_VERSION_9;
        u->headers_in.status_n = LT_HTTP_OK;
        u->headers_in.connection_close = 1;
        u->state->status = LT_HTTP_OK;
        u->buffer.pos = u->buffer.start;

        return LT_OK;
    }

    u->headers_in.status_n = ctx->parse.status;

    if (u->state->status == 0) {
        u->state->status = ctx->parse.status;
    }

    u->headers_in.status_line.data = ctx->parse.status_start;
    u->headers_in.status_line.len = ctx->parse.status_end - ctx->parse.status_start;

    if (ctx->parse.http_version < LT_HTTP_VERSION_11) {
        u->headers_in.connection_close = 1;
    }

    ctx->status_done = 1;
    lt_http_parse_init(&ctx->parse);

    u->process_header = lt_http_proxy_process_header;

    return lt_http_proxy_process_header(r);
}


/* lt_http_proxy_push_line: a parsed header (or trailer) line into list; the key
 * and value stay where they are (the buffer lives as long as the request) */
static lt_table_elt_t *
lt_http_proxy_push_line(lt_http_request_t *r, lt_list_t *list, lt_http_parse_t *parse)
{
    lt_table_elt_t  *h;

    h = lt_list_push(list);
    if (h == NULL) {
        return NULL;
    }

    h->hash = parse->header_hash;
    h->key.data = parse->header_name_start;
    h->key.len = parse->header_name_end - parse->header_name_start;
    h->value.data = parse->header_start;
    h->value.len = parse->header_end - parse->header_start;
    h->next = NULL;

    h->lowcase_key = lt_pnalloc(r->pool, h->key.len);
    if (h->lowcase_key == NULL) {
        return NULL;
    }

    if (h->key.len <= LT_HTTP_LC_HEADER_LEN) {
        memcpy(h->lowcase_key, parse->lowcase_header, h->key.len);

    } else {
        lt_strlow(h->lowcase_key, h->key.data, h->key.len);
    }

    return h;
}


/* lt_http_proxy_absent_header: an empty Server or Date line, so that with
 * proxy_pass_header the client gets none rather than lintel's own */
static int
lt_http_proxy_absent_header(lt_http_request_t *r, const char *key, size_t len,
    const char *lowcase)
{
    lt_table_elt_t  *h;

    h = lt_list_push(&r->upstream->headers_in.headers);
    if (h == NULL) {
        return LT_ERROR;
    }

    h->hash = lt_hash_key((u_char *) lowcase, len);
    h->key.data = (u_char *) key;
    h->key.len = len;
    h->value.len = 0;
    h->value.data = NULL;
    h->lowcase_key = (u_char *) lowcase;
    h->next = NULL;

    return lt_http_upstream_process_header_line(r, h);
}


/* lt_http_proxy_skip_interim: a 1xx other than 101 (100 Continue, 103 Early
 * Hints) is not the answer: it is dropped and the final response parsed from
 * what follows it (nginx 1.22 passes the 1xx on as the final status, with the
 * real response as its body). Interim responses without end fill the header
 * buffer and end as "too big header". */
static int
lt_http_proxy_skip_interim(lt_http_request_t *r, lt_http_upstream_t *u, lt_http_proxy_ctx_t *ctx)
{
    lt_log_error(LT_LOG_INFO, r->connection->log, 0, "upstream sent interim response %u",
                 u->headers_in.status_n);

    lt_memzero(&u->headers_in, sizeof(lt_http_upstream_headers_in_t));
    u->headers_in.content_length_n = -1;
    u->headers_in.last_modified_time = -1;

    if (lt_list_init(&u->headers_in.headers, r->pool, 8, sizeof(lt_table_elt_t)) != LT_OK
        || lt_list_init(&u->headers_in.trailers, r->pool, 2, sizeof(lt_table_elt_t)) != LT_OK)
    {
        return LT_ERROR;
    }

    u->state->status = 0;
    u->keepalive = 0;

    ctx->status_done = 0;
    lt_http_parse_init(&ctx->parse);

    u->process_header = lt_http_proxy_process_status_line;

    return lt_http_proxy_process_status_line(r);
}


static int
lt_http_proxy_process_header(lt_http_request_t *r)
{
    int                        rc;
    lt_table_elt_t            *h;
    lt_http_upstream_t        *u;
    lt_http_proxy_ctx_t       *ctx;

    u = r->upstream;
    ctx = lt_http_get_module_ctx(r, lt_http_proxy_module);

    for ( ;; ) {

        rc = lt_http_parse_header_line(&ctx->parse, &u->buffer, 1);

        if (rc == LT_OK) {
            h = lt_http_proxy_push_line(r, &u->headers_in.headers, &ctx->parse);
            if (h == NULL) {
                return LT_ERROR;
            }

            rc = lt_http_upstream_process_header_line(r, h);

            if (rc != LT_OK) {
                return rc;
            }

            continue;
        }

        if (rc == LT_HTTP_PARSE_HEADER_DONE) {
            break;
        }

        if (rc == LT_AGAIN) {
            return LT_AGAIN;
        }

        lt_log_error(LT_LOG_ERR, r->connection->log, 0,
                     "upstream sent invalid header: \"%.*s\"",
                     (int) (u->buffer.pos - ctx->parse.header_name_start
                            < 256 ? u->buffer.pos - ctx->parse.header_name_start : 256),
                     ctx->parse.header_name_start ? ctx->parse.header_name_start
                                                  : u->buffer.pos);

        return LT_HTTP_UPSTREAM_INVALID_HEADER;
    }

    /* the whole header is in */

    if (u->headers_in.status_n >= 100 && u->headers_in.status_n < 200
        && u->headers_in.status_n != LT_HTTP_SWITCHING_PROTOCOLS)
    {
        return lt_http_proxy_skip_interim(r, u, ctx);
    }

    if (!ctx->request_keepalive) {
        /* the request did not offer keep-alive: whatever the upstream says, its
         * connection is not reused */
        u->headers_in.connection_close = 1;
    }

    if (u->headers_in.server == NULL
        && lt_http_proxy_absent_header(r, "Server", 6, "server") != LT_OK)
    {
        return LT_ERROR;
    }

    if (u->headers_in.date == NULL
        && lt_http_proxy_absent_header(r, "Date", 4, "date") != LT_OK)
    {
        return LT_ERROR;
    }

    if (u->headers_in.chunked && u->headers_in.content_length) {
        lt_log_error(LT_LOG_ERR, r->connection->log, 0,
                     "upstream sent \"Content-Length\" and \"Transfer-Encoding\" headers "
                     "at the same time");
        return LT_HTTP_UPSTREAM_INVALID_HEADER;
    }

    if (u->headers_in.chunked) {
        u->headers_in.content_length_n = -1;
    }

    /* no body: the connection may be kept even when the body is not read */
    if (u->headers_in.status_n == LT_HTTP_NO_CONTENT
        || u->headers_in.status_n == LT_HTTP_NOT_MODIFIED
        || ctx->head
        || (!u->headers_in.chunked && u->headers_in.content_length_n == 0))
    {
        u->keepalive = !u->headers_in.connection_close;
    }

    if (u->headers_in.status_n == LT_HTTP_SWITCHING_PROTOCOLS) {
        u->keepalive = 0;

        if (r->headers_in.upgrade) {
            u->upgrade = 1;
        }
    }

    return LT_OK;
}


/* lt_http_proxy_client_wants_trailers: the client's request says it takes
 * trailers ("TE: trailers"), or proxy_pass_trailers is on */
static unsigned
lt_http_proxy_client_wants_trailers(lt_http_request_t *r, lt_http_proxy_loc_conf_t *plcf)
{
    lt_table_elt_t  *te;

    if (r->http_version < LT_HTTP_VERSION_11 || r != r->main) {
        return 0;
    }

    if (plcf->pass_trailers) {
        return 1;
    }

    te = r->headers_in.te;

    return te && lt_strlcasestrn(te->value.data, te->value.data + te->value.len,
                                 (u_char *) "trailers", sizeof("trailers") - 1) != NULL;
}


int
lt_http_proxy_input_filter_init(void *data)
{
    lt_http_request_t         *r = data;
    lt_event_pipe_t           *p;
    lt_http_upstream_t        *u;
    lt_http_proxy_ctx_t       *ctx;
    lt_http_proxy_loc_conf_t  *plcf;

    u = r->upstream;
    p = u->pipe;
    ctx = lt_http_get_module_ctx(r, lt_http_proxy_module);

    if (ctx == NULL) {
        return LT_ERROR;
    }

    if (p) {
        p->input_filter = lt_http_proxy_copy_filter;
        p->input_ctx = r;
    }

    if (u->headers_in.status_n == LT_HTTP_NO_CONTENT
        || u->headers_in.status_n == LT_HTTP_NOT_MODIFIED
        || ctx->head)
    {
        /* no body, whatever the header says */
        if (p) {
            p->length = 0;
        }

        u->length = 0;
        u->keepalive = !u->headers_in.connection_close;

    } else if (u->headers_in.chunked) {
        if (p) {
            p->input_filter = lt_http_proxy_chunked_filter;
            p->length = 3;      /* "0" LF LF at least */
        }

        u->input_filter = lt_http_proxy_non_buffered_chunked_filter;
        u->length = 1;

        plcf = lt_http_get_module_loc_conf(r, lt_http_proxy_module);
        ctx->pass_trailers = r->chunked && lt_http_proxy_client_wants_trailers(r, plcf);

    } else if (u->headers_in.content_length_n == 0) {
        if (p) {
            p->length = 0;
        }

        u->length = 0;
        u->keepalive = !u->headers_in.connection_close;

    } else {
        /* Content-Length, or the body ends when the connection does (-1) */
        if (p) {
            p->length = u->headers_in.content_length_n;
        }

        u->length = u->headers_in.content_length_n;
    }

    return LT_OK;
}


static int
lt_http_proxy_copy_filter(lt_event_pipe_t *p, lt_buf_t *buf)
{
    lt_http_request_t  *r = p->input_ctx;

    if (lt_event_pipe_copy_input_filter(p, buf) != LT_OK) {
        return LT_ERROR;
    }

    if (p->length == 0) {
        r->upstream->keepalive = !r->upstream->headers_in.connection_close;
    }

    return LT_OK;
}


int
lt_http_proxy_non_buffered_copy_filter(void *data, ssize_t bytes)
{
    lt_http_request_t   *r = data;
    lt_http_upstream_t  *u;
    unsigned             exact;

    u = r->upstream;

    exact = (u->length > 0 && bytes <= u->length);

    if (lt_http_upstream_non_buffered_filter(data, bytes) != LT_OK) {
        return LT_ERROR;
    }

    if (exact && u->length == 0) {
        u->keepalive = !u->headers_in.connection_close;
    }

    return LT_OK;
}


/* lt_http_proxy_trailers: the trailer section after the last chunk: the bytes
 * of buf are appended to a buffer of their own (proxy_buffer_size) and parsed
 * there, so that lines may span reads. LT_OK when the section is over (extra
 * bytes after it are dropped), LT_AGAIN, LT_ERROR (logged) */
static int
lt_http_proxy_trailers(lt_http_request_t *r, lt_http_proxy_ctx_t *ctx, lt_buf_t *buf)
{
    int                        rc;
    size_t                     n;
    lt_buf_t                  *tb;
    lt_list_iter_t             it;
    lt_table_elt_t            *h, *ho;
    lt_http_upstream_t        *u;
    lt_http_proxy_loc_conf_t  *plcf;

    u = r->upstream;

    if (ctx->trailers == NULL) {
        plcf = lt_http_get_module_loc_conf(r, lt_http_proxy_module);

        ctx->trailers = lt_create_temp_buf(r->pool, plcf->upstream.buffer_size);
        ctx->trailer_parse = lt_palloc(r->pool, sizeof(lt_http_parse_t));

        if (ctx->trailers == NULL || ctx->trailer_parse == NULL) {
            return LT_ERROR;
        }

        lt_http_parse_init(ctx->trailer_parse);
    }

    tb = ctx->trailers;

    n = lt_min((size_t) (buf->last - buf->pos), (size_t) (tb->end - tb->last));
    tb->last = lt_cpymem(tb->last, buf->pos, n);
    buf->pos += n;

    for ( ;; ) {
        rc = lt_http_parse_header_line(ctx->trailer_parse, tb, 1);

        if (rc == LT_OK) {
            if (lt_http_proxy_push_line(r, &u->headers_in.trailers, ctx->trailer_parse)
                == NULL)
            {
                return LT_ERROR;
            }

            continue;
        }

        if (rc == LT_HTTP_PARSE_HEADER_DONE) {
            break;
        }

        if (rc == LT_AGAIN) {
            if (tb->last == tb->end) {
                /* the body is whole: it ends without the trailers (which a
                 * recipient may drop), and the connection, whose end is not
                 * known, is not kept */
                lt_log_error(LT_LOG_ERR, r->connection->log, 0,
                             "upstream sent too big trailers, ignored");
                ctx->done = 1;
                ctx->pass_trailers = 0;
                buf->pos = buf->last;
                u->keepalive = 0;
                return LT_OK;
            }

            return LT_AGAIN;
        }

        lt_log_error(LT_LOG_ERR, r->connection->log, 0, "upstream sent invalid trailer");
        return LT_ERROR;
    }

    ctx->done = 1;

    if (tb->pos != tb->last || buf->pos != buf->last) {
        lt_log_error(LT_LOG_WARN, r->connection->log, 0, "upstream sent data after trailers");
        buf->pos = buf->last;
        u->keepalive = 0;

    } else {
        u->keepalive = !u->headers_in.connection_close;
    }

    if (!ctx->pass_trailers) {
        return LT_OK;
    }

    lt_list_iter_init(&it, &u->headers_in.trailers);

    while ((h = lt_list_iter_next(&it)) != NULL) {
        if (u->conf->hide_headers_hash.elts
            && lt_hash_find(&u->conf->hide_headers_hash, h->hash, h->lowcase_key, h->key.len))
        {
            continue;
        }

        ho = lt_list_push(&r->headers_out.trailers);
        if (ho == NULL) {
            return LT_ERROR;
        }

        *ho = *h;
        ho->next = NULL;
    }

    return LT_OK;
}


/* lt_http_proxy_dechunk: walks the chunked framing of [buf->pos, buf->last),
 * calling out(data start, length) for each piece of data; LT_OK (the body is
 * over), LT_AGAIN, LT_ERROR */
static int
lt_http_proxy_dechunk(lt_http_request_t *r, lt_http_proxy_ctx_t *ctx, lt_buf_t *buf,
    int (*out)(void *arg, u_char *pos, size_t len), void *arg)
{
    int     rc;
    size_t  n;

    for ( ;; ) {

        if (ctx->in_trailers) {
            return lt_http_proxy_trailers(r, ctx, buf);
        }

        rc = lt_http_parse_chunked(&ctx->chunked, buf);

        if (rc == LT_HTTP_PARSE_CHUNK_DATA) {
            n = (size_t) lt_min((off_t) (buf->last - buf->pos), ctx->chunked.size);

            if (out(arg, buf->pos, n) != LT_OK) {
                return LT_ERROR;
            }

            ctx->chunked.size -= n;
            buf->pos += n;
            continue;
        }

        if (rc == LT_HTTP_PARSE_CHUNK_LAST) {
            ctx->in_trailers = 1;
            continue;
        }

        if (rc == LT_AGAIN) {
            return LT_AGAIN;
        }

        lt_log_error(LT_LOG_ERR, r->connection->log, 0, "upstream sent invalid chunked response");

        return LT_ERROR;
    }
}


typedef struct {
    lt_event_pipe_t  *pipe;
    lt_buf_t         *raw;
    unsigned          used:1;
} lt_http_proxy_pipe_out_t;


static int
lt_http_proxy_pipe_out(void *arg, u_char *pos, size_t len)
{
    lt_http_proxy_pipe_out_t  *po = arg;

    if (lt_event_pipe_add_data(po->pipe, po->raw, pos, pos + len) == NULL) {
        return LT_ERROR;
    }

    po->used = 1;

    return LT_OK;
}


static int
lt_http_proxy_chunked_filter(lt_event_pipe_t *p, lt_buf_t *buf)
{
    int                        rc;
    lt_http_request_t         *r = p->input_ctx;
    lt_http_proxy_ctx_t       *ctx;
    lt_http_proxy_pipe_out_t   po;

    ctx = lt_http_get_module_ctx(r, lt_http_proxy_module);

    if (buf->pos == buf->last) {
        return lt_event_pipe_add_free_buf(p, buf);
    }

    if (ctx->done) {
        lt_log_error(LT_LOG_WARN, r->connection->log, 0,
                     "upstream sent data after final chunk");
        r->upstream->keepalive = 0;
        buf->pos = buf->last;
        return lt_event_pipe_add_free_buf(p, buf);
    }

    po.pipe = p;
    po.raw = buf;
    po.used = 0;

    rc = lt_http_proxy_dechunk(r, ctx, buf, lt_http_proxy_pipe_out, &po);

    if (rc == LT_ERROR) {
        return LT_ERROR;
    }

    if (rc == LT_OK) {
        p->upstream_done = 1;
        p->length = 0;

    } else {
        p->length = ctx->in_trailers ? 1 : lt_max(ctx->chunked.length, 1);
    }

    if (!po.used) {
        /* framing only: the raw buffer is read into again */
        return lt_event_pipe_add_free_buf(p, buf);
    }

    return LT_OK;
}


static int
lt_http_proxy_non_buffered_out(void *arg, u_char *pos, size_t len)
{
    lt_buf_t            *b;
    lt_chain_t          *cl, **ll;
    lt_http_request_t   *r = arg;
    lt_http_upstream_t  *u;

    u = r->upstream;

    for (ll = &u->out_bufs; *ll; ll = &(*ll)->next) { /* void */ }

    cl = lt_chain_get_free_buf(r->pool, &u->free_bufs);
    if (cl == NULL) {
        return LT_ERROR;
    }

    *ll = cl;
    cl->next = NULL;

    b = cl->buf;
    lt_memzero(b, sizeof(lt_buf_t));

    b->flush = 1;
    b->memory = 1;
    b->tag = u->output_tag;
    b->start = pos;
    b->pos = pos;
    b->last = pos + len;
    b->end = b->last;

    return LT_OK;
}


static int
lt_http_proxy_non_buffered_chunked_filter(void *data, ssize_t bytes)
{
    int                   rc;
    lt_buf_t              buf;
    lt_http_request_t    *r = data;
    lt_http_upstream_t   *u;
    lt_http_proxy_ctx_t  *ctx;

    u = r->upstream;
    ctx = lt_http_get_module_ctx(r, lt_http_proxy_module);

    lt_memzero(&buf, sizeof(lt_buf_t));
    buf.pos = u->buffer.last;
    buf.last = u->buffer.last + bytes;

    u->buffer.last += bytes;

    if (ctx->done) {
        lt_log_error(LT_LOG_WARN, r->connection->log, 0,
                     "upstream sent data after final chunk");
        u->keepalive = 0;
        return LT_OK;
    }

    rc = lt_http_proxy_dechunk(r, ctx, &buf, lt_http_proxy_non_buffered_out, r);

    if (rc == LT_ERROR) {
        return LT_ERROR;
    }

    if (rc == LT_OK) {
        u->length = 0;
    }

    return LT_OK;
}


void
lt_http_proxy_response_reinit(lt_http_request_t *r, lt_http_proxy_ctx_t *ctx)
{
    lt_http_upstream_t  *u;

    u = r->upstream;

    lt_http_parse_init(&ctx->parse);
    lt_memzero(&ctx->chunked, sizeof(lt_http_chunked_t));

    ctx->status_done = 0;
    ctx->in_trailers = 0;
    ctx->done = 0;
    ctx->pass_trailers = 0;
    ctx->trailers = NULL;

    u->process_header = lt_http_proxy_process_status_line;
    u->input_filter = lt_http_proxy_non_buffered_copy_filter;

    if (u->pipe) {
        u->pipe->input_filter = lt_http_proxy_copy_filter;
    }
}
