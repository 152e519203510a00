/*
 * zstd.c: zstd compression of responses on the fly (Content-Encoding: zstd), with
 * libzstd's streaming API. Directives: zstd, zstd_types, zstd_comp_level,
 * zstd_min_length, zstd_buffers (the names and defaults of the zstd module for
 * nginx) and zstd_window. The negotiation, headers, buffers and the shared settings
 * (gzip_vary, gzip_proxied, gzip_disable, gzip_http_version, compression_order) are
 * the compression filter's, in http/lt_http_compress.c; this module drives the
 * encoder as a stream.
 *
 * Memory: the context (window buffer, hash and chain tables, a block of output) is
 * allocated through lt_http_compress_alloc, from the worker's block cache or the
 * request's pool. A known body length is pledged to the encoder, which then sizes its
 * window and tables to the body (and writes the length into the frame header). The
 * window never exceeds 8 MiB, the most an HTTP client has to accept (RFC 9659): the
 * levels 20 to 22 would use up to 128 MiB.
 */

#define ZSTD_STATIC_LINKING_ONLY    /* ZSTD_createCCtx_advanced, ZSTD_getCParams */
#include <zstd.h>

#include "lt_http.h"
#include "lt_http_compress.h"

/* RFC 9659: a zstd content coding uses a window of at most 8 MiB */
#define LT_HTTP_ZSTD_MAX_WINDOWLOG  23
#define LT_HTTP_ZSTD_MIN_WINDOWLOG  10

/* the level's unset marker: LT_CONF_UNSET (-1) is a valid fast level */
#define LT_HTTP_ZSTD_LEVEL_UNSET    INT_MIN

typedef struct {
    lt_http_compress_conf_t  common;    /* first: read by the compression filter */
    int                      level;
    size_t                   wlog;      /* 0: the level's own, at most 8 MiB */
} lt_http_zstd_conf_t;

static int lt_http_zstd_init(lt_conf_t *cf);
static void *lt_http_zstd_create_conf(lt_conf_t *cf);
static char *lt_http_zstd_merge_conf(lt_conf_t *cf, void *parent, void *child);
static char *lt_http_zstd_level(lt_conf_t *cf, lt_command_t *cmd, void *conf);

static lt_str_t  lt_http_zstd_default_type_list[] = {
    lt_string("text/html"),
};

static lt_http_types_default_t  lt_http_zstd_default_types = {
    lt_http_zstd_default_type_list, lt_nelts(lt_http_zstd_default_type_list)
};

/* zstd_window 1k..8m: windowLog 10..23 */
static const lt_http_compress_pow2_t  lt_http_zstd_window_bounds = {
    LT_HTTP_ZSTD_MIN_WINDOWLOG, LT_HTTP_ZSTD_MAX_WINDOWLOG, LT_HTTP_ZSTD_MIN_WINDOWLOG
};

static lt_command_t  lt_http_zstd_commands[] = {

    { "zstd", LT_HTTP_ANY_CONF | LT_CTX_LIF, 1, 1, lt_conf_set_flag_slot, LT_LOC_CONF,
      offsetof(lt_http_zstd_conf_t, common.enable), NULL },

    /* repeated: the types add up; a level with it replaces the parent's list */
    { "zstd_types", LT_HTTP_ANY_CONF, 1, LT_CONF_MANY, lt_http_types_slot, LT_LOC_CONF,
      offsetof(lt_http_zstd_conf_t, common.types), &lt_http_zstd_default_types },

    { "zstd_comp_level", LT_HTTP_ANY_CONF, 1, 1, lt_http_zstd_level, LT_LOC_CONF,
      offsetof(lt_http_zstd_conf_t, level), NULL },

    { "zstd_min_length", LT_HTTP_ANY_CONF, 1, 1, lt_conf_set_off_slot, LT_LOC_CONF,
      offsetof(lt_http_zstd_conf_t, common.min_length), NULL },

    { "zstd_buffers", LT_HTTP_ANY_CONF, 2, 2, lt_conf_set_bufs_slot, LT_LOC_CONF,
      offsetof(lt_http_zstd_conf_t, common.bufs), NULL },

    { "zstd_window", LT_HTTP_ANY_CONF, 1, 1, lt_http_compress_pow2_slot, LT_LOC_CONF,
      offsetof(lt_http_zstd_conf_t, wlog), (void *) &lt_http_zstd_window_bounds },

    lt_null_command
};

lt_module_t  lt_http_zstd_module = {
    .name = "http_zstd",
    .type = LT_HTTP_MODULE,
    .commands = lt_http_zstd_commands,
    .postconfiguration = lt_http_zstd_init,
    .create_loc_conf = lt_http_zstd_create_conf,
    .merge_loc_conf = lt_http_zstd_merge_conf,
};


static void *
lt_http_zstd_alloc(void *opaque, size_t size)
{
    return lt_http_compress_alloc(opaque, size);
}


static void
lt_http_zstd_free(void *opaque, void *address)
{
    lt_http_compress_free(opaque, address);
}


/* lt_http_zstd_param: one ZSTD_CCtx_setParameter, logged when it fails */
static int
lt_http_zstd_param(lt_http_request_t *r, ZSTD_CCtx *cctx, ZSTD_cParameter p, int value)
{
    size_t  rc;

    rc = ZSTD_CCtx_setParameter(cctx, p, value);

    if (ZSTD_isError(rc)) {
        lt_log_error(LT_LOG_ALERT, r->connection->log, 0,
                     "ZSTD_CCtx_setParameter(%d, %d) failed: %s", (int) p, value,
                     ZSTD_getErrorName(rc));
        return LT_ERROR;
    }

    return LT_OK;
}


/* lt_http_zstd_window_params: zstd_window, or the 8 MiB cap when the level's window
 * for this length (for an unknown one: the level's largest) is above it; the hash and
 * chain tables shrink with the window as zstd would for a body that size (level 22
 * would otherwise keep 640 MiB of tables for an 8 MiB window) */
static int
lt_http_zstd_window_params(lt_http_request_t *r, ZSTD_CCtx *cctx, lt_http_zstd_conf_t *conf,
    off_t length)
{
    ZSTD_compressionParameters  cp;

    cp = ZSTD_getCParams(conf->level, length > 0 ? (unsigned long long) length : 0, 0);

    if (conf->wlog) {
        cp.windowLog = (unsigned) conf->wlog;

    } else if (cp.windowLog > LT_HTTP_ZSTD_MAX_WINDOWLOG) {
        cp.windowLog = LT_HTTP_ZSTD_MAX_WINDOWLOG;

    } else {
        return LT_OK;
    }

    /* zstd's own rule for a body that fits the window (ZSTD_adjustCParams does not
     * apply it to an unknown length): the hash at most twice the window, the chain's
     * cycle (half of it for the binary-tree strategies) at most the window */
    if (cp.hashLog > cp.windowLog + 1) {
        cp.hashLog = cp.windowLog + 1;
    }

    if (cp.chainLog > cp.windowLog + (cp.strategy >= ZSTD_btlazy2)) {
        cp.chainLog = cp.windowLog + (cp.strategy >= ZSTD_btlazy2);
    }

    if (lt_http_zstd_param(r, cctx, ZSTD_c_windowLog, (int) cp.windowLog) != LT_OK
        || lt_http_zstd_param(r, cctx, ZSTD_c_hashLog, (int) cp.hashLog) != LT_OK
        || lt_http_zstd_param(r, cctx, ZSTD_c_chainLog, (int) cp.chainLog) != LT_OK)
    {
        return LT_ERROR;
    }

    return LT_OK;
}


static void *
lt_http_zstd_start(lt_http_request_t *r, lt_http_compress_conf_t *common, off_t length,
    lt_http_compress_mem_t *mem)
{
    size_t                rc;
    ZSTD_CCtx            *cctx;
    ZSTD_customMem        cmem;
    lt_http_zstd_conf_t  *conf = (lt_http_zstd_conf_t *) common;

    cmem.customAlloc = lt_http_zstd_alloc;
    cmem.customFree = lt_http_zstd_free;
    cmem.opaque = mem;

    cctx = ZSTD_createCCtx_advanced(cmem);
    if (cctx == NULL) {
        lt_log_error(LT_LOG_ALERT, r->connection->log, 0,
                     "ZSTD_createCCtx_advanced() failed");
        return NULL;
    }

    if (lt_http_zstd_param(r, cctx, ZSTD_c_compressionLevel, conf->level) != LT_OK) {
        goto failed;
    }

    if (lt_http_zstd_window_params(r, cctx, conf, length) != LT_OK) {
        goto failed;
    }

    if (length >= 0) {
        /* the encoder sizes its window and tables to the body */
        rc = ZSTD_CCtx_setPledgedSrcSize(cctx, (unsigned long long) length);

        if (ZSTD_isError(rc)) {
            lt_log_error(LT_LOG_ALERT, r->connection->log, 0,
                         "ZSTD_CCtx_setPledgedSrcSize() failed: %s", ZSTD_getErrorName(rc));
            goto failed;
        }
    }

    return cctx;

failed:

    ZSTD_freeCCtx(cctx);

    return NULL;
}


static int
lt_http_zstd_run(lt_http_request_t *r, void *state, lt_http_compress_io_t *io,
    lt_http_compress_op_e op)
{
    size_t              rc;
    ZSTD_inBuffer       in;
    ZSTD_outBuffer      out;
    ZSTD_EndDirective   mode;

    mode = (op == LT_HTTP_COMPRESS_FINISH) ? ZSTD_e_end
           : (op == LT_HTTP_COMPRESS_FLUSH) ? ZSTD_e_flush : ZSTD_e_continue;

    in.src = io->next_in;
    in.size = io->avail_in;
    in.pos = 0;
    out.dst = io->next_out;
    out.size = io->avail_out;
    out.pos = 0;

    /* the filter keeps the input of a flush or end until it is done, as zstd asks */
    rc = ZSTD_compressStream2(state, &out, &in, mode);

    if (ZSTD_isError(rc)) {
        lt_log_error(LT_LOG_ALERT, r->connection->log, 0,
                     "ZSTD_compressStream2() failed: %s", ZSTD_getErrorName(rc));
        return LT_ERROR;
    }

    io->next_in += in.pos;
    io->avail_in -= in.pos;
    io->next_out += out.pos;
    io->avail_out -= out.pos;

    if (op == LT_HTTP_COMPRESS_RUN) {
        return LT_OK;
    }

    /* flush and end: 0 once all input is taken and everything written */
    return (rc == 0 && io->avail_in == 0) ? LT_DONE : LT_OK;
}


static void
lt_http_zstd_end(void *state)
{
    (void) ZSTD_freeCCtx(state);
}


static const lt_http_compressor_t  lt_http_zstd_compressor = {
    .encoding = LT_HTTP_ENC_ZSTD,
    .module = &lt_http_zstd_module,
    .start = lt_http_zstd_start,
    .run = lt_http_zstd_run,
    .end = lt_http_zstd_end,
};


static int
lt_http_zstd_init(lt_conf_t *cf)
{
    return lt_http_compress_register(cf, &lt_http_zstd_compressor);
}


/* zstd_comp_level: 1..22 (ZSTD_maxCLevel), or a negative "fast" level down to
 * ZSTD_minCLevel; 0 (zstd's "default") is refused to keep the level explicit */
static char *
lt_http_zstd_level(lt_conf_t *cf, lt_command_t *cmd, void *conf)
{
    int        *field, neg;
    int64_t     n;
    lt_str_t   *value, digits;

    field = (int *) ((char *) conf + cmd->offset);

    if (*field != LT_HTTP_ZSTD_LEVEL_UNSET) {
        return "is duplicate";
    }

    value = cf->args->elts;
    digits = value[1];
    neg = (digits.len > 1 && digits.data[0] == '-');

    if (neg) {
        digits.data++;
        digits.len--;
    }

    n = lt_atoi(digits.data, digits.len);

    if (n != LT_ERROR) {
        n = neg ? -n : n;

        if (n != 0 && n >= ZSTD_minCLevel() && n <= ZSTD_maxCLevel()) {
            *field = (int) n;
            return LT_CONF_OK;
        }
    }

    lt_conf_log_error(LT_LOG_EMERG, cf, 0, "invalid value \"%s\" in \"%s\" directive, "
                      "it must be between 1 and %d, or a negative level down to %d",
                      value[1].data, cmd->name, ZSTD_maxCLevel(), ZSTD_minCLevel());

    return LT_CONF_ERROR;
}


static void *
lt_http_zstd_create_conf(lt_conf_t *cf)
{
    lt_http_zstd_conf_t  *conf;

    conf = lt_pcalloc(cf->pool, sizeof(lt_http_zstd_conf_t));
    if (conf == NULL) {
        return NULL;
    }

    lt_http_compress_init_conf(&conf->common);
    conf->level = LT_HTTP_ZSTD_LEVEL_UNSET;
    conf->wlog = LT_CONF_UNSET_SIZE;

    return conf;
}


static char *
lt_http_zstd_merge_conf(lt_conf_t *cf, void *parent, void *child)
{
    lt_http_zstd_conf_t  *prev = parent;
    lt_http_zstd_conf_t  *conf = child;

    if (conf->level == LT_HTTP_ZSTD_LEVEL_UNSET) {
        conf->level = (prev->level == LT_HTTP_ZSTD_LEVEL_UNSET) ? 1 : prev->level;
    }

    lt_conf_merge_size_value(conf->wlog, prev->wlog, 0);

    return lt_http_compress_merge_conf(cf, &conf->common, &prev->common,
                                       &lt_http_zstd_default_types);
}
