/*
 * lt_http_upstream_headers.c: the headers of an upstream's response: how each
 * known one is noted in u->headers_in (handler) and how it is passed to the
 * client (copy_handler: as it is, rewritten by proxy_redirect/proxy_cookie_*,
 * or not at all); the table is hashed once at configuration time.
 */

#include "lt_http.h"

static int lt_http_upstream_process_header_ptr(lt_http_request_t *r, lt_table_elt_t *h,
    uintptr_t offset);
static int lt_http_upstream_process_multi_header_lines(lt_http_request_t *r,
    lt_table_elt_t *h, uintptr_t offset);
static int lt_http_upstream_process_content_length(lt_http_request_t *r, lt_table_elt_t *h,
    uintptr_t offset);
static int lt_http_upstream_process_last_modified(lt_http_request_t *r, lt_table_elt_t *h,
    uintptr_t offset);
static int lt_http_upstream_process_connection(lt_http_request_t *r, lt_table_elt_t *h,
    uintptr_t offset);
static int lt_http_upstream_process_transfer_encoding(lt_http_request_t *r,
    lt_table_elt_t *h, uintptr_t offset);
static int lt_http_upstream_process_limit_rate(lt_http_request_t *r, lt_table_elt_t *h,
    uintptr_t offset);
static int lt_http_upstream_process_buffering(lt_http_request_t *r, lt_table_elt_t *h,
    uintptr_t offset);
static int lt_http_upstream_process_charset(lt_http_request_t *r, lt_table_elt_t *h,
    uintptr_t offset);
static int lt_http_upstream_ignore_header_line(lt_http_request_t *r, lt_table_elt_t *h,
    uintptr_t offset);
static int lt_http_upstream_copy_header_line(lt_http_request_t *r, lt_table_elt_t *h,
    uintptr_t offset);
static int lt_http_upstream_copy_multi_header_lines(lt_http_request_t *r, lt_table_elt_t *h,
    uintptr_t offset);
static int lt_http_upstream_copy_content_type(lt_http_request_t *r, lt_table_elt_t *h,
    uintptr_t offset);
static int lt_http_upstream_copy_last_modified(lt_http_request_t *r, lt_table_elt_t *h,
    uintptr_t offset);
static int lt_http_upstream_rewrite_location(lt_http_request_t *r, lt_table_elt_t *h,
    uintptr_t offset);
static int lt_http_upstream_rewrite_refresh(lt_http_request_t *r, lt_table_elt_t *h,
    uintptr_t offset);
static int lt_http_upstream_rewrite_set_cookie(lt_http_request_t *r, lt_table_elt_t *h,
    uintptr_t offset);
static int lt_http_upstream_copy_upgrade(lt_http_request_t *r, lt_http_upstream_header_t *hh,
    lt_table_elt_t *h);

#define lt_http_upstream_hi(name, h, o, c, co, rd)                            \
    { lt_string(name), h, offsetof(lt_http_upstream_headers_in_t, o), c, co, rd }

#define lt_http_upstream_ho(f)  offsetof(lt_http_headers_out_t, f)

/* the headers an upstream response may carry: how each is noted (handler) and
 * how it is passed to the client (copy_handler) */
static lt_http_upstream_header_t  lt_http_upstream_headers_in[] = {

    lt_http_upstream_hi("Status", lt_http_upstream_process_header_ptr, status,
                        lt_http_upstream_copy_header_line, 0, 0),
    lt_http_upstream_hi("Content-Type", lt_http_upstream_process_header_ptr, content_type,
                        lt_http_upstream_copy_content_type, 0, 1),
    lt_http_upstream_hi("Content-Length", lt_http_upstream_process_content_length,
                        content_length, lt_http_upstream_ignore_header_line, 0, 0),
    lt_http_upstream_hi("Date", lt_http_upstream_process_header_ptr, date,
                        lt_http_upstream_copy_header_line, lt_http_upstream_ho(date), 0),
    lt_http_upstream_hi("Last-Modified", lt_http_upstream_process_last_modified,
                        last_modified, lt_http_upstream_copy_last_modified, 0, 0),
    lt_http_upstream_hi("ETag", lt_http_upstream_process_header_ptr, etag,
                        lt_http_upstream_copy_header_line, lt_http_upstream_ho(etag), 0),
    lt_http_upstream_hi("Server", lt_http_upstream_process_header_ptr, server,
                        lt_http_upstream_copy_header_line, lt_http_upstream_ho(server), 0),
    lt_http_upstream_hi("WWW-Authenticate", lt_http_upstream_process_multi_header_lines,
                        www_authenticate, lt_http_upstream_copy_header_line, 0, 0),
    lt_http_upstream_hi("Location", lt_http_upstream_process_header_ptr, location,
                        lt_http_upstream_rewrite_location, 0, 0),
    lt_http_upstream_hi("Refresh", lt_http_upstream_process_header_ptr, refresh,
                        lt_http_upstream_rewrite_refresh, 0, 0),
    lt_http_upstream_hi("Set-Cookie", lt_http_upstream_process_multi_header_lines,
                        set_cookie, lt_http_upstream_rewrite_set_cookie, 0, 1),
    lt_http_upstream_hi("Content-Disposition", lt_http_upstream_ignore_header_line, status,
                        lt_http_upstream_copy_header_line, 0, 1),
    lt_http_upstream_hi("Cache-Control", lt_http_upstream_process_multi_header_lines,
                        cache_control, lt_http_upstream_copy_multi_header_lines,
                        lt_http_upstream_ho(cache_control), 1),
    lt_http_upstream_hi("Expires", lt_http_upstream_process_header_ptr, expires,
                        lt_http_upstream_copy_header_line, lt_http_upstream_ho(expires), 1),
    lt_http_upstream_hi("Accept-Ranges", lt_http_upstream_ignore_header_line, status,
                        lt_http_upstream_copy_header_line,
                        lt_http_upstream_ho(accept_ranges), 1),
    lt_http_upstream_hi("Upgrade", lt_http_upstream_ignore_header_line, status,
                        NULL, 0, 0),
    lt_http_upstream_hi("Content-Range", lt_http_upstream_ignore_header_line, status,
                        lt_http_upstream_copy_header_line,
                        lt_http_upstream_ho(content_range), 0),
    lt_http_upstream_hi("Connection", lt_http_upstream_process_connection, connection,
                        lt_http_upstream_ignore_header_line, 0, 0),
    lt_http_upstream_hi("Keep-Alive", lt_http_upstream_ignore_header_line, status,
                        lt_http_upstream_ignore_header_line, 0, 0),
    lt_http_upstream_hi("Vary", lt_http_upstream_process_header_ptr, vary,
                        lt_http_upstream_copy_header_line, 0, 0),
    lt_http_upstream_hi("Link", lt_http_upstream_ignore_header_line, status,
                        lt_http_upstream_copy_multi_header_lines,
                        lt_http_upstream_ho(link), 0),
    lt_http_upstream_hi("X-Accel-Expires", lt_http_upstream_process_header_ptr,
                        x_accel_expires, lt_http_upstream_copy_header_line, 0, 0),
    lt_http_upstream_hi("X-Accel-Redirect", lt_http_upstream_process_header_ptr,
                        x_accel_redirect, lt_http_upstream_copy_header_line, 0, 0),
    lt_http_upstream_hi("X-Accel-Limit-Rate", lt_http_upstream_process_limit_rate,
                        x_accel_limit_rate, lt_http_upstream_copy_header_line, 0, 0),
    lt_http_upstream_hi("X-Accel-Buffering", lt_http_upstream_process_buffering, status,
                        lt_http_upstream_copy_header_line, 0, 0),
    lt_http_upstream_hi("X-Accel-Charset", lt_http_upstream_process_charset, status,
                        lt_http_upstream_copy_header_line, 0, 0),
    lt_http_upstream_hi("Transfer-Encoding", lt_http_upstream_process_transfer_encoding,
                        transfer_encoding, lt_http_upstream_ignore_header_line, 0, 0),
    lt_http_upstream_hi("Content-Encoding", lt_http_upstream_ignore_header_line, status,
                        lt_http_upstream_copy_header_line,
                        lt_http_upstream_ho(content_encoding), 0),

    { lt_null_string, NULL, 0, NULL, 0, 0 }
};


int
lt_http_upstream_headers_in_hash(lt_conf_t *cf, lt_hash_t *hash)
{
    size_t                      i, n;
    lt_hash_key_t              *keys;
    lt_http_upstream_header_t  *header;

    for (n = 0; lt_http_upstream_headers_in[n].name.len; n++) { /* void */ }

    keys = lt_pcalloc(cf->temp_pool, n * sizeof(lt_hash_key_t));
    if (keys == NULL) {
        return LT_ERROR;
    }

    for (i = 0; i < n; i++) {
        header = &lt_http_upstream_headers_in[i];
        keys[i].key = header->name;
        keys[i].key_hash = 0;
        keys[i].value = header;
    }

    return lt_hash_init(hash, cf->pool, keys, n, LT_HASH_CASELESS, NULL);
}


/* response headers: noting them */

int
lt_http_upstream_process_header_line(lt_http_request_t *r, lt_table_elt_t *h)
{
    lt_http_upstream_header_t     *hh;
    lt_http_upstream_main_conf_t  *umcf;

    umcf = lt_http_get_module_main_conf(r, lt_http_upstream_module);

    hh = lt_hash_find(&umcf->headers_in_hash, h->hash, h->lowcase_key, h->key.len);

    if (hh && hh->handler) {
        return hh->handler(r, h, hh->offset);
    }

    return LT_OK;
}


static int
lt_http_upstream_process_header_ptr(lt_http_request_t *r, lt_table_elt_t *h,
    uintptr_t offset)
{
    lt_table_elt_t  **ph;

    ph = (lt_table_elt_t **) ((char *) &r->upstream->headers_in + offset);

    if (*ph == NULL) {
        *ph = h;
    }

    h->next = NULL;

    return LT_OK;
}


static int
lt_http_upstream_process_multi_header_lines(lt_http_request_t *r, lt_table_elt_t *h,
    uintptr_t offset)
{
    lt_table_elt_t  **ph;

    ph = (lt_table_elt_t **) ((char *) &r->upstream->headers_in + offset);

    while (*ph) {
        ph = &(*ph)->next;
    }

    *ph = h;
    h->next = NULL;

    return LT_OK;
}


static int
lt_http_upstream_process_content_length(lt_http_request_t *r, lt_table_elt_t *h,
    uintptr_t offset)
{
    int64_t              n;
    lt_http_upstream_t  *u;

    u = r->upstream;

    if (u->headers_in.content_length) {
        lt_log_error(LT_LOG_ERR, r->connection->log, 0,
                     "upstream sent duplicate header line: \"%.*s: %.*s\", "
                     "previous value: \"%.*s: %.*s\"",
                     (int) h->key.len, h->key.data, (int) h->value.len, h->value.data,
                     (int) u->headers_in.content_length->key.len,
                     u->headers_in.content_length->key.data,
                     (int) u->headers_in.content_length->value.len,
                     u->headers_in.content_length->value.data);
        return LT_HTTP_UPSTREAM_INVALID_HEADER;
    }

    n = lt_atoi(h->value.data, h->value.len);

    if (n == LT_ERROR) {
        lt_log_error(LT_LOG_ERR, r->connection->log, 0,
                     "upstream sent invalid \"Content-Length\" header: \"%.*s: %.*s\"",
                     (int) h->key.len, h->key.data, (int) h->value.len, h->value.data);
        return LT_HTTP_UPSTREAM_INVALID_HEADER;
    }

    h->next = NULL;
    u->headers_in.content_length = h;
    u->headers_in.content_length_n = (off_t) n;

    return LT_OK;
}


static int
lt_http_upstream_process_last_modified(lt_http_request_t *r, lt_table_elt_t *h,
    uintptr_t offset)
{
    lt_http_upstream_t  *u;

    u = r->upstream;

    h->next = NULL;
    u->headers_in.last_modified = h;
    u->headers_in.last_modified_time = lt_parse_http_time(h->value.data, h->value.len);

    return LT_OK;
}


static int
lt_http_upstream_process_connection(lt_http_request_t *r, lt_table_elt_t *h,
    uintptr_t offset)
{
    lt_table_elt_t     **ph;
    lt_http_upstream_t  *u;

    u = r->upstream;

    for (ph = &u->headers_in.connection; *ph; ph = &(*ph)->next) { /* void */ }

    *ph = h;
    h->next = NULL;

    if (lt_strlcasestrn(h->value.data, h->value.data + h->value.len, (u_char *) "close",
                        sizeof("close") - 1))
    {
        u->headers_in.connection_close = 1;
    }

    return LT_OK;
}


static int
lt_http_upstream_process_transfer_encoding(lt_http_request_t *r, lt_table_elt_t *h,
    uintptr_t offset)
{
    lt_http_upstream_t  *u;

    u = r->upstream;

    if (u->headers_in.transfer_encoding) {
        lt_log_error(LT_LOG_ERR, r->connection->log, 0,
                     "upstream sent duplicate header line: \"%.*s: %.*s\", "
                     "previous value: \"%.*s: %.*s\"",
                     (int) h->key.len, h->key.data, (int) h->value.len, h->value.data,
                     (int) u->headers_in.transfer_encoding->key.len,
                     u->headers_in.transfer_encoding->key.data,
                     (int) u->headers_in.transfer_encoding->value.len,
                     u->headers_in.transfer_encoding->value.data);
        return LT_HTTP_UPSTREAM_INVALID_HEADER;
    }

    u->headers_in.transfer_encoding = h;
    h->next = NULL;

    if (h->value.len == 7 && lt_strncasecmp(h->value.data, (u_char *) "chunked", 7) == 0) {
        u->headers_in.chunked = 1;

    } else {
        lt_log_error(LT_LOG_ERR, r->connection->log, 0,
                     "upstream sent unknown \"Transfer-Encoding\": \"%.*s\"",
                     (int) h->value.len, h->value.data);
        return LT_HTTP_UPSTREAM_INVALID_HEADER;
    }

    return LT_OK;
}


static int
lt_http_upstream_process_limit_rate(lt_http_request_t *r, lt_table_elt_t *h,
    uintptr_t offset)
{
    int64_t              n;
    lt_http_upstream_t  *u;

    u = r->upstream;

    h->next = NULL;
    u->headers_in.x_accel_limit_rate = h;

    if (u->conf->ignore_headers & LT_HTTP_UPSTREAM_IGN_XA_LIMIT_RATE) {
        return LT_OK;
    }

    n = lt_atoi(h->value.data, h->value.len);

    if (n != LT_ERROR) {
        r->limit_rate = (size_t) n;
        r->limit_rate_set = 1;
    }

    return LT_OK;
}


static int
lt_http_upstream_process_buffering(lt_http_request_t *r, lt_table_elt_t *h,
    uintptr_t offset)
{
    lt_http_upstream_t  *u;

    u = r->upstream;

    if (u->conf->ignore_headers & LT_HTTP_UPSTREAM_IGN_XA_BUFFERING) {
        return LT_OK;
    }

    if (u->conf->module.len == 0 || !u->accel) {
        return LT_OK;
    }

    if (h->value.len == 2 && lt_strncasecmp(h->value.data, (u_char *) "no", 2) == 0) {
        u->headers_in.x_accel_buffering_off = 1;
        u->headers_in.x_accel_buffering_on = 0;

    } else if (h->value.len == 3
               && lt_strncasecmp(h->value.data, (u_char *) "yes", 3) == 0)
    {
        u->headers_in.x_accel_buffering_on = 1;
        u->headers_in.x_accel_buffering_off = 0;
    }

    return LT_OK;
}


static int
lt_http_upstream_process_charset(lt_http_request_t *r, lt_table_elt_t *h, uintptr_t offset)
{
    if (r->upstream->conf->ignore_headers & LT_HTTP_UPSTREAM_IGN_XA_CHARSET) {
        return LT_OK;
    }

    r->headers_out.override_charset = &h->value;

    return LT_OK;
}


/* response headers: passing them to the client */

static int
lt_http_upstream_ignore_header_line(lt_http_request_t *r, lt_table_elt_t *h,
    uintptr_t offset)
{
    return LT_OK;
}


/* lt_http_upstream_copy_out: a copy of the upstream's header line in the response's
 * headers, not yet linked to any headers_out field; NULL when out of memory */
static lt_table_elt_t *
lt_http_upstream_copy_out(lt_http_request_t *r, lt_table_elt_t *h)
{
    lt_table_elt_t  *ho;

    ho = lt_list_push(&r->headers_out.headers);
    if (ho == NULL) {
        return NULL;
    }

    *ho = *h;
    ho->next = NULL;

    return ho;
}


static int
lt_http_upstream_copy_header_line(lt_http_request_t *r, lt_table_elt_t *h, uintptr_t offset)
{
    lt_table_elt_t  *ho, **ph;

    ho = lt_http_upstream_copy_out(r, h);
    if (ho == NULL) {
        return LT_ERROR;
    }

    if (offset) {
        ph = (lt_table_elt_t **) ((char *) &r->headers_out + offset);
        *ph = ho;
    }

    return LT_OK;
}


static int
lt_http_upstream_copy_multi_header_lines(lt_http_request_t *r, lt_table_elt_t *h,
    uintptr_t offset)
{
    lt_table_elt_t  *ho, **ph;

    ho = lt_http_upstream_copy_out(r, h);
    if (ho == NULL) {
        return LT_ERROR;
    }

    if (offset) {
        ph = (lt_table_elt_t **) ((char *) &r->headers_out + offset);

        while (*ph) {
            ph = &(*ph)->next;
        }

        *ph = ho;
    }

    return LT_OK;
}


static int
lt_http_upstream_copy_content_type(lt_http_request_t *r, lt_table_elt_t *h,
    uintptr_t offset)
{
    u_char  *p, *last;

    r->headers_out.content_type_len = h->value.len;
    r->headers_out.content_type = h->value;
    r->headers_out.content_type_lowcase = NULL;

    for (p = h->value.data; *p; p++) {

        if (p == h->value.data + h->value.len) {
            break;
        }

        if (*p != ';') {
            continue;
        }

        last = p;

        while (*++p == ' ') { /* void */ }

        if (p >= h->value.data + h->value.len) {
            return LT_OK;
        }

        if (lt_strncasecmp(p, (u_char *) "charset=", 8) != 0) {
            continue;
        }

        p += 8;

        r->headers_out.content_type_len = last - h->value.data;

        if (*p == '"') {
            p++;
        }

        last = h->value.data + h->value.len;

        if (*(last - 1) == '"') {
            last--;
        }

        r->headers_out.charset.len = last - p;
        r->headers_out.charset.data = p;

        return LT_OK;
    }

    return LT_OK;
}


static int
lt_http_upstream_copy_last_modified(lt_http_request_t *r, lt_table_elt_t *h,
    uintptr_t offset)
{
    lt_table_elt_t  *ho;

    ho = lt_http_upstream_copy_out(r, h);
    if (ho == NULL) {
        return LT_ERROR;
    }

    r->headers_out.last_modified = ho;
    r->headers_out.last_modified_time = r->upstream->headers_in.last_modified_time;

    return LT_OK;
}


static int
lt_http_upstream_rewrite_location(lt_http_request_t *r, lt_table_elt_t *h,
    uintptr_t offset)
{
    int              rc;
    lt_table_elt_t  *ho;

    ho = lt_http_upstream_copy_out(r, h);
    if (ho == NULL) {
        return LT_ERROR;
    }

    if (r->upstream->rewrite_redirect) {
        rc = r->upstream->rewrite_redirect(r, ho, 0);

        if (rc == LT_DECLINED) {
            return LT_OK;
        }

        if (rc == LT_OK) {
            r->headers_out.location = ho;
        }

        return rc;
    }

    if (ho->value.len && ho->value.data[0] != '/') {
        r->headers_out.location = ho;
    }

    /* a relative Location the upstream sent is not made absolute */

    return LT_OK;
}


static int
lt_http_upstream_rewrite_refresh(lt_http_request_t *r, lt_table_elt_t *h, uintptr_t offset)
{
    int              rc;
    u_char          *p;
    lt_table_elt_t  *ho;

    ho = lt_http_upstream_copy_out(r, h);
    if (ho == NULL) {
        return LT_ERROR;
    }

    if (r->upstream->rewrite_redirect == NULL) {
        return LT_OK;
    }

    p = lt_strlcasestrn(ho->value.data, ho->value.data + ho->value.len, (u_char *) "url=", 4);
    if (p == NULL) {
        return LT_OK;
    }

    rc = r->upstream->rewrite_redirect(r, ho, p + 4 - ho->value.data);

    return (rc == LT_DECLINED) ? LT_OK : rc;
}


static int
lt_http_upstream_rewrite_set_cookie(lt_http_request_t *r, lt_table_elt_t *h,
    uintptr_t offset)
{
    int              rc;
    lt_table_elt_t  *ho;

    ho = lt_http_upstream_copy_out(r, h);
    if (ho == NULL) {
        return LT_ERROR;
    }

    if (r->upstream->rewrite_cookie) {
        rc = r->upstream->rewrite_cookie(r, ho);
        return rc == LT_DECLINED ? LT_OK : rc;
    }

    return LT_OK;
}


int
lt_http_upstream_pass_header(lt_http_request_t *r, lt_hash_t *known, lt_table_elt_t *h)
{
    lt_http_upstream_header_t  *hh;

    hh = lt_hash_find(known, h->hash, h->lowcase_key, h->key.len);

    if (hh == NULL) {
        return lt_http_upstream_copy_header_line(r, h, 0);
    }

    if (hh->copy_handler == NULL) {
        return lt_http_upstream_copy_upgrade(r, hh, h);
    }

    return hh->copy_handler(r, h, hh->conf);
}


/* lt_http_upstream_copy_upgrade: "Upgrade" is passed only with a 101 */
static int
lt_http_upstream_copy_upgrade(lt_http_request_t *r, lt_http_upstream_header_t *hh,
    lt_table_elt_t *h)
{
    if (r->upstream->upgrade) {
        return lt_http_upstream_copy_header_line(r, h, 0);
    }

    return LT_OK;
}
