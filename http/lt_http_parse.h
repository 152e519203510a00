/*
 * lt_http_parse.h: the HTTP/1.x parsers. Pure, resumable functions with no I/O:
 * each takes a parse state and a buffer, consumes what it can from b->pos,
 * records positions (pointers into the buffer) in the state, and returns
 *
 *   LT_OK      a line (request line, status line, header line) is complete
 *   LT_AGAIN   the buffer ended inside a line: call again with more data
 *              (the state keeps where it was; b->pos is advanced to b->last)
 *   LT_HTTP_PARSE_HEADER_DONE   the empty line ending a header section
 *   LT_HTTP_PARSE_*             a specific error (the request gets a 400)
 *
 * When the caller moves the data to a larger buffer, lt_http_parse_relocate()
 * shifts every recorded pointer. Nothing here allocates.
 */

#ifndef LT_HTTP_PARSE_H
#define LT_HTTP_PARSE_H

#include "lt_config.h"
#include "lt_string.h"
#include "lt_buf.h"

/* parse results beyond LT_OK / LT_AGAIN / LT_ERROR */
#define LT_HTTP_PARSE_HEADER_DONE         1
#define LT_HTTP_PARSE_INVALID_METHOD      10
#define LT_HTTP_PARSE_INVALID_REQUEST     11
#define LT_HTTP_PARSE_INVALID_VERSION     12
#define LT_HTTP_PARSE_INVALID_09_METHOD   13
#define LT_HTTP_PARSE_INVALID_HEADER      14
#define LT_HTTP_PARSE_CHUNK_DATA          20    /* lt_http_parse_chunked: data follows */
#define LT_HTTP_PARSE_CHUNK_LAST          21    /* the last chunk: trailers follow */

/* methods: bits, so that a location can allow a set (limit_except) */
#define LT_HTTP_UNKNOWN     0x00000001
#define LT_HTTP_GET         0x00000002
#define LT_HTTP_HEAD        0x00000004
#define LT_HTTP_POST        0x00000008
#define LT_HTTP_PUT         0x00000010
#define LT_HTTP_DELETE      0x00000020
#define LT_HTTP_MKCOL       0x00000040
#define LT_HTTP_COPY        0x00000080
#define LT_HTTP_MOVE        0x00000100
#define LT_HTTP_OPTIONS     0x00000200
#define LT_HTTP_PROPFIND    0x00000400
#define LT_HTTP_PROPPATCH   0x00000800
#define LT_HTTP_LOCK        0x00001000
#define LT_HTTP_UNLOCK      0x00002000
#define LT_HTTP_PATCH       0x00004000
#define LT_HTTP_TRACE       0x00008000
#define LT_HTTP_CONNECT     0x00010000

/* version as major * 1000 + minor */
#define LT_HTTP_VERSION_9   9
#define LT_HTTP_VERSION_10  1000
#define LT_HTTP_VERSION_11  1001
#define LT_HTTP_VERSION_20  2000

/* lowercased header names longer than this are not kept in lowcase_header
 * (their hash is still computed over the whole name) */
#define LT_HTTP_LC_HEADER_LEN  32

typedef struct {
    unsigned     state;

    /* request line and status line */
    u_char      *request_start;     /* the line's first byte */
    u_char      *request_end;       /* the CR or LF that ends it */
    u_char      *method_end;        /* the last byte of the method */
    u_char      *schema_start;      /* absolute-form: "http" in "http://host/..." */
    u_char      *schema_end;
    u_char      *host_start;        /* absolute-form or CONNECT authority */
    u_char      *host_end;
    u_char      *port_start;        /* digits after host, NULL when no port */
    u_char      *port_end;
    u_char      *uri_start;         /* origin-form path (the first "/") */
    u_char      *uri_end;           /* end of the path and query */
    u_char      *uri_ext;           /* after the last "." of the last path segment */
    u_char      *args_start;        /* after "?", or NULL */
    u_char      *http_protocol_start;  /* "HTTP/1.1"; NULL for HTTP/0.9 */

    unsigned     method;            /* LT_HTTP_GET ... */
    unsigned     http_major;
    unsigned     http_minor;
    unsigned     http_version;      /* major * 1000 + minor */

    /* status line (responses) */
    unsigned     status;            /* 100..999 */
    u_char      *status_start;      /* the 3 digits */
    u_char      *status_end;        /* end of the reason phrase */

    /* the path needs lt_http_parse_complex_uri(): it has "%", "/.", "//", "#" ... */
    unsigned     complex_uri:1;
    unsigned     quoted_uri:1;      /* it has "%" */
    unsigned     plus_in_uri:1;     /* it has "+" */
    unsigned     empty_path_in_uri:1;   /* absolute-form without a path: "http://h" */

    /* header line */
    u_char      *header_name_start;
    u_char      *header_name_end;
    u_char      *header_start;      /* value, without leading whitespace */
    u_char      *header_end;        /* value end, without trailing whitespace */
    uintptr_t    header_hash;       /* lt_hash() over the lowercased name */
    size_t       lowcase_index;     /* bytes of lowcase_header in use */
    u_char       lowcase_header[LT_HTTP_LC_HEADER_LEN];
    unsigned     invalid_header:1;  /* LT_OK, but the name has characters that
                                     * "ignore_invalid_headers" refuses */
} lt_http_parse_t;

/* lt_http_parse_init: a fresh state (for each request / response) */
void lt_http_parse_init(lt_http_parse_t *p);

/* lt_http_parse_request_line: "METHOD SP request-target SP HTTP/x.y CRLF".
 * Accepts origin-form, absolute-form ("http://host:port/path?q"), authority-form
 * for CONNECT ("host:port") and "*" for OPTIONS; a bare LF ends a line too.
 * Leading empty lines are skipped (RFC 9112 2.2). Methods are tokens of
 * uppercase letters, "_" and "-"; unknown ones give LT_HTTP_UNKNOWN. Control
 * characters and spaces inside the target are errors. An HTTP/0.9 request
 * ("GET /path CRLF") is accepted only for GET (else INVALID_09_METHOD);
 * versions other than 1.x (and 0.9) are INVALID_VERSION; versions above 1.x
 * are recognised as such (http_version) for the caller to refuse (505). */
int lt_http_parse_request_line(lt_http_parse_t *p, lt_buf_t *b);

/* lt_http_parse_header_line: "name: value CRLF" or the empty line (HEADER_DONE).
 * Names are tokens (RFC 9110); a name with "_" or other non-token but printable
 * characters is returned with invalid_header set (allow_underscores makes "_"
 * valid); a name with a control character, space, or no colon, an empty name,
 * or a value with NUL/CR/LF inside is LT_HTTP_PARSE_INVALID_HEADER. Obsolete
 * line folding (a line starting with SP/HT) is INVALID_HEADER. The value has
 * leading and trailing SP/HT removed. header_hash is over the lowercased name
 * (lt_hash from 0). */
int lt_http_parse_header_line(lt_http_parse_t *p, lt_buf_t *b, unsigned allow_underscores);

/* lt_http_parse_status_line: "HTTP/x.y NNN reason CRLF" (upstream responses) */
int lt_http_parse_status_line(lt_http_parse_t *p, lt_buf_t *b);

/* lt_http_parse_relocate: the parsed bytes moved from old to new: shift every
 * non-NULL pointer of p by (new - old) */
void lt_http_parse_relocate(lt_http_parse_t *p, u_char *old, u_char *new);

/* lt_http_parse_complex_uri: decodes and normalises the path [src, src + len)
 * (the target's path part, without the query) into dst, which has room for len
 * bytes: "%XX" decoded (a bad escape is LT_ERROR), "/./" and "/../" resolved
 * ("/.." above the root is LT_ERROR), "//" merged when merge_slashes, "#" ends
 * the path (a fragment). *dst_len gets the length, *ext the extension start in
 * dst (or NULL). A decoded "%00" is LT_ERROR. Returns LT_OK or LT_ERROR. */
int lt_http_parse_complex_uri(u_char *dst, size_t *dst_len, u_char **ext, const u_char *src,
    size_t len, unsigned merge_slashes);

/* lt_http_validate_host: checks a Host value (or absolute-form authority) and
 * lowercases it in place (the caller passes writable memory), shortening
 * host->len: reg-name, IPv4, or an [IPv6] / [vFuture] literal; an optional
 * ":port" (1-5 digits, at most 65535; a lone ":" is allowed) is removed; one
 * trailing dot after a name is removed. An empty name, "..", "/", "\\", NUL,
 * control characters, an unterminated "[", characters after "]" other than
 * ":port", a dot after "]" are LT_DECLINED (the request gets a 400). */
int lt_http_validate_host(lt_str_t *host);

/* chunked transfer coding (RFC 9112 7.1) */
typedef struct {
    unsigned     state;
    off_t        size;      /* bytes of the current chunk still to come */
    off_t        length;    /* an estimate of what the rest needs, for buffering */
} lt_http_chunked_t;

/* lt_http_parse_chunked: advances b->pos through chunk-size lines, extensions
 * and CRLFs. Returns LT_HTTP_PARSE_CHUNK_DATA when data of the current chunk
 * starts at b->pos (ctx->size bytes of it remain; the caller consumes up to
 * that and calls again), LT_HTTP_PARSE_CHUNK_LAST after the "0" chunk line
 * (the trailer section follows: parse it with lt_http_parse_header_line until
 * HEADER_DONE), LT_AGAIN when b is exhausted, LT_ERROR on a bad size (not hex,
 * too large for off_t), bad extension or missing CRLF. */
int lt_http_parse_chunked(lt_http_chunked_t *ctx, lt_buf_t *b);

/* lt_http_arg: the value of query argument name (case-insensitive) in args;
 * LT_OK or LT_DECLINED */
int lt_http_arg(const lt_str_t *args, const u_char *name, size_t len, lt_str_t *value);

/* lt_http_cookie: the value of cookie name in a Cookie header value;
 * LT_OK or LT_DECLINED */
int lt_http_cookie(const lt_str_t *header, const u_char *name, size_t len,
    lt_str_t *value);

/* lt_http_split_args: splits "path?args" of a rewritten URI: uri keeps the path,
 * args gets what follows "?" (empty when none) */
void lt_http_split_args(lt_str_t *uri, lt_str_t *args);

/* lt_http_method_name: "GET" for LT_HTTP_GET ... (NULL for unknown bits) */
const lt_str_t *lt_http_method_name(unsigned method);

#endif /* LT_HTTP_PARSE_H */
