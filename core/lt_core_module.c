/*
 * lt_core_module.c: the main-context directives (worker_processes, daemon, pid,
 * user, env, ...) and their defaults.
 */

#include "lt_core.h"

static void *lt_core_module_create_conf(lt_cycle_t *cycle);
static char *lt_core_module_init_conf(lt_cycle_t *cycle, void *conf);
static char *lt_set_worker_processes(lt_conf_t *cf, lt_command_t *cmd, void *conf);
static char *lt_set_user(lt_conf_t *cf, lt_command_t *cmd, void *conf);
static char *lt_set_env(lt_conf_t *cf, lt_command_t *cmd, void *conf);
static char *lt_set_priority(lt_conf_t *cf, lt_command_t *cmd, void *conf);
static char *lt_set_cpu_affinity(lt_conf_t *cf, lt_command_t *cmd, void *conf);
static char *lt_set_ignored(lt_conf_t *cf, lt_command_t *cmd, void *conf);
static char *lt_set_load_module(lt_conf_t *cf, lt_command_t *cmd, void *conf);

static const lt_conf_enum_t  lt_debug_points[] = {
    { lt_string("stop"), 1 },
    { lt_string("abort"), 2 },
    lt_conf_enum_end
};

static const lt_conf_num_bounds_t  lt_rlimit_bounds = { 1, INT_MAX };

#define LT_CORE_DIRECT  (LT_CTX_MAIN | LT_CONF_DIRECT)

static lt_command_t  lt_core_commands[] = {

    { "daemon", LT_CORE_DIRECT, 1, 1, lt_conf_set_flag_slot, 0,
      offsetof(lt_core_conf_t, daemon), NULL },

    { "master_process", LT_CORE_DIRECT, 1, 1, lt_conf_set_flag_slot, 0,
      offsetof(lt_core_conf_t, master), NULL },

    { "timer_resolution", LT_CORE_DIRECT, 1, 1, lt_conf_set_msec_slot, 0,
      offsetof(lt_core_conf_t, timer_resolution), NULL },

    { "pid", LT_CORE_DIRECT, 1, 1, lt_conf_set_path_slot, 0,
      offsetof(lt_core_conf_t, pid), NULL },

    { "lock_file", LT_CORE_DIRECT, 1, 1, lt_set_ignored, 0, 0, NULL },

    { "worker_processes", LT_CORE_DIRECT, 1, 1, lt_set_worker_processes, 0, 0, NULL },

    { "debug_points", LT_CORE_DIRECT, 1, 1, lt_conf_set_enum_slot, 0,
      offsetof(lt_core_conf_t, debug_points), lt_debug_points },

    { "user", LT_CORE_DIRECT, 1, 2, lt_set_user, 0, 0, NULL },

    { "worker_priority", LT_CORE_DIRECT, 1, 1, lt_set_priority, 0, 0, NULL },

    { "worker_cpu_affinity", LT_CORE_DIRECT, 1, LT_CONF_MANY, lt_set_cpu_affinity, 0, 0,
      NULL },

    { "worker_rlimit_nofile", LT_CORE_DIRECT, 1, 1, lt_conf_set_num_slot, 0,
      offsetof(lt_core_conf_t, rlimit_nofile), &lt_rlimit_bounds },

    { "worker_rlimit_core", LT_CORE_DIRECT, 1, 1, lt_conf_set_off_slot, 0,
      offsetof(lt_core_conf_t, rlimit_core), NULL },

    { "worker_shutdown_timeout", LT_CORE_DIRECT, 1, 1, lt_conf_set_msec_slot, 0,
      offsetof(lt_core_conf_t, shutdown_timeout), NULL },

    { "working_directory", LT_CORE_DIRECT, 1, 1, lt_conf_set_path_slot, 0,
      offsetof(lt_core_conf_t, working_directory), NULL },

    { "env", LT_CORE_DIRECT, 1, 1, lt_set_env, 0, 0, NULL },

    { "pcre_jit", LT_CORE_DIRECT, 1, 1, lt_conf_set_flag_slot, 0,
      offsetof(lt_core_conf_t, pcre_jit), NULL },

    { "load_module", LT_CORE_DIRECT, 1, 1, lt_set_load_module, 0, 0, NULL },

    lt_null_command
};

lt_module_t  lt_core_module = {
    .name = "core",
    .type = LT_CORE_MODULE,
    .commands = lt_core_commands,
    .create_conf = lt_core_module_create_conf,
    .init_conf = lt_core_module_init_conf,
};


static void *
lt_core_module_create_conf(lt_cycle_t *cycle)
{
    lt_core_conf_t  *ccf;

    ccf = lt_pcalloc(cycle->pool, sizeof(lt_core_conf_t));
    if (ccf == NULL) {
        return NULL;
    }

    ccf->daemon = LT_CONF_UNSET;
    ccf->master = LT_CONF_UNSET;
    ccf->timer_resolution = LT_CONF_UNSET_MSEC;
    ccf->shutdown_timeout = LT_CONF_UNSET_MSEC;
    ccf->worker_processes = LT_CONF_UNSET;
    ccf->debug_points = LT_CONF_UNSET_UINT;
    ccf->rlimit_nofile = LT_CONF_UNSET;
    ccf->rlimit_core = LT_CONF_UNSET;
    ccf->priority = INT_MAX;
    ccf->cpu_affinity_auto = 0;
    ccf->pcre_jit = LT_CONF_UNSET;
    ccf->user = (uid_t) LT_CONF_UNSET_UINT;
    ccf->group = (gid_t) LT_CONF_UNSET_UINT;

    if (lt_array_init(&ccf->env, cycle->pool, 2, sizeof(lt_str_t)) != LT_OK) {
        return NULL;
    }

    return ccf;
}


static char *
lt_core_module_init_conf(lt_cycle_t *cycle, void *conf)
{
    size_t           i;
    lt_core_conf_t  *ccf = conf;
    lt_str_t        *var;
    struct passwd   *pwd;
    struct group    *grp;

    lt_conf_init_value(ccf->daemon, 1);
    lt_conf_init_value(ccf->master, 1);
    lt_conf_init_msec_value(ccf->timer_resolution, 0);
    lt_conf_init_msec_value(ccf->shutdown_timeout, 0);
    lt_conf_init_value(ccf->worker_processes, 1);
    lt_conf_init_uint_value(ccf->debug_points, 0);
    lt_conf_init_value(ccf->pcre_jit, 0);

    if (ccf->priority == INT_MAX) {
        ccf->priority = 0;
    }

    if (ccf->cpu_affinity && !ccf->cpu_affinity_auto
        && ccf->cpu_affinity_n < (size_t) ccf->worker_processes)
    {
        lt_log_error(LT_LOG_WARN, cycle->log, 0, "fewer \"worker_cpu_affinity\" masks "
                     "than \"worker_processes\", using the last mask for the remaining "
                     "worker processes");
    }

    if (ccf->pid.len == 0) {
        lt_str_set(&ccf->pid, LT_PID_PATH);
    }

    if (lt_conf_full_name(cycle, &ccf->pid, 0) != LT_OK) {
        return LT_CONF_ERROR;
    }

    ccf->oldpid.len = ccf->pid.len + sizeof(LINTEL_OLDPID_EXT);
    ccf->oldpid.data = lt_pnalloc(cycle->pool, ccf->oldpid.len);
    if (ccf->oldpid.data == NULL) {
        return LT_CONF_ERROR;
    }

    memcpy(lt_cpymem(ccf->oldpid.data, ccf->pid.data, ccf->pid.len),
           LINTEL_OLDPID_EXT, sizeof(LINTEL_OLDPID_EXT));
    ccf->oldpid.len--;

    if (ccf->user == (uid_t) LT_CONF_UNSET_UINT && geteuid() == 0) {
        errno = 0;
        pwd = getpwnam(LT_USER);
        if (pwd == NULL) {
            lt_log_error(LT_LOG_EMERG, cycle->log, errno, "getpwnam(\"" LT_USER "\") failed");
            return LT_CONF_ERROR;
        }

        ccf->username = LT_USER;
        ccf->user = pwd->pw_uid;

        errno = 0;
        grp = getgrnam(LT_GROUP);
        if (grp == NULL) {
            lt_log_error(LT_LOG_EMERG, cycle->log, errno, "getgrnam(\"" LT_GROUP "\") failed");
            return LT_CONF_ERROR;
        }

        ccf->group = grp->gr_gid;
    }

    /* TZ is always passed on, as nginx does, unless "env TZ..." already is */
    var = ccf->env.elts;

    for (i = 0; i < ccf->env.nelts; i++) {
        if (var[i].len >= 2 && memcmp(var[i].data, "TZ", 2) == 0
            && (var[i].len == 2 || var[i].data[2] == '='))
        {
            return LT_CONF_OK;
        }
    }

    var = lt_array_push(&ccf->env);
    if (var == NULL) {
        return LT_CONF_ERROR;
    }

    lt_str_set(var, "TZ");

    return LT_CONF_OK;
}


static char *
lt_set_worker_processes(lt_conf_t *cf, lt_command_t *cmd, void *conf)
{
    lt_core_conf_t  *ccf = conf;
    lt_str_t        *value;
    int64_t          n;

    if (ccf->worker_processes != LT_CONF_UNSET) {
        return "is duplicate";
    }

    value = cf->args->elts;

    if (lt_str_eq(&value[1], "auto")) {
        ccf->worker_processes = lt_ncpu;
        return LT_CONF_OK;
    }

    n = lt_atoi(value[1].data, value[1].len);

    if (n == LT_ERROR || n < 1 || n >= LT_MAX_PROCESSES) {
        lt_conf_log_error(LT_LOG_EMERG, cf, 0,
                          "invalid value \"%s\" in \"%s\" directive, it must be \"auto\" "
                          "or a number from 1 to %d", value[1].data, cmd->name,
                          LT_MAX_PROCESSES - 1);
        return LT_CONF_ERROR;
    }

    ccf->worker_processes = (int) n;

    return LT_CONF_OK;
}


static char *
lt_set_user(lt_conf_t *cf, lt_command_t *cmd, void *conf)
{
    lt_core_conf_t  *ccf = conf;
    lt_str_t        *value;
    const char      *group;
    struct passwd   *pwd;
    struct group    *grp;

    if (ccf->username) {
        return "is duplicate";
    }

    value = cf->args->elts;

    ccf->username = (char *) value[1].data;

    if (geteuid() != 0) {
        lt_conf_log_error(LT_LOG_WARN, cf, 0, "the \"user\" directive makes sense only "
                          "if the master process runs with super-user privileges, "
                          "ignored");
        return LT_CONF_OK;
    }

    errno = 0;
    pwd = getpwnam((char *) value[1].data);
    if (pwd == NULL) {
        lt_conf_log_error(LT_LOG_EMERG, cf, errno, "getpwnam(\"%s\") failed",
                          value[1].data);
        return LT_CONF_ERROR;
    }

    ccf->user = pwd->pw_uid;

    group = (char *) (cf->args->nelts == 2 ? value[1].data : value[2].data);

    errno = 0;
    grp = getgrnam(group);
    if (grp == NULL) {
        lt_conf_log_error(LT_LOG_EMERG, cf, errno, "getgrnam(\"%s\") failed", group);
        return LT_CONF_ERROR;
    }

    ccf->group = grp->gr_gid;

    return LT_CONF_OK;
}


static char *
lt_set_env(lt_conf_t *cf, lt_command_t *cmd, void *conf)
{
    lt_core_conf_t  *ccf = conf;
    lt_str_t        *value, *var;

    value = cf->args->elts;

    if (value[1].len == 0 || value[1].data[0] == '=') {
        lt_conf_log_error(LT_LOG_EMERG, cf, 0, "invalid value \"%s\" in \"%s\" directive",
                          value[1].data, cmd->name);
        return LT_CONF_ERROR;
    }

    var = lt_array_push(&ccf->env);
    if (var == NULL) {
        return LT_CONF_ERROR;
    }

    *var = value[1];

    return LT_CONF_OK;
}


static char *
lt_set_priority(lt_conf_t *cf, lt_command_t *cmd, void *conf)
{
    lt_core_conf_t  *ccf = conf;
    lt_str_t        *value;
    int64_t          n;
    int              minus;

    if (ccf->priority != INT_MAX) {
        return "is duplicate";
    }

    value = cf->args->elts;

    minus = value[1].len > 1 && value[1].data[0] == '-';
    n = minus ? lt_atoi(value[1].data + 1, value[1].len - 1)
              : lt_atoi(value[1].data, value[1].len);

    if (n == LT_ERROR || n > 20) {
        lt_conf_log_error(LT_LOG_EMERG, cf, 0, "invalid value \"%s\" in \"%s\" directive, "
                          "it must be between -20 and 20", value[1].data, cmd->name);
        return LT_CONF_ERROR;
    }

    ccf->priority = (int) (minus ? -n : n);

    return LT_CONF_OK;
}


/* lt_parse_cpu_mask: "0101" (CPU 0 is the rightmost digit) -> bits */
static int
lt_parse_cpu_mask(lt_conf_t *cf, lt_str_t *value, uint64_t *mask)
{
    size_t  i;

    if (value->len == 0 || value->len > 64) {
        lt_conf_log_error(LT_LOG_EMERG, cf, 0, "\"worker_cpu_affinity\" supports up to "
                          "64 CPUs only");
        return LT_ERROR;
    }

    *mask = 0;

    for (i = 0; i < value->len; i++) {
        if (value->data[i] != '0' && value->data[i] != '1') {
            lt_conf_log_error(LT_LOG_EMERG, cf, 0, "invalid character \"%c\" in "
                              "\"worker_cpu_affinity\"", value->data[i]);
            return LT_ERROR;
        }

        *mask = (*mask << 1) | (uint64_t) (value->data[i] - '0');
    }

    return LT_OK;
}


static char *
lt_set_cpu_affinity(lt_conf_t *cf, lt_command_t *cmd, void *conf)
{
    lt_core_conf_t  *ccf = conf;
    lt_str_t        *value;
    size_t           i, first;

    if (ccf->cpu_affinity) {
        return "is duplicate";
    }

    value = cf->args->elts;
    first = 1;

    if (lt_str_eq(&value[1], "auto")) {
        if (cf->args->nelts > 3) {
            lt_conf_log_error(LT_LOG_EMERG, cf, 0,
                              "invalid number of arguments in \"%s\" directive", cmd->name);
            return LT_CONF_ERROR;
        }

        ccf->cpu_affinity_auto = 1;
        first = 2;
    }

    ccf->cpu_affinity_n = cf->args->nelts - first;

    ccf->cpu_affinity = lt_pcalloc(cf->pool, (ccf->cpu_affinity_n + 1) * sizeof(uint64_t));
    if (ccf->cpu_affinity == NULL) {
        return LT_CONF_ERROR;
    }

    if (ccf->cpu_affinity_n == 0) {
        /* "auto" alone: any CPU may be used */
        ccf->cpu_affinity[0] = (uint64_t) -1;
        ccf->cpu_affinity_n = 1;
        return LT_CONF_OK;
    }

    for (i = first; i < cf->args->nelts; i++) {
        if (lt_parse_cpu_mask(cf, &value[i], &ccf->cpu_affinity[i - first]) != LT_OK) {
            return LT_CONF_ERROR;
        }
    }

    return LT_CONF_OK;
}


uint64_t
lt_get_cpu_affinity(lt_cycle_t *cycle, unsigned n)
{
    lt_core_conf_t  *ccf;
    uint64_t         mask;
    unsigned         i, j;

    ccf = (lt_core_conf_t *) lt_get_conf(cycle->conf_ctx, lt_core_module);

    if (ccf->cpu_affinity == NULL) {
        return 0;
    }

    if (!ccf->cpu_affinity_auto) {
        /* fewer masks than workers: the last one applies to the rest */
        return ccf->cpu_affinity[n < ccf->cpu_affinity_n ? n : ccf->cpu_affinity_n - 1];
    }

    /* auto: the n-th CPU of those we may run on, round robin */
    mask = ccf->cpu_affinity[0];

    if (lt_cpu_allowed) {
        mask &= lt_cpu_allowed;
    }

    for ( ;; ) {
        for (i = 0, j = 0; i < 64; i++) {
            if ((mask & ((uint64_t) 1 << i)) == 0) {
                continue;
            }

            if (j++ == n) {
                return (uint64_t) 1 << i;
            }
        }

        if (j == 0) {
            return 0;
        }

        n %= j;
    }
}


static char *
lt_set_ignored(lt_conf_t *cf, lt_command_t *cmd, void *conf)
{
    /* accepted for nginx compatibility; lintel has no use for it */
    return LT_CONF_OK;
}


static char *
lt_set_load_module(lt_conf_t *cf, lt_command_t *cmd, void *conf)
{
    lt_str_t  *value = cf->args->elts;

    lt_conf_log_error(LT_LOG_WARN, cf, 0, "\"load_module %s\" ignored: lintel's modules "
                      "are compiled in (lintel -V lists them)", value[1].data);

    return LT_CONF_OK;
}


void
lt_debug_point(void)
{
    lt_core_conf_t  *ccf;

    if (lt_cycle == NULL || lt_cycle->conf_ctx == NULL) {
        return;
    }

    ccf = (lt_core_conf_t *) lt_get_conf(lt_cycle->conf_ctx, lt_core_module);

    switch (ccf->debug_points) {

    case 1: /* stop: leave the process for a debugger to attach */
        (void) raise(SIGSTOP);
        break;

    case 2: /* abort: a core dump of the state */
        abort();
    }
}
