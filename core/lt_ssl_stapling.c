/*
 * lt_ssl_stapling.c: OCSP stapling (ssl_stapling) on the server side.
 *
 * Each certificate of a context gets a staple: either a DER response read from
 * ssl_stapling_file, sent as is for ever, or one fetched from the certificate's
 * OCSP responder (ssl_stapling_responder, else the AIA URL of the certificate).
 * What a fetch needs is found by the master at configuration time: the issuer
 * (in the certificate's chain, else in the context's store, where
 * ssl_trusted_certificate puts its CAs) and the responder's addresses (an IP,
 * or a name resolved then). A certificate without them is left unstapled with
 * a warning, as nginx does.
 *
 * Fetching is per worker and lazy: the status callback of the first handshake
 * that asks for a status starts a GET of the base64 OCSP request (HTTP/1.0,
 * non-blocking, 60 s per step) and returns without a staple; the response is
 * checked (successful, basic, signed as ssl_stapling_verify asks, the status of
 * this certificate, within its validity) and, when the status is "good", kept
 * in the worker's copy of the staple and sent to later clients until its
 * nextUpdate. It is fetched again 5 minutes before then (at the latest after an
 * hour, at the earliest after 5 minutes); a failed fetch is logged at error,
 * with the responder and the certificate, and retried after 5 minutes.
 */

#include "lt_core.h"
#include "lt_ssl.h"
#include "lt_event_connect.h"
#include "lt_escape.h"

#include <openssl/ocsp.h>

#define LT_SSL_OCSP_TIMEOUT    60000       /* ms: connect, send, and each read */
#define LT_SSL_OCSP_BUFSIZE    16384       /* the largest response taken */
#define LT_SSL_OCSP_RETRY      300         /* s after a failure */
#define LT_SSL_OCSP_REFRESH    3600        /* s: the longest a response is kept unasked */

#define LT_SSL_STAPLE_FOREVER  ((time_t) INT64_MAX)

typedef struct {
    X509               *cert;          /* the context's reference */
    X509               *issuer;        /* ours (freed with the cycle) */
    STACK_OF(X509)     *chain;         /* the context's: the certificate's chain */
    SSL_CTX            *ssl_ctx;
    lt_str_t            name;          /* the certificate's file, for messages */

    lt_str_t            host;          /* the responder: Host header and messages */
    lt_str_t            uri;
    lt_addr_t          *addrs;
    size_t              naddrs;

    lt_str_t            staple;        /* DER response: the file's, or malloc'd */
    time_t              valid;         /* sent until then */
    time_t              refresh;       /* fetched again after then */

    unsigned            verify:1;
    unsigned            loading:1;
    unsigned            fetched:1;     /* staple.data is ours to free */
} lt_ssl_staple_t;

typedef struct {
    lt_ssl_staple_t      *staple;
    lt_pool_t            *pool;
    lt_log_t             *log;
    lt_peer_connection_t  peer;
    size_t                naddr;

    lt_buf_t             *request;
    lt_buf_t             *response;

    int                   code;        /* the HTTP status */
    u_char               *body;        /* after the header, once it is parsed */
    off_t                 content_length;   /* -1: until the responder closes */
    unsigned              connected:1;
} lt_ssl_ocsp_ctx_t;

static void lt_ssl_stapling_cleanup(void *data);
static void lt_ssl_stapling_update(lt_ssl_staple_t *staple);
static void lt_ssl_ocsp_connect(lt_ssl_ocsp_ctx_t *ctx);
static void lt_ssl_ocsp_next(lt_ssl_ocsp_ctx_t *ctx);
static void lt_ssl_ocsp_finish(lt_ssl_ocsp_ctx_t *ctx, int ok);
static void lt_ssl_ocsp_write_handler(lt_event_t *wev);
static void lt_ssl_ocsp_read_handler(lt_event_t *rev);
static void lt_ssl_ocsp_dummy_handler(lt_event_t *ev);
static int lt_ssl_ocsp_test_connect(lt_ssl_ocsp_ctx_t *ctx, lt_connection_t *c);


/* configuration */

static int
lt_ssl_stapling_read_file(lt_conf_t *cf, lt_str_t *file, lt_str_t *der)
{
    lt_str_t        name, data;
    const u_char   *p;
    OCSP_RESPONSE  *resp;

    name.len = file->len;
    name.data = lt_pnalloc(cf->temp_pool, file->len + 1);
    if (name.data == NULL) {
        return LT_ERROR;
    }

    memcpy(name.data, file->data, file->len);
    name.data[name.len] = '\0';

    if (lt_conf_full_name(cf->cycle, &name, 1) != LT_OK) {
        return LT_ERROR;
    }

    if (lt_read_whole_file(cf->pool, (char *) name.data, &data) != LT_OK) {
        lt_conf_log_error(LT_LOG_EMERG, cf, errno, "open() \"%s\" failed", name.data);
        return LT_ERROR;
    }

    p = data.data;
    resp = d2i_OCSP_RESPONSE(NULL, &p, (long) data.len);

    if (resp == NULL) {
        lt_ssl_error(LT_LOG_EMERG, cf->log, 0, "d2i_OCSP_RESPONSE_bio(\"%s\") failed",
                     name.data);
        return LT_ERROR;
    }

    OCSP_RESPONSE_free(resp);

    /* sent as read: only what d2i took */
    der->data = data.data;
    der->len = p - data.data;

    return LT_OK;
}


/* lt_ssl_stapling_issuer: LT_OK (staple->issuer set), LT_DECLINED (warned) */
static int
lt_ssl_stapling_issuer(lt_conf_t *cf, lt_ssl_t *ssl, lt_ssl_staple_t *staple)
{
    int              i, n, rc;
    X509            *issuer;
    X509_STORE      *store;
    X509_STORE_CTX  *store_ctx;

    n = sk_X509_num(staple->chain);

    for (i = 0; i < n; i++) {
        issuer = sk_X509_value(staple->chain, i);

        if (X509_check_issued(issuer, staple->cert) == X509_V_OK) {
            X509_up_ref(issuer);
            staple->issuer = issuer;
            return LT_OK;
        }
    }

    store = SSL_CTX_get_cert_store(ssl->ctx);
    store_ctx = X509_STORE_CTX_new();

    if (store == NULL || store_ctx == NULL
        || X509_STORE_CTX_init(store_ctx, store, NULL, NULL) == 0)
    {
        lt_ssl_error(LT_LOG_EMERG, cf->log, 0, "X509_STORE_CTX_init() failed");
        X509_STORE_CTX_free(store_ctx);
        return LT_ERROR;
    }

    rc = X509_STORE_CTX_get1_issuer(&issuer, store_ctx, staple->cert);
    X509_STORE_CTX_free(store_ctx);

    if (rc == -1) {
        lt_ssl_error(LT_LOG_EMERG, cf->log, 0, "X509_STORE_CTX_get1_issuer() failed");
        return LT_ERROR;
    }

    if (rc == 0) {
        ERR_clear_error();
        lt_log_error(LT_LOG_WARN, cf->log, 0, "\"ssl_stapling\" ignored, issuer certificate "
                     "not found for certificate \"%.*s\"",
                     (int) staple->name.len, staple->name.data);
        return LT_DECLINED;
    }

    staple->issuer = issuer;

    return LT_OK;
}


/* lt_ssl_stapling_responder: the responder's URL parsed and resolved; LT_OK,
 * LT_DECLINED (warned), LT_ERROR */
static int
lt_ssl_stapling_responder(lt_conf_t *cf, lt_ssl_staple_t *staple, lt_str_t *responder)
{
    char                      *s;
    lt_str_t                   url;
    lt_url_t                   u;
    STACK_OF(OPENSSL_STRING)  *aia;

    url = *responder;

    if (url.len == 0) {
        aia = X509_get1_ocsp(staple->cert);
        s = aia ? sk_OPENSSL_STRING_value(aia, 0) : NULL;

        if (s == NULL) {
            lt_log_error(LT_LOG_WARN, cf->log, 0, "\"ssl_stapling\" ignored, no OCSP "
                         "responder URL in the certificate \"%.*s\"",
                         (int) staple->name.len, staple->name.data);
            X509_email_free(aia);
            return LT_DECLINED;
        }

        url.len = strlen(s);
        url.data = lt_pnalloc(cf->pool, url.len);
        if (url.data == NULL) {
            X509_email_free(aia);
            return LT_ERROR;
        }

        memcpy(url.data, s, url.len);
        X509_email_free(aia);
    }

    lt_memzero(&u, sizeof(lt_url_t));

    if (url.len <= 7 || lt_strncasecmp(url.data, (u_char *) "http://", 7) != 0) {
        lt_log_error(LT_LOG_WARN, cf->log, 0, "\"ssl_stapling\" ignored, invalid URL prefix "
                     "in OCSP responder \"%.*s\" in the certificate \"%.*s\"",
                     (int) url.len, url.data, (int) staple->name.len, staple->name.data);
        return LT_DECLINED;
    }

    u.url.data = url.data + 7;
    u.url.len = url.len - 7;
    u.default_port = 80;
    u.uri_part = 1;

    if (lt_parse_url(cf->pool, &u) != LT_OK) {
        if (u.err) {
            lt_log_error(LT_LOG_WARN, cf->log, 0, "\"ssl_stapling\" ignored, %s in OCSP "
                         "responder \"%.*s\" in the certificate \"%.*s\"", u.err,
                         (int) u.url.len, u.url.data,
                         (int) staple->name.len, staple->name.data);
            return LT_DECLINED;
        }

        return LT_ERROR;
    }

    if (u.naddrs == 0) {
        lt_log_error(LT_LOG_WARN, cf->log, 0, "\"ssl_stapling\" ignored, host not found in "
                     "OCSP responder \"%.*s\" in the certificate \"%.*s\"",
                     (int) u.url.len, u.url.data, (int) staple->name.len, staple->name.data);
        return LT_DECLINED;
    }

    staple->addrs = u.addrs;
    staple->naddrs = u.naddrs;
    staple->host = u.host;
    staple->uri = u.uri;

    if (staple->uri.len == 0) {
        lt_str_set(&staple->uri, "/");
    }

    return LT_OK;
}


/* lt_ssl_stapling_name: the certificate's name as messages show it */
static int
lt_ssl_stapling_name(lt_conf_t *cf, lt_str_t *conf_name, lt_str_t *name)
{
    if (conf_name == NULL) {
        lt_str_set(name, "");
        return LT_OK;
    }

    *name = *conf_name;

    if (name->len >= 5 && memcmp(name->data, "data:", 5) == 0) {
        lt_str_set(name, "data:...");
        return LT_OK;
    }

    return lt_conf_full_name(cf->cycle, name, 1);
}


static int
lt_ssl_stapling_status_callback(SSL *ssl_conn, void *data)
{
    u_char           *p;
    size_t            i;
    X509             *cert;
    lt_array_t       *staples = data;
    lt_ssl_staple_t  *staple;

    cert = SSL_get_certificate(ssl_conn);
    if (cert == NULL) {
        return SSL_TLSEXT_ERR_NOACK;
    }

    staple = staples->elts;

    for (i = 0; i < staples->nelts; i++) {
        if (staple[i].cert == cert) {
            break;
        }
    }

    if (i == staples->nelts) {
        /* a certificate loaded for this handshake (variables) */
        return SSL_TLSEXT_ERR_NOACK;
    }

    staple = &staple[i];

    lt_ssl_stapling_update(staple);

    if (staple->staple.len == 0 || staple->valid < lt_time()) {
        return SSL_TLSEXT_ERR_NOACK;
    }

    /* OpenSSL frees what it is given */
    p = OPENSSL_malloc(staple->staple.len);
    if (p == NULL) {
        return SSL_TLSEXT_ERR_NOACK;
    }

    memcpy(p, staple->staple.data, staple->staple.len);

    if (SSL_set_tlsext_status_ocsp_resp(ssl_conn, p, (long) staple->staple.len) == 0) {
        OPENSSL_free(p);
        return SSL_TLSEXT_ERR_NOACK;
    }

    return SSL_TLSEXT_ERR_OK;
}


int
lt_ssl_stapling(lt_conf_t *cf, lt_ssl_t *ssl, lt_array_t *names, lt_str_t *file,
    lt_str_t *responder, int verify)
{
    int                 rc;
    size_t              i;
    X509              **certs;
    lt_str_t            der, *name;
    lt_array_t         *staples;
    lt_pool_cleanup_t  *cln;
    lt_ssl_staple_t    *staple;

    if (ssl->certs == NULL || ssl->certs->nelts == 0) {
        /* no certificate, or loaded per handshake: nothing to staple */
        return LT_OK;
    }

    der.len = 0;
    der.data = NULL;

    if (file->len && lt_ssl_stapling_read_file(cf, file, &der) != LT_OK) {
        return LT_ERROR;
    }

    staples = lt_array_create(cf->pool, ssl->certs->nelts, sizeof(lt_ssl_staple_t));
    if (staples == NULL) {
        return LT_ERROR;
    }

    cln = lt_pool_cleanup_add(cf->pool, 0);
    if (cln == NULL) {
        return LT_ERROR;
    }

    cln->handler = lt_ssl_stapling_cleanup;
    cln->data = staples;

    certs = ssl->certs->elts;
    name = names ? names->elts : NULL;

    for (i = 0; i < ssl->certs->nelts; i++) {
        staple = lt_array_push(staples);
        if (staple == NULL) {
            return LT_ERROR;
        }

        lt_memzero(staple, sizeof(lt_ssl_staple_t));

        staple->cert = certs[i];
        staple->ssl_ctx = ssl->ctx;
        staple->verify = verify ? 1 : 0;

        if (lt_ssl_stapling_name(cf, (name && i < names->nelts) ? &name[i] : NULL,
                                 &staple->name) != LT_OK)
        {
            return LT_ERROR;
        }

        /* the chain sent with this certificate */
        SSL_CTX_select_current_cert(ssl->ctx, staple->cert);
        SSL_CTX_get0_chain_certs(ssl->ctx, &staple->chain);

        if (der.len) {
            staple->staple = der;
            staple->valid = LT_SSL_STAPLE_FOREVER;
            continue;
        }

        rc = lt_ssl_stapling_issuer(cf, ssl, staple);

        if (rc == LT_OK) {
            rc = lt_ssl_stapling_responder(cf, staple, responder);
        }

        if (rc == LT_ERROR) {
            return LT_ERROR;
        }

        if (rc == LT_DECLINED) {
            /* no fetching for this certificate */
            staple->host.len = 0;
        }
    }

    SSL_CTX_set_tlsext_status_cb(ssl->ctx, lt_ssl_stapling_status_callback);
    SSL_CTX_set_tlsext_status_arg(ssl->ctx, staples);

    return LT_OK;
}


int
lt_ssl_stapling_file(lt_conf_t *cf, lt_ssl_t *ssl, lt_str_t *file)
{
    lt_str_t  none = lt_string("");

    return lt_ssl_stapling(cf, ssl, NULL, file, &none, 0);
}


static void
lt_ssl_stapling_cleanup(void *data)
{
    size_t            i;
    lt_array_t       *staples = data;
    lt_ssl_staple_t  *staple;

    staple = staples->elts;

    for (i = 0; i < staples->nelts; i++) {
        if (staple[i].issuer) {
            X509_free(staple[i].issuer);
        }

        if (staple[i].fetched) {
            lt_free(staple[i].staple.data);
        }
    }
}


/* fetching, in a worker */

static u_char *
lt_ssl_ocsp_log_error(lt_log_t *log, u_char *buf, size_t len)
{
    u_char             *p, *last;
    lt_ssl_ocsp_ctx_t  *ctx = log->data;

    p = buf;
    last = buf + len;

    if (log->action) {
        p = lt_slprintf(p, last, " while %s", log->action);
    }

    p = lt_slprintf(p, last, ", responder: %.*s", (int) ctx->staple->host.len,
                    ctx->staple->host.data);

    if (ctx->peer.name) {
        p = lt_slprintf(p, last, ", peer: %.*s", (int) ctx->peer.name->len,
                        ctx->peer.name->data);
    }

    if (ctx->staple->name.len) {
        p = lt_slprintf(p, last, ", certificate: \"%.*s\"", (int) ctx->staple->name.len,
                        ctx->staple->name.data);
    }

    return p;
}


/* lt_ssl_ocsp_create_request: "GET /uri/<base64 of the DER request> HTTP/1.0" */
static int
lt_ssl_ocsp_create_request(lt_ssl_ocsp_ctx_t *ctx)
{
    int            len;
    u_char        *p;
    size_t         size, escaped;
    lt_str_t       binary, base64;
    lt_buf_t      *b;
    OCSP_CERTID   *id;
    OCSP_REQUEST  *ocsp;
    lt_ssl_staple_t  *staple = ctx->staple;

    ocsp = OCSP_REQUEST_new();
    if (ocsp == NULL) {
        lt_ssl_error(LT_LOG_ERR, ctx->log, 0, "OCSP_REQUEST_new() failed");
        return LT_ERROR;
    }

    id = OCSP_cert_to_id(NULL, staple->cert, staple->issuer);
    if (id == NULL) {
        lt_ssl_error(LT_LOG_ERR, ctx->log, 0, "OCSP_cert_to_id() failed");
        goto failed;
    }

    if (OCSP_request_add0_id(ocsp, id) == NULL) {
        lt_ssl_error(LT_LOG_ERR, ctx->log, 0, "OCSP_request_add0_id() failed");
        OCSP_CERTID_free(id);
        goto failed;
    }

    len = i2d_OCSP_REQUEST(ocsp, NULL);
    if (len <= 0) {
        lt_ssl_error(LT_LOG_ERR, ctx->log, 0, "i2d_OCSP_REQUEST() failed");
        goto failed;
    }

    binary.len = len;
    binary.data = lt_pnalloc(ctx->pool, len);
    if (binary.data == NULL) {
        goto failed;
    }

    p = binary.data;
    if (i2d_OCSP_REQUEST(ocsp, &p) != len) {
        lt_ssl_error(LT_LOG_ERR, ctx->log, 0, "i2d_OCSP_REQUEST() failed");
        goto failed;
    }

    base64.len = lt_base64_encoded_length(binary.len);
    base64.data = lt_pnalloc(ctx->pool, base64.len);
    if (base64.data == NULL) {
        goto failed;
    }

    lt_encode_base64(&base64, &binary);

    escaped = lt_escape_uri_len(base64.data, base64.len, LT_ESCAPE_URI_COMPONENT);

    size = sizeof("GET ") - 1 + staple->uri.len + 1 + escaped
           + sizeof(" HTTP/1.0\r\nHost: ") - 1 + staple->host.len + sizeof("\r\n\r\n") - 1;

    b = lt_create_temp_buf(ctx->pool, size);
    if (b == NULL) {
        goto failed;
    }

    p = lt_cpymem(b->last, "GET ", sizeof("GET ") - 1);
    p = lt_cpymem(p, staple->uri.data, staple->uri.len);

    if (staple->uri.data[staple->uri.len - 1] != '/') {
        *p++ = '/';
    }

    p = lt_escape_uri(p, base64.data, base64.len, LT_ESCAPE_URI_COMPONENT);
    p = lt_cpymem(p, " HTTP/1.0\r\nHost: ", sizeof(" HTTP/1.0\r\nHost: ") - 1);
    p = lt_cpymem(p, staple->host.data, staple->host.len);
    p = lt_cpymem(p, "\r\n\r\n", 4);

    b->last = p;
    ctx->request = b;

    OCSP_REQUEST_free(ocsp);

    return LT_OK;

failed:

    OCSP_REQUEST_free(ocsp);

    return LT_ERROR;
}


static void
lt_ssl_stapling_update(lt_ssl_staple_t *staple)
{
    lt_log_t           *log;
    lt_pool_t          *pool;
    lt_ssl_ocsp_ctx_t  *ctx;

    if (staple->host.len == 0 || staple->loading || staple->refresh >= lt_time()) {
        return;
    }

    pool = lt_create_pool(2048, ((lt_cycle_t *) lt_cycle)->log);
    if (pool == NULL) {
        return;
    }

    ctx = lt_pcalloc(pool, sizeof(lt_ssl_ocsp_ctx_t));
    log = lt_palloc(pool, sizeof(lt_log_t));

    if (ctx == NULL || log == NULL) {
        lt_destroy_pool(pool);
        return;
    }

    *log = *((lt_cycle_t *) lt_cycle)->log;
    log->connection = 0;
    log->handler = lt_ssl_ocsp_log_error;
    log->data = ctx;
    log->action = "requesting certificate status";

    ctx->staple = staple;
    ctx->pool = pool;
    ctx->log = log;

    staple->loading = 1;

    if (lt_ssl_ocsp_create_request(ctx) != LT_OK) {
        lt_ssl_ocsp_finish(ctx, 0);
        return;
    }

    lt_ssl_ocsp_connect(ctx);
}


static void
lt_ssl_ocsp_connect(lt_ssl_ocsp_ctx_t *ctx)
{
    int               rc;
    lt_addr_t        *addr;
    lt_connection_t  *c;

    addr = &ctx->staple->addrs[ctx->naddr];

    lt_memzero(&ctx->peer, sizeof(lt_peer_connection_t));

    ctx->peer.sockaddr = addr->sockaddr;
    ctx->peer.socklen = addr->socklen;
    ctx->peer.name = &addr->name;
    ctx->peer.get = lt_event_get_peer;
    ctx->peer.log = ctx->log;
    ctx->peer.log_error = LT_ERROR_ERR;
    ctx->peer.tries = 1;

    rc = lt_event_connect_peer(&ctx->peer);

    if (rc == LT_ERROR) {
        lt_ssl_ocsp_finish(ctx, 0);
        return;
    }

    if (rc == LT_BUSY || rc == LT_DECLINED) {
        lt_ssl_ocsp_next(ctx);
        return;
    }

    c = ctx->peer.connection;
    c->data = ctx;
    c->pool = ctx->pool;
    c->read.handler = lt_ssl_ocsp_read_handler;
    c->write.handler = lt_ssl_ocsp_write_handler;

    lt_event_add_timer(&c->read, LT_SSL_OCSP_TIMEOUT);
    lt_event_add_timer(&c->write, LT_SSL_OCSP_TIMEOUT);

    ctx->connected = (rc == LT_OK);

    if (rc == LT_OK) {
        lt_ssl_ocsp_write_handler(&c->write);
    }
}


/* lt_ssl_ocsp_test_connect: after an event on a connect in progress, its
 * outcome: LT_OK, or LT_ERROR (logged at error: the responder's fault) */
static int
lt_ssl_ocsp_test_connect(lt_ssl_ocsp_ctx_t *ctx, lt_connection_t *c)
{
    int  err;

    if (ctx->connected) {
        return LT_OK;
    }

    if (lt_event_connect_test(c, &err) != LT_OK) {
        lt_log_error(LT_LOG_ERR, ctx->log, err, "connect() to %.*s failed",
                     (int) ctx->peer.name->len, ctx->peer.name->data);
        return LT_ERROR;
    }

    ctx->connected = 1;

    return LT_OK;
}


/* lt_ssl_ocsp_next: this address failed: the next one, or the end */
static void
lt_ssl_ocsp_next(lt_ssl_ocsp_ctx_t *ctx)
{
    if (ctx->peer.connection) {
        lt_close_connection(ctx->peer.connection);
        ctx->peer.connection = NULL;
    }

    if (++ctx->naddr >= ctx->staple->naddrs) {
        lt_ssl_ocsp_finish(ctx, 0);
        return;
    }

    ctx->request->pos = ctx->request->start;

    if (ctx->response) {
        ctx->response->pos = ctx->response->start;
        ctx->response->last = ctx->response->start;
    }

    ctx->code = 0;
    ctx->body = NULL;
    ctx->connected = 0;

    lt_ssl_ocsp_connect(ctx);
}


static void
lt_ssl_ocsp_write_handler(lt_event_t *wev)
{
    ssize_t             n, size;
    lt_connection_t    *c = wev->data;
    lt_ssl_ocsp_ctx_t  *ctx = c->data;

    if (c->close) {
        /* the worker is going away (worker_shutdown_timeout) */
        lt_ssl_ocsp_finish(ctx, 0);
        return;
    }

    if (wev->timedout) {
        lt_log_error(LT_LOG_ERR, ctx->log, ETIMEDOUT, "OCSP responder timed out");
        lt_ssl_ocsp_next(ctx);
        return;
    }

    if (lt_ssl_ocsp_test_connect(ctx, c) != LT_OK) {
        lt_ssl_ocsp_next(ctx);
        return;
    }

    size = ctx->request->last - ctx->request->pos;

    n = lt_send(c, ctx->request->pos, size);

    if (n == LT_ERROR) {
        lt_ssl_ocsp_next(ctx);
        return;
    }

    if (n > 0) {
        ctx->request->pos += n;

        if (n == size) {
            wev->handler = lt_ssl_ocsp_dummy_handler;

            if (wev->timer_set) {
                lt_event_del_timer(wev);
            }

            return;
        }
    }

    if (!wev->timer_set) {
        lt_event_add_timer(wev, LT_SSL_OCSP_TIMEOUT);
    }
}


static void
lt_ssl_ocsp_dummy_handler(lt_event_t *ev)
{
}


/*
 * lt_ssl_ocsp_parse_header: the status line and the header of what was read;
 * LT_OK (ctx->code and ctx->body set), LT_AGAIN (incomplete), LT_ERROR
 * (logged). A header line may end with LF or CRLF.
 */
static int
lt_ssl_ocsp_parse_header(lt_ssl_ocsp_ctx_t *ctx)
{
    u_char   *p, *last, *line, *eol, *colon, *value, *vend;
    int64_t   n;

    p = ctx->response->start;
    last = ctx->response->last;

    eol = lt_strlchr(p, last, '\n');
    if (eol == NULL) {
        goto again;
    }

    /* "HTTP/1.x 200 text" */
    if (eol - p < 12 || memcmp(p, "HTTP/1.", 7) != 0 || p[8] != ' '
        || (n = lt_atoi(p + 9, 3)) == LT_ERROR || n < 100
        || (eol - p > 12 && p[12] != ' ' && p[12] != '\r'))
    {
        goto invalid;
    }

    ctx->code = (int) n;
    ctx->content_length = -1;

    for (line = eol + 1; ; line = eol + 1) {
        eol = lt_strlchr(line, last, '\n');
        if (eol == NULL) {
            goto again;
        }

        vend = (eol > line && eol[-1] == '\r') ? eol - 1 : eol;

        if (vend == line) {
            ctx->body = eol + 1;
            return LT_OK;
        }

        colon = lt_strlchr(line, vend, ':');
        if (colon == NULL || colon == line) {
            goto invalid;
        }

        for (value = colon + 1; value < vend && (*value == ' ' || *value == '\t'); value++) {
            /* void */
        }

        while (vend > value && (vend[-1] == ' ' || vend[-1] == '\t')) {
            vend--;
        }

        if (colon - line == sizeof("Content-Type") - 1
            && lt_strncasecmp(line, (u_char *) "Content-Type", colon - line) == 0)
        {
            if ((size_t) (vend - value) != sizeof("application/ocsp-response") - 1
                || lt_strncasecmp(value, (u_char *) "application/ocsp-response",
                                  vend - value) != 0)
            {
                lt_log_error(LT_LOG_ERR, ctx->log, 0, "OCSP responder sent invalid "
                             "\"Content-Type\" header: \"%.*s\"", (int) (vend - value), value);
                return LT_ERROR;
            }

        } else if (colon - line == sizeof("Content-Length") - 1
                   && lt_strncasecmp(line, (u_char *) "Content-Length", colon - line) == 0)
        {
            n = lt_atoi(value, vend - value);
            if (n == LT_ERROR) {
                goto invalid;
            }

            ctx->content_length = n;
        }
    }

again:

    if (ctx->response->last == ctx->response->end) {
        goto invalid;
    }

    return LT_AGAIN;

invalid:

    lt_log_error(LT_LOG_ERR, ctx->log, 0, "OCSP responder sent invalid response");

    return LT_ERROR;
}


static void
lt_ssl_ocsp_read_handler(lt_event_t *rev)
{
    int                 rc;
    ssize_t             n;
    lt_connection_t    *c = rev->data;
    lt_ssl_ocsp_ctx_t  *ctx = c->data;

    if (c->close) {
        /* the worker is going away (worker_shutdown_timeout) */
        lt_ssl_ocsp_finish(ctx, 0);
        return;
    }

    if (rev->timedout) {
        lt_log_error(LT_LOG_ERR, ctx->log, ETIMEDOUT, "OCSP responder timed out");
        lt_ssl_ocsp_next(ctx);
        return;
    }

    if (lt_ssl_ocsp_test_connect(ctx, c) != LT_OK) {
        lt_ssl_ocsp_next(ctx);
        return;
    }

    if (ctx->response == NULL) {
        ctx->response = lt_create_temp_buf(ctx->pool, LT_SSL_OCSP_BUFSIZE);
        if (ctx->response == NULL) {
            lt_ssl_ocsp_finish(ctx, 0);
            return;
        }
    }

    for ( ;; ) {
        if (ctx->response->last == ctx->response->end) {
            lt_log_error(LT_LOG_ERR, ctx->log, 0, "OCSP responder sent too big response");
            lt_ssl_ocsp_next(ctx);
            return;
        }

        n = lt_recv(c, ctx->response->last, ctx->response->end - ctx->response->last);

        if (n == LT_AGAIN) {
            /* edge-triggered: the next event says there is more */
            if (rev->timer_set) {
                lt_event_del_timer(rev);
            }

            lt_event_add_timer(rev, LT_SSL_OCSP_TIMEOUT);
            return;
        }

        if (n <= 0) {
            break;
        }

        ctx->response->last += n;

        if (ctx->body == NULL) {
            rc = lt_ssl_ocsp_parse_header(ctx);

            if (rc == LT_ERROR) {
                lt_ssl_ocsp_next(ctx);
                return;
            }
        }

        if (ctx->body && ctx->content_length >= 0
            && ctx->response->last - ctx->body >= ctx->content_length)
        {
            ctx->response->last = ctx->body + ctx->content_length;
            lt_ssl_ocsp_finish(ctx, 1);
            return;
        }
    }

    /* the responder closed the connection (or failed: logged) */

    if (ctx->body == NULL
        || (ctx->content_length >= 0 && ctx->response->last - ctx->body < ctx->content_length))
    {
        lt_log_error(LT_LOG_ERR, ctx->log, 0, "OCSP responder prematurely closed connection");
        lt_ssl_ocsp_next(ctx);
        return;
    }

    lt_ssl_ocsp_finish(ctx, 1);
}


/* lt_ssl_ocsp_time: an ASN.1 time as time_t; -1 on error */
static time_t
lt_ssl_ocsp_time(ASN1_GENERALIZEDTIME *asn1time)
{
    struct tm  tm;

    if (ASN1_TIME_to_tm(asn1time, &tm) != 1) {
        return (time_t) -1;
    }

    return timegm(&tm);
}


/*
 * lt_ssl_ocsp_verify: the response read is an OCSP response for this
 * certificate: LT_OK with *status and *valid, or LT_ERROR (logged)
 */
static int
lt_ssl_ocsp_verify(lt_ssl_ocsp_ctx_t *ctx, int *status, time_t *valid)
{
    int                    n, rc;
    const u_char          *p;
    X509_STORE            *store;
    OCSP_CERTID           *id;
    OCSP_RESPONSE         *ocsp;
    OCSP_BASICRESP        *basic;
    lt_ssl_staple_t       *staple = ctx->staple;
    ASN1_GENERALIZEDTIME  *thisupdate, *nextupdate;

    rc = LT_ERROR;
    basic = NULL;
    id = NULL;

    p = ctx->body;

    ocsp = d2i_OCSP_RESPONSE(NULL, &p, ctx->response->last - ctx->body);
    if (ocsp == NULL) {
        lt_ssl_error(LT_LOG_ERR, ctx->log, 0, "d2i_OCSP_RESPONSE() failed");
        goto done;
    }

    n = OCSP_response_status(ocsp);

    if (n != OCSP_RESPONSE_STATUS_SUCCESSFUL) {
        lt_log_error(LT_LOG_ERR, ctx->log, 0, "OCSP response not successful (%d: %s)",
                     n, OCSP_response_status_str(n));
        goto done;
    }

    basic = OCSP_response_get1_basic(ocsp);
    if (basic == NULL) {
        lt_ssl_error(LT_LOG_ERR, ctx->log, 0, "OCSP_response_get1_basic() failed");
        goto done;
    }

    store = SSL_CTX_get_cert_store(staple->ssl_ctx);

    if (OCSP_basic_verify(basic, staple->chain, store,
                          staple->verify ? OCSP_TRUSTOTHER : OCSP_NOVERIFY) != 1)
    {
        lt_ssl_error(LT_LOG_ERR, ctx->log, 0, "OCSP_basic_verify() failed");
        goto done;
    }

    id = OCSP_cert_to_id(NULL, staple->cert, staple->issuer);
    if (id == NULL) {
        lt_ssl_error(LT_LOG_ERR, ctx->log, 0, "OCSP_cert_to_id() failed");
        goto done;
    }

    if (OCSP_resp_find_status(basic, id, status, NULL, NULL, &thisupdate, &nextupdate) != 1) {
        lt_log_error(LT_LOG_ERR, ctx->log, 0,
                     "certificate status not found in the OCSP response");
        goto done;
    }

    if (OCSP_check_validity(thisupdate, nextupdate, 300, -1) != 1) {
        lt_ssl_error(LT_LOG_ERR, ctx->log, 0, "OCSP_check_validity() failed");
        goto done;
    }

    if (nextupdate) {
        *valid = lt_ssl_ocsp_time(nextupdate);

        if (*valid == (time_t) -1) {
            lt_log_error(LT_LOG_ERR, ctx->log, 0,
                         "invalid nextUpdate time in certificate status");
            goto done;
        }

    } else {
        *valid = LT_SSL_STAPLE_FOREVER;
    }

    rc = LT_OK;

done:

    ERR_clear_error();
    OCSP_CERTID_free(id);
    OCSP_BASICRESP_free(basic);
    OCSP_RESPONSE_free(ocsp);

    return rc;
}


/*
 * lt_ssl_ocsp_finish: the end of a fetch (ok: a whole response was read):
 * a good status replaces the staple, anything else keeps the old one (until
 * it expires) and tries again in 5 minutes; frees ctx
 */
static void
lt_ssl_ocsp_finish(lt_ssl_ocsp_ctx_t *ctx, int ok)
{
    int               status;
    time_t            now, valid;
    u_char           *data;
    size_t            len;
    lt_ssl_staple_t  *staple = ctx->staple;

    now = lt_time();
    staple->loading = 0;
    staple->refresh = now + LT_SSL_OCSP_RETRY;

    if (!ok) {
        goto done;
    }

    if (ctx->code != 200) {
        lt_log_error(LT_LOG_ERR, ctx->log, 0, "OCSP responder sent status %d", ctx->code);
        goto done;
    }

    if (lt_ssl_ocsp_verify(ctx, &status, &valid) != LT_OK) {
        goto done;
    }

    if (status != V_OCSP_CERTSTATUS_GOOD) {
        lt_log_error(LT_LOG_ERR, ctx->log, 0, "certificate status \"%s\" in the OCSP response",
                     OCSP_cert_status_str(status));
        goto done;
    }

    len = ctx->response->last - ctx->body;

    data = lt_alloc(len, ctx->log);
    if (data == NULL) {
        goto done;
    }

    memcpy(data, ctx->body, len);

    if (staple->fetched) {
        lt_free(staple->staple.data);
    }

    staple->staple.data = data;
    staple->staple.len = len;
    staple->fetched = 1;
    staple->valid = valid;

    /* before it expires, but not sooner than the retry delay, nor later than an hour */
    staple->refresh = (valid - LT_SSL_OCSP_RETRY < now + LT_SSL_OCSP_REFRESH)
                      ? valid - LT_SSL_OCSP_RETRY : now + LT_SSL_OCSP_REFRESH;

    if (staple->refresh < now + LT_SSL_OCSP_RETRY) {
        staple->refresh = now + LT_SSL_OCSP_RETRY;
    }

done:

    if (ctx->peer.connection) {
        lt_close_connection(ctx->peer.connection);
        ctx->peer.connection = NULL;
    }

    lt_destroy_pool(ctx->pool);
}
