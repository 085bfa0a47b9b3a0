/* configure() and the small public functions around it: flush, the
 * in-memory event list, tags_of, stats, the current context, the tracer's
 * "inside a static sink" flag and the forked-child reset. */
#include <string.h>

#include "context.h"
#include "detect/detect.h"
#include "inject.h"
#include "sitecache.h"
#include "state.h"

/* Builds a detector with the built-in kinds KINDS and the custom patterns
 * of PATTERNS (mapping name -> (regex, categories)); swaps it in. */
static int set_detector(PyObject *patterns, PyObject *kinds_arg)
{
    sst_error err = {0};
    sst_detector *det = NULL;
    PyObject *items = NULL;
    int rc = -1;
    if (sst_detector_new(&det, &err) != 0) {
        PyErr_Format(PyExc_RuntimeError, "sst_runtime: cannot build the detectors: %s", err.message);
        goto done;
    }
    if (kinds_arg && kinds_arg != Py_None) {
        uint32_t kinds = 0;
        PyObject *it = PyObject_GetIter(kinds_arg), *name;
        if (!it) goto done;
        while ((name = PyIter_Next(it))) {
            const char *s = PyUnicode_Check(name) ? PyUnicode_AsUTF8(name) : NULL;
            unsigned i;
            for (i = 0; s && i < SST_DETECT_KIND_COUNT; i++)
                if ((1u << i) != SST_DETECT_CUSTOM && !strcmp(s, sst_detect_kind_name(i))) break;
            if (!s || i == SST_DETECT_KIND_COUNT) {
                PyErr_Format(PyExc_ValueError, "configure(detectors=...): unknown detector %R", name);
                Py_DECREF(name);
                Py_DECREF(it);
                goto done;
            }
            kinds |= 1u << i;
            Py_DECREF(name);
        }
        Py_DECREF(it);
        if (PyErr_Occurred()) goto done;
        sst_detector_set_kinds(det, kinds);
    }
    if (patterns && patterns != Py_None) {
        if (!PyDict_Check(patterns)) {
            PyErr_SetString(PyExc_TypeError, "configure(patterns=...) takes a dict: name -> (regex, categories)");
            goto done;
        }
        items = PyDict_Items(patterns);
        if (!items) goto done;
        for (Py_ssize_t i = 0; i < PyList_GET_SIZE(items); i++) {
            PyObject *pair = PyList_GET_ITEM(items, i), *name = PyTuple_GET_ITEM(pair, 0),
                     *spec = PyTuple_GET_ITEM(pair, 1);
            PyObject *regex, *cats_obj;
            uint32_t cats;
            if (!PyUnicode_Check(name) || !PyTuple_Check(spec) || PyTuple_GET_SIZE(spec) != 2 ||
                !PyUnicode_Check(regex = PyTuple_GET_ITEM(spec, 0))) {
                PyErr_Format(PyExc_TypeError, "configure(patterns=...): %R must map a str to (regex, categories)",
                             name);
                goto done;
            }
            cats_obj = PyTuple_GET_ITEM(spec, 1);
            if (sst_categories_parse(cats_obj, &cats) < 0) goto done;
            const char *cname = PyUnicode_AsUTF8(name), *cregex = PyUnicode_AsUTF8(regex);
            if (!cname || !cregex) goto done;
            if (sst_detector_add_pattern(det, cname, cregex, cats, &err) != 0) {
                PyErr_Format(PyExc_ValueError, "configure(patterns=...): %s", err.message);
                goto done;
            }
        }
    }
    sst_detector_free(sst_rt.detector);
    sst_rt.detector = det;
    det = NULL;
    rc = 0;
done:
    Py_XDECREF(items);
    sst_detector_free(det);
    return rc;
}

static PyObject *set_audit_log(PyObject *arg)
{
    if (arg == Py_None) {
        if (sst_writer_set_path(&sst_rt.writer, NULL) < 0) return NULL;
        Py_RETURN_NONE;
    }
    PyObject *path = PyOS_FSPath(arg);
    if (!path) return NULL;
    PyObject *bytes = NULL;
    if (!PyUnicode_FSConverter(path, &bytes)) {
        Py_DECREF(path);
        return NULL;
    }
    Py_DECREF(path);
    int rc = sst_writer_set_path(&sst_rt.writer, PyBytes_AS_STRING(bytes));
    Py_DECREF(bytes);
    if (rc < 0) return NULL;
    Py_RETURN_NONE;
}

/* Adds the entries of a catalogue file to the catalogue (later entries win). */
static int add_catalog(PyObject *arg)
{
    PyObject *bytes = NULL;
    sst_catalog *catalog = sst_rt_catalog();
    if (!catalog || !PyUnicode_FSConverter(arg, &bytes)) return -1;
    sst_error err = {0};
    int rc = sst_catalog_add_file(catalog, PyBytes_AS_STRING(bytes), &err);
    Py_DECREF(bytes);
    if (rc != 0) {
        if (err.line) PyErr_Format(PyExc_ValueError, "%s:%u: %s", err.path, err.line, err.message);
        else PyErr_Format(PyExc_ValueError, "%s", err.message);
        return -1;
    }
    sst_sitecache_clear();   /* cached answers may have changed */
    return 0;
}

static PyObject *rt_configure(PyObject *module, PyObject *args, PyObject *kwds)
{
    static char *kwlist[] = {"audit_log", "values", "callback", "memory", "max_tags", "patterns", "detectors",
                             "catalog", NULL};
    PyObject *audit_log = NULL, *values = NULL, *callback = NULL, *memory = NULL, *max_tags = NULL,
             *patterns = NULL, *detectors = NULL, *catalog = NULL;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "|$OOOOOOOO:configure", kwlist, &audit_log, &values, &callback,
                                     &memory, &max_tags, &patterns, &detectors, &catalog))
        return NULL;
    Py_ssize_t cap = -1;
    if (max_tags) {
        cap = PyLong_AsSsize_t(max_tags);
        if (cap == -1 && PyErr_Occurred()) return NULL;
        if (cap < 1) {
            PyErr_SetString(PyExc_ValueError, "configure(max_tags=...) must be at least 1");
            return NULL;
        }
    }
    if (callback && callback != Py_None && !PyCallable_Check(callback)) {
        PyErr_SetString(PyExc_TypeError, "configure(callback=...) takes a callable or None");
        return NULL;
    }
    if ((patterns || detectors) && set_detector(patterns, detectors) < 0) return NULL;
    if (catalog && catalog != Py_None && add_catalog(catalog) < 0) return NULL;
    if (audit_log) {
        PyObject *r = set_audit_log(audit_log);
        if (!r) return NULL;
        Py_DECREF(r);
    }
    if (values) {
        int v = PyObject_IsTrue(values);
        if (v < 0) return NULL;
        sst_rt.values = v;
    }
    if (callback) {
        Py_CLEAR(sst_rt.writer.callback);
        if (callback != Py_None) {
            Py_INCREF(callback);
            sst_rt.writer.callback = callback;
        }
    }
    if (memory) {
        int m = PyObject_IsTrue(memory);
        if (m < 0) return NULL;
        sst_rt.writer.memory = m;
        if (m && !sst_rt.writer.memory_lines && !(sst_rt.writer.memory_lines = PyList_New(0))) return NULL;
        if (!m) Py_CLEAR(sst_rt.writer.memory_lines);
    }
    if (cap > 0) {
        sst_rt.max_tags = cap;
        sst_registry_set_cap(&sst_rt.default_ctx->reg, cap);
    }
    Py_RETURN_NONE;
}

static PyObject *rt_flush(PyObject *module, PyObject *unused)
{
    sst_writer_flush(&sst_rt.writer);
    Py_RETURN_NONE;
}

static PyObject *rt_memory_lines(PyObject *module, PyObject *unused)
{
    if (!sst_rt.writer.memory_lines) return PyList_New(0);
    return PyList_GetSlice(sst_rt.writer.memory_lines, 0, PY_SSIZE_T_MAX);
}

static PyObject *rt_clear_memory(PyObject *module, PyObject *unused)
{
    if (sst_rt.writer.memory_lines && PyList_SetSlice(sst_rt.writer.memory_lines, 0, PY_SSIZE_T_MAX, NULL) < 0)
        return NULL;
    Py_RETURN_NONE;
}

static PyObject *rt_tags_of(PyObject *module, PyObject *obj)
{
    SstContext *ctx = sst_context_current();
    SstTags *t = sst_context_tags(ctx, obj);
    Py_DECREF(ctx);
    if (!t) Py_RETURN_NONE;
    Py_INCREF(t);
    return (PyObject *)t;
}

static PyObject *rt_stats(PyObject *module, PyObject *unused)
{
    return Py_BuildValue("{s:n,s:K,s:K,s:K,s:K,s:n}", "tagged", sst_rt.tagged_total, "events",
                         (unsigned long long)sst_rt.events, "failures", (unsigned long long)sst_rt.failures,
                         "dropped", (unsigned long long)sst_rt.dropped, "lost",
                         (unsigned long long)sst_rt.writer.lost, "max_tags", sst_rt.max_tags);
}

static PyObject *rt_current_context(PyObject *module, PyObject *unused)
{
    return (PyObject *)sst_context_current();
}

static PyObject *rt_in_static_sink(PyObject *module, PyObject *unused)
{
    return PyBool_FromLong(sst_sink_depth > 0);
}

static PyObject *rt_after_fork_child(PyObject *module, PyObject *unused)
{
    sst_writer_forget(&sst_rt.writer);
    if (sst_rt.writer.memory_lines && PyList_SetSlice(sst_rt.writer.memory_lines, 0, PY_SSIZE_T_MAX, NULL) < 0)
        return NULL;
    sst_rt.events = 0;
    sst_rt.failures = 0;
    sst_rt.failure_reported = 0;
    sst_rt.writer.lost = 0;
    Py_RETURN_NONE;
}

PyMethodDef sst_config_methods[] = {
    {"configure", (PyCFunction)(void (*)(void))rt_configure, METH_VARARGS | METH_KEYWORDS,
     "configure(*, audit_log=, values=, callback=, memory=, max_tags=, patterns=, detectors=, catalog=)\n\n"
     "Changes only what is given. audit_log: path, 'stderr' or None; values: write raw values;\n"
     "callback: called with each event dict; memory: keep event lines in memory;\n"
     "max_tags: tags per context; patterns: {name: (regex, categories)}; detectors: built-in kinds;\n"
     "catalog: a catalogue file whose entries are added (docs/catalogue.md)."},
    {"flush", (PyCFunction)rt_flush, METH_NOARGS, "Writes every waiting event line to the audit log."},
    {"memory_lines", (PyCFunction)rt_memory_lines, METH_NOARGS, "The event lines kept in memory (a copy)."},
    {"clear_memory", (PyCFunction)rt_clear_memory, METH_NOARGS, "Forgets the event lines kept in memory."},
    {"tags_of", (PyCFunction)rt_tags_of, METH_O, "tags_of(obj) -> Tags or None, in the current context."},
    {"stats", (PyCFunction)rt_stats, METH_NOARGS, "Counters: tagged, events, failures, dropped, lost, max_tags."},
    {"current_context", (PyCFunction)rt_current_context, METH_NOARGS, "The open request context or the default."},
    {"in_static_sink", (PyCFunction)rt_in_static_sink, METH_NOARGS,
     "True while the callee of a statically wrapped sink runs on this thread."},
    {"_after_fork_child", (PyCFunction)rt_after_fork_child, METH_NOARGS,
     "Forgets the parent's waiting events and counters (os.register_at_fork)."},
    {NULL, NULL, 0, NULL}};
