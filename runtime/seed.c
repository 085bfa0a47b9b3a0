/* The seed API kept for users of the system this replaces: tag_value,
 * check_and_tag, track_external_call and track_data_operation, built on the
 * same tags, detectors and sink check as the injected functions. */
#include "context.h"
#include "frame.h"
#include "inject.h"
#include "scan.h"
#include "sink.h"
#include "sitecache.h"
#include "state.h"

static void caller(PyObject **file, int *line)
{
    sst_frame f;
    if (sst_frame_current(&f, 1) == 0) {
        *file = f.code->co_filename;
        *line = f.line;
    } else {
        *file = NULL;
        *line = 0;
    }
}

static int str_or_none(PyObject *o, const char *what)
{
    if (o == Py_None || PyUnicode_Check(o)) return 0;
    PyErr_Format(PyExc_TypeError, "%s must be a str or None, not %.100s", what, Py_TYPE(o)->tp_name);
    return -1;
}

/* tag_value(value, categories, source="manual", key=None) */
static PyObject *rt_tag_value(PyObject *module, PyObject *args, PyObject *kwds)
{
    static char *kwlist[] = {"value", "categories", "source", "key", NULL};
    PyObject *value, *categories, *source = sst_rt.s_manual, *key = Py_None;
    uint32_t cats;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "OO|OO:tag_value", kwlist, &value, &categories, &source, &key))
        return NULL;
    if (str_or_none(source, "tag_value(source=...)") || str_or_none(key, "tag_value(key=...)") ||
        sst_categories_parse(categories, &cats) < 0)
        return NULL;
    PyObject *target = sst_taggable_target(value);
    if (!target) {
        if (PyErr_Occurred()) return NULL;
        Py_INCREF(value);
        return value;
    }
    PyObject *file;
    int line;
    caller(&file, &line);
    PyObject *o = sst_origin_new(sst_rt.s_manual, source == Py_None ? NULL : source, key == Py_None ? NULL : key,
                                 file, line);
    SstTags *t = o ? sst_tags_new1(cats, o) : NULL;
    Py_XDECREF(o);
    SstContext *ctx = sst_context_current();
    int rc = t ? sst_context_add(ctx, target, t) : -1;
    Py_DECREF(ctx);
    Py_XDECREF(t);
    if (rc < 0) {
        Py_DECREF(target);
        return NULL;
    }
    return target;
}

/* Tags of NAME's meaning (origin: manual, SOURCE, NAME) united with those of
 * the detector matches in V; new reference or NULL. */
static SstTags *checked_tags(PyObject *v, PyObject *name, PyObject *source, PyObject *kind, int *failed)
{
    PyObject *file;
    int line;
    caller(&file, &line);
    SstTags *pt = sst_pattern_tags(v, name, file, line);
    if (!pt && PyErr_Occurred()) {
        *failed = 1;
        return NULL;
    }
    uint32_t cats = name ? sst_classify_name(name) : 0;
    if (!cats) return pt;
    PyObject *o = sst_origin_new(kind, source, name, file, line);
    SstTags *nt = o ? sst_tags_new1(cats, o) : NULL;
    Py_XDECREF(o);
    if (!nt) {
        Py_XDECREF(pt);
        *failed = 1;
        return NULL;
    }
    SstTags *u = sst_tags_union(nt, pt);
    Py_DECREF(nt);
    Py_XDECREF(pt);
    if (!u) *failed = 1;
    return u;
}

/* check_and_tag(value, name=None): tags VALUE with what the detectors find
 * in it and what NAME means; returns it (or a tagged fresh copy). */
static PyObject *rt_check_and_tag(PyObject *module, PyObject *args, PyObject *kwds)
{
    static char *kwlist[] = {"value", "name", NULL};
    PyObject *value, *name = Py_None;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "O|O:check_and_tag", kwlist, &value, &name)) return NULL;
    if (str_or_none(name, "check_and_tag(name=...)")) return NULL;
    PyObject *target = sst_taggable_target(value);
    if (!target) {
        if (PyErr_Occurred()) return NULL;
        Py_INCREF(value);
        return value;
    }
    int failed = 0;
    PyObject *src = PyUnicode_InternFromString("check_and_tag");
    SstTags *t = src ? checked_tags(target, name == Py_None ? NULL : name, src, sst_rt.s_manual, &failed) : NULL;
    Py_XDECREF(src);
    if (!src || failed) {
        Py_DECREF(target);
        return NULL;
    }
    if (!t) {
        Py_DECREF(target);
        Py_INCREF(value);
        return value;
    }
    SstContext *ctx = sst_context_current();
    int rc = sst_context_add(ctx, target, t);
    Py_DECREF(ctx);
    Py_DECREF(t);
    if (rc < 0) {
        Py_DECREF(target);
        return NULL;
    }
    return target;
}

/* track_external_call(service, data, destination=None, sink=None) -> bool */
static PyObject *rt_track_external_call(PyObject *module, PyObject *args, PyObject *kwds)
{
    static char *kwlist[] = {"service", "data", "destination", "sink", NULL};
    PyObject *service, *data, *destination = Py_None, *sink = Py_None;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "UO|OO:track_external_call", kwlist, &service, &data,
                                     &destination, &sink))
        return NULL;
    if (str_or_none(destination, "track_external_call(destination=...)") ||
        str_or_none(sink, "track_external_call(sink=...)"))
        return NULL;
    sst_sink_call c = {
        .kind = sst_rt.s_external,
        .id = sink == Py_None ? service : sink,
        .args = &data,
        .nargs = 1,
        .detection = sst_rt.s_manual,
        .service = service,
        .destination = destination == Py_None ? NULL : destination,
    };
    int rc = sst_sink_check(&c);
    if (rc < 0) return NULL;
    return PyBool_FromLong(rc > 0);
}

/* track_data_operation(operation, store, data): "write" records a store
 * event for DATA; "read" tags DATA (and the items of a dict, by their keys)
 * with what the detectors find and the keys mean, origin kind "store".
 * Returns DATA, or a tagged fresh copy. */
static PyObject *rt_track_data_operation(PyObject *module, PyObject *args, PyObject *kwds)
{
    static char *kwlist[] = {"operation", "store", "data", NULL};
    PyObject *operation, *store, *data;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "UUO:track_data_operation", kwlist, &operation, &store, &data))
        return NULL;
    if (PyUnicode_CompareWithASCIIString(operation, "write") == 0) {
        sst_sink_call c = {
            .kind = sst_rt.s_store,
            .id = store,
            .args = &data,
            .nargs = 1,
            .detection = sst_rt.s_manual,
            .service = store,
        };
        if (sst_sink_check(&c) < 0) return NULL;
        Py_INCREF(data);
        return data;
    }
    if (PyUnicode_CompareWithASCIIString(operation, "read") != 0) {
        PyErr_Format(PyExc_ValueError, "track_data_operation(): operation is 'read' or 'write', not %R", operation);
        return NULL;
    }
    SstContext *ctx = sst_context_current();
    PyObject *result = NULL;
    int failed = 0;
    SstTags *all = NULL;
    if (PyDict_Check(data)) {
        Py_ssize_t pos = 0, k = 0;
        PyObject *key, *val;
        while (k++ < SST_SCAN_MAX_ITEMS && PyDict_Next(data, &pos, &key, &val)) {
            if (!sst_taggable(val)) continue;
            Py_INCREF(key);   /* held: tagging allocates, finalizers may change DATA */
            Py_INCREF(val);
            SstTags *t = checked_tags(val, PyUnicode_Check(key) ? key : NULL, store, sst_rt.s_store, &failed);
            int rc = t ? sst_context_add(ctx, val, t) : 0;
            Py_DECREF(val);
            Py_DECREF(key);
            if (failed) goto done;
            if (!t) continue;
            SstTags *u = rc == 0 ? sst_tags_union(all, t) : NULL;
            Py_DECREF(t);
            if (!u) goto done;
            Py_XDECREF(all);
            all = u;
        }
    }
    PyObject *target = sst_taggable_target(data);
    if (!target) {
        if (PyErr_Occurred()) goto done;
        Py_INCREF(data);
        result = data;
        goto done;
    }
    SstTags *own = checked_tags(target, NULL, store, sst_rt.s_store, &failed);
    if (failed) {
        Py_DECREF(target);
        goto done;
    }
    SstTags *u = sst_tags_union(all, own);
    Py_XDECREF(own);
    if (u) {
        int rc = sst_context_add(ctx, target, u);
        Py_DECREF(u);
        if (rc < 0) {
            Py_DECREF(target);
            goto done;
        }
        result = target;
    } else if (PyErr_Occurred()) {
        Py_DECREF(target);
    } else {
        Py_DECREF(target);
        Py_INCREF(data);
        result = data;
    }
done:
    Py_XDECREF(all);
    Py_DECREF(ctx);
    return result;
}

#define KWARGS(f) (PyCFunction)(void (*)(void))(f), METH_VARARGS | METH_KEYWORDS

PyMethodDef sst_seed_methods[] = {
    {"tag_value", KWARGS(rt_tag_value),
     "tag_value(value, categories, source='manual', key=None) -> value or a tagged fresh copy"},
    {"check_and_tag", KWARGS(rt_check_and_tag),
     "check_and_tag(value, name=None) -> value (tagged with what the detectors and NAME say)"},
    {"track_external_call", KWARGS(rt_track_external_call),
     "track_external_call(service, data, destination=None, sink=None) -> True if an event was recorded"},
    {"track_data_operation", KWARGS(rt_track_data_operation),
     "track_data_operation(operation, store, data) -> data; 'write' records, 'read' tags"},
    {NULL, NULL, 0, NULL}};
