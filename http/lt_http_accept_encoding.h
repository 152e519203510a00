/*
 * lt_http_accept_encoding.h: content-coding negotiation shared by the gzip, brotli
 * and zstd filters.
 *
 * The Accept-Encoding value is parsed once (RFC 9110 12.5.3: codings with optional
 * q-values, "*", "identity", empty elements, parameters), without allocating and in
 * one pass, into the q-value the client gives to each coding lintel knows. Then one
 * coding is chosen among those the location enables: the highest client q wins; among
 * equal q the server's preference order decides (by default br, zstd, gzip).
 *
 * Rules, where the RFC leaves a choice:
 *  - a missing header means identity only (as nginx: no compression);
 *  - an empty header means identity only;
 *  - "x-gzip" is gzip; names are case-insensitive;
 *  - a coding not listed takes the q of "*" when "*" is listed, else is refused;
 *  - a coding listed twice keeps the lower q (a refusal anywhere is a refusal);
 *  - a malformed q-value ("q=2", "q=0.1234", "q=", "q = 1") refuses that element:
 *    we never compress for a client on the strength of input we did not understand;
 *  - other parameters are ignored; quoted strings in them may contain commas;
 *  - identity is preferred over a coding only when the client gives identity
 *    (listed, or through "*") a strictly higher q than that coding.
 */

#ifndef LT_HTTP_ACCEPT_ENCODING_H
#define LT_HTTP_ACCEPT_ENCODING_H

#include "lt_core.h"
#include "lt_http_request.h"

typedef enum {
    LT_HTTP_ENC_IDENTITY = 0,
    LT_HTTP_ENC_GZIP,
    LT_HTTP_ENC_BR,
    LT_HTTP_ENC_ZSTD,
    LT_HTTP_ENC_N
} lt_http_encoding_e;

#define LT_HTTP_ENC_BIT(e)      (1u << (e))

/* q-values are kept in thousandths: 0 refuses, 1000 is q=1 */
#define LT_HTTP_Q_MAX           1000
#define LT_HTTP_Q_UNSET         0xffff

typedef struct {
    uint16_t     q[LT_HTTP_ENC_N];  /* per coding, as listed; LT_HTTP_Q_UNSET if not */
    uint16_t     star;              /* q of "*"; LT_HTTP_Q_UNSET if not listed */
    unsigned     malformed:1;       /* something was skipped or refused as malformed */
} lt_http_accept_encoding_t;

/* the server's preference order: up to LT_HTTP_ENC_N - 1 codings, most preferred
 * first, ended early by LT_HTTP_ENC_IDENTITY */
typedef struct {
    uint8_t      order[LT_HTTP_ENC_N - 1];
} lt_http_encoding_order_t;

/* br, zstd, gzip */
extern const lt_http_encoding_order_t  lt_http_default_encoding_order;

/* lt_http_accept_encoding_init: an empty result (nothing listed: identity only) */
void lt_http_accept_encoding_init(lt_http_accept_encoding_t *ae);

/* lt_http_parse_accept_encoding: adds the elements of one Accept-Encoding value
 * (p, len) to ae; call it once per header line after _init. Never fails: bad elements
 * are skipped or refused (see above) and set ae->malformed. p need not be
 * NUL-terminated and may contain any bytes. */
void lt_http_parse_accept_encoding(const u_char *p, size_t len,
    lt_http_accept_encoding_t *ae);

/* lt_http_accept_encoding_q: the q the client gives to coding enc, 0..1000, following
 * the "*" and identity rules above (identity not mentioned at all gets 1) */
unsigned lt_http_accept_encoding_q(const lt_http_accept_encoding_t *ae,
    lt_http_encoding_e enc);

/* lt_http_choose_encoding: the coding to send among those in `enabled`
 * (LT_HTTP_ENC_BIT mask), with order breaking ties (NULL: the default order); a coding
 * enabled but missing from order ranks after those in it, in the default order. LT_HTTP_ENC_IDENTITY when
 * nothing acceptable is enabled or the client prefers identity. */
lt_http_encoding_e lt_http_choose_encoding(const lt_http_accept_encoding_t *ae,
    unsigned enabled, const lt_http_encoding_order_t *order);

/* lt_http_request_encoding: parses every Accept-Encoding line of r and chooses as
 * lt_http_choose_encoding does; LT_HTTP_ENC_IDENTITY without the header. */
lt_http_encoding_e lt_http_request_encoding(lt_http_request_t *r, unsigned enabled,
    const lt_http_encoding_order_t *order);

/* lt_http_encoding_by_name: the coding named (case-insensitive; "gzip", "x-gzip",
 * "br", "zstd", "identity"), or -1 (LT_ERROR) for an unknown name */
int lt_http_encoding_by_name(const u_char *name, size_t len);

/* lt_http_encoding_name: the token to put in Content-Encoding */
const lt_str_t *lt_http_encoding_name(lt_http_encoding_e enc);

/* lt_http_compress_response_ok: LT_OK when the response of r may be compressed
 * on the fly as far as its status and headers go (200, 403 or 404 as nginx; not
 * already content-coded; no Cache-Control: no-transform; a body to send), else
 * LT_DECLINED. The filter still checks its own types and minimum length. */
int lt_http_compress_response_ok(lt_http_request_t *r);

/* lt_http_compress_set_headers: the headers of a response about to be sent with
 * coding enc: Content-Encoding, no Content-Length, no ranges, a weak ETag.
 * LT_OK, or LT_ERROR when out of memory. */
int lt_http_compress_set_headers(lt_http_request_t *r, lt_http_encoding_e enc);

/* lt_http_add_vary_accept_encoding: "Vary: Accept-Encoding", unless a Vary header
 * of the response already names it (so two filters with *_vary on add one).
 * LT_OK, or LT_ERROR when out of memory. */
int lt_http_add_vary_accept_encoding(lt_http_request_t *r);

/* lt_http_header_has_token: 1 when the comma-separated value holds the token tok
 * (len bytes, ignoring case; "tok" or "tok=..."), else 0 */
int lt_http_header_has_token(const lt_str_t *value, const char *tok, size_t len);

#endif /* LT_HTTP_ACCEPT_ENCODING_H */
