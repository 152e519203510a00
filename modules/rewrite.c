/*
 * rewrite.c: the rewrite module (http_rewrite): rewrite, return, set, if, break,
 * rewrite_log and uninitialized_variable_warn, with nginx's semantics.
 *
 * The directives of a server{} or location{} compile into one flat array of
 * operations, in configuration order. The directives inside an "if" block are
 * compiled into the same array as the block's parent, right after the IF
 * operation, which records where its body ends: when the condition is false
 * the interpreter jumps there, when it is true it runs the body and goes on
 * after it (an "if" is not a branch that ends processing, as in nginx). The
 * body's own configuration (root, error_page, ...) is a nested, nameless
 * location: a true condition inside a location switches r->loc_conf to it.
 *
 * Server-level operations run in the SERVER_REWRITE phase, location-level ones
 * in the REWRITE phase. They are not inherited: a location runs only its own.
 *
 * Values of set, of if conditions and rewrite replacements are evaluated by a
 * small engine of this module rather than lt_http_complex_value(), because
 * nginx escapes regex captures in some of them: a capture copied into the
 * arguments part of a replacement, into a redirect, or into a set/if value
 * before any rewrite matched, is percent-encoded when the request's URI had
 * escapes ("%") or a "+".
 */

#include "lt_http.h"

/* the parts of a value */
#define LT_HTTP_RW_TEXT     0
#define LT_HTTP_RW_VAR      1
#define LT_HTTP_RW_CAPTURE  2
#define LT_HTTP_RW_ARGS     3   /* replacement only: "?" starts the arguments */

typedef struct {
    unsigned                  type;
    unsigned                  index;    /* variable index, or capture number * 2 */
    lt_str_t                  text;
} lt_http_rewrite_part_t;

/* a value with $variables and $1..$9 */
typedef struct {
    lt_str_t                  text;     /* as written, NUL-terminated */
    lt_http_rewrite_part_t   *parts;    /* NULL: the text is the value */
    size_t                    nparts;
    unsigned                  args:1;   /* has a "?" */
} lt_http_rewrite_value_t;

/* operations */
#define LT_HTTP_RW_OP_REWRITE  0
#define LT_HTTP_RW_OP_RETURN   1
#define LT_HTTP_RW_OP_SET      2
#define LT_HTTP_RW_OP_BREAK    3
#define LT_HTTP_RW_OP_IF       4

/* conditions */
#define LT_HTTP_RW_COND_VAR    0    /* $var: not "" and not "0" */
#define LT_HTTP_RW_COND_EQ     1    /* $var = value, $var != value (negative) */
#define LT_HTTP_RW_COND_REGEX  2    /* $var ~ re, ~*, !~, !~* */
#define LT_HTTP_RW_COND_FILE   3    /* -f -d -e -x, !-f ... (negative) */

#define LT_HTTP_RW_FILE_PLAIN  'f'
#define LT_HTTP_RW_FILE_DIR    'd'
#define LT_HTTP_RW_FILE_EXISTS 'e'
#define LT_HTTP_RW_FILE_EXEC   'x'

typedef struct {
    lt_http_regex_t          *regex;
    lt_http_rewrite_value_t   replacement;
    unsigned                  status;       /* 301 or 302 for a redirect */
    unsigned                  redirect:1;
    unsigned                  last:1;       /* a match ends the operations */
    unsigned                  break_cycle:1;
    unsigned                  add_args:1;   /* no final "?": keep the request's args */
} lt_http_rewrite_rule_t;

typedef struct {
    unsigned                  status;
    lt_http_complex_value_t   text;
    unsigned                  has_text:1;
} lt_http_rewrite_return_t;

typedef struct {
    unsigned                  index;
    lt_http_set_variable_pt   set_handler;
    uintptr_t                 data;
    lt_http_rewrite_value_t   value;
} lt_http_rewrite_set_t;

typedef struct {
    unsigned                  type;
    unsigned                  negative:1;
    unsigned                  file_op;      /* LT_HTTP_RW_FILE_* */
    unsigned                  index;        /* the variable tested */
    lt_http_rewrite_value_t   value;        /* the operand of = != and the file tests */
    lt_http_regex_t          *regex;
    void                    **loc_conf;     /* the block's confs; NULL in server{} */
    size_t                    next;         /* the operation after the block */
} lt_http_rewrite_if_t;

typedef struct {
    unsigned                  type;         /* LT_HTTP_RW_OP_* */
    union {
        lt_http_rewrite_rule_t    rule;
        lt_http_rewrite_return_t  ret;
        lt_http_rewrite_set_t     set;
        lt_http_rewrite_if_t      cond;
    } u;
} lt_http_rewrite_op_t;

typedef struct {
    lt_array_t               *ops;          /* lt_http_rewrite_op_t; NULL: none */
    int                       log;
    int                       uninitialized_variable_warn;
} lt_http_rewrite_loc_conf_t;

/* the interpreter's state for one run of a level's operations */
typedef struct {
    lt_http_request_t        *request;
    unsigned                  quote:1;      /* escape captures (see the top comment) */
    unsigned                  log:1;
} lt_http_rewrite_engine_t;

static void *lt_http_rewrite_create_loc_conf(lt_conf_t *cf);
static char *lt_http_rewrite_merge_loc_conf(lt_conf_t *cf, void *parent, void *child);
static int lt_http_rewrite_init(lt_conf_t *cf);
static char *lt_http_rewrite(lt_conf_t *cf, lt_command_t *cmd, void *conf);
static char *lt_http_rewrite_return(lt_conf_t *cf, lt_command_t *cmd, void *conf);
static char *lt_http_rewrite_break(lt_conf_t *cf, lt_command_t *cmd, void *conf);
static char *lt_http_rewrite_if(lt_conf_t *cf, lt_command_t *cmd, void *conf);
static char *lt_http_rewrite_set(lt_conf_t *cf, lt_command_t *cmd, void *conf);

#define LT_HTTP_RW_CONF  (LT_CTX_SERVER | LT_CTX_SIF | LT_CTX_LOCATION | LT_CTX_LIF)

static lt_command_t  lt_http_rewrite_commands[] = {

    { "rewrite", LT_HTTP_RW_CONF, 2, 3, lt_http_rewrite, LT_LOC_CONF, 0, NULL },

    { "return", LT_HTTP_RW_CONF, 1, 2, lt_http_rewrite_return, LT_LOC_CONF, 0, NULL },

    { "break", LT_HTTP_RW_CONF, 0, 0, lt_http_rewrite_break, LT_LOC_CONF, 0, NULL },

    { "if", LT_CTX_SERVER | LT_CTX_LOCATION | LT_CONF_BLOCK, 1, LT_CONF_MANY,
      lt_http_rewrite_if, LT_LOC_CONF, 0, NULL },

    { "set", LT_HTTP_RW_CONF, 2, 2, lt_http_rewrite_set, LT_LOC_CONF, 0, NULL },

    { "rewrite_log", LT_CTX_HTTP | LT_HTTP_RW_CONF, 1, 1, lt_conf_set_flag_slot, LT_LOC_CONF,
      offsetof(lt_http_rewrite_loc_conf_t, log), NULL },

    { "uninitialized_variable_warn", LT_CTX_HTTP | LT_HTTP_RW_CONF, 1, 1,
      lt_conf_set_flag_slot, LT_LOC_CONF,
      offsetof(lt_http_rewrite_loc_conf_t, uninitialized_variable_warn), NULL },

    lt_null_command
};

lt_module_t  lt_http_rewrite_module = {
    .name = "http_rewrite",
    .type = LT_HTTP_MODULE,
    .commands = lt_http_rewrite_commands,
    .postconfiguration = lt_http_rewrite_init,
    .create_loc_conf = lt_http_rewrite_create_loc_conf,
    .merge_loc_conf = lt_http_rewrite_merge_loc_conf,
};


/* values: compiling */

/* lt_http_rewrite_compile_variable: "$name", "${name}" or "$1" at p (after the "$") */
static u_char *
lt_http_rewrite_compile_variable(lt_conf_t *cf, u_char *p, u_char *end,
    lt_http_rewrite_part_t *part)
{
    int        index;
    lt_str_t   name;

    if (p == end) {
        lt_conf_log_error(LT_LOG_EMERG, cf, 0, "invalid variable name");
        return NULL;
    }

    if (*p >= '1' && *p <= '9') {
        part->type = LT_HTTP_RW_CAPTURE;
        part->index = 2 * (unsigned) (*p - '0');
        return p + 1;
    }

    p = lt_http_script_variable_name(cf, p, end, &name);
    if (p == NULL) {
        return NULL;
    }

    if (name.len == 0) {
        lt_conf_log_error(LT_LOG_EMERG, cf, 0, "invalid variable name");
        return NULL;
    }

    index = lt_http_get_variable_index(cf, &name);
    if (index == LT_ERROR) {
        return NULL;
    }

    part->type = LT_HTTP_RW_VAR;
    part->index = (unsigned) index;

    return p;
}


/* lt_http_rewrite_compile_value: parses src into val; split_args: the first "?"
 * separates the URI from the arguments (a replacement that is not a redirect) */
static int
lt_http_rewrite_compile_value(lt_conf_t *cf, lt_str_t *src, lt_http_rewrite_value_t *val,
    unsigned split_args)
{
    u_char                  *p, *end, *start;
    size_t                   n;
    lt_http_rewrite_part_t  *part;

    lt_memzero(val, sizeof(lt_http_rewrite_value_t));

    val->text.len = src->len;
    val->text.data = lt_pstrdup(cf->pool, src);
    if (val->text.data == NULL) {
        return LT_ERROR;
    }

    val->args = (memchr(src->data, '?', src->len) != NULL);

    n = lt_http_script_variables_count(src);

    if (n == 0 && !(split_args && val->args)) {
        return LT_OK;
    }

    /* at most a text part around each variable, and the "?" */
    val->parts = lt_palloc(cf->pool, (2 * n + 3) * sizeof(lt_http_rewrite_part_t));
    if (val->parts == NULL) {
        return LT_ERROR;
    }

    p = val->text.data;
    end = p + val->text.len;

    while (p < end) {
        part = &val->parts[val->nparts];

        if (*p == '$') {
            p = lt_http_rewrite_compile_variable(cf, p + 1, end, part);
            if (p == NULL) {
                return LT_ERROR;
            }

            val->nparts++;
            continue;
        }

        if (*p == '?' && split_args) {
            split_args = 0;
            part->type = LT_HTTP_RW_ARGS;
            val->nparts++;
            p++;
            continue;
        }

        start = p;

        while (p < end && *p != '$' && !(*p == '?' && split_args)) {
            p++;
        }

        part->type = LT_HTTP_RW_TEXT;
        part->index = 0;
        part->text.data = start;
        part->text.len = p - start;
        val->nparts++;
    }

    return LT_OK;
}


/* values: evaluating */

/* lt_http_rewrite_capture: capture part n of the last match, or NULL */
static u_char *
lt_http_rewrite_capture(lt_http_request_t *r, unsigned n, size_t *len)
{
    if (r->captures == NULL || n + 1 >= r->ncaptures || r->captures[n] < 0
        || r->captures[n + 1] < r->captures[n])
    {
        return NULL;
    }

    *len = (size_t) (r->captures[n + 1] - r->captures[n]);

    return r->captures_data + r->captures[n];
}


/* lt_http_rewrite_value_part: the length of a part (buf NULL) or writes it at buf
 * and returns its end; escape: captures are percent-encoded */
static size_t
lt_http_rewrite_value_part(lt_http_request_t *r, lt_http_rewrite_part_t *part, unsigned escape,
    u_char *buf)
{
    u_char                    *data;
    size_t                     len;
    lt_http_variable_value_t  *vv;

    switch (part->type) {

    case LT_HTTP_RW_TEXT:
        data = part->text.data;
        len = part->text.len;
        break;

    case LT_HTTP_RW_VAR:
        vv = lt_http_get_indexed_variable(r, part->index);

        if (vv == NULL || vv->not_found) {
            return 0;
        }

        data = vv->data;
        len = vv->len;
        break;

    case LT_HTTP_RW_CAPTURE:
        data = lt_http_rewrite_capture(r, part->index, &len);
        if (data == NULL) {
            return 0;
        }

        if (escape) {
            if (buf == NULL) {
                return lt_escape_uri_len(data, len, LT_ESCAPE_ARGS);
            }

            return (size_t) (lt_escape_uri(buf, data, len, LT_ESCAPE_ARGS) - buf);
        }

        break;

    default:
        return 0;
    }

    if (buf && len) {
        memcpy(buf, data, len);
    }

    return len;
}


/* lt_http_rewrite_eval: evaluates val into out (request pool, NUL-terminated, extra
 * bytes more room); quote: escape captures before the arguments too; *args gets the
 * offset where the arguments start (after the "?", which is not copied), or -1.
 * LT_OK or LT_ERROR */
static int
lt_http_rewrite_eval(lt_http_request_t *r, lt_http_rewrite_value_t *val, unsigned quote,
    size_t extra, lt_str_t *out, ssize_t *args)
{
    size_t                     i, len;
    u_char                    *p;
    unsigned                   quoted, escape;
    lt_http_variable_value_t  *vv;

    if (args) {
        *args = -1;
    }

    if (val->parts == NULL && extra == 0) {
        *out = val->text;
        return LT_OK;
    }

    if (val->parts == NULL) {
        out->data = lt_pnalloc(r->pool, val->text.len + extra + 1);
        if (out->data == NULL) {
            return LT_ERROR;
        }

        out->len = val->text.len;
        memcpy(out->data, val->text.data, val->text.len + 1);
        return LT_OK;
    }

    quoted = (r->quoted_uri || r->plus_in_uri);

    /* the no-cacheable variables are evaluated anew, once: both passes must see
     * the same values */
    for (i = 0; i < val->nparts; i++) {
        if (val->parts[i].type == LT_HTTP_RW_VAR) {
            vv = &r->variables[val->parts[i].index];

            if (vv->no_cacheable) {
                vv->valid = 0;
                vv->not_found = 0;
            }
        }
    }

    /* pass 1: the length (it evaluates the variables, which stay cached) */

    escape = quote && quoted;
    len = 0;

    for (i = 0; i < val->nparts; i++) {
        if (val->parts[i].type == LT_HTTP_RW_ARGS) {
            escape = quoted;
            continue;
        }

        len += lt_http_rewrite_value_part(r, &val->parts[i], escape, NULL);
    }

    out->data = lt_pnalloc(r->pool, len + extra + 1);
    if (out->data == NULL) {
        return LT_ERROR;
    }

    /* pass 2: the bytes */

    escape = quote && quoted;
    p = out->data;

    for (i = 0; i < val->nparts; i++) {
        if (val->parts[i].type == LT_HTTP_RW_ARGS) {
            escape = quoted;

            if (args) {
                *args = p - out->data;
            }

            continue;
        }

        p += lt_http_rewrite_value_part(r, &val->parts[i], escape, p);
    }

    *p = '\0';
    out->len = p - out->data;

    return LT_OK;
}


/* lt_http_rewrite_unescape_redirect: decodes a redirect's "%XX" in place as nginx
 * does (LT_UNESCAPE_REDIRECT: escapes that would split the header or change the
 * URL's meaning stay encoded; a "?", literal or decoded, ends the decoding and the
 * arguments are kept as written). Returns the new length. */
static size_t
lt_http_rewrite_unescape_redirect(u_char *data, size_t len)
{
    u_char  *d, *s;
    size_t   rest;

    d = data;
    s = data;

    lt_unescape_uri(&d, &s, len, LT_UNESCAPE_REDIRECT);

    rest = data + len - s;
    memmove(d, s, rest);

    return d + rest - data;
}


/* operations */

/* lt_http_rewrite_redirect: a matched "rewrite ... redirect": Location and status */
static int
lt_http_rewrite_redirect(lt_http_rewrite_engine_t *e, lt_http_rewrite_rule_t *rule,
    lt_str_t *buf)
{
    u_char             *p;
    lt_http_request_t  *r;

    r = e->request;

    buf->len = lt_http_rewrite_unescape_redirect(buf->data, buf->len);

    if (rule->add_args && r->args.len) {
        p = buf->data + buf->len;
        *p++ = rule->replacement.args ? '&' : '?';
        p = lt_cpymem(p, r->args.data, r->args.len);
        buf->len = p - buf->data;
    }

    if (e->log) {
        lt_log_error(LT_LOG_NOTICE, r->connection->log, 0, "rewritten redirect: \"%.*s\"",
                     (int) buf->len, buf->data);
    }

    lt_http_clear_location(r);

    r->headers_out.location = lt_list_push(&r->headers_out.headers);
    if (r->headers_out.location == NULL) {
        return LT_HTTP_INTERNAL_SERVER_ERROR;
    }

    r->headers_out.location->hash = 1;
    r->headers_out.location->next = NULL;
    lt_str_set(&r->headers_out.location->key, "Location");
    r->headers_out.location->value = *buf;

    return (int) rule->status;
}


/* lt_http_rewrite_rule: a rewrite directive. LT_DECLINED: no match; LT_OK: the URI
 * was rewritten; an HTTP status: a redirect, or an error */
static int
lt_http_rewrite_rule(lt_http_rewrite_engine_t *e, lt_http_rewrite_rule_t *rule)
{
    int                  rc;
    u_char              *p;
    size_t               extra;
    ssize_t              args;
    lt_str_t             buf, subject;
    lt_http_request_t   *r;

    r = e->request;
    subject = r->uri;

    rc = lt_http_regex_exec(r, rule->regex, &subject);

    if (rc == LT_DECLINED) {
        if (e->log) {
            lt_log_error(LT_LOG_NOTICE, r->connection->log, 0,
                         "\"%.*s\" does not match \"%.*s\"", (int) rule->regex->name.len,
                         rule->regex->name.data, (int) subject.len, subject.data);
        }

        r->ncaptures = 0;
        return LT_DECLINED;
    }

    if (rc != LT_OK) {
        return LT_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (e->log) {
        lt_log_error(LT_LOG_NOTICE, r->connection->log, 0, "\"%.*s\" matches \"%.*s\"",
                     (int) rule->regex->name.len, rule->regex->name.data,
                     (int) subject.len, subject.data);
    }

    r->internal = 1;
    r->valid_unparsed_uri = 0;

    if (rule->break_cycle) {
        r->valid_location = 0;
        r->uri_changed = 0;

    } else {
        r->uri_changed = 1;
    }

    /* always a copy of its own: a redirect is decoded in place, and the room for
     * "&args" or "?args" */
    extra = r->args.len + 1;

    if (lt_http_rewrite_eval(r, &rule->replacement, rule->redirect, extra, &buf, &args)
        != LT_OK)
    {
        return LT_HTTP_INTERNAL_SERVER_ERROR;
    }

    e->quote = 0;

    if (rule->redirect) {
        return lt_http_rewrite_redirect(e, rule, &buf);
    }

    if (args >= 0) {
        /* "uri?new-args": the request's arguments follow, after "&" */
        p = buf.data + buf.len;

        if (rule->add_args && r->args.len) {
            *p++ = '&';
            p = lt_cpymem(p, r->args.data, r->args.len);
        }

        r->args.data = buf.data + args;
        r->args.len = p - r->args.data;
        buf.len = (size_t) args;

    } else if (!rule->add_args) {
        r->args.len = 0;
    }

    if (e->log) {
        lt_log_error(LT_LOG_NOTICE, r->connection->log, 0,
                     "rewritten data: \"%.*s\", args: \"%.*s\"", (int) buf.len, buf.data,
                     (int) r->args.len, r->args.data);
    }

    if (buf.len == 0) {
        lt_log_error(LT_LOG_ERR, r->connection->log, 0, "the rewritten URI has a zero length");
        return LT_HTTP_INTERNAL_SERVER_ERROR;
    }

    r->uri = buf;
    lt_http_set_exten(r);

    return LT_OK;
}


/* lt_http_rewrite_return_op: "return code [text]"; like nginx, a code below 400 or
 * a text is sent as a response here, a bare error code goes to error_page */
static int
lt_http_rewrite_return_op(lt_http_request_t *r, lt_http_rewrite_return_t *ret)
{
    if (ret->status < LT_HTTP_BAD_REQUEST || ret->has_text) {
        return lt_http_send_response(r, ret->status, NULL, &ret->text);
    }

    return (int) ret->status;
}


static int
lt_http_rewrite_set_op(lt_http_rewrite_engine_t *e, lt_http_rewrite_set_t *set)
{
    lt_str_t                   value;
    lt_http_request_t         *r;
    lt_http_variable_value_t  *vv, v;

    r = e->request;

    if (lt_http_rewrite_eval(r, &set->value, e->quote, 0, &value, NULL) != LT_OK) {
        return LT_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (set->set_handler) {
        lt_memzero(&v, sizeof(lt_http_variable_value_t));
        v.len = (unsigned) value.len;
        v.data = value.data;
        v.valid = 1;

        set->set_handler(r, &v, set->data);
        return LT_OK;
    }

    vv = &r->variables[set->index];
    vv->len = (unsigned) value.len;
    vv->data = value.data;
    vv->valid = 1;
    vv->no_cacheable = 0;
    vv->not_found = 0;

    return LT_OK;
}


/* lt_http_rewrite_file_test: -f -d -e -x on a path. 1, 0, or LT_ERROR */
static int
lt_http_rewrite_file_test(lt_http_request_t *r, lt_http_rewrite_if_t *cond, lt_str_t *path)
{
    int          found, err;
    struct stat  st;

    if (stat((char *) path->data, &st) == -1) {
        err = errno;

        if (err != ENOENT && err != ENOTDIR && err != ENAMETOOLONG) {
            lt_log_error(LT_LOG_CRIT, r->connection->log, err, "stat() \"%s\" failed",
                         path->data);
        }

        return cond->negative;
    }

    switch (cond->file_op) {

    case LT_HTTP_RW_FILE_PLAIN:
        found = S_ISREG(st.st_mode);
        break;

    case LT_HTTP_RW_FILE_DIR:
        found = S_ISDIR(st.st_mode);
        break;

    case LT_HTTP_RW_FILE_EXEC:
        found = (st.st_mode & S_IXUSR) != 0;
        break;

    default: /* LT_HTTP_RW_FILE_EXISTS */
        found = S_ISREG(st.st_mode) || S_ISDIR(st.st_mode) || S_ISLNK(st.st_mode);
        break;
    }

    return cond->negative ? !found : found;
}


/* lt_http_rewrite_test: an if condition. 1 (true), 0, or LT_ERROR */
static int
lt_http_rewrite_test(lt_http_rewrite_engine_t *e, lt_http_rewrite_if_t *cond)
{
    int                        rc;
    lt_str_t                   subject, value;
    lt_http_request_t         *r;
    lt_http_variable_value_t  *vv;

    r = e->request;

    if (cond->type == LT_HTTP_RW_COND_FILE) {
        if (lt_http_rewrite_eval(r, &cond->value, e->quote, 0, &value, NULL) != LT_OK) {
            return LT_ERROR;
        }

        return lt_http_rewrite_file_test(r, cond, &value);
    }

    vv = lt_http_get_flushed_variable(r, cond->index);

    if (vv && !vv->not_found) {
        subject.len = vv->len;
        subject.data = vv->data;

    } else {
        lt_str_set(&subject, "");
    }

    switch (cond->type) {

    case LT_HTTP_RW_COND_VAR:
        return subject.len && (subject.len != 1 || subject.data[0] != '0');

    case LT_HTTP_RW_COND_EQ:
        if (lt_http_rewrite_eval(r, &cond->value, e->quote, 0, &value, NULL) != LT_OK) {
            return LT_ERROR;
        }

        rc = (subject.len == value.len && memcmp(subject.data, value.data, value.len) == 0);

        return cond->negative ? !rc : rc;

    default: /* LT_HTTP_RW_COND_REGEX */
        break;
    }

    rc = lt_http_regex_exec(r, cond->regex, &subject);

    if (rc == LT_ERROR) {
        return LT_ERROR;
    }

    if (e->log) {
        lt_log_error(LT_LOG_NOTICE, r->connection->log, 0,
                     rc == LT_OK ? "\"%.*s\" matches \"%.*s\""
                                 : "\"%.*s\" does not match \"%.*s\"",
                     (int) cond->regex->name.len, cond->regex->name.data,
                     (int) subject.len, subject.data);
    }

    if (rc == LT_DECLINED) {
        r->ncaptures = 0;
    }

    rc = (rc == LT_OK);

    return cond->negative ? !rc : rc;
}


/* lt_http_rewrite_run: interprets a level's operations. LT_DECLINED to go on with
 * the request, or an HTTP status / the result of a response sent by "return" */
static int
lt_http_rewrite_run(lt_http_rewrite_engine_t *e, lt_array_t *ops_array)
{
    int                    rc;
    size_t                 i, n;
    lt_http_request_t     *r;
    lt_http_rewrite_op_t  *ops, *op;

    r = e->request;
    ops = ops_array->elts;
    n = ops_array->nelts;

    for (i = 0; i < n; /* void */ ) {
        op = &ops[i];

        switch (op->type) {

        case LT_HTTP_RW_OP_IF:
            rc = lt_http_rewrite_test(e, &op->u.cond);

            if (rc == LT_ERROR) {
                return LT_HTTP_INTERNAL_SERVER_ERROR;
            }

            if (rc == 0) {
                i = op->u.cond.next;
                continue;
            }

            if (op->u.cond.loc_conf) {
                r->loc_conf = op->u.cond.loc_conf;
                lt_http_update_location_config(r);
            }

            break;

        case LT_HTTP_RW_OP_REWRITE:
            rc = lt_http_rewrite_rule(e, &op->u.rule);

            if (rc == LT_DECLINED) {
                break;
            }

            if (rc != LT_OK) {
                return rc;
            }

            if (op->u.rule.last) {
                return LT_DECLINED;
            }

            break;

        case LT_HTTP_RW_OP_SET:
            rc = lt_http_rewrite_set_op(e, &op->u.set);

            if (rc != LT_OK) {
                return rc;
            }

            break;

        case LT_HTTP_RW_OP_RETURN:
            return lt_http_rewrite_return_op(r, &op->u.ret);

        default: /* LT_HTTP_RW_OP_BREAK */
            if (r->uri_changed) {
                r->valid_location = 0;
                r->uri_changed = 0;
            }

            return LT_DECLINED;
        }

        i++;
    }

    return LT_DECLINED;
}


/* the phase handler of both SERVER_REWRITE and REWRITE */
static int
lt_http_rewrite_handler(lt_http_request_t *r)
{
    lt_http_core_srv_conf_t     *cscf;
    lt_http_core_main_conf_t    *cmcf;
    lt_http_rewrite_engine_t     e;
    lt_http_rewrite_loc_conf_t  *rlcf;

    cmcf = lt_http_get_module_main_conf(r, lt_http_core_module);
    cscf = lt_http_get_module_srv_conf(r, lt_http_core_module);

    if ((unsigned) r->phase_handler >= cmcf->phase_engine.location_rewrite_index
        && r->loc_conf == cscf->ctx->loc_conf)
    {
        /* no location matched: the server's operations ran already */
        return LT_DECLINED;
    }

    rlcf = lt_http_get_module_loc_conf(r, lt_http_rewrite_module);

    if (rlcf->ops == NULL) {
        return LT_DECLINED;
    }

    e.request = r;
    e.quote = 1;
    e.log = rlcf->log ? 1 : 0;

    return lt_http_rewrite_run(&e, rlcf->ops);
}


/* the getter of variables declared by "set": used only before a set ran */
static int
lt_http_rewrite_var(lt_http_request_t *r, lt_http_variable_value_t *v, uintptr_t data)
{
    lt_http_variable_t          *var;
    lt_http_core_main_conf_t    *cmcf;
    lt_http_rewrite_loc_conf_t  *rlcf;

    rlcf = r->loc_conf ? lt_http_get_module_loc_conf(r, lt_http_rewrite_module) : NULL;

    if (rlcf && rlcf->uninitialized_variable_warn) {
        cmcf = lt_http_get_module_main_conf(r, lt_http_core_module);
        var = cmcf->variables.elts;

        lt_log_error(LT_LOG_WARN, r->connection->log, 0, "using uninitialized \"%.*s\" variable",
                     (int) var[data].name.len, var[data].name.data);
    }

    *v = lt_http_variable_null_value;

    return LT_OK;
}


/* configuration */

static void *
lt_http_rewrite_create_loc_conf(lt_conf_t *cf)
{
    lt_http_rewrite_loc_conf_t  *conf;

    conf = lt_pcalloc(cf->pool, sizeof(lt_http_rewrite_loc_conf_t));
    if (conf == NULL) {
        return NULL;
    }

    conf->ops = NULL;
    conf->log = LT_CONF_UNSET;
    conf->uninitialized_variable_warn = LT_CONF_UNSET;

    return conf;
}


/* the operations are not inherited: a level runs its own only */
static char *
lt_http_rewrite_merge_loc_conf(lt_conf_t *cf, void *parent, void *child)
{
    lt_http_rewrite_loc_conf_t  *prev = parent;
    lt_http_rewrite_loc_conf_t  *conf = child;

    lt_conf_merge_value(conf->log, prev->log, 0);
    lt_conf_merge_value(conf->uninitialized_variable_warn, prev->uninitialized_variable_warn,
                        1);

    return LT_CONF_OK;
}


static int
lt_http_rewrite_init(lt_conf_t *cf)
{
    if (lt_http_add_phase_handler(cf, LT_HTTP_SERVER_REWRITE_PHASE, lt_http_rewrite_handler)
        != LT_OK)
    {
        return LT_ERROR;
    }

    return lt_http_add_phase_handler(cf, LT_HTTP_REWRITE_PHASE, lt_http_rewrite_handler);
}


/* lt_http_rewrite_push: a new operation at the end of the level's array */
static lt_http_rewrite_op_t *
lt_http_rewrite_push(lt_conf_t *cf, lt_http_rewrite_loc_conf_t *rlcf, unsigned type)
{
    lt_http_rewrite_op_t  *op;

    if (rlcf->ops == NULL) {
        rlcf->ops = lt_array_create(cf->pool, 4, sizeof(lt_http_rewrite_op_t));
        if (rlcf->ops == NULL) {
            return NULL;
        }
    }

    op = lt_array_push(rlcf->ops);
    if (op == NULL) {
        return NULL;
    }

    lt_memzero(op, sizeof(lt_http_rewrite_op_t));
    op->type = type;

    return op;
}


static int
lt_http_rewrite_starts_redirect(lt_str_t *s)
{
    return (s->len >= 7 && lt_strncmp(s->data, "http://", 7) == 0)
           || (s->len >= 8 && lt_strncmp(s->data, "https://", 8) == 0)
           || (s->len >= 7 && lt_strncmp(s->data, "$scheme", 7) == 0);
}


/* rewrite regex replacement [last|break|redirect|permanent] */
static char *
lt_http_rewrite(lt_conf_t *cf, lt_command_t *cmd, void *conf)
{
    lt_http_rewrite_loc_conf_t  *rlcf = conf;

    lt_str_t                 *value, replacement;
    lt_regex_compile_t        rc;
    lt_http_rewrite_op_t     *op;
    lt_http_rewrite_rule_t   *rule;

    value = cf->args->elts;

    if (value[2].len == 0) {
        lt_conf_log_error(LT_LOG_EMERG, cf, 0, "empty replacement");
        return LT_CONF_ERROR;
    }

    op = lt_http_rewrite_push(cf, rlcf, LT_HTTP_RW_OP_REWRITE);
    if (op == NULL) {
        return LT_CONF_ERROR;
    }

    rule = &op->u.rule;

    lt_memzero(&rc, sizeof(lt_regex_compile_t));
    rc.pattern = value[1];
    rc.pool = cf->pool;

    rule->regex = lt_http_regex_compile(cf, &rc);
    if (rule->regex == NULL) {
        return LT_CONF_ERROR;
    }

    replacement = value[2];

    if (replacement.data[replacement.len - 1] == '?') {
        /* the final "?" drops the request's arguments */
        replacement.len--;

    } else {
        rule->add_args = 1;
    }

    if (lt_http_rewrite_starts_redirect(&value[2])) {
        rule->status = LT_HTTP_MOVED_TEMPORARILY;
        rule->redirect = 1;
        rule->last = 1;
    }

    if (cf->args->nelts == 4) {
        if (lt_str_eq(&value[3], "last")) {
            rule->last = 1;

        } else if (lt_str_eq(&value[3], "break")) {
            rule->break_cycle = 1;
            rule->last = 1;

        } else if (lt_str_eq(&value[3], "redirect")) {
            rule->status = LT_HTTP_MOVED_TEMPORARILY;
            rule->redirect = 1;
            rule->last = 1;

        } else if (lt_str_eq(&value[3], "permanent")) {
            rule->status = LT_HTTP_MOVED_PERMANENTLY;
            rule->redirect = 1;
            rule->last = 1;

        } else {
            lt_conf_log_error(LT_LOG_EMERG, cf, 0, "invalid parameter \"%.*s\"",
                              (int) value[3].len, value[3].data);
            return LT_CONF_ERROR;
        }
    }

    if (lt_http_rewrite_compile_value(cf, &replacement, &rule->replacement, !rule->redirect)
        != LT_OK)
    {
        return LT_CONF_ERROR;
    }

    return LT_CONF_OK;
}


/* return code [text|URL] | return URL */
static char *
lt_http_rewrite_return(lt_conf_t *cf, lt_command_t *cmd, void *conf)
{
    lt_http_rewrite_loc_conf_t  *rlcf = conf;

    int64_t                           status;
    lt_str_t                         *value, *text;
    lt_http_rewrite_op_t             *op;
    lt_http_rewrite_return_t         *ret;
    lt_http_compile_complex_value_t   ccv;

    value = cf->args->elts;

    status = lt_atoi(value[1].data, value[1].len);

    if (status == LT_ERROR) {
        if (cf->args->nelts != 2 || !lt_http_rewrite_starts_redirect(&value[1])) {
            lt_conf_log_error(LT_LOG_EMERG, cf, 0, "invalid return code \"%.*s\"",
                              (int) value[1].len, value[1].data);
            return LT_CONF_ERROR;
        }

        status = LT_HTTP_MOVED_TEMPORARILY;
        text = &value[1];

    } else {
        if (status > 999) {
            lt_conf_log_error(LT_LOG_EMERG, cf, 0, "invalid return code \"%.*s\"",
                              (int) value[1].len, value[1].data);
            return LT_CONF_ERROR;
        }

        text = (cf->args->nelts == 3) ? &value[2] : NULL;
    }

    op = lt_http_rewrite_push(cf, rlcf, LT_HTTP_RW_OP_RETURN);
    if (op == NULL) {
        return LT_CONF_ERROR;
    }

    ret = &op->u.ret;
    ret->status = (unsigned) status;

    if (text == NULL) {
        lt_str_set(&ret->text.value, "");
        return LT_CONF_OK;
    }

    lt_memzero(&ccv, sizeof(lt_http_compile_complex_value_t));
    ccv.cf = cf;
    ccv.value = text;
    ccv.complex_value = &ret->text;

    if (lt_http_compile_complex_value(&ccv) != LT_OK) {
        return LT_CONF_ERROR;
    }

    ret->has_text = (text->len || ret->text.parts) ? 1 : 0;

    return LT_CONF_OK;
}


static char *
lt_http_rewrite_break(lt_conf_t *cf, lt_command_t *cmd, void *conf)
{
    return lt_http_rewrite_push(cf, conf, LT_HTTP_RW_OP_BREAK) ? LT_CONF_OK : LT_CONF_ERROR;
}


/* set $variable value */
static char *
lt_http_rewrite_set(lt_conf_t *cf, lt_command_t *cmd, void *conf)
{
    lt_http_rewrite_loc_conf_t  *rlcf = conf;

    int                        index;
    lt_str_t                  *value, name;
    lt_http_variable_t        *v;
    lt_http_rewrite_op_t      *op;
    lt_http_rewrite_set_t     *set;

    value = cf->args->elts;

    if (lt_http_conf_variable_name(cf, &value[1], &name) != LT_OK) {
        return LT_CONF_ERROR;
    }

    v = lt_http_add_variable(cf, &name, LT_HTTP_VAR_CHANGEABLE | LT_HTTP_VAR_WEAK);
    if (v == NULL) {
        return LT_CONF_ERROR;
    }

    index = lt_http_get_variable_index(cf, &name);
    if (index == LT_ERROR) {
        return LT_CONF_ERROR;
    }

    if (v->get_handler == NULL) {
        /* (where a prefix variable answers for the name, the resolver gives the
         * prefix's getter instead: "set $arg_x" reads $arg_x until it runs) */
        v->get_handler = lt_http_rewrite_var;
        v->data = (uintptr_t) index;
    }

    op = lt_http_rewrite_push(cf, rlcf, LT_HTTP_RW_OP_SET);
    if (op == NULL) {
        return LT_CONF_ERROR;
    }

    set = &op->u.set;
    set->index = (unsigned) index;
    set->set_handler = v->set_handler;
    set->data = v->data;

    if (lt_http_rewrite_compile_value(cf, &value[2], &set->value, 0) != LT_OK) {
        return LT_CONF_ERROR;
    }

    return LT_CONF_OK;
}


/* lt_http_rewrite_invalid: "invalid condition" about one argument */
static char *
lt_http_rewrite_invalid(lt_conf_t *cf, lt_str_t *arg)
{
    lt_conf_log_error(LT_LOG_EMERG, cf, 0, "invalid condition \"%.*s\"", (int) arg->len,
                      arg->data);
    return LT_CONF_ERROR;
}


/* lt_http_rewrite_file_condition: "-f path", "!-d path" ... */
static char *
lt_http_rewrite_file_condition(lt_conf_t *cf, lt_http_rewrite_if_t *cond, lt_str_t *op,
    lt_str_t *path)
{
    u_char  ch;

    ch = (op->data[0] == '!') ? op->data[2] : op->data[1];

    if (ch != LT_HTTP_RW_FILE_PLAIN && ch != LT_HTTP_RW_FILE_DIR
        && ch != LT_HTTP_RW_FILE_EXISTS && ch != LT_HTTP_RW_FILE_EXEC)
    {
        return lt_http_rewrite_invalid(cf, op);
    }

    cond->type = LT_HTTP_RW_COND_FILE;
    cond->file_op = ch;
    cond->negative = (op->data[0] == '!');

    if (lt_http_rewrite_compile_value(cf, path, &cond->value, 0) != LT_OK) {
        return LT_CONF_ERROR;
    }

    return LT_CONF_OK;
}


/* lt_http_rewrite_regex_condition: "$var ~ re" and its variants */
static char *
lt_http_rewrite_regex_condition(lt_conf_t *cf, lt_http_rewrite_if_t *cond, lt_str_t *op,
    lt_str_t *pattern)
{
    lt_regex_compile_t  rc;

    lt_memzero(&rc, sizeof(lt_regex_compile_t));
    rc.pattern = *pattern;
    rc.pool = cf->pool;
    rc.options = (op->data[op->len - 1] == '*') ? LT_REGEX_CASELESS : 0;

    cond->regex = lt_http_regex_compile(cf, &rc);
    if (cond->regex == NULL) {
        return LT_CONF_ERROR;
    }

    cond->type = LT_HTTP_RW_COND_REGEX;
    cond->negative = (op->data[0] == '!');

    return LT_CONF_OK;
}


/* lt_http_rewrite_condition: the arguments of "if", in parentheses, which may be
 * separate arguments or stuck to the first and last: "($a", "=", "b)" */
static char *
lt_http_rewrite_condition(lt_conf_t *cf, lt_http_rewrite_if_t *cond)
{
    int        index;
    size_t     cur, last;
    lt_str_t  *value, *op, name;

    value = cf->args->elts;
    last = cf->args->nelts - 1;

    if (value[1].len < 1 || value[1].data[0] != '(') {
        return lt_http_rewrite_invalid(cf, &value[1]);
    }

    if (value[1].len == 1) {
        cur = 2;

    } else {
        cur = 1;
        value[1].len--;
        value[1].data++;
    }

    if (value[last].len < 1 || value[last].data[value[last].len - 1] != ')') {
        return lt_http_rewrite_invalid(cf, &value[last]);
    }

    if (value[last].len == 1) {
        last--;

    } else {
        value[last].len--;
    }

    if (cur > last) {
        return lt_http_rewrite_invalid(cf, &value[cur]);
    }

    op = &value[cur];

    if (op->len > 1 && op->data[0] == '$') {

        if (cur != last && cur + 2 != last) {
            return lt_http_rewrite_invalid(cf, op);
        }

        name.len = op->len - 1;
        name.data = op->data + 1;

        index = lt_http_get_variable_index(cf, &name);
        if (index == LT_ERROR) {
            return LT_CONF_ERROR;
        }

        cond->index = (unsigned) index;

        if (cur == last) {
            cond->type = LT_HTTP_RW_COND_VAR;
            return LT_CONF_OK;
        }

        op = &value[cur + 1];

        if (lt_str_eq(op, "=") || lt_str_eq(op, "!=")) {
            cond->type = LT_HTTP_RW_COND_EQ;
            cond->negative = (op->data[0] == '!');

            if (lt_http_rewrite_compile_value(cf, &value[last], &cond->value, 0) != LT_OK) {
                return LT_CONF_ERROR;
            }

            return LT_CONF_OK;
        }

        if (lt_str_eq(op, "~") || lt_str_eq(op, "~*") || lt_str_eq(op, "!~")
            || lt_str_eq(op, "!~*"))
        {
            return lt_http_rewrite_regex_condition(cf, cond, op, &value[last]);
        }

        lt_conf_log_error(LT_LOG_EMERG, cf, 0, "unexpected \"%.*s\" in condition",
                          (int) op->len, op->data);
        return LT_CONF_ERROR;
    }

    if ((op->len == 2 && op->data[0] == '-')
        || (op->len == 3 && op->data[0] == '!' && op->data[1] == '-'))
    {
        if (cur + 1 != last) {
            return lt_http_rewrite_invalid(cf, op);
        }

        return lt_http_rewrite_file_condition(cf, cond, op, &value[last]);
    }

    return lt_http_rewrite_invalid(cf, op);
}


/* lt_http_rewrite_create_level: the confs of an if block: a loc conf of every HTTP
 * module, under the parent's main and server confs */
static lt_http_conf_ctx_t *
lt_http_rewrite_create_level(lt_conf_t *cf)
{
    size_t               i, n;
    lt_module_t         *m;
    lt_http_conf_ctx_t  *ctx, *pctx;

    pctx = cf->ctx;
    n = lt_count_modules(LT_HTTP_MODULE);

    ctx = lt_pcalloc(cf->pool, sizeof(lt_http_conf_ctx_t));
    if (ctx == NULL) {
        return NULL;
    }

    ctx->main_conf = pctx->main_conf;
    ctx->srv_conf = pctx->srv_conf;

    ctx->loc_conf = lt_pcalloc(cf->pool, n * sizeof(void *));
    if (ctx->loc_conf == NULL) {
        return NULL;
    }

    for (i = 0; lt_modules[i]; i++) {
        m = lt_modules[i];

        if (m->type != LT_HTTP_MODULE || m->create_loc_conf == NULL) {
            continue;
        }

        ctx->loc_conf[m->ctx_index] = m->create_loc_conf(cf);
        if (ctx->loc_conf[m->ctx_index] == NULL) {
            return NULL;
        }
    }

    return ctx;
}


/* if (condition) { ... } */
static char *
lt_http_rewrite_if(lt_conf_t *cf, lt_command_t *cmd, void *conf)
{
    lt_http_rewrite_loc_conf_t  *rlcf = conf;

    char                        *rv;
    size_t                       index;
    lt_conf_t                    save;
    lt_http_conf_ctx_t          *ctx, *pctx;
    lt_http_rewrite_op_t        *op;
    lt_http_core_loc_conf_t     *clcf, *pclcf;
    lt_http_rewrite_loc_conf_t  *nlcf;

    pctx = cf->ctx;

    ctx = lt_http_rewrite_create_level(cf);
    if (ctx == NULL) {
        return LT_CONF_ERROR;
    }

    pclcf = pctx->loc_conf[lt_http_core_module.ctx_index];

    clcf = ctx->loc_conf[lt_http_core_module.ctx_index];
    clcf->loc_conf = ctx->loc_conf;
    clcf->name = pclcf->name;
    clcf->noname = 1;

    /* the parent's merge reaches the block's confs through its locations */
    if (lt_http_add_location(cf, &pclcf->locations, clcf) != LT_OK) {
        return LT_CONF_ERROR;
    }

    op = lt_http_rewrite_push(cf, rlcf, LT_HTTP_RW_OP_IF);
    if (op == NULL) {
        return LT_CONF_ERROR;
    }

    index = rlcf->ops->nelts - 1;

    if (lt_http_rewrite_condition(cf, &op->u.cond) != LT_CONF_OK) {
        return LT_CONF_ERROR;
    }

    /* inside a server{}, the block's confs are not switched to (as nginx) */
    op->u.cond.loc_conf = (cf->cmd_type == LT_CTX_SERVER) ? NULL : ctx->loc_conf;

    /* the block's directives go into the parent's array, after the IF */
    nlcf = ctx->loc_conf[lt_http_rewrite_module.ctx_index];
    nlcf->ops = rlcf->ops;

    save = *cf;
    cf->ctx = ctx;
    cf->cmd_type = (cf->cmd_type == LT_CTX_SERVER) ? LT_CTX_SIF : LT_CTX_LIF;

    rv = lt_conf_parse(cf, NULL);

    *cf = save;

    if (rv != LT_CONF_OK) {
        return rv;
    }

    /* the array may have moved while the block was read: index, not pointer */
    op = rlcf->ops->elts;
    op[index].u.cond.next = rlcf->ops->nelts;

    nlcf->ops = NULL;

    return LT_CONF_OK;
}
