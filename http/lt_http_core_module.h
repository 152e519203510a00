/*
 * lt_http_core_module.h: the http{} / server{} / location{} configuration, the
 * phases, listen addresses and virtual servers, and the functions modules use
 * to plug into the request pipeline.
 */

#ifndef LT_HTTP_CORE_MODULE_H
#define LT_HTTP_CORE_MODULE_H

#include "lt_core.h"
#include "lt_regex.h"
#include "lt_http_request.h"
#include "lt_http_variables.h"

/* conf access for HTTP modules */
#define lt_http_get_module_main_conf(r, module)  (r)->main_conf[(module).ctx_index]
#define lt_http_get_module_srv_conf(r, module)   (r)->srv_conf[(module).ctx_index]
#define lt_http_get_module_loc_conf(r, module)   (r)->loc_conf[(module).ctx_index]

#define lt_http_conf_get_module_main_conf(cf, module)                         \
    ((lt_conf_ctx_t *) (cf)->ctx)->main_conf[(module).ctx_index]
#define lt_http_conf_get_module_srv_conf(cf, module)                          \
    ((lt_conf_ctx_t *) (cf)->ctx)->srv_conf[(module).ctx_index]
#define lt_http_conf_get_module_loc_conf(cf, module)                          \
    ((lt_conf_ctx_t *) (cf)->ctx)->loc_conf[(module).ctx_index]

#define lt_http_cycle_get_module_main_conf(cycle, module)                     \
    ((cycle)->conf_ctx[lt_http_module.index]                                  \
     ? ((lt_conf_ctx_t *) (cycle)->conf_ctx[lt_http_module.index])            \
           ->main_conf[(module).ctx_index]                                    \
     : NULL)

#define lt_http_get_module_ctx(r, module)   (r)->ctx[(module).ctx_index]
#define lt_http_set_ctx(r, c, module)       (r)->ctx[(module).ctx_index] = c

extern lt_module_t  lt_http_module;
extern lt_module_t  lt_http_core_module;

/* the phases a request goes through, in order */
typedef enum {
    LT_HTTP_POST_READ_PHASE = 0,
    LT_HTTP_SERVER_REWRITE_PHASE,
    LT_HTTP_FIND_CONFIG_PHASE,
    LT_HTTP_REWRITE_PHASE,
    LT_HTTP_POST_REWRITE_PHASE,
    LT_HTTP_PREACCESS_PHASE,
    LT_HTTP_ACCESS_PHASE,
    LT_HTTP_POST_ACCESS_PHASE,
    LT_HTTP_PRECONTENT_PHASE,
    LT_HTTP_CONTENT_PHASE,
    LT_HTTP_LOG_PHASE
} lt_http_phases_e;

typedef struct lt_http_phase_handler_s  lt_http_phase_handler_t;

typedef int (*lt_http_phase_checker_pt)(lt_http_request_t *r, lt_http_phase_handler_t *ph);

struct lt_http_phase_handler_s {
    lt_http_phase_checker_pt  checker;
    lt_http_handler_pt        handler;
    unsigned                  next;     /* first handler of the next phase */
};

typedef struct {
    lt_http_phase_handler_t  *handlers;
    unsigned                  server_rewrite_index;
    unsigned                  location_rewrite_index;
} lt_http_phase_engine_t;

typedef struct {
    lt_array_t                handlers;     /* lt_http_handler_pt */
} lt_http_phase_t;

/* listen options */
typedef struct {
    struct sockaddr          *sockaddr;
    socklen_t                 socklen;
    lt_str_t                  addr_text;

    unsigned                  set:1;        /* a socket option makes it a socket of its own */
    unsigned                  default_server:1;
    unsigned                  bind:1;
    unsigned                  wildcard:1;
    unsigned                  ssl:1;
    unsigned                  http2:1;
    unsigned                  ipv6only:1;
    unsigned                  deferred_accept:1;
    unsigned                  reuseport:1;
    unsigned                  so_keepalive:2;
    unsigned                  proxy_protocol:1;

    int                       backlog;
    int                       rcvbuf;
    int                       sndbuf;
    int                       fastopen;
    int                       tcp_keepidle;
    int                       tcp_keepintvl;
    int                       tcp_keepcnt;
} lt_http_listen_opt_t;

typedef struct lt_http_core_loc_conf_s  lt_http_core_loc_conf_t;

/* the conf structs of one level (server{} or location{}) */
typedef lt_conf_ctx_t  lt_http_conf_ctx_t;

/* a server_name */
typedef struct {
    lt_http_regex_t          *regex;
    void                     *server;       /* lt_http_core_srv_conf_t */
    lt_str_t                  name;
} lt_http_server_name_t;

typedef struct {
    /* array of lt_http_server_name_t */
    lt_array_t                server_names;

    lt_http_conf_ctx_t       *ctx;

    u_char                   *file_name;
    size_t                    line;

    lt_str_t                  server_name;  /* the first: $server_name */

    size_t                    connection_pool_size;
    size_t                    request_pool_size;
    size_t                    client_header_buffer_size;
    lt_bufs_t                 large_client_header_buffers;
    uint64_t                  client_header_timeout;

    int                       max_headers;
    int                       ignore_invalid_headers;
    int                       merge_slashes;
    int                       underscores_in_headers;

    unsigned                  listen:1;
    unsigned                  captures:1;   /* some server_name regex has captures */

    lt_http_core_loc_conf_t **named_locations;
} lt_http_core_srv_conf_t;

/* the virtual servers reachable on one listening address */
typedef struct {
    lt_hash_t                 exact;        /* name -> lt_http_core_srv_conf_t */
    lt_hash_t                 wc_head;      /* "*.example.com": suffix "example.com" */
    lt_hash_t                 wc_tail;      /* "www.example.*": prefix "www.example" */
    lt_http_server_name_t    *regex;
    size_t                    nregex;
    lt_http_core_srv_conf_t  *default_server;
    unsigned                  ssl:1;
    unsigned                  http2:1;
    unsigned                  proxy_protocol:1;
} lt_http_addr_conf_t;

/* what a listening socket's `servers` points at */
typedef struct {
    struct sockaddr          *sockaddr;     /* NULL for the wildcard's entry */
    socklen_t                 socklen;
    lt_http_addr_conf_t       conf;
} lt_http_in_addr_t;

typedef struct {
    lt_http_in_addr_t        *addrs;        /* sorted: specific first, wildcard last */
    size_t                    naddrs;
} lt_http_port_t;

/* configuration-time view of addresses and ports */
typedef struct {
    lt_http_listen_opt_t      opt;
    unsigned                  protocols_set:1;
    lt_array_t                servers;      /* lt_http_core_srv_conf_t *, in order */
    lt_http_core_srv_conf_t  *default_server;   /* marked "default_server", or NULL */
} lt_http_conf_addr_t;

typedef struct {
    int                       family;
    in_port_t                 port;
    lt_array_t                addrs;        /* lt_http_conf_addr_t */
} lt_http_conf_port_t;

typedef struct {
    lt_array_t                servers;      /* lt_http_core_srv_conf_t * */

    lt_http_phase_engine_t    phase_engine;

    lt_hash_t                 headers_in_hash;

    lt_hash_t                 variables_hash;
    lt_array_t                variables;            /* lt_http_variable_t, indexed */
    lt_array_t                prefix_variables;     /* lt_http_variable_t: $http_ ... */
    lt_array_t               *variables_keys;       /* configuration time only */

    unsigned                  ncaptures;

    size_t                    server_names_hash_max_size;
    size_t                    server_names_hash_bucket_size;
    size_t                    variables_hash_max_size;
    size_t                    variables_hash_bucket_size;

    lt_array_t               *ports;                /* lt_http_conf_port_t */

    lt_http_phase_t           phases[LT_HTTP_LOG_PHASE + 1];
} lt_http_core_main_conf_t;

/* error_page: codes to a URI (variables allowed), an optional override code */
typedef struct {
    unsigned                  status;
    int                       overwrite;    /* -1: keep; 0: "=": the page's own; else =code */
    lt_http_complex_value_t   value;
    lt_str_t                  args;
} lt_http_err_page_t;

/* try_files entries */
typedef struct {
    lt_http_complex_value_t   value;
    unsigned                  code:10;
    unsigned                  test_dir:1;
} lt_http_try_file_t;

typedef struct lt_http_location_tree_node_s  lt_http_location_tree_node_t;

struct lt_http_location_tree_node_s {
    lt_http_location_tree_node_t  *left;
    lt_http_location_tree_node_t  *right;
    lt_http_location_tree_node_t  *tree;    /* longer names that start with this one */

    lt_http_core_loc_conf_t       *exact;
    lt_http_core_loc_conf_t       *inclusive;

    unsigned                       auto_redirect:1;
    size_t                         len;
    u_char                        *name;
};

struct lt_http_core_loc_conf_s {
    lt_str_t                  name;         /* location's name, e.g. "/images/" */
    lt_http_regex_t          *regex;

    unsigned                  noname:1;     /* "if" and "limit_except" blocks */
    unsigned                  lmt_excpt:1;
    unsigned                  named:1;
    unsigned                  exact_match:1;
    unsigned                  noregex:1;    /* ^~ */
    unsigned                  auto_redirect:1;

    lt_http_location_tree_node_t  *static_locations;
    lt_http_core_loc_conf_t **regex_locations;  /* NULL-terminated */

    void                    **loc_conf;     /* this location's confs, by module */

    uint32_t                  limit_except;
    void                    **limit_except_loc_conf;

    lt_http_handler_pt        handler;      /* a content handler the location sets */

    size_t                    alias;        /* the location name's length when aliased */
    lt_str_t                  root;         /* root or alias */
    lt_http_complex_value_t  *root_values;  /* root/alias with variables, else NULL */

    lt_array_t               *types;        /* configuration time: lt_hash_key_t */
    lt_hash_t                 types_hash;
    lt_str_t                  default_type;

    off_t                     client_max_body_size;
    off_t                     directio;
    size_t                    client_body_buffer_size;
    size_t                    send_lowat;
    size_t                    postpone_output;
    size_t                    sendfile_max_chunk;
    lt_bufs_t                 output_buffers;   /* the copy filter's */
    size_t                    read_ahead;
    lt_open_file_cache_t     *open_file_cache;      /* NULL: off */
    time_t                    open_file_cache_valid;
    int                       open_file_cache_min_uses;
    int                       open_file_cache_errors;
    int                       open_file_cache_events;
    lt_http_complex_value_t  *limit_rate;
    lt_http_complex_value_t  *limit_rate_after;

    uint64_t                  client_body_timeout;
    uint64_t                  send_timeout;
    uint64_t                  resolver_timeout;
    struct lt_resolver_s     *resolver;     /* "resolver": NULL when none (core/lt_resolver.h) */
    uint64_t                  keepalive_timeout;
    uint64_t                  keepalive_time;
    uint64_t                  lingering_time;
    uint64_t                  lingering_timeout;
    time_t                    keepalive_header;

    unsigned                  keepalive_requests;
    unsigned                  keepalive_disable;
    unsigned                  lingering_close;
    unsigned                  if_modified_since;
    unsigned                  satisfy;
    unsigned                  max_ranges;
    unsigned                  client_body_in_file_only;
    unsigned                  server_tokens;

    int                       client_body_in_single_buffer;
    int                       internal;
    int                       sendfile;
    int                       tcp_nopush;
    int                       tcp_nodelay;
    int                       reset_timedout_connection;
    int                       absolute_redirect;
    int                       server_name_in_redirect;
    int                       port_in_redirect;
    int                       msie_padding;
    int                       msie_refresh;
    int                       log_not_found;
    int                       log_subrequest;
    int                       recursive_error_pages;
    int                       chunked_transfer_encoding;
    int                       etag;

    lt_path_t                *client_body_temp_path;

    lt_array_t               *error_pages;      /* lt_http_err_page_t */
    lt_array_t               *try_files;        /* lt_http_try_file_t, NULL: none */

    lt_log_t                 *error_log;

    lt_queue_t               *locations;        /* configuration time: nested ones */
};

/* configuration-time list of locations */
typedef struct {
    lt_queue_t                queue;
    lt_http_core_loc_conf_t  *exact;
    lt_http_core_loc_conf_t  *inclusive;
    lt_str_t                 *name;
    u_char                   *file_name;
    size_t                    line;
    lt_queue_t                list;
} lt_http_location_queue_t;

/* server_tokens */
#define LT_HTTP_SERVER_TOKENS_OFF    0
#define LT_HTTP_SERVER_TOKENS_ON     1
#define LT_HTTP_SERVER_TOKENS_BUILD  2

/* if_modified_since */
/* satisfy */
#define LT_HTTP_SATISFY_ALL  0
#define LT_HTTP_SATISFY_ANY  1

#define LT_HTTP_IMS_OFF     0
#define LT_HTTP_IMS_EXACT   1
#define LT_HTTP_IMS_BEFORE  2

/* keepalive_disable */
#define LT_HTTP_KEEPALIVE_DISABLE_NONE   0x0002
#define LT_HTTP_KEEPALIVE_DISABLE_MSIE6  0x0004
#define LT_HTTP_KEEPALIVE_DISABLE_SAFARI 0x0008

/* client_body_in_file_only */
#define LT_HTTP_REQUEST_BODY_FILE_OFF    0
#define LT_HTTP_REQUEST_BODY_FILE_ON     1
#define LT_HTTP_REQUEST_BODY_FILE_CLEAN  2

/* the phase checkers */
int lt_http_core_generic_phase(lt_http_request_t *r, lt_http_phase_handler_t *ph);
int lt_http_core_rewrite_phase(lt_http_request_t *r, lt_http_phase_handler_t *ph);
int lt_http_core_find_config_phase(lt_http_request_t *r, lt_http_phase_handler_t *ph);
int lt_http_core_post_rewrite_phase(lt_http_request_t *r, lt_http_phase_handler_t *ph);
int lt_http_core_access_phase(lt_http_request_t *r, lt_http_phase_handler_t *ph);
int lt_http_core_post_access_phase(lt_http_request_t *r, lt_http_phase_handler_t *ph);
int lt_http_core_content_phase(lt_http_request_t *r, lt_http_phase_handler_t *ph);

void lt_http_core_run_phases(lt_http_request_t *r);

/* lt_http_find_location: picks r->loc_conf for r->uri (exact, longest prefix, ^~,
 * regex, nested) */
int lt_http_core_find_location(lt_http_request_t *r);
/* lt_http_max_module: the number of HTTP modules (the size of r->ctx and of the
 * conf arrays), known once the http{} block is read */
extern size_t  lt_http_max_module;

/* lt_http_add_phase_handler: registers h in a phase (a module's
 * postconfiguration); handlers of one phase run in the reverse order of
 * registration */
int lt_http_add_phase_handler(lt_conf_t *cf, unsigned phase, lt_http_handler_pt h);

/* lt_http_open_file_info: of's cache settings (open_file_cache_valid, _min_uses,
 * _errors, read_ahead) for r's location; the rest zeroed */
void lt_http_open_file_info(lt_http_request_t *r, lt_open_file_info_t *of,
    unsigned test_only);

/* lt_http_stat: stat() of path (NUL-terminated) through the location's open file
 * cache; 0, or -1 with errno set */
int lt_http_stat(lt_http_request_t *r, const lt_str_t *path, struct stat *st);

/* lt_http_set_connection_log: the error_log of a level for c's messages: the
 * default server's while a request header is read, then the chosen server's,
 * then the location's */
void lt_http_set_connection_log(lt_connection_t *c, lt_log_t *log);

/* lt_http_update_location_config: applies a new r->loc_conf (limits, log, handler) */
void lt_http_update_location_config(lt_http_request_t *r);

/* lt_http_set_content_type: from the extension and types{}; default_type else */
int lt_http_set_content_type(lt_http_request_t *r);
void lt_http_set_exten(lt_http_request_t *r);
int lt_http_set_etag(lt_http_request_t *r);
void lt_http_weak_etag(lt_http_request_t *r);

/* lt_http_map_uri_to_path: root/alias + uri, NUL-terminated; *root_length is the
 * length of the document root part; reserved extra bytes at the end */
u_char *lt_http_map_uri_to_path(lt_http_request_t *r, lt_str_t *path, size_t *root_length,
    size_t reserved);

/* lt_http_auth_basic_user: the user and password of "Authorization: Basic"
 * into r->headers_in.user/passwd (once); LT_OK, LT_DECLINED (none, or not
 * valid Basic credentials), LT_ERROR */
int lt_http_auth_basic_user(lt_http_request_t *r);

/* lt_http_slash_redirect: sets Location to the URI (escaped) plus "/" and the
 * arguments; returns 301 (for a directory, or "/dir" of a proxying "/dir/") or
 * 500 */
int lt_http_slash_redirect(lt_http_request_t *r);

/* lt_http_send_response: "return CODE [TEXT|URL]" and the like */
int lt_http_send_response(lt_http_request_t *r, unsigned status, lt_str_t *ct,
    lt_http_complex_value_t *cv);

/* lt_http_link_multi_headers etc. later */

/* the text of a status code: "404 Not Found", or NULL for unknown */
const lt_str_t *lt_http_status_line(unsigned status);

/* lt_http_server_addr: the local address text of r's connection */
int lt_http_server_addr(lt_http_request_t *r, lt_str_t *s);

/* lt_http_find_virtual_server: the server{} for a host on c's address */
int lt_http_find_virtual_server(lt_connection_t *c, lt_http_addr_conf_t *addr_conf,
    lt_str_t *host, lt_http_request_t *r, lt_http_core_srv_conf_t **cscfp);

/* lt_http_add_listen: listen directive's result, recorded for the http{} init */
int lt_http_add_listen(lt_conf_t *cf, lt_http_core_srv_conf_t *cscf,
    lt_http_listen_opt_t *lsopt);
int lt_http_optimize_servers(lt_conf_t *cf, lt_http_core_main_conf_t *cmcf,
    lt_array_t *ports);

/* locations (lt_http_location.c) */
int lt_http_add_location(lt_conf_t *cf, lt_queue_t **locations,
    lt_http_core_loc_conf_t *clcf);
int lt_http_init_locations(lt_conf_t *cf, lt_http_core_srv_conf_t *cscf,
    lt_http_core_loc_conf_t *pclcf);
int lt_http_init_static_location_trees(lt_conf_t *cf, lt_http_core_loc_conf_t *pclcf);
int lt_http_core_find_static_location(lt_http_request_t *r,
    lt_http_location_tree_node_t *node);

/* lt_http_merge_servers: create/merge of every module's srv/loc confs */
char *lt_http_merge_servers(lt_conf_t *cf, lt_http_core_main_conf_t *cmcf,
    lt_module_t *module);

/* lt_http_gzip_ok etc. belong to the compression issue */

/* the directive handlers shared between the core module's files */
char *lt_http_core_listen(lt_conf_t *cf, lt_command_t *cmd, void *conf);
char *lt_http_core_server_name(lt_conf_t *cf, lt_command_t *cmd, void *conf);
char *lt_http_core_error_page(lt_conf_t *cf, lt_command_t *cmd, void *conf);
char *lt_http_core_try_files(lt_conf_t *cf, lt_command_t *cmd, void *conf);
int lt_http_core_postconfiguration(lt_conf_t *cf);

/* the response's "Location" made absolute as absolute_redirect/server_name_in_redirect/
 * port_in_redirect say */
int lt_http_absolute_location(lt_http_request_t *r, lt_str_t *location, lt_str_t *out);

#endif /* LT_HTTP_CORE_MODULE_H */
