/*
 * lt_event.c: the "events" block, the event core module (worker_connections,
 * multi_accept, ...), a worker's event setup, and one loop iteration.
 */

#include "lt_core.h"

lt_shared_stats_t  *lt_stats;

static char *lt_events_block(lt_conf_t *cf, lt_command_t *cmd, void *conf);
static char *lt_events_init_conf(lt_cycle_t *cycle, void *conf);
static void *lt_event_core_create_conf(lt_conf_t *cf);
static char *lt_event_core_init_conf(lt_conf_t *cf, void *conf);
static int lt_event_core_init_module(lt_cycle_t *cycle);
static int lt_event_core_init_process(lt_cycle_t *cycle);
static void lt_event_core_exit_process(lt_cycle_t *cycle);
static char *lt_event_use(lt_conf_t *cf, lt_command_t *cmd, void *conf);
static char *lt_event_debug_connection(lt_conf_t *cf, lt_command_t *cmd, void *conf);

static lt_command_t  lt_events_commands[] = {

    { "events", LT_CTX_MAIN | LT_CONF_BLOCK, 0, 0, lt_events_block, 0, 0, NULL },

    lt_null_command
};

lt_module_t  lt_events_module = {
    .name = "events",
    .type = LT_CORE_MODULE,
    .commands = lt_events_commands,
    .init_conf = lt_events_init_conf,
};

static const lt_conf_num_bounds_t  lt_connections_bounds = { 2, 1 << 24 };

static lt_command_t  lt_event_core_commands[] = {

    { "worker_connections", LT_CTX_EVENTS, 1, 1, lt_conf_set_num_slot, LT_MAIN_CONF,
      offsetof(lt_event_conf_t, connections), &lt_connections_bounds },

    { "use", LT_CTX_EVENTS, 1, 1, lt_event_use, LT_MAIN_CONF, 0, NULL },

    { "multi_accept", LT_CTX_EVENTS, 1, 1, lt_conf_set_flag_slot, LT_MAIN_CONF,
      offsetof(lt_event_conf_t, multi_accept), NULL },

    /* accepted for compatibility: EPOLLEXCLUSIVE already wakes one worker per
     * connection, so there is no mutex to take */
    { "accept_mutex", LT_CTX_EVENTS, 1, 1, lt_conf_set_flag_slot, LT_MAIN_CONF,
      offsetof(lt_event_conf_t, accept_mutex), NULL },

    { "accept_mutex_delay", LT_CTX_EVENTS, 1, 1, lt_conf_set_msec_slot, LT_MAIN_CONF,
      offsetof(lt_event_conf_t, accept_mutex_delay), NULL },

    { "debug_connection", LT_CTX_EVENTS, 1, 1, lt_event_debug_connection, LT_MAIN_CONF,
      0, NULL },

    lt_null_command
};

lt_module_t  lt_event_core_module = {
    .name = "event_core",
    .type = LT_EVENT_MODULE,
    .commands = lt_event_core_commands,
    .create_main_conf = lt_event_core_create_conf,
    .init_main_conf = lt_event_core_init_conf,
    .init_module = lt_event_core_init_module,
    .init_process = lt_event_core_init_process,
    .exit_process = lt_event_core_exit_process,
};


static char *
lt_events_block(lt_conf_t *cf, lt_command_t *cmd, void *conf)
{
    char           *rv;
    size_t          i, n;
    lt_conf_t       pcf;
    lt_conf_ctx_t  *ctx;
    lt_module_t    *m;

    if (*(void **) conf) {
        return "is duplicate";
    }

    n = lt_count_modules(LT_EVENT_MODULE);

    ctx = lt_pcalloc(cf->pool, sizeof(lt_conf_ctx_t));
    if (ctx == NULL) {
        return LT_CONF_ERROR;
    }

    ctx->main_conf = lt_pcalloc(cf->pool, n * sizeof(void *));
    if (ctx->main_conf == NULL) {
        return LT_CONF_ERROR;
    }

    *(lt_conf_ctx_t **) conf = ctx;

    for (i = 0; lt_modules[i]; i++) {
        m = lt_modules[i];

        if (m->type != LT_EVENT_MODULE || m->create_main_conf == NULL) {
            continue;
        }

        ctx->main_conf[m->ctx_index] = m->create_main_conf(cf);
        if (ctx->main_conf[m->ctx_index] == NULL) {
            return LT_CONF_ERROR;
        }
    }

    pcf = *cf;
    cf->ctx = ctx;
    cf->module_type = LT_EVENT_MODULE;
    cf->cmd_type = LT_CTX_EVENTS;

    rv = lt_conf_parse(cf, NULL);

    *cf = pcf;

    if (rv != LT_CONF_OK) {
        return rv;
    }

    for (i = 0; lt_modules[i]; i++) {
        m = lt_modules[i];

        if (m->type != LT_EVENT_MODULE || m->init_main_conf == NULL) {
            continue;
        }

        rv = m->init_main_conf(cf, ctx->main_conf[m->ctx_index]);
        if (rv != LT_CONF_OK) {
            return rv;
        }
    }

    return LT_CONF_OK;
}


static char *
lt_events_init_conf(lt_cycle_t *cycle, void *conf)
{
    if (lt_get_conf(cycle->conf_ctx, lt_events_module) == NULL) {
        lt_log_error(LT_LOG_EMERG, cycle->log, 0,
                     "no \"events\" section in configuration");
        return LT_CONF_ERROR;
    }

    return LT_CONF_OK;
}


static void *
lt_event_core_create_conf(lt_conf_t *cf)
{
    lt_event_conf_t  *ecf;

    ecf = lt_pcalloc(cf->pool, sizeof(lt_event_conf_t));
    if (ecf == NULL) {
        return NULL;
    }

    ecf->connections = LT_CONF_UNSET;
    ecf->use = LT_CONF_UNSET_UINT;
    ecf->multi_accept = LT_CONF_UNSET;
    ecf->accept_mutex = LT_CONF_UNSET;
    ecf->accept_mutex_delay = LT_CONF_UNSET_MSEC;
    ecf->name = NULL;

    return ecf;
}


static char *
lt_event_core_init_conf(lt_conf_t *cf, void *conf)
{
    lt_event_conf_t  *ecf = conf;

    lt_conf_init_value(ecf->connections, 512);
    lt_conf_init_uint_value(ecf->use, 0);
    lt_conf_init_value(ecf->multi_accept, 0);
    lt_conf_init_value(ecf->accept_mutex, 0);
    lt_conf_init_msec_value(ecf->accept_mutex_delay, 500);

    ecf->name = "epoll";

    return LT_CONF_OK;
}


static char *
lt_event_use(lt_conf_t *cf, lt_command_t *cmd, void *conf)
{
    lt_event_conf_t  *ecf = conf;
    lt_str_t         *value;

    if (ecf->use != LT_CONF_UNSET_UINT) {
        return "is duplicate";
    }

    value = cf->args->elts;

    if (!lt_str_eq(&value[1], "epoll")) {
        lt_conf_log_error(LT_LOG_EMERG, cf, 0, "invalid event type \"%s\"", value[1].data);
        return LT_CONF_ERROR;
    }

    ecf->use = 0;

    return LT_CONF_OK;
}


static char *
lt_event_debug_connection(lt_conf_t *cf, lt_command_t *cmd, void *conf)
{
#if (LT_DEBUG)
    /* per-address debug logging is not implemented yet: debug logs everything */
    return LT_CONF_OK;
#else
    lt_conf_log_error(LT_LOG_WARN, cf, 0, "\"debug_connection\" is ignored without "
                      "debug logging (./configure --with-debug)");
    return LT_CONF_OK;
#endif
}


static int
lt_event_core_init_module(lt_cycle_t *cycle)
{
    lt_event_conf_t  *ecf;
    lt_core_conf_t   *ccf;
    int64_t           limit;
    lt_shm_t          shm;

    ecf = lt_event_get_conf(cycle->conf_ctx, lt_event_core_module);
    ccf = (lt_core_conf_t *) lt_get_conf(cycle->conf_ctx, lt_core_module);

    limit = ccf->rlimit_nofile != LT_CONF_UNSET ? ccf->rlimit_nofile : lt_max_sockets;

    if (limit > 0 && ecf->connections > limit) {
        lt_log_error(LT_LOG_WARN, cycle->log, 0,
                     "%lld worker_connections exceed open file resource limit: %lld",
                     (long long) ecf->connections, (long long) limit);
    }

    if (lt_stats != NULL || lt_test_config) {
        /* mapped once for the master's lifetime: numbers survive reloads */
        return LT_OK;
    }

    lt_memzero(&shm, sizeof(lt_shm_t));
    shm.size = lt_align(sizeof(lt_shared_stats_t), lt_cacheline_size);
    lt_str_set(&shm.name, "lintel_shared_stats");
    shm.log = cycle->log;

    if (lt_shm_alloc(&shm) != LT_OK) {
        return LT_ERROR;
    }

    lt_stats = (lt_shared_stats_t *) shm.addr;
    lt_stats->connection_counter = 0;

    return LT_OK;
}


static int
lt_event_core_init_process(lt_cycle_t *cycle)
{
    size_t            i;
    lt_event_conf_t  *ecf;
    lt_connection_t  *c, *next;
    lt_listening_t   *ls;

    ecf = lt_event_get_conf(cycle->conf_ctx, lt_event_core_module);

    if (lt_event_timer_init(cycle->log) != LT_OK) {
        return LT_ERROR;
    }

    if (lt_epoll_init(cycle) != LT_OK) {
        return LT_ERROR;
    }

    cycle->connection_n = (size_t) ecf->connections;

    cycle->connections = lt_calloc(sizeof(lt_connection_t) * cycle->connection_n,
                                   cycle->log);
    if (cycle->connections == NULL) {
        return LT_ERROR;
    }

    c = cycle->connections;
    next = NULL;

    for (i = cycle->connection_n; i--; /* void */) {
        c[i].data = next;
        c[i].fd = -1;
        c[i].read.closed = 1;
        c[i].write.closed = 1;
        c[i].read.instance = 1;
        next = &c[i];
    }

    cycle->free_connections = next;
    cycle->free_connection_n = cycle->connection_n;

    ls = cycle->listening.elts;

    for (i = 0; i < cycle->listening.nelts; i++) {

        if (ls[i].reuseport && ls[i].worker != lt_worker) {
            continue;
        }

        c = lt_get_connection(ls[i].fd, cycle->log);
        if (c == NULL) {
            return LT_ERROR;
        }

        c->log = &ls[i].log;
        c->listening = &ls[i];
        ls[i].connection = c;

        c->read.accept = 1;
        c->read.handler = lt_event_accept;

        if (lt_epoll_add_listening(c, !ls[i].reuseport) != LT_OK) {
            return LT_ERROR;
        }
    }

    return LT_OK;
}


static void
lt_event_core_exit_process(lt_cycle_t *cycle)
{
    lt_epoll_done(cycle);
}


void
lt_process_events_and_timers(lt_cycle_t *cycle)
{
    uint64_t  timer;

    timer = lt_event_find_timer();

    if (!lt_queue_empty(&lt_posted_next_events)) {
        lt_event_move_posted_next(cycle);
        timer = 0;
    }

    (void) lt_epoll_process_events(cycle, timer, 0);

    lt_event_process_posted(cycle, &lt_posted_accept_events);

    lt_event_expire_timers();

    lt_event_process_posted(cycle, &lt_posted_events);
}
