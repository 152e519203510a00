/*
 * proxy.c: proxy_pass and the proxy_* directives ("http_proxy", nginx's
 * ngx_http_proxy_module): the HTTP/1.x protocol side of the upstream core.
 *
 * The module builds the request to the upstream (request line with nginx's URI
 * rules, proxy_set_header lines, the client's headers, the body), parses the
 * status line and header of the response (with http/lt_http_parse.c), and
 * gives the upstream core its input filters: Content-Length or close-delimited
 * bodies pass through as they are (lt_event_pipe_copy_input_filter, or the
 * core's unbuffered filter), chunked bodies lose their framing in place (the
 * data buffers shadow the raw ones: no copies), trailers are kept for
 * $upstream_trailer_NAME and passed on when the client asked for them.
 *
 * Response header lines point into the upstream's header buffer, which the
 * core keeps intact for the life of the request (only the lowercase names are
 * allocated).
 *
 * proxy_redirect and proxy_cookie_* live in modules/proxy_rewrite.c, on the
 * "rewrite" member of the location configuration (see proxy.h).
 */

#include "lt_http.h"
#include "proxy.h"

#define LT_HTTP_PROXY_BITMASK_SET  1



static int lt_http_proxy_handler(lt_http_request_t *r);
static int lt_http_proxy_eval(lt_http_request_t *r, lt_http_proxy_ctx_t *ctx,
    lt_http_proxy_loc_conf_t *plcf);
static int lt_http_proxy_create_request(lt_http_request_t *r);
static int lt_http_proxy_reinit_request(lt_http_request_t *r);
static void lt_http_proxy_abort_request(lt_http_request_t *r);
static void lt_http_proxy_finalize_request(lt_http_request_t *r, int rc);

static int lt_http_proxy_add_variables(lt_conf_t *cf);
static void *lt_http_proxy_create_loc_conf(lt_conf_t *cf);
static char *lt_http_proxy_merge_loc_conf(lt_conf_t *cf, void *parent, void *child);
static int lt_http_proxy_init_headers(lt_conf_t *cf, lt_http_proxy_loc_conf_t *conf,
    lt_http_proxy_headers_t *headers);

static char *lt_http_proxy_pass(lt_conf_t *cf, lt_command_t *cmd, void *conf);
static char *lt_http_proxy_set_header(lt_conf_t *cf, lt_command_t *cmd, void *conf);
static char *lt_http_proxy_cache(lt_conf_t *cf, lt_command_t *cmd, void *conf);
static char *lt_http_proxy_cache_condition(lt_conf_t *cf, lt_command_t *cmd, void *conf);
static char *lt_http_proxy_store_headers_hash(lt_conf_t *cf, lt_command_t *cmd, void *conf);


static const lt_conf_enum_t  lt_http_proxy_http_version[] = {
    { lt_string("1.0"), LT_HTTP_VERSION_10 },
    { lt_string("1.1"), LT_HTTP_VERSION_11 },
    lt_conf_enum_end
};

static const lt_conf_bitmask_t  lt_http_proxy_next_upstream_masks[] = {
    { lt_string("error"), LT_HTTP_UPSTREAM_FT_ERROR },
    { lt_string("timeout"), LT_HTTP_UPSTREAM_FT_TIMEOUT },
    { lt_string("invalid_header"), LT_HTTP_UPSTREAM_FT_INVALID_HEADER },
    { lt_string("non_idempotent"), LT_HTTP_UPSTREAM_FT_NON_IDEMPOTENT },
    { lt_string("http_500"), LT_HTTP_UPSTREAM_FT_HTTP_500 },
    { lt_string("http_502"), LT_HTTP_UPSTREAM_FT_HTTP_502 },
    { lt_string("http_503"), LT_HTTP_UPSTREAM_FT_HTTP_503 },
    { lt_string("http_504"), LT_HTTP_UPSTREAM_FT_HTTP_504 },
    { lt_string("http_403"), LT_HTTP_UPSTREAM_FT_HTTP_403 },
    { lt_string("http_404"), LT_HTTP_UPSTREAM_FT_HTTP_404 },
    { lt_string("http_429"), LT_HTTP_UPSTREAM_FT_HTTP_429 },
    { lt_string("updating"), LT_HTTP_UPSTREAM_FT_BUSY_LOCK },
    { lt_string("off"), LT_HTTP_UPSTREAM_FT_OFF },
    { lt_null_string, 0 }
};

static const lt_conf_bitmask_t  lt_http_proxy_ignore_headers_masks[] = {
    { lt_string("X-Accel-Redirect"), LT_HTTP_UPSTREAM_IGN_XA_REDIRECT },
    { lt_string("X-Accel-Expires"), LT_HTTP_UPSTREAM_IGN_XA_EXPIRES },
    { lt_string("X-Accel-Limit-Rate"), LT_HTTP_UPSTREAM_IGN_XA_LIMIT_RATE },
    { lt_string("X-Accel-Buffering"), LT_HTTP_UPSTREAM_IGN_XA_BUFFERING },
    { lt_string("X-Accel-Charset"), LT_HTTP_UPSTREAM_IGN_XA_CHARSET },
    { lt_string("Expires"), LT_HTTP_UPSTREAM_IGN_EXPIRES },
    { lt_string("Cache-Control"), LT_HTTP_UPSTREAM_IGN_CACHE_CONTROL },
    { lt_string("Set-Cookie"), LT_HTTP_UPSTREAM_IGN_SET_COOKIE },
    { lt_string("Vary"), LT_HTTP_UPSTREAM_IGN_VARY },
    { lt_null_string, 0 }
};

static const lt_conf_num_bounds_t  lt_http_proxy_tries_bounds = { 0, INT_MAX };

#define LT_HTTP_PROXY_LOC     (LT_CTX_HTTP | LT_CTX_SERVER | LT_CTX_LOCATION)
#define LT_HTTP_PROXY_LOCIF   (LT_HTTP_PROXY_LOC | LT_CTX_LIF)
#define LT_HTTP_PROXY_PASS    (LT_CTX_LOCATION | LT_CTX_LIF | LT_CTX_LIMIT_EXCEPT)

/* Lists (proxy_set_header, proxy_hide_header, proxy_pass_header): a level that
 * sets any replaces the whole list of the level above, as nginx does. */
static lt_command_t  lt_http_proxy_commands[] = {

    { "proxy_pass", LT_HTTP_PROXY_PASS, 1, 1, lt_http_proxy_pass, LT_LOC_CONF, 0, NULL },

    { "proxy_set_header", LT_HTTP_PROXY_LOC, 2, 2, lt_http_proxy_set_header, LT_LOC_CONF,
      offsetof(lt_http_proxy_loc_conf_t, headers_source), NULL },

    { "proxy_headers_hash_max_size", LT_HTTP_PROXY_LOC, 1, 1, lt_http_proxy_store_headers_hash,
      LT_LOC_CONF, offsetof(lt_http_proxy_loc_conf_t, headers_hash_max_size), NULL },

    { "proxy_headers_hash_bucket_size", LT_HTTP_PROXY_LOC, 1, 1,
      lt_http_proxy_store_headers_hash, LT_LOC_CONF,
      offsetof(lt_http_proxy_loc_conf_t, headers_hash_bucket_size), NULL },

    { "proxy_set_body", LT_HTTP_PROXY_LOC, 1, 1, lt_http_set_complex_value_slot, LT_LOC_CONF,
      offsetof(lt_http_proxy_loc_conf_t, body_source), NULL },

    { "proxy_method", LT_HTTP_PROXY_LOC, 1, 1, lt_http_set_complex_value_slot, LT_LOC_CONF,
      offsetof(lt_http_proxy_loc_conf_t, method), NULL },

    { "proxy_http_version", LT_HTTP_PROXY_LOC, 1, 1, lt_conf_set_enum_slot, LT_LOC_CONF,
      offsetof(lt_http_proxy_loc_conf_t, http_version), lt_http_proxy_http_version },

    { "proxy_pass_request_headers", LT_HTTP_PROXY_LOC, 1, 1, lt_conf_set_flag_slot,
      LT_LOC_CONF, offsetof(lt_http_proxy_loc_conf_t, upstream.pass_request_headers), NULL },

    { "proxy_pass_request_body", LT_HTTP_PROXY_LOC, 1, 1, lt_conf_set_flag_slot,
      LT_LOC_CONF, offsetof(lt_http_proxy_loc_conf_t, upstream.pass_request_body), NULL },

    { "proxy_pass_trailers", LT_HTTP_PROXY_LOC, 1, 1, lt_conf_set_flag_slot,
      LT_LOC_CONF, offsetof(lt_http_proxy_loc_conf_t, pass_trailers), NULL },

    { "proxy_buffering", LT_HTTP_PROXY_LOC, 1, 1, lt_conf_set_flag_slot, LT_LOC_CONF,
      offsetof(lt_http_proxy_loc_conf_t, upstream.buffering), NULL },

    { "proxy_request_buffering", LT_HTTP_PROXY_LOC, 1, 1, lt_conf_set_flag_slot, LT_LOC_CONF,
      offsetof(lt_http_proxy_loc_conf_t, upstream.request_buffering), NULL },

    { "proxy_ignore_client_abort", LT_HTTP_PROXY_LOC, 1, 1, lt_conf_set_flag_slot,
      LT_LOC_CONF, offsetof(lt_http_proxy_loc_conf_t, upstream.ignore_client_abort), NULL },

    { "proxy_bind", LT_HTTP_PROXY_LOC, 1, 2, lt_http_upstream_bind_set_slot, LT_LOC_CONF,
      offsetof(lt_http_proxy_loc_conf_t, upstream.local), NULL },

    { "proxy_socket_keepalive", LT_HTTP_PROXY_LOC, 1, 1, lt_conf_set_flag_slot, LT_LOC_CONF,
      offsetof(lt_http_proxy_loc_conf_t, upstream.socket_keepalive), NULL },

    { "proxy_connect_timeout", LT_HTTP_PROXY_LOC, 1, 1, lt_conf_set_msec_slot, LT_LOC_CONF,
      offsetof(lt_http_proxy_loc_conf_t, upstream.connect_timeout), NULL },

    { "proxy_send_timeout", LT_HTTP_PROXY_LOC, 1, 1, lt_conf_set_msec_slot, LT_LOC_CONF,
      offsetof(lt_http_proxy_loc_conf_t, upstream.send_timeout), NULL },

    { "proxy_send_lowat", LT_HTTP_PROXY_LOC, 1, 1, lt_conf_set_size_slot, LT_LOC_CONF,
      offsetof(lt_http_proxy_loc_conf_t, upstream.send_lowat), NULL },

    { "proxy_intercept_errors", LT_HTTP_PROXY_LOC, 1, 1, lt_conf_set_flag_slot, LT_LOC_CONF,
      offsetof(lt_http_proxy_loc_conf_t, upstream.intercept_errors), NULL },

    { "proxy_force_ranges", LT_HTTP_PROXY_LOC, 1, 1, lt_conf_set_flag_slot, LT_LOC_CONF,
      offsetof(lt_http_proxy_loc_conf_t, upstream.force_ranges), NULL },

    /* no proxy cache yet: "proxy_cache off" and the cache conditions, which
     * have no effect without a cache (nginx's own behaviour then), are
     * accepted so that common configurations load; a cache zone is refused */
    /* TLS to the upstream (modules/proxy_ssl.c) */
    { "proxy_ssl_session_reuse", LT_HTTP_PROXY_LOC, 1, 1, lt_conf_set_flag_slot, LT_LOC_CONF,
      offsetof(lt_http_proxy_loc_conf_t, ssl.conf.session_reuse), NULL },

    { "proxy_ssl_protocols", LT_HTTP_PROXY_LOC, 1, LT_CONF_MANY, lt_conf_set_bitmask_slot,
      LT_LOC_CONF, offsetof(lt_http_proxy_loc_conf_t, ssl.protocols),
      (void *) lt_http_proxy_ssl_protocols },

    { "proxy_ssl_ciphers", LT_HTTP_PROXY_LOC, 1, 1, lt_conf_set_str_slot, LT_LOC_CONF,
      offsetof(lt_http_proxy_loc_conf_t, ssl.ciphers), NULL },

    { "proxy_ssl_name", LT_HTTP_PROXY_LOC, 1, 1, lt_http_set_complex_value_slot, LT_LOC_CONF,
      offsetof(lt_http_proxy_loc_conf_t, ssl.conf.name), NULL },

    { "proxy_ssl_server_name", LT_HTTP_PROXY_LOC, 1, 1, lt_conf_set_flag_slot, LT_LOC_CONF,
      offsetof(lt_http_proxy_loc_conf_t, ssl.conf.server_name), NULL },

    { "proxy_ssl_verify", LT_HTTP_PROXY_LOC, 1, 1, lt_conf_set_flag_slot, LT_LOC_CONF,
      offsetof(lt_http_proxy_loc_conf_t, ssl.conf.verify), NULL },

    { "proxy_ssl_verify_depth", LT_HTTP_PROXY_LOC, 1, 1, lt_conf_set_int_slot, LT_LOC_CONF,
      offsetof(lt_http_proxy_loc_conf_t, ssl.verify_depth), NULL },

    { "proxy_ssl_trusted_certificate", LT_HTTP_PROXY_LOC, 1, 1, lt_conf_set_str_slot,
      LT_LOC_CONF, offsetof(lt_http_proxy_loc_conf_t, ssl.trusted_certificate), NULL },

    { "proxy_ssl_crl", LT_HTTP_PROXY_LOC, 1, 1, lt_conf_set_str_slot, LT_LOC_CONF,
      offsetof(lt_http_proxy_loc_conf_t, ssl.crl), NULL },

    { "proxy_ssl_certificate", LT_HTTP_PROXY_LOC, 1, 1, lt_conf_set_str_slot, LT_LOC_CONF,
      offsetof(lt_http_proxy_loc_conf_t, ssl.certificate), NULL },

    { "proxy_ssl_certificate_key", LT_HTTP_PROXY_LOC, 1, 1, lt_conf_set_str_slot,
      LT_LOC_CONF, offsetof(lt_http_proxy_loc_conf_t, ssl.certificate_key), NULL },

    { "proxy_ssl_certificate_cache", LT_HTTP_PROXY_LOC, 1, 3,
      lt_http_proxy_ssl_certificate_cache, LT_LOC_CONF, 0, NULL },

    { "proxy_ssl_password_file", LT_HTTP_PROXY_LOC, 1, 1, lt_http_proxy_ssl_password_file,
      LT_LOC_CONF, 0, NULL },

    /* repeated: the commands add up; a level with it replaces the parent's */
    { "proxy_ssl_conf_command", LT_HTTP_PROXY_LOC, 2, 2, lt_conf_set_keyval_slot,
      LT_LOC_CONF, offsetof(lt_http_proxy_loc_conf_t, ssl.conf_commands), NULL },

    { "proxy_cache", LT_HTTP_PROXY_LOC, 1, 1, lt_http_proxy_cache, LT_LOC_CONF, 0, NULL },

    { "proxy_cache_bypass", LT_HTTP_PROXY_LOC, 1, LT_CONF_MANY, lt_http_proxy_cache_condition,
      LT_LOC_CONF, 0, NULL },

    { "proxy_no_cache", LT_HTTP_PROXY_LOC, 1, LT_CONF_MANY, lt_http_proxy_cache_condition,
      LT_LOC_CONF, 0, NULL },

    { "proxy_buffer_size", LT_HTTP_PROXY_LOC, 1, 1, lt_conf_set_size_slot, LT_LOC_CONF,
      offsetof(lt_http_proxy_loc_conf_t, upstream.buffer_size), NULL },

    { "proxy_read_timeout", LT_HTTP_PROXY_LOC, 1, 1, lt_conf_set_msec_slot, LT_LOC_CONF,
      offsetof(lt_http_proxy_loc_conf_t, upstream.read_timeout), NULL },

    { "proxy_buffers", LT_HTTP_PROXY_LOC, 2, 2, lt_conf_set_bufs_slot, LT_LOC_CONF,
      offsetof(lt_http_proxy_loc_conf_t, upstream.bufs), NULL },

    { "proxy_busy_buffers_size", LT_HTTP_PROXY_LOC, 1, 1, lt_conf_set_size_slot, LT_LOC_CONF,
      offsetof(lt_http_proxy_loc_conf_t, upstream.busy_buffers_size_conf), NULL },

    { "proxy_limit_rate", LT_HTTP_PROXY_LOC, 1, 1, lt_conf_set_size_slot, LT_LOC_CONF,
      offsetof(lt_http_proxy_loc_conf_t, upstream.limit_rate), NULL },

    { "proxy_temp_path", LT_HTTP_PROXY_LOC, 1, 4, lt_conf_set_temp_path_slot, LT_LOC_CONF,
      offsetof(lt_http_proxy_loc_conf_t, upstream.temp_path), NULL },

    { "proxy_max_temp_file_size", LT_HTTP_PROXY_LOC, 1, 1, lt_conf_set_size_slot, LT_LOC_CONF,
      offsetof(lt_http_proxy_loc_conf_t, upstream.max_temp_file_size_conf), NULL },

    { "proxy_temp_file_write_size", LT_HTTP_PROXY_LOC, 1, 1, lt_conf_set_size_slot,
      LT_LOC_CONF, offsetof(lt_http_proxy_loc_conf_t, upstream.temp_file_write_size_conf),
      NULL },

    { "proxy_next_upstream", LT_HTTP_PROXY_LOC, 1, LT_CONF_MANY, lt_conf_set_bitmask_slot,
      LT_LOC_CONF, offsetof(lt_http_proxy_loc_conf_t, upstream.next_upstream),
      lt_http_proxy_next_upstream_masks },

    { "proxy_next_upstream_tries", LT_HTTP_PROXY_LOC, 1, 1, lt_conf_set_int_slot,
      LT_LOC_CONF, offsetof(lt_http_proxy_loc_conf_t, upstream.next_upstream_tries),
      &lt_http_proxy_tries_bounds },

    { "proxy_next_upstream_timeout", LT_HTTP_PROXY_LOC, 1, 1, lt_conf_set_msec_slot,
      LT_LOC_CONF, offsetof(lt_http_proxy_loc_conf_t, upstream.next_upstream_timeout), NULL },

    { "proxy_pass_header", LT_HTTP_PROXY_LOC, 1, 1, lt_conf_set_str_array_slot, LT_LOC_CONF,
      offsetof(lt_http_proxy_loc_conf_t, upstream.pass_headers), NULL },

    { "proxy_hide_header", LT_HTTP_PROXY_LOC, 1, 1, lt_conf_set_str_array_slot, LT_LOC_CONF,
      offsetof(lt_http_proxy_loc_conf_t, upstream.hide_headers), NULL },

    { "proxy_ignore_headers", LT_HTTP_PROXY_LOC, 1, LT_CONF_MANY, lt_conf_set_bitmask_slot,
      LT_LOC_CONF, offsetof(lt_http_proxy_loc_conf_t, upstream.ignore_headers),
      lt_http_proxy_ignore_headers_masks },

    { "proxy_redirect", LT_HTTP_PROXY_LOC, 1, 2, lt_http_proxy_redirect_slot, LT_LOC_CONF,
      offsetof(lt_http_proxy_loc_conf_t, rewrite), NULL },

    { "proxy_cookie_domain", LT_HTTP_PROXY_LOC, 1, 2, lt_http_proxy_cookie_domain_slot,
      LT_LOC_CONF, offsetof(lt_http_proxy_loc_conf_t, rewrite), NULL },

    { "proxy_cookie_path", LT_HTTP_PROXY_LOC, 1, 2, lt_http_proxy_cookie_path_slot,
      LT_LOC_CONF, offsetof(lt_http_proxy_loc_conf_t, rewrite), NULL },

    { "proxy_cookie_flags", LT_HTTP_PROXY_LOC, 1, 4,
      lt_http_proxy_cookie_flags_slot, LT_LOC_CONF,
      offsetof(lt_http_proxy_loc_conf_t, rewrite), NULL },

    lt_null_command
};

lt_module_t  lt_http_proxy_module = {
    .name = "http_proxy",
    .type = LT_HTTP_MODULE,
    .commands = lt_http_proxy_commands,
    .preconfiguration = lt_http_proxy_add_variables,
    .create_loc_conf = lt_http_proxy_create_loc_conf,
    .merge_loc_conf = lt_http_proxy_merge_loc_conf,
};


/* the headers nginx sets by default (a proxy_set_header of the same name wins) */
static const struct {
    lt_str_t   key;
    lt_str_t   value;
    unsigned   type;
} lt_http_proxy_default_headers[] = {
    { lt_string("Host"), lt_string("$proxy_host"), LT_HTTP_PROXY_HDR_HOST },
    { lt_string("Connection"), lt_string("close"), LT_HTTP_PROXY_HDR_VALUE },
    { lt_string("Content-Length"), lt_string("$proxy_internal_body_length"),
      LT_HTTP_PROXY_HDR_BODY_LENGTH },
    { lt_string("Transfer-Encoding"), lt_string("$proxy_internal_chunked"),
      LT_HTTP_PROXY_HDR_CHUNKED },
    { lt_string("TE"), lt_string(""), LT_HTTP_PROXY_HDR_VALUE },
    { lt_string("Keep-Alive"), lt_string(""), LT_HTTP_PROXY_HDR_VALUE },
    { lt_string("Expect"), lt_string(""), LT_HTTP_PROXY_HDR_VALUE },
    { lt_string("Upgrade"), lt_string(""), LT_HTTP_PROXY_HDR_VALUE },
    { lt_null_string, lt_null_string, 0 }
};

/* response headers not passed to the client unless proxy_pass_header says so */
static const lt_str_t  lt_http_proxy_hide_headers[] = {
    lt_string("Date"),
    lt_string("Server"),
    lt_string("X-Pad"),
    lt_string("X-Accel-Expires"),
    lt_string("X-Accel-Redirect"),
    lt_string("X-Accel-Limit-Rate"),
    lt_string("X-Accel-Buffering"),
    lt_string("X-Accel-Charset"),
    lt_null_string
};


/* the request */

static int
lt_http_proxy_handler(lt_http_request_t *r)
{
    int                        rc;
    lt_http_upstream_t        *u;
    lt_http_proxy_ctx_t       *ctx;
    lt_http_proxy_loc_conf_t  *plcf;

    if (lt_http_upstream_create(r) != LT_OK) {
        return LT_HTTP_INTERNAL_SERVER_ERROR;
    }

    ctx = lt_pcalloc(r->pool, sizeof(lt_http_proxy_ctx_t));
    if (ctx == NULL) {
        return LT_HTTP_INTERNAL_SERVER_ERROR;
    }

    lt_http_set_ctx(r, ctx, lt_http_proxy_module);

    plcf = lt_http_get_module_loc_conf(r, lt_http_proxy_module);

    u = r->upstream;

    if (plcf->proxy_cv == NULL) {
        ctx->vars = plcf->vars;
        u->schema = plcf->vars.schema;
        u->ssl = plcf->ssl.https;

    } else if (lt_http_proxy_eval(r, ctx, plcf) != LT_OK) {
        return LT_HTTP_INTERNAL_SERVER_ERROR;
    }

    u->output_tag = (lt_buf_tag_t) &lt_http_proxy_module;

    u->conf = &plcf->upstream;

    u->create_request = lt_http_proxy_create_request;
    u->reinit_request = lt_http_proxy_reinit_request;
    u->process_header = lt_http_proxy_process_status_line;
    u->abort_request = lt_http_proxy_abort_request;
    u->finalize_request = lt_http_proxy_finalize_request;

    if (lt_http_proxy_rewrite_active(&plcf->rewrite, 0)) {
        u->rewrite_redirect = lt_http_proxy_rewrite_redirect;
    }

    if (lt_http_proxy_rewrite_active(&plcf->rewrite, 1)) {
        u->rewrite_cookie = lt_http_proxy_rewrite_cookie;
    }

    u->buffering = plcf->upstream.buffering ? 1 : 0;

    u->input_filter_init = lt_http_proxy_input_filter_init;
    u->input_filter = lt_http_proxy_non_buffered_copy_filter;
    u->input_filter_ctx = r;

    u->accel = 1;

    if (!plcf->upstream.request_buffering && plcf->body_source == NULL
        && plcf->upstream.pass_request_body
        && (r->headers_in.content_length_n > 0 || r->headers_in.chunked)
        && (!r->headers_in.chunked || plcf->http_version == LT_HTTP_VERSION_11))
    {
        r->request_body_no_buffering = 1;
        u->body_streaming = 1;
        u->chunked_body = r->headers_in.chunked;
        u->chunk_first = 1;
    }

    rc = lt_http_read_client_request_body(r, lt_http_upstream_init);

    if (rc >= LT_HTTP_SPECIAL_RESPONSE) {
        return rc;
    }

    return LT_DONE;
}


/* lt_http_proxy_set_vars: $proxy_host, $proxy_port and the URI part of a parsed
 * proxy_pass URL (after "http://") */
static void
lt_http_proxy_set_vars(lt_url_t *u, lt_http_proxy_vars_t *v)
{
    u_char  *auth_end;

    auth_end = u->uri.len ? u->uri.data : u->url.data + u->url.len;

    if (u->family == AF_UNIX) {
        lt_str_set(&v->host_header, "localhost");
        v->port.len = 0;
        v->port.data = NULL;
        v->key_start.len += u->host.len + 1;

    } else {
        v->host_header.data = u->url.data;
        v->host_header.len = auth_end - u->url.data;

        if (u->no_port || u->port == u->default_port) {
            if (!u->no_port) {
                /* "host:80": the Host header has no port */
                v->host_header.len -= u->port_text.len + 1;
            }

            if (u->default_port == 443) {
                lt_str_set(&v->port, "443");

            } else {
                lt_str_set(&v->port, "80");
            }

        } else {
            v->port = u->port_text;
        }

        v->key_start.len += v->host_header.len;
    }

    v->uri = u->uri;
}


/* lt_http_proxy_parse_url: lt_parse_url, with a query string right after the
 * authority ("http://host:port?a=b") taken as the start of the URI part */
static int
lt_http_proxy_parse_url(lt_pool_t *pool, lt_url_t *u)
{
    u_char    *q, *slash, *last;
    lt_str_t   query;

    last = u->url.data + u->url.len;
    query.len = 0;
    query.data = NULL;

    if (u->url.len < 5 || lt_strncasecmp(u->url.data, (u_char *) "unix:", 5) != 0) {
        q = lt_strlchr(u->url.data, last, '?');
        slash = lt_strlchr(u->url.data, last, '/');

        if (q && (slash == NULL || q < slash)) {
            query.data = q;
            query.len = last - q;
            u->url.len = q - u->url.data;
        }
    }

    if (lt_parse_url(pool, u) != LT_OK) {
        return LT_ERROR;
    }

    if (query.len) {
        u->url.len += query.len;
        u->uri = query;
    }

    return LT_OK;
}


/* lt_http_proxy_eval: "proxy_pass http://$host$uri": the URL of this request */
static int
lt_http_proxy_eval(lt_http_request_t *r, lt_http_proxy_ctx_t *ctx,
    lt_http_proxy_loc_conf_t *plcf)
{
    u_char              *p;
    size_t               add;
    in_port_t            port;
    lt_str_t             proxy;
    lt_url_t             url;
    lt_http_upstream_t  *u;

    if (lt_http_complex_value(r, plcf->proxy_cv, &proxy) != LT_OK) {
        return LT_ERROR;
    }

    port = 80;

    if (proxy.len > 7 && lt_strncasecmp(proxy.data, (u_char *) "http://", 7) == 0) {
        add = 7;

    } else if (proxy.len > 8 && lt_strncasecmp(proxy.data, (u_char *) "https://", 8) == 0) {
        add = 8;
        port = 443;
        r->upstream->ssl = 1;

    } else {
        lt_log_error(LT_LOG_ERR, r->connection->log, 0, "invalid URL prefix in \"%.*s\"",
                     (int) proxy.len, proxy.data);
        return LT_ERROR;
    }

    u = r->upstream;

    u->schema.len = add;
    u->schema.data = proxy.data;

    lt_memzero(&url, sizeof(lt_url_t));

    url.url.len = proxy.len - add;
    url.url.data = proxy.data + add;
    url.default_port = port;
    url.uri_part = 1;
    url.no_resolve = 1;

    if (lt_http_proxy_parse_url(r->pool, &url) != LT_OK) {
        if (url.err) {
            lt_log_error(LT_LOG_ERR, r->connection->log, 0, "%s in upstream \"%.*s\"",
                         url.err, (int) url.url.len, url.url.data);
        }

        return LT_ERROR;
    }

    if (url.uri.len && url.uri.data[0] == '?') {
        /* "http://host?args": the path is "/" */
        p = lt_pnalloc(r->pool, url.uri.len + 1);
        if (p == NULL) {
            return LT_ERROR;
        }

        *p = '/';
        memcpy(p + 1, url.uri.data, url.uri.len);

        url.uri.len++;
        url.uri.data = p;
    }

    ctx->vars.key_start = u->schema;

    lt_http_proxy_set_vars(&url, &ctx->vars);

    u->resolved = lt_pcalloc(r->pool, sizeof(lt_http_upstream_resolved_t));
    if (u->resolved == NULL) {
        return LT_ERROR;
    }

    if (url.family == AF_UNIX || (url.addrs && url.naddrs)) {
        u->resolved->sockaddr = url.addrs[0].sockaddr;
        u->resolved->socklen = url.addrs[0].socklen;
        u->resolved->name = url.addrs[0].name;
        u->resolved->naddrs = 1;
    }

    u->resolved->host = url.host;
    u->resolved->port = url.no_port ? 80 : url.port;
    u->resolved->no_port = url.no_port;

    return LT_OK;
}


/* lt_http_proxy_header_value: the value of a header line for this request */
static int
lt_http_proxy_header_value(lt_http_request_t *r, lt_http_proxy_ctx_t *ctx,
    lt_http_proxy_header_t *h, lt_str_t *value, u_char *digits)
{
    switch (h->type) {

    case LT_HTTP_PROXY_HDR_HOST:
        *value = ctx->vars.host_header;
        return LT_OK;

    case LT_HTTP_PROXY_HDR_BODY_LENGTH:
        if (ctx->internal_body_length < 0) {
            value->len = 0;
            return LT_OK;
        }

        value->data = digits;
        value->len = lt_sprint_uint(digits, (uint64_t) ctx->internal_body_length) - digits;
        return LT_OK;

    case LT_HTTP_PROXY_HDR_CHUNKED:
        if (ctx->internal_chunked) {
            lt_str_set(value, "chunked");

        } else {
            value->len = 0;
        }

        return LT_OK;

    default:
        if (h->value.parts == NULL) {
            *value = h->value.value;
            return LT_OK;
        }

        return lt_http_complex_value(r, &h->value, value);
    }
}


#define LT_HTTP_PROXY_STACK_HEADERS  32

static int
lt_http_proxy_create_request(lt_http_request_t *r)
{
    size_t                     i, len, uri_len, loc_len, escape, body_len;
    u_char                    *p;
    u_char                     digits[LT_INT64_LEN];
    unsigned                   unparsed_uri;
    lt_buf_t                  *b;
    lt_str_t                   method, body, *values;
    lt_str_t                   stack_values[LT_HTTP_PROXY_STACK_HEADERS];
    lt_chain_t                *cl, *body_cl, **ll;
    lt_list_iter_t             it;
    lt_table_elt_t            *h;
    lt_http_upstream_t        *u;
    lt_http_proxy_ctx_t       *ctx;
    lt_http_proxy_header_t    *ph;
    lt_http_proxy_headers_t   *headers;
    lt_http_proxy_loc_conf_t  *plcf;

    u = r->upstream;
    plcf = lt_http_get_module_loc_conf(r, lt_http_proxy_module);
    ctx = lt_http_get_module_ctx(r, lt_http_proxy_module);
    headers = &plcf->headers;

    if (plcf->method) {
        if (lt_http_complex_value(r, plcf->method, &method) != LT_OK) {
            return LT_ERROR;
        }

    } else {
        method = r->method_name;
    }

    ctx->head = (method.len == 4 && lt_strncasecmp(method.data, (u_char *) "HEAD", 4) == 0);

    /* the URI */

    escape = 0;
    loc_len = 0;
    unparsed_uri = 0;

    if (plcf->proxy_cv && ctx->vars.uri.len) {
        uri_len = ctx->vars.uri.len;

    } else if (ctx->vars.uri.len == 0 && r->valid_unparsed_uri) {
        unparsed_uri = 1;
        uri_len = r->unparsed_uri.len;

    } else {
        loc_len = (r->valid_location && ctx->vars.uri.len)
                  ? lt_min(plcf->location.len, r->uri.len) : 0;

        if (r->quoted_uri || r->internal) {
            escape = lt_escape_uri_len(r->uri.data + loc_len, r->uri.len - loc_len,
                                       LT_ESCAPE_URI) - (r->uri.len - loc_len);
        }

        uri_len = (r->valid_location ? ctx->vars.uri.len : 0) + r->uri.len - loc_len + escape
                  + 1 + r->args.len;
    }

    if (uri_len == 0) {
        lt_log_error(LT_LOG_ERR, r->connection->log, 0, "zero length URI to proxy");
        return LT_ERROR;
    }

    /* the body */

    body.len = 0;
    body.data = NULL;
    body_len = 0;

    if (plcf->body_source) {
        /* while the body is made, $proxy_internal_body_length is the client's */
        ctx->internal_body_length = r->headers_in.content_length_n;

        if (lt_http_complex_value(r, plcf->body_source, &body) != LT_OK) {
            return LT_ERROR;
        }

        ctx->internal_body_length = (off_t) body.len;
        body_len = body.len;

    } else if (r->headers_in.chunked && r->reading_body) {
        ctx->internal_body_length = -1;
        ctx->internal_chunked = 1;

    } else {
        ctx->internal_body_length = r->headers_in.content_length_n;
    }

    /* the header lines: values first, to size the buffer */

    len = method.len + 1 + uri_len + sizeof(" HTTP/1.x" CRLF) - 1 + 2;

    values = stack_values;

    ctx->request_keepalive = (plcf->http_version == LT_HTTP_VERSION_11);

    if (headers->nelts > LT_HTTP_PROXY_STACK_HEADERS) {
        values = lt_palloc(r->pool, headers->nelts * sizeof(lt_str_t));
        if (values == NULL) {
            return LT_ERROR;
        }
    }

    for (i = 0; i < headers->nelts; i++) {
        ph = &headers->elts[i];

        if (lt_http_proxy_header_value(r, ctx, ph, &values[i], digits) != LT_OK) {
            return LT_ERROR;
        }

        if (values[i].len) {
            /* (a length's digits stay in the stack buffer: the request is
             * written before this function returns) */
            len += ph->key.len + 2 + values[i].len + 2;

            if (ph->key.len == sizeof("Connection") - 1
                && lt_strncasecmp(ph->key.data, (u_char *) "Connection", ph->key.len) == 0
                && lt_strlcasestrn(values[i].data, values[i].data + values[i].len,
                                   (u_char *) "close", sizeof("close") - 1))
            {
                ctx->request_keepalive = 0;
            }
        }
    }

    if (plcf->upstream.pass_request_headers) {
        lt_list_iter_init(&it, &r->headers_in.headers);

        while ((h = lt_list_iter_next(&it)) != NULL) {
            if (h->hash == 0
                || lt_hash_find(&headers->hash, h->hash, h->lowcase_key, h->key.len))
            {
                continue;
            }

            len += h->key.len + 2 + h->value.len + 2;
        }
    }

    b = lt_create_temp_buf(r->pool, len);
    cl = lt_alloc_chain_link(r->pool);

    if (b == NULL || cl == NULL) {
        return LT_ERROR;
    }

    cl->buf = b;
    cl->next = NULL;

    /* the request line */

    p = lt_cpymem(b->last, method.data, method.len);
    *p++ = ' ';

    u->uri.data = p;

    if (plcf->proxy_cv && ctx->vars.uri.len) {
        p = lt_cpymem(p, ctx->vars.uri.data, ctx->vars.uri.len);

    } else if (unparsed_uri) {
        p = lt_cpymem(p, r->unparsed_uri.data, r->unparsed_uri.len);

    } else {
        if (r->valid_location && ctx->vars.uri.len) {
            p = lt_cpymem(p, ctx->vars.uri.data, ctx->vars.uri.len);
        }

        if (escape) {
            p = lt_escape_uri(p, r->uri.data + loc_len, r->uri.len - loc_len, LT_ESCAPE_URI);

        } else {
            p = lt_cpymem(p, r->uri.data + loc_len, r->uri.len - loc_len);
        }

        if (r->args.len) {
            *p++ = '?';
            p = lt_cpymem(p, r->args.data, r->args.len);
        }
    }

    u->uri.len = p - u->uri.data;

    if (plcf->http_version == LT_HTTP_VERSION_11) {
        p = lt_cpymem(p, " HTTP/1.1" CRLF, sizeof(" HTTP/1.1" CRLF) - 1);

    } else {
        p = lt_cpymem(p, " HTTP/1.0" CRLF, sizeof(" HTTP/1.0" CRLF) - 1);
    }

    for (i = 0; i < headers->nelts; i++) {
        if (values[i].len == 0) {
            continue;
        }

        ph = &headers->elts[i];

        p = lt_cpymem(p, ph->key.data, ph->key.len);
        *p++ = ':'; *p++ = ' ';
        p = lt_cpymem(p, values[i].data, values[i].len);
        *p++ = CR; *p++ = LF;
    }

    if (plcf->upstream.pass_request_headers) {
        lt_list_iter_init(&it, &r->headers_in.headers);

        while ((h = lt_list_iter_next(&it)) != NULL) {
            if (h->hash == 0
                || lt_hash_find(&headers->hash, h->hash, h->lowcase_key, h->key.len))
            {
                continue;
            }

            p = lt_cpymem(p, h->key.data, h->key.len);
            *p++ = ':'; *p++ = ' ';
            p = lt_cpymem(p, h->value.data, h->value.len);
            *p++ = CR; *p++ = LF;
        }
    }

    *p++ = CR; *p++ = LF;

    b->last = p;

    ll = &cl->next;

    if (body_len) {
        /* proxy_set_body: its own buffer, pointing at the evaluated value */
        b = lt_calloc_buf(r->pool);
        body_cl = lt_alloc_chain_link(r->pool);

        if (b == NULL || body_cl == NULL) {
            return LT_ERROR;
        }

        b->pos = body.data;
        b->last = body.data + body.len;
        b->start = b->pos;
        b->end = b->last;
        b->memory = 1;

        body_cl->buf = b;
        body_cl->next = NULL;
        *ll = body_cl;

    } else if (plcf->body_source == NULL && plcf->upstream.pass_request_body
               && !u->body_streaming && r->request_body)
    {
        /* the body buffers as they are: the core sends copies of their
         * descriptions, so a retry starts again from the same ones */
        *ll = r->request_body->bufs;
    }

    b = cl->buf;
    b->flush = 1;

    u->request_bufs = cl;

    return LT_OK;
}


static int
lt_http_proxy_reinit_request(lt_http_request_t *r)
{
    lt_http_proxy_ctx_t  *ctx;

    ctx = lt_http_get_module_ctx(r, lt_http_proxy_module);

    if (ctx == NULL) {
        return LT_OK;
    }

    /* the next upstream: its response from the start */
    lt_http_proxy_response_reinit(r, ctx);

    return LT_OK;
}


static void
lt_http_proxy_abort_request(lt_http_request_t *r)
{
}


static void
lt_http_proxy_finalize_request(lt_http_request_t *r, int rc)
{
}


/* variables */

static int
lt_http_proxy_host_variable(lt_http_request_t *r, lt_http_variable_value_t *v, uintptr_t data)
{
    lt_str_t             *s;
    lt_http_proxy_ctx_t  *ctx;

    ctx = lt_http_get_module_ctx(r, lt_http_proxy_module);

    if (ctx == NULL) {
        v->not_found = 1;
        return LT_OK;
    }

    s = (lt_str_t *) ((char *) &ctx->vars + data);

    v->len = s->len;
    v->data = s->data;
    v->valid = 1;
    v->no_cacheable = 0;
    v->not_found = 0;

    return LT_OK;
}


static int
lt_http_proxy_add_x_forwarded_for_variable(lt_http_request_t *r,
    lt_http_variable_value_t *v, uintptr_t data)
{
    size_t           len;
    u_char          *p;
    lt_table_elt_t  *h, *xfwd;

    v->valid = 1;
    v->no_cacheable = 0;
    v->not_found = 0;

    xfwd = r->headers_in.x_forwarded_for;

    len = 0;

    for (h = xfwd; h; h = h->next) {
        len += h->value.len + sizeof(", ") - 1;
    }

    if (len == 0) {
        v->len = r->connection->addr_text.len;
        v->data = r->connection->addr_text.data;
        return LT_OK;
    }

    len += r->connection->addr_text.len;

    p = lt_pnalloc(r->pool, len);
    if (p == NULL) {
        return LT_ERROR;
    }

    v->len = len;
    v->data = p;

    for (h = xfwd; h; h = h->next) {
        p = lt_cpymem(p, h->value.data, h->value.len);
        *p++ = ','; *p++ = ' ';
    }

    memcpy(p, r->connection->addr_text.data, r->connection->addr_text.len);

    return LT_OK;
}


static int
lt_http_proxy_internal_body_length_variable(lt_http_request_t *r,
    lt_http_variable_value_t *v, uintptr_t data)
{
    u_char               *p;
    lt_http_proxy_ctx_t  *ctx;

    ctx = lt_http_get_module_ctx(r, lt_http_proxy_module);

    if (ctx == NULL || ctx->internal_body_length < 0) {
        v->not_found = 1;
        return LT_OK;
    }

    p = lt_pnalloc(r->pool, LT_INT64_LEN);
    if (p == NULL) {
        return LT_ERROR;
    }

    v->data = p;
    v->len = lt_sprint_uint(p, (uint64_t) ctx->internal_body_length) - p;
    v->valid = 1;
    v->no_cacheable = 0;
    v->not_found = 0;

    return LT_OK;
}


static int
lt_http_proxy_internal_chunked_variable(lt_http_request_t *r,
    lt_http_variable_value_t *v, uintptr_t data)
{
    lt_http_proxy_ctx_t  *ctx;

    ctx = lt_http_get_module_ctx(r, lt_http_proxy_module);

    if (ctx == NULL || !ctx->internal_chunked) {
        v->not_found = 1;
        return LT_OK;
    }

    v->data = (u_char *) "chunked";
    v->len = sizeof("chunked") - 1;
    v->valid = 1;
    v->no_cacheable = 0;
    v->not_found = 0;

    return LT_OK;
}


static lt_http_variable_t  lt_http_proxy_vars[] = {
    { lt_string("proxy_host"), NULL, lt_http_proxy_host_variable,
      offsetof(lt_http_proxy_vars_t, host_header), LT_HTTP_VAR_NOCACHEABLE | LT_HTTP_VAR_NOHASH,
      0 },
    { lt_string("proxy_port"), NULL, lt_http_proxy_host_variable,
      offsetof(lt_http_proxy_vars_t, port), LT_HTTP_VAR_NOCACHEABLE | LT_HTTP_VAR_NOHASH, 0 },
    { lt_string("proxy_add_x_forwarded_for"), NULL,
      lt_http_proxy_add_x_forwarded_for_variable, 0,
      LT_HTTP_VAR_NOHASH, 0 },
    { lt_string("proxy_internal_body_length"), NULL,
      lt_http_proxy_internal_body_length_variable, 0,
      LT_HTTP_VAR_NOCACHEABLE | LT_HTTP_VAR_NOHASH, 0 },
    { lt_string("proxy_internal_chunked"), NULL, lt_http_proxy_internal_chunked_variable, 0,
      LT_HTTP_VAR_NOCACHEABLE | LT_HTTP_VAR_NOHASH, 0 },
    lt_http_null_variable
};


static int
lt_http_proxy_add_variables(lt_conf_t *cf)
{
    lt_http_variable_t  *var, *v;

    for (v = lt_http_proxy_vars; v->name.len; v++) {
        var = lt_http_add_variable(cf, &v->name, v->flags);
        if (var == NULL) {
            return LT_ERROR;
        }

        var->get_handler = v->get_handler;
        var->data = v->data;
    }

    return LT_OK;
}


/* configuration */

static void *
lt_http_proxy_create_loc_conf(lt_conf_t *cf)
{
    lt_http_proxy_loc_conf_t  *conf;

    conf = lt_pcalloc(cf->pool, sizeof(lt_http_proxy_loc_conf_t));
    if (conf == NULL) {
        return NULL;
    }

    /* zeroed: upstream.upstream, bufs, ignore_headers, next_upstream, headers,
     * proxy_cv, body_source, url, location, vars */

    conf->upstream.connect_timeout = LT_CONF_UNSET_MSEC;
    conf->upstream.send_timeout = LT_CONF_UNSET_MSEC;
    conf->upstream.read_timeout = LT_CONF_UNSET_MSEC;
    conf->upstream.next_upstream_timeout = LT_CONF_UNSET_MSEC;
    conf->upstream.next_upstream_tries = LT_CONF_UNSET_UINT;

    conf->upstream.send_lowat = LT_CONF_UNSET_SIZE;
    conf->upstream.buffer_size = LT_CONF_UNSET_SIZE;
    conf->upstream.limit_rate = LT_CONF_UNSET_SIZE;

    conf->upstream.busy_buffers_size_conf = LT_CONF_UNSET_SIZE;
    conf->upstream.max_temp_file_size_conf = LT_CONF_UNSET_SIZE;
    conf->upstream.temp_file_write_size_conf = LT_CONF_UNSET_SIZE;

    conf->upstream.buffering = LT_CONF_UNSET;
    conf->upstream.request_buffering = LT_CONF_UNSET;
    conf->upstream.pass_request_headers = LT_CONF_UNSET;
    conf->upstream.pass_request_body = LT_CONF_UNSET;
    conf->upstream.ignore_client_abort = LT_CONF_UNSET;
    conf->upstream.intercept_errors = LT_CONF_UNSET;
    conf->upstream.force_ranges = LT_CONF_UNSET;
    conf->upstream.socket_keepalive = LT_CONF_UNSET;

    conf->upstream.temp_path = LT_CONF_UNSET_PTR;
    conf->upstream.local = LT_CONF_UNSET_PTR;

    conf->upstream.hide_headers = LT_CONF_UNSET_PTR;
    conf->upstream.pass_headers = LT_CONF_UNSET_PTR;

    lt_str_set(&conf->upstream.module, "proxy");

    conf->body_source = LT_CONF_UNSET_PTR;
    conf->method = LT_CONF_UNSET_PTR;
    conf->headers_source = LT_CONF_UNSET_PTR;
    conf->http_version = LT_CONF_UNSET_UINT;
    conf->pass_trailers = LT_CONF_UNSET;

    lt_http_proxy_ssl_create_conf(&conf->ssl);

    conf->headers_hash_max_size = LT_CONF_UNSET_SIZE;
    conf->headers_hash_bucket_size = LT_CONF_UNSET_SIZE;

    lt_http_proxy_rewrite_init_conf(&conf->rewrite);

    return conf;
}


static char *
lt_http_proxy_merge_buffers(lt_conf_t *cf, lt_http_proxy_loc_conf_t *conf,
    lt_http_proxy_loc_conf_t *prev)
{
    size_t                    size;
    lt_http_upstream_conf_t  *uc, *up;

    uc = &conf->upstream;
    up = &prev->upstream;

    lt_conf_merge_size_value(uc->buffer_size, up->buffer_size, lt_pagesize);
    lt_conf_merge_bufs_value(uc->bufs, up->bufs, 8, lt_pagesize);

    if (uc->bufs.num < 2) {
        lt_conf_log_error(LT_LOG_EMERG, cf, 0, "there must be at least 2 \"proxy_buffers\"");
        return LT_CONF_ERROR;
    }

    size = lt_max(uc->buffer_size, uc->bufs.size);

    lt_conf_merge_size_value(uc->busy_buffers_size_conf, up->busy_buffers_size_conf,
                             LT_CONF_UNSET_SIZE);

    uc->busy_buffers_size = uc->busy_buffers_size_conf == LT_CONF_UNSET_SIZE
                            ? 2 * size : uc->busy_buffers_size_conf;

    if (uc->busy_buffers_size < size) {
        lt_conf_log_error(LT_LOG_EMERG, cf, 0,
                          "\"proxy_busy_buffers_size\" must be equal to or greater than "
                          "the maximum of the value of \"proxy_buffer_size\" and "
                          "one of the \"proxy_buffers\"");
        return LT_CONF_ERROR;
    }

    if (uc->busy_buffers_size > (uc->bufs.num - 1) * uc->bufs.size) {
        lt_conf_log_error(LT_LOG_EMERG, cf, 0,
                          "\"proxy_busy_buffers_size\" must be less than "
                          "the size of all \"proxy_buffers\" minus one buffer");
        return LT_CONF_ERROR;
    }

    lt_conf_merge_size_value(uc->temp_file_write_size_conf, up->temp_file_write_size_conf,
                             LT_CONF_UNSET_SIZE);

    uc->temp_file_write_size = uc->temp_file_write_size_conf == LT_CONF_UNSET_SIZE
                               ? 2 * size : uc->temp_file_write_size_conf;

    if (uc->temp_file_write_size < size) {
        lt_conf_log_error(LT_LOG_EMERG, cf, 0,
                          "\"proxy_temp_file_write_size\" must be equal to or greater than "
                          "the maximum of the value of \"proxy_buffer_size\" and "
                          "one of the \"proxy_buffers\"");
        return LT_CONF_ERROR;
    }

    lt_conf_merge_size_value(uc->max_temp_file_size_conf, up->max_temp_file_size_conf,
                             LT_CONF_UNSET_SIZE);

    uc->max_temp_file_size = uc->max_temp_file_size_conf == LT_CONF_UNSET_SIZE
                             ? 1024 * 1024 * 1024 : uc->max_temp_file_size_conf;

    if (uc->max_temp_file_size != 0 && uc->max_temp_file_size < size) {
        lt_conf_log_error(LT_LOG_EMERG, cf, 0,
                          "\"proxy_max_temp_file_size\" must be equal to zero to disable "
                          "temporary files usage or must be equal to or greater than "
                          "the maximum of the value of \"proxy_buffer_size\" and "
                          "one of the \"proxy_buffers\"");
        return LT_CONF_ERROR;
    }

    return LT_CONF_OK;
}


static char *
lt_http_proxy_merge_loc_conf(lt_conf_t *cf, void *parent, void *child)
{
    lt_http_proxy_loc_conf_t  *prev = parent;
    lt_http_proxy_loc_conf_t  *conf = child;

    lt_str_t                  *url;
    lt_http_upstream_conf_t   *uc, *up;
    lt_http_core_loc_conf_t   *clcf;

    uc = &conf->upstream;
    up = &prev->upstream;

    lt_conf_merge_msec_value(uc->connect_timeout, up->connect_timeout, 60000);
    lt_conf_merge_msec_value(uc->send_timeout, up->send_timeout, 60000);
    lt_conf_merge_msec_value(uc->read_timeout, up->read_timeout, 60000);
    lt_conf_merge_msec_value(uc->next_upstream_timeout, up->next_upstream_timeout, 0);
    lt_conf_merge_uint_value(uc->next_upstream_tries, up->next_upstream_tries, 0);

    lt_conf_merge_size_value(uc->send_lowat, up->send_lowat, 0);
    lt_conf_merge_size_value(uc->limit_rate, up->limit_rate, 0);

    lt_conf_merge_value(uc->buffering, up->buffering, 1);
    lt_conf_merge_value(uc->request_buffering, up->request_buffering, 1);
    lt_conf_merge_value(uc->pass_request_headers, up->pass_request_headers, 1);
    lt_conf_merge_value(uc->pass_request_body, up->pass_request_body, 1);
    lt_conf_merge_value(uc->ignore_client_abort, up->ignore_client_abort, 0);
    lt_conf_merge_value(uc->intercept_errors, up->intercept_errors, 0);
    lt_conf_merge_value(uc->force_ranges, up->force_ranges, 0);
    lt_conf_merge_value(uc->socket_keepalive, up->socket_keepalive, 0);
    lt_conf_merge_value(conf->pass_trailers, prev->pass_trailers, 0);

    if (lt_http_proxy_merge_buffers(cf, conf, prev) != LT_CONF_OK) {
        return LT_CONF_ERROR;
    }

    lt_conf_merge_bitmask_value(uc->ignore_headers, up->ignore_headers,
                                LT_HTTP_PROXY_BITMASK_SET);

    lt_conf_merge_bitmask_value(uc->next_upstream, up->next_upstream,
                                LT_HTTP_PROXY_BITMASK_SET | LT_HTTP_UPSTREAM_FT_ERROR
                                | LT_HTTP_UPSTREAM_FT_TIMEOUT);

    if (uc->next_upstream & LT_HTTP_UPSTREAM_FT_OFF) {
        uc->next_upstream = LT_HTTP_PROXY_BITMASK_SET | LT_HTTP_UPSTREAM_FT_OFF;
    }

    if (uc->temp_path == LT_CONF_UNSET_PTR) {
        uc->temp_path = up->temp_path;
    }

    if (uc->temp_path == LT_CONF_UNSET_PTR) {
        lt_path_t  *path;

        path = lt_pcalloc(cf->pool, sizeof(lt_path_t));
        if (path == NULL) {
            return LT_CONF_ERROR;
        }

        lt_str_set(&path->name, LT_HTTP_PROXY_TEMP_PATH);
        path->level[0] = 1;
        path->level[1] = 2;
        path->len = 2 + 3;

        if (lt_conf_full_name(cf->cycle, &path->name, 0) != LT_OK) {
            return LT_CONF_ERROR;
        }

        uc->temp_path = path;

        if (lt_add_path(cf, &uc->temp_path) != LT_OK) {
            return LT_CONF_ERROR;
        }

        up->temp_path = uc->temp_path;
    }

    lt_conf_merge_ptr_value(uc->local, up->local, NULL);

    if (lt_http_upstream_hide_headers_hash(cf, uc, up, lt_http_proxy_hide_headers) != LT_OK) {
        return LT_CONF_ERROR;
    }

    clcf = lt_http_conf_get_module_loc_conf(cf, lt_http_core_module);

    if (clcf->noname && uc->upstream == NULL && conf->proxy_cv == NULL) {
        /* "if" and "limit_except" blocks proxy where their location does */
        uc->upstream = up->upstream;
        conf->location = prev->location;
        conf->vars = prev->vars;
        conf->url = prev->url;
        conf->proxy_cv = prev->proxy_cv;
        conf->ssl.https = prev->ssl.https;
        conf->ssl.needed = prev->ssl.needed;
    }

    if (clcf->lmt_excpt && clcf->handler == NULL && (uc->upstream || conf->proxy_cv)) {
        clcf->handler = lt_http_proxy_handler;
    }

    if (lt_http_proxy_ssl_merge(cf, conf, prev) != LT_CONF_OK) {
        return LT_CONF_ERROR;
    }

    lt_conf_merge_ptr_value(conf->body_source, prev->body_source, NULL);
    lt_conf_merge_ptr_value(conf->method, prev->method, NULL);
    lt_conf_merge_uint_value(conf->http_version, prev->http_version, LT_HTTP_VERSION_10);

    lt_conf_merge_size_value(conf->headers_hash_max_size, prev->headers_hash_max_size, 512);
    lt_conf_merge_size_value(conf->headers_hash_bucket_size, prev->headers_hash_bucket_size,
                             64);

    if (conf->headers_source == LT_CONF_UNSET_PTR) {
        conf->headers_source = prev->headers_source;

        if (prev->headers.ready && conf->body_source == prev->body_source) {
            conf->headers = prev->headers;
        }
    }

    if (!conf->headers.ready && lt_http_proxy_init_headers(cf, conf, &conf->headers) != LT_OK) {
        return LT_CONF_ERROR;
    }

    if (conf->headers_source == prev->headers_source && !prev->headers.ready
        && conf->body_source == prev->body_source)
    {
        /* the next sibling inherits the same compiled list */
        prev->headers = conf->headers;
    }

    url = conf->url.data ? &conf->url : NULL;

    return lt_http_proxy_rewrite_merge(cf, &conf->rewrite, &prev->rewrite, url, &clcf->name,
                                       conf->proxy_cv != NULL,
                                       clcf->regex || clcf->named || clcf->noname);
}


/* lt_http_proxy_init_headers: the header lines to send: proxy_set_header's in
 * order, then the defaults not set; the hash holds every name of both, set or
 * emptied, so that the client's lines of those names are not passed */
static int
lt_http_proxy_init_headers(lt_conf_t *cf, lt_http_proxy_loc_conf_t *conf,
    lt_http_proxy_headers_t *headers)
{
    size_t                            i, j, n, nsrc;
    lt_keyval_t                      *src;
    lt_array_t                        hide;
    lt_hash_key_t                    *hk;
    lt_http_proxy_header_t           *ph;
    lt_http_compile_complex_value_t   ccv;

    src = NULL;
    nsrc = 0;

    if (conf->headers_source && conf->headers_source != LT_CONF_UNSET_PTR) {
        src = conf->headers_source->elts;
        nsrc = conf->headers_source->nelts;
    }

    for (n = 0; lt_http_proxy_default_headers[n].key.len; n++) { /* void */ }

    headers->elts = lt_pcalloc(cf->pool, (nsrc + n) * sizeof(lt_http_proxy_header_t));
    if (headers->elts == NULL) {
        return LT_ERROR;
    }

    if (lt_array_init(&hide, cf->temp_pool, nsrc + n, sizeof(lt_hash_key_t)) != LT_OK) {
        return LT_ERROR;
    }

    headers->nelts = 0;

    for (i = 0; i < nsrc + n; i++) {
        lt_str_t  key, value;
        unsigned  type;

        if (i < nsrc) {
            key = src[i].key;
            value = src[i].value;
            type = LT_HTTP_PROXY_HDR_VALUE;

            if (lt_str_eq(&value, "$proxy_host")) {
                type = LT_HTTP_PROXY_HDR_HOST;
            }

        } else {
            key = lt_http_proxy_default_headers[i - nsrc].key;
            value = lt_http_proxy_default_headers[i - nsrc].value;
            type = lt_http_proxy_default_headers[i - nsrc].type;

            for (j = 0; j < nsrc; j++) {
                if (src[j].key.len == key.len
                    && lt_strncasecmp(src[j].key.data, key.data, key.len) == 0)
                {
                    break;
                }
            }

            if (j < nsrc) {
                continue;
            }

            if (type == LT_HTTP_PROXY_HDR_BODY_LENGTH && conf->body_source == NULL
                && !conf->upstream.pass_request_body)
            {
                /* no body is sent: no length either */
            }
        }

        /* the name goes to the hash once */
        hk = hide.elts;

        for (j = 0; j < hide.nelts; j++) {
            if (hk[j].key.len == key.len
                && lt_strncasecmp(hk[j].key.data, key.data, key.len) == 0)
            {
                break;
            }
        }

        if (j == hide.nelts) {
            hk = lt_array_push(&hide);
            if (hk == NULL) {
                return LT_ERROR;
            }

            hk->key = key;
            hk->key_hash = 0;
            hk->value = (void *) 1;
        }

        if (value.len == 0) {
            continue;
        }

        ph = &headers->elts[headers->nelts++];
        ph->key = key;
        ph->type = type;

        if (type != LT_HTTP_PROXY_HDR_VALUE) {
            continue;
        }

        lt_memzero(&ccv, sizeof(lt_http_compile_complex_value_t));
        ccv.cf = cf;
        ccv.value = &value;
        ccv.complex_value = &ph->value;

        if (lt_http_compile_complex_value(&ccv) != LT_OK) {
            return LT_ERROR;
        }
    }

    if (lt_hash_init(&headers->hash, cf->pool, hide.elts, hide.nelts, LT_HASH_CASELESS, NULL)
        != LT_OK)
    {
        return LT_ERROR;
    }

    headers->ready = 1;

    return LT_OK;
}


/* directives */

static char *
lt_http_proxy_pass(lt_conf_t *cf, lt_command_t *cmd, void *conf)
{
    lt_http_proxy_loc_conf_t  *plcf = conf;

    size_t                            add;
    in_port_t                         port;
    lt_str_t                         *value, *url;
    lt_url_t                          u;
    lt_http_core_loc_conf_t          *clcf;
    lt_http_compile_complex_value_t   ccv;

    if (plcf->upstream.upstream || plcf->proxy_cv) {
        return "is duplicate";
    }

    clcf = lt_http_conf_get_module_loc_conf(cf, lt_http_core_module);

    clcf->handler = lt_http_proxy_handler;

    if (clcf->name.len && clcf->name.data[clcf->name.len - 1] == '/') {
        clcf->auto_redirect = 1;
    }

    value = cf->args->elts;
    url = &value[1];

    if (lt_http_script_variables_count(url)) {
        plcf->proxy_cv = lt_pcalloc(cf->pool, sizeof(lt_http_complex_value_t));
        if (plcf->proxy_cv == NULL) {
            return LT_CONF_ERROR;
        }

        lt_memzero(&ccv, sizeof(lt_http_compile_complex_value_t));
        ccv.cf = cf;
        ccv.value = url;
        ccv.complex_value = plcf->proxy_cv;

        if (lt_http_compile_complex_value(&ccv) != LT_OK) {
            return LT_CONF_ERROR;
        }

        plcf->url = *url;

        /* the URL may turn out https: the context is made for it */
        plcf->ssl.needed = 1;

        return LT_CONF_OK;
    }

    port = 80;

    if (url->len > 7 && lt_strncasecmp(url->data, (u_char *) "http://", 7) == 0) {
        add = 7;

    } else if (url->len > 8 && lt_strncasecmp(url->data, (u_char *) "https://", 8) == 0) {
        add = 8;
        port = 443;
        plcf->ssl.https = 1;
        plcf->ssl.needed = 1;

    } else {
        lt_conf_log_error(LT_LOG_EMERG, cf, 0, "invalid URL prefix");
        return LT_CONF_ERROR;
    }

    lt_memzero(&u, sizeof(lt_url_t));

    u.url.len = url->len - add;
    u.url.data = url->data + add;
    u.default_port = port;
    u.uri_part = 1;
    u.no_resolve = 1;

    if (lt_http_proxy_parse_url(cf->pool, &u) != LT_OK) {
        if (u.err) {
            lt_conf_log_error(LT_LOG_EMERG, cf, 0, "%s in upstream \"%.*s\"", u.err,
                              (int) u.url.len, u.url.data);
        }

        return LT_CONF_ERROR;
    }

    plcf->upstream.upstream = lt_http_upstream_add(cf, &u, 0);
    if (plcf->upstream.upstream == NULL) {
        return LT_CONF_ERROR;
    }

    plcf->vars.schema.len = add;
    plcf->vars.schema.data = url->data;
    plcf->vars.key_start = plcf->vars.schema;

    lt_http_proxy_set_vars(&u, &plcf->vars);

    plcf->location = clcf->name;

    if (clcf->named || clcf->regex || clcf->noname) {
        if (plcf->vars.uri.len) {
            lt_conf_log_error(LT_LOG_EMERG, cf, 0,
                              "\"proxy_pass\" cannot have URI part in location given by "
                              "regular expression, or inside named location, or inside "
                              "\"if\" statement, or inside \"limit_except\" block");
            return LT_CONF_ERROR;
        }

        plcf->location.len = 0;
    }

    plcf->url = *url;

    return LT_CONF_OK;
}


static char *
lt_http_proxy_set_header(lt_conf_t *cf, lt_command_t *cmd, void *conf)
{
    lt_http_proxy_loc_conf_t  *plcf = conf;

    lt_str_t     *value;
    lt_keyval_t  *kv;

    if (plcf->headers_source == LT_CONF_UNSET_PTR) {
        plcf->headers_source = lt_array_create(cf->pool, 4, sizeof(lt_keyval_t));
        if (plcf->headers_source == NULL) {
            return LT_CONF_ERROR;
        }
    }

    kv = lt_array_push(plcf->headers_source);
    if (kv == NULL) {
        return LT_CONF_ERROR;
    }

    value = cf->args->elts;

    kv->key = value[1];
    kv->value = value[2];

    return LT_CONF_OK;
}


static char *
lt_http_proxy_cache(lt_conf_t *cf, lt_command_t *cmd, void *conf)
{
    lt_str_t  *value;

    value = cf->args->elts;

    if (lt_str_eq(&value[1], "off")) {
        return LT_CONF_OK;
    }

    lt_conf_log_error(LT_LOG_EMERG, cf, 0,
                      "proxy_cache \"%.*s\": lintel has no proxy cache yet; only "
                      "\"proxy_cache off\" is accepted",
                      (int) value[1].len, value[1].data);

    return LT_CONF_ERROR;
}


/* proxy_cache_bypass, proxy_no_cache: checked (their variables must exist)
 * and kept nowhere: without a cache they decide nothing */
static char *
lt_http_proxy_cache_condition(lt_conf_t *cf, lt_command_t *cmd, void *conf)
{
    size_t                           i;
    lt_str_t                        *value;
    lt_http_complex_value_t          cv;
    lt_http_compile_complex_value_t  ccv;

    value = cf->args->elts;

    for (i = 1; i < cf->args->nelts; i++) {
        lt_memzero(&ccv, sizeof(lt_http_compile_complex_value_t));
        ccv.cf = cf;
        ccv.value = &value[i];
        ccv.complex_value = &cv;

        if (lt_http_compile_complex_value(&ccv) != LT_OK) {
            return LT_CONF_ERROR;
        }
    }

    return LT_CONF_OK;
}


/* proxy_headers_hash_max_size / _bucket_size: accepted and checked like nginx's;
 * lintel's hashes size themselves */
static char *
lt_http_proxy_store_headers_hash(lt_conf_t *cf, lt_command_t *cmd, void *conf)
{
    return lt_conf_set_size_slot(cf, cmd, conf);
}
