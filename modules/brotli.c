/*
 * brotli.c: brotli compression of responses on the fly (Content-Encoding: br), with
 * libbrotlienc's streaming encoder. Directives: brotli, brotli_types,
 * brotli_comp_level, brotli_min_length, brotli_window, brotli_buffers (the names and
 * defaults of the brotli module for nginx, except the default level: see
 * docs/brotli.md). The negotiation, headers, buffers and the shared settings
 * (gzip_vary, gzip_proxied, gzip_disable, gzip_http_version, compression_order) are
 * the compression filter's, in http/lt_http_compress.c; this module drives the
 * encoder as a stream.
 *
 * Memory: the encoder allocates its ring buffer (about the window plus a block), its
 * hash tables (depending on the level) and its output storage through
 * lt_http_compress_alloc, so everything comes from the worker's block cache or the
 * request's pool. For a body of known length the window is the smallest power of two
 * that holds it (at least 1 KiB, at most brotli_window) and the encoder gets the
 * length as a size hint.
 */

#include <brotli/encode.h>

#include "lt_http.h"
#include "lt_http_compress.h"

typedef struct {
    lt_http_compress_conf_t  common;    /* first: read by the compression filter */
    int                      level;
    size_t                   lgwin;
} lt_http_brotli_conf_t;

static int lt_http_brotli_init(lt_conf_t *cf);
static void *lt_http_brotli_create_conf(lt_conf_t *cf);
static char *lt_http_brotli_merge_conf(lt_conf_t *cf, void *parent, void *child);

/* the default level: chosen by measurement (bench/compress_levels.c, docs/brotli.md) */
#define LT_HTTP_BROTLI_DEFAULT_LEVEL  5

/* the default window: 512 KiB, as the brotli module for nginx */
#define LT_HTTP_BROTLI_DEFAULT_LGWIN  19

static lt_str_t  lt_http_brotli_default_type_list[] = {
    lt_string("text/html"),
};

static lt_http_types_default_t  lt_http_brotli_default_types = {
    lt_http_brotli_default_type_list, lt_nelts(lt_http_brotli_default_type_list)
};

static const lt_conf_num_bounds_t  lt_http_brotli_level_bounds = {
    BROTLI_MIN_QUALITY, BROTLI_MAX_QUALITY
};

/* brotli_window 1k..16m: lgwin 10..24 */
static const lt_http_compress_pow2_t  lt_http_brotli_window_bounds = {
    BROTLI_MIN_WINDOW_BITS, BROTLI_MAX_WINDOW_BITS, BROTLI_MIN_WINDOW_BITS
};

static lt_command_t  lt_http_brotli_commands[] = {

    { "brotli", LT_HTTP_ANY_CONF | LT_CTX_LIF, 1, 1, lt_conf_set_flag_slot, LT_LOC_CONF,
      offsetof(lt_http_brotli_conf_t, common.enable), NULL },

    /* repeated: the types add up; a level with it replaces the parent's list */
    { "brotli_types", LT_HTTP_ANY_CONF, 1, LT_CONF_MANY, lt_http_types_slot, LT_LOC_CONF,
      offsetof(lt_http_brotli_conf_t, common.types), &lt_http_brotli_default_types },

    { "brotli_comp_level", LT_HTTP_ANY_CONF, 1, 1, lt_conf_set_int_slot, LT_LOC_CONF,
      offsetof(lt_http_brotli_conf_t, level), (void *) &lt_http_brotli_level_bounds },

    { "brotli_min_length", LT_HTTP_ANY_CONF, 1, 1, lt_conf_set_off_slot, LT_LOC_CONF,
      offsetof(lt_http_brotli_conf_t, common.min_length), NULL },

    { "brotli_window", LT_HTTP_ANY_CONF, 1, 1, lt_http_compress_pow2_slot, LT_LOC_CONF,
      offsetof(lt_http_brotli_conf_t, lgwin), (void *) &lt_http_brotli_window_bounds },

    { "brotli_buffers", LT_HTTP_ANY_CONF, 2, 2, lt_conf_set_bufs_slot, LT_LOC_CONF,
      offsetof(lt_http_brotli_conf_t, common.bufs), NULL },

    lt_null_command
};

lt_module_t  lt_http_brotli_module = {
    .name = "http_brotli",
    .type = LT_HTTP_MODULE,
    .commands = lt_http_brotli_commands,
    .postconfiguration = lt_http_brotli_init,
    .create_loc_conf = lt_http_brotli_create_conf,
    .merge_loc_conf = lt_http_brotli_merge_conf,
};


static void *
lt_http_brotli_alloc(void *opaque, size_t size)
{
    return lt_http_compress_alloc(opaque, size);
}


static void
lt_http_brotli_free(void *opaque, void *address)
{
    lt_http_compress_free(opaque, address);
}


static void *
lt_http_brotli_start(lt_http_request_t *r, lt_http_compress_conf_t *common, off_t length,
    lt_http_compress_mem_t *mem)
{
    int                     lgwin;
    lt_http_brotli_conf_t  *conf = (lt_http_brotli_conf_t *) common;
    BrotliEncoderState     *s;

    s = BrotliEncoderCreateInstance(lt_http_brotli_alloc, lt_http_brotli_free, mem);
    if (s == NULL) {
        lt_log_error(LT_LOG_ALERT, r->connection->log, 0,
                     "BrotliEncoderCreateInstance() failed");
        return NULL;
    }

    lgwin = (int) conf->lgwin;

    if (length >= 0) {
        /* a window larger than the body buys nothing (brotli keeps 16 bytes of it) */
        while (lgwin > BROTLI_MIN_WINDOW_BITS
               && length <= ((off_t) 1 << (lgwin - 1)) - 16)
        {
            lgwin--;
        }

        if (length > 0) {
            (void) BrotliEncoderSetParameter(s, BROTLI_PARAM_SIZE_HINT,
                                             length < (1 << 30) ? (uint32_t) length
                                                                : 1u << 30);
        }
    }

    if (!BrotliEncoderSetParameter(s, BROTLI_PARAM_QUALITY, (uint32_t) conf->level)
        || !BrotliEncoderSetParameter(s, BROTLI_PARAM_LGWIN, (uint32_t) lgwin))
    {
        lt_log_error(LT_LOG_ALERT, r->connection->log, 0,
                     "BrotliEncoderSetParameter() failed");
        BrotliEncoderDestroyInstance(s);
        return NULL;
    }

    return s;
}


static int
lt_http_brotli_run(lt_http_request_t *r, void *state, lt_http_compress_io_t *io,
    lt_http_compress_op_e op)
{
    BrotliEncoderState      *s = state;
    BrotliEncoderOperation   bop;

    bop = (op == LT_HTTP_COMPRESS_FINISH) ? BROTLI_OPERATION_FINISH
          : (op == LT_HTTP_COMPRESS_FLUSH) ? BROTLI_OPERATION_FLUSH
          : BROTLI_OPERATION_PROCESS;

    /* the filter keeps the input of a flush or finish until it is done, as brotli
     * asks; the output pointers are io's own */
    if (!BrotliEncoderCompressStream(s, bop, &io->avail_in, &io->next_in,
                                     &io->avail_out, &io->next_out, NULL))
    {
        lt_log_error(LT_LOG_ALERT, r->connection->log, 0,
                     "BrotliEncoderCompressStream() failed: %d", (int) bop);
        return LT_ERROR;
    }

    switch (op) {

    case LT_HTTP_COMPRESS_FINISH:
        return BrotliEncoderIsFinished(s) ? LT_DONE : LT_OK;

    case LT_HTTP_COMPRESS_FLUSH:
        return (io->avail_in == 0 && !BrotliEncoderHasMoreOutput(s)) ? LT_DONE : LT_OK;

    default:
        return LT_OK;
    }
}


static void
lt_http_brotli_end(void *state)
{
    BrotliEncoderDestroyInstance(state);
}


static const lt_http_compressor_t  lt_http_brotli_compressor = {
    .encoding = LT_HTTP_ENC_BR,
    .module = &lt_http_brotli_module,
    .start = lt_http_brotli_start,
    .run = lt_http_brotli_run,
    .end = lt_http_brotli_end,
};


static int
lt_http_brotli_init(lt_conf_t *cf)
{
    return lt_http_compress_register(cf, &lt_http_brotli_compressor);
}


static void *
lt_http_brotli_create_conf(lt_conf_t *cf)
{
    lt_http_brotli_conf_t  *conf;

    conf = lt_pcalloc(cf->pool, sizeof(lt_http_brotli_conf_t));
    if (conf == NULL) {
        return NULL;
    }

    lt_http_compress_init_conf(&conf->common);
    conf->level = LT_CONF_UNSET;
    conf->lgwin = LT_CONF_UNSET_SIZE;

    return conf;
}


static char *
lt_http_brotli_merge_conf(lt_conf_t *cf, void *parent, void *child)
{
    lt_http_brotli_conf_t  *prev = parent;
    lt_http_brotli_conf_t  *conf = child;

    lt_conf_merge_value(conf->level, prev->level, LT_HTTP_BROTLI_DEFAULT_LEVEL);
    lt_conf_merge_size_value(conf->lgwin, prev->lgwin, LT_HTTP_BROTLI_DEFAULT_LGWIN);

    return lt_http_compress_merge_conf(cf, &conf->common, &prev->common,
                                       &lt_http_brotli_default_types);
}
