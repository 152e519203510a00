/*
 * lt_http_variables.h: $variables. A variable is evaluated lazily, when a
 * directive that uses it runs, and cached for the request unless it is marked
 * no-cacheable. Directives refer to variables by index (resolved while the
 * configuration is read), never by name at run time.
 *
 * Complex values ("text with $vars and ${vars}x and $1") are compiled once into
 * parts and evaluated per request into one string.
 */

#ifndef LT_HTTP_VARIABLES_H
#define LT_HTTP_VARIABLES_H

#include "lt_core.h"
#include "lt_http_request.h"

struct lt_http_variable_value_s {
    unsigned     len:28;
    unsigned     valid:1;
    unsigned     no_cacheable:1;
    unsigned     not_found:1;
    unsigned     escape:1;
    u_char      *data;
};

typedef struct lt_http_variable_s  lt_http_variable_t;

typedef void (*lt_http_set_variable_pt)(lt_http_request_t *r, lt_http_variable_value_t *v,
    uintptr_t data);
typedef int (*lt_http_get_variable_pt)(lt_http_request_t *r, lt_http_variable_value_t *v,
    uintptr_t data);

/* flags */
#define LT_HTTP_VAR_CHANGEABLE   1      /* "set" may assign it */
#define LT_HTTP_VAR_NOCACHEABLE  2      /* evaluate on every use */
#define LT_HTTP_VAR_INDEXED      4
#define LT_HTTP_VAR_NOHASH       8      /* not reachable by name at run time */
#define LT_HTTP_VAR_WEAK         16     /* a later definition may replace it */
#define LT_HTTP_VAR_PREFIX       32     /* $http_, $arg_, ...: the name is a prefix */

struct lt_http_variable_s {
    lt_str_t                  name;     /* lowercase */
    lt_http_set_variable_pt   set_handler;
    lt_http_get_variable_pt   get_handler;
    uintptr_t                 data;
    unsigned                  flags;
    unsigned                  index;
};

#define lt_http_null_variable  { lt_null_string, NULL, NULL, 0, 0, 0 }

/* lt_http_add_variable: declares $name (at configuration time); returns the
 * existing one when it is changeable and so is the request, else NULL with an
 * error "conflicting variable name" */
lt_http_variable_t *lt_http_add_variable(lt_conf_t *cf, lt_str_t *name, unsigned flags);

/* lt_http_get_variable_index: the index a directive uses for $name (it need not be
 * declared yet: "unknown variable" is reported when the http{} block ends) */
int lt_http_get_variable_index(lt_conf_t *cf, lt_str_t *name);

lt_http_variable_value_t *lt_http_get_indexed_variable(lt_http_request_t *r, unsigned index);
/* lt_http_get_flushed_variable: re-evaluates a no-cacheable variable */
lt_http_variable_value_t *lt_http_get_flushed_variable(lt_http_request_t *r,
    unsigned index);

/* lt_http_get_variable: by lowercase name and its hash, at run time (ssi, log) */
lt_http_variable_value_t *lt_http_get_variable(lt_http_request_t *r, lt_str_t *name,
    uintptr_t key);

/* lt_http_variable_unknown_header: $http_NAME and $sent_http_NAME lookups */
int lt_http_variable_unknown_header(lt_http_request_t *r, lt_http_variable_value_t *v,
    lt_str_t *var, lt_list_t *headers, size_t prefix);

/* configuration hooks of the http{} block */
int lt_http_variables_add_core_vars(lt_conf_t *cf);
int lt_http_variables_init_vars(lt_conf_t *cf);

extern lt_http_variable_value_t  lt_http_variable_null_value;
extern lt_http_variable_value_t  lt_http_variable_true_value;

/* regular expressions with captures into $1..$9 and named $variables */
typedef struct {
    unsigned                  capture;
    int                       index;
} lt_http_regex_variable_t;

typedef struct {
    lt_regex_t               *regex;
    unsigned                  ncaptures;
    lt_http_regex_variable_t *variables;
    unsigned                  nvariables;
    lt_str_t                  name;     /* the pattern, for messages */
} lt_http_regex_t;

/* lt_http_regex_compile: compiles rc and declares its named captures as variables;
 * NULL on error (reported) */
lt_http_regex_t *lt_http_regex_compile(lt_conf_t *cf, lt_regex_compile_t *rc);

/* lt_http_regex_exec: matches s; on a match, r's captures and the named capture
 * variables are set. LT_OK, LT_DECLINED (no match), LT_ERROR */
int lt_http_regex_exec(lt_http_request_t *r, lt_http_regex_t *re, lt_str_t *s);

/* complex values */
typedef struct lt_http_cv_part_s  lt_http_cv_part_t;

typedef struct {
    lt_str_t                  value;        /* the text as written */
    lt_http_cv_part_t        *parts;        /* NULL: value is a plain string */
    size_t                    nparts;
    unsigned                  captures:1;   /* uses $1..$9 */
} lt_http_complex_value_t;

typedef struct {
    lt_conf_t                *cf;
    lt_str_t                 *value;
    lt_http_complex_value_t  *complex_value;
    unsigned                  zero:1;       /* the result is NUL-terminated */
    unsigned                  conf_prefix:1;/* a relative result is made absolute */
    unsigned                  root_prefix:1;
} lt_http_compile_complex_value_t;

/* lt_http_compile_complex_value: parses "$var", "${var}", "$1" in ccv->value;
 * errors (unknown variable syntax) are reported with the directive's location */
int lt_http_compile_complex_value(lt_http_compile_complex_value_t *ccv);

/* lt_http_complex_value: evaluates val for r into value (pool memory, or the
 * plain string itself) */
int lt_http_complex_value(lt_http_request_t *r, lt_http_complex_value_t *val,
    lt_str_t *value);

/* lt_http_complex_value_captures: like lt_http_complex_value, with $1..$9 taken
 * from explicit captures (rewrite) */
int lt_http_complex_value_captures(lt_http_request_t *r, lt_http_complex_value_t *val,
    lt_str_t *value, int *captures, unsigned ncaptures, u_char *data, size_t extra);

/* lt_http_script_variable_name: the name of "$name" or "${name}" at p (after the
 * "$"; empty when none); the end of it, or NULL after logging a missing "}" */
u_char *lt_http_script_variable_name(lt_conf_t *cf, u_char *p, u_char *end, lt_str_t *name);

/* lt_http_set_complex_value_size_slot: the same, for a size ("limit_rate 100k"
 * or "limit_rate $x"): a constant must be a valid size */
char *lt_http_set_complex_value_size_slot(lt_conf_t *cf, lt_command_t *cmd, void *conf);

/* lt_http_conf_variable_name: a directive's "$name" argument as "name"; LT_ERROR
 * after logging "invalid variable name" */
int lt_http_conf_variable_name(lt_conf_t *cf, const lt_str_t *arg, lt_str_t *name);

/* lt_http_set_complex_value_slot: a generic setter for a directive taking one
 * complex value (field: lt_http_complex_value_t *) */
char *lt_http_set_complex_value_slot(lt_conf_t *cf, lt_command_t *cmd, void *conf);

/* lt_http_script_variables_count: $ signs in a string: does it need compiling */
size_t lt_http_script_variables_count(lt_str_t *value);

#endif /* LT_HTTP_VARIABLES_H */
