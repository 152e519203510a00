/*
 * lt_module.h: the module interface. A module is a static struct declared with
 * designated initializers: its name, type, directive table and hooks. configure
 * writes the list of compiled-in modules (objs/modules.c); their order there
 * fixes the order of phase handlers and filters.
 *
 * Core modules (core, errlog, events, http, ...) own main-context directives and
 * a main conf struct (create_conf/init_conf). Event and HTTP modules are driven by
 * the block that owns them (events {}, http {}): it calls their create/merge
 * hooks for each level of the block and their postconfiguration.
 */

#ifndef LT_MODULE_H
#define LT_MODULE_H

#include "lt_config.h"
#include "lt_conf_file.h"

#define LT_CORE_MODULE   1
#define LT_EVENT_MODULE  2
#define LT_HTTP_MODULE   3
#define LT_CONF_MODULE   4      /* directives valid in every block: "include" */

struct lt_module_s {
    const char      *name;          /* nginx's name where it has one: "http_proxy" */
    unsigned         type;
    size_t           index;         /* position in lt_modules[], set at start */
    size_t           ctx_index;     /* position among modules of the same type */
    lt_command_t    *commands;

    /* core modules */
    void          *(*create_conf)(lt_cycle_t *cycle);
    char          *(*init_conf)(lt_cycle_t *cycle, void *conf);

    /* event and http modules, called by the block that owns them */
    int            (*preconfiguration)(lt_conf_t *cf);
    int            (*postconfiguration)(lt_conf_t *cf);
    void          *(*create_main_conf)(lt_conf_t *cf);
    char          *(*init_main_conf)(lt_conf_t *cf, void *conf);
    void          *(*create_srv_conf)(lt_conf_t *cf);
    char          *(*merge_srv_conf)(lt_conf_t *cf, void *prev, void *conf);
    void          *(*create_loc_conf)(lt_conf_t *cf);
    char          *(*merge_loc_conf)(lt_conf_t *cf, void *prev, void *conf);

    /* master: after a configuration is read, before workers start */
    int            (*init_module)(lt_cycle_t *cycle);
    /* each worker (or the single process) after it starts, and when it exits */
    int            (*init_process)(lt_cycle_t *cycle);
    void           (*exit_process)(lt_cycle_t *cycle);
    /* master, when it exits */
    void           (*exit_master)(lt_cycle_t *cycle);
};

extern lt_module_t  *lt_modules[];
extern size_t        lt_modules_n;

/* lt_preinit_modules: numbers the modules (index, ctx_index); call once */
void lt_preinit_modules(void);

/* lt_count_modules: modules of a type, for sizing per-level conf arrays */
size_t lt_count_modules(unsigned type);

/* lt_get_conf: a core module's main conf in a cycle's conf_ctx */
#define lt_get_conf(conf_ctx, module)  (conf_ctx)[(module).index]

/* lt_modules_line: the space-separated list printed by -V */
extern const char  lt_modules_line[];

#endif /* LT_MODULE_H */
