/*
 * lt_escape.c: percent-encoding and decoding, HTML and JSON escaping (see
 * lt_escape.h). Each escape type is a 256-bit table: bit c set means byte c is
 * written as "%XX".
 */

#include "lt_core.h"

#define lt_escape_bit(table, c)  ((table)[(c) >> 5] & (1U << ((c) & 0x1f)))

/*
 * The tables, 32 bits per row, bit n of row r for byte 32 * r + n. Rows 0 and
 * 4..7: controls 0x00-0x1f and bytes 0x80-0xff. Row 1: SP ! " # ... ? ; row 2:
 * @ A ... _ ; row 3: ` a ... DEL.
 */

/* SP " # % < > ? \ ^ ` { | } controls, DEL, >= 0x80: what RFC 3986 does not
 * allow in a path, plus the three that would change its meaning */
static const uint32_t  lt_escape_uri_table[8] = {
    0xffffffff, 0xd000002d, 0x50000000, 0xb8000001,
    0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff
};

/* the path set plus & + ; (as nginx; "=" is kept) */
static const uint32_t  lt_escape_args_table[8] = {
    0xffffffff, 0xd800086d, 0x50000000, 0xb8000001,
    0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff
};

/* everything but ALPHA DIGIT - . _ ~ */
static const uint32_t  lt_escape_component_table[8] = {
    0xffffffff, 0xfc009fff, 0x78000001, 0xb8000001,
    0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff
};

/* the path set plus & ' (so that the result fits an HTML attribute) */
static const uint32_t  lt_escape_html_table[8] = {
    0xffffffff, 0xd00000ed, 0x50000000, 0xb8000001,
    0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff
};

/* SP " ' controls, DEL, >= 0x80 */
static const uint32_t  lt_escape_refresh_table[8] = {
    0xffffffff, 0x00000085, 0x00000000, 0x80000000,
    0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff
};

/* SP % controls, DEL (memcached keys, mail auth) */
static const uint32_t  lt_escape_memcached_table[8] = {
    0xffffffff, 0x00000021, 0x00000000, 0x80000000,
    0x00000000, 0x00000000, 0x00000000, 0x00000000
};

static const uint32_t  *lt_escape_tables[] = {
    lt_escape_uri_table,            /* LT_ESCAPE_URI */
    lt_escape_args_table,           /* LT_ESCAPE_ARGS */
    lt_escape_component_table,      /* LT_ESCAPE_URI_COMPONENT */
    lt_escape_html_table,           /* LT_ESCAPE_HTML */
    lt_escape_refresh_table,        /* LT_ESCAPE_REFRESH */
    lt_escape_memcached_table,      /* LT_ESCAPE_MEMCACHED */
    lt_escape_memcached_table,      /* LT_ESCAPE_MAIL_AUTH */
};

static const u_char  lt_escape_hex[] = "0123456789ABCDEF";


static const uint32_t *
lt_escape_table(unsigned type)
{
    if (type >= lt_nelts(lt_escape_tables)) {
        type = LT_ESCAPE_URI_COMPONENT;     /* the safest for an unknown type */
    }

    return lt_escape_tables[type];
}


size_t
lt_escape_uri_len(const u_char *src, size_t size, unsigned type)
{
    size_t           len;
    const uint32_t  *table;

    table = lt_escape_table(type);

    for (len = size; size; size--, src++) {
        if (lt_escape_bit(table, *src)) {
            len += 2;
        }
    }

    return len;
}


u_char *
lt_escape_uri(u_char *dst, const u_char *src, size_t size, unsigned type)
{
    const uint32_t  *table;

    table = lt_escape_table(type);

    for ( /* void */ ; size; size--, src++) {
        if (lt_escape_bit(table, *src)) {
            *dst++ = '%';
            *dst++ = lt_escape_hex[*src >> 4];
            *dst++ = lt_escape_hex[*src & 0xf];

        } else {
            *dst++ = *src;
        }
    }

    return dst;
}


/* lt_unescape_hex: the value of a hex digit, or -1 */
static int
lt_unescape_hex(u_char c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }

    c = (u_char) (c | 0x20);

    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }

    return -1;
}


void
lt_unescape_uri(u_char **dst, u_char **src, size_t size, unsigned type)
{
    int      hi, lo;
    u_char  *d, *s, *end, ch;

    d = *dst;
    s = *src;
    end = s + size;

    while (s < end) {
        ch = *s++;

        if (ch == '?' && (type & (LT_UNESCAPE_URI | LT_UNESCAPE_REDIRECT))) {
            *d++ = ch;
            break;
        }

        if (ch != '%' || end - s < 2
            || (hi = lt_unescape_hex(s[0])) < 0 || (lo = lt_unescape_hex(s[1])) < 0)
        {
            /* a plain byte, or a bad escape: copied as is */
            *d++ = ch;
            continue;
        }

        ch = (u_char) (hi << 4 | lo);
        s += 2;

        if (ch == '?' && (type & (LT_UNESCAPE_URI | LT_UNESCAPE_REDIRECT))) {
            /* as nginx: an escaped "?" ends the path too */
            *d++ = ch;
            break;
        }

        if ((type & LT_UNESCAPE_REDIRECT) && (ch <= '%' || ch >= 0x7f)) {
            /* controls would split the header */
            *d++ = '%';
            *d++ = s[-2];
            *d++ = s[-1];

        } else {
            *d++ = ch;
        }
    }

    *dst = d;
    *src = s;
}


size_t
lt_escape_html_len(const u_char *src, size_t size)
{
    size_t  len;

    for (len = size; size; size--, src++) {
        switch (*src) {
        case '<':
        case '>':
            len += sizeof("&lt;") - 2;
            break;
        case '&':
            len += sizeof("&amp;") - 2;
            break;
        case '"':
            len += sizeof("&quot;") - 2;
            break;
        default:
            break;
        }
    }

    return len;
}


u_char *
lt_escape_html(u_char *dst, const u_char *src, size_t size)
{
    for ( /* void */ ; size; size--, src++) {
        switch (*src) {
        case '<':
            dst = lt_cpymem(dst, "&lt;", sizeof("&lt;") - 1);
            break;
        case '>':
            dst = lt_cpymem(dst, "&gt;", sizeof("&gt;") - 1);
            break;
        case '&':
            dst = lt_cpymem(dst, "&amp;", sizeof("&amp;") - 1);
            break;
        case '"':
            dst = lt_cpymem(dst, "&quot;", sizeof("&quot;") - 1);
            break;
        default:
            *dst++ = *src;
            break;
        }
    }

    return dst;
}


/* lt_escape_json_char: the short escape letter of c ("n" for LF ...), or 0 */
static u_char
lt_escape_json_char(u_char c)
{
    switch (c) {
    case '"':
        return '"';
    case '\\':
        return '\\';
    case '\n':
        return 'n';
    case '\r':
        return 'r';
    case '\t':
        return 't';
    case '\b':
        return 'b';
    case '\f':
        return 'f';
    default:
        return 0;
    }
}


size_t
lt_escape_json_len(const u_char *src, size_t size)
{
    size_t  len;

    for (len = size; size; size--, src++) {
        if (lt_escape_json_char(*src)) {
            len += 1;                               /* \n */

        } else if (*src < 0x20) {
            len += sizeof("\\u0000") - 2;           /* \u001F */
        }
    }

    return len;
}


u_char *
lt_escape_json(u_char *dst, const u_char *src, size_t size)
{
    u_char  c;

    for ( /* void */ ; size; size--, src++) {
        c = lt_escape_json_char(*src);

        if (c) {
            *dst++ = '\\';
            *dst++ = c;

        } else if (*src < 0x20) {
            dst = lt_cpymem(dst, "\\u00", sizeof("\\u00") - 1);
            *dst++ = lt_escape_hex[*src >> 4];
            *dst++ = lt_escape_hex[*src & 0xf];

        } else {
            *dst++ = *src;
        }
    }

    return dst;
}
