/*
 * lt_http_chunked_filter.c: Transfer-Encoding: chunked for responses of unknown
 * length to HTTP/1.1 clients (HTTP/1.0 clients get the connection closed at the
 * end instead), with trailers after the last chunk.
 */

#include "lt_http.h"

typedef struct {
    lt_chain_t  *free;
    lt_chain_t  *busy;
} lt_http_chunked_ctx_t;

static int
lt_http_chunked_header_filter(lt_http_request_t *r)
{
    lt_http_core_loc_conf_t  *clcf;

    if (r->headers_out.status == LT_HTTP_NOT_MODIFIED
        || r->headers_out.status == LT_HTTP_NO_CONTENT
        || r->headers_out.status < LT_HTTP_OK
        || r != r->main
        || r->method == LT_HTTP_HEAD)
    {
        return lt_http_next_header_filter(LT_HTTP_FILTER_CHUNKED, r);
    }

    if (r->headers_out.content_length_n == -1 || r->expect_trailers) {

        clcf = lt_http_get_module_loc_conf(r, lt_http_core_module);

        if (r->http_version >= LT_HTTP_VERSION_11 && clcf->chunked_transfer_encoding) {

            if (r->expect_trailers) {
                lt_http_clear_content_length(r);
            }

            r->chunked = 1;

        } else if (r->headers_out.content_length_n == -1) {
            /* no length, no chunking: the end of the connection ends the body */
            r->keepalive = 0;
        }
    }

    return lt_http_next_header_filter(LT_HTTP_FILTER_CHUNKED, r);
}


/* lt_http_chunked_trailers: "0\r\n" + trailers + "\r\n" */
static lt_chain_t *
lt_http_chunked_trailers(lt_http_request_t *r)
{
    size_t           len;
    u_char          *p;
    lt_buf_t        *b;
    lt_chain_t      *cl;
    lt_list_iter_t   it;
    lt_table_elt_t  *h;

    len = sizeof(CRLF "0" CRLF CRLF) - 1;

    lt_list_iter_init(&it, &r->headers_out.trailers);

    while ((h = lt_list_iter_next(&it)) != NULL) {
        if (h->hash) {
            len += h->key.len + sizeof(": ") - 1 + h->value.len + 2;
        }
    }

    cl = lt_alloc_chain_link(r->pool);
    b = lt_create_temp_buf(r->pool, len);

    if (cl == NULL || b == NULL) {
        return NULL;
    }

    p = b->last;

    *p++ = CR; *p++ = LF; *p++ = '0'; *p++ = CR; *p++ = LF;

    lt_list_iter_init(&it, &r->headers_out.trailers);

    while ((h = lt_list_iter_next(&it)) != NULL) {
        if (h->hash == 0) {
            continue;
        }

        p = lt_cpymem(p, h->key.data, h->key.len);
        *p++ = ':'; *p++ = ' ';
        p = lt_cpymem(p, h->value.data, h->value.len);
        *p++ = CR; *p++ = LF;
    }

    *p++ = CR; *p++ = LF;

    b->last = p;
    b->last_buf = 1;

    cl->buf = b;
    cl->next = NULL;

    return cl;
}


static int
lt_http_chunked_body_filter(lt_http_request_t *r, lt_chain_t *in)
{
    u_char                *chunk;
    off_t                  size;
    int                    rc;
    lt_buf_t              *b;
    lt_chain_t            *out, *cl, *tl, **ll;
    lt_http_chunked_ctx_t *ctx;

    if (in == NULL || !r->chunked || r->header_only) {
        return lt_http_next_body_filter(LT_HTTP_FILTER_CHUNKED, r, in);
    }

    ctx = r->chunked_ctx;

    if (ctx == NULL) {
        ctx = lt_pcalloc(r->pool, sizeof(lt_http_chunked_ctx_t));
        if (ctx == NULL) {
            return LT_ERROR;
        }

        r->chunked_ctx = ctx;
    }

    out = NULL;
    ll = &out;

    size = 0;
    cl = in;

    for ( ;; ) {
        size += lt_buf_size(cl->buf);

        if (cl->buf->flush || cl->buf->sync || lt_buf_in_memory(cl->buf)
            || cl->buf->in_file)
        {
            tl = lt_alloc_chain_link(r->pool);
            if (tl == NULL) {
                return LT_ERROR;
            }

            tl->buf = cl->buf;
            *ll = tl;
            ll = &tl->next;
        }

        if (cl->next == NULL) {
            break;
        }

        cl = cl->next;
    }

    if (size) {
        tl = lt_chain_get_free_buf(r->pool, &ctx->free);
        if (tl == NULL) {
            return LT_ERROR;
        }

        b = tl->buf;
        chunk = b->start;

        if (chunk == NULL) {
            /* the chunk header: CRLF of the previous chunk's end, then the size */
            chunk = lt_palloc(r->pool, sizeof("0000000000000000" CRLF) - 1);
            if (chunk == NULL) {
                return LT_ERROR;
            }

            b->start = chunk;
            b->end = chunk + sizeof("0000000000000000" CRLF) - 1;
        }

        b->tag = (lt_buf_tag_t) &lt_http_chunked_header_filter;
        b->memory = 0;
        b->temporary = 1;
        b->pos = chunk;
        b->last = lt_slprintf(chunk, b->end + 1, "%llx" CRLF, (unsigned long long) size);

        tl->next = out;
        out = tl;
    }

    if (cl->buf->last_buf) {
        tl = lt_http_chunked_trailers(r);
        if (tl == NULL) {
            return LT_ERROR;
        }

        cl->buf->last_buf = 0;

        *ll = tl;

        if (size == 0) {
            /* no data in this call: the trailer's leading CRLF is not needed */
            tl->buf->pos += 2;
        }

    } else if (size > 0) {
        tl = lt_chain_get_free_buf(r->pool, &ctx->free);
        if (tl == NULL) {
            return LT_ERROR;
        }

        b = tl->buf;

        b->tag = (lt_buf_tag_t) &lt_http_chunked_header_filter;
        b->temporary = 0;
        b->memory = 1;
        b->pos = (u_char *) CRLF;
        b->last = b->pos + 2;

        *ll = tl;

    } else {
        *ll = NULL;
    }

    rc = lt_http_next_body_filter(LT_HTTP_FILTER_CHUNKED, r, out);

    lt_chain_update_chains(r->pool, &ctx->free, &ctx->busy, &out,
                           (lt_buf_tag_t) &lt_http_chunked_header_filter);

    return rc;
}


int lt_http_chunked_postconfiguration(lt_conf_t *cf);

int
lt_http_chunked_postconfiguration(lt_conf_t *cf)
{
    lt_http_register_filter(LT_HTTP_FILTER_CHUNKED, lt_http_chunked_header_filter,
                            lt_http_chunked_body_filter);

    return LT_OK;
}
