/*
 * lt_process.c: signals, spawning processes, daemonizing, the process title and
 * starting a new binary (see lt_process.h). The loops that use them are in
 * lt_process_cycle.c.
 *
 * Signal handlers only set flags (and remember who sent the signal); the loops
 * act on the flags, so nothing unsafe runs inside a handler.
 */

#include "lt_core.h"

#include <sys/prctl.h>
#include <sys/syscall.h>

lt_process_t  lt_processes[LT_MAX_PROCESSES];
int           lt_last_process;
int           lt_process_slot;
unsigned      lt_process;
unsigned      lt_worker;
int           lt_inherited;
int           lt_daemonized;
int           lt_exiting;
pid_t         lt_new_binary;
pid_t         lt_parent;

volatile sig_atomic_t  lt_reap;
volatile sig_atomic_t  lt_sigio;
volatile sig_atomic_t  lt_sigalrm;
volatile sig_atomic_t  lt_terminate;
volatile sig_atomic_t  lt_quit;
volatile sig_atomic_t  lt_reconfigure;
volatile sig_atomic_t  lt_reopen;
volatile sig_atomic_t  lt_change_binary;
volatile sig_atomic_t  lt_noaccept;

/* who sent each signal, for the "received from" log line */
volatile pid_t  lt_signal_sender[NSIG];

int      lt_argc;
char    *lt_binary_path;
char   **lt_argv;
char   **lt_os_argv;
char   **lt_os_environ;

typedef struct {
    int          signo;
    const char  *name;
    const char  *command;   /* -s NAME */
} lt_signal_t;

static const lt_signal_t  lt_signals[] = {
    { SIGHUP,  "SIGHUP",  "reload" },
    { SIGUSR1, "SIGUSR1", "reopen" },
    { SIGWINCH, "SIGWINCH", NULL },
    { SIGTERM, "SIGTERM", "stop" },
    { SIGQUIT, "SIGQUIT", "quit" },
    { SIGUSR2, "SIGUSR2", NULL },
    { SIGALRM, "SIGALRM", NULL },
    { SIGINT,  "SIGINT",  NULL },
    { SIGIO,   "SIGIO",   NULL },
    { SIGCHLD, "SIGCHLD", NULL },
    { SIGSYS,  "SIGSYS, SIG_IGN", NULL },
    { SIGPIPE, "SIGPIPE, SIG_IGN", NULL },
    { 0, NULL, NULL }
};


static void
lt_signal_handler(int signo, siginfo_t *siginfo, void *ucontext)
{
    int  err;

    err = errno;

    if (signo > 0 && signo < NSIG) {
        lt_signal_sender[signo] = siginfo ? siginfo->si_pid : 0;
    }

    switch (signo) {

    case SIGQUIT:
        lt_quit = 1;
        break;

    case SIGTERM:
    case SIGINT:
        /* the signal number, for the log line */
        lt_terminate = signo;
        break;

    case SIGWINCH:
        if (lt_process != LT_PROCESS_WORKER) {
            lt_noaccept = 1;
        }
        break;

    case SIGHUP:
        lt_reconfigure = 1;
        break;

    case SIGUSR1:
        lt_reopen = 1;
        break;

    case SIGUSR2:
        /* one upgrade at a time: ignored while a new binary is running */
        if (lt_process != LT_PROCESS_WORKER && lt_new_binary == 0) {
            lt_change_binary = 1;
        }
        break;

    case SIGALRM:
        lt_sigalrm = 1;
        break;

    case SIGIO:
        lt_sigio = 1;
        break;

    case SIGCHLD:
        lt_reap = 1;
        break;
    }

    errno = err;
}


int
lt_init_signals(lt_log_t *log)
{
    const lt_signal_t  *sig;
    struct sigaction    sa;

    for (sig = lt_signals; sig->signo; sig++) {
        lt_memzero(&sa, sizeof(struct sigaction));

        if (sig->signo == SIGSYS || sig->signo == SIGPIPE) {
            sa.sa_handler = SIG_IGN;

        } else {
            sa.sa_sigaction = lt_signal_handler;
            sa.sa_flags = SA_SIGINFO;
        }

        sigemptyset(&sa.sa_mask);

        if (sigaction(sig->signo, &sa, NULL) == -1) {
            lt_log_error(LT_LOG_EMERG, log, errno, "sigaction(%s) failed", sig->name);
            return LT_ERROR;
        }
    }

    return LT_OK;
}


const char *
lt_signal_name(int signo)
{
    const lt_signal_t  *sig;

    for (sig = lt_signals; sig->signo; sig++) {
        if (sig->signo == signo) {
            return sig->name;
        }
    }

    return "unknown signal";
}


int
lt_signal_by_command(const char *name)
{
    const lt_signal_t  *sig;

    for (sig = lt_signals; sig->signo; sig++) {
        if (sig->command && strcmp(sig->command, name) == 0) {
            return sig->signo;
        }
    }

    return 0;
}


pid_t
lt_spawn_process(lt_cycle_t *cycle, lt_spawn_proc_pt proc, void *data,
    const char *name, int respawn)
{
    pid_t  pid;
    int    s;

    if (respawn >= 0) {
        s = respawn;

    } else {
        for (s = 0; s < lt_last_process; s++) {
            if (lt_processes[s].pid == -1) {
                break;
            }
        }

        if (s == LT_MAX_PROCESSES) {
            lt_log_error(LT_LOG_ALERT, cycle->log, 0,
                         "no more than %d processes can be spawned", LT_MAX_PROCESSES);
            return LT_INVALID_PID;
        }
    }

    lt_process_slot = s;

    pid = fork();

    switch (pid) {

    case -1:
        lt_log_error(LT_LOG_ALERT, cycle->log, errno,
                     "fork() failed while spawning \"%s\"", name);
        return LT_INVALID_PID;

    case 0:
        lt_pid = getpid();
        lt_tid = (pid_t) syscall(SYS_gettid);
        proc(cycle, data);
        /* proc exits; not reached */
        exit(0);

    default:
        break;
    }

    lt_log_error(LT_LOG_NOTICE, cycle->log, 0, "start %s %d", name, (int) pid);

    lt_processes[s].pid = pid;
    lt_processes[s].exited = 0;

    if (respawn >= 0) {
        return pid;
    }

    lt_processes[s].proc = proc;
    lt_processes[s].data = data;
    lt_processes[s].name = name;
    lt_processes[s].exiting = 0;
    lt_processes[s].respawn = 0;
    lt_processes[s].just_spawn = 0;
    lt_processes[s].detached = 0;

    switch (respawn) {
    case LT_PROCESS_JUST_SPAWN:
        lt_processes[s].just_spawn = 1;
        break;
    case LT_PROCESS_RESPAWN:
        lt_processes[s].respawn = 1;
        break;
    case LT_PROCESS_JUST_RESPAWN:
        lt_processes[s].respawn = 1;
        lt_processes[s].just_spawn = 1;
        break;
    case LT_PROCESS_DETACHED:
        lt_processes[s].detached = 1;
        break;
    }

    if (s == lt_last_process) {
        lt_last_process++;
    }

    return pid;
}


int
lt_daemon(lt_log_t *log)
{
    int  fd;

    switch (fork()) {
    case -1:
        lt_log_error(LT_LOG_EMERG, log, errno, "fork() failed");
        return LT_ERROR;

    case 0:
        break;

    default:
        exit(0);
    }

    lt_pid = getpid();
    lt_tid = (pid_t) syscall(SYS_gettid);

    if (setsid() == -1) {
        lt_log_error(LT_LOG_EMERG, log, errno, "setsid() failed");
        return LT_ERROR;
    }

    umask(0);

    fd = open("/dev/null", O_RDWR);
    if (fd == -1) {
        lt_log_error(LT_LOG_EMERG, log, errno, "open(\"/dev/null\") failed");
        return LT_ERROR;
    }

    if (dup2(fd, STDIN_FILENO) == -1 || dup2(fd, STDOUT_FILENO) == -1) {
        lt_log_error(LT_LOG_EMERG, log, errno, "dup2() failed");
        close(fd);
        return LT_ERROR;
    }

    /* stderr is pointed at the error log once the configuration is final */

    if (fd > STDERR_FILENO && close(fd) == -1) {
        lt_log_error(LT_LOG_EMERG, log, errno, "close() failed");
        return LT_ERROR;
    }

    return LT_OK;
}


/*
 * The process title: ps shows a process's argv area. To write a longer title
 * than the command line we take over the environment strings that follow argv
 * in memory, after moving the environment to the heap.
 */

static char  *lt_os_argv_last;

int
lt_init_setproctitle(lt_log_t *log)
{
    u_char  *p;
    size_t   size;
    int      i;

    size = 0;

    for (i = 0; environ[i]; i++) {
        size += strlen(environ[i]) + 1;
    }

    p = lt_alloc(size, log);
    if (p == NULL) {
        return LT_ERROR;
    }

    lt_os_argv_last = lt_os_argv[0];

    for (i = 0; lt_os_argv[i]; i++) {
        if (lt_os_argv_last == lt_os_argv[i]) {
            lt_os_argv_last = lt_os_argv[i] + strlen(lt_os_argv[i]) + 1;
        }
    }

    for (i = 0; environ[i]; i++) {
        if (lt_os_argv_last == environ[i]) {
            size = strlen(environ[i]) + 1;
            lt_os_argv_last = environ[i] + size;

            memcpy(p, environ[i], size);
            environ[i] = (char *) p;
            p += size;
        }
    }

    lt_os_argv_last--;

    return LT_OK;
}


void
lt_setproctitle(const char *title)
{
    u_char  *p, *last;

    if (lt_os_argv_last == NULL) {
        return;
    }

    lt_os_argv[1] = NULL;

    p = (u_char *) lt_os_argv[0];
    last = (u_char *) lt_os_argv_last;

    p = lt_cpystrn(p, (u_char *) "lintel: ", last - p);
    p = lt_cpystrn(p, (u_char *) title, last - p);

    if (last > p) {
        memset(p, '\0', last - p);
    }

    (void) prctl(PR_SET_NAME, "lintel", 0, 0, 0);
}


/* what the forked child of an upgrade executes */
typedef struct {
    const char   *path;
    char *const  *argv;
    char *const  *envp;
} lt_exec_ctx_t;


static void
lt_execute_proc(lt_cycle_t *cycle, void *data)
{
    size_t           i;
    lt_exec_ctx_t   *ctx = data;
    lt_listening_t  *ls;

    /* the listeners were opened close-on-exec: let these through */
    ls = cycle->listening.elts;

    for (i = 0; i < cycle->listening.nelts; i++) {
        if (ls[i].fd != -1) {
            (void) fcntl(ls[i].fd, F_SETFD, 0);
        }
    }

    /* the new binary starts with the signals it expects */
    {
        sigset_t  set;

        sigemptyset(&set);
        (void) sigprocmask(SIG_SETMASK, &set, NULL);
    }

    execve(ctx->path, ctx->argv, ctx->envp);

    lt_log_error(LT_LOG_ALERT, cycle->log, errno,
                 "execve() failed while executing new binary process \"%s\"", ctx->path);
    _exit(1);
}


/* lt_listening_env: "LINTEL=fd;fd;..." for the listeners, in the cycle's pool */
static char *
lt_listening_env(lt_cycle_t *cycle)
{
    char            *var, *p;
    size_t           i, len;
    lt_listening_t  *ls;

    ls = cycle->listening.elts;

    len = sizeof(LINTEL_VAR "=") + cycle->listening.nelts * (LT_INT64_LEN + 1);

    var = lt_pnalloc(cycle->pool, len);
    if (var == NULL) {
        return NULL;
    }

    p = (char *) lt_cpymem(var, LINTEL_VAR "=", sizeof(LINTEL_VAR "=") - 1);

    for (i = 0; i < cycle->listening.nelts; i++) {
        if (ls[i].fd != -1) {
            p += sprintf(p, "%d;", ls[i].fd);
        }
    }

    *p = '\0';

    return var;
}


pid_t
lt_exec_new_binary(lt_cycle_t *cycle, char *const *argv)
{
    char            **env;
    size_t            n;
    pid_t             pid;
    lt_core_conf_t   *ccf;
    static lt_exec_ctx_t  ctx;

    ccf = (lt_core_conf_t *) lt_get_conf(cycle->conf_ctx, lt_core_module);

    /* sized by lt_set_environment with room for two more entries */
    env = lt_set_environment(cycle, &n);
    if (env == NULL) {
        return LT_INVALID_PID;
    }

    env[n] = lt_listening_env(cycle);
    if (env[n] == NULL) {
        return LT_INVALID_PID;
    }

    env[n + 1] = NULL;

    if (rename((char *) ccf->pid.data, (char *) ccf->oldpid.data) == -1) {
        lt_log_error(LT_LOG_ALERT, cycle->log, errno,
                     "rename() %s to %s failed before executing new binary process \"%s\"",
                     ccf->pid.data, ccf->oldpid.data, lt_binary_path);
        return LT_INVALID_PID;
    }

    ctx.path = lt_binary_path;
    ctx.argv = argv;
    ctx.envp = env;

    /* detached, but in the process table: its exit is noticed and undone */
    pid = lt_spawn_process(cycle, lt_execute_proc, &ctx, "new binary process",
                           LT_PROCESS_DETACHED);

    if (pid == LT_INVALID_PID
        && rename((char *) ccf->oldpid.data, (char *) ccf->pid.data) == -1)
    {
        lt_log_error(LT_LOG_ALERT, cycle->log, errno,
                     "rename() %s back to %s failed after an attempt to execute new "
                     "binary process \"%s\"", ccf->oldpid.data, ccf->pid.data,
                     lt_binary_path);
    }

    return pid;
}


int
lt_resolve_binary_path(const char *argv0, lt_log_t *log)
{
    char         cwd[PATH_MAX], *path, *dir, *save;
    const char  *env;
    size_t       len;

    if (strchr(argv0, '/') != NULL) {
        if (argv0[0] == '/') {
            lt_binary_path = strdup(argv0);

        } else if (getcwd(cwd, sizeof(cwd)) != NULL) {
            len = strlen(cwd) + strlen(argv0) + 2;
            lt_binary_path = malloc(len);
            if (lt_binary_path) {
                snprintf(lt_binary_path, len, "%s/%s", cwd, argv0);
            }
        }

        return lt_binary_path ? LT_OK : LT_ERROR;
    }

    /* started through PATH: find it now, so that an upgrade can exec it later */
    env = getenv("PATH");
    path = strdup(env ? env : "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
    if (path == NULL) {
        return LT_ERROR;
    }

    for (dir = strtok_r(path, ":", &save); dir; dir = strtok_r(NULL, ":", &save)) {
        len = strlen(dir) + strlen(argv0) + 2;
        lt_binary_path = malloc(len);
        if (lt_binary_path == NULL) {
            break;
        }

        snprintf(lt_binary_path, len, "%s/%s", dir, argv0);

        if (access(lt_binary_path, X_OK) == 0) {
            free(path);
            return LT_OK;
        }

        free(lt_binary_path);
        lt_binary_path = NULL;
    }

    free(path);

    lt_log_error(LT_LOG_WARN, log, 0, "\"%s\" is not found in PATH: a binary upgrade "
                 "(USR2) will not be able to start it; start lintel by its full path",
                 argv0);

    lt_binary_path = strdup(argv0);

    return lt_binary_path ? LT_OK : LT_ERROR;
}
