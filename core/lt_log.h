/*
 * lt_log.h: the error log. A log is a chain of targets (error_log may be given
 * several times), each with its own level; a message goes to every target whose
 * level admits it, in nginx's line format:
 *
 *   2026/11/23 14:20:00 [error] 1234#1234: *5 message, client: ..., request: "..."
 *
 * While the server starts (and for -t, -s), warnings and worse are also written
 * to stderr as "lintel: [emerg] message".
 */

#ifndef LT_LOG_H
#define LT_LOG_H

#include "lt_config.h"
#include "lt_string.h"

#define LT_LOG_STDERR   0
#define LT_LOG_EMERG    1
#define LT_LOG_ALERT    2
#define LT_LOG_CRIT     3
#define LT_LOG_ERR      4
#define LT_LOG_WARN     5
#define LT_LOG_NOTICE   6
#define LT_LOG_INFO     7
#define LT_LOG_DEBUG    8

#define LT_MAX_ERROR_STR  2048

/* lt_log_handler_pt: appends context (", client: ...") to a message in [buf, buf+len);
 * returns the end of what it wrote */
typedef u_char *(*lt_log_handler_pt)(lt_log_t *log, u_char *buf, size_t len);

/* lt_log_writer_pt: a target other than a file (memory buffer, syslog) */
typedef void (*lt_log_writer_pt)(lt_log_t *log, unsigned level, u_char *buf, size_t len);

struct lt_open_file_s {
    int                  fd;
    lt_str_t             name;
    /* flush: writes buffered data before the file is reopened or closed */
    void               (*flush)(lt_open_file_t *file, lt_log_t *log);
    void                *data;
};

struct lt_log_s {
    unsigned             log_level;
    lt_open_file_t      *file;
    uint64_t             connection;    /* printed as "*N" when not 0 */
    time_t               disk_full_time;
    lt_log_handler_pt    handler;
    void                *data;
    lt_log_writer_pt     writer;
    void                *wdata;
    const char          *action;        /* "while reading client request headers" */
    lt_log_t            *next;
};

extern int       lt_use_stderr;  /* copy warnings and worse to stderr while starting */
extern pid_t     lt_pid;
extern pid_t     lt_tid;
extern lt_str_t  lt_log_levels[];

/* lt_log_error(level, log, err, fmt, ...): err is an errno value or 0. The level
 * test is inline so that disabled levels cost nothing. */
#define lt_log_error(level, log, ...)                                         \
    do {                                                                      \
        if ((log)->log_level >= (unsigned) (level))                           \
            lt_log_error_core(level, log, __VA_ARGS__);                       \
    } while (0)

void lt_log_error_core(unsigned level, lt_log_t *log, int err, const char *fmt, ...)
    LT_PRINTF(4, 5);
void lt_log_error_va(unsigned level, lt_log_t *log, int err, const char *fmt,
    va_list args);

#if (LT_DEBUG)
#define lt_log_debug(log, ...)                                                \
    do {                                                                      \
        if ((log)->log_level >= LT_LOG_DEBUG)                                 \
            lt_log_error_core(LT_LOG_DEBUG, log, 0, __VA_ARGS__);             \
    } while (0)
#else
#define lt_log_debug(log, ...)  do { } while (0)
#endif

/* lt_log_stderr: "lintel: message[ (err: text)]" on stderr, whatever the log says */
void lt_log_stderr(int err, const char *fmt, ...) LT_PRINTF(2, 3);

/* lt_log_errno: appends " (N: strerror)" at buf; returns the end */
u_char *lt_log_errno(u_char *buf, u_char *last, int err);

/* lt_log_init: the log used before any configuration is read: the error log given
 * by -e (a path relative to the prefix, or "stderr") or the compiled default.
 * If that file cannot be opened, logs to stderr and says so. */
lt_log_t *lt_log_init(const u_char *prefix, const u_char *error_log);

/* lt_log_set_log: parses an error_log directive's arguments (cf->args, from
 * index 1) into a log target inserted into the chain *head by level */
char *lt_log_set_log(lt_conf_t *cf, lt_log_t **head);

/* lt_log_open_default: the cycle's log when no error_log directive set one */
int lt_log_open_default(lt_cycle_t *cycle);

/* lt_log_redirect_stderr: points fd 2 at the error log file, so that anything a
 * library writes to stderr lands there (as nginx does once started) */
int lt_log_redirect_stderr(lt_cycle_t *cycle);

/* lt_log_get_file_log: the first target of the chain that writes to a file */
lt_log_t *lt_log_get_file_log(lt_log_t *head);

#endif /* LT_LOG_H */
