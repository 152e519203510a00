/*
 * lt_inet.h: parsing addresses as configurations write them: "8080",
 * "127.0.0.1:8080", "*:80", "[::1]:443", "example.com:8080", "unix:/path".
 */

#ifndef LT_INET_H
#define LT_INET_H

#include "lt_config.h"
#include "lt_string.h"
#include "lt_palloc.h"

typedef struct {
    struct sockaddr  *sockaddr;
    socklen_t         socklen;
    lt_str_t          name;         /* "127.0.0.1:8080" */
} lt_addr_t;

typedef struct {
    lt_str_t          url;          /* input */
    lt_str_t          host;         /* output: the host part ("" for "*" / port only) */
    lt_str_t          port_text;
    lt_str_t          uri;          /* what follows the authority ("/x" in "h:1/x") */

    in_port_t         port;
    in_port_t         last_port;    /* output: "8080-8089" (listen only), else port */
    in_port_t         default_port; /* input: used when the url has no port */
    int               family;

    unsigned          listen:1;     /* input: "8080" alone is a port; "*" allowed */
    unsigned          uri_part:1;   /* input: a path may follow */
    unsigned          no_resolve:1; /* input: do not resolve names */
    unsigned          no_port:1;    /* output: no port was given */
    unsigned          wildcard:1;   /* output: 0.0.0.0 / [::] */

    socklen_t         socklen;
    struct sockaddr_storage  sockaddr;  /* the first address */

    lt_addr_t        *addrs;        /* every address the host resolved to */
    size_t            naddrs;

    const char       *err;          /* output: what was wrong */
} lt_url_t;

/* lt_parse_url: fills u from u->url; LT_OK, or LT_ERROR with u->err set (a
 * host that does not resolve is "host not found") */
int lt_parse_url(lt_pool_t *pool, lt_url_t *u);

/* lt_parse_addr: a literal IPv4/IPv6 address (no port) into sa; LT_OK or
 * LT_DECLINED */
int lt_parse_addr(const u_char *text, size_t len, struct sockaddr_storage *sa,
    socklen_t *socklen);

/* CIDR ranges (allow/deny, geo, set_real_ip_from) */
typedef struct {
    int               family;
    union {
        struct { uint32_t addr, mask; } in;
        struct { u_char addr[16], mask[16]; } in6;
    } u;
} lt_cidr_t;

/* lt_parse_cidr: "10.0.0.0/8", "::1", "all"? (no: the caller handles "all");
 * LT_OK, LT_DONE when host bits were set (and masked off), LT_ERROR */
int lt_parse_cidr(const lt_str_t *text, lt_cidr_t *cidr);

/* lt_cidr_match: sa is inside cidr */
int lt_cidr_match(struct sockaddr *sa, const lt_cidr_t *cidr);

#endif /* LT_INET_H */
