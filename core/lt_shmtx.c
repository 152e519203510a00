/*
 * lt_shmtx.c: the lock between processes (see lt_shmtx.h).
 *
 * The lock word holds the owner's pid, 0 when free; taking it is one
 * compare-and-swap. A contended locker spins a little (the holder usually leaves
 * within microseconds), then sleeps on the lock word with a futex. The memory is
 * MAP_SHARED between processes, so the futex calls must not be the _PRIVATE
 * variants, which key on the process's own address space.
 */

#include "lt_core.h"

#include <linux/futex.h>
#include <sys/syscall.h>

#define LT_SHMTX_SPIN           2048

/* a sleeper wakes up at least this often, so that a lost wakeup (or a holder
 * that died) costs a delay, never a hang */
#define LT_SHMTX_SLEEP_NSEC     (100 * 1000 * 1000)

#if defined(__x86_64__) || defined(__i386__)
#define lt_shmtx_cpu_pause()    __builtin_ia32_pause()
#else
#define lt_shmtx_cpu_pause()    do { } while (0)
#endif


static uint32_t lt_shmtx_owner(void);
static void lt_shmtx_wait(lt_shmtx_t *mtx);
static void lt_shmtx_wakeup(lt_shmtx_t *mtx);


int
lt_shmtx_create(lt_shmtx_t *mtx, lt_shmtx_sh_t *addr)
{
    mtx->sh = addr;
    mtx->spin = LT_SHMTX_SPIN;

    return LT_OK;
}


void
lt_shmtx_destroy(lt_shmtx_t *mtx)
{
    /*
     * Nothing to release: the shared words belong to the zone. mtx itself must
     * stay as it is, since a slab pool keeps it inside the zone, where other
     * processes are still using it.
     */
    (void) mtx;
}


int
lt_shmtx_trylock(lt_shmtx_t *mtx)
{
    uint32_t  expected;

    expected = 0;

    /* the plain load first: a busy lock costs no locked instruction and no
     * cache line stolen from the holder */
    return __atomic_load_n(&mtx->sh->lock, __ATOMIC_RELAXED) == 0
           && __atomic_compare_exchange_n(&mtx->sh->lock, &expected, lt_shmtx_owner(), 0,
                                          __ATOMIC_ACQUIRE, __ATOMIC_RELAXED);
}


void
lt_shmtx_lock(lt_shmtx_t *mtx)
{
    unsigned  i;

    for ( ;; ) {

        if (lt_shmtx_trylock(mtx)) {
            return;
        }

        for (i = 0; i < mtx->spin; i++) {
            lt_shmtx_cpu_pause();

            if (lt_shmtx_trylock(mtx)) {
                return;
            }
        }

        lt_shmtx_wait(mtx);
    }
}


void
lt_shmtx_unlock(lt_shmtx_t *mtx)
{
    __atomic_store_n(&mtx->sh->lock, 0, __ATOMIC_RELEASE);

    /*
     * The store of 0 must be visible before "wait" is read: otherwise a locker
     * that counted itself in "wait" and then saw the lock still held would sleep
     * while we read the old wait == 0 and woke nobody (store-load reordering).
     */
    __atomic_thread_fence(__ATOMIC_SEQ_CST);

    if (__atomic_load_n(&mtx->sh->wait, __ATOMIC_RELAXED) > 0) {
        lt_shmtx_wakeup(mtx);
    }
}


int
lt_shmtx_force_unlock(lt_shmtx_t *mtx, pid_t pid)
{
    uint32_t  expected;

    expected = (uint32_t) pid;

    if (!__atomic_compare_exchange_n(&mtx->sh->lock, &expected, 0, 0,
                                     __ATOMIC_RELEASE, __ATOMIC_RELAXED))
    {
        return 0;
    }

    /* the dead holder will not wake its waiters: do it for it */
    lt_shmtx_wakeup(mtx);

    return 1;
}


/* lt_shmtx_owner: the value a holder leaves in the lock word */
static uint32_t
lt_shmtx_owner(void)
{
    /* 0 would read as "free" and the lock would not exclude anyone: a process
     * that has not set lt_pid yet still gets a real owner id */
    if (lt_unlikely(lt_pid == 0)) {
        return (uint32_t) getpid();
    }

    return (uint32_t) lt_pid;
}


/* lt_shmtx_wait: sleeps until the lock word changes, or for a bounded time */
static void
lt_shmtx_wait(lt_shmtx_t *mtx)
{
    uint32_t         owner;
    struct timespec  ts;

    ts.tv_sec = 0;
    ts.tv_nsec = LT_SHMTX_SLEEP_NSEC;

    /* seq_cst: counted in "wait" before the lock word is read (see unlock) */
    __atomic_fetch_add(&mtx->sh->wait, 1, __ATOMIC_SEQ_CST);

    owner = __atomic_load_n(&mtx->sh->lock, __ATOMIC_SEQ_CST);

    if (owner != 0) {
        /*
         * The kernel sleeps only if the word still holds this owner, so an unlock
         * between the load and the call is not missed. EAGAIN, EINTR and
         * ETIMEDOUT all mean "try again", which the caller does.
         */
        (void) syscall(SYS_futex, &mtx->sh->lock, FUTEX_WAIT, owner, &ts, NULL, 0);
    }

    __atomic_fetch_sub(&mtx->sh->wait, 1, __ATOMIC_SEQ_CST);
}


static void
lt_shmtx_wakeup(lt_shmtx_t *mtx)
{
    (void) syscall(SYS_futex, &mtx->sh->lock, FUTEX_WAKE, 1, NULL, NULL, 0);
}
