/*
 * charset.c: the charset filter (http_charset). The header filter adds
 * "; charset=NAME" to the Content-Type of responses whose type is in
 * charset_types; when the source charset (source_charset, or the charset the
 * response already carries with "override_charset on") differs from the one
 * sent and a charset_map joins them, the body filter recodes the body: one
 * single-byte charset to another, or a single-byte charset to or from UTF-8.
 *
 * Charsets are known by name: every name given to charset, source_charset or
 * charset_map is registered in the main conf, and a name from a variable is
 * looked up there at run time (an unknown one can still be sent, but not
 * recoded).
 */

#include "lt_http.h"

/* the charset of a loc conf or a lookup: an index into the charsets, or these */
#define LT_HTTP_CHARSET_OFF     -2
#define LT_HTTP_NO_CHARSET      -3
#define LT_HTTP_CHARSET_VAR     0x10000     /* + the index of a variable */

/* the kinds of recoding */
#define LT_HTTP_CHARSET_8BIT       0
#define LT_HTTP_CHARSET_TO_UTF8    1
#define LT_HTTP_CHARSET_FROM_UTF8  2

/* the bytes a UTF-8 table entry holds for one byte: the length, then the bytes */
#define LT_HTTP_CHARSET_UTF8_ENTRY  5

/* what an invalid or unmapped character becomes */
#define LT_HTTP_CHARSET_UNKNOWN     '?'

#define LT_HTTP_CHARSET_INCOMPLETE  0xfffffffe
#define LT_HTTP_CHARSET_INVALID     0xffffffff

typedef struct {
    lt_str_t      name;
    unsigned      utf8:1;
} lt_http_charset_t;

/* a code point of the UTF-8 side of a map and its byte, sorted by code point */
typedef struct {
    uint32_t      code;
    u_char        byte;
} lt_http_charset_ucs_t;

/* one charset_map: src -> dst and back */
typedef struct {
    int                     src;
    int                     dst;
    u_char                 *src2dst;    /* 256 bytes; UTF-8 dst: 256 entries of 5 */
    u_char                 *dst2src;    /* 256 bytes; NULL for a UTF-8 dst */
    lt_http_charset_ucs_t  *ucs;        /* a UTF-8 dst: code point -> byte */
    size_t                  nucs;
} lt_http_charset_map_t;

/* what the lines of a charset_map {} block fill */
typedef struct {
    lt_http_charset_map_t  *map;
    lt_array_t             *ucs;        /* lt_http_charset_ucs_t, a UTF-8 dst only */
} lt_http_charset_map_conf_t;

typedef struct {
    lt_array_t    charsets;     /* lt_http_charset_t */
    lt_array_t    maps;         /* lt_http_charset_map_t */
} lt_http_charset_main_conf_t;

typedef struct {
    int           charset;
    int           source_charset;
    int           override_charset;
    lt_array_t   *types;        /* lt_str_t, lowercase; "*" is any type */
} lt_http_charset_loc_conf_t;

/* per request: how the body is recoded */
typedef struct {
    unsigned                      mode;
    const u_char                 *table;
    const lt_http_charset_ucs_t  *ucs;
    size_t                        nucs;
    u_char                        saved[4];     /* a UTF-8 sequence cut by a buffer end */
    size_t                        saved_len;
    lt_chain_t                   *free;
    lt_chain_t                   *busy;
} lt_http_charset_ctx_t;

static void *lt_http_charset_create_main_conf(lt_conf_t *cf);
static void *lt_http_charset_create_loc_conf(lt_conf_t *cf);
static char *lt_http_charset_merge_loc_conf(lt_conf_t *cf, void *parent, void *child);
static int lt_http_charset_init(lt_conf_t *cf);
static char *lt_http_charset_set_slot(lt_conf_t *cf, lt_command_t *cmd, void *conf);
static char *lt_http_charset_map_block(lt_conf_t *cf, lt_command_t *cmd, void *conf);

static lt_str_t  lt_http_charset_default_type_list[] = {
    lt_string("text/html"),
    lt_string("text/xml"),
    lt_string("text/plain"),
    lt_string("text/vnd.wap.wml"),
    lt_string("application/javascript"),
    lt_string("application/rss+xml"),
};

static lt_http_types_default_t  lt_http_charset_default_types = {
    lt_http_charset_default_type_list, lt_nelts(lt_http_charset_default_type_list)
};


static lt_command_t  lt_http_charset_commands[] = {

    { "charset", LT_HTTP_ANY_CONF | LT_CTX_LIF, 1, 1, lt_http_charset_set_slot,
      LT_LOC_CONF, offsetof(lt_http_charset_loc_conf_t, charset), NULL },

    { "source_charset", LT_HTTP_ANY_CONF | LT_CTX_LIF, 1, 1, lt_http_charset_set_slot,
      LT_LOC_CONF, offsetof(lt_http_charset_loc_conf_t, source_charset), NULL },

    { "override_charset", LT_HTTP_ANY_CONF | LT_CTX_LIF, 1, 1, lt_conf_set_flag_slot,
      LT_LOC_CONF, offsetof(lt_http_charset_loc_conf_t, override_charset), NULL },

    /* a child level's list replaces its parent's */
    { "charset_types", LT_HTTP_ANY_CONF, 1, LT_CONF_MANY, lt_http_types_slot,
      LT_LOC_CONF, offsetof(lt_http_charset_loc_conf_t, types),
      &lt_http_charset_default_types },

    { "charset_map", LT_CTX_HTTP | LT_CONF_BLOCK, 2, 2, lt_http_charset_map_block,
      LT_MAIN_CONF, 0, NULL },

    lt_null_command
};

lt_module_t  lt_http_charset_module = {
    .name = "http_charset",
    .type = LT_HTTP_MODULE,
    .commands = lt_http_charset_commands,
    .postconfiguration = lt_http_charset_init,
    .create_main_conf = lt_http_charset_create_main_conf,
    .create_loc_conf = lt_http_charset_create_loc_conf,
    .merge_loc_conf = lt_http_charset_merge_loc_conf,
};



static lt_module_t  lt_http_charset_tag;


/* ---- run time: which charsets ---- */

/* lt_http_charset_find: the index of a charset by name, or LT_HTTP_NO_CHARSET */
static int
lt_http_charset_find(lt_http_charset_main_conf_t *mcf, lt_str_t *name)
{
    size_t              i;
    lt_http_charset_t  *charset;

    charset = mcf->charsets.elts;

    for (i = 0; i < mcf->charsets.nelts; i++) {
        if (charset[i].name.len == name->len
            && lt_strncasecmp(charset[i].name.data, name->data, name->len) == 0)
        {
            return (int) i;
        }
    }

    return LT_HTTP_NO_CHARSET;
}


/* lt_http_charset_resolve: a conf value (index, OFF or variable) as a name and
 * index; a variable that is not found or empty counts as OFF */
static int
lt_http_charset_resolve(lt_http_request_t *r, int charset, lt_str_t *name)
{
    lt_http_charset_t            *charsets;
    lt_http_variable_value_t     *vv;
    lt_http_charset_main_conf_t  *mcf;

    mcf = lt_http_get_module_main_conf(r, lt_http_charset_module);

    if (charset == LT_HTTP_CHARSET_OFF) {
        lt_str_null(name);
        return LT_HTTP_CHARSET_OFF;
    }

    if (charset < LT_HTTP_CHARSET_VAR) {
        charsets = mcf->charsets.elts;
        *name = charsets[charset].name;
        return charset;
    }

    vv = lt_http_get_indexed_variable(r, (unsigned) (charset - LT_HTTP_CHARSET_VAR));

    if (vv == NULL || vv->not_found || vv->len == 0) {
        lt_str_null(name);
        return LT_HTTP_CHARSET_OFF;
    }

    name->len = vv->len;
    name->data = vv->data;

    return lt_http_charset_find(mcf, name);
}


/* lt_http_charset_type_len: the media type part of Content-Type */
static size_t
lt_http_charset_type_len(lt_http_request_t *r)
{
    size_t   i, len;
    u_char  *p;

    len = r->headers_out.content_type_len;

    if (len && len <= r->headers_out.content_type.len) {
        return len;
    }

    p = r->headers_out.content_type.data;
    len = r->headers_out.content_type.len;

    for (i = 0; i < len; i++) {
        if (p[i] == ';' || p[i] == ' ') {
            return i;
        }
    }

    return len;
}


/* lt_http_charset_destination: the charset to send, or LT_DECLINED to leave
 * the response alone */
static int
lt_http_charset_destination(lt_http_request_t *r, lt_str_t *name)
{
    lt_str_t                     *override;
    lt_http_charset_loc_conf_t   *lcf;
    lt_http_charset_main_conf_t  *mcf;

    override = r->headers_out.override_charset;

    if (override && override->len) {
        /* X-Accel-Charset of a proxied response */
        mcf = lt_http_get_module_main_conf(r, lt_http_charset_module);
        *name = *override;
        return lt_http_charset_find(mcf, name);
    }

    lcf = lt_http_get_module_loc_conf(r, lt_http_charset_module);

    if (lcf->charset == LT_HTTP_CHARSET_OFF) {
        return LT_DECLINED;
    }

    if (r->headers_out.charset.len) {
        if (!lcf->override_charset) {
            return LT_DECLINED;
        }

    } else if (!lt_http_test_content_type(r, lcf->types)) {
        return LT_DECLINED;
    }

    if (lt_http_charset_resolve(r, lcf->charset, name) == LT_HTTP_CHARSET_OFF) {
        return LT_DECLINED;
    }

    return lt_http_charset_find(lt_http_get_module_main_conf(r, lt_http_charset_module),
                                name);
}


/* lt_http_charset_source: the charset the body is in: the response's own, or
 * source_charset; LT_HTTP_CHARSET_OFF when neither says */
static int
lt_http_charset_source(lt_http_request_t *r, lt_str_t *name)
{
    lt_http_charset_loc_conf_t   *lcf;
    lt_http_charset_main_conf_t  *mcf;

    if (r->headers_out.charset.len) {
        mcf = lt_http_get_module_main_conf(r, lt_http_charset_module);
        *name = r->headers_out.charset;
        return lt_http_charset_find(mcf, name);
    }

    lcf = lt_http_get_module_loc_conf(r, lt_http_charset_module);

    return lt_http_charset_resolve(r, lcf->source_charset, name);
}


/* lt_http_charset_set: the charset parameter to send (none on a redirect, whose
 * page some browsers would keep for the next one) */
static void
lt_http_charset_set(lt_http_request_t *r, lt_str_t *name)
{
    if (r->headers_out.status == LT_HTTP_MOVED_PERMANENTLY
        || r->headers_out.status == LT_HTTP_MOVED_TEMPORARILY)
    {
        r->headers_out.charset.len = 0;
        return;
    }

    if (r->headers_out.charset.len) {
        /* the charset parameter the type carries is replaced */
        r->headers_out.content_type.len = lt_http_charset_type_len(r);
    }

    if (r->headers_out.content_type_len == 0
        && lt_http_charset_type_len(r) == r->headers_out.content_type.len)
    {
        r->headers_out.content_type_len = r->headers_out.content_type.len;
    }

    r->headers_out.charset = *name;
}


/* lt_http_charset_map_find: the map between two charsets, in either direction */
static lt_http_charset_map_t *
lt_http_charset_map_find(lt_http_charset_main_conf_t *mcf, int src, int dst)
{
    size_t                  i;
    lt_http_charset_map_t  *map;

    map = mcf->maps.elts;

    for (i = 0; i < mcf->maps.nelts; i++) {
        if ((map[i].src == src && map[i].dst == dst)
            || (map[i].src == dst && map[i].dst == src))
        {
            return &map[i];
        }
    }

    return NULL;
}


/* lt_http_charset_start: sets up the recoding of the body from src to dst */
static int
lt_http_charset_start(lt_http_request_t *r, int src, int dst)
{
    lt_http_charset_t            *charsets;
    lt_http_charset_ctx_t        *ctx;
    lt_http_charset_map_t        *map;
    lt_http_charset_main_conf_t  *mcf;

    mcf = lt_http_get_module_main_conf(r, lt_http_charset_module);
    charsets = mcf->charsets.elts;

    map = lt_http_charset_map_find(mcf, src, dst);
    if (map == NULL) {
        return LT_DECLINED;
    }

    ctx = lt_pcalloc(r->pool, sizeof(lt_http_charset_ctx_t));
    if (ctx == NULL) {
        return LT_ERROR;
    }

    if (charsets[dst].utf8) {
        ctx->mode = LT_HTTP_CHARSET_TO_UTF8;
        ctx->table = map->src2dst;

    } else if (charsets[src].utf8) {
        ctx->mode = LT_HTTP_CHARSET_FROM_UTF8;
        ctx->ucs = map->ucs;
        ctx->nucs = map->nucs;

    } else {
        ctx->mode = LT_HTTP_CHARSET_8BIT;
        ctx->table = (map->src == src) ? map->src2dst : map->dst2src;
    }

    lt_http_set_ctx(r, ctx, lt_http_charset_module);

    r->filter_need_in_memory = 1;

    if (ctx->mode != LT_HTTP_CHARSET_8BIT) {
        /* the length changes */
        lt_http_clear_content_length(r);
        lt_http_clear_accept_ranges(r);
        lt_http_weak_etag(r);
    }

    return LT_OK;
}


static int
lt_http_charset_header_filter(lt_http_request_t *r)
{
    int         dst, src, rc;
    lt_str_t    dst_name, src_name;
    lt_str_t   *override;

    if (r != r->main) {
        return lt_http_next_header_filter(LT_HTTP_FILTER_CHARSET, r);
    }

    if (r->headers_out.content_type.len == 0) {
        return lt_http_next_header_filter(LT_HTTP_FILTER_CHARSET, r);
    }

    override = r->headers_out.override_charset;

    if (override && override->len == 0) {
        /* an empty X-Accel-Charset: leave as is */
        return lt_http_next_header_filter(LT_HTTP_FILTER_CHARSET, r);
    }

    dst = lt_http_charset_destination(r, &dst_name);

    if (dst == LT_DECLINED) {
        return lt_http_next_header_filter(LT_HTTP_FILTER_CHARSET, r);
    }

    if (override && override->len && dst == LT_HTTP_NO_CHARSET) {
        lt_log_error(LT_LOG_ERR, r->connection->log, 0, "unknown charset \"%.*s\" to override",
                     (int) override->len, override->data);
        return lt_http_next_header_filter(LT_HTTP_FILTER_CHARSET, r);
    }

    src = lt_http_charset_source(r, &src_name);

    if (src == LT_HTTP_CHARSET_OFF
        || (dst_name.len == src_name.len
            && lt_strncasecmp(dst_name.data, src_name.data, dst_name.len) == 0))
    {
        lt_http_charset_set(r, &dst_name);
        return lt_http_next_header_filter(LT_HTTP_FILTER_CHARSET, r);
    }

    if (r->headers_out.content_encoding && r->headers_out.content_encoding->value.len) {
        /* a compressed body cannot be recoded: no charset either */
        return lt_http_next_header_filter(LT_HTTP_FILTER_CHARSET, r);
    }

    rc = LT_DECLINED;

    if (dst != LT_HTTP_NO_CHARSET && src != LT_HTTP_NO_CHARSET) {
        rc = lt_http_charset_start(r, src, dst);

        if (rc == LT_ERROR) {
            return LT_ERROR;
        }
    }

    if (rc == LT_DECLINED) {
        lt_log_error(LT_LOG_ERR, r->connection->log, 0,
                     "no \"charset_map\" between the charsets \"%.*s\" and \"%.*s\"",
                     (int) src_name.len, src_name.data, (int) dst_name.len, dst_name.data);
        return lt_http_next_header_filter(LT_HTTP_FILTER_CHARSET, r);
    }

    lt_http_charset_set(r, &dst_name);

    return lt_http_next_header_filter(LT_HTTP_FILTER_CHARSET, r);
}


/* ---- run time: recoding ---- */

/* lt_http_charset_utf8: decodes one UTF-8 character of [p, p + n): its code point
 * and *len bytes; LT_HTTP_CHARSET_INVALID (*len = 1) or, when the sequence is
 * only cut short by the end, LT_HTTP_CHARSET_INCOMPLETE */
static uint32_t
lt_http_charset_utf8(const u_char *p, size_t n, size_t *len)
{
    size_t    i, need;
    uint32_t  code, min;

    *len = 1;

    if (p[0] < 0x80) {
        return p[0];
    }

    if (p[0] >= 0xf5 || p[0] < 0xc2) {
        return LT_HTTP_CHARSET_INVALID;
    }

    if (p[0] >= 0xf0) {
        need = 3;
        code = p[0] & 0x07;
        min = 0x10000;

    } else if (p[0] >= 0xe0) {
        need = 2;
        code = p[0] & 0x0f;
        min = 0x800;

    } else {
        need = 1;
        code = p[0] & 0x1f;
        min = 0x80;
    }

    for (i = 1; i <= need; i++) {
        if (i >= n) {
            return LT_HTTP_CHARSET_INCOMPLETE;
        }

        if ((p[i] & 0xc0) != 0x80) {
            return LT_HTTP_CHARSET_INVALID;
        }

        code = (code << 6) | (p[i] & 0x3f);
    }

    if (code < min || code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) {
        return LT_HTTP_CHARSET_INVALID;
    }

    *len = need + 1;

    return code;
}


/* lt_http_charset_from_ucs: writes the byte for a code point, or "&#N;" */
static u_char *
lt_http_charset_from_ucs(lt_http_charset_ctx_t *ctx, u_char *p, uint32_t code)
{
    size_t  lo, hi, mid;

    if (code == LT_HTTP_CHARSET_INVALID) {
        *p++ = LT_HTTP_CHARSET_UNKNOWN;
        return p;
    }

    lo = 0;
    hi = ctx->nucs;

    while (lo < hi) {
        mid = lo + (hi - lo) / 2;

        if (ctx->ucs[mid].code == code) {
            *p++ = ctx->ucs[mid].byte;
            return p;
        }

        if (ctx->ucs[mid].code < code) {
            lo = mid + 1;

        } else {
            hi = mid;
        }
    }

    if (code < 0x80) {
        *p++ = (u_char) code;
        return p;
    }

    *p++ = '&';
    *p++ = '#';
    p = lt_sprint_uint(p, code);
    *p++ = ';';

    return p;
}


/* lt_http_charset_from_utf8: recodes [src, src + n) from UTF-8 into dst, after
 * any bytes saved from the previous buffer; a sequence cut by the end is saved,
 * unless this is the last buffer. Returns the end of the output. */
static u_char *
lt_http_charset_from_utf8(lt_http_charset_ctx_t *ctx, const u_char *src, size_t n,
    u_char *dst, int last)
{
    size_t    k, len, saved;
    u_char    window[8];
    uint32_t  code;

    while (ctx->saved_len) {
        saved = ctx->saved_len;
        k = n < 4 ? n : 4;

        lt_memcpy(window, ctx->saved, saved);
        lt_memcpy(window + saved, src, k);

        code = lt_http_charset_utf8(window, saved + k, &len);

        if (code == LT_HTTP_CHARSET_INCOMPLETE) {
            /* the whole of this buffer still belongs to the sequence */
            if (last) {
                ctx->saved_len = 0;
                *dst++ = LT_HTTP_CHARSET_UNKNOWN;
                return dst;
            }

            lt_memcpy(ctx->saved, window, saved + k);
            ctx->saved_len = saved + k;
            return dst;
        }

        dst = lt_http_charset_from_ucs(ctx, dst, code);

        if (len >= saved) {
            src += len - saved;
            n -= len - saved;
            ctx->saved_len = 0;

        } else {
            lt_memmove(ctx->saved, ctx->saved + len, saved - len);
            ctx->saved_len = saved - len;
        }
    }

    while (n) {
        if (*src < 0x80 && ctx->nucs == 0) {
            *dst++ = *src++;
            n--;
            continue;
        }

        code = lt_http_charset_utf8(src, n, &len);

        if (code == LT_HTTP_CHARSET_INCOMPLETE) {
            if (last) {
                *dst++ = LT_HTTP_CHARSET_UNKNOWN;
                return dst;
            }

            lt_memcpy(ctx->saved, src, n);
            ctx->saved_len = n;
            return dst;
        }

        dst = lt_http_charset_from_ucs(ctx, dst, code);

        src += len;
        n -= len;
    }

    return dst;
}


/* lt_http_charset_to_utf8: recodes n single-byte characters into UTF-8 at dst */
static u_char *
lt_http_charset_to_utf8(const u_char *table, const u_char *src, size_t n, u_char *dst)
{
    const u_char  *e;

    while (n--) {
        e = &table[*src++ * LT_HTTP_CHARSET_UTF8_ENTRY];
        dst = lt_cpymem(dst, e + 1, e[0]);
    }

    return dst;
}


/* lt_http_charset_out_buf: a buffer of at least size bytes: a free one of ours,
 * or a new one */
static lt_buf_t *
lt_http_charset_out_buf(lt_http_request_t *r, lt_http_charset_ctx_t *ctx, size_t size)
{
    lt_buf_t     *b;
    lt_chain_t  **ll, *cl;

    for (ll = &ctx->free; *ll; ll = &(*ll)->next) {
        b = (*ll)->buf;

        if ((size_t) (b->end - b->start) >= size) {
            cl = *ll;
            *ll = cl->next;
            lt_free_chain_link(r->pool, cl);
            goto found;
        }
    }

    b = lt_create_temp_buf(r->pool, size ? size : 1);
    if (b == NULL) {
        return NULL;
    }

    b->tag = &lt_http_charset_tag;
    b->recycled = 1;

found:

    b->pos = b->start;
    b->last = b->start;
    b->shadow = NULL;
    b->last_buf = 0;
    b->last_in_chain = 0;
    b->flush = 0;
    b->sync = 0;

    return b;
}


/* lt_http_charset_recode: the buffer to pass on for b: b itself recoded in place
 * (single-byte, writable), or a new buffer whose shadow is b (b is marked sent
 * when the new one is) */
static lt_buf_t *
lt_http_charset_recode(lt_http_request_t *r, lt_http_charset_ctx_t *ctx, lt_buf_t *b)
{
    u_char    *p;
    size_t     size, need;
    lt_buf_t  *nb;

    size = b->last - b->pos;

    if (ctx->mode == LT_HTTP_CHARSET_8BIT && b->temporary) {
        for (p = b->pos; p < b->last; p++) {
            *p = ctx->table[*p];
        }

        return b;
    }

    switch (ctx->mode) {

    case LT_HTTP_CHARSET_TO_UTF8:
        need = 0;

        for (p = b->pos; p < b->last; p++) {
            need += ctx->table[*p * LT_HTTP_CHARSET_UTF8_ENTRY];
        }

        break;

    case LT_HTTP_CHARSET_FROM_UTF8:
        /* at most "&#1114111;" for a 4-byte sequence, "&#2047;" for 2 bytes */
        need = (ctx->saved_len + size) * 4;
        break;

    default:
        need = size;
    }

    nb = lt_http_charset_out_buf(r, ctx, need);
    if (nb == NULL) {
        return NULL;
    }

    switch (ctx->mode) {

    case LT_HTTP_CHARSET_TO_UTF8:
        nb->last = lt_http_charset_to_utf8(ctx->table, b->pos, size, nb->pos);
        break;

    case LT_HTTP_CHARSET_FROM_UTF8:
        nb->last = lt_http_charset_from_utf8(ctx, b->pos, size, nb->pos, b->last_buf);
        break;

    default:
        for (p = b->pos; p < b->last; p++) {
            *nb->last++ = ctx->table[*p];
        }
    }

    nb->shadow = b;
    nb->last_buf = b->last_buf;
    nb->last_in_chain = b->last_in_chain;
    nb->flush = b->flush;

    if (nb->last == nb->pos && !nb->last_buf && !nb->flush) {
        /* everything was saved for the next buffer */
        nb->sync = 1;
    }

    return nb;
}


/* lt_http_charset_release: our buffers that were sent go back to the free list,
 * and the buffers they were made from are marked sent */
static void
lt_http_charset_release(lt_http_request_t *r, lt_http_charset_ctx_t *ctx)
{
    lt_chain_t  *cl;

    while (ctx->busy) {
        cl = ctx->busy;

        if (cl->buf->tag != &lt_http_charset_tag) {
            ctx->busy = cl->next;
            lt_free_chain_link(r->pool, cl);
            continue;
        }

        if (lt_buf_size(cl->buf) != 0) {
            break;
        }

        if (cl->buf->shadow) {
            cl->buf->shadow->pos = cl->buf->shadow->last;
            cl->buf->shadow = NULL;
        }

        ctx->busy = cl->next;
        cl->next = ctx->free;
        ctx->free = cl;
    }
}


static int
lt_http_charset_body_filter(lt_http_request_t *r, lt_chain_t *in)
{
    int                     rc;
    lt_buf_t               *b, *nb;
    lt_chain_t             *out, **ll, *cl, *tail;
    lt_http_charset_ctx_t  *ctx;

    ctx = lt_http_get_module_ctx(r, lt_http_charset_module);

    if (ctx == NULL) {
        return lt_http_next_body_filter(LT_HTTP_FILTER_CHARSET, r, in);
    }

    out = NULL;
    ll = &out;

    for ( /* void */ ; in; in = in->next) {
        b = in->buf;

        if (!b->in_file
            && ((lt_buf_in_memory(b) && b->last > b->pos) || (ctx->saved_len && b->last_buf)))
        {
            nb = lt_http_charset_recode(r, ctx, b);
            if (nb == NULL) {
                return LT_ERROR;
            }

        } else {
            /* a special buffer, or one only in a file (cannot be recoded) */
            nb = b;
        }

        cl = lt_alloc_chain_link(r->pool);
        if (cl == NULL) {
            return LT_ERROR;
        }

        cl->buf = nb;
        cl->next = NULL;
        *ll = cl;
        ll = &cl->next;
    }

    rc = lt_http_next_body_filter(LT_HTTP_FILTER_CHARSET, r, out);

    if (out) {
        if (ctx->busy == NULL) {
            ctx->busy = out;

        } else {
            for (tail = ctx->busy; tail->next; tail = tail->next) { /* void */ }
            tail->next = out;
        }
    }

    lt_http_charset_release(r, ctx);

    return rc;
}


/* ---- configuration ---- */

/* lt_http_charset_add: the index of a charset name, registered if new */
static int
lt_http_charset_add(lt_conf_t *cf, lt_str_t *name)
{
    int                           index;
    lt_http_charset_t            *charset;
    lt_http_charset_main_conf_t  *mcf;

    mcf = lt_http_conf_get_module_main_conf(cf, lt_http_charset_module);

    index = lt_http_charset_find(mcf, name);

    if (index != LT_HTTP_NO_CHARSET) {
        return index;
    }

    charset = lt_array_push(&mcf->charsets);
    if (charset == NULL) {
        return LT_ERROR;
    }

    charset->name = *name;
    charset->utf8 = lt_str_case_eq(name, "utf-8");

    return (int) (mcf->charsets.nelts - 1);
}


static char *
lt_http_charset_set_slot(lt_conf_t *cf, lt_command_t *cmd, void *conf)
{
    int       *cp, index;
    lt_str_t  *value, var;

    cp = (int *) ((char *) conf + cmd->offset);

    if (*cp != LT_CONF_UNSET) {
        return "is duplicate";
    }

    value = cf->args->elts;

    if (value[1].len == 0) {
        lt_conf_log_error(LT_LOG_EMERG, cf, 0, "invalid value \"\" in \"%s\" directive",
                          cmd->name);
        return LT_CONF_ERROR;
    }

    if (cmd->offset == offsetof(lt_http_charset_loc_conf_t, charset)
        && lt_str_eq(&value[1], "off"))
    {
        *cp = LT_HTTP_CHARSET_OFF;
        return LT_CONF_OK;
    }

    if (value[1].data[0] == '$') {
        var.len = value[1].len - 1;
        var.data = value[1].data + 1;

        if (var.len == 0) {
            lt_conf_log_error(LT_LOG_EMERG, cf, 0, "invalid variable name \"%s\"",
                              value[1].data);
            return LT_CONF_ERROR;
        }

        index = lt_http_get_variable_index(cf, &var);
        if (index == LT_ERROR) {
            return LT_CONF_ERROR;
        }

        *cp = LT_HTTP_CHARSET_VAR + index;
        return LT_CONF_OK;
    }

    index = lt_http_charset_add(cf, &value[1]);
    if (index == LT_ERROR) {
        return LT_CONF_ERROR;
    }

    *cp = index;

    return LT_CONF_OK;
}


/* lt_http_charset_hex: a hex number of 1 to max_digits digits, or -1 */
static int64_t
lt_http_charset_hex(lt_str_t *s, size_t max_digits)
{
    if (s->len == 0 || s->len > max_digits) {
        return -1;
    }

    return lt_hextoi(s->data, s->len);
}


/* lt_http_charset_map_line: one "XX YY;" line inside charset_map {} */
static char *
lt_http_charset_map_line(lt_conf_t *cf, lt_command_t *dummy, void *conf)
{
    size_t                  i, len;
    u_char                  utf[4], *e;
    int64_t                 src, dst;
    uint32_t                code;
    lt_str_t                    *value;
    lt_http_charset_ucs_t       *ucs;
    lt_http_charset_map_t       *map;
    lt_http_charset_map_conf_t  *mc = conf;

    map = mc->map;

    value = cf->args->elts;

    if (cf->args->nelts != 2) {
        lt_conf_log_error(LT_LOG_EMERG, cf, 0, "invalid parameters number");
        return LT_CONF_ERROR;
    }

    src = lt_http_charset_hex(&value[0], 2);

    if (src < 0) {
        lt_conf_log_error(LT_LOG_EMERG, cf, 0, "invalid value \"%s\"", value[0].data);
        return LT_CONF_ERROR;
    }

    if (map->dst2src) {
        dst = lt_http_charset_hex(&value[1], 2);

        if (dst < 0) {
            lt_conf_log_error(LT_LOG_EMERG, cf, 0, "invalid value \"%s\"", value[1].data);
            return LT_CONF_ERROR;
        }

        map->src2dst[src] = (u_char) dst;
        map->dst2src[dst] = (u_char) src;

        return LT_CONF_OK;
    }

    /* a UTF-8 destination: the character's bytes in hex */

    len = value[1].len / 2;

    if (value[1].len % 2 || len == 0 || len > 4) {
        goto invalid;
    }

    for (i = 0; i < len; i++) {
        dst = lt_hextoi(&value[1].data[2 * i], 2);
        if (dst < 0) {
            goto invalid;
        }

        utf[i] = (u_char) dst;
    }

    code = lt_http_charset_utf8(utf, len, &i);

    if (code == LT_HTTP_CHARSET_INVALID || code == LT_HTTP_CHARSET_INCOMPLETE || i != len) {
        goto invalid;
    }

    e = &map->src2dst[src * LT_HTTP_CHARSET_UTF8_ENTRY];
    e[0] = (u_char) len;
    lt_memcpy(e + 1, utf, len);

    ucs = lt_array_push(mc->ucs);
    if (ucs == NULL) {
        return LT_CONF_ERROR;
    }

    ucs->code = code;
    ucs->byte = (u_char) src;

    return LT_CONF_OK;

invalid:

    lt_conf_log_error(LT_LOG_EMERG, cf, 0, "invalid value \"%s\"", value[1].data);
    return LT_CONF_ERROR;
}


static int
lt_http_charset_ucs_cmp(const void *one, const void *two)
{
    const lt_http_charset_ucs_t  *a = one;
    const lt_http_charset_ucs_t  *b = two;

    return (a->code > b->code) - (a->code < b->code);
}


/* lt_http_charset_map_tables: the default tables of a new map: ASCII as is,
 * the upper half unknown until the block says */
static int
lt_http_charset_map_tables(lt_conf_t *cf, lt_http_charset_map_t *map, int utf8)
{
    size_t   i;
    u_char  *e;

    if (utf8) {
        map->src2dst = lt_palloc(cf->pool, 256 * LT_HTTP_CHARSET_UTF8_ENTRY);
        if (map->src2dst == NULL) {
            return LT_ERROR;
        }

        for (i = 0; i < 256; i++) {
            e = &map->src2dst[i * LT_HTTP_CHARSET_UTF8_ENTRY];
            e[0] = 1;
            e[1] = (i < 0x80) ? (u_char) i : LT_HTTP_CHARSET_UNKNOWN;
        }

        map->dst2src = NULL;

        return LT_OK;
    }

    map->src2dst = lt_palloc(cf->pool, 256);
    map->dst2src = lt_palloc(cf->pool, 256);

    if (map->src2dst == NULL || map->dst2src == NULL) {
        return LT_ERROR;
    }

    for (i = 0; i < 256; i++) {
        map->src2dst[i] = (i < 0x80) ? (u_char) i : LT_HTTP_CHARSET_UNKNOWN;
        map->dst2src[i] = map->src2dst[i];
    }

    return LT_OK;
}


static char *
lt_http_charset_map_block(lt_conf_t *cf, lt_command_t *cmd, void *conf)
{
    int                           src, dst, utf8;
    char                         *rv;
    lt_str_t                     *value;
    lt_array_t                   *ucs;
    lt_http_charset_t            *charsets;
    lt_http_charset_map_t        *map;
    lt_http_charset_map_conf_t    mc;
    lt_http_charset_main_conf_t  *mcf = conf;

    value = cf->args->elts;

    src = lt_http_charset_add(cf, &value[1]);
    dst = lt_http_charset_add(cf, &value[2]);

    if (src == LT_ERROR || dst == LT_ERROR) {
        return LT_CONF_ERROR;
    }

    charsets = mcf->charsets.elts;

    if (charsets[src].utf8) {
        lt_conf_log_error(LT_LOG_EMERG, cf, 0,
                          "\"charset_map\" source charset must not be \"%s\"",
                          value[1].data);
        return LT_CONF_ERROR;
    }

    if (src == dst) {
        lt_conf_log_error(LT_LOG_EMERG, cf, 0,
                          "\"charset_map\" between the same charset \"%s\"", value[1].data);
        return LT_CONF_ERROR;
    }

    if (lt_http_charset_map_find(mcf, src, dst)) {
        lt_conf_log_error(LT_LOG_EMERG, cf, 0,
                          "duplicate \"charset_map\" between \"%s\" and \"%s\"",
                          value[1].data, value[2].data);
        return LT_CONF_ERROR;
    }

    map = lt_array_push(&mcf->maps);
    if (map == NULL) {
        return LT_CONF_ERROR;
    }

    lt_memzero(map, sizeof(lt_http_charset_map_t));
    map->src = src;
    map->dst = dst;

    utf8 = charsets[dst].utf8;

    if (lt_http_charset_map_tables(cf, map, utf8) != LT_OK) {
        return LT_CONF_ERROR;
    }

    ucs = NULL;

    if (utf8) {
        ucs = lt_array_create(cf->temp_pool, 128, sizeof(lt_http_charset_ucs_t));
        if (ucs == NULL) {
            return LT_CONF_ERROR;
        }
    }

    mc.map = map;
    mc.ucs = ucs;

    rv = lt_conf_parse_lines(cf, lt_http_charset_map_line, &mc);

    if (rv != LT_CONF_OK) {
        return rv;
    }

    if (utf8) {
        /* the array (in the temp pool) becomes a sorted table in the cycle's */
        map->nucs = ucs->nelts;
        map->ucs = lt_palloc(cf->pool, (ucs->nelts ? ucs->nelts : 1)
                                       * sizeof(lt_http_charset_ucs_t));
        if (map->ucs == NULL) {
            return LT_CONF_ERROR;
        }

        if (ucs->nelts) {
            lt_memcpy(map->ucs, ucs->elts, ucs->nelts * sizeof(lt_http_charset_ucs_t));
            qsort(map->ucs, map->nucs, sizeof(lt_http_charset_ucs_t),
                  lt_http_charset_ucs_cmp);
        }
    }

    return LT_CONF_OK;
}


static void *
lt_http_charset_create_main_conf(lt_conf_t *cf)
{
    lt_http_charset_main_conf_t  *mcf;

    mcf = lt_pcalloc(cf->pool, sizeof(lt_http_charset_main_conf_t));
    if (mcf == NULL) {
        return NULL;
    }

    if (lt_array_init(&mcf->charsets, cf->pool, 4, sizeof(lt_http_charset_t)) != LT_OK
        || lt_array_init(&mcf->maps, cf->pool, 2, sizeof(lt_http_charset_map_t)) != LT_OK)
    {
        return NULL;
    }

    return mcf;
}


static void *
lt_http_charset_create_loc_conf(lt_conf_t *cf)
{
    lt_http_charset_loc_conf_t  *lcf;

    lcf = lt_palloc(cf->pool, sizeof(lt_http_charset_loc_conf_t));
    if (lcf == NULL) {
        return NULL;
    }

    lcf->charset = LT_CONF_UNSET;
    lcf->source_charset = LT_CONF_UNSET;
    lcf->override_charset = LT_CONF_UNSET;
    lcf->types = LT_CONF_UNSET_PTR;

    return lcf;
}


static char *
lt_http_charset_merge_loc_conf(lt_conf_t *cf, void *parent, void *child)
{
    lt_http_charset_loc_conf_t  *prev = parent;
    lt_http_charset_loc_conf_t  *conf = child;

    lt_conf_merge_value(conf->charset, prev->charset, LT_HTTP_CHARSET_OFF);
    lt_conf_merge_value(conf->source_charset, prev->source_charset, LT_HTTP_CHARSET_OFF);
    lt_conf_merge_value(conf->override_charset, prev->override_charset, 0);

    if (lt_http_merge_types(cf, &conf->types, &prev->types, &lt_http_charset_default_types)
        != LT_CONF_OK)
    {
        return LT_CONF_ERROR;
    }

    return LT_CONF_OK;
}


static int
lt_http_charset_init(lt_conf_t *cf)
{
    lt_http_register_filter(LT_HTTP_FILTER_CHARSET, lt_http_charset_header_filter,
                            lt_http_charset_body_filter);

    return LT_OK;
}
