/*
 * lt_config.h: the base every header includes first. System headers, the
 * configure results, return codes, forward declarations and small macros.
 */

#ifndef LT_CONFIG_H
#define LT_CONFIG_H

#include "config.h"

#include <sys/types.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <sys/resource.h>
#include <sys/epoll.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <netdb.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>
#include <pwd.h>
#include <grp.h>
#include <glob.h>
#include <sched.h>

/* return codes: functions return these or, in HTTP handlers, a status code */
#define LT_OK          0
#define LT_ERROR      -1
#define LT_AGAIN      -2
#define LT_BUSY       -3
#define LT_DONE       -4
#define LT_DECLINED   -5
#define LT_ABORT      -6

typedef struct lt_module_s      lt_module_t;
typedef struct lt_conf_s        lt_conf_t;
typedef struct lt_command_s     lt_command_t;
typedef struct lt_cycle_s       lt_cycle_t;
typedef struct lt_pool_s        lt_pool_t;
typedef struct lt_chain_s       lt_chain_t;
typedef struct lt_buf_s         lt_buf_t;
typedef struct lt_log_s         lt_log_t;
typedef struct lt_open_file_s   lt_open_file_t;
typedef struct lt_file_s        lt_file_t;
typedef struct lt_event_s       lt_event_t;
typedef struct lt_connection_s  lt_connection_t;
typedef struct lt_listening_s   lt_listening_t;
typedef struct lt_shm_zone_s    lt_shm_zone_t;

typedef void (*lt_event_handler_pt)(lt_event_t *ev);
typedef void (*lt_connection_handler_pt)(lt_connection_t *c);

#define LT_INVALID_PID  -1
#define LT_INVALID_FILE -1

#define lt_likely(x)    __builtin_expect(!!(x), 1)
#define lt_unlikely(x)  __builtin_expect(!!(x), 0)

#define lt_min(a, b)    ((a) < (b) ? (a) : (b))
#define lt_max(a, b)    ((a) > (b) ? (a) : (b))

#define lt_nelts(a)     (sizeof(a) / sizeof((a)[0]))

#define LT_ALIGNMENT    sizeof(uintptr_t)
#define lt_align(d, a)  (((d) + ((a) - 1)) & ~((a) - 1))
#define lt_align_ptr(p, a) \
    (u_char *) (((uintptr_t) (p) + ((uintptr_t) (a) - 1)) & ~((uintptr_t) (a) - 1))

#define LT_INT64_LEN    (sizeof("-9223372036854775808") - 1)
#define LT_MAX_INT64_VALUE  INT64_MAX
#define LT_MAX_OFF_T_VALUE  INT64_MAX
#define LT_MAX_SIZE_T_VALUE SIZE_MAX

#define lt_abs(value)   (((value) >= 0) ? (value) : -(value))

#define LT_LINEFEED     "\n"
#define CR              (u_char) '\r'
#define LF              (u_char) '\n'
#define CRLF            "\r\n"

#define lt_container_of(ptr, type, member) \
    ((type *) ((u_char *) (ptr) - offsetof(type, member)))

#define LT_PRINTF(fmt, args) __attribute__((format(printf, fmt, args)))

#endif /* LT_CONFIG_H */
