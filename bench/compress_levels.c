/*
 * compress_levels.c: speed, ratio and encoder memory of brotli, zstd and gzip at each
 * level on one body, compressed the way lintel's modules do it (one stream per body,
 * the length known: brotli with a size hint and the smallest window that holds the
 * body, zstd with the length pledged, zlib with the window shrunk as gzip.c does).
 *
 *   cc -O2 -o compress_levels bench/compress_levels.c -lbrotlienc -lzstd -lz
 *   ./compress_levels FILE [MIN_SECONDS_PER_LEVEL]
 *
 * Prints one table row per coding and level: MB/s of input per CPU second (the
 * process's user+system time, at least MIN_SECONDS of repeated compression), the
 * compressed size, the ratio (original / compressed) and the bytes the encoder
 * allocated for one stream (what mem->allocated counts in lintel).
 * bench/compress_levels.sh builds it and makes a ~100 KiB HTML/JS-like body.
 */

#define ZSTD_STATIC_LINKING_ONLY
#include <brotli/encode.h>
#include <zstd.h>
#include <zlib.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* the encoders' memory: one arena, touched once and reused by every stream, as
 * lintel's per-worker block cache does in a steady state (so the figures are the
 * compression's, not the kernel's zeroing of fresh pages) */
#define ARENA_SIZE  (256u * 1024 * 1024)

static unsigned char  *arena;
static size_t          arena_used;
static size_t          allocated;

static void *
count_alloc(void *opaque, size_t size)
{
    void  *p;

    (void) opaque;
    arena_used = (arena_used + 15) & ~(size_t) 15;
    if (arena_used + size > ARENA_SIZE) {
        fprintf(stderr, "arena exhausted\n");
        exit(1);
    }
    p = arena + arena_used;
    arena_used += size;
    allocated += size;
    return p;
}

static void
count_free(void *opaque, void *p)
{
    (void) opaque;
    (void) p;
}

static voidpf
count_zalloc(voidpf opaque, uInt items, uInt size)
{
    return count_alloc(opaque, (size_t) items * size);
}

static double
cpu_seconds(void)
{
    struct timespec  ts;

    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static size_t
brotli_once(const unsigned char *in, size_t len, unsigned char *out, size_t cap, int level)
{
    int                  lgwin = 19;
    size_t               avail_in = len, avail_out = cap;
    const uint8_t       *next_in = in;
    uint8_t             *next_out = out;
    BrotliEncoderState  *s;

    s = BrotliEncoderCreateInstance(count_alloc, count_free, NULL);
    while (lgwin > BROTLI_MIN_WINDOW_BITS && len <= ((size_t) 1 << (lgwin - 1)) - 16) {
        lgwin--;
    }
    BrotliEncoderSetParameter(s, BROTLI_PARAM_SIZE_HINT, (uint32_t) len);
    BrotliEncoderSetParameter(s, BROTLI_PARAM_QUALITY, (uint32_t) level);
    BrotliEncoderSetParameter(s, BROTLI_PARAM_LGWIN, (uint32_t) lgwin);

    while (!BrotliEncoderIsFinished(s)) {
        if (!BrotliEncoderCompressStream(s, BROTLI_OPERATION_FINISH, &avail_in, &next_in,
                                         &avail_out, &next_out, NULL))
        {
            fprintf(stderr, "brotli failed\n");
            exit(1);
        }
    }

    BrotliEncoderDestroyInstance(s);
    return cap - avail_out;
}

static size_t
zstd_once(const unsigned char *in, size_t len, unsigned char *out, size_t cap, int level)
{
    size_t                       rc;
    ZSTD_CCtx                   *cctx;
    ZSTD_compressionParameters   cp;
    ZSTD_inBuffer     ib = { in, len, 0 };
    ZSTD_outBuffer    ob = { out, cap, 0 };
    ZSTD_customMem    cmem = { count_alloc, count_free, NULL };

    cctx = ZSTD_createCCtx_advanced(cmem);
    ZSTD_CCtx_setParameter(cctx, ZSTD_c_compressionLevel, level);
    cp = ZSTD_getCParams(level, len, 0);
    if (cp.windowLog > 23) {
        /* as modules/zstd.c: the window at most 8 MiB, the tables with it */
        cp.windowLog = 23;
        if (cp.hashLog > cp.windowLog + 1) {
            cp.hashLog = cp.windowLog + 1;
        }
        if (cp.chainLog > cp.windowLog + (cp.strategy >= ZSTD_btlazy2)) {
            cp.chainLog = cp.windowLog + (cp.strategy >= ZSTD_btlazy2);
        }
        ZSTD_CCtx_setParameter(cctx, ZSTD_c_windowLog, (int) cp.windowLog);
        ZSTD_CCtx_setParameter(cctx, ZSTD_c_hashLog, (int) cp.hashLog);
        ZSTD_CCtx_setParameter(cctx, ZSTD_c_chainLog, (int) cp.chainLog);
    }
    ZSTD_CCtx_setPledgedSrcSize(cctx, len);

    do {
        rc = ZSTD_compressStream2(cctx, &ob, &ib, ZSTD_e_end);
        if (ZSTD_isError(rc)) {
            fprintf(stderr, "zstd failed: %s\n", ZSTD_getErrorName(rc));
            exit(1);
        }
    } while (rc != 0);

    ZSTD_freeCCtx(cctx);
    return ob.pos;
}

static size_t
gzip_once(const unsigned char *in, size_t len, unsigned char *out, size_t cap, int level)
{
    int       wbits = 15, memlevel = 8;
    size_t    n;
    z_stream  zs;

    memset(&zs, 0, sizeof(zs));
    zs.zalloc = count_zalloc;
    zs.zfree = count_free;
    while (wbits > 9 && len < ((size_t) 1 << (wbits - 1)) - 262) {
        wbits--;
        memlevel--;
    }
    deflateInit2(&zs, level, Z_DEFLATED, wbits + 16, memlevel < 1 ? 1 : memlevel,
                 Z_DEFAULT_STRATEGY);
    zs.next_in = (Bytef *) in;
    zs.avail_in = (uInt) len;
    zs.next_out = out;
    zs.avail_out = (uInt) cap;
    if (deflate(&zs, Z_FINISH) != Z_STREAM_END) {
        fprintf(stderr, "deflate failed\n");
        exit(1);
    }
    n = cap - zs.avail_out;
    deflateEnd(&zs);
    return n;
}

typedef size_t (*once_pt)(const unsigned char *, size_t, unsigned char *, size_t, int);

static void
measure(const char *name, once_pt once, int level, const unsigned char *in, size_t len,
    unsigned char *out, size_t cap, double min_secs)
{
    long    n = 0;
    size_t  size, mem;
    double  start, secs;

    allocated = 0;
    arena_used = 0;
    size = once(in, len, out, cap, level);
    mem = allocated;

    start = cpu_seconds();
    do {
        arena_used = 0;
        (void) once(in, len, out, cap, level);
        n++;
        secs = cpu_seconds() - start;
    } while (secs < min_secs);

    printf("| %-6s | %5d | %9.1f | %10zu | %6.2f | %9zu |\n", name, level,
           (double) len * n / secs / 1e6, size, (double) len / size, mem / 1024);
}

int
main(int argc, char **argv)
{
    int             level;
    long            flen;
    size_t          len, cap;
    FILE           *f;
    double          min_secs;
    unsigned char  *in, *out;

    if (argc < 2) {
        fprintf(stderr, "usage: %s FILE [MIN_SECONDS_PER_LEVEL]\n", argv[0]);
        return 2;
    }

    min_secs = (argc > 2) ? atof(argv[2]) : 0.5;

    f = fopen(argv[1], "rb");
    if (f == NULL) {
        perror(argv[1]);
        return 1;
    }
    fseek(f, 0, SEEK_END);
    flen = ftell(f);
    fseek(f, 0, SEEK_SET);
    len = (size_t) flen;
    in = malloc(len + 1);
    if (in == NULL || fread(in, 1, len, f) != len) {
        fprintf(stderr, "read failed\n");
        return 1;
    }
    fclose(f);

    cap = len + len / 2 + 1024;
    out = malloc(cap);
    arena = malloc(ARENA_SIZE);
    if (out == NULL || arena == NULL) {
        fprintf(stderr, "out of memory\n");
        return 1;
    }
    memset(arena, 0, ARENA_SIZE);

    printf("input: %s, %zu bytes; MB/s = input bytes per CPU second / 10^6\n\n", argv[1],
           len);
    printf("| coding | level |      MB/s | compressed |  ratio | mem (KiB) |\n");
    printf("|--------|-------|-----------|------------|--------|-----------|\n");

    for (level = 0; level <= 11; level++) {
        measure("br", brotli_once, level, in, len, out, cap, min_secs);
    }
    for (level = -5; level <= 22; level++) {
        if (level == 0 || (level < -1 && level != -5)) {
            continue;
        }
        measure("zstd", zstd_once, level, in, len, out, cap, min_secs);
    }
    for (level = 1; level <= 9; level++) {
        measure("gzip", gzip_once, level, in, len, out, cap, min_secs);
    }

    free(in);
    free(out);
    free(arena);
    return 0;
}
