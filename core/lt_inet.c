/*
 * lt_inet.c: address and URL parsing (see lt_inet.h).
 */

#include "lt_core.h"

int
lt_parse_addr(const u_char *text, size_t len, struct sockaddr_storage *sa,
    socklen_t *socklen)
{
    char                  buf[INET6_ADDRSTRLEN + 1];
    struct sockaddr_in   *sin;
    struct sockaddr_in6  *sin6;

    if (len == 0 || len > INET6_ADDRSTRLEN) {
        return LT_DECLINED;
    }

    memcpy(buf, text, len);
    buf[len] = '\0';

    lt_memzero(sa, sizeof(struct sockaddr_storage));

    sin = (struct sockaddr_in *) sa;

    if (inet_pton(AF_INET, buf, &sin->sin_addr) == 1) {
        sin->sin_family = AF_INET;
        *socklen = sizeof(struct sockaddr_in);
        return LT_OK;
    }

    sin6 = (struct sockaddr_in6 *) sa;

    if (inet_pton(AF_INET6, buf, &sin6->sin6_addr) == 1) {
        sin6->sin6_family = AF_INET6;
        *socklen = sizeof(struct sockaddr_in6);
        return LT_OK;
    }

    return LT_DECLINED;
}


/* lt_parse_unix_url: "unix:/path[:uri]" */
static int
lt_parse_unix_url(lt_pool_t *pool, lt_url_t *u)
{
    u_char              *path, *last;
    size_t               len;
    struct sockaddr_un  *saun;

    path = u->url.data + 5;
    last = u->url.data + u->url.len;

    if (u->uri_part) {
        u_char  *colon = lt_strlchr(path, last, ':');

        if (colon) {
            u->uri.data = colon + 1;
            u->uri.len = last - colon - 1;
            last = colon;
        }
    }

    len = last - path;

    if (len == 0) {
        u->err = "no path in the unix domain socket";
        return LT_ERROR;
    }

    if (len >= sizeof(saun->sun_path)) {
        u->err = "too long path in the unix domain socket";
        return LT_ERROR;
    }

    u->host.len = len + 5;
    u->host.data = u->url.data;
    u->family = AF_UNIX;
    u->no_port = 1;

    saun = (struct sockaddr_un *) &u->sockaddr;
    lt_memzero(saun, sizeof(struct sockaddr_un));
    saun->sun_family = AF_UNIX;
    memcpy(saun->sun_path, path, len);
    u->socklen = (socklen_t) (offsetof(struct sockaddr_un, sun_path) + len + 1);

    u->addrs = lt_pcalloc(pool, sizeof(lt_addr_t));
    if (u->addrs == NULL) {
        return LT_ERROR;
    }

    u->addrs[0].sockaddr = lt_palloc(pool, u->socklen);
    if (u->addrs[0].sockaddr == NULL) {
        return LT_ERROR;
    }

    memcpy(u->addrs[0].sockaddr, saun, u->socklen);
    u->addrs[0].socklen = u->socklen;
    u->addrs[0].name = u->host;
    u->naddrs = 1;

    return LT_OK;
}


/* lt_url_add_addr: appends one resolved address with the port set */
static int
lt_url_add_addr(lt_pool_t *pool, lt_url_t *u, struct sockaddr *sa, socklen_t len,
    size_t max)
{
    lt_addr_t  *a;
    u_char      text[LT_SOCKADDR_STRLEN];

    if (u->naddrs == max) {
        return LT_OK;
    }

    a = &u->addrs[u->naddrs];

    a->sockaddr = lt_palloc(pool, len);
    if (a->sockaddr == NULL) {
        return LT_ERROR;
    }

    memcpy(a->sockaddr, sa, len);
    a->socklen = len;
    lt_inet_set_port(a->sockaddr, u->port);

    a->name.len = lt_sock_ntop(a->sockaddr, len, text, sizeof(text), 1);
    a->name.data = lt_pnalloc(pool, a->name.len);
    if (a->name.data == NULL) {
        return LT_ERROR;
    }

    memcpy(a->name.data, text, a->name.len);

    if (u->naddrs == 0) {
        memcpy(&u->sockaddr, a->sockaddr, len);
        u->socklen = len;
        u->family = sa->sa_family;
    }

    u->naddrs++;

    return LT_OK;
}


/* lt_url_resolve: the addresses of u->host (literal or by getaddrinfo) */
static int
lt_url_resolve(lt_pool_t *pool, lt_url_t *u)
{
    char                      host[NI_MAXHOST];
    size_t                    n;
    struct addrinfo           hints, *res, *rp;
    struct sockaddr_storage   ss;
    socklen_t                 len;

    if (u->host.len == 0 || (u->host.len == 1 && u->host.data[0] == '*')) {
        struct sockaddr_in  *sin = (struct sockaddr_in *) &ss;

        lt_memzero(&ss, sizeof(ss));
        sin->sin_family = AF_INET;
        sin->sin_addr.s_addr = INADDR_ANY;
        u->wildcard = 1;

        u->addrs = lt_pcalloc(pool, sizeof(lt_addr_t));
        return u->addrs ? lt_url_add_addr(pool, u, (struct sockaddr *) &ss,
                                          sizeof(struct sockaddr_in), 1)
                        : LT_ERROR;
    }

    if (lt_parse_addr(u->host.data, u->host.len, &ss, &len) == LT_OK) {
        if (ss.ss_family == AF_INET) {
            u->wildcard = ((struct sockaddr_in *) &ss)->sin_addr.s_addr == INADDR_ANY;
        } else {
            u->wildcard = IN6_IS_ADDR_UNSPECIFIED(&((struct sockaddr_in6 *) &ss)->sin6_addr);
        }

        u->addrs = lt_pcalloc(pool, sizeof(lt_addr_t));
        return u->addrs ? lt_url_add_addr(pool, u, (struct sockaddr *) &ss, len, 1)
                        : LT_ERROR;
    }

    if (u->no_resolve) {
        return LT_OK;
    }

    if (u->host.len >= sizeof(host)) {
        u->err = "host not found";
        return LT_ERROR;
    }

    memcpy(host, u->host.data, u->host.len);
    host[u->host.len] = '\0';

    lt_memzero(&hints, sizeof(hints));
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_ADDRCONFIG;

    if (getaddrinfo(host, NULL, &hints, &res) != 0) {
        u->err = "host not found";
        return LT_ERROR;
    }

    for (n = 0, rp = res; rp; rp = rp->ai_next) {
        n++;
    }

    u->addrs = lt_pcalloc(pool, n * sizeof(lt_addr_t));
    if (u->addrs == NULL) {
        freeaddrinfo(res);
        return LT_ERROR;
    }

    /* IPv4 first, as nginx orders them, each address once */
    for (int pass = 0; pass < 2; pass++) {
        for (rp = res; rp; rp = rp->ai_next) {
            if ((pass == 0) != (rp->ai_family == AF_INET)) {
                continue;
            }

            size_t  i;

            for (i = 0; i < u->naddrs; i++) {
                if (lt_cmp_sockaddr(u->addrs[i].sockaddr, u->addrs[i].socklen,
                                    rp->ai_addr, rp->ai_addrlen, 0) == LT_OK)
                {
                    break;
                }
            }

            if (i == u->naddrs
                && lt_url_add_addr(pool, u, rp->ai_addr, rp->ai_addrlen, n) != LT_OK)
            {
                freeaddrinfo(res);
                return LT_ERROR;
            }
        }
    }

    freeaddrinfo(res);

    return LT_OK;
}


/* lt_url_split: host, port and uri of u->url */
static int
lt_url_split(lt_url_t *u)
{
    u_char   *p, *host, *last, *port, *uri;
    int64_t   n;

    host = u->url.data;
    last = host + u->url.len;

    uri = NULL;

    if (u->uri_part) {
        /* the URI part starts at the first "/" or "?" ("host:8080?a=b") */
        uri = lt_strlchr(host, last, '/');
        p = lt_strlchr(host, last, '?');

        if (p && (uri == NULL || p < uri)) {
            uri = p;
        }
    }

    if (uri) {
        u->uri.data = uri;
        u->uri.len = last - uri;
        last = uri;
    }

    port = NULL;

    if (host < last && *host == '[') {
        p = lt_strlchr(host, last, ']');
        if (p == NULL) {
            u->err = "invalid host";
            return LT_ERROR;
        }

        u->host.data = host + 1;
        u->host.len = p - host - 1;

        if (p + 1 < last) {
            if (p[1] != ':') {
                u->err = "invalid host";
                return LT_ERROR;
            }
            port = p + 2;
        }

    } else {
        p = lt_strlchr(host, last, ':');

        if (p) {
            port = p + 1;
            u->host.data = host;
            u->host.len = p - host;

        } else if (u->listen && last > host) {
            /* "8080" alone is a port */
            n = lt_atoi(host, last - host);

            if (n != LT_ERROR) {
                port = host;
                u->host.len = 0;
                u->host.data = host;

            } else {
                u->host.data = host;
                u->host.len = last - host;
            }

        } else {
            u->host.data = host;
            u->host.len = last - host;
        }
    }

    if (port == NULL) {
        u->no_port = 1;
        u->port = u->default_port;
        u->last_port = u->port;
        return LT_OK;
    }

    u->port_text.data = port;
    u->port_text.len = last - port;

    p = u->listen ? lt_strlchr(port, last, '-') : NULL;

    n = lt_atoi(port, (p ? p : last) - port);

    if (n < 1 || n > 65535) {
        u->err = "invalid port";
        return LT_ERROR;
    }

    u->port = (in_port_t) n;
    u->last_port = u->port;

    if (p) {
        /* a range of ports to listen on */
        n = lt_atoi(p + 1, last - p - 1);

        if (n < 1 || n > 65535 || n < u->port) {
            u->err = "invalid port range";
            return LT_ERROR;
        }

        u->last_port = (in_port_t) n;
    }

    return LT_OK;
}


int
lt_parse_url(lt_pool_t *pool, lt_url_t *u)
{
    if (u->url.len > 5 && lt_strncasecmp(u->url.data, (u_char *) "unix:", 5) == 0) {
        return lt_parse_unix_url(pool, u);
    }

    if (u->url.len == 0) {
        u->err = "no host";
        return LT_ERROR;
    }

    if (lt_url_split(u) != LT_OK) {
        return LT_ERROR;
    }

    if (u->host.len == 0 && !u->listen) {
        u->err = "no host";
        return LT_ERROR;
    }

    return lt_url_resolve(pool, u);
}


int
lt_parse_cidr(const lt_str_t *text, lt_cidr_t *cidr)
{
    u_char                   *slash, *last;
    int64_t                   bits;
    size_t                    i, max;
    struct sockaddr_storage   ss;
    socklen_t                 len;
    int                       rc;
    u_char                   *addr, *mask;

    last = text->data + text->len;
    slash = lt_strlchr(text->data, last, '/');

    if (lt_parse_addr(text->data, (slash ? slash : last) - text->data, &ss, &len) != LT_OK) {
        return LT_ERROR;
    }

    cidr->family = ss.ss_family;

    if (ss.ss_family == AF_INET) {
        addr = (u_char *) &cidr->u.in.addr;
        mask = (u_char *) &cidr->u.in.mask;
        memcpy(addr, &((struct sockaddr_in *) &ss)->sin_addr, 4);
        max = 32;

    } else {
        addr = cidr->u.in6.addr;
        mask = cidr->u.in6.mask;
        memcpy(addr, &((struct sockaddr_in6 *) &ss)->sin6_addr, 16);
        max = 128;
    }

    bits = (int64_t) max;

    if (slash) {
        bits = lt_atoi(slash + 1, last - slash - 1);
        if (bits == LT_ERROR || bits > (int64_t) max) {
            return LT_ERROR;
        }
    }

    rc = LT_OK;

    for (i = 0; i < max / 8; i++) {
        int64_t  b = bits - (int64_t) i * 8;

        mask[i] = b >= 8 ? 0xff : (b <= 0 ? 0 : (u_char) (0xff << (8 - b)));

        if (addr[i] & ~mask[i]) {
            rc = LT_DONE;
            addr[i] &= mask[i];
        }
    }

    return rc;
}


int
lt_cidr_match(struct sockaddr *sa, const lt_cidr_t *cidr)
{
    size_t          i;
    const u_char   *a;
    u_char          v4[4];

    if (sa->sa_family == AF_INET6 && cidr->family == AF_INET) {
        /* an IPv4-mapped client against an IPv4 range */
        const struct in6_addr  *in6 = &((struct sockaddr_in6 *) sa)->sin6_addr;

        if (!IN6_IS_ADDR_V4MAPPED(in6)) {
            return 0;
        }

        memcpy(v4, &in6->s6_addr[12], 4);
        a = v4;

    } else if (sa->sa_family != cidr->family) {
        return 0;

    } else if (sa->sa_family == AF_INET) {
        a = (u_char *) &((struct sockaddr_in *) sa)->sin_addr;

    } else {
        a = ((struct sockaddr_in6 *) sa)->sin6_addr.s6_addr;
    }

    if (cidr->family == AF_INET) {
        const u_char  *addr = (const u_char *) &cidr->u.in.addr;
        const u_char  *mask = (const u_char *) &cidr->u.in.mask;

        for (i = 0; i < 4; i++) {
            if ((a[i] & mask[i]) != addr[i]) {
                return 0;
            }
        }

        return 1;
    }

    for (i = 0; i < 16; i++) {
        if ((a[i] & cidr->u.in6.mask[i]) != cidr->u.in6.addr[i]) {
            return 0;
        }
    }

    return 1;
}
