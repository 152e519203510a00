/*
 * lt_conf_file.h: the configuration language. The tokenizer reads nginx's block
 * syntax; the parser looks each directive up in the modules' directive tables,
 * checks its context and argument count, and calls its setter with the conf
 * struct of the right level. Generic setters cover flags, numbers, sizes, times,
 * strings, enums, bitmasks and paths.
 */

#ifndef LT_CONF_FILE_H
#define LT_CONF_FILE_H

#include "lt_config.h"
#include "lt_string.h"
#include "lt_array.h"
#include "lt_palloc.h"

/* contexts a directive may appear in (lt_command_t.type) */
#define LT_CTX_MAIN           0x00000001
#define LT_CTX_EVENTS         0x00000002
#define LT_CTX_HTTP           0x00000004
#define LT_CTX_SERVER         0x00000008
#define LT_CTX_LOCATION       0x00000010
#define LT_CTX_UPSTREAM       0x00000020
#define LT_CTX_SIF            0x00000040     /* "if" in server */
#define LT_CTX_LIF            0x00000080     /* "if" in location */
#define LT_CTX_LIMIT_EXCEPT   0x00000100
#define LT_CTX_ANY            0x0000ffff

#define LT_HTTP_ANY_CONF      (LT_CTX_HTTP | LT_CTX_SERVER | LT_CTX_LOCATION)

/* flags (lt_command_t.type) */
#define LT_CONF_BLOCK         0x00010000     /* takes a { } block */
#define LT_CONF_DIRECT        0x00020000     /* core module: conf is its main struct */
#define LT_CONF_MULTI         0x00040000     /* may repeat (informational, for docs) */

/* argument count without upper bound (lt_command_t.max_args) */
#define LT_CONF_MANY          0xffff

/* which conf level a non-core directive sets (lt_command_t.conf) */
#define LT_MAIN_CONF          offsetof(lt_conf_ctx_t, main_conf)
#define LT_SRV_CONF           offsetof(lt_conf_ctx_t, srv_conf)
#define LT_LOC_CONF           offsetof(lt_conf_ctx_t, loc_conf)

/* setter results: NULL is success; any other string is an error message that the
 * parser prints as "\"NAME\" directive MESSAGE" */
#define LT_CONF_OK            NULL
#define LT_CONF_ERROR         ((char *) -1)

#define LT_CONF_UNSET         -1
#define LT_CONF_UNSET_UINT    (unsigned) -1
#define LT_CONF_UNSET_PTR     (void *) -1
#define LT_CONF_UNSET_SIZE    (size_t) -1
#define LT_CONF_UNSET_MSEC    (uint64_t) -1
#define LT_CONF_UNSET_OFF     (off_t) -1

/* the conf structs of one level of a block (events, http, server, location) */
typedef struct {
    void       **main_conf;
    void       **srv_conf;
    void       **loc_conf;
} lt_conf_ctx_t;

typedef char *(*lt_conf_set_pt)(lt_conf_t *cf, lt_command_t *cmd, void *conf);

struct lt_command_s {
    const char      *name;
    uint32_t         type;      /* LT_CTX_* | LT_CONF_* flags */
    uint16_t         min_args;  /* arguments after the name */
    uint16_t         max_args;
    lt_conf_set_pt   set;
    size_t           conf;      /* LT_MAIN_CONF / LT_SRV_CONF / LT_LOC_CONF */
    size_t           offset;    /* of the field the generic setters write */
    const void      *post;      /* setter-specific: enum table, bounds, handler */
};

#define lt_null_command  { NULL, 0, 0, 0, NULL, 0, 0, NULL }

/* one file being read */
typedef struct {
    lt_str_t         name;
    u_char          *start;     /* the whole file in memory */
    u_char          *pos;
    u_char          *end;
    size_t           line;
} lt_conf_file_t;

/* a custom parser for the contents of a block (types {}, map {}): gets each line's
 * tokens in cf->args */
typedef char *(*lt_conf_handler_pt)(lt_conf_t *cf, lt_command_t *dummy, void *conf);

struct lt_conf_s {
    lt_str_t            *name;
    lt_array_t          *args;          /* lt_str_t tokens of the current directive */
    lt_cycle_t          *cycle;
    lt_pool_t           *pool;          /* the cycle's: conf structs live here */
    lt_pool_t           *temp_pool;     /* dies after parsing */
    lt_conf_file_t      *conf_file;
    lt_log_t            *log;
    void                *ctx;           /* current context: void** for main, else lt_conf_ctx_t* */
    unsigned             module_type;   /* modules that may answer in this block */
    uint32_t             cmd_type;      /* LT_CTX_* of this block */
    lt_conf_handler_pt   handler;
    void                *handler_conf;
};

/* lt_conf_parse: parses filename (NULL: the block at the current position,
 * after its "{") in cf's current context. LT_CONF_OK or LT_CONF_ERROR (logged). */
char *lt_conf_parse(lt_conf_t *cf, lt_str_t *filename);

/* lt_conf_parse_lines: parses the block at the current position (after its
 * "{") handing each line to handler, as types{}, map{} and geo{} want */
char *lt_conf_parse_lines(lt_conf_t *cf, lt_conf_handler_pt handler, void *conf);

/* lt_conf_param: parses the -g directives (cycle->conf_param) */
char *lt_conf_param(lt_conf_t *cf);

/* lt_conf_parse_string: parses a string in the current context; errors are
 * reported "in <what>" (used for -g and by tests) */
char *lt_conf_parse_string(lt_conf_t *cf, lt_str_t *text, const char *what);

/* the "include" directive's handler (any context) */
char *lt_conf_include(lt_conf_t *cf, lt_command_t *cmd, void *conf);

/* lt_conf_full_name: makes name absolute against the prefix (conf_prefix: against
 * the configuration directory) in place; LT_OK or LT_ERROR */
int lt_conf_full_name(lt_cycle_t *cycle, lt_str_t *name, int conf_prefix);

/* lt_conf_open_file: the open file entry for name (shared by every directive that
 * names the same file), opened when the cycle is committed; an empty name means
 * stderr */
lt_open_file_t *lt_conf_open_file(lt_cycle_t *cycle, lt_str_t *name);

/* lt_conf_log_error: logs "message in FILE:LINE" (or "in command line") */
void lt_conf_log_error(unsigned level, lt_conf_t *cf, int err, const char *fmt, ...)
    LT_PRINTF(4, 5);

/* generic setters: `offset` names the field in the conf struct */
char *lt_conf_set_flag_slot(lt_conf_t *cf, lt_command_t *cmd, void *conf);     /* int */
char *lt_conf_set_str_slot(lt_conf_t *cf, lt_command_t *cmd, void *conf);      /* lt_str_t */
char *lt_conf_set_str_array_slot(lt_conf_t *cf, lt_command_t *cmd, void *conf); /* lt_array_t* */
char *lt_conf_set_keyval_slot(lt_conf_t *cf, lt_command_t *cmd, void *conf);   /* lt_array_t* */
char *lt_conf_set_num_slot(lt_conf_t *cf, lt_command_t *cmd, void *conf);      /* int64_t */
char *lt_conf_set_int_slot(lt_conf_t *cf, lt_command_t *cmd, void *conf);      /* int */
char *lt_conf_set_size_slot(lt_conf_t *cf, lt_command_t *cmd, void *conf);     /* size_t */
char *lt_conf_set_off_slot(lt_conf_t *cf, lt_command_t *cmd, void *conf);      /* off_t */
char *lt_conf_set_msec_slot(lt_conf_t *cf, lt_command_t *cmd, void *conf);     /* uint64_t ms */
char *lt_conf_set_sec_slot(lt_conf_t *cf, lt_command_t *cmd, void *conf);      /* time_t */
char *lt_conf_set_enum_slot(lt_conf_t *cf, lt_command_t *cmd, void *conf);     /* unsigned */
char *lt_conf_set_bitmask_slot(lt_conf_t *cf, lt_command_t *cmd, void *conf);  /* unsigned */
char *lt_conf_set_path_slot(lt_conf_t *cf, lt_command_t *cmd, void *conf);     /* lt_str_t, absolute */
char *lt_conf_set_bufs_slot(lt_conf_t *cf, lt_command_t *cmd, void *conf);     /* lt_bufs_t: "4 8k" */

/* the setters' `post` data */
typedef struct {
    lt_str_t         name;
    unsigned         value;
} lt_conf_enum_t;

#define lt_conf_enum_end  { lt_null_string, 0 }

typedef struct {
    lt_str_t         name;
    unsigned         mask;
} lt_conf_bitmask_t;

/* bounds for num/int/size/msec setters: a value outside [low, high] is
 * "NAME directive invalid value" with the range */
typedef struct {
    int64_t          low;
    int64_t          high;
} lt_conf_num_bounds_t;

/* merging: child <- parent <- default */
#define lt_conf_init_value(conf, default)                                     \
    if (conf == LT_CONF_UNSET) {                                              \
        conf = default;                                                       \
    }

#define lt_conf_init_ptr_value(conf, default)                                 \
    if (conf == LT_CONF_UNSET_PTR) {                                          \
        conf = default;                                                       \
    }

#define lt_conf_init_uint_value(conf, default)                                \
    if (conf == LT_CONF_UNSET_UINT) {                                         \
        conf = default;                                                       \
    }

#define lt_conf_init_size_value(conf, default)                                \
    if (conf == LT_CONF_UNSET_SIZE) {                                         \
        conf = default;                                                       \
    }

#define lt_conf_init_msec_value(conf, default)                                \
    if (conf == LT_CONF_UNSET_MSEC) {                                         \
        conf = default;                                                       \
    }

#define lt_conf_merge_value(conf, prev, default)                              \
    if (conf == LT_CONF_UNSET) {                                              \
        conf = (prev == LT_CONF_UNSET) ? default : prev;                      \
    }

#define lt_conf_merge_ptr_value(conf, prev, default)                          \
    if (conf == LT_CONF_UNSET_PTR) {                                          \
        conf = (prev == LT_CONF_UNSET_PTR) ? default : prev;                  \
    }

#define lt_conf_merge_uint_value(conf, prev, default)                         \
    if (conf == LT_CONF_UNSET_UINT) {                                         \
        conf = (prev == LT_CONF_UNSET_UINT) ? default : prev;                 \
    }

#define lt_conf_merge_msec_value(conf, prev, default)                         \
    if (conf == LT_CONF_UNSET_MSEC) {                                         \
        conf = (prev == LT_CONF_UNSET_MSEC) ? default : prev;                 \
    }

#define lt_conf_merge_sec_value(conf, prev, default)                          \
    if (conf == LT_CONF_UNSET) {                                              \
        conf = (prev == LT_CONF_UNSET) ? default : prev;                      \
    }

#define lt_conf_merge_size_value(conf, prev, default)                         \
    if (conf == LT_CONF_UNSET_SIZE) {                                         \
        conf = (prev == LT_CONF_UNSET_SIZE) ? default : prev;                 \
    }

#define lt_conf_merge_off_value(conf, prev, default)                          \
    if (conf == LT_CONF_UNSET) {                                              \
        conf = (prev == LT_CONF_UNSET) ? default : prev;                      \
    }

#define lt_conf_merge_str_value(conf, prev, default)                          \
    if (conf.data == NULL) {                                                  \
        if (prev.data) {                                                      \
            conf.len = prev.len;                                              \
            conf.data = prev.data;                                            \
        } else {                                                              \
            conf.len = sizeof(default) - 1;                                   \
            conf.data = (u_char *) default;                                   \
        }                                                                     \
    }

#define lt_conf_merge_bitmask_value(conf, prev, default)                      \
    if (conf == 0) {                                                          \
        conf = (prev == 0) ? default : prev;                                  \
    }

/* lt_bufs_t ("4 8k"): unset while num is 0 */
#define lt_conf_merge_bufs_value(conf, prev, default_num, default_size)       \
    if (conf.num == 0) {                                                      \
        if (prev.num) {                                                       \
            conf = prev;                                                      \
        } else {                                                              \
            conf.num = default_num;                                           \
            conf.size = default_size;                                         \
        }                                                                     \
    }

/* the tokenizer, exposed for the fuzz harness and unit tests: reads the next
 * directive's tokens into cf->args */
#define LT_CONF_TOKEN_DIRECTIVE  0      /* ended by ";" */
#define LT_CONF_TOKEN_BLOCK      1      /* ended by "{" */
#define LT_CONF_TOKEN_BLOCK_END  2      /* "}" */
#define LT_CONF_TOKEN_EOF        3
int lt_conf_read_token(lt_conf_t *cf);

#endif /* LT_CONF_FILE_H */
