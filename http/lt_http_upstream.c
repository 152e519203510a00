/*
 * lt_http_upstream.c: the upstream core (see lt_http_upstream.h): the life of a
 * proxied request: connect (and TLS: lt_http_upstream_ssl.c), send, read the
 * header, retry on the next peer, finalize. The body's relay (unbuffered,
 * buffered through lt_event_pipe, or as a two-way tunnel after 101) is in
 * lt_http_upstream_relay.c; the response headers' table in
 * lt_http_upstream_headers.c; upstream{}, "server" and the $upstream_*
 * variables in lt_http_upstream_conf.c.
 *
 * Events: the upstream connection's read and write handlers are
 * lt_http_upstream_handler, which dispatches to u->read_event_handler and
 * u->write_event_handler; the client's go to r->read_event_handler and
 * r->write_event_handler as for any request. Every wait has a timer:
 * connect_timeout, send_timeout, read_timeout on the upstream side,
 * send_timeout on the client side.
 */

#include "lt_http.h"
#include "lt_http_upstream_int.h"
#include "lt_http_upstream_round_robin.h"
#include "lt_resolver.h"

static void lt_http_upstream_init_request(lt_http_request_t *r);
static void lt_http_upstream_connect(lt_http_request_t *r, lt_http_upstream_t *u);
static void lt_http_upstream_ssl_handshake(lt_http_request_t *r, lt_http_upstream_t *u);
static int lt_http_upstream_resolve(lt_http_request_t *r, lt_http_upstream_t *u);
static void lt_http_upstream_resolve_handler(lt_resolver_ctx_t *ctx);
static int lt_http_upstream_reinit(lt_http_request_t *r, lt_http_upstream_t *u);
static void lt_http_upstream_send_request(lt_http_request_t *r, lt_http_upstream_t *u,
    unsigned do_write);
static int lt_http_upstream_send_request_body(lt_http_request_t *r, lt_http_upstream_t *u,
    unsigned do_write);
static void lt_http_upstream_send_request_handler(lt_http_request_t *r,
    lt_http_upstream_t *u);
static void lt_http_upstream_read_request_handler(lt_http_request_t *r);
static void lt_http_upstream_process_header(lt_http_request_t *r, lt_http_upstream_t *u);
static int lt_http_upstream_test_next(lt_http_request_t *r, lt_http_upstream_t *u);
static int lt_http_upstream_intercept_errors(lt_http_request_t *r, lt_http_upstream_t *u);
static int lt_http_upstream_test_connect(lt_connection_t *c);
static int lt_http_upstream_process_headers(lt_http_request_t *r, lt_http_upstream_t *u);
void lt_http_upstream_dummy_handler(lt_http_request_t *r, lt_http_upstream_t *u);
void lt_http_upstream_next(lt_http_request_t *r, lt_http_upstream_t *u,
    unsigned ft_type);
static void lt_http_upstream_cleanup(void *data);
void lt_http_upstream_finalize_request(lt_http_request_t *r, lt_http_upstream_t *u,
    int rc);
static void lt_http_upstream_close_peer(lt_http_upstream_t *u);
static void lt_http_upstream_handler(lt_event_t *ev);
static void lt_http_upstream_rd_check_broken_connection(lt_http_request_t *r);
static void lt_http_upstream_wr_check_broken_connection(lt_http_request_t *r);
static void lt_http_upstream_check_broken_connection(lt_http_request_t *r, lt_event_t *ev);

/* next_upstream conditions that are HTTP statuses */
static const struct {
    unsigned  status;
    unsigned  mask;
} lt_http_upstream_next_errors[] = {
    { 500, LT_HTTP_UPSTREAM_FT_HTTP_500 },
    { 502, LT_HTTP_UPSTREAM_FT_HTTP_502 },
    { 503, LT_HTTP_UPSTREAM_FT_HTTP_503 },
    { 504, LT_HTTP_UPSTREAM_FT_HTTP_504 },
    { 403, LT_HTTP_UPSTREAM_FT_HTTP_403 },
    { 404, LT_HTTP_UPSTREAM_FT_HTTP_404 },
    { 429, LT_HTTP_UPSTREAM_FT_HTTP_429 },
    { 0, 0 }
};


#define lt_http_upstream_non_idempotent(r)                                    \
    ((r)->method & (LT_HTTP_POST | LT_HTTP_LOCK | LT_HTTP_PATCH))


/* the request's life */

int
lt_http_upstream_create(lt_http_request_t *r)
{
    lt_array_t                *states;
    lt_http_upstream_t        *u;
    lt_http_upstream_state_t  *sep;

    u = r->upstream;
    states = NULL;

    if (u) {
        if (u->cleanup) {
            /* an earlier upstream of this request is still open (a redirect) */
            r->main->count++;
            lt_http_upstream_cleanup(r);
        }

        states = u->states;
    }

    u = lt_pcalloc(r->pool, sizeof(lt_http_upstream_t));
    if (u == NULL) {
        return LT_ERROR;
    }

    r->upstream = u;

    if (states) {
        /* tries of an earlier location: $upstream_addr gets " : " between */
        sep = lt_array_push(states);
        if (sep == NULL) {
            return LT_ERROR;
        }

        lt_memzero(sep, sizeof(lt_http_upstream_state_t));
        u->states = states;
    }

    u->peer.log = r->connection->log;
    u->peer.log_error = LT_ERROR_ERR;

    u->headers_in.content_length_n = -1;
    u->headers_in.last_modified_time = -1;

    u->output_tag = (lt_buf_tag_t) &lt_http_upstream_module;

    return LT_OK;
}


void
lt_http_upstream_init(lt_http_request_t *r)
{
    lt_connection_t  *c;

    c = r->connection;

    if (c->read.timer_set) {
        lt_event_del_timer(&c->read);
    }

    lt_http_upstream_init_request(r);
}


/* lt_http_upstream_find_resolved: the upstream{} or implicit upstream that
 * "proxy_pass http://$var" names, or peers for a literal address */
static int
lt_http_upstream_find_resolved(lt_http_request_t *r, lt_http_upstream_t *u,
    lt_http_upstream_srv_conf_t **uscfp)
{
    size_t                          i;
    lt_str_t                       *host;
    socklen_t                       len;
    struct sockaddr_storage         ss;
    lt_http_upstream_srv_conf_t   **uscf;
    lt_http_upstream_main_conf_t   *umcf;
    u_char                          text[LT_SOCKADDR_STRLEN];

    *uscfp = NULL;

    if (u->resolved->sockaddr) {
        /* unix: and literal addresses: one peer */
        u->resolved->naddrs = 1;
        u->resolved->addrs = lt_pcalloc(r->pool, sizeof(lt_addr_t));
        if (u->resolved->addrs == NULL) {
            return LT_ERROR;
        }

        u->resolved->addrs[0].sockaddr = u->resolved->sockaddr;
        u->resolved->addrs[0].socklen = u->resolved->socklen;
        u->resolved->addrs[0].name = u->resolved->name;

        return lt_http_upstream_create_round_robin_peer(r, u->resolved);
    }

    host = &u->resolved->host;

    umcf = lt_http_get_module_main_conf(r, lt_http_upstream_module);
    uscf = umcf->upstreams.elts;

    for (i = 0; i < umcf->upstreams.nelts; i++) {
        if (uscf[i]->host.len == host->len
            && lt_strncasecmp(uscf[i]->host.data, host->data, host->len) == 0
            && ((uscf[i]->port == 0 && u->resolved->no_port)
                || uscf[i]->port == u->resolved->port))
        {
            *uscfp = uscf[i];
            return LT_OK;
        }
    }

    if (lt_parse_addr(host->data, host->len, &ss, &len) == LT_OK) {
        lt_inet_set_port((struct sockaddr *) &ss, u->resolved->port ? u->resolved->port : 80);

        u->resolved->addrs = lt_pcalloc(r->pool, sizeof(lt_addr_t));
        if (u->resolved->addrs == NULL) {
            return LT_ERROR;
        }

        u->resolved->addrs[0].sockaddr = lt_palloc(r->pool, len);
        if (u->resolved->addrs[0].sockaddr == NULL) {
            return LT_ERROR;
        }

        memcpy(u->resolved->addrs[0].sockaddr, &ss, len);
        u->resolved->addrs[0].socklen = len;

        u->resolved->addrs[0].name.len = lt_sock_ntop((struct sockaddr *) &ss, len, text,
                                                      sizeof(text), 1);
        u->resolved->addrs[0].name.data = lt_pnalloc(r->pool,
                                                     u->resolved->addrs[0].name.len);
        if (u->resolved->addrs[0].name.data == NULL) {
            return LT_ERROR;
        }

        memcpy(u->resolved->addrs[0].name.data, text, u->resolved->addrs[0].name.len);
        u->resolved->naddrs = 1;

        return lt_http_upstream_create_round_robin_peer(r, u->resolved);
    }

    return lt_http_upstream_resolve(r, u);
}


/* lt_http_upstream_resolve: a name at run time: asks the location's resolver;
 * LT_AGAIN (the handler goes on), LT_DECLINED (502), LT_ERROR */
static int
lt_http_upstream_resolve(lt_http_request_t *r, lt_http_upstream_t *u)
{
    lt_resolver_ctx_t        *ctx;
    lt_http_core_loc_conf_t  *clcf;

    clcf = lt_http_get_module_loc_conf(r, lt_http_core_module);

    if (clcf->resolver == NULL) {
        lt_log_error(LT_LOG_ERR, r->connection->log, 0, "no resolver defined to resolve %.*s",
                     (int) u->resolved->host.len, u->resolved->host.data);
        return LT_DECLINED;
    }

    ctx = lt_resolve_start(clcf->resolver, r->pool);
    if (ctx == NULL) {
        return LT_ERROR;
    }

    ctx->name = u->resolved->host;
    ctx->handler = lt_http_upstream_resolve_handler;
    ctx->data = r;
    ctx->timeout = clcf->resolver_timeout;

    u->resolved->ctx = ctx;

    /* the handler may run at once (a cached answer), then r may be gone */
    if (lt_resolve_name(ctx) != LT_OK) {
        u->resolved->ctx = NULL;
        return LT_ERROR;
    }

    return LT_AGAIN;
}


/* lt_http_upstream_resolve_handler: the name's addresses (round robin over
 * them, next_upstream across them), or 502 */
static void
lt_http_upstream_resolve_handler(lt_resolver_ctx_t *ctx)
{
    size_t                        i;
    unsigned                      async;
    lt_connection_t              *c;
    lt_http_request_t            *r;
    lt_http_upstream_t           *u;
    lt_http_upstream_resolved_t  *ur;
    u_char                        text[LT_SOCKADDR_STRLEN];

    r = ctx->data;
    c = r->connection;
    u = r->upstream;
    ur = u->resolved;
    async = ctx->async;

    if (ctx->state) {
        lt_log_error(LT_LOG_ERR, c->log, 0, "%.*s could not be resolved (%d: %s)",
                     (int) ctx->name.len, ctx->name.data, ctx->state,
                     lt_resolver_strerror(ctx->state));
        lt_http_upstream_finalize_request(r, u, LT_HTTP_BAD_GATEWAY);
        goto done;
    }

    for (i = 0; i < ctx->naddrs; i++) {
        lt_inet_set_port(ctx->addrs[i].sockaddr, ur->port ? ur->port : 80);
        ctx->addrs[i].name.len = lt_sock_ntop(ctx->addrs[i].sockaddr, ctx->addrs[i].socklen,
                                              text, sizeof(text), 1);
        ctx->addrs[i].name.data = lt_pnalloc(r->pool, ctx->addrs[i].name.len);

        if (ctx->addrs[i].name.data == NULL) {
            lt_http_upstream_finalize_request(r, u, LT_HTTP_INTERNAL_SERVER_ERROR);
            goto done;
        }

        memcpy(ctx->addrs[i].name.data, text, ctx->addrs[i].name.len);
    }

    ur->naddrs = ctx->naddrs;
    ur->addrs = ctx->addrs;

    lt_resolve_name_done(ctx);
    ur->ctx = NULL;

    if (lt_http_upstream_create_round_robin_peer(r, ur) != LT_OK) {
        lt_http_upstream_finalize_request(r, u, LT_HTTP_INTERNAL_SERVER_ERROR);
        goto done;
    }

    u->peer.start_time = lt_current_msec;

    if (u->conf->next_upstream_tries && u->peer.tries > u->conf->next_upstream_tries) {
        u->peer.tries = u->conf->next_upstream_tries;
    }

    lt_http_upstream_connect(r, u);

done:

    if (async) {
        lt_http_run_posted_requests(c);
    }
}


int
lt_http_upstream_parse_addr_port(const u_char *text, size_t len, struct sockaddr_storage *ss,
    socklen_t *socklen)
{
    const u_char  *p, *last, *colon;
    int64_t        port;

    last = text + len;
    colon = NULL;

    if (len && text[0] == '[') {
        p = memchr(text, ']', len);
        if (p == NULL) {
            return LT_DECLINED;
        }

        if (p + 1 < last) {
            if (p[1] != ':') {
                return LT_DECLINED;
            }

            colon = p + 1;
        }

        text++;
        len = p - text;

    } else {
        p = memchr(text, ':', len);

        if (p && memchr(p + 1, ':', last - p - 1) == NULL) {
            colon = p;
            len = p - text;
        }
    }

    if (lt_parse_addr(text, len, ss, socklen) != LT_OK) {
        return LT_DECLINED;
    }

    if (colon) {
        port = lt_atoi(colon + 1, last - colon - 1);

        if (port < 0 || port > 65535) {
            return LT_DECLINED;
        }

        lt_inet_set_port((struct sockaddr *) ss, (in_port_t) port);
    }

    return LT_OK;
}


/* lt_http_upstream_set_local: proxy_bind for this request */
static int
lt_http_upstream_set_local(lt_http_request_t *r, lt_http_upstream_t *u,
    lt_http_upstream_local_t *local)
{
    int         rc;
    lt_str_t    val;
    lt_addr_t  *addr;
    socklen_t   len;
    struct sockaddr_storage  ss;

    if (local == NULL) {
        u->peer.local = NULL;
        return LT_OK;
    }

    u->peer.transparent = local->transparent;

    if (local->value == NULL) {
        u->peer.local = local->addr;
        return LT_OK;
    }

    if (lt_http_complex_value(r, local->value, &val) != LT_OK) {
        return LT_ERROR;
    }

    if (val.len == 0) {
        return LT_OK;
    }

    rc = lt_http_upstream_parse_addr_port(val.data, val.len, &ss, &len);

    if (rc != LT_OK) {
        lt_log_error(LT_LOG_ERR, r->connection->log, 0, "invalid local address \"%.*s\"",
                     (int) val.len, val.data);
        return LT_OK;
    }

    addr = lt_palloc(r->pool, sizeof(lt_addr_t));
    if (addr == NULL) {
        return LT_ERROR;
    }

    addr->sockaddr = lt_palloc(r->pool, len);
    if (addr->sockaddr == NULL) {
        return LT_ERROR;
    }

    memcpy(addr->sockaddr, &ss, len);
    addr->socklen = len;
    addr->name = val;

    u->peer.local = addr;

    return LT_OK;
}


static void
lt_http_upstream_init_request(lt_http_request_t *r)
{
    int                           rc;
    lt_http_cleanup_t            *cln;
    lt_http_upstream_t           *u;
    lt_http_upstream_srv_conf_t  *uscf;

    u = r->upstream;

    if (u->states == NULL) {
        u->states = lt_array_create(r->pool, 1, sizeof(lt_http_upstream_state_t));
        if (u->states == NULL) {
            lt_http_finalize_request(r, LT_HTTP_INTERNAL_SERVER_ERROR);
            return;
        }
    }

    if (u->body_streaming && !r->request_body_no_buffering) {
        /* the whole body came with the header: it is sent as a buffered one */
        u->body_streaming = 0;
        u->chunked_body = 0;
    }

    if (u->create_request(r) != LT_OK) {
        lt_http_finalize_request(r, LT_HTTP_INTERNAL_SERVER_ERROR);
        return;
    }

    if (lt_http_upstream_set_local(r, u, u->conf->local) != LT_OK) {
        lt_http_finalize_request(r, LT_HTTP_INTERNAL_SERVER_ERROR);
        return;
    }

    u->peer.so_keepalive = u->conf->socket_keepalive ? 1 : 0;

    cln = lt_http_cleanup_add(r, 0);
    if (cln == NULL) {
        lt_http_finalize_request(r, LT_HTTP_INTERNAL_SERVER_ERROR);
        return;
    }

    cln->handler = lt_http_upstream_cleanup;
    cln->data = r;
    u->cleanup = &cln->handler;

    if (u->resolved == NULL) {
        uscf = u->conf->upstream;

    } else {
        /* a lookup may finish at once: the handlers must be in place before */
        r->read_event_handler = lt_http_upstream_rd_check_broken_connection;
        r->write_event_handler = lt_http_upstream_wr_check_broken_connection;

        rc = lt_http_upstream_find_resolved(r, u, &uscf);

        if (rc == LT_AGAIN) {
            /* lt_http_upstream_resolve_handler goes on */
            return;
        }

        if (rc == LT_DECLINED) {
            lt_http_upstream_finalize_request(r, u, LT_HTTP_BAD_GATEWAY);
            return;
        }

        if (rc != LT_OK) {
            lt_http_upstream_finalize_request(r, u, LT_HTTP_INTERNAL_SERVER_ERROR);
            return;
        }

        if (uscf == NULL) {
            goto connect;
        }
    }

    if (uscf == NULL) {
        /* a handler without proxy_pass: an "if" that matched after one with it */
        lt_log_error(LT_LOG_ALERT, r->connection->log, 0, "no upstream configuration");
        lt_http_upstream_finalize_request(r, u, LT_HTTP_INTERNAL_SERVER_ERROR);
        return;
    }

    if (uscf->peer.init(r, uscf) != LT_OK) {
        lt_http_upstream_finalize_request(r, u, LT_HTTP_INTERNAL_SERVER_ERROR);
        return;
    }

    u->upstream = uscf;

connect:

    u->peer.start_time = lt_current_msec;

    if (u->conf->next_upstream_tries && u->peer.tries > u->conf->next_upstream_tries) {
        u->peer.tries = u->conf->next_upstream_tries;
    }

    r->read_event_handler = lt_http_upstream_rd_check_broken_connection;
    r->write_event_handler = lt_http_upstream_wr_check_broken_connection;

    lt_http_upstream_connect(r, u);
}


/* lt_http_upstream_buf_copy: a copy of a buffer's description (not its bytes) */
static lt_buf_t *
lt_http_upstream_buf_copy(lt_pool_t *pool, lt_buf_t *b)
{
    lt_buf_t  *nb;

    nb = lt_palloc(pool, sizeof(lt_buf_t));
    if (nb == NULL) {
        return NULL;
    }

    *nb = *b;
    nb->shadow = NULL;

    return nb;
}


/* lt_http_upstream_copy_out: u->out gets copies of the request's buffers, so
 * that a retry can send them again from the start */
static int
lt_http_upstream_copy_out(lt_http_request_t *r, lt_http_upstream_t *u)
{
    lt_buf_t     *b;
    lt_chain_t   *cl, *ln, **ll;

    u->out = NULL;
    ll = &u->out;

    for (cl = u->request_bufs; cl; cl = cl->next) {
        if (lt_buf_size(cl->buf) == 0) {
            continue;
        }

        b = lt_http_upstream_buf_copy(r->pool, cl->buf);
        ln = lt_alloc_chain_link(r->pool);

        if (b == NULL || ln == NULL) {
            return LT_ERROR;
        }

        b->last_buf = 0;
        b->flush = 0;

        ln->buf = b;
        ln->next = NULL;
        *ll = ln;
        ll = &ln->next;
    }

    return LT_OK;
}


static void
lt_http_upstream_connect(lt_http_request_t *r, lt_http_upstream_t *u)
{
    int                        rc;
    lt_connection_t           *c;
    lt_http_upstream_state_t  *state;

    r->connection->log->action = "connecting to upstream";

    if (u->state && u->state->response_time == (uint64_t) -1) {
        u->state->response_time = lt_current_msec - u->start_time;
    }

    state = lt_array_push(u->states);
    if (state == NULL) {
        lt_http_upstream_finalize_request(r, u, LT_HTTP_INTERNAL_SERVER_ERROR);
        return;
    }

    lt_memzero(state, sizeof(lt_http_upstream_state_t));

    u->state = state;
    u->start_time = lt_current_msec;

    state->response_time = (uint64_t) -1;
    state->connect_time = (uint64_t) -1;
    state->header_time = (uint64_t) -1;

    u->response_received = 0;

    rc = lt_event_connect_peer(&u->peer);

    if (rc == LT_ERROR) {
        lt_http_upstream_finalize_request(r, u, LT_HTTP_INTERNAL_SERVER_ERROR);
        return;
    }

    u->state->peer = u->peer.name;

    if (rc == LT_BUSY) {
        lt_log_error(LT_LOG_ERR, r->connection->log, 0, "no live upstreams");
        lt_http_upstream_next(r, u, LT_HTTP_UPSTREAM_FT_NOLIVE);
        return;
    }

    if (rc == LT_DECLINED) {
        lt_http_upstream_next(r, u, LT_HTTP_UPSTREAM_FT_ERROR);
        return;
    }

    /* rc == LT_OK || rc == LT_AGAIN || rc == LT_DONE */

    c = u->peer.connection;

    c->requests++;
    c->data = r;
    c->log = r->connection->log;

    if (c->ssl == NULL) {
        /* (a TLS connection keeps the pool of its TLS state) */
        c->pool = r->pool;
    }

    c->write.handler = lt_http_upstream_handler;
    c->read.handler = lt_http_upstream_handler;

    u->write_event_handler = lt_http_upstream_send_request_handler;
    u->read_event_handler = lt_http_upstream_process_header;

    u->sent_start = c->sent;

    if (c->read.timer_set) {
        lt_event_del_timer(&c->read);
    }

    if (u->request_sent) {
        if (lt_http_upstream_reinit(r, u) != LT_OK) {
            lt_http_upstream_finalize_request(r, u, LT_HTTP_INTERNAL_SERVER_ERROR);
            return;
        }
    }

    if (u->body_streaming) {
        u->out = NULL;

    } else if (lt_http_upstream_copy_out(r, u) != LT_OK) {
        lt_http_upstream_finalize_request(r, u, LT_HTTP_INTERNAL_SERVER_ERROR);
        return;
    }

    u->request_sent = 0;
    u->request_body_sent = 0;
    u->request_body_blocked = 0;

    if (u->ssl && c->ssl == NULL) {
        /* TLS first (a reused keepalive connection has it already) */
        u->write_event_handler = lt_http_upstream_ssl_handshake;
        u->read_event_handler = lt_http_upstream_ssl_handshake;
    }

    if (rc == LT_AGAIN) {
        u->connecting = 1;
        lt_event_add_timer(&c->write, u->conf->connect_timeout);
        return;
    }

    u->connecting = 0;

    if (u->ssl && c->ssl == NULL) {
        lt_http_upstream_ssl_handshake(r, u);
        return;
    }

    lt_http_upstream_send_request(r, u, 1);
}


/* lt_http_upstream_ssl_handshake: the TLS handshake with the upstream, within
 * proxy_connect_timeout (counted from the connect), then the request */
static void
lt_http_upstream_ssl_handshake(lt_http_request_t *r, lt_http_upstream_t *u)
{
    int               rc;
    lt_connection_t  *c;

    c = u->peer.connection;

    if (c->write.timedout || c->read.timedout) {
        lt_http_upstream_next(r, u, LT_HTTP_UPSTREAM_FT_TIMEOUT);
        return;
    }

    if (u->connecting) {
        if (lt_http_upstream_test_connect(c) != LT_OK) {
            lt_http_upstream_next(r, u, LT_HTTP_UPSTREAM_FT_ERROR);
            return;
        }

        u->connecting = 0;
    }

    if (c->ssl == NULL && lt_http_upstream_ssl_start(r, u, c) != LT_OK) {
        lt_http_upstream_finalize_request(r, u, LT_HTTP_INTERNAL_SERVER_ERROR);
        return;
    }

    c->log->action = "SSL handshaking to upstream";

    rc = lt_ssl_handshake(c);

    if (rc == LT_AGAIN) {
        if (!c->write.timer_set) {
            lt_event_add_timer(&c->write, u->conf->connect_timeout);
        }

        return;
    }

    if (rc != LT_OK || lt_http_upstream_ssl_done(r, u, c) != LT_OK) {
        lt_http_upstream_next(r, u, LT_HTTP_UPSTREAM_FT_ERROR);
        return;
    }

    if (c->write.timer_set) {
        lt_event_del_timer(&c->write);
    }

    u->write_event_handler = lt_http_upstream_send_request_handler;
    u->read_event_handler = lt_http_upstream_process_header;

    lt_http_upstream_send_request(r, u, 1);
}


static int
lt_http_upstream_reinit(lt_http_request_t *r, lt_http_upstream_t *u)
{
    if (u->reinit_request(r) != LT_OK) {
        return LT_ERROR;
    }

    u->keepalive = 0;
    u->upgrade = 0;
    u->error = 0;

    lt_memzero(&u->headers_in, sizeof(lt_http_upstream_headers_in_t));
    u->headers_in.content_length_n = -1;
    u->headers_in.last_modified_time = -1;

    if (u->buffer.start) {
        if (lt_list_init(&u->headers_in.headers, r->pool, 8, sizeof(lt_table_elt_t)) != LT_OK
            || lt_list_init(&u->headers_in.trailers, r->pool, 2, sizeof(lt_table_elt_t))
               != LT_OK)
        {
            return LT_ERROR;
        }

        u->buffer.pos = u->buffer.start;
        u->buffer.last = u->buffer.start;
    }

    u->out_bufs = NULL;
    u->busy_bufs = NULL;
    u->free_bufs = NULL;
    u->length = 0;

    return LT_OK;
}


/* lt_http_upstream_test_connect: the result of a connect in progress: only asked
 * when an event says something happened on the socket besides "writable" */
static int
lt_http_upstream_test_connect(lt_connection_t *c)
{
    int  err;

    if (!c->read.ready && !c->read.pending_eof && !c->write.error && !c->read.error) {
        return LT_OK;
    }

    if (lt_event_connect_test(c, &err) != LT_OK) {
        c->log->action = "connecting to upstream";
        (void) lt_connection_error(c, err, "connect() failed");
        return LT_ERROR;
    }

    return LT_OK;
}


static void
lt_http_upstream_send_request(lt_http_request_t *r, lt_http_upstream_t *u, unsigned do_write)
{
    int               rc;
    lt_connection_t  *c;

    c = u->peer.connection;

    if (u->state->connect_time == (uint64_t) -1) {
        u->state->connect_time = lt_current_msec - u->start_time;
    }

    if (!u->request_sent) {
        if (u->connecting && lt_http_upstream_test_connect(c) != LT_OK) {
            lt_http_upstream_next(r, u, LT_HTTP_UPSTREAM_FT_ERROR);
            return;
        }

        u->connecting = 0;
    }

    c->log->action = "sending request to upstream";

    rc = lt_http_upstream_send_request_body(r, u, do_write);

    if (rc == LT_ERROR) {
        if (!u->response_received && u->peer.cached
            && lt_http_upstream_retry_fresh(r, u) == LT_OK)
        {
            return;
        }

        lt_http_upstream_next(r, u, LT_HTTP_UPSTREAM_FT_ERROR);
        return;
    }

    if (rc >= LT_HTTP_SPECIAL_RESPONSE) {
        lt_http_upstream_finalize_request(r, u, rc);
        return;
    }

    if (rc == LT_AGAIN) {
        if (!c->write.ready || u->request_body_blocked) {
            lt_event_add_timer(&c->write, u->conf->send_timeout);

        } else if (c->write.timer_set) {
            lt_event_del_timer(&c->write);
        }

        if (!u->read_timer_armed) {
            /* the response may come before the whole body is sent */
            u->read_timer_armed = 1;
            lt_event_add_timer(&c->read, u->conf->read_timeout);
        }

        return;
    }

    /* rc == LT_OK: the whole request went out */

    if (c->write.timer_set) {
        lt_event_del_timer(&c->write);
    }

    u->write_event_handler = lt_http_upstream_dummy_handler;
    u->request_body_sent = 1;

    lt_event_add_timer(&c->read, u->conf->read_timeout);
    u->read_timer_armed = 1;

    if (c->read.ready) {
        lt_http_upstream_process_header(r, u);
    }
}


/* lt_http_upstream_chunk_frame: a "size CRLF" buffer for len bytes, the CRLF
 * after a chunk's data (len -1), or the last chunk (len 0); each chunk goes out
 * whole ("size CRLF data CRLF"), as nginx sends them */
static lt_chain_t *
lt_http_upstream_chunk_frame(lt_http_request_t *r, off_t len, unsigned first)
{
    u_char      *p;
    lt_buf_t    *b;
    lt_chain_t  *cl;

    b = lt_create_temp_buf(r->pool, sizeof(CRLF "0000000000000000" CRLF CRLF));
    cl = lt_alloc_chain_link(r->pool);

    if (b == NULL || cl == NULL) {
        return NULL;
    }

    p = b->last;

    if (!first) {
        *p++ = CR; *p++ = LF;
    }

    if (len < 0) {
        /* the end of a chunk's data */
        *p++ = CR; *p++ = LF;

    } else if (len) {
        p = lt_sprint_hex(p, (uint64_t) len);
        *p++ = CR; *p++ = LF;

    } else {
        p = lt_cpymem(p, "0" CRLF CRLF, 5);
    }

    b->last = p;
    cl->buf = b;
    cl->next = NULL;

    return cl;
}


/* lt_http_upstream_take_body: appends the client body bytes read since the last
 * call (proxy_request_buffering off) to u->out, chunked when the length is
 * unknown; LT_OK when the body is complete */
static int
lt_http_upstream_take_body(lt_http_request_t *r, lt_http_upstream_t *u)
{
    unsigned                 last;
    off_t                    size;
    lt_buf_t                *b;
    lt_chain_t              *cl, *ln, **ll;
    lt_http_request_body_t  *rb;

    rb = r->request_body;

    if (u->body_last_framed) {
        return LT_OK;
    }

    /* the last part of the body stays in rb->bufs as it is ($request_body, an
     * error_page's request): nothing reads into that buffer any more */
    last = 0;

    for (cl = rb->bufs; cl; cl = cl->next) {
        if (cl->buf->last_buf) {
            last = 1;
        }
    }

    for (ll = &u->out; *ll; ll = &(*ll)->next) { /* void */ }

    for (cl = rb->bufs; cl; cl = cl->next) {
        size = lt_buf_size(cl->buf);

        if (size) {
            if (u->chunked_body) {
                ln = lt_http_upstream_chunk_frame(r, size, 1);
                if (ln == NULL) {
                    return LT_ERROR;
                }

                u->chunk_first = 0;
                *ll = ln;
                ll = &ln->next;
            }

            b = lt_http_upstream_buf_copy(r->pool, cl->buf);
            ln = lt_alloc_chain_link(r->pool);

            if (b == NULL || ln == NULL) {
                return LT_ERROR;
            }

            b->last_buf = 0;
            ln->buf = b;
            ln->next = NULL;
            *ll = ln;
            ll = &ln->next;

            if (u->chunked_body) {
                ln = lt_http_upstream_chunk_frame(r, -1, 1);
                if (ln == NULL) {
                    return LT_ERROR;
                }

                *ll = ln;
                ll = &ln->next;
            }

            if (!last) {
                /* the reader may reuse its buffer once this is sent */
                cl->buf->pos = cl->buf->last;
                cl->buf->file_pos = cl->buf->file_last;
            }
        }

        if (cl->buf->last_buf) {
            u->body_complete = 1;
        }
    }

    if (!last) {
        rb->bufs = NULL;
    }

    if (u->body_complete && !u->body_last_framed) {
        u->body_last_framed = 1;

        if (u->chunked_body) {
            ln = lt_http_upstream_chunk_frame(r, 0, 1);

            if (ln == NULL) {
                return LT_ERROR;
            }

            *ll = ln;
        }
    }

    return u->body_complete ? LT_OK : LT_AGAIN;
}


static int
lt_http_upstream_send_request_body(lt_http_request_t *r, lt_http_upstream_t *u,
    unsigned do_write)
{
    int               rc, body_rc;
    lt_chain_t       *cl;
    lt_connection_t  *c;

    c = u->peer.connection;

    for ( ;; ) {

        body_rc = LT_OK;

        if (u->body_streaming) {
            if (!u->request_sent) {
                /* the header first, then what was read of the body */
                if (lt_http_upstream_copy_out(r, u) != LT_OK) {
                    return LT_ERROR;
                }
            }

            if (!u->body_complete && r->reading_body && u->out == NULL) {
                /* the reader reuses its buffer: only once all it gave is sent */
                rc = lt_http_read_unbuffered_request_body(r);

                if (rc >= LT_HTTP_SPECIAL_RESPONSE) {
                    return rc;
                }
            }

            body_rc = lt_http_upstream_take_body(r, u);

            if (body_rc == LT_ERROR) {
                return LT_ERROR;
            }
        }

        u->request_sent = 1;

        if (u->out == NULL) {
            if (body_rc == LT_AGAIN) {
                /* waiting for the client */
                u->request_body_blocked = 1;
                return LT_AGAIN;
            }

            return LT_OK;
        }

        if (!c->write.ready) {
            return LT_AGAIN;
        }

        u->request_body_blocked = 0;

        cl = lt_send_chain(c, u->out, 0);

        if (cl == LT_CHAIN_ERROR) {
            return LT_ERROR;
        }

        u->out = cl;

        if (u->state) {
            u->state->bytes_sent = c->sent - u->sent_start;
        }

        if (cl) {
            return LT_AGAIN;
        }

        if (!u->body_streaming || body_rc == LT_OK) {
            return body_rc;
        }

        if (!r->connection->read.ready && r->header_in->pos == r->header_in->last) {
            u->request_body_blocked = 1;
            return LT_AGAIN;
        }
    }
}


static void
lt_http_upstream_send_request_handler(lt_http_request_t *r, lt_http_upstream_t *u)
{
    lt_connection_t  *c;

    c = u->peer.connection;

    if (c->write.timedout) {
        lt_http_upstream_next(r, u, LT_HTTP_UPSTREAM_FT_TIMEOUT);
        return;
    }

    if (u->header_sent && !u->upgrade) {
        u->write_event_handler = lt_http_upstream_dummy_handler;
        return;
    }

    lt_http_upstream_send_request(r, u, 1);
}


/* lt_http_upstream_read_request_handler: the client sent more body
 * (proxy_request_buffering off) */
static void
lt_http_upstream_read_request_handler(lt_http_request_t *r)
{
    lt_connection_t     *c;
    lt_http_upstream_t  *u;

    c = r->connection;
    u = r->upstream;

    if (c->read.timedout) {
        c->timedout = 1;
        lt_http_upstream_finalize_request(r, u, LT_HTTP_REQUEST_TIME_OUT);
        return;
    }

    if (u->peer.connection == NULL || u->request_body_sent) {
        return;
    }

    lt_http_upstream_send_request(r, u, 0);
}


static void
lt_http_upstream_process_header(lt_http_request_t *r, lt_http_upstream_t *u)
{
    int               rc;
    ssize_t           n;
    lt_connection_t  *c;

    c = u->peer.connection;

    c->log->action = "reading response header from upstream";

    if (c->read.timedout) {
        lt_http_upstream_next(r, u, LT_HTTP_UPSTREAM_FT_TIMEOUT);
        return;
    }

    if (!u->request_sent || u->connecting) {
        if (lt_http_upstream_test_connect(c) != LT_OK) {
            if (u->peer.cached && lt_http_upstream_retry_fresh(r, u) == LT_OK) {
                return;
            }

            lt_http_upstream_next(r, u, LT_HTTP_UPSTREAM_FT_ERROR);
            return;
        }

        if (!u->request_sent) {
            /* connected: the request goes first */
            u->connecting = 0;
            lt_http_upstream_send_request(r, u, 1);
            return;
        }
    }

    if (u->buffer.start == NULL) {
        u->buffer.start = lt_palloc(r->pool, u->conf->buffer_size);
        if (u->buffer.start == NULL) {
            lt_http_upstream_finalize_request(r, u, LT_HTTP_INTERNAL_SERVER_ERROR);
            return;
        }

        u->buffer.pos = u->buffer.start;
        u->buffer.last = u->buffer.start;
        u->buffer.end = u->buffer.start + u->conf->buffer_size;
        u->buffer.temporary = 1;
        u->buffer.tag = u->output_tag;

        if (lt_list_init(&u->headers_in.headers, r->pool, 8, sizeof(lt_table_elt_t)) != LT_OK
            || lt_list_init(&u->headers_in.trailers, r->pool, 2, sizeof(lt_table_elt_t))
               != LT_OK)
        {
            lt_http_upstream_finalize_request(r, u, LT_HTTP_INTERNAL_SERVER_ERROR);
            return;
        }
    }

    for ( ;; ) {
        n = lt_recv(c, u->buffer.last, u->buffer.end - u->buffer.last);

        if (n == LT_AGAIN) {
            if (!c->read.timer_set) {
                lt_event_add_timer(&c->read, u->conf->read_timeout);
            }

            return;
        }

        if (n == 0 || n == LT_ERROR) {
            if (!u->response_received && u->peer.cached
                && lt_http_upstream_retry_fresh(r, u) == LT_OK)
            {
                return;
            }

            if (n == 0) {
                lt_log_error(LT_LOG_ERR, c->log, 0, "upstream prematurely closed connection");
            }

            lt_http_upstream_next(r, u, LT_HTTP_UPSTREAM_FT_ERROR);
            return;
        }

        u->state->bytes_received += n;
        u->response_received = 1;

        u->buffer.last += n;

        rc = u->process_header(r);

        if (rc == LT_AGAIN) {
            if (u->buffer.last == u->buffer.end) {
                lt_log_error(LT_LOG_ERR, c->log, 0, "upstream sent too big header");
                lt_http_upstream_next(r, u, LT_HTTP_UPSTREAM_FT_INVALID_HEADER);
                return;
            }

            continue;
        }

        break;
    }

    if (rc == LT_HTTP_UPSTREAM_INVALID_HEADER) {
        lt_http_upstream_next(r, u, LT_HTTP_UPSTREAM_FT_INVALID_HEADER);
        return;
    }

    if (rc == LT_ERROR) {
        lt_http_upstream_finalize_request(r, u, LT_HTTP_INTERNAL_SERVER_ERROR);
        return;
    }

    /* rc == LT_OK */

    u->state->header_time = lt_current_msec - u->start_time;

    if (u->headers_in.status_n >= LT_HTTP_SPECIAL_RESPONSE) {
        if (lt_http_upstream_test_next(r, u) == LT_OK) {
            return;
        }

        if (lt_http_upstream_intercept_errors(r, u) == LT_OK) {
            return;
        }
    }

    if (lt_http_upstream_process_headers(r, u) != LT_OK) {
        return;
    }

    lt_http_upstream_send_response(r, u);
}


static int
lt_http_upstream_test_next(lt_http_request_t *r, lt_http_upstream_t *u)
{
    size_t    i;
    unsigned  status, mask;
    uint64_t  timeout;

    status = u->headers_in.status_n;

    for (i = 0; lt_http_upstream_next_errors[i].status; i++) {
        if (status != lt_http_upstream_next_errors[i].status) {
            continue;
        }

        timeout = u->conf->next_upstream_timeout;

        mask = lt_http_upstream_next_errors[i].mask;

        if (u->request_sent && lt_http_upstream_non_idempotent(r)) {
            mask |= LT_HTTP_UPSTREAM_FT_NON_IDEMPOTENT;
        }

        if (u->peer.tries > 1
            && (u->conf->next_upstream & mask) == mask
            && !(u->request_sent && u->body_streaming)
            && !(timeout && lt_current_msec - u->peer.start_time >= timeout))
        {
            lt_http_upstream_next(r, u, lt_http_upstream_next_errors[i].mask);
            return LT_OK;
        }
    }

    return LT_DECLINED;
}


static int
lt_http_upstream_intercept_errors(lt_http_request_t *r, lt_http_upstream_t *u)
{
    size_t                     i;
    unsigned                   status;
    lt_table_elt_t            *h;
    lt_http_err_page_t        *err_page;
    lt_http_core_loc_conf_t   *clcf;

    if (!u->conf->intercept_errors) {
        return LT_DECLINED;
    }

    clcf = lt_http_get_module_loc_conf(r, lt_http_core_module);

    if (clcf->error_pages == NULL) {
        return LT_DECLINED;
    }

    status = u->headers_in.status_n;

    err_page = clcf->error_pages->elts;

    for (i = 0; i < clcf->error_pages->nelts; i++) {
        if (err_page[i].status != status) {
            continue;
        }

        if (status == LT_HTTP_UNAUTHORIZED && u->headers_in.www_authenticate) {
            lt_table_elt_t  *wa, **ph;

            ph = &r->headers_out.www_authenticate;

            for (wa = u->headers_in.www_authenticate; wa; wa = wa->next) {
                h = lt_list_push(&r->headers_out.headers);
                if (h == NULL) {
                    lt_http_upstream_finalize_request(r, u, LT_HTTP_INTERNAL_SERVER_ERROR);
                    return LT_OK;
                }

                *h = *wa;
                h->next = NULL;
                *ph = h;
                ph = &h->next;
            }
        }

        /* the upstream's connection may be kept: the body was not read */
        u->keepalive = 0;

        lt_http_upstream_finalize_request(r, u, (int) status);
        return LT_OK;
    }

    return LT_DECLINED;
}


/* lt_http_upstream_unsafe_uri: the URI and args of an X-Accel-Redirect value
 * (a copy: the path unescaped); LT_ERROR (logged) when the path has a ".."
 * segment or a NUL once unescaped, or when out of memory */
static int
lt_http_upstream_unsafe_uri(lt_http_request_t *r, const lt_str_t *value, lt_str_t *uri,
    lt_str_t *args)
{
    u_char  *q, *src, *dst, *p, *seg, *end;
    size_t   path_len;

    q = memchr(value->data, '?', value->len);
    path_len = q ? (size_t) (q - value->data) : value->len;

    uri->data = lt_pnalloc(r->pool, value->len + 1);
    if (uri->data == NULL) {
        return LT_ERROR;
    }

    src = value->data;
    dst = uri->data;

    if (memchr(value->data, '%', path_len)) {
        lt_unescape_uri(&dst, &src, path_len, LT_UNESCAPE_URI);

    } else {
        dst = lt_cpymem(dst, src, path_len);
    }

    uri->len = dst - uri->data;

    if (q) {
        args->data = dst;
        args->len = value->len - path_len - 1;
        memcpy(dst, q + 1, args->len);

    } else {
        args->len = 0;
        args->data = NULL;
    }

    end = uri->data + uri->len;

    for (p = uri->data, seg = p; p <= end; p++) {
        if (p < end && *p == '\0') {
            goto unsafe;
        }

        if (p == end || *p == '/') {
            if (p - seg == 2 && seg[0] == '.' && seg[1] == '.') {
                goto unsafe;
            }

            seg = p + 1;
        }
    }

    return LT_OK;

unsafe:

    lt_log_error(LT_LOG_ERR, r->connection->log, 0, "unsafe URI \"%.*s\" was detected",
                 (int) value->len, value->data);

    return LT_ERROR;
}


/* lt_http_upstream_x_accel_redirect: an internal redirect the upstream asked for */
static int
lt_http_upstream_x_accel_redirect(lt_http_request_t *r, lt_http_upstream_t *u)
{
    lt_str_t                    uri, args;
    lt_list_iter_t              it;
    lt_table_elt_t             *h;
    lt_http_upstream_header_t  *hh;
    lt_http_upstream_main_conf_t  *umcf;

    umcf = lt_http_get_module_main_conf(r, lt_http_upstream_module);

    lt_http_upstream_finalize_request(r, u, LT_DECLINED);

    lt_list_iter_init(&it, &u->headers_in.headers);

    while ((h = lt_list_iter_next(&it)) != NULL) {
        if (h->hash == 0) {
            continue;
        }

        hh = lt_hash_find(&umcf->headers_in_hash, h->hash, h->lowcase_key, h->key.len);

        if (hh && hh->redirect && hh->copy_handler
            && hh->copy_handler(r, h, hh->conf) != LT_OK)
        {
            lt_http_finalize_request(r, LT_HTTP_INTERNAL_SERVER_ERROR);
            return LT_DONE;
        }
    }

    uri = u->headers_in.x_accel_redirect->value;

    if (uri.len && uri.data[0] == '@') {
        lt_http_named_location(r, &uri);

    } else {
        if (lt_http_upstream_unsafe_uri(r, &u->headers_in.x_accel_redirect->value, &uri,
                                        &args) != LT_OK)
        {
            lt_http_finalize_request(r, LT_HTTP_NOT_FOUND);
            return LT_DONE;
        }

        if (r->method != LT_HTTP_HEAD) {
            r->method = LT_HTTP_GET;
            lt_str_set(&r->method_name, "GET");
        }

        lt_http_internal_redirect(r, &uri, &args);
    }

    lt_http_finalize_request(r, LT_DONE);

    return LT_DONE;
}


static int
lt_http_upstream_process_headers(lt_http_request_t *r, lt_http_upstream_t *u)
{
    lt_list_iter_t                 it;
    lt_table_elt_t                *h;
    lt_http_upstream_main_conf_t  *umcf;

    umcf = lt_http_get_module_main_conf(r, lt_http_upstream_module);

    if (u->headers_in.x_accel_redirect
        && !(u->conf->ignore_headers & LT_HTTP_UPSTREAM_IGN_XA_REDIRECT))
    {
        return lt_http_upstream_x_accel_redirect(r, u);
    }

    lt_list_iter_init(&it, &u->headers_in.headers);

    while ((h = lt_list_iter_next(&it)) != NULL) {
        if (h->hash == 0) {
            continue;
        }

        if (u->conf->hide_headers_hash.elts
            && lt_hash_find(&u->conf->hide_headers_hash, h->hash, h->lowcase_key,
                            h->key.len))
        {
            continue;
        }

        if (lt_http_upstream_pass_header(r, &umcf->headers_in_hash, h) != LT_OK) {
            goto failed;
        }
    }

    if (r->headers_out.server && r->headers_out.server->value.data == NULL) {
        r->headers_out.server->hash = 0;
    }

    if (r->headers_out.date && r->headers_out.date->value.data == NULL) {
        r->headers_out.date->hash = 0;
    }

    r->headers_out.status = u->headers_in.status_n;
    r->headers_out.status_line = u->headers_in.status_line;

    r->headers_out.content_length_n = u->headers_in.content_length_n;

    r->disable_not_modified = 1;

    u->length = -1;

    return LT_OK;

failed:

    lt_http_upstream_finalize_request(r, u, LT_HTTP_INTERNAL_SERVER_ERROR);

    return LT_DONE;
}


void
lt_http_upstream_dummy_handler(lt_http_request_t *r, lt_http_upstream_t *u)
{
}


/* lt_http_upstream_retry_fresh: see lt_http_upstream.h */
int
lt_http_upstream_retry_fresh(lt_http_request_t *r, lt_http_upstream_t *u)
{
    /* only a reused connection that failed before any byte of the response,
     * once per request, and only when the request can be sent again as it
     * was (its body is kept, it is idempotent or proxy_next_upstream allows
     * non_idempotent); the balancer is not asked again: the same peer, no
     * failure counted, no try used */
    if (!u->peer.cached || u->response_received || u->keepalive_retried
        || u->body_streaming || u->peer.sockaddr == NULL || r->connection->error
        || (lt_http_upstream_non_idempotent(r)
            && !(u->conf->next_upstream & LT_HTTP_UPSTREAM_FT_NON_IDEMPOTENT)))
    {
        return LT_DECLINED;
    }

    u->keepalive_retried = 1;

    lt_log_error(LT_LOG_INFO, r->connection->log, 0,
                 "reused upstream connection was closed, retrying on a new connection");

    lt_http_upstream_close_peer(u);

    u->peer.reconnect = 1;
    u->peer.fresh = 1;

    /* the failed try is not a try: its state is forgotten */
    u->states->nelts--;
    u->state = NULL;

    lt_http_upstream_connect(r, u);

    return LT_OK;
}


void
lt_http_upstream_next(lt_http_request_t *r, lt_http_upstream_t *u, unsigned ft_type)
{
    int       status;
    unsigned  state;
    uint64_t  timeout;

    if (u->peer.sockaddr) {
        if (ft_type == LT_HTTP_UPSTREAM_FT_HTTP_403 || ft_type == LT_HTTP_UPSTREAM_FT_HTTP_404) {
            state = LT_PEER_NEXT;

        } else {
            state = LT_PEER_FAILED;
        }

        u->peer.free(&u->peer, u->peer.data, state);
        u->peer.sockaddr = NULL;
    }

    if (ft_type == LT_HTTP_UPSTREAM_FT_TIMEOUT) {
        lt_log_error(LT_LOG_ERR, r->connection->log, ETIMEDOUT, "upstream timed out");
    }

    if (u->peer.cached && ft_type == LT_HTTP_UPSTREAM_FT_ERROR) {
        /* a reused connection that failed is not the peer's failure */
        u->peer.tries++;
    }

    switch (ft_type) {

    case LT_HTTP_UPSTREAM_FT_TIMEOUT:
    case LT_HTTP_UPSTREAM_FT_HTTP_504:
        status = LT_HTTP_GATEWAY_TIME_OUT;
        break;

    case LT_HTTP_UPSTREAM_FT_HTTP_500:
        status = LT_HTTP_INTERNAL_SERVER_ERROR;
        break;

    case LT_HTTP_UPSTREAM_FT_HTTP_503:
        status = LT_HTTP_SERVICE_UNAVAILABLE;
        break;

    case LT_HTTP_UPSTREAM_FT_HTTP_403:
        status = LT_HTTP_FORBIDDEN;
        break;

    case LT_HTTP_UPSTREAM_FT_HTTP_404:
        status = LT_HTTP_NOT_FOUND;
        break;

    case LT_HTTP_UPSTREAM_FT_HTTP_429:
        status = LT_HTTP_TOO_MANY_REQUESTS;
        break;

    default:
        status = LT_HTTP_BAD_GATEWAY;
    }

    if (r->connection->error) {
        lt_http_upstream_finalize_request(r, u, LT_HTTP_CLIENT_CLOSED_REQUEST);
        return;
    }

    u->state->status = (unsigned) status;

    timeout = u->conf->next_upstream_timeout;

    if (u->request_sent && lt_http_upstream_non_idempotent(r)) {
        ft_type |= LT_HTTP_UPSTREAM_FT_NON_IDEMPOTENT;
    }

    if (u->peer.tries == 0
        || (u->conf->next_upstream & ft_type) != ft_type
        || (u->request_sent && u->body_streaming)
        || (timeout && lt_current_msec - u->peer.start_time >= timeout))
    {
        lt_http_upstream_finalize_request(r, u, status);
        return;
    }

    lt_http_upstream_close_peer(u);

    u->peer.fresh = 0;

    lt_http_upstream_connect(r, u);
}


/* lt_http_upstream_close_peer: closes the upstream connection of this try */
static void
lt_http_upstream_close_peer(lt_http_upstream_t *u)
{
    lt_connection_t  *c;

    c = u->peer.connection;

    if (c == NULL) {
        return;
    }

    if (c->ssl) {
        lt_http_upstream_ssl_close(c);

    } else {
        c->pool = NULL;
        lt_close_connection(c);
    }

    u->peer.connection = NULL;
    u->read_timer_armed = 0;
}


static void
lt_http_upstream_cleanup(void *data)
{
    lt_http_request_t  *r = data;

    lt_http_upstream_finalize_request(r, r->upstream, LT_DONE);
}


static lt_chain_t *
lt_http_upstream_special_buf(lt_http_request_t *r, unsigned last)
{
    lt_buf_t    *b;
    lt_chain_t  *cl;

    b = lt_calloc_buf(r->pool);
    cl = lt_alloc_chain_link(r->pool);

    if (b == NULL || cl == NULL) {
        return NULL;
    }

    if (last) {
        b->last_buf = 1;

    } else {
        b->flush = 1;
    }

    cl->buf = b;
    cl->next = NULL;

    return cl;
}


void
lt_http_upstream_finalize_request(lt_http_request_t *r, lt_http_upstream_t *u, int rc)
{
    unsigned     flush;
    lt_chain_t  *cl;

    if (u->cleanup == NULL) {
        /* the request was already finalized */
        lt_http_finalize_request(r, LT_DONE);
        return;
    }

    *u->cleanup = NULL;
    u->cleanup = NULL;

    if (u->resolved && u->resolved->ctx) {
        lt_resolve_name_done(u->resolved->ctx);
        u->resolved->ctx = NULL;
    }

    if (u->state && u->state->response_time == (uint64_t) -1) {
        u->state->response_time = lt_current_msec - u->start_time;

        if (u->pipe && u->pipe->read_length) {
            u->state->bytes_received += u->pipe->read_length - (off_t) u->pipe->preread_size;
            u->state->response_length = u->pipe->read_length;
        }

        if (u->peer.connection) {
            u->state->bytes_sent = u->peer.connection->sent - u->sent_start;
        }
    }

    if (u->finalize_request) {
        u->finalize_request(r, rc);
    }

    if (u->peer.free && u->peer.sockaddr) {
        u->peer.free(&u->peer, u->peer.data, 0);
        u->peer.sockaddr = NULL;
    }

    lt_http_upstream_close_peer(u);

    if (rc == LT_DECLINED) {
        return;
    }

    r->connection->log->action = "sending to client";

    if (!u->header_sent || rc == LT_HTTP_REQUEST_TIME_OUT
        || rc == LT_HTTP_CLIENT_CLOSED_REQUEST || rc == LT_DONE)
    {
        if (rc == LT_DONE) {
            /* the request is being freed (a cleanup) */
            return;
        }

        lt_http_finalize_request(r, rc);
        return;
    }

    flush = 0;

    if (rc >= LT_HTTP_SPECIAL_RESPONSE) {
        rc = LT_ERROR;
        flush = 1;
    }

    /* an error after the header: what was relayed is flushed (flush), then the
     * connection closes; a plain LT_ERROR drops it */
    if (r->header_only || (u->pipe && u->pipe->downstream_error) || (rc == LT_ERROR && !flush)) {
        if (rc == LT_ERROR) {
            r->keepalive = 0;
        }

        lt_http_finalize_request(r, rc);
        return;
    }

    if (rc == 0) {
        cl = lt_http_upstream_special_buf(r, 1);

        rc = cl ? lt_http_output_filter(r, cl) : LT_ERROR;

    } else if (flush) {
        r->keepalive = 0;
        cl = lt_http_upstream_special_buf(r, 0);

        rc = cl ? lt_http_output_filter(r, cl) : LT_ERROR;
    }

    lt_http_finalize_request(r, rc);
}


static void
lt_http_upstream_handler(lt_event_t *ev)
{
    lt_connection_t     *c;
    lt_http_request_t   *r;
    lt_http_upstream_t  *u;
    lt_http_log_ctx_t   *ctx;

    c = ev->data;
    r = c->data;

    u = r->upstream;
    c = r->connection;

    ctx = c->log->data;
    ctx->current_request = r;

    if (ev->delayed && ev->timedout) {
        ev->delayed = 0;
        ev->timedout = 0;
    }

    if (ev->write) {
        u->write_event_handler(r, u);

    } else {
        u->read_event_handler(r, u);
    }

    lt_http_run_posted_requests(c);
}


static void
lt_http_upstream_rd_check_broken_connection(lt_http_request_t *r)
{
    lt_http_upstream_check_broken_connection(r, &r->connection->read);
}


static void
lt_http_upstream_wr_check_broken_connection(lt_http_request_t *r)
{
    lt_http_upstream_check_broken_connection(r, &r->connection->write);
}


static void
lt_http_upstream_check_broken_connection(lt_http_request_t *r, lt_event_t *ev)
{
    int                  n, err;
    char                 buf[1];
    lt_connection_t     *c;
    lt_http_upstream_t  *u;

    c = r->connection;
    u = r->upstream;

    if (c->error) {
        if (!u->conf->ignore_client_abort) {
            lt_http_upstream_finalize_request(r, u, LT_HTTP_CLIENT_CLOSED_REQUEST);
        }

        /* proxy_ignore_client_abort: the upstream's response is read to its
         * end all the same (and logged with its status) */
        return;
    }

    if (ev->write) {
        return;
    }

    if (u->body_streaming && !u->request_body_sent && u->peer.connection) {
        lt_http_upstream_read_request_handler(r);
        return;
    }

    if (!ev->pending_eof) {
        n = (int) recv(c->fd, buf, 1, MSG_PEEK);
        err = errno;

        if (n > 0) {
            /* pipelined data: it waits, and the readiness stays for when this
             * request ends (edge-triggered: no other event will come) */
            return;
        }

        if (n == -1) {
            if (err == EAGAIN) {
                ev->ready = 0;
                return;
            }

            ev->error = 1;

        } else {
            err = 0;
        }

    } else {
        err = 0;
    }

    ev->eof = 1;
    c->error = 1;

    if (u->conf->ignore_client_abort) {
        return;
    }

    if (u->peer.connection) {
        lt_log_error(LT_LOG_INFO, c->log, err,
                     "client prematurely closed connection, "
                     "so upstream connection is closed too");

    } else {
        lt_log_error(LT_LOG_INFO, c->log, err, "client prematurely closed connection");
    }

    lt_http_upstream_finalize_request(r, u, LT_HTTP_CLIENT_CLOSED_REQUEST);
}


u_char *
lt_http_upstream_log_error(lt_http_request_t *r, u_char *buf, size_t len)
{
    u_char              *p, *last;
    lt_http_upstream_t  *u;

    u = r->upstream;
    p = buf;
    last = buf + len;

    if (u == NULL || u->peer.name == NULL) {
        return p;
    }

    p = lt_slprintf(p, last, ", upstream: \"%.*s%.*s%.*s\"", (int) u->schema.len,
                    u->schema.data, (int) u->peer.name->len, u->peer.name->data,
                    (int) u->uri.len, u->uri.data);

    return p;
}
