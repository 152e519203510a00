/*
 * upstream_hash.c: "hash KEY [consistent]" in an upstream{} block: the server
 * is chosen from the value of KEY (text with variables), so that equal keys go
 * to the same server. An empty key, or a group of one server, is plain round
 * robin.
 *
 * Without "consistent" the hash is that of Cache::Memcached (and nginx):
 * (crc32(KEY) >> 16) & 0x7fff, the server found by walking the weights; when it
 * is down, failed, full or already tried, the key is hashed again with the
 * attempt number in front (crc32("1" KEY) ...) and the result added to the
 * previous one. Adding or removing a server moves most keys.
 *
 * With "consistent" (ketama, as Cache::Memcached::Fast and nginx): every server
 * puts 160 points per unit of weight on a ring of 32-bit values, point j being
 * crc32(HOST "\0" PORT PREV) with PREV the previous point's four bytes (little
 * endian; zero for the first), HOST and PORT taken from the server line as
 * written ("unix:" paths have no port). A key goes to the server of the first
 * point at or after crc32(KEY); a miss moves on to the next point. Adding or
 * removing a server moves only the keys of its arcs. Several addresses of one
 * server line share its points and are balanced by smooth weighted round
 * robin.
 *
 * After 20 misses, round robin picks. Server parameters: weight, max_fails,
 * fail_timeout, down, max_conns; no backup.
 */

#include "lt_http.h"
#include "lt_http_upstream_round_robin.h"

#define LT_HTTP_UPSTREAM_HASH_TRIES     20
#define LT_HTTP_UPSTREAM_CHASH_POINTS   160     /* per unit of weight */

typedef struct {
    uint32_t                            hash;
    const lt_str_t                     *server;     /* the server line's name */
} lt_http_upstream_chash_point_t;

typedef struct {
    lt_http_complex_value_t             key;
    lt_http_upstream_chash_point_t     *points;     /* sorted, unique hashes */
    size_t                              npoints;
} lt_http_upstream_hash_srv_conf_t;

typedef struct {
    lt_http_upstream_rr_peer_data_t     rrp;        /* first: round robin's free() */
    lt_http_upstream_hash_srv_conf_t   *conf;
    lt_str_t                            key;
    unsigned                            tries;
    unsigned                            rehash;
    uint32_t                            hash;       /* chash: the point index */
} lt_http_upstream_hash_peer_data_t;


static void *lt_http_upstream_hash_create_conf(lt_conf_t *cf);
static char *lt_http_upstream_hash(lt_conf_t *cf, lt_command_t *cmd, void *conf);
static int lt_http_upstream_init_hash(lt_conf_t *cf, lt_http_upstream_srv_conf_t *us);
static int lt_http_upstream_init_hash_peer(lt_http_request_t *r,
    lt_http_upstream_srv_conf_t *us);
static int lt_http_upstream_get_hash_peer(lt_peer_connection_t *pc, void *data);
static int lt_http_upstream_init_chash(lt_conf_t *cf, lt_http_upstream_srv_conf_t *us);
static int lt_http_upstream_init_chash_peer(lt_http_request_t *r,
    lt_http_upstream_srv_conf_t *us);
static int lt_http_upstream_get_chash_peer(lt_peer_connection_t *pc, void *data);


static lt_command_t  lt_http_upstream_hash_commands[] = {

    { "hash", LT_CTX_UPSTREAM, 1, 2, lt_http_upstream_hash, LT_SRV_CONF, 0, NULL },

    lt_null_command
};


lt_module_t  lt_http_upstream_hash_module = {
    .name = "http_upstream_hash",
    .type = LT_HTTP_MODULE,
    .commands = lt_http_upstream_hash_commands,
    .create_srv_conf = lt_http_upstream_hash_create_conf,
};


/* lt_http_upstream_crc32_update: crc32 (IEEE, reflected) continued over more
 * bytes: crc is the running value before the final inversion (0xffffffff at
 * the start). Bit by bit: it runs at configuration time and on rehashes only */
static uint32_t
lt_http_upstream_crc32_update(uint32_t crc, const u_char *p, size_t len)
{
    unsigned  k;

    while (len--) {
        crc ^= *p++;

        for (k = 0; k < 8; k++) {
            crc = (crc >> 1) ^ (0xedb88320 & (0 - (crc & 1)));
        }
    }

    return crc;
}


/* plain hash */

static int
lt_http_upstream_init_hash(lt_conf_t *cf, lt_http_upstream_srv_conf_t *us)
{
    if (lt_http_upstream_init_round_robin(cf, us) != LT_OK) {
        return LT_ERROR;
    }

    us->peer.init = lt_http_upstream_init_hash_peer;

    return LT_OK;
}


static int
lt_http_upstream_init_hash_peer(lt_http_request_t *r, lt_http_upstream_srv_conf_t *us)
{
    lt_http_upstream_hash_srv_conf_t   *hcf;
    lt_http_upstream_hash_peer_data_t  *hp;

    hp = lt_palloc(r->pool, sizeof(lt_http_upstream_hash_peer_data_t));
    if (hp == NULL) {
        return LT_ERROR;
    }

    r->upstream->peer.data = &hp->rrp;

    if (lt_http_upstream_init_round_robin_peer(r, us) != LT_OK) {
        return LT_ERROR;
    }

    r->upstream->peer.get = lt_http_upstream_get_hash_peer;

    hcf = us->srv_conf[lt_http_upstream_hash_module.ctx_index];

    if (lt_http_complex_value(r, &hcf->key, &hp->key) != LT_OK) {
        return LT_ERROR;
    }

    lt_log_debug(r->connection->log, "upstream hash key:\"%.*s\"",
                 (int) hp->key.len, hp->key.data);

    hp->conf = hcf;
    hp->tries = 0;
    hp->rehash = 0;
    hp->hash = 0;

    return LT_OK;
}


/* lt_http_upstream_hash_step: the next value of the plain hash sequence */
static void
lt_http_upstream_hash_step(lt_http_upstream_hash_peer_data_t *hp)
{
    u_char    buf[LT_INT64_LEN];
    size_t    len;
    uint32_t  crc;

    if (hp->rehash == 0) {
        crc = lt_crc32(hp->key.data, hp->key.len);

    } else {
        len = (size_t) (lt_slprintf(buf, buf + sizeof(buf), "%u", hp->rehash) - buf);

        crc = lt_http_upstream_crc32_update(0xffffffff, buf, len);
        crc = lt_http_upstream_crc32_update(crc, hp->key.data, hp->key.len);
        crc ^= 0xffffffff;
    }

    hp->hash += (crc >> 16) & 0x7fff;
    hp->rehash++;
}


static int
lt_http_upstream_get_hash_peer(lt_peer_connection_t *pc, void *data)
{
    lt_http_upstream_hash_peer_data_t  *hp = data;

    size_t                        p;
    time_t                        now;
    unsigned                      w;
    lt_http_upstream_rr_peer_t   *peer;
    lt_http_upstream_rr_peers_t  *peers;

    peers = hp->rrp.peers;

    if (hp->tries > LT_HTTP_UPSTREAM_HASH_TRIES || peers->single || hp->key.len == 0) {
        return lt_http_upstream_get_round_robin_peer(pc, &hp->rrp);
    }

    pc->cached = 0;
    pc->connection = NULL;

    now = lt_time();

    lt_http_upstream_rr_peers_lock(peers);

    for ( ;; ) {
        lt_http_upstream_hash_step(hp);

        w = hp->hash % peers->total_weight;
        peer = peers->peer;
        p = 0;

        while (w >= (unsigned) peer->weight) {
            w -= (unsigned) peer->weight;
            peer = peer->next;
            p++;
        }

        if (!lt_http_upstream_rr_is_tried(&hp->rrp, p)
            && lt_http_upstream_rr_peer_usable(peer, now))
        {
            break;
        }

        if (++hp->tries > LT_HTTP_UPSTREAM_HASH_TRIES) {
            lt_http_upstream_rr_peers_unlock(peers);
            return lt_http_upstream_get_round_robin_peer(pc, &hp->rrp);
        }
    }

    lt_log_debug(pc->log, "get hash peer, value:%u, peer:%zu",
                 (unsigned) hp->hash, p);

    lt_http_upstream_rr_use_peer(pc, &hp->rrp, peer, p, now);

    lt_http_upstream_rr_peers_unlock(peers);

    return LT_OK;
}


/* consistent hash */

static int
lt_http_upstream_chash_cmp_points(const void *one, const void *two)
{
    const lt_http_upstream_chash_point_t  *a = one, *b = two;

    return (a->hash > b->hash) - (a->hash < b->hash);
}


/* lt_http_upstream_chash_split: HOST and PORT of a server line's name: a
 * trailing ":digits" is the port; "unix:PATH" is the path without a port */
static void
lt_http_upstream_chash_split(const lt_str_t *server, lt_str_t *host, lt_str_t *port)
{
    size_t  j;
    u_char  c;

    port->len = 0;
    port->data = NULL;

    if (server->len >= 5 && lt_strncasecmp(server->data, (u_char *) "unix:", 5) == 0) {
        host->data = server->data + 5;
        host->len = server->len - 5;
        return;
    }

    host->data = server->data;
    host->len = server->len;

    for (j = 0; j < server->len; j++) {
        c = server->data[server->len - j - 1];

        if (c == ':') {
            host->len = server->len - j - 1;
            port->data = server->data + server->len - j;
            port->len = j;
            return;
        }

        if (c < '0' || c > '9') {
            return;
        }
    }
}


static int
lt_http_upstream_init_chash(lt_conf_t *cf, lt_http_upstream_srv_conf_t *us)
{
    size_t                              n, i, j, npoints;
    uint32_t                            base, hash;
    u_char                              prev[4];
    lt_str_t                            host, port;
    lt_http_upstream_rr_peer_t         *peer;
    lt_http_upstream_rr_peers_t        *peers;
    lt_http_upstream_chash_point_t     *points;
    lt_http_upstream_hash_srv_conf_t   *hcf;

    if (lt_http_upstream_init_round_robin(cf, us) != LT_OK) {
        return LT_ERROR;
    }

    us->peer.init = lt_http_upstream_init_chash_peer;

    hcf = us->srv_conf[lt_http_upstream_hash_module.ctx_index];

    /* the points name servers by the configuration's strings, which the
     * peers keep when "zone" copies them: the ring is built once, here */
    peers = us->peer.data;
    npoints = (size_t) peers->total_weight * LT_HTTP_UPSTREAM_CHASH_POINTS;

    points = lt_palloc(cf->pool, sizeof(lt_http_upstream_chash_point_t) * (npoints + 1));
    if (points == NULL) {
        return LT_ERROR;
    }

    n = 0;

    for (peer = peers->peer; peer; peer = peer->next) {
        lt_http_upstream_chash_split(&peer->server, &host, &port);

        base = lt_http_upstream_crc32_update(0xffffffff, host.data, host.len);
        base = lt_http_upstream_crc32_update(base, (u_char *) "", 1);
        base = lt_http_upstream_crc32_update(base, port.data, port.len);

        lt_memzero(prev, sizeof(prev));

        for (j = 0; j < (size_t) peer->weight * LT_HTTP_UPSTREAM_CHASH_POINTS; j++) {
            hash = lt_http_upstream_crc32_update(base, prev, 4) ^ 0xffffffff;

            points[n].hash = hash;
            points[n].server = &peer->server;
            n++;

            prev[0] = (u_char) (hash & 0xff);
            prev[1] = (u_char) ((hash >> 8) & 0xff);
            prev[2] = (u_char) ((hash >> 16) & 0xff);
            prev[3] = (u_char) ((hash >> 24) & 0xff);
        }
    }

    qsort(points, n, sizeof(lt_http_upstream_chash_point_t), lt_http_upstream_chash_cmp_points);

    /* equal hashes: the first one stays */
    for (i = 0, j = 1; j < n; j++) {
        if (points[i].hash != points[j].hash) {
            points[++i] = points[j];
        }
    }

    hcf->points = points;
    hcf->npoints = n ? i + 1 : 0;

    return LT_OK;
}


/* lt_http_upstream_chash_find: the index of the first point >= hash (npoints
 * when there is none: the ring wraps with the modulo in get) */
static size_t
lt_http_upstream_chash_find(const lt_http_upstream_hash_srv_conf_t *hcf, uint32_t hash)
{
    size_t  lo, hi, mid;

    lo = 0;
    hi = hcf->npoints;

    while (lo < hi) {
        mid = lo + (hi - lo) / 2;

        if (hcf->points[mid].hash < hash) {
            lo = mid + 1;

        } else {
            hi = mid;
        }
    }

    return lo;
}


static int
lt_http_upstream_init_chash_peer(lt_http_request_t *r, lt_http_upstream_srv_conf_t *us)
{
    lt_http_upstream_hash_peer_data_t  *hp;

    if (lt_http_upstream_init_hash_peer(r, us) != LT_OK) {
        return LT_ERROR;
    }

    r->upstream->peer.get = lt_http_upstream_get_chash_peer;

    hp = r->upstream->peer.data;

    if (hp->conf->npoints) {
        hp->hash = (uint32_t) lt_http_upstream_chash_find(hp->conf,
                                                          lt_crc32(hp->key.data, hp->key.len));
    }

    return LT_OK;
}


static int
lt_http_upstream_get_chash_peer(lt_peer_connection_t *pc, void *data)
{
    lt_http_upstream_hash_peer_data_t  *hp = data;

    int                                 total;
    size_t                              i, best_i;
    time_t                              now;
    const lt_str_t                     *server;
    lt_http_upstream_rr_peer_t         *peer, *best;
    lt_http_upstream_rr_peers_t        *peers;
    lt_http_upstream_hash_srv_conf_t   *hcf;

    peers = hp->rrp.peers;
    hcf = hp->conf;

    if (hp->tries > LT_HTTP_UPSTREAM_HASH_TRIES || peers->single || hp->key.len == 0
        || hcf->npoints == 0)
    {
        return lt_http_upstream_get_round_robin_peer(pc, &hp->rrp);
    }

    pc->cached = 0;
    pc->connection = NULL;

    now = lt_time();

    lt_http_upstream_rr_peers_lock(peers);

    for ( ;; ) {
        server = hcf->points[hp->hash % hcf->npoints].server;

        best = NULL;
        best_i = 0;
        total = 0;

        for (peer = peers->peer, i = 0; peer; peer = peer->next, i++) {

            if (peer->server.len != server->len
                || memcmp(peer->server.data, server->data, server->len) != 0
                || lt_http_upstream_rr_is_tried(&hp->rrp, i)
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
                best_i = i;
            }
        }

        if (best) {
            best->current_weight -= total;
            break;
        }

        hp->hash++;

        if (++hp->tries > LT_HTTP_UPSTREAM_HASH_TRIES) {
            lt_http_upstream_rr_peers_unlock(peers);
            return lt_http_upstream_get_round_robin_peer(pc, &hp->rrp);
        }
    }

    lt_log_debug(pc->log, "get consistent hash peer:%u, server:\"%.*s\"",
                 (unsigned) hp->hash, (int) server->len, server->data);

    lt_http_upstream_rr_use_peer(pc, &hp->rrp, best, best_i, now);

    lt_http_upstream_rr_peers_unlock(peers);

    return LT_OK;
}


/* configuration */

static void *
lt_http_upstream_hash_create_conf(lt_conf_t *cf)
{
    return lt_pcalloc(cf->pool, sizeof(lt_http_upstream_hash_srv_conf_t));
}


static char *
lt_http_upstream_hash(lt_conf_t *cf, lt_command_t *cmd, void *conf)
{
    lt_http_upstream_hash_srv_conf_t  *hcf = conf;

    lt_str_t                          *value;
    lt_http_upstream_srv_conf_t       *uscf;
    lt_http_compile_complex_value_t    ccv;

    value = cf->args->elts;

    lt_memzero(&ccv, sizeof(lt_http_compile_complex_value_t));

    ccv.cf = cf;
    ccv.value = &value[1];
    ccv.complex_value = &hcf->key;

    if (lt_http_compile_complex_value(&ccv) != LT_OK) {
        return LT_CONF_ERROR;
    }

    uscf = lt_http_conf_get_module_srv_conf(cf, lt_http_upstream_module);

    if (uscf->peer.init_upstream) {
        lt_conf_log_error(LT_LOG_WARN, cf, 0, "load balancing method redefined");
    }

    uscf->flags = LT_HTTP_UPSTREAM_CREATE | LT_HTTP_UPSTREAM_WEIGHT
                  | LT_HTTP_UPSTREAM_MAX_CONNS | LT_HTTP_UPSTREAM_MAX_FAILS
                  | LT_HTTP_UPSTREAM_FAIL_TIMEOUT | LT_HTTP_UPSTREAM_DOWN;

    if (cf->args->nelts == 2) {
        uscf->peer.init_upstream = lt_http_upstream_init_hash;

    } else if (lt_str_eq(&value[2], "consistent")) {
        uscf->peer.init_upstream = lt_http_upstream_init_chash;

    } else {
        lt_conf_log_error(LT_LOG_EMERG, cf, 0, "invalid parameter \"%.*s\"",
                          (int) value[2].len, value[2].data);
        return LT_CONF_ERROR;
    }

    return LT_CONF_OK;
}
