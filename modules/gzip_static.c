/*
 * gzip_static.c: precompressed files (http_gzip_static): a request for FILE is
 * answered with FILE.gz, FILE.br or FILE.zst when the client accepts that coding
 * (gzip_static, brotli_static, zstd_static on|off|always).
 *
 * A content handler that runs before the static one. For each coding that is on, the
 * precompressed file is looked up through the open file cache (as the static handler
 * opens files); among the codings whose file exists, the client's Accept-Encoding and
 * compression_order choose one, and that file is sent with the original's
 * Content-Type, its own length, Last-Modified and ETag, and Content-Encoding. "always"
 * sends the file whatever the client says (for use with gunzip). When no coding is
 * chosen the handler declines and the static handler sends the original.
 * Vary: Accept-Encoding (with gzip_vary) is added whenever a coding that is "on" has
 * its file, whether or not this client gets it. Nothing here compresses: no library.
 */

#include "lt_http.h"
#include "lt_http_compress.h"

#define LT_HTTP_STATIC_OFF      0
#define LT_HTTP_STATIC_ON       1
#define LT_HTTP_STATIC_ALWAYS   2

/* the codings this module serves, in the order of lt_http_encoding_e */
typedef struct {
    unsigned     mode[LT_HTTP_ENC_N];   /* LT_HTTP_STATIC_*; [IDENTITY] unused */
} lt_http_gzip_static_conf_t;

typedef struct {
    lt_http_encoding_e   enc;
    const char          *directive;
    lt_str_t             ext;           /* appended to the file name */
} lt_http_gzip_static_coding_t;

static int lt_http_gzip_static_init(lt_conf_t *cf);
static void *lt_http_gzip_static_create_conf(lt_conf_t *cf);
static char *lt_http_gzip_static_merge_conf(lt_conf_t *cf, void *parent, void *child);

static const lt_http_gzip_static_coding_t  lt_http_gzip_static_codings[] = {
    { LT_HTTP_ENC_GZIP, "gzip_static", lt_string(".gz") },
    { LT_HTTP_ENC_BR, "brotli_static", lt_string(".br") },
    { LT_HTTP_ENC_ZSTD, "zstd_static", lt_string(".zst") },
};

static const lt_conf_enum_t  lt_http_gzip_static_modes[] = {
    { lt_string("off"), LT_HTTP_STATIC_OFF },
    { lt_string("on"), LT_HTTP_STATIC_ON },
    { lt_string("always"), LT_HTTP_STATIC_ALWAYS },
    lt_conf_enum_end
};

static lt_command_t  lt_http_gzip_static_commands[] = {

    { "gzip_static", LT_HTTP_ANY_CONF, 1, 1, lt_conf_set_enum_slot, LT_LOC_CONF,
      offsetof(lt_http_gzip_static_conf_t, mode[LT_HTTP_ENC_GZIP]),
      (void *) lt_http_gzip_static_modes },

    { "brotli_static", LT_HTTP_ANY_CONF, 1, 1, lt_conf_set_enum_slot, LT_LOC_CONF,
      offsetof(lt_http_gzip_static_conf_t, mode[LT_HTTP_ENC_BR]),
      (void *) lt_http_gzip_static_modes },

    { "zstd_static", LT_HTTP_ANY_CONF, 1, 1, lt_conf_set_enum_slot, LT_LOC_CONF,
      offsetof(lt_http_gzip_static_conf_t, mode[LT_HTTP_ENC_ZSTD]),
      (void *) lt_http_gzip_static_modes },

    lt_null_command
};

lt_module_t  lt_http_gzip_static_module = {
    .name = "http_gzip_static",
    .type = LT_HTTP_MODULE,
    .commands = lt_http_gzip_static_commands,
    .postconfiguration = lt_http_gzip_static_init,
    .create_loc_conf = lt_http_gzip_static_create_conf,
    .merge_loc_conf = lt_http_gzip_static_merge_conf,
};


/* lt_http_gzip_static_open: path (base + ext) through the open file cache into of;
 * LT_OK for a regular file, LT_DECLINED when there is none to send (missing, a
 * directory, or an error logged), LT_ERROR when out of memory */
static int
lt_http_gzip_static_open(lt_http_request_t *r, const lt_str_t *base, const lt_str_t *ext,
    lt_str_t *path, lt_open_file_info_t *of)
{
    unsigned                  level;
    lt_http_core_loc_conf_t  *clcf;

    path->len = base->len + ext->len;
    path->data = lt_pnalloc(r->pool, path->len + 1);
    if (path->data == NULL) {
        return LT_ERROR;
    }

    lt_memcpy(path->data, base->data, base->len);
    lt_memcpy(path->data + base->len, ext->data, ext->len);
    path->data[path->len] = '\0';

    clcf = lt_http_get_module_loc_conf(r, lt_http_core_module);

    lt_http_open_file_info(r, of, 0);

    if (lt_open_cached_file(clcf->open_file_cache, path, of, r->pool) != LT_OK) {

        switch (of->err) {

        case 0:
            return LT_ERROR;

        case ENOENT:
        case ENOTDIR:
        case ENAMETOOLONG:
            /* the usual case: no precompressed copy */
            return LT_DECLINED;

        case EACCES:
        case ELOOP:
            level = LT_LOG_ERR;
            break;

        default:
            level = LT_LOG_CRIT;
        }

        lt_log_error(level, r->connection->log, of->err, "%s \"%s\" failed", of->failed,
                     path->data);
        return LT_DECLINED;
    }

    if (S_ISDIR(of->st.st_mode)) {
        return LT_DECLINED;
    }

    if (!S_ISREG(of->st.st_mode)) {
        lt_log_error(LT_LOG_CRIT, r->connection->log, 0, "\"%s\" is not a regular file",
                     path->data);
        return LT_DECLINED;
    }

    return LT_OK;
}


/* lt_http_gzip_static_pick: among the codings of mask, the first of the server's
 * order (compression_order, then the default order for the rest) */
static lt_http_encoding_e
lt_http_gzip_static_pick(lt_http_request_t *r, unsigned mask)
{
    size_t                           i, n;
    const lt_http_encoding_order_t  *orders[2];

    orders[0] = lt_http_compress_order(r);
    orders[1] = &lt_http_default_encoding_order;

    for (n = 0; n < 2; n++) {
        for (i = 0; i < LT_HTTP_ENC_N - 1; i++) {
            if (orders[n]->order[i] == LT_HTTP_ENC_IDENTITY) {
                break;
            }

            if (mask & LT_HTTP_ENC_BIT(orders[n]->order[i])) {
                return (lt_http_encoding_e) orders[n]->order[i];
            }
        }
    }

    return LT_HTTP_ENC_IDENTITY;
}


/* lt_http_gzip_static_send: the precompressed file of as the response */
static int
lt_http_gzip_static_send(lt_http_request_t *r, lt_http_encoding_e enc, lt_str_t *path,
    lt_open_file_info_t *of)
{
    int              rc;
    lt_buf_t        *b;
    lt_file_t       *file;
    lt_chain_t       out;
    lt_table_elt_t  *h;

    r->root_tested = !r->error_page;

    rc = lt_http_discard_request_body(r);
    if (rc != LT_OK) {
        return rc;
    }

    r->connection->log->action = "sending response to client";

    r->headers_out.status = LT_HTTP_OK;
    r->headers_out.content_length_n = of->st.st_size;
    r->headers_out.last_modified_time = of->st.st_mtime;

    /* the type is the original's: r->exten is still the requested file's */
    if (lt_http_set_etag(r) != LT_OK || lt_http_set_content_type(r) != LT_OK) {
        return LT_HTTP_INTERNAL_SERVER_ERROR;
    }

    h = lt_list_push(&r->headers_out.headers);
    file = lt_pcalloc(r->pool, sizeof(lt_file_t));
    b = lt_calloc_buf(r->pool);

    if (h == NULL || file == NULL || b == NULL) {
        return LT_HTTP_INTERNAL_SERVER_ERROR;
    }

    h->hash = 1;
    h->next = NULL;
    lt_str_set(&h->key, "Content-Encoding");
    h->value = *lt_http_encoding_name(enc);
    r->headers_out.content_encoding = h;

    r->allow_ranges = 1;

    file->fd = of->fd;
    file->name = *path;
    file->log = r->connection->log;
    file->info = of->st;

    b->file = file;
    b->file_pos = 0;
    b->file_last = of->st.st_size;
    b->in_file = of->st.st_size ? 1 : 0;
    b->last_buf = (r == r->main) ? 1 : 0;
    b->last_in_chain = 1;
    b->sync = (b->last_buf || b->in_file) ? 0 : 1;

    rc = lt_http_send_header(r);

    if (rc == LT_ERROR || rc > LT_OK || r->header_only) {
        return rc;
    }

    out.buf = b;
    out.next = NULL;

    return lt_http_output_filter(r, &out);
}


static int
lt_http_gzip_static_handler(lt_http_request_t *r)
{
    int                          rc, ok;
    size_t                       i, root;
    u_char                      *last;
    unsigned                     mode, exists, on, always;
    lt_str_t                     base, paths[LT_HTTP_ENC_N];
    lt_http_encoding_e           enc;
    lt_open_file_info_t          ofs[LT_HTTP_ENC_N];
    lt_http_gzip_static_conf_t  *conf;

    if (!(r->method & (LT_HTTP_GET | LT_HTTP_HEAD))) {
        return LT_DECLINED;
    }

    if (r->uri.len == 0 || r->uri.data[r->uri.len - 1] == '/') {
        return LT_DECLINED;
    }

    conf = lt_http_get_module_loc_conf(r, lt_http_gzip_static_module);

    on = 0;
    always = 0;

    for (i = 0; i < lt_nelts(lt_http_gzip_static_codings); i++) {
        enc = lt_http_gzip_static_codings[i].enc;

        if (conf->mode[enc] == LT_HTTP_STATIC_ON) {
            on |= LT_HTTP_ENC_BIT(enc);

        } else if (conf->mode[enc] == LT_HTTP_STATIC_ALWAYS) {
            always |= LT_HTTP_ENC_BIT(enc);
        }
    }

    if ((on | always) == 0) {
        return LT_DECLINED;
    }

    /* the request-side checks (gzip_http_version, gzip_proxied, gzip_disable) only
     * matter to "on"; a file that is "on" is looked up even when they fail, for Vary */
    ok = on ? (lt_http_compress_ok(r) == LT_OK) : 0;

    last = lt_http_map_uri_to_path(r, &base, &root, 0);
    if (last == NULL) {
        return LT_HTTP_INTERNAL_SERVER_ERROR;
    }

    base.len = last - base.data;
    exists = 0;

    for (i = 0; i < lt_nelts(lt_http_gzip_static_codings); i++) {
        enc = lt_http_gzip_static_codings[i].enc;
        mode = conf->mode[enc];

        if (mode == LT_HTTP_STATIC_OFF) {
            continue;
        }

        rc = lt_http_gzip_static_open(r, &base, &lt_http_gzip_static_codings[i].ext,
                                      &paths[enc], &ofs[enc]);
        if (rc == LT_ERROR) {
            return LT_HTTP_INTERNAL_SERVER_ERROR;
        }

        if (rc == LT_OK) {
            exists |= LT_HTTP_ENC_BIT(enc);
        }
    }

    if ((exists & on) && lt_http_compress_vary(r) != LT_OK) {
        return LT_HTTP_INTERNAL_SERVER_ERROR;
    }

    enc = lt_http_request_encoding(r, exists & (always | (ok ? on : 0)),
                                   lt_http_compress_order(r));

    if (enc == LT_HTTP_ENC_IDENTITY) {
        /* "always": sent even to a client that takes none of them */
        enc = lt_http_gzip_static_pick(r, exists & always);

        if (enc == LT_HTTP_ENC_IDENTITY) {
            return LT_DECLINED;
        }
    }

    lt_log_debug(r->connection->log, "http static precompressed: \"%s\"", paths[enc].data);

    return lt_http_gzip_static_send(r, enc, &paths[enc], &ofs[enc]);
}


static int
lt_http_gzip_static_init(lt_conf_t *cf)
{
    /* registered after the static module: runs before it */
    return lt_http_add_phase_handler(cf, LT_HTTP_CONTENT_PHASE, lt_http_gzip_static_handler);
}


static void *
lt_http_gzip_static_create_conf(lt_conf_t *cf)
{
    size_t                       i;
    lt_http_gzip_static_conf_t  *conf;

    conf = lt_pcalloc(cf->pool, sizeof(lt_http_gzip_static_conf_t));
    if (conf == NULL) {
        return NULL;
    }

    for (i = 0; i < LT_HTTP_ENC_N; i++) {
        conf->mode[i] = LT_CONF_UNSET_UINT;
    }

    return conf;
}


static char *
lt_http_gzip_static_merge_conf(lt_conf_t *cf, void *parent, void *child)
{
    size_t                       i;
    lt_http_gzip_static_conf_t  *prev = parent;
    lt_http_gzip_static_conf_t  *conf = child;

    (void) cf;

    for (i = 0; i < LT_HTTP_ENC_N; i++) {
        lt_conf_merge_uint_value(conf->mode[i], prev->mode[i], LT_HTTP_STATIC_OFF);
    }

    return LT_CONF_OK;
}
