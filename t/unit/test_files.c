/*
 * test_files.c: temporary files (lt_create_temp_file: names, level directories,
 * persistent, clean) and the open file cache (lt_open_cached_file: descriptors
 * kept and shared, "valid", errors, min_uses, max, inactive, an entry evicted
 * while a request holds it), with the clock under the test's control.
 */

#include "lt_core.h"
#include "tap.h"

static lt_log_t   lt_test_log;      /* level 0: logs nothing */
static lt_time_t  lt_test_now;
static char       lt_test_dir[] = "/tmp/lt-test-files-XXXXXX";


static void
lt_test_write(const char *name, const char *content)
{
    char  path[512];
    FILE *f;

    snprintf(path, sizeof(path), "%s/%s", lt_test_dir, name);
    f = fopen(path, "w");
    fputs(content, f);
    fclose(f);
}


/* lt_test_replace: a new file (another inode) under the old name */
static void
lt_test_replace(const char *name, const char *content)
{
    char  from[512], to[512];

    lt_test_write("replacement", content);
    snprintf(from, sizeof(from), "%s/replacement", lt_test_dir);
    snprintf(to, sizeof(to), "%s/%s", lt_test_dir, name);
    (void) rename(from, to);
}


static lt_str_t
lt_test_path(lt_pool_t *pool, const char *name)
{
    lt_str_t  s;

    s.data = lt_pnalloc(pool, 512);
    s.len = (size_t) snprintf((char *) s.data, 512, "%s/%s", lt_test_dir, name);

    return s;
}


/* lt_test_read: what fd holds, from its start */
static const char *
lt_test_read(int fd)
{
    static char  buf[64];
    ssize_t      n;

    n = pread(fd, buf, sizeof(buf) - 1, 0);
    buf[n > 0 ? n : 0] = '\0';

    return buf;
}


static int
lt_test_fd_open(int fd)
{
    return fcntl(fd, F_GETFD) != -1;
}


static void
lt_test_temp_files(void)
{
    int          fd;
    char         dir[512], name[512];
    lt_pool_t   *pool;
    lt_path_t    path;
    lt_file_t    file;
    struct stat  st;

    pool = lt_create_pool(1024, &lt_test_log);

    lt_memzero(&path, sizeof(path));
    snprintf(dir, sizeof(dir), "%s/temp", lt_test_dir);
    (void) mkdir(dir, 0700);
    path.name.data = (u_char *) dir;
    path.name.len = strlen(dir);
    path.level[0] = 1;
    path.level[1] = 2;
    path.len = 2 + 3;

    /* persistent: named dir/L1/L2/NNNNNNNNNN, levels from the end of the number */
    lt_memzero(&file, sizeof(file));
    file.log = &lt_test_log;
    ok(lt_create_temp_file(&file, &path, pool, 1, 0, 0) == LT_OK, "a temp file with levels");

    {
        const char  *n = (const char *) file.name.data + path.name.len;
        size_t       len = strlen(n);

        ok(len == 1 + 1 + 1 + 2 + 1 + 10 && n[0] == '/' && n[2] == '/' && n[5] == '/',
           "its name is /L/LL/NNNNNNNNNN: %s", n);
        ok(len == 16 && n[1] == n[15] && n[3] == n[13] && n[4] == n[14],
           "the levels are the last digits of the number");
    }

    ok(stat((char *) file.name.data, &st) == 0 && (st.st_mode & 0777) == 0600,
       "it exists, mode 0600");
    fd = file.fd;
    snprintf(name, sizeof(name), "%s", (char *) file.name.data);

    lt_destroy_pool(pool);

    ok(!lt_test_fd_open(fd), "closed with the pool");
    ok(stat(name, &st) == 0, "a persistent file stays");
    (void) unlink(name);

    /* clean: removed with the pool; not persistent: no name at all */
    pool = lt_create_pool(1024, &lt_test_log);
    lt_memzero(&file, sizeof(file));
    ok(lt_create_temp_file(&file, &path, pool, 1, 1, 1) == LT_OK, "a clean temp file");
    ok(stat((char *) file.name.data, &st) == 0 && (st.st_mode & 0040),
       "group access: the group may read (0660 less the umask)");
    snprintf(name, sizeof(name), "%s", (char *) file.name.data);
    lt_destroy_pool(pool);
    ok(stat(name, &st) == -1 && errno == ENOENT, "clean: removed");

    pool = lt_create_pool(1024, &lt_test_log);
    lt_memzero(&file, sizeof(file));
    ok(lt_create_temp_file(&file, &path, pool, 0, 0, 0) == LT_OK
       && stat((char *) file.name.data, &st) == -1 && errno == ENOENT
       && write(file.fd, "x", 1) == 1,
       "not persistent: no name, still writable");
    lt_destroy_pool(pool);

    /* no levels, and a directory that is not there */
    pool = lt_create_pool(1024, &lt_test_log);
    path.level[0] = 0;
    path.level[1] = 0;
    path.len = 0;
    lt_memzero(&file, sizeof(file));
    ok(lt_create_temp_file(&file, &path, pool, 1, 1, 0) == LT_OK
       && file.name.len == path.name.len + 11, "no levels: dir/NNNNNNNNNN");

    snprintf(dir, sizeof(dir), "%s/missing", lt_test_dir);
    path.name.data = (u_char *) dir;
    path.name.len = strlen(dir);
    lt_memzero(&file, sizeof(file));
    ok(lt_create_temp_file(&file, &path, pool, 1, 0, 0) == LT_ERROR,
       "a missing directory without levels: an error");
    lt_destroy_pool(pool);
}


static void
lt_test_cache(void)
{
    int                    fd, fd2, fd3;
    lt_str_t               a, b, none;
    lt_pool_t             *conf, *r1, *r2, *r3;
    lt_open_file_info_t    of;
    lt_open_file_cache_t  *cache;

    conf = lt_create_pool(1024, &lt_test_log);
    r1 = lt_create_pool(1024, &lt_test_log);

    lt_test_write("a", "a1");
    lt_test_write("b", "b1");
    a = lt_test_path(conf, "a");
    b = lt_test_path(conf, "b");
    none = lt_test_path(conf, "none");

    lt_test_now.sec = 1000;

    cache = lt_open_file_cache_init(conf, 2, 60);
    ok(cache != NULL, "a cache");

    /* a kept descriptor, shared, serving the file it opened while valid */
    lt_memzero(&of, sizeof(of));
    of.valid = 10;
    of.min_uses = 1;
    ok(lt_open_cached_file(cache, &a, &of, r1) == LT_OK && of.fd != -1
       && of.st.st_size == 2, "opened");
    fd = of.fd;

    r2 = lt_create_pool(1024, &lt_test_log);
    lt_test_replace("a", "a2-new");
    ok(lt_open_cached_file(cache, &a, &of, r2) == LT_OK && of.fd == fd
       && of.st.st_size == 2 && strcmp(lt_test_read(of.fd), "a1") == 0,
       "the same descriptor, the old file, while valid");

    lt_test_now.sec += 10;
    r3 = lt_create_pool(1024, &lt_test_log);
    ok(lt_open_cached_file(cache, &a, &of, r3) == LT_OK && of.fd != fd
       && strcmp(lt_test_read(of.fd), "a2-new") == 0,
       "after valid: the new file, a new descriptor");
    fd2 = of.fd;

    ok(lt_test_fd_open(fd), "the old descriptor stays open while requests hold it");
    lt_destroy_pool(r1);
    ok(lt_test_fd_open(fd), "one holder left");
    lt_destroy_pool(r2);
    ok(!lt_test_fd_open(fd), "closed with its last holder");
    lt_destroy_pool(r3);
    ok(lt_test_fd_open(fd2), "a cached descriptor stays open without holders");

    /* test_only: the stat() from the cache, no descriptor handed out */
    r1 = lt_create_pool(1024, &lt_test_log);
    of.test_only = 1;
    ok(lt_open_cached_file(cache, &a, &of, r1) == LT_OK && of.fd == -1 && of.st.st_size == 6,
       "test_only: the stat, no descriptor");
    of.test_only = 0;

    /* errors: cached only when asked */
    ok(lt_open_cached_file(cache, &none, &of, r1) == LT_ERROR && of.err == ENOENT
       && strcmp(of.failed, "open()") == 0, "a missing file: ENOENT from open()");
    lt_test_write("none", "n");
    ok(lt_open_cached_file(cache, &none, &of, r1) == LT_OK, "errors not cached: found at once");
    (void) unlink((char *) none.data);

    of.errors = 1;
    lt_test_now.sec += 10;
    ok(lt_open_cached_file(cache, &none, &of, r1) == LT_ERROR, "errors cached: missing");
    lt_test_write("none", "n");
    ok(lt_open_cached_file(cache, &none, &of, r1) == LT_ERROR && of.err == ENOENT,
       "errors cached: still missing while valid");
    lt_test_now.sec += 10;
    ok(lt_open_cached_file(cache, &none, &of, r1) == LT_OK, "after valid: found");
    of.errors = 0;

    /* max 2: a, none, then b pushes out the least recently used (a) */
    ok(lt_open_cached_file(cache, &b, &of, r1) == LT_OK, "b");
    fd3 = of.fd;
    ok(!lt_test_fd_open(fd2), "max: the least recently used entry went, closed");
    lt_destroy_pool(r1);
    ok(lt_test_fd_open(fd3), "b's descriptor is kept");

    /* inactive: entries unused for 60s go at the next lookups */
    lt_test_now.sec += 61;
    r1 = lt_create_pool(1024, &lt_test_log);
    ok(lt_open_cached_file(cache, &a, &of, r1) == LT_OK, "a again");
    ok(!lt_test_fd_open(fd3), "inactive: b went");
    lt_destroy_pool(r1);

    lt_destroy_pool(conf);

    /* min_uses 3: a descriptor of its own for the first two uses */
    conf = lt_create_pool(1024, &lt_test_log);
    cache = lt_open_file_cache_init(conf, 10, 60);
    a = lt_test_path(conf, "a");
    lt_memzero(&of, sizeof(of));
    of.valid = 60;
    of.min_uses = 3;

    r1 = lt_create_pool(1024, &lt_test_log);
    (void) lt_open_cached_file(cache, &a, &of, r1);
    fd = of.fd;
    lt_destroy_pool(r1);
    ok(!lt_test_fd_open(fd), "min_uses: the first use's descriptor is the request's");

    r1 = lt_create_pool(1024, &lt_test_log);
    (void) lt_open_cached_file(cache, &a, &of, r1);
    fd = of.fd;
    lt_destroy_pool(r1);
    ok(!lt_test_fd_open(fd), "min_uses: the second too");

    r1 = lt_create_pool(1024, &lt_test_log);
    (void) lt_open_cached_file(cache, &a, &of, r1);
    fd = of.fd;
    lt_destroy_pool(r1);
    ok(lt_test_fd_open(fd), "min_uses: the third is kept");

    r1 = lt_create_pool(1024, &lt_test_log);
    ok(lt_open_cached_file(cache, &a, &of, r1) == LT_OK && of.fd == fd, "and used again");
    lt_destroy_pool(r1);

    lt_destroy_pool(conf);
    ok(!lt_test_fd_open(fd), "the cache's descriptors are closed with its pool");

    /* no cache: the request's own descriptor; a directory is not kept open */
    r1 = lt_create_pool(1024, &lt_test_log);
    a = lt_test_path(r1, "a");
    lt_memzero(&of, sizeof(of));
    ok(lt_open_cached_file(NULL, &a, &of, r1) == LT_OK && of.fd != -1, "no cache: opened");
    fd = of.fd;
    none.data = (u_char *) lt_test_dir;
    none.len = strlen(lt_test_dir);
    ok(lt_open_cached_file(NULL, &none, &of, r1) == LT_OK && of.fd == -1
       && S_ISDIR(of.st.st_mode), "a directory: its stat, no descriptor");
    lt_destroy_pool(r1);
    ok(!lt_test_fd_open(fd), "no cache: closed with the request");
}


int
main(void)
{
    char  cmd[600];

    lt_time_init();
    lt_cached_time = &lt_test_now;

    if (mkdtemp(lt_test_dir) == NULL) {
        printf("Bail out! mkdtemp failed\n");
        return 1;
    }

    lt_test_temp_files();
    lt_test_cache();

    snprintf(cmd, sizeof(cmd), "rm -rf %s", lt_test_dir);
    (void) system(cmd);

    return done_testing();
}
