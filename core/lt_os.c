/*
 * lt_os.c: facts about the machine (see lt_os.h).
 */

#include "lt_core.h"

#include <sys/utsname.h>

size_t   lt_pagesize;
size_t   lt_pagesize_shift;
size_t   lt_cacheline_size = 64;
int      lt_ncpu;
uint64_t lt_cpu_allowed;
int64_t  lt_max_sockets;

static struct rlimit  lt_rlmt;


int
lt_os_init(lt_log_t *log)
{
    size_t  n;
    long    v;

    lt_pagesize = (size_t) getpagesize();

    for (n = lt_pagesize; n >>= 1; lt_pagesize_shift++) { /* void */ }

#if (LT_HAVE_SCHED_GETAFFINITY)
    {
        cpu_set_t  set;

        CPU_ZERO(&set);

        if (sched_getaffinity(0, sizeof(set), &set) == 0) {
            lt_ncpu = CPU_COUNT(&set);

            for (n = 0; n < 64; n++) {
                if (CPU_ISSET(n, &set)) {
                    lt_cpu_allowed |= (uint64_t) 1 << n;
                }
            }
        }
    }
#endif

    if (lt_ncpu == 0) {
        v = sysconf(_SC_NPROCESSORS_ONLN);
        lt_ncpu = v > 0 ? (int) v : 1;
    }

    v = sysconf(_SC_LEVEL1_DCACHE_LINESIZE);
    if (v > 0) {
        lt_cacheline_size = (size_t) v;
    }

    if (getrlimit(RLIMIT_NOFILE, &lt_rlmt) == -1) {
        lt_log_error(LT_LOG_ALERT, log, errno, "getrlimit(RLIMIT_NOFILE) failed");
        return LT_ERROR;
    }

    lt_max_sockets = (int64_t) lt_rlmt.rlim_cur;

    srandom((unsigned) ((unsigned) lt_pid << 16) ^ (unsigned) lt_time());

    lt_slab_sizes_init();

    return LT_OK;
}


void
lt_os_status(lt_log_t *log)
{
    struct utsname  u;

    lt_log_error(LT_LOG_NOTICE, log, 0, "%s", LINTEL_VER);
    lt_log_error(LT_LOG_NOTICE, log, 0, "built by %s", LT_COMPILER);

    if (uname(&u) == 0) {
        lt_log_error(LT_LOG_NOTICE, log, 0, "OS: %s %s", u.sysname, u.release);
    }

    lt_log_error(LT_LOG_NOTICE, log, 0, "getrlimit(RLIMIT_NOFILE): %llu:%llu",
                 (unsigned long long) lt_rlmt.rlim_cur,
                 (unsigned long long) lt_rlmt.rlim_max);
}


long
lt_random(void)
{
    return random();
}
