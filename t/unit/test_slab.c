/*
 * test_slab.c: the slab allocator of shared memory zones (core/lt_slab.c) and the
 * zone helpers around it (core/lt_shmem.c).
 */

#include "lt_core.h"
#include "tap.h"

#define LT_TEST_STORM_OPS    200000
#define LT_TEST_STORM_SLOTS  1024
#define LT_TEST_MAX_ALLOC    (64 * 1024)

typedef struct {
    u_char      *p;
    size_t       size;
    u_char       fill;
} lt_test_chunk_t;

static lt_log_t         lt_test_log;
static lt_cycle_t       lt_test_cycle;
static unsigned         lt_test_nlogged[LT_LOG_DEBUG + 1];
static char             lt_test_last[LT_MAX_ERROR_STR];
static uint64_t         lt_test_rng = 0x9e3779b97f4a7c15ULL;
static lt_test_chunk_t  lt_test_chunks[LT_TEST_STORM_SLOTS];
static u_char           lt_test_ref[LT_TEST_MAX_ALLOC];


/* the test's error log: remembers the last message and counts them by level */
static void
lt_test_writer(lt_log_t *log, unsigned level, u_char *buf, size_t len)
{
    len = lt_min(len, sizeof(lt_test_last) - 1);
    memcpy(lt_test_last, buf, len);
    lt_test_last[len] = '\0';

    if (level <= LT_LOG_DEBUG) {
        lt_test_nlogged[level]++;
    }
}


static int
lt_test_logged(unsigned level, const char *text)
{
    unsigned  n;

    n = lt_test_nlogged[level];
    memset(lt_test_nlogged, 0, sizeof(lt_test_nlogged));

    return n == 1 && strstr(lt_test_last, text) != NULL;
}


static uint64_t
lt_test_random(void)
{
    /* xorshift64*: fixed seed, so that a failure reproduces */
    lt_test_rng ^= lt_test_rng >> 12;
    lt_test_rng ^= lt_test_rng << 25;
    lt_test_rng ^= lt_test_rng >> 27;

    return lt_test_rng * 0x2545f4914f6cdd1dULL;
}


static void
lt_test_setup(void)
{
    size_t  n;

    lt_pid = getpid();
    lt_pagesize = (size_t) getpagesize();

    for (n = lt_pagesize, lt_pagesize_shift = 0; n >>= 1; lt_pagesize_shift++) {
        /* void */
    }

    lt_slab_sizes_init();

    /* the error log formats its lines with the cached time */
    lt_time_init();

    /* the alerts this test provokes on purpose are checked, not printed */
    lt_use_stderr = 0;

    lt_test_log.log_level = LT_LOG_INFO;
    lt_test_log.writer = lt_test_writer;
    lt_test_cycle.log = &lt_test_log;
    lt_cycle = &lt_test_cycle;
}


static lt_slab_pool_t *
lt_test_zone(lt_shm_zone_t *zn, const char *name, size_t size)
{
    memset(zn, 0, sizeof(lt_shm_zone_t));

    zn->shm.size = size;
    zn->shm.name.data = (u_char *) name;
    zn->shm.name.len = strlen(name);
    zn->shm.log = &lt_test_log;

    if (lt_shm_alloc(&zn->shm) != LT_OK) {
        return NULL;
    }

    if (lt_init_zone_pool(&lt_test_cycle, zn) != LT_OK) {
        lt_shm_free(&zn->shm);
        return NULL;
    }

    return (lt_slab_pool_t *) zn->shm.addr;
}


/* lt_test_sane: p is a usable block of size bytes of pool, aligned as promised */
static int
lt_test_sane(lt_slab_pool_t *pool, u_char *p, size_t size)
{
    size_t  align;

    if (p == NULL || p < pool->start || p + size > pool->end) {
        return 0;
    }

    for (align = pool->min_size; align < size && align < lt_pagesize; align <<= 1) {
        /* void */
    }

    return ((uintptr_t) p & (align - 1)) == 0;
}


static void
lt_test_fill(lt_test_chunk_t *ch, u_char fill)
{
    ch->fill = fill;
    memset(ch->p, fill, ch->size);
}


static int
lt_test_intact(lt_test_chunk_t *ch)
{
    memset(lt_test_ref, ch->fill, ch->size);

    return memcmp(ch->p, lt_test_ref, ch->size) == 0;
}


/* lt_test_size: mostly small sizes of every class, some page runs */
static size_t
lt_test_size(void)
{
    uint64_t  r;

    r = lt_test_random();

    if (r % 10 == 0) {
        return lt_pagesize / 2 + 1 + (size_t) ((r >> 8) % (4 * lt_pagesize));
    }

    return 1 + (size_t) ((r >> 8) % ((size_t) 1 << (1 + (r >> 40) % (lt_pagesize_shift - 1))));
}


static int
lt_test_cmp_chunks(const void *a, const void *b)
{
    const lt_test_chunk_t  *x = a, *y = b;

    return (x->p > y->p) - (x->p < y->p);
}


/* lt_test_disjoint: no two live chunks overlap (sorts the table) */
static int
lt_test_disjoint(lt_test_chunk_t *chunks, size_t n)
{
    size_t  i;

    qsort(chunks, n, sizeof(lt_test_chunk_t), lt_test_cmp_chunks);

    for (i = 1; i < n; i++) {
        if (chunks[i - 1].p != NULL && chunks[i - 1].p + chunks[i - 1].size > chunks[i].p) {
            return 0;
        }
    }

    return 1;
}


static size_t
lt_test_stats_used(lt_slab_pool_t *pool)
{
    size_t  i, used;

    used = 0;

    for (i = 0; i < lt_pagesize_shift - pool->min_shift; i++) {
        used += pool->stats[i].used;
    }

    return used;
}


static void
lt_test_layout(lt_slab_pool_t *pool, size_t size)
{
    size_t  npages;

    npages = (size_t) (pool->last - pool->pages);

    ok(((uintptr_t) pool->start & (lt_pagesize - 1)) == 0
       && pool->start + npages * lt_pagesize <= pool->end
       && (u_char *) pool->last <= pool->start,
       "zone of %zu: %zu pages, page aligned, inside the zone", size, npages);

    ok(size - npages * lt_pagesize < 2 * lt_pagesize + npages * 64,
       "zone of %zu: overhead %zu bytes", size, size - npages * lt_pagesize);

    is_str(pool->log_ctx, strlen((char *) pool->log_ctx), " in \"storm\" zone",
           "log_ctx names the zone");
}


static void
lt_test_classes(lt_slab_pool_t *pool, size_t pfree0)
{
    static const size_t  extra[] = { 0, 1, 2, 3, 4, 7, 8, 9, 100, 1000 };
    size_t               i, n, size, good;
    u_char              *p[512];

    n = 0;
    good = 1;

    for (size = 1; size <= 2 * lt_pagesize; size <<= 1) {
        for (i = 0; i < lt_nelts(extra) && n + 2 <= lt_nelts(p); i++) {
            p[n] = lt_slab_alloc(pool, size + extra[i]);
            good &= lt_test_sane(pool, p[n], size + extra[i]);
            p[n + 1] = lt_slab_alloc(pool, size - 1);
            good &= lt_test_sane(pool, p[n + 1], size - 1);
            n += 2;
        }
    }

    ok(good, "every size class and page run is aligned and inside the zone");

    for (i = 0; i < n; i++) {
        lt_slab_free(pool, p[i]);
    }

    is_int(pool->pfree, pfree0, "freeing them gives every page back");
    is_int(lt_test_stats_used(pool), 1, "only log_ctx stays in use");
}


static void
lt_test_storm_op(lt_slab_pool_t *pool, size_t *bad, size_t *fails)
{
    lt_test_chunk_t  *ch;

    ch = &lt_test_chunks[lt_test_random() % LT_TEST_STORM_SLOTS];

    if (ch->p != NULL) {
        *bad += !lt_test_intact(ch);
        lt_slab_free(pool, ch->p);
        ch->p = NULL;
        return;
    }

    ch->size = lt_test_size();
    ch->p = lt_slab_alloc(pool, ch->size);

    if (ch->p == NULL) {
        (*fails)++;
        return;
    }

    *bad += !lt_test_sane(pool, ch->p, ch->size);
    lt_test_fill(ch, (u_char) lt_test_random());
}


static void
lt_test_storm(lt_slab_pool_t *pool, size_t pfree0)
{
    size_t  i, bad, fails, live;
    u_char  *all;

    bad = 0;
    fails = 0;

    /* the zone fills up now and then: failures are expected, not logged */
    pool->log_nomem = 0;

    for (i = 0; i < LT_TEST_STORM_OPS; i++) {
        lt_test_storm_op(pool, &bad, &fails);

        if (i % 20000 == 0) {
            for (live = 0; live < LT_TEST_STORM_SLOTS; live++) {
                bad += lt_test_chunks[live].p && !lt_test_intact(&lt_test_chunks[live]);
            }
        }
    }

    for (live = 0, i = 0; i < LT_TEST_STORM_SLOTS; i++) {
        live += lt_test_chunks[i].p != NULL;
        bad += lt_test_chunks[i].p && !lt_test_intact(&lt_test_chunks[i]);
    }

    is_int(bad, 0, "storm of %d operations: every chunk sane and intact (%zu live, %zu failed)",
           LT_TEST_STORM_OPS, live, fails);

    ok(lt_test_disjoint(lt_test_chunks, LT_TEST_STORM_SLOTS), "live chunks do not overlap");
    ok(fails < LT_TEST_STORM_OPS / 10, "few allocations failed for lack of memory");

    /* free in address order, whatever the allocation order was */
    for (i = 0; i < LT_TEST_STORM_SLOTS; i++) {
        if (lt_test_chunks[i].p != NULL) {
            lt_slab_free(pool, lt_test_chunks[i].p);
            lt_test_chunks[i].p = NULL;
        }
    }

    is_int(pool->pfree, pfree0, "after the storm every page is free again");
    is_int(lt_test_stats_used(pool), 1, "the stats agree");

    /* the log_ctx slot page sits first: the rest must be one merged run */
    all = lt_slab_alloc(pool, pfree0 * lt_pagesize);
    ok(all != NULL, "the free pages merged back into one run of %zu pages", pfree0);
    lt_slab_free(pool, all);

    pool->log_nomem = 1;
}


static void
lt_test_fill_zone(lt_slab_pool_t *pool, size_t pfree0)
{
    size_t   n, i, j;
    u_char  *p[8192], *q;

    n = 0;

    /* runs first, then every class down to the smallest, until nothing is left */
    memset(lt_test_nlogged, 0, sizeof(lt_test_nlogged));

    while (n < lt_nelts(p) && (p[n] = lt_slab_alloc(pool, 2 * lt_pagesize)) != NULL) {
        n++;
    }

    ok(lt_test_logged(LT_LOG_CRIT, "lt_slab_alloc() failed: no memory in \"small\" zone"),
       "a failed allocation is logged with the zone's name");

    pool->log_nomem = 0;

    for (i = lt_pagesize; i >= pool->min_size; i >>= 1) {
        while (n < lt_nelts(p) && (p[n] = lt_slab_alloc(pool, i)) != NULL) {
            n++;
        }
    }

    ok(n < lt_nelts(p) && pool->pfree == 0, "the zone filled up after %zu allocations", n);
    ok(lt_test_nlogged[LT_LOG_CRIT] == 0, "log_nomem off: failures are not logged");

    /* shuffle, so that runs merge from either side */
    for (i = n; i > 1; i--) {
        j = lt_test_random() % i;
        q = p[i - 1];
        p[i - 1] = p[j];
        p[j] = q;
    }

    for (i = 0; i < n; i++) {
        lt_slab_free(pool, p[i]);
    }

    is_int(pool->pfree, pfree0, "all pages free again");

    q = lt_slab_alloc(pool, pfree0 * lt_pagesize);
    ok(q != NULL, "and merged into one run");
    lt_slab_free(pool, q);

    pool->log_nomem = 1;
}


static void
lt_test_bad_free(lt_slab_pool_t *pool, size_t pfree0)
{
    u_char  *p, *p8, *run, local;

    p = lt_slab_alloc(pool, 32);
    lt_slab_free(pool, p);
    lt_slab_free(pool, p);
    ok(lt_test_logged(LT_LOG_ALERT, "lt_slab_free(): chunk is already free in \"small\" zone"),
       "double free of a slot is detected");

    p = lt_slab_alloc(pool, 32);
    lt_slab_free(pool, p + 1);
    ok(lt_test_logged(LT_LOG_ALERT, "pointer to wrong chunk"), "misaligned slot pointer");

    p8 = lt_slab_alloc(pool, 8);
    lt_slab_free(pool, (u_char *) ((uintptr_t) p8 & ~(uintptr_t) (lt_pagesize - 1)));
    ok(lt_test_logged(LT_LOG_ALERT, "pointer to wrong chunk")
       || (lt_pagesize >> pool->min_shift) <= 8 * sizeof(uintptr_t),
       "pointer to a page's own bitmap");

    lt_slab_free(pool, &local);
    ok(lt_test_logged(LT_LOG_ALERT, "outside of pool"), "pointer outside the zone");

    lt_slab_free(pool, pool->start - 8);
    ok(lt_test_logged(LT_LOG_ALERT, "outside of pool"), "pointer into the zone's header");

    run = lt_slab_alloc(pool, 3 * lt_pagesize);
    lt_slab_free(pool, run + lt_pagesize);
    ok(lt_test_logged(LT_LOG_ALERT, "pointer to wrong chunk"), "pointer inside a run");

    lt_slab_free(pool, run + 8);
    ok(lt_test_logged(LT_LOG_ALERT, "pointer to wrong chunk"), "misaligned run pointer");

    lt_slab_free(pool, run);
    lt_slab_free(pool, run);
    ok(lt_test_logged(LT_LOG_ALERT, "chunk is already free"), "double free of a run");

    lt_slab_free(pool, run + 2 * lt_pagesize);
    ok(lt_test_logged(LT_LOG_ALERT, "chunk is already free"), "pointer into a free run");

    lt_slab_free(pool, p);
    lt_slab_free(pool, p8);
    ok(lt_test_nlogged[LT_LOG_ALERT] == 0 && pool->pfree == pfree0
       && lt_test_stats_used(pool) == 1,
       "the pool is intact after the bad frees");

    p = lt_slab_alloc(pool, pfree0 * lt_pagesize);
    ok(p != NULL, "and still hands out all of its pages");
    lt_slab_free(pool, p);
}


static void
lt_test_calloc(lt_slab_pool_t *pool)
{
    static const size_t  sizes[] = { 8, 24, 200, 2000, 3 * 4096 + 5 };
    size_t               i, j, zero;
    u_char              *p;

    zero = 1;

    for (i = 0; i < lt_nelts(sizes); i++) {
        /* a dirty chunk first, so that calloc has something to clear */
        p = lt_slab_alloc(pool, sizes[i]);
        memset(p, 0xa5, sizes[i]);
        lt_slab_free(pool, p);

        p = lt_slab_calloc(pool, sizes[i]);

        for (j = 0; p != NULL && j < sizes[i]; j++) {
            zero &= p[j] == 0;
        }

        zero &= p != NULL;
        lt_slab_free(pool, p);
    }

    ok(zero, "calloc returns zeroed memory");
}


/* lt_test_sizes: zones of many sizes, page multiples or not, lay out inside
 * themselves and hand out exactly the pages they count */
static void
lt_test_sizes(void)
{
    size_t           size, npages, n, good;
    u_char          *p[64];
    lt_shm_zone_t    zn;
    lt_slab_pool_t  *pool;

    good = 1;

    for (size = 2 * lt_pagesize; size < 40 * lt_pagesize; size += lt_pagesize / 3) {
        pool = lt_test_zone(&zn, "sizes", size);
        if (pool == NULL) {
            good = 0;
            break;
        }

        npages = (size_t) (pool->last - pool->pages);
        good &= pool->start + npages * lt_pagesize <= pool->end
                && (u_char *) pool->last <= pool->start
                && pool->end == zn.shm.addr + size
                && lt_align_ptr(pool->last + 1, lt_pagesize) + (npages + 1) * lt_pagesize
                   > pool->end;                 /* one page more would not fit */

        pool->log_nomem = 0;

        for (n = 0; n < lt_nelts(p) && (p[n] = lt_slab_alloc(pool, lt_pagesize)) != NULL; n++) {
            good &= lt_test_sane(pool, p[n], lt_pagesize);
        }

        good &= n == npages - 1 && pool->pfree == 0;    /* log_ctx has the first page */

        while (n) {
            lt_slab_free(pool, p[--n]);
        }

        good &= pool->pfree == npages - 1;
        lt_shm_free(&zn.shm);
    }

    ok(good, "zones of 2 to 40 pages lay out inside themselves and give out every page");
}


static void
lt_test_zone_add(void)
{
    lt_conf_t       cf;
    lt_pool_t      *pool;
    lt_shm_zone_t  *z1, *z2, *z3;
    lt_str_t        one = lt_string("one"), two = lt_string("two");
    int             tag_a, tag_b;

    pool = lt_create_pool(1024, &lt_test_log);
    ok(pool != NULL
       && lt_list_init(&lt_test_cycle.shared_memory, pool, 1, sizeof(lt_shm_zone_t)) == LT_OK,
       "a cycle's zone list");

    memset(&cf, 0, sizeof(cf));
    cf.cycle = &lt_test_cycle;
    cf.log = &lt_test_log;

    z1 = lt_shared_memory_add(&cf, &one, 0, &tag_a);
    ok(z1 != NULL && z1->shm.size == 0 && z1->tag == &tag_a && z1->shm.log == &lt_test_log
       && !z1->shm.exists && z1->data == NULL && z1->init == NULL,
       "a reference declares a zone of no size yet");

    z2 = lt_shared_memory_add(&cf, &one, 65536, &tag_a);
    ok(z2 == z1 && z1->shm.size == 65536, "the declaration gives it its size");

    z3 = lt_shared_memory_add(&cf, &two, 8192, &tag_a);
    ok(z3 != NULL && z3 != z1 && z3->shm.size == 8192
       && z3->shm.name.len == 3 && memcmp(z3->shm.name.data, "two", 3) == 0,
       "another name is another zone");

    ok(lt_shared_memory_add(&cf, &two, 0, &tag_a) == z3
       && lt_shared_memory_add(&cf, &one, 65536, &tag_a) == z1,
       "both are found again, across list parts");

    ok(lt_shared_memory_add(&cf, &one, 32768, &tag_a) == NULL
       && lt_test_logged(LT_LOG_EMERG, "the size 32768 of shared memory zone \"one\" "
                                       "conflicts with already declared size 65536"),
       "a different size is refused");

    ok(lt_shared_memory_add(&cf, &one, 65536, &tag_b) == NULL
       && lt_test_logged(LT_LOG_EMERG, "the shared memory zone \"one\" is already "
                                       "declared for a different use"),
       "another owner's zone is refused");

    lt_destroy_pool(pool);
}


static void
lt_test_zone_reuse(lt_shm_zone_t *zn, lt_slab_pool_t *pool)
{
    lt_shm_zone_t   copy;
    void           *p;

    /* a zone inherited by the next cycle keeps its allocator as it is */
    zn->shm.exists = 1;
    ok(lt_init_zone_pool(&lt_test_cycle, zn) == LT_OK && pool->mutex.sh == &pool->lock,
       "an inherited zone keeps its allocator");

    p = lt_slab_alloc(pool, 100);
    ok(p != NULL, "and still allocates");
    lt_slab_free(pool, p);

    /* the same state seen at another address is unusable: its pointers are absolute */
    copy = *zn;
    ok(lt_shm_alloc(&copy.shm) == LT_OK, "a second mapping");
    memcpy(copy.shm.addr, zn->shm.addr, sizeof(lt_slab_pool_t));
    ok(lt_init_zone_pool(&lt_test_cycle, &copy) == LT_ERROR
       && lt_test_logged(LT_LOG_EMERG, "has no equal addresses"),
       "an inherited zone at another address is refused");
    lt_shm_free(&copy.shm);

    zn->shm.exists = 0;
}


int
main(void)
{
    lt_shm_zone_t    big, small, tiny;
    lt_slab_pool_t  *pool;
    size_t           pfree0;

    plan(45);

    lt_test_setup();

    pool = lt_test_zone(&big, "storm", 1024 * 1024);
    ok(pool != NULL, "a zone of 1 MiB");
    if (pool == NULL) {
        tap_exit();
    }

    pfree0 = pool->pfree;
    lt_test_layout(pool, 1024 * 1024);
    lt_test_classes(pool, pfree0);
    lt_test_storm(pool, pfree0);
    lt_test_calloc(pool);
    is_int(pool->pfree, pfree0, "calloc frees went back too");
    lt_test_zone_reuse(&big, pool);

    pool = lt_test_zone(&small, "small", 64 * 1024);
    ok(pool != NULL, "a zone of 64 KiB");
    if (pool == NULL) {
        tap_exit();
    }

    pfree0 = pool->pfree;
    lt_test_fill_zone(pool, pfree0);
    lt_test_bad_free(pool, pfree0);

    ok(lt_test_zone(&tiny, "tiny", lt_pagesize) == NULL
       && lt_test_logged(LT_LOG_EMERG, "shared zone \"tiny\" of"),
       "a zone too small for one page is refused");

    lt_test_sizes();
    lt_test_zone_add();

    lt_shm_free(&small.shm);
    lt_shm_free(&big.shm);

    tap_exit();
}
