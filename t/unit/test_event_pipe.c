/*
 * test_event_pipe.c: the buffered upstream relay (core/lt_event_pipe.c) without
 * servers. The upstream is one end of a socketpair() that the test writes the
 * response into (an epoll edge is simulated by setting read.ready, and
 * pending_eof once the test has shut its end); the consumer is a fake output
 * filter that keeps links of its own to what it is given, "sends" at most a
 * budget of bytes per call (memory copied out at send time, file ranges read
 * with pread() at send time, so that a buffer reused or a file range rewritten
 * too early shows as wrong bytes) and, while it holds data, leaves the write
 * event not ready and returns LT_AGAIN, as lt_http_write_filter does.
 *
 * Cases: a body that fits, recycling of raw buffers, spooling to a temp file,
 * max_temp_file_size limits and 0, lengths (exact, short with EOF, extra bytes),
 * preread bytes (the header before them is never overwritten), an input filter
 * that makes several buffers per raw buffer and drops framing, read errors and
 * timeouts, client errors and send timeouts, limit_rate, and a loop over many
 * seeds with random buffer geometry, write sizes and consumer pauses. Every run
 * checks: the bytes delivered are the bytes sent, in order; memory buffers point
 * into the pipe's raw buffers (no copies); the consumer never holds raw buffers
 * over busy_size; no more than bufs.num raw buffers are made; the timers follow
 * the readiness.
 */

#include "lt_core.h"
#include "lt_event_pipe.h"
#include "tap.h"

#define LT_TEST_MAX_STEPS  200000

static lt_log_t   lt_test_log;
static lt_time_t  lt_test_now;
static char       lt_test_dir[] = "/tmp/lt-test-pipe-XXXXXX";
static lt_path_t  lt_test_path;
static char       lt_test_logbuf[16384];
static size_t     lt_test_loglen;
static unsigned   lt_test_alerts;
static uint64_t   lt_test_rnd;


static void
lt_test_log_writer(lt_log_t *log, unsigned level, u_char *buf, size_t len)
{
    (void) log;

    if (level <= LT_LOG_CRIT) {
        lt_test_alerts++;
    }

    if (lt_test_loglen + len < sizeof(lt_test_logbuf)) {
        memcpy(lt_test_logbuf + lt_test_loglen, buf, len);
        lt_test_loglen += len;
        lt_test_logbuf[lt_test_loglen] = '\0';
    }
}


static void
lt_test_log_reset(void)
{
    lt_test_loglen = 0;
    lt_test_logbuf[0] = '\0';
}


static uint64_t
lt_test_random(void)
{
    /* xorshift64* */
    lt_test_rnd ^= lt_test_rnd >> 12;
    lt_test_rnd ^= lt_test_rnd << 25;
    lt_test_rnd ^= lt_test_rnd >> 27;

    return lt_test_rnd * 2685821657736338717ULL;
}


/* lt_test_between: a random number in [lo, hi] */
static size_t
lt_test_between(size_t lo, size_t hi)
{
    return lo + (size_t) (lt_test_random() % (hi - lo + 1));
}


/* the test's state: one pipe, its two connections, the backend, the consumer */

typedef struct {
    lt_pool_t         *pool;
    lt_event_pipe_t   *p;
    lt_connection_t    up;
    lt_connection_t    down;
    int                sv[2];

    /* the backend: stream[0, preread_body) is preread, src = stream +
     * preread_body, src[0, src_len) goes to the socket */
    u_char            *stream;
    u_char            *src;
    size_t             src_len;
    size_t             src_sent;
    unsigned           closed:1;

    /* the preread buffer (like the upstream's header buffer) */
    lt_buf_t           preread;
    u_char            *preread_copy;      /* its header, to check it stays */
    size_t             preread_head;

    /* the consumer */
    lt_chain_t        *held;
    lt_chain_t       **held_last;
    u_char            *got;
    size_t             got_len;
    size_t             got_cap;
    size_t             budget;             /* bytes it may send in this call */
    size_t             mem_bytes;
    size_t             file_bytes;
    size_t             calls;
    size_t             max_held;           /* raw bytes behind held memory bufs */
    int                fail;               /* return LT_ERROR from the next call */
    unsigned           posted_pct;         /* chance it holds data with the write
                                              event ready and posted (a chunk limit) */
    unsigned           delayed_pct;        /* chance it delays the write event with a
                                              timer (the client's limit_rate) */
    unsigned           posted:1;           /* the write event is posted */
    unsigned           postpone:1;         /* small non-recycled data is held back
                                              with LT_OK, as postpone_output does */
    unsigned           bad;                /* a check on a given buffer failed */
    char               why[256];
} lt_test_t;


static void
lt_test_bad(lt_test_t *t, const char *why)
{
    if (!t->bad) {
        snprintf(t->why, sizeof(t->why), "%s", why);
    }

    t->bad = 1;
}


static void
lt_test_got(lt_test_t *t, size_t n)
{
    while (t->got_len + n > t->got_cap) {
        t->got_cap = t->got_cap ? 2 * t->got_cap : 4096;
        t->got = realloc(t->got, t->got_cap);
    }
}


/* lt_test_check_buf: a buffer the pipe gives the consumer */
static void
lt_test_check_buf(lt_test_t *t, lt_buf_t *b)
{
    lt_chain_t  *cl;

    for (cl = t->held; cl; cl = cl->next) {
        if (cl->buf == b) {
            lt_test_bad(t, "a buffer given twice");
        }
    }

    if (b->tag != t->p->tag) {
        lt_test_bad(t, "a buffer without the pipe's tag");
    }

    if (lt_buf_size(b) <= 0) {
        lt_test_bad(t, "an empty buffer");
    }

    if (lt_buf_in_memory(b)) {
        if (b->in_file || b->start > b->pos || b->pos > b->last || b->last > b->end) {
            lt_test_bad(t, "a memory buffer out of its bounds");
        }

        /* no copies: the bytes are in a raw buffer or in the preread buffer */
        if ((size_t) (b->end - b->start) != t->p->bufs.size
            && !(b->start == t->preread.start && b->end == t->preread.end))
        {
            lt_test_bad(t, "a memory buffer that is not a raw buffer");
        }

        return;
    }

    if (!b->in_file || b->file == NULL || b->file != t->p->temp_file
        || b->file_pos > b->file_last)
    {
        lt_test_bad(t, "a bad file buffer");
        return;
    }

    if (!t->p->cyclic_temp_file && b->file_last > t->p->temp_file->offset) {
        lt_test_bad(t, "a file range beyond what was written");
    }
}


/* lt_test_send: what the consumer holds goes out, within the budget */
static void
lt_test_send(lt_test_t *t)
{
    off_t        size, n;
    ssize_t      r;
    lt_buf_t    *b;
    lt_chain_t  *cl;

    while (t->held && t->budget) {
        cl = t->held;
        b = cl->buf;
        size = lt_buf_size(b);

        if (size > 0) {
            n = (uint64_t) size < (uint64_t) t->budget ? size : (off_t) t->budget;
            lt_test_got(t, (size_t) n);

            if (lt_buf_in_memory(b)) {
                memcpy(t->got + t->got_len, b->pos, (size_t) n);
                b->pos += n;
                t->mem_bytes += n;

            } else {
                r = pread(b->file->fd, t->got + t->got_len, (size_t) n, b->file_pos);

                if (r != n) {
                    lt_test_bad(t, "pread() of a file range failed");
                    return;
                }

                b->file_pos += n;
                t->file_bytes += n;
            }

            t->got_len += n;
            t->budget -= n;
            size -= n;
        }

        if (size == 0) {
            t->held = cl->next;

            if (t->held == NULL) {
                t->held_last = &t->held;
            }

            free(cl);
        }
    }
}


/* lt_test_held_raw: the raw bytes behind the memory buffers the consumer holds */
static size_t
lt_test_held_raw(lt_test_t *t)
{
    size_t       n;
    u_char      *prev;
    lt_chain_t  *cl;

    n = 0;
    prev = NULL;

    for (cl = t->held; cl; cl = cl->next) {
        if (lt_buf_in_memory(cl->buf) && cl->buf->start != prev
            && cl->buf->start != t->preread.start)
        {
            n += cl->buf->end - cl->buf->start;
            prev = cl->buf->start;
        }
    }

    return n;
}


static int
lt_test_output_filter(void *data, lt_chain_t *in)
{
    size_t       held;
    lt_chain_t  *cl;
    lt_test_t   *t = data;

    t->calls++;

    if (t->fail) {
        t->fail = 0;
        t->down.write.ready = 0;
        return LT_ERROR;
    }

    for ( /* void */ ; in; in = in->next) {
        lt_test_check_buf(t, in->buf);

        cl = malloc(sizeof(lt_chain_t));
        cl->buf = in->buf;
        cl->next = NULL;
        *t->held_last = cl;
        t->held_last = &cl->next;
    }

    if (!t->p->upstream_done && !t->p->upstream_eof && !t->p->upstream_error) {
        held = lt_test_held_raw(t);

        if (held > t->max_held) {
            t->max_held = held;
        }
    }

    if (t->down.write.delayed) {
        /* the write filter sends nothing during a limit_rate pause */
        return LT_AGAIN;
    }

    if (t->postpone && in && !t->p->downstream_done) {
        off_t     size = 0;
        unsigned  recycled = 0;

        for (cl = t->held; cl; cl = cl->next) {
            size += lt_buf_size(cl->buf);
            recycled |= cl->buf->recycled;
        }

        if (!recycled && size < 100) {
            /* lt_http_write_filter: "hold small pieces back" (file ranges are
             * not recycled, so they do not force a flush) */
            return LT_OK;
        }
    }

    lt_test_send(t);

    if (t->delayed_pct && !t->down.write.delayed
        && lt_test_random() % 100 < t->delayed_pct)
    {
        /* as lt_http_write_filter after a write over the rate */
        t->down.write.delayed = 1;
        lt_event_add_timer(&t->down.write, 100);
    }

    if (t->held == NULL) {
        return LT_OK;
    }

    if (!t->down.write.delayed && t->posted_pct && lt_test_random() % 100 < t->posted_pct) {
        /* as lt_http_write_filter stopped by a chunk limit: still ready */
        t->posted = 1;
        return LT_AGAIN;
    }

    if (!t->down.write.delayed) {
        t->down.write.ready = 0;
    }

    return LT_AGAIN;
}


/* setup and teardown */

typedef struct {
    size_t      num;
    size_t      size;
    ssize_t     busy_size;          /* 0: num * size / 2, at least size */
    off_t       max_temp;
    ssize_t     write_size;         /* 0: 2 * size */
    off_t       length;             /* -1: unknown */
    size_t      preread_cap;        /* 0: no preread buffer */
    size_t      preread_head;
    size_t      preread_body;
    unsigned    cyclic:1;
    unsigned    no_temp_path:1;
    uint64_t    read_timeout;
    uint64_t    send_timeout;
    size_t      limit_rate;
    lt_event_pipe_input_filter_pt  input_filter;
} lt_test_conf_t;


static void
lt_test_fill(u_char *buf, size_t len, uint64_t seed)
{
    size_t  i;

    for (i = 0; i < len; i++) {
        seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
        buf[i] = (u_char) (seed >> 56);
    }
}


static lt_test_t *
lt_test_new(lt_test_conf_t *conf, size_t src_len, uint64_t seed)
{
    lt_event_pipe_t  *p;
    lt_test_t        *t;

    t = calloc(1, sizeof(lt_test_t));
    t->held_last = &t->held;

    if (socketpair(AF_UNIX, SOCK_STREAM, 0, t->sv) == -1) {
        printf("Bail out! socketpair() failed\n");
        exit(255);
    }

    (void) lt_nonblocking(t->sv[0]);
    (void) lt_nonblocking(t->sv[1]);

    t->pool = lt_create_pool(4096, &lt_test_log);

    t->src_len = src_len;
    t->stream = malloc(src_len + conf->preread_body + 1);
    lt_test_fill(t->stream, src_len + conf->preread_body, seed);
    t->src = t->stream + conf->preread_body;

    t->up.fd = t->sv[0];
    t->up.io = &lt_os_io;
    t->up.log = &lt_test_log;
    t->up.read.data = &t->up;
    t->up.write.data = &t->up;
    t->up.write.write = 1;
    t->up.log_error = LT_ERROR_ERR;

    t->down.fd = t->sv[1];          /* never used for I/O: the consumer is fake */
    t->down.io = &lt_os_io;
    t->down.log = &lt_test_log;
    t->down.read.data = &t->down;
    t->down.write.data = &t->down;
    t->down.write.write = 1;
    t->down.write.ready = 1;
    t->down.log_error = LT_ERROR_INFO;

    p = lt_pcalloc(t->pool, sizeof(lt_event_pipe_t));
    t->p = p;

    p->upstream = &t->up;
    p->downstream = &t->down;
    p->output_filter = lt_test_output_filter;
    p->output_ctx = t;
    p->input_filter = conf->input_filter;
    p->input_ctx = t;
    p->tag = (lt_buf_tag_t) &lt_test_output_filter;
    p->bufs.num = conf->num;
    p->bufs.size = conf->size;
    p->busy_size = conf->busy_size ? conf->busy_size
                   : (ssize_t) lt_max(conf->size, conf->num * conf->size / 2);
    p->max_temp_file_size = conf->max_temp;
    p->temp_file_write_size = conf->write_size ? conf->write_size
                                               : (ssize_t) (2 * conf->size);
    p->temp_path = conf->no_temp_path ? NULL : &lt_test_path;
    p->temp_file_warn = "an upstream response is buffered to a temporary file";
    p->cyclic_temp_file = conf->cyclic;
    p->read_timeout = conf->read_timeout;
    p->send_timeout = conf->send_timeout;
    p->limit_rate = conf->limit_rate;
    p->length = conf->length;
    p->pool = t->pool;
    p->log = &lt_test_log;
    p->start_sec = lt_time();
    p->single_buf = 1;

    if (conf->preread_cap) {
        /* the upstream's header buffer: a header, then the first body bytes */
        t->preread.start = lt_palloc(t->pool, conf->preread_cap);
        t->preread.end = t->preread.start + conf->preread_cap;
        t->preread.pos = t->preread.start + conf->preread_head;
        t->preread.last = t->preread.pos + conf->preread_body;
        t->preread.temporary = 1;
        t->preread.recycled = 1;
        memset(t->preread.start, 'H', conf->preread_head);
        memcpy(t->preread.pos, t->stream, conf->preread_body);
        t->preread_head = conf->preread_head;

        p->preread_bufs = lt_alloc_chain_link(t->pool);
        p->preread_bufs->buf = &t->preread;
        p->preread_bufs->next = NULL;
        p->preread_size = conf->preread_body;
    }

    return t;
}


static void
lt_test_free(lt_test_t *t)
{
    lt_chain_t  *cl, *next;

    if (t->up.read.timer_set) {
        lt_event_del_timer(&t->up.read);
    }

    if (t->down.write.timer_set) {
        lt_event_del_timer(&t->down.write);
    }

    for (cl = t->held; cl; cl = next) {
        next = cl->next;
        free(cl);
    }

    close(t->sv[0]);

    if (t->sv[1] != -1) {
        close(t->sv[1]);
    }

    lt_destroy_pool(t->pool);
    free(t->stream);
    free(t->preread_copy);
    free(t->got);
    free(t);
}


/* driving */

/* lt_test_pipe: the pipe called as an event handler would (the http layer
 * clears a limit_rate pause that ended before calling it) */
static int
lt_test_pipe(lt_test_t *t, int do_write)
{
    int          rc;
    lt_event_t  *ev;

    ev = do_write ? &t->down.write : &t->up.read;

    if (ev->delayed && ev->timedout) {
        ev->delayed = 0;
        ev->timedout = 0;
    }

    rc = lt_event_pipe(t->p, do_write);

    if (rc != LT_OK) {
        lt_test_bad(t, "lt_event_pipe() failed");
        return rc;
    }

    /* timers follow readiness */

    if (t->p->read_timeout && !t->up.read.delayed) {
        int finished = t->p->upstream_done || t->p->upstream_eof || t->p->upstream_error;

        if (!t->up.read.ready && !finished && !t->up.read.timer_set) {
            lt_test_bad(t, "no read timer while waiting for the upstream");
        }

        if ((t->up.read.ready || finished) && t->up.read.timer_set) {
            lt_test_bad(t, "a read timer while not waiting for the upstream");
        }
    }

    if (t->p->send_timeout && !t->down.write.delayed && !t->p->downstream_error) {
        if (!t->down.write.ready && !t->down.write.timer_set) {
            lt_test_bad(t, "no send timer while the client is not ready");
        }

        if (t->down.write.ready && t->down.write.timer_set) {
            lt_test_bad(t, "a send timer while the client is ready");
        }
    }

    if (t->p->allocated > t->p->bufs.num) {
        lt_test_bad(t, "more raw buffers than bufs.num");
    }

    if (t->preread_copy == NULL && t->preread_head) {
        t->preread_copy = malloc(t->preread_head);
        memset(t->preread_copy, 'H', t->preread_head);
    }

    if (t->preread_head && memcmp(t->preread.start, t->preread_copy, t->preread_head) != 0) {
        lt_test_bad(t, "the header before the preread bytes was overwritten");
    }

    return rc;
}


/* lt_test_backend_write: up to n more bytes into the socket; an edge */
static size_t
lt_test_backend_write(lt_test_t *t, size_t n)
{
    ssize_t  w;

    if (n > t->src_len - t->src_sent) {
        n = t->src_len - t->src_sent;
    }

    if (n == 0) {
        return 0;
    }

    w = write(t->sv[1], t->src + t->src_sent, n);

    if (w <= 0) {
        return 0;
    }

    t->src_sent += (size_t) w;
    t->up.read.ready = 1;

    (void) lt_test_pipe(t, 0);

    return (size_t) w;
}


/* lt_test_backend_close: the backend closes its end (EPOLLIN|EPOLLRDHUP) */
static void
lt_test_backend_close(lt_test_t *t)
{
    if (t->closed) {
        return;
    }

    (void) shutdown(t->sv[1], SHUT_WR);
    t->closed = 1;
    t->up.read.ready = 1;
    t->up.read.pending_eof = 1;

    (void) lt_test_pipe(t, 0);
}


/* lt_test_client: the client's socket became writable: the consumer may send
 * `budget` bytes in this call */
static void
lt_test_client(lt_test_t *t, size_t budget)
{
    t->budget = budget;
    t->down.write.ready = 1;

    (void) lt_test_pipe(t, 1);

    t->budget = 0;
}


/* lt_test_flush_rest: after downstream_done the http layer sends what the
 * consumer holds: it is sent whole here */
static void
lt_test_flush_rest(lt_test_t *t)
{
    t->budget = (size_t) -1;
    lt_test_send(t);
    t->budget = 0;

    if (t->down.write.timer_set) {
        lt_event_del_timer(&t->down.write);
    }

    t->down.write.delayed = 0;
}


static int
lt_test_finished(lt_test_t *t)
{
    return t->p->upstream_done || t->p->upstream_eof || t->p->upstream_error;
}


/* the expected bytes: the stream, cut at the pipe's length */
static int
lt_test_same(lt_test_t *t, const u_char *expected, size_t len)
{
    size_t  i;

    if (t->got_len != len) {
        diag("delivered %zu bytes, expected %zu", t->got_len, len);
    }

    for (i = 0; i < lt_min(len, t->got_len); i++) {
        if (t->got[i] != expected[i]) {
            diag("first difference at byte %zu", i);
            return 0;
        }
    }

    return t->got_len == len;
}


/* the random run */

typedef struct {
    size_t     max_write;
    size_t     max_budget;
    unsigned   pause_pct;       /* chance the client is not writable in a step */
    unsigned   posted_pct;
    unsigned   delayed_pct;
    unsigned   close:1;         /* the backend closes after the body */
} lt_test_run_t;


/* lt_test_run: the backend writes random pieces, the client takes random pieces
 * at random times, until the pipe has handed everything over; 0 on a stall */
static int
lt_test_run(lt_test_t *t, lt_test_run_t *run)
{
    size_t  step, idle;

    idle = 0;

    for (step = 0; step < LT_TEST_MAX_STEPS && !t->bad; step++) {

        if (t->p->downstream_done || t->p->downstream_error) {
            lt_test_flush_rest(t);
            return 1;
        }

        if (t->posted) {
            /* the posted write event runs in this loop iteration */
            t->posted = 0;
            lt_test_client(t, lt_test_between(0, run->max_budget));
            idle = 0;
            continue;
        }

        if (t->down.write.delayed && t->down.write.timer_set && lt_test_random() % 2) {
            /* the client's limit_rate pause ends */
            lt_event_del_timer(&t->down.write);
            t->down.write.timedout = 1;
            lt_test_client(t, lt_test_between(0, run->max_budget));
            idle = 0;
            continue;
        }

        if (t->src_sent < t->src_len && lt_test_random() % 3) {
            if (lt_test_backend_write(t, lt_test_between(1, run->max_write)) == 0) {
                /* the socket is full: only the client can unblock it */
                if (t->held == NULL && t->p->upstream_blocked && t->down.write.ready
                    && !t->down.write.delayed)
                {
                    lt_test_bad(t, "blocked with a ready client");
                }
            }

            idle = 0;
            continue;
        }

        if (t->src_sent == t->src_len && run->close && !t->closed) {
            lt_test_backend_close(t);
            continue;
        }

        if (t->held && !t->down.write.ready && lt_test_random() % 100 >= run->pause_pct) {
            lt_test_client(t, lt_test_between(1, run->max_budget));
            idle = 0;
            continue;
        }

        if (t->src_sent == t->src_len && (t->closed || !run->close) && t->held == NULL
            && !t->down.write.delayed)
        {
            /* nothing will happen any more: the pipe must be done */
            if (++idle > 3) {
                snprintf(t->why, sizeof(t->why),
                         "stalled: read %lld, delivered %zu, flags done:%u eof:%u "
                         "blocked:%u ready:%u", (long long) t->p->read_length, t->got_len,
                         t->p->upstream_done, t->p->upstream_eof, t->p->upstream_blocked,
                         t->up.read.ready);
                return 0;
            }
        }
    }

    if (!t->bad) {
        snprintf(t->why, sizeof(t->why), "too many steps");
    }

    return 0;
}


/* input filters */

/* lt_test_framed_filter: records "<n><n bytes>", the end is a 0 length; the
 * payloads go on, the length bytes are dropped: several buffers per raw
 * buffer, raw buffers with framing only, p->length kept at what is needed */
typedef struct {
    size_t  left;           /* payload bytes of the current record */
} lt_test_framed_t;

static lt_test_framed_t  lt_test_framed_state;


static int
lt_test_framed_filter(lt_event_pipe_t *p, lt_buf_t *buf)
{
    size_t     n;
    u_char    *pos, *start;
    unsigned   added;

    pos = buf->pos;
    added = 0;

    while (pos < buf->last && !p->upstream_done) {
        if (lt_test_framed_state.left == 0) {
            if (*pos == 0) {
                p->upstream_done = 1;
                break;
            }

            lt_test_framed_state.left = *pos++;
            continue;
        }

        start = pos;
        n = lt_min(lt_test_framed_state.left, (size_t) (buf->last - pos));
        pos += n;
        lt_test_framed_state.left -= n;

        if (lt_event_pipe_add_data(p, buf, start, pos) == NULL) {
            return LT_ERROR;
        }

        added = 1;
    }

    if (!added && lt_event_pipe_add_free_buf(p, buf) != LT_OK) {
        return LT_ERROR;
    }

    if (!p->upstream_done) {
        p->length = lt_test_framed_state.left ? (off_t) lt_test_framed_state.left : 1;
    }

    return LT_OK;
}


/* lt_test_frame: src[0, len) as records of random sizes, into out; returns the
 * framed length; payload gets the payload bytes */
static size_t
lt_test_frame(const u_char *src, size_t len, u_char *out, u_char *payload, size_t *plen)
{
    size_t  i, n, o;

    o = 0;
    *plen = 0;

    for (i = 0; i < len; i += n) {
        n = lt_test_between(1, 255);
        n = lt_min(len - i, n);
        out[o++] = (u_char) n;
        memcpy(out + o, src + i, n);
        memcpy(payload + *plen, src + i, n);
        o += n;
        *plen += n;
    }

    out[o++] = 0;

    return o;
}


static int
lt_test_failing_filter(lt_event_pipe_t *p, lt_buf_t *buf)
{
    return LT_ERROR;
}


/* the cases */

static void
lt_test_fits(void)
{
    lt_test_t      *t;
    lt_test_conf_t  conf = { .num = 4, .size = 16, .max_temp = 1024, .length = -1 };

    t = lt_test_new(&conf, 40, 1);

    t->budget = (size_t) -1;
    lt_test_backend_write(t, 40);
    ok(!t->bad && t->got_len == 32 && t->p->read_length == 40,
       "40 bytes in 16-byte buffers: the two full ones go out at once (%zu)", t->got_len);
    ok(!t->up.read.ready && !lt_test_finished(t), "the socket is drained, not finished");

    lt_test_backend_close(t);
    ok(t->p->upstream_eof && !t->p->upstream_error && t->p->downstream_done,
       "eof: the partial buffer handed over, downstream_done");
    lt_test_flush_rest(t);
    ok(lt_test_same(t, t->stream, 40), "the bytes are the bytes sent");
    ok(t->p->temp_file == NULL && t->file_bytes == 0, "no temp file");
    ok(t->p->allocated <= 3, "%zu raw buffers made for 40 bytes", t->p->allocated);

    lt_test_free(t);

    /* an empty body */
    t = lt_test_new(&conf, 0, 2);
    lt_test_backend_close(t);
    ok(!t->bad && t->p->upstream_eof && t->p->downstream_done && t->got_len == 0
       && t->calls == 0, "an empty body: eof, done, nothing given to the consumer");
    lt_test_free(t);
}


static void
lt_test_recycle(void)
{
    size_t          i;
    lt_test_t      *t;
    lt_test_conf_t  conf = { .num = 4, .size = 16, .max_temp = 0, .length = -1 };

    /* a fast client: raw buffers are reused, nothing is spooled */
    t = lt_test_new(&conf, 1000, 3);

    for (i = 0; i < 1000; i += 7) {
        t->budget = (size_t) -1;
        lt_test_backend_write(t, 7);
    }

    lt_test_backend_close(t);
    lt_test_flush_rest(t);

    ok(!t->bad && lt_test_same(t, t->stream, 1000), "1000 bytes through 4 x 16 bytes: %s",
       t->why);
    ok(t->p->allocated <= 4 && t->p->temp_file == NULL, "%zu raw buffers, no temp file",
       t->p->allocated);
    ok(t->mem_bytes == 1000, "all from memory");

    lt_test_free(t);
}


static void
lt_test_spool(void)
{
    lt_test_t      *t;
    lt_test_conf_t  conf = { .num = 4, .size = 16, .max_temp = 1 << 20, .write_size = 32,
                             .length = -1 };

    /* the client takes nothing until the upstream is done: it all goes to disk */
    t = lt_test_new(&conf, 1000, 4);
    lt_test_log_reset();

    t->budget = 0;
    t->down.write.ready = 0;

    while (t->src_sent < t->src_len) {
        if (lt_test_backend_write(t, 100) == 0) {
            break;
        }
    }

    ok(!t->bad && t->p->read_length == 1000, "a stalled client: all 1000 bytes read (%lld)",
       (long long) t->p->read_length);
    ok(t->p->temp_file && t->p->temp_file->offset >= 1000 - 64,
       "spooled to a temp file (%lld bytes)",
       (long long) (t->p->temp_file ? t->p->temp_file->offset : -1));
    ok(strstr(lt_test_logbuf, "[warn]") && strstr(lt_test_logbuf, "an upstream response is "
       "buffered to a temporary file") && strstr(lt_test_logbuf, lt_test_dir),
       "the warning names the file");

    lt_test_backend_close(t);
    ok(t->p->downstream_done, "eof: handed over");

    lt_test_client(t, 200);
    lt_test_flush_rest(t);

    ok(!t->bad && lt_test_same(t, t->stream, 1000), "the bytes are the bytes sent: %s", t->why);
    ok(t->file_bytes >= 1000 - 64 && t->file_bytes + t->mem_bytes == 1000,
       "file ranges first (%zu from the file, %zu from memory)", t->file_bytes,
       t->mem_bytes);

    lt_test_free(t);

    /* a slow client: some sent from memory, some spooled, order kept */
    t = lt_test_new(&conf, 3000, 5);

    while (t->src_sent < t->src_len) {
        lt_test_backend_write(t, 50);

        if (t->held) {
            lt_test_client(t, 10);
        }
    }

    lt_test_backend_close(t);
    lt_test_flush_rest(t);

    ok(!t->bad && lt_test_same(t, t->stream, 3000), "a slow client: bytes in order: %s", t->why);
    ok(t->file_bytes > 0 && t->mem_bytes > 0, "both from the file (%zu) and memory (%zu)",
       t->file_bytes, t->mem_bytes);

    lt_test_free(t);
}


static void
lt_test_max_temp(void)
{
    size_t          n;
    lt_test_t      *t;
    lt_test_conf_t  conf = { .num = 4, .size = 16, .max_temp = 0, .length = -1 };

    /* max_temp_file_size 0: no spooling, the pipe waits for the client */
    t = lt_test_new(&conf, 1000, 6);

    t->down.write.ready = 0;

    while (lt_test_backend_write(t, 100)) { /* void */ }

    ok(!t->bad && t->p->read_length <= 64 && t->p->upstream_blocked,
       "max_temp_file_size 0: reading stops when 4 x 16 are full (%lld read)",
       (long long) t->p->read_length);
    ok(t->up.read.ready, "the upstream's readiness is kept");
    ok(t->p->temp_file == NULL, "no temp file");

    /* the client's socket becomes writable now and then */
    for (n = 0; n < 1000 && !t->p->downstream_done; n++) {
        lt_test_client(t, 16);

        /* the socket holds the rest: reading goes on as buffers come free */
        if (t->src_sent < t->src_len) {
            lt_test_backend_write(t, 100);

        } else {
            lt_test_backend_close(t);
        }
    }

    lt_test_flush_rest(t);

    ok(!t->bad && t->p->downstream_done && lt_test_same(t, t->stream, t->src_sent),
       "then everything, in order, as the client takes it: %s", t->why);
    ok(t->max_held <= 32, "never more than busy_size held (%zu)", t->max_held);

    lt_test_free(t);

    /* max_temp_file_size 32 with 16-byte buffers: two buffers go to disk, then wait */
    conf.max_temp = 32;
    conf.write_size = 16;
    t = lt_test_new(&conf, 1000, 7);
    t->down.write.ready = 0;

    while (lt_test_backend_write(t, 100)) { /* void */ }

    ok(!t->bad && t->p->temp_file && t->p->temp_file->offset == 32
       && t->p->read_length <= 64 + 32 && t->p->upstream_blocked,
       "max_temp_file_size 32: 32 bytes spooled, then blocked (%lld read)",
       (long long) t->p->read_length);

    n = 0;

    while (n++ < 4000 && !t->p->downstream_done) {
        if (t->src_sent == t->src_len) {
            lt_test_backend_close(t);
        } else {
            lt_test_backend_write(t, 100);
        }

        lt_test_client(t, 8);
    }

    lt_test_flush_rest(t);

    ok(!t->bad && lt_test_same(t, t->stream, 1000), "the bytes are the bytes sent: %s", t->why);
    ok(t->p->temp_file->offset <= 32, "the file never grew past 32 bytes");

    lt_test_free(t);

    /* no temp_path: as max_temp_file_size 0 */
    conf.max_temp = 1 << 20;
    conf.no_temp_path = 1;
    t = lt_test_new(&conf, 500, 8);
    t->down.write.ready = 0;

    while (lt_test_backend_write(t, 100)) { /* void */ }

    ok(!t->bad && t->p->temp_file == NULL && t->p->read_length <= 64,
       "no temp path: no spooling");

    lt_test_free(t);
}


static void
lt_test_length(void)
{
    lt_test_t      *t;
    lt_test_conf_t  conf = { .num = 4, .size = 16, .max_temp = 1024, .length = 50 };

    /* exact length, the connection stays open (keepalive) */
    t = lt_test_new(&conf, 50, 9);
    t->budget = (size_t) -1;
    lt_test_backend_write(t, 50);
    lt_test_flush_rest(t);

    ok(!t->bad && t->p->upstream_done && !t->p->upstream_eof && t->p->downstream_done,
       "length 50: done without eof");
    ok(t->p->length == 0 && lt_test_same(t, t->stream, 50), "all 50 bytes, length 0");

    lt_test_free(t);

    /* in pieces: the last partial buffer goes as soon as it holds the rest */
    t = lt_test_new(&conf, 50, 10);
    lt_test_backend_write(t, 20);
    lt_test_backend_write(t, 25);
    ok(!t->p->upstream_done && t->p->length == 50 - 32, "45 of 50: 32 handed, 18 expected");
    lt_test_backend_write(t, 5);
    lt_test_flush_rest(t);
    ok(!t->bad && t->p->upstream_done && t->p->downstream_done && lt_test_same(t, t->stream, 50),
       "the last 5 complete it");
    lt_test_free(t);

    /* eof before the length */
    t = lt_test_new(&conf, 30, 11);
    lt_test_backend_write(t, 30);
    lt_test_backend_close(t);
    lt_test_flush_rest(t);

    ok(!t->bad && t->p->upstream_eof && !t->p->upstream_done && !t->p->upstream_error
       && t->p->length == 20, "eof at 30 of 50: upstream_eof, not done, 20 missing");
    ok(t->p->downstream_done && lt_test_same(t, t->stream, 30), "the 30 bytes handed over");

    lt_test_free(t);

    /* more than the length in one read: cut, with a warning */
    lt_test_log_reset();
    t = lt_test_new(&conf, 60, 12);
    lt_test_backend_write(t, 60);
    lt_test_flush_rest(t);

    ok(!t->bad && t->p->upstream_done && lt_test_same(t, t->stream, 50),
       "60 bytes for a length of 50: 50 delivered");
    ok(strstr(lt_test_logbuf, "upstream sent more data than specified in \"Content-Length\""),
       "warned");

    lt_test_free(t);

    /* length 0 */
    conf.length = 0;
    t = lt_test_new(&conf, 0, 13);
    t->up.read.ready = 0;
    lt_test_pipe(t, 0);
    ok(!t->bad && t->p->upstream_done && t->p->downstream_done && t->got_len == 0,
       "length 0: done at once");
    lt_test_free(t);
}


static void
lt_test_preread(void)
{
    lt_test_t      *t;
    lt_test_conf_t  conf = { .num = 4, .size = 16, .max_temp = 1024, .length = -1,
                             .preread_cap = 64, .preread_head = 40, .preread_body = 10 };

    /* 10 preread bytes, room for 14 more in the header buffer */
    t = lt_test_new(&conf, 100, 14);
    t->up.read.ready = 0;
    lt_test_pipe(t, 0);
    ok(!t->bad && t->p->preread_size == 10 && t->p->read_length == 10 && t->got_len == 0,
       "10 bytes preread: kept until the buffer is full");

    t->budget = (size_t) -1;
    lt_test_backend_write(t, 100);
    lt_test_backend_close(t);
    lt_test_flush_rest(t);

    ok(!t->bad && lt_test_same(t, t->stream, 110), "preread then 100 read: all, in order: %s",
       t->why);
    ok(t->p->read_length == 110, "read_length counts the preread bytes");

    lt_test_free(t);

    /* a full header buffer; a known length met by the preread alone */
    conf.preread_body = 24;
    conf.length = 24;
    t = lt_test_new(&conf, 0, 15);
    t->up.read.ready = 0;
    lt_test_pipe(t, 0);
    lt_test_flush_rest(t);
    ok(!t->bad && t->p->upstream_done && t->p->downstream_done && lt_test_same(t, t->stream, 24),
       "the whole length preread: done without reading");
    lt_test_free(t);

    /* preread, a slow client, spooling: the header is never overwritten */
    conf.preread_body = 5;
    conf.length = 2005;
    t = lt_test_new(&conf, 2000, 16);
    lt_test_rnd = 16;

    {
        lt_test_run_t  run = { .max_write = 33, .max_budget = 9,
                               .pause_pct = 50, .close = 0 };

        (void) lt_test_run(t, &run);
    }

    ok(!t->bad && t->p->upstream_done && lt_test_same(t, t->stream, 2005),
       "preread, spooled, length met: %s", t->why);
    lt_test_free(t);

    /* no body bytes preread: the rest of the header buffer is read into */
    conf.preread_body = 0;
    conf.length = -1;
    t = lt_test_new(&conf, 100, 17);
    t->budget = (size_t) -1;
    lt_test_backend_write(t, 24);
    ok(!t->bad && t->got_len == 24 && t->preread.last == t->preread.end,
       "nothing preread: the header buffer's room is read into first");
    lt_test_backend_write(t, 76);
    lt_test_backend_close(t);
    lt_test_flush_rest(t);
    ok(!t->bad && lt_test_same(t, t->stream, 100), "then the raw buffers");
    lt_test_free(t);
}


static void
lt_test_framed(void)
{
    size_t          framed, plen, seed;
    u_char         *out, *payload;
    lt_test_t      *t;
    lt_test_run_t   run;
    lt_test_conf_t  conf = { .num = 3, .size = 32, .max_temp = 256, .length = 1,
                             .input_filter = lt_test_framed_filter };
    unsigned        bad = 0;

    for (seed = 1; seed <= 200 && !bad; seed++) {
        lt_test_rnd = seed * 7919;
        lt_test_framed_state.left = 0;

        conf.size = lt_test_between(2, 40);
        conf.num = lt_test_between(1, 5);
        conf.max_temp = lt_test_random() % 2 ? 0 : (off_t) (conf.size * lt_test_between(1, 8));

        t = lt_test_new(&conf, 3000, seed);
        out = malloc(4000);
        payload = malloc(3000);
        framed = lt_test_frame(t->src, 3000, out, payload, &plen);
        t->src = out;
        t->src_len = framed;

        run.max_write = 100;
        run.max_budget = 64;
        run.pause_pct = 50;
        run.close = (unsigned) (lt_test_random() % 2);

        if (!lt_test_run(t, &run) || t->bad || !t->p->upstream_done
            || !lt_test_same(t, payload, plen))
        {
            diag("seed %zu: %s (size %zu num %zu max_temp %lld)", seed, t->why, conf.size,
                 conf.num, (long long) conf.max_temp);
            bad = 1;
        }

        free(out);
        free(payload);
        lt_test_free(t);
    }

    ok(!bad, "an input filter that drops framing: 200 random runs");
}


static void
lt_test_errors(void)
{
    int             s, fds[2];
    socklen_t       len;
    lt_test_t      *t;
    struct linger   lg;
    lt_test_conf_t  conf = { .num = 4, .size = 16, .max_temp = 1024, .length = -1,
                             .read_timeout = 5000, .send_timeout = 7000 };
    struct sockaddr_in  sin;

    /* the read timeout: armed while waiting, the end when it fires */
    t = lt_test_new(&conf, 40, 20);
    lt_test_backend_write(t, 40);
    ok(!t->bad && t->up.read.timer_set, "waiting for the upstream: the read timer is set");

    if (t->up.read.timer_set) {
        lt_event_del_timer(&t->up.read);
    }

    t->up.read.timedout = 1;
    lt_test_pipe(t, 0);
    lt_test_flush_rest(t);
    ok(!t->bad && t->p->upstream_error && t->p->downstream_done && t->up.timedout,
       "it fired: upstream_error, what was read is handed over");
    ok(lt_test_same(t, t->stream, 40), "the 40 bytes");
    ok(!t->up.read.timer_set, "no read timer after the end");
    lt_test_free(t);

    /* a read error: a TCP reset on loopback */
    s = socket(AF_INET, SOCK_STREAM, 0);
    lt_memzero(&sin, sizeof(sin));
    sin.sin_family = AF_INET;
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    len = sizeof(sin);

    if (s != -1 && bind(s, (struct sockaddr *) &sin, sizeof(sin)) == 0 && listen(s, 1) == 0
        && getsockname(s, (struct sockaddr *) &sin, &len) == 0)
    {
        fds[0] = socket(AF_INET, SOCK_STREAM, 0);
        (void) connect(fds[0], (struct sockaddr *) &sin, sizeof(sin));
        fds[1] = accept(s, NULL, NULL);

        t = lt_test_new(&conf, 40, 21);
        close(t->sv[0]);
        close(t->sv[1]);
        t->sv[0] = fds[0];
        t->sv[1] = fds[1];
        t->up.fd = fds[0];
        (void) lt_nonblocking(fds[0]);

        lt_test_backend_write(t, 20);
        usleep(20000);
        lt_test_backend_write(t, 20);

        lg.l_onoff = 1;
        lg.l_linger = 0;
        (void) setsockopt(fds[1], SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
        close(fds[1]);
        t->sv[1] = -1;
        usleep(20000);

        t->up.read.ready = 1;
        lt_test_pipe(t, 0);
        lt_test_flush_rest(t);

        ok(!t->bad && (t->p->upstream_error || t->p->upstream_eof) && t->p->downstream_done,
           "a reset upstream: error (%u) or eof (%u), handed over", t->p->upstream_error,
           t->p->upstream_eof);
        ok(t->got_len <= 40 && memcmp(t->got, t->src, t->got_len) == 0,
           "what was read before is delivered (%zu)", t->got_len);
        lt_test_free(t);
    }

    if (s != -1) {
        close(s);
    }

    /* the client fails: the upstream is read to its end, nothing more delivered */
    t = lt_test_new(&conf, 1000, 22);
    t->fail = 1;
    lt_test_backend_write(t, 100);
    ok(!t->bad && t->p->downstream_error, "the consumer failed: downstream_error");

    while (t->src_sent < t->src_len) {
        lt_test_backend_write(t, 100);
    }

    lt_test_backend_close(t);
    ok(!t->bad && t->p->upstream_eof && t->p->read_length == 1000,
       "the upstream is still read to its end (%lld)", (long long) t->p->read_length);
    ok(t->p->temp_file == NULL || t->p->temp_file->offset == 0, "nothing spooled for nobody");
    lt_test_free(t);

    /* the send timeout */
    t = lt_test_new(&conf, 200, 23);
    lt_test_backend_write(t, 100);
    lt_test_client(t, 5);
    ok(!t->bad && !t->down.write.ready && t->down.write.timer_set,
       "the client is slow: the send timer is set");

    if (t->down.write.timer_set) {
        lt_event_del_timer(&t->down.write);
    }

    t->down.write.timedout = 1;
    lt_test_pipe(t, 1);
    ok(!t->bad && t->p->downstream_error && t->down.timedout, "it fired: downstream_error");
    lt_test_free(t);

    /* an end flagged from outside (as the upstream core does on a read timeout),
     * then a call from the client's side: the partial buffer goes too */
    conf.read_timeout = 0;
    t = lt_test_new(&conf, 40, 25);
    t->budget = (size_t) -1;
    lt_test_backend_write(t, 40);
    t->p->upstream_error = 1;
    lt_test_client(t, (size_t) -1);
    lt_test_flush_rest(t);
    ok(!t->bad && t->p->downstream_done && lt_test_same(t, t->stream, 40),
       "upstream_error set by the caller, then a write call: all 40 bytes handed over");
    lt_test_free(t);

    /* an input filter error aborts */
    t = lt_test_new(&conf, 40, 26);
    t->p->input_filter = lt_test_failing_filter;
    (void) write(t->sv[1], t->src, 40);
    t->up.read.ready = 1;
    ok(lt_event_pipe(t->p, 0) == LT_ABORT, "an input filter error: LT_ABORT");
    lt_test_free(t);

    /* the temp file cannot be created */
    {
        lt_path_t  bad_path = { .name = lt_string("/nonexistent-lt-test/temp") };
        unsigned   alerts = lt_test_alerts;

        t = lt_test_new(&conf, 200, 27);
        t->p->temp_path = &bad_path;
        t->down.write.ready = 0;
        (void) write(t->sv[1], t->src, 200);
        t->up.read.ready = 1;
        ok(lt_event_pipe(t->p, 0) == LT_ABORT && lt_test_alerts == alerts + 1,
           "the temp file cannot be created: LT_ABORT, logged");
        lt_test_alerts = alerts;
        lt_test_free(t);
    }

    /* the consumer holds data but the client is writable: no endless flushing */
    t = lt_test_new(&conf, 64, 24);
    lt_test_backend_write(t, 64);
    ok(!t->bad, "a writable client that takes nothing: the call returns");
    lt_test_free(t);
}


static void
lt_test_limit_rate(void)
{
    time_t          start;
    size_t          n, over;
    uint64_t        now, delay;
    lt_test_t      *t;
    lt_test_conf_t  conf = { .num = 4, .size = 64, .max_temp = 1024, .length = -1,
                             .limit_rate = 100, .read_timeout = 60000 };

    t = lt_test_new(&conf, 400, 30);
    t->budget = (size_t) -1;
    start = lt_test_now.sec;

    lt_test_backend_write(t, 400);

    ok(!t->bad && t->p->read_length == 64, "limit_rate 100: one 64-byte read (%lld)",
       (long long) t->p->read_length);
    ok(t->up.read.delayed && t->up.read.timer_set && t->up.read.ready,
       "then a pause: delayed, with a timer, the readiness kept");
    ok(t->up.read.timer.key - lt_current_msec == 640, "of 640 ms (%llu)",
       (unsigned long long) (t->up.read.timer.key - lt_current_msec));

    /* the clock moves from timer to timer; reading never runs ahead of the rate */

    now = 0;
    over = 0;

    for (n = 0; n < 100 && t->up.read.delayed && t->up.read.timer_set; n++) {
        delay = t->up.read.timer.key - lt_current_msec;
        now += delay;
        lt_test_now.sec = start + (time_t) (now / 1000);

        lt_event_del_timer(&t->up.read);
        t->up.read.timedout = 1;
        lt_test_pipe(t, 0);

        if ((uint64_t) t->p->read_length > 100 * (now / 1000 + 1)) {
            over++;
        }
    }

    ok(!t->bad && !t->p->upstream_error && t->p->read_length == 400 && over == 0,
       "400 bytes in %llu ms, never over 100 bytes/s, the pause timer is no timeout",
       (unsigned long long) now);
    ok(now >= 3000 && now < 4500, "it took 3 to 4.5 s");

    lt_test_backend_close(t);
    lt_test_flush_rest(t);
    ok(!t->bad && t->p->upstream_eof && lt_test_same(t, t->stream, 400), "all 400, in order");

    lt_test_free(t);
}


/* random geometry, writes and pauses */
static void
lt_test_random_runs(unsigned nseeds)
{
    size_t          body, total, expect, bad, spooled;
    uint64_t        seed;
    lt_test_t      *t;
    lt_test_run_t   run;
    lt_test_conf_t  conf;

    bad = 0;
    spooled = 0;

    for (seed = 1; seed <= nseeds && bad < 3; seed++) {
        lt_test_rnd = seed * 104729 + 17;

        lt_memzero(&conf, sizeof(conf));
        conf.size = lt_test_between(1, 64);
        conf.num = lt_test_between(1, 8);
        conf.busy_size = (ssize_t) (conf.size * lt_test_between(1, conf.num));

        switch (lt_test_random() % 4) {
        case 0:
            conf.max_temp = 0;
            break;
        case 1:
            conf.max_temp = (off_t) (conf.size * lt_test_between(1, 6));
            break;
        default:
            conf.max_temp = 1 << 20;
        }

        conf.write_size = (ssize_t) (conf.size * lt_test_between(1, 4));
        conf.cyclic = lt_test_random() % 5 == 0;
        conf.read_timeout = lt_test_random() % 2 ? 30000 : 0;
        conf.send_timeout = lt_test_random() % 2 ? 30000 : 0;

        body = lt_test_between(0, 4000);

        if (lt_test_random() % 3 == 0) {
            conf.preread_cap = lt_test_between(16, 128);
            conf.preread_head = lt_test_between(0, conf.preread_cap - 1);
            conf.preread_body = lt_test_between(0, conf.preread_cap - conf.preread_head);
        }

        total = body + conf.preread_body;
        run.close = 1;

        switch (lt_test_random() % 4) {
        case 0:
            /* exact length, kept open */
            conf.length = (off_t) total;
            run.close = lt_test_random() % 2;
            expect = total;
            break;
        case 1:
            /* eof before the length */
            conf.length = (off_t) total + (off_t) lt_test_between(1, 100);
            expect = total;
            break;
        case 2:
            /* more than the length */
            conf.length = (off_t) lt_test_between(0, total);
            expect = (size_t) conf.length;
            break;
        default:
            conf.length = -1;
            expect = total;
        }

        run.max_write = lt_test_between(1, 300);
        run.max_budget = lt_test_between(1, 300);
        run.pause_pct = (unsigned) lt_test_between(0, 95);
        run.posted_pct = lt_test_random() % 3 ? 0 : (unsigned) lt_test_between(1, 100);
        run.delayed_pct = lt_test_random() % 3 ? 0 : (unsigned) lt_test_between(1, 50);

        t = lt_test_new(&conf, body, seed);
        t->posted_pct = run.posted_pct;
        t->delayed_pct = run.delayed_pct;
        t->postpone = lt_test_random() % 3 == 0;

        {
            if (!lt_test_run(t, &run) || t->bad || !lt_test_same(t, t->stream, expect)
                || (conf.length == -1 && !t->p->upstream_eof)
                || (conf.length != -1 && (size_t) conf.length <= total && !t->p->upstream_done)
                || (conf.length != -1 && (size_t) conf.length > total
                    && (!t->p->upstream_eof || t->p->upstream_done))
                || t->p->upstream_error
                || (conf.max_temp == 0 && t->p->temp_file)
                || (conf.max_temp && t->p->temp_file && !conf.cyclic
                    && t->p->temp_file->offset > conf.max_temp)
                || t->max_held > lt_max((size_t) conf.busy_size, conf.size))
            {
                diag("seed %llu: %s; size %zu num %zu busy %zd max_temp %lld write %zd "
                     "cyclic %u length %lld body %zu preread %zu/%zu/%zu close %u "
                     "done %u eof %u err %u held %zu",
                     (unsigned long long) seed, t->why, conf.size, conf.num, conf.busy_size,
                     (long long) conf.max_temp, conf.write_size, conf.cyclic,
                     (long long) conf.length, body, conf.preread_cap, conf.preread_head,
                     conf.preread_body, run.close, t->p->upstream_done, t->p->upstream_eof,
                     t->p->upstream_error, t->max_held);
                bad++;
            }

            if (t->file_bytes) {
                spooled++;
            }
        }

        lt_test_free(t);
    }

    ok(bad == 0, "%u random runs: the bytes delivered are the bytes sent", nseeds);
    ok(spooled > nseeds / 10, "%zu of them spooled to the temp file", spooled);
}


int
main(int argc, char **argv)
{
    unsigned  nseeds;
    char      cmd[600];

    nseeds = argc > 1 ? (unsigned) atoi(argv[1]) : 1500;

    setvbuf(stdout, NULL, _IOLBF, 0);
    signal(SIGPIPE, SIG_IGN);
    alarm(120);

    lt_time_init();
    lt_test_now = *lt_cached_time;
    lt_cached_time = &lt_test_now;

    lt_use_stderr = 0;
    lt_test_log.log_level = LT_LOG_WARN;
    lt_test_log.writer = lt_test_log_writer;

    lt_event_timer_init(&lt_test_log);

    if (mkdtemp(lt_test_dir) == NULL) {
        printf("Bail out! mkdtemp failed\n");
        return 1;
    }

    lt_test_path.name.data = (u_char *) lt_test_dir;
    lt_test_path.name.len = strlen(lt_test_dir);

    lt_test_fits();
    lt_test_recycle();
    lt_test_spool();
    lt_test_max_temp();
    lt_test_length();
    lt_test_preread();
    lt_test_framed();
    lt_test_errors();
    lt_test_limit_rate();
    lt_test_random_runs(nseeds);

    ok(lt_test_alerts == 0, "no [crit] or [alert] logged");

    snprintf(cmd, sizeof(cmd), "rm -rf %s", lt_test_dir);
    (void) system(cmd);

    return done_testing();
}
