/*
 * test_shmtx.c: the lock between processes (core/lt_shmtx.c), with real
 * processes sharing an anonymous shared mapping, as the workers do.
 */

#include "lt_core.h"
#include "tap.h"

#include <sched.h>

#define LT_TEST_CHILDREN  4
#define LT_TEST_LOOPS     200000
#define LT_TEST_ROUNDS    20

typedef struct {
    lt_shmtx_sh_t    lock;
    uint64_t         counter;       /* guarded by lock, deliberately not atomic */
    uint32_t         turn;          /* the wakeup test's rounds */
    uint32_t         got;
} lt_test_shared_t;

static lt_test_shared_t  *lt_test_sh;
static lt_shmtx_t         lt_test_mtx;


static void
lt_test_child_start(void)
{
    lt_pid = getpid();

    /* alarms are not inherited: a child stuck on the lock must die too */
    alarm(60);
}


static pid_t
lt_test_fork(void)
{
    pid_t  pid;

    fflush(stdout);

    pid = fork();
    if (pid == -1) {
        perror("fork");
        exit(2);
    }

    if (pid == 0) {
        lt_test_child_start();
    }

    return pid;
}


/* lt_test_reap: waits for pid; 1 when it exited with status 0 */
static int
lt_test_reap(pid_t pid)
{
    int  status;

    if (waitpid(pid, &status, 0) != pid) {
        return 0;
    }

    return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}


static uint64_t
lt_test_msec(void)
{
    struct timespec  ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);

    return (uint64_t) ts.tv_sec * 1000 + (uint64_t) ts.tv_nsec / 1000000;
}


/* lt_test_counter: children increment a counter under the lock, all at once */
static void
lt_test_counter(unsigned spin, int loops, int yield)
{
    int       i, n, good, gate[2];
    char      c;
    pid_t     pids[LT_TEST_CHILDREN];
    uint64_t  start;

    lt_test_sh->counter = 0;
    lt_test_mtx.spin = spin;

    if (pipe(gate) == -1) {
        perror("pipe");
        exit(2);
    }

    for (i = 0; i < LT_TEST_CHILDREN; i++) {
        pids[i] = lt_test_fork();

        if (pids[i] == 0) {
            /* everyone starts at once, when the parent closes the gate's write end */
            close(gate[1]);
            if (read(gate[0], &c, 1) != 0) {
                _exit(1);
            }

            for (n = 0; n < loops; n++) {
                lt_shmtx_lock(&lt_test_mtx);
                lt_test_sh->counter++;

                /* a holder that loses the CPU sends the others to sleep */
                if (yield && n % 64 == 0) {
                    sched_yield();
                }

                lt_shmtx_unlock(&lt_test_mtx);
            }

            _exit(0);
        }
    }

    start = lt_test_msec();
    close(gate[1]);
    close(gate[0]);

    good = 1;

    for (i = 0; i < LT_TEST_CHILDREN; i++) {
        good &= lt_test_reap(pids[i]);
    }

    ok(good, "%d children took the lock %d times each, spinning %u times%s",
       LT_TEST_CHILDREN, loops, spin, yield ? ", yielding inside" : "");
    is_int(lt_test_sh->counter, (uint64_t) LT_TEST_CHILDREN * loops,
           "the unprotected counter is exact (%llu ms)",
           (unsigned long long) (lt_test_msec() - start));
    ok(lt_test_sh->lock.lock == 0 && lt_test_sh->lock.wait == 0,
       "the lock is free and nobody is counted as waiting");
}


/* lt_test_holder: a child that takes the lock, says so on `ready`, and keeps it
 * until a byte arrives on `go` (or for ms milliseconds when go is -1) */
static pid_t
lt_test_holder(int ready, int go, unsigned ms)
{
    char   c;
    pid_t  pid;

    pid = lt_test_fork();

    if (pid == 0) {
        lt_shmtx_lock(&lt_test_mtx);

        c = 'l';
        if (write(ready, &c, 1) != 1) {
            _exit(1);
        }

        if (go == -1) {
            usleep(ms * 1000);

        } else if (read(go, &c, 1) != 1) {
            _exit(1);
        }

        lt_shmtx_unlock(&lt_test_mtx);
        _exit(0);
    }

    return pid;
}


static void
lt_test_trylock(void)
{
    int       ready[2], go[2];
    char      c;
    pid_t     pid;
    uint64_t  start, waited;

    if (pipe(ready) == -1 || pipe(go) == -1) {
        perror("pipe");
        exit(2);
    }

    pid = lt_test_holder(ready[1], go[0], 0);

    ok(read(ready[0], &c, 1) == 1, "a child holds the lock");
    is_int(lt_test_sh->lock.lock, pid, "the lock word holds the owner's pid");
    ok(!lt_shmtx_trylock(&lt_test_mtx), "trylock fails while another process holds it");

    c = 'g';
    ok(write(go[1], &c, 1) == 1 && lt_test_reap(pid), "the child unlocked and exited");
    ok(lt_shmtx_trylock(&lt_test_mtx), "trylock succeeds once it is free");
    is_int(lt_test_sh->lock.lock, getpid(), "and the word holds our pid");
    lt_shmtx_unlock(&lt_test_mtx);

    /* lock() sleeps while a holder keeps it, and wakes up when it is released */
    pid = lt_test_holder(ready[1], -1, 300);

    ok(read(ready[0], &c, 1) == 1, "a child holds the lock for 300 ms");
    start = lt_test_msec();
    lt_shmtx_lock(&lt_test_mtx);
    waited = lt_test_msec() - start;
    lt_shmtx_unlock(&lt_test_mtx);

    ok(waited >= 200 && waited < 5000, "lock waited for it (%llu ms)",
       (unsigned long long) waited);
    ok(lt_test_reap(pid) && lt_test_sh->lock.wait == 0, "nobody is left counted as waiting");

    close(ready[0]);
    close(ready[1]);
    close(go[0]);
    close(go[1]);
}


/* lt_test_await: spins until *word == value (bounded by the alarm) */
static void
lt_test_await(uint32_t *word, uint32_t value)
{
    while (__atomic_load_n(word, __ATOMIC_ACQUIRE) != value) {
        sched_yield();
    }
}


/* lt_test_wakeup: a child sleeps on the lock we hold, and our unlock must wake it
 * at once: a lost wakeup would only end with the 100 ms futex timeout */
static void
lt_test_wakeup(void)
{
    uint32_t  i;
    pid_t     pid;
    uint64_t  start;

    lt_test_sh->turn = 0;
    lt_test_sh->got = 0;
    lt_test_mtx.spin = 1;

    pid = lt_test_fork();

    if (pid == 0) {
        for (i = 1; i <= LT_TEST_ROUNDS; i++) {
            lt_test_await(&lt_test_sh->turn, i);
            lt_shmtx_lock(&lt_test_mtx);
            __atomic_store_n(&lt_test_sh->got, i, __ATOMIC_RELEASE);
            lt_shmtx_unlock(&lt_test_mtx);
        }

        _exit(0);
    }

    start = lt_test_msec();

    for (i = 1; i <= LT_TEST_ROUNDS; i++) {
        lt_shmtx_lock(&lt_test_mtx);
        __atomic_store_n(&lt_test_sh->turn, i, __ATOMIC_RELEASE);

        /* the child counts itself in "wait" just before it sleeps */
        while (__atomic_load_n(&lt_test_sh->lock.wait, __ATOMIC_ACQUIRE) == 0) {
            sched_yield();
        }

        usleep(1000);
        lt_shmtx_unlock(&lt_test_mtx);
        lt_test_await(&lt_test_sh->got, i);
    }

    ok(lt_test_msec() - start < 1000 && lt_test_reap(pid),
       "%d sleepers were woken at once by unlock (%llu ms)", LT_TEST_ROUNDS,
       (unsigned long long) (lt_test_msec() - start));

    lt_test_mtx.spin = 2048;
}


static void
lt_test_force_unlock(void)
{
    pid_t     dead, waiter;
    uint64_t  start;

    dead = lt_test_fork();

    if (dead == 0) {
        lt_shmtx_lock(&lt_test_mtx);
        _exit(0);                       /* dies holding the lock */
    }

    ok(lt_test_reap(dead), "a child took the lock and died");
    is_int(lt_test_sh->lock.lock, dead, "the lock is still held by the dead child");
    ok(!lt_shmtx_trylock(&lt_test_mtx), "so trylock fails");

    /* someone queues behind the dead holder: force_unlock must let it through */
    waiter = lt_test_fork();

    if (waiter == 0) {
        lt_shmtx_lock(&lt_test_mtx);
        lt_shmtx_unlock(&lt_test_mtx);
        _exit(0);
    }

    usleep(100 * 1000);

    ok(lt_shmtx_force_unlock(&lt_test_mtx, dead + 1) == 0
       && lt_test_sh->lock.lock == (uint32_t) dead,
       "force_unlock of another pid leaves the lock alone");
    ok(lt_shmtx_force_unlock(&lt_test_mtx, dead) == 1, "force_unlock of the dead pid releases it");

    start = lt_test_msec();
    ok(lt_test_reap(waiter), "the waiting child got the lock (%llu ms)",
       (unsigned long long) (lt_test_msec() - start));

    ok(lt_shmtx_trylock(&lt_test_mtx), "and so do we");
    ok(lt_shmtx_force_unlock(&lt_test_mtx, getpid()) == 1 && lt_test_sh->lock.lock == 0,
       "force_unlock releases a live holder too");
}


int
main(void)
{
    void  *addr;

    plan(25);

    alarm(60);
    lt_pid = getpid();

    addr = mmap(NULL, sizeof(lt_test_shared_t), PROT_READ | PROT_WRITE,
                MAP_ANONYMOUS | MAP_SHARED, -1, 0);
    if (addr == MAP_FAILED) {
        perror("mmap");
        return 2;
    }

    lt_test_sh = addr;

    ok(lt_shmtx_create(&lt_test_mtx, &lt_test_sh->lock) == LT_OK
       && lt_test_mtx.sh == &lt_test_sh->lock && lt_test_mtx.spin > 0,
       "a lock in shared memory");

    lt_test_counter(lt_test_mtx.spin, LT_TEST_LOOPS, 0);

    /* hardly any spinning: most contention goes to the futex, where a lost
     * wakeup would show as 100 ms stalls */
    lt_test_counter(1, LT_TEST_LOOPS / 4, 1);
    lt_test_mtx.spin = 2048;
    lt_test_trylock();
    lt_test_wakeup();
    lt_test_force_unlock();

    lt_shmtx_destroy(&lt_test_mtx);
    munmap(addr, sizeof(lt_test_shared_t));

    tap_exit();
}
