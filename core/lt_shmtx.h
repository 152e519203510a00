/*
 * lt_shmtx.h: a lock between processes, living in shared memory. The lock word
 * holds the owner's pid, so that the master can release a lock held by a worker
 * that died (lt_shmtx_force_unlock). Contended waits sleep on a futex rather than
 * spin forever.
 */

#ifndef LT_SHMTX_H
#define LT_SHMTX_H

#include "lt_config.h"

/* what lives in shared memory */
typedef struct {
    uint32_t    lock;       /* owner pid, 0 when free */
    uint32_t    wait;       /* processes sleeping on it */
} lt_shmtx_sh_t;

typedef struct {
    lt_shmtx_sh_t  *sh;
    unsigned        spin;   /* tries before sleeping */
} lt_shmtx_t;

/* lt_shmtx_create: mtx uses the shared words at addr (zeroed by the caller on a
 * new zone, or left as they are when a zone is inherited across a reload) */
int lt_shmtx_create(lt_shmtx_t *mtx, lt_shmtx_sh_t *addr);
void lt_shmtx_destroy(lt_shmtx_t *mtx);

/* lt_shmtx_trylock: 1 when taken, 0 when busy */
int lt_shmtx_trylock(lt_shmtx_t *mtx);
void lt_shmtx_lock(lt_shmtx_t *mtx);
void lt_shmtx_unlock(lt_shmtx_t *mtx);
/* lt_shmtx_force_unlock: releases the lock if pid holds it; 1 when it did */
int lt_shmtx_force_unlock(lt_shmtx_t *mtx, pid_t pid);

#endif /* LT_SHMTX_H */
