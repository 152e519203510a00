/*
 * lt_http_filters.h: the response filter chains and their order.
 *
 * A response goes through the header filters once and through the body filters
 * with each piece of its body. Every filter has a fixed slot below; the chains
 * are linked in slot order, whatever the order modules are built or linked in.
 * A filter hands on with lt_http_next_header_filter(SLOT, r) or
 * lt_http_next_body_filter(SLOT, r, in), naming its own slot.
 *
 * The order, first to last:
 *
 *   1. not_modified   304/412 from If-Modified-Since, If-None-Match, If-Match,
 *                     If-Unmodified-Since (header)
 *   2. range_body     cuts the body to the requested ranges (body)
 *   3. copy           reads file buffers into memory for filters that need it
 *                     (body; before anything that changes the body)
 *   4. headers        add_header, expires, add_trailer (header; body for trailers)
 *   5. charset        the charset parameter of Content-Type (header)
 *   6. gunzip         decompresses for clients without gzip (header, body)
 *   7. compress       gzip / brotli / zstd, one chosen per response (header, body)
 *   8. range_header   206 and multipart/byteranges headers (header)
 *   9. chunked        Transfer-Encoding: chunked and trailers (header, body)
 *  10. writer         the status line and headers / the socket (header, body)
 */

#ifndef LT_HTTP_FILTERS_H
#define LT_HTTP_FILTERS_H

#include "lt_core.h"
#include "lt_http_request.h"

typedef enum {
    LT_HTTP_FILTER_NOT_MODIFIED = 0,
    LT_HTTP_FILTER_RANGE_BODY,
    LT_HTTP_FILTER_COPY,
    LT_HTTP_FILTER_HEADERS,
    LT_HTTP_FILTER_CHARSET,
    LT_HTTP_FILTER_GUNZIP,
    LT_HTTP_FILTER_COMPRESS,
    LT_HTTP_FILTER_RANGE_HEADER,
    LT_HTTP_FILTER_CHUNKED,
    LT_HTTP_FILTER_WRITER,
    LT_HTTP_FILTER_NSLOTS
} lt_http_filter_slot_e;

typedef int (*lt_http_header_filter_pt)(lt_http_request_t *r);
typedef int (*lt_http_body_filter_pt)(lt_http_request_t *r, lt_chain_t *in);

/* the chains, linked by lt_http_link_filters(): next[s] is the first filter
 * registered in a slot after s */
extern lt_http_header_filter_pt  lt_http_top_header_filter;
extern lt_http_body_filter_pt    lt_http_top_body_filter;
extern lt_http_header_filter_pt  lt_http_next_header[LT_HTTP_FILTER_NSLOTS];
extern lt_http_body_filter_pt    lt_http_next_body[LT_HTTP_FILTER_NSLOTS];

#define lt_http_next_header_filter(slot, r)      lt_http_next_header[slot](r)
#define lt_http_next_body_filter(slot, r, in)    lt_http_next_body[slot](r, in)

/* lt_http_register_filter: a module's filters for its slot (either may be NULL);
 * called from postconfiguration */
void lt_http_register_filter(lt_http_filter_slot_e slot, lt_http_header_filter_pt header,
    lt_http_body_filter_pt body);

/* lt_http_link_filters: links the chains; called once all modules registered */
void lt_http_link_filters(void);

/* the last filters, in http/ */
int lt_http_header_filter(lt_http_request_t *r);
int lt_http_write_filter(lt_http_request_t *r, lt_chain_t *in);

#endif /* LT_HTTP_FILTERS_H */
