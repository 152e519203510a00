/*
 * lt_resolver.h: an asynchronous DNS stub resolver for names that are only
 * known at request time ("proxy_pass http://$host:8081"). It asks the name
 * servers of a "resolver" directive over UDP for A and AAAA records, follows
 * CNAME chains, and caches answers per worker for their TTL (or valid=).
 *
 * Each name server is one non-blocking UDP socket (connected, so only its
 * datagrams are read), an lt_connection_t registered with the worker's epoll
 * like any other connection and opened at the first query. Concurrent
 * lookups of one name share one query; query IDs are random and an answer is
 * accepted only when its ID, question name and type match a query in flight.
 * A query is sent again to the next server every 2 seconds until the lookup's
 * own timeout (resolver_timeout) expires. A truncated answer is asked again
 * over TCP (one connection per server, opened when needed).
 */

#ifndef LT_RESOLVER_H
#define LT_RESOLVER_H

#include "lt_config.h"
#include "lt_string.h"
#include "lt_inet.h"
#include "lt_event.h"
#include "lt_conf_file.h"

/* lt_resolver_ctx_t.state: 0, a DNS rcode, or a timeout */
#define LT_RESOLVE_FORMERR    1
#define LT_RESOLVE_SERVFAIL   2
#define LT_RESOLVE_NXDOMAIN   3
#define LT_RESOLVE_NOTIMP     4
#define LT_RESOLVE_REFUSED    5
#define LT_RESOLVE_TIMEDOUT   ETIMEDOUT     /* 110: "Operation timed out" */
#define LT_RESOLVE_NOMEM      -1            /* could not copy the answer */

typedef struct lt_resolver_s       lt_resolver_t;
typedef struct lt_resolver_node_s  lt_resolver_node_t;
typedef struct lt_resolver_ctx_s   lt_resolver_ctx_t;

typedef void (*lt_resolver_handler_pt)(lt_resolver_ctx_t *ctx);

/* one lookup: the caller fills the "in" fields after lt_resolve_start() */
struct lt_resolver_ctx_s {
    /* in */
    lt_str_t                 name;          /* a trailing dot is ignored */
    uint64_t                 timeout;       /* ms */
    lt_resolver_handler_pt   handler;       /* called once, unless name_done came first */
    void                    *data;
    lt_log_t                *log;           /* for the resolver's own messages of this lookup */

    /* out, when the handler is called */
    int                      state;         /* 0 or LT_RESOLVE_* */
    size_t                   naddrs;
    lt_addr_t               *addrs;         /* in ctx's pool; port 0, name empty */
    time_t                   valid;         /* until when the answer may be used */
    unsigned                 async:1;       /* the handler runs from the event loop */

    /* private */
    lt_resolver_t           *resolver;
    lt_pool_t               *pool;
    lt_resolver_node_t      *node;          /* waiting for this node's answer */
    lt_resolver_ctx_t       *next;
    lt_event_t               event;         /* the lookup's timeout */
};

/*
 * lt_resolver_create: a resolver from a "resolver" directive's arguments
 * (address[:port] ... [valid=time] [ipv4=on|off] [ipv6=on|off]). Errors are
 * logged as configuration errors (file:line); NULL on failure.
 */
lt_resolver_t *lt_resolver_create(lt_conf_t *cf, lt_str_t *args, size_t n);

/* lt_resolver_set_slot: the "resolver" directive's setter: creates a resolver
 * into the lt_resolver_t * at cmd->offset (which must start NULL) */
char *lt_resolver_set_slot(lt_conf_t *cf, lt_command_t *cmd, void *conf);

/* lt_resolve_start: a lookup context allocated from pool (which must outlive
 * the lookup or see lt_resolve_name_done first); NULL when out of memory */
lt_resolver_ctx_t *lt_resolve_start(lt_resolver_t *r, lt_pool_t *pool);

/*
 * lt_resolve_name: starts the lookup of ctx->name. The handler is called
 * exactly once: at once (a cached answer or an invalid name, async = 0), or
 * later from the event loop (async = 1). LT_OK, or LT_ERROR when nothing
 * could be started (out of memory; the handler will not be called).
 */
int lt_resolve_name(lt_resolver_ctx_t *ctx);

/* lt_resolve_name_done: ends the lookup: after the handler ran, or to cancel a
 * pending one (a finalized request); the handler will not be called later */
void lt_resolve_name_done(lt_resolver_ctx_t *ctx);

/* lt_resolver_strerror: the text of a ctx->state ("Host not found") */
const char *lt_resolver_strerror(int err);

#endif /* LT_RESOLVER_H */
