/* The injected functions of the ABI (docs/abi.md) and the tagging helpers
 * the seed API shares with them. */
#ifndef SST_RT_INJECT_H
#define SST_RT_INJECT_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include "context.h"
#include "tags.h"

extern PyMethodDef sst_inject_methods[];
extern PyMethodDef sst_seed_methods[];
extern PyMethodDef sst_config_methods[];

/* V itself when it may be tagged (new reference); an equal fresh copy when V
 * is an interned str of 2+ characters; NULL without an exception when V can
 * neither be tagged nor copied (None, bools, small ints, 1-char strings...). */
PyObject *sst_taggable_target(PyObject *v);

/* Tags of the detector matches in text V (origins: kind "pattern", KEY,
 * FILE, LINE): a new reference, NULL when nothing matched (exception set
 * only on failure). */
SstTags *sst_pattern_tags(PyObject *v, PyObject *key, PyObject *file, int line);

/* Releases the pending carry of this thread (at context close). */
void sst_carry_clear(void);

#endif
