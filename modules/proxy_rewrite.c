/*
 * proxy_rewrite.c: what the proxy changes in the upstream's response headers
 * (part of the "http_proxy" module, nginx's ngx_http_proxy_module):
 *
 *   proxy_redirect      Location and the URL of Refresh
 *   proxy_cookie_domain the Domain attribute of Set-Cookie
 *   proxy_cookie_path   the Path attribute of Set-Cookie
 *   proxy_cookie_flags  the Secure, HttpOnly and SameSite flags of Set-Cookie
 *
 * A rule is a pattern and a replacement, both with variables. A plain pattern
 * matches a prefix of the value (proxy_redirect, proxy_cookie_path) or the whole
 * domain, ignoring case and a leading dot (proxy_cookie_domain); "~" and "~*"
 * patterns are regular expressions whose match replaces the whole value, with
 * $1.. in the replacement. The first matching rule of a list applies.
 *
 * The upstream's header bytes are never modified: a rewritten value is built in
 * the request pool, as $upstream_http_location must keep what the backend sent.
 */

#include "lt_http.h"
#include "proxy.h"
#include "proxy_rewrite.h"

enum {
    LT_HTTP_PROXY_RW_PREFIX = 0,    /* pattern is a prefix, case-sensitive */
    LT_HTTP_PROXY_RW_REGEX,         /* regex; the whole value is replaced */
    LT_HTTP_PROXY_RW_DOMAIN,        /* the whole domain, caseless, leading dot kept */
    LT_HTTP_PROXY_RW_DEFAULT        /* "proxy_redirect default" until merged */
};

typedef struct {
    unsigned                   type;
    lt_http_complex_value_t    pattern;     /* PREFIX, DOMAIN */
    lt_http_regex_t           *regex;       /* REGEX */
    lt_http_complex_value_t    replacement;
} lt_http_proxy_rewrite_t;

typedef struct {
    lt_http_complex_value_t    cookie;      /* the cookie's name (no regex) */
    lt_http_regex_t           *regex;       /* "~name": caseless regex */
    lt_http_complex_value_t   *flags;
    size_t                     nflags;
} lt_http_proxy_cookie_flags_t;

/* flags of one proxy_cookie_flags rule, after evaluating its variables */
#define LT_HTTP_PROXY_COOKIE_SECURE_ON        0x0001
#define LT_HTTP_PROXY_COOKIE_SECURE_OFF       0x0002
#define LT_HTTP_PROXY_COOKIE_HTTPONLY_ON      0x0004
#define LT_HTTP_PROXY_COOKIE_HTTPONLY_OFF     0x0008
#define LT_HTTP_PROXY_COOKIE_SAMESITE_STRICT  0x0010
#define LT_HTTP_PROXY_COOKIE_SAMESITE_LAX     0x0020
#define LT_HTTP_PROXY_COOKIE_SAMESITE_NONE    0x0040
#define LT_HTTP_PROXY_COOKIE_SAMESITE_OFF     0x0080

#define LT_HTTP_PROXY_COOKIE_SAMESITE_SET                                      \
    (LT_HTTP_PROXY_COOKIE_SAMESITE_STRICT | LT_HTTP_PROXY_COOKIE_SAMESITE_LAX  \
     | LT_HTTP_PROXY_COOKIE_SAMESITE_NONE)

typedef struct {
    lt_str_t     name;
    unsigned     mask;
} lt_http_proxy_cookie_flag_name_t;

static const lt_http_proxy_cookie_flag_name_t  lt_http_proxy_cookie_flag_names[] = {
    { lt_string("secure"), LT_HTTP_PROXY_COOKIE_SECURE_ON },
    { lt_string("nosecure"), LT_HTTP_PROXY_COOKIE_SECURE_OFF },
    { lt_string("httponly"), LT_HTTP_PROXY_COOKIE_HTTPONLY_ON },
    { lt_string("nohttponly"), LT_HTTP_PROXY_COOKIE_HTTPONLY_OFF },
    { lt_string("samesite=strict"), LT_HTTP_PROXY_COOKIE_SAMESITE_STRICT },
    { lt_string("samesite=lax"), LT_HTTP_PROXY_COOKIE_SAMESITE_LAX },
    { lt_string("samesite=none"), LT_HTTP_PROXY_COOKIE_SAMESITE_NONE },
    { lt_string("nosamesite"), LT_HTTP_PROXY_COOKIE_SAMESITE_OFF },
    { lt_null_string, 0 }
};

static int lt_http_proxy_rewrite_compile(lt_conf_t *cf, lt_http_complex_value_t *cv,
    lt_str_t *value);
static int lt_http_proxy_rewrite_regex(lt_conf_t *cf, lt_http_proxy_rewrite_t *pr,
    lt_str_t *pattern, unsigned caseless);
static char *lt_http_proxy_cookie_rule(lt_conf_t *cf, lt_array_t **rules,
    unsigned domain);
static int lt_http_proxy_rewrite_default(lt_conf_t *cf, lt_http_proxy_rewrite_t *pr,
    const lt_str_t *url, const lt_str_t *location_name, unsigned location_is_regex_or_named);
static int lt_http_proxy_rewrite_apply(lt_http_request_t *r, lt_str_t *value,
    size_t prefix, size_t len, lt_http_proxy_rewrite_t *pr);
static int lt_http_proxy_rewrite_value(lt_http_request_t *r, lt_str_t *value,
    size_t prefix, size_t len, const lt_str_t *replacement);
static int lt_http_proxy_rewrite_rules(lt_http_request_t *r, lt_str_t *value,
    size_t prefix, lt_array_t *rules);
static int lt_http_proxy_parse_cookie(lt_str_t *value, lt_array_t *attrs);
static int lt_http_proxy_rewrite_cookie_flags(lt_http_request_t *r, lt_array_t *attrs,
    lt_array_t *rules);
static int lt_http_proxy_edit_cookie_flags(lt_array_t *attrs, unsigned flags);
static int lt_http_proxy_join_cookie(lt_http_request_t *r, lt_table_elt_t *h,
    lt_array_t *attrs);


void
lt_http_proxy_rewrite_init_conf(lt_http_proxy_rewrite_conf_t *c)
{
    c->redirect = LT_CONF_UNSET;
    c->redirects = NULL;
    c->cookie_domains = LT_CONF_UNSET_PTR;
    c->cookie_paths = LT_CONF_UNSET_PTR;
    c->cookie_flags = LT_CONF_UNSET_PTR;
    lt_str_null(&c->default_file);
    c->default_line = 0;
}


/* configuration */

char *
lt_http_proxy_redirect_slot(lt_conf_t *cf, lt_command_t *cmd, void *conf)
{
    lt_str_t                      *value;
    lt_http_proxy_rewrite_t       *pr;
    lt_http_proxy_loc_conf_t      *plcf = conf;
    lt_http_proxy_rewrite_conf_t  *rc;

    rc = (lt_http_proxy_rewrite_conf_t *) ((char *) conf + cmd->offset);

    if (rc->redirect == 0) {
        return "is duplicate";
    }

    rc->redirect = 1;

    value = cf->args->elts;

    if (cf->args->nelts == 2) {
        if (lt_str_eq(&value[1], "off")) {
            if (rc->redirects) {
                return "is duplicate";
            }

            rc->redirect = 0;
            return LT_CONF_OK;
        }

        if (!lt_str_eq(&value[1], "default")) {
            lt_conf_log_error(LT_LOG_EMERG, cf, 0, "invalid parameter \"%.*s\"",
                              (int) value[1].len, value[1].data);
            return LT_CONF_ERROR;
        }

        /* the URL it stands for is known after merging; its errors are nginx's,
         * found here while the directive's line is at hand */
        if (plcf->proxy_cv) {
            lt_conf_log_error(LT_LOG_EMERG, cf, 0, "\"proxy_redirect default\" cannot be "
                              "used with \"proxy_pass\" directive with variables");
            return LT_CONF_ERROR;
        }

        if (plcf->url.data == NULL) {
            lt_conf_log_error(LT_LOG_EMERG, cf, 0, "\"proxy_redirect default\" should be "
                              "placed after the \"proxy_pass\" directive");
            return LT_CONF_ERROR;
        }
    }

    if (rc->redirects == NULL) {
        rc->redirects = lt_array_create(cf->pool, 1, sizeof(lt_http_proxy_rewrite_t));
        if (rc->redirects == NULL) {
            return LT_CONF_ERROR;
        }
    }

    pr = lt_array_push(rc->redirects);
    if (pr == NULL) {
        return LT_CONF_ERROR;
    }

    lt_memzero(pr, sizeof(lt_http_proxy_rewrite_t));

    if (cf->args->nelts == 2) {
        pr->type = LT_HTTP_PROXY_RW_DEFAULT;

        if (cf->conf_file) {
            rc->default_file = cf->conf_file->name;
            rc->default_line = cf->conf_file->line;
        }

        return LT_CONF_OK;
    }

    if (value[1].len && value[1].data[0] == '~') {
        value[1].len--;
        value[1].data++;

        if (value[1].len && value[1].data[0] == '*') {
            value[1].len--;
            value[1].data++;

            if (lt_http_proxy_rewrite_regex(cf, pr, &value[1], 1) != LT_OK) {
                return LT_CONF_ERROR;
            }

        } else if (lt_http_proxy_rewrite_regex(cf, pr, &value[1], 0) != LT_OK) {
            return LT_CONF_ERROR;
        }

    } else {
        pr->type = LT_HTTP_PROXY_RW_PREFIX;

        if (lt_http_proxy_rewrite_compile(cf, &pr->pattern, &value[1]) != LT_OK) {
            return LT_CONF_ERROR;
        }
    }

    if (lt_http_proxy_rewrite_compile(cf, &pr->replacement, &value[2]) != LT_OK) {
        return LT_CONF_ERROR;
    }

    return LT_CONF_OK;
}


char *
lt_http_proxy_cookie_domain_slot(lt_conf_t *cf, lt_command_t *cmd, void *conf)
{
    lt_http_proxy_rewrite_conf_t  *rc;

    rc = (lt_http_proxy_rewrite_conf_t *) ((char *) conf + cmd->offset);

    return lt_http_proxy_cookie_rule(cf, &rc->cookie_domains, 1);
}


char *
lt_http_proxy_cookie_path_slot(lt_conf_t *cf, lt_command_t *cmd, void *conf)
{
    lt_http_proxy_rewrite_conf_t  *rc;

    rc = (lt_http_proxy_rewrite_conf_t *) ((char *) conf + cmd->offset);

    return lt_http_proxy_cookie_rule(cf, &rc->cookie_paths, 0);
}


/*
 * lt_http_proxy_cookie_rule: "off" or "PATTERN REPLACEMENT" for proxy_cookie_domain
 * (domain: "~" is always caseless, a plain pattern and replacement lose a leading
 * dot) or proxy_cookie_path ("~" and "~*")
 */
static char *
lt_http_proxy_cookie_rule(lt_conf_t *cf, lt_array_t **rules, unsigned domain)
{
    lt_str_t                 *value;
    lt_http_proxy_rewrite_t  *pr;

    if (*rules == NULL) {
        return "is duplicate";
    }

    value = cf->args->elts;

    if (cf->args->nelts == 2) {
        if (lt_str_eq(&value[1], "off")) {
            if (*rules != LT_CONF_UNSET_PTR) {
                return "is duplicate";
            }

            *rules = NULL;
            return LT_CONF_OK;
        }

        lt_conf_log_error(LT_LOG_EMERG, cf, 0, "invalid parameter \"%.*s\"",
                          (int) value[1].len, value[1].data);
        return LT_CONF_ERROR;
    }

    if (*rules == LT_CONF_UNSET_PTR) {
        *rules = lt_array_create(cf->pool, 1, sizeof(lt_http_proxy_rewrite_t));
        if (*rules == NULL) {
            return LT_CONF_ERROR;
        }
    }

    pr = lt_array_push(*rules);
    if (pr == NULL) {
        return LT_CONF_ERROR;
    }

    lt_memzero(pr, sizeof(lt_http_proxy_rewrite_t));

    if (value[1].len && value[1].data[0] == '~') {
        value[1].len--;
        value[1].data++;

        if (domain) {
            if (lt_http_proxy_rewrite_regex(cf, pr, &value[1], 1) != LT_OK) {
                return LT_CONF_ERROR;
            }

        } else if (value[1].len && value[1].data[0] == '*') {
            value[1].len--;
            value[1].data++;

            if (lt_http_proxy_rewrite_regex(cf, pr, &value[1], 1) != LT_OK) {
                return LT_CONF_ERROR;
            }

        } else if (lt_http_proxy_rewrite_regex(cf, pr, &value[1], 0) != LT_OK) {
            return LT_CONF_ERROR;
        }

    } else if (domain) {
        pr->type = LT_HTTP_PROXY_RW_DOMAIN;

        if (value[1].len && value[1].data[0] == '.') {
            value[1].len--;
            value[1].data++;
        }

        if (lt_http_proxy_rewrite_compile(cf, &pr->pattern, &value[1]) != LT_OK) {
            return LT_CONF_ERROR;
        }

        if (value[2].len && value[2].data[0] == '.') {
            value[2].len--;
            value[2].data++;
        }

    } else {
        pr->type = LT_HTTP_PROXY_RW_PREFIX;

        if (lt_http_proxy_rewrite_compile(cf, &pr->pattern, &value[1]) != LT_OK) {
            return LT_CONF_ERROR;
        }
    }

    if (lt_http_proxy_rewrite_compile(cf, &pr->replacement, &value[2]) != LT_OK) {
        return LT_CONF_ERROR;
    }

    return LT_CONF_OK;
}


char *
lt_http_proxy_cookie_flags_slot(lt_conf_t *cf, lt_command_t *cmd, void *conf)
{
    size_t                         i;
    lt_str_t                      *value;
    lt_regex_compile_t             rc;
    lt_http_proxy_rewrite_conf_t  *rwc;
    lt_http_proxy_cookie_flags_t  *pcf;

    rwc = (lt_http_proxy_rewrite_conf_t *) ((char *) conf + cmd->offset);

    if (rwc->cookie_flags == NULL) {
        return "is duplicate";
    }

    value = cf->args->elts;

    if (cf->args->nelts == 2) {
        if (lt_str_eq(&value[1], "off")) {
            if (rwc->cookie_flags != LT_CONF_UNSET_PTR) {
                return "is duplicate";
            }

            rwc->cookie_flags = NULL;
            return LT_CONF_OK;
        }

        lt_conf_log_error(LT_LOG_EMERG, cf, 0, "invalid parameter \"%.*s\"",
                          (int) value[1].len, value[1].data);
        return LT_CONF_ERROR;
    }

    if (rwc->cookie_flags == LT_CONF_UNSET_PTR) {
        rwc->cookie_flags = lt_array_create(cf->pool, 1,
                                            sizeof(lt_http_proxy_cookie_flags_t));
        if (rwc->cookie_flags == NULL) {
            return LT_CONF_ERROR;
        }
    }

    pcf = lt_array_push(rwc->cookie_flags);
    if (pcf == NULL) {
        return LT_CONF_ERROR;
    }

    lt_memzero(pcf, sizeof(lt_http_proxy_cookie_flags_t));

    if (value[1].len && value[1].data[0] == '~') {
        lt_memzero(&rc, sizeof(lt_regex_compile_t));
        rc.pattern.data = value[1].data + 1;
        rc.pattern.len = value[1].len - 1;
        rc.pool = cf->pool;
        rc.options = LT_REGEX_CASELESS;

        pcf->regex = lt_http_regex_compile(cf, &rc);
        if (pcf->regex == NULL) {
            return LT_CONF_ERROR;
        }

    } else if (lt_http_proxy_rewrite_compile(cf, &pcf->cookie, &value[1]) != LT_OK) {
        return LT_CONF_ERROR;
    }

    /* flags are checked per request: they may come from variables */
    pcf->nflags = cf->args->nelts - 2;
    pcf->flags = lt_pcalloc(cf->pool, pcf->nflags * sizeof(lt_http_complex_value_t));
    if (pcf->flags == NULL) {
        return LT_CONF_ERROR;
    }

    for (i = 0; i < pcf->nflags; i++) {
        if (lt_http_proxy_rewrite_compile(cf, &pcf->flags[i], &value[i + 2]) != LT_OK) {
            return LT_CONF_ERROR;
        }
    }

    return LT_CONF_OK;
}


static int
lt_http_proxy_rewrite_compile(lt_conf_t *cf, lt_http_complex_value_t *cv, lt_str_t *value)
{
    lt_http_compile_complex_value_t  ccv;

    lt_memzero(&ccv, sizeof(lt_http_compile_complex_value_t));
    ccv.cf = cf;
    ccv.value = value;
    ccv.complex_value = cv;

    return lt_http_compile_complex_value(&ccv);
}


static int
lt_http_proxy_rewrite_regex(lt_conf_t *cf, lt_http_proxy_rewrite_t *pr, lt_str_t *pattern,
    unsigned caseless)
{
    lt_regex_compile_t  rc;

    lt_memzero(&rc, sizeof(lt_regex_compile_t));
    rc.pattern = *pattern;
    rc.pool = cf->pool;
    rc.options = caseless ? LT_REGEX_CASELESS : 0;

    pr->regex = lt_http_regex_compile(cf, &rc);
    if (pr->regex == NULL) {
        return LT_ERROR;
    }

    pr->type = LT_HTTP_PROXY_RW_REGEX;

    return LT_OK;
}


char *
lt_http_proxy_rewrite_merge(lt_conf_t *cf, lt_http_proxy_rewrite_conf_t *conf,
    lt_http_proxy_rewrite_conf_t *prev, const lt_str_t *proxy_pass_url,
    const lt_str_t *location_name, unsigned url_has_variables,
    unsigned location_is_regex_or_named)
{
    size_t                    i;
    const char               *err;
    lt_http_proxy_rewrite_t  *pr;

    /* "proxy_redirect default" written at this level: the URL is known now */
    if (conf->redirects) {
        pr = conf->redirects->elts;

        for (i = 0; i < conf->redirects->nelts; i++) {
            if (pr[i].type != LT_HTTP_PROXY_RW_DEFAULT) {
                continue;
            }

            err = NULL;

            if (proxy_pass_url == NULL) {
                err = "\"proxy_redirect default\" should be placed after the "
                      "\"proxy_pass\" directive";

            } else if (url_has_variables) {
                err = "\"proxy_redirect default\" cannot be used with \"proxy_pass\" "
                      "directive with variables";
            }

            if (err) {
                lt_log_error(LT_LOG_EMERG, cf->log, 0, "%s in %.*s:%zu", err,
                             (int) conf->default_file.len, conf->default_file.data,
                             conf->default_line);
                return LT_CONF_ERROR;
            }

            if (lt_http_proxy_rewrite_default(cf, &pr[i], proxy_pass_url, location_name,
                                              location_is_regex_or_named)
                != LT_OK)
            {
                return LT_CONF_ERROR;
            }
        }
    }

    lt_conf_merge_value(conf->redirect, prev->redirect, 1);

    if (conf->redirect) {
        if (conf->redirects == NULL) {
            conf->redirects = prev->redirects;
        }

        /* the implicit "proxy_redirect default" */
        if (conf->redirects == NULL && proxy_pass_url && !url_has_variables) {
            conf->redirects = lt_array_create(cf->pool, 1, sizeof(lt_http_proxy_rewrite_t));
            if (conf->redirects == NULL) {
                return LT_CONF_ERROR;
            }

            pr = lt_array_push(conf->redirects);
            if (pr == NULL) {
                return LT_CONF_ERROR;
            }

            lt_memzero(pr, sizeof(lt_http_proxy_rewrite_t));

            if (lt_http_proxy_rewrite_default(cf, pr, proxy_pass_url, location_name,
                                              location_is_regex_or_named)
                != LT_OK)
            {
                return LT_CONF_ERROR;
            }
        }

    } else {
        conf->redirects = NULL;
    }

    lt_conf_merge_ptr_value(conf->cookie_domains, prev->cookie_domains, NULL);
    lt_conf_merge_ptr_value(conf->cookie_paths, prev->cookie_paths, NULL);
    lt_conf_merge_ptr_value(conf->cookie_flags, prev->cookie_flags, NULL);

    return LT_CONF_OK;
}


/*
 * lt_http_proxy_rewrite_default: "proxy_redirect default" for url: with a URI part
 * ("http://b:8081/uri/", or "?args"), the URL becomes the location's name; without
 * one, "URL/" becomes "/". The URI part of a unix: URL follows the socket path's
 * ":" ("http://unix:/tmp/s.sock:/uri/").
 */
static int
lt_http_proxy_rewrite_default(lt_conf_t *cf, lt_http_proxy_rewrite_t *pr, const lt_str_t *url,
    const lt_str_t *location_name, unsigned location_is_regex_or_named)
{
    u_char  *p, *host, *last, *uri;

    host = url->data;
    last = url->data + url->len;

    if (url->len >= 7 && lt_strncasecmp(host, (u_char *) "http://", 7) == 0) {
        host += 7;

    } else if (url->len >= 8 && lt_strncasecmp(host, (u_char *) "https://", 8) == 0) {
        host += 8;
    }

    if (last - host >= 5 && lt_strncasecmp(host, (u_char *) "unix:", 5) == 0) {
        uri = lt_strlchr(host + 5, last, ':');

        if (uri) {
            uri++;
        }

    } else {
        uri = lt_strlchr(host, last, '/');
        p = lt_strlchr(host, last, '?');

        if (p && (uri == NULL || p < uri)) {
            uri = p;
        }
    }

    lt_memzero(&pr->pattern, sizeof(lt_http_complex_value_t));
    lt_memzero(&pr->replacement, sizeof(lt_http_complex_value_t));
    pr->type = LT_HTTP_PROXY_RW_PREFIX;

    if (uri && uri < last) {
        pr->pattern.value = *url;

        if (location_name && !location_is_regex_or_named) {
            pr->replacement.value = *location_name;

        } else {
            pr->replacement.value.len = 0;
            pr->replacement.value.data = (u_char *) "";
        }

        return LT_OK;
    }

    p = lt_pnalloc(cf->pool, url->len + 1);
    if (p == NULL) {
        return LT_ERROR;
    }

    pr->pattern.value.data = p;
    pr->pattern.value.len = url->len + 1;
    p = lt_cpymem(p, url->data, url->len);
    *p = '/';

    lt_str_set(&pr->replacement.value, "/");

    return LT_OK;
}


unsigned
lt_http_proxy_rewrite_active(const lt_http_proxy_rewrite_conf_t *c, unsigned cookie)
{
    if (!cookie) {
        return c->redirects != NULL && c->redirects->nelts > 0;
    }

    return (c->cookie_domains && c->cookie_domains != LT_CONF_UNSET_PTR)
           || (c->cookie_paths && c->cookie_paths != LT_CONF_UNSET_PTR)
           || (c->cookie_flags && c->cookie_flags != LT_CONF_UNSET_PTR);
}


/* request time */

int
lt_http_proxy_rewrite_redirect(lt_http_request_t *r, lt_table_elt_t *h, size_t prefix)
{
    lt_http_proxy_loc_conf_t  *plcf;

    plcf = lt_http_get_module_loc_conf(r, lt_http_proxy_module);

    if (plcf->rewrite.redirects == NULL || prefix > h->value.len) {
        return LT_DECLINED;
    }

    return lt_http_proxy_rewrite_rules(r, &h->value, prefix, plcf->rewrite.redirects);
}


/* lt_http_proxy_rewrite_rules: the first rule of rules that matches value past
 * prefix; LT_OK, LT_DECLINED, LT_ERROR */
static int
lt_http_proxy_rewrite_rules(lt_http_request_t *r, lt_str_t *value, size_t prefix,
    lt_array_t *rules)
{
    int                       rc;
    size_t                    i;
    lt_http_proxy_rewrite_t  *pr;

    pr = rules->elts;

    for (i = 0; i < rules->nelts; i++) {
        rc = lt_http_proxy_rewrite_apply(r, value, prefix, value->len - prefix, &pr[i]);

        if (rc != LT_DECLINED) {
            return rc;
        }
    }

    return LT_DECLINED;
}


static int
lt_http_proxy_rewrite_apply(lt_http_request_t *r, lt_str_t *value, size_t prefix,
    size_t len, lt_http_proxy_rewrite_t *pr)
{
    u_char    *p;
    lt_str_t   pattern, replacement;

    p = value->data + prefix;

    switch (pr->type) {

    case LT_HTTP_PROXY_RW_REGEX:
        pattern.data = p;
        pattern.len = len;

        /* a failed match was logged; the value is left as it is */
        if (lt_http_regex_exec(r, pr->regex, &pattern) != LT_OK) {
            return LT_DECLINED;
        }

        break;

    case LT_HTTP_PROXY_RW_DOMAIN:
        if (lt_http_complex_value(r, &pr->pattern, &pattern) != LT_OK) {
            return LT_ERROR;
        }

        /* ".example.com" is "example.com"; the dot is kept */
        if (len && p[0] == '.') {
            prefix++;
            len--;
            p++;
        }

        if (pattern.len != len || lt_strncasecmp(pattern.data, p, len) != 0) {
            return LT_DECLINED;
        }

        break;

    case LT_HTTP_PROXY_RW_PREFIX:
        if (lt_http_complex_value(r, &pr->pattern, &pattern) != LT_OK) {
            return LT_ERROR;
        }

        if (pattern.len > len || lt_memcmp(p, pattern.data, pattern.len) != 0) {
            return LT_DECLINED;
        }

        len = pattern.len;
        break;

    default:
        return LT_DECLINED;
    }

    if (lt_http_complex_value(r, &pr->replacement, &replacement) != LT_OK) {
        return LT_ERROR;
    }

    lt_log_debug(r->connection->log, "proxy rewrite: \"%.*s\" -> \"%.*s\" at %zu+%zu",
                 (int) value->len, value->data, (int) replacement.len, replacement.data,
                 prefix, len);

    return lt_http_proxy_rewrite_value(r, value, prefix, len, &replacement);
}


/* lt_http_proxy_rewrite_value: replaces len bytes at prefix of value with
 * replacement, in new memory */
static int
lt_http_proxy_rewrite_value(lt_http_request_t *r, lt_str_t *value, size_t prefix, size_t len,
    const lt_str_t *replacement)
{
    u_char  *data, *p;
    size_t   new_len;

    if (prefix == 0 && len == value->len) {
        *value = *replacement;
        return LT_OK;
    }

    new_len = value->len - len + replacement->len;

    data = lt_pnalloc(r->pool, new_len + 1);
    if (data == NULL) {
        return LT_ERROR;
    }

    p = lt_cpymem(data, value->data, prefix);
    p = lt_cpymem(p, replacement->data, replacement->len);
    p = lt_cpymem(p, value->data + prefix + len, value->len - prefix - len);
    *p = '\0';

    value->data = data;
    value->len = new_len;

    return LT_OK;
}


int
lt_http_proxy_rewrite_cookie(lt_http_request_t *r, lt_table_elt_t *h)
{
    int                            rc, rv;
    size_t                         i;
    lt_str_t                      *key, *value;
    lt_array_t                     attrs;
    lt_keyval_t                   *attr;
    lt_http_proxy_loc_conf_t      *plcf;
    lt_http_proxy_rewrite_conf_t  *rwc;

    plcf = lt_http_get_module_loc_conf(r, lt_http_proxy_module);
    rwc = &plcf->rewrite;

    if (lt_array_init(&attrs, r->pool, 4, sizeof(lt_keyval_t)) != LT_OK) {
        return LT_ERROR;
    }

    if (lt_http_proxy_parse_cookie(&h->value, &attrs) != LT_OK) {
        return LT_ERROR;
    }

    attr = attrs.elts;

    /* not "name=value": not a cookie to touch */
    if (attr[0].value.data == NULL) {
        return LT_DECLINED;
    }

    rv = LT_DECLINED;

    for (i = 1; i < attrs.nelts; i++) {
        key = &attr[i].key;
        value = &attr[i].value;

        if (value->data == NULL) {
            continue;
        }

        rc = LT_DECLINED;

        if (rwc->cookie_domains && rwc->cookie_domains != LT_CONF_UNSET_PTR
            && lt_str_case_eq(key, "domain"))
        {
            rc = lt_http_proxy_rewrite_rules(r, value, 0, rwc->cookie_domains);

        } else if (rwc->cookie_paths && rwc->cookie_paths != LT_CONF_UNSET_PTR
                   && lt_str_case_eq(key, "path"))
        {
            rc = lt_http_proxy_rewrite_rules(r, value, 0, rwc->cookie_paths);
        }

        if (rc == LT_ERROR) {
            return LT_ERROR;
        }

        if (rc != LT_DECLINED) {
            rv = rc;
        }
    }

    if (rwc->cookie_flags && rwc->cookie_flags != LT_CONF_UNSET_PTR) {
        rc = lt_http_proxy_rewrite_cookie_flags(r, &attrs, rwc->cookie_flags);

        if (rc == LT_ERROR) {
            return LT_ERROR;
        }

        if (rc != LT_DECLINED) {
            rv = rc;
        }
    }

    if (rv != LT_OK) {
        return rv;
    }

    return lt_http_proxy_join_cookie(r, h, &attrs);
}


/*
 * lt_http_proxy_parse_cookie: splits "name=value; Attr=v; Flag" at each ";" into
 * keys and values without the spaces around them; an attribute without "=" has
 * value.data NULL. There is always at least one element.
 */
static int
lt_http_proxy_parse_cookie(lt_str_t *value, lt_array_t *attrs)
{
    u_char       *start, *end, *last, *p;
    lt_keyval_t  *attr;

    start = value->data;
    end = value->data + value->len;

    for ( ;; ) {
        last = lt_strlchr(start, end, ';');
        if (last == NULL) {
            last = end;
        }

        attr = lt_array_push(attrs);
        if (attr == NULL) {
            return LT_ERROR;
        }

        while (start < last && *start == ' ') {
            start++;
        }

        for (p = start; p < last && *p != '='; p++) {
            /* void */
        }

        attr->key.data = start;
        attr->key.len = p - start;

        while (attr->key.len && start[attr->key.len - 1] == ' ') {
            attr->key.len--;
        }

        if (p < last) {
            p++;

            while (p < last && *p == ' ') {
                p++;
            }

            attr->value.data = p;
            attr->value.len = last - p;

            while (attr->value.len && p[attr->value.len - 1] == ' ') {
                attr->value.len--;
            }

        } else {
            lt_str_null(&attr->value);
        }

        if (last == end) {
            return LT_OK;
        }

        start = last + 1;
    }
}


/* lt_http_proxy_rewrite_cookie_flags: applies the first proxy_cookie_flags rule
 * whose name matches the cookie's; LT_OK, LT_DECLINED, LT_ERROR */
static int
lt_http_proxy_rewrite_cookie_flags(lt_http_request_t *r, lt_array_t *attrs,
    lt_array_t *rules)
{
    int                            rc;
    size_t                         i, m;
    unsigned                       flags;
    lt_str_t                       pattern, flag;
    lt_keyval_t                   *attr;
    lt_http_proxy_cookie_flags_t  *pcf;

    attr = attrs->elts;
    pcf = rules->elts;

    for (i = 0; i < rules->nelts; i++) {
        if (pcf[i].regex) {
            rc = lt_http_regex_exec(r, pcf[i].regex, &attr[0].key);

            if (rc == LT_ERROR) {
                return LT_ERROR;
            }

            if (rc == LT_OK) {
                break;
            }

            continue;
        }

        if (lt_http_complex_value(r, &pcf[i].cookie, &pattern) != LT_OK) {
            return LT_ERROR;
        }

        if (pattern.len == attr[0].key.len
            && lt_strncasecmp(pattern.data, attr[0].key.data, pattern.len) == 0)
        {
            break;
        }
    }

    if (i == rules->nelts) {
        return LT_DECLINED;
    }

    pcf = &pcf[i];
    flags = 0;

    for (i = 0; i < pcf->nflags; i++) {
        if (lt_http_complex_value(r, &pcf->flags[i], &flag) != LT_OK) {
            return LT_ERROR;
        }

        if (flag.len == 0) {
            continue;
        }

        for (m = 0; lt_http_proxy_cookie_flag_names[m].name.len; m++) {
            if (lt_http_proxy_cookie_flag_names[m].name.len == flag.len
                && lt_strncasecmp(lt_http_proxy_cookie_flag_names[m].name.data, flag.data,
                                  flag.len) == 0)
            {
                flags |= lt_http_proxy_cookie_flag_names[m].mask;
                break;
            }
        }

        if (lt_http_proxy_cookie_flag_names[m].name.len == 0) {
            lt_log_debug(r->connection->log, "invalid proxy_cookie_flags flag \"%.*s\"",
                         (int) flag.len, flag.data);
        }
    }

    if (flags == 0) {
        return LT_DECLINED;
    }

    return lt_http_proxy_edit_cookie_flags(attrs, flags);
}


/*
 * lt_http_proxy_edit_cookie_flags: sets or removes the flags the cookie has
 * (setting wins over removing; SameSite: strict, lax, none, then removal), then
 * appends the ones to set that it lacks: Secure, HttpOnly, SameSite
 */
static int
lt_http_proxy_edit_cookie_flags(lt_array_t *attrs, unsigned flags)
{
    size_t        i;
    lt_str_t     *key, *value;
    lt_keyval_t  *attr;

    attr = attrs->elts;

    for (i = 1; i < attrs->nelts; i++) {
        key = &attr[i].key;
        value = &attr[i].value;

        if (lt_str_case_eq(key, "secure")) {
            if (flags & LT_HTTP_PROXY_COOKIE_SECURE_ON) {
                flags &= ~LT_HTTP_PROXY_COOKIE_SECURE_ON;

            } else if (flags & LT_HTTP_PROXY_COOKIE_SECURE_OFF) {
                key->data = NULL;
            }

        } else if (lt_str_case_eq(key, "httponly")) {
            if (flags & LT_HTTP_PROXY_COOKIE_HTTPONLY_ON) {
                flags &= ~LT_HTTP_PROXY_COOKIE_HTTPONLY_ON;

            } else if (flags & LT_HTTP_PROXY_COOKIE_HTTPONLY_OFF) {
                key->data = NULL;
            }

        } else if (lt_str_case_eq(key, "samesite")) {
            if (flags & LT_HTTP_PROXY_COOKIE_SAMESITE_STRICT) {
                flags &= ~LT_HTTP_PROXY_COOKIE_SAMESITE_STRICT;

                if (!lt_str_case_eq(value, "strict")) {
                    lt_str_set(key, "SameSite");
                    lt_str_set(value, "Strict");
                }

            } else if (flags & LT_HTTP_PROXY_COOKIE_SAMESITE_LAX) {
                flags &= ~LT_HTTP_PROXY_COOKIE_SAMESITE_LAX;

                if (!lt_str_case_eq(value, "lax")) {
                    lt_str_set(key, "SameSite");
                    lt_str_set(value, "Lax");
                }

            } else if (flags & LT_HTTP_PROXY_COOKIE_SAMESITE_NONE) {
                flags &= ~LT_HTTP_PROXY_COOKIE_SAMESITE_NONE;

                if (!lt_str_case_eq(value, "none")) {
                    lt_str_set(key, "SameSite");
                    lt_str_set(value, "None");
                }

            } else if (flags & LT_HTTP_PROXY_COOKIE_SAMESITE_OFF) {
                key->data = NULL;
            }
        }
    }

    if (flags & LT_HTTP_PROXY_COOKIE_SECURE_ON) {
        attr = lt_array_push(attrs);
        if (attr == NULL) {
            return LT_ERROR;
        }

        lt_str_set(&attr->key, "Secure");
        lt_str_null(&attr->value);
    }

    if (flags & LT_HTTP_PROXY_COOKIE_HTTPONLY_ON) {
        attr = lt_array_push(attrs);
        if (attr == NULL) {
            return LT_ERROR;
        }

        lt_str_set(&attr->key, "HttpOnly");
        lt_str_null(&attr->value);
    }

    if (flags & LT_HTTP_PROXY_COOKIE_SAMESITE_SET) {
        attr = lt_array_push(attrs);
        if (attr == NULL) {
            return LT_ERROR;
        }

        lt_str_set(&attr->key, "SameSite");

        if (flags & LT_HTTP_PROXY_COOKIE_SAMESITE_STRICT) {
            lt_str_set(&attr->value, "Strict");

        } else if (flags & LT_HTTP_PROXY_COOKIE_SAMESITE_LAX) {
            lt_str_set(&attr->value, "Lax");

        } else {
            lt_str_set(&attr->value, "None");
        }
    }

    return LT_OK;
}


/* lt_http_proxy_join_cookie: h->value becomes the attributes (removed ones have
 * key.data NULL) joined by "; " */
static int
lt_http_proxy_join_cookie(lt_http_request_t *r, lt_table_elt_t *h, lt_array_t *attrs)
{
    u_char       *p;
    size_t        i, len;
    lt_keyval_t  *attr;

    attr = attrs->elts;
    len = 0;

    for (i = 0; i < attrs->nelts; i++) {
        if (attr[i].key.data == NULL) {
            continue;
        }

        if (i > 0) {
            len += 2;
        }

        len += attr[i].key.len;

        if (attr[i].value.data) {
            len += 1 + attr[i].value.len;
        }
    }

    p = lt_pnalloc(r->pool, len + 1);
    if (p == NULL) {
        return LT_ERROR;
    }

    h->value.data = p;
    h->value.len = len;

    for (i = 0; i < attrs->nelts; i++) {
        if (attr[i].key.data == NULL) {
            continue;
        }

        if (i > 0) {
            *p++ = ';';
            *p++ = ' ';
        }

        p = lt_cpymem(p, attr[i].key.data, attr[i].key.len);

        if (attr[i].value.data) {
            *p++ = '=';
            p = lt_cpymem(p, attr[i].value.data, attr[i].value.len);
        }
    }

    *p = '\0';

    return LT_OK;
}
