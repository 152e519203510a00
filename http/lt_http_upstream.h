/*
 * lt_http_upstream.h: the generic upstream core. A content module (proxy) fills
 * an lt_http_upstream_t with its callbacks (create_request, process_header,
 * input filters ...) and starts it with lt_http_upstream_init(); the core picks
 * a peer through the balancer interface (lt_event_connect.h), connects, sends
 * the request, reads and parses the response header with the module's
 * callback, and relays the body to the client through the output filters,
 * unbuffered or through lt_event_pipe (proxy_buffering on). Failures go to
 * lt_http_upstream_next(): another peer (proxy_next_upstream) or the error
 * status (502 for errors, 504 for timeouts).
 *
 * upstream{} blocks and the implicit upstreams of "proxy_pass host:port" are
 * lt_http_upstream_srv_conf_t; balancers set their peer.init_upstream (at
 * configuration time) and peer.init (per request).
 */

#ifndef LT_HTTP_UPSTREAM_H
#define LT_HTTP_UPSTREAM_H

#include "lt_core.h"
#include "lt_event_connect.h"
#include "lt_event_pipe.h"
#include "lt_http_request.h"
#include "lt_http_variables.h"
#include "lt_ssl.h"

/* proxy_next_upstream conditions (bits) */
#define LT_HTTP_UPSTREAM_FT_ERROR           0x00000002
#define LT_HTTP_UPSTREAM_FT_TIMEOUT         0x00000004
#define LT_HTTP_UPSTREAM_FT_INVALID_HEADER  0x00000008
#define LT_HTTP_UPSTREAM_FT_HTTP_500        0x00000010
#define LT_HTTP_UPSTREAM_FT_HTTP_502        0x00000020
#define LT_HTTP_UPSTREAM_FT_HTTP_503        0x00000040
#define LT_HTTP_UPSTREAM_FT_HTTP_504        0x00000080
#define LT_HTTP_UPSTREAM_FT_HTTP_403        0x00000100
#define LT_HTTP_UPSTREAM_FT_HTTP_404        0x00000200
#define LT_HTTP_UPSTREAM_FT_HTTP_429        0x00000400
#define LT_HTTP_UPSTREAM_FT_BUSY_LOCK       0x00000800
#define LT_HTTP_UPSTREAM_FT_MAX_WAITING     0x00001000
#define LT_HTTP_UPSTREAM_FT_NON_IDEMPOTENT  0x00002000
#define LT_HTTP_UPSTREAM_FT_NOLIVE          0x40000000
#define LT_HTTP_UPSTREAM_FT_OFF             0x80000000

#define LT_HTTP_UPSTREAM_FT_STATUS  (LT_HTTP_UPSTREAM_FT_HTTP_500 | LT_HTTP_UPSTREAM_FT_HTTP_502 \
                                     | LT_HTTP_UPSTREAM_FT_HTTP_503                          \
                                     | LT_HTTP_UPSTREAM_FT_HTTP_504                          \
                                     | LT_HTTP_UPSTREAM_FT_HTTP_403                          \
                                     | LT_HTTP_UPSTREAM_FT_HTTP_404                          \
                                     | LT_HTTP_UPSTREAM_FT_HTTP_429)

/* process_header's result beyond LT_OK / LT_AGAIN / LT_ERROR */
#define LT_HTTP_UPSTREAM_INVALID_HEADER     40

/* proxy_ignore_headers (bits) */
#define LT_HTTP_UPSTREAM_IGN_XA_REDIRECT    0x00000002
#define LT_HTTP_UPSTREAM_IGN_XA_EXPIRES     0x00000004
#define LT_HTTP_UPSTREAM_IGN_EXPIRES        0x00000008
#define LT_HTTP_UPSTREAM_IGN_CACHE_CONTROL  0x00000010
#define LT_HTTP_UPSTREAM_IGN_SET_COOKIE     0x00000020
#define LT_HTTP_UPSTREAM_IGN_XA_LIMIT_RATE  0x00000040
#define LT_HTTP_UPSTREAM_IGN_XA_BUFFERING   0x00000080
#define LT_HTTP_UPSTREAM_IGN_XA_CHARSET     0x00000100
#define LT_HTTP_UPSTREAM_IGN_VARY           0x00000200

/* one try: what $upstream_* report */
typedef struct {
    unsigned                      status;
    uint64_t                      response_time;    /* ms; start time while running */
    uint64_t                      connect_time;     /* (uint64_t) -1: not connected */
    uint64_t                      header_time;      /* (uint64_t) -1: no header */
    off_t                         response_length;
    off_t                         bytes_received;
    off_t                         bytes_sent;
    lt_str_t                     *peer;
} lt_http_upstream_state_t;

typedef struct lt_http_upstream_srv_conf_s  lt_http_upstream_srv_conf_t;
typedef struct lt_http_upstream_s           lt_http_upstream_t;

typedef int (*lt_http_upstream_init_pt)(lt_conf_t *cf, lt_http_upstream_srv_conf_t *us);
typedef int (*lt_http_upstream_init_peer_pt)(lt_http_request_t *r,
    lt_http_upstream_srv_conf_t *us);

typedef struct {
    lt_http_upstream_init_pt       init_upstream;   /* configuration time */
    lt_http_upstream_init_peer_pt  init;            /* per request */
    void                          *data;            /* the balancer's peers */
} lt_http_upstream_peer_t;

/* a "server" line of an upstream{} block */
typedef struct {
    lt_str_t                      name;
    lt_addr_t                    *addrs;
    size_t                        naddrs;
    unsigned                      weight;
    unsigned                      max_conns;
    unsigned                      max_fails;
    time_t                        fail_timeout;
    lt_str_t                      host;         /* for "service"/resolve, later */
    unsigned                      down:1;
    unsigned                      backup:1;
} lt_http_upstream_server_t;

/* what an upstream{} block's balancer accepts in its "server" lines */
#define LT_HTTP_UPSTREAM_CREATE        0x0001
#define LT_HTTP_UPSTREAM_WEIGHT        0x0002
#define LT_HTTP_UPSTREAM_MAX_FAILS     0x0004
#define LT_HTTP_UPSTREAM_FAIL_TIMEOUT  0x0008
#define LT_HTTP_UPSTREAM_DOWN          0x0010
#define LT_HTTP_UPSTREAM_BACKUP        0x0020
#define LT_HTTP_UPSTREAM_MAX_CONNS     0x0100

struct lt_http_upstream_srv_conf_s {
    lt_http_upstream_peer_t       peer;
    void                        **srv_conf;     /* the block's confs, by module */

    lt_array_t                   *servers;      /* lt_http_upstream_server_t */

    unsigned                      flags;
    lt_str_t                      host;         /* the block's name, or host of proxy_pass */
    u_char                       *file_name;
    size_t                        line;
    in_port_t                     port;
    lt_shm_zone_t                *shm_zone;     /* "zone": shared peer state, later */
    unsigned                      no_port:1;
    unsigned                      implicit:1;   /* made by proxy_pass host:port */
};

/* proxy_bind */
typedef struct {
    lt_addr_t                    *addr;
    lt_http_complex_value_t      *value;
    unsigned                      transparent:1;
} lt_http_upstream_local_t;

/* the conf a module that uses the core embeds (proxy_* directives) */
typedef struct {
    lt_http_upstream_srv_conf_t  *upstream;

    uint64_t                      connect_timeout;
    uint64_t                      send_timeout;
    uint64_t                      read_timeout;
    uint64_t                      next_upstream_timeout;

    size_t                        send_lowat;
    size_t                        buffer_size;
    size_t                        limit_rate;

    size_t                        busy_buffers_size;
    size_t                        max_temp_file_size;
    size_t                        temp_file_write_size;

    size_t                        busy_buffers_size_conf;
    size_t                        max_temp_file_size_conf;
    size_t                        temp_file_write_size_conf;

    lt_bufs_t                     bufs;

    unsigned                      ignore_headers;
    unsigned                      next_upstream;
    unsigned                      next_upstream_tries;

    int                           buffering;
    int                           request_buffering;
    int                           pass_request_headers;
    int                           pass_request_body;

    int                           ignore_client_abort;
    int                           intercept_errors;
    int                           force_ranges;
    int                           socket_keepalive;

    lt_path_t                    *temp_path;

    lt_hash_t                     hide_headers_hash;
    lt_array_t                   *hide_headers;     /* lt_str_t */
    lt_array_t                   *pass_headers;     /* lt_str_t */

    lt_http_upstream_local_t     *local;

    lt_str_t                      module;       /* "proxy", for messages */

    struct lt_http_upstream_ssl_conf_s  *ssl;   /* TLS to the upstream; NULL: none */
} lt_http_upstream_conf_t;

/* TLS to upstreams (lt_http_upstream_ssl.c): proxy_ssl_* */
typedef struct lt_http_upstream_ssl_conf_s {
    lt_ssl_t                     *ctx;          /* the client context */
    int                           session_reuse;
    int                           server_name;  /* send SNI */
    int                           verify;
    lt_http_complex_value_t      *name;         /* proxy_ssl_name; NULL: the URL's host */
    lt_http_complex_value_t      *certificate;  /* with variables: loaded per connection */
    lt_http_complex_value_t      *certificate_key;
    lt_array_t                   *passwords;    /* lt_str_t, for encrypted keys */
    void                         *sessions;     /* the worker's saved sessions */
} lt_http_upstream_ssl_conf_t;

/* lt_http_upstream_ssl_configure: the context's session handling, once it is made
 * (from the proxy module's merge); LT_OK or LT_ERROR */
int lt_http_upstream_ssl_configure(lt_conf_t *cf, lt_http_upstream_ssl_conf_t *scf);
/* lt_http_upstream_ssl_start: TLS on a connected socket: SNI, a saved session, a
 * client certificate; LT_OK or LT_ERROR (logged) */
int lt_http_upstream_ssl_start(lt_http_request_t *r, lt_http_upstream_t *u,
    lt_connection_t *c);
/* lt_http_upstream_ssl_close: closes an upstream connection that speaks TLS (c->ssl
 * set): close_notify, the SSL and its pool freed */
void lt_http_upstream_ssl_close(lt_connection_t *c);
/* lt_http_upstream_ssl_done: after the handshake: proxy_ssl_verify, and the session
 * saved for reuse; LT_OK or LT_ERROR (logged) */
int lt_http_upstream_ssl_done(lt_http_request_t *r, lt_http_upstream_t *u,
    lt_connection_t *c);

/* the response header as the upstream sent it */
typedef struct {
    lt_list_t                     headers;
    lt_list_t                     trailers;

    unsigned                      status_n;
    lt_str_t                      status_line;

    lt_table_elt_t               *status;
    lt_table_elt_t               *date;
    lt_table_elt_t               *server;
    lt_table_elt_t               *connection;

    lt_table_elt_t               *expires;
    lt_table_elt_t               *etag;
    lt_table_elt_t               *x_accel_expires;
    lt_table_elt_t               *x_accel_redirect;
    lt_table_elt_t               *x_accel_limit_rate;

    lt_table_elt_t               *content_type;
    lt_table_elt_t               *content_length;

    lt_table_elt_t               *last_modified;
    lt_table_elt_t               *location;
    lt_table_elt_t               *refresh;
    lt_table_elt_t               *www_authenticate;
    lt_table_elt_t               *transfer_encoding;
    lt_table_elt_t               *vary;

    lt_table_elt_t               *cache_control;
    lt_table_elt_t               *set_cookie;

    off_t                         content_length_n;
    time_t                        last_modified_time;

    unsigned                      connection_close:1;
    unsigned                      chunked:1;
    unsigned                      x_accel_buffering_off:1;
    unsigned                      x_accel_buffering_on:1;
} lt_http_upstream_headers_in_t;

/* the address of "proxy_pass http://$host" (variables), resolved per request */
typedef struct {
    lt_str_t                      host;
    in_port_t                     port;
    unsigned                      no_port:1;

    size_t                        naddrs;
    lt_addr_t                    *addrs;

    struct sockaddr              *sockaddr;
    socklen_t                     socklen;
    lt_str_t                      name;

    struct lt_resolver_ctx_s     *ctx;          /* a lookup in progress (lt_resolver.h) */
} lt_http_upstream_resolved_t;

typedef void (*lt_http_upstream_handler_pt)(lt_http_request_t *r, lt_http_upstream_t *u);

struct lt_http_upstream_s {
    lt_http_upstream_handler_pt   read_event_handler;
    lt_http_upstream_handler_pt   write_event_handler;

    lt_peer_connection_t          peer;

    lt_event_pipe_t              *pipe;

    lt_chain_t                   *request_bufs;     /* made by create_request */
    lt_chain_t                   *out;              /* what is still to be sent (copies) */
    lt_chain_t                   *body_free;        /* request body streaming */
    lt_chain_t                   *body_busy;

    lt_http_upstream_conf_t      *conf;
    lt_http_upstream_srv_conf_t  *upstream;

    lt_http_upstream_headers_in_t headers_in;

    lt_http_upstream_resolved_t  *resolved;

    lt_buf_t                      from_client;

    lt_buf_t                      buffer;           /* the response header, then body */
    off_t                         length;           /* body bytes still expected, -1 */

    lt_chain_t                   *out_bufs;         /* unbuffered relay */
    lt_chain_t                   *busy_bufs;
    lt_chain_t                   *free_bufs;

    int                         (*input_filter_init)(void *data);
    int                         (*input_filter)(void *data, ssize_t bytes);
    void                         *input_filter_ctx;

    int                         (*create_request)(lt_http_request_t *r);
    int                         (*reinit_request)(lt_http_request_t *r);
    int                         (*process_header)(lt_http_request_t *r);
    void                        (*abort_request)(lt_http_request_t *r);
    void                        (*finalize_request)(lt_http_request_t *r, int rc);
    /* rewrite_redirect: Location/Refresh (prefix: the bytes before the URL);
     * LT_OK (changed), LT_DECLINED (unchanged), LT_ERROR */
    int                         (*rewrite_redirect)(lt_http_request_t *r, lt_table_elt_t *h,
                                                    size_t prefix);
    int                         (*rewrite_cookie)(lt_http_request_t *r, lt_table_elt_t *h);

    uint64_t                      start_time;
    off_t                         sent_start;       /* c->sent when this try began */

    lt_http_upstream_state_t     *state;
    lt_array_t                   *states;           /* lt_http_upstream_state_t, per try */

    lt_str_t                      method;
    lt_str_t                      schema;           /* "http://" */
    lt_str_t                      ssl_name;         /* the name TLS checks (https) */
    lt_str_t                      uri;              /* for the log's "upstream:" */

    lt_http_cleanup_pt           *cleanup;

    lt_buf_tag_t                  output_tag;

    unsigned                      buffering:1;
    unsigned                      keepalive:1;      /* the response ended cleanly */
    unsigned                      upgrade:1;
    unsigned                      error:1;
    unsigned                      request_sent:1;
    unsigned                      request_body_sent:1;
    unsigned                      request_body_blocked:1;
    unsigned                      header_sent:1;
    unsigned                      response_received:1;  /* a byte of this try's response */
    unsigned                      keepalive_retried:1;  /* the once-only fresh retry */
    unsigned                      accel:1;
    unsigned                      body_streaming:1;     /* proxy_request_buffering off */
    unsigned                      chunked_body:1;       /* ... sent chunked */
    unsigned                      chunk_first:1;
    unsigned                      body_complete:1;
    unsigned                      body_last_framed:1;
    unsigned                      connecting:1;         /* connect() in progress */
    unsigned                      read_timer_armed:1;
    unsigned                      ssl:1;                /* https:// */
};

/* per-request state the upstream core keeps for variables */
typedef struct {
    lt_hash_t                     headers_in_hash;
    lt_array_t                    upstreams;        /* lt_http_upstream_srv_conf_t * */
} lt_http_upstream_main_conf_t;

/* a header of the upstream's response: how it is noted and how it is passed */
typedef int (*lt_http_upstream_header_pt)(lt_http_request_t *r, lt_table_elt_t *h,
    uintptr_t offset);

typedef struct {
    lt_str_t                      name;
    lt_http_upstream_header_pt    handler;
    uintptr_t                     offset;
    lt_http_upstream_header_pt    copy_handler;
    uintptr_t                     conf;
    unsigned                      redirect:1;   /* kept across X-Accel-Redirect */
} lt_http_upstream_header_t;

extern lt_module_t  lt_http_upstream_module;

/* lt_http_upstream_create: a new r->upstream (zeroed, with states); LT_OK/LT_ERROR */
int lt_http_upstream_create(lt_http_request_t *r);

/* lt_http_upstream_init: the request body is read: start (a client body
 * post_handler) */
void lt_http_upstream_init(lt_http_request_t *r);

/* lt_http_upstream_add: the upstream{} of that name (flags 0: a reference that
 * must match a block; LT_HTTP_UPSTREAM_CREATE: a block being defined), or an
 * implicit one for u->host:port; NULL on error (logged) */
lt_http_upstream_srv_conf_t *lt_http_upstream_add(lt_conf_t *cf, lt_url_t *u,
    unsigned flags);

/* lt_http_upstream_hide_headers_hash: the hash of headers not passed to the
 * client: the module's defaults plus proxy_hide_header minus proxy_pass_header,
 * inherited from prev when this level sets neither */
int lt_http_upstream_hide_headers_hash(lt_conf_t *cf, lt_http_upstream_conf_t *conf,
    lt_http_upstream_conf_t *prev, const lt_str_t *default_hide_headers);

/* lt_http_upstream_process_header_line: notes one response header line h (already
 * in u->headers_in.headers) by name; LT_OK or LT_ERROR */
int lt_http_upstream_process_header_line(lt_http_request_t *r, lt_table_elt_t *h);

/* lt_http_upstream_headers_in_hash: the known response headers (their
 * lt_http_upstream_header_t) hashed by name, at configuration time */
int lt_http_upstream_headers_in_hash(lt_conf_t *cf, lt_hash_t *hash);

/* lt_http_upstream_pass_header: one response header line h to the client's
 * headers_out, by the copy handler of its entry in known (the headers_in hash)
 * or as it is; LT_OK or LT_ERROR */
int lt_http_upstream_pass_header(lt_http_request_t *r, lt_hash_t *known, lt_table_elt_t *h);

/* lt_http_upstream_parse_addr_port: "addr", "addr:port", "[v6]" or "[v6]:port"
 * (proxy_bind); LT_OK or LT_DECLINED */
int lt_http_upstream_parse_addr_port(const u_char *text, size_t len,
    struct sockaddr_storage *ss, socklen_t *socklen);

/* lt_http_upstream_log_error: the log's ", upstream: ..." part */
u_char *lt_http_upstream_log_error(lt_http_request_t *r, u_char *buf, size_t len);

/* lt_http_upstream_non_buffered_filter: the default unbuffered input filter:
 * appends the bytes just read to u->out_bufs, stopping at u->length */
int lt_http_upstream_non_buffered_filter(void *data, ssize_t bytes);

/* lt_http_upstream_server_bind: proxy_bind's setter helper */
char *lt_http_upstream_bind_set_slot(lt_conf_t *cf, lt_command_t *cmd, void *conf);

/* lt_http_upstream_param_set_slot and the like belong to fastcgi/uwsgi, later */

/* lt_http_upstream_retry_fresh: a reused keepalive connection failed before any
 * response byte; the idempotent request is sent once more on a new connection
 * to the same peer, without counting a failure. LT_OK when the retry started,
 * LT_DECLINED when it does not apply */
int lt_http_upstream_retry_fresh(lt_http_request_t *r, lt_http_upstream_t *u);

#endif /* LT_HTTP_UPSTREAM_H */
