/*
 * proxy.h: the proxy module's location configuration, exported for the
 * proxy_redirect / proxy_cookie_* code (modules/proxy_rewrite.c), which keeps
 * its rules in the "rewrite" member and finds this conf at run time with
 * lt_http_get_module_loc_conf(r, lt_http_proxy_module).
 */

#ifndef LT_HTTP_PROXY_H
#define LT_HTTP_PROXY_H

#include "lt_http.h"
#include "lt_http_upstream.h"

#include "proxy_rewrite.h"

/* how a header's value is made: most defaults are computed without variables */
#define LT_HTTP_PROXY_HDR_VALUE        0    /* value (a constant or a complex value) */
#define LT_HTTP_PROXY_HDR_HOST         1    /* $proxy_host */
#define LT_HTTP_PROXY_HDR_BODY_LENGTH  2    /* $proxy_internal_body_length */
#define LT_HTTP_PROXY_HDR_CHUNKED      3    /* $proxy_internal_chunked */

typedef struct {
    lt_str_t                      key;
    lt_http_complex_value_t       value;    /* value.parts NULL: a constant */
    unsigned                      type;     /* LT_HTTP_PROXY_HDR_* */
} lt_http_proxy_header_t;

typedef struct {
    lt_http_proxy_header_t       *elts;     /* in order: the set ones, then defaults */
    size_t                        nelts;
    lt_hash_t                     hash;     /* lowercase names set here: the client's
                                               header of that name is not passed */
    unsigned                      ready:1;
} lt_http_proxy_headers_t;

/* what "proxy_pass URL" says, split (constant URLs) */
typedef struct {
    lt_str_t                      key_start;    /* "http://host:port" as written */
    lt_str_t                      schema;       /* "http://" */
    lt_str_t                      host_header;  /* $proxy_host */
    lt_str_t                      port;         /* $proxy_port */
    lt_str_t                      uri;          /* the URI part ("" when none) */
} lt_http_proxy_vars_t;

/* proxy_ssl_*: TLS to the upstream (modules/proxy_ssl.c) */
typedef struct {
    lt_http_upstream_ssl_conf_t   conf;         /* what the upstream core reads */
    unsigned                      protocols;
    lt_str_t                      ciphers;
    lt_str_t                      certificate;
    lt_str_t                      certificate_key;
    lt_str_t                      trusted_certificate;
    lt_str_t                      crl;
    lt_array_t                   *passwords;    /* proxy_ssl_password_file */
    lt_array_t                   *conf_commands;
    int                           verify_depth;
    unsigned                      https:1;      /* proxy_pass https:// (constant) */
    unsigned                      needed:1;     /* https://, or variables: a context */
} lt_http_proxy_ssl_t;

typedef struct lt_http_proxy_loc_conf_s {
    lt_http_upstream_conf_t       upstream;

    lt_http_complex_value_t      *body_source;  /* proxy_set_body */

    lt_http_proxy_headers_t       headers;      /* ready to use (merged) */
    lt_array_t                   *headers_source;   /* lt_keyval_t, as written */

    lt_http_complex_value_t      *proxy_cv;     /* proxy_pass with variables */

    lt_http_complex_value_t      *method;       /* proxy_method */

    lt_str_t                      location;     /* the location's name, for the URI rules */
    lt_str_t                      url;          /* proxy_pass as written */

    lt_http_proxy_vars_t          vars;

    unsigned                      http_version; /* 1000 or 1001 */

    int                           pass_trailers;    /* proxy_pass_trailers */

    size_t                        headers_hash_max_size;
    size_t                        headers_hash_bucket_size;

    lt_http_proxy_rewrite_conf_t  rewrite;      /* proxy_redirect, proxy_cookie_* */

    lt_http_proxy_ssl_t           ssl;

    unsigned                      has_proxy:1;  /* proxy_pass set at this level */
} lt_http_proxy_loc_conf_t;

/* the state of one proxied request */
typedef struct {
    lt_http_proxy_vars_t          vars;         /* of this request (proxy_pass with variables) */
    off_t                         internal_body_length;
    lt_http_parse_t               parse;        /* status line, then header lines */
    lt_http_chunked_t             chunked;
    lt_buf_t                     *trailers;     /* trailer bytes, parsed in place */
    lt_http_parse_t              *trailer_parse;
    unsigned                      head:1;
    unsigned                      internal_chunked:1;
    unsigned                      status_done:1;
    unsigned                      in_trailers:1;
    unsigned                      done:1;       /* the last chunk and trailers are in */
    unsigned                      pass_trailers:1;
    unsigned                      request_keepalive:1;  /* HTTP/1.1 without "close" */
} lt_http_proxy_ctx_t;

/* modules/proxy_response.c: the response's status line and header, and the input
 * filters of its body */
int lt_http_proxy_process_status_line(lt_http_request_t *r);
int lt_http_proxy_input_filter_init(void *data);
int lt_http_proxy_non_buffered_copy_filter(void *data, ssize_t bytes);
/* lt_http_proxy_response_reinit: for the next upstream, the response from the start */
void lt_http_proxy_response_reinit(lt_http_request_t *r, lt_http_proxy_ctx_t *ctx);

extern lt_module_t  lt_http_proxy_module;

/* modules/proxy_ssl.c */
extern const lt_conf_bitmask_t  lt_http_proxy_ssl_protocols[];
void lt_http_proxy_ssl_create_conf(lt_http_proxy_ssl_t *ssl);
char *lt_http_proxy_ssl_merge(lt_conf_t *cf, lt_http_proxy_loc_conf_t *conf,
    lt_http_proxy_loc_conf_t *prev);
char *lt_http_proxy_ssl_password_file(lt_conf_t *cf, lt_command_t *cmd, void *conf);
char *lt_http_proxy_ssl_certificate_cache(lt_conf_t *cf, lt_command_t *cmd, void *conf);

extern lt_module_t  lt_http_proxy_module;

#endif /* LT_HTTP_PROXY_H */
