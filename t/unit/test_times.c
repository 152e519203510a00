/*
 * test_times.c: lt_gmtime against the C library's gmtime_r, over four
 * centuries before and after 1970 (leap years, 1900 and 2100 that are not, 2000
 * that is, negative times), and the HTTP date format.
 */

#include "lt_core.h"
#include "tap.h"


static int
lt_test_same(time_t t)
{
    struct tm  a, b;

    lt_gmtime(t, &a);
    gmtime_r(&t, &b);

    return a.tm_sec == b.tm_sec && a.tm_min == b.tm_min && a.tm_hour == b.tm_hour
           && a.tm_mday == b.tm_mday && a.tm_mon == b.tm_mon && a.tm_year == b.tm_year
           && a.tm_wday == b.tm_wday && a.tm_yday == b.tm_yday;
}


int
main(void)
{
    int64_t   t, bad, n;
    u_char    buf[64], *p;
    time_t    samples[] = {
        0, -1, 1, 86399, 86400, -86400, -86401, 951782400 /* 2000-02-29 */,
        951868800 /* 2000-03-01 */, 4107456000LL /* 2100-02-28 */,
        4107542400LL /* 2100-03-01 */, -2203977600LL /* 1900-02-28 */,
        -2203891200LL /* 1900-03-01 */, 2147483647, 2147483648LL, 253402300799LL
    };

    bad = 0;
    n = 0;

    for (size_t i = 0; i < sizeof(samples) / sizeof(samples[0]); i++, n++) {
        if (!lt_test_same(samples[i])) {
            diag("differs at %lld", (long long) samples[i]);
            bad++;
        }
    }

    ok(bad == 0, "the boundary dates (%lld)", (long long) n);

    /* every day (at a moving time of day) from 1570 to 2370 */
    bad = 0;
    n = 0;

    for (t = -12622780800LL; t < 12622780800LL; t += 86400 + 37, n++) {
        if (!lt_test_same((time_t) t) && bad++ < 5) {
            diag("differs at %lld", (long long) t);
        }
    }

    ok(bad == 0, "the same as gmtime_r for %lld times over eight centuries", (long long) n);

    p = lt_http_time(buf, 784111777);
    is_str(buf, p - buf, "Sun, 06 Nov 1994 08:49:37 GMT", "lt_http_time: RFC 9110's example");

    p = lt_http_time(buf, 0);
    is_str(buf, p - buf, "Thu, 01 Jan 1970 00:00:00 GMT", "lt_http_time: the epoch");

    p = lt_http_time(buf, 951782400 + 86399);
    is_str(buf, p - buf, "Tue, 29 Feb 2000 23:59:59 GMT", "lt_http_time: a leap day");

    /* lt_parse_http_time: the three formats, against timegm, every day
     * (at a moving time of day) from 1970 to 2400 */
    bad = 0;
    n = 0;

    for (t = 0; t < 13569465600LL; t += 86400 + 53, n++) {
        struct tm   tm;
        time_t      tt = (time_t) t;
        size_t      len;
        const char *fmt[3] = { "%a, %d %b %Y %H:%M:%S GMT", "%A, %d-%b-%y %H:%M:%S GMT",
                               "%a %b %e %H:%M:%S %Y" };

        gmtime_r(&tt, &tm);

        for (int f = 0; f < 3; f++) {
            if (f == 1 && (tm.tm_year < 70 || tm.tm_year > 169)) {
                continue;   /* two-digit years: 1970-2069 */
            }

            len = strftime((char *) buf, sizeof(buf), fmt[f], &tm);

            if (lt_parse_http_time(buf, len) != tt && bad++ < 5) {
                diag("\"%.*s\" is not %lld", (int) len, buf, (long long) t);
            }
        }
    }

    ok(bad == 0, "lt_parse_http_time: as timegm for %lld dates in three formats", (long long) n);

    ok(lt_parse_http_time((u_char *) "Sun, 06 Nov 1994 08:49:37 GMT", 29) == 784111777,
       "lt_parse_http_time: RFC 9110's example");
    ok(lt_parse_http_time((u_char *) "Thu, 29 Feb 2024 00:00:00 GMT", 29) == 1709164800,
       "lt_parse_http_time: a leap day");
    ok(lt_parse_http_time((u_char *) "Wed, 29 Feb 2023 00:00:00 GMT", 29) == -1,
       "lt_parse_http_time: 29 February of a common year is refused");
    ok(lt_parse_http_time((u_char *) "Mon, 31 Apr 2023 00:00:00 GMT", 29) == -1,
       "lt_parse_http_time: 31 April is refused");
    ok(lt_parse_http_time((u_char *) "Mon, 00 Apr 2023 00:00:00 GMT", 29) == -1,
       "lt_parse_http_time: day 0 is refused");
    ok(lt_parse_http_time((u_char *) "Tue, 29 Feb 2000 23:59:60 GMT", 29) == 951868799,
       "lt_parse_http_time: a leap second counts as :59");

    return done_testing();
}
