/*
 * lt_hash.h: hashing, and a static hash table built once (at configuration time)
 * and then only read: known header names, variables, mime types. Lookups take the
 * key's hash computed while the caller scanned the key, so finding a name costs
 * one table probe sequence and one memcmp.
 */

#ifndef LT_HASH_H
#define LT_HASH_H

#include "lt_config.h"
#include "lt_string.h"
#include "lt_palloc.h"
#include "lt_array.h"

/* the incremental hash step: scanners compute key = lt_hash(key, c) per byte,
 * starting from 0 */
#define lt_hash(key, c)         ((uintptr_t) (key) * 31 + (c))

/* lt_hash_key: the hash of data; lt_hash_key_lc: of its ASCII lowercase */
uintptr_t lt_hash_key(const u_char *data, size_t len);
uintptr_t lt_hash_key_lc(const u_char *data, size_t len);
/* lt_hash_strlow: lowercases src into dst and returns the hash of the result */
uintptr_t lt_hash_strlow(u_char *dst, const u_char *src, size_t n);

/* crc32 (IEEE), for shared memory keys and the like */
uint32_t lt_crc32(const u_char *data, size_t len);

typedef struct {
    lt_str_t     key;
    uintptr_t    key_hash;
    void        *value;
} lt_hash_key_t;

typedef struct lt_hash_elt_s  lt_hash_elt_t;

typedef struct {
    lt_hash_elt_t  *elts;       /* open addressing, linear probing */
    size_t          mask;       /* table size - 1 (size is a power of two) */
    size_t          nelts;
} lt_hash_t;

#define LT_HASH_CASELESS   1    /* keys are matched on their lowercase */

/* lt_hash_init: builds hash from n keys (key_hash may be 0: it is computed);
 * with LT_HASH_CASELESS, keys are stored lowercased and lookups must pass the
 * hash and bytes of a lowercased name. Duplicate keys: LT_DECLINED (the first
 * duplicate's index in *dup when dup is not NULL). */
int lt_hash_init(lt_hash_t *hash, lt_pool_t *pool, lt_hash_key_t *keys, size_t n,
    unsigned flags, size_t *dup);

/* lt_hash_find: the value of the key with this hash and bytes, or NULL */
void *lt_hash_find(const lt_hash_t *hash, uintptr_t key, const u_char *name, size_t len);

#endif /* LT_HASH_H */
