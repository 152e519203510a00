/*
 * realip.c: the client address from a header set by a trusted proxy
 * ("http_realip", nginx's ngx_http_realip_module).
 *
 * When the connection's peer is one of the set_real_ip_from addresses, the
 * address (and the port, when one is given) in X-Real-IP, X-Forwarded-For or
 * another header replaces the connection's address for the rest of the request:
 * $remote_addr, $remote_port, $binary_remote_addr, allow/deny, geo, the access
 * log and the error log's "client:" all read c->sockaddr and c->addr_text, so
 * those are what change. A cleanup of the request pool puts the peer's address
 * back when the request ends, before the next request of a keep-alive
 * connection starts; it runs after the access log is written.
 *
 * The handler runs in POST_READ (with the configuration of the server, so that
 * a server-level "return" already sees the new address) and again in PREACCESS
 * (with the location's), as nginx does. Whichever changes the address first
 * wins: once changed, the request (internal redirects included) keeps it.
 */

#include "lt_http.h"

#define LT_HTTP_REALIP_XREALIP  0
#define LT_HTTP_REALIP_XFWD     1
#define LT_HTTP_REALIP_HEADER   2
#define LT_HTTP_REALIP_PROXY    3

typedef struct {
    lt_array_t      *from;          /* lt_cidr_t (family AF_UNIX: "unix:"); NULL: unset */
    unsigned         type;          /* LT_HTTP_REALIP_* */
    lt_str_t         header;        /* LT_HTTP_REALIP_HEADER: the name, lowercase */
    int              recursive;
} lt_http_realip_loc_conf_t;

/* the core variables that read the connection's address: their cached values
 * are forgotten when the address changes */
typedef struct {
    int              remote_vars[3];    /* $remote_addr, $remote_port, $binary_remote_addr */
} lt_http_realip_main_conf_t;

/* the peer's address, kept while the request uses the forwarded one; it is
 * the data of the request pool's cleanup that restores it */
typedef struct {
    lt_connection_t *connection;
    struct sockaddr *sockaddr;
    socklen_t        socklen;
    lt_str_t         addr_text;
} lt_http_realip_ctx_t;

/* an address being walked: the connection's, then each one taken from the header */
typedef struct {
    struct sockaddr          *sockaddr;
    socklen_t                 socklen;
    struct sockaddr_storage   storage;
} lt_http_realip_addr_t;

static int lt_http_realip_handler(lt_http_request_t *r);
static char *lt_http_realip_from(lt_conf_t *cf, lt_command_t *cmd, void *conf);
static char *lt_http_realip_header(lt_conf_t *cf, lt_command_t *cmd, void *conf);
static void *lt_http_realip_create_main_conf(lt_conf_t *cf);
static void *lt_http_realip_create_loc_conf(lt_conf_t *cf);
static char *lt_http_realip_merge_loc_conf(lt_conf_t *cf, void *parent, void *child);
static int lt_http_realip_add_variables(lt_conf_t *cf);
static int lt_http_realip_init(lt_conf_t *cf);

static lt_command_t  lt_http_realip_commands[] = {

    { "set_real_ip_from", LT_HTTP_ANY_CONF, 1, 1, lt_http_realip_from, LT_LOC_CONF, 0,
      NULL },

    { "real_ip_header", LT_HTTP_ANY_CONF, 1, 1, lt_http_realip_header, LT_LOC_CONF, 0,
      NULL },

    { "real_ip_recursive", LT_HTTP_ANY_CONF, 1, 1, lt_conf_set_flag_slot, LT_LOC_CONF,
      offsetof(lt_http_realip_loc_conf_t, recursive), NULL },

    lt_null_command
};

lt_module_t  lt_http_realip_module = {
    .name = "http_realip",
    .type = LT_HTTP_MODULE,
    .commands = lt_http_realip_commands,
    .preconfiguration = lt_http_realip_add_variables,
    .postconfiguration = lt_http_realip_init,
    .create_main_conf = lt_http_realip_create_main_conf,
    .create_loc_conf = lt_http_realip_create_loc_conf,
    .merge_loc_conf = lt_http_realip_merge_loc_conf,
};

/* lt_http_realip_trusted: sa is one of the set_real_ip_from addresses */
static int
lt_http_realip_trusted(struct sockaddr *sa, lt_array_t *from)
{
    size_t      i;
    lt_cidr_t  *cidr;

    cidr = from->elts;

    for (i = 0; i < from->nelts; i++) {
        if (cidr[i].family == AF_UNIX) {
            if (sa->sa_family == AF_UNIX) {
                return 1;
            }

            continue;
        }

        if (sa->sa_family != AF_UNIX && lt_cidr_match(sa, &cidr[i])) {
            return 1;
        }
    }

    return 0;
}


/*
 * lt_http_realip_parse: one entry of a header: "192.0.2.1", "192.0.2.1:8080",
 * "2001:db8::1", "[2001:db8::1]" or "[2001:db8::1]:8080" (a port is 1-65535);
 * LT_OK (addr is set, its port 0 when none was given) or LT_DECLINED
 */
static int
lt_http_realip_parse(u_char *text, size_t len, lt_http_realip_addr_t *addr)
{
    u_char     *p, *last;
    int64_t     port;
    socklen_t   socklen;

    port = 0;
    last = text + len;

    if (lt_parse_addr(text, len, &addr->storage, &socklen) == LT_OK) {
        goto done;
    }

    if (len && text[0] == '[') {
        p = lt_strlchr(text, last, ']');

        if (p == NULL || (p < last - 1 && p[1] != ':')) {
            return LT_DECLINED;
        }

        text++;
        len = p - text;
        p++;                        /* at the ':' of the port, or the end */

    } else {
        p = lt_strlchr(text, last, ':');

        if (p == NULL) {
            return LT_DECLINED;
        }

        len = p - text;
    }

    if (p < last) {
        port = lt_atoi(p + 1, last - p - 1);

        if (port < 1 || port > 65535) {
            return LT_DECLINED;
        }
    }

    if (lt_parse_addr(text, len, &addr->storage, &socklen) != LT_OK) {
        return LT_DECLINED;
    }

done:

    addr->sockaddr = (struct sockaddr *) &addr->storage;
    addr->socklen = socklen;
    lt_inet_set_port(addr->sockaddr, (in_port_t) port);

    return LT_OK;
}


/*
 * lt_http_realip_walk: one header value, from the right. While the current
 * address is trusted, the entry left of what was taken so far becomes the
 * address; without recursion only the rightmost entry is taken. Entries are
 * separated by commas and spaces. An entry that is not an address stops the
 * walk and keeps the address taken last.
 *
 * LT_OK: the walk ended at the leftmost entry (or after the one entry taken
 * without recursion); LT_DONE: it took at least one address and stopped at an
 * untrusted address or an invalid entry; LT_DECLINED: nothing was taken.
 */
static int
lt_http_realip_walk(lt_http_realip_addr_t *addr, u_char *start, size_t len,
    lt_array_t *from, int recursive)
{
    u_char                 *p, *end;
    unsigned                found;
    lt_http_realip_addr_t   next;

    found = 0;
    end = start + len;

    for ( ;; ) {

        if (!lt_http_realip_trusted(addr->sockaddr, from)) {
            return found ? LT_DONE : LT_DECLINED;
        }

        while (end > start && (end[-1] == ' ' || end[-1] == ',')) {
            end--;
        }

        for (p = end; p > start && p[-1] != ' ' && p[-1] != ','; p--) {
            /* void */
        }

        if (p == end || lt_http_realip_parse(p, end - p, &next) != LT_OK) {
            return found ? LT_DONE : LT_DECLINED;
        }

        memcpy(&addr->storage, &next.storage, next.socklen);
        addr->sockaddr = (struct sockaddr *) &addr->storage;
        addr->socklen = next.socklen;
        found = 1;

        if (!recursive || p == start) {
            return LT_OK;
        }

        end = p;
    }
}


/*
 * lt_http_realip_forwarded: the X-Forwarded-For lines, the last one first.
 * Without recursion only the last line counts. With it, the walk goes on into
 * the previous line when it reached the left end of this one; the result is
 * that of one long list.
 */
static int
lt_http_realip_forwarded(lt_http_request_t *r, lt_http_realip_addr_t *addr,
    lt_table_elt_t *headers, lt_array_t *from, int recursive)
{
    int              rc;
    size_t           n, i;
    unsigned         found;
    lt_table_elt_t  *h, **lines, *stack[8];

    for (n = 0, h = headers; h; h = h->next) {
        n++;
    }

    lines = stack;

    if (n > sizeof(stack) / sizeof(stack[0])) {
        lines = lt_palloc(r->pool, n * sizeof(lt_table_elt_t *));
        if (lines == NULL) {
            return LT_ERROR;
        }
    }

    for (i = 0, h = headers; h; h = h->next) {
        lines[i++] = h;
    }

    rc = LT_DECLINED;
    found = 0;

    while (n--) {
        rc = lt_http_realip_walk(addr, lines[n]->value.data, lines[n]->value.len, from,
                                 recursive);

        if (!recursive) {
            break;
        }

        if (rc == LT_DECLINED && found) {
            rc = LT_DONE;
            break;
        }

        if (rc != LT_OK) {
            break;
        }

        found = 1;
    }

    return rc;
}


static void
lt_http_realip_cleanup(void *data)
{
    lt_http_realip_ctx_t  *ctx = data;
    lt_connection_t       *c;

    c = ctx->connection;

    c->sockaddr = ctx->sockaddr;
    c->socklen = ctx->socklen;
    c->addr_text = ctx->addr_text;
}


/*
 * lt_http_realip_get_ctx: the saved peer address once the request's address
 * was changed. A redirect clears the modules' contexts, so the cleanup that
 * holds it is looked for in the request pool too.
 */
static lt_http_realip_ctx_t *
lt_http_realip_get_ctx(lt_http_request_t *r)
{
    lt_pool_cleanup_t     *cln;
    lt_http_realip_ctx_t  *ctx;

    ctx = lt_http_get_module_ctx(r, lt_http_realip_module);

    if (ctx) {
        return ctx;
    }

    for (cln = r->pool->cleanup; cln; cln = cln->next) {
        if (cln->handler == lt_http_realip_cleanup) {
            ctx = cln->data;
            lt_http_set_ctx(r, ctx, lt_http_realip_module);
            return ctx;
        }
    }

    return NULL;
}


/* lt_http_realip_set_addr: makes addr the connection's address until the
 * request pool goes; LT_DECLINED (the phase goes on) or 500 */
static int
lt_http_realip_set_addr(lt_http_request_t *r, lt_http_realip_addr_t *addr)
{
    size_t                       i, len;
    u_char                      *p;
    u_char                       text[LT_SOCKADDR_STRLEN];
    struct sockaddr             *sa;
    lt_connection_t             *c;
    lt_pool_cleanup_t           *cln;
    lt_http_realip_ctx_t        *ctx;
    lt_http_realip_main_conf_t  *rmcf;

    c = r->connection;

    len = lt_sock_ntop(addr->sockaddr, addr->socklen, text, sizeof(text), 0);
    if (len == 0) {
        return LT_HTTP_INTERNAL_SERVER_ERROR;
    }

    cln = lt_pool_cleanup_add(r->pool, sizeof(lt_http_realip_ctx_t));
    sa = lt_palloc(r->pool, addr->socklen);
    p = lt_pnalloc(r->pool, len);

    if (cln == NULL || sa == NULL || p == NULL) {
        return LT_HTTP_INTERNAL_SERVER_ERROR;
    }

    memcpy(sa, addr->sockaddr, addr->socklen);
    memcpy(p, text, len);

    ctx = cln->data;
    ctx->connection = c;
    ctx->sockaddr = c->sockaddr;
    ctx->socklen = c->socklen;
    ctx->addr_text = c->addr_text;

    cln->handler = lt_http_realip_cleanup;
    lt_http_set_ctx(r, ctx, lt_http_realip_module);

    c->sockaddr = sa;
    c->socklen = addr->socklen;
    c->addr_text.len = len;
    c->addr_text.data = p;

    /* a value of $remote_addr & co. computed before (a rewrite-phase "set" ahead
     * of a location's real_ip_header) would otherwise go on being used */
    rmcf = lt_http_get_module_main_conf(r, lt_http_realip_module);

    for (i = 0; i < sizeof(rmcf->remote_vars) / sizeof(int); i++) {
        r->variables[rmcf->remote_vars[i]].valid = 0;
        r->variables[rmcf->remote_vars[i]].not_found = 0;
    }

    return LT_DECLINED;
}


/* lt_http_realip_find_header: the first line of a header by its lowercase name */
static lt_table_elt_t *
lt_http_realip_find_header(lt_http_request_t *r, lt_str_t *name)
{
    lt_list_iter_t   it;
    lt_table_elt_t  *h;

    lt_list_iter_init(&it, &r->headers_in.headers);

    while ((h = lt_list_iter_next(&it)) != NULL) {
        if (h->hash && h->key.len == name->len
            && memcmp(h->lowcase_key, name->data, name->len) == 0)
        {
            return h;
        }
    }

    return NULL;
}


/* the POST_READ and PREACCESS handler */
static int
lt_http_realip_handler(lt_http_request_t *r)
{
    int                         rc;
    lt_table_elt_t             *h;
    lt_http_realip_addr_t       addr;
    lt_http_realip_loc_conf_t  *rlcf;

    rlcf = lt_http_get_module_loc_conf(r, lt_http_realip_module);

    if (rlcf->from == NULL || lt_http_realip_get_ctx(r) != NULL) {
        return LT_DECLINED;
    }

    switch (rlcf->type) {

    case LT_HTTP_REALIP_XREALIP:
        h = r->headers_in.x_real_ip;
        break;

    case LT_HTTP_REALIP_XFWD:
        h = r->headers_in.x_forwarded_for;
        break;

    case LT_HTTP_REALIP_PROXY:
        /* lintel's listen has no proxy_protocol yet: no connection has a
         * PROXY protocol header to take the address from */
        return LT_DECLINED;

    default: /* LT_HTTP_REALIP_HEADER */
        h = lt_http_realip_find_header(r, &rlcf->header);
        break;
    }

    if (h == NULL) {
        return LT_DECLINED;
    }

    addr.sockaddr = r->connection->sockaddr;
    addr.socklen = r->connection->socklen;

    if (rlcf->type == LT_HTTP_REALIP_XFWD) {
        rc = lt_http_realip_forwarded(r, &addr, h, rlcf->from, rlcf->recursive);

    } else {
        /* X-Real-IP and other headers: the first line, walked as a list too */
        rc = lt_http_realip_walk(&addr, h->value.data, h->value.len, rlcf->from,
                                 rlcf->recursive);
    }

    if (rc == LT_ERROR) {
        return LT_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (rc == LT_DECLINED) {
        return LT_DECLINED;
    }

    return lt_http_realip_set_addr(r, &addr);
}


/* set_real_ip_from address | CIDR | unix: | hostname */
static char *
lt_http_realip_from(lt_conf_t *cf, lt_command_t *cmd, void *conf)
{
    int                         rc;
    size_t                      i;
    lt_str_t                   *value;
    lt_url_t                    u;
    lt_cidr_t                   cidr, *c;
    struct sockaddr            *sa;
    lt_http_realip_loc_conf_t  *rlcf = conf;

    value = cf->args->elts;

    if (rlcf->from == NULL) {
        rlcf->from = lt_array_create(cf->pool, 2, sizeof(lt_cidr_t));
        if (rlcf->from == NULL) {
            return LT_CONF_ERROR;
        }
    }

    lt_memzero(&cidr, sizeof(lt_cidr_t));

    if (lt_str_eq(&value[1], "unix:")) {
        cidr.family = AF_UNIX;
        goto add;
    }

    rc = lt_parse_cidr(&value[1], &cidr);

    if (rc == LT_DONE) {
        lt_conf_log_error(LT_LOG_WARN, cf, 0, "low address bits of %s are meaningless",
                          value[1].data);
    }

    if (rc != LT_ERROR) {
        goto add;
    }

    /* a host name: each of its addresses (nginx's resolve of the bare name, so a
     * ':' or '/' makes it "not found" too) */
    lt_memzero(&u, sizeof(lt_url_t));
    u.url = value[1];
    u.err = "host not found";

    if (value[1].len == 0
        || lt_strlchr(value[1].data, value[1].data + value[1].len, ':')
        || lt_strlchr(value[1].data, value[1].data + value[1].len, '/')
        || lt_parse_url(cf->pool, &u) != LT_OK || u.naddrs == 0)
    {
        lt_conf_log_error(LT_LOG_EMERG, cf, 0, "%s in set_real_ip_from \"%s\"",
                          u.err ? u.err : "host not found", value[1].data);
        return LT_CONF_ERROR;
    }

    for (i = 0; i < u.naddrs; i++) {
        c = lt_array_push(rlcf->from);
        if (c == NULL) {
            return LT_CONF_ERROR;
        }

        lt_memzero(c, sizeof(lt_cidr_t));
        sa = u.addrs[i].sockaddr;
        c->family = sa->sa_family;

        if (sa->sa_family == AF_INET6) {
            memcpy(c->u.in6.addr, ((struct sockaddr_in6 *) sa)->sin6_addr.s6_addr, 16);
            memset(c->u.in6.mask, 0xff, 16);

        } else {
            c->u.in.addr = ((struct sockaddr_in *) sa)->sin_addr.s_addr;
            c->u.in.mask = 0xffffffff;
        }
    }

    return LT_CONF_OK;

add:

    c = lt_array_push(rlcf->from);
    if (c == NULL) {
        return LT_CONF_ERROR;
    }

    *c = cidr;

    return LT_CONF_OK;
}


/* real_ip_header X-Real-IP | X-Forwarded-For | proxy_protocol | field */
static char *
lt_http_realip_header(lt_conf_t *cf, lt_command_t *cmd, void *conf)
{
    lt_str_t                   *value;
    lt_http_realip_loc_conf_t  *rlcf = conf;

    if (rlcf->type != LT_CONF_UNSET_UINT) {
        return "is duplicate";
    }

    value = cf->args->elts;

    /* the three names are exact (case-sensitive), as in nginx; any other spelling
     * is a header looked up by name, which is caseless anyway */
    if (lt_str_eq(&value[1], "X-Real-IP")) {
        rlcf->type = LT_HTTP_REALIP_XREALIP;

    } else if (lt_str_eq(&value[1], "X-Forwarded-For")) {
        rlcf->type = LT_HTTP_REALIP_XFWD;

    } else if (lt_str_eq(&value[1], "proxy_protocol")) {
        rlcf->type = LT_HTTP_REALIP_PROXY;

    } else {
        rlcf->type = LT_HTTP_REALIP_HEADER;
        rlcf->header.len = value[1].len;
        rlcf->header.data = lt_pnalloc(cf->pool, value[1].len);
        if (rlcf->header.data == NULL) {
            return LT_CONF_ERROR;
        }

        lt_strlow(rlcf->header.data, value[1].data, value[1].len);
    }

    return LT_CONF_OK;
}


static void *
lt_http_realip_create_main_conf(lt_conf_t *cf)
{
    return lt_pcalloc(cf->pool, sizeof(lt_http_realip_main_conf_t));
}


static void *
lt_http_realip_create_loc_conf(lt_conf_t *cf)
{
    lt_http_realip_loc_conf_t  *conf;

    conf = lt_pcalloc(cf->pool, sizeof(lt_http_realip_loc_conf_t));
    if (conf == NULL) {
        return NULL;
    }

    /* from = NULL, header = "" */
    conf->type = LT_CONF_UNSET_UINT;
    conf->recursive = LT_CONF_UNSET;

    return conf;
}


static char *
lt_http_realip_merge_loc_conf(lt_conf_t *cf, void *parent, void *child)
{
    lt_http_realip_loc_conf_t  *prev = parent;
    lt_http_realip_loc_conf_t  *conf = child;

    /* a level with set_real_ip_from of its own replaces the inherited list */
    if (conf->from == NULL) {
        conf->from = prev->from;
    }

    if (conf->type == LT_CONF_UNSET_UINT) {
        conf->type = prev->type;
        conf->header = prev->header;
    }

    lt_conf_merge_uint_value(conf->type, prev->type, LT_HTTP_REALIP_XREALIP);
    lt_conf_merge_value(conf->recursive, prev->recursive, 0);

    return LT_CONF_OK;
}


/* $realip_remote_addr: the peer's address, whatever realip did */
static int
lt_http_realip_remote_addr_variable(lt_http_request_t *r, lt_http_variable_value_t *v,
    uintptr_t data)
{
    lt_str_t              *text;
    lt_http_realip_ctx_t  *ctx;

    ctx = lt_http_realip_get_ctx(r);

    text = ctx ? &ctx->addr_text : &r->connection->addr_text;

    v->len = text->len;
    v->data = text->data;
    v->valid = 1;
    v->no_cacheable = 0;
    v->not_found = 0;

    return LT_OK;
}


/* $realip_remote_port: the peer's port ("" on a unix socket) */
static int
lt_http_realip_remote_port_variable(lt_http_request_t *r, lt_http_variable_value_t *v,
    uintptr_t data)
{
    in_port_t              port;
    struct sockaddr       *sa;
    lt_http_realip_ctx_t  *ctx;

    ctx = lt_http_realip_get_ctx(r);

    sa = ctx ? ctx->sockaddr : r->connection->sockaddr;

    v->len = 0;
    v->valid = 1;
    v->no_cacheable = 0;
    v->not_found = 0;

    v->data = lt_pnalloc(r->pool, sizeof("65535") - 1);
    if (v->data == NULL) {
        return LT_ERROR;
    }

    port = lt_inet_get_port(sa);

    if (port > 0) {
        v->len = lt_sprint_uint(v->data, port) - v->data;
    }

    return LT_OK;
}


static int
lt_http_realip_add_variables(lt_conf_t *cf)
{
    lt_str_t             name;
    lt_http_variable_t  *var;

    lt_str_set(&name, "realip_remote_addr");

    var = lt_http_add_variable(cf, &name, 0);
    if (var == NULL) {
        return LT_ERROR;
    }

    var->get_handler = lt_http_realip_remote_addr_variable;

    lt_str_set(&name, "realip_remote_port");

    var = lt_http_add_variable(cf, &name, 0);
    if (var == NULL) {
        return LT_ERROR;
    }

    var->get_handler = lt_http_realip_remote_port_variable;

    return LT_OK;
}


static int
lt_http_realip_init(lt_conf_t *cf)
{
    size_t                       i;
    lt_str_t                     name;
    lt_http_realip_main_conf_t  *rmcf;
    static const char           *vars[] = {
        "remote_addr", "remote_port", "binary_remote_addr"
    };

    rmcf = lt_http_conf_get_module_main_conf(cf, lt_http_realip_module);

    for (i = 0; i < sizeof(vars) / sizeof(vars[0]); i++) {
        name.data = (u_char *) vars[i];
        name.len = strlen(vars[i]);

        rmcf->remote_vars[i] = lt_http_get_variable_index(cf, &name);

        if (rmcf->remote_vars[i] == LT_ERROR) {
            return LT_ERROR;
        }
    }

    if (lt_http_add_phase_handler(cf, LT_HTTP_POST_READ_PHASE, lt_http_realip_handler)
        != LT_OK)
    {
        return LT_ERROR;
    }

    return lt_http_add_phase_handler(cf, LT_HTTP_PREACCESS_PHASE, lt_http_realip_handler);
}
