/*
 * lt_http_parse.c: the HTTP/1.x parsers (see lt_http_parse.h).
 *
 * The line parsers are byte-at-a-time state machines: every decision depends
 * only on the current byte, the state and what is already recorded in the
 * parse state, so input split anywhere (even one byte per call) gives the same
 * results and positions as the whole input at once. Recorded positions point
 * into the caller's buffer, which keeps every byte of the line being parsed
 * (the caller moves it with lt_http_parse_relocate() when it must).
 */

#include "lt_core.h"
#include "lt_http_parse.h"

#define lt_http_bit(table, c)  ((table)[(c) >> 5] & (1U << ((c) & 0x1f)))

/* chunk sizes above this are refused: no body is that large, and the sums the
 * caller makes with it cannot overflow off_t */
#define LT_HTTP_MAX_CHUNK_SIZE  ((off_t) 1 << 60)

/*
 * Character classes: tables of 256 bits (uint32_t[8], bit c set when byte c is
 * in the class; the words cover 0x00-0x1f, SP-?, @-_, `-DEL, then 0x80-0xff)
 * or of 256 bytes where a lookup gives more than yes or no.
 */

/* header name bytes: tchar (RFC 9110 5.6.2) other than "_" to their lowercase,
 * anything else (the slow path) to 0 */
static const u_char  lt_http_lowcase[256] = {
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, '!', 0, '#', '$', '%', '&', '\'', 0, 0, '*', '+', 0, '-', '.', 0,
    '0', '1', '2', '3', '4', '5', '6', '7', '8', '9', 0, 0, 0, 0, 0, 0,
    0, 'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j', 'k', 'l', 'm', 'n', 'o',
    'p', 'q', 'r', 's', 't', 'u', 'v', 'w', 'x', 'y', 'z', 0, 0, 0, '^', 0,
    '`', 'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j', 'k', 'l', 'm', 'n', 'o',
    'p', 'q', 'r', 's', 't', 'u', 'v', 'w', 'x', 'y', 'z', 0, '|', 0, '~', 0,
    /* 0x80-0xff: 0 */
};

/* reg-name (RFC 3986 3.2.2): unreserved, sub-delims and "%" */
static const uint32_t  lt_http_reg_name[8] = {
    0x00000000, 0x2bff7ff2, 0x87fffffe, 0x47fffffe, 0, 0, 0, 0
};

/* a Host header name: reg-name plus bytes >= 0x80 (raw UTF-8 names, which
 * nginx accepts in Host) */
static const uint32_t  lt_http_host_name[8] = {
    0x00000000, 0x2bff7ff2, 0x87fffffe, 0x47fffffe,
    0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff
};

/* inside "[...]": unreserved, sub-delims and ":" (IPv6address, IPvFuture) */
static const uint32_t  lt_http_ip_literal[8] = {
    0x00000000, 0x2fff7fd2, 0x87fffffe, 0x47fffffe, 0, 0, 0, 0
};

/* bytes that change nothing in a path segment (LT_HTTP_PATH_PLAIN) or in the
 * query (LT_HTTP_ARGS_PLAIN): the request line loop passes over them at once */
#define LT_HTTP_PATH_PLAIN  1
#define LT_HTTP_ARGS_PLAIN  2
#define lt_http_x16(v)      v, v, v, v, v, v, v, v, v, v, v, v, v, v, v, v

static const u_char  lt_http_uri_plain[256] = {
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 3, 3, 0, 3, 2, 3, 3, 3, 3, 3, 2, 3, 3, 2, 2,
    3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 2,
    3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3,
    3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3,
    3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3,
    3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 0,
    lt_http_x16(3), lt_http_x16(3), lt_http_x16(3), lt_http_x16(3),
    lt_http_x16(3), lt_http_x16(3), lt_http_x16(3), lt_http_x16(3)
};

/* the names of the method bits, by bit number */
static const lt_str_t  lt_http_methods[] = {
    lt_null_string,
    lt_string("GET"),
    lt_string("HEAD"),
    lt_string("POST"),
    lt_string("PUT"),
    lt_string("DELETE"),
    lt_string("MKCOL"),
    lt_string("COPY"),
    lt_string("MOVE"),
    lt_string("OPTIONS"),
    lt_string("PROPFIND"),
    lt_string("PROPPATCH"),
    lt_string("LOCK"),
    lt_string("UNLOCK"),
    lt_string("PATCH"),
    lt_string("TRACE"),
    lt_string("CONNECT"),
};

/* request line states; the order matters: lt_http_parse_request_line() picks
 * the helper by range, and "HTTP/" is matched by stepping through the states */
enum {
    lt_rl_start = 0,
    lt_rl_method,
    lt_rl_spaces_before_uri,        /* lt_http_parse_target() from here */
    lt_rl_schema,
    lt_rl_schema_slash,
    lt_rl_schema_slash_slash,
    lt_rl_host_start,
    lt_rl_host,
    lt_rl_host_ip_literal,
    lt_rl_host_end,
    lt_rl_port,
    lt_rl_asterisk,
    lt_rl_after_slash_in_uri,
    lt_rl_check_uri,
    lt_rl_args,
    lt_rl_fragment,
    lt_rl_http_09,                  /* lt_http_parse_version() from here */
    lt_rl_http_H,
    lt_rl_http_HT,
    lt_rl_http_HTT,
    lt_rl_http_HTTP,
    lt_rl_first_major_digit,
    lt_rl_major_digit,
    lt_rl_first_minor_digit,
    lt_rl_minor_digit,
    lt_rl_spaces_after_digit,
    lt_rl_almost_done
};

/* header line states */
enum {
    lt_hl_start = 0,
    lt_hl_name,
    lt_hl_space_before_value,
    lt_hl_value,
    lt_hl_almost_done,
    lt_hl_header_almost_done
};

/* status line states */
enum {
    lt_sl_start = 0,
    lt_sl_H,
    lt_sl_HT,
    lt_sl_HTT,
    lt_sl_HTTP,
    lt_sl_first_major_digit,
    lt_sl_major_digit,
    lt_sl_first_minor_digit,
    lt_sl_minor_digit,
    lt_sl_status,
    lt_sl_status_digits,
    lt_sl_space_after_status,
    lt_sl_status_text,
    lt_sl_almost_done
};

/* chunked states */
enum {
    lt_ch_start = 0,
    lt_ch_size,
    lt_ch_size_bws,
    lt_ch_extension,
    lt_ch_size_almost_done,
    lt_ch_data,
    lt_ch_after_data,
    lt_ch_after_data_almost_done,
    lt_ch_last
};

/* complex URI states: what the output ends with */
enum {
    lt_cu_usual = 0,
    lt_cu_slash,                    /* "/" */
    lt_cu_dot,                      /* "/." */
    lt_cu_dot_dot                   /* "/.." */
};


static int lt_http_parse_target(lt_http_parse_t *p, u_char *pos);


void
lt_http_parse_init(lt_http_parse_t *p)
{
    lt_memzero(p, sizeof(lt_http_parse_t));
}


/* lt_http_hex: the value of a hex digit, or -1 */
static int
lt_http_hex(u_char c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }

    c = (u_char) (c | 0x20);

    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }

    return -1;
}


/* lt_http_method_bit: the LT_HTTP_* bit of the method name [m, m + len) */
static unsigned
lt_http_method_bit(const u_char *m, size_t len)
{
    size_t  i;

    for (i = 1; i < lt_nelts(lt_http_methods); i++) {
        if (lt_http_methods[i].len == len && memcmp(lt_http_methods[i].data, m, len) == 0) {
            return 1U << i;
        }
    }

    return LT_HTTP_UNKNOWN;
}


const lt_str_t *
lt_http_method_name(unsigned method)
{
    unsigned  bit;

    if (method == 0 || (method & (method - 1)) != 0) {
        return NULL;
    }

    bit = (unsigned) __builtin_ctz(method);

    if (bit == 0 || bit >= lt_nelts(lt_http_methods)) {
        return NULL;
    }

    return &lt_http_methods[bit];
}


/* request line */

/* lt_http_parse_request_done: the LF ending the request line */
static int
lt_http_parse_request_done(lt_http_parse_t *p)
{
    if (p->http_protocol_start == NULL) {
        p->http_major = 0;
        p->http_minor = 9;
        p->http_version = LT_HTTP_VERSION_9;

    } else {
        p->http_version = p->http_major * 1000 + p->http_minor;
    }

    p->state = lt_rl_start;

    return LT_OK;
}


/* lt_http_parse_09: CR or LF right after the target (and spaces): HTTP/0.9 */
static int
lt_http_parse_09(lt_http_parse_t *p, u_char *pos)
{
    p->request_end = p->uri_end;
    p->http_major = 0;
    p->http_minor = 9;
    p->http_version = LT_HTTP_VERSION_9;

    if (p->method != LT_HTTP_GET) {
        return LT_HTTP_PARSE_INVALID_09_METHOD;
    }

    if (*pos == CR) {
        p->state = lt_rl_almost_done;
        return LT_AGAIN;
    }

    return lt_http_parse_request_done(p);
}


/* lt_http_parse_method: leading empty lines, the method and the space after it */
static int
lt_http_parse_method(lt_http_parse_t *p, u_char *pos)
{
    u_char  ch;

    ch = *pos;

    if (p->state == lt_rl_start) {
        if (ch == CR || ch == LF) {
            return LT_AGAIN;
        }

        p->request_start = pos;
        p->state = lt_rl_method;
    }

    if ((ch >= 'A' && ch <= 'Z') || ch == '_' || ch == '-') {
        return LT_AGAIN;
    }

    if (ch != ' ' || pos == p->request_start) {
        return LT_HTTP_PARSE_INVALID_METHOD;
    }

    p->method_end = pos - 1;
    p->method = lt_http_method_bit(p->request_start, pos - p->request_start);
    p->state = lt_rl_spaces_before_uri;

    return LT_AGAIN;
}


/* lt_http_parse_target_end: the byte after the request-target */
static int
lt_http_parse_target_end(lt_http_parse_t *p, u_char *pos)
{
    p->uri_end = pos;

    switch (*pos) {
    case ' ':
        p->state = lt_rl_http_09;
        return LT_AGAIN;

    case CR:
    case LF:
        return lt_http_parse_09(p, pos);

    default:
        return LT_HTTP_PARSE_INVALID_REQUEST;
    }
}


/* lt_http_parse_after_authority: the byte after the host (and port) of an
 * absolute-form or authority-form target */
static int
lt_http_parse_after_authority(lt_http_parse_t *p, u_char *pos)
{
    if (p->method == LT_HTTP_CONNECT) {
        /* authority-form: host:port and nothing else */
        if (p->port_start == NULL || (*pos != ' ' && *pos != CR && *pos != LF)) {
            return LT_HTTP_PARSE_INVALID_REQUEST;
        }

        p->uri_start = p->host_start;
        return lt_http_parse_target_end(p, pos);
    }

    p->uri_start = pos;

    switch (*pos) {
    case '/':
        p->state = lt_rl_after_slash_in_uri;
        return LT_AGAIN;

    case '?':
        p->empty_path_in_uri = 1;
        p->args_start = pos + 1;
        p->state = lt_rl_args;
        return LT_AGAIN;

    case '#':
        p->empty_path_in_uri = 1;
        p->complex_uri = 1;
        p->state = lt_rl_fragment;
        return LT_AGAIN;

    case ' ':
    case CR:
    case LF:
        p->empty_path_in_uri = 1;
        return lt_http_parse_target_end(p, pos);

    default:
        return LT_HTTP_PARSE_INVALID_REQUEST;
    }
}


/* lt_http_parse_port: the digits after "host:", 1-5 of them, at most 65535
 * (none at all is allowed, but not for CONNECT; nor is 0 there) */
static int
lt_http_parse_port(lt_http_parse_t *p, u_char *pos)
{
    int64_t  port;

    if (*pos >= '0' && *pos <= '9') {
        if (p->port_start == NULL) {
            p->port_start = pos;

        } else if (pos - p->port_start >= 5) {
            return LT_HTTP_PARSE_INVALID_REQUEST;
        }

        return LT_AGAIN;
    }

    if (p->port_start) {
        p->port_end = pos;
        port = lt_atoi(p->port_start, pos - p->port_start);

        if (port > 65535 || (port == 0 && p->method == LT_HTTP_CONNECT)) {
            return LT_HTTP_PARSE_INVALID_REQUEST;
        }
    }

    return lt_http_parse_after_authority(p, pos);
}


/* lt_http_parse_host_start: the first byte of the authority */
static int
lt_http_parse_host_start(lt_http_parse_t *p, u_char *pos)
{
    p->host_start = pos;

    if (*pos == '[') {
        p->state = lt_rl_host_ip_literal;
        return LT_AGAIN;
    }

    if (!lt_http_bit(lt_http_reg_name, *pos)) {
        /* an empty host, or userinfo, or garbage */
        return LT_HTTP_PARSE_INVALID_REQUEST;
    }

    p->state = lt_rl_host;

    return LT_AGAIN;
}


/* lt_http_parse_target_start: the first byte of the request-target */
static int
lt_http_parse_target_start(lt_http_parse_t *p, u_char *pos)
{
    u_char  c;

    if (*pos == ' ') {
        return LT_AGAIN;
    }

    if (p->method == LT_HTTP_CONNECT) {
        return lt_http_parse_host_start(p, pos);
    }

    if (*pos == '/') {
        p->uri_start = pos;
        p->state = lt_rl_after_slash_in_uri;
        return LT_AGAIN;
    }

    if (*pos == '*' && p->method == LT_HTTP_OPTIONS) {
        p->uri_start = pos;
        p->state = lt_rl_asterisk;
        return LT_AGAIN;
    }

    c = (u_char) (*pos | 0x20);

    if (c >= 'a' && c <= 'z') {
        p->schema_start = pos;
        p->state = lt_rl_schema;
        return LT_AGAIN;
    }

    return LT_HTTP_PARSE_INVALID_REQUEST;
}


/* lt_http_parse_schema_end: the ":" after the scheme of an absolute-form target:
 * "http" or "https", any case */
static int
lt_http_parse_schema_end(lt_http_parse_t *p, u_char *pos)
{
    size_t  len;

    len = pos - p->schema_start;

    if (*pos != ':'
        || !((len == 4 && lt_strncasecmp(p->schema_start, (u_char *) "http", 4) == 0)
             || (len == 5 && lt_strncasecmp(p->schema_start, (u_char *) "https", 5) == 0)))
    {
        return LT_HTTP_PARSE_INVALID_REQUEST;
    }

    p->schema_end = pos;
    p->state = lt_rl_schema_slash;

    return LT_AGAIN;
}


/* lt_http_parse_path: a byte of the path; sets the flags that say the path
 * needs lt_http_parse_complex_uri() */
static int
lt_http_parse_path(lt_http_parse_t *p, u_char *pos)
{
    u_char  ch;

    ch = *pos;

    if (p->state == lt_rl_after_slash_in_uri && (ch == '.' || ch == '/')) {
        p->complex_uri = 1;             /* "/." or "//" */
    }

    switch (ch) {
    case '/':
        p->uri_ext = NULL;
        p->state = lt_rl_after_slash_in_uri;
        return LT_AGAIN;

    case '.':
        p->uri_ext = pos + 1;
        break;

    case '%':
        p->quoted_uri = 1;
        p->complex_uri = 1;
        break;

    case '+':
        p->plus_in_uri = 1;
        break;

    case '?':
        p->args_start = pos + 1;
        p->state = lt_rl_args;
        return LT_AGAIN;

    case '#':
        p->complex_uri = 1;
        p->state = lt_rl_fragment;
        return LT_AGAIN;

    default:
        if (ch <= ' ' || ch == 0x7f) {
            return lt_http_parse_target_end(p, pos);
        }

        break;
    }

    p->state = lt_rl_check_uri;

    return LT_AGAIN;
}


/* lt_http_parse_target: a byte of the request-target */
static int
lt_http_parse_target(lt_http_parse_t *p, u_char *pos)
{
    u_char  ch;

    ch = *pos;

    switch (p->state) {

    case lt_rl_spaces_before_uri:
        return lt_http_parse_target_start(p, pos);

    case lt_rl_schema:
        if ((u_char) (ch | 0x20) >= 'a' && (u_char) (ch | 0x20) <= 'z') {
            return LT_AGAIN;
        }

        return lt_http_parse_schema_end(p, pos);

    case lt_rl_schema_slash:
    case lt_rl_schema_slash_slash:
        if (ch != '/') {
            return LT_HTTP_PARSE_INVALID_REQUEST;
        }

        p->state++;
        return LT_AGAIN;

    case lt_rl_host_start:
        return lt_http_parse_host_start(p, pos);

    case lt_rl_host:
        if (lt_http_bit(lt_http_reg_name, ch)) {
            return LT_AGAIN;
        }

        p->host_end = pos;
        p->state = lt_rl_host_end;
        /* fall through */

    case lt_rl_host_end:
        if (ch == ':') {
            p->state = lt_rl_port;
            return LT_AGAIN;
        }

        return lt_http_parse_after_authority(p, pos);

    case lt_rl_host_ip_literal:
        if (lt_http_bit(lt_http_ip_literal, ch)) {
            return LT_AGAIN;
        }

        if (ch != ']' || pos - p->host_start < 2) {
            return LT_HTTP_PARSE_INVALID_REQUEST;
        }

        p->host_end = pos + 1;
        p->state = lt_rl_host_end;
        return LT_AGAIN;

    case lt_rl_port:
        return lt_http_parse_port(p, pos);

    case lt_rl_asterisk:
        return lt_http_parse_target_end(p, pos);

    case lt_rl_after_slash_in_uri:
    case lt_rl_check_uri:
        return lt_http_parse_path(p, pos);

    case lt_rl_args:
        if (ch == '#') {
            p->complex_uri = 1;
            p->state = lt_rl_fragment;
            return LT_AGAIN;
        }

        /* fall through */

    default: /* lt_rl_fragment */
        if (ch <= ' ' || ch == 0x7f) {
            return lt_http_parse_target_end(p, pos);
        }

        return LT_AGAIN;
    }
}


/* lt_http_parse_version: what follows the target: "HTTP/x.y" and the line end */
static int
lt_http_parse_version(lt_http_parse_t *p, u_char *pos)
{
    u_char  ch;

    ch = *pos;

    switch (p->state) {

    case lt_rl_http_09:
        if (ch == ' ') {
            return LT_AGAIN;
        }

        if (ch == CR || ch == LF) {
            return lt_http_parse_09(p, pos);
        }

        if (ch != 'H') {
            return LT_HTTP_PARSE_INVALID_REQUEST;
        }

        p->http_protocol_start = pos;
        p->state = lt_rl_http_H;
        return LT_AGAIN;

    case lt_rl_http_H:
    case lt_rl_http_HT:
    case lt_rl_http_HTT:
    case lt_rl_http_HTTP:
        if (ch != "TTP/"[p->state - lt_rl_http_H]) {
            return LT_HTTP_PARSE_INVALID_REQUEST;
        }

        p->state++;
        return LT_AGAIN;

    case lt_rl_first_major_digit:
    case lt_rl_major_digit:
        if (ch == '.' && p->state == lt_rl_major_digit) {
            p->state = lt_rl_first_minor_digit;
            return LT_AGAIN;
        }

        if (ch < '0' || ch > '9' || (ch == '0' && p->state == lt_rl_first_major_digit)) {
            return LT_HTTP_PARSE_INVALID_REQUEST;
        }

        p->http_major = p->http_major * 10 + (ch - '0');
        p->state = lt_rl_major_digit;

        if (p->http_major > 1) {
            /* known at once: the caller answers 505 */
            p->http_version = p->http_major * 1000;
            return LT_HTTP_PARSE_INVALID_VERSION;
        }

        return LT_AGAIN;

    case lt_rl_first_minor_digit:
    case lt_rl_minor_digit:
        if (ch >= '0' && ch <= '9') {
            p->http_minor = p->http_minor * 10 + (ch - '0');
            p->state = lt_rl_minor_digit;
            return p->http_minor > 99 ? LT_HTTP_PARSE_INVALID_REQUEST : LT_AGAIN;
        }

        if (p->state == lt_rl_first_minor_digit) {
            return LT_HTTP_PARSE_INVALID_REQUEST;
        }

        p->request_end = pos;
        p->state = lt_rl_spaces_after_digit;
        /* fall through */

    case lt_rl_spaces_after_digit:
        switch (ch) {
        case ' ':
            return LT_AGAIN;
        case CR:
            p->state = lt_rl_almost_done;
            return LT_AGAIN;
        case LF:
            return lt_http_parse_request_done(p);
        default:
            return LT_HTTP_PARSE_INVALID_REQUEST;
        }

    default: /* lt_rl_almost_done */
        if (ch != LF) {
            return LT_HTTP_PARSE_INVALID_REQUEST;
        }

        return lt_http_parse_request_done(p);
    }
}


int
lt_http_parse_request_line(lt_http_parse_t *p, lt_buf_t *b)
{
    int      rc;
    u_char  *pos, plain;

    for (pos = b->pos; pos < b->last; pos++) {

        if (p->state == lt_rl_check_uri || p->state == lt_rl_args) {
            plain = (p->state == lt_rl_check_uri) ? LT_HTTP_PATH_PLAIN : LT_HTTP_ARGS_PLAIN;

            while (lt_http_uri_plain[*pos] & plain) {
                if (++pos == b->last) {
                    goto again;
                }
            }
        }

        if (p->state < lt_rl_spaces_before_uri) {
            rc = lt_http_parse_method(p, pos);

        } else if (p->state < lt_rl_http_09) {
            rc = lt_http_parse_target(p, pos);

        } else {
            rc = lt_http_parse_version(p, pos);
        }

        if (rc == LT_AGAIN) {
            continue;
        }

        if (rc == LT_OK) {
            b->pos = pos + 1;
            return LT_OK;
        }

        b->pos = pos;
        return rc;
    }

again:

    b->pos = pos;

    return LT_AGAIN;
}


/* header line */

/* lt_http_header_line_start: the first byte of a line; every line, the empty
 * one and a bad one too, starts here: the caller counts and logs from
 * header_name_start */
static void
lt_http_header_line_start(lt_http_parse_t *p, u_char *pos)
{
    p->header_name_start = pos;
    p->header_name_end = NULL;
    p->header_start = NULL;
    p->header_end = NULL;
    p->invalid_header = 0;
    p->header_hash = 0;
    p->lowcase_index = 0;
}


/* lt_http_value_scan: the first NUL, CR or LF in [pos, last), or last; at CR or
 * LF, header_end is set to the end of the value without the whitespace after
 * it. Values are most of a header: four bytes at a time where it can. */
static u_char *
lt_http_value_scan(lt_http_parse_t *p, u_char *pos, u_char *last)
{
    u_char  *v;

    while (last - pos >= 4 && pos[0] > CR && pos[1] > CR && pos[2] > CR && pos[3] > CR) {
        pos += 4;
    }

    for ( /* void */ ; pos < last; pos++) {
        if (*pos <= CR && (*pos == CR || *pos == LF || *pos == '\0')) {
            break;
        }
    }

    if (pos < last && *pos != '\0') {
        for (v = pos; v > p->header_start && (v[-1] == ' ' || v[-1] == '\t'); v--) {
            /* void */
        }

        p->header_end = v;
    }

    return pos;
}


/* lt_http_header_name: the bytes of a header name from *posp on, lowercased
 * into lowcase_header and hashed; invalid_header is set for what
 * "ignore_invalid_headers" refuses. Returns LT_OK at the ":", LT_AGAIN at last,
 * or LT_HTTP_PARSE_INVALID_HEADER at a bad byte; *posp is where it stopped. */
static int
lt_http_header_name(lt_http_parse_t *p, u_char **posp, u_char *last,
    unsigned allow_underscores)
{
    int        rc;
    u_char     c, ch, *pos;
    size_t     i;
    uintptr_t  hash;

    hash = p->header_hash;
    i = p->lowcase_index;
    rc = LT_AGAIN;

    for (pos = *posp; pos < last; pos++) {
        ch = *pos;
        c = lt_http_lowcase[ch];

        if (c == 0) {
            if (ch == ':') {
                rc = LT_OK;
                break;
            }

            if (ch <= ' ' || ch == 0x7f) {
                /* NUL, CR, LF, a space before the colon, control characters */
                rc = LT_HTTP_PARSE_INVALID_HEADER;
                break;
            }

            /* "_" unless allowed, "@", "(", ... and bytes >= 0x80 */
            p->invalid_header |= (ch != '_' || !allow_underscores);
            c = ch;         /* their own lowercase */
        }

        hash = lt_hash(hash, c);

        if (i < LT_HTTP_LC_HEADER_LEN) {
            p->lowcase_header[i++] = c;
        }
    }

    p->header_hash = hash;
    p->lowcase_index = i;
    *posp = pos;

    return rc;
}


int
lt_http_parse_header_line(lt_http_parse_t *p, lt_buf_t *b, unsigned allow_underscores)
{
    int        rc;
    u_char     ch, *pos;
    unsigned   state;

    state = p->state;
    rc = LT_AGAIN;

    for (pos = b->pos; pos < b->last; pos++) {
        ch = *pos;

        switch (state) {

        case lt_hl_start:
            lt_http_header_line_start(p, pos);

            if (ch == CR) {
                state = lt_hl_header_almost_done;
                break;
            }

            if (ch == LF) {
                rc = LT_HTTP_PARSE_HEADER_DONE;
                goto done;
            }

            if (ch == ':' || ch == ' ' || ch == '\t') {
                /* an empty name, or obsolete line folding */
                rc = LT_HTTP_PARSE_INVALID_HEADER;
                goto save;
            }

            state = lt_hl_name;
            /* fall through */

        case lt_hl_name:
            rc = lt_http_header_name(p, &pos, b->last, allow_underscores);

            if (rc != LT_OK) {
                goto save;
            }

            rc = LT_AGAIN;
            p->header_name_end = pos;
            state = lt_hl_space_before_value;
            break;

        case lt_hl_space_before_value:
            if (ch == ' ' || ch == '\t') {
                break;
            }

            p->header_start = pos;
            p->header_end = pos;
            state = lt_hl_value;
            /* fall through */

        case lt_hl_value:
            pos = lt_http_value_scan(p, pos, b->last);

            if (pos == b->last || *pos == '\0') {
                rc = (pos == b->last) ? LT_AGAIN : LT_HTTP_PARSE_INVALID_HEADER;
                goto save;
            }

            if (*pos == LF) {
                rc = LT_OK;
                goto done;
            }

            state = lt_hl_almost_done;
            break;

        case lt_hl_almost_done:
        default: /* lt_hl_header_almost_done */
            if (ch != LF) {
                rc = LT_HTTP_PARSE_INVALID_HEADER;      /* a bare CR */
                goto save;
            }

            rc = (state == lt_hl_almost_done) ? LT_OK : LT_HTTP_PARSE_HEADER_DONE;
            goto done;
        }
    }

save:

    b->pos = pos;
    p->state = state;

    return rc;

done:

    b->pos = pos + 1;
    p->state = lt_hl_start;

    return rc;
}


/* status line */

/* lt_http_parse_status_version: "HTTP/x.y " of a status line */
static int
lt_http_parse_status_version(lt_http_parse_t *p, u_char *pos)
{
    u_char  ch;

    ch = *pos;

    switch (p->state) {

    case lt_sl_start:
        if (ch != 'H') {
            return LT_ERROR;
        }

        p->request_start = pos;
        p->http_protocol_start = pos;
        p->state = lt_sl_H;
        return LT_AGAIN;

    case lt_sl_H:
    case lt_sl_HT:
    case lt_sl_HTT:
    case lt_sl_HTTP:
        if (ch != "TTP/"[p->state - lt_sl_H]) {
            return LT_ERROR;
        }

        p->state++;
        return LT_AGAIN;

    case lt_sl_first_major_digit:
    case lt_sl_major_digit:
        if (ch == '.' && p->state == lt_sl_major_digit) {
            p->state = lt_sl_first_minor_digit;
            return LT_AGAIN;
        }

        if (ch < '0' || ch > '9' || (ch == '0' && p->state == lt_sl_first_major_digit)) {
            return LT_ERROR;
        }

        p->http_major = p->http_major * 10 + (ch - '0');
        p->state = lt_sl_major_digit;
        return p->http_major > 99 ? LT_ERROR : LT_AGAIN;

    default: /* lt_sl_first_minor_digit, lt_sl_minor_digit */
        if (ch >= '0' && ch <= '9') {
            p->http_minor = p->http_minor * 10 + (ch - '0');
            p->state = lt_sl_minor_digit;
            return p->http_minor > 99 ? LT_ERROR : LT_AGAIN;
        }

        if (ch != ' ' || p->state == lt_sl_first_minor_digit) {
            return LT_ERROR;
        }

        p->http_version = p->http_major * 1000 + p->http_minor;
        p->state = lt_sl_status;
        return LT_AGAIN;
    }
}


/* lt_http_parse_status_code: the status, the reason phrase and the line end */
static int
lt_http_parse_status_code(lt_http_parse_t *p, u_char *pos)
{
    u_char  ch;

    ch = *pos;

    switch (p->state) {

    case lt_sl_status:
        if (ch == ' ') {
            return LT_AGAIN;
        }

        if (ch < '1' || ch > '9') {
            return LT_ERROR;
        }

        p->status_start = pos;
        p->status = ch - '0';
        p->state = lt_sl_status_digits;
        return LT_AGAIN;

    case lt_sl_status_digits:
        if (ch < '0' || ch > '9') {
            return LT_ERROR;
        }

        p->status = p->status * 10 + (ch - '0');

        if (pos - p->status_start == 2) {
            p->state = lt_sl_space_after_status;
        }

        return LT_AGAIN;

    case lt_sl_space_after_status:
        if (ch == ' ' || ch == '.') {
            /* "." : IIS sends "403.1" and the like */
            p->state = lt_sl_status_text;
            return LT_AGAIN;
        }

        if (ch != CR && ch != LF) {
            return LT_ERROR;
        }

        /* fall through */

    case lt_sl_status_text:
        if (ch == CR || ch == LF) {
            p->status_end = pos;
            p->request_end = pos;
            p->state = lt_sl_almost_done;
        }

        return ch == LF ? LT_OK : LT_AGAIN;

    default: /* lt_sl_almost_done */
        return ch == LF ? LT_OK : LT_ERROR;
    }
}


int
lt_http_parse_status_line(lt_http_parse_t *p, lt_buf_t *b)
{
    int      rc;
    u_char  *pos;

    for (pos = b->pos; pos < b->last; pos++) {

        if (p->state < lt_sl_status) {
            rc = lt_http_parse_status_version(p, pos);

        } else {
            rc = lt_http_parse_status_code(p, pos);
        }

        if (rc == LT_AGAIN) {
            continue;
        }

        if (rc == LT_OK) {
            p->state = 0;
            b->pos = pos + 1;
            return LT_OK;
        }

        b->pos = pos;
        return rc;
    }

    b->pos = pos;

    return LT_AGAIN;
}


#define lt_http_relocate_ptr(ptr)                                             \
    if (ptr) {                                                                \
        ptr = new + (ptr - old);                                              \
    }

void
lt_http_parse_relocate(lt_http_parse_t *p, u_char *old, u_char *new)
{
    lt_http_relocate_ptr(p->request_start);
    lt_http_relocate_ptr(p->request_end);
    lt_http_relocate_ptr(p->method_end);
    lt_http_relocate_ptr(p->schema_start);
    lt_http_relocate_ptr(p->schema_end);
    lt_http_relocate_ptr(p->host_start);
    lt_http_relocate_ptr(p->host_end);
    lt_http_relocate_ptr(p->port_start);
    lt_http_relocate_ptr(p->port_end);
    lt_http_relocate_ptr(p->uri_start);
    lt_http_relocate_ptr(p->uri_end);
    lt_http_relocate_ptr(p->uri_ext);
    lt_http_relocate_ptr(p->args_start);
    lt_http_relocate_ptr(p->http_protocol_start);
    lt_http_relocate_ptr(p->status_start);
    lt_http_relocate_ptr(p->status_end);
    lt_http_relocate_ptr(p->header_name_start);
    lt_http_relocate_ptr(p->header_name_end);
    lt_http_relocate_ptr(p->header_start);
    lt_http_relocate_ptr(p->header_end);
}


/* complex URI */

/* lt_http_uri_parent: the output ends with "/.." (u is after it): drop that and
 * the segment before it, leaving the output after the previous "/" */
static int
lt_http_uri_parent(u_char *dst, u_char **up)
{
    u_char  *u;

    for (u = *up - 3; u > dst; /* void */ ) {
        u--;

        if (*u == '/') {
            *up = u + 1;
            return LT_OK;
        }
    }

    return LT_ERROR;        /* above the root */
}


/* lt_http_uri_step: one decoded byte of the path into the output */
static int
lt_http_uri_step(u_char *dst, u_char **up, unsigned *state, u_char ch, unsigned merge_slashes)
{
    u_char  *u;

    u = *up;

    switch (*state) {

    case lt_cu_slash:
        if (ch == '/' && merge_slashes) {
            return LT_OK;
        }

        *u++ = ch;
        *state = (ch == '.') ? lt_cu_dot : (ch == '/') ? lt_cu_slash : lt_cu_usual;
        break;

    case lt_cu_dot:
        if (ch == '/') {
            u--;                /* "/./" is "/" */
            *state = lt_cu_slash;
            break;
        }

        *u++ = ch;
        *state = (ch == '.') ? lt_cu_dot_dot : lt_cu_usual;
        break;

    case lt_cu_dot_dot:
        if (ch == '/') {
            *up = u;
            *state = lt_cu_slash;
            return lt_http_uri_parent(dst, up);
        }

        *u++ = ch;
        *state = lt_cu_usual;
        break;

    default: /* lt_cu_usual */
        *u++ = ch;

        if (ch == '/') {
            *state = lt_cu_slash;
        }

        break;
    }

    *up = u;

    return LT_OK;
}


/* lt_http_uri_ext: after the last "." of the last segment of [dst, end), or NULL */
static u_char *
lt_http_uri_ext(u_char *dst, u_char *end)
{
    u_char  *u;

    for (u = end; u > dst; /* void */ ) {
        u--;

        if (*u == '/') {
            break;
        }

        if (*u == '.') {
            return u + 1;
        }
    }

    return NULL;
}


int
lt_http_parse_complex_uri(u_char *dst, size_t *dst_len, u_char **ext, const u_char *src,
    size_t len, unsigned merge_slashes)
{
    int            hi, lo;
    u_char        *u, ch;
    unsigned       state;
    const u_char  *s, *end;

    *dst_len = 0;
    *ext = NULL;

    u = dst;
    state = lt_cu_usual;

    for (s = src, end = src + len; s < end; /* void */ ) {
        ch = *s++;

        if (ch == '#') {
            break;              /* a fragment */
        }

        if (ch == '%') {
            if (end - s < 2) {
                return LT_ERROR;
            }

            hi = lt_http_hex(s[0]);
            lo = lt_http_hex(s[1]);

            if (hi < 0 || lo < 0) {
                return LT_ERROR;
            }

            /* decoded first, then taking part in "/../" like a literal byte;
             * a decoded "%" or "#" is only data */
            ch = (u_char) (hi << 4 | lo);
            s += 2;
        }

        if (ch == '\0' || lt_http_uri_step(dst, &u, &state, ch, merge_slashes) != LT_OK) {
            return LT_ERROR;
        }
    }

    if (state == lt_cu_dot) {
        u--;                    /* "/foo/." is "/foo/" */

    } else if (state == lt_cu_dot_dot && lt_http_uri_parent(dst, &u) != LT_OK) {
        return LT_ERROR;
    }

    *dst_len = u - dst;
    *ext = lt_http_uri_ext(dst, u);

    return LT_OK;
}


/* Host */

/* lt_http_validate_port: [p, last) after ":" of a host: 0-5 digits, <= 65535 */
static int
lt_http_validate_port(const u_char *p, const u_char *last)
{
    int64_t  port;

    if (last - p > 5) {
        return LT_DECLINED;
    }

    if (p == last) {
        return LT_OK;           /* a stray ":" */
    }

    port = lt_atoi(p, last - p);

    return (port < 0 || port > 65535) ? LT_DECLINED : LT_OK;
}


int
lt_http_validate_host(lt_str_t *host)
{
    u_char          *h;
    size_t           i, len, host_len;
    const uint32_t  *chars;

    h = host->data;
    len = host->len;

    if (len == 0) {
        return LT_DECLINED;
    }

    i = 0;
    chars = lt_http_host_name;

    if (h[0] == '[') {
        i = 1;
        chars = lt_http_ip_literal;
    }

    for ( /* void */ ; i < len; i++) {
        if (h[i] == ':' && chars == lt_http_host_name) {
            break;
        }

        if (h[i] == ']' && chars == lt_http_ip_literal) {
            break;
        }

        if (!lt_http_bit(chars, h[i]) || (h[i] == '.' && i > 0 && h[i - 1] == '.')) {
            return LT_DECLINED;
        }

        h[i] = lt_tolower(h[i]);
    }

    if (chars == lt_http_ip_literal) {
        if (i == len || i == 1) {
            return LT_DECLINED;         /* no "]", or "[]" */
        }

        host_len = ++i;                 /* with the "]" */

    } else {
        host_len = i;

        if (host_len && h[host_len - 1] == '.') {
            host_len--;                 /* "example.com." is "example.com" */
        }

        if (host_len == 0) {
            return LT_DECLINED;
        }
    }

    if (i < len && (h[i] != ':' || lt_http_validate_port(h + i + 1, h + len) != LT_OK)) {
        /* after the name only ":port" */
        return LT_DECLINED;
    }

    host->len = host_len;

    return LT_OK;
}


/* chunked */

/* lt_http_chunked_length: how many bytes the rest of the body needs at least,
 * counting bare LFs as the shortest line ends (as nginx does) */
static off_t
lt_http_chunked_length(lt_http_chunked_t *ctx)
{
    switch (ctx->state) {
    case lt_ch_start:
        return 3;                                       /* "0" LF LF */
    case lt_ch_size:
    case lt_ch_size_bws:
    case lt_ch_extension:
    case lt_ch_size_almost_done:
        return ctx->size ? 1 + ctx->size + 4 : 1 + 1;   /* LF data LF "0" LF LF */
    case lt_ch_data:
        return ctx->size + 4;                           /* data LF "0" LF LF */
    case lt_ch_after_data:
    case lt_ch_after_data_almost_done:
        return 4;                                       /* LF "0" LF LF */
    default: /* lt_ch_last */
        return 1;                                       /* the empty trailer line */
    }
}


/* lt_http_chunked_size_line: a byte of a chunk-size line after the first digit;
 * LT_AGAIN to go on, LT_OK at its LF, LT_ERROR */
static int
lt_http_chunked_size_line(lt_http_chunked_t *ctx, u_char ch)
{
    int  d;

    switch (ctx->state) {

    case lt_ch_size:
        d = lt_http_hex(ch);

        if (d >= 0) {
            if (ctx->size > (LT_HTTP_MAX_CHUNK_SIZE - d) / 16) {
                return LT_ERROR;
            }

            ctx->size = ctx->size * 16 + d;
            return LT_AGAIN;
        }

        /* fall through */

    case lt_ch_size_bws:
        if (ch == ' ' || ch == '\t') {
            ctx->state = lt_ch_size_bws;
            return LT_AGAIN;
        }

        if (ch == ';') {
            ctx->state = lt_ch_extension;
            return LT_AGAIN;
        }

        if (ctx->state == lt_ch_size_bws) {
            return LT_ERROR;    /* spaces only before ";" */
        }

        /* fall through */

    case lt_ch_extension:
        if (ch == CR) {
            ctx->state = lt_ch_size_almost_done;
            return LT_AGAIN;
        }

        if (ch == LF) {
            return LT_OK;
        }

        return ((ch < ' ' && ch != '\t') || ch == 0x7f || ctx->state != lt_ch_extension)
               ? LT_ERROR : LT_AGAIN;

    default: /* lt_ch_size_almost_done */
        return ch == LF ? LT_OK : LT_ERROR;
    }
}


int
lt_http_parse_chunked(lt_http_chunked_t *ctx, lt_buf_t *b)
{
    int      rc, d;
    u_char  *pos;

    if (ctx->state == lt_ch_data && ctx->size == 0) {
        ctx->state = lt_ch_after_data;
    }

    rc = LT_AGAIN;
    pos = b->pos;

    if (ctx->state == lt_ch_last) {
        rc = LT_HTTP_PARSE_CHUNK_LAST;
        goto done;
    }

    for ( /* void */ ; pos < b->last; pos++) {

        switch (ctx->state) {

        case lt_ch_start:
            d = lt_http_hex(*pos);
            if (d < 0) {
                goto invalid;
            }

            ctx->size = d;
            ctx->state = lt_ch_size;
            break;

        case lt_ch_data:
            rc = LT_HTTP_PARSE_CHUNK_DATA;
            goto done;

        case lt_ch_after_data:
            if (*pos == CR) {
                ctx->state = lt_ch_after_data_almost_done;
                break;
            }

            /* fall through */

        case lt_ch_after_data_almost_done:
            if (*pos != LF) {
                goto invalid;
            }

            ctx->state = lt_ch_start;
            break;

        default: /* the size line */
            rc = lt_http_chunked_size_line(ctx, *pos);

            if (rc == LT_ERROR) {
                goto invalid;
            }

            if (rc == LT_AGAIN) {
                break;
            }

            if (ctx->size == 0) {
                ctx->state = lt_ch_last;
                rc = LT_HTTP_PARSE_CHUNK_LAST;
                pos++;
                goto done;
            }

            ctx->state = lt_ch_data;
            rc = LT_AGAIN;
            break;
        }
    }

done:

    b->pos = pos;
    ctx->length = lt_http_chunked_length(ctx);

    return rc;

invalid:

    b->pos = pos;

    return LT_ERROR;
}


/* arguments, cookies */

int
lt_http_arg(const lt_str_t *args, const u_char *name, size_t len, lt_str_t *value)
{
    u_char  *p, *last, *end;

    if (len == 0 || args->len == 0) {
        return LT_DECLINED;
    }

    p = args->data;
    last = p + args->len;

    for ( ;; ) {
        end = memchr(p, '&', last - p);
        if (end == NULL) {
            end = last;
        }

        if ((size_t) (end - p) > len && p[len] == '=' && lt_strncasecmp(p, name, len) == 0) {
            value->data = p + len + 1;
            value->len = end - value->data;
            return LT_OK;
        }

        if (end == last) {
            return LT_DECLINED;
        }

        p = end + 1;
    }
}


int
lt_http_cookie(const lt_str_t *header, const u_char *name, size_t len, lt_str_t *value)
{
    u_char  *p, *last, *end, *eq, *name_end;

    if (len == 0 || header->len == 0) {
        return LT_DECLINED;
    }

    p = header->data;
    last = p + header->len;

    for ( ;; ) {
        while (p < last && (*p == ' ' || *p == '\t')) {
            p++;
        }

        end = lt_strlchr(p, last, ';');
        if (end == NULL) {
            end = last;
        }

        eq = lt_strlchr(p, end, '=');

        if (eq) {
            for (name_end = eq; name_end > p && name_end[-1] == ' '; name_end--) {
                /* void */
            }

            if ((size_t) (name_end - p) == len && lt_strncasecmp(p, (u_char *) name, len) == 0) {
                for (p = eq + 1; p < end && (*p == ' ' || *p == '\t'); p++) { /* void */ }
                for ( /* void */ ; end > p && (end[-1] == ' ' || end[-1] == '\t'); end--) {
                    /* void */
                }

                value->data = p;
                value->len = end - p;
                return LT_OK;
            }
        }

        if (end == last) {
            return LT_DECLINED;
        }

        p = end + 1;
    }
}


void
lt_http_split_args(lt_str_t *uri, lt_str_t *args)
{
    u_char  *q;

    q = uri->len ? memchr(uri->data, '?', uri->len) : NULL;

    if (q == NULL) {
        args->len = 0;
        args->data = uri->len ? uri->data + uri->len : uri->data;
        return;
    }

    args->data = q + 1;
    args->len = uri->data + uri->len - args->data;
    uri->len = q - uri->data;
}
