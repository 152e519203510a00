/*
 * test_hash.c: the string hashes, crc32 and the static hash table.
 */

#include "lt_core.h"
#include "tap.h"

#define LT_TEST_MANY  10000

#define lt_test_find(hash, lit) \
    lt_hash_find(hash, lt_hash_key((u_char *) lit, sizeof(lit) - 1), (u_char *) lit, \
                 sizeof(lit) - 1)

static int  lt_test_values[8];


static void
lt_test_hash_functions(void)
{
    u_char  buf[16];

    is_int(lt_hash_key((u_char *) "", 0), 0, "lt_hash_key of nothing is 0");
    ok(lt_hash_key((u_char *) "abc", 3) == (uintptr_t) (('a' * 31 + 'b') * 31 + 'c'),
       "lt_hash_key is the lt_hash step from 0");
    ok(lt_hash_key_lc((u_char *) "HoSt", 4) == lt_hash_key((u_char *) "host", 4),
       "lt_hash_key_lc hashes the lowercase");
    ok(lt_hash_key_lc((u_char *) "a-1_Z", 5) == lt_hash_key((u_char *) "a-1_z", 5),
       "lt_hash_key_lc leaves non-letters alone");

    ok(lt_hash_strlow(buf, (u_char *) "X-Forwarded-FOR", 15)
       == lt_hash_key((u_char *) "x-forwarded-for", 15), "lt_hash_strlow returns the hash");
    is_str(buf, 15, "x-forwarded-for", "lt_hash_strlow writes the lowercase");
}


static void
lt_test_crc32(void)
{
    static const u_char  fox[] = "The quick brown fox jumps over the lazy dog";
    u_char               zeros[32];

    ok(lt_crc32((u_char *) "123456789", 9) == 0xcbf43926, "crc32(\"123456789\")");
    ok(lt_crc32((u_char *) "", 0) == 0, "crc32 of nothing is 0");
    ok(lt_crc32((u_char *) "a", 1) == 0xe8b7be43, "crc32(\"a\")");
    ok(lt_crc32(fox, sizeof(fox) - 1) == 0x414fa339, "crc32 of the quick brown fox");

    lt_memzero(zeros, sizeof(zeros));
    ok(lt_crc32(zeros, sizeof(zeros)) == 0x190a55ad, "crc32 of 32 zero bytes");
}


/* lt_test_keys: fills keys from a list of names, values pointing into lt_test_values */
static void
lt_test_keys(lt_hash_key_t *keys, const char **names, size_t n)
{
    size_t  i;

    for (i = 0; i < n; i++) {
        keys[i].key.data = (u_char *) names[i];
        keys[i].key.len = strlen(names[i]);
        keys[i].key_hash = 0;
        keys[i].value = &lt_test_values[i];
    }
}


static void
lt_test_small(lt_pool_t *pool)
{
    size_t          dup;
    lt_hash_t       hash;
    lt_hash_key_t   keys[8];
    u_char          name[16];
    static const char  *names[] = { "Host", "host", "Content-Length", "Date", "", "X" };

    lt_test_keys(keys, names, 6);
    keys[3].key_hash = 12345;   /* a wrong hash given: it is recomputed */
    memcpy(name, "Date", 4);
    keys[3].key.data = name;

    is_int(lt_hash_init(&hash, pool, keys, 6, 0, &dup), LT_OK, "case-sensitive table built");
    is_int(hash.nelts, 6, "with 6 keys");
    is_int(hash.mask + 1, 16, "in 16 slots");

    ok(lt_test_find(&hash, "Host") == &lt_test_values[0], "finds Host");
    ok(lt_test_find(&hash, "host") == &lt_test_values[1], "finds host, a different key");
    ok(lt_test_find(&hash, "Content-Length") == &lt_test_values[2], "finds Content-Length");
    ok(lt_test_find(&hash, "Date") == &lt_test_values[3], "finds a key given a wrong hash");
    ok(lt_test_find(&hash, "") == &lt_test_values[4], "finds the empty key");
    ok(lt_test_find(&hash, "X") == &lt_test_values[5], "finds X");

    ok(lt_test_find(&hash, "HOST") == NULL, "misses HOST");
    ok(lt_test_find(&hash, "Hos") == NULL, "misses a prefix");
    ok(lt_test_find(&hash, "Content-Length2") == NULL, "misses a longer name");
    ok(lt_hash_find(&hash, lt_hash_key((u_char *) "Host", 4), (u_char *) "Hosx", 4) == NULL,
       "misses other bytes under the same hash");
    ok(lt_hash_find(&hash, 0, NULL, 0) == &lt_test_values[4], "the empty key with no data");

    /* the table holds copies: the caller's bytes may change */
    memcpy(name, "Xxxx", 4);
    ok(lt_test_find(&hash, "Date") == &lt_test_values[3], "keys are copied");
}


static void
lt_test_caseless(lt_pool_t *pool)
{
    size_t          dup;
    u_char          name[32];
    lt_hash_t       hash;
    lt_hash_key_t   keys[8];
    static const char  *names[] = { "Host", "Content-Type", "x-real-IP" };
    static const char  *dups[] = { "Host", "Accept", "HOST" };

    lt_test_keys(keys, names, 3);
    memcpy(name, "Content-Type", 12);
    keys[1].key.data = name;

    is_int(lt_hash_init(&hash, pool, keys, 3, LT_HASH_CASELESS, NULL), LT_OK,
           "caseless table built");
    is_str(name, 12, "Content-Type", "the caller's key is not lowercased in place");

    ok(lt_test_find(&hash, "host") == &lt_test_values[0], "finds host");
    ok(lt_test_find(&hash, "content-type") == &lt_test_values[1], "finds content-type");
    ok(lt_test_find(&hash, "x-real-ip") == &lt_test_values[2], "finds x-real-ip");
    ok(lt_test_find(&hash, "Host") == NULL, "a name must be looked up lowercased");
    ok(lt_hash_find(&hash, lt_hash_key_lc((u_char *) "X-Real-Ip", 9), (u_char *) "x-real-ip",
                    9) == &lt_test_values[2], "lt_hash_key_lc gives the lookup hash");

    lt_test_keys(keys, dups, 3);
    dup = 99;
    is_int(lt_hash_init(&hash, pool, keys, 3, LT_HASH_CASELESS, &dup), LT_DECLINED,
           "Host and HOST are duplicates without case");
    is_int(dup, 2, "the duplicate is the third key");
    ok(lt_test_find(&hash, "host") == NULL, "a failed table finds nothing");

    is_int(lt_hash_init(&hash, pool, keys, 3, 0, &dup), LT_OK,
           "Host and HOST are different with case");
}


static void
lt_test_duplicates(lt_pool_t *pool)
{
    size_t          dup;
    lt_hash_t       hash;
    lt_hash_key_t   keys[8];
    static const char  *names[] = { "a", "b", "c", "b", "a" };

    lt_test_keys(keys, names, 5);
    dup = 99;
    is_int(lt_hash_init(&hash, pool, keys, 5, 0, &dup), LT_DECLINED, "duplicates declined");
    is_int(dup, 3, "the first duplicate found is the second b");

    is_int(lt_hash_init(&hash, pool, keys, 5, 0, NULL), LT_DECLINED,
           "duplicates declined without dup");

    is_int(lt_hash_init(&hash, pool, keys, 0, 0, NULL), LT_OK, "an empty table");
    ok(lt_test_find(&hash, "a") == NULL && lt_test_find(&hash, "") == NULL,
       "an empty table finds nothing");

    lt_memzero(&hash, sizeof(lt_hash_t));
    ok(lt_test_find(&hash, "a") == NULL, "a zeroed table finds nothing");
}


static void
lt_test_many(lt_pool_t *pool)
{
    size_t          i, found, missed, dup;
    lt_hash_t       hash;
    lt_hash_key_t  *keys;
    u_char         *names, *p, miss[32];

    keys = malloc(LT_TEST_MANY * sizeof(lt_hash_key_t));
    names = malloc(LT_TEST_MANY * 16);
    if (keys == NULL || names == NULL) {
        ok(0, "malloc");
        return;
    }

    for (i = 0; i < LT_TEST_MANY; i++) {
        p = names + i * 16;
        keys[i].key.data = p;
        keys[i].key.len = lt_slprintf(p, p + 16, "Key-%zu", i * 7919) - p;
        keys[i].key_hash = 0;
        keys[i].value = &keys[i];
    }

    is_int(lt_hash_init(&hash, pool, keys, LT_TEST_MANY, LT_HASH_CASELESS, &dup), LT_OK,
           "%d keys", LT_TEST_MANY);
    is_int(hash.mask + 1, 32768, "in 32768 slots");

    found = 0;
    missed = 0;

    for (i = 0; i < LT_TEST_MANY; i++) {
        p = miss;
        lt_strlow(p, keys[i].key.data, keys[i].key.len);
        found += lt_hash_find(&hash, lt_hash_key(p, keys[i].key.len), p, keys[i].key.len)
                 == &keys[i];

        p = lt_slprintf(miss, miss + sizeof(miss), "key-%zu", i * 7919 + 1);
        missed += lt_hash_find(&hash, lt_hash_key(miss, p - miss), miss, p - miss) == NULL;
    }

    is_int(found, LT_TEST_MANY, "every key found");
    is_int(missed, LT_TEST_MANY, "every absent name missed");

    free(names);
    free(keys);
}


int
main(void)
{
    lt_pool_t  *pool;

    lt_test_hash_functions();
    lt_test_crc32();

    pool = lt_create_pool(LT_DEFAULT_POOL_SIZE, NULL);
    if (pool == NULL) {
        printf("Bail out! lt_create_pool failed\n");
        return 1;
    }

    lt_test_small(pool);
    lt_test_caseless(pool);
    lt_test_duplicates(pool);
    lt_test_many(pool);

    lt_destroy_pool(pool);

    return done_testing();
}
