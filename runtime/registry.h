/* The tag registry of one context: object identity -> Tags, holding a strong
 * reference to every tagged object (so its address cannot be reused while
 * it is tagged), bounded (the oldest entry is dropped first, and counted). */
#ifndef SST_RT_REGISTRY_H
#define SST_RT_REGISTRY_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>

#include "tags.h"

typedef struct sst_registry_entry sst_registry_entry;

typedef struct sst_registry {
    sst_registry_entry *table;   /* uthash head; iteration order = insertion order */
    Py_ssize_t cap;              /* at most this many entries */
    uint64_t dropped;            /* entries dropped to stay under cap */
} sst_registry;

void sst_registry_init(sst_registry *reg, Py_ssize_t cap);
Py_ssize_t sst_registry_count(const sst_registry *reg);

/* Tags of OBJ (borrowed), or NULL. Allocates nothing. */
SstTags *sst_registry_get(const sst_registry *reg, PyObject *obj);

/* Gives OBJ the tags TAGS (replacing what it had). 0, or -1 with MemoryError.
 * May drop the oldest entry; its object is released after the table is
 * consistent again, so a __del__ that re-enters the runtime is safe. */
int sst_registry_set(sst_registry *reg, PyObject *obj, SstTags *tags);

/* Releases every entry. The table is emptied before the first release. */
void sst_registry_clear(sst_registry *reg);

/* Keeps only the newest MAX entries (after a configure(max_tags=...)). */
void sst_registry_set_cap(sst_registry *reg, Py_ssize_t cap);

/* A counting filter over the addresses tagged in any registry: one counter
 * per slot of a hash of the address. Zero means OBJ is tagged in no context,
 * so the injected functions can return before looking up the current
 * context. Nonzero may be another object sharing the slot. */
#define SST_FILTER_BITS 16
extern uint16_t sst_filter[1u << SST_FILTER_BITS];

static inline size_t sst_filter_slot(const void *obj)
{
    return (size_t)(((uint64_t)(uintptr_t)obj >> 4) * 0x9E3779B97F4A7C15ull >> (64 - SST_FILTER_BITS));
}

static inline int sst_maybe_tagged(const void *obj)
{
    return sst_filter[sst_filter_slot(obj)] != 0;
}

#endif
