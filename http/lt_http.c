/*
 * lt_http.c: the http{} block. It creates every HTTP module's conf structs at the
 * three levels, reads the block, merges server and location levels, builds the
 * location trees, the phase engine and the filter chains, and turns the listen
 * directives into listening sockets (lt_http_listen.c).
 */

#include "lt_http.h"

static char *lt_http_block(lt_conf_t *cf, lt_command_t *cmd, void *conf);
static int lt_http_init_phases(lt_conf_t *cf, lt_http_core_main_conf_t *cmcf);
static int lt_http_init_headers_in_hash(lt_conf_t *cf, lt_http_core_main_conf_t *cmcf);
static int lt_http_init_phase_handlers(lt_conf_t *cf, lt_http_core_main_conf_t *cmcf);
static char *lt_http_merge_locations(lt_conf_t *cf, lt_queue_t *locations,
    void **loc_conf, lt_module_t *module);

static lt_command_t  lt_http_commands[] = {

    { "http", LT_CTX_MAIN | LT_CONF_BLOCK, 0, 0, lt_http_block, 0, 0, NULL },

    lt_null_command
};

lt_module_t  lt_http_module = {
    .name = "http",
    .type = LT_CORE_MODULE,
    .commands = lt_http_commands,
};

/* the filter chains (see lt_http_filters.h) */
lt_http_header_filter_pt  lt_http_top_header_filter;
lt_http_body_filter_pt    lt_http_top_body_filter;
lt_http_header_filter_pt  lt_http_next_header[LT_HTTP_FILTER_NSLOTS];
lt_http_body_filter_pt    lt_http_next_body[LT_HTTP_FILTER_NSLOTS];

size_t  lt_http_max_module;

static lt_http_header_filter_pt  lt_http_slot_header[LT_HTTP_FILTER_NSLOTS];
static lt_http_body_filter_pt    lt_http_slot_body[LT_HTTP_FILTER_NSLOTS];


/* lt_http_create_confs: every HTTP module's confs for the http{} level */
static int
lt_http_create_confs(lt_conf_t *cf, lt_http_conf_ctx_t *ctx)
{
    size_t        i, n;
    lt_module_t  *m;

    n = lt_count_modules(LT_HTTP_MODULE);
    lt_http_max_module = n;

    ctx->main_conf = lt_pcalloc(cf->pool, n * sizeof(void *));
    ctx->srv_conf = lt_pcalloc(cf->pool, n * sizeof(void *));
    ctx->loc_conf = lt_pcalloc(cf->pool, n * sizeof(void *));

    if (ctx->main_conf == NULL || ctx->srv_conf == NULL || ctx->loc_conf == NULL) {
        return LT_ERROR;
    }

    for (i = 0; lt_modules[i]; i++) {
        m = lt_modules[i];

        if (m->type != LT_HTTP_MODULE) {
            continue;
        }

        if (m->create_main_conf) {
            ctx->main_conf[m->ctx_index] = m->create_main_conf(cf);
            if (ctx->main_conf[m->ctx_index] == NULL) {
                return LT_ERROR;
            }
        }

        if (m->create_srv_conf) {
            ctx->srv_conf[m->ctx_index] = m->create_srv_conf(cf);
            if (ctx->srv_conf[m->ctx_index] == NULL) {
                return LT_ERROR;
            }
        }

        if (m->create_loc_conf) {
            ctx->loc_conf[m->ctx_index] = m->create_loc_conf(cf);
            if (ctx->loc_conf[m->ctx_index] == NULL) {
                return LT_ERROR;
            }
        }
    }

    return LT_OK;
}


/* lt_http_init_servers: main confs, merges, locations */
static char *
lt_http_init_servers(lt_conf_t *cf, lt_http_conf_ctx_t *ctx)
{
    char                       *rv;
    size_t                      i, s;
    lt_module_t                *m;
    lt_http_core_main_conf_t   *cmcf;
    lt_http_core_srv_conf_t   **cscfp;
    lt_http_core_loc_conf_t    *clcf;

    cmcf = ctx->main_conf[lt_http_core_module.ctx_index];

    for (i = 0; lt_modules[i]; i++) {
        m = lt_modules[i];

        if (m->type != LT_HTTP_MODULE) {
            continue;
        }

        if (m->init_main_conf) {
            rv = m->init_main_conf(cf, ctx->main_conf[m->ctx_index]);
            if (rv != LT_CONF_OK) {
                return rv;
            }
        }

        rv = lt_http_merge_servers(cf, cmcf, m);
        if (rv != LT_CONF_OK) {
            return rv;
        }
    }

    cscfp = cmcf->servers.elts;

    for (s = 0; s < cmcf->servers.nelts; s++) {
        clcf = cscfp[s]->ctx->loc_conf[lt_http_core_module.ctx_index];

        if (lt_http_init_locations(cf, cscfp[s], clcf) != LT_OK) {
            return LT_CONF_ERROR;
        }

        if (lt_http_init_static_location_trees(cf, clcf) != LT_OK) {
            return LT_CONF_ERROR;
        }
    }

    return LT_CONF_OK;
}


static char *
lt_http_block(lt_conf_t *cf, lt_command_t *cmd, void *conf)
{
    char                      *rv;
    size_t                     i;
    lt_conf_t                  pcf;
    lt_module_t               *m;
    lt_http_conf_ctx_t        *ctx;
    lt_http_core_main_conf_t  *cmcf;

    if (*(lt_http_conf_ctx_t **) conf) {
        return "is duplicate";
    }

    ctx = lt_pcalloc(cf->pool, sizeof(lt_http_conf_ctx_t));
    if (ctx == NULL) {
        return LT_CONF_ERROR;
    }

    *(lt_http_conf_ctx_t **) conf = ctx;

    if (lt_http_create_confs(cf, ctx) != LT_OK) {
        return LT_CONF_ERROR;
    }

    pcf = *cf;
    cf->ctx = ctx;

    for (i = 0; lt_modules[i]; i++) {
        m = lt_modules[i];

        if (m->type == LT_HTTP_MODULE && m->preconfiguration
            && m->preconfiguration(cf) != LT_OK)
        {
            return LT_CONF_ERROR;
        }
    }

    cf->module_type = LT_HTTP_MODULE;
    cf->cmd_type = LT_CTX_HTTP;

    rv = lt_conf_parse(cf, NULL);
    if (rv != LT_CONF_OK) {
        goto failed;
    }

    rv = lt_http_init_servers(cf, ctx);
    if (rv != LT_CONF_OK) {
        goto failed;
    }

    cmcf = ctx->main_conf[lt_http_core_module.ctx_index];

    if (lt_http_init_phases(cf, cmcf) != LT_OK
        || lt_http_init_headers_in_hash(cf, cmcf) != LT_OK)
    {
        rv = LT_CONF_ERROR;
        goto failed;
    }

    for (i = 0; lt_modules[i]; i++) {
        m = lt_modules[i];

        if (m->type == LT_HTTP_MODULE && m->postconfiguration
            && m->postconfiguration(cf) != LT_OK)
        {
            rv = LT_CONF_ERROR;
            goto failed;
        }
    }

    if (lt_http_variables_init_vars(cf) != LT_OK) {
        rv = LT_CONF_ERROR;
        goto failed;
    }

    *cf = pcf;

    if (lt_http_init_phase_handlers(cf, cmcf) != LT_OK) {
        return LT_CONF_ERROR;
    }

    lt_http_link_filters();

    if (lt_http_optimize_servers(cf, cmcf, cmcf->ports) != LT_OK) {
        return LT_CONF_ERROR;
    }

    return LT_CONF_OK;

failed:

    *cf = pcf;

    return rv;
}


static int
lt_http_init_phases(lt_conf_t *cf, lt_http_core_main_conf_t *cmcf)
{
    int  i;

    for (i = 0; i <= LT_HTTP_LOG_PHASE; i++) {
        if (i == LT_HTTP_FIND_CONFIG_PHASE || i == LT_HTTP_POST_REWRITE_PHASE
            || i == LT_HTTP_POST_ACCESS_PHASE)
        {
            /* phases of the core only: no handlers are registered */
            continue;
        }

        if (lt_array_init(&cmcf->phases[i].handlers, cf->pool, 2,
                          sizeof(lt_http_handler_pt)) != LT_OK)
        {
            return LT_ERROR;
        }
    }

    return LT_OK;
}


/* the known request headers: their handler picks them into headers_in */
extern lt_hash_key_t  *lt_http_headers_in_keys(lt_pool_t *pool, size_t *n);

static int
lt_http_init_headers_in_hash(lt_conf_t *cf, lt_http_core_main_conf_t *cmcf)
{
    size_t          n;
    lt_hash_key_t  *keys;

    keys = lt_http_headers_in_keys(cf->temp_pool, &n);
    if (keys == NULL) {
        return LT_ERROR;
    }

    return lt_hash_init(&cmcf->headers_in_hash, cf->pool, keys, n, LT_HASH_CASELESS, NULL);
}


/* lt_http_init_phase_handlers: one flat array of (checker, handler, next), in
 * phase order; the engine walks it by index. "next" is where a handler's
 * phase ends: the first handler of the following phase. After a rewrite
 * changed the URI, POST_REWRITE goes back to FIND_CONFIG. */
static int
lt_http_init_phase_handlers(lt_conf_t *cf, lt_http_core_main_conf_t *cmcf)
{
    int                        i, j, n, find_config_index;
    lt_http_handler_pt        *h;
    lt_http_phase_handler_t   *ph;
    lt_http_phase_checker_pt   checker;

    cmcf->phase_engine.server_rewrite_index = (unsigned) -1;
    cmcf->phase_engine.location_rewrite_index = (unsigned) -1;

    /* find config, post rewrite and post access have one core handler each */
    n = 3;

    for (i = 0; i < LT_HTTP_LOG_PHASE; i++) {
        n += (int) cmcf->phases[i].handlers.nelts;
    }

    ph = lt_pcalloc(cf->pool, (n + 1) * sizeof(lt_http_phase_handler_t));
    if (ph == NULL) {
        return LT_ERROR;
    }

    cmcf->phase_engine.handlers = ph;
    n = 0;
    find_config_index = 0;

    for (i = 0; i < LT_HTTP_LOG_PHASE; i++) {
        h = cmcf->phases[i].handlers.elts;

        switch (i) {

        case LT_HTTP_SERVER_REWRITE_PHASE:
            if (cmcf->phase_engine.server_rewrite_index == (unsigned) -1) {
                cmcf->phase_engine.server_rewrite_index = (unsigned) n;
            }
            checker = lt_http_core_rewrite_phase;
            break;

        case LT_HTTP_FIND_CONFIG_PHASE:
            find_config_index = n;
            ph->checker = lt_http_core_find_config_phase;
            n++;
            ph++;
            continue;

        case LT_HTTP_REWRITE_PHASE:
            if (cmcf->phase_engine.location_rewrite_index == (unsigned) -1) {
                cmcf->phase_engine.location_rewrite_index = (unsigned) n;
            }
            checker = lt_http_core_rewrite_phase;
            break;

        case LT_HTTP_POST_REWRITE_PHASE:
            ph->checker = lt_http_core_post_rewrite_phase;
            ph->next = (unsigned) find_config_index;
            n++;
            ph++;
            continue;

        case LT_HTTP_ACCESS_PHASE:
            /* an access handler that grants ("satisfy any") skips POST_ACCESS too */
            checker = lt_http_core_access_phase;
            n++;
            break;

        case LT_HTTP_POST_ACCESS_PHASE:
            ph->checker = lt_http_core_post_access_phase;
            ph->next = (unsigned) n;
            ph++;
            continue;

        case LT_HTTP_CONTENT_PHASE:
            checker = lt_http_core_content_phase;
            break;

        default:
            checker = lt_http_core_generic_phase;
        }

        n += (int) cmcf->phases[i].handlers.nelts;

        /* within a phase, the module registered last runs first */
        for (j = (int) cmcf->phases[i].handlers.nelts - 1; j >= 0; j--) {
            ph->checker = checker;
            ph->handler = h[j];
            ph->next = (unsigned) n;
            ph++;
        }
    }

    return LT_OK;
}


char *
lt_http_merge_servers(lt_conf_t *cf, lt_http_core_main_conf_t *cmcf, lt_module_t *module)
{
    char                       *rv;
    size_t                      s, ctx_index;
    lt_http_conf_ctx_t         *ctx, saved;
    lt_http_core_loc_conf_t    *clcf;
    lt_http_core_srv_conf_t   **cscfp;

    cscfp = cmcf->servers.elts;
    ctx = (lt_http_conf_ctx_t *) cf->ctx;
    saved = *ctx;
    rv = LT_CONF_OK;
    ctx_index = module->ctx_index;

    for (s = 0; s < cmcf->servers.nelts; s++) {

        /* merge the server{}s' srv_conf with the http{}'s one */
        ctx->srv_conf = cscfp[s]->ctx->srv_conf;

        if (module->merge_srv_conf) {
            rv = module->merge_srv_conf(cf, saved.srv_conf[ctx_index],
                                        cscfp[s]->ctx->srv_conf[ctx_index]);
            if (rv != LT_CONF_OK) {
                goto failed;
            }
        }

        if (module->merge_loc_conf) {

            /* merge the server{}'s loc_conf with the http{}'s one */
            ctx->loc_conf = cscfp[s]->ctx->loc_conf;

            rv = module->merge_loc_conf(cf, saved.loc_conf[ctx_index],
                                        cscfp[s]->ctx->loc_conf[ctx_index]);
            if (rv != LT_CONF_OK) {
                goto failed;
            }

            /* merge the locations{}' loc_conf's */
            clcf = cscfp[s]->ctx->loc_conf[lt_http_core_module.ctx_index];

            rv = lt_http_merge_locations(cf, clcf->locations, cscfp[s]->ctx->loc_conf,
                                         module);
            if (rv != LT_CONF_OK) {
                goto failed;
            }
        }
    }

failed:

    *ctx = saved;

    return rv;
}


static char *
lt_http_merge_locations(lt_conf_t *cf, lt_queue_t *locations, void **loc_conf,
    lt_module_t *module)
{
    char                      *rv;
    lt_queue_t                *q;
    lt_http_conf_ctx_t        *ctx, saved;
    lt_http_core_loc_conf_t   *clcf;
    lt_http_location_queue_t  *lq;

    if (locations == NULL) {
        return LT_CONF_OK;
    }

    ctx = (lt_http_conf_ctx_t *) cf->ctx;
    saved = *ctx;

    for (q = lt_queue_head(locations);
         q != lt_queue_sentinel(locations);
         q = lt_queue_next(q))
    {
        lq = (lt_http_location_queue_t *) q;

        clcf = lq->exact ? lq->exact : lq->inclusive;
        ctx->loc_conf = clcf->loc_conf;

        rv = module->merge_loc_conf(cf, loc_conf[module->ctx_index],
                                    clcf->loc_conf[module->ctx_index]);
        if (rv != LT_CONF_OK) {
            return rv;
        }

        rv = lt_http_merge_locations(cf, clcf->locations, clcf->loc_conf, module);
        if (rv != LT_CONF_OK) {
            return rv;
        }
    }

    *ctx = saved;

    return LT_CONF_OK;
}


void
lt_http_register_filter(lt_http_filter_slot_e slot, lt_http_header_filter_pt header,
    lt_http_body_filter_pt body)
{
    if (header) {
        lt_http_slot_header[slot] = header;
    }

    if (body) {
        lt_http_slot_body[slot] = body;
    }
}


void
lt_http_link_filters(void)
{
    int                       s;
    lt_http_header_filter_pt  nh;
    lt_http_body_filter_pt    nb;

    nh = NULL;
    nb = NULL;

    /* from the writer back to the first slot: next[s] is what follows s */
    for (s = LT_HTTP_FILTER_NSLOTS - 1; s >= 0; s--) {
        lt_http_next_header[s] = nh;
        lt_http_next_body[s] = nb;

        if (lt_http_slot_header[s]) {
            nh = lt_http_slot_header[s];
        }

        if (lt_http_slot_body[s]) {
            nb = lt_http_slot_body[s];
        }
    }

    lt_http_top_header_filter = nh;
    lt_http_top_body_filter = nb;
}
