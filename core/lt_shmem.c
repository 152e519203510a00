/*
 * lt_shmem.c: shared memory segments and zones (see lt_shmem.h).
 */

#include "lt_core.h"


int
lt_shm_alloc(lt_shm_t *shm)
{
    void  *addr;

    /* anonymous and shared: the workers forked later inherit the same mapping at
     * the same address, so pointers inside a zone mean the same to everyone */
    addr = mmap(NULL, shm->size, PROT_READ | PROT_WRITE, MAP_ANONYMOUS | MAP_SHARED, -1, 0);

    if (addr == MAP_FAILED) {
        lt_log_error(LT_LOG_ALERT, shm->log, errno,
                     "mmap(MAP_ANON|MAP_SHARED, %zu) failed", shm->size);
        shm->addr = NULL;
        return LT_ERROR;
    }

    shm->addr = addr;

    return LT_OK;
}


void
lt_shm_free(lt_shm_t *shm)
{
    if (munmap(shm->addr, shm->size) == -1) {
        lt_log_error(LT_LOG_ALERT, shm->log, errno,
                     "munmap(%p, %zu) failed", (void *) shm->addr, shm->size);
    }
}


lt_shm_zone_t *
lt_shm_zone_find(lt_list_t *list, const lt_str_t *name, u_char *addr)
{
    lt_list_iter_t   it;
    lt_shm_zone_t   *zone;

    lt_list_iter_init(&it, list);

    while ((zone = lt_list_iter_next(&it)) != NULL) {

        if (name && (name->len != zone->shm.name.len
                     || memcmp(name->data, zone->shm.name.data, name->len) != 0))
        {
            continue;
        }

        if (addr && zone->shm.addr != addr) {
            continue;
        }

        return zone;
    }

    return NULL;
}


lt_shm_zone_t *
lt_shared_memory_add(lt_conf_t *cf, const lt_str_t *name, size_t size, void *tag)
{
    lt_shm_zone_t  *zone;

    zone = lt_shm_zone_find(&cf->cycle->shared_memory, name, NULL);

    if (zone != NULL) {

        if (tag != zone->tag) {
            lt_conf_log_error(LT_LOG_EMERG, cf, 0,
                              "the shared memory zone \"%.*s\" is "
                              "already declared for a different use",
                              (int) name->len, name->data);
            return NULL;
        }

        if (size && zone->shm.size && size != zone->shm.size) {
            lt_conf_log_error(LT_LOG_EMERG, cf, 0,
                              "the size %zu of shared memory zone \"%.*s\" "
                              "conflicts with already declared size %zu",
                              size, (int) name->len, name->data, zone->shm.size);
            return NULL;
        }

        /* an earlier reference (size 0) learns its size from this declaration */
        if (zone->shm.size == 0) {
            zone->shm.size = size;
        }

        return zone;
    }

    zone = lt_list_push(&cf->cycle->shared_memory);
    if (zone == NULL) {
        return NULL;
    }

    zone->data = NULL;
    zone->shm.addr = NULL;
    zone->shm.log = cf->cycle->log;
    zone->shm.size = size;
    zone->shm.name = *name;
    zone->shm.exists = 0;
    zone->init = NULL;
    zone->tag = tag;
    zone->sync = NULL;
    zone->noreuse = 0;

    return zone;
}


/* lt_init_zone_ctx: " in "NAME" zone", appended to the allocator's messages */
static int
lt_init_zone_ctx(lt_slab_pool_t *sp, lt_shm_zone_t *zn)
{
    u_char  *p;
    size_t   len;

    len = sizeof(" in \"\" zone") + zn->shm.name.len;   /* with the NUL */

    p = lt_slab_alloc(sp, len);
    if (p == NULL) {
        return LT_ERROR;
    }

    sp->log_ctx = p;

    p = lt_cpymem(p, " in \"", sizeof(" in \"") - 1);
    p = lt_cpymem(p, zn->shm.name.data, zn->shm.name.len);
    p = lt_cpymem(p, "\" zone", sizeof("\" zone") - 1);
    *p = '\0';

    return LT_OK;
}


int
lt_init_zone_pool(lt_cycle_t *cycle, lt_shm_zone_t *zn)
{
    lt_slab_pool_t  *sp;

    sp = (lt_slab_pool_t *) zn->shm.addr;

    if (zn->shm.exists) {

        /* the allocator's state is intact and its pointers are absolute, so an
         * inherited zone is usable only where it was mapped before */
        if (sp == sp->addr) {
            return lt_shmtx_create(&sp->mutex, &sp->lock);
        }

        lt_log_error(LT_LOG_EMERG, cycle->log, 0,
                     "shared zone \"%.*s\" has no equal addresses: %p vs %p",
                     (int) zn->shm.name.len, zn->shm.name.data, sp->addr, (void *) sp);
        return LT_ERROR;
    }

    /* the allocator's header and size class tables take less than a page; below
     * two pages they might not even fit, and no page would be left to hand out */
    if (zn->shm.size < 2 * lt_pagesize) {
        goto too_small;
    }

    sp->end = zn->shm.addr + zn->shm.size;
    sp->min_shift = 3;
    sp->addr = zn->shm.addr;

    lt_memzero(&sp->lock, sizeof(lt_shmtx_sh_t));

    if (lt_shmtx_create(&sp->mutex, &sp->lock) != LT_OK) {
        return LT_ERROR;
    }

    lt_slab_init(sp);

    if (sp->pfree == 0) {
        goto too_small;
    }

    if (lt_init_zone_ctx(sp, zn) != LT_OK) {
        goto too_small;
    }

    return LT_OK;

too_small:

    lt_log_error(LT_LOG_EMERG, cycle->log, 0, "shared zone \"%.*s\" of %zu bytes is too small",
                 (int) zn->shm.name.len, zn->shm.name.data, zn->shm.size);

    return LT_ERROR;
}
