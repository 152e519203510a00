/*
 * access.c: allow and deny by client address ("http_access", nginx's
 * ngx_http_access_module). The rules of a level are checked in order and the
 * first that matches the client decides; none matching lets the request on. A
 * level with rules of its own replaces the inherited ones.
 */

#include "lt_http.h"

typedef struct {
    lt_cidr_t       cidr;
    unsigned        all:1;      /* "all": every client */
    unsigned        unix:1;     /* "unix:": clients on unix sockets */
    unsigned        deny:1;
} lt_http_access_rule_t;

typedef struct {
    lt_array_t     *rules;      /* lt_http_access_rule_t; NULL: none at this level */
} lt_http_access_loc_conf_t;

static int lt_http_access_handler(lt_http_request_t *r);
static char *lt_http_access_rule(lt_conf_t *cf, lt_command_t *cmd, void *conf);
static void *lt_http_access_create_loc_conf(lt_conf_t *cf);
static char *lt_http_access_merge_loc_conf(lt_conf_t *cf, void *parent, void *child);
static int lt_http_access_init(lt_conf_t *cf);

#define LT_HTTP_ACCESS_CTX  (LT_HTTP_ANY_CONF | LT_CTX_LIF | LT_CTX_LIMIT_EXCEPT)

static lt_command_t  lt_http_access_commands[] = {

    { "allow", LT_HTTP_ACCESS_CTX, 1, 1, lt_http_access_rule, LT_LOC_CONF, 0, NULL },

    { "deny", LT_HTTP_ACCESS_CTX, 1, 1, lt_http_access_rule, LT_LOC_CONF, 0, NULL },

    lt_null_command
};

lt_module_t  lt_http_access_module = {
    .name = "http_access",
    .type = LT_HTTP_MODULE,
    .commands = lt_http_access_commands,
    .postconfiguration = lt_http_access_init,
    .create_loc_conf = lt_http_access_create_loc_conf,
    .merge_loc_conf = lt_http_access_merge_loc_conf,
};


static int
lt_http_access_handler(lt_http_request_t *r)
{
    size_t                      i;
    struct sockaddr            *sa;
    lt_http_access_rule_t      *rule;
    lt_http_core_loc_conf_t    *clcf;
    lt_http_access_loc_conf_t  *alcf;

    alcf = lt_http_get_module_loc_conf(r, lt_http_access_module);

    if (alcf->rules == NULL) {
        return LT_DECLINED;
    }

    sa = r->connection->sockaddr;
    rule = alcf->rules->elts;

    for (i = 0; i < alcf->rules->nelts; i++) {

        if (!rule[i].all) {
            if (rule[i].unix ? sa->sa_family != AF_UNIX
                             : !lt_cidr_match(sa, &rule[i].cidr))
            {
                continue;
            }
        }

        if (!rule[i].deny) {
            return LT_OK;
        }

        clcf = lt_http_get_module_loc_conf(r, lt_http_core_module);

        if (clcf->satisfy == LT_HTTP_SATISFY_ALL) {
            /* with "satisfy any" another module may still grant it: the core
             * logs the refusal only when none did */
            lt_log_error(LT_LOG_ERR, r->connection->log, 0, "access forbidden by rule");
        }

        return LT_HTTP_FORBIDDEN;
    }

    return LT_DECLINED;
}


/* allow | deny address | CIDR | unix: | all */
static char *
lt_http_access_rule(lt_conf_t *cf, lt_command_t *cmd, void *conf)
{
    int                         rc;
    lt_str_t                   *value;
    lt_http_access_rule_t      *rule;
    lt_http_access_loc_conf_t  *alcf = conf;

    value = cf->args->elts;

    if (alcf->rules == NULL) {
        alcf->rules = lt_array_create(cf->pool, 4, sizeof(lt_http_access_rule_t));
        if (alcf->rules == NULL) {
            return LT_CONF_ERROR;
        }
    }

    rule = lt_array_push(alcf->rules);
    if (rule == NULL) {
        return LT_CONF_ERROR;
    }

    lt_memzero(rule, sizeof(lt_http_access_rule_t));
    rule->deny = (value[0].data[0] == 'd');

    if (lt_str_eq(&value[1], "all")) {
        rule->all = 1;
        return LT_CONF_OK;
    }

    if (lt_str_eq(&value[1], "unix:")) {
        rule->unix = 1;
        return LT_CONF_OK;
    }

    rc = lt_parse_cidr(&value[1], &rule->cidr);

    if (rc == LT_ERROR) {
        lt_conf_log_error(LT_LOG_EMERG, cf, 0, "invalid parameter \"%s\"", value[1].data);
        return LT_CONF_ERROR;
    }

    if (rc == LT_DONE) {
        lt_conf_log_error(LT_LOG_WARN, cf, 0, "low address bits of %s are meaningless",
                          value[1].data);
    }

    return LT_CONF_OK;
}


static void *
lt_http_access_create_loc_conf(lt_conf_t *cf)
{
    return lt_pcalloc(cf->pool, sizeof(lt_http_access_loc_conf_t));
}


static char *
lt_http_access_merge_loc_conf(lt_conf_t *cf, void *parent, void *child)
{
    lt_http_access_loc_conf_t  *prev = parent;
    lt_http_access_loc_conf_t  *conf = child;

    if (conf->rules == NULL) {
        conf->rules = prev->rules;
    }

    return LT_CONF_OK;
}


static int
lt_http_access_init(lt_conf_t *cf)
{
    return lt_http_add_phase_handler(cf, LT_HTTP_ACCESS_PHASE, lt_http_access_handler);
}
