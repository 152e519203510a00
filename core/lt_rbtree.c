/*
 * lt_rbtree.c: a red-black tree with a sentinel (see lt_rbtree.h), after the
 * textbook algorithm (Cormen et al., "Introduction to Algorithms", ch. 13).
 *
 * The root's parent is NULL. The sentinel stands for every leaf: it is always
 * black, and delete may set its parent while it rebalances, which is why one
 * sentinel must not be shared by trees modified concurrently.
 */

#include "lt_core.h"


/* lt_rbtree_replace_child: makes node take old's place under old's parent */
static void
lt_rbtree_replace_child(lt_rbtree_t *tree, lt_rbtree_node_t *old, lt_rbtree_node_t *node)
{
    if (old == tree->root) {
        tree->root = node;

    } else if (old == old->parent->left) {
        old->parent->left = node;

    } else {
        old->parent->right = node;
    }

    node->parent = old->parent;
}


/*
 *      x                y
 *     / \              / \
 *    a   y     ->     x   c
 *       / \          / \
 *      b   c        a   b
 */
static void
lt_rbtree_left_rotate(lt_rbtree_t *tree, lt_rbtree_node_t *x)
{
    lt_rbtree_node_t  *y;

    y = x->right;
    x->right = y->left;

    if (y->left != tree->sentinel) {
        y->left->parent = x;
    }

    lt_rbtree_replace_child(tree, x, y);

    y->left = x;
    x->parent = y;
}


/* the mirror image of lt_rbtree_left_rotate */
static void
lt_rbtree_right_rotate(lt_rbtree_t *tree, lt_rbtree_node_t *x)
{
    lt_rbtree_node_t  *y;

    y = x->left;
    x->left = y->right;

    if (y->right != tree->sentinel) {
        y->right->parent = x;
    }

    lt_rbtree_replace_child(tree, x, y);

    y->right = x;
    x->parent = y;
}


/* lt_rbtree_insert_fixup: node is red and may have a red parent; recolour up the
 * tree while the uncle is red, then rotate at most twice */
static void
lt_rbtree_insert_fixup(lt_rbtree_t *tree, lt_rbtree_node_t *node)
{
    lt_rbtree_node_t  *parent, *grand, *uncle;

    while (node != tree->root && lt_rbt_is_red(node->parent)) {
        parent = node->parent;
        grand = parent->parent;     /* exists: a red parent is not the root */

        if (parent == grand->left) {
            uncle = grand->right;

            if (lt_rbt_is_red(uncle)) {
                lt_rbt_black(parent);
                lt_rbt_black(uncle);
                lt_rbt_red(grand);
                node = grand;
                continue;
            }

            if (node == parent->right) {
                node = parent;
                lt_rbtree_left_rotate(tree, node);
                parent = node->parent;
            }

            lt_rbt_black(parent);
            lt_rbt_red(grand);
            lt_rbtree_right_rotate(tree, grand);

        } else {
            uncle = grand->left;

            if (lt_rbt_is_red(uncle)) {
                lt_rbt_black(parent);
                lt_rbt_black(uncle);
                lt_rbt_red(grand);
                node = grand;
                continue;
            }

            if (node == parent->left) {
                node = parent;
                lt_rbtree_right_rotate(tree, node);
                parent = node->parent;
            }

            lt_rbt_black(parent);
            lt_rbt_red(grand);
            lt_rbtree_left_rotate(tree, grand);
        }
    }

    lt_rbt_black(tree->root);
}


void
lt_rbtree_insert(lt_rbtree_t *tree, lt_rbtree_node_t *node)
{
    lt_rbtree_node_t  *sentinel;

    sentinel = tree->sentinel;

    if (tree->root == sentinel) {
        node->parent = NULL;
        node->left = sentinel;
        node->right = sentinel;
        lt_rbt_black(node);
        tree->root = node;
        return;
    }

    tree->insert(tree->root, node, sentinel);

    lt_rbt_red(node);
    lt_rbtree_insert_fixup(tree, node);
}


/* lt_rbtree_delete_fixup: node (possibly the sentinel, with its parent set) carries
 * an extra black; push it up, or absorb it with recolouring and rotations */
static void
lt_rbtree_delete_fixup(lt_rbtree_t *tree, lt_rbtree_node_t *node)
{
    lt_rbtree_node_t  *parent, *sibling;

    while (node != tree->root && lt_rbt_is_black(node)) {
        parent = node->parent;

        if (node == parent->left) {
            sibling = parent->right;

            if (lt_rbt_is_red(sibling)) {
                lt_rbt_black(sibling);
                lt_rbt_red(parent);
                lt_rbtree_left_rotate(tree, parent);
                sibling = parent->right;
            }

            if (lt_rbt_is_black(sibling->left) && lt_rbt_is_black(sibling->right)) {
                lt_rbt_red(sibling);
                node = parent;
                continue;
            }

            if (lt_rbt_is_black(sibling->right)) {
                lt_rbt_black(sibling->left);
                lt_rbt_red(sibling);
                lt_rbtree_right_rotate(tree, sibling);
                sibling = parent->right;
            }

            lt_rbt_copy_color(sibling, parent);
            lt_rbt_black(parent);
            lt_rbt_black(sibling->right);
            lt_rbtree_left_rotate(tree, parent);

        } else {
            sibling = parent->left;

            if (lt_rbt_is_red(sibling)) {
                lt_rbt_black(sibling);
                lt_rbt_red(parent);
                lt_rbtree_right_rotate(tree, parent);
                sibling = parent->left;
            }

            if (lt_rbt_is_black(sibling->left) && lt_rbt_is_black(sibling->right)) {
                lt_rbt_red(sibling);
                node = parent;
                continue;
            }

            if (lt_rbt_is_black(sibling->left)) {
                lt_rbt_black(sibling->right);
                lt_rbt_red(sibling);
                lt_rbtree_left_rotate(tree, sibling);
                sibling = parent->left;
            }

            lt_rbt_copy_color(sibling, parent);
            lt_rbt_black(parent);
            lt_rbt_black(sibling->left);
            lt_rbtree_right_rotate(tree, parent);
        }

        node = tree->root;
    }

    lt_rbt_black(node);
}


void
lt_rbtree_delete(lt_rbtree_t *tree, lt_rbtree_node_t *node)
{
    u_char             removed_red;
    lt_rbtree_node_t  *sentinel, *next, *child;

    sentinel = tree->sentinel;

    if (node->left == sentinel) {
        removed_red = lt_rbt_is_red(node);
        child = node->right;
        lt_rbtree_replace_child(tree, node, child);

    } else if (node->right == sentinel) {
        removed_red = lt_rbt_is_red(node);
        child = node->left;
        lt_rbtree_replace_child(tree, node, child);

    } else {
        /* two children: the successor (which has no left child) leaves its own
         * place and takes node's place and colour */
        next = lt_rbtree_min(node->right, sentinel);
        removed_red = lt_rbt_is_red(next);
        child = next->right;

        if (next->parent == node) {
            child->parent = next;

        } else {
            lt_rbtree_replace_child(tree, next, child);
            next->right = node->right;
            next->right->parent = next;
        }

        lt_rbtree_replace_child(tree, node, next);
        next->left = node->left;
        next->left->parent = next;
        lt_rbt_copy_color(next, node);
    }

    node->left = NULL;
    node->right = NULL;
    node->parent = NULL;

    if (tree->root == sentinel) {
        sentinel->parent = NULL;
        return;
    }

    if (!removed_red) {
        lt_rbtree_delete_fixup(tree, child);
    }
}


lt_rbtree_node_t *
lt_rbtree_next(lt_rbtree_t *tree, lt_rbtree_node_t *node)
{
    lt_rbtree_node_t  *parent;

    if (node->right != tree->sentinel) {
        return lt_rbtree_min(node->right, tree->sentinel);
    }

    /* up until we come from a left child: that parent is the successor */

    for ( ;; ) {
        if (node == tree->root) {
            return NULL;
        }

        parent = node->parent;

        if (node == parent->left) {
            return parent;
        }

        node = parent;
    }
}


/* lt_rbtree_link: hangs node at *link below parent as a leaf */
static void
lt_rbtree_link(lt_rbtree_node_t **link, lt_rbtree_node_t *parent, lt_rbtree_node_t *node,
    lt_rbtree_node_t *sentinel)
{
    *link = node;
    node->parent = parent;
    node->left = sentinel;
    node->right = sentinel;
    lt_rbt_red(node);
}


void
lt_rbtree_insert_value(lt_rbtree_node_t *root, lt_rbtree_node_t *node,
    lt_rbtree_node_t *sentinel)
{
    lt_rbtree_node_t  **link;

    for ( ;; ) {
        link = (node->key < root->key) ? &root->left : &root->right;

        if (*link == sentinel) {
            break;
        }

        root = *link;
    }

    lt_rbtree_link(link, root, node, sentinel);
}


void
lt_rbtree_insert_timer_value(lt_rbtree_node_t *root, lt_rbtree_node_t *node,
    lt_rbtree_node_t *sentinel)
{
    lt_rbtree_node_t  **link;

    /* timer keys wrap around: a key is earlier when the signed distance is
     * negative, which holds while all keys lie within half the key range */

    for ( ;; ) {
        link = ((lt_rbtree_key_int_t) (node->key - root->key) < 0)
               ? &root->left : &root->right;

        if (*link == sentinel) {
            break;
        }

        root = *link;
    }

    lt_rbtree_link(link, root, node, sentinel);
}


/* lt_str_rbtree_cmp: the order of string nodes with equal hashes: shorter first,
 * then by bytes */
static int
lt_str_rbtree_cmp(const lt_str_t *s1, const lt_str_t *s2)
{
    if (s1->len != s2->len) {
        return s1->len < s2->len ? -1 : 1;
    }

    return s1->len ? memcmp(s1->data, s2->data, s1->len) : 0;
}


void
lt_str_rbtree_insert_value(lt_rbtree_node_t *root, lt_rbtree_node_t *node,
    lt_rbtree_node_t *sentinel)
{
    lt_str_node_t      *n, *t;
    lt_rbtree_node_t  **link;

    n = (lt_str_node_t *) node;

    for ( ;; ) {
        t = (lt_str_node_t *) root;

        if (node->key != root->key) {
            link = (node->key < root->key) ? &root->left : &root->right;

        } else {
            link = (lt_str_rbtree_cmp(&n->str, &t->str) < 0) ? &root->left : &root->right;
        }

        if (*link == sentinel) {
            break;
        }

        root = *link;
    }

    lt_rbtree_link(link, root, node, sentinel);
}


lt_str_node_t *
lt_str_rbtree_lookup(lt_rbtree_t *rbtree, const lt_str_t *name, uint32_t hash)
{
    int                rc;
    lt_str_node_t     *n;
    lt_rbtree_node_t  *node, *sentinel;

    node = rbtree->root;
    sentinel = rbtree->sentinel;

    while (node != sentinel) {
        n = (lt_str_node_t *) node;

        if (hash != node->key) {
            node = (hash < node->key) ? node->left : node->right;
            continue;
        }

        rc = lt_str_rbtree_cmp(name, &n->str);

        if (rc == 0) {
            return n;
        }

        node = (rc < 0) ? node->left : node->right;
    }

    return NULL;
}
