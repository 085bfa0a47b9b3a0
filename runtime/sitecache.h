/* What the catalogue says about a call site, looked up once per constant:
 * the ID, NAMES and SITE arguments of injected calls are code constants (the
 * same object at every call), so the cache is keyed by their address and
 * holds a reference to them. */
#ifndef SST_RT_SITECACHE_H
#define SST_RT_SITECACHE_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>

#include "tags.h"

typedef struct sst_sink_site {
    PyObject *service;   /* str or NULL */
    PyObject *host;      /* str or NULL: the catalogue's fixed destination */
} sst_sink_site;

typedef struct sst_source_site {
    PyObject *path;      /* str: catalogue path of the source */
    PyObject *key;       /* str or NULL: the key read */
    uint32_t cats;       /* categories of the path and of the key's name */
    uint32_t path_cats;  /* categories of the path alone */
} sst_source_site;

typedef struct sst_params_site {
    Py_ssize_t n;
    uint32_t *cats;      /* categories each name means */
    SstTags **tags;      /* tags for each name (origin: that parameter), NULL if none */
} sst_params_site;

/* Each returns a borrowed record valid until the next call into this file,
 * or NULL with an exception when the constant has the wrong shape. */
const sst_sink_site *sst_site_sink(PyObject *id);
const sst_source_site *sst_site_source(PyObject *site);
const sst_params_site *sst_site_params(PyObject *names, PyCodeObject *code);

/* Categories an identifier means (not cached: for keys of data). */
uint32_t sst_classify_name(PyObject *name);

void sst_sitecache_clear(void);

#endif
