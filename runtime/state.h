/* The process-wide state of the extension: configuration, the catalogue,
 * the default context, counters and the interned strings every part uses.
 * One instance (sst_rt), guarded by the GIL; per-thread flags live here too. */
#ifndef SST_RT_STATE_H
#define SST_RT_STATE_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>

#include <sst/rewrite.h>

#include "events.h"

typedef struct SstContext SstContext;

typedef struct sst_state {
    sst_catalog *catalog;        /* NULL until sst_rt_catalog() builds it */
    PyObject *contextvar;        /* ContextVar holding the open SstContext */
    SstContext *default_ctx;     /* used when no context is open (scripts) */
    Py_ssize_t tagged_total;     /* tagged values over all contexts; 0: fast path */
    Py_ssize_t max_tags;         /* cap of each new context's registry */
    int values;                  /* write raw values (opt-in) */
    sst_writer writer;           /* the audit log and its buffers (events.c) */
    void *detector;              /* sst_detect handle, or NULL (scan.c) */

    uint64_t failures;           /* internal failures swallowed */
    int failure_reported;        /* the first one was printed on stderr */
    uint64_t events;             /* events recorded by this process */
    uint64_t dropped;            /* tags dropped by full registries */

    /* interned strings */
    PyObject *s_request, *s_parameter, *s_pattern, *s_store, *s_manual;   /* origin kinds */
    PyObject *s_external, *s_static, *s_tracer;      /* event kind, detections */
    PyObject *s_base_url, *s_host, *s__host, *s__client, *s_self;   /* client attributes */
    PyObject *s_url, *s_scheme;                      /* "url" keyword, "://" */
} sst_state;

extern sst_state sst_rt;

/* Thread-locals of the extension use the initial-exec model: a plain
 * %fs-relative access instead of a __tls_get_addr call on the hot path. */
#define SST_TLS _Thread_local __attribute__((tls_model("initial-exec")))

/* >0 while the callee of a statically wrapped sink runs on this thread (the
 * tracer skips such calls, see hooks.h). */
extern SST_TLS int sst_sink_depth;
/* >0 while the runtime itself runs Python code (callbacks, attribute reads):
 * sinks reached from there record nothing. */
extern SST_TLS int sst_busy;

/* Swallows the pending exception as an internal failure of WHERE: counted,
 * the first one reported on stderr. Returns 0, or -1 when the exception is
 * not an Exception (KeyboardInterrupt, SystemExit) and must propagate. */
int sst_failure(const char *where);

/* The catalogue: the built-in entries are parsed at its first use, not when
 * the extension is imported (most imports, a warm import-hook cache for one,
 * never need it). NULL with an exception set when it does not load. */
sst_catalog *sst_rt_catalog(void);

#endif
