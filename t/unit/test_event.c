/*
 * test_event.c: the event loop of core/: timers and posted events
 * (lt_event_timer.c), epoll dispatch and the instance bit (lt_epoll.c), accepting
 * (lt_event_accept.c), the connection table and plain socket I/O (lt_connection.c,
 * lt_os_io.c), and a worker's event setup and loop iteration (lt_event.c).
 *
 * The cycle is a real one: lt_init_cycle() reads a configuration file written in
 * a temporary prefix (and maps the shared statistics through the event core
 * module's init_module); a listening socket on 127.0.0.1 is added to it as http/
 * would add one while parsing; then the module's init_process hook builds the
 * connection table and registers the listener, as in a worker.
 *
 * Every loop iteration the test runs is bounded by a guard timer, and alarm(30)
 * bounds the whole program. Errors are read back from the cycle's error log.
 */

#include "lt_core.h"
#include "tap.h"

#include <poll.h>

#define LT_TEST_CONNECTIONS  16

#define lt_test_bail(...)                                                     \
    do {                                                                      \
        printf("Bail out! ");                                                 \
        printf(__VA_ARGS__);                                                  \
        printf("\n");                                                         \
        exit(255);                                                            \
    } while (0)

static lt_cycle_t      *lt_test_cycle;
static lt_listening_t  *lt_test_ls;
static lt_pool_t       *lt_test_pool;
static lt_event_t       lt_test_guard;
static char             lt_test_dir[64];
static char             lt_test_log_path[128];
static char             lt_test_conf_path[128];
static char             lt_test_logbuf[256 * 1024];


/* the loop */

static void
lt_test_guard_handler(lt_event_t *ev)
{
    (void) ev;
}


/* lt_test_run: one iteration of the worker loop, waiting at most ms */
static void
lt_test_run(uint64_t ms)
{
    if (lt_test_guard.timer_set) {
        lt_event_del_timer(&lt_test_guard);
    }

    lt_event_add_timer(&lt_test_guard, ms);

    lt_process_events_and_timers(lt_test_cycle);

    if (lt_test_guard.timer_set) {
        lt_event_del_timer(&lt_test_guard);
    }
}


/* lt_test_run_until_n: iterations until *n reaches target or ms have passed */
static int
lt_test_run_until_n(int *n, int target, uint64_t ms)
{
    uint64_t  deadline;

    lt_time_update();
    deadline = lt_current_msec + ms;

    while (*n < target && (int64_t) (deadline - lt_current_msec) > 0) {
        lt_test_run(deadline - lt_current_msec);
    }

    return *n;
}


/* lt_test_run_until: iterations until *flag is non-zero or ms have passed */
#define lt_test_run_until(flag, ms)  lt_test_run_until_n(flag, 1, ms)


/* lt_test_sleep_until: sleeps until the cached monotonic time reaches msec */
static void
lt_test_sleep_until(uint64_t msec)
{
    for ( ;; ) {
        lt_time_update();

        if ((int64_t) (lt_current_msec - msec) >= 0) {
            return;
        }

        usleep(1000);
    }
}


/* the error log */

static off_t
lt_test_log_mark(void)
{
    struct stat  st;

    if (stat(lt_test_log_path, &st) == -1) {
        return 0;
    }

    return st.st_size;
}


/* lt_test_logged: what was logged since mark contains s */
static int
lt_test_logged(off_t mark, const char *s)
{
    int      fd;
    ssize_t  n;

    fd = open(lt_test_log_path, O_RDONLY | O_CLOEXEC);
    if (fd == -1) {
        return 0;
    }

    n = pread(fd, lt_test_logbuf, sizeof(lt_test_logbuf) - 1, mark);
    close(fd);

    if (n < 0) {
        n = 0;
    }

    lt_test_logbuf[n] = '\0';

    return strstr(lt_test_logbuf, s) != NULL;
}


/* sockets */

static void
lt_test_socketpair(int sv[2])
{
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv) == -1) {
        lt_test_bail("socketpair() failed: %s", strerror(errno));
    }
}


/* lt_test_tcp_pair: a connected loopback pair, both non-blocking: fds[0] is the
 * side the tests give to lintel, fds[1] the peer; rcvbuf (if not 0) is set on the
 * peer before connecting */
static void
lt_test_tcp_pair(int fds[2], int rcvbuf)
{
    int                 lfd;
    socklen_t           len;
    struct sockaddr_in  sin;

    lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    fds[1] = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

    if (lfd == -1 || fds[1] == -1) {
        lt_test_bail("socket() failed: %s", strerror(errno));
    }

    lt_memzero(&sin, sizeof(sin));
    sin.sin_family = AF_INET;
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    len = sizeof(sin);

    if (bind(lfd, (struct sockaddr *) &sin, sizeof(sin)) == -1
        || listen(lfd, 1) == -1
        || getsockname(lfd, (struct sockaddr *) &sin, &len) == -1)
    {
        lt_test_bail("a loopback listener: %s", strerror(errno));
    }

    if (rcvbuf
        && setsockopt(fds[1], SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(int)) == -1)
    {
        lt_test_bail("setsockopt(SO_RCVBUF) failed: %s", strerror(errno));
    }

    if (connect(fds[1], (struct sockaddr *) &sin, sizeof(sin)) == -1) {
        lt_test_bail("connect() failed: %s", strerror(errno));
    }

    fds[0] = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fds[0] == -1 || lt_nonblocking(fds[1]) != LT_OK) {
        lt_test_bail("accept4() failed: %s", strerror(errno));
    }

    close(lfd);
}


/* lt_test_connect: a client of the test listener (blocking connect, then
 * non-blocking); waits until the listener has it queued */
static int
lt_test_connect(struct sockaddr_in *local)
{
    int            s;
    socklen_t      len;
    struct pollfd  pfd;

    s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (s == -1) {
        lt_test_bail("socket() failed: %s", strerror(errno));
    }

    if (connect(s, lt_test_ls->sockaddr, lt_test_ls->socklen) == -1) {
        lt_test_bail("connect() to the test listener failed: %s", strerror(errno));
    }

    if (local) {
        len = sizeof(struct sockaddr_in);
        if (getsockname(s, (struct sockaddr *) local, &len) == -1) {
            lt_test_bail("getsockname() failed: %s", strerror(errno));
        }
    }

    if (lt_nonblocking(s) != LT_OK) {
        lt_test_bail("fcntl() failed: %s", strerror(errno));
    }

    pfd.fd = lt_test_ls->fd;
    pfd.events = POLLIN;
    (void) poll(&pfd, 1, 2000);

    return s;
}


/* lt_test_peer_closed: the peer of s closed: recv() sees the end (or a reset) */
static int
lt_test_peer_closed(int s)
{
    char           c;
    ssize_t        n;
    struct pollfd  pfd;

    pfd.fd = s;
    pfd.events = POLLIN;

    if (poll(&pfd, 1, 2000) != 1) {
        return 0;
    }

    n = recv(s, &c, 1, 0);

    return n == 0 || (n == -1 && errno == ECONNRESET);
}


/* connections with handlers that record their calls */

typedef struct {
    int           rcalls;
    int           wcalls;
    unsigned      rready;       /* ev->ready at the last read call */
    unsigned      wready;
    unsigned      pending_eof;
    unsigned      close;        /* c->close at the last read call */
    lt_event_t   *rev;          /* the event of the last call */
    lt_event_t   *wev;
} lt_test_conn_t;


static void
lt_test_read_handler(lt_event_t *ev)
{
    lt_connection_t  *c = ev->data;
    lt_test_conn_t   *t = c->data;

    t->rcalls++;
    t->rready = ev->ready;
    t->pending_eof = ev->pending_eof;
    t->close = c->close;
    t->rev = ev;
}


static void
lt_test_write_handler(lt_event_t *ev)
{
    lt_connection_t  *c = ev->data;
    lt_test_conn_t   *t = c->data;

    t->wcalls++;
    t->wready = ev->ready;
    t->wev = ev;
}


/* lt_test_conn: a connection for fd with the recording handlers, in epoll */
static lt_connection_t *
lt_test_conn(int fd, lt_test_conn_t *t)
{
    lt_connection_t  *c;

    c = lt_get_connection(fd, lt_test_cycle->log);
    if (c == NULL) {
        lt_test_bail("lt_get_connection(%d) failed", fd);
    }

    lt_memzero(t, sizeof(lt_test_conn_t));

    c->data = t;
    c->read.handler = lt_test_read_handler;
    c->write.handler = lt_test_write_handler;

    if (lt_epoll_add_connection(c) != LT_OK) {
        lt_test_bail("lt_epoll_add_connection(%d) failed", fd);
    }

    return c;
}


/* setup: the cycle, the listener, the worker */

static void
lt_test_accept_handler(lt_connection_t *c);


static void
lt_test_write_file(const char *path, const char *text)
{
    FILE  *f;

    f = fopen(path, "w");
    if (f == NULL || fputs(text, f) == EOF || fclose(f) == EOF) {
        lt_test_bail("cannot write %s", path);
    }
}


/* lt_test_remove_dir: the temporary prefix goes at exit, also after a bail out */
static void
lt_test_remove_dir(void)
{
    char  path[160];

    (void) unlink(lt_test_log_path);
    (void) unlink(lt_test_conf_path);
    (void) snprintf(path, sizeof(path), "%s/t.pid", lt_test_dir);
    (void) unlink(path);
    (void) rmdir(lt_test_dir);
}


static lt_cycle_t *
lt_test_init_cycle(void)
{
    char         conf[1024];
    lt_log_t    *log;
    lt_cycle_t  *cycle;
    static lt_cycle_t  init_cycle;
    static char        prefix[80];

    strcpy(lt_test_dir, "/tmp/lt-test-event-XXXXXX");
    if (mkdtemp(lt_test_dir) == NULL) {
        lt_test_bail("mkdtemp() failed: %s", strerror(errno));
    }

    atexit(lt_test_remove_dir);

    (void) snprintf(prefix, sizeof(prefix), "%s/", lt_test_dir);
    (void) snprintf(lt_test_log_path, sizeof(lt_test_log_path), "%s/error.log",
                    lt_test_dir);
    (void) snprintf(lt_test_conf_path, sizeof(lt_test_conf_path), "%s/lintel.conf",
                    lt_test_dir);

    (void) snprintf(conf, sizeof(conf),
                    "pid %s/t.pid;\n"
                    "error_log %s debug;\n"
                    "events {\n"
                    "    worker_connections %d;\n"
                    "    accept_mutex_delay 50ms;\n"
                    "}\n",
                    lt_test_dir, lt_test_log_path, LT_TEST_CONNECTIONS);

    lt_test_write_file(lt_test_conf_path, conf);

    lt_pid = getpid();
    lt_tid = lt_pid;

    lt_time_init();

    log = lt_log_init((u_char *) prefix, (u_char *) "stderr");
    if (log == NULL) {
        lt_test_bail("lt_log_init failed");
    }

    lt_preinit_modules();

    lt_memzero(&init_cycle, sizeof(lt_cycle_t));
    init_cycle.log = log;
    lt_cycle = &init_cycle;

    init_cycle.pool = lt_create_pool(1024, log);
    if (init_cycle.pool == NULL) {
        lt_test_bail("lt_create_pool failed");
    }

    init_cycle.prefix.data = (u_char *) prefix;
    init_cycle.prefix.len = strlen(prefix);
    init_cycle.conf_prefix = init_cycle.prefix;
    init_cycle.conf_file.data = (u_char *) lt_test_conf_path;
    init_cycle.conf_file.len = strlen(lt_test_conf_path);
    init_cycle.error_log.data = (u_char *) lt_test_log_path;
    init_cycle.error_log.len = strlen(lt_test_log_path);

    if (lt_os_init(log) != LT_OK) {
        lt_test_bail("lt_os_init failed");
    }

    if (lt_array_init(&init_cycle.listening, init_cycle.pool, 10, sizeof(lt_listening_t))
        != LT_OK)
    {
        lt_test_bail("lt_array_init failed");
    }

    cycle = lt_init_cycle(&init_cycle);
    if (cycle == NULL) {
        lt_test_bail("lt_init_cycle failed");
    }

    /* from here on, messages go to the error log only */
    lt_use_stderr = 0;
    lt_cycle = cycle;

    return cycle;
}


/* lt_test_add_listener: 127.0.0.1:0, as http/ would have created it */
static void
lt_test_add_listener(lt_cycle_t *cycle)
{
    int                 s, one;
    socklen_t           len;
    struct sockaddr_in  sin;
    lt_listening_t     *ls;
    u_char              text[LT_SOCKADDR_STRLEN];

    s = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (s == -1) {
        lt_test_bail("socket() failed: %s", strerror(errno));
    }

    one = 1;
    lt_memzero(&sin, sizeof(sin));
    sin.sin_family = AF_INET;
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    len = sizeof(sin);

    if (setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(int)) == -1
        || bind(s, (struct sockaddr *) &sin, sizeof(sin)) == -1
        || listen(s, 16) == -1
        || getsockname(s, (struct sockaddr *) &sin, &len) == -1)
    {
        lt_test_bail("the test listener: %s", strerror(errno));
    }

    ls = lt_array_push(&cycle->listening);
    if (ls == NULL) {
        lt_test_bail("lt_array_push failed");
    }

    lt_memzero(ls, sizeof(lt_listening_t));

    ls->fd = s;
    ls->sockaddr = lt_palloc(cycle->pool, len);
    if (ls->sockaddr == NULL) {
        lt_test_bail("lt_palloc failed");
    }
    memcpy(ls->sockaddr, &sin, len);
    ls->socklen = len;

    ls->addr_text.len = lt_sock_ntop(ls->sockaddr, ls->socklen, text, sizeof(text), 1);
    ls->addr_text.data = lt_pnalloc(cycle->pool, ls->addr_text.len + 1);
    if (ls->addr_text.data == NULL) {
        lt_test_bail("lt_pnalloc failed");
    }
    memcpy(ls->addr_text.data, text, ls->addr_text.len);
    ls->addr_text.data[ls->addr_text.len] = '\0';

    ls->type = SOCK_STREAM;
    ls->backlog = 16;
    ls->rcvbuf = -1;
    ls->sndbuf = -1;
    ls->fastopen = -1;
    ls->handler = lt_test_accept_handler;
    ls->pool_size = 256;
    ls->log = *cycle->log;
    ls->logp = cycle->log;
    ls->open = 1;
    ls->bound = 1;
    ls->listen = 1;
    ls->nonblocking = 1;
    ls->addr_ntop = 1;

    lt_test_ls = ls;
}


static void
lt_test_init_process(lt_cycle_t *cycle)
{
    size_t            i, closed;
    lt_connection_t  *lc;

    is_int(lt_event_core_module.init_process(cycle), LT_OK, "init_process: LT_OK");

    if (cycle->connections == NULL) {
        lt_test_bail("init_process made no connection table");
    }

    is_int(cycle->connection_n, LT_TEST_CONNECTIONS, "the table has worker_connections slots");

    lc = lt_test_ls->connection;
    ok(lc != NULL, "the listener has a connection slot");

    if (lc == NULL) {
        lt_test_bail("no listener connection");
    }

    is_int(cycle->free_connection_n, LT_TEST_CONNECTIONS - 1,
           "all slots but the listener's are free");
    ok(lc->fd == lt_test_ls->fd, "the listener's slot has its fd");
    ok(lc->listening == lt_test_ls, "the listener's slot points at the listening entry");
    ok(lc->log == &lt_test_ls->log, "the listener's slot logs with the entry's log");
    ok(lc->read.accept, "the listener's read event is an accept event");
    ok(lc->read.handler == lt_event_accept, "its handler is lt_event_accept");
    ok(lc->read.active && !lc->write.active, "registered with epoll for reading only");
    ok(lc->read.data == lc, "the read event's data is the connection");

    closed = 0;
    for (i = 0; i < cycle->connection_n; i++) {
        if (&cycle->connections[i] != lc && cycle->connections[i].fd == -1
            && cycle->connections[i].read.closed && cycle->connections[i].write.closed)
        {
            closed++;
        }
    }

    is_int(closed, LT_TEST_CONNECTIONS - 1, "the free slots start with fd -1, closed");

    ok(lt_event_find_timer() == LT_TIMER_INFINITE, "no timers after init_process");
    ok(lt_queue_empty(&lt_posted_events) && lt_queue_empty(&lt_posted_accept_events)
       && lt_queue_empty(&lt_posted_next_events), "the posted queues are empty");

    lt_test_guard.handler = lt_test_guard_handler;
    lt_test_guard.cancelable = 1;
}


/* the shared statistics (init_module) */

static void
lt_test_stats(lt_cycle_t *cycle)
{
    int                 status;
    pid_t               pid;
    off_t               mark;
    uint64_t            before, counter;
    lt_core_conf_t     *ccf;
    lt_shared_stats_t  *stats;
    int64_t             rlimit_nofile;

    ok(lt_stats != NULL, "init_module mapped the shared statistics");

    if (lt_stats == NULL) {
        lt_test_bail("no statistics");
    }

    is_int(lt_stats->connection_counter, 0, "the connection counter starts at 0");

    before = lt_stats->requests;

    pid = fork();
    if (pid == -1) {
        lt_test_bail("fork() failed: %s", strerror(errno));
    }

    if (pid == 0) {
        lt_stat_add(requests, 5);
        _exit(0);
    }

    if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        lt_test_bail("the child failed");
    }

    is_int(lt_stats->requests - before, 5, "what a child process counts, the parent sees");

    /* a reload runs init_module again: the same zone, the numbers go on */
    stats = lt_stats;
    counter = lt_stats->connection_counter = 41;

    ccf = (lt_core_conf_t *) lt_get_conf(cycle->conf_ctx, lt_core_module);
    rlimit_nofile = ccf->rlimit_nofile;
    ccf->rlimit_nofile = 8;

    mark = lt_test_log_mark();

    is_int(lt_event_core_module.init_module(cycle), LT_OK, "init_module again: LT_OK");
    ok(lt_stats == stats, "init_module again: the same zone");
    is_int(lt_stats->connection_counter, counter, "init_module again: the counter is kept");
    ok(lt_test_logged(mark, "[warn]")
       && lt_test_logged(mark, "16 worker_connections exceed open file resource limit: 8"),
       "worker_connections above worker_rlimit_nofile: warned");

    ccf->rlimit_nofile = rlimit_nofile;
    lt_stats->connection_counter = 0;
}


/* timers */

static lt_event_t  lt_test_tev[8];
static int         lt_test_fired[16];
static int         lt_test_nfired;


static void
lt_test_timer_handler(lt_event_t *ev)
{
    if (lt_test_nfired < (int) lt_nelts(lt_test_fired)) {
        lt_test_fired[lt_test_nfired] = (int) (ev - lt_test_tev);
    }

    lt_test_nfired++;
}


/* tev[3]: arms tev[4] for now and cancels tev[5], while timers expire */
static void
lt_test_timer_chain_handler(lt_event_t *ev)
{
    lt_test_timer_handler(ev);

    lt_event_add_timer(&lt_test_tev[4], 0);

    if (lt_test_tev[5].timer_set) {
        lt_event_del_timer(&lt_test_tev[5]);
    }
}


static size_t
lt_test_timer_count(void)
{
    size_t             n;
    lt_rbtree_node_t  *node;

    if (lt_rbtree_empty(&lt_event_timer_rbtree)) {
        return 0;
    }

    n = 0;

    for (node = lt_rbtree_min(lt_event_timer_rbtree.root, lt_event_timer_rbtree.sentinel);
         node;
         node = lt_rbtree_next(&lt_event_timer_rbtree, node))
    {
        n++;
    }

    return n;
}


static void
lt_test_timers_reset(void)
{
    size_t  i;

    for (i = 0; i < lt_nelts(lt_test_tev); i++) {
        if (lt_test_tev[i].timer_set) {
            lt_event_del_timer(&lt_test_tev[i]);
        }

        lt_memzero(&lt_test_tev[i], sizeof(lt_event_t));
        lt_test_tev[i].handler = lt_test_timer_handler;
    }

    lt_test_nfired = 0;
}


static void
lt_test_timers(void)
{
    uint64_t  t0, timer;
    int       in_time;

    lt_test_timers_reset();

    lt_time_update();
    t0 = lt_current_msec;

    lt_event_add_timer(&lt_test_tev[0], 300);
    lt_event_add_timer(&lt_test_tev[1], 100);
    lt_event_add_timer(&lt_test_tev[2], 200);

    ok(lt_test_tev[0].timer_set && lt_test_tev[1].timer_set && lt_test_tev[2].timer_set,
       "add_timer sets timer_set");
    is_int(lt_test_timer_count(), 3, "three timers in the tree");
    is_int(lt_test_tev[1].timer.key, t0 + 100, "the key is the deadline in lt_current_msec");
    is_int(lt_event_find_timer(), 100, "find_timer: the nearest is 100 ms away");

    lt_event_expire_timers();
    is_int(lt_test_nfired, 0, "expire_timers before any deadline: nothing fires");

    lt_test_sleep_until(t0 + 100);
    in_time = (int64_t) (lt_current_msec - (t0 + 200)) < 0;

    lt_event_expire_timers();

    if (in_time) {
        is_int(lt_test_nfired, 1, "at +100 ms: one timer fired");
        timer = lt_event_find_timer();
        ok(timer > 0 && timer <= 100, "find_timer: the next is at most 100 ms away (%llu)",
           (unsigned long long) timer);
    } else {
        diag("the machine slept past +200 ms: the single-timer checks are loose");
        ok(lt_test_nfired >= 1, "at +100 ms: one timer fired");
        ok(1, "find_timer: the next is at most 100 ms away (skipped)");
    }

    is_int(lt_test_fired[0], 1, "the 100 ms timer fired first");
    ok(lt_test_tev[1].timedout && !lt_test_tev[1].timer_set,
       "the fired event: timedout set, timer_set cleared");
    ok(!lt_test_tev[0].timedout && lt_test_tev[0].timer_set,
       "the 300 ms event: not timed out, still set");

    lt_test_sleep_until(t0 + 300);
    lt_event_expire_timers();

    is_int(lt_test_nfired, 3, "at +300 ms: all three fired");
    ok(lt_test_fired[1] == 2 && lt_test_fired[2] == 0, "in deadline order: 100, 200, 300");
    ok(lt_test_tev[0].timedout && lt_test_tev[2].timedout
       && !lt_test_tev[0].timer_set && !lt_test_tev[2].timer_set,
       "all timed out, none set");
    ok(lt_event_find_timer() == LT_TIMER_INFINITE, "find_timer on an empty tree: infinite");
    is_int(lt_test_timer_count(), 0, "the tree is empty");

    /* an overdue timer: find_timer says 0, not a wrapped-around huge value */
    lt_test_timers_reset();
    lt_time_update();
    t0 = lt_current_msec;
    lt_event_add_timer(&lt_test_tev[6], 1);
    lt_test_sleep_until(t0 + 3);
    is_int(lt_event_find_timer(), 0, "find_timer for an overdue timer: 0");
    lt_event_expire_timers();
    is_int(lt_test_nfired, 1, "the overdue timer fires");

    /* handlers may add and delete timers while timers expire */
    lt_test_timers_reset();
    lt_test_tev[3].handler = lt_test_timer_chain_handler;
    lt_time_update();
    t0 = lt_current_msec;
    lt_event_add_timer(&lt_test_tev[3], 1);
    lt_event_add_timer(&lt_test_tev[5], 2);
    lt_test_sleep_until(t0 + 2);
    lt_event_expire_timers();

    is_int(lt_test_nfired, 2, "a handler's zero timer fires in the same pass, a deleted one not");
    ok(lt_test_fired[0] == 3 && lt_test_fired[1] == 4,
       "fired: the handler's, then the one it added");
    ok(!lt_test_tev[5].timedout && !lt_test_tev[5].timer_set,
       "the deleted timer: not timed out, not set");
    is_int(lt_test_timer_count(), 0, "the tree is empty again");

    /* re-arming: a small move leaves the timer alone, a larger one moves it */
    lt_test_timers_reset();
    lt_time_update();
    t0 = lt_current_msec;

    lt_event_add_timer(&lt_test_tev[6], 1000);
    is_int(lt_test_tev[6].timer.key, t0 + 1000, "armed at +1000");

    lt_event_add_timer(&lt_test_tev[6], 1000 + LT_TIMER_LAZY_DELAY - 1);
    is_int(lt_test_tev[6].timer.key, t0 + 1000, "re-armed later by less than the lazy delay: kept");

    lt_event_add_timer(&lt_test_tev[6], 1000 - (LT_TIMER_LAZY_DELAY - 1));
    is_int(lt_test_tev[6].timer.key, t0 + 1000,
           "re-armed earlier by less than the lazy delay: kept");

    lt_event_add_timer(&lt_test_tev[6], 1000 + LT_TIMER_LAZY_DELAY);
    is_int(lt_test_tev[6].timer.key, t0 + 1000 + LT_TIMER_LAZY_DELAY,
           "re-armed later by the lazy delay: moved");

    lt_event_add_timer(&lt_test_tev[6], 200);
    is_int(lt_test_tev[6].timer.key, t0 + 200, "re-armed much earlier: moved");
    is_int(lt_test_timer_count(), 1, "a re-armed timer is in the tree once");

    lt_event_add_timer(&lt_test_tev[7], 500);
    is_int(lt_event_find_timer(), 200, "the moved timer is the nearest");

    lt_event_del_timer(&lt_test_tev[6]);
    lt_event_del_timer(&lt_test_tev[7]);
    ok(!lt_test_tev[6].timer_set && !lt_test_tev[7].timer_set, "del_timer clears timer_set");
    ok(lt_event_find_timer() == LT_TIMER_INFINITE, "deleted: the tree is empty");

    /* what keeps an exiting worker alive */
    lt_test_timers_reset();

    is_int(lt_event_no_timers_left(), LT_OK, "no_timers_left without timers: LT_OK");

    lt_test_tev[0].cancelable = 1;
    lt_test_tev[1].cancelable = 1;
    lt_test_tev[2].cancelable = 1;
    lt_event_add_timer(&lt_test_tev[0], 100);
    lt_event_add_timer(&lt_test_tev[1], 200);
    lt_event_add_timer(&lt_test_tev[2], 300);
    is_int(lt_event_no_timers_left(), LT_OK, "only cancelable timers: LT_OK");

    lt_event_add_timer(&lt_test_tev[3], 400);
    is_int(lt_event_no_timers_left(), LT_AGAIN,
           "a non-cancelable timer after three cancelable ones: LT_AGAIN");

    lt_event_del_timer(&lt_test_tev[3]);
    is_int(lt_event_no_timers_left(), LT_OK, "it is deleted: LT_OK");

    lt_event_add_timer(&lt_test_tev[3], 50);
    is_int(lt_event_no_timers_left(), LT_AGAIN, "a non-cancelable timer first: LT_AGAIN");

    lt_test_timers_reset();
}


/* posted events */

static lt_event_t  lt_test_pev[5];
static int         lt_test_ran[16];
static int         lt_test_nran;
static unsigned    lt_test_ran_ready;


static void
lt_test_posted_handler(lt_event_t *ev)
{
    if (lt_test_nran < (int) lt_nelts(lt_test_ran)) {
        lt_test_ran[lt_test_nran] = (int) (ev - lt_test_pev);
    }

    lt_test_nran++;
    lt_test_ran_ready = ev->ready;
}


/* pev[0]: posts pev[4] while the queue runs */
static void
lt_test_posting_handler(lt_event_t *ev)
{
    lt_test_posted_handler(ev);
    lt_post_event(&lt_test_pev[4], &lt_posted_events);
}


/* pev[3]: posts itself again the first time it runs */
static void
lt_test_reposting_handler(lt_event_t *ev)
{
    int  before;

    before = lt_test_nran;
    lt_test_posted_handler(ev);

    if (before == 2) {
        lt_post_event(ev, &lt_posted_events);
    }
}


static size_t
lt_test_queue_length(lt_queue_t *h)
{
    size_t       n;
    lt_queue_t  *q;

    n = 0;

    for (q = lt_queue_head(h); q != lt_queue_sentinel(h); q = lt_queue_next(q)) {
        n++;
    }

    return n;
}


static void
lt_test_posted(void)
{
    size_t    i;
    uint64_t  t0;

    lt_memzero(lt_test_pev, sizeof(lt_test_pev));

    for (i = 0; i < lt_nelts(lt_test_pev); i++) {
        lt_test_pev[i].handler = lt_test_posted_handler;
    }

    lt_test_pev[0].handler = lt_test_posting_handler;
    lt_test_pev[3].handler = lt_test_reposting_handler;
    lt_test_nran = 0;

    lt_post_event(&lt_test_pev[0], &lt_posted_events);
    lt_post_event(&lt_test_pev[0], &lt_posted_events);
    ok(lt_test_pev[0].posted, "post_event sets posted");
    is_int(lt_test_queue_length(&lt_posted_events), 1, "posting twice queues once");

    lt_post_event(&lt_test_pev[1], &lt_posted_events);
    lt_post_event(&lt_test_pev[2], &lt_posted_events);
    lt_post_event(&lt_test_pev[3], &lt_posted_events);
    lt_delete_posted_event(&lt_test_pev[2]);
    ok(!lt_test_pev[2].posted, "delete_posted_event clears posted");
    is_int(lt_test_queue_length(&lt_posted_events), 3, "and takes it off the queue");

    lt_event_process_posted(lt_test_cycle, &lt_posted_events);

    is_int(lt_test_nran, 5, "process_posted ran 5 handlers (two posted while running)");
    ok(lt_test_ran[0] == 0 && lt_test_ran[1] == 1 && lt_test_ran[2] == 3
       && lt_test_ran[3] == 4 && lt_test_ran[4] == 3,
       "in posting order: 0, 1, 3, then 4 posted by 0, then 3 posted by itself");
    ok(lt_queue_empty(&lt_posted_events), "the queue is empty afterwards");
    ok(!lt_test_pev[0].posted && !lt_test_pev[1].posted && !lt_test_pev[3].posted
       && !lt_test_pev[4].posted, "no event is left marked posted");

    /* posted for the next iteration: made ready again, run without waiting */
    lt_test_nran = 0;
    lt_test_ran_ready = 0;
    lt_test_pev[1].ready = 0;
    lt_post_event(&lt_test_pev[1], &lt_posted_next_events);

    lt_time_update();
    t0 = lt_current_msec;
    lt_test_run(5000);

    is_int(lt_test_nran, 1, "an event posted for the next iteration runs in it");
    ok(lt_test_ran_ready, "it runs with ready set");
    ok(lt_current_msec - t0 < 2000, "the iteration did not sleep until the timer (%llu ms)",
       (unsigned long long) (lt_current_msec - t0));
    ok(lt_queue_empty(&lt_posted_next_events) && lt_queue_empty(&lt_posted_events),
       "both queues are empty afterwards");
}


/* epoll and plain socket I/O over a socketpair */

static void
lt_test_socketpair_io(void)
{
    int               sv[2];
    ssize_t           n;
    u_char            buf[64];
    lt_connection_t  *c;
    lt_test_conn_t    t;

    lt_test_socketpair(sv);
    c = lt_test_conn(sv[0], &t);

    ok(c->read.active && c->write.active, "add_connection: both events active");
    ok(c->io == &lt_os_io, "a new connection uses the plain socket I/O");
    ok(c->read.data == c && c->write.data == c && c->write.write && !c->read.write,
       "the events point at the connection; the write event says so");

    lt_test_run_until(&t.wcalls, 1000);
    is_int(t.wcalls, 1, "a new socket is writable: the write handler runs");
    ok(t.wready && t.wev == &c->write, "with the write event, ready");
    is_int(t.rcalls, 0, "nothing to read: the read handler does not run");

    /* data */
    if (write(sv[1], "hello", 5) != 5) {
        lt_test_bail("write() failed");
    }

    lt_test_run_until(&t.rcalls, 1000);
    is_int(t.rcalls, 1, "data from the peer: the read handler runs");
    ok(t.rready && t.rev == &c->read, "with the read event, ready");

    n = lt_unix_recv(c, buf, sizeof(buf));
    is_int(n, 5, "recv: 5 bytes");
    ok(n == 5 && memcmp(buf, "hello", 5) == 0, "recv: \"hello\"");
    ok(!c->read.ready, "fewer bytes than asked: ready cleared (the socket is drained)");

    n = lt_unix_recv(c, buf, sizeof(buf));
    is_int(n, LT_AGAIN, "recv on an empty socket: LT_AGAIN");
    ok(!c->read.ready && !c->read.eof && !c->read.error, "LT_AGAIN: not ready, no eof, no error");

    /* edge-triggered: no new data, no new call */
    t.rcalls = 0;
    lt_test_run(30);
    is_int(t.rcalls, 0, "no new data: the read handler is not called again");

    /* exactly what was asked: maybe more is there */
    if (write(sv[1], "12345678", 8) != 8) {
        lt_test_bail("write() failed");
    }

    lt_test_run_until(&t.rcalls, 1000);
    n = lt_unix_recv(c, buf, 8);
    is_int(n, 8, "recv of exactly the size asked: 8");
    ok(c->read.ready, "a full read keeps ready");
    n = lt_unix_recv(c, buf, 8);
    is_int(n, LT_AGAIN, "the next recv: LT_AGAIN");
    ok(!c->read.ready, "and clears ready");

    /* plain send */
    n = lt_unix_send(c, (u_char *) "ping", 4);
    is_int(n, 4, "send: 4 bytes");
    is_int(c->sent, 4, "c->sent counts them");
    ok(c->write.ready, "a complete send keeps ready");
    ok(recv(sv[1], buf, sizeof(buf), 0) == 4 && memcmp(buf, "ping", 4) == 0,
       "the peer got \"ping\"");

    /* data, then the peer closes: the data first, then the end */
    if (write(sv[1], "bye", 3) != 3) {
        lt_test_bail("write() failed");
    }

    close(sv[1]);

    t.rcalls = 0;
    lt_test_run_until(&t.rcalls, 1000);
    ok(t.rcalls >= 1 && t.rready, "data and the peer's close: the read handler runs, ready");
    ok(t.pending_eof, "the close is seen as pending_eof (RDHUP)");

    n = lt_unix_recv(c, buf, sizeof(buf));
    ok(n == 3 && memcmp(buf, "bye", 3) == 0, "recv: \"bye\"");
    ok(c->read.ready, "a short read with pending_eof keeps ready: the end is still to read");

    n = lt_unix_recv(c, buf, sizeof(buf));
    is_int(n, 0, "recv after the peer closed: 0");
    ok(c->read.eof && !c->read.ready && !c->read.error, "eof set, ready cleared, no error");

    lt_close_connection(c);
}


/* lt_test_chain: a chain of in-memory buffers holding the strings */
static lt_chain_t *
lt_test_chain(const char *const *strings, size_t n, unsigned special_last)
{
    size_t        i, len;
    lt_buf_t     *b;
    lt_chain_t   *cl, *out, **ll;

    out = NULL;
    ll = &out;

    for (i = 0; i < n + (special_last ? 1 : 0); i++) {
        cl = lt_alloc_chain_link(lt_test_pool);

        if (i < n) {
            len = strlen(strings[i]);
            b = lt_create_temp_buf(lt_test_pool, len ? len : 1);
            if (b && len) {
                memcpy(b->last, strings[i], len);
                b->last += len;
            }

        } else {
            /* a flush, as the filters end a chain: no data */
            b = lt_calloc_buf(lt_test_pool);
            if (b) {
                b->flush = 1;
            }
        }

        if (cl == NULL || b == NULL) {
            lt_test_bail("chain allocation failed");
        }

        cl->buf = b;
        cl->next = NULL;
        *ll = cl;
        ll = &cl->next;
    }

    return out;
}


/* lt_test_read_all: reads what is there on fd (non-blocking) into buf */
static size_t
lt_test_read_all(int fd, u_char *buf, size_t size)
{
    ssize_t        n;
    size_t         got;
    struct pollfd  pfd;

    got = 0;
    pfd.fd = fd;
    pfd.events = POLLIN;

    while (got < size) {
        n = recv(fd, buf + got, size - got, 0);

        if (n > 0) {
            got += (size_t) n;
            continue;
        }

        if (n == -1 && errno == EAGAIN && poll(&pfd, 1, 200) == 1) {
            continue;
        }

        break;
    }

    return got;
}


#define LT_TEST_BIG_N     8
#define LT_TEST_BIG_SIZE  (128 * 1024)


static void
lt_test_writev(void)
{
    int               fds[2], sndbuf, bad;
    off_t             sent0;
    size_t            i, got, total, received;
    ssize_t           n;
    uint64_t          deadline;
    u_char            buf[64], *rbuf, *p;
    lt_buf_t         *b;
    lt_chain_t       *in, *rest, *cl, **ll;
    lt_connection_t  *c;
    lt_test_conn_t    t;
    static const char *const  three[] = { "abc", "defg", "hij" };
    static const char *const  two[] = { "0123456789", "ABCDEFGHIJ" };

    lt_test_tcp_pair(fds, 4096);
    c = lt_test_conn(fds[0], &t);
    lt_test_run_until(&t.wcalls, 1000);
    ok(t.wcalls == 1 && c->write.ready, "TCP: the accepted side is writable");

    /* a chain of three buffers and a flush */
    in = lt_test_chain(three, 3, 1);
    rest = lt_writev_chain(c, in, 0);

    ok(rest == NULL, "writev_chain: all sent, NULL");
    is_int(c->sent, 10, "c->sent: 10");
    ok(c->write.ready, "all sent: still ready");
    ok(in->buf->pos == in->buf->last && in->next->next->buf->pos == in->next->next->buf->last,
       "the buffers are consumed");

    got = lt_test_read_all(fds[1], buf, 10);
    is_str(buf, got, "abcdefghij", "the peer got the three buffers in order");

    /* a limit stops in the middle of a buffer */
    in = lt_test_chain(two, 2, 0);
    rest = lt_writev_chain(c, in, 15);

    ok(rest == in->next, "limit 15: the second link is returned");
    ok(rest == in->next && rest->buf->pos == rest->buf->start + 5,
       "its first 5 bytes are consumed");
    is_int(c->sent, 25, "c->sent: 25");

    c->write.ready = 0;
    cl = lt_writev_chain(c, rest, 0);
    ok(cl == rest && c->sent == 25, "not ready: the chain comes back untouched, nothing sent");
    c->write.ready = 1;

    cl = lt_writev_chain(c, rest, 0);
    ok(cl == NULL && c->sent == 30, "the rest: NULL, c->sent 30");

    got = lt_test_read_all(fds[1], buf, 20);
    is_str(buf, got, "0123456789ABCDEFGHIJ", "the peer got 20 bytes in order");

    /* a full socket buffer: the rest comes back, not ready */
    sndbuf = 4096;
    if (setsockopt(fds[0], SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(int)) == -1) {
        lt_test_bail("setsockopt(SO_SNDBUF) failed: %s", strerror(errno));
    }

    total = LT_TEST_BIG_N * LT_TEST_BIG_SIZE;
    in = NULL;
    ll = &in;

    for (i = 0; i < LT_TEST_BIG_N; i++) {
        b = lt_create_temp_buf(lt_test_pool, LT_TEST_BIG_SIZE);
        cl = lt_alloc_chain_link(lt_test_pool);
        if (b == NULL || cl == NULL) {
            lt_test_bail("allocation failed");
        }

        for (p = b->pos; p < b->end; p++) {
            *p = (u_char) ((i * LT_TEST_BIG_SIZE + (size_t) (p - b->pos)) % 251);
        }

        b->last = b->end;
        cl->buf = b;
        cl->next = NULL;
        *ll = cl;
        ll = &cl->next;
    }

    sent0 = c->sent;
    rest = lt_writev_chain(c, in, 0);

    ok(rest != NULL && rest != LT_CHAIN_ERROR, "a full socket buffer: the rest is returned");
    ok(!c->write.ready, "and ready is cleared");
    ok(c->sent > sent0 && (size_t) (c->sent - sent0) < total, "part was sent (%lld of %zu)",
       (long long) (c->sent - sent0), total);

    if (rest == NULL || rest == LT_CHAIN_ERROR) {
        rest = NULL;
    } else {
        is_int(lt_chain_size(rest) + (c->sent - sent0), total,
               "what is left plus what was sent is the whole");
    }

    rbuf = malloc(total);
    if (rbuf == NULL) {
        lt_test_bail("malloc failed");
    }

    received = 0;
    t.wcalls = 0;
    t.wready = 0;
    bad = 0;

    lt_time_update();
    deadline = lt_current_msec + 10000;

    while ((rest != NULL || received < (size_t) (c->sent - sent0))
           && (int64_t) (deadline - lt_current_msec) > 0)
    {
        n = recv(fds[1], rbuf + received, total - received, 0);

        if (n > 0) {
            received += (size_t) n;
            continue;
        }

        if (rest && c->write.ready) {
            rest = lt_writev_chain(c, rest, 0);
            if (rest == LT_CHAIN_ERROR) {
                bad = 1;
                break;
            }
            continue;
        }

        lt_test_run(50);
    }

    ok(!bad && rest == NULL, "the peer reads, EPOLLOUT comes, the rest is written");
    ok(t.wcalls >= 1 && t.wready, "the write handler ran with ready after the buffer drained");
    is_int(received, total, "the peer got every byte");
    is_int(c->sent - sent0, total, "c->sent counts every byte");

    for (i = 0; i < received; i++) {
        if (rbuf[i] != (u_char) (i % 251)) {
            break;
        }
    }

    ok(i == received, "in order (first difference at %zu)", i);

    free(rbuf);

    lt_close_connection(c);
    close(fds[1]);
}


/* a reset by the peer: errors reported, no signal */
static void
lt_test_reset(void)
{
    int               fds[2];
    off_t             mark;
    ssize_t           n;
    u_char            buf[16];
    lt_chain_t       *cl;
    struct linger     linger;
    lt_connection_t  *c;
    lt_test_conn_t    t;
    static const char *const  one[] = { "x" };

    lt_test_tcp_pair(fds, 0);
    c = lt_test_conn(fds[0], &t);
    lt_test_run_until(&t.wcalls, 1000);

    linger.l_onoff = 1;
    linger.l_linger = 0;
    if (setsockopt(fds[1], SOL_SOCKET, SO_LINGER, &linger, sizeof(linger)) == -1) {
        lt_test_bail("setsockopt(SO_LINGER) failed: %s", strerror(errno));
    }

    close(fds[1]);

    t.rcalls = 0;
    t.wcalls = 0;
    lt_test_run_until(&t.rcalls, 1000);

    ok(t.rcalls == 1 && t.rready, "a reset: the read handler runs, ready");
    ok(t.wcalls == 1 && t.wready, "and the write handler too (EPOLLERR/EPOLLHUP)");

    mark = lt_test_log_mark();

    n = lt_unix_recv(c, buf, sizeof(buf));
    is_int(n, LT_ERROR, "recv after a reset: LT_ERROR");
    ok(c->read.error && !c->read.ready, "read.error set, ready cleared");
    ok(lt_test_logged(mark, "recv() failed (104: "), "recv() failed (104: ...) logged");

    n = lt_unix_send(c, (u_char *) "x", 1);
    is_int(n, LT_ERROR, "send after a reset: LT_ERROR (and no SIGPIPE)");
    ok(c->write.error, "write.error set");

    c->write.error = 0;
    c->write.ready = 1;
    cl = lt_writev_chain(c, lt_test_chain(one, 1, 0), 0);
    ok(cl == LT_CHAIN_ERROR, "writev_chain after a reset: LT_CHAIN_ERROR");
    ok(c->write.error, "write.error set");

    lt_close_connection(c);
}


/* stale events: the instance bit */

static lt_connection_t  *lt_test_sa, *lt_test_sb, *lt_test_sc;
static lt_connection_t  *lt_test_stale_first, *lt_test_stale_closed;
static lt_test_conn_t    lt_test_tsc;
static int               lt_test_stale_fd;


/* the read handler of A and B: the first to run closes the other and puts a new
 * connection (C) into the slot just freed, within the same epoll batch */
static void
lt_test_stale_handler(lt_event_t *ev)
{
    lt_connection_t  *c = ev->data, *other;

    lt_test_read_handler(ev);

    if (lt_test_stale_first) {
        return;
    }

    lt_test_stale_first = c;
    other = (c == lt_test_sa) ? lt_test_sb : lt_test_sa;
    lt_test_stale_closed = other;

    lt_close_connection(other);

    lt_test_sc = lt_test_conn(lt_test_stale_fd, &lt_test_tsc);
}


/* the read handler of D: closes D itself and puts E into the same slot */
static void
lt_test_self_handler(lt_event_t *ev)
{
    lt_connection_t  *c = ev->data;

    lt_test_read_handler(ev);

    if (lt_test_sc) {
        return;
    }

    lt_close_connection(c);

    lt_test_sc = lt_test_conn(lt_test_stale_fd, &lt_test_tsc);
}


static void
lt_test_stale(void)
{
    int              p1[2], p2[2], p3[2];
    u_char           buf[8];
    ssize_t          n;
    lt_test_conn_t   ta, tb;

    lt_test_socketpair(p1);
    lt_test_socketpair(p2);
    lt_test_socketpair(p3);

    lt_test_sa = lt_test_conn(p1[0], &ta);
    lt_test_sb = lt_test_conn(p2[0], &tb);
    lt_test_sa->read.handler = lt_test_stale_handler;
    lt_test_sb->read.handler = lt_test_stale_handler;

    /* the first write readiness of both */
    lt_test_run_until(&ta.wcalls, 1000);
    lt_test_run_until(&tb.wcalls, 1000);

    lt_test_stale_first = NULL;
    lt_test_sc = NULL;
    lt_test_stale_fd = p3[0];

    /* A and B both readable before the wait: one batch */
    if (write(p1[1], "a", 1) != 1 || write(p2[1], "b", 1) != 1 || write(p3[1], "c", 1) != 1) {
        lt_test_bail("write() failed");
    }

    lt_test_run(1000);

    ok(lt_test_stale_first != NULL, "one of A and B ran");
    ok(lt_test_sc != NULL && lt_test_sc == lt_test_stale_closed,
       "the new connection took the slot just freed (the free list is LIFO)");
    is_int(ta.rcalls + tb.rcalls, 1, "the closed one's own handler did not run");
    is_int(lt_test_tsc.rcalls, 0,
           "the closed connection's pending event is not delivered to the new one (read)");
    is_int(lt_test_tsc.wcalls, 0,
           "the closed connection's pending event is not delivered to the new one (write)");

    /* the next batch: the new connection's own event */
    lt_test_run_until(&lt_test_tsc.rcalls, 1000);
    ok(lt_test_tsc.rcalls == 1 && lt_test_tsc.rready,
       "the new connection's own data: its read handler runs in the next batch");

    n = lt_test_sc ? lt_unix_recv(lt_test_sc, buf, sizeof(buf)) : -1;
    ok(n == 1 && buf[0] == 'c', "and reads its own data");

    if (lt_test_sc) {
        lt_close_connection(lt_test_sc);
    }

    lt_close_connection(lt_test_stale_first);
    close(p1[1]);
    close(p2[1]);
    close(p3[1]);

    /* a handler closes its own connection and reuses the slot: the write half of
     * the same epoll event is not delivered to the new connection */
    lt_test_socketpair(p1);
    lt_test_socketpair(p3);

    lt_test_sa = lt_test_conn(p1[0], &ta);
    lt_test_sa->read.handler = lt_test_self_handler;
    lt_test_run_until(&ta.wcalls, 1000);

    lt_test_sc = NULL;
    lt_test_stale_closed = lt_test_sa;
    lt_test_stale_fd = p3[0];
    ta.wcalls = 0;

    if (write(p1[1], "a", 1) != 1) {
        lt_test_bail("write() failed");
    }

    lt_test_run(1000);

    ok(ta.rcalls == 1 && lt_test_sc == lt_test_stale_closed,
       "the handler closed its connection and reused its slot");
    is_int(ta.wcalls + lt_test_tsc.wcalls, 0,
           "the write half of the old event is not delivered to the new connection");

    lt_test_run_until(&lt_test_tsc.wcalls, 1000);
    is_int(lt_test_tsc.wcalls, 1, "the new connection's own write event comes next batch");

    if (lt_test_sc) {
        lt_close_connection(lt_test_sc);
    }

    close(p1[1]);
    close(p3[1]);
}


/* epoll_del_connection: no more events */
static void
lt_test_epoll_del(void)
{
    int               sv[2];
    lt_connection_t  *c;
    lt_test_conn_t    t;

    lt_test_socketpair(sv);
    c = lt_test_conn(sv[0], &t);
    lt_test_run_until(&t.wcalls, 1000);

    is_int(lt_epoll_del_connection(c, 0), LT_OK, "epoll_del_connection: LT_OK");
    ok(!c->read.active && !c->write.active, "both events inactive");

    if (write(sv[1], "x", 1) != 1) {
        lt_test_bail("write() failed");
    }

    t.rcalls = 0;
    t.wcalls = 0;
    lt_test_run(30);
    ok(t.rcalls == 0 && t.wcalls == 0, "data after del: no handler runs");

    lt_close_connection(c);
    close(sv[1]);
}


/* close_connection */

static void
lt_test_close(void)
{
    int               sv[2], fd, rc;
    off_t             mark;
    size_t            free_n;
    lt_connection_t  *c;
    lt_test_conn_t    t;

    lt_test_socketpair(sv);
    c = lt_test_conn(sv[0], &t);
    lt_test_run_until(&t.wcalls, 1000);

    lt_event_add_timer(&c->read, 1);
    lt_event_add_timer(&c->write, 2000);
    lt_post_event(&c->read, &lt_posted_events);
    lt_post_event(&c->write, &lt_posted_events);
    lt_reusable_connection(c, 1);

    is_int(lt_test_cycle->reusable_connections_n, 1, "reusable: counted");

    free_n = lt_test_cycle->free_connection_n;
    fd = c->fd;

    lt_close_connection(c);

    ok(!c->read.timer_set && !c->write.timer_set, "close_connection deletes both timers");
    ok(lt_event_find_timer() == LT_TIMER_INFINITE, "no timer is left in the tree");
    ok(!c->read.posted && !c->write.posted, "close_connection deletes both posted events");
    ok(lt_queue_empty(&lt_posted_events), "the posted queue is empty");
    ok(!c->reusable && lt_test_cycle->reusable_connections_n == 0
       && lt_queue_empty(&lt_test_cycle->reusable_connections_queue),
       "it is no longer reusable");
    ok(c->fd == -1 && c->read.closed && c->write.closed && !c->read.active && !c->write.active,
       "fd -1, closed, inactive");

    errno = 0;
    rc = fcntl(fd, F_GETFD);
    ok(rc == -1 && errno == EBADF, "the fd is closed");

    is_int(lt_test_cycle->free_connection_n, free_n + 1, "the slot is free");
    ok(lt_test_cycle->free_connections == c, "at the head of the free list");
    ok(lt_test_peer_closed(sv[1]), "the peer sees the end");

    usleep(3000);
    t.rcalls = 0;
    t.wcalls = 0;
    lt_test_run(30);
    ok(t.rcalls == 0 && t.wcalls == 0, "no timer or posted event of the closed connection runs");

    mark = lt_test_log_mark();
    lt_close_connection(c);
    ok(lt_test_logged(mark, "connection already closed"), "closing twice: \"already closed\"");
    is_int(lt_test_cycle->free_connection_n, free_n + 1, "closing twice: not freed twice");

    close(sv[1]);
}


/* accept */

typedef struct {
    int                      fd;
    int                      nonblocking;
    int                      cloexec;
    struct sockaddr_storage  sa;
    socklen_t                socklen;
    char                     addr_text[64];
    size_t                   addr_text_len;
    uint64_t                 number;
    uint64_t                 log_connection;
    unsigned                 write_ready;
    unsigned                 read_active;
    unsigned                 write_active;
    int                      has_pool;
    int                      own_log;
    lt_listening_t          *listening;
    struct sockaddr         *local_sockaddr;
} lt_test_accepted_t;

static lt_test_accepted_t  lt_test_acc[4];
static int                 lt_test_nacc;


static void
lt_test_accept_handler(lt_connection_t *c)
{
    int                  flags;
    lt_pool_t           *pool;
    lt_test_accepted_t  *a;

    if (lt_test_nacc < (int) lt_nelts(lt_test_acc)) {
        a = &lt_test_acc[lt_test_nacc];
        lt_memzero(a, sizeof(lt_test_accepted_t));

        a->fd = c->fd;
        flags = fcntl(c->fd, F_GETFL);
        a->nonblocking = flags != -1 && (flags & O_NONBLOCK);
        flags = fcntl(c->fd, F_GETFD);
        a->cloexec = flags != -1 && (flags & FD_CLOEXEC);

        if (c->sockaddr && c->socklen <= sizeof(a->sa)) {
            memcpy(&a->sa, c->sockaddr, c->socklen);
            a->socklen = c->socklen;
        }

        a->addr_text_len = lt_min(c->addr_text.len, sizeof(a->addr_text));
        if (a->addr_text_len) {
            memcpy(a->addr_text, c->addr_text.data, a->addr_text_len);
        }

        a->number = c->number;
        a->log_connection = c->log ? c->log->connection : 0;
        a->write_ready = c->write.ready;
        a->read_active = c->read.active;
        a->write_active = c->write.active;
        a->has_pool = c->pool != NULL;
        a->own_log = c->log != NULL && c->log != &lt_test_ls->log && c->log != lt_test_cycle->log;
        a->listening = c->listening;
        a->local_sockaddr = c->local_sockaddr;
    }

    lt_test_nacc++;

    pool = c->pool;
    lt_close_connection(c);
    lt_destroy_pool(pool);
}


/* lt_test_multi_accept: sets the events block's multi_accept */
static void
lt_test_multi_accept(int on)
{
    lt_event_conf_t  *ecf;

    ecf = lt_event_get_conf(lt_test_cycle->conf_ctx, lt_event_core_module);
    ecf->multi_accept = on;
}


static void
lt_test_accept(void)
{
    int                  cli, cli2, n0, i, clis[3];
    uint64_t             accepted, handled;
    struct sockaddr_in   local;
    lt_test_accepted_t  *a;

    accepted = lt_stats->accepted;
    handled = lt_stats->handled;
    lt_test_nacc = 0;

    cli = lt_test_connect(&local);

    lt_test_run_until(&lt_test_nacc, 2000);

    is_int(lt_test_nacc, 1, "a client connects: the listener's handler gets a connection");

    if (lt_test_nacc != 1) {
        lt_test_bail("no connection accepted");
    }

    a = &lt_test_acc[0];

    ok(a->nonblocking, "the accepted socket is non-blocking");
    ok(a->cloexec, "and close-on-exec");
    ok(a->socklen == sizeof(struct sockaddr_in)
       && lt_cmp_sockaddr((struct sockaddr *) &a->sa, a->socklen,
                          (struct sockaddr *) &local, sizeof(local), 1) == LT_OK,
       "c->sockaddr is the client's address and port");
    is_str(a->addr_text, a->addr_text_len, "127.0.0.1", "c->addr_text is the address, no port");
    ok(a->number > 0, "c->number > 0");
    is_int(a->log_connection, a->number, "c->log->connection is c->number");
    ok(a->own_log, "the connection has its own log");
    ok(a->write_ready, "write.ready: a new socket can be written at once");
    ok(a->read_active && a->write_active, "registered with epoll");
    ok(a->has_pool, "the connection has a pool");
    ok(a->listening == lt_test_ls, "c->listening is the listener");
    ok(a->local_sockaddr == lt_test_ls->sockaddr, "a non-wildcard listener: its local address");

    is_int(lt_stats->accepted - accepted, 1, "stats: accepted +1");
    is_int(lt_stats->handled - handled, 1, "stats: handled +1");

    ok(lt_test_peer_closed(cli), "the client sees the close");
    close(cli);

    cli = lt_test_connect(NULL);
    lt_test_run_until_n(&lt_test_nacc, 2, 2000);

    is_int(lt_test_nacc, 2, "a second client: a second connection");
    ok(lt_test_nacc >= 2 && lt_test_acc[1].number > lt_test_acc[0].number,
       "its number is greater (%llu > %llu)", (unsigned long long) lt_test_acc[1].number,
       (unsigned long long) lt_test_acc[0].number);
    is_int(lt_stats->accepted - accepted, 2, "stats: accepted 2");
    is_int(lt_stats->handled - handled, 2, "stats: handled 2");

    close(cli);

    /* two clients at once: both accepted, one per iteration or together */
    cli = lt_test_connect(NULL);
    cli2 = lt_test_connect(NULL);
    n0 = lt_test_nacc;
    lt_test_run_until_n(&lt_test_nacc, n0 + 2, 2000);

    is_int(lt_test_nacc - n0, 2, "two clients waiting: both are accepted");

    close(cli);
    close(cli2);

    /* multi_accept: everything waiting, in one iteration */
    lt_test_multi_accept(1);

    for (i = 0; i < 3; i++) {
        clis[i] = lt_test_connect(NULL);
    }

    usleep(20000);
    n0 = lt_test_nacc;
    lt_test_run(1000);
    is_int(lt_test_nacc - n0, 3, "multi_accept on: three waiting clients in one iteration");

    lt_test_multi_accept(0);

    for (i = 0; i < 3; i++) {
        close(clis[i]);
    }

    ok(lt_test_ls->connection->read.active
       && lt_test_ls->connection->read.handler == lt_event_accept,
       "the listener is still registered, with lt_event_accept");
}


/* lt_test_limit_fds: no new descriptor can be opened (EMFILE); returns the old
 * limit for lt_test_restore_fds */
static struct rlimit
lt_test_limit_fds(void)
{
    int            fd;
    struct rlimit  old, low;

    if (getrlimit(RLIMIT_NOFILE, &old) == -1) {
        lt_test_bail("getrlimit() failed: %s", strerror(errno));
    }

    fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (fd == -1) {
        lt_test_bail("open(/dev/null) failed: %s", strerror(errno));
    }

    close(fd);

    low = old;
    low.rlim_cur = (rlim_t) fd;

    if (setrlimit(RLIMIT_NOFILE, &low) == -1) {
        lt_test_bail("setrlimit() failed: %s", strerror(errno));
    }

    return old;
}


static void
lt_test_restore_fds(struct rlimit *old)
{
    if (setrlimit(RLIMIT_NOFILE, old) == -1) {
        lt_test_bail("setrlimit() failed: %s", strerror(errno));
    }
}


/* out of file descriptors: the listener pauses, then resumes */
static void
lt_test_accept_emfile(void)
{
    int               cli, n0;
    off_t             mark;
    uint64_t          accepted;
    struct rlimit     old;
    lt_connection_t  *lc;

    lc = lt_test_ls->connection;
    n0 = lt_test_nacc;
    accepted = lt_stats->accepted;

    cli = lt_test_connect(NULL);

    mark = lt_test_log_mark();
    old = lt_test_limit_fds();
    lt_test_run(1000);
    lt_test_restore_fds(&old);

    ok(lt_test_logged(mark, "[crit]") && lt_test_logged(mark, "accept4() failed (24: "),
       "EMFILE: accept4() failed (24: ...) logged at crit");
    is_int(lt_test_nacc, n0, "EMFILE: no connection");
    is_int(lt_stats->accepted, accepted, "EMFILE: nothing counted as accepted");
    ok(!lc->read.active, "EMFILE: the listener is taken out of epoll");
    ok(lc->read.timer_set && lc->read.handler != lt_event_accept,
       "EMFILE: a timer will resume accepting");

    lt_test_run_until_n(&lt_test_nacc, n0 + 1, 3000);

    is_int(lt_test_nacc - n0, 1, "after the pause: the waiting client is accepted");
    ok(lc->read.active && lc->read.handler == lt_event_accept && !lc->read.timer_set
       && !lc->read.timedout, "the listener is back in epoll with lt_event_accept");

    close(cli);
}


/* the connection table runs out */

static lt_test_conn_t  lt_test_drained;


static void
lt_test_drain_handler(lt_event_t *ev)
{
    lt_connection_t  *c = ev->data;

    lt_test_read_handler(ev);

    if (c->close) {
        lt_close_connection(c);
    }
}


static void
lt_test_exhaustion(void)
{
    int               n, i, cli, sv[2], done, clis[3];
    off_t             mark;
    size_t            free0;
    uint64_t          accepted, handled, deadline;
    lt_connection_t  *taken[LT_TEST_CONNECTIONS + 1], *c, *r;

    free0 = lt_test_cycle->free_connection_n;
    ok(free0 > 0 && free0 < LT_TEST_CONNECTIONS, "some slots are free (%zu)", free0);

    mark = lt_test_log_mark();

    for (n = 0; n < LT_TEST_CONNECTIONS + 1; n++) {
        taken[n] = lt_get_connection(-1, lt_test_cycle->log);
        if (taken[n] == NULL) {
            break;
        }
    }

    is_int(n, free0, "get_connection succeeds for every free slot, then returns NULL");
    is_int(lt_test_cycle->free_connection_n, 0, "no slot is free");
    ok(lt_test_logged(mark, "[alert]")
       && lt_test_logged(mark, "16 worker_connections are not enough"),
       "\"16 worker_connections are not enough\" logged at alert");

    /* a client now: accepted and closed at once, not handled */
    accepted = lt_stats->accepted;
    handled = lt_stats->handled;
    i = lt_test_nacc;

    cli = lt_test_connect(NULL);

    lt_time_update();
    deadline = lt_current_msec + 2000;
    done = 0;

    while (!done && (int64_t) (deadline - lt_current_msec) > 0) {
        lt_test_run(deadline - lt_current_msec);
        done = lt_stats->accepted != accepted;
    }

    is_int(lt_stats->accepted - accepted, 1, "a table full: the client is accepted");
    is_int(lt_stats->handled - handled, 0, "but not handled");
    is_int(lt_test_nacc, i, "the listener's handler does not run");
    ok(lt_test_peer_closed(cli), "the client is closed");
    close(cli);

    /* multi_accept with a full table: a failed connection ends the round, as in
     * nginx; the others stay in the backlog (for a slot, or another worker) */
    lt_test_multi_accept(1);

    for (i = 0; i < 3; i++) {
        clis[i] = lt_test_connect(NULL);
    }

    usleep(20000);
    accepted = lt_stats->accepted;
    lt_test_run(1000);
    is_int(lt_stats->accepted - accepted, 1,
           "multi_accept, a full table: one client taken and dropped, not the whole backlog");

    lt_test_multi_accept(0);

    /* one freed slot is the next one taken */
    if (n > 0) {
        lt_free_connection(taken[n - 1]);
        is_int(lt_test_cycle->free_connection_n, 1, "a slot freed");
        c = lt_get_connection(-1, lt_test_cycle->log);
        ok(c != NULL && c == taken[n - 1], "the next get_connection takes it");
    }

    /* a reusable connection is closed to make room */
    if (n > 0) {
        lt_free_connection(taken[n - 1]);

        lt_test_socketpair(sv);
        r = lt_get_connection(sv[0], lt_test_cycle->log);
        ok(r == taken[n - 1], "a reusable connection in the last slot");

        if (r == NULL) {
            lt_test_bail("no slot for the reusable connection");
        }

        lt_memzero(&lt_test_drained, sizeof(lt_test_conn_t));
        r->data = &lt_test_drained;
        r->read.handler = lt_test_drain_handler;
        lt_reusable_connection(r, 1);

        mark = lt_test_log_mark();
        c = lt_get_connection(-1, lt_test_cycle->log);

        ok(lt_test_drained.rcalls == 1 && lt_test_drained.close,
           "a full table: the reusable connection's handler runs with c->close");
        ok(c != NULL && c == r, "its slot is given to the new connection");
        is_int(lt_test_cycle->reusable_connections_n, 0, "no reusable connection is left");
        ok(lt_test_logged(mark, "16 worker_connections are not enough, reusing connections"),
           "\"reusing connections\" logged");
        ok(!lt_test_logged(mark, "worker_connections are not enough\n"),
           "and not the alert: the get succeeded");
        ok(lt_test_peer_closed(sv[1]), "the reused connection's peer sees the close");
        close(sv[1]);
    }

    for (i = 0; i < n; i++) {
        taken[i]->fd = -1;
        lt_free_connection(taken[i]);
    }

    is_int(lt_test_cycle->free_connection_n, free0, "all slots given back");

    /* the clients left in the backlog above, if any, are served now */
    i = lt_test_nacc;
    lt_test_run_until_n(&lt_test_nacc, i + 2, 300);

    for (i = 0; i < 3; i++) {
        close(clis[i]);
    }
}


/* closing the listeners (a graceful stop) while accepting is paused: the slot goes
 * back to the free list, so the resume timer must go with it; otherwise the next
 * lt_get_connection() zeroes a node that is still in the timer tree */
static void
lt_test_close_listening(void)
{
    int               cli;
    size_t            free0;
    struct rlimit     old;
    lt_connection_t  *lc;

    lc = lt_test_ls->connection;

    cli = lt_test_connect(NULL);
    old = lt_test_limit_fds();
    lt_test_run(1000);
    lt_test_restore_fds(&old);

    ok(lc->read.timer_set, "EMFILE again: accepting is paused, with a timer");

    free0 = lt_test_cycle->free_connection_n;

    lt_close_listening_sockets(lt_test_cycle);

    ok(lt_test_ls->connection == NULL && lt_test_ls->fd == -1
       && lt_test_cycle->listening.nelts == 0, "close_listening_sockets: closed and removed");
    is_int(lt_test_cycle->free_connection_n, free0 + 1, "the listener's slot is free");
    ok(!lc->read.timer_set && lt_event_find_timer() == LT_TIMER_INFINITE,
       "the freed slot's resume timer is deleted with it");

    if (lc->read.timer_set) {
        /* so that the slot can be reused without corrupting the timer tree */
        lt_event_del_timer(&lc->read);
    }

    ok(lt_test_peer_closed(cli), "the waiting client is closed with the listener");
    close(cli);
}


int
main(void)
{
    lt_cycle_t  *cycle;

    alarm(30);

    /* as lt_init_signals() does: a write to a closed socket is an error, not a signal */
    signal(SIGPIPE, SIG_IGN);

    cycle = lt_test_init_cycle();
    lt_test_cycle = cycle;
    ok(cycle != NULL, "lt_init_cycle reads the configuration");

    lt_test_pool = lt_create_pool(LT_DEFAULT_POOL_SIZE, cycle->log);
    if (lt_test_pool == NULL) {
        lt_test_bail("lt_create_pool failed");
    }

    lt_test_add_listener(cycle);
    lt_test_init_process(cycle);
    lt_test_stats(cycle);

    lt_test_timers();
    lt_test_posted();

    lt_test_socketpair_io();
    lt_test_writev();
    lt_test_reset();
    lt_test_stale();
    lt_test_epoll_del();
    lt_test_close();

    lt_test_accept();
    lt_test_accept_emfile();
    lt_test_exhaustion();
    lt_test_close_listening();

    is_int(lt_test_cycle->free_connection_n, LT_TEST_CONNECTIONS, "every slot is free at the end");

    lt_event_core_module.exit_process(cycle);
    lt_free(cycle->connections);
    lt_destroy_pool(lt_test_pool);
    lt_destroy_pool(cycle->pool);

    return done_testing();
}
