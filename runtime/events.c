/* Building event lines (JSON, fixed key order, UTF-8) and delivering them:
 * the audit log buffer (one write(2) of whole lines on an O_APPEND
 * descriptor, so threads and processes sharing the file never tear a line),
 * the in-memory list and the callback. */
#include "events.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sst/rewrite.h>

#include "context.h"
#include "state.h"

/* ---- buffer ------------------------------------------------------------- */

int sst_buf_grow(sst_buf *b, size_t extra)
{
    if (b->failed) return -1;
    if (b->len + extra <= b->cap) return 0;
    size_t cap = b->cap ? b->cap : 1024;
    while (cap < b->len + extra) cap *= 2;
    char *d = realloc(b->data, cap);
    if (!d) {
        b->failed = 1;
        return -1;
    }
    b->data = d;
    b->cap = cap;
    return 0;
}

void sst_buf_json_long(sst_buf *b, long long v)
{
    char tmp[32];
    int n = snprintf(tmp, sizeof tmp, "%lld", v);
    sst_buf_put(b, tmp, (size_t)n);
}

/* One code point, escaped as JSON with ensure_ascii off: quote, backslash
 * and control characters escaped, lone surrogates as \udxxx, the rest UTF-8. */
static void put_cp(sst_buf *b, Py_UCS4 c)
{
    char tmp[8];
    size_t n = 0;
    switch (c) {
    case '"': sst_buf_put(b, "\\\"", 2); return;
    case '\\': sst_buf_put(b, "\\\\", 2); return;
    case '\n': sst_buf_put(b, "\\n", 2); return;
    case '\r': sst_buf_put(b, "\\r", 2); return;
    case '\t': sst_buf_put(b, "\\t", 2); return;
    case '\b': sst_buf_put(b, "\\b", 2); return;
    case '\f': sst_buf_put(b, "\\f", 2); return;
    default: break;
    }
    if (c < 0x20 || (c >= 0xD800 && c <= 0xDFFF)) {
        n = (size_t)snprintf(tmp, sizeof tmp, "\\u%04x", (unsigned)c);
    } else if (c < 0x80) {
        tmp[n++] = (char)c;
    } else if (c < 0x800) {
        tmp[n++] = (char)(0xC0 | (c >> 6));
        tmp[n++] = (char)(0x80 | (c & 0x3F));
    } else if (c < 0x10000) {
        tmp[n++] = (char)(0xE0 | (c >> 12));
        tmp[n++] = (char)(0x80 | ((c >> 6) & 0x3F));
        tmp[n++] = (char)(0x80 | (c & 0x3F));
    } else {
        tmp[n++] = (char)(0xF0 | (c >> 18));
        tmp[n++] = (char)(0x80 | ((c >> 12) & 0x3F));
        tmp[n++] = (char)(0x80 | ((c >> 6) & 0x3F));
        tmp[n++] = (char)(0x80 | (c & 0x3F));
    }
    sst_buf_put(b, tmp, n);
}

static int plain_ascii(unsigned char c)
{
    return c >= 0x20 && c < 0x80 && c != '"' && c != '\\';
}

void sst_buf_json_str(sst_buf *b, PyObject *s)
{
    if (!s || s == Py_None || !PyUnicode_Check(s) || PyUnicode_READY(s) < 0) {
        if (PyErr_Occurred()) PyErr_Clear();
        sst_buf_put(b, "null", 4);
        return;
    }
    sst_buf_put(b, "\"", 1);
    Py_ssize_t n = PyUnicode_GET_LENGTH(s);
    if (PyUnicode_IS_ASCII(s)) {
        const unsigned char *d = (const unsigned char *)PyUnicode_DATA(s);
        Py_ssize_t i = 0;
        while (i < n) {
            Py_ssize_t j = i;
            while (j < n && plain_ascii(d[j])) j++;
            sst_buf_put(b, (const char *)d + i, (size_t)(j - i));
            if (j < n) put_cp(b, d[j++]);
            i = j;
        }
    } else {
        int kind = PyUnicode_KIND(s);
        const void *data = PyUnicode_DATA(s);
        for (Py_ssize_t i = 0; i < n; i++) put_cp(b, PyUnicode_READ(kind, data, i));
    }
    sst_buf_put(b, "\"", 1);
}

void sst_buf_json_utf8(sst_buf *b, const char *s, size_t n)
{
    sst_buf_put(b, "\"", 1);
    size_t i = 0;
    while (i < n) {
        size_t j = i;
        while (j < n && ((unsigned char)s[j] >= 0x80 || plain_ascii((unsigned char)s[j]))) j++;
        sst_buf_put(b, s + i, j - i);
        if (j < n) put_cp(b, (unsigned char)s[j++]);
        i = j;
    }
    sst_buf_put(b, "\"", 1);
}

/* ---- writer ------------------------------------------------------------- */

void sst_writer_init(sst_writer *w)
{
    memset(w, 0, sizeof *w);
    w->fd = -1;
    w->threshold = 64 * 1024;
    w->memory_cap = 1000000;
}

static void say(const char *fmt, const char *a, const char *b)
{
    fprintf(stderr, "sst_runtime: ");
    fprintf(stderr, fmt, a, b);
    fputc('\n', stderr);
    fflush(stderr);
}

static uint64_t count_lines(const char *s, size_t n)
{
    uint64_t k = 0;
    for (size_t i = 0; i < n; i++) k += s[i] == '\n';
    return k;
}

void sst_writer_flush(sst_writer *w)
{
    if (!w->out.len) return;
    if (w->fd < 0 && w->path) {
        if (!strcmp(w->path, "stderr")) {
            w->fd = 2;
            w->owns_fd = 0;
        } else {
            w->fd = open(w->path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
            w->owns_fd = 1;
            if (w->fd < 0 && !w->open_failed_reported) {
                w->open_failed_reported = 1;
                say("cannot open the audit log %s: %s; its events are lost", w->path, strerror(errno));
            }
        }
    }
    const char *p = w->out.data;
    size_t left = w->out.len;
    while (w->fd >= 0 && left) {
        ssize_t n = write(w->fd, p, left);   /* whole lines, one call: no torn line */
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            if (!w->open_failed_reported) {
                w->open_failed_reported = 1;
                say("cannot write the audit log %s: %s; its events are lost", w->path, strerror(errno));
            }
            break;
        }
        p += n;
        left -= (size_t)n;
    }
    if (left) w->lost += count_lines(p, left);
    w->out.len = 0;
}

int sst_writer_set_path(sst_writer *w, const char *path)
{
    char *copy = NULL;
    if (path && !(copy = strdup(path))) {
        PyErr_NoMemory();
        return -1;
    }
    sst_writer_flush(w);
    if (w->fd >= 0 && w->owns_fd) close(w->fd);
    w->fd = -1;
    free(w->path);
    w->path = copy;
    w->open_failed_reported = 0;
    return 0;
}

void sst_writer_forget(sst_writer *w)
{
    w->out.len = 0;
}

void sst_writer_close(sst_writer *w)
{
    sst_writer_flush(w);
    if (w->fd >= 0 && w->owns_fd) close(w->fd);
    w->fd = -1;
}

/* ---- events ------------------------------------------------------------- */

static sst_buf line;   /* scratch for building one event; guarded by the GIL */

static void put_key(sst_buf *b, const char *key)
{
    sst_buf_puts(b, key);
}

static void put_categories(sst_buf *b, uint32_t cats)
{
    sst_buf_put(b, "[", 1);
    int first = 1;
    for (unsigned i = 0; i < SST_CAT_COUNT; i++) {
        if (!(cats & (1u << i))) continue;
        if (!first) sst_buf_put(b, ",", 1);
        first = 0;
        const char *name = sst_category_name(i);
        sst_buf_json_utf8(b, name, strlen(name));
    }
    sst_buf_put(b, "]", 1);
}

static void put_origin(sst_buf *b, PyObject *o)
{
    static const char *const keys[] = {"{\"kind\":", ",\"source\":", ",\"key\":", ",\"file\":", ",\"line\":"};
    for (Py_ssize_t i = 0; i < 5; i++) {
        PyObject *v = PyTuple_GET_ITEM(o, i);
        put_key(b, keys[i]);
        if (i == 4 && PyLong_Check(v)) sst_buf_json_long(b, PyLong_AsLongLong(v));
        else sst_buf_json_str(b, v);
    }
    sst_buf_put(b, "}", 1);
}

/* "time":"2026-11-21T04:29:00.123456Z", the seconds formatted once per
 * second (the GIL guards the cache). */
static void put_time(sst_buf *b)
{
    static time_t cached_sec = -1;
    static char cached[32];
    static size_t cached_len;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    if (ts.tv_sec != cached_sec) {
        struct tm tm;
        gmtime_r(&ts.tv_sec, &tm);
        cached_len = (size_t)snprintf(cached, sizeof cached, "\"%04d-%02d-%02dT%02d:%02d:%02d.", tm.tm_year + 1900,
                                      tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
        cached_sec = ts.tv_sec;
    }
    char frac[9];
    long us = ts.tv_nsec / 1000;
    for (int i = 5; i >= 0; i--) {
        frac[i] = (char)('0' + us % 10);
        us /= 10;
    }
    frac[6] = 'Z';
    frac[7] = '"';
    sst_buf_put(b, cached, cached_len);
    sst_buf_put(b, frac, 8);
}

/* getpid() once per process: reset by the fork handler (sst_events_forked). */
static long long cached_pid = -1;

void sst_events_forked(void)
{
    cached_pid = -1;
}

static void build(sst_buf *b, const sst_event *ev)
{
    b->len = 0;
    b->failed = 0;
    sst_buf_puts(b, "{\"schema\":");
    sst_buf_json_long(b, SST_SCHEMA_VERSION);
    put_key(b, ",\"time\":");
    put_time(b);
    put_key(b, ",\"pid\":");
    if (cached_pid < 0) cached_pid = (long long)getpid();
    sst_buf_json_long(b, cached_pid);
    put_key(b, ",\"kind\":");
    sst_buf_json_str(b, ev->kind);
    put_key(b, ",\"sink\":");
    sst_buf_json_str(b, ev->sink);
    put_key(b, ",\"service\":");
    sst_buf_json_str(b, ev->service);
    put_key(b, ",\"destination\":");
    sst_buf_json_str(b, ev->destination);
    put_key(b, ",\"file\":");
    sst_buf_json_str(b, ev->file);
    put_key(b, ",\"line\":");
    sst_buf_json_long(b, ev->line);
    put_key(b, ",\"function\":");
    sst_buf_json_str(b, ev->function);
    put_key(b, ",\"categories\":");
    put_categories(b, ev->cats);
    put_key(b, ",\"origins\":[");
    Py_ssize_t no = ev->origins ? PyList_GET_SIZE(ev->origins) : 0;
    for (Py_ssize_t i = 0; i < no; i++) {
        if (i) sst_buf_put(b, ",", 1);
        put_origin(b, PyList_GET_ITEM(ev->origins, i));
    }
    put_key(b, "],\"request\":");
    const SstContext *ctx = ev->ctx;
    if (!ctx || ctx->is_default) {
        sst_buf_puts(b, "null");
    } else {
        put_key(b, "{\"id\":");
        sst_buf_json_str(b, ctx->request_id);
        put_key(b, ",\"method\":");
        sst_buf_json_str(b, ctx->method);
        put_key(b, ",\"path\":");
        sst_buf_json_str(b, ctx->path);
        put_key(b, ",\"endpoint\":");
        sst_buf_json_str(b, ctx->endpoint);
        sst_buf_put(b, "}", 1);
    }
    put_key(b, ",\"detection\":");
    sst_buf_json_str(b, ev->detection);
    put_key(b, ",\"values\":[");
    for (size_t i = 0; i < ev->nvalues; i++) {
        const sst_value_item *v = &ev->values[i];
        if (i) sst_buf_put(b, ",", 1);
        put_key(b, "{\"where\":");
        sst_buf_json_utf8(b, v->where, strlen(v->where));
        put_key(b, ",\"categories\":");
        put_categories(b, v->cats);
        put_key(b, ",\"preview\":");
        sst_buf_json_utf8(b, v->preview, strlen(v->preview));
        if (sst_rt.values && v->raw) {
            put_key(b, ",\"value\":");
            sst_buf_json_str(b, v->raw);
        }
        sst_buf_put(b, "}", 1);
    }
    sst_buf_puts(b, "]}\n");
}

static int deliver_callback(sst_writer *w, const char *text, size_t n)
{
    if (!w->json_loads) {
        PyObject *json = PyImport_ImportModule("json");
        if (!json) return -1;
        w->json_loads = PyObject_GetAttrString(json, "loads");
        Py_DECREF(json);
        if (!w->json_loads) return -1;
    }
    PyObject *s = PyUnicode_DecodeUTF8(text, (Py_ssize_t)n, "strict");
    if (!s) return -1;
    PyObject *event = PyObject_CallOneArg(w->json_loads, s);
    Py_DECREF(s);
    if (!event) return -1;
    PyObject *callback = w->callback;
    Py_INCREF(callback);
    sst_busy++;
    PyObject *r = PyObject_CallOneArg(callback, event);
    sst_busy--;
    Py_DECREF(callback);
    Py_DECREF(event);
    if (!r) return -1;
    Py_DECREF(r);
    return 0;
}

int sst_event_record(const sst_event *ev)
{
    sst_writer *w = &sst_rt.writer;
    build(&line, ev);
    if (line.failed) {
        PyErr_NoMemory();
        return -1;
    }
    sst_rt.events++;
    if (w->path) {
        sst_buf_put(&w->out, line.data, line.len);
        if (w->out.failed) {
            w->out.failed = 0;
            w->lost++;
        }
        /* Outside a request nothing else would flush it (a server with no
         * integration, a process killed before exit): write it now. */
        if (w->out.len >= w->threshold || !ev->ctx || ev->ctx->is_default) sst_writer_flush(w);
    }
    if (w->memory && w->memory_lines) {
        if (PyList_GET_SIZE(w->memory_lines) < w->memory_cap) {
            PyObject *s = PyUnicode_DecodeUTF8(line.data, (Py_ssize_t)line.len - 1, "strict");
            if (!s) return -1;
            int rc = PyList_Append(w->memory_lines, s);
            Py_DECREF(s);
            if (rc) return -1;
        } else {
            w->lost++;
        }
    }
    if (w->callback && deliver_callback(w, line.data, line.len - 1)) return -1;
    if (!w->path && !w->memory && !w->callback && !w->warned_nowhere) {
        w->warned_nowhere = 1;
        say("%s%s", "an event was recorded but no audit log is configured ",
            "(set SST_AUDIT_LOG or call sst_runtime.configure(audit_log=...))");
    }
    return 0;
}
