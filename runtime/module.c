/* The extension module sst_runtime._sst: process-wide state, interned
 * strings, the catalogue and detectors, the method table assembled from the
 * other files, fork and exit handling, and the internal-failure counter. */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "context.h"
#include "detect/detect.h"
#include "events.h"
#include "inject.h"
#include "registry.h"
#include "sink.h"
#include "sitecache.h"
#include "state.h"
#include "tags.h"

sst_state sst_rt;
SST_TLS int sst_sink_depth;
SST_TLS int sst_busy;

#define DEFAULT_MAX_TAGS 65536

int sst_failure(const char *where)
{
    if (!PyErr_Occurred()) PyErr_SetString(PyExc_SystemError, "unknown failure");
    if (!PyErr_ExceptionMatches(PyExc_Exception)) return -1;   /* KeyboardInterrupt, SystemExit */
    sst_rt.failures++;
    if (!sst_rt.failure_reported) {
        sst_rt.failure_reported = 1;
        PyObject *type, *value, *tb;
        PyErr_Fetch(&type, &value, &tb);
        PyObject *msg = value ? PyObject_Str(value) : NULL;
        const char *text = msg ? PyUnicode_AsUTF8(msg) : NULL;
        fprintf(stderr,
                "sst_runtime: internal failure in %s: %s: %s (the program continues; "
                "later failures are only counted, see sst_runtime.stats())\n",
                where, type ? ((PyTypeObject *)type)->tp_name : "?", text ? text : "?");
        fflush(stderr);
        Py_XDECREF(msg);
        Py_XDECREF(type);
        Py_XDECREF(value);
        Py_XDECREF(tb);
    }
    PyErr_Clear();
    return 0;
}

sst_catalog *sst_rt_catalog(void)
{
    static sst_error failed;   /* why the built-in catalogue cannot load (not for want of memory) */
    if (sst_rt.catalog) return sst_rt.catalog;
    if (!failed.message[0]) {
        sst_error err = {0};
        if (sst_catalog_load_builtin(&sst_rt.catalog, &err) == 0) return sst_rt.catalog;
        sst_rt.catalog = NULL;
        if (err.code == SST_ENOMEM) {
            PyErr_NoMemory();
            return NULL;
        }
        failed = err;
    }
    PyErr_Format(PyExc_RuntimeError, "sst_runtime: the built-in catalogue does not load: %s:%u: %s", failed.path,
                 failed.line, failed.message);
    return NULL;
}

static void at_fork_child(void)
{
    /* The parent writes its own waiting lines; the child must not again. */
    sst_writer_forget(&sst_rt.writer);
    sst_events_forked();
}

static void at_exit(void)
{
    /* Last chance for lines recorded after the Python-level atexit flush
     * (daemon threads); runs after finalization and touches no object. */
    sst_writer_close(&sst_rt.writer);
}

static PyObject *rt_category_names(PyObject *module, PyObject *unused)
{
    return sst_categories_tuple((1u << SST_CAT_COUNT) - 1);
}

static PyObject *rt_detector_names(PyObject *module, PyObject *unused)
{
    PyObject *t = PyTuple_New(SST_DETECT_KIND_COUNT);
    for (unsigned i = 0; t && i < SST_DETECT_KIND_COUNT; i++) {
        PyObject *s = PyUnicode_FromString(sst_detect_kind_name(i));
        if (!s) Py_CLEAR(t);
        else PyTuple_SET_ITEM(t, i, s);
    }
    return t;
}

static PyObject *rt_classify_name(PyObject *module, PyObject *name)
{
    if (!PyUnicode_Check(name)) {
        PyErr_SetString(PyExc_TypeError, "classify_name() takes a str");
        return NULL;
    }
    return sst_categories_tuple(sst_classify_name(name));
}

static PyObject *rt_catalog_lookup(PyObject *module, PyObject *path)
{
    const char *p = PyUnicode_Check(path) ? PyUnicode_AsUTF8(path) : NULL;
    if (!p) {
        if (!PyErr_Occurred()) PyErr_SetString(PyExc_TypeError, "catalog_lookup() takes a str");
        return NULL;
    }
    sst_catalog *catalog = sst_rt_catalog();
    if (!catalog) return NULL;
    const sst_entry *e = sst_catalog_lookup(catalog, p);
    if (!e) Py_RETURN_NONE;
    return Py_BuildValue("{s:s,s:z,s:z,s:N}", "kind", sst_kind_name(e->kind), "service", e->service, "host", e->host,
                         "categories", sst_categories_tuple(e->categories));
}

static PyMethodDef misc_methods[] = {
    {"category_names", (PyCFunction)rt_category_names, METH_NOARGS, "Every data category name, in bit order."},
    {"detector_names", (PyCFunction)rt_detector_names, METH_NOARGS, "Every detector kind name, in bit order."},
    {"classify_name", (PyCFunction)rt_classify_name, METH_O, "Categories an identifier means (the catalogue)."},
    {"catalog_lookup", (PyCFunction)rt_catalog_lookup, METH_O,
     "catalog_lookup(path) -> dict(kind, service, host, categories) or None."},
    {NULL, NULL, 0, NULL}};

static struct PyModuleDef sst_module_def = {
    PyModuleDef_HEAD_INIT,
    .m_name = "sst_runtime._sst",
    .m_doc = "The C runtime of sst-rewrite: the injected functions, tags, events.",
    .m_size = -1,
};

static int intern(PyObject **slot, const char *s)
{
    return (*slot = PyUnicode_InternFromString(s)) ? 0 : -1;
}

static int init_state(void)
{
    sst_error err = {0};
    if (intern(&sst_rt.s_request, "request") || intern(&sst_rt.s_parameter, "parameter") ||
        intern(&sst_rt.s_pattern, "pattern") || intern(&sst_rt.s_store, "store") ||
        intern(&sst_rt.s_manual, "manual") || intern(&sst_rt.s_external, "external") ||
        intern(&sst_rt.s_static, "static") || intern(&sst_rt.s_tracer, "tracer") ||
        intern(&sst_rt.s_base_url, "base_url") || intern(&sst_rt.s_host, "host") ||
        intern(&sst_rt.s__host, "_host") || intern(&sst_rt.s__client, "_client") ||
        intern(&sst_rt.s_self, "__self__") || intern(&sst_rt.s_url, "url") || intern(&sst_rt.s_scheme, "://"))
        return -1;
    sst_detector *det = NULL;
    if (sst_detector_new(&det, &err) != 0) {
        PyErr_Format(PyExc_ImportError, "sst_runtime: the detectors do not build: %s", err.message);
        return -1;
    }
    sst_rt.detector = det;
    sst_rt.max_tags = DEFAULT_MAX_TAGS;
    sst_writer_init(&sst_rt.writer);
    sst_rt.contextvar = PyContextVar_New("sst_runtime.context", NULL);
    if (!sst_rt.contextvar) return -1;
    sst_rt.default_ctx = sst_context_new_default(sst_rt.max_tags);
    return sst_rt.default_ctx ? 0 : -1;
}

/* trace.c: the C call tracer; hook.c: the rewriter core for the import hook. */
extern PyMethodDef sst_trace_methods[];
extern PyMethodDef sst_hook_methods[];

static int add_functions(PyObject *m)
{
    PyMethodDef *tables[] = {sst_inject_methods, sst_config_methods, sst_seed_methods, misc_methods,
                             sst_trace_methods, sst_hook_methods};
    for (size_t i = 0; i < sizeof tables / sizeof *tables; i++)
        if (PyModule_AddFunctions(m, tables[i]) < 0) return -1;
    return 0;
}

PyMODINIT_FUNC PyInit__sst(void)
{
    static int initialised;
    if (initialised) {
        PyErr_SetString(PyExc_ImportError, "sst_runtime._sst cannot be loaded twice in one process");
        return NULL;
    }
    if (sst_tags_init_types() < 0 || PyType_Ready(&SstContext_Type) < 0 || PyType_Ready(&SstSink_Type) < 0)
        return NULL;
    if (init_state() < 0) return NULL;
    PyObject *m = PyModule_Create(&sst_module_def);
    if (!m) return NULL;
    if (add_functions(m) < 0 || PyModule_AddIntConstant(m, "ABI", SST_ABI_VERSION) < 0 ||
        PyModule_AddIntConstant(m, "SCHEMA", SST_SCHEMA_VERSION) < 0 ||
        PyModule_AddStringConstant(m, "IMPLEMENTATION", "c") < 0 ||
        PyModule_AddObjectRef(m, "Tags", (PyObject *)&SstTags_Type) < 0 ||
        PyModule_AddObjectRef(m, "Origin", (PyObject *)SstOrigin_Type) < 0 ||
        PyModule_AddObjectRef(m, "context", (PyObject *)&SstContext_Type) < 0 ||
        PyModule_AddObjectRef(m, "default_context", (PyObject *)sst_rt.default_ctx) < 0) {
        Py_DECREF(m);
        return NULL;
    }
    pthread_atfork(NULL, NULL, at_fork_child);
    Py_AtExit(at_exit);
    initialised = 1;
    return m;
}
