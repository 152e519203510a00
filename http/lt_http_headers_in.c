/*
 * lt_http_headers_in.c: the request headers lintel knows by name. A parsed
 * header is looked up once, by the hash the parser computed, and its handler
 * files it into r->headers_in (and refuses duplicates where they would be
 * ambiguous: Content-Length, Transfer-Encoding, If-* ...).
 */

#include "lt_http.h"

typedef int (*lt_http_header_handler_pt)(lt_http_request_t *r, lt_table_elt_t *h,
    size_t offset);

typedef struct {
    lt_str_t                    name;
    size_t                      offset;
    lt_http_header_handler_pt   handler;
} lt_http_header_t;

int lt_http_host_header(lt_http_request_t *r, lt_table_elt_t *h);
lt_hash_key_t *lt_http_headers_in_keys(lt_pool_t *pool, size_t *n);
int lt_http_process_header_line(lt_http_request_t *r, lt_table_elt_t *h);

static int lt_http_header_line(lt_http_request_t *r, lt_table_elt_t *h, size_t offset);
static int lt_http_unique_header_line(lt_http_request_t *r, lt_table_elt_t *h,
    size_t offset);
static int lt_http_host(lt_http_request_t *r, lt_table_elt_t *h, size_t offset);
static int lt_http_connection(lt_http_request_t *r, lt_table_elt_t *h, size_t offset);
static int lt_http_user_agent(lt_http_request_t *r, lt_table_elt_t *h, size_t offset);

#define lt_http_hin(field)  offsetof(lt_http_headers_in_t, field)

static lt_http_header_t  lt_http_headers_in[] = {
    { lt_string("Host"), lt_http_hin(host), lt_http_host },
    { lt_string("Connection"), lt_http_hin(connection), lt_http_connection },
    { lt_string("If-Modified-Since"), lt_http_hin(if_modified_since),
      lt_http_unique_header_line },
    { lt_string("If-Unmodified-Since"), lt_http_hin(if_unmodified_since),
      lt_http_unique_header_line },
    { lt_string("If-Match"), lt_http_hin(if_match), lt_http_unique_header_line },
    { lt_string("If-None-Match"), lt_http_hin(if_none_match), lt_http_unique_header_line },
    { lt_string("User-Agent"), lt_http_hin(user_agent), lt_http_user_agent },
    { lt_string("Referer"), lt_http_hin(referer), lt_http_header_line },
    { lt_string("Content-Length"), lt_http_hin(content_length), lt_http_unique_header_line },
    { lt_string("Content-Range"), lt_http_hin(content_range), lt_http_unique_header_line },
    { lt_string("Content-Type"), lt_http_hin(content_type), lt_http_header_line },
    { lt_string("Range"), lt_http_hin(range), lt_http_header_line },
    { lt_string("If-Range"), lt_http_hin(if_range), lt_http_unique_header_line },
    { lt_string("Transfer-Encoding"), lt_http_hin(transfer_encoding),
      lt_http_unique_header_line },
    { lt_string("TE"), lt_http_hin(te), lt_http_header_line },
    { lt_string("Expect"), lt_http_hin(expect), lt_http_unique_header_line },
    { lt_string("Upgrade"), lt_http_hin(upgrade), lt_http_header_line },
    { lt_string("Accept-Encoding"), lt_http_hin(accept_encoding), lt_http_header_line },
    { lt_string("Via"), lt_http_hin(via), lt_http_header_line },
    { lt_string("Authorization"), lt_http_hin(authorization), lt_http_unique_header_line },
    { lt_string("Keep-Alive"), lt_http_hin(keep_alive), lt_http_header_line },
    { lt_string("X-Forwarded-For"), lt_http_hin(x_forwarded_for), lt_http_header_line },
    { lt_string("X-Real-IP"), lt_http_hin(x_real_ip), lt_http_header_line },
    { lt_string("Accept"), lt_http_hin(accept), lt_http_header_line },
    { lt_string("Accept-Language"), lt_http_hin(accept_language), lt_http_header_line },
    { lt_string("Cookie"), lt_http_hin(cookie), lt_http_header_line },
    { lt_string("Date"), lt_http_hin(date), lt_http_header_line },
    { lt_null_string, 0, NULL }
};


lt_hash_key_t *
lt_http_headers_in_keys(lt_pool_t *pool, size_t *n)
{
    size_t          i;
    lt_hash_key_t  *keys;

    for (i = 0; lt_http_headers_in[i].name.len; i++) { /* void */ }

    keys = lt_palloc(pool, i * sizeof(lt_hash_key_t));
    if (keys == NULL) {
        return NULL;
    }

    for (i = 0; lt_http_headers_in[i].name.len; i++) {
        keys[i].key = lt_http_headers_in[i].name;
        keys[i].key_hash = 0;
        keys[i].value = &lt_http_headers_in[i];
    }

    *n = i;

    return keys;
}


int
lt_http_process_header_line(lt_http_request_t *r, lt_table_elt_t *h)
{
    lt_http_header_t          *hh;
    lt_http_core_main_conf_t  *cmcf;

    cmcf = lt_http_get_module_main_conf(r, lt_http_core_module);

    hh = lt_hash_find(&cmcf->headers_in_hash, h->hash, h->lowcase_key, h->key.len);

    if (hh == NULL) {
        return LT_OK;
    }

    return hh->handler(r, h, hh->offset);
}


/* lt_http_header_line: the first of a name is filed; later ones are chained */
static int
lt_http_header_line(lt_http_request_t *r, lt_table_elt_t *h, size_t offset)
{
    lt_table_elt_t  **ph;

    ph = (lt_table_elt_t **) ((char *) &r->headers_in + offset);

    while (*ph) {
        ph = &(*ph)->next;
    }

    *ph = h;
    h->next = NULL;

    return LT_OK;
}


static int
lt_http_unique_header_line(lt_http_request_t *r, lt_table_elt_t *h, size_t offset)
{
    lt_table_elt_t  **ph;

    ph = (lt_table_elt_t **) ((char *) &r->headers_in + offset);

    if (*ph == NULL) {
        *ph = h;
        h->next = NULL;
        return LT_OK;
    }

    lt_log_error(LT_LOG_INFO, r->connection->log, 0,
                 "client sent duplicate header line: \"%.*s: %.*s\", previous value: "
                 "\"%.*s: %.*s\"", (int) h->key.len, h->key.data,
                 (int) h->value.len, h->value.data,
                 (int) (*ph)->key.len, (*ph)->key.data,
                 (int) (*ph)->value.len, (*ph)->value.data);

    lt_http_finalize_request(r, LT_HTTP_BAD_REQUEST);

    return LT_ERROR;
}


static int
lt_http_host(lt_http_request_t *r, lt_table_elt_t *h, size_t offset)
{
    return lt_http_host_header(r, h);
}


static int
lt_http_connection(lt_http_request_t *r, lt_table_elt_t *h, size_t offset)
{
    if (lt_strlcasestrn(h->value.data, h->value.data + h->value.len, (u_char *) "close", 5)) {
        r->headers_in.connection_type = LT_HTTP_CONNECTION_CLOSE;

    } else if (lt_strlcasestrn(h->value.data, h->value.data + h->value.len,
                               (u_char *) "keep-alive", 10))
    {
        r->headers_in.connection_type = LT_HTTP_CONNECTION_KEEP_ALIVE;
    }

    return lt_http_header_line(r, h, offset);
}


static int
lt_http_user_agent(lt_http_request_t *r, lt_table_elt_t *h, size_t offset)
{
    u_char  *user_agent, *msie, *last;

    if (r->headers_in.user_agent) {
        return lt_http_header_line(r, h, offset);
    }

    r->headers_in.user_agent = h;
    h->next = NULL;

    /* browser quirks some directives care about (keepalive_disable, msie_refresh) */

    user_agent = h->value.data;
    last = user_agent + h->value.len;

    msie = lt_strlcasestrn(user_agent, last, (u_char *) "MSIE ", 5);

    if (msie && msie + 7 < last) {
        r->headers_in.msie = 1;

        if (msie[6] == '.') {
            switch (msie[5]) {
            case '4':
            case '5':
                r->headers_in.msie6 = 1;
                break;
            case '6':
                if (lt_strlcasestrn(msie + 8, last, (u_char *) "SV1", 3) == NULL) {
                    r->headers_in.msie6 = 1;
                }
                break;
            }
        }
    }

    if (lt_strlcasestrn(user_agent, last, (u_char *) "Opera", 5)) {
        r->headers_in.opera = 1;
        r->headers_in.msie = 0;
        r->headers_in.msie6 = 0;
    }

    if (!r->headers_in.msie && !r->headers_in.opera) {

        if (lt_strlcasestrn(user_agent, last, (u_char *) "Gecko/", 6)) {
            r->headers_in.gecko = 1;

        } else if (lt_strlcasestrn(user_agent, last, (u_char *) "Chrome/", 7)) {
            r->headers_in.chrome = 1;

        } else if (lt_strlcasestrn(user_agent, last, (u_char *) "Safari/", 7)
                   && lt_strlcasestrn(user_agent, last, (u_char *) "Mac OS X", 8))
        {
            r->headers_in.safari = 1;

        } else if (lt_strlcasestrn(user_agent, last, (u_char *) "Konqueror", 9)) {
            r->headers_in.konqueror = 1;
        }
    }

    return LT_OK;
}
