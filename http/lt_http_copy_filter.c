/*
 * lt_http_copy_filter.c: reads file buffers into memory when the response
 * cannot go out with sendfile ("sendfile off", or a later filter must see the
 * bytes: compression, TLS). Memory comes from "output_buffers" (default 2 32k),
 * recycled as the socket takes them; with all of them busy, the filter waits
 * for the write handler to call again.
 */

#include "lt_http.h"

typedef struct {
    lt_chain_t  *in;        /* what is still to be copied or passed on */
    lt_chain_t  *free;
    lt_chain_t  *busy;
    lt_buf_t    *buf;       /* being filled */
    size_t       allocated;
    lt_bufs_t    bufs;      /* output_buffers */
} lt_http_copy_ctx_t;


static lt_module_t  lt_http_copy_tag;


static int
lt_http_copy_need(lt_http_request_t *r, lt_buf_t *b)
{
    if (lt_buf_special(b)) {
        return 0;
    }

    if (b->in_file && !lt_buf_in_memory(b)) {
        return !r->connection->sendfile || r->filter_need_in_memory
               || r->main_filter_need_in_memory;
    }

    return 0;
}


/* lt_http_copy_file: reads what fits of b's file range into ctx->buf */
static int
lt_http_copy_file(lt_http_request_t *r, lt_http_copy_ctx_t *ctx, lt_buf_t *b)
{
    ssize_t    n;
    off_t      size;
    lt_buf_t  *dst;

    dst = ctx->buf;

    size = b->file_last - b->file_pos;

    if (size > (off_t) (dst->end - dst->last)) {
        size = (off_t) (dst->end - dst->last);
    }

    n = lt_read_file(b->file, dst->last, (size_t) size, b->file_pos);

    if (n == LT_ERROR) {
        return LT_ERROR;
    }

    if (n != (ssize_t) size) {
        lt_log_error(LT_LOG_ALERT, r->connection->log, 0,
                     "read only %zd of %lld from \"%.*s\"", n, (long long) size,
                     (int) b->file->name.len, b->file->name.data);
        return LT_ERROR;
    }

    dst->last += n;
    b->file_pos += n;

    if (b->file_pos == b->file_last) {
        dst->last_buf = b->last_buf;
        dst->last_in_chain = b->last_in_chain;
        dst->flush = b->flush;
    }

    return LT_OK;
}


/* lt_http_copy_get_buf: a buffer to fill, or NULL when all are busy */
static int
lt_http_copy_get_buf(lt_http_request_t *r, lt_http_copy_ctx_t *ctx, off_t want)
{
    size_t       size;
    lt_chain_t  *cl;

    if (ctx->free) {
        cl = ctx->free;
        ctx->free = cl->next;
        ctx->buf = cl->buf;
        lt_free_chain_link(r->pool, cl);
        ctx->buf->pos = ctx->buf->start;
        ctx->buf->last = ctx->buf->start;
        ctx->buf->last_buf = 0;
        ctx->buf->flush = 0;
        return LT_OK;
    }

    if (ctx->allocated == ctx->bufs.num) {
        return LT_AGAIN;
    }

    size = ctx->bufs.size;

    if (want < (off_t) size && ctx->allocated == 0) {
        /* a small file needs no big buffer */
        size = (size_t) want;
    }

    ctx->buf = lt_create_temp_buf(r->pool, size ? size : 1);
    if (ctx->buf == NULL) {
        return LT_ERROR;
    }

    ctx->buf->tag = &lt_http_copy_tag;
    ctx->buf->recycled = 1;
    ctx->allocated++;

    return LT_OK;
}


/* lt_http_copy_emit: the buffer being filled goes to the output */
static int
lt_http_copy_emit(lt_http_request_t *r, lt_http_copy_ctx_t *ctx, lt_chain_t ***ll)
{
    lt_chain_t  *cl;

    cl = lt_alloc_chain_link(r->pool);
    if (cl == NULL) {
        return LT_ERROR;
    }

    cl->buf = ctx->buf;
    cl->next = NULL;
    **ll = cl;
    *ll = &cl->next;
    ctx->buf = NULL;

    return LT_OK;
}


/* lt_http_copy_fill: moves ctx->in to out, copying file data; LT_OK or LT_AGAIN
 * (no free buffer) or LT_ERROR */
static int
lt_http_copy_fill(lt_http_request_t *r, lt_http_copy_ctx_t *ctx, lt_chain_t ***ll)
{
    int          rc;
    lt_buf_t    *b;
    lt_chain_t  *cl;

    while (ctx->in) {
        b = ctx->in->buf;

        if (!lt_http_copy_need(r, b)) {

            if (ctx->buf && ctx->buf->last > ctx->buf->pos) {
                /* what was copied so far goes first */
                if (lt_http_copy_emit(r, ctx, ll) != LT_OK) {
                    return LT_ERROR;
                }
            }

            cl = ctx->in;
            ctx->in = cl->next;
            cl->next = NULL;
            **ll = cl;
            *ll = &cl->next;
            continue;
        }

        if (ctx->buf == NULL) {
            rc = lt_http_copy_get_buf(r, ctx, b->file_last - b->file_pos);
            if (rc != LT_OK) {
                return rc;
            }
        }

        if (lt_http_copy_file(r, ctx, b) != LT_OK) {
            return LT_ERROR;
        }

        if (b->file_pos == b->file_last) {
            cl = ctx->in;
            ctx->in = cl->next;
            lt_free_chain_link(r->pool, cl);
        }

        if (ctx->buf->last == ctx->buf->end || ctx->in == NULL
            || ctx->buf->last_buf || ctx->buf->flush)
        {
            if (lt_http_copy_emit(r, ctx, ll) != LT_OK) {
                return LT_ERROR;
            }
        }
    }

    return LT_OK;
}


static int
lt_http_copy_filter(lt_http_request_t *r, lt_chain_t *in)
{
    int                       rc, fill;
    unsigned                  passed;
    lt_chain_t               *out, **ll;
    lt_http_copy_ctx_t       *ctx;
    lt_http_core_loc_conf_t  *clcf;

    ctx = r->copy_ctx;

    if (ctx == NULL) {
        if (in == NULL) {
            return lt_http_next_body_filter(LT_HTTP_FILTER_COPY, r, in);
        }

        ctx = lt_pcalloc(r->pool, sizeof(lt_http_copy_ctx_t));
        if (ctx == NULL) {
            return LT_ERROR;
        }

        clcf = lt_http_get_module_loc_conf(r, lt_http_core_module);
        ctx->bufs = clcf->output_buffers;

        r->copy_ctx = ctx;
    }

    if (in && lt_chain_add_copy(r->pool, &ctx->in, in) != LT_OK) {
        return LT_ERROR;
    }

    for (passed = 0; /* void */; passed = 1) {
        out = NULL;
        ll = &out;

        fill = lt_http_copy_fill(r, ctx, &ll);

        if (fill == LT_ERROR) {
            return LT_ERROR;
        }

        if (out == NULL && ctx->in && fill == LT_AGAIN && ctx->busy && passed) {
            /* every buffer is waiting for the socket (the next filters were
             * called once: what they hold, they have tried to send) */
            r->buffered |= LT_HTTP_COPY_BUFFERED;
            return LT_AGAIN;
        }

        rc = lt_http_next_body_filter(LT_HTTP_FILTER_COPY, r, out);

        if (rc == LT_ERROR) {
            return rc;
        }

        lt_chain_update_chains(r->pool, &ctx->free, &ctx->busy, &out, &lt_http_copy_tag);

        if (ctx->in == NULL) {
            r->buffered &= ~LT_HTTP_COPY_BUFFERED;
            return rc;
        }

        if (ctx->free == NULL && ctx->allocated == ctx->bufs.num) {
            r->buffered |= LT_HTTP_COPY_BUFFERED;
            return LT_AGAIN;
        }
    }
}


int lt_http_copy_postconfiguration(lt_conf_t *cf);

int
lt_http_copy_postconfiguration(lt_conf_t *cf)
{
    lt_http_register_filter(LT_HTTP_FILTER_COPY, NULL, lt_http_copy_filter);
    return LT_OK;
}
