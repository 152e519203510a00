/*
 * lt_core.h: everything core/ offers, for .c files. Headers include only what
 * they need (each compiles on its own); .c files include this.
 */

#ifndef LT_CORE_H
#define LT_CORE_H

#include "lt_config.h"
#include "lt_string.h"
#include "lt_escape.h"
#include "lt_palloc.h"
#include "lt_array.h"
#include "lt_list.h"
#include "lt_queue.h"
#include "lt_hash.h"
#include "lt_rbtree.h"
#include "lt_buf.h"
#include "lt_log.h"
#include "lt_times.h"
#include "lt_files.h"
#include "lt_open_file_cache.h"
#include "lt_conf_file.h"
#include "lt_module.h"
#include "lt_cycle.h"
#include "lt_shmtx.h"
#include "lt_shmem.h"
#include "lt_slab.h"
#include "lt_event.h"
#include "lt_connection.h"
#include "lt_process.h"
#include "lt_os.h"
#include "lt_regex.h"
#include "lt_inet.h"

#define LINTEL_VERSION      "0.1.0"
#define LINTEL_VER          "lintel/" LINTEL_VERSION
#define LINTEL_VAR          "LINTEL"    /* environment: fds inherited on upgrade */
#define LINTEL_OLDPID_EXT   ".oldbin"

#endif /* LT_CORE_H */
