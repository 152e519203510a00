/*
 * test_env.c: lt_set_environment() of core/lt_cycle.c, the environment that
 * workers get (and a new binary inherits) from the "env" directives: "NAME"
 * keeps the master's variable, "NAME=VALUE" sets one, everything else is
 * dropped.
 *
 * The master's environment is lt_os_environ, which the test points at arrays of
 * its own; the process's `environ` is restored before the pool holding the new
 * one is destroyed.
 */

#include "lt_core.h"
#include "tap.h"

static lt_log_t        lt_test_log;
static lt_cycle_t      lt_test_cycle;
static lt_core_conf_t  lt_test_ccf;


/* lt_test_env_is: env holds exactly the NULL-terminated list expected */
static int
lt_test_env_is(char **env, const char *const *expected)
{
    size_t  i;

    if (env == NULL) {
        diag("environment is NULL");
        return 0;
    }

    for (i = 0; env[i] && expected[i]; i++) {
        if (strcmp(env[i], expected[i]) != 0) {
            diag("[%zu]: got '%s', expected '%s'", i, env[i], expected[i]);
            return 0;
        }
    }

    if (env[i] || expected[i]) {
        diag("[%zu]: got '%s', expected '%s'", i, env[i] ? env[i] : "(end)",
             expected[i] ? expected[i] : "(end)");
        return 0;
    }

    return 1;
}


/* lt_test_env_has: a variable called name is in env */
static int
lt_test_env_has(char **env, const char *name)
{
    size_t  len;

    len = strlen(name);

    for ( /* void */ ; env && *env; env++) {
        if (strncmp(*env, name, len) == 0 && ((*env)[len] == '=' || (*env)[len] == '\0')) {
            return 1;
        }
    }

    return 0;
}


/* lt_test_env_list: sets the env directives to the NULL-terminated names */
static void
lt_test_env_list(const char *const *names)
{
    lt_str_t  *var;

    if (lt_array_init(&lt_test_ccf.env, lt_test_cycle.pool, 2, sizeof(lt_str_t)) != LT_OK) {
        printf("Bail out! lt_array_init failed\n");
        exit(255);
    }

    for ( /* void */ ; *names; names++) {
        var = lt_array_push(&lt_test_ccf.env);
        if (var == NULL) {
            printf("Bail out! lt_array_push failed\n");
            exit(255);
        }

        /* literals are NUL-terminated, as tokens are */
        var->data = (u_char *) *names;
        var->len = strlen(*names);
    }

    lt_test_ccf.environment = NULL;
}


static void
lt_test_main_case(char **saved_environ)
{
    char        **env, **cached;
    size_t        n;
    static char  *os_env[] = { "TZ=UTC", "KEEP=kept", "DROP=x", NULL };
    static const char *const  names[] = { "TZ", "KEEP", "SET=value", "MISSING", NULL };
    static const char *const  expected[] = { "TZ=UTC", "KEEP=kept", "SET=value", NULL };

    lt_os_environ = os_env;
    lt_test_env_list(names);

    n = 12345;
    env = lt_set_environment(&lt_test_cycle, &n);

    ok(env != NULL, "with a count: an environment");
    ok(lt_test_env_is(env, expected), "TZ=UTC, KEEP=kept, SET=value, in order");
    is_int(n, 3, "count 3");
    ok(!lt_test_env_has(env, "DROP"), "DROP is not passed on");
    ok(!lt_test_env_has(env, "MISSING"), "MISSING (not in the master's environment) is not");
    ok(env && env[0] == os_env[0], "a kept variable is the master's string");
    ok(lt_test_ccf.environment == NULL, "with a count: not cached");
    ok(environ == saved_environ, "with a count: environ untouched");

    /* lt_exec_new_binary appends LINTEL=... and a NULL after the last: room for both */
    if (env) {
        env[n] = "LINTEL=3;4;";
        env[n + 1] = NULL;
        ok(env[n + 1] == NULL, "room for one more variable and the NULL");
    } else {
        ok(0, "room for one more variable and the NULL");
    }

    cached = lt_set_environment(&lt_test_cycle, NULL);

    ok(cached != NULL, "without a count: an environment");
    ok(lt_test_env_is(cached, expected), "without a count: the same contents");
    ok(environ == cached, "environ points at it");
    ok(lt_test_ccf.environment == cached, "ccf->environment is set to it");
    ok(cached != env, "a fresh array, not the one the new binary's variable went into");

    ok(getenv("KEEP") && strcmp(getenv("KEEP"), "kept") == 0, "getenv KEEP");
    ok(getenv("SET") && strcmp(getenv("SET"), "value") == 0, "getenv SET");
    ok(getenv("TZ") && strcmp(getenv("TZ"), "UTC") == 0, "getenv TZ");
    ok(getenv("DROP") == NULL, "getenv DROP: none");
    ok(getenv("MISSING") == NULL, "getenv MISSING: none");

    ok(lt_set_environment(&lt_test_cycle, NULL) == cached, "second call: the same pointer");
    ok(environ == cached, "second call: environ unchanged");

    n = 0;
    env = lt_set_environment(&lt_test_cycle, &n);
    ok(env != NULL && env != cached, "with a count after caching: a fresh array");
    ok(lt_test_env_is(env, expected), "with a count after caching: the same contents");
    is_int(n, 3, "with a count after caching: count 3");
    ok(lt_test_ccf.environment == cached, "the cached one is kept");
}


static void
lt_test_names(void)
{
    char        **env;
    size_t        n;
    static char  *os_env[] = { "KEEPER=no", "KEE=no", "KEEP", "KEEP=yes", "EMPTY=", NULL };
    static char  *no_env[] = { NULL };
    static const char *const  names[] = { "KEEP", "EMPTY", "KEEPE", NULL };
    static const char *const  expected[] = { "KEEP=yes", "EMPTY=", NULL };
    static const char *const  set_names[] = { "SET=value", "MISSING", "A=b=c", "B=", NULL };
    static const char *const  set_expected[] = { "SET=value", "A=b=c", "B=", NULL };
    static const char *const  none[] = { NULL };

    lt_os_environ = os_env;
    lt_test_env_list(names);

    n = 0;
    env = lt_set_environment(&lt_test_cycle, &n);
    ok(lt_test_env_is(env, expected), "names match whole: not KEEPER, KEE or a bare KEEP");
    is_int(n, 2, "names match whole: count 2");

    lt_os_environ = no_env;
    lt_test_env_list(set_names);

    n = 0;
    env = lt_set_environment(&lt_test_cycle, &n);
    ok(lt_test_env_is(env, set_expected), "empty master environment: only NAME=VALUE");
    is_int(n, 3, "empty master environment: count 3");

    lt_os_environ = os_env;
    lt_test_env_list(none);

    n = 12345;
    env = lt_set_environment(&lt_test_cycle, &n);
    ok(lt_test_env_is(env, none), "no env directive: an empty environment");
    is_int(n, 0, "no env directive: count 0");
}


/* the "env" directive and the core module's init_conf, which adds TZ as nginx
 * does: TZ must then be passed on once */
static lt_core_conf_t *
lt_test_core_conf(const char *directive)
{
    lt_conf_t        cf;
    lt_str_t        *arg;
    lt_array_t      *args;
    lt_command_t    *cmd;
    lt_core_conf_t  *ccf;

    ccf = lt_core_module.create_conf(&lt_test_cycle);
    if (ccf == NULL) {
        return NULL;
    }

    /* so that init_conf does not look up the default user when run as root */
    ccf->user = 0;
    ccf->group = 0;

    if (directive) {
        for (cmd = lt_core_module.commands; cmd->name; cmd++) {
            if (strcmp(cmd->name, "env") == 0) {
                break;
            }
        }

        if (cmd->name == NULL) {
            return NULL;
        }

        args = lt_array_create(lt_test_cycle.pool, 2, sizeof(lt_str_t));
        if (args == NULL) {
            return NULL;
        }

        arg = lt_array_push(args);
        lt_str_set(arg, "env");
        arg = lt_array_push(args);
        arg->data = (u_char *) directive;
        arg->len = strlen(directive);

        lt_memzero(&cf, sizeof(lt_conf_t));
        cf.args = args;
        cf.cycle = &lt_test_cycle;
        cf.pool = lt_test_cycle.pool;
        cf.log = &lt_test_log;

        if (cmd->set(&cf, cmd, ccf) != LT_CONF_OK) {
            return NULL;
        }
    }

    if (lt_core_module.init_conf(&lt_test_cycle, ccf) != LT_CONF_OK) {
        return NULL;
    }

    return ccf;
}


static void
lt_test_tz(void)
{
    char            **env;
    size_t            n;
    lt_core_conf_t   *ccf;
    static char      *os_env[] = { "TZ=UTC", "HOME=/root", NULL };
    static const char *const  tz_utc[] = { "TZ=UTC", NULL };
    static const char *const  tz_paris[] = { "TZ=Europe/Paris", NULL };

    lt_os_environ = os_env;

    ccf = lt_test_core_conf(NULL);
    ok(ccf != NULL, "init_conf without env directives");
    lt_test_cycle.conf_ctx[lt_core_module.index] = ccf;
    n = 0;
    env = ccf ? lt_set_environment(&lt_test_cycle, &n) : NULL;
    ok(lt_test_env_is(env, tz_utc), "no env directive: TZ is passed on");
    is_int(n, 1, "no env directive: count 1");

    ccf = lt_test_core_conf("TZ");
    ok(ccf != NULL, "init_conf after \"env TZ\"");
    lt_test_cycle.conf_ctx[lt_core_module.index] = ccf;
    n = 0;
    env = ccf ? lt_set_environment(&lt_test_cycle, &n) : NULL;
    ok(lt_test_env_is(env, tz_utc), "\"env TZ\": TZ passed on once");
    is_int(n, 1, "\"env TZ\": count 1");

    ccf = lt_test_core_conf("TZ=Europe/Paris");
    ok(ccf != NULL, "init_conf after \"env TZ=Europe/Paris\"");
    lt_test_cycle.conf_ctx[lt_core_module.index] = ccf;
    n = 0;
    env = ccf ? lt_set_environment(&lt_test_cycle, &n) : NULL;
    ok(lt_test_env_is(env, tz_paris), "\"env TZ=Europe/Paris\": only that TZ");
    is_int(n, 1, "\"env TZ=Europe/Paris\": count 1");

    lt_test_cycle.conf_ctx[lt_core_module.index] = &lt_test_ccf;
}


int
main(void)
{
    char  **saved_environ;

    lt_time_init();
    lt_use_stderr = 0;
    lt_test_log.log_level = LT_LOG_EMERG;

    lt_preinit_modules();

    lt_test_cycle.log = &lt_test_log;
    lt_test_cycle.pool = lt_create_pool(LT_DEFAULT_POOL_SIZE, &lt_test_log);
    if (lt_test_cycle.pool == NULL) {
        printf("Bail out! lt_create_pool failed\n");
        return 255;
    }

    lt_str_set(&lt_test_cycle.prefix, "/tmp/lintel-test/");
    lt_str_set(&lt_test_cycle.conf_prefix, "/tmp/lintel-test/conf/");

    lt_test_cycle.conf_ctx = lt_pcalloc(lt_test_cycle.pool, lt_modules_n * sizeof(void *));
    if (lt_test_cycle.conf_ctx == NULL) {
        printf("Bail out! lt_pcalloc failed\n");
        return 255;
    }

    lt_test_cycle.conf_ctx[lt_core_module.index] = &lt_test_ccf;

    saved_environ = environ;

    lt_test_main_case(saved_environ);
    lt_test_names();
    lt_test_tz();

    /* the new environment lives in the pool */
    environ = saved_environ;
    lt_os_environ = saved_environ;

    lt_destroy_pool(lt_test_cycle.pool);

    return done_testing();
}
