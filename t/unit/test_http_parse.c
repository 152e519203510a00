/*
 * test_http_parse.c: the HTTP/1.x parsers of http/lt_http_parse.c: request line,
 * header lines, status line, chunked bodies, complex URIs, Host validation,
 * arguments, cookies and method names.
 *
 * Every input of the line parsers and of the chunked parser is run four ways:
 * whole, one byte at a time, split at every position into two calls, and split
 * at every position with the first part in a buffer of exactly that size that
 * is then moved (lt_http_parse_relocate()) into a new one. Each run writes a
 * trace of every result with every recorded position (as an offset); the four
 * must be identical. The inputs are exact-size heap copies, so that
 * AddressSanitizer sees a read past the end.
 *
 * The expectations of /work/nginx-tests http_uri.t, http_host.t, merge_slashes.t,
 * http_method.t, ignore_invalid_headers.t and body_chunked.t are all here.
 */

#include "lt_core.h"
#include "lt_http_parse.h"
#include "tap.h"

/* the parser is compiled in here: liblintel.a holds http/ only when configured
 * with HTTP, and a static archive member is never pulled in for symbols that
 * are already defined, so this links either way */
#include "lt_http_parse.c"

#define LT_TEST_TRACE_LEN  16384

typedef struct {
    char     buf[LT_TEST_TRACE_LEN];
    size_t   len;
} lt_test_trace_t;

enum {
    LT_TEST_WHOLE = 0,
    LT_TEST_BYTES,
    LT_TEST_SPLIT,
    LT_TEST_MOVE
};

enum {
    LT_TEST_REQUEST = 0,        /* request line, then header lines */
    LT_TEST_HEADERS,            /* header lines only */
    LT_TEST_STATUS              /* status line, then header lines */
};

/* the first result of a whole run, and the state right after it */
typedef struct {
    int               rc;
    size_t            pos;
    lt_http_parse_t   p;
    u_char           *buf;      /* the input, valid until the next run */
    size_t            len;
} lt_test_result_t;

#define T(s)  (const u_char *) s, sizeof(s) - 1

static lt_test_trace_t   lt_test_t1, lt_test_t2;
static lt_test_result_t  lt_test_res;
static unsigned          lt_test_underscores;


/* helpers */

static void LT_PRINTF(2, 3)
lt_test_tracef(lt_test_trace_t *t, const char *fmt, ...)
{
    int      n;
    va_list  args;

    if (t->len >= sizeof(t->buf) - 1) {
        return;
    }

    va_start(args, fmt);
    n = vsnprintf(t->buf + t->len, sizeof(t->buf) - t->len, fmt, args);
    va_end(args);

    if (n > 0) {
        t->len = lt_min(t->len + (size_t) n, sizeof(t->buf) - 1);
    }
}


/* lt_test_trace_bytes: bytes, with anything not printable as \xNN */
static void
lt_test_trace_bytes(lt_test_trace_t *t, const u_char *s, size_t n)
{
    size_t  i;

    for (i = 0; i < n; i++) {
        if (s[i] >= 0x20 && s[i] < 0x7f && s[i] != '\\') {
            lt_test_tracef(t, "%c", s[i]);

        } else {
            lt_test_tracef(t, "\\x%02x", s[i]);
        }
    }
}


static void
lt_test_trace_span(lt_test_trace_t *t, const char *name, const u_char *s, const u_char *e)
{
    if (s == NULL) {
        return;
    }

    lt_test_tracef(t, " %s=", name);

    if (e == NULL || e < s) {
        lt_test_tracef(t, "(bad end)");
        return;
    }

    lt_test_trace_bytes(t, s, e - s);
}


static long
lt_test_off(const u_char *base, const u_char *p)
{
    return p ? (long) (p - base) : -1;
}


static u_char *
lt_test_copy(const u_char *s, size_t n)
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


static u_char *
lt_test_alloc(size_t n)
{
    u_char  *p;

    p = malloc(n ? n : 1);
    if (p == NULL) {
        printf("Bail out! out of memory\n");
        exit(255);
    }

    return p;
}


static const char *
lt_test_rc_name(int rc)
{
    static char  buf[32];

    switch (rc) {
    case LT_OK: return "OK";
    case LT_AGAIN: return "AGAIN";
    case LT_ERROR: return "ERROR";
    case LT_DECLINED: return "DECLINED";
    case LT_HTTP_PARSE_HEADER_DONE: return "DONE";
    case LT_HTTP_PARSE_INVALID_METHOD: return "INVALID_METHOD";
    case LT_HTTP_PARSE_INVALID_REQUEST: return "INVALID_REQUEST";
    case LT_HTTP_PARSE_INVALID_VERSION: return "INVALID_VERSION";
    case LT_HTTP_PARSE_INVALID_09_METHOD: return "INVALID_09_METHOD";
    case LT_HTTP_PARSE_INVALID_HEADER: return "INVALID_HEADER";
    case LT_HTTP_PARSE_CHUNK_DATA: return "CHUNK_DATA";
    case LT_HTTP_PARSE_CHUNK_LAST: return "CHUNK_LAST";
    default:
        (void) snprintf(buf, sizeof(buf), "rc %d", rc);
        return buf;
    }
}


/* the full trace lines: every recorded position */

static void
lt_test_trace_line(lt_test_trace_t *t, int rc, lt_http_parse_t *p, u_char *base, u_char *pos)
{
    lt_test_tracef(t, "LINE %s pos=%ld st=%u rs=%ld re=%ld me=%ld sch=%ld,%ld host=%ld,%ld"
                   " port=%ld,%ld uri=%ld,%ld ext=%ld args=%ld proto=%ld m=%x v=%u.%u/%u"
                   " status=%u,%ld,%ld f=%u%u%u%u\n",
                   lt_test_rc_name(rc), lt_test_off(base, pos), p->state,
                   lt_test_off(base, p->request_start), lt_test_off(base, p->request_end),
                   lt_test_off(base, p->method_end), lt_test_off(base, p->schema_start),
                   lt_test_off(base, p->schema_end), lt_test_off(base, p->host_start),
                   lt_test_off(base, p->host_end), lt_test_off(base, p->port_start),
                   lt_test_off(base, p->port_end), lt_test_off(base, p->uri_start),
                   lt_test_off(base, p->uri_end), lt_test_off(base, p->uri_ext),
                   lt_test_off(base, p->args_start), lt_test_off(base, p->http_protocol_start),
                   p->method, p->http_major, p->http_minor, p->http_version, p->status,
                   lt_test_off(base, p->status_start), lt_test_off(base, p->status_end),
                   p->complex_uri, p->quoted_uri, p->plus_in_uri, p->empty_path_in_uri);
}


static void
lt_test_trace_header(lt_test_trace_t *t, int rc, lt_http_parse_t *p, u_char *base, u_char *pos)
{
    size_t  n;

    lt_test_tracef(t, "HEADER %s pos=%ld", lt_test_rc_name(rc), lt_test_off(base, pos));

    if (rc != LT_OK) {
        lt_test_tracef(t, "\n");
        return;
    }

    n = p->header_name_end - p->header_name_start;

    lt_test_tracef(t, " name=%ld,%ld value=%ld,%ld hash=%lx lc=%zu:",
                   lt_test_off(base, p->header_name_start),
                   lt_test_off(base, p->header_name_end), lt_test_off(base, p->header_start),
                   lt_test_off(base, p->header_end), (unsigned long) p->header_hash,
                   p->lowcase_index);
    lt_test_trace_bytes(t, p->lowcase_header, p->lowcase_index);
    lt_test_tracef(t, " inv=%u", p->invalid_header);

    /* the invariants every header line keeps */
    if (p->header_hash != lt_hash_key_lc(p->header_name_start, n)) {
        lt_test_tracef(t, " BADHASH");
    }

    if (p->lowcase_index != lt_min(n, (size_t) LT_HTTP_LC_HEADER_LEN)) {
        lt_test_tracef(t, " BADINDEX");
    }

    while (n--) {
        if (n < LT_HTTP_LC_HEADER_LEN
            && p->lowcase_header[n] != lt_tolower(p->header_name_start[n]))
        {
            lt_test_tracef(t, " BADLOWCASE");
            break;
        }
    }

    lt_test_tracef(t, "\n");
}


/* lt_test_more: makes more input available after LT_AGAIN; in LT_TEST_MOVE mode
 * the input first moves from its exact-size buffer to one for all of it.
 * Returns 0 when all of it already was. */
static int
lt_test_more(lt_test_trace_t *t, int mode, lt_http_parse_t *p, lt_buf_t *b, u_char **buf,
    const u_char *text, size_t len, size_t *avail)
{
    u_char  *nbuf;
    size_t   off;

    if (b->pos != b->last) {
        lt_test_tracef(t, "AGAIN WITH BYTES LEFT at %ld\n", lt_test_off(*buf, b->pos));
    }

    if (*avail == len) {
        return 0;
    }

    *avail = (mode == LT_TEST_BYTES) ? *avail + 1 : len;

    if (mode == LT_TEST_MOVE && *avail == len) {
        off = b->pos - *buf;
        nbuf = lt_test_copy(text, len);
        if (p) {
            lt_http_parse_relocate(p, *buf, nbuf);
        }

        free(*buf);
        *buf = nbuf;
        b->pos = nbuf + off;
    }

    b->last = *buf + *avail;

    return 1;
}


static size_t
lt_test_first_avail(int mode, size_t split, size_t len)
{
    switch (mode) {
    case LT_TEST_WHOLE:
        return len;
    case LT_TEST_BYTES:
        return len ? 1 : 0;
    default:
        return split;
    }
}


/* lt_test_run_lines: the line parsers over text; what selects the first line's
 * parser; the first result goes to res when res is not NULL */
static void
lt_test_run_lines(const u_char *text, size_t len, int what, int mode, size_t split,
    lt_test_trace_t *t, lt_test_result_t *res)
{
    int               rc, first;
    u_char           *buf;
    size_t            avail;
    unsigned          n;
    lt_buf_t          b;
    lt_http_parse_t   p;

    t->len = 0;
    t->buf[0] = '\0';

    avail = lt_test_first_avail(mode, split, len);
    buf = lt_test_copy(text, mode == LT_TEST_MOVE ? avail : len);

    lt_memzero(&b, sizeof(lt_buf_t));
    b.pos = buf;
    b.last = buf + avail;

    lt_http_parse_init(&p);
    first = 1;

    for (n = 0; n < 100000; n++) {
        if (first && what == LT_TEST_REQUEST) {
            rc = lt_http_parse_request_line(&p, &b);

        } else if (first && what == LT_TEST_STATUS) {
            rc = lt_http_parse_status_line(&p, &b);

        } else {
            rc = lt_http_parse_header_line(&p, &b, lt_test_underscores);
        }

        if (rc == LT_AGAIN) {
            if (!lt_test_more(t, mode, &p, &b, &buf, text, len, &avail)) {
                lt_test_tracef(t, "AGAIN at the end\n");
                break;
            }

            continue;
        }

        if (first && what != LT_TEST_HEADERS) {
            lt_test_trace_line(t, rc, &p, buf, b.pos);

        } else {
            lt_test_trace_header(t, rc, &p, buf, b.pos);
        }

        if (res && first) {
            res->rc = rc;
            res->pos = b.pos - buf;
            res->p = p;
        }

        first = 0;

        if (rc != LT_OK) {
            break;
        }
    }

    if (res && first) {
        res->rc = LT_AGAIN;
        res->pos = b.pos - buf;
        res->p = p;
    }

    if (res) {
        free(res->buf);
        res->buf = buf;
        res->len = len;

    } else {
        free(buf);
    }
}


/* lt_test_resumable: the whole run against the three others; the result of the
 * whole run is left in lt_test_res */
static void
lt_test_resumable(const char *name, const u_char *text, size_t len, int what)
{
    int     mode;
    size_t  k, bad;

    lt_test_run_lines(text, len, what, LT_TEST_WHOLE, 0, &lt_test_t1, NULL);

    lt_test_run_lines(text, len, what, LT_TEST_BYTES, 0, &lt_test_t2, NULL);
    ok(strcmp(lt_test_t1.buf, lt_test_t2.buf) == 0, "%s: one byte at a time", name);
    if (strcmp(lt_test_t1.buf, lt_test_t2.buf) != 0) {
        diag("whole:\n%s# bytes:\n%s", lt_test_t1.buf, lt_test_t2.buf);
    }

    for (mode = LT_TEST_SPLIT; mode <= LT_TEST_MOVE; mode++) {
        bad = 0;

        for (k = 1; k < len && bad == 0; k++) {
            lt_test_run_lines(text, len, what, mode, k, &lt_test_t2, NULL);
            if (strcmp(lt_test_t1.buf, lt_test_t2.buf) != 0) {
                bad = k;
            }
        }

        ok(bad == 0, "%s: split anywhere%s", name, mode == LT_TEST_MOVE ? ", moved" : "");
        if (bad) {
            diag("split at %zu\n# whole:\n%s# split:\n%s", bad, lt_test_t1.buf, lt_test_t2.buf);
        }
    }

    lt_test_run_lines(text, len, what, LT_TEST_WHOLE, 0, &lt_test_t1, &lt_test_res);
}


/* request lines */

/* lt_test_rl_summary: what the request line gave, in one line */
static const char *
lt_test_rl_summary(lt_test_result_t *r)
{
    static lt_test_trace_t   s;
    const lt_str_t          *m;
    lt_http_parse_t         *p;
    u_char                  *path_end;

    s.len = 0;
    s.buf[0] = '\0';
    p = &r->p;

    if (r->rc != LT_OK) {
        lt_test_tracef(&s, "%s@%zu", lt_test_rc_name(r->rc), r->pos);
        return s.buf;
    }

    m = lt_http_method_name(p->method);
    lt_test_tracef(&s, "%.*s", m ? (int) m->len : 7, m ? (char *) m->data : "UNKNOWN");
    lt_test_trace_span(&s, "uri", p->uri_start, p->uri_end);
    lt_test_trace_span(&s, "args", p->args_start, p->uri_end);
    lt_test_trace_span(&s, "schema", p->schema_start, p->schema_end);
    lt_test_trace_span(&s, "host", p->host_start, p->host_end);
    lt_test_trace_span(&s, "port", p->port_start, p->port_end);

    path_end = p->args_start ? p->args_start - 1 : p->uri_end;
    lt_test_trace_span(&s, "ext", p->uri_ext, path_end);

    lt_test_tracef(&s, " v=%u", p->http_version);
    lt_test_trace_span(&s, "line", p->request_start, p->request_end);

    lt_test_tracef(&s, "%s%s%s%s", p->complex_uri ? " C" : "", p->quoted_uri ? " Q" : "",
                   p->plus_in_uri ? " P" : "", p->empty_path_in_uri ? " E" : "");

    if (p->method_end + 1 != p->request_start + (m ? m->len : 0) && m) {
        lt_test_tracef(&s, " BADMETHODEND");
    }

    return s.buf;
}


typedef struct {
    const u_char  *text;
    size_t         len;
    const char    *expect;
} lt_test_case_t;

static const lt_test_case_t  lt_test_request_lines[] = {

    /* origin-form */
    { T("GET / HTTP/1.1\r\n"), "GET uri=/ v=1001 line=GET / HTTP/1.1" },
    { T("GET /foo/bar.html?x=1&y=2 HTTP/1.1\r\n"),
      "GET uri=/foo/bar.html?x=1&y=2 args=x=1&y=2 ext=html v=1001"
      " line=GET /foo/bar.html?x=1&y=2 HTTP/1.1" },
    { T("HEAD /a.tar.gz HTTP/1.0\r\n"), "HEAD uri=/a.tar.gz ext=gz v=1000"
      " line=HEAD /a.tar.gz HTTP/1.0" },
    { T("GET / HTTP/1.1\n"), "GET uri=/ v=1001 line=GET / HTTP/1.1" },
    { T("\r\n\r\n\nGET / HTTP/1.1\r\n"), "GET uri=/ v=1001 line=GET / HTTP/1.1" },
    { T("GET   /   HTTP/1.1\r\n"), "GET uri=/ v=1001 line=GET   /   HTTP/1.1" },
    { T("GET / HTTP/1.1   \r\n"), "GET uri=/ v=1001 line=GET / HTTP/1.1" },
    { T("GET /a.b/c HTTP/1.1\r\n"), "GET uri=/a.b/c v=1001 line=GET /a.b/c HTTP/1.1" },
    { T("GET /a.b?c.d HTTP/1.1\r\n"), "GET uri=/a.b?c.d args=c.d ext=b v=1001"
      " line=GET /a.b?c.d HTTP/1.1" },
    { T("GET /caf\xc3\xa9 HTTP/1.1\r\n"), "GET uri=/caf\\xc3\\xa9 v=1001"
      " line=GET /caf\\xc3\\xa9 HTTP/1.1" },
    { T("GET /\"<>\\^`{|}! HTTP/1.1\r\n"), "GET uri=/\"<>\\x5c^`{|}! v=1001"
      " line=GET /\"<>\\x5c^`{|}! HTTP/1.1" },
    { T("GET /? HTTP/1.1\r\n"), "GET uri=/? args= v=1001 line=GET /? HTTP/1.1" },

    /* the flags */
    { T("GET //a HTTP/1.1\r\n"), "GET uri=//a v=1001 line=GET //a HTTP/1.1 C" },
    { T("GET /a//b HTTP/1.1\r\n"), "GET uri=/a//b v=1001 line=GET /a//b HTTP/1.1 C" },
    { T("GET /./ HTTP/1.1\r\n"), "GET uri=/./ v=1001 line=GET /./ HTTP/1.1 C" },
    { T("GET /a/. HTTP/1.1\r\n"), "GET uri=/a/. ext= v=1001 line=GET /a/. HTTP/1.1 C" },
    { T("GET /.hidden HTTP/1.1\r\n"), "GET uri=/.hidden ext=hidden v=1001"
      " line=GET /.hidden HTTP/1.1 C" },
    { T("GET /a%20b HTTP/1.1\r\n"), "GET uri=/a%20b v=1001 line=GET /a%20b HTTP/1.1 C Q" },
    { T("GET /a+b HTTP/1.1\r\n"), "GET uri=/a+b v=1001 line=GET /a+b HTTP/1.1 P" },
    { T("GET /a?b+c%20 HTTP/1.1\r\n"), "GET uri=/a?b+c%20 args=b+c%20 v=1001"
      " line=GET /a?b+c%20 HTTP/1.1" },
    { T("GET /a?b/./c HTTP/1.1\r\n"), "GET uri=/a?b/./c args=b/./c v=1001"
      " line=GET /a?b/./c HTTP/1.1" },
    { T("GET /a#frag HTTP/1.1\r\n"), "GET uri=/a#frag v=1001 line=GET /a#frag HTTP/1.1 C" },
    { T("GET /a#f?x HTTP/1.1\r\n"), "GET uri=/a#f?x v=1001 line=GET /a#f?x HTTP/1.1 C" },
    { T("GET /a?b#c HTTP/1.1\r\n"), "GET uri=/a?b#c args=b#c v=1001"
      " line=GET /a?b#c HTTP/1.1 C" },

    /* methods */
    { T("POST / HTTP/1.1\r\n"), "POST uri=/ v=1001 line=POST / HTTP/1.1" },
    { T("PUT / HTTP/1.1\r\n"), "PUT uri=/ v=1001 line=PUT / HTTP/1.1" },
    { T("DELETE / HTTP/1.1\r\n"), "DELETE uri=/ v=1001 line=DELETE / HTTP/1.1" },
    { T("MKCOL / HTTP/1.1\r\n"), "MKCOL uri=/ v=1001 line=MKCOL / HTTP/1.1" },
    { T("COPY / HTTP/1.1\r\n"), "COPY uri=/ v=1001 line=COPY / HTTP/1.1" },
    { T("MOVE / HTTP/1.1\r\n"), "MOVE uri=/ v=1001 line=MOVE / HTTP/1.1" },
    { T("OPTIONS / HTTP/1.1\r\n"), "OPTIONS uri=/ v=1001 line=OPTIONS / HTTP/1.1" },
    { T("PROPFIND / HTTP/1.1\r\n"), "PROPFIND uri=/ v=1001 line=PROPFIND / HTTP/1.1" },
    { T("PROPPATCH / HTTP/1.1\r\n"), "PROPPATCH uri=/ v=1001 line=PROPPATCH / HTTP/1.1" },
    { T("LOCK / HTTP/1.1\r\n"), "LOCK uri=/ v=1001 line=LOCK / HTTP/1.1" },
    { T("UNLOCK / HTTP/1.1\r\n"), "UNLOCK uri=/ v=1001 line=UNLOCK / HTTP/1.1" },
    { T("PATCH / HTTP/1.1\r\n"), "PATCH uri=/ v=1001 line=PATCH / HTTP/1.1" },
    { T("TRACE / HTTP/1.1\r\n"), "TRACE uri=/ v=1001 line=TRACE / HTTP/1.1" },
    { T("FOO_BAR-X / HTTP/1.1\r\n"), "UNKNOWN uri=/ v=1001 line=FOO_BAR-X / HTTP/1.1" },
    { T("GETS / HTTP/1.1\r\n"), "UNKNOWN uri=/ v=1001 line=GETS / HTTP/1.1" },
    { T("get / HTTP/1.1\r\n"), "INVALID_METHOD@0" },
    { T("G3T / HTTP/1.1\r\n"), "INVALID_METHOD@1" },
    { T(" GET / HTTP/1.1\r\n"), "INVALID_METHOD@0" },
    { T("GET\t/ HTTP/1.1\r\n"), "INVALID_METHOD@3" },
    { T("GET\r\n"), "INVALID_METHOD@3" },
    { T("\r\n\x16\x03\x01"), "INVALID_METHOD@2" },

    /* versions */
    { T("GET / HTTP/1.0\r\n"), "GET uri=/ v=1000 line=GET / HTTP/1.0" },
    { T("GET / HTTP/1.10\r\n"), "GET uri=/ v=1010 line=GET / HTTP/1.10" },
    { T("GET / HTTP/1.99\r\n"), "GET uri=/ v=1099 line=GET / HTTP/1.99" },
    { T("GET / HTTP/1.01\r\n"), "GET uri=/ v=1001 line=GET / HTTP/1.01" },
    { T("GET / HTTP/1.100\r\n"), "INVALID_REQUEST@15" },
    { T("GET / HTTP/2.0\r\n"), "INVALID_VERSION@11" },
    { T("GET / HTTP/3\r\n"), "INVALID_VERSION@11" },
    { T("GET / HTTP/10.0\r\n"), "INVALID_VERSION@12" },
    { T("GET / HTTP/0.9\r\n"), "INVALID_REQUEST@11" },
    { T("GET / HTTP/01.1\r\n"), "INVALID_REQUEST@11" },
    { T("GET / HTTP/1\r\n"), "INVALID_REQUEST@12" },
    { T("GET / HTTP/1.\r\n"), "INVALID_REQUEST@13" },
    { T("GET / HTTP/.1\r\n"), "INVALID_REQUEST@11" },
    { T("GET / HTTP/1.1x\r\n"), "INVALID_REQUEST@14" },
    { T("GET / HTTP/1.1 x\r\n"), "INVALID_REQUEST@15" },
    { T("GET / http/1.1\r\n"), "INVALID_REQUEST@6" },
    { T("GET / HTTP 1.1\r\n"), "INVALID_REQUEST@10" },
    { T("GET / HTTP/1.1\rX"), "INVALID_REQUEST@15" },
    { T("GET / HTTP/1.1\r\r\n"), "INVALID_REQUEST@15" },

    /* HTTP/0.9 */
    { T("GET /index.html\r\n"), "GET uri=/index.html ext=html v=9 line=GET /index.html" },
    { T("GET /x\n"), "GET uri=/x v=9 line=GET /x" },
    { T("GET /x   \r\n"), "GET uri=/x v=9 line=GET /x" },
    { T("POST /x\r\n"), "INVALID_09_METHOD@7" },
    { T("HEAD /x  \n"), "INVALID_09_METHOD@9" },
    { T("GET /x\rX"), "INVALID_REQUEST@7" },

    /* spaces and control characters in the target */
    { T("GET / / HTTP/1.1\r\n"), "INVALID_REQUEST@6" },
    { T("GET /a b HTTP/1.1\r\n"), "INVALID_REQUEST@7" },
    { T("GET /\x02 HTTP/1.1\r\n"), "INVALID_REQUEST@5" },
    { T("GET /a\tb HTTP/1.1\r\n"), "INVALID_REQUEST@6" },
    { T("GET /a\x7f HTTP/1.1\r\n"), "INVALID_REQUEST@6" },
    { T("GET /a\0 HTTP/1.1\r\n"), "INVALID_REQUEST@6" },
    { T("GET /a?b\x01 HTTP/1.1\r\n"), "INVALID_REQUEST@8" },
    { T("GET /a#b\x1b HTTP/1.1\r\n"), "INVALID_REQUEST@8" },
    { T("GET \r\n"), "INVALID_REQUEST@4" },
    { T("GET  HTTP/1.1\r\n"), "INVALID_REQUEST@9" },
    { T("GET a/b HTTP/1.1\r\n"), "INVALID_REQUEST@5" },
    { T("GET ?a HTTP/1.1\r\n"), "INVALID_REQUEST@4" },
    { T("GET %2F HTTP/1.1\r\n"), "INVALID_REQUEST@4" },

    /* asterisk-form: OPTIONS only */
    { T("OPTIONS * HTTP/1.1\r\n"), "OPTIONS uri=* v=1001 line=OPTIONS * HTTP/1.1" },
    { T("GET * HTTP/1.1\r\n"), "INVALID_REQUEST@4" },
    { T("OPTIONS *x HTTP/1.1\r\n"), "INVALID_REQUEST@9" },
    { T("OPTIONS */ HTTP/1.1\r\n"), "INVALID_REQUEST@9" },
    { T("OPTIONS *\r\n"), "INVALID_09_METHOD@9" },

    /* absolute-form */
    { T("GET http://example.com/a?b HTTP/1.1\r\n"), "GET uri=/a?b args=b schema=http"
      " host=example.com v=1001 line=GET http://example.com/a?b HTTP/1.1" },
    { T("GET HTTPS://Example.COM:8443/x.y HTTP/1.1\r\n"), "GET uri=/x.y schema=HTTPS"
      " host=Example.COM port=8443 ext=y v=1001"
      " line=GET HTTPS://Example.COM:8443/x.y HTTP/1.1" },
    { T("GET hTtP://h/ HTTP/1.1\r\n"), "GET uri=/ schema=hTtP host=h v=1001"
      " line=GET hTtP://h/ HTTP/1.1" },
    { T("GET http://h HTTP/1.1\r\n"), "GET uri= schema=http host=h v=1001"
      " line=GET http://h HTTP/1.1 E" },
    { T("GET http://h?a HTTP/1.1\r\n"), "GET uri=?a args=a schema=http host=h v=1001"
      " line=GET http://h?a HTTP/1.1 E" },
    { T("GET http://h:8080 HTTP/1.1\r\n"), "GET uri= schema=http host=h port=8080 v=1001"
      " line=GET http://h:8080 HTTP/1.1 E" },
    { T("GET http://h#f HTTP/1.1\r\n"), "GET uri=#f schema=http host=h v=1001"
      " line=GET http://h#f HTTP/1.1 C E" },
    { T("GET http://h:/ HTTP/1.1\r\n"), "GET uri=/ schema=http host=h v=1001"
      " line=GET http://h:/ HTTP/1.1" },
    { T("GET http://h:65535/ HTTP/1.1\r\n"), "GET uri=/ schema=http host=h port=65535 v=1001"
      " line=GET http://h:65535/ HTTP/1.1" },
    { T("GET http://h:0/ HTTP/1.1\r\n"), "GET uri=/ schema=http host=h port=0 v=1001"
      " line=GET http://h:0/ HTTP/1.1" },
    { T("GET http://[::1]:80/ HTTP/1.1\r\n"), "GET uri=/ schema=http host=[::1] port=80"
      " v=1001 line=GET http://[::1]:80/ HTTP/1.1" },
    { T("GET http://a_b.c~d!$&'()*+,;=%41/ HTTP/1.1\r\n"), "GET uri=/ schema=http"
      " host=a_b.c~d!$&'()*+,;=%41 v=1001 line=GET http://a_b.c~d!$&'()*+,;=%41/ HTTP/1.1" },
    { T("GET http://h/x\r\n"), "GET uri=/x schema=http host=h v=9 line=GET http://h/x" },
    { T("GET http://h\r\n"), "GET uri= schema=http host=h v=9 line=GET http://h E" },
    { T("GET ftp://h/ HTTP/1.1\r\n"), "INVALID_REQUEST@7" },
    { T("GET httpx://h/ HTTP/1.1\r\n"), "INVALID_REQUEST@9" },
    { T("GET htt://h/ HTTP/1.1\r\n"), "INVALID_REQUEST@7" },
    { T("GET http:/h/ HTTP/1.1\r\n"), "INVALID_REQUEST@10" },
    { T("GET http:h/ HTTP/1.1\r\n"), "INVALID_REQUEST@9" },
    { T("GET http1://h/ HTTP/1.1\r\n"), "INVALID_REQUEST@8" },
    { T("GET http:// HTTP/1.1\r\n"), "INVALID_REQUEST@11" },
    { T("GET http:/// HTTP/1.1\r\n"), "INVALID_REQUEST@11" },
    { T("GET http://:80/ HTTP/1.1\r\n"), "INVALID_REQUEST@11" },
    { T("GET http://user@h/ HTTP/1.1\r\n"), "INVALID_REQUEST@15" },
    { T("GET http://h:123456/ HTTP/1.1\r\n"), "INVALID_REQUEST@18" },
    { T("GET http://h:65536/ HTTP/1.1\r\n"), "INVALID_REQUEST@18" },
    { T("GET http://h:1:2/ HTTP/1.1\r\n"), "INVALID_REQUEST@14" },
    { T("GET http://h:1.2/ HTTP/1.1\r\n"), "INVALID_REQUEST@14" },
    { T("GET http://h:x/ HTTP/1.1\r\n"), "INVALID_REQUEST@13" },
    { T("GET http://[::1/ HTTP/1.1\r\n"), "INVALID_REQUEST@15" },
    { T("GET http://[]/ HTTP/1.1\r\n"), "INVALID_REQUEST@12" },
    { T("GET http://[::1]x/ HTTP/1.1\r\n"), "INVALID_REQUEST@16" },
    { T("GET http://a[::1]/ HTTP/1.1\r\n"), "INVALID_REQUEST@12" },
    { T("GET http://h\x01/ HTTP/1.1\r\n"), "INVALID_REQUEST@12" },
    { T("GET http://h\\/ HTTP/1.1\r\n"), "INVALID_REQUEST@12" },

    /* CONNECT: authority-form only (http_method.t, tunnel.t) */
    { T("CONNECT example.net:443 HTTP/1.1\r\n"), "CONNECT uri=example.net:443"
      " host=example.net port=443 v=1001 line=CONNECT example.net:443 HTTP/1.1" },
    { T("CONNECT 127.0.0.1:8080 HTTP/1.0\r\n"), "CONNECT uri=127.0.0.1:8080"
      " host=127.0.0.1 port=8080 v=1000 line=CONNECT 127.0.0.1:8080 HTTP/1.0" },
    { T("CONNECT [::1]:443 HTTP/1.1\r\n"), "CONNECT uri=[::1]:443 host=[::1] port=443"
      " v=1001 line=CONNECT [::1]:443 HTTP/1.1" },
    { T("CONNECT / HTTP/1.1\r\n"), "INVALID_REQUEST@8" },
    { T("CONNECT localhost HTTP/1.1\r\n"), "INVALID_REQUEST@17" },
    { T("CONNECT localhost: HTTP/1.1\r\n"), "INVALID_REQUEST@18" },
    { T("CONNECT example.net:443/ HTTP/1.1\r\n"), "INVALID_REQUEST@23" },
    { T("CONNECT example.net:443? HTTP/1.1\r\n"), "INVALID_REQUEST@23" },
    { T("CONNECT example.net:443# HTTP/1.1\r\n"), "INVALID_REQUEST@23" },
    { T("CONNECT user:pass@example.net:443 HTTP/1.1\r\n"), "INVALID_REQUEST@13" },
    { T("CONNECT http://example.net:443 HTTP/1.1\r\n"), "INVALID_REQUEST@13" },
    { T("CONNECT :443 HTTP/1.1\r\n"), "INVALID_REQUEST@8" },
    { T("CONNECT : HTTP/1.1\r\n"), "INVALID_REQUEST@8" },
    { T("CONNECT example.net:65536 HTTP/1.1\r\n"), "INVALID_REQUEST@25" },
    { T("CONNECT example.net:0 HTTP/1.1\r\n"), "INVALID_REQUEST@21" },
    { T("CONNECT example.net:$p HTTP/1.1\r\n"), "INVALID_REQUEST@20" },
    { T("CONNECT example.net:443\r\n"), "INVALID_09_METHOD@23" },
};


static void
lt_test_request_line_cases(void)
{
    size_t                 i;
    char                   name[96];
    const lt_test_case_t  *c;

    for (i = 0; i < lt_nelts(lt_test_request_lines); i++) {
        c = &lt_test_request_lines[i];

        (void) snprintf(name, sizeof(name), "request line %zu \"%.*s\"", i,
                        (int) strcspn((char *) c->text, "\r\n"), (char *) c->text);

        lt_test_resumable(name, c->text, c->len, LT_TEST_REQUEST);
        is_str(lt_test_rl_summary(&lt_test_res), strlen(lt_test_rl_summary(&lt_test_res)),
               c->expect, "%s", name);
    }
}


static void
lt_test_request_line_details(void)
{
    lt_http_parse_t  *p;

    p = &lt_test_res.p;

    lt_test_resumable("HTTP/2.0", T("GET / HTTP/2.0\r\n"), LT_TEST_REQUEST);
    is_int(lt_test_res.rc, LT_HTTP_PARSE_INVALID_VERSION, "HTTP/2.0 is INVALID_VERSION");
    is_int(p->http_version, LT_HTTP_VERSION_20, "HTTP/2.0 is recognised as 2000 (for 505)");
    ok(p->http_protocol_start == lt_test_res.buf + 6, "HTTP/2.0: protocol start");

    lt_test_resumable("HTTP/1.10", T("GET / HTTP/1.10\r\n"), LT_TEST_REQUEST);
    ok(p->http_major == 1 && p->http_minor == 10, "HTTP/1.10 is major 1, minor 10");

    lt_test_resumable("HTTP/0.9", T("GET /\r\n"), LT_TEST_REQUEST);
    ok(p->http_protocol_start == NULL && p->http_major == 0 && p->http_minor == 9,
       "HTTP/0.9: no protocol, 0.9");
    is_int(lt_test_res.pos, 7, "HTTP/0.9: b->pos after the LF");

    lt_test_resumable("method end", T("PROPPATCH /x HTTP/1.1\r\n"), LT_TEST_REQUEST);
    ok(p->method_end == lt_test_res.buf + 8, "method_end is the method's last byte");
    is_int(p->method, LT_HTTP_PROPPATCH, "PROPPATCH bit");
    ok(p->request_end == lt_test_res.buf + 21, "request_end is the CR");
    is_int(lt_test_res.pos, 23, "b->pos after the LF");
    is_int(p->state, 0, "state is back to the start (for the header lines)");

    lt_test_resumable("request line then headers",
                      T("GET / HTTP/1.1\r\nHost: a\r\n\r\nGET /next"), LT_TEST_REQUEST);
    ok(strstr(lt_test_t1.buf, "HEADER DONE pos=27") != NULL,
       "pipelined: the headers end before the next request");
}


/* URIs end to end: the request line, then the path as the request code makes
 * it (the complex URI parser when flagged, "/" for an empty path, the arguments
 * up to a fragment) */

static const char *
lt_test_uri_e2e(const char *target, unsigned merge_slashes)
{
    static char       out[512];
    char              line[256];
    u_char           *path, *path_end, *dst, *ext, *args, *args_end;
    size_t            len, dst_len;
    lt_http_parse_t  *p;

    len = snprintf(line, sizeof(line), "GET %s HTTP/1.0\r\n", target);
    lt_test_resumable(target, (u_char *) line, len, LT_TEST_REQUEST);

    p = &lt_test_res.p;

    if (lt_test_res.rc != LT_OK) {
        return "400";
    }

    path = p->uri_start;
    path_end = p->args_start ? p->args_start - 1 : p->uri_end;
    args = p->args_start;
    args_end = p->uri_end;

    if (args && p->complex_uri) {
        args_end = lt_strlchr(args, args_end, '#');
        args_end = args_end ? args_end : p->uri_end;
    }

    dst = lt_test_alloc(path_end - path);
    dst_len = path_end - path;
    memcpy(dst, path, dst_len);

    if ((p->complex_uri || p->quoted_uri)
        && lt_http_parse_complex_uri(dst, &dst_len, &ext, path, path_end - path,
                                     merge_slashes) != LT_OK)
    {
        free(dst);
        return "400";
    }

    if (p->empty_path_in_uri) {
        dst_len = 0;        /* "http://host" and "http://host#frag": "/" */
    }

    (void) snprintf(out, sizeof(out), "uri=%.*s args=%.*s", dst_len ? (int) dst_len : 1,
                    dst_len ? (char *) dst : "/", args ? (int) (args_end - args) : 0,
                    args ? (char *) args : "");
    free(dst);

    return out;
}


static void
lt_test_http_uri_t(void)
{
    static const struct {
        const char  *target;
        unsigned     merge;
        const char  *expect;
    } cases[] = {
        /* http_uri.t */
        { "/foo/bar%", 1, "400" },
        { "/foo/bar%1", 1, "400" },
        { "/foo/bar/.?args", 1, "uri=/foo/bar/ args=args" },
        { "/foo/bar/.#frag", 1, "uri=/foo/bar/ args=" },
        { "/foo/bar/..?args", 1, "uri=/foo/ args=args" },
        { "/foo/bar/..#frag", 1, "uri=/foo/ args=" },
        { "/foo/bar/.", 1, "uri=/foo/bar/ args=" },
        { "/foo/bar/..", 1, "uri=/foo/ args=" },
        { "http://localhost", 1, "uri=/ args=" },
        { "http://localhost/", 1, "uri=/ args=" },
        { "http://localhost?args", 1, "uri=/ args=args" },
        { "http://localhost?args#frag", 1, "uri=/ args=args" },
        { "http://localhost:8080", 1, "uri=/ args=" },
        { "http://localhost:8080/", 1, "uri=/ args=" },
        { "http://localhost:8080?args", 1, "uri=/ args=args" },
        { "http://localhost:8080?args#frag", 1, "uri=/ args=args" },
        { "/ /", 1, "400" },
        { "/\x02", 1, "400" },
        { "/%02", 1, "uri=/\x02 args=" },

        /* merge_slashes.t, merge_slashes off */
        { "/foo//../bar", 0, "uri=/foo/bar args=" },
        { "/foo///../bar", 0, "uri=/foo//bar args=" },

        /* and with it on */
        { "/foo//../bar", 1, "uri=/bar args=" },
        { "/foo///bar", 1, "uri=/foo/bar args=" },

        /* more */
        { "http://localhost#frag", 1, "uri=/ args=" },
        { "/p%2f", 1, "uri=/p/ args=" },
        { "/foo/..%2F..%2Fetc", 1, "400" },
        { "/a/%2e%2e/b?x#y", 1, "uri=/b args=x" },
        { "/a%3Fb?c", 1, "uri=/a?b args=c" },
        { "/a%23b#c", 1, "uri=/a#b args=" },
        { "/%25%32%46", 1, "uri=/%2F args=" },
        { "/a/b/../../..", 1, "400" },
        { "/%00", 1, "400" },
    };

    size_t  i;

    for (i = 0; i < lt_nelts(cases); i++) {
        const char  *got = lt_test_uri_e2e(cases[i].target, cases[i].merge);

        is_str(got, strlen(got), cases[i].expect, "uri \"%s\"%s", cases[i].target,
               cases[i].merge ? "" : " merge_slashes off");
    }
}


/* complex URIs */

static void
lt_test_complex_uri(void)
{
    static const struct {
        const u_char  *src;
        size_t         len;
        unsigned       merge;
        const char    *expect;      /* NULL: LT_ERROR */
        const char    *ext;         /* NULL: no extension */
    } cases[] = {
        { T(""), 1, "", NULL },
        { T("/"), 1, "/", NULL },
        { T("/a//b"), 1, "/a/b", NULL },
        { T("/a//b"), 0, "/a//b", NULL },
        { T("//"), 1, "/", NULL },
        { T("//"), 0, "//", NULL },
        { T("/a/./b"), 1, "/a/b", NULL },
        { T("/a/.//b"), 0, "/a//b", NULL },
        { T("/./"), 1, "/", NULL },
        { T("/a/../b"), 1, "/b", NULL },
        { T("/a/b/../../c"), 1, "/c", NULL },
        { T("/a/b/c/./../../g"), 1, "/a/g", NULL },
        { T("/a//../b"), 0, "/a/b", NULL },
        { T("/a//../b"), 1, "/b", NULL },
        { T("/a///../b"), 0, "/a//b", NULL },
        { T("/.."), 1, NULL, NULL },
        { T("/../a"), 1, NULL, NULL },
        { T("/a/../.."), 1, NULL, NULL },
        { T("/a/../../b"), 1, NULL, NULL },
        { T("/.%2e/"), 1, NULL, NULL },
        { T("/%2e%2E"), 1, NULL, NULL },
        { T("/a/.%2E"), 1, "/", NULL },
        { T("/a/b/."), 1, "/a/b/", NULL },
        { T("/a/b/.."), 1, "/a/", NULL },
        { T("/a/..."), 1, "/a/...", "" },
        { T("/a/..b"), 1, "/a/..b", "b" },
        { T("/a/b.."), 1, "/a/b..", "" },
        { T("/a/.b"), 1, "/a/.b", "b" },
        { T("/a.html"), 1, "/a.html", "html" },
        { T("/a.tar.gz"), 1, "/a.tar.gz", "gz" },
        { T("/a.b/c"), 1, "/a.b/c", NULL },
        { T("/a.b/"), 1, "/a.b/", NULL },
        { T("/a%2Ehtml"), 1, "/a.html", "html" },
        { T("/a.b%2Fc"), 1, "/a.b/c", NULL },
        { T("/x.y/a.b/.."), 1, "/x.y/", NULL },
        { T("/x.y/a/.."), 1, "/x.y/", NULL },
        { T("/a%2Fb"), 1, "/a/b", NULL },
        { T("/a%2f%2fb"), 1, "/a/b", NULL },
        { T("/a%2f%2fb"), 0, "/a//b", NULL },
        { T("/a/%2e%2e/b"), 1, "/b", NULL },
        { T("/a%2F..%2Fb"), 1, "/b", NULL },
        { T("/a/%2E%2E%2F%2E%2E%2F"), 1, NULL, NULL },
        { T("/%25"), 1, "/%", NULL },
        { T("/%2541"), 1, "/%41", NULL },
        { T("/%252e%252e/"), 1, "/%2e%2e/", NULL },
        { T("/%23a"), 1, "/#a", NULL },
        { T("/%3F"), 1, "/?", NULL },
        { T("/a?b"), 1, "/a?b", NULL },
        { T("/a#b/../.."), 1, "/a", NULL },
        { T("/a.b#c.d"), 1, "/a.b", "b" },
        { T("#x"), 1, "", NULL },
        { T("/caf%C3%A9"), 1, "/caf\xc3\xa9", NULL },
        { T("/%41%42%4a%4A"), 1, "/ABJJ", NULL },
        { T("/%02"), 1, "/\x02", NULL },
        { T("/%00"), 1, NULL, NULL },
        { T("/a\0"), 1, NULL, NULL },
        { T("/%"), 1, NULL, NULL },
        { T("/%0"), 1, NULL, NULL },
        { T("/%zz"), 1, NULL, NULL },
        { T("/%G0"), 1, NULL, NULL },
        { T("/%0G"), 1, NULL, NULL },
        { T("/a%"), 1, NULL, NULL },
    };

    int      rc;
    size_t   i, dst_len;
    u_char  *src, *dst, *ext;

    for (i = 0; i < lt_nelts(cases); i++) {
        src = lt_test_copy(cases[i].src, cases[i].len);
        dst = lt_test_alloc(cases[i].len);

        rc = lt_http_parse_complex_uri(dst, &dst_len, &ext, src, cases[i].len, cases[i].merge);

        if (cases[i].expect == NULL) {
            is_int(rc, LT_ERROR, "complex uri %zu: \"%.*s\" is an error", i,
                   (int) cases[i].len, (char *) cases[i].src);

        } else {
            ok(rc == LT_OK && dst_len == strlen(cases[i].expect)
               && memcmp(dst, cases[i].expect, dst_len) == 0,
               "complex uri %zu: \"%.*s\"%s is \"%s\"", i, (int) cases[i].len,
               (char *) cases[i].src, cases[i].merge ? "" : " (no merge)", cases[i].expect);
            if (rc != LT_OK) {
                diag("rc %d", rc);

            } else if (dst_len != strlen(cases[i].expect)
                       || memcmp(dst, cases[i].expect, dst_len) != 0)
            {
                diag("got \"%.*s\"", (int) dst_len, (char *) dst);
            }

            if (cases[i].ext == NULL) {
                ok(ext == NULL, "complex uri %zu: no extension", i);

            } else {
                ok(ext != NULL && ext >= dst && ext <= dst + dst_len
                   && (size_t) (dst + dst_len - ext) == strlen(cases[i].ext)
                   && memcmp(ext, cases[i].ext, strlen(cases[i].ext)) == 0,
                   "complex uri %zu: extension \"%s\"", i, cases[i].ext);
            }
        }

        free(src);
        free(dst);
    }
}


/* Host */

static const char *
lt_test_host(const u_char *value, size_t len)
{
    static char   out[512];
    lt_str_t      host;
    u_char       *copy;

    copy = lt_test_copy(value, len);
    host.data = copy;
    host.len = len;

    if (lt_http_validate_host(&host) != LT_OK) {
        free(copy);
        return "400";
    }

    (void) snprintf(out, sizeof(out), "%.*s", (int) host.len, (char *) host.data);
    free(copy);

    return out;
}


/* lt_test_absolute_host: "GET http://HOST/ HTTP/1.0" as http_host.t sends it */
static const char *
lt_test_absolute_host(const char *value)
{
    char              line[512];
    size_t            len;
    lt_http_parse_t  *p;

    len = snprintf(line, sizeof(line), "GET http://%s/ HTTP/1.0\r\n", value);
    lt_test_resumable(value, (u_char *) line, len, LT_TEST_REQUEST);

    p = &lt_test_res.p;

    if (lt_test_res.rc != LT_OK || p->host_start == NULL) {
        return "400";
    }

    return lt_test_host(p->host_start, p->host_end - p->host_start);
}


#define LT_TEST_IPVFUTURE                                                     \
    "[v0123456789aBcDeF.!$&'()*+,;=-._~AbCdEfGhIjKlMnOpQrStUvWxYz0123456789:]"
#define LT_TEST_IPVFUTURE_LC                                                  \
    "[v0123456789abcdef.!$&'()*+,;=-._~abcdefghijklmnopqrstuvwxyz0123456789:]"

static void
lt_test_http_host_t(void)
{
    static const struct {
        const char  *host;
        const char  *expect;
    } headers[] = {
        /* http_host.t, Host header */
        { "", "400" },
        { "l", "l" },
        { "L", "l" },
        { "abcd-ef.g02.xyz:", "abcd-ef.g02.xyz" },
        { "123.40.56.78:", "123.40.56.78" },
        { "www.abcd-ef.g02.xyz", "www.abcd-ef.g02.xyz" },
        { "abcd-ef.g02.xyz:8080", "abcd-ef.g02.xyz" },
        { "www.abcd-ef.g02.xyz.", "www.abcd-ef.g02.xyz" },
        { "abcd-ef.g02.xyz.:88", "abcd-ef.g02.xyz" },
        { "example.com.:1.2", "400" },
        { ".", "400" },
        { "AbC-d93.0.34ZhGt-s.nk.Ru:88", "abc-d93.0.34zhgt-s.nk.ru" },
        { "123.40.56.78", "123.40.56.78" },
        { "123.49.0.78:987", "123.49.0.78" },
        { "123.49.0.78:98777", "400" },
        { "123.40.56.78:9000:80", "400" },
        { "[abcd::ef98:0:7654:321]", "[abcd::ef98:0:7654:321]" },
        { "[abcd::ef98:0:7654:321]:80", "[abcd::ef98:0:7654:321]" },
        { "[::ffff:12.30.67.89]", "[::ffff:12.30.67.89]" },
        { "[::123.45.67.89]:4321", "[::123.45.67.89]" },
        { "example.com/\\:552", "400" },
        { "..examp-LE.com", "400" },
        { "[abcd::e\\f98:0/:7654:321]", "400" },
        { "[abcd::ef98:0:7654:321].", "400" },
        { "[abcd::ef98:0:7654:321].:98", "400" },
        { "[abcd::ef98:0:7654:321]..:98", "400" },
        { "extra[abcd::ef98:0:7654:321]:98", "400" },
        { "[abcd::ef98:0:7654:321", "400" },
        { LT_TEST_IPVFUTURE, LT_TEST_IPVFUTURE_LC },
        { "localhost\x02", "400" },

        /* more */
        { "[]", "400" },
        { "[]:80", "400" },
        { ":80", "400" },
        { ":", "400" },
        { ".:80", "400" },
        { "a..b", "400" },
        { "a.", "a" },
        { "a..", "400" },
        { ".example.com", ".example.com" },
        { "a b", "400" },
        { " a", "400" },
        { "a\t", "400" },
        { "a\x7f", "400" },
        { "a@b", "400" },
        { "a#b", "400" },
        { "a?b", "400" },
        { "a]b", "400" },
        { "a\"b", "400" },
        { "exa_mple.com", "exa_mple.com" },
        { "xn--caf-dma.example", "xn--caf-dma.example" },
        { "CAF\xc3\x89.fr", "caf\xc3\x89.fr" },
        { "h:65535", "h" },
        { "h:65536", "400" },
        { "h:0", "h" },
        { "h:00080", "h" },
        { "h:000080", "400" },
        { "h:-1", "400" },
        { "h:+1", "400" },
        { "h:1a", "400" },
        { "h: 1", "400" },
        { "[::1]x", "400" },
        { "[::1]:", "[::1]" },
        { "[::1]:99999", "400" },
        { "[::1]]", "400" },
        { "[[::1]", "400" },
        { "[a b]", "400" },
        { "[a..b]", "400" },
        { "[::1].", "400" },
    };

    static const struct {
        const char  *host;
        const char  *expect;
    } absolute[] = {
        /* http_host.t, absolute-form */
        { "", "400" },
        { "l", "l" },
        { "L", "l" },
        { "abcd-ef.g02.xyz:", "abcd-ef.g02.xyz" },
        { "123.49.0.78:", "123.49.0.78" },
        { "abcd-ef.g02.xyz", "abcd-ef.g02.xyz" },
        { "www.abcd-ef.g02.xyz:10", "www.abcd-ef.g02.xyz" },
        { "www.abcd-ef.g02.xyz.", "www.abcd-ef.g02.xyz" },
        { "abcd-ef.g02.xyz.:2", "abcd-ef.g02.xyz" },
        { "example.com.:1.2", "400" },
        { ".", "400" },
        { "AbC-d93.0.34ZhGt-s.nk.Ru", "abc-d93.0.34zhgt-s.nk.ru" },
        { "123.49.0.78", "123.49.0.78" },
        { "123.40.56.78:123", "123.40.56.78" },
        { "123.40.56.78:123456", "400" },
        { "123.40.56.78:9000:80", "400" },
        { "[abcd::ef98:0:7654:321]", "[abcd::ef98:0:7654:321]" },
        { "[abcd::ef98:0:7654:321]:5", "[abcd::ef98:0:7654:321]" },
        { "[::123.45.67.89]", "[::123.45.67.89]" },
        { "[::ffff:12.30.67.89]:4321", "[::ffff:12.30.67.89]" },
        { "\\e/xample.com", "400" },
        { "com.exa-m.45..:", "400" },
        { "[abcd\\::ef98:0:7654:321/]:12", "400" },
        { "[abcd::ef98:0:7654:321].", "400" },
        { "[abcd::ef98:0:7654:321].:98", "400" },
        { "[ab..cd::ef98:0:7654:321]", "400" },
        { "extra[abcd::ef98:0:7654:321]", "400" },
        { "[abcd::ef98:0:7654:321", "400" },
        { LT_TEST_IPVFUTURE, LT_TEST_IPVFUTURE_LC },
    };

    size_t       i;
    const char  *got;

    for (i = 0; i < lt_nelts(headers); i++) {
        got = lt_test_host((u_char *) headers[i].host, strlen(headers[i].host));
        is_str(got, strlen(got), headers[i].expect, "Host: \"%s\"", headers[i].host);
    }

    for (i = 0; i < lt_nelts(absolute); i++) {
        got = lt_test_absolute_host(absolute[i].host);
        is_str(got, strlen(got), absolute[i].expect, "GET http://%s/", absolute[i].host);
    }

    got = lt_test_host(T("a\0b"));
    is_str(got, strlen(got), "400", "Host with a NUL");

    got = lt_test_host(T("h\xff"));
    is_str(got, strlen(got), "h\xff", "Host with a byte >= 0x80 (raw UTF-8) is kept");
}


/* header lines */

/* lt_test_headers_summary: "name=value" for each line ("!" when invalid_header),
 * then DONE or the error with its position */
static const char *
lt_test_headers_summary(const u_char *text, size_t len, unsigned underscores)
{
    static lt_test_trace_t   s;
    int                      rc;
    u_char                  *buf;
    lt_buf_t                 b;
    lt_http_parse_t          p;

    s.len = 0;
    s.buf[0] = '\0';

    buf = lt_test_copy(text, len);
    lt_memzero(&b, sizeof(lt_buf_t));
    b.pos = buf;
    b.last = buf + len;
    lt_http_parse_init(&p);

    for ( ;; ) {
        rc = lt_http_parse_header_line(&p, &b, underscores);

        if (rc != LT_OK) {
            lt_test_tracef(&s, "%s", lt_test_rc_name(rc));
            if (rc != LT_HTTP_PARSE_HEADER_DONE) {
                lt_test_tracef(&s, "@%ld", (long) (b.pos - buf));
            }

            break;
        }

        lt_test_trace_bytes(&s, p.header_name_start, p.header_name_end - p.header_name_start);
        lt_test_tracef(&s, "=");
        lt_test_trace_bytes(&s, p.header_start, p.header_end - p.header_start);
        lt_test_tracef(&s, "%s; ", p.invalid_header ? "!" : "");
    }

    free(buf);

    return s.buf;
}


static void
lt_test_header_lines(void)
{
    static const struct {
        const u_char  *text;
        size_t         len;
        unsigned       underscores;
        const char    *expect;
    } cases[] = {
        { T("Host: localhost\r\n\r\n"), 0, "Host=localhost; DONE" },
        { T("Host:localhost\r\n\r\n"), 0, "Host=localhost; DONE" },
        { T("Host: localhost\n\n"), 0, "Host=localhost; DONE" },
        { T("A: 1\r\nB: 2\nC:3\r\n\r\n"), 0, "A=1; B=2; C=3; DONE" },
        { T("X: \r\n\r\n"), 0, "X=; DONE" },
        { T("X:\r\n\r\n"), 0, "X=; DONE" },
        { T("X:\n\n"), 0, "X=; DONE" },
        { T("X:    \t \r\n\r\n"), 0, "X=; DONE" },
        { T("X:   a b  \t\r\n\r\n"), 0, "X=a b; DONE" },
        { T("X:\ta\t\tb\t\r\n\r\n"), 0, "X=a\\x09\\x09b; DONE" },
        { T("X: a:b: c\r\n\r\n"), 0, "X=a:b: c; DONE" },
        { T("X: a\x01" "b\x7f\r\n\r\n"), 0, "X=a\\x01b\\x7f; DONE" },
        { T("X: \xff\xfe\r\n\r\n"), 0, "X=\\xff\\xfe; DONE" },
        { T("X: \x0b\x0c\x01" "a\t\tb \t \r\n\r\n"), 0,
          "X=\\x0b\\x0c\\x01a\\x09\\x09b; DONE" },
        { T("X: abcdefghijklmnopqrstuvwxyz 0123456789    \r\n\r\n"), 0,
          "X=abcdefghijklmnopqrstuvwxyz 0123456789; DONE" },
        { T("X: a  b  c  d  \t\t  e\n\n"), 0, "X=a  b  c  d  \\x09\\x09  e; DONE" },
        { T("X: abcdefgh\0ijk\r\n\r\n"), 0, "INVALID_HEADER@11" },
        { T("X: abcdefghi\rjk\r\n\r\n"), 0, "INVALID_HEADER@13" },
        { T("\r\n"), 0, "DONE" },
        { T("\n"), 0, "DONE" },

        /* names: tokens; "_" and other printable characters are "invalid" */
        { T("x_foo: x-bar\r\n\r\n"), 0, "x_foo=x-bar!; DONE" },
        { T("x_foo: x-bar\r\n\r\n"), 1, "x_foo=x-bar; DONE" },
        { T("_foo: x-bar\r\n\r\n"), 0, "_foo=x-bar!; DONE" },
        { T("_foo: x-bar\r\n\r\n"), 1, "_foo=x-bar; DONE" },
        { T("x.foo: x-bar\r\n\r\n"), 0, "x.foo=x-bar; DONE" },
        { T(".foo: x-bar\r\n\r\n"), 0, ".foo=x-bar; DONE" },
        { T("!#$%&'*+-.^`|~09azAZ: v\r\n\r\n"), 0, "!#$%&'*+-.^`|~09azAZ=v; DONE" },
        { T("coo: foo\r\n</kie>: x-bar\r\n\r\n"), 0, "coo=foo; </kie>=x-bar!; DONE" },
        { T("x@y: 1\r\n\r\n"), 0, "x@y=1!; DONE" },
        { T("x(y): 1\r\n\r\n"), 0, "x(y)=1!; DONE" },
        { T("x\"y: 1\r\n\r\n"), 0, "x\"y=1!; DONE" },
        { T("x/y: 1\r\n\r\n"), 0, "x/y=1!; DONE" },
        { T("caf\xc3\xa9: 1\r\n\r\n"), 0, "caf\\xc3\\xa9=1!; DONE" },
        { T("x_y@z: 1\r\n\r\n"), 1, "x_y@z=1!; DONE" },

        /* always invalid */
        { T(":foo: x-bar\r\n\r\n"), 0, "INVALID_HEADER@0" },
        { T(" foo: x-bar\r\n\r\n"), 0, "INVALID_HEADER@0" },
        { T("\tfoo: x-bar\r\n\r\n"), 0, "INVALID_HEADER@0" },
        { T("foo\x02: x-bar\r\n\r\n"), 0, "INVALID_HEADER@3" },
        { T("foo : x-bar\r\n\r\n"), 0, "INVALID_HEADER@3" },
        { T("foo\t: x-bar\r\n\r\n"), 0, "INVALID_HEADER@3" },
        { T("foo\r\n\r\n"), 0, "INVALID_HEADER@3" },
        { T("foo\n\n"), 0, "INVALID_HEADER@3" },
        { T("foo\0: x\r\n\r\n"), 0, "INVALID_HEADER@3" },
        { T("foo\x7f: x\r\n\r\n"), 0, "INVALID_HEADER@3" },
        { T("X: a\0b\r\n\r\n"), 0, "INVALID_HEADER@4" },
        { T("X: \0\r\n\r\n"), 0, "INVALID_HEADER@3" },
        { T("X: a\rb\r\n\r\n"), 0, "INVALID_HEADER@5" },
        { T("X: a\r\r\n\r\n"), 0, "INVALID_HEADER@5" },
        { T("X: a\r\n b\r\n\r\n"), 0, "X=a; INVALID_HEADER@6" },
        { T("X: a\r\n\tb\r\n\r\n"), 0, "X=a; INVALID_HEADER@6" },
        { T("\rX"), 0, "INVALID_HEADER@1" },
        { T("\r\r\n"), 0, "INVALID_HEADER@1" },
        { T("A: 1\r\n\rX\r\n"), 0, "A=1; INVALID_HEADER@7" },

        /* incomplete */
        { T("X: a"), 0, "AGAIN@4" },
        { T("X: a\r"), 0, "AGAIN@5" },
        { T("X: a\r\n\r"), 0, "X=a; AGAIN@7" },
    };

    size_t       i;
    char         name[96];
    const char  *got;

    for (i = 0; i < lt_nelts(cases); i++) {
        (void) snprintf(name, sizeof(name), "header lines %zu%s", i,
                        cases[i].underscores ? " (underscores)" : "");

        lt_test_underscores = cases[i].underscores;
        lt_test_resumable(name, cases[i].text, cases[i].len, LT_TEST_HEADERS);
        lt_test_underscores = 0;

        ok(strstr(lt_test_t1.buf, "BAD") == NULL, "%s: hash and lowercase name", name);
        if (strstr(lt_test_t1.buf, "BAD") != NULL) {
            diag("%s", lt_test_t1.buf);
        }

        got = lt_test_headers_summary(cases[i].text, cases[i].len, cases[i].underscores);
        is_str(got, strlen(got), cases[i].expect, "%s", name);
    }
}


static void
lt_test_header_details(void)
{
    static const char  long_name[] = "Abcdefghij-Abcdefghij-Abcdefghij-AbcdefG";
    static const char  name32[] = "X-Abcdefghij-Abcdefghij-Abcdefgh";
    char               text[128];
    size_t             len;
    lt_http_parse_t   *p;

    p = &lt_test_res.p;

    /* a name longer than LT_HTTP_LC_HEADER_LEN */
    len = snprintf(text, sizeof(text), "%s:  the value \r\n\r\n", long_name);
    lt_test_resumable("long name", (u_char *) text, len, LT_TEST_HEADERS);
    is_int(lt_test_res.rc, LT_OK, "long name: LT_OK");
    is_int(strlen(long_name), 40, "the long name has 40 bytes");
    ok(p->header_hash == lt_hash_key_lc((u_char *) long_name, strlen(long_name)),
       "long name: the hash is over the whole name (lt_hash_key_lc)");
    ok(p->header_hash == lt_hash_key((u_char *) "abcdefghij-abcdefghij-abcdefghij-abcdefg", 40),
       "long name: the hash is over the lowercase name");
    is_int(p->lowcase_index, LT_HTTP_LC_HEADER_LEN, "long name: lowcase_index is capped");
    is_str(p->lowcase_header, p->lowcase_index, "abcdefghij-abcdefghij-abcdefghij",
           "long name: its first 32 bytes lowercased");
    is_str(p->header_name_start, p->header_name_end - p->header_name_start, long_name,
           "long name: name");
    is_str(p->header_start, p->header_end - p->header_start, "the value",
           "long name: the value without the spaces around it");

    /* exactly LT_HTTP_LC_HEADER_LEN */
    len = snprintf(text, sizeof(text), "%s: v\r\n", name32);
    lt_test_resumable("32-byte name", (u_char *) text, len, LT_TEST_HEADERS);
    is_int(p->lowcase_index, 32, "32-byte name: lowcase_index 32, the whole name");
    is_str(p->lowcase_header, p->lowcase_index, "x-abcdefghij-abcdefghij-abcdefgh",
           "32-byte name: lowercased");
    ok(p->header_hash == lt_hash_key_lc((u_char *) name32, 32), "32-byte name: hash");

    lt_test_resumable("short name", T("Content-LENGTH: 12\r\n"), LT_TEST_HEADERS);
    is_int(p->lowcase_index, 14, "short name: lowcase_index is its length");
    is_str(p->lowcase_header, p->lowcase_index, "content-length", "short name: lowercase");
    ok(p->header_hash == lt_hash_key((u_char *) "content-length", 14), "short name: hash");
    is_int(lt_test_res.pos, 20, "b->pos after the LF");

    /* the state is fresh for each line */
    lt_test_resumable("two lines", T("x_y: 1\r\nContent-Type: b\r\n\r\n"), LT_TEST_HEADERS);
    ok(strstr(lt_test_t1.buf, "lc=12:content-type inv=0") != NULL,
       "invalid_header and the name are reset for the next line");

    /* empty value: the value's start and end at the line end */
    lt_test_resumable("empty value", T("X:\r\n"), LT_TEST_HEADERS);
    ok(p->header_start == lt_test_res.buf + 2 && p->header_end == lt_test_res.buf + 2,
       "empty value: start == end == the CR");
}


/* lt_test_line_start: header_name_start after the last of n results over text */
static long
lt_test_line_start(const u_char *text, size_t len, unsigned n, int *rc)
{
    long             start;
    u_char          *buf;
    lt_buf_t         b;
    lt_http_parse_t  p;

    buf = lt_test_copy(text, len);
    lt_memzero(&b, sizeof(lt_buf_t));
    b.pos = buf;
    b.last = buf + len;
    lt_http_parse_init(&p);

    while (n--) {
        *rc = lt_http_parse_header_line(&p, &b, 0);
    }

    start = lt_test_off(buf, p.header_name_start);
    free(buf);

    return start;
}


/* header_name_start is where every line starts: the caller counts the request's
 * length and logs a bad line from there */
static void
lt_test_header_line_starts(void)
{
    int  rc;

    ok(lt_test_line_start(T("A: 1\r\n\r\n"), 2, &rc) == 6 && rc == LT_HTTP_PARSE_HEADER_DONE,
       "header_name_start at the empty line ending the headers");
    ok(lt_test_line_start(T("\r\n"), 1, &rc) == 0 && rc == LT_HTTP_PARSE_HEADER_DONE,
       "header_name_start at the empty line when there is no header");
    ok(lt_test_line_start(T("X: a\r\n b\r\n"), 2, &rc) == 6
       && rc == LT_HTTP_PARSE_INVALID_HEADER, "header_name_start at a folded line");
    ok(lt_test_line_start(T(":x\r\n"), 1, &rc) == 0 && rc == LT_HTTP_PARSE_INVALID_HEADER,
       "header_name_start at a line with an empty name");
    ok(lt_test_line_start(T("A: 1\r\nB"), 2, &rc) == 6 && rc == LT_AGAIN,
       "header_name_start at a line begun");
}


/* status lines */

/* lt_test_status_offset: where the status digits are in a status line */
static size_t
lt_test_status_offset(const u_char *text, unsigned status)
{
    char  digits[8];

    (void) snprintf(digits, sizeof(digits), " %u", status);

    return strstr((char *) text, digits) + 1 - (char *) text;
}


static void
lt_test_status_lines(void)
{
    static const struct {
        const u_char  *text;
        size_t         len;
        int            rc;
        unsigned       status;
        unsigned       version;
        const char    *reason;
    } cases[] = {
        { T("HTTP/1.1 200 OK\r\n"), LT_OK, 200, 1001, "OK" },
        { T("HTTP/1.0 404 Not Found\n"), LT_OK, 404, 1000, "Not Found" },
        { T("HTTP/1.1 200\r\n"), LT_OK, 200, 1001, "" },
        { T("HTTP/1.1 200 \r\n"), LT_OK, 200, 1001, "" },
        { T("HTTP/1.1  502  Bad\tGateway \r\n"), LT_OK, 502, 1001, " Bad\tGateway " },
        { T("HTTP/1.1 403.1 Forbidden\r\n"), LT_OK, 403, 1001, "1 Forbidden" },
        { T("HTTP/1.1 999 x\r\n"), LT_OK, 999, 1001, "x" },
        { T("HTTP/2.0 200 OK\r\n"), LT_OK, 200, 2000, "OK" },
        { T("HTTP/1.10 100 Continue\r\n"), LT_OK, 100, 1010, "Continue" },
        { T("HTTP/1.1 200 OK\r"), LT_AGAIN, 0, 0, NULL },
        { T("HTTP/2 200 OK\r\n"), LT_ERROR, 0, 0, NULL },
        { T("HTTP/1.1 20 OK\r\n"), LT_ERROR, 0, 0, NULL },
        { T("HTTP/1.1 2000 OK\r\n"), LT_ERROR, 0, 0, NULL },
        { T("HTTP/1.1 099 OK\r\n"), LT_ERROR, 0, 0, NULL },
        { T("HTTP/1.1 2x0 OK\r\n"), LT_ERROR, 0, 0, NULL },
        { T("HTTP/1.1\r\n"), LT_ERROR, 0, 0, NULL },
        { T("HTTP/1.100 200 OK\r\n"), LT_ERROR, 0, 0, NULL },
        { T("HTTP/100.1 200 OK\r\n"), LT_ERROR, 0, 0, NULL },
        { T("HTTP/0.9 200 OK\r\n"), LT_ERROR, 0, 0, NULL },
        { T("ICY 200 OK\r\n"), LT_ERROR, 0, 0, NULL },
        { T("http/1.1 200 OK\r\n"), LT_ERROR, 0, 0, NULL },
        { T("HTTP/1.1 200 OK\rX"), LT_ERROR, 0, 0, NULL },
        { T("<html>"), LT_ERROR, 0, 0, NULL },
    };

    size_t            i;
    char              name[96];
    lt_http_parse_t  *p;

    p = &lt_test_res.p;

    for (i = 0; i < lt_nelts(cases); i++) {
        (void) snprintf(name, sizeof(name), "status line %zu \"%.*s\"", i,
                        (int) strcspn((char *) cases[i].text, "\r\n"), (char *) cases[i].text);

        lt_test_resumable(name, cases[i].text, cases[i].len, LT_TEST_STATUS);
        is_int(lt_test_res.rc, cases[i].rc, "%s: %s", name, lt_test_rc_name(cases[i].rc));

        if (cases[i].rc != LT_OK || lt_test_res.rc != LT_OK) {
            continue;
        }

        ok(p->status == cases[i].status && p->http_version == cases[i].version
           && p->status_start == lt_test_res.buf + lt_test_status_offset(&cases[i].text[0],
                                                                         cases[i].status)
           && p->request_start == lt_test_res.buf,
           "%s: status %u, version %u", name, cases[i].status, cases[i].version);

        /* the reason phrase: after "NNN" and one space (or ".") */
        is_str(p->status_start + lt_min(4, p->status_end - p->status_start),
               p->status_end - p->status_start - lt_min(4, p->status_end - p->status_start),
               cases[i].reason, "%s: reason", name);
        is_int(lt_test_res.pos, cases[i].len, "%s: b->pos after the LF", name);
    }

    lt_test_resumable("status then headers",
                      T("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"), LT_TEST_STATUS);
    ok(strstr(lt_test_t1.buf, "HEADER DONE pos=38") != NULL, "status line, then headers");
}


/* relocation */

static void
lt_test_relocate(void)
{
    static const char  text[] = "GET http://h:1/a.b?c HTTP/1.1\r\nX-Y: z";
    u_char            *a, *bb;
    size_t             len;
    lt_buf_t           b;
    lt_http_parse_t    p, q;

    len = sizeof(text) - 1;
    a = lt_test_copy((u_char *) text, len);
    bb = lt_test_copy((u_char *) text, len);

    lt_http_parse_init(&p);
    lt_memzero(&b, sizeof(lt_buf_t));
    b.pos = a;
    b.last = a + len;

    is_int(lt_http_parse_request_line(&p, &b), LT_OK, "relocate: request line");
    is_int(lt_http_parse_header_line(&p, &b, 0), LT_AGAIN, "relocate: a header line begun");

    q = p;
    lt_http_parse_relocate(&p, a, bb);

    ok(p.request_start == bb && p.request_end == bb + 29 && p.method_end == bb + 2
       && p.schema_start == bb + 4 && p.schema_end == bb + 8 && p.host_start == bb + 11
       && p.host_end == bb + 12 && p.port_start == bb + 13 && p.port_end == bb + 14
       && p.uri_start == bb + 14 && p.uri_end == bb + 20 && p.uri_ext == bb + 17
       && p.args_start == bb + 19 && p.http_protocol_start == bb + 21
       && p.header_name_start == bb + 31 && p.header_name_end == bb + 34
       && p.header_start == bb + 36 && p.header_end == bb + 36,
       "relocate: every position moved");
    ok(p.status_start == NULL && p.status_end == NULL, "relocate: NULL stays NULL");
    ok(p.state == q.state && p.header_hash == q.header_hash && p.method == q.method,
       "relocate: the rest is untouched");

    free(a);
    free(bb);
}


/* chunked */

/* lt_test_run_chunked: a caller of lt_http_parse_chunked(): data goes to the
 * trace ("|" before each chunk), then the trailer lines */
static void
lt_test_run_chunked(const u_char *text, size_t len, int mode, size_t split, lt_test_trace_t *t,
    lt_http_chunked_t *out)
{
    int                 rc, trailers, in_chunk;
    u_char             *buf;
    size_t              avail, n;
    unsigned            i;
    lt_buf_t            b;
    lt_http_parse_t     p;
    lt_http_chunked_t   ctx;

    t->len = 0;
    t->buf[0] = '\0';

    avail = lt_test_first_avail(mode, split, len);
    buf = lt_test_copy(text, mode == LT_TEST_MOVE ? avail : len);

    lt_memzero(&b, sizeof(lt_buf_t));
    b.pos = buf;
    b.last = buf + avail;

    lt_memzero(&ctx, sizeof(lt_http_chunked_t));
    lt_http_parse_init(&p);
    trailers = 0;
    in_chunk = 0;

    for (i = 0; i < 100000; i++) {
        rc = trailers ? lt_http_parse_header_line(&p, &b, 0) : lt_http_parse_chunked(&ctx, &b);

        if (rc == LT_AGAIN) {
            if (!lt_test_more(t, mode, trailers ? &p : NULL, &b, &buf, text, len, &avail)) {
                lt_test_tracef(t, " AGAIN@%ld", (long) (b.pos - buf));
                break;
            }

            continue;
        }

        if (rc == LT_HTTP_PARSE_CHUNK_DATA) {
            n = lt_min((size_t) ctx.size, (size_t) (b.last - b.pos));

            if (n == 0 || ctx.size <= 0) {
                lt_test_tracef(t, " EMPTY DATA");
                break;
            }

            if (!in_chunk) {
                lt_test_tracef(t, "|");
                in_chunk = 1;
            }

            lt_test_trace_bytes(t, b.pos, n);
            b.pos += n;
            ctx.size -= n;
            in_chunk = (ctx.size != 0);
            continue;
        }

        if (rc == LT_HTTP_PARSE_CHUNK_LAST) {
            lt_test_tracef(t, " LAST@%ld", (long) (b.pos - buf));
            trailers = 1;
            continue;
        }

        if (trailers && rc == LT_OK) {
            lt_test_tracef(t, " ");
            lt_test_trace_bytes(t, p.header_name_start, p.header_name_end - p.header_name_start);
            lt_test_tracef(t, "=");
            lt_test_trace_bytes(t, p.header_start, p.header_end - p.header_start);
            continue;
        }

        lt_test_tracef(t, " %s@%ld", lt_test_rc_name(rc), (long) (b.pos - buf));
        break;
    }

    if (out) {
        *out = ctx;
    }

    free(buf);
}


static void
lt_test_chunked_cases(void)
{
    static const struct {
        const u_char  *text;
        size_t         len;
        const char    *expect;
    } cases[] = {
        { T("5\r\nhello\r\n0\r\n\r\n"), "|hello LAST@13 DONE@15" },
        { T("5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n"), "|hello| world LAST@24 DONE@26" },
        { T("A\r\n0123456789\r\na\r\nabcdefghij\r\n0\r\n\r\n"),
          "|0123456789|abcdefghij LAST@33 DONE@35" },
        { T("1F\r\n0123456789012345678901234567890\r\n0\r\n\r\n"),
          "|0123456789012345678901234567890 LAST@40 DONE@42" },
        { T("5\nhello\n0\n\n"), "|hello LAST@10 DONE@11" },
        { T("5\r\nhello\n0\r\n\n"), "|hello LAST@12 DONE@13" },
        { T("00000000000000000000005\r\nhello\r\n0000\r\n\r\n"), "|hello LAST@38 DONE@40" },
        { T("0\r\n\r\n"), " LAST@3 DONE@5" },
        { T("4\r\n\r\n\r\n\r\n0\r\n\r\n"), "|\\x0d\\x0a\\x0d\\x0a LAST@12 DONE@14" },

        /* extensions */
        { T("5;name=value\r\nhello\r\n0;x\r\n\r\n"), "|hello LAST@26 DONE@28" },
        { T("5 ;ext\r\nhello\r\n0\r\n\r\n"), "|hello LAST@18 DONE@20" },
        { T("5\t \t;ext\r\nhello\r\n0\r\n\r\n"), "|hello LAST@20 DONE@22" },
        { T("5;a=\"b c\";d\r\nhello\r\n0\r\n\r\n"), "|hello LAST@23 DONE@25" },
        { T("5;\r\nhello\r\n0;\r\n\r\n"), "|hello LAST@15 DONE@17" },
        { T("5; a = b\t\r\nhello\r\n0\r\n\r\n"), "|hello LAST@21 DONE@23" },
        { T("5;\xff\r\nhello\r\n0\r\n\r\n"), "|hello LAST@15 DONE@17" },
        { T("5 \r\nhello\r\n"), " ERROR@2" },
        { T("5 x\r\nhello\r\n"), " ERROR@2" },
        { T("5;a\x01" "b\r\nhello\r\n"), " ERROR@3" },
        { T("5;a\x7f\r\nhello\r\n"), " ERROR@3" },
        { T("5;a\0\r\nhello\r\n"), " ERROR@3" },
        { T("5;a\rb\r\nhello\r\n"), " ERROR@4" },

        /* trailers */
        { T("0\r\nX-Checksum: abc\r\nY: z\r\n\r\n"), " LAST@3 X-Checksum=abc Y=z DONE@28" },
        { T("3\r\nabc\r\n0\r\nA:1\n\n"), "|abc LAST@11 A=1 DONE@16" },
        { T("0\r\n bad: x\r\n\r\n"), " LAST@3 INVALID_HEADER@3" },
        { T("0\r\nbad\r\n\r\n"), " LAST@3 INVALID_HEADER@6" },

        /* bad sizes */
        { T("0x5\r\nhello\r\n0\r\n\r\n"), " ERROR@1" },
        { T("-5\r\nhello\r\n"), " ERROR@0" },
        { T("+5\r\nhello\r\n"), " ERROR@0" },
        { T(" 5\r\nhello\r\n"), " ERROR@0" },
        { T("g\r\n"), " ERROR@0" },
        { T("5g\r\n"), " ERROR@1" },
        { T("\r\n"), " ERROR@0" },
        { T(";x\r\n"), " ERROR@0" },
        { T("5\rX"), " ERROR@2" },
        { T("1000000000000000\r\nx"), "|x AGAIN@19" },
        { T("1000000000000001\r\n"), " ERROR@15" },
        { T("10000000000000000\r\n"), " ERROR@16" },
        { T("ffffffffffffffffffffffff\r\n"), " ERROR@15" },
        { T("0000000000000000000000000000000001000000000000000\r\nxy"), "|xy AGAIN@53" },

        /* data not followed by CRLF (body_chunked.t, runaway chunk) */
        { T("4\r\nSEE-THIS\r\n0\r\n\r\n"), "|SEE- ERROR@7" },
        { T("5\r\nhello0\r\n"), "|hello ERROR@8" },
        { T("5\r\nhello\r\r\n"), "|hello ERROR@9" },
        { T("5\r\nhello \r\n"), "|hello ERROR@8" },

        /* incomplete */
        { T(""), " AGAIN@0" },
        { T("5"), " AGAIN@1" },
        { T("5\r\nhel"), "|hel AGAIN@6" },
        { T("5\r\nhello\r"), "|hello AGAIN@9" },
        { T("0\r\n"), " LAST@3 AGAIN@3" },
        { T("0\r\nX: y\r\n"), " LAST@3 X=y AGAIN@9" },
    };

    int           mode;
    size_t        i, k, bad;
    char          name[64];
    const char   *expect;

    for (i = 0; i < lt_nelts(cases); i++) {
        (void) snprintf(name, sizeof(name), "chunked %zu", i);
        expect = cases[i].expect;

        lt_test_run_chunked(cases[i].text, cases[i].len, LT_TEST_WHOLE, 0, &lt_test_t1, NULL);
        is_str(lt_test_t1.buf, lt_test_t1.len, expect, "%s: \"%s\"", name, expect);

        lt_test_run_chunked(cases[i].text, cases[i].len, LT_TEST_BYTES, 0, &lt_test_t2, NULL);
        ok(strcmp(lt_test_t1.buf, lt_test_t2.buf) == 0, "%s: one byte at a time", name);
        if (strcmp(lt_test_t1.buf, lt_test_t2.buf) != 0) {
            diag("bytes: %s", lt_test_t2.buf);
        }

        for (mode = LT_TEST_SPLIT; mode <= LT_TEST_MOVE; mode++) {
            bad = 0;

            for (k = 1; k < cases[i].len && bad == 0; k++) {
                lt_test_run_chunked(cases[i].text, cases[i].len, mode, k, &lt_test_t2, NULL);
                if (strcmp(lt_test_t1.buf, lt_test_t2.buf) != 0) {
                    bad = k;
                }
            }

            ok(bad == 0, "%s: split anywhere%s", name, mode == LT_TEST_MOVE ? ", moved" : "");
            if (bad) {
                diag("split at %zu: %s", bad, lt_test_t2.buf);
            }
        }
    }
}


/* lt_test_chunked_step: one call over text (no data consumed) */
static int
lt_test_chunked_step(lt_http_chunked_t *ctx, const char *text, size_t *pos)
{
    int       rc;
    u_char   *buf;
    size_t    len;
    lt_buf_t  b;

    len = strlen(text);
    buf = lt_test_copy((u_char *) text, len);

    lt_memzero(&b, sizeof(lt_buf_t));
    b.pos = buf;
    b.last = buf + len;

    rc = lt_http_parse_chunked(ctx, &b);
    *pos = b.pos - buf;

    free(buf);

    return rc;
}


static void
lt_test_chunked_details(void)
{
    int                rc;
    size_t             pos;
    lt_http_chunked_t  ctx;

    lt_memzero(&ctx, sizeof(lt_http_chunked_t));
    rc = lt_test_chunked_step(&ctx, "", &pos);
    ok(rc == LT_AGAIN && ctx.length == 3, "chunked: at the start, 3 bytes at least (0 LF LF)");

    rc = lt_test_chunked_step(&ctx, "1a", &pos);
    ok(rc == LT_AGAIN && ctx.size == 26 && ctx.length == 1 + 26 + 4,
       "chunked: in the size, LF + size + LF 0 LF LF");

    rc = lt_test_chunked_step(&ctx, ";ext\r", &pos);
    ok(rc == LT_AGAIN && ctx.length == 1 + 26 + 4, "chunked: in the extension, the same");

    rc = lt_test_chunked_step(&ctx, "\n", &pos);
    ok(rc == LT_AGAIN && pos == 1 && ctx.size == 26 && ctx.length == 26 + 4,
       "chunked: after the size line with no data yet: AGAIN, size + 4");

    rc = lt_test_chunked_step(&ctx, "0123456789", &pos);
    ok(rc == LT_HTTP_PARSE_CHUNK_DATA && pos == 0 && ctx.size == 26,
       "chunked: CHUNK_DATA at the data, ctx->size is what remains of the chunk");

    ctx.size -= 26;
    rc = lt_test_chunked_step(&ctx, "", &pos);
    ok(rc == LT_AGAIN && ctx.length == 4, "chunked: after the data, LF 0 LF LF");

    rc = lt_test_chunked_step(&ctx, "\r\n0", &pos);
    ok(rc == LT_AGAIN && pos == 3 && ctx.length == 2, "chunked: in the last size, LF LF");

    rc = lt_test_chunked_step(&ctx, "\r\n", &pos);
    ok(rc == LT_HTTP_PARSE_CHUNK_LAST && pos == 2 && ctx.length == 1,
       "chunked: CHUNK_LAST after the 0 line, then the trailer section");

    rc = lt_test_chunked_step(&ctx, "X: y\r\n", &pos);
    ok(rc == LT_HTTP_PARSE_CHUNK_LAST && pos == 0,
       "chunked: called again after the last chunk: CHUNK_LAST, nothing consumed");

    lt_memzero(&ctx, sizeof(lt_http_chunked_t));
    rc = lt_test_chunked_step(&ctx, "1000000000000000\r\n", &pos);
    ok(rc == LT_AGAIN && ctx.size == LT_HTTP_MAX_CHUNK_SIZE, "chunked: 2^60 is the largest");
}


/* arguments, cookies, split, method names */

static void
lt_test_args(void)
{
    static const struct {
        const char  *args;
        const char  *name;
        const char  *expect;        /* NULL: LT_DECLINED */
    } cases[] = {
        { "a=1&b=2&c", "a", "1" },
        { "a=1&b=2&c", "b", "2" },
        { "a=1&b=2&c", "c", NULL },
        { "a=1&b=2&c", "A", "1" },
        { "A=1", "a", "1" },
        { "a=1&b=2", "ab", NULL },
        { "ab=1&b=2", "b", "2" },
        { "xa=1&a=2", "a", "2" },
        { "a=&b=2", "a", "" },
        { "a=1&a=2", "a", "1" },
        { "&&a=3&", "a", "3" },
        { "a=b=c", "a", "b=c" },
        { "name=%41+b", "name", "%41+b" },
        { "", "a", NULL },
        { "a", "a", NULL },
        { "a=1", "", NULL },
        { "=1", "", NULL },
        { "b=1;a=2", "a", NULL },
    };

    size_t     i;
    u_char    *buf;
    lt_str_t   args, value;
    int        rc;

    for (i = 0; i < lt_nelts(cases); i++) {
        args.len = strlen(cases[i].args);
        buf = lt_test_copy((u_char *) cases[i].args, args.len);
        args.data = args.len ? buf : NULL;

        rc = lt_http_arg(&args, (u_char *) cases[i].name, strlen(cases[i].name), &value);

        if (cases[i].expect == NULL) {
            is_int(rc, LT_DECLINED, "arg \"%s\" in \"%s\": none", cases[i].name, cases[i].args);

        } else {
            ok(rc == LT_OK && value.len == strlen(cases[i].expect)
               && memcmp(value.data, cases[i].expect, value.len) == 0,
               "arg \"%s\" in \"%s\" is \"%s\"", cases[i].name, cases[i].args, cases[i].expect);
        }

        free(buf);
    }
}


static void
lt_test_cookies(void)
{
    static const struct {
        const char  *header;
        const char  *name;
        const char  *expect;        /* NULL: LT_DECLINED */
    } cases[] = {
        { "a=1; b=2;c=3", "a", "1" },
        { "a=1; b=2;c=3", "b", "2" },
        { "a=1; b=2;c=3", "c", "3" },
        { "a=1; b=2;c=3", "A", "1" },       /* names in any case, as nginx */
        { "A=1", "a", "1" },
        { "a=1; b=2;c=3", "d", NULL },
        { "  a = 1 ; b=2", "a", "1" },
        { "ab=1; b=2", "b", "2" },
        { "ab=1; b=2", "a", NULL },
        { "a=", "a", "" },
        { "a=1;", "a", "1" },
        { "a", "a", NULL },
        { "a; a=2", "a", "2" },
        { "x=\"q\"", "x", "\"q\"" },
        { "x=a=b", "x", "a=b" },
        { "\ta=1", "a", "1" },
        { "", "a", NULL },
        { "a=1", "", NULL },
        { "b=1, a=2", "a", NULL },
        { ";;a=1;;", "a", "1" },
    };

    size_t     i;
    u_char    *buf;
    lt_str_t   header, value;
    int        rc;

    for (i = 0; i < lt_nelts(cases); i++) {
        header.len = strlen(cases[i].header);
        buf = lt_test_copy((u_char *) cases[i].header, header.len);
        header.data = header.len ? buf : NULL;

        rc = lt_http_cookie(&header, (u_char *) cases[i].name, strlen(cases[i].name), &value);

        if (cases[i].expect == NULL) {
            is_int(rc, LT_DECLINED, "cookie \"%s\" in \"%s\": none", cases[i].name,
                   cases[i].header);

        } else {
            ok(rc == LT_OK && value.len == strlen(cases[i].expect)
               && memcmp(value.data, cases[i].expect, value.len) == 0,
               "cookie \"%s\" in \"%s\" is \"%s\"", cases[i].name, cases[i].header,
               cases[i].expect);
        }

        free(buf);
    }
}


static void
lt_test_split_args(void)
{
    static const struct {
        const char  *in;
        const char  *uri;
        const char  *args;
    } cases[] = {
        { "/a?b=1", "/a", "b=1" },
        { "/a", "/a", "" },
        { "/a?", "/a", "" },
        { "?x", "", "x" },
        { "/a?b?c", "/a", "b?c" },
        { "", "", "" },
    };

    size_t     i;
    lt_str_t   uri, args;

    for (i = 0; i < lt_nelts(cases); i++) {
        uri.len = strlen(cases[i].in);
        uri.data = (u_char *) cases[i].in;

        lt_http_split_args(&uri, &args);

        ok(uri.len == strlen(cases[i].uri) && memcmp(uri.data, cases[i].uri, uri.len) == 0
           && args.len == strlen(cases[i].args)
           && (args.len == 0 || memcmp(args.data, cases[i].args, args.len) == 0),
           "split \"%s\": \"%s\" and \"%s\"", cases[i].in, cases[i].uri, cases[i].args);
    }

    uri.len = 2;
    uri.data = (u_char *) "/a";
    lt_http_split_args(&uri, &args);
    ok(args.data == uri.data + 2, "split without \"?\": the arguments are empty at the end");
}


static void
lt_test_method_names(void)
{
    static const struct {
        unsigned     method;
        const char  *name;
    } names[] = {
        { LT_HTTP_GET, "GET" }, { LT_HTTP_HEAD, "HEAD" }, { LT_HTTP_POST, "POST" },
        { LT_HTTP_PUT, "PUT" }, { LT_HTTP_DELETE, "DELETE" }, { LT_HTTP_MKCOL, "MKCOL" },
        { LT_HTTP_COPY, "COPY" }, { LT_HTTP_MOVE, "MOVE" }, { LT_HTTP_OPTIONS, "OPTIONS" },
        { LT_HTTP_PROPFIND, "PROPFIND" }, { LT_HTTP_PROPPATCH, "PROPPATCH" },
        { LT_HTTP_LOCK, "LOCK" }, { LT_HTTP_UNLOCK, "UNLOCK" }, { LT_HTTP_PATCH, "PATCH" },
        { LT_HTTP_TRACE, "TRACE" }, { LT_HTTP_CONNECT, "CONNECT" },
    };

    size_t           i;
    const lt_str_t  *s;

    for (i = 0; i < lt_nelts(names); i++) {
        s = lt_http_method_name(names[i].method);
        ok(s != NULL && s->len == strlen(names[i].name)
           && memcmp(s->data, names[i].name, s->len) == 0, "method name %s", names[i].name);
        is_int(lt_http_method_bit((u_char *) names[i].name, strlen(names[i].name)),
               names[i].method, "method bit of %s", names[i].name);
    }

    ok(lt_http_method_name(LT_HTTP_UNKNOWN) == NULL, "no name for LT_HTTP_UNKNOWN");
    ok(lt_http_method_name(0) == NULL, "no name for 0");
    ok(lt_http_method_name(LT_HTTP_GET | LT_HTTP_POST) == NULL, "no name for a set");
    ok(lt_http_method_name(0x00020000) == NULL, "no name for an unknown bit");
    ok(lt_http_method_name(0x80000000) == NULL, "no name for the top bit");
}


static void
lt_test_init(void)
{
    lt_http_parse_t  p;

    memset(&p, 0xa5, sizeof(lt_http_parse_t));
    lt_http_parse_init(&p);

    ok(p.state == 0 && p.request_start == NULL && p.uri_ext == NULL && p.args_start == NULL
       && p.method == 0 && p.complex_uri == 0 && p.header_hash == 0 && p.lowcase_index == 0
       && p.invalid_header == 0 && p.http_version == 0,
       "lt_http_parse_init: a fresh state");
}


int
main(void)
{
    lt_test_init();
    lt_test_request_line_cases();
    lt_test_request_line_details();
    lt_test_http_uri_t();
    lt_test_complex_uri();
    lt_test_http_host_t();
    lt_test_header_lines();
    lt_test_header_details();
    lt_test_header_line_starts();
    lt_test_status_lines();
    lt_test_relocate();
    lt_test_chunked_cases();
    lt_test_chunked_details();
    lt_test_args();
    lt_test_cookies();
    lt_test_split_args();
    lt_test_method_names();

    free(lt_test_res.buf);

    return done_testing();
}
