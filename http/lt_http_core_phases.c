/*
 * lt_http_core_phases.c: the phase engine and its checkers, location lookup,
 * internal redirects, try_files, and helpers content handlers share (paths,
 * content types, ETags, simple responses).
 */

#include "lt_http.h"

void
lt_http_core_run_phases(lt_http_request_t *r)
{
    int                         rc;
    lt_http_phase_handler_t    *ph;
    lt_http_core_main_conf_t   *cmcf;

    cmcf = lt_http_get_module_main_conf(r, lt_http_core_module);

    ph = cmcf->phase_engine.handlers;

    while (ph[r->phase_handler].checker) {

        rc = ph[r->phase_handler].checker(r, &ph[r->phase_handler]);

        if (rc == LT_OK) {
            return;
        }
    }
}


void
lt_http_handler(lt_http_request_t *r)
{
    lt_http_core_main_conf_t  *cmcf;

    r->connection->log->action = NULL;

    if (!r->internal) {
        switch (r->headers_in.connection_type) {
        case 0:
            r->keepalive = (r->http_version > LT_HTTP_VERSION_10);
            break;

        case LT_HTTP_CONNECTION_CLOSE:
            r->keepalive = 0;
            break;

        case LT_HTTP_CONNECTION_KEEP_ALIVE:
            r->keepalive = 1;
            break;
        }

        r->lingering_close = (r->headers_in.content_length_n > 0 || r->headers_in.chunked);
        r->phase_handler = 0;

    } else {
        cmcf = lt_http_get_module_main_conf(r, lt_http_core_module);
        r->phase_handler = (int) cmcf->phase_engine.server_rewrite_index;
    }

    r->valid_location = 1;
    r->write_event_handler = lt_http_core_run_phases;

    lt_http_core_run_phases(r);
}


int
lt_http_core_generic_phase(lt_http_request_t *r, lt_http_phase_handler_t *ph)
{
    int  rc;

    rc = ph->handler(r);

    if (rc == LT_OK) {
        r->phase_handler = (int) ph->next;
        return LT_AGAIN;
    }

    if (rc == LT_DECLINED) {
        r->phase_handler++;
        return LT_AGAIN;
    }

    if (rc == LT_AGAIN || rc == LT_DONE) {
        return LT_OK;
    }

    /* rc == LT_ERROR || rc == LT_HTTP_... */

    lt_http_finalize_request(r, rc);

    return LT_OK;
}


int
lt_http_core_rewrite_phase(lt_http_request_t *r, lt_http_phase_handler_t *ph)
{
    int  rc;

    rc = ph->handler(r);

    if (rc == LT_DECLINED) {
        r->phase_handler++;
        return LT_AGAIN;
    }

    if (rc == LT_DONE) {
        return LT_OK;
    }

    /* LT_OK, LT_AGAIN, LT_ERROR, LT_HTTP_... */

    lt_http_finalize_request(r, rc);

    return LT_OK;
}


int
lt_http_slash_redirect(lt_http_request_t *r)
{
    u_char          *location, *p;
    size_t           len;
    lt_table_elt_t  *h;

    /* the URI was decoded: a space or a quote in it must not go raw into the
     * header: "/auto%20sp" -> "/auto%20sp/" */
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


int
lt_http_core_find_config_phase(lt_http_request_t *r, lt_http_phase_handler_t *ph)
{
    int                       rc;
    lt_http_core_loc_conf_t  *clcf;

    r->content_handler = NULL;
    r->uri_changed = 0;

    rc = lt_http_core_find_location(r);

    if (rc == LT_ERROR) {
        lt_http_finalize_request(r, LT_HTTP_INTERNAL_SERVER_ERROR);
        return LT_OK;
    }

    clcf = lt_http_get_module_loc_conf(r, lt_http_core_module);

    if (!r->internal && clcf->internal) {
        lt_http_finalize_request(r, LT_HTTP_NOT_FOUND);
        return LT_OK;
    }

    lt_http_update_location_config(r);

    if (r->headers_in.content_length_n != -1 && !r->discard_body
        && clcf->client_max_body_size
        && clcf->client_max_body_size < r->headers_in.content_length_n)
    {
        lt_log_error(LT_LOG_ERR, r->connection->log, 0,
                     "client intended to send too large body: %lld bytes",
                     (long long) r->headers_in.content_length_n);

        r->expect_tested = 1;
        (void) lt_http_discard_request_body(r);
        lt_http_finalize_request(r, LT_HTTP_REQUEST_ENTITY_TOO_LARGE);
        return LT_OK;
    }

    if (rc == LT_DONE) {
        lt_http_finalize_request(r, lt_http_slash_redirect(r));
        return LT_OK;
    }

    r->phase_handler++;
    return LT_AGAIN;
}


int
lt_http_core_post_rewrite_phase(lt_http_request_t *r, lt_http_phase_handler_t *ph)
{
    lt_http_core_srv_conf_t  *cscf;

    if (!r->uri_changed) {
        r->phase_handler++;
        return LT_AGAIN;
    }

    /* the URI changed: look for its location again, up to 10 times */

    r->uri_changes--;

    if (r->uri_changes == 0) {
        lt_log_error(LT_LOG_ERR, r->connection->log, 0,
                     "rewrite or internal redirection cycle while processing \"%.*s\"",
                     (int) r->uri.len, r->uri.data);

        lt_http_finalize_request(r, LT_HTTP_INTERNAL_SERVER_ERROR);
        return LT_OK;
    }

    r->phase_handler = (int) ph->next;

    cscf = lt_http_get_module_srv_conf(r, lt_http_core_module);
    r->loc_conf = cscf->ctx->loc_conf;

    return LT_AGAIN;
}


int
lt_http_core_access_phase(lt_http_request_t *r, lt_http_phase_handler_t *ph)
{
    int                       rc;
    lt_http_core_loc_conf_t  *clcf;

    if (r != r->main) {
        r->phase_handler = (int) ph->next;
        return LT_AGAIN;
    }

    rc = ph->handler(r);

    if (rc == LT_DECLINED) {
        r->phase_handler++;
        return LT_AGAIN;
    }

    if (rc == LT_AGAIN || rc == LT_DONE) {
        return LT_OK;
    }

    clcf = lt_http_get_module_loc_conf(r, lt_http_core_module);

    if (clcf->satisfy == LT_HTTP_SATISFY_ALL) {
        /* every access module must agree */
        if (rc == LT_OK) {
            r->phase_handler++;
            return LT_AGAIN;
        }

    } else {
        /* one that grants is enough: the others are skipped; a refusal waits
         * for the end of the phase (POST_ACCESS), in case another grants */
        if (rc == LT_OK) {
            r->access_code = 0;

            if (r->headers_out.www_authenticate) {
                r->headers_out.www_authenticate->hash = 0;
            }

            r->phase_handler = (int) ph->next;
            return LT_AGAIN;
        }

        if (rc == LT_HTTP_FORBIDDEN || rc == LT_HTTP_UNAUTHORIZED) {
            if (r->access_code != LT_HTTP_UNAUTHORIZED) {
                r->access_code = (unsigned) rc;
            }

            r->phase_handler++;
            return LT_AGAIN;
        }
    }

    lt_http_finalize_request(r, rc);

    return LT_OK;
}


int
lt_http_core_post_access_phase(lt_http_request_t *r, lt_http_phase_handler_t *ph)
{
    unsigned  access_code;

    access_code = r->access_code;

    if (access_code) {
        r->access_code = 0;

        if (access_code == LT_HTTP_FORBIDDEN) {
            lt_log_error(LT_LOG_ERR, r->connection->log, 0, "access forbidden by rule");
        }

        lt_http_finalize_request(r, (int) access_code);
        return LT_OK;
    }

    r->phase_handler++;
    return LT_AGAIN;
}


int
lt_http_core_content_phase(lt_http_request_t *r, lt_http_phase_handler_t *ph)
{
    int       rc;
    size_t    root;
    lt_str_t  path;

    if (r->content_handler) {
        r->write_event_handler = lt_http_request_empty_handler;
        lt_http_finalize_request(r, r->content_handler(r));
        return LT_OK;
    }

    rc = ph->handler(r);

    if (rc != LT_DECLINED) {
        lt_http_finalize_request(r, rc);
        return LT_OK;
    }

    /* rc == LT_DECLINED */

    ph++;

    if (ph->checker) {
        r->phase_handler++;
        return LT_AGAIN;
    }

    /* no content handler was found */

    if (r->uri.len && r->uri.data[r->uri.len - 1] == '/') {

        if (lt_http_map_uri_to_path(r, &path, &root, 0) != NULL) {
            lt_log_error(LT_LOG_ERR, r->connection->log, 0,
                         "directory index of \"%s\" is forbidden", path.data);
        }

        lt_http_finalize_request(r, LT_HTTP_FORBIDDEN);
        return LT_OK;
    }

    lt_log_error(LT_LOG_ERR, r->connection->log, 0, "no handler found");

    lt_http_finalize_request(r, LT_HTTP_NOT_FOUND);

    return LT_OK;
}


int
lt_http_core_find_location(lt_http_request_t *r)
{
    int                        rc, n;
    unsigned                   noregex;
    lt_http_core_loc_conf_t   *pclcf, *clcf, **clcfp;

    noregex = 0;

    pclcf = lt_http_get_module_loc_conf(r, lt_http_core_module);

    rc = lt_http_core_find_static_location(r, pclcf->static_locations);

    if (rc == LT_AGAIN) {
        clcf = lt_http_get_module_loc_conf(r, lt_http_core_module);
        noregex = clcf->noregex;

        /* look up nested locations */
        rc = lt_http_core_find_location(r);
    }

    if (rc == LT_OK || rc == LT_DONE || rc == LT_ERROR) {
        return rc;
    }

    /* rc == LT_DECLINED or LT_AGAIN in a nested location */

    if (noregex == 0 && pclcf->regex_locations) {

        for (clcfp = pclcf->regex_locations; *clcfp; clcfp++) {

            n = lt_http_regex_exec(r, (*clcfp)->regex, &r->uri);

            if (n == LT_OK) {
                r->loc_conf = (*clcfp)->loc_conf;

                /* look up nested locations */
                rc = lt_http_core_find_location(r);

                return (rc == LT_ERROR) ? rc : LT_OK;
            }

            if (n == LT_DECLINED) {
                continue;
            }

            return LT_ERROR;
        }
    }

    return rc;
}


void
lt_http_set_connection_log(lt_connection_t *c, lt_log_t *log)
{
    c->log->file = log->file;
    c->log->next = log->next;
    c->log->writer = log->writer;
    c->log->wdata = log->wdata;
    c->log->log_level = log->log_level;
}


void
lt_http_update_location_config(lt_http_request_t *r)
{
    lt_http_core_loc_conf_t  *clcf;

    clcf = lt_http_get_module_loc_conf(r, lt_http_core_module);

    if (r->method & clcf->limit_except) {
        r->loc_conf = clcf->limit_except_loc_conf;
        clcf = r->loc_conf[lt_http_core_module.ctx_index];
    }

    if (r == r->main) {
        lt_http_set_connection_log(r->connection, clcf->error_log);
    }

    if (clcf->client_body_in_file_only) {
        r->request_body_in_file_only = 1;
        r->request_body_in_persistent_file = 1;
        r->request_body_in_clean_file =
            clcf->client_body_in_file_only == LT_HTTP_REQUEST_BODY_FILE_CLEAN;
    }

    r->request_body_in_single_buf = clcf->client_body_in_single_buffer;

    if (r->keepalive) {
        if (clcf->keepalive_timeout == 0) {
            r->keepalive = 0;

        } else if (r->connection->requests >= clcf->keepalive_requests) {
            r->keepalive = 0;

        } else if (lt_current_msec - r->http_connection->start_msec > clcf->keepalive_time) {
            r->keepalive = 0;

        } else if (r->headers_in.msie6
                   && r->method == LT_HTTP_POST
                   && (clcf->keepalive_disable & LT_HTTP_KEEPALIVE_DISABLE_MSIE6))
        {
            /* MSIE may wait for some time if an response for a POST request was
             * sent over a keepalive connection */
            r->keepalive = 0;

        } else if (r->headers_in.safari
                   && (clcf->keepalive_disable & LT_HTTP_KEEPALIVE_DISABLE_SAFARI))
        {
            r->keepalive = 0;
        }
    }

    r->connection->sendfile = clcf->sendfile ? 1 : 0;

    if (!clcf->tcp_nopush) {
        /* disable TCP_CORK use */
        r->connection->tcp_nopush = LT_TCP_NOPUSH_DISABLED;
    }

    if (clcf->handler) {
        r->content_handler = clcf->handler;
    }
}


/* lt_http_clear_context: forgets every module's per-request state (a redirect
 * starts the request over) */
static void
lt_http_clear_context(lt_http_request_t *r)
{
    lt_memzero(r->ctx, sizeof(void *) * lt_http_max_module);
}


int
lt_http_internal_redirect(lt_http_request_t *r, lt_str_t *uri, lt_str_t *args)
{
    lt_http_core_srv_conf_t  *cscf;

    r->uri_changes--;

    if (r->uri_changes == 0) {
        lt_log_error(LT_LOG_ERR, r->connection->log, 0,
                     "rewrite or internal redirection cycle while internally redirecting "
                     "to \"%.*s\"", (int) uri->len, uri->data);

        r->main->count++;
        lt_http_finalize_request(r, LT_HTTP_INTERNAL_SERVER_ERROR);
        return LT_DONE;
    }

    r->uri = *uri;

    if (args) {
        r->args = *args;
    } else {
        lt_str_null(&r->args);
    }

    lt_http_set_exten(r);

    lt_http_clear_context(r);

    cscf = lt_http_get_module_srv_conf(r, lt_http_core_module);
    r->loc_conf = cscf->ctx->loc_conf;

    lt_http_update_location_config(r);

    r->internal = 1;
    r->valid_unparsed_uri = 0;
    r->add_uri_to_alias = 0;
    r->main->count++;

    lt_http_handler(r);

    return LT_DONE;
}


int
lt_http_named_location(lt_http_request_t *r, lt_str_t *name)
{
    lt_http_core_srv_conf_t    *cscf;
    lt_http_core_loc_conf_t   **clcfp;
    lt_http_core_main_conf_t   *cmcf;

    r->main->count++;
    r->uri_changes--;

    if (r->uri_changes == 0) {
        lt_log_error(LT_LOG_ERR, r->connection->log, 0,
                     "rewrite or internal redirection cycle while redirect to named "
                     "location \"%.*s\"", (int) name->len, name->data);

        lt_http_finalize_request(r, LT_HTTP_INTERNAL_SERVER_ERROR);
        return LT_DONE;
    }

    cscf = lt_http_get_module_srv_conf(r, lt_http_core_module);

    if (cscf->named_locations) {

        for (clcfp = cscf->named_locations; *clcfp; clcfp++) {

            if (name->len != (*clcfp)->name.len
                || memcmp(name->data, (*clcfp)->name.data, name->len) != 0)
            {
                continue;
            }

            lt_http_clear_context(r);

            r->loc_conf = (*clcfp)->loc_conf;

            lt_http_update_location_config(r);

            cmcf = lt_http_get_module_main_conf(r, lt_http_core_module);

            r->phase_handler = (int) cmcf->phase_engine.location_rewrite_index;

            r->write_event_handler = lt_http_core_run_phases;
            lt_http_core_run_phases(r);

            return LT_DONE;
        }
    }

    lt_log_error(LT_LOG_ERR, r->connection->log, 0, "could not find named location \"%.*s\"",
                 (int) name->len, name->data);

    lt_http_finalize_request(r, LT_HTTP_INTERNAL_SERVER_ERROR);

    return LT_DONE;
}


void
lt_http_set_exten(lt_http_request_t *r)
{
    size_t  i;

    lt_str_null(&r->exten);

    for (i = r->uri.len; i > 1; i--) {
        if (r->uri.data[i - 1] == '.' && r->uri.data[i - 2] != '/') {
            r->exten.len = r->uri.len - i;
            r->exten.data = &r->uri.data[i];
            return;
        }

        if (r->uri.data[i - 1] == '/') {
            return;
        }
    }
}


int
lt_http_set_content_type(lt_http_request_t *r)
{
    u_char                   *lowcase, c;
    size_t                    i;
    uintptr_t                 hash;
    lt_str_t                 *type;
    lt_http_core_loc_conf_t  *clcf;
    u_char                    buf[64];

    if (r->headers_out.content_type.len) {
        return LT_OK;
    }

    clcf = lt_http_get_module_loc_conf(r, lt_http_core_module);

    if (r->exten.len && r->exten.len <= sizeof(buf)) {
        lowcase = buf;
        hash = 0;

        for (i = 0; i < r->exten.len; i++) {
            c = lt_tolower(r->exten.data[i]);
            hash = lt_hash(hash, c);
            lowcase[i] = c;
        }

        type = lt_hash_find(&clcf->types_hash, hash, lowcase, r->exten.len);

        if (type) {
            r->headers_out.content_type_len = type->len;
            r->headers_out.content_type = *type;
            return LT_OK;
        }
    }

    r->headers_out.content_type_len = clcf->default_type.len;
    r->headers_out.content_type = clcf->default_type;

    return LT_OK;
}


int
lt_http_set_etag(lt_http_request_t *r)
{
    u_char                   *p;
    lt_table_elt_t           *etag;
    lt_http_core_loc_conf_t  *clcf;

    clcf = lt_http_get_module_loc_conf(r, lt_http_core_module);

    if (!clcf->etag) {
        return LT_OK;
    }

    etag = lt_list_push(&r->headers_out.headers);
    if (etag == NULL) {
        return LT_ERROR;
    }

    etag->hash = 1;
    etag->next = NULL;
    lt_str_set(&etag->key, "ETag");

    etag->value.data = lt_pnalloc(r->pool, 2 * 16 + 3 + 1);
    if (etag->value.data == NULL) {
        etag->hash = 0;
        return LT_ERROR;
    }

    /* "mtime-size" in hex, as nginx */
    p = etag->value.data;
    *p++ = '"';
    p = lt_sprint_hex(p, (uint64_t) r->headers_out.last_modified_time);
    *p++ = '-';
    p = lt_sprint_hex(p, (uint64_t) r->headers_out.content_length_n);
    *p++ = '"';

    etag->value.len = p - etag->value.data;

    r->headers_out.etag = etag;

    return LT_OK;
}


void
lt_http_weak_etag(lt_http_request_t *r)
{
    u_char          *p;
    size_t           len;
    lt_table_elt_t  *etag;

    etag = r->headers_out.etag;

    if (etag == NULL) {
        return;
    }

    if (etag->value.len > 2 && etag->value.data[0] == 'W' && etag->value.data[1] == '/') {
        return;
    }

    if (etag->value.len < 1 || etag->value.data[0] != '"') {
        /* not a valid entity tag: drop it */
        etag->hash = 0;
        r->headers_out.etag = NULL;
        return;
    }

    len = etag->value.len + 2;

    p = lt_pnalloc(r->pool, len);
    if (p == NULL) {
        etag->hash = 0;
        r->headers_out.etag = NULL;
        return;
    }

    p[0] = 'W';
    p[1] = '/';
    memcpy(p + 2, etag->value.data, etag->value.len);

    etag->value.len = len;
    etag->value.data = p;
}


u_char *
lt_http_map_uri_to_path(lt_http_request_t *r, lt_str_t *path, size_t *root_length,
    size_t reserved)
{
    u_char                   *last;
    size_t                    alias;
    lt_str_t                  root;
    lt_http_core_loc_conf_t  *clcf;

    clcf = lt_http_get_module_loc_conf(r, lt_http_core_module);

    alias = clcf->alias;

    if (alias && !r->valid_location) {
        lt_log_error(LT_LOG_ALERT, r->connection->log, 0,
                     "\"alias\" cannot be used in location \"%.*s\" where URI was rewritten",
                     (int) clcf->name.len, clcf->name.data);
        return NULL;
    }

    if (alias != SIZE_MAX && alias > r->uri.len) {
        /* "location /dir/ { alias ... }" reached as "/dir" after an internal
         * redirect: nothing of the URI remains */
        alias = r->uri.len;
    }

    if (clcf->root_values == NULL) {
        root = clcf->root;

    } else {
        if (lt_http_complex_value(r, clcf->root_values, &root) != LT_OK) {
            return NULL;
        }

        if (lt_conf_full_name((lt_cycle_t *) lt_cycle, &root, 0) != LT_OK) {
            return NULL;
        }
    }

    *root_length = root.len;

    if (alias == SIZE_MAX) {
        /* a regex location's alias is the whole path (captures built it) */
        reserved += r->add_uri_to_alias ? r->uri.len + 1 : 1;

    } else {
        reserved += r->uri.len - alias + 1;
    }

    path->len = root.len + reserved;
    path->data = lt_pnalloc(r->pool, path->len);
    if (path->data == NULL) {
        return NULL;
    }

    last = lt_cpymem(path->data, root.data, root.len);

    if (alias == SIZE_MAX) {
        if (!r->add_uri_to_alias) {
            *last = '\0';
            return last;
        }

        alias = 0;
    }

    last = lt_cpystrn(last, r->uri.data + alias, r->uri.len - alias + 1);

    return last;
}


int
lt_http_send_response(lt_http_request_t *r, unsigned status, lt_str_t *ct,
    lt_http_complex_value_t *cv)
{
    int              rc;
    lt_str_t         val;
    lt_buf_t        *b;
    lt_chain_t       out;

    rc = lt_http_discard_request_body(r);
    if (rc != LT_OK) {
        return rc;
    }

    r->headers_out.status = status;

    if (lt_http_complex_value(r, cv, &val) != LT_OK) {
        return LT_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (status == LT_HTTP_MOVED_PERMANENTLY || status == LT_HTTP_MOVED_TEMPORARILY
        || status == LT_HTTP_SEE_OTHER || status == LT_HTTP_TEMPORARY_REDIRECT
        || status == LT_HTTP_PERMANENT_REDIRECT)
    {
        lt_http_clear_location(r);

        r->headers_out.location = lt_list_push(&r->headers_out.headers);
        if (r->headers_out.location == NULL) {
            return LT_HTTP_INTERNAL_SERVER_ERROR;
        }

        r->headers_out.location->hash = 1;
        r->headers_out.location->next = NULL;
        lt_str_set(&r->headers_out.location->key, "Location");
        r->headers_out.location->value = val;

        return (int) status;
    }

    r->headers_out.content_length_n = (off_t) val.len;

    if (ct) {
        r->headers_out.content_type_len = ct->len;
        r->headers_out.content_type = *ct;

    } else if (lt_http_set_content_type(r) != LT_OK) {
        return LT_HTTP_INTERNAL_SERVER_ERROR;
    }

    lt_http_clear_last_modified(r);
    lt_http_clear_etag(r);

    /* Accept-Ranges stays: one passed on from an upstream's X-Accel-Redirect */

    rc = lt_http_send_header(r);

    if (rc == LT_ERROR || rc > LT_OK || r->header_only) {
        return rc;
    }

    b = lt_calloc_buf(r->pool);
    if (b == NULL) {
        return LT_HTTP_INTERNAL_SERVER_ERROR;
    }

    b->pos = val.data;
    b->last = val.data + val.len;
    b->memory = val.len ? 1 : 0;
    b->last_buf = (r == r->main) ? 1 : 0;
    b->last_in_chain = 1;

    out.buf = b;
    out.next = NULL;

    return lt_http_output_filter(r, &out);
}


/* try_files: the first existing file wins; the last argument is the fallback */
static int
lt_http_try_files_handler(lt_http_request_t *r)
{
    size_t                    i, root;
    u_char                   *p;
    lt_str_t                  name, path, uri, args;
    struct stat               st;
    lt_http_try_file_t       *tf;
    lt_http_core_loc_conf_t  *clcf;

    clcf = lt_http_get_module_loc_conf(r, lt_http_core_module);

    if (clcf->try_files == NULL) {
        return LT_DECLINED;
    }

    tf = clcf->try_files->elts;

    for (i = 0; i < clcf->try_files->nelts; i++) {

        if (tf[i].code) {
            return (int) tf[i].code;
        }

        if (lt_http_complex_value(r, &tf[i].value, &name) != LT_OK) {
            return LT_HTTP_INTERNAL_SERVER_ERROR;
        }

        if (i == clcf->try_files->nelts - 1) {
            /* the fallback: a named location or a URI */
            if (name.len && name.data[0] == '@') {
                (void) lt_http_named_location(r, &name);

            } else {
                uri = name;
                lt_http_split_args(&uri, &args);

                (void) lt_http_internal_redirect(r, &uri, &args);
            }

            /* the redirect took a reference on the request: give ours back */
            lt_http_finalize_request(r, LT_DONE);
            return LT_DONE;
        }

        /* test root + name */
        {
            lt_str_t  save_uri = r->uri;

            r->uri = name;
            r->add_uri_to_alias = 1;

            p = lt_http_map_uri_to_path(r, &path, &root, 0);

            r->uri = save_uri;

            if (p == NULL) {
                return LT_HTTP_INTERNAL_SERVER_ERROR;
            }

            path.len = p - path.data;
        }

        if (lt_http_stat(r, &path, &st) == -1) {
            continue;
        }

        if (tf[i].test_dir ? !S_ISDIR(st.st_mode) : S_ISDIR(st.st_mode)) {
            continue;
        }

        /* found: serve it as this URI; a directory found as "$uri/" is served as
         * "$uri", as nginx does, so that "/dir" gets its 301 to "/dir/" */
        r->uri.len = name.len;
        r->uri.data = lt_pnalloc(r->pool, r->uri.len);
        if (r->uri.data == NULL) {
            return LT_HTTP_INTERNAL_SERVER_ERROR;
        }

        memcpy(r->uri.data, name.data, name.len);

        lt_http_set_exten(r);

        return LT_DECLINED;
    }

    return LT_DECLINED;
}


int lt_http_writer_postconfiguration(lt_conf_t *cf);
int lt_http_chunked_postconfiguration(lt_conf_t *cf);
int lt_http_copy_postconfiguration(lt_conf_t *cf);

int
lt_http_core_postconfiguration(lt_conf_t *cf)
{
    /* the filters of http/ itself */
    if (lt_http_writer_postconfiguration(cf) != LT_OK
        || lt_http_chunked_postconfiguration(cf) != LT_OK
        || lt_http_copy_postconfiguration(cf) != LT_OK)
    {
        return LT_ERROR;
    }

    return lt_http_add_phase_handler(cf, LT_HTTP_PRECONTENT_PHASE, lt_http_try_files_handler);
}


void
lt_http_open_file_info(lt_http_request_t *r, lt_open_file_info_t *of, unsigned test_only)
{
    lt_http_core_loc_conf_t  *clcf;

    clcf = lt_http_get_module_loc_conf(r, lt_http_core_module);

    lt_memzero(of, sizeof(lt_open_file_info_t));

    of->valid = clcf->open_file_cache_valid;
    of->min_uses = (unsigned) clcf->open_file_cache_min_uses;
    of->errors = clcf->open_file_cache_errors ? 1 : 0;
    of->read_ahead = clcf->read_ahead;
    of->test_only = test_only;
}


int
lt_http_stat(lt_http_request_t *r, const lt_str_t *path, struct stat *st)
{
    lt_open_file_info_t       of;
    lt_http_core_loc_conf_t  *clcf;

    clcf = lt_http_get_module_loc_conf(r, lt_http_core_module);

    lt_http_open_file_info(r, &of, 1);

    if (lt_open_cached_file(clcf->open_file_cache, path, &of, r->pool) != LT_OK) {
        errno = of.err ? of.err : ENOMEM;
        return -1;
    }

    *st = of.st;

    return 0;
}


int
lt_http_add_phase_handler(lt_conf_t *cf, unsigned phase, lt_http_handler_pt handler)
{
    lt_http_handler_pt        *h;
    lt_http_core_main_conf_t  *cmcf;

    cmcf = lt_http_conf_get_module_main_conf(cf, lt_http_core_module);

    h = lt_array_push(&cmcf->phases[phase].handlers);
    if (h == NULL) {
        return LT_ERROR;
    }

    *h = handler;

    return LT_OK;
}
