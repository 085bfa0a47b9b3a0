/* The injected functions: abi, params, flow, derive, carry, source, external
 * and store (METH_FASTCALL). Each returns at once when nothing is tagged;
 * none raises into user code except abi() on a version mismatch and a call
 * that does not follow the ABI's argument forms. */
#include "inject.h"

#include <string.h>

#include "frame.h"
#include "scan.h"
#include "sink.h"
#include "sitecache.h"
#include "state.h"

#define DEEP_MAX_DEPTH 3      /* source(): levels of a container tagged item by item */
#define DEEP_MAX_NODES 256

static PyObject *misuse(const char *form, Py_ssize_t nargs)
{
    PyErr_Format(PyExc_TypeError, "sst_runtime: %s is not a call of injection ABI %d (%zd arguments)", form,
                 SST_ABI_VERSION, nargs);
    return NULL;
}

PyObject *sst_taggable_target(PyObject *v)
{
    if (sst_taggable(v)) {
        Py_INCREF(v);
        return v;
    }
    if (PyUnicode_CheckExact(v) && PyUnicode_CHECK_INTERNED(v) && PyUnicode_GET_LENGTH(v) > 1) {
        Py_ssize_t n = PyUnicode_GET_LENGTH(v);
        PyObject *copy = PyUnicode_New(n, PyUnicode_MAX_CHAR_VALUE(v));
        if (!copy) return NULL;
        if (PyUnicode_CopyCharacters(copy, 0, v, 0, n) < 0) {
            Py_DECREF(copy);
            return NULL;
        }
        return copy;
    }
    return NULL;
}

SstTags *sst_pattern_tags(PyObject *v, PyObject *key, PyObject *file, int line)
{
    uint32_t cats;
    int custom;
    uint32_t kinds = sst_detect_value(v, &cats, &custom);
    if (!kinds) return NULL;
    PyObject *items[SST_MAX_ORIGINS];
    Py_ssize_t n = 0;
    for (unsigned i = 0; i < 32 && n < SST_MAX_ORIGINS; i++) {
        if (!(kinds & (1u << i))) continue;
        PyObject *name = sst_detect_kind_str(i, custom);
        PyObject *o = name ? sst_origin_new(sst_rt.s_pattern, name, key, file, line) : NULL;
        Py_XDECREF(name);
        if (!o) {
            while (n) Py_DECREF(items[--n]);
            return NULL;
        }
        items[n++] = o;
    }
    PyObject *tuple = PyTuple_New(n);
    for (Py_ssize_t i = 0; i < n; i++) {
        if (tuple) PyTuple_SET_ITEM(tuple, i, items[i]);
        else Py_DECREF(items[i]);
    }
    if (!tuple) return NULL;
    SstTags *t = sst_tags_new(cats, tuple);
    Py_DECREF(tuple);
    return t;
}

/* ---- abi ---------------------------------------------------------------- */

static PyObject *rt_abi(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    int overflow = 0;
    if (nargs == 1 && PyLong_CheckExact(args[0]) && PyLong_AsLongAndOverflow(args[0], &overflow) == SST_ABI_VERSION)
        Py_RETURN_NONE;
    PyErr_Clear();
    sst_frame f;
    PyObject *file = sst_frame_current(&f, 0) == 0 ? f.code->co_filename : NULL;
    PyObject *wanted = nargs == 1 ? args[0] : Py_None;
    PyErr_Format(PyExc_ImportError,
                 "%S was rewritten for injection ABI %R, but this sst_runtime provides ABI %d: "
                 "instrument it again with a matching sst-rewrite",
                 file ? file : (PyObject *)Py_None, wanted, SST_ABI_VERSION);
    return NULL;
}

/* ---- params ------------------------------------------------------------- */

static int params_tag(const sst_params_site *site, PyObject *names, PyObject *const *values, Py_ssize_t n)
{
    SstContext *ctx = sst_context_current();
    int rc = 0;
    for (Py_ssize_t i = 0; i < n && !ctx->closed && rc == 0; i++) {
        PyObject *v = values[i];
        SstTags *t = site->tags[i];
        if (t) {
            if (!sst_taggable(v)) continue;
            /* A value that already has these categories keeps its first
             * origins: the request field beats every parameter it passes. */
            SstTags *old = sst_context_tags(ctx, v);
            if (old && (old->cats | t->cats) == old->cats) continue;
            rc = sst_context_add(ctx, v, t);
        } else if (site->cats[i] == 0 && sst_rt.detector && (PyUnicode_Check(v) || PyBytes_Check(v)) &&
                   sst_taggable(v) && !sst_context_tags(ctx, v)) {
            /* A name that means nothing (profile full): the value decides. */
            sst_frame f;
            int have = sst_frame_current(&f, 1) == 0;
            SstTags *pt = sst_pattern_tags(v, PyTuple_GET_ITEM(names, i), have ? f.code->co_filename : NULL,
                                           have ? f.line : 0);
            if (pt) {
                rc = sst_context_add(ctx, v, pt);
                Py_DECREF(pt);
            } else if (PyErr_Occurred()) {
                rc = -1;
            }
        }
    }
    Py_DECREF(ctx);
    return rc;
}

static PyObject *rt_params(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs < 1) return misuse("params(NAMES, *VALUES)", nargs);
    if (sst_busy) Py_RETURN_NONE;
    sst_frame f;
    PyCodeObject *code = sst_frame_current(&f, 0) == 0 ? f.code : NULL;
    const sst_params_site *site = sst_site_params(args[0], code);
    if (!site) {
        if (sst_failure("params") < 0) return NULL;
        Py_RETURN_NONE;
    }
    Py_ssize_t n = nargs - 1 < site->n ? nargs - 1 : site->n;
    if (params_tag(site, args[0], args + 1, n) < 0 && sst_failure("params") < 0) return NULL;
    Py_RETURN_NONE;
}

/* ---- flow --------------------------------------------------------------- */

/* Union of the tags of SRC[0..N) in CTX: a new reference or NULL. */
static SstTags *tags_of_all(SstContext *ctx, PyObject *const *src, Py_ssize_t n, SstTags *start, int *failed)
{
    SstTags *u = start;
    Py_XINCREF(u);
    for (Py_ssize_t i = 0; i < n; i++) {
        SstTags *t = sst_context_tags(ctx, src[i]);
        if (!t) continue;
        Py_INCREF(t);   /* the union allocates: a collection may change the registry */
        SstTags *x = sst_tags_union(u, t);
        Py_DECREF(t);
        Py_XDECREF(u);
        if (!x) {
            *failed = 1;
            return NULL;
        }
        u = x;
    }
    return u;
}

/* True when V is one of the first items of a tagged container among SRC:
 * an element read from tagged data inherits its tags. */
static int element_of_tagged(SstContext *ctx, PyObject *v, PyObject *const *src, Py_ssize_t n)
{
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *c = src[i];
        if (!sst_context_tags(ctx, c)) continue;
        if (PyList_Check(c) || PyTuple_Check(c)) {
            Py_ssize_t len = PyList_Check(c) ? PyList_GET_SIZE(c) : PyTuple_GET_SIZE(c);
            for (Py_ssize_t k = 0; k < len && k < SST_SCAN_MAX_ITEMS; k++)
                if ((PyList_Check(c) ? PyList_GET_ITEM(c, k) : PyTuple_GET_ITEM(c, k)) == v) return 1;
        } else if (PyDict_Check(c)) {
            Py_ssize_t pos = 0, k = 0;
            PyObject *key, *val;
            while (k++ < SST_SCAN_MAX_ITEMS && PyDict_Next(c, &pos, &key, &val))
                if (val == v) return 1;
        }
    }
    return 0;
}

static int flow_into(PyObject *v, PyObject *const *src, Py_ssize_t n)
{
    SstContext *ctx = sst_context_current();
    int rc = 0, failed = 0;
    SstTags *u = NULL;
    if (ctx->closed || sst_registry_count(&ctx->reg) == 0) goto done;
    u = tags_of_all(ctx, src, n, NULL, &failed);
    if (failed) rc = -1;
    if (!u) goto done;
    /* Only a fresh value (the caller's stack holds the one reference) or an
     * element of tagged data: a constant or a shared cache is never tagged. */
    if (Py_REFCNT(v) > 1 && !element_of_tagged(ctx, v, src, n)) goto done;
    rc = sst_context_add(ctx, v, u);
done:
    Py_XDECREF(u);
    Py_DECREF(ctx);
    return rc;
}

/* True when one of SRC[0..N) may be tagged in some context (the filter of
 * registry.h): otherwise there is nothing to look up. */
static int any_maybe_tagged(PyObject *const *src, Py_ssize_t n)
{
    for (Py_ssize_t i = 0; i < n; i++)
        if (sst_maybe_tagged(src[i])) return 1;
    return 0;
}

static PyObject *rt_flow(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs < 1) return misuse("flow(VALUE, *SOURCES)", nargs);
    PyObject *v = args[0];
    if (sst_rt.tagged_total > 0 && nargs > 1 && any_maybe_tagged(args + 1, nargs - 1) && !sst_busy &&
        sst_taggable(v) && flow_into(v, args + 1, nargs - 1) < 0 && sst_failure("flow") < 0)
        return NULL;
    Py_INCREF(v);
    return v;
}

/* ---- carry and derive --------------------------------------------------- */

static SST_TLS SstTags *carry_tags;     /* tags of the old value */
static SST_TLS const void *carry_frame; /* frame that called carry() */

void sst_carry_clear(void)
{
    Py_CLEAR(carry_tags);
    carry_frame = NULL;
}

static PyObject *rt_carry(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 1) return misuse("carry(VALUE)", nargs);
    sst_carry_clear();
    if (sst_rt.tagged_total == 0 || !sst_maybe_tagged(args[0]) || sst_busy) Py_RETURN_NONE;
    SstContext *ctx = sst_context_current();
    SstTags *t = ctx->closed ? NULL : sst_context_tags(ctx, args[0]);
    sst_frame f;
    if (t && sst_frame_current(&f, 0) == 0) {
        Py_INCREF(t);
        carry_tags = t;
        carry_frame = f.id;
    }
    Py_DECREF(ctx);
    Py_RETURN_NONE;
}

static int derive_into(SstTags *carried, PyObject *sources, PyObject *const *targets, Py_ssize_t n)
{
    SstContext *ctx = sst_context_current();
    int rc = 0, failed = 0;
    SstTags *u = NULL;
    if (ctx->closed) goto done;
    u = tags_of_all(ctx, &PyTuple_GET_ITEM(sources, 0), PyTuple_GET_SIZE(sources), carried, &failed);
    if (failed) rc = -1;
    if (!u) goto done;
    for (Py_ssize_t i = 0; i < n && rc == 0; i++) {
        PyObject *t = targets[i];
        /* Held by the target variable and this call only: a value the
         * statement made, not a shared object that happens to be bound. */
        if (sst_taggable(t) && Py_REFCNT(t) <= 2) rc = sst_context_add(ctx, t, u);
    }
done:
    Py_XDECREF(u);
    Py_DECREF(ctx);
    return rc;
}

static PyObject *rt_derive(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs < 1 || !PyTuple_Check(args[0])) return misuse("derive(SOURCES, *TARGETS)", nargs);
    SstTags *carried = NULL;
    if (carry_tags) {
        sst_frame f;
        if (sst_frame_current(&f, 0) == 0 && f.id == carry_frame) {
            carried = carry_tags;
            carry_tags = NULL;
        }
        sst_carry_clear();
    }
    if ((carried || (sst_rt.tagged_total > 0 && any_maybe_tagged(&PyTuple_GET_ITEM(args[0], 0),
                                                                  PyTuple_GET_SIZE(args[0])))) &&
        nargs > 1 && !sst_busy && derive_into(carried, args[0], args + 1, nargs - 1) < 0 &&
        sst_failure("derive") < 0) {
        Py_XDECREF(carried);
        return NULL;
    }
    Py_XDECREF(carried);
    Py_RETURN_NONE;
}

/* ---- source ------------------------------------------------------------- */

typedef struct deep {
    SstContext *ctx;
    const sst_source_site *site;
    PyObject *file;
    int line;
    int nodes;
} deep;

static int tag_item(deep *d, PyObject *v, PyObject *key, int depth);

/* Tags the items of container C, each with the categories its key means. */
static int tag_items(deep *d, PyObject *c, PyObject *key, int depth)
{
    if (depth > DEEP_MAX_DEPTH) return 0;
    /* Items are held while tagged: tagging allocates, a collection may run
     * finalizers, and they may change the container. */
    if (PyDict_Check(c)) {
        Py_ssize_t pos = 0, k = 0;
        PyObject *dk, *dv;
        while (k++ < SST_SCAN_MAX_ITEMS && PyDict_Next(c, &pos, &dk, &dv)) {
            Py_INCREF(dk);
            Py_INCREF(dv);
            int rc = tag_item(d, dv, PyUnicode_Check(dk) ? dk : key, depth);
            Py_DECREF(dv);
            Py_DECREF(dk);
            if (rc < 0) return -1;
        }
    } else if (PyList_Check(c) || PyTuple_Check(c)) {
        for (Py_ssize_t k = 0;
             k < (PyList_Check(c) ? PyList_GET_SIZE(c) : PyTuple_GET_SIZE(c)) && k < SST_SCAN_MAX_ITEMS; k++) {
            PyObject *item = PyList_Check(c) ? PyList_GET_ITEM(c, k) : PyTuple_GET_ITEM(c, k);
            Py_INCREF(item);
            int rc = tag_item(d, item, key, depth);
            Py_DECREF(item);
            if (rc < 0) return -1;
        }
    }
    return 0;
}

static int tag_item(deep *d, PyObject *v, PyObject *key, int depth)
{
    if (d->nodes++ >= DEEP_MAX_NODES) return 0;
    if (sst_taggable(v)) {
        uint32_t cats = d->site->path_cats | (key ? sst_classify_name(key) : 0);
        PyObject *o = sst_origin_new(sst_rt.s_request, d->site->path, key, d->file, d->line);
        SstTags *t = o ? sst_tags_new1(cats, o) : NULL;
        Py_XDECREF(o);
        if (!t) return -1;
        int rc = sst_context_add(d->ctx, v, t);
        Py_DECREF(t);
        if (rc < 0) return -1;
    }
    return tag_items(d, v, key, depth + 1);
}

static int source_tag(const sst_source_site *site, PyObject *target)
{
    SstContext *ctx = sst_context_current();
    sst_frame f;
    int have = sst_frame_current(&f, 1) == 0;
    deep d = {ctx, site, have ? f.code->co_filename : NULL, have ? f.line : 0, 0};
    int rc = 0;
    if (!ctx->closed) {
        PyObject *o = sst_origin_new(sst_rt.s_request, site->path, site->key, d.file, d.line);
        SstTags *t = o ? sst_tags_new1(site->cats, o) : NULL;
        Py_XDECREF(o);
        rc = t ? sst_context_add(ctx, target, t) : -1;
        Py_XDECREF(t);
        if (rc == 0) rc = tag_items(&d, target, site->key, 1);
    }
    Py_DECREF(ctx);
    return rc;
}

static PyObject *rt_source(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 2) return misuse("source(SITE, VALUE)", nargs);
    PyObject *v = args[1];
    if (sst_busy) goto unchanged;
    const sst_source_site *site = sst_site_source(args[0]);
    if (!site) {
        if (sst_failure("source") < 0) return NULL;
        goto unchanged;
    }
    PyObject *target = sst_taggable_target(v);
    if (!target) {
        if (PyErr_Occurred() && sst_failure("source") < 0) return NULL;
        goto unchanged;
    }
    if (source_tag(site, target) < 0) {
        Py_DECREF(target);
        if (sst_failure("source") < 0) return NULL;
        goto unchanged;
    }
    return target;
unchanged:
    Py_INCREF(v);
    return v;
}

/* ---- external and store ------------------------------------------------- */

static PyObject *rt_external(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 3) return misuse("external(ID, F, SOURCES)", nargs);
    return sst_sink_new(sst_rt.s_external, args[0], args[1], args[2]);
}

static PyObject *rt_store(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 3) return misuse("store(ID, F, SOURCES)", nargs);
    return sst_sink_new(sst_rt.s_store, args[0], args[1], args[2]);
}

#define FASTCALL(f) (PyCFunction)(void (*)(void))(f), METH_FASTCALL

PyMethodDef sst_inject_methods[] = {
    {"abi", FASTCALL(rt_abi), "abi(VERSION): raises ImportError unless VERSION is this runtime's ABI."},
    {"params", FASTCALL(rt_params), "params(NAMES, *VALUES): tags parameters by what their names mean."},
    {"flow", FASTCALL(rt_flow), "flow(VALUE, *SOURCES) -> VALUE: a fresh VALUE gets the tags of SOURCES."},
    {"derive", FASTCALL(rt_derive), "derive(SOURCES, *TARGETS): targets get the tags of SOURCES and of the carry."},
    {"carry", FASTCALL(rt_carry), "carry(VALUE): remembers VALUE's tags for the next derive() of this frame."},
    {"source", FASTCALL(rt_source), "source((PATH, KEY), VALUE) -> VALUE or a tagged fresh copy."},
    {"external", FASTCALL(rt_external), "external(ID, F, SOURCES) -> a callable that checks, then calls F."},
    {"store", FASTCALL(rt_store), "store(ID, F, SOURCES) -> a callable that checks, then calls F."},
    {NULL, NULL, 0, NULL}};
