/*
 * lt_http_core_directives.c: the core directives with their own syntax:
 * listen, server_name, error_page, try_files.
 */

#include "lt_http.h"

static int lt_http_listen_keepalive(lt_conf_t *cf, lt_str_t *s, lt_http_listen_opt_t *lsopt);


/* lt_http_listen_option: one "name=value" or flag of listen; LT_OK, LT_DECLINED
 * for an unknown parameter, LT_ERROR (reported) */
static int
lt_http_listen_option(lt_conf_t *cf, lt_str_t *v, lt_http_listen_opt_t *lsopt)
{
    lt_str_t  s;
    int64_t   n;

#define lt_listen_opt(prefix)                                                 \
    (v->len > sizeof(prefix) - 1 && memcmp(v->data, prefix, sizeof(prefix) - 1) == 0 \
     && (s.data = v->data + sizeof(prefix) - 1, s.len = v->len - (sizeof(prefix) - 1), 1))

    if (lt_str_eq(v, "default_server") || lt_str_eq(v, "default")) {
        lsopt->default_server = 1;
        return LT_OK;
    }

    if (lt_str_eq(v, "bind")) {
        lsopt->set = 1;
        lsopt->bind = 1;
        return LT_OK;
    }

    if (lt_str_eq(v, "ssl")) {
#if (LT_MODULE_HTTP_SSL)
        lsopt->ssl = 1;
        return LT_OK;
#else
        /* a port that was meant to be encrypted must not quietly serve plain HTTP */
        lt_conf_log_error(LT_LOG_EMERG, cf, 0, "the \"ssl\" parameter requires "
                          "http_ssl_module, which this build does not have");
        return LT_ERROR;
#endif
    }

    if (lt_str_eq(v, "http2")) {
        lt_conf_log_error(LT_LOG_WARN, cf, 0, "the \"http2\" parameter is not supported "
                          "yet, HTTP/1.1 is served");
        return LT_OK;
    }

    if (lt_str_eq(v, "deferred")) {
        lsopt->set = 1;
        lsopt->bind = 1;
        lsopt->deferred_accept = 1;
        return LT_OK;
    }

    if (lt_str_eq(v, "reuseport")) {
        lsopt->set = 1;
        lsopt->bind = 1;
        lsopt->reuseport = 1;
        return LT_OK;
    }

    if (lt_listen_opt("backlog=")) {
        n = lt_atoi(s.data, s.len);
        if (n == LT_ERROR || n == 0 || n > INT_MAX) {
            lt_conf_log_error(LT_LOG_EMERG, cf, 0, "invalid backlog \"%s\"", s.data);
            return LT_ERROR;
        }
        lsopt->set = 1;
        lsopt->bind = 1;
        lsopt->backlog = (int) n;
        return LT_OK;
    }

    if (lt_listen_opt("rcvbuf=") || lt_listen_opt("sndbuf=")) {
        n = lt_parse_size(&s);
        if (n == LT_ERROR || n > INT_MAX) {
            lt_conf_log_error(LT_LOG_EMERG, cf, 0, "invalid %.6s \"%s\"", v->data, s.data);
            return LT_ERROR;
        }
        lsopt->set = 1;
        lsopt->bind = 1;
        *(v->data[0] == 'r' ? &lsopt->rcvbuf : &lsopt->sndbuf) = (int) n;
        return LT_OK;
    }

    if (lt_listen_opt("fastopen=")) {
        n = lt_atoi(s.data, s.len);
        if (n == LT_ERROR || n > INT_MAX) {
            lt_conf_log_error(LT_LOG_EMERG, cf, 0, "invalid fastopen \"%s\"", s.data);
            return LT_ERROR;
        }
        lsopt->set = 1;
        lsopt->bind = 1;
        lsopt->fastopen = (int) n;
        return LT_OK;
    }

    if (lt_listen_opt("ipv6only=")) {
        if (lt_str_eq(&s, "on")) {
            lsopt->ipv6only = 1;
        } else if (lt_str_eq(&s, "off")) {
            lsopt->ipv6only = 0;
        } else {
            lt_conf_log_error(LT_LOG_EMERG, cf, 0, "invalid ipv6only flags \"%s\"", s.data);
            return LT_ERROR;
        }
        lsopt->set = 1;
        lsopt->bind = 1;
        return LT_OK;
    }

    if (lt_listen_opt("so_keepalive=")) {
        return lt_http_listen_keepalive(cf, &s, lsopt);
    }

    if (lt_str_eq(v, "proxy_protocol")) {
        lt_conf_log_error(LT_LOG_EMERG, cf, 0, "the \"proxy_protocol\" parameter is not "
                          "supported yet");
        return LT_ERROR;
    }

    if (lt_str_eq(v, "quic") || lt_listen_opt("setfib=") || lt_listen_opt("accept_filter=")) {
        lt_conf_log_error(LT_LOG_EMERG, cf, 0, "the \"%s\" parameter is not supported on "
                          "this platform", v->data);
        return LT_ERROR;
    }

#undef lt_listen_opt

    return LT_DECLINED;
}


/* "so_keepalive=on|off|[keepidle]:[keepintvl]:[keepcnt]" */
static int
lt_http_listen_keepalive(lt_conf_t *cf, lt_str_t *s, lt_http_listen_opt_t *lsopt)
{
    u_char   *p, *end, *colon;
    int64_t   n;
    int      *fields[3];
    int       i;

    lsopt->set = 1;
    lsopt->bind = 1;

    if (lt_str_eq(s, "on")) {
        lsopt->so_keepalive = 1;
        return LT_OK;
    }

    if (lt_str_eq(s, "off")) {
        lsopt->so_keepalive = 2;
        return LT_OK;
    }

    fields[0] = &lsopt->tcp_keepidle;
    fields[1] = &lsopt->tcp_keepintvl;
    fields[2] = &lsopt->tcp_keepcnt;

    p = s->data;
    end = s->data + s->len;

    for (i = 0; i < 3; i++) {
        colon = lt_strlchr(p, end, ':');
        if (colon == NULL) {
            colon = end;
        }

        if (colon > p) {
            lt_str_t  t = { (size_t) (colon - p), p };

            n = i == 2 ? lt_atoi(t.data, t.len) : lt_parse_time(&t, 1);
            if (n == LT_ERROR || n == 0 || n > INT_MAX) {
                goto invalid;
            }

            *fields[i] = (int) n;
        }

        if (colon == end) {
            break;
        }

        p = colon + 1;
    }

    if (p < end && i == 3) {
        goto invalid;
    }

    lsopt->so_keepalive = 1;

    return LT_OK;

invalid:

    lt_conf_log_error(LT_LOG_EMERG, cf, 0, "invalid so_keepalive value: \"%.*s\"",
                      (int) s->len, s->data);
    return LT_ERROR;
}


/* lt_http_listen_range: "listen 127.0.0.1:8080-8089": the ports after the
 * first of the range, each a listen of its own with the same options */
static int
lt_http_listen_range(lt_conf_t *cf, lt_http_core_srv_conf_t *cscf, lt_url_t *u,
    lt_http_listen_opt_t *lsopt)
{
    u_char           *text;
    unsigned          port;
    struct sockaddr  *sa;

    for (port = (unsigned) u->port + 1; port <= u->last_port; port++) {
        sa = lt_palloc(cf->pool, lsopt->socklen);
        text = lt_pnalloc(cf->pool, LT_SOCKADDR_STRLEN);

        if (sa == NULL || text == NULL) {
            return LT_ERROR;
        }

        memcpy(sa, lsopt->sockaddr, lsopt->socklen);
        lt_inet_set_port(sa, (in_port_t) port);

        lsopt->sockaddr = sa;
        lsopt->addr_text.data = text;
        lsopt->addr_text.len = lt_sock_ntop(sa, lsopt->socklen, text, LT_SOCKADDR_STRLEN, 1);

        if (lt_http_add_listen(cf, cscf, lsopt) != LT_OK) {
            return LT_ERROR;
        }
    }

    return LT_OK;
}


char *
lt_http_core_listen(lt_conf_t *cf, lt_command_t *cmd, void *conf)
{
    size_t                    i;
    lt_url_t                  u;
    lt_str_t                 *value;
    lt_http_listen_opt_t      lsopt;
    lt_http_core_srv_conf_t  *cscf = conf;
    int                       rc;

    cscf->listen = 1;

    value = cf->args->elts;

    lt_memzero(&u, sizeof(lt_url_t));
    u.url = value[1];
    u.listen = 1;
    u.default_port = 80;

    if (lt_parse_url(cf->pool, &u) != LT_OK) {
        lt_conf_log_error(LT_LOG_EMERG, cf, 0, "%s in \"%s\" of the \"listen\" directive",
                          u.err ? u.err : "invalid address", value[1].data);
        return LT_CONF_ERROR;
    }

    lt_memzero(&lsopt, sizeof(lt_http_listen_opt_t));
    lsopt.backlog = 511;
    lsopt.rcvbuf = -1;
    lsopt.sndbuf = -1;
    lsopt.fastopen = -1;
    lsopt.ipv6only = 1;
    lsopt.wildcard = u.wildcard;

    for (i = 2; i < cf->args->nelts; i++) {
        rc = lt_http_listen_option(cf, &value[i], &lsopt);

        if (rc == LT_ERROR) {
            return LT_CONF_ERROR;
        }

        if (rc == LT_DECLINED) {
            lt_conf_log_error(LT_LOG_EMERG, cf, 0, "invalid parameter \"%s\"", value[i].data);
            return LT_CONF_ERROR;
        }
    }

    for (i = 0; i < u.naddrs; i++) {
        lsopt.sockaddr = u.addrs[i].sockaddr;
        lsopt.socklen = u.addrs[i].socklen;
        lsopt.addr_text = u.addrs[i].name;

        if (lsopt.sockaddr->sa_family == AF_UNIX) {
            lsopt.wildcard = 0;
        }

        if (lt_http_add_listen(cf, cscf, &lsopt) != LT_OK) {
            return LT_CONF_ERROR;
        }

        if (u.last_port > u.port && lt_http_listen_range(cf, cscf, &u, &lsopt) != LT_OK) {
            return LT_CONF_ERROR;
        }
    }

    return LT_CONF_OK;
}


/* lt_http_server_name_valid: at most one "*", and only as "*.name" or "name.*";
 * no "..", no NUL */
static int
lt_http_server_name_valid(lt_str_t *name)
{
    size_t  i, stars;

    stars = 0;

    for (i = 0; i < name->len; i++) {
        if (name->data[i] == '*') {
            stars++;
        }

        if (name->data[i] == '\0'
            || (name->data[i] == '.' && i + 1 < name->len && name->data[i + 1] == '.'))
        {
            return 0;
        }
    }

    if (stars == 0) {
        return 1;
    }

    if (stars > 1 || name->len < 3) {
        return 0;
    }

    return (name->data[0] == '*' && name->data[1] == '.')
           || (name->data[name->len - 2] == '.' && name->data[name->len - 1] == '*');
}


char *
lt_http_core_server_name(lt_conf_t *cf, lt_command_t *cmd, void *conf)
{
    size_t                    i;
    u_char                    ch;
    lt_str_t                 *value;
    lt_regex_compile_t        rc;
    lt_http_server_name_t    *sn;
    lt_http_core_srv_conf_t  *cscf = conf;

    value = cf->args->elts;

    for (i = 1; i < cf->args->nelts; i++) {

        ch = value[i].len ? value[i].data[0] : '\0';

        if ((ch == '*' && (value[i].len < 3 || value[i].data[1] != '.'))
            || (ch == '.' && value[i].len < 2))
        {
            lt_conf_log_error(LT_LOG_EMERG, cf, 0, "server name \"%s\" is invalid",
                              value[i].data);
            return LT_CONF_ERROR;
        }

        if (ch != '~' && !lt_http_server_name_valid(&value[i])) {
            lt_conf_log_error(LT_LOG_EMERG, cf, 0, "invalid server name or wildcard "
                              "\"%s\"", value[i].data);
            return LT_CONF_ERROR;
        }

        if (ch != '~' && lt_strlchr(value[i].data, value[i].data + value[i].len, '/')) {
            lt_conf_log_error(LT_LOG_WARN, cf, 0, "server name \"%s\" has suspicious "
                              "symbols", value[i].data);
        }

        sn = lt_array_push(&cscf->server_names);
        if (sn == NULL) {
            return LT_CONF_ERROR;
        }

        sn->regex = NULL;
        sn->server = cscf;

        if (lt_str_eq(&value[i], "$hostname")) {
            sn->name = cf->cycle->hostname;
        } else {
            sn->name = value[i];
        }

        if (ch != '~') {
            lt_strlow(sn->name.data, sn->name.data, sn->name.len);
            continue;
        }

        if (value[i].len == 1) {
            lt_conf_log_error(LT_LOG_EMERG, cf, 0, "empty regex in server name \"%s\"",
                              value[i].data);
            return LT_CONF_ERROR;
        }

        lt_memzero(&rc, sizeof(lt_regex_compile_t));
        rc.pattern.len = value[i].len - 1;
        rc.pattern.data = value[i].data + 1;
        rc.pool = cf->pool;
        rc.options = LT_REGEX_CASELESS;

        sn->regex = lt_http_regex_compile(cf, &rc);
        if (sn->regex == NULL) {
            return LT_CONF_ERROR;
        }

        sn->name = value[i];
        cscf->captures = (rc.captures > 0);
    }

    return LT_CONF_OK;
}


char *
lt_http_core_error_page(lt_conf_t *cf, lt_command_t *cmd, void *conf)
{
    size_t                            i, n, last;
    int64_t                           code;
    int                               overwrite;
    lt_str_t                         *value, uri, args;
    lt_http_err_page_t               *err;
    lt_http_compile_complex_value_t   ccv;
    lt_http_complex_value_t           cv;
    lt_http_core_loc_conf_t          *clcf = conf;

    if (clcf->error_pages == NULL || clcf->error_pages == LT_CONF_UNSET_PTR) {
        clcf->error_pages = lt_array_create(cf->pool, 4, sizeof(lt_http_err_page_t));
        if (clcf->error_pages == NULL) {
            return LT_CONF_ERROR;
        }
    }

    value = cf->args->elts;

    last = cf->args->nelts - 1;
    overwrite = -1;

    if (value[last - 1].data[0] == '=') {

        if (value[last - 1].len > 1) {
            code = lt_atoi(value[last - 1].data + 1, value[last - 1].len - 1);

            if (code == LT_ERROR || code > 999) {
                lt_conf_log_error(LT_LOG_EMERG, cf, 0, "invalid value \"%s\"",
                                  value[last - 1].data);
                return LT_CONF_ERROR;
            }

            overwrite = (int) code;

        } else {
            overwrite = 0;
        }

        n = 2;

    } else {
        n = 1;
    }

    uri = value[last];

    lt_memzero(&cv, sizeof(lt_http_complex_value_t));
    lt_memzero(&ccv, sizeof(lt_http_compile_complex_value_t));
    ccv.cf = cf;
    ccv.value = &uri;
    ccv.complex_value = &cv;

    if (lt_http_compile_complex_value(&ccv) != LT_OK) {
        return LT_CONF_ERROR;
    }

    lt_str_null(&args);

    if (cv.parts == NULL && uri.len && uri.data[0] == '/') {
        u_char  *q = lt_strlchr(uri.data, uri.data + uri.len, '?');

        if (q) {
            cv.value.len = q - uri.data;
            args.len = uri.data + uri.len - q - 1;
            args.data = q + 1;
        }
    }

    for (i = 1; i < cf->args->nelts - n; i++) {
        err = lt_array_push(clcf->error_pages);
        if (err == NULL) {
            return LT_CONF_ERROR;
        }

        code = lt_atoi(value[i].data, value[i].len);

        if (code == LT_ERROR) {
            lt_conf_log_error(LT_LOG_EMERG, cf, 0, "invalid value \"%s\"", value[i].data);
            return LT_CONF_ERROR;
        }

        if (code < 300 || code > 599) {
            lt_conf_log_error(LT_LOG_EMERG, cf, 0, "value \"%s\" must be between 300 and "
                              "599", value[i].data);
            return LT_CONF_ERROR;
        }

        if (code == 499) {
            /* a client that closed the connection gets no page */
            lt_conf_log_error(LT_LOG_EMERG, cf, 0, "value \"%s\" is invalid", value[i].data);
            return LT_CONF_ERROR;
        }

        err->status = (unsigned) code;
        err->overwrite = overwrite;

        if (overwrite == -1) {
            switch (code) {
            case LT_HTTP_TO_HTTPS:
            case LT_HTTPS_CERT_ERROR:
            case LT_HTTPS_NO_CERT:
            case LT_HTTP_REQUEST_HEADER_TOO_LARGE:
                err->overwrite = LT_HTTP_BAD_REQUEST;
            }
        }

        err->value = cv;
        err->args = args;
    }

    return LT_CONF_OK;
}


char *
lt_http_core_try_files(lt_conf_t *cf, lt_command_t *cmd, void *conf)
{
    size_t                            i, n;
    int64_t                           code;
    lt_str_t                         *value;
    lt_http_try_file_t               *tf;
    lt_http_compile_complex_value_t   ccv;
    lt_http_core_loc_conf_t          *clcf = conf;

    if (clcf->try_files != LT_CONF_UNSET_PTR) {
        return "is duplicate";
    }

    n = cf->args->nelts - 1;

    clcf->try_files = lt_array_create(cf->pool, n, sizeof(lt_http_try_file_t));
    if (clcf->try_files == NULL) {
        return LT_CONF_ERROR;
    }

    tf = lt_array_push_n(clcf->try_files, n);
    if (tf == NULL) {
        return LT_CONF_ERROR;
    }

    lt_memzero(tf, n * sizeof(lt_http_try_file_t));

    value = cf->args->elts;

    for (i = 0; i < n; i++) {
        lt_str_t  v = value[i + 1];

        if (i < n - 1 && v.len > 1 && v.data[v.len - 1] == '/') {
            tf[i].test_dir = 1;
            v.len--;
        }

        if (i == n - 1 && v.len > 1 && v.data[0] == '=') {
            code = lt_atoi(v.data + 1, v.len - 1);

            if (code == LT_ERROR || code > 999) {
                lt_conf_log_error(LT_LOG_EMERG, cf, 0, "invalid code \"%s\"", v.data);
                return LT_CONF_ERROR;
            }

            tf[i].code = (unsigned) code;
            continue;
        }

        lt_memzero(&ccv, sizeof(lt_http_compile_complex_value_t));
        ccv.cf = cf;
        ccv.value = &v;
        ccv.complex_value = &tf[i].value;

        if (lt_http_compile_complex_value(&ccv) != LT_OK) {
            return LT_CONF_ERROR;
        }
    }

    return LT_CONF_OK;
}
