/*
 * proxy_rewrite.h: proxy_redirect, proxy_cookie_domain, proxy_cookie_path and
 * proxy_cookie_flags. The rules live in lt_http_proxy_rewrite_conf_t, which the
 * proxy module embeds by value in its location conf (member "rewrite"); the
 * directive handlers below are entries of the proxy module's directive table, and
 * the two request-time functions are installed as the upstream's
 * rewrite_redirect / rewrite_cookie hooks. Compiled as part of the proxy module
 * (modules/proxy.c + modules/proxy_rewrite.c).
 */

#ifndef LT_HTTP_PROXY_REWRITE_H
#define LT_HTTP_PROXY_REWRITE_H

#include "lt_http.h"

typedef struct lt_http_proxy_rewrite_conf_s  lt_http_proxy_rewrite_conf_t;

struct lt_http_proxy_rewrite_conf_s {
    /* proxy_redirect: LT_CONF_UNSET, 0 ("off"), 1 (rules or "default") */
    int            redirect;
    /* lt_http_proxy_rewrite_t rules in order (private to proxy_rewrite.c); NULL:
     * none written at this level (merge then inherits or builds "default") */
    lt_array_t    *redirects;

    /* proxy_cookie_domain / _path (lt_http_proxy_rewrite_t) and proxy_cookie_flags
     * (lt_http_proxy_cookie_flags_t): LT_CONF_UNSET_PTR, NULL ("off", or unset
     * after merging), or the rules */
    lt_array_t    *cookie_domains;
    lt_array_t    *cookie_paths;
    lt_array_t    *cookie_flags;

    /* where "proxy_redirect default" was written, for errors found at merge */
    lt_str_t       default_file;
    size_t         default_line;
};

/* directive handlers; conf is the proxy module's location conf, the rules are at
 * (char *) conf + cmd->offset. LT_CONF_OK, LT_CONF_ERROR (logged) or a message */
char *lt_http_proxy_redirect_slot(lt_conf_t *cf, lt_command_t *cmd, void *conf);
char *lt_http_proxy_cookie_domain_slot(lt_conf_t *cf, lt_command_t *cmd, void *conf);
char *lt_http_proxy_cookie_path_slot(lt_conf_t *cf, lt_command_t *cmd, void *conf);
char *lt_http_proxy_cookie_flags_slot(lt_conf_t *cf, lt_command_t *cmd, void *conf);

/* lt_http_proxy_rewrite_init_conf: marks every rule set unset (create_loc_conf) */
void lt_http_proxy_rewrite_init_conf(lt_http_proxy_rewrite_conf_t *c);

/*
 * lt_http_proxy_rewrite_merge: conf <- prev, as nginx: rules written at this level
 * replace the inherited ones, "off" cancels them; when proxy_redirect is set
 * nowhere, a level with a constant proxy_pass gets the implicit "default" rule.
 * "proxy_redirect default" becomes: proxy_pass URL with a URI part -> the
 * location's name; without one, URL + "/" -> "/".
 * proxy_pass_url: this level's proxy_pass argument as written, NULL when this
 * level has none; url_has_variables: it has variables ("default" is then an
 * error); location_is_regex_or_named: the location's name is not a prefix
 * (regex, named, "if", limit_except). LT_CONF_OK or LT_CONF_ERROR (logged).
 */
char *lt_http_proxy_rewrite_merge(lt_conf_t *cf, lt_http_proxy_rewrite_conf_t *conf,
    lt_http_proxy_rewrite_conf_t *prev, const lt_str_t *proxy_pass_url,
    const lt_str_t *location_name, unsigned url_has_variables,
    unsigned location_is_regex_or_named);

/* lt_http_proxy_rewrite_active: whether a merged conf has a proxy_redirect rule
 * (cookie == 0) or a proxy_cookie_* rule (cookie == 1), so that the hooks are
 * installed only when they can change something */
unsigned lt_http_proxy_rewrite_active(const lt_http_proxy_rewrite_conf_t *c,
    unsigned cookie);

/*
 * lt_http_proxy_rewrite_redirect: applies the first matching proxy_redirect rule
 * to h->value past its first prefix bytes ("5; url=" of Refresh); the new value is
 * allocated from r->pool (the upstream's bytes are not modified).
 * LT_OK (changed), LT_DECLINED (no rule matched), LT_ERROR.
 */
int lt_http_proxy_rewrite_redirect(lt_http_request_t *r, lt_table_elt_t *h, size_t prefix);

/*
 * lt_http_proxy_rewrite_cookie: rewrites one Set-Cookie value: its Domain and
 * Path attributes (first matching rule each) and its flags (Secure, HttpOnly,
 * SameSite; first rule whose cookie name matches). A changed cookie is rebuilt
 * as "name=value; Attr=value; Flag" in r->pool.
 * LT_OK (changed), LT_DECLINED (unchanged), LT_ERROR.
 */
int lt_http_proxy_rewrite_cookie(lt_http_request_t *r, lt_table_elt_t *h);

#endif /* LT_HTTP_PROXY_REWRITE_H */
