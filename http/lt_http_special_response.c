/*
 * lt_http_special_response.c: error and redirect responses: error_page
 * (internal redirect, named location, or an external redirect), else a small
 * built-in HTML page.
 */

#include "lt_http.h"

static int lt_http_send_error_page(lt_http_request_t *r, lt_http_err_page_t *err_page);
static int lt_http_send_refresh(lt_http_request_t *r);

static const u_char  lt_http_error_tail[] =
    "<hr><center>" LINTEL_VER "</center>" CRLF
    "</body>" CRLF
    "</html>" CRLF;

static const u_char  lt_http_error_tail_short[] =
    "<hr><center>lintel</center>" CRLF
    "</body>" CRLF
    "</html>" CRLF;

/* MSIE shows its own page for short error responses: pad them past 512 bytes */
static const u_char  lt_http_msie_padding[] =
    "<!-- a padding to disable MSIE and Chrome friendly error page -->" CRLF
    "<!-- a padding to disable MSIE and Chrome friendly error page -->" CRLF
    "<!-- a padding to disable MSIE and Chrome friendly error page -->" CRLF
    "<!-- a padding to disable MSIE and Chrome friendly error page -->" CRLF
    "<!-- a padding to disable MSIE and Chrome friendly error page -->" CRLF
    "<!-- a padding to disable MSIE and Chrome friendly error page -->" CRLF;

static const lt_str_t  lt_http_302_found = lt_string("302 Found");

/* the codes nginx reports as 400 with a more precise title */
typedef struct {
    unsigned      code;
    const char   *title;    /* what follows "400 " in the title */
} lt_http_error_400_t;

static const lt_http_error_400_t  lt_http_400_variants[] = {
    { LT_HTTP_REQUEST_HEADER_TOO_LARGE, "Request Header Or Cookie Too Large" },
    { LT_HTTPS_CERT_ERROR, "The SSL certificate error" },
    { LT_HTTPS_NO_CERT, "No required SSL certificate was sent" },
    { LT_HTTP_TO_HTTPS, "The plain HTTP request was sent to HTTPS port" },
    { 0, NULL }
};


/* lt_http_error_page: the HTML page for err into b (or the length when b is NULL);
 * *status gets the code the status line carries */
static size_t
lt_http_error_page(lt_http_request_t *r, unsigned err, u_char *b, unsigned *status)
{
    u_char                       *p;
    const lt_str_t               *line;
    const lt_http_error_400_t    *v;
    const char                   *title;
    u_char                        tbuf[128];
    size_t                        len;

    title = NULL;
    *status = err;

    for (v = lt_http_400_variants; v->code; v++) {
        if (v->code == err) {
            title = v->title;
            *status = LT_HTTP_BAD_REQUEST;
        }
    }

    line = lt_http_status_line(*status);

    if (line == NULL) {
        return 0;
    }

    if (*status == LT_HTTP_MOVED_TEMPORARILY) {
        /* the status line keeps HTTP/1.0's reason; the page says what RFC 9110 does,
         * as nginx's */
        line = &lt_http_302_found;
    }

    if (title) {
        len = (size_t) snprintf((char *) tbuf, sizeof(tbuf), "400 %s", title);
    } else {
        len = line->len;
        memcpy(tbuf, line->data, len);
    }

    if (b == NULL) {
        return sizeof("<html>" CRLF "<head><title>") - 1 + len
               + sizeof("</title></head>" CRLF "<body>" CRLF "<center><h1>") - 1 + line->len
               + sizeof("</h1></center>" CRLF) - 1
               + (title ? sizeof("<center>") - 1 + strlen(title) + sizeof("</center>" CRLF) - 1
                        : 0);
    }

    p = lt_cpymem(b, "<html>" CRLF "<head><title>", sizeof("<html>" CRLF "<head><title>") - 1);
    p = lt_cpymem(p, tbuf, len);
    p = lt_cpymem(p, "</title></head>" CRLF "<body>" CRLF "<center><h1>",
                  sizeof("</title></head>" CRLF "<body>" CRLF "<center><h1>") - 1);
    p = lt_cpymem(p, line->data, line->len);
    p = lt_cpymem(p, "</h1></center>" CRLF, sizeof("</h1></center>" CRLF) - 1);

    if (title) {
        p = lt_cpymem(p, "<center>", 8);
        p = lt_cpymem(p, title, strlen(title));
        p = lt_cpymem(p, "</center>" CRLF, sizeof("</center>" CRLF) - 1);
    }

    return p - b;
}


int
lt_http_special_response_handler(lt_http_request_t *r, int error)
{
    size_t                    i;
    lt_http_err_page_t       *err_page;
    lt_http_core_loc_conf_t  *clcf;

    r->err_status = (unsigned) error;

    if (r->keepalive) {
        switch (error) {
        case LT_HTTP_BAD_REQUEST:
        case LT_HTTP_REQUEST_ENTITY_TOO_LARGE:
        case LT_HTTP_REQUEST_URI_TOO_LARGE:
        case LT_HTTP_TO_HTTPS:
        case LT_HTTPS_CERT_ERROR:
        case LT_HTTPS_NO_CERT:
        case LT_HTTP_INTERNAL_SERVER_ERROR:
        case LT_HTTP_NOT_IMPLEMENTED:
        case LT_HTTP_REQUEST_HEADER_TOO_LARGE:
            r->keepalive = 0;
        }
    }

    if (r->lingering_close) {
        switch (error) {
        case LT_HTTP_BAD_REQUEST:
        case LT_HTTP_TO_HTTPS:
        case LT_HTTPS_CERT_ERROR:
        case LT_HTTPS_NO_CERT:
            r->lingering_close = 0;
        }
    }

    r->headers_out.content_type.len = 0;

    clcf = lt_http_get_module_loc_conf(r, lt_http_core_module);

    if (!r->error_page && clcf->error_pages && r->uri_changes != 0) {

        if (clcf->recursive_error_pages == 0) {
            r->error_page = 1;
        }

        err_page = clcf->error_pages->elts;

        for (i = 0; i < clcf->error_pages->nelts; i++) {
            if (err_page[i].status == (unsigned) error) {
                return lt_http_send_error_page(r, &err_page[i]);
            }
        }
    }

    r->expect_tested = 1;

    if (lt_http_discard_request_body(r) != LT_OK) {
        r->keepalive = 0;
    }

    if (clcf->msie_refresh && r->headers_in.msie && error == LT_HTTP_MOVED_TEMPORARILY
        && r->headers_out.location && r->headers_out.location->value.len > 4
        && lt_strncasecmp(r->headers_out.location->value.data, (u_char *) "http", 4) == 0)
    {
        return lt_http_send_refresh(r);
    }

    return lt_http_send_special_response(r, error);
}


void
lt_http_clean_header(lt_http_request_t *r)
{
    lt_memzero(&r->headers_out.status,
               sizeof(lt_http_headers_out_t) - offsetof(lt_http_headers_out_t, status));

    r->headers_out.headers.part.nelts = 0;
    r->headers_out.headers.part.next = NULL;
    r->headers_out.headers.last = &r->headers_out.headers.part;

    r->headers_out.trailers.part.nelts = 0;
    r->headers_out.trailers.part.next = NULL;
    r->headers_out.trailers.last = &r->headers_out.trailers.part;

    r->headers_out.content_length_n = -1;
    r->headers_out.last_modified_time = -1;
}


static int
lt_http_send_error_page(lt_http_request_t *r, lt_http_err_page_t *err_page)
{
    int                       overwrite;
    lt_str_t                  uri, args;
    lt_table_elt_t           *location;
    lt_http_core_loc_conf_t  *clcf;

    overwrite = err_page->overwrite;

    if (overwrite && overwrite != (int) r->err_status) {
        r->expect_tested = 1;
    }

    if (overwrite >= 0) {
        r->err_status = (unsigned) overwrite;
    }

    if (lt_http_complex_value(r, &err_page->value, &uri) != LT_OK) {
        return LT_ERROR;
    }

    if (uri.len && uri.data[0] == '/') {

        if (err_page->value.parts) {
            lt_http_split_args(&uri, &args);

        } else {
            args = err_page->args;
        }

        if (r->method != LT_HTTP_HEAD) {
            r->method = LT_HTTP_GET;
            lt_str_set(&r->method_name, "GET");
        }

        return lt_http_internal_redirect(r, &uri, &args);
    }

    if (uri.len && uri.data[0] == '@') {
        return lt_http_named_location(r, &uri);
    }

    r->expect_tested = 1;

    if (lt_http_discard_request_body(r) != LT_OK) {
        r->keepalive = 0;
    }

    location = lt_list_push(&r->headers_out.headers);
    if (location == NULL) {
        return LT_ERROR;
    }

    if (overwrite != LT_HTTP_MOVED_PERMANENTLY && overwrite != LT_HTTP_MOVED_TEMPORARILY
        && overwrite != LT_HTTP_SEE_OTHER && overwrite != LT_HTTP_TEMPORARY_REDIRECT
        && overwrite != LT_HTTP_PERMANENT_REDIRECT)
    {
        r->err_status = LT_HTTP_MOVED_TEMPORARILY;
    }

    location->hash = 1;
    location->next = NULL;
    lt_str_set(&location->key, "Location");
    location->value = uri;

    lt_http_clear_location(r);

    r->headers_out.location = location;

    clcf = lt_http_get_module_loc_conf(r, lt_http_core_module);

    if (clcf->msie_refresh && r->headers_in.msie
        && r->err_status == LT_HTTP_MOVED_TEMPORARILY)
    {
        return lt_http_send_refresh(r);
    }

    return lt_http_send_special_response(r, (int) r->err_status);
}


int
lt_http_send_special_response(lt_http_request_t *r, int error)
{
    int                       rc;
    size_t                    page_len, tail_len, pad_len, len;
    unsigned                  status;
    lt_buf_t                 *b;
    lt_chain_t                out;
    const u_char             *tail;
    lt_http_core_loc_conf_t  *clcf;

    clcf = lt_http_get_module_loc_conf(r, lt_http_core_module);

    page_len = lt_http_error_page(r, (unsigned) error, NULL, &status);

    if (status == LT_HTTP_BAD_REQUEST && (unsigned) error != status) {
        r->err_status = status;
    }

    if (clcf->server_tokens == LT_HTTP_SERVER_TOKENS_OFF) {
        tail = lt_http_error_tail_short;
        tail_len = sizeof(lt_http_error_tail_short) - 1;
    } else {
        tail = lt_http_error_tail;
        tail_len = sizeof(lt_http_error_tail) - 1;
    }

    pad_len = 0;

    if (page_len && clcf->msie_padding && r->headers_in.msie
        && (unsigned) error >= LT_HTTP_BAD_REQUEST)
    {
        pad_len = sizeof(lt_http_msie_padding) - 1;
    }

    if (page_len == 0 || (unsigned) error == LT_HTTP_NO_CONTENT
        || (unsigned) error == LT_HTTP_NOT_MODIFIED)
    {
        tail_len = 0;
    }

    len = page_len + tail_len + pad_len;

    r->headers_out.status = r->err_status ? r->err_status : (unsigned) error;
    r->headers_out.content_length_n = (off_t) len;

    if (len) {
        lt_str_set(&r->headers_out.content_type, "text/html");
        r->headers_out.content_type_len = r->headers_out.content_type.len;

    } else {
        r->headers_out.content_type.len = 0;
    }

    lt_http_clear_accept_ranges(r);
    lt_http_clear_last_modified(r);
    lt_http_clear_etag(r);

    rc = lt_http_send_header(r);

    if (rc == LT_ERROR || r->header_only) {
        return rc;
    }

    b = lt_create_temp_buf(r->pool, len ? len : 1);
    if (b == NULL) {
        return LT_ERROR;
    }

    if (page_len) {
        b->last += lt_http_error_page(r, (unsigned) error, b->last, &status);
        b->last = lt_cpymem(b->last, tail, tail_len);
        b->last = lt_cpymem(b->last, lt_http_msie_padding, pad_len);
    }

    if (b->last == b->pos) {
        b->temporary = 0;
    }

    b->last_buf = (r == r->main) ? 1 : 0;
    b->last_in_chain = 1;

    out.buf = b;
    out.next = NULL;

    return lt_http_output_filter(r, &out);
}


/* MSIE and "msie_refresh on": a Refresh page instead of a 302 */
static int
lt_http_send_refresh(lt_http_request_t *r)
{
    int           rc;
    u_char       *p, *location;
    size_t        len, size, location_len;
    lt_buf_t     *b;
    lt_chain_t    out;

    /* kept: lt_http_clear_location below drops the header */
    location_len = r->headers_out.location->value.len;
    location = r->headers_out.location->value.data;

    size = lt_escape_uri_len(location, location_len, LT_ESCAPE_REFRESH);

    len = sizeof("<html><head><meta http-equiv=\"Refresh\" content=\"0; URL=") - 1 + size
          + sizeof("\"></head><body></body></html>" CRLF) - 1;

    r->err_status = LT_HTTP_OK;

    lt_str_set(&r->headers_out.content_type, "text/html");
    r->headers_out.content_type_len = r->headers_out.content_type.len;
    r->headers_out.content_length_n = (off_t) len;

    lt_http_clear_location(r);
    lt_http_clear_accept_ranges(r);
    lt_http_clear_last_modified(r);
    lt_http_clear_etag(r);

    rc = lt_http_send_header(r);

    if (rc == LT_ERROR || r->header_only) {
        return rc;
    }

    b = lt_create_temp_buf(r->pool, len);
    if (b == NULL) {
        return LT_ERROR;
    }

    p = lt_cpymem(b->pos, "<html><head><meta http-equiv=\"Refresh\" content=\"0; URL=",
                  sizeof("<html><head><meta http-equiv=\"Refresh\" content=\"0; URL=") - 1);
    p = lt_escape_uri(p, location, location_len, LT_ESCAPE_REFRESH);
    p = lt_cpymem(p, "\"></head><body></body></html>" CRLF,
                  sizeof("\"></head><body></body></html>" CRLF) - 1);

    b->last = p;
    b->last_buf = (r == r->main) ? 1 : 0;
    b->last_in_chain = 1;

    out.buf = b;
    out.next = NULL;

    return lt_http_output_filter(r, &out);
}
