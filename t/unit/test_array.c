/*
 * test_array.c: pool arrays (growth in place and by copy, destroy), lists of
 * parts, and the queue's middle and stable sort.
 */

#include "lt_core.h"
#include "tap.h"

typedef struct {
    int          key;
    int          seq;
    lt_queue_t   link;
} lt_test_item_t;


static void
lt_test_array_push(void)
{
    int          i, *v, bad;
    lt_pool_t   *pool;
    lt_array_t  *a;

    pool = lt_create_pool(1024, NULL);

    a = lt_array_create(pool, 2, sizeof(int));
    ok(a != NULL && a->nelts == 0 && a->nalloc == 2 && a->size == sizeof(int)
       && a->pool == pool, "lt_array_create");

    for (i = 0, bad = 0; i < 5000; i++) {
        v = lt_array_push(a);
        if (v == NULL) {
            bad++;
            break;
        }
        *v = i * 3;
    }

    is_int(bad, 0, "5000 pushes");
    ok(a->nelts == 5000 && a->nalloc >= 5000, "nelts 5000, nalloc %zu", a->nalloc);

    for (i = 0, bad = 0, v = a->elts; i < 5000; i++) {
        bad += (v[i] != i * 3);
    }

    is_int(bad, 0, "the elements survive growing");

    v = lt_array_push_n(a, 0);
    ok(v == (int *) a->elts + 5000 && a->nelts == 5000, "push_n of nothing");

    lt_destroy_pool(pool);
}


static void
lt_test_array_growth(void)
{
    int         *v, *elts;
    void        *p;
    lt_pool_t   *pool;
    lt_array_t  *a;

    pool = lt_create_pool(1024, NULL);
    a = lt_array_create(pool, 4, sizeof(int));
    v = lt_array_push_n(a, 4);
    v[0] = 10, v[1] = 11, v[2] = 12, v[3] = 13;
    elts = a->elts;

    /* the array is the last allocation: it grows in place, by what it needs */

    v = lt_array_push(a);
    *v = 14;
#if (LT_DEBUG_POOL)
    ok(a->elts != elts && a->nalloc == 8, "debug pool: a push past nalloc moves");
#else
    ok(a->elts == elts && a->nalloc == 5, "a push grows the last allocation in place");
    ok(pool->current->last == (u_char *) (elts + 5), "the block's free space shrinks");
#endif

    v = lt_array_push_n(a, 3);
#if !(LT_DEBUG_POOL)
    ok(a->elts == elts && a->nalloc == 8, "push_n grows in place too");
#endif

    /* something allocated after it: growing copies to twice the size */

    p = lt_palloc(pool, 8);
    elts = a->elts;
    v = lt_array_push(a);
    *v = 18;
    ok(v != NULL && a->elts != elts && a->nalloc == 16 && a->nelts == 9,
       "a push past nalloc copies to twice the size");

    v = a->elts;
    ok(v[0] == 10 && v[4] == 14 && v[8] == 18, "the elements are copied");

    /* push_n past the end: twice max(n, nalloc) */

    p = lt_palloc(pool, 8);
    v = lt_array_push_n(a, 40);
    ok(v == (int *) a->elts + 9 && a->nelts == 49 && a->nalloc == 80,
       "push_n(40) with nalloc 16 allocates 80");

    v = lt_array_push_n(a, 31);
    ok(v == (int *) a->elts + 49 && a->nelts == 80 && a->nalloc == 80,
       "push_n up to nalloc does not grow");

    p = lt_palloc(pool, 8);
    v = lt_array_push_n(a, 20);
    ok(v == (int *) a->elts + 80 && a->nelts == 100 && a->nalloc == 160,
       "push_n(20) with nalloc 80 allocates 160");
    ok(((int *) a->elts)[0] == 10 && ((int *) a->elts)[8] == 18, "still the same elements");

    (void) p;
    lt_destroy_pool(pool);
}


static void
lt_test_array_large(void)
{
    size_t       i, f, bad;
    u_char      *v;
    lt_pool_t   *pool;
    lt_array_t   a;

    /* elements bigger than a block: every growth is a large allocation, and the
     * one it replaces is given back */

    pool = lt_create_pool(1024, NULL);
    ok(lt_array_init(&a, pool, 1, 2000) == LT_OK, "lt_array_init, 2000-byte elements");

    for (i = 0, bad = 0; i < 20; i++) {
        v = lt_array_push(&a);
        if (v == NULL) {
            bad++;
            break;
        }
        lt_memset(v, (int) i, 2000);
    }

    for (i = 0, v = a.elts; i < 20; i++) {
        bad += (v[i * 2000] != i || v[i * 2000 + 1999] != i);
    }

    is_int(bad, 0, "20 large pushes keep their contents");

    f = lt_pool_footprint(pool);
    ok(f < 1024 * 4 + 32 * 2000 + 16 * 2000, "old large buffers are freed (footprint %zu)",
       f);

    lt_array_destroy(&a);
    ok(lt_pool_footprint(pool) < f - 32 * 2000 + 1024,
       "lt_array_destroy gives a large buffer back");

    lt_destroy_pool(pool);
}


static void
lt_test_array_destroy(void)
{
    u_char      *last;
    lt_pool_t   *pool;
    lt_array_t  *a, *b;

    pool = lt_create_pool(1024, NULL);
    (void) lt_palloc(pool, 24);
    last = pool->current->last;

    a = lt_array_create(pool, 10, sizeof(int));
    (void) lt_array_push(a);
    lt_array_destroy(a);
#if !(LT_DEBUG_POOL)
    ok(pool->current->last == last, "destroying the last array gives back all its memory");
#endif

    a = lt_array_create(pool, 10, sizeof(int));
    b = lt_array_create(pool, 10, sizeof(int));
    (void) lt_array_push(b);
    last = pool->current->last;

    lt_array_destroy(a);
#if !(LT_DEBUG_POOL)
    ok(pool->current->last == last, "destroying an array that is not last gives nothing");
#endif
    ok(lt_array_push(b) != NULL && b->nelts == 2, "and leaves the others alone");

    lt_array_destroy(b);
#if (LT_DEBUG_POOL)
    (void) last;
#else
    ok(pool->current->last == (u_char *) b, "destroying the last one gives it back");
#endif

    lt_destroy_pool(pool);
}


static void
lt_test_list(void)
{
    int              *v, *first, i, bad, nparts, n;
    lt_pool_t        *pool;
    lt_list_t        *list;
    lt_list_part_t   *part;

    pool = lt_create_pool(1024, NULL);
    list = lt_list_create(pool, 3, sizeof(int));
    ok(list != NULL && list->last == &list->part && list->part.nelts == 0,
       "lt_list_create");

    first = lt_list_push(list);
    *first = 0;

    for (i = 1, bad = 0; i < 100; i++) {
        v = lt_list_push(list);
        if (v == NULL) {
            bad++;
            break;
        }
        *v = i;
    }

    is_int(bad, 0, "100 pushes");
    ok(first == list->part.elts && *first == 0, "elements never move");

    /* the iteration of lt_list.h */

    part = &list->part;
    v = part->elts;
    nparts = 1;
    n = 0;

    for (i = 0; ; i++) {
        if (i >= (int) part->nelts) {
            if (part->next == NULL) {
                break;
            }

            part = part->next;
            v = part->elts;
            i = 0;
            nparts++;
        }

        bad += (v[i] != n);
        n++;
    }

    ok(bad == 0 && n == 100, "iteration visits all 100 in order");
    is_int(nparts, 34, "in 34 parts of 3");
    ok(list->last == part && part->nelts == 1, "the last part holds the 100th");

    lt_destroy_pool(pool);
}


static int
lt_test_item_cmp(const lt_queue_t *a, const lt_queue_t *b)
{
    const lt_test_item_t  *x, *y;

    x = lt_queue_data(a, const lt_test_item_t, link);
    y = lt_queue_data(b, const lt_test_item_t, link);

    return (x->key > y->key) - (x->key < y->key);
}


/* lt_test_queue_fill: n items in the queue, keys from a fixed scramble */
static void
lt_test_queue_fill(lt_queue_t *queue, lt_test_item_t *items, int n, int nkeys)
{
    int  i;

    lt_queue_init(queue);

    for (i = 0; i < n; i++) {
        items[i].key = (int) ((i * 7919u + 13) % (unsigned) nkeys);
        items[i].seq = i;
        lt_queue_insert_tail(queue, &items[i].link);
    }
}


/* lt_test_queue_sorted: sorted by key, equal keys in insertion order, links intact */
static int
lt_test_queue_sorted(lt_queue_t *queue, int n)
{
    int              count;
    lt_queue_t      *q;
    lt_test_item_t  *it, *prev;

    prev = NULL;
    count = 0;

    for (q = lt_queue_head(queue); q != lt_queue_sentinel(queue); q = lt_queue_next(q)) {
        it = lt_queue_data(q, lt_test_item_t, link);

        if (lt_queue_next(q)->prev != q) {
            return 0;
        }

        if (prev && (prev->key > it->key || (prev->key == it->key && prev->seq > it->seq))) {
            return 0;
        }

        prev = it;
        count++;
    }

    return count == n && lt_queue_head(queue)->prev == queue;
}


static void
lt_test_queue(void)
{
    int              n, i, bad;
    lt_queue_t       queue, *q;
    lt_test_item_t   items[200];

    lt_queue_init(&queue);
    lt_queue_sort(&queue, lt_test_item_cmp);
    ok(lt_queue_empty(&queue), "sorting an empty queue");
    ok(lt_queue_middle(&queue) == &queue, "the middle of an empty queue is the sentinel");

    for (n = 1, bad = 0; n <= 9; n++) {
        lt_test_queue_fill(&queue, items, n, 100);
        q = lt_queue_middle(&queue);
        bad += (q != &items[n / 2].link);
    }

    is_int(bad, 0, "lt_queue_middle is element n / 2 for n = 1..9");

    lt_test_queue_fill(&queue, items, 1, 10);
    lt_queue_sort(&queue, lt_test_item_cmp);
    ok(lt_test_queue_sorted(&queue, 1), "sorting one element");

    lt_test_queue_fill(&queue, items, 200, 10);
    lt_queue_sort(&queue, lt_test_item_cmp);
    ok(lt_test_queue_sorted(&queue, 200), "200 elements, 10 keys: sorted and stable");

    lt_queue_sort(&queue, lt_test_item_cmp);
    ok(lt_test_queue_sorted(&queue, 200), "sorting a sorted queue keeps it");

    /* reversed input: the worst case for insertion sort */

    lt_queue_init(&queue);

    for (i = 0; i < 200; i++) {
        items[i].key = 199 - i;
        items[i].seq = i;
        lt_queue_insert_tail(&queue, &items[i].link);
    }

    lt_queue_sort(&queue, lt_test_item_cmp);
    ok(lt_test_queue_sorted(&queue, 200)
       && lt_queue_head(&queue) == &items[199].link
       && lt_queue_last(&queue) == &items[0].link, "reversed input sorted");

    lt_test_queue_fill(&queue, items, 200, 1);
    lt_queue_sort(&queue, lt_test_item_cmp);
    ok(lt_test_queue_sorted(&queue, 200) && lt_queue_head(&queue) == &items[0].link,
       "all keys equal: the order is kept");
}


int
main(void)
{
    lt_test_array_push();
    lt_test_array_growth();
    lt_test_array_large();
    lt_test_array_destroy();
    lt_test_list();
    lt_test_queue();

    return done_testing();
}
