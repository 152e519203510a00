/*
 * lt_buf.h: buffers and chains. A buffer describes bytes in memory [pos, last)
 * and/or a file range [file_pos, file_last); it does not own them. A chain is a
 * linked list of buffer references: data moves through filters as chains, not
 * copies. Chain links and buffers come from pools; lt_chain_update_chains()
 * recycles them through per-owner free lists.
 */

#ifndef LT_BUF_H
#define LT_BUF_H

#include "lt_config.h"
#include "lt_palloc.h"

typedef void *lt_buf_tag_t;

struct lt_buf_s {
    u_char          *pos;
    u_char          *last;
    off_t            file_pos;
    off_t            file_last;

    u_char          *start;         /* the whole memory block, when the buffer owns one */
    u_char          *end;
    lt_buf_tag_t     tag;           /* who made it: free lists are per tag */
    lt_file_t       *file;
    lt_buf_t        *shadow;        /* the buffer this one was made from */

    unsigned         temporary:1;   /* memory that may be changed */
    unsigned         memory:1;      /* read-only memory */
    unsigned         mmap:1;
    unsigned         recycled:1;
    unsigned         in_file:1;
    unsigned         flush:1;       /* send what is buffered now */
    unsigned         sync:1;        /* carries no data, only a signal */
    unsigned         last_buf:1;    /* the last of the response */
    unsigned         last_in_chain:1;
    unsigned         last_shadow:1;
    unsigned         temp_file:1;
};

struct lt_chain_s {
    lt_buf_t        *buf;
    lt_chain_t      *next;
};

typedef struct {
    size_t           num;
    size_t           size;
} lt_bufs_t;

#define lt_buf_in_memory(b)       ((b)->temporary || (b)->memory || (b)->mmap)
#define lt_buf_in_memory_only(b)  (lt_buf_in_memory(b) && !(b)->in_file)
#define lt_buf_special(b)                                                     \
    (((b)->flush || (b)->last_buf || (b)->sync)                               \
     && !lt_buf_in_memory(b) && !(b)->in_file)
#define lt_buf_sync_only(b)                                                   \
    ((b)->sync && !lt_buf_in_memory(b) && !(b)->in_file && !(b)->flush        \
     && !(b)->last_buf)
#define lt_buf_size(b)                                                        \
    (lt_buf_in_memory(b) ? (off_t) ((b)->last - (b)->pos)                     \
                         : ((b)->file_last - (b)->file_pos))

#define lt_calloc_buf(pool)   lt_pcalloc(pool, sizeof(lt_buf_t))

/* lt_create_temp_buf: a buffer owning `size` bytes of writable pool memory */
lt_buf_t *lt_create_temp_buf(lt_pool_t *pool, size_t size);

/* lt_alloc_chain_link: a link from the pool's free list or a new one */
lt_chain_t *lt_alloc_chain_link(lt_pool_t *pool);
#define lt_free_chain(pool, cl)  lt_free_chain_link(pool, cl)
/* lt_free_chain_link: returns one link to the pool's free list */
void lt_free_chain_link(lt_pool_t *pool, lt_chain_t *cl);

/* lt_create_chain_of_bufs: bufs->num links with temp buffers of bufs->size */
lt_chain_t *lt_create_chain_of_bufs(lt_pool_t *pool, lt_bufs_t *bufs);

/* lt_chain_add_copy: appends links referencing in's buffers to *chain */
int lt_chain_add_copy(lt_pool_t *pool, lt_chain_t **chain, lt_chain_t *in);

/* lt_chain_get_free_buf: a link with a buffer from *free, or a fresh empty one */
lt_chain_t *lt_chain_get_free_buf(lt_pool_t *p, lt_chain_t **free);

/* lt_chain_get_out_buf: an output buffer for a filter that owns at most bufs->num
 * of bufs->size: a rewound one from *free, a new one (tagged, counted in *n), or
 * LT_AGAIN when all are still on their way to the client; LT_OK, LT_ERROR */
int lt_chain_get_out_buf(lt_pool_t *p, lt_chain_t **free, size_t *n, const lt_bufs_t *bufs,
    lt_buf_tag_t tag, lt_buf_t **out);

/* lt_chain_update_chains: appends *out to *busy, then moves the consumed buffers of
 * *busy that carry `tag` to *free (rewound) and returns other consumed links to
 * the pool */
void lt_chain_update_chains(lt_pool_t *p, lt_chain_t **free, lt_chain_t **busy,
    lt_chain_t **out, lt_buf_tag_t tag);

/* lt_chain_update_sent: advances the chain's buffers past `sent` bytes; returns
 * the first link with data left (or NULL) */
lt_chain_t *lt_chain_update_sent(lt_chain_t *in, off_t sent);

/* lt_chain_size: bytes in the chain */
off_t lt_chain_size(lt_chain_t *in);

#endif /* LT_BUF_H */
