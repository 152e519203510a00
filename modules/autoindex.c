/*
 * autoindex.c: directory listings (http_autoindex). A GET or HEAD of a URI ending
 * in "/" that the index module did not redirect gets a listing of the directory,
 * as HTML (nginx's page), XML, JSON or JSONP. Names starting with "." are not
 * listed; directories come first, then the rest, each group by name (bytes).
 *
 * The handler runs in the content phase after index and before static: its line
 * in auto/modules_list sits between theirs, and handlers of a phase run in the
 * reverse order of modules.
 */

#include "lt_http.h"

#include <dirent.h>

#define LT_HTTP_AUTOINDEX_HTML   0
#define LT_HTTP_AUTOINDEX_JSON   1
#define LT_HTTP_AUTOINDEX_JSONP  2
#define LT_HTTP_AUTOINDEX_XML    3

/* the width of the name column of the HTML listing, in characters */
#define LT_HTTP_AUTOINDEX_NAME_LEN      50

/* the longest JSONP callback name accepted */
#define LT_HTTP_AUTOINDEX_CALLBACK_MAX  128

typedef struct {
    int        enable;
    unsigned   format;
    int        localtime;
    int        exact_size;
} lt_http_autoindex_loc_conf_t;

typedef struct {
    lt_str_t   name;        /* NUL-terminated */
    size_t     utf_len;     /* characters, when the page is UTF-8; else name.len */
    size_t     escape;      /* name.len escaped as a URI component */
    size_t     escape_html; /* name.len escaped for HTML text */
    unsigned   dir:1;
    unsigned   file:1;
    time_t     mtime;
    off_t      size;
} lt_http_autoindex_entry_t;

static void *lt_http_autoindex_create_loc_conf(lt_conf_t *cf);
static char *lt_http_autoindex_merge_loc_conf(lt_conf_t *cf, void *parent, void *child);
static int lt_http_autoindex_init(lt_conf_t *cf);

static const lt_conf_enum_t  lt_http_autoindex_formats[] = {
    { lt_string("html"), LT_HTTP_AUTOINDEX_HTML },
    { lt_string("xml"), LT_HTTP_AUTOINDEX_XML },
    { lt_string("json"), LT_HTTP_AUTOINDEX_JSON },
    { lt_string("jsonp"), LT_HTTP_AUTOINDEX_JSONP },
    lt_conf_enum_end
};

static lt_command_t  lt_http_autoindex_commands[] = {

    { "autoindex", LT_HTTP_ANY_CONF, 1, 1, lt_conf_set_flag_slot, LT_LOC_CONF,
      offsetof(lt_http_autoindex_loc_conf_t, enable), NULL },

    { "autoindex_format", LT_HTTP_ANY_CONF, 1, 1, lt_conf_set_enum_slot, LT_LOC_CONF,
      offsetof(lt_http_autoindex_loc_conf_t, format), lt_http_autoindex_formats },

    { "autoindex_localtime", LT_HTTP_ANY_CONF, 1, 1, lt_conf_set_flag_slot, LT_LOC_CONF,
      offsetof(lt_http_autoindex_loc_conf_t, localtime), NULL },

    { "autoindex_exact_size", LT_HTTP_ANY_CONF, 1, 1, lt_conf_set_flag_slot, LT_LOC_CONF,
      offsetof(lt_http_autoindex_loc_conf_t, exact_size), NULL },

    lt_null_command
};

lt_module_t  lt_http_autoindex_module = {
    .name = "http_autoindex",
    .type = LT_HTTP_MODULE,
    .commands = lt_http_autoindex_commands,
    .postconfiguration = lt_http_autoindex_init,
    .create_loc_conf = lt_http_autoindex_create_loc_conf,
    .merge_loc_conf = lt_http_autoindex_merge_loc_conf,
};

static const char  *lt_http_autoindex_months[] = {
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"
};


/* lt_http_autoindex_utf8_length: characters in a UTF-8 string; its byte length
 * when it is not valid UTF-8 (it is then shown byte by byte) */
static size_t
lt_http_autoindex_utf8_length(u_char *p, size_t n)
{
    u_char  *last;
    size_t   len;

    last = p + n;

    for (len = 0; p < last; len++) {
        if (*p < 0x80) {
            p++;
            continue;
        }

        if (lt_utf8_decode(&p, last - p) > 0x10ffff) {
            return n;
        }
    }

    return len;
}


/* lt_http_autoindex_utf8_bytes: the bytes of the first n characters of valid UTF-8 */
static size_t
lt_http_autoindex_utf8_bytes(u_char *p, size_t len, size_t n)
{
    u_char  *start, *last;

    start = p;
    last = p + len;

    while (n-- && p < last) {
        if (*p < 0x80) {
            p++;

        } else {
            (void) lt_utf8_decode(&p, last - p);
        }
    }

    return p - start;
}


/* lt_http_autoindex_cmp: directories first, then by name */
static int
lt_http_autoindex_cmp(const void *one, const void *two)
{
    const lt_http_autoindex_entry_t  *first = one;
    const lt_http_autoindex_entry_t  *second = two;

    if (first->dir && !second->dir) {
        return -1;
    }

    if (!first->dir && second->dir) {
        return 1;
    }

    return lt_strcmp(first->name.data, second->name.data);
}


/* lt_http_autoindex_jsonp_callback: the "callback" argument, checked; an empty
 * callback->len when there is none. LT_OK, or LT_DECLINED for a bad name. */
static int
lt_http_autoindex_jsonp_callback(lt_http_request_t *r, lt_str_t *callback)
{
    u_char  c;
    size_t  i;

    if (lt_http_arg(&r->args, (u_char *) "callback", 8, callback) != LT_OK) {
        callback->len = 0;
        return LT_OK;
    }

    if (callback->len > LT_HTTP_AUTOINDEX_CALLBACK_MAX) {
        lt_log_error(LT_LOG_INFO, r->connection->log, 0,
                     "client sent too long callback name: \"%.*s\"",
                     (int) callback->len, callback->data);
        return LT_DECLINED;
    }

    for (i = 0; i < callback->len; i++) {
        c = callback->data[i];

        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
            || c == '_' || c == '.')
        {
            continue;
        }

        lt_log_error(LT_LOG_INFO, r->connection->log, 0,
                     "client sent invalid callback name: \"%.*s\"",
                     (int) callback->len, callback->data);
        return LT_DECLINED;
    }

    return LT_OK;
}


/* lt_http_autoindex_open_error: the status for a failed opendir(), logged */
static int
lt_http_autoindex_open_error(lt_http_request_t *r, lt_str_t *path, int err)
{
    int       rc;
    unsigned  level;

    switch (err) {

    case ENOENT:
    case ENOTDIR:
    case ENAMETOOLONG:
        level = LT_LOG_ERR;
        rc = LT_HTTP_NOT_FOUND;
        break;

    case EACCES:
        level = LT_LOG_ERR;
        rc = LT_HTTP_FORBIDDEN;
        break;

    default:
        level = LT_LOG_CRIT;
        rc = LT_HTTP_INTERNAL_SERVER_ERROR;
    }

    lt_log_error(level, r->connection->log, err, "opendir() \"%s\" failed", path->data);

    return rc;
}


/* lt_http_autoindex_stat: the entry's file information (the target of a symlink;
 * the link itself when that is dangling). filename holds "path/" and room for the
 * name. LT_OK, LT_DECLINED (skip the entry) or LT_ERROR (logged). */
static int
lt_http_autoindex_stat(lt_http_request_t *r, lt_str_t *path, u_char *filename,
    u_char *name, size_t len, struct stat *st)
{
    int  err;

    lt_memcpy(filename + path->len + 1, name, len + 1);

    if (stat((char *) filename, st) == 0) {
        return LT_OK;
    }

    err = errno;

    if (err != ENOENT && err != ELOOP) {
        lt_log_error(LT_LOG_CRIT, r->connection->log, err, "stat() \"%s\" failed", filename);
        return err == EACCES ? LT_DECLINED : LT_ERROR;
    }

    if (lstat((char *) filename, st) == -1) {
        lt_log_error(LT_LOG_CRIT, r->connection->log, errno, "lstat() \"%s\" failed",
                     filename);
        return LT_ERROR;
    }

    return LT_OK;
}


/* lt_http_autoindex_read: the entries of an open directory, sorted, into
 * *entries. LT_OK or LT_ERROR (logged). */
static int
lt_http_autoindex_read(lt_http_request_t *r, DIR *dir, lt_str_t *path, lt_array_t *entries)
{
    int                         rc;
    size_t                      len;
    u_char                     *filename;
    struct stat                 st;
    struct dirent              *de;
    lt_http_autoindex_entry_t  *entry;

    /* "path/name" for stat(), one buffer for all the names */
    filename = lt_pnalloc(r->pool, path->len + 1 + sizeof(de->d_name));
    if (filename == NULL) {
        return LT_ERROR;
    }

    lt_memcpy(filename, path->data, path->len);
    filename[path->len] = '/';

    for ( ;; ) {
        errno = 0;
        de = readdir(dir);

        if (de == NULL) {
            if (errno != 0) {
                lt_log_error(LT_LOG_CRIT, r->connection->log, errno,
                             "readdir() \"%s\" failed", path->data);
                return LT_ERROR;
            }

            break;
        }

        if (de->d_name[0] == '.') {
            continue;
        }

        len = lt_strlen(de->d_name);

        rc = lt_http_autoindex_stat(r, path, filename, (u_char *) de->d_name, len, &st);

        if (rc == LT_DECLINED) {
            continue;
        }

        if (rc != LT_OK) {
            return LT_ERROR;
        }

        entry = lt_array_push(entries);
        if (entry == NULL) {
            return LT_ERROR;
        }

        entry->name.len = len;
        entry->name.data = lt_pnalloc(r->pool, len + 1);
        if (entry->name.data == NULL) {
            return LT_ERROR;
        }

        lt_memcpy(entry->name.data, de->d_name, len + 1);

        entry->dir = S_ISDIR(st.st_mode) ? 1 : 0;
        entry->file = S_ISREG(st.st_mode) ? 1 : 0;
        entry->mtime = st.st_mtime;
        entry->size = st.st_size;
    }

    if (entries->nelts > 1) {
        qsort(entries->elts, entries->nelts, sizeof(lt_http_autoindex_entry_t),
              lt_http_autoindex_cmp);
    }

    return LT_OK;
}


/* lt_http_autoindex_size: the size column of the HTML listing */
static u_char *
lt_http_autoindex_size(u_char *p, u_char *last, lt_http_autoindex_entry_t *entry,
    int exact)
{
    off_t     length, unit, size;
    u_char    scale;

    if (exact) {
        if (entry->dir) {
            return lt_slprintf(p, last, "%19s", "-");
        }

        return lt_slprintf(p, last, "%19lld", (long long) entry->size);
    }

    if (entry->dir) {
        return lt_slprintf(p, last, "%7s", "-");
    }

    /* rounded to the nearest unit; plain bytes up to 9999 */

    length = entry->size;

    if (length >= 1024 * 1024 * 1024) {
        unit = 1024 * 1024 * 1024;
        scale = 'G';

    } else if (length >= 1024 * 1024) {
        unit = 1024 * 1024;
        scale = 'M';

    } else if (length > 9999) {
        unit = 1024;
        scale = 'K';

    } else {
        return lt_slprintf(p, last, " %6lld", (long long) length);
    }

    size = length / unit;

    if (length % unit >= unit / 2) {
        size++;
    }

    return lt_slprintf(p, last, "%6lld%c", (long long) size, scale);
}


/* lt_http_autoindex_html_name: the link text of an entry: at most NAME_LEN
 * characters ("..>" ends a cut name), HTML-escaped, padded with spaces */
static u_char *
lt_http_autoindex_html_name(u_char *p, lt_http_autoindex_entry_t *entry)
{
    size_t  len, chars, bytes;

    len = entry->utf_len;

    chars = (len > LT_HTTP_AUTOINDEX_NAME_LEN) ? LT_HTTP_AUTOINDEX_NAME_LEN - 3 : len;

    if (len != entry->name.len) {
        bytes = lt_http_autoindex_utf8_bytes(entry->name.data, entry->name.len, chars);

    } else {
        bytes = chars;
    }

    if (entry->escape_html != entry->name.len) {
        p = lt_escape_html(p, entry->name.data, bytes);

    } else {
        p = lt_cpymem(p, entry->name.data, bytes);
    }

    if (len > LT_HTTP_AUTOINDEX_NAME_LEN) {
        return lt_cpymem(p, "..&gt;</a>", sizeof("..&gt;</a>") - 1);
    }

    if (entry->dir && len < LT_HTTP_AUTOINDEX_NAME_LEN) {
        *p++ = '/';
        len++;
    }

    p = lt_cpymem(p, "</a>", sizeof("</a>") - 1);

    lt_memset(p, ' ', LT_HTTP_AUTOINDEX_NAME_LEN - len);

    return p + LT_HTTP_AUTOINDEX_NAME_LEN - len;
}


#define LT_HTTP_AUTOINDEX_HTML_HEAD  "<html>" CRLF "<head><title>Index of "
#define LT_HTTP_AUTOINDEX_HTML_H1    "</title></head>" CRLF "<body>" CRLF "<h1>Index of "
#define LT_HTTP_AUTOINDEX_HTML_PRE   "</h1><hr><pre><a href=\"../\">../</a>" CRLF
#define LT_HTTP_AUTOINDEX_HTML_TAIL  "</pre><hr></body>" CRLF "</html>" CRLF

/* the most an entry's line takes besides its name: href markup, "/", "..&gt;",
 * padding, the date and the size */
#define LT_HTTP_AUTOINDEX_HTML_LINE  (sizeof("<a href=\"/\">..&gt;</a>") \
                                      + LT_HTTP_AUTOINDEX_NAME_LEN + 64 + 24 + 2)

static lt_buf_t *
lt_http_autoindex_html(lt_http_request_t *r, lt_array_t *entries)
{
    int                            utf8;
    size_t                         len, i, uri_len;
    u_char                        *p;
    struct tm                      tm;
    lt_buf_t                      *b;
    lt_http_autoindex_entry_t     *entry;
    lt_http_autoindex_loc_conf_t  *alcf;

    alcf = lt_http_get_module_loc_conf(r, lt_http_autoindex_module);

    utf8 = r->headers_out.charset.len == 5
           && lt_strncasecmp(r->headers_out.charset.data, (u_char *) "utf-8", 5) == 0;

    entry = entries->elts;

    uri_len = r->uri.len + lt_escape_html_len(r->uri.data, r->uri.len);

    len = sizeof(LT_HTTP_AUTOINDEX_HTML_HEAD) - 1 + uri_len
          + sizeof(LT_HTTP_AUTOINDEX_HTML_H1) - 1 + uri_len
          + sizeof(LT_HTTP_AUTOINDEX_HTML_PRE) - 1
          + sizeof(LT_HTTP_AUTOINDEX_HTML_TAIL) - 1;

    for (i = 0; i < entries->nelts; i++) {
        entry[i].escape = lt_escape_uri_len(entry[i].name.data, entry[i].name.len,
                                            LT_ESCAPE_URI_COMPONENT);
        entry[i].escape_html = lt_escape_html_len(entry[i].name.data, entry[i].name.len);
        entry[i].utf_len = utf8 ? lt_http_autoindex_utf8_length(entry[i].name.data,
                                                                entry[i].name.len)
                                : entry[i].name.len;

        len += entry[i].escape + entry[i].escape_html + LT_HTTP_AUTOINDEX_HTML_LINE;
    }

    b = lt_create_temp_buf(r->pool, len);
    if (b == NULL) {
        return NULL;
    }

    p = lt_cpymem(b->last, LT_HTTP_AUTOINDEX_HTML_HEAD,
                  sizeof(LT_HTTP_AUTOINDEX_HTML_HEAD) - 1);
    p = lt_escape_html(p, r->uri.data, r->uri.len);
    p = lt_cpymem(p, LT_HTTP_AUTOINDEX_HTML_H1, sizeof(LT_HTTP_AUTOINDEX_HTML_H1) - 1);
    p = lt_escape_html(p, r->uri.data, r->uri.len);
    p = lt_cpymem(p, LT_HTTP_AUTOINDEX_HTML_PRE, sizeof(LT_HTTP_AUTOINDEX_HTML_PRE) - 1);

    for (i = 0; i < entries->nelts; i++) {
        p = lt_cpymem(p, "<a href=\"", sizeof("<a href=\"") - 1);
        p = lt_escape_uri(p, entry[i].name.data, entry[i].name.len, LT_ESCAPE_URI_COMPONENT);

        if (entry[i].dir) {
            *p++ = '/';
        }

        *p++ = '"';
        *p++ = '>';

        p = lt_http_autoindex_html_name(p, &entry[i]);

        *p++ = ' ';

        if (alcf->localtime) {
            localtime_r(&entry[i].mtime, &tm);

        } else {
            lt_gmtime(entry[i].mtime, &tm);
        }

        p = lt_slprintf(p, b->end, "%02d-%s-%d %02d:%02d ", tm.tm_mday,
                        lt_http_autoindex_months[tm.tm_mon], tm.tm_year + 1900,
                        tm.tm_hour, tm.tm_min);

        p = lt_http_autoindex_size(p, b->end, &entry[i], alcf->exact_size);

        *p++ = CR;
        *p++ = LF;
    }

    p = lt_cpymem(p, LT_HTTP_AUTOINDEX_HTML_TAIL, sizeof(LT_HTTP_AUTOINDEX_HTML_TAIL) - 1);

    b->last = p;

    return b;
}


/* lt_http_autoindex_json: the JSON listing, wrapped in callback(...); for JSONP */
static lt_buf_t *
lt_http_autoindex_json(lt_http_request_t *r, lt_array_t *entries, lt_str_t *callback)
{
    size_t                      len, i;
    u_char                     *p;
    lt_buf_t                   *b;
    lt_http_autoindex_entry_t  *entry;

    entry = entries->elts;

    len = sizeof("[" CRLF "]);" CRLF) - 1;

    if (callback) {
        len += callback->len + 1;
    }

    for (i = 0; i < entries->nelts; i++) {
        entry[i].escape = lt_escape_json_len(entry[i].name.data, entry[i].name.len);

        len += sizeof("," CRLF "{ \"name\":\"\", \"type\":\"directory\", \"mtime\":\"\","
                      " \"size\": }") - 1
               + entry[i].escape + LT_HTTP_TIME_LEN + LT_INT64_LEN;
    }

    b = lt_create_temp_buf(r->pool, len);
    if (b == NULL) {
        return NULL;
    }

    p = b->last;

    if (callback) {
        p = lt_cpymem(p, callback->data, callback->len);
        *p++ = '(';
    }

    *p++ = '[';

    for (i = 0; i < entries->nelts; i++) {
        if (i > 0) {
            *p++ = ',';
        }

        p = lt_cpymem(p, CRLF "{ \"name\":\"", sizeof(CRLF "{ \"name\":\"") - 1);
        p = lt_escape_json(p, entry[i].name.data, entry[i].name.len);
        p = lt_cpymem(p, "\", \"type\":\"", sizeof("\", \"type\":\"") - 1);

        if (entry[i].dir) {
            p = lt_cpymem(p, "directory", sizeof("directory") - 1);

        } else if (entry[i].file) {
            p = lt_cpymem(p, "file", sizeof("file") - 1);

        } else {
            p = lt_cpymem(p, "other", sizeof("other") - 1);
        }

        p = lt_cpymem(p, "\", \"mtime\":\"", sizeof("\", \"mtime\":\"") - 1);
        p = lt_http_time(p, entry[i].mtime);
        *p++ = '"';

        if (entry[i].file) {
            p = lt_cpymem(p, ", \"size\":", sizeof(", \"size\":") - 1);
            p = lt_sprint_uint(p, (uint64_t) entry[i].size);
        }

        p = lt_cpymem(p, " }", 2);
    }

    if (entries->nelts) {
        *p++ = CR;
        *p++ = LF;
    }

    *p++ = ']';

    if (callback) {
        *p++ = ')';
        *p++ = ';';
    }

    *p++ = CR;
    *p++ = LF;

    b->last = p;

    return b;
}


static lt_buf_t *
lt_http_autoindex_xml(lt_http_request_t *r, lt_array_t *entries)
{
    size_t                      len, i;
    u_char                     *p;
    struct tm                   tm;
    lt_buf_t                   *b;
    lt_http_autoindex_entry_t  *entry;

    static const char  head[] = "<?xml version=\"1.0\"?>" CRLF "<list>" CRLF;
    static const char  tail[] = "</list>" CRLF;

    entry = entries->elts;

    len = sizeof(head) - 1 + sizeof(tail) - 1;

    for (i = 0; i < entries->nelts; i++) {
        entry[i].escape_html = lt_escape_html_len(entry[i].name.data, entry[i].name.len);

        len += sizeof("<directory mtime=\"\" size=\"\"></directory>" CRLF) - 1
               + entry[i].escape_html + 64 + LT_INT64_LEN;
    }

    b = lt_create_temp_buf(r->pool, len);
    if (b == NULL) {
        return NULL;
    }

    p = lt_cpymem(b->last, head, sizeof(head) - 1);

    for (i = 0; i < entries->nelts; i++) {
        *p++ = '<';

        if (entry[i].dir) {
            p = lt_cpymem(p, "directory", sizeof("directory") - 1);

        } else if (entry[i].file) {
            p = lt_cpymem(p, "file", sizeof("file") - 1);

        } else {
            p = lt_cpymem(p, "other", sizeof("other") - 1);
        }

        lt_gmtime(entry[i].mtime, &tm);

        p = lt_slprintf(p, b->end, " mtime=\"%04d-%02d-%02dT%02d:%02d:%02dZ\"",
                        tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
                        tm.tm_min, tm.tm_sec);

        if (entry[i].file) {
            p = lt_slprintf(p, b->end, " size=\"%lld\"", (long long) entry[i].size);
        }

        *p++ = '>';

        p = lt_escape_html(p, entry[i].name.data, entry[i].name.len);

        *p++ = '<';
        *p++ = '/';

        if (entry[i].dir) {
            p = lt_cpymem(p, "directory", sizeof("directory") - 1);

        } else if (entry[i].file) {
            p = lt_cpymem(p, "file", sizeof("file") - 1);

        } else {
            p = lt_cpymem(p, "other", sizeof("other") - 1);
        }

        *p++ = '>';
        *p++ = CR;
        *p++ = LF;
    }

    p = lt_cpymem(p, tail, sizeof(tail) - 1);

    b->last = p;

    return b;
}


/* lt_http_autoindex_set_type: Content-Type of the format (XML is always UTF-8) */
static void
lt_http_autoindex_set_type(lt_http_request_t *r, unsigned format)
{
    switch (format) {

    case LT_HTTP_AUTOINDEX_JSON:
        lt_str_set(&r->headers_out.content_type, "application/json");
        break;

    case LT_HTTP_AUTOINDEX_JSONP:
        lt_str_set(&r->headers_out.content_type, "application/javascript");
        break;

    case LT_HTTP_AUTOINDEX_XML:
        lt_str_set(&r->headers_out.content_type, "text/xml");
        lt_str_set(&r->headers_out.charset, "utf-8");
        break;

    default:
        lt_str_set(&r->headers_out.content_type, "text/html");
    }

    r->headers_out.content_type_len = r->headers_out.content_type.len;
    r->headers_out.content_type_lowcase = NULL;
}


/* lt_http_autoindex_send: reads the directory, sends the header and the listing;
 * closes dir */
static int
lt_http_autoindex_send(lt_http_request_t *r, DIR *dir, lt_str_t *path, unsigned format,
    lt_str_t *callback)
{
    int          rc;
    lt_buf_t    *b;
    lt_chain_t   out;
    lt_array_t  *entries;

    r->headers_out.status = LT_HTTP_OK;
    lt_http_autoindex_set_type(r, format);

    rc = lt_http_send_header(r);

    if (rc == LT_ERROR || rc > LT_OK || r->header_only) {
        goto done;
    }

    rc = LT_HTTP_INTERNAL_SERVER_ERROR;

    entries = lt_array_create(r->pool, 40, sizeof(lt_http_autoindex_entry_t));
    if (entries == NULL) {
        goto done;
    }

    if (lt_http_autoindex_read(r, dir, path, entries) != LT_OK) {
        goto done;
    }

    switch (format) {

    case LT_HTTP_AUTOINDEX_JSON:
        b = lt_http_autoindex_json(r, entries, NULL);
        break;

    case LT_HTTP_AUTOINDEX_JSONP:
        b = lt_http_autoindex_json(r, entries, callback);
        break;

    case LT_HTTP_AUTOINDEX_XML:
        b = lt_http_autoindex_xml(r, entries);
        break;

    default:
        b = lt_http_autoindex_html(r, entries);
    }

    if (b == NULL) {
        goto done;
    }

    b->last_buf = (r == r->main) ? 1 : 0;
    b->last_in_chain = 1;

    out.buf = b;
    out.next = NULL;

    rc = lt_http_output_filter(r, &out);

done:

    if (closedir(dir) == -1) {
        lt_log_error(LT_LOG_ALERT, r->connection->log, errno, "closedir() \"%s\" failed",
                     path->data);
    }

    return rc;
}


static int
lt_http_autoindex_handler(lt_http_request_t *r)
{
    int                            rc;
    DIR                           *dir;
    u_char                        *last;
    size_t                         root;
    unsigned                       format;
    lt_str_t                       path, callback;
    lt_http_autoindex_loc_conf_t  *alcf;

    if (r->uri.len == 0 || r->uri.data[r->uri.len - 1] != '/') {
        return LT_DECLINED;
    }

    if (!(r->method & (LT_HTTP_GET | LT_HTTP_HEAD))) {
        return LT_DECLINED;
    }

    alcf = lt_http_get_module_loc_conf(r, lt_http_autoindex_module);

    if (!alcf->enable) {
        return LT_DECLINED;
    }

    rc = lt_http_discard_request_body(r);
    if (rc != LT_OK) {
        return rc;
    }

    last = lt_http_map_uri_to_path(r, &path, &root, 0);
    if (last == NULL) {
        return LT_HTTP_INTERNAL_SERVER_ERROR;
    }

    path.len = last - path.data;

    /* the directory without its trailing slash ("/" stays) */
    if (path.len > 1 && path.data[path.len - 1] == '/') {
        path.len--;
        path.data[path.len] = '\0';
    }

    format = alcf->format;

    lt_str_null(&callback);

    if (format == LT_HTTP_AUTOINDEX_JSONP) {
        if (lt_http_autoindex_jsonp_callback(r, &callback) != LT_OK) {
            return LT_HTTP_BAD_REQUEST;
        }

        if (callback.len == 0) {
            format = LT_HTTP_AUTOINDEX_JSON;
        }
    }

    dir = opendir((char *) path.data);

    if (dir == NULL) {
        return lt_http_autoindex_open_error(r, &path, errno);
    }

    return lt_http_autoindex_send(r, dir, &path, format, &callback);
}


static void *
lt_http_autoindex_create_loc_conf(lt_conf_t *cf)
{
    lt_http_autoindex_loc_conf_t  *conf;

    conf = lt_palloc(cf->pool, sizeof(lt_http_autoindex_loc_conf_t));
    if (conf == NULL) {
        return NULL;
    }

    conf->enable = LT_CONF_UNSET;
    conf->format = LT_CONF_UNSET_UINT;
    conf->localtime = LT_CONF_UNSET;
    conf->exact_size = LT_CONF_UNSET;

    return conf;
}


static char *
lt_http_autoindex_merge_loc_conf(lt_conf_t *cf, void *parent, void *child)
{
    lt_http_autoindex_loc_conf_t  *prev = parent;
    lt_http_autoindex_loc_conf_t  *conf = child;

    lt_conf_merge_value(conf->enable, prev->enable, 0);
    lt_conf_merge_uint_value(conf->format, prev->format, LT_HTTP_AUTOINDEX_HTML);
    lt_conf_merge_value(conf->localtime, prev->localtime, 0);
    lt_conf_merge_value(conf->exact_size, prev->exact_size, 1);

    return LT_CONF_OK;
}


static int
lt_http_autoindex_init(lt_conf_t *cf)
{
    return lt_http_add_phase_handler(cf, LT_HTTP_CONTENT_PHASE, lt_http_autoindex_handler);
}
