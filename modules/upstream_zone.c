/*
 * upstream_zone.c: "zone NAME [SIZE]" in an upstream{} block: the group's peer
 * state (failures and their times, active connections, the round robin
 * weights) lives in shared memory, so that every worker sees the same: a
 * server one worker found failed is skipped by the others, and max_conns
 * counts the connections of all workers. Several upstreams may share a zone;
 * "zone NAME" without a size refers to a zone another upstream sizes.
 *
 * How: the balancers build their peers at configuration time as usual; when
 * the zone is mapped (in the master, before the workers start) each group is
 * copied into it, addresses and names included, and the upstream's peer.data
 * points at the copy, whose lock is the zone's mutex. The zone's root (the
 * slab pool's data) chains the groups in the order of the upstream blocks.
 *
 * Reload: when the new configuration gives the zone the same size and the same
 * upstreams with the same servers and parameters, the zone is kept: the new
 * workers go on with the very groups the old ones use, so failure state and
 * connection counts carry over (and max_conns holds while old workers finish).
 * Anything else gets a fresh zone, as nginx always does, since the old workers
 * still use the old groups and they cannot be changed under them.
 */

#include "lt_http.h"
#include "lt_http_upstream_round_robin.h"

#define lt_http_upstream_zone_str_eq(a, b)                                     \
    ((a)->len == (b)->len && memcmp((a)->data, (b)->data, (a)->len) == 0)


static char *lt_http_upstream_zone(lt_conf_t *cf, lt_command_t *cmd, void *conf);
static int lt_http_upstream_zone_postconf(lt_conf_t *cf);
static int lt_http_upstream_init_zone(lt_shm_zone_t *zone, void *data);


static lt_command_t  lt_http_upstream_zone_commands[] = {

    { "zone", LT_CTX_UPSTREAM, 1, 2, lt_http_upstream_zone, 0, 0, NULL },

    lt_null_command
};


lt_module_t  lt_http_upstream_zone_module = {
    .name = "http_upstream_zone",
    .type = LT_HTTP_MODULE,
    .commands = lt_http_upstream_zone_commands,
    .postconfiguration = lt_http_upstream_zone_postconf,
};


static char *
lt_http_upstream_zone(lt_conf_t *cf, lt_command_t *cmd, void *conf)
{
    int64_t                        size;
    lt_str_t                      *value;
    lt_http_upstream_srv_conf_t   *uscf;
    lt_http_upstream_main_conf_t  *umcf;

    uscf = lt_http_conf_get_module_srv_conf(cf, lt_http_upstream_module);
    umcf = lt_http_conf_get_module_main_conf(cf, lt_http_upstream_module);

    value = cf->args->elts;

    if (value[1].len == 0) {
        lt_conf_log_error(LT_LOG_EMERG, cf, 0, "invalid zone name \"%.*s\"",
                          (int) value[1].len, value[1].data);
        return LT_CONF_ERROR;
    }

    size = 0;

    if (cf->args->nelts == 3) {
        size = lt_parse_size(&value[2]);

        if (size == LT_ERROR) {
            lt_conf_log_error(LT_LOG_EMERG, cf, 0, "invalid zone size \"%.*s\"",
                              (int) value[2].len, value[2].data);
            return LT_CONF_ERROR;
        }

        if (size < (int64_t) (8 * lt_pagesize)) {
            lt_conf_log_error(LT_LOG_EMERG, cf, 0, "zone \"%.*s\" is too small",
                              (int) value[1].len, value[1].data);
            return LT_CONF_ERROR;
        }
    }

    uscf->shm_zone = lt_shared_memory_add(cf, &value[1], (size_t) size,
                                          &lt_http_upstream_module);
    if (uscf->shm_zone == NULL) {
        return LT_CONF_ERROR;
    }

    uscf->shm_zone->init = lt_http_upstream_init_zone;
    uscf->shm_zone->data = umcf;
    uscf->shm_zone->noreuse = 0;    /* decided in postconfiguration */

    return LT_CONF_OK;
}


/* lt_http_upstream_zone_copy: a copy of the group src in the zone, in one
 * allocation: the group, its peers in one array as in src (the invariant of
 * lt_http_upstream_round_robin.h), their addresses and names, and the
 * upstream's name; NULL when the zone is full (logged by the allocator). The
 * zone's lock is held */
static lt_http_upstream_rr_peers_t *
lt_http_upstream_zone_copy(lt_slab_pool_t *shpool, const lt_http_upstream_rr_peers_t *src)
{
    size_t                        i, size;
    u_char                       *p;
    lt_http_upstream_rr_peer_t   *peer;
    lt_http_upstream_rr_peers_t  *peers;

    /* the group, the peers, the name's lt_str_t, the addresses (each aligned),
     * then the bytes of the names */
    size = lt_align(sizeof(lt_http_upstream_rr_peers_t), 8)
           + lt_align(src->number * sizeof(lt_http_upstream_rr_peer_t), 8)
           + lt_align(sizeof(lt_str_t), 8) + src->name->len;

    for (i = 0; i < src->number; i++) {
        size += lt_align(src->peer[i].socklen, 8) + src->peer[i].name.len
                + src->peer[i].server.len;
    }

    peers = lt_slab_alloc_locked(shpool, size);
    if (peers == NULL) {
        return NULL;
    }

    *peers = *src;

    p = (u_char *) peers + lt_align(sizeof(lt_http_upstream_rr_peers_t), 8);

    peer = (lt_http_upstream_rr_peer_t *) p;
    memcpy(peer, src->peer, src->number * sizeof(lt_http_upstream_rr_peer_t));
    p += lt_align(src->number * sizeof(lt_http_upstream_rr_peer_t), 8);

    peers->name = (lt_str_t *) p;
    p += lt_align(sizeof(lt_str_t), 8);

    for (i = 0; i < src->number; i++) {
        peer[i].next = (i + 1 < src->number) ? &peer[i + 1] : NULL;

        peer[i].sockaddr = (struct sockaddr *) p;
        memcpy(p, src->peer[i].sockaddr, src->peer[i].socklen);
        p += lt_align(src->peer[i].socklen, 8);
    }

    for (i = 0; i < src->number; i++) {
        peer[i].name.data = p;
        p = lt_cpymem(p, src->peer[i].name.data, src->peer[i].name.len);

        peer[i].server.data = p;
        p = lt_cpymem(p, src->peer[i].server.data, src->peer[i].server.len);
    }

    peers->name->len = src->name->len;
    peers->name->data = p;
    memcpy(p, src->name->data, src->name->len);

    peers->peer = peer;
    peers->next = NULL;
    peers->zone_next = NULL;
    peers->mutex = &shpool->mutex;
    peers->shm_zone = NULL;         /* the zone may outlive this cycle's zone struct */

    return peers;
}


/* lt_http_upstream_zone_same_group: a (in a zone) has the servers and
 * parameters of b (built from a configuration) */
static int
lt_http_upstream_zone_same_group(const lt_http_upstream_rr_peers_t *a,
    const lt_http_upstream_rr_peers_t *b)
{
    size_t                             i;
    const lt_http_upstream_rr_peer_t  *pa, *pb;

    if (a == NULL || b == NULL) {
        return a == b;
    }

    if (a->number != b->number || a->total_weight != b->total_weight
        || a->tries != b->tries || a->single != b->single)
    {
        return 0;
    }

    for (i = 0; i < a->number; i++) {
        pa = &a->peer[i];
        pb = &b->peer[i];

        if (pa->socklen != pb->socklen || memcmp(pa->sockaddr, pb->sockaddr, pa->socklen) != 0
            || !lt_http_upstream_zone_str_eq(&pa->name, &pb->name)
            || !lt_http_upstream_zone_str_eq(&pa->server, &pb->server)
            || pa->weight != pb->weight || pa->max_fails != pb->max_fails
            || pa->fail_timeout != pb->fail_timeout || pa->max_conns != pb->max_conns
            || pa->down != pb->down)
        {
            return 0;
        }
    }

    return 1;
}


/* lt_http_upstream_zone_matches: the groups chained from first (a zone's) are
 * those of the upstreams of umcf that use zone, in order */
static int
lt_http_upstream_zone_matches(lt_http_upstream_main_conf_t *umcf, lt_shm_zone_t *zone,
    const lt_http_upstream_rr_peers_t *first)
{
    size_t                              i;
    const lt_http_upstream_rr_peers_t  *old, *peers;
    lt_http_upstream_srv_conf_t       **uscfp;

    uscfp = umcf->upstreams.elts;
    old = first;

    for (i = 0; i < umcf->upstreams.nelts; i++) {
        if (uscfp[i]->shm_zone != zone || uscfp[i]->peer.data == NULL) {
            continue;
        }

        peers = uscfp[i]->peer.data;

        if (old == NULL || !lt_http_upstream_zone_str_eq(old->name, &uscfp[i]->host)
            || !lt_http_upstream_zone_same_group(old, peers)
            || !lt_http_upstream_zone_same_group(old->next, peers->next))
        {
            return 0;
        }

        old = old->zone_next;
    }

    return old == NULL;
}


/* lt_http_upstream_zone_postconf: whether each zone is kept across this
 * reload: only when the previous configuration's zone of that name, size and
 * owner holds exactly the groups this one builds */
static int
lt_http_upstream_zone_postconf(lt_conf_t *cf)
{
    lt_cycle_t                    *old_cycle;
    lt_list_iter_t                 it;
    lt_shm_zone_t                 *zone, *old;
    lt_slab_pool_t                *shpool;
    lt_http_upstream_main_conf_t  *umcf;

    umcf = lt_http_conf_get_module_main_conf(cf, lt_http_upstream_module);
    old_cycle = cf->cycle->old_cycle;

    lt_list_iter_init(&it, &cf->cycle->shared_memory);

    while ((zone = lt_list_iter_next(&it)) != NULL) {
        if (zone->tag != &lt_http_upstream_module) {
            continue;
        }

        zone->noreuse = 1;

        if (old_cycle == NULL || lt_is_init_cycle(old_cycle)) {
            continue;
        }

        old = lt_shm_zone_find(&old_cycle->shared_memory, &zone->shm.name, NULL);

        if (old == NULL || old->tag != zone->tag || old->shm.size != zone->shm.size
            || old->noreuse || old->shm.addr == NULL)
        {
            continue;
        }

        shpool = (lt_slab_pool_t *) old->shm.addr;

        if (lt_http_upstream_zone_matches(umcf, zone, shpool->data)) {
            zone->noreuse = 0;
        }
    }

    return LT_OK;
}


/* lt_http_upstream_zone_attach: an inherited zone: the upstreams take over
 * its groups, which lt_http_upstream_zone_postconf found equal to theirs */
static int
lt_http_upstream_zone_attach(lt_shm_zone_t *zone, lt_http_upstream_main_conf_t *umcf)
{
    size_t                          i;
    lt_slab_pool_t                 *shpool;
    lt_http_upstream_rr_peers_t    *peers;
    lt_http_upstream_srv_conf_t   **uscfp;

    shpool = (lt_slab_pool_t *) zone->shm.addr;

    if (!lt_http_upstream_zone_matches(umcf, zone, shpool->data)) {
        lt_log_error(LT_LOG_EMERG, zone->shm.log, 0,
                     "upstream zone \"%.*s\" does not match its upstreams",
                     (int) zone->shm.name.len, zone->shm.name.data);
        return LT_ERROR;
    }

    uscfp = umcf->upstreams.elts;
    peers = shpool->data;

    for (i = 0; i < umcf->upstreams.nelts; i++) {
        if (uscfp[i]->shm_zone != zone || uscfp[i]->peer.data == NULL) {
            continue;
        }

        uscfp[i]->peer.data = peers;
        peers = peers->zone_next;
    }

    return LT_OK;
}


/* lt_http_upstream_init_zone: the zone is mapped (master, before the workers):
 * the groups of every upstream that uses it move in, or, for a zone kept
 * across a reload, the upstreams take over the groups that are there */
static int
lt_http_upstream_init_zone(lt_shm_zone_t *zone, void *data)
{
    int                             rc;
    size_t                          i;
    lt_slab_pool_t                 *shpool;
    lt_http_upstream_rr_peers_t    *peers, *backup, *src, **last;
    lt_http_upstream_srv_conf_t   **uscfp, *uscf;
    lt_http_upstream_main_conf_t   *umcf;

    shpool = (lt_slab_pool_t *) zone->shm.addr;
    umcf = zone->data;

    /* the next reload may keep this zone (lt_http_upstream_zone_postconf decides) */
    zone->noreuse = 0;

    if (zone->shm.exists) {
        return lt_http_upstream_zone_attach(zone, umcf);
    }

    (void) data;

    uscfp = umcf->upstreams.elts;
    last = (lt_http_upstream_rr_peers_t **) &shpool->data;
    rc = LT_OK;

    lt_shmtx_lock(&shpool->mutex);

    for (i = 0; i < umcf->upstreams.nelts; i++) {
        uscf = uscfp[i];

        if (uscf->shm_zone != zone || uscf->peer.data == NULL) {
            continue;
        }

        src = uscf->peer.data;

        peers = lt_http_upstream_zone_copy(shpool, src);
        if (peers == NULL) {
            rc = LT_ERROR;
            break;
        }

        if (src->next) {
            backup = lt_http_upstream_zone_copy(shpool, src->next);
            if (backup == NULL) {
                rc = LT_ERROR;
                break;
            }

            peers->next = backup;
        }

        *last = peers;
        last = &peers->zone_next;

        uscf->peer.data = peers;
    }

    lt_shmtx_unlock(&shpool->mutex);

    if (rc != LT_OK) {
        lt_log_error(LT_LOG_EMERG, zone->shm.log, 0,
                     "upstream zone \"%.*s\" of %zu bytes is too small for its servers",
                     (int) zone->shm.name.len, zone->shm.name.data, zone->shm.size);
    }

    return rc;
}
