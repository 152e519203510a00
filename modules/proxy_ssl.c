/*
 * proxy_ssl.c: the proxy_ssl_* directives: the TLS client context of a location
 * whose proxy_pass is https:// (or has variables, and so may be), made at load
 * time by the master (certificates and keys read there). The connection side is
 * the upstream core's (http/lt_http_upstream_ssl.c).
 */

#include "proxy.h"

const lt_conf_bitmask_t  lt_http_proxy_ssl_protocols[] = {
    { lt_string("SSLv2"), LT_SSL_SSLv2 },
    { lt_string("SSLv3"), LT_SSL_SSLv3 },
    { lt_string("TLSv1"), LT_SSL_TLSv1 },
    { lt_string("TLSv1.1"), LT_SSL_TLSv1_1 },
    { lt_string("TLSv1.2"), LT_SSL_TLSv1_2 },
    { lt_string("TLSv1.3"), LT_SSL_TLSv1_3 },
    { lt_null_string, 0 }
};


void
lt_http_proxy_ssl_create_conf(lt_http_proxy_ssl_t *ssl)
{
    /* zeroed: protocols (bitmask: 0 is unset), strings, conf.ctx, conf.sessions */
    ssl->conf.session_reuse = LT_CONF_UNSET;
    ssl->conf.server_name = LT_CONF_UNSET;
    ssl->conf.verify = LT_CONF_UNSET;
    ssl->conf.name = LT_CONF_UNSET_PTR;
    ssl->passwords = LT_CONF_UNSET_PTR;
    ssl->conf_commands = LT_CONF_UNSET_PTR;
    ssl->verify_depth = LT_CONF_UNSET;
    ssl->ciphers.len = (size_t) -1;
    ssl->certificate.len = (size_t) -1;
    ssl->certificate_key.len = (size_t) -1;
    ssl->trusted_certificate.len = (size_t) -1;
    ssl->crl.len = (size_t) -1;
}


char *
lt_http_proxy_ssl_password_file(lt_conf_t *cf, lt_command_t *cmd, void *conf)
{
    lt_str_t                  *value;
    lt_http_proxy_loc_conf_t  *plcf = conf;

    (void) cmd;

    if (plcf->ssl.passwords != LT_CONF_UNSET_PTR) {
        return "is duplicate";
    }

    value = cf->args->elts;

    plcf->ssl.passwords = lt_ssl_read_password_file(cf, &value[1]);

    return plcf->ssl.passwords ? LT_CONF_OK : LT_CONF_ERROR;
}


/* proxy_ssl_certificate_cache off | max=N [inactive=time] [valid=time]: checked and
 * accepted; certificates given with variables are read for each connection */
char *
lt_http_proxy_ssl_certificate_cache(lt_conf_t *cf, lt_command_t *cmd, void *conf)
{
    size_t     i;
    lt_str_t  *value, s;

    (void) conf;

    value = cf->args->elts;

    if (cf->args->nelts == 2 && lt_str_eq(&value[1], "off")) {
        return LT_CONF_OK;
    }

    for (i = 1; i < cf->args->nelts; i++) {
        if (value[i].len > 4 && memcmp(value[i].data, "max=", 4) == 0) {
            s.data = value[i].data + 4;
            s.len = value[i].len - 4;

            if (lt_atoi(s.data, s.len) > 0) {
                continue;
            }

        } else if ((value[i].len > 9 && memcmp(value[i].data, "inactive=", 9) == 0)
                   || (value[i].len > 6 && memcmp(value[i].data, "valid=", 6) == 0))
        {
            s.data = (u_char *) memchr(value[i].data, '=', value[i].len) + 1;
            s.len = value[i].data + value[i].len - s.data;

            if (lt_parse_time(&s, 1) != LT_ERROR) {
                continue;
            }
        }

        lt_conf_log_error(LT_LOG_EMERG, cf, 0, "invalid parameter \"%s\" in \"%s\"",
                          value[i].data, cmd->name);
        return LT_CONF_ERROR;
    }

    return LT_CONF_OK;
}


/* with proxy_ssl_verify the result is looked at after the handshake: a failure
 * is logged with nginx's words instead of ending in an alert */
static int
lt_http_proxy_ssl_verify_callback(int ok, X509_STORE_CTX *store)
{
    (void) ok;
    (void) store;

    return 1;
}


static int
lt_http_proxy_ssl_trusted(lt_conf_t *cf, lt_http_proxy_ssl_t *ssl)
{
    SSL_CTX_set_verify(ssl->conf.ctx->ctx, SSL_VERIFY_PEER, lt_http_proxy_ssl_verify_callback);
    SSL_CTX_set_verify_depth(ssl->conf.ctx->ctx, ssl->verify_depth);

    return lt_ssl_trusted_certificate(cf, ssl->conf.ctx, &ssl->trusted_certificate);
}


/* lt_http_proxy_ssl_context: the client context of a location */
static int
lt_http_proxy_ssl_context(lt_conf_t *cf, lt_http_proxy_loc_conf_t *conf)
{
    lt_http_proxy_ssl_t  *ssl = &conf->ssl;

    ssl->conf.ctx = lt_pcalloc(cf->pool, sizeof(lt_ssl_t));
    if (ssl->conf.ctx == NULL) {
        return LT_ERROR;
    }

    ssl->conf.ctx->log = cf->log;

    if (lt_ssl_create(ssl->conf.ctx, ssl->protocols, NULL, cf->pool) != LT_OK) {
        return LT_ERROR;
    }

    if (lt_ssl_ciphers(cf, ssl->conf.ctx, &ssl->ciphers, 0) != LT_OK) {
        return LT_ERROR;
    }

    if (ssl->certificate.len && !ssl->conf.certificate) {
        if (ssl->certificate_key.len == 0) {
            lt_conf_log_error(LT_LOG_EMERG, cf, 0, "no \"proxy_ssl_certificate_key\" is "
                              "defined for certificate \"%.*s\"",
                              (int) ssl->certificate.len, ssl->certificate.data);
            return LT_ERROR;
        }

        if (lt_ssl_certificate(cf, ssl->conf.ctx, &ssl->certificate, &ssl->certificate_key,
                               ssl->passwords)
            != LT_OK)
        {
            return LT_ERROR;
        }
    }

    if (ssl->conf.verify) {
        if (ssl->trusted_certificate.len == 0) {
            lt_conf_log_error(LT_LOG_EMERG, cf, 0,
                              "no proxy_ssl_trusted_certificate for proxy_ssl_verify");
            return LT_ERROR;
        }

        if (lt_http_proxy_ssl_trusted(cf, ssl) != LT_OK) {
            return LT_ERROR;
        }

        if (lt_ssl_crl(cf, ssl->conf.ctx, &ssl->crl) != LT_OK) {
            return LT_ERROR;
        }
    }

    if (lt_ssl_conf_commands(cf, ssl->conf.ctx, ssl->conf_commands) != LT_OK) {
        return LT_ERROR;
    }

    return lt_http_upstream_ssl_configure(cf, &ssl->conf);
}


/* lt_http_proxy_ssl_value: a certificate or key given with variables */
static int
lt_http_proxy_ssl_value(lt_conf_t *cf, lt_str_t *value, lt_http_complex_value_t **cv)
{
    lt_http_compile_complex_value_t  ccv;

    *cv = lt_pcalloc(cf->pool, sizeof(lt_http_complex_value_t));
    if (*cv == NULL) {
        return LT_ERROR;
    }

    lt_memzero(&ccv, sizeof(lt_http_compile_complex_value_t));
    ccv.cf = cf;
    ccv.value = value;
    ccv.complex_value = *cv;
    ccv.zero = 1;

    return lt_http_compile_complex_value(&ccv);
}


#define lt_http_proxy_ssl_merge_str(conf, prev, default)                      \
    if ((conf).len == (size_t) -1) {                                          \
        if ((prev).len != (size_t) -1) {                                      \
            conf = prev;                                                      \
        } else {                                                              \
            lt_str_set(&(conf), default);                                     \
        }                                                                     \
    }

char *
lt_http_proxy_ssl_merge(lt_conf_t *cf, lt_http_proxy_loc_conf_t *conf,
    lt_http_proxy_loc_conf_t *prev)
{
    unsigned              own;
    lt_str_t              host;
    lt_http_proxy_ssl_t  *ssl = &conf->ssl, *pssl = &prev->ssl;

    /* a context of its own only when this level changes one of its settings */
    own = ssl->protocols || ssl->ciphers.len != (size_t) -1
          || ssl->certificate.len != (size_t) -1 || ssl->certificate_key.len != (size_t) -1
          || ssl->trusted_certificate.len != (size_t) -1 || ssl->crl.len != (size_t) -1
          || ssl->passwords != LT_CONF_UNSET_PTR || ssl->conf_commands != LT_CONF_UNSET_PTR
          || ssl->verify_depth != LT_CONF_UNSET || ssl->conf.verify != LT_CONF_UNSET
          || ssl->conf.session_reuse != LT_CONF_UNSET;

    lt_conf_merge_bitmask_value(ssl->protocols, pssl->protocols, LT_SSL_DEFAULT_PROTOCOLS);
    lt_http_proxy_ssl_merge_str(ssl->ciphers, pssl->ciphers, "DEFAULT");
    lt_http_proxy_ssl_merge_str(ssl->certificate, pssl->certificate, "");
    lt_http_proxy_ssl_merge_str(ssl->certificate_key, pssl->certificate_key, "");
    lt_http_proxy_ssl_merge_str(ssl->trusted_certificate, pssl->trusted_certificate, "");
    lt_http_proxy_ssl_merge_str(ssl->crl, pssl->crl, "");
    lt_conf_merge_ptr_value(ssl->passwords, pssl->passwords, NULL);
    ssl->conf.passwords = ssl->passwords;
    lt_conf_merge_ptr_value(ssl->conf_commands, pssl->conf_commands, NULL);
    lt_conf_merge_value(ssl->verify_depth, pssl->verify_depth, 1);
    lt_conf_merge_value(ssl->conf.verify, pssl->conf.verify, 0);
    lt_conf_merge_value(ssl->conf.session_reuse, pssl->conf.session_reuse, 1);
    lt_conf_merge_value(ssl->conf.server_name, pssl->conf.server_name, 0);

    if (ssl->conf.name == LT_CONF_UNSET_PTR) {
        if (pssl->conf.name != LT_CONF_UNSET_PTR) {
            ssl->conf.name = pssl->conf.name;

        } else {
            lt_str_set(&host, "$proxy_host");

            if (lt_http_proxy_ssl_value(cf, &host, &ssl->conf.name) != LT_OK) {
                return LT_CONF_ERROR;
            }

            pssl->conf.name = ssl->conf.name;
        }
    }

    if (ssl->certificate.len && lt_http_script_variables_count(&ssl->certificate)) {
        /* read for each connection */
        if (ssl->conf.certificate == NULL
            && (lt_http_proxy_ssl_value(cf, &ssl->certificate, &ssl->conf.certificate)
                != LT_OK
                || lt_http_proxy_ssl_value(cf, &ssl->certificate_key,
                                           &ssl->conf.certificate_key)
                   != LT_OK))
        {
            return LT_CONF_ERROR;
        }
    }

    conf->upstream.ssl = NULL;

    if (!ssl->needed) {
        return LT_CONF_OK;
    }

    if (!own && pssl->conf.ctx) {
        ssl->conf.ctx = pssl->conf.ctx;
        ssl->conf.sessions = pssl->conf.sessions;

    } else if (lt_http_proxy_ssl_context(cf, conf) != LT_OK) {
        return LT_CONF_ERROR;
    }

    conf->upstream.ssl = &ssl->conf;

    return LT_CONF_OK;
}
