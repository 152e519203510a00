/*
 * lt_http_upstream_int.h: what the upstream core's files share (lt_http_upstream.c:
 * a request's life; lt_http_upstream_relay.c: the body's relay); not for modules.
 */

#ifndef LT_HTTP_UPSTREAM_INT_H
#define LT_HTTP_UPSTREAM_INT_H

#include "lt_http.h"

/* lt_http_upstream_relay.c: the header is in; send it and relay the body */
void lt_http_upstream_send_response(lt_http_request_t *r, lt_http_upstream_t *u);

/* lt_http_upstream.c */
void lt_http_upstream_finalize_request(lt_http_request_t *r, lt_http_upstream_t *u, int rc);
void lt_http_upstream_next(lt_http_request_t *r, lt_http_upstream_t *u, unsigned ft_type);
void lt_http_upstream_dummy_handler(lt_http_request_t *r, lt_http_upstream_t *u);

#endif /* LT_HTTP_UPSTREAM_INT_H */
