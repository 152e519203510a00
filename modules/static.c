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


/* lt_http_static_redirect: "/dir" is a directory: 301 to "/dir/" */
static int
lt_http_static_redirect(lt_http_request_t *r)
{
    u_char          *location, *p;
    size_t           len;
    lt_table_elt_t  *h;

    /* the URI was decoded: a space or a quote in it must not go raw into the header */
    len = lt_escape_uri_len(r->uri.data, r->uri.len, LT_ESCAPE_URI) + 1
          + (r->args.len ? r->args.len + 1 : 0);

    location = lt_pnalloc(r->pool, len);
    if (location == NULL) {
        return LT_HTTP_INTERNAL_SERVER_ERROR;
    }

    p = lt_escape_uri(location, r->uri.data, r->uri.len, LT_ESCAPE_URI);
    *p++ = '/';

    if (r->args.len) {
        *p++ = '?';
        p = lt_cpymem(p, r->args.data, r->args.len);
    }

    lt_http_clear_location(r);

    h = lt_list_push(&r->headers_out.headers);
    if (h == NULL) {
        return LT_HTTP_INTERNAL_SERVER_ERROR;
    }

    h->hash = 1;
    h->next = NULL;
    lt_str_set(&h->key, "Location");
    h->value.data = location;
    h->value.len = p - location;

    r->headers_out.location = h;

    return LT_HTTP_MOVED_PERMANENTLY;
}


/* lt_http_static_open: the file and its stat; an HTTP status on failure */
static int
lt_http_static_open(lt_http_request_t *r, lt_str_t *path, int *fdp, struct stat *st)
{
    int                       fd, err, rc;
    unsigned                  level;
    lt_http_core_loc_conf_t  *clcf;

    fd = open((char *) path->data, O_RDONLY | O_NONBLOCK | O_CLOEXEC);

    if (fd == -1) {
        err = errno;

        switch (err) {

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

        clcf = lt_http_get_module_loc_conf(r, lt_http_core_module);

        if (rc != LT_HTTP_NOT_FOUND || clcf->log_not_found) {
            lt_log_error(level, r->connection->log, err, "open() \"%s\" failed", path->data);
        }

        return rc;
    }

    if (fstat(fd, st) == -1) {
        lt_log_error(LT_LOG_CRIT, r->connection->log, errno, "fstat() \"%s\" failed",
                     path->data);
        close(fd);
        return LT_HTTP_INTERNAL_SERVER_ERROR;
    }

    clcf = lt_http_get_module_loc_conf(r, lt_http_core_module);

    if (clcf->read_ahead && S_ISREG(st->st_mode)) {
        /* as nginx on Linux: any "read_ahead" size asks for sequential read-ahead */
        (void) posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
    }

    *fdp = fd;

    return LT_OK;
}


static int
lt_http_static_handler(lt_http_request_t *r)
{
    int                       fd, rc;
    u_char                   *last;
    size_t                    root;
    lt_str_t                  path;
    lt_buf_t                 *b;
    lt_chain_t                out;
    lt_file_t                *file;
    struct stat               st;
    lt_pool_cleanup_t        *cln;
    lt_pool_cleanup_file_t   *clnf;

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

    rc = lt_http_static_open(r, &path, &fd, &st);
    if (rc != LT_OK) {
        return rc;
    }

    if (S_ISDIR(st.st_mode)) {
        close(fd);
        return lt_http_static_redirect(r);
    }

    if (!S_ISREG(st.st_mode)) {
        lt_log_error(LT_LOG_CRIT, r->connection->log, 0, "\"%s\" is not a regular file",
                     path.data);
        close(fd);
        return LT_HTTP_NOT_FOUND;
    }

    cln = lt_pool_cleanup_add(r->pool, sizeof(lt_pool_cleanup_file_t));
    file = lt_pcalloc(r->pool, sizeof(lt_file_t));
    b = lt_calloc_buf(r->pool);

    if (cln == NULL || file == NULL || b == NULL) {
        close(fd);
        return LT_HTTP_INTERNAL_SERVER_ERROR;
    }

    clnf = cln->data;
    clnf->fd = fd;
    clnf->name = path.data;
    clnf->log = r->pool->log;
    cln->handler = lt_pool_cleanup_file;

    if (r->method == LT_HTTP_POST) {
        return LT_HTTP_NOT_ALLOWED;
    }

    rc = lt_http_discard_request_body(r);
    if (rc != LT_OK) {
        return rc;
    }

    r->connection->log->action = "sending response to client";

    r->headers_out.status = LT_HTTP_OK;
    r->headers_out.content_length_n = st.st_size;
    r->headers_out.last_modified_time = st.st_mtime;

    if (lt_http_set_etag(r) != LT_OK || lt_http_set_content_type(r) != LT_OK) {
        return LT_HTTP_INTERNAL_SERVER_ERROR;
    }

    r->allow_ranges = 1;

    file->fd = fd;
    file->name = path;
    file->log = r->connection->log;
    file->info = st;

    b->file = file;
    b->file_pos = 0;
    b->file_last = st.st_size;
    b->in_file = st.st_size ? 1 : 0;
    b->last_buf = (r == r->main) ? 1 : 0;
    b->last_in_chain = 1;
    b->sync = (st.st_size == 0) ? 1 : 0;

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
