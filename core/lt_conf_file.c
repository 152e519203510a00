/*
 * lt_conf_file.c: the configuration tokenizer and parser (see lt_conf_file.h).
 *
 * Syntax, as nginx's: a directive is a name and arguments separated by spaces,
 * ended by ";" or by a "{ ... }" block. "#" starts a comment. Arguments may be
 * quoted with "..." or '...'; a backslash escapes the next character ("\t",
 * "\r", "\n" become control characters; "\"", "\'" and "\\" the character itself;
 * any other pair is kept as written, so that regexes keep their backslashes).
 * "${name}" does not open a block.
 */

#include "lt_core.h"

#define LT_CONF_ARGS_PREALLOC  8

static int lt_conf_handler(lt_conf_t *cf, int last);
static char *lt_conf_read_file(lt_conf_t *cf, lt_str_t *filename, lt_conf_file_t *file);

static lt_command_t  lt_conf_commands[] = {

    { "include", LT_CTX_ANY, 1, 1, lt_conf_include, 0, 0, NULL },

    lt_null_command
};

/* the "conf" module: directives valid in every block, whatever module owns it */
lt_module_t  lt_conf_module = {
    .name = "conf",
    .type = LT_CONF_MODULE,
    .commands = lt_conf_commands,
};


static int
lt_conf_is_space(u_char ch)
{
    return ch == ' ' || ch == '\t' || ch == CR || ch == LF;
}


/* lt_conf_push_token: copies [start, end) into a new argument, resolving escapes */
static int
lt_conf_push_token(lt_conf_t *cf, u_char *start, u_char *end)
{
    u_char    *dst, *src;
    lt_str_t  *word;

    word = lt_array_push(cf->args);
    if (word == NULL) {
        return LT_ERROR;
    }

    word->data = lt_pnalloc(cf->pool, end - start + 1);
    if (word->data == NULL) {
        return LT_ERROR;
    }

    for (dst = word->data, src = start; src < end; /* void */ ) {

        if (*src == '\\' && src + 1 < end) {
            switch (src[1]) {
            case '"':
            case '\'':
            case '\\':
                src++;
                break;

            case 't':
                *dst++ = '\t';
                src += 2;
                continue;

            case 'r':
                *dst++ = '\r';
                src += 2;
                continue;

            case 'n':
                *dst++ = '\n';
                src += 2;
                continue;
            }
        }

        *dst++ = *src++;
    }

    *dst = '\0';
    word->len = dst - word->data;

    return LT_OK;
}


int
lt_conf_read_token(lt_conf_t *cf)
{
    u_char          ch, *start;
    int             last_space, need_space, sharp_comment, variable;
    int             quoted, s_quoted, d_quoted, found;
    lt_conf_file_t *file;

    file = cf->conf_file;
    cf->args->nelts = 0;

    last_space = 1;
    need_space = 0;
    sharp_comment = 0;
    variable = 0;
    quoted = 0;
    s_quoted = 0;
    d_quoted = 0;
    start = file->pos;

    for ( ;; ) {

        if (file->pos >= file->end) {
            if (cf->args->nelts > 0 || !last_space) {
                lt_conf_log_error(LT_LOG_EMERG, cf, 0, "unexpected end of file, "
                                  "expecting \";\" or \"}\"");
                return LT_ERROR;
            }

            return LT_CONF_TOKEN_EOF;
        }

        ch = *file->pos++;

        if (ch == LF) {
            file->line++;

            if (sharp_comment) {
                sharp_comment = 0;
            }
        }

        if (sharp_comment) {
            continue;
        }

        if (quoted) {
            quoted = 0;
            continue;
        }

        if (need_space) {
            if (lt_conf_is_space(ch)) {
                last_space = 1;
                need_space = 0;
                continue;
            }

            if (ch == ';') {
                return LT_CONF_TOKEN_DIRECTIVE;
            }

            if (ch == '{') {
                return LT_CONF_TOKEN_BLOCK;
            }

            if (ch != ')') {
                lt_conf_log_error(LT_LOG_EMERG, cf, 0, "unexpected \"%c\"", ch);
                return LT_ERROR;
            }

            /* ")" right after a quoted string: a token of its own ("if" conditions) */
            last_space = 1;
            need_space = 0;
        }

        if (last_space) {

            start = file->pos - 1;

            if (lt_conf_is_space(ch)) {
                continue;
            }

            switch (ch) {

            case ';':
            case '{':
                if (cf->args->nelts == 0) {
                    lt_conf_log_error(LT_LOG_EMERG, cf, 0, "unexpected \"%c\"", ch);
                    return LT_ERROR;
                }

                return ch == '{' ? LT_CONF_TOKEN_BLOCK : LT_CONF_TOKEN_DIRECTIVE;

            case '}':
                if (cf->args->nelts != 0) {
                    lt_conf_log_error(LT_LOG_EMERG, cf, 0, "unexpected \"}\"");
                    return LT_ERROR;
                }

                return LT_CONF_TOKEN_BLOCK_END;

            case '#':
                sharp_comment = 1;
                continue;

            case '\\':
                quoted = 1;
                last_space = 0;
                continue;

            case '"':
                start++;
                d_quoted = 1;
                last_space = 0;
                continue;

            case '\'':
                start++;
                s_quoted = 1;
                last_space = 0;
                continue;

            case '$':
                variable = 1;
                last_space = 0;
                continue;

            default:
                last_space = 0;
            }

            continue;
        }

        /* inside a token */

        if (ch == '{' && variable) {
            continue;
        }

        variable = 0;

        if (ch == '\\') {
            quoted = 1;
            continue;
        }

        if (ch == '$') {
            variable = 1;
            continue;
        }

        found = 0;

        if (d_quoted) {
            if (ch == '"') {
                d_quoted = 0;
                need_space = 1;
                found = 1;
            }

        } else if (s_quoted) {
            if (ch == '\'') {
                s_quoted = 0;
                need_space = 1;
                found = 1;
            }

        } else if (lt_conf_is_space(ch) || ch == ';' || ch == '{') {
            last_space = 1;
            found = 1;
        }

        if (!found) {
            continue;
        }

        if (lt_conf_push_token(cf, start, file->pos - 1) != LT_OK) {
            return LT_ERROR;
        }

        if (ch == ';') {
            return LT_CONF_TOKEN_DIRECTIVE;
        }

        if (ch == '{') {
            return LT_CONF_TOKEN_BLOCK;
        }
    }
}


/* lt_conf_dump_file: keeps a file's text for -T, once per name */
static int
lt_conf_dump_file(lt_conf_t *cf, lt_conf_file_t *file)
{
    size_t           i;
    lt_conf_dump_t  *cd;

    cd = cf->cycle->config_dump.elts;

    for (i = 0; i < cf->cycle->config_dump.nelts; i++) {
        if (cd[i].name.len == file->name.len
            && memcmp(cd[i].name.data, file->name.data, file->name.len) == 0)
        {
            return LT_OK;
        }
    }

    cd = lt_array_push(&cf->cycle->config_dump);
    if (cd == NULL) {
        return LT_ERROR;
    }

    cd->name = file->name;
    cd->content.data = file->start;
    cd->content.len = file->end - file->start;

    return LT_OK;
}


static char *
lt_conf_read_file(lt_conf_t *cf, lt_str_t *filename, lt_conf_file_t *file)
{
    lt_str_t  content;

    if (lt_read_whole_file(cf->pool, (char *) filename->data, &content) != LT_OK) {
        lt_conf_log_error(LT_LOG_EMERG, cf, errno, "open() \"%s\" failed", filename->data);
        return LT_CONF_ERROR;
    }

    file->name = *filename;
    file->start = content.data;
    file->pos = content.data;
    file->end = content.data + content.len;
    file->line = 1;

    if (lt_dump_config_flag && lt_conf_dump_file(cf, file) != LT_OK) {
        return LT_CONF_ERROR;
    }

    return LT_CONF_OK;
}


/* how lt_conf_parse was entered */
enum {
    lt_parse_file = 0,
    lt_parse_block,
    lt_parse_param
};

static char *
lt_conf_parse_loop(lt_conf_t *cf, int type)
{
    int    rc;
    char  *rv;

    for ( ;; ) {
        rc = lt_conf_read_token(cf);

        if (rc == LT_ERROR) {
            return LT_CONF_ERROR;
        }

        if (rc == LT_CONF_TOKEN_BLOCK_END) {
            if (type != lt_parse_block) {
                lt_conf_log_error(LT_LOG_EMERG, cf, 0, "unexpected \"}\"");
                return LT_CONF_ERROR;
            }

            return LT_CONF_OK;
        }

        if (rc == LT_CONF_TOKEN_EOF) {
            if (type == lt_parse_block) {
                lt_conf_log_error(LT_LOG_EMERG, cf, 0,
                                  "unexpected end of file, expecting \"}\"");
                return LT_CONF_ERROR;
            }

            return LT_CONF_OK;
        }

        if (rc == LT_CONF_TOKEN_BLOCK && type == lt_parse_param) {
            lt_conf_log_error(LT_LOG_EMERG, cf, 0,
                              "block directives are not supported in -g option");
            return LT_CONF_ERROR;
        }

        if (cf->handler) {
            /* a block with its own syntax (types {}, map {}) */
            if (rc == LT_CONF_TOKEN_BLOCK) {
                lt_conf_log_error(LT_LOG_EMERG, cf, 0, "unexpected \"{\"");
                return LT_CONF_ERROR;
            }

            rv = cf->handler(cf, NULL, cf->handler_conf);

            if (rv == LT_CONF_OK) {
                continue;
            }

            if (rv != LT_CONF_ERROR) {
                lt_conf_log_error(LT_LOG_EMERG, cf, 0, "%s", rv);
            }

            return LT_CONF_ERROR;
        }

        if (lt_conf_handler(cf, rc) != LT_OK) {
            return LT_CONF_ERROR;
        }
    }
}


char *
lt_conf_parse_lines(lt_conf_t *cf, lt_conf_handler_pt handler, void *conf)
{
    char       *rv;
    lt_conf_t   save;

    save = *cf;
    cf->handler = handler;
    cf->handler_conf = conf;

    rv = lt_conf_parse(cf, NULL);

    *cf = save;

    return rv;
}


char *
lt_conf_parse(lt_conf_t *cf, lt_str_t *filename)
{
    char            *rv;
    lt_conf_file_t  *prev, conf_file;
    int              type;

    prev = NULL;

    if (filename) {
        /* errors opening the file are reported at the including directive */
        if (lt_conf_read_file(cf, filename, &conf_file) != LT_CONF_OK) {
            return LT_CONF_ERROR;
        }

        prev = cf->conf_file;
        cf->conf_file = &conf_file;

        type = lt_parse_file;

    } else if (cf->conf_file->start != NULL) {
        type = lt_parse_block;

    } else {
        type = lt_parse_param;
    }

    rv = lt_conf_parse_loop(cf, type);

    if (filename) {
        cf->conf_file = prev;
    }

    return rv;
}


char *
lt_conf_parse_string(lt_conf_t *cf, lt_str_t *text, const char *what)
{
    char            *rv;
    lt_conf_file_t   conf_file, *prev;

    lt_memzero(&conf_file, sizeof(lt_conf_file_t));

    conf_file.name.data = (u_char *) what;
    conf_file.name.len = strlen(what);
    conf_file.pos = text->data;
    conf_file.end = text->data + text->len;
    conf_file.line = 1;     /* start stays NULL: errors say "in WHAT", no line */

    prev = cf->conf_file;
    cf->conf_file = &conf_file;

    rv = lt_conf_parse_loop(cf, lt_parse_param);

    cf->conf_file = prev;

    return rv;
}


char *
lt_conf_param(lt_conf_t *cf)
{
    lt_str_t  *param;

    param = &cf->cycle->conf_param;

    if (param->len == 0) {
        return LT_CONF_OK;
    }

    return lt_conf_parse_string(cf, param, "command line");
}


/* lt_conf_get_conf: the conf struct a directive of module m sets in this block */
static void *
lt_conf_get_conf(lt_conf_t *cf, lt_module_t *m, lt_command_t *cmd)
{
    void         **confp;

    if (m->type == LT_CONF_MODULE) {
        return NULL;
    }

    if (m->type == LT_CORE_MODULE) {
        if (cmd->type & LT_CONF_DIRECT) {
            return ((void **) cf->ctx)[m->index];
        }

        /* a core block directive ("events", "http") creates its own context */
        return &((void **) cf->ctx)[m->index];
    }

    confp = *(void ***) ((char *) cf->ctx + cmd->conf);

    return confp ? confp[m->ctx_index] : NULL;
}


static int
lt_conf_handler(lt_conf_t *cf, int last)
{
    char          *rv;
    size_t         i, nargs;
    lt_str_t      *name;
    lt_module_t   *m;
    lt_command_t  *cmd;
    int            found;

    name = cf->args->elts;
    found = 0;

    for (i = 0; lt_modules[i]; i++) {

        m = lt_modules[i];

        for (cmd = m->commands; cmd && cmd->name; cmd++) {

            if (name->len != strlen(cmd->name)
                || memcmp(name->data, cmd->name, name->len) != 0)
            {
                continue;
            }

            found = 1;

            if (m->type != LT_CONF_MODULE && m->type != cf->module_type) {
                continue;
            }

            if (!(cmd->type & cf->cmd_type)) {
                continue;
            }

            if (!(cmd->type & LT_CONF_BLOCK) && last != LT_CONF_TOKEN_DIRECTIVE) {
                lt_conf_log_error(LT_LOG_EMERG, cf, 0,
                                  "directive \"%s\" is not terminated by \";\"",
                                  name->data);
                return LT_ERROR;
            }

            if ((cmd->type & LT_CONF_BLOCK) && last != LT_CONF_TOKEN_BLOCK) {
                lt_conf_log_error(LT_LOG_EMERG, cf, 0,
                                  "directive \"%s\" has no opening \"{\"", name->data);
                return LT_ERROR;
            }

            nargs = cf->args->nelts - 1;

            if (nargs < cmd->min_args
                || (cmd->max_args != LT_CONF_MANY && nargs > cmd->max_args))
            {
                lt_conf_log_error(LT_LOG_EMERG, cf, 0,
                                  "invalid number of arguments in \"%s\" directive",
                                  name->data);
                return LT_ERROR;
            }

            rv = cmd->set(cf, cmd, lt_conf_get_conf(cf, m, cmd));

            if (rv == LT_CONF_OK) {
                return LT_OK;
            }

            if (rv != LT_CONF_ERROR) {
                lt_conf_log_error(LT_LOG_EMERG, cf, 0, "\"%s\" directive %s",
                                  name->data, rv);
            }

            return LT_ERROR;
        }
    }

    if (found) {
        lt_conf_log_error(LT_LOG_EMERG, cf, 0, "\"%s\" directive is not allowed here",
                          name->data);
        return LT_ERROR;
    }

    lt_conf_log_error(LT_LOG_EMERG, cf, 0, "unknown directive \"%s\"", name->data);

    return LT_ERROR;
}


char *
lt_conf_include(lt_conf_t *cf, lt_command_t *cmd, void *conf)
{
    char      *rv;
    size_t     i;
    glob_t     gl;
    lt_str_t  *value, file, name;
    int        rc;

    value = cf->args->elts;
    file = value[1];

    if (lt_conf_full_name(cf->cycle, &file, 1) != LT_OK) {
        return LT_CONF_ERROR;
    }

    if (strpbrk((char *) file.data, "*?[") == NULL) {
        return lt_conf_parse(cf, &file);
    }

    lt_memzero(&gl, sizeof(glob_t));

    rc = glob((char *) file.data, 0, NULL, &gl);

    if (rc == GLOB_NOMATCH) {
        /* a pattern that matches nothing is not an error (an empty conf.d/) */
        globfree(&gl);
        return LT_CONF_OK;
    }

    if (rc != 0) {
        lt_conf_log_error(LT_LOG_EMERG, cf, errno, "glob() \"%s\" failed", file.data);
        globfree(&gl);
        return LT_CONF_ERROR;
    }

    rv = LT_CONF_OK;

    for (i = 0; i < gl.gl_pathc; i++) {
        name.len = strlen(gl.gl_pathv[i]);
        name.data = lt_pnalloc(cf->pool, name.len + 1);
        if (name.data == NULL) {
            rv = LT_CONF_ERROR;
            break;
        }

        memcpy(name.data, gl.gl_pathv[i], name.len + 1);

        rv = lt_conf_parse(cf, &name);
        if (rv != LT_CONF_OK) {
            break;
        }
    }

    globfree(&gl);

    return rv;
}


int
lt_conf_full_name(lt_cycle_t *cycle, lt_str_t *name, int conf_prefix)
{
    lt_str_t  *prefix;
    u_char    *p;

    if (name->len && name->data[0] == '/') {
        return LT_OK;
    }

    prefix = conf_prefix ? &cycle->conf_prefix : &cycle->prefix;

    p = lt_pnalloc(cycle->pool, prefix->len + name->len + 1);
    if (p == NULL) {
        return LT_ERROR;
    }

    memcpy(p, prefix->data, prefix->len);
    memcpy(p + prefix->len, name->data, name->len);
    p[prefix->len + name->len] = '\0';

    name->len += prefix->len;
    name->data = p;

    return LT_OK;
}


lt_open_file_t *
lt_conf_open_file(lt_cycle_t *cycle, lt_str_t *name)
{
    lt_str_t         full;
    lt_list_iter_t   it;
    lt_open_file_t  *file;

    lt_str_null(&full);

    if (name->len) {
        full = *name;

        if (lt_conf_full_name(cycle, &full, 0) != LT_OK) {
            return NULL;
        }
    }

    lt_list_iter_init(&it, &cycle->open_files);

    while ((file = lt_list_iter_next(&it)) != NULL) {
        if (full.len == file->name.len
            && (full.len == 0 || memcmp(full.data, file->name.data, full.len) == 0))
        {
            return file;
        }
    }

    file = lt_list_push(&cycle->open_files);
    if (file == NULL) {
        return NULL;
    }

    file->fd = full.len ? LT_INVALID_FILE : STDERR_FILENO;
    file->name = full;
    file->flush = NULL;
    file->data = NULL;

    return file;
}


void
lt_conf_log_error(unsigned level, lt_conf_t *cf, int err, const char *fmt, ...)
{
    u_char    errstr[LT_MAX_ERROR_STR], *p, *last;
    va_list   args;

    last = errstr + LT_MAX_ERROR_STR;

    va_start(args, fmt);
    p = lt_vslprintf(errstr, last, fmt, args);
    va_end(args);

    if (err) {
        p = lt_log_errno(p, last, err);
    }

    if (cf->conf_file == NULL || cf->conf_file->name.len == 0) {
        lt_log_error(level, cf->log, 0, "%.*s", (int) (p - errstr), errstr);
        return;
    }

    if (cf->conf_file->start == NULL) {
        /* a string (-g): no lines to count */
        lt_log_error(level, cf->log, 0, "%.*s in %s", (int) (p - errstr), errstr,
                     cf->conf_file->name.data);
        return;
    }

    lt_log_error(level, cf->log, 0, "%.*s in %.*s:%zu", (int) (p - errstr), errstr,
                 (int) cf->conf_file->name.len, cf->conf_file->name.data,
                 cf->conf_file->line);
}
