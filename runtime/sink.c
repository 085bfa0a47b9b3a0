/* The sink wrapper type (vectorcall, free list) and the sink check: scan the
 * arguments and static sources, and when something is found work out the
 * destination (URL argument, the client's base_url/host, the catalogue) and
 * record the event. The callee then runs with the original arguments. */
#include "sink.h"

#include <stdio.h>
#include <string.h>

#include "context.h"
#include "events.h"
#include "scan.h"
#include "sitecache.h"
#include "state.h"

/* ---- destination -------------------------------------------------------- */

/* Host of URL text "scheme://[user@]host[:port]/..." (brackets of an IPv6
 * literal removed), or NULL without an exception. */
static PyObject *url_host(PyObject *url)
{
    Py_ssize_t n = PyUnicode_GET_LENGTH(url);
    Py_ssize_t sep = PyUnicode_Find(url, sst_rt.s_scheme, 0, n, 1);
    if (sep < 0) {
        PyErr_Clear();
        return NULL;
    }
    Py_ssize_t start = sep + 3, end = start;
    while (end < n) {
        Py_UCS4 c = PyUnicode_READ_CHAR(url, end);
        if (c == '/' || c == '?' || c == '#') break;
        end++;
    }
    for (Py_ssize_t i = end - 1; i >= start; i--)
        if (PyUnicode_READ_CHAR(url, i) == '@') {
            start = i + 1;
            break;
        }
    if (start < end && PyUnicode_READ_CHAR(url, start) == '[') {
        Py_ssize_t close = start + 1;
        while (close < end && PyUnicode_READ_CHAR(url, close) != ']') close++;
        if (close >= end || close == start + 1) return NULL;
        return PyUnicode_Substring(url, start + 1, close);
    }
    Py_ssize_t stop = end;
    for (Py_ssize_t i = end - 1; i >= start; i--)
        if (PyUnicode_READ_CHAR(url, i) == ':') {
            stop = i;
            break;
        }
    if (stop <= start) return NULL;
    return PyUnicode_Substring(url, start, stop);
}

static int has_scheme(PyObject *s)
{
    if (!PyUnicode_Check(s)) return 0;
    Py_ssize_t r = PyUnicode_Find(s, sst_rt.s_scheme, 0, PyUnicode_GET_LENGTH(s), 1);
    if (r == -2) PyErr_Clear();
    return r >= 0;
}

/* A host from the value of a client attribute: URL text, a bare host name,
 * or an object with a str `host` (httpx.URL). */
static PyObject *host_of(PyObject *v)
{
    if (PyUnicode_Check(v)) {
        if (has_scheme(v)) return url_host(v);
        Py_ssize_t n = PyUnicode_GET_LENGTH(v);
        if (n == 0) return NULL;
        for (Py_ssize_t i = 0; i < n; i++) {
            Py_UCS4 c = PyUnicode_READ_CHAR(v, i);
            if (c == '/' || Py_UNICODE_ISSPACE(c)) return NULL;
        }
        Py_INCREF(v);
        return v;
    }
    if (v == Py_None || PyLong_Check(v) || PyBytes_Check(v)) return NULL;
    PyObject *h = NULL;
    if (_PyObject_LookupAttr(v, sst_rt.s_host, &h) < 0) PyErr_Clear();
    if (!h) return NULL;
    PyObject *r = NULL;
    if (PyUnicode_Check(h) && PyUnicode_GET_LENGTH(h) > 0) {
        r = h;
        Py_INCREF(r);
    }
    Py_DECREF(h);
    return r;
}

static PyObject *client_host(PyObject *obj)
{
    PyObject *attrs[3] = {sst_rt.s_base_url, sst_rt.s_host, sst_rt.s__host};
    for (int i = 0; i < 3; i++) {
        PyObject *v = NULL;
        /* Looked up without raising AttributeError when it is missing:
         * most callees (database cursors, loggers) have none of these. */
        if (_PyObject_LookupAttr(obj, attrs[i], &v) < 0) {
            if (!PyErr_ExceptionMatches(PyExc_Exception)) return NULL;
            PyErr_Clear();
            continue;
        }
        if (!v) continue;
        PyObject *h = host_of(v);
        Py_DECREF(v);
        if (h || PyErr_Occurred()) return h;
    }
    return NULL;
}

/* New reference or NULL (no exception unless a KeyboardInterrupt-like one). */
static PyObject *destination(const sst_sink_call *c, PyObject *catalogue_host)
{
    for (Py_ssize_t i = 0; i < c->nargs; i++)
        if (has_scheme(c->args[i])) {
            PyObject *h = url_host(c->args[i]);
            if (h) return h;
        }
    Py_ssize_t nkw = c->kwnames ? PyTuple_GET_SIZE(c->kwnames) : 0;
    for (Py_ssize_t i = 0; i < nkw; i++)
        if (PyUnicode_Compare(PyTuple_GET_ITEM(c->kwnames, i), sst_rt.s_url) == 0 &&
            has_scheme(c->args[c->nargs + i])) {
            PyObject *h = url_host(c->args[c->nargs + i]);
            if (h) return h;
        }
    if (c->func && !PyFunction_Check(c->func) && !PyType_Check(c->func)) {
        sst_busy++;
        PyObject *self = NULL, *h = NULL;
        if (_PyObject_LookupAttr(c->func, sst_rt.s_self, &self) < 0) {
            if (PyErr_ExceptionMatches(PyExc_Exception)) PyErr_Clear();
        } else if (self && !PyModule_Check(self)) {
            h = client_host(self);
            if (!h && !PyErr_Occurred()) {
                PyObject *inner = NULL;
                if (_PyObject_LookupAttr(self, sst_rt.s__client, &inner) < 0) {
                    if (PyErr_ExceptionMatches(PyExc_Exception)) PyErr_Clear();
                } else if (inner) {
                    h = client_host(inner);
                    Py_DECREF(inner);
                }
            }
        }
        Py_XDECREF(self);
        sst_busy--;
        if (h || PyErr_Occurred()) return h;
    }
    Py_XINCREF(catalogue_host);
    return catalogue_host;
}

/* ---- the check ---------------------------------------------------------- */

static int record(const sst_sink_call *c, SstContext *ctx, sst_scan *s)
{
    sst_frame here;
    const sst_frame *f = c->frame;
    if (!f && sst_frame_current(&here, 1) == 0) f = &here;
    PyObject *file = f ? f->code->co_filename : NULL;
    int line = f ? f->line : 0;
    if (sst_scan_finish(s, NULL, file, line) < 0) return -1;
    const sst_sink_site *site = sst_site_sink(c->id);
    if (!site) return -1;
    PyObject *service = c->service ? c->service : site->service;
    PyObject *host = site->host;
    Py_XINCREF(service);
    Py_XINCREF(host);
    /* A store's destination is the catalogue's, if any: a database cursor
     * or a logger has no host worth the lookups. */
    PyObject *dest = c->destination ? c->destination : c->kind == sst_rt.s_store ? host : NULL;
    if (dest) Py_INCREF(dest);
    else if (c->kind != sst_rt.s_store) dest = destination(c, host);
    int rc = -1;
    if (PyErr_Occurred()) goto done;
    sst_event ev = {
        .kind = c->kind,
        .sink = c->id,
        .service = service,
        .destination = dest,
        .file = file,
        .line = line,
        .function = f ? sst_code_qualname(f->code) : NULL,
        .cats = s->cats,
        .origins = s->origins,
        .ctx = ctx,
        .detection = c->detection,
        .values = s->values,
        .nvalues = s->nvalues,
    };
    rc = sst_event_record(&ev);
done:
    Py_XDECREF(dest);
    Py_XDECREF(service);
    Py_XDECREF(host);
    return rc;
}

int sst_sink_check(const sst_sink_call *c)
{
    if (sst_busy) return 0;
    SstContext *ctx = sst_context_current();
    sst_scan s;
    sst_scan_init(&s, ctx);
    char label[SST_WHERE_MAX];
    for (Py_ssize_t i = 0; i < c->nargs; i++) {
        sst_format_index(label, sizeof label, "args[", i, "]");
        sst_scan_root(&s, c->args[i], label);
    }
    Py_ssize_t nkw = c->kwnames ? PyTuple_GET_SIZE(c->kwnames) : 0;
    for (Py_ssize_t i = 0; i < nkw; i++) {
        Py_ssize_t len;
        const char *name = PyUnicode_AsUTF8AndSize(PyTuple_GET_ITEM(c->kwnames, i), &len);
        if (!name) {
            PyErr_Clear();
            name = "?";
            len = 1;
        }
        sst_concat3(label, sizeof label, "kwargs['", name, (size_t)len, "']");
        sst_scan_root(&s, c->args[c->nargs + i], label);
    }
    Py_ssize_t nsrc = c->sources && PyTuple_Check(c->sources) ? PyTuple_GET_SIZE(c->sources) : 0;
    s.sources = 1;
    for (Py_ssize_t i = 0; i < nsrc; i++) {
        sst_format_index(label, sizeof label, "sources[", i, "]");
        sst_scan_root(&s, PyTuple_GET_ITEM(c->sources, i), label);
    }
    int rc = 0;
    if (s.failed || s.found) {
        rc = !s.failed && record(c, ctx, &s) == 0 ? 1 : sst_failure("sink");
    }
    sst_scan_release(&s);
    Py_DECREF(ctx);
    return rc;
}

/* ---- the wrapper type --------------------------------------------------- */

static PyObject *sink_vectorcall(SstSink *self, PyObject *const *args, size_t nargsf, PyObject *kwnames);

static SstSink *free_sinks;   /* linked through ->func; guarded by the GIL */
static int nfree_sinks;
enum { SINK_POOL_MAX = 64 };

PyObject *sst_sink_new(PyObject *kind, PyObject *id, PyObject *func, PyObject *sources)
{
    SstSink *s = free_sinks;
    if (s) {
        free_sinks = (SstSink *)s->func;
        nfree_sinks--;
        (void)PyObject_Init((PyObject *)s, &SstSink_Type);
    } else if (!(s = PyObject_New(SstSink, &SstSink_Type))) {
        return NULL;
    }
    s->vectorcall = (vectorcallfunc)sink_vectorcall;
    Py_INCREF(kind);
    Py_INCREF(id);
    Py_INCREF(func);
    Py_INCREF(sources);
    s->kind = kind;
    s->id = id;
    s->func = func;
    s->sources = sources;
    return (PyObject *)s;
}

static void sink_dealloc(SstSink *s)
{
    Py_CLEAR(s->kind);
    Py_CLEAR(s->id);
    Py_CLEAR(s->func);
    Py_CLEAR(s->sources);
    if (nfree_sinks < SINK_POOL_MAX) {
        s->func = (PyObject *)free_sinks;
        free_sinks = s;
        nfree_sinks++;
        return;
    }
    PyObject_Free(s);
}

static PyObject *sink_vectorcall(SstSink *self, PyObject *const *args, size_t nargsf, PyObject *kwnames)
{
    sst_sink_call c = {
        .kind = self->kind,
        .id = self->id,
        .func = self->func,
        .args = args,
        .nargs = PyVectorcall_NARGS(nargsf),
        .kwnames = kwnames,
        .sources = self->sources,
        .detection = sst_rt.s_static,
    };
    /* Keep F alive even if the check drops the last other reference to us. */
    PyObject *func = self->func;
    Py_INCREF(func);
    if (sst_sink_check(&c) < 0) {
        Py_DECREF(func);
        return NULL;
    }
    sst_sink_depth++;
    PyObject *r = PyObject_Vectorcall(func, args, nargsf, kwnames);
    sst_sink_depth--;
    Py_DECREF(func);
    return r;
}

static PyObject *sink_repr(SstSink *self)
{
    return PyUnicode_FromFormat("<sst_runtime sink %R of %R>", self->id, self->func);
}

PyTypeObject SstSink_Type = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "sst_runtime.Sink",
    .tp_basicsize = sizeof(SstSink),
    .tp_dealloc = (destructor)sink_dealloc,
    .tp_vectorcall_offset = offsetof(SstSink, vectorcall),
    .tp_call = PyVectorcall_Call,
    .tp_repr = (reprfunc)sink_repr,
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_VECTORCALL,
    .tp_doc = "A wrapped sink call: calling it inspects the arguments, then calls the original.",
};
