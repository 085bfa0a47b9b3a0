/* The rewriter core as the import hook (sst_runtime/_hook.py) calls it: a
 * catalogue handle built once per hook configuration, a project handle built
 * once per package (every module analysed and linked, as sst-rewrite's first
 * pass), and one function that rewrites a module's bytes against them,
 * exactly as sst-rewrite would, with the GIL released while the core runs. */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <uthash.h>
#include <xxhash.h>

#include <sst/rewrite.h>

#include "cli.h"   /* sst-rewrite's walk of a tree */

#define CATALOG_CAPSULE "sst_runtime._sst.rewriter_catalog"
#define PROJECT_CAPSULE "sst_runtime._sst.rewriter_project"
/* Parsed modules a project handle holds for their rewrite; past this, a
 * module is parsed again when it is imported. */
#define HELD_BUDGET ((size_t)256 << 20)

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

/* ---- the files of a package ------------------------------------------------ */

/* package_files(top, flat=False) -> (stamp, "rel\0rel..."): sst-rewrite's
 * own walk (rewriter/cli/walk.c) of TOP. */
static PyObject *hook_package_files(PyObject *module, PyObject *args, PyObject *kwargs)
{
    static char *kwlist[] = {"top", "flat", NULL};
    PyObject *top = NULL, *rels = NULL, *result = NULL;
    sst_walk walk = {0};
    sst_walk_options options = {0};
    sst_error err = {0};
    uint64_t stamp = 0;
    int rc = 0;
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "O&|p:package_files", kwlist, PyUnicode_FSConverter, &top,
                                     &options.flat))
        return NULL;
    const char *dir = PyBytes_AS_STRING(top);
    Py_BEGIN_ALLOW_THREADS
    /* a directory that is not there: no file (SST_EINVAL) */
    rc = sst_walk_add(&walk, dir, &options, &err);
    if (rc == 0) rc = sst_walk_finish(&walk, &err);
    if (rc == SST_EINVAL) rc = 0;
    /* what names the modules get: whether the directory above is a package too */
    char parent_init[PATH_MAX + 16];
    struct stat pst;
    snprintf(parent_init, sizeof parent_init, "%s/../__init__.py", dir);
    int parent_package = !stat(parent_init, &pst) && S_ISREG(pst.st_mode);
    XXH3_state_t *h = rc ? NULL : XXH3_createState();
    if (h) {
        XXH3_64bits_reset(h);
        XXH3_64bits_update(h, &parent_package, sizeof parent_package);
        for (size_t i = 0; i < walk.nfiles; i++) {
            const sst_walk_file *f = &walk.files[i];
            if (!f->python) continue;
            int64_t st[2] = {f->size, f->mtime_ns};
            XXH3_64bits_update(h, f->rel, strlen(f->rel) + 1);
            XXH3_64bits_update(h, st, sizeof st);
        }
        stamp = XXH3_64bits_digest(h);
        XXH3_freeState(h);
    } else if (!rc) {
        rc = SST_ENOMEM;
    }
    Py_END_ALLOW_THREADS
    if (rc) {
        if (rc == SST_ENOMEM) PyErr_NoMemory();
        else PyErr_Format(PyExc_RuntimeError, "%s: %s", dir, err.message);
        goto done;
    }
    /* the names as one string, NUL-separated: split only if the project is built */
    size_t total = 0;
    for (size_t i = 0; i < walk.nfiles; i++)
        if (walk.files[i].python) total += strlen(walk.files[i].rel) + 1;
    char *joined = malloc(total + 1), *p = joined;
    if (!joined) {
        PyErr_NoMemory();
        goto done;
    }
    for (size_t i = 0; i < walk.nfiles; i++) {
        if (!walk.files[i].python) continue;
        size_t n = strlen(walk.files[i].rel);
        memcpy(p, walk.files[i].rel, n);
        p += n;
        *p++ = 0;
    }
    rels = PyUnicode_DecodeFSDefaultAndSize(joined, (Py_ssize_t)(total ? total - 1 : 0));
    free(joined);
    if (rels) result = Py_BuildValue("(y#O)", (const char *)&stamp, (Py_ssize_t)sizeof stamp, rels);
done:
    sst_walk_free(&walk);
    Py_XDECREF(rels);
    Py_DECREF(top);
    return result;
}

/* ---- projects ------------------------------------------------------------ */

/* One module of a project handle: loaded by rewriter_project and held until
 * rewrite_source takes it (each module is imported once per process). */
typedef struct held_module {
    char *path;          /* the file, as the hook names it (the key) */
    char *name;
    char *alias;         /* another name it is declared by, or NULL */
    int is_package;
    PyObject *source;    /* the bytes it was loaded from: the module and the project's
                            table read them, so they live as long as the handle */
    sst_module *module;  /* NULL: not loaded, freed for the budget, or taken */
    UT_hash_handle hh;
} held_module;

typedef struct hook_project {
    sst_project *project;
    PyObject *catalog;   /* the catalogue capsule the project reads */
    held_module *modules;
    size_t nmodules;
    held_module *by_path;
} hook_project;

static void hook_project_free(hook_project *hp)
{
    if (!hp) return;
    HASH_CLEAR(hh, hp->by_path);
    for (size_t i = 0; i < hp->nmodules; i++) {
        held_module *h = &hp->modules[i];
        sst_module_free(h->module);
        Py_XDECREF(h->source);
        free(h->path);
        free(h->name);
        free(h->alias);
    }
    free(hp->modules);
    sst_project_free(hp->project);
    Py_XDECREF(hp->catalog);
    free(hp);
}

static void project_capsule_free(PyObject *capsule)
{
    hook_project_free(PyCapsule_GetPointer(capsule, PROJECT_CAPSULE));
}

/* MODULES' items as held modules: (path, name, alias or None, is_package, source). */
static int held_from(hook_project *hp, PyObject *modules)
{
    Py_ssize_t n = PyTuple_GET_SIZE(modules);
    if (n && !(hp->modules = calloc((size_t)n, sizeof *hp->modules))) {
        PyErr_NoMemory();
        return -1;
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        held_module *h = &hp->modules[i];
        PyObject *fspath, *path = NULL, *source;
        const char *name, *alias;
        PyObject *item = PyTuple_GET_ITEM(modules, i);
        if (!PyTuple_Check(item)) {
            PyErr_SetString(PyExc_TypeError, "rewriter_project() takes (path, name, alias, is_package, source) tuples");
            return -1;
        }
        if (!PyArg_ParseTuple(item, "OszpS:rewriter_project", &fspath, &name, &alias, &h->is_package, &source) ||
            !PyUnicode_FSConverter(fspath, &path))
            return -1;
        h->path = strdup(PyBytes_AS_STRING(path));
        Py_DECREF(path);
        h->name = strdup(name);
        h->alias = alias ? strdup(alias) : NULL;
        hp->nmodules++;
        if (!h->path || !h->name || (alias && !h->alias)) {
            PyErr_NoMemory();
            return -1;
        }
        h->source = Py_NewRef(source);
        held_module *dup;
        HASH_FIND_STR(hp->by_path, h->path, dup);
        if (dup) {
            PyErr_Format(PyExc_ValueError, "rewriter_project(): %s is given twice", h->path);
            return -1;
        }
        HASH_ADD_KEYPTR(hh, hp->by_path, h->path, strlen(h->path), h);
    }
    return 0;
}

/* Declares, loads and adds every module, then links, as sst-rewrite's first
 * pass does for the same files in the same order. Runs without the GIL. */
static int project_build(hook_project *hp, const sst_options *base, sst_error *err)
{
    int rc;
    size_t held = 0;
    for (size_t i = 0; i < hp->nmodules; i++) {
        held_module *h = &hp->modules[i];
        if ((rc = sst_project_declare(hp->project, h->name, h->is_package, err))) return rc;
        if (h->alias && (rc = sst_project_alias_module(hp->project, h->alias, h->name, err))) return rc;
    }
    for (size_t i = 0; i < hp->nmodules; i++) {
        held_module *h = &hp->modules[i];
        sst_options opt = *base;
        sst_error load_err = {0};
        opt.module = h->name;
        opt.is_package = h->is_package;
        rc = sst_module_load(&h->module, hp->project, h->path, h->name, PyBytes_AS_STRING(h->source),
                             (size_t)PyBytes_GET_SIZE(h->source), &opt, &load_err);
        if (rc == SST_ENOMEM) {
            *err = load_err;
            return rc;
        }
        if (rc) {   /* refused (undecodable): met again, and reported, when it is imported */
            h->module = NULL;
            continue;
        }
        if ((rc = sst_project_add(hp->project, h->module, err))) return rc;
        held += sst_module_footprint(h->module);
        if (held > HELD_BUDGET) {
            sst_module_free(h->module);
            h->module = NULL;
        }
    }
    return sst_project_link(hp->project, err);
}

/* rewriter_project(catalog, profile, modules) -> (handle, digest) */
static PyObject *hook_project_new(PyObject *module, PyObject *args)
{
    PyObject *capsule, *seq, *modules = NULL, *handle = NULL, *result = NULL;
    const char *profile_name;
    hook_project *hp = NULL;
    sst_options options = {0};
    sst_error err = {0};
    uint64_t digest = 0;
    int rc;
    if (!PyArg_ParseTuple(args, "OsO:rewriter_project", &capsule, &profile_name, &seq)) return NULL;
    if (!(options.catalog = PyCapsule_GetPointer(capsule, CATALOG_CAPSULE))) goto done;
    if (profile_from(&options.profile, profile_name) < 0) goto done;
    /* a tuple: nobody can change it while the core reads it without the GIL */
    if (!(modules = PySequence_Tuple(seq))) goto done;
    if (!(hp = calloc(1, sizeof *hp))) {
        PyErr_NoMemory();
        goto done;
    }
    hp->catalog = Py_NewRef(capsule);
    if (held_from(hp, modules) < 0) goto done;
    if ((rc = sst_project_new(&hp->project, options.catalog, &err))) {
        error_from(rc, &err);
        goto done;
    }
    Py_BEGIN_ALLOW_THREADS
    rc = project_build(hp, &options, &err);
    if (!rc) digest = sst_project_digest(hp->project);
    Py_END_ALLOW_THREADS
    if (rc) {
        error_from(rc, &err);
        goto done;
    }
    if (!(handle = PyCapsule_New(hp, PROJECT_CAPSULE, project_capsule_free))) goto done;
    hp = NULL;
    result = Py_BuildValue("(OK)", handle, (unsigned long long)digest);
done:
    Py_XDECREF(handle);
    hook_project_free(hp);
    Py_XDECREF(modules);
    return result;
}

/* The held module of HP for PATH, taken out of the handle, when it was
 * loaded from SOURCE under NAME; else NULL. Called with the GIL. */
static sst_module *take_held(hook_project *hp, const char *path, const char *name, PyObject *source)
{
    held_module *h;
    HASH_FIND_STR(hp->by_path, path, h);
    if (!h || !h->module || strcmp(h->name, name) || PyBytes_GET_SIZE(h->source) != PyBytes_GET_SIZE(source) ||
        memcmp(PyBytes_AS_STRING(h->source), PyBytes_AS_STRING(source), (size_t)PyBytes_GET_SIZE(source)))
        return NULL;
    sst_module *m = h->module;
    h->module = NULL;
    return m;
}

static PyObject *hook_rewrite(PyObject *module, PyObject *args, PyObject *kwargs)
{
    static char *kwlist[] = {"catalog", "source", "path", "module", "is_package", "profile", "project", NULL};
    PyObject *capsule, *source, *path = NULL, *project = Py_None, *result = NULL;
    const char *name, *profile_name = "standard";
    int is_package = 0;
    sst_options options = {0};
    hook_project *hp = NULL;
    sst_module *m = NULL;
    sst_result *r = NULL;
    sst_error err = {0};
    int rc;
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "OSO&s|psO:rewrite_source", kwlist, &capsule, &source,
                                     PyUnicode_FSConverter, &path, &name, &is_package, &profile_name, &project))
        return NULL;
    if (!(options.catalog = PyCapsule_GetPointer(capsule, CATALOG_CAPSULE))) goto done;
    if (profile_from(&options.profile, profile_name) < 0) goto done;
    if (project != Py_None) {
        if (!(hp = PyCapsule_GetPointer(project, PROJECT_CAPSULE))) goto done;
        if (PyCapsule_GetPointer(hp->catalog, CATALOG_CAPSULE) != options.catalog) {
            PyErr_SetString(PyExc_ValueError, "rewrite_source(): the project was built with another catalogue");
            goto done;
        }
        m = take_held(hp, PyBytes_AS_STRING(path), name, source);
    }
    options.module = name;
    options.is_package = is_package;
    /* SOURCE is an immutable bytes object the caller holds; the catalogue and
     * the linked project are only read, and a taken module is this call's:
     * all are safe to use without the GIL. */
    Py_BEGIN_ALLOW_THREADS
    if (!hp) {
        rc = sst_rewrite_buffer(&r, PyBytes_AS_STRING(path), PyBytes_AS_STRING(source),
                                (size_t)PyBytes_GET_SIZE(source), &options, &err);
    } else {
        rc = 0;
        if (!m)   /* not held (freed for the budget, edited since, or not in the tree): load it now */
            rc = sst_module_load(&m, hp->project, PyBytes_AS_STRING(path), name, PyBytes_AS_STRING(source),
                                 (size_t)PyBytes_GET_SIZE(source), &options, &err);
        if (!rc) rc = sst_module_rewrite(&r, hp->project, m, &options, &err);
        sst_module_free(m);
    }
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
    {"package_files", (PyCFunction)(void (*)(void))hook_package_files, METH_VARARGS | METH_KEYWORDS,
     "package_files(top, flat=False) -> (stamp, rels)\n\n"
     "The Python files under the package directory TOP as sst-rewrite walks\n"
     "them (VCS and cache directories, virtualenvs and symlinks out of the tree\n"
     "skipped; with FLAT, TOP's own files only), relative to TOP, sorted and\n"
     "joined by NULs ('' if none), and STAMP: 8 bytes hashing their\n"
     "paths, sizes and modification times (and whether TOP's parent is a\n"
     "package), which change when a file is added, removed or written."},
    {"rewriter_project", (PyCFunction)hook_project_new, METH_VARARGS,
     "rewriter_project(catalog, profile, modules) -> (handle, digest)\n\n"
     "The project of MODULES analysed as a whole and linked, as sst-rewrite's\n"
     "first pass does: each item is (path, name, alias, is_package, source),\n"
     "in the order sst-rewrite walks the files; ALIAS is another name the\n"
     "module is imported by, or None. digest: sst_project_digest, a hash of\n"
     "what the modules export (a module whose source is unchanged rewrites to\n"
     "the same output while it is unchanged too). A module the core refuses is\n"
     "left out of the analysis; rewrite_source reports it."},
    {"rewrite_source", (PyCFunction)(void (*)(void))hook_rewrite, METH_VARARGS | METH_KEYWORDS,
     "rewrite_source(catalog, source, path, module, is_package=False, profile='standard', project=None)\n"
     "    -> (status, output, nsites, insertions, problem_line, problem, encoding)\n\n"
     "Rewrites one module's bytes as sst-rewrite does for the same file, module\n"
     "name, profile and catalogue. status: 'instrumented', 'unchanged', 'already'\n"
     "or 'unparseable' (output is then SOURCE itself). insertions: ((offset,\n"
     "length), ...) of the injected text, in the original bytes. encoding: the\n"
     "source's ('utf-8', 'utf-8-sig', 'latin-1'...). PROJECT: a handle of\n"
     "rewriter_project() with the same catalogue, whose exports resolve the\n"
     "module's first-party names; None: the module is a project of one.\n"
     "PATH names the module in the project, and in messages. Raises ValueError (path:line: message) for a file the core\n"
     "refuses, such as an undecodable one."},
    {NULL, NULL, 0, NULL}};
