/*
 * static.c: the static file handler (http_static): GET and HEAD of a file under
 * root/alias, with Last-Modified, ETag and Content-Type; a directory without
 * the trailing slash gets a 301 to it.
 */

#include "lt_http.h"

static int lt_http_static_init(lt_conf_t *cf);

lt_module_t  lt_http_static_module = {
    .name = "http_static",
    .type = LT_HTTP_MODULE,
    .postconfiguration = lt_http_static_init,
};


/* lt_http_static_open: the file (from the open file cache when there is one);
 * an HTTP status on failure */
static int
lt_http_static_open(lt_http_request_t *r, lt_str_t *path, lt_open_file_info_t *of)
{
    int                       rc;
    unsigned                  level;
    lt_http_core_loc_conf_t  *clcf;

    clcf = lt_http_get_module_loc_conf(r, lt_http_core_module);

    lt_http_open_file_info(r, of, 0);

    if (lt_open_cached_file(clcf->open_file_cache, path, of, r->pool) == LT_OK) {
        return LT_OK;
    }

    switch (of->err) {

    case 0:
        return LT_HTTP_INTERNAL_SERVER_ERROR;

    case ENOENT:
    case ENOTDIR:
    case ENAMETOOLONG:
        level = LT_LOG_ERR;
        rc = LT_HTTP_NOT_FOUND;
        break;

    case EACCES:
    case ELOOP:
        level = LT_LOG_ERR;
        rc = LT_HTTP_FORBIDDEN;
        break;

    default:
        level = LT_LOG_CRIT;
        rc = LT_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (rc != LT_HTTP_NOT_FOUND || clcf->log_not_found) {
        lt_log_error(level, r->connection->log, of->err, "%s \"%s\" failed", of->failed,
                     path->data);
    }

    return rc;
}


static int
lt_http_static_handler(lt_http_request_t *r)
{
    int                       rc;
    u_char                   *last;
    size_t                    root;
    lt_str_t                  path;
    lt_buf_t                 *b;
    lt_chain_t                out;
    lt_file_t                *file;
    lt_open_file_info_t       of;

    if (!(r->method & (LT_HTTP_GET | LT_HTTP_HEAD | LT_HTTP_POST))) {
        return LT_HTTP_NOT_ALLOWED;
    }

    if (r->uri.len && r->uri.data[r->uri.len - 1] == '/') {
        return LT_DECLINED;
    }

    last = lt_http_map_uri_to_path(r, &path, &root, 0);
    if (last == NULL) {
        return LT_HTTP_INTERNAL_SERVER_ERROR;
    }

    path.len = last - path.data;

    /* (the descriptor belongs to the open file cache or to the request's pool) */
    rc = lt_http_static_open(r, &path, &of);
    if (rc != LT_OK) {
        return rc;
    }

    if (S_ISDIR(of.st.st_mode)) {
        return lt_http_slash_redirect(r);
    }

    if (!S_ISREG(of.st.st_mode)) {
        lt_log_error(LT_LOG_CRIT, r->connection->log, 0, "\"%s\" is not a regular file",
                     path.data);
        return LT_HTTP_NOT_FOUND;
    }

    file = lt_pcalloc(r->pool, sizeof(lt_file_t));
    b = lt_calloc_buf(r->pool);

    if (file == NULL || b == NULL) {
        return LT_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (r->method == LT_HTTP_POST) {
        return LT_HTTP_NOT_ALLOWED;
    }

    rc = lt_http_discard_request_body(r);
    if (rc != LT_OK) {
        return rc;
    }

    r->connection->log->action = "sending response to client";

    r->headers_out.status = LT_HTTP_OK;
    r->headers_out.content_length_n = of.st.st_size;
    r->headers_out.last_modified_time = of.st.st_mtime;

    if (lt_http_set_etag(r) != LT_OK || lt_http_set_content_type(r) != LT_OK) {
        return LT_HTTP_INTERNAL_SERVER_ERROR;
    }

    r->allow_ranges = 1;

    file->fd = of.fd;
    file->name = path;
    file->log = r->connection->log;
    file->info = of.st;

    b->file = file;
    b->file_pos = 0;
    b->file_last = of.st.st_size;
    b->in_file = of.st.st_size ? 1 : 0;
    b->last_buf = (r == r->main) ? 1 : 0;
    b->last_in_chain = 1;
    b->sync = (of.st.st_size == 0) ? 1 : 0;

    rc = lt_http_send_header(r);

    if (rc == LT_ERROR || rc > LT_OK || r->header_only) {
        return rc;
    }

    out.buf = b;
    out.next = NULL;

    return lt_http_output_filter(r, &out);
}


static int
lt_http_static_init(lt_conf_t *cf)
{
    return lt_http_add_phase_handler(cf, LT_HTTP_CONTENT_PHASE, lt_http_static_handler);
}
