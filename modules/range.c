/*
 * range.c: byte ranges (http_range): "Range: bytes=..." on 200 responses of a
 * known length whose handler allows ranges (r->allow_ranges: static files).
 *
 * The header filter (slot range_header, late: it sees the final length and
 * the Last-Modified/ETag that add_header may have changed) parses the ranges:
 *   one range          206, Content-Range: bytes S-E/LEN, the length cut;
 *   several ranges     206, multipart/byteranges with a random boundary, each
 *                      part with the response's Content-Type (and charset);
 *   none satisfiable   416, Content-Range: bytes * /LEN (an error page);
 *   syntax errors      416, as nginx; a header not starting "bytes=" is ignored;
 *   more than max_ranges ranges, or ranges adding up to more than the body,
 *                      the full 200.
 * If-Range (an ETag compared strongly, or a date equal to Last-Modified) that
 * does not match sends the full 200. Responses that could have been cut get
 * "Accept-Ranges: bytes"; "max_ranges 0" turns ranges off.
 *
 * The body filter (slot range_body, early: before the copy filter, so file
 * buffers are cut without being read) cuts memory and file buffers in place
 * where it can. A multipart range must start in the buffer where the previous
 * one ended or later, unless all of them are in one buffer (the static
 * module's single file buffer always is): a stream cannot be rewound.
 */

#include "lt_http.h"

typedef struct {
    off_t        start;
    off_t        end;           /* exclusive */
    lt_str_t     header;        /* multipart: CRLF--boundary, Content-Type, Range */
} lt_http_range_t;

typedef struct {
    off_t        offset;        /* in the whole body, of the next byte to arrive */
    lt_array_t   ranges;        /* lt_http_range_t, as requested */
    lt_str_t     trailer;       /* multipart: CRLF--boundary--CRLF */
    size_t       index;         /* the range being sent */
    unsigned     started:1;     /* its part header went out */
    unsigned     multipart:1;
    unsigned     done:1;
} lt_http_range_ctx_t;

static int lt_http_range_init(lt_conf_t *cf);

lt_module_t  lt_http_range_module = {
    .name = "http_range",
    .type = LT_HTTP_MODULE,
    .postconfiguration = lt_http_range_init,
};

#define lt_http_range_space(p, end)                                           \
    while ((p) < (end) && (*(p) == ' ' || *(p) == '\t')) { (p)++; }


/* lt_http_range_number: decimal digits at *p (at least one); LT_ERROR on none
 * or overflow */
static int
lt_http_range_number(u_char **pp, u_char *end, off_t *n)
{
    u_char  *p;
    off_t    v;

    p = *pp;
    v = 0;

    if (p == end || *p < '0' || *p > '9') {
        return LT_ERROR;
    }

    while (p < end && *p >= '0' && *p <= '9') {
        if (v > (LT_MAX_OFF_T_VALUE - (*p - '0')) / 10) {
            return LT_ERROR;
        }

        v = v * 10 + (*p++ - '0');
    }

    *pp = p;
    *n = v;

    return LT_OK;
}


/* lt_http_range_parse: the ranges of "bytes=..." clamped to the length. LT_OK,
 * LT_DECLINED (send it all), LT_HTTP_RANGE_NOT_SATISFIABLE, LT_ERROR */
static int
lt_http_range_parse(lt_http_request_t *r, lt_http_range_ctx_t *ctx, unsigned max)
{
    int               suffix;
    u_char           *p, *end;
    off_t             start, last, len, size;
    lt_http_range_t  *range;

    p = r->headers_in.range->value.data + sizeof("bytes=") - 1;
    end = r->headers_in.range->value.data + r->headers_in.range->value.len;

    len = r->headers_out.content_length_n;
    size = 0;

    for ( ;; ) {
        start = 0;
        last = 0;
        suffix = 0;

        lt_http_range_space(p, end);

        if (p < end && *p == '-') {
            suffix = 1;
            p++;

        } else {
            if (lt_http_range_number(&p, end, &start) != LT_OK) {
                return LT_HTTP_RANGE_NOT_SATISFIABLE;
            }

            lt_http_range_space(p, end);

            if (p == end || *p++ != '-') {
                return LT_HTTP_RANGE_NOT_SATISFIABLE;
            }

            lt_http_range_space(p, end);

            if (p == end || *p == ',') {
                /* "500-": to the end */
                last = len;
                goto found;
            }
        }

        lt_http_range_space(p, end);

        if (lt_http_range_number(&p, end, &last) != LT_OK) {
            return LT_HTTP_RANGE_NOT_SATISFIABLE;
        }

        lt_http_range_space(p, end);

        if (p != end && *p != ',') {
            return LT_HTTP_RANGE_NOT_SATISFIABLE;
        }

        if (suffix) {
            /* "-500": the last 500 bytes */
            start = (last < len) ? len - last : 0;
            last = len - 1;
        }

        /* the last byte position is inclusive; past the end means the end */
        last = (last >= len) ? len : last + 1;

    found:

        if (start < last) {
            range = lt_array_push(&ctx->ranges);
            if (range == NULL) {
                return LT_ERROR;
            }

            range->start = start;
            range->end = last;
            lt_str_null(&range->header);

            if (size > LT_MAX_OFF_T_VALUE - (last - start)) {
                return LT_HTTP_RANGE_NOT_SATISFIABLE;
            }

            size += last - start;

            if (max-- == 0) {
                return LT_DECLINED;
            }

        } else if (start == 0) {
            /* an empty body: no range can be satisfied, send it whole */
            return LT_DECLINED;
        }

        if (p == end) {
            break;
        }

        p++;    /* the comma */
    }

    if (ctx->ranges.nelts == 0) {
        return LT_HTTP_RANGE_NOT_SATISFIABLE;
    }

    if (size > len) {
        /* overlapping ranges asking for more than the body: not worth it */
        return LT_DECLINED;
    }

    return LT_OK;
}


/* lt_http_range_if_range: If-Range allows the partial response */
static int
lt_http_range_if_range(lt_http_request_t *r)
{
    lt_str_t        *v;
    lt_table_elt_t  *etag;

    v = &r->headers_in.if_range->value;

    if (v->len >= 2 && v->data[v->len - 1] == '"') {
        /* an entity tag: the strong comparison, a weak tag never matches */
        etag = r->headers_out.etag;

        return etag != NULL && etag->value.len == v->len && v->data[0] == '"'
               && memcmp(etag->value.data, v->data, v->len) == 0;
    }

    if (r->headers_out.last_modified_time == -1) {
        return 0;
    }

    return lt_parse_http_time(v->data, v->len) == r->headers_out.last_modified_time;
}


/* lt_http_range_content_range: the Content-Range field (the response's, reused,
 * or a new one) set to value */
static int
lt_http_range_content_range(lt_http_request_t *r, u_char *value, size_t len)
{
    lt_table_elt_t  *h;

    h = r->headers_out.content_range;

    if (h == NULL) {
        h = lt_list_push(&r->headers_out.headers);
        if (h == NULL) {
            return LT_ERROR;
        }

        r->headers_out.content_range = h;
    }

    h->hash = 1;
    lt_str_set(&h->key, "Content-Range");
    h->lowcase_key = (u_char *) "content-range";
    h->value.data = value;
    h->value.len = len;
    h->next = NULL;

    return LT_OK;
}


static int
lt_http_range_singlepart_header(lt_http_request_t *r, lt_http_range_ctx_t *ctx)
{
    u_char           *p, *last;
    size_t            size;
    lt_http_range_t  *range;

    range = ctx->ranges.elts;

    size = sizeof("bytes -/") - 1 + 3 * LT_INT64_LEN;

    p = lt_pnalloc(r->pool, size + 1);
    if (p == NULL) {
        return LT_ERROR;
    }

    last = lt_slprintf(p, p + size + 1, "bytes %lld-%lld/%lld", (long long) range->start,
                       (long long) range->end - 1,
                       (long long) r->headers_out.content_length_n);

    if (lt_http_range_content_range(r, p, (size_t) (last - p)) != LT_OK) {
        return LT_ERROR;
    }

    r->headers_out.content_length_n = range->end - range->start;
    r->headers_out.content_offset = range->start;
    lt_http_clear_header(r, content_length);

    return lt_http_next_header_filter(LT_HTTP_FILTER_RANGE_HEADER, r);
}


static int
lt_http_range_multipart_header(lt_http_request_t *r, lt_http_range_ctx_t *ctx)
{
    u_char           *p, *end, boundary[24];
    off_t             len;
    size_t            i, blen, hlen, ctlen;
    lt_str_t         *ct, *cs;
    lt_http_range_t  *range;

    ctx->multipart = 1;

    blen = (size_t) (lt_slprintf(boundary, boundary + sizeof(boundary), "%010ld%010ld",
                                 lt_random() % 10000000000L, lt_random() % 10000000000L)
                     - boundary);

    ct = &r->headers_out.content_type;
    cs = &r->headers_out.charset;

    /* the charset goes into each part unless the type carries one already */
    ctlen = 0;

    if (ct->len) {
        ctlen = sizeof("Content-Type: " CRLF) - 1 + ct->len;

        if (r->headers_out.content_type_len == ct->len && cs->len) {
            ctlen += sizeof("; charset=") - 1 + cs->len;
        } else {
            cs = NULL;
        }
    }

    hlen = sizeof(CRLF "--" CRLF) - 1 + blen + ctlen
           + sizeof("Content-Range: bytes -/" CRLF CRLF) - 1 + 3 * LT_INT64_LEN;

    len = 0;
    range = ctx->ranges.elts;

    for (i = 0; i < ctx->ranges.nelts; i++) {
        p = lt_pnalloc(r->pool, hlen + 1);
        if (p == NULL) {
            return LT_ERROR;
        }

        range[i].header.data = p;
        end = p + hlen + 1;

        p = lt_slprintf(p, end, CRLF "--%.*s" CRLF, (int) blen, boundary);

        if (ct->len) {
            p = lt_slprintf(p, end, "Content-Type: %.*s", (int) ct->len, ct->data);

            if (cs) {
                p = lt_slprintf(p, end, "; charset=%.*s", (int) cs->len, cs->data);
            }

            p = lt_slprintf(p, end, CRLF);
        }

        p = lt_slprintf(p, end, "Content-Range: bytes %lld-%lld/%lld" CRLF CRLF,
                        (long long) range[i].start, (long long) range[i].end - 1,
                        (long long) r->headers_out.content_length_n);

        range[i].header.len = (size_t) (p - range[i].header.data);

        len += (off_t) range[i].header.len + range[i].end - range[i].start;
    }

    ctx->trailer.len = sizeof(CRLF "----" CRLF) - 1 + blen;
    ctx->trailer.data = lt_pnalloc(r->pool, ctx->trailer.len + 1);
    if (ctx->trailer.data == NULL) {
        return LT_ERROR;
    }

    lt_slprintf(ctx->trailer.data, ctx->trailer.data + ctx->trailer.len + 1,
                CRLF "--%.*s--" CRLF, (int) blen, boundary);

    len += (off_t) ctx->trailer.len;

    p = lt_pnalloc(r->pool, sizeof("multipart/byteranges; boundary=") + blen);
    if (p == NULL) {
        return LT_ERROR;
    }

    ct->data = p;
    ct->len = (size_t) (lt_slprintf(p, p + sizeof("multipart/byteranges; boundary=") + blen,
                                    "multipart/byteranges; boundary=%.*s", (int) blen,
                                    boundary) - p);

    r->headers_out.content_type_len = ct->len;
    r->headers_out.content_type_lowcase = NULL;
    r->headers_out.content_type_hash = 0;
    r->headers_out.charset.len = 0;

    r->headers_out.content_length_n = len;
    lt_http_clear_header(r, content_length);
    lt_http_clear_header(r, content_range);

    return lt_http_next_header_filter(LT_HTTP_FILTER_RANGE_HEADER, r);
}


/* lt_http_range_not_satisfiable: 416 with "Content-Range: bytes * /LEN"; the
 * status makes the handler send the error page */
static int
lt_http_range_not_satisfiable(lt_http_request_t *r)
{
    u_char  *p, *last;
    size_t   size;

    size = sizeof("bytes */") - 1 + LT_INT64_LEN;

    p = lt_pnalloc(r->pool, size + 1);
    if (p == NULL) {
        return LT_ERROR;
    }

    last = lt_slprintf(p, p + size + 1, "bytes */%lld",
                       (long long) r->headers_out.content_length_n);

    if (lt_http_range_content_range(r, p, (size_t) (last - p)) != LT_OK) {
        return LT_ERROR;
    }

    r->headers_out.status = LT_HTTP_RANGE_NOT_SATISFIABLE;
    lt_http_clear_content_length(r);

    return LT_HTTP_RANGE_NOT_SATISFIABLE;
}


/* lt_http_range_accept: "Accept-Ranges: bytes" and on */
static int
lt_http_range_accept(lt_http_request_t *r)
{
    lt_table_elt_t  *h;

    if (r->headers_out.accept_ranges == NULL) {
        h = lt_list_push(&r->headers_out.headers);
        if (h == NULL) {
            return LT_ERROR;
        }

        h->hash = 1;
        lt_str_set(&h->key, "Accept-Ranges");
        h->lowcase_key = (u_char *) "accept-ranges";
        lt_str_set(&h->value, "bytes");
        h->next = NULL;

        r->headers_out.accept_ranges = h;
    }

    return lt_http_next_header_filter(LT_HTTP_FILTER_RANGE_HEADER, r);
}


static int
lt_http_range_header_filter(lt_http_request_t *r)
{
    int                       rc;
    lt_table_elt_t           *range;
    lt_http_range_ctx_t      *ctx;
    lt_http_core_loc_conf_t  *clcf;

    if (r->http_version < LT_HTTP_VERSION_10
        || r->headers_out.status != LT_HTTP_OK
        || r != r->main
        || r->headers_out.content_length_n == -1
        || !r->allow_ranges)
    {
        return lt_http_next_header_filter(LT_HTTP_FILTER_RANGE_HEADER, r);
    }

    clcf = lt_http_get_module_loc_conf(r, lt_http_core_module);

    if (clcf->max_ranges == 0) {
        return lt_http_next_header_filter(LT_HTTP_FILTER_RANGE_HEADER, r);
    }

    range = r->headers_in.range;

    if (range == NULL
        || range->value.len < sizeof("bytes=x") - 1
        || lt_strncasecmp(range->value.data, (u_char *) "bytes=", sizeof("bytes=") - 1) != 0
        || (r->headers_in.if_range && !lt_http_range_if_range(r)))
    {
        return lt_http_range_accept(r);
    }

    ctx = lt_pcalloc(r->pool, sizeof(lt_http_range_ctx_t));
    if (ctx == NULL || lt_array_init(&ctx->ranges, r->pool, 1, sizeof(lt_http_range_t)) != LT_OK)
    {
        return LT_ERROR;
    }

    ctx->offset = r->headers_out.content_offset;

    rc = lt_http_range_parse(r, ctx, r->single_range ? 1 : clcf->max_ranges);

    switch (rc) {

    case LT_OK:
        lt_http_set_ctx(r, ctx, lt_http_range_module);

        r->headers_out.status = LT_HTTP_PARTIAL_CONTENT;
        r->headers_out.status_line.len = 0;

        if (ctx->ranges.nelts == 1) {
            return lt_http_range_singlepart_header(r, ctx);
        }

        return lt_http_range_multipart_header(r, ctx);

    case LT_HTTP_RANGE_NOT_SATISFIABLE:
        return lt_http_range_not_satisfiable(r);

    case LT_ERROR:
        return LT_ERROR;

    default: /* LT_DECLINED */
        return lt_http_range_accept(r);
    }
}


/* body: cutting buffers */

static void
lt_http_range_consume(lt_buf_t *b)
{
    if (lt_buf_in_memory(b)) {
        b->pos = b->last;
    }

    if (b->in_file) {
        b->file_pos = b->file_last;
    }
}


/* lt_http_range_region: b narrowed to [from, to) of the body, where b starts at
 * body offset `start` (memory and file views alike) */
static void
lt_http_range_region(lt_buf_t *b, off_t start, off_t from, off_t to)
{
    if (lt_buf_in_memory(b)) {
        b->last = b->pos + (to - start);
        b->pos += from - start;
    }

    if (b->in_file) {
        b->file_last = b->file_pos + (to - start);
        b->file_pos += from - start;
    }
}


/* lt_http_range_link: b appended to the output; the new link, or NULL */
static lt_chain_t *
lt_http_range_link(lt_http_request_t *r, lt_buf_t *b, lt_chain_t ***ll)
{
    lt_chain_t  *cl;

    cl = lt_alloc_chain_link(r->pool);
    if (cl == NULL) {
        return NULL;
    }

    cl->buf = b;
    cl->next = NULL;
    **ll = cl;
    *ll = &cl->next;

    return cl;
}


/* lt_http_range_memory: a buffer with the bytes of s (not copied) appended; an
 * empty s makes a special buffer (last_buf, flush) */
static lt_buf_t *
lt_http_range_memory(lt_http_request_t *r, lt_str_t *s, int last_buf, lt_chain_t ***ll)
{
    lt_buf_t  *b;

    b = lt_calloc_buf(r->pool);
    if (b == NULL) {
        return NULL;
    }

    b->memory = s->len ? 1 : 0;
    b->pos = s->data;
    b->last = s->data + s->len;
    b->last_buf = last_buf;
    b->last_in_chain = last_buf;
    b->sync = (s->len == 0);

    return lt_http_range_link(r, b, ll) ? b : NULL;
}


/* the one range: b cut to it in place */
static int
lt_http_range_single(lt_http_request_t *r, lt_http_range_ctx_t *ctx, lt_buf_t *b,
    off_t start, off_t last, lt_chain_t ***ll)
{
    lt_http_range_t  *range;

    range = ctx->ranges.elts;

    if (range->end <= start || range->start >= last) {
        lt_http_range_consume(b);
        return LT_OK;
    }

    lt_http_range_region(b, start, lt_max(range->start, start), lt_min(range->end, last));

    if (range->end <= last || b->last_buf) {
        /* the range ends here (or the body does, short of it) */
        b->last_buf = (r == r->main) ? 1 : 0;
        b->last_in_chain = 1;
        ctx->done = 1;
    }

    return lt_http_range_link(r, b, ll) ? LT_OK : LT_ERROR;
}


/* the multipart ranges that b (at body offset start..last) holds: each piece is
 * a copy of b narrowed to it, but the last piece is b itself, so that b is
 * consumed (and its producer may reuse it) only after every piece was sent */
static int
lt_http_range_multi(lt_http_request_t *r, lt_http_range_ctx_t *ctx, lt_buf_t *b,
    off_t start, off_t last, lt_chain_t ***ll)
{
    lt_buf_t         *piece;
    lt_chain_t       *last_piece;
    lt_http_range_t  *range;

    last_piece = NULL;

    while (ctx->index < ctx->ranges.nelts) {
        range = (lt_http_range_t *) ctx->ranges.elts + ctx->index;

        if (range->start >= last) {
            break;
        }

        if (!ctx->started) {
            if (range->start < start) {
                lt_log_error(LT_LOG_ALERT, r->connection->log, 0,
                             "range in overlapped buffers");
                return LT_ERROR;
            }

            if (lt_http_range_memory(r, &range->header, 0, ll) == NULL) {
                return LT_ERROR;
            }

            ctx->started = 1;
        }

        piece = lt_calloc_buf(r->pool);
        if (piece == NULL) {
            return LT_ERROR;
        }

        *piece = *b;
        piece->last_buf = 0;
        piece->last_in_chain = 0;
        piece->flush = 0;
        piece->recycled = 0;
        piece->shadow = b;

        if (piece->temporary) {
            /* another piece may show the same bytes: no changes in place */
            piece->temporary = 0;
            piece->memory = 1;
        }

        lt_http_range_region(piece, start, lt_max(range->start, start),
                             lt_min(range->end, last));

        last_piece = lt_http_range_link(r, piece, ll);
        if (last_piece == NULL) {
            return LT_ERROR;
        }

        if (range->end > last) {
            break;
        }

        ctx->index++;
        ctx->started = 0;
    }

    if (last_piece) {
        /* b takes the place of its last piece */
        piece = last_piece->buf;
        b->pos = piece->pos;
        b->last = piece->last;
        b->file_pos = piece->file_pos;
        b->file_last = piece->file_last;
        b->last_buf = 0;
        b->last_in_chain = 0;
        b->flush = 0;
        last_piece->buf = b;

    } else {
        lt_http_range_consume(b);
    }

    if (ctx->index == ctx->ranges.nelts) {
        ctx->done = 1;

        if (lt_http_range_memory(r, &ctx->trailer, r == r->main, ll) == NULL) {
            return LT_ERROR;
        }
    }

    return LT_OK;
}


static int
lt_http_range_body_filter(lt_http_request_t *r, lt_chain_t *in)
{
    off_t                 size;
    lt_buf_t             *b, *special;
    lt_chain_t           *cl, *out, **ll;
    lt_str_t              empty;
    lt_http_range_ctx_t  *ctx;

    ctx = lt_http_get_module_ctx(r, lt_http_range_module);

    if (ctx == NULL || in == NULL) {
        return lt_http_next_body_filter(LT_HTTP_FILTER_RANGE_BODY, r, in);
    }

    out = NULL;
    ll = &out;

    for (cl = in; cl; cl = cl->next) {
        b = cl->buf;
        size = lt_buf_size(b);

        if (ctx->done) {
            lt_http_range_consume(b);
            ctx->offset += size;
            continue;
        }

        if (size > 0) {
            if ((ctx->multipart ? lt_http_range_multi : lt_http_range_single)
                    (r, ctx, b, ctx->offset, ctx->offset + size, &ll) != LT_OK)
            {
                return LT_ERROR;
            }

            ctx->offset += size;
        }

        if (ctx->done) {
            continue;
        }

        if (b->last_buf) {
            /* the body ended before the ranges did: end the response anyway */
            ctx->done = 1;
            lt_str_null(&empty);

            if (lt_http_range_memory(r, ctx->multipart ? &ctx->trailer : &empty,
                                     r == r->main, &ll) == NULL)
            {
                return LT_ERROR;
            }

        } else if (b->flush && size == 0) {
            lt_str_null(&empty);

            special = lt_http_range_memory(r, &empty, 0, &ll);
            if (special == NULL) {
                return LT_ERROR;
            }

            special->flush = 1;
        }
    }

    if (out == NULL) {
        /* all of it outside the ranges (a proxied body comes in pieces):
         * nothing to pass, which the write filter would take for a mistake */
        return LT_OK;
    }

    return lt_http_next_body_filter(LT_HTTP_FILTER_RANGE_BODY, r, out);
}


static int
lt_http_range_init(lt_conf_t *cf)
{
    (void) cf;

    lt_http_register_filter(LT_HTTP_FILTER_RANGE_HEADER, lt_http_range_header_filter, NULL);
    lt_http_register_filter(LT_HTTP_FILTER_RANGE_BODY, NULL, lt_http_range_body_filter);

    return LT_OK;
}
