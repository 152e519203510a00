/*
 * lt_event_connect.h: outgoing connections (upstreams). A peer connection is
 * the balancer interface: get() picks an address (or hands back a cached idle
 * connection), lt_event_connect_peer() opens a non-blocking socket to it and
 * registers it with epoll once (edge-triggered, read + write + RDHUP, as client
 * connections), and free() tells the balancer how the attempt ended.
 *
 * Balancers (round robin, hash, least_conn, random) and the keepalive cache
 * plug in by replacing get/free/data: the keepalive cache wraps the balancer's
 * pair and keeps the original in its own data.
 */

#ifndef LT_EVENT_CONNECT_H
#define LT_EVENT_CONNECT_H

#include "lt_config.h"
#include "lt_string.h"
#include "lt_inet.h"
#include "lt_connection.h"

/* the outcome given to free(): none of them is a success without reuse */
#define LT_PEER_KEEPALIVE   1   /* the connection may be kept for reuse */
#define LT_PEER_NEXT        2   /* tried the next peer, not a failure of this one */
#define LT_PEER_FAILED      4   /* count a failure against the peer */

typedef struct lt_peer_connection_s  lt_peer_connection_t;

/* get: LT_OK (sockaddr/socklen/name set: connect to it), LT_DONE (pc->connection
 * is a cached connection, ready to use), LT_BUSY (no live peer), LT_ERROR */
typedef int (*lt_event_get_peer_pt)(lt_peer_connection_t *pc, void *data);
/* free: the attempt is over; state is a mask of LT_PEER_*; the balancer
 * decrements pc->tries for the next attempt */
typedef void (*lt_event_free_peer_pt)(lt_peer_connection_t *pc, void *data, unsigned state);

/* a local address to bind outgoing connections to (proxy_bind) */
typedef struct {
    lt_addr_t            *addr;         /* NULL: computed per request (variables) */
    unsigned              transparent:1;
} lt_peer_local_t;

struct lt_peer_connection_s {
    lt_connection_t      *connection;

    struct sockaddr      *sockaddr;
    socklen_t             socklen;
    lt_str_t             *name;         /* "127.0.0.1:8081", "unix:/x" */

    unsigned              tries;        /* attempts left (set by the balancer's init) */
    uint64_t              start_time;   /* lt_current_msec of the first attempt */

    lt_event_get_peer_pt  get;
    lt_event_free_peer_pt free;
    void                 *data;

    lt_addr_t            *local;        /* proxy_bind */
    int                   rcvbuf;
    lt_log_t             *log;

    unsigned              cached:1;     /* out: get() gave a reused connection */
    unsigned              fresh:1;      /* in: a cached connection must not be used */
    unsigned              reconnect:1;  /* in: connect to sockaddr again, no get() */
    unsigned              transparent:1;
    unsigned              so_keepalive:1;
    unsigned              down:1;
    unsigned              log_error:2;  /* lt_connection_log_error_e */
};

/*
 * lt_event_connect_peer: gets a peer and starts a non-blocking connect to it.
 * Returns LT_OK (connected at once), LT_AGAIN (in progress: wait for the write
 * event), LT_DONE (a cached connection: usable at once), LT_BUSY (no live
 * peer; nothing opened), LT_DECLINED (this peer failed at once: logged, the
 * caller frees the peer as failed and may try the next), LT_ERROR (no socket
 * or no connection slot; logged).
 */
int lt_event_connect_peer(lt_peer_connection_t *pc);

/* lt_event_get_peer: a get() that leaves the address as it is (one fixed peer) */
int lt_event_get_peer(lt_peer_connection_t *pc, void *data);

/* lt_event_connect_test: after the write event of a connect in progress, the
 * connect's result (getsockopt SO_ERROR); LT_OK or LT_ERROR (errno in *err) */
int lt_event_connect_test(lt_connection_t *c, int *err);

#endif /* LT_EVENT_CONNECT_H */
