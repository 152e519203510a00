/*
 * fuzz_http_parse.c: libFuzzer harness for the HTTP/1.x parsers. The input is a
 * request (or, when it starts with "HTTP/", a response) with its body:
 *
 *   - the request line (status line) and the header lines until the end of
 *     the header section or an error, twice: whole, and split at a position
 *     taken from the first byte, the first part in a buffer of exactly that
 *     size which is then moved (lt_http_parse_relocate()); both runs must give
 *     the same results at the same positions;
 *   - lt_http_parse_complex_uri() on the parsed path, into a buffer of exactly
 *     the path's length; lt_http_validate_host() on a copy of the absolute-form
 *     host and of every Host value; the escaping functions on the path;
 *   - the rest as a chunked body: lt_http_parse_chunked() and the trailer lines,
 *     whole and split, with the same results.
 *
 * Every buffer is an exact-size pool allocation (the fuzz build uses the debug
 * pool: one malloc each), so that AddressSanitizer sees any read past the end.
 * A broken invariant calls __builtin_trap().
 *
 *   make fuzz            (builds with clang and runs each harness for a while)
 */

#include "lt_core.h"
#include "lt_http_parse.h"

/* compiled in: liblintel.a holds http/ only when configured with HTTP (see
 * t/unit/test_http_parse.c) */
#include "lt_http_parse.c"

#define lt_fuzz_check(cond)  do { if (!(cond)) { __builtin_trap(); } } while (0)

/* what a run saw: a running hash of every result and recorded position */
typedef struct {
    uint64_t    hash;
    unsigned    results;
} lt_fuzz_digest_t;

static lt_open_file_t  lt_fuzz_file;
static lt_log_t        lt_fuzz_log;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);


static void
lt_fuzz_mix(lt_fuzz_digest_t *d, uint64_t v)
{
    d->hash = (d->hash ^ v) * 0x100000001b3ULL;
}


static uint64_t
lt_fuzz_off(const u_char *base, const u_char *p)
{
    return p ? (uint64_t) (p - base) : (uint64_t) -1;
}


/* lt_fuzz_record: one result with every position the state holds */
static void
lt_fuzz_record(lt_fuzz_digest_t *d, int rc, lt_http_parse_t *p, u_char *base, u_char *pos)
{
    d->results++;

    lt_fuzz_mix(d, (uint64_t) rc);
    lt_fuzz_mix(d, lt_fuzz_off(base, pos));
    lt_fuzz_mix(d, lt_fuzz_off(base, p->request_start));
    lt_fuzz_mix(d, lt_fuzz_off(base, p->request_end));
    lt_fuzz_mix(d, lt_fuzz_off(base, p->method_end));
    lt_fuzz_mix(d, lt_fuzz_off(base, p->schema_start));
    lt_fuzz_mix(d, lt_fuzz_off(base, p->schema_end));
    lt_fuzz_mix(d, lt_fuzz_off(base, p->host_start));
    lt_fuzz_mix(d, lt_fuzz_off(base, p->host_end));
    lt_fuzz_mix(d, lt_fuzz_off(base, p->port_start));
    lt_fuzz_mix(d, lt_fuzz_off(base, p->port_end));
    lt_fuzz_mix(d, lt_fuzz_off(base, p->uri_start));
    lt_fuzz_mix(d, lt_fuzz_off(base, p->uri_end));
    lt_fuzz_mix(d, lt_fuzz_off(base, p->uri_ext));
    lt_fuzz_mix(d, lt_fuzz_off(base, p->args_start));
    lt_fuzz_mix(d, lt_fuzz_off(base, p->http_protocol_start));
    lt_fuzz_mix(d, lt_fuzz_off(base, p->status_start));
    lt_fuzz_mix(d, lt_fuzz_off(base, p->status_end));
    lt_fuzz_mix(d, lt_fuzz_off(base, p->header_name_start));
    lt_fuzz_mix(d, lt_fuzz_off(base, p->header_name_end));
    lt_fuzz_mix(d, lt_fuzz_off(base, p->header_start));
    lt_fuzz_mix(d, lt_fuzz_off(base, p->header_end));
    lt_fuzz_mix(d, p->header_hash);
    lt_fuzz_mix(d, p->lowcase_index);
    lt_fuzz_mix(d, p->method | (uint64_t) p->http_version << 32);
    lt_fuzz_mix(d, p->status);
    lt_fuzz_mix(d, p->complex_uri | p->quoted_uri << 1 | p->plus_in_uri << 2
                   | p->empty_path_in_uri << 3 | p->invalid_header << 4);
}


/* lt_fuzz_host: lt_http_validate_host() on an exact-size copy */
static void
lt_fuzz_host(lt_pool_t *pool, const u_char *s, size_t len)
{
    size_t    i;
    lt_str_t  host;

    host.data = lt_pnalloc(pool, len ? len : 1);
    if (host.data == NULL) {
        return;
    }

    if (len) {
        memcpy(host.data, s, len);
    }

    host.len = len;

    if (lt_http_validate_host(&host) != LT_OK) {
        return;
    }

    lt_fuzz_check(host.len > 0 && host.len <= len);

    for (i = 0; i < host.len; i++) {
        lt_fuzz_check(host.data[i] < 'A' || host.data[i] > 'Z');
        lt_fuzz_check(host.data[i] > ' ' && host.data[i] != '/' && host.data[i] != '\\');
    }
}


/* lt_fuzz_escape: the escaping functions on s, their lengths against their
 * output, and a round trip through percent-encoding */
static void
lt_fuzz_escape(lt_pool_t *pool, const u_char *s, size_t len)
{
    size_t    n;
    u_char   *out, *end, *dst, *src;
    unsigned  type;

    for (type = LT_ESCAPE_URI; type <= LT_ESCAPE_MAIL_AUTH; type++) {
        n = lt_escape_uri_len(s, len, type);
        out = lt_pnalloc(pool, n ? n : 1);
        if (out == NULL) {
            return;
        }

        end = lt_escape_uri(out, s, len, type);
        lt_fuzz_check((size_t) (end - out) == n);

        if (type == LT_ESCAPE_URI_COMPONENT) {
            dst = out;
            src = out;
            lt_unescape_uri(&dst, &src, n, 0);
            lt_fuzz_check((size_t) (dst - out) == len && memcmp(out, s, len) == 0);
        }
    }

    n = lt_escape_html_len(s, len);
    out = lt_pnalloc(pool, n ? n : 1);
    if (out == NULL) {
        return;
    }

    lt_fuzz_check((size_t) (lt_escape_html(out, s, len) - out) == n);

    n = lt_escape_json_len(s, len);
    out = lt_pnalloc(pool, n ? n : 1);
    if (out == NULL) {
        return;
    }

    lt_fuzz_check((size_t) (lt_escape_json(out, s, len) - out) == n);
}


/* lt_fuzz_request_line: what a parsed request line must look like; a path that
 * is not flagged complex must need no normalisation */
static void
lt_fuzz_request_line(lt_http_parse_t *p)
{
    u_char  *u, *end;

    lt_fuzz_check(p->request_start && p->method_end && p->uri_start && p->uri_end);
    lt_fuzz_check(p->request_start <= p->method_end && p->method_end < p->uri_start);
    lt_fuzz_check(p->uri_start <= p->uri_end && p->uri_end <= p->request_end);
    lt_fuzz_check(p->http_version == LT_HTTP_VERSION_9
                  || (p->http_version >= 1000 && p->http_version <= 1099));
    lt_fuzz_check((p->http_protocol_start == NULL) == (p->http_version == LT_HTTP_VERSION_9));

    for (u = p->uri_start; u < p->uri_end; u++) {
        lt_fuzz_check(*u > ' ' && *u != 0x7f);
    }

    if (p->host_start) {
        lt_fuzz_check(p->host_start < p->host_end && p->host_end <= p->uri_end);
    }

    if (p->port_start) {
        lt_fuzz_check(p->host_end < p->port_start && p->port_start < p->port_end
                      && p->port_end - p->port_start <= 5 && p->port_end <= p->uri_end);
    }

    if (p->method == LT_HTTP_CONNECT) {
        lt_fuzz_check(p->port_start && p->uri_start == p->host_start && !p->args_start);
        return;
    }

    end = p->uri_end;

    if (p->args_start) {
        lt_fuzz_check(p->uri_start < p->args_start && p->args_start <= p->uri_end
                      && p->args_start[-1] == '?');
        end = p->args_start - 1;
    }

    if (p->uri_ext) {
        lt_fuzz_check(p->uri_start < p->uri_ext && p->uri_ext <= end && p->uri_ext[-1] == '.');
    }

    /* up to a fragment: what follows "#" is not looked at */
    for (u = p->uri_start; u < end && *u != '#'; u++) {
        lt_fuzz_check(p->complex_uri || *u != '%');
        lt_fuzz_check(p->complex_uri || u == p->uri_start || u[-1] != '/'
                      || (*u != '/' && *u != '.'));
        lt_fuzz_check(p->plus_in_uri || *u != '+');
        lt_fuzz_check(p->quoted_uri || *u != '%');
    }

    lt_fuzz_check(p->complex_uri || u == end);       /* "#" sets complex_uri */

    if (!p->empty_path_in_uri && end > p->uri_start) {
        lt_fuzz_check(*p->uri_start == '/' || *p->uri_start == '*');
    }
}


/* lt_fuzz_header_line: what a parsed header line must look like */
static void
lt_fuzz_header_line(lt_http_parse_t *p)
{
    u_char  *u;

    lt_fuzz_check(p->header_name_start < p->header_name_end);
    lt_fuzz_check(p->header_start && p->header_name_end < p->header_start);
    lt_fuzz_check(p->header_start <= p->header_end);
    lt_fuzz_check(p->header_hash
                  == lt_hash_key_lc(p->header_name_start,
                                    p->header_name_end - p->header_name_start));
    lt_fuzz_check(p->lowcase_index
                  == (size_t) lt_min(p->header_name_end - p->header_name_start,
                                     LT_HTTP_LC_HEADER_LEN));

    for (u = p->header_name_start; u < p->header_name_end; u++) {
        lt_fuzz_check(*u > ' ' && *u != ':' && *u != 0x7f);
    }

    for (u = p->header_start; u < p->header_end; u++) {
        lt_fuzz_check(*u != '\0' && *u != CR && *u != LF);
    }

    if (p->header_end > p->header_start) {
        lt_fuzz_check(p->header_start[0] != ' ' && p->header_start[0] != '\t');
        lt_fuzz_check(p->header_end[-1] != ' ' && p->header_end[-1] != '\t');
    }
}


/* lt_fuzz_path: the complex URI parser on the parsed path, into exactly its length */
static void
lt_fuzz_path(lt_pool_t *pool, lt_http_parse_t *p)
{
    size_t   len, dst_len;
    u_char  *path, *end, *dst, *ext;

    if (p->uri_start == NULL) {
        return;
    }

    path = p->uri_start;
    end = p->args_start ? p->args_start - 1 : p->uri_end;
    len = end - path;

    dst = lt_pnalloc(pool, len ? len : 1);
    if (dst == NULL) {
        return;
    }

    if (lt_http_parse_complex_uri(dst, &dst_len, &ext, path, len, 1) == LT_OK) {
        lt_fuzz_check(dst_len <= len);
        lt_fuzz_check(ext == NULL || (ext > dst && ext <= dst + dst_len && ext[-1] == '.'));
        lt_fuzz_check(memchr(dst, '\0', dst_len) == NULL);
        lt_fuzz_escape(pool, dst, dst_len);
    }

    if (lt_http_parse_complex_uri(dst, &dst_len, &ext, path, len, 0) == LT_OK) {
        lt_fuzz_check(dst_len <= len);
    }
}


/* lt_fuzz_lines: the request (status) line and the header lines over
 * [text, text + size), the first `split` bytes alone first, in a buffer of
 * their own (split == size: all at once). Returns the offset where the lines
 * stopped; the other checks run only in the whole run (check). */
static size_t
lt_fuzz_lines(lt_pool_t *pool, const u_char *text, size_t size, size_t split, int check,
    lt_fuzz_digest_t *d)
{
    int               rc, first, status;
    u_char           *buf, *nbuf;
    size_t            off;
    lt_buf_t          b;
    lt_http_parse_t   p;

    buf = lt_pnalloc(pool, split ? split : 1);
    if (buf == NULL) {
        return size;
    }

    if (split) {
        memcpy(buf, text, split);
    }

    lt_memzero(&b, sizeof(lt_buf_t));
    b.pos = buf;
    b.last = buf + split;

    lt_http_parse_init(&p);
    first = 1;
    status = (size >= 5 && memcmp(text, "HTTP/", 5) == 0);

    for ( ;; ) {
        if (first) {
            rc = status ? lt_http_parse_status_line(&p, &b) : lt_http_parse_request_line(&p, &b);

        } else {
            rc = lt_http_parse_header_line(&p, &b, text[0] & 1);
        }

        if (rc == LT_AGAIN) {
            lt_fuzz_check(b.pos == b.last);

            if ((size_t) (b.last - buf) == size) {
                break;
            }

            /* the rest arrives: move what there is to a buffer for all of it */
            nbuf = lt_pnalloc(pool, size);
            if (nbuf == NULL) {
                return size;
            }

            memcpy(nbuf, text, size);
            off = b.pos - buf;
            lt_http_parse_relocate(&p, buf, nbuf);
            buf = nbuf;
            b.pos = buf + off;
            b.last = buf + size;
            continue;
        }

        lt_fuzz_check(b.pos >= buf && b.pos <= b.last);
        lt_fuzz_record(d, rc, &p, buf, b.pos);

        if (check && first && rc == LT_OK && !status) {
            lt_fuzz_request_line(&p);
            lt_fuzz_path(pool, &p);

            if (p.host_start) {
                lt_fuzz_host(pool, p.host_start, p.host_end - p.host_start);
            }
        }

        if (check && !first && rc == LT_OK
            && p.header_name_end - p.header_name_start == 4
            && lt_strncasecmp(p.header_name_start, (u_char *) "host", 4) == 0)
        {
            lt_fuzz_host(pool, p.header_start, p.header_end - p.header_start);
        }

        if (!first && rc == LT_OK) {
            lt_fuzz_header_line(&p);
        }

        first = 0;

        if (rc != LT_OK) {
            break;
        }
    }

    return b.pos - buf;
}


/* lt_fuzz_chunked: a chunked body and its trailer lines over [text, text + size),
 * split as lt_fuzz_lines() does */
static void
lt_fuzz_chunked(lt_pool_t *pool, const u_char *text, size_t size, size_t split,
    lt_fuzz_digest_t *d)
{
    int                 rc, trailers;
    off_t               n;
    u_char             *buf, *nbuf;
    size_t              off;
    lt_buf_t            b;
    lt_http_parse_t     p;
    lt_http_chunked_t   ctx;

    buf = lt_pnalloc(pool, split ? split : 1);
    if (buf == NULL) {
        return;
    }

    if (split) {
        memcpy(buf, text, split);
    }

    lt_memzero(&b, sizeof(lt_buf_t));
    b.pos = buf;
    b.last = buf + split;

    lt_memzero(&ctx, sizeof(lt_http_chunked_t));
    lt_http_parse_init(&p);
    trailers = 0;

    for ( ;; ) {
        rc = trailers ? lt_http_parse_header_line(&p, &b, 0) : lt_http_parse_chunked(&ctx, &b);

        if (rc == LT_AGAIN) {
            lt_fuzz_check(b.pos == b.last);
            lt_fuzz_check(ctx.length > 0);

            if ((size_t) (b.last - buf) == size) {
                break;
            }

            nbuf = lt_pnalloc(pool, size);
            if (nbuf == NULL) {
                return;
            }

            memcpy(nbuf, text, size);
            off = b.pos - buf;
            lt_http_parse_relocate(&p, buf, nbuf);
            buf = nbuf;
            b.pos = buf + off;
            b.last = buf + size;
            continue;
        }

        if (rc == LT_HTTP_PARSE_CHUNK_DATA) {
            lt_fuzz_check(ctx.size > 0 && ctx.size <= LT_HTTP_MAX_CHUNK_SIZE
                          && b.pos < b.last);

            n = lt_min(ctx.size, (off_t) (b.last - b.pos));

            for (off = 0; off < (size_t) n; off++) {
                lt_fuzz_mix(d, b.pos[off]);     /* the data, however it came */
            }

            b.pos += n;
            ctx.size -= n;
            continue;
        }

        lt_fuzz_mix(d, (uint64_t) rc);
        lt_fuzz_mix(d, (uint64_t) (b.pos - buf));
        d->results++;

        if (rc == LT_HTTP_PARSE_CHUNK_LAST) {
            trailers = 1;
            continue;
        }

        if (rc != LT_OK) {
            break;
        }

        lt_fuzz_record(d, rc, &p, buf, b.pos);
    }
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t             split, body;
    u_char            *text;
    lt_pool_t         *pool;
    lt_fuzz_digest_t   whole, parts;

    if (lt_fuzz_file.fd == 0) {
        lt_fuzz_file.fd = open("/dev/null", O_WRONLY);
        lt_fuzz_log.file = &lt_fuzz_file;
        lt_fuzz_log.log_level = LT_LOG_DEBUG;
        lt_use_stderr = 0;
        lt_time_init();
    }

    pool = lt_create_pool(1024, &lt_fuzz_log);
    if (pool == NULL) {
        return 0;
    }

    /* an exact-size copy, so that ASan sees any read past the end */
    text = lt_pnalloc(pool, size ? size : 1);
    if (text == NULL) {
        goto done;
    }

    memcpy(text, data, size);

    split = size ? data[0] % (size + 1) : 0;

    lt_memzero(&whole, sizeof(lt_fuzz_digest_t));
    lt_memzero(&parts, sizeof(lt_fuzz_digest_t));

    body = lt_fuzz_lines(pool, text, size, size, 1, &whole);
    (void) lt_fuzz_lines(pool, text, size, split, 0, &parts);
    lt_fuzz_check(whole.hash == parts.hash && whole.results == parts.results);

    /* the rest as a chunked body, split where the first byte says too */
    lt_fuzz_check(body <= size);

    size -= body;
    text += body;
    split = size ? data[0] % (size + 1) : 0;

    lt_memzero(&whole, sizeof(lt_fuzz_digest_t));
    lt_memzero(&parts, sizeof(lt_fuzz_digest_t));

    lt_fuzz_chunked(pool, text, size, size, &whole);
    lt_fuzz_chunked(pool, text, size, split, &parts);
    lt_fuzz_check(whole.hash == parts.hash && whole.results == parts.results);

done:

    lt_destroy_pool(pool);

    return 0;
}
