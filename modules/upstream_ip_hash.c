/*
 * upstream_ip_hash.c: "ip_hash" in an upstream{} block: a client keeps going to
 * the same server, chosen from its address: the first three octets of an IPv4
 * address (a /24 shares a server), the whole IPv6 address; other families (unix
 * sockets) hash as 0.0.0. The hash is nginx's (start 89, h = (h * 113 + byte)
 * % 6271 over the bytes, the server is h % total weight counted along the
 * weights), so a client lands on the same server as behind nginx. When that
 * server is down, failed, full or already tried, the hash is stirred again over
 * the same bytes; after 20 misses round robin picks.
 *
 * Server parameters: weight, max_fails, fail_timeout, down, max_conns; no backup.
 */

#include "lt_http.h"
#include "lt_http_upstream_round_robin.h"

#define LT_HTTP_UPSTREAM_IP_HASH_TRIES  20

typedef struct {
    lt_http_upstream_rr_peer_data_t  rrp;       /* first: round robin's free() */
    unsigned                         hash;
    unsigned                         tries;
    size_t                           addrlen;
    const u_char                    *addr;
} lt_http_upstream_ip_hash_peer_data_t;


static char *lt_http_upstream_ip_hash(lt_conf_t *cf, lt_command_t *cmd, void *conf);
static int lt_http_upstream_init_ip_hash(lt_conf_t *cf, lt_http_upstream_srv_conf_t *us);
static int lt_http_upstream_init_ip_hash_peer(lt_http_request_t *r,
    lt_http_upstream_srv_conf_t *us);
static int lt_http_upstream_get_ip_hash_peer(lt_peer_connection_t *pc, void *data);


static const u_char  lt_http_upstream_ip_hash_pseudo_addr[3];


static lt_command_t  lt_http_upstream_ip_hash_commands[] = {

    { "ip_hash", LT_CTX_UPSTREAM, 0, 0, lt_http_upstream_ip_hash, 0, 0, NULL },

    lt_null_command
};


lt_module_t  lt_http_upstream_ip_hash_module = {
    .name = "http_upstream_ip_hash",
    .type = LT_HTTP_MODULE,
    .commands = lt_http_upstream_ip_hash_commands,
};


static int
lt_http_upstream_init_ip_hash(lt_conf_t *cf, lt_http_upstream_srv_conf_t *us)
{
    if (lt_http_upstream_init_round_robin(cf, us) != LT_OK) {
        return LT_ERROR;
    }

    us->peer.init = lt_http_upstream_init_ip_hash_peer;

    return LT_OK;
}


static int
lt_http_upstream_init_ip_hash_peer(lt_http_request_t *r, lt_http_upstream_srv_conf_t *us)
{
    struct sockaddr                       *sa;
    lt_http_upstream_ip_hash_peer_data_t  *iphp;

    iphp = lt_palloc(r->pool, sizeof(lt_http_upstream_ip_hash_peer_data_t));
    if (iphp == NULL) {
        return LT_ERROR;
    }

    r->upstream->peer.data = &iphp->rrp;

    if (lt_http_upstream_init_round_robin_peer(r, us) != LT_OK) {
        return LT_ERROR;
    }

    r->upstream->peer.get = lt_http_upstream_get_ip_hash_peer;

    /* the client's address as realip may have replaced it */
    sa = r->connection->sockaddr;

    switch (sa->sa_family) {

    case AF_INET:
        iphp->addr = (const u_char *) &((struct sockaddr_in *) sa)->sin_addr.s_addr;
        iphp->addrlen = 3;
        break;

    case AF_INET6:
        iphp->addr = ((struct sockaddr_in6 *) sa)->sin6_addr.s6_addr;
        iphp->addrlen = 16;
        break;

    default:
        iphp->addr = lt_http_upstream_ip_hash_pseudo_addr;
        iphp->addrlen = 3;
    }

    iphp->hash = 89;
    iphp->tries = 0;

    return LT_OK;
}


static int
lt_http_upstream_get_ip_hash_peer(lt_peer_connection_t *pc, void *data)
{
    lt_http_upstream_ip_hash_peer_data_t  *iphp = data;

    size_t                         i, p;
    time_t                         now;
    unsigned                       hash, w;
    lt_http_upstream_rr_peer_t    *peer;
    lt_http_upstream_rr_peers_t   *peers;

    peers = iphp->rrp.peers;

    if (iphp->tries > LT_HTTP_UPSTREAM_IP_HASH_TRIES || peers->single) {
        return lt_http_upstream_get_round_robin_peer(pc, &iphp->rrp);
    }

    pc->cached = 0;
    pc->connection = NULL;

    now = lt_time();
    hash = iphp->hash;

    lt_http_upstream_rr_peers_lock(peers);

    for ( ;; ) {

        for (i = 0; i < iphp->addrlen; i++) {
            hash = (hash * 113 + iphp->addr[i]) % 6271;
        }

        w = hash % peers->total_weight;
        peer = peers->peer;
        p = 0;

        while (w >= (unsigned) peer->weight) {
            w -= (unsigned) peer->weight;
            peer = peer->next;
            p++;
        }

        if (!lt_http_upstream_rr_is_tried(&iphp->rrp, p)
            && lt_http_upstream_rr_peer_usable(peer, now))
        {
            break;
        }

        if (++iphp->tries > LT_HTTP_UPSTREAM_IP_HASH_TRIES) {
            lt_http_upstream_rr_peers_unlock(peers);
            return lt_http_upstream_get_round_robin_peer(pc, &iphp->rrp);
        }
    }

    lt_http_upstream_rr_use_peer(pc, &iphp->rrp, peer, p, now);

    lt_http_upstream_rr_peers_unlock(peers);

    iphp->hash = hash;

    return LT_OK;
}


static char *
lt_http_upstream_ip_hash(lt_conf_t *cf, lt_command_t *cmd, void *conf)
{
    lt_http_upstream_srv_conf_t  *uscf;

    uscf = lt_http_conf_get_module_srv_conf(cf, lt_http_upstream_module);

    if (uscf->peer.init_upstream) {
        lt_conf_log_error(LT_LOG_WARN, cf, 0, "load balancing method redefined");
    }

    uscf->peer.init_upstream = lt_http_upstream_init_ip_hash;

    uscf->flags = LT_HTTP_UPSTREAM_CREATE | LT_HTTP_UPSTREAM_WEIGHT
                  | LT_HTTP_UPSTREAM_MAX_CONNS | LT_HTTP_UPSTREAM_MAX_FAILS
                  | LT_HTTP_UPSTREAM_FAIL_TIMEOUT | LT_HTTP_UPSTREAM_DOWN;

    return LT_CONF_OK;
}
