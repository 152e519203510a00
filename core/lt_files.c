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
