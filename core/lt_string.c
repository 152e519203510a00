/*
 * lt_string.c: counted-string helpers, number and size/time parsers, base64.
 */

#include "lt_core.h"

void
lt_strlow(u_char *dst, const u_char *src, size_t n)
{
    while (n--) {
        *dst++ = lt_tolower(*src);
        src++;
    }
}


u_char *
lt_strlchr(u_char *p, u_char *last, u_char c)
{
    if (p >= last) {
        return NULL;
    }

    return memchr(p, c, last - p);
}


u_char *
lt_cpystrn(u_char *dst, const u_char *src, size_t n)
{
    if (n == 0) {
        return dst;
    }

    while (--n) {
        *dst = *src;

        if (*dst == '\0') {
            return dst;
        }

        dst++;
        src++;
    }

    *dst = '\0';

    return dst;
}


u_char *
lt_pstrdup(lt_pool_t *pool, const lt_str_t *src)
{
    u_char  *dst;

    dst = lt_pnalloc(pool, src->len + 1);
    if (dst == NULL) {
        return NULL;
    }

    if (src->len) {
        memcpy(dst, src->data, src->len);
    }
    dst[src->len] = '\0';

    return dst;
}


int
lt_strcasecmp(const u_char *s1, const u_char *s2)
{
    u_char  c1, c2;

    for ( ;; ) {
        c1 = lt_tolower(*s1);
        c2 = lt_tolower(*s2);
        s1++;
        s2++;

        if (c1 != c2) {
            return c1 - c2;
        }

        if (c1 == 0) {
            return 0;
        }
    }
}


int
lt_strncasecmp(const u_char *s1, const u_char *s2, size_t n)
{
    u_char  c1, c2;

    while (n--) {
        c1 = lt_tolower(*s1);
        c2 = lt_tolower(*s2);
        s1++;
        s2++;

        if (c1 != c2) {
            return c1 - c2;
        }

        if (c1 == 0) {
            return 0;
        }
    }

    return 0;
}


u_char *
lt_strnstr(u_char *s1, const char *s2, size_t n)
{
    size_t   len;
    u_char  *last;

    len = strlen(s2);
    if (len == 0) {
        return s1;
    }

    last = s1 + n;

    while ((size_t) (last - s1) >= len) {
        s1 = memchr(s1, s2[0], last - s1 - len + 1);
        if (s1 == NULL) {
            return NULL;
        }

        if (memcmp(s1, s2, len) == 0) {
            return s1;
        }

        s1++;
    }

    return NULL;
}


u_char *
lt_strlcasestrn(u_char *s1, u_char *last, const u_char *s2, size_t n)
{
    size_t  i;

    if (n == 0) {
        return s1;
    }

    for ( /* void */ ; (size_t) (last - s1) >= n; s1++) {
        /* a byte loop, not lt_strncasecmp: the data may hold NULs */
        for (i = 0; i < n && lt_tolower(s1[i]) == lt_tolower(s2[i]); i++) {
            /* void */
        }

        if (i == n) {
            return s1;
        }
    }

    return NULL;
}


int64_t
lt_atoi(const u_char *line, size_t n)
{
    int64_t  value, cutoff, cutlim;

    if (n == 0) {
        return LT_ERROR;
    }

    cutoff = INT64_MAX / 10;
    cutlim = INT64_MAX % 10;

    for (value = 0; n--; line++) {
        if (*line < '0' || *line > '9') {
            return LT_ERROR;
        }

        if (value >= cutoff && (value > cutoff || *line - '0' > cutlim)) {
            return LT_ERROR;
        }

        value = value * 10 + (*line - '0');
    }

    return value;
}


int64_t
lt_hextoi(const u_char *line, size_t n)
{
    u_char   c, ch;
    int64_t  value, cutoff;

    if (n == 0) {
        return LT_ERROR;
    }

    cutoff = INT64_MAX / 16;

    for (value = 0; n--; line++) {
        if (value > cutoff) {
            return LT_ERROR;
        }

        ch = *line;

        if (ch >= '0' && ch <= '9') {
            value = value * 16 + (ch - '0');
            continue;
        }

        c = (u_char) (ch | 0x20);

        if (c >= 'a' && c <= 'f') {
            value = value * 16 + (c - 'a' + 10);
            continue;
        }

        return LT_ERROR;
    }

    return value;
}


int64_t
lt_atofp(const u_char *line, size_t n, size_t point)
{
    int      dot;
    int64_t  value, cutoff, cutlim;

    if (n == 0) {
        return LT_ERROR;
    }

    cutoff = INT64_MAX / 10;
    cutlim = INT64_MAX % 10;
    dot = 0;

    for (value = 0; n--; line++) {
        if (*line == '.') {
            if (dot) {
                return LT_ERROR;
            }

            dot = 1;
            continue;
        }

        if (*line < '0' || *line > '9') {
            return LT_ERROR;
        }

        if (dot && point == 0) {
            /* more decimals than asked for */
            return LT_ERROR;
        }

        if (value >= cutoff && (value > cutoff || *line - '0' > cutlim)) {
            return LT_ERROR;
        }

        value = value * 10 + (*line - '0');
        point -= dot;
    }

    while (point--) {
        if (value > cutoff) {
            return LT_ERROR;
        }

        value = value * 10;
    }

    return value;
}


static int64_t
lt_parse_scaled(const lt_str_t *line, const char *units, int shift_step)
{
    size_t         len;
    int64_t        value, max;
    const char    *u;
    unsigned       shift;
    u_char         unit;

    len = line->len;
    if (len == 0) {
        return LT_ERROR;
    }

    unit = lt_tolower(line->data[len - 1]);
    shift = 0;

    for (u = units; *u; u++) {
        if (unit == (u_char) *u) {
            shift = (unsigned) ((u - units) + 1) * shift_step;
            len--;
            break;
        }
    }

    value = lt_atoi(line->data, len);
    if (value == LT_ERROR) {
        return LT_ERROR;
    }

    max = INT64_MAX >> shift;
    if (value > max) {
        return LT_ERROR;
    }

    return value << shift;
}


int64_t
lt_parse_size(const lt_str_t *line)
{
    int64_t  size;

    size = lt_parse_scaled(line, "km", 10);

    if (size != LT_ERROR && (uint64_t) size > SIZE_MAX) {
        return LT_ERROR;
    }

    return size;
}


int64_t
lt_parse_offset(const lt_str_t *line)
{
    return lt_parse_scaled(line, "kmg", 10);
}


int64_t
lt_parse_time(const lt_str_t *line, int is_sec)
{
    /* units from the largest; a part's unit must be smaller than the one before */
    static const struct {
        const char  *name;
        size_t       len;
        int64_t      msec;
    } units[] = {
        { "y", 1, 365LL * 24 * 3600 * 1000 },
        { "M", 1, 30LL * 24 * 3600 * 1000 },
        { "w", 1, 7LL * 24 * 3600 * 1000 },
        { "d", 1, 24LL * 3600 * 1000 },
        { "h", 1, 3600LL * 1000 },
        { "ms", 2, 1 },
        { "m", 1, 60LL * 1000 },
        { "s", 1, 1000 },
    };
    static const int  rank[] = { 0, 1, 2, 3, 4, 7, 5, 6 };

    u_char   *p, *last, *start;
    int64_t   value, total, mul;
    int       last_rank, r;
    size_t    i;

    p = line->data;
    last = p + line->len;
    total = 0;
    last_rank = -1;

    if (p == last) {
        return LT_ERROR;
    }

    while (p < last) {
        start = p;
        while (p < last && *p >= '0' && *p <= '9') {
            p++;
        }

        value = lt_atoi(start, p - start);
        if (value == LT_ERROR) {
            return LT_ERROR;
        }

        if (p == last || *p == ' ') {
            /* a number without a unit: seconds, and it must be the last part */
            i = 7;
            r = 6;
            while (p < last && *p == ' ') {
                p++;
            }
            if (p != last) {
                return LT_ERROR;
            }

        } else {
            for (i = 0; i < lt_nelts(units); i++) {
                if ((size_t) (last - p) >= units[i].len
                    && memcmp(p, units[i].name, units[i].len) == 0)
                {
                    break;
                }
            }

            if (i == lt_nelts(units)) {
                return LT_ERROR;
            }

            p += units[i].len;
            r = rank[i];

            while (p < last && *p == ' ') {
                p++;
            }
        }

        if (r <= last_rank) {
            return LT_ERROR;
        }

        last_rank = r;
        mul = units[i].msec;

        if (is_sec) {
            if (mul < 1000) {
                return LT_ERROR;
            }
            mul /= 1000;
        }

        if (value > INT64_MAX / mul) {
            return LT_ERROR;
        }

        value *= mul;

        if (total > INT64_MAX - value) {
            return LT_ERROR;
        }

        total += value;
    }

    return total;
}


u_char *
lt_vslprintf(u_char *buf, u_char *last, const char *fmt, va_list args)
{
    int     n;
    size_t  size;

    if (buf >= last) {
        return buf;
    }

    size = last - buf;
    n = vsnprintf((char *) buf, size, fmt, args);

    if (n < 0) {
        return buf;
    }

    if ((size_t) n >= size) {
        /* truncated: vsnprintf wrote size - 1 bytes and a NUL */
        return last - 1 > buf ? last - 1 : buf;
    }

    return buf + n;
}


u_char *
lt_slprintf(u_char *buf, u_char *last, const char *fmt, ...)
{
    u_char   *p;
    va_list   args;

    va_start(args, fmt);
    p = lt_vslprintf(buf, last, fmt, args);
    va_end(args);

    return p;
}


u_char *
lt_sprint_uint(u_char *buf, uint64_t n)
{
    u_char   tmp[LT_INT64_LEN], *p;

    p = tmp + sizeof(tmp);

    do {
        *--p = (u_char) (n % 10 + '0');
        n /= 10;
    } while (n);

    return lt_cpymem(buf, p, (tmp + sizeof(tmp)) - p);
}


u_char *
lt_sprint_hex(u_char *buf, uint64_t n)
{
    u_char               tmp[16], *p;
    static const u_char  hex[] = "0123456789abcdef";

    p = tmp + sizeof(tmp);

    do {
        *--p = hex[n & 0xf];
        n >>= 4;
    } while (n);

    return lt_cpymem(buf, p, (tmp + sizeof(tmp)) - p);
}


u_char *
lt_hex_dump(u_char *dst, const u_char *src, size_t len)
{
    static const u_char  hex[] = "0123456789abcdef";

    while (len--) {
        *dst++ = hex[*src >> 4];
        *dst++ = hex[*src++ & 0xf];
    }

    return dst;
}


static void
lt_encode_base64_internal(lt_str_t *dst, const lt_str_t *src, const u_char *basis,
    int padding)
{
    u_char         *d;
    const u_char   *s;
    size_t          len;

    len = src->len;
    s = src->data;
    d = dst->data;

    while (len > 2) {
        *d++ = basis[(s[0] >> 2) & 0x3f];
        *d++ = basis[((s[0] & 3) << 4) | (s[1] >> 4)];
        *d++ = basis[((s[1] & 0x0f) << 2) | (s[2] >> 6)];
        *d++ = basis[s[2] & 0x3f];

        s += 3;
        len -= 3;
    }

    if (len) {
        *d++ = basis[(s[0] >> 2) & 0x3f];

        if (len == 1) {
            *d++ = basis[(s[0] & 3) << 4];
            if (padding) {
                *d++ = '=';
            }

        } else {
            *d++ = basis[((s[0] & 3) << 4) | (s[1] >> 4)];
            *d++ = basis[(s[1] & 0x0f) << 2];
        }

        if (padding) {
            *d++ = '=';
        }
    }

    dst->len = d - dst->data;
}


void
lt_encode_base64(lt_str_t *dst, const lt_str_t *src)
{
    static const u_char  basis64[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

    lt_encode_base64_internal(dst, src, basis64, 1);
}


void
lt_encode_base64url(lt_str_t *dst, const lt_str_t *src)
{
    static const u_char  basis64[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

    lt_encode_base64_internal(dst, src, basis64, 0);
}


static int
lt_decode_base64_internal(lt_str_t *dst, const lt_str_t *src, int url)
{
    size_t   len, i;
    u_char  *d;
    int      v;
    uint8_t  q[4];
    int      nq;

    for (len = 0; len < src->len; len++) {
        if (src->data[len] == '=') {
            break;
        }
    }

    if (len % 4 == 1) {
        return LT_ERROR;
    }

    d = dst->data;
    nq = 0;

    for (i = 0; i < len; i++) {
        u_char  c = src->data[i];

        if (c >= 'A' && c <= 'Z') {
            v = c - 'A';
        } else if (c >= 'a' && c <= 'z') {
            v = c - 'a' + 26;
        } else if (c >= '0' && c <= '9') {
            v = c - '0' + 52;
        } else if (c == (url ? '-' : '+')) {
            v = 62;
        } else if (c == (url ? '_' : '/')) {
            v = 63;
        } else {
            return LT_ERROR;
        }

        q[nq++] = (uint8_t) v;

        if (nq == 4) {
            *d++ = (u_char) (q[0] << 2 | q[1] >> 4);
            *d++ = (u_char) (q[1] << 4 | q[2] >> 2);
            *d++ = (u_char) (q[2] << 6 | q[3]);
            nq = 0;
        }
    }

    if (nq > 1) {
        *d++ = (u_char) (q[0] << 2 | q[1] >> 4);
    }

    if (nq > 2) {
        *d++ = (u_char) (q[1] << 4 | q[2] >> 2);
    }

    dst->len = d - dst->data;

    return LT_OK;
}


int
lt_decode_base64(lt_str_t *dst, const lt_str_t *src)
{
    return lt_decode_base64_internal(dst, src, 0);
}


int
lt_decode_base64url(lt_str_t *dst, const lt_str_t *src)
{
    return lt_decode_base64_internal(dst, src, 1);
}


uint32_t
lt_utf8_decode(u_char **p, size_t n)
{
    size_t    len;
    uint32_t  u, i, valid;

    u = **p;

    if (u >= 0xf0) {
        u &= 0x07;
        valid = 0xffff;
        len = 3;

    } else if (u >= 0xe0) {
        u &= 0x0f;
        valid = 0x7ff;
        len = 2;

    } else if (u >= 0xc2) {
        u &= 0x1f;
        valid = 0x7f;
        len = 1;

    } else {
        (*p)++;
        return 0xffffffff;
    }

    if (n - 1 < len) {
        return 0xfffffffe;
    }

    (*p)++;

    while (len) {
        i = *(*p)++;

        if (i < 0x80) {
            return 0xffffffff;
        }

        u = (u << 6) | (i & 0x3f);

        len--;
    }

    if (u > valid) {
        return u;
    }

    return 0xffffffff;
}
