/*
 * lt_http_core_module.c: the core HTTP directives (server, location, listen,
 * server_name, root, alias, limits and timeouts, types, error_page, ...) and
 * the create/merge of their conf structs. The phase checkers are in
 * lt_http_core_phases.c, the location tree in lt_http_location.c.
 */

#include "lt_http.h"
#include "lt_resolver.h"

static int lt_http_core_preconfiguration(lt_conf_t *cf);
static void *lt_http_core_create_main_conf(lt_conf_t *cf);
static char *lt_http_core_init_main_conf(lt_conf_t *cf, void *conf);
static void *lt_http_core_create_srv_conf(lt_conf_t *cf);
static char *lt_http_core_merge_srv_conf(lt_conf_t *cf, void *parent, void *child);
static void *lt_http_core_create_loc_conf(lt_conf_t *cf);
static char *lt_http_core_merge_loc_conf(lt_conf_t *cf, void *parent, void *child);

static char *lt_http_core_server(lt_conf_t *cf, lt_command_t *cmd, void *dummy);
static char *lt_http_core_location(lt_conf_t *cf, lt_command_t *cmd, void *dummy);
static char *lt_http_core_types(lt_conf_t *cf, lt_command_t *cmd, void *conf);
static char *lt_http_core_type(lt_conf_t *cf, lt_command_t *dummy, void *conf);
static char *lt_http_core_root(lt_conf_t *cf, lt_command_t *cmd, void *conf);
static char *lt_http_core_limit_except(lt_conf_t *cf, lt_command_t *cmd, void *conf);
static char *lt_http_core_keepalive(lt_conf_t *cf, lt_command_t *cmd, void *conf);
static char *lt_http_core_internal(lt_conf_t *cf, lt_command_t *cmd, void *conf);
static char *lt_http_core_error_log(lt_conf_t *cf, lt_command_t *cmd, void *conf);
static char *lt_http_core_accepted(lt_conf_t *cf, lt_command_t *cmd, void *conf);
static char *lt_http_core_open_file_cache(lt_conf_t *cf, lt_command_t *cmd, void *conf);
static char *lt_http_core_lowat_check(lt_conf_t *cf, lt_command_t *cmd, void *conf);

static const lt_conf_enum_t  lt_http_core_lingering_close[] = {
    { lt_string("off"), LT_HTTP_LINGERING_OFF },
    { lt_string("on"), LT_HTTP_LINGERING_ON },
    { lt_string("always"), LT_HTTP_LINGERING_ALWAYS },
    lt_conf_enum_end
};

static const lt_conf_enum_t  lt_http_core_if_modified_since[] = {
    { lt_string("off"), LT_HTTP_IMS_OFF },
    { lt_string("exact"), LT_HTTP_IMS_EXACT },
    { lt_string("before"), LT_HTTP_IMS_BEFORE },
    lt_conf_enum_end
};

static const lt_conf_enum_t  lt_http_core_satisfy[] = {
    { lt_string("all"), LT_HTTP_SATISFY_ALL },
    { lt_string("any"), LT_HTTP_SATISFY_ANY },
    lt_conf_enum_end
};

static const lt_conf_enum_t  lt_http_core_server_tokens[] = {
    { lt_string("off"), LT_HTTP_SERVER_TOKENS_OFF },
    { lt_string("on"), LT_HTTP_SERVER_TOKENS_ON },
    { lt_string("build"), LT_HTTP_SERVER_TOKENS_BUILD },
    lt_conf_enum_end
};

static const lt_conf_enum_t  lt_http_core_request_body_in_file[] = {
    { lt_string("off"), LT_HTTP_REQUEST_BODY_FILE_OFF },
    { lt_string("on"), LT_HTTP_REQUEST_BODY_FILE_ON },
    { lt_string("clean"), LT_HTTP_REQUEST_BODY_FILE_CLEAN },
    lt_conf_enum_end
};

static const lt_conf_bitmask_t  lt_http_core_keepalive_disable[] = {
    { lt_string("none"), LT_HTTP_KEEPALIVE_DISABLE_NONE },
    { lt_string("msie6"), LT_HTTP_KEEPALIVE_DISABLE_MSIE6 },
    { lt_string("safari"), LT_HTTP_KEEPALIVE_DISABLE_SAFARI },
    { lt_null_string, 0 }
};

static const lt_conf_num_bounds_t  lt_http_core_pool_bounds = { 80, INT_MAX };
static const lt_conf_num_bounds_t  lt_http_core_buffer_bounds = { 1, INT_MAX };
static const lt_conf_num_bounds_t  lt_http_core_max_ranges_bounds = { 0, INT_MAX };
static const lt_conf_num_bounds_t  lt_http_core_min_uses = { 1, INT_MAX };

#define LT_HTTP_MAIN   LT_CTX_HTTP
#define LT_HTTP_SRV    (LT_CTX_HTTP | LT_CTX_SERVER)
#define LT_HTTP_LOC    (LT_CTX_HTTP | LT_CTX_SERVER | LT_CTX_LOCATION)
#define LT_HTTP_LOCIF  (LT_HTTP_LOC | LT_CTX_LIF)

static lt_command_t  lt_http_core_commands[] = {

    { "variables_hash_max_size", LT_HTTP_MAIN, 1, 1, lt_conf_set_size_slot, LT_MAIN_CONF,
      offsetof(lt_http_core_main_conf_t, variables_hash_max_size), NULL },

    { "variables_hash_bucket_size", LT_HTTP_MAIN, 1, 1, lt_conf_set_size_slot, LT_MAIN_CONF,
      offsetof(lt_http_core_main_conf_t, variables_hash_bucket_size), NULL },

    { "server_names_hash_max_size", LT_HTTP_MAIN, 1, 1, lt_conf_set_size_slot, LT_MAIN_CONF,
      offsetof(lt_http_core_main_conf_t, server_names_hash_max_size), NULL },

    { "server_names_hash_bucket_size", LT_HTTP_MAIN, 1, 1, lt_conf_set_size_slot,
      LT_MAIN_CONF, offsetof(lt_http_core_main_conf_t, server_names_hash_bucket_size),
      NULL },

    { "server", LT_CTX_HTTP | LT_CONF_BLOCK, 0, 0, lt_http_core_server, 0, 0, NULL },

    { "connection_pool_size", LT_HTTP_SRV, 1, 1, lt_conf_set_size_slot, LT_SRV_CONF,
      offsetof(lt_http_core_srv_conf_t, connection_pool_size), &lt_http_core_pool_bounds },

    { "request_pool_size", LT_HTTP_SRV, 1, 1, lt_conf_set_size_slot, LT_SRV_CONF,
      offsetof(lt_http_core_srv_conf_t, request_pool_size), &lt_http_core_pool_bounds },

    { "client_header_timeout", LT_HTTP_SRV, 1, 1, lt_conf_set_msec_slot, LT_SRV_CONF,
      offsetof(lt_http_core_srv_conf_t, client_header_timeout), NULL },

    { "client_header_buffer_size", LT_HTTP_SRV, 1, 1, lt_conf_set_size_slot, LT_SRV_CONF,
      offsetof(lt_http_core_srv_conf_t, client_header_buffer_size),
      &lt_http_core_buffer_bounds },

    { "large_client_header_buffers", LT_HTTP_SRV, 2, 2, lt_conf_set_bufs_slot, LT_SRV_CONF,
      offsetof(lt_http_core_srv_conf_t, large_client_header_buffers), NULL },

    { "max_headers", LT_HTTP_SRV, 1, 1, lt_conf_set_int_slot, LT_SRV_CONF,
      offsetof(lt_http_core_srv_conf_t, max_headers), NULL },

    { "ignore_invalid_headers", LT_HTTP_SRV, 1, 1, lt_conf_set_flag_slot, LT_SRV_CONF,
      offsetof(lt_http_core_srv_conf_t, ignore_invalid_headers), NULL },

    { "merge_slashes", LT_HTTP_SRV, 1, 1, lt_conf_set_flag_slot, LT_SRV_CONF,
      offsetof(lt_http_core_srv_conf_t, merge_slashes), NULL },

    { "underscores_in_headers", LT_HTTP_SRV, 1, 1, lt_conf_set_flag_slot, LT_SRV_CONF,
      offsetof(lt_http_core_srv_conf_t, underscores_in_headers), NULL },

    { "location", LT_CTX_SERVER | LT_CTX_LOCATION | LT_CONF_BLOCK, 1, 2,
      lt_http_core_location, 0, 0, NULL },

    { "listen", LT_CTX_SERVER, 1, LT_CONF_MANY, lt_http_core_listen, LT_SRV_CONF, 0, NULL },

    { "server_name", LT_CTX_SERVER, 1, LT_CONF_MANY, lt_http_core_server_name, LT_SRV_CONF,
      0, NULL },

    { "types_hash_max_size", LT_HTTP_LOC, 1, 1, lt_http_core_accepted, 0, 0, NULL },

    { "types_hash_bucket_size", LT_HTTP_LOC, 1, 1, lt_http_core_accepted, 0, 0, NULL },

    { "types", LT_HTTP_LOC | LT_CONF_BLOCK, 0, 0, lt_http_core_types, LT_LOC_CONF, 0, NULL },

    { "default_type", LT_HTTP_LOC, 1, 1, lt_conf_set_str_slot, LT_LOC_CONF,
      offsetof(lt_http_core_loc_conf_t, default_type), NULL },

    { "root", LT_HTTP_LOCIF, 1, 1, lt_http_core_root, LT_LOC_CONF, 0, NULL },

    { "alias", LT_CTX_LOCATION, 1, 1, lt_http_core_root, LT_LOC_CONF, 0, NULL },

    { "limit_except", LT_CTX_LOCATION | LT_CONF_BLOCK, 1, LT_CONF_MANY,
      lt_http_core_limit_except, LT_LOC_CONF, 0, NULL },

    { "client_max_body_size", LT_HTTP_LOC, 1, 1, lt_conf_set_off_slot, LT_LOC_CONF,
      offsetof(lt_http_core_loc_conf_t, client_max_body_size), NULL },

    { "client_body_buffer_size", LT_HTTP_LOC, 1, 1, lt_conf_set_size_slot, LT_LOC_CONF,
      offsetof(lt_http_core_loc_conf_t, client_body_buffer_size),
      &lt_http_core_buffer_bounds },

    { "client_body_timeout", LT_HTTP_LOC, 1, 1, lt_conf_set_msec_slot, LT_LOC_CONF,
      offsetof(lt_http_core_loc_conf_t, client_body_timeout), NULL },

    { "client_body_temp_path", LT_HTTP_LOC, 1, 4, lt_conf_set_temp_path_slot,
      LT_LOC_CONF, offsetof(lt_http_core_loc_conf_t, client_body_temp_path), NULL },

    { "client_body_in_file_only", LT_HTTP_LOC, 1, 1, lt_conf_set_enum_slot, LT_LOC_CONF,
      offsetof(lt_http_core_loc_conf_t, client_body_in_file_only),
      lt_http_core_request_body_in_file },

    { "client_body_in_single_buffer", LT_HTTP_LOC, 1, 1, lt_conf_set_flag_slot, LT_LOC_CONF,
      offsetof(lt_http_core_loc_conf_t, client_body_in_single_buffer), NULL },

    { "sendfile", LT_HTTP_LOCIF, 1, 1, lt_conf_set_flag_slot, LT_LOC_CONF,
      offsetof(lt_http_core_loc_conf_t, sendfile), NULL },

    { "output_buffers", LT_HTTP_LOC, 2, 2, lt_conf_set_bufs_slot, LT_LOC_CONF,
      offsetof(lt_http_core_loc_conf_t, output_buffers), NULL },

    { "sendfile_max_chunk", LT_HTTP_LOC, 1, 1, lt_conf_set_size_slot, LT_LOC_CONF,
      offsetof(lt_http_core_loc_conf_t, sendfile_max_chunk), NULL },

    { "subrequest_output_buffer_size", LT_HTTP_LOC, 1, 1, lt_http_core_accepted, 0, 0,
      NULL },

    { "aio", LT_HTTP_LOC, 1, 1, lt_http_core_accepted, 0, 0, NULL },

    { "aio_write", LT_HTTP_LOC, 1, 1, lt_http_core_accepted, 0, 0, NULL },

    { "read_ahead", LT_HTTP_LOC, 1, 1, lt_conf_set_size_slot, LT_LOC_CONF,
      offsetof(lt_http_core_loc_conf_t, read_ahead), NULL },

    { "directio", LT_HTTP_LOC, 1, 1, lt_http_core_accepted, 0, 0, NULL },

    { "directio_alignment", LT_HTTP_LOC, 1, 1, lt_http_core_accepted, 0, 0, NULL },

    { "tcp_nopush", LT_HTTP_LOC, 1, 1, lt_conf_set_flag_slot, LT_LOC_CONF,
      offsetof(lt_http_core_loc_conf_t, tcp_nopush), NULL },

    { "tcp_nodelay", LT_HTTP_LOC, 1, 1, lt_conf_set_flag_slot, LT_LOC_CONF,
      offsetof(lt_http_core_loc_conf_t, tcp_nodelay), NULL },

    { "send_timeout", LT_HTTP_LOC, 1, 1, lt_conf_set_msec_slot, LT_LOC_CONF,
      offsetof(lt_http_core_loc_conf_t, send_timeout), NULL },

    { "resolver", LT_HTTP_LOC, 1, LT_CONF_MANY, lt_resolver_set_slot, LT_LOC_CONF,
      offsetof(lt_http_core_loc_conf_t, resolver), NULL },

    { "resolver_timeout", LT_HTTP_LOC, 1, 1, lt_conf_set_msec_slot, LT_LOC_CONF,
      offsetof(lt_http_core_loc_conf_t, resolver_timeout), NULL },

    { "send_lowat", LT_HTTP_LOC, 1, 1, lt_http_core_lowat_check, LT_LOC_CONF,
      offsetof(lt_http_core_loc_conf_t, send_lowat), NULL },

    { "postpone_output", LT_HTTP_LOC, 1, 1, lt_conf_set_size_slot, LT_LOC_CONF,
      offsetof(lt_http_core_loc_conf_t, postpone_output), NULL },

    { "limit_rate", LT_HTTP_LOCIF, 1, 1, lt_http_set_complex_value_size_slot, LT_LOC_CONF,
      offsetof(lt_http_core_loc_conf_t, limit_rate), NULL },

    { "limit_rate_after", LT_HTTP_LOCIF, 1, 1, lt_http_set_complex_value_size_slot,
      LT_LOC_CONF,
      offsetof(lt_http_core_loc_conf_t, limit_rate_after), NULL },

    { "keepalive_time", LT_HTTP_LOC, 1, 1, lt_conf_set_msec_slot, LT_LOC_CONF,
      offsetof(lt_http_core_loc_conf_t, keepalive_time), NULL },

    { "keepalive_timeout", LT_HTTP_LOC, 1, 2, lt_http_core_keepalive, LT_LOC_CONF, 0, NULL },

    { "keepalive_requests", LT_HTTP_LOC, 1, 1, lt_conf_set_int_slot, LT_LOC_CONF,
      offsetof(lt_http_core_loc_conf_t, keepalive_requests), NULL },

    { "keepalive_disable", LT_HTTP_LOC, 1, 2, lt_conf_set_bitmask_slot, LT_LOC_CONF,
      offsetof(lt_http_core_loc_conf_t, keepalive_disable), lt_http_core_keepalive_disable },

    { "internal", LT_CTX_LOCATION, 0, 0, lt_http_core_internal, LT_LOC_CONF, 0, NULL },

    { "satisfy", LT_HTTP_LOC, 1, 1, lt_conf_set_enum_slot, LT_LOC_CONF,
      offsetof(lt_http_core_loc_conf_t, satisfy), lt_http_core_satisfy },

    { "lingering_close", LT_HTTP_LOC, 1, 1, lt_conf_set_enum_slot, LT_LOC_CONF,
      offsetof(lt_http_core_loc_conf_t, lingering_close), lt_http_core_lingering_close },

    { "lingering_time", LT_HTTP_LOC, 1, 1, lt_conf_set_msec_slot, LT_LOC_CONF,
      offsetof(lt_http_core_loc_conf_t, lingering_time), NULL },

    { "lingering_timeout", LT_HTTP_LOC, 1, 1, lt_conf_set_msec_slot, LT_LOC_CONF,
      offsetof(lt_http_core_loc_conf_t, lingering_timeout), NULL },

    { "reset_timedout_connection", LT_HTTP_LOC, 1, 1, lt_conf_set_flag_slot, LT_LOC_CONF,
      offsetof(lt_http_core_loc_conf_t, reset_timedout_connection), NULL },

    { "absolute_redirect", LT_HTTP_LOC, 1, 1, lt_conf_set_flag_slot, LT_LOC_CONF,
      offsetof(lt_http_core_loc_conf_t, absolute_redirect), NULL },

    { "server_name_in_redirect", LT_HTTP_LOC, 1, 1, lt_conf_set_flag_slot, LT_LOC_CONF,
      offsetof(lt_http_core_loc_conf_t, server_name_in_redirect), NULL },

    { "port_in_redirect", LT_HTTP_LOC, 1, 1, lt_conf_set_flag_slot, LT_LOC_CONF,
      offsetof(lt_http_core_loc_conf_t, port_in_redirect), NULL },

    { "msie_padding", LT_HTTP_LOC, 1, 1, lt_conf_set_flag_slot, LT_LOC_CONF,
      offsetof(lt_http_core_loc_conf_t, msie_padding), NULL },

    { "msie_refresh", LT_HTTP_LOC, 1, 1, lt_conf_set_flag_slot, LT_LOC_CONF,
      offsetof(lt_http_core_loc_conf_t, msie_refresh), NULL },

    { "log_not_found", LT_HTTP_LOC, 1, 1, lt_conf_set_flag_slot, LT_LOC_CONF,
      offsetof(lt_http_core_loc_conf_t, log_not_found), NULL },

    { "log_subrequest", LT_HTTP_LOC, 1, 1, lt_conf_set_flag_slot, LT_LOC_CONF,
      offsetof(lt_http_core_loc_conf_t, log_subrequest), NULL },

    { "recursive_error_pages", LT_HTTP_LOC, 1, 1, lt_conf_set_flag_slot, LT_LOC_CONF,
      offsetof(lt_http_core_loc_conf_t, recursive_error_pages), NULL },

    { "server_tokens", LT_HTTP_LOC, 1, 1, lt_conf_set_enum_slot, LT_LOC_CONF,
      offsetof(lt_http_core_loc_conf_t, server_tokens), lt_http_core_server_tokens },

    { "if_modified_since", LT_HTTP_LOC, 1, 1, lt_conf_set_enum_slot, LT_LOC_CONF,
      offsetof(lt_http_core_loc_conf_t, if_modified_since), lt_http_core_if_modified_since },

    { "max_ranges", LT_HTTP_LOC, 1, 1, lt_conf_set_int_slot, LT_LOC_CONF,
      offsetof(lt_http_core_loc_conf_t, max_ranges), &lt_http_core_max_ranges_bounds },

    { "chunked_transfer_encoding", LT_HTTP_LOC, 1, 1, lt_conf_set_flag_slot, LT_LOC_CONF,
      offsetof(lt_http_core_loc_conf_t, chunked_transfer_encoding), NULL },

    { "etag", LT_HTTP_LOC, 1, 1, lt_conf_set_flag_slot, LT_LOC_CONF,
      offsetof(lt_http_core_loc_conf_t, etag), NULL },

    { "error_page", LT_HTTP_LOCIF, 2, LT_CONF_MANY, lt_http_core_error_page, LT_LOC_CONF, 0,
      NULL },

    { "try_files", LT_CTX_SERVER | LT_CTX_LOCATION, 2, LT_CONF_MANY, lt_http_core_try_files,
      LT_LOC_CONF, 0, NULL },

    { "error_log", LT_HTTP_LOC, 1, LT_CONF_MANY, lt_http_core_error_log, LT_LOC_CONF, 0,
      NULL },

    { "open_file_cache", LT_HTTP_LOC, 1, 2, lt_http_core_open_file_cache, LT_LOC_CONF,
      offsetof(lt_http_core_loc_conf_t, open_file_cache), NULL },

    { "open_file_cache_valid", LT_HTTP_LOC, 1, 1, lt_conf_set_sec_slot, LT_LOC_CONF,
      offsetof(lt_http_core_loc_conf_t, open_file_cache_valid), NULL },

    { "open_file_cache_min_uses", LT_HTTP_LOC, 1, 1, lt_conf_set_int_slot, LT_LOC_CONF,
      offsetof(lt_http_core_loc_conf_t, open_file_cache_min_uses), &lt_http_core_min_uses },

    { "open_file_cache_errors", LT_HTTP_LOC, 1, 1, lt_conf_set_flag_slot, LT_LOC_CONF,
      offsetof(lt_http_core_loc_conf_t, open_file_cache_errors), NULL },

    /* Linux has no file events to watch: as on nginx's epoll builds, no effect */
    { "open_file_cache_events", LT_HTTP_LOC, 1, 1, lt_conf_set_flag_slot, LT_LOC_CONF,
      offsetof(lt_http_core_loc_conf_t, open_file_cache_events), NULL },

    lt_null_command
};

lt_module_t  lt_http_core_module = {
    .name = "http_core",
    .type = LT_HTTP_MODULE,
    .commands = lt_http_core_commands,
    .preconfiguration = lt_http_core_preconfiguration,
    .postconfiguration = lt_http_core_postconfiguration,
    .create_main_conf = lt_http_core_create_main_conf,
    .init_main_conf = lt_http_core_init_main_conf,
    .create_srv_conf = lt_http_core_create_srv_conf,
    .merge_srv_conf = lt_http_core_merge_srv_conf,
    .create_loc_conf = lt_http_core_create_loc_conf,
    .merge_loc_conf = lt_http_core_merge_loc_conf,
};


static int
lt_http_core_preconfiguration(lt_conf_t *cf)
{
    return lt_http_variables_add_core_vars(cf);
}


static void *
lt_http_core_create_main_conf(lt_conf_t *cf)
{
    lt_http_core_main_conf_t  *cmcf;

    cmcf = lt_pcalloc(cf->pool, sizeof(lt_http_core_main_conf_t));
    if (cmcf == NULL) {
        return NULL;
    }

    if (lt_array_init(&cmcf->servers, cf->pool, 4, sizeof(lt_http_core_srv_conf_t *))
        != LT_OK)
    {
        return NULL;
    }

    cmcf->server_names_hash_max_size = LT_CONF_UNSET_SIZE;
    cmcf->server_names_hash_bucket_size = LT_CONF_UNSET_SIZE;
    cmcf->variables_hash_max_size = LT_CONF_UNSET_SIZE;
    cmcf->variables_hash_bucket_size = LT_CONF_UNSET_SIZE;

    return cmcf;
}


static char *
lt_http_core_init_main_conf(lt_conf_t *cf, void *conf)
{
    lt_http_core_main_conf_t  *cmcf = conf;

    /* lintel's hashes size themselves; the directives are accepted for nginx's
     * configurations and kept for $variables that may report them */
    lt_conf_init_size_value(cmcf->server_names_hash_max_size, 512);
    lt_conf_init_size_value(cmcf->server_names_hash_bucket_size, 64);
    lt_conf_init_size_value(cmcf->variables_hash_max_size, 1024);
    lt_conf_init_size_value(cmcf->variables_hash_bucket_size, 64);

    if (cmcf->ncaptures) {
        cmcf->ncaptures = (cmcf->ncaptures + 1) * 3;
    }

    return LT_CONF_OK;
}


static void *
lt_http_core_create_srv_conf(lt_conf_t *cf)
{
    lt_http_core_srv_conf_t  *cscf;

    cscf = lt_pcalloc(cf->pool, sizeof(lt_http_core_srv_conf_t));
    if (cscf == NULL) {
        return NULL;
    }

    if (lt_array_init(&cscf->server_names, cf->temp_pool, 4, sizeof(lt_http_server_name_t))
        != LT_OK)
    {
        return NULL;
    }

    cscf->connection_pool_size = LT_CONF_UNSET_SIZE;
    cscf->request_pool_size = LT_CONF_UNSET_SIZE;
    cscf->client_header_timeout = LT_CONF_UNSET_MSEC;
    cscf->client_header_buffer_size = LT_CONF_UNSET_SIZE;
    cscf->max_headers = LT_CONF_UNSET;
    cscf->ignore_invalid_headers = LT_CONF_UNSET;
    cscf->merge_slashes = LT_CONF_UNSET;
    cscf->underscores_in_headers = LT_CONF_UNSET;

    cscf->file_name = cf->conf_file ? cf->conf_file->name.data : NULL;
    cscf->line = cf->conf_file ? cf->conf_file->line : 0;

    return cscf;
}


static char *
lt_http_core_merge_srv_conf(lt_conf_t *cf, void *parent, void *child)
{
    lt_http_core_srv_conf_t  *prev = parent;
    lt_http_core_srv_conf_t  *conf = child;
    lt_http_server_name_t    *sn;

    lt_conf_merge_size_value(conf->connection_pool_size, prev->connection_pool_size, 512);
    lt_conf_merge_size_value(conf->request_pool_size, prev->request_pool_size, 4096);
    lt_conf_merge_msec_value(conf->client_header_timeout, prev->client_header_timeout,
                             60000);
    lt_conf_merge_size_value(conf->client_header_buffer_size,
                             prev->client_header_buffer_size, 1024);

    lt_conf_merge_bufs_value(conf->large_client_header_buffers,
                             prev->large_client_header_buffers, 4, 8192);

    if (conf->large_client_header_buffers.size < conf->connection_pool_size) {
        lt_conf_log_error(LT_LOG_EMERG, cf, 0, "the \"large_client_header_buffers\" size "
                          "must be equal to or greater than \"connection_pool_size\"");
        return LT_CONF_ERROR;
    }

    lt_conf_merge_value(conf->max_headers, prev->max_headers, 1000);
    lt_conf_merge_value(conf->ignore_invalid_headers, prev->ignore_invalid_headers, 1);
    lt_conf_merge_value(conf->merge_slashes, prev->merge_slashes, 1);
    lt_conf_merge_value(conf->underscores_in_headers, prev->underscores_in_headers, 0);

    if (conf->server_names.nelts == 0) {
        /* the server has no server_name: "" (requests without Host) */
        sn = lt_array_push(&conf->server_names);
        if (sn == NULL) {
            return LT_CONF_ERROR;
        }

        sn->regex = NULL;
        sn->server = conf;
        lt_str_set(&sn->name, "");
    }

    sn = conf->server_names.elts;

    if (conf->server_name.data == NULL) {
        /* a regex server's $server_name is its pattern, as in nginx; ".example.com"
         * is "example.com" */
        conf->server_name = sn[0].name;

        if (sn[0].regex == NULL && conf->server_name.len > 1
            && conf->server_name.data[0] == '.')
        {
            conf->server_name.data++;
            conf->server_name.len--;
        }
    }

    return LT_CONF_OK;
}


static void *
lt_http_core_create_loc_conf(lt_conf_t *cf)
{
    lt_http_core_loc_conf_t  *clcf;

    clcf = lt_pcalloc(cf->pool, sizeof(lt_http_core_loc_conf_t));
    if (clcf == NULL) {
        return NULL;
    }

    clcf->client_max_body_size = LT_CONF_UNSET;
    clcf->client_body_buffer_size = LT_CONF_UNSET_SIZE;
    clcf->client_body_timeout = LT_CONF_UNSET_MSEC;
    clcf->client_body_in_file_only = LT_CONF_UNSET_UINT;
    clcf->client_body_in_single_buffer = LT_CONF_UNSET;
    clcf->internal = LT_CONF_UNSET;
    clcf->sendfile = LT_CONF_UNSET;
    clcf->sendfile_max_chunk = LT_CONF_UNSET_SIZE;
    clcf->read_ahead = LT_CONF_UNSET_SIZE;
    clcf->open_file_cache = LT_CONF_UNSET_PTR;
    clcf->open_file_cache_valid = LT_CONF_UNSET;
    clcf->open_file_cache_min_uses = LT_CONF_UNSET;
    clcf->open_file_cache_errors = LT_CONF_UNSET;
    clcf->open_file_cache_events = LT_CONF_UNSET;
    clcf->tcp_nopush = LT_CONF_UNSET;
    clcf->tcp_nodelay = LT_CONF_UNSET;
    clcf->send_timeout = LT_CONF_UNSET_MSEC;
    clcf->resolver_timeout = LT_CONF_UNSET_MSEC;
    clcf->resolver = NULL;
    clcf->send_lowat = LT_CONF_UNSET_SIZE;
    clcf->postpone_output = LT_CONF_UNSET_SIZE;
    clcf->limit_rate = LT_CONF_UNSET_PTR;
    clcf->limit_rate_after = LT_CONF_UNSET_PTR;
    clcf->keepalive_time = LT_CONF_UNSET_MSEC;
    clcf->keepalive_timeout = LT_CONF_UNSET_MSEC;
    clcf->keepalive_header = LT_CONF_UNSET;
    clcf->keepalive_requests = LT_CONF_UNSET_UINT;
    clcf->lingering_close = LT_CONF_UNSET_UINT;
    clcf->lingering_time = LT_CONF_UNSET_MSEC;
    clcf->lingering_timeout = LT_CONF_UNSET_MSEC;
    clcf->reset_timedout_connection = LT_CONF_UNSET;
    clcf->absolute_redirect = LT_CONF_UNSET;
    clcf->server_name_in_redirect = LT_CONF_UNSET;
    clcf->port_in_redirect = LT_CONF_UNSET;
    clcf->msie_padding = LT_CONF_UNSET;
    clcf->msie_refresh = LT_CONF_UNSET;
    clcf->log_not_found = LT_CONF_UNSET;
    clcf->log_subrequest = LT_CONF_UNSET;
    clcf->recursive_error_pages = LT_CONF_UNSET;
    clcf->chunked_transfer_encoding = LT_CONF_UNSET;
    clcf->etag = LT_CONF_UNSET;
    clcf->server_tokens = LT_CONF_UNSET_UINT;
    clcf->if_modified_since = LT_CONF_UNSET_UINT;
    clcf->satisfy = LT_CONF_UNSET_UINT;
    clcf->max_ranges = LT_CONF_UNSET_UINT;
    clcf->types_hash.elts = NULL;
    clcf->error_pages = LT_CONF_UNSET_PTR;
    clcf->try_files = LT_CONF_UNSET_PTR;
    clcf->client_body_temp_path = LT_CONF_UNSET_PTR;

    return clcf;
}


/* the default types{} when none is configured: text/html for .html, as nginx */
static int
lt_http_core_default_types(lt_conf_t *cf, lt_http_core_loc_conf_t *conf)
{
    lt_hash_key_t  *type;

    conf->types = lt_array_create(cf->temp_pool, 3, sizeof(lt_hash_key_t));
    if (conf->types == NULL) {
        return LT_ERROR;
    }

    type = lt_array_push_n(conf->types, 3);
    if (type == NULL) {
        return LT_ERROR;
    }

    lt_str_set(&type[0].key, "html");
    type[0].value = &type[0].key;
    lt_str_set(&type[1].key, "gif");
    lt_str_set(&type[2].key, "jpg");

    {
        static lt_str_t  html = lt_string("text/html");
        static lt_str_t  gif = lt_string("image/gif");
        static lt_str_t  jpg = lt_string("image/jpeg");

        type[0].value = &html;
        type[1].value = &gif;
        type[2].value = &jpg;
    }

    return LT_OK;
}


static char *
lt_http_core_merge_types(lt_conf_t *cf, lt_http_core_loc_conf_t *prev,
    lt_http_core_loc_conf_t *conf)
{
    size_t  dup;

    if (conf->types == NULL && conf->types_hash.elts == NULL) {
        if (prev->types && prev->types_hash.elts == NULL) {
            conf->types = prev->types;

        } else if (prev->types_hash.elts) {
            conf->types_hash = prev->types_hash;
            return LT_CONF_OK;
        }
    }

    if (conf->types == NULL) {
        if (lt_http_core_default_types(cf, conf) != LT_OK) {
            return LT_CONF_ERROR;
        }
    }

    if (conf->types_hash.elts == NULL) {
        if (lt_hash_init(&conf->types_hash, cf->pool, conf->types->elts, conf->types->nelts,
                         LT_HASH_CASELESS, &dup) != LT_OK)
        {
            /* duplicates are refused when the types{} block is read */
            return LT_CONF_ERROR;
        }

        if (prev->types == conf->types) {
            prev->types_hash = conf->types_hash;
        }
    }

    return LT_CONF_OK;
}


static void
lt_http_core_merge_timeouts(lt_http_core_loc_conf_t *prev, lt_http_core_loc_conf_t *conf)
{
    lt_conf_merge_msec_value(conf->client_body_timeout, prev->client_body_timeout, 60000);
    lt_conf_merge_msec_value(conf->send_timeout, prev->send_timeout, 60000);
    lt_conf_merge_msec_value(conf->resolver_timeout, prev->resolver_timeout, 30000);

    if (conf->resolver == NULL) {
        conf->resolver = prev->resolver;
    }

    lt_conf_merge_msec_value(conf->keepalive_time, prev->keepalive_time, 3600000);
    lt_conf_merge_msec_value(conf->keepalive_timeout, prev->keepalive_timeout, 75000);
    lt_conf_merge_sec_value(conf->keepalive_header, prev->keepalive_header, 0);
    lt_conf_merge_uint_value(conf->keepalive_requests, prev->keepalive_requests, 1000);
    lt_conf_merge_bitmask_value(conf->keepalive_disable, prev->keepalive_disable,
                                LT_HTTP_KEEPALIVE_DISABLE_MSIE6);
    lt_conf_merge_uint_value(conf->lingering_close, prev->lingering_close,
                             LT_HTTP_LINGERING_ON);
    lt_conf_merge_msec_value(conf->lingering_time, prev->lingering_time, 30000);
    lt_conf_merge_msec_value(conf->lingering_timeout, prev->lingering_timeout, 5000);
}


static char *
lt_http_core_merge_loc_conf(lt_conf_t *cf, void *parent, void *child)
{
    lt_http_core_loc_conf_t  *prev = parent;
    lt_http_core_loc_conf_t  *conf = child;

    if (conf->root.data == NULL) {
        conf->alias = prev->alias;
        conf->root = prev->root;
        conf->root_values = prev->root_values;

        if (prev->root.data == NULL) {
            lt_str_set(&conf->root, "html");

            if (lt_conf_full_name(cf->cycle, &conf->root, 0) != LT_OK) {
                return LT_CONF_ERROR;
            }
        }
    }

    if (lt_http_core_merge_types(cf, prev, conf) != LT_CONF_OK) {
        return LT_CONF_ERROR;
    }

    if (conf->default_type.data == NULL) {
        if (prev->default_type.data) {
            conf->default_type = prev->default_type;
        } else {
            lt_str_set(&conf->default_type, "text/plain");
        }
    }

    if (conf->error_log == NULL) {
        conf->error_log = prev->error_log ? prev->error_log : &cf->cycle->new_log;
    }

    lt_conf_merge_ptr_value(conf->error_pages, prev->error_pages, NULL);
    /* not inherited, as in nginx: a server's try_files is for requests that
     * match no location */
    if (conf->try_files == LT_CONF_UNSET_PTR) {
        conf->try_files = NULL;
    }

    lt_conf_merge_off_value(conf->client_max_body_size, prev->client_max_body_size,
                            1024 * 1024);
    lt_conf_merge_size_value(conf->client_body_buffer_size, prev->client_body_buffer_size,
                             (size_t) 2 * lt_pagesize);
    lt_conf_merge_uint_value(conf->client_body_in_file_only,
                             prev->client_body_in_file_only,
                             LT_HTTP_REQUEST_BODY_FILE_OFF);
    lt_conf_merge_value(conf->client_body_in_single_buffer,
                        prev->client_body_in_single_buffer, 0);
    lt_conf_merge_value(conf->internal, prev->internal, 0);
    lt_conf_merge_value(conf->sendfile, prev->sendfile, 0);
    lt_conf_merge_bufs_value(conf->output_buffers, prev->output_buffers, 2, 32768);
    lt_conf_merge_size_value(conf->sendfile_max_chunk, prev->sendfile_max_chunk,
                             2 * 1024 * 1024);
    lt_conf_merge_size_value(conf->read_ahead, prev->read_ahead, 0);
    lt_conf_merge_ptr_value(conf->open_file_cache, prev->open_file_cache, NULL);
    lt_conf_merge_sec_value(conf->open_file_cache_valid, prev->open_file_cache_valid, 60);
    lt_conf_merge_value(conf->open_file_cache_min_uses, prev->open_file_cache_min_uses, 1);
    lt_conf_merge_value(conf->open_file_cache_errors, prev->open_file_cache_errors, 0);
    lt_conf_merge_value(conf->open_file_cache_events, prev->open_file_cache_events, 0);
    lt_conf_merge_value(conf->tcp_nopush, prev->tcp_nopush, 0);
    lt_conf_merge_value(conf->tcp_nodelay, prev->tcp_nodelay, 1);
    lt_conf_merge_size_value(conf->send_lowat, prev->send_lowat, 0);
    lt_conf_merge_size_value(conf->postpone_output, prev->postpone_output, 1460);
    lt_conf_merge_ptr_value(conf->limit_rate, prev->limit_rate, NULL);
    lt_conf_merge_ptr_value(conf->limit_rate_after, prev->limit_rate_after, NULL);

    lt_http_core_merge_timeouts(prev, conf);

    lt_conf_merge_value(conf->reset_timedout_connection, prev->reset_timedout_connection, 0);
    lt_conf_merge_value(conf->absolute_redirect, prev->absolute_redirect, 1);
    lt_conf_merge_value(conf->server_name_in_redirect, prev->server_name_in_redirect, 0);
    lt_conf_merge_value(conf->port_in_redirect, prev->port_in_redirect, 1);
    lt_conf_merge_value(conf->msie_padding, prev->msie_padding, 1);
    lt_conf_merge_value(conf->msie_refresh, prev->msie_refresh, 0);
    lt_conf_merge_value(conf->log_not_found, prev->log_not_found, 1);
    lt_conf_merge_value(conf->log_subrequest, prev->log_subrequest, 0);
    lt_conf_merge_value(conf->recursive_error_pages, prev->recursive_error_pages, 0);
    lt_conf_merge_value(conf->chunked_transfer_encoding, prev->chunked_transfer_encoding, 1);
    lt_conf_merge_value(conf->etag, prev->etag, 1);
    lt_conf_merge_uint_value(conf->server_tokens, prev->server_tokens,
                             LT_HTTP_SERVER_TOKENS_ON);
    lt_conf_merge_uint_value(conf->if_modified_since, prev->if_modified_since,
                             LT_HTTP_IMS_EXACT);
    lt_conf_merge_uint_value(conf->satisfy, prev->satisfy, LT_HTTP_SATISFY_ALL);
    lt_conf_merge_uint_value(conf->max_ranges, prev->max_ranges, UINT_MAX);

    if (conf->client_body_temp_path == LT_CONF_UNSET_PTR) {
        conf->client_body_temp_path = prev->client_body_temp_path;
    }

    if (conf->client_body_temp_path == LT_CONF_UNSET_PTR) {
        lt_str_t  *name;

        name = lt_palloc(cf->pool, sizeof(lt_str_t));
        conf->client_body_temp_path = lt_pcalloc(cf->pool, sizeof(lt_path_t));
        if (name == NULL || conf->client_body_temp_path == NULL) {
            return LT_CONF_ERROR;
        }

        lt_str_set(name, LT_HTTP_CLIENT_TEMP_PATH);
        if (lt_conf_full_name(cf->cycle, name, 0) != LT_OK) {
            return LT_CONF_ERROR;
        }

        conf->client_body_temp_path->name = *name;

        if (lt_add_path(cf, &conf->client_body_temp_path) != LT_OK) {
            return LT_CONF_ERROR;
        }

        prev->client_body_temp_path = conf->client_body_temp_path;
    }

    return LT_CONF_OK;
}


/* lt_http_create_level: the confs of a server{} or location{} level */
static lt_http_conf_ctx_t *
lt_http_create_level(lt_conf_t *cf, int server)
{
    size_t               i, n;
    lt_module_t         *m;
    lt_http_conf_ctx_t  *ctx, *pctx;

    pctx = cf->ctx;
    n = lt_count_modules(LT_HTTP_MODULE);

    ctx = lt_pcalloc(cf->pool, sizeof(lt_http_conf_ctx_t));
    if (ctx == NULL) {
        return NULL;
    }

    ctx->main_conf = pctx->main_conf;
    ctx->srv_conf = server ? lt_pcalloc(cf->pool, n * sizeof(void *)) : pctx->srv_conf;
    ctx->loc_conf = lt_pcalloc(cf->pool, n * sizeof(void *));

    if (ctx->srv_conf == NULL || ctx->loc_conf == NULL) {
        return NULL;
    }

    for (i = 0; lt_modules[i]; i++) {
        m = lt_modules[i];

        if (m->type != LT_HTTP_MODULE) {
            continue;
        }

        if (server && m->create_srv_conf) {
            ctx->srv_conf[m->ctx_index] = m->create_srv_conf(cf);
            if (ctx->srv_conf[m->ctx_index] == NULL) {
                return NULL;
            }
        }

        if (m->create_loc_conf) {
            ctx->loc_conf[m->ctx_index] = m->create_loc_conf(cf);
            if (ctx->loc_conf[m->ctx_index] == NULL) {
                return NULL;
            }
        }
    }

    return ctx;
}


/* lt_http_default_listen: a server{} without listen: *:80, or *:8000 when not
 * started as root, as nginx does */
static int
lt_http_default_listen(lt_conf_t *cf, lt_http_core_srv_conf_t *cscf)
{
    struct sockaddr_in    *sin;
    lt_http_listen_opt_t   lsopt;

    lt_memzero(&lsopt, sizeof(lt_http_listen_opt_t));

    sin = lt_pcalloc(cf->pool, sizeof(struct sockaddr_in));
    if (sin == NULL) {
        return LT_ERROR;
    }

    sin->sin_family = AF_INET;
    sin->sin_port = htons(getuid() == 0 ? 80 : 8000);
    sin->sin_addr.s_addr = INADDR_ANY;

    lsopt.sockaddr = (struct sockaddr *) sin;
    lsopt.socklen = sizeof(struct sockaddr_in);
    lsopt.backlog = 511;
    lsopt.rcvbuf = -1;
    lsopt.sndbuf = -1;
    lsopt.fastopen = -1;
    lsopt.wildcard = 1;
    lsopt.ipv6only = 1;

    lsopt.addr_text.data = lt_pnalloc(cf->pool, LT_SOCKADDR_STRLEN);
    if (lsopt.addr_text.data == NULL) {
        return LT_ERROR;
    }

    lsopt.addr_text.len = lt_sock_ntop(lsopt.sockaddr, lsopt.socklen, lsopt.addr_text.data,
                                       LT_SOCKADDR_STRLEN, 1);

    return lt_http_add_listen(cf, cscf, &lsopt);
}


static char *
lt_http_core_server(lt_conf_t *cf, lt_command_t *cmd, void *dummy)
{
    char                       *rv;
    lt_conf_t                   pcf;
    lt_http_conf_ctx_t         *ctx;
    lt_http_core_srv_conf_t    *cscf, **cscfp;
    lt_http_core_main_conf_t   *cmcf;

    ctx = lt_http_create_level(cf, 1);
    if (ctx == NULL) {
        return LT_CONF_ERROR;
    }

    /* the server configuration context */

    cscf = ctx->srv_conf[lt_http_core_module.ctx_index];
    cscf->ctx = ctx;

    cmcf = ctx->main_conf[lt_http_core_module.ctx_index];

    cscfp = lt_array_push(&cmcf->servers);
    if (cscfp == NULL) {
        return LT_CONF_ERROR;
    }

    *cscfp = cscf;

    pcf = *cf;
    cf->ctx = ctx;
    cf->cmd_type = LT_CTX_SERVER;

    rv = lt_conf_parse(cf, NULL);

    *cf = pcf;

    if (rv == LT_CONF_OK && !cscf->listen) {
        if (lt_http_default_listen(cf, cscf) != LT_OK) {
            return LT_CONF_ERROR;
        }
    }

    return rv;
}


/* lt_http_core_location_name: the modifier and name of a location */
static char *
lt_http_core_location_name(lt_conf_t *cf, lt_http_core_loc_conf_t *clcf)
{
    lt_str_t            *value, *name, mod;
    lt_regex_compile_t   rc;
    unsigned             regex, caseless;

    value = cf->args->elts;
    regex = 0;
    caseless = 0;

    if (cf->args->nelts == 3) {
        mod = value[1];
        name = &value[2];

        if (lt_str_eq(&mod, "=")) {
            clcf->exact_match = 1;
        } else if (lt_str_eq(&mod, "^~")) {
            clcf->noregex = 1;
        } else if (lt_str_eq(&mod, "~")) {
            regex = 1;
        } else if (lt_str_eq(&mod, "~*")) {
            regex = 1;
            caseless = 1;
        } else {
            lt_conf_log_error(LT_LOG_EMERG, cf, 0, "invalid location modifier \"%s\"",
                              mod.data);
            return LT_CONF_ERROR;
        }

        clcf->name = *name;

    } else {
        name = &value[1];
        clcf->name = *name;

        if (name->len && name->data[0] == '=') {
            clcf->name.len--;
            clcf->name.data++;
            clcf->exact_match = 1;

        } else if (name->len > 1 && name->data[0] == '^' && name->data[1] == '~') {
            clcf->name.len -= 2;
            clcf->name.data += 2;
            clcf->noregex = 1;

        } else if (name->len && name->data[0] == '~') {
            clcf->name.len--;
            clcf->name.data++;
            regex = 1;

            if (clcf->name.len && clcf->name.data[0] == '*') {
                clcf->name.len--;
                clcf->name.data++;
                caseless = 1;
            }

        } else if (name->len && name->data[0] == '@') {
            clcf->named = 1;
        }
    }

    if (!regex) {
        return LT_CONF_OK;
    }

    lt_memzero(&rc, sizeof(lt_regex_compile_t));
    rc.pattern = clcf->name;
    rc.pool = cf->pool;
    rc.options = caseless ? LT_REGEX_CASELESS : 0;

    clcf->regex = lt_http_regex_compile(cf, &rc);

    return clcf->regex ? LT_CONF_OK : LT_CONF_ERROR;
}


/* lt_http_core_check_nesting: the rules for a location inside another */
static char *
lt_http_core_check_nesting(lt_conf_t *cf, lt_http_core_loc_conf_t *clcf,
    lt_http_core_loc_conf_t *pclcf)
{
    if (pclcf->exact_match) {
        lt_conf_log_error(LT_LOG_EMERG, cf, 0, "location \"%.*s\" cannot be inside "
                          "the exact location \"%.*s\"", (int) clcf->name.len,
                          clcf->name.data, (int) pclcf->name.len, pclcf->name.data);
        return LT_CONF_ERROR;
    }

    if (pclcf->named) {
        lt_conf_log_error(LT_LOG_EMERG, cf, 0, "location \"%.*s\" cannot be inside "
                          "the named location \"%.*s\"", (int) clcf->name.len,
                          clcf->name.data, (int) pclcf->name.len, pclcf->name.data);
        return LT_CONF_ERROR;
    }

    if (clcf->named) {
        lt_conf_log_error(LT_LOG_EMERG, cf, 0, "named location \"%.*s\" can be "
                          "on the server level only", (int) clcf->name.len, clcf->name.data);
        return LT_CONF_ERROR;
    }

    /* (as nginx: a prefix location inside a regex location is compared with the
     * pattern, so it is practically always refused) */
    if (!clcf->regex
        && (clcf->name.len < pclcf->name.len
            || memcmp(clcf->name.data, pclcf->name.data, pclcf->name.len) != 0))
    {
        lt_conf_log_error(LT_LOG_EMERG, cf, 0, "location \"%.*s\" is outside location "
                          "\"%.*s\"", (int) clcf->name.len, clcf->name.data,
                          (int) pclcf->name.len, pclcf->name.data);
        return LT_CONF_ERROR;
    }

    return LT_CONF_OK;
}


static char *
lt_http_core_location(lt_conf_t *cf, lt_command_t *cmd, void *dummy)
{
    char                      *rv;
    lt_conf_t                  save;
    lt_http_conf_ctx_t        *ctx, *pctx;
    lt_http_core_loc_conf_t   *clcf, *pclcf;

    pctx = cf->ctx;

    ctx = lt_http_create_level(cf, 0);
    if (ctx == NULL) {
        return LT_CONF_ERROR;
    }

    clcf = ctx->loc_conf[lt_http_core_module.ctx_index];
    clcf->loc_conf = ctx->loc_conf;

    if (lt_http_core_location_name(cf, clcf) != LT_CONF_OK) {
        return LT_CONF_ERROR;
    }

    pclcf = pctx->loc_conf[lt_http_core_module.ctx_index];

    if (cf->cmd_type == LT_CTX_LOCATION) {
        if (lt_http_core_check_nesting(cf, clcf, pclcf) != LT_CONF_OK) {
            return LT_CONF_ERROR;
        }
    }

    if (lt_http_add_location(cf, &pclcf->locations, clcf) != LT_OK) {
        return LT_CONF_ERROR;
    }

    save = *cf;
    cf->ctx = ctx;
    cf->cmd_type = LT_CTX_LOCATION;

    rv = lt_conf_parse(cf, NULL);

    *cf = save;

    return rv;
}


static char *
lt_http_core_types(lt_conf_t *cf, lt_command_t *cmd, void *conf)
{
    char                     *rv;
    lt_http_core_loc_conf_t  *clcf = conf;

    if (clcf->types == NULL) {
        clcf->types = lt_array_create(cf->temp_pool, 64, sizeof(lt_hash_key_t));
        if (clcf->types == NULL) {
            return LT_CONF_ERROR;
        }
    }

    rv = lt_conf_parse_lines(cf, lt_http_core_type, conf);

    return rv;
}


/* one line inside types {}: "text/html html htm;" */
static char *
lt_http_core_type(lt_conf_t *cf, lt_command_t *dummy, void *conf)
{
    size_t                    i, n;
    lt_str_t                 *value, *content_type, *old;
    lt_hash_key_t            *type;
    lt_http_core_loc_conf_t  *clcf = conf;

    value = cf->args->elts;

    if (lt_str_eq(&value[0], "include")) {
        if (cf->args->nelts != 2) {
            lt_conf_log_error(LT_LOG_EMERG, cf, 0,
                              "invalid number of arguments in \"include\" directive");
            return LT_CONF_ERROR;
        }

        return lt_conf_include(cf, dummy, conf);
    }

    if (cf->args->nelts < 2) {
        /* a type with no extensions maps nothing, as in nginx */
        return LT_CONF_OK;
    }

    content_type = lt_palloc(cf->pool, sizeof(lt_str_t));
    if (content_type == NULL) {
        return LT_CONF_ERROR;
    }

    *content_type = value[0];

    for (i = 1; i < cf->args->nelts; i++) {

        lt_strlow(value[i].data, value[i].data, value[i].len);

        type = clcf->types->elts;

        for (n = 0; n < clcf->types->nelts; n++) {
            if (type[n].key.len == value[i].len
                && memcmp(type[n].key.data, value[i].data, value[i].len) == 0)
            {
                old = type[n].value;
                type[n].value = content_type;

                lt_conf_log_error(LT_LOG_WARN, cf, 0, "duplicate extension \"%s\", "
                                  "content type: \"%s\", previous content type: \"%.*s\"",
                                  value[i].data, content_type->data,
                                  (int) old->len, old->data);
                goto next;
            }
        }

        type = lt_array_push(clcf->types);
        if (type == NULL) {
            return LT_CONF_ERROR;
        }

        type->key = value[i];
        type->key_hash = 0;
        type->value = content_type;

    next:
        continue;
    }

    return LT_CONF_OK;
}


static char *
lt_http_core_root(lt_conf_t *cf, lt_command_t *cmd, void *conf)
{
    lt_http_core_loc_conf_t          *clcf = conf;
    lt_str_t                         *value;
    int                               alias;
    lt_http_compile_complex_value_t   ccv;

    alias = cmd->name[0] == 'a';

    if (clcf->root.data) {

        if ((clcf->alias != 0) == alias) {
            return "is duplicate";
        }

        lt_conf_log_error(LT_LOG_EMERG, cf, 0, "\"%s\" directive is duplicate, "
                          "\"%s\" directive was specified earlier", cmd->name,
                          clcf->alias ? "alias" : "root");
        return LT_CONF_ERROR;
    }

    if (clcf->named && alias) {
        lt_conf_log_error(LT_LOG_EMERG, cf, 0, "the \"alias\" directive cannot be used "
                          "inside the named location");
        return LT_CONF_ERROR;
    }

    value = cf->args->elts;

    if (lt_strstr(value[1].data, "$document_root")
        || lt_strstr(value[1].data, "${document_root}"))
    {
        lt_conf_log_error(LT_LOG_EMERG, cf, 0, "the $document_root variable cannot be "
                          "used in the \"%s\" directive", cmd->name);
        return LT_CONF_ERROR;
    }

    if (lt_strstr(value[1].data, "$realpath_root")
        || lt_strstr(value[1].data, "${realpath_root}"))
    {
        lt_conf_log_error(LT_LOG_EMERG, cf, 0, "the $realpath_root variable cannot be "
                          "used in the \"%s\" directive", cmd->name);
        return LT_CONF_ERROR;
    }

    /* a regex location's alias is the whole path, built with its captures */
    clcf->alias = alias ? (clcf->regex ? SIZE_MAX : clcf->name.len) : 0;
    clcf->root = value[1];

    if (!alias && clcf->root.len > 0 && clcf->root.data[clcf->root.len - 1] == '/') {
        clcf->root.len--;
    }

    if (clcf->root.data[0] != '$') {
        if (lt_conf_full_name(cf->cycle, &clcf->root, 0) != LT_OK) {
            return LT_CONF_ERROR;
        }
    }

    if (lt_http_script_variables_count(&clcf->root) == 0) {
        return LT_CONF_OK;
    }

    clcf->root_values = lt_pcalloc(cf->pool, sizeof(lt_http_complex_value_t));
    if (clcf->root_values == NULL) {
        return LT_CONF_ERROR;
    }

    lt_memzero(&ccv, sizeof(lt_http_compile_complex_value_t));
    ccv.cf = cf;
    ccv.value = &clcf->root;
    ccv.complex_value = clcf->root_values;
    ccv.root_prefix = 1;

    if (lt_http_compile_complex_value(&ccv) != LT_OK) {
        return LT_CONF_ERROR;
    }

    return LT_CONF_OK;
}


static const struct {
    lt_str_t   name;
    unsigned   method;
} lt_http_core_methods[] = {
    { lt_string("GET"), LT_HTTP_GET },
    { lt_string("HEAD"), LT_HTTP_HEAD },
    { lt_string("POST"), LT_HTTP_POST },
    { lt_string("PUT"), LT_HTTP_PUT },
    { lt_string("DELETE"), LT_HTTP_DELETE },
    { lt_string("MKCOL"), LT_HTTP_MKCOL },
    { lt_string("COPY"), LT_HTTP_COPY },
    { lt_string("MOVE"), LT_HTTP_MOVE },
    { lt_string("OPTIONS"), LT_HTTP_OPTIONS },
    { lt_string("PROPFIND"), LT_HTTP_PROPFIND },
    { lt_string("PROPPATCH"), LT_HTTP_PROPPATCH },
    { lt_string("LOCK"), LT_HTTP_LOCK },
    { lt_string("UNLOCK"), LT_HTTP_UNLOCK },
    { lt_string("PATCH"), LT_HTTP_PATCH },
    { lt_null_string, 0 }
};


static char *
lt_http_core_limit_except(lt_conf_t *cf, lt_command_t *cmd, void *conf)
{
    char                      *rv;
    size_t                     i, m;
    lt_str_t                  *value;
    lt_conf_t                  save;
    lt_http_conf_ctx_t        *ctx, *pctx;
    lt_http_core_loc_conf_t   *pclcf = conf, *clcf;

    if (pclcf->limit_except) {
        return "is duplicate";
    }

    pclcf->limit_except = 0xffffffff;

    value = cf->args->elts;

    for (i = 1; i < cf->args->nelts; i++) {
        for (m = 0; lt_http_core_methods[m].name.len; m++) {
            if (lt_strcasecmp(value[i].data, lt_http_core_methods[m].name.data) == 0) {
                pclcf->limit_except &= ~lt_http_core_methods[m].method;
                break;
            }
        }

        if (lt_http_core_methods[m].name.len == 0) {
            lt_conf_log_error(LT_LOG_EMERG, cf, 0, "invalid method \"%s\"", value[i].data);
            return LT_CONF_ERROR;
        }
    }

    /* GET allows HEAD too */
    if (!(pclcf->limit_except & LT_HTTP_GET)) {
        pclcf->limit_except &= ~LT_HTTP_HEAD;
    }

    pctx = cf->ctx;

    ctx = lt_http_create_level(cf, 0);
    if (ctx == NULL) {
        return LT_CONF_ERROR;
    }

    ctx->main_conf = pctx->main_conf;
    ctx->srv_conf = pctx->srv_conf;

    pclcf->limit_except_loc_conf = ctx->loc_conf;

    clcf = ctx->loc_conf[lt_http_core_module.ctx_index];
    clcf->loc_conf = ctx->loc_conf;
    clcf->name = pclcf->name;
    clcf->noname = 1;
    clcf->lmt_excpt = 1;

    if (lt_http_add_location(cf, &pclcf->locations, clcf) != LT_OK) {
        return LT_CONF_ERROR;
    }

    save = *cf;
    cf->ctx = ctx;
    cf->cmd_type = LT_CTX_LIMIT_EXCEPT;

    rv = lt_conf_parse(cf, NULL);

    *cf = save;

    return rv;
}


static char *
lt_http_core_keepalive(lt_conf_t *cf, lt_command_t *cmd, void *conf)
{
    lt_http_core_loc_conf_t  *clcf = conf;
    lt_str_t                 *value;
    int64_t                   n;

    if (clcf->keepalive_timeout != LT_CONF_UNSET_MSEC) {
        return "is duplicate";
    }

    value = cf->args->elts;

    n = lt_parse_time(&value[1], 0);
    if (n == LT_ERROR) {
        return "invalid value";
    }

    clcf->keepalive_timeout = (uint64_t) n;

    if (cf->args->nelts == 2) {
        return LT_CONF_OK;
    }

    n = lt_parse_time(&value[2], 1);
    if (n == LT_ERROR) {
        return "invalid value";
    }

    clcf->keepalive_header = (time_t) n;

    return LT_CONF_OK;
}


static char *
lt_http_core_internal(lt_conf_t *cf, lt_command_t *cmd, void *conf)
{
    lt_http_core_loc_conf_t  *clcf = conf;

    if (clcf->internal != LT_CONF_UNSET) {
        return "is duplicate";
    }

    clcf->internal = 1;

    return LT_CONF_OK;
}


static char *
lt_http_core_error_log(lt_conf_t *cf, lt_command_t *cmd, void *conf)
{
    lt_http_core_loc_conf_t  *clcf = conf;

    return lt_log_set_log(cf, &clcf->error_log);
}


/* open_file_cache off | max=N [inactive=time]: one cache per directive, shared by
 * the levels that inherit it */
static char *
lt_http_core_open_file_cache(lt_conf_t *cf, lt_command_t *cmd, void *conf)
{
    size_t                    i;
    int64_t                   max;
    time_t                    inactive;
    lt_str_t                 *value, s;
    lt_http_core_loc_conf_t  *clcf = conf;

    if (clcf->open_file_cache != LT_CONF_UNSET_PTR) {
        return "is duplicate";
    }

    value = cf->args->elts;
    max = 0;
    inactive = 60;

    for (i = 1; i < cf->args->nelts; i++) {

        if (lt_strncmp(value[i].data, "max=", 4) == 0) {
            s.data = value[i].data + 4;
            s.len = value[i].len - 4;

            max = lt_atoi(s.data, s.len);
            if (max <= 0 || max > INT_MAX) {
                goto invalid;
            }

            continue;
        }

        if (lt_strncmp(value[i].data, "inactive=", 9) == 0) {
            s.data = value[i].data + 9;
            s.len = value[i].len - 9;

            inactive = lt_parse_time(&s, 1);
            if (inactive == (time_t) LT_ERROR) {
                goto invalid;
            }

            continue;
        }

        if (lt_str_eq(&value[i], "off") && cf->args->nelts == 2) {
            clcf->open_file_cache = NULL;
            return LT_CONF_OK;
        }

        goto invalid;
    }

    if (max == 0) {
        lt_conf_log_error(LT_LOG_EMERG, cf, 0, "\"open_file_cache\" must have the \"max\" "
                          "parameter");
        return LT_CONF_ERROR;
    }

    clcf->open_file_cache = lt_open_file_cache_init(cf->pool, (unsigned) max, inactive);

    return clcf->open_file_cache ? LT_CONF_OK : LT_CONF_ERROR;

invalid:

    lt_conf_log_error(LT_LOG_EMERG, cf, 0, "invalid value \"%s\" in \"%s\" directive",
                      value[i].data, cmd->name);
    return LT_CONF_ERROR;
}


static char *
lt_http_core_accepted(lt_conf_t *cf, lt_command_t *cmd, void *conf)
{
    /* nginx directives with no use in lintel (they tune things lintel does
     * differently); accepted so that existing configurations load */
    return LT_CONF_OK;
}


static char *
lt_http_core_lowat_check(lt_conf_t *cf, lt_command_t *cmd, void *conf)
{
    char  *rv;

    rv = lt_conf_set_size_slot(cf, cmd, conf);

    if (rv == LT_CONF_OK && *(size_t *) ((char *) conf + cmd->offset) != 0) {
        lt_conf_log_error(LT_LOG_WARN, cf, 0, "\"send_lowat\" is not supported on Linux, "
                          "ignored");
    }

    return rv;
}
