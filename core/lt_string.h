/*
 * lt_string.h: counted strings and the small string, number and encoding helpers
 * the rest of lintel shares. Strings in lintel are (length, pointer) and are not
 * NUL-terminated unless a function says so.
 */

#ifndef LT_STRING_H
#define LT_STRING_H

#include "lt_config.h"

typedef struct {
    size_t      len;
    u_char     *data;
} lt_str_t;

typedef struct {
    lt_str_t    key;
    lt_str_t    value;
} lt_keyval_t;

#define lt_string(str)      { sizeof(str) - 1, (u_char *) str }
#define lt_null_string      { 0, NULL }
#define lt_str_set(str, text) \
    ((str)->len = sizeof(text) - 1, (str)->data = (u_char *) text)
#define lt_str_null(str)    ((str)->len = 0, (str)->data = NULL)

#define lt_tolower(c)   (u_char) (((c) >= 'A' && (c) <= 'Z') ? ((c) | 0x20) : (c))
#define lt_toupper(c)   (u_char) (((c) >= 'a' && (c) <= 'z') ? ((c) & ~0x20) : (c))

#define lt_strncmp(s1, s2, n)  strncmp((const char *) (s1), (const char *) (s2), n)
#define lt_strcmp(s1, s2)      strcmp((const char *) (s1), (const char *) (s2))
#define lt_strlen(s)           strlen((const char *) (s))
#define lt_strchr(s1, c)       (u_char *) strchr((const char *) (s1), (int) (c))
#define lt_strstr(s1, s2)      (u_char *) strstr((const char *) (s1), (const char *) (s2))

#define lt_memzero(buf, n)     (void) memset(buf, 0, n)
#define lt_memset(buf, c, n)   (void) memset(buf, c, n)
#define lt_memcpy(dst, src, n) (void) memcpy(dst, src, n)
#define lt_cpymem(dst, src, n) (((u_char *) memcpy(dst, src, n)) + (n))
#define lt_memmove(dst, src, n) (void) memmove(dst, src, n)
#define lt_memcmp(s1, s2, n)   memcmp(s1, s2, n)

/* lt_str_eq: the counted string equals the literal, exactly / ignoring ASCII case */
#define lt_str_eq(s, lit) \
    ((s)->len == sizeof(lit) - 1 && memcmp((s)->data, lit, sizeof(lit) - 1) == 0)
#define lt_str_case_eq(s, lit) \
    ((s)->len == sizeof(lit) - 1 && lt_strncasecmp((s)->data, (u_char *) lit, \
                                                   sizeof(lit) - 1) == 0)

struct lt_pool_s;

/* lt_strlow: writes the ASCII lowercase of n bytes of src into dst (may be equal) */
void lt_strlow(u_char *dst, const u_char *src, size_t n);

/* lt_strlchr: first c in [p, last), or NULL */
u_char *lt_strlchr(u_char *p, u_char *last, u_char c);

/* lt_cpystrn: copies at most n - 1 bytes, stops at NUL, always terminates;
 * returns the position of the terminating NUL */
u_char *lt_cpystrn(u_char *dst, const u_char *src, size_t n);

/* lt_pstrdup: a copy of src in the pool, NUL-terminated (len excludes the NUL) */
u_char *lt_pstrdup(struct lt_pool_s *pool, const lt_str_t *src);

int lt_strcasecmp(const u_char *s1, const u_char *s2);
int lt_strncasecmp(const u_char *s1, const u_char *s2, size_t n);

/* lt_strnstr: s2 (NUL-terminated) in the first n bytes of s1, or NULL */
u_char *lt_strnstr(u_char *s1, const char *s2, size_t n);
/* lt_strlcasestrn: s2 of length n in [s1, last), ignoring ASCII case, or NULL */
u_char *lt_strlcasestrn(u_char *s1, u_char *last, const u_char *s2, size_t n);

/* number parsers: the whole string must be the number; LT_ERROR on an empty string,
 * a stray character or overflow */
int64_t lt_atoi(const u_char *line, size_t n);
int64_t lt_hextoi(const u_char *line, size_t n);
/* lt_atofp: "1.5" with point 2 -> 150; LT_ERROR past `point` decimals */
int64_t lt_atofp(const u_char *line, size_t n, size_t point);

/* lt_parse_size: "512", "16k", "1m" (nginx's size syntax) -> bytes, or LT_ERROR */
int64_t lt_parse_size(const lt_str_t *line);
/* lt_parse_offset: as lt_parse_size, also "g" */
int64_t lt_parse_offset(const lt_str_t *line);
/* lt_parse_time: "30s", "1h 30m", "500ms"; a plain number means seconds, as in
 * nginx. is_sec selects the result's unit: seconds ("ms" is then invalid) or
 * milliseconds. Returns the value in that unit, or LT_ERROR */
int64_t lt_parse_time(const lt_str_t *line, int is_sec);

/* lt_slprintf: vsnprintf into [buf, last), clamped; returns the end of the output */
u_char *lt_slprintf(u_char *buf, u_char *last, const char *fmt, ...) LT_PRINTF(3, 4);
u_char *lt_vslprintf(u_char *buf, u_char *last, const char *fmt, va_list args);

/* lt_sprint_uint: decimal digits of n at buf; returns the end (no NUL) */
u_char *lt_sprint_uint(u_char *buf, uint64_t n);

/* lt_sprint_hex: lowercase hex digits of n at buf, no leading zeros; returns the
 * end (no NUL) */
u_char *lt_sprint_hex(u_char *buf, uint64_t n);

/* lt_hex_dump: 2 * len lowercase hex digits at dst; returns the end */
u_char *lt_hex_dump(u_char *dst, const u_char *src, size_t len);

#define lt_base64_encoded_length(len)  (((len + 2) / 3) * 4)
#define lt_base64_decoded_length(len)  (((len + 3) / 4) * 3)

/* dst->data must hold the encoded/decoded length; dst->len is set */
void lt_encode_base64(lt_str_t *dst, const lt_str_t *src);
void lt_encode_base64url(lt_str_t *dst, const lt_str_t *src);
int lt_decode_base64(lt_str_t *dst, const lt_str_t *src);
int lt_decode_base64url(lt_str_t *dst, const lt_str_t *src);

/* lt_utf8_decode: next code point of [*p, p + n), advancing *p; 0xffffffff on an
 * invalid sequence, 0xfffffffe on one cut short by the end of the input */
uint32_t lt_utf8_decode(u_char **p, size_t n);

#endif /* LT_STRING_H */
