/*
 * lt_http_types.c: MIME type lists for *_types directives (see lt_http_types.h).
 */

#include "lt_http.h"
#include "lt_http_types.h"


char *
lt_http_types_slot(lt_conf_t *cf, lt_command_t *cmd, void *conf)
{
    size_t                          i, n;
    lt_str_t                       *value, *type, *t;
    lt_array_t                    **types;
    const lt_http_types_default_t  *def = cmd->post;

    types = (lt_array_t **) ((char *) conf + cmd->offset);

    if (*types == LT_HTTP_TYPES_ANY) {
        return LT_CONF_OK;
    }

    if (*types == LT_CONF_UNSET_PTR || *types == NULL) {
        *types = lt_array_create(cf->pool, 4, sizeof(lt_str_t));
        if (*types == NULL) {
            return LT_CONF_ERROR;
        }

        if (def && def->n) {
            type = lt_array_push(*types);
            if (type == NULL) {
                return LT_CONF_ERROR;
            }
            *type = def->types[0];
        }
    }

    value = cf->args->elts;

    for (i = 1; i < cf->args->nelts; i++) {

        if (value[i].len == 1 && value[i].data[0] == '*') {
            *types = LT_HTTP_TYPES_ANY;
            return LT_CONF_OK;
        }

        lt_strlow(value[i].data, value[i].data, value[i].len);

        t = (*types)->elts;
        for (n = 0; n < (*types)->nelts; n++) {
            if (t[n].len == value[i].len
                && lt_memcmp(t[n].data, value[i].data, value[i].len) == 0)
            {
                lt_conf_log_error(LT_LOG_WARN, cf, 0, "duplicate MIME type \"%.*s\"",
                                  (int) value[i].len, value[i].data);
                goto next;
            }
        }

        type = lt_array_push(*types);
        if (type == NULL) {
            return LT_CONF_ERROR;
        }
        *type = value[i];

    next:
        continue;
    }

    return LT_CONF_OK;
}


char *
lt_http_merge_types(lt_conf_t *cf, lt_array_t **conf, lt_array_t **prev,
    const lt_http_types_default_t *defaults)
{
    size_t     i;
    lt_str_t  *type;

    if (*conf != LT_CONF_UNSET_PTR) {
        return LT_CONF_OK;
    }

    if (*prev == LT_CONF_UNSET_PTR) {
        /* built once, at the first level that needs it, and shared below */
        *prev = lt_array_create(cf->pool, defaults->n ? defaults->n : 1, sizeof(lt_str_t));
        if (*prev == NULL) {
            return LT_CONF_ERROR;
        }

        for (i = 0; i < defaults->n; i++) {
            type = lt_array_push(*prev);
            if (type == NULL) {
                return LT_CONF_ERROR;
            }
            *type = defaults->types[i];
        }
    }

    *conf = *prev;

    return LT_CONF_OK;
}


int
lt_http_test_content_type(lt_http_request_t *r, lt_array_t *types)
{
    size_t     i, len;
    u_char    *p;
    lt_str_t  *type;

    if (types == LT_HTTP_TYPES_ANY) {
        return 1;
    }

    if (types == NULL || types == LT_CONF_UNSET_PTR
        || r->headers_out.content_type.len == 0)
    {
        return 0;
    }

    p = r->headers_out.content_type.data;
    len = r->headers_out.content_type_len;

    if (len == 0 || len > r->headers_out.content_type.len) {
        /* the media type ends at the first parameter */
        for (len = 0; len < r->headers_out.content_type.len; len++) {
            if (p[len] == ';' || p[len] == ' ' || p[len] == '\t') {
                break;
            }
        }
    }

    type = types->elts;

    for (i = 0; i < types->nelts; i++) {
        if (type[i].len == len && lt_strncasecmp(type[i].data, p, len) == 0) {
            return 1;
        }
    }

    return 0;
}
