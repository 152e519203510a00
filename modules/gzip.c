/*
 * gzip.c: gzip compression of responses on the fly, with zlib (nginx's gzip module:
 * gzip, gzip_types, gzip_comp_level, gzip_min_length, gzip_buffers, gzip_window,
 * gzip_hash). The negotiation, headers, buffers and the shared directives
 * (gzip_vary, gzip_proxied, gzip_disable, gzip_http_version) are the compression
 * filter's, in http/lt_http_compress.c; this module drives zlib as a stream.
 *
 * Memory: zlib allocates its window (2 << wbits), hash (2 << (memlevel + 7) twice)
 * and pending buffer (4 << (memlevel + 6)) from the request's pool; for a body of
 * known small length both shrink as nginx does (about 268 KiB per stream at the
 * defaults, a few KiB for a small page).
 */

#include <zlib.h>

#include "lt_http.h"
#include "lt_http_compress.h"

typedef struct {
    lt_http_compress_conf_t  common;    /* first: read by the compression filter */
    int                      level;
    size_t                   wbits;
    size_t                   memlevel;
    size_t                   postpone;
    int                      no_buffer;
} lt_http_gzip_conf_t;

typedef struct {
    z_stream                 zs;
    lt_http_compress_mem_t  *mem;
} lt_http_gzip_state_t;

static int lt_http_gzip_init(lt_conf_t *cf);
static void *lt_http_gzip_create_conf(lt_conf_t *cf);
static char *lt_http_gzip_merge_conf(lt_conf_t *cf, void *parent, void *child);

static lt_str_t  lt_http_gzip_default_type_list[] = {
    lt_string("text/html"),
};

static lt_http_types_default_t  lt_http_gzip_default_types = {
    lt_http_gzip_default_type_list, lt_nelts(lt_http_gzip_default_type_list)
};

static const lt_conf_num_bounds_t  lt_http_gzip_level_bounds = { 1, 9 };

/* gzip_window 512..32k: windowBits 9..15; gzip_hash 512..128k: memLevel 1..9 */
static const lt_http_compress_pow2_t  lt_http_gzip_window_bounds = { 9, 15, 9 };
static const lt_http_compress_pow2_t  lt_http_gzip_hash_bounds = { 9, 17, 1 };

static lt_command_t  lt_http_gzip_commands[] = {

    { "gzip", LT_HTTP_ANY_CONF | LT_CTX_LIF, 1, 1, lt_conf_set_flag_slot, LT_LOC_CONF,
      offsetof(lt_http_gzip_conf_t, common.enable), NULL },

    /* repeated: the types add up; a level with it replaces the parent's list */
    { "gzip_types", LT_HTTP_ANY_CONF, 1, LT_CONF_MANY, lt_http_types_slot, LT_LOC_CONF,
      offsetof(lt_http_gzip_conf_t, common.types), &lt_http_gzip_default_types },

    { "gzip_comp_level", LT_HTTP_ANY_CONF, 1, 1, lt_conf_set_int_slot, LT_LOC_CONF,
      offsetof(lt_http_gzip_conf_t, level), (void *) &lt_http_gzip_level_bounds },

    { "gzip_min_length", LT_HTTP_ANY_CONF, 1, 1, lt_conf_set_off_slot, LT_LOC_CONF,
      offsetof(lt_http_gzip_conf_t, common.min_length), NULL },

    { "gzip_buffers", LT_HTTP_ANY_CONF, 2, 2, lt_conf_set_bufs_slot, LT_LOC_CONF,
      offsetof(lt_http_gzip_conf_t, common.bufs), NULL },

    { "gzip_window", LT_HTTP_ANY_CONF, 1, 1, lt_http_compress_pow2_slot, LT_LOC_CONF,
      offsetof(lt_http_gzip_conf_t, wbits), (void *) &lt_http_gzip_window_bounds },

    { "gzip_hash", LT_HTTP_ANY_CONF, 1, 1, lt_http_compress_pow2_slot, LT_LOC_CONF,
      offsetof(lt_http_gzip_conf_t, memlevel), (void *) &lt_http_gzip_hash_bounds },

    /* accepted as nginx does; lintel compresses as data comes either way */
    { "postpone_gzipping", LT_HTTP_ANY_CONF, 1, 1, lt_conf_set_size_slot, LT_LOC_CONF,
      offsetof(lt_http_gzip_conf_t, postpone), NULL },

    { "gzip_no_buffer", LT_HTTP_ANY_CONF, 1, 1, lt_conf_set_flag_slot, LT_LOC_CONF,
      offsetof(lt_http_gzip_conf_t, no_buffer), NULL },

    lt_null_command
};

lt_module_t  lt_http_gzip_module = {
    .name = "http_gzip",
    .type = LT_HTTP_MODULE,
    .commands = lt_http_gzip_commands,
    .postconfiguration = lt_http_gzip_init,
    .create_loc_conf = lt_http_gzip_create_conf,
    .merge_loc_conf = lt_http_gzip_merge_conf,
};


static voidpf
lt_http_gzip_zalloc(voidpf opaque, uInt items, uInt size)
{
    return lt_http_compress_alloc(opaque, (size_t) items * size);
}


static void
lt_http_gzip_zfree(voidpf opaque, voidpf address)
{
    lt_http_compress_free(opaque, address);
}


static void *
lt_http_gzip_start(lt_http_request_t *r, lt_http_compress_conf_t *common, off_t length,
    lt_http_compress_mem_t *mem)
{
    int                    rc, wbits, memlevel;
    lt_http_gzip_conf_t   *conf = (lt_http_gzip_conf_t *) common;
    lt_http_gzip_state_t  *st;

    st = lt_pcalloc(r->pool, sizeof(lt_http_gzip_state_t));
    if (st == NULL) {
        return NULL;
    }

    wbits = (int) conf->wbits;
    memlevel = (int) conf->memlevel;

    /* a window larger than the body buys nothing: halve both while it fits */
    if (length > 0) {
        while (wbits > 9 && length < ((off_t) 1 << (wbits - 1)) - 262) {
            wbits--;
            memlevel--;
        }

        if (memlevel < 1) {
            memlevel = 1;
        }
    }

    st->mem = mem;
    st->zs.zalloc = lt_http_gzip_zalloc;
    st->zs.zfree = lt_http_gzip_zfree;
    st->zs.opaque = mem;

    /* windowBits + 16: zlib writes the gzip header and trailer */
    rc = deflateInit2(&st->zs, conf->level, Z_DEFLATED, wbits + 16, memlevel,
                      Z_DEFAULT_STRATEGY);

    if (rc != Z_OK) {
        lt_log_error(LT_LOG_ALERT, r->connection->log, 0, "deflateInit2() failed: %d", rc);
        return NULL;
    }

    return st;
}


static int
lt_http_gzip_run(lt_http_request_t *r, void *state, lt_http_compress_io_t *io,
    lt_http_compress_op_e op)
{
    int                    rc, flush;
    lt_http_gzip_state_t  *st = state;

    flush = (op == LT_HTTP_COMPRESS_FINISH) ? Z_FINISH
            : (op == LT_HTTP_COMPRESS_FLUSH) ? Z_SYNC_FLUSH : Z_NO_FLUSH;

    st->zs.next_in = (Bytef *) io->next_in;
    st->zs.avail_in = (uInt) io->avail_in;
    st->zs.next_out = io->next_out;
    st->zs.avail_out = (uInt) io->avail_out;

    rc = deflate(&st->zs, flush);

    io->next_in = st->zs.next_in;
    io->avail_in = st->zs.avail_in;
    io->next_out = st->zs.next_out;
    io->avail_out = st->zs.avail_out;

    if (rc != Z_OK && rc != Z_STREAM_END && rc != Z_BUF_ERROR) {
        lt_log_error(LT_LOG_ALERT, r->connection->log, 0, "deflate() failed: %d, %d",
                     flush, rc);
        return LT_ERROR;
    }

    switch (op) {

    case LT_HTTP_COMPRESS_FINISH:
        return (rc == Z_STREAM_END) ? LT_DONE : LT_OK;

    case LT_HTTP_COMPRESS_FLUSH:
        /* a sync flush is complete once zlib stops short of the output's end */
        return (io->avail_in == 0 && io->avail_out > 0) ? LT_DONE : LT_OK;

    default:
        return LT_OK;
    }
}


static void
lt_http_gzip_end(void *state)
{
    lt_http_gzip_state_t  *st = state;

    (void) deflateEnd(&st->zs);
}


static const lt_http_compressor_t  lt_http_gzip_compressor = {
    .encoding = LT_HTTP_ENC_GZIP,
    .module = &lt_http_gzip_module,
    .start = lt_http_gzip_start,
    .run = lt_http_gzip_run,
    .end = lt_http_gzip_end,
};


static int
lt_http_gzip_init(lt_conf_t *cf)
{
    return lt_http_compress_register(cf, &lt_http_gzip_compressor);
}


static void *
lt_http_gzip_create_conf(lt_conf_t *cf)
{
    lt_http_gzip_conf_t  *conf;

    conf = lt_pcalloc(cf->pool, sizeof(lt_http_gzip_conf_t));
    if (conf == NULL) {
        return NULL;
    }

    lt_http_compress_init_conf(&conf->common);
    conf->level = LT_CONF_UNSET;
    conf->wbits = LT_CONF_UNSET_SIZE;
    conf->memlevel = LT_CONF_UNSET_SIZE;
    conf->postpone = LT_CONF_UNSET_SIZE;
    conf->no_buffer = LT_CONF_UNSET;

    return conf;
}


static char *
lt_http_gzip_merge_conf(lt_conf_t *cf, void *parent, void *child)
{
    lt_http_gzip_conf_t  *prev = parent;
    lt_http_gzip_conf_t  *conf = child;

    lt_conf_merge_value(conf->level, prev->level, 1);
    lt_conf_merge_size_value(conf->wbits, prev->wbits, MAX_WBITS);
    lt_conf_merge_size_value(conf->memlevel, prev->memlevel, MAX_MEM_LEVEL - 1);
    lt_conf_merge_size_value(conf->postpone, prev->postpone, 0);
    lt_conf_merge_value(conf->no_buffer, prev->no_buffer, 0);

    return lt_http_compress_merge_conf(cf, &conf->common, &prev->common,
                                       &lt_http_gzip_default_types);
}
