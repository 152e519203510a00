/*
 * lt_escape.h: percent-encoding and decoding, and escaping for HTML and JSON
 * output (autoindex, access logs, redirects).
 */

#ifndef LT_ESCAPE_H
#define LT_ESCAPE_H

#include "lt_config.h"

/* what lt_escape_uri escapes */
#define LT_ESCAPE_URI            0  /* a path: SP " # % ? controls, bytes >= 0x7f */
#define LT_ESCAPE_ARGS           1  /* a query string: also & + = ; */
#define LT_ESCAPE_URI_COMPONENT  2  /* everything but unreserved ALPHA DIGIT - . _ ~ */
#define LT_ESCAPE_HTML           3  /* a path inside HTML: also " ' < > & */
#define LT_ESCAPE_REFRESH        4  /* a URL inside a Refresh header */
#define LT_ESCAPE_MEMCACHED      5  /* a memcached key: SP, %, controls */
#define LT_ESCAPE_MAIL_AUTH      6  /* mail auth: SP, %, controls */

/* lt_escape_uri_len: the length of src escaped as type */
size_t lt_escape_uri_len(const u_char *src, size_t size, unsigned type);
/* lt_escape_uri: writes src escaped as type (uppercase hex) at dst; returns the end */
u_char *lt_escape_uri(u_char *dst, const u_char *src, size_t size, unsigned type);

/* lt_unescape_uri flags */
#define LT_UNESCAPE_URI        1    /* stop at "?": decode a path only */
#define LT_UNESCAPE_REDIRECT   2    /* keep "%" escapes of "?" and controls */

/* lt_unescape_uri: decodes %XX of [*src, *src + size) into *dst (may equal *src);
 * both pointers are advanced. A bad escape is copied as is. */
void lt_unescape_uri(u_char **dst, u_char **src, size_t size, unsigned type);

/* lt_escape_html_len/lt_escape_html: < > & " as entities */
size_t lt_escape_html_len(const u_char *src, size_t size);
u_char *lt_escape_html(u_char *dst, const u_char *src, size_t size);

/* lt_escape_json_len/lt_escape_json: for a JSON string's contents: " \ and control
 * characters (\n \r \t \b \f, others \u00XX); bytes >= 0x80 are kept */
size_t lt_escape_json_len(const u_char *src, size_t size);
u_char *lt_escape_json(u_char *dst, const u_char *src, size_t size);

#endif /* LT_ESCAPE_H */
