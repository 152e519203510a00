/*
 * ssl.c: the http_ssl module: TLS on `listen ... ssl` addresses. Directives
 * configure one SSL_CTX per server{} that has certificates (made by the master
 * while it reads the configuration: keys are read there); a connection starts
 * on its address's default server's context, and the TLS server name (SNI)
 * switches it to the context of the server{} that name selects, with the same
 * lookup as the Host header. $ssl_* variables describe the connection.
 */

#include "lt_http.h"
#include "ssl.h"

static void *lt_http_ssl_create_srv_conf(lt_conf_t *cf);
static char *lt_http_ssl_merge_srv_conf(lt_conf_t *cf, void *parent, void *child);
static int lt_http_ssl_add_variables(lt_conf_t *cf);
static int lt_http_ssl_init(lt_conf_t *cf);
static char *lt_http_ssl_password_file(lt_conf_t *cf, lt_command_t *cmd, void *conf);
static char *lt_http_ssl_session_cache(lt_conf_t *cf, lt_command_t *cmd, void *conf);
static char *lt_http_ssl_conf_command_check(lt_conf_t *cf, lt_command_t *cmd, void *conf);
static char *lt_http_ssl_str_where(lt_conf_t *cf, lt_command_t *cmd, void *conf);
static char *lt_http_ssl_enum_where(lt_conf_t *cf, lt_command_t *cmd, void *conf);
static char *lt_http_ssl_array_where(lt_conf_t *cf, lt_command_t *cmd, void *conf);
static char *lt_http_ssl_certificate(lt_conf_t *cf, lt_command_t *cmd, void *conf);
static int lt_http_ssl_servername(SSL *ssl_conn, int *ad, void *arg);
static int lt_http_ssl_client_hello(SSL *ssl_conn, int *ad, void *arg);
static lt_conf_file_t *lt_http_ssl_at(lt_conf_t *cf, lt_conf_file_t *tmp,
    lt_http_ssl_where_t *w);
static lt_http_ssl_where_t *lt_http_ssl_cert_where(lt_http_ssl_srv_conf_t *conf,
    lt_array_t *where, size_t n);
static int lt_http_ssl_dynamic(lt_http_ssl_srv_conf_t *conf);
static int lt_http_ssl_compile_certificates(lt_conf_t *cf, lt_http_ssl_srv_conf_t *conf);
static int lt_http_ssl_certificate_cb(SSL *ssl_conn, void *arg);
static char *lt_http_ssl_build(lt_conf_t *cf, lt_http_ssl_srv_conf_t *conf,
    lt_conf_file_t *tmp);
static int lt_http_ssl_alpn_select(SSL *ssl_conn, const unsigned char **out,
    unsigned char *outlen, const unsigned char *in, unsigned int inlen, void *arg);

static const lt_conf_bitmask_t  lt_http_ssl_protocols[] = {
    { lt_string("SSLv2"), LT_SSL_SSLv2 },
    { lt_string("SSLv3"), LT_SSL_SSLv3 },
    { lt_string("TLSv1"), LT_SSL_TLSv1 },
    { lt_string("TLSv1.1"), LT_SSL_TLSv1_1 },
    { lt_string("TLSv1.2"), LT_SSL_TLSv1_2 },
    { lt_string("TLSv1.3"), LT_SSL_TLSv1_3 },
    { lt_null_string, 0 }
};

static const lt_conf_enum_t  lt_http_ssl_verify[] = {
    { lt_string("off"), LT_HTTP_SSL_VERIFY_OFF },
    { lt_string("on"), LT_HTTP_SSL_VERIFY_ON },
    { lt_string("optional"), LT_HTTP_SSL_VERIFY_OPTIONAL },
    { lt_string("optional_no_ca"), LT_HTTP_SSL_VERIFY_OPTIONAL_NO_CA },
    lt_conf_enum_end
};

#define LT_HTTP_SSL_SRV  (LT_CTX_HTTP | LT_CTX_SERVER)

static lt_command_t  lt_http_ssl_commands[] = {
    { "ssl_certificate", LT_HTTP_SSL_SRV, 1, 1, lt_http_ssl_certificate, LT_SRV_CONF,
      offsetof(lt_http_ssl_srv_conf_t, certificates), NULL },
    { "ssl_certificate_key", LT_HTTP_SSL_SRV, 1, 1, lt_http_ssl_certificate, LT_SRV_CONF,
      offsetof(lt_http_ssl_srv_conf_t, certificate_keys), NULL },
    { "ssl_password_file", LT_HTTP_SSL_SRV, 1, 1, lt_http_ssl_password_file, LT_SRV_CONF,
      0, NULL },
    { "ssl_dhparam", LT_HTTP_SSL_SRV, 1, 1, lt_http_ssl_str_where, LT_SRV_CONF,
      offsetof(lt_http_ssl_srv_conf_t, dhparam), (void *) (uintptr_t) LT_HTTP_SSL_W_DHPARAM },
    { "ssl_ecdh_curve", LT_HTTP_SSL_SRV, 1, 1, lt_http_ssl_str_where, LT_SRV_CONF,
      offsetof(lt_http_ssl_srv_conf_t, ecdh_curve), (void *) (uintptr_t) LT_HTTP_SSL_W_CURVE },
    { "ssl_protocols", LT_HTTP_SSL_SRV, 1, LT_CONF_MANY, lt_conf_set_bitmask_slot,
      LT_SRV_CONF, offsetof(lt_http_ssl_srv_conf_t, protocols), lt_http_ssl_protocols },
    { "ssl_ciphers", LT_HTTP_SSL_SRV, 1, 1, lt_http_ssl_str_where, LT_SRV_CONF,
      offsetof(lt_http_ssl_srv_conf_t, ciphers), (void *) (uintptr_t) LT_HTTP_SSL_W_CIPHERS },
    { "ssl_buffer_size", LT_HTTP_SSL_SRV, 1, 1, lt_conf_set_size_slot, LT_SRV_CONF,
      offsetof(lt_http_ssl_srv_conf_t, buffer_size), NULL },
    { "ssl_verify_client", LT_HTTP_SSL_SRV, 1, 1, lt_http_ssl_enum_where, LT_SRV_CONF,
      offsetof(lt_http_ssl_srv_conf_t, verify), (void *) (uintptr_t) LT_HTTP_SSL_W_VERIFY },
    { "ssl_verify_depth", LT_HTTP_SSL_SRV, 1, 1, lt_conf_set_int_slot, LT_SRV_CONF,
      offsetof(lt_http_ssl_srv_conf_t, verify_depth), NULL },
    { "ssl_client_certificate", LT_HTTP_SSL_SRV, 1, 1, lt_http_ssl_str_where, LT_SRV_CONF,
      offsetof(lt_http_ssl_srv_conf_t, client_certificate),
      (void *) (uintptr_t) LT_HTTP_SSL_W_CLIENT_CERT },
    { "ssl_trusted_certificate", LT_HTTP_SSL_SRV, 1, 1, lt_http_ssl_str_where, LT_SRV_CONF,
      offsetof(lt_http_ssl_srv_conf_t, trusted_certificate),
      (void *) (uintptr_t) LT_HTTP_SSL_W_TRUSTED_CERT },
    { "ssl_prefer_server_ciphers", LT_HTTP_SSL_SRV, 1, 1, lt_conf_set_flag_slot,
      LT_SRV_CONF, offsetof(lt_http_ssl_srv_conf_t, prefer_server_ciphers), NULL },
    { "ssl_session_cache", LT_HTTP_SSL_SRV, 1, 2, lt_http_ssl_session_cache, LT_SRV_CONF,
      0, NULL },
    { "ssl_session_tickets", LT_HTTP_SSL_SRV, 1, 1, lt_conf_set_flag_slot, LT_SRV_CONF,
      offsetof(lt_http_ssl_srv_conf_t, session_tickets), NULL },
    { "ssl_session_ticket_key", LT_HTTP_SSL_SRV, 1, 1, lt_http_ssl_array_where,
      LT_SRV_CONF, offsetof(lt_http_ssl_srv_conf_t, session_ticket_keys),
      (void *) (uintptr_t) LT_HTTP_SSL_W_TICKET_KEY },
    { "ssl_session_timeout", LT_HTTP_SSL_SRV, 1, 1, lt_conf_set_sec_slot, LT_SRV_CONF,
      offsetof(lt_http_ssl_srv_conf_t, session_timeout), NULL },
    { "ssl_crl", LT_HTTP_SSL_SRV, 1, 1, lt_http_ssl_str_where, LT_SRV_CONF,
      offsetof(lt_http_ssl_srv_conf_t, crl), (void *) (uintptr_t) LT_HTTP_SSL_W_CRL },
    { "ssl_stapling", LT_HTTP_SSL_SRV, 1, 1, lt_conf_set_flag_slot, LT_SRV_CONF,
      offsetof(lt_http_ssl_srv_conf_t, stapling), NULL },
    { "ssl_stapling_file", LT_HTTP_SSL_SRV, 1, 1, lt_http_ssl_str_where, LT_SRV_CONF,
      offsetof(lt_http_ssl_srv_conf_t, stapling_file),
      (void *) (uintptr_t) LT_HTTP_SSL_W_STAPLING_FILE },
    { "ssl_stapling_responder", LT_HTTP_SSL_SRV, 1, 1, lt_conf_set_str_slot, LT_SRV_CONF,
      offsetof(lt_http_ssl_srv_conf_t, stapling_responder), NULL },
    { "ssl_stapling_verify", LT_HTTP_SSL_SRV, 1, 1, lt_conf_set_flag_slot, LT_SRV_CONF,
      offsetof(lt_http_ssl_srv_conf_t, stapling_verify), NULL },
    { "ssl_early_data", LT_HTTP_SSL_SRV, 1, 1, lt_conf_set_flag_slot, LT_SRV_CONF,
      offsetof(lt_http_ssl_srv_conf_t, early_data), NULL },
    { "ssl_conf_command", LT_HTTP_SSL_SRV, 2, 2, lt_http_ssl_conf_command_check,
      LT_SRV_CONF, offsetof(lt_http_ssl_srv_conf_t, conf_commands),
      (void *) (uintptr_t) LT_HTTP_SSL_W_CONF_COMMAND },
    { "ssl_reject_handshake", LT_HTTP_SSL_SRV, 1, 1, lt_conf_set_flag_slot, LT_SRV_CONF,
      offsetof(lt_http_ssl_srv_conf_t, reject_handshake), NULL },
    lt_null_command
};

lt_module_t  lt_http_ssl_module = {
    .name = "http_ssl",
    .type = LT_HTTP_MODULE,
    .commands = lt_http_ssl_commands,
    .preconfiguration = lt_http_ssl_add_variables,
    .postconfiguration = lt_http_ssl_init,
    .create_srv_conf = lt_http_ssl_create_srv_conf,
    .merge_srv_conf = lt_http_ssl_merge_srv_conf,
};


/* variables */

typedef int (*lt_ssl_variable_handler_pt)(lt_connection_t *c, lt_pool_t *pool, lt_str_t *s);

typedef struct {
    const char                  *name;
    lt_ssl_variable_handler_pt   handler;
    unsigned                     flags;
} lt_http_ssl_var_t;

static const lt_http_ssl_var_t  lt_http_ssl_vars[] = {
    { "ssl_protocol", lt_ssl_get_protocol, 0 },
    { "ssl_cipher", lt_ssl_get_cipher_name, 0 },
    { "ssl_ciphers", lt_ssl_get_ciphers, 0 },
    { "ssl_curve", lt_ssl_get_curve, 0 },
    { "ssl_curves", lt_ssl_get_curves, 0 },
    { "ssl_session_id", lt_ssl_get_session_id, 0 },
    { "ssl_session_reused", lt_ssl_get_session_reused, 0 },
    { "ssl_early_data", lt_ssl_get_early_data, LT_HTTP_VAR_NOCACHEABLE },
    { "ssl_server_name", lt_ssl_get_server_name, 0 },
    { "ssl_alpn_protocol", lt_ssl_get_alpn_protocol, 0 },
    { "ssl_client_cert", lt_ssl_get_certificate, 0 },
    { "ssl_client_raw_cert", lt_ssl_get_raw_certificate, 0 },
    { "ssl_client_escaped_cert", lt_ssl_get_escaped_certificate, 0 },
    { "ssl_client_s_dn", lt_ssl_get_subject_dn, 0 },
    { "ssl_client_i_dn", lt_ssl_get_issuer_dn, 0 },
    { "ssl_client_s_dn_legacy", lt_ssl_get_subject_dn_legacy, 0 },
    { "ssl_client_i_dn_legacy", lt_ssl_get_issuer_dn_legacy, 0 },
    { "ssl_client_serial", lt_ssl_get_serial_number, 0 },
    { "ssl_client_fingerprint", lt_ssl_get_fingerprint, 0 },
    { "ssl_client_verify", lt_ssl_get_client_verify, 0 },
    { "ssl_client_v_start", lt_ssl_get_client_v_start, 0 },
    { "ssl_client_v_end", lt_ssl_get_client_v_end, 0 },
    { "ssl_client_v_remain", lt_ssl_get_client_v_remain, 0 },
    { NULL, NULL, 0 }
};


static int
lt_http_ssl_variable(lt_http_request_t *r, lt_http_variable_value_t *v, uintptr_t data)
{
    lt_str_t                  s;
    const lt_http_ssl_var_t  *var = (const lt_http_ssl_var_t *) data;

    if (r->connection->ssl == NULL
        || ((lt_ssl_connection_t *) r->connection->ssl)->connection == NULL)
    {
        v->not_found = 1;
        return LT_OK;
    }

    if (var->handler(r->connection, r->pool, &s) != LT_OK) {
        return LT_ERROR;
    }

    v->len = s.len;
    v->data = s.data;
    v->valid = 1;
    v->no_cacheable = 0;
    v->not_found = 0;

    return LT_OK;
}


static int
lt_http_ssl_add_variables(lt_conf_t *cf)
{
    lt_str_t                  name;
    lt_http_variable_t       *var;
    const lt_http_ssl_var_t  *v;

    for (v = lt_http_ssl_vars; v->name; v++) {
        name.len = strlen(v->name);
        name.data = (u_char *) v->name;

        var = lt_http_add_variable(cf, &name, v->flags);
        if (var == NULL) {
            return LT_ERROR;
        }

        var->get_handler = lt_http_ssl_variable;
        var->data = (uintptr_t) v;
    }

    return LT_OK;
}


/* configuration */

static void *
lt_http_ssl_create_srv_conf(lt_conf_t *cf)
{
    lt_http_ssl_srv_conf_t  *sscf;

    sscf = lt_pcalloc(cf->pool, sizeof(lt_http_ssl_srv_conf_t));
    if (sscf == NULL) {
        return NULL;
    }

    /* zeroed: protocols, strings, ssl.ctx, shm_zone */

    sscf->prefer_server_ciphers = LT_CONF_UNSET;
    sscf->early_data = LT_CONF_UNSET;
    sscf->reject_handshake = LT_CONF_UNSET;
    sscf->verify = LT_CONF_UNSET_UINT;
    sscf->verify_depth = LT_CONF_UNSET;
    sscf->buffer_size = LT_CONF_UNSET_SIZE;
    sscf->builtin_session_cache = LT_CONF_UNSET;
    sscf->session_timeout = LT_CONF_UNSET;
    sscf->session_tickets = LT_CONF_UNSET;
    sscf->certificates = LT_CONF_UNSET_PTR;
    sscf->certificate_keys = LT_CONF_UNSET_PTR;
    sscf->passwords = LT_CONF_UNSET_PTR;
    sscf->conf_commands = LT_CONF_UNSET_PTR;
    sscf->session_ticket_keys = LT_CONF_UNSET_PTR;
    sscf->shm_zone = LT_CONF_UNSET_PTR;
    sscf->stapling = LT_CONF_UNSET;
    sscf->stapling_verify = LT_CONF_UNSET;

    sscf->file = cf->conf_file ? cf->conf_file->name.data : NULL;
    sscf->line = cf->conf_file ? cf->conf_file->line : 0;

    return sscf;
}


/* lt_http_ssl_sess_ctx: the session id context: a hash of the certificates and
 * the client CA file names, so that sessions of one server{} do not resume on
 * another with other settings */
static int
lt_http_ssl_sess_ctx(lt_conf_t *cf, lt_http_ssl_srv_conf_t *conf, lt_str_t *out)
{
    size_t         i;
    int            len;
    u_char        *der, *p;
    unsigned int   mdlen;
    X509         **x;
    EVP_MD_CTX    *md;
    u_char         buf[EVP_MAX_MD_SIZE];

    md = EVP_MD_CTX_new();
    if (md == NULL || EVP_DigestInit_ex(md, EVP_sha1(), NULL) == 0) {
        EVP_MD_CTX_free(md);
        return LT_ERROR;
    }

    if (conf->ssl.certs) {
        x = conf->ssl.certs->elts;

        for (i = 0; i < conf->ssl.certs->nelts; i++) {
            len = i2d_X509(x[i], NULL);
            if (len <= 0) {
                continue;
            }

            der = lt_pnalloc(cf->temp_pool, (size_t) len);
            if (der == NULL) {
                EVP_MD_CTX_free(md);
                return LT_ERROR;
            }

            p = der;
            i2d_X509(x[i], &p);
            EVP_DigestUpdate(md, der, (size_t) len);
        }
    }

    if (conf->certificates) {
        lt_str_t  *name = conf->certificates->elts;

        for (i = 0; i < conf->certificates->nelts; i++) {
            EVP_DigestUpdate(md, name[i].data, name[i].len);
        }
    }

    EVP_DigestUpdate(md, conf->client_certificate.data, conf->client_certificate.len);
    EVP_DigestUpdate(md, &conf->verify, sizeof(conf->verify));

    if (EVP_DigestFinal_ex(md, buf, &mdlen) == 0) {
        EVP_MD_CTX_free(md);
        return LT_ERROR;
    }

    EVP_MD_CTX_free(md);

    out->data = lt_pnalloc(cf->pool, mdlen);
    if (out->data == NULL) {
        return LT_ERROR;
    }

    memcpy(out->data, buf, mdlen);
    out->len = mdlen;

    return LT_OK;
}


static char *
lt_http_ssl_merge_srv_conf(lt_conf_t *cf, void *parent, void *child)
{
    char                    *rv;
    size_t                   i, n;
    lt_str_t                *cert;
    lt_conf_file_t           tmp, *saved;
    lt_http_ssl_srv_conf_t  *prev = parent;
    lt_http_ssl_srv_conf_t  *conf = child;

    lt_conf_merge_value(conf->session_timeout, prev->session_timeout, 300);
    lt_conf_merge_value(conf->prefer_server_ciphers, prev->prefer_server_ciphers, 0);
    lt_conf_merge_value(conf->early_data, prev->early_data, 0);
    lt_conf_merge_value(conf->reject_handshake, prev->reject_handshake, 0);
    lt_conf_merge_bitmask_value(conf->protocols, prev->protocols, LT_SSL_DEFAULT_PROTOCOLS);
    lt_conf_merge_size_value(conf->buffer_size, prev->buffer_size, LT_SSL_BUFSIZE);
    lt_conf_merge_uint_value(conf->verify, prev->verify, LT_HTTP_SSL_VERIFY_OFF);
    lt_conf_merge_value(conf->verify_depth, prev->verify_depth, 1);
    lt_conf_merge_ptr_value(conf->certificates, prev->certificates, NULL);
    lt_conf_merge_ptr_value(conf->certificate_keys, prev->certificate_keys, NULL);
    lt_conf_merge_ptr_value(conf->passwords, prev->passwords, NULL);
    lt_conf_merge_str_value(conf->dhparam, prev->dhparam, "");
    lt_conf_merge_str_value(conf->client_certificate, prev->client_certificate, "");
    lt_conf_merge_str_value(conf->trusted_certificate, prev->trusted_certificate, "");
    lt_conf_merge_str_value(conf->crl, prev->crl, "");
    lt_conf_merge_str_value(conf->ecdh_curve, prev->ecdh_curve, "auto");
    lt_conf_merge_str_value(conf->ciphers, prev->ciphers, "HIGH:!aNULL:!MD5");
    lt_conf_merge_ptr_value(conf->conf_commands, prev->conf_commands, NULL);
    lt_conf_merge_value(conf->stapling, prev->stapling, 0);
    lt_conf_merge_value(conf->stapling_verify, prev->stapling_verify, 0);
    lt_conf_merge_str_value(conf->stapling_file, prev->stapling_file, "");
    lt_conf_merge_str_value(conf->stapling_responder, prev->stapling_responder, "");

    if (conf->builtin_session_cache == LT_CONF_UNSET) {
        conf->builtin_session_cache = prev->builtin_session_cache == LT_CONF_UNSET
                                      ? LT_SSL_NONE_SCACHE : prev->builtin_session_cache;
    }

    if (conf->shm_zone == LT_CONF_UNSET_PTR) {
        conf->shm_zone = prev->shm_zone == LT_CONF_UNSET_PTR ? NULL : prev->shm_zone;
    }

    lt_conf_merge_value(conf->session_tickets, prev->session_tickets, 1);
    lt_conf_merge_ptr_value(conf->session_ticket_keys, prev->session_ticket_keys, NULL);

    if (conf->certificates == NULL || conf->certificate_where == NULL) {
        conf->certificate_where = conf->certificates ? prev->certificate_where : NULL;
    }

    if (conf->certificate_keys == NULL || conf->certificate_key_where == NULL) {
        conf->certificate_key_where = conf->certificate_keys ? prev->certificate_key_where
                                                             : NULL;
    }

    for (i = 0; i < LT_HTTP_SSL_W_N; i++) {
        if (conf->where[i].line == 0) {
            conf->where[i] = prev->where[i];
        }
    }

    conf->ssl.log = cf->log;

    if (conf->certificates) {
        if (conf->certificate_keys == NULL
            || conf->certificate_keys->nelts < conf->certificates->nelts)
        {
            n = conf->certificate_keys ? conf->certificate_keys->nelts : 0;
            cert = conf->certificates->elts;

            saved = lt_http_ssl_at(cf, &tmp,
                                   lt_http_ssl_cert_where(conf, conf->certificate_where, n));
            lt_conf_log_error(LT_LOG_EMERG, cf, 0, "no \"ssl_certificate_key\" is defined "
                              "for certificate \"%.*s\"", (int) cert[n].len, cert[n].data);
            cf->conf_file = saved;
            return LT_CONF_ERROR;
        }

    } else if (!conf->reject_handshake) {
        return LT_CONF_OK;
    }

    if (lt_ssl_init(cf->log) != LT_OK) {
        return LT_CONF_ERROR;
    }

    if (lt_ssl_create(&conf->ssl, conf->protocols, conf, cf->pool) != LT_OK) {
        return LT_CONF_ERROR;
    }

    saved = cf->conf_file;
    rv = lt_http_ssl_build(cf, conf, &tmp);
    cf->conf_file = saved;

    return rv;
}


static int
lt_http_ssl_dynamic(lt_http_ssl_srv_conf_t *conf)
{
    size_t     i;
    lt_str_t  *cert, *key;

    cert = conf->certificates->elts;
    key = conf->certificate_keys->elts;

    for (i = 0; i < conf->certificates->nelts; i++) {
        if (memchr(cert[i].data, '$', cert[i].len) || memchr(key[i].data, '$', key[i].len)) {
            return 1;
        }
    }

    return 0;
}


static int
lt_http_ssl_compile_one(lt_conf_t *cf, lt_str_t *value, lt_array_t *a)
{
    lt_http_complex_value_t           *cv;
    lt_http_compile_complex_value_t    ccv;

    cv = lt_array_push(a);
    if (cv == NULL) {
        return LT_ERROR;
    }

    lt_memzero(&ccv, sizeof(lt_http_compile_complex_value_t));
    ccv.cf = cf;
    ccv.value = value;
    ccv.complex_value = cv;
    ccv.zero = 1;

    return lt_http_compile_complex_value(&ccv);
}


static int
lt_http_ssl_compile_certificates(lt_conf_t *cf, lt_http_ssl_srv_conf_t *conf)
{
    size_t     i, n;
    lt_str_t  *cert, *key;

    if (conf->certificate_values) {
        /* shared with the level it was inherited from */
        return LT_OK;
    }

    n = conf->certificates->nelts;

    conf->certificate_values = lt_array_create(cf->pool, n, sizeof(lt_http_complex_value_t));
    conf->certificate_key_values = lt_array_create(cf->pool, n,
                                                   sizeof(lt_http_complex_value_t));

    if (conf->certificate_values == NULL || conf->certificate_key_values == NULL) {
        return LT_ERROR;
    }

    cert = conf->certificates->elts;
    key = conf->certificate_keys->elts;

    for (i = 0; i < n; i++) {
        if (lt_http_ssl_compile_one(cf, &cert[i], conf->certificate_values) != LT_OK
            || lt_http_ssl_compile_one(cf, &key[i], conf->certificate_key_values) != LT_OK)
        {
            return LT_ERROR;
        }
    }

    return LT_OK;
}


/* lt_http_ssl_fake_request: a request that only serves to evaluate variables
 * during the handshake (there is no request yet), in the connection's pool */
static lt_http_request_t *
lt_http_ssl_fake_request(lt_connection_t *c)
{
    lt_http_request_t         *r;
    lt_http_connection_t      *hc;
    lt_http_conf_ctx_t        *conf_ctx;
    lt_http_core_main_conf_t  *cmcf;

    hc = c->data;
    conf_ctx = hc->conf_ctx;

    r = lt_pcalloc(c->pool, sizeof(lt_http_request_t));
    if (r == NULL) {
        return NULL;
    }

    r->pool = c->pool;
    r->connection = c;
    r->http_connection = hc;
    r->main_conf = conf_ctx->main_conf;
    r->srv_conf = conf_ctx->srv_conf;
    r->loc_conf = conf_ctx->loc_conf;
    r->main = r;
    r->count = 1;
    r->headers_in.content_length_n = -1;
    r->headers_out.content_length_n = -1;
    r->headers_out.last_modified_time = -1;

    cmcf = conf_ctx->main_conf[lt_http_core_module.ctx_index];

    r->ctx = lt_pcalloc(c->pool, sizeof(void *) * lt_http_max_module);
    r->variables = lt_pcalloc(c->pool, cmcf->variables.nelts
                                       * sizeof(lt_http_variable_value_t));

    if (r->ctx == NULL || r->variables == NULL
        || lt_list_init(&r->headers_in.headers, c->pool, 1, sizeof(lt_table_elt_t)) != LT_OK
        || lt_list_init(&r->headers_out.headers, c->pool, 1, sizeof(lt_table_elt_t))
           != LT_OK)
    {
        return NULL;
    }

    return r;
}


/* lt_http_ssl_certificate_cb: certificates whose names have variables */
static int
lt_http_ssl_certificate_cb(SSL *ssl_conn, void *arg)
{
    size_t                    i;
    lt_str_t                  cert, key;
    lt_connection_t          *c;
    lt_http_request_t        *r;
    lt_http_complex_value_t  *certs, *keys;
    lt_http_ssl_srv_conf_t   *conf = arg;

    c = SSL_get_ex_data(ssl_conn, lt_ssl_connection_index);
    if (c == NULL || conf->certificate_values == NULL) {
        return 0;
    }

    r = lt_http_ssl_fake_request(c);
    if (r == NULL) {
        return 0;
    }

    certs = conf->certificate_values->elts;
    keys = conf->certificate_key_values->elts;

    for (i = 0; i < conf->certificate_values->nelts; i++) {
        if (lt_http_complex_value(r, &certs[i], &cert) != LT_OK
            || lt_http_complex_value(r, &keys[i], &key) != LT_OK)
        {
            return 0;
        }

        if (lt_ssl_connection_certificate(c, &cert, &key, conf->passwords) != LT_OK)
        {
            return 0;
        }
    }

    return 1;
}


static lt_http_ssl_where_t *
lt_http_ssl_cert_where(lt_http_ssl_srv_conf_t *conf, lt_array_t *where, size_t n)
{
    static lt_http_ssl_where_t  none;

    if (where && n < where->nelts) {
        return (lt_http_ssl_where_t *) where->elts + n;
    }

    return &none;
}


/* lt_http_ssl_build: the server's context from its settings; cf->conf_file is
 * moved to each directive whose value fails, so the error says where it is */
static char *
lt_http_ssl_build(lt_conf_t *cf, lt_http_ssl_srv_conf_t *conf, lt_conf_file_t *tmp)
{
    size_t           i;
    lt_str_t         sess_ctx, *cert, *key;
    lt_conf_file_t  *saved;

    saved = cf->conf_file;

#define lt_http_ssl_where(n)  (cf->conf_file = saved, lt_http_ssl_at(cf, tmp, &conf->where[n]))

    conf->ssl.buffer_size = conf->buffer_size;

    SSL_CTX_set_tlsext_servername_callback(conf->ssl.ctx, lt_http_ssl_servername);
    SSL_CTX_set_client_hello_cb(conf->ssl.ctx, lt_http_ssl_client_hello, NULL);
    SSL_CTX_set_alpn_select_cb(conf->ssl.ctx, lt_http_ssl_alpn_select, NULL);

    if (conf->certificates && lt_http_ssl_dynamic(conf)) {
        /* names with variables: loaded for each handshake */
        cf->conf_file = saved;
        lt_http_ssl_at(cf, tmp, lt_http_ssl_cert_where(conf, conf->certificate_where, 0));

        if (lt_http_ssl_compile_certificates(cf, conf) != LT_OK) {
            return LT_CONF_ERROR;
        }

        SSL_CTX_set_cert_cb(conf->ssl.ctx, lt_http_ssl_certificate_cb, conf);

    } else if (conf->certificates) {
        cert = conf->certificates->elts;
        key = conf->certificate_keys->elts;

        for (i = 0; i < conf->certificates->nelts; i++) {
            cf->conf_file = saved;
            lt_http_ssl_at(cf, tmp, lt_http_ssl_cert_where(conf, conf->certificate_where, i));

            if (lt_ssl_use_certificate(cf, &conf->ssl, &cert[i]) != LT_OK) {
                return LT_CONF_ERROR;
            }

            cf->conf_file = saved;
            lt_http_ssl_at(cf, tmp,
                           lt_http_ssl_cert_where(conf, conf->certificate_key_where, i));

            if (lt_ssl_use_certificate_key(cf, &conf->ssl, &key[i], conf->passwords)
                != LT_OK)
            {
                return LT_CONF_ERROR;
            }
        }
    }

    lt_http_ssl_where(LT_HTTP_SSL_W_CIPHERS);

    if (lt_ssl_ciphers(cf, &conf->ssl, &conf->ciphers, conf->prefer_server_ciphers)
        != LT_OK)
    {
        return LT_CONF_ERROR;
    }

    if (conf->verify) {
        lt_http_ssl_where(LT_HTTP_SSL_W_VERIFY);

        if (conf->client_certificate.len == 0 && conf->trusted_certificate.len == 0
            && conf->verify != LT_HTTP_SSL_VERIFY_OPTIONAL_NO_CA)
        {
            lt_conf_log_error(LT_LOG_EMERG, cf, 0, "no ssl_client_certificate or "
                              "ssl_trusted_certificate for ssl_verify_client");
            return LT_CONF_ERROR;
        }

        lt_http_ssl_where(LT_HTTP_SSL_W_CLIENT_CERT);

        if (lt_ssl_client_certificate(cf, &conf->ssl, &conf->client_certificate,
                                      conf->verify_depth, 1) != LT_OK)
        {
            return LT_CONF_ERROR;
        }

        lt_http_ssl_where(LT_HTTP_SSL_W_TRUSTED_CERT);

        if (lt_ssl_client_certificate(cf, &conf->ssl, &conf->trusted_certificate,
                                      conf->verify_depth, 0) != LT_OK)
        {
            return LT_CONF_ERROR;
        }

        if (conf->verify == LT_HTTP_SSL_VERIFY_OPTIONAL
            || conf->verify == LT_HTTP_SSL_VERIFY_OPTIONAL_NO_CA)
        {
            /* ask for a certificate, do not insist */
            SSL_CTX_set_verify(conf->ssl.ctx, SSL_VERIFY_PEER,
                               SSL_CTX_get_verify_callback(conf->ssl.ctx));
        }

    } else {
        /* as nginx, the trusted CAs are loaded whatever ssl_verify_client says: the
         * store finds issuers (stapling) and verifies responders' signatures */
        lt_http_ssl_where(LT_HTTP_SSL_W_TRUSTED_CERT);

        if (lt_ssl_trusted_certificate(cf, &conf->ssl, &conf->trusted_certificate) != LT_OK) {
            return LT_CONF_ERROR;
        }
    }

    lt_http_ssl_where(LT_HTTP_SSL_W_CRL);

    if (lt_ssl_crl(cf, &conf->ssl, &conf->crl) != LT_OK) {
        return LT_CONF_ERROR;
    }

    lt_http_ssl_where(LT_HTTP_SSL_W_DHPARAM);

    if (lt_ssl_dhparam(cf, &conf->ssl, &conf->dhparam) != LT_OK) {
        return LT_CONF_ERROR;
    }

    lt_http_ssl_where(LT_HTTP_SSL_W_CURVE);

    if (lt_ssl_ecdh_curve(cf, &conf->ssl, &conf->ecdh_curve) != LT_OK) {
        return LT_CONF_ERROR;
    }

    cf->conf_file = saved;

    if (lt_http_ssl_sess_ctx(cf, conf, &sess_ctx) != LT_OK) {
        return LT_CONF_ERROR;
    }

    if (lt_ssl_session_cache(&conf->ssl, &sess_ctx, conf->builtin_session_cache,
                             conf->shm_zone, conf->session_timeout) != LT_OK)
    {
        return LT_CONF_ERROR;
    }

    lt_http_ssl_where(LT_HTTP_SSL_W_TICKET_KEY);

    if (!conf->session_tickets) {
        /* TLS 1.3 still sends a ticket: one that names a cached session */
        SSL_CTX_set_options(conf->ssl.ctx, SSL_OP_NO_TICKET);

        if (conf->shm_zone == NULL
            && (conf->builtin_session_cache == LT_SSL_NO_SCACHE
                || conf->builtin_session_cache == LT_SSL_NONE_SCACHE))
        {
            /* ... unless no session is kept anywhere: then a ticket could never
             * resume, and making two per handshake costs CPU */
            SSL_CTX_set_num_tickets(conf->ssl.ctx, 0);
        }

    } else if (lt_ssl_session_ticket_keys(cf, &conf->ssl, conf->session_ticket_keys)
               != LT_OK
               || lt_ssl_session_ticket_zone(&conf->ssl, conf->shm_zone) != LT_OK)
    {
        return LT_CONF_ERROR;
    }

    if (conf->early_data) {
        SSL_CTX_set_max_early_data(conf->ssl.ctx, 16384);
    }

    if (conf->stapling) {
        lt_http_ssl_where(LT_HTTP_SSL_W_STAPLING_FILE);

        if (lt_ssl_stapling(cf, &conf->ssl, lt_http_ssl_dynamic(conf) ? NULL
                            : conf->certificates, &conf->stapling_file,
                            &conf->stapling_responder, conf->stapling_verify)
            != LT_OK)
        {
            return LT_CONF_ERROR;
        }
    }

    lt_http_ssl_where(LT_HTTP_SSL_W_CONF_COMMAND);

    if (lt_ssl_conf_commands(cf, &conf->ssl, conf->conf_commands) != LT_OK) {
        return LT_CONF_ERROR;
    }

#undef lt_http_ssl_where

    return LT_CONF_OK;
}


static char *
lt_http_ssl_password_file(lt_conf_t *cf, lt_command_t *cmd, void *conf)
{
    lt_str_t                *value;
    lt_http_ssl_srv_conf_t  *sscf = conf;

    if (sscf->passwords != LT_CONF_UNSET_PTR) {
        return "is duplicate";
    }

    value = cf->args->elts;

    sscf->passwords = lt_ssl_read_password_file(cf, &value[1]);

    if (sscf->passwords == NULL) {
        return LT_CONF_ERROR;
    }

    return LT_CONF_OK;
}


static void
lt_http_ssl_note_where(lt_conf_t *cf, lt_http_ssl_where_t *w)
{
    if (cf->conf_file == NULL) {
        return;
    }

    w->file = cf->conf_file->name;
    w->line = cf->conf_file->line;
}


static char *
lt_http_ssl_conf_command_check(lt_conf_t *cf, lt_command_t *cmd, void *conf)
{
    lt_command_t             c = *cmd;
    lt_http_ssl_srv_conf_t  *sscf = conf;

    lt_http_ssl_note_where(cf, &sscf->where[(uintptr_t) cmd->post]);
    c.post = NULL;

    return lt_conf_set_keyval_slot(cf, &c, conf);
}


static char *
lt_http_ssl_str_where(lt_conf_t *cf, lt_command_t *cmd, void *conf)
{
    lt_command_t             c = *cmd;
    lt_http_ssl_srv_conf_t  *sscf = conf;

    lt_http_ssl_note_where(cf, &sscf->where[(uintptr_t) cmd->post]);
    c.post = NULL;

    return lt_conf_set_str_slot(cf, &c, conf);
}


static char *
lt_http_ssl_enum_where(lt_conf_t *cf, lt_command_t *cmd, void *conf)
{
    lt_command_t             c = *cmd;
    lt_http_ssl_srv_conf_t  *sscf = conf;

    lt_http_ssl_note_where(cf, &sscf->where[(uintptr_t) cmd->post]);
    c.post = lt_http_ssl_verify;

    return lt_conf_set_enum_slot(cf, &c, conf);
}


static char *
lt_http_ssl_array_where(lt_conf_t *cf, lt_command_t *cmd, void *conf)
{
    lt_command_t             c = *cmd;
    lt_http_ssl_srv_conf_t  *sscf = conf;

    lt_http_ssl_note_where(cf, &sscf->where[(uintptr_t) cmd->post]);
    c.post = NULL;

    return lt_conf_set_str_array_slot(cf, &c, conf);
}


/* ssl_certificate, ssl_certificate_key: the names, and where each was given */
static char *
lt_http_ssl_certificate(lt_conf_t *cf, lt_command_t *cmd, void *conf)
{
    char                    *rv;
    lt_http_ssl_where_t     *w;
    lt_http_ssl_srv_conf_t  *sscf = conf;

    lt_array_t             **where;

    rv = lt_conf_set_str_array_slot(cf, cmd, conf);
    if (rv != LT_CONF_OK) {
        return rv;
    }

    where = cmd->offset == offsetof(lt_http_ssl_srv_conf_t, certificates)
            ? &sscf->certificate_where : &sscf->certificate_key_where;

    if (*where == NULL) {
        *where = lt_array_create(cf->pool, 2, sizeof(lt_http_ssl_where_t));
        if (*where == NULL) {
            return LT_CONF_ERROR;
        }
    }

    w = lt_array_push(*where);
    if (w == NULL) {
        return LT_CONF_ERROR;
    }

    lt_memzero(w, sizeof(lt_http_ssl_where_t));
    lt_http_ssl_note_where(cf, w);

    return LT_CONF_OK;
}


/* lt_http_ssl_at: errors logged with cf now point at w (restore with the
 * returned file) */
static lt_conf_file_t *
lt_http_ssl_at(lt_conf_t *cf, lt_conf_file_t *tmp, lt_http_ssl_where_t *w)
{
    lt_conf_file_t  *saved;

    saved = cf->conf_file;

    if (saved == NULL || w->line == 0) {
        return saved;
    }

    *tmp = *saved;
    tmp->name = w->file;
    tmp->line = w->line;
    cf->conf_file = tmp;

    return saved;
}


/* ssl_session_cache off | none | [builtin[:size]] [shared:name:size] */
static char *
lt_http_ssl_session_cache(lt_conf_t *cf, lt_command_t *cmd, void *conf)
{
    size_t                   i, j;
    int64_t                  n;
    lt_str_t                *value, name, size;
    lt_http_ssl_srv_conf_t  *sscf = conf;

    value = cf->args->elts;

    for (i = 1; i < cf->args->nelts; i++) {

        if (lt_str_eq(&value[i], "off")) {
            sscf->builtin_session_cache = LT_SSL_NO_SCACHE;
            continue;
        }

        if (lt_str_eq(&value[i], "none")) {
            sscf->builtin_session_cache = LT_SSL_NONE_SCACHE;
            continue;
        }

        if (lt_str_eq(&value[i], "builtin")) {
            sscf->builtin_session_cache = LT_SSL_DFLT_BUILTIN_SCACHE;
            continue;
        }

        if (value[i].len > sizeof("builtin:") - 1
            && memcmp(value[i].data, "builtin:", sizeof("builtin:") - 1) == 0)
        {
            n = lt_atoi(value[i].data + sizeof("builtin:") - 1,
                        value[i].len - (sizeof("builtin:") - 1));

            if (n == LT_ERROR) {
                goto invalid;
            }

            sscf->builtin_session_cache = (ssize_t) n;
            continue;
        }

        if (value[i].len > sizeof("shared:") - 1
            && memcmp(value[i].data, "shared:", sizeof("shared:") - 1) == 0)
        {
            name.data = value[i].data + sizeof("shared:") - 1;
            name.len = 0;

            for (j = sizeof("shared:") - 1; j < value[i].len; j++) {
                if (value[i].data[j] == ':') {
                    break;
                }

                name.len++;
            }

            if (name.len == 0 || j == value[i].len) {
                goto invalid;
            }

            size.data = value[i].data + j + 1;
            size.len = value[i].len - j - 1;

            n = lt_parse_size(&size);

            if (n == LT_ERROR) {
                goto invalid;
            }

            if (n < (int64_t) (8 * lt_pagesize)) {
                lt_conf_log_error(LT_LOG_EMERG, cf, 0, "session cache \"%.*s\" is too small",
                                  (int) value[i].len, value[i].data);
                return LT_CONF_ERROR;
            }

            sscf->shm_zone = lt_shared_memory_add(cf, &name, (size_t) n, &lt_http_ssl_module);
            if (sscf->shm_zone == NULL) {
                return LT_CONF_ERROR;
            }

            sscf->shm_zone->init = lt_ssl_session_cache_init;
            continue;
        }

        goto invalid;
    }

    if (sscf->shm_zone != LT_CONF_UNSET_PTR && sscf->shm_zone
        && sscf->builtin_session_cache == LT_CONF_UNSET)
    {
        sscf->builtin_session_cache = LT_SSL_NO_BUILTIN_SCACHE;
    }

    if (sscf->shm_zone == LT_CONF_UNSET_PTR) {
        sscf->shm_zone = NULL;
    }

    return LT_CONF_OK;

invalid:

    lt_conf_log_error(LT_LOG_EMERG, cf, 0, "invalid session cache \"%.*s\"",
                      (int) value[i].len, value[i].data);

    return LT_CONF_ERROR;
}


/* listen ... ssl needs a certificate in its servers (or ssl_reject_handshake) */
static int
lt_http_ssl_init(lt_conf_t *cf)
{
    size_t                     p, a, s;
    lt_http_conf_port_t       *port;
    lt_http_conf_addr_t       *addr;
    lt_http_ssl_srv_conf_t    *sscf;
    lt_http_core_srv_conf_t  **cscfp, *cscf;
    lt_http_core_main_conf_t  *cmcf;

    cmcf = lt_http_conf_get_module_main_conf(cf, lt_http_core_module);

    if (cmcf->ports == NULL) {
        return LT_OK;
    }

    port = cmcf->ports->elts;

    for (p = 0; p < cmcf->ports->nelts; p++) {

        addr = port[p].addrs.elts;

        for (a = 0; a < port[p].addrs.nelts; a++) {

            if (!addr[a].opt.ssl) {
                continue;
            }

            cscfp = addr[a].servers.elts;
            cscf = addr[a].default_server ? addr[a].default_server : cscfp[0];

            sscf = cscf->ctx->srv_conf[lt_http_ssl_module.ctx_index];

            if (sscf->certificates) {
                continue;
            }

            if (!sscf->reject_handshake) {
                lt_log_error(LT_LOG_EMERG, cf->log, 0, "no \"ssl_certificate\" is defined "
                             "for the \"listen ... ssl\" directive in %s:%zu",
                             (char *) cscf->file_name, cscf->line);
                return LT_ERROR;
            }

            /* the default server rejects: every other one needs a certificate */
            for (s = 0; s < addr[a].servers.nelts; s++) {
                cscf = cscfp[s];
                sscf = cscf->ctx->srv_conf[lt_http_ssl_module.ctx_index];

                if (sscf->certificates || sscf->reject_handshake) {
                    continue;
                }

                lt_log_error(LT_LOG_EMERG, cf->log, 0, "no \"ssl_certificate\" is defined "
                             "for the \"listen ... ssl\" directive in %s:%zu",
                             (char *) cscf->file_name, cscf->line);
                return LT_ERROR;
            }
        }
    }

    return LT_OK;
}


/* connections */

int
lt_http_ssl_create_connection(lt_connection_t *c)
{
    lt_http_connection_t     *hc;
    lt_http_ssl_srv_conf_t   *sscf;
    lt_http_addr_conf_t      *addr_conf;

    hc = c->data;
    addr_conf = hc->addr_conf;

    sscf = addr_conf->default_server->ctx->srv_conf[lt_http_ssl_module.ctx_index];

    if (sscf->ssl.ctx == NULL) {
        lt_log_error(LT_LOG_ALERT, c->log, 0, "no SSL context for the connection");
        return LT_ERROR;
    }

    return lt_ssl_create_connection(&sscf->ssl, c, 0);
}


/* lt_http_ssl_select: the TLS server name picks the server{}: its context
 * (certificates, verification, protocols) replaces the default server's.
 * SSL_TLSEXT_ERR_OK, or SSL_TLSEXT_ERR_ALERT_FATAL with *ad set. */
static int
lt_http_ssl_select(SSL *ssl_conn, lt_connection_t *c, const u_char *servername, size_t len,
    int *ad)
{
    int                       rc;
    lt_str_t                  host, *name;
    SSL_CTX                  *ctx;
    lt_http_connection_t     *hc;
    lt_http_ssl_srv_conf_t   *sscf;
    lt_http_core_srv_conf_t  *cscf;

    hc = c->data;

    if (len == 0 || hc->ssl_servername) {
        return SSL_TLSEXT_ERR_OK;
    }

    host.data = lt_pnalloc(c->pool, len);
    if (host.data == NULL) {
        goto error;
    }

    lt_strlow(host.data, (u_char *) servername, len);
    host.len = len;

    if (lt_http_validate_host(&host) != LT_OK) {
        lt_log_error(LT_LOG_INFO, c->log, 0, "client sent invalid server name");
        *ad = SSL_AD_UNRECOGNIZED_NAME;
        return SSL_TLSEXT_ERR_ALERT_FATAL;
    }

    name = lt_palloc(c->pool, sizeof(lt_str_t));
    if (name == NULL) {
        goto error;
    }

    *name = host;
    hc->ssl_servername = name;

    rc = lt_http_find_virtual_server(c, hc->addr_conf, &host, NULL, &cscf);

    if (rc == LT_ERROR) {
        goto error;
    }

    if (rc == LT_DECLINED) {
        return SSL_TLSEXT_ERR_OK;
    }

    hc->conf_ctx = cscf->ctx;

    sscf = cscf->ctx->srv_conf[lt_http_ssl_module.ctx_index];
    ctx = sscf->ssl.ctx;

    if (ctx && ctx != SSL_get_SSL_CTX(ssl_conn)) {
        SSL_set_SSL_CTX(ssl_conn, ctx);

        /* what SSL_set_SSL_CTX does not carry over; the protocols count only when
         * this runs from the ClientHello callback, before the version is chosen */
        SSL_set_verify(ssl_conn, SSL_CTX_get_verify_mode(ctx),
                       SSL_CTX_get_verify_callback(ctx));
        SSL_set_verify_depth(ssl_conn, SSL_CTX_get_verify_depth(ctx));
        SSL_clear_options(ssl_conn, SSL_get_options(ssl_conn) & ~SSL_CTX_get_options(ctx));
        SSL_set_options(ssl_conn, SSL_CTX_get_options(ctx));
        SSL_set_min_proto_version(ssl_conn, SSL_CTX_get_min_proto_version(ctx));
        SSL_set_max_proto_version(ssl_conn, SSL_CTX_get_max_proto_version(ctx));
    }

    return SSL_TLSEXT_ERR_OK;

error:

    *ad = SSL_AD_INTERNAL_ERROR;
    return SSL_TLSEXT_ERR_ALERT_FATAL;
}


/* lt_http_ssl_client_hello: the server{} is chosen from the ClientHello's
 * server_name extension as soon as it arrives, so that its ssl_protocols and
 * other settings apply to the version and cipher OpenSSL is about to choose (as
 * nginx 1.29.2); a malformed extension is left to OpenSSL to refuse */
static int
lt_http_ssl_client_hello(SSL *ssl_conn, int *ad, void *arg)
{
    size_t                len, n;
    const unsigned char  *p;
    lt_connection_t      *c;

    (void) arg;

    c = SSL_get_ex_data(ssl_conn, lt_ssl_connection_index);

    if (c == NULL
        || !SSL_client_hello_get0_ext(ssl_conn, TLSEXT_TYPE_server_name, &p, &len))
    {
        return SSL_CLIENT_HELLO_SUCCESS;
    }

    /* ServerNameList: a 2-byte length, then (type, 2-byte length, name) */
    if (len < 5 || (size_t) ((p[0] << 8) | p[1]) != len - 2
        || p[2] != TLSEXT_NAMETYPE_host_name)
    {
        return SSL_CLIENT_HELLO_SUCCESS;
    }

    n = (size_t) ((p[3] << 8) | p[4]);

    if (n + 5 > len || memchr(p + 5, '\0', n) != NULL) {
        return SSL_CLIENT_HELLO_SUCCESS;
    }

    if (lt_http_ssl_select(ssl_conn, c, p + 5, n, ad) != SSL_TLSEXT_ERR_OK) {
        return SSL_CLIENT_HELLO_ERROR;
    }

    return SSL_CLIENT_HELLO_SUCCESS;
}


/* lt_http_ssl_servername: OpenSSL's server name callback: the server{} when the
 * ClientHello callback did not choose it already, and ssl_reject_handshake */
static int
lt_http_ssl_servername(SSL *ssl_conn, int *ad, void *arg)
{
    int                      rc;
    const char              *servername;
    lt_connection_t         *c;
    lt_http_connection_t    *hc;
    lt_http_ssl_srv_conf_t  *sscf;

    (void) arg;

    c = SSL_get_ex_data(ssl_conn, lt_ssl_connection_index);
    if (c == NULL) {
        return SSL_TLSEXT_ERR_NOACK;
    }

    hc = c->data;

    servername = SSL_get_servername(ssl_conn, TLSEXT_NAMETYPE_host_name);

    if (servername) {
        rc = lt_http_ssl_select(ssl_conn, c, (const u_char *) servername,
                                strlen(servername), ad);
        if (rc != SSL_TLSEXT_ERR_OK) {
            return rc;
        }
    }

    sscf = ((lt_http_conf_ctx_t *) hc->conf_ctx)->srv_conf[lt_http_ssl_module.ctx_index];

    if (sscf->reject_handshake) {
        ((lt_ssl_connection_t *) c->ssl)->handshake_rejected = 1;
        *ad = SSL_AD_UNRECOGNIZED_NAME;
        return SSL_TLSEXT_ERR_ALERT_FATAL;
    }

    return SSL_TLSEXT_ERR_OK;
}


static int
lt_http_ssl_alpn_select(SSL *ssl_conn, const unsigned char **out, unsigned char *outlen,
    const unsigned char *in, unsigned int inlen, void *arg)
{
    static const unsigned char  http11[] = "\x08http/1.1";

    (void) ssl_conn;
    (void) arg;

    if (SSL_select_next_proto((unsigned char **) out, outlen, http11, sizeof(http11) - 1,
                              in, inlen) != OPENSSL_NPN_NEGOTIATED)
    {
        return SSL_TLSEXT_ERR_ALERT_FATAL;
    }

    return SSL_TLSEXT_ERR_OK;
}


int
lt_http_ssl_verify_request(lt_http_request_t *r)
{
    long                     rc;
    X509                    *cert;
    lt_connection_t         *c;
    lt_ssl_connection_t     *sc;
    lt_http_ssl_srv_conf_t  *sscf;

    c = r->connection;
    sc = c->ssl;

    if (sc == NULL || sc->connection == NULL) {
        return LT_OK;
    }

    sscf = lt_http_get_module_srv_conf(r, lt_http_ssl_module);

    if (!sscf->verify) {
        return LT_OK;
    }

    rc = SSL_get_verify_result(sc->connection);

    if (rc != X509_V_OK
        && (sscf->verify != LT_HTTP_SSL_VERIFY_OPTIONAL_NO_CA
            || !(rc == X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT
                 || rc == X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN
                 || rc == X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT
                 || rc == X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY
                 || rc == X509_V_ERR_CERT_UNTRUSTED
                 || rc == X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE)))
    {
        lt_log_error(LT_LOG_INFO, c->log, 0, "client SSL certificate verify error: "
                     "(%ld:%s)", rc, X509_verify_cert_error_string(rc));

        SSL_SESSION_set_timeout(SSL_get0_session(sc->connection), 0);
        return LT_HTTPS_CERT_ERROR;
    }

    if (sscf->verify == LT_HTTP_SSL_VERIFY_ON) {
        cert = SSL_get_peer_certificate(sc->connection);

        if (cert == NULL) {
            lt_log_error(LT_LOG_INFO, c->log, 0, "client sent no required SSL certificate");

            SSL_SESSION_set_timeout(SSL_get0_session(sc->connection), 0);
            return LT_HTTPS_NO_CERT;
        }

        X509_free(cert);
    }

    return LT_OK;
}


int
lt_http_ssl_misdirected(lt_http_request_t *r, lt_http_core_srv_conf_t *cscf)
{
    lt_http_ssl_srv_conf_t  *sscf;

    sscf = cscf->ctx->srv_conf[lt_http_ssl_module.ctx_index];

    return sscf->verify != LT_HTTP_SSL_VERIFY_OFF;
}
