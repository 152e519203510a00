/*
 * test_accept_encoding.c: Accept-Encoding parsing and content-coding choice of
 * http/lt_http_accept_encoding.c: q-values, "*", identity, server order, and
 * hostile input (every byte value, truncations of valid headers, huge and
 * unterminated values), which must never crash or read out of bounds.
 */

#include "lt_http.h"
#include "lt_http_accept_encoding.h"
#include "tap.h"

#define ALL   (LT_HTTP_ENC_BIT(LT_HTTP_ENC_GZIP) | LT_HTTP_ENC_BIT(LT_HTTP_ENC_BR)    \
               | LT_HTTP_ENC_BIT(LT_HTTP_ENC_ZSTD))
#define GZ    LT_HTTP_ENC_BIT(LT_HTTP_ENC_GZIP)
#define BR    LT_HTTP_ENC_BIT(LT_HTTP_ENC_BR)
#define ZS    LT_HTTP_ENC_BIT(LT_HTTP_ENC_ZSTD)

#define I     LT_HTTP_ENC_IDENTITY
#define G     LT_HTTP_ENC_GZIP
#define B     LT_HTTP_ENC_BR
#define Z     LT_HTTP_ENC_ZSTD

typedef struct {
    const char  *header;
    unsigned     enabled;
    int          expected;
} lt_test_case_t;

static const lt_test_case_t  lt_test_cases[] = {
    /* the plain forms */
    { "gzip", ALL, G },
    { "gzip", BR | ZS, I },
    { "br", ALL, B },
    { "zstd", ALL, Z },
    { "GZIP", ALL, G },
    { "Br", ALL, B },
    { "ZSTD", ALL, Z },
    { "x-gzip", ALL, G },
    { "X-GZip", GZ, G },
    { "deflate", ALL, I },
    { "compress", ALL, I },
    { "identity", ALL, I },
    { "", ALL, I },
    { " ", ALL, I },
    { ",", ALL, I },
    { ",,, ,\t,", ALL, I },

    /* browsers: equal q, the server's order (br, zstd, gzip) decides */
    { "gzip, deflate", ALL, G },
    { "gzip, deflate, br", ALL, B },
    { "gzip, deflate, br, zstd", ALL, B },
    { "gzip, deflate, br, zstd", GZ | ZS, Z },
    { "gzip, deflate, br, zstd", GZ, G },
    { "gzip,deflate,br,zstd", ALL, B },
    { "zstd, gzip", ALL, Z },
    { "gzip, zstd", GZ | ZS, Z },

    /* q-values: the client's preference first */
    { "gzip;q=1.0, br;q=0.5", ALL, G },
    { "gzip;q=0.5, br;q=0.6", ALL, B },
    { "gzip;q=0.9, br;q=0.8, zstd;q=0.95", ALL, Z },
    { "gzip; q=0.5, br ;q=0.4", ALL, G },
    { "gzip\t;\tq=0.5 , br;q=0.4", ALL, G },
    { "gzip;Q=0.5, br;q=0.4", ALL, G },
    { "gzip;q=0.001", ALL, G },
    { "gzip;q=0.001, br;q=0.002", ALL, B },
    { "gzip;q=1, br;q=1.000", ALL, B },
    { "gzip;q=1.", ALL, G },
    { "gzip;q=0.", ALL, I },
    { "gzip;q=0.000", ALL, I },

    /* q=0 refuses */
    { "gzip;q=0", ALL, I },
    { "gzip;q=0, br", ALL, B },
    { "br;q=0, gzip", ALL, G },
    { "gzip;q=0, br;q=0, zstd;q=0", ALL, I },
    { "gzip, gzip;q=0", ALL, I },
    { "gzip;q=0, gzip", ALL, I },
    { "gzip;q=0.5, gzip;q=0.8, br;q=0.6", ALL, B },
    { "x-gzip;q=0, gzip", ALL, I },

    /* "*" */
    { "*", ALL, B },
    { "*", GZ, G },
    { "*;q=0", ALL, I },
    { "*;q=0, gzip", ALL, G },
    { "gzip, *;q=0", ALL, G },
    { "*, br;q=0", ALL, Z },
    { "*, br;q=0, zstd;q=0", ALL, G },
    { "*;q=0.5, gzip", ALL, G },
    { "*;q=0.5, gzip;q=0.4", ALL, B },     /* br through "*" */
    { "*;q=0.5, gzip;q=0.4", GZ, I },     /* identity through "*" beats gzip */
    { "*;q=0.1, gzip;q=0.5", GZ, G },
    { "*;q=0.5, identity;q=0.1, gzip;q=0.4", ALL, B },
    { "*;q=0.5, identity;q=0.1, gzip;q=0.4", GZ, G },

    /* identity */
    { "identity, gzip", ALL, G },
    { "identity;q=0.5, gzip", ALL, G },
    { "identity, gzip;q=0.5", ALL, I },
    { "identity;q=0.5, gzip;q=0.5", ALL, G },
    { "identity;q=0, gzip", ALL, G },
    { "identity;q=0", ALL, I },
    { "gzip;q=0.5", ALL, G },              /* implicit identity does not win */

    /* other parameters are ignored, quoted strings may hold separators */
    { "gzip;level=9", ALL, G },
    { "gzip;foo=bar;q=0.5, br;q=0.4", ALL, G },
    { "gzip;foo=\"a,b;q=0\", br;q=0.1", ALL, G },
    { "br;foo=\"a\\\"b,c\";q=0.1, gzip;q=0.2", ALL, G },

    /* malformed q refuses the element */
    { "gzip;q=2", ALL, I },
    { "gzip;q=1.5", ALL, I },
    { "gzip;q=1.001", ALL, I },
    { "gzip;q=0.1234", ALL, I },
    { "gzip;q=", ALL, I },
    { "gzip;q", ALL, I },
    { "gzip;q = 0.5", ALL, I },
    { "gzip;q=-1", ALL, I },
    { "gzip;q=.5", ALL, I },
    { "gzip;q=0x1", ALL, I },
    { "gzip;q=\"0.5\"", ALL, I },
    { "gzip;q=1e0", ALL, I },
    { "gzip;q=0.5;", ALL, I },
    { "gzip;;q=0.5", ALL, I },
    { "gzip;=1", ALL, I },
    { "gzip;q=2, br", ALL, B },
    { "br;q=abc, gzip", ALL, G },

    /* junk around names */
    { "gzipx", ALL, I },
    { "xgzip", ALL, I },
    { "gzi", ALL, I },
    { "gzip/1", ALL, I },
    { "gzip deflate", ALL, I },
    { "gzip deflate, br", ALL, B },
    { "\"gzip\"", ALL, I },
    { "\"gzip\", br", ALL, B },
    { ";q=1, gzip", ALL, G },
    { "=gzip, br", ALL, B },
    { "gzip;foo=\"unterminated, br", ALL, I },
    { "br;foo=\"x\\", ALL, I },
    { "\x01gzip, br", ALL, B },
    { "gzip\xff", ALL, I },
    { "\xc3\xa9, zstd", ALL, Z },
    { " , gzip , ", ALL, G },
    { "\tbr\t", ALL, B },
};


static int
lt_test_choose(const char *header, size_t len, unsigned enabled,
    const lt_http_encoding_order_t *order)
{
    lt_http_accept_encoding_t  ae;

    lt_http_accept_encoding_init(&ae);
    lt_http_parse_accept_encoding((const u_char *) header, len, &ae);

    return lt_http_choose_encoding(&ae, enabled, order);
}


static void
lt_test_table(void)
{
    size_t  i, len;

    for (i = 0; i < sizeof(lt_test_cases) / sizeof(lt_test_cases[0]); i++) {
        len = strlen(lt_test_cases[i].header);

        is_int(lt_test_choose(lt_test_cases[i].header, len, lt_test_cases[i].enabled, NULL),
               lt_test_cases[i].expected, "'%s' enabled %#x",
               lt_test_cases[i].header, lt_test_cases[i].enabled);
    }
}


static void
lt_test_order(void)
{
    lt_http_encoding_order_t  gzip_first = { { G, B, Z } };
    lt_http_encoding_order_t  only_zstd = { { Z, I, I } };
    lt_http_encoding_order_t  bogus = { { 200, 7, G } };
    lt_http_encoding_order_t  dup = { { G, G, G } };

    is_int(lt_test_choose("br, zstd, gzip", 14, ALL, &gzip_first), G, "order: gzip first");
    is_int(lt_test_choose("br, zstd", 8, ALL, &gzip_first), B, "order: then br");
    is_int(lt_test_choose("br;q=1, gzip;q=0.9", 18, ALL, &gzip_first), B,
           "order: a higher q beats the order");
    is_int(lt_test_choose("br, gzip", 8, ALL, &only_zstd), B,
           "order: unlisted codings still count, after the listed");
    is_int(lt_test_choose("br, zstd", 8, ALL, &only_zstd), Z, "order: zstd listed first");
    is_int(lt_test_choose("br, gzip", 8, ALL, &bogus), G, "order: bogus entries skipped");
    is_int(lt_test_choose("gzip, br", 8, ALL, &dup), G, "order: duplicates harmless");
    is_int(lt_test_choose("gzip, br", 8, 0, NULL), I, "nothing enabled");
    is_int(lt_test_choose("gzip, br", 8, LT_HTTP_ENC_BIT(I), NULL), I, "identity bit only");
}


static void
lt_test_q(void)
{
    lt_http_accept_encoding_t  ae;

    lt_http_accept_encoding_init(&ae);
    is_int(lt_http_accept_encoding_q(&ae, I), 1000, "q: identity unlisted is 1");
    is_int(lt_http_accept_encoding_q(&ae, G), 0, "q: gzip unlisted is 0");
    is_int(lt_http_accept_encoding_q(&ae, (lt_http_encoding_e) 99), 0, "q: bad coding");

    lt_http_parse_accept_encoding((u_char *) "gzip;q=0.25, *;q=0.125", 22, &ae);
    is_int(lt_http_accept_encoding_q(&ae, G), 250, "q: 0.25");
    is_int(lt_http_accept_encoding_q(&ae, B), 125, "q: br from *");
    is_int(lt_http_accept_encoding_q(&ae, I), 125, "q: identity from *");
    ok(!ae.malformed, "not malformed");

    /* two header lines add up */
    lt_http_parse_accept_encoding((u_char *) "br;q=0.5", 8, &ae);
    is_int(lt_http_accept_encoding_q(&ae, B), 500, "q: second line");
    is_int(lt_http_choose_encoding(&ae, ALL, NULL), B, "two lines: br");

    lt_http_parse_accept_encoding((u_char *) "gzip;q=7", 8, &ae);
    ok(ae.malformed, "malformed flagged");
    is_int(lt_http_accept_encoding_q(&ae, G), 0, "q: malformed refuses");

    /* a NUL inside the value is just a bad byte */
    is_int(lt_test_choose("gzip\0, br", 9, ALL, NULL), B, "NUL after gzip");
    is_int(lt_test_choose("br\0", 3, ALL, NULL), I, "NUL at the end");

    lt_http_accept_encoding_init(&ae);
    lt_http_parse_accept_encoding(NULL, 10, &ae);
    is_int(lt_http_choose_encoding(&ae, ALL, NULL), I, "NULL value");
}


static void
lt_test_names(void)
{
    const lt_str_t  *name;

    is_int(lt_http_encoding_by_name((u_char *) "gzip", 4), G, "name gzip");
    is_int(lt_http_encoding_by_name((u_char *) "X-Gzip", 6), G, "name x-gzip");
    is_int(lt_http_encoding_by_name((u_char *) "br", 2), B, "name br");
    is_int(lt_http_encoding_by_name((u_char *) "zstd", 4), Z, "name zstd");
    is_int(lt_http_encoding_by_name((u_char *) "identity", 8), I, "name identity");
    is_int(lt_http_encoding_by_name((u_char *) "brotli", 6), LT_ERROR, "name brotli");
    is_int(lt_http_encoding_by_name((u_char *) "", 0), LT_ERROR, "empty name");

    name = lt_http_encoding_name(B);
    is_str(name->data, name->len, "br", "token br");
    name = lt_http_encoding_name(Z);
    is_str(name->data, name->len, "zstd", "token zstd");
    name = lt_http_encoding_name((lt_http_encoding_e) 42);
    is_str(name->data, name->len, "identity", "token of a bad coding");
}


/* every prefix of valid and hostile headers, each copied into an exact-size heap
 * block so that a sanitizer build catches any read past the end */
static void
lt_test_truncations(void)
{
    static const char  *headers[] = {
        "gzip;q=0.5, br;foo=\"a\\\"b,c\";q=0.1, *;q=0, identity;q=1.000",
        "x-gzip ;\tQ=1. , zstd;q=0.999,,,;;==\"\"\\",
        "br;a=\"\\",
    };
    size_t   h, n, len, runs;
    u_char  *copy;
    int      enc, bad;

    runs = 0;
    bad = 0;

    for (h = 0; h < sizeof(headers) / sizeof(headers[0]); h++) {
        len = strlen(headers[h]);

        for (n = 0; n <= len; n++) {
            copy = malloc(n ? n : 1);
            if (copy == NULL) {
                printf("Bail out! out of memory\n");
                exit(255);
            }
            memcpy(copy, headers[h], n);

            enc = lt_test_choose((char *) copy, n, ALL, NULL);
            if (enc < I || enc >= LT_HTTP_ENC_N) {
                bad++;
            }
            runs++;
            free(copy);
        }
    }

    ok(bad == 0 && runs > 50, "every truncation gives a valid coding (%zu runs)", runs);
}


/* all byte values in every position of a short value, and random bytes */
static void
lt_test_bytes(void)
{
    u_char    buf[8], *big;
    size_t    i, pos, size;
    unsigned  c, seed;
    int       enc, bad;

    bad = 0;

    for (pos = 0; pos < sizeof(buf); pos++) {
        for (c = 0; c < 256; c++) {
            memcpy(buf, "gzip;q=1", 8);
            buf[pos] = (u_char) c;
            enc = lt_test_choose((char *) buf, sizeof(buf), ALL, NULL);
            if (enc != I && enc != G) {
                bad++;
            }
        }
    }

    ok(bad == 0, "one byte changed in \"gzip;q=1\": gzip or identity");

    seed = 12345;
    size = 1 << 16;
    big = malloc(size);
    if (big == NULL) {
        printf("Bail out! out of memory\n");
        exit(255);
    }

    for (i = 0; i < size; i++) {
        seed = seed * 1103515245 + 12345;
        /* mostly the bytes that matter to the parser */
        big[i] = (u_char) ("gzbr;q=0.1,*\" \\\tx"[(seed >> 16) % 18]);
        if ((seed >> 8) % 97 == 0) {
            big[i] = (u_char) (seed >> 3);
        }
    }

    enc = lt_test_choose((char *) big, size, ALL, NULL);
    ok(enc >= I && enc < LT_HTTP_ENC_N, "64 KiB of noise: a valid coding");

    /* a long run of one character, then a real element */
    memset(big, ',', size - 4);
    memcpy(big + size - 4, "zstd", 4);
    is_int(lt_test_choose((char *) big, size, ALL, NULL), Z, "64 KiB of commas, then zstd");

    memset(big, '"', size);
    is_int(lt_test_choose((char *) big, size, ALL, NULL), I, "64 KiB of quotes");

    memset(big, ';', size);
    is_int(lt_test_choose((char *) big, size, ALL, NULL), I, "64 KiB of semicolons");

    memset(big, 'g', size);
    is_int(lt_test_choose((char *) big, size, ALL, NULL), I, "64 KiB token");

    free(big);
}


static lt_log_t  lt_test_log;       /* level 0: logs nothing */


static lt_table_elt_t *
lt_test_add_header(lt_http_request_t *r, const char *key, const char *value)
{
    lt_table_elt_t  *h;

    h = lt_list_push(&r->headers_out.headers);
    if (h == NULL) {
        printf("Bail out! out of memory\n");
        exit(255);
    }

    h->hash = 1;
    h->next = NULL;
    h->key.len = strlen(key);
    h->key.data = (u_char *) key;
    h->value.len = strlen(value);
    h->value.data = (u_char *) value;

    return h;
}


static size_t
lt_test_count_headers(lt_http_request_t *r, const char *key, const char *value)
{
    lt_list_iter_t   it;
    lt_table_elt_t  *h;
    size_t           n;

    n = 0;
    lt_list_iter_init(&it, &r->headers_out.headers);

    while ((h = lt_list_iter_next(&it)) != NULL) {
        if (h->hash && h->key.len == strlen(key) && memcmp(h->key.data, key, h->key.len) == 0
            && h->value.len == strlen(value) && memcmp(h->value.data, value, h->value.len) == 0)
        {
            n++;
        }
    }

    return n;
}


static void
lt_test_response(void)
{
    lt_http_request_t  r;
    lt_table_elt_t     ae1, ae2, *h;
    lt_pool_t         *pool;

    pool = lt_create_pool(4096, &lt_test_log);
    if (pool == NULL) {
        printf("Bail out! out of memory\n");
        exit(255);
    }

    lt_memzero(&r, sizeof(r));
    r.pool = pool;
    if (lt_list_init(&r.headers_out.headers, pool, 8, sizeof(lt_table_elt_t)) != LT_OK) {
        printf("Bail out! out of memory\n");
        exit(255);
    }

    /* the request side: two Accept-Encoding lines, one deleted */
    is_int(lt_http_request_encoding(&r, ALL, NULL), I, "request: no header");

    lt_memzero(&ae1, sizeof(ae1));
    lt_memzero(&ae2, sizeof(ae2));
    ae1.hash = 1;
    lt_str_set(&ae1.value, "gzip;q=0.5");
    ae2.hash = 1;
    lt_str_set(&ae2.value, "zstd;q=0.6");
    ae1.next = &ae2;
    r.headers_in.accept_encoding = &ae1;

    is_int(lt_http_request_encoding(&r, ALL, NULL), Z, "request: two lines");
    is_int(lt_http_request_encoding(&r, 0, NULL), I, "request: nothing enabled");
    ae2.hash = 0;
    is_int(lt_http_request_encoding(&r, ALL, NULL), G, "request: deleted line ignored");

    /* the response side */
    r.headers_out.status = LT_HTTP_OK;
    r.headers_out.content_length_n = 1000;
    is_int(lt_http_compress_response_ok(&r), LT_OK, "200 may be compressed");
    r.headers_out.status = LT_HTTP_NOT_FOUND;
    is_int(lt_http_compress_response_ok(&r), LT_OK, "404 too");
    r.headers_out.status = LT_HTTP_PARTIAL_CONTENT;
    is_int(lt_http_compress_response_ok(&r), LT_DECLINED, "206 not");
    r.headers_out.status = LT_HTTP_OK;
    r.header_only = 1;
    is_int(lt_http_compress_response_ok(&r), LT_DECLINED, "header only not");
    r.header_only = 0;

    h = lt_test_add_header(&r, "Cache-Control", "public, No-Transform");
    r.headers_out.cache_control = h;
    is_int(lt_http_compress_response_ok(&r), LT_DECLINED, "no-transform respected");
    lt_str_set(&h->value, "no-transformx, max-age=3");
    is_int(lt_http_compress_response_ok(&r), LT_OK, "no-transformx is another token");
    r.headers_out.cache_control = NULL;
    h->hash = 0;

    h = lt_test_add_header(&r, "Content-Encoding", "");
    r.headers_out.content_encoding = h;
    is_int(lt_http_compress_response_ok(&r), LT_OK, "empty Content-Encoding");
    lt_str_set(&h->value, "gzip");
    is_int(lt_http_compress_response_ok(&r), LT_DECLINED, "never compress twice");
    h->hash = 0;
    r.headers_out.content_encoding = NULL;

    h = lt_test_add_header(&r, "ETag", "\"abc\"");
    r.headers_out.etag = h;
    r.allow_ranges = 1;
    is_int(lt_http_compress_set_headers(&r, B), LT_OK, "set headers");
    ok(r.headers_out.content_encoding != NULL
       && lt_str_eq(&r.headers_out.content_encoding->value, "br"), "Content-Encoding: br");
    is_int(r.headers_out.content_length_n, -1, "no Content-Length");
    ok(!r.allow_ranges, "no ranges");
    ok(r.headers_out.etag && lt_str_eq(&r.headers_out.etag->value, "W/\"abc\""), "weak ETag");
    is_int(lt_http_compress_response_ok(&r), LT_DECLINED, "then not again");

    is_int(lt_test_count_headers(&r, "Vary", "Accept-Encoding"), 0, "no Vary yet");
    is_int(lt_http_add_vary_accept_encoding(&r), LT_OK, "add Vary");
    is_int(lt_http_add_vary_accept_encoding(&r), LT_OK, "add Vary again");
    is_int(lt_test_count_headers(&r, "Vary", "Accept-Encoding"), 1, "one Vary");

    lt_destroy_pool(pool);
    pool = lt_create_pool(4096, &lt_test_log);
    if (pool == NULL
        || lt_list_init(&r.headers_out.headers, pool, 8, sizeof(lt_table_elt_t)) != LT_OK)
    {
        printf("Bail out! out of memory\n");
        exit(255);
    }
    r.pool = pool;

    lt_test_add_header(&r, "vary", "Origin, accept-encoding");
    is_int(lt_http_add_vary_accept_encoding(&r), LT_OK, "Vary naming it among others");
    is_int(lt_test_count_headers(&r, "Vary", "Accept-Encoding"), 0, "not added twice");
    lt_list_init(&r.headers_out.headers, pool, 8, sizeof(lt_table_elt_t));
    lt_test_add_header(&r, "Vary", "Accept-Encodings");
    lt_test_add_header(&r, "Vary", "X-Accept-Encoding");
    is_int(lt_http_add_vary_accept_encoding(&r), LT_OK, "Vary naming another header");
    is_int(lt_test_count_headers(&r, "Vary", "Accept-Encoding"), 1, "added");

    lt_destroy_pool(pool);
}


int
main(void)
{
    lt_test_table();
    lt_test_order();
    lt_test_q();
    lt_test_names();
    lt_test_truncations();
    lt_test_bytes();
    lt_test_response();

    return done_testing();
}
