/*
 * test_pool.c: memory pools: alignment, blocks, large allocations, lt_pfree,
 * zeroing, cleanups, reset, footprint; with the debug pool, the failure
 * injector (LINTEL_POOL_FAIL).
 *
 * The injector reads LINTEL_POOL_FAIL once, at the first pool allocation of the
 * process. So main() removes it from the environment before anything else, and
 * the injection tests run in children forked before the parent's first
 * allocation, each setting the variable first.
 */

#include "lt_core.h"
#include "tap.h"

/* AddressSanitizer aborts on a failed allocation rather than returning NULL */
#if defined(__SANITIZE_ADDRESS__)
#define LT_TEST_ASAN  1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define LT_TEST_ASAN  1
#endif
#endif

static lt_log_t  lt_test_log;       /* level 0: logs nothing */
static int       lt_test_order[8];
static int       lt_test_norder;


/* lt_test_nblocks: blocks in the pool, the first included */
static size_t
lt_test_nblocks(lt_pool_t *pool)
{
    size_t            n;
    lt_pool_block_t  *b;

    for (n = 1, b = pool->first.next; b; b = b->next) {
        n++;
    }

    return n;
}


#if !(LT_DEBUG_POOL)

/* lt_test_in_a_block: [p, p + size) lies inside one of the pool's blocks */
static int
lt_test_in_a_block(lt_pool_t *pool, u_char *p, size_t size)
{
    lt_pool_block_t  *b;

    for (b = &pool->first; b; b = b->next) {
        if (p >= (u_char *) b && p + size <= b->end) {
            return 1;
        }
    }

    return 0;
}

#endif


/* lt_test_child: runs fn in a child process; its exit status, or -1 when it did
 * not exit normally */
static int
lt_test_child(int (*fn)(void))
{
    int    status;
    pid_t  pid;

    fflush(stdout);

    pid = fork();
    if (pid == -1) {
        return -1;
    }

    if (pid == 0) {
        _exit(fn());
    }

    if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status)) {
        return -1;
    }

    return WEXITSTATUS(status);
}


static void
lt_test_create(void)
{
    lt_pool_t  *pool;

    pool = lt_create_pool(10, NULL);
    ok(pool != NULL, "a pool smaller than the minimum");
    is_int(lt_pool_footprint(pool), LT_MIN_POOL_SIZE, "gets the minimum size");
    is_int(pool->max, LT_MIN_POOL_SIZE - sizeof(lt_pool_t), "and serves what fits from it");
    lt_destroy_pool(pool);

    pool = lt_create_pool(LT_DEFAULT_POOL_SIZE, &lt_test_log);
    is_int(lt_pool_footprint(pool), LT_DEFAULT_POOL_SIZE, "a default pool holds one block");
    is_int(pool->max, LT_MAX_ALLOC_FROM_POOL, "and serves up to LT_MAX_ALLOC_FROM_POOL");
    ok(pool->log == &lt_test_log && pool->cleanup == NULL && pool->large == NULL,
       "with its log and nothing else");
    lt_destroy_pool(pool);
}


static void
lt_test_alignment(void)
{
    int         i, bad;
    u_char     *p;
    lt_pool_t  *pool;

    pool = lt_create_pool(1024, NULL);
    bad = 0;

    for (i = 0; i < 300; i++) {
        p = lt_pnalloc(pool, i % 7 + 1);
        bad += (p == NULL);

        p = lt_palloc(pool, i % 13 + 1);
        bad += (p == NULL || (uintptr_t) p % LT_ALIGNMENT != 0);
    }

    is_int(bad, 0, "lt_palloc is aligned after odd lt_pnalloc sizes, across blocks");

    p = lt_pmemalign(pool, 100, 4096);
    ok(p != NULL && (uintptr_t) p % 4096 == 0, "lt_pmemalign aligns to 4096");
    is_int(lt_pfree(pool, p), LT_OK, "and lt_pfree gives it back");

    lt_destroy_pool(pool);
}


static void
lt_test_small(void)
{
    size_t       i, j, size, bad, outside, total;
    u_char      *p[600];
    lt_pool_t   *pool;

    pool = lt_create_pool(1024, NULL);
    total = 0;
    bad = 0;

    for (i = 0; i < 600; i++) {
        size = i % 100 + 1;
        p[i] = (i % 2) ? lt_pnalloc(pool, size) : lt_palloc(pool, size);
        bad += (p[i] == NULL);
        total += size;

        if (p[i]) {
            lt_memset(p[i], (int) (i & 0xff), size);
        }
    }

    is_int(bad, 0, "600 small allocations");

    /* every allocation still holds its own pattern: none overlaps another */

    outside = 0;

    for (i = 0; i < 600 && bad == 0; i++) {
        size = i % 100 + 1;

        for (j = 0; j < size; j++) {
            bad += (p[i][j] != (u_char) (i & 0xff));
        }

#if !(LT_DEBUG_POOL)
        outside += !lt_test_in_a_block(pool, p[i], size);
#endif
    }

    is_int(bad, 0, "no allocation overlaps another");

#if (LT_DEBUG_POOL)
    (void) outside;
    is_int(lt_pool_footprint(pool), 1024 + total, "debug pool: footprint counts each");
#else
    is_int(outside, 0, "each lies inside a block");
    ok(lt_test_nblocks(pool) > total / 1024, "spread over %zu blocks",
       lt_test_nblocks(pool));
    is_int(lt_pool_footprint(pool), lt_test_nblocks(pool) * 1024,
           "footprint is the blocks");
#endif

    lt_destroy_pool(pool);
}


static void
lt_test_large(void)
{
    size_t      f0;
    u_char     *p, *q;
    lt_pool_t  *pool;

    pool = lt_create_pool(LT_DEFAULT_POOL_SIZE, NULL);
    f0 = lt_pool_footprint(pool);

    p = lt_palloc(pool, 10000);
    ok(p != NULL && (uintptr_t) p % LT_ALIGNMENT == 0, "a large allocation");
    lt_memset(p, 0x5a, 10000);
    is_int(lt_pool_footprint(pool), f0 + 10000, "footprint grows by its size");

    is_int(lt_pfree(pool, p), LT_OK, "lt_pfree frees it");
    is_int(lt_pool_footprint(pool), f0, "footprint shrinks back");
    is_int(lt_pfree(pool, p), LT_DECLINED, "a second lt_pfree declines");

    q = lt_pnalloc(pool, 5000);
    ok(q != NULL, "another large allocation after a free");
    is_int(lt_pool_footprint(pool), f0 + 5000, "footprint counts only the live one");

    p = lt_palloc(pool, 8);
#if (LT_DEBUG_POOL)
    is_int(lt_pfree(pool, p), LT_OK, "debug pool: lt_pfree frees small allocations too");
#else
    is_int(lt_pfree(pool, p), LT_DECLINED, "lt_pfree declines block memory");
#endif

    p = lt_pmemalign(pool, 3000, 64);
    ok(p != NULL && (uintptr_t) p % 64 == 0, "lt_pmemalign");
    is_int(lt_pool_footprint(pool), f0 + 5000 + 3000, "is counted in the footprint");

    lt_destroy_pool(pool);
}


static void
lt_test_calloc(void)
{
    size_t      i, nonzero;
    u_char     *p, *q;
    lt_pool_t  *pool;

    pool = lt_create_pool(1024, NULL);

    /* dirty the memory, rewind, and get the same memory back zeroed */

    p = lt_palloc(pool, 200);
    lt_memset(p, 0xaa, 200);
    lt_reset_pool(pool);

    q = lt_pcalloc(pool, 200);
#if !(LT_DEBUG_POOL)
    ok(q == p, "after a reset the same memory comes back");
#endif

    for (nonzero = 0, i = 0; i < 200; i++) {
        nonzero += (q[i] != 0);
    }

    is_int(nonzero, 0, "lt_pcalloc zeroes it");

    q = lt_pcalloc(pool, 6000);

    for (nonzero = 0, i = 0; q && i < 6000; i++) {
        nonzero += (q[i] != 0);
    }

    ok(q != NULL && nonzero == 0, "lt_pcalloc zeroes a large allocation");

    lt_destroy_pool(pool);

    q = lt_calloc(100, NULL);

    for (nonzero = 0, i = 0; q && i < 100; i++) {
        nonzero += (q[i] != 0);
    }

    ok(q != NULL && nonzero == 0, "lt_calloc zeroes");
    lt_free(q);
}


static void
lt_test_cleanup_record(void *data)
{
    if (lt_test_norder < (int) lt_nelts(lt_test_order)) {
        lt_test_order[lt_test_norder++] = data ? *(int *) data : 4;
    }
}


/* lt_test_add_cleanup: a recording cleanup with id as its data (id 4: no data) */
static lt_pool_cleanup_t *
lt_test_add_cleanup(lt_pool_t *pool, int id)
{
    lt_pool_cleanup_t  *c;

    c = lt_pool_cleanup_add(pool, id == 4 ? 0 : sizeof(int));
    if (c == NULL) {
        return NULL;
    }

    if (id != 4) {
        *(int *) c->data = id;
    }

    c->handler = lt_test_cleanup_record;

    return c;
}


static void
lt_test_cleanups(void)
{
    lt_pool_t          *pool;
    lt_pool_cleanup_t  *c;

    pool = lt_create_pool(1024, NULL);

    lt_test_add_cleanup(pool, 1);
    c = lt_test_add_cleanup(pool, 2);
    c->handler = NULL;          /* disarmed: skipped */
    lt_test_add_cleanup(pool, 3);
    c = lt_test_add_cleanup(pool, 4);
    ok(c != NULL && c->data == NULL, "a cleanup without data");

    lt_test_norder = 0;
    lt_destroy_pool(pool);

    ok(lt_test_norder == 3 && lt_test_order[0] == 4 && lt_test_order[1] == 3
       && lt_test_order[2] == 1, "cleanups run last registered first, disarmed ones not");

    /* lt_reset_pool drops cleanups without running them */

    pool = lt_create_pool(1024, NULL);
    lt_test_add_cleanup(pool, 1);
    lt_test_norder = 0;
    lt_reset_pool(pool);
    ok(pool->cleanup == NULL, "lt_reset_pool drops the cleanups");
    lt_destroy_pool(pool);
    is_int(lt_test_norder, 0, "without running them");
}


/* lt_test_add_file: a file cleanup for fd */
static void
lt_test_add_file(lt_pool_t *pool, int fd)
{
    lt_pool_cleanup_t       *c;
    lt_pool_cleanup_file_t  *cf;

    c = lt_pool_cleanup_add(pool, sizeof(lt_pool_cleanup_file_t));
    c->handler = lt_pool_cleanup_file;
    cf = c->data;
    cf->fd = fd;
    cf->name = (u_char *) "pipe";
    cf->log = &lt_test_log;
}


static void
lt_test_cleanup_file(void)
{
    int         fds[2], fd;
    lt_pool_t  *pool;

    if (pipe(fds) == -1) {
        ok(0, "pipe() failed");
        return;
    }

    pool = lt_create_pool(1024, NULL);
    lt_test_add_file(pool, fds[0]);
    lt_test_add_file(pool, fds[1]);

    lt_pool_run_cleanup_file(pool, fds[0]);
    ok(fcntl(fds[0], F_GETFD) == -1 && errno == EBADF, "lt_pool_run_cleanup_file closes");

    /* the number is free again: whoever gets it next must not lose it at destroy */
    fd = dup(fds[1]);
    ok(fd == fds[0], "the fd number is reused");

    lt_destroy_pool(pool);

    ok(fcntl(fd, F_GETFD) != -1, "a cleanup run early is not run again");
    ok(fcntl(fds[1], F_GETFD) == -1 && errno == EBADF, "lt_destroy_pool closes the other");

    close(fd);
}


static void
lt_test_reset(void)
{
    int         i, bad;
    size_t      nblocks, f;
    u_char     *p;
    lt_pool_t  *pool;

    pool = lt_create_pool(1024, NULL);

    for (i = 0, bad = 0; i < 100; i++) {
        bad += lt_palloc(pool, 50) == NULL;
    }

    bad += lt_palloc(pool, 5000) == NULL;
    nblocks = lt_test_nblocks(pool);
    f = lt_pool_footprint(pool);

    is_int(bad, 0, "101 allocations");

#if (LT_DEBUG_POOL)
    (void) nblocks;
    is_int(f, 1024 + 100 * 50 + 5000, "debug pool: footprint of 101 allocations");
#else
    ok(nblocks > 4, "over %zu blocks", nblocks);
    is_int(f, nblocks * 1024 + 5000, "footprint is the blocks and the large one");
#endif

    lt_reset_pool(pool);

#if (LT_DEBUG_POOL)
    is_int(lt_pool_footprint(pool), 1024, "after a reset, only the pool is left");
#else
    is_int(lt_pool_footprint(pool), nblocks * 1024, "a reset frees the large one");

    p = lt_palloc(pool, 16);
    ok(p == (u_char *) pool + sizeof(lt_pool_t), "and allocates from the start again");
#endif

    for (i = 0, bad = 0; i < 100; i++) {
        bad += lt_palloc(pool, 50) == NULL;
    }

    is_int(bad, 0, "allocations after a reset");
#if (LT_DEBUG_POOL)
    (void) p;
#else
    is_int(lt_test_nblocks(pool), nblocks, "reuse the blocks kept");
#endif

    lt_destroy_pool(pool);
}


/*
 * A pool whose size is not a multiple of LT_ALIGNMENT: once a block's free space
 * ends less than LT_ALIGNMENT before its end, aligning `last` must not carry an
 * allocation past the end of the block.
 */
static void
lt_test_odd_size(void)
{
#if !(LT_DEBUG_POOL)
    u_char     *p;
    lt_pool_t  *pool;

    pool = lt_create_pool(LT_MIN_POOL_SIZE + 3, NULL);

    p = lt_pnalloc(pool, pool->max);
    ok(p != NULL && pool->first.last == pool->first.end, "an odd-sized block filled up");

    p = lt_palloc(pool, 1);
    ok(pool->first.last <= pool->first.end, "an aligned allocation stays inside the block");
    ok(p != NULL && lt_test_in_a_block(pool, p, 1), "and is served from a block");

    lt_destroy_pool(pool);
#endif
}


/* in a child: posix_memalign() failing (ENOMEM) in a pool without a log must be
 * a NULL return, not a crash */
static int
lt_test_memalign_no_log(void)
{
    void       *p;
    lt_pool_t  *pool;

    pool = lt_create_pool(1024, NULL);
    p = lt_pmemalign(pool, SIZE_MAX / 2, 64);
    lt_destroy_pool(pool);

    return p == NULL ? 0 : 1;
}


#if (LT_DEBUG_POOL)

static int  lt_test_fail_cleanups;


static void
lt_test_fail_cleanup(void *data)
{
    lt_test_fail_cleanups++;
}


/* in a child, with LINTEL_POOL_FAIL=3: every third allocation fails; the exit
 * status has a bit set for each check that went wrong */
static int
lt_test_fail_every_third(void)
{
    int                 rc;
    void               *p[6];
    lt_pool_t          *pool;
    lt_pool_cleanup_t  *c[4];

    setenv("LINTEL_POOL_FAIL", "3", 1);

    pool = lt_create_pool(1024, NULL);     /* not a pool allocation: not counted */
    if (pool == NULL) {
        return 0x80;
    }

    p[0] = lt_palloc(pool, 10);             /* 1 */
    p[1] = lt_pnalloc(pool, 10);            /* 2 */
    p[2] = lt_pcalloc(pool, 10);            /* 3: fails */
    p[3] = lt_palloc(pool, 5000);           /* 4 */
    p[4] = lt_pmemalign(pool, 64, 64);      /* 5 */
    p[5] = lt_palloc(pool, 10);             /* 6: fails */

    c[0] = lt_pool_cleanup_add(pool, 16);   /* 7, 8 */
    c[1] = lt_pool_cleanup_add(pool, 16);   /* 9: the cleanup fails */
    c[2] = lt_pool_cleanup_add(pool, 16);   /* 10, 11 */
    c[3] = lt_pool_cleanup_add(pool, 16);   /* 12: its data fails */

    rc = 0;
    rc |= (p[0] && p[1]) ? 0 : 0x01;
    rc |= (p[2] == NULL) ? 0 : 0x02;
    rc |= (p[3] && p[4]) ? 0 : 0x04;
    rc |= (p[5] == NULL) ? 0 : 0x08;
    rc |= (c[0] && c[1] == NULL && c[2] && c[3] == NULL) ? 0 : 0x10;

    if (c[0] && c[2]) {
        c[0]->handler = lt_test_fail_cleanup;
        c[2]->handler = lt_test_fail_cleanup;
    }

    lt_destroy_pool(pool);

    rc |= (lt_test_fail_cleanups == 2) ? 0 : 0x20;

    return rc;
}


/* in a child, with a LINTEL_POOL_FAIL that is not a number: no failures */
static int
lt_test_fail_junk(void)
{
    int         i, failed;
    lt_pool_t  *pool;

    setenv("LINTEL_POOL_FAIL", "abc", 1);

    pool = lt_create_pool(1024, NULL);
    failed = 0;

    for (i = 0; i < 100; i++) {
        failed += lt_palloc(pool, 10) == NULL;
    }

    lt_destroy_pool(pool);

    return failed ? 1 : 0;
}


static void
lt_test_fail_injection(void)
{
    int  rc;

    rc = lt_test_child(lt_test_fail_every_third);

    ok(rc >= 0 && (rc & 0x80) == 0, "LINTEL_POOL_FAIL=3: the child ran");
    ok(rc >= 0 && (rc & 0x01) == 0, "allocations 1 and 2 succeed");
    ok(rc >= 0 && (rc & 0x02) == 0, "allocation 3 (lt_pcalloc) fails");
    ok(rc >= 0 && (rc & 0x04) == 0, "allocations 4 and 5 (large, lt_pmemalign) succeed");
    ok(rc >= 0 && (rc & 0x08) == 0, "allocation 6 fails");
    ok(rc >= 0 && (rc & 0x10) == 0, "lt_pool_cleanup_add fails when either part does");
    ok(rc >= 0 && (rc & 0x20) == 0, "the cleanups that were added run");

    is_int(lt_test_child(lt_test_fail_junk), 0, "LINTEL_POOL_FAIL=abc injects nothing");
}

#endif


int
main(void)
{
    /* before the first pool allocation of this process: see the top of the file */
    unsetenv("LINTEL_POOL_FAIL");

#if (LT_DEBUG_POOL)
    lt_test_fail_injection();
#endif

    lt_test_create();
    lt_test_alignment();
    lt_test_small();
    lt_test_large();
    lt_test_calloc();
    lt_test_cleanups();
    lt_test_cleanup_file();
    lt_test_reset();
    lt_test_odd_size();

#if (LT_TEST_ASAN)
    (void) lt_test_memalign_no_log;
    (void) lt_test_child;
    ok(1, "lt_pmemalign failing without a log # SKIP AddressSanitizer aborts instead");
#else
    is_int(lt_test_child(lt_test_memalign_no_log), 0,
           "lt_pmemalign failing in a pool without a log returns NULL");
#endif

    return done_testing();
}
