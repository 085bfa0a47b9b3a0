/* The rewriter core as the import hook (sst_runtime/_hook.py) calls it: a
 * catalogue handle built once per hook configuration, and one function that
 * rewrites a module's bytes with it, exactly as sst-rewrite would, with the
 * GIL released while the core runs. */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <sst/rewrite.h>

#define CATALOG_CAPSULE "sst_runtime._sst.rewriter_catalog"

static void catalog_capsule_free(PyObject *capsule)
{
    sst_catalog_free(PyCapsule_GetPointer(capsule, CATALOG_CAPSULE));
}

static PyObject *rewriter_error(PyObject *type, const sst_error *err)
{
    if (err->path[0] && err->line) return PyErr_Format(type, "%s:%u: %s", err->path, err->line, err->message);
    if (err->path[0]) return PyErr_Format(type, "%s: %s", err->path, err->message);
    return PyErr_Format(type, "%s", err->message);
}

static PyObject *error_from(int rc, const sst_error *err)
{
    if (rc == SST_ENOMEM) return PyErr_NoMemory();
    if (rc == SST_EIO) return rewriter_error(PyExc_OSError, err);
    if (rc == SST_EINVAL) return rewriter_error(PyExc_ValueError, err);
    return rewriter_error(PyExc_RuntimeError, err);
}

/* rewriter_catalog(files) -> handle: the built-in catalogue plus FILES, in order. */
static PyObject *hook_catalog(PyObject *module, PyObject *files)
{
    sst_catalog *catalog = NULL;
    PyObject *seq = NULL, *capsule = NULL;
    sst_error err = {0};
    int rc;
    if (!(seq = PySequence_Fast(files, "rewriter_catalog() takes a sequence of catalogue file paths"))) goto done;
    Py_BEGIN_ALLOW_THREADS
    rc = sst_catalog_load_builtin(&catalog, &err);
    Py_END_ALLOW_THREADS
    if (rc) {
        error_from(rc, &err);
        goto done;
    }
    for (Py_ssize_t i = 0; i < PySequence_Fast_GET_SIZE(seq); i++) {
        PyObject *path = NULL;
        if (!PyUnicode_FSConverter(PySequence_Fast_GET_ITEM(seq, i), &path)) goto done;
        Py_BEGIN_ALLOW_THREADS
        rc = sst_catalog_add_file(catalog, PyBytes_AS_STRING(path), &err);
        Py_END_ALLOW_THREADS
        Py_DECREF(path);
        if (rc) {
            error_from(rc, &err);
            goto done;
        }
    }
    if (!(capsule = PyCapsule_New(catalog, CATALOG_CAPSULE, catalog_capsule_free))) goto done;
    catalog = NULL;
done:
    sst_catalog_free(catalog);
    Py_XDECREF(seq);
    return capsule;
}

static int profile_from(sst_profile *out, const char *name)
{
    static const char *const names[] = {"minimal", "standard", "full"};
    for (int i = 0; i < 3; i++)
        if (!strcmp(name, names[i])) {
            *out = (sst_profile)i;
            return 0;
        }
    PyErr_Format(PyExc_ValueError, "profile must be one of minimal, standard, full, not '%s'", name);
    return -1;
}

/* The insertions as ((offset, length), ...): where the original bytes got text. */
static PyObject *insertions_tuple(const sst_result *r)
{
    PyObject *t = PyTuple_New((Py_ssize_t)r->ninsertions);
    for (size_t i = 0; t && i < r->ninsertions; i++) {
        PyObject *pair = Py_BuildValue("(nn)", (Py_ssize_t)r->insertions[i].offset, (Py_ssize_t)r->insertions[i].len);
        if (!pair) Py_CLEAR(t);
        else PyTuple_SET_ITEM(t, (Py_ssize_t)i, pair);
    }
    return t;
}

static PyObject *hook_rewrite(PyObject *module, PyObject *args, PyObject *kwargs)
{
    static char *kwlist[] = {"catalog", "source", "path", "module", "is_package", "profile", NULL};
    PyObject *capsule, *source, *path = NULL, *result = NULL;
    const char *name, *profile_name = "standard";
    int is_package = 0;
    sst_options options = {0};
    sst_result *r = NULL;
    sst_error err = {0};
    int rc;
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "OSO&s|ps:rewrite_source", kwlist, &capsule, &source,
                                     PyUnicode_FSConverter, &path, &name, &is_package, &profile_name))
        return NULL;
    if (!(options.catalog = PyCapsule_GetPointer(capsule, CATALOG_CAPSULE))) goto done;
    if (profile_from(&options.profile, profile_name) < 0) goto done;
    options.module = name;
    options.is_package = is_package;
    /* SOURCE is an immutable bytes object the caller holds; the catalogue is
     * only read: both are safe to use without the GIL. */
    Py_BEGIN_ALLOW_THREADS
    rc = sst_rewrite_buffer(&r, PyBytes_AS_STRING(path), PyBytes_AS_STRING(source),
                            (size_t)PyBytes_GET_SIZE(source), &options, &err);
    Py_END_ALLOW_THREADS
    if (rc) {
        error_from(rc, &err);
        goto done;
    }
    PyObject *output = r->status == SST_STATUS_INSTRUMENTED
                           ? PyBytes_FromStringAndSize(r->output, (Py_ssize_t)r->output_len)
                           : Py_NewRef(source);
    PyObject *insertions = output ? insertions_tuple(r) : NULL;
    if (insertions)
        result = Py_BuildValue("(sNnNIss)", sst_status_name(r->status), output, (Py_ssize_t)r->nsites, insertions,
                               r->problem_line, r->problem, r->encoding);
    else
        Py_XDECREF(output);
done:
    sst_result_free(r);
    Py_XDECREF(path);
    return result;
}

static PyObject *hook_version(PyObject *module, PyObject *unused)
{
    return PyUnicode_FromString(SST_VERSION);
}

PyMethodDef sst_hook_methods[] = {
    {"rewriter_version", (PyCFunction)hook_version, METH_NOARGS,
     "rewriter_version() -> str: the version of the rewriter core linked into the extension."},
    {"rewriter_catalog", (PyCFunction)hook_catalog, METH_O,
     "rewriter_catalog(files) -> handle\n\n"
     "The built-in catalogue plus the catalogue files FILES (in order), for\n"
     "rewrite_source(). Raises ValueError naming the file and line of a bad entry."},
    {"rewrite_source", (PyCFunction)(void (*)(void))hook_rewrite, METH_VARARGS | METH_KEYWORDS,
     "rewrite_source(catalog, source, path, module, is_package=False, profile='standard')\n"
     "    -> (status, output, nsites, insertions, problem_line, problem, encoding)\n\n"
     "Rewrites one module's bytes as sst-rewrite does for the same file, module\n"
     "name, profile and catalogue. status: 'instrumented', 'unchanged', 'already'\n"
     "or 'unparseable' (output is then SOURCE itself). insertions: ((offset,\n"
     "length), ...) of the injected text, in the original bytes. encoding: the\n"
     "source's ('utf-8', 'utf-8-sig', 'latin-1'...). PATH is used in\n"
     "messages only. Raises ValueError (path:line: message) for a file the core\n"
     "refuses, such as an undecodable one."},
    {NULL, NULL, 0, NULL}};
