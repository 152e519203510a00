/*
 * gunzip.c: decompression of gzip responses for clients that do not take gzip
 * (http_gunzip: gunzip, gunzip_buffers).
 *
 * A filter in slot LT_HTTP_FILTER_GUNZIP. A response with "Content-Encoding: gzip"
 * (from a proxied server, or a file of "gzip_static always") goes to the client as is
 * when the client accepts gzip and the shared request checks (gzip_http_version,
 * gzip_proxied, gzip_disable) pass; otherwise the header loses Content-Encoding,
 * Content-Length and ranges, the ETag becomes weak, and the body is inflated as it
 * comes. Several gzip members one after the other (a concatenation of .gz files) make
 * one body. Input buffers are consumed in place (their pos advances), output goes
 * into at most gunzip_buffers buffers; when all of them wait for the client the
 * filter stops and goes on when the writer calls again. Bad data is logged and ends
 * the response (the client sees it cut short). zlib's memory comes from the request's
 * pool; inflateEnd runs at the end of the stream or with the pool.
 */

#include <zlib.h>

#include "lt_http.h"
#include "lt_http_compress.h"

typedef struct {
    int              enable;
    lt_bufs_t        bufs;
} lt_http_gunzip_conf_t;

typedef struct {
    z_stream         zs;
    lt_pool_t       *pool;

    lt_chain_t      *in;            /* input not yet taken */
    lt_buf_t        *in_buf;        /* being consumed */
    lt_chain_t      *free;
    lt_chain_t      *busy;
    lt_chain_t      *out;
    lt_chain_t     **last_out;
    lt_buf_t        *out_buf;       /* being filled */
    size_t           nbufs;         /* output buffers allocated */

    unsigned         started:1;     /* inflateInit2 done */
    unsigned         ended:1;       /* inflateEnd done */
    unsigned         member_end:1;  /* a gzip member ended: a new one may follow */
    unsigned         redo:1;        /* inflate filled the output: it may have more */
    unsigned         flush:1;       /* the input buffer asked for a flush */
    unsigned         last:1;        /* the input buffer is the last */
    unsigned         got_input:1;   /* some compressed bytes came */
    unsigned         done:1;
} lt_http_gunzip_ctx_t;

static int lt_http_gunzip_init(lt_conf_t *cf);
static void *lt_http_gunzip_create_conf(lt_conf_t *cf);
static char *lt_http_gunzip_merge_conf(lt_conf_t *cf, void *parent, void *child);

static lt_command_t  lt_http_gunzip_commands[] = {

    { "gunzip", LT_HTTP_ANY_CONF, 1, 1, lt_conf_set_flag_slot, LT_LOC_CONF,
      offsetof(lt_http_gunzip_conf_t, enable), NULL },

    { "gunzip_buffers", LT_HTTP_ANY_CONF, 2, 2, lt_conf_set_bufs_slot, LT_LOC_CONF,
      offsetof(lt_http_gunzip_conf_t, bufs), NULL },

    lt_null_command
};

lt_module_t  lt_http_gunzip_module = {
    .name = "http_gunzip",
    .type = LT_HTTP_MODULE,
    .commands = lt_http_gunzip_commands,
    .postconfiguration = lt_http_gunzip_init,
    .create_loc_conf = lt_http_gunzip_create_conf,
    .merge_loc_conf = lt_http_gunzip_merge_conf,
};


static int
lt_http_gunzip_header_filter(lt_http_request_t *r)
{
    lt_table_elt_t         *ce;
    lt_http_gunzip_ctx_t   *ctx;
    lt_http_gunzip_conf_t  *conf;

    conf = lt_http_get_module_loc_conf(r, lt_http_gunzip_module);
    ce = r->headers_out.content_encoding;

    if (!conf->enable || ce == NULL || ce->hash == 0 || ce->value.len != 4
        || lt_strncasecmp(ce->value.data, (u_char *) "gzip", 4) != 0)
    {
        return lt_http_next_header_filter(LT_HTTP_FILTER_GUNZIP, r);
    }

    /* what the client gets depends on its Accept-Encoding either way */
    if (lt_http_compress_vary(r) != LT_OK) {
        return LT_ERROR;
    }

    if (lt_http_compress_ok(r) == LT_OK
        && lt_http_request_encoding(r, LT_HTTP_ENC_BIT(LT_HTTP_ENC_GZIP),
                                    lt_http_compress_order(r)) == LT_HTTP_ENC_GZIP)
    {
        return lt_http_next_header_filter(LT_HTTP_FILTER_GUNZIP, r);
    }

    if (!r->header_only) {
        ctx = lt_pcalloc(r->pool, sizeof(lt_http_gunzip_ctx_t));
        if (ctx == NULL) {
            return LT_ERROR;
        }

        ctx->pool = r->pool;
        ctx->last_out = &ctx->out;

        lt_http_set_ctx(r, ctx, lt_http_gunzip_module);

        r->filter_need_in_memory = 1;
    }

    ce->hash = 0;
    r->headers_out.content_encoding = NULL;

    lt_http_clear_content_length(r);
    lt_http_clear_accept_ranges(r);
    lt_http_weak_etag(r);

    return lt_http_next_header_filter(LT_HTTP_FILTER_GUNZIP, r);
}


static voidpf
lt_http_gunzip_zalloc(voidpf opaque, uInt items, uInt size)
{
    lt_http_gunzip_ctx_t  *ctx = opaque;

    return lt_palloc(ctx->pool, (size_t) items * size);
}


static void
lt_http_gunzip_zfree(voidpf opaque, voidpf address)
{
    lt_http_gunzip_ctx_t  *ctx = opaque;

    if (address) {
        /* a large block goes back now; a small one with the pool */
        (void) lt_pfree(ctx->pool, address);
    }
}


static void
lt_http_gunzip_end(lt_http_gunzip_ctx_t *ctx)
{
    if (ctx->started && !ctx->ended) {
        ctx->ended = 1;
        (void) inflateEnd(&ctx->zs);
    }
}


static void
lt_http_gunzip_cleanup(void *data)
{
    lt_http_gunzip_end(data);
}


static int
lt_http_gunzip_start(lt_http_request_t *r, lt_http_gunzip_ctx_t *ctx)
{
    int                 rc;
    lt_pool_cleanup_t  *cln;

    cln = lt_pool_cleanup_add(r->pool, 0);
    if (cln == NULL) {
        return LT_ERROR;
    }

    ctx->zs.zalloc = lt_http_gunzip_zalloc;
    ctx->zs.zfree = lt_http_gunzip_zfree;
    ctx->zs.opaque = ctx;
    ctx->zs.next_in = Z_NULL;
    ctx->zs.avail_in = 0;

    /* windowBits + 16: a gzip header and trailer, not zlib's */
    rc = inflateInit2(&ctx->zs, MAX_WBITS + 16);

    if (rc != Z_OK) {
        lt_log_error(LT_LOG_ALERT, r->connection->log, 0, "inflateInit2() failed: %d", rc);
        return LT_ERROR;
    }

    ctx->started = 1;
    cln->handler = lt_http_gunzip_cleanup;
    cln->data = ctx;

    return LT_OK;
}


/* lt_http_gunzip_emit: appends b to the output */
static int
lt_http_gunzip_emit(lt_http_request_t *r, lt_http_gunzip_ctx_t *ctx, lt_buf_t *b)
{
    lt_chain_t  *cl;

    cl = lt_alloc_chain_link(r->pool);
    if (cl == NULL) {
        return LT_ERROR;
    }

    cl->buf = b;
    cl->next = NULL;
    *ctx->last_out = cl;
    ctx->last_out = &cl->next;

    if (b == ctx->out_buf) {
        ctx->out_buf = NULL;
    }

    return LT_OK;
}


/* lt_http_gunzip_mark: the buffer being filled, with flush or last set (an empty
 * one of its own when nothing is being filled), to the output */
static int
lt_http_gunzip_mark(lt_http_request_t *r, lt_http_gunzip_ctx_t *ctx, unsigned last)
{
    lt_buf_t  *b;

    b = ctx->out_buf;

    if (b == NULL || b->last == b->pos) {
        b = lt_calloc_buf(r->pool);
        if (b == NULL) {
            return LT_ERROR;
        }
    }

    if (last) {
        b->last_buf = (r == r->main) ? 1 : 0;
        b->last_in_chain = 1;
        b->sync = 1;

    } else {
        b->flush = 1;
    }

    return lt_http_gunzip_emit(r, ctx, b);
}


/* lt_http_gunzip_get_buf: an output buffer: a free one, a new one while fewer than
 * gunzip_buffers exist, or LT_AGAIN when all are on their way to the client */
static int
lt_http_gunzip_get_buf(lt_http_request_t *r, lt_http_gunzip_ctx_t *ctx)
{
    lt_http_gunzip_conf_t  *conf;

    conf = lt_http_get_module_loc_conf(r, lt_http_gunzip_module);

    return lt_chain_get_out_buf(r->pool, &ctx->free, &ctx->nbufs, &conf->bufs,
                                (lt_buf_tag_t) &lt_http_gunzip_module, &ctx->out_buf);
}


/* lt_http_gunzip_take_input: the next input buffer; LT_DECLINED when there is none */
static int
lt_http_gunzip_take_input(lt_http_request_t *r, lt_http_gunzip_ctx_t *ctx)
{
    lt_buf_t    *b;
    lt_chain_t  *cl;

    if (ctx->in == NULL) {
        return LT_DECLINED;
    }

    cl = ctx->in;
    ctx->in = cl->next;
    b = cl->buf;
    lt_free_chain_link(r->pool, cl);

    if (!lt_buf_in_memory(b) && b->in_file) {
        lt_log_error(LT_LOG_ALERT, r->connection->log, 0,
                     "gunzip got a file buffer: the copy filter must read it");
        return LT_ERROR;
    }

    ctx->in_buf = b;

    if (lt_buf_in_memory(b)) {
        ctx->zs.next_in = b->pos;
        ctx->zs.avail_in = (uInt) (b->last - b->pos);

    } else {
        ctx->zs.next_in = Z_NULL;
        ctx->zs.avail_in = 0;
    }

    ctx->flush = b->flush;
    ctx->last = (b->last_buf || b->last_in_chain) ? 1 : 0;

    return LT_OK;
}


/* lt_http_gunzip_inflate: inflates until the input is used up or the output
 * buffers are; LT_OK (input used up, or the end), LT_AGAIN (out of buffers) or
 * LT_ERROR (logged) */
static int
lt_http_gunzip_inflate(lt_http_request_t *r, lt_http_gunzip_ctx_t *ctx)
{
    int  rc;

    for ( ;; ) {

        if (ctx->zs.avail_in == 0 && !ctx->redo && ctx->in_buf == NULL) {
            rc = lt_http_gunzip_take_input(r, ctx);
            if (rc == LT_DECLINED) {
                return LT_OK;
            }
            if (rc != LT_OK) {
                return rc;
            }
        }

        if (ctx->zs.avail_in || ctx->redo) {

            if (ctx->out_buf == NULL) {
                rc = lt_http_gunzip_get_buf(r, ctx);
                if (rc != LT_OK) {
                    return rc;
                }
            }

            if (ctx->member_end && ctx->zs.avail_in) {
                /* another gzip member follows the one that ended */
                rc = inflateReset(&ctx->zs);
                if (rc != Z_OK) {
                    lt_log_error(LT_LOG_ALERT, r->connection->log, 0,
                                 "inflateReset() failed: %d", rc);
                    return LT_ERROR;
                }

                ctx->member_end = 0;
            }

            if (ctx->zs.avail_in) {
                ctx->got_input = 1;
            }

            ctx->zs.next_out = ctx->out_buf->last;
            ctx->zs.avail_out = (uInt) (ctx->out_buf->end - ctx->out_buf->last);

            rc = inflate(&ctx->zs, Z_NO_FLUSH);

            if (rc != Z_OK && rc != Z_STREAM_END && rc != Z_BUF_ERROR) {
                lt_log_error(LT_LOG_ERR, r->connection->log, 0, "inflate() failed: %d%s%s",
                             rc, ctx->zs.msg ? ", " : "", ctx->zs.msg ? ctx->zs.msg : "");
                return LT_ERROR;
            }

            if (ctx->in_buf && lt_buf_in_memory(ctx->in_buf)) {
                /* consumed in place: the owner may reuse what was read */
                ctx->in_buf->pos = ctx->zs.next_in;
            }

            ctx->out_buf->last = ctx->zs.next_out;

            if (rc == Z_STREAM_END) {
                ctx->member_end = 1;
            }

            /* output full: zlib may hold more without more input */
            ctx->redo = (ctx->zs.avail_out == 0 && rc != Z_STREAM_END) ? 1 : 0;

            if (ctx->out_buf->last == ctx->out_buf->end) {
                if (lt_http_gunzip_emit(r, ctx, ctx->out_buf) != LT_OK) {
                    return LT_ERROR;
                }
            }

            if (ctx->zs.avail_in || ctx->redo) {
                continue;
            }
        }

        /* this input buffer is used up */

        if (ctx->in_buf == NULL) {
            continue;
        }

        ctx->in_buf = NULL;

        if (ctx->last) {
            if (!ctx->member_end && ctx->got_input) {
                lt_log_error(LT_LOG_ERR, r->connection->log, 0,
                             "gunzip: the response ended inside a gzip stream");
                return LT_ERROR;
            }

            if (lt_http_gunzip_mark(r, ctx, 1) != LT_OK) {
                return LT_ERROR;
            }

            ctx->done = 1;
            lt_http_gunzip_end(ctx);
            return LT_OK;
        }

        if (ctx->flush) {
            ctx->flush = 0;

            if (lt_http_gunzip_mark(r, ctx, 0) != LT_OK) {
                return LT_ERROR;
            }
        }
    }
}


static int
lt_http_gunzip_body_filter(lt_http_request_t *r, lt_chain_t *in)
{
    int                    rc, inflated;
    unsigned               flush;
    lt_http_gunzip_ctx_t  *ctx;

    ctx = lt_http_get_module_ctx(r, lt_http_gunzip_module);

    if (ctx == NULL || ctx->done) {
        return lt_http_next_body_filter(LT_HTTP_FILTER_GUNZIP, r, in);
    }

    if (!ctx->started && lt_http_gunzip_start(r, ctx) != LT_OK) {
        goto failed;
    }

    if (in && lt_chain_add_copy(r->pool, &ctx->in, in) != LT_OK) {
        goto failed;
    }

    /* buffers of ours still on their way: the filters after have output pending,
     * and a call without new output lets them go on */
    flush = (ctx->busy != NULL);

    for ( ;; ) {
        inflated = lt_http_gunzip_inflate(r, ctx);

        if (inflated == LT_ERROR) {
            goto failed;
        }

        if (ctx->out == NULL && !flush) {
            /* nothing to pass: an empty call would reach the writer with nothing */
            return ctx->busy ? LT_AGAIN : LT_OK;
        }

        flush = 0;

        rc = lt_http_next_body_filter(LT_HTTP_FILTER_GUNZIP, r, ctx->out);

        if (rc == LT_ERROR) {
            goto failed;
        }

        lt_chain_update_chains(r->pool, &ctx->free, &ctx->busy, &ctx->out,
                               (lt_buf_tag_t) &lt_http_gunzip_module);
        ctx->last_out = &ctx->out;

        if (ctx->done || inflated == LT_OK) {
            return rc;
        }

        /* out of output buffers: go on if sending freed some; else the buffers are
         * with the filters after this one, which wait for the client */
        if (ctx->free == NULL) {
            return LT_AGAIN;
        }
    }

failed:

    ctx->done = 1;
    lt_http_gunzip_end(ctx);

    return LT_ERROR;
}


static int
lt_http_gunzip_init(lt_conf_t *cf)
{
    (void) cf;

    lt_http_register_filter(LT_HTTP_FILTER_GUNZIP, lt_http_gunzip_header_filter,
                            lt_http_gunzip_body_filter);
    return LT_OK;
}


static void *
lt_http_gunzip_create_conf(lt_conf_t *cf)
{
    lt_http_gunzip_conf_t  *conf;

    conf = lt_pcalloc(cf->pool, sizeof(lt_http_gunzip_conf_t));
    if (conf == NULL) {
        return NULL;
    }

    /* zeroed: bufs (unset while num is 0) */
    conf->enable = LT_CONF_UNSET;

    return conf;
}


static char *
lt_http_gunzip_merge_conf(lt_conf_t *cf, void *parent, void *child)
{
    lt_http_gunzip_conf_t  *prev = parent;
    lt_http_gunzip_conf_t  *conf = child;

    (void) cf;

    lt_conf_merge_value(conf->enable, prev->enable, 0);
    lt_conf_merge_bufs_value(conf->bufs, prev->bufs, (128 * 1024) / lt_pagesize,
                             lt_pagesize);

    return LT_CONF_OK;
}
