/*
 * lt_event_pipe.h: a buffered relay from one connection (the upstream) to a
 * consumer (the client, through the HTTP output filters): what "proxy_buffering on"
 * uses. It reads as much as its buffers hold whether or not the client keeps up,
 * spools to a temp file when the buffers are full (up to max_temp_file_size), and
 * hands the consumer chains of buffers (memory or file ranges) without copying.
 *
 * The caller fills the structure (zeroed, then the "in" fields), then calls
 * lt_event_pipe(p, do_write) from the upstream's read handler (do_write 0) and
 * from the client's write handler (do_write 1), and after that checks the flags
 * below (upstream_done, upstream_error, upstream_eof, downstream_error,
 * downstream_done). The pipe handles the timers of both events itself: a timer
 * that fires on the upstream's read event is the end of a limit_rate pause when
 * the event is delayed, else read_timeout (upstream_error is set); one on the
 * client's write event is send_timeout unless delayed (downstream_error is set).
 * Once the upstream has ended (upstream_done, upstream_eof or upstream_error) a
 * call returns with everything handed over and downstream_done set (unless
 * downstream_error), so the outcome is read from the upstream flags, as nginx
 * does: upstream_done, or upstream_eof with length -1, is a complete body;
 * upstream_error, or upstream_eof with length left, is a failed upstream.
 *
 * Buffers: raw reads land in buffers of bufs.size (at most bufs.num of them are
 * allocated, plus the preread ones); a raw buffer is read into until it is full
 * (or holds all of `length`, or the upstream ends), then given to input_filter.
 * input_filter turns a raw buffer into the buffers the consumer gets
 * (lt_event_pipe_copy_input_filter passes it through; the proxy module has one
 * that removes the chunked framing), linking them with shadow pointers
 * (lt_event_pipe_add_data does it) so that a raw buffer is reused only when every
 * buffer made from it has been sent or written to the temp file. A buffer given
 * to the consumer stays "busy" until the consumer has advanced its pos (or
 * file_pos) to its end; the raw buffers behind the busy memory buffers may add
 * up to busy_size bytes at most (one raw buffer is always allowed).
 *
 * Ownership: raw buffers, data and file buffers, their chain links and the temp
 * file all come from p->pool and live as long as it; the consumer must not free
 * or reuse the buffers it is given, only advance pos/file_pos as it sends them.
 * The preread buffers stay the caller's: their bytes are relayed in place, and
 * they are never reused for reading past what they held (the start of the
 * upstream's header buffer may hold the parsed response header).
 */

#ifndef LT_EVENT_PIPE_H
#define LT_EVENT_PIPE_H

#include "lt_config.h"
#include "lt_buf.h"
#include "lt_files.h"
#include "lt_connection.h"

typedef struct lt_event_pipe_s  lt_event_pipe_t;

/* input_filter: gets one raw buffer just filled (full, or holding all of
 * p->length), or the partial one at the upstream's end (eof or error, possibly
 * empty). It appends the data buffers it makes to p->in / p->last_in
 * (lt_event_pipe_add_data does it, marking the last one made from the buffer
 * last_shadow), or gives the buffer back with lt_event_pipe_add_free_buf when it
 * holds framing only; it sets p->upstream_done when it has seen the end of the
 * body, and may keep p->length at the number of bytes it still needs at least
 * (the pipe then hands it a partial buffer as soon as it holds that many).
 * Buffers added to p->in are memory buffers. LT_OK or LT_ERROR (the pipe
 * returns LT_ABORT). */
typedef int (*lt_event_pipe_input_filter_pt)(lt_event_pipe_t *p, lt_buf_t *buf);

/* output_filter: the consumer, called with a chain to add to what it holds (or
 * NULL: "send what you hold"). LT_OK, LT_AGAIN (holding some), LT_ERROR. It
 * advances the buffers' pos/file_pos as it sends; while it holds data it must
 * leave p->downstream->write not ready (or delayed with a timer, or posted), so
 * that the client's write handler calls lt_event_pipe(p, 1) again. */
typedef int (*lt_event_pipe_output_filter_pt)(void *data, lt_chain_t *chain);

struct lt_event_pipe_s {
    lt_connection_t                *upstream;      /* NULL or fd -1: not read */
    lt_connection_t                *downstream;    /* its write event: readiness, timer */

    lt_chain_t                     *free_raw_bufs; /* to read into; only the first may
                                                      hold bytes already */
    lt_chain_t                     *in;            /* data bufs made by input_filter */
    lt_chain_t                    **last_in;       /* valid while in is not NULL */
    lt_chain_t                     *writing;       /* unused: temp file writes are
                                                      synchronous */
    lt_chain_t                     *out;           /* in the temp file, not yet sent */
    lt_chain_t                     *free;          /* spare links with buffers */
    lt_chain_t                     *busy;          /* given to output_filter, not done */

    lt_event_pipe_input_filter_pt   input_filter;
    void                           *input_ctx;

    lt_event_pipe_output_filter_pt  output_filter;
    void                           *output_ctx;

    unsigned                        read:1;            /* internal: the last read step
                                                          read (or preread) bytes */
    unsigned                        single_buf:1;      /* in: one raw buffer per read
                                                          call (always so: lintel's
                                                          connections read one buffer
                                                          at a time) */
    unsigned                        free_bufs:1;       /* internal: unused raw buffers
                                                          were given back to the pool */
    unsigned                        upstream_done:1;   /* out: the input filter saw the
                                                          end (or length reached 0) */
    unsigned                        upstream_error:1;  /* out: a read failed or timed
                                                          out (upstream->timedout) */
    unsigned                        upstream_eof:1;    /* out: the upstream closed */
    unsigned                        upstream_blocked:1;    /* out: the last read step
                                                              stopped for want of a buffer
                                                              (the upstream's readiness is
                                                              kept for when one is free) */
    unsigned                        downstream_done:1;     /* out: the upstream ended and
                                                              everything was handed to
                                                              output_filter (which may
                                                              still hold some) */
    unsigned                        downstream_error:1;    /* out: output_filter failed
                                                              or send_timeout expired */
    unsigned                        cyclic_temp_file:1;    /* in: reuse the file's space
                                                              once all of it is sent (the
                                                              consumer must copy file
                                                              ranges, not sendfile them) */

    size_t                          allocated;      /* raw buffers made so far */
    lt_bufs_t                       bufs;           /* in: proxy_buffers */
    lt_buf_tag_t                    tag;            /* in: the tag of the buffers given
                                                       to output_filter */

    ssize_t                         busy_size;      /* in: proxy_busy_buffers_size */

    off_t                           read_length;    /* out: bytes read, preread included */
    off_t                           length;         /* in/out: body bytes still expected,
                                                       -1 unknown (see input_filter) */

    off_t                           max_temp_file_size;     /* in: 0 disables spooling */
    ssize_t                         temp_file_write_size;   /* in: bytes per write */

    uint64_t                        read_timeout;   /* in, ms, 0 none */
    uint64_t                        send_timeout;   /* in, ms, 0 none */

    lt_pool_t                      *pool;
    lt_log_t                       *log;

    lt_chain_t                     *preread_bufs;   /* in: body bytes read with the header,
                                                       in [pos, last) of each buffer; the
                                                       pipe takes them (sets NULL) */
    size_t                          preread_size;   /* out: their bytes */

    size_t                          limit_rate;     /* in: proxy_limit_rate, bytes/s, 0 off */
    time_t                          start_sec;      /* in: lt_time() at the start (0: the
                                                       first read sets it) */

    lt_file_t                      *temp_file;      /* out: created when first needed */
    lt_path_t                      *temp_path;      /* in: proxy_temp_path (NULL: no
                                                       spooling) */
    unsigned                        temp_persistent:1;  /* in: keep the file's name (it
                                                           is not removed: the caller
                                                           renames or deletes it) */
    const char                     *temp_file_warn; /* in: logged at warn with the file's
                                                       name when it is created ("an
                                                       upstream response is buffered to
                                                       a temporary file"), or NULL */

    /* internal */
    lt_chain_t                     *preread_raw;    /* the preread buffers, not reused */
};

/* lt_event_pipe: reads what can be read (do_write 0) or first sends what can be
 * sent (do_write 1), alternating until neither side can go on; sets the timers
 * (read_timeout on the upstream's read event, send_timeout on the downstream's
 * write event) and the flags; LT_OK, or LT_ABORT when the relay cannot go on
 * (out of memory, a temp file failure, an input filter error). Never LT_AGAIN:
 * the flags say where the relay stands. */
int lt_event_pipe(lt_event_pipe_t *p, int do_write);

/* lt_event_pipe_copy_input_filter: the input filter that passes a raw buffer on
 * as it is (shadowing it); with a known length it counts it down, sets
 * upstream_done at 0 and drops (with a warning) what the upstream sends beyond */
int lt_event_pipe_copy_input_filter(lt_event_pipe_t *p, lt_buf_t *buf);

/* lt_event_pipe_add_data: for input filters: appends to p->in a buffer for the
 * bytes [pos, last) of the raw buffer raw, shadowing it (temporary, recycled,
 * tagged p->tag, marked last_shadow until another is added for the same raw
 * buffer). Returns the buffer (the filter may set flags such as flush on it),
 * or NULL when out of memory. */
lt_buf_t *lt_event_pipe_add_data(lt_event_pipe_t *p, lt_buf_t *raw, u_char *pos,
    u_char *last);

/* lt_event_pipe_add_free_buf: gives a raw buffer back (an input filter that
 * consumed all of it, framing only): it is emptied and read into again (a
 * preread buffer is not). LT_OK or LT_ERROR. */
int lt_event_pipe_add_free_buf(lt_event_pipe_t *p, lt_buf_t *b);

#endif /* LT_EVENT_PIPE_H */
