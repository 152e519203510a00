/*
 * lt_http_types.h: MIME type lists of directives such as charset_types, gzip_types,
 * brotli_types and zstd_types, and the test of a response's type against them.
 *
 * As nginx: the directive may be repeated and each occurrence adds to the list; an
 * explicit list always contains the module's first default type (text/html for the
 * compression filters); "*" matches any type; a type given twice is warned about.
 * A level without the directive inherits its parent's list, or the defaults.
 */

#ifndef LT_HTTP_TYPES_H
#define LT_HTTP_TYPES_H

#include "lt_core.h"
#include "lt_http_request.h"

/* the value of a list that matches every type ("*") */
#define LT_HTTP_TYPES_ANY  ((lt_array_t *) 1)

/* defaults given to lt_http_types_slot through the command's post field */
typedef struct {
    lt_str_t    *types;         /* the first is kept in every explicit list */
    size_t       n;
} lt_http_types_default_t;

/* lt_http_types_slot: the directive setter; the field is an lt_array_t * of lowercase
 * lt_str_t (LT_CONF_UNSET_PTR in create_conf); cmd->post is an lt_http_types_default_t */
char *lt_http_types_slot(lt_conf_t *cf, lt_command_t *cmd, void *conf);

/* lt_http_merge_types: child <- parent <- defaults; LT_CONF_OK or LT_CONF_ERROR */
char *lt_http_merge_types(lt_conf_t *cf, lt_array_t **conf, lt_array_t **prev,
    const lt_http_types_default_t *defaults);

/* lt_http_test_content_type: 1 when the response's media type (without parameters,
 * case-insensitive) is in types, else 0 */
int lt_http_test_content_type(lt_http_request_t *r, lt_array_t *types);

#endif /* LT_HTTP_TYPES_H */
