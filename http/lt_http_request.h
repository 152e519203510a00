/*
 * lt_http_request.h: an HTTP request, its headers in and out, and the functions
 * that move it through its life: read and parse, find the server and location,
 * run the phases, send the response through the filters, finalize, keep-alive.
 */

#ifndef LT_HTTP_REQUEST_H
#define LT_HTTP_REQUEST_H

#include "lt_core.h"
#include "lt_http_parse.h"

#define LT_HTTP_MAX_URI_CHANGES       10
#define LT_HTTP_DISCARD_BUFFER_SIZE   4096
#define LT_HTTP_LINGERING_BUFFER_SIZE 4096

/* status codes */
#define LT_HTTP_CONTINUE                   100
#define LT_HTTP_SWITCHING_PROTOCOLS        101
#define LT_HTTP_OK                         200
#define LT_HTTP_CREATED                    201
#define LT_HTTP_ACCEPTED                   202
#define LT_HTTP_NO_CONTENT                 204
#define LT_HTTP_PARTIAL_CONTENT            206
#define LT_HTTP_SPECIAL_RESPONSE           300
#define LT_HTTP_MOVED_PERMANENTLY          301
#define LT_HTTP_MOVED_TEMPORARILY          302
#define LT_HTTP_SEE_OTHER                  303
#define LT_HTTP_NOT_MODIFIED               304
#define LT_HTTP_TEMPORARY_REDIRECT         307
#define LT_HTTP_PERMANENT_REDIRECT         308
#define LT_HTTP_BAD_REQUEST                400
#define LT_HTTP_UNAUTHORIZED               401
#define LT_HTTP_FORBIDDEN                  403
#define LT_HTTP_NOT_FOUND                  404
#define LT_HTTP_NOT_ALLOWED                405
#define LT_HTTP_REQUEST_TIME_OUT           408
#define LT_HTTP_CONFLICT                   409
#define LT_HTTP_LENGTH_REQUIRED            411
#define LT_HTTP_PRECONDITION_FAILED        412
#define LT_HTTP_REQUEST_ENTITY_TOO_LARGE   413
#define LT_HTTP_REQUEST_URI_TOO_LARGE      414
#define LT_HTTP_UNSUPPORTED_MEDIA_TYPE     415
#define LT_HTTP_RANGE_NOT_SATISFIABLE      416
#define LT_HTTP_MISDIRECTED_REQUEST        421
#define LT_HTTP_TOO_MANY_REQUESTS          429
/* nginx's internal codes: never sent as such */
#define LT_HTTP_CLOSE                      444
#define LT_HTTP_NGINX_CODES                494
#define LT_HTTP_REQUEST_HEADER_TOO_LARGE   494
#define LT_HTTPS_CERT_ERROR                495
#define LT_HTTPS_NO_CERT                   496
#define LT_HTTP_TO_HTTPS                   497
#define LT_HTTP_CLIENT_CLOSED_REQUEST      499
#define LT_HTTP_INTERNAL_SERVER_ERROR      500
#define LT_HTTP_NOT_IMPLEMENTED            501
#define LT_HTTP_BAD_GATEWAY                502
#define LT_HTTP_SERVICE_UNAVAILABLE        503
#define LT_HTTP_GATEWAY_TIME_OUT           504
#define LT_HTTP_VERSION_NOT_SUPPORTED      505
#define LT_HTTP_INSUFFICIENT_STORAGE       507

/* Connection: header */
#define LT_HTTP_CONNECTION_CLOSE       1
#define LT_HTTP_CONNECTION_KEEP_ALIVE  2

/* lingering_close */
#define LT_HTTP_LINGERING_OFF     0
#define LT_HTTP_LINGERING_ON      1
#define LT_HTTP_LINGERING_ALWAYS  2

/* r->count/blocked guard: lt_http_finalize_request runs handlers only once */
#define LT_HTTP_LOG_UNSAFE  1

typedef struct lt_http_request_s         lt_http_request_t;
typedef struct lt_http_connection_s      lt_http_connection_t;
typedef struct lt_http_cleanup_s         lt_http_cleanup_t;
typedef struct lt_http_request_body_s    lt_http_request_body_t;
typedef struct lt_http_variable_value_s  lt_http_variable_value_t;
typedef struct lt_http_upstream_s        lt_http_upstream_t;

typedef int (*lt_http_handler_pt)(lt_http_request_t *r);
typedef void (*lt_http_event_handler_pt)(lt_http_request_t *r);
typedef void (*lt_http_client_body_handler_pt)(lt_http_request_t *r);

/* one header: hash 0 marks a deleted entry */
typedef struct lt_table_elt_s  lt_table_elt_t;

struct lt_table_elt_s {
    uintptr_t        hash;
    lt_str_t         key;
    lt_str_t         value;
    u_char          *lowcase_key;
    lt_table_elt_t  *next;      /* the next header of the same name */
};

typedef struct {
    lt_list_t        headers;           /* lt_table_elt_t, in order received */

    lt_table_elt_t  *host;
    lt_table_elt_t  *connection;
    lt_table_elt_t  *if_modified_since;
    lt_table_elt_t  *if_unmodified_since;
    lt_table_elt_t  *if_match;
    lt_table_elt_t  *if_none_match;
    lt_table_elt_t  *user_agent;
    lt_table_elt_t  *referer;
    lt_table_elt_t  *content_length;
    lt_table_elt_t  *content_range;
    lt_table_elt_t  *content_type;
    lt_table_elt_t  *range;
    lt_table_elt_t  *if_range;
    lt_table_elt_t  *transfer_encoding;
    lt_table_elt_t  *te;
    lt_table_elt_t  *expect;
    lt_table_elt_t  *upgrade;
    lt_table_elt_t  *accept_encoding;
    lt_table_elt_t  *via;
    lt_table_elt_t  *authorization;
    lt_table_elt_t  *keep_alive;
    lt_table_elt_t  *x_forwarded_for;   /* first of a list (next) */
    lt_table_elt_t  *x_real_ip;
    lt_table_elt_t  *accept;
    lt_table_elt_t  *accept_language;
    lt_table_elt_t  *cookie;            /* first of a list (next) */
    lt_table_elt_t  *date;

    lt_str_t         user;
    lt_str_t         passwd;

    lt_str_t         server;            /* the validated host, lowercase, no port */
    off_t            content_length_n;  /* -1 when absent */
    time_t           keep_alive_n;

    unsigned         connection_type:2;
    unsigned         chunked:1;
    unsigned         msie:1;
    unsigned         msie6:1;
    unsigned         opera:1;
    unsigned         gecko:1;
    size_t           count;         /* header lines seen, for max_headers */
    unsigned         chrome:1;
    unsigned         safari:1;
    unsigned         konqueror:1;
} lt_http_headers_in_t;

typedef struct {
    lt_list_t        headers;           /* lt_table_elt_t */
    lt_list_t        trailers;

    unsigned         status;
    lt_str_t         status_line;       /* a full "200 OK" when set */

    lt_table_elt_t  *server;
    lt_table_elt_t  *date;
    lt_table_elt_t  *content_length;
    lt_table_elt_t  *content_encoding;
    lt_table_elt_t  *location;
    lt_table_elt_t  *refresh;
    lt_table_elt_t  *last_modified;
    lt_table_elt_t  *content_range;
    lt_table_elt_t  *accept_ranges;
    lt_table_elt_t  *www_authenticate;
    lt_table_elt_t  *expires;
    lt_table_elt_t  *etag;
    lt_table_elt_t  *cache_control;     /* first of a list (next) */
    lt_table_elt_t  *link;

    lt_str_t        *override_charset;

    size_t           content_type_len;  /* without the charset parameter */
    lt_str_t         content_type;
    lt_str_t         charset;
    u_char          *content_type_lowcase;
    uintptr_t        content_type_hash;

    off_t            content_length_n;  /* -1: unknown */
    off_t            content_offset;
    time_t           date_time;
    time_t           last_modified_time;    /* -1: none */
} lt_http_headers_out_t;

/* the request body, as read so far */
struct lt_http_request_body_s {
    lt_file_t                      *temp_file;
    lt_chain_t                     *bufs;      /* the body: memory and/or file */
    lt_buf_t                       *buf;       /* being filled */
    off_t                           rest;      /* bytes still to read, -1: chunked unknown */
    off_t                           received;
    lt_chain_t                     *free;
    lt_chain_t                     *busy;
    lt_http_chunked_t              *chunked;
    void                           *ctx;       /* the reader's state */
    lt_http_client_body_handler_pt  post_handler;
    unsigned                        filter_need_buffering:1;
    unsigned                        last_sent:1;
    unsigned                        last_saved:1;
};

/* per-connection HTTP state, kept across the requests of a keep-alive connection */
struct lt_http_connection_s {
    void            *addr_conf;     /* lt_http_addr_conf_t: servers of this address */
    void            *conf_ctx;      /* lt_http_conf_ctx_t of the default server */
    void            *ssl_servername;
    uint64_t         start_msec;    /* when the connection was accepted (keepalive_time) */

    lt_chain_t      *busy;          /* large header buffers in use */
    size_t           nbusy;
    lt_chain_t      *free;

    unsigned         ssl:1;
    unsigned         proxy_protocol:1;
};

typedef void (*lt_http_cleanup_pt)(void *data);

struct lt_http_cleanup_s {
    lt_http_cleanup_pt   handler;
    void                *data;
    lt_http_cleanup_t   *next;
};

struct lt_http_request_s {
    lt_connection_t                *connection;

    void                          **ctx;        /* per module, by ctx_index */
    void                          **main_conf;
    void                          **srv_conf;
    void                          **loc_conf;

    lt_http_event_handler_pt        read_event_handler;
    lt_http_event_handler_pt        write_event_handler;

    lt_http_upstream_t             *upstream;   /* a proxied request's (lt_http_upstream.h) */

    lt_pool_t                      *pool;
    lt_buf_t                       *header_in;

    lt_http_headers_in_t            headers_in;
    lt_http_headers_out_t           headers_out;

    lt_http_request_body_t         *request_body;

    time_t                          lingering_time;
    time_t                          start_sec;
    unsigned                        start_msec;

    unsigned                        method;
    unsigned                        http_version;

    lt_str_t                        request_line;
    lt_str_t                        uri;
    lt_str_t                        args;
    lt_str_t                        exten;
    lt_str_t                        unparsed_uri;
    lt_str_t                        method_name;
    lt_str_t                        http_protocol;
    lt_str_t                        schema;

    lt_chain_t                     *out;        /* what the write filter still holds */
    lt_http_request_t              *main;
    lt_http_request_t              *parent;

    lt_http_connection_t           *http_connection;
    lt_http_cleanup_t              *cleanup;

    int                             phase_handler;
    lt_http_handler_pt              content_handler;
    unsigned                        access_code;

    lt_http_variable_value_t       *variables;

    /* regex captures of the last match: offsets into captures_data */
    unsigned                        ncaptures;
    int                            *captures;
    u_char                         *captures_data;

    size_t                          limit_rate;
    size_t                          limit_rate_after;

    size_t                          header_size;
    off_t                           request_length;

    unsigned                        err_status;

    lt_http_parse_t                 parse;      /* request line and header state */

    void                           *chunked_ctx;    /* the filters of http/ */
    void                           *copy_ctx;

    unsigned                        count:16;   /* references: body reading, ... */
    unsigned                        blocked:8;

    unsigned                        http_state:4;
    unsigned                        uri_changes:4;

    unsigned                        complex_uri:1;
    unsigned                        quoted_uri:1;
    unsigned                        plus_in_uri:1;
    unsigned                        empty_path_in_uri:1;
    unsigned                        invalid_header:1;
    unsigned                        add_uri_to_alias:1;
    unsigned                        valid_location:1;
    unsigned                        valid_unparsed_uri:1;
    unsigned                        uri_changed:1;
    unsigned                        request_body_in_single_buf:1;
    unsigned                        request_body_in_file_only:1;
    unsigned                        request_body_in_persistent_file:1;
    unsigned                        request_body_in_clean_file:1;
    unsigned                        request_body_file_group_access:1;
    unsigned                        request_body_no_buffering:1;
    unsigned                        realloc_captures:1;
    unsigned                        proxy:1;
    unsigned                        limit_rate_set:1;
    unsigned                        limit_rate_after_set:1;
    unsigned                        pipeline:1;
    unsigned                        chunked:1;      /* the response is chunked */
    unsigned                        header_only:1;  /* HEAD, 304, 204 */
    unsigned                        expect_trailers:1;
    unsigned                        keepalive:1;
    unsigned                        lingering_close:1;
    unsigned                        discard_body:1;
    unsigned                        reading_body:1;
    unsigned                        internal:1;
    unsigned                        error_page:1;
    unsigned                        request_complete:1;
    unsigned                        request_output:1;
    unsigned                        header_sent:1;
    unsigned                        expect_tested:1;
    unsigned                        root_tested:1;
    unsigned                        done:1;
    unsigned                        logged:1;
    unsigned                        terminated:1;
    unsigned                        buffered:4;
    unsigned                        main_filter_need_in_memory:1;
    unsigned                        filter_need_in_memory:1;
    unsigned                        filter_need_temporary:1;
    unsigned                        preserve_body:1;
    unsigned                        allow_ranges:1;
    unsigned                        single_range:1;
    unsigned                        disable_not_modified:1;
    unsigned                        stat_reading:1;
    unsigned                        stat_writing:1;
    unsigned                        stat_processing:1;
    unsigned                        headers_in_done:1;
    lt_event_t                     *terminal;       /* the close of a terminated request,
                                                       posted (lt_http_terminate_request) */

    unsigned                        gzip_tested:1;  /* lt_http_compress_ok() ran */
    unsigned                        gzip_ok:1;      /* ... and said yes */
    unsigned                        gzip_vary:1;    /* Vary: Accept-Encoding added */
};

/* r->http_state, for $request_time and the log's "while ..." */
#define LT_HTTP_INITING_REQUEST_STATE   0
#define LT_HTTP_READING_REQUEST_STATE   1
#define LT_HTTP_PROCESS_REQUEST_STATE   2
#define LT_HTTP_CONNECT_UPSTREAM_STATE  3
#define LT_HTTP_WRITING_UPSTREAM_STATE  4
#define LT_HTTP_READING_UPSTREAM_STATE  5
#define LT_HTTP_WRITING_REQUEST_STATE   6
#define LT_HTTP_LINGERING_CLOSE_STATE   7
#define LT_HTTP_KEEPALIVE_STATE         8

/* the context a log line of a request carries: client, server, request, host */
typedef struct {
    lt_connection_t      *connection;
    lt_str_t             *client;
    lt_http_request_t    *request;
    lt_http_request_t    *current_request;
} lt_http_log_ctx_t;

/* lt_http_init_connection: the listening handler of HTTP ports */
void lt_http_init_connection(lt_connection_t *c);

/* lt_http_process_request: runs the phases of a request whose headers are read */
void lt_http_process_request(lt_http_request_t *r);
/* lt_http_handler: starts (or restarts after a redirect) the phase engine */
void lt_http_handler(lt_http_request_t *r);
void lt_http_run_posted_requests(lt_connection_t *c);

/* lt_http_finalize_request: rc is LT_OK/LT_DONE/LT_ERROR/LT_AGAIN/LT_DECLINED or
 * an HTTP status (an error page is sent); ends the request when it is done */
void lt_http_finalize_request(lt_http_request_t *r, int rc);
/* lt_http_free_request: logs and frees the request (not the connection) */
void lt_http_free_request(lt_http_request_t *r, int rc);
void lt_http_close_request(lt_http_request_t *r, int rc);
void lt_http_close_connection(lt_connection_t *c);

/* lt_http_internal_redirect: restarts the request on uri?args, internally */
int lt_http_internal_redirect(lt_http_request_t *r, lt_str_t *uri, lt_str_t *args);
int lt_http_named_location(lt_http_request_t *r, lt_str_t *name);

/* lt_http_cleanup_add: a handler run when the request is freed */
lt_http_cleanup_t *lt_http_cleanup_add(lt_http_request_t *r, size_t size);

/* header and body output */
int lt_http_send_header(lt_http_request_t *r);
int lt_http_output_filter(lt_http_request_t *r, lt_chain_t *in);
int lt_http_send_special_response(lt_http_request_t *r, int error);
int lt_http_special_response_handler(lt_http_request_t *r, int error);
/* lt_http_clean_header: forgets the response header; a header filter that
 * refuses a response (412, 416) calls it and returns the status, which the
 * content handler returns and lt_http_finalize_request turns into the error page */
void lt_http_clean_header(lt_http_request_t *r);

/* request body */
int lt_http_read_client_request_body(lt_http_request_t *r,
    lt_http_client_body_handler_pt post_handler);
int lt_http_discard_request_body(lt_http_request_t *r);
int lt_http_read_unbuffered_request_body(lt_http_request_t *r);
void lt_http_discarded_request_body_handler(lt_http_request_t *r);

/* Expect: 100-continue: sends "HTTP/1.1 100 Continue" once, if asked */
int lt_http_send_continue(lt_http_request_t *r);

/* lt_http_block_reading/lt_http_test_reading: read event handlers */
void lt_http_block_reading(lt_http_request_t *r);
void lt_http_test_reading(lt_http_request_t *r);
void lt_http_request_empty_handler(lt_http_request_t *r);

/* lt_http_set_keepalive etc. are internal to lt_http_request.c */

/* headers */
lt_table_elt_t *lt_http_add_header_out(lt_http_request_t *r, const char *name,
    size_t name_len, u_char *value, size_t value_len);
lt_table_elt_t *lt_http_find_header(lt_list_t *headers, const u_char *lowcase,
    size_t len);

/* lt_http_log_error: the error log's context for HTTP connections and requests */
u_char *lt_http_log_error(lt_log_t *log, u_char *buf, size_t len);

/* lt_http_host_header: the Host header's handler (headers_in table) */
int lt_http_host_header(lt_http_request_t *r, lt_table_elt_t *h);

/* lt_http_log_request: runs the LOG phase (access logs) once */
void lt_http_log_request(lt_http_request_t *r);

/* headers_out helpers: forget a header the filters would otherwise send */
#define lt_http_clear_header(r, h)                                            \
    do {                                                                      \
        if ((r)->headers_out.h) {                                             \
            (r)->headers_out.h->hash = 0;                                     \
            (r)->headers_out.h = NULL;                                        \
        }                                                                     \
    } while (0)

#define lt_http_clear_location(r)       lt_http_clear_header(r, location)
#define lt_http_clear_etag(r)           lt_http_clear_header(r, etag)
#define lt_http_clear_accept_ranges(r)                                        \
    do {                                                                      \
        (r)->allow_ranges = 0;                                                \
        lt_http_clear_header(r, accept_ranges);                               \
    } while (0)
#define lt_http_clear_last_modified(r)                                        \
    do {                                                                      \
        (r)->headers_out.last_modified_time = -1;                             \
        lt_http_clear_header(r, last_modified);                               \
    } while (0)
#define lt_http_clear_content_length(r)                                       \
    do {                                                                      \
        (r)->headers_out.content_length_n = -1;                               \
        lt_http_clear_header(r, content_length);                              \
    } while (0)

/* what keeps a request's output pending (c->buffered, r->buffered) */
#define LT_HTTP_LOWLEVEL_BUFFERED   0xf0
#define LT_HTTP_WRITE_BUFFERED      0x10
#define LT_HTTP_GZIP_BUFFERED       0x20
#define LT_HTTP_SSI_BUFFERED        0x01
#define LT_HTTP_COPY_BUFFERED       0x04

/* lt_http_writer: the write handler while output is pending */
void lt_http_writer(lt_http_request_t *r);

/* the request pool and header buffer caches (per worker) */
lt_pool_t *lt_http_pool_get(size_t size, lt_log_t *log);
void lt_http_pool_release(lt_pool_t *pool);

#endif /* LT_HTTP_REQUEST_H */
