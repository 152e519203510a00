/*
 * lt_http_upstream_round_robin.h: the default balancer: smooth weighted round
 * robin over the primary servers, then the backup servers when every primary
 * is down or failed; passive health (max_fails within fail_timeout takes a
 * peer out for fail_timeout); max_conns.
 *
 * The peer state is plain data (no pointers into a worker's memory other than
 * the configuration's, which every worker shares after fork), so that "zone"
 * can copy it into shared memory; the lock macros take the zone's mutex when
 * peers->mutex is set and cost nothing otherwise. Other balancers (hash,
 * ip_hash, least_conn, random) build on these structures, the per-request
 * data (embedded first in their own) and the free function.
 *
 * Invariant the balancers rely on: peers->peer is an array of peers->number
 * peers, linked through next in array order, wherever the group lives (the
 * configuration's pool, a request's pool or a zone), so that the peer of
 * index i is &peers->peer[i].
 */

#ifndef LT_HTTP_UPSTREAM_ROUND_ROBIN_H
#define LT_HTTP_UPSTREAM_ROUND_ROBIN_H

#include "lt_core.h"
#include "lt_http_upstream.h"

typedef struct lt_http_upstream_rr_peer_s   lt_http_upstream_rr_peer_t;
typedef struct lt_http_upstream_rr_peers_s  lt_http_upstream_rr_peers_t;

struct lt_http_upstream_rr_peer_s {
    struct sockaddr                *sockaddr;
    socklen_t                       socklen;
    lt_str_t                        name;       /* "127.0.0.1:8081" */
    lt_str_t                        server;     /* the server line's name */

    int                             current_weight;
    int                             effective_weight;
    int                             weight;

    unsigned                        conns;
    unsigned                        max_conns;

    unsigned                        fails;
    time_t                          accessed;   /* last failure */
    time_t                          checked;    /* last try after failures */

    unsigned                        max_fails;
    time_t                          fail_timeout;

    unsigned                        down;

    lt_http_upstream_rr_peer_t     *next;
};

struct lt_http_upstream_rr_peers_s {
    unsigned                        number;

    lt_shmtx_t                     *mutex;      /* set when the peers live in a zone */
    lt_shm_zone_t                  *shm_zone;   /* unused: a zone outlives the cycle
                                                   that made it; mutex tells */

    unsigned                        total_weight;
    unsigned                        tries;      /* peers that are not down */

    unsigned                        single:1;
    unsigned                        weighted:1;

    lt_str_t                       *name;

    lt_http_upstream_rr_peers_t    *next;       /* the backup servers */
    lt_http_upstream_rr_peers_t    *zone_next;  /* the next upstream in the zone */

    lt_http_upstream_rr_peer_t     *peer;
};

#define lt_http_upstream_rr_peers_lock(peers)                                 \
    if ((peers)->mutex) {                                                     \
        lt_shmtx_lock((peers)->mutex);                                        \
    }

#define lt_http_upstream_rr_peers_unlock(peers)                               \
    if ((peers)->mutex) {                                                     \
        lt_shmtx_unlock((peers)->mutex);                                      \
    }

/* per request */
typedef struct {
    unsigned                        config;
    lt_http_upstream_rr_peers_t    *peers;
    lt_http_upstream_rr_peer_t     *current;
    uintptr_t                      *tried;      /* bitmap over the larger group */
    uintptr_t                       data;
} lt_http_upstream_rr_peer_data_t;

/* lt_http_upstream_rr_peer_usable: the peer may take a connection at now: not
 * down, not failed max_fails times within fail_timeout, under max_conns. The
 * caller holds the peers' lock */
static inline int
lt_http_upstream_rr_peer_usable(const lt_http_upstream_rr_peer_t *peer, time_t now)
{
    if (peer->down) {
        return 0;
    }

    if (peer->max_fails && peer->fails >= peer->max_fails
        && now - peer->checked <= peer->fail_timeout)
    {
        return 0;
    }

    return !(peer->max_conns && peer->conns >= peer->max_conns);
}

/* the tried bitmap of a request: one bit per peer index of the current group */
#define LT_HTTP_UPSTREAM_RR_BITS  (8 * sizeof(uintptr_t))

#define lt_http_upstream_rr_is_tried(rrp, i)                                  \
    ((rrp)->tried[(i) / LT_HTTP_UPSTREAM_RR_BITS]                             \
     & ((uintptr_t) 1 << (i) % LT_HTTP_UPSTREAM_RR_BITS))

#define lt_http_upstream_rr_set_tried(rrp, i)                                 \
    (rrp)->tried[(i) / LT_HTTP_UPSTREAM_RR_BITS]                              \
        |= (uintptr_t) 1 << (i) % LT_HTTP_UPSTREAM_RR_BITS

/* lt_http_upstream_rr_use_peer: a balancer has picked peer (index i of
 * rrp->peers): it becomes the request's current peer, pc gets its address, its
 * connection count grows and a peer past its fail_timeout is marked as being
 * checked again. The caller holds the peers' lock */
void lt_http_upstream_rr_use_peer(lt_peer_connection_t *pc,
    lt_http_upstream_rr_peer_data_t *rrp, lt_http_upstream_rr_peer_t *peer, size_t i,
    time_t now);

/* lt_http_upstream_init_round_robin: the peers of us (configuration time):
 * us->peer.data becomes the primary group (backup servers in ->next); an
 * implicit upstream's host is resolved now. LT_OK or LT_ERROR (logged) */
int lt_http_upstream_init_round_robin(lt_conf_t *cf, lt_http_upstream_srv_conf_t *us);

/* lt_http_upstream_init_round_robin_peer: r->upstream->peer's get/free/data and
 * tries. A balancer that embeds lt_http_upstream_rr_peer_data_t first in its
 * own data sets r->upstream->peer.data to it before calling; else it is
 * allocated. LT_OK or LT_ERROR */
int lt_http_upstream_init_round_robin_peer(lt_http_request_t *r,
    lt_http_upstream_srv_conf_t *us);

/* lt_http_upstream_create_round_robin_peer: peers for a resolved address
 * (proxy_pass with variables) */
int lt_http_upstream_create_round_robin_peer(lt_http_request_t *r,
    lt_http_upstream_resolved_t *ur);

/* lt_http_upstream_get_round_robin_peer: the get() of round robin: LT_OK, or
 * LT_BUSY when no peer of either group is usable (pc->name is then the
 * upstream's name) */
int lt_http_upstream_get_round_robin_peer(lt_peer_connection_t *pc, void *data);

/* lt_http_upstream_free_round_robin_peer: the free() shared by all balancers:
 * counts a failure (LT_PEER_FAILED), forgets old failures after a success,
 * releases the connection slot and uses up one try */
void lt_http_upstream_free_round_robin_peer(lt_peer_connection_t *pc, void *data,
    unsigned state);

#endif /* LT_HTTP_UPSTREAM_ROUND_ROBIN_H */
