/*
 * lt_files.c: files, paths and directories (see lt_files.h).
 */

#include "lt_core.h"

int
lt_read_whole_file(lt_pool_t *pool, const char *path, lt_str_t *out)
{
    int          fd, err;
    ssize_t      n;
    size_t       size, got;
    struct stat  st;
    u_char      *buf;

    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd == -1) {
        return LT_ERROR;
    }

    if (fstat(fd, &st) == -1) {
        goto failed;
    }

    if (S_ISDIR(st.st_mode)) {
        errno = EISDIR;
        goto failed;
    }

    size = (size_t) st.st_size;

    buf = lt_pnalloc(pool, size + 1);
    if (buf == NULL) {
        errno = ENOMEM;
        goto failed;
    }

    for (got = 0; got < size; got += (size_t) n) {
        n = read(fd, buf + got, size - got);

        if (n == -1) {
            if (errno == EINTR) {
                n = 0;
                continue;
            }
            goto failed;
        }

        if (n == 0) {
            /* the file shrank while we read it */
            break;
        }
    }

    buf[got] = '\0';
    out->data = buf;
    out->len = got;

    close(fd);
    return LT_OK;

failed:

    err = errno;
    close(fd);
    errno = err;
    return LT_ERROR;
}


ssize_t
lt_read_file(lt_file_t *file, u_char *buf, size_t size, off_t offset)
{
    ssize_t  n;

    for ( ;; ) {
        n = pread(file->fd, buf, size, offset);

        if (n == -1) {
            if (errno == EINTR) {
                continue;
            }

            lt_log_error(LT_LOG_CRIT, file->log, errno,
                         "pread() \"%.*s\" failed", (int) file->name.len, file->name.data);
            return LT_ERROR;
        }

        file->offset += n;
        return n;
    }
}


ssize_t
lt_write_file(lt_file_t *file, u_char *buf, size_t size, off_t offset)
{
    ssize_t  n, written;

    written = 0;

    while ((size_t) written < size) {
        n = pwrite(file->fd, buf + written, size - written, offset);

        if (n == -1) {
            if (errno == EINTR) {
                continue;
            }

            lt_log_error(LT_LOG_CRIT, file->log, errno,
                         "pwrite() \"%.*s\" failed", (int) file->name.len, file->name.data);
            return LT_ERROR;
        }

        file->offset += n;
        offset += n;
        written += n;
    }

    return written;
}


int
lt_create_full_path(u_char *dir, mode_t access)
{
    u_char  *p, ch;
    int      err;

    err = 0;

    for (p = dir + 1; *p; p++) {
        ch = *p;

        if (ch != '/') {
            continue;
        }

        *p = '\0';

        if (mkdir((char *) dir, access) == -1) {
            err = errno;

            switch (err) {
            case EEXIST:
                err = 0;
                /* fall through */
            case EACCES:
                break;

            default:
                *p = '/';
                return err;
            }
        }

        *p = '/';
    }

    return err;
}


/* lt_temp_file_name: path/levels/number into name (room for all of it) */
static void
lt_temp_file_name(u_char *name, lt_path_t *path, uint32_t number)
{
    u_char  *p, *digits;
    size_t   n, from;

    p = lt_cpymem(name, path->name.data, path->name.len);

    /* the digits first, at their final place, for the levels to copy */
    digits = p + path->len + 1;
    snprintf((char *) digits, 11, "%010u", (unsigned) number);

    from = 10;

    for (n = 0; n < 3 && path->level[n]; n++) {
        from -= path->level[n];
        *p++ = '/';
        p = lt_cpymem(p, digits + from, path->level[n]);
    }

    *p = '/';
}


/* lt_temp_file_dirs: creates the level directories of name */
static int
lt_temp_file_dirs(u_char *name, lt_path_t *path)
{
    u_char  *p;
    size_t   n;

    p = name + path->name.len;

    for (n = 0; n < 3 && path->level[n]; n++) {
        p += 1 + path->level[n];
        *p = '\0';

        if (mkdir((char *) name, 0700) == -1 && errno != EEXIST) {
            *p = '/';
            return LT_ERROR;
        }

        *p = '/';
    }

    return LT_OK;
}


int
lt_create_temp_file(lt_file_t *file, lt_path_t *path, lt_pool_t *pool,
    unsigned persistent, unsigned clean, unsigned group_access)
{
    int                       fd, err, tries;
    u_char                   *name;
    size_t                    len;
    lt_pool_cleanup_t        *cln;
    lt_pool_cleanup_file_t   *clnf;
    static uint32_t           lt_temp_number;

    cln = lt_pool_cleanup_add(pool, sizeof(lt_pool_cleanup_file_t));
    len = path->name.len + path->len + 1 + 10 + 1;
    name = lt_pnalloc(pool, len);

    if (cln == NULL || name == NULL) {
        return LT_ERROR;
    }

    if (lt_temp_number == 0) {
        lt_temp_number = (uint32_t) lt_random() ^ ((uint32_t) lt_pid << 16);
    }

    fd = -1;
    err = 0;

    for (tries = 0; tries < 100; tries++) {
        lt_temp_file_name(name, path, ++lt_temp_number);

        fd = open((char *) name, O_CREAT | O_EXCL | O_RDWR | O_CLOEXEC,
                  group_access ? 0660 : 0600);

        if (fd != -1) {
            break;
        }

        err = errno;

        if (err == ENOENT && path->level[0] && lt_temp_file_dirs(name, path) == LT_OK) {
            lt_temp_number--;       /* the same name again, now that its directory is */
            continue;
        }

        if (err != EEXIST) {
            break;
        }
    }

    if (fd == -1) {
        lt_log_error(LT_LOG_CRIT, file->log ? file->log : pool->log, err,
                     "open() \"%s\" failed", name);
        return LT_ERROR;
    }

    if (!persistent) {
        /* nobody needs its name: it vanishes with its last descriptor */
        (void) unlink((char *) name);
    }

    file->fd = fd;
    file->name.data = name;
    file->name.len = strlen((char *) name);

    clnf = cln->data;
    clnf->fd = fd;
    clnf->name = name;
    clnf->log = pool->log;
    cln->handler = (clean && persistent) ? lt_pool_delete_file : lt_pool_cleanup_file;

    return LT_OK;
}


int
lt_create_paths(lt_cycle_t *cycle, uid_t user)
{
    size_t        i;
    lt_path_t   **path;
    struct stat   st;

    path = cycle->paths.elts;

    for (i = 0; i < cycle->paths.nelts; i++) {

        if (mkdir((char *) path[i]->name.data, 0700) == -1) {
            if (errno != EEXIST) {
                lt_log_error(LT_LOG_EMERG, cycle->log, errno,
                             "mkdir() \"%s\" failed", path[i]->name.data);
                return LT_ERROR;
            }
        }

        if (user == (uid_t) LT_CONF_UNSET_UINT) {
            continue;
        }

        if (stat((char *) path[i]->name.data, &st) == -1) {
            lt_log_error(LT_LOG_EMERG, cycle->log, errno,
                         "stat() \"%s\" failed", path[i]->name.data);
            return LT_ERROR;
        }

        if (st.st_uid != user) {
            if (chown((char *) path[i]->name.data, user, (gid_t) -1) == -1) {
                lt_log_error(LT_LOG_EMERG, cycle->log, errno,
                             "chown(\"%s\", %d) failed", path[i]->name.data, (int) user);
                return LT_ERROR;
            }
        }

        if ((st.st_mode & (S_IRUSR | S_IWUSR | S_IXUSR)) != (S_IRUSR | S_IWUSR | S_IXUSR)) {
            if (chmod((char *) path[i]->name.data, st.st_mode | S_IRWXU) == -1) {
                lt_log_error(LT_LOG_EMERG, cycle->log, errno,
                             "chmod() \"%s\" failed", path[i]->name.data);
                return LT_ERROR;
            }
        }
    }

    return LT_OK;
}


int
lt_nonblocking(int fd)
{
    int  flags;

    flags = fcntl(fd, F_GETFL);
    if (flags == -1) {
        return LT_ERROR;
    }

    return fcntl(fd, F_SETFL, flags | O_NONBLOCK) == -1 ? LT_ERROR : LT_OK;
}


int
lt_blocking(int fd)
{
    int  flags;

    flags = fcntl(fd, F_GETFL);
    if (flags == -1) {
        return LT_ERROR;
    }

    return fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) == -1 ? LT_ERROR : LT_OK;
}


int
lt_add_path(lt_conf_t *cf, lt_path_t **slot)
{
    size_t       i, n;
    lt_path_t   *path, **p;

    path = *slot;

    p = cf->cycle->paths.elts;

    for (i = 0; i < cf->cycle->paths.nelts; i++) {
        if (p[i]->name.len != path->name.len
            || memcmp(p[i]->name.data, path->name.data, path->name.len) != 0)
        {
            continue;
        }

        for (n = 0; n < 3; n++) {
            if (p[i]->level[n] != path->level[n]) {
                lt_conf_log_error(LT_LOG_EMERG, cf, 0, "the same path name \"%.*s\" used "
                                  "in %s:%zu and with the different levels",
                                  (int) path->name.len, path->name.data,
                                  p[i]->conf_file ? (char *) p[i]->conf_file : "",
                                  p[i]->line);
                return LT_ERROR;
            }
        }

        *slot = p[i];
        return LT_OK;
    }

    if (cf->conf_file && cf->conf_file->start) {
        path->conf_file = cf->conf_file->name.data;
        path->line = cf->conf_file->line;
    }

    p = lt_array_push(&cf->cycle->paths);
    if (p == NULL) {
        return LT_ERROR;
    }

    *p = path;

    return LT_OK;
}


char *
lt_conf_set_temp_path_slot(lt_conf_t *cf, lt_command_t *cmd, void *conf)
{
    size_t       i;
    int64_t      level;
    lt_str_t    *value;
    lt_path_t  **slot, *path;

    slot = (lt_path_t **) ((char *) conf + cmd->offset);

    if (*slot != LT_CONF_UNSET_PTR) {
        return "is duplicate";
    }

    value = cf->args->elts;

    path = lt_pcalloc(cf->pool, sizeof(lt_path_t));
    if (path == NULL) {
        return LT_CONF_ERROR;
    }

    path->name = value[1];

    if (path->name.len > 1 && path->name.data[path->name.len - 1] == '/') {
        path->name.len--;
        path->name.data[path->name.len] = '\0';
    }

    if (lt_conf_full_name(cf->cycle, &path->name, 0) != LT_OK) {
        return LT_CONF_ERROR;
    }

    for (i = 0; i < 3 && i + 2 < cf->args->nelts; i++) {
        level = lt_atoi(value[i + 2].data, value[i + 2].len);

        if (level < 1 || level > 2) {
            lt_conf_log_error(LT_LOG_EMERG, cf, 0, "invalid value \"%.*s\" in \"%s\" "
                              "directive, it must be 1 or 2", (int) value[i + 2].len,
                              value[i + 2].data, cmd->name);
            return LT_CONF_ERROR;
        }

        path->level[i] = (size_t) level;
        path->len += (size_t) level + 1;
    }

    *slot = path;

    return lt_add_path(cf, slot) == LT_OK ? LT_CONF_OK : LT_CONF_ERROR;
}
