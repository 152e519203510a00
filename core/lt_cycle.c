/*
 * lt_cycle.c: loading a configuration into a cycle (see lt_cycle.h).
 *
 * lt_init_cycle() builds the new cycle completely beside the old one: parse,
 * open files, map zones (inheriting unchanged ones), bind listeners (inheriting
 * unchanged ones). Only when all of that worked does it release what the old
 * cycle had and the new one does not use. On failure it undoes its own work and
 * the old cycle is untouched.
 */

#include "lt_core.h"

volatile lt_cycle_t  *lt_cycle;
int                   lt_test_config;
int                   lt_dump_config_flag;
int                   lt_quiet_mode;

static void lt_destroy_cycle_pools(lt_conf_t *conf);
static int lt_init_zone(lt_cycle_t *cycle, lt_cycle_t *old_cycle, lt_shm_zone_t *zone);
static int lt_inherit_listening(lt_cycle_t *cycle, lt_cycle_t *old_cycle);
static void lt_release_old(lt_cycle_t *cycle, lt_cycle_t *old_cycle);
static void lt_rollback_cycle(lt_cycle_t *cycle);
static int lt_open_cycle_files(lt_cycle_t *cycle);
static int lt_check_pidfile(lt_cycle_t *cycle, lt_cycle_t *old_cycle);
static int lt_renew_pidfile(lt_cycle_t *cycle, lt_cycle_t *old_cycle);


static lt_cycle_t *
lt_alloc_cycle(lt_cycle_t *old_cycle)
{
    lt_pool_t   *pool;
    lt_cycle_t  *cycle;
    size_t       n;
    char         host[256];

    pool = lt_create_pool(LT_CYCLE_POOL_SIZE, old_cycle->log);
    if (pool == NULL) {
        return NULL;
    }

    cycle = lt_pcalloc(pool, sizeof(lt_cycle_t));
    if (cycle == NULL) {
        goto failed;
    }

    cycle->pool = pool;
    cycle->log = old_cycle->log;
    cycle->old_cycle = old_cycle;

#define lt_cycle_copy_str(field)                                              \
    cycle->field.len = old_cycle->field.len;                                  \
    cycle->field.data = lt_pstrdup(pool, &old_cycle->field);                  \
    if (cycle->field.data == NULL) {                                          \
        goto failed;                                                          \
    }

    lt_cycle_copy_str(conf_prefix);
    lt_cycle_copy_str(prefix);
    lt_cycle_copy_str(error_log);
    lt_cycle_copy_str(conf_file);
    lt_cycle_copy_str(conf_param);

#undef lt_cycle_copy_str

    n = old_cycle->paths.nelts ? old_cycle->paths.nelts : 8;
    if (lt_array_init(&cycle->paths, pool, n, sizeof(lt_path_t *)) != LT_OK
        || lt_array_init(&cycle->config_dump, pool, 1, sizeof(lt_conf_dump_t)) != LT_OK
        || lt_list_init(&cycle->open_files, pool, 20, sizeof(lt_open_file_t)) != LT_OK
        || lt_list_init(&cycle->shared_memory, pool, 4, sizeof(lt_shm_zone_t)) != LT_OK)
    {
        goto failed;
    }

    n = old_cycle->listening.nelts ? old_cycle->listening.nelts : 10;
    if (lt_array_init(&cycle->listening, pool, n, sizeof(lt_listening_t)) != LT_OK) {
        goto failed;
    }

    lt_queue_init(&cycle->reusable_connections_queue);

    cycle->conf_ctx = lt_pcalloc(pool, lt_modules_n * sizeof(void *));
    if (cycle->conf_ctx == NULL) {
        goto failed;
    }

    if (gethostname(host, sizeof(host) - 1) == -1) {
        lt_log_error(LT_LOG_EMERG, cycle->log, errno, "gethostname() failed");
        goto failed;
    }

    host[sizeof(host) - 1] = '\0';
    cycle->hostname.len = strlen(host);
    cycle->hostname.data = lt_pnalloc(pool, cycle->hostname.len + 1);
    if (cycle->hostname.data == NULL) {
        goto failed;
    }

    lt_strlow(cycle->hostname.data, (u_char *) host, cycle->hostname.len + 1);

    return cycle;

failed:

    lt_destroy_pool(pool);
    return NULL;
}


/* lt_parse_cycle_conf: creates the core modules' confs and reads -g and the file */
static int
lt_parse_cycle_conf(lt_cycle_t *cycle, lt_conf_t *conf)
{
    size_t        i;
    void         *rv;
    lt_module_t  *m;

    for (i = 0; lt_modules[i]; i++) {
        m = lt_modules[i];

        if (m->type != LT_CORE_MODULE || m->create_conf == NULL) {
            continue;
        }

        rv = m->create_conf(cycle);
        if (rv == NULL) {
            return LT_ERROR;
        }

        cycle->conf_ctx[m->index] = rv;
    }

    lt_memzero(conf, sizeof(lt_conf_t));

    conf->args = lt_array_create(cycle->pool, 10, sizeof(lt_str_t));
    conf->temp_pool = lt_create_pool(LT_CYCLE_POOL_SIZE, cycle->log);
    if (conf->args == NULL || conf->temp_pool == NULL) {
        return LT_ERROR;
    }

    conf->ctx = cycle->conf_ctx;
    conf->cycle = cycle;
    conf->pool = cycle->pool;
    conf->log = cycle->log;
    conf->module_type = LT_CORE_MODULE;
    conf->cmd_type = LT_CTX_MAIN;

    if (lt_conf_param(conf) != LT_CONF_OK) {
        return LT_ERROR;
    }

    if (lt_conf_parse(conf, &cycle->conf_file) != LT_CONF_OK) {
        return LT_ERROR;
    }

    if (lt_test_config && !lt_quiet_mode) {
        lt_log_stderr(0, "the configuration file %s syntax is ok", cycle->conf_file.data);
    }

    for (i = 0; lt_modules[i]; i++) {
        m = lt_modules[i];

        if (m->type != LT_CORE_MODULE || m->init_conf == NULL) {
            continue;
        }

        if (m->init_conf(cycle, cycle->conf_ctx[m->index]) == LT_CONF_ERROR) {
            return LT_ERROR;
        }
    }

    return LT_OK;
}


lt_cycle_t *
lt_init_cycle(lt_cycle_t *old_cycle)
{
    size_t            i;
    lt_cycle_t       *cycle;
    lt_conf_t         conf;
    lt_core_conf_t   *ccf;
    lt_list_iter_t    it;
    lt_shm_zone_t    *zone;

    lt_time_update();

    cycle = lt_alloc_cycle(old_cycle);
    if (cycle == NULL) {
        return NULL;
    }

    lt_memzero(&conf, sizeof(lt_conf_t));

    if (lt_parse_cycle_conf(cycle, &conf) != LT_OK) {
        lt_destroy_cycle_pools(&conf);
        lt_destroy_pool(cycle->pool);
        return NULL;
    }

    if (lt_process == LT_PROCESS_SIGNALLER) {
        return cycle;
    }

    ccf = (lt_core_conf_t *) lt_get_conf(cycle->conf_ctx, lt_core_module);

    if (lt_check_pidfile(cycle, old_cycle) != LT_OK) {
        goto failed;
    }

    if (lt_create_paths(cycle, ccf->user) != LT_OK) {
        goto failed;
    }

    if (lt_log_open_default(cycle) != LT_OK) {
        goto failed;
    }

    if (lt_open_cycle_files(cycle) != LT_OK) {
        goto failed;
    }

    cycle->log = &cycle->new_log;
    cycle->pool->log = &cycle->new_log;

    /* shared memory */

    lt_list_iter_init(&it, &cycle->shared_memory);

    while ((zone = lt_list_iter_next(&it)) != NULL) {
        if (lt_init_zone(cycle, old_cycle, zone) != LT_OK) {
            goto failed;
        }
    }

    /* listening sockets */

    if (lt_inherit_listening(cycle, old_cycle) != LT_OK) {
        goto failed;
    }

    if (lt_open_listening_sockets(cycle) != LT_OK) {
        goto failed;
    }

    if (lt_renew_pidfile(cycle, old_cycle) != LT_OK) {
        goto failed;
    }

    if (!lt_test_config) {
        lt_configure_listening_sockets(cycle);
    }

    /* commit: from here on the new cycle is the one */

    if (!lt_use_stderr) {
        (void) lt_log_redirect_stderr(cycle);
    }

    for (i = 0; lt_modules[i]; i++) {
        if (lt_modules[i]->init_module && lt_modules[i]->init_module(cycle) != LT_OK) {
            /* fatal: the old cycle's resources may already be shared with the new */
            exit(1);
        }
    }

    lt_release_old(cycle, old_cycle);

    lt_destroy_pool(conf.temp_pool);

    if (lt_process == LT_PROCESS_MASTER || lt_is_init_cycle(old_cycle)) {
        lt_destroy_pool(old_cycle->pool);
        cycle->old_cycle = NULL;
    }

    return cycle;

failed:

    lt_rollback_cycle(cycle);
    lt_destroy_cycle_pools(&conf);
    lt_destroy_pool(cycle->pool);

    return NULL;
}


static void
lt_destroy_cycle_pools(lt_conf_t *conf)
{
    if (conf->temp_pool) {
        lt_destroy_pool(conf->temp_pool);
        conf->temp_pool = NULL;
    }
}


/* lt_check_pidfile: -t checks that the pid file can be written */
static int
lt_check_pidfile(lt_cycle_t *cycle, lt_cycle_t *old_cycle)
{
    int              fd;
    lt_core_conf_t  *ccf;

    ccf = (lt_core_conf_t *) lt_get_conf(cycle->conf_ctx, lt_core_module);

    if (lt_test_config) {
        fd = open((char *) ccf->pid.data, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);

        if (fd == -1) {
            lt_log_error(LT_LOG_EMERG, cycle->log, errno, "open() \"%s\" failed",
                         ccf->pid.data);
            return LT_ERROR;
        }

        close(fd);
        return LT_OK;
    }

    return LT_OK;
}


/* lt_renew_pidfile: a reload that renames the pid file writes the new one and
 * removes the old; called once nothing else can fail */
static int
lt_renew_pidfile(lt_cycle_t *cycle, lt_cycle_t *old_cycle)
{
    lt_core_conf_t  *ccf, *old_ccf;

    if (lt_test_config || lt_is_init_cycle(old_cycle)) {
        /* the first pid file is written by main() once the process is final */
        return LT_OK;
    }

    ccf = (lt_core_conf_t *) lt_get_conf(cycle->conf_ctx, lt_core_module);
    old_ccf = (lt_core_conf_t *) lt_get_conf(old_cycle->conf_ctx, lt_core_module);

    if (ccf->pid.len == old_ccf->pid.len
        && memcmp(ccf->pid.data, old_ccf->pid.data, ccf->pid.len) == 0)
    {
        return LT_OK;
    }

    if (lt_create_pidfile(&ccf->pid, cycle->log) != LT_OK) {
        return LT_ERROR;
    }

    lt_delete_pidfile(old_cycle);

    return LT_OK;
}


static int
lt_open_cycle_files(lt_cycle_t *cycle)
{
    lt_list_iter_t   it;
    lt_open_file_t  *file;

    lt_list_iter_init(&it, &cycle->open_files);

    while ((file = lt_list_iter_next(&it)) != NULL) {
        if (file->name.len == 0) {
            continue;
        }

        file->fd = open((char *) file->name.data,
                          O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);

        if (file->fd == -1) {
            lt_log_error(LT_LOG_EMERG, cycle->log, errno, "open() \"%s\" failed",
                         file->name.data);
            return LT_ERROR;
        }
    }

    return LT_OK;
}


/* lt_init_zone: maps a zone or takes over the previous cycle's identical one */
static int
lt_init_zone(lt_cycle_t *cycle, lt_cycle_t *old_cycle, lt_shm_zone_t *zone)
{
    lt_shm_zone_t  *old;

    if (zone->shm.size == 0) {
        lt_log_error(LT_LOG_EMERG, cycle->log, 0, "zero size shared memory zone \"%.*s\"",
                     (int) zone->shm.name.len, zone->shm.name.data);
        return LT_ERROR;
    }

    zone->shm.log = cycle->log;

    if (!lt_is_init_cycle(old_cycle) && !zone->noreuse) {
        old = lt_shm_zone_find(&old_cycle->shared_memory, &zone->shm.name, NULL);

        if (old && old->tag == zone->tag && old->shm.size == zone->shm.size
            && !old->noreuse)
        {
            zone->shm.addr = old->shm.addr;
            zone->shm.exists = 1;

            if (lt_init_zone_pool(cycle, zone) != LT_OK) {
                return LT_ERROR;
            }

            return zone->init(zone, old->data);
        }
    }

    if (lt_shm_alloc(&zone->shm) != LT_OK) {
        return LT_ERROR;
    }

    if (lt_init_zone_pool(cycle, zone) != LT_OK) {
        return LT_ERROR;
    }

    return zone->init(zone, NULL);
}


/* lt_inherit_listening: a listener whose address (and reuseport copy) is unchanged
 * keeps the previous cycle's socket */
static int
lt_inherit_listening(lt_cycle_t *cycle, lt_cycle_t *old_cycle)
{
    size_t           i, j;
    lt_listening_t  *ls, *nls;

    /* the init cycle holds the sockets a previous binary passed on (USR2) */
    ls = old_cycle->listening.elts;

    for (i = 0; i < old_cycle->listening.nelts; i++) {
        ls[i].remain = 0;
    }

    nls = cycle->listening.elts;

    for (i = 0; i < cycle->listening.nelts; i++) {

        for (j = 0; j < old_cycle->listening.nelts; j++) {

            if (ls[j].ignore || ls[j].remain || ls[j].fd == -1) {
                continue;
            }

            if (ls[j].type != nls[i].type || ls[j].reuseport != nls[i].reuseport
                || ls[j].worker != nls[i].worker)
            {
                continue;
            }

            if (lt_cmp_sockaddr(nls[i].sockaddr, nls[i].socklen,
                                ls[j].sockaddr, ls[j].socklen, 1) != LT_OK)
            {
                continue;
            }

            nls[i].fd = ls[j].fd;
            nls[i].inherited = ls[j].inherited;
            nls[i].previous = &ls[j];
            ls[j].remain = 1;

            break;
        }
    }

    return LT_OK;
}


/* lt_release_old: closes what the old cycle had and the new one does not use */
static void
lt_release_old(lt_cycle_t *cycle, lt_cycle_t *old_cycle)
{
    size_t           i;
    lt_list_iter_t   it;
    lt_shm_zone_t   *zone;
    lt_listening_t  *ls;
    lt_open_file_t  *file;

    ls = old_cycle->listening.elts;

    for (i = 0; i < old_cycle->listening.nelts; i++) {
        if (ls[i].remain || ls[i].fd == -1) {
            continue;
        }

        if (close(ls[i].fd) == -1) {
            lt_log_error(LT_LOG_EMERG, cycle->log, errno,
                         "close() socket listening on %.*s failed",
                         (int) ls[i].addr_text.len, ls[i].addr_text.data);
        }

        if (ls[i].sockaddr->sa_family == AF_UNIX && !ls[i].inherited) {
            (void) unlink(((struct sockaddr_un *) ls[i].sockaddr)->sun_path);
        }
    }

    if (lt_is_init_cycle(old_cycle)) {
        return;
    }

    lt_list_iter_init(&it, &old_cycle->shared_memory);

    while ((zone = lt_list_iter_next(&it)) != NULL) {
        if (lt_shm_zone_find(&cycle->shared_memory, NULL, zone->shm.addr) == NULL) {
            lt_shm_free(&zone->shm);
        }
    }

    lt_list_iter_init(&it, &old_cycle->open_files);

    while ((file = lt_list_iter_next(&it)) != NULL) {
        if (file->fd == LT_INVALID_FILE || file->fd == STDERR_FILENO) {
            continue;
        }

        if (file->flush) {
            file->flush(file, cycle->log);
        }

        if (close(file->fd) == -1) {
            lt_log_error(LT_LOG_EMERG, cycle->log, errno, "close() \"%s\" failed",
                         file->name.data);
        }
    }
}


/* lt_rollback_cycle: undoes what a failed lt_init_cycle opened and mapped */
static void
lt_rollback_cycle(lt_cycle_t *cycle)
{
    size_t           i;
    lt_list_iter_t   it;
    lt_shm_zone_t   *zone;
    lt_listening_t  *ls;
    lt_open_file_t  *file;

    lt_list_iter_init(&it, &cycle->open_files);

    while ((file = lt_list_iter_next(&it)) != NULL) {
        if (file->fd != LT_INVALID_FILE && file->fd != STDERR_FILENO) {
            (void) close(file->fd);
        }
    }

    lt_list_iter_init(&it, &cycle->shared_memory);

    while ((zone = lt_list_iter_next(&it)) != NULL) {
        if (zone->shm.addr && !zone->shm.exists) {
            lt_shm_free(&zone->shm);
        }
    }

    ls = cycle->listening.elts;

    for (i = 0; i < cycle->listening.nelts; i++) {
        if (ls[i].fd == -1 || !ls[i].open) {
            continue;
        }

        (void) close(ls[i].fd);

        if (ls[i].sockaddr->sa_family == AF_UNIX) {
            (void) unlink(((struct sockaddr_un *) ls[i].sockaddr)->sun_path);
        }
    }

    /* error messages from here on go where the old cycle's log writes */
    cycle->log = cycle->old_cycle->log;
}


int
lt_create_pidfile(lt_str_t *name, lt_log_t *log)
{
    int      fd;
    u_char   pid[LT_INT64_LEN + 2], *p;
    ssize_t  n;

    if (lt_process > LT_PROCESS_MASTER) {
        return LT_OK;
    }

    fd = open((char *) name->data, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

    if (fd == -1) {
        lt_log_error(LT_LOG_EMERG, log, errno, "open() \"%s\" failed", name->data);
        return LT_ERROR;
    }

    p = lt_sprint_uint(pid, (uint64_t) lt_pid);
    *p++ = '\n';

    n = write(fd, pid, p - pid);

    if (n != p - pid) {
        lt_log_error(LT_LOG_EMERG, log, errno, "write() to \"%s\" failed", name->data);
        close(fd);
        return LT_ERROR;
    }

    if (close(fd) == -1) {
        lt_log_error(LT_LOG_ALERT, log, errno, "close() \"%s\" failed", name->data);
    }

    return LT_OK;
}


void
lt_delete_pidfile(lt_cycle_t *cycle)
{
    lt_core_conf_t  *ccf;
    u_char          *name;

    ccf = (lt_core_conf_t *) lt_get_conf(cycle->conf_ctx, lt_core_module);

    name = lt_new_binary ? ccf->oldpid.data : ccf->pid.data;

    if (unlink((char *) name) == -1) {
        lt_log_error(LT_LOG_ALERT, cycle->log, errno, "unlink() \"%s\" failed", name);
    }
}


int
lt_signal_process(lt_cycle_t *cycle, const char *sig)
{
    int64_t          pid;
    int              signo;
    lt_str_t         content;
    lt_core_conf_t  *ccf;
    size_t           n;

    ccf = (lt_core_conf_t *) lt_get_conf(cycle->conf_ctx, lt_core_module);

    if (lt_read_whole_file(cycle->pool, (char *) ccf->pid.data, &content) != LT_OK) {
        lt_log_error(LT_LOG_ERR, cycle->log, errno, "open() \"%s\" failed", ccf->pid.data);
        return 1;
    }

    for (n = content.len; n && (content.data[n - 1] == LF || content.data[n - 1] == CR
                                || content.data[n - 1] == ' '); n--)
    {
        /* void */
    }

    pid = lt_atoi(content.data, n);

    if (pid <= 0 || pid > INT_MAX) {
        lt_log_error(LT_LOG_ERR, cycle->log, 0, "invalid PID number \"%.*s\" in \"%s\"",
                     (int) n, content.data, ccf->pid.data);
        return 1;
    }

    signo = lt_signal_by_command(sig);

    if (kill((pid_t) pid, signo) == -1) {
        lt_log_error(LT_LOG_ALERT, cycle->log, errno, "kill(%d, %d) failed",
                     (int) pid, signo);
        return 1;
    }

    return 0;
}


void
lt_reopen_files(lt_cycle_t *cycle, uid_t user)
{
    int              fd;
    lt_list_iter_t   it;
    lt_open_file_t  *file;

    lt_list_iter_init(&it, &cycle->open_files);

    while ((file = lt_list_iter_next(&it)) != NULL) {
        if (file->name.len == 0) {
            continue;
        }

        if (file->flush) {
            file->flush(file, cycle->log);
        }

        fd = open((char *) file->name.data, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC,
                  0644);

        if (fd == -1) {
            lt_log_error(LT_LOG_EMERG, cycle->log, errno, "open() \"%s\" failed",
                         file->name.data);
            continue;
        }

        if (user != (uid_t) LT_CONF_UNSET_UINT && geteuid() == 0) {
            if (fchown(fd, user, (gid_t) -1) == -1) {
                lt_log_error(LT_LOG_EMERG, cycle->log, errno, "chown(\"%s\", %d) failed",
                             file->name.data, (int) user);
            }
        }

        if (close(file->fd) == -1) {
            lt_log_error(LT_LOG_EMERG, cycle->log, errno, "close() \"%s\" failed",
                         file->name.data);
        }

        file->fd = fd;
    }

    (void) lt_log_redirect_stderr(cycle);
}


char **
lt_set_environment(lt_cycle_t *cycle, size_t *last)
{
    char            **p, **env;
    size_t            i, n;
    lt_str_t         *var;
    lt_core_conf_t   *ccf;
    size_t            len;
    const char       *eq;

    ccf = (lt_core_conf_t *) lt_get_conf(cycle->conf_ctx, lt_core_module);

    if (last == NULL && ccf->environment) {
        return ccf->environment;
    }

    var = ccf->env.elts;

    n = 0;
    for (p = lt_os_environ; *p; p++) {
        n++;
    }

    env = lt_palloc(cycle->pool, (n + ccf->env.nelts + 2) * sizeof(char *));
    if (env == NULL) {
        return NULL;
    }

    n = 0;

    for (i = 0; i < ccf->env.nelts; i++) {

        eq = memchr(var[i].data, '=', var[i].len);

        if (eq) {
            env[n++] = (char *) var[i].data;
            continue;
        }

        /* "env NAME": keep the variable the master was started with */
        for (p = lt_os_environ; *p; p++) {
            len = var[i].len;

            if (strncmp(*p, (char *) var[i].data, len) == 0 && (*p)[len] == '=') {
                env[n++] = *p;
                break;
            }
        }
    }

    env[n] = NULL;

    if (last) {
        *last = n;
        return env;
    }

    ccf->environment = env;
    environ = env;

    return env;
}


static lt_event_t  lt_shutdown_event;

/* lt_shutdown_timer_handler: worker_shutdown_timeout passed: close everything */
static void
lt_shutdown_timer_handler(lt_event_t *ev)
{
    size_t            i;
    lt_cycle_t       *cycle;
    lt_connection_t  *c;

    cycle = ev->data;
    c = cycle->connections;

    for (i = 0; i < cycle->connection_n; i++) {

        if (c[i].fd == -1 || c[i].read.accept || c[i].read.handler == NULL) {
            continue;
        }

        lt_log_error(LT_LOG_INFO, c[i].log, 0, "shutdown timeout");

        c[i].close = 1;
        c[i].error = 1;

        c[i].read.handler(&c[i].read);
    }
}


void
lt_set_shutdown_timer(lt_cycle_t *cycle)
{
    lt_core_conf_t  *ccf;

    ccf = (lt_core_conf_t *) lt_get_conf(cycle->conf_ctx, lt_core_module);

    if (ccf->shutdown_timeout) {
        lt_shutdown_event.handler = lt_shutdown_timer_handler;
        lt_shutdown_event.data = cycle;
        lt_shutdown_event.cancelable = 1;

        lt_event_add_timer(&lt_shutdown_event, ccf->shutdown_timeout);
    }
}


void
lt_dump_config(lt_cycle_t *cycle)
{
    size_t           i;
    lt_conf_dump_t  *cd;

    cd = cycle->config_dump.elts;

    for (i = 0; i < cycle->config_dump.nelts; i++) {
        printf("# configuration file %.*s:\n", (int) cd[i].name.len, cd[i].name.data);
        fwrite(cd[i].content.data, 1, cd[i].content.len, stdout);
        printf("\n");
    }

    fflush(stdout);
}
