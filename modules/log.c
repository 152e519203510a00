/*
 * log.c: the access log (http_log): log_format, access_log, open_log_file_cache.
 *
 * A format is compiled once into a list of ops (literal text, a variable with its
 * escaping, or one of the values only known when the request ends: $status,
 * $bytes_sent, $request_time ...). At the end of each request the LOG phase handler
 * measures the line, then writes it either straight to the file with one write(),
 * or into the file's buffer (buffer=, gzip) which goes to disk when it is full, when
 * the flush= timer fires, before USR1 reopens the file and when the worker exits.
 *
 * A path with variables is evaluated per request and opened (O_APPEND) for the line,
 * or taken from the per-worker open_log_file_cache of the location.
 *
 * Lists: access_log is a list directive; a level that has one or more access_log
 * lines (or "off") replaces what it would inherit, as in nginx.
 */

#include "lt_http.h"

#if (LT_HAVE_ZLIB)
#include <zlib.h>
#endif

#define LT_HTTP_LOG_ESCAPE_DEFAULT  0
#define LT_HTTP_LOG_ESCAPE_JSON     1
#define LT_HTTP_LOG_ESCAPE_NONE     2

#define LT_HTTP_LOG_GZIP_BUFFER     (64 * 1024)

typedef struct lt_http_log_op_s  lt_http_log_op_t;

/* run: writes the op's text at buf, never past last; returns the end */
typedef u_char *(*lt_http_log_op_run_pt)(lt_http_request_t *r, u_char *buf, u_char *last,
    lt_http_log_op_t *op);
/* getlen: the length run will need (variables are cached by then) */
typedef size_t (*lt_http_log_op_getlen_pt)(lt_http_request_t *r, uintptr_t data);

struct lt_http_log_op_s {
    size_t                     len;     /* the most run writes; 0: ask getlen */
    lt_http_log_op_getlen_pt   getlen;
    lt_http_log_op_run_pt      run;
    uintptr_t                  data;    /* the text, or a variable index */
};

typedef struct {
    lt_str_t                   name;
    lt_array_t                *ops;     /* lt_http_log_op_t; NULL: not compiled yet */
    lt_array_t                *flushes; /* unsigned: each variable used, once */
} lt_http_log_fmt_t;

/* the buffer of a buffered file (lt_open_file_t.data), per worker */
typedef struct {
    u_char                    *start;
    u_char                    *pos;
    u_char                    *last;
    lt_event_t                *event;   /* the flush= timer; NULL without flush= */
    uint64_t                   flush;
    int                        gzip;    /* compression level; 0: plain */
    time_t                     error_time;
} lt_http_log_buf_t;

/* one access_log directive */
typedef struct {
    lt_open_file_t            *file;    /* a fixed path; NULL when path is set */
    lt_http_complex_value_t   *path;    /* a path with variables, absolute */
    size_t                     fixed;   /* of path: the length before the first "$" */
    lt_http_log_fmt_t         *format;
    lt_http_complex_value_t   *filter;  /* if=; NULL: always */
    time_t                     disk_full_time;
    time_t                     error_time;
} lt_http_log_t;

/* one descriptor of open_log_file_cache */
typedef struct {
    u_char                    *name;    /* malloc'ed, NUL-terminated */
    size_t                     len;
    uintptr_t                  hash;
    int                        fd;      /* -1: known, not kept open (min_uses) */
    unsigned                   uses;
    time_t                     accessed;
    time_t                     created;
    uint64_t                   tick;    /* of the last use: the LRU order */
    dev_t                      dev;
    ino_t                      ino;
} lt_http_log_cached_t;

typedef struct {
    lt_http_log_cached_t      *entries; /* max of them, allocated on first use */
    unsigned                   n;
    unsigned                   max;
    unsigned                   min_uses;
    uint64_t                   tick;
    time_t                     inactive;
    time_t                     valid;
} lt_http_log_cache_t;

typedef struct {
    lt_array_t                 formats; /* lt_http_log_fmt_t *; [0] is "combined" */
} lt_http_log_main_conf_t;

typedef struct {
    lt_array_t                *logs;    /* lt_http_log_t; NULL: unset */
    lt_http_log_cache_t       *cache;   /* NULL: off */
    unsigned                   off;     /* "access_log off" on this level */
} lt_http_log_loc_conf_t;

/* the ops with values known only when the request ends */
typedef struct {
    lt_str_t                   name;
    size_t                     len;
    lt_http_log_op_run_pt      run;
} lt_http_log_var_t;


static int lt_http_log_handler(lt_http_request_t *r);
static void lt_http_log_flush(lt_open_file_t *file, lt_log_t *log);
static void lt_http_log_flush_handler(lt_event_t *ev);
static void lt_http_log_exit_process(lt_cycle_t *cycle);

static u_char *lt_http_log_copy(lt_http_request_t *r, u_char *buf, u_char *last,
    lt_http_log_op_t *op);
static u_char *lt_http_log_pipe(lt_http_request_t *r, u_char *buf, u_char *last,
    lt_http_log_op_t *op);
static u_char *lt_http_log_time_local(lt_http_request_t *r, u_char *buf, u_char *last,
    lt_http_log_op_t *op);
static u_char *lt_http_log_iso8601(lt_http_request_t *r, u_char *buf, u_char *last,
    lt_http_log_op_t *op);
static u_char *lt_http_log_msec(lt_http_request_t *r, u_char *buf, u_char *last,
    lt_http_log_op_t *op);
static u_char *lt_http_log_request_time(lt_http_request_t *r, u_char *buf, u_char *last,
    lt_http_log_op_t *op);
static u_char *lt_http_log_status(lt_http_request_t *r, u_char *buf, u_char *last,
    lt_http_log_op_t *op);
static u_char *lt_http_log_bytes_sent(lt_http_request_t *r, u_char *buf, u_char *last,
    lt_http_log_op_t *op);
static u_char *lt_http_log_body_bytes_sent(lt_http_request_t *r, u_char *buf, u_char *last,
    lt_http_log_op_t *op);
static u_char *lt_http_log_request_length(lt_http_request_t *r, u_char *buf, u_char *last,
    lt_http_log_op_t *op);

static size_t lt_http_log_variable_getlen(lt_http_request_t *r, uintptr_t data);
static u_char *lt_http_log_variable(lt_http_request_t *r, u_char *buf, u_char *last,
    lt_http_log_op_t *op);
static size_t lt_http_log_json_variable_getlen(lt_http_request_t *r, uintptr_t data);
static u_char *lt_http_log_json_variable(lt_http_request_t *r, u_char *buf, u_char *last,
    lt_http_log_op_t *op);
static size_t lt_http_log_unescaped_variable_getlen(lt_http_request_t *r, uintptr_t data);
static u_char *lt_http_log_unescaped_variable(lt_http_request_t *r, u_char *buf,
    u_char *last, lt_http_log_op_t *op);

static void *lt_http_log_create_main_conf(lt_conf_t *cf);
static void *lt_http_log_create_loc_conf(lt_conf_t *cf);
static char *lt_http_log_merge_loc_conf(lt_conf_t *cf, void *parent, void *child);
static char *lt_http_log_set_log(lt_conf_t *cf, lt_command_t *cmd, void *conf);
static char *lt_http_log_set_format(lt_conf_t *cf, lt_command_t *cmd, void *conf);
static char *lt_http_log_open_file_cache(lt_conf_t *cf, lt_command_t *cmd, void *conf);
static int lt_http_log_init(lt_conf_t *cf);


static lt_command_t  lt_http_log_commands[] = {

    /* log_format name [escape=default|json|none] string ...: http level only */
    { "log_format", LT_CTX_HTTP, 2, LT_CONF_MANY, lt_http_log_set_format, LT_MAIN_CONF, 0,
      NULL },

    /* a list: a level with access_log lines replaces the inherited list */
    { "access_log", LT_HTTP_ANY_CONF | LT_CTX_LIF | LT_CTX_LIMIT_EXCEPT, 1, LT_CONF_MANY,
      lt_http_log_set_log, LT_LOC_CONF, 0, NULL },

    { "open_log_file_cache", LT_HTTP_ANY_CONF, 1, 4, lt_http_log_open_file_cache,
      LT_LOC_CONF, 0, NULL },

    lt_null_command
};

lt_module_t  lt_http_log_module = {
    .name = "http_log",
    .type = LT_HTTP_MODULE,
    .commands = lt_http_log_commands,
    .postconfiguration = lt_http_log_init,
    .create_main_conf = lt_http_log_create_main_conf,
    .create_loc_conf = lt_http_log_create_loc_conf,
    .merge_loc_conf = lt_http_log_merge_loc_conf,
    .exit_process = lt_http_log_exit_process,   /* writes what the buffers hold */
};


static lt_str_t  lt_http_log_default_path = lt_string(LT_HTTP_LOG_PATH);

static lt_str_t  lt_http_log_combined_format = lt_string(
    "$remote_addr - $remote_user [$time_local] "
    "\"$request\" $status $body_bytes_sent "
    "\"$http_referer\" \"$http_user_agent\"");

static lt_http_log_var_t  lt_http_log_vars[] = {
    { lt_string("pipe"), 1, lt_http_log_pipe },
    { lt_string("time_local"), sizeof("28/Sep/1970:12:00:00 +0600") - 1,
      lt_http_log_time_local },
    { lt_string("time_iso8601"), sizeof("1970-09-28T12:00:00+06:00") - 1,
      lt_http_log_iso8601 },
    { lt_string("msec"), LT_INT64_LEN + 4, lt_http_log_msec },
    { lt_string("request_time"), LT_INT64_LEN + 4, lt_http_log_request_time },
    { lt_string("status"), LT_INT64_LEN, lt_http_log_status },
    { lt_string("bytes_sent"), LT_INT64_LEN, lt_http_log_bytes_sent },
    { lt_string("body_bytes_sent"), LT_INT64_LEN, lt_http_log_body_bytes_sent },
    { lt_string("request_length"), LT_INT64_LEN, lt_http_log_request_length },
    { lt_null_string, 0, NULL }
};


/* default escaping: " \ and bytes outside 0x20..0x7e as \xXX */
static int
lt_http_log_escape_char(u_char c)
{
    return c < 0x20 || c > 0x7e || c == '"' || c == '\\';
}


static size_t
lt_http_log_escape_len(const u_char *src, size_t size)
{
    size_t  n;

    for (n = 0; size; size--, src++) {
        if (lt_http_log_escape_char(*src)) {
            n++;
        }
    }

    return n * 3;
}


static u_char *
lt_http_log_escape(u_char *dst, const u_char *src, size_t size)
{
    static const u_char  hex[] = "0123456789ABCDEF";

    for ( /* void */ ; size; size--, src++) {
        if (lt_http_log_escape_char(*src)) {
            *dst++ = '\\';
            *dst++ = 'x';
            *dst++ = hex[*src >> 4];
            *dst++ = hex[*src & 0xf];

        } else {
            *dst++ = *src;
        }
    }

    return dst;
}


/* ops */

static u_char *
lt_http_log_copy(lt_http_request_t *r, u_char *buf, u_char *last, lt_http_log_op_t *op)
{
    if ((size_t) (last - buf) < op->len) {
        return buf;
    }

    return lt_cpymem(buf, (u_char *) op->data, op->len);
}


static u_char *
lt_http_log_pipe(lt_http_request_t *r, u_char *buf, u_char *last, lt_http_log_op_t *op)
{
    *buf++ = r->pipeline ? 'p' : '.';

    return buf;
}


static u_char *
lt_http_log_time_local(lt_http_request_t *r, u_char *buf, u_char *last, lt_http_log_op_t *op)
{
    return lt_cpymem(buf, lt_cached_http_log_time.data, op->len);
}


static u_char *
lt_http_log_iso8601(lt_http_request_t *r, u_char *buf, u_char *last, lt_http_log_op_t *op)
{
    return lt_cpymem(buf, lt_cached_http_log_iso8601.data, op->len);
}


/* lt_http_log_seconds: "S.mmm" */
static u_char *
lt_http_log_seconds(u_char *buf, u_char *last, int64_t ms)
{
    if (ms < 0) {
        ms = 0;
    }

    return lt_slprintf(buf, last, "%lld.%03d", (long long) (ms / 1000), (int) (ms % 1000));
}


static u_char *
lt_http_log_msec(lt_http_request_t *r, u_char *buf, u_char *last, lt_http_log_op_t *op)
{
    lt_time_t  *tp;

    tp = lt_timeofday();

    return lt_http_log_seconds(buf, last, (int64_t) tp->sec * 1000 + tp->msec);
}


static u_char *
lt_http_log_request_time(lt_http_request_t *r, u_char *buf, u_char *last,
    lt_http_log_op_t *op)
{
    lt_time_t  *tp;

    tp = lt_timeofday();

    return lt_http_log_seconds(buf, last, (int64_t) (tp->sec - r->start_sec) * 1000
                                          + ((int64_t) tp->msec - r->start_msec));
}


static u_char *
lt_http_log_status(lt_http_request_t *r, u_char *buf, u_char *last, lt_http_log_op_t *op)
{
    unsigned  status;

    if (r->err_status) {
        status = r->err_status;

    } else if (r->headers_out.status) {
        status = r->headers_out.status;

    } else if (r->http_version == LT_HTTP_VERSION_9) {
        status = 9;

    } else {
        status = 0;
    }

    return lt_slprintf(buf, last, "%03u", status);
}


static u_char *
lt_http_log_bytes_sent(lt_http_request_t *r, u_char *buf, u_char *last, lt_http_log_op_t *op)
{
    return lt_sprint_uint(buf, (uint64_t) r->connection->sent);
}


/* $body_bytes_sent: what was sent past the header; Apache's %B */
static u_char *
lt_http_log_body_bytes_sent(lt_http_request_t *r, u_char *buf, u_char *last,
    lt_http_log_op_t *op)
{
    off_t  length;

    length = r->connection->sent - (off_t) r->header_size;

    return lt_sprint_uint(buf, length > 0 ? (uint64_t) length : 0);
}


static u_char *
lt_http_log_request_length(lt_http_request_t *r, u_char *buf, u_char *last,
    lt_http_log_op_t *op)
{
    return lt_sprint_uint(buf, r->request_length > 0 ? (uint64_t) r->request_length : 0);
}


/* variables, escape=default: "-" when not found */
static size_t
lt_http_log_variable_getlen(lt_http_request_t *r, uintptr_t data)
{
    lt_http_variable_value_t  *vv;

    vv = lt_http_get_indexed_variable(r, (unsigned) data);

    if (vv == NULL || vv->not_found) {
        return 1;
    }

    return vv->len + lt_http_log_escape_len(vv->data, vv->len);
}


static u_char *
lt_http_log_variable(lt_http_request_t *r, u_char *buf, u_char *last, lt_http_log_op_t *op)
{
    size_t                     len;
    lt_http_variable_value_t  *vv;

    vv = lt_http_get_indexed_variable(r, (unsigned) op->data);

    if (vv == NULL || vv->not_found) {
        if (buf < last) {
            *buf++ = '-';
        }

        return buf;
    }

    len = lt_http_log_escape_len(vv->data, vv->len);

    if ((size_t) (last - buf) < vv->len + len) {
        return buf;
    }

    if (len == 0) {
        return lt_cpymem(buf, vv->data, vv->len);
    }

    return lt_http_log_escape(buf, vv->data, vv->len);
}


/* escape=json: "" when not found */
static size_t
lt_http_log_json_variable_getlen(lt_http_request_t *r, uintptr_t data)
{
    lt_http_variable_value_t  *vv;

    vv = lt_http_get_indexed_variable(r, (unsigned) data);

    if (vv == NULL || vv->not_found) {
        return 0;
    }

    return lt_escape_json_len(vv->data, vv->len);
}


static u_char *
lt_http_log_json_variable(lt_http_request_t *r, u_char *buf, u_char *last,
    lt_http_log_op_t *op)
{
    lt_http_variable_value_t  *vv;

    vv = lt_http_get_indexed_variable(r, (unsigned) op->data);

    if (vv == NULL || vv->not_found
        || (size_t) (last - buf) < lt_escape_json_len(vv->data, vv->len))
    {
        return buf;
    }

    return lt_escape_json(buf, vv->data, vv->len);
}


/* escape=none: the bytes as they are, "" when not found */
static size_t
lt_http_log_unescaped_variable_getlen(lt_http_request_t *r, uintptr_t data)
{
    lt_http_variable_value_t  *vv;

    vv = lt_http_get_indexed_variable(r, (unsigned) data);

    if (vv == NULL || vv->not_found) {
        return 0;
    }

    return vv->len;
}


static u_char *
lt_http_log_unescaped_variable(lt_http_request_t *r, u_char *buf, u_char *last,
    lt_http_log_op_t *op)
{
    lt_http_variable_value_t  *vv;

    vv = lt_http_get_indexed_variable(r, (unsigned) op->data);

    if (vv == NULL || vv->not_found || (size_t) (last - buf) < vv->len) {
        return buf;
    }

    return lt_cpymem(buf, vv->data, vv->len);
}


/* lt_http_log_line_len: the line's length with its "\n"; evaluates the variables
 * first, once each, so that measuring and writing see the same values */
static size_t
lt_http_log_line_len(lt_http_request_t *r, lt_http_log_fmt_t *fmt)
{
    size_t             i, len;
    unsigned          *index;
    lt_http_log_op_t  *op;

    index = fmt->flushes->elts;

    for (i = 0; i < fmt->flushes->nelts; i++) {
        (void) lt_http_get_flushed_variable(r, index[i]);
    }

    op = fmt->ops->elts;
    len = 1;

    for (i = 0; i < fmt->ops->nelts; i++) {
        len += op[i].len ? op[i].len : op[i].getlen(r, op[i].data);
    }

    return len;
}


/* lt_http_log_line: the line and its "\n" in [p, last) (last - p is at least what
 * lt_http_log_line_len said); returns the end */
static u_char *
lt_http_log_line(lt_http_request_t *r, lt_http_log_fmt_t *fmt, u_char *p, u_char *last)
{
    size_t             i;
    lt_http_log_op_t  *op;

    op = fmt->ops->elts;

    /* keep room for the "\n" */
    last--;

    for (i = 0; i < fmt->ops->nelts; i++) {
        p = op[i].run(r, p, last, &op[i]);
    }

    *p++ = '\n';

    return p;
}


/* writing */

/* lt_http_log_write_fd: one write(); failures are logged at most once a second
 * per log, and never retried (a log must not hold the worker up) */
static void
lt_http_log_write_fd(lt_log_t *log, int fd, const u_char *name, const u_char *buf,
    size_t len, time_t *error_time, time_t *disk_full_time)
{
    int      err;
    time_t   now;
    ssize_t  n;

    do {
        n = write(fd, buf, len);
    } while (n == -1 && errno == EINTR);

    if (n == (ssize_t) len) {
        return;
    }

    err = errno;
    now = lt_time();

    if (n == -1 && err == ENOSPC && disk_full_time) {
        /* a full disk: skip the log for the rest of this second */
        *disk_full_time = now;
    }

    if (*error_time == now) {
        return;
    }

    *error_time = now;

    if (n == -1) {
        lt_log_error(LT_LOG_ALERT, log, err, "write() to \"%s\" failed", name);
        return;
    }

    lt_log_error(LT_LOG_ALERT, log, 0, "write() to \"%s\" was incomplete: %zd of %zu",
                 name, n, len);
}


#if (LT_HAVE_ZLIB)

/* lt_http_log_gzip: buf as one gzip member (a file of members is a valid gzip
 * file: zcat reads them all) */
static void
lt_http_log_gzip(lt_log_t *log, lt_open_file_t *file, lt_http_log_buf_t *buffer,
    const u_char *buf, size_t len, time_t *disk_full_time)
{
    int        rc, wbits, memlevel;
    size_t     size;
    u_char    *out;
    z_stream   zs;

    /* a small input needs no 32K window */
    wbits = MAX_WBITS;
    memlevel = MAX_MEM_LEVEL - 1;

    while (wbits > 9 && len < ((size_t) 1 << (wbits - 1)) - 262) {
        wbits--;
        memlevel = memlevel > 1 ? memlevel - 1 : 1;
    }

    lt_memzero(&zs, sizeof(z_stream));

    rc = deflateInit2(&zs, buffer->gzip, Z_DEFLATED, wbits + 16, memlevel,
                      Z_DEFAULT_STRATEGY);
    if (rc != Z_OK) {
        lt_log_error(LT_LOG_ALERT, log, 0, "deflateInit2() failed: %d", rc);
        return;
    }

    size = deflateBound(&zs, (uLong) len);

    out = lt_alloc(size, log);
    if (out == NULL) {
        goto done;
    }

    zs.next_in = (Bytef *) buf;
    zs.avail_in = (uInt) len;
    zs.next_out = out;
    zs.avail_out = (uInt) size;

    rc = deflate(&zs, Z_FINISH);

    if (rc != Z_STREAM_END) {
        lt_log_error(LT_LOG_ALERT, log, 0, "deflate(Z_FINISH) failed: %d", rc);

    } else {
        lt_http_log_write_fd(log, file->fd, file->name.data, out, size - zs.avail_out,
                             &buffer->error_time, disk_full_time);
    }

    lt_free(out);

done:

    rc = deflateEnd(&zs);
    if (rc != Z_OK && rc != Z_DATA_ERROR) {
        lt_log_error(LT_LOG_ALERT, log, 0, "deflateEnd() failed: %d", rc);
    }
}

#endif


/* lt_http_log_write_file: to a file named in the configuration (compressed when its
 * buffer says gzip) */
static void
lt_http_log_write_file(lt_log_t *log, lt_open_file_t *file, const u_char *buf, size_t len,
    time_t *error_time, time_t *disk_full_time)
{
    lt_http_log_buf_t  *buffer = file->data;

#if (LT_HAVE_ZLIB)
    if (buffer && buffer->gzip) {
        lt_http_log_gzip(log, file, buffer, buf, len, disk_full_time);
        return;
    }
#endif

    if (buffer) {
        error_time = &buffer->error_time;
    }

    lt_http_log_write_fd(log, file->fd, file->name.data, buf, len, error_time,
                         disk_full_time);
}


/* lt_http_log_flush: the lt_open_file_t flush hook: writes what the buffer holds
 * (before USR1 reopens the file, at worker exit, and on the flush= timer) */
static void
lt_http_log_flush(lt_open_file_t *file, lt_log_t *log)
{
    lt_http_log_buf_t  *buffer = file->data;

    if (buffer == NULL) {
        return;
    }

    if (buffer->pos != buffer->start && file->fd != LT_INVALID_FILE) {
        lt_http_log_write_file(log, file, buffer->start, buffer->pos - buffer->start,
                               &buffer->error_time, NULL);
    }

    buffer->pos = buffer->start;

    if (buffer->event && buffer->event->timer_set) {
        lt_event_del_timer(buffer->event);
    }
}


static void
lt_http_log_flush_handler(lt_event_t *ev)
{
    lt_http_log_flush(ev->data, lt_cycle->log);
}


static void
lt_http_log_exit_process(lt_cycle_t *cycle)
{
    lt_list_iter_t   it;
    lt_open_file_t  *file;

    lt_list_iter_init(&it, &cycle->open_files);

    while ((file = lt_list_iter_next(&it)) != NULL) {
        if (file->flush == lt_http_log_flush) {
            lt_http_log_flush(file, cycle->log);
        }
    }
}


/* open_log_file_cache: a small per-worker table, searched linearly (max is meant to
 * be tens to a few hundred); descriptors not used for "inactive" are closed */

static void
lt_http_log_cache_drop(lt_http_log_cache_t *cache, unsigned i)
{
    lt_http_log_cached_t  *e = &cache->entries[i];

    if (e->fd != -1) {
        (void) close(e->fd);
    }

    lt_free(e->name);

    *e = cache->entries[--cache->n];
}


/* lt_http_log_cache_find: the entry of name, after closing the inactive ones */
static lt_http_log_cached_t *
lt_http_log_cache_find(lt_http_log_cache_t *cache, u_char *name, size_t len,
    uintptr_t hash, time_t now)
{
    unsigned               i;
    lt_http_log_cached_t  *e, *found;

    found = NULL;
    i = 0;

    while (i < cache->n) {
        e = &cache->entries[i];

        if (now - e->accessed >= cache->inactive) {
            lt_http_log_cache_drop(cache, i);
            continue;
        }

        if (e->hash == hash && e->len == len && memcmp(e->name, name, len) == 0) {
            found = e;
        }

        i++;
    }

    return found;
}


/* lt_http_log_cache_add: a new entry for name (an open fd), evicting the least
 * recently used one when the cache is full */
static lt_http_log_cached_t *
lt_http_log_cache_add(lt_http_log_cache_t *cache, lt_log_t *log, u_char *name, size_t len,
    uintptr_t hash)
{
    unsigned               i, lru;
    lt_http_log_cached_t  *e;

    if (cache->entries == NULL) {
        cache->entries = lt_calloc(cache->max * sizeof(lt_http_log_cached_t), log);
        if (cache->entries == NULL) {
            return NULL;
        }
    }

    if (cache->n == cache->max) {
        lru = 0;

        for (i = 1; i < cache->n; i++) {
            if (cache->entries[i].tick < cache->entries[lru].tick) {
                lru = i;
            }
        }

        lt_http_log_cache_drop(cache, lru);
    }

    e = &cache->entries[cache->n];

    e->name = lt_alloc(len + 1, log);
    if (e->name == NULL) {
        return NULL;
    }

    memcpy(e->name, name, len + 1);
    e->len = len;
    e->hash = hash;
    e->fd = -1;
    e->uses = 0;

    cache->n++;

    return e;
}


static int
lt_http_log_open(lt_http_request_t *r, lt_http_log_t *log, u_char *name)
{
    int     fd, err;
    time_t  now;

    fd = open((char *) name, O_WRONLY | O_APPEND | O_CREAT | O_NONBLOCK | O_CLOEXEC, 0644);

    if (fd == -1) {
        err = errno;
        now = lt_time();

        if (log->error_time != now) {
            log->error_time = now;
            lt_log_error(LT_LOG_CRIT, r->connection->log, err, "open() \"%s\" failed", name);
        }
    }

    return fd;
}


/* lt_http_log_cached_fd: the descriptor for name through the cache; *keep says
 * whether it stays open after the write */
static int
lt_http_log_cached_fd(lt_http_request_t *r, lt_http_log_t *log, lt_http_log_cache_t *cache,
    u_char *name, size_t len, int *keep)
{
    int                    fd;
    time_t                 now;
    uintptr_t              hash;
    struct stat            st;
    lt_http_log_cached_t  *e;

    now = lt_time();
    hash = lt_hash_key(name, len);

    e = lt_http_log_cache_find(cache, name, len, hash, now);

    if (e && e->fd != -1) {

        if (now - e->created < cache->valid) {
            goto found;
        }

        /* still the same file under that name? */
        if (stat((char *) name, &st) == 0 && st.st_dev == e->dev && st.st_ino == e->ino) {
            e->created = now;
            goto found;
        }

        (void) close(e->fd);
        e->fd = -1;
    }

    fd = lt_http_log_open(r, log, name);
    if (fd == -1) {
        return -1;
    }

    if (e == NULL) {
        e = lt_http_log_cache_add(cache, r->connection->log, name, len, hash);
        if (e == NULL) {
            *keep = 0;
            return fd;
        }
    }

    e->uses++;
    e->accessed = now;
    e->tick = ++cache->tick;

    if (e->uses < cache->min_uses || fstat(fd, &st) == -1) {
        *keep = 0;
        return fd;
    }

    e->fd = fd;
    e->created = now;
    e->dev = st.st_dev;
    e->ino = st.st_ino;

    *keep = 1;

    return fd;

found:

    e->uses++;
    e->accessed = now;
    e->tick = ++cache->tick;
    *keep = 1;

    return e->fd;
}


/* lt_http_log_root_exists: a log whose path has variables is written only when the
 * request's root exists (a missing virtual host must not create logs) */
static int
lt_http_log_root_exists(lt_http_request_t *r)
{
    size_t       root;
    lt_str_t     path;
    struct stat  st;

    if (r->root_tested) {
        return 1;
    }

    if (lt_http_map_uri_to_path(r, &path, &root, 0) == NULL) {
        return 0;
    }

    path.data[root] = '\0';

    if (stat((char *) path.data, &st) == -1) {
        lt_log_error(LT_LOG_ERR, r->connection->log, errno,
                     "testing \"%s\" existence failed", path.data);
        return 0;
    }

    if (!S_ISDIR(st.st_mode)) {
        lt_log_error(LT_LOG_ERR, r->connection->log, ENOTDIR,
                     "testing \"%s\" existence failed", path.data);
        return 0;
    }

    return 1;
}


/* lt_http_log_name_ok: a name built from request data must not leave its directory
 * through ".." nor be cut short by a NUL byte; the configured start of the path (the
 * prefix may have "..") is not checked, but for the few bytes a ".." could share with
 * what a variable adds */
static int
lt_http_log_name_ok(lt_str_t *name, size_t fixed)
{
    u_char  *p, *end;

    if (memchr(name->data, '\0', name->len) != NULL) {
        return 0;
    }

    end = name->data + name->len;
    p = name->data + (fixed > 3 ? fixed - 3 : 0);

    for ( /* void */ ; p + 2 < end; p++) {
        if (p[0] == '/' && p[1] == '.' && p[2] == '.' && (p + 3 == end || p[3] == '/')) {
            return 0;
        }
    }

    return 1;
}


/* lt_http_log_write_path: a log whose path has variables */
static void
lt_http_log_write_path(lt_http_request_t *r, lt_http_log_t *log, u_char *buf, size_t len)
{
    int                      fd, keep;
    lt_str_t                 name;
    lt_http_log_loc_conf_t  *lcf;

    if (!lt_http_log_root_exists(r)) {
        return;
    }

    if (lt_http_complex_value(r, log->path, &name) != LT_OK) {
        return;
    }

    if (!lt_http_log_name_ok(&name, log->fixed)) {
        lt_log_error(LT_LOG_ERR, r->connection->log, 0,
                     "access log name \"%.*s\" is refused", (int) name.len, name.data);
        return;
    }

    lcf = lt_http_get_module_loc_conf(r, lt_http_log_module);

    keep = 0;

    if (lcf->cache) {
        fd = lt_http_log_cached_fd(r, log, lcf->cache, name.data, name.len, &keep);

    } else {
        fd = lt_http_log_open(r, log, name.data);
    }

    if (fd == -1) {
        return;
    }

    lt_http_log_write_fd(r->connection->log, fd, name.data, buf, len, &log->error_time,
                         &log->disk_full_time);

    if (!keep && close(fd) == -1) {
        lt_log_error(LT_LOG_ALERT, r->connection->log, errno, "close() \"%s\" failed",
                     name.data);
    }
}


/* lt_http_log_one: one access_log line of r */
static int
lt_http_log_one(lt_http_request_t *r, lt_http_log_t *log)
{
    size_t              len;
    u_char             *line, *p;
    lt_http_log_buf_t  *buffer;

    len = lt_http_log_line_len(r, log->format);

    buffer = log->file ? log->file->data : NULL;

    if (buffer) {

        if (len > (size_t) (buffer->last - buffer->pos)) {
            lt_http_log_flush(log->file, r->connection->log);
        }

        if (len <= (size_t) (buffer->last - buffer->pos)) {

            if (buffer->event && buffer->pos == buffer->start) {
                lt_event_add_timer(buffer->event, buffer->flush);
            }

            buffer->pos = lt_http_log_line(r, log->format, buffer->pos, buffer->pos + len);

            return LT_OK;
        }

        /* longer than the whole buffer: written on its own, below */
    }

    line = lt_pnalloc(r->pool, len);
    if (line == NULL) {
        return LT_ERROR;
    }

    p = lt_http_log_line(r, log->format, line, line + len);

    if (log->file) {
        lt_http_log_write_file(r->connection->log, log->file, line, p - line,
                               &log->error_time, &log->disk_full_time);

    } else {
        lt_http_log_write_path(r, log, line, p - line);
    }

    return LT_OK;
}


static int
lt_http_log_handler(lt_http_request_t *r)
{
    size_t                   i;
    time_t                   now;
    lt_str_t                 val;
    lt_http_log_t           *log;
    lt_http_log_loc_conf_t  *lcf;

    lcf = lt_http_get_module_loc_conf(r, lt_http_log_module);

    if (lcf->off || lcf->logs == NULL) {
        return LT_OK;
    }

    now = lt_time();
    log = lcf->logs->elts;

    for (i = 0; i < lcf->logs->nelts; i++) {

        if (log[i].filter) {
            if (lt_http_complex_value(r, log[i].filter, &val) != LT_OK) {
                return LT_ERROR;
            }

            if (val.len == 0 || (val.len == 1 && val.data[0] == '0')) {
                continue;
            }
        }

        if (log[i].disk_full_time == now) {
            continue;
        }

        if (lt_http_log_one(r, &log[i]) != LT_OK) {
            return LT_ERROR;
        }
    }

    return LT_OK;
}


/* configuration */

static void *
lt_http_log_create_main_conf(lt_conf_t *cf)
{
    lt_http_log_fmt_t        *fmt, **fmtp;
    lt_http_log_main_conf_t  *lmcf;

    lmcf = lt_pcalloc(cf->pool, sizeof(lt_http_log_main_conf_t));
    if (lmcf == NULL) {
        return NULL;
    }

    if (lt_array_init(&lmcf->formats, cf->pool, 4, sizeof(lt_http_log_fmt_t *)) != LT_OK) {
        return NULL;
    }

    /* "combined" is compiled when a log uses it */
    fmt = lt_pcalloc(cf->pool, sizeof(lt_http_log_fmt_t));
    fmtp = lt_array_push(&lmcf->formats);
    if (fmt == NULL || fmtp == NULL) {
        return NULL;
    }

    lt_str_set(&fmt->name, "combined");
    *fmtp = fmt;

    return lmcf;
}


static void *
lt_http_log_create_loc_conf(lt_conf_t *cf)
{
    lt_http_log_loc_conf_t  *conf;

    conf = lt_pcalloc(cf->pool, sizeof(lt_http_log_loc_conf_t));
    if (conf == NULL) {
        return NULL;
    }

    conf->logs = NULL;
    conf->cache = LT_CONF_UNSET_PTR;
    conf->off = 0;

    return conf;
}


/* lt_http_log_add_op: pushes an op; NULL on allocation failure */
static lt_http_log_op_t *
lt_http_log_add_op(lt_http_log_fmt_t *fmt)
{
    lt_http_log_op_t  *op;

    op = lt_array_push(fmt->ops);
    if (op) {
        lt_memzero(op, sizeof(lt_http_log_op_t));
    }

    return op;
}


/* lt_http_log_compile_variable: an op for $name */
static int
lt_http_log_compile_variable(lt_conf_t *cf, lt_http_log_fmt_t *fmt, lt_str_t *name,
    unsigned escape)
{
    int                 index;
    size_t              i;
    unsigned           *flush;
    lt_http_log_op_t   *op;
    lt_http_log_var_t  *v;

    op = lt_http_log_add_op(fmt);
    if (op == NULL) {
        return LT_ERROR;
    }

    for (v = lt_http_log_vars; v->name.len; v++) {
        if (v->name.len == name->len && memcmp(v->name.data, name->data, name->len) == 0) {
            op->len = v->len;
            op->run = v->run;
            return LT_OK;
        }
    }

    index = lt_http_get_variable_index(cf, name);
    if (index == LT_ERROR) {
        return LT_ERROR;
    }

    op->data = (uintptr_t) index;

    switch (escape) {

    case LT_HTTP_LOG_ESCAPE_JSON:
        op->getlen = lt_http_log_json_variable_getlen;
        op->run = lt_http_log_json_variable;
        break;

    case LT_HTTP_LOG_ESCAPE_NONE:
        op->getlen = lt_http_log_unescaped_variable_getlen;
        op->run = lt_http_log_unescaped_variable;
        break;

    default:
        op->getlen = lt_http_log_variable_getlen;
        op->run = lt_http_log_variable;
    }

    flush = fmt->flushes->elts;

    for (i = 0; i < fmt->flushes->nelts; i++) {
        if (flush[i] == (unsigned) index) {
            return LT_OK;
        }
    }

    flush = lt_array_push(fmt->flushes);
    if (flush == NULL) {
        return LT_ERROR;
    }

    *flush = (unsigned) index;

    return LT_OK;
}


/* lt_http_log_compile_string: ops for one argument of log_format */
static int
lt_http_log_compile_string(lt_conf_t *cf, lt_http_log_fmt_t *fmt, lt_str_t *value,
    unsigned escape)
{
    u_char            *p, *end, *start;
    lt_str_t           name;
    lt_http_log_op_t  *op;

    p = value->data;
    end = p + value->len;

    while (p < end) {

        if (*p != '$') {
            start = p;

            while (p < end && *p != '$') {
                p++;
            }

            op = lt_http_log_add_op(fmt);
            if (op == NULL) {
                return LT_ERROR;
            }

            op->len = p - start;
            op->run = lt_http_log_copy;
            op->data = (uintptr_t) start;
            continue;
        }

        if (++p == end) {
            goto invalid;
        }

        p = lt_http_script_variable_name(cf, p, end, &name);
        if (p == NULL) {
            return LT_ERROR;
        }

        if (name.len == 0) {
            goto invalid;
        }

        if (lt_http_log_compile_variable(cf, fmt, &name, escape) != LT_OK) {
            return LT_ERROR;
        }
    }

    return LT_OK;

invalid:

    lt_conf_log_error(LT_LOG_EMERG, cf, 0, "invalid parameter \"%.*s\"", (int) value->len,
                      value->data);

    return LT_ERROR;
}


/* lt_http_log_compile_format: the ops of args[0..n) */
static int
lt_http_log_compile_format(lt_conf_t *cf, lt_http_log_fmt_t *fmt, lt_str_t *args, size_t n,
    unsigned escape)
{
    size_t  i;

    fmt->ops = lt_array_create(cf->pool, 16, sizeof(lt_http_log_op_t));
    fmt->flushes = lt_array_create(cf->pool, 8, sizeof(unsigned));

    if (fmt->ops == NULL || fmt->flushes == NULL) {
        return LT_ERROR;
    }

    for (i = 0; i < n; i++) {
        if (lt_http_log_compile_string(cf, fmt, &args[i], escape) != LT_OK) {
            return LT_ERROR;
        }
    }

    return LT_OK;
}


/* lt_http_log_find_format: the format named name (compiling "combined" on first
 * use), or NULL */
static lt_http_log_fmt_t *
lt_http_log_find_format(lt_conf_t *cf, lt_str_t *name)
{
    size_t                    i;
    lt_http_log_fmt_t       **fmt;
    lt_http_log_main_conf_t  *lmcf;

    lmcf = lt_http_conf_get_module_main_conf(cf, lt_http_log_module);

    fmt = lmcf->formats.elts;

    for (i = 0; i < lmcf->formats.nelts; i++) {
        if (fmt[i]->name.len == name->len
            && lt_strncasecmp(fmt[i]->name.data, name->data, name->len) == 0)
        {
            break;
        }
    }

    if (i == lmcf->formats.nelts) {
        return NULL;
    }

    if (fmt[i]->ops == NULL
        && lt_http_log_compile_format(cf, fmt[i], &lt_http_log_combined_format, 1,
                                      LT_HTTP_LOG_ESCAPE_DEFAULT) != LT_OK)
    {
        return NULL;
    }

    return fmt[i];
}


static char *
lt_http_log_merge_loc_conf(lt_conf_t *cf, void *parent, void *child)
{
    lt_http_log_loc_conf_t  *prev = parent;
    lt_http_log_loc_conf_t  *conf = child;
    lt_http_log_t           *log;
    lt_str_t                 combined = lt_string("combined");

    lt_conf_merge_ptr_value(conf->cache, prev->cache, NULL);

    if (conf->logs || conf->off) {
        return LT_CONF_OK;
    }

    conf->logs = prev->logs;
    conf->off = prev->off;

    if (conf->logs || conf->off) {
        return LT_CONF_OK;
    }

    /* nothing on any level: access_log logs/access.log combined */

    conf->logs = lt_array_create(cf->pool, 1, sizeof(lt_http_log_t));
    if (conf->logs == NULL) {
        return LT_CONF_ERROR;
    }

    log = lt_array_push(conf->logs);
    if (log == NULL) {
        return LT_CONF_ERROR;
    }

    lt_memzero(log, sizeof(lt_http_log_t));

    log->file = lt_conf_open_file(cf->cycle, &lt_http_log_default_path);
    log->format = lt_http_log_find_format(cf, &combined);

    if (log->file == NULL || log->format == NULL) {
        return LT_CONF_ERROR;
    }

    return LT_CONF_OK;
}


/* lt_http_log_set_buffer: buffer=/flush=/gzip for log->file, shared by every
 * access_log of that file, which must agree */
static char *
lt_http_log_set_buffer(lt_conf_t *cf, lt_http_log_t *log, lt_str_t *path, size_t size,
    uint64_t flush, int gzip)
{
    lt_http_log_buf_t  *buffer;

    if (log->path) {
        lt_conf_log_error(LT_LOG_EMERG, cf, 0, "buffered logs cannot have variables in name");
        return LT_CONF_ERROR;
    }

    buffer = log->file->data;

    if (buffer) {
        if ((size_t) (buffer->last - buffer->start) != size || buffer->flush != flush
            || buffer->gzip != gzip)
        {
            lt_conf_log_error(LT_LOG_EMERG, cf, 0, "access_log \"%.*s\" already defined "
                              "with conflicting parameters", (int) path->len, path->data);
            return LT_CONF_ERROR;
        }

        return LT_CONF_OK;
    }

    buffer = lt_pcalloc(cf->pool, sizeof(lt_http_log_buf_t));
    if (buffer == NULL) {
        return LT_CONF_ERROR;
    }

    buffer->start = lt_pnalloc(cf->pool, size);
    if (buffer->start == NULL) {
        return LT_CONF_ERROR;
    }

    buffer->pos = buffer->start;
    buffer->last = buffer->start + size;
    buffer->flush = flush;
    buffer->gzip = gzip;

    if (flush) {
        buffer->event = lt_pcalloc(cf->pool, sizeof(lt_event_t));
        if (buffer->event == NULL) {
            return LT_CONF_ERROR;
        }

        buffer->event->data = log->file;
        buffer->event->handler = lt_http_log_flush_handler;
        buffer->event->cancelable = 1;   /* the exit hook writes the rest */
    }

    log->file->data = buffer;
    log->file->flush = lt_http_log_flush;

    return LT_CONF_OK;
}


/* lt_http_log_set_path: the file of an access_log: shared open file, or a
 * per-request path when it has variables */
static int
lt_http_log_set_path(lt_conf_t *cf, lt_http_log_t *log, lt_str_t *value)
{
    lt_str_t                          path;
    lt_http_compile_complex_value_t   ccv;

    if (lt_http_script_variables_count(value) == 0) {
        log->file = lt_conf_open_file(cf->cycle, value);
        return log->file ? LT_OK : LT_ERROR;
    }

    path = *value;

    if (lt_conf_full_name(cf->cycle, &path, 0) != LT_OK) {
        return LT_ERROR;
    }

    log->fixed = (u_char *) memchr(path.data, '$', path.len) - path.data;

    log->path = lt_palloc(cf->pool, sizeof(lt_http_complex_value_t));
    if (log->path == NULL) {
        return LT_ERROR;
    }

    lt_memzero(&ccv, sizeof(lt_http_compile_complex_value_t));
    ccv.cf = cf;
    ccv.value = &path;
    ccv.complex_value = log->path;
    ccv.zero = 1;

    return lt_http_compile_complex_value(&ccv);
}


/* lt_http_log_parse_gzip: "gzip" or "gzip=level": the level, or 0 when invalid */
static int
lt_http_log_parse_gzip(lt_conf_t *cf, lt_str_t *value)
{
#if (LT_HAVE_ZLIB)
    int64_t  level;

    if (value->len == 4) {
        return 1;       /* Z_BEST_SPEED */
    }

    level = lt_atoi(value->data + 5, value->len - 5);

    if (level < 1 || level > 9) {
        lt_conf_log_error(LT_LOG_EMERG, cf, 0, "invalid compression level \"%.*s\"",
                          (int) value->len, value->data);
        return 0;
    }

    return (int) level;
#else
    lt_conf_log_error(LT_LOG_EMERG, cf, 0, "\"gzip\" in \"access_log\" is not supported: "
                      "lintel was built without zlib (it comes with the http_gzip module)");
    return 0;
#endif
}


/* lt_http_log_set_params: buffer=, flush=, gzip[=level], if= of args [3, nelts) */
static char *
lt_http_log_set_params(lt_conf_t *cf, lt_http_log_t *log, lt_str_t *value, size_t nelts)
{
    int                               gzip;
    size_t                            i;
    int64_t                           size, flush;
    lt_str_t                          s;
    lt_http_compile_complex_value_t   ccv;

    size = 0;
    flush = 0;
    gzip = 0;

    for (i = 3; i < nelts; i++) {

        if (lt_strncmp(value[i].data, "buffer=", 7) == 0) {
            s.data = value[i].data + 7;
            s.len = value[i].len - 7;

            size = lt_parse_size(&s);
            if (size == LT_ERROR || size == 0) {
                lt_conf_log_error(LT_LOG_EMERG, cf, 0, "invalid buffer size \"%.*s\"",
                                  (int) s.len, s.data);
                return LT_CONF_ERROR;
            }

            continue;
        }

        if (lt_strncmp(value[i].data, "flush=", 6) == 0) {
            s.data = value[i].data + 6;
            s.len = value[i].len - 6;

            flush = lt_parse_time(&s, 0);
            if (flush == LT_ERROR || flush == 0) {
                lt_conf_log_error(LT_LOG_EMERG, cf, 0, "invalid flush time \"%.*s\"",
                                  (int) s.len, s.data);
                return LT_CONF_ERROR;
            }

            continue;
        }

        if (lt_strncmp(value[i].data, "gzip", 4) == 0
            && (value[i].len == 4 || value[i].data[4] == '='))
        {
            gzip = lt_http_log_parse_gzip(cf, &value[i]);
            if (gzip == 0) {
                return LT_CONF_ERROR;
            }

            continue;
        }

        if (lt_strncmp(value[i].data, "if=", 3) == 0) {
            s.data = value[i].data + 3;
            s.len = value[i].len - 3;

            log->filter = lt_palloc(cf->pool, sizeof(lt_http_complex_value_t));
            if (log->filter == NULL) {
                return LT_CONF_ERROR;
            }

            lt_memzero(&ccv, sizeof(lt_http_compile_complex_value_t));
            ccv.cf = cf;
            ccv.value = &s;
            ccv.complex_value = log->filter;

            if (lt_http_compile_complex_value(&ccv) != LT_OK) {
                return LT_CONF_ERROR;
            }

            continue;
        }

        lt_conf_log_error(LT_LOG_EMERG, cf, 0, "invalid parameter \"%.*s\"",
                          (int) value[i].len, value[i].data);
        return LT_CONF_ERROR;
    }

    /* gzip buffers: 64k unless buffer= says otherwise */
    if (gzip && size == 0) {
        size = LT_HTTP_LOG_GZIP_BUFFER;
    }

    if (flush && size == 0) {
        lt_conf_log_error(LT_LOG_EMERG, cf, 0, "no buffer is defined for access_log \"%.*s\"",
                          (int) value[1].len, value[1].data);
        return LT_CONF_ERROR;
    }

    if (size == 0) {
        return LT_CONF_OK;
    }

    return lt_http_log_set_buffer(cf, log, &value[1], (size_t) size, (uint64_t) flush, gzip);
}


/* access_log path [format [buffer=size] [gzip[=level]] [flush=time] [if=cond]] | off */
static char *
lt_http_log_set_log(lt_conf_t *cf, lt_command_t *cmd, void *conf)
{
    lt_http_log_loc_conf_t  *lcf = conf;
    lt_str_t                *value, name;
    lt_http_log_t           *log;

    value = cf->args->elts;

    if (lt_str_eq(&value[1], "off")) {
        lcf->off = 1;

        if (cf->args->nelts == 2) {
            return LT_CONF_OK;
        }

        lt_conf_log_error(LT_LOG_EMERG, cf, 0, "invalid parameter \"%.*s\"",
                          (int) value[2].len, value[2].data);
        return LT_CONF_ERROR;
    }

    if (lt_strncmp(value[1].data, "syslog:", 7) == 0) {
        lt_conf_log_error(LT_LOG_EMERG, cf, 0, "syslog logging is not supported yet");
        return LT_CONF_ERROR;
    }

    if (value[1].len == 0) {
        lt_conf_log_error(LT_LOG_EMERG, cf, 0, "invalid path \"\" in \"access_log\" "
                          "directive");
        return LT_CONF_ERROR;
    }

    if (lcf->logs == NULL) {
        lcf->logs = lt_array_create(cf->pool, 2, sizeof(lt_http_log_t));
        if (lcf->logs == NULL) {
            return LT_CONF_ERROR;
        }
    }

    log = lt_array_push(lcf->logs);
    if (log == NULL) {
        return LT_CONF_ERROR;
    }

    lt_memzero(log, sizeof(lt_http_log_t));

    if (lt_http_log_set_path(cf, log, &value[1]) != LT_OK) {
        return LT_CONF_ERROR;
    }

    if (cf->args->nelts >= 3) {
        name = value[2];

    } else {
        lt_str_set(&name, "combined");
    }

    log->format = lt_http_log_find_format(cf, &name);

    if (log->format == NULL) {
        lt_conf_log_error(LT_LOG_EMERG, cf, 0, "unknown log format \"%.*s\"",
                          (int) name.len, name.data);
        return LT_CONF_ERROR;
    }

    return lt_http_log_set_params(cf, log, value, cf->args->nelts);
}


/* log_format name [escape=default|json|none] string ... */
static char *
lt_http_log_set_format(lt_conf_t *cf, lt_command_t *cmd, void *conf)
{
    lt_http_log_main_conf_t  *lmcf = conf;
    size_t                    i, s;
    unsigned                  escape;
    lt_str_t                 *value;
    lt_http_log_fmt_t        *fmt, **fmtp;

    value = cf->args->elts;

    fmtp = lmcf->formats.elts;

    for (i = 0; i < lmcf->formats.nelts; i++) {
        if (fmtp[i]->name.len == value[1].len
            && memcmp(fmtp[i]->name.data, value[1].data, value[1].len) == 0)
        {
            lt_conf_log_error(LT_LOG_EMERG, cf, 0, "duplicate \"log_format\" name \"%.*s\"",
                              (int) value[1].len, value[1].data);
            return LT_CONF_ERROR;
        }
    }

    escape = LT_HTTP_LOG_ESCAPE_DEFAULT;
    s = 2;

    if (cf->args->nelts > 2 && lt_strncmp(value[2].data, "escape=", 7) == 0) {
        s = 3;

        if (lt_strcmp(value[2].data + 7, "default") == 0) {
            escape = LT_HTTP_LOG_ESCAPE_DEFAULT;

        } else if (lt_strcmp(value[2].data + 7, "json") == 0) {
            escape = LT_HTTP_LOG_ESCAPE_JSON;

        } else if (lt_strcmp(value[2].data + 7, "none") == 0) {
            escape = LT_HTTP_LOG_ESCAPE_NONE;

        } else {
            lt_conf_log_error(LT_LOG_EMERG, cf, 0, "unknown log format escaping \"%s\"",
                              value[2].data + 7);
            return LT_CONF_ERROR;
        }
    }

    fmt = lt_pcalloc(cf->pool, sizeof(lt_http_log_fmt_t));
    if (fmt == NULL) {
        return LT_CONF_ERROR;
    }

    fmt->name = value[1];

    if (lt_http_log_compile_format(cf, fmt, &value[s], cf->args->nelts - s, escape)
        != LT_OK)
    {
        return LT_CONF_ERROR;
    }

    fmtp = lt_array_push(&lmcf->formats);
    if (fmtp == NULL) {
        return LT_CONF_ERROR;
    }

    *fmtp = fmt;

    return LT_CONF_OK;
}


/* open_log_file_cache max=N [inactive=time] [min_uses=N] [valid=time] | off */
static char *
lt_http_log_open_file_cache(lt_conf_t *cf, lt_command_t *cmd, void *conf)
{
    lt_http_log_loc_conf_t  *lcf = conf;
    size_t                   i;
    int64_t                  max, min_uses, inactive, valid;
    lt_str_t                *value, s;

    if (lcf->cache != LT_CONF_UNSET_PTR) {
        return "is duplicate";
    }

    value = cf->args->elts;

    max = 0;
    inactive = 10;
    min_uses = 1;
    valid = 60;

    for (i = 1; i < cf->args->nelts; i++) {

        if (lt_strncmp(value[i].data, "max=", 4) == 0) {
            max = lt_atoi(value[i].data + 4, value[i].len - 4);
            if (max == LT_ERROR || max > UINT_MAX / 2) {
                goto invalid;
            }

            continue;
        }

        if (lt_strncmp(value[i].data, "inactive=", 9) == 0) {
            s.data = value[i].data + 9;
            s.len = value[i].len - 9;

            inactive = lt_parse_time(&s, 1);
            if (inactive == LT_ERROR) {
                goto invalid;
            }

            continue;
        }

        if (lt_strncmp(value[i].data, "min_uses=", 9) == 0) {
            min_uses = lt_atoi(value[i].data + 9, value[i].len - 9);
            if (min_uses == LT_ERROR || min_uses > UINT_MAX) {
                goto invalid;
            }

            continue;
        }

        if (lt_strncmp(value[i].data, "valid=", 6) == 0) {
            s.data = value[i].data + 6;
            s.len = value[i].len - 6;

            valid = lt_parse_time(&s, 1);
            if (valid == LT_ERROR) {
                goto invalid;
            }

            continue;
        }

        if (lt_str_eq(&value[i], "off") && cf->args->nelts == 2) {
            lcf->cache = NULL;
            return LT_CONF_OK;
        }

        goto invalid;
    }

    if (max == 0) {
        lt_conf_log_error(LT_LOG_EMERG, cf, 0, "\"open_log_file_cache\" must have "
                          "\"max\" parameter");
        return LT_CONF_ERROR;
    }

    lcf->cache = lt_pcalloc(cf->pool, sizeof(lt_http_log_cache_t));
    if (lcf->cache == NULL) {
        return LT_CONF_ERROR;
    }

    lcf->cache->max = (unsigned) max;
    lcf->cache->min_uses = (unsigned) min_uses;
    lcf->cache->inactive = (time_t) inactive;
    lcf->cache->valid = (time_t) valid;

    return LT_CONF_OK;

invalid:

    lt_conf_log_error(LT_LOG_EMERG, cf, 0, "invalid \"open_log_file_cache\" parameter "
                      "\"%.*s\"", (int) value[i].len, value[i].data);

    return LT_CONF_ERROR;
}


static int
lt_http_log_init(lt_conf_t *cf)
{
    return lt_http_add_phase_handler(cf, LT_HTTP_LOG_PHASE, lt_http_log_handler);
}
