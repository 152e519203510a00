/*
 * lt_http_request.c: an HTTP/1.x connection from accept to close: wait for a
 * request, read and parse its line and headers (growing into large header
 * buffers when needed), pick the virtual server, hand the request to the phase
 * engine, finalize it, then keep-alive, pipelining or lingering close.
 *
 * An idle keep-alive connection holds no request pool and no buffer: both go
 * back to per-worker caches after a response and are taken again when bytes
 * arrive.
 */

#include "lt_http.h"

#if (LT_MODULE_HTTP_SSL)
#include "ssl.h"
static void lt_http_ssl_handshake(lt_event_t *rev);
static void lt_http_ssl_handshake_handler(lt_connection_t *c);
#endif

static void lt_http_wait_request_handler(lt_event_t *ev);
static lt_http_request_t *lt_http_create_request(lt_connection_t *c);
static void lt_http_process_request_line(lt_event_t *rev);
static void lt_http_process_request_headers(lt_event_t *rev);
static ssize_t lt_http_read_request_header(lt_http_request_t *r);
static int lt_http_alloc_large_header_buffer(lt_http_request_t *r, unsigned request_line);
static int lt_http_process_request_uri(lt_http_request_t *r);
static int lt_http_process_request_header(lt_http_request_t *r);
static int lt_http_set_virtual_server(lt_http_request_t *r, lt_str_t *host);
static int lt_http_request_host(lt_http_request_t *r, lt_str_t *host);
static void lt_http_request_handler(lt_event_t *ev);
static void lt_http_terminate_request(lt_http_request_t *r, int rc);
static void lt_http_terminal_handler(lt_event_t *ev);
static void lt_http_terminate_write_handler(lt_http_request_t *r);
static void lt_http_finalize_connection(lt_http_request_t *r);
static int lt_http_set_write_handler(lt_http_request_t *r);
static void lt_http_set_keepalive(lt_http_request_t *r);
static void lt_http_keepalive_handler(lt_event_t *ev);
static void lt_http_set_lingering_close(lt_connection_t *c);
static void lt_http_lingering_close_handler(lt_event_t *ev);
static void lt_http_empty_handler(lt_event_t *wev);
static lt_buf_t *lt_http_buffer_get(lt_connection_t *c, size_t size);
static void lt_http_buffer_release(lt_buf_t *b);

extern int lt_http_process_header_line(lt_http_request_t *r, lt_table_elt_t *h);

static const char  *lt_http_client_errors[] = {
    /* LT_HTTP_PARSE_INVALID_METHOD */
    "client sent invalid method",
    /* LT_HTTP_PARSE_INVALID_REQUEST */
    "client sent invalid request",
    /* LT_HTTP_PARSE_INVALID_VERSION */
    "client sent invalid version",
    /* LT_HTTP_PARSE_INVALID_09_METHOD */
    "client sent invalid method in HTTP/0.9 request"
};


/* per-worker caches: request pools and client header buffers */

#define LT_HTTP_POOL_CACHE    64
#define LT_HTTP_BUFFER_CACHE  256

static lt_pool_t  *lt_http_pool_cache[LT_HTTP_POOL_CACHE];
static size_t      lt_http_npools;
static lt_buf_t   *lt_http_buffer_cache[LT_HTTP_BUFFER_CACHE];
static size_t      lt_http_nbuffers;


lt_pool_t *
lt_http_pool_get(size_t size, lt_log_t *log)
{
    lt_pool_t  *pool;

    if (lt_http_npools && lt_http_pool_cache[lt_http_npools - 1]->block_size == size) {
        pool = lt_http_pool_cache[--lt_http_npools];
        pool->log = log;
        return pool;
    }

    return lt_create_pool(size, log);
}


void
lt_http_pool_release(lt_pool_t *pool)
{
#if !(LT_DEBUG_POOL)
    if (lt_http_npools < LT_HTTP_POOL_CACHE
        && (pool->first.next == NULL || pool->first.next->next == NULL))
    {
        /* keep pools of one or two blocks, the usual request (a small static
         * response takes a little over the 4k of request_pool_size) */
        lt_pool_clear(pool);
        lt_http_pool_cache[lt_http_npools++] = pool;
        return;
    }
#endif

    lt_destroy_pool(pool);
}


/* lt_http_buffer_get: a client header buffer of size bytes (its lt_buf_t and data
 * in one malloc'd block, cached across connections) */
static lt_buf_t *
lt_http_buffer_get(lt_connection_t *c, size_t size)
{
    size_t     i;
    u_char    *m;
    lt_buf_t  *b;

    for (i = lt_http_nbuffers; i > 0; i--) {
        b = lt_http_buffer_cache[i - 1];

        if ((size_t) (b->end - b->start) == size) {
            lt_http_buffer_cache[i - 1] = lt_http_buffer_cache[--lt_http_nbuffers];
            b->pos = b->start;
            b->last = b->start;
            return b;
        }
    }

    m = lt_alloc(sizeof(lt_buf_t) + size, c->log);
    if (m == NULL) {
        return NULL;
    }

    b = (lt_buf_t *) m;
    lt_memzero(b, sizeof(lt_buf_t));

    b->start = m + sizeof(lt_buf_t);
    b->pos = b->start;
    b->last = b->start;
    b->end = b->start + size;
    b->temporary = 1;

    return b;
}


static void
lt_http_buffer_release(lt_buf_t *b)
{
    if (b == NULL) {
        return;
    }

#if !(LT_DEBUG_POOL)
    if (lt_http_nbuffers < LT_HTTP_BUFFER_CACHE) {
        lt_http_buffer_cache[lt_http_nbuffers++] = b;
        return;
    }
#endif

    lt_free(b);
}


/* lt_http_release_large_buffers: the large header buffers of a connection */
static void
lt_http_release_large_buffers(lt_http_connection_t *hc)
{
    lt_chain_t  *cl;

    for (cl = hc->busy; cl; cl = cl->next) {
        lt_http_buffer_release(cl->buf);
    }

    for (cl = hc->free; cl; cl = cl->next) {
        lt_http_buffer_release(cl->buf);
    }

    hc->busy = NULL;
    hc->free = NULL;
    hc->nbusy = 0;
}


void
lt_http_init_connection(lt_connection_t *c)
{
    size_t                     i;
    lt_event_t                *rev;
    lt_http_port_t            *port;
    lt_http_in_addr_t         *addr;
    lt_http_log_ctx_t         *ctx;
    lt_http_connection_t      *hc;
    lt_http_core_srv_conf_t   *cscf;
    lt_http_core_loc_conf_t   *clcf;

    hc = lt_pcalloc(c->pool, sizeof(lt_http_connection_t));
    ctx = lt_palloc(c->pool, sizeof(lt_http_log_ctx_t));

    if (hc == NULL || ctx == NULL) {
        lt_http_close_connection(c);
        return;
    }

    c->data = hc;

    /* find the server configuration for the address:port */

    port = c->listening->servers;
    addr = port->addrs;
    i = 0;

    if (port->naddrs > 1) {
        /* the wildcard socket serves several addresses: ask which one */
        if (lt_connection_local_sockaddr(c, NULL, 0) != LT_OK) {
            lt_http_close_connection(c);
            return;
        }

        for (i = 0; i < port->naddrs - 1; i++) {
            if (lt_cmp_sockaddr(c->local_sockaddr, c->local_socklen, addr[i].sockaddr,
                                addr[i].socklen, 0) == LT_OK)
            {
                break;
            }
        }
    }

    hc->addr_conf = &addr[i].conf;
    hc->conf_ctx = addr[i].conf.default_server->ctx;
    hc->start_msec = lt_current_msec;

    ctx->connection = c;
    ctx->client = &c->addr_text;
    ctx->request = NULL;
    ctx->current_request = NULL;

    c->log->connection = c->number;
    c->log->handler = lt_http_log_error;
    c->log->data = ctx;
    c->log->action = "waiting for request";

    c->log_error = LT_ERROR_INFO;

    clcf = ((lt_http_conf_ctx_t *) hc->conf_ctx)->loc_conf[lt_http_core_module.ctx_index];
    lt_http_set_connection_log(c, clcf->error_log);

    rev = &c->read;
    rev->handler = lt_http_wait_request_handler;
    c->write.handler = lt_http_empty_handler;

    cscf = addr[i].conf.default_server;

#if (LT_MODULE_HTTP_SSL)
    if (((lt_http_addr_conf_t *) hc->addr_conf)->ssl) {
        hc->ssl = 1;
        c->log->action = "SSL handshaking";
        rev->handler = lt_http_ssl_handshake;
    }
#endif

    lt_event_add_timer(rev, cscf->client_header_timeout);
    lt_reusable_connection(c, 1);

    if (rev->ready) {
        rev->handler(rev);
    }
}


#if (LT_MODULE_HTTP_SSL)

/* lt_http_ssl_handshake: the first bytes on an ssl address: a TLS ClientHello
 * starts the handshake; anything else is served as plain HTTP and answered
 * with 497 (the plain HTTP request was sent to an HTTPS port) */
static void
lt_http_ssl_handshake(lt_event_t *rev)
{
    int                       rc;
    ssize_t                   n;
    u_char                    buf[1];
    lt_connection_t          *c;
    lt_http_connection_t     *hc;
    lt_http_core_srv_conf_t  *cscf;

    c = rev->data;
    hc = c->data;

    if (rev->timedout) {
        lt_log_error(LT_LOG_INFO, c->log, ETIMEDOUT, "client timed out");
        lt_http_close_connection(c);
        return;
    }

    if (c->close) {
        lt_http_close_connection(c);
        return;
    }

    if (c->ssl == NULL) {
        do {
            n = recv(c->fd, buf, 1, MSG_PEEK);
        } while (n == -1 && errno == EINTR);

        if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            rev->ready = 0;

            if (!rev->timer_set) {
                cscf = ((lt_http_addr_conf_t *) hc->addr_conf)->default_server;
                lt_event_add_timer(rev, cscf->client_header_timeout);
            }

            lt_reusable_connection(c, 1);
            return;
        }

        if (n == -1) {
            lt_connection_error(c, errno, "recv() failed");
            lt_http_close_connection(c);
            return;
        }

        if (n == 0) {
            lt_log_error(LT_LOG_INFO, c->log, 0, "client closed connection");
            lt_http_close_connection(c);
            return;
        }

        if (!(buf[0] & 0x80) && buf[0] != 0x16) {
            /* plain HTTP: read as usual, refused once the request is parsed */
            c->log->action = "waiting for request";
            rev->handler = lt_http_wait_request_handler;
            lt_http_wait_request_handler(rev);
            return;
        }

        if (lt_http_ssl_create_connection(c) != LT_OK) {
            lt_http_close_connection(c);
            return;
        }

        lt_reusable_connection(c, 0);
        c->write.handler = lt_http_ssl_handshake;
    }

    rc = lt_ssl_handshake(c);

    if (rc == LT_AGAIN) {
        if (!rev->timer_set) {
            cscf = ((lt_http_addr_conf_t *) hc->addr_conf)->default_server;
            lt_event_add_timer(rev, cscf->client_header_timeout);
        }

        return;
    }

    lt_http_ssl_handshake_handler(c);
}


static void
lt_http_ssl_handshake_handler(lt_connection_t *c)
{
    lt_event_t           *rev;
    lt_ssl_connection_t  *sc;

    rev = &c->read;
    sc = c->ssl;

    if (sc == NULL || !sc->handshaked) {
        if (sc && sc->handshake_rejected) {
            lt_log_error(LT_LOG_INFO, c->log, 0, "SSL handshake rejected");
        }

        lt_http_close_connection(c);
        return;
    }

    c->log->action = "waiting for request";

    rev->handler = lt_http_wait_request_handler;
    c->write.handler = lt_http_empty_handler;

    /* the client's first request may already be in OpenSSL's or the socket's
     * buffers: an edge-triggered event would not come again */
    rev->ready = 1;
    lt_http_wait_request_handler(rev);
}

#endif


static void
lt_http_wait_request_handler(lt_event_t *rev)
{
    ssize_t                   n;
    size_t                    size;
    lt_buf_t                 *b;
    lt_connection_t          *c;
    lt_http_connection_t     *hc;
    lt_http_core_srv_conf_t  *cscf;

    c = rev->data;

    if (rev->timedout) {
        lt_log_error(LT_LOG_INFO, c->log, ETIMEDOUT, "client timed out");
        lt_http_close_connection(c);
        return;
    }

    if (c->close) {
        lt_http_close_connection(c);
        return;
    }

    hc = c->data;
    cscf = ((lt_http_conf_ctx_t *) hc->conf_ctx)->srv_conf[lt_http_core_module.ctx_index];

    size = cscf->client_header_buffer_size;

    b = c->buffer;

    if (b == NULL) {
        b = lt_http_buffer_get(c, size);
        if (b == NULL) {
            lt_http_close_connection(c);
            return;
        }

        c->buffer = b;
    }

    n = lt_recv(c, b->last, b->end - b->last);

    if (n == LT_AGAIN) {
        if (!rev->timer_set) {
            lt_event_add_timer(rev, cscf->client_header_timeout);
        }

        lt_reusable_connection(c, 1);

        /* an idle connection keeps no buffer */
        if (b->pos == b->last) {
            lt_http_buffer_release(b);
            c->buffer = NULL;
        }

        return;
    }

    if (n == LT_ERROR) {
        lt_http_close_connection(c);
        return;
    }

    if (n == 0) {
        lt_log_error(LT_LOG_INFO, c->log, 0, "client closed connection");
        lt_http_close_connection(c);
        return;
    }

    b->last += n;

    c->log->action = "reading client request line";

    lt_reusable_connection(c, 0);

    c->data = lt_http_create_request(c);
    if (c->data == NULL) {
        lt_http_close_connection(c);
        return;
    }

    rev->handler = lt_http_process_request_line;
    lt_http_process_request_line(rev);
}


static lt_http_request_t *
lt_http_create_request(lt_connection_t *c)
{
    lt_pool_t                 *pool;
    lt_http_request_t         *r;
    lt_http_log_ctx_t         *ctx;
    lt_http_connection_t      *hc;
    lt_http_conf_ctx_t        *conf_ctx;
    lt_http_core_srv_conf_t   *cscf;
    lt_http_core_loc_conf_t   *clcf;
    lt_http_core_main_conf_t  *cmcf;

    hc = c->data;
    conf_ctx = hc->conf_ctx;
    cscf = conf_ctx->srv_conf[lt_http_core_module.ctx_index];

    pool = lt_http_pool_get(cscf->request_pool_size, c->log);
    if (pool == NULL) {
        return NULL;
    }

    r = lt_pcalloc(pool, sizeof(lt_http_request_t));
    if (r == NULL) {
        goto failed;
    }

    r->pool = pool;
    r->http_connection = hc;
    r->connection = c;

    r->main_conf = conf_ctx->main_conf;
    r->srv_conf = conf_ctx->srv_conf;
    r->loc_conf = conf_ctx->loc_conf;

    /* a keep-alive connection's log was the last location's */
    clcf = conf_ctx->loc_conf[lt_http_core_module.ctx_index];
    lt_http_set_connection_log(c, clcf->error_log);

    r->read_event_handler = lt_http_block_reading;

    r->header_in = hc->busy ? hc->busy->buf : c->buffer;

    if (lt_list_init(&r->headers_out.headers, pool, 20, sizeof(lt_table_elt_t)) != LT_OK
        || lt_list_init(&r->headers_out.trailers, pool, 4, sizeof(lt_table_elt_t)) != LT_OK)
    {
        goto failed;
    }

    r->ctx = lt_pcalloc(pool, sizeof(void *) * lt_http_max_module);
    if (r->ctx == NULL) {
        goto failed;
    }

    cmcf = conf_ctx->main_conf[lt_http_core_module.ctx_index];

    r->variables = lt_pcalloc(pool, cmcf->variables.nelts
                                    * sizeof(lt_http_variable_value_t));
    if (r->variables == NULL) {
        goto failed;
    }

    r->main = r;
    r->count = 1;

    r->start_sec = lt_time();
    r->start_msec = lt_timeofday()->msec;

    r->method = LT_HTTP_UNKNOWN;
    r->http_version = LT_HTTP_VERSION_10;

    r->headers_in.content_length_n = -1;
    r->headers_in.keep_alive_n = -1;
    r->headers_out.content_length_n = -1;
    r->headers_out.last_modified_time = -1;

    r->uri_changes = LT_HTTP_MAX_URI_CHANGES + 1;

    r->http_state = LT_HTTP_READING_REQUEST_STATE;

    lt_http_parse_init(&r->parse);

    ctx = c->log->data;
    ctx->request = r;
    ctx->current_request = r;

    c->requests++;

    r->stat_reading = 1;
    lt_stat_add(reading, 1);
    lt_stat_add(requests, 1);

    return r;

failed:

    lt_http_pool_release(pool);
    return NULL;
}


/* lt_http_request_line_done: the fields of r from a parsed request line */
static int
lt_http_request_line_done(lt_http_request_t *r)
{
    lt_http_parse_t  *p;
    lt_str_t          host;

    p = &r->parse;

    r->request_line.len = p->request_end - p->request_start;
    r->request_line.data = p->request_start;
    r->request_length = r->header_in->pos - p->request_start;

    r->method_name.len = p->method_end - p->request_start + 1;
    r->method_name.data = p->request_start;

    if (p->http_protocol_start) {
        r->http_protocol.data = p->http_protocol_start;
        r->http_protocol.len = p->request_end - p->http_protocol_start;
    }

    r->method = p->method;
    r->http_version = p->http_version;
    r->complex_uri = p->complex_uri;
    r->quoted_uri = p->quoted_uri;
    r->plus_in_uri = p->plus_in_uri;
    r->empty_path_in_uri = p->empty_path_in_uri;

    if (p->http_major > 1) {
        lt_log_error(LT_LOG_INFO, r->connection->log, 0, "client sent unsupported HTTP "
                     "version %u.%u", p->http_major, p->http_minor);
        lt_http_finalize_request(r, LT_HTTP_VERSION_NOT_SUPPORTED);
        return LT_ERROR;
    }

    if (lt_http_process_request_uri(r) != LT_OK) {
        return LT_ERROR;
    }

    if (p->schema_end) {
        r->schema.len = p->schema_end - p->schema_start;
        r->schema.data = p->schema_start;
    }

    if (p->host_end) {
        host.len = p->host_end - p->host_start;
        host.data = p->host_start;

        if (p->port_end) {
            host.len = p->port_end - p->host_start;
        }

        if (lt_http_request_host(r, &host) != LT_OK) {
            lt_log_error(LT_LOG_INFO, r->connection->log, 0,
                         "client sent invalid host in request line");
            lt_http_finalize_request(r, LT_HTTP_BAD_REQUEST);
            return LT_ERROR;
        }

        if (lt_http_set_virtual_server(r, &host) == LT_ERROR) {
            return LT_ERROR;
        }

        r->headers_in.server = host;
    }

    return LT_OK;
}


static void
lt_http_process_request_line(lt_event_t *rev)
{
    ssize_t             n;
    int                 rc, rv;
    lt_connection_t    *c;
    lt_http_request_t  *r;

    c = rev->data;
    r = c->data;

    if (rev->timedout) {
        lt_log_error(LT_LOG_INFO, c->log, ETIMEDOUT, "client timed out");
        c->timedout = 1;
        lt_http_close_request(r, LT_HTTP_REQUEST_TIME_OUT);
        return;
    }

    if (c->close) {
        /* worker_shutdown_timeout while the client is still sending the header */
        lt_http_close_request(r, 0);
        return;
    }

    rc = LT_AGAIN;

    for ( ;; ) {

        if (rc == LT_AGAIN) {
            n = lt_http_read_request_header(r);

            if (n == LT_AGAIN || n == LT_ERROR) {
                break;
            }
        }

        rc = lt_http_parse_request_line(&r->parse, r->header_in);

        if (rc == LT_OK) {

            if (lt_http_request_line_done(r) != LT_OK) {
                break;
            }

            if (r->http_version < LT_HTTP_VERSION_10) {
                /* HTTP/0.9: no headers follow */
                if (r->headers_in.server.len == 0
                    && lt_http_set_virtual_server(r, &r->headers_in.server) == LT_ERROR)
                {
                    break;
                }

                lt_http_process_request(r);
                break;
            }

            if (lt_list_init(&r->headers_in.headers, r->pool, 20, sizeof(lt_table_elt_t))
                != LT_OK)
            {
                lt_http_close_request(r, LT_HTTP_INTERNAL_SERVER_ERROR);
                break;
            }

            c->log->action = "reading client request headers";

            rev->handler = lt_http_process_request_headers;
            lt_http_process_request_headers(rev);

            break;
        }

        if (rc != LT_AGAIN) {

            /* there was an error while parsing the request line */

            lt_log_error(LT_LOG_INFO, c->log, 0, "%s",
                         lt_http_client_errors[rc - LT_HTTP_PARSE_INVALID_METHOD]);

            if (rc == LT_HTTP_PARSE_INVALID_VERSION) {
                lt_http_finalize_request(r, LT_HTTP_VERSION_NOT_SUPPORTED);

            } else {
                lt_http_finalize_request(r, LT_HTTP_BAD_REQUEST);
            }

            break;
        }

        /* LT_AGAIN: the request line is not complete yet */

        if (r->header_in->pos == r->header_in->end) {

            rv = lt_http_alloc_large_header_buffer(r, 1);

            if (rv == LT_ERROR) {
                lt_http_close_request(r, LT_HTTP_INTERNAL_SERVER_ERROR);
                break;
            }

            if (rv == LT_DECLINED) {
                r->request_line.len = r->header_in->end - r->parse.request_start;
                r->request_line.data = r->parse.request_start;

                lt_log_error(LT_LOG_INFO, c->log, 0, "client sent too long URI");
                lt_http_finalize_request(r, LT_HTTP_REQUEST_URI_TOO_LARGE);
                break;
            }
        }
    }

    lt_http_run_posted_requests(c);
}


/* lt_http_header_line_done: one parsed header into headers_in */
static int
lt_http_header_line_done(lt_http_request_t *r)
{
    lt_table_elt_t           *h;
    lt_http_parse_t          *p;
    lt_http_core_srv_conf_t  *cscf;

    p = &r->parse;

    r->request_length += r->header_in->pos - p->header_name_start;

    cscf = lt_http_get_module_srv_conf(r, lt_http_core_module);

    if (r->headers_in.count++ >= (size_t) cscf->max_headers) {
        r->lingering_close = 1;
        lt_log_error(LT_LOG_INFO, r->connection->log, 0, "client sent too many header lines");
        lt_http_finalize_request(r, LT_HTTP_REQUEST_HEADER_TOO_LARGE);
        return LT_ERROR;
    }

    if (p->invalid_header && cscf->ignore_invalid_headers) {
        lt_log_error(LT_LOG_INFO, r->connection->log, 0,
                     "client sent invalid header line: \"%.*s\"",
                     (int) (p->header_end - p->header_name_start), p->header_name_start);
        return LT_OK;
    }

    h = lt_list_push(&r->headers_in.headers);
    if (h == NULL) {
        lt_http_close_request(r, LT_HTTP_INTERNAL_SERVER_ERROR);
        return LT_ERROR;
    }

    h->hash = p->header_hash;

    h->key.len = p->header_name_end - p->header_name_start;
    h->key.data = p->header_name_start;
    h->key.data[h->key.len] = '\0';

    h->value.len = p->header_end - p->header_start;
    h->value.data = p->header_start;
    h->value.data[h->value.len] = '\0';

    h->next = NULL;

    if (h->key.len <= p->lowcase_index && h->key.len <= LT_HTTP_LC_HEADER_LEN) {
        h->lowcase_key = lt_pnalloc(r->pool, h->key.len);
        if (h->lowcase_key == NULL) {
            lt_http_close_request(r, LT_HTTP_INTERNAL_SERVER_ERROR);
            return LT_ERROR;
        }

        memcpy(h->lowcase_key, p->lowcase_header, h->key.len);

    } else {
        h->lowcase_key = lt_pnalloc(r->pool, h->key.len);
        if (h->lowcase_key == NULL) {
            lt_http_close_request(r, LT_HTTP_INTERNAL_SERVER_ERROR);
            return LT_ERROR;
        }

        lt_strlow(h->lowcase_key, h->key.data, h->key.len);
    }

    return lt_http_process_header_line(r, h);
}


/* lt_http_too_large_header: a header line that does not fit any buffer */
static void
lt_http_too_large_header(lt_http_request_t *r)
{
    u_char  *p;
    size_t   len;

    p = r->parse.header_name_start;

    r->lingering_close = 1;

    if (p == NULL) {
        lt_log_error(LT_LOG_INFO, r->connection->log, 0, "client sent too large request");
        lt_http_finalize_request(r, LT_HTTP_REQUEST_HEADER_TOO_LARGE);
        return;
    }

    len = r->header_in->end - p;

    if (len > LT_MAX_ERROR_STR - 300) {
        len = LT_MAX_ERROR_STR - 300;
    }

    lt_log_error(LT_LOG_INFO, r->connection->log, 0,
                 "client sent too long header line: \"%.*s...\"", (int) len, p);

    lt_http_finalize_request(r, LT_HTTP_REQUEST_HEADER_TOO_LARGE);
}


static void
lt_http_process_request_headers(lt_event_t *rev)
{
    ssize_t                   n;
    int                       rc, rv;
    lt_connection_t          *c;
    lt_http_request_t        *r;
    lt_http_core_srv_conf_t  *cscf;

    c = rev->data;
    r = c->data;

    if (rev->timedout) {
        lt_log_error(LT_LOG_INFO, c->log, ETIMEDOUT, "client timed out");
        c->timedout = 1;
        lt_http_close_request(r, LT_HTTP_REQUEST_TIME_OUT);
        return;
    }

    if (c->close) {
        /* worker_shutdown_timeout while the client is still sending the header */
        lt_http_close_request(r, 0);
        return;
    }

    rc = LT_AGAIN;

    for ( ;; ) {

        if (rc == LT_AGAIN) {

            if (r->header_in->pos == r->header_in->end) {

                rv = lt_http_alloc_large_header_buffer(r, 0);

                if (rv == LT_ERROR) {
                    lt_http_close_request(r, LT_HTTP_INTERNAL_SERVER_ERROR);
                    break;
                }

                if (rv == LT_DECLINED) {
                    lt_http_too_large_header(r);
                    break;
                }
            }

            n = lt_http_read_request_header(r);

            if (n == LT_AGAIN || n == LT_ERROR) {
                break;
            }
        }

        /* the Host header may have changed the server (and its settings) */
        cscf = lt_http_get_module_srv_conf(r, lt_http_core_module);

        rc = lt_http_parse_header_line(&r->parse, r->header_in,
                                       (unsigned) cscf->underscores_in_headers);

        if (rc == LT_OK) {
            if (lt_http_header_line_done(r) != LT_OK) {
                break;
            }

            continue;
        }

        if (rc == LT_HTTP_PARSE_HEADER_DONE) {

            /* the whole header has been parsed */

            r->request_length += r->header_in->pos - r->parse.header_name_start;

            r->http_state = LT_HTTP_PROCESS_REQUEST_STATE;

            if (lt_http_process_request_header(r) != LT_OK) {
                break;
            }

            lt_http_process_request(r);

            break;
        }

        if (rc == LT_AGAIN) {
            continue;
        }

        /* rc == LT_HTTP_PARSE_INVALID_HEADER */

        lt_log_error(LT_LOG_INFO, c->log, 0, "client sent invalid header line: \"%.*s\"",
                     (int) lt_min((size_t) (r->header_in->pos - r->parse.header_name_start),
                                  (size_t) 200),
                     r->parse.header_name_start);

        r->lingering_close = 1;
        lt_http_finalize_request(r, LT_HTTP_BAD_REQUEST);
        break;
    }

    lt_http_run_posted_requests(c);
}


static ssize_t
lt_http_read_request_header(lt_http_request_t *r)
{
    ssize_t                   n;
    lt_event_t               *rev;
    lt_connection_t          *c;
    lt_http_core_srv_conf_t  *cscf;

    c = r->connection;
    rev = &c->read;

    n = r->header_in->last - r->header_in->pos;

    if (n > 0) {
        return n;
    }

    if (rev->ready) {
        n = lt_recv(c, r->header_in->last, r->header_in->end - r->header_in->last);
    } else {
        n = LT_AGAIN;
    }

    if (n == LT_AGAIN) {
        if (!rev->timer_set) {
            cscf = lt_http_get_module_srv_conf(r, lt_http_core_module);
            lt_event_add_timer(rev, cscf->client_header_timeout);
        }

        return LT_AGAIN;
    }

    if (n == 0) {
        lt_log_error(LT_LOG_INFO, c->log, 0, "client prematurely closed connection");
    }

    if (n == 0 || n == LT_ERROR) {
        c->error = 1;
        c->log->action = "reading client request headers";

        lt_http_finalize_request(r, LT_HTTP_BAD_REQUEST);
        return LT_ERROR;
    }

    r->header_in->last += n;

    return n;
}


static int
lt_http_alloc_large_header_buffer(lt_http_request_t *r, unsigned request_line)
{
    u_char                   *old, *new;
    size_t                    len;
    lt_buf_t                 *b;
    lt_chain_t               *cl;
    lt_http_connection_t     *hc;
    lt_http_core_srv_conf_t  *cscf;

    if (request_line && r->parse.state == 0) {
        /* an empty line: the request line has not started yet */
        r->header_in->pos = r->header_in->start;
        r->header_in->last = r->header_in->start;
        return LT_OK;
    }

    old = request_line ? r->parse.request_start : r->parse.header_name_start;

    cscf = lt_http_get_module_srv_conf(r, lt_http_core_module);

    if (r->parse.state != 0 && old
        && (size_t) (r->header_in->pos - old) >= cscf->large_client_header_buffers.size)
    {
        return LT_DECLINED;
    }

    hc = r->http_connection;

    if (hc->free) {
        cl = hc->free;
        hc->free = cl->next;
        b = cl->buf;

    } else if (hc->nbusy < cscf->large_client_header_buffers.num) {
        b = lt_http_buffer_get(r->connection, cscf->large_client_header_buffers.size);
        if (b == NULL) {
            return LT_ERROR;
        }

        cl = lt_palloc(r->connection->pool, sizeof(lt_chain_t));
        if (cl == NULL) {
            lt_http_buffer_release(b);
            return LT_ERROR;
        }

        cl->buf = b;

    } else {
        return LT_DECLINED;
    }

    cl->next = hc->busy;
    hc->busy = cl;
    hc->nbusy++;

    if (r->parse.state == 0 || old == NULL) {
        /* between lines: nothing to copy, the next line starts in the new buffer */
        r->header_in = b;
        return LT_OK;
    }

    len = r->header_in->pos - old;

    if (len > (size_t) (b->end - b->start)) {
        lt_log_error(LT_LOG_ALERT, r->connection->log, 0, "too large header to copy");
        return LT_ERROR;
    }

    new = b->start;

    memcpy(new, old, len);

    b->pos = new + len;
    b->last = new + len;

    lt_http_parse_relocate(&r->parse, old, new);

    r->header_in = b;

    return LT_OK;
}


static int
lt_http_process_request_uri(lt_http_request_t *r)
{
    u_char                   *ext, *end, *hash;
    size_t                    len;
    lt_http_parse_t          *p;
    lt_http_core_srv_conf_t  *cscf;

    p = &r->parse;

    end = p->args_start ? p->args_start - 1 : p->uri_end;

    if (r->empty_path_in_uri) {
        lt_str_set(&r->uri, "/");

    } else if (r->complex_uri || r->quoted_uri) {

        len = end - p->uri_start;

        r->uri.data = lt_pnalloc(r->pool, len + 1);
        if (r->uri.data == NULL) {
            lt_http_close_request(r, LT_HTTP_INTERNAL_SERVER_ERROR);
            return LT_ERROR;
        }

        cscf = lt_http_get_module_srv_conf(r, lt_http_core_module);

        if (lt_http_parse_complex_uri(r->uri.data, &r->uri.len, &ext, p->uri_start, len,
                                      (unsigned) cscf->merge_slashes) != LT_OK)
        {
            r->uri.len = 0;

            lt_log_error(LT_LOG_INFO, r->connection->log, 0, "client sent invalid request");
            lt_http_finalize_request(r, LT_HTTP_BAD_REQUEST);
            return LT_ERROR;
        }

        if (ext) {
            r->exten.len = r->uri.data + r->uri.len - ext;
            r->exten.data = ext;
        }

    } else {
        r->uri.len = end - p->uri_start;
        r->uri.data = p->uri_start;

        if (p->uri_ext) {
            r->exten.len = end - p->uri_ext;
            r->exten.data = p->uri_ext;
        }
    }

    r->unparsed_uri.len = p->uri_end - p->uri_start;
    r->unparsed_uri.data = p->uri_start;

    r->valid_unparsed_uri = r->empty_path_in_uri ? 0 : 1;

    if (p->args_start && p->uri_end > p->args_start) {
        r->args.len = p->uri_end - p->args_start;
        r->args.data = p->args_start;

        /* a fragment is not part of the arguments */
        hash = lt_strlchr(r->args.data, r->args.data + r->args.len, '#');
        if (hash) {
            r->args.len = hash - r->args.data;
        }
    }

    return LT_OK;
}


static int
lt_http_process_request_header(lt_http_request_t *r)
{
    int64_t          n;
    lt_table_elt_t  *te;

    if (r->headers_in.server.len == 0
        && lt_http_set_virtual_server(r, &r->headers_in.server) == LT_ERROR)
    {
        return LT_ERROR;
    }

    if (r->headers_in.host == NULL && r->http_version > LT_HTTP_VERSION_10) {
        lt_log_error(LT_LOG_INFO, r->connection->log, 0,
                     "client sent HTTP/1.1 request without \"Host\" header");
        lt_http_finalize_request(r, LT_HTTP_BAD_REQUEST);
        return LT_ERROR;
    }

    if (r->headers_in.content_length) {
        n = lt_atoi(r->headers_in.content_length->value.data,
                    r->headers_in.content_length->value.len);

        if (n == LT_ERROR) {
            lt_log_error(LT_LOG_INFO, r->connection->log, 0,
                         "client sent invalid \"Content-Length\" header");
            lt_http_finalize_request(r, LT_HTTP_BAD_REQUEST);
            return LT_ERROR;
        }

        r->headers_in.content_length_n = (off_t) n;
    }

    te = r->headers_in.transfer_encoding;

    if (te) {

        if (r->http_version < LT_HTTP_VERSION_11) {
            r->headers_in.content_length_n = -1;

            lt_log_error(LT_LOG_INFO, r->connection->log, 0,
                         "client sent HTTP/1.0 request with \"Transfer-Encoding\" header");
            lt_http_finalize_request(r, LT_HTTP_BAD_REQUEST);
            return LT_ERROR;
        }

        if (te->value.len != 7 || lt_strncasecmp(te->value.data, (u_char *) "chunked", 7)) {
            r->headers_in.content_length_n = -1;

            lt_log_error(LT_LOG_INFO, r->connection->log, 0,
                         "client sent unknown \"Transfer-Encoding\": \"%.*s\"",
                         (int) te->value.len, te->value.data);
            lt_http_finalize_request(r, LT_HTTP_NOT_IMPLEMENTED);
            return LT_ERROR;
        }

        if (r->headers_in.content_length) {
            /* the body's framing is ambiguous: nothing of it is read */
            r->headers_in.content_length_n = -1;

            lt_log_error(LT_LOG_INFO, r->connection->log, 0,
                         "client sent \"Content-Length\" and \"Transfer-Encoding\" headers "
                         "at the same time");
            lt_http_finalize_request(r, LT_HTTP_BAD_REQUEST);
            return LT_ERROR;
        }

        r->headers_in.chunked = 1;
    }

    if (r->headers_in.connection_type == LT_HTTP_CONNECTION_KEEP_ALIVE
        && r->headers_in.keep_alive)
    {
        r->headers_in.keep_alive_n = (time_t) lt_parse_time(&r->headers_in.keep_alive->value,
                                                            1);
    }

    if (r->method == LT_HTTP_CONNECT) {
        lt_log_error(LT_LOG_INFO, r->connection->log, 0, "client sent CONNECT method");
        lt_http_finalize_request(r, LT_HTTP_NOT_ALLOWED);
        return LT_ERROR;
    }

    if (r->method == LT_HTTP_TRACE) {
        lt_log_error(LT_LOG_INFO, r->connection->log, 0, "client sent TRACE method");
        lt_http_finalize_request(r, LT_HTTP_NOT_ALLOWED);
        return LT_ERROR;
    }

    r->headers_in_done = 1;

    return LT_OK;
}


void
lt_http_process_request(lt_http_request_t *r)
{
    lt_connection_t  *c;

    c = r->connection;

#if (LT_MODULE_HTTP_SSL)
    if (r->http_connection->ssl) {
        int  rc;

        if (c->ssl == NULL) {
            lt_log_error(LT_LOG_INFO, c->log, 0,
                         "client sent plain HTTP request to HTTPS port");
            lt_http_finalize_request(r, LT_HTTP_TO_HTTPS);
            return;
        }

        rc = lt_http_ssl_verify_request(r);

        if (rc != LT_OK) {
            lt_http_finalize_request(r, rc);
            return;
        }
    }
#endif

    if (c->read.timer_set) {
        lt_event_del_timer(&c->read);
    }

    if (r->stat_reading) {
        r->stat_reading = 0;
        lt_stat_add(reading, -1);
    }

    r->stat_writing = 1;
    lt_stat_add(writing, 1);

    c->read.handler = lt_http_request_handler;
    c->write.handler = lt_http_request_handler;
    r->read_event_handler = lt_http_block_reading;

    lt_http_handler(r);
}


/* the Host header of a request on this address picks the server{} */
int
lt_http_host_header(lt_http_request_t *r, lt_table_elt_t *h)
{
    lt_str_t  host;

    if (r->headers_in.host) {
        lt_log_error(LT_LOG_INFO, r->connection->log, 0,
                     "client sent duplicate host header: \"%.*s: %.*s\", previous value: "
                     "\"%.*s: %.*s\"", (int) h->key.len, h->key.data,
                     (int) h->value.len, h->value.data,
                     (int) r->headers_in.host->key.len, r->headers_in.host->key.data,
                     (int) r->headers_in.host->value.len, r->headers_in.host->value.data);
        lt_http_finalize_request(r, LT_HTTP_BAD_REQUEST);
        return LT_ERROR;
    }

    r->headers_in.host = h;

    host = h->value;

    if (lt_http_request_host(r, &host) != LT_OK) {
        lt_log_error(LT_LOG_INFO, r->connection->log, 0, "client sent invalid host header");
        lt_http_finalize_request(r, LT_HTTP_BAD_REQUEST);
        return LT_ERROR;
    }

    if (r->headers_in.server.len) {
        /* the host of an absolute request line wins */
        return LT_OK;
    }

    if (lt_http_set_virtual_server(r, &host) == LT_ERROR) {
        return LT_ERROR;
    }

    r->headers_in.server = host;

    return LT_OK;
}


/* lt_http_request_host: validates a host (of the request line or the Host header)
 * into its lowercase name; the request's own bytes keep their case ($request,
 * $http_host), so a name with capitals is lowercased in a copy */
static int
lt_http_request_host(lt_http_request_t *r, lt_str_t *host)
{
    size_t   i;
    u_char  *copy;

    for (i = 0; i < host->len; i++) {
        if (host->data[i] >= 'A' && host->data[i] <= 'Z') {
            copy = lt_pnalloc(r->pool, host->len);
            if (copy == NULL) {
                return LT_ERROR;
            }

            memcpy(copy, host->data, host->len);
            host->data = copy;
            break;
        }
    }

    return lt_http_validate_host(host);
}


static int
lt_http_set_virtual_server(lt_http_request_t *r, lt_str_t *host)
{
    int                        rc;
    lt_http_connection_t      *hc;
    lt_http_core_srv_conf_t   *cscf;
    lt_http_core_loc_conf_t   *clcf;

    hc = r->http_connection;

#if (LT_MODULE_HTTP_SSL)
    if (hc->ssl_servername) {
        lt_str_t  *sn = hc->ssl_servername;

        if (sn->len == host->len && memcmp(sn->data, host->data, host->len) == 0) {
            /* the server{} is the one the handshake chose */
            return LT_OK;
        }
    }
#endif

    rc = lt_http_find_virtual_server(r->connection, hc->addr_conf, host, r, &cscf);

    if (rc == LT_ERROR) {
        lt_http_close_request(r, LT_HTTP_INTERNAL_SERVER_ERROR);
        return LT_ERROR;
    }

#if (LT_MODULE_HTTP_SSL)
    if (hc->ssl_servername) {
        if (rc == LT_DECLINED) {
            cscf = ((lt_http_addr_conf_t *) hc->addr_conf)->default_server;
            rc = LT_OK;
        }

        if (lt_http_ssl_misdirected(r, cscf)) {
            lt_log_error(LT_LOG_INFO, r->connection->log, 0, "client attempted to request "
                         "the server name different from the one that was negotiated");
            lt_http_finalize_request(r, LT_HTTP_MISDIRECTED_REQUEST);
            return LT_ERROR;
        }
    }
#endif

    if (rc == LT_DECLINED) {
        return LT_OK;
    }

    r->srv_conf = cscf->ctx->srv_conf;
    r->loc_conf = cscf->ctx->loc_conf;

    clcf = r->loc_conf[lt_http_core_module.ctx_index];
    lt_http_set_connection_log(r->connection, clcf->error_log);

    return LT_OK;
}


static void
lt_http_request_handler(lt_event_t *ev)
{
    lt_connection_t    *c;
    lt_http_request_t  *r;
    lt_http_log_ctx_t  *ctx;

    c = ev->data;
    r = c->data;

    ctx = c->log->data;
    ctx->current_request = r;

    if (c->close) {
        r->main->count++;
        lt_http_terminate_request(r, 0);
        lt_http_run_posted_requests(c);
        return;
    }

    if (ev->delayed && ev->timedout) {
        /* the limit_rate delay is over: not a timeout */
        ev->delayed = 0;
        ev->timedout = 0;
    }

    if (ev->write) {
        r->write_event_handler(r);

    } else {
        r->read_event_handler(r);
    }

    lt_http_run_posted_requests(c);
}


void
lt_http_run_posted_requests(lt_connection_t *c)
{
    /* subrequests are not implemented yet: nothing is ever posted */
}


void
lt_http_finalize_request(lt_http_request_t *r, int rc)
{
    lt_connection_t  *c;

    c = r->connection;

    if (rc == LT_DONE) {
        lt_http_finalize_connection(r);
        return;
    }

    if (rc == LT_DECLINED) {
        r->content_handler = NULL;
        r->write_event_handler = lt_http_core_run_phases;
        lt_http_core_run_phases(r);
        return;
    }

    if (rc == LT_ERROR || rc == LT_HTTP_REQUEST_TIME_OUT
        || rc == LT_HTTP_CLIENT_CLOSED_REQUEST || c->error)
    {
        lt_http_terminate_request(r, rc);
        return;
    }

    if (rc >= LT_HTTP_SPECIAL_RESPONSE || rc == LT_HTTP_CREATED || rc == LT_HTTP_NO_CONTENT) {

        if (rc == LT_HTTP_CLOSE) {
            c->timedout = 1;
            lt_http_terminate_request(r, rc);
            return;
        }

        if (r == r->main) {
            if (c->read.timer_set) {
                lt_event_del_timer(&c->read);
            }

            if (c->write.timer_set) {
                lt_event_del_timer(&c->write);
            }
        }

        c->read.handler = lt_http_request_handler;
        c->write.handler = lt_http_request_handler;

        lt_http_finalize_request(r, lt_http_special_response_handler(r, rc));
        return;
    }

    if (r->buffered || c->buffered) {
        if (lt_http_set_write_handler(r) != LT_OK) {
            lt_http_terminate_request(r, 0);
        }

        return;
    }

    if (r != c->data) {
        lt_log_error(LT_LOG_ALERT, c->log, 0, "http finalize non-active request");
        return;
    }

    r->done = 1;

    r->read_event_handler = lt_http_block_reading;
    r->write_event_handler = lt_http_request_empty_handler;

    r->request_complete = 1;

    if (c->read.timer_set) {
        lt_event_del_timer(&c->read);
    }

    if (c->write.timer_set) {
        c->write.delayed = 0;
        lt_event_del_timer(&c->write);
    }

    lt_http_finalize_connection(r);
}


static void
lt_http_terminate_request(lt_http_request_t *r, int rc)
{
    lt_http_cleanup_t  *cln;
    lt_http_request_t  *mr;

    mr = r->main;

    if (rc > 0 && (mr->headers_out.status == 0 || mr->connection->sent == 0)) {
        /* what the log says, also when the close is posted */
        mr->headers_out.status = (unsigned) rc;
    }

    cln = mr->cleanup;
    mr->cleanup = NULL;

    while (cln) {
        if (cln->handler) {
            cln->handler(cln->data);
        }

        cln = cln->next;
    }

    if (mr->write_event_handler) {

        if (mr->blocked) {
            r->connection->error = 1;
            r->write_event_handler = lt_http_request_empty_handler;
            return;
        }

        /* the request is inside its handlers (a content phase, an internal
         * redirect, a filter that failed): code up the stack still uses it, so it
         * is closed by a posted event, after this event's handlers returned */
        if (mr->terminal == NULL) {
            mr->terminal = lt_pcalloc(mr->pool, sizeof(lt_event_t));
        }

        if (mr->terminal) {
            mr->terminal->data = mr;
            mr->terminal->handler = lt_http_terminal_handler;
            mr->write_event_handler = lt_http_terminate_write_handler;
            lt_post_event(mr->terminal, &lt_posted_events);
            return;
        }
    }

    mr->count = 1;

    lt_http_close_request(mr, rc);
}


static void
lt_http_terminal_handler(lt_event_t *ev)
{
    lt_http_request_t  *r = ev->data;

    r->count = 1;

    lt_http_close_request(r, 0);
}


/* lt_http_terminate_write_handler: a write event before the posted close */
static void
lt_http_terminate_write_handler(lt_http_request_t *r)
{
    if (r->terminal->posted) {
        lt_delete_posted_event(r->terminal);
    }

    lt_http_terminal_handler(r->terminal);
}


static void
lt_http_finalize_connection(lt_http_request_t *r)
{
    lt_http_core_loc_conf_t  *clcf;

    clcf = lt_http_get_module_loc_conf(r, lt_http_core_module);

    if (r->main->count != 1) {

        if (r->discard_body) {
            r->read_event_handler = lt_http_discarded_request_body_handler;
            lt_event_add_timer(&r->connection->read, clcf->lingering_timeout);

            if (r->lingering_time == 0) {
                r->lingering_time = lt_time() + (time_t) (clcf->lingering_time / 1000);
            }
        }

        lt_http_close_request(r, 0);
        return;
    }

    r = r->main;

    if (r->connection->read.eof) {
        lt_http_close_request(r, 0);
        return;
    }

    if (r->reading_body) {
        r->keepalive = 0;
        r->lingering_close = 1;
    }

    if (!lt_terminate && !lt_exiting && r->keepalive && clcf->keepalive_timeout > 0) {
        lt_http_set_keepalive(r);
        return;
    }

    if (clcf->lingering_close == LT_HTTP_LINGERING_ALWAYS
        || (clcf->lingering_close == LT_HTTP_LINGERING_ON
            && (r->lingering_close
                || r->header_in->pos < r->header_in->last
                || r->connection->read.ready
                || r->connection->read.pending_eof)))
    {
        lt_http_set_lingering_close(r->connection);
        return;
    }

    lt_http_close_request(r, 0);
}


static int
lt_http_set_write_handler(lt_http_request_t *r)
{
    lt_event_t               *wev;
    lt_http_core_loc_conf_t  *clcf;

    r->http_state = LT_HTTP_WRITING_REQUEST_STATE;

    r->read_event_handler = r->discard_body ? lt_http_discarded_request_body_handler
                                            : lt_http_test_reading;
    r->write_event_handler = lt_http_writer;

    wev = &r->connection->write;

    if (wev->ready && wev->delayed) {
        return LT_OK;
    }

    clcf = lt_http_get_module_loc_conf(r, lt_http_core_module);

    if (!wev->delayed) {
        lt_event_add_timer(wev, clcf->send_timeout);
    }

    return LT_OK;
}


void
lt_http_writer(lt_http_request_t *r)
{
    int                       rc;
    lt_event_t               *wev;
    lt_connection_t          *c;
    lt_http_core_loc_conf_t  *clcf;

    c = r->connection;
    wev = &c->write;

    clcf = lt_http_get_module_loc_conf(r->main, lt_http_core_module);

    if (wev->timedout) {
        lt_log_error(LT_LOG_INFO, c->log, ETIMEDOUT, "client timed out");
        c->timedout = 1;

        lt_http_finalize_request(r, LT_HTTP_REQUEST_TIME_OUT);
        return;
    }

    if (wev->delayed) {
        if (!wev->timer_set) {
            lt_event_add_timer(wev, clcf->send_timeout);
        }

        return;
    }

    rc = lt_http_output_filter(r, NULL);

    if (r->buffered || (r == r->main && c->buffered)) {

        if (!wev->delayed) {
            lt_event_add_timer(wev, clcf->send_timeout);
        }

        return;
    }

    if (wev->timer_set) {
        lt_event_del_timer(wev);
    }

    r->write_event_handler = lt_http_request_empty_handler;

    lt_http_finalize_request(r, rc);
}


void
lt_http_block_reading(lt_http_request_t *r)
{
    /* edge-triggered: nothing to unregister; data waits in the socket */
}


void
lt_http_test_reading(lt_http_request_t *r)
{
    int               n;
    char              buf[1];
    lt_event_t       *rev;
    lt_connection_t  *c;

    c = r->connection;
    rev = &c->read;

    if (rev->pending_eof) {
        rev->eof = 1;
        c->error = 1;

        lt_log_error(LT_LOG_INFO, c->log, 0, "client prematurely closed connection");

        if (r->main->blocked == 0) {
            lt_http_finalize_request(r, LT_HTTP_CLIENT_CLOSED_REQUEST);
        }

        return;
    }

    n = (int) recv(c->fd, buf, 1, MSG_PEEK);

    if (n == 0) {
        rev->eof = 1;
        c->error = 1;

        lt_log_error(LT_LOG_INFO, c->log, 0, "client prematurely closed connection");

        if (r->main->blocked == 0) {
            lt_http_finalize_request(r, LT_HTTP_CLIENT_CLOSED_REQUEST);
        }

        return;
    }

    if (n == -1 && errno != EAGAIN) {
        rev->eof = 1;
        c->error = 1;

        lt_log_error(LT_LOG_INFO, c->log, errno, "client prematurely closed connection");

        if (r->main->blocked == 0) {
            lt_http_finalize_request(r, LT_HTTP_CLIENT_CLOSED_REQUEST);
        }

        return;
    }

    /* pipelined data: it waits until this response is done */
    rev->ready = 0;
}


static void
lt_http_set_keepalive(lt_http_request_t *r)
{
    lt_buf_t                 *b;
    lt_event_t               *rev, *wev;
    lt_connection_t          *c;
    lt_http_connection_t     *hc;
    lt_http_core_loc_conf_t  *clcf;
    lt_chain_t               *cl;

    c = r->connection;
    rev = &c->read;
    hc = r->http_connection;

    clcf = lt_http_get_module_loc_conf(r, lt_http_core_module);

    b = r->header_in;

    if (b->pos < b->last && b != c->buffer) {
        /* the pipelined request is in a large header buffer: it becomes the
         * connection's buffer, the other large buffers become free */
        for (cl = hc->busy; cl; cl = cl->next) {
            if (cl->buf == b) {
                cl->buf = c->buffer;
                break;
            }
        }

        c->buffer = b;
    }

    r->keepalive = 0;

    lt_http_free_request(r, 0);

    c->data = hc;

    /* large header buffers are given back: the next request starts small */
    lt_http_release_large_buffers(hc);

    wev = &c->write;
    wev->handler = lt_http_empty_handler;

    if (b->pos < b->last) {

        /* the pipelined request */

        c->log->action = "reading client pipelined request line";

        r = lt_http_create_request(c);
        if (r == NULL) {
            lt_http_close_connection(c);
            return;
        }

        r->pipeline = 1;

        c->data = r;

        c->sent = 0;
        c->destroyed = 0;

        if (rev->timer_set) {
            lt_event_del_timer(rev);
        }

        rev->handler = lt_http_process_request_line;
        lt_post_event(rev, &lt_posted_events);
        return;
    }

    /* an idle keep-alive connection keeps no buffer */

    lt_http_buffer_release(c->buffer);
    c->buffer = NULL;

    rev->handler = lt_http_keepalive_handler;

    c->log->action = "keepalive";

    c->tcp_nopush = LT_TCP_NOPUSH_UNSET;

    if (c->tcp_nodelay == LT_TCP_NODELAY_UNSET && clcf->tcp_nodelay) {
        if (lt_tcp_nodelay(c) != LT_OK) {
            lt_http_close_connection(c);
            return;
        }
    }

    c->idle = 1;
    lt_reusable_connection(c, 1);

    lt_event_add_timer(rev, clcf->keepalive_timeout);

    if (rev->ready) {
        lt_post_event(rev, &lt_posted_events);
    }
}


static void
lt_http_keepalive_handler(lt_event_t *rev)
{
    ssize_t                   n;
    size_t                    size;
    lt_buf_t                 *b;
    lt_connection_t          *c;
    lt_http_connection_t     *hc;
    lt_http_core_srv_conf_t  *cscf;

    c = rev->data;

    if (rev->timedout || c->close) {
        lt_http_close_connection(c);
        return;
    }

    hc = c->data;
    cscf = ((lt_http_conf_ctx_t *) hc->conf_ctx)->srv_conf[lt_http_core_module.ctx_index];

    size = cscf->client_header_buffer_size;

    b = c->buffer;

    if (b == NULL) {
        b = lt_http_buffer_get(c, size);
        if (b == NULL) {
            lt_http_close_connection(c);
            return;
        }

        c->buffer = b;
    }

    c->log_error = LT_ERROR_IGNORE_ECONNRESET;
    errno = 0;

    n = lt_recv(c, b->last, b->end - b->last);

    c->log_error = LT_ERROR_INFO;

    if (n == LT_AGAIN) {
        if (b->pos == b->last) {
            lt_http_buffer_release(b);
            c->buffer = NULL;
        }

        return;
    }

    if (n == LT_ERROR) {
        lt_http_close_connection(c);
        return;
    }

    c->log->handler = NULL;

    if (n == 0) {
        lt_log_error(LT_LOG_INFO, c->log, errno, "client %.*s closed keepalive connection",
                     (int) c->addr_text.len, c->addr_text.data);
        lt_http_close_connection(c);
        return;
    }

    b->last += n;

    c->log->handler = lt_http_log_error;
    c->log->action = "reading client request line";

    c->idle = 0;
    lt_reusable_connection(c, 0);

    c->data = lt_http_create_request(c);
    if (c->data == NULL) {
        lt_http_close_connection(c);
        return;
    }

    c->sent = 0;
    c->destroyed = 0;

    lt_event_del_timer(rev);

    rev->handler = lt_http_process_request_line;
    lt_http_process_request_line(rev);
}


static void
lt_http_set_lingering_close(lt_connection_t *c)
{
    lt_event_t               *rev, *wev;
    lt_http_request_t        *r;
    lt_http_core_loc_conf_t  *clcf;

    r = c->data;

    clcf = lt_http_get_module_loc_conf(r, lt_http_core_module);

    if (r->lingering_time == 0) {
        r->lingering_time = lt_time() + (time_t) (clcf->lingering_time / 1000);
    }

    rev = &c->read;
    rev->handler = lt_http_lingering_close_handler;

    lt_event_add_timer(rev, clcf->lingering_timeout);

    wev = &c->write;
    wev->handler = lt_http_empty_handler;

#if (LT_MODULE_HTTP_SSL)
    /* close_notify; what the client still sends is read and dropped */
    (void) lt_ssl_close_notify(c);
#endif

    if (shutdown(c->fd, SHUT_WR) == -1) {
        lt_connection_error(c, errno, "shutdown() failed");
        lt_http_close_request(r, 0);
        return;
    }

    c->close = 0;
    lt_reusable_connection(c, 1);

    if (rev->ready) {
        lt_http_lingering_close_handler(rev);
    }
}


static void
lt_http_lingering_close_handler(lt_event_t *rev)
{
    ssize_t                   n;
    int64_t                   timer;
    lt_connection_t          *c;
    lt_http_request_t        *r;
    lt_http_core_loc_conf_t  *clcf;
    u_char                    buffer[LT_HTTP_LINGERING_BUFFER_SIZE];

    c = rev->data;
    r = c->data;

    if (rev->timedout || c->close) {
        lt_http_close_request(r, 0);
        return;
    }

    timer = (int64_t) r->lingering_time - (int64_t) lt_time();
    if (timer <= 0) {
        lt_http_close_request(r, 0);
        return;
    }

    do {
        n = lt_recv(c, buffer, LT_HTTP_LINGERING_BUFFER_SIZE);

        if (n == LT_AGAIN) {
            break;
        }

        if (n == LT_ERROR || n == 0) {
            lt_http_close_request(r, 0);
            return;
        }

    } while (rev->ready);

    clcf = lt_http_get_module_loc_conf(r, lt_http_core_module);

    timer *= 1000;

    if ((uint64_t) timer > clcf->lingering_timeout) {
        timer = (int64_t) clcf->lingering_timeout;
    }

    lt_event_add_timer(rev, (uint64_t) timer);
}


static void
lt_http_empty_handler(lt_event_t *wev)
{
}


void
lt_http_request_empty_handler(lt_http_request_t *r)
{
}


void
lt_http_log_request(lt_http_request_t *r)
{
    size_t                     i, n;
    lt_http_handler_pt        *log_handler;
    lt_http_core_main_conf_t  *cmcf;

    if (r->logged) {
        return;
    }

    r->logged = 1;

    cmcf = lt_http_get_module_main_conf(r, lt_http_core_module);

    log_handler = cmcf->phases[LT_HTTP_LOG_PHASE].handlers.elts;
    n = cmcf->phases[LT_HTTP_LOG_PHASE].handlers.nelts;

    for (i = 0; i < n; i++) {
        log_handler[i](r);
    }
}


lt_http_cleanup_t *
lt_http_cleanup_add(lt_http_request_t *r, size_t size)
{
    lt_http_cleanup_t  *cln;

    r = r->main;

    cln = lt_palloc(r->pool, sizeof(lt_http_cleanup_t));
    if (cln == NULL) {
        return NULL;
    }

    if (size) {
        cln->data = lt_palloc(r->pool, size);
        if (cln->data == NULL) {
            return NULL;
        }

    } else {
        cln->data = NULL;
    }

    cln->handler = NULL;
    cln->next = r->cleanup;

    r->cleanup = cln;

    return cln;
}


void
lt_http_free_request(lt_http_request_t *r, int rc)
{
    lt_log_t           *log;
    lt_connection_t    *c;
    lt_http_cleanup_t  *cln;
    lt_http_log_ctx_t  *ctx;

    c = r->connection;
    log = c->log;

    if (r->pool == NULL) {
        lt_log_error(LT_LOG_ALERT, log, 0, "http request already closed");
        return;
    }

    if (r->terminal && r->terminal->posted) {
        /* closed another way before its posted close ran */
        lt_delete_posted_event(r->terminal);
    }

    cln = r->cleanup;
    r->cleanup = NULL;

    while (cln) {
        if (cln->handler) {
            cln->handler(cln->data);
        }

        cln = cln->next;
    }

    if (rc > 0 && (r->headers_out.status == 0 || c->sent == 0)) {
        r->headers_out.status = (unsigned) rc;
    }

    log->action = "logging request";

    lt_http_log_request(r);

    log->action = "closing request";

    if (r->connection->timedout) {
        lt_http_core_loc_conf_t  *clcf;

        clcf = lt_http_get_module_loc_conf(r, lt_http_core_module);

        if (clcf->reset_timedout_connection) {
            struct linger  linger;

            linger.l_onoff = 1;
            linger.l_linger = 0;

            if (setsockopt(r->connection->fd, SOL_SOCKET, SO_LINGER, &linger,
                           sizeof(struct linger)) == -1)
            {
                lt_log_error(LT_LOG_ALERT, log, errno, "setsockopt(SO_LINGER) failed");
            }
        }
    }

    /* the various request strings were allocated from r->pool */
    ctx = log->data;
    ctx->request = NULL;
    ctx->current_request = NULL;

    if (r->stat_reading) {
        lt_stat_add(reading, -1);
    }

    if (r->stat_writing) {
        lt_stat_add(writing, -1);
    }

    r->request_line.len = 0;

    c->destroyed = 1;
    c->data = r->http_connection;

    lt_http_pool_release(r->pool);
}


void
lt_http_close_request(lt_http_request_t *r, int rc)
{
    lt_connection_t  *c;

    r = r->main;
    c = r->connection;

    if (r->count == 0) {
        lt_log_error(LT_LOG_ALERT, c->log, 0, "http request count is zero");
    }

    r->count--;

    if (r->count || r->blocked) {
        return;
    }

    lt_http_free_request(r, rc);
    lt_http_close_connection(c);
}


void
lt_http_close_connection(lt_connection_t *c)
{
    lt_pool_t             *pool;
    lt_http_connection_t  *hc;

    lt_stat_add(active, -1);

    c->destroyed = 1;

    lt_http_buffer_release(c->buffer);
    c->buffer = NULL;

    /* lt_http_free_request left c->data at the connection's HTTP state */
    hc = c->data;

    if (hc) {
        lt_http_release_large_buffers(hc);
    }

    pool = c->pool;

#if (LT_MODULE_HTTP_SSL)
    (void) lt_ssl_shutdown(c);
#endif

    lt_close_connection(c);

    lt_destroy_pool(pool);
}


u_char *
lt_http_log_error(lt_log_t *log, u_char *buf, size_t len)
{
    u_char             *p, *last;
    lt_http_request_t  *r;
    lt_http_log_ctx_t  *ctx;

    last = buf + len;
    p = buf;

    if (log->action) {
        p = lt_slprintf(p, last, " while %s", log->action);
    }

    ctx = log->data;

    p = lt_slprintf(p, last, ", client: %.*s", (int) ctx->client->len, ctx->client->data);

    r = ctx->request;

    if (r) {
        lt_http_core_srv_conf_t  *cscf;

        cscf = lt_http_get_module_srv_conf(r, lt_http_core_module);

        p = lt_slprintf(p, last, ", server: %.*s", (int) cscf->server_name.len,
                        cscf->server_name.data);

        if (r->request_line.len) {
            p = lt_slprintf(p, last, ", request: \"%.*s\"", (int) r->request_line.len,
                            r->request_line.data);
        }

        if (r->upstream) {
            p = lt_http_upstream_log_error(r, p, last - p);
        }

        if (r->headers_in.host) {
            p = lt_slprintf(p, last, ", host: \"%.*s\"", (int) r->headers_in.host->value.len,
                            r->headers_in.host->value.data);
        }

        if (r->headers_in.referer) {
            p = lt_slprintf(p, last, ", referrer: \"%.*s\"",
                            (int) r->headers_in.referer->value.len,
                            r->headers_in.referer->value.data);
        }

    } else if (ctx->connection && ctx->connection->listening) {
        p = lt_slprintf(p, last, ", server: %.*s",
                        (int) ctx->connection->listening->addr_text.len,
                        ctx->connection->listening->addr_text.data);
    }

    return p;
}
