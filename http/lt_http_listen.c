/*
 * lt_http_listen.c: from listen and server_name directives to listening sockets
 * and per-address virtual server tables.
 *
 * A port with a wildcard address ("listen 80", "listen *:80") gets one socket
 * bound to the wildcard; the specific addresses on that port without socket
 * options of their own are served through it, told apart by the connection's
 * local address. Other addresses get a socket each.
 *
 * Server names on an address are found in order: exact, the longest leading
 * wildcard ("*.example.com"), the longest trailing wildcard ("www.example.*"),
 * the first matching regex, else the default server.
 */

#include "lt_http.h"

static int lt_http_add_addresses(lt_conf_t *cf, lt_http_core_srv_conf_t *cscf,
    lt_http_conf_port_t *port, lt_http_listen_opt_t *lsopt);
static int lt_http_add_server(lt_conf_t *cf, lt_http_core_srv_conf_t *cscf,
    lt_http_conf_addr_t *addr);


int
lt_http_add_listen(lt_conf_t *cf, lt_http_core_srv_conf_t *cscf, lt_http_listen_opt_t *lsopt)
{
    size_t                     i;
    in_port_t                  p;
    lt_http_conf_port_t       *port;
    lt_http_core_main_conf_t  *cmcf;
    int                        family;

    cmcf = lt_http_conf_get_module_main_conf(cf, lt_http_core_module);

    if (cmcf->ports == NULL) {
        cmcf->ports = lt_array_create(cf->temp_pool, 2, sizeof(lt_http_conf_port_t));
        if (cmcf->ports == NULL) {
            return LT_ERROR;
        }
    }

    family = lsopt->sockaddr->sa_family;
    p = lt_inet_get_port(lsopt->sockaddr);

    port = cmcf->ports->elts;

    for (i = 0; i < cmcf->ports->nelts; i++) {
        if (p != port[i].port || family != port[i].family) {
            continue;
        }

        /* a port is already in the list */
        return lt_http_add_addresses(cf, cscf, &port[i], lsopt);
    }

    port = lt_array_push(cmcf->ports);
    if (port == NULL) {
        return LT_ERROR;
    }

    port->family = family;
    port->port = p;

    if (lt_array_init(&port->addrs, cf->temp_pool, 2, sizeof(lt_http_conf_addr_t)) != LT_OK) {
        return LT_ERROR;
    }

    return lt_http_add_addresses(cf, cscf, port, lsopt);
}


static int
lt_http_add_addresses(lt_conf_t *cf, lt_http_core_srv_conf_t *cscf,
    lt_http_conf_port_t *port, lt_http_listen_opt_t *lsopt)
{
    size_t                i;
    lt_http_conf_addr_t  *addr;

    addr = port->addrs.elts;

    for (i = 0; i < port->addrs.nelts; i++) {

        if (lt_cmp_sockaddr(lsopt->sockaddr, lsopt->socklen, addr[i].opt.sockaddr,
                            addr[i].opt.socklen, 0) != LT_OK)
        {
            continue;
        }

        /* the address is already in the list */

        if (lt_http_add_server(cf, cscf, &addr[i]) != LT_OK) {
            return LT_ERROR;
        }

        if (lsopt->set) {
            if (addr[i].opt.set) {
                lt_conf_log_error(LT_LOG_EMERG, cf, 0, "duplicate listen options for %.*s",
                                  (int) addr[i].opt.addr_text.len,
                                  addr[i].opt.addr_text.data);
                return LT_ERROR;
            }

            addr[i].opt = *lsopt;
        }

        if (lsopt->default_server) {
            if (addr[i].opt.default_server) {
                lt_conf_log_error(LT_LOG_EMERG, cf, 0, "a duplicate default server for %.*s",
                                  (int) addr[i].opt.addr_text.len,
                                  addr[i].opt.addr_text.data);
                return LT_ERROR;
            }

            addr[i].opt.default_server = 1;

            /* the servers keep their order (regex names are tried in it) */
            addr[i].default_server = cscf;
        }

        if (lsopt->ssl) {
            addr[i].opt.ssl = 1;
        }

        return LT_OK;
    }

    addr = lt_array_push(&port->addrs);
    if (addr == NULL) {
        return LT_ERROR;
    }

    addr->opt = *lsopt;
    addr->protocols_set = 0;
    addr->default_server = lsopt->default_server ? cscf : NULL;

    if (lt_array_init(&addr->servers, cf->temp_pool, 2, sizeof(lt_http_core_srv_conf_t *))
        != LT_OK)
    {
        return LT_ERROR;
    }

    return lt_http_add_server(cf, cscf, addr);
}


static int
lt_http_add_server(lt_conf_t *cf, lt_http_core_srv_conf_t *cscf, lt_http_conf_addr_t *addr)
{
    size_t                     i;
    lt_http_core_srv_conf_t  **server;

    server = addr->servers.elts;

    for (i = 0; i < addr->servers.nelts; i++) {
        if (server[i] == cscf) {
            lt_conf_log_error(LT_LOG_EMERG, cf, 0, "a duplicate listen %.*s",
                              (int) addr->opt.addr_text.len, addr->opt.addr_text.data);
            return LT_ERROR;
        }
    }

    server = lt_array_push(&addr->servers);
    if (server == NULL) {
        return LT_ERROR;
    }

    *server = cscf;

    return LT_OK;
}


/* server names */

typedef struct {
    lt_array_t   exact;     /* lt_hash_key_t */
    lt_array_t   head;
    lt_array_t   tail;
    lt_array_t   regex;     /* lt_http_server_name_t */
} lt_http_names_t;


/* lt_http_names_push: one name into its table, once (a later duplicate warns) */
static int
lt_http_names_push(lt_conf_t *cf, lt_array_t *a, lt_str_t *key, void *server,
    lt_str_t *name, lt_str_t *addr_text)
{
    size_t          i;
    lt_hash_key_t  *k;

    k = a->elts;

    for (i = 0; i < a->nelts; i++) {
        if (k[i].key.len == key->len && memcmp(k[i].key.data, key->data, key->len) == 0) {
            if (k[i].value != server) {
                lt_log_error(LT_LOG_WARN, cf->log, 0,
                             "conflicting server name \"%.*s\" on %.*s, ignored",
                             (int) name->len, name->data,
                             (int) addr_text->len, addr_text->data);
            }
            return LT_OK;
        }
    }

    k = lt_array_push(a);
    if (k == NULL) {
        return LT_ERROR;
    }

    k->key = *key;
    k->key_hash = 0;
    k->value = server;

    return LT_OK;
}


/* lt_http_names_add: classifies one server_name */
static int
lt_http_names_add(lt_conf_t *cf, lt_http_names_t *names, lt_http_server_name_t *sn,
    lt_str_t *addr_text)
{
    lt_str_t                *name, key;
    lt_http_server_name_t   *rn;

    name = &sn->name;

    if (sn->regex) {
        rn = lt_array_push(&names->regex);
        if (rn == NULL) {
            return LT_ERROR;
        }

        *rn = *sn;
        return LT_OK;
    }

    if (name->len > 1 && name->data[0] == '*' && name->data[1] == '.') {
        key.data = name->data + 2;
        key.len = name->len - 2;
        return lt_http_names_push(cf, &names->head, &key, sn->server, name, addr_text);
    }

    if (name->len > 1 && name->data[0] == '.') {
        /* ".example.com": example.com itself and every name under it */
        key.data = name->data + 1;
        key.len = name->len - 1;

        if (lt_http_names_push(cf, &names->exact, &key, sn->server, name, addr_text)
            != LT_OK)
        {
            return LT_ERROR;
        }

        return lt_http_names_push(cf, &names->head, &key, sn->server, name, addr_text);
    }

    if (name->len > 1 && name->data[name->len - 1] == '*' && name->data[name->len - 2] == '.') {
        key.data = name->data;
        key.len = name->len - 2;
        return lt_http_names_push(cf, &names->tail, &key, sn->server, name, addr_text);
    }

    return lt_http_names_push(cf, &names->exact, name, sn->server, name, addr_text);
}


static int
lt_http_server_names(lt_conf_t *cf, lt_http_conf_addr_t *addr, lt_http_addr_conf_t *conf)
{
    size_t                     s, n;
    lt_http_names_t            names;
    lt_http_server_name_t     *sn;
    lt_http_core_srv_conf_t  **cscfp;

    if (lt_array_init(&names.exact, cf->temp_pool, 4, sizeof(lt_hash_key_t)) != LT_OK
        || lt_array_init(&names.head, cf->temp_pool, 4, sizeof(lt_hash_key_t)) != LT_OK
        || lt_array_init(&names.tail, cf->temp_pool, 4, sizeof(lt_hash_key_t)) != LT_OK
        || lt_array_init(&names.regex, cf->pool, 2, sizeof(lt_http_server_name_t)) != LT_OK)
    {
        return LT_ERROR;
    }

    cscfp = addr->servers.elts;

    for (s = 0; s < addr->servers.nelts; s++) {
        sn = cscfp[s]->server_names.elts;

        for (n = 0; n < cscfp[s]->server_names.nelts; n++) {
            if (lt_http_names_add(cf, &names, &sn[n], &addr->opt.addr_text) != LT_OK) {
                return LT_ERROR;
            }
        }
    }

    if (lt_hash_init(&conf->exact, cf->pool, names.exact.elts, names.exact.nelts, 0, NULL)
            != LT_OK
        || lt_hash_init(&conf->wc_head, cf->pool, names.head.elts, names.head.nelts, 0, NULL)
            != LT_OK
        || lt_hash_init(&conf->wc_tail, cf->pool, names.tail.elts, names.tail.nelts, 0, NULL)
            != LT_OK)
    {
        return LT_ERROR;
    }

    conf->regex = names.regex.elts;
    conf->nregex = names.regex.nelts;

    return LT_OK;
}


/* lt_http_init_addr_conf: the virtual servers of one address */
static int
lt_http_init_addr_conf(lt_conf_t *cf, lt_http_conf_addr_t *addr, lt_http_addr_conf_t *conf)
{
    lt_http_core_srv_conf_t  **cscfp;

    cscfp = addr->servers.elts;

    /* the one marked default_server, else the first */
    conf->default_server = addr->default_server ? addr->default_server : cscfp[0];
    conf->ssl = addr->opt.ssl;
    conf->http2 = addr->opt.http2;
    conf->proxy_protocol = addr->opt.proxy_protocol;

    return lt_http_server_names(cf, addr, conf);
}


/* lt_http_add_listening: the listening socket for a bound address */
static lt_listening_t *
lt_http_add_listening(lt_conf_t *cf, lt_http_conf_addr_t *addr)
{
    lt_listening_t           *ls;
    lt_http_core_srv_conf_t  *cscf;

    ls = lt_create_listening(cf, addr->opt.sockaddr, addr->opt.socklen);
    if (ls == NULL) {
        return NULL;
    }

    ls->addr_ntop = 1;
    ls->handler = lt_http_init_connection;

    cscf = addr->default_server ? addr->default_server
                                : ((lt_http_core_srv_conf_t **) addr->servers.elts)[0];
    ls->pool_size = cscf->connection_pool_size;

    ls->logp = &cf->cycle->new_log;
    ls->log.handler = NULL;

    ls->backlog = addr->opt.backlog;
    ls->rcvbuf = addr->opt.rcvbuf;
    ls->sndbuf = addr->opt.sndbuf;
    ls->keepalive = addr->opt.so_keepalive;
    ls->keepidle = addr->opt.tcp_keepidle;
    ls->keepintvl = addr->opt.tcp_keepintvl;
    ls->keepcnt = addr->opt.tcp_keepcnt;
    ls->fastopen = addr->opt.fastopen;
    ls->ipv6only = addr->opt.ipv6only;
    ls->deferred_accept = addr->opt.deferred_accept;
    ls->reuseport = addr->opt.reuseport;
    ls->wildcard = addr->opt.wildcard;
    ls->ssl = addr->opt.ssl;
    ls->proxy_protocol = addr->opt.proxy_protocol;

    return ls;
}


static int
lt_http_cmp_conf_addrs(const void *one, const void *two)
{
    const lt_http_conf_addr_t  *first = one, *second = two;

    /* the wildcard is the last; explicitly bound ones first */
    if (first->opt.wildcard != second->opt.wildcard) {
        return first->opt.wildcard ? 1 : -1;
    }

    if (first->opt.bind != second->opt.bind) {
        return first->opt.bind ? -1 : 1;
    }

    return 0;
}


/* lt_http_init_listening: the sockets of one port */
static int
lt_http_init_listening(lt_conf_t *cf, lt_http_conf_port_t *port)
{
    size_t                i, j, n, last;
    int                   bind_wildcard;
    lt_listening_t       *ls;
    lt_http_port_t       *hport;
    lt_http_conf_addr_t  *addr;

    addr = port->addrs.elts;
    last = port->addrs.nelts;

    /* a stable sort: keep the configuration's order otherwise */
    for (i = 1; i < last; i++) {
        for (j = i; j > 0 && lt_http_cmp_conf_addrs(&addr[j - 1], &addr[j]) > 0; j--) {
            lt_http_conf_addr_t  tmp = addr[j];
            addr[j] = addr[j - 1];
            addr[j - 1] = tmp;
        }
    }

    bind_wildcard = addr[last - 1].opt.wildcard;

    for (i = 0; i < last; i++) {
        /* an address with socket options needs a socket of its own */
        if (addr[i].opt.set || addr[i].opt.sockaddr->sa_family == AF_UNIX) {
            addr[i].opt.bind = 1;
        }
    }

    if (bind_wildcard) {
        addr[last - 1].opt.bind = 1;
    }

    for (i = 0; i < last; i++) {

        if (bind_wildcard && !addr[i].opt.bind) {
            continue;
        }

        ls = lt_http_add_listening(cf, &addr[i]);
        if (ls == NULL) {
            return LT_ERROR;
        }

        hport = lt_pcalloc(cf->pool, sizeof(lt_http_port_t));
        if (hport == NULL) {
            return LT_ERROR;
        }

        ls->servers = hport;

        /* the wildcard socket serves the implicit addresses too */
        n = (bind_wildcard && i == last - 1) ? 1 : 1;

        if (bind_wildcard && i == last - 1) {
            for (j = 0; j < last - 1; j++) {
                if (!addr[j].opt.bind) {
                    n++;
                }
            }
        }

        hport->addrs = lt_pcalloc(cf->pool, n * sizeof(lt_http_in_addr_t));
        if (hport->addrs == NULL) {
            return LT_ERROR;
        }

        hport->naddrs = 0;

        if (n > 1) {
            for (j = 0; j < last - 1; j++) {
                if (addr[j].opt.bind) {
                    continue;
                }

                hport->addrs[hport->naddrs].sockaddr = addr[j].opt.sockaddr;
                hport->addrs[hport->naddrs].socklen = addr[j].opt.socklen;

                if (lt_http_init_addr_conf(cf, &addr[j], &hport->addrs[hport->naddrs].conf)
                    != LT_OK)
                {
                    return LT_ERROR;
                }

                hport->naddrs++;
            }
        }

        hport->addrs[hport->naddrs].sockaddr = NULL;

        if (lt_http_init_addr_conf(cf, &addr[i], &hport->addrs[hport->naddrs].conf) != LT_OK) {
            return LT_ERROR;
        }

        hport->naddrs++;

        if (lt_clone_listening(cf->cycle, ls) != LT_OK) {
            return LT_ERROR;
        }
    }

    return LT_OK;
}


int
lt_http_optimize_servers(lt_conf_t *cf, lt_http_core_main_conf_t *cmcf, lt_array_t *ports)
{
    size_t                i;
    lt_http_conf_port_t  *port;

    if (ports == NULL) {
        return LT_OK;
    }

    port = ports->elts;

    for (i = 0; i < ports->nelts; i++) {
        if (lt_http_init_listening(cf, &port[i]) != LT_OK) {
            return LT_ERROR;
        }
    }

    return LT_OK;
}


/* lt_http_find_wildcard: the longest "*.suffix" or "prefix.*" that matches host */
static lt_http_core_srv_conf_t *
lt_http_find_wildcard(lt_http_addr_conf_t *conf, lt_str_t *host)
{
    size_t                    i;
    u_char                   *p;
    lt_http_core_srv_conf_t  *cscf;

    if (conf->wc_head.nelts) {
        /* "a.b.example.com": try "b.example.com", then "example.com", "com" */
        for (i = 0; i < host->len; i++) {
            if (host->data[i] != '.') {
                continue;
            }

            p = host->data + i + 1;

            cscf = lt_hash_find(&conf->wc_head, lt_hash_key(p, host->len - i - 1), p,
                                host->len - i - 1);
            if (cscf) {
                return cscf;
            }
        }
    }

    if (conf->wc_tail.nelts) {
        /* "www.example.com": try "www.example", then "www" */
        for (i = host->len; i > 0; i--) {
            if (host->data[i - 1] != '.') {
                continue;
            }

            cscf = lt_hash_find(&conf->wc_tail, lt_hash_key(host->data, i - 1), host->data,
                                i - 1);
            if (cscf) {
                return cscf;
            }
        }
    }

    return NULL;
}


int
lt_http_find_virtual_server(lt_connection_t *c, lt_http_addr_conf_t *conf, lt_str_t *host,
    lt_http_request_t *r, lt_http_core_srv_conf_t **cscfp)
{
    size_t                    i;
    int                       rc;
    lt_http_core_srv_conf_t  *cscf;

    if (conf->exact.nelts == 0 && conf->wc_head.nelts == 0 && conf->wc_tail.nelts == 0
        && conf->nregex == 0)
    {
        return LT_DECLINED;
    }

    cscf = lt_hash_find(&conf->exact, lt_hash_key(host->data, host->len), host->data,
                        host->len);

    if (cscf == NULL) {
        cscf = lt_http_find_wildcard(conf, host);
    }

    if (cscf) {
        *cscfp = cscf;
        return LT_OK;
    }

    for (i = 0; i < conf->nregex; i++) {

        if (r) {
            rc = lt_http_regex_exec(r, (lt_http_regex_t *) conf->regex[i].regex, host);

        } else {
            int  cap[3];

            rc = lt_regex_exec(((lt_http_regex_t *) conf->regex[i].regex)->regex, host,
                               cap, 3);
            rc = rc >= 0 ? LT_OK : (rc == LT_REGEX_NO_MATCHED ? LT_DECLINED : LT_ERROR);
        }

        if (rc == LT_DECLINED) {
            continue;
        }

        if (rc == LT_OK) {
            *cscfp = conf->regex[i].server;
            return LT_OK;
        }

        return LT_ERROR;
    }

    return LT_DECLINED;
}
