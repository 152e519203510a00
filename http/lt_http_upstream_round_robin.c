/*
 * lt_http_upstream_round_robin.c: smooth weighted round robin with backup
 * servers and passive health checks (see lt_http_upstream_round_robin.h).
 *
 * Smooth weighted round robin: every pick adds each eligible peer's effective
 * weight to its current weight, takes the peer with the largest current weight
 * and subtracts the total from it. Weights 5,1,1 give a a b a c a a, spread out
 * rather than in bursts. A failure lowers the effective weight by
 * weight/max_fails, which then recovers by one per pick.
 */

#include "lt_http.h"
#include "lt_http_upstream_round_robin.h"

#define lt_http_upstream_tries(p)  ((p)->tries + ((p)->next ? (p)->next->tries : 0))

static lt_http_upstream_rr_peer_t *lt_http_upstream_get_peer(
    lt_http_upstream_rr_peer_data_t *rrp);


/* lt_http_upstream_rr_build: the peers of the server lines with backup == backup */
static int
lt_http_upstream_rr_build(lt_conf_t *cf, lt_http_upstream_srv_conf_t *us, unsigned backup,
    lt_http_upstream_rr_peers_t **out)
{
    size_t                        i, j, n, w, t;
    lt_http_upstream_server_t    *server;
    lt_http_upstream_rr_peer_t   *peer, **peerp;
    lt_http_upstream_rr_peers_t  *peers;

    *out = NULL;
    server = us->servers->elts;
    n = 0;
    w = 0;
    t = 0;

    for (i = 0; i < us->servers->nelts; i++) {
        if (server[i].backup != backup) {
            continue;
        }

        n += server[i].naddrs;
        w += server[i].naddrs * server[i].weight;

        if (!server[i].down) {
            t += server[i].naddrs;
        }
    }

    if (n == 0) {
        return LT_OK;
    }

    peers = lt_pcalloc(cf->pool, sizeof(lt_http_upstream_rr_peers_t));
    peer = lt_pcalloc(cf->pool, sizeof(lt_http_upstream_rr_peer_t) * n);

    if (peers == NULL || peer == NULL) {
        return LT_ERROR;
    }

    peers->single = (n == 1);
    peers->number = (unsigned) n;
    peers->weighted = (w != n);
    peers->total_weight = (unsigned) w;
    peers->tries = (unsigned) t;
    peers->name = &us->host;

    n = 0;
    peerp = &peers->peer;

    for (i = 0; i < us->servers->nelts; i++) {
        if (server[i].backup != backup) {
            continue;
        }

        for (j = 0; j < server[i].naddrs; j++) {
            peer[n].sockaddr = server[i].addrs[j].sockaddr;
            peer[n].socklen = server[i].addrs[j].socklen;
            peer[n].name = server[i].addrs[j].name;
            peer[n].weight = (int) server[i].weight;
            peer[n].effective_weight = (int) server[i].weight;
            peer[n].current_weight = 0;
            peer[n].max_conns = server[i].max_conns;
            peer[n].max_fails = server[i].max_fails;
            peer[n].fail_timeout = server[i].fail_timeout;
            peer[n].down = server[i].down;
            peer[n].server = server[i].name;

            *peerp = &peer[n];
            peerp = &peer[n].next;
            n++;
        }
    }

    *out = peers;

    return LT_OK;
}


int
lt_http_upstream_init_round_robin(lt_conf_t *cf, lt_http_upstream_srv_conf_t *us)
{
    size_t                        i, n;
    lt_url_t                      u;
    lt_http_upstream_rr_peer_t   *peer, **peerp;
    lt_http_upstream_rr_peers_t  *peers, *backup;

    us->peer.init = lt_http_upstream_init_round_robin_peer;

    if (us->servers) {
        if (lt_http_upstream_rr_build(cf, us, 0, &peers) != LT_OK) {
            return LT_ERROR;
        }

        if (peers == NULL) {
            lt_log_error(LT_LOG_EMERG, cf->log, 0, "no servers in upstream \"%.*s\" in %s:%zu",
                         (int) us->host.len, us->host.data, us->file_name, us->line);
            return LT_ERROR;
        }

        us->peer.data = peers;

        if (lt_http_upstream_rr_build(cf, us, 1, &backup) != LT_OK) {
            return LT_ERROR;
        }

        peers->next = backup;

        if (backup) {
            /* with backup servers the one primary may fail over to them */
            peers->single = 0;
            backup->single = 0;
        }

        return LT_OK;
    }

    /* an implicit upstream: proxy_pass http://name:port resolved now */

    if (us->port == 0) {
        lt_log_error(LT_LOG_EMERG, cf->log, 0, "no port in upstream \"%.*s\" in %s:%zu",
                     (int) us->host.len, us->host.data, us->file_name, us->line);
        return LT_ERROR;
    }

    lt_memzero(&u, sizeof(lt_url_t));

    u.url.len = us->host.len + sizeof(":65535");
    u.url.data = lt_pnalloc(cf->pool, u.url.len);
    if (u.url.data == NULL) {
        return LT_ERROR;
    }

    u.url.len = lt_slprintf(u.url.data, u.url.data + u.url.len, "%.*s:%u",
                            (int) us->host.len, us->host.data, (unsigned) us->port)
                - u.url.data;

    if (lt_parse_url(cf->pool, &u) != LT_OK) {
        lt_log_error(LT_LOG_EMERG, cf->log, 0, "%s in upstream \"%.*s\" in %s:%zu",
                     u.err ? u.err : "invalid address", (int) us->host.len, us->host.data,
                     us->file_name, us->line);
        return LT_ERROR;
    }

    n = u.naddrs;

    peers = lt_pcalloc(cf->pool, sizeof(lt_http_upstream_rr_peers_t));
    peer = lt_pcalloc(cf->pool, sizeof(lt_http_upstream_rr_peer_t) * n);

    if (peers == NULL || peer == NULL) {
        return LT_ERROR;
    }

    peers->single = (n == 1);
    peers->number = (unsigned) n;
    peers->weighted = 0;
    peers->total_weight = (unsigned) n;
    peers->tries = (unsigned) n;
    peers->name = &us->host;

    peerp = &peers->peer;

    for (i = 0; i < n; i++) {
        peer[i].sockaddr = u.addrs[i].sockaddr;
        peer[i].socklen = u.addrs[i].socklen;
        peer[i].name = u.addrs[i].name;
        peer[i].weight = 1;
        peer[i].effective_weight = 1;
        peer[i].max_fails = 1;
        peer[i].fail_timeout = 10;
        *peerp = &peer[i];
        peerp = &peer[i].next;
    }

    us->peer.data = peers;

    return LT_OK;
}


/* lt_http_upstream_rr_tried: the bitmap of tried peers, one bit per peer of the
 * larger group */
static int
lt_http_upstream_rr_tried(lt_http_request_t *r, lt_http_upstream_rr_peer_data_t *rrp,
    unsigned number)
{
    size_t  n;

    if (number <= 8 * sizeof(uintptr_t)) {
        rrp->tried = &rrp->data;
        rrp->data = 0;
        return LT_OK;
    }

    n = (number + (8 * sizeof(uintptr_t) - 1)) / (8 * sizeof(uintptr_t));

    rrp->tried = lt_pcalloc(r->pool, n * sizeof(uintptr_t));

    return rrp->tried ? LT_OK : LT_ERROR;
}


int
lt_http_upstream_init_round_robin_peer(lt_http_request_t *r, lt_http_upstream_srv_conf_t *us)
{
    unsigned                          n;
    lt_http_upstream_t               *u;
    lt_http_upstream_rr_peers_t      *peers;
    lt_http_upstream_rr_peer_data_t  *rrp;

    u = r->upstream;
    rrp = u->peer.data;

    if (rrp == NULL) {
        rrp = lt_palloc(r->pool, sizeof(lt_http_upstream_rr_peer_data_t));
        if (rrp == NULL) {
            return LT_ERROR;
        }

        u->peer.data = rrp;
    }

    peers = us->peer.data;

    rrp->peers = peers;
    rrp->current = NULL;
    rrp->config = 0;

    n = peers->number;

    if (peers->next && peers->next->number > n) {
        n = peers->next->number;
    }

    if (lt_http_upstream_rr_tried(r, rrp, n) != LT_OK) {
        return LT_ERROR;
    }

    u->peer.get = lt_http_upstream_get_round_robin_peer;
    u->peer.free = lt_http_upstream_free_round_robin_peer;
    u->peer.tries = lt_http_upstream_tries(peers);

    return LT_OK;
}


int
lt_http_upstream_create_round_robin_peer(lt_http_request_t *r, lt_http_upstream_resolved_t *ur)
{
    size_t                            i;
    lt_http_upstream_t               *u;
    lt_http_upstream_rr_peer_t       *peer, **peerp;
    lt_http_upstream_rr_peers_t      *peers;
    lt_http_upstream_rr_peer_data_t  *rrp;

    u = r->upstream;

    rrp = lt_palloc(r->pool, sizeof(lt_http_upstream_rr_peer_data_t));
    peers = lt_pcalloc(r->pool, sizeof(lt_http_upstream_rr_peers_t));
    peer = lt_pcalloc(r->pool, sizeof(lt_http_upstream_rr_peer_t) * ur->naddrs);

    if (rrp == NULL || peers == NULL || peer == NULL) {
        return LT_ERROR;
    }

    u->peer.data = rrp;

    peers->single = (ur->naddrs == 1);
    peers->number = (unsigned) ur->naddrs;
    peers->total_weight = (unsigned) ur->naddrs;
    peers->tries = (unsigned) ur->naddrs;
    peers->name = &ur->host;

    peerp = &peers->peer;

    for (i = 0; i < ur->naddrs; i++) {
        peer[i].sockaddr = ur->addrs[i].sockaddr;
        peer[i].socklen = ur->addrs[i].socklen;
        peer[i].name = ur->addrs[i].name;
        peer[i].weight = 1;
        peer[i].effective_weight = 1;
        peer[i].max_fails = 1;
        peer[i].fail_timeout = 10;
        *peerp = &peer[i];
        peerp = &peer[i].next;
    }

    rrp->peers = peers;
    rrp->current = NULL;
    rrp->config = 0;

    if (lt_http_upstream_rr_tried(r, rrp, peers->number) != LT_OK) {
        return LT_ERROR;
    }

    u->peer.get = lt_http_upstream_get_round_robin_peer;
    u->peer.free = lt_http_upstream_free_round_robin_peer;
    u->peer.tries = lt_http_upstream_tries(peers);

    return LT_OK;
}


int
lt_http_upstream_get_round_robin_peer(lt_peer_connection_t *pc, void *data)
{
    int                               rc;
    size_t                            i, n;
    lt_http_upstream_rr_peer_t       *peer;
    lt_http_upstream_rr_peers_t      *peers;
    lt_http_upstream_rr_peer_data_t  *rrp = data;

    pc->cached = 0;
    pc->connection = NULL;

    peers = rrp->peers;

    lt_http_upstream_rr_peers_lock(peers);

    if (peers->single) {
        peer = peers->peer;

        if (peer->down) {
            goto failed;
        }

        if (peer->max_conns && peer->conns >= peer->max_conns) {
            goto failed;
        }

        rrp->current = peer;

    } else {
        peer = lt_http_upstream_get_peer(rrp);

        if (peer == NULL) {
            goto failed;
        }
    }

    pc->sockaddr = peer->sockaddr;
    pc->socklen = peer->socklen;
    pc->name = &peer->name;

    peer->conns++;

    lt_http_upstream_rr_peers_unlock(peers);

    return LT_OK;

failed:

    if (peers->next) {
        /* the primary servers are all down or busy: the backup servers */
        rrp->peers = peers->next;

        n = (rrp->peers->number + (8 * sizeof(uintptr_t) - 1)) / (8 * sizeof(uintptr_t));

        for (i = 0; i < n; i++) {
            rrp->tried[i] = 0;
        }

        lt_http_upstream_rr_peers_unlock(peers);

        rc = lt_http_upstream_get_round_robin_peer(pc, rrp);

        if (rc != LT_BUSY) {
            return rc;
        }

        lt_http_upstream_rr_peers_lock(peers);
    }

    lt_http_upstream_rr_peers_unlock(peers);

    pc->name = peers->name;

    return LT_BUSY;
}


static lt_http_upstream_rr_peer_t *
lt_http_upstream_get_peer(lt_http_upstream_rr_peer_data_t *rrp)
{
    int                          total;
    size_t                       i, p;
    time_t                       now;
    lt_http_upstream_rr_peer_t  *peer, *best;

    now = lt_time();

    best = NULL;
    total = 0;
    p = 0;

    for (peer = rrp->peers->peer, i = 0; peer; peer = peer->next, i++) {

        if (lt_http_upstream_rr_is_tried(rrp, i)
            || !lt_http_upstream_rr_peer_usable(peer, now))
        {
            continue;
        }

        peer->current_weight += peer->effective_weight;
        total += peer->effective_weight;

        if (peer->effective_weight < peer->weight) {
            peer->effective_weight++;
        }

        if (best == NULL || peer->current_weight > best->current_weight) {
            best = peer;
            p = i;
        }
    }

    if (best == NULL) {
        return NULL;
    }

    rrp->current = best;

    lt_http_upstream_rr_set_tried(rrp, p);

    best->current_weight -= total;

    if (now - best->checked > best->fail_timeout) {
        best->checked = now;
    }

    return best;
}


void
lt_http_upstream_rr_use_peer(lt_peer_connection_t *pc, lt_http_upstream_rr_peer_data_t *rrp,
    lt_http_upstream_rr_peer_t *peer, size_t i, time_t now)
{
    rrp->current = peer;

    lt_http_upstream_rr_set_tried(rrp, i);

    pc->sockaddr = peer->sockaddr;
    pc->socklen = peer->socklen;
    pc->name = &peer->name;

    peer->conns++;

    if (now - peer->checked > peer->fail_timeout) {
        peer->checked = now;
    }
}


void
lt_http_upstream_free_round_robin_peer(lt_peer_connection_t *pc, void *data, unsigned state)
{
    time_t                            now;
    lt_http_upstream_rr_peer_t       *peer;
    lt_http_upstream_rr_peer_data_t  *rrp = data;

    peer = rrp->current;

    if (peer == NULL) {
        pc->tries = 0;
        return;
    }

    lt_http_upstream_rr_peers_lock(rrp->peers);

    if (rrp->peers->single) {
        /* nothing to fail over to: the one server is never taken out */
        peer->conns--;

        lt_http_upstream_rr_peers_unlock(rrp->peers);

        rrp->current = NULL;
        pc->tries = 0;
        return;
    }

    if (state & LT_PEER_FAILED) {
        now = lt_time();

        peer->fails++;
        peer->accessed = now;
        peer->checked = now;

        if (peer->max_fails) {
            peer->effective_weight -= peer->weight / (int) peer->max_fails;

            if (peer->fails >= peer->max_fails) {
                lt_log_error(LT_LOG_WARN, pc->log, 0, "upstream server temporarily disabled");
            }
        }

        if (peer->effective_weight < 0) {
            peer->effective_weight = 0;
        }

    } else if (peer->accessed < peer->checked) {
        /* a success after the failures were old: forget them */
        peer->fails = 0;
    }

    peer->conns--;

    lt_http_upstream_rr_peers_unlock(rrp->peers);

    rrp->current = NULL;

    if (pc->tries) {
        pc->tries--;
    }
}
