/*
 * lt_cycle.h: a cycle is one loaded configuration and everything it owns: the
 * conf structs, listening sockets, open files, shared memory zones, paths. A
 * reload builds a new cycle beside the running one; on any error the new one is
 * thrown away and the old one keeps serving.
 */

#ifndef LT_CYCLE_H
#define LT_CYCLE_H

#include "lt_config.h"
#include "lt_string.h"
#include "lt_array.h"
#include "lt_list.h"
#include "lt_queue.h"
#include "lt_log.h"
#include "lt_palloc.h"

#define LT_CYCLE_POOL_SIZE  (16 * 1024)

struct lt_cycle_s {
    void              **conf_ctx;       /* per module index */
    lt_pool_t          *pool;

    lt_log_t           *log;
    lt_log_t            new_log;        /* the chain error_log directives build */
    unsigned            log_use_stderr:1;

    /* the worker's connection table (lt_event_core init_process) */
    lt_connection_t    *connections;
    lt_connection_t    *free_connections;
    size_t              connection_n;
    size_t              free_connection_n;
    lt_queue_t          reusable_connections_queue;
    size_t              reusable_connections_n;
    unsigned            connections_reuse_time;

    lt_array_t          listening;      /* lt_listening_t, filled by http/ and others */
    lt_array_t          paths;          /* lt_path_t * */
    lt_array_t          config_dump;    /* lt_conf_dump_t, for -T */
    lt_list_t           open_files;     /* lt_open_file_t */
    lt_list_t           shared_memory;  /* lt_shm_zone_t */

    lt_cycle_t         *old_cycle;

    lt_str_t            conf_file;
    lt_str_t            conf_param;     /* -g */
    lt_str_t            conf_prefix;    /* directory of conf_file, with a "/" */
    lt_str_t            prefix;         /* -p, with a "/" */
    lt_str_t            error_log;      /* -e */
    lt_str_t            hostname;
};

typedef struct {
    lt_str_t            name;
    lt_str_t            content;
} lt_conf_dump_t;

/* the core module's conf: the main-context directives */
typedef struct {
    int                 daemon;
    int                 master;
    uint64_t            shutdown_timeout;   /* ms; 0: wait for requests to finish */
    uint64_t            timer_resolution;
    int                 worker_processes;
    unsigned            debug_points;
    int64_t             rlimit_nofile;
    int64_t             rlimit_core;
    int                 priority;
    int                 cpu_affinity_auto;
    uint64_t           *cpu_affinity;       /* masks, CPU 0 in bit 0 */
    size_t              cpu_affinity_n;
    int                 pcre_jit;
    char               *username;
    uid_t               user;
    gid_t               group;
    lt_str_t            working_directory;
    lt_str_t            pid;
    lt_str_t            oldpid;
    lt_array_t          env;                /* lt_str_t: "NAME" or "NAME=VALUE" */
    char              **environment;
} lt_core_conf_t;

#define lt_is_init_cycle(cycle)  ((cycle)->conf_ctx == NULL)

/* lt_init_cycle: reads the configuration into a new cycle, based on old_cycle
 * (whose listening sockets and zones are inherited when unchanged). NULL on any
 * error, with the reason logged and nothing of old_cycle changed. */
lt_cycle_t *lt_init_cycle(lt_cycle_t *old_cycle);

/* lt_create_pidfile: writes lt_pid to name; LT_OK or LT_ERROR (logged) */
int lt_create_pidfile(lt_str_t *name, lt_log_t *log);
void lt_delete_pidfile(lt_cycle_t *cycle);

/* lt_signal_process: -s NAME: sends the signal to the pid in the pid file */
int lt_signal_process(lt_cycle_t *cycle, const char *sig);

/* lt_reopen_files: USR1: reopens every open file, owned by user */
void lt_reopen_files(lt_cycle_t *cycle, uid_t user);

/* lt_set_environment: the environment workers get (the env directive); *last is
 * the count when not NULL */
char **lt_set_environment(lt_cycle_t *cycle, size_t *last);

/* lt_set_shutdown_timer: arms worker_shutdown_timeout in an exiting worker */
void lt_set_shutdown_timer(lt_cycle_t *cycle);

/* lt_debug_point: where an internal inconsistency was found: stops or aborts the
 * process when "debug_points" says so, else returns */
void lt_debug_point(void);

/* lt_get_cpu_affinity: the CPU mask for worker n (0: do not bind) */
uint64_t lt_get_cpu_affinity(lt_cycle_t *cycle, unsigned n);

/* lt_dump_config: prints every file read (-T) to stdout */
void lt_dump_config(lt_cycle_t *cycle);

extern volatile lt_cycle_t  *lt_cycle;
extern lt_module_t           lt_core_module;
extern int                   lt_test_config;
extern int                   lt_dump_config_flag;
extern int                   lt_quiet_mode;

#define lt_cycle_log()   (lt_cycle->log)

#endif /* LT_CYCLE_H */
