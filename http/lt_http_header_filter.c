/*
 * lt_http_header_filter.c: the last header filter. It writes the status line
 * and the response headers into one buffer and hands it to the write filter,
 * which sends it together with the first body bytes.
 */

#include "lt_http.h"

typedef struct {
    unsigned   status;
    lt_str_t   line;
} lt_http_status_t;

static const lt_http_status_t  lt_http_status_lines[] = {
    { 100, lt_string("100 Continue") },
    { 101, lt_string("101 Switching Protocols") },
    { 102, lt_string("102 Processing") },
    { 103, lt_string("103 Early Hints") },
    { 200, lt_string("200 OK") },
    { 201, lt_string("201 Created") },
    { 202, lt_string("202 Accepted") },
    { 203, lt_string("203 Non-Authoritative Information") },
    { 204, lt_string("204 No Content") },
    { 205, lt_string("205 Reset Content") },
    { 206, lt_string("206 Partial Content") },
    { 207, lt_string("207 Multi-Status") },
    { 300, lt_string("300 Multiple Choices") },
    { 301, lt_string("301 Moved Permanently") },
    { 302, lt_string("302 Moved Temporarily") },
    { 303, lt_string("303 See Other") },
    { 304, lt_string("304 Not Modified") },
    { 305, lt_string("305 Use Proxy") },
    { 307, lt_string("307 Temporary Redirect") },
    { 308, lt_string("308 Permanent Redirect") },
    { 400, lt_string("400 Bad Request") },
    { 401, lt_string("401 Unauthorized") },
    { 402, lt_string("402 Payment Required") },
    { 403, lt_string("403 Forbidden") },
    { 404, lt_string("404 Not Found") },
    { 405, lt_string("405 Not Allowed") },
    { 406, lt_string("406 Not Acceptable") },
    { 407, lt_string("407 Proxy Authentication Required") },
    { 408, lt_string("408 Request Time-out") },
    { 409, lt_string("409 Conflict") },
    { 410, lt_string("410 Gone") },
    { 411, lt_string("411 Length Required") },
    { 412, lt_string("412 Precondition Failed") },
    { 413, lt_string("413 Request Entity Too Large") },
    { 414, lt_string("414 Request-URI Too Large") },
    { 415, lt_string("415 Unsupported Media Type") },
    { 416, lt_string("416 Requested Range Not Satisfiable") },
    { 417, lt_string("417 Expectation Failed") },
    { 418, lt_string("418 I'm a teapot") },
    { 421, lt_string("421 Misdirected Request") },
    { 422, lt_string("422 Unprocessable Entity") },
    { 423, lt_string("423 Locked") },
    { 424, lt_string("424 Failed Dependency") },
    { 425, lt_string("425 Too Early") },
    { 426, lt_string("426 Upgrade Required") },
    { 428, lt_string("428 Precondition Required") },
    { 429, lt_string("429 Too Many Requests") },
    { 431, lt_string("431 Request Header Fields Too Large") },
    { 451, lt_string("451 Unavailable For Legal Reasons") },
    { 500, lt_string("500 Internal Server Error") },
    { 501, lt_string("501 Not Implemented") },
    { 502, lt_string("502 Bad Gateway") },
    { 503, lt_string("503 Service Temporarily Unavailable") },
    { 504, lt_string("504 Gateway Time-out") },
    { 505, lt_string("505 HTTP Version Not Supported") },
    { 506, lt_string("506 Variant Also Negotiates") },
    { 507, lt_string("507 Insufficient Storage") },
    { 508, lt_string("508 Loop Detected") },
    { 0, lt_null_string }
};


const lt_str_t *
lt_http_status_line(unsigned status)
{
    const lt_http_status_t  *s;

    for (s = lt_http_status_lines; s->status; s++) {
        if (s->status == status) {
            return &s->line;
        }
    }

    return NULL;
}


/* lt_http_location_host: scheme://host[:port] to prefix a relative Location */
static int
lt_http_location_prefix(lt_http_request_t *r, lt_str_t *prefix)
{
    u_char                   *p;
    in_port_t                 port;
    lt_str_t                  host, addr;
    lt_http_core_loc_conf_t  *clcf;
    lt_http_core_srv_conf_t  *cscf;

    clcf = lt_http_get_module_loc_conf(r, lt_http_core_module);

    if (clcf->server_name_in_redirect) {
        cscf = lt_http_get_module_srv_conf(r, lt_http_core_module);
        host = cscf->server_name;

    } else if (r->headers_in.server.len) {
        host = r->headers_in.server;

    } else {
        if (lt_http_server_addr(r, &addr) != LT_OK) {
            return LT_ERROR;
        }

        host = addr;
    }

    port = 0;

    if (clcf->port_in_redirect) {
        if (lt_connection_local_sockaddr(r->connection, NULL, 0) != LT_OK) {
            return LT_ERROR;
        }

        port = lt_inet_get_port(r->connection->local_sockaddr);

        if (port == (r->connection->ssl ? 443 : 80)) {
            port = 0;
        }
    }

    prefix->data = lt_pnalloc(r->pool, sizeof("https://") + host.len + sizeof(":65535"));
    if (prefix->data == NULL) {
        return LT_ERROR;
    }

    p = lt_cpymem(prefix->data, r->connection->ssl ? "https://" : "http://",
                  r->connection->ssl ? 8 : 7);
    p = lt_cpymem(p, host.data, host.len);

    if (port) {
        p = lt_slprintf(p, p + sizeof(":65535"), ":%u", (unsigned) port);
    }

    prefix->len = p - prefix->data;

    return LT_OK;
}


/* lt_http_header_prepare: decisions made before measuring the headers */
static int
lt_http_header_prepare(lt_http_request_t *r, const lt_str_t **status_line,
    lt_str_t *location_prefix)
{
    unsigned                  status;
    lt_http_core_loc_conf_t  *clcf;

    if (r->method == LT_HTTP_HEAD) {
        r->header_only = 1;
    }

    if (r->headers_out.last_modified_time != -1) {
        if (r->headers_out.status != LT_HTTP_OK
            && r->headers_out.status != LT_HTTP_PARTIAL_CONTENT
            && r->headers_out.status != LT_HTTP_NOT_MODIFIED)
        {
            lt_http_clear_last_modified(r);
        }
    }

    status = r->headers_out.status;

    if (status == LT_HTTP_NO_CONTENT) {
        r->header_only = 1;
        lt_str_null(&r->headers_out.content_type);
        lt_http_clear_last_modified(r);
        lt_http_clear_content_length(r);

    } else if (status == LT_HTTP_NOT_MODIFIED) {
        r->header_only = 1;
    }

    *status_line = r->headers_out.status_line.len ? &r->headers_out.status_line
                                                  : lt_http_status_line(status);

    if (r->keepalive && (lt_terminate || lt_exiting)) {
        r->keepalive = 0;
    }

    lt_str_null(location_prefix);

    clcf = lt_http_get_module_loc_conf(r, lt_http_core_module);

    if (r->headers_out.location && r->headers_out.location->value.len
        && r->headers_out.location->value.data[0] == '/' && clcf->absolute_redirect)
    {
        if (lt_http_location_prefix(r, location_prefix) != LT_OK) {
            return LT_ERROR;
        }
    }

    return LT_OK;
}


#define lt_http_header_len(name, vlen)  (sizeof(name) - 1 + (vlen) + 2)

int
lt_http_header_filter(lt_http_request_t *r)
{
    u_char                   *p;
    size_t                    len;
    lt_buf_t                 *b;
    lt_chain_t                out;
    lt_str_t                  loc_prefix;
    lt_list_iter_t            it;
    lt_table_elt_t           *h;
    const lt_str_t           *status_line;
    lt_http_core_loc_conf_t  *clcf;
    u_char                    clen[LT_INT64_LEN];
    size_t                    clen_len;

    if (r->header_sent) {
        return LT_OK;
    }

    r->header_sent = 1;

    if (r != r->main) {
        return LT_OK;
    }

    if (r->http_version < LT_HTTP_VERSION_10) {
        /* HTTP/0.9: the body alone */
        return LT_OK;
    }

    if (lt_http_header_prepare(r, &status_line, &loc_prefix) != LT_OK) {
        return LT_ERROR;
    }

    clcf = lt_http_get_module_loc_conf(r, lt_http_core_module);

    /* the length */

    /* the status line's CRLF and the empty line's */
    len = sizeof("HTTP/1.x ") - 1 + 2 + 2;
    len += status_line ? status_line->len : 4;

    if (r->headers_out.server == NULL) {
        len += lt_http_header_len("Server: ", sizeof(LINTEL_VER));
    }

    if (r->headers_out.date == NULL) {
        len += lt_http_header_len("Date: ", LT_HTTP_TIME_LEN);
    }

    if (r->headers_out.content_type.len) {
        len += lt_http_header_len("Content-Type: ", r->headers_out.content_type.len)
               + sizeof("; charset=") - 1 + r->headers_out.charset.len;
    }

    clen_len = 0;

    if (r->headers_out.content_length == NULL && r->headers_out.content_length_n >= 0) {
        clen_len = lt_sprint_uint(clen, (uint64_t) r->headers_out.content_length_n) - clen;
        len += lt_http_header_len("Content-Length: ", clen_len);
    }

    if (r->headers_out.last_modified == NULL && r->headers_out.last_modified_time != -1) {
        len += lt_http_header_len("Last-Modified: ", LT_HTTP_TIME_LEN);
    }

    len += loc_prefix.len;

    if (r->chunked) {
        len += sizeof("Transfer-Encoding: chunked" CRLF) - 1;
    }

    len += sizeof("Connection: keep-alive" CRLF) - 1;

    if (r->keepalive && clcf->keepalive_header) {
        len += sizeof("Keep-Alive: timeout=" CRLF) - 1 + LT_INT64_LEN;
    }

    lt_list_iter_init(&it, &r->headers_out.headers);

    while ((h = lt_list_iter_next(&it)) != NULL) {
        if (h->hash) {
            len += h->key.len + sizeof(": ") - 1 + h->value.len + 2;
        }
    }

    b = lt_create_temp_buf(r->pool, len);
    if (b == NULL) {
        return LT_ERROR;
    }

    /* the status line and headers */

    p = lt_cpymem(b->last, "HTTP/1.1 ", 9);

    if (status_line) {
        p = lt_cpymem(p, status_line->data, status_line->len);

    } else {
        unsigned  st = r->headers_out.status % 1000;

        *p++ = (u_char) ('0' + st / 100);
        *p++ = (u_char) ('0' + st / 10 % 10);
        *p++ = (u_char) ('0' + st % 10);
        *p++ = ' ';
    }

    *p++ = CR; *p++ = LF;

    if (r->headers_out.server == NULL) {
        if (clcf->server_tokens == LT_HTTP_SERVER_TOKENS_OFF) {
            p = lt_cpymem(p, "Server: lintel" CRLF, sizeof("Server: lintel" CRLF) - 1);
        } else {
            p = lt_cpymem(p, "Server: " LINTEL_VER CRLF, sizeof("Server: " LINTEL_VER CRLF) - 1);
        }
    }

    if (r->headers_out.date == NULL) {
        p = lt_cpymem(p, "Date: ", 6);
        p = lt_cpymem(p, lt_cached_http_time.data, lt_cached_http_time.len);
        *p++ = CR; *p++ = LF;
    }

    if (r->headers_out.content_type.len) {
        p = lt_cpymem(p, "Content-Type: ", 14);
        p = lt_cpymem(p, r->headers_out.content_type.data, r->headers_out.content_type.len);

        if (r->headers_out.content_type_len == r->headers_out.content_type.len
            && r->headers_out.charset.len)
        {
            p = lt_cpymem(p, "; charset=", 10);
            p = lt_cpymem(p, r->headers_out.charset.data, r->headers_out.charset.len);
        }

        *p++ = CR; *p++ = LF;
    }

    if (clen_len) {
        p = lt_cpymem(p, "Content-Length: ", 16);
        p = lt_cpymem(p, clen, clen_len);
        *p++ = CR; *p++ = LF;
    }

    if (r->headers_out.last_modified == NULL && r->headers_out.last_modified_time != -1) {
        p = lt_cpymem(p, "Last-Modified: ", 15);
        p = lt_http_time(p, r->headers_out.last_modified_time);
        *p++ = CR; *p++ = LF;
    }

    if (r->chunked) {
        p = lt_cpymem(p, "Transfer-Encoding: chunked" CRLF,
                      sizeof("Transfer-Encoding: chunked" CRLF) - 1);
    }

    if (r->headers_out.status == LT_HTTP_SWITCHING_PROTOCOLS) {
        p = lt_cpymem(p, "Connection: upgrade" CRLF, sizeof("Connection: upgrade" CRLF) - 1);

    } else if (r->keepalive) {
        p = lt_cpymem(p, "Connection: keep-alive" CRLF,
                      sizeof("Connection: keep-alive" CRLF) - 1);

        if (clcf->keepalive_header) {
            p = lt_slprintf(p, b->end, "Keep-Alive: timeout=%lld" CRLF,
                            (long long) clcf->keepalive_header);
        }

    } else {
        p = lt_cpymem(p, "Connection: close" CRLF, sizeof("Connection: close" CRLF) - 1);
    }

    lt_list_iter_init(&it, &r->headers_out.headers);

    while ((h = lt_list_iter_next(&it)) != NULL) {
        if (h->hash == 0) {
            continue;
        }

        p = lt_cpymem(p, h->key.data, h->key.len);
        *p++ = ':'; *p++ = ' ';

        if (h == r->headers_out.location && loc_prefix.len) {
            p = lt_cpymem(p, loc_prefix.data, loc_prefix.len);
        }

        p = lt_cpymem(p, h->value.data, h->value.len);
        *p++ = CR; *p++ = LF;
    }

    *p++ = CR; *p++ = LF;

    b->last = p;

    r->header_size = (size_t) (b->last - b->pos);

    if (r->header_only) {
        b->last_buf = 1;
    }

    out.buf = b;
    out.next = NULL;

    return lt_http_write_filter(r, &out);
}


/* lt_http_header_writer_init: the header writer and the write filter are the
 * chains' last slot */
int lt_http_writer_postconfiguration(lt_conf_t *cf);

int
lt_http_writer_postconfiguration(lt_conf_t *cf)
{
    lt_http_register_filter(LT_HTTP_FILTER_WRITER, lt_http_header_filter,
                            lt_http_write_filter);
    return LT_OK;
}
