/*
 * lt_event_pipe.h: a buffered relay from one connection (the upstream) to a
 * consumer (the client, through the HTTP output filters): what "proxy_buffering on"
 * uses. It reads as much as its buffers hold whether or not the client keeps up,
 * spools to a temp file when the buffers are full (up to max_temp_file_size), and
 * hands the consumer chains of buffers (memory or file ranges) without copying.
 *
 * The caller fills the structure, then calls lt_event_pipe(p, do_write) from the
 * upstream's read handler (do_write 0) and from the client's write handler
 * (do_write 1), and after that checks the flags below (upstream_done,
 * upstream_error, upstream_eof, downstream_error, downstream_done).
 *
 * Buffers: raw reads land in buffers of bufs.size (at most bufs.num of them are
 * allocated, plus the preread ones). input_filter turns a raw buffer into the
 * buffers the consumer gets (lt_event_pipe_copy_input_filter passes it through;
 * the proxy module has one that removes the chunked framing), linking them with
 * shadow pointers so that a raw buffer is reused only when every buffer made from
 * it has been sent or written to the temp file. A buffer given to the consumer
 * stays "busy" until the consumer's output filter no longer holds it; at most
 * busy_size bytes may be busy at once.
 */

#ifndef LT_EVENT_PIPE_H
#define LT_EVENT_PIPE_H

#include "lt_config.h"
#include "lt_buf.h"
#include "lt_files.h"
#include "lt_connection.h"

typedef struct lt_event_pipe_s  lt_event_pipe_t;

/* input_filter: gets one raw buffer just read (or the last, empty, at EOF with
 * p->upstream_eof set); appends the data buffers it makes to p->in / p->last_in
 * (lt_event_pipe_add_data helps); LT_OK or LT_ERROR */
typedef int (*lt_event_pipe_input_filter_pt)(lt_event_pipe_t *p, lt_buf_t *buf);

/* output_filter: the consumer: LT_OK, LT_AGAIN (holding some: p->busy says what),
 * LT_ERROR */
typedef int (*lt_event_pipe_output_filter_pt)(void *data, lt_chain_t *chain);

struct lt_event_pipe_s {
    lt_connection_t                *upstream;
    lt_connection_t                *downstream;    /* for its write event and limits */

    lt_chain_t                     *free_raw_bufs;
    lt_chain_t                     *in;            /* data bufs made by input_filter */
    lt_chain_t                    **last_in;
    lt_chain_t                     *writing;       /* being written to the temp file */
    lt_chain_t                     *out;           /* in the temp file, not yet sent */
    lt_chain_t                     *free;
    lt_chain_t                     *busy;          /* given to output_filter, not done */

    lt_event_pipe_input_filter_pt   input_filter;
    void                           *input_ctx;

    lt_event_pipe_output_filter_pt  output_filter;
    void                           *output_ctx;

    unsigned                        read:1;            /* out: something was read */
    unsigned                        single_buf:1;      /* in: one buffer at a time */
    unsigned                        free_bufs:1;       /* internal */
    unsigned                        upstream_done:1;   /* out: the input filter saw the end */
    unsigned                        upstream_error:1;  /* out: a read failed or timed out */
    unsigned                        upstream_eof:1;    /* out: the upstream closed */
    unsigned                        upstream_blocked:1;    /* out: no buffer to read into */
    unsigned                        downstream_done:1;     /* out: everything was sent */
    unsigned                        downstream_error:1;    /* out: sending failed */
    unsigned                        cyclic_temp_file:1;    /* in: reuse the file's space */

    size_t                          allocated;      /* raw buffers made so far */
    lt_bufs_t                       bufs;           /* in: proxy_buffers */
    lt_buf_tag_t                    tag;            /* in: the tag of the raw buffers */

    ssize_t                         busy_size;      /* in: proxy_busy_buffers_size */

    off_t                           read_length;    /* out: bytes read */
    off_t                           length;         /* in/out: expected body bytes, -1 unknown */

    off_t                           max_temp_file_size;     /* in: 0 disables spooling */
    ssize_t                         temp_file_write_size;   /* in */

    uint64_t                        read_timeout;   /* in, ms */
    uint64_t                        send_timeout;   /* in, ms */

    lt_pool_t                      *pool;
    lt_log_t                       *log;

    lt_chain_t                     *preread_bufs;   /* in: body bytes read with the header */
    size_t                          preread_size;

    size_t                          limit_rate;     /* in: proxy_limit_rate, bytes/s, 0 off */
    time_t                          start_sec;

    lt_file_t                      *temp_file;      /* created when first needed */
    lt_path_t                      *temp_path;      /* in: proxy_temp_path */
    unsigned                        temp_persistent:1;  /* in: keep the file's name */
};

/* lt_event_pipe: reads what can be read (do_write 0) or first sends what can be
 * sent (do_write 1), alternating until neither side can go on; sets the timers
 * (read_timeout on the upstream's read event, send_timeout on the downstream's
 * write event) and the flags; LT_OK, or LT_ABORT when the relay cannot go on
 * (out of memory, a temp file failure) */
int lt_event_pipe(lt_event_pipe_t *p, int do_write);

/* lt_event_pipe_copy_input_filter: the input filter that passes a raw buffer on
 * as it is (shadowing it) */
int lt_event_pipe_copy_input_filter(lt_event_pipe_t *p, lt_buf_t *buf);

/* lt_event_pipe_add_free_buf: gives a raw buffer back (an input filter that
 * consumed all of it, framing only) */
int lt_event_pipe_add_free_buf(lt_event_pipe_t *p, lt_buf_t *b);

#endif /* LT_EVENT_PIPE_H */
