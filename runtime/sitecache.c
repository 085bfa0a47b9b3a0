/* The per-constant cache of catalogue answers (see sitecache.h). Keys are
 * (kind, object address[, code address]); entries hold strong references,
 * so an address is never reused while cached. The cache is emptied when it
 * reaches its bound, which only code generating constants could do. */
#include "sitecache.h"

#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include <sst/rewrite.h>

#include "frame.h"
#include "state.h"

#define HASH_NONFATAL_OOM 1
#define HASH_FUNCTION(keyptr, keylen, hashv) ((hashv) = (unsigned)XXH3_64bits((keyptr), (keylen)))
#include <uthash.h>

enum { SITE_SINK = 1, SITE_SOURCE, SITE_PARAMS };
enum { CACHE_MAX = 1 << 16 };

typedef struct site_key {
    PyObject *obj;
    PyCodeObject *code;
    uintptr_t kind;
} site_key;

typedef struct site_entry {
    site_key key;   /* both objects: strong references */
    union {
        sst_sink_site sink;
        sst_source_site source;
        sst_params_site params;
    } u;
    UT_hash_handle hh;
} site_entry;

static site_entry *cache;   /* guarded by the GIL */

static void names_clear(void);

static PyObject *str_or_null(const char *s)
{
    return s ? PyUnicode_FromString(s) : NULL;
}

static void entry_free(site_entry *e)
{
    Py_XDECREF(e->key.obj);
    Py_XDECREF(e->key.code);
    switch (e->key.kind) {
    case SITE_SINK:
        Py_XDECREF(e->u.sink.service);
        Py_XDECREF(e->u.sink.host);
        break;
    case SITE_SOURCE:
        Py_XDECREF(e->u.source.path);
        Py_XDECREF(e->u.source.key);
        break;
    case SITE_PARAMS:
        for (Py_ssize_t i = 0; e->u.params.tags && i < e->u.params.n; i++) Py_XDECREF(e->u.params.tags[i]);
        free(e->u.params.tags);
        free(e->u.params.cats);
        break;
    }
    free(e);
}

void sst_sitecache_clear(void)
{
    names_clear();
    site_entry *table = cache, *e, *tmp;
    cache = NULL;
    HASH_ITER(hh, table, e, tmp) {
        HASH_DEL(table, e);
        entry_free(e);
    }
}

static site_entry *find(PyObject *obj, PyCodeObject *code, uintptr_t kind)
{
    site_key key = {obj, code, kind};
    site_entry *e = NULL;
    HASH_FIND(hh, cache, &key, sizeof key, e);
    return e;
}

/* Takes a new entry filled by the caller into the cache (or frees it). */
static site_entry *insert(site_entry *e)
{
    if (HASH_COUNT(cache) >= CACHE_MAX) sst_sitecache_clear();
    HASH_ADD(hh, cache, key, sizeof e->key, e);
    if (!e->hh.tbl) {
        entry_free(e);
        PyErr_NoMemory();
        return NULL;
    }
    return e;
}

static site_entry *entry_new(PyObject *obj, PyCodeObject *code, uintptr_t kind)
{
    site_entry *e = calloc(1, sizeof *e);
    if (!e) {
        PyErr_NoMemory();
        return NULL;
    }
    e->key.obj = obj;
    e->key.code = code;
    e->key.kind = kind;
    Py_INCREF(obj);
    Py_XINCREF(code);
    return e;
}

/* Answers of classify_name by the name's text: keys of request bodies are
 * fresh strings every request but the same few names. Emptied when full. */
typedef struct name_entry {
    uint32_t cats;
    UT_hash_handle hh;
    size_t len;
    char name[];
} name_entry;

static name_entry *names;
enum { NAMES_MAX = 4096, NAME_CACHE_LEN = 64 };

static void names_clear(void)
{
    name_entry *e, *tmp;
    HASH_ITER(hh, names, e, tmp) {
        HASH_DEL(names, e);
        free(e);
    }
}

/* The catalogue's entry for PATH, or NULL (none, or no catalogue: counted as
 * a failure, the site then stands for an unknown service). */
static const sst_entry *site_entry_of(const char *path)
{
    sst_catalog *catalog = sst_rt_catalog();
    if (!catalog) {
        sst_failure("catalogue");
        return NULL;
    }
    return sst_catalog_lookup(catalog, path);
}

uint32_t sst_classify_name(PyObject *name)
{
    Py_ssize_t len;
    const char *s;
    if (!PyUnicode_Check(name)) return 0;
    sst_catalog *catalog = sst_rt_catalog();
    if (!catalog) {
        sst_failure("catalogue");
        return 0;
    }
    s = PyUnicode_AsUTF8AndSize(name, &len);
    if (!s) {
        PyErr_Clear();
        return 0;
    }
    if (len > NAME_CACHE_LEN) return sst_catalog_classify_name(catalog, s, (size_t)len);
    name_entry *e = NULL;
    HASH_FIND(hh, names, s, (size_t)len, e);
    if (e) return e->cats;
    uint32_t cats = sst_catalog_classify_name(catalog, s, (size_t)len);
    if (HASH_COUNT(names) >= NAMES_MAX) names_clear();
    if ((e = malloc(sizeof *e + (size_t)len + 1))) {
        e->cats = cats;
        e->len = (size_t)len;
        memcpy(e->name, s, (size_t)len + 1);
        HASH_ADD(hh, names, name[0], (size_t)len, e);
        if (!e->hh.tbl) free(e);
    }
    return cats;
}

const sst_sink_site *sst_site_sink(PyObject *id)
{
    site_entry *e = find(id, NULL, SITE_SINK);
    if (e) return &e->u.sink;
    const char *path = PyUnicode_Check(id) ? PyUnicode_AsUTF8(id) : NULL;
    if (!path) {
        if (!PyErr_Occurred())
            PyErr_Format(PyExc_TypeError, "a sink id is a str, not %.100s", Py_TYPE(id)->tp_name);
        return NULL;
    }
    if (!(e = entry_new(id, NULL, SITE_SINK))) return NULL;
    const sst_entry *entry = site_entry_of(path);
    if (entry) {
        e->u.sink.service = str_or_null(entry->service);
        e->u.sink.host = str_or_null(entry->host);
        if ((entry->service && !e->u.sink.service) || (entry->host && !e->u.sink.host)) {
            entry_free(e);
            return NULL;
        }
    }
    e = insert(e);
    return e ? &e->u.sink : NULL;
}

const sst_source_site *sst_site_source(PyObject *site)
{
    site_entry *e = find(site, NULL, SITE_SOURCE);
    if (e) return &e->u.source;
    PyObject *path, *key;
    if (!PyTuple_Check(site) || PyTuple_GET_SIZE(site) != 2 || !PyUnicode_Check(path = PyTuple_GET_ITEM(site, 0)) ||
        !((key = PyTuple_GET_ITEM(site, 1)) == Py_None || PyUnicode_Check(key))) {
        PyErr_SetString(PyExc_TypeError, "a source site is a tuple (PATH: str, KEY: str or None)");
        return NULL;
    }
    const char *cpath = PyUnicode_AsUTF8(path);
    if (!cpath) return NULL;
    if (!(e = entry_new(site, NULL, SITE_SOURCE))) return NULL;
    const sst_entry *entry = site_entry_of(cpath);
    e->u.source.path = path;
    Py_INCREF(path);
    if (key != Py_None) {
        e->u.source.key = key;
        Py_INCREF(key);
    }
    e->u.source.path_cats = entry && entry->kind == SST_KIND_SOURCE ? entry->categories : 0;
    e->u.source.cats = e->u.source.path_cats | (key != Py_None ? sst_classify_name(key) : 0);
    e = insert(e);
    return e ? &e->u.source : NULL;
}

const sst_params_site *sst_site_params(PyObject *names, PyCodeObject *code)
{
    site_entry *e = find(names, code, SITE_PARAMS);
    if (e) return &e->u.params;
    if (!PyTuple_Check(names)) {
        PyErr_SetString(PyExc_TypeError, "params() NAMES is a tuple of str");
        return NULL;
    }
    Py_ssize_t n = PyTuple_GET_SIZE(names);
    if (!(e = entry_new(names, code, SITE_PARAMS))) return NULL;
    e->u.params.n = n;
    e->u.params.cats = calloc((size_t)(n ? n : 1), sizeof *e->u.params.cats);
    e->u.params.tags = calloc((size_t)(n ? n : 1), sizeof *e->u.params.tags);
    if (!e->u.params.cats || !e->u.params.tags) {
        entry_free(e);
        PyErr_NoMemory();
        return NULL;
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *name = PyTuple_GET_ITEM(names, i);
        if (!PyUnicode_Check(name)) {
            entry_free(e);
            PyErr_SetString(PyExc_TypeError, "params() NAMES is a tuple of str");
            return NULL;
        }
        uint32_t cats = sst_classify_name(name);
        e->u.params.cats[i] = cats;
        if (!cats) continue;
        PyObject *origin = sst_origin_new(sst_rt.s_parameter, code ? sst_code_qualname(code) : NULL, name,
                                          code ? code->co_filename : NULL, code ? code->co_firstlineno : 0);
        if (!origin || !(e->u.params.tags[i] = sst_tags_new1(cats, origin))) {
            Py_XDECREF(origin);
            entry_free(e);
            return NULL;
        }
        Py_DECREF(origin);
    }
    e = insert(e);
    return e ? &e->u.params : NULL;
}
