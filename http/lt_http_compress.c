/*
 * lt_http_compress.c: the on-the-fly compression filter and the settings every
 * coding shares (see lt_http_compress.h).
 *
 * The body moves through the chosen compressor as a stream: input buffers are
 * consumed in place (their pos advances as the library reads them, so their owner
 * can reuse them), output goes into at most bufs.num buffers of bufs.size owned by
 * the request; when they are all waiting for the client the filter stops, keeps the
 * connection marked buffered and goes on when the writer calls it again. A buffer
 * with flush set makes what came so far decodable (the library's flush); the last
 * buffer ends the stream. Memory per request: the library's state (counted in
 * lt_http_compress_mem_t) plus the output buffers.
 */

#include "lt_http.h"
#include "lt_http_compress.h"

/* gzip_proxied */
#define LT_HTTP_COMPRESS_PROXIED_OFF        0x0002
#define LT_HTTP_COMPRESS_PROXIED_EXPIRED    0x0004
#define LT_HTTP_COMPRESS_PROXIED_NO_CACHE   0x0008
#define LT_HTTP_COMPRESS_PROXIED_NO_STORE   0x0010
#define LT_HTTP_COMPRESS_PROXIED_PRIVATE    0x0020
#define LT_HTTP_COMPRESS_PROXIED_NO_LM      0x0040
#define LT_HTTP_COMPRESS_PROXIED_NO_ETAG    0x0080
#define LT_HTTP_COMPRESS_PROXIED_AUTH       0x0100
#define LT_HTTP_COMPRESS_PROXIED_ANY        0x0200

typedef struct {
    lt_array_t                   compressors;   /* lt_http_compressor_t * */
} lt_http_compress_main_conf_t;

typedef struct {
    int                          vary;
    unsigned                     http_version;
    unsigned                     proxied;
    lt_array_t                  *disable;       /* lt_regex_t *; NULL: none */
    int                          disable_msie6;
    int                          order_set;
    lt_http_encoding_order_t     order;
} lt_http_compress_loc_conf_t;

typedef struct {
    const lt_http_compressor_t  *k;
    lt_http_compress_conf_t     *conf;
    void                        *state;         /* NULL until the first body bytes */
    off_t                        length;        /* the original Content-Length or -1 */
    lt_http_compress_mem_t       mem;

    lt_chain_t                  *in;            /* input not yet taken */
    lt_buf_t                    *in_buf;        /* being consumed */
    lt_chain_t                  *free;
    lt_chain_t                  *busy;
    lt_chain_t                  *out;
    lt_chain_t                 **last_out;
    lt_buf_t                    *out_buf;       /* being filled */
    size_t                       nbufs;         /* output buffers allocated */

    lt_http_compress_io_t        io;
    off_t                        bytes_in;
    off_t                        bytes_out;

    unsigned                     op:2;          /* for the input taken */
    unsigned                     done:1;
    unsigned                     ended:1;       /* k->end ran */
} lt_http_compress_ctx_t;

static int lt_http_compress_add_variables(lt_conf_t *cf);
static int lt_http_compress_init(lt_conf_t *cf);
static void *lt_http_compress_create_main_conf(lt_conf_t *cf);
static void *lt_http_compress_create_loc_conf(lt_conf_t *cf);
static char *lt_http_compress_merge_loc_conf(lt_conf_t *cf, void *parent, void *child);
static char *lt_http_compress_disable(lt_conf_t *cf, lt_command_t *cmd, void *conf);
static char *lt_http_compress_order_directive(lt_conf_t *cf, lt_command_t *cmd,
    void *conf);

static const lt_conf_enum_t  lt_http_compress_http_versions[] = {
    { lt_string("1.0"), LT_HTTP_VERSION_10 },
    { lt_string("1.1"), LT_HTTP_VERSION_11 },
    lt_conf_enum_end
};

static const lt_conf_bitmask_t  lt_http_compress_proxied_masks[] = {
    { lt_string("off"), LT_HTTP_COMPRESS_PROXIED_OFF },
    { lt_string("expired"), LT_HTTP_COMPRESS_PROXIED_EXPIRED },
    { lt_string("no-cache"), LT_HTTP_COMPRESS_PROXIED_NO_CACHE },
    { lt_string("no-store"), LT_HTTP_COMPRESS_PROXIED_NO_STORE },
    { lt_string("private"), LT_HTTP_COMPRESS_PROXIED_PRIVATE },
    { lt_string("no_last_modified"), LT_HTTP_COMPRESS_PROXIED_NO_LM },
    { lt_string("no_etag"), LT_HTTP_COMPRESS_PROXIED_NO_ETAG },
    { lt_string("auth"), LT_HTTP_COMPRESS_PROXIED_AUTH },
    { lt_string("any"), LT_HTTP_COMPRESS_PROXIED_ANY },
    { lt_null_string, 0 }
};

static lt_command_t  lt_http_compress_commands[] = {

    { "gzip_vary", LT_HTTP_ANY_CONF, 1, 1, lt_conf_set_flag_slot, LT_LOC_CONF,
      offsetof(lt_http_compress_loc_conf_t, vary), NULL },

    { "gzip_http_version", LT_HTTP_ANY_CONF, 1, 1, lt_conf_set_enum_slot, LT_LOC_CONF,
      offsetof(lt_http_compress_loc_conf_t, http_version),
      lt_http_compress_http_versions },

    /* repeated: the values add up */
    { "gzip_proxied", LT_HTTP_ANY_CONF, 1, LT_CONF_MANY, lt_conf_set_bitmask_slot,
      LT_LOC_CONF, offsetof(lt_http_compress_loc_conf_t, proxied),
      lt_http_compress_proxied_masks },

    /* repeated: the regexes add up; a level with it replaces the parent's list */
    { "gzip_disable", LT_HTTP_ANY_CONF, 1, LT_CONF_MANY, lt_http_compress_disable,
      LT_LOC_CONF, 0, NULL },

    { "compression_order", LT_HTTP_ANY_CONF, 1, LT_HTTP_ENC_N - 1,
      lt_http_compress_order_directive, LT_LOC_CONF, 0, NULL },

    lt_null_command
};

lt_module_t  lt_http_compress_module = {
    .name = "http_compress",
    .type = LT_HTTP_MODULE,
    .commands = lt_http_compress_commands,
    .preconfiguration = lt_http_compress_add_variables,
    .postconfiguration = lt_http_compress_init,
    .create_main_conf = lt_http_compress_create_main_conf,
    .create_loc_conf = lt_http_compress_create_loc_conf,
    .merge_loc_conf = lt_http_compress_merge_loc_conf,
};


/* memory: the worker's cache of blocks */

#define LT_HTTP_COMPRESS_CACHED_BLOCKS   8
#define LT_HTTP_COMPRESS_MAX_BLOCK       (8 * 1024 * 1024)

typedef struct lt_http_compress_block_s  lt_http_compress_block_t;

struct lt_http_compress_block_s {
    lt_http_compress_block_t  *next;
    size_t                     size;    /* usable bytes after this header */
};

static lt_http_compress_block_t  *lt_http_compress_blocks;
static unsigned                   lt_http_compress_nblocks;

/* what the last streams of each coding allocated: the size of its next block */
static size_t                     lt_http_compress_need[LT_HTTP_ENC_N];


/* lt_http_compress_get_block: a cached block of at least size bytes, or a new one */
static void
lt_http_compress_get_block(lt_http_compress_mem_t *mem, size_t size, lt_log_t *log)
{
    lt_http_compress_block_t  *b, **bp;

    for (bp = &lt_http_compress_blocks; *bp; bp = &(*bp)->next) {
        if ((*bp)->size >= size) {
            b = *bp;
            *bp = b->next;
            lt_http_compress_nblocks--;
            goto found;
        }
    }

    if (lt_http_compress_nblocks == LT_HTTP_COMPRESS_CACHED_BLOCKS) {
        /* all too small for what the codings need now */
        b = lt_http_compress_blocks;
        lt_http_compress_blocks = b->next;
        lt_http_compress_nblocks--;
        free(b);
    }

    b = lt_alloc(sizeof(lt_http_compress_block_t) + size, log);
    if (b == NULL) {
        return;
    }

    b->size = size;

found:

    mem->block = b;
    mem->start = (u_char *) (b + 1);
    mem->pos = mem->start;
    mem->end = mem->start + b->size;
}


/* lt_http_compress_put_block: the stream's block back into the cache */
static void
lt_http_compress_put_block(lt_http_compress_mem_t *mem, lt_http_encoding_e enc)
{
    lt_http_compress_block_t  *b;

    if (mem->allocated <= LT_HTTP_COMPRESS_MAX_BLOCK
        && mem->allocated > lt_http_compress_need[enc])
    {
        lt_http_compress_need[enc] = mem->allocated;
    }

    b = mem->block;

    if (b == NULL) {
        return;
    }

    mem->block = NULL;
    mem->start = mem->pos = mem->end = NULL;

    if (lt_http_compress_nblocks == LT_HTTP_COMPRESS_CACHED_BLOCKS) {
        free(b);
        return;
    }

    b->next = lt_http_compress_blocks;
    lt_http_compress_blocks = b;
    lt_http_compress_nblocks++;
}


void *
lt_http_compress_alloc(lt_http_compress_mem_t *mem, size_t size)
{
    void    *p;
    u_char  *pos;

    pos = lt_align_ptr(mem->pos, 16);

    if (mem->block && size <= (size_t) (mem->end - pos)) {
        mem->pos = pos + size;
        mem->allocated += size;
        return pos;
    }

    p = lt_palloc(mem->pool, size);

    if (p) {
        mem->allocated += size;
    }

    return p;
}


void
lt_http_compress_free(lt_http_compress_mem_t *mem, void *p)
{
    if (p == NULL || ((u_char *) p >= mem->start && (u_char *) p < mem->end)) {
        /* the block goes back whole when the stream ends */
        return;
    }

    /* large allocations go back now; small ones with the pool */
    (void) lt_pfree(mem->pool, p);
}


int
lt_http_compress_register(lt_conf_t *cf, const lt_http_compressor_t *k)
{
    const lt_http_compressor_t   **kp;
    lt_http_compress_main_conf_t  *cmcf;

    cmcf = lt_http_conf_get_module_main_conf(cf, lt_http_compress_module);

    kp = lt_array_push(&cmcf->compressors);
    if (kp == NULL) {
        return LT_ERROR;
    }

    *kp = k;

    return LT_OK;
}


/* the request side */

/* lt_http_compress_proxied: gzip_proxied for a request that came through a proxy */
static int
lt_http_compress_proxied(lt_http_request_t *r, unsigned p)
{
    time_t           date, expires;
    lt_table_elt_t  *e, *cc;

    if (p & LT_HTTP_COMPRESS_PROXIED_OFF) {
        return LT_DECLINED;
    }

    if (p & LT_HTTP_COMPRESS_PROXIED_ANY) {
        return LT_OK;
    }

    if (r->headers_in.authorization && (p & LT_HTTP_COMPRESS_PROXIED_AUTH)) {
        return LT_OK;
    }

    e = r->headers_out.expires;

    if (e && e->hash) {

        if (!(p & LT_HTTP_COMPRESS_PROXIED_EXPIRED)) {
            return LT_DECLINED;
        }

        expires = lt_parse_http_time(e->value.data, e->value.len);
        if (expires == -1) {
            return LT_DECLINED;
        }

        if (r->headers_out.date && r->headers_out.date->hash) {
            date = lt_parse_http_time(r->headers_out.date->value.data,
                                      r->headers_out.date->value.len);
            if (date == -1) {
                return LT_DECLINED;
            }

        } else {
            date = lt_time();
        }

        return (expires <= date) ? LT_OK : LT_DECLINED;
    }

    for (cc = r->headers_out.cache_control; cc; cc = cc->next) {

        if (!cc->hash) {
            continue;
        }

        if (((p & LT_HTTP_COMPRESS_PROXIED_NO_CACHE)
             && lt_http_header_has_token(&cc->value, "no-cache", 8))
            || ((p & LT_HTTP_COMPRESS_PROXIED_NO_STORE)
                && lt_http_header_has_token(&cc->value, "no-store", 8))
            || ((p & LT_HTTP_COMPRESS_PROXIED_PRIVATE)
                && lt_http_header_has_token(&cc->value, "private", 7)))
        {
            return LT_OK;
        }
    }

    if (r->headers_out.cache_control) {
        return LT_DECLINED;
    }

    if ((p & LT_HTTP_COMPRESS_PROXIED_NO_LM)
        && (r->headers_out.last_modified == NULL || !r->headers_out.last_modified->hash)
        && r->headers_out.last_modified_time == -1)
    {
        return LT_OK;
    }

    if ((p & LT_HTTP_COMPRESS_PROXIED_NO_ETAG)
        && (r->headers_out.etag == NULL || !r->headers_out.etag->hash))
    {
        return LT_OK;
    }

    return LT_DECLINED;
}


int
lt_http_compress_ok(lt_http_request_t *r)
{
    size_t                        i;
    lt_regex_t                  **re;
    lt_http_compress_loc_conf_t  *lcf;

    if (r->gzip_tested) {
        return r->gzip_ok ? LT_OK : LT_DECLINED;
    }

    r->gzip_tested = 1;

    if (r != r->main) {
        return LT_DECLINED;
    }

    lcf = lt_http_get_module_loc_conf(r, lt_http_compress_module);

    if (r->http_version < lcf->http_version) {
        return LT_DECLINED;
    }

    if (r->headers_in.msie6 && lcf->disable_msie6) {
        return LT_DECLINED;
    }

    if (r->headers_in.via && lt_http_compress_proxied(r, lcf->proxied) != LT_OK) {
        return LT_DECLINED;
    }

    if (lcf->disable && r->headers_in.user_agent) {
        re = lcf->disable->elts;

        for (i = 0; i < lcf->disable->nelts; i++) {
            if (lt_regex_exec(re[i], &r->headers_in.user_agent->value, NULL, 0) >= 0) {
                return LT_DECLINED;
            }
        }
    }

    r->gzip_ok = 1;

    return LT_OK;
}


int
lt_http_compress_vary(lt_http_request_t *r)
{
    lt_http_compress_loc_conf_t  *lcf;

    lcf = lt_http_get_module_loc_conf(r, lt_http_compress_module);

    if (!lcf->vary || r->gzip_vary) {
        return LT_OK;
    }

    r->gzip_vary = 1;

    return lt_http_add_vary_accept_encoding(r);
}


const lt_http_encoding_order_t *
lt_http_compress_order(lt_http_request_t *r)
{
    lt_http_compress_loc_conf_t  *lcf;

    lcf = lt_http_get_module_loc_conf(r, lt_http_compress_module);

    return lcf->order_set ? &lcf->order : &lt_http_default_encoding_order;
}


/* the filter */

static int
lt_http_compress_header_filter(lt_http_request_t *r)
{
    size_t                          i;
    unsigned                        enabled;
    lt_http_encoding_e              enc;
    lt_http_compress_ctx_t         *ctx;
    lt_http_compress_conf_t        *conf, *confs[LT_HTTP_ENC_N];
    const lt_http_compressor_t    **k, *chosen[LT_HTTP_ENC_N];
    lt_http_compress_main_conf_t   *cmcf;

    cmcf = lt_http_get_module_main_conf(r, lt_http_compress_module);

    if (cmcf->compressors.nelts == 0 || r != r->main
        || lt_http_compress_response_ok(r) != LT_OK)
    {
        return lt_http_next_header_filter(LT_HTTP_FILTER_COMPRESS, r);
    }

    enabled = 0;
    k = cmcf->compressors.elts;

    for (i = 0; i < cmcf->compressors.nelts; i++) {
        conf = lt_http_get_module_loc_conf(r, *k[i]->module);

        if (!conf->enable
            || (r->headers_out.content_length_n != -1
                && r->headers_out.content_length_n < conf->min_length)
            || !lt_http_test_content_type(r, conf->types))
        {
            continue;
        }

        enabled |= LT_HTTP_ENC_BIT(k[i]->encoding);
        chosen[k[i]->encoding] = k[i];
        confs[k[i]->encoding] = conf;
    }

    if (enabled == 0) {
        return lt_http_next_header_filter(LT_HTTP_FILTER_COMPRESS, r);
    }

    /* the response depends on Accept-Encoding, whoever asks */
    if (lt_http_compress_vary(r) != LT_OK) {
        return LT_ERROR;
    }

    if (lt_http_compress_ok(r) != LT_OK) {
        return lt_http_next_header_filter(LT_HTTP_FILTER_COMPRESS, r);
    }

    enc = lt_http_request_encoding(r, enabled, lt_http_compress_order(r));

    if (enc == LT_HTTP_ENC_IDENTITY) {
        return lt_http_next_header_filter(LT_HTTP_FILTER_COMPRESS, r);
    }

    ctx = lt_pcalloc(r->pool, sizeof(lt_http_compress_ctx_t));
    if (ctx == NULL) {
        return LT_ERROR;
    }

    ctx->k = chosen[enc];
    ctx->conf = confs[enc];
    ctx->length = r->headers_out.content_length_n;
    ctx->mem.pool = r->pool;
    ctx->last_out = &ctx->out;

    if (lt_http_compress_set_headers(r, enc) != LT_OK) {
        return LT_ERROR;
    }

    lt_http_set_ctx(r, ctx, lt_http_compress_module);

    r->main_filter_need_in_memory = 1;

    return lt_http_next_header_filter(LT_HTTP_FILTER_COMPRESS, r);
}


static void
lt_http_compress_end(lt_http_compress_ctx_t *ctx)
{
    if (ctx->ended) {
        return;
    }

    ctx->ended = 1;

    if (ctx->state && ctx->k->end) {
        ctx->k->end(ctx->state);
    }

    lt_http_compress_put_block(&ctx->mem, ctx->k->encoding);
}


static void
lt_http_compress_cleanup(void *data)
{
    lt_http_compress_end(data);
}


/* lt_http_compress_emit: appends the buffer being filled to the output */
static int
lt_http_compress_emit(lt_http_request_t *r, lt_http_compress_ctx_t *ctx)
{
    lt_chain_t  *cl;

    cl = lt_alloc_chain_link(r->pool);
    if (cl == NULL) {
        return LT_ERROR;
    }

    ctx->bytes_out += ctx->out_buf->last - ctx->out_buf->pos;

    cl->buf = ctx->out_buf;
    cl->next = NULL;
    *ctx->last_out = cl;
    ctx->last_out = &cl->next;
    ctx->out_buf = NULL;

    return LT_OK;
}


/* lt_http_compress_get_buf: an output buffer: a free one, a new one while fewer
 * than bufs.num exist, or LT_AGAIN when all are on their way to the client */
static int
lt_http_compress_get_buf(lt_http_request_t *r, lt_http_compress_ctx_t *ctx)
{
    return lt_chain_get_out_buf(r->pool, &ctx->free, &ctx->nbufs, &ctx->conf->bufs,
                                (lt_buf_tag_t) &lt_http_compress_module, &ctx->out_buf);
}


/* lt_http_compress_take_input: the next input buffer into ctx->io; LT_DECLINED when
 * there is none */
static int
lt_http_compress_take_input(lt_http_request_t *r, lt_http_compress_ctx_t *ctx)
{
    lt_buf_t    *b;
    lt_chain_t  *cl;

    for ( ;; ) {
        if (ctx->in_buf) {
            ctx->in_buf = NULL;
        }

        if (ctx->in == NULL) {
            return LT_DECLINED;
        }

        cl = ctx->in;
        ctx->in = cl->next;
        b = cl->buf;
        lt_free_chain_link(r->pool, cl);

        if (!lt_buf_in_memory(b) && b->in_file) {
            lt_log_error(LT_LOG_ALERT, r->connection->log, 0,
                         "compression got a file buffer: the copy filter must read it");
            return LT_ERROR;
        }

        ctx->in_buf = b;
        ctx->io.next_in = lt_buf_in_memory(b) ? b->pos : NULL;
        ctx->io.avail_in = lt_buf_in_memory(b) ? (size_t) (b->last - b->pos) : 0;

        ctx->op = b->last_buf ? LT_HTTP_COMPRESS_FINISH
                  : b->flush ? LT_HTTP_COMPRESS_FLUSH : LT_HTTP_COMPRESS_RUN;

        if (ctx->io.avail_in || ctx->op != LT_HTTP_COMPRESS_RUN) {
            return LT_OK;
        }
    }
}


/* lt_http_compress_deflate: runs the compressor until the input is used up or the
 * output buffers are; LT_OK, LT_AGAIN (out of buffers) or LT_ERROR */
static int
lt_http_compress_deflate(lt_http_request_t *r, lt_http_compress_ctx_t *ctx)
{
    int        rc;
    size_t     avail_in;
    lt_buf_t  *b;

    for ( ;; ) {

        if (ctx->io.avail_in == 0 && ctx->op == LT_HTTP_COMPRESS_RUN) {
            rc = lt_http_compress_take_input(r, ctx);
            if (rc == LT_DECLINED) {
                return LT_OK;
            }
            if (rc != LT_OK) {
                return rc;
            }
        }

        if (ctx->out_buf == NULL) {
            rc = lt_http_compress_get_buf(r, ctx);
            if (rc != LT_OK) {
                return rc;
            }
        }

        avail_in = ctx->io.avail_in;
        ctx->io.next_out = ctx->out_buf->last;
        ctx->io.avail_out = ctx->out_buf->end - ctx->out_buf->last;

        rc = ctx->k->run(r, ctx->state, &ctx->io, ctx->op);

        if (rc == LT_ERROR) {
            return LT_ERROR;
        }

        ctx->bytes_in += avail_in - ctx->io.avail_in;
        ctx->out_buf->last = ctx->io.next_out;

        if (ctx->in_buf && lt_buf_in_memory(ctx->in_buf)) {
            /* consumed in place: the owner may reuse what was read */
            ctx->in_buf->pos = (u_char *) ctx->io.next_in;
        }

        if (rc == LT_DONE) {
            b = ctx->out_buf;

            if (ctx->op == LT_HTTP_COMPRESS_FINISH) {
                b->last_buf = 1;
                ctx->done = 1;

            } else {
                b->flush = 1;
            }

            ctx->op = LT_HTTP_COMPRESS_RUN;

            if (lt_http_compress_emit(r, ctx) != LT_OK) {
                return LT_ERROR;
            }

            if (ctx->done) {
                lt_http_compress_end(ctx);
                return LT_OK;
            }

            continue;
        }

        if (ctx->out_buf->last == ctx->out_buf->end) {
            if (lt_http_compress_emit(r, ctx) != LT_OK) {
                return LT_ERROR;
            }
        }
    }
}


static int
lt_http_compress_body_filter(lt_http_request_t *r, lt_chain_t *in)
{
    int                       rc, deflated;
    lt_connection_t          *c;
    lt_pool_cleanup_t        *cln;
    lt_http_compress_ctx_t   *ctx;

    ctx = lt_http_get_module_ctx(r, lt_http_compress_module);

    if (ctx == NULL || ctx->done || r->header_only) {
        return lt_http_next_body_filter(LT_HTTP_FILTER_COMPRESS, r, in);
    }

    c = r->connection;

    if (ctx->state == NULL) {
        cln = lt_pool_cleanup_add(r->pool, 0);
        if (cln == NULL) {
            goto failed;
        }

        cln->handler = lt_http_compress_cleanup;
        cln->data = ctx;

        if (lt_http_compress_need[ctx->k->encoding]) {
            lt_http_compress_get_block(&ctx->mem, lt_http_compress_need[ctx->k->encoding],
                                       c->log);
        }

        ctx->state = ctx->k->start(r, ctx->conf, ctx->length, &ctx->mem);
        if (ctx->state == NULL) {
            goto failed;
        }
    }

    if (in && lt_chain_add_copy(r->pool, &ctx->in, in) != LT_OK) {
        goto failed;
    }

    for ( ;; ) {
        deflated = lt_http_compress_deflate(r, ctx);

        if (deflated == LT_ERROR) {
            goto failed;
        }

        if (ctx->out == NULL && r->out == NULL
            && !(c->buffered & LT_HTTP_LOWLEVEL_BUFFERED & ~LT_HTTP_GZIP_BUFFERED))
        {
            /* nothing new for the client yet (zlib keeps what it read) */
            rc = ctx->busy ? LT_AGAIN : LT_OK;

        } else {
            rc = lt_http_next_body_filter(LT_HTTP_FILTER_COMPRESS, r, ctx->out);
        }

        if (rc == LT_ERROR) {
            goto failed;
        }

        lt_chain_update_chains(r->pool, &ctx->free, &ctx->busy, &ctx->out,
                               (lt_buf_tag_t) &lt_http_compress_module);
        ctx->last_out = &ctx->out;

        c->buffered &= ~LT_HTTP_GZIP_BUFFERED;

        if (ctx->done) {
            lt_log_debug(c->log, "http compress: %s, %lld bytes in, %lld out, "
                         "%zu bytes of encoder memory",
                         lt_http_encoding_name(ctx->k->encoding)->data,
                         (long long) ctx->bytes_in, (long long) ctx->bytes_out,
                         ctx->mem.allocated);
            return rc;
        }

        if (deflated == LT_OK) {
            /* all input used: wait for more (the last buffer ends the stream) */
            return rc;
        }

        /* out of output buffers: go on if sending freed some, else stay buffered
         * and wait for the writer to call again once the client has read */
        if (ctx->free == NULL) {
            c->buffered |= LT_HTTP_GZIP_BUFFERED;
            return LT_AGAIN;
        }
    }

failed:

    ctx->done = 1;
    lt_http_compress_end(ctx);
    c->buffered &= ~LT_HTTP_GZIP_BUFFERED;

    return LT_ERROR;
}


/* $gzip_ratio, $brotli_ratio, $zstd_ratio: original size / compressed size, "%d.%02d" */
static int
lt_http_compress_ratio_variable(lt_http_request_t *r, lt_http_variable_value_t *v,
    uintptr_t data)
{
    off_t                    ratio;
    lt_http_compress_ctx_t  *ctx;

    ctx = lt_http_get_module_ctx(r, lt_http_compress_module);

    if (ctx == NULL || !ctx->done || ctx->k->encoding != (lt_http_encoding_e) data
        || ctx->bytes_out == 0)
    {
        v->not_found = 1;
        return LT_OK;
    }

    v->data = lt_pnalloc(r->pool, LT_INT64_LEN + 4);
    if (v->data == NULL) {
        return LT_ERROR;
    }

    /* in hundredths, rounded */
    ratio = (ctx->bytes_in * 100 + ctx->bytes_out / 2) / ctx->bytes_out;

    v->len = lt_slprintf(v->data, v->data + LT_INT64_LEN + 4, "%lld.%02lld",
                         (long long) (ratio / 100), (long long) (ratio % 100)) - v->data;
    v->valid = 1;
    v->no_cacheable = 0;
    v->not_found = 0;

    return LT_OK;
}


static int
lt_http_compress_add_variables(lt_conf_t *cf)
{
    size_t               i;
    lt_http_variable_t  *var;

    static struct {
        lt_str_t            name;
        lt_http_encoding_e  enc;
    } vars[] = {
        { lt_string("gzip_ratio"), LT_HTTP_ENC_GZIP },
        { lt_string("brotli_ratio"), LT_HTTP_ENC_BR },
        { lt_string("zstd_ratio"), LT_HTTP_ENC_ZSTD },
    };

    for (i = 0; i < lt_nelts(vars); i++) {
        var = lt_http_add_variable(cf, &vars[i].name, LT_HTTP_VAR_NOCACHEABLE);
        if (var == NULL) {
            return LT_ERROR;
        }

        var->get_handler = lt_http_compress_ratio_variable;
        var->data = vars[i].enc;
    }

    return LT_OK;
}


static int
lt_http_compress_init(lt_conf_t *cf)
{
    (void) cf;

    lt_http_register_filter(LT_HTTP_FILTER_COMPRESS, lt_http_compress_header_filter,
                            lt_http_compress_body_filter);
    return LT_OK;
}


/* configuration */

void
lt_http_compress_init_conf(lt_http_compress_conf_t *conf)
{
    /* bufs stay zeroed: unset while num is 0 */
    conf->enable = LT_CONF_UNSET;
    conf->types = LT_CONF_UNSET_PTR;
    conf->min_length = LT_CONF_UNSET;
}


char *
lt_http_compress_merge_conf(lt_conf_t *cf, lt_http_compress_conf_t *conf,
    lt_http_compress_conf_t *prev, const lt_http_types_default_t *types)
{
    lt_conf_merge_value(conf->enable, prev->enable, 0);
    lt_conf_merge_value(conf->min_length, prev->min_length, 20);
    lt_conf_merge_bufs_value(conf->bufs, prev->bufs, (128 * 1024) / lt_pagesize,
                             lt_pagesize);

    return lt_http_merge_types(cf, &conf->types, &prev->types, types);
}


/* "512", "32k", "16m" */
static void
lt_http_compress_size_text(size_t size, char *buf, size_t len)
{
    if (size >= 1024 * 1024 && size % (1024 * 1024) == 0) {
        (void) snprintf(buf, len, "%zum", size / (1024 * 1024));

    } else if (size >= 1024 && size % 1024 == 0) {
        (void) snprintf(buf, len, "%zuk", size / 1024);

    } else {
        (void) snprintf(buf, len, "%zu", size);
    }
}


char *
lt_http_compress_pow2_slot(lt_conf_t *cf, lt_command_t *cmd, void *conf)
{
    char                           low[32], high[32];
    size_t                         bits, *field;
    int64_t                        n;
    lt_str_t                      *value;
    const lt_http_compress_pow2_t  *b = cmd->post;

    field = (size_t *) ((char *) conf + cmd->offset);

    if (*field != LT_CONF_UNSET_SIZE) {
        return "is duplicate";
    }

    value = cf->args->elts;
    n = lt_parse_size(&value[1]);

    for (bits = b->min_bits; n != LT_ERROR && bits <= b->max_bits; bits++) {
        if (n == (int64_t) 1 << bits) {
            *field = bits - b->min_bits + b->param_min;
            return LT_CONF_OK;
        }
    }

    lt_http_compress_size_text((size_t) 1 << b->min_bits, low, sizeof(low));
    lt_http_compress_size_text((size_t) 1 << b->max_bits, high, sizeof(high));

    lt_conf_log_error(LT_LOG_EMERG, cf, 0, "invalid value \"%s\" in \"%s\" directive, "
                      "it must be a power of two between %s and %s",
                      value[1].data, cmd->name, low, high);

    return LT_CONF_ERROR;
}

static char *
lt_http_compress_disable(lt_conf_t *cf, lt_command_t *cmd, void *conf)
{
    size_t                        i;
    lt_str_t                     *value;
    lt_regex_t                  **re;
    lt_regex_compile_t            rc;
    lt_http_compress_loc_conf_t  *lcf = conf;

    (void) cmd;

    if (lcf->disable_msie6 == LT_CONF_UNSET) {
        lcf->disable_msie6 = 0;
    }

    value = cf->args->elts;

    for (i = 1; i < cf->args->nelts; i++) {

        if (lt_str_eq(&value[i], "msie6")) {
            lcf->disable_msie6 = 1;
            continue;
        }

        if (lcf->disable == NULL || lcf->disable == LT_CONF_UNSET_PTR) {
            lcf->disable = lt_array_create(cf->pool, 2, sizeof(lt_regex_t *));
            if (lcf->disable == NULL) {
                return LT_CONF_ERROR;
            }
        }

        lt_memzero(&rc, sizeof(lt_regex_compile_t));
        rc.pattern = value[i];
        rc.pool = cf->pool;
        rc.options = LT_REGEX_CASELESS;

        if (lt_regex_compile(&rc) != LT_OK) {
            lt_conf_log_error(LT_LOG_EMERG, cf, 0, "%.*s", (int) rc.err.len, rc.err.data);
            return LT_CONF_ERROR;
        }

        re = lt_array_push(lcf->disable);
        if (re == NULL) {
            return LT_CONF_ERROR;
        }

        *re = rc.regex;
    }

    if (lcf->disable == LT_CONF_UNSET_PTR) {
        lcf->disable = NULL;
    }

    return LT_CONF_OK;
}


static char *
lt_http_compress_order_directive(lt_conf_t *cf, lt_command_t *cmd, void *conf)
{
    int                           enc;
    size_t                        i, j;
    lt_str_t                     *value;
    lt_http_compress_loc_conf_t  *lcf = conf;

    if (lcf->order_set != LT_CONF_UNSET) {
        return "is duplicate";
    }

    value = cf->args->elts;

    for (i = 0; i < LT_HTTP_ENC_N - 1; i++) {
        lcf->order.order[i] = LT_HTTP_ENC_IDENTITY;
    }

    for (i = 1; i < cf->args->nelts; i++) {
        enc = lt_http_encoding_by_name(value[i].data, value[i].len);

        if (enc == LT_ERROR || enc == LT_HTTP_ENC_IDENTITY) {
            lt_conf_log_error(LT_LOG_EMERG, cf, 0, "invalid value \"%s\" in \"%s\" directive, "
                              "it must be \"gzip\", \"br\" or \"zstd\"",
                              value[i].data, cmd->name);
            return LT_CONF_ERROR;
        }

        for (j = 0; j < i - 1; j++) {
            if (lcf->order.order[j] == enc) {
                lt_conf_log_error(LT_LOG_EMERG, cf, 0, "duplicate \"%s\" in \"%s\" directive",
                                  value[i].data, cmd->name);
                return LT_CONF_ERROR;
            }
        }

        lcf->order.order[i - 1] = (uint8_t) enc;
    }

    lcf->order_set = 1;

    return LT_CONF_OK;
}


static void *
lt_http_compress_create_main_conf(lt_conf_t *cf)
{
    lt_http_compress_main_conf_t  *cmcf;

    cmcf = lt_pcalloc(cf->pool, sizeof(lt_http_compress_main_conf_t));
    if (cmcf == NULL) {
        return NULL;
    }

    if (lt_array_init(&cmcf->compressors, cf->pool, 4, sizeof(lt_http_compressor_t *))
        != LT_OK)
    {
        return NULL;
    }

    return cmcf;
}


static void *
lt_http_compress_create_loc_conf(lt_conf_t *cf)
{
    lt_http_compress_loc_conf_t  *lcf;

    lcf = lt_pcalloc(cf->pool, sizeof(lt_http_compress_loc_conf_t));
    if (lcf == NULL) {
        return NULL;
    }

    /* zeroed: proxied (bitmask: 0 is unset) */
    lcf->vary = LT_CONF_UNSET;
    lcf->http_version = LT_CONF_UNSET_UINT;
    lcf->disable = LT_CONF_UNSET_PTR;
    lcf->disable_msie6 = LT_CONF_UNSET;
    lcf->order_set = LT_CONF_UNSET;

    return lcf;
}


static char *
lt_http_compress_merge_loc_conf(lt_conf_t *cf, void *parent, void *child)
{
    lt_http_compress_loc_conf_t  *prev = parent;
    lt_http_compress_loc_conf_t  *conf = child;

    (void) cf;

    lt_conf_merge_value(conf->vary, prev->vary, 0);
    lt_conf_merge_uint_value(conf->http_version, prev->http_version, LT_HTTP_VERSION_11);
    lt_conf_merge_bitmask_value(conf->proxied, prev->proxied, LT_HTTP_COMPRESS_PROXIED_OFF);

    if (conf->disable == LT_CONF_UNSET_PTR && conf->disable_msie6 == LT_CONF_UNSET) {
        conf->disable = (prev->disable == LT_CONF_UNSET_PTR) ? NULL : prev->disable;
        conf->disable_msie6 = (prev->disable_msie6 == LT_CONF_UNSET) ? 0 : prev->disable_msie6;

    } else if (conf->disable == LT_CONF_UNSET_PTR) {
        conf->disable = NULL;
    }

    if (conf->order_set == LT_CONF_UNSET) {
        if (prev->order_set == 1) {
            conf->order = prev->order;
            conf->order_set = 1;

        } else {
            conf->order_set = 0;
        }
    }

    return LT_CONF_OK;
}
