/*
 * upstream_random.c: "random [two [least_conn]]" in an upstream{} block. A
 * server is drawn at random, each with a chance proportional to its weight.
 * With "two", two different usable servers are drawn and the one with fewer
 * active connections relative to its weight (least_conn, the only method and
 * the default) is taken; with "zone" the counts are those of all workers, which
 * is what the method is for when several balancers share the servers.
 *
 * A drawn server that is down, failed, full or already tried costs one of 20
 * draws; after them round robin picks. Server parameters: weight, max_fails,
 * fail_timeout, down, max_conns; no backup.
 */

#include "lt_http.h"
#include "lt_http_upstream_round_robin.h"

#define LT_HTTP_UPSTREAM_RANDOM_TRIES  20

typedef struct {
    unsigned                            *ranges;    /* start of each peer's range */
    size_t                               nranges;
    unsigned                             two:1;
} lt_http_upstream_random_srv_conf_t;

typedef struct {
    lt_http_upstream_rr_peer_data_t      rrp;       /* first: round robin's free() */
    lt_http_upstream_random_srv_conf_t  *conf;
    unsigned                             tries;
} lt_http_upstream_random_peer_data_t;


static void *lt_http_upstream_random_create_conf(lt_conf_t *cf);
static char *lt_http_upstream_random(lt_conf_t *cf, lt_command_t *cmd, void *conf);
static int lt_http_upstream_init_random(lt_conf_t *cf, lt_http_upstream_srv_conf_t *us);
static int lt_http_upstream_init_random_peer(lt_http_request_t *r,
    lt_http_upstream_srv_conf_t *us);
static int lt_http_upstream_get_random_peer(lt_peer_connection_t *pc, void *data);
static int lt_http_upstream_get_random2_peer(lt_peer_connection_t *pc, void *data);


static lt_command_t  lt_http_upstream_random_commands[] = {

    { "random", LT_CTX_UPSTREAM, 0, 2, lt_http_upstream_random, LT_SRV_CONF, 0, NULL },

    lt_null_command
};


lt_module_t  lt_http_upstream_random_module = {
    .name = "http_upstream_random",
    .type = LT_HTTP_MODULE,
    .commands = lt_http_upstream_random_commands,
    .create_srv_conf = lt_http_upstream_random_create_conf,
};


static int
lt_http_upstream_init_random(lt_conf_t *cf, lt_http_upstream_srv_conf_t *us)
{
    size_t                               i;
    unsigned                             total;
    lt_http_upstream_rr_peer_t          *peer;
    lt_http_upstream_rr_peers_t         *peers;
    lt_http_upstream_random_srv_conf_t  *rcf;

    if (lt_http_upstream_init_round_robin(cf, us) != LT_OK) {
        return LT_ERROR;
    }

    us->peer.init = lt_http_upstream_init_random_peer;

    rcf = us->srv_conf[lt_http_upstream_random_module.ctx_index];

    /* ranges by peer index: they stay right when "zone" copies the peers */
    peers = us->peer.data;

    rcf->ranges = lt_palloc(cf->pool, peers->number * sizeof(unsigned));
    if (rcf->ranges == NULL) {
        return LT_ERROR;
    }

    rcf->nranges = peers->number;
    total = 0;

    for (peer = peers->peer, i = 0; peer; peer = peer->next, i++) {
        rcf->ranges[i] = total;
        total += (unsigned) peer->weight;
    }

    return LT_OK;
}


static int
lt_http_upstream_init_random_peer(lt_http_request_t *r, lt_http_upstream_srv_conf_t *us)
{
    lt_http_upstream_random_srv_conf_t   *rcf;
    lt_http_upstream_random_peer_data_t  *rp;

    rcf = us->srv_conf[lt_http_upstream_random_module.ctx_index];

    rp = lt_palloc(r->pool, sizeof(lt_http_upstream_random_peer_data_t));
    if (rp == NULL) {
        return LT_ERROR;
    }

    r->upstream->peer.data = &rp->rrp;

    if (lt_http_upstream_init_round_robin_peer(r, us) != LT_OK) {
        return LT_ERROR;
    }

    r->upstream->peer.get = rcf->two ? lt_http_upstream_get_random2_peer
                                     : lt_http_upstream_get_random_peer;

    rp->conf = rcf;
    rp->tries = 0;

    return LT_OK;
}


/* lt_http_upstream_random_peek: a peer index drawn with the weights' odds */
static size_t
lt_http_upstream_random_peek(lt_http_upstream_rr_peers_t *peers,
    const lt_http_upstream_random_srv_conf_t *rcf)
{
    size_t    lo, hi, mid;
    unsigned  x;

    x = (unsigned) ((unsigned long) lt_random() % peers->total_weight);

    /* the last range that starts at or before x */
    lo = 0;
    hi = rcf->nranges;

    while (hi - lo > 1) {
        mid = lo + (hi - lo) / 2;

        if (x < rcf->ranges[mid]) {
            hi = mid;

        } else {
            lo = mid;
        }
    }

    return lo;
}


static int
lt_http_upstream_get_random_peer(lt_peer_connection_t *pc, void *data)
{
    lt_http_upstream_random_peer_data_t  *rp = data;

    size_t                         i;
    time_t                         now;
    lt_http_upstream_rr_peer_t    *peer;
    lt_http_upstream_rr_peers_t   *peers;

    peers = rp->rrp.peers;

    if (rp->tries > LT_HTTP_UPSTREAM_RANDOM_TRIES || peers->single
        || rp->conf->nranges != peers->number)
    {
        return lt_http_upstream_get_round_robin_peer(pc, &rp->rrp);
    }

    pc->cached = 0;
    pc->connection = NULL;

    now = lt_time();

    lt_http_upstream_rr_peers_lock(peers);

    for ( ;; ) {
        i = lt_http_upstream_random_peek(peers, rp->conf);
        peer = &peers->peer[i];

        if (!lt_http_upstream_rr_is_tried(&rp->rrp, i)
            && lt_http_upstream_rr_peer_usable(peer, now))
        {
            break;
        }

        if (++rp->tries > LT_HTTP_UPSTREAM_RANDOM_TRIES) {
            lt_http_upstream_rr_peers_unlock(peers);
            return lt_http_upstream_get_round_robin_peer(pc, &rp->rrp);
        }
    }

    lt_http_upstream_rr_use_peer(pc, &rp->rrp, peer, i, now);

    lt_http_upstream_rr_peers_unlock(peers);

    return LT_OK;
}


static int
lt_http_upstream_get_random2_peer(lt_peer_connection_t *pc, void *data)
{
    lt_http_upstream_random_peer_data_t  *rp = data;

    size_t                         i, p;
    time_t                         now;
    lt_http_upstream_rr_peer_t    *peer, *prev;
    lt_http_upstream_rr_peers_t   *peers;

    peers = rp->rrp.peers;

    if (rp->tries > LT_HTTP_UPSTREAM_RANDOM_TRIES || peers->single
        || rp->conf->nranges != peers->number)
    {
        return lt_http_upstream_get_round_robin_peer(pc, &rp->rrp);
    }

    pc->cached = 0;
    pc->connection = NULL;

    now = lt_time();
    prev = NULL;
    p = 0;

    lt_http_upstream_rr_peers_lock(peers);

    for ( ;; ) {
        i = lt_http_upstream_random_peek(peers, rp->conf);
        peer = &peers->peer[i];

        if (peer != prev
            && !lt_http_upstream_rr_is_tried(&rp->rrp, i)
            && lt_http_upstream_rr_peer_usable(peer, now))
        {
            if (prev == NULL) {
                /* the first of the two */
                prev = peer;
                p = i;

            } else {
                /* the less loaded of the two, relative to their weights */
                if ((int64_t) peer->conns * prev->weight > (int64_t) prev->conns * peer->weight) {
                    peer = prev;
                    i = p;
                }

                break;
            }
        }

        if (++rp->tries > LT_HTTP_UPSTREAM_RANDOM_TRIES) {
            lt_http_upstream_rr_peers_unlock(peers);
            return lt_http_upstream_get_round_robin_peer(pc, &rp->rrp);
        }
    }

    lt_http_upstream_rr_use_peer(pc, &rp->rrp, peer, i, now);

    lt_http_upstream_rr_peers_unlock(peers);

    return LT_OK;
}


static void *
lt_http_upstream_random_create_conf(lt_conf_t *cf)
{
    return lt_pcalloc(cf->pool, sizeof(lt_http_upstream_random_srv_conf_t));
}


static char *
lt_http_upstream_random(lt_conf_t *cf, lt_command_t *cmd, void *conf)
{
    lt_http_upstream_random_srv_conf_t  *rcf = conf;

    lt_str_t                     *value;
    lt_http_upstream_srv_conf_t  *uscf;

    uscf = lt_http_conf_get_module_srv_conf(cf, lt_http_upstream_module);

    if (uscf->peer.init_upstream) {
        lt_conf_log_error(LT_LOG_WARN, cf, 0, "load balancing method redefined");
    }

    uscf->peer.init_upstream = lt_http_upstream_init_random;
    rcf->two = 0;

    uscf->flags = LT_HTTP_UPSTREAM_CREATE | LT_HTTP_UPSTREAM_WEIGHT
                  | LT_HTTP_UPSTREAM_MAX_CONNS | LT_HTTP_UPSTREAM_MAX_FAILS
                  | LT_HTTP_UPSTREAM_FAIL_TIMEOUT | LT_HTTP_UPSTREAM_DOWN;

    if (cf->args->nelts == 1) {
        return LT_CONF_OK;
    }

    value = cf->args->elts;

    if (!lt_str_eq(&value[1], "two")) {
        lt_conf_log_error(LT_LOG_EMERG, cf, 0, "invalid parameter \"%.*s\"",
                          (int) value[1].len, value[1].data);
        return LT_CONF_ERROR;
    }

    rcf->two = 1;

    if (cf->args->nelts == 3 && !lt_str_eq(&value[2], "least_conn")) {
        lt_conf_log_error(LT_LOG_EMERG, cf, 0, "invalid parameter \"%.*s\"",
                          (int) value[2].len, value[2].data);
        return LT_CONF_ERROR;
    }

    return LT_CONF_OK;
}
