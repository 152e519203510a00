/*
 * lt_rbtree.h: an intrusive red-black tree with a sentinel node. The tree does
 * not allocate: embed an lt_rbtree_node_t (first, or reach it with container_of)
 * and give the tree an insert function that knows how to order your nodes.
 * Equal keys are allowed; ties are broken by the insert function.
 */

#ifndef LT_RBTREE_H
#define LT_RBTREE_H

#include "lt_config.h"
#include "lt_string.h"

typedef uintptr_t  lt_rbtree_key_t;
typedef intptr_t   lt_rbtree_key_int_t;

typedef struct lt_rbtree_node_s  lt_rbtree_node_t;

struct lt_rbtree_node_s {
    lt_rbtree_key_t    key;
    lt_rbtree_node_t  *left;
    lt_rbtree_node_t  *right;
    lt_rbtree_node_t  *parent;
    u_char             color;
    u_char             data;    /* a spare byte for the user */
};

typedef struct lt_rbtree_s  lt_rbtree_t;

/* an insert function places node below root as a plain binary-tree insert (without
 * rebalancing), setting its parent, and its left/right to the sentinel */
typedef void (*lt_rbtree_insert_pt)(lt_rbtree_node_t *root, lt_rbtree_node_t *node,
    lt_rbtree_node_t *sentinel);

struct lt_rbtree_s {
    lt_rbtree_node_t     *root;
    lt_rbtree_node_t     *sentinel;
    lt_rbtree_insert_pt   insert;
};

#define lt_rbtree_init(tree, s, i)                                            \
    do {                                                                      \
        lt_rbt_black(s);                                                      \
        (tree)->root = s;                                                     \
        (tree)->sentinel = s;                                                 \
        (tree)->insert = i;                                                   \
    } while (0)

#define lt_rbtree_empty(tree)   ((tree)->root == (tree)->sentinel)

void lt_rbtree_insert(lt_rbtree_t *tree, lt_rbtree_node_t *node);
void lt_rbtree_delete(lt_rbtree_t *tree, lt_rbtree_node_t *node);

/* insert functions: by key (unsigned compare), and by key as a wrapping timer value
 * (compared by signed difference, so keys may wrap around) */
void lt_rbtree_insert_value(lt_rbtree_node_t *root, lt_rbtree_node_t *node,
    lt_rbtree_node_t *sentinel);
void lt_rbtree_insert_timer_value(lt_rbtree_node_t *root, lt_rbtree_node_t *node,
    lt_rbtree_node_t *sentinel);

/* lt_rbtree_next: the in-order successor of node, or NULL */
lt_rbtree_node_t *lt_rbtree_next(lt_rbtree_t *tree, lt_rbtree_node_t *node);

#define lt_rbt_red(node)            ((node)->color = 1)
#define lt_rbt_black(node)          ((node)->color = 0)
#define lt_rbt_is_red(node)         ((node)->color)
#define lt_rbt_is_black(node)       (!lt_rbt_is_red(node))
#define lt_rbt_copy_color(n1, n2)   (n1->color = n2->color)

/* lt_rbtree_sentinel_init: a sentinel must be black */
#define lt_rbtree_sentinel_init(node)  lt_rbt_black(node)

static inline lt_rbtree_node_t *
lt_rbtree_min(lt_rbtree_node_t *node, lt_rbtree_node_t *sentinel)
{
    while (node->left != sentinel) {
        node = node->left;
    }

    return node;
}

/* a node keyed by a hash of a string, with the string for ties (shared memory
 * zones, cache keys, limit_req states) */
typedef struct {
    lt_rbtree_node_t  node;
    lt_str_t          str;
} lt_str_node_t;

void lt_str_rbtree_insert_value(lt_rbtree_node_t *root, lt_rbtree_node_t *node,
    lt_rbtree_node_t *sentinel);
/* lt_str_rbtree_lookup: the node with this string and hash, or NULL */
lt_str_node_t *lt_str_rbtree_lookup(lt_rbtree_t *rbtree, const lt_str_t *name,
    uint32_t hash);

#endif /* LT_RBTREE_H */
