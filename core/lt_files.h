/*
 * lt_files.h: files, paths and directories.
 */

#ifndef LT_FILES_H
#define LT_FILES_H

#include "lt_config.h"
#include "lt_string.h"
#include "lt_palloc.h"

struct lt_file_s {
    int             fd;
    lt_str_t        name;
    struct stat     info;
    off_t           offset;
    off_t           sys_offset;
    lt_log_t       *log;
    unsigned        valid_info:1;
    unsigned        directio:1;
};

/* a directory that lintel creates and writes temp files to (client_body_temp) */
typedef struct {
    lt_str_t        name;
    size_t          len;        /* of the hashed levels part */
    size_t          level[3];
    void           *conf_file;  /* where it was configured, for error messages */
    size_t          line;
} lt_path_t;

/* lt_read_whole_file: the file's contents, NUL-terminated, in the pool;
 * LT_ERROR with errno set (the caller logs, it knows the context) */
int lt_read_whole_file(lt_pool_t *pool, const char *path, lt_str_t *out);

/* lt_read_file/lt_write_file: pread/pwrite loops; bytes, or LT_ERROR (logged) */
ssize_t lt_read_file(lt_file_t *file, u_char *buf, size_t size, off_t offset);
ssize_t lt_write_file(lt_file_t *file, u_char *buf, size_t size, off_t offset);

/*
 * lt_create_temp_file: a new file in path, below its levels ("1 2": the last digit
 * of the 10-digit name, then the two before it, make the directories, created as
 * needed), open for reading and writing, closed (and with clean, removed) when pool
 * goes. Unless persistent it has no name from the start: it vanishes with its
 * descriptor. LT_OK, or LT_ERROR (logged).
 */
int lt_create_temp_file(lt_file_t *file, lt_path_t *path, lt_pool_t *pool,
    unsigned persistent, unsigned clean, unsigned group_access);

/* lt_create_full_path: creates the directories of path below its existing part */
int lt_create_full_path(u_char *dir, mode_t access);

/* lt_add_path: registers *slot in the cycle's paths (one entry per directory: a
 * second user of the same directory gets the first's lt_path_t, and must agree
 * on its levels) */
int lt_add_path(lt_conf_t *cf, lt_path_t **slot);

/* lt_conf_set_temp_path_slot: "DIRECTIVE path [level1 [level2 [level3]]]" into the
 * lt_path_t * at cmd->offset (LT_CONF_UNSET_PTR before), registered with
 * lt_add_path (client_body_temp_path, proxy_temp_path) */
char *lt_conf_set_temp_path_slot(lt_conf_t *cf, lt_command_t *cmd, void *conf);

/* lt_create_paths: creates the cycle's paths, owned by user when running as root */
int lt_create_paths(lt_cycle_t *cycle, uid_t user);

/* lt_nonblocking/lt_blocking: set or clear O_NONBLOCK on fd */
int lt_nonblocking(int fd);
int lt_blocking(int fd);

#endif /* LT_FILES_H */
