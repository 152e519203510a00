/*
 * lt_http_variables.c: the variable machinery (see lt_http_variables.h):
 * declaring and indexing variables while the configuration is read, resolving
 * indexes to handlers at the end of the http{} block, lazy evaluation with a
 * per-request cache, regex captures, and complex values. The handlers of the
 * core variables are in lt_http_core_variables.c.
 */

#include "lt_http.h"

lt_http_variable_value_t  lt_http_variable_null_value = { 0, 1, 0, 0, 0, (u_char *) "" };
lt_http_variable_value_t  lt_http_variable_true_value = { 1, 1, 0, 0, 0, (u_char *) "1" };

/* guards against "set $a $a"-like cycles */
static unsigned  lt_http_variable_depth = 100;

/* configuration-time list of declared variables (lt_http_variable_t *) */
static lt_array_t *
lt_http_variables_keys(lt_conf_t *cf)
{
    lt_http_core_main_conf_t  *cmcf;

    cmcf = lt_http_conf_get_module_main_conf(cf, lt_http_core_module);

    if (cmcf->variables_keys == NULL) {
        cmcf->variables_keys = lt_array_create(cf->temp_pool, 256,
                                               sizeof(lt_http_variable_t *));
    }

    return cmcf->variables_keys;
}


static lt_http_variable_t *
lt_http_add_prefix_variable(lt_conf_t *cf, lt_str_t *name, unsigned flags)
{
    size_t                      i;
    lt_http_variable_t         *v;
    lt_http_core_main_conf_t   *cmcf;

    cmcf = lt_http_conf_get_module_main_conf(cf, lt_http_core_module);

    v = cmcf->prefix_variables.elts;

    for (i = 0; i < cmcf->prefix_variables.nelts; i++) {
        if (name->len != v[i].name.len || lt_strncasecmp(name->data, v[i].name.data, name->len)) {
            continue;
        }

        if (!(v[i].flags & LT_HTTP_VAR_CHANGEABLE)) {
            lt_conf_log_error(LT_LOG_EMERG, cf, 0, "the duplicate \"%.*s\" variable",
                              (int) name->len, name->data);
            return NULL;
        }

        if (!(flags & LT_HTTP_VAR_WEAK)) {
            v[i].flags &= ~LT_HTTP_VAR_WEAK;
        }

        return &v[i];
    }

    v = lt_array_push(&cmcf->prefix_variables);
    if (v == NULL) {
        return NULL;
    }

    v->name.len = name->len;
    v->name.data = lt_pnalloc(cf->pool, name->len);
    if (v->name.data == NULL) {
        return NULL;
    }

    lt_strlow(v->name.data, name->data, name->len);

    v->set_handler = NULL;
    v->get_handler = NULL;
    v->data = 0;
    v->flags = flags;
    v->index = 0;

    return v;
}


lt_http_variable_t *
lt_http_add_variable(lt_conf_t *cf, lt_str_t *name, unsigned flags)
{
    size_t                i;
    lt_array_t           *keys;
    lt_http_variable_t   *v, **vp;

    if (name->len == 0) {
        lt_conf_log_error(LT_LOG_EMERG, cf, 0, "invalid variable name \"$\"");
        return NULL;
    }

    if (flags & LT_HTTP_VAR_PREFIX) {
        return lt_http_add_prefix_variable(cf, name, flags);
    }

    keys = lt_http_variables_keys(cf);
    if (keys == NULL) {
        return NULL;
    }

    vp = keys->elts;

    for (i = 0; i < keys->nelts; i++) {
        v = vp[i];

        if (name->len != v->name.len || lt_strncasecmp(name->data, v->name.data, name->len)) {
            continue;
        }

        if (!(v->flags & LT_HTTP_VAR_CHANGEABLE)) {
            lt_conf_log_error(LT_LOG_EMERG, cf, 0, "the duplicate \"%.*s\" variable",
                              (int) name->len, name->data);
            return NULL;
        }

        if (!(flags & LT_HTTP_VAR_WEAK)) {
            v->flags &= ~LT_HTTP_VAR_WEAK;
        }

        return v;
    }

    v = lt_palloc(cf->pool, sizeof(lt_http_variable_t));
    vp = lt_array_push(keys);
    if (v == NULL || vp == NULL) {
        return NULL;
    }

    v->name.len = name->len;
    v->name.data = lt_pnalloc(cf->pool, name->len);
    if (v->name.data == NULL) {
        return NULL;
    }

    lt_strlow(v->name.data, name->data, name->len);

    v->set_handler = NULL;
    v->get_handler = NULL;
    v->data = 0;
    v->flags = flags;
    v->index = 0;

    *vp = v;

    return v;
}


int
lt_http_get_variable_index(lt_conf_t *cf, lt_str_t *name)
{
    size_t                      i;
    lt_http_variable_t         *v;
    lt_http_core_main_conf_t   *cmcf;

    if (name->len == 0) {
        lt_conf_log_error(LT_LOG_EMERG, cf, 0, "invalid variable name \"$\"");
        return LT_ERROR;
    }

    cmcf = lt_http_conf_get_module_main_conf(cf, lt_http_core_module);

    v = cmcf->variables.elts;

    if (v == NULL) {
        if (lt_array_init(&cmcf->variables, cf->pool, 4, sizeof(lt_http_variable_t))
            != LT_OK)
        {
            return LT_ERROR;
        }

    } else {
        for (i = 0; i < cmcf->variables.nelts; i++) {
            if (name->len == v[i].name.len
                && lt_strncasecmp(name->data, v[i].name.data, name->len) == 0)
            {
                return (int) i;
            }
        }
    }

    v = lt_array_push(&cmcf->variables);
    if (v == NULL) {
        return LT_ERROR;
    }

    v->name.len = name->len;
    v->name.data = lt_pnalloc(cf->pool, name->len);
    if (v->name.data == NULL) {
        return LT_ERROR;
    }

    lt_strlow(v->name.data, name->data, name->len);

    v->set_handler = NULL;
    v->get_handler = NULL;
    v->data = 0;
    v->flags = 0;
    v->index = (unsigned) cmcf->variables.nelts - 1;

    return (int) v->index;
}


lt_http_variable_value_t *
lt_http_get_indexed_variable(lt_http_request_t *r, unsigned index)
{
    lt_http_variable_t        *v;
    lt_http_core_main_conf_t  *cmcf;

    cmcf = lt_http_get_module_main_conf(r, lt_http_core_module);

    if (cmcf->variables.nelts <= index) {
        lt_log_error(LT_LOG_ALERT, r->connection->log, 0, "unknown variable index: %u",
                     index);
        return NULL;
    }

    if (r->variables[index].not_found || r->variables[index].valid) {
        return &r->variables[index];
    }

    v = cmcf->variables.elts;

    if (lt_http_variable_depth == 0) {
        lt_log_error(LT_LOG_ERR, r->connection->log, 0,
                     "cycle while evaluating variable \"%.*s\"",
                     (int) v[index].name.len, v[index].name.data);
        return NULL;
    }

    lt_http_variable_depth--;

    if (v[index].get_handler(r, &r->variables[index], v[index].data) == LT_OK) {
        lt_http_variable_depth++;

        if (v[index].flags & LT_HTTP_VAR_NOCACHEABLE) {
            r->variables[index].no_cacheable = 1;
        }

        return &r->variables[index];
    }

    lt_http_variable_depth++;

    r->variables[index].valid = 0;
    r->variables[index].not_found = 1;

    return NULL;
}


lt_http_variable_value_t *
lt_http_get_flushed_variable(lt_http_request_t *r, unsigned index)
{
    lt_http_variable_value_t  *value;

    value = &r->variables[index];

    if (value->valid || value->not_found) {
        if (!value->no_cacheable) {
            return value;
        }

        value->valid = 0;
        value->not_found = 0;
    }

    return lt_http_get_indexed_variable(r, index);
}


lt_http_variable_value_t *
lt_http_get_variable(lt_http_request_t *r, lt_str_t *name, uintptr_t key)
{
    size_t                      i;
    lt_http_variable_t         *v;
    lt_http_variable_value_t   *vv;
    lt_http_core_main_conf_t   *cmcf;

    cmcf = lt_http_get_module_main_conf(r, lt_http_core_module);

    v = lt_hash_find(&cmcf->variables_hash, key, name->data, name->len);

    if (v) {
        if (v->flags & LT_HTTP_VAR_INDEXED) {
            return lt_http_get_flushed_variable(r, v->index);
        }

        vv = lt_palloc(r->pool, sizeof(lt_http_variable_value_t));

        if (vv && v->get_handler(r, vv, v->data) == LT_OK) {
            return vv;
        }

        return NULL;
    }

    vv = lt_palloc(r->pool, sizeof(lt_http_variable_value_t));
    if (vv == NULL) {
        return NULL;
    }

    v = cmcf->prefix_variables.elts;

    for (i = 0; i < cmcf->prefix_variables.nelts; i++) {
        if (name->len >= v[i].name.len && memcmp(name->data, v[i].name.data, v[i].name.len) == 0)
        {
            if (v[i].get_handler(r, vv, (uintptr_t) name) == LT_OK) {
                return vv;
            }

            return NULL;
        }
    }

    vv->not_found = 1;

    return vv;
}


/* lt_http_variable_not_found: the getter of variables set only by "set" or a
 * regex capture */
static int
lt_http_variable_not_found(lt_http_request_t *r, lt_http_variable_value_t *v,
    uintptr_t data)
{
    v->not_found = 1;
    return LT_OK;
}


static int
lt_http_resolve_variable(lt_conf_t *cf, lt_http_variable_t *v, size_t index)
{
    size_t                      n;
    unsigned                    declared;
    lt_array_t                 *keys;
    lt_http_variable_t         *av, **avp, *pv, *best;
    lt_http_core_main_conf_t   *cmcf;

    cmcf = lt_http_conf_get_module_main_conf(cf, lt_http_core_module);
    keys = lt_http_variables_keys(cf);

    avp = keys->elts;
    declared = 0;

    for (n = 0; n < keys->nelts; n++) {
        av = avp[n];

        if (v->name.len == av->name.len
            && lt_strncasecmp(v->name.data, av->name.data, v->name.len) == 0)
        {
            v->get_handler = av->get_handler;
            v->set_handler = av->set_handler;
            v->data = av->data;

            av->flags |= LT_HTTP_VAR_INDEXED;
            v->flags = av->flags;

            av->index = (unsigned) index;

            if (av->get_handler && !(av->flags & LT_HTTP_VAR_WEAK)) {
                return LT_OK;
            }

            declared = 1;
            break;
        }
    }

    /* a name no module defines, or one only declared by "set" or a regex: where a
     * prefix variable answers for it ("$http_x", "set $arg_y ..."), its value is
     * the longest prefix's until something sets it, as in nginx */

    pv = cmcf->prefix_variables.elts;
    best = NULL;

    for (n = 0; n < cmcf->prefix_variables.nelts; n++) {
        if (v->name.len >= pv[n].name.len
            && (best == NULL || pv[n].name.len > best->name.len)
            && lt_strncasecmp(v->name.data, pv[n].name.data, pv[n].name.len) == 0)
        {
            best = &pv[n];
        }
    }

    if (best) {
        v->get_handler = best->get_handler;
        v->data = (uintptr_t) &v->name;
        v->flags = best->flags;
        return LT_OK;
    }

    if (declared) {
        if (v->get_handler == NULL) {
            v->get_handler = lt_http_variable_not_found;
        }

        return LT_OK;
    }

    lt_log_error(LT_LOG_EMERG, cf->log, 0, "unknown \"%.*s\" variable",
                 (int) v->name.len, v->name.data);

    return LT_ERROR;
}


int
lt_http_variables_init_vars(lt_conf_t *cf)
{
    size_t                      i, n;
    lt_array_t                 *keys;
    lt_hash_key_t              *hk;
    lt_http_variable_t         *v, **avp;
    lt_http_core_main_conf_t   *cmcf;

    cmcf = lt_http_conf_get_module_main_conf(cf, lt_http_core_module);

    v = cmcf->variables.elts;

    for (i = 0; i < cmcf->variables.nelts; i++) {
        if (lt_http_resolve_variable(cf, &v[i], i) != LT_OK) {
            return LT_ERROR;
        }
    }

    keys = lt_http_variables_keys(cf);
    avp = keys->elts;

    hk = lt_palloc(cf->temp_pool, (keys->nelts + 1) * sizeof(lt_hash_key_t));
    if (hk == NULL) {
        return LT_ERROR;
    }

    for (i = 0, n = 0; i < keys->nelts; i++) {
        if (avp[i]->flags & LT_HTTP_VAR_NOHASH) {
            continue;
        }

        hk[n].key = avp[i]->name;
        hk[n].key_hash = 0;
        hk[n].value = avp[i];
        n++;
    }

    if (lt_hash_init(&cmcf->variables_hash, cf->pool, hk, n, 0, NULL) != LT_OK) {
        return LT_ERROR;
    }

    cmcf->variables_keys = NULL;

    return LT_OK;
}


lt_http_regex_t *
lt_http_regex_compile(lt_conf_t *cf, lt_regex_compile_t *rc)
{
    int                         i, n, capture;
    u_char                     *p;
    lt_str_t                    name;
    lt_http_regex_t            *re;
    lt_http_variable_t         *v;
    lt_http_regex_variable_t   *rv;
    lt_http_core_main_conf_t   *cmcf;

    if (lt_regex_compile(rc) != LT_OK) {
        lt_conf_log_error(LT_LOG_EMERG, cf, 0, "%.*s", (int) rc->err.len, rc->err.data);
        return NULL;
    }

    re = lt_pcalloc(cf->pool, sizeof(lt_http_regex_t));
    if (re == NULL) {
        return NULL;
    }

    re->regex = rc->regex;
    re->ncaptures = (unsigned) rc->captures;
    re->name = rc->pattern;

    cmcf = lt_http_conf_get_module_main_conf(cf, lt_http_core_module);
    cmcf->ncaptures = lt_max(cmcf->ncaptures, re->ncaptures);

    n = rc->named_captures;

    if (n == 0) {
        return re;
    }

    rv = lt_palloc(cf->pool, n * sizeof(lt_http_regex_variable_t));
    if (rv == NULL) {
        return NULL;
    }

    re->variables = rv;
    re->nvariables = (unsigned) n;

    p = rc->names;

    for (i = 0; i < n; i++) {
        capture = (p[0] << 8) | p[1];

        name.data = &p[2];
        name.len = lt_strlen(name.data);

        v = lt_http_add_variable(cf, &name, LT_HTTP_VAR_CHANGEABLE);
        if (v == NULL) {
            return NULL;
        }

        rv[i].index = lt_http_get_variable_index(cf, &name);
        if (rv[i].index == LT_ERROR) {
            return NULL;
        }

        rv[i].capture = 2 * (unsigned) capture;

        p += rc->name_size;
    }

    return re;
}


int
lt_http_regex_exec(lt_http_request_t *r, lt_http_regex_t *re, lt_str_t *s)
{
    int                         rc, *cap;
    size_t                      len;
    unsigned                    i;
    lt_http_variable_value_t   *vv;
    lt_http_core_main_conf_t   *cmcf;

    cmcf = lt_http_get_module_main_conf(r, lt_http_core_module);

    if (re->ncaptures || re->nvariables) {
        len = cmcf->ncaptures;

        if (r->captures == NULL || r->realloc_captures) {
            r->realloc_captures = 0;

            r->captures = lt_palloc(r->pool, len * sizeof(int));
            if (r->captures == NULL) {
                return LT_ERROR;
            }
        }

    } else {
        len = 0;
    }

    cap = r->captures;

    rc = lt_regex_exec(re->regex, s, len ? cap : NULL, len);

    if (rc == LT_REGEX_NO_MATCHED) {
        return LT_DECLINED;
    }

    if (rc < 0) {
        lt_log_error(LT_LOG_ALERT, r->connection->log, 0,
                     "pcre2_match() failed: %d on \"%.*s\" using \"%.*s\"", rc,
                     (int) s->len, s->data, (int) re->name.len, re->name.data);
        return LT_ERROR;
    }

    for (i = 0; i < re->nvariables; i++) {
        vv = &r->variables[re->variables[i].index];

        if (re->variables[i].capture / 2 >= (unsigned) rc
            || cap[re->variables[i].capture] < 0)
        {
            vv->len = 0;
            vv->data = (u_char *) "";

        } else {
            vv->len = (unsigned) (cap[re->variables[i].capture + 1]
                                  - cap[re->variables[i].capture]);
            vv->data = &s->data[cap[re->variables[i].capture]];
        }

        vv->valid = 1;
        vv->no_cacheable = 0;
        vv->not_found = 0;
    }

    if (re->ncaptures) {
        r->ncaptures = (unsigned) rc * 2;
        r->captures_data = s->data;
    }

    return LT_OK;
}


/* complex values */

#define LT_HTTP_CV_TEXT      0
#define LT_HTTP_CV_VARIABLE  1
#define LT_HTTP_CV_CAPTURE   2

struct lt_http_cv_part_s {
    unsigned    type;
    lt_str_t    text;
    int         index;
};


size_t
lt_http_script_variables_count(lt_str_t *value)
{
    size_t  i, n;

    for (n = 0, i = 0; i < value->len; i++) {
        if (value->data[i] == '$') {
            n++;
        }
    }

    return n;
}


u_char *
lt_http_script_variable_name(lt_conf_t *cf, u_char *p, u_char *end, lt_str_t *name)
{
    int  bracket;

    bracket = (p < end && *p == '{');

    if (bracket) {
        p++;
    }

    name->data = p;

    while (p < end && ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z')
                       || (*p >= '0' && *p <= '9') || *p == '_'))
    {
        p++;
    }

    name->len = p - name->data;

    if (bracket) {
        if (p == end || *p != '}') {
            lt_conf_log_error(LT_LOG_EMERG, cf, 0, "the closing bracket in \"%.*s\" "
                              "variable is missing", (int) name->len, name->data);
            return NULL;
        }

        p++;
    }

    return p;
}


/* lt_http_cv_parse_variable: "$name", "${name}", "$1" at p; fills part */
static u_char *
lt_http_cv_parse_variable(lt_http_compile_complex_value_t *ccv, u_char *p, u_char *end,
    lt_http_cv_part_t *part)
{
    lt_str_t   name;

    if (p < end && *p >= '1' && *p <= '9') {
        part->type = LT_HTTP_CV_CAPTURE;
        part->index = *p - '0';
        ccv->complex_value->captures = 1;
        return p + 1;
    }

    p = lt_http_script_variable_name(ccv->cf, p, end, &name);
    if (p == NULL) {
        return NULL;
    }

    if (name.len == 0) {
        lt_conf_log_error(LT_LOG_EMERG, ccv->cf, 0, "invalid variable name in \"%.*s\"",
                          (int) ccv->value->len, ccv->value->data);
        return NULL;
    }

    part->type = LT_HTTP_CV_VARIABLE;
    part->index = lt_http_get_variable_index(ccv->cf, &name);

    return part->index == LT_ERROR ? NULL : p;
}


int
lt_http_compile_complex_value(lt_http_compile_complex_value_t *ccv)
{
    u_char                   *p, *end, *start;
    size_t                    n;
    lt_str_t                 *v;
    lt_http_cv_part_t        *parts;
    lt_http_complex_value_t  *cv;

    v = ccv->value;
    cv = ccv->complex_value;

    cv->value = *v;
    cv->parts = NULL;
    cv->nparts = 0;
    cv->captures = 0;

    n = lt_http_script_variables_count(v);

    if (n == 0) {
        if ((ccv->conf_prefix || ccv->root_prefix)
            && lt_conf_full_name(ccv->cf->cycle, &cv->value, ccv->conf_prefix) != LT_OK)
        {
            return LT_ERROR;
        }

        return LT_OK;
    }

    /* at most a text part before and after each variable */
    parts = lt_palloc(ccv->cf->pool, (2 * n + 1) * sizeof(lt_http_cv_part_t));
    if (parts == NULL) {
        return LT_ERROR;
    }

    p = v->data;
    end = v->data + v->len;

    while (p < end) {
        if (*p == '$') {
            p = lt_http_cv_parse_variable(ccv, p + 1, end, &parts[cv->nparts]);
            if (p == NULL) {
                return LT_ERROR;
            }

            cv->nparts++;
            continue;
        }

        start = p;

        while (p < end && *p != '$') {
            p++;
        }

        parts[cv->nparts].type = LT_HTTP_CV_TEXT;
        parts[cv->nparts].text.data = start;
        parts[cv->nparts].text.len = p - start;
        parts[cv->nparts].index = 0;
        cv->nparts++;
    }

    cv->parts = parts;

    (void) ccv->zero;

    return LT_OK;
}


/*
 * lt_http_complex_value_eval: the value of val. The variables are evaluated first,
 * each once (those that are not cacheable afresh), so that both passes see the
 * same lengths; captures of the request (captures == NULL) are read only then,
 * since a variable that runs a regex of its own (a map) replaces them.
 */
static int
lt_http_complex_value_eval(lt_http_request_t *r, lt_http_complex_value_t *val,
    lt_str_t *value, int *captures, unsigned ncaptures, u_char *data, size_t extra)
{
    size_t                      i, len, n;
    u_char                     *p;
    lt_http_variable_value_t   *vv;
    lt_http_cv_part_t          *part;

    if (val->parts == NULL) {
        *value = val->value;
        return LT_OK;
    }

    for (i = 0; i < val->nparts; i++) {
        if (val->parts[i].type == LT_HTTP_CV_VARIABLE) {
            vv = &r->variables[val->parts[i].index];

            if (vv->no_cacheable) {
                vv->valid = 0;
                vv->not_found = 0;
            }
        }
    }

    for (i = 0; i < val->nparts; i++) {
        if (val->parts[i].type == LT_HTTP_CV_VARIABLE) {
            (void) lt_http_get_indexed_variable(r, (unsigned) val->parts[i].index);
        }
    }

    if (captures == NULL) {
        captures = r->captures;
        ncaptures = r->ncaptures;
        data = r->captures_data;
    }

    /* pass 1: the length */

    len = 0;

    for (i = 0; i < val->nparts; i++) {
        part = &val->parts[i];

        switch (part->type) {

        case LT_HTTP_CV_TEXT:
            len += part->text.len;
            break;

        case LT_HTTP_CV_VARIABLE:
            vv = &r->variables[part->index];
            if (vv->valid && !vv->not_found) {
                len += vv->len;
            }
            break;

        default:
            n = (size_t) part->index * 2;
            if (n + 1 < ncaptures && captures[n] >= 0) {
                len += (size_t) (captures[n + 1] - captures[n]);
            }
        }
    }

    value->data = lt_pnalloc(r->pool, len + 1 + extra);
    if (value->data == NULL) {
        return LT_ERROR;
    }

    /* pass 2: the bytes */

    p = value->data;

    for (i = 0; i < val->nparts; i++) {
        part = &val->parts[i];

        switch (part->type) {

        case LT_HTTP_CV_TEXT:
            p = lt_cpymem(p, part->text.data, part->text.len);
            break;

        case LT_HTTP_CV_VARIABLE:
            vv = &r->variables[part->index];
            if (vv->valid && !vv->not_found && vv->len) {
                p = lt_cpymem(p, vv->data, vv->len);
            }
            break;

        default:
            n = (size_t) part->index * 2;
            if (n + 1 < ncaptures && captures[n] >= 0) {
                p = lt_cpymem(p, data + captures[n], captures[n + 1] - captures[n]);
            }
        }
    }

    *p = '\0';
    value->len = p - value->data;

    return LT_OK;
}


int
lt_http_complex_value_captures(lt_http_request_t *r, lt_http_complex_value_t *val,
    lt_str_t *value, int *captures, unsigned ncaptures, u_char *data, size_t extra)
{
    return lt_http_complex_value_eval(r, val, value, captures, ncaptures, data, extra);
}


int
lt_http_complex_value(lt_http_request_t *r, lt_http_complex_value_t *val, lt_str_t *value)
{
    return lt_http_complex_value_eval(r, val, value, NULL, 0, NULL, 0);
}


char *
lt_http_set_complex_value_size_slot(lt_conf_t *cf, lt_command_t *cmd, void *conf)
{
    char                      *rv;
    lt_http_complex_value_t  **cv;

    rv = lt_http_set_complex_value_slot(cf, cmd, conf);
    if (rv != LT_CONF_OK) {
        return rv;
    }

    cv = (lt_http_complex_value_t **) ((char *) conf + cmd->offset);

    /* a value without variables is checked now; one with them, per request */
    if ((*cv)->parts == NULL && lt_parse_size(&(*cv)->value) == LT_ERROR) {
        lt_conf_log_error(LT_LOG_EMERG, cf, 0, "invalid value \"%.*s\" in \"%s\" directive",
                          (int) (*cv)->value.len, (*cv)->value.data, cmd->name);
        return LT_CONF_ERROR;
    }

    return LT_CONF_OK;
}


int
lt_http_conf_variable_name(lt_conf_t *cf, const lt_str_t *arg, lt_str_t *name)
{
    if (arg->len < 2 || arg->data[0] != '$') {
        lt_conf_log_error(LT_LOG_EMERG, cf, 0, "invalid variable name \"%.*s\"",
                          (int) arg->len, arg->data);
        return LT_ERROR;
    }

    name->len = arg->len - 1;
    name->data = arg->data + 1;

    return LT_OK;
}


char *
lt_http_set_complex_value_slot(lt_conf_t *cf, lt_command_t *cmd, void *conf)
{
    lt_str_t                          *value;
    lt_http_complex_value_t          **cv;
    lt_http_compile_complex_value_t    ccv;

    cv = (lt_http_complex_value_t **) ((char *) conf + cmd->offset);

    if (*cv != LT_CONF_UNSET_PTR && *cv != NULL) {
        return "is duplicate";
    }

    *cv = lt_palloc(cf->pool, sizeof(lt_http_complex_value_t));
    if (*cv == NULL) {
        return LT_CONF_ERROR;
    }

    value = cf->args->elts;

    lt_memzero(&ccv, sizeof(lt_http_compile_complex_value_t));
    ccv.cf = cf;
    ccv.value = &value[1];
    ccv.complex_value = *cv;

    if (lt_http_compile_complex_value(&ccv) != LT_OK) {
        return LT_CONF_ERROR;
    }

    return LT_CONF_OK;
}
