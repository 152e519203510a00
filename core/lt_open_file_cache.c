/*
 * lt_open_file_cache.c: the open file cache (see lt_open_file_cache.h).
 *
 * Entries are found by the CRC32 of the path in a red-black tree and kept in a
 * least-recently-used queue. An entry holds the stat() of the path, and, once the
 * path has been asked for "min_uses" times, its descriptor; or the error, when
 * errors are cached. A request that uses a cached descriptor holds the entry (a
 * pool cleanup gives it back), so an entry that leaves the cache while in use
 * lives on, out of the tree, until its last user is done.
 */

#include "lt_core.h"

typedef struct {
    lt_str_node_t       sn;         /* key: the CRC32 of the path; str: the path */
    lt_queue_t          queue;
    int                 fd;
    int                 err;
    const char         *failed;
    struct stat         st;
    time_t              created;    /* when the file system was last asked */
    time_t              accessed;
    unsigned            uses;
    unsigned            count;      /* requests holding fd */
    unsigned            removed:1;  /* out of the cache: the last user frees it */
} lt_cached_file_t;

struct lt_open_file_cache_s {
    lt_rbtree_t         tree;
    lt_rbtree_node_t    sentinel;
    lt_queue_t          lru;        /* most recently used first */
    unsigned            current;
    unsigned            max;
    time_t              inactive;
};

/* at most this many unused entries are dropped per lookup */
#define LT_OPEN_FILE_CACHE_EXPIRE  2


static void
lt_ofc_free(lt_cached_file_t *file)
{
    if (file->fd != -1) {
        (void) close(file->fd);
    }

    lt_free(file);
}


/* lt_ofc_remove: the entry leaves the cache; freed now or by its last user */
static void
lt_ofc_remove(lt_open_file_cache_t *cache, lt_cached_file_t *file)
{
    lt_rbtree_delete(&cache->tree, &file->sn.node);
    lt_queue_remove(&file->queue);
    cache->current--;

    if (file->count) {
        file->removed = 1;
        return;
    }

    lt_ofc_free(file);
}


/* the pool cleanup of a request that used a cached descriptor */
static void
lt_ofc_release(void *data)
{
    lt_cached_file_t  *file = data;

    if (--file->count == 0 && file->removed) {
        lt_ofc_free(file);
    }
}


static void
lt_ofc_cleanup(void *data)
{
    lt_queue_t            *q;
    lt_cached_file_t      *file;
    lt_open_file_cache_t  *cache = data;

    while (!lt_queue_empty(&cache->lru)) {
        q = lt_queue_last(&cache->lru);
        file = lt_queue_data(q, lt_cached_file_t, queue);
        lt_ofc_remove(cache, file);
    }
}


lt_open_file_cache_t *
lt_open_file_cache_init(lt_pool_t *pool, unsigned max, time_t inactive)
{
    lt_pool_cleanup_t     *cln;
    lt_open_file_cache_t  *cache;

    cache = lt_palloc(pool, sizeof(lt_open_file_cache_t));
    if (cache == NULL) {
        return NULL;
    }

    lt_rbtree_init(&cache->tree, &cache->sentinel, lt_str_rbtree_insert_value);
    lt_queue_init(&cache->lru);

    cache->current = 0;
    cache->max = max;
    cache->inactive = inactive;

    cln = lt_pool_cleanup_add(pool, 0);
    if (cln == NULL) {
        return NULL;
    }

    cln->handler = lt_ofc_cleanup;
    cln->data = cache;

    return cache;
}


/* lt_ofc_open: asks the file system: open() and fstat(), or stat() only; a
 * directory is not kept open */
static int
lt_ofc_open(const lt_str_t *name, lt_open_file_info_t *of)
{
    int  fd;

    of->fd = -1;

    if (of->test_only) {
        if (stat((char *) name->data, &of->st) == -1) {
            of->err = errno;
            of->failed = "stat()";
            return LT_ERROR;
        }

        return LT_OK;
    }

    fd = open((char *) name->data, O_RDONLY | O_NONBLOCK | O_CLOEXEC);

    if (fd == -1) {
        of->err = errno;
        of->failed = "open()";
        return LT_ERROR;
    }

    if (fstat(fd, &of->st) == -1) {
        of->err = errno;
        of->failed = "fstat()";
        (void) close(fd);
        return LT_ERROR;
    }

    if (S_ISDIR(of->st.st_mode)) {
        (void) close(fd);
        return LT_OK;
    }

    if (of->read_ahead && S_ISREG(of->st.st_mode)) {
        /* as nginx on Linux: the size itself is not used */
        (void) posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
    }

    of->fd = fd;

    return LT_OK;
}


/* lt_ofc_own: a descriptor the cache does not keep: pool closes it */
static int
lt_ofc_own(const lt_str_t *name, lt_open_file_info_t *of, lt_pool_t *pool)
{
    lt_pool_cleanup_t       *cln;
    lt_pool_cleanup_file_t  *clnf;

    if (of->fd == -1) {
        return LT_OK;
    }

    cln = lt_pool_cleanup_add(pool, sizeof(lt_pool_cleanup_file_t));
    if (cln == NULL) {
        (void) close(of->fd);
        of->fd = -1;
        of->err = 0;
        return LT_ERROR;
    }

    clnf = cln->data;
    clnf->fd = of->fd;
    clnf->name = name->data;
    clnf->log = pool->log;
    cln->handler = lt_pool_cleanup_file;

    return LT_OK;
}


/* lt_ofc_hold: the request uses the entry's descriptor until pool goes */
static int
lt_ofc_hold(lt_cached_file_t *file, lt_open_file_info_t *of, lt_pool_t *pool)
{
    lt_pool_cleanup_t  *cln;

    cln = lt_pool_cleanup_add(pool, 0);
    if (cln == NULL) {
        of->err = 0;
        return LT_ERROR;
    }

    cln->handler = lt_ofc_release;
    cln->data = file;

    file->count++;
    of->fd = file->fd;

    return LT_OK;
}


static void
lt_ofc_expire(lt_open_file_cache_t *cache, time_t now)
{
    int                n;
    lt_queue_t        *q;
    lt_cached_file_t  *file;

    for (n = 0; n < LT_OPEN_FILE_CACHE_EXPIRE && !lt_queue_empty(&cache->lru); n++) {
        q = lt_queue_last(&cache->lru);
        file = lt_queue_data(q, lt_cached_file_t, queue);

        if (now - file->accessed <= cache->inactive) {
            return;
        }

        lt_ofc_remove(cache, file);
    }
}


/* lt_ofc_add: a new entry for what the file system just said (of); NULL when
 * out of memory (the request goes on without the cache) */
static lt_cached_file_t *
lt_ofc_add(lt_open_file_cache_t *cache, const lt_str_t *name, uint32_t hash,
    lt_open_file_info_t *of, unsigned uses, time_t now, lt_log_t *log)
{
    lt_queue_t        *q;
    lt_cached_file_t  *file, *old;

    if (cache->current >= cache->max && !lt_queue_empty(&cache->lru)) {
        q = lt_queue_last(&cache->lru);
        old = lt_queue_data(q, lt_cached_file_t, queue);
        lt_ofc_remove(cache, old);
    }

    file = lt_alloc(sizeof(lt_cached_file_t) + name->len + 1, log);
    if (file == NULL) {
        return NULL;
    }

    lt_memzero(file, sizeof(lt_cached_file_t));

    file->sn.str.data = (u_char *) (file + 1);
    file->sn.str.len = name->len;
    memcpy(file->sn.str.data, name->data, name->len + 1);
    file->sn.node.key = hash;

    file->fd = -1;
    file->err = of->err;
    file->failed = of->failed;
    file->st = of->st;
    file->created = now;
    file->accessed = now;
    file->uses = uses;

    lt_rbtree_insert(&cache->tree, &file->sn.node);
    lt_queue_insert_head(&cache->lru, &file->queue);
    cache->current++;

    if (of->fd != -1 && uses >= of->min_uses) {
        /* from now on the cache owns the descriptor */
        file->fd = of->fd;
    }

    return file;
}


int
lt_open_cached_file(lt_open_file_cache_t *cache, const lt_str_t *name,
    lt_open_file_info_t *of, lt_pool_t *pool)
{
    time_t             now;
    uint32_t           hash;
    unsigned           uses;
    lt_str_node_t     *sn;
    lt_cached_file_t  *file;

    of->fd = -1;
    of->err = 0;
    of->failed = NULL;

    if (cache == NULL) {
        if (lt_ofc_open(name, of) != LT_OK) {
            return LT_ERROR;
        }

        return lt_ofc_own(name, of, pool);
    }

    now = lt_time();

    lt_ofc_expire(cache, now);

    hash = lt_crc32(name->data, name->len);
    sn = lt_str_rbtree_lookup(&cache->tree, name, hash);
    uses = 1;

    if (sn) {
        file = lt_container_of(sn, lt_cached_file_t, sn);

        file->uses++;
        file->accessed = now;
        lt_queue_remove(&file->queue);
        lt_queue_insert_head(&cache->lru, &file->queue);

        if (now - file->created < of->valid) {

            if (file->err) {
                of->err = file->err;
                of->failed = file->failed;
                return LT_ERROR;
            }

            if (file->fd != -1 || of->test_only || S_ISDIR(file->st.st_mode)) {
                of->st = file->st;

                if (file->fd == -1 || of->test_only) {
                    return LT_OK;
                }

                return lt_ofc_hold(file, of, pool);
            }
        }

        /* too old, or a descriptor is wanted that it has not kept yet: ask the file
         * system again, in a new entry */
        uses = file->uses;
        lt_ofc_remove(cache, file);
    }

    if (lt_ofc_open(name, of) != LT_OK) {
        if (of->errors) {
            (void) lt_ofc_add(cache, name, hash, of, uses, now, pool->log);
        }

        return LT_ERROR;
    }

    file = lt_ofc_add(cache, name, hash, of, uses, now, pool->log);

    if (file && file->fd != -1) {
        return lt_ofc_hold(file, of, pool);
    }

    return lt_ofc_own(name, of, pool);
}
