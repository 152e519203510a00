/*
 * fuzz_conf.c: libFuzzer harness for the configuration tokenizer. Any input
 * must end in EOF or a clean error: no crash, no read past the buffer, no leak.
 *
 *   make fuzz            (builds with clang and runs each harness for a while)
 */

#include "lt_core.h"

static lt_open_file_t  lt_fuzz_file;
static lt_log_t        lt_fuzz_log;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int              rc, n;
    u_char          *text;
    lt_pool_t       *pool;
    lt_conf_t        cf;
    lt_cycle_t       cycle;
    lt_conf_file_t   file;

    if (lt_fuzz_file.fd == 0) {
        lt_fuzz_file.fd = open("/dev/null", O_WRONLY);
        lt_fuzz_log.file = &lt_fuzz_file;
        lt_fuzz_log.log_level = LT_LOG_DEBUG;
        lt_use_stderr = 0;
        lt_time_init();
    }

    pool = lt_create_pool(1024, &lt_fuzz_log);
    if (pool == NULL) {
        return 0;
    }

    /* an exact-size copy, so that ASan sees any read past the end */
    text = lt_pnalloc(pool, size ? size : 1);
    if (text == NULL) {
        goto done;
    }

    memcpy(text, data, size);

    lt_memzero(&cycle, sizeof(lt_cycle_t));
    cycle.pool = pool;
    cycle.log = &lt_fuzz_log;

    lt_memzero(&file, sizeof(lt_conf_file_t));
    lt_str_set(&file.name, "fuzz.conf");
    file.start = text;
    file.pos = text;
    file.end = text + size;
    file.line = 1;

    lt_memzero(&cf, sizeof(lt_conf_t));
    cf.cycle = &cycle;
    cf.pool = pool;
    cf.log = &lt_fuzz_log;
    cf.conf_file = &file;
    cf.args = lt_array_create(pool, 8, sizeof(lt_str_t));
    if (cf.args == NULL) {
        goto done;
    }

    for (n = 0; n < 100000; n++) {
        rc = lt_conf_read_token(&cf);

        if (rc == LT_ERROR || rc == LT_CONF_TOKEN_EOF) {
            break;
        }
    }

done:

    lt_destroy_pool(pool);

    return 0;
}
