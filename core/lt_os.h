/*
 * lt_os.h: facts about the machine and small OS wrappers. The only place for
 * LT_HAVE_* decisions besides the event and socket code.
 */

#ifndef LT_OS_H
#define LT_OS_H

#include "lt_config.h"

extern size_t    lt_pagesize;
extern size_t    lt_pagesize_shift;
extern size_t    lt_cacheline_size;
extern int       lt_ncpu;
extern uint64_t  lt_cpu_allowed;    /* the CPUs we may run on (first 64), 0: unknown */
extern int64_t   lt_max_sockets;

/* lt_os_init: reads page size, CPU count, RLIMIT_NOFILE */
int lt_os_init(lt_log_t *log);
/* lt_os_status: logs the OS and limits at notice level (at start) */
void lt_os_status(lt_log_t *log);

/* lt_random: a non-cryptographic random number (per-process seeded) */
long lt_random(void);

#endif /* LT_OS_H */
