/*
 * lt_http.h: everything http/ offers, for .c files of http/ and modules/.
 */

#ifndef LT_HTTP_H
#define LT_HTTP_H

#include "lt_core.h"
#include "lt_http_parse.h"
#include "lt_http_request.h"
#include "lt_http_variables.h"
#include "lt_http_core_module.h"
#include "lt_http_filters.h"
#include "lt_http_upstream.h"
#include "lt_http_types.h"

#endif /* LT_HTTP_H */
