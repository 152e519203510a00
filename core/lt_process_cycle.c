/*
 * lt_process_cycle.c: the master's loop (signals -> workers), the worker's loop
 * (events until told to stop) and the single-process loop.
 *
 * Signals stay blocked except while a process waits: the master in sigsuspend(),
 * workers in epoll_pwait(). A signal can therefore never arrive between checking
 * the flags and going to sleep.
 */

#include "lt_core.h"

#include <sys/prctl.h>

sigset_t  lt_wait_sigmask;

static void lt_start_worker_processes(lt_cycle_t *cycle, int n, int type);
static void lt_signal_worker_processes(lt_cycle_t *cycle, int signo);
static void lt_process_get_status(lt_cycle_t *cycle);
static int lt_reap_children(lt_cycle_t *cycle);
static void lt_master_process_exit(lt_cycle_t *cycle) __attribute__((noreturn));
static void lt_worker_process_cycle(lt_cycle_t *cycle, void *data);
static void lt_worker_process_init(lt_cycle_t *cycle, unsigned worker);
static void lt_worker_process_exit(lt_cycle_t *cycle) __attribute__((noreturn));
static void lt_unlock_mutexes(lt_cycle_t *cycle, pid_t pid);

static int  lt_noaccepting;
static int  lt_restart;


/* lt_log_signal: "signal 1 (SIGHUP) received from 1234, reconfiguring" */
static void
lt_log_signal(lt_cycle_t *cycle, int signo, const char *action)
{
    lt_log_error(LT_LOG_NOTICE, cycle->log, 0, "signal %d (%s) received from %d, %s",
                 signo, lt_signal_name(signo), (int) lt_signal_sender[signo], action);
}


static int
lt_block_signals(lt_log_t *log)
{
    sigset_t  set;

    sigemptyset(&set);
    sigaddset(&set, SIGCHLD);
    sigaddset(&set, SIGALRM);
    sigaddset(&set, SIGIO);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGHUP);
    sigaddset(&set, SIGUSR1);
    sigaddset(&set, SIGUSR2);
    sigaddset(&set, SIGWINCH);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGQUIT);

    if (sigprocmask(SIG_BLOCK, &set, NULL) == -1) {
        lt_log_error(LT_LOG_ALERT, log, errno, "sigprocmask() failed");
        return LT_ERROR;
    }

    sigemptyset(&lt_wait_sigmask);

    return LT_OK;
}


/* lt_master_title: "master process /usr/sbin/lintel -c /etc/lintel.conf" */
static void
lt_master_title(void)
{
    char    title[512], *p, *last;
    int     i;

    p = title;
    last = title + sizeof(title) - 1;

    p = (char *) lt_cpystrn((u_char *) p, (u_char *) "master process", last - p);

    for (i = 0; i < lt_argc && p < last - 1; i++) {
        *p++ = ' ';
        p = (char *) lt_cpystrn((u_char *) p, (u_char *) lt_argv[i], last - p);
    }

    lt_setproctitle(title);
}


/* lt_master_terminate: TERM/INT: escalate to KILL if workers linger */
static void
lt_master_terminate(lt_cycle_t *cycle, unsigned *delay, int *sigio)
{
    lt_core_conf_t  *ccf;

    ccf = (lt_core_conf_t *) lt_get_conf(cycle->conf_ctx, lt_core_module);

    if (*delay == 0) {
        *delay = 50;
    }

    if (*sigio) {
        (*sigio)--;
        return;
    }

    *sigio = ccf->worker_processes;

    if (*delay > 1000) {
        lt_signal_worker_processes(cycle, SIGKILL);
    } else {
        lt_signal_worker_processes(cycle, SIGTERM);
    }
}


/* lt_master_reload: HUP: a new cycle, new workers, old workers told to quit */
static lt_cycle_t *
lt_master_reload(lt_cycle_t *cycle)
{
    lt_cycle_t      *new_cycle;
    lt_core_conf_t  *ccf;

    new_cycle = lt_init_cycle(cycle);

    if (new_cycle == NULL) {
        lt_log_error(LT_LOG_ERR, cycle->log, 0,
                     "reload failed: the previous configuration keeps running");
        return cycle;
    }

    lt_cycle = new_cycle;
    ccf = (lt_core_conf_t *) lt_get_conf(new_cycle->conf_ctx, lt_core_module);

    /* workers stopped by WINCH are replaced by this reload's */
    lt_noaccepting = 0;

    lt_start_worker_processes(new_cycle, ccf->worker_processes, LT_PROCESS_JUST_RESPAWN);

    /* let the new workers start before the old ones stop accepting */
    usleep(100 * 1000);

    lt_signal_worker_processes(new_cycle, SIGQUIT);

    return new_cycle;
}


void
lt_master_process_cycle(lt_cycle_t *cycle)
{
    int               live, sigio, terminate_logged;
    unsigned          delay;
    sigset_t          set;
    struct itimerval  itv;
    lt_core_conf_t   *ccf;

    lt_process = LT_PROCESS_MASTER;

    if (lt_block_signals(cycle->log) != LT_OK) {
        exit(1);
    }

    lt_master_title();

    ccf = (lt_core_conf_t *) lt_get_conf(cycle->conf_ctx, lt_core_module);

    lt_start_worker_processes(cycle, ccf->worker_processes, LT_PROCESS_RESPAWN);

    live = 1;
    delay = 0;
    sigio = 0;
    terminate_logged = 0;
    sigemptyset(&set);

    for ( ;; ) {
        if (delay) {
            if (lt_sigalrm) {
                sigio = 0;
                delay *= 2;
                lt_sigalrm = 0;
            }

            lt_memzero(&itv, sizeof(itv));
            itv.it_value.tv_sec = delay / 1000;
            itv.it_value.tv_usec = (delay % 1000) * 1000;

            if (setitimer(ITIMER_REAL, &itv, NULL) == -1) {
                lt_log_error(LT_LOG_ALERT, cycle->log, errno, "setitimer() failed");
            }
        }

        sigsuspend(&set);

        lt_time_update();

        if (lt_reap) {
            lt_reap = 0;
            lt_process_get_status(cycle);
            live = lt_reap_children(cycle);
        }

        if (lt_terminate && !terminate_logged) {
            terminate_logged = 1;
            lt_log_signal(cycle, lt_terminate, "exiting");
        }

        if (lt_quit == 1) {
            lt_quit = 2;
            lt_log_signal(cycle, SIGQUIT, "shutting down");
        }

        if (!live && (lt_terminate || lt_quit)) {
            lt_master_process_exit(cycle);
        }

        if (lt_terminate) {
            lt_master_terminate(cycle, &delay, &sigio);
            continue;
        }

        if (lt_quit) {
            lt_signal_worker_processes(cycle, SIGQUIT);
            lt_close_listening_sockets(cycle);
            continue;
        }

        if (lt_reconfigure) {
            lt_reconfigure = 0;

            if (lt_new_binary) {
                /* HUP to the old master while upgrading: take the service back */
                lt_log_signal(cycle, SIGHUP, "starting the old workers again");
                lt_start_worker_processes(cycle, ccf->worker_processes, LT_PROCESS_RESPAWN);
                lt_noaccepting = 0;
                continue;
            }

            lt_log_signal(cycle, SIGHUP, "reconfiguring");

            cycle = lt_master_reload(cycle);
            ccf = (lt_core_conf_t *) lt_get_conf(cycle->conf_ctx, lt_core_module);
            live = 1;
        }

        if (lt_restart) {
            lt_restart = 0;
            lt_start_worker_processes(cycle, ccf->worker_processes, LT_PROCESS_RESPAWN);
            live = 1;
        }

        if (lt_reopen) {
            lt_reopen = 0;
            lt_log_signal(cycle, SIGUSR1, "reopening logs");
            lt_reopen_files(cycle, ccf->user);
            lt_signal_worker_processes(cycle, SIGUSR1);
        }

        if (lt_change_binary) {
            lt_change_binary = 0;

            if (lt_inherited && getppid() == lt_parent) {
                /* we are the new binary and the old master still runs */
                lt_log_error(LT_LOG_ALERT, cycle->log, 0, "the changing binary signal is "
                             "ignored: you should shutdown or terminate before either "
                             "old or new binary's process");

            } else {
                lt_log_signal(cycle, SIGUSR2, "changing binary");
                lt_new_binary = lt_exec_new_binary(cycle, lt_argv);
                if (lt_new_binary == LT_INVALID_PID) {
                    lt_new_binary = 0;
                }
            }
        }

        if (lt_noaccept) {
            lt_noaccept = 0;

            if (lt_daemonized) {
                lt_noaccepting = 1;
                lt_log_signal(cycle, SIGWINCH, "gracefully shutting down worker processes");
                lt_signal_worker_processes(cycle, SIGQUIT);

            } else {
                /* in the foreground WINCH is a terminal being resized */
                lt_log_signal(cycle, SIGWINCH, "ignored: not running as a daemon");
            }
        }
    }
}


static void
lt_start_worker_processes(lt_cycle_t *cycle, int n, int type)
{
    int  i;

    lt_log_error(LT_LOG_NOTICE, cycle->log, 0, "start worker processes");

    for (i = 0; i < n; i++) {
        (void) lt_spawn_process(cycle, lt_worker_process_cycle, (void *) (intptr_t) i,
                                "worker process", type);
    }
}


static void
lt_signal_worker_processes(lt_cycle_t *cycle, int signo)
{
    int  i;

    for (i = 0; i < lt_last_process; i++) {

        if (lt_processes[i].detached || lt_processes[i].pid == -1) {
            continue;
        }

        if (lt_processes[i].just_spawn) {
            lt_processes[i].just_spawn = 0;
            continue;
        }

        if (lt_processes[i].exiting && signo == SIGQUIT) {
            continue;
        }

        if (kill(lt_processes[i].pid, signo) == -1) {
            if (errno == ESRCH) {
                lt_processes[i].exited = 1;
                lt_processes[i].exiting = 0;
                lt_reap = 1;
                continue;
            }

            lt_log_error(LT_LOG_ALERT, cycle->log, errno, "kill(%d, %d) failed",
                         (int) lt_processes[i].pid, signo);
            continue;
        }

        if (signo == SIGQUIT || signo == SIGTERM || signo == SIGKILL) {
            lt_processes[i].exiting = 1;
        }
    }
}


static void
lt_process_get_status(lt_cycle_t *cycle)
{
    int          status, i, code;
    pid_t        pid;
    const char  *process;

    for ( ;; ) {
        pid = waitpid(-1, &status, WNOHANG);

        if (pid == 0) {
            return;
        }

        if (pid == -1) {
            if (errno == EINTR) {
                continue;
            }

            if (errno != ECHILD) {
                lt_log_error(LT_LOG_ALERT, cycle->log, errno, "waitpid() failed");
            }

            return;
        }

        process = "unknown process";

        for (i = 0; i < lt_last_process; i++) {
            if (lt_processes[i].pid == pid) {
                lt_processes[i].status = status;
                lt_processes[i].exited = 1;
                process = lt_processes[i].name;
                break;
            }
        }

        if (pid == lt_new_binary) {
            process = "new binary process";
        }

        if (WIFSIGNALED(status)) {
            lt_log_error(LT_LOG_ALERT, cycle->log, 0, "%s %d exited on signal %d%s",
                         process, (int) pid, WTERMSIG(status),
                         WCOREDUMP(status) ? " (core dumped)" : "");

        } else {
            code = WEXITSTATUS(status);

            lt_log_error(LT_LOG_NOTICE, cycle->log, 0, "%s %d exited with code %d",
                         process, (int) pid, code);

            if (code == LT_EXIT_FATAL && i < lt_last_process && lt_processes[i].respawn) {
                lt_log_error(LT_LOG_ALERT, cycle->log, 0,
                             "%s %d exited with fatal code %d and cannot be respawned",
                             process, (int) pid, code);
                lt_processes[i].respawn = 0;
            }
        }

        lt_unlock_mutexes(cycle, pid);
    }
}


/* lt_unlock_mutexes: a worker that died holding a zone's lock must not block the
 * others forever */
static void
lt_unlock_mutexes(lt_cycle_t *cycle, pid_t pid)
{
    lt_list_iter_t   it;
    lt_shm_zone_t   *zone;
    lt_slab_pool_t  *sp;

    lt_list_iter_init(&it, &cycle->shared_memory);

    while ((zone = lt_list_iter_next(&it)) != NULL) {
        sp = (lt_slab_pool_t *) zone->shm.addr;

        if (lt_shmtx_force_unlock(&sp->mutex, pid)) {
            lt_log_error(LT_LOG_ALERT, cycle->log, 0,
                         "shared memory zone \"%.*s\" was locked by %d",
                         (int) zone->shm.name.len, zone->shm.name.data, (int) pid);
        }
    }
}


static int
lt_reap_children(lt_cycle_t *cycle)
{
    int              i, live;
    lt_core_conf_t  *ccf;

    live = 0;

    for (i = 0; i < lt_last_process; i++) {

        if (lt_processes[i].pid == -1) {
            continue;
        }

        if (!lt_processes[i].exited) {
            if (lt_processes[i].exiting || !lt_processes[i].detached) {
                live = 1;
            }
            continue;
        }

        if (lt_processes[i].respawn && !lt_processes[i].exiting
            && !lt_terminate && !lt_quit)
        {
            if (lt_spawn_process(cycle, lt_processes[i].proc, lt_processes[i].data,
                                 lt_processes[i].name, i) == LT_INVALID_PID)
            {
                lt_log_error(LT_LOG_ALERT, cycle->log, 0, "could not respawn %s",
                             lt_processes[i].name);
                continue;
            }

            live = 1;
            continue;
        }

        if (lt_processes[i].pid == lt_new_binary) {
            /* the new binary is gone: we serve again under the usual pid file */
            ccf = (lt_core_conf_t *) lt_get_conf(cycle->conf_ctx, lt_core_module);

            if (rename((char *) ccf->oldpid.data, (char *) ccf->pid.data) == -1) {
                lt_log_error(LT_LOG_ALERT, cycle->log, errno,
                             "rename() %s back to %s failed after the new binary "
                             "process \"%s\" exited", ccf->oldpid.data, ccf->pid.data,
                             lt_binary_path);
            }

            lt_new_binary = 0;

            if (lt_noaccepting) {
                lt_restart = 1;
                lt_noaccepting = 0;
            }
        }

        if (i == lt_last_process - 1) {
            lt_last_process--;
        } else {
            lt_processes[i].pid = -1;
        }
    }

    return live;
}


static void
lt_master_process_exit(lt_cycle_t *cycle)
{
    size_t  i;

    lt_delete_pidfile(cycle);

    lt_log_error(LT_LOG_NOTICE, cycle->log, 0, "exit");

    for (i = 0; lt_modules[i]; i++) {
        if (lt_modules[i]->exit_master) {
            lt_modules[i]->exit_master(cycle);
        }
    }

    lt_close_listening_sockets(cycle);

    lt_destroy_pool(cycle->pool);

    exit(0);
}


static void
lt_worker_process_cycle(lt_cycle_t *cycle, void *data)
{
    unsigned  worker = (unsigned) (intptr_t) data;

    lt_process = LT_PROCESS_WORKER;
    lt_worker = worker;

    lt_worker_process_init(cycle, worker);

    lt_setproctitle("worker process");

    for ( ;; ) {

        if (lt_exiting && lt_event_no_timers_left() == LT_OK) {
            lt_log_error(LT_LOG_NOTICE, cycle->log, 0, "exiting");
            lt_worker_process_exit(cycle);
        }

        lt_process_events_and_timers(cycle);

        if (lt_terminate) {
            lt_log_error(LT_LOG_NOTICE, cycle->log, 0, "exiting");
            lt_worker_process_exit(cycle);
        }

        if (lt_quit) {
            lt_quit = 0;
            lt_log_error(LT_LOG_NOTICE, cycle->log, 0, "gracefully shutting down");
            lt_setproctitle("worker process is shutting down");

            if (!lt_exiting) {
                lt_exiting = 1;
                lt_set_shutdown_timer(cycle);
                lt_close_listening_sockets(cycle);
                lt_close_idle_connections(cycle);
                lt_event_process_posted(cycle, &lt_posted_events);
            }
        }

        if (lt_reopen) {
            lt_reopen = 0;
            lt_log_error(LT_LOG_NOTICE, cycle->log, 0, "reopening logs");
            lt_reopen_files(cycle, (uid_t) LT_CONF_UNSET_UINT);
        }
    }
}


/* lt_worker_drop_privileges: root master -> the configured user in workers */
static void
lt_worker_drop_privileges(lt_cycle_t *cycle, lt_core_conf_t *ccf)
{
    if (geteuid() != 0 || ccf->user == (uid_t) LT_CONF_UNSET_UINT) {
        return;
    }

    if (setgid(ccf->group) == -1) {
        lt_log_error(LT_LOG_EMERG, cycle->log, errno, "setgid(%d) failed", (int) ccf->group);
        exit(LT_EXIT_FATAL);
    }

    if (initgroups(ccf->username, ccf->group) == -1) {
        lt_log_error(LT_LOG_EMERG, cycle->log, errno, "initgroups(%s, %d) failed",
                     ccf->username, (int) ccf->group);
    }

    if (setuid(ccf->user) == -1) {
        lt_log_error(LT_LOG_EMERG, cycle->log, errno, "setuid(%d) failed", (int) ccf->user);
        exit(LT_EXIT_FATAL);
    }
}


static void
lt_worker_process_init(lt_cycle_t *cycle, unsigned worker)
{
    size_t           i;
    uint64_t         mask;
    struct rlimit    rlmt;
    lt_core_conf_t  *ccf;

    if (lt_set_environment(cycle, NULL) == NULL) {
        exit(LT_EXIT_FATAL);
    }

    ccf = (lt_core_conf_t *) lt_get_conf(cycle->conf_ctx, lt_core_module);

    if (ccf->priority != 0
        && setpriority(PRIO_PROCESS, 0, ccf->priority) == -1)
    {
        lt_log_error(LT_LOG_ALERT, cycle->log, errno, "setpriority(%d) failed",
                     ccf->priority);
    }

    if (ccf->rlimit_nofile != LT_CONF_UNSET) {
        rlmt.rlim_cur = (rlim_t) ccf->rlimit_nofile;
        rlmt.rlim_max = (rlim_t) ccf->rlimit_nofile;

        if (setrlimit(RLIMIT_NOFILE, &rlmt) == -1) {
            lt_log_error(LT_LOG_ALERT, cycle->log, errno,
                         "setrlimit(RLIMIT_NOFILE, %lld) failed",
                         (long long) ccf->rlimit_nofile);
        }
    }

    if (ccf->rlimit_core != LT_CONF_UNSET) {
        rlmt.rlim_cur = (rlim_t) ccf->rlimit_core;
        rlmt.rlim_max = (rlim_t) ccf->rlimit_core;

        if (setrlimit(RLIMIT_CORE, &rlmt) == -1) {
            lt_log_error(LT_LOG_ALERT, cycle->log, errno,
                         "setrlimit(RLIMIT_CORE, %lld) failed",
                         (long long) ccf->rlimit_core);
        }
    }

    lt_worker_drop_privileges(cycle, ccf);

    mask = lt_get_cpu_affinity(cycle, worker);

    if (mask) {
        cpu_set_t  set;

        CPU_ZERO(&set);

        for (i = 0; i < 64; i++) {
            if (mask & ((uint64_t) 1 << i)) {
                CPU_SET(i, &set);
            }
        }

        if (sched_setaffinity(0, sizeof(cpu_set_t), &set) == -1) {
            lt_log_error(LT_LOG_ALERT, cycle->log, errno, "sched_setaffinity() failed");
        }
    }

#if (LT_HAVE_PR_SET_DUMPABLE)
    /* allow core dumps after setuid() */
    (void) prctl(PR_SET_DUMPABLE, 1, 0, 0, 0);
#endif

    /* a worker outliving its master (killed) stops gracefully */
    (void) prctl(PR_SET_PDEATHSIG, SIGQUIT, 0, 0, 0);

    if (ccf->working_directory.len && chdir((char *) ccf->working_directory.data) == -1) {
        lt_log_error(LT_LOG_ALERT, cycle->log, errno, "chdir(\"%s\") failed",
                     ccf->working_directory.data);
        exit(LT_EXIT_FATAL);
    }

    srandom(((unsigned) lt_pid << 16) ^ (unsigned) lt_time());

    for (i = 0; lt_modules[i]; i++) {
        if (lt_modules[i]->init_process && lt_modules[i]->init_process(cycle) != LT_OK) {
            /* fatal: respawning would fail the same way */
            exit(LT_EXIT_FATAL);
        }
    }
}


static void
lt_worker_process_exit(lt_cycle_t *cycle)
{
    size_t            i;
    lt_connection_t  *c;

    for (i = 0; lt_modules[i]; i++) {
        if (lt_modules[i]->exit_process) {
            lt_modules[i]->exit_process(cycle);
        }
    }

    if (lt_exiting && !lt_terminate) {
        c = cycle->connections;

        for (i = 0; i < cycle->connection_n; i++) {
            if (c[i].fd != -1 && !c[i].read.accept) {
                lt_log_error(LT_LOG_ALERT, cycle->log, 0,
                             "*%" PRIu64 " open socket #%d left in connection %zu",
                             c[i].number, c[i].fd, i);
                lt_debug_point();
            }
        }
    }

    lt_log_error(LT_LOG_NOTICE, cycle->log, 0, "exit");

    exit(0);
}


void
lt_single_process_cycle(lt_cycle_t *cycle)
{
    size_t  i;

    if (lt_block_signals(cycle->log) != LT_OK) {
        exit(1);
    }

    if (lt_set_environment(cycle, NULL) == NULL) {
        exit(2);
    }

    for (i = 0; lt_modules[i]; i++) {
        if (lt_modules[i]->init_process && lt_modules[i]->init_process(cycle) != LT_OK) {
            exit(2);
        }
    }

    for ( ;; ) {
        lt_process_events_and_timers(cycle);

        if (lt_terminate || lt_quit) {
            for (i = 0; lt_modules[i]; i++) {
                if (lt_modules[i]->exit_process) {
                    lt_modules[i]->exit_process(cycle);
                }
            }

            lt_master_process_exit(cycle);
        }

        if (lt_reconfigure) {
            lt_reconfigure = 0;
            lt_log_error(LT_LOG_WARN, cycle->log, 0, "reload needs \"master_process on\": "
                         "restart lintel to apply a new configuration");
        }

        if (lt_reopen) {
            lt_reopen = 0;
            lt_log_error(LT_LOG_NOTICE, cycle->log, 0, "reopening logs");
            lt_reopen_files(cycle, (uid_t) -1);
        }
    }
}
