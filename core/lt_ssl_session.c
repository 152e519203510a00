/*
 * lt_ssl_session.c: TLS session resumption on the server side.
 *
 * - ssl_session_cache: OpenSSL's per-worker cache (builtin), and a cache shared
 *   by all workers (shared:NAME:SIZE): sessions serialised (DER) in a shared
 *   memory zone with the slab allocator, found through a red-black tree keyed
 *   by the CRC32 of the session id, expired from a queue in age order. When the
 *   zone is full, the oldest sessions make room.
 * - ssl_session_ticket_key: ticket keys from files (48 bytes: AES-128, 80 bytes:
 *   AES-256, laid out as nginx's); the first key encrypts new tickets, all of
 *   them decrypt. Without files, a server with a shared cache uses a key kept
 *   in the zone (so servers sharing the zone take each other's tickets, and a
 *   reload keeps it); otherwise OpenSSL's own key of the context, made when the
 *   master creates it, so every worker has the same one.
 */

#include "lt_core.h"
#include "lt_ssl.h"

#include <openssl/rand.h>
#include <openssl/evp.h>
#include <openssl/core_names.h>

#define LT_SSL_MAX_SESSION_SIZE  4096

typedef struct {
    lt_rbtree_node_t    node;           /* key: crc32 of the id */
    lt_queue_t          queue;          /* age order */
    time_t              expire;
    u_char              id_len;
    u_char              id[SSL_MAX_SSL_SESSION_ID_LENGTH];
    size_t              len;
    u_char             *session;        /* DER */
} lt_ssl_sess_id_t;

typedef struct {
    u_char              name[16];
    u_char              hmac_key[32];
    u_char              aes_key[32];
    size_t              size;           /* 16 or 32 */
} lt_ssl_ticket_key_t;

typedef struct {
    lt_rbtree_t         rbtree;
    lt_rbtree_node_t    sentinel;
    lt_queue_t          expire_queue;
    lt_ssl_ticket_key_t ticket_keys[2]; /* for every server that uses the zone and
                                         * has no key file: [0] encrypts, [1] (the
                                         * one before) still decrypts */
    time_t              rotated;        /* when [0] was made */
} lt_ssl_session_cache_t;

static int  lt_ssl_session_cache_index = -1;


/* lt_ssl_session_ctx: the context the connection started on: OpenSSL keeps
 * using its session callbacks after SNI switched the connection to another
 * context, so that context's cache and ticket keys are the ones to use */
static SSL_CTX *
lt_ssl_session_ctx(SSL *ssl_conn)
{
    lt_connection_t  *c;

    c = SSL_get_ex_data(ssl_conn, lt_ssl_connection_index);

    if (c && c->ssl) {
        return ((lt_ssl_connection_t *) c->ssl)->session_ctx;
    }

    return SSL_get_SSL_CTX(ssl_conn);
}

static int lt_ssl_new_session(SSL *ssl_conn, SSL_SESSION *sess);
static SSL_SESSION *lt_ssl_get_cached_session(SSL *ssl_conn, const unsigned char *id,
    int len, int *copy);
static void lt_ssl_remove_session(SSL_CTX *ssl, SSL_SESSION *sess);


static void
lt_ssl_session_rbtree_insert(lt_rbtree_node_t *temp, lt_rbtree_node_t *node,
    lt_rbtree_node_t *sentinel)
{
    lt_rbtree_node_t  **p;
    lt_ssl_sess_id_t   *n, *t;

    for ( ;; ) {
        if (node->key < temp->key) {
            p = &temp->left;

        } else if (node->key > temp->key) {
            p = &temp->right;

        } else {
            n = (lt_ssl_sess_id_t *) node;
            t = (lt_ssl_sess_id_t *) temp;

            p = (memcmp(n->id, t->id, lt_min(n->id_len, t->id_len)) < 0
                 || (memcmp(n->id, t->id, lt_min(n->id_len, t->id_len)) == 0
                     && n->id_len < t->id_len)) ? &temp->left : &temp->right;
        }

        if (*p == sentinel) {
            break;
        }

        temp = *p;
    }

    *p = node;
    node->parent = temp;
    node->left = sentinel;
    node->right = sentinel;
    node->color = 1;
}


static int
lt_ssl_ticket_key_new(lt_ssl_ticket_key_t *key)
{
    key->size = 32;

    if (RAND_bytes(key->name, 16) != 1 || RAND_priv_bytes(key->hmac_key, 32) != 1
        || RAND_priv_bytes(key->aes_key, 32) != 1)
    {
        return LT_ERROR;
    }

    return LT_OK;
}


/* lt_ssl_ticket_keys_get: a copy of the zone's keys (another worker may rotate
 * them meanwhile), rotated first when a new ticket is to be made and the encrypting
 * key is older than the session timeout (nginx 1.23.2 does the same): a ticket
 * lives at most two timeouts, and a stolen key opens only the tickets of its
 * period. The number of keys (1 or 2). */
static size_t
lt_ssl_ticket_keys_get(lt_shm_zone_t *shm_zone, lt_ssl_session_cache_t *cache,
    time_t timeout, int enc, lt_ssl_ticket_key_t *copy)
{
    time_t                now;
    lt_slab_pool_t       *shpool;
    lt_ssl_ticket_key_t   key;

    now = time(NULL);
    key.size = 0;

    if (enc == 1 && now - cache->rotated >= timeout && lt_ssl_ticket_key_new(&key) != LT_OK) {
        ERR_clear_error();
        key.size = 0;
    }

    shpool = (lt_slab_pool_t *) shm_zone->shm.addr;

    lt_shmtx_lock(&shpool->mutex);

    /* (another worker may have rotated since) */
    if (key.size && now - cache->rotated >= timeout) {
        cache->ticket_keys[1] = cache->ticket_keys[0];
        cache->ticket_keys[0] = key;
        cache->rotated = now;
    }

    copy[0] = cache->ticket_keys[0];
    copy[1] = cache->ticket_keys[1];

    lt_shmtx_unlock(&shpool->mutex);

    OPENSSL_cleanse(&key, sizeof(key));

    return copy[1].size ? 2 : 1;
}


int
lt_ssl_session_cache_init(lt_shm_zone_t *shm_zone, void *data)
{
    lt_slab_pool_t          *shpool;
    lt_ssl_session_cache_t  *cache;

    if (data) {
        shm_zone->data = data;
        return LT_OK;
    }

    shpool = (lt_slab_pool_t *) shm_zone->shm.addr;

    if (shm_zone->shm.exists) {
        shm_zone->data = shpool->data;
        return LT_OK;
    }

    cache = lt_slab_alloc(shpool, sizeof(lt_ssl_session_cache_t));
    if (cache == NULL) {
        return LT_ERROR;
    }

    shpool->data = cache;
    shm_zone->data = cache;

    lt_rbtree_init(&cache->rbtree, &cache->sentinel, lt_ssl_session_rbtree_insert);
    lt_queue_init(&cache->expire_queue);

    if (lt_ssl_ticket_key_new(&cache->ticket_keys[0]) != LT_OK) {
        lt_ssl_error(LT_LOG_EMERG, shm_zone->shm.log, 0, "RAND_bytes() failed");
        return LT_ERROR;
    }

    /* [1] stays zeroed (size 0): no key before the first */
    cache->rotated = time(NULL);

    return LT_OK;
}


int
lt_ssl_session_cache(lt_ssl_t *ssl, lt_str_t *sess_ctx, ssize_t builtin,
    lt_shm_zone_t *shm_zone, time_t timeout)
{
    long  mode;

    if (sess_ctx->len > SSL_MAX_SID_CTX_LENGTH) {
        sess_ctx->len = SSL_MAX_SID_CTX_LENGTH;
    }

    if (SSL_CTX_set_session_id_context(ssl->ctx, sess_ctx->data, (unsigned) sess_ctx->len)
        == 0)
    {
        lt_ssl_error(LT_LOG_EMERG, ssl->log, 0, "SSL_CTX_set_session_id_context() failed");
        return LT_ERROR;
    }

    SSL_CTX_set_timeout(ssl->ctx, (long) timeout);

    if (builtin == LT_SSL_NO_SCACHE) {
        SSL_CTX_set_session_cache_mode(ssl->ctx, SSL_SESS_CACHE_OFF);
        return LT_OK;
    }

    if (builtin == LT_SSL_NONE_SCACHE) {
        /* sessions are announced as resumable but kept nowhere (some clients
         * misbehave when told that a server has no cache at all) */
        SSL_CTX_set_session_cache_mode(ssl->ctx, SSL_SESS_CACHE_SERVER
                                                 | SSL_SESS_CACHE_NO_AUTO_CLEAR
                                                 | SSL_SESS_CACHE_NO_INTERNAL_STORE);
        SSL_CTX_sess_set_cache_size(ssl->ctx, 1);
        return LT_OK;
    }

    mode = SSL_SESS_CACHE_SERVER | SSL_SESS_CACHE_NO_AUTO_CLEAR;

    if (shm_zone && builtin == LT_SSL_NO_BUILTIN_SCACHE) {
        mode |= SSL_SESS_CACHE_NO_INTERNAL;
    }

    SSL_CTX_set_session_cache_mode(ssl->ctx, mode);

    if (builtin != LT_SSL_NO_BUILTIN_SCACHE) {
        if (builtin != LT_SSL_DFLT_BUILTIN_SCACHE) {
            SSL_CTX_sess_set_cache_size(ssl->ctx, builtin);
        }
    }

    if (shm_zone) {
        if (lt_ssl_session_cache_index == -1) {
            lt_ssl_session_cache_index = SSL_CTX_get_ex_new_index(0, NULL, NULL, NULL, NULL);

            if (lt_ssl_session_cache_index == -1) {
                lt_ssl_error(LT_LOG_EMERG, ssl->log, 0, "SSL_CTX_get_ex_new_index() failed");
                return LT_ERROR;
            }
        }

        SSL_CTX_sess_set_new_cb(ssl->ctx, lt_ssl_new_session);
        SSL_CTX_sess_set_get_cb(ssl->ctx, lt_ssl_get_cached_session);
        SSL_CTX_sess_set_remove_cb(ssl->ctx, lt_ssl_remove_session);

        if (SSL_CTX_set_ex_data(ssl->ctx, lt_ssl_session_cache_index, shm_zone) == 0) {
            lt_ssl_error(LT_LOG_EMERG, ssl->log, 0, "SSL_CTX_set_ex_data() failed");
            return LT_ERROR;
        }
    }

    return LT_OK;
}


static void
lt_ssl_expire_sessions(lt_ssl_session_cache_t *cache, lt_slab_pool_t *shpool, time_t now,
    unsigned n)
{
    lt_queue_t        *q;
    lt_ssl_sess_id_t  *sid;

    /* n == 0: every expired one; else at most n, expired or not (to make room) */
    while (!lt_queue_empty(&cache->expire_queue)) {
        q = lt_queue_last(&cache->expire_queue);
        sid = lt_queue_data(q, lt_ssl_sess_id_t, queue);

        if (n == 0 && sid->expire > now) {
            return;
        }

        lt_queue_remove(q);
        lt_rbtree_delete(&cache->rbtree, &sid->node);
        lt_slab_free_locked(shpool, sid->session);
        lt_slab_free_locked(shpool, sid);

        if (n && --n == 0) {
            return;
        }
    }
}


static int
lt_ssl_new_session(SSL *ssl_conn, SSL_SESSION *sess)
{
    int                      len;
    u_char                  *p, buf[LT_SSL_MAX_SESSION_SIZE];
    unsigned int             id_len;
    const unsigned char     *id;
    time_t                   now;
    SSL_CTX                 *ssl_ctx;
    lt_shm_zone_t           *shm_zone;
    lt_slab_pool_t          *shpool;
    lt_ssl_sess_id_t        *sid;
    lt_ssl_session_cache_t  *cache;

    len = i2d_SSL_SESSION(sess, NULL);

    if (len <= 0 || len > LT_SSL_MAX_SESSION_SIZE) {
        return 0;
    }

    p = buf;
    i2d_SSL_SESSION(sess, &p);

    ssl_ctx = lt_ssl_session_ctx(ssl_conn);
    shm_zone = SSL_CTX_get_ex_data(ssl_ctx, lt_ssl_session_cache_index);

    if (shm_zone == NULL) {
        return 0;
    }

    cache = shm_zone->data;
    shpool = (lt_slab_pool_t *) shm_zone->shm.addr;
    now = lt_time();

    id = SSL_SESSION_get_id(sess, &id_len);

    if (id_len == 0 || id_len > SSL_MAX_SSL_SESSION_ID_LENGTH) {
        return 0;
    }

    lt_shmtx_lock(&shpool->mutex);

    lt_ssl_expire_sessions(cache, shpool, now, 0);

    sid = lt_slab_alloc_locked(shpool, sizeof(lt_ssl_sess_id_t));

    if (sid == NULL) {
        lt_ssl_expire_sessions(cache, shpool, now, 2);
        sid = lt_slab_alloc_locked(shpool, sizeof(lt_ssl_sess_id_t));
    }

    if (sid == NULL) {
        goto failed;
    }

    sid->session = lt_slab_alloc_locked(shpool, (size_t) len);

    if (sid->session == NULL) {
        lt_ssl_expire_sessions(cache, shpool, now, 2);
        sid->session = lt_slab_alloc_locked(shpool, (size_t) len);
    }

    if (sid->session == NULL) {
        lt_slab_free_locked(shpool, sid);
        goto failed;
    }

    memcpy(sid->session, buf, (size_t) len);
    sid->len = (size_t) len;
    memcpy(sid->id, id, id_len);
    sid->id_len = (u_char) id_len;
    sid->expire = now + (time_t) SSL_SESSION_get_timeout(sess);
    sid->node.key = lt_crc32(id, id_len);

    lt_rbtree_insert(&cache->rbtree, &sid->node);
    lt_queue_insert_head(&cache->expire_queue, &sid->queue);

    lt_shmtx_unlock(&shpool->mutex);

    return 0;

failed:

    lt_shmtx_unlock(&shpool->mutex);

    return 0;
}


static lt_ssl_sess_id_t *
lt_ssl_find_session(lt_ssl_session_cache_t *cache, const u_char *id, size_t len)
{
    int                rc;
    uint32_t           hash;
    lt_rbtree_node_t  *node, *sentinel;
    lt_ssl_sess_id_t  *sid;

    hash = lt_crc32(id, len);

    node = cache->rbtree.root;
    sentinel = cache->rbtree.sentinel;

    while (node != sentinel) {
        if (hash < node->key) {
            node = node->left;
            continue;
        }

        if (hash > node->key) {
            node = node->right;
            continue;
        }

        sid = (lt_ssl_sess_id_t *) node;

        rc = memcmp(id, sid->id, lt_min(len, (size_t) sid->id_len));

        if (rc == 0 && len == sid->id_len) {
            return sid;
        }

        if (rc < 0 || (rc == 0 && len < sid->id_len)) {
            node = node->left;

        } else {
            node = node->right;
        }
    }

    return NULL;
}


static SSL_SESSION *
lt_ssl_get_cached_session(SSL *ssl_conn, const unsigned char *id, int len, int *copy)
{
    size_t                   slen;
    const u_char            *p;
    u_char                   buf[LT_SSL_MAX_SESSION_SIZE];
    SSL_SESSION             *sess;
    lt_shm_zone_t           *shm_zone;
    lt_slab_pool_t          *shpool;
    lt_ssl_sess_id_t        *sid;
    lt_ssl_session_cache_t  *cache;

    *copy = 0;

    shm_zone = SSL_CTX_get_ex_data(lt_ssl_session_ctx(ssl_conn), lt_ssl_session_cache_index);

    if (shm_zone == NULL || len <= 0) {
        return NULL;
    }

    cache = shm_zone->data;
    shpool = (lt_slab_pool_t *) shm_zone->shm.addr;

    sess = NULL;
    slen = 0;

    lt_shmtx_lock(&shpool->mutex);

    sid = lt_ssl_find_session(cache, id, (size_t) len);

    if (sid) {
        if (sid->expire > lt_time()) {
            slen = sid->len;
            memcpy(buf, sid->session, slen);

        } else {
            lt_queue_remove(&sid->queue);
            lt_rbtree_delete(&cache->rbtree, &sid->node);
            lt_slab_free_locked(shpool, sid->session);
            lt_slab_free_locked(shpool, sid);
        }
    }

    lt_shmtx_unlock(&shpool->mutex);

    if (slen) {
        p = buf;
        sess = d2i_SSL_SESSION(NULL, &p, (long) slen);
    }

    return sess;
}


static void
lt_ssl_remove_session(SSL_CTX *ssl, SSL_SESSION *sess)
{
    unsigned int             len;
    const unsigned char     *id;
    lt_shm_zone_t           *shm_zone;
    lt_slab_pool_t          *shpool;
    lt_ssl_sess_id_t        *sid;
    lt_ssl_session_cache_t  *cache;

    shm_zone = SSL_CTX_get_ex_data(ssl, lt_ssl_session_cache_index);

    if (shm_zone == NULL || shm_zone->data == NULL) {
        return;
    }

    cache = shm_zone->data;
    shpool = (lt_slab_pool_t *) shm_zone->shm.addr;

    id = SSL_SESSION_get_id(sess, &len);

    lt_shmtx_lock(&shpool->mutex);

    sid = lt_ssl_find_session(cache, id, len);

    if (sid) {
        lt_queue_remove(&sid->queue);
        lt_rbtree_delete(&cache->rbtree, &sid->node);
        lt_slab_free_locked(shpool, sid->session);
        lt_slab_free_locked(shpool, sid);
    }

    lt_shmtx_unlock(&shpool->mutex);
}


/* session tickets */

static int
lt_ssl_ticket_key_callback(SSL *ssl_conn, unsigned char *name, unsigned char *iv,
    EVP_CIPHER_CTX *ectx, EVP_MAC_CTX *hctx, int enc)
{
    size_t                   i;
    SSL_CTX                 *sctx;
    OSSL_PARAM               params[3];
    lt_array_t              *keys, zone_keys;
    lt_shm_zone_t           *shm_zone;
    const EVP_CIPHER        *cipher;
    lt_ssl_ticket_key_t     *key, zone_copy[2];
    lt_ssl_session_cache_t  *cache;

    sctx = lt_ssl_session_ctx(ssl_conn);
    keys = SSL_CTX_get_ex_data(sctx, lt_ssl_ticket_keys_index);

    if (keys == NULL) {
        /* no key files: the key of the shared cache zone */
        shm_zone = lt_ssl_session_cache_index == -1
                   ? NULL : SSL_CTX_get_ex_data(sctx, lt_ssl_session_cache_index);

        if (shm_zone == NULL || shm_zone->data == NULL) {
            return -1;
        }

        cache = shm_zone->data;

        lt_memzero(&zone_keys, sizeof(lt_array_t));
        zone_keys.elts = zone_copy;
        zone_keys.nelts = lt_ssl_ticket_keys_get(shm_zone, cache,
                                                 SSL_CTX_get_timeout(sctx), enc, zone_copy);
        keys = &zone_keys;
    }

    if (keys->nelts == 0) {
        return -1;
    }

    key = keys->elts;

    if (enc == 1) {
        /* a new ticket: the first key */
        cipher = key[0].size == 16 ? EVP_aes_128_cbc() : EVP_aes_256_cbc();

        if (RAND_bytes(iv, EVP_CIPHER_get_iv_length(cipher)) != 1) {
            return -1;
        }

        if (EVP_EncryptInit_ex(ectx, cipher, NULL, key[0].aes_key, iv) != 1) {
            return -1;
        }

        params[0] = OSSL_PARAM_construct_octet_string(OSSL_MAC_PARAM_KEY, key[0].hmac_key,
                                                      key[0].size);
        params[1] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, "SHA256", 0);
        params[2] = OSSL_PARAM_construct_end();

        if (EVP_MAC_CTX_set_params(hctx, params) != 1) {
            return -1;
        }

        memcpy(name, key[0].name, 16);

        return 1;
    }

    /* an offered ticket: the key by its name */
    for (i = 0; i < keys->nelts; i++) {
        if (memcmp(name, key[i].name, 16) == 0) {
            break;
        }
    }

    if (i == keys->nelts) {
        return 0;
    }

    params[0] = OSSL_PARAM_construct_octet_string(OSSL_MAC_PARAM_KEY, key[i].hmac_key,
                                                  key[i].size);
    params[1] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, "SHA256", 0);
    params[2] = OSSL_PARAM_construct_end();

    if (EVP_MAC_CTX_set_params(hctx, params) != 1) {
        return -1;
    }

    cipher = key[i].size == 16 ? EVP_aes_128_cbc() : EVP_aes_256_cbc();

    if (EVP_DecryptInit_ex(ectx, cipher, NULL, key[i].aes_key, iv) != 1) {
        return -1;
    }

    /* a ticket of an older key is renewed with the current one */
    return i == 0 ? 1 : 2;
}


int
lt_ssl_session_ticket_keys(lt_conf_t *cf, lt_ssl_t *ssl, lt_array_t *paths)
{
    size_t                i;
    lt_str_t             *path, name, content;
    lt_array_t           *keys;
    lt_ssl_ticket_key_t  *key;

    if (paths == NULL || paths->nelts == 0) {
        return LT_OK;
    }

    keys = lt_array_create(cf->pool, paths->nelts, sizeof(lt_ssl_ticket_key_t));
    if (keys == NULL) {
        return LT_ERROR;
    }

    path = paths->elts;

    for (i = 0; i < paths->nelts; i++) {
        name.len = path[i].len;
        name.data = lt_pnalloc(cf->temp_pool, name.len + 1);
        if (name.data == NULL) {
            return LT_ERROR;
        }

        memcpy(name.data, path[i].data, name.len);
        name.data[name.len] = '\0';

        if (lt_conf_full_name(cf->cycle, &name, 1) != LT_OK) {
            return LT_ERROR;
        }

        if (lt_read_whole_file(cf->temp_pool, (char *) name.data, &content) != LT_OK) {
            lt_conf_log_error(LT_LOG_EMERG, cf, errno, "open() \"%s\" failed", name.data);
            return LT_ERROR;
        }

        if (content.len != 48 && content.len != 80) {
            lt_conf_log_error(LT_LOG_EMERG, cf, 0, "\"%s\" must be 48 or 80 bytes",
                              name.data);
            OPENSSL_cleanse(content.data, content.len);
            return LT_ERROR;
        }

        key = lt_array_push(keys);
        if (key == NULL) {
            return LT_ERROR;
        }

        lt_memzero(key, sizeof(lt_ssl_ticket_key_t));

        key->size = content.len == 48 ? 16 : 32;

        /* nginx's layouts, so that one key file serves both: 48 bytes are
         * name, AES key, HMAC key; 80 bytes are name, HMAC key, AES key */
        memcpy(key->name, content.data, 16);

        if (key->size == 16) {
            memcpy(key->aes_key, content.data + 16, 16);
            memcpy(key->hmac_key, content.data + 32, 16);

        } else {
            memcpy(key->hmac_key, content.data + 16, 32);
            memcpy(key->aes_key, content.data + 48, 32);
        }

        OPENSSL_cleanse(content.data, content.len);
    }

    if (SSL_CTX_set_ex_data(ssl->ctx, lt_ssl_ticket_keys_index, keys) == 0) {
        lt_ssl_error(LT_LOG_EMERG, ssl->log, 0, "SSL_CTX_set_ex_data() failed");
        return LT_ERROR;
    }

    if (SSL_CTX_set_tlsext_ticket_key_evp_cb(ssl->ctx, lt_ssl_ticket_key_callback) == 0) {
        lt_ssl_error(LT_LOG_EMERG, ssl->log, 0,
                     "SSL_CTX_set_tlsext_ticket_key_evp_cb() failed");
        return LT_ERROR;
    }

    return LT_OK;
}


int
lt_ssl_session_ticket_zone(lt_ssl_t *ssl, lt_shm_zone_t *shm_zone)
{
    if (shm_zone == NULL || SSL_CTX_get_ex_data(ssl->ctx, lt_ssl_ticket_keys_index)) {
        return LT_OK;
    }

    if (SSL_CTX_set_tlsext_ticket_key_evp_cb(ssl->ctx, lt_ssl_ticket_key_callback) == 0) {
        lt_ssl_error(LT_LOG_EMERG, ssl->log, 0,
                     "SSL_CTX_set_tlsext_ticket_key_evp_cb() failed");
        return LT_ERROR;
    }

    return LT_OK;
}
