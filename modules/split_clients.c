/*
 * split_clients.c: the split_clients directive (http_split_clients), for A/B
 * testing. "split_clients STRING $var { 0.5% a; 20% b; * c; }" hashes the value
 * of STRING with MurmurHash2 into 32 bits; each part owns a share of the hash
 * space in the order written ("*" the rest), and $var gets the value of the
 * part the hash falls into, or the empty string when the parts do not cover
 * 100% and none matched.
 *
 * The boundaries are computed as nginx computes them (a part of P hundredths of
 * a percent ends P * 0xffffffff / 10000 after the previous one, rounded down),
 * so that the same STRING lands in the same part as under nginx.
 */

#include "lt_http.h"

typedef struct {
    uint32_t                   percent;     /* the end of the part; 0: "*" */
    lt_str_t                   value;
} lt_http_split_clients_part_t;

typedef struct {
    lt_http_complex_value_t    source;
    lt_array_t                 parts;       /* lt_http_split_clients_part_t */
} lt_http_split_clients_ctx_t;

static char *lt_http_split_clients_block(lt_conf_t *cf, lt_command_t *cmd, void *conf);
static char *lt_http_split_clients(lt_conf_t *cf, lt_command_t *dummy, void *conf);

static lt_command_t  lt_http_split_clients_commands[] = {

    { "split_clients", LT_CTX_HTTP | LT_CONF_BLOCK, 2, 2, lt_http_split_clients_block,
      LT_MAIN_CONF, 0, NULL },

    lt_null_command
};

lt_module_t  lt_http_split_clients_module = {
    .name = "http_split_clients",
    .type = LT_HTTP_MODULE,
    .commands = lt_http_split_clients_commands,
};


/*
 * lt_murmur_hash2: MurmurHash2 (Austin Appleby's public-domain algorithm) with
 * seed 0: the length seeds the state, four bytes at a time (little-endian) are
 * mixed in, then the 1-3 trailing bytes, then a final avalanche.
 */
static uint32_t
lt_murmur_hash2(const u_char *data, size_t len)
{
    uint32_t  h, k;

    h = (uint32_t) len;

    while (len >= 4) {
        k = (uint32_t) data[0] | (uint32_t) data[1] << 8 | (uint32_t) data[2] << 16
            | (uint32_t) data[3] << 24;

        k *= 0x5bd1e995;
        k ^= k >> 24;
        k *= 0x5bd1e995;

        h *= 0x5bd1e995;
        h ^= k;

        data += 4;
        len -= 4;
    }

    switch (len) {
    case 3:
        h ^= (uint32_t) data[2] << 16;
        /* fall through */
    case 2:
        h ^= (uint32_t) data[1] << 8;
        /* fall through */
    case 1:
        h ^= data[0];
        h *= 0x5bd1e995;
    }

    h ^= h >> 13;
    h *= 0x5bd1e995;
    h ^= h >> 15;

    return h;
}


/* the get handler of a split_clients variable */
static int
lt_http_split_clients_variable(lt_http_request_t *r, lt_http_variable_value_t *v,
    uintptr_t data)
{
    size_t                         i;
    uint32_t                       hash;
    lt_str_t                       source;
    lt_http_split_clients_ctx_t   *ctx = (lt_http_split_clients_ctx_t *) data;
    lt_http_split_clients_part_t  *part;

    if (lt_http_complex_value(r, &ctx->source, &source) != LT_OK) {
        return LT_ERROR;
    }

    hash = lt_murmur_hash2(source.data, source.len);

    v->len = 0;
    v->data = (u_char *) "";
    v->valid = 1;
    v->no_cacheable = 0;
    v->not_found = 0;

    part = ctx->parts.elts;

    for (i = 0; i < ctx->parts.nelts; i++) {
        if (hash < part[i].percent || part[i].percent == 0) {
            v->len = (unsigned) part[i].value.len;
            v->data = part[i].value.data;
            break;
        }
    }

    return LT_OK;
}


static char *
lt_http_split_clients_block(lt_conf_t *cf, lt_command_t *cmd, void *conf)
{
    char                             *rv;
    size_t                            i;
    uint32_t                          sum;
    uint64_t                          last;
    lt_str_t                         *value, name;
    lt_http_variable_t               *var;
    lt_http_split_clients_ctx_t      *ctx;
    lt_http_split_clients_part_t     *part;
    lt_http_compile_complex_value_t   ccv;

    value = cf->args->elts;

    ctx = lt_pcalloc(cf->pool, sizeof(lt_http_split_clients_ctx_t));
    if (ctx == NULL) {
        return LT_CONF_ERROR;
    }

    lt_memzero(&ccv, sizeof(lt_http_compile_complex_value_t));
    ccv.cf = cf;
    ccv.value = &value[1];
    ccv.complex_value = &ctx->source;

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

    var->get_handler = lt_http_split_clients_variable;
    var->data = (uintptr_t) ctx;

    if (lt_array_init(&ctx->parts, cf->pool, 2, sizeof(lt_http_split_clients_part_t))
        != LT_OK)
    {
        return LT_CONF_ERROR;
    }

    rv = lt_conf_parse_lines(cf, lt_http_split_clients, ctx);

    if (rv != LT_CONF_OK) {
        return rv;
    }

    /* turn the shares into the ends of the parts in the 32-bit hash space; "*"
     * takes the rest, so nothing may follow it */
    part = ctx->parts.elts;
    sum = 0;
    last = 0;

    for (i = 0; i < ctx->parts.nelts; i++) {
        sum = part[i].percent ? sum + part[i].percent : 10000;

        if (sum > 10000) {
            lt_conf_log_error(LT_LOG_EMERG, cf, 0, "percent total is greater than 100%%");
            return LT_CONF_ERROR;
        }

        if (part[i].percent) {
            last += part[i].percent * (uint64_t) 0xffffffff / 10000;
            part[i].percent = (uint32_t) last;
        }
    }

    return LT_CONF_OK;
}


/* one line inside split_clients {}: "PERCENT% value;" or "* value;" */
static char *
lt_http_split_clients(lt_conf_t *cf, lt_command_t *dummy, void *conf)
{
    int64_t                          n;
    lt_str_t                        *value;
    lt_http_split_clients_ctx_t     *ctx = conf;
    lt_http_split_clients_part_t    *part;

    value = cf->args->elts;

    if (cf->args->nelts != 2) {
        lt_conf_log_error(LT_LOG_EMERG, cf, 0,
                          "invalid number of the split_clients parameters");
        return LT_CONF_ERROR;
    }

    part = lt_array_push(&ctx->parts);
    if (part == NULL) {
        return LT_CONF_ERROR;
    }

    if (lt_str_eq(&value[0], "*")) {
        part->percent = 0;

    } else {
        n = LT_ERROR;

        if (value[0].len > 1 && value[0].data[value[0].len - 1] == '%') {
            /* hundredths of a percent: "0.5%" is 50 */
            n = lt_atofp(value[0].data, value[0].len - 1, 2);
        }

        if (n <= 0) {
            lt_conf_log_error(LT_LOG_EMERG, cf, 0, "invalid percent value \"%.*s\"",
                              (int) value[0].len, value[0].data);
            return LT_CONF_ERROR;
        }

        /* over 100% alone: the total check at the end of the block reports it */
        part->percent = (uint32_t) lt_min(n, 10001);
    }

    part->value = value[1];

    return LT_CONF_OK;
}
