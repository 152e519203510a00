/*
 * test_conf.c: the configuration tokenizer of core/lt_conf_file.c, driven through
 * lt_conf_read_token() on text in memory, and the generic setters of
 * core/lt_conf_setters.c, driven through a small fake module's directive table.
 *
 * The text is an exact-size heap copy (no NUL), so that AddressSanitizer sees a
 * read past its end. Errors are read back from the error log, a tmpfile(), and
 * compared whole: "[level] message in FILE:LINE".
 */

#include "lt_core.h"
#include "tap.h"

#define LT_TEST_FILE  "test.conf"

static lt_log_t        lt_test_log;
static lt_open_file_t  lt_test_log_file;
static lt_cycle_t      lt_test_cycle;
static lt_conf_t       lt_test_cf;
static lt_conf_file_t  lt_test_file;
static u_char         *lt_test_text_buf;
static char            lt_test_logbuf[4 * LT_MAX_ERROR_STR];
static char            lt_test_logged[5 * LT_MAX_ERROR_STR];
static char            lt_test_args[LT_MAX_ERROR_STR];


/* the error log */

static void
lt_test_log_reset(void)
{
    if (ftruncate(lt_test_log_file.fd, 0) == -1
        || lseek(lt_test_log_file.fd, 0, SEEK_SET) == -1)
    {
        printf("Bail out! cannot truncate the test log\n");
        exit(255);
    }
}


/* lt_test_log_read: what was logged since the last reset, as "[level] message"
 * of its only line, or "N lines: ..." when there was not exactly one */
static const char *
lt_test_log_read(void)
{
    ssize_t   n;
    size_t    lines;
    char     *p, *line, *level, *level_end, *msg, *eol;

    n = pread(lt_test_log_file.fd, lt_test_logbuf, sizeof(lt_test_logbuf) - 1, 0);
    if (n < 0) {
        n = 0;
    }

    lt_test_logbuf[n] = '\0';

    lines = 0;
    line = NULL;

    for (p = lt_test_logbuf; *p; p = eol + 1) {
        eol = strchr(p, '\n');
        if (eol == NULL) {
            break;
        }

        line = p;
        lines++;
    }

    if (lines != 1) {
        (void) snprintf(lt_test_logged, sizeof(lt_test_logged), "%zu lines: %s", lines,
                        lt_test_logbuf);
        return lt_test_logged;
    }

    eol = strchr(line, '\n');
    *eol = '\0';

    /* "TIME [level] PID#TID: message" */
    level = strchr(line, '[');
    level_end = level ? strstr(level, "] ") : NULL;
    msg = level_end ? strstr(level_end, ": ") : NULL;

    if (msg == NULL) {
        (void) snprintf(lt_test_logged, sizeof(lt_test_logged), "malformed: %s", line);
        return lt_test_logged;
    }

    (void) snprintf(lt_test_logged, sizeof(lt_test_logged), "%.*s %s",
                    (int) (level_end + 1 - level), level, msg + 2);

    return lt_test_logged;
}


#define lt_test_log_is(expected, ...)                                         \
    do {                                                                      \
        const char  *lt_got_ = lt_test_log_read();                            \
        is_str(lt_got_, strlen(lt_got_), expected, __VA_ARGS__);              \
    } while (0)


/* the tokenizer */

/* lt_test_text: the next lt_conf_read_token() calls read this text, from line 1 */
static void
lt_test_text(const char *text)
{
    size_t  len;

    free(lt_test_text_buf);

    len = strlen(text);
    lt_test_text_buf = malloc(len ? len : 1);
    if (lt_test_text_buf == NULL) {
        printf("Bail out! malloc failed\n");
        exit(255);
    }

    memcpy(lt_test_text_buf, text, len);

    lt_test_file.name.data = (u_char *) LT_TEST_FILE;
    lt_test_file.name.len = sizeof(LT_TEST_FILE) - 1;
    lt_test_file.start = lt_test_text_buf;
    lt_test_file.pos = lt_test_text_buf;
    lt_test_file.end = lt_test_text_buf + len;
    lt_test_file.line = 1;

    lt_test_cf.conf_file = &lt_test_file;

    lt_test_log_reset();
}


/* lt_test_next: reads one directive; its arguments are left in lt_test_args as
 * "[a][b]"; returns lt_conf_read_token()'s code */
static int
lt_test_next(void)
{
    int        rc;
    char      *p, *last;
    size_t     i;
    lt_str_t  *arg;

    rc = lt_conf_read_token(&lt_test_cf);

    p = lt_test_args;
    last = lt_test_args + sizeof(lt_test_args);
    *p = '\0';

    arg = lt_test_cf.args->elts;

    for (i = 0; i < lt_test_cf.args->nelts && p < last; i++) {
        p += snprintf(p, last - p, "[%.*s]", (int) arg[i].len, arg[i].data);

        /* tokens are NUL-terminated (setters print them with "%s") */
        if (arg[i].data[arg[i].len] != '\0') {
            p += snprintf(p, last - p, "(no NUL)");
        }
    }

    return rc;
}


/* lt_test_tok: the next directive is ended by rc and has the arguments args */
#define lt_test_tok(rc, args, ...)                                            \
    do {                                                                      \
        int  lt_rc_ = lt_test_next();                                         \
        is_int(lt_rc_, rc, __VA_ARGS__);                                      \
        is_str(lt_test_args, strlen(lt_test_args), args, __VA_ARGS__);        \
    } while (0)

/* lt_test_bad: reading text fails with the message (logged once, as emerg) */
#define lt_test_bad(text, message, ...)                                       \
    do {                                                                      \
        int  lt_rc_;                                                          \
        lt_test_text(text);                                                   \
        do {                                                                  \
            lt_rc_ = lt_test_next();                                          \
        } while (lt_rc_ == LT_CONF_TOKEN_DIRECTIVE                            \
                 || lt_rc_ == LT_CONF_TOKEN_BLOCK                             \
                 || lt_rc_ == LT_CONF_TOKEN_BLOCK_END);                       \
        is_int(lt_rc_, LT_ERROR, __VA_ARGS__);                                \
        lt_test_log_is("[emerg] " message, __VA_ARGS__);                      \
    } while (0)


static void
lt_test_plain(void)
{
    lt_test_text("");
    lt_test_tok(LT_CONF_TOKEN_EOF, "", "empty text: EOF");
    lt_test_tok(LT_CONF_TOKEN_EOF, "", "EOF again");

    lt_test_text("  \t\r\n  \n");
    lt_test_tok(LT_CONF_TOKEN_EOF, "", "only spaces: EOF");
    is_int(lt_test_file.line, 3, "only spaces: two newlines counted");

    lt_test_text("worker_processes 4;");
    lt_test_tok(LT_CONF_TOKEN_DIRECTIVE, "[worker_processes][4]", "name and argument");
    lt_test_tok(LT_CONF_TOKEN_EOF, "", "then EOF");
    is_int(lt_test_cf.args->nelts, 0, "no arguments at EOF");

    lt_test_text("a;b ;  c\td\r\ne\n;");
    lt_test_tok(LT_CONF_TOKEN_DIRECTIVE, "[a]", "a directive ended by ; at once");
    lt_test_tok(LT_CONF_TOKEN_DIRECTIVE, "[b]", "a space before ;");
    lt_test_tok(LT_CONF_TOKEN_DIRECTIVE, "[c][d][e]", "tab, CR, LF separate arguments");
    lt_test_tok(LT_CONF_TOKEN_EOF, "", "EOF after three directives");

    lt_test_text("events {\n    worker_connections 512;\n}\nhttp{server{}}");
    lt_test_tok(LT_CONF_TOKEN_BLOCK, "[events]", "block");
    lt_test_tok(LT_CONF_TOKEN_DIRECTIVE, "[worker_connections][512]", "directive in block");
    lt_test_tok(LT_CONF_TOKEN_BLOCK_END, "", "block end");
    lt_test_tok(LT_CONF_TOKEN_BLOCK, "[http]", "block opened right after the name");
    lt_test_tok(LT_CONF_TOKEN_BLOCK, "[server]", "nested block");
    lt_test_tok(LT_CONF_TOKEN_BLOCK_END, "", "}}: first");
    lt_test_tok(LT_CONF_TOKEN_BLOCK_END, "", "}}: second");
    lt_test_tok(LT_CONF_TOKEN_EOF, "", "EOF after blocks");

    lt_test_text("location /a/b { }");
    lt_test_tok(LT_CONF_TOKEN_BLOCK, "[location][/a/b]", "block with an argument");
    lt_test_tok(LT_CONF_TOKEN_BLOCK_END, "", "empty block ends");

    lt_test_text("a} b;");
    lt_test_tok(LT_CONF_TOKEN_DIRECTIVE, "[a}][b]", "} inside a word is part of it");

    lt_test_text("x a=b,c:d/e;");
    lt_test_tok(LT_CONF_TOKEN_DIRECTIVE, "[x][a=b,c:d/e]", "punctuation is plain text");

    is_str(lt_test_log_read(), strlen(lt_test_log_read()), "0 lines: ",
           "nothing logged while tokenizing valid text");
}


static void
lt_test_comments(void)
{
    lt_test_text("# a whole line\na; # trailing\n  #indented\nb c; #at the end");
    lt_test_tok(LT_CONF_TOKEN_DIRECTIVE, "[a]", "comment lines skipped");
    is_int(lt_test_file.line, 2, "line 2 after the first directive");
    lt_test_tok(LT_CONF_TOKEN_DIRECTIVE, "[b][c]", "trailing comments skipped");
    is_int(lt_test_file.line, 4, "line 4 after the second");
    lt_test_tok(LT_CONF_TOKEN_EOF, "", "a comment up to EOF without a newline");

    lt_test_text("a # a comment ; { }\n  b;");
    lt_test_tok(LT_CONF_TOKEN_DIRECTIVE, "[a][b]",
                "a comment between arguments hides ; { }");

    lt_test_text("a \"#not\" '#not' b#c \"x # y\";");
    lt_test_tok(LT_CONF_TOKEN_DIRECTIVE, "[a][#not][#not][b#c][x # y]",
                "# in quotes or inside a word is not a comment");

    lt_test_text("#only a comment");
    lt_test_tok(LT_CONF_TOKEN_EOF, "", "a text of one comment is empty");

    lt_test_text("#\n#\n#");
    lt_test_tok(LT_CONF_TOKEN_EOF, "", "empty comments");
    is_int(lt_test_file.line, 3, "comment lines are counted");
}


static void
lt_test_quotes(void)
{
    lt_test_text("a \"b c\" 'd e' \"x;y{z}\" 'p;q{}' \"\" '';");
    lt_test_tok(LT_CONF_TOKEN_DIRECTIVE, "[a][b c][d e][x;y{z}][p;q{}][][]",
                "spaces ; { } in quotes; empty quotes");

    lt_test_text("\"a b\" c;");
    lt_test_tok(LT_CONF_TOKEN_DIRECTIVE, "[a b][c]", "a quoted name");

    lt_test_text("a \"b\";c 'd'{");
    lt_test_tok(LT_CONF_TOKEN_DIRECTIVE, "[a][b]", "; right after a closing quote");
    lt_test_tok(LT_CONF_TOKEN_BLOCK, "[c][d]", "{ right after a closing quote");

    lt_test_text("a \"it's\" 'say \"hi\"';");
    lt_test_tok(LT_CONF_TOKEN_DIRECTIVE, "[a][it's][say \"hi\"]",
                "the other quote inside quotes");

    lt_test_text("a \"one\ntwo\" b;\nc;");
    lt_test_tok(LT_CONF_TOKEN_DIRECTIVE, "[a][one\ntwo][b]", "a newline inside quotes");
    is_int(lt_test_file.line, 2, "the newline in quotes is counted");
    lt_test_tok(LT_CONF_TOKEN_DIRECTIVE, "[c]", "next line");
    is_int(lt_test_file.line, 3, "line 3 after it");
}


static void
lt_test_escapes(void)
{
    lt_test_text("a \"q\\\"q\" 'q\\'q' \"b\\\\s\" \"t\\tr\\rn\\n\" 'x\\\"y';");
    lt_test_tok(LT_CONF_TOKEN_DIRECTIVE, "[a][q\"q][q'q][b\\s][t\tr\rn\n][x\"y]",
                "\\\" \\' \\\\ \\t \\r \\n in quotes become the character");

    lt_test_text("location ~ \"^/a\\.b/(\\d+)\\w$\" '\\s\\/';");
    lt_test_tok(LT_CONF_TOKEN_DIRECTIVE, "[location][~][^/a\\.b/(\\d+)\\w$][\\s\\/]",
                "other pairs (\\. \\d \\w \\s \\/) stay as written in quotes");

    lt_test_text("rewrite ^/a\\.php$ /b\\d \\x;");
    lt_test_tok(LT_CONF_TOKEN_DIRECTIVE, "[rewrite][^/a\\.php$][/b\\d][\\x]",
                "other pairs stay as written outside quotes");

    lt_test_text("a b\\\"c d\\\\e f\\tg \\'h;");
    lt_test_tok(LT_CONF_TOKEN_DIRECTIVE, "[a][b\"c][d\\e][f\tg]['h]",
                "\\\" \\\\ \\t \\' outside quotes");

    /* outside quotes a backslash makes the next character part of the word; the
     * pair itself is kept, as any pair other than \" \' \\ \t \r \n (nginx does
     * the same) */
    lt_test_text("a\\ b c;");
    lt_test_tok(LT_CONF_TOKEN_DIRECTIVE, "[a\\ b][c]", "\\ + space does not end the word");

    lt_test_text("a\\;b c\\;;");
    lt_test_tok(LT_CONF_TOKEN_DIRECTIVE, "[a\\;b][c\\;]", "\\; does not end the directive");

    lt_test_text("a\\{ b;");
    lt_test_tok(LT_CONF_TOKEN_DIRECTIVE, "[a\\{][b]", "\\{ does not open a block");

    lt_test_text("\\;a b;");
    lt_test_tok(LT_CONF_TOKEN_DIRECTIVE, "[\\;a][b]", "a word may start with a backslash");

    lt_test_text("a \"\\\\\" '\\\\' x;");
    lt_test_tok(LT_CONF_TOKEN_DIRECTIVE, "[a][\\][\\][x]",
                "\\\\ before the closing quote does not escape it");

    lt_test_text("a \"b\\\nc\";");
    lt_test_tok(LT_CONF_TOKEN_DIRECTIVE, "[a][b\\\nc]", "an escaped newline is kept");
    is_int(lt_test_file.line, 2, "and counted");
}


static void
lt_test_variables(void)
{
    lt_test_text("a${b}c {");
    lt_test_tok(LT_CONF_TOKEN_BLOCK, "[a${b}c]", "${var} in a word does not open a block");

    lt_test_text("location ${x}{ }");
    lt_test_tok(LT_CONF_TOKEN_BLOCK, "[location][${x}]",
                "a word starting ${ then a block right after it");
    lt_test_tok(LT_CONF_TOKEN_BLOCK_END, "", "that block ends");

    lt_test_text("set $a \"$b$c\" $d;");
    lt_test_tok(LT_CONF_TOKEN_DIRECTIVE, "[set][$a][$b$c][$d]", "$var kept verbatim");

    lt_test_text("a $ b$ c$;");
    lt_test_tok(LT_CONF_TOKEN_DIRECTIVE, "[a][$][b$][c$]", "a lone $");

    lt_test_text("location ~ ^/x$ {");
    lt_test_tok(LT_CONF_TOKEN_BLOCK, "[location][~][^/x$]", "$ then space then {");

    lt_test_text("a \"${b} {\";");
    lt_test_tok(LT_CONF_TOKEN_DIRECTIVE, "[a][${b} {]", "${var} inside quotes");
}


static void
lt_test_parens(void)
{
    lt_test_text("if ($a = \"b\") {");
    lt_test_tok(LT_CONF_TOKEN_BLOCK, "[if][($a][=][b][)]",
                ") after a closing quote is a word of its own");

    lt_test_text("if ($a ~ 'b c'){ }");
    lt_test_tok(LT_CONF_TOKEN_BLOCK, "[if][($a][~][b c][)]", "\"'x'){\": ) then a block");
    lt_test_tok(LT_CONF_TOKEN_BLOCK_END, "", "that block ends");

    lt_test_text("if ($a = \"b\")x {");
    lt_test_tok(LT_CONF_TOKEN_BLOCK, "[if][($a][=][b][)x]", "the word goes on after )");

    lt_test_text("if ($a)\n{");
    lt_test_tok(LT_CONF_TOKEN_BLOCK, "[if][($a)]", ") without quotes is part of the word");
}


static void
lt_test_lines(void)
{
    lt_test_text("a\n\nb\n c;\n\n");
    is_int(lt_test_file.line, 1, "starts at line 1");
    lt_test_tok(LT_CONF_TOKEN_DIRECTIVE, "[a][b][c]", "arguments on several lines");
    is_int(lt_test_file.line, 4, "line 4 at the ;");
    lt_test_tok(LT_CONF_TOKEN_EOF, "", "EOF");
    is_int(lt_test_file.line, 6, "line 6 at EOF");

    lt_test_text("a\r\nb;\r\n}");
    lt_test_tok(LT_CONF_TOKEN_DIRECTIVE, "[a][b]", "CRLF line ends");
    lt_test_tok(LT_CONF_TOKEN_BLOCK_END, "", "CRLF then }");
    is_int(lt_test_file.line, 3, "CRLF counted once");
}


static void
lt_test_errors(void)
{
    lt_test_bad("a b", "unexpected end of file, expecting \";\" or \"}\" in test.conf:1",
                "EOF after arguments");
    lt_test_bad("a;\nb c\n", "unexpected end of file, expecting \";\" or \"}\" in test.conf:3",
                "EOF after arguments and a newline: line of the end");
    lt_test_bad("a", "unexpected end of file, expecting \";\" or \"}\" in test.conf:1",
                "EOF inside the first word");
    lt_test_bad("a \"b c;\n}", "unexpected end of file, expecting \";\" or \"}\" in test.conf:2",
                "EOF inside double quotes");
    lt_test_bad("a 'b", "unexpected end of file, expecting \";\" or \"}\" in test.conf:1",
                "EOF inside single quotes");
    lt_test_bad("a \"b\"", "unexpected end of file, expecting \";\" or \"}\" in test.conf:1",
                "EOF after a closing quote");
    lt_test_bad("a # comment", "unexpected end of file, expecting \";\" or \"}\" "
                "in test.conf:1", "EOF in a comment after arguments");
    lt_test_bad("a\\", "unexpected end of file, expecting \";\" or \"}\" in test.conf:1",
                "EOF after a backslash");

    lt_test_bad("a b }", "unexpected \"}\" in test.conf:1", "} after arguments");
    lt_test_bad("a;\n\n  b\n}", "unexpected \"}\" in test.conf:4", "} after arguments, line 4");
    lt_test_bad("a \"b\"}", "unexpected \"}\" in test.conf:1", "} right after a quote");

    lt_test_bad(";", "unexpected \";\" in test.conf:1", "; without a directive");
    lt_test_bad("a;\n ;", "unexpected \";\" in test.conf:2", "; alone on line 2");
    lt_test_bad("a; ;", "unexpected \";\" in test.conf:1", "two ;");

    lt_test_bad("{", "unexpected \"{\" in test.conf:1", "{ without a directive");
    lt_test_bad("\n\n {", "unexpected \"{\" in test.conf:3", "{ alone on line 3");
    lt_test_bad("a { } {", "unexpected \"{\" in test.conf:1", "{ after a block");

    lt_test_bad("a \"b\"x;", "unexpected \"x\" in test.conf:1", "x after a closing quote");
    lt_test_bad("a\n'b'c;", "unexpected \"c\" in test.conf:2", "c after a closing quote, line 2");
    lt_test_bad("a \"b\"\"c\";", "unexpected \"\"\" in test.conf:1", "\" after a closing quote");
    lt_test_bad("a 'b'#c\n;", "unexpected \"#\" in test.conf:1", "# after a closing quote");
    lt_test_bad("a \"b\"\\ c;", "unexpected \"\\\" in test.conf:1",
                "backslash after a closing quote");
}


/* lt_conf_log_error's " in FILE:LINE" suffix and its variants */
static void
lt_test_log_error(void)
{
    lt_conf_file_t  named;

    lt_test_text("");
    lt_test_file.line = 12;
    lt_conf_log_error(LT_LOG_EMERG, &lt_test_cf, 0, "x %d", 1);
    lt_test_log_is("[emerg] x 1 in test.conf:12", "log_error: in FILE:LINE");

    lt_test_log_reset();
    lt_conf_log_error(LT_LOG_WARN, &lt_test_cf, ENOENT, "open() \"%s\" failed", "/x");
    lt_test_log_is("[warn] open() \"/x\" failed (2: No such file or directory) in test.conf:12",
                   "log_error: errno before the place");

    lt_test_log_reset();
    lt_memzero(&named, sizeof(lt_conf_file_t));
    lt_str_set(&named.name, "command line");
    lt_test_cf.conf_file = &named;
    lt_conf_log_error(LT_LOG_EMERG, &lt_test_cf, 0, "y");
    lt_test_log_is("[emerg] y in command line", "log_error: line 0: in WHAT");

    lt_test_log_reset();
    lt_test_cf.conf_file = NULL;
    lt_conf_log_error(LT_LOG_EMERG, &lt_test_cf, 0, "z");
    lt_test_log_is("[emerg] z", "log_error: no file: no suffix");

    lt_test_cf.conf_file = &lt_test_file;
}


/* lt_conf_parse_string (the -g option): errors that never reach a module */
static void
lt_test_parse_string(void)
{
    lt_str_t         text;
    lt_conf_file_t  *saved;

    saved = lt_test_cf.conf_file;

    lt_test_log_reset();
    lt_str_set(&text, "daemon off");
    ok(lt_conf_parse_string(&lt_test_cf, &text, "command line") == LT_CONF_ERROR,
       "parse_string: missing ;");
    lt_test_log_is("[emerg] unexpected end of file, expecting \";\" or \"}\" in command line",
                   "parse_string: message without a line");
    ok(lt_test_cf.conf_file == saved, "parse_string: conf_file restored");

    lt_test_log_reset();
    lt_str_set(&text, "}");
    ok(lt_conf_parse_string(&lt_test_cf, &text, "command line") == LT_CONF_ERROR,
       "parse_string: }");
    lt_test_log_is("[emerg] unexpected \"}\" in command line", "parse_string: } message");

    lt_test_log_reset();
    lt_str_set(&text, "events {");
    ok(lt_conf_parse_string(&lt_test_cf, &text, "command line") == LT_CONF_ERROR,
       "parse_string: block");
    lt_test_log_is("[emerg] block directives are not supported in -g option in command line",
                   "parse_string: block message");

    /* a string has no lines: a newline in it must not turn "in WHAT" into "in WHAT:1" */
    lt_test_log_reset();
    lt_str_set(&text, "daemon\noff");
    ok(lt_conf_parse_string(&lt_test_cf, &text, "command line") == LT_CONF_ERROR,
       "parse_string: missing ; after a newline");
    lt_test_log_is("[emerg] unexpected end of file, expecting \";\" or \"}\" in command line",
                   "parse_string: a newline in the string adds no line number");

    lt_test_log_reset();
    lt_str_set(&text, "  # nothing\n");
    ok(lt_conf_parse_string(&lt_test_cf, &text, "command line") == LT_CONF_OK,
       "parse_string: only a comment is fine");
}


/* the generic setters, through a fake module's directive table */

typedef struct {
    int          flag;
    int64_t      num;
    int          ival;
    size_t       size;
    off_t        off;
    uint64_t     msec;
    time_t       sec;
    unsigned     en;
    unsigned     mask;
    lt_str_t     str;
    lt_str_t     path;
    lt_array_t  *list;
    lt_array_t  *kv;
    int64_t      bounded;
    size_t       at_least;
    uint64_t     msec_bounded;
} lt_test_conf_t;

#define LT_TEST_BIT_A  0x01
#define LT_TEST_BIT_B  0x02
#define LT_TEST_BIT_C  0x04

static const lt_conf_enum_t  lt_test_enums[] = {
    { lt_string("low"), 1 },
    { lt_string("high"), 2 },
    lt_conf_enum_end
};

static const lt_conf_bitmask_t  lt_test_bits[] = {
    { lt_string("a"), LT_TEST_BIT_A },
    { lt_string("b"), LT_TEST_BIT_B },
    { lt_string("c"), LT_TEST_BIT_C },
    { lt_null_string, 0 }
};

static const lt_conf_num_bounds_t  lt_test_1_100 = { 1, 100 };
static const lt_conf_num_bounds_t  lt_test_min_10 = { 10, INT64_MAX };
static const lt_conf_num_bounds_t  lt_test_1_1000 = { 1, 1000 };

enum {
    LT_TEST_FLAG = 0,
    LT_TEST_NUM,
    LT_TEST_INT,
    LT_TEST_SIZE,
    LT_TEST_OFF,
    LT_TEST_MSEC,
    LT_TEST_SEC,
    LT_TEST_ENUM,
    LT_TEST_MASK,
    LT_TEST_STR,
    LT_TEST_PATH,
    LT_TEST_LIST,
    LT_TEST_KV,
    LT_TEST_BOUNDED,
    LT_TEST_AT_LEAST,
    LT_TEST_MSEC_BOUNDED
};

static lt_command_t  lt_test_commands[] = {
    { "test_flag", LT_CTX_MAIN, 1, 1, lt_conf_set_flag_slot, 0,
      offsetof(lt_test_conf_t, flag), NULL },
    { "test_num", LT_CTX_MAIN, 1, 1, lt_conf_set_num_slot, 0,
      offsetof(lt_test_conf_t, num), NULL },
    { "test_int", LT_CTX_MAIN, 1, 1, lt_conf_set_int_slot, 0,
      offsetof(lt_test_conf_t, ival), NULL },
    { "test_size", LT_CTX_MAIN, 1, 1, lt_conf_set_size_slot, 0,
      offsetof(lt_test_conf_t, size), NULL },
    { "test_off", LT_CTX_MAIN, 1, 1, lt_conf_set_off_slot, 0,
      offsetof(lt_test_conf_t, off), NULL },
    { "test_msec", LT_CTX_MAIN, 1, 1, lt_conf_set_msec_slot, 0,
      offsetof(lt_test_conf_t, msec), NULL },
    { "test_sec", LT_CTX_MAIN, 1, 1, lt_conf_set_sec_slot, 0,
      offsetof(lt_test_conf_t, sec), NULL },
    { "test_enum", LT_CTX_MAIN, 1, 1, lt_conf_set_enum_slot, 0,
      offsetof(lt_test_conf_t, en), lt_test_enums },
    { "test_mask", LT_CTX_MAIN, 1, LT_CONF_MANY, lt_conf_set_bitmask_slot, 0,
      offsetof(lt_test_conf_t, mask), lt_test_bits },
    { "test_str", LT_CTX_MAIN, 1, 1, lt_conf_set_str_slot, 0,
      offsetof(lt_test_conf_t, str), NULL },
    { "test_path", LT_CTX_MAIN, 1, 1, lt_conf_set_path_slot, 0,
      offsetof(lt_test_conf_t, path), NULL },
    { "test_list", LT_CTX_MAIN, 1, 1, lt_conf_set_str_array_slot, 0,
      offsetof(lt_test_conf_t, list), NULL },
    { "test_kv", LT_CTX_MAIN, 2, 2, lt_conf_set_keyval_slot, 0,
      offsetof(lt_test_conf_t, kv), NULL },
    { "test_bounded", LT_CTX_MAIN, 1, 1, lt_conf_set_num_slot, 0,
      offsetof(lt_test_conf_t, bounded), &lt_test_1_100 },
    { "test_at_least", LT_CTX_MAIN, 1, 1, lt_conf_set_size_slot, 0,
      offsetof(lt_test_conf_t, at_least), &lt_test_min_10 },
    { "test_msec_bounded", LT_CTX_MAIN, 1, 1, lt_conf_set_msec_slot, 0,
      offsetof(lt_test_conf_t, msec_bounded), &lt_test_1_1000 },
    lt_null_command
};


/* as a module's create_conf would */
static void
lt_test_conf_init(lt_test_conf_t *conf)
{
    lt_memzero(conf, sizeof(lt_test_conf_t));

    conf->flag = LT_CONF_UNSET;
    conf->num = LT_CONF_UNSET;
    conf->ival = LT_CONF_UNSET;
    conf->size = LT_CONF_UNSET_SIZE;
    conf->off = LT_CONF_UNSET;
    conf->msec = LT_CONF_UNSET_MSEC;
    conf->sec = LT_CONF_UNSET;
    conf->en = LT_CONF_UNSET_UINT;
    conf->mask = 0;
    conf->list = LT_CONF_UNSET_PTR;
    conf->kv = NULL;
    conf->bounded = LT_CONF_UNSET;
    conf->at_least = LT_CONF_UNSET_SIZE;
    conf->msec_bounded = LT_CONF_UNSET_MSEC;
}


/* lt_test_set: calls directive `which` with the arguments (NULL-terminated), as
 * the parser would: cf->args holds the name, then NUL-terminated arguments in
 * the pool */
static char *
lt_test_set(lt_test_conf_t *conf, int which, ...)
{
    va_list        ap;
    const char    *s;
    lt_str_t      *arg, name;
    lt_command_t  *cmd;

    cmd = &lt_test_commands[which];

    lt_test_cf.args->nelts = 0;

    name.data = (u_char *) cmd->name;
    name.len = strlen(cmd->name);

    arg = lt_array_push(lt_test_cf.args);
    arg->data = lt_pstrdup(lt_test_cf.pool, &name);
    arg->len = name.len;

    va_start(ap, which);

    while ((s = va_arg(ap, const char *)) != NULL) {
        name.data = (u_char *) s;
        name.len = strlen(s);

        arg = lt_array_push(lt_test_cf.args);
        arg->data = lt_pstrdup(lt_test_cf.pool, &name);
        arg->len = name.len;
    }

    va_end(ap);

    lt_test_log_reset();

    /* the parser's place: "in test.conf:1" */
    lt_test_file.line = 1;
    lt_test_cf.conf_file = &lt_test_file;

    return cmd->set(&lt_test_cf, cmd, conf);
}


#define lt_test_set_ok(conf, which, ...)                                      \
    (lt_test_set(conf, which, __VA_ARGS__, NULL) == LT_CONF_OK)

#define lt_test_is_duplicate(rv)                                              \
    ((rv) != LT_CONF_OK && (rv) != LT_CONF_ERROR && strcmp(rv, "is duplicate") == 0)


static void
lt_test_setter_flag(void)
{
    lt_test_conf_t  conf;
    char           *rv;

    lt_test_conf_init(&conf);
    ok(lt_test_set_ok(&conf, LT_TEST_FLAG, "on"), "flag on");
    is_int(conf.flag, 1, "flag on stored");
    rv = lt_test_set(&conf, LT_TEST_FLAG, "off", NULL);
    ok(lt_test_is_duplicate(rv), "flag second time: is duplicate");
    is_int(conf.flag, 1, "flag unchanged by the duplicate");
    lt_test_log_is("0 lines: ", "flag duplicate: the parser logs it, not the setter");

    lt_test_conf_init(&conf);
    ok(lt_test_set_ok(&conf, LT_TEST_FLAG, "OFF"), "flag OFF (any case)");
    is_int(conf.flag, 0, "flag off stored");

    lt_test_conf_init(&conf);
    ok(lt_test_set(&conf, LT_TEST_FLAG, "abc", NULL) == LT_CONF_ERROR, "flag abc: error");
    lt_test_log_is("[emerg] invalid value \"abc\" in \"test_flag\" directive, "
                   "it must be \"on\" or \"off\" in test.conf:1", "flag abc: message");
    is_int(conf.flag, LT_CONF_UNSET, "flag abc: still unset");

    ok(lt_test_set(&conf, LT_TEST_FLAG, "o", NULL) == LT_CONF_ERROR, "flag o: error");
    ok(lt_test_set(&conf, LT_TEST_FLAG, "onn", NULL) == LT_CONF_ERROR, "flag onn: error");
    ok(lt_test_set(&conf, LT_TEST_FLAG, "", NULL) == LT_CONF_ERROR, "flag empty: error");
}


static void
lt_test_setter_numbers(void)
{
    lt_test_conf_t  conf;
    char           *rv;

    lt_test_conf_init(&conf);

    ok(lt_test_set_ok(&conf, LT_TEST_NUM, "9223372036854775807"), "num INT64_MAX");
    is_int(conf.num, INT64_MAX, "num stored");
    rv = lt_test_set(&conf, LT_TEST_NUM, "1", NULL);
    ok(lt_test_is_duplicate(rv), "num duplicate");
    is_int(conf.num, INT64_MAX, "num unchanged by the duplicate");

    lt_test_conf_init(&conf);
    ok(lt_test_set(&conf, LT_TEST_NUM, "abc", NULL) == LT_CONF_ERROR, "num abc: error");
    lt_test_log_is("[emerg] invalid value \"abc\" in \"test_num\" directive in test.conf:1",
                   "num abc: message");
    is_int(conf.num, LT_CONF_UNSET, "num abc: still unset");
    ok(lt_test_set(&conf, LT_TEST_NUM, "-1", NULL) == LT_CONF_ERROR, "num -1: error");
    ok(lt_test_set(&conf, LT_TEST_NUM, "9223372036854775808", NULL) == LT_CONF_ERROR,
       "num overflow: error");
    ok(lt_test_set_ok(&conf, LT_TEST_NUM, "0"), "num 0 (no bounds)");
    is_int(conf.num, 0, "num 0 stored");

    ok(lt_test_set_ok(&conf, LT_TEST_INT, "2147483647"), "int INT_MAX");
    is_int(conf.ival, INT_MAX, "int stored");
    ok(lt_test_is_duplicate(lt_test_set(&conf, LT_TEST_INT, "1", NULL)), "int duplicate");

    lt_test_conf_init(&conf);
    ok(lt_test_set(&conf, LT_TEST_INT, "2147483648", NULL) == LT_CONF_ERROR,
       "int INT_MAX + 1: error");
    lt_test_log_is("[emerg] invalid value \"2147483648\" in \"test_int\" directive "
                   "in test.conf:1", "int INT_MAX + 1: message");
    is_int(conf.ival, LT_CONF_UNSET, "int: still unset");

    ok(lt_test_set_ok(&conf, LT_TEST_SIZE, "16k"), "size 16k");
    is_int(conf.size, 16384, "size 16k stored");
    ok(lt_test_is_duplicate(lt_test_set(&conf, LT_TEST_SIZE, "1", NULL)), "size duplicate");
    is_int(conf.size, 16384, "size unchanged by the duplicate");

    lt_test_conf_init(&conf);
    ok(lt_test_set_ok(&conf, LT_TEST_SIZE, "512"), "size 512");
    is_int(conf.size, 512, "size 512 stored");
    lt_test_conf_init(&conf);
    ok(lt_test_set_ok(&conf, LT_TEST_SIZE, "2M"), "size 2M");
    is_int(conf.size, 2 * 1024 * 1024, "size 2M stored");
    lt_test_conf_init(&conf);
    ok(lt_test_set(&conf, LT_TEST_SIZE, "1g", NULL) == LT_CONF_ERROR, "size 1g: error");
    lt_test_log_is("[emerg] invalid value \"1g\" in \"test_size\" directive in test.conf:1",
                   "size 1g: message");
    is_int(conf.size, LT_CONF_UNSET_SIZE, "size: still unset");

    ok(lt_test_set_ok(&conf, LT_TEST_OFF, "1g"), "off 1g");
    is_int(conf.off, 1024LL * 1024 * 1024, "off 1g stored");
    ok(lt_test_is_duplicate(lt_test_set(&conf, LT_TEST_OFF, "1", NULL)), "off duplicate");
    lt_test_conf_init(&conf);
    ok(lt_test_set(&conf, LT_TEST_OFF, "abc", NULL) == LT_CONF_ERROR, "off abc: error");
    lt_test_log_is("[emerg] invalid value \"abc\" in \"test_off\" directive in test.conf:1",
                   "off abc: message");
    is_int(conf.off, LT_CONF_UNSET, "off: still unset");
}


static void
lt_test_setter_times(void)
{
    lt_test_conf_t  conf;

    lt_test_conf_init(&conf);

    ok(lt_test_set_ok(&conf, LT_TEST_MSEC, "500ms"), "msec 500ms");
    is_int(conf.msec, 500, "msec 500ms stored");
    ok(lt_test_is_duplicate(lt_test_set(&conf, LT_TEST_MSEC, "1s", NULL)), "msec duplicate");
    is_int(conf.msec, 500, "msec unchanged by the duplicate");

    lt_test_conf_init(&conf);
    ok(lt_test_set_ok(&conf, LT_TEST_MSEC, "1h 30m"), "msec 1h 30m");
    is_int(conf.msec, 90 * 60 * 1000, "msec 1h 30m stored");
    lt_test_conf_init(&conf);
    ok(lt_test_set_ok(&conf, LT_TEST_MSEC, "5"), "msec 5 (seconds)");
    is_int(conf.msec, 5000, "msec 5 stored as 5000");
    lt_test_conf_init(&conf);
    ok(lt_test_set(&conf, LT_TEST_MSEC, "abc", NULL) == LT_CONF_ERROR, "msec abc: error");
    lt_test_log_is("[emerg] invalid value \"abc\" in \"test_msec\" directive in test.conf:1",
                   "msec abc: message");
    ok(conf.msec == LT_CONF_UNSET_MSEC, "msec: still unset");

    ok(lt_test_set_ok(&conf, LT_TEST_SEC, "1h 30m"), "sec 1h 30m");
    is_int(conf.sec, 90 * 60, "sec 1h 30m stored");
    ok(lt_test_is_duplicate(lt_test_set(&conf, LT_TEST_SEC, "1", NULL)), "sec duplicate");
    lt_test_conf_init(&conf);
    ok(lt_test_set_ok(&conf, LT_TEST_SEC, "30"), "sec 30");
    is_int(conf.sec, 30, "sec 30 stored");
    lt_test_conf_init(&conf);
    ok(lt_test_set(&conf, LT_TEST_SEC, "500ms", NULL) == LT_CONF_ERROR, "sec 500ms: error");
    lt_test_log_is("[emerg] invalid value \"500ms\" in \"test_sec\" directive in test.conf:1",
                   "sec 500ms: message");
    is_int(conf.sec, LT_CONF_UNSET, "sec: still unset");
}


static void
lt_test_setter_enum_mask(void)
{
    lt_test_conf_t  conf;

    lt_test_conf_init(&conf);

    ok(lt_test_set_ok(&conf, LT_TEST_ENUM, "HIGH"), "enum HIGH (any case)");
    is_int(conf.en, 2, "enum value stored");
    ok(lt_test_is_duplicate(lt_test_set(&conf, LT_TEST_ENUM, "low", NULL)), "enum duplicate");
    is_int(conf.en, 2, "enum unchanged by the duplicate");

    lt_test_conf_init(&conf);
    ok(lt_test_set(&conf, LT_TEST_ENUM, "medium", NULL) == LT_CONF_ERROR, "enum medium: error");
    lt_test_log_is("[emerg] invalid value \"medium\" in \"test_enum\" directive in test.conf:1",
                   "enum medium: message");
    ok(lt_test_set(&conf, LT_TEST_ENUM, "lo", NULL) == LT_CONF_ERROR, "enum prefix: error");
    ok(lt_test_set(&conf, LT_TEST_ENUM, "lowx", NULL) == LT_CONF_ERROR, "enum longer: error");
    ok(conf.en == LT_CONF_UNSET_UINT, "enum: still unset");
    ok(lt_test_set_ok(&conf, LT_TEST_ENUM, "low"), "enum low");
    is_int(conf.en, 1, "enum low stored");

    ok(lt_test_set_ok(&conf, LT_TEST_MASK, "a", "C"), "bitmask a C");
    is_int(conf.mask, LT_TEST_BIT_A | LT_TEST_BIT_C, "bitmask a|c");
    lt_test_log_is("0 lines: ", "bitmask: nothing logged");
    ok(lt_test_set_ok(&conf, LT_TEST_MASK, "b"), "bitmask given again adds");
    is_int(conf.mask, LT_TEST_BIT_A | LT_TEST_BIT_B | LT_TEST_BIT_C, "bitmask a|b|c");
    ok(lt_test_set_ok(&conf, LT_TEST_MASK, "a"), "bitmask repeated value: not an error");
    lt_test_log_is("[warn] duplicate value \"a\" in \"test_mask\" directive in test.conf:1",
                   "bitmask repeated value: warning");

    lt_test_conf_init(&conf);
    ok(lt_test_set(&conf, LT_TEST_MASK, "a", "z", NULL) == LT_CONF_ERROR, "bitmask z: error");
    lt_test_log_is("[emerg] invalid value \"z\" in \"test_mask\" directive in test.conf:1",
                   "bitmask z: message");
}


static void
lt_test_setter_strings(void)
{
    lt_test_conf_t   conf;
    lt_str_t        *s;
    lt_keyval_t     *kv;

    lt_test_conf_init(&conf);

    ok(lt_test_set_ok(&conf, LT_TEST_STR, "hello world"), "str");
    is_str(conf.str.data, conf.str.len, "hello world", "str stored");
    ok(lt_test_is_duplicate(lt_test_set(&conf, LT_TEST_STR, "x", NULL)), "str duplicate");
    is_str(conf.str.data, conf.str.len, "hello world", "str unchanged by the duplicate");

    lt_test_conf_init(&conf);
    ok(lt_test_set_ok(&conf, LT_TEST_STR, ""), "str empty");
    ok(conf.str.data != NULL && conf.str.len == 0, "str empty stored (set, length 0)");
    ok(lt_test_is_duplicate(lt_test_set(&conf, LT_TEST_STR, "x", NULL)),
       "str duplicate after an empty value");

    ok(lt_test_set_ok(&conf, LT_TEST_PATH, "logs/a.log"), "path relative");
    is_str(conf.path.data, conf.path.len, "/srv/lintel/logs/a.log",
           "path relative: made absolute against the prefix");
    ok(conf.path.data[conf.path.len] == '\0', "path relative: NUL-terminated");
    ok(lt_test_is_duplicate(lt_test_set(&conf, LT_TEST_PATH, "/x", NULL)), "path duplicate");

    lt_test_conf_init(&conf);
    ok(lt_test_set_ok(&conf, LT_TEST_PATH, "/var/log/b.log"), "path absolute");
    is_str(conf.path.data, conf.path.len, "/var/log/b.log", "path absolute: unchanged");

    ok(lt_test_set_ok(&conf, LT_TEST_LIST, "one"), "str array: one");
    ok(lt_test_set_ok(&conf, LT_TEST_LIST, "two"), "str array: two (no duplicate)");
    ok(conf.list != LT_CONF_UNSET_PTR && conf.list->nelts == 2, "str array: two elements");
    if (conf.list != LT_CONF_UNSET_PTR && conf.list->nelts == 2) {
        s = conf.list->elts;
        is_str(s[0].data, s[0].len, "one", "str array [0]");
        is_str(s[1].data, s[1].len, "two", "str array [1]");
    }

    ok(lt_test_set_ok(&conf, LT_TEST_KV, "k", "v"), "keyval");
    ok(lt_test_set_ok(&conf, LT_TEST_KV, "k2", ""), "keyval again");
    ok(conf.kv != NULL && conf.kv->nelts == 2, "keyval: two pairs");
    if (conf.kv != NULL && conf.kv->nelts == 2) {
        kv = conf.kv->elts;
        is_str(kv[0].key.data, kv[0].key.len, "k", "keyval [0] key");
        is_str(kv[0].value.data, kv[0].value.len, "v", "keyval [0] value");
        is_str(kv[1].key.data, kv[1].key.len, "k2", "keyval [1] key");
        is_int(kv[1].value.len, 0, "keyval [1] empty value");
    }
}


static void
lt_test_setter_bounds(void)
{
    lt_test_conf_t  conf;

    lt_test_conf_init(&conf);
    ok(lt_test_set_ok(&conf, LT_TEST_BOUNDED, "1"), "bounds: low end accepted");
    is_int(conf.bounded, 1, "bounds: 1 stored");
    lt_test_conf_init(&conf);
    ok(lt_test_set_ok(&conf, LT_TEST_BOUNDED, "100"), "bounds: high end accepted");
    is_int(conf.bounded, 100, "bounds: 100 stored");

    lt_test_conf_init(&conf);
    ok(lt_test_set(&conf, LT_TEST_BOUNDED, "101", NULL) == LT_CONF_ERROR, "bounds: 101 error");
    lt_test_log_is("[emerg] invalid value \"101\" in \"test_bounded\" directive, "
                   "it must be between 1 and 100 in test.conf:1", "bounds: 101 message");
    is_int(conf.bounded, LT_CONF_UNSET, "bounds: 101 not stored");
    ok(lt_test_set(&conf, LT_TEST_BOUNDED, "0", NULL) == LT_CONF_ERROR, "bounds: 0 error");
    lt_test_log_is("[emerg] invalid value \"0\" in \"test_bounded\" directive, "
                   "it must be between 1 and 100 in test.conf:1", "bounds: 0 message");
    is_int(conf.bounded, LT_CONF_UNSET, "bounds: 0 not stored");
    ok(lt_test_set(&conf, LT_TEST_BOUNDED, "abc", NULL) == LT_CONF_ERROR,
       "bounds: abc error");
    lt_test_log_is("[emerg] invalid value \"abc\" in \"test_bounded\" directive "
                   "in test.conf:1", "bounds: abc message has no range");

    ok(lt_test_set(&conf, LT_TEST_AT_LEAST, "5", NULL) == LT_CONF_ERROR,
       "lower bound only: 5 error");
    lt_test_log_is("[emerg] invalid value \"5\" in \"test_at_least\" directive, "
                   "it must be at least 10 in test.conf:1", "lower bound only: message");
    ok(conf.at_least == LT_CONF_UNSET_SIZE, "lower bound only: not stored");
    ok(lt_test_set_ok(&conf, LT_TEST_AT_LEAST, "1m"), "lower bound only: 1m accepted");
    is_int(conf.at_least, 1024 * 1024, "lower bound only: 1m stored");

    ok(lt_test_set(&conf, LT_TEST_MSEC_BOUNDED, "2s", NULL) == LT_CONF_ERROR,
       "msec bounds apply to milliseconds: 2s error");
    lt_test_log_is("[emerg] invalid value \"2s\" in \"test_msec_bounded\" directive, "
                   "it must be between 1 and 1000 in test.conf:1", "msec bounds: message");
    ok(lt_test_set_ok(&conf, LT_TEST_MSEC_BOUNDED, "1s"), "msec bounds: 1s accepted");
    is_int(conf.msec_bounded, 1000, "msec bounds: 1s stored");
}


/* a directive read by the tokenizer and handed to its setter, as the parser does */
static void
lt_test_token_to_setter(void)
{
    lt_test_conf_t  conf;

    lt_test_conf_init(&conf);

    lt_test_text("test_str \"a b\\tc\";\n\ntest_size abc;");
    lt_test_tok(LT_CONF_TOKEN_DIRECTIVE, "[test_str][a b\tc]", "tokenizer to setter: str");
    ok(lt_test_commands[LT_TEST_STR].set(&lt_test_cf, &lt_test_commands[LT_TEST_STR], &conf)
       == LT_CONF_OK, "tokenizer to setter: str set");
    is_str(conf.str.data, conf.str.len, "a b\tc", "tokenizer to setter: str stored");

    lt_test_tok(LT_CONF_TOKEN_DIRECTIVE, "[test_size][abc]", "tokenizer to setter: size");
    ok(lt_test_commands[LT_TEST_SIZE].set(&lt_test_cf, &lt_test_commands[LT_TEST_SIZE], &conf)
       == LT_CONF_ERROR, "tokenizer to setter: size abc");
    lt_test_log_is("[emerg] invalid value \"abc\" in \"test_size\" directive in test.conf:3",
                   "tokenizer to setter: message with the directive's line");
}


int
main(void)
{
    FILE       *tmp;
    lt_pool_t  *pool;

    lt_time_init();
    lt_pid = getpid();

    /* the errors this test provokes are read back from the log, not printed */
    lt_use_stderr = 0;

    tmp = tmpfile();
    if (tmp == NULL) {
        printf("Bail out! tmpfile() failed\n");
        return 255;
    }

    lt_test_log_file.fd = fileno(tmp);
    lt_str_set(&lt_test_log_file.name, "test.log");
    lt_test_log.log_level = LT_LOG_DEBUG;
    lt_test_log.file = &lt_test_log_file;

    pool = lt_create_pool(LT_DEFAULT_POOL_SIZE, &lt_test_log);
    if (pool == NULL) {
        printf("Bail out! lt_create_pool failed\n");
        return 255;
    }

    lt_test_cycle.pool = pool;
    lt_test_cycle.log = &lt_test_log;
    lt_str_set(&lt_test_cycle.prefix, "/srv/lintel/");
    lt_str_set(&lt_test_cycle.conf_prefix, "/srv/lintel/conf/");

    lt_test_cf.pool = pool;
    lt_test_cf.temp_pool = pool;
    lt_test_cf.log = &lt_test_log;
    lt_test_cf.cycle = &lt_test_cycle;
    lt_test_cf.cmd_type = LT_CTX_MAIN;
    lt_test_cf.module_type = LT_CORE_MODULE;
    lt_test_cf.args = lt_array_create(pool, 8, sizeof(lt_str_t));
    if (lt_test_cf.args == NULL) {
        printf("Bail out! lt_array_create failed\n");
        return 255;
    }

    lt_test_plain();
    lt_test_comments();
    lt_test_quotes();
    lt_test_escapes();
    lt_test_variables();
    lt_test_parens();
    lt_test_lines();
    lt_test_errors();
    lt_test_log_error();
    lt_test_parse_string();

    lt_test_setter_flag();
    lt_test_setter_numbers();
    lt_test_setter_times();
    lt_test_setter_enum_mask();
    lt_test_setter_strings();
    lt_test_setter_bounds();
    lt_test_token_to_setter();

    free(lt_test_text_buf);
    lt_destroy_pool(pool);
    fclose(tmp);

    return done_testing();
}
