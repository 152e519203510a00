/*
 * lt_module.c: numbering the compiled-in modules (see lt_module.h).
 */

#include "lt_core.h"

size_t      lt_modules_n;
const char  lt_modules_line[] = LT_MODULES_LINE;


void
lt_preinit_modules(void)
{
    size_t  i, j;

    for (i = 0; lt_modules[i]; i++) {
        lt_modules[i]->index = i;
        lt_modules[i]->ctx_index = 0;

        for (j = 0; j < i; j++) {
            if (lt_modules[j]->type == lt_modules[i]->type) {
                lt_modules[i]->ctx_index++;
            }
        }
    }

    lt_modules_n = i;
}


size_t
lt_count_modules(unsigned type)
{
    size_t  i, n;

    for (i = 0, n = 0; lt_modules[i]; i++) {
        if (lt_modules[i]->type == type) {
            n++;
        }
    }

    return n;
}
