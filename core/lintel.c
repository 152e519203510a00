/*
 * lintel.c: main() and the command line, as nginx's:
 *
 *   lintel [-?hvVtTq] [-s signal] [-p prefix] [-e filename] [-c filename]
 *          [-g directives]
 */

#include "lt_core.h"

#include <sys/syscall.h>
#include <openssl/opensslv.h>
#include <openssl/crypto.h>

static int lt_get_options(int argc, char *const *argv);
static int lt_process_options(lt_cycle_t *cycle);
static int lt_save_argv(int argc, char *const *argv);
static int lt_add_inherited_sockets(lt_cycle_t *cycle);
static void lt_show_version_info(void);

static int          lt_show_help;
static int          lt_show_version;
static int          lt_show_configure;
static const char  *lt_prefix;
static const char  *lt_error_log;
static const char  *lt_conf_file;
static const char  *lt_conf_params;
static const char  *lt_signal;


int
main(int argc, char *const *argv)
{
    int              rc;
    lt_log_t        *log;
    lt_cycle_t      *cycle, init_cycle;
    lt_core_conf_t  *ccf;

    lt_pid = getpid();
    lt_tid = (pid_t) syscall(SYS_gettid);

    if (lt_get_options(argc, argv) != LT_OK) {
        return 1;
    }

    if (lt_show_version) {
        lt_show_version_info();

        if (!lt_test_config) {
            return 0;
        }
    }

    lt_time_init();

    log = lt_log_init((u_char *) lt_prefix, (u_char *) lt_error_log);
    if (log == NULL) {
        return 1;
    }

    lt_preinit_modules();

    lt_memzero(&init_cycle, sizeof(lt_cycle_t));
    init_cycle.log = log;
    lt_cycle = &init_cycle;

    init_cycle.pool = lt_create_pool(1024, log);
    if (init_cycle.pool == NULL) {
        return 1;
    }

    if (lt_save_argv(argc, argv) != LT_OK) {
        return 1;
    }

    lt_parent = getppid();

    if (lt_resolve_binary_path(argv[0], log) != LT_OK) {
        return 1;
    }

    if (lt_process_options(&init_cycle) != LT_OK) {
        return 1;
    }

    if (lt_os_init(log) != LT_OK) {
        return 1;
    }

    if (lt_add_inherited_sockets(&init_cycle) != LT_OK) {
        return 1;
    }

    if (lt_signal) {
        lt_process = LT_PROCESS_SIGNALLER;
    }

    cycle = lt_init_cycle(&init_cycle);

    if (cycle == NULL) {
        if (lt_test_config) {
            lt_log_stderr(0, "configuration file %s test failed", init_cycle.conf_file.data);
        }

        return 1;
    }

    if (lt_test_config) {
        if (!lt_quiet_mode) {
            lt_log_stderr(0, "configuration file %s test is successful",
                          cycle->conf_file.data);
        }

        if (lt_dump_config_flag) {
            lt_dump_config(cycle);
        }

        lt_destroy_pool(cycle->pool);
        return 0;
    }

    if (lt_signal) {
        rc = lt_signal_process(cycle, lt_signal);
        lt_destroy_pool(cycle->pool);
        lt_destroy_pool(init_cycle.pool);
        return rc;
    }

    lt_os_status(cycle->log);

    lt_cycle = cycle;

    ccf = (lt_core_conf_t *) lt_get_conf(cycle->conf_ctx, lt_core_module);

    if (ccf->master && lt_process == LT_PROCESS_SINGLE) {
        lt_process = LT_PROCESS_MASTER;
    }

    if (lt_init_signals(cycle->log) != LT_OK) {
        return 1;
    }

    if (!lt_inherited && ccf->daemon) {
        if (lt_daemon(cycle->log) != LT_OK) {
            return 1;
        }

        lt_daemonized = 1;
    }

    if (lt_inherited) {
        lt_daemonized = 1;
    }

    if (lt_create_pidfile(&ccf->pid, cycle->log) != LT_OK) {
        return 1;
    }

    if (lt_log_redirect_stderr(cycle) != LT_OK) {
        return 1;
    }

    if (log->file->fd != STDERR_FILENO) {
        (void) close(log->file->fd);
        log->file->fd = STDERR_FILENO;
    }

    lt_use_stderr = 0;

    if (lt_process == LT_PROCESS_SINGLE) {
        lt_single_process_cycle(cycle);

    } else {
        lt_master_process_cycle(cycle);
    }

    return 0;
}


static void
lt_show_usage(void)
{
    fprintf(stderr,
        "Usage: lintel [-?hvVtTq] [-s signal] [-p prefix]\n"
        "              [-e filename] [-c filename] [-g directives]\n"
        "\n"
        "Options:\n"
        "  -?,-h         : this help\n"
        "  -v            : show version and exit\n"
        "  -V            : show version, build and configure options, then exit\n"
        "  -t            : test configuration and exit\n"
        "  -T            : test configuration, dump it and exit\n"
        "  -q            : suppress non-error messages during configuration testing\n"
        "  -s signal     : send signal to a master process: "
                           "stop, quit, reopen, reload\n"
        "  -p prefix     : set prefix path (default: %s)\n"
        "  -e filename   : set error log file (default: %s)\n"
        "  -c filename   : set configuration file (default: %s)\n"
        "  -g directives : set global directives out of configuration file\n"
        "\n", LT_PREFIX, LT_ERROR_LOG_PATH, LT_CONF_PATH);
}


static void
lt_show_version_info(void)
{
    fprintf(stderr, "lintel version: " LINTEL_VER "\n");

    if (lt_show_help) {
        lt_show_usage();
    }

    if (lt_show_configure) {
        fprintf(stderr, "built by %s\n", LT_COMPILER);

        if (strcmp(OpenSSL_version(OPENSSL_VERSION), OPENSSL_VERSION_TEXT) == 0) {
            fprintf(stderr, "built with " OPENSSL_VERSION_TEXT "\n");
        } else {
            fprintf(stderr, "built with " OPENSSL_VERSION_TEXT " (running with %s)\n",
                    OpenSSL_version(OPENSSL_VERSION));
        }

        fprintf(stderr, "TLS SNI support enabled\n");
        fprintf(stderr, "configure arguments: %s\n", LT_CONFIGURE);
        fprintf(stderr, "modules: %s\n", lt_modules_line);
    }
}


/* lt_option_arg: the argument of an option, attached ("-pX") or next ("-p X") */
static const char *
lt_option_arg(char *const *argv, int *i, const char *p, char opt)
{
    if (*p) {
        return p;
    }

    if (argv[*i + 1]) {
        return argv[++*i];
    }

    lt_log_stderr(0, "option \"-%c\" requires %s", opt,
                  opt == 's' ? "signal name" : opt == 'g' ? "directives"
                  : opt == 'p' ? "directory name" : "file name");
    return NULL;
}


static int
lt_get_options(int argc, char *const *argv)
{
    const char  *p;
    int          i;

    for (i = 1; i < argc; i++) {

        p = argv[i];

        if (*p++ != '-') {
            lt_log_stderr(0, "invalid option: \"%s\"", argv[i]);
            return LT_ERROR;
        }

        while (*p) {

            switch (*p++) {

            case '?':
            case 'h':
                lt_show_version = 1;
                lt_show_help = 1;
                break;

            case 'v':
                lt_show_version = 1;
                break;

            case 'V':
                lt_show_version = 1;
                lt_show_configure = 1;
                break;

            case 't':
                lt_test_config = 1;
                break;

            case 'T':
                lt_test_config = 1;
                lt_dump_config_flag = 1;
                break;

            case 'q':
                lt_quiet_mode = 1;
                break;

            case 'p':
                if ((lt_prefix = lt_option_arg(argv, &i, p, 'p')) == NULL) {
                    return LT_ERROR;
                }
                goto next;

            case 'e':
                if ((lt_error_log = lt_option_arg(argv, &i, p, 'e')) == NULL) {
                    return LT_ERROR;
                }
                goto next;

            case 'c':
                if ((lt_conf_file = lt_option_arg(argv, &i, p, 'c')) == NULL) {
                    return LT_ERROR;
                }
                goto next;

            case 'g':
                if ((lt_conf_params = lt_option_arg(argv, &i, p, 'g')) == NULL) {
                    return LT_ERROR;
                }
                goto next;

            case 's':
                if ((lt_signal = lt_option_arg(argv, &i, p, 's')) == NULL) {
                    return LT_ERROR;
                }

                if (lt_signal_by_command(lt_signal) == 0) {
                    lt_log_stderr(0, "invalid option: \"-s %s\"", lt_signal);
                    return LT_ERROR;
                }

                goto next;

            default:
                lt_log_stderr(0, "invalid option: \"%c\"", *(p - 1));
                return LT_ERROR;
            }
        }

    next:

        continue;
    }

    return LT_OK;
}


/* lt_set_dir: s = dir, with a trailing "/", in pool */
static int
lt_set_dir(lt_pool_t *pool, lt_str_t *s, const char *dir, size_t len)
{
    int  slash;

    slash = len == 0 || dir[len - 1] != '/';

    s->data = lt_pnalloc(pool, len + 2);
    if (s->data == NULL) {
        return LT_ERROR;
    }

    memcpy(s->data, dir, len);
    if (slash) {
        s->data[len++] = '/';
    }
    s->data[len] = '\0';
    s->len = len;

    return LT_OK;
}


static int
lt_process_options(lt_cycle_t *cycle)
{
    const char  *p;
    size_t       len;

    p = lt_prefix ? lt_prefix : LT_PREFIX;

    if (lt_set_dir(cycle->pool, &cycle->prefix, p, strlen(p)) != LT_OK) {
        return LT_ERROR;
    }

    p = lt_conf_file ? lt_conf_file : LT_CONF_PATH;

    cycle->conf_file.len = strlen(p);
    cycle->conf_file.data = (u_char *) p;

    if (lt_conf_full_name(cycle, &cycle->conf_file, 0) != LT_OK) {
        return LT_ERROR;
    }

    /* include paths are relative to the configuration file's directory */
    for (len = cycle->conf_file.len; len; len--) {
        if (cycle->conf_file.data[len - 1] == '/') {
            break;
        }
    }

    if (lt_set_dir(cycle->pool, &cycle->conf_prefix, (char *) cycle->conf_file.data, len)
        != LT_OK)
    {
        return LT_ERROR;
    }

    if (lt_error_log) {
        cycle->error_log.len = strlen(lt_error_log);
        cycle->error_log.data = (u_char *) lt_error_log;

    } else {
        lt_str_set(&cycle->error_log, LT_ERROR_LOG_PATH);
    }

    if (lt_conf_params) {
        cycle->conf_param.len = strlen(lt_conf_params);
        cycle->conf_param.data = (u_char *) lt_conf_params;
    }

    if (lt_test_config) {
        cycle->log->log_level = LT_LOG_INFO;
    }

    return LT_OK;
}


static int
lt_save_argv(int argc, char *const *argv)
{
    int  i;

    lt_os_argv = (char **) argv;
    lt_os_environ = environ;
    lt_argc = argc;

    lt_argv = malloc((argc + 1) * sizeof(char *));
    if (lt_argv == NULL) {
        return LT_ERROR;
    }

    for (i = 0; i < argc; i++) {
        lt_argv[i] = strdup(argv[i]);
        if (lt_argv[i] == NULL) {
            return LT_ERROR;
        }
    }

    lt_argv[i] = NULL;

    return lt_init_setproctitle(lt_cycle->log);
}


/* lt_add_inherited_sockets: LINTEL="fd;fd;" from the binary that started us
 * (USR2): the new configuration takes over these listeners */
static int
lt_add_inherited_sockets(lt_cycle_t *cycle)
{
    const char              *inherited, *p, *v;
    int64_t                  fd;
    socklen_t                len;
    int                      type;
    struct sockaddr_storage  ss;
    lt_listening_t          *ls;
    u_char                   text[LT_SOCKADDR_STRLEN];

    if (lt_array_init(&cycle->listening, cycle->pool, 10, sizeof(lt_listening_t)) != LT_OK) {
        return LT_ERROR;
    }

    inherited = getenv(LINTEL_VAR);
    if (inherited == NULL) {
        return LT_OK;
    }

    lt_log_error(LT_LOG_NOTICE, cycle->log, 0, "using inherited sockets from \"%s\"",
                 inherited);

    for (p = inherited, v = p; *p; p++) {
        if (*p != ':' && *p != ';') {
            continue;
        }

        fd = lt_atoi((u_char *) v, p - v);

        if (fd == LT_ERROR || fd > INT_MAX) {
            lt_log_error(LT_LOG_EMERG, cycle->log, 0,
                         "invalid socket number \"%.*s\" in " LINTEL_VAR
                         " environment variable, ignoring the rest of the variable",
                         (int) (p - v), v);
            break;
        }

        v = p + 1;

        len = sizeof(ss);
        if (getsockname((int) fd, (struct sockaddr *) &ss, &len) == -1) {
            lt_log_error(LT_LOG_CRIT, cycle->log, errno,
                         "getsockname() of the inherited socket #%d failed", (int) fd);
            continue;
        }

        ls = lt_array_push(&cycle->listening);
        if (ls == NULL) {
            return LT_ERROR;
        }

        lt_memzero(ls, sizeof(lt_listening_t));

        ls->fd = (int) fd;
        ls->inherited = 1;
        ls->socklen = len;
        ls->sockaddr = lt_palloc(cycle->pool, len);
        if (ls->sockaddr == NULL) {
            return LT_ERROR;
        }
        memcpy(ls->sockaddr, &ss, len);

        len = sizeof(int);
        ls->type = getsockopt(ls->fd, SOL_SOCKET, SO_TYPE, &type, &len) == 0
                   ? type : SOCK_STREAM;

        ls->addr_text.len = lt_sock_ntop(ls->sockaddr, ls->socklen, text, sizeof(text), 1);
        ls->addr_text.data = lt_pnalloc(cycle->pool, ls->addr_text.len + 1);
        if (ls->addr_text.data == NULL) {
            return LT_ERROR;
        }
        memcpy(ls->addr_text.data, text, ls->addr_text.len);
        ls->addr_text.data[ls->addr_text.len] = '\0';

        /* the socket crosses exec again only when we pass it on ourselves */
        (void) fcntl(ls->fd, F_SETFD, FD_CLOEXEC);
    }

    lt_inherited = 1;

    return LT_OK;
}
