/*
 * test_upstream_balancers.c: the balancers' choices without a network: smooth
 * weighted round robin (order, weights, failures and their expiry, max_conns,
 * backup servers, the single server), least_conn (weighted counts, backup),
 * ip_hash and hash (nginx's functions, recomputed here), the consistent hash
 * ring (the incremental crc32, 160 points per weight unit, sorted and unique),
 * random (odds by weight, down servers, "two" takes the less loaded), and the
 * zone copy (one array in shared memory, linked in order, with the zone's
 * lock, still usable by get/free).
 *
 * The balancer modules are compiled in here to reach their static functions;
 * an archive member is never pulled in for symbols that are already defined.
 */

#include "lt_http.h"
#include "lt_http_upstream_round_robin.h"
#include "tap.h"

#include "lt_http_upstream_round_robin.c"
#include "upstream_least_conn.c"
#include "upstream_ip_hash.c"
#include "upstream_hash.c"
#include "upstream_random.c"
#include "upstream_zone.c"

static lt_log_t      lt_test_log;
static lt_cycle_t    lt_test_cycle;
static lt_pool_t    *lt_test_pool;


static void
lt_test_writer(lt_log_t *log, unsigned level, u_char *buf, size_t len)
{
    (void) log;
    (void) level;
    (void) buf;
    (void) len;
}


static void
lt_test_setup(void)
{
    size_t  n;

    lt_pid = getpid();
    lt_pagesize = (size_t) getpagesize();

    for (n = lt_pagesize, lt_pagesize_shift = 0; n >>= 1; lt_pagesize_shift++) {
        /* void */
    }

    lt_slab_sizes_init();
    lt_time_init();
    lt_use_stderr = 0;

    /* the modules' ctx_index: each balancer's conf has its own slot */
    lt_preinit_modules();

    lt_test_log.log_level = LT_LOG_INFO;
    lt_test_log.writer = lt_test_writer;
    lt_test_cycle.log = &lt_test_log;
    lt_cycle = &lt_test_cycle;

    lt_test_pool = lt_create_pool(16384, &lt_test_log);
}


/* an upstream{} of servers "127.0.0.1:port weight=w [backup] [down] ..." */
typedef struct {
    int       port;
    unsigned  weight;
    unsigned  max_fails;
    unsigned  max_conns;
    unsigned  backup:1;
    unsigned  down:1;
} lt_test_server_t;


static lt_http_upstream_srv_conf_t *
lt_test_upstream(const lt_test_server_t *def, size_t n, lt_http_upstream_init_pt init)
{
    size_t                        i;
    lt_conf_t                     cf;
    lt_addr_t                    *addr;
    socklen_t                     len;
    struct sockaddr_storage       ss;
    lt_http_upstream_server_t    *us;
    lt_http_upstream_srv_conf_t  *uscf;
    static u_char                 name[] = "up";

    uscf = lt_pcalloc(lt_test_pool, sizeof(lt_http_upstream_srv_conf_t));
    uscf->servers = lt_array_create(lt_test_pool, n, sizeof(lt_http_upstream_server_t));
    uscf->host.data = name;
    uscf->host.len = 2;
    uscf->file_name = name;

    /* every balancer's srv conf slot, as an upstream{} block has */
    uscf->srv_conf = lt_pcalloc(lt_test_pool, 64 * sizeof(void *));
    uscf->srv_conf[lt_http_upstream_hash_module.ctx_index] =
        lt_http_upstream_hash_create_conf(&(lt_conf_t) { .pool = lt_test_pool });
    uscf->srv_conf[lt_http_upstream_random_module.ctx_index] =
        lt_http_upstream_random_create_conf(&(lt_conf_t) { .pool = lt_test_pool });

    for (i = 0; i < n; i++) {
        us = lt_array_push(uscf->servers);
        lt_memzero(us, sizeof(lt_http_upstream_server_t));

        addr = lt_pcalloc(lt_test_pool, sizeof(lt_addr_t));
        (void) lt_parse_addr((u_char *) "127.0.0.1", 9, &ss, &len);
        lt_inet_set_port((struct sockaddr *) &ss, (in_port_t) def[i].port);
        addr->sockaddr = lt_palloc(lt_test_pool, len);
        memcpy(addr->sockaddr, &ss, len);
        addr->socklen = len;
        addr->name.data = lt_pnalloc(lt_test_pool, 16);
        addr->name.len = (size_t) (lt_slprintf(addr->name.data, addr->name.data + 16,
                                               "127.0.0.1:%d", def[i].port)
                                   - addr->name.data);

        us->name = addr->name;
        us->addrs = addr;
        us->naddrs = 1;
        us->weight = def[i].weight ? def[i].weight : 1;
        us->max_fails = def[i].max_fails;
        us->max_conns = def[i].max_conns;
        us->fail_timeout = 10;
        us->backup = def[i].backup;
        us->down = def[i].down;
    }

    lt_memzero(&cf, sizeof(lt_conf_t));
    cf.pool = lt_test_pool;
    cf.temp_pool = lt_test_pool;
    cf.log = &lt_test_log;

    if (init(&cf, uscf) != LT_OK) {
        return NULL;
    }

    return uscf;
}


/* a request's round robin data over the upstream's groups */
static void
lt_test_request(lt_http_upstream_rr_peer_data_t *rrp, lt_peer_connection_t *pc,
    lt_http_upstream_srv_conf_t *uscf)
{
    lt_memzero(pc, sizeof(lt_peer_connection_t));
    rrp->peers = uscf->peer.data;
    rrp->current = NULL;
    rrp->tried = &rrp->data;
    rrp->data = 0;
    pc->tries = lt_http_upstream_tries(rrp->peers);
    pc->log = &lt_test_log;
}


/* the port of the peer chosen, or 0 for LT_BUSY */
static int
lt_test_port(int rc, lt_peer_connection_t *pc)
{
    if (rc != LT_OK) {
        return 0;
    }

    return lt_inet_get_port(pc->sockaddr);
}


/* n round robin picks, each freed as state; the ports as "1 1 2 ..." */
static const char *
lt_test_rr_seq(lt_http_upstream_srv_conf_t *uscf, size_t n, unsigned state)
{
    size_t                           i;
    static char                      out[1024];
    char                            *p;
    lt_peer_connection_t             pc;
    lt_http_upstream_rr_peer_data_t  rrp;

    p = out;
    *p = '\0';

    for (i = 0; i < n; i++) {
        lt_test_request(&rrp, &pc, uscf);
        p += sprintf(p, "%s%d", i ? " " : "",
                     lt_test_port(lt_http_upstream_get_round_robin_peer(&pc, &rrp), &pc));
        if (rrp.current) {
            lt_http_upstream_free_round_robin_peer(&pc, &rrp, state);
        }
    }

    return out;
}


static void
lt_test_round_robin(void)
{
    lt_peer_connection_t              pc;
    lt_http_upstream_rr_peer_t       *a;
    lt_http_upstream_rr_peers_t      *peers;
    lt_http_upstream_srv_conf_t      *uscf;
    lt_http_upstream_rr_peer_data_t   rrp;

    static const lt_test_server_t smooth[] = { { 1, 5, 1, 0, 0, 0 }, { 2, 1, 1, 0, 0, 0 },
                                               { 3, 1, 1, 0, 0, 0 } };
    static const lt_test_server_t bk[] = { { 1, 1, 1, 0, 0, 0 }, { 2, 1, 1, 0, 0, 0 },
                                           { 8, 1, 1, 0, 1, 0 }, { 9, 1, 1, 0, 1, 0 } };
    static const lt_test_server_t one[] = { { 1, 1, 1, 1, 0, 0 } };
    static const lt_test_server_t onebk[] = { { 1, 1, 1, 0, 0, 0 }, { 9, 1, 1, 0, 1, 0 } };

    uscf = lt_test_upstream(smooth, 3, lt_http_upstream_init_round_robin);
    ok(uscf != NULL, "round robin: peers built");
    peers = uscf->peer.data;
    ok(peers->number == 3 && peers->total_weight == 7 && peers->weighted && !peers->single
       && peers->next == NULL, "round robin: group counts");
    ok(peers->peer[1].next == &peers->peer[2] && peers->peer[2].next == NULL,
       "round robin: peers are one array linked in order");

    ok(strcmp(lt_test_rr_seq(uscf, 14, 0), "1 1 2 1 3 1 1 1 1 2 1 3 1 1") == 0,
       "round robin: smooth order of 5,1,1");

    /* a failure takes peer 1 out (max_fails=1) and lowers its weight */
    lt_test_request(&rrp, &pc, uscf);
    is_int(lt_test_port(lt_http_upstream_get_round_robin_peer(&pc, &rrp), &pc), 1,
           "round robin: first pick");
    lt_http_upstream_free_round_robin_peer(&pc, &rrp, LT_PEER_FAILED);
    a = &peers->peer[0];
    ok(a->fails == 1 && a->effective_weight == 0 && a->conns == 0,
       "failure counted, weight lowered, connection released");
    is_int(pc.tries, 2, "a try used up");
    is_int(lt_test_port(lt_http_upstream_get_round_robin_peer(&pc, &rrp), &pc) != 1, 1,
           "the next try: another peer");
    lt_http_upstream_free_round_robin_peer(&pc, &rrp, 0);

    ok(strstr(lt_test_rr_seq(uscf, 10, 0), "1") == NULL, "failed peer out for fail_timeout");

    /* fail_timeout over: one probe, whose success forgets the failures */
    a->checked -= 11;
    a->accessed -= 11;
    lt_test_request(&rrp, &pc, uscf);
    while (lt_test_port(lt_http_upstream_get_round_robin_peer(&pc, &rrp), &pc) != 1) {
        lt_http_upstream_free_round_robin_peer(&pc, &rrp, 0);
        lt_test_request(&rrp, &pc, uscf);
    }
    ok(a->checked == lt_time(), "probe: checked now");
    lt_http_upstream_free_round_robin_peer(&pc, &rrp, 0);
    is_int(a->fails, 0, "probe succeeded: failures forgotten");

    /* backup servers */
    uscf = lt_test_upstream(bk, 4, lt_http_upstream_init_round_robin);
    peers = uscf->peer.data;
    ok(peers->next && peers->next->number == 2 && lt_http_upstream_tries(peers) == 4,
       "backup group");
    ok(strcmp(lt_test_rr_seq(uscf, 4, 0), "1 2 1 2") == 0, "backup unused");
    peers->peer[0].down = 1;
    peers->peer[1].max_conns = 1;
    peers->peer[1].conns = 1;
    ok(strcmp(lt_test_rr_seq(uscf, 4, 0), "8 9 8 9") == 0,
       "primaries down or full: backup servers in turn");
    ok(peers->peer[1].conns == 1 && peers->next->peer[0].conns == 0, "counts kept right");
    peers->next->peer[0].down = 1;
    peers->next->peer[1].down = 1;
    lt_test_request(&rrp, &pc, uscf);
    is_int(lt_http_upstream_get_round_robin_peer(&pc, &rrp), LT_BUSY, "all unusable: busy");
    ok(pc.name == &uscf->host, "busy: the upstream's name");

    /* one server: never taken out, max_conns still holds */
    uscf = lt_test_upstream(one, 1, lt_http_upstream_init_round_robin);
    ok(((lt_http_upstream_rr_peers_t *) uscf->peer.data)->single, "one server: single");
    ok(strcmp(lt_test_rr_seq(uscf, 3, LT_PEER_FAILED), "1 1 1") == 0,
       "single: failures do not take it out");
    lt_test_request(&rrp, &pc, uscf);
    lt_http_upstream_get_round_robin_peer(&pc, &rrp);
    ok(pc.tries == 1, "single: one try");
    is_int(lt_http_upstream_get_round_robin_peer(&pc, &rrp), LT_BUSY,
           "single with max_conns=1 in use: busy");
    lt_http_upstream_free_round_robin_peer(&pc, &rrp, 0);
    ok(pc.tries == 0, "single: no next try");

    uscf = lt_test_upstream(onebk, 2, lt_http_upstream_init_round_robin);
    ok(!((lt_http_upstream_rr_peers_t *) uscf->peer.data)->single,
       "one server and a backup: not single");
    ok(strcmp(lt_test_rr_seq(uscf, 3, LT_PEER_FAILED), "1 9 0") == 0,
       "one server and a backup: fails over, then none is left");
}


static void
lt_test_least_conn(void)
{
    lt_peer_connection_t              pc;
    lt_http_upstream_rr_peers_t      *peers;
    lt_http_upstream_srv_conf_t      *uscf;
    lt_http_upstream_rr_peer_data_t   rrp;

    static const lt_test_server_t lc[] = { { 1, 2, 1, 0, 0, 0 }, { 2, 1, 1, 0, 0, 0 },
                                           { 9, 1, 1, 0, 1, 0 } };

    uscf = lt_test_upstream(lc, 3, lt_http_upstream_init_least_conn);
    peers = uscf->peer.data;

    peers->peer[0].conns = 3;
    peers->peer[1].conns = 2;
    lt_test_request(&rrp, &pc, uscf);
    is_int(lt_test_port(lt_http_upstream_get_least_conn_peer(&pc, &rrp), &pc), 1,
           "least_conn: 3 on weight 2 is less than 2 on weight 1");
    is_int(peers->peer[0].conns, 4, "least_conn: counted");
    lt_http_upstream_free_round_robin_peer(&pc, &rrp, 0);

    peers->peer[0].conns = 4;
    lt_test_request(&rrp, &pc, uscf);
    lt_http_upstream_get_least_conn_peer(&pc, &rrp);
    lt_http_upstream_free_round_robin_peer(&pc, &rrp, 0);
    lt_test_request(&rrp, &pc, uscf);
    lt_http_upstream_get_least_conn_peer(&pc, &rrp);
    lt_http_upstream_free_round_robin_peer(&pc, &rrp, 0);
    ok(peers->peer[0].conns == 4 && peers->peer[1].conns == 2,
       "least_conn: ties share by round robin, counts restored");

    peers->peer[0].down = 1;
    peers->peer[1].max_conns = 2;
    lt_test_request(&rrp, &pc, uscf);
    is_int(lt_test_port(lt_http_upstream_get_least_conn_peer(&pc, &rrp), &pc), 9,
           "least_conn: the backup when no primary is usable");
    lt_http_upstream_free_round_robin_peer(&pc, &rrp, 0);
    peers->next->peer[0].down = 1;
    lt_test_request(&rrp, &pc, uscf);
    is_int(lt_http_upstream_get_least_conn_peer(&pc, &rrp), LT_BUSY, "least_conn: busy");
}


static const char *
lt_test_letter(int port)
{
    return port == 1 ? "A" : port == 2 ? "B" : port == 3 ? "C" : "?";
}


static void
lt_test_hashes(void)
{
    int                                    i, ok_all;
    unsigned                               h, w, n;
    uint32_t                               crc;
    u_char                                 buf[64];
    struct sockaddr_in                     sin;
    lt_peer_connection_t                   pc;
    lt_http_upstream_srv_conf_t           *uscf;
    lt_http_upstream_hash_srv_conf_t      *hcf;
    lt_http_upstream_hash_peer_data_t      hp;
    lt_http_upstream_ip_hash_peer_data_t   iphp;

    static const lt_test_server_t abc[] = { { 1, 1, 1, 0, 0, 0 }, { 2, 2, 1, 0, 0, 0 },
                                            { 3, 1, 1, 0, 0, 0 } };

    /* the incremental crc32 continues lt_crc32 */
    crc = lt_http_upstream_crc32_update(0xffffffff, (u_char *) "1234", 4);
    crc = lt_http_upstream_crc32_update(crc, (u_char *) "56789", 5) ^ 0xffffffff;
    is_int(crc, 0xcbf43926, "crc32 in two parts");

    /* ip_hash: h = (h * 113 + byte) % 6271 from 89 over 3 octets, by weight */
    uscf = lt_test_upstream(abc, 3, lt_http_upstream_init_ip_hash);
    sin.sin_family = AF_INET;
    ok_all = 1;

    for (i = 0; i < 50; i++) {
        sin.sin_addr.s_addr = htonl(0x0a000001 + ((unsigned) i << 8));

        lt_test_request(&iphp.rrp, &pc, uscf);
        iphp.addr = (u_char *) &sin.sin_addr.s_addr;
        iphp.addrlen = 3;
        iphp.hash = 89;
        iphp.tries = 0;

        h = 89;
        for (n = 0; n < 3; n++) {
            h = (h * 113 + iphp.addr[n]) % 6271;
        }
        w = h % 4;

        if (lt_test_port(lt_http_upstream_get_ip_hash_peer(&pc, &iphp), &pc)
            != (w < 1 ? 1 : w < 3 ? 2 : 3))
        {
            ok_all = 0;
        }

        lt_http_upstream_free_round_robin_peer(&pc, &iphp.rrp, 0);
    }

    ok(ok_all, "ip_hash: nginx's function with weights");

    /* hash: ((crc32(key) >> 16) & 0x7fff) % total weight, by weight */
    uscf = lt_test_upstream(abc, 3, lt_http_upstream_init_hash);
    ok_all = 1;

    for (i = 0; i < 50; i++) {
        lt_test_request(&hp.rrp, &pc, uscf);
        hp.key.data = buf;
        hp.key.len = (size_t) (lt_slprintf(buf, buf + sizeof(buf), "key%d", i) - buf);
        hp.tries = 0;
        hp.rehash = 0;
        hp.hash = 0;

        w = ((lt_crc32(buf, hp.key.len) >> 16) & 0x7fff) % 4;

        if (lt_test_port(lt_http_upstream_get_hash_peer(&pc, &hp), &pc)
            != (w < 1 ? 1 : w < 3 ? 2 : 3))
        {
            ok_all = 0;
        }

        lt_http_upstream_free_round_robin_peer(&pc, &hp.rrp, 0);
    }

    ok(ok_all, "hash: Cache::Memcached's function with weights");

    /* the rehash: crc32("1" KEY) added, when the first server cannot be used */
    ((lt_http_upstream_rr_peers_t *) uscf->peer.data)->peer[1].down = 1;

    for (i = 0; i < 100; i++) {
        hp.key.len = (size_t) (lt_slprintf(buf, buf + sizeof(buf), "key%d", i) - buf);
        w = ((lt_crc32(buf, hp.key.len) >> 16) & 0x7fff) % 4;
        if (w >= 1 && w < 3) {
            break;      /* a key of B */
        }
    }

    lt_test_request(&hp.rrp, &pc, uscf);
    hp.key.data = buf;
    hp.tries = hp.rehash = hp.hash = 0;

    w = (lt_crc32(buf, hp.key.len) >> 16) & 0x7fff;

    for (n = 1; n < 20; n++) {
        u_char  rb[80];
        size_t  rl;

        rl = (size_t) (lt_slprintf(rb, rb + sizeof(rb), "%u%.*s", n, (int) hp.key.len, buf) - rb);
        w += (lt_crc32(rb, rl) >> 16) & 0x7fff;

        if (w % 4 < 1 || w % 4 >= 3) {
            break;
        }
    }

    is_int(lt_test_port(lt_http_upstream_get_hash_peer(&pc, &hp), &pc), w % 4 < 1 ? 1 : 3,
           "hash: rehash with the attempt number in front");
    lt_http_upstream_free_round_robin_peer(&pc, &hp.rrp, 0);

    /* the consistent ring */
    uscf = lt_test_upstream(abc, 3, lt_http_upstream_init_chash);
    hcf = uscf->srv_conf[lt_http_upstream_hash_module.ctx_index];
    ok(hcf->npoints > 630 && hcf->npoints <= 640, "ring: 160 points per weight unit (%zu)",
       hcf->npoints);

    ok_all = 1;
    for (n = 1; n < hcf->npoints; n++) {
        if (hcf->points[n - 1].hash >= hcf->points[n].hash) {
            ok_all = 0;
        }
    }
    ok(ok_all, "ring: sorted, no equal points");

    /* the first point of A: crc32("127.0.0.1" "\0" "1" 00 00 00 00) */
    memcpy(buf, "127.0.0.1\0" "1\0\0\0\0", 15);
    crc = lt_crc32(buf, 15);
    ok_all = 0;
    for (n = 0; n < hcf->npoints; n++) {
        if (hcf->points[n].hash == crc && hcf->points[n].server->len == 11
            && memcmp(hcf->points[n].server->data, "127.0.0.1:1", 11) == 0)
        {
            ok_all = 1;
        }
    }
    ok(ok_all, "ring: a server's first point");

    /* a key goes to the first point at or after its crc32, wrapping */
    ok_all = 1;
    for (i = 0; i < 50; i++) {
        lt_test_request(&hp.rrp, &pc, uscf);
        hp.key.data = buf;
        hp.key.len = (size_t) (lt_slprintf(buf, buf + sizeof(buf), "k%d", i) - buf);
        hp.tries = hp.rehash = 0;
        hp.conf = hcf;
        crc = lt_crc32(buf, hp.key.len);
        hp.hash = (uint32_t) lt_http_upstream_chash_find(hcf, crc);

        for (n = 0; n < hcf->npoints && hcf->points[n].hash < crc; n++) { /* void */ }

        if (strcmp(lt_test_letter(lt_test_port(lt_http_upstream_get_chash_peer(&pc, &hp), &pc)),
                   lt_test_letter(hcf->points[n % hcf->npoints].server->data[10] - '0'))
            != 0)
        {
            ok_all = 0;
        }

        lt_http_upstream_free_round_robin_peer(&pc, &hp.rrp, 0);
    }
    ok(ok_all, "consistent: the key's point");
}


static void
lt_test_random(void)
{
    int                                   i;
    unsigned                              count[4];
    lt_peer_connection_t                  pc;
    lt_http_upstream_rr_peers_t          *peers;
    lt_http_upstream_srv_conf_t          *uscf;
    lt_http_upstream_random_peer_data_t   rp;

    static const lt_test_server_t rs[] = { { 1, 1, 1, 0, 0, 0 }, { 2, 3, 1, 0, 0, 0 },
                                           { 3, 2, 1, 0, 0, 1 } };

    srandom(42);

    uscf = lt_test_upstream(rs, 3, lt_http_upstream_init_random);
    peers = uscf->peer.data;
    rp.conf = uscf->srv_conf[lt_http_upstream_random_module.ctx_index];
    ok(rp.conf->nranges == 3 && rp.conf->ranges[1] == 1 && rp.conf->ranges[2] == 4,
       "random: ranges by weight");

    memset(count, 0, sizeof(count));
    for (i = 0; i < 4000; i++) {
        lt_test_request(&rp.rrp, &pc, uscf);
        rp.tries = 0;
        count[lt_test_port(lt_http_upstream_get_random_peer(&pc, &rp), &pc)]++;
        lt_http_upstream_free_round_robin_peer(&pc, &rp.rrp, 0);
    }
    ok(count[3] == 0 && count[0] == 0, "random: never the down server");
    ok(count[2] > 2700 && count[2] < 3300, "random: odds by weight (%u of 4000 for 3:1)",
       count[2]);

    peers->peer[0].conns = 5;
    peers->peer[1].conns = 16;     /* 16/3 > 5/1 */
    rp.conf->two = 1;
    memset(count, 0, sizeof(count));
    for (i = 0; i < 100; i++) {
        lt_test_request(&rp.rrp, &pc, uscf);
        rp.tries = 0;
        count[lt_test_port(lt_http_upstream_get_random2_peer(&pc, &rp), &pc)]++;
        lt_http_upstream_free_round_robin_peer(&pc, &rp.rrp, 0);
    }
    /* 20 draws without both of them fall back to round robin, as in nginx */
    ok(count[1] >= 90, "random two: the less loaded, weights considered (%u of 100)",
       count[1]);
    ok(peers->peer[0].conns == 5 && peers->peer[1].conns == 16, "random two: counts restored");
}


static int
lt_test_str_eq(const lt_str_t *s, const char *text)
{
    return s->len == strlen(text) && memcmp(s->data, text, s->len) == 0;
}


static void
lt_test_zone(void)
{
    size_t                            i;
    lt_shm_zone_t                     zn;
    lt_slab_pool_t                   *sp;
    lt_peer_connection_t              pc;
    lt_http_upstream_rr_peers_t      *src, *peers;
    lt_http_upstream_srv_conf_t      *uscf;
    lt_http_upstream_main_conf_t      umcf;
    lt_http_upstream_rr_peer_data_t   rrp;

    static const lt_test_server_t zs[] = { { 1, 1, 2, 0, 0, 0 }, { 2, 1, 2, 0, 0, 0 },
                                           { 3, 1, 2, 0, 0, 0 }, { 9, 1, 1, 0, 1, 0 } };

    uscf = lt_test_upstream(zs, 4, lt_http_upstream_init_round_robin);
    src = uscf->peer.data;

    memset(&zn, 0, sizeof(lt_shm_zone_t));
    zn.shm.size = 64 * 1024;
    zn.shm.name.data = (u_char *) "z";
    zn.shm.name.len = 1;
    zn.shm.log = &lt_test_log;

    if (lt_shm_alloc(&zn.shm) != LT_OK || lt_init_zone_pool(&lt_test_cycle, &zn) != LT_OK) {
        ok(0, "zone mapped");
        return;
    }

    sp = (lt_slab_pool_t *) zn.shm.addr;

    lt_memzero(&umcf, sizeof(umcf));
    lt_array_init(&umcf.upstreams, lt_test_pool, 1, sizeof(lt_http_upstream_srv_conf_t *));
    *(lt_http_upstream_srv_conf_t **) lt_array_push(&umcf.upstreams) = uscf;
    uscf->shm_zone = &zn;
    zn.data = &umcf;

    is_int(lt_http_upstream_init_zone(&zn, NULL), LT_OK, "zone: groups copied");

    peers = uscf->peer.data;
    ok(peers != src && (u_char *) peers >= sp->start && (u_char *) peers < sp->end
       && (u_char *) peers->peer >= sp->start && peers->next
       && (u_char *) peers->next->peer >= sp->start, "zone: peer.data in the zone");

    for (i = 0; i + 1 < peers->number; i++) {
        if (peers->peer[i].next != &peers->peer[i + 1]) {
            break;
        }
    }
    ok(i + 1 == peers->number && peers->peer[i].next == NULL && peers->number == 3
       && peers->next->number == 1 && peers->next->peer->next == NULL,
       "zone: one array, linked in order");
    ok(peers->mutex == &sp->mutex && peers->next->mutex == &sp->mutex,
       "zone: the zone's lock");
    ok((u_char *) peers->peer[2].sockaddr > sp->start
       && memcmp(peers->peer[2].sockaddr, src->peer[2].sockaddr, src->peer[2].socklen) == 0
       && (u_char *) peers->peer[2].name.data > sp->start
       && lt_test_str_eq(&peers->peer[2].name, "127.0.0.1:3")
       && lt_test_str_eq(&peers->peer[2].server, "127.0.0.1:3")
       && (u_char *) peers->name->data > sp->start && lt_test_str_eq(peers->name, "up")
       && peers->peer[2].max_fails == 2,
       "zone: addresses and names copied in, parameters kept");
    ok(sp->data == peers && peers->zone_next == NULL, "zone: the root chains the groups");
    uscf->peer.data = src;
    ok(lt_http_upstream_zone_matches(&umcf, &zn, peers), "zone: the same configuration matches");
    src->peer[1].weight = 7;
    ok(!lt_http_upstream_zone_matches(&umcf, &zn, peers), "zone: a changed weight does not");
    src->peer[1].weight = 1;
    src->next->peer[0].max_conns = 5;
    ok(!lt_http_upstream_zone_matches(&umcf, &zn, peers), "zone: a changed backup does not");
    src->next->peer[0].max_conns = 0;
    zn.shm.exists = 1;
    ok(lt_http_upstream_zone_attach(&zn, &umcf) == LT_OK && uscf->peer.data == peers,
       "zone kept across a reload: the upstream takes over its group");
    zn.shm.exists = 0;

    lt_test_request(&rrp, &pc, uscf);
    lt_http_upstream_get_round_robin_peer(&pc, &rrp);
    ok(rrp.current == &peers->peer[0] && peers->peer[0].conns == 1 && src->peer[0].conns == 0,
       "zone: get counts in the zone");
    lt_http_upstream_free_round_robin_peer(&pc, &rrp, LT_PEER_FAILED);
    ok(peers->peer[0].conns == 0 && peers->peer[0].fails == 1 && sp->lock.lock == 0,
       "zone: free counts in the zone, the lock is left free");

    peers->peer[0].down = peers->peer[1].down = peers->peer[2].down = 1;
    lt_test_request(&rrp, &pc, uscf);
    is_int(lt_test_port(lt_http_upstream_get_round_robin_peer(&pc, &rrp), &pc), 9,
           "zone: backup group in the zone too");
    lt_http_upstream_free_round_robin_peer(&pc, &rrp, 0);
    is_int(sp->lock.lock, 0, "zone: lock free after the backup path");

    lt_shm_free(&zn.shm);
}


int
main(void)
{
    plan(56);

    lt_test_setup();

    lt_test_round_robin();
    lt_test_least_conn();
    lt_test_hashes();
    lt_test_random();
    lt_test_zone();

    return tap_failed ? 1 : 0;
}
