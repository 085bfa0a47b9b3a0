/* Events: one JSON object per line (docs/audit-log.md, schema 1), built in C
 * and handed to the configured destinations: the audit log (buffered,
 * O_APPEND whole-line writes, created 0600, fork-safe), an in-memory list
 * and a callback. */
#ifndef SST_RT_EVENTS_H
#define SST_RT_EVENTS_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <string.h>

#define SST_SCHEMA_VERSION 1
#define SST_WHERE_MAX 128      /* bytes of a value's location ("kwargs.json['email']") */
#define SST_PREVIEW_MAX 96     /* bytes of a redacted preview */
#define SST_MAX_VALUES 8       /* value records per event */

/* A growable byte buffer; `failed` is set when memory ran out. */
typedef struct sst_buf {
    char *data;
    size_t len, cap;
    int failed;
} sst_buf;

int sst_buf_grow(sst_buf *b, size_t extra);   /* 0, or -1 and b->failed */

static inline void sst_buf_put(sst_buf *b, const char *s, size_t n)
{
    if (b->len + n > b->cap && sst_buf_grow(b, n)) return;
    memcpy(b->data + b->len, s, n);
    b->len += n;
}

static inline void sst_buf_puts(sst_buf *b, const char *s)
{
    sst_buf_put(b, s, strlen(s));
}
void sst_buf_json_str(sst_buf *b, PyObject *str);          /* NULL/None -> null */
void sst_buf_json_utf8(sst_buf *b, const char *s, size_t n);
void sst_buf_json_long(sst_buf *b, long long v);

typedef struct sst_writer {
    char *path;            /* audit log path, NULL for none */
    int fd;                /* -1 until the first flush opens it */
    int owns_fd;           /* 0 for stderr */
    sst_buf out;           /* whole lines waiting for the next write */
    size_t threshold;      /* flush when this many bytes wait */
    int memory;            /* keep lines in memory_lines too */
    PyObject *memory_lines;    /* list of str */
    Py_ssize_t memory_cap;
    PyObject *callback;    /* called with each event as a dict, or NULL */
    PyObject *json_loads;  /* json.loads, for the callback */
    int warned_nowhere;    /* "no audit log configured" said once */
    int open_failed_reported;
    uint64_t lost;         /* lines that could not be written */
} sst_writer;

void sst_writer_init(sst_writer *w);
/* Flushes, then sends later lines to PATH ("stderr": standard error; NULL: none). */
int sst_writer_set_path(sst_writer *w, const char *path);
/* Writes out every waiting line. Never raises. */
void sst_writer_flush(sst_writer *w);
/* In a forked child: forget the parent's waiting lines. */
void sst_writer_forget(sst_writer *w);
/* In a forked child: the process id changed. */
void sst_events_forked(void);
void sst_writer_close(sst_writer *w);

typedef struct sst_value_item {
    char where[SST_WHERE_MAX];
    uint32_t cats;
    char preview[SST_PREVIEW_MAX];
    PyObject *raw;         /* str: the raw value (written only with values=True), or NULL */
} sst_value_item;

struct SstContext;

typedef struct sst_event {
    PyObject *kind;            /* "external" or "store" */
    PyObject *sink;            /* sink id (str) */
    PyObject *service;         /* str or NULL */
    PyObject *destination;     /* str or NULL */
    PyObject *file;            /* str or NULL */
    int line;
    PyObject *function;        /* str or NULL */
    uint32_t cats;
    PyObject *origins;         /* list of Origin, or NULL */
    struct SstContext *ctx;
    PyObject *detection;       /* "static", "tracer" or "manual" */
    const sst_value_item *values;
    size_t nvalues;
} sst_event;

/* Builds the line of EV and hands it to every destination. 0, or -1 with an
 * exception (the caller counts it as an internal failure). */
int sst_event_record(const sst_event *ev);

#endif
