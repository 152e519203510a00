/*
 * test_rbtree.c: the red-black tree: random inserts and deletes with the
 * invariants checked after every operation, in-order walks against a sorted
 * shadow copy, wrapping timer keys, and string nodes with colliding hashes.
 */

#include "lt_core.h"
#include "tap.h"

#define LT_TEST_NODES  2000
#define LT_TEST_OPS    20000

typedef int (*lt_test_cmp_pt)(const lt_rbtree_node_t *a, const lt_rbtree_node_t *b);

typedef struct {
    lt_rbtree_node_t   node;
    int                in_tree;
    int                seq;
} lt_test_node_t;

/* what a check of the whole tree found */
typedef struct {
    lt_rbtree_node_t   *sentinel;
    lt_test_cmp_pt      cmp;
    lt_rbtree_node_t   *prev;
    size_t              count;
    const char         *error;
} lt_test_check_t;

static uint64_t  lt_test_rand_state = 0x9e3779b97f4a7c15ULL;


/* xorshift64*: the same sequence on every platform */
static uint64_t
lt_test_rand(void)
{
    lt_test_rand_state ^= lt_test_rand_state >> 12;
    lt_test_rand_state ^= lt_test_rand_state << 25;
    lt_test_rand_state ^= lt_test_rand_state >> 27;

    return lt_test_rand_state * 0x2545f4914f6cdd1dULL;
}


static int
lt_test_cmp_value(const lt_rbtree_node_t *a, const lt_rbtree_node_t *b)
{
    return (a->key > b->key) - (a->key < b->key);
}


static int
lt_test_cmp_timer(const lt_rbtree_node_t *a, const lt_rbtree_node_t *b)
{
    lt_rbtree_key_int_t  d;

    d = (lt_rbtree_key_int_t) (a->key - b->key);

    return (d > 0) - (d < 0);
}


static int
lt_test_cmp_str(const lt_rbtree_node_t *a, const lt_rbtree_node_t *b)
{
    const lt_str_t  *s1, *s2;

    if (a->key != b->key) {
        return a->key < b->key ? -1 : 1;
    }

    s1 = &((const lt_str_node_t *) a)->str;
    s2 = &((const lt_str_node_t *) b)->str;

    if (s1->len != s2->len) {
        return s1->len < s2->len ? -1 : 1;
    }

    return memcmp(s1->data, s2->data, s1->len);
}


/* lt_test_check_node: black height of the subtree at node (-1 when broken), walking
 * it in order to check the order of the keys */
static int
lt_test_check_node(lt_test_check_t *ck, lt_rbtree_node_t *node, lt_rbtree_node_t *parent)
{
    int  lh, rh;

    if (node == ck->sentinel) {
        return 1;
    }

    if (node->parent != parent) {
        ck->error = "wrong parent pointer";
        return -1;
    }

    if (lt_rbt_is_red(node)
        && (lt_rbt_is_red(node->left) || lt_rbt_is_red(node->right)))
    {
        ck->error = "red node with a red child";
        return -1;
    }

    lh = lt_test_check_node(ck, node->left, node);
    if (lh < 0) {
        return -1;
    }

    if (ck->prev && ck->cmp(ck->prev, node) > 0) {
        ck->error = "keys out of order";
        return -1;
    }

    ck->prev = node;
    ck->count++;

    rh = lt_test_check_node(ck, node->right, node);
    if (rh < 0) {
        return -1;
    }

    if (lh != rh) {
        ck->error = "unequal black heights";
        return -1;
    }

    return lh + lt_rbt_is_black(node);
}


/* lt_test_check: NULL when the tree is a valid red-black tree of n nodes */
static const char *
lt_test_check(lt_rbtree_t *tree, lt_test_cmp_pt cmp, size_t n)
{
    lt_test_check_t  ck = { tree->sentinel, cmp, NULL, 0, NULL };

    if (lt_rbt_is_red(tree->sentinel)) {
        return "red sentinel";
    }

    if (tree->root == tree->sentinel) {
        return n == 0 ? NULL : "empty tree";
    }

    if (lt_rbt_is_red(tree->root)) {
        return "red root";
    }

    if (lt_test_check_node(&ck, tree->root, NULL) < 0) {
        return ck.error;
    }

    return ck.count == n ? NULL : "wrong node count";
}


static int
lt_test_key_cmp(const void *a, const void *b)
{
    lt_rbtree_key_t  x = *(const lt_rbtree_key_t *) a, y = *(const lt_rbtree_key_t *) b;

    return (x > y) - (x < y);
}


/* lt_test_walk_matches: lt_rbtree_min/next visit exactly the nodes in the tree, in
 * the order of the sorted keys */
static int
lt_test_walk_matches(lt_rbtree_t *tree, lt_test_node_t *nodes, size_t n)
{
    size_t             i, k;
    lt_rbtree_key_t   *keys;
    lt_rbtree_node_t  *node;
    int                rc;

    keys = malloc(sizeof(lt_rbtree_key_t) * LT_TEST_NODES);
    if (keys == NULL) {
        return 0;
    }

    for (i = 0, k = 0; i < LT_TEST_NODES; i++) {
        if (nodes[i].in_tree) {
            keys[k++] = nodes[i].node.key;
        }
    }

    qsort(keys, k, sizeof(lt_rbtree_key_t), lt_test_key_cmp);

    rc = (k == n);
    node = lt_rbtree_empty(tree) ? NULL : lt_rbtree_min(tree->root, tree->sentinel);

    for (i = 0; rc && i < k; i++) {
        rc = node && node->key == keys[i] && ((lt_test_node_t *) node)->in_tree;
        node = rc ? lt_rbtree_next(tree, node) : NULL;
    }

    free(keys);

    return rc && node == NULL;
}


static void
lt_test_random(void)
{
    size_t             n, op, walks, walk_bad;
    const char        *err;
    lt_rbtree_t        tree;
    lt_test_node_t    *nodes, *x;
    lt_rbtree_node_t   sentinel;

    nodes = calloc(LT_TEST_NODES, sizeof(lt_test_node_t));
    if (nodes == NULL) {
        ok(0, "calloc");
        return;
    }

    lt_rbtree_init(&tree, &sentinel, lt_rbtree_insert_value);
    ok(lt_test_check(&tree, lt_test_cmp_value, 0) == NULL, "empty tree is valid");

    err = NULL;
    n = 0;
    walks = 0;
    walk_bad = 0;

    for (op = 0; op < LT_TEST_OPS && err == NULL; op++) {
        x = &nodes[lt_test_rand() % LT_TEST_NODES];

        /* a random node: out of the tree it goes in, in the tree it comes out;
         * keys in a narrow range so that many are equal */

        if (x->in_tree) {
            lt_rbtree_delete(&tree, &x->node);
            x->in_tree = 0;
            n--;

        } else {
            x->node.key = (lt_rbtree_key_t) (lt_test_rand() % 500);
            lt_rbtree_insert(&tree, &x->node);
            x->in_tree = 1;
            n++;
        }

        err = lt_test_check(&tree, lt_test_cmp_value, n);

        if (op % 97 == 0) {
            walks++;
            walk_bad += !lt_test_walk_matches(&tree, nodes, n);
        }
    }

    ok(err == NULL, "invariants hold after each of %d random inserts and deletes",
       LT_TEST_OPS);
    if (err) {
        diag("operation %zu: %s", op - 1, err);
    }

    ok(n > LT_TEST_NODES / 4, "the tree held many nodes (%zu at the end)", n);
    ok(walk_bad == 0, "in-order walk matches the sorted keys (%zu walks)", walks);
    ok(lt_test_walk_matches(&tree, nodes, n), "in-order walk matches at the end");

    /* empty it from the root down: the hardest deletions */

    while (!lt_rbtree_empty(&tree) && err == NULL) {
        x = (lt_test_node_t *) tree.root;
        lt_rbtree_delete(&tree, &x->node);
        x->in_tree = 0;
        n--;
        err = lt_test_check(&tree, lt_test_cmp_value, n);
    }

    ok(err == NULL && n == 0 && tree.root == &sentinel,
       "deleting the root until empty keeps the invariants");

    free(nodes);
}


/* sorted insertions: the degenerate case for an unbalanced tree */
static void
lt_test_sorted(void)
{
    size_t             i;
    const char        *err;
    lt_rbtree_t        tree;
    lt_test_node_t    *nodes;
    lt_rbtree_node_t   sentinel;

    nodes = calloc(LT_TEST_NODES, sizeof(lt_test_node_t));
    if (nodes == NULL) {
        ok(0, "calloc");
        return;
    }

    lt_rbtree_init(&tree, &sentinel, lt_rbtree_insert_value);

    for (i = 0; i < LT_TEST_NODES; i++) {
        nodes[i].node.key = i;
        lt_rbtree_insert(&tree, &nodes[i].node);
        nodes[i].in_tree = 1;
    }

    err = lt_test_check(&tree, lt_test_cmp_value, LT_TEST_NODES);
    ok(err == NULL, "ascending inserts: valid tree");
    ok(lt_test_walk_matches(&tree, nodes, LT_TEST_NODES), "ascending inserts: in order");

    for (i = 0; i < LT_TEST_NODES && err == NULL; i += 2) {
        lt_rbtree_delete(&tree, &nodes[i].node);
        nodes[i].in_tree = 0;
        err = lt_test_check(&tree, lt_test_cmp_value, LT_TEST_NODES - i / 2 - 1);
    }

    ok(err == NULL, "deleting every other key: valid tree");
    ok(lt_test_walk_matches(&tree, nodes, LT_TEST_NODES / 2), "and in order");

    free(nodes);
}


static void
lt_test_equal_keys(void)
{
    int                i, in_order;
    lt_rbtree_t        tree;
    lt_test_node_t     nodes[64];
    lt_rbtree_node_t   sentinel, *node;

    lt_rbtree_init(&tree, &sentinel, lt_rbtree_insert_value);

    for (i = 0; i < 64; i++) {
        nodes[i].node.key = (i % 4 == 0) ? 7 : (lt_rbtree_key_t) i + 100;
        nodes[i].seq = i;
        lt_rbtree_insert(&tree, &nodes[i].node);
    }

    ok(lt_test_check(&tree, lt_test_cmp_value, 64) == NULL, "equal keys: valid tree");

    /* equal keys go right, so they come out in insertion order */

    in_order = 1;
    i = -1;

    for (node = lt_rbtree_min(tree.root, &sentinel); node; node = lt_rbtree_next(&tree, node)) {
        if (node->key == 7) {
            in_order &= ((lt_test_node_t *) node)->seq > i;
            i = ((lt_test_node_t *) node)->seq;
        }
    }

    ok(in_order && i == 60, "equal keys come out in insertion order");

    node = &nodes[0].node;
    lt_rbtree_delete(&tree, node);
    ok(node->left == NULL && node->right == NULL && node->parent == NULL,
       "a deleted node is unlinked");
}


static void
lt_test_timer(void)
{
    size_t             i, j, t, in_order;
    lt_rbtree_key_t    base;
    lt_rbtree_t        tree;
    lt_test_node_t     nodes[1000];
    size_t             perm[1000];
    lt_rbtree_node_t   sentinel, *node;

    lt_rbtree_init(&tree, &sentinel, lt_rbtree_insert_timer_value);

    /* keys from just below the top of the key range to past its wrap to zero */

    base = (lt_rbtree_key_t) -500;

    for (i = 0; i < 1000; i++) {
        perm[i] = i;
    }

    for (i = 999; i > 0; i--) {
        j = lt_test_rand() % (i + 1);
        t = perm[i];
        perm[i] = perm[j];
        perm[j] = t;
    }

    for (i = 0; i < 1000; i++) {
        nodes[i].node.key = base + perm[i];
        nodes[i].seq = (int) perm[i];
        lt_rbtree_insert(&tree, &nodes[i].node);
    }

    ok(lt_test_check(&tree, lt_test_cmp_timer, 1000) == NULL, "timer keys: valid tree");

    node = lt_rbtree_min(tree.root, &sentinel);
    is_int(((lt_test_node_t *) node)->seq, 0, "the earliest timer is before the wrap");
    ok(node->key == base, "its key is the largest unsigned one");

    in_order = 1;

    for (i = 0; node; i++, node = lt_rbtree_next(&tree, node)) {
        in_order &= ((lt_test_node_t *) node)->seq == (int) i;
    }

    ok(in_order && i == 1000, "timers come out in time order across the wrap");

    for (i = 0; i < 1000; i += 3) {
        lt_rbtree_delete(&tree, &nodes[i].node);
    }

    ok(lt_test_check(&tree, lt_test_cmp_timer, 666) == NULL,
       "timer tree valid after deletes");
}


#define LT_TEST_STRS  300

/* lt_test_str_scan: lt_str_rbtree_lookup the slow way */
static lt_str_node_t *
lt_test_str_scan(lt_str_node_t *nodes, size_t n, const lt_str_t *name, lt_rbtree_key_t key)
{
    size_t  i;

    for (i = 0; i < n; i++) {
        if (nodes[i].node.key == key && nodes[i].str.len == name->len
            && memcmp(nodes[i].str.data, name->data, name->len) == 0)
        {
            return &nodes[i];
        }
    }

    return NULL;
}

/* lt_test_str_absent: lookups of absent strings under the colliding hashes
 * (shorter, longer, same length) and of prefixes; returns the wrong answers */
static size_t
lt_test_str_absent(lt_rbtree_t *tree, lt_str_node_t *nodes)
{
    size_t          i, wrong;
    u_char          miss[32];
    lt_str_t        name;
    lt_str_node_t  *sn;

    wrong = 0;

    for (i = 0; i < LT_TEST_STRS; i++) {
        name.data = miss;
        name.len = lt_slprintf(miss, miss + sizeof(miss), "%s%zu", i % 2 ? "x" : "zone:",
                               i + 100000) - miss;
        wrong += lt_str_rbtree_lookup(tree, &name, 42) != NULL;
        wrong += lt_str_rbtree_lookup(tree, &name, 0) != NULL;

        /* a prefix: absent, or another node's string */
        name.len = nodes[i].str.len - 1;
        name.data = nodes[i].str.data;
        sn = lt_str_rbtree_lookup(tree, &name, (uint32_t) nodes[i].node.key);
        wrong += sn != lt_test_str_scan(nodes, LT_TEST_STRS, &name, nodes[i].node.key);
    }

    return wrong;
}


static void
lt_test_str_tree(void)
{
    size_t             i, found, wrong;
    lt_str_t           name;
    lt_rbtree_t        tree;
    lt_str_node_t     *sn, *nodes;
    lt_rbtree_node_t   sentinel;
    u_char             buf[LT_TEST_STRS][16];

    nodes = calloc(LT_TEST_STRS, sizeof(lt_str_node_t));
    if (nodes == NULL) {
        ok(0, "calloc");
        return;
    }

    lt_rbtree_init(&tree, &sentinel, lt_str_rbtree_insert_value);

    /* one third keyed by their crc32, the rest on two colliding hashes, with
     * strings that are prefixes of each other and equal-length neighbours */

    for (i = 0; i < LT_TEST_STRS; i++) {
        nodes[i].str.data = buf[i];
        nodes[i].str.len = lt_slprintf(buf[i], buf[i] + 16, "%.*s%zu", (int) (i % 5),
                                       "zone:", i) - buf[i];

        nodes[i].node.key = (i % 3 == 0) ? lt_crc32(buf[i], nodes[i].str.len)
                                         : (i % 3 == 1) ? 42 : 0;
        lt_rbtree_insert(&tree, &nodes[i].node);
    }

    ok(lt_test_check(&tree, lt_test_cmp_str, LT_TEST_STRS) == NULL, "str tree: valid");

    found = 0;
    wrong = 0;

    for (i = 0; i < LT_TEST_STRS; i++) {
        sn = lt_str_rbtree_lookup(&tree, &nodes[i].str, (uint32_t) nodes[i].node.key);
        found += (sn == &nodes[i]);

        /* the right string under the wrong hash is not found */
        sn = lt_str_rbtree_lookup(&tree, &nodes[i].str, (uint32_t) nodes[i].node.key + 1);
        wrong += (sn != NULL);
    }

    is_int(found, LT_TEST_STRS, "every string found under its hash, collisions included");
    is_int(wrong, 0, "no string found under another hash");

    is_int(lt_test_str_absent(&tree, nodes), 0,
           "absent strings and prefixes with colliding hashes are not found");

    name.len = 0;
    name.data = (u_char *) "";
    ok(lt_str_rbtree_lookup(&tree, &name, 42) == NULL, "the empty string is not found");

    for (i = 0; i < LT_TEST_STRS; i += 2) {
        lt_rbtree_delete(&tree, &nodes[i].node);
    }

    found = 0;
    wrong = 0;

    for (i = 0; i < LT_TEST_STRS; i++) {
        sn = lt_str_rbtree_lookup(&tree, &nodes[i].str, (uint32_t) nodes[i].node.key);
        found += (i % 2 == 1 && sn == &nodes[i]);
        wrong += (i % 2 == 0 && sn != NULL);
    }

    ok(found == LT_TEST_STRS / 2 && wrong == 0, "after deleting half, lookups follow");
    ok(lt_test_check(&tree, lt_test_cmp_str, LT_TEST_STRS / 2) == NULL,
       "str tree valid after deletes");

    free(nodes);
}


int
main(void)
{
    lt_test_random();
    lt_test_sorted();
    lt_test_equal_keys();
    lt_test_timer();
    lt_test_str_tree();

    return done_testing();
}
