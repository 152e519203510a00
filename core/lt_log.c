/*
 * lt_log.c: the error log (see lt_log.h) and the error_log directive.
 */

#include "lt_core.h"

int       lt_use_stderr = 1;
pid_t     lt_pid;
pid_t     lt_tid;

lt_str_t  lt_log_levels[] = {
    lt_null_string,
    lt_string("emerg"),
    lt_string("alert"),
    lt_string("crit"),
    lt_string("error"),
    lt_string("warn"),
    lt_string("notice"),
    lt_string("info"),
    lt_string("debug"),
};

static lt_log_t        lt_log;
static lt_open_file_t  lt_log_file;


u_char *
lt_log_errno(u_char *buf, u_char *last, int err)
{
    return lt_slprintf(buf, last, " (%d: %s)", err, strerror(err));
}


void
lt_log_error_va(unsigned level, lt_log_t *log, int err, const char *fmt, va_list args)
{
    u_char   errstr[LT_MAX_ERROR_STR], *p, *last, *msg, *msg_end;
    ssize_t  n;
    int      wrote_stderr;
    va_list  copy;

    last = errstr + LT_MAX_ERROR_STR - 1;   /* room for the newline */

    p = lt_cpymem(errstr, lt_cached_err_log_time.data, lt_cached_err_log_time.len);
    p = lt_slprintf(p, last, " [%s] %d#%d: ", lt_log_levels[level].data,
                    (int) lt_pid, (int) lt_tid);

    if (log->connection) {
        p = lt_slprintf(p, last, "*%" PRIu64 " ", log->connection);
    }

    msg = p;

    va_copy(copy, args);
    p = lt_vslprintf(p, last, fmt, copy);
    va_end(copy);

    if (err) {
        p = lt_log_errno(p, last, err);
    }

    msg_end = p;

    if (level != LT_LOG_DEBUG && log->handler && p < last) {
        p = log->handler(log, p, last - p);
    }

    if (p > last) {
        p = last;
    }

    *p++ = '\n';

    wrote_stderr = 0;

    while (log) {

        if (log->log_level < level) {
            break;
        }

        if (log->writer) {
            log->writer(log, level, errstr, p - errstr);
            goto next;
        }

        if (log->file == NULL) {
            goto next;
        }

        if (lt_time() == log->disk_full_time) {
            /* do not retry writes to a full disk more than once a second */
            goto next;
        }

        n = write(log->file->fd, errstr, p - errstr);

        if (n == -1 && errno == ENOSPC) {
            log->disk_full_time = lt_time();
        }

        if (log->file->fd == STDERR_FILENO) {
            wrote_stderr = 1;
        }

    next:

        log = log->next;
    }

    if (!lt_use_stderr || level > LT_LOG_WARN || wrote_stderr) {
        return;
    }

    {
        u_char  line[LT_MAX_ERROR_STR], *q, *qlast;

        qlast = line + sizeof(line) - 1;
        q = lt_slprintf(line, qlast, "lintel: [%s] ", lt_log_levels[level].data);
        n = lt_min(msg_end - msg, qlast - q);
        q = lt_cpymem(q, msg, n);
        *q++ = '\n';
        n = write(STDERR_FILENO, line, q - line);
        (void) n;
    }
}


void
lt_log_error_core(unsigned level, lt_log_t *log, int err, const char *fmt, ...)
{
    va_list  args;

    va_start(args, fmt);
    lt_log_error_va(level, log, err, fmt, args);
    va_end(args);
}


void
lt_log_stderr(int err, const char *fmt, ...)
{
    u_char    errstr[LT_MAX_ERROR_STR], *p, *last;
    va_list   args;
    ssize_t   n;

    last = errstr + LT_MAX_ERROR_STR - 1;

    p = lt_cpymem(errstr, "lintel: ", 8);

    va_start(args, fmt);
    p = lt_vslprintf(p, last, fmt, args);
    va_end(args);

    if (err) {
        p = lt_log_errno(p, last, err);
    }

    if (p > last) {
        p = last;
    }

    *p++ = '\n';

    n = write(STDERR_FILENO, errstr, p - errstr);
    (void) n;
}


lt_log_t *
lt_log_init(const u_char *prefix, const u_char *error_log)
{
    char         path[PATH_MAX];
    const char  *name;
    size_t       plen;
    int          fd;

    lt_log.file = &lt_log_file;
    lt_log.log_level = LT_LOG_NOTICE;
    lt_log_file.fd = STDERR_FILENO;

    name = error_log ? (const char *) error_log : LT_ERROR_LOG_PATH;

    if (name[0] == '\0' || strcmp(name, "stderr") == 0) {
        return &lt_log;
    }

    if (name[0] == '/') {
        plen = 0;

    } else {
        if (prefix == NULL) {
            prefix = (u_char *) LT_PREFIX;
        }

        plen = lt_strlen(prefix);
    }

    if (plen + 1 + strlen(name) >= sizeof(path)) {
        lt_log_stderr(0, "[alert] could not open error log file: the path is too long");
        return &lt_log;
    }

    if (plen) {
        memcpy(path, prefix, plen);

        if (path[plen - 1] != '/') {
            path[plen++] = '/';
        }
    }

    strcpy(path + plen, name);

    fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);

    if (fd == -1) {
        lt_log_stderr(errno, "[alert] could not open error log file: "
                      "open() \"%s\" failed", path);
        return &lt_log;
    }

    lt_log_file.fd = fd;

    return &lt_log;
}


/* lt_log_insert: keeps the chain ordered by level, most verbose first; the head
 * may be embedded in another struct, so a new most-verbose target swaps with it */
static void
lt_log_insert(lt_log_t *log, lt_log_t *new_log)
{
    lt_log_t  tmp;

    if (new_log->log_level > log->log_level) {
        tmp = *log;
        *log = *new_log;
        *new_log = tmp;

        log->next = new_log;
        return;
    }

    while (log->next) {
        if (new_log->log_level > log->next->log_level) {
            new_log->next = log->next;
            log->next = new_log;
            return;
        }

        log = log->next;
    }

    log->next = new_log;
}


static char *
lt_log_set_levels(lt_conf_t *cf, lt_log_t *log)
{
    size_t     i, n;
    lt_str_t  *value;

    if (cf->args->nelts == 2) {
        log->log_level = LT_LOG_ERR;
        return LT_CONF_OK;
    }

    value = cf->args->elts;

    for (i = 2; i < cf->args->nelts; i++) {

        for (n = 1; n <= LT_LOG_DEBUG; n++) {
            if (value[i].len == lt_log_levels[n].len
                && lt_strcmp(value[i].data, lt_log_levels[n].data) == 0)
            {
                if (log->log_level != 0) {
                    lt_conf_log_error(LT_LOG_EMERG, cf, 0,
                                      "duplicate log level \"%s\"", value[i].data);
                    return LT_CONF_ERROR;
                }

                log->log_level = (unsigned) n;
                goto next;
            }
        }

        /* nginx's per-subsystem debug levels: all mean "debug" here */
        if (value[i].len > 6 && lt_strncmp(value[i].data, "debug_", 6) == 0) {
            log->log_level = LT_LOG_DEBUG;
            goto next;
        }

        lt_conf_log_error(LT_LOG_EMERG, cf, 0, "invalid log level \"%s\"", value[i].data);
        return LT_CONF_ERROR;

    next:
        continue;
    }

    return LT_CONF_OK;
}


char *
lt_log_set_log(lt_conf_t *cf, lt_log_t **head)
{
    lt_log_t  *new_log;
    lt_str_t  *value, name;

    if (*head != NULL && (*head)->log_level == 0) {
        new_log = *head;

    } else {
        new_log = lt_pcalloc(cf->pool, sizeof(lt_log_t));
        if (new_log == NULL) {
            return LT_CONF_ERROR;
        }

        if (*head == NULL) {
            *head = new_log;
        }
    }

    value = cf->args->elts;

    if (lt_str_eq(&value[1], "stderr")) {
        lt_str_null(&name);
        cf->cycle->log_use_stderr = 1;

        new_log->file = lt_conf_open_file(cf->cycle, &name);
        if (new_log->file == NULL) {
            return LT_CONF_ERROR;
        }

    } else if (value[1].len > 7 && lt_strncmp(value[1].data, "syslog:", 7) == 0) {
        lt_conf_log_error(LT_LOG_EMERG, cf, 0, "syslog logging is not supported yet");
        return LT_CONF_ERROR;

    } else if (value[1].len > 7 && lt_strncmp(value[1].data, "memory:", 7) == 0) {
        lt_conf_log_error(LT_LOG_EMERG, cf, 0, "memory logging is not supported");
        return LT_CONF_ERROR;

    } else {
        new_log->file = lt_conf_open_file(cf->cycle, &value[1]);
        if (new_log->file == NULL) {
            return LT_CONF_ERROR;
        }
    }

    new_log->log_level = 0;

    if (lt_log_set_levels(cf, new_log) != LT_CONF_OK) {
        return LT_CONF_ERROR;
    }

    if (*head != new_log) {
        lt_log_insert(*head, new_log);
    }

    return LT_CONF_OK;
}


int
lt_log_open_default(lt_cycle_t *cycle)
{
    lt_log_t  *log;
    lt_str_t   error_log;

    if (lt_log_get_file_log(&cycle->new_log) != NULL) {
        return LT_OK;
    }

    /* -e, or the compiled-in path; "stderr" means the standard error */
    error_log = cycle->error_log;

    if (error_log.len == 0) {
        lt_str_set(&error_log, LT_ERROR_LOG_PATH);
    }

    if (lt_str_eq(&error_log, "stderr")) {
        lt_str_null(&error_log);
        cycle->log_use_stderr = 1;
    }

    if (cycle->new_log.log_level != 0) {
        /* the chain holds only non-file targets: add the default file */
        log = lt_pcalloc(cycle->pool, sizeof(lt_log_t));
        if (log == NULL) {
            return LT_ERROR;
        }

    } else {
        log = &cycle->new_log;
    }

    log->log_level = LT_LOG_ERR;

    log->file = lt_conf_open_file(cycle, &error_log);
    if (log->file == NULL) {
        return LT_ERROR;
    }

    if (log != &cycle->new_log) {
        lt_log_insert(&cycle->new_log, log);
    }

    return LT_OK;
}


int
lt_log_redirect_stderr(lt_cycle_t *cycle)
{
    int  fd;

    if (cycle->log_use_stderr) {
        return LT_OK;
    }

    /* file log always exists when we are called */
    fd = lt_log_get_file_log(cycle->log)->file->fd;

    if (fd != STDERR_FILENO) {
        if (dup2(fd, STDERR_FILENO) == -1) {
            lt_log_error(LT_LOG_ALERT, cycle->log, errno, "dup2(STDERR) failed");
            return LT_ERROR;
        }
    }

    return LT_OK;
}


lt_log_t *
lt_log_get_file_log(lt_log_t *head)
{
    lt_log_t  *log;

    for (log = head; log; log = log->next) {
        if (log->file != NULL) {
            return log;
        }
    }

    return NULL;
}


/* the "error_log" directive of the main context */
static char *
lt_error_log(lt_conf_t *cf, lt_command_t *cmd, void *conf)
{
    lt_log_t  *head;

    head = &cf->cycle->new_log;

    return lt_log_set_log(cf, &head);
}


static lt_command_t  lt_errlog_commands[] = {

    { "error_log", LT_CTX_MAIN, 1, LT_CONF_MANY, lt_error_log, 0, 0, NULL },

    lt_null_command
};

lt_module_t  lt_errlog_module = {
    .name = "errlog",
    .type = LT_CORE_MODULE,
    .commands = lt_errlog_commands,
};
