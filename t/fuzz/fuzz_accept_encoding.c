/*
 * fuzz_accept_encoding.c: libFuzzer harness for the Accept-Encoding parser and the
 * content-coding choice (http/lt_http_accept_encoding.c). Any value must parse
 * without a crash or a read past the buffer, and give q-values in range and a
 * coding that was enabled (or identity).
 *
 *   make fuzz            (builds with clang and runs each harness for a while)
 */

#include "lt_http.h"
#include "lt_http_accept_encoding.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    lt_http_accept_encoding_t  ae;
    lt_http_encoding_order_t   order;
    lt_http_encoding_e         enc;
    unsigned                   enabled, i;
    u_char                    *copy;

    if (size < 4) {
        return 0;
    }

    /* the first bytes choose the enabled codings and the server's order */
    enabled = data[0];
    order.order[0] = data[1] & 7;
    order.order[1] = data[2] & 7;
    order.order[2] = data[3] & 7;
    data += 4;
    size -= 4;

    /* an exact-size copy, so that ASan sees any read past the end */
    copy = malloc(size ? size : 1);
    if (copy == NULL) {
        return 0;
    }
    memcpy(copy, data, size);

    lt_http_accept_encoding_init(&ae);
    lt_http_parse_accept_encoding(copy, size, &ae);

    for (i = 0; i < LT_HTTP_ENC_N; i++) {
        if (ae.q[i] != LT_HTTP_Q_UNSET && ae.q[i] > LT_HTTP_Q_MAX) {
            abort();
        }
    }

    if (ae.star != LT_HTTP_Q_UNSET && ae.star > LT_HTTP_Q_MAX) {
        abort();
    }

    enc = lt_http_choose_encoding(&ae, enabled, &order);

    if (enc >= LT_HTTP_ENC_N
        || (enc != LT_HTTP_ENC_IDENTITY
            && (!(enabled & LT_HTTP_ENC_BIT(enc))
                || lt_http_accept_encoding_q(&ae, enc) == 0)))
    {
        abort();
    }

    free(copy);

    return 0;
}
