/*
 * lt_buf.c: buffers and chains (see lt_buf.h).
 */

#include "lt_core.h"

lt_buf_t *
lt_create_temp_buf(lt_pool_t *pool, size_t size)
{
    lt_buf_t  *b;

    b = lt_calloc_buf(pool);
    if (b == NULL) {
        return NULL;
    }

    b->start = lt_palloc(pool, size);
    if (b->start == NULL) {
        return NULL;
    }

    b->pos = b->start;
    b->last = b->start;
    b->end = b->start + size;
    b->temporary = 1;

    return b;
}


lt_chain_t *
lt_alloc_chain_link(lt_pool_t *pool)
{
    lt_chain_t  *cl;

    cl = pool->chain;

    if (cl) {
        pool->chain = cl->next;
        return cl;
    }

    return lt_palloc(pool, sizeof(lt_chain_t));
}


void
lt_free_chain_link(lt_pool_t *pool, lt_chain_t *cl)
{
    cl->next = pool->chain;
    pool->chain = cl;
}


lt_chain_t *
lt_create_chain_of_bufs(lt_pool_t *pool, lt_bufs_t *bufs)
{
    u_char       *p;
    size_t        i;
    lt_buf_t     *b;
    lt_chain_t   *chain, *cl, **ll;

    p = lt_palloc(pool, bufs->num * bufs->size);
    if (p == NULL) {
        return NULL;
    }

    ll = &chain;

    for (i = 0; i < bufs->num; i++) {

        b = lt_calloc_buf(pool);
        if (b == NULL) {
            return NULL;
        }

        b->pos = p;
        b->last = p;
        b->temporary = 1;
        b->start = p;
        p += bufs->size;
        b->end = p;

        cl = lt_alloc_chain_link(pool);
        if (cl == NULL) {
            return NULL;
        }

        cl->buf = b;
        *ll = cl;
        ll = &cl->next;
    }

    *ll = NULL;

    return chain;
}


int
lt_chain_add_copy(lt_pool_t *pool, lt_chain_t **chain, lt_chain_t *in)
{
    lt_chain_t  *cl, **ll;

    ll = chain;

    for (cl = *chain; cl; cl = cl->next) {
        ll = &cl->next;
    }

    while (in) {
        cl = lt_alloc_chain_link(pool);
        if (cl == NULL) {
            *ll = NULL;
            return LT_ERROR;
        }

        cl->buf = in->buf;
        *ll = cl;
        ll = &cl->next;
        in = in->next;
    }

    *ll = NULL;

    return LT_OK;
}


lt_chain_t *
lt_chain_get_free_buf(lt_pool_t *p, lt_chain_t **free)
{
    lt_chain_t  *cl;

    if (*free) {
        cl = *free;
        *free = cl->next;
        cl->next = NULL;
        return cl;
    }

    cl = lt_alloc_chain_link(p);
    if (cl == NULL) {
        return NULL;
    }

    cl->buf = lt_calloc_buf(p);
    if (cl->buf == NULL) {
        return NULL;
    }

    cl->next = NULL;

    return cl;
}


void
lt_chain_update_chains(lt_pool_t *p, lt_chain_t **free, lt_chain_t **busy,
    lt_chain_t **out, lt_buf_tag_t tag)
{
    lt_chain_t  *cl;

    if (*out) {
        if (*busy == NULL) {
            *busy = *out;

        } else {
            for (cl = *busy; cl->next; cl = cl->next) { /* void */ }

            cl->next = *out;
        }

        *out = NULL;
    }

    while (*busy) {
        cl = *busy;

        if (cl->buf->tag != tag) {
            *busy = cl->next;
            lt_free_chain_link(p, cl);
            continue;
        }

        if (lt_buf_size(cl->buf) != 0) {
            break;
        }

        cl->buf->pos = cl->buf->start;
        cl->buf->last = cl->buf->start;

        *busy = cl->next;
        cl->next = *free;
        *free = cl;
    }
}


lt_chain_t *
lt_chain_update_sent(lt_chain_t *in, off_t sent)
{
    off_t  size;

    for ( /* void */ ; in; in = in->next) {

        if (lt_buf_special(in->buf)) {
            continue;
        }

        if (sent == 0) {
            break;
        }

        size = lt_buf_size(in->buf);

        if (sent >= size) {
            sent -= size;

            if (lt_buf_in_memory(in->buf)) {
                in->buf->pos = in->buf->last;
            }

            if (in->buf->in_file) {
                in->buf->file_pos = in->buf->file_last;
            }

            continue;
        }

        if (lt_buf_in_memory(in->buf)) {
            in->buf->pos += (size_t) sent;
        }

        if (in->buf->in_file) {
            in->buf->file_pos += sent;
        }

        break;
    }

    return in;
}


off_t
lt_chain_size(lt_chain_t *in)
{
    off_t  size;

    for (size = 0; in; in = in->next) {
        if (!lt_buf_special(in->buf)) {
            size += lt_buf_size(in->buf);
        }
    }

    return size;
}


int
lt_chain_get_out_buf(lt_pool_t *p, lt_chain_t **free, size_t *n, const lt_bufs_t *bufs,
    lt_buf_tag_t tag, lt_buf_t **out)
{
    lt_buf_t    *b;
    lt_chain_t  *cl;

    if (*free) {
        cl = *free;
        *free = cl->next;
        b = cl->buf;
        lt_free_chain_link(p, cl);

    } else if (*n < bufs->num) {
        b = lt_create_temp_buf(p, bufs->size);
        if (b == NULL) {
            return LT_ERROR;
        }

        b->tag = tag;
        b->recycled = 1;
        (*n)++;

    } else {
        return LT_AGAIN;
    }

    b->pos = b->start;
    b->last = b->start;
    b->flush = 0;
    b->last_buf = 0;
    b->last_in_chain = 0;

    *out = b;

    return LT_OK;
}
