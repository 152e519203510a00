/*
 * lt_regex.h: regular expressions (PCRE2, JIT-compiled when available).
 */

#ifndef LT_REGEX_H
#define LT_REGEX_H

#include "lt_config.h"
#include "lt_string.h"
#include "lt_palloc.h"

#define LT_REGEX_NO_MATCHED  -1000

#define LT_REGEX_CASELESS    0x00000001
#define LT_REGEX_MULTILINE   0x00000002

typedef struct {
    void        *code;          /* pcre2_code */
    int          captures;      /* capture groups (not counting the whole match) */
    int          named_captures;
    int          name_size;     /* bytes per name table entry */
    u_char      *names;         /* PCRE2's name table */
} lt_regex_t;

typedef struct {
    lt_str_t     pattern;
    lt_pool_t   *pool;
    unsigned     options;

    lt_regex_t  *regex;         /* the result */
    int          captures;
    int          named_captures;
    int          name_size;
    u_char      *names;

    lt_str_t     err;           /* the error text, for the caller's message */
    u_char       err_buf[256];
} lt_regex_compile_t;

/* lt_regex_compile: compiles rc->pattern; LT_OK, or LT_ERROR with rc->err like
 * `pcre2_compile() failed: missing ) in "(ab"` */
int lt_regex_compile(lt_regex_compile_t *rc);

/* lt_regex_exec: matches s; fills captures (pairs of start/end offsets, size ints)
 * and returns the number of pairs set (>= 1), LT_REGEX_NO_MATCHED, or another
 * negative PCRE2 error */
int lt_regex_exec(lt_regex_t *re, const lt_str_t *s, int *captures, size_t size);

/* lt_regex_exec_array etc. are not needed yet */

#endif /* LT_REGEX_H */
