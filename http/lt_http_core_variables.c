/*
 * lt_http_core_variables.c: the variables of the HTTP core ($uri, $host,
 * $remote_addr, $http_NAME, $arg_NAME, $time_local, ...).
 */

#include "lt_http.h"

#define lt_http_var(name, get, data, flags)                                   \
    { lt_string(name), NULL, get, data, flags, 0 }

static int lt_http_var_request_line(lt_http_request_t *r, lt_http_variable_value_t *v,
    uintptr_t data);
static int lt_http_var_str(lt_http_request_t *r, lt_http_variable_value_t *v,
    uintptr_t data);
static int lt_http_var_header(lt_http_request_t *r, lt_http_variable_value_t *v,
    uintptr_t data);
static int lt_http_var_headers(lt_http_request_t *r, lt_http_variable_value_t *v,
    uintptr_t data);
static int lt_http_var_unknown_header_in(lt_http_request_t *r, lt_http_variable_value_t *v,
    uintptr_t data);
static int lt_http_var_unknown_header_out(lt_http_request_t *r, lt_http_variable_value_t *v,
    uintptr_t data);
static int lt_http_var_unknown_trailer_out(lt_http_request_t *r,
    lt_http_variable_value_t *v, uintptr_t data);
static int lt_http_var_cookie(lt_http_request_t *r, lt_http_variable_value_t *v,
    uintptr_t data);
static int lt_http_var_argument(lt_http_request_t *r, lt_http_variable_value_t *v,
    uintptr_t data);
static int lt_http_var_host(lt_http_request_t *r, lt_http_variable_value_t *v,
    uintptr_t data);
static int lt_http_var_request_port(lt_http_request_t *r, lt_http_variable_value_t *v,
    uintptr_t data);
static int lt_http_var_binary_remote_addr(lt_http_request_t *r,
    lt_http_variable_value_t *v, uintptr_t data);
static int lt_http_var_remote_addr(lt_http_request_t *r, lt_http_variable_value_t *v,
    uintptr_t data);
static int lt_http_var_remote_port(lt_http_request_t *r, lt_http_variable_value_t *v,
    uintptr_t data);
static int lt_http_var_server_addr(lt_http_request_t *r, lt_http_variable_value_t *v,
    uintptr_t data);
static int lt_http_var_server_port(lt_http_request_t *r, lt_http_variable_value_t *v,
    uintptr_t data);
static int lt_http_var_scheme(lt_http_request_t *r, lt_http_variable_value_t *v,
    uintptr_t data);
static int lt_http_var_https(lt_http_request_t *r, lt_http_variable_value_t *v,
    uintptr_t data);
static int lt_http_var_is_args(lt_http_request_t *r, lt_http_variable_value_t *v,
    uintptr_t data);
static int lt_http_var_document_root(lt_http_request_t *r, lt_http_variable_value_t *v,
    uintptr_t data);
static int lt_http_var_realpath_root(lt_http_request_t *r, lt_http_variable_value_t *v,
    uintptr_t data);
static int lt_http_var_request_filename(lt_http_request_t *r, lt_http_variable_value_t *v,
    uintptr_t data);
static int lt_http_var_server_name(lt_http_request_t *r, lt_http_variable_value_t *v,
    uintptr_t data);
static int lt_http_var_request_method(lt_http_request_t *r, lt_http_variable_value_t *v,
    uintptr_t data);
static int lt_http_var_remote_user(lt_http_request_t *r, lt_http_variable_value_t *v,
    uintptr_t data);
static int lt_http_var_bytes_sent(lt_http_request_t *r, lt_http_variable_value_t *v,
    uintptr_t data);
static int lt_http_var_body_bytes_sent(lt_http_request_t *r, lt_http_variable_value_t *v,
    uintptr_t data);
static int lt_http_var_pipe(lt_http_request_t *r, lt_http_variable_value_t *v,
    uintptr_t data);
static int lt_http_var_request_completion(lt_http_request_t *r,
    lt_http_variable_value_t *v, uintptr_t data);
static int lt_http_var_request_body(lt_http_request_t *r, lt_http_variable_value_t *v,
    uintptr_t data);
static int lt_http_var_request_body_file(lt_http_request_t *r,
    lt_http_variable_value_t *v, uintptr_t data);
static int lt_http_var_request_length(lt_http_request_t *r, lt_http_variable_value_t *v,
    uintptr_t data);
static int lt_http_var_request_time(lt_http_request_t *r, lt_http_variable_value_t *v,
    uintptr_t data);
static int lt_http_var_request_id(lt_http_request_t *r, lt_http_variable_value_t *v,
    uintptr_t data);
static int lt_http_var_status(lt_http_request_t *r, lt_http_variable_value_t *v,
    uintptr_t data);
static int lt_http_var_sent_content_type(lt_http_request_t *r,
    lt_http_variable_value_t *v, uintptr_t data);
static int lt_http_var_sent_content_length(lt_http_request_t *r,
    lt_http_variable_value_t *v, uintptr_t data);
static int lt_http_var_sent_location(lt_http_request_t *r, lt_http_variable_value_t *v,
    uintptr_t data);
static int lt_http_var_sent_last_modified(lt_http_request_t *r,
    lt_http_variable_value_t *v, uintptr_t data);
static int lt_http_var_sent_connection(lt_http_request_t *r, lt_http_variable_value_t *v,
    uintptr_t data);
static int lt_http_var_sent_keep_alive(lt_http_request_t *r, lt_http_variable_value_t *v,
    uintptr_t data);
static int lt_http_var_sent_transfer_encoding(lt_http_request_t *r,
    lt_http_variable_value_t *v, uintptr_t data);
static int lt_http_var_content_length(lt_http_request_t *r, lt_http_variable_value_t *v,
    uintptr_t data);
static int lt_http_var_limit_rate(lt_http_request_t *r, lt_http_variable_value_t *v,
    uintptr_t data);
static void lt_http_var_set_limit_rate(lt_http_request_t *r, lt_http_variable_value_t *v,
    uintptr_t data);
static void lt_http_var_set_args(lt_http_request_t *r, lt_http_variable_value_t *v,
    uintptr_t data);
static int lt_http_var_connection(lt_http_request_t *r, lt_http_variable_value_t *v,
    uintptr_t data);
static int lt_http_var_connection_requests(lt_http_request_t *r,
    lt_http_variable_value_t *v, uintptr_t data);
static int lt_http_var_connection_time(lt_http_request_t *r, lt_http_variable_value_t *v,
    uintptr_t data);
static int lt_http_var_nginx_version(lt_http_request_t *r, lt_http_variable_value_t *v,
    uintptr_t data);
static int lt_http_var_hostname(lt_http_request_t *r, lt_http_variable_value_t *v,
    uintptr_t data);
static int lt_http_var_pid(lt_http_request_t *r, lt_http_variable_value_t *v,
    uintptr_t data);
static int lt_http_var_msec(lt_http_request_t *r, lt_http_variable_value_t *v,
    uintptr_t data);
static int lt_http_var_time(lt_http_request_t *r, lt_http_variable_value_t *v,
    uintptr_t data);

#define lt_hin(f)  offsetof(lt_http_request_t, headers_in.f)
#define lt_rq(f)   offsetof(lt_http_request_t, f)

/* time variables: which cached string */
#define LT_HTTP_VAR_TIME_ISO8601  0
#define LT_HTTP_VAR_TIME_LOCAL    1

static lt_http_variable_t  lt_http_core_variables[] = {

    lt_http_var("http_host", lt_http_var_header, lt_hin(host), 0),
    lt_http_var("http_user_agent", lt_http_var_header, lt_hin(user_agent), 0),
    lt_http_var("http_referer", lt_http_var_header, lt_hin(referer), 0),
    lt_http_var("http_via", lt_http_var_headers, lt_hin(via), 0),
    lt_http_var("http_x_forwarded_for", lt_http_var_headers, lt_hin(x_forwarded_for), 0),
    lt_http_var("http_cookie", lt_http_var_headers, lt_hin(cookie), 0),
    lt_http_var("content_length", lt_http_var_content_length, 0, 0),
    lt_http_var("content_type", lt_http_var_header, lt_hin(content_type), 0),
    lt_http_var("host", lt_http_var_host, 0, 0),
    lt_http_var("request_port", lt_http_var_request_port, 0, 0),
    lt_http_var("is_request_port", lt_http_var_request_port, 1, 0),
    lt_http_var("binary_remote_addr", lt_http_var_binary_remote_addr, 0, 0),
    lt_http_var("remote_addr", lt_http_var_remote_addr, 0, 0),
    lt_http_var("remote_port", lt_http_var_remote_port, 0, 0),
    lt_http_var("server_addr", lt_http_var_server_addr, 0, 0),
    lt_http_var("server_port", lt_http_var_server_port, 0, 0),
    lt_http_var("server_protocol", lt_http_var_request_line, lt_rq(http_protocol), 0),
    lt_http_var("scheme", lt_http_var_scheme, 0, 0),
    lt_http_var("https", lt_http_var_https, 0, 0),
    lt_http_var("request_uri", lt_http_var_request_line, lt_rq(unparsed_uri), 0),
    lt_http_var("uri", lt_http_var_str, lt_rq(uri), LT_HTTP_VAR_NOCACHEABLE),
    lt_http_var("document_uri", lt_http_var_str, lt_rq(uri), LT_HTTP_VAR_NOCACHEABLE),
    lt_http_var("request", lt_http_var_request_line, lt_rq(request_line), 0),
    lt_http_var("document_root", lt_http_var_document_root, 0, LT_HTTP_VAR_NOCACHEABLE),
    lt_http_var("realpath_root", lt_http_var_realpath_root, 0, LT_HTTP_VAR_NOCACHEABLE),
    lt_http_var("query_string", lt_http_var_str, lt_rq(args), LT_HTTP_VAR_NOCACHEABLE),
    { lt_string("args"), lt_http_var_set_args, lt_http_var_str, lt_rq(args),
      LT_HTTP_VAR_CHANGEABLE | LT_HTTP_VAR_NOCACHEABLE, 0 },
    lt_http_var("is_args", lt_http_var_is_args, 0, LT_HTTP_VAR_NOCACHEABLE),
    lt_http_var("request_filename", lt_http_var_request_filename, 0,
                LT_HTTP_VAR_NOCACHEABLE),
    lt_http_var("server_name", lt_http_var_server_name, 0, 0),
    lt_http_var("request_method", lt_http_var_request_method, 0, LT_HTTP_VAR_NOCACHEABLE),
    lt_http_var("remote_user", lt_http_var_remote_user, 0, 0),
    lt_http_var("bytes_sent", lt_http_var_bytes_sent, 0, 0),
    lt_http_var("body_bytes_sent", lt_http_var_body_bytes_sent, 0, 0),
    lt_http_var("pipe", lt_http_var_pipe, 0, 0),
    lt_http_var("request_completion", lt_http_var_request_completion, 0, 0),
    lt_http_var("request_body", lt_http_var_request_body, 0, 0),
    lt_http_var("request_body_file", lt_http_var_request_body_file, 0, 0),
    lt_http_var("request_length", lt_http_var_request_length, 0, LT_HTTP_VAR_NOCACHEABLE),
    lt_http_var("request_time", lt_http_var_request_time, 0, LT_HTTP_VAR_NOCACHEABLE),
    lt_http_var("request_id", lt_http_var_request_id, 0, 0),
    lt_http_var("status", lt_http_var_status, 0, LT_HTTP_VAR_NOCACHEABLE),
    lt_http_var("sent_http_content_type", lt_http_var_sent_content_type, 0, 0),
    lt_http_var("sent_http_content_length", lt_http_var_sent_content_length, 0, 0),
    lt_http_var("sent_http_location", lt_http_var_sent_location, 0, 0),
    lt_http_var("sent_http_last_modified", lt_http_var_sent_last_modified, 0, 0),
    lt_http_var("sent_http_connection", lt_http_var_sent_connection, 0, 0),
    lt_http_var("sent_http_keep_alive", lt_http_var_sent_keep_alive, 0, 0),
    lt_http_var("sent_http_transfer_encoding", lt_http_var_sent_transfer_encoding, 0, 0),
    { lt_string("limit_rate"), lt_http_var_set_limit_rate, lt_http_var_limit_rate, 0,
      LT_HTTP_VAR_CHANGEABLE | LT_HTTP_VAR_NOCACHEABLE, 0 },
    lt_http_var("connection", lt_http_var_connection, 0, 0),
    lt_http_var("connection_requests", lt_http_var_connection_requests, 0, 0),
    lt_http_var("connection_time", lt_http_var_connection_time, 0, LT_HTTP_VAR_NOCACHEABLE),
    lt_http_var("nginx_version", lt_http_var_nginx_version, 0, 0),
    lt_http_var("lintel_version", lt_http_var_nginx_version, 0, 0),
    lt_http_var("hostname", lt_http_var_hostname, 0, 0),
    lt_http_var("pid", lt_http_var_pid, 0, 0),
    lt_http_var("msec", lt_http_var_msec, 0, LT_HTTP_VAR_NOCACHEABLE),
    lt_http_var("time_iso8601", lt_http_var_time, LT_HTTP_VAR_TIME_ISO8601,
                LT_HTTP_VAR_NOCACHEABLE),
    lt_http_var("time_local", lt_http_var_time, LT_HTTP_VAR_TIME_LOCAL,
                LT_HTTP_VAR_NOCACHEABLE),

    lt_http_var("http_", lt_http_var_unknown_header_in, 0, LT_HTTP_VAR_PREFIX),
    lt_http_var("sent_http_", lt_http_var_unknown_header_out, 0, LT_HTTP_VAR_PREFIX),
    lt_http_var("sent_trailer_", lt_http_var_unknown_trailer_out, 0, LT_HTTP_VAR_PREFIX),
    lt_http_var("cookie_", lt_http_var_cookie, 0, LT_HTTP_VAR_PREFIX),
    lt_http_var("arg_", lt_http_var_argument, 0,
                LT_HTTP_VAR_NOCACHEABLE | LT_HTTP_VAR_PREFIX),

    lt_http_null_variable
};


int
lt_http_variables_add_core_vars(lt_conf_t *cf)
{
    lt_http_variable_t        *cv, *v;
    lt_http_core_main_conf_t  *cmcf;

    cmcf = lt_http_conf_get_module_main_conf(cf, lt_http_core_module);

    if (lt_array_init(&cmcf->prefix_variables, cf->pool, 8, sizeof(lt_http_variable_t))
        != LT_OK)
    {
        return LT_ERROR;
    }

    for (cv = lt_http_core_variables; cv->name.len; cv++) {
        v = lt_http_add_variable(cf, &cv->name, cv->flags);
        if (v == NULL) {
            return LT_ERROR;
        }

        *v = *cv;

        if (!(cv->flags & LT_HTTP_VAR_PREFIX)) {
            /* the copy's name lives in this table; keep lookups case-insensitive */
            v->name = cv->name;
        }
    }

    return LT_OK;
}


/* lt_http_var_set: the value of a variable from a counted string */
static int
lt_http_var_set(lt_http_variable_value_t *v, const u_char *data, size_t len)
{
    v->len = (unsigned) len;
    v->valid = 1;
    v->no_cacheable = 0;
    v->not_found = 0;
    v->data = (u_char *) data;

    return LT_OK;
}


static int
lt_http_var_not_found(lt_http_variable_value_t *v)
{
    v->not_found = 1;
    return LT_OK;
}


/* lt_http_var_print: formatted into the request pool */
static int
lt_http_var_uint(lt_http_request_t *r, lt_http_variable_value_t *v, uint64_t n)
{
    u_char  *p;

    p = lt_pnalloc(r->pool, LT_INT64_LEN);
    if (p == NULL) {
        return LT_ERROR;
    }

    return lt_http_var_set(v, p, lt_sprint_uint(p, n) - p);
}


static int
lt_http_var_request_line(lt_http_request_t *r, lt_http_variable_value_t *v, uintptr_t data)
{
    lt_str_t  *s = (lt_str_t *) ((char *) r + data);

    if (s->data) {
        return lt_http_var_set(v, s->data, s->len);
    }

    return lt_http_var_not_found(v);
}


static int
lt_http_var_str(lt_http_request_t *r, lt_http_variable_value_t *v, uintptr_t data)
{
    lt_str_t  *s = (lt_str_t *) ((char *) r + data);

    if (s->data) {
        return lt_http_var_set(v, s->data, s->len);
    }

    /* not there at all (a request refused before its URI was parsed): "-" in logs */
    v->not_found = 1;

    return LT_OK;
}


static void
lt_http_var_set_args(lt_http_request_t *r, lt_http_variable_value_t *v, uintptr_t data)
{
    r->args.len = v->len;
    r->args.data = v->data;
    r->valid_unparsed_uri = 0;
}


static int
lt_http_var_header(lt_http_request_t *r, lt_http_variable_value_t *v, uintptr_t data)
{
    lt_table_elt_t  *h = *(lt_table_elt_t **) ((char *) r + data);

    if (h) {
        return lt_http_var_set(v, h->value.data, h->value.len);
    }

    return lt_http_var_not_found(v);
}


/* lt_http_var_join: values of a header chain joined by sep */
static int
lt_http_var_join(lt_http_request_t *r, lt_http_variable_value_t *v, lt_table_elt_t *h,
    u_char sep)
{
    size_t           len;
    u_char          *p;
    lt_table_elt_t  *th;

    if (h == NULL) {
        return lt_http_var_not_found(v);
    }

    if (h->next == NULL) {
        return lt_http_var_set(v, h->value.data, h->value.len);
    }

    len = 0;

    for (th = h; th; th = th->next) {
        if (th->hash == 0) {
            continue;
        }
        len += th->value.len + 2;
    }

    p = lt_pnalloc(r->pool, len);
    if (p == NULL) {
        return LT_ERROR;
    }

    v->data = p;

    for (th = h; th; th = th->next) {
        if (th->hash == 0) {
            continue;
        }

        if (p != v->data) {
            *p++ = sep;
            *p++ = ' ';
        }

        p = lt_cpymem(p, th->value.data, th->value.len);
    }

    return lt_http_var_set(v, v->data, p - v->data);
}


static int
lt_http_var_headers(lt_http_request_t *r, lt_http_variable_value_t *v, uintptr_t data)
{
    lt_table_elt_t  *h = *(lt_table_elt_t **) ((char *) r + data);

    return lt_http_var_join(r, v, h, data == lt_hin(cookie) ? ';' : ',');
}


int
lt_http_variable_unknown_header(lt_http_request_t *r, lt_http_variable_value_t *v,
    lt_str_t *var, lt_list_t *headers, size_t prefix)
{
    u_char           ch, *n;
    size_t           i, len;
    lt_list_iter_t   it;
    lt_table_elt_t  *h, *first, **last;
    u_char           sep;

    n = var->data + prefix;
    len = var->len - prefix;

    first = NULL;
    last = &first;
    sep = ',';

    lt_list_iter_init(&it, headers);

    while ((h = lt_list_iter_next(&it)) != NULL) {

        if (h->hash == 0 || h->key.len != len) {
            continue;
        }

        for (i = 0; i < len; i++) {
            ch = h->key.data[i];

            if (ch >= 'A' && ch <= 'Z') {
                ch |= 0x20;
            } else if (ch == '-') {
                ch = '_';
            }

            if (n[i] != ch) {
                break;
            }
        }

        if (i != len) {
            continue;
        }

        if (len == 6 && memcmp(n, "cookie", 6) == 0) {
            sep = ';';
        }

        /* a list of the matches, through copies (the headers' own "next"
         * chains are kept for the known headers) */
        {
            lt_table_elt_t  *copy = lt_palloc(r->pool, sizeof(lt_table_elt_t));

            if (copy == NULL) {
                return LT_ERROR;
            }

            *copy = *h;
            copy->next = NULL;
            *last = copy;
            last = &copy->next;
        }
    }

    return lt_http_var_join(r, v, first, sep);
}


static int
lt_http_var_unknown_header_in(lt_http_request_t *r, lt_http_variable_value_t *v,
    uintptr_t data)
{
    return lt_http_variable_unknown_header(r, v, (lt_str_t *) data, &r->headers_in.headers,
                                           sizeof("http_") - 1);
}


static int
lt_http_var_unknown_header_out(lt_http_request_t *r, lt_http_variable_value_t *v,
    uintptr_t data)
{
    return lt_http_variable_unknown_header(r, v, (lt_str_t *) data, &r->headers_out.headers,
                                           sizeof("sent_http_") - 1);
}


static int
lt_http_var_unknown_trailer_out(lt_http_request_t *r, lt_http_variable_value_t *v,
    uintptr_t data)
{
    return lt_http_variable_unknown_header(r, v, (lt_str_t *) data,
                                           &r->headers_out.trailers,
                                           sizeof("sent_trailer_") - 1);
}


static int
lt_http_var_cookie(lt_http_request_t *r, lt_http_variable_value_t *v, uintptr_t data)
{
    lt_str_t         *name = (lt_str_t *) data, cookie, value;
    lt_table_elt_t   *h;

    for (h = r->headers_in.cookie; h; h = h->next) {
        cookie = h->value;

        if (lt_http_cookie(&cookie, name->data + sizeof("cookie_") - 1,
                           name->len - (sizeof("cookie_") - 1), &value) == LT_OK)
        {
            return lt_http_var_set(v, value.data, value.len);
        }
    }

    return lt_http_var_not_found(v);
}


static int
lt_http_var_argument(lt_http_request_t *r, lt_http_variable_value_t *v, uintptr_t data)
{
    lt_str_t  *name = (lt_str_t *) data, value;

    if (lt_http_arg(&r->args, name->data + sizeof("arg_") - 1,
                    name->len - (sizeof("arg_") - 1), &value) == LT_OK)
    {
        return lt_http_var_set(v, value.data, value.len);
    }

    return lt_http_var_not_found(v);
}


static int
lt_http_var_host(lt_http_request_t *r, lt_http_variable_value_t *v, uintptr_t data)
{
    lt_http_core_srv_conf_t  *cscf;

    if (r->headers_in.server.len) {
        return lt_http_var_set(v, r->headers_in.server.data, r->headers_in.server.len);
    }

    cscf = lt_http_get_module_srv_conf(r, lt_http_core_module);

    return lt_http_var_set(v, cscf->server_name.data, cscf->server_name.len);
}


/*
 * lt_http_var_request_port: $request_port, the port of the request line's authority
 * if the request line has one ("GET http://a:8080/"), else the Host header's; data 1 is
 * $is_request_port, ":" when there is a port. The host was validated, so after the
 * name (headers_in.server, which for Host dropped a trailing dot) come at most a dot
 * and ":port".
 */
static int
lt_http_var_request_port(lt_http_request_t *r, lt_http_variable_value_t *v, uintptr_t data)
{
    u_char  *p, *last;

    p = NULL;
    last = NULL;

    if (r->parse.host_end) {
        if (r->parse.port_end) {
            p = r->parse.port_start;
            last = r->parse.port_end;
        }

    } else if (r->headers_in.host && r->headers_in.server.len) {
        p = r->headers_in.host->value.data + r->headers_in.server.len;
        last = r->headers_in.host->value.data + r->headers_in.host->value.len;

        p = memchr(p, ':', last - p);
        if (p) {
            p++;
        }
    }

    if (p == NULL || p == last) {
        return lt_http_var_set(v, (u_char *) "", 0);
    }

    if (data) {
        return lt_http_var_set(v, (u_char *) ":", 1);
    }

    return lt_http_var_set(v, p, last - p);
}


static int
lt_http_var_binary_remote_addr(lt_http_request_t *r, lt_http_variable_value_t *v,
    uintptr_t data)
{
    struct sockaddr  *sa = r->connection->sockaddr;

    switch (sa->sa_family) {
    case AF_INET6:
        return lt_http_var_set(v, ((struct sockaddr_in6 *) sa)->sin6_addr.s6_addr, 16);
    case AF_UNIX:
        return lt_http_var_set(v, (u_char *) "", 0);
    default:
        return lt_http_var_set(v, (u_char *) &((struct sockaddr_in *) sa)->sin_addr, 4);
    }
}


static int
lt_http_var_remote_addr(lt_http_request_t *r, lt_http_variable_value_t *v, uintptr_t data)
{
    return lt_http_var_set(v, r->connection->addr_text.data, r->connection->addr_text.len);
}


static int
lt_http_var_remote_port(lt_http_request_t *r, lt_http_variable_value_t *v, uintptr_t data)
{
    in_port_t  port;

    port = lt_inet_get_port(r->connection->sockaddr);

    if (port == 0) {
        return lt_http_var_set(v, (u_char *) "", 0);
    }

    return lt_http_var_uint(r, v, port);
}


int
lt_http_server_addr(lt_http_request_t *r, lt_str_t *s)
{
    return lt_connection_local_sockaddr(r->connection, s, 0);
}


static int
lt_http_var_server_addr(lt_http_request_t *r, lt_http_variable_value_t *v, uintptr_t data)
{
    lt_str_t  s;

    if (lt_http_server_addr(r, &s) != LT_OK) {
        return LT_ERROR;
    }

    return lt_http_var_set(v, s.data, s.len);
}


static int
lt_http_var_server_port(lt_http_request_t *r, lt_http_variable_value_t *v, uintptr_t data)
{
    in_port_t  port;

    if (lt_connection_local_sockaddr(r->connection, NULL, 0) != LT_OK) {
        return LT_ERROR;
    }

    port = lt_inet_get_port(r->connection->local_sockaddr);

    if (port == 0) {
        return lt_http_var_set(v, (u_char *) "", 0);
    }

    return lt_http_var_uint(r, v, port);
}


static int
lt_http_var_scheme(lt_http_request_t *r, lt_http_variable_value_t *v, uintptr_t data)
{
    if (r->connection->ssl) {
        return lt_http_var_set(v, (u_char *) "https", 5);
    }

    return lt_http_var_set(v, (u_char *) "http", 4);
}


static int
lt_http_var_https(lt_http_request_t *r, lt_http_variable_value_t *v, uintptr_t data)
{
    if (r->connection->ssl) {
        return lt_http_var_set(v, (u_char *) "on", 2);
    }

    return lt_http_var_set(v, (u_char *) "", 0);
}


static int
lt_http_var_is_args(lt_http_request_t *r, lt_http_variable_value_t *v, uintptr_t data)
{
    if (r->args.len == 0) {
        return lt_http_var_set(v, (u_char *) "", 0);
    }

    return lt_http_var_set(v, (u_char *) "?", 1);
}


static int
lt_http_var_document_root(lt_http_request_t *r, lt_http_variable_value_t *v, uintptr_t data)
{
    lt_str_t                  path;
    lt_http_core_loc_conf_t  *clcf;

    clcf = lt_http_get_module_loc_conf(r, lt_http_core_module);

    if (clcf->root_values == NULL) {
        return lt_http_var_set(v, clcf->root.data, clcf->root.len);
    }

    if (lt_http_complex_value(r, clcf->root_values, &path) != LT_OK) {
        return LT_ERROR;
    }

    if (lt_conf_full_name((lt_cycle_t *) lt_cycle, &path, 0) != LT_OK) {
        return LT_ERROR;
    }

    return lt_http_var_set(v, path.data, path.len);
}


static int
lt_http_var_realpath_root(lt_http_request_t *r, lt_http_variable_value_t *v, uintptr_t data)
{
    size_t    len;
    u_char   *real;
    lt_str_t  path;
    char      buf[PATH_MAX];

    if (lt_http_var_document_root(r, v, 0) != LT_OK) {
        return LT_ERROR;
    }

    path.len = v->len;
    path.data = lt_pstrdup(r->pool, &(lt_str_t) { v->len, v->data });
    if (path.data == NULL) {
        return LT_ERROR;
    }

    if (realpath((char *) path.data, buf) == NULL) {
        lt_log_error(LT_LOG_CRIT, r->connection->log, errno, "realpath() \"%s\" failed",
                     path.data);
        return LT_ERROR;
    }

    len = strlen(buf);

    real = lt_pnalloc(r->pool, len);
    if (real == NULL) {
        return LT_ERROR;
    }

    memcpy(real, buf, len);

    return lt_http_var_set(v, real, len);
}


static int
lt_http_var_request_filename(lt_http_request_t *r, lt_http_variable_value_t *v,
    uintptr_t data)
{
    size_t    root;
    lt_str_t  path;

    if (lt_http_map_uri_to_path(r, &path, &root, 0) == NULL) {
        return LT_ERROR;
    }

    return lt_http_var_set(v, path.data, path.len - 1);
}


static int
lt_http_var_server_name(lt_http_request_t *r, lt_http_variable_value_t *v, uintptr_t data)
{
    lt_http_core_srv_conf_t  *cscf;

    cscf = lt_http_get_module_srv_conf(r, lt_http_core_module);

    return lt_http_var_set(v, cscf->server_name.data, cscf->server_name.len);
}


static int
lt_http_var_request_method(lt_http_request_t *r, lt_http_variable_value_t *v,
    uintptr_t data)
{
    if (r->main->method_name.data) {
        return lt_http_var_set(v, r->main->method_name.data, r->main->method_name.len);
    }

    return lt_http_var_not_found(v);
}


int
lt_http_auth_basic_user(lt_http_request_t *r)
{
    u_char          *p, *last, *colon;
    lt_str_t         encoded, decoded;
    lt_table_elt_t  *h;

    if (r->headers_in.user.len) {
        return LT_OK;
    }

    if (r->headers_in.user.data) {
        /* tried before: no user */
        return LT_DECLINED;
    }

    r->headers_in.user.data = (u_char *) "";

    h = r->headers_in.authorization;

    if (h == NULL || h->value.len < sizeof("Basic ") - 1
        || lt_strncasecmp(h->value.data, (u_char *) "Basic ", sizeof("Basic ") - 1) != 0)
    {
        return LT_DECLINED;
    }

    p = h->value.data + sizeof("Basic ") - 1;
    last = h->value.data + h->value.len;

    while (p < last && *p == ' ') {
        p++;
    }

    encoded.data = p;

    while (p < last && *p != ' ') {
        p++;
    }

    encoded.len = p - encoded.data;

    if (encoded.len == 0) {
        return LT_DECLINED;
    }

    decoded.data = lt_pnalloc(r->pool, lt_base64_decoded_length(encoded.len));
    if (decoded.data == NULL) {
        return LT_ERROR;
    }

    if (lt_decode_base64(&decoded, &encoded) != LT_OK) {
        return LT_DECLINED;
    }

    colon = memchr(decoded.data, ':', decoded.len);

    if (colon == NULL || colon == decoded.data) {
        return LT_DECLINED;
    }

    r->headers_in.user.data = decoded.data;
    r->headers_in.user.len = colon - decoded.data;
    r->headers_in.passwd.data = colon + 1;
    r->headers_in.passwd.len = decoded.data + decoded.len - colon - 1;

    return LT_OK;
}


static int
lt_http_var_remote_user(lt_http_request_t *r, lt_http_variable_value_t *v, uintptr_t data)
{
    int  rc;

    rc = lt_http_auth_basic_user(r);

    if (rc == LT_ERROR) {
        return LT_ERROR;
    }

    if (rc == LT_OK) {
        return lt_http_var_set(v, r->headers_in.user.data, r->headers_in.user.len);
    }

    return lt_http_var_not_found(v);
}


static int
lt_http_var_bytes_sent(lt_http_request_t *r, lt_http_variable_value_t *v, uintptr_t data)
{
    return lt_http_var_uint(r, v, (uint64_t) r->connection->sent);
}


static int
lt_http_var_body_bytes_sent(lt_http_request_t *r, lt_http_variable_value_t *v,
    uintptr_t data)
{
    off_t  sent;

    sent = r->connection->sent - (off_t) r->header_size;

    if (sent < 0) {
        sent = 0;
    }

    return lt_http_var_uint(r, v, (uint64_t) sent);
}


static int
lt_http_var_pipe(lt_http_request_t *r, lt_http_variable_value_t *v, uintptr_t data)
{
    return lt_http_var_set(v, (u_char *) (r->pipeline ? "p" : "."), 1);
}


static int
lt_http_var_request_completion(lt_http_request_t *r, lt_http_variable_value_t *v,
    uintptr_t data)
{
    if (r->request_complete) {
        return lt_http_var_set(v, (u_char *) "OK", 2);
    }

    return lt_http_var_set(v, (u_char *) "", 0);
}


static int
lt_http_var_request_body(lt_http_request_t *r, lt_http_variable_value_t *v, uintptr_t data)
{
    size_t       len;
    u_char      *p;
    lt_buf_t    *b;
    lt_chain_t  *cl;

    if (r->request_body == NULL || r->request_body->bufs == NULL
        || r->request_body->temp_file)
    {
        return lt_http_var_not_found(v);
    }

    cl = r->request_body->bufs;
    b = cl->buf;

    if (cl->next == NULL) {
        return lt_http_var_set(v, b->pos, b->last - b->pos);
    }

    len = 0;

    for (cl = r->request_body->bufs; cl; cl = cl->next) {
        len += cl->buf->last - cl->buf->pos;
    }

    p = lt_pnalloc(r->pool, len);
    if (p == NULL) {
        return LT_ERROR;
    }

    v->data = p;

    for (cl = r->request_body->bufs; cl; cl = cl->next) {
        p = lt_cpymem(p, cl->buf->pos, cl->buf->last - cl->buf->pos);
    }

    return lt_http_var_set(v, v->data, len);
}


static int
lt_http_var_request_body_file(lt_http_request_t *r, lt_http_variable_value_t *v,
    uintptr_t data)
{
    if (r->request_body == NULL || r->request_body->temp_file == NULL) {
        return lt_http_var_not_found(v);
    }

    return lt_http_var_set(v, r->request_body->temp_file->name.data,
                           r->request_body->temp_file->name.len);
}


static int
lt_http_var_request_length(lt_http_request_t *r, lt_http_variable_value_t *v,
    uintptr_t data)
{
    return lt_http_var_uint(r, v, (uint64_t) r->request_length);
}


static int
lt_http_var_request_time(lt_http_request_t *r, lt_http_variable_value_t *v, uintptr_t data)
{
    u_char     *p;
    int64_t     ms;
    lt_time_t  *tp;

    tp = lt_timeofday();

    ms = (int64_t) (tp->sec - r->start_sec) * 1000 + ((int64_t) tp->msec - r->start_msec);
    if (ms < 0) {
        ms = 0;
    }

    p = lt_pnalloc(r->pool, LT_INT64_LEN + 4);
    if (p == NULL) {
        return LT_ERROR;
    }

    return lt_http_var_set(v, p, snprintf((char *) p, LT_INT64_LEN + 4, "%lld.%03lld",
                                          (long long) (ms / 1000), (long long) (ms % 1000)));
}


static int
lt_http_var_request_id(lt_http_request_t *r, lt_http_variable_value_t *v, uintptr_t data)
{
    u_char    *id;
    uint64_t   rnd[2];

    /* 128 random bits; RAND_bytes is not needed for an identifier */
    rnd[0] = ((uint64_t) lt_random() << 33) ^ ((uint64_t) lt_random() << 2)
             ^ (uint64_t) lt_random();
    rnd[1] = ((uint64_t) lt_random() << 33) ^ ((uint64_t) lt_random() << 2)
             ^ (uint64_t) lt_random() ^ lt_current_msec;

    id = lt_pnalloc(r->pool, 32);
    if (id == NULL) {
        return LT_ERROR;
    }

    lt_hex_dump(id, (u_char *) rnd, 16);

    return lt_http_var_set(v, id, 32);
}


static int
lt_http_var_status(lt_http_request_t *r, lt_http_variable_value_t *v, uintptr_t data)
{
    unsigned  status;
    u_char   *p;

    status = r->err_status ? r->err_status : r->headers_out.status;

    p = lt_pnalloc(r->pool, 3);
    if (p == NULL) {
        return LT_ERROR;
    }

    if (status > 999) {
        status = 999;
    }

    p[0] = (u_char) ('0' + status / 100);
    p[1] = (u_char) ('0' + status / 10 % 10);
    p[2] = (u_char) ('0' + status % 10);

    return lt_http_var_set(v, p, 3);
}


static int
lt_http_var_sent_content_type(lt_http_request_t *r, lt_http_variable_value_t *v,
    uintptr_t data)
{
    if (r->headers_out.content_type.len) {
        return lt_http_var_set(v, r->headers_out.content_type.data,
                               r->headers_out.content_type.len);
    }

    return lt_http_var_not_found(v);
}


static int
lt_http_var_sent_content_length(lt_http_request_t *r, lt_http_variable_value_t *v,
    uintptr_t data)
{
    if (r->headers_out.content_length) {
        return lt_http_var_set(v, r->headers_out.content_length->value.data,
                               r->headers_out.content_length->value.len);
    }

    if (r->headers_out.content_length_n >= 0) {
        return lt_http_var_uint(r, v, (uint64_t) r->headers_out.content_length_n);
    }

    return lt_http_var_not_found(v);
}


static int
lt_http_var_sent_location(lt_http_request_t *r, lt_http_variable_value_t *v,
    uintptr_t data)
{
    lt_str_t  name = lt_string("sent_http_location");

    if (r->headers_out.location) {
        return lt_http_var_set(v, r->headers_out.location->value.data,
                               r->headers_out.location->value.len);
    }

    return lt_http_variable_unknown_header(r, v, &name, &r->headers_out.headers,
                                           sizeof("sent_http_") - 1);
}


static int
lt_http_var_sent_last_modified(lt_http_request_t *r, lt_http_variable_value_t *v,
    uintptr_t data)
{
    u_char  *p;

    if (r->headers_out.last_modified) {
        return lt_http_var_set(v, r->headers_out.last_modified->value.data,
                               r->headers_out.last_modified->value.len);
    }

    if (r->headers_out.last_modified_time >= 0) {
        p = lt_pnalloc(r->pool, LT_HTTP_TIME_LEN);
        if (p == NULL) {
            return LT_ERROR;
        }

        return lt_http_var_set(v, p, lt_http_time(p, r->headers_out.last_modified_time) - p);
    }

    return lt_http_var_not_found(v);
}


static int
lt_http_var_sent_connection(lt_http_request_t *r, lt_http_variable_value_t *v,
    uintptr_t data)
{
    if (r->headers_out.status == LT_HTTP_SWITCHING_PROTOCOLS) {
        return lt_http_var_set(v, (u_char *) "upgrade", 7);
    }

    if (r->keepalive) {
        return lt_http_var_set(v, (u_char *) "keep-alive", 10);
    }

    return lt_http_var_set(v, (u_char *) "close", 5);
}


static int
lt_http_var_sent_keep_alive(lt_http_request_t *r, lt_http_variable_value_t *v,
    uintptr_t data)
{
    u_char                   *p;
    lt_http_core_loc_conf_t  *clcf;

    if (r->keepalive) {
        clcf = lt_http_get_module_loc_conf(r, lt_http_core_module);

        if (clcf->keepalive_header) {
            p = lt_pnalloc(r->pool, sizeof("timeout=") + LT_INT64_LEN);
            if (p == NULL) {
                return LT_ERROR;
            }

            return lt_http_var_set(v, p, snprintf((char *) p, sizeof("timeout=") + LT_INT64_LEN,
                                                  "timeout=%lld",
                                                  (long long) clcf->keepalive_header));
        }
    }

    return lt_http_var_not_found(v);
}


static int
lt_http_var_sent_transfer_encoding(lt_http_request_t *r, lt_http_variable_value_t *v,
    uintptr_t data)
{
    if (r->chunked) {
        return lt_http_var_set(v, (u_char *) "chunked", 7);
    }

    return lt_http_var_not_found(v);
}


static int
lt_http_var_content_length(lt_http_request_t *r, lt_http_variable_value_t *v,
    uintptr_t data)
{
    if (r->headers_in.content_length) {
        return lt_http_var_set(v, r->headers_in.content_length->value.data,
                               r->headers_in.content_length->value.len);
    }

    if (r->reading_body) {
        return lt_http_var_not_found(v);
    }

    if (r->headers_in.content_length_n >= 0) {
        return lt_http_var_uint(r, v, (uint64_t) r->headers_in.content_length_n);
    }

    return lt_http_var_not_found(v);
}


static int
lt_http_var_limit_rate(lt_http_request_t *r, lt_http_variable_value_t *v, uintptr_t data)
{
    return lt_http_var_uint(r, v, r->limit_rate);
}


static void
lt_http_var_set_limit_rate(lt_http_request_t *r, lt_http_variable_value_t *v, uintptr_t data)
{
    int64_t   n;
    lt_str_t  s;

    s.len = v->len;
    s.data = v->data;

    n = lt_parse_size(&s);

    if (n == LT_ERROR) {
        lt_log_error(LT_LOG_ERR, r->connection->log, 0, "invalid $limit_rate \"%.*s\"",
                     (int) v->len, v->data);
        return;
    }

    r->limit_rate = (size_t) n;
    r->limit_rate_set = 1;
}


static int
lt_http_var_connection(lt_http_request_t *r, lt_http_variable_value_t *v, uintptr_t data)
{
    return lt_http_var_uint(r, v, r->connection->number);
}


static int
lt_http_var_connection_requests(lt_http_request_t *r, lt_http_variable_value_t *v,
    uintptr_t data)
{
    return lt_http_var_uint(r, v, r->connection->requests);
}


static int
lt_http_var_connection_time(lt_http_request_t *r, lt_http_variable_value_t *v,
    uintptr_t data)
{
    u_char    *p;
    uint64_t   ms;

    ms = lt_current_msec - r->http_connection->start_msec;

    p = lt_pnalloc(r->pool, LT_INT64_LEN + 4);
    if (p == NULL) {
        return LT_ERROR;
    }

    return lt_http_var_set(v, p, snprintf((char *) p, LT_INT64_LEN + 4, "%llu.%03llu",
                                          (unsigned long long) (ms / 1000),
                                          (unsigned long long) (ms % 1000)));
}


static int
lt_http_var_nginx_version(lt_http_request_t *r, lt_http_variable_value_t *v, uintptr_t data)
{
    return lt_http_var_set(v, (u_char *) LINTEL_VERSION, sizeof(LINTEL_VERSION) - 1);
}


static int
lt_http_var_hostname(lt_http_request_t *r, lt_http_variable_value_t *v, uintptr_t data)
{
    return lt_http_var_set(v, lt_cycle->hostname.data, lt_cycle->hostname.len);
}


static int
lt_http_var_pid(lt_http_request_t *r, lt_http_variable_value_t *v, uintptr_t data)
{
    return lt_http_var_uint(r, v, (uint64_t) lt_pid);
}


static int
lt_http_var_msec(lt_http_request_t *r, lt_http_variable_value_t *v, uintptr_t data)
{
    u_char     *p;
    lt_time_t  *tp;

    tp = lt_timeofday();

    p = lt_pnalloc(r->pool, LT_INT64_LEN + 4);
    if (p == NULL) {
        return LT_ERROR;
    }

    return lt_http_var_set(v, p, snprintf((char *) p, LT_INT64_LEN + 4, "%lld.%03u",
                                          (long long) tp->sec, tp->msec));
}


static int
lt_http_var_time(lt_http_request_t *r, lt_http_variable_value_t *v, uintptr_t data)
{
    u_char                   *p;
    const volatile lt_str_t  *t;

    t = (data == LT_HTTP_VAR_TIME_ISO8601) ? &lt_cached_http_log_iso8601
                                            : &lt_cached_http_log_time;

    p = lt_pnalloc(r->pool, t->len);
    if (p == NULL) {
        return LT_ERROR;
    }

    memcpy(p, t->data, t->len);

    return lt_http_var_set(v, p, t->len);
}
