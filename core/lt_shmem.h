/*
 * lt_shmem.h: shared memory segments and zones. The master maps zones (anonymous,
 * shared) before forking, so every worker sees the same memory. A zone keeps its
 * memory across a reload when its name, size and owner (tag) are unchanged; its
 * init handler is then given the old zone's data to take over.
 */

#ifndef LT_SHMEM_H
#define LT_SHMEM_H

#include "lt_config.h"
#include "lt_string.h"
#include "lt_list.h"

typedef struct {
    u_char      *addr;
    size_t       size;
    lt_str_t     name;
    lt_log_t    *log;
    unsigned     exists:1;   /* inherited from the previous cycle */
} lt_shm_t;

/* lt_shm_alloc: maps shm->size bytes of anonymous shared memory at shm->addr */
int lt_shm_alloc(lt_shm_t *shm);
void lt_shm_free(lt_shm_t *shm);

/* lt_shm_zone_init_pt: called in the master once the zone is mapped. data is the
 * previous cycle's zone->data when the zone was inherited, else NULL. */
typedef int (*lt_shm_zone_init_pt)(lt_shm_zone_t *zone, void *data);

struct lt_shm_zone_s {
    void                *data;   /* the owner's state, set by init */
    lt_shm_t             shm;
    lt_shm_zone_init_pt  init;
    void                *tag;    /* the owning module: zones are not shared across owners */
    void                *sync;
    unsigned             noreuse:1;  /* never inherit across reloads */
};

/* lt_shared_memory_add: declares a zone in the cycle being configured (cf->cycle);
 * the same name and tag returns the same zone. size 0 means "the size another
 * declaration gives" (a reference). NULL with an error logged on conflict. */
lt_shm_zone_t *lt_shared_memory_add(lt_conf_t *cf, const lt_str_t *name, size_t size,
    void *tag);

/* lt_shm_zone_find: the zone in list with this name (when name is not NULL) and
 * address (when addr is not NULL), or NULL */
lt_shm_zone_t *lt_shm_zone_find(lt_list_t *list, const lt_str_t *name, u_char *addr);

/* lt_init_zone_pool: sets up the slab allocator at the start of a new zone */
int lt_init_zone_pool(lt_cycle_t *cycle, lt_shm_zone_t *zn);

#endif /* LT_SHMEM_H */
