/*
 * lt_http_upstream_conf.c: the upstream module's configuration side: the
 * upstream{} block and its "server" lines, the implicit upstreams of
 * "proxy_pass host:port", the hide-headers hash, proxy_bind's setter; and the
 * $upstream_* variables.
 */

#include "lt_http.h"
#include "lt_http_upstream_round_robin.h"

static int lt_http_upstream_add_variables(lt_conf_t *cf);
static void *lt_http_upstream_create_main_conf(lt_conf_t *cf);
static char *lt_http_upstream_init_main_conf(lt_conf_t *cf, void *conf);
static char *lt_http_upstream_block(lt_conf_t *cf, lt_command_t *cmd, void *dummy);
static char *lt_http_upstream_server(lt_conf_t *cf, lt_command_t *cmd, void *conf);

static lt_command_t  lt_http_upstream_commands[] = {

    { "upstream", LT_CTX_HTTP | LT_CONF_BLOCK, 1, 1, lt_http_upstream_block, 0, 0, NULL },

    { "server", LT_CTX_UPSTREAM, 1, LT_CONF_MANY, lt_http_upstream_server, LT_SRV_CONF, 0,
      NULL },

    lt_null_command
};

lt_module_t  lt_http_upstream_module = {
    .name = "http_upstream",
    .type = LT_HTTP_MODULE,
    .commands = lt_http_upstream_commands,
    .preconfiguration = lt_http_upstream_add_variables,
    .create_main_conf = lt_http_upstream_create_main_conf,
    .init_main_conf = lt_http_upstream_init_main_conf,
};


/* variables */

static int lt_http_upstream_state_variable(lt_http_request_t *r,
    lt_http_variable_value_t *v, uintptr_t data);
static int lt_http_upstream_no_cache_variable(lt_http_request_t *r,
    lt_http_variable_value_t *v, uintptr_t data);
static int lt_http_upstream_header_variable(lt_http_request_t *r,
    lt_http_variable_value_t *v, uintptr_t data);
static int lt_http_upstream_trailer_variable(lt_http_request_t *r,
    lt_http_variable_value_t *v, uintptr_t data);
static int lt_http_upstream_cookie_variable(lt_http_request_t *r,
    lt_http_variable_value_t *v, uintptr_t data);

/* what a $upstream_* variable of the tries reports */
#define LT_UPV_ADDR      0
#define LT_UPV_STATUS    1
#define LT_UPV_CONNECT   2
#define LT_UPV_HEADER    3
#define LT_UPV_RESPONSE  4
#define LT_UPV_LENGTH    5
#define LT_UPV_RECEIVED  6
#define LT_UPV_SENT      7

static lt_http_variable_t  lt_http_upstream_vars[] = {

    { lt_string("upstream_addr"), NULL, lt_http_upstream_state_variable, LT_UPV_ADDR,
      LT_HTTP_VAR_NOCACHEABLE, 0 },

    { lt_string("upstream_status"), NULL, lt_http_upstream_state_variable, LT_UPV_STATUS,
      LT_HTTP_VAR_NOCACHEABLE, 0 },

    { lt_string("upstream_connect_time"), NULL, lt_http_upstream_state_variable,
      LT_UPV_CONNECT, LT_HTTP_VAR_NOCACHEABLE, 0 },

    { lt_string("upstream_header_time"), NULL, lt_http_upstream_state_variable,
      LT_UPV_HEADER, LT_HTTP_VAR_NOCACHEABLE, 0 },

    { lt_string("upstream_response_time"), NULL, lt_http_upstream_state_variable,
      LT_UPV_RESPONSE, LT_HTTP_VAR_NOCACHEABLE, 0 },

    { lt_string("upstream_response_length"), NULL, lt_http_upstream_state_variable,
      LT_UPV_LENGTH, LT_HTTP_VAR_NOCACHEABLE, 0 },

    { lt_string("upstream_bytes_received"), NULL, lt_http_upstream_state_variable,
      LT_UPV_RECEIVED, LT_HTTP_VAR_NOCACHEABLE, 0 },

    { lt_string("upstream_bytes_sent"), NULL, lt_http_upstream_state_variable,
      LT_UPV_SENT, LT_HTTP_VAR_NOCACHEABLE, 0 },

    /* no cache in lintel: always empty ("-" in a log), as nginx without one */
    { lt_string("upstream_cache_status"), NULL, lt_http_upstream_no_cache_variable, 0,
      LT_HTTP_VAR_NOCACHEABLE, 0 },

    { lt_string("upstream_http_"), NULL, lt_http_upstream_header_variable, 0,
      LT_HTTP_VAR_NOCACHEABLE | LT_HTTP_VAR_PREFIX, 0 },

    { lt_string("upstream_trailer_"), NULL, lt_http_upstream_trailer_variable, 0,
      LT_HTTP_VAR_NOCACHEABLE | LT_HTTP_VAR_PREFIX, 0 },

    { lt_string("upstream_cookie_"), NULL, lt_http_upstream_cookie_variable, 0,
      LT_HTTP_VAR_NOCACHEABLE | LT_HTTP_VAR_PREFIX, 0 },

    lt_http_null_variable
};


static int
lt_http_upstream_add_variables(lt_conf_t *cf)
{
    lt_http_variable_t  *var, *v;

    for (v = lt_http_upstream_vars; v->name.len; v++) {
        var = lt_http_add_variable(cf, &v->name, v->flags);
        if (var == NULL) {
            return LT_ERROR;
        }

        var->get_handler = v->get_handler;
        var->data = v->data;
    }

    return LT_OK;
}


static int
lt_http_upstream_var_set(lt_http_variable_value_t *v, u_char *data, size_t len)
{
    v->len = (unsigned) len;
    v->data = data;
    v->valid = 1;
    v->no_cacheable = 0;
    v->not_found = 0;

    return LT_OK;
}


static int
lt_http_upstream_var_not_found(lt_http_variable_value_t *v)
{
    v->not_found = 1;
    return LT_OK;
}


/* lt_http_upstream_states: the tries, or NULL when there were none */
static lt_http_upstream_state_t *
lt_http_upstream_states(lt_http_request_t *r, size_t *n)
{
    lt_http_upstream_t  *u;

    u = r->upstream;

    if (u == NULL || u->states == NULL || u->states->nelts == 0) {
        return NULL;
    }

    *n = u->states->nelts;

    return u->states->elts;
}


/* lt_http_upstream_state_value: one try's part of a variable */
static u_char *
lt_http_upstream_state_value(u_char *p, const lt_http_upstream_state_t *st, uintptr_t what)
{
    unsigned  code;
    uint64_t  ms;

    switch (what) {

    case LT_UPV_ADDR:
        return st->peer ? lt_cpymem(p, st->peer->data, st->peer->len) : p;

    case LT_UPV_STATUS:
        if (st->status == 0) {
            *p++ = '-';
            return p;
        }

        code = st->status % 1000;
        *p++ = (u_char) ('0' + code / 100);
        *p++ = (u_char) ('0' + code / 10 % 10);
        *p++ = (u_char) ('0' + code % 10);
        return p;

    case LT_UPV_LENGTH:
        return lt_sprint_uint(p, (uint64_t) st->response_length);

    case LT_UPV_RECEIVED:
        return lt_sprint_uint(p, (uint64_t) st->bytes_received);

    case LT_UPV_SENT:
        return lt_sprint_uint(p, (uint64_t) st->bytes_sent);

    case LT_UPV_CONNECT:
        ms = st->connect_time;
        break;

    case LT_UPV_HEADER:
        ms = st->header_time;
        break;

    default:
        /* a try still running has none yet ("-"), as nginx */
        ms = st->response_time;
        break;
    }

    if (ms == (uint64_t) -1) {
        *p++ = '-';
        return p;
    }

    return lt_slprintf(p, p + LT_INT64_LEN + 4, "%llu.%03llu", (unsigned long long) (ms / 1000),
                       (unsigned long long) (ms % 1000));
}


/* lt_http_upstream_state_variable: $upstream_addr, _status, _*_time, _length,
 * _bytes_*: one value per try, ", " between tries of one upstream group and
 * " : " where an internal redirect went to another */
static int
lt_http_upstream_state_variable(lt_http_request_t *r, lt_http_variable_value_t *v,
    uintptr_t data)
{
    size_t                     i, n, len;
    u_char                    *p;
    lt_http_upstream_state_t  *state;

    state = lt_http_upstream_states(r, &n);

    if (state == NULL) {
        return lt_http_upstream_var_not_found(v);
    }

    len = 0;

    for (i = 0; i < n; i++) {
        len += (state[i].peer ? state[i].peer->len : 0) + LT_INT64_LEN + 7;
    }

    p = lt_pnalloc(r->pool, len);
    if (p == NULL) {
        return LT_ERROR;
    }

    v->data = p;

    for (i = 0; ; ) {
        p = lt_http_upstream_state_value(p, &state[i], data);

        if (++i == n) {
            break;
        }

        if (state[i].peer) {
            *p++ = ',';
            *p++ = ' ';

        } else {
            *p++ = ' ';
            *p++ = ':';
            *p++ = ' ';

            if (++i == n) {
                break;
            }
        }
    }

    return lt_http_upstream_var_set(v, v->data, p - v->data);
}


static int
lt_http_upstream_no_cache_variable(lt_http_request_t *r, lt_http_variable_value_t *v,
    uintptr_t data)
{
    return lt_http_upstream_var_not_found(v);
}


static int
lt_http_upstream_header_variable(lt_http_request_t *r, lt_http_variable_value_t *v,
    uintptr_t data)
{
    if (r->upstream == NULL || r->upstream->headers_in.headers.part.elts == NULL) {
        return lt_http_upstream_var_not_found(v);
    }

    return lt_http_variable_unknown_header(r, v, (lt_str_t *) data,
                                           &r->upstream->headers_in.headers,
                                           sizeof("upstream_http_") - 1);
}


static int
lt_http_upstream_trailer_variable(lt_http_request_t *r, lt_http_variable_value_t *v,
    uintptr_t data)
{
    if (r->upstream == NULL || r->upstream->headers_in.trailers.part.elts == NULL) {
        return lt_http_upstream_var_not_found(v);
    }

    return lt_http_variable_unknown_header(r, v, (lt_str_t *) data,
                                           &r->upstream->headers_in.trailers,
                                           sizeof("upstream_trailer_") - 1);
}


/* lt_http_upstream_cookie_variable: the value of a cookie the upstream sets:
 * "name=value" at the start of a Set-Cookie */
static int
lt_http_upstream_cookie_variable(lt_http_request_t *r, lt_http_variable_value_t *v,
    uintptr_t data)
{
    u_char          *start, *end, *eq;
    lt_str_t        *name = (lt_str_t *) data, cookie;
    lt_table_elt_t  *h;

    if (r->upstream == NULL) {
        return lt_http_upstream_var_not_found(v);
    }

    cookie.data = name->data + sizeof("upstream_cookie_") - 1;
    cookie.len = name->len - (sizeof("upstream_cookie_") - 1);

    /* "name = value ; attributes": spaces around "=" and before ";" are not
     * part of the name or the value (tabs are) */
    for (h = r->upstream->headers_in.set_cookie; h; h = h->next) {
        start = h->value.data;
        end = h->value.data + h->value.len;

        while (start < end && *start == ' ') {
            start++;
        }

        for (eq = start; eq < end && *eq != '=' && *eq != ' ' && *eq != ';'; eq++) {
            /* void */
        }

        if ((size_t) (eq - start) != cookie.len
            || lt_strncasecmp(start, cookie.data, cookie.len) != 0)
        {
            continue;
        }

        while (eq < end && *eq == ' ') {
            eq++;
        }

        if (eq == end || *eq != '=') {
            continue;
        }

        start = eq + 1;

        while (start < end && *start == ' ') {
            start++;
        }

        eq = lt_strlchr(start, end, ';');

        if (eq) {
            end = eq;
        }

        while (end > start && end[-1] == ' ') {
            end--;
        }

        return lt_http_upstream_var_set(v, start, end - start);
    }

    return lt_http_upstream_var_not_found(v);
}


/* configuration */

static void *
lt_http_upstream_create_main_conf(lt_conf_t *cf)
{
    lt_http_upstream_main_conf_t  *umcf;

    umcf = lt_pcalloc(cf->pool, sizeof(lt_http_upstream_main_conf_t));
    if (umcf == NULL) {
        return NULL;
    }

    if (lt_array_init(&umcf->upstreams, cf->pool, 4, sizeof(lt_http_upstream_srv_conf_t *))
        != LT_OK)
    {
        return NULL;
    }

    return umcf;
}


static char *
lt_http_upstream_init_main_conf(lt_conf_t *cf, void *conf)
{
    size_t                          i;
    lt_http_upstream_init_pt        init;
    lt_http_upstream_srv_conf_t   **uscfp;
    lt_http_upstream_main_conf_t   *umcf = conf;

    uscfp = umcf->upstreams.elts;

    for (i = 0; i < umcf->upstreams.nelts; i++) {
        init = uscfp[i]->peer.init_upstream ? uscfp[i]->peer.init_upstream
                                            : lt_http_upstream_init_round_robin;

        if (init(cf, uscfp[i]) != LT_OK) {
            return LT_CONF_ERROR;
        }
    }

    if (lt_http_upstream_headers_in_hash(cf, &umcf->headers_in_hash) != LT_OK) {
        return LT_CONF_ERROR;
    }

    return LT_CONF_OK;
}


lt_http_upstream_srv_conf_t *
lt_http_upstream_add(lt_conf_t *cf, lt_url_t *u, unsigned flags)
{
    size_t                          i;
    lt_http_upstream_server_t      *us;
    lt_http_upstream_srv_conf_t    *uscf, **uscfp;
    lt_http_upstream_main_conf_t   *umcf;

    umcf = lt_http_conf_get_module_main_conf(cf, lt_http_upstream_module);

    uscfp = umcf->upstreams.elts;

    for (i = 0; i < umcf->upstreams.nelts; i++) {

        if (uscfp[i]->host.len != u->host.len
            || lt_strncasecmp(uscfp[i]->host.data, u->host.data, u->host.len) != 0)
        {
            continue;
        }

        if ((flags & LT_HTTP_UPSTREAM_CREATE)
            && (uscfp[i]->flags & LT_HTTP_UPSTREAM_CREATE))
        {
            lt_conf_log_error(LT_LOG_EMERG, cf, 0, "duplicate upstream \"%.*s\"",
                              (int) u->host.len, u->host.data);
            return NULL;
        }

        if ((uscfp[i]->flags & LT_HTTP_UPSTREAM_CREATE) && !u->no_port) {
            lt_conf_log_error(LT_LOG_EMERG, cf, 0, "upstream \"%.*s\" may not have port %u",
                              (int) u->host.len, u->host.data, (unsigned) u->port);
            return NULL;
        }

        if ((flags & LT_HTTP_UPSTREAM_CREATE) && !uscfp[i]->no_port) {
            lt_log_error(LT_LOG_EMERG, cf->log, 0,
                         "upstream \"%.*s\" may not have port %u in %s:%zu",
                         (int) u->host.len, u->host.data, (unsigned) uscfp[i]->port,
                         uscfp[i]->file_name, uscfp[i]->line);
            return NULL;
        }

        if (uscfp[i]->port && u->port && uscfp[i]->port != u->port) {
            continue;
        }

        if (flags & LT_HTTP_UPSTREAM_CREATE) {
            /* the block defines what an earlier proxy_pass referred to */
            uscfp[i]->flags = flags;
            uscfp[i]->port = 0;
            uscfp[i]->implicit = 0;
        }

        return uscfp[i];
    }

    uscf = lt_pcalloc(cf->pool, sizeof(lt_http_upstream_srv_conf_t));
    if (uscf == NULL) {
        return NULL;
    }

    uscf->flags = flags;
    uscf->host = u->host;
    uscf->file_name = (u_char *) cf->conf_file->name.data;
    uscf->line = cf->conf_file->line;
    uscf->port = u->port;
    uscf->no_port = u->no_port;
    uscf->implicit = !(flags & LT_HTTP_UPSTREAM_CREATE);

    if (u->naddrs == 1 && u->addrs) {
        uscf->servers = lt_array_create(cf->pool, 1, sizeof(lt_http_upstream_server_t));
        if (uscf->servers == NULL) {
            return NULL;
        }

        us = lt_array_push(uscf->servers);
        if (us == NULL) {
            return NULL;
        }

        lt_memzero(us, sizeof(lt_http_upstream_server_t));

        us->addrs = u->addrs;
        us->naddrs = 1;
        us->weight = 1;
        us->max_fails = 1;
        us->fail_timeout = 10;
        us->name = u->addrs[0].name;
    }

    umcf = lt_http_conf_get_module_main_conf(cf, lt_http_upstream_module);

    uscfp = lt_array_push(&umcf->upstreams);
    if (uscfp == NULL) {
        return NULL;
    }

    *uscfp = uscf;

    return uscf;
}


static char *
lt_http_upstream_block(lt_conf_t *cf, lt_command_t *cmd, void *dummy)
{
    char                          *rv;
    size_t                         i, n;
    lt_url_t                       u;
    lt_str_t                      *value;
    lt_conf_t                      pcf;
    lt_module_t                   *m;
    lt_http_conf_ctx_t            *ctx, *http_ctx;
    lt_http_upstream_srv_conf_t   *uscf;

    lt_memzero(&u, sizeof(lt_url_t));

    value = cf->args->elts;
    u.host = value[1];
    u.no_resolve = 1;
    u.no_port = 1;

    uscf = lt_http_upstream_add(cf, &u,
                                LT_HTTP_UPSTREAM_CREATE | LT_HTTP_UPSTREAM_WEIGHT
                                | LT_HTTP_UPSTREAM_MAX_CONNS | LT_HTTP_UPSTREAM_MAX_FAILS
                                | LT_HTTP_UPSTREAM_FAIL_TIMEOUT | LT_HTTP_UPSTREAM_DOWN
                                | LT_HTTP_UPSTREAM_BACKUP);
    if (uscf == NULL) {
        return LT_CONF_ERROR;
    }

    uscf->file_name = (u_char *) cf->conf_file->name.data;
    uscf->line = cf->conf_file->line;

    ctx = lt_pcalloc(cf->pool, sizeof(lt_http_conf_ctx_t));
    if (ctx == NULL) {
        return LT_CONF_ERROR;
    }

    http_ctx = cf->ctx;
    ctx->main_conf = http_ctx->main_conf;

    n = lt_http_max_module;

    ctx->srv_conf = lt_pcalloc(cf->pool, n * sizeof(void *));
    ctx->loc_conf = lt_pcalloc(cf->pool, n * sizeof(void *));

    if (ctx->srv_conf == NULL || ctx->loc_conf == NULL) {
        return LT_CONF_ERROR;
    }

    ctx->srv_conf[lt_http_upstream_module.ctx_index] = uscf;
    uscf->srv_conf = ctx->srv_conf;

    for (i = 0; lt_modules[i]; i++) {
        m = lt_modules[i];

        if (m->type != LT_HTTP_MODULE) {
            continue;
        }

        if (m->create_srv_conf) {
            ctx->srv_conf[m->ctx_index] = m->create_srv_conf(cf);
            if (ctx->srv_conf[m->ctx_index] == NULL) {
                return LT_CONF_ERROR;
            }
        }

        if (m->create_loc_conf) {
            ctx->loc_conf[m->ctx_index] = m->create_loc_conf(cf);
            if (ctx->loc_conf[m->ctx_index] == NULL) {
                return LT_CONF_ERROR;
            }
        }
    }

    /* the upstream module has no srv conf of its own: the slot is the block */
    ctx->srv_conf[lt_http_upstream_module.ctx_index] = uscf;

    uscf->servers = lt_array_create(cf->pool, 4, sizeof(lt_http_upstream_server_t));
    if (uscf->servers == NULL) {
        return LT_CONF_ERROR;
    }

    pcf = *cf;
    cf->ctx = ctx;
    cf->cmd_type = LT_CTX_UPSTREAM;

    rv = lt_conf_parse(cf, NULL);

    *cf = pcf;

    if (rv != LT_CONF_OK) {
        return rv;
    }

    if (uscf->servers->nelts == 0) {
        lt_conf_log_error(LT_LOG_EMERG, cf, 0, "no servers are inside upstream");
        return LT_CONF_ERROR;
    }

    return rv;
}


static char *
lt_http_upstream_server(lt_conf_t *cf, lt_command_t *cmd, void *conf)
{
    lt_http_upstream_srv_conf_t  *uscf = conf;

    size_t                      i;
    time_t                      fail_timeout;
    int64_t                     n;
    lt_str_t                   *value, s;
    lt_url_t                    u;
    unsigned                    weight, max_conns, max_fails, down, backup;
    lt_http_upstream_server_t  *us;

    us = lt_array_push(uscf->servers);
    if (us == NULL) {
        return LT_CONF_ERROR;
    }

    lt_memzero(us, sizeof(lt_http_upstream_server_t));

    value = cf->args->elts;

    weight = 1;
    max_conns = 0;
    max_fails = 1;
    fail_timeout = 10;
    down = 0;
    backup = 0;

    for (i = 2; i < cf->args->nelts; i++) {

        if (value[i].len > 7 && lt_strncmp(value[i].data, "weight=", 7) == 0) {
            if (!(uscf->flags & LT_HTTP_UPSTREAM_WEIGHT)) {
                goto not_supported;
            }

            n = lt_atoi(&value[i].data[7], value[i].len - 7);

            if (n == LT_ERROR || n == 0) {
                goto invalid;
            }

            weight = (unsigned) n;
            continue;
        }

        if (value[i].len > 10 && lt_strncmp(value[i].data, "max_conns=", 10) == 0) {
            if (!(uscf->flags & LT_HTTP_UPSTREAM_MAX_CONNS)) {
                goto not_supported;
            }

            n = lt_atoi(&value[i].data[10], value[i].len - 10);

            if (n == LT_ERROR) {
                goto invalid;
            }

            max_conns = (unsigned) n;
            continue;
        }

        if (value[i].len > 10 && lt_strncmp(value[i].data, "max_fails=", 10) == 0) {
            if (!(uscf->flags & LT_HTTP_UPSTREAM_MAX_FAILS)) {
                goto not_supported;
            }

            n = lt_atoi(&value[i].data[10], value[i].len - 10);

            if (n == LT_ERROR) {
                goto invalid;
            }

            max_fails = (unsigned) n;
            continue;
        }

        if (value[i].len > 13 && lt_strncmp(value[i].data, "fail_timeout=", 13) == 0) {
            if (!(uscf->flags & LT_HTTP_UPSTREAM_FAIL_TIMEOUT)) {
                goto not_supported;
            }

            s.len = value[i].len - 13;
            s.data = &value[i].data[13];

            n = lt_parse_time(&s, 1);

            if (n == LT_ERROR) {
                goto invalid;
            }

            fail_timeout = (time_t) n;
            continue;
        }

        if (lt_str_eq(&value[i], "backup")) {
            if (!(uscf->flags & LT_HTTP_UPSTREAM_BACKUP)) {
                goto not_supported;
            }

            backup = 1;
            continue;
        }

        if (lt_str_eq(&value[i], "down")) {
            if (!(uscf->flags & LT_HTTP_UPSTREAM_DOWN)) {
                goto not_supported;
            }

            down = 1;
            continue;
        }

        goto invalid;
    }

    lt_memzero(&u, sizeof(lt_url_t));

    u.url = value[1];
    u.default_port = 80;

    if (lt_parse_url(cf->pool, &u) != LT_OK) {
        if (u.err) {
            lt_conf_log_error(LT_LOG_EMERG, cf, 0, "%s in upstream \"%.*s\"", u.err,
                              (int) u.url.len, u.url.data);
        }

        return LT_CONF_ERROR;
    }

    us->name = u.url;
    us->addrs = u.addrs;
    us->naddrs = u.naddrs;
    us->weight = weight;
    us->max_conns = max_conns;
    us->max_fails = max_fails;
    us->fail_timeout = fail_timeout;
    us->down = down;
    us->backup = backup;

    return LT_CONF_OK;

invalid:

    lt_conf_log_error(LT_LOG_EMERG, cf, 0, "invalid parameter \"%.*s\"", (int) value[i].len,
                      value[i].data);

    return LT_CONF_ERROR;

not_supported:

    lt_conf_log_error(LT_LOG_EMERG, cf, 0,
                      "balancing method does not support parameter \"%.*s\"",
                      (int) value[i].len, value[i].data);

    return LT_CONF_ERROR;
}


int
lt_http_upstream_hide_headers_hash(lt_conf_t *cf, lt_http_upstream_conf_t *conf,
    lt_http_upstream_conf_t *prev, const lt_str_t *default_hide_headers)
{
    size_t          i, j, n;
    lt_str_t       *h;
    lt_array_t      hide;
    lt_hash_key_t  *hk;

    if (conf->hide_headers == LT_CONF_UNSET_PTR && conf->pass_headers == LT_CONF_UNSET_PTR) {
        conf->hide_headers = prev->hide_headers;
        conf->pass_headers = prev->pass_headers;
        conf->hide_headers_hash = prev->hide_headers_hash;

        if (conf->hide_headers_hash.elts) {
            return LT_OK;
        }

    } else {
        if (conf->hide_headers == LT_CONF_UNSET_PTR) {
            conf->hide_headers = prev->hide_headers;
        }

        if (conf->pass_headers == LT_CONF_UNSET_PTR) {
            conf->pass_headers = prev->pass_headers;
        }
    }

    if (lt_array_init(&hide, cf->temp_pool, 4, sizeof(lt_hash_key_t)) != LT_OK) {
        return LT_ERROR;
    }

    for (i = 0; default_hide_headers[i].len; i++) {
        hk = lt_array_push(&hide);
        if (hk == NULL) {
            return LT_ERROR;
        }

        hk->key = default_hide_headers[i];
        hk->key_hash = 0;
        hk->value = (void *) 1;
    }

    if (conf->hide_headers != LT_CONF_UNSET_PTR && conf->hide_headers) {
        h = conf->hide_headers->elts;

        for (i = 0; i < conf->hide_headers->nelts; i++) {
            hk = hide.elts;

            for (j = 0; j < hide.nelts; j++) {
                if (h[i].len == hk[j].key.len
                    && lt_strncasecmp(h[i].data, hk[j].key.data, h[i].len) == 0)
                {
                    goto exist;
                }
            }

            hk = lt_array_push(&hide);
            if (hk == NULL) {
                return LT_ERROR;
            }

            hk->key = h[i];
            hk->key_hash = 0;
            hk->value = (void *) 1;

        exist:

            continue;
        }
    }

    if (conf->pass_headers != LT_CONF_UNSET_PTR && conf->pass_headers) {
        h = conf->pass_headers->elts;
        hk = hide.elts;

        for (i = 0; i < conf->pass_headers->nelts; i++) {
            for (j = 0; j < hide.nelts; j++) {
                if (hk[j].key.data == NULL) {
                    continue;
                }

                if (h[i].len == hk[j].key.len
                    && lt_strncasecmp(h[i].data, hk[j].key.data, h[i].len) == 0)
                {
                    hk[j].key.data = NULL;
                    break;
                }
            }
        }
    }

    /* the hash holds the entries that remain */
    hk = hide.elts;
    n = 0;

    for (i = 0; i < hide.nelts; i++) {
        if (hk[i].key.data) {
            hk[n++] = hk[i];
        }
    }

    if (n == 0) {
        lt_memzero(&conf->hide_headers_hash, sizeof(lt_hash_t));
        return LT_OK;
    }

    return lt_hash_init(&conf->hide_headers_hash, cf->pool, hk, n, LT_HASH_CASELESS, NULL)
           == LT_OK ? LT_OK : LT_ERROR;
}


char *
lt_http_upstream_bind_set_slot(lt_conf_t *cf, lt_command_t *cmd, void *conf)
{
    int                               rc;
    char                             *p = conf;
    lt_str_t                         *value;
    socklen_t                         len;
    struct sockaddr_storage           ss;
    lt_http_upstream_local_t        **plocal, *local;
    lt_http_compile_complex_value_t   ccv;

    plocal = (lt_http_upstream_local_t **) (p + cmd->offset);

    if (*plocal != LT_CONF_UNSET_PTR) {
        return "is duplicate";
    }

    value = cf->args->elts;

    if (cf->args->nelts == 2 && lt_str_eq(&value[1], "off")) {
        *plocal = NULL;
        return LT_CONF_OK;
    }

    local = lt_pcalloc(cf->pool, sizeof(lt_http_upstream_local_t));
    if (local == NULL) {
        return LT_CONF_ERROR;
    }

    *plocal = local;

    if (lt_http_script_variables_count(&value[1])) {
        local->value = lt_pcalloc(cf->pool, sizeof(lt_http_complex_value_t));
        if (local->value == NULL) {
            return LT_CONF_ERROR;
        }

        lt_memzero(&ccv, sizeof(lt_http_compile_complex_value_t));
        ccv.cf = cf;
        ccv.value = &value[1];
        ccv.complex_value = local->value;

        if (lt_http_compile_complex_value(&ccv) != LT_OK) {
            return LT_CONF_ERROR;
        }

    } else {
        rc = lt_http_upstream_parse_addr_port(value[1].data, value[1].len, &ss, &len);

        if (rc != LT_OK) {
            lt_conf_log_error(LT_LOG_EMERG, cf, 0, "invalid address \"%.*s\"",
                              (int) value[1].len, value[1].data);
            return LT_CONF_ERROR;
        }

        local->addr = lt_palloc(cf->pool, sizeof(lt_addr_t));
        if (local->addr == NULL) {
            return LT_CONF_ERROR;
        }

        local->addr->sockaddr = lt_palloc(cf->pool, len);
        if (local->addr->sockaddr == NULL) {
            return LT_CONF_ERROR;
        }

        memcpy(local->addr->sockaddr, &ss, len);
        local->addr->socklen = len;
        local->addr->name = value[1];
    }

    if (cf->args->nelts > 2) {
        if (lt_str_eq(&value[2], "transparent")) {
            local->transparent = 1;

        } else {
            lt_conf_log_error(LT_LOG_EMERG, cf, 0, "invalid parameter \"%.*s\"",
                              (int) value[2].len, value[2].data);
            return LT_CONF_ERROR;
        }
    }

    return LT_CONF_OK;
}
