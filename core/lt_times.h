/*
 * lt_times.h: the time cache. Time is read once per event loop iteration
 * (lt_time_update) and everyone uses the cached values and strings: no syscall
 * and no formatting per log line or response header.
 */

#ifndef LT_TIMES_H
#define LT_TIMES_H

#include "lt_config.h"
#include "lt_string.h"

typedef struct {
    time_t      sec;
    unsigned    msec;
    int         gmtoff;     /* minutes east of UTC */
} lt_time_t;

extern volatile lt_time_t  *lt_cached_time;
extern volatile uint64_t    lt_current_msec;   /* monotonic, for timers */

#define lt_time()           lt_cached_time->sec
#define lt_timeofday()      ((lt_time_t *) lt_cached_time)

/* cached strings, refreshed when the second changes */
extern volatile lt_str_t  lt_cached_err_log_time;        /* 2026/11/23 14:20:00 */
extern volatile lt_str_t  lt_cached_http_time;           /* Mon, 23 Nov 2026 14:20:00 GMT */
extern volatile lt_str_t  lt_cached_http_log_time;       /* 23/Nov/2026:14:20:00 +0000 */
extern volatile lt_str_t  lt_cached_http_log_iso8601;    /* 2026-11-23T14:20:00+00:00 */
extern volatile lt_str_t  lt_cached_syslog_time;         /* Nov 23 14:20:00 */

void lt_time_init(void);
void lt_time_update(void);

/* lt_http_time: "Mon, 23 Nov 2026 14:20:00 GMT" at buf; returns the end */
u_char *lt_http_time(u_char *buf, time_t t);
/* lt_http_cookie_time: "Monday, 23-Nov-26 14:20:00 GMT" style used in cookies */
u_char *lt_http_cookie_time(u_char *buf, time_t t);
void lt_gmtime(time_t t, struct tm *tp);

/* lt_parse_http_time: RFC 1123, RFC 850 and asctime dates -> time_t, or -1 */
time_t lt_parse_http_time(const u_char *value, size_t len);

#define LT_HTTP_TIME_LEN  (sizeof("Mon, 28 Sep 1970 06:00:00 GMT") - 1)

#endif /* LT_TIMES_H */
