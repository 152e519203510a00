/*
 * lt_http_accept_encoding.c: parsing Accept-Encoding and choosing a content coding
 * (the rules are in lt_http_accept_encoding.h).
 *
 * The parser walks the value once with a cursor and never reads past len, so any
 * byte string is safe input; its cost is linear in the length of the header, which
 * the request header limits already bound.
 */

#include "lt_http.h"
#include "lt_http_accept_encoding.h"

const lt_http_encoding_order_t  lt_http_default_encoding_order = {
    { LT_HTTP_ENC_BR, LT_HTTP_ENC_ZSTD, LT_HTTP_ENC_GZIP }
};

static const lt_str_t  lt_http_encoding_names[LT_HTTP_ENC_N] = {
    lt_string("identity"),
    lt_string("gzip"),
    lt_string("br"),
    lt_string("zstd"),
};

/* an element's coding, beyond the lt_http_encoding_e values */
#define LT_HTTP_ENC_STAR     (-2)
#define LT_HTTP_ENC_OTHER    (-1)

typedef struct {
    const u_char  *p;
    const u_char  *last;
} lt_http_ae_cursor_t;


/* tchar of RFC 9110 5.6.2 */
static int
lt_http_ae_is_tchar(u_char ch)
{
    if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9')) {
        return 1;
    }

    switch (ch) {
    case '!': case '#': case '$': case '%': case '&': case '\'': case '*':
    case '+': case '-': case '.': case '^': case '_': case '`': case '|': case '~':
        return 1;
    default:
        return 0;
    }
}


static void
lt_http_ae_skip_ows(lt_http_ae_cursor_t *cur)
{
    while (cur->p < cur->last && (*cur->p == ' ' || *cur->p == '\t')) {
        cur->p++;
    }
}


static lt_str_t
lt_http_ae_token(lt_http_ae_cursor_t *cur)
{
    lt_str_t  token;

    token.data = (u_char *) cur->p;

    while (cur->p < cur->last && lt_http_ae_is_tchar(*cur->p)) {
        cur->p++;
    }

    token.len = cur->p - token.data;

    return token;
}


/* skips a quoted-string starting at the '"'; LT_ERROR if it is not closed */
static int
lt_http_ae_skip_quoted(lt_http_ae_cursor_t *cur)
{
    for (cur->p++; cur->p < cur->last; cur->p++) {

        if (*cur->p == '\\') {
            if (++cur->p == cur->last) {
                break;
            }
            continue;
        }

        if (*cur->p == '"') {
            cur->p++;
            return LT_OK;
        }
    }

    return LT_ERROR;
}


/* skips the rest of a bad element, up to and excluding the next ',' that is not
 * inside a quoted string */
static void
lt_http_ae_skip_element(lt_http_ae_cursor_t *cur)
{
    while (cur->p < cur->last && *cur->p != ',') {

        if (*cur->p == '"') {
            (void) lt_http_ae_skip_quoted(cur);
            continue;
        }

        cur->p++;
    }
}


/* qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] ); thousandths or
 * LT_ERROR */
static int
lt_http_ae_qvalue(const lt_str_t *v)
{
    size_t  i;
    int     q, scale;

    if (v->len == 0 || v->len > 5 || (v->data[0] != '0' && v->data[0] != '1')) {
        return LT_ERROR;
    }

    q = (v->data[0] - '0') * LT_HTTP_Q_MAX;

    if (v->len == 1) {
        return q;
    }

    if (v->data[1] != '.') {
        return LT_ERROR;
    }

    scale = 100;

    for (i = 2; i < v->len; i++) {
        if (v->data[i] < '0' || v->data[i] > '9') {
            return LT_ERROR;
        }
        q += (v->data[i] - '0') * scale;
        scale /= 10;
    }

    return q > LT_HTTP_Q_MAX ? LT_ERROR : q;
}


static int
lt_http_ae_coding(const lt_str_t *name)
{
    int  enc;

    if (name->len == 1 && name->data[0] == '*') {
        return LT_HTTP_ENC_STAR;
    }

    enc = lt_http_encoding_by_name(name->data, name->len);

    return enc == LT_ERROR ? LT_HTTP_ENC_OTHER : enc;
}


/* the parameters after a coding: sets *q from "q=", LT_ERROR on bad syntax (the
 * cursor is then somewhere inside the element) */
static int
lt_http_ae_params(lt_http_ae_cursor_t *cur, unsigned *q)
{
    lt_str_t  name, value;
    int       qv;

    for ( ;; ) {
        lt_http_ae_skip_ows(cur);

        if (cur->p == cur->last || *cur->p == ',') {
            return LT_OK;
        }

        if (*cur->p != ';') {
            return LT_ERROR;
        }

        cur->p++;
        lt_http_ae_skip_ows(cur);

        name = lt_http_ae_token(cur);

        if (name.len == 0 || cur->p == cur->last || *cur->p != '=') {
            return LT_ERROR;
        }

        cur->p++;

        if (cur->p < cur->last && *cur->p == '"') {
            /* a quoted q is not a qvalue; a quoted other parameter is skipped */
            if (lt_http_ae_skip_quoted(cur) != LT_OK || lt_str_case_eq(&name, "q")) {
                return LT_ERROR;
            }
            continue;
        }

        value = lt_http_ae_token(cur);

        if (value.len == 0) {
            return LT_ERROR;
        }

        if (lt_str_case_eq(&name, "q")) {
            qv = lt_http_ae_qvalue(&value);
            if (qv == LT_ERROR) {
                return LT_ERROR;
            }
            *q = (unsigned) qv;
        }
    }
}


static void
lt_http_ae_record(lt_http_accept_encoding_t *ae, int enc, unsigned q)
{
    uint16_t  *slot;

    if (enc == LT_HTTP_ENC_OTHER) {
        return;
    }

    slot = (enc == LT_HTTP_ENC_STAR) ? &ae->star : &ae->q[enc];

    /* listed twice: the lower q counts (LT_HTTP_Q_UNSET is above any q) */
    if (q < *slot) {
        *slot = (uint16_t) q;
    }
}


void
lt_http_accept_encoding_init(lt_http_accept_encoding_t *ae)
{
    int  i;

    for (i = 0; i < LT_HTTP_ENC_N; i++) {
        ae->q[i] = LT_HTTP_Q_UNSET;
    }

    ae->star = LT_HTTP_Q_UNSET;
    ae->malformed = 0;
}


void
lt_http_parse_accept_encoding(const u_char *p, size_t len, lt_http_accept_encoding_t *ae)
{
    lt_http_ae_cursor_t  cur;
    lt_str_t             name;
    unsigned             q;
    int                  enc;

    if (p == NULL) {
        return;
    }

    cur.p = p;
    cur.last = p + len;

    while (cur.p < cur.last) {

        /* empty elements and the separators around them */
        if (*cur.p == ',' || *cur.p == ' ' || *cur.p == '\t') {
            cur.p++;
            continue;
        }

        name = lt_http_ae_token(&cur);

        if (name.len == 0) {
            ae->malformed = 1;
            lt_http_ae_skip_element(&cur);
            continue;
        }

        enc = lt_http_ae_coding(&name);
        q = LT_HTTP_Q_MAX;

        if (lt_http_ae_params(&cur, &q) != LT_OK) {
            /* never trust what we could not read: refuse what was named */
            ae->malformed = 1;
            lt_http_ae_record(ae, enc, 0);
            lt_http_ae_skip_element(&cur);
            continue;
        }

        lt_http_ae_record(ae, enc, q);
    }
}


unsigned
lt_http_accept_encoding_q(const lt_http_accept_encoding_t *ae, lt_http_encoding_e enc)
{
    if ((unsigned) enc >= LT_HTTP_ENC_N) {
        return 0;
    }

    if (ae->q[enc] != LT_HTTP_Q_UNSET) {
        return ae->q[enc];
    }

    if (ae->star != LT_HTTP_Q_UNSET) {
        return ae->star;
    }

    /* identity is acceptable unless refused (RFC 9110 12.5.3) */
    return enc == LT_HTTP_ENC_IDENTITY ? LT_HTTP_Q_MAX : 0;
}


/* the ranks of the codings: the server's order, then the default order for the
 * codings it does not name; returns how many were written to ranked */
static size_t
lt_http_ae_rank(const lt_http_encoding_order_t *order, lt_http_encoding_e *ranked)
{
    const lt_http_encoding_order_t  *o;
    size_t                           i, n, pass;
    unsigned                         seen, enc;

    seen = 0;
    n = 0;

    for (pass = 0; pass < 2; pass++) {
        o = (pass == 0) ? order : &lt_http_default_encoding_order;

        for (i = 0; i < sizeof(o->order); i++) {
            enc = o->order[i];

            if (enc == LT_HTTP_ENC_IDENTITY) {
                break;
            }

            if (enc >= LT_HTTP_ENC_N) {
                continue;
            }

            if (!(seen & LT_HTTP_ENC_BIT(enc))) {
                seen |= LT_HTTP_ENC_BIT(enc);
                ranked[n++] = (lt_http_encoding_e) enc;
            }
        }
    }

    return n;
}


lt_http_encoding_e
lt_http_choose_encoding(const lt_http_accept_encoding_t *ae, unsigned enabled,
    const lt_http_encoding_order_t *order)
{
    lt_http_encoding_e  ranked[LT_HTTP_ENC_N], best;
    unsigned            q, best_q, identity_q;
    size_t              i, n;

    n = lt_http_ae_rank(order ? order : &lt_http_default_encoding_order, ranked);

    best = LT_HTTP_ENC_IDENTITY;
    best_q = 0;

    /* a coding ranked later needs a strictly higher q */
    for (i = 0; i < n; i++) {
        if (!(enabled & LT_HTTP_ENC_BIT(ranked[i]))) {
            continue;
        }

        q = lt_http_accept_encoding_q(ae, ranked[i]);

        if (q > best_q) {
            best = ranked[i];
            best_q = q;
        }
    }

    if (best == LT_HTTP_ENC_IDENTITY) {
        return best;
    }

    /* identity wins only when the client says so explicitly, by a higher q */
    identity_q = ae->q[LT_HTTP_ENC_IDENTITY];
    if (identity_q == LT_HTTP_Q_UNSET) {
        identity_q = ae->star;
    }

    if (identity_q != LT_HTTP_Q_UNSET && identity_q > best_q) {
        return LT_HTTP_ENC_IDENTITY;
    }

    return best;
}


lt_http_encoding_e
lt_http_request_encoding(lt_http_request_t *r, unsigned enabled,
    const lt_http_encoding_order_t *order)
{
    lt_http_accept_encoding_t  ae;
    lt_table_elt_t            *h;

    h = r->headers_in.accept_encoding;

    if (h == NULL || enabled == 0) {
        return LT_HTTP_ENC_IDENTITY;
    }

    lt_http_accept_encoding_init(&ae);

    for ( /* void */ ; h; h = h->next) {
        if (h->hash) {
            lt_http_parse_accept_encoding(h->value.data, h->value.len, &ae);
        }
    }

    return lt_http_choose_encoding(&ae, enabled, order);
}


int
lt_http_encoding_by_name(const u_char *name, size_t len)
{
    int  i;

    if (len == 6 && lt_strncasecmp(name, (u_char *) "x-gzip", 6) == 0) {
        return LT_HTTP_ENC_GZIP;
    }

    for (i = 0; i < LT_HTTP_ENC_N; i++) {
        if (len == lt_http_encoding_names[i].len
            && lt_strncasecmp(name, lt_http_encoding_names[i].data, len) == 0)
        {
            return i;
        }
    }

    return LT_ERROR;
}


const lt_str_t *
lt_http_encoding_name(lt_http_encoding_e enc)
{
    if ((unsigned) enc >= LT_HTTP_ENC_N) {
        enc = LT_HTTP_ENC_IDENTITY;
    }

    return &lt_http_encoding_names[enc];
}


int
lt_http_header_has_token(const lt_str_t *value, const char *tok, size_t len)
{
    u_char  *p, *last, *found;

    p = value->data;
    last = value->data + value->len;

    while ((found = lt_strlcasestrn(p, last, (const u_char *) tok, len)) != NULL) {
        p = found + len;

        if ((found == value->data || found[-1] == ',' || found[-1] == ' '
             || found[-1] == '\t')
            && (p == last || *p == ',' || *p == ' ' || *p == '\t' || *p == '='))
        {
            return 1;
        }
    }

    return 0;
}


int
lt_http_compress_response_ok(lt_http_request_t *r)
{
    lt_table_elt_t  *h;

    if (r->headers_out.status != LT_HTTP_OK
        && r->headers_out.status != LT_HTTP_FORBIDDEN
        && r->headers_out.status != LT_HTTP_NOT_FOUND)
    {
        return LT_DECLINED;
    }

    if (r->header_only
        || (r->headers_out.content_encoding && r->headers_out.content_encoding->hash
            && r->headers_out.content_encoding->value.len))
    {
        return LT_DECLINED;
    }

    for (h = r->headers_out.cache_control; h; h = h->next) {
        if (h->hash && lt_http_header_has_token(&h->value, "no-transform", 12)) {
            return LT_DECLINED;
        }
    }

    return LT_OK;
}


int
lt_http_compress_set_headers(lt_http_request_t *r, lt_http_encoding_e enc)
{
    lt_table_elt_t  *h;

    h = lt_list_push(&r->headers_out.headers);
    if (h == NULL) {
        return LT_ERROR;
    }

    h->hash = 1;
    h->next = NULL;
    lt_str_set(&h->key, "Content-Encoding");
    h->value = *lt_http_encoding_name(enc);
    r->headers_out.content_encoding = h;

    lt_http_clear_content_length(r);
    lt_http_clear_accept_ranges(r);
    lt_http_weak_etag(r);

    return LT_OK;
}


int
lt_http_add_vary_accept_encoding(lt_http_request_t *r)
{
    lt_list_iter_t   it;
    lt_table_elt_t  *h;

    lt_list_iter_init(&it, &r->headers_out.headers);

    while ((h = lt_list_iter_next(&it)) != NULL) {
        if (h->hash && h->key.len == 4
            && lt_strncasecmp(h->key.data, (u_char *) "Vary", 4) == 0
            && lt_http_header_has_token(&h->value, "Accept-Encoding", 15))
        {
            return LT_OK;
        }
    }

    h = lt_list_push(&r->headers_out.headers);
    if (h == NULL) {
        return LT_ERROR;
    }

    h->hash = 1;
    h->next = NULL;
    lt_str_set(&h->key, "Vary");
    lt_str_set(&h->value, "Accept-Encoding");

    return LT_OK;
}
