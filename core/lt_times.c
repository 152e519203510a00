/*
 * lt_times.c: the time cache (see lt_times.h) and HTTP date formatting/parsing.
 *
 * The strings are rebuilt only when the second changes. They are updated by the
 * event loop only, never from a signal handler, so one copy of each suffices.
 */

#include "lt_core.h"

static lt_time_t  lt_time_now;

volatile lt_time_t  *lt_cached_time = &lt_time_now;
volatile uint64_t    lt_current_msec;

volatile lt_str_t  lt_cached_err_log_time;
volatile lt_str_t  lt_cached_http_time;
volatile lt_str_t  lt_cached_http_log_time;
volatile lt_str_t  lt_cached_http_log_iso8601;
volatile lt_str_t  lt_cached_syslog_time;

static u_char  lt_err_log_time_buf[sizeof("1970/09/28 12:00:00")];
static u_char  lt_http_time_buf[sizeof("Mon, 28 Sep 1970 06:00:00 GMT")];
static u_char  lt_http_log_time_buf[sizeof("28/Sep/1970:12:00:00 +0600")];
static u_char  lt_http_log_iso8601_buf[sizeof("1970-09-28T12:00:00+06:00")];
static u_char  lt_syslog_time_buf[sizeof("Sep 28 12:00:00")];

static const char  *lt_week[] = { "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat" };
static const char  *lt_months[] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                    "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };

static time_t  lt_time_last_sec = -1;


/* two decimal digits, for the hot HTTP date path without printf */
static u_char *
lt_times_2d(u_char *p, int n)
{
    *p++ = (u_char) ('0' + n / 10);
    *p++ = (u_char) ('0' + n % 10);
    return p;
}


/* lt_times_4d: four decimal digits */
static u_char *
lt_times_4d(u_char *p, int n)
{
    p = lt_times_2d(p, (n / 100) % 100);
    return lt_times_2d(p, n % 100);
}


/* lt_times_format: the cached local-time strings for tm, off minutes east */
static void
lt_times_format(struct tm *tm, int off)
{
    u_char  *p, sign;
    int      aoff;

    sign = off < 0 ? '-' : '+';
    aoff = lt_abs(off);

    /* 2026/11/23 14:20:00 */
    p = lt_times_4d(lt_err_log_time_buf, tm->tm_year + 1900);
    *p++ = '/';
    p = lt_times_2d(p, tm->tm_mon + 1);
    *p++ = '/';
    p = lt_times_2d(p, tm->tm_mday);
    *p++ = ' ';
    p = lt_times_2d(p, tm->tm_hour);
    *p++ = ':';
    p = lt_times_2d(p, tm->tm_min);
    *p++ = ':';
    p = lt_times_2d(p, tm->tm_sec);
    *p = '\0';

    /* 23/Nov/2026:14:20:00 +0000 */
    p = lt_times_2d(lt_http_log_time_buf, tm->tm_mday);
    *p++ = '/';
    p = lt_cpymem(p, lt_months[tm->tm_mon], 3);
    *p++ = '/';
    p = lt_times_4d(p, tm->tm_year + 1900);
    *p++ = ':';
    p = lt_times_2d(p, tm->tm_hour);
    *p++ = ':';
    p = lt_times_2d(p, tm->tm_min);
    *p++ = ':';
    p = lt_times_2d(p, tm->tm_sec);
    *p++ = ' ';
    *p++ = sign;
    p = lt_times_2d(p, aoff / 60);
    p = lt_times_2d(p, aoff % 60);
    *p = '\0';

    /* 2026-11-23T14:20:00+00:00 */
    p = lt_times_4d(lt_http_log_iso8601_buf, tm->tm_year + 1900);
    *p++ = '-';
    p = lt_times_2d(p, tm->tm_mon + 1);
    *p++ = '-';
    p = lt_times_2d(p, tm->tm_mday);
    *p++ = 'T';
    p = lt_times_2d(p, tm->tm_hour);
    *p++ = ':';
    p = lt_times_2d(p, tm->tm_min);
    *p++ = ':';
    p = lt_times_2d(p, tm->tm_sec);
    *p++ = sign;
    p = lt_times_2d(p, aoff / 60);
    *p++ = ':';
    p = lt_times_2d(p, aoff % 60);
    *p = '\0';

    /* Nov 23 14:20:00 (day padded with a space) */
    p = lt_cpymem(lt_syslog_time_buf, lt_months[tm->tm_mon], 3);
    *p++ = ' ';
    if (tm->tm_mday < 10) {
        *p++ = ' ';
        *p++ = (u_char) ('0' + tm->tm_mday);
    } else {
        p = lt_times_2d(p, tm->tm_mday);
    }
    *p++ = ' ';
    p = lt_times_2d(p, tm->tm_hour);
    *p++ = ':';
    p = lt_times_2d(p, tm->tm_min);
    *p++ = ':';
    p = lt_times_2d(p, tm->tm_sec);
    *p = '\0';
}


void
lt_time_init(void)
{
    lt_cached_err_log_time.len = sizeof("1970/09/28 12:00:00") - 1;
    lt_cached_http_time.len = sizeof("Mon, 28 Sep 1970 06:00:00 GMT") - 1;
    lt_cached_http_log_time.len = sizeof("28/Sep/1970:12:00:00 +0600") - 1;
    lt_cached_http_log_iso8601.len = sizeof("1970-09-28T12:00:00+06:00") - 1;
    lt_cached_syslog_time.len = sizeof("Sep 28 12:00:00") - 1;

    lt_cached_err_log_time.data = lt_err_log_time_buf;
    lt_cached_http_time.data = lt_http_time_buf;
    lt_cached_http_log_time.data = lt_http_log_time_buf;
    lt_cached_http_log_iso8601.data = lt_http_log_iso8601_buf;
    lt_cached_syslog_time.data = lt_syslog_time_buf;

    lt_time_update();
}


void
lt_time_update(void)
{
    struct timespec  ts;
    struct timeval   tv;
    struct tm        tm;
    time_t           sec;
    int              off;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    lt_current_msec = (uint64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;

    gettimeofday(&tv, NULL);
    sec = tv.tv_sec;

    lt_time_now.sec = sec;
    lt_time_now.msec = (unsigned) (tv.tv_usec / 1000);

    if (sec == lt_time_last_sec) {
        return;
    }

    lt_time_last_sec = sec;

    (void) lt_http_time(lt_http_time_buf, sec);

    localtime_r(&sec, &tm);
    off = (int) (tm.tm_gmtoff / 60);
    lt_time_now.gmtoff = off;

    lt_times_format(&tm, off);
}


void
lt_gmtime(time_t t, struct tm *tp)
{
    int64_t  days, secs, z, era, doe, yoe, year, doy, mp, month, leap;

    /* gmtime_r() without its locking and time zone work: every Last-Modified and
     * Expires goes through here. The date from the day number, by eras of 400
     * years counted from 0000-03-01 (a year then ends with February, so the leap
     * day is its last) */

    days = (int64_t) t / 86400;
    secs = (int64_t) t % 86400;

    if (secs < 0) {
        secs += 86400;
        days--;
    }

    tp->tm_hour = (int) (secs / 3600);
    tp->tm_min = (int) (secs / 60 % 60);
    tp->tm_sec = (int) (secs % 60);
    tp->tm_wday = (int) ((days % 7 + 11) % 7);          /* 1970-01-01: Thursday */

    z = days + 719468;                                  /* days since 0000-03-01 */
    era = (z >= 0 ? z : z - 146096) / 146097;
    doe = z - era * 146097;                             /* [0, 146096] */
    yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;    /* [0, 399] */
    doy = doe - (365 * yoe + yoe / 4 - yoe / 100);      /* [0, 365], from March 1 */
    mp = (5 * doy + 2) / 153;                           /* [0, 11], March is 0 */
    month = mp < 10 ? mp + 3 : mp - 9;                  /* [1, 12] */
    year = yoe + era * 400 + (month <= 2);

    leap = (year % 4 == 0 && (year % 100 != 0 || year % 400 == 0));

    tp->tm_mday = (int) (doy - (153 * mp + 2) / 5 + 1);
    tp->tm_mon = (int) (month - 1);
    tp->tm_year = (int) (year - 1900);
    tp->tm_yday = (int) (month <= 2 ? doy - 306 : doy + 59 + leap);
    tp->tm_isdst = 0;
}


u_char *
lt_http_time(u_char *buf, time_t t)
{
    struct tm  tm;
    int        year;

    lt_gmtime(t, &tm);

    buf = lt_cpymem(buf, lt_week[tm.tm_wday], 3);
    *buf++ = ',';
    *buf++ = ' ';
    buf = lt_times_2d(buf, tm.tm_mday);
    *buf++ = ' ';
    buf = lt_cpymem(buf, lt_months[tm.tm_mon], 3);
    *buf++ = ' ';
    year = tm.tm_year + 1900;
    buf = lt_times_2d(buf, (year / 100) % 100);
    buf = lt_times_2d(buf, year % 100);
    *buf++ = ' ';
    buf = lt_times_2d(buf, tm.tm_hour);
    *buf++ = ':';
    buf = lt_times_2d(buf, tm.tm_min);
    *buf++ = ':';
    buf = lt_times_2d(buf, tm.tm_sec);

    return lt_cpymem(buf, " GMT", 4);
}


u_char *
lt_http_cookie_time(u_char *buf, time_t t)
{
    struct tm  tm;
    int        n;

    lt_gmtime(t, &tm);

    /* Netscape's cookie spec wants a 2-digit year before 2038; browsers accept 4 */
    n = snprintf((char *) buf, sizeof("Thu, 01-Jan-1970 00:00:00 GMT"),
                 "%s, %02d-%s-%04d %02d:%02d:%02d GMT",
                 lt_week[tm.tm_wday], tm.tm_mday, lt_months[tm.tm_mon],
                 tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);

    return buf + (n > 0 ? n : 0);
}


static int
lt_times_month(const u_char *p)
{
    int  i;

    for (i = 0; i < 12; i++) {
        if (p[0] == (u_char) lt_months[i][0] && p[1] == (u_char) lt_months[i][1]
            && p[2] == (u_char) lt_months[i][2])
        {
            return i;
        }
    }

    return -1;
}


static int
lt_times_digits(const u_char **pp, const u_char *end, int n)
{
    const u_char  *p = *pp;
    int            v = 0;

    if (end - p < n) {
        return -1;
    }

    while (n--) {
        if (*p < '0' || *p > '9') {
            return -1;
        }
        v = v * 10 + (*p++ - '0');
    }

    *pp = p;
    return v;
}


time_t
lt_parse_http_time(const u_char *value, size_t len)
{
    const u_char   *p, *end;
    int             day, month, year, hour, min, sec, leap;
    int64_t         y, era, yoe, doy, doe, days;
    time_t          t;
    static const int  mdays[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

    p = value;
    end = value + len;

    /* skip the weekday: "Sun, ", "Sunday, " or "Sun " (asctime) */
    while (p < end && *p != ',' && *p != ' ') {
        p++;
    }

    if (p == end) {
        return -1;
    }

    if (*p == ',') {
        p++;
        if (p == end || *p != ' ') {
            return -1;
        }
        p++;

        day = lt_times_digits(&p, end, 2);
        if (day < 0 || end - p < 5) {
            return -1;
        }

        if (*p == ' ') {                        /* RFC 1123: 06 Nov 1994 */
            month = lt_times_month(p + 1);
            p += 4;
            if (month < 0 || p >= end || *p != ' ') {
                return -1;
            }
            p++;
            year = lt_times_digits(&p, end, 4);

        } else if (*p == '-') {                 /* RFC 850: 06-Nov-94 */
            month = lt_times_month(p + 1);
            p += 4;
            if (month < 0 || p >= end || *p != '-') {
                return -1;
            }
            p++;
            year = lt_times_digits(&p, end, 2);
            if (year >= 0) {
                year += year < 70 ? 2000 : 1900;
            }

        } else {
            return -1;
        }

    } else {                                    /* asctime: Nov  6 08:49:37 1994 */
        p++;
        if (end - p < 4) {
            return -1;
        }
        month = lt_times_month(p);
        p += 3;
        if (month < 0 || *p != ' ') {
            return -1;
        }
        p++;
        if (p < end && *p == ' ') {
            p++;
            day = lt_times_digits(&p, end, 1);
        } else {
            day = lt_times_digits(&p, end, 2);
        }
        year = 0;
    }

    if (year < 0 || day < 1 || day > 31 || p >= end || *p != ' ') {
        return -1;
    }
    p++;

    hour = lt_times_digits(&p, end, 2);
    if (hour < 0 || p >= end || *p++ != ':') {
        return -1;
    }
    min = lt_times_digits(&p, end, 2);
    if (min < 0 || p >= end || *p++ != ':') {
        return -1;
    }
    sec = lt_times_digits(&p, end, 2);
    if (sec < 0) {
        return -1;
    }

    if (year == 0) {
        if (p >= end || *p++ != ' ') {
            return -1;
        }
        year = lt_times_digits(&p, end, 4);
        if (year < 0) {
            return -1;
        }

    } else {
        if (end - p < 4 || memcmp(p, " GMT", 4) != 0) {
            return -1;
        }
        p += 4;
    }

    if (p != end || hour > 23 || min > 59 || sec > 60 || year < 1970) {
        return -1;
    }

    leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;

    if (day < 1 || day > mdays[month] + (month == 1 && leap)) {
        return -1;
    }

    /* days since 1970-01-01 by arithmetic (the inverse of lt_gmtime): years
     * counted from March, so the leap day is the last of its year */
    y = year - (month < 2);
    era = y / 400;
    yoe = y - era * 400;
    doy = (153 * (month + (month > 1 ? -2 : 10)) + 2) / 5 + day - 1;
    doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    days = era * 146097 + doe - 719468;

    t = (time_t) (days * 86400 + hour * 3600 + min * 60 + (sec == 60 ? 59 : sec));

    return t;
}
