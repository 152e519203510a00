/*
 * lt_slab.c: the allocator of a shared memory zone (see lt_slab.h).
 *
 * A zone is laid out as
 *
 *   [lt_slab_pool_t][class list heads][class stats][page descriptors][pad][pages]
 *
 * with one descriptor per page, at the same index. Every page is in one of
 * three states, told by its descriptor's type:
 *
 *   - free: the page belongs to a run of free pages. The run's first descriptor
 *     (FREE) holds the run's length and links the run into pool->free; the last
 *     one (FREE_TAIL, when the run is longer than one page) points back to the
 *     first, so that the run ending just before a freed run is found in O(1).
 *     Descriptors inside a run (FREE_BODY) are not kept up to date: only the two
 *     ends of a free run are ever read.
 *   - a run handed out by lt_slab_alloc (more than half a page): RUN on the
 *     first page with the length, RUN_BODY on the others.
 *   - a slot page: the page is cut into slots of one size class (a power of two,
 *     `shift`), with a bitmap of the slots in use. When the bitmap fits in one
 *     word it lives in the descriptor (`map`); for the smallest classes it lives
 *     at the start of the page itself, in slots that are marked used from the
 *     start. A class's pages with a free slot are on the class's list; a full page
 *     leaves the list, and a page whose last slot is freed goes back to the free
 *     runs at once.
 *
 * Every pointer stored in the zone is absolute: the zone is mapped before the
 * workers are forked, at the same address in every process.
 */

#include "lt_core.h"

/* descriptor types; 0 is never used, so a zeroed descriptor reads as corrupt */
#define LT_SLAB_FREE        1
#define LT_SLAB_FREE_TAIL   2
#define LT_SLAB_FREE_BODY   3
#define LT_SLAB_RUN         4
#define LT_SLAB_RUN_BODY    5
#define LT_SLAB_SLOTS       6

#define LT_SLAB_MAP_BITS    (8 * sizeof(uintptr_t))
#define LT_SLAB_MAP_FULL    ((uintptr_t) -1)

/* the largest size served from slots; bigger requests take whole pages */
static size_t  lt_slab_max_size;


static void *lt_slab_alloc_slot(lt_slab_pool_t *pool, size_t shift);
static const char *lt_slab_free_slot(lt_slab_pool_t *pool, lt_slab_page_t *page,
    size_t offset);
static lt_slab_page_t *lt_slab_take_pages(lt_slab_pool_t *pool, size_t npages);
static void lt_slab_give_pages(lt_slab_pool_t *pool, lt_slab_page_t *page, size_t npages);
static void lt_slab_set_free_run(lt_slab_pool_t *pool, lt_slab_page_t *page, size_t npages);
static void lt_slab_slots_init(lt_slab_pool_t *pool, lt_slab_page_t *page, size_t shift);
static uintptr_t *lt_slab_bitmap(lt_slab_pool_t *pool, lt_slab_page_t *page, size_t *words);
static void lt_slab_log_nomem(lt_slab_pool_t *pool);


static inline lt_slab_page_t *
lt_slab_classes(lt_slab_pool_t *pool)
{
    return (lt_slab_page_t *) (pool + 1);
}


static inline size_t
lt_slab_nclasses(lt_slab_pool_t *pool)
{
    return lt_pagesize_shift - pool->min_shift;
}


static inline u_char *
lt_slab_page_addr(lt_slab_pool_t *pool, lt_slab_page_t *page)
{
    return pool->start + ((size_t) (page - pool->pages) << lt_pagesize_shift);
}


/* lt_slab_reserved: the slots a page of this class gives to its own bitmap */
static inline size_t
lt_slab_reserved(size_t shift)
{
    size_t  slots;

    slots = lt_pagesize >> shift;

    if (slots <= LT_SLAB_MAP_BITS) {
        return 0;
    }

    return ((slots / 8) + ((size_t) 1 << shift) - 1) >> shift;
}


static inline size_t
lt_slab_usable(size_t shift)
{
    return (lt_pagesize >> shift) - lt_slab_reserved(shift);
}


static inline void
lt_slab_list_insert(lt_slab_page_t *head, lt_slab_page_t *page)
{
    page->next = head->next;
    page->prev = head;
    head->next->prev = page;
    head->next = page;
}


static inline void
lt_slab_list_remove(lt_slab_page_t *page)
{
    page->prev->next = page->next;
    page->next->prev = page->prev;
    page->next = NULL;
    page->prev = NULL;
}


void
lt_slab_sizes_init(void)
{
    lt_slab_max_size = lt_pagesize / 2;
}


void
lt_slab_init(lt_slab_pool_t *pool)
{
    u_char          *p;
    size_t           i, n, npages;
    lt_slab_page_t  *classes;

    if (lt_slab_max_size == 0) {
        lt_slab_sizes_init();
    }

    pool->min_size = (size_t) 1 << pool->min_shift;

    n = lt_slab_nclasses(pool);
    classes = lt_slab_classes(pool);

    for (i = 0; i < n; i++) {
        lt_memzero(&classes[i], sizeof(lt_slab_page_t));
        classes[i].next = &classes[i];
        classes[i].prev = &classes[i];
    }

    pool->stats = (lt_slab_stat_t *) (classes + n);
    lt_memzero(pool->stats, n * sizeof(lt_slab_stat_t));

    pool->pages = (lt_slab_page_t *) (pool->stats + n);

    /* each page costs itself plus its descriptor; the alignment of the first
     * page may waste up to a page, which the second estimate gives back */
    p = (u_char *) pool->pages;
    npages = pool->end > p ? (size_t) (pool->end - p) / (lt_pagesize + sizeof(lt_slab_page_t))
                           : 0;

    for ( ;; ) {
        pool->start = lt_align_ptr(p + npages * sizeof(lt_slab_page_t), lt_pagesize);

        if (npages == 0 || (size_t) (pool->end - pool->start) >= npages * lt_pagesize) {
            break;
        }

        npages--;
    }

    pool->last = pool->pages + npages;
    pool->pfree = npages;

    pool->free.next = &pool->free;
    pool->free.prev = &pool->free;

    for (i = 0; i < npages; i++) {
        lt_memzero(&pool->pages[i], sizeof(lt_slab_page_t));
        pool->pages[i].type = LT_SLAB_FREE_BODY;
    }

    if (npages) {
        lt_slab_set_free_run(pool, pool->pages, npages);
    }

    pool->zero = '\0';
    pool->log_ctx = &pool->zero;
    pool->log_nomem = 1;
}


void *
lt_slab_alloc(lt_slab_pool_t *pool, size_t size)
{
    void  *p;

    lt_shmtx_lock(&pool->mutex);
    p = lt_slab_alloc_locked(pool, size);
    lt_shmtx_unlock(&pool->mutex);

    return p;
}


void *
lt_slab_calloc(lt_slab_pool_t *pool, size_t size)
{
    void  *p;

    lt_shmtx_lock(&pool->mutex);
    p = lt_slab_calloc_locked(pool, size);
    lt_shmtx_unlock(&pool->mutex);

    return p;
}


void *
lt_slab_alloc_locked(lt_slab_pool_t *pool, size_t size)
{
    void            *p;
    size_t           shift, npages;
    lt_slab_page_t  *page;

    if (size <= lt_slab_max_size) {

        for (shift = pool->min_shift; ((size_t) 1 << shift) < size; shift++) {
            /* void */
        }

        p = lt_slab_alloc_slot(pool, shift);

    } else {
        npages = (size >> lt_pagesize_shift) + ((size & (lt_pagesize - 1)) ? 1 : 0);
        page = lt_slab_take_pages(pool, npages);
        p = page ? lt_slab_page_addr(pool, page) : NULL;
    }

    if (p == NULL) {
        lt_slab_log_nomem(pool);
    }

    return p;
}


void *
lt_slab_calloc_locked(lt_slab_pool_t *pool, size_t size)
{
    void  *p;

    p = lt_slab_alloc_locked(pool, size);

    if (p != NULL) {
        lt_memzero(p, size);
    }

    return p;
}


void
lt_slab_free(lt_slab_pool_t *pool, void *p)
{
    lt_shmtx_lock(&pool->mutex);
    lt_slab_free_locked(pool, p);
    lt_shmtx_unlock(&pool->mutex);
}


void
lt_slab_free_locked(lt_slab_pool_t *pool, void *p)
{
    u_char          *addr;
    size_t           offset;
    const char      *err;
    lt_slab_page_t  *page;
    lt_log_t        *log;

    addr = p;

    if (addr < pool->start
        || (size_t) (addr - pool->start) >= (size_t) (pool->last - pool->pages) * lt_pagesize)
    {
        err = "outside of pool";
        goto failed;
    }

    page = &pool->pages[(size_t) (addr - pool->start) >> lt_pagesize_shift];
    offset = (size_t) (addr - pool->start) & (lt_pagesize - 1);

    switch (page->type) {

    case LT_SLAB_SLOTS:
        err = lt_slab_free_slot(pool, page, offset);
        break;

    case LT_SLAB_RUN:
        if (offset != 0) {
            err = "pointer to wrong chunk";
            break;
        }

        lt_slab_give_pages(pool, page, page->n);
        err = NULL;
        break;

    case LT_SLAB_RUN_BODY:
        err = "pointer to wrong chunk";
        break;

    default:
        err = "chunk is already free";
        break;
    }

    if (err == NULL) {
        return;
    }

failed:

    /* a bad free is a bug in the caller; the pool is left exactly as it was */
    if (lt_cycle != NULL && lt_cycle->log != NULL) {
        log = lt_cycle->log;
        lt_log_error(LT_LOG_ALERT, log, 0, "lt_slab_free(): %s%s", err, pool->log_ctx);
    }
}


/* lt_slab_alloc_slot: a slot of class shift; NULL when no page is left */
static void *
lt_slab_alloc_slot(lt_slab_pool_t *pool, size_t shift)
{
    size_t           cls, words, i, bit;
    uintptr_t       *map;
    lt_slab_page_t  *head, *page;
    lt_slab_stat_t  *stat;

    cls = shift - pool->min_shift;
    head = &lt_slab_classes(pool)[cls];
    stat = &pool->stats[cls];

    stat->reqs++;

    page = head->next;

    if (page == head) {
        page = lt_slab_take_pages(pool, 1);
        if (page == NULL) {
            stat->fails++;
            return NULL;
        }

        lt_slab_slots_init(pool, page, shift);
        lt_slab_list_insert(head, page);
        stat->total += lt_slab_usable(shift);
    }

    /* a page on the list has a free slot, so some word is not full */
    map = lt_slab_bitmap(pool, page, &words);

    for (i = 0; i < words && map[i] == LT_SLAB_MAP_FULL; i++) {
        /* void */
    }

    if (i == words) {
        /* only a stray write into the zone gets here: keep the page off the list */
        lt_slab_list_remove(page);
        stat->fails++;
        return NULL;
    }

    bit = (size_t) __builtin_ctzll((unsigned long long) ~map[i]);
    map[i] |= (uintptr_t) 1 << bit;

    if (++page->n == lt_slab_usable(shift)) {
        lt_slab_list_remove(page);
    }

    stat->used++;

    return lt_slab_page_addr(pool, page) + ((i * LT_SLAB_MAP_BITS + bit) << shift);
}


/* lt_slab_free_slot: frees the slot at offset in page; the reason when the
 * pointer is not a slot in use, NULL when freed */
static const char *
lt_slab_free_slot(lt_slab_pool_t *pool, lt_slab_page_t *page, size_t offset)
{
    size_t           shift, slot, words, usable;
    uintptr_t       *map, bit;
    lt_slab_stat_t  *stat;

    shift = page->shift;

    if (offset & (((size_t) 1 << shift) - 1)) {
        return "pointer to wrong chunk";
    }

    slot = offset >> shift;

    if (slot < lt_slab_reserved(shift)) {
        return "pointer to wrong chunk";        /* the page's own bitmap */
    }

    map = lt_slab_bitmap(pool, page, &words);
    bit = (uintptr_t) 1 << (slot % LT_SLAB_MAP_BITS);

    if ((map[slot / LT_SLAB_MAP_BITS] & bit) == 0) {
        return "chunk is already free";
    }

    map[slot / LT_SLAB_MAP_BITS] &= ~bit;

    stat = &pool->stats[shift - pool->min_shift];
    stat->used--;

    usable = lt_slab_usable(shift);

    if (page->n == usable) {
        /* it was full, so off the list: it has a free slot again */
        lt_slab_list_insert(&lt_slab_classes(pool)[shift - pool->min_shift], page);
    }

    if (--page->n == 0) {
        lt_slab_list_remove(page);
        stat->total -= usable;
        lt_slab_give_pages(pool, page, 1);
    }

    return NULL;
}


/* lt_slab_take_pages: the first free run long enough, split; NULL if none */
static lt_slab_page_t *
lt_slab_take_pages(lt_slab_pool_t *pool, size_t npages)
{
    size_t           i;
    lt_slab_page_t  *page;

    for (page = pool->free.next; page != &pool->free; page = page->next) {

        if (page->n < npages) {
            continue;
        }

        lt_slab_list_remove(page);

        if (page->n > npages) {
            lt_slab_set_free_run(pool, page + npages, page->n - npages);
        }

        page->type = LT_SLAB_RUN;
        page->n = (uint32_t) npages;

        for (i = 1; i < npages; i++) {
            page[i].type = LT_SLAB_RUN_BODY;
        }

        pool->pfree -= npages;

        return page;
    }

    return NULL;
}


/* lt_slab_give_pages: returns a run to the free runs, merged with its free
 * neighbours on both sides */
static void
lt_slab_give_pages(lt_slab_pool_t *pool, lt_slab_page_t *page, size_t npages)
{
    size_t           i;
    lt_slab_page_t  *next, *prev;

    pool->pfree += npages;

    /* a later free of a pointer into these pages must read "already free" */
    for (i = 0; i < npages; i++) {
        page[i].type = LT_SLAB_FREE_BODY;
    }

    next = page + npages;

    if (next < pool->last && next->type == LT_SLAB_FREE) {
        lt_slab_list_remove(next);
        npages += next->n;
    }

    if (page > pool->pages) {
        prev = page - 1;

        if (prev->type == LT_SLAB_FREE_TAIL) {
            prev = prev->next;
        }

        if (prev->type == LT_SLAB_FREE) {
            lt_slab_list_remove(prev);
            npages += prev->n;
            page = prev;
        }
    }

    lt_slab_set_free_run(pool, page, npages);
}


/* lt_slab_set_free_run: marks both ends of a free run and lists it */
static void
lt_slab_set_free_run(lt_slab_pool_t *pool, lt_slab_page_t *page, size_t npages)
{
    lt_slab_page_t  *tail;

    page->type = LT_SLAB_FREE;
    page->n = (uint32_t) npages;

    if (npages > 1) {
        tail = page + npages - 1;
        tail->type = LT_SLAB_FREE_TAIL;
        tail->next = page;      /* not on any list: the link names the run's head */
        tail->prev = NULL;
    }

    lt_slab_list_insert(&pool->free, page);
}


static void
lt_slab_slots_init(lt_slab_pool_t *pool, lt_slab_page_t *page, size_t shift)
{
    size_t      slots, words, reserved, i;
    uintptr_t  *map;

    page->type = LT_SLAB_SLOTS;
    page->shift = (uint16_t) shift;
    page->n = 0;

    map = lt_slab_bitmap(pool, page, &words);
    slots = lt_pagesize >> shift;

    if (slots < LT_SLAB_MAP_BITS) {
        /* the bits past the last slot read as used, so "full" is all ones */
        *map = LT_SLAB_MAP_FULL << slots;

    } else {
        lt_memzero(map, words * sizeof(uintptr_t));
    }

    reserved = lt_slab_reserved(shift);

    for (i = 0; i < reserved; i++) {
        map[i / LT_SLAB_MAP_BITS] |= (uintptr_t) 1 << (i % LT_SLAB_MAP_BITS);
    }
}


/* lt_slab_bitmap: the slot bitmap of a slot page and its length in words */
static uintptr_t *
lt_slab_bitmap(lt_slab_pool_t *pool, lt_slab_page_t *page, size_t *words)
{
    size_t  slots;

    slots = lt_pagesize >> page->shift;

    if (slots <= LT_SLAB_MAP_BITS) {
        *words = 1;
        return &page->map;
    }

    *words = slots / LT_SLAB_MAP_BITS;

    return (uintptr_t *) lt_slab_page_addr(pool, page);
}


static void
lt_slab_log_nomem(lt_slab_pool_t *pool)
{
    lt_log_t  *log;

    if (!pool->log_nomem || lt_cycle == NULL || lt_cycle->log == NULL) {
        return;
    }

    log = lt_cycle->log;

    lt_log_error(LT_LOG_CRIT, log, 0, "lt_slab_alloc() failed: no memory%s", pool->log_ctx);
}
