/*
 * test_resolver.c: the DNS resolver's packet code: name checks, the query it
 * builds, names with compression (and malformed ones: loops, out of bounds,
 * too long), answer records, error texts.
 */

#include "lt_resolver.c"
#include "tap.h"


static void
lt_test_check_name(void)
{
    u_char  long_label[64], long_name[254];

    memset(long_label, 'a', sizeof(long_label));
    memset(long_name, 'a', sizeof(long_name));

    for (size_t i = 60; i < sizeof(long_name); i += 61) {
        long_name[i] = '.';
    }

    ok(lt_resolver_check_name((u_char *) "a.example", 9) == LT_OK, "a.example");
    ok(lt_resolver_check_name((u_char *) "a..b", 4) != LT_OK, "empty label");
    ok(lt_resolver_check_name((u_char *) ".a", 2) != LT_OK, "leading dot");
    ok(lt_resolver_check_name((u_char *) "", 0) != LT_OK, "empty name");
    ok(lt_resolver_check_name(long_label, 63) == LT_OK, "63-byte label");
    ok(lt_resolver_check_name(long_label, 64) != LT_OK, "64-byte label");
    ok(lt_resolver_check_name(long_name, 253) == LT_OK, "253-byte name");
    ok(lt_resolver_check_name(long_name, 254) != LT_OK, "254-byte name");
}


static void
lt_test_build(void)
{
    size_t              len;
    lt_resolver_node_t  rn;
    u_char              packet[LT_RESOLVER_QUERY_SIZE];

    static const u_char  expected[] =
        "\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00"
        "\x01" "a" "\x07" "example" "\x00" "\x00\x1c" "\x00\x01";

    memset(&rn, 0, sizeof(rn));
    memcpy(rn.qname, "a.example", 9);
    rn.qname_len = 9;

    len = lt_resolver_build(&rn, LT_RESOLVE_AAAA, 0x1234, packet);
    ok(len == sizeof(expected) - 1 && memcmp(packet, expected, len) == 0,
       "AAAA query for a.example");
}


static void
lt_test_decode(void)
{
    size_t  pos, len;
    u_char  out[256], buf[600];

    /* "x.example" at 12, then "www" + pointer to 12 */
    static const u_char  pkt[] =
        "\0\0\0\0\0\0\0\0\0\0\0\0"
        "\x01" "X" "\x07" "Example" "\x00"
        "\x03" "www" "\xc0\x0c";

    pos = 12;
    ok(lt_resolver_decode_name((u_char *) pkt, sizeof(pkt) - 1, &pos, out, &len) == LT_OK
       && len == 9 && memcmp(out, "x.example", 9) == 0 && pos == 23,
       "a plain name, lowercased");

    pos = 23;
    ok(lt_resolver_decode_name((u_char *) pkt, sizeof(pkt) - 1, &pos, out, &len) == LT_OK
       && len == 13 && memcmp(out, "www.x.example", 13) == 0 && pos == 29,
       "a compressed name: pos after the pointer");

    /* a pointer to itself */
    memcpy(buf, "\0\0\0\0\0\0\0\0\0\0\0\0\xc0\x0c", 14);
    pos = 12;
    ok(lt_resolver_decode_name(buf, 14, &pos, out, &len) == LT_ERROR, "a pointer loop");

    /* a label past the end */
    memcpy(buf, "\0\0\0\0\0\0\0\0\0\0\0\0\x05" "ab", 15);
    pos = 12;
    ok(lt_resolver_decode_name(buf, 15, &pos, out, &len) == LT_ERROR, "a label cut short");

    /* a pointer past the end */
    memcpy(buf, "\0\0\0\0\0\0\0\0\0\0\0\0\xc1\xff", 14);
    pos = 12;
    ok(lt_resolver_decode_name(buf, 14, &pos, out, &len) == LT_ERROR, "a pointer out of bounds");

    /* five labels of 63: 319 bytes, too long */
    pos = 12;
    for (int i = 0; i < 5; i++) {
        buf[pos++] = 63;
        memset(buf + pos, 'a', 63);
        pos += 63;
    }
    buf[pos++] = 0;
    len = pos;
    pos = 12;
    ok(lt_resolver_decode_name(buf, len, &pos, out, &len) == LT_ERROR, "a name over 255 bytes");

    /* the reserved label types 01 and 10 */
    memcpy(buf, "\0\0\0\0\0\0\0\0\0\0\0\0\x41\x00", 14);
    pos = 12;
    ok(lt_resolver_decode_name(buf, 14, &pos, out, &len) == LT_ERROR, "a reserved label type");
}


static void
lt_test_records(void)
{
    size_t             nrr;
    const char        *err;
    lt_resolver_rr_t  *rrs;

    /* question a.example A IN, then an A record (TTL 60) and a CH record */
    static const u_char  pkt[] =
        "\0\0\x81\x80\0\x01\0\x02\0\0\0\0"
        "\x01" "a" "\x07" "example" "\x00" "\x00\x01\x00\x01"
        "\xc0\x0c" "\x00\x01\x00\x01" "\x00\x00\x00\x3c" "\x00\x04" "\x7f\x00\x00\x01"
        "\xc0\x0c" "\x00\x01\x00\x03" "\x00\x00\x00\x3c" "\x00\x04" "\x7f\x00\x00\x02";

    rrs = calloc(LT_RESOLVER_MAX_RECORDS, sizeof(lt_resolver_rr_t));

    err = lt_resolver_records((u_char *) pkt, sizeof(pkt) - 1, 27, 2, rrs, &nrr);
    ok(err == NULL && nrr == 1 && rrs[0].type == 1 && rrs[0].ttl == 60 && rrs[0].rdlen == 4
       && rrs[0].owner_len == 9 && memcmp(rrs[0].owner, "a.example", 9) == 0,
       "an IN A record kept, a CH record skipped");

    err = lt_resolver_records((u_char *) pkt, sizeof(pkt) - 2, 27, 2, rrs, &nrr);
    ok(err != NULL && strcmp(err, "short DNS response") == 0, "rdata cut short");

    err = lt_resolver_records((u_char *) pkt, sizeof(pkt) - 1, 27, 3, rrs, &nrr);
    ok(err != NULL, "more records announced than present");

    free(rrs);
}


static void
lt_test_strerror(void)
{
    ok(strcmp(lt_resolver_strerror(3), "Host not found") == 0, "3: Host not found");
    ok(strcmp(lt_resolver_strerror(110), "Operation timed out") == 0, "110");
    ok(strcmp(lt_resolver_strerror(2), "Server failure") == 0, "2: Server failure");
    ok(strcmp(lt_resolver_strerror(77), "Unknown error") == 0, "unknown");
}


int
main(void)
{
    lt_test_check_name();
    lt_test_build();
    lt_test_decode();
    lt_test_records();
    lt_test_strerror();

    return done_testing();
}
