/*
 * geo.c: the geo directive (http_geo). "geo [$address] $var { ... }" declares
 * $var, whose value depends on the client address (or on the address in
 * $address): networks in CIDR notation, IPv4 and IPv6, the most specific one
 * winning, or with "ranges", IPv4 ranges "a.b.c.d-e.f.g.h" (a range may be
 * placed inside an earlier one, and takes over the part it covers; other
 * overlaps are errors, as in nginx). "delete" removes a network (a range),
 * "default" sets the value of addresses nothing matches, "include"
 * reads entries from a file, "proxy" lists trusted proxies whose clients'
 * addresses are taken from X-Forwarded-For ("proxy_recursive": skipping
 * trusted addresses in it too). An address that does not parse (a unix socket
 * client, a variable that is not an address) is looked up as 255.255.255.255.
 *
 * Whatever the mode, the block compiles into one table per address family of
 * contiguous segments covering the whole address space, each with its value;
 * a lookup is a binary search for the last segment starting at or below the
 * address. While the block is read, CIDR entries are kept in a tree keyed by
 * network (for duplicate and delete handling) and turned into segments at the
 * end by a sweep over the networks sorted by start and length; ranges are kept
 * in a tree of disjoint intervals (pieces within one /16, as nginx keeps them,
 * so that "delete" behaves the same), updated by each line. "volatile" makes
 * the variable not cacheable.
 */

#include "lt_http.h"

/* an address of either family as a 128-bit number (IPv4: in lo) */
typedef struct {
    uint64_t                    hi;
    uint64_t                    lo;
} lt_http_geo_addr_t;

typedef struct {
    lt_http_geo_addr_t          start;
    lt_http_variable_value_t   *value;
} lt_http_geo_segment_t;

typedef struct {
    lt_http_geo_segment_t      *segments;   /* sorted; segments[0] starts at 0 */
    size_t                      nsegments;
} lt_http_geo_table_t;

/* a network: [start, end] of one family */
typedef struct {
    int                         family;
    lt_http_geo_addr_t          start;
    lt_http_geo_addr_t          end;
} lt_http_geo_net_t;

/* one geo {}: what the variable's handler reads */
typedef struct {
    lt_http_geo_table_t         in;
    lt_http_geo_table_t         in6;
    lt_http_geo_net_t          *proxies;
    size_t                      nproxies;
    int                         index;      /* of $address; -1: the client address */
    unsigned                    proxy_recursive:1;
    unsigned                    ranges:1;
} lt_http_geo_t;

/* a CIDR entry while the block is read */
typedef struct {
    lt_str_node_t               sn;         /* str: family, prefix length, address */
    lt_http_geo_net_t           net;
    unsigned                    bits;       /* prefix length */
    lt_http_variable_value_t   *value;
} lt_http_geo_cidr_t;

/* a range entry while the block is read (key: the start) */
typedef struct {
    lt_rbtree_node_t            node;
    uint32_t                    end;
    lt_http_variable_value_t   *value;
} lt_http_geo_range_t;

/* the state of the block being read */
typedef struct {
    lt_http_geo_t              *geo;
    lt_rbtree_t                 tree;       /* lt_http_geo_cidr_t or lt_http_geo_range_t */
    lt_rbtree_node_t            sentinel;
    lt_array_t                  proxies;    /* lt_http_geo_net_t */
    lt_http_variable_value_t   *default_value;  /* ranges mode */
    lt_http_variable_value_t   *last_value;     /* to share equal consecutive values */
    size_t                      entries;
    unsigned                    no_cacheable:1;
} lt_http_geo_conf_ctx_t;

static char *lt_http_geo_block(lt_conf_t *cf, lt_command_t *cmd, void *conf);
static char *lt_http_geo(lt_conf_t *cf, lt_command_t *dummy, void *conf);

static lt_http_variable_value_t  lt_http_geo_empty_value = { 0, 1, 0, 0, 0, (u_char *) "" };

static lt_command_t  lt_http_geo_commands[] = {

    { "geo", LT_CTX_HTTP | LT_CONF_BLOCK, 1, 2, lt_http_geo_block, LT_MAIN_CONF, 0, NULL },

    lt_null_command
};

lt_module_t  lt_http_geo_module = {
    .name = "http_geo",
    .type = LT_HTTP_MODULE,
    .commands = lt_http_geo_commands,
};


/* 128-bit address arithmetic */

static int
lt_http_geo_addr_cmp(const lt_http_geo_addr_t *a, const lt_http_geo_addr_t *b)
{
    if (a->hi != b->hi) {
        return a->hi < b->hi ? -1 : 1;
    }

    if (a->lo != b->lo) {
        return a->lo < b->lo ? -1 : 1;
    }

    return 0;
}


/* lt_http_geo_addr_inc: a + 1; returns 1 when it wrapped past the family's top */
static int
lt_http_geo_addr_inc(lt_http_geo_addr_t *a, int family)
{
    if (family == AF_INET) {
        if (a->lo == 0xffffffff) {
            return 1;
        }

        a->lo++;
        return 0;
    }

    if (++a->lo == 0 && ++a->hi == 0) {
        return 1;
    }

    return 0;
}


/* lt_http_geo_sockaddr: sa as a family and a number; an IPv4-mapped IPv6
 * address is IPv4; anything else (a unix socket) is 255.255.255.255 */
static int
lt_http_geo_sockaddr(struct sockaddr *sa, lt_http_geo_addr_t *a)
{
    size_t           i;
    const u_char    *p;
    struct in6_addr *in6;

    a->hi = 0;

    switch (sa->sa_family) {

    case AF_INET:
        a->lo = ntohl(((struct sockaddr_in *) sa)->sin_addr.s_addr);
        return AF_INET;

    case AF_INET6:
        in6 = &((struct sockaddr_in6 *) sa)->sin6_addr;
        p = in6->s6_addr;

        if (IN6_IS_ADDR_V4MAPPED(in6)) {
            a->lo = (uint32_t) p[12] << 24 | (uint32_t) p[13] << 16
                    | (uint32_t) p[14] << 8 | p[15];
            return AF_INET;
        }

        a->lo = 0;

        for (i = 0; i < 8; i++) {
            a->hi = a->hi << 8 | p[i];
            a->lo = a->lo << 8 | p[i + 8];
        }

        return AF_INET6;

    default:
        a->lo = 0xffffffff;
        return AF_INET;
    }
}


/* lt_http_geo_parse: a textual address; AF_INET 255.255.255.255 when it is not
 * one */
static int
lt_http_geo_parse(const u_char *text, size_t len, lt_http_geo_addr_t *a)
{
    socklen_t                 socklen;
    struct sockaddr_storage   ss;

    if (lt_parse_addr(text, len, &ss, &socklen) != LT_OK) {
        a->hi = 0;
        a->lo = 0xffffffff;
        return AF_INET;
    }

    return lt_http_geo_sockaddr((struct sockaddr *) &ss, a);
}


static int
lt_http_geo_trusted(lt_http_geo_t *geo, int family, lt_http_geo_addr_t *a)
{
    size_t              i;
    lt_http_geo_net_t  *net;

    for (i = 0; i < geo->nproxies; i++) {
        net = &geo->proxies[i];

        if (net->family == family && lt_http_geo_addr_cmp(&net->start, a) <= 0
            && lt_http_geo_addr_cmp(a, &net->end) <= 0)
        {
            return 1;
        }
    }

    return 0;
}


/*
 * lt_http_geo_forwarded: the client is a trusted proxy: take the last address
 * of X-Forwarded-For (several headers count as one list, in order); with
 * proxy_recursive, go on leftwards while the address taken is trusted too. An
 * element that is not an address stops the walk, keeping what was taken.
 */
static int
lt_http_geo_forwarded(lt_http_request_t *r, lt_http_geo_t *geo, int family,
    lt_http_geo_addr_t *a)
{
    size_t                    n, i;
    u_char                   *p, *start, *end;
    socklen_t                 socklen;
    lt_table_elt_t           *h, *few[8], **headers;
    struct sockaddr_storage   ss;

    n = 0;

    for (h = r->headers_in.x_forwarded_for; h; h = h->next) {
        n++;
    }

    headers = few;

    if (n > 8) {
        headers = lt_palloc(r->pool, n * sizeof(lt_table_elt_t *));
        if (headers == NULL) {
            return family;
        }
    }

    n = 0;

    for (h = r->headers_in.x_forwarded_for; h; h = h->next) {
        headers[n++] = h;
    }

    for (i = n; i > 0; i--) {
        start = headers[i - 1]->value.data;
        end = start + headers[i - 1]->value.len;

        while (end > start) {
            /* the element ending at end: after the last comma before it */
            while (end > start && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == ',')) {
                end--;
            }

            if (end == start) {
                break;
            }

            p = end;

            while (p > start && p[-1] != ',' && p[-1] != ' ' && p[-1] != '\t') {
                p--;
            }

            if (lt_parse_addr(p, end - p, &ss, &socklen) != LT_OK) {
                return family;
            }

            family = lt_http_geo_sockaddr((struct sockaddr *) &ss, a);

            if (!geo->proxy_recursive || !lt_http_geo_trusted(geo, family, a)) {
                return family;
            }

            end = p;
        }
    }

    return family;
}


static lt_http_variable_value_t *
lt_http_geo_lookup(lt_http_geo_table_t *table, lt_http_geo_addr_t *a)
{
    size_t  lo, hi, mid;

    /* the last segment starting at or below a; segments[0] starts at 0 */
    lo = 0;
    hi = table->nsegments;

    while (hi - lo > 1) {
        mid = lo + (hi - lo) / 2;

        if (lt_http_geo_addr_cmp(&table->segments[mid].start, a) <= 0) {
            lo = mid;

        } else {
            hi = mid;
        }
    }

    return table->segments[lo].value;
}


/* the get handler of a geo variable */
static int
lt_http_geo_variable(lt_http_request_t *r, lt_http_variable_value_t *v, uintptr_t data)
{
    int                         family;
    lt_http_geo_t              *geo = (lt_http_geo_t *) data;
    lt_http_geo_addr_t          a;
    lt_http_variable_value_t   *vv;

    if (geo->index == -1) {
        family = lt_http_geo_sockaddr(r->connection->sockaddr, &a);

    } else {
        vv = lt_http_get_flushed_variable(r, (unsigned) geo->index);

        if (vv == NULL || vv->not_found) {
            family = lt_http_geo_parse((u_char *) "", 0, &a);

        } else {
            family = lt_http_geo_parse(vv->data, vv->len, &a);
        }
    }

    if (geo->nproxies && r->headers_in.x_forwarded_for
        && lt_http_geo_trusted(geo, family, &a))
    {
        family = lt_http_geo_forwarded(r, geo, family, &a);
    }

    if (family == AF_INET6 && geo->ranges) {
        /* ranges are IPv4 only */
        family = AF_INET;
        a.hi = 0;
        a.lo = 0xffffffff;
    }

    *v = *lt_http_geo_lookup(family == AF_INET ? &geo->in : &geo->in6, &a);

    return LT_OK;
}


/* configuration: building the tables */

static int
lt_http_geo_emit(lt_array_t *segments, lt_http_geo_addr_t *start,
    lt_http_variable_value_t *value)
{
    lt_http_geo_segment_t  *seg;

    seg = segments->elts;

    if (segments->nelts && seg[segments->nelts - 1].value == value) {
        return LT_OK;
    }

    seg = lt_array_push(segments);
    if (seg == NULL) {
        return LT_ERROR;
    }

    seg->start = *start;
    seg->value = value;

    return LT_OK;
}


static int
lt_http_geo_cidr_cmp(const void *one, const void *two)
{
    int                        rc;
    const lt_http_geo_cidr_t  *a = *(const lt_http_geo_cidr_t **) one;
    const lt_http_geo_cidr_t  *b = *(const lt_http_geo_cidr_t **) two;

    rc = lt_http_geo_addr_cmp(&a->net.start, &b->net.start);

    if (rc) {
        return rc;
    }

    return (a->bits > b->bits) - (a->bits < b->bits);
}


/*
 * lt_http_geo_sweep: the segments of one family from its networks (sorted by
 * start, shorter prefix first; the first is the whole space). Networks nest or
 * are disjoint, so a stack of the networks containing the current position
 * gives, at each point, the most specific one on top.
 */
static int
lt_http_geo_sweep(lt_conf_t *cf, lt_http_geo_cidr_t **nets, size_t n, int family,
    lt_http_geo_table_t *table)
{
    int                   done;
    size_t                i, top;
    lt_array_t            segments;
    lt_http_geo_addr_t    cursor;
    lt_http_geo_cidr_t   *stack[129];

    if (lt_array_init(&segments, cf->pool, n + 1, sizeof(lt_http_geo_segment_t)) != LT_OK) {
        return LT_ERROR;
    }

    lt_memzero(&cursor, sizeof(lt_http_geo_addr_t));
    done = 0;
    top = 0;

    for (i = 0; i <= n; i++) {

        /* close the networks that end before this one starts (all at the end) */
        while (top && (i == n || lt_http_geo_addr_cmp(&stack[top - 1]->net.end,
                                                      &nets[i]->net.start) < 0))
        {
            top--;

            if (!done && lt_http_geo_addr_cmp(&cursor, &stack[top]->net.end) <= 0) {
                if (lt_http_geo_emit(&segments, &cursor, stack[top]->value) != LT_OK) {
                    return LT_ERROR;
                }

                cursor = stack[top]->net.end;
                done = lt_http_geo_addr_inc(&cursor, family);
            }
        }

        if (i == n) {
            break;
        }

        if (top && lt_http_geo_addr_cmp(&cursor, &nets[i]->net.start) < 0) {
            if (lt_http_geo_emit(&segments, &cursor, stack[top - 1]->value) != LT_OK) {
                return LT_ERROR;
            }
        }

        cursor = nets[i]->net.start;
        done = 0;
        stack[top++] = nets[i];
    }

    table->segments = segments.elts;
    table->nsegments = segments.nelts;

    return LT_OK;
}


/* lt_http_geo_cidr_tables: both families' tables from the CIDR tree */
static int
lt_http_geo_cidr_tables(lt_conf_t *cf, lt_http_geo_conf_ctx_t *ctx)
{
    int                   f;
    size_t                n[2];
    lt_rbtree_node_t     *node;
    lt_http_geo_cidr_t   *c, **nets[2], root[2];
    lt_http_geo_table_t  *table;

    n[0] = 1;
    n[1] = 1;

    for (node = lt_rbtree_empty(&ctx->tree) ? NULL : lt_rbtree_min(ctx->tree.root,
                                                                   ctx->tree.sentinel);
         node;
         node = lt_rbtree_next(&ctx->tree, node))
    {
        c = (lt_http_geo_cidr_t *) node;
        n[c->net.family == AF_INET6]++;
    }

    for (f = 0; f < 2; f++) {
        nets[f] = lt_palloc(cf->temp_pool, n[f] * sizeof(lt_http_geo_cidr_t *));
        if (nets[f] == NULL) {
            return LT_ERROR;
        }

        /* the whole space, in case neither "default" nor "0.0.0.0/0" was given */
        lt_memzero(&root[f], sizeof(lt_http_geo_cidr_t));
        root[f].net.family = f ? AF_INET6 : AF_INET;
        root[f].net.end.lo = f ? UINT64_MAX : 0xffffffff;
        root[f].net.end.hi = f ? UINT64_MAX : 0;
        root[f].value = &lt_http_geo_empty_value;

        nets[f][0] = &root[f];
        n[f] = 1;
    }

    for (node = lt_rbtree_empty(&ctx->tree) ? NULL : lt_rbtree_min(ctx->tree.root,
                                                                   ctx->tree.sentinel);
         node;
         node = lt_rbtree_next(&ctx->tree, node))
    {
        c = (lt_http_geo_cidr_t *) node;
        f = c->net.family == AF_INET6;

        if (c->bits == 0) {
            nets[f][0] = c;
            continue;
        }

        nets[f][n[f]++] = c;
    }

    for (f = 0; f < 2; f++) {
        qsort(nets[f], n[f], sizeof(lt_http_geo_cidr_t *), lt_http_geo_cidr_cmp);

        table = f ? &ctx->geo->in6 : &ctx->geo->in;

        if (lt_http_geo_sweep(cf, nets[f], n[f], f ? AF_INET6 : AF_INET, table) != LT_OK) {
            return LT_ERROR;
        }
    }

    return LT_OK;
}


/* lt_http_geo_range_tables: the IPv4 table from the range tree; gaps get the
 * default; IPv6 addresses never reach a ranges table */
static int
lt_http_geo_range_tables(lt_conf_t *cf, lt_http_geo_conf_ctx_t *ctx)
{
    int                         done;
    lt_array_t                  segments;
    lt_rbtree_node_t           *node;
    lt_http_geo_addr_t          cursor, start;
    lt_http_geo_range_t        *range;
    lt_http_variable_value_t   *dflt;

    dflt = ctx->default_value ? ctx->default_value : &lt_http_geo_empty_value;

    if (lt_array_init(&segments, cf->pool, 16, sizeof(lt_http_geo_segment_t)) != LT_OK) {
        return LT_ERROR;
    }

    lt_memzero(&cursor, sizeof(lt_http_geo_addr_t));
    lt_memzero(&start, sizeof(lt_http_geo_addr_t));
    done = 0;

    for (node = lt_rbtree_empty(&ctx->tree) ? NULL : lt_rbtree_min(ctx->tree.root,
                                                                   ctx->tree.sentinel);
         node;
         node = lt_rbtree_next(&ctx->tree, node))
    {
        range = (lt_http_geo_range_t *) node;
        start.lo = node->key;

        if (cursor.lo < start.lo && lt_http_geo_emit(&segments, &cursor, dflt) != LT_OK) {
            return LT_ERROR;
        }

        if (lt_http_geo_emit(&segments, &start, range->value) != LT_OK) {
            return LT_ERROR;
        }

        cursor.lo = range->end;
        done = lt_http_geo_addr_inc(&cursor, AF_INET);
    }

    if (!done && lt_http_geo_emit(&segments, &cursor, dflt) != LT_OK) {
        return LT_ERROR;
    }

    ctx->geo->in.segments = segments.elts;
    ctx->geo->in.nsegments = segments.nelts;

    /* an IPv6 lookup is turned into 255.255.255.255 first; keep a valid table */
    ctx->geo->in6 = ctx->geo->in;

    return LT_OK;
}


static char *
lt_http_geo_block(lt_conf_t *cf, lt_command_t *cmd, void *conf)
{
    char                     *rv;
    int                       rc;
    lt_str_t                 *value, name;
    lt_http_geo_t            *geo;
    lt_http_variable_t       *var;
    lt_http_geo_conf_ctx_t    ctx;

    value = cf->args->elts;

    geo = lt_pcalloc(cf->pool, sizeof(lt_http_geo_t));
    if (geo == NULL) {
        return LT_CONF_ERROR;
    }

    geo->index = -1;

    if (cf->args->nelts == 3) {
        if (lt_http_conf_variable_name(cf, &value[1], &name) != LT_OK) {
            return LT_CONF_ERROR;
        }

        geo->index = lt_http_get_variable_index(cf, &name);
        if (geo->index == LT_ERROR) {
            return LT_CONF_ERROR;
        }
    }

    if (lt_http_conf_variable_name(cf, &value[cf->args->nelts - 1], &name) != LT_OK) {
        return LT_CONF_ERROR;
    }

    var = lt_http_add_variable(cf, &name, LT_HTTP_VAR_CHANGEABLE);
    if (var == NULL) {
        return LT_CONF_ERROR;
    }

    var->get_handler = lt_http_geo_variable;
    var->data = (uintptr_t) geo;

    lt_memzero(&ctx, sizeof(lt_http_geo_conf_ctx_t));
    ctx.geo = geo;

    if (lt_array_init(&ctx.proxies, cf->pool, 2, sizeof(lt_http_geo_net_t)) != LT_OK) {
        return LT_CONF_ERROR;
    }

    /* the tree's insert function is chosen when the mode is known */
    lt_rbtree_init(&ctx.tree, &ctx.sentinel, lt_str_rbtree_insert_value);

    rv = lt_conf_parse_lines(cf, lt_http_geo, &ctx);

    if (rv != LT_CONF_OK) {
        return rv;
    }

    if (ctx.no_cacheable) {
        var->flags |= LT_HTTP_VAR_NOCACHEABLE;
    }

    rc = geo->ranges ? lt_http_geo_range_tables(cf, &ctx) : lt_http_geo_cidr_tables(cf, &ctx);

    if (rc != LT_OK) {
        return LT_CONF_ERROR;
    }

    geo->proxies = ctx.proxies.elts;
    geo->nproxies = ctx.proxies.nelts;

    return LT_CONF_OK;
}


/* lt_http_geo_value: the value text as a variable value; equal consecutive
 * values (a geo database lists many lines per country) share one */
static lt_http_variable_value_t *
lt_http_geo_value(lt_conf_t *cf, lt_http_geo_conf_ctx_t *ctx, lt_str_t *text)
{
    lt_http_variable_value_t  *v;

    v = ctx->last_value;

    if (v && v->len == text->len && memcmp(v->data, text->data, text->len) == 0) {
        return v;
    }

    if (text->len >= (1 << 28)) {
        lt_conf_log_error(LT_LOG_EMERG, cf, 0, "too long value \"%.*s\"", 64, text->data);
        return NULL;
    }

    v = lt_palloc(cf->pool, sizeof(lt_http_variable_value_t));
    if (v == NULL) {
        return NULL;
    }

    v->len = (unsigned) text->len;
    v->data = text->data;
    v->valid = 1;
    v->no_cacheable = 0;
    v->not_found = 0;
    v->escape = 0;

    ctx->last_value = v;

    return v;
}


/* lt_http_geo_net: "addr[/bits]" as a network; LT_OK, LT_DONE (host bits were
 * set: warned), LT_ERROR */
static int
lt_http_geo_net(lt_conf_t *cf, lt_str_t *text, lt_http_geo_net_t *net, unsigned *bits)
{
    int        rc;
    size_t     i, max;
    u_char    *mask;
    lt_cidr_t  cidr;

    rc = lt_parse_cidr(text, &cidr);

    if (rc == LT_ERROR) {
        return LT_ERROR;
    }

    if (rc == LT_DONE) {
        lt_conf_log_error(LT_LOG_WARN, cf, 0, "low address bits of %.*s are meaningless",
                          (int) text->len, text->data);
    }

    lt_memzero(net, sizeof(lt_http_geo_net_t));
    net->family = cidr.family;

    if (cidr.family == AF_INET) {
        net->start.lo = ntohl(cidr.u.in.addr);
        net->end.lo = net->start.lo | (~ntohl(cidr.u.in.mask) & 0xffffffff);
        mask = (u_char *) &cidr.u.in.mask;
        max = 4;

    } else {
        for (i = 0; i < 8; i++) {
            net->start.hi = net->start.hi << 8 | cidr.u.in6.addr[i];
            net->start.lo = net->start.lo << 8 | cidr.u.in6.addr[i + 8];
            net->end.hi = net->end.hi << 8 | (u_char) ~cidr.u.in6.mask[i];
            net->end.lo = net->end.lo << 8 | (u_char) ~cidr.u.in6.mask[i + 8];
        }

        net->end.hi |= net->start.hi;
        net->end.lo |= net->start.lo;
        mask = cidr.u.in6.mask;
        max = 16;
    }

    *bits = 0;

    for (i = 0; i < max; i++) {
        *bits += (unsigned) __builtin_popcount(mask[i]);
    }

    return LT_OK;
}


/* lt_http_geo_cidr_find: the entry of this network, and its key in *key */
static lt_http_geo_cidr_t *
lt_http_geo_cidr_find(lt_http_geo_conf_ctx_t *ctx, lt_http_geo_net_t *net, unsigned bits,
    u_char *buf, lt_str_t *key, uint32_t *hash)
{
    buf[0] = (u_char) net->family;
    buf[1] = (u_char) bits;
    memcpy(&buf[2], &net->start, sizeof(lt_http_geo_addr_t));

    key->data = buf;
    key->len = 2 + sizeof(lt_http_geo_addr_t);

    *hash = lt_crc32(key->data, key->len);

    return (lt_http_geo_cidr_t *) lt_str_rbtree_lookup(&ctx->tree, key, *hash);
}


/* lt_http_geo_cidr_add: "NET value", "default value" (both families' whole
 * space) or "delete NET" */
static char *
lt_http_geo_cidr_add(lt_conf_t *cf, lt_http_geo_conf_ctx_t *ctx, lt_str_t *netname,
    lt_http_variable_value_t *value)
{
    int                  i, n;
    u_char               buf[2 + sizeof(lt_http_geo_addr_t)];
    uint32_t             hash;
    unsigned             bits;
    lt_str_t             key;
    lt_http_geo_net_t    net[2];
    lt_http_geo_cidr_t  *c;

    if (lt_str_eq(netname, "default")) {
        lt_memzero(net, sizeof(net));
        net[0].family = AF_INET;
        net[0].end.lo = 0xffffffff;
        net[1].family = AF_INET6;
        net[1].end.lo = UINT64_MAX;
        net[1].end.hi = UINT64_MAX;
        bits = 0;
        n = 2;

    } else {
        if (lt_http_geo_net(cf, netname, &net[0], &bits) != LT_OK) {
            lt_conf_log_error(LT_LOG_EMERG, cf, 0, "invalid network \"%.*s\"",
                              (int) netname->len, netname->data);
            return LT_CONF_ERROR;
        }

        n = 1;
    }

    for (i = 0; i < n; i++) {
        c = lt_http_geo_cidr_find(ctx, &net[i], bits, buf, &key, &hash);

        if (value == NULL) {
            /* delete */
            if (c == NULL) {
                if (i == 0) {
                    lt_conf_log_error(LT_LOG_WARN, cf, 0, "no network \"%.*s\" to delete",
                                      (int) netname->len, netname->data);
                }

                continue;
            }

            lt_rbtree_delete(&ctx->tree, &c->sn.node);
            continue;
        }

        if (c) {
            if (i == 0) {
                lt_conf_log_error(LT_LOG_WARN, cf, 0,
                                  "duplicate network \"%.*s\", value: \"%.*s\", "
                                  "old value: \"%.*s\"",
                                  (int) netname->len, netname->data, (int) value->len,
                                  value->data, (int) c->value->len, c->value->data);
            }

            c->value = value;
            continue;
        }

        c = lt_palloc(cf->temp_pool, sizeof(lt_http_geo_cidr_t));
        if (c == NULL) {
            return LT_CONF_ERROR;
        }

        c->sn.str.data = lt_pnalloc(cf->temp_pool, key.len);
        if (c->sn.str.data == NULL) {
            return LT_CONF_ERROR;
        }

        memcpy(c->sn.str.data, key.data, key.len);
        c->sn.str.len = key.len;
        c->sn.node.key = hash;
        c->net = net[i];
        c->bits = bits;
        c->value = value;

        lt_rbtree_insert(&ctx->tree, &c->sn.node);
    }

    return LT_CONF_OK;
}


/* range tree: keyed by start, no two ranges overlap */

static void
lt_http_geo_range_insert_value(lt_rbtree_node_t *root, lt_rbtree_node_t *node,
    lt_rbtree_node_t *sentinel)
{
    lt_rbtree_node_t  **link;

    for ( ;; ) {
        link = (node->key < root->key) ? &root->left : &root->right;

        if (*link == sentinel) {
            break;
        }

        root = *link;
    }

    *link = node;
    node->parent = root;
    node->left = sentinel;
    node->right = sentinel;
    lt_rbt_red(node);
}


/* lt_http_geo_range_floor: the range with the greatest start <= key, or NULL */
static lt_http_geo_range_t *
lt_http_geo_range_floor(lt_rbtree_t *tree, uint32_t key)
{
    lt_rbtree_node_t  *node, *found;

    found = NULL;

    for (node = tree->root; node != tree->sentinel; /* void */ ) {
        if (node->key <= key) {
            found = node;
            node = node->right;

        } else {
            node = node->left;
        }
    }

    return (lt_http_geo_range_t *) found;
}


/* lt_http_geo_range_new: a range node */
static lt_http_geo_range_t *
lt_http_geo_range_new(lt_conf_t *cf, uint32_t start, uint32_t end,
    lt_http_variable_value_t *value)
{
    lt_http_geo_range_t  *range;

    range = lt_palloc(cf->temp_pool, sizeof(lt_http_geo_range_t));
    if (range == NULL) {
        return NULL;
    }

    range->node.key = start;
    range->end = end;
    range->value = value;

    return range;
}


/*
 * lt_http_geo_range_piece: adds [s, e], a piece within one /16, as nginx does:
 * next to the others, exactly over one (replacing its value), or inside one
 * (the new value wins over the part it covers: the rest of the old range
 * stays); any other overlap is an error.
 */
static char *
lt_http_geo_range_piece(lt_conf_t *cf, lt_http_geo_conf_ctx_t *ctx, lt_str_t *text,
    uint32_t s, uint32_t e, lt_http_variable_value_t *value)
{
    uint32_t              start;
    lt_http_geo_range_t  *old, *range, *tail;

    old = lt_http_geo_range_floor(&ctx->tree, e);

    if (old && old->end >= s) {
        start = (uint32_t) old->node.key;

        if (s == start && e == old->end) {
            lt_conf_log_error(LT_LOG_WARN, cf, 0,
                              "duplicate range \"%.*s\", value: \"%.*s\", old value: \"%.*s\"",
                              (int) text->len, text->data, (int) value->len, value->data,
                              (int) old->value->len, old->value->data);
            old->value = value;
            return LT_CONF_OK;
        }

        if (s < start || e > old->end) {
            lt_conf_log_error(LT_LOG_EMERG, cf, 0,
                              "range \"%.*s\" overlaps \"%u.%u.%u.%u-%u.%u.%u.%u\"",
                              (int) text->len, text->data,
                              start >> 24, (start >> 16) & 0xff, (start >> 8) & 0xff,
                              start & 0xff, old->end >> 24, (old->end >> 16) & 0xff,
                              (old->end >> 8) & 0xff, old->end & 0xff);
            return LT_CONF_ERROR;
        }

        if (s == start) {
            /* the old range keeps what follows the new one: its key grows,
             * still below the next range's */
            old->node.key = (lt_rbtree_key_t) e + 1;

        } else if (e == old->end) {
            old->end = s - 1;

        } else {
            /* inside: the old range is split around the new one */
            tail = lt_http_geo_range_new(cf, e + 1, old->end, old->value);
            if (tail == NULL) {
                return LT_CONF_ERROR;
            }

            old->end = s - 1;
            lt_rbtree_insert(&ctx->tree, &tail->node);
        }
    }

    range = lt_http_geo_range_new(cf, s, e, value);
    if (range == NULL) {
        return LT_CONF_ERROR;
    }

    lt_rbtree_insert(&ctx->tree, &range->node);

    return LT_CONF_OK;
}


/* lt_http_geo_range_delete: removes the piece [s, e] if a range is exactly it;
 * 0 when there is none */
static int
lt_http_geo_range_delete(lt_http_geo_conf_ctx_t *ctx, uint32_t s, uint32_t e)
{
    lt_http_geo_range_t  *range;

    range = lt_http_geo_range_floor(&ctx->tree, s);

    if (range == NULL || range->node.key != s || range->end != e) {
        return 0;
    }

    lt_rbtree_delete(&ctx->tree, &range->node);

    return 1;
}


/*
 * lt_http_geo_range_add: "a-b value" or "delete a-b" (value NULL). As in
 * nginx, a range is kept as pieces within /16 networks (10.0.255.0-10.1.0.255
 * is 10.0.255.0-10.0.255.255 and 10.1.0.0-10.1.0.255); adding and deleting
 * work piece by piece, and a delete removes only pieces that exist as given.
 */
static char *
lt_http_geo_range_add(lt_conf_t *cf, lt_http_geo_conf_ctx_t *ctx, lt_str_t *text,
    lt_http_variable_value_t *value)
{
    int                   missing;
    char                 *rv;
    u_char               *dash;
    uint32_t              start, end, s, e;
    socklen_t             socklen;
    lt_http_geo_addr_t    a;
    struct sockaddr_storage  ss;

    dash = lt_strlchr(text->data, text->data + text->len, '-');

    if (dash == NULL
        || lt_parse_addr(text->data, dash - text->data, &ss, &socklen) != LT_OK
        || ss.ss_family != AF_INET)
    {
        goto invalid;
    }

    lt_http_geo_sockaddr((struct sockaddr *) &ss, &a);
    start = (uint32_t) a.lo;

    if (lt_parse_addr(dash + 1, text->data + text->len - dash - 1, &ss, &socklen) != LT_OK
        || ss.ss_family != AF_INET)
    {
        goto invalid;
    }

    lt_http_geo_sockaddr((struct sockaddr *) &ss, &a);
    end = (uint32_t) a.lo;

    if (start > end) {
        goto invalid;
    }

    missing = 0;

    for (s = start; /* void */; s = e + 1) {
        e = lt_min(end, s | 0xffff);

        if (value == NULL) {
            missing |= !lt_http_geo_range_delete(ctx, s, e);

        } else {
            rv = lt_http_geo_range_piece(cf, ctx, text, s, e, value);
            if (rv != LT_CONF_OK) {
                return rv;
            }
        }

        if (e == end) {
            break;
        }
    }

    if (missing) {
        lt_conf_log_error(LT_LOG_WARN, cf, 0, "no address range \"%.*s\" to delete",
                          (int) text->len, text->data);
    }

    return LT_CONF_OK;

invalid:

    lt_conf_log_error(LT_LOG_EMERG, cf, 0, "invalid range \"%.*s\"",
                      (int) text->len, text->data);

    return LT_CONF_ERROR;
}


static char *
lt_http_geo_proxy(lt_conf_t *cf, lt_http_geo_conf_ctx_t *ctx, lt_str_t *text)
{
    unsigned            bits;
    lt_http_geo_net_t  *net;

    net = lt_array_push(&ctx->proxies);
    if (net == NULL) {
        return LT_CONF_ERROR;
    }

    if (lt_http_geo_net(cf, text, net, &bits) != LT_OK) {
        lt_conf_log_error(LT_LOG_EMERG, cf, 0, "invalid network \"%.*s\"",
                          (int) text->len, text->data);
        return LT_CONF_ERROR;
    }

    return LT_CONF_OK;
}


/* one line inside geo {} */
static char *
lt_http_geo(lt_conf_t *cf, lt_command_t *dummy, void *conf)
{
    lt_str_t                  *value;
    lt_http_geo_conf_ctx_t    *ctx = conf;
    lt_http_variable_value_t  *v;

    value = cf->args->elts;

    if (cf->args->nelts == 1) {
        if (lt_str_eq(&value[0], "ranges")) {
            if (ctx->entries) {
                lt_conf_log_error(LT_LOG_EMERG, cf, 0, "the \"ranges\" directive must be "
                                  "the first directive inside \"geo\" block");
                return LT_CONF_ERROR;
            }

            ctx->geo->ranges = 1;
            ctx->tree.insert = lt_http_geo_range_insert_value;
            return LT_CONF_OK;
        }

        if (lt_str_eq(&value[0], "proxy_recursive")) {
            ctx->geo->proxy_recursive = 1;
            return LT_CONF_OK;
        }

        if (lt_str_eq(&value[0], "volatile")) {
            ctx->no_cacheable = 1;
            return LT_CONF_OK;
        }
    }

    if (cf->args->nelts != 2) {
        lt_conf_log_error(LT_LOG_EMERG, cf, 0, "invalid number of the geo parameters");
        return LT_CONF_ERROR;
    }

    if (lt_str_eq(&value[0], "include")) {
        return lt_conf_include(cf, dummy, conf);
    }

    if (lt_str_eq(&value[0], "proxy")) {
        return lt_http_geo_proxy(cf, ctx, &value[1]);
    }

    ctx->entries++;

    if (lt_str_eq(&value[0], "delete")) {
        return ctx->geo->ranges ? lt_http_geo_range_add(cf, ctx, &value[1], NULL)
                                : lt_http_geo_cidr_add(cf, ctx, &value[1], NULL);
    }

    v = lt_http_geo_value(cf, ctx, &value[1]);
    if (v == NULL) {
        return LT_CONF_ERROR;
    }

    if (ctx->geo->ranges) {
        if (lt_str_eq(&value[0], "default")) {
            if (ctx->default_value) {
                lt_conf_log_error(LT_LOG_WARN, cf, 0, "duplicate default geo range value: "
                                  "\"%.*s\", old value: \"%.*s\"",
                                  (int) v->len, v->data, (int) ctx->default_value->len,
                                  ctx->default_value->data);
            }

            ctx->default_value = v;
            return LT_CONF_OK;
        }

        return lt_http_geo_range_add(cf, ctx, &value[0], v);
    }

    return lt_http_geo_cidr_add(cf, ctx, &value[0], v);
}
