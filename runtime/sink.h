/* Sinks: the callable that external(ID, F, SOURCES) and store(...) return,
 * and the check every sink call goes through (arguments and static sources
 * inspected, an event recorded when something is found, the destination
 * host worked out). The tracer uses the same check (hooks.h). */
#ifndef SST_RT_SINK_H
#define SST_RT_SINK_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include "frame.h"

typedef struct sst_sink_call {
    PyObject *kind;          /* "external" or "store" */
    PyObject *id;            /* catalogue path of the sink (str) */
    PyObject *func;          /* the callee, for its client's base_url/host; may be NULL */
    PyObject *const *args;   /* vectorcall arguments */
    Py_ssize_t nargs;
    PyObject *kwnames;       /* tuple or NULL */
    PyObject *sources;       /* tuple of static sources, or NULL */
    PyObject *detection;     /* "static", "tracer" or "manual" */
    PyObject *service;       /* overrides the catalogue's service, or NULL */
    PyObject *destination;   /* overrides the computed destination, or NULL */
    const sst_frame *frame;  /* site of the call; NULL: the running Python frame */
} sst_sink_call;

/* Inspects CALL and records an event when a tagged value or a detector match
 * is found. Returns 1 if an event was recorded, 0 if not; -1 only when an
 * exception that is not an Exception (KeyboardInterrupt) must propagate.
 * Internal failures are counted, never raised. */
int sst_sink_check(const sst_sink_call *call);

typedef struct {
    PyObject_HEAD
    vectorcallfunc vectorcall;
    PyObject *kind;
    PyObject *id;
    PyObject *func;
    PyObject *sources;
} SstSink;

extern PyTypeObject SstSink_Type;

/* A sink wrapper of FUNC (from a free list: no malloc in the steady state). */
PyObject *sst_sink_new(PyObject *kind, PyObject *id, PyObject *func, PyObject *sources);

#endif
