/*
 * ssl.h: what the HTTP connection code (http/lt_http_request.c) calls of the
 * http_ssl module, when it is built (LT_MODULE_HTTP_SSL).
 */

#ifndef LT_MODULES_SSL_H
#define LT_MODULES_SSL_H

#include "lt_http.h"
#include "lt_ssl.h"

#define LT_HTTP_SSL_VERIFY_OFF            0
#define LT_HTTP_SSL_VERIFY_ON             1
#define LT_HTTP_SSL_VERIFY_OPTIONAL       2
#define LT_HTTP_SSL_VERIFY_OPTIONAL_NO_CA 3

/* where a directive was written: errors found when the server's context is
 * built (at the end of its block) point there */
typedef struct {
    lt_str_t          file;
    size_t            line;
} lt_http_ssl_where_t;

enum {
    LT_HTTP_SSL_W_CIPHERS = 0,
    LT_HTTP_SSL_W_DHPARAM,
    LT_HTTP_SSL_W_CURVE,
    LT_HTTP_SSL_W_CONF_COMMAND,
    LT_HTTP_SSL_W_CLIENT_CERT,
    LT_HTTP_SSL_W_TRUSTED_CERT,
    LT_HTTP_SSL_W_CRL,
    LT_HTTP_SSL_W_TICKET_KEY,
    LT_HTTP_SSL_W_STAPLING_FILE,
    LT_HTTP_SSL_W_VERIFY,
    LT_HTTP_SSL_W_N
};

typedef struct {
    lt_ssl_t          ssl;

    int               prefer_server_ciphers;
    int               early_data;
    int               reject_handshake;
    unsigned          protocols;
    unsigned          verify;
    int               verify_depth;
    size_t            buffer_size;
    ssize_t           builtin_session_cache;
    time_t            session_timeout;
    int               session_tickets;

    lt_array_t       *certificates;         /* lt_str_t */
    lt_array_t       *certificate_keys;     /* lt_str_t */
    lt_array_t       *passwords;            /* lt_str_t, or LT_CONF_UNSET_PTR */
    lt_array_t       *conf_commands;        /* lt_keyval_t */
    lt_array_t       *session_ticket_keys;  /* lt_str_t */

    lt_str_t          dhparam;
    lt_str_t          ecdh_curve;
    lt_str_t          client_certificate;
    lt_str_t          trusted_certificate;
    lt_str_t          crl;
    lt_str_t          ciphers;

    lt_shm_zone_t    *shm_zone;

    int               stapling;
    int               stapling_verify;
    lt_str_t          stapling_file;
    lt_str_t          stapling_responder;

    lt_array_t       *certificate_values;     /* lt_http_complex_value_t, or NULL */
    lt_array_t       *certificate_key_values;
    lt_array_t       *certificate_where;    /* lt_http_ssl_where_t, per certificate */
    lt_array_t       *certificate_key_where;
    lt_http_ssl_where_t  where[LT_HTTP_SSL_W_N];

    u_char           *file;
    size_t            line;
} lt_http_ssl_srv_conf_t;

extern lt_module_t  lt_http_ssl_module;

/* lt_http_ssl_create_connection: c->ssl for a connection accepted on an ssl
 * address, on the default server's context (SNI may switch it) */
int lt_http_ssl_create_connection(lt_connection_t *c);

/* lt_http_ssl_verify_request: the client certificate check of a request's
 * server (ssl_verify_client): LT_OK or LT_HTTPS_NO_CERT/LT_HTTPS_CERT_ERROR */
int lt_http_ssl_verify_request(lt_http_request_t *r);

/* lt_http_ssl_misdirected: with a TLS server name, whether a Host that picked
 * another server must be refused (421): that server verifies client
 * certificates, which the handshake did not do for it */
int lt_http_ssl_misdirected(lt_http_request_t *r, lt_http_core_srv_conf_t *cscf);

#endif /* LT_MODULES_SSL_H */
