/*
 * lt_connection.h: listening sockets and connections.
 *
 * The master opens the listening sockets a configuration declares (http/ fills
 * cycle->listening while parsing); a reload keeps the fd of every socket whose
 * address and options are unchanged, so no connection is refused during it.
 * Workers take connections from a table of worker_connections slots.
 */

#ifndef LT_CONNECTION_H
#define LT_CONNECTION_H

#include "lt_config.h"
#include "lt_string.h"
#include "lt_log.h"
#include "lt_event.h"
#include "lt_queue.h"

struct lt_listening_s {
    int                 fd;
    struct sockaddr    *sockaddr;
    socklen_t           socklen;
    lt_str_t            addr_text;      /* "127.0.0.1:8080", "[::1]:80", "unix:/x" */
    int                 type;           /* SOCK_STREAM */
    int                 backlog;
    int                 rcvbuf;         /* -1: system default */
    int                 sndbuf;
    int                 keepidle;       /* so_keepalive=idle:intvl:cnt, 0: default */
    int                 keepintvl;
    int                 keepcnt;
    int                 fastopen;       /* -1: off */

    /* called with each accepted connection (the protocol's entry point) */
    lt_connection_handler_pt  handler;
    void               *servers;        /* the protocol's per-address configuration */

    lt_log_t            log;
    lt_log_t           *logp;
    size_t              pool_size;      /* of a new connection's pool */

    lt_listening_t     *previous;       /* same socket in the previous cycle */
    lt_connection_t    *connection;     /* in a worker: the connection slot */
    unsigned            worker;         /* reuseport: the worker this copy is for */

    unsigned            open:1;
    unsigned            remain:1;       /* kept by the next cycle: do not close */
    unsigned            ignore:1;
    unsigned            bound:1;
    unsigned            inherited:1;    /* from the binary we were upgraded from */
    unsigned            listen:1;
    unsigned            nonblocking:1;
    unsigned            addr_ntop:1;
    unsigned            wildcard:1;
    unsigned            ipv6only:1;
    unsigned            reuseport:1;
    unsigned            add_reuseport:1;
    unsigned            keepalive:2;    /* 0 unset, 1 on, 2 off */
    unsigned            deferred_accept:1;
    unsigned            proxy_protocol:1;
    unsigned            ssl:1;
};

typedef enum {
    LT_ERROR_ALERT = 0,
    LT_ERROR_ERR,
    LT_ERROR_INFO,
    LT_ERROR_IGNORE_ECONNRESET,
    LT_ERROR_IGNORE_EINVAL,
    LT_ERROR_IGNORE_EMSGSIZE
} lt_connection_log_error_e;

#define LT_TCP_NODELAY_UNSET  0
#define LT_TCP_NODELAY_SET    1
#define LT_TCP_NODELAY_DISABLED 2

#define LT_TCP_NOPUSH_UNSET   0
#define LT_TCP_NOPUSH_SET     1
#define LT_TCP_NOPUSH_DISABLED 2

/* the I/O functions of a connection: plain sockets here; TLS swaps them */
typedef ssize_t (*lt_recv_pt)(lt_connection_t *c, u_char *buf, size_t size);
typedef ssize_t (*lt_send_pt)(lt_connection_t *c, u_char *buf, size_t size);
typedef lt_chain_t *(*lt_send_chain_pt)(lt_connection_t *c, lt_chain_t *in, off_t limit);

typedef struct {
    lt_recv_pt          recv;
    lt_send_pt          send;
    lt_send_chain_pt    send_chain;
} lt_conn_io_t;

extern const lt_conn_io_t  lt_os_io;

struct lt_connection_s {
    void               *data;           /* the owner: request, upstream, next free slot */
    lt_event_t          read;
    lt_event_t          write;
    int                 fd;

    const lt_conn_io_t *io;
    lt_listening_t     *listening;
    off_t               sent;
    lt_log_t           *log;
    lt_pool_t          *pool;

    struct sockaddr    *sockaddr;
    socklen_t           socklen;
    lt_str_t            addr_text;
    struct sockaddr    *local_sockaddr;
    socklen_t           local_socklen;

    void               *ssl;            /* lt_ssl_connection_t (lt_ssl.h) on TLS */
    lt_buf_t           *buffer;
    lt_queue_t          queue;          /* reusable (idle keep-alive) connections */
    uint64_t            number;
    unsigned            requests;

    unsigned            buffered:8;
    unsigned            log_error:3;    /* lt_connection_log_error_e */
    unsigned            timedout:1;
    unsigned            error:1;
    unsigned            destroyed:1;
    unsigned            idle:1;         /* waiting for a request: may be closed on exit */
    unsigned            reusable:1;     /* may be closed when slots run out */
    unsigned            close:1;        /* closing requested (exiting worker) */
    unsigned            shared:1;
    unsigned            sendfile:1;
    unsigned            sndlowat:1;
    unsigned            tcp_nodelay:2;
    unsigned            tcp_nopush:2;
    unsigned            need_last_buf:1;
};

#define lt_recv(c, buf, size)           (c)->io->recv(c, buf, size)
#define lt_send(c, buf, size)           (c)->io->send(c, buf, size)
#define lt_send_chain(c, in, limit)     (c)->io->send_chain(c, in, limit)

/* lt_create_listening: a listening entry in cf->cycle for this address (the
 * sockaddr is copied); NULL on failure */
lt_listening_t *lt_create_listening(lt_conf_t *cf, struct sockaddr *sockaddr,
    socklen_t socklen);
/* lt_clone_listening: copies for workers 1..N-1 of a reuseport listener */
int lt_clone_listening(lt_cycle_t *cycle, lt_listening_t *ls);

/* lt_open_listening_sockets: binds and listens what is not inherited; retries
 * EADDRINUSE for a few seconds (a previous binary may still hold the port) */
int lt_open_listening_sockets(lt_cycle_t *cycle);
/* lt_configure_listening_sockets: applies backlog, buffers, keepalive, deferred */
void lt_configure_listening_sockets(lt_cycle_t *cycle);
void lt_close_listening_sockets(lt_cycle_t *cycle);

/* lt_get_connection: a free slot for fd (or NULL, logged), with fresh events */
lt_connection_t *lt_get_connection(int fd, lt_log_t *log);
void lt_free_connection(lt_connection_t *c);
/* lt_close_connection: deletes timers and posted events, closes the fd, frees the
 * slot (the pool is the caller's) */
void lt_close_connection(lt_connection_t *c);
/* lt_drain_connections: closes the oldest reusable connections (slots ran out) */
void lt_drain_connections(lt_cycle_t *cycle);
/* lt_close_idle_connections: asks idle connections to close (graceful stop) */
void lt_close_idle_connections(lt_cycle_t *cycle);
/* lt_reusable_connection: marks c as closable when slots run out */
void lt_reusable_connection(lt_connection_t *c, unsigned reusable);
/* lt_connection_local_sockaddr: fills c->local_sockaddr (getsockname) if unset;
 * with s, also its text */
int lt_connection_local_sockaddr(lt_connection_t *c, lt_str_t *s, unsigned port);
/* lt_connection_error: logs a socket error at the level c->log_error says */
int lt_connection_error(lt_connection_t *c, int err, const char *text);
int lt_tcp_nodelay(lt_connection_t *c);

/* socket address helpers */
size_t lt_sock_ntop(struct sockaddr *sa, socklen_t socklen, u_char *text, size_t len,
    unsigned port);
#define LT_SOCKADDR_STRLEN  (sizeof("unix:") - 1 + sizeof(((struct sockaddr_un *) 0)->sun_path))
int lt_cmp_sockaddr(struct sockaddr *sa1, socklen_t slen1, struct sockaddr *sa2,
    socklen_t slen2, unsigned cmp_port);
in_port_t lt_inet_get_port(struct sockaddr *sa);
void lt_inet_set_port(struct sockaddr *sa, in_port_t port);

/* plain socket I/O (lt_os_io) */
ssize_t lt_unix_recv(lt_connection_t *c, u_char *buf, size_t size);
ssize_t lt_unix_send(lt_connection_t *c, u_char *buf, size_t size);
lt_chain_t *lt_writev_chain(lt_connection_t *c, lt_chain_t *in, off_t limit);
/* lt_sendfile_chain: writev for memory, sendfile for files (lt_os_io's send_chain) */
lt_chain_t *lt_sendfile_chain(lt_connection_t *c, lt_chain_t *in, off_t limit);

#define LT_IOVS_PREALLOCATE  64

#define LT_CHAIN_ERROR  (lt_chain_t *) LT_ERROR

#endif /* LT_CONNECTION_H */
