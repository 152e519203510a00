/*
 * tap.h: the few TAP helpers the C unit tests use. A test program prints a plan,
 * one "ok N - name" or "not ok N - name" line per check, and exits non-zero when a
 * check failed, so prove reports it.
 */

#ifndef LT_TAP_H
#define LT_TAP_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int  tap_n;
static int  tap_failed;

#define plan(n)  printf("1..%d\n", (int) (n))

#define ok(cond, ...)                                                         \
    do {                                                                      \
        int ok_c_ = (cond) ? 1 : 0;                                           \
        tap_n++;                                                              \
        printf("%sok %d - ", ok_c_ ? "" : "not ", tap_n);                     \
        printf(__VA_ARGS__);                                                  \
        printf("\n");                                                         \
        if (!ok_c_) {                                                         \
            tap_failed++;                                                     \
            printf("#   failed at %s line %d\n", __FILE__, __LINE__);         \
        }                                                                     \
    } while (0)

#define is_int(got, expected, ...)                                            \
    do {                                                                      \
        long long is_g_ = (long long) (got), is_e_ = (long long) (expected);  \
        ok(is_g_ == is_e_, __VA_ARGS__);                                      \
        if (is_g_ != is_e_) {                                                 \
            printf("#          got: %lld\n#     expected: %lld\n", is_g_, is_e_); \
        }                                                                     \
    } while (0)

#define is_str(got, glen, expected, ...)                                      \
    do {                                                                      \
        size_t is_l_ = strlen(expected);                                      \
        int is_ok_ = (size_t) (glen) == is_l_                                 \
                     && memcmp(got, expected, is_l_) == 0;                    \
        ok(is_ok_, __VA_ARGS__);                                              \
        if (!is_ok_) {                                                        \
            printf("#          got: '%.*s'\n#     expected: '%s'\n",           \
                   (int) (glen), (const char *) (got), expected);             \
        }                                                                     \
    } while (0)

#define diag(...)  do { printf("# "); printf(__VA_ARGS__); printf("\n"); } while (0)

/* done_testing: prints the plan after the tests (for files without plan(n)) and
 * returns main's exit code */
static inline int
done_testing(void)
{
    if (tap_n == 0) {
        printf("1..0 # SKIP no tests ran\n");
    } else {
        printf("1..%d\n", tap_n);
    }
    return tap_failed ? 1 : 0;
}

/* for tests declared with plan(n): print the plan first, then exit with this */
#define tap_exit()  return tap_failed ? 1 : 0

#endif /* LT_TAP_H */
