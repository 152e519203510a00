/*
 * map.c: the map directive (http_map). "map STRING $var { ... }" declares $var;
 * its value is looked up, when $var is first used in a request, from the value
 * of STRING (a complex value) in a table of source values:
 *
 *   - exact strings, matched ignoring ASCII case (one hash lookup);
 *   - with "hostnames", also "*.example.com" / ".example.com" (the longest
 *     matching suffix wins) and "www.example.*" (the longest matching prefix);
 *     a trailing dot of the looked-up name is ignored;
 *   - regular expressions ("~" case-sensitive, "~*" caseless), tried in the
 *     order they were written, only when no string matched; their captures
 *     ($1, named ones) can be used in the resulting value;
 *   - "default", or the empty string.
 *
 * Resulting values are complex values ("text $var $1"). "volatile" makes $var
 * not cacheable: it is looked up again at each use.
 */

#include "lt_http.h"

typedef struct {
    int64_t                    hash_max_size;       /* accepted, as nginx */
    size_t                     hash_bucket_size;
} lt_http_map_main_conf_t;

typedef struct {
    lt_http_regex_t           *regex;
    lt_http_complex_value_t   *value;
} lt_http_map_regex_t;

/* one map {}: what the variable's handler reads */
typedef struct {
    lt_http_complex_value_t    source;
    lt_hash_t                  exact;       /* lowercase keys */
    lt_hash_t                  wc_head;     /* "*.example.com", ".example.com": "example.com" */
    lt_hash_t                  wc_tail;     /* "www.example.*": "www.example" */
    lt_http_map_regex_t       *regex;
    size_t                     nregex;
    lt_http_complex_value_t   *default_value;
    unsigned                   hostnames:1;
} lt_http_map_t;

/* the state of the block being parsed */
typedef struct {
    lt_http_map_t             *map;
    lt_array_t                 exact;       /* lt_hash_key_t */
    lt_array_t                 wc_head;
    lt_array_t                 wc_tail;
    lt_array_t                 regex;       /* lt_http_map_regex_t */
    lt_rbtree_t                seen;        /* every key added, for conflicts */
    lt_rbtree_node_t           sentinel;
    unsigned                   no_cacheable:1;
} lt_http_map_conf_ctx_t;

/* how a key is stored (the first byte of its entry in the "seen" tree) */
#define LT_HTTP_MAP_EXACT    'e'
#define LT_HTTP_MAP_HEAD     'h'
#define LT_HTTP_MAP_TAIL     't'

static void *lt_http_map_create_main_conf(lt_conf_t *cf);
static char *lt_http_map_init_main_conf(lt_conf_t *cf, void *conf);
static char *lt_http_map_block(lt_conf_t *cf, lt_command_t *cmd, void *conf);
static char *lt_http_map(lt_conf_t *cf, lt_command_t *dummy, void *conf);

static lt_conf_num_bounds_t  lt_http_map_hash_bounds = { 1, INT32_MAX };

static lt_command_t  lt_http_map_commands[] = {

    { "map", LT_CTX_HTTP | LT_CONF_BLOCK, 2, 2, lt_http_map_block, LT_MAIN_CONF, 0, NULL },

    { "map_hash_max_size", LT_CTX_HTTP, 1, 1, lt_conf_set_num_slot, LT_MAIN_CONF,
      offsetof(lt_http_map_main_conf_t, hash_max_size), &lt_http_map_hash_bounds },

    { "map_hash_bucket_size", LT_CTX_HTTP, 1, 1, lt_conf_set_size_slot, LT_MAIN_CONF,
      offsetof(lt_http_map_main_conf_t, hash_bucket_size), &lt_http_map_hash_bounds },

    lt_null_command
};

lt_module_t  lt_http_map_module = {
    .name = "http_map",
    .type = LT_HTTP_MODULE,
    .commands = lt_http_map_commands,
    .create_main_conf = lt_http_map_create_main_conf,
    .init_main_conf = lt_http_map_init_main_conf,
};


static void *
lt_http_map_create_main_conf(lt_conf_t *cf)
{
    lt_http_map_main_conf_t  *mcf;

    mcf = lt_palloc(cf->pool, sizeof(lt_http_map_main_conf_t));
    if (mcf == NULL) {
        return NULL;
    }

    mcf->hash_max_size = LT_CONF_UNSET;
    mcf->hash_bucket_size = LT_CONF_UNSET_SIZE;

    return mcf;
}


static char *
lt_http_map_init_main_conf(lt_conf_t *cf, void *conf)
{
    lt_http_map_main_conf_t  *mcf = conf;

    /* lintel's hashes size themselves; the values are kept for compatibility */
    lt_conf_init_value(mcf->hash_max_size, 2048);
    lt_conf_init_size_value(mcf->hash_bucket_size, 64);

    return LT_CONF_OK;
}


/* lt_http_map_find_wildcard: the value of the longest "*.suffix" or "prefix.*"
 * key matching the lowercase name, or NULL */
static lt_http_complex_value_t *
lt_http_map_find_wildcard(lt_http_map_t *map, u_char *name, size_t len)
{
    size_t                    i;
    u_char                   *p;
    lt_http_complex_value_t  *cv;

    if (map->wc_head.nelts) {
        /* "a.b.example.com": "b.example.com", then "example.com", then "com" */
        for (i = 0; i < len; i++) {
            if (name[i] != '.') {
                continue;
            }

            p = name + i + 1;

            cv = lt_hash_find(&map->wc_head, lt_hash_key(p, len - i - 1), p, len - i - 1);
            if (cv) {
                return cv;
            }
        }
    }

    if (map->wc_tail.nelts) {
        /* "www.example.com": "www.example", then "www" */
        for (i = len; i > 0; i--) {
            if (name[i - 1] != '.') {
                continue;
            }

            cv = lt_hash_find(&map->wc_tail, lt_hash_key(name, i - 1), name, i - 1);
            if (cv) {
                return cv;
            }
        }
    }

    return NULL;
}


/* lt_http_map_find: the value for source; LT_ERROR on a failed allocation or
 * regex error. A regex match leaves its captures in r. */
static int
lt_http_map_find(lt_http_request_t *r, lt_http_map_t *map, lt_str_t *source,
    lt_http_complex_value_t **cvp)
{
    int                       rc;
    size_t                    i;
    u_char                   *low;
    uintptr_t                 key;
    lt_http_complex_value_t  *cv;

    cv = NULL;

    if (map->exact.nelts || map->wc_head.nelts || map->wc_tail.nelts) {
        low = lt_pnalloc(r->pool, source->len ? source->len : 1);
        if (low == NULL) {
            return LT_ERROR;
        }

        key = lt_hash_strlow(low, source->data, source->len);

        cv = lt_hash_find(&map->exact, key, low, source->len);

        if (cv == NULL && map->hostnames) {
            cv = lt_http_map_find_wildcard(map, low, source->len);
        }
    }

    for (i = 0; cv == NULL && i < map->nregex; i++) {
        rc = lt_http_regex_exec(r, map->regex[i].regex, source);

        if (rc == LT_OK) {
            cv = map->regex[i].value;

        } else if (rc != LT_DECLINED) {
            return LT_ERROR;
        }
    }

    *cvp = cv ? cv : map->default_value;

    return LT_OK;
}


/* the get handler of a map variable */
static int
lt_http_map_variable(lt_http_request_t *r, lt_http_variable_value_t *v, uintptr_t data)
{
    int                      *captures;
    lt_str_t                  source, value;
    lt_http_map_t            *map = (lt_http_map_t *) data;
    lt_http_complex_value_t  *cv;

    if (lt_http_complex_value(r, &map->source, &source) != LT_OK) {
        return LT_ERROR;
    }

    if (map->hostnames && source.len && source.data[source.len - 1] == '.') {
        source.len--;
    }

    if (lt_http_map_find(r, map, &source, &cv) != LT_OK) {
        return LT_ERROR;
    }

    if (cv == NULL) {
        value.len = 0;
        value.data = (u_char *) "";

    } else if (cv->captures && r->ncaptures) {
        /* $1..$9 are the captures of the regex that matched: keep a copy, so
         * that a variable of the value that runs a regex of its own cannot
         * change them between measuring and copying */
        captures = lt_palloc(r->pool, r->ncaptures * sizeof(int));
        if (captures == NULL) {
            return LT_ERROR;
        }

        lt_memcpy(captures, r->captures, r->ncaptures * sizeof(int));

        if (lt_http_complex_value_captures(r, cv, &value, captures, r->ncaptures,
                                           r->captures_data, 0)
            != LT_OK)
        {
            return LT_ERROR;
        }

    } else if (lt_http_complex_value(r, cv, &value) != LT_OK) {
        return LT_ERROR;
    }

    v->len = (unsigned) value.len;
    v->data = value.data;
    v->valid = 1;
    v->no_cacheable = 0;
    v->not_found = 0;

    return LT_OK;
}


static char *
lt_http_map_block(lt_conf_t *cf, lt_command_t *cmd, void *conf)
{
    char                             *rv;
    lt_str_t                         *value, name;
    lt_http_map_t                    *map;
    lt_http_variable_t               *var;
    lt_http_map_conf_ctx_t            ctx;
    lt_http_compile_complex_value_t   ccv;

    value = cf->args->elts;

    map = lt_pcalloc(cf->pool, sizeof(lt_http_map_t));
    if (map == NULL) {
        return LT_CONF_ERROR;
    }

    lt_memzero(&ccv, sizeof(lt_http_compile_complex_value_t));
    ccv.cf = cf;
    ccv.value = &value[1];
    ccv.complex_value = &map->source;

    if (lt_http_compile_complex_value(&ccv) != LT_OK) {
        return LT_CONF_ERROR;
    }

    if (lt_http_conf_variable_name(cf, &value[2], &name) != LT_OK) {
        return LT_CONF_ERROR;
    }

    var = lt_http_add_variable(cf, &name, LT_HTTP_VAR_CHANGEABLE);
    if (var == NULL) {
        return LT_CONF_ERROR;
    }

    var->get_handler = lt_http_map_variable;
    var->data = (uintptr_t) map;

    lt_memzero(&ctx, sizeof(lt_http_map_conf_ctx_t));
    ctx.map = map;

    if (lt_array_init(&ctx.exact, cf->temp_pool, 16, sizeof(lt_hash_key_t)) != LT_OK
        || lt_array_init(&ctx.wc_head, cf->temp_pool, 4, sizeof(lt_hash_key_t)) != LT_OK
        || lt_array_init(&ctx.wc_tail, cf->temp_pool, 4, sizeof(lt_hash_key_t)) != LT_OK
        || lt_array_init(&ctx.regex, cf->pool, 2, sizeof(lt_http_map_regex_t)) != LT_OK)
    {
        return LT_CONF_ERROR;
    }

    lt_rbtree_init(&ctx.seen, &ctx.sentinel, lt_str_rbtree_insert_value);

    rv = lt_conf_parse_lines(cf, lt_http_map, &ctx);

    if (rv != LT_CONF_OK) {
        return rv;
    }

    if (ctx.no_cacheable) {
        var->flags |= LT_HTTP_VAR_NOCACHEABLE;
    }

    /* the keys are unique by now: the "seen" tree refused duplicates */
    if (lt_hash_init(&map->exact, cf->pool, ctx.exact.elts, ctx.exact.nelts, 0, NULL)
            != LT_OK
        || lt_hash_init(&map->wc_head, cf->pool, ctx.wc_head.elts, ctx.wc_head.nelts, 0,
                        NULL) != LT_OK
        || lt_hash_init(&map->wc_tail, cf->pool, ctx.wc_tail.elts, ctx.wc_tail.nelts, 0,
                        NULL) != LT_OK)
    {
        return LT_CONF_ERROR;
    }

    map->regex = ctx.regex.elts;
    map->nregex = ctx.regex.nelts;

    return LT_CONF_OK;
}


/* lt_http_map_add_key: key (already lowercase) of the given kind; LT_OK,
 * LT_DECLINED when the same key was added before */
static int
lt_http_map_add_key(lt_conf_t *cf, lt_http_map_conf_ctx_t *ctx, u_char kind, lt_str_t *key,
    lt_http_complex_value_t *cv)
{
    u_char          *p;
    uint32_t         hash;
    lt_array_t      *keys;
    lt_hash_key_t   *hk;
    lt_str_node_t   *node;
    lt_str_t         seen;

    p = lt_pnalloc(cf->temp_pool, key->len + 1);
    if (p == NULL) {
        return LT_ERROR;
    }

    p[0] = kind;
    lt_memcpy(p + 1, key->data, key->len);

    seen.data = p;
    seen.len = key->len + 1;

    hash = lt_crc32(seen.data, seen.len);

    if (lt_str_rbtree_lookup(&ctx->seen, &seen, hash) != NULL) {
        return LT_DECLINED;
    }

    node = lt_palloc(cf->temp_pool, sizeof(lt_str_node_t));
    if (node == NULL) {
        return LT_ERROR;
    }

    node->node.key = hash;
    node->str = seen;
    lt_rbtree_insert(&ctx->seen, &node->node);

    keys = (kind == LT_HTTP_MAP_EXACT) ? &ctx->exact
           : (kind == LT_HTTP_MAP_HEAD) ? &ctx->wc_head : &ctx->wc_tail;

    hk = lt_array_push(keys);
    if (hk == NULL) {
        return LT_ERROR;
    }

    hk->key.data = p + 1;
    hk->key.len = key->len;
    hk->key_hash = 0;
    hk->value = cv;

    return LT_OK;
}


/* lt_http_map_add_hostname: a key of a "hostnames" map: "*.example.com",
 * ".example.com", "www.example.*" or an exact name; LT_OK, LT_DECLINED (a
 * conflict), LT_DONE (not a valid wildcard) */
static int
lt_http_map_add_hostname(lt_conf_t *cf, lt_http_map_conf_ctx_t *ctx, lt_str_t *key,
    lt_http_complex_value_t *cv)
{
    int        rc;
    size_t     i, stars;
    lt_str_t   part;

    for (stars = 0, i = 0; i < key->len; i++) {
        if (key->data[i] == '*') {
            stars++;
        }

        if (key->data[i] == '\0'
            || (key->data[i] == '.' && i + 1 < key->len && key->data[i + 1] == '.'))
        {
            return LT_DONE;
        }
    }

    if (stars > 1) {
        return LT_DONE;
    }

    if (key->len > 1 && key->data[0] == '.') {
        /* ".example.com": example.com itself and every name below it */
        part.data = key->data + 1;
        part.len = key->len - 1;

        rc = lt_http_map_add_key(cf, ctx, LT_HTTP_MAP_EXACT, &part, cv);
        if (rc != LT_OK) {
            return rc;
        }

        return lt_http_map_add_key(cf, ctx, LT_HTTP_MAP_HEAD, &part, cv);
    }

    if (key->len > 2 && key->data[0] == '*' && key->data[1] == '.') {
        part.data = key->data + 2;
        part.len = key->len - 2;
        return lt_http_map_add_key(cf, ctx, LT_HTTP_MAP_HEAD, &part, cv);
    }

    if (key->len > 2 && key->data[key->len - 2] == '.' && key->data[key->len - 1] == '*') {
        part.data = key->data;
        part.len = key->len - 2;
        return lt_http_map_add_key(cf, ctx, LT_HTTP_MAP_TAIL, &part, cv);
    }

    if (stars) {
        return LT_DONE;
    }

    return lt_http_map_add_key(cf, ctx, LT_HTTP_MAP_EXACT, key, cv);
}


/* lt_http_map_regex: a "~regex" / "~*regex" source value */
static char *
lt_http_map_regex(lt_conf_t *cf, lt_http_map_conf_ctx_t *ctx, lt_str_t *key,
    lt_http_complex_value_t *cv)
{
    lt_http_map_regex_t  *mr;
    lt_regex_compile_t    rc;

    lt_memzero(&rc, sizeof(lt_regex_compile_t));

    rc.pattern.data = key->data + 1;
    rc.pattern.len = key->len - 1;
    rc.pool = cf->pool;

    if (rc.pattern.len && rc.pattern.data[0] == '*') {
        rc.pattern.data++;
        rc.pattern.len--;
        rc.options = LT_REGEX_CASELESS;
    }

    mr = lt_array_push(&ctx->regex);
    if (mr == NULL) {
        return LT_CONF_ERROR;
    }

    mr->value = cv;
    mr->regex = lt_http_regex_compile(cf, &rc);

    return mr->regex ? LT_CONF_OK : LT_CONF_ERROR;
}


/* one line inside map {} */
static char *
lt_http_map(lt_conf_t *cf, lt_command_t *dummy, void *conf)
{
    int                               rc;
    lt_str_t                         *value, key, low;
    lt_http_map_conf_ctx_t           *ctx = conf;
    lt_http_complex_value_t          *cv;
    lt_http_compile_complex_value_t   ccv;

    value = cf->args->elts;

    if (cf->args->nelts == 1 && lt_str_eq(&value[0], "hostnames")) {
        ctx->map->hostnames = 1;
        return LT_CONF_OK;
    }

    if (cf->args->nelts == 1 && lt_str_eq(&value[0], "volatile")) {
        ctx->no_cacheable = 1;
        return LT_CONF_OK;
    }

    if (cf->args->nelts != 2) {
        lt_conf_log_error(LT_LOG_EMERG, cf, 0, "invalid number of the map parameters");
        return LT_CONF_ERROR;
    }

    if (lt_str_eq(&value[0], "include")) {
        return lt_conf_include(cf, dummy, conf);
    }

    cv = lt_palloc(cf->pool, sizeof(lt_http_complex_value_t));
    if (cv == NULL) {
        return LT_CONF_ERROR;
    }

    lt_memzero(&ccv, sizeof(lt_http_compile_complex_value_t));
    ccv.cf = cf;
    ccv.value = &value[1];
    ccv.complex_value = cv;

    if (lt_http_compile_complex_value(&ccv) != LT_OK) {
        return LT_CONF_ERROR;
    }

    if (lt_str_eq(&value[0], "default")) {
        if (ctx->map->default_value) {
            lt_conf_log_error(LT_LOG_EMERG, cf, 0, "duplicate default map parameter");
            return LT_CONF_ERROR;
        }

        ctx->map->default_value = cv;
        return LT_CONF_OK;
    }

    if (value[0].len && value[0].data[0] == '~') {
        return lt_http_map_regex(cf, ctx, &value[0], cv);
    }

    key = value[0];

    if (key.len && key.data[0] == '\\') {
        key.len--;
        key.data++;
    }

    /* string keys match ignoring case: they are stored lowercase */
    low.len = key.len;
    low.data = lt_pnalloc(cf->temp_pool, key.len + 1);
    if (low.data == NULL) {
        return LT_CONF_ERROR;
    }

    lt_strlow(low.data, key.data, key.len);

    if (ctx->map->hostnames) {
        rc = lt_http_map_add_hostname(cf, ctx, &low, cv);

    } else {
        rc = lt_http_map_add_key(cf, ctx, LT_HTTP_MAP_EXACT, &low, cv);
    }

    if (rc == LT_OK) {
        return LT_CONF_OK;
    }

    if (rc == LT_DONE) {
        lt_conf_log_error(LT_LOG_EMERG, cf, 0, "invalid hostname or wildcard \"%.*s\"",
                          (int) key.len, key.data);

    } else if (rc == LT_DECLINED) {
        lt_conf_log_error(LT_LOG_EMERG, cf, 0, "conflicting parameter \"%.*s\"",
                          (int) key.len, key.data);
    }

    return LT_CONF_ERROR;
}
