/*
 * lt_http_upstream_ssl.c: TLS to upstreams (proxy_pass https://, proxy_ssl_*).
 *
 * After the TCP connect the upstream core makes the connection a TLS client
 * (lt_http_upstream_ssl_start: SNI, a saved session, a client certificate given
 * with variables), drives the handshake in the event loop within
 * proxy_connect_timeout, and checks the result (lt_http_upstream_ssl_done:
 * proxy_ssl_verify, the name). Sessions are kept per worker, per peer and name,
 * as the server hands them out (TLS 1.3 sends its tickets after the handshake, so
 * they are taken from OpenSSL's new-session callback, not at the handshake's end).
 * A keepalive pool keeps TLS connections as they are: a reused one needs no
 * handshake.
 */

#include <arpa/inet.h>

#include "lt_http.h"
#include "lt_http_upstream.h"

/* saved sessions per proxy_ssl context, in each worker */
#define LT_HTTP_UPSTREAM_SSL_SESSIONS  64

typedef struct lt_http_upstream_ssl_session_s  lt_http_upstream_ssl_session_t;

struct lt_http_upstream_ssl_session_s {
    lt_http_upstream_ssl_session_t  *next;
    SSL_SESSION                     *session;
    size_t                           len;
    u_char                           key[];     /* "peer name|server name" */
};

typedef struct {
    lt_http_upstream_ssl_session_t  *head;
    unsigned                         n;
} lt_http_upstream_ssl_sessions_t;

/* what an SSL of an upstream connection carries: where its sessions go */
typedef struct {
    lt_http_upstream_ssl_conf_t     *scf;
    size_t                           len;
    u_char                           key[];
} lt_http_upstream_ssl_key_t;

static int  lt_http_upstream_ssl_index = -1;


static void
lt_http_upstream_ssl_key_free(void *parent, void *ptr, CRYPTO_EX_DATA *ad, int idx,
    long argl, void *argp)
{
    (void) parent;
    (void) ad;
    (void) idx;
    (void) argl;
    (void) argp;

    free(ptr);
}


static lt_http_upstream_ssl_session_t **
lt_http_upstream_ssl_find(lt_http_upstream_ssl_sessions_t *ss, const u_char *key, size_t len)
{
    lt_http_upstream_ssl_session_t  **sp;

    for (sp = &ss->head; *sp; sp = &(*sp)->next) {
        if ((*sp)->len == len && memcmp((*sp)->key, key, len) == 0) {
            return sp;
        }
    }

    return NULL;
}


/* the client context's new-session callback: keeps the newest session of a peer */
static int
lt_http_upstream_ssl_new_session(SSL *ssl, SSL_SESSION *session)
{
    lt_http_upstream_ssl_key_t       *k;
    lt_http_upstream_ssl_session_t   *s, **sp;
    lt_http_upstream_ssl_sessions_t  *ss;

    k = SSL_get_ex_data(ssl, lt_http_upstream_ssl_index);

    if (k == NULL || !k->scf->session_reuse || k->scf->sessions == NULL) {
        return 0;
    }

    ss = k->scf->sessions;
    sp = lt_http_upstream_ssl_find(ss, k->key, k->len);

    if (sp) {
        s = *sp;
        SSL_SESSION_free(s->session);
        s->session = session;

        /* most recent first */
        *sp = s->next;
        s->next = ss->head;
        ss->head = s;

        return 1;
    }

    s = malloc(sizeof(lt_http_upstream_ssl_session_t) + k->len);
    if (s == NULL) {
        return 0;
    }

    s->session = session;
    s->len = k->len;
    memcpy(s->key, k->key, k->len);
    s->next = ss->head;
    ss->head = s;

    if (++ss->n > LT_HTTP_UPSTREAM_SSL_SESSIONS) {
        /* drop the least recently saved */
        for (sp = &ss->head; (*sp)->next; sp = &(*sp)->next) { /* void */ }

        SSL_SESSION_free((*sp)->session);
        free(*sp);
        *sp = NULL;
        ss->n--;
    }

    /* 1: the callback keeps the reference */
    return 1;
}


int
lt_http_upstream_ssl_configure(lt_conf_t *cf, lt_http_upstream_ssl_conf_t *scf)
{
    if (lt_http_upstream_ssl_index == -1) {
        lt_http_upstream_ssl_index = SSL_get_ex_new_index(0, NULL, NULL, NULL,
                                                          lt_http_upstream_ssl_key_free);
        if (lt_http_upstream_ssl_index == -1) {
            lt_ssl_error(LT_LOG_EMERG, cf->log, 0, "SSL_get_ex_new_index() failed");
            return LT_ERROR;
        }
    }

    if (scf->session_reuse) {
        scf->sessions = lt_pcalloc(cf->pool, sizeof(lt_http_upstream_ssl_sessions_t));
        if (scf->sessions == NULL) {
            return LT_ERROR;
        }

        SSL_CTX_set_session_cache_mode(scf->ctx->ctx,
                                       SSL_SESS_CACHE_CLIENT | SSL_SESS_CACHE_NO_INTERNAL);
        SSL_CTX_sess_set_new_cb(scf->ctx->ctx, lt_http_upstream_ssl_new_session);

    } else {
        SSL_CTX_set_session_cache_mode(scf->ctx->ctx, SSL_SESS_CACHE_OFF);
    }

    return LT_OK;
}


/* lt_http_upstream_ssl_name: the name to send as SNI and to check the certificate
 * against: proxy_ssl_name (by default $proxy_host) without a port */
static int
lt_http_upstream_ssl_name(lt_http_request_t *r, lt_http_upstream_ssl_conf_t *scf,
    lt_str_t *name)
{
    u_char  *p, *last;

    if (lt_http_complex_value(r, scf->name, name) != LT_OK) {
        return LT_ERROR;
    }

    p = name->data;
    last = name->data + name->len;

    if (name->len && *p == '[') {
        /* an IPv6 literal: the address between the brackets */
        p = memchr(p, ']', name->len);
        if (p) {
            name->data++;
            name->len = p - name->data;
        }

        return LT_OK;
    }

    p = memchr(p, ':', last - p);
    if (p) {
        name->len = p - name->data;
    }

    return LT_OK;
}


/* lt_http_upstream_ssl_is_ip: an address, which SNI must not carry */
static int
lt_http_upstream_ssl_is_ip(const lt_str_t *name)
{
    u_char  buf[64], addr[16];

    if (name->len == 0 || name->len >= sizeof(buf)) {
        return 0;
    }

    memcpy(buf, name->data, name->len);
    buf[name->len] = '\0';

    return inet_pton(AF_INET, (char *) buf, addr) == 1
           || inet_pton(AF_INET6, (char *) buf, addr) == 1;
}


/* lt_http_upstream_ssl_certificate: proxy_ssl_certificate with variables: the
 * certificate (with its chain) and key of this connection */
static int
lt_http_upstream_ssl_certificate(lt_http_request_t *r, lt_http_upstream_ssl_conf_t *scf,
    lt_connection_t *c)
{
    lt_str_t  cert, key;

    if (lt_http_complex_value(r, scf->certificate, &cert) != LT_OK
        || lt_http_complex_value(r, scf->certificate_key, &key) != LT_OK)
    {
        return LT_ERROR;
    }

    if (cert.len == 0) {
        /* an empty value: no client certificate for this request */
        return LT_OK;
    }

    return lt_ssl_connection_certificate(c, &cert, &key, scf->passwords);
}


int
lt_http_upstream_ssl_start(lt_http_request_t *r, lt_http_upstream_t *u, lt_connection_t *c)
{
    SSL                              *ssl;
    lt_str_t                          name;
    lt_http_upstream_ssl_key_t       *k;
    lt_http_upstream_ssl_conf_t      *scf;
    lt_http_upstream_ssl_session_t  **sp;

    scf = u->conf->ssl;

    /* the TLS state lives as long as the connection (a keepalive pool keeps it
     * past this request): in a pool of its own, c->pool from now on, destroyed by
     * lt_http_upstream_ssl_close() */
    c->pool = lt_create_pool(1024, lt_cycle_log());
    if (c->pool == NULL) {
        c->pool = r->pool;
        return LT_ERROR;
    }

    if (lt_ssl_create_connection(scf->ctx, c, LT_SSL_CLIENT) != LT_OK) {
        lt_destroy_pool(c->pool);
        c->pool = r->pool;
        c->ssl = NULL;
        return LT_ERROR;
    }

    ssl = ((lt_ssl_connection_t *) c->ssl)->connection;

    if (lt_http_upstream_ssl_name(r, scf, &name) != LT_OK) {
        return LT_ERROR;
    }

    u->ssl_name = name;

    if (scf->server_name && name.len && !lt_http_upstream_ssl_is_ip(&name)) {
        u_char  host[256];

        if (name.len >= sizeof(host)) {
            lt_log_error(LT_LOG_ERR, c->log, 0, "upstream SSL name \"%.*s\" is too long",
                         (int) name.len, name.data);
            return LT_ERROR;
        }

        memcpy(host, name.data, name.len);
        host[name.len] = '\0';

        if (SSL_set_tlsext_host_name(ssl, (char *) host) != 1) {
            lt_ssl_error(LT_LOG_ERR, c->log, 0, "SSL_set_tlsext_host_name(\"%s\") failed",
                         host);
            return LT_ERROR;
        }
    }

    if (scf->certificate && lt_http_upstream_ssl_certificate(r, scf, c) != LT_OK) {
        return LT_ERROR;
    }

    if (!scf->session_reuse || scf->sessions == NULL) {
        return LT_OK;
    }

    /* the key under which this peer's sessions are saved */
    k = malloc(sizeof(lt_http_upstream_ssl_key_t) + u->peer.name->len + 1 + name.len);
    if (k == NULL) {
        return LT_ERROR;
    }

    k->scf = scf;
    k->len = u->peer.name->len + 1 + name.len;
    memcpy(k->key, u->peer.name->data, u->peer.name->len);
    k->key[u->peer.name->len] = '|';
    memcpy(k->key + u->peer.name->len + 1, name.data, name.len);

    if (SSL_set_ex_data(ssl, lt_http_upstream_ssl_index, k) != 1) {
        free(k);
        return LT_ERROR;
    }

    sp = lt_http_upstream_ssl_find(scf->sessions, k->key, k->len);

    if (sp && lt_ssl_set_session(c, (*sp)->session) != LT_OK) {
        return LT_ERROR;
    }

    return LT_OK;
}


void
lt_http_upstream_ssl_close(lt_connection_t *c)
{
    lt_pool_t  *pool;

    pool = c->pool;

    lt_ssl_shutdown(c);

    c->pool = NULL;
    lt_close_connection(c);

    lt_destroy_pool(pool);
}


int
lt_http_upstream_ssl_done(lt_http_request_t *r, lt_http_upstream_t *u, lt_connection_t *c)
{
    int                           ok;
    long                          rc;
    SSL                          *ssl;
    X509                         *cert;
    u_char                        name[256];
    lt_http_upstream_ssl_conf_t  *scf;

    (void) r;

    scf = u->conf->ssl;

    if (!scf->verify) {
        return LT_OK;
    }

    ssl = ((lt_ssl_connection_t *) c->ssl)->connection;

    rc = SSL_get_verify_result(ssl);

    if (rc != X509_V_OK) {
        lt_log_error(LT_LOG_ERR, c->log, 0, "upstream SSL certificate verify error: (%ld:%s)",
                     rc, X509_verify_cert_error_string(rc));
        return LT_ERROR;
    }

    cert = SSL_get1_peer_certificate(ssl);

    if (cert == NULL) {
        lt_log_error(LT_LOG_ERR, c->log, 0, "upstream sent no SSL certificate");
        return LT_ERROR;
    }

    ok = 0;

    if (u->ssl_name.len && u->ssl_name.len < sizeof(name)) {
        memcpy(name, u->ssl_name.data, u->ssl_name.len);
        name[u->ssl_name.len] = '\0';

        if (lt_http_upstream_ssl_is_ip(&u->ssl_name)) {
            ok = X509_check_ip_asc(cert, (char *) name, 0) == 1;

        } else {
            ok = X509_check_host(cert, (char *) name, u->ssl_name.len, 0, NULL) == 1;
        }
    }

    X509_free(cert);

    if (!ok) {
        lt_log_error(LT_LOG_ERR, c->log, 0, "upstream SSL certificate does not match \"%.*s\"",
                     (int) u->ssl_name.len, u->ssl_name.data);
        return LT_ERROR;
    }

    return LT_OK;
}
