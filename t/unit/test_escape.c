/*
 * test_escape.c: percent-encoding and decoding, HTML and JSON escaping of
 * core/lt_escape.c. Each escape type is checked byte by byte against a set
 * written out here independently of the tables, and on examples (those of
 * nginx-tests http_absolute_redirect.t and autoindex.t among them).
 */

#include "lt_core.h"
#include "tap.h"

typedef struct {
    unsigned     type;
    const char  *name;
    const char  *extra;     /* printable ASCII escaped beyond controls */
    unsigned     high;      /* bytes >= 0x80 escaped */
    unsigned     del;       /* 0x7f escaped */
    unsigned     controls;  /* 0x00-0x1f escaped */
} lt_test_type_t;

static const lt_test_type_t  lt_test_types[] = {
    { LT_ESCAPE_URI, "uri", " \"#%<>?\\^`{|}", 1, 1, 1 },
    { LT_ESCAPE_ARGS, "args", " \"#%<>?\\^`{|}&+;", 1, 1, 1 },
    { LT_ESCAPE_URI_COMPONENT, "uri component",
      " !\"#$%&'()*+,/:;<=>?@[\\]^`{|}", 1, 1, 1 },
    { LT_ESCAPE_HTML, "html", " \"#%<>?\\^`{|}&'", 1, 1, 1 },
    { LT_ESCAPE_REFRESH, "refresh", " \"'", 1, 1, 1 },
    { LT_ESCAPE_MEMCACHED, "memcached", " %", 0, 1, 1 },
    { LT_ESCAPE_MAIL_AUTH, "mail auth", " %", 0, 1, 1 },
};


static u_char *
lt_test_copy(const void *s, size_t n)
{
    u_char  *p;

    p = malloc(n ? n : 1);
    if (p == NULL) {
        printf("Bail out! out of memory\n");
        exit(255);
    }

    if (n) {
        memcpy(p, s, n);
    }

    return p;
}


static int
lt_test_escaped(const lt_test_type_t *t, unsigned c)
{
    if (c < 0x20) {
        return t->controls;
    }

    if (c == 0x7f) {
        return t->del;
    }

    if (c >= 0x80) {
        return t->high;
    }

    return strchr(t->extra, (int) c) != NULL;
}


/* every byte of every type, and the length function against the output */
static void
lt_test_escape_tables(void)
{
    size_t                 i, len, bad;
    u_char                 all[256], out[256 * 3], *end;
    unsigned               c;
    const lt_test_type_t  *t;

    for (c = 0; c < 256; c++) {
        all[c] = (u_char) c;
    }

    for (i = 0; i < lt_nelts(lt_test_types); i++) {
        t = &lt_test_types[i];
        bad = 256;

        for (c = 0; c < 256 && bad == 256; c++) {
            u_char  one[1] = { (u_char) c };

            end = lt_escape_uri(out, one, 1, t->type);

            if (lt_test_escaped(t, c)) {
                static const char  hex[] = "0123456789ABCDEF";

                if (end - out != 3 || out[0] != '%' || out[1] != hex[c >> 4]
                    || out[2] != hex[c & 0xf])
                {
                    bad = c;
                }

            } else if (end - out != 1 || out[0] != c) {
                bad = c;
            }
        }

        ok(bad == 256, "escape %s: exactly its set of bytes, as %%XX uppercase", t->name);
        if (bad != 256) {
            diag("byte 0x%02zx", bad);
        }

        len = lt_escape_uri_len(all, 256, t->type);
        end = lt_escape_uri(out, all, 256, t->type);
        is_int(len, end - out, "escape %s: lt_escape_uri_len is the output's length", t->name);
    }

    is_int(lt_escape_uri_len(all, 0, LT_ESCAPE_URI), 0, "escape of nothing: 0");
}


static void
lt_test_escape_examples(void)
{
    static const struct {
        unsigned     type;
        const char  *in;
        const char  *out;
    } cases[] = {
        /* http_absolute_redirect.t: the RFC 3986 set plus ? % # */
        { LT_ESCAPE_URI, "/auto \"#%<>?\\^`{|}/", "/auto%20%22%23%25%3C%3E%3F%5C%5E%60%7B%7C%7D/" },
        { LT_ESCAPE_URI, "/a/b.html;p=1&x=y+z", "/a/b.html;p=1&x=y+z" },
        { LT_ESCAPE_URI, "/caf\xc3\xa9\x7f\x01", "/caf%C3%A9%7F%01" },
        { LT_ESCAPE_URI, "/~user/!$&'()*+,;=:@[]", "/~user/!$&'()*+,;=:@[]" },
        { LT_ESCAPE_ARGS, "a=b&c+d;e f?g#h%", "a=b%26c%2Bd%3Be%20f%3Fg%23h%25" },
        { LT_ESCAPE_ARGS, "/x/y:z@w", "/x/y:z@w" },
        { LT_ESCAPE_URI_COMPONENT, "a-b_c.d~e/f?g h", "a-b_c.d~e%2Ff%3Fg%20h" },
        { LT_ESCAPE_URI_COMPONENT, "AZaz09", "AZaz09" },
        /* autoindex.t: "%" and "?" in a file name */
        { LT_ESCAPE_HTML, "test-escape-url-%", "test-escape-url-%25" },
        { LT_ESCAPE_HTML, "test-escape-url2-?", "test-escape-url2-%3F" },
        { LT_ESCAPE_HTML, "a'b&c\"<d>", "a%27b%26c%22%3Cd%3E" },
        { LT_ESCAPE_REFRESH, "/a b\"c'd<e>?", "/a%20b%22c%27d<e>?" },
        { LT_ESCAPE_REFRESH, "\xff", "%FF" },
        { LT_ESCAPE_MEMCACHED, "key with%\x01\xff", "key%20with%25%01\xff" },
        { LT_ESCAPE_MAIL_AUTH, "user name%", "user%20name%25" },
        { LT_ESCAPE_URI, "", "" },
    };

    size_t   i, len;
    u_char  *in, *out, *end;

    for (i = 0; i < lt_nelts(cases); i++) {
        len = strlen(cases[i].in);
        in = lt_test_copy(cases[i].in, len);
        out = malloc(lt_escape_uri_len(in, len, cases[i].type) + 1);

        end = lt_escape_uri(out, in, len, cases[i].type);
        is_str(out, end - out, cases[i].out, "escape %zu: \"%s\"", i, cases[i].out);
        is_int(lt_escape_uri_len(in, len, cases[i].type), end - out, "escape %zu: length", i);

        free(in);
        free(out);
    }

    ok(lt_escape_uri_len((u_char *) " ", 1, 99) == 3, "an unknown type escapes as a component");
}


/* lt_test_unescape: decodes in into a copy of it (in place), returns what it
 * made and where the source stopped */
static const char *
lt_test_unescape(const char *in, unsigned type, size_t *consumed)
{
    static char   out[256];
    u_char       *buf, *dst, *src;
    size_t        len;

    len = strlen(in);
    buf = lt_test_copy(in, len);
    dst = buf;
    src = buf;

    lt_unescape_uri(&dst, &src, len, type);

    *consumed = src - buf;
    (void) snprintf(out, sizeof(out), "%.*s", (int) (dst - buf), (char *) buf);
    free(buf);

    return out;
}


static void
lt_test_unescape_cases(void)
{
    static const struct {
        const char  *in;
        unsigned     type;
        const char  *out;
        size_t       consumed;      /* 0: all */
    } cases[] = {
        { "%41%42", 0, "AB", 0 },
        { "%4a%4A%4f", 0, "JJO", 0 },
        { "a%2Fb", 0, "a/b", 0 },
        { "%C3%A9", 0, "\xc3\xa9", 0 },
        { "a+b", 0, "a+b", 0 },
        { "%zz", 0, "%zz", 0 },
        { "%4", 0, "%4", 0 },
        { "%", 0, "%", 0 },
        { "a%", 0, "a%", 0 },
        { "%4g%41", 0, "%4gA", 0 },
        { "%%41", 0, "%A", 0 },
        { "%2541", 0, "%41", 0 },
        { "/a?b%20c", 0, "/a?b c", 0 },
        { "%00x", 0, "\0x", 0 },

        /* a path: stops after a "?", literal or escaped (as nginx) */
        { "/a%20b?c%20d", LT_UNESCAPE_URI, "/a b?", 7 },
        { "/a%3Fb?c", LT_UNESCAPE_URI, "/a?", 5 },
        { "/a%20b", LT_UNESCAPE_URI, "/a b", 0 },

        /* a redirect: controls and bytes >= 0x7f stay escaped; "?" ends it */
        { "/b%20c%0D%0A%41?x", LT_UNESCAPE_REDIRECT, "/b%20c%0D%0AA?", 16 },
        { "/a%3Fb%20c", LT_UNESCAPE_REDIRECT, "/a?", 5 },
        { "/%25%24%23%22%21%26%2F", LT_UNESCAPE_REDIRECT, "/%25%24%23%22%21&/", 0 },
        { "/%7f%7E%C3%a9", LT_UNESCAPE_REDIRECT, "/%7f~%C3%a9", 0 },
        { "/%zz", LT_UNESCAPE_REDIRECT, "/%zz", 0 },
    };

    size_t       i, consumed, expect;
    const char  *got;

    for (i = 0; i < lt_nelts(cases); i++) {
        got = lt_test_unescape(cases[i].in, cases[i].type, &consumed);
        expect = cases[i].consumed ? cases[i].consumed : strlen(cases[i].in);

        if (strcmp(cases[i].in, "%00x") == 0) {
            ok(consumed == 4, "unescape %%00: a NUL byte");
            continue;
        }

        is_str(got, strlen(got), cases[i].out, "unescape %zu \"%s\" is \"%s\"", i,
               cases[i].in, cases[i].out);
        is_int(consumed, expect, "unescape %zu: the source advanced by %zu", i, expect);
    }

    {
        u_char   src[] = "a%20b", dst[8], *d, *s;

        d = dst;
        s = src;
        lt_unescape_uri(&d, &s, 5, 0);
        ok(d - dst == 3 && memcmp(dst, "a b", 3) == 0 && s == src + 5,
           "unescape into another buffer");

        d = dst;
        s = src;
        lt_unescape_uri(&d, &s, 0, 0);
        ok(d == dst && s == src, "unescape of nothing");
    }
}


static void
lt_test_html(void)
{
    static const struct {
        const char  *in;
        const char  *out;
    } cases[] = {
        { "<a href=\"x\">&amp;</a>", "&lt;a href=&quot;x&quot;&gt;&amp;amp;&lt;/a&gt;" },
        { "test-escape-html-<>&", "test-escape-html-&lt;&gt;&amp;" },
        { "plain text, 'quoted'", "plain text, 'quoted'" },
        { "\xd1\x84<", "\xd1\x84&lt;" },
        { "", "" },
    };

    size_t   i, len;
    u_char  *in, *out, *end;

    for (i = 0; i < lt_nelts(cases); i++) {
        len = strlen(cases[i].in);
        in = lt_test_copy(cases[i].in, len);
        out = malloc(lt_escape_html_len(in, len) + 1);

        end = lt_escape_html(out, in, len);
        is_str(out, end - out, cases[i].out, "html %zu: \"%s\"", i, cases[i].out);
        is_int(lt_escape_html_len(in, len), end - out, "html %zu: length", i);

        free(in);
        free(out);
    }
}


static void
lt_test_json(void)
{
    static const struct {
        const char  *in;
        size_t       len;
        const char  *out;
    } cases[] = {
        { "a\"b\\c", 5, "a\\\"b\\\\c" },
        { "\n\r\t\b\f", 5, "\\n\\r\\t\\b\\f" },
        { "\x01\x1f\x0b", 3, "\\u0001\\u001F\\u000B" },
        { "\0", 1, "\\u0000" },
        { "\x7f\xc3\xa9/<>'", 7, "\x7f\xc3\xa9/<>'" },
        { "", 0, "" },
    };

    size_t   i;
    u_char  *in, *out, *end;

    for (i = 0; i < lt_nelts(cases); i++) {
        in = lt_test_copy(cases[i].in, cases[i].len);
        out = malloc(lt_escape_json_len(in, cases[i].len) + 1);

        end = lt_escape_json(out, in, cases[i].len);
        is_str(out, end - out, cases[i].out, "json %zu: \"%s\"", i, cases[i].out);
        is_int(lt_escape_json_len(in, cases[i].len), end - out, "json %zu: length", i);

        free(in);
        free(out);
    }
}



/* every byte at once, and every byte alone */
static void
lt_test_json_all(void)
{
    u_char    all[256], out[256 * 6], one[1], o[8], *end;
    size_t    bad;
    unsigned  c;

    for (c = 0; c < 256; c++) {
        all[c] = (u_char) c;
    }

    end = lt_escape_json(out, all, 256);
    is_int(lt_escape_json_len(all, 256), end - out, "json: length over every byte");

    /* 32 controls: 5 as two bytes, 27 as six; " and \ as two */
    is_int(end - out, 256 + 5 * 1 + 27 * 5 + 2 * 1, "json: every byte, escaped size");

    bad = 256;

    for (c = 0x20; c < 256 && bad == 256; c++) {
        if (c == '"' || c == '\\') {
            continue;
        }

        one[0] = (u_char) c;

        if (lt_escape_json(o, one, 1) != o + 1 || o[0] != c) {
            bad = c;
        }
    }

    ok(bad == 256, "json: other bytes >= 0x20 are kept");
}


int
main(void)
{
    lt_test_escape_tables();
    lt_test_escape_examples();
    lt_test_unescape_cases();
    lt_test_html();
    lt_test_json();
    lt_test_json_all();

    return done_testing();
}
