/*
 * lt_http_compress.h: on-the-fly compression, shared by the gzip, brotli and zstd
 * modules.
 *
 * One filter (slot LT_HTTP_FILTER_COMPRESS) compresses a response with at most one
 * coding. Each compressing module registers a compressor (its coding, its location
 * settings, and three functions driving its library as a stream); for each response
 * the filter collects the codings whose module is on for the location and whose
 * types and minimum length the response meets, checks what every coding shares
 * (status, Content-Encoding, no-transform, gzip_http_version, gzip_proxied,
 * gzip_disable), lets the client's Accept-Encoding and compression_order choose, and
 * streams the body through the chosen compressor into the module's buffers.
 *
 * Directives of this module (nginx's names where nginx has them; they apply to every
 * coding, as brotli and zstd modules for nginx also read them): gzip_vary,
 * gzip_http_version, gzip_proxied, gzip_disable, and lintel's compression_order.
 * Variables: $gzip_ratio, $brotli_ratio, $zstd_ratio.
 */

#ifndef LT_HTTP_COMPRESS_H
#define LT_HTTP_COMPRESS_H

#include "lt_core.h"
#include "lt_http_request.h"
#include "lt_http_accept_encoding.h"
#include "lt_http_types.h"

/* the settings every compressing module has; first member of its loc conf */
typedef struct {
    int              enable;        /* gzip on */
    lt_array_t      *types;         /* lt_http_types_slot list */
    off_t            min_length;    /* against a known Content-Length (a size: "1k") */
    lt_bufs_t        bufs;          /* output buffers per request */
} lt_http_compress_conf_t;

typedef enum {
    LT_HTTP_COMPRESS_RUN = 0,       /* compress what there is */
    LT_HTTP_COMPRESS_FLUSH,         /* ... and make everything so far decodable */
    LT_HTTP_COMPRESS_FINISH         /* ... and end the stream */
} lt_http_compress_op_e;

typedef struct {
    const u_char    *next_in;
    size_t           avail_in;
    u_char          *next_out;
    size_t           avail_out;
} lt_http_compress_io_t;

/* the memory of one stream: the compressor's library allocates through these, so
 * everything comes from the request's pool and is counted */
typedef struct {
    lt_pool_t       *pool;
    size_t           allocated;     /* bytes, all allocations so far */

    /* a block from the worker's cache, carved from the start: a stream of a coding
     * gets one as large as the last streams of that coding needed, so the library's
     * memory is neither zeroed by the kernel nor given back on every response */
    void            *block;
    u_char          *pos;
    u_char          *start;
    u_char          *end;
} lt_http_compress_mem_t;

void *lt_http_compress_alloc(lt_http_compress_mem_t *mem, size_t size);
void lt_http_compress_free(lt_http_compress_mem_t *mem, void *p);

typedef struct {
    lt_http_encoding_e   encoding;
    lt_module_t         *module;    /* whose loc conf starts with lt_http_compress_conf_t */

    /* start: a new stream for r; length is the body's length, -1 when unknown (a hint
     * for smaller windows). Returns the stream's state, or NULL on failure (logged). */
    void *(*start)(lt_http_request_t *r, lt_http_compress_conf_t *conf, off_t length,
                   lt_http_compress_mem_t *mem);

    /* run: consumes io's input and fills its output. Returns LT_DONE once op (FLUSH or
     * FINISH) is complete: all input consumed and all output written; LT_OK when it
     * needs more input (op RUN) or more output space; LT_ERROR on failure (logged). */
    int (*run)(lt_http_request_t *r, void *state, lt_http_compress_io_t *io,
               lt_http_compress_op_e op);

    /* end: releases the library's state (after FINISH, or when the request ends
     * early); may be NULL when everything comes from mem */
    void (*end)(void *state);
} lt_http_compressor_t;

/* the common settings in a module's create_loc_conf / merge_loc_conf: enable off,
 * min_length 20, bufs one page x (128k / page), types from defaults */
void lt_http_compress_init_conf(lt_http_compress_conf_t *conf);
char *lt_http_compress_merge_conf(lt_conf_t *cf, lt_http_compress_conf_t *conf,
    lt_http_compress_conf_t *prev, const lt_http_types_default_t *types);

/* lt_http_compress_pow2_slot: a window or hash size that must be a power of two from
 * 1 << min_bits to 1 << max_bits (cmd->post); the size_t field gets
 * bits - min_bits + param_min, the library's parameter */
typedef struct {
    size_t           min_bits;
    size_t           max_bits;
    size_t           param_min;
} lt_http_compress_pow2_t;

char *lt_http_compress_pow2_slot(lt_conf_t *cf, lt_command_t *cmd, void *conf);

/* lt_http_compress_register: adds a compressor; from a module's postconfiguration */
int lt_http_compress_register(lt_conf_t *cf, const lt_http_compressor_t *k);

/* lt_http_compress_ok: the checks every coding shares, on the request side: the main
 * request, gzip_http_version, gzip_proxied (when the request came through a proxy:
 * Via), gzip_disable; LT_OK or LT_DECLINED, computed once per request. Used by the
 * filter, gzip_static and gunzip. */
int lt_http_compress_ok(lt_http_request_t *r);

/* lt_http_compress_vary: the response may vary with Accept-Encoding (a compressing
 * module is on and the response qualifies): adds "Vary: Accept-Encoding" when
 * gzip_vary is on. LT_OK or LT_ERROR. */
int lt_http_compress_vary(lt_http_request_t *r);

/* lt_http_compress_order: the location's compression_order (never NULL) */
const lt_http_encoding_order_t *lt_http_compress_order(lt_http_request_t *r);

extern lt_module_t  lt_http_compress_module;

#endif /* LT_HTTP_COMPRESS_H */
