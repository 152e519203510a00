/*
 * lt_ssl.h: the TLS glue over OpenSSL 3. A context (lt_ssl_t) wraps one SSL_CTX
 * made by the master at configuration time (certificates and keys are read
 * there, so workers never need the key files); a connection that speaks TLS
 * gets an lt_ssl_connection_t in c->ssl and c->io = &lt_ssl_io, so the code above
 * reads and writes through lt_recv/lt_send/lt_send_chain as on a plain socket.
 *
 * Server side: lt_ssl_create_connection(ssl, c, 0), then lt_ssl_handshake(c)
 * from the connection's event handlers until it stops returning LT_AGAIN.
 * Client side (upstreams): the same with LT_SSL_CLIENT, after the TCP connect;
 * lt_ssl_set_session/lt_ssl_get_session keep a session for reuse.
 */

#ifndef LT_SSL_H
#define LT_SSL_H

#include "lt_config.h"
#include "lt_string.h"
#include "lt_array.h"
#include "lt_log.h"
#include "lt_buf.h"
#include "lt_connection.h"

#include <openssl/ssl.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>

/* ssl_protocols bits */
#define LT_SSL_SSLv2    0x0002
#define LT_SSL_SSLv3    0x0004
#define LT_SSL_TLSv1    0x0008
#define LT_SSL_TLSv1_1  0x0010
#define LT_SSL_TLSv1_2  0x0020
#define LT_SSL_TLSv1_3  0x0040

#define LT_SSL_DEFAULT_PROTOCOLS  (LT_SSL_TLSv1_2 | LT_SSL_TLSv1_3)

/* lt_ssl_create_connection flags */
#define LT_SSL_CLIENT   0x01

/* ssl_session_cache's builtin size markers */
#define LT_SSL_NO_SCACHE       -2      /* off */
#define LT_SSL_NONE_SCACHE     -3      /* none: sessions are announced, not kept */
#define LT_SSL_NO_BUILTIN_SCACHE  -4
#define LT_SSL_DFLT_BUILTIN_SCACHE  -5

#define LT_SSL_BUFSIZE  16384

typedef struct {
    SSL_CTX        *ctx;
    lt_log_t       *log;
    size_t          buffer_size;
    lt_array_t     *certs;          /* X509 *: the certificates, for the session id */
} lt_ssl_t;

typedef struct {
    SSL            *connection;
    SSL_CTX        *session_ctx;
    u_char         *buf;            /* ssl_buffer_size: what send_chain coalesces */
    size_t          buffer_size;
    size_t          pending;        /* a write that returned LT_AGAIN: its length */
    int             last;           /* a read's outcome kept for the next call */

    unsigned        handshaked:1;
    unsigned        handshake_rejected:1;
    unsigned        client:1;
    unsigned        no_wait_shutdown:1;
    unsigned        no_send_shutdown:1;
    unsigned        shutdown_done:1;
} lt_ssl_connection_t;

extern const lt_conn_io_t  lt_ssl_io;

/* ex_data slots: SSL -> lt_connection_t, SSL_CTX -> the owner's conf, and the
 * ticket keys of a context */
extern int  lt_ssl_connection_index;
extern int  lt_ssl_server_conf_index;
extern int  lt_ssl_ticket_keys_index;

/* lt_ssl_init: OpenSSL's one-time setup and our ex_data indexes; LT_OK/LT_ERROR */
int lt_ssl_init(lt_log_t *log);

/* lt_ssl_error: logs fmt followed by " (SSL: ...)" with OpenSSL's error queue,
 * which it empties */
void lt_ssl_error(unsigned level, lt_log_t *log, int err, const char *fmt, ...)
    LT_PRINTF(4, 5);

/* lt_ssl_create: a new context with the given protocols (LT_SSL_* bits); data is
 * kept in the SSL_CTX's ex_data (the owner's conf). The context is freed with
 * cf's cycle pool. LT_OK/LT_ERROR (logged). */
int lt_ssl_create(lt_ssl_t *ssl, unsigned protocols, void *data, lt_pool_t *pool);

/* lt_ssl_certificates: loads each certificate (with its chain) and its key;
 * values may be file names or "data:..."; passwords (lt_str_t, may be NULL) are
 * tried in turn for encrypted keys. Errors name the file and OpenSSL's reason. */
int lt_ssl_certificate(lt_conf_t *cf, lt_ssl_t *ssl, lt_str_t *cert, lt_str_t *key,
    lt_array_t *passwords);
/* the two halves of lt_ssl_certificate: the certificate (and chain), then its key */
int lt_ssl_use_certificate(lt_conf_t *cf, lt_ssl_t *ssl, lt_str_t *cert);
int lt_ssl_use_certificate_key(lt_conf_t *cf, lt_ssl_t *ssl, lt_str_t *key,
    lt_array_t *passwords);
int lt_ssl_connection_certificate(lt_connection_t *c, lt_str_t *cert, lt_str_t *key,
    lt_array_t *passwords);
int lt_ssl_certificates(lt_conf_t *cf, lt_ssl_t *ssl, lt_array_t *certs, lt_array_t *keys,
    lt_array_t *passwords);

/* lt_ssl_read_password_file: the lines of file, as lt_str_t; NULL on error */
lt_array_t *lt_ssl_read_password_file(lt_conf_t *cf, lt_str_t *file);

int lt_ssl_ciphers(lt_conf_t *cf, lt_ssl_t *ssl, lt_str_t *ciphers, int prefer_server);
int lt_ssl_dhparam(lt_conf_t *cf, lt_ssl_t *ssl, lt_str_t *file);
int lt_ssl_ecdh_curve(lt_conf_t *cf, lt_ssl_t *ssl, lt_str_t *name);
/* lt_ssl_conf_commands: SSL_CONF_cmd for each key/value (lt_keyval_t) */
int lt_ssl_conf_commands(lt_conf_t *cf, lt_ssl_t *ssl, lt_array_t *commands);

/* lt_ssl_client_certificate: CAs that verify clients (their names are sent in
 * the CertificateRequest when send_names); lt_ssl_trusted_certificate: CAs that
 * verify without being announced; lt_ssl_crl: revocation lists */
/* lt_ssl_trusted_certificate: file's CAs into the context's store, without
 * asking anyone for a certificate (stapling issuers, responders, upstreams) */
int lt_ssl_trusted_certificate(lt_conf_t *cf, lt_ssl_t *ssl, lt_str_t *file);
int lt_ssl_client_certificate(lt_conf_t *cf, lt_ssl_t *ssl, lt_str_t *file, int depth,
    int send_names);
int lt_ssl_crl(lt_conf_t *cf, lt_ssl_t *ssl, lt_str_t *file);

/* OCSP stapling (lt_ssl_stapling.c). lt_ssl_stapling: a staple for each
 * certificate of ssl (names: their configured file names, lt_str_t, in the same
 * order, for messages; may be NULL): the DER response of file when it is not
 * empty, else responses the worker fetches from responder (or each
 * certificate's AIA OCSP URL; "http://" only, names resolved now) at the first
 * handshake that asks, checked against the context's store when verify. A
 * certificate without an issuer or a responder URL is left out with a warning.
 * LT_OK/LT_ERROR (logged). lt_ssl_stapling_file: the same with a file only.
 */
int lt_ssl_stapling(lt_conf_t *cf, lt_ssl_t *ssl, lt_array_t *names, lt_str_t *file,
    lt_str_t *responder, int verify);
int lt_ssl_stapling_file(lt_conf_t *cf, lt_ssl_t *ssl, lt_str_t *file);

/* lt_ssl_session_cache: builtin is an LT_SSL_*_SCACHE marker or a number of
 * sessions; shm_zone (may be NULL) is a shared:NAME:SIZE zone made with
 * lt_ssl_session_cache_zone; timeout in seconds */
int lt_ssl_session_cache(lt_ssl_t *ssl, lt_str_t *sess_ctx, ssize_t builtin,
    lt_shm_zone_t *shm_zone, time_t timeout);
/* lt_ssl_session_cache_init: the init handler of a shared session cache zone */
int lt_ssl_session_cache_init(lt_shm_zone_t *shm_zone, void *data);

/* lt_ssl_session_ticket_keys: keys from files (48 or 80 bytes each; the first
 * encrypts, all decrypt); paths NULL keeps OpenSSL's own key, made in the master
 * when the context was created and so the same in every worker */
int lt_ssl_session_ticket_keys(lt_conf_t *cf, lt_ssl_t *ssl, lt_array_t *paths);

/* lt_ssl_session_ticket_zone: without key files, tickets use a key kept in the
 * shared session cache zone (made when the zone is), so the servers that share
 * the zone take each other's tickets; call after lt_ssl_session_cache */
int lt_ssl_session_ticket_zone(lt_ssl_t *ssl, lt_shm_zone_t *shm_zone);

/* lt_ssl_create_connection: c->ssl for a new TLS connection on ssl's context
 * (flags: LT_SSL_CLIENT); c->io becomes lt_ssl_io once the handshake is done */
int lt_ssl_create_connection(lt_ssl_t *ssl, lt_connection_t *c, unsigned flags);

/* lt_ssl_handshake: advances the handshake. LT_OK (done: c->io is lt_ssl_io),
 * LT_AGAIN (wait for c's read or write event), LT_ERROR (logged at info: the
 * client's fault in most cases; close the connection) */
int lt_ssl_handshake(lt_connection_t *c);

/* the I/O of lt_ssl_io: as lt_unix_recv/lt_unix_send/lt_writev_chain, over TLS.
 * send_chain coalesces the chain (memory and file buffers, the latter read with
 * pread: no sendfile under TLS) into records of ssl_buffer_size. */
ssize_t lt_ssl_recv(lt_connection_t *c, u_char *buf, size_t size);
ssize_t lt_ssl_write(lt_connection_t *c, u_char *buf, size_t size);
lt_chain_t *lt_ssl_send_chain(lt_connection_t *c, lt_chain_t *in, off_t limit);

/* lt_ssl_shutdown: sends close_notify when the connection ended well (once,
 * without waiting for the peer's: bounded), frees the SSL and restores plain
 * I/O. Always LT_OK. */
int lt_ssl_shutdown(lt_connection_t *c);

/* lt_ssl_close_notify: sends close_notify (once, not waiting for the peer's)
 * but keeps the SSL: reading goes on (lingering close) and variables still
 * describe the connection when the request is logged */
int lt_ssl_close_notify(lt_connection_t *c);

/* lt_ssl_set_server_name: the SNI a client connection sends (NUL-terminated) */
int lt_ssl_set_server_name(lt_connection_t *c, lt_str_t *name);

/* session reuse for clients */
int lt_ssl_set_session(lt_connection_t *c, SSL_SESSION *session);
SSL_SESSION *lt_ssl_get_session(lt_connection_t *c);

/* for variables: values allocated from pool; an empty string when unknown */
int lt_ssl_get_protocol(lt_connection_t *c, lt_pool_t *pool, lt_str_t *s);
int lt_ssl_get_cipher_name(lt_connection_t *c, lt_pool_t *pool, lt_str_t *s);
int lt_ssl_get_ciphers(lt_connection_t *c, lt_pool_t *pool, lt_str_t *s);
int lt_ssl_get_curve(lt_connection_t *c, lt_pool_t *pool, lt_str_t *s);
int lt_ssl_get_curves(lt_connection_t *c, lt_pool_t *pool, lt_str_t *s);
int lt_ssl_get_session_id(lt_connection_t *c, lt_pool_t *pool, lt_str_t *s);
int lt_ssl_get_session_reused(lt_connection_t *c, lt_pool_t *pool, lt_str_t *s);
int lt_ssl_get_early_data(lt_connection_t *c, lt_pool_t *pool, lt_str_t *s);
int lt_ssl_get_server_name(lt_connection_t *c, lt_pool_t *pool, lt_str_t *s);
int lt_ssl_get_alpn_protocol(lt_connection_t *c, lt_pool_t *pool, lt_str_t *s);
int lt_ssl_get_raw_certificate(lt_connection_t *c, lt_pool_t *pool, lt_str_t *s);
int lt_ssl_get_certificate(lt_connection_t *c, lt_pool_t *pool, lt_str_t *s);
int lt_ssl_get_escaped_certificate(lt_connection_t *c, lt_pool_t *pool, lt_str_t *s);
int lt_ssl_get_subject_dn(lt_connection_t *c, lt_pool_t *pool, lt_str_t *s);
int lt_ssl_get_issuer_dn(lt_connection_t *c, lt_pool_t *pool, lt_str_t *s);
int lt_ssl_get_subject_dn_legacy(lt_connection_t *c, lt_pool_t *pool, lt_str_t *s);
int lt_ssl_get_issuer_dn_legacy(lt_connection_t *c, lt_pool_t *pool, lt_str_t *s);
int lt_ssl_get_serial_number(lt_connection_t *c, lt_pool_t *pool, lt_str_t *s);
int lt_ssl_get_fingerprint(lt_connection_t *c, lt_pool_t *pool, lt_str_t *s);
int lt_ssl_get_client_verify(lt_connection_t *c, lt_pool_t *pool, lt_str_t *s);
int lt_ssl_get_client_v_start(lt_connection_t *c, lt_pool_t *pool, lt_str_t *s);
int lt_ssl_get_client_v_end(lt_connection_t *c, lt_pool_t *pool, lt_str_t *s);
int lt_ssl_get_client_v_remain(lt_connection_t *c, lt_pool_t *pool, lt_str_t *s);

#endif /* LT_SSL_H */
