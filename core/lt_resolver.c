/*
 * lt_resolver.c: the asynchronous DNS stub resolver (see lt_resolver.h).
 *
 * A name has a node in the resolver's tree (key: crc32 of the lowercase name).
 * A node is either resolving (in the pending queue, with a retransmission
 * timer and the lookups waiting for it) or answered (in the expire queue, with
 * its addresses and the time until which they are valid). Failed lookups are
 * not cached, as in nginx. Nodes are malloc'ed: they live as long as the answer
 * is used, not as long as a request or the configuration.
 */

#include "lt_core.h"
#include "lt_event_connect.h"
#include "lt_resolver.h"

#include <sys/random.h>

#define LT_RESOLVE_A            1
#define LT_RESOLVE_CNAME        5
#define LT_RESOLVE_AAAA         28

#define LT_RESOLVER_RESEND      2000    /* ms between retransmissions */
#define LT_RESOLVER_EXPIRE      30      /* s an unused answer is kept */
#define LT_RESOLVER_MAX_CNAMES  8       /* CNAME hops (within and across answers) */
#define LT_RESOLVER_MAX_RECORDS 64      /* answer records looked at */
#define LT_RESOLVER_UDP_SIZE    4096
#define LT_RESOLVER_TCP_SIZE    (2 + 65535)
#define LT_RESOLVER_QUERY_SIZE  (12 + 257 + 4)  /* a 255-byte name is 257 on the wire */

typedef union {
    struct sockaddr          sa;
    struct sockaddr_in       in;
    struct sockaddr_in6      in6;
} lt_resolver_sockaddr_t;

/* one name server: a UDP socket opened at the first query, a TCP connection
 * opened when an answer comes truncated */
typedef struct {
    struct sockaddr         *sockaddr;
    socklen_t                socklen;
    lt_str_t                 server;
    lt_connection_t         *udp;
    lt_resolver_t           *resolver;

    lt_connection_t         *tcp;
    u_char                  *tcp_out;       /* queries not yet written (length-prefixed) */
    size_t                   tcp_out_len;
    u_char                  *tcp_in;        /* LT_RESOLVER_TCP_SIZE: answers being read */
    size_t                   tcp_in_len;
    unsigned                 tcp_connected:1;
} lt_resolver_conn_t;

struct lt_resolver_s {
    lt_resolver_conn_t      *conns;
    size_t                   nconns;
    size_t                   last;          /* the server of the next new query */

    time_t                   valid;         /* valid=: overrides TTLs when not 0 */
    unsigned                 ipv4:1;
    unsigned                 ipv6:1;

    lt_rbtree_t              tree;
    lt_rbtree_node_t         sentinel;
    lt_queue_t               pending;       /* resolving nodes */
    lt_queue_t               expire;        /* answered nodes, most recently used first */
    size_t                   waiting;       /* lookups waiting, in all nodes */

    uint16_t                 ids[32];       /* random query IDs, used from the end */
    size_t                   nids;

    lt_log_t                *log;
};

struct lt_resolver_node_s {
    lt_str_node_t            sn;            /* sn.str: the lowercase name (the key) */
    lt_queue_t               queue;         /* pending or expire */
    lt_resolver_t           *resolver;

    /* the answer */
    lt_resolver_sockaddr_t  *addrs;
    size_t                   naddrs;
    size_t                   rotate;        /* the first address of the next export */
    time_t                   valid;
    time_t                   expire;

    /* the query in flight */
    u_char                   qname[256];    /* the name asked: sn.str or a CNAME target */
    size_t                   qname_len;
    unsigned                 cnames;        /* CNAME hops followed */
    uint16_t                 id_a;
    uint16_t                 id_aaaa;
    int                      code;          /* the first error rcode of the sub-queries */
    uint32_t                 ttl;
    lt_resolver_sockaddr_t  *found;         /* addresses collected from both answers */
    size_t                   nfound;
    u_char                   cname[256];    /* where an answer without addresses pointed */
    size_t                   cname_len;
    size_t                   conn;          /* the server asked */
    lt_event_t               resend;

    unsigned                 resolving:1;
    unsigned                 wait_a:1;
    unsigned                 wait_aaaa:1;

    lt_resolver_ctx_t       *waiting;
};

/* an answer record the chain walk looks at */
typedef struct {
    u_char                   owner[256];
    size_t                   owner_len;
    unsigned                 type;
    uint32_t                 ttl;
    size_t                   rdata;         /* offset in the packet */
    size_t                   rdlen;
} lt_resolver_rr_t;

static void lt_resolver_cleanup(void *data);
static int lt_resolver_parse_param(lt_conf_t *cf, lt_resolver_t *r, lt_str_t *arg);
static uint16_t lt_resolver_id(lt_resolver_t *r);
static int lt_resolver_check_name(const u_char *name, size_t len);
static void lt_resolver_expire_old(lt_resolver_t *r);
static int lt_resolver_query(lt_resolver_node_t *rn);
static void lt_resolver_send(lt_resolver_node_t *rn, unsigned type, uint16_t id);
static lt_connection_t *lt_resolver_open(lt_resolver_conn_t *rec);
static void lt_resolver_close(lt_resolver_conn_t *rec);
static void lt_resolver_maybe_close(lt_resolver_t *r);
static void lt_resolver_read(lt_event_t *rev);
static void lt_resolver_write(lt_event_t *wev);
static void lt_resolver_resend_handler(lt_event_t *ev);
static void lt_resolver_timeout_handler(lt_event_t *ev);
static void lt_resolver_process(lt_resolver_t *r, u_char *buf, size_t n, unsigned tcp);
static size_t lt_resolver_build(lt_resolver_node_t *rn, unsigned type, uint16_t id,
    u_char *packet);
static void lt_resolver_send_tcp(lt_resolver_node_t *rn, unsigned type, uint16_t id);
static lt_connection_t *lt_resolver_open_tcp(lt_resolver_conn_t *rec);
static void lt_resolver_close_tcp(lt_resolver_conn_t *rec);
static void lt_resolver_tcp_write(lt_event_t *wev);
static void lt_resolver_tcp_read(lt_event_t *rev);
static int lt_resolver_decode_name(u_char *buf, size_t n, size_t *pos, u_char *out,
    size_t *out_len);
static const char *lt_resolver_records(u_char *buf, size_t n, size_t pos, unsigned ancount,
    lt_resolver_rr_t *rrs, size_t *nrrp);
static int lt_resolver_answer(lt_resolver_node_t *rn, unsigned qtype, u_char *buf, size_t n,
    size_t pos, unsigned ancount);
static void lt_resolver_finish(lt_resolver_node_t *rn);
static int lt_resolver_cached_cname(lt_resolver_node_t *rn);
static void lt_resolver_export(lt_resolver_node_t *rn, lt_resolver_ctx_t *ctx);
static void lt_resolver_free_node(lt_resolver_node_t *rn);


lt_resolver_t *
lt_resolver_create(lt_conf_t *cf, lt_str_t *args, size_t n)
{
    size_t                i, j;
    lt_url_t              u;
    lt_array_t           *conns;
    lt_resolver_t        *r;
    lt_pool_cleanup_t    *cln;
    lt_resolver_conn_t   *rec;

    r = lt_pcalloc(cf->pool, sizeof(lt_resolver_t));
    conns = lt_array_create(cf->pool, n ? n : 1, sizeof(lt_resolver_conn_t));
    cln = lt_pool_cleanup_add(cf->pool, 0);

    if (r == NULL || conns == NULL || cln == NULL) {
        return NULL;
    }

    cln->handler = lt_resolver_cleanup;
    cln->data = r;

    r->ipv4 = 1;
    r->ipv6 = 1;
    r->log = &cf->cycle->new_log;

    lt_rbtree_init(&r->tree, &r->sentinel, lt_str_rbtree_insert_value);
    lt_queue_init(&r->pending);
    lt_queue_init(&r->expire);

    for (i = 0; i < n; i++) {
        switch (lt_resolver_parse_param(cf, r, &args[i])) {
        case LT_OK:
            continue;
        case LT_ERROR:
            return NULL;
        default:    /* LT_DECLINED: an address */
            break;
        }

        memset(&u, 0, sizeof(lt_url_t));
        u.url = args[i];
        u.default_port = 53;

        if (lt_parse_url(cf->pool, &u) != LT_OK) {
            if (u.err) {
                lt_conf_log_error(LT_LOG_EMERG, cf, 0, "%s in resolver \"%.*s\"", u.err,
                                  (int) u.url.len, u.url.data);
            }

            return NULL;
        }

        if (u.family == AF_UNIX || u.naddrs == 0) {
            lt_conf_log_error(LT_LOG_EMERG, cf, 0, "invalid address in resolver \"%.*s\"",
                              (int) u.url.len, u.url.data);
            return NULL;
        }

        rec = lt_array_push_n(conns, u.naddrs);
        if (rec == NULL) {
            return NULL;
        }

        memset(rec, 0, u.naddrs * sizeof(lt_resolver_conn_t));

        for (j = 0; j < u.naddrs; j++) {
            rec[j].sockaddr = u.addrs[j].sockaddr;
            rec[j].socklen = u.addrs[j].socklen;
            rec[j].server = u.addrs[j].name;
            rec[j].resolver = r;
        }
    }

    if (!r->ipv4 && !r->ipv6) {
        lt_conf_log_error(LT_LOG_EMERG, cf, 0, "\"ipv4\" and \"ipv6\" cannot both be \"off\"");
        return NULL;
    }

    if (conns->nelts == 0) {
        lt_conf_log_error(LT_LOG_EMERG, cf, 0, "no name servers defined");
        return NULL;
    }

    r->conns = conns->elts;
    r->nconns = conns->nelts;

    return r;
}


/* lt_resolver_parse_param: valid=, ipv4=, ipv6=: LT_OK; an address: LT_DECLINED;
 * a bad value: LT_ERROR (logged) */
static int
lt_resolver_parse_param(lt_conf_t *cf, lt_resolver_t *r, lt_str_t *arg)
{
    int64_t    sec;
    lt_str_t   s;
    unsigned   on;

    if (arg->len >= 6 && lt_strncmp(arg->data, "valid=", 6) == 0) {
        s.len = arg->len - 6;
        s.data = arg->data + 6;

        sec = lt_parse_time(&s, 1);
        if (sec == LT_ERROR) {
            goto invalid;
        }

        r->valid = (time_t) sec;
        return LT_OK;
    }

    if (arg->len >= 5
        && (lt_strncmp(arg->data, "ipv4=", 5) == 0 || lt_strncmp(arg->data, "ipv6=", 5) == 0))
    {
        s.len = arg->len - 5;
        s.data = arg->data + 5;

        if (s.len == 2 && lt_strncmp(s.data, "on", 2) == 0) {
            on = 1;

        } else if (s.len == 3 && lt_strncmp(s.data, "off", 3) == 0) {
            on = 0;

        } else {
            goto invalid;
        }

        if (arg->data[3] == '4') {
            r->ipv4 = on;
        } else {
            r->ipv6 = on;
        }

        return LT_OK;
    }

    if (memchr(arg->data, '=', arg->len) == NULL) {
        return LT_DECLINED;
    }

invalid:

    lt_conf_log_error(LT_LOG_EMERG, cf, 0, "invalid parameter: %.*s", (int) arg->len,
                      arg->data);
    return LT_ERROR;
}


char *
lt_resolver_set_slot(lt_conf_t *cf, lt_command_t *cmd, void *conf)
{
    lt_str_t        *value;
    lt_resolver_t  **field;

    field = (lt_resolver_t **) ((u_char *) conf + cmd->offset);

    if (*field != NULL) {
        return "is duplicate";
    }

    value = cf->args->elts;

    *field = lt_resolver_create(cf, &value[1], cf->args->nelts - 1);
    if (*field == NULL) {
        return LT_CONF_ERROR;
    }

    return LT_CONF_OK;
}


/* lt_resolver_cleanup: the configuration is gone: close the sockets, forget
 * the nodes (lookups still waiting time out on their own) */
static void
lt_resolver_cleanup(void *data)
{
    lt_resolver_t       *r = data;
    size_t               i;
    lt_queue_t          *q;
    lt_resolver_ctx_t   *ctx;
    lt_resolver_node_t  *rn;

    for (i = 0; i < r->nconns; i++) {
        if (r->conns[i].udp) {
            lt_resolver_close(&r->conns[i]);
        }

        if (r->conns[i].tcp) {
            lt_resolver_close_tcp(&r->conns[i]);
        }
    }

    while (!lt_queue_empty(&r->pending)) {
        q = lt_queue_head(&r->pending);
        rn = lt_queue_data(q, lt_resolver_node_t, queue);

        for (ctx = rn->waiting; ctx; ctx = ctx->next) {
            ctx->node = NULL;
        }

        rn->waiting = NULL;
        lt_resolver_free_node(rn);
    }

    while (!lt_queue_empty(&r->expire)) {
        q = lt_queue_head(&r->expire);
        lt_resolver_free_node(lt_queue_data(q, lt_resolver_node_t, queue));
    }
}


lt_resolver_ctx_t *
lt_resolve_start(lt_resolver_t *r, lt_pool_t *pool)
{
    lt_resolver_ctx_t  *ctx;

    ctx = lt_pcalloc(pool, sizeof(lt_resolver_ctx_t));
    if (ctx == NULL) {
        return NULL;
    }

    ctx->resolver = r;
    ctx->pool = pool;
    ctx->log = r->log;
    ctx->timeout = 30000;

    return ctx;
}


int
lt_resolve_name(lt_resolver_ctx_t *ctx)
{
    size_t               len;
    uint32_t             hash;
    lt_str_t             key;
    lt_resolver_t       *r;
    lt_resolver_node_t  *rn;
    u_char               name[256];

    r = ctx->resolver;
    len = ctx->name.len;

    if (len && ctx->name.data[len - 1] == '.') {
        len--;
    }

    if (lt_resolver_check_name(ctx->name.data, len) != LT_OK) {
        /* nothing a name server could answer: as nginx, "Host not found" */
        ctx->state = LT_RESOLVE_NXDOMAIN;
        ctx->handler(ctx);
        return LT_OK;
    }

    lt_strlow(name, ctx->name.data, len);
    key.len = len;
    key.data = name;
    hash = lt_crc32(name, len);

    lt_resolver_expire_old(r);

    rn = (lt_resolver_node_t *) lt_str_rbtree_lookup(&r->tree, &key, hash);

    if (rn && !rn->resolving && rn->valid >= lt_time()) {
        /* a cached answer */
        lt_queue_remove(&rn->queue);
        lt_queue_insert_head(&r->expire, &rn->queue);
        rn->expire = lt_time() + LT_RESOLVER_EXPIRE;

        lt_resolver_export(rn, ctx);
        ctx->handler(ctx);
        return LT_OK;
    }

    if (rn == NULL) {
        rn = lt_calloc(sizeof(lt_resolver_node_t), r->log);
        if (rn == NULL) {
            return LT_ERROR;
        }

        rn->sn.str.data = lt_alloc(len, r->log);
        if (rn->sn.str.data == NULL) {
            free(rn);
            return LT_ERROR;
        }

        memcpy(rn->sn.str.data, name, len);
        rn->sn.str.len = len;
        rn->sn.node.key = hash;
        rn->resolver = r;

        rn->resend.data = rn;
        rn->resend.handler = lt_resolver_resend_handler;
        rn->resend.cancelable = 1;

        lt_rbtree_insert(&r->tree, &rn->sn.node);
        lt_queue_insert_head(&r->expire, &rn->queue);
    }

    if (!rn->resolving) {
        /* a new name, or a stale answer: ask again */
        lt_queue_remove(&rn->queue);
        lt_queue_insert_head(&r->pending, &rn->queue);

        free(rn->addrs);
        rn->addrs = NULL;
        rn->naddrs = 0;

        memcpy(rn->qname, name, len);
        rn->qname_len = len;
        rn->cnames = 0;
        rn->conn = r->last++ % r->nconns;
        rn->resolving = 1;

        if (lt_resolver_query(rn) != LT_OK) {
            lt_rbtree_delete(&r->tree, &rn->sn.node);
            lt_resolver_free_node(rn);
            return LT_ERROR;
        }
    }

    ctx->node = rn;
    ctx->next = rn->waiting;
    rn->waiting = ctx;
    r->waiting++;

    ctx->async = 1;
    ctx->event.data = ctx;
    ctx->event.handler = lt_resolver_timeout_handler;
    lt_event_add_timer(&ctx->event, ctx->timeout);

    return LT_OK;
}


void
lt_resolve_name_done(lt_resolver_ctx_t *ctx)
{
    lt_resolver_t       *r;
    lt_resolver_ctx_t  **pp;

    if (ctx->event.timer_set) {
        lt_event_del_timer(&ctx->event);
    }

    if (ctx->node == NULL) {
        return;
    }

    r = ctx->resolver;

    for (pp = &ctx->node->waiting; *pp; pp = &(*pp)->next) {
        if (*pp == ctx) {
            *pp = ctx->next;
            r->waiting--;
            break;
        }
    }

    ctx->node = NULL;

    lt_resolver_maybe_close(r);
}


const char *
lt_resolver_strerror(int err)
{
    static const char  *errors[] = {
        "Format error",         /* FORMERR */
        "Server failure",       /* SERVFAIL */
        "Host not found",       /* NXDOMAIN */
        "Unimplemented",        /* NOTIMP */
        "Operation refused"     /* REFUSED */
    };

    if (err > 0 && err < 6) {
        return errors[err - 1];
    }

    if (err == LT_RESOLVE_TIMEDOUT) {
        return "Operation timed out";
    }

    return "Unknown error";
}


/* lt_resolver_check_name: labels of 1..63 bytes, at most 253 bytes in all */
static int
lt_resolver_check_name(const u_char *name, size_t len)
{
    size_t  i, label;

    if (len == 0 || len > 253) {
        return LT_DECLINED;
    }

    label = 0;

    for (i = 0; i < len; i++) {
        if (name[i] == '.') {
            if (label == 0) {
                return LT_DECLINED;
            }

            label = 0;
            continue;
        }

        if (++label > 63) {
            return LT_DECLINED;
        }
    }

    return label ? LT_OK : LT_DECLINED;
}


/* lt_resolver_id: a random query ID (getrandom, refilled 32 at a time) */
static uint16_t
lt_resolver_id(lt_resolver_t *r)
{
    size_t  i;

    if (r->nids == 0) {
        if (getrandom(r->ids, sizeof(r->ids), GRND_NONBLOCK) != (ssize_t) sizeof(r->ids)) {
            for (i = 0; i < 32; i++) {
                r->ids[i] = (uint16_t) (lt_random() >> 7);
            }
        }

        r->nids = 32;
    }

    return r->ids[--r->nids];
}


/* lt_resolver_expire_old: drops at most two answers unused for a while */
static void
lt_resolver_expire_old(lt_resolver_t *r)
{
    int                  i;
    lt_queue_t          *q;
    lt_resolver_node_t  *rn;

    for (i = 0; i < 2 && !lt_queue_empty(&r->expire); i++) {
        q = lt_queue_last(&r->expire);
        rn = lt_queue_data(q, lt_resolver_node_t, queue);

        if (rn->expire > lt_time()) {
            return;
        }

        lt_rbtree_delete(&r->tree, &rn->sn.node);
        lt_resolver_free_node(rn);
    }
}


/* lt_resolver_query: sends the queries for rn->qname with fresh IDs and arms
 * the retransmission timer; LT_OK or LT_ERROR */
static int
lt_resolver_query(lt_resolver_node_t *rn)
{
    lt_resolver_t  *r = rn->resolver;

    free(rn->found);
    rn->found = NULL;
    rn->nfound = 0;
    rn->code = 0;
    rn->ttl = UINT32_MAX;
    rn->cname_len = 0;

    rn->wait_a = r->ipv4;
    rn->wait_aaaa = r->ipv6;

    if (rn->wait_a) {
        rn->id_a = lt_resolver_id(r);
        lt_resolver_send(rn, LT_RESOLVE_A, rn->id_a);
    }

    if (rn->wait_aaaa) {
        rn->id_aaaa = lt_resolver_id(r);
        lt_resolver_send(rn, LT_RESOLVE_AAAA, rn->id_aaaa);
    }

    lt_event_add_timer(&rn->resend, LT_RESOLVER_RESEND);

    return LT_OK;
}


/* lt_resolver_build: the query for rn->qname into packet
 * (LT_RESOLVER_QUERY_SIZE bytes); its length */
static size_t
lt_resolver_build(lt_resolver_node_t *rn, unsigned type, uint16_t id, u_char *packet)
{
    size_t   label;
    u_char  *p, *dot, *end, *next;

    p = packet;
    *p++ = (u_char) (id >> 8);
    *p++ = (u_char) id;
    *p++ = 0x01;                    /* RD: recursion desired */
    *p++ = 0;
    *p++ = 0; *p++ = 1;             /* one question */
    memset(p, 0, 6);
    p += 6;

    end = rn->qname + rn->qname_len;

    for (dot = rn->qname; dot < end; dot += label + 1) {
        next = lt_strlchr(dot, end, '.');
        label = (size_t) ((next ? next : end) - dot);
        *p++ = (u_char) label;
        p = lt_cpymem(p, dot, label);
    }

    *p++ = 0;
    *p++ = 0; *p++ = (u_char) type;
    *p++ = 0; *p++ = 1;             /* IN */

    return (size_t) (p - packet);
}


/* lt_resolver_send: one question to the node's current server over UDP; a
 * failure is logged and left to the retransmission */
static void
lt_resolver_send(lt_resolver_node_t *rn, unsigned type, uint16_t id)
{
    size_t               len;
    ssize_t              n;
    lt_connection_t     *c;
    lt_resolver_conn_t  *rec;
    u_char               packet[LT_RESOLVER_QUERY_SIZE];

    rec = &rn->resolver->conns[rn->conn];

    c = rec->udp ? rec->udp : lt_resolver_open(rec);
    if (c == NULL) {
        return;
    }

    len = lt_resolver_build(rn, type, id, packet);

    n = send(c->fd, packet, len, 0);

    if (n == -1) {
        lt_log_error(LT_LOG_ERR, rn->resolver->log, errno, "send() to resolver %.*s failed",
                     (int) rec->server.len, rec->server.data);
        lt_resolver_close(rec);
    }
}


/* lt_resolver_send_tcp: the question again over TCP (the UDP answer was
 * truncated); a failure is logged and left to the retransmission */
static void
lt_resolver_send_tcp(lt_resolver_node_t *rn, unsigned type, uint16_t id)
{
    size_t               len;
    u_char              *out;
    lt_connection_t     *c;
    lt_resolver_conn_t  *rec;

    rec = &rn->resolver->conns[rn->conn];

    c = rec->tcp ? rec->tcp : lt_resolver_open_tcp(rec);
    if (c == NULL) {
        return;
    }

    out = realloc(rec->tcp_out, rec->tcp_out_len + 2 + LT_RESOLVER_QUERY_SIZE);
    if (out == NULL) {
        lt_log_error(LT_LOG_ALERT, rn->resolver->log, errno, "realloc() failed");
        return;
    }

    rec->tcp_out = out;
    len = lt_resolver_build(rn, type, id, out + rec->tcp_out_len + 2);
    out[rec->tcp_out_len] = (u_char) (len >> 8);
    out[rec->tcp_out_len + 1] = (u_char) len;
    rec->tcp_out_len += 2 + len;

    if (rec->tcp_connected) {
        lt_resolver_tcp_write(&c->write);
    }
}


/* lt_resolver_open: the UDP socket of a name server, connected and registered */
static lt_connection_t *
lt_resolver_open(lt_resolver_conn_t *rec)
{
    int               s;
    lt_connection_t  *c;
    lt_log_t         *log = rec->resolver->log;

    s = socket(rec->sockaddr->sa_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (s == -1) {
        lt_log_error(LT_LOG_ALERT, log, errno, "socket() failed");
        return NULL;
    }

    c = lt_get_connection(s, log);
    if (c == NULL) {
        if (close(s) == -1) {
            lt_log_error(LT_LOG_ALERT, log, errno, "close() socket failed");
        }

        return NULL;
    }

    if (connect(s, rec->sockaddr, rec->socklen) == -1) {
        lt_log_error(LT_LOG_CRIT, log, errno, "connect() to resolver %.*s failed",
                     (int) rec->server.len, rec->server.data);
        lt_close_connection(c);
        return NULL;
    }

    c->data = rec;
    c->read.handler = lt_resolver_read;
    c->write.handler = lt_resolver_write;
    c->idle = 1;                    /* closed when the worker shuts down */
    c->log_error = LT_ERROR_ERR;

    if (lt_epoll_add_connection(c) != LT_OK) {
        lt_close_connection(c);
        return NULL;
    }

    rec->udp = c;

    return c;
}


static void
lt_resolver_close(lt_resolver_conn_t *rec)
{
    lt_close_connection(rec->udp);
    rec->udp = NULL;
}


/* lt_resolver_open_tcp: a TCP connection to a name server, connect() in progress */
static lt_connection_t *
lt_resolver_open_tcp(lt_resolver_conn_t *rec)
{
    int               s;
    lt_connection_t  *c;
    lt_log_t         *log = rec->resolver->log;

    rec->tcp_in = lt_alloc(LT_RESOLVER_TCP_SIZE, log);
    if (rec->tcp_in == NULL) {
        return NULL;
    }

    s = socket(rec->sockaddr->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (s == -1) {
        lt_log_error(LT_LOG_ALERT, log, errno, "socket() failed");
        goto failed;
    }

    c = lt_get_connection(s, log);
    if (c == NULL) {
        if (close(s) == -1) {
            lt_log_error(LT_LOG_ALERT, log, errno, "close() socket failed");
        }

        goto failed;
    }

    c->data = rec;
    c->read.handler = lt_resolver_tcp_read;
    c->write.handler = lt_resolver_tcp_write;
    c->idle = 1;
    c->log_error = LT_ERROR_ERR;

    rec->tcp = c;
    rec->tcp_in_len = 0;
    rec->tcp_connected = 0;

    if (lt_epoll_add_connection(c) != LT_OK) {
        lt_resolver_close_tcp(rec);
        return NULL;
    }

    if (connect(s, rec->sockaddr, rec->socklen) == -1 && errno != EINPROGRESS) {
        lt_log_error(LT_LOG_ERR, log, errno, "connect() to resolver %.*s failed",
                     (int) rec->server.len, rec->server.data);
        lt_resolver_close_tcp(rec);
        return NULL;
    }

    return c;

failed:

    free(rec->tcp_in);
    rec->tcp_in = NULL;
    return NULL;
}


/* lt_resolver_close_tcp: closes the TCP connection; unsent queries are dropped
 * (the retransmission asks again) */
static void
lt_resolver_close_tcp(lt_resolver_conn_t *rec)
{
    lt_close_connection(rec->tcp);
    rec->tcp = NULL;
    rec->tcp_connected = 0;

    free(rec->tcp_out);
    rec->tcp_out = NULL;
    rec->tcp_out_len = 0;

    free(rec->tcp_in);
    rec->tcp_in = NULL;
    rec->tcp_in_len = 0;
}


static void
lt_resolver_tcp_write(lt_event_t *wev)
{
    int                  err;
    ssize_t              n;
    lt_connection_t     *c = wev->data;
    lt_resolver_conn_t  *rec = c->data;

    if (!rec->tcp_connected) {
        if (lt_event_connect_test(c, &err) != LT_OK) {
            lt_log_error(LT_LOG_ERR, rec->resolver->log, err,
                         "connect() to resolver %.*s failed",
                         (int) rec->server.len, rec->server.data);
            lt_resolver_close_tcp(rec);
            return;
        }

        rec->tcp_connected = 1;
    }

    while (rec->tcp_out_len) {
        n = send(c->fd, rec->tcp_out, rec->tcp_out_len, MSG_NOSIGNAL);

        if (n == -1) {
            if (errno == EAGAIN || errno == EWOULDBLOCK) {
                return;
            }

            if (errno == EINTR) {
                continue;
            }

            lt_log_error(LT_LOG_ERR, rec->resolver->log, errno,
                         "send() to resolver %.*s failed",
                         (int) rec->server.len, rec->server.data);
            lt_resolver_close_tcp(rec);
            return;
        }

        memmove(rec->tcp_out, rec->tcp_out + n, rec->tcp_out_len - (size_t) n);
        rec->tcp_out_len -= (size_t) n;
    }
}


static void
lt_resolver_tcp_read(lt_event_t *rev)
{
    size_t               len;
    ssize_t              n;
    u_char              *msg;
    lt_connection_t     *c = rev->data;
    lt_resolver_conn_t  *rec = c->data;
    lt_resolver_t       *r = rec->resolver;

    if (c->close) {
        c->close = 0;

        if (r->waiting == 0) {
            lt_resolver_close_tcp(rec);
            return;
        }
    }

    for ( ;; ) {
        n = recv(c->fd, rec->tcp_in + rec->tcp_in_len, LT_RESOLVER_TCP_SIZE - rec->tcp_in_len,
                 0);

        if (n == 0) {
            /* the server closed the connection (idle) */
            lt_resolver_close_tcp(rec);
            return;
        }

        if (n == -1) {
            if (errno == EAGAIN || errno == EWOULDBLOCK) {
                return;
            }

            if (errno == EINTR) {
                continue;
            }

            lt_log_error(LT_LOG_ERR, r->log, errno, "recv() from resolver %.*s failed",
                         (int) rec->server.len, rec->server.data);
            lt_resolver_close_tcp(rec);
            return;
        }

        rec->tcp_in_len += (size_t) n;

        while (rec->tcp_in_len >= 2) {
            len = ((size_t) rec->tcp_in[0] << 8) | rec->tcp_in[1];

            if (rec->tcp_in_len < 2 + len) {
                break;
            }

            /* a copy: the handlers the answer wakes may close the connection */
            msg = lt_alloc(len ? len : 1, r->log);
            if (msg == NULL) {
                lt_resolver_close_tcp(rec);
                return;
            }

            memcpy(msg, rec->tcp_in + 2, len);
            memmove(rec->tcp_in, rec->tcp_in + 2 + len, rec->tcp_in_len - 2 - len);
            rec->tcp_in_len -= 2 + len;

            lt_resolver_process(r, msg, len, 1);
            free(msg);

            if (rec->tcp != c) {
                return;
            }
        }
    }
}


/* lt_resolver_maybe_close: a shutting down worker closes the sockets once no
 * lookup waits, so that it leaves no socket open when it exits */
static void
lt_resolver_maybe_close(lt_resolver_t *r)
{
    size_t  i;

    if (!lt_exiting || r->waiting) {
        return;
    }

    for (i = 0; i < r->nconns; i++) {
        if (r->conns[i].udp) {
            lt_resolver_close(&r->conns[i]);
        }

        if (r->conns[i].tcp) {
            lt_resolver_close_tcp(&r->conns[i]);
        }
    }
}


static void
lt_resolver_write(lt_event_t *wev)
{
    /* datagrams are sent at once or dropped: nothing waits for room */
}


static void
lt_resolver_read(lt_event_t *rev)
{
    ssize_t              n;
    lt_connection_t     *c = rev->data;
    lt_resolver_conn_t  *rec = c->data;
    lt_resolver_t       *r = rec->resolver;
    u_char               buf[LT_RESOLVER_UDP_SIZE];

    if (c->close) {
        /* the worker is shutting down */
        c->close = 0;

        if (r->waiting == 0) {
            lt_resolver_close(rec);
            return;
        }
    }

    for ( ;; ) {
        n = recv(c->fd, buf, sizeof(buf), 0);

        if (n == -1) {
            if (errno == EAGAIN || errno == EWOULDBLOCK) {
                rev->ready = 0;
                return;
            }

            if (errno == EINTR) {
                continue;
            }

            /* ECONNREFUSED: nothing listens there (the ICMP of an earlier query) */
            lt_log_error(LT_LOG_ERR, r->log, errno, "recv() from resolver %.*s failed",
                         (int) rec->server.len, rec->server.data);
            continue;
        }

        lt_resolver_process(r, buf, (size_t) n, 0);

        if (rec->udp != c) {
            /* closed meanwhile (a send failed) */
            return;
        }
    }
}


/* lt_resolver_decode_name: the (possibly compressed) name at *pos, as
 * lowercase dotted text in out (256 bytes); *pos moves past it. LT_OK or
 * LT_ERROR (malformed) */
static int
lt_resolver_decode_name(u_char *buf, size_t n, size_t *pos, u_char *out, size_t *out_len)
{
    size_t    p, len, end, jumps;
    unsigned  label;

    p = *pos;
    len = 0;
    end = 0;
    jumps = 0;

    for ( ;; ) {
        if (p >= n) {
            return LT_ERROR;
        }

        label = buf[p];

        if (label == 0) {
            p++;
            break;
        }

        if ((label & 0xc0) == 0xc0) {
            if (p + 1 >= n || ++jumps > 64) {
                return LT_ERROR;
            }

            if (end == 0) {
                end = p + 2;
            }

            p = ((label & 0x3f) << 8) | buf[p + 1];
            continue;
        }

        if (label & 0xc0) {
            return LT_ERROR;
        }

        if (p + 1 + label > n || len + label + 1 > 255) {
            return LT_ERROR;
        }

        if (len) {
            out[len++] = '.';
        }

        lt_strlow(out + len, buf + p + 1, label);
        len += label;
        p += 1 + label;
    }

    *pos = end ? end : p;
    *out_len = len;

    return LT_OK;
}


/* lt_resolver_process: one answer from a name server (tcp: read over TCP) */
static void
lt_resolver_process(lt_resolver_t *r, u_char *buf, size_t n, unsigned tcp)
{
    size_t               pos, qlen;
    unsigned             id, flags, qdcount, ancount, qtype, qclass;
    lt_queue_t          *q;
    lt_resolver_node_t  *rn;
    u_char               qname[256];

    if (n < 12) {
        lt_log_error(LT_LOG_ERR, r->log, 0, "short DNS response");
        return;
    }

    id = (buf[0] << 8) | buf[1];
    flags = (buf[2] << 8) | buf[3];
    qdcount = (buf[4] << 8) | buf[5];
    ancount = (buf[6] << 8) | buf[7];

    if ((flags & 0x8000) == 0 || (flags & 0x7800) != 0) {
        lt_log_error(LT_LOG_ERR, r->log, 0, "invalid DNS response %u fl:%04X", id, flags);
        return;
    }

    if (qdcount != 1) {
        lt_log_error(LT_LOG_ERR, r->log, 0, "invalid number of questions in DNS response");
        return;
    }

    pos = 12;

    if (lt_resolver_decode_name(buf, n, &pos, qname, &qlen) != LT_OK || pos + 4 > n) {
        lt_log_error(LT_LOG_ERR, r->log, 0, "invalid name in DNS response");
        return;
    }

    qtype = (buf[pos] << 8) | buf[pos + 1];
    qclass = (buf[pos + 2] << 8) | buf[pos + 3];
    pos += 4;

    if (qclass != 1) {
        lt_log_error(LT_LOG_ERR, r->log, 0, "unknown query class %u in DNS response", qclass);
        return;
    }

    /* the query it answers: same ID, type and name, still waited for */
    for (q = lt_queue_head(&r->pending); q != lt_queue_sentinel(&r->pending);
         q = lt_queue_next(q))
    {
        rn = lt_queue_data(q, lt_resolver_node_t, queue);

        if (rn->qname_len != qlen || memcmp(rn->qname, qname, qlen) != 0) {
            continue;
        }

        if ((qtype == LT_RESOLVE_A && rn->wait_a && rn->id_a == id)
            || (qtype == LT_RESOLVE_AAAA && rn->wait_aaaa && rn->id_aaaa == id))
        {
            goto found;
        }
    }

    lt_log_error(LT_LOG_ERR, r->log, 0, "unexpected DNS response %u for %.*s", id,
                 (int) qlen, qname);
    return;

found:

    if ((flags & 0x0200) && !tcp) {
        /* truncated (TC): ask the same server again over TCP */
        lt_resolver_send_tcp(rn, qtype, (uint16_t) id);
        return;
    }

    if ((flags & 0x000f) == 0) {
        if (lt_resolver_answer(rn, qtype, buf, n, pos, ancount) != LT_OK) {
            /* a malformed answer is ignored: a good one may still come */
            return;
        }

    } else if (rn->code == 0) {
        rn->code = flags & 0x000f;
    }

    if (qtype == LT_RESOLVE_A) {
        rn->wait_a = 0;

    } else {
        rn->wait_aaaa = 0;
    }

    if (!rn->wait_a && !rn->wait_aaaa) {
        lt_resolver_finish(rn);
    }
}


/* lt_resolver_records: the IN records of the answer section at pos (at most
 * LT_RESOLVER_MAX_RECORDS) into rrs; NULL, or what is malformed */
static const char *
lt_resolver_records(u_char *buf, size_t n, size_t pos, unsigned ancount,
    lt_resolver_rr_t *rrs, size_t *nrrp)
{
    size_t             i, nrr;
    unsigned           cls;
    lt_resolver_rr_t  *rr;

    nrr = 0;

    for (i = 0; i < ancount && nrr < LT_RESOLVER_MAX_RECORDS; i++) {
        rr = &rrs[nrr];

        if (lt_resolver_decode_name(buf, n, &pos, rr->owner, &rr->owner_len) != LT_OK) {
            return "invalid name in DNS response";
        }

        if (pos + 10 > n) {
            return "short DNS response";
        }

        rr->type = (buf[pos] << 8) | buf[pos + 1];
        cls = (buf[pos + 2] << 8) | buf[pos + 3];
        rr->ttl = ((uint32_t) buf[pos + 4] << 24) | ((uint32_t) buf[pos + 5] << 16)
                  | ((uint32_t) buf[pos + 6] << 8) | buf[pos + 7];
        rr->rdlen = (buf[pos + 8] << 8) | buf[pos + 9];
        rr->rdata = pos + 10;
        pos += 10 + rr->rdlen;

        if (pos > n) {
            return "short DNS response";
        }

        if (rr->ttl > 0x7fffffff) {
            rr->ttl = 0;
        }

        if (cls == 1) {
            nrr++;
        }
    }

    *nrrp = nrr;

    return NULL;
}


/* lt_resolver_answer: the records of a NOERROR answer: follows the CNAME chain
 * from the question and collects the addresses of its end (into rn->found),
 * or notes where the chain left the answer (rn->cname). LT_OK or LT_ERROR
 * (malformed, logged) */
static int
lt_resolver_answer(lt_resolver_node_t *rn, unsigned qtype, u_char *buf, size_t n, size_t pos,
    unsigned ancount)
{
    size_t                   i, nrr, hops, cur_len, naddrs, rdpos;
    uint32_t                 ttl;
    unsigned                 moved;
    lt_resolver_rr_t        *rrs, *rr;
    lt_resolver_sockaddr_t  *sa, *found;
    u_char                   cur[256];
    const char              *err;

    rrs = lt_alloc(LT_RESOLVER_MAX_RECORDS * sizeof(lt_resolver_rr_t), rn->resolver->log);
    if (rrs == NULL) {
        return LT_ERROR;
    }

    err = lt_resolver_records(buf, n, pos, ancount, rrs, &nrr);
    if (err) {
        goto failed;
    }

    memcpy(cur, rn->qname, rn->qname_len);
    cur_len = rn->qname_len;
    ttl = UINT32_MAX;
    moved = 0;

    for (hops = 0; hops < LT_RESOLVER_MAX_CNAMES; hops++) {
        for (i = 0; i < nrr; i++) {
            rr = &rrs[i];

            if (rr->type == LT_RESOLVE_CNAME && rr->owner_len == cur_len
                && memcmp(rr->owner, cur, cur_len) == 0)
            {
                break;
            }
        }

        if (i == nrr) {
            break;
        }

        rdpos = rr->rdata;

        if (lt_resolver_decode_name(buf, rr->rdata + rr->rdlen, &rdpos, cur, &cur_len)
            != LT_OK)
        {
            err = "invalid CNAME in DNS response";
            goto failed;
        }

        ttl = lt_min(ttl, rr->ttl);
        moved = 1;
    }

    naddrs = 0;

    for (i = 0; i < nrr; i++) {
        rr = &rrs[i];

        if (rr->type != qtype || rr->owner_len != cur_len || memcmp(rr->owner, cur, cur_len)) {
            continue;
        }

        if (rr->rdlen != (qtype == LT_RESOLVE_A ? 4 : 16)) {
            err = qtype == LT_RESOLVE_A ? "invalid A record in DNS response"
                                        : "invalid AAAA record in DNS response";
            goto failed;
        }

        naddrs++;
    }

    if (naddrs) {
        found = realloc(rn->found, (rn->nfound + naddrs) * sizeof(lt_resolver_sockaddr_t));
        if (found == NULL) {
            lt_log_error(LT_LOG_ALERT, rn->resolver->log, errno, "realloc() failed");
            goto nomem;
        }

        rn->found = found;

        for (i = 0; i < nrr; i++) {
            rr = &rrs[i];

            if (rr->type != qtype || rr->owner_len != cur_len
                || memcmp(rr->owner, cur, cur_len))
            {
                continue;
            }

            sa = &rn->found[rn->nfound++];
            memset(sa, 0, sizeof(lt_resolver_sockaddr_t));

            if (qtype == LT_RESOLVE_A) {
                sa->in.sin_family = AF_INET;
                memcpy(&sa->in.sin_addr, buf + rr->rdata, 4);

            } else {
                sa->in6.sin6_family = AF_INET6;
                memcpy(&sa->in6.sin6_addr, buf + rr->rdata, 16);
            }

            ttl = lt_min(ttl, rr->ttl);
        }

        rn->ttl = lt_min(rn->ttl, ttl);

        rn->cname_len = 0;

    } else if (moved) {
        /* the chain goes on outside this answer: as nginx, the CNAME of the
         * answer that comes last is followed when neither had addresses */
        memcpy(rn->cname, cur, cur_len);
        rn->cname_len = cur_len;
        rn->ttl = lt_min(rn->ttl, ttl);

    } else {
        rn->cname_len = 0;
    }

    free(rrs);
    return LT_OK;

failed:

    lt_log_error(LT_LOG_ERR, rn->resolver->log, 0, "%s", err);

nomem:

    free(rrs);
    return LT_ERROR;
}


/* lt_resolver_finish: both answers are in: hand the addresses to the waiting
 * lookups, follow a CNAME with a new query, or report the error */
static void
lt_resolver_finish(lt_resolver_node_t *rn)
{
    int                 code;
    lt_resolver_t      *r = rn->resolver;
    lt_resolver_ctx_t  *ctx;

    if (rn->nfound == 0 && rn->cname_len && rn->code == 0
        && ++rn->cnames <= LT_RESOLVER_MAX_CNAMES)
    {
        if (lt_resolver_cached_cname(rn) != LT_OK) {
            /* not known here: ask for the CNAME's target */
            memcpy(rn->qname, rn->cname, rn->cname_len);
            rn->qname_len = rn->cname_len;

            if (rn->resend.timer_set) {
                lt_event_del_timer(&rn->resend);
            }

            if (lt_resolver_query(rn) == LT_OK) {
                return;
            }
        }
    }

    if (rn->resend.timer_set) {
        lt_event_del_timer(&rn->resend);
    }

    rn->resolving = 0;
    lt_queue_remove(&rn->queue);
    lt_queue_init(&rn->queue);

    if (rn->nfound && rn->code == 0) {
        /* an error in either answer fails the lookup, as in nginx */
        free(rn->addrs);
        rn->addrs = rn->found;
        rn->naddrs = rn->nfound;
        rn->found = NULL;
        rn->nfound = 0;
        rn->rotate = 0;
        rn->valid = lt_time() + (r->valid ? r->valid : (time_t) rn->ttl);
        rn->expire = lt_time() + LT_RESOLVER_EXPIRE;
        lt_queue_insert_head(&r->expire, &rn->queue);

        /* one at a time: a handler may end another lookup still in the list */
        while (rn->waiting) {
            ctx = rn->waiting;
            rn->waiting = ctx->next;

            ctx->node = NULL;
            r->waiting--;

            if (ctx->event.timer_set) {
                lt_event_del_timer(&ctx->event);
            }

            lt_resolver_export(rn, ctx);
            ctx->handler(ctx);
        }

        lt_resolver_maybe_close(r);
        return;
    }

    /* an error, an empty answer or too many CNAMEs: not cached */
    code = rn->code ? rn->code : LT_RESOLVE_NXDOMAIN;

    lt_rbtree_delete(&r->tree, &rn->sn.node);

    while (rn->waiting) {
        ctx = rn->waiting;
        rn->waiting = ctx->next;

        ctx->node = NULL;
        r->waiting--;

        if (ctx->event.timer_set) {
            lt_event_del_timer(&ctx->event);
        }

        ctx->state = code;
        ctx->valid = lt_time() + (r->valid ? r->valid : 10);
        ctx->handler(ctx);
    }

    lt_resolver_free_node(rn);
    lt_resolver_maybe_close(r);
}


/* lt_resolver_cached_cname: the CNAME's target has a valid answer in the
 * cache: its addresses become this node's. LT_OK or LT_DECLINED */
static int
lt_resolver_cached_cname(lt_resolver_node_t *rn)
{
    lt_str_t                 key;
    lt_resolver_node_t      *target;
    lt_resolver_sockaddr_t  *found;

    key.len = rn->cname_len;
    key.data = rn->cname;

    target = (lt_resolver_node_t *) lt_str_rbtree_lookup(&rn->resolver->tree, &key,
                                                         lt_crc32(key.data, key.len));

    if (target == NULL || target->resolving || target->naddrs == 0
        || target->valid < lt_time())
    {
        return LT_DECLINED;
    }

    found = lt_alloc(target->naddrs * sizeof(lt_resolver_sockaddr_t), rn->resolver->log);
    if (found == NULL) {
        return LT_DECLINED;
    }

    memcpy(found, target->addrs, target->naddrs * sizeof(lt_resolver_sockaddr_t));

    free(rn->found);
    rn->found = found;
    rn->nfound = target->naddrs;
    rn->ttl = lt_min(rn->ttl, (uint32_t) (target->valid - lt_time()));

    return LT_OK;
}


/* lt_resolver_export: a copy of the node's addresses into the lookup's pool,
 * starting one further each time (requests take turns over the addresses) */
static void
lt_resolver_export(lt_resolver_node_t *rn, lt_resolver_ctx_t *ctx)
{
    size_t                   i, k;
    lt_addr_t               *addrs;
    lt_resolver_sockaddr_t  *sa;

    addrs = lt_pcalloc(ctx->pool, rn->naddrs * sizeof(lt_addr_t));
    sa = lt_palloc(ctx->pool, rn->naddrs * sizeof(lt_resolver_sockaddr_t));

    if (addrs == NULL || sa == NULL) {
        ctx->state = LT_RESOLVE_NOMEM;
        return;
    }

    k = rn->rotate++ % rn->naddrs;

    for (i = 0; i < rn->naddrs; i++) {
        sa[i] = rn->addrs[(k + i) % rn->naddrs];
        addrs[i].sockaddr = &sa[i].sa;
        addrs[i].socklen = sa[i].sa.sa_family == AF_INET6 ? sizeof(struct sockaddr_in6)
                                                         : sizeof(struct sockaddr_in);
    }

    ctx->state = 0;
    ctx->addrs = addrs;
    ctx->naddrs = rn->naddrs;
    ctx->valid = rn->valid;
}


/* lt_resolver_resend_handler: no answer yet: ask the next server again, or
 * drop the query when nobody waits for it any more */
static void
lt_resolver_resend_handler(lt_event_t *ev)
{
    lt_resolver_node_t  *rn = ev->data;
    lt_resolver_t       *r = rn->resolver;

    if (rn->waiting == NULL) {
        lt_rbtree_delete(&r->tree, &rn->sn.node);
        lt_resolver_free_node(rn);
        return;
    }

    rn->conn = (rn->conn + 1) % r->nconns;

    if (rn->wait_a) {
        lt_resolver_send(rn, LT_RESOLVE_A, rn->id_a);
    }

    if (rn->wait_aaaa) {
        lt_resolver_send(rn, LT_RESOLVE_AAAA, rn->id_aaaa);
    }

    lt_event_add_timer(&rn->resend, LT_RESOLVER_RESEND);
}


/* lt_resolver_timeout_handler: resolver_timeout expired for one lookup */
static void
lt_resolver_timeout_handler(lt_event_t *ev)
{
    lt_resolver_ctx_t  *ctx = ev->data;

    lt_resolve_name_done(ctx);

    ctx->state = LT_RESOLVE_TIMEDOUT;
    ctx->handler(ctx);
}


/* lt_resolver_free_node: out of its queue and freed (the caller took it out
 * of the tree, or the tree is going away) */
static void
lt_resolver_free_node(lt_resolver_node_t *rn)
{
    if (rn->resend.timer_set) {
        lt_event_del_timer(&rn->resend);
    }

    lt_queue_remove(&rn->queue);

    free(rn->addrs);
    free(rn->found);
    free(rn->sn.str.data);
    free(rn);
}
