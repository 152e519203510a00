/*
 * lt_ssl.c: OpenSSL setup, contexts (certificates, keys, protocols, ciphers,
 * curves, DH parameters, SSL_CONF commands, client CAs, CRLs), the non-blocking
 * handshake and TLS I/O for connections, and a bounded shutdown.
 *
 * Edge-triggered reading: lt_ssl_recv reads until the caller's buffer is full
 * or OpenSSL wants more bytes from the socket (then `ready` is cleared): a read
 * that stopped earlier could leave bytes in the socket or in OpenSSL that no
 * epoll event would announce again.
 *
 * Writing: lt_ssl_send_chain copies what the chain holds into one buffer of
 * ssl_buffer_size and writes it as TLS records; the chain is advanced only by
 * what SSL_write reports, so a write that returns LT_AGAIN is retried with the
 * same bytes, as OpenSSL requires.
 */

#include "lt_core.h"
#include "lt_ssl.h"

#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/conf.h>
#include <openssl/decoder.h>

int  lt_ssl_connection_index = -1;
int  lt_ssl_server_conf_index = -1;
int  lt_ssl_ticket_keys_index = -1;

const lt_conn_io_t  lt_ssl_io = {
    .recv = lt_ssl_recv,
    .send = lt_ssl_write,
    .send_chain = lt_ssl_send_chain,
};

static void lt_ssl_cleanup_ctx(void *data);
static void lt_ssl_connection_cleanup(void *data);
static u_char *lt_ssl_buffer_get(size_t size, lt_log_t *log);
static void lt_ssl_buffer_release(lt_ssl_connection_t *sc);
static void lt_ssl_info_callback(const SSL *ssl, int where, int ret);
static int lt_ssl_handle_io_error(lt_connection_t *c, int n, int sslerr, const char *text);


int
lt_ssl_init(lt_log_t *log)
{
    if (lt_ssl_connection_index != -1) {
        return LT_OK;
    }

    if (OPENSSL_init_ssl(OPENSSL_INIT_LOAD_CONFIG, NULL) == 0) {
        lt_ssl_error(LT_LOG_ALERT, log, 0, "OPENSSL_init_ssl() failed");
        return LT_ERROR;
    }

    ERR_clear_error();

    lt_ssl_connection_index = SSL_get_ex_new_index(0, NULL, NULL, NULL, NULL);
    lt_ssl_server_conf_index = SSL_CTX_get_ex_new_index(0, NULL, NULL, NULL, NULL);
    lt_ssl_ticket_keys_index = SSL_CTX_get_ex_new_index(0, NULL, NULL, NULL, NULL);

    if (lt_ssl_connection_index == -1 || lt_ssl_server_conf_index == -1
        || lt_ssl_ticket_keys_index == -1)
    {
        lt_ssl_error(LT_LOG_ALERT, log, 0, "SSL_get_ex_new_index() failed");
        return LT_ERROR;
    }

    return LT_OK;
}


/* lt_ssl_errors: " (SSL: error:...:reason:...)" for each queued error, at p */
static u_char *
lt_ssl_errors(u_char *p, u_char *last)
{
    int           flags;
    unsigned long n;
    const char   *data;
    char          text[256];

    if (ERR_peek_error() == 0) {
        return p;
    }

    p = lt_slprintf(p, last, " (SSL:");

    for ( ;; ) {
        n = ERR_get_error_all(NULL, NULL, NULL, &data, &flags);
        if (n == 0) {
            break;
        }

        ERR_error_string_n(n, text, sizeof(text));
        p = lt_slprintf(p, last, " %s", text);

        if (data && (flags & ERR_TXT_STRING) && *data) {
            p = lt_slprintf(p, last, ":%s", data);
        }
    }

    if (p < last) {
        *p++ = ')';
    }

    return p;
}


void
lt_ssl_error(unsigned level, lt_log_t *log, int err, const char *fmt, ...)
{
    va_list  args;
    u_char  *p, *last;
    u_char   msg[LT_MAX_ERROR_STR];

    last = msg + sizeof(msg) - 1;

    va_start(args, fmt);
    p = lt_vslprintf(msg, last, fmt, args);
    va_end(args);

    p = lt_ssl_errors(p, last);
    *p = '\0';

    if (log->log_level >= level) {
        lt_log_error_core(level, log, err, "%s", msg);
    }
}


/* lt_ssl_conf_error: a configuration error with OpenSSL's reason */
static void LT_PRINTF(2, 3)
lt_ssl_conf_error(lt_conf_t *cf, const char *fmt, ...)
{
    va_list  args;
    u_char  *p, *last;
    u_char   msg[LT_MAX_ERROR_STR];

    last = msg + sizeof(msg) - 1;

    va_start(args, fmt);
    p = lt_vslprintf(msg, last, fmt, args);
    va_end(args);

    p = lt_ssl_errors(p, last);
    *p = '\0';

    lt_conf_log_error(LT_LOG_EMERG, cf, 0, "%s", msg);
}


int
lt_ssl_create(lt_ssl_t *ssl, unsigned protocols, void *data, lt_pool_t *pool)
{
    lt_pool_cleanup_t  *cln;

    ssl->ctx = SSL_CTX_new(TLS_method());

    if (ssl->ctx == NULL) {
        lt_ssl_error(LT_LOG_EMERG, ssl->log, 0, "SSL_CTX_new() failed");
        return LT_ERROR;
    }

    cln = lt_pool_cleanup_add(pool, 0);
    if (cln == NULL) {
        SSL_CTX_free(ssl->ctx);
        ssl->ctx = NULL;
        return LT_ERROR;
    }

    cln->handler = lt_ssl_cleanup_ctx;
    cln->data = ssl;

    if (SSL_CTX_set_ex_data(ssl->ctx, lt_ssl_server_conf_index, data) == 0) {
        lt_ssl_error(LT_LOG_EMERG, ssl->log, 0, "SSL_CTX_set_ex_data() failed");
        return LT_ERROR;
    }

    ssl->buffer_size = LT_SSL_BUFSIZE;
    ssl->certs = NULL;

    /* the protocol range: the lowest and highest enabled, holes closed by options */
    SSL_CTX_set_min_proto_version(ssl->ctx, 0);
    SSL_CTX_set_max_proto_version(ssl->ctx, 0);

    if (protocols & (LT_SSL_TLSv1 | LT_SSL_TLSv1_1)) {
        /* OpenSSL 3 refuses these below security level 0, as nginx users find */
        SSL_CTX_set_security_level(ssl->ctx, 0);
    }

    if (!(protocols & LT_SSL_SSLv3)) {
        SSL_CTX_set_options(ssl->ctx, SSL_OP_NO_SSLv3);
    }

    if (!(protocols & LT_SSL_TLSv1)) {
        SSL_CTX_set_options(ssl->ctx, SSL_OP_NO_TLSv1);
    }

    if (!(protocols & LT_SSL_TLSv1_1)) {
        SSL_CTX_set_options(ssl->ctx, SSL_OP_NO_TLSv1_1);
    }

    if (!(protocols & LT_SSL_TLSv1_2)) {
        SSL_CTX_set_options(ssl->ctx, SSL_OP_NO_TLSv1_2);
    }

    if (!(protocols & LT_SSL_TLSv1_3)) {
        SSL_CTX_set_options(ssl->ctx, SSL_OP_NO_TLSv1_3);
    }

    SSL_CTX_set_options(ssl->ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION
                                  | SSL_OP_SINGLE_DH_USE
                                  | SSL_OP_SINGLE_ECDH_USE);

#ifdef SSL_OP_IGNORE_UNEXPECTED_EOF
    /* a client that closes without close_notify is an EOF, not an error */
    SSL_CTX_set_options(ssl->ctx, SSL_OP_IGNORE_UNEXPECTED_EOF);
#endif

    SSL_CTX_set_mode(ssl->ctx, SSL_MODE_ENABLE_PARTIAL_WRITE
                               | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER
                               | SSL_MODE_RELEASE_BUFFERS | SSL_MODE_NO_AUTO_CHAIN);

    SSL_CTX_set_read_ahead(ssl->ctx, 1);

    SSL_CTX_set_info_callback(ssl->ctx, lt_ssl_info_callback);

    return LT_OK;
}


static void
lt_ssl_cleanup_ctx(void *data)
{
    size_t     i;
    X509     **x;
    lt_ssl_t  *ssl = data;

    if (ssl->certs) {
        x = ssl->certs->elts;

        for (i = 0; i < ssl->certs->nelts; i++) {
            X509_free(x[i]);
        }

        ssl->certs = NULL;
    }

    if (ssl->ctx) {
        SSL_CTX_free(ssl->ctx);
        ssl->ctx = NULL;
    }
}


/* renegotiation is refused (SSL_OP_NO_RENEGOTIATION); this only notes in the
 * debug log what happens */
static void
lt_ssl_info_callback(const SSL *ssl_conn, int where, int ret)
{
    (void) ssl_conn;
    (void) where;
    (void) ret;
}


/* lt_ssl_bio: a memory BIO over "data:..." or a file BIO over the full path */
static BIO *
lt_ssl_bio(lt_conf_t *cf, lt_str_t *value, lt_str_t *name, const char *what)
{
    BIO  *bio;

    if (value->len > 5 && memcmp(value->data, "data:", 5) == 0) {
        lt_str_set(name, "data");
        bio = BIO_new_mem_buf(value->data + 5, (int) (value->len - 5));
        if (bio == NULL) {
            lt_ssl_conf_error(cf, "BIO_new_mem_buf() failed");
        }

        return bio;
    }

    name->len = value->len;
    name->data = lt_pnalloc(cf->pool, value->len + 1);
    if (name->data == NULL) {
        return NULL;
    }

    memcpy(name->data, value->data, value->len);
    name->data[value->len] = '\0';

    if (lt_conf_full_name(cf->cycle, name, 1) != LT_OK) {
        return NULL;
    }

    bio = BIO_new_file((char *) name->data, "r");
    if (bio == NULL) {
        lt_ssl_conf_error(cf, "cannot load %s \"%.*s\": BIO_new_file() failed", what,
                          (int) name->len, name->data);
    }

    return bio;
}


static int
lt_ssl_password_callback(char *buf, int size, int rwflag, void *userdata)
{
    lt_str_t  *pwd = userdata;

    (void) rwflag;

    if (pwd == NULL) {
        return 0;
    }

    if (pwd->len > (size_t) size) {
        return 0;
    }

    memcpy(buf, pwd->data, pwd->len);

    return (int) pwd->len;
}


int
lt_ssl_certificate(lt_conf_t *cf, lt_ssl_t *ssl, lt_str_t *cert, lt_str_t *key,
    lt_array_t *passwords)
{
    if (lt_ssl_use_certificate(cf, ssl, cert) != LT_OK) {
        return LT_ERROR;
    }

    return lt_ssl_use_certificate_key(cf, ssl, key, passwords);
}


int
lt_ssl_use_certificate(lt_conf_t *cf, lt_ssl_t *ssl, lt_str_t *cert)
{
    BIO        *bio;
    X509       *x509, **xp;
    lt_str_t    name;
    unsigned long  n;

    bio = lt_ssl_bio(cf, cert, &name, "certificate");
    if (bio == NULL) {
        return LT_ERROR;
    }

    x509 = PEM_read_bio_X509_AUX(bio, NULL, NULL, NULL);
    if (x509 == NULL) {
        lt_ssl_conf_error(cf, "cannot load certificate \"%.*s\": "
                          "PEM_read_bio_X509_AUX() failed", (int) name.len, name.data);
        BIO_free(bio);
        return LT_ERROR;
    }

    if (SSL_CTX_use_certificate(ssl->ctx, x509) == 0) {
        lt_ssl_conf_error(cf, "SSL_CTX_use_certificate(\"%.*s\") failed",
                          (int) name.len, name.data);
        X509_free(x509);
        BIO_free(bio);
        return LT_ERROR;
    }

    if (ssl->certs == NULL) {
        ssl->certs = lt_array_create(cf->pool, 2, sizeof(X509 *));
        if (ssl->certs == NULL) {
            X509_free(x509);
            BIO_free(bio);
            return LT_ERROR;
        }
    }

    xp = lt_array_push(ssl->certs);
    if (xp == NULL) {
        X509_free(x509);
        BIO_free(bio);
        return LT_ERROR;
    }

    *xp = x509;

    /* the rest of the file: the chain of this certificate */
    for ( ;; ) {
        X509  *ca;

        ca = PEM_read_bio_X509(bio, NULL, NULL, NULL);

        if (ca == NULL) {
            n = ERR_peek_last_error();

            if (ERR_GET_LIB(n) == ERR_LIB_PEM && ERR_GET_REASON(n) == PEM_R_NO_START_LINE) {
                ERR_clear_error();
                break;
            }

            lt_ssl_conf_error(cf, "cannot load certificate \"%.*s\": "
                              "PEM_read_bio_X509() failed", (int) name.len, name.data);
            BIO_free(bio);
            return LT_ERROR;
        }

        if (SSL_CTX_add0_chain_cert(ssl->ctx, ca) == 0) {
            lt_ssl_conf_error(cf, "SSL_CTX_add0_chain_cert(\"%.*s\") failed",
                              (int) name.len, name.data);
            X509_free(ca);
            BIO_free(bio);
            return LT_ERROR;
        }
    }

    BIO_free(bio);

    return LT_OK;
}


/* lt_ssl_read_key: a private key from bio, trying each password in turn (an
 * encrypted key); NULL when none opens it */
static EVP_PKEY *
lt_ssl_read_key(BIO *bio, lt_array_t *passwords)
{
    size_t     i, tries;
    lt_str_t  *pwd;
    EVP_PKEY  *pkey;

    tries = passwords ? passwords->nelts : 1;
    pwd = passwords ? passwords->elts : NULL;
    pkey = NULL;

    for (i = 0; i < tries; i++) {
        if (i > 0) {
            (void) BIO_reset(bio);
            ERR_clear_error();
        }

        pkey = PEM_read_bio_PrivateKey(bio, NULL, lt_ssl_password_callback,
                                       pwd ? &pwd[i] : NULL);
        if (pkey) {
            break;
        }
    }

    return pkey;
}


int
lt_ssl_use_certificate_key(lt_conf_t *cf, lt_ssl_t *ssl, lt_str_t *key,
    lt_array_t *passwords)
{
    BIO        *bio;
    EVP_PKEY   *pkey;
    lt_str_t    name;

    /* tried with each password in turn */
    bio = lt_ssl_bio(cf, key, &name, "certificate key");
    if (bio == NULL) {
        return LT_ERROR;
    }

    pkey = lt_ssl_read_key(bio, passwords);
    BIO_free(bio);

    if (pkey == NULL) {
        lt_ssl_conf_error(cf, "cannot load certificate key \"%.*s\": "
                          "PEM_read_bio_PrivateKey() failed", (int) name.len, name.data);
        return LT_ERROR;
    }

    if (SSL_CTX_use_PrivateKey(ssl->ctx, pkey) == 0) {
        lt_ssl_conf_error(cf, "SSL_CTX_use_PrivateKey(\"%.*s\") failed",
                          (int) name.len, name.data);
        EVP_PKEY_free(pkey);
        return LT_ERROR;
    }

    EVP_PKEY_free(pkey);

    return LT_OK;
}


/* lt_ssl_runtime_name: a file name made at run time, NUL-terminated and, when
 * relative, made absolute against the configuration's directory ("data:" values
 * are left alone) */
static int
lt_ssl_runtime_name(lt_pool_t *pool, lt_str_t *name)
{
    u_char          *p;
    size_t           plen;
    const lt_str_t  *prefix;

    if (name->len > 5 && memcmp(name->data, "data:", 5) == 0) {
        plen = 0;
        prefix = NULL;

    } else {
        prefix = (const lt_str_t *) &lt_cycle->conf_prefix;
        plen = (name->len && name->data[0] == '/') ? 0 : prefix->len;
    }

    p = lt_pnalloc(pool, plen + name->len + 1);
    if (p == NULL) {
        return LT_ERROR;
    }

    if (plen) {
        memcpy(p, prefix->data, plen);
    }

    memcpy(p + plen, name->data, name->len);
    p[plen + name->len] = '\0';

    name->data = p;
    name->len += plen;

    return LT_OK;
}


/* lt_ssl_connection_certificate: a certificate (with its chain) and key for
 * one connection, named at run time ("data:...", or a file name, relative to the
 * configuration's directory); errors are logged at error level and fail the
 * handshake */
int
lt_ssl_connection_certificate(lt_connection_t *c, lt_str_t *cert_name, lt_str_t *key_name,
    lt_array_t *passwords)
{
    BIO          *bio;
    X509         *x509, *ca;
    EVP_PKEY     *pkey;
    unsigned long n;
    lt_str_t      cert_full, key_full, *cert, *key;
    SSL          *ssl = ((lt_ssl_connection_t *) c->ssl)->connection;

    cert_full = *cert_name;
    key_full = *key_name;
    cert = &cert_full;
    key = &key_full;

    if (lt_ssl_runtime_name(c->pool, cert) != LT_OK
        || lt_ssl_runtime_name(c->pool, key) != LT_OK)
    {
        return LT_ERROR;
    }

    bio = (cert->len > 5 && memcmp(cert->data, "data:", 5) == 0)
          ? BIO_new_mem_buf(cert->data + 5, (int) (cert->len - 5))
          : BIO_new_file((char *) cert->data, "r");

    if (bio == NULL) {
        lt_ssl_error(LT_LOG_ERR, c->log, 0, "cannot load certificate \"%s\": "
                     "BIO_new_file() failed", cert->data);
        return LT_ERROR;
    }

    x509 = PEM_read_bio_X509_AUX(bio, NULL, NULL, NULL);

    if (x509 == NULL || SSL_use_certificate(ssl, x509) == 0) {
        lt_ssl_error(LT_LOG_ERR, c->log, 0, "cannot load certificate \"%s\"", cert->data);
        X509_free(x509);
        BIO_free(bio);
        return LT_ERROR;
    }

    X509_free(x509);

    for ( ;; ) {
        ca = PEM_read_bio_X509(bio, NULL, NULL, NULL);

        if (ca == NULL) {
            n = ERR_peek_last_error();

            if (ERR_GET_LIB(n) == ERR_LIB_PEM && ERR_GET_REASON(n) == PEM_R_NO_START_LINE) {
                ERR_clear_error();
                break;
            }

            lt_ssl_error(LT_LOG_ERR, c->log, 0, "cannot load certificate \"%s\"",
                         cert->data);
            BIO_free(bio);
            return LT_ERROR;
        }

        if (SSL_add0_chain_cert(ssl, ca) == 0) {
            X509_free(ca);
            BIO_free(bio);
            return LT_ERROR;
        }
    }

    BIO_free(bio);

    bio = (key->len > 5 && memcmp(key->data, "data:", 5) == 0)
          ? BIO_new_mem_buf(key->data + 5, (int) (key->len - 5))
          : BIO_new_file((char *) key->data, "r");

    if (bio == NULL) {
        lt_ssl_error(LT_LOG_ERR, c->log, 0, "cannot load certificate key \"%s\": "
                     "BIO_new_file() failed", key->data);
        return LT_ERROR;
    }

    pkey = lt_ssl_read_key(bio, passwords);
    BIO_free(bio);

    if (pkey == NULL || SSL_use_PrivateKey(ssl, pkey) == 0) {
        lt_ssl_error(LT_LOG_ERR, c->log, 0, "cannot load certificate key \"%s\"",
                     key->data);
        EVP_PKEY_free(pkey);
        return LT_ERROR;
    }

    EVP_PKEY_free(pkey);

    return LT_OK;
}


int
lt_ssl_certificates(lt_conf_t *cf, lt_ssl_t *ssl, lt_array_t *certs, lt_array_t *keys,
    lt_array_t *passwords)
{
    size_t     i;
    lt_str_t  *cert, *key;

    cert = certs->elts;
    key = keys->elts;

    for (i = 0; i < certs->nelts; i++) {
        if (lt_ssl_certificate(cf, ssl, &cert[i], &key[i], passwords) != LT_OK) {
            return LT_ERROR;
        }
    }

    return LT_OK;
}


lt_array_t *
lt_ssl_read_password_file(lt_conf_t *cf, lt_str_t *file)
{
    int          fd;
    ssize_t      n;
    u_char       buf[4096];
    u_char      *p, *last, *end;
    lt_str_t     name, content, *pwd;
    lt_array_t  *passwords;

    name.len = file->len;
    name.data = lt_pnalloc(cf->temp_pool, file->len + 1);
    if (name.data == NULL) {
        return NULL;
    }

    memcpy(name.data, file->data, file->len);
    name.data[name.len] = '\0';

    if (lt_conf_full_name(cf->cycle, &name, 1) != LT_OK) {
        return NULL;
    }

    /* read, not stat'ed: the file may be a pipe that a secrets agent fills */
    fd = open((char *) name.data, O_RDONLY | O_CLOEXEC);
    if (fd == -1) {
        lt_conf_log_error(LT_LOG_EMERG, cf, errno, "open() \"%s\" failed", name.data);
        return NULL;
    }

    content.data = buf;
    content.len = 0;

    while (content.len < sizeof(buf)) {
        n = read(fd, buf + content.len, sizeof(buf) - content.len);

        if (n == -1 && errno == EINTR) {
            continue;
        }

        if (n == -1) {
            lt_conf_log_error(LT_LOG_EMERG, cf, errno, "read() \"%s\" failed", name.data);
            close(fd);
            OPENSSL_cleanse(buf, sizeof(buf));
            return NULL;
        }

        if (n == 0) {
            break;
        }

        content.len += (size_t) n;
    }

    close(fd);

    passwords = lt_array_create(cf->pool, 4, sizeof(lt_str_t));
    if (passwords == NULL) {
        return NULL;
    }

    p = content.data;
    end = content.data + content.len;

    while (p < end) {
        last = lt_strlchr(p, end, '\n');
        if (last == NULL) {
            last = end;
        }

        pwd = lt_array_push(passwords);
        if (pwd == NULL) {
            OPENSSL_cleanse(buf, sizeof(buf));
            return NULL;
        }

        pwd->len = last - p;

        if (pwd->len && p[pwd->len - 1] == '\r') {
            pwd->len--;
        }

        pwd->data = lt_pnalloc(cf->pool, pwd->len + 1);
        if (pwd->data == NULL) {
            return NULL;
        }

        memcpy(pwd->data, p, pwd->len);
        pwd->data[pwd->len] = '\0';

        p = last + 1;
    }

    /* the file is no longer needed in memory: wipe it */
    OPENSSL_cleanse(content.data, content.len);

    if (passwords->nelts == 0) {
        pwd = lt_array_push(passwords);
        if (pwd == NULL) {
            return NULL;
        }

        lt_str_set(pwd, "");
    }

    return passwords;
}


int
lt_ssl_ciphers(lt_conf_t *cf, lt_ssl_t *ssl, lt_str_t *ciphers, int prefer_server)
{
    u_char  *list;

    list = lt_pnalloc(cf->temp_pool, ciphers->len + 1);
    if (list == NULL) {
        return LT_ERROR;
    }

    memcpy(list, ciphers->data, ciphers->len);
    list[ciphers->len] = '\0';

    if (SSL_CTX_set_cipher_list(ssl->ctx, (char *) list) == 0) {
        lt_ssl_conf_error(cf, "SSL_CTX_set_cipher_list(\"%s\") failed", list);
        return LT_ERROR;
    }

    if (prefer_server) {
        SSL_CTX_set_options(ssl->ctx, SSL_OP_CIPHER_SERVER_PREFERENCE);
    }

    return LT_OK;
}


int
lt_ssl_dhparam(lt_conf_t *cf, lt_ssl_t *ssl, lt_str_t *file)
{
    BIO       *bio;
    EVP_PKEY  *dh;
    lt_str_t   name;

    if (file->len == 0) {
        return LT_OK;
    }

    bio = lt_ssl_bio(cf, file, &name, "DH parameters");
    if (bio == NULL) {
        return LT_ERROR;
    }

    dh = PEM_read_bio_Parameters(bio, NULL);
    BIO_free(bio);

    if (dh == NULL) {
        lt_ssl_conf_error(cf, "PEM_read_bio_Parameters(\"%.*s\") failed",
                          (int) name.len, name.data);
        return LT_ERROR;
    }

    if (SSL_CTX_set0_tmp_dh_pkey(ssl->ctx, dh) == 0) {
        lt_ssl_conf_error(cf, "SSL_CTX_set0_tmp_dh_pkey(\"%.*s\") failed",
                          (int) name.len, name.data);
        EVP_PKEY_free(dh);
        return LT_ERROR;
    }

    return LT_OK;
}


int
lt_ssl_ecdh_curve(lt_conf_t *cf, lt_ssl_t *ssl, lt_str_t *name)
{
    u_char  *list;

    if (name->len == 4 && lt_strncasecmp(name->data, (u_char *) "auto", 4) == 0) {
        return LT_OK;
    }

    list = lt_pnalloc(cf->temp_pool, name->len + 1);
    if (list == NULL) {
        return LT_ERROR;
    }

    memcpy(list, name->data, name->len);
    list[name->len] = '\0';

    if (SSL_CTX_set1_groups_list(ssl->ctx, (char *) list) == 0) {
        lt_ssl_conf_error(cf, "SSL_CTX_set1_curves_list(\"%s\") failed", list);
        return LT_ERROR;
    }

    return LT_OK;
}


int
lt_ssl_conf_commands(lt_conf_t *cf, lt_ssl_t *ssl, lt_array_t *commands)
{
    size_t        i;
    int           rc, type;
    lt_keyval_t  *kv;
    SSL_CONF_CTX *cctx;

    if (commands == NULL || commands->nelts == 0) {
        return LT_OK;
    }

    cctx = SSL_CONF_CTX_new();
    if (cctx == NULL) {
        lt_ssl_conf_error(cf, "SSL_CONF_CTX_new() failed");
        return LT_ERROR;
    }

    /* server and client: proxy_ssl_conf_command uses this too */
    SSL_CONF_CTX_set_flags(cctx, SSL_CONF_FLAG_FILE | SSL_CONF_FLAG_SERVER
                                 | SSL_CONF_FLAG_CLIENT | SSL_CONF_FLAG_CERTIFICATE
                                 | SSL_CONF_FLAG_SHOW_ERRORS);
    SSL_CONF_CTX_set_ssl_ctx(cctx, ssl->ctx);

    kv = commands->elts;

    for (i = 0; i < commands->nelts; i++) {
        lt_str_t  value;

        value = kv[i].value;

        type = SSL_CONF_cmd_value_type(cctx, (char *) kv[i].key.data);

        if (type == SSL_CONF_TYPE_FILE || type == SSL_CONF_TYPE_DIR) {
            /* a relative name is relative to the configuration, as for the
             * other file directives (not to the working directory) */
            value.data = lt_pnalloc(cf->temp_pool, value.len + 1);
            if (value.data == NULL) {
                SSL_CONF_CTX_free(cctx);
                return LT_ERROR;
            }

            memcpy(value.data, kv[i].value.data, value.len);
            value.data[value.len] = '\0';

            if (lt_conf_full_name(cf->cycle, &value, 1) != LT_OK) {
                SSL_CONF_CTX_free(cctx);
                return LT_ERROR;
            }
        }

        rc = SSL_CONF_cmd(cctx, (char *) kv[i].key.data, (char *) value.data);

        if (rc <= 0) {
            lt_ssl_conf_error(cf, "SSL_CONF_cmd(\"%s\", \"%s\") failed",
                              kv[i].key.data, kv[i].value.data);
            SSL_CONF_CTX_free(cctx);
            return LT_ERROR;
        }
    }

    if (SSL_CONF_CTX_finish(cctx) != 1) {
        lt_ssl_conf_error(cf, "SSL_CONF_finish() failed");
        SSL_CONF_CTX_free(cctx);
        return LT_ERROR;
    }

    SSL_CONF_CTX_free(cctx);

    return LT_OK;
}


static int
lt_ssl_verify_callback(int ok, X509_STORE_CTX *x509_store)
{
    (void) ok;
    (void) x509_store;

    /* the outcome is looked at per request ($ssl_client_verify, 495) */
    return 1;
}


/* lt_ssl_verify_locations: file's CAs (relative to the configuration) into the
 * context's store; name gets the full file name */
static int
lt_ssl_verify_locations(lt_conf_t *cf, lt_ssl_t *ssl, lt_str_t *file, lt_str_t *name)
{
    name->len = file->len;
    name->data = lt_pnalloc(cf->temp_pool, file->len + 1);
    if (name->data == NULL) {
        return LT_ERROR;
    }

    memcpy(name->data, file->data, file->len);
    name->data[name->len] = '\0';

    if (lt_conf_full_name(cf->cycle, name, 1) != LT_OK) {
        return LT_ERROR;
    }

    if (SSL_CTX_load_verify_locations(ssl->ctx, (char *) name->data, NULL) == 0) {
        lt_ssl_conf_error(cf, "SSL_CTX_load_verify_locations(\"%s\") failed", name->data);
        return LT_ERROR;
    }

    /* OpenSSL keeps errors of certificates it skipped */
    ERR_clear_error();

    return LT_OK;
}


int
lt_ssl_trusted_certificate(lt_conf_t *cf, lt_ssl_t *ssl, lt_str_t *file)
{
    lt_str_t  name;

    if (file->len == 0) {
        return LT_OK;
    }

    return lt_ssl_verify_locations(cf, ssl, file, &name);
}


int
lt_ssl_client_certificate(lt_conf_t *cf, lt_ssl_t *ssl, lt_str_t *file, int depth,
    int send_names)
{
    lt_str_t               name;
    STACK_OF(X509_NAME)   *list;

    SSL_CTX_set_verify(ssl->ctx, SSL_VERIFY_PEER, lt_ssl_verify_callback);
    SSL_CTX_set_verify_depth(ssl->ctx, depth);

    if (file->len == 0) {
        return LT_OK;
    }

    if (lt_ssl_verify_locations(cf, ssl, file, &name) != LT_OK) {
        return LT_ERROR;
    }

    if (!send_names) {
        return LT_OK;
    }

    list = SSL_load_client_CA_file((char *) name.data);

    if (list == NULL) {
        lt_ssl_conf_error(cf, "SSL_load_client_CA_file(\"%s\") failed", name.data);
        return LT_ERROR;
    }

    SSL_CTX_set_client_CA_list(ssl->ctx, list);

    return LT_OK;
}


int
lt_ssl_crl(lt_conf_t *cf, lt_ssl_t *ssl, lt_str_t *file)
{
    lt_str_t      name;
    X509_STORE   *store;
    X509_LOOKUP  *lookup;

    if (file->len == 0) {
        return LT_OK;
    }

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

    store = SSL_CTX_get_cert_store(ssl->ctx);
    lookup = X509_STORE_add_lookup(store, X509_LOOKUP_file());

    if (lookup == NULL) {
        lt_ssl_conf_error(cf, "X509_STORE_add_lookup() failed");
        return LT_ERROR;
    }

    if (X509_LOOKUP_load_file(lookup, (char *) name.data, X509_FILETYPE_PEM) == 0) {
        lt_ssl_conf_error(cf, "X509_LOOKUP_load_file(\"%s\") failed", name.data);
        return LT_ERROR;
    }

    X509_STORE_set_flags(store, X509_V_FLAG_CRL_CHECK | X509_V_FLAG_CRL_CHECK_ALL);

    return LT_OK;
}


/* connections */

int
lt_ssl_create_connection(lt_ssl_t *ssl, lt_connection_t *c, unsigned flags)
{
    lt_pool_cleanup_t    *cln;
    lt_ssl_connection_t  *sc;

    sc = lt_pcalloc(c->pool, sizeof(lt_ssl_connection_t));
    if (sc == NULL) {
        return LT_ERROR;
    }

    sc->buffer_size = ssl->buffer_size;
    sc->session_ctx = ssl->ctx;
    sc->last = LT_OK;

    sc->connection = SSL_new(ssl->ctx);
    if (sc->connection == NULL) {
        lt_ssl_error(LT_LOG_ALERT, c->log, 0, "SSL_new() failed");
        return LT_ERROR;
    }

    cln = lt_pool_cleanup_add(c->pool, 0);
    if (cln == NULL) {
        SSL_free(sc->connection);
        return LT_ERROR;
    }

    cln->handler = lt_ssl_connection_cleanup;
    cln->data = sc;

    if (SSL_set_fd(sc->connection, c->fd) == 0) {
        lt_ssl_error(LT_LOG_ALERT, c->log, 0, "SSL_set_fd() failed");
        return LT_ERROR;
    }

    if (flags & LT_SSL_CLIENT) {
        SSL_set_connect_state(sc->connection);
        sc->client = 1;

    } else {
        SSL_set_accept_state(sc->connection);
    }

    if (SSL_set_ex_data(sc->connection, lt_ssl_connection_index, c) == 0) {
        lt_ssl_error(LT_LOG_ALERT, c->log, 0, "SSL_set_ex_data() failed");
        return LT_ERROR;
    }

    c->ssl = sc;

    return LT_OK;
}


static void
lt_ssl_connection_cleanup(void *data)
{
    lt_ssl_connection_t  *sc = data;

    if (sc->connection) {
        SSL_free(sc->connection);
        sc->connection = NULL;
    }

    lt_ssl_buffer_release(sc);
}


int
lt_ssl_handshake(lt_connection_t *c)
{
    int                   n, sslerr;
    lt_ssl_connection_t  *sc = c->ssl;

    ERR_clear_error();

    n = SSL_do_handshake(sc->connection);

    if (n == 1) {
        sc->handshaked = 1;
        c->io = &lt_ssl_io;
        return LT_OK;
    }

    sslerr = SSL_get_error(sc->connection, n);

    if (sslerr == SSL_ERROR_WANT_READ) {
        c->read.ready = 0;
        return LT_AGAIN;
    }

    if (sslerr == SSL_ERROR_WANT_WRITE) {
        c->write.ready = 0;
        return LT_AGAIN;
    }

    sc->no_wait_shutdown = 1;
    sc->no_send_shutdown = 1;
    c->read.eof = 1;

    if (sslerr == SSL_ERROR_ZERO_RETURN || (sslerr == SSL_ERROR_SYSCALL
                                            && ERR_peek_error() == 0 && errno == 0))
    {
        lt_log_error(LT_LOG_INFO, c->log, 0, "peer closed connection in SSL handshake");
        return LT_ERROR;
    }

    c->read.error = 1;

    return lt_ssl_handle_io_error(c, n, sslerr, "SSL_do_handshake() failed");
}


/* lt_ssl_handle_io_error: logs a failed TLS call and returns LT_ERROR. What a
 * peer can cause (bad records, resets) is logged at info, as nginx does, so a
 * client cannot fill the log with errors. */
static int
lt_ssl_handle_io_error(lt_connection_t *c, int n, int sslerr, const char *text)
{
    int  err;

    (void) n;

    err = sslerr == SSL_ERROR_SYSCALL ? errno : 0;

    if (sslerr == SSL_ERROR_SYSCALL && ERR_peek_error() == 0) {
        if (err) {
            lt_connection_error(c, err, text);

        } else {
            lt_log_error(LT_LOG_INFO, c->log, 0, "%s (unexpected eof)", text);
        }

        return LT_ERROR;
    }

    lt_ssl_error(LT_LOG_INFO, c->log, err, "%s", text);

    return LT_ERROR;
}


/* lt_ssl_handle_recv: the outcome of one SSL_read: LT_OK (n > 0), LT_AGAIN,
 * LT_DONE (close_notify or EOF), LT_ERROR (logged) */
static int
lt_ssl_handle_recv(lt_connection_t *c, int n)
{
    int                   sslerr;
    lt_ssl_connection_t  *sc = c->ssl;

    if (n > 0) {
        return LT_OK;
    }

    sslerr = SSL_get_error(sc->connection, n);

    if (sslerr == SSL_ERROR_WANT_READ) {
        c->read.ready = 0;
        return LT_AGAIN;
    }

    if (sslerr == SSL_ERROR_WANT_WRITE) {
        /* a post-handshake message must go out first: the socket's send buffer
         * is full, so the peer is not reading either; the connection's timers
         * bound this wait */
        c->read.ready = 0;
        c->write.ready = 0;
        return LT_AGAIN;
    }

    sc->no_wait_shutdown = 1;
    sc->no_send_shutdown = 1;

    if (sslerr == SSL_ERROR_ZERO_RETURN
        || (sslerr == SSL_ERROR_SYSCALL && ERR_peek_error() == 0 && errno == 0))
    {
        if (sslerr == SSL_ERROR_ZERO_RETURN) {
            /* the peer said goodbye properly: we may say it too */
            sc->no_send_shutdown = 0;
        }

        return LT_DONE;
    }

    return lt_ssl_handle_io_error(c, n, sslerr, "SSL_read() failed");
}


ssize_t
lt_ssl_recv(lt_connection_t *c, u_char *buf, size_t size)
{
    int                   n, rc;
    ssize_t               bytes;
    lt_ssl_connection_t  *sc = c->ssl;

    if (sc->last == LT_ERROR) {
        c->read.ready = 0;
        c->read.error = 1;
        return LT_ERROR;
    }

    if (sc->last == LT_DONE) {
        c->read.ready = 0;
        c->read.eof = 1;
        return 0;
    }

    bytes = 0;

    ERR_clear_error();
    errno = 0;

    for ( ;; ) {
        n = SSL_read(sc->connection, buf, (int) lt_min(size, (size_t) INT_MAX));

        if (n > 0) {
            bytes += n;
        }

        rc = lt_ssl_handle_recv(c, n);

        if (rc == LT_OK) {
            size -= (size_t) n;

            if (size == 0) {
                c->read.ready = 1;
                return bytes;
            }

            buf += n;
            continue;
        }

        if (bytes) {
            if (rc != LT_AGAIN) {
                /* the EOF or error is reported by the next call */
                sc->last = rc;
                c->read.ready = 1;
            }

            return bytes;
        }

        switch (rc) {

        case LT_DONE:
            c->read.ready = 0;
            c->read.eof = 1;
            return 0;

        case LT_ERROR:
            sc->last = LT_ERROR;
            c->read.ready = 0;
            c->read.error = 1;
            return LT_ERROR;

        default:
            return LT_AGAIN;
        }
    }
}


ssize_t
lt_ssl_write(lt_connection_t *c, u_char *data, size_t size)
{
    int                   n, sslerr;
    lt_ssl_connection_t  *sc = c->ssl;

    ERR_clear_error();
    errno = 0;

    n = SSL_write(sc->connection, data, (int) lt_min(size, (size_t) INT_MAX));

    if (n > 0) {
        c->sent += n;
        return n;
    }

    sslerr = SSL_get_error(sc->connection, n);

    if (sslerr == SSL_ERROR_WANT_WRITE) {
        c->write.ready = 0;
        return LT_AGAIN;
    }

    if (sslerr == SSL_ERROR_WANT_READ) {
        /* the peer must send something first (a key update): the connection's
         * send timeout bounds the wait */
        c->write.ready = 0;
        return LT_AGAIN;
    }

    sc->no_wait_shutdown = 1;
    sc->no_send_shutdown = 1;
    c->write.error = 1;

    return lt_ssl_handle_io_error(c, n, sslerr, "SSL_write() failed");
}


/* per-worker cache of write buffers: a connection holds one only while a
 * response is being written */

#define LT_SSL_BUFFER_CACHE  64

static u_char  *lt_ssl_buffer_cache[LT_SSL_BUFFER_CACHE];
static size_t   lt_ssl_buffer_cache_size[LT_SSL_BUFFER_CACHE];
static size_t   lt_ssl_nbuffers;


static u_char *
lt_ssl_buffer_get(size_t size, lt_log_t *log)
{
    size_t  i;
    u_char *b;

    for (i = lt_ssl_nbuffers; i > 0; i--) {
        if (lt_ssl_buffer_cache_size[i - 1] == size) {
            b = lt_ssl_buffer_cache[i - 1];
            lt_ssl_nbuffers--;
            lt_ssl_buffer_cache[i - 1] = lt_ssl_buffer_cache[lt_ssl_nbuffers];
            lt_ssl_buffer_cache_size[i - 1] = lt_ssl_buffer_cache_size[lt_ssl_nbuffers];
            return b;
        }
    }

    return lt_alloc(size, log);
}


static void
lt_ssl_buffer_release(lt_ssl_connection_t *sc)
{
    if (sc->buf == NULL) {
        return;
    }

#if !(LT_DEBUG_POOL)
    if (lt_ssl_nbuffers < LT_SSL_BUFFER_CACHE) {
        lt_ssl_buffer_cache[lt_ssl_nbuffers] = sc->buf;
        lt_ssl_buffer_cache_size[lt_ssl_nbuffers] = sc->buffer_size;
        lt_ssl_nbuffers++;
        sc->buf = NULL;
        return;
    }
#endif

    lt_free(sc->buf);
    sc->buf = NULL;
}


/* lt_ssl_fill: copies up to size bytes of the chain's data into dst (memory
 * buffers as they are, file buffers with pread); the chain is not changed.
 * The number of bytes, or LT_ERROR. */
static ssize_t
lt_ssl_fill(lt_connection_t *c, lt_chain_t *in, u_char *dst, size_t size)
{
    size_t      total, n;
    ssize_t     rd;
    off_t       pos;
    lt_buf_t   *b;

    total = 0;

    for ( /* void */ ; in && total < size; in = in->next) {
        b = in->buf;

        if (lt_buf_special(b)) {
            continue;
        }

        if (lt_buf_in_memory(b)) {
            n = lt_min((size_t) (b->last - b->pos), size - total);
            memcpy(dst + total, b->pos, n);
            total += n;
            continue;
        }

        if (!b->in_file) {
            continue;
        }

        pos = b->file_pos;

        while (pos < b->file_last && total < size) {
            n = lt_min((size_t) (b->file_last - pos), size - total);

            rd = pread(b->file->fd, dst + total, n, pos);

            if (rd == -1) {
                if (errno == EINTR) {
                    continue;
                }

                lt_log_error(LT_LOG_CRIT, c->log, errno, "pread() \"%.*s\" failed",
                             (int) b->file->name.len, b->file->name.data);
                return LT_ERROR;
            }

            if (rd == 0) {
                lt_log_error(LT_LOG_ALERT, c->log, 0, "pread() read only %lld of %lld "
                             "from \"%.*s\"", (long long) (pos - b->file_pos),
                             (long long) (b->file_last - b->file_pos),
                             (int) b->file->name.len, b->file->name.data);
                return LT_ERROR;
            }

            pos += rd;
            total += (size_t) rd;
        }
    }

    return (ssize_t) total;
}


lt_chain_t *
lt_ssl_send_chain(lt_connection_t *c, lt_chain_t *in, off_t limit)
{
    size_t                size;
    ssize_t               n;
    off_t                 sent;
    lt_ssl_connection_t  *sc = c->ssl;

    if (!c->write.ready) {
        return in;
    }

    if (limit == 0 || limit > (off_t) (SSIZE_MAX - lt_pagesize)) {
        limit = (off_t) (SSIZE_MAX - lt_pagesize);
    }

    if (sc->buf == NULL) {
        sc->buf = lt_ssl_buffer_get(sc->buffer_size, c->log);
        if (sc->buf == NULL) {
            return LT_CHAIN_ERROR;
        }
    }

    sent = 0;

    for ( ;; ) {
        size = sc->buffer_size;

        if ((off_t) size > limit - sent && sc->pending == 0) {
            size = (size_t) (limit - sent);
        }

        n = lt_ssl_fill(c, in, sc->buf, size);

        if (n == LT_ERROR) {
            return LT_CHAIN_ERROR;
        }

        if (n == 0) {
            if (sc->pending == 0) {
                lt_ssl_buffer_release(sc);
            }

            return lt_chain_update_sent(in, 0);
        }

        if ((size_t) n < sc->pending) {
            /* a retried write must offer at least what was offered before */
            lt_log_error(LT_LOG_ALERT, c->log, 0, "SSL write buffer shrank");
            return LT_CHAIN_ERROR;
        }

        n = lt_ssl_write(c, sc->buf, (size_t) n);

        if (n == LT_ERROR) {
            return LT_CHAIN_ERROR;
        }

        if (n == LT_AGAIN) {
            sc->pending = (size_t) lt_ssl_fill(c, in, sc->buf, sc->buffer_size);
            return in;
        }

        sc->pending = 0;

        in = lt_chain_update_sent(in, n);
        sent += n;

        if (in == NULL) {
            /* all written: an idle connection keeps no write buffer */
            lt_ssl_buffer_release(sc);
            return in;
        }

        if (sent >= limit) {
            return in;
        }
    }
}


int
lt_ssl_close_notify(lt_connection_t *c)
{
    lt_ssl_connection_t  *sc = c->ssl;

    if (sc == NULL || sc->connection == NULL || !sc->handshaked || sc->no_send_shutdown
        || c->timedout || c->error || c->write.error || SSL_in_init(sc->connection))
    {
        return LT_OK;
    }

    ERR_clear_error();

    (void) SSL_shutdown(sc->connection);

    ERR_clear_error();

    sc->no_send_shutdown = 1;

    return LT_OK;
}


int
lt_ssl_shutdown(lt_connection_t *c)
{
    int                   mode;
    lt_ssl_connection_t  *sc = c->ssl;

    if (sc == NULL) {
        return LT_OK;
    }

    if (sc->connection == NULL) {
        c->ssl = NULL;
        c->io = &lt_os_io;
        return LT_OK;
    }

    ERR_clear_error();

    if (SSL_in_init(sc->connection) || !sc->handshaked || c->timedout || c->error
        || sc->no_send_shutdown || c->write.error)
    {
        /* nothing to say, or no way to say it: keep the session valid */
        SSL_set_quiet_shutdown(sc->connection, 1);
        mode = SSL_RECEIVED_SHUTDOWN | SSL_SENT_SHUTDOWN;
        SSL_set_shutdown(sc->connection, mode);

    } else {
        /* close_notify, once, without waiting for the peer's */
        SSL_set_shutdown(sc->connection, SSL_RECEIVED_SHUTDOWN);
        (void) SSL_shutdown(sc->connection);
        SSL_set_shutdown(sc->connection, SSL_RECEIVED_SHUTDOWN | SSL_SENT_SHUTDOWN);
    }

    ERR_clear_error();

    SSL_free(sc->connection);
    sc->connection = NULL;
    sc->shutdown_done = 1;

    lt_ssl_buffer_release(sc);

    c->ssl = NULL;
    c->io = &lt_os_io;

    return LT_OK;
}


int
lt_ssl_set_server_name(lt_connection_t *c, lt_str_t *name)
{
    lt_ssl_connection_t  *sc = c->ssl;

    if (SSL_set_tlsext_host_name(sc->connection, (char *) name->data) == 0) {
        lt_ssl_error(LT_LOG_ERR, c->log, 0, "SSL_set_tlsext_host_name(\"%.*s\") failed",
                     (int) name->len, name->data);
        return LT_ERROR;
    }

    return LT_OK;
}


int
lt_ssl_set_session(lt_connection_t *c, SSL_SESSION *session)
{
    lt_ssl_connection_t  *sc = c->ssl;

    if (session && SSL_set_session(sc->connection, session) == 0) {
        lt_ssl_error(LT_LOG_ALERT, c->log, 0, "SSL_set_session() failed");
        return LT_ERROR;
    }

    return LT_OK;
}


SSL_SESSION *
lt_ssl_get_session(lt_connection_t *c)
{
    lt_ssl_connection_t  *sc = c->ssl;

    return SSL_get1_session(sc->connection);
}
