/*
 * upstream_least_conn.c: "least_conn" in an upstream{} block: a request goes to
 * the usable server with the fewest active connections relative to its weight
 * (conns / weight, compared as conns_a * weight_b < conns_b * weight_a); ties
 * are broken by smooth weighted round robin among the tied servers. With
 * "zone" the counts are those of all workers. When no primary server is
 * usable, the backup servers are chosen the same way.
 *
 * Server parameters: all of them (weight, max_fails, fail_timeout, backup,
 * down, max_conns).
 */

#include "lt_http.h"
#include "lt_http_upstream_round_robin.h"


static char *lt_http_upstream_least_conn(lt_conf_t *cf, lt_command_t *cmd, void *conf);
static int lt_http_upstream_init_least_conn(lt_conf_t *cf, lt_http_upstream_srv_conf_t *us);
static int lt_http_upstream_init_least_conn_peer(lt_http_request_t *r,
    lt_http_upstream_srv_conf_t *us);
static int lt_http_upstream_get_least_conn_peer(lt_peer_connection_t *pc, void *data);


static lt_command_t  lt_http_upstream_least_conn_commands[] = {

    { "least_conn", LT_CTX_UPSTREAM, 0, 0, lt_http_upstream_least_conn, 0, 0, NULL },

    lt_null_command
};


lt_module_t  lt_http_upstream_least_conn_module = {
    .name = "http_upstream_least_conn",
    .type = LT_HTTP_MODULE,
    .commands = lt_http_upstream_least_conn_commands,
};


static int
lt_http_upstream_init_least_conn(lt_conf_t *cf, lt_http_upstream_srv_conf_t *us)
{
    if (lt_http_upstream_init_round_robin(cf, us) != LT_OK) {
        return LT_ERROR;
    }

    us->peer.init = lt_http_upstream_init_least_conn_peer;

    return LT_OK;
}


static int
lt_http_upstream_init_least_conn_peer(lt_http_request_t *r, lt_http_upstream_srv_conf_t *us)
{
    if (lt_http_upstream_init_round_robin_peer(r, us) != LT_OK) {
        return LT_ERROR;
    }

    r->upstream->peer.get = lt_http_upstream_get_least_conn_peer;

    return LT_OK;
}


/* lt_http_upstream_lc_cmp: below 0 when a is less loaded than b (weights
 * considered), 0 when as loaded */
#define lt_http_upstream_lc_cmp(a, b)                                          \
    ((int64_t) (a)->conns * (b)->weight - (int64_t) (b)->conns * (a)->weight)


/* lt_http_upstream_least_conn_pick: the peer of the group rrp->peers to use, or
 * NULL; *index is its index. The lock is held */
static lt_http_upstream_rr_peer_t *
lt_http_upstream_least_conn_pick(lt_http_upstream_rr_peer_data_t *rrp, time_t now,
    size_t *index)
{
    int                          total;
    size_t                       i, p;
    unsigned                     many;
    lt_http_upstream_rr_peer_t  *peer, *best;

    best = NULL;
    many = 0;
    p = 0;

    for (peer = rrp->peers->peer, i = 0; peer; peer = peer->next, i++) {

        if (lt_http_upstream_rr_is_tried(rrp, i)
            || !lt_http_upstream_rr_peer_usable(peer, now))
        {
            continue;
        }

        if (best == NULL || lt_http_upstream_lc_cmp(peer, best) < 0) {
            best = peer;
            many = 0;
            p = i;

        } else if (lt_http_upstream_lc_cmp(peer, best) == 0) {
            many = 1;
        }
    }

    if (best == NULL) {
        return NULL;
    }

    if (many) {
        /* smooth weighted round robin among the equally loaded, from best on */
        total = 0;

        for (peer = best, i = p; peer; peer = peer->next, i++) {

            if (lt_http_upstream_rr_is_tried(rrp, i)
                || !lt_http_upstream_rr_peer_usable(peer, now)
                || lt_http_upstream_lc_cmp(peer, best) != 0)
            {
                continue;
            }

            peer->current_weight += peer->effective_weight;
            total += peer->effective_weight;

            if (peer->effective_weight < peer->weight) {
                peer->effective_weight++;
            }

            if (peer->current_weight > best->current_weight) {
                best = peer;
                p = i;
            }
        }

        best->current_weight -= total;
    }

    *index = p;

    return best;
}


static int
lt_http_upstream_get_least_conn_peer(lt_peer_connection_t *pc, void *data)
{
    lt_http_upstream_rr_peer_data_t  *rrp = data;

    size_t                        i, n, p;
    time_t                        now;
    lt_http_upstream_rr_peer_t   *best;
    lt_http_upstream_rr_peers_t  *peers;

    pc->cached = 0;
    pc->connection = NULL;

    now = lt_time();

    for ( ;; ) {
        peers = rrp->peers;

        lt_http_upstream_rr_peers_lock(peers);

        best = lt_http_upstream_least_conn_pick(rrp, now, &p);

        if (best) {
            lt_http_upstream_rr_use_peer(pc, rrp, best, p, now);
            lt_http_upstream_rr_peers_unlock(peers);
            return LT_OK;
        }

        lt_http_upstream_rr_peers_unlock(peers);

        if (peers->next == NULL) {
            break;
        }

        /* no primary server is usable: the backup servers, tried afresh */
        rrp->peers = peers->next;

        n = (rrp->peers->number + LT_HTTP_UPSTREAM_RR_BITS - 1) / LT_HTTP_UPSTREAM_RR_BITS;

        for (i = 0; i < n; i++) {
            rrp->tried[i] = 0;
        }
    }

    pc->name = rrp->peers->name;

    return LT_BUSY;
}


static char *
lt_http_upstream_least_conn(lt_conf_t *cf, lt_command_t *cmd, void *conf)
{
    lt_http_upstream_srv_conf_t  *uscf;

    uscf = lt_http_conf_get_module_srv_conf(cf, lt_http_upstream_module);

    if (uscf->peer.init_upstream) {
        lt_conf_log_error(LT_LOG_WARN, cf, 0, "load balancing method redefined");
    }

    uscf->peer.init_upstream = lt_http_upstream_init_least_conn;

    uscf->flags = LT_HTTP_UPSTREAM_CREATE | LT_HTTP_UPSTREAM_WEIGHT
                  | LT_HTTP_UPSTREAM_MAX_CONNS | LT_HTTP_UPSTREAM_MAX_FAILS
                  | LT_HTTP_UPSTREAM_FAIL_TIMEOUT | LT_HTTP_UPSTREAM_DOWN
                  | LT_HTTP_UPSTREAM_BACKUP;

    return LT_CONF_OK;
}
