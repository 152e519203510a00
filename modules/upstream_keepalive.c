/*
 * upstream_keepalive.c: the upstream keepalive connection cache
 * (http_upstream_keepalive): "keepalive N" in an upstream{} block keeps up to
 * N idle connections to its servers per worker, most recently used first, and
 * hands them out again instead of connecting.
 *
 * The cache wraps whatever balancer the block uses: the per-request peer init
 * of the balancer is replaced after every balancer has initialised its block
 * (this module's init_main_conf runs after the upstream module's), so
 * "keepalive" may stand before or after "least_conn", "hash" and the like;
 * the balancer's get/free/data are kept in this module's per-request data and
 * called first (get) and last (free).
 *
 * A connection is kept only when the response ended cleanly (u->keepalive:
 * the module that built the request sets it only when the request allowed
 * keep-alive: HTTP/1.1 without "Connection: close"), the whole request went
 * out, the try did not fail, and keepalive_requests / keepalive_time allow
 * it. An idle connection is closed when its backend closes it or sends
 * anything (a read event), after keepalive_timeout, when the oldest has to
 * make room, and when the worker exits. Beyond nginx: before a cached
 * connection is reused, the backend's close is looked for (the RDHUP state
 * epoll reported, and a MSG_PEEK recv for a connection idle for a while), so
 * that a backend with a shorter idle timeout rarely gets a request on a dead
 * connection; the upstream core retries the rest (lt_http_upstream_retry_fresh).
 */

#include "lt_http.h"
#include "lt_http_upstream.h"
#include "lt_process.h"

/* a connection idle at least this long (ms) is checked with a MSG_PEEK recv
 * before reuse; one used moments ago is trusted to the RDHUP state alone, so
 * that a busy pool costs no extra system call per request */
#define LT_UPSTREAM_KEEPALIVE_PEEK_IDLE  100

/* past "keepalive N", up to N more idle connections may wait this long (ms)
 * before the least recently used are closed: a burst of responses that ends
 * just before the next burst of requests does not close connections that are
 * about to be opened again (nginx closes at once, and under a concurrency above
 * N opens and closes a connection for a good share of the requests) */
#ifndef LT_UPSTREAM_KEEPALIVE_TRIM_DELAY
#define LT_UPSTREAM_KEEPALIVE_TRIM_DELAY  50
#endif

typedef struct lt_http_upstream_keepalive_srv_conf_s  lt_http_upstream_keepalive_srv_conf_t;

struct lt_http_upstream_keepalive_srv_conf_s {
    unsigned                            max_cached;
    int64_t                             requests;
    uint64_t                            time;
    uint64_t                            timeout;

    lt_queue_t                          cache;      /* idle, most recent first */
    lt_queue_t                          free;       /* unused items */
    unsigned                            idle_n;     /* connections in cache */

    lt_event_t                          trim;       /* closes the idle past max_cached */

    lt_http_upstream_init_peer_pt       original_init_peer;
};

typedef struct {
    lt_http_upstream_keepalive_srv_conf_t  *conf;
    lt_queue_t                          queue;
    lt_connection_t                    *connection;

    uint64_t                            start_time; /* the connection's connect */
    uint64_t                            idle_since;

    socklen_t                           socklen;
    struct sockaddr_storage             sockaddr;
} lt_http_upstream_keepalive_cache_t;

/* per request: the balancer's own interface, wrapped */
typedef struct {
    lt_http_upstream_keepalive_srv_conf_t  *conf;
    lt_http_upstream_t                 *upstream;

    void                               *data;
    lt_event_get_peer_pt                original_get_peer;
    lt_event_free_peer_pt               original_free_peer;

    uint64_t                            conn_start; /* of the cached connection in use */
} lt_http_upstream_keepalive_peer_data_t;

static void *lt_http_upstream_keepalive_create_conf(lt_conf_t *cf);
static char *lt_http_upstream_keepalive_init_main_conf(lt_conf_t *cf, void *conf);
static char *lt_http_upstream_keepalive(lt_conf_t *cf, lt_command_t *cmd, void *conf);

static const lt_conf_num_bounds_t  lt_http_upstream_keepalive_requests_bounds = {
    0, INT64_MAX
};

static lt_command_t  lt_http_upstream_keepalive_commands[] = {
    { "keepalive", LT_CTX_UPSTREAM, 1, 1, lt_http_upstream_keepalive, LT_SRV_CONF, 0, NULL },
    { "keepalive_time", LT_CTX_UPSTREAM, 1, 1, lt_conf_set_msec_slot, LT_SRV_CONF,
      offsetof(lt_http_upstream_keepalive_srv_conf_t, time), NULL },
    { "keepalive_timeout", LT_CTX_UPSTREAM, 1, 1, lt_conf_set_msec_slot, LT_SRV_CONF,
      offsetof(lt_http_upstream_keepalive_srv_conf_t, timeout), NULL },
    { "keepalive_requests", LT_CTX_UPSTREAM, 1, 1, lt_conf_set_num_slot, LT_SRV_CONF,
      offsetof(lt_http_upstream_keepalive_srv_conf_t, requests),
      &lt_http_upstream_keepalive_requests_bounds },
    lt_null_command
};

lt_module_t  lt_http_upstream_keepalive_module = {
    .name = "http_upstream_keepalive",
    .type = LT_HTTP_MODULE,
    .commands = lt_http_upstream_keepalive_commands,
    .init_main_conf = lt_http_upstream_keepalive_init_main_conf,
    .create_srv_conf = lt_http_upstream_keepalive_create_conf,
};


static void
lt_http_upstream_keepalive_dummy_handler(lt_event_t *ev)
{
}


/* lt_http_upstream_keepalive_close: closes an idle connection and returns its
 * item to the free list */
static void
lt_http_upstream_keepalive_close(lt_http_upstream_keepalive_cache_t *item)
{
    lt_connection_t  *c;

    c = item->connection;
    item->connection = NULL;

    lt_queue_remove(&item->queue);
    lt_queue_insert_head(&item->conf->free, &item->queue);
    item->conf->idle_n--;

    if (c->ssl) {
        lt_http_upstream_ssl_close(c);
        return;
    }

    c->pool = NULL;
    lt_close_connection(c);
}


/* lt_http_upstream_keepalive_trim: the cache back to max_cached idle
 * connections, the least recently used closed first */
static void
lt_http_upstream_keepalive_trim(lt_event_t *ev)
{
    lt_http_upstream_keepalive_srv_conf_t  *conf = ev->data;

    lt_http_upstream_keepalive_cache_t  *item;

    ev->timedout = 0;

    while (conf->idle_n > conf->max_cached) {
        item = lt_queue_data(lt_queue_last(&conf->cache), lt_http_upstream_keepalive_cache_t,
                             queue);
        lt_http_upstream_keepalive_close(item);
    }
}


/* lt_http_upstream_keepalive_close_handler: the read event of an idle
 * connection: the backend closed it, sent something it should not have, or
 * keepalive_timeout passed, or the worker is exiting; a spurious wake-up
 * (nothing to read) keeps it */
static void
lt_http_upstream_keepalive_close_handler(lt_event_t *ev)
{
    char                                 buf[1];
    ssize_t                              n;
    lt_connection_t                     *c;
    lt_http_upstream_keepalive_cache_t  *item;

    c = ev->data;
    item = c->data;

    if (!c->close && !ev->timedout && !ev->pending_eof) {
        n = recv(c->fd, buf, 1, MSG_PEEK);

        if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            ev->ready = 0;
            return;
        }
    }

    lt_log_debug(c->log, "keepalive: closing idle upstream connection *%llu",
                 (unsigned long long) c->number);

    lt_http_upstream_keepalive_close(item);
}


/* lt_http_upstream_keepalive_alive: whether an idle connection may be reused:
 * the backend has not closed it (as far as can be seen without waiting) */
static int
lt_http_upstream_keepalive_alive(lt_http_upstream_keepalive_cache_t *item)
{
    char              buf[1];
    ssize_t           n;
    lt_connection_t  *c;

    c = item->connection;

    if (c->read.pending_eof || c->read.eof || c->read.error || c->write.error) {
        return 0;
    }

    if (!c->read.ready && lt_current_msec - item->idle_since < LT_UPSTREAM_KEEPALIVE_PEEK_IDLE) {
        return 1;
    }

    n = recv(c->fd, buf, 1, MSG_PEEK);

    if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        c->read.ready = 0;
        return 1;
    }

    return 0;
}


/* lt_http_upstream_get_keepalive_peer: the balancer picks the peer; a cached
 * connection to that address is handed out (LT_DONE) when there is a live one */
static int
lt_http_upstream_get_keepalive_peer(lt_peer_connection_t *pc, void *data)
{
    lt_http_upstream_keepalive_peer_data_t  *kp = data;

    int                                  rc;
    lt_queue_t                          *q, *next, *cache;
    lt_connection_t                     *c;
    lt_http_upstream_keepalive_cache_t  *item;

    pc->cached = 0;
    pc->connection = NULL;

    rc = kp->original_get_peer(pc, kp->data);

    if (rc != LT_OK || pc->fresh) {
        return rc;
    }

    cache = &kp->conf->cache;

    for (q = lt_queue_head(cache); q != lt_queue_sentinel(cache); q = next) {
        next = lt_queue_next(q);
        item = lt_queue_data(q, lt_http_upstream_keepalive_cache_t, queue);

        if (item->socklen != pc->socklen
            || memcmp(&item->sockaddr, pc->sockaddr, pc->socklen) != 0)
        {
            continue;
        }

        if (!lt_http_upstream_keepalive_alive(item)) {
            lt_log_debug(pc->log, "keepalive: cached connection *%llu was closed",
                         (unsigned long long) item->connection->number);
            lt_http_upstream_keepalive_close(item);
            continue;
        }

        c = item->connection;
        item->connection = NULL;

        lt_queue_remove(q);
        lt_queue_insert_head(&kp->conf->free, q);
        kp->conf->idle_n--;

        if (c->read.timer_set) {
            lt_event_del_timer(&c->read);
        }

        c->idle = 0;
        c->data = NULL;
        c->log = pc->log;
        c->read.timedout = 0;

        kp->conn_start = item->start_time;

        pc->connection = c;
        pc->cached = 1;

        lt_log_debug(pc->log, "keepalive: reusing upstream connection *%llu",
                     (unsigned long long) c->number);

        return LT_DONE;
    }

    return LT_OK;
}


/* lt_http_upstream_keepalive_keep: whether the connection of this try may be
 * kept; its connect time in *start */
static int
lt_http_upstream_keepalive_keep(lt_peer_connection_t *pc,
    lt_http_upstream_keepalive_peer_data_t *kp, unsigned state, uint64_t *start)
{
    lt_connection_t     *c;
    lt_http_upstream_t  *u;

    u = kp->upstream;
    c = pc->connection;

    if ((state & LT_PEER_FAILED) || c == NULL
        || c->read.eof || c->read.pending_eof || c->read.error || c->read.timedout
        || c->write.error || c->write.timedout)
    {
        return 0;
    }

    if ((int64_t) c->requests >= kp->conf->requests) {
        return 0;
    }

    /* a cached connection keeps its first connect time; a new one was opened
     * when this try started */
    *start = pc->cached ? kp->conn_start : u->start_time;

    if (lt_current_msec - *start > kp->conf->time) {
        return 0;
    }

    if (!u->keepalive || !u->request_body_sent || u->upgrade) {
        return 0;
    }

    if (lt_terminate || lt_quit || lt_exiting) {
        return 0;
    }

    return 1;
}


/* lt_http_upstream_free_keepalive_peer: keeps the connection of a clean try
 * (the least recently used one makes room when the cache is full), then tells
 * the balancer */
static void
lt_http_upstream_free_keepalive_peer(lt_peer_connection_t *pc, void *data, unsigned state)
{
    lt_http_upstream_keepalive_peer_data_t  *kp = data;

    uint64_t                             start;
    lt_queue_t                          *q;
    lt_connection_t                     *c;
    lt_http_upstream_keepalive_cache_t  *item;

    c = pc->connection;

    if (!lt_http_upstream_keepalive_keep(pc, kp, state, &start)) {
        goto done;
    }

    if (lt_queue_empty(&kp->conf->free)) {
        /* twice max_cached idle: no more grace */
        q = lt_queue_last(&kp->conf->cache);
        item = lt_queue_data(q, lt_http_upstream_keepalive_cache_t, queue);
        lt_http_upstream_keepalive_close(item);
    }

    q = lt_queue_head(&kp->conf->free);
    lt_queue_remove(q);
    lt_queue_insert_head(&kp->conf->cache, q);

    if (++kp->conf->idle_n > kp->conf->max_cached && !kp->conf->trim.timer_set) {
        lt_event_add_timer(&kp->conf->trim, LT_UPSTREAM_KEEPALIVE_TRIM_DELAY);
    }

    item = lt_queue_data(q, lt_http_upstream_keepalive_cache_t, queue);

    item->connection = c;
    item->start_time = start;
    item->idle_since = lt_current_msec;
    item->socklen = pc->socklen;
    memcpy(&item->sockaddr, pc->sockaddr, pc->socklen);

    pc->connection = NULL;

    if (c->write.timer_set) {
        lt_event_del_timer(&c->write);
    }

    c->read.delayed = 0;
    lt_event_add_timer(&c->read, kp->conf->timeout);

    c->write.handler = lt_http_upstream_keepalive_dummy_handler;
    c->read.handler = lt_http_upstream_keepalive_close_handler;

    /* nothing of the request's may stay: its pool and log go with it */
    c->data = item;
    c->idle = 1;
    c->log = lt_cycle->log;

    if (c->ssl == NULL) {
        /* (a TLS connection keeps the pool of its TLS state) */
        c->pool = NULL;
    }
    c->local_sockaddr = NULL;
    c->local_socklen = 0;

    lt_log_debug(pc->log, "keepalive: saving upstream connection *%llu",
                 (unsigned long long) c->number);

    if (c->read.ready) {
        /* bytes (or the close) came with the end of the response */
        lt_http_upstream_keepalive_close_handler(&c->read);
    }

done:

    kp->original_free_peer(pc, kp->data, state);
}


/* lt_http_upstream_init_keepalive_peer: the balancer's per-request init, then
 * its get/free wrapped */
static int
lt_http_upstream_init_keepalive_peer(lt_http_request_t *r, lt_http_upstream_srv_conf_t *us)
{
    lt_http_upstream_t                      *u;
    lt_http_upstream_keepalive_srv_conf_t   *kcf;
    lt_http_upstream_keepalive_peer_data_t  *kp;

    kcf = us->srv_conf[lt_http_upstream_keepalive_module.ctx_index];

    kp = lt_palloc(r->pool, sizeof(lt_http_upstream_keepalive_peer_data_t));
    if (kp == NULL) {
        return LT_ERROR;
    }

    if (kcf->original_init_peer(r, us) != LT_OK) {
        return LT_ERROR;
    }

    u = r->upstream;

    kp->conf = kcf;
    kp->upstream = u;
    kp->data = u->peer.data;
    kp->original_get_peer = u->peer.get;
    kp->original_free_peer = u->peer.free;
    kp->conn_start = 0;

    u->peer.data = kp;
    u->peer.get = lt_http_upstream_get_keepalive_peer;
    u->peer.free = lt_http_upstream_free_keepalive_peer;

    return LT_OK;
}


static void *
lt_http_upstream_keepalive_create_conf(lt_conf_t *cf)
{
    lt_http_upstream_keepalive_srv_conf_t  *conf;

    conf = lt_pcalloc(cf->pool, sizeof(lt_http_upstream_keepalive_srv_conf_t));
    if (conf == NULL) {
        return NULL;
    }

    conf->max_cached = 0;
    conf->requests = LT_CONF_UNSET;
    conf->time = LT_CONF_UNSET_MSEC;
    conf->timeout = LT_CONF_UNSET_MSEC;

    return conf;
}


/* lt_http_upstream_keepalive_init_main_conf: every balancer has set its block's
 * peer.init by now (the upstream module's init_main_conf ran first): wrap it
 * in the blocks that have "keepalive", and make their caches */
static char *
lt_http_upstream_keepalive_init_main_conf(lt_conf_t *cf, void *conf)
{
    size_t                                   i, j, n;
    lt_http_upstream_srv_conf_t            **uscfp;
    lt_http_upstream_main_conf_t            *umcf;
    lt_http_upstream_keepalive_cache_t      *cached;
    lt_http_upstream_keepalive_srv_conf_t   *kcf;

    umcf = lt_http_conf_get_module_main_conf(cf, lt_http_upstream_module);

    uscfp = umcf->upstreams.elts;

    for (i = 0; i < umcf->upstreams.nelts; i++) {
        if (uscfp[i]->srv_conf == NULL) {
            /* an implicit upstream (proxy_pass host:port): no block, no cache */
            continue;
        }

        kcf = uscfp[i]->srv_conf[lt_http_upstream_keepalive_module.ctx_index];

        lt_conf_init_msec_value(kcf->time, 3600000);
        lt_conf_init_msec_value(kcf->timeout, 60000);
        lt_conf_init_value(kcf->requests, 1000);

        if (kcf->max_cached == 0) {
            continue;
        }

        if (uscfp[i]->peer.init == NULL) {
            lt_log_error(LT_LOG_EMERG, cf->log, 0,
                         "upstream \"%.*s\" has no balancer to keep connections for",
                         (int) uscfp[i]->host.len, uscfp[i]->host.data);
            return LT_CONF_ERROR;
        }

        kcf->original_init_peer = uscfp[i]->peer.init;
        uscfp[i]->peer.init = lt_http_upstream_init_keepalive_peer;

        /* max_cached, and as many more for the short grace before a trim */
        n = 2 * (size_t) kcf->max_cached;

        cached = lt_pcalloc(cf->pool, sizeof(lt_http_upstream_keepalive_cache_t) * n);
        if (cached == NULL) {
            return LT_CONF_ERROR;
        }

        lt_queue_init(&kcf->cache);
        lt_queue_init(&kcf->free);
        kcf->idle_n = 0;

        kcf->trim.data = kcf;
        kcf->trim.handler = lt_http_upstream_keepalive_trim;
        kcf->trim.cancelable = 1;

        for (j = 0; j < n; j++) {
            cached[j].conf = kcf;
            lt_queue_insert_head(&kcf->free, &cached[j].queue);
        }
    }

    return LT_CONF_OK;
}


/* "keepalive N": N idle connections per worker (a positive number) */
static char *
lt_http_upstream_keepalive(lt_conf_t *cf, lt_command_t *cmd, void *conf)
{
    lt_http_upstream_keepalive_srv_conf_t  *kcf = conf;

    int64_t    n;
    lt_str_t  *value;

    if (kcf->max_cached) {
        return "is duplicate";
    }

    value = cf->args->elts;

    n = lt_atoi(value[1].data, value[1].len);

    if (n == LT_ERROR || n == 0 || n > 1000000) {
        lt_conf_log_error(LT_LOG_EMERG, cf, 0, "invalid value \"%.*s\" in \"%s\" directive",
                          (int) value[1].len, value[1].data, cmd->name);
        return LT_CONF_ERROR;
    }

    kcf->max_cached = (unsigned) n;

    return LT_CONF_OK;
}
