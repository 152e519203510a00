/*
 * test_string.c: the string helpers of core/lt_string.c: number, size and time
 * parsers, base64, searching, copying and printing.
 *
 * Searches run on heap buffers of the exact length, so that AddressSanitizer
 * sees a read past the end.
 */

#include "lt_core.h"
#include "tap.h"

#define LT_TEST_S(lit)  (u_char *) lit, sizeof(lit) - 1

static lt_str_t  lt_test_line;


/* lt_test_str: a static lt_str_t for a literal, for the parsers */
static const lt_str_t *
lt_test_str(const char *s)
{
    lt_test_line.len = strlen(s);
    lt_test_line.data = (u_char *) s;

    return &lt_test_line;
}


/* lt_test_dup: an exact-size heap copy (no NUL) */
static u_char *
lt_test_dup(const char *s, size_t len)
{
    u_char  *p;

    p = malloc(len ? len : 1);
    if (p && len) {
        memcpy(p, s, len);
    }

    return p;
}


static void
lt_test_atoi(void)
{
    is_int(lt_atoi(LT_TEST_S("0")), 0, "atoi 0");
    is_int(lt_atoi(LT_TEST_S("12345")), 12345, "atoi 12345");
    is_int(lt_atoi((u_char *) "12345", 2), 12, "atoi stops at n");
    is_int(lt_atoi(LT_TEST_S("9223372036854775807")), INT64_MAX, "atoi INT64_MAX");
    is_int(lt_atoi(LT_TEST_S("9223372036854775808")), LT_ERROR, "atoi overflow by one");
    is_int(lt_atoi(LT_TEST_S("99999999999999999999")), LT_ERROR, "atoi overflow");
    is_int(lt_atoi(LT_TEST_S("")), LT_ERROR, "atoi empty");
    is_int(lt_atoi(LT_TEST_S("12a")), LT_ERROR, "atoi junk");
    is_int(lt_atoi(LT_TEST_S("-1")), LT_ERROR, "atoi sign");
    is_int(lt_atoi(LT_TEST_S(" 1")), LT_ERROR, "atoi space");

    is_int(lt_hextoi(LT_TEST_S("ff")), 255, "hextoi ff");
    is_int(lt_hextoi(LT_TEST_S("FF")), 255, "hextoi FF");
    is_int(lt_hextoi(LT_TEST_S("0aF9")), 0xaf9, "hextoi mixed");
    is_int(lt_hextoi(LT_TEST_S("7fffffffffffffff")), INT64_MAX, "hextoi INT64_MAX");
    is_int(lt_hextoi(LT_TEST_S("8000000000000000")), LT_ERROR, "hextoi overflow");
    is_int(lt_hextoi(LT_TEST_S("")), LT_ERROR, "hextoi empty");
    is_int(lt_hextoi(LT_TEST_S("0x10")), LT_ERROR, "hextoi 0x prefix");
    is_int(lt_hextoi(LT_TEST_S("fg")), LT_ERROR, "hextoi junk");

    is_int(lt_atofp(LT_TEST_S("10.5"), 2), 1050, "atofp 10.5 point 2");
    is_int(lt_atofp(LT_TEST_S("1.55"), 2), 155, "atofp 1.55 point 2");
    is_int(lt_atofp(LT_TEST_S("1"), 3), 1000, "atofp 1 point 3");
    is_int(lt_atofp(LT_TEST_S(".5"), 1), 5, "atofp .5 point 1");
    is_int(lt_atofp(LT_TEST_S("0.001"), 3), 1, "atofp 0.001 point 3");
    is_int(lt_atofp(LT_TEST_S("1.555"), 2), LT_ERROR, "atofp too many decimals");
    is_int(lt_atofp(LT_TEST_S("1..5"), 2), LT_ERROR, "atofp two dots");
    is_int(lt_atofp(LT_TEST_S(""), 2), LT_ERROR, "atofp empty");
    is_int(lt_atofp(LT_TEST_S("1x"), 2), LT_ERROR, "atofp junk");
    is_int(lt_atofp(LT_TEST_S("922337203685477580.7"), 1), INT64_MAX, "atofp INT64_MAX");
    is_int(lt_atofp(LT_TEST_S("922337203685477580.8"), 1), LT_ERROR, "atofp overflow");
    is_int(lt_atofp(LT_TEST_S("922337203685477581"), 1), LT_ERROR,
           "atofp overflow while scaling");

    /* lt_string.h: "LT_ERROR past `point` decimals": none is not past zero */
    is_int(lt_atofp(LT_TEST_S("5"), 0), 5, "atofp 5 point 0");
    is_int(lt_atofp(LT_TEST_S("5.5"), 0), LT_ERROR, "atofp 5.5 point 0");
}


static void
lt_test_parse_size(void)
{
    is_int(lt_parse_size(lt_test_str("512")), 512, "size 512");
    is_int(lt_parse_size(lt_test_str("0")), 0, "size 0");
    is_int(lt_parse_size(lt_test_str("16k")), 16384, "size 16k");
    is_int(lt_parse_size(lt_test_str("16K")), 16384, "size 16K");
    is_int(lt_parse_size(lt_test_str("1m")), 1048576, "size 1m");
    is_int(lt_parse_size(lt_test_str("2M")), 2097152, "size 2M");
    is_int(lt_parse_size(lt_test_str("1g")), LT_ERROR, "size 1g is not a size");
    is_int(lt_parse_size(lt_test_str("")), LT_ERROR, "size empty");
    is_int(lt_parse_size(lt_test_str("k")), LT_ERROR, "size k alone");
    is_int(lt_parse_size(lt_test_str("1kk")), LT_ERROR, "size 1kk");
    is_int(lt_parse_size(lt_test_str("1 k")), LT_ERROR, "size 1 k");
    is_int(lt_parse_size(lt_test_str("-1")), LT_ERROR, "size -1");
    is_int(lt_parse_size(lt_test_str("9007199254740991k")), INT64_MAX - 1023,
           "size largest k");
    is_int(lt_parse_size(lt_test_str("9007199254740992k")), LT_ERROR, "size k overflow");
    is_int(lt_parse_size(lt_test_str("8796093022208m")), LT_ERROR, "size m overflow");
    is_int(lt_parse_size(lt_test_str("99999999999999999999")), LT_ERROR, "size overflow");

    is_int(lt_parse_offset(lt_test_str("1g")), 1073741824, "offset 1g");
    is_int(lt_parse_offset(lt_test_str("3G")), 3221225472LL, "offset 3G");
    is_int(lt_parse_offset(lt_test_str("10m")), 10485760, "offset 10m");
    is_int(lt_parse_offset(lt_test_str("8589934591g")), INT64_MAX - 1073741823,
           "offset largest g");
    is_int(lt_parse_offset(lt_test_str("8589934592g")), LT_ERROR, "offset g overflow");
    is_int(lt_parse_offset(lt_test_str("1t")), LT_ERROR, "offset 1t");
    is_int(lt_parse_offset(lt_test_str("")), LT_ERROR, "offset empty");
}


static void
lt_test_parse_time(void)
{
    /* seconds */
    is_int(lt_parse_time(lt_test_str("30s"), 1), 30, "time 30s");
    is_int(lt_parse_time(lt_test_str("30"), 1), 30, "time 30 (seconds)");
    is_int(lt_parse_time(lt_test_str("0"), 1), 0, "time 0");
    is_int(lt_parse_time(lt_test_str("1h 30m"), 1), 5400, "time 1h 30m");
    is_int(lt_parse_time(lt_test_str("1h30m"), 1), 5400, "time 1h30m");
    is_int(lt_parse_time(lt_test_str("1d"), 1), 86400, "time 1d");
    is_int(lt_parse_time(lt_test_str("2w"), 1), 1209600, "time 2w");
    is_int(lt_parse_time(lt_test_str("1M"), 1), 2592000, "time 1M (30 days)");
    is_int(lt_parse_time(lt_test_str("1y"), 1), 31536000, "time 1y (365 days)");
    is_int(lt_parse_time(lt_test_str("1y 1M 1w 1d 1h 1m 1s"), 1),
           31536000 + 2592000 + 604800 + 86400 + 3600 + 60 + 1, "time every unit");
    is_int(lt_parse_time(lt_test_str("500ms"), 1), LT_ERROR, "time ms in seconds mode");
    is_int(lt_parse_time(lt_test_str("30s 1h"), 1), LT_ERROR, "time units out of order");
    is_int(lt_parse_time(lt_test_str("1m 1m"), 1), LT_ERROR, "time unit twice");
    is_int(lt_parse_time(lt_test_str("1s 5"), 1), LT_ERROR, "time seconds twice");
    is_int(lt_parse_time(lt_test_str(""), 1), LT_ERROR, "time empty");
    is_int(lt_parse_time(lt_test_str("5x"), 1), LT_ERROR, "time 5x");
    is_int(lt_parse_time(lt_test_str("s"), 1), LT_ERROR, "time s alone");
    is_int(lt_parse_time(lt_test_str("1h m"), 1), LT_ERROR, "time unit without a number");
    is_int(lt_parse_time(lt_test_str("-5s"), 1), LT_ERROR, "time negative");
    is_int(lt_parse_time(lt_test_str("9223372036854775807s"), 1), INT64_MAX,
           "time INT64_MAX seconds");
    is_int(lt_parse_time(lt_test_str("9223372036854775807m"), 1), LT_ERROR,
           "time overflow in a unit");
    is_int(lt_parse_time(lt_test_str("1m 9223372036854775807s"), 1), LT_ERROR,
           "time overflow in the sum");
    is_int(lt_parse_time(lt_test_str("99999999999999999999s"), 1), LT_ERROR,
           "time overflow in the number");

    /* milliseconds: a bare number still means seconds, as in nginx */
    is_int(lt_parse_time(lt_test_str("500ms"), 0), 500, "msec 500ms");
    is_int(lt_parse_time(lt_test_str("30"), 0), 30000, "msec 30 (seconds)");
    is_int(lt_parse_time(lt_test_str("30s"), 0), 30000, "msec 30s");
    is_int(lt_parse_time(lt_test_str("1m30s"), 0), 90000, "msec 1m30s");
    is_int(lt_parse_time(lt_test_str("1s 500ms"), 0), 1500, "msec 1s 500ms");
    is_int(lt_parse_time(lt_test_str("1h"), 0), 3600000, "msec 1h");
    is_int(lt_parse_time(lt_test_str("ms"), 0), LT_ERROR, "msec ms alone");
    is_int(lt_parse_time(lt_test_str("500ms 1s"), 0), LT_ERROR, "msec out of order");
    is_int(lt_parse_time(lt_test_str(""), 0), LT_ERROR, "msec empty");
    is_int(lt_parse_time(lt_test_str("9223372036854775807ms"), 0), INT64_MAX,
           "msec INT64_MAX ms");
    is_int(lt_parse_time(lt_test_str("9223372036854775807s"), 0), LT_ERROR,
           "msec overflow in a unit");
}


/* lt_test_b64: src encodes to expected, and decodes back */
static int
lt_test_b64(const char *src, const char *expected, int url)
{
    u_char    enc[128], dec[128];
    lt_str_t  s, e, d;
    int       rc;

    s.data = (u_char *) src;
    s.len = strlen(src);
    e.data = enc;
    d.data = dec;

    if (url) {
        lt_encode_base64url(&e, &s);
        rc = lt_decode_base64url(&d, &e);

    } else {
        lt_encode_base64(&e, &s);
        rc = lt_decode_base64(&d, &e);
    }

    return e.len == strlen(expected) && memcmp(enc, expected, e.len) == 0
           && rc == LT_OK && d.len == s.len && memcmp(dec, src, s.len) == 0;
}


/* lt_test_b64_decode: decoding src gives rc (and expected, on success) */
static int
lt_test_b64_decode(const char *src, int url, int rc, const char *expected)
{
    u_char    buf[64];
    lt_str_t  s, d;

    s.data = lt_test_dup(src, strlen(src));
    s.len = strlen(src);
    d.data = buf;

    if ((url ? lt_decode_base64url(&d, &s) : lt_decode_base64(&d, &s)) != rc) {
        free(s.data);
        return 0;
    }

    free(s.data);

    return rc != LT_OK || (d.len == strlen(expected) && memcmp(buf, expected, d.len) == 0);
}


static void
lt_test_base64(void)
{
    size_t    len, i, bad;
    u_char    raw[64], enc[96], dec[64];
    lt_str_t  s, e, d;

    /* RFC 4648 section 10 */
    ok(lt_test_b64("", "", 0), "base64 of nothing");
    ok(lt_test_b64("f", "Zg==", 0), "base64 f");
    ok(lt_test_b64("fo", "Zm8=", 0), "base64 fo");
    ok(lt_test_b64("foo", "Zm9v", 0), "base64 foo");
    ok(lt_test_b64("foob", "Zm9vYg==", 0), "base64 foob");
    ok(lt_test_b64("fooba", "Zm9vYmE=", 0), "base64 fooba");
    ok(lt_test_b64("foobar", "Zm9vYmFy", 0), "base64 foobar");
    ok(lt_test_b64("f", "Zg", 1), "base64url f, unpadded");
    ok(lt_test_b64("fo", "Zm8", 1), "base64url fo, unpadded");
    ok(lt_test_b64("\xfb\xff", "-_8", 1), "base64url uses - and _");
    ok(lt_test_b64("\xfb\xff", "+/8=", 0), "base64 uses + and /");

    ok(lt_test_b64_decode("Zm9v", 0, LT_OK, "foo"), "decode Zm9v");
    ok(lt_test_b64_decode("Zg", 0, LT_OK, "f"), "decode without padding");
    ok(lt_test_b64_decode("Zm9v!", 0, LT_ERROR, NULL), "decode junk");
    ok(lt_test_b64_decode("Z", 0, LT_ERROR, NULL), "decode one character");
    ok(lt_test_b64_decode("Zm9vY", 0, LT_ERROR, NULL), "decode 4n + 1 characters");
    ok(lt_test_b64_decode("-_8", 0, LT_ERROR, NULL), "decode rejects the url alphabet");
    ok(lt_test_b64_decode("+/8=", 1, LT_ERROR, NULL), "decodeurl rejects + and /");
    ok(lt_test_b64_decode("-_8", 1, LT_OK, "\xfb\xff"), "decodeurl -_8");
    ok(lt_test_b64_decode("Zm 9v", 0, LT_ERROR, NULL), "decode rejects a space");

    /* round trips of every length up to 64, both alphabets */

    for (i = 0; i < sizeof(raw); i++) {
        raw[i] = (u_char) (i * 37 + 11);
    }

    for (len = 0, bad = 0; len <= sizeof(raw); len++) {
        s.data = raw;
        s.len = len;
        e.data = enc;
        d.data = dec;

        lt_encode_base64(&e, &s);
        bad += (e.len != lt_base64_encoded_length(len));
        bad += (lt_decode_base64(&d, &e) != LT_OK || d.len != len || memcmp(dec, raw, len));

        lt_encode_base64url(&e, &s);
        bad += (e.len > lt_base64_encoded_length(len));
        bad += (lt_decode_base64url(&d, &e) != LT_OK || d.len != len
                || memcmp(dec, raw, len));
    }

    is_int(bad, 0, "round trips of 0 to 64 bytes");
}


static void
lt_test_search(void)
{
    u_char  *h;

    h = lt_test_dup("X-HoSt: a", 9);
    ok(lt_strlcasestrn(h, h + 9, (u_char *) "host", 4) == h + 2, "strlcasestrn finds");
    ok(lt_strlcasestrn(h, h + 9, (u_char *) "hosts", 5) == NULL, "strlcasestrn misses");
    ok(lt_strlcasestrn(h, h + 9, (u_char *) "", 0) == h, "strlcasestrn of nothing");
    ok(lt_strlcasestrn(h, h + 9, (u_char *) "x-host: a", 9) == h, "strlcasestrn all");
    ok(lt_strlcasestrn(h, h + 9, (u_char *) "x-host: ab", 10) == NULL,
       "strlcasestrn longer than the string");
    ok(lt_strlcasestrn(h, h + 9, (u_char *) ": A", 3) == h + 6, "strlcasestrn at the end");
    ok(lt_strlcasestrn(h + 3, h + 9, (u_char *) "host", 4) == NULL,
       "strlcasestrn from the middle");
    free(h);

    h = lt_test_dup("hello world", 11);
    ok(lt_strnstr(h, "world", 11) == h + 6, "strnstr finds");
    ok(lt_strnstr(h, "world", 10) == NULL, "strnstr stays within n");
    ok(lt_strnstr(h, "hello", 5) == h, "strnstr the whole of n");
    ok(lt_strnstr(h, "", 11) == h, "strnstr of nothing");
    ok(lt_strnstr(h, "worlds", 11) == NULL, "strnstr misses a longer one");
    ok(lt_strnstr(h, "o", 11) == h + 4, "strnstr the first of several");
    ok(lt_strnstr(h, "ow", 11) == NULL, "strnstr misses");
    free(h);

    h = lt_test_dup("aaab", 4);
    ok(lt_strnstr(h, "aab", 4) == h + 1, "strnstr after a partial match");
    ok(lt_strlchr(h, h + 4, 'b') == h + 3, "strlchr finds");
    ok(lt_strlchr(h, h + 3, 'b') == NULL, "strlchr stays before last");
    ok(lt_strlchr(h + 4, h + 4, 'b') == NULL, "strlchr of nothing");
    free(h);

    ok(lt_strcasecmp((u_char *) "Keep-Alive", (u_char *) "keep-alivE") == 0, "strcasecmp");
    ok(lt_strcasecmp((u_char *) "a", (u_char *) "B") < 0, "strcasecmp orders");
    ok(lt_strncasecmp((u_char *) "GZIP, br", (u_char *) "gzip", 4) == 0, "strncasecmp");
}


static void
lt_test_copy_print(void)
{
    u_char     buf[32], *p;
    lt_str_t   s;
    lt_pool_t  *pool;

    memset(buf, 'x', sizeof(buf));
    p = lt_cpystrn(buf, (u_char *) "hello", 0);
    ok(p == buf && buf[0] == 'x', "cpystrn n 0 writes nothing");
    p = lt_cpystrn(buf, (u_char *) "hello", 1);
    ok(p == buf && buf[0] == '\0', "cpystrn n 1 terminates");
    p = lt_cpystrn(buf, (u_char *) "hello", 4);
    ok(p == buf + 3 && strcmp((char *) buf, "hel") == 0, "cpystrn truncates to n - 1");
    p = lt_cpystrn(buf, (u_char *) "hi", 10);
    ok(p == buf + 2 && strcmp((char *) buf, "hi") == 0, "cpystrn stops at the NUL");
    p = lt_cpystrn(buf, (u_char *) "hello", 6);
    ok(p == buf + 5 && strcmp((char *) buf, "hello") == 0, "cpystrn exact fit");

    p = lt_sprint_uint(buf, 0);
    is_str(buf, p - buf, "0", "sprint_uint 0");
    p = lt_sprint_uint(buf, 1234567890);
    is_str(buf, p - buf, "1234567890", "sprint_uint 1234567890");
    p = lt_sprint_uint(buf, UINT64_MAX);
    is_str(buf, p - buf, "18446744073709551615", "sprint_uint UINT64_MAX");

    p = lt_sprint_hex(buf, 0);
    is_str(buf, p - buf, "0", "sprint_hex 0");
    p = lt_sprint_hex(buf, 0x6b04527f);
    is_str(buf, p - buf, "6b04527f", "sprint_hex 0x6b04527f");
    p = lt_sprint_hex(buf, UINT64_MAX);
    is_str(buf, p - buf, "ffffffffffffffff", "sprint_hex UINT64_MAX");

    p = lt_hex_dump(buf, (u_char *) "\x00\xab\xff\x10", 4);
    is_str(buf, p - buf, "00abff10", "hex_dump");
    ok(lt_hex_dump(buf, buf, 0) == buf, "hex_dump of nothing");

    p = lt_slprintf(buf, buf + 16, "%s=%d", "a", 42);
    is_str(buf, p - buf, "a=42", "slprintf");
    p = lt_slprintf(buf, buf + 5, "%s", "hello world");
    ok(p == buf + 4 && memcmp(buf, "hell", 5) == 0, "slprintf truncates, ends at the NUL");
    p = lt_slprintf(buf, buf + 5, "%s", "abcd");
    ok(p == buf + 4 && memcmp(buf, "abcd", 5) == 0, "slprintf exact fit");
    p = lt_slprintf(buf, buf + 1, "%s", "abcd");
    ok(p == buf && buf[0] == '\0', "slprintf into one byte");
    p = lt_slprintf(buf, buf, "%s", "abcd");
    ok(p == buf, "slprintf into nothing");

    lt_strlow(buf, (u_char *) "MiXeD-1", 7);
    is_str(buf, 7, "mixed-1", "strlow");

    pool = lt_create_pool(1024, NULL);
    s.len = 5;
    s.data = (u_char *) "abcdef";
    p = lt_pstrdup(pool, &s);
    ok(p != NULL && strcmp((char *) p, "abcde") == 0, "pstrdup copies len and terminates");
    lt_destroy_pool(pool);
}


static void
lt_test_utf8(void)
{
    u_char  *p, *s;

    s = lt_test_dup("\xc3\xa9", 2);
    p = s;
    ok(lt_utf8_decode(&p, 2) == 0xe9 && p == s + 2, "utf8 two bytes");
    free(s);

    s = lt_test_dup("\xe2\x82\xac", 3);
    p = s;
    ok(lt_utf8_decode(&p, 3) == 0x20ac && p == s + 3, "utf8 three bytes");
    free(s);

    s = lt_test_dup("\xf0\x9f\x98\x80", 4);
    p = s;
    ok(lt_utf8_decode(&p, 4) == 0x1f600 && p == s + 4, "utf8 four bytes");
    free(s);

    s = lt_test_dup("\xc0\x80", 2);
    p = s;
    ok(lt_utf8_decode(&p, 2) == 0xffffffff, "utf8 overlong");
    free(s);

    s = lt_test_dup("\xe0\x80\x80", 3);
    p = s;
    ok(lt_utf8_decode(&p, 3) == 0xffffffff, "utf8 overlong three bytes");
    free(s);

    s = lt_test_dup("\xe2\x82", 2);
    p = s;
    ok(lt_utf8_decode(&p, 2) >= 0xfffffffe, "utf8 incomplete");
    free(s);
}


int
main(void)
{
    lt_test_atoi();
    lt_test_parse_size();
    lt_test_parse_time();
    lt_test_base64();
    lt_test_search();
    lt_test_copy_print();
    lt_test_utf8();

    return done_testing();
}
