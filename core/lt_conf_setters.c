/*
 * lt_conf_setters.c: the generic directive setters (see lt_conf_file.h). Each
 * writes the field at cmd->offset of the conf struct, refuses a second setting
 * of the same field at the same level ("is duplicate"), and reports a bad value
 * as: invalid value "abc" in "keepalive_timeout" directive in FILE:LINE.
 */

#include "lt_core.h"

#define lt_conf_field(conf, cmd, type)  ((type *) ((char *) (conf) + (cmd)->offset))


/* lt_conf_invalid: the common message for a value a setter cannot take */
static char *
lt_conf_invalid(lt_conf_t *cf, lt_command_t *cmd, lt_str_t *value, const char *why)
{
    lt_conf_log_error(LT_LOG_EMERG, cf, 0, "invalid value \"%s\" in \"%s\" directive%s",
                      value->data, cmd->name, why ? why : "");
    return LT_CONF_ERROR;
}


/* lt_conf_check_bounds: applies cmd->post as lt_conf_num_bounds_t when given */
static char *
lt_conf_check_bounds(lt_conf_t *cf, lt_command_t *cmd, lt_str_t *value, int64_t n)
{
    const lt_conf_num_bounds_t  *b = cmd->post;
    u_char                       why[96];

    if (b == NULL || (n >= b->low && n <= b->high)) {
        return LT_CONF_OK;
    }

    if (b->high == INT64_MAX) {
        (void) snprintf((char *) why, sizeof(why), ", it must be at least %lld",
                        (long long) b->low);
    } else {
        (void) snprintf((char *) why, sizeof(why), ", it must be between %lld and %lld",
                        (long long) b->low, (long long) b->high);
    }

    return lt_conf_invalid(cf, cmd, value, (char *) why);
}


char *
lt_conf_set_flag_slot(lt_conf_t *cf, lt_command_t *cmd, void *conf)
{
    int       *fp;
    lt_str_t  *value;

    fp = lt_conf_field(conf, cmd, int);

    if (*fp != LT_CONF_UNSET) {
        return "is duplicate";
    }

    value = cf->args->elts;

    if (lt_strcasecmp(value[1].data, (u_char *) "on") == 0) {
        *fp = 1;

    } else if (lt_strcasecmp(value[1].data, (u_char *) "off") == 0) {
        *fp = 0;

    } else {
        return lt_conf_invalid(cf, cmd, &value[1], ", it must be \"on\" or \"off\"");
    }

    return LT_CONF_OK;
}


char *
lt_conf_set_str_slot(lt_conf_t *cf, lt_command_t *cmd, void *conf)
{
    lt_str_t  *field, *value;

    field = lt_conf_field(conf, cmd, lt_str_t);

    if (field->data) {
        return "is duplicate";
    }

    value = cf->args->elts;
    *field = value[1];

    return LT_CONF_OK;
}


char *
lt_conf_set_path_slot(lt_conf_t *cf, lt_command_t *cmd, void *conf)
{
    lt_str_t  *field, *value;

    field = lt_conf_field(conf, cmd, lt_str_t);

    if (field->data) {
        return "is duplicate";
    }

    value = cf->args->elts;
    *field = value[1];

    if (lt_conf_full_name(cf->cycle, field, 0) != LT_OK) {
        return LT_CONF_ERROR;
    }

    return LT_CONF_OK;
}


char *
lt_conf_set_str_array_slot(lt_conf_t *cf, lt_command_t *cmd, void *conf)
{
    lt_str_t     *value, *s;
    lt_array_t  **a;

    a = lt_conf_field(conf, cmd, lt_array_t *);

    if (*a == LT_CONF_UNSET_PTR || *a == NULL) {
        *a = lt_array_create(cf->pool, 4, sizeof(lt_str_t));
        if (*a == NULL) {
            return LT_CONF_ERROR;
        }
    }

    s = lt_array_push(*a);
    if (s == NULL) {
        return LT_CONF_ERROR;
    }

    value = cf->args->elts;
    *s = value[1];

    return LT_CONF_OK;
}


char *
lt_conf_set_keyval_slot(lt_conf_t *cf, lt_command_t *cmd, void *conf)
{
    lt_str_t      *value;
    lt_array_t   **a;
    lt_keyval_t   *kv;

    a = lt_conf_field(conf, cmd, lt_array_t *);

    if (*a == LT_CONF_UNSET_PTR || *a == NULL) {
        *a = lt_array_create(cf->pool, 4, sizeof(lt_keyval_t));
        if (*a == NULL) {
            return LT_CONF_ERROR;
        }
    }

    kv = lt_array_push(*a);
    if (kv == NULL) {
        return LT_CONF_ERROR;
    }

    value = cf->args->elts;
    kv->key = value[1];
    kv->value = value[2];

    return LT_CONF_OK;
}


/* the field types of the numeric setters */
typedef enum {
    lt_conf_num_int64 = 0,
    lt_conf_num_int,
    lt_conf_num_size,
    lt_conf_num_off,
    lt_conf_num_msec,
    lt_conf_num_sec
} lt_conf_num_kind_e;


/* lt_conf_set_number: the numeric setters: duplicate check, parse by kind,
 * bounds, store in the field's own type */
static char *
lt_conf_set_number(lt_conf_t *cf, lt_command_t *cmd, void *conf, lt_conf_num_kind_e kind)
{
    void      *field;
    int        set;
    int64_t    n;
    lt_str_t  *value;

    field = (char *) conf + cmd->offset;

    switch (kind) {
    case lt_conf_num_int64: set = *(int64_t *) field != LT_CONF_UNSET; break;
    case lt_conf_num_int:   set = *(int *) field != LT_CONF_UNSET; break;
    case lt_conf_num_size:  set = *(size_t *) field != LT_CONF_UNSET_SIZE; break;
    case lt_conf_num_off:   set = *(off_t *) field != LT_CONF_UNSET; break;
    case lt_conf_num_msec:  set = *(uint64_t *) field != LT_CONF_UNSET_MSEC; break;
    default:                set = *(time_t *) field != LT_CONF_UNSET; break;
    }

    if (set) {
        return "is duplicate";
    }

    value = cf->args->elts;

    switch (kind) {
    case lt_conf_num_int64:
    case lt_conf_num_int:   n = lt_atoi(value[1].data, value[1].len); break;
    case lt_conf_num_size:  n = lt_parse_size(&value[1]); break;
    case lt_conf_num_off:   n = lt_parse_offset(&value[1]); break;
    case lt_conf_num_msec:  n = lt_parse_time(&value[1], 0); break;
    default:                n = lt_parse_time(&value[1], 1); break;
    }

    if (n == LT_ERROR || (kind == lt_conf_num_int && n > INT_MAX)) {
        return lt_conf_invalid(cf, cmd, &value[1], NULL);
    }

    if (lt_conf_check_bounds(cf, cmd, &value[1], n) != LT_CONF_OK) {
        return LT_CONF_ERROR;
    }

    switch (kind) {
    case lt_conf_num_int64: *(int64_t *) field = n; break;
    case lt_conf_num_int:   *(int *) field = (int) n; break;
    case lt_conf_num_size:  *(size_t *) field = (size_t) n; break;
    case lt_conf_num_off:   *(off_t *) field = (off_t) n; break;
    case lt_conf_num_msec:  *(uint64_t *) field = (uint64_t) n; break;
    default:                *(time_t *) field = (time_t) n; break;
    }

    return LT_CONF_OK;
}


char *
lt_conf_set_num_slot(lt_conf_t *cf, lt_command_t *cmd, void *conf)
{
    return lt_conf_set_number(cf, cmd, conf, lt_conf_num_int64);
}


char *
lt_conf_set_int_slot(lt_conf_t *cf, lt_command_t *cmd, void *conf)
{
    return lt_conf_set_number(cf, cmd, conf, lt_conf_num_int);
}


char *
lt_conf_set_size_slot(lt_conf_t *cf, lt_command_t *cmd, void *conf)
{
    return lt_conf_set_number(cf, cmd, conf, lt_conf_num_size);
}


char *
lt_conf_set_off_slot(lt_conf_t *cf, lt_command_t *cmd, void *conf)
{
    return lt_conf_set_number(cf, cmd, conf, lt_conf_num_off);
}


char *
lt_conf_set_msec_slot(lt_conf_t *cf, lt_command_t *cmd, void *conf)
{
    return lt_conf_set_number(cf, cmd, conf, lt_conf_num_msec);
}


char *
lt_conf_set_sec_slot(lt_conf_t *cf, lt_command_t *cmd, void *conf)
{
    return lt_conf_set_number(cf, cmd, conf, lt_conf_num_sec);
}


char *
lt_conf_set_enum_slot(lt_conf_t *cf, lt_command_t *cmd, void *conf)
{
    unsigned              *np;
    lt_str_t              *value;
    const lt_conf_enum_t  *e;

    np = lt_conf_field(conf, cmd, unsigned);

    if (*np != LT_CONF_UNSET_UINT) {
        return "is duplicate";
    }

    value = cf->args->elts;

    for (e = cmd->post; e->name.len; e++) {
        if (e->name.len == value[1].len
            && lt_strcasecmp(e->name.data, value[1].data) == 0)
        {
            *np = e->value;
            return LT_CONF_OK;
        }
    }

    return lt_conf_invalid(cf, cmd, &value[1], NULL);
}


char *
lt_conf_set_bitmask_slot(lt_conf_t *cf, lt_command_t *cmd, void *conf)
{
    size_t                    i;
    unsigned                 *np;
    lt_str_t                 *value;
    const lt_conf_bitmask_t  *m;

    np = lt_conf_field(conf, cmd, unsigned);
    value = cf->args->elts;

    for (i = 1; i < cf->args->nelts; i++) {

        for (m = cmd->post; m->name.len; m++) {
            if (m->name.len == value[i].len
                && lt_strcasecmp(m->name.data, value[i].data) == 0)
            {
                break;
            }
        }

        if (m->name.len == 0) {
            return lt_conf_invalid(cf, cmd, &value[i], NULL);
        }

        if (*np & m->mask) {
            lt_conf_log_error(LT_LOG_WARN, cf, 0, "duplicate value \"%s\" in \"%s\" directive",
                              value[i].data, cmd->name);
        }

        *np |= m->mask;
    }

    return LT_CONF_OK;
}


char *
lt_conf_set_bufs_slot(lt_conf_t *cf, lt_command_t *cmd, void *conf)
{
    int64_t     num, size;
    lt_str_t   *value;
    lt_bufs_t  *bufs;

    bufs = (lt_bufs_t *) ((char *) conf + cmd->offset);

    if (bufs->num) {
        return "is duplicate";
    }

    value = cf->args->elts;

    num = lt_atoi(value[1].data, value[1].len);
    if (num == LT_ERROR || num == 0) {
        return lt_conf_invalid(cf, cmd, &value[1], NULL);
    }

    size = lt_parse_size(&value[2]);
    if (size == LT_ERROR || size == 0) {
        return lt_conf_invalid(cf, cmd, &value[2], NULL);
    }

    bufs->num = (size_t) num;
    bufs->size = (size_t) size;

    return LT_CONF_OK;
}
