/*
 * index.c: the index directive (http_index): a request for a directory ("/dir/")
 * is redirected internally to the first index file that exists there.
 */

#include "lt_http.h"

typedef struct {
    lt_array_t  *indices;   /* lt_http_complex_value_t; NULL: unset */
} lt_http_index_loc_conf_t;

static void *lt_http_index_create_loc_conf(lt_conf_t *cf);
static char *lt_http_index_merge_loc_conf(lt_conf_t *cf, void *parent, void *child);
static int lt_http_index_init(lt_conf_t *cf);
static char *lt_http_index_set_index(lt_conf_t *cf, lt_command_t *cmd, void *conf);

static lt_command_t  lt_http_index_commands[] = {

    { "index", LT_HTTP_ANY_CONF, 1, LT_CONF_MANY, lt_http_index_set_index, LT_LOC_CONF, 0,
      NULL },

    lt_null_command
};

lt_module_t  lt_http_index_module = {
    .name = "http_index",
    .type = LT_HTTP_MODULE,
    .commands = lt_http_index_commands,
    .postconfiguration = lt_http_index_init,
    .create_loc_conf = lt_http_index_create_loc_conf,
    .merge_loc_conf = lt_http_index_merge_loc_conf,
};


/* lt_http_index_test_dir: the directory exists (else 404, like nginx) */
static int
lt_http_index_test_dir(lt_http_request_t *r, lt_str_t *path, size_t root)
{
    struct stat               st;
    u_char                    save;
    size_t                    len;
    lt_http_core_loc_conf_t  *clcf;

    /* the directory without the index file name */
    len = path->len;

    while (len > root && path->data[len - 1] != '/') {
        len--;
    }

    save = path->data[len];
    path->data[len] = '\0';

    if (stat((char *) path->data, &st) == -1) {
        int  err = errno;

        if (err == ENOENT) {
            clcf = lt_http_get_module_loc_conf(r, lt_http_core_module);

            if (clcf->log_not_found) {
                lt_log_error(LT_LOG_ERR, r->connection->log, err, "\"%s\" is not found",
                             path->data);
            }

            path->data[len] = save;
            return LT_HTTP_NOT_FOUND;
        }

        if (err == EACCES) {
            lt_log_error(LT_LOG_ERR, r->connection->log, err, "\"%s\" is forbidden",
                         path->data);
            path->data[len] = save;
            return LT_HTTP_FORBIDDEN;
        }

        lt_log_error(LT_LOG_CRIT, r->connection->log, err, "stat() \"%s\" failed",
                     path->data);
        path->data[len] = save;
        return LT_HTTP_INTERNAL_SERVER_ERROR;
    }

    path->data[len] = save;

    if (!S_ISDIR(st.st_mode)) {
        lt_log_error(LT_LOG_ALERT, r->connection->log, 0, "\"%s\" is not a directory",
                     path->data);
        return LT_HTTP_INTERNAL_SERVER_ERROR;
    }

    return LT_OK;
}


/* lt_http_index_try: LT_OK (exists: *uri set), LT_DECLINED, or an HTTP error */
static int
lt_http_index_try(lt_http_request_t *r, lt_str_t *name, lt_str_t *uri, int *dir_tested)
{
    int           rc, err;
    u_char       *last;
    size_t        root;
    lt_str_t      path;
    struct stat   st;

    last = lt_http_map_uri_to_path(r, &path, &root, name->len);
    if (last == NULL) {
        return LT_ERROR;
    }

    last = lt_cpymem(last, name->data, name->len);
    *last = '\0';

    path.len = last - path.data;

    if (lt_http_stat(r, &path, &st) == -1) {
        err = errno;

        if (err == ENOTDIR || err == EACCES) {
            lt_log_error(LT_LOG_ERR, r->connection->log, err, "stat() \"%s\" failed",
                         path.data);
            return err == EACCES ? LT_HTTP_FORBIDDEN : LT_HTTP_NOT_FOUND;
        }

        if (err != ENOENT) {
            lt_log_error(LT_LOG_CRIT, r->connection->log, err, "stat() \"%s\" failed",
                         path.data);
            return LT_HTTP_INTERNAL_SERVER_ERROR;
        }

        if (!*dir_tested) {
            rc = lt_http_index_test_dir(r, &path, root);
            if (rc != LT_OK) {
                return rc;
            }

            *dir_tested = 1;
        }

        return LT_DECLINED;
    }

    uri->len = r->uri.len + name->len;
    uri->data = lt_pnalloc(r->pool, uri->len);
    if (uri->data == NULL) {
        return LT_ERROR;
    }

    memcpy(lt_cpymem(uri->data, r->uri.data, r->uri.len), name->data, name->len);

    return LT_OK;
}


static int
lt_http_index_handler(lt_http_request_t *r)
{
    int                        rc, dir_tested;
    size_t                     i;
    lt_str_t                   name, uri;
    lt_http_complex_value_t   *index;
    lt_http_index_loc_conf_t  *ilcf;

    if (r->uri.len == 0 || r->uri.data[r->uri.len - 1] != '/') {
        return LT_DECLINED;
    }

    if (!(r->method & (LT_HTTP_GET | LT_HTTP_HEAD | LT_HTTP_POST))) {
        return LT_DECLINED;
    }

    ilcf = lt_http_get_module_loc_conf(r, lt_http_index_module);

    index = ilcf->indices->elts;
    dir_tested = 0;

    for (i = 0; i < ilcf->indices->nelts; i++) {

        if (lt_http_complex_value(r, &index[i], &name) != LT_OK) {
            return LT_HTTP_INTERNAL_SERVER_ERROR;
        }

        if (name.len == 0) {
            continue;
        }

        if (name.data[0] == '/') {
            /* an absolute index is used without a test, wherever it stands (nginx
             * warns at configuration time when it is not the last) */
            return lt_http_internal_redirect(r, &name, &r->args);
        }

        rc = lt_http_index_try(r, &name, &uri, &dir_tested);

        if (rc == LT_DECLINED) {
            continue;
        }

        if (rc != LT_OK) {
            return rc == LT_ERROR ? LT_HTTP_INTERNAL_SERVER_ERROR : rc;
        }

        return lt_http_internal_redirect(r, &uri, &r->args);
    }

    return LT_DECLINED;
}


static void *
lt_http_index_create_loc_conf(lt_conf_t *cf)
{
    lt_http_index_loc_conf_t  *conf;

    conf = lt_palloc(cf->pool, sizeof(lt_http_index_loc_conf_t));
    if (conf == NULL) {
        return NULL;
    }

    conf->indices = NULL;

    return conf;
}


static char *
lt_http_index_merge_loc_conf(lt_conf_t *cf, void *parent, void *child)
{
    lt_http_index_loc_conf_t  *prev = parent;
    lt_http_index_loc_conf_t  *conf = child;
    lt_http_complex_value_t   *index;

    if (conf->indices) {
        return LT_CONF_OK;
    }

    if (prev->indices) {
        conf->indices = prev->indices;
        return LT_CONF_OK;
    }

    conf->indices = lt_array_create(cf->pool, 1, sizeof(lt_http_complex_value_t));
    if (conf->indices == NULL) {
        return LT_CONF_ERROR;
    }

    index = lt_array_push(conf->indices);
    if (index == NULL) {
        return LT_CONF_ERROR;
    }

    lt_memzero(index, sizeof(lt_http_complex_value_t));
    lt_str_set(&index->value, "index.html");

    prev->indices = conf->indices;

    return LT_CONF_OK;
}


static char *
lt_http_index_set_index(lt_conf_t *cf, lt_command_t *cmd, void *conf)
{
    lt_http_index_loc_conf_t  *ilcf = conf;
    size_t                            i;
    lt_str_t                         *value;
    lt_http_complex_value_t          *index;
    lt_http_compile_complex_value_t   ccv;

    if (ilcf->indices == NULL) {
        ilcf->indices = lt_array_create(cf->pool, 2, sizeof(lt_http_complex_value_t));
        if (ilcf->indices == NULL) {
            return LT_CONF_ERROR;
        }
    }

    value = cf->args->elts;

    for (i = 1; i < cf->args->nelts; i++) {

        if (value[i].len && value[i].data[0] == '/' && i != cf->args->nelts - 1) {
            lt_conf_log_error(LT_LOG_WARN, cf, 0, "only the last index in \"index\" "
                              "directive should be absolute");
        }

        if (value[i].len == 0) {
            lt_conf_log_error(LT_LOG_EMERG, cf, 0, "index \"%s\" in \"index\" directive "
                              "is invalid", value[1].data);
            return LT_CONF_ERROR;
        }

        index = lt_array_push(ilcf->indices);
        if (index == NULL) {
            return LT_CONF_ERROR;
        }

        lt_memzero(&ccv, sizeof(lt_http_compile_complex_value_t));
        ccv.cf = cf;
        ccv.value = &value[i];
        ccv.complex_value = index;

        if (lt_http_compile_complex_value(&ccv) != LT_OK) {
            return LT_CONF_ERROR;
        }
    }

    return LT_CONF_OK;
}


static int
lt_http_index_init(lt_conf_t *cf)
{
    return lt_http_add_phase_handler(cf, LT_HTTP_CONTENT_PHASE, lt_http_index_handler);
}
