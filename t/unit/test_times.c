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

    return done_testing();
}
