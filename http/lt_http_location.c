/*
 * lt_http_location.c: locations of a level sorted and turned into a lookup tree.
 *
 * At each level (server, or a location with nested ones) the prefix and exact
 * locations form a binary tree ordered by name. A node whose name is a prefix of
 * longer names keeps those in a subtree of its own ("tree"), with the common
 * prefix cut off, so a lookup walks down the URI once: every inclusive node it
 * passes through is a candidate, the last one is the longest prefix. Regex
 * locations are tried in configuration order after that, unless the longest
 * prefix match was "^~" or exact. Named locations are kept apart.
 */

#include "lt_http.h"

int
lt_http_add_location(lt_conf_t *cf, lt_queue_t **locations, lt_http_core_loc_conf_t *clcf)
{
    lt_http_location_queue_t  *lq;

    if (*locations == NULL) {
        *locations = lt_palloc(cf->temp_pool, sizeof(lt_queue_t));
        if (*locations == NULL) {
            return LT_ERROR;
        }

        lt_queue_init(*locations);
    }

    lq = lt_palloc(cf->temp_pool, sizeof(lt_http_location_queue_t));
    if (lq == NULL) {
        return LT_ERROR;
    }

    if (clcf->exact_match || clcf->regex || clcf->named || clcf->noname) {
        lq->exact = clcf;
        lq->inclusive = NULL;

    } else {
        lq->exact = NULL;
        lq->inclusive = clcf;
    }

    lq->name = &clcf->name;
    lq->file_name = cf->conf_file ? cf->conf_file->name.data : NULL;
    lq->line = cf->conf_file ? cf->conf_file->line : 0;

    lt_queue_init(&lq->list);

    lt_queue_insert_tail(*locations, &lq->queue);

    return LT_OK;
}


/* lt_http_location_cmp: byte order with "/" lowest, as nginx: "/a/" sorts
 * before "/a-a", so the tree finds "/a/" (auto redirect) when "/a" is looked up */
static int
lt_http_location_cmp(const u_char *s1, const u_char *s2, size_t n)
{
    unsigned  c1, c2;

    for ( ; n; n--, s1++, s2++) {
        c1 = *s1;
        c2 = *s2;

        if (c1 == c2) {
            continue;
        }

        c1 = (c1 == '/') ? 0 : c1 + 1;
        c2 = (c2 == '/') ? 0 : c2 + 1;

        return (int) c1 - (int) c2;
    }

    return 0;
}


/* sort order: static (by name, exact before inclusive of the same name), then
 * regex (configuration order), then named (by name), then noname */
static int
lt_http_cmp_locations(const lt_queue_t *one, const lt_queue_t *two)
{
    int                        rc;
    lt_http_core_loc_conf_t   *first, *second;
    lt_http_location_queue_t  *lq1, *lq2;

    lq1 = (lt_http_location_queue_t *) one;
    lq2 = (lt_http_location_queue_t *) two;

    first = lq1->exact ? lq1->exact : lq1->inclusive;
    second = lq2->exact ? lq2->exact : lq2->inclusive;

    if (first->noname && !second->noname) {
        return 1;
    }

    if (!first->noname && second->noname) {
        return -1;
    }

    if (first->noname || second->noname) {
        return 0;
    }

    if (first->named && !second->named) {
        return 1;
    }

    if (!first->named && second->named) {
        return -1;
    }

    if (first->named && second->named) {
        return lt_strcmp(first->name.data, second->name.data);
    }

    if (first->regex && !second->regex) {
        return 1;
    }

    if (!first->regex && second->regex) {
        return -1;
    }

    if (first->regex || second->regex) {
        return 0;
    }

    rc = lt_http_location_cmp(first->name.data, second->name.data,
                              lt_min(first->name.len, second->name.len));

    if (rc == 0 && first->name.len != second->name.len) {
        /* a prefix before its extensions */
        rc = first->name.len < second->name.len ? -1 : 1;
    }

    if (rc == 0 && !first->exact_match && second->exact_match) {
        /* an exact match must be before the same inclusive one */
        return 1;
    }

    return rc;
}


/* lt_http_join_exact_locations: "= /x" and "/x" become one queue entry */
static int
lt_http_join_exact_locations(lt_conf_t *cf, lt_queue_t *locations)
{
    lt_queue_t                *q, *x;
    lt_http_location_queue_t  *lq, *lx;

    q = lt_queue_head(locations);

    while (q != lt_queue_last(locations)) {

        x = lt_queue_next(q);

        lq = (lt_http_location_queue_t *) q;
        lx = (lt_http_location_queue_t *) x;

        if (lq->name->len == lx->name->len
            && memcmp(lq->name->data, lx->name->data, lx->name->len) == 0)
        {
            if ((lq->exact && lx->exact) || (lq->inclusive && lx->inclusive)) {
                lt_log_error(LT_LOG_EMERG, cf->log, 0, "duplicate location \"%.*s\" in %s:%zu",
                             (int) lx->name->len, lx->name->data,
                             lx->file_name ? (char *) lx->file_name : "", lx->line);
                return LT_ERROR;
            }

            lq->inclusive = lx->inclusive;

            lt_queue_remove(x);

            continue;
        }

        q = lt_queue_next(q);
    }

    return LT_OK;
}


/* lt_http_split_locations: leaves static ones in `locations`; returns counts */
static int
lt_http_classify_locations(lt_conf_t *cf, lt_queue_t *locations,
    lt_http_core_loc_conf_t *pclcf, lt_http_core_srv_conf_t *cscf)
{
    size_t                     n, r;
    lt_queue_t                *q, *named, *regex, tail;
    lt_http_core_loc_conf_t   *clcf, **clcfp;
    lt_http_location_queue_t  *lq;

    named = NULL;
    regex = NULL;
    n = 0;
    r = 0;

    for (q = lt_queue_head(locations); q != lt_queue_sentinel(locations);
         q = lt_queue_next(q))
    {
        lq = (lt_http_location_queue_t *) q;
        clcf = lq->exact ? lq->exact : lq->inclusive;

        if (lt_http_init_locations(cf, NULL, clcf) != LT_OK) {
            return LT_ERROR;
        }

        if (clcf->regex) {
            r++;
            if (regex == NULL) {
                regex = q;
            }
            continue;
        }

        if (clcf->named) {
            n++;
            if (named == NULL) {
                named = q;
            }
            continue;
        }

        if (clcf->noname) {
            break;
        }
    }

    if (q != lt_queue_sentinel(locations)) {
        /* noname locations (if, limit_except) are not looked up by URI */
        lt_queue_split(locations, q, &tail);
    }

    if (named) {
        clcfp = lt_palloc(cf->pool, (n + 1) * sizeof(lt_http_core_loc_conf_t *));
        if (clcfp == NULL) {
            return LT_ERROR;
        }

        cscf->named_locations = clcfp;

        for (q = named; q != lt_queue_sentinel(locations); q = lt_queue_next(q)) {
            lq = (lt_http_location_queue_t *) q;
            *(clcfp++) = lq->exact;
        }

        *clcfp = NULL;

        lt_queue_split(locations, named, &tail);
    }

    if (regex) {
        clcfp = lt_palloc(cf->pool, (r + 1) * sizeof(lt_http_core_loc_conf_t *));
        if (clcfp == NULL) {
            return LT_ERROR;
        }

        pclcf->regex_locations = clcfp;

        for (q = regex; q != lt_queue_sentinel(locations); q = lt_queue_next(q)) {
            lq = (lt_http_location_queue_t *) q;
            *(clcfp++) = lq->exact;
        }

        *clcfp = NULL;

        lt_queue_split(locations, regex, &tail);
    }

    return LT_OK;
}


int
lt_http_init_locations(lt_conf_t *cf, lt_http_core_srv_conf_t *cscf,
    lt_http_core_loc_conf_t *pclcf)
{
    lt_queue_t  *locations;

    locations = pclcf->locations;

    if (locations == NULL) {
        return LT_OK;
    }

    lt_queue_sort(locations, lt_http_cmp_locations);

    if (lt_http_classify_locations(cf, locations, pclcf, cscf) != LT_OK) {
        return LT_ERROR;
    }

    return LT_OK;
}


/* lt_http_create_locations_list: under each location, the following ones whose
 * names start with its name */
static void
lt_http_create_locations_list(lt_queue_t *locations, lt_queue_t *q)
{
    u_char                    *name;
    size_t                     len;
    lt_queue_t                *x, tail;
    lt_http_location_queue_t  *lq, *lx;

    if (q == lt_queue_last(locations)) {
        return;
    }

    lq = (lt_http_location_queue_t *) q;

    if (lq->inclusive == NULL) {
        lt_http_create_locations_list(locations, lt_queue_next(q));
        return;
    }

    len = lq->name->len;
    name = lq->name->data;

    for (x = lt_queue_next(q); x != lt_queue_sentinel(locations); x = lt_queue_next(x)) {
        lx = (lt_http_location_queue_t *) x;

        if (len > lx->name->len || memcmp(name, lx->name->data, len) != 0) {
            break;
        }
    }

    q = lt_queue_next(q);

    if (q == x) {
        lt_http_create_locations_list(locations, x);
        return;
    }

    lt_queue_split(locations, q, &tail);
    lt_queue_add(&lq->list, &tail);

    if (x == lt_queue_sentinel(locations)) {
        lt_http_create_locations_list(&lq->list, lt_queue_head(&lq->list));
        return;
    }

    lt_queue_split(&lq->list, x, &tail);
    lt_queue_add(locations, &tail);

    lt_http_create_locations_list(&lq->list, lt_queue_head(&lq->list));

    lt_http_create_locations_list(locations, x);
}


/* lt_http_create_locations_tree: a balanced tree of the list, names cut by prefix */
static lt_http_location_tree_node_t *
lt_http_create_locations_tree(lt_conf_t *cf, lt_queue_t *locations, size_t prefix)
{
    size_t                          len;
    lt_queue_t                     *q, tail;
    lt_http_location_queue_t       *lq;
    lt_http_location_tree_node_t   *node;

    q = lt_queue_middle(locations);

    lq = (lt_http_location_queue_t *) q;
    len = lq->name->len - prefix;

    node = lt_palloc(cf->pool, sizeof(lt_http_location_tree_node_t) + len);
    if (node == NULL) {
        return NULL;
    }

    node->left = NULL;
    node->right = NULL;
    node->tree = NULL;
    node->exact = lq->exact;
    node->inclusive = lq->inclusive;
    node->auto_redirect = (lq->exact && lq->exact->auto_redirect)
                          || (lq->inclusive && lq->inclusive->auto_redirect);
    node->len = len;
    node->name = (u_char *) node + sizeof(lt_http_location_tree_node_t);
    memcpy(node->name, lq->name->data + prefix, len);

    lt_queue_split(locations, q, &tail);

    if (!lt_queue_empty(locations)) {
        node->left = lt_http_create_locations_tree(cf, locations, prefix);
        if (node->left == NULL) {
            return NULL;
        }
    }

    lt_queue_remove(q);

    if (!lt_queue_empty(&tail)) {
        node->right = lt_http_create_locations_tree(cf, &tail, prefix);
        if (node->right == NULL) {
            return NULL;
        }
    }

    if (!lt_queue_empty(&lq->list)) {
        node->tree = lt_http_create_locations_tree(cf, &lq->list, prefix + len);
        if (node->tree == NULL) {
            return NULL;
        }
    }

    return node;
}


int
lt_http_init_static_location_trees(lt_conf_t *cf, lt_http_core_loc_conf_t *pclcf)
{
    lt_queue_t                *q, *locations;
    lt_http_core_loc_conf_t   *clcf;
    lt_http_location_queue_t  *lq;

    locations = pclcf->locations;

    if (locations == NULL || lt_queue_empty(locations)) {
        return LT_OK;
    }

    for (q = lt_queue_head(locations); q != lt_queue_sentinel(locations);
         q = lt_queue_next(q))
    {
        lq = (lt_http_location_queue_t *) q;
        clcf = lq->exact ? lq->exact : lq->inclusive;

        if (lt_http_init_static_location_trees(cf, clcf) != LT_OK) {
            return LT_ERROR;
        }
    }

    if (lt_http_join_exact_locations(cf, locations) != LT_OK) {
        return LT_ERROR;
    }

    lt_http_create_locations_list(locations, lt_queue_head(locations));

    pclcf->static_locations = lt_http_create_locations_tree(cf, locations, 0);
    if (pclcf->static_locations == NULL) {
        return LT_ERROR;
    }

    return LT_OK;
}


/*
 * lt_http_core_find_static_location: LT_OK for an exact match, LT_AGAIN for a
 * prefix match that may have nested locations, LT_DONE for an auto redirect
 * (the URI lacks the trailing slash of a proxying location), LT_DECLINED
 */
int
lt_http_core_find_static_location(lt_http_request_t *r, lt_http_location_tree_node_t *node)
{
    u_char   *uri;
    size_t    len, n;
    int       rc, rv;

    len = r->uri.len;
    uri = r->uri.data;

    rv = LT_DECLINED;

    for ( ;; ) {

        if (node == NULL) {
            return rv;
        }

        n = (len <= node->len) ? len : node->len;

        rc = lt_http_location_cmp(uri, node->name, n);

        if (rc != 0) {
            node = (rc < 0) ? node->left : node->right;
            continue;
        }

        if (len > node->len) {

            if (node->inclusive) {
                r->loc_conf = node->inclusive->loc_conf;
                rv = LT_AGAIN;

                node = node->tree;
                uri += n;
                len -= n;

                continue;
            }

            /* an exact only location: the URI goes on, look right */
            node = node->right;
            continue;
        }

        if (len == node->len) {

            if (node->exact) {
                r->loc_conf = node->exact->loc_conf;
                return LT_OK;
            }

            r->loc_conf = node->inclusive->loc_conf;
            return LT_AGAIN;
        }

        /* len < node->len */

        if (len + 1 == node->len && node->auto_redirect && node->name[len] == '/') {
            r->loc_conf = (node->exact) ? node->exact->loc_conf
                                        : node->inclusive->loc_conf;
            rv = LT_DONE;
        }

        node = node->left;
    }
}
