/*
 * not_modified.c: conditional requests (http_not_modified). For a 200 response
 * of the main request that carries a Last-Modified time or an ETag:
 *
 *   If-Unmodified-Since, If-Match   412 Precondition Failed when they fail;
 *   If-Modified-Since, If-None-Match 304 Not Modified when every one present
 *                                    says "not modified" (the body is dropped).
 *
 * If-Modified-Since follows "if_modified_since off | exact | before" of the
 * core location conf. If-None-Match compares weakly (W/ ignored on both sides),
 * If-Match byte for byte; both accept "*" and comma-separated lists of entity
 * tags. A handler that must not be answered with 304 sets
 * r->disable_not_modified.
 */

#include "lt_http.h"

static int lt_http_not_modified_init(lt_conf_t *cf);

lt_module_t  lt_http_not_modified_module = {
    .name = "http_not_modified",
    .type = LT_HTTP_MODULE,
    .postconfiguration = lt_http_not_modified_init,
};


/* lt_http_nm_unmodified: If-Unmodified-Since holds (false without a date) */
static int
lt_http_nm_unmodified(lt_http_request_t *r)
{
    time_t           since;
    lt_table_elt_t  *h;

    if (r->headers_out.last_modified_time == -1) {
        return 0;
    }

    h = r->headers_in.if_unmodified_since;
    since = lt_parse_http_time(h->value.data, h->value.len);

    return since >= r->headers_out.last_modified_time;
}


/* lt_http_nm_modified: If-Modified-Since says the client's copy is stale */
static int
lt_http_nm_modified(lt_http_request_t *r)
{
    time_t                    since, mtime;
    lt_table_elt_t           *h;
    lt_http_core_loc_conf_t  *clcf;

    mtime = r->headers_out.last_modified_time;

    if (mtime == -1) {
        return 1;
    }

    clcf = lt_http_get_module_loc_conf(r, lt_http_core_module);

    if (clcf->if_modified_since == LT_HTTP_IMS_OFF) {
        return 1;
    }

    h = r->headers_in.if_modified_since;
    since = lt_parse_http_time(h->value.data, h->value.len);

    if (since == mtime) {
        return 0;
    }

    /* "before": a copy newer than the file is current too */
    return clcf->if_modified_since == LT_HTTP_IMS_EXACT || since < mtime;
}


#define lt_http_nm_ows(ch)  ((ch) == ' ' || (ch) == '\t')

/* lt_http_nm_next_tag: the next entity tag of a list at [*pos, end), quotes
 * included, "W/" excluded (*weak tells); 0 at the end of the list */
static int
lt_http_nm_next_tag(u_char **pos, u_char *end, lt_str_t *tag, int *weak)
{
    u_char  *p, *start;

    p = *pos;

    while (p < end && (lt_http_nm_ows(*p) || *p == ',')) {
        p++;
    }

    if (p == end) {
        *pos = p;
        return 0;
    }

    *weak = 0;

    if (end - p > 2 && p[0] == 'W' && p[1] == '/') {
        *weak = 1;
        p += 2;
    }

    start = p;

    if (*p == '"') {
        /* a quoted tag may hold commas */
        for (p++; p < end && *p != '"'; p++) { /* void */ }

        if (p < end) {
            p++;
        }
    }

    /* whatever follows up to the comma belongs to this (maybe malformed) item */
    while (p < end && *p != ',') {
        p++;
    }

    tag->data = start;
    tag->len = p - start;

    while (tag->len && lt_http_nm_ows(tag->data[tag->len - 1])) {
        tag->len--;
    }

    *pos = p;

    return 1;
}


/* lt_http_nm_match: the response's ETag is in the header's list ("*": any).
 * weak: W/ prefixes are ignored (If-None-Match); else the tags are compared as
 * written, the W/ included (If-Match) */
static int
lt_http_nm_match(lt_http_request_t *r, lt_table_elt_t *header, int weak)
{
    int        tag_weak;
    u_char    *p, *end;
    lt_str_t   etag, tag, list;

    list = header->value;

    while (list.len && lt_http_nm_ows(list.data[0])) {
        list.data++;
        list.len--;
    }

    while (list.len && lt_http_nm_ows(list.data[list.len - 1])) {
        list.len--;
    }

    if (list.len == 1 && list.data[0] == '*') {
        return 1;
    }

    if (r->headers_out.etag == NULL) {
        return 0;
    }

    etag = r->headers_out.etag->value;

    if (weak && etag.len > 2 && etag.data[0] == 'W' && etag.data[1] == '/') {
        etag.data += 2;
        etag.len -= 2;
    }

    p = list.data;
    end = list.data + list.len;

    while (lt_http_nm_next_tag(&p, end, &tag, &tag_weak)) {

        if (tag_weak && !weak) {
            /* compare as written: put the W/ back */
            tag.data -= 2;
            tag.len += 2;
        }

        if (tag.len == etag.len && memcmp(tag.data, etag.data, etag.len) == 0) {
            return 1;
        }
    }

    return 0;
}


static int
lt_http_not_modified_header_filter(lt_http_request_t *r)
{
    if (r->headers_out.status != LT_HTTP_OK || r != r->main || r->disable_not_modified) {
        return lt_http_next_header_filter(LT_HTTP_FILTER_NOT_MODIFIED, r);
    }

    if ((r->headers_in.if_unmodified_since && !lt_http_nm_unmodified(r))
        || (r->headers_in.if_match && !lt_http_nm_match(r, r->headers_in.if_match, 0)))
    {
        /* the response is replaced by the 412 error page (or error_page's):
         * nothing of it stays, and the status makes its handler stop and
         * finalize the request with it, as a 416 from the range filter does */
        lt_http_clean_header(r);

        return LT_HTTP_PRECONDITION_FAILED;
    }

    if (r->headers_in.if_modified_since == NULL && r->headers_in.if_none_match == NULL) {
        return lt_http_next_header_filter(LT_HTTP_FILTER_NOT_MODIFIED, r);
    }

    if (r->headers_in.if_modified_since && lt_http_nm_modified(r)) {
        return lt_http_next_header_filter(LT_HTTP_FILTER_NOT_MODIFIED, r);
    }

    if (r->headers_in.if_none_match && !lt_http_nm_match(r, r->headers_in.if_none_match, 1)) {
        return lt_http_next_header_filter(LT_HTTP_FILTER_NOT_MODIFIED, r);
    }

    /* 304: the validators stay, what describes the body goes */
    r->headers_out.status = LT_HTTP_NOT_MODIFIED;
    r->headers_out.status_line.len = 0;
    r->headers_out.content_type.len = 0;
    lt_http_clear_content_length(r);
    lt_http_clear_accept_ranges(r);
    lt_http_clear_header(r, content_encoding);

    return lt_http_next_header_filter(LT_HTTP_FILTER_NOT_MODIFIED, r);
}


static int
lt_http_not_modified_init(lt_conf_t *cf)
{
    (void) cf;

    lt_http_register_filter(LT_HTTP_FILTER_NOT_MODIFIED, lt_http_not_modified_header_filter,
                            NULL);

    return LT_OK;
}
