/*
 * lt_process.h: the master and worker processes, signals, daemonizing and the
 * process title.
 */

#ifndef LT_PROCESS_H
#define LT_PROCESS_H

#include "lt_config.h"

#define LT_MAX_PROCESSES  1024

/* what a process is (lt_process) */
#define LT_PROCESS_SINGLE     0
#define LT_PROCESS_MASTER     1
#define LT_PROCESS_SIGNALLER  2
#define LT_PROCESS_WORKER     3
#define LT_PROCESS_HELPER     4

/* lt_spawn_process respawn modes */
#define LT_PROCESS_NORESPAWN     -1
#define LT_PROCESS_JUST_SPAWN    -2
#define LT_PROCESS_RESPAWN       -3
#define LT_PROCESS_JUST_RESPAWN  -4
#define LT_PROCESS_DETACHED      -5

/* a worker exiting with this code is not respawned */
#define LT_EXIT_FATAL  2

typedef void (*lt_spawn_proc_pt)(lt_cycle_t *cycle, void *data);

typedef struct {
    pid_t               pid;
    int                 status;
    lt_spawn_proc_pt    proc;
    void               *data;
    const char         *name;
    unsigned            respawn:1;
    unsigned            just_spawn:1;
    unsigned            detached:1;
    unsigned            exiting:1;
    unsigned            exited:1;
} lt_process_t;

extern lt_process_t  lt_processes[LT_MAX_PROCESSES];
extern int           lt_last_process;
extern int           lt_process_slot;
extern unsigned      lt_process;
extern unsigned      lt_worker;
extern int           lt_inherited;
extern int           lt_daemonized;
extern int           lt_exiting;
extern pid_t         lt_new_binary;     /* the binary started by USR2, while it runs */

/* set by signal handlers, acted on by the loops */
extern volatile sig_atomic_t  lt_reap;
extern volatile sig_atomic_t  lt_sigio;
extern volatile sig_atomic_t  lt_sigalrm;
extern volatile sig_atomic_t  lt_terminate;
extern volatile sig_atomic_t  lt_quit;
extern volatile sig_atomic_t  lt_reconfigure;
extern volatile sig_atomic_t  lt_reopen;
extern volatile sig_atomic_t  lt_change_binary;
extern volatile sig_atomic_t  lt_noaccept;

/* who sent each signal (for the log line), and the signal mask processes wait with */
extern volatile pid_t  lt_signal_sender[NSIG];
extern sigset_t        lt_wait_sigmask;

/* lt_init_signals: installs the handlers for the signals lintel uses */
int lt_init_signals(lt_log_t *log);

/* lt_signal_name: "SIGHUP" ... for messages */
const char *lt_signal_name(int signo);
/* lt_signal_by_command: the signal for -s stop|quit|reopen|reload, or 0 */
int lt_signal_by_command(const char *name);

/* lt_spawn_process: forks a process running proc(cycle, data); its pid, or
 * LT_INVALID_PID (logged) */
pid_t lt_spawn_process(lt_cycle_t *cycle, lt_spawn_proc_pt proc, void *data,
    const char *name, int respawn);

void lt_master_process_cycle(lt_cycle_t *cycle);
void lt_single_process_cycle(lt_cycle_t *cycle);

/* lt_daemon: forks into the background and detaches from the terminal */
int lt_daemon(lt_log_t *log);

/* the process title shown by ps: "lintel: worker process" */
int lt_init_setproctitle(lt_log_t *log);
void lt_setproctitle(const char *title);

/* lt_exec_new_binary: USR2: starts the binary at lt_binary_path (a new one may have
 * been installed there) as a detached process that inherits the listeners */
pid_t lt_exec_new_binary(lt_cycle_t *cycle, char *const *argv);

/* lt_resolve_binary_path: lt_binary_path = the absolute path argv[0] names (searched
 * in PATH when it has no "/"), resolved at start while the cwd is the user's */
int lt_resolve_binary_path(const char *argv0, lt_log_t *log);

extern char    *lt_binary_path;
extern pid_t    lt_parent;      /* our parent at start: an old master during an upgrade */

extern int      lt_argc;
extern char   **lt_argv;
extern char   **lt_os_argv;
extern char   **lt_os_environ;

#endif /* LT_PROCESS_H */
