/*
 * lt_regex.c: PCRE2 with JIT (see lt_regex.h). One match data block per process,
 * grown to the largest capture count seen, is reused by every match.
 */

#include "lt_core.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

static pcre2_match_data  *lt_regex_match_data;
static uint32_t           lt_regex_match_data_size;

static void
lt_regex_free(void *data)
{
    pcre2_code_free(data);
}


int
lt_regex_compile(lt_regex_compile_t *rc)
{
    int                 errcode;
    uint32_t            n, opts;
    PCRE2_SIZE          erroff;
    pcre2_code         *re;
    lt_regex_t         *rx;
    lt_pool_cleanup_t  *cln;
    u_char              msg[128];

    opts = 0;

    if (rc->options & LT_REGEX_CASELESS) {
        opts |= PCRE2_CASELESS;
    }

    if (rc->options & LT_REGEX_MULTILINE) {
        opts |= PCRE2_MULTILINE;
    }

    re = pcre2_compile(rc->pattern.data, rc->pattern.len, opts, &errcode, &erroff, NULL);

    if (re == NULL) {
        pcre2_get_error_message(errcode, msg, sizeof(msg));

        rc->err.data = rc->err_buf;
        rc->err.len = lt_slprintf(rc->err_buf, rc->err_buf + sizeof(rc->err_buf),
                                  erroff < rc->pattern.len
                                  ? "pcre2_compile() failed: %s in \"%.*s\" at \"%.*s\""
                                  : "pcre2_compile() failed: %s in \"%.*s\"",
                                  msg, (int) rc->pattern.len, rc->pattern.data,
                                  (int) (rc->pattern.len - erroff),
                                  rc->pattern.data + erroff) - rc->err_buf;
        return LT_ERROR;
    }

    /* JIT is an optimisation: its failure (no executable memory) is not fatal */
    (void) pcre2_jit_compile(re, PCRE2_JIT_COMPLETE);

    cln = lt_pool_cleanup_add(rc->pool, 0);
    rx = lt_pcalloc(rc->pool, sizeof(lt_regex_t));
    if (cln == NULL || rx == NULL) {
        pcre2_code_free(re);
        return LT_ERROR;
    }

    cln->handler = lt_regex_free;
    cln->data = re;

    rx->code = re;

    pcre2_pattern_info(re, PCRE2_INFO_CAPTURECOUNT, &n);
    rx->captures = (int) n;

    pcre2_pattern_info(re, PCRE2_INFO_NAMECOUNT, &n);
    rx->named_captures = (int) n;

    if (n) {
        pcre2_pattern_info(re, PCRE2_INFO_NAMEENTRYSIZE, &n);
        rx->name_size = (int) n;
        pcre2_pattern_info(re, PCRE2_INFO_NAMETABLE, &rx->names);
    }

    rc->regex = rx;
    rc->captures = rx->captures;
    rc->named_captures = rx->named_captures;
    rc->name_size = rx->name_size;
    rc->names = rx->names;

    return LT_OK;
}


int
lt_regex_exec(lt_regex_t *re, const lt_str_t *s, int *captures, size_t size)
{
    int          rc;
    size_t       i, n;
    PCRE2_SIZE  *ov;
    uint32_t     need;

    need = (uint32_t) re->captures + 1;

    if (lt_regex_match_data == NULL || lt_regex_match_data_size < need) {
        if (lt_regex_match_data) {
            pcre2_match_data_free(lt_regex_match_data);
        }

        lt_regex_match_data_size = lt_max(need, 10);
        lt_regex_match_data = pcre2_match_data_create(lt_regex_match_data_size, NULL);

        if (lt_regex_match_data == NULL) {
            lt_regex_match_data_size = 0;
            return PCRE2_ERROR_NOMEMORY;
        }
    }

    rc = pcre2_match(re->code, s->data, s->len, 0, 0, lt_regex_match_data, NULL);

    if (rc == PCRE2_ERROR_NOMATCH) {
        return LT_REGEX_NO_MATCHED;
    }

    if (rc < 0) {
        return rc;
    }

    n = lt_min((size_t) rc, size / 2);
    ov = pcre2_get_ovector_pointer(lt_regex_match_data);

    for (i = 0; i < n; i++) {
        captures[i * 2] = (int) ov[i * 2];
        captures[i * 2 + 1] = (int) ov[i * 2 + 1];
    }

    return rc;
}
