/*
 * headers.c: add_header, add_trailer and expires (http_headers).
 *
 * add_header and expires act on responses with the status 200, 201, 204, 206,
 * 301, 302, 303, 304, 307 or 308; "add_header ... always" on every response.
 * An empty value adds nothing. Some names are special, as in nginx:
 *   Cache-Control, Link   join the header's list (r->headers_out.cache_control,
 *                         .link) instead of being separate stray lines;
 *   ETag                  replaces the response's ETag ("" removes it);
 *   Last-Modified         replaces it and the time the later filters compare
 *                         (If-Range), "" removes both.
 * Every other name is added as written, beside what is already there.
 *
 * add_trailer sets r->expect_trailers in the header filter (the chunked filter
 * then sends the body chunked to HTTP/1.1 clients) and appends its fields to
 * r->headers_out.trailers when the last buffer of the body passes.
 *
 * Inheritance of the lists: a level with add_header (add_trailer) directives
 * replaces the list of the level above; "add_header_inherit off" keeps the
 * level's own list only, "merge" puts the level's entries first and the inherited
 * ones after them. expires is a single value inherited as usual.
 *
 * When a later header filter turns the response into an error page (a 416 from
 * the range filter), this filter runs again: the fields it added the first time
 * are taken back, so the error page gets only what applies to its own status.
 */

#include "lt_http.h"

#define LT_HTTP_EXPIRES_OFF       0
#define LT_HTTP_EXPIRES_EPOCH     1
#define LT_HTTP_EXPIRES_MAX       2
#define LT_HTTP_EXPIRES_ACCESS    3
#define LT_HTTP_EXPIRES_MODIFIED  4
#define LT_HTTP_EXPIRES_DAILY     5

#define LT_HTTP_HEADERS_INHERIT_OFF    0
#define LT_HTTP_HEADERS_INHERIT_ON     1
#define LT_HTTP_HEADERS_INHERIT_MERGE  2

#define LT_HTTP_EXPIRES_MAX_TIME   "Thu, 31 Dec 2037 23:55:55 GMT"
#define LT_HTTP_EXPIRES_EPOCH_TIME "Thu, 01 Jan 1970 00:00:01 GMT"

typedef struct lt_http_header_val_s  lt_http_header_val_t;

typedef struct {
    lt_array_t               added;     /* lt_http_headers_added_t */
} lt_http_headers_ctx_t;

typedef int (*lt_http_header_set_pt)(lt_http_request_t *r, lt_http_headers_ctx_t **ctxp,
    lt_http_header_val_t *hv, lt_str_t *value);

struct lt_http_header_val_s {
    lt_str_t                  key;
    u_char                   *lowcase_key;
    lt_http_complex_value_t   value;
    lt_http_header_set_pt     handler;
    size_t                    offset;   /* of the lt_table_elt_t * in headers_out */
    unsigned                  always:1;
};

/* a field this filter pushed, as it was, to take it back on a second run */
typedef struct {
    lt_table_elt_t           *h;
    u_char                   *key;
    u_char                   *value;
} lt_http_headers_added_t;

typedef struct {
    unsigned                  expires;
    time_t                    expires_time;
    lt_http_complex_value_t  *expires_value;   /* expires with variables */

    lt_array_t               *headers;         /* lt_http_header_val_t, NULL: none */
    lt_array_t               *trailers;
    unsigned                  headers_inherit;
    unsigned                  trailers_inherit;
} lt_http_headers_conf_t;

static int lt_http_headers_add(lt_http_request_t *r, lt_http_headers_ctx_t **ctxp,
    lt_http_header_val_t *hv, lt_str_t *value);
static int lt_http_headers_add_multi(lt_http_request_t *r, lt_http_headers_ctx_t **ctxp,
    lt_http_header_val_t *hv, lt_str_t *value);
static int lt_http_headers_set_single(lt_http_request_t *r, lt_http_headers_ctx_t **ctxp,
    lt_http_header_val_t *hv, lt_str_t *value);
static int lt_http_headers_set_last_modified(lt_http_request_t *r,
    lt_http_headers_ctx_t **ctxp, lt_http_header_val_t *hv, lt_str_t *value);

static char *lt_http_headers_expires(lt_conf_t *cf, lt_command_t *cmd, void *conf);
static char *lt_http_headers_add_directive(lt_conf_t *cf, lt_command_t *cmd, void *conf);
static void *lt_http_headers_create_conf(lt_conf_t *cf);
static char *lt_http_headers_merge_conf(lt_conf_t *cf, void *parent, void *child);
static int lt_http_headers_init(lt_conf_t *cf);

#define lt_http_hout(field)  offsetof(lt_http_headers_out_t, field)

/* the names with their own handling */
static const struct {
    lt_str_t                  name;
    lt_http_header_set_pt     handler;
    size_t                    offset;
} lt_http_headers_special[] = {
    { lt_string("Cache-Control"), lt_http_headers_add_multi, lt_http_hout(cache_control) },
    { lt_string("Link"), lt_http_headers_add_multi, lt_http_hout(link) },
    { lt_string("Last-Modified"), lt_http_headers_set_last_modified,
      lt_http_hout(last_modified) },
    { lt_string("ETag"), lt_http_headers_set_single, lt_http_hout(etag) },
    { lt_null_string, NULL, 0 }
};

static const char  lt_http_headers_invalid[] = "invalid value";

static const lt_conf_enum_t  lt_http_headers_inherit[] = {
    { lt_string("off"), LT_HTTP_HEADERS_INHERIT_OFF },
    { lt_string("on"), LT_HTTP_HEADERS_INHERIT_ON },
    { lt_string("merge"), LT_HTTP_HEADERS_INHERIT_MERGE },
    lt_conf_enum_end
};

#define LT_HTTP_HEADERS_CONF  (LT_HTTP_ANY_CONF | LT_CTX_LIF)

static lt_command_t  lt_http_headers_commands[] = {

    /* a list: a level with its own add_header replaces the inherited list */
    { "add_header", LT_HTTP_HEADERS_CONF | LT_CONF_MULTI, 2, 3,
      lt_http_headers_add_directive, LT_LOC_CONF,
      offsetof(lt_http_headers_conf_t, headers), NULL },

    { "add_header_inherit", LT_HTTP_HEADERS_CONF, 1, 1, lt_conf_set_enum_slot, LT_LOC_CONF,
      offsetof(lt_http_headers_conf_t, headers_inherit), lt_http_headers_inherit },

    /* a list, replaced like add_header's */
    { "add_trailer", LT_HTTP_HEADERS_CONF | LT_CONF_MULTI, 2, 3,
      lt_http_headers_add_directive, LT_LOC_CONF,
      offsetof(lt_http_headers_conf_t, trailers), NULL },

    { "add_trailer_inherit", LT_HTTP_HEADERS_CONF, 1, 1, lt_conf_set_enum_slot, LT_LOC_CONF,
      offsetof(lt_http_headers_conf_t, trailers_inherit), lt_http_headers_inherit },

    { "expires", LT_HTTP_HEADERS_CONF, 1, 2, lt_http_headers_expires, LT_LOC_CONF, 0,
      NULL },

    lt_null_command
};

lt_module_t  lt_http_headers_module = {
    .name = "http_headers",
    .type = LT_HTTP_MODULE,
    .commands = lt_http_headers_commands,
    .postconfiguration = lt_http_headers_init,
    .create_loc_conf = lt_http_headers_create_conf,
    .merge_loc_conf = lt_http_headers_merge_conf,
};


/* the statuses add_header and expires apply to without "always" */
static int
lt_http_headers_safe_status(unsigned status)
{
    switch (status) {
    case LT_HTTP_OK:
    case LT_HTTP_CREATED:
    case LT_HTTP_NO_CONTENT:
    case LT_HTTP_PARTIAL_CONTENT:
    case LT_HTTP_MOVED_PERMANENTLY:
    case LT_HTTP_MOVED_TEMPORARILY:
    case LT_HTTP_SEE_OTHER:
    case LT_HTTP_NOT_MODIFIED:
    case LT_HTTP_TEMPORARY_REDIRECT:
    case LT_HTTP_PERMANENT_REDIRECT:
        return 1;
    default:
        return 0;
    }
}


/* lt_http_headers_push: a new response field, remembered in the request's ctx */
static lt_table_elt_t *
lt_http_headers_push(lt_http_request_t *r, lt_http_headers_ctx_t **ctxp, lt_str_t *key,
    u_char *lowcase_key, lt_str_t *value)
{
    lt_table_elt_t           *h;
    lt_http_headers_ctx_t    *ctx;
    lt_http_headers_added_t  *a;

    ctx = *ctxp;

    if (ctx == NULL) {
        ctx = lt_palloc(r->pool, sizeof(lt_http_headers_ctx_t));
        if (ctx == NULL
            || lt_array_init(&ctx->added, r->pool, 4, sizeof(lt_http_headers_added_t))
               != LT_OK)
        {
            return NULL;
        }

        lt_http_set_ctx(r, ctx, lt_http_headers_module);
        *ctxp = ctx;
    }

    h = lt_list_push(&r->headers_out.headers);
    a = lt_array_push(&ctx->added);

    if (h == NULL || a == NULL) {
        return NULL;
    }

    h->hash = 1;
    h->key = *key;
    h->lowcase_key = lowcase_key;
    h->value = *value;
    h->next = NULL;

    a->h = h;
    a->key = key->data;
    a->value = value->data;

    return h;
}


/* lt_http_headers_added_values: the values the added fields ended up with (expires
 * fills its fields after adding them) */
static void
lt_http_headers_added_values(lt_http_headers_ctx_t *ctx)
{
    size_t                    i;
    lt_http_headers_added_t  *a;

    a = ctx->added.elts;

    for (i = 0; i < ctx->added.nelts; i++) {
        a[i].value = a[i].h->value.data;
    }
}


/* lt_http_headers_unlink: drops deleted fields from a list of one name */
static void
lt_http_headers_unlink(lt_table_elt_t **hp)
{
    while (*hp) {
        if ((*hp)->hash == 0) {
            *hp = (*hp)->next;
        } else {
            hp = &(*hp)->next;
        }
    }
}


/* lt_http_headers_undo: a second run for the same response (an error page took
 * its place): takes back the fields the first run added. A field is only
 * touched when it still is the one added (lt_http_clean_header may have reset
 * the list, and the slot may hold someone else's field by now). */
static void
lt_http_headers_undo(lt_http_request_t *r, lt_http_headers_ctx_t *ctx)
{
    size_t                    i;
    lt_http_headers_added_t  *a;

    a = ctx->added.elts;

    for (i = 0; i < ctx->added.nelts; i++) {
        if (a[i].h->hash && a[i].h->key.data == a[i].key && a[i].h->value.data == a[i].value) {
            a[i].h->hash = 0;
        }
    }

    ctx->added.nelts = 0;

    if (r->headers_out.expires && r->headers_out.expires->hash == 0) {
        r->headers_out.expires = NULL;
    }

    if (r->headers_out.etag && r->headers_out.etag->hash == 0) {
        r->headers_out.etag = NULL;
    }

    if (r->headers_out.last_modified && r->headers_out.last_modified->hash == 0) {
        r->headers_out.last_modified = NULL;
    }

    lt_http_headers_unlink(&r->headers_out.cache_control);
    lt_http_headers_unlink(&r->headers_out.link);
}


static int
lt_http_headers_add(lt_http_request_t *r, lt_http_headers_ctx_t **ctxp,
    lt_http_header_val_t *hv, lt_str_t *value)
{
    if (value->len == 0) {
        return LT_OK;
    }

    return lt_http_headers_push(r, ctxp, &hv->key, hv->lowcase_key, value) ? LT_OK : LT_ERROR;
}


/* Cache-Control, Link: one more field of the list */
static int
lt_http_headers_add_multi(lt_http_request_t *r, lt_http_headers_ctx_t **ctxp,
    lt_http_header_val_t *hv, lt_str_t *value)
{
    lt_table_elt_t  *h, **hp;

    if (value->len == 0) {
        return LT_OK;
    }

    h = lt_http_headers_push(r, ctxp, &hv->key, hv->lowcase_key, value);
    if (h == NULL) {
        return LT_ERROR;
    }

    for (hp = (lt_table_elt_t **) ((char *) &r->headers_out + hv->offset); *hp;
         hp = &(*hp)->next)
    { /* void */ }

    *hp = h;

    return LT_OK;
}


/* ETag: replaces the response's field; "" removes it */
static int
lt_http_headers_set_single(lt_http_request_t *r, lt_http_headers_ctx_t **ctxp,
    lt_http_header_val_t *hv, lt_str_t *value)
{
    lt_table_elt_t  *h, **hp;

    hp = (lt_table_elt_t **) ((char *) &r->headers_out + hv->offset);

    if (value->len == 0) {
        if (*hp) {
            (*hp)->hash = 0;
            *hp = NULL;
        }

        return LT_OK;
    }

    if (*hp) {
        /* in place: the field keeps its position */
        h = *hp;
        h->hash = 1;
        h->key = hv->key;
        h->lowcase_key = hv->lowcase_key;
        h->value = *value;
        h->next = NULL;
        return LT_OK;
    }

    h = lt_http_headers_push(r, ctxp, &hv->key, hv->lowcase_key, value);
    if (h == NULL) {
        return LT_ERROR;
    }

    *hp = h;

    return LT_OK;
}


/* Last-Modified: the field and the time the later filters compare */
static int
lt_http_headers_set_last_modified(lt_http_request_t *r, lt_http_headers_ctx_t **ctxp,
    lt_http_header_val_t *hv, lt_str_t *value)
{
    if (lt_http_headers_set_single(r, ctxp, hv, value) != LT_OK) {
        return LT_ERROR;
    }

    r->headers_out.last_modified_time = value->len
                                        ? lt_parse_http_time(value->data, value->len) : -1;

    return LT_OK;
}


/* lt_http_headers_parse_expires: an expires value into *type and *seconds. *type
 * comes in as ACCESS or MODIFIED (the "modified" parameter). NULL, or what is
 * wrong with the value. */
static const char *
lt_http_headers_parse_expires(lt_str_t *value, unsigned *type, time_t *seconds)
{
    int       minus;
    int64_t   n;
    lt_str_t  v;

    v = *value;

    if (*type != LT_HTTP_EXPIRES_MODIFIED) {
        if (lt_str_eq(&v, "epoch")) {
            *type = LT_HTTP_EXPIRES_EPOCH;
            return NULL;
        }

        if (lt_str_eq(&v, "max")) {
            *type = LT_HTTP_EXPIRES_MAX;
            return NULL;
        }

        if (lt_str_eq(&v, "off")) {
            *type = LT_HTTP_EXPIRES_OFF;
            return NULL;
        }
    }

    minus = 0;

    if (v.len && v.data[0] == '@') {
        if (*type == LT_HTTP_EXPIRES_MODIFIED) {
            return "daily time cannot be used with \"modified\" parameter";
        }

        *type = LT_HTTP_EXPIRES_DAILY;
        v.data++;
        v.len--;

    } else if (v.len && (v.data[0] == '+' || v.data[0] == '-')) {
        minus = (v.data[0] == '-');
        v.data++;
        v.len--;
    }

    n = (v.len == 0) ? LT_ERROR : lt_parse_time(&v, 1);

    if (n == LT_ERROR) {
        return lt_http_headers_invalid;
    }

    if (*type == LT_HTTP_EXPIRES_DAILY && n > 24 * 60 * 60) {
        return "daily time value must be less than 24 hours";
    }

    *seconds = minus ? -(time_t) n : (time_t) n;

    return NULL;
}


/* lt_http_headers_next_daily: the next moment the local clock shows the time of
 * day `when` (seconds after midnight), or -1 */
static time_t
lt_http_headers_next_daily(time_t now, time_t when)
{
    time_t     next;
    struct tm  tm;

    if (localtime_r(&now, &tm) == NULL) {
        return -1;
    }

    tm.tm_hour = (int) (when / 3600);
    tm.tm_min = (int) (when / 60 % 60);
    tm.tm_sec = (int) (when % 60);
    tm.tm_isdst = -1;

    next = mktime(&tm);

    if (next == -1 || next > now) {
        return next;
    }

    tm.tm_mday++;
    tm.tm_hour = (int) (when / 3600);
    tm.tm_min = (int) (when / 60 % 60);
    tm.tm_sec = (int) (when % 60);
    tm.tm_isdst = -1;

    return mktime(&tm);
}


/* lt_http_headers_expires_fields: the Expires field and the first Cache-Control
 * field to rewrite (found or added; further Cache-Control fields are dropped) */
static int
lt_http_headers_expires_fields(lt_http_request_t *r, lt_http_headers_ctx_t **ctxp,
    lt_table_elt_t **expires, lt_table_elt_t **cc)
{
    lt_str_t         name, empty;
    lt_table_elt_t  *h;

    lt_str_null(&empty);

    if (r->headers_out.expires == NULL) {
        lt_str_set(&name, "Expires");

        r->headers_out.expires = lt_http_headers_push(r, ctxp, &name, (u_char *) "expires",
                                                      &empty);
        if (r->headers_out.expires == NULL) {
            return LT_ERROR;
        }
    }

    if (r->headers_out.cache_control == NULL) {
        lt_str_set(&name, "Cache-Control");

        r->headers_out.cache_control = lt_http_headers_push(r, ctxp, &name,
                                                            (u_char *) "cache-control", &empty);
        if (r->headers_out.cache_control == NULL) {
            return LT_ERROR;
        }

    } else {
        for (h = r->headers_out.cache_control->next; h; h = h->next) {
            h->hash = 0;
        }

        r->headers_out.cache_control->next = NULL;
    }

    *expires = r->headers_out.expires;
    *cc = r->headers_out.cache_control;

    return LT_OK;
}


static int
lt_http_headers_set_expires(lt_http_request_t *r, lt_http_headers_conf_t *conf,
    lt_http_headers_ctx_t **ctxp)
{
    u_char          *p;
    time_t           now, when, requested, max_age;
    unsigned         type;
    lt_str_t         value;
    lt_table_elt_t  *expires, *cc;

    type = conf->expires;
    when = conf->expires_time;

    if (conf->expires_value) {
        if (lt_http_complex_value(r, conf->expires_value, &value) != LT_OK) {
            return LT_ERROR;
        }

        /* a value that is not valid (empty, "bad") sets no expiry, quietly */
        if (lt_http_headers_parse_expires(&value, &type, &when) != NULL
            || type == LT_HTTP_EXPIRES_OFF)
        {
            return LT_OK;
        }
    }

    if (lt_http_headers_expires_fields(r, ctxp, &expires, &cc) != LT_OK) {
        return LT_ERROR;
    }

    expires->hash = 1;
    cc->hash = 1;

    if (type == LT_HTTP_EXPIRES_EPOCH) {
        lt_str_set(&expires->value, LT_HTTP_EXPIRES_EPOCH_TIME);
        lt_str_set(&cc->value, "no-cache");
        return LT_OK;
    }

    if (type == LT_HTTP_EXPIRES_MAX) {
        lt_str_set(&expires->value, LT_HTTP_EXPIRES_MAX_TIME);
        lt_str_set(&cc->value, "max-age=315360000");   /* ten years */
        return LT_OK;
    }

    p = lt_pnalloc(r->pool, LT_HTTP_TIME_LEN + sizeof("max-age=") + LT_INT64_LEN);
    if (p == NULL) {
        return LT_ERROR;
    }

    expires->value.data = p;
    expires->value.len = LT_HTTP_TIME_LEN;
    cc->value.data = p + LT_HTTP_TIME_LEN;

    if (when == 0 && type != LT_HTTP_EXPIRES_DAILY) {
        memcpy(p, lt_cached_http_time.data, LT_HTTP_TIME_LEN);
        lt_str_set(&cc->value, "max-age=0");
        return LT_OK;
    }

    now = lt_time();
    requested = when;

    if (type == LT_HTTP_EXPIRES_DAILY) {
        when = lt_http_headers_next_daily(now, when);
        max_age = when - now;

    } else if (type == LT_HTTP_EXPIRES_ACCESS || r->headers_out.last_modified_time == -1) {
        max_age = when;
        when += now;

    } else {
        when += r->headers_out.last_modified_time;
        max_age = when - now;
    }

    lt_http_time(p, when);

    if (requested < 0 || max_age < 0) {
        lt_str_set(&cc->value, "no-cache");
        return LT_OK;
    }

    cc->value.len = (size_t) (lt_slprintf(cc->value.data, cc->value.data + sizeof("max-age=")
                                          + LT_INT64_LEN, "max-age=%lld",
                                          (long long) max_age)
                              - cc->value.data);

    return LT_OK;
}


static int
lt_http_headers_header_filter(lt_http_request_t *r)
{
    int                      safe;
    size_t                   i;
    lt_str_t                 value;
    lt_http_header_val_t    *hv;
    lt_http_headers_ctx_t   *ctx;
    lt_http_headers_conf_t  *conf;

    ctx = lt_http_get_module_ctx(r, lt_http_headers_module);

    if (ctx) {
        lt_http_headers_undo(r, ctx);
    }

    conf = lt_http_get_module_loc_conf(r, lt_http_headers_module);

    if (r != r->main
        || (conf->expires == LT_HTTP_EXPIRES_OFF && conf->headers == NULL
            && conf->trailers == NULL))
    {
        return lt_http_next_header_filter(LT_HTTP_FILTER_HEADERS, r);
    }

    safe = lt_http_headers_safe_status(r->headers_out.status);

    if (conf->expires != LT_HTTP_EXPIRES_OFF && safe) {
        if (lt_http_headers_set_expires(r, conf, &ctx) != LT_OK) {
            return LT_ERROR;
        }
    }

    if (conf->headers) {
        hv = conf->headers->elts;

        for (i = 0; i < conf->headers->nelts; i++) {
            if (!safe && !hv[i].always) {
                continue;
            }

            if (lt_http_complex_value(r, &hv[i].value, &value) != LT_OK
                || hv[i].handler(r, &ctx, &hv[i], &value) != LT_OK)
            {
                return LT_ERROR;
            }
        }
    }

    if (conf->trailers) {
        hv = conf->trailers->elts;

        for (i = 0; i < conf->trailers->nelts; i++) {
            if (safe || hv[i].always) {
                r->expect_trailers = 1;
                break;
            }
        }
    }

    if (ctx) {
        lt_http_headers_added_values(ctx);
    }

    return lt_http_next_header_filter(LT_HTTP_FILTER_HEADERS, r);
}


static int
lt_http_headers_trailer_filter(lt_http_request_t *r, lt_chain_t *in)
{
    int                      safe;
    size_t                   i;
    lt_str_t                 value;
    lt_chain_t              *cl;
    lt_table_elt_t          *h;
    lt_http_header_val_t    *hv;
    lt_http_headers_conf_t  *conf;

    conf = lt_http_get_module_loc_conf(r, lt_http_headers_module);

    if (in == NULL || conf->trailers == NULL || r != r->main) {
        return lt_http_next_body_filter(LT_HTTP_FILTER_HEADERS, r, in);
    }

    for (cl = in; cl; cl = cl->next) {
        if (cl->buf->last_buf) {
            break;
        }
    }

    if (cl == NULL) {
        return lt_http_next_body_filter(LT_HTTP_FILTER_HEADERS, r, in);
    }

    safe = lt_http_headers_safe_status(r->headers_out.status);

    hv = conf->trailers->elts;

    for (i = 0; i < conf->trailers->nelts; i++) {
        if (!safe && !hv[i].always) {
            continue;
        }

        if (lt_http_complex_value(r, &hv[i].value, &value) != LT_OK) {
            return LT_ERROR;
        }

        if (value.len == 0) {
            continue;
        }

        h = lt_list_push(&r->headers_out.trailers);
        if (h == NULL) {
            return LT_ERROR;
        }

        h->hash = 1;
        h->key = hv[i].key;
        h->lowcase_key = hv[i].lowcase_key;
        h->value = value;
        h->next = NULL;
    }

    return lt_http_next_body_filter(LT_HTTP_FILTER_HEADERS, r, in);
}


/* add_header NAME VALUE [always]; add_trailer NAME VALUE [always] */
static char *
lt_http_headers_add_directive(lt_conf_t *cf, lt_command_t *cmd, void *conf)
{
    size_t                            i;
    lt_str_t                         *value;
    lt_array_t                      **list;
    lt_http_header_val_t             *hv;
    lt_http_compile_complex_value_t   ccv;

    value = cf->args->elts;
    list = (lt_array_t **) ((char *) conf + cmd->offset);

    if (*list == NULL) {
        *list = lt_array_create(cf->pool, 4, sizeof(lt_http_header_val_t));
        if (*list == NULL) {
            return LT_CONF_ERROR;
        }
    }

    hv = lt_array_push(*list);
    if (hv == NULL) {
        return LT_CONF_ERROR;
    }

    lt_memzero(hv, sizeof(lt_http_header_val_t));

    hv->key = value[1];
    hv->handler = lt_http_headers_add;

    hv->lowcase_key = lt_pnalloc(cf->pool, value[1].len + 1);
    if (hv->lowcase_key == NULL) {
        return LT_CONF_ERROR;
    }

    lt_strlow(hv->lowcase_key, value[1].data, value[1].len);
    hv->lowcase_key[value[1].len] = '\0';

    /* trailers are added as written: the special names are for the header */
    if (cmd->offset == offsetof(lt_http_headers_conf_t, headers)) {
        for (i = 0; lt_http_headers_special[i].name.len; i++) {
            if (value[1].len == lt_http_headers_special[i].name.len
                && lt_strncasecmp(value[1].data, lt_http_headers_special[i].name.data,
                                  value[1].len) == 0)
            {
                hv->handler = lt_http_headers_special[i].handler;
                hv->offset = lt_http_headers_special[i].offset;
                break;
            }
        }
    }

    lt_memzero(&ccv, sizeof(lt_http_compile_complex_value_t));
    ccv.cf = cf;
    ccv.value = &value[2];
    ccv.complex_value = &hv->value;

    if (lt_http_compile_complex_value(&ccv) != LT_OK) {
        return LT_CONF_ERROR;
    }

    if (cf->args->nelts == 4) {
        if (!lt_str_eq(&value[3], "always")) {
            lt_conf_log_error(LT_LOG_EMERG, cf, 0, "invalid parameter \"%.*s\" in \"%s\" directive",
                              (int) value[3].len, value[3].data, cmd->name);
            return LT_CONF_ERROR;
        }

        hv->always = 1;
    }

    return LT_CONF_OK;
}


/* expires [modified] TIME | epoch | max | off | @TIME-OF-DAY, variables allowed */
static char *
lt_http_headers_expires(lt_conf_t *cf, lt_command_t *cmd, void *conf)
{
    lt_http_headers_conf_t  *hcf = conf;

    unsigned                          type;
    time_t                            seconds;
    lt_str_t                         *value, arg;
    const char                       *err;
    lt_http_compile_complex_value_t   ccv;

    (void) cmd;

    if (hcf->expires != LT_CONF_UNSET_UINT) {
        return "is duplicate";
    }

    value = cf->args->elts;

    if (cf->args->nelts == 3) {
        if (!lt_str_eq(&value[1], "modified")) {
            lt_conf_log_error(LT_LOG_EMERG, cf, 0,
                              "invalid value \"%.*s\" in \"expires\" directive",
                              (int) value[1].len, value[1].data);
            return LT_CONF_ERROR;
        }

        type = LT_HTTP_EXPIRES_MODIFIED;
        arg = value[2];

    } else {
        type = LT_HTTP_EXPIRES_ACCESS;
        arg = value[1];
    }

    if (lt_http_script_variables_count(&arg)) {
        hcf->expires_value = lt_pcalloc(cf->pool, sizeof(lt_http_complex_value_t));
        if (hcf->expires_value == NULL) {
            return LT_CONF_ERROR;
        }

        lt_memzero(&ccv, sizeof(lt_http_compile_complex_value_t));
        ccv.cf = cf;
        ccv.value = &arg;
        ccv.complex_value = hcf->expires_value;

        if (lt_http_compile_complex_value(&ccv) != LT_OK) {
            return LT_CONF_ERROR;
        }

        hcf->expires = type;
        hcf->expires_time = 0;

        return LT_CONF_OK;
    }

    seconds = 0;
    err = lt_http_headers_parse_expires(&arg, &type, &seconds);

    if (err == lt_http_headers_invalid) {
        lt_conf_log_error(LT_LOG_EMERG, cf, 0, "invalid value \"%.*s\" in \"expires\" directive",
                          (int) arg.len, arg.data);
        return LT_CONF_ERROR;
    }

    if (err) {
        return (char *) err;
    }

    hcf->expires = type;
    hcf->expires_time = seconds;

    return LT_CONF_OK;
}


static void *
lt_http_headers_create_conf(lt_conf_t *cf)
{
    lt_http_headers_conf_t  *conf;

    conf = lt_pcalloc(cf->pool, sizeof(lt_http_headers_conf_t));
    if (conf == NULL) {
        return NULL;
    }

    /* headers, trailers, expires_value: NULL */
    conf->expires = LT_CONF_UNSET_UINT;
    conf->expires_time = 0;
    conf->headers_inherit = LT_CONF_UNSET_UINT;
    conf->trailers_inherit = LT_CONF_UNSET_UINT;

    return conf;
}


/* lt_http_headers_merge_list: a level's list from its own and the inherited one */
static int
lt_http_headers_merge_list(lt_conf_t *cf, lt_array_t **list, lt_array_t *prev,
    unsigned inherit)
{
    lt_array_t  *merged;
    void        *p;

    if (prev == NULL || inherit == LT_HTTP_HEADERS_INHERIT_OFF) {
        return LT_OK;
    }

    if (*list == NULL) {
        *list = prev;
        return LT_OK;
    }

    if (inherit != LT_HTTP_HEADERS_INHERIT_MERGE) {
        return LT_OK;
    }

    /* a new array: the parent's stays what it is for its other children */
    merged = lt_array_create(cf->pool, (*list)->nelts + prev->nelts,
                             sizeof(lt_http_header_val_t));
    if (merged == NULL) {
        return LT_ERROR;
    }

    p = lt_array_push_n(merged, (*list)->nelts + prev->nelts);
    if (p == NULL) {
        return LT_ERROR;
    }

    memcpy(p, (*list)->elts, (*list)->nelts * sizeof(lt_http_header_val_t));
    memcpy((u_char *) p + (*list)->nelts * sizeof(lt_http_header_val_t), prev->elts,
           prev->nelts * sizeof(lt_http_header_val_t));

    *list = merged;

    return LT_OK;
}


static char *
lt_http_headers_merge_conf(lt_conf_t *cf, void *parent, void *child)
{
    lt_http_headers_conf_t  *prev = parent;
    lt_http_headers_conf_t  *conf = child;

    if (conf->expires == LT_CONF_UNSET_UINT) {
        conf->expires = prev->expires;
        conf->expires_time = prev->expires_time;
        conf->expires_value = prev->expires_value;

        if (conf->expires == LT_CONF_UNSET_UINT) {
            conf->expires = LT_HTTP_EXPIRES_OFF;
        }
    }

    lt_conf_merge_uint_value(conf->headers_inherit, prev->headers_inherit,
                             LT_HTTP_HEADERS_INHERIT_ON);
    lt_conf_merge_uint_value(conf->trailers_inherit, prev->trailers_inherit,
                             LT_HTTP_HEADERS_INHERIT_ON);

    if (lt_http_headers_merge_list(cf, &conf->headers, prev->headers, conf->headers_inherit)
        != LT_OK
        || lt_http_headers_merge_list(cf, &conf->trailers, prev->trailers,
                                      conf->trailers_inherit) != LT_OK)
    {
        return LT_CONF_ERROR;
    }

    return LT_CONF_OK;
}


static int
lt_http_headers_init(lt_conf_t *cf)
{
    (void) cf;

    lt_http_register_filter(LT_HTTP_FILTER_HEADERS, lt_http_headers_header_filter,
                            lt_http_headers_trailer_filter);

    return LT_OK;
}
