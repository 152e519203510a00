/*
 * lt_ssl_vars.c: what the $ssl_* variables show of a TLS connection: protocol,
 * cipher, curves, session, server name, ALPN, and the client's certificate (PEM,
 * escaped, subject and issuer as RFC 2253 and legacy text, serial, fingerprint,
 * validity, the verification result). Each getter fills s from pool memory; an
 * absent value is the empty string.
 */

#include "lt_core.h"
#include "lt_ssl.h"

#include <openssl/pem.h>

static int
lt_ssl_set_value(lt_pool_t *pool, lt_str_t *s, const char *value)
{
    size_t  len;

    if (value == NULL) {
        s->len = 0;
        s->data = (u_char *) "";
        return LT_OK;
    }

    len = strlen(value);

    s->data = lt_pnalloc(pool, len);
    if (s->data == NULL) {
        return LT_ERROR;
    }

    memcpy(s->data, value, len);
    s->len = len;

    return LT_OK;
}


#define lt_ssl_conn(c)  (((lt_ssl_connection_t *) (c)->ssl)->connection)


int
lt_ssl_get_protocol(lt_connection_t *c, lt_pool_t *pool, lt_str_t *s)
{
    return lt_ssl_set_value(pool, s, SSL_get_version(lt_ssl_conn(c)));
}


int
lt_ssl_get_cipher_name(lt_connection_t *c, lt_pool_t *pool, lt_str_t *s)
{
    return lt_ssl_set_value(pool, s, SSL_get_cipher_name(lt_ssl_conn(c)));
}


int
lt_ssl_get_ciphers(lt_connection_t *c, lt_pool_t *pool, lt_str_t *s)
{
    int                      i, n;
    size_t                   len;
    u_char                  *p, *last;
    const char              *name;
    const SSL_CIPHER        *cipher;
    STACK_OF(SSL_CIPHER)    *ciphers;

    ciphers = SSL_get_client_ciphers(lt_ssl_conn(c));

    if (ciphers == NULL) {
        return lt_ssl_set_value(pool, s, NULL);
    }

    n = sk_SSL_CIPHER_num(ciphers);
    len = 0;

    for (i = 0; i < n; i++) {
        cipher = sk_SSL_CIPHER_value(ciphers, i);
        len += strlen(SSL_CIPHER_get_name(cipher)) + 1;
    }

    s->data = lt_pnalloc(pool, len + 1);
    if (s->data == NULL) {
        return LT_ERROR;
    }

    p = s->data;
    last = s->data + len + 1;

    for (i = 0; i < n; i++) {
        cipher = sk_SSL_CIPHER_value(ciphers, i);
        name = SSL_CIPHER_get_name(cipher);
        p = lt_slprintf(p, last, "%s%s", i ? ":" : "", name);
    }

    s->len = p - s->data;

    return LT_OK;
}


static void
lt_ssl_group_name(int nid, u_char *buf, size_t size)
{
    const char  *name;

    name = (nid & TLSEXT_nid_unknown) ? NULL : OBJ_nid2sn(nid);

    if (name) {
        lt_slprintf(buf, buf + size - 1, "%s", name)[0] = '\0';

    } else {
        lt_slprintf(buf, buf + size - 1, "0x%04x", (unsigned) (nid & 0xffff))[0] = '\0';
    }
}


int
lt_ssl_get_curve(lt_connection_t *c, lt_pool_t *pool, lt_str_t *s)
{
    int     nid;
    u_char  buf[64];

    nid = SSL_get_negotiated_group(lt_ssl_conn(c));

    if (nid == 0) {
        return lt_ssl_set_value(pool, s, NULL);
    }

    lt_ssl_group_name(nid, buf, sizeof(buf));

    return lt_ssl_set_value(pool, s, (char *) buf);
}


int
lt_ssl_get_curves(lt_connection_t *c, lt_pool_t *pool, lt_str_t *s)
{
    int      i, n, *curves;
    u_char   buf[64], *p, *last;

    n = SSL_get1_curves(lt_ssl_conn(c), NULL);

    if (n <= 0) {
        return lt_ssl_set_value(pool, s, NULL);
    }

    curves = lt_palloc(pool, n * sizeof(int));
    if (curves == NULL) {
        return LT_ERROR;
    }

    n = SSL_get1_curves(lt_ssl_conn(c), curves);

    s->data = lt_pnalloc(pool, (size_t) n * 64);
    if (s->data == NULL) {
        return LT_ERROR;
    }

    p = s->data;
    last = s->data + (size_t) n * 64;

    for (i = 0; i < n; i++) {
        lt_ssl_group_name(curves[i], buf, sizeof(buf));
        p = lt_slprintf(p, last, "%s%s", i ? ":" : "", buf);
    }

    s->len = p - s->data;

    return LT_OK;
}


int
lt_ssl_get_session_id(lt_connection_t *c, lt_pool_t *pool, lt_str_t *s)
{
    unsigned int          len;
    const unsigned char  *id;
    SSL_SESSION          *sess;

    sess = SSL_get0_session(lt_ssl_conn(c));
    if (sess == NULL) {
        return lt_ssl_set_value(pool, s, NULL);
    }

    id = SSL_SESSION_get_id(sess, &len);

    s->data = lt_pnalloc(pool, 2 * len);
    if (s->data == NULL) {
        return LT_ERROR;
    }

    s->len = lt_hex_dump(s->data, id, len) - s->data;

    return LT_OK;
}


int
lt_ssl_get_session_reused(lt_connection_t *c, lt_pool_t *pool, lt_str_t *s)
{
    return lt_ssl_set_value(pool, s, SSL_session_reused(lt_ssl_conn(c)) ? "r" : ".");
}


int
lt_ssl_get_early_data(lt_connection_t *c, lt_pool_t *pool, lt_str_t *s)
{
    SSL  *ssl = lt_ssl_conn(c);

    if (SSL_in_init(ssl) && SSL_get_early_data_status(ssl) == SSL_EARLY_DATA_ACCEPTED) {
        return lt_ssl_set_value(pool, s, "1");
    }

    return lt_ssl_set_value(pool, s, NULL);
}


int
lt_ssl_get_server_name(lt_connection_t *c, lt_pool_t *pool, lt_str_t *s)
{
    return lt_ssl_set_value(pool, s,
                            SSL_get_servername(lt_ssl_conn(c), TLSEXT_NAMETYPE_host_name));
}


int
lt_ssl_get_alpn_protocol(lt_connection_t *c, lt_pool_t *pool, lt_str_t *s)
{
    unsigned int          len;
    const unsigned char  *data;

    SSL_get0_alpn_selected(lt_ssl_conn(c), &data, &len);

    if (len == 0) {
        return lt_ssl_set_value(pool, s, NULL);
    }

    s->data = lt_pnalloc(pool, len);
    if (s->data == NULL) {
        return LT_ERROR;
    }

    memcpy(s->data, data, len);
    s->len = len;

    return LT_OK;
}


int
lt_ssl_get_raw_certificate(lt_connection_t *c, lt_pool_t *pool, lt_str_t *s)
{
    BIO      *bio;
    X509     *cert;
    size_t    len;

    cert = SSL_get_peer_certificate(lt_ssl_conn(c));
    if (cert == NULL) {
        return lt_ssl_set_value(pool, s, NULL);
    }

    bio = BIO_new(BIO_s_mem());
    if (bio == NULL || PEM_write_bio_X509(bio, cert) == 0) {
        lt_ssl_error(LT_LOG_ALERT, c->log, 0, "PEM_write_bio_X509() failed");
        BIO_free(bio);
        X509_free(cert);
        return LT_ERROR;
    }

    len = BIO_pending(bio);

    s->data = lt_pnalloc(pool, len);
    if (s->data == NULL) {
        BIO_free(bio);
        X509_free(cert);
        return LT_ERROR;
    }

    s->len = (size_t) BIO_read(bio, s->data, (int) len);

    BIO_free(bio);
    X509_free(cert);

    return LT_OK;
}


int
lt_ssl_get_certificate(lt_connection_t *c, lt_pool_t *pool, lt_str_t *s)
{
    size_t    i, len;
    u_char   *p;
    lt_str_t  cert;

    if (lt_ssl_get_raw_certificate(c, pool, &cert) != LT_OK) {
        return LT_ERROR;
    }

    if (cert.len == 0) {
        *s = cert;
        return LT_OK;
    }

    /* the continuation lines of a header value: each line after the first
     * starts with a tab (deprecated, as in nginx) */
    len = cert.len - 1;

    for (i = 0; i < cert.len - 1; i++) {
        if (cert.data[i] == '\n') {
            len++;
        }
    }

    s->data = lt_pnalloc(pool, len);
    if (s->data == NULL) {
        return LT_ERROR;
    }

    p = s->data;

    for (i = 0; i < cert.len - 1; i++) {
        *p++ = cert.data[i];

        if (cert.data[i] == '\n') {
            *p++ = '\t';
        }
    }

    s->len = len;

    return LT_OK;
}


int
lt_ssl_get_escaped_certificate(lt_connection_t *c, lt_pool_t *pool, lt_str_t *s)
{
    lt_str_t  cert;

    if (lt_ssl_get_raw_certificate(c, pool, &cert) != LT_OK) {
        return LT_ERROR;
    }

    if (cert.len == 0) {
        *s = cert;
        return LT_OK;
    }

    s->len = lt_escape_uri_len(cert.data, cert.len, LT_ESCAPE_URI_COMPONENT);

    s->data = lt_pnalloc(pool, s->len);
    if (s->data == NULL) {
        return LT_ERROR;
    }

    lt_escape_uri(s->data, cert.data, cert.len, LT_ESCAPE_URI_COMPONENT);

    return LT_OK;
}


static int
lt_ssl_name_text(X509_NAME *name, lt_pool_t *pool, lt_str_t *s)
{
    BIO     *bio;
    size_t   len;

    bio = BIO_new(BIO_s_mem());
    if (bio == NULL) {
        return LT_ERROR;
    }

    if (X509_NAME_print_ex(bio, name, 0, XN_FLAG_RFC2253) < 0) {
        BIO_free(bio);
        return LT_ERROR;
    }

    len = BIO_pending(bio);

    s->data = lt_pnalloc(pool, len + 1);
    if (s->data == NULL) {
        BIO_free(bio);
        return LT_ERROR;
    }

    s->len = (size_t) BIO_read(bio, s->data, (int) len);

    BIO_free(bio);

    return LT_OK;
}


/* the client's certificate, when it sent one, given to a getter of one value */
typedef int (*lt_ssl_cert_value_pt)(X509 *cert, lt_pool_t *pool, lt_str_t *s);

static int
lt_ssl_peer_value(lt_connection_t *c, lt_pool_t *pool, lt_str_t *s, lt_ssl_cert_value_pt get)
{
    int    rc;
    X509  *cert;

    cert = SSL_get_peer_certificate(lt_ssl_conn(c));
    if (cert == NULL) {
        return lt_ssl_set_value(pool, s, NULL);
    }

    rc = get(cert, pool, s);
    X509_free(cert);

    return rc;
}


static int
lt_ssl_subject_value(X509 *cert, lt_pool_t *pool, lt_str_t *s)
{
    return lt_ssl_name_text(X509_get_subject_name(cert), pool, s);
}


static int
lt_ssl_issuer_value(X509 *cert, lt_pool_t *pool, lt_str_t *s)
{
    return lt_ssl_name_text(X509_get_issuer_name(cert), pool, s);
}


int
lt_ssl_get_subject_dn(lt_connection_t *c, lt_pool_t *pool, lt_str_t *s)
{
    return lt_ssl_peer_value(c, pool, s, lt_ssl_subject_value);
}


int
lt_ssl_get_issuer_dn(lt_connection_t *c, lt_pool_t *pool, lt_str_t *s)
{
    return lt_ssl_peer_value(c, pool, s, lt_ssl_issuer_value);
}


static int
lt_ssl_serial_value(X509 *cert, lt_pool_t *pool, lt_str_t *s)
{
    int   rc;
    BIO  *bio;

    rc = LT_ERROR;
    bio = BIO_new(BIO_s_mem());

    if (bio && i2a_ASN1_INTEGER(bio, X509_get_serialNumber(cert)) >= 0) {
        s->len = BIO_pending(bio);
        s->data = lt_pnalloc(pool, s->len + 1);

        if (s->data) {
            s->len = (size_t) BIO_read(bio, s->data, (int) s->len);
            rc = LT_OK;
        }
    }

    BIO_free(bio);

    return rc;
}


int
lt_ssl_get_serial_number(lt_connection_t *c, lt_pool_t *pool, lt_str_t *s)
{
    return lt_ssl_peer_value(c, pool, s, lt_ssl_serial_value);
}


static int
lt_ssl_fingerprint_value(X509 *cert, lt_pool_t *pool, lt_str_t *s)
{
    unsigned int   len;
    u_char         buf[EVP_MAX_MD_SIZE];

    if (X509_digest(cert, EVP_sha1(), buf, &len) == 0) {
        return LT_ERROR;
    }

    s->data = lt_pnalloc(pool, 2 * len);
    if (s->data == NULL) {
        return LT_ERROR;
    }

    s->len = lt_hex_dump(s->data, buf, len) - s->data;

    return LT_OK;
}


int
lt_ssl_get_fingerprint(lt_connection_t *c, lt_pool_t *pool, lt_str_t *s)
{
    return lt_ssl_peer_value(c, pool, s, lt_ssl_fingerprint_value);
}


int
lt_ssl_get_client_verify(lt_connection_t *c, lt_pool_t *pool, lt_str_t *s)
{
    long         rc;
    X509        *cert;
    const char  *str;
    u_char      *p;
    size_t       len;

    rc = SSL_get_verify_result(lt_ssl_conn(c));

    if (rc == X509_V_OK) {
        cert = SSL_get_peer_certificate(lt_ssl_conn(c));

        if (cert) {
            X509_free(cert);
            return lt_ssl_set_value(pool, s, "SUCCESS");
        }

        return lt_ssl_set_value(pool, s, "NONE");
    }

    str = X509_verify_cert_error_string(rc);
    len = sizeof("FAILED:") - 1 + strlen(str);

    p = lt_pnalloc(pool, len);
    if (p == NULL) {
        return LT_ERROR;
    }

    memcpy(p, "FAILED:", sizeof("FAILED:") - 1);
    memcpy(p + sizeof("FAILED:") - 1, str, strlen(str));

    s->data = p;
    s->len = len;

    return LT_OK;
}


/* lt_ssl_asn1_time: an ASN1_TIME as "Mon DD HH:MM:SS YYYY GMT" */
static int
lt_ssl_asn1_time(const ASN1_TIME *t, lt_pool_t *pool, lt_str_t *s)
{
    BIO  *bio;

    bio = BIO_new(BIO_s_mem());
    if (bio == NULL) {
        return LT_ERROR;
    }

    ASN1_TIME_print(bio, t);

    s->len = BIO_pending(bio);
    s->data = lt_pnalloc(pool, s->len + 1);

    if (s->data == NULL) {
        BIO_free(bio);
        return LT_ERROR;
    }

    s->len = (size_t) BIO_read(bio, s->data, (int) s->len);
    BIO_free(bio);

    return LT_OK;
}


static int
lt_ssl_not_before_value(X509 *cert, lt_pool_t *pool, lt_str_t *s)
{
    return lt_ssl_asn1_time(X509_get0_notBefore(cert), pool, s);
}


static int
lt_ssl_not_after_value(X509 *cert, lt_pool_t *pool, lt_str_t *s)
{
    return lt_ssl_asn1_time(X509_get0_notAfter(cert), pool, s);
}


int
lt_ssl_get_client_v_start(lt_connection_t *c, lt_pool_t *pool, lt_str_t *s)
{
    return lt_ssl_peer_value(c, pool, s, lt_ssl_not_before_value);
}


int
lt_ssl_get_client_v_end(lt_connection_t *c, lt_pool_t *pool, lt_str_t *s)
{
    return lt_ssl_peer_value(c, pool, s, lt_ssl_not_after_value);
}


int
lt_ssl_get_client_v_remain(lt_connection_t *c, lt_pool_t *pool, lt_str_t *s)
{
    int    days, secs;
    X509  *cert;
    u_char buf[32];

    cert = SSL_get_peer_certificate(lt_ssl_conn(c));
    if (cert == NULL) {
        return lt_ssl_set_value(pool, s, NULL);
    }

    if (ASN1_TIME_diff(&days, &secs, NULL, X509_get0_notAfter(cert)) == 0) {
        X509_free(cert);
        return lt_ssl_set_value(pool, s, NULL);
    }

    X509_free(cert);

    if (days < 0 || (days == 0 && secs < 0)) {
        days = 0;
    }

    lt_slprintf(buf, buf + sizeof(buf) - 1, "%d", days)[0] = '\0';

    return lt_ssl_set_value(pool, s, (char *) buf);
}


static int
lt_ssl_get_dn_legacy(lt_connection_t *c, lt_pool_t *pool, lt_str_t *s, int issuer)
{
    int    rc;
    char  *p;
    X509  *cert;

    cert = SSL_get_peer_certificate(lt_ssl_conn(c));
    if (cert == NULL) {
        return lt_ssl_set_value(pool, s, NULL);
    }

    p = X509_NAME_oneline(issuer ? X509_get_issuer_name(cert) : X509_get_subject_name(cert),
                          NULL, 0);
    X509_free(cert);

    if (p == NULL) {
        return LT_ERROR;
    }

    rc = lt_ssl_set_value(pool, s, p);
    OPENSSL_free(p);

    return rc;
}


int
lt_ssl_get_subject_dn_legacy(lt_connection_t *c, lt_pool_t *pool, lt_str_t *s)
{
    return lt_ssl_get_dn_legacy(c, pool, s, 0);
}


int
lt_ssl_get_issuer_dn_legacy(lt_connection_t *c, lt_pool_t *pool, lt_str_t *s)
{
    return lt_ssl_get_dn_legacy(c, pool, s, 1);
}
