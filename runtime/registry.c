/* The identity-keyed tag table of one context (uthash, pointer keys, a
 * cheap multiplicative hash) and the free list of its entries, shared by all
 * registries, so a steady state of tagging and dropping does not malloc. */
#include "registry.h"

#include <stdlib.h>
#include <string.h>

#include "state.h"

#define HASH_NONFATAL_OOM 1
#define HASH_FUNCTION(keyptr, keylen, hashv)                                  \
    do {                                                                      \
        uintptr_t k_;                                                         \
        memcpy(&k_, (keyptr), sizeof k_);                                     \
        (hashv) = (unsigned)(((uint64_t)k_ >> 4) * 0x9E3779B97F4A7C15ull >> 32); \
    } while (0)
#include <uthash.h>

struct sst_registry_entry {
    PyObject *obj;       /* strong reference; the key is its address */
    SstTags *tags;       /* strong reference */
    UT_hash_handle hh;
};

uint16_t sst_filter[1u << SST_FILTER_BITS];   /* guarded by the GIL */

/* A saturated counter stays saturated: the filter only says "maybe". */
static void filter_add(const void *obj)
{
    uint16_t *c = &sst_filter[sst_filter_slot(obj)];
    if (*c != UINT16_MAX) (*c)++;
}

static void filter_remove(const void *obj)
{
    uint16_t *c = &sst_filter[sst_filter_slot(obj)];
    if (*c != UINT16_MAX && *c) (*c)--;
}

/* Free entries, linked through hh.next. Guarded by the GIL. */
static sst_registry_entry *pool;
static Py_ssize_t pool_size;
enum { POOL_MAX = 4096 };

static sst_registry_entry *entry_alloc(void)
{
    sst_registry_entry *e = pool;
    if (e) {
        pool = e->hh.next;
        pool_size--;
        return e;
    }
    return malloc(sizeof *e);
}

static void entry_free(sst_registry_entry *e)
{
    if (pool_size >= POOL_MAX) {
        free(e);
        return;
    }
    e->hh.next = pool;
    pool = e;
    pool_size++;
}

void sst_registry_init(sst_registry *reg, Py_ssize_t cap)
{
    reg->table = NULL;
    reg->cap = cap > 0 ? cap : 1;
    reg->dropped = 0;
}

Py_ssize_t sst_registry_count(const sst_registry *reg)
{
    return (Py_ssize_t)HASH_COUNT(reg->table);
}

SstTags *sst_registry_get(const sst_registry *reg, PyObject *obj)
{
    sst_registry_entry *e;
    if (!reg->table || !sst_maybe_tagged(obj)) return NULL;
    HASH_FIND_PTR(reg->table, &obj, e);
    return e ? e->tags : NULL;
}

/* Unlinks the oldest entry; its references go to *OBJ and *TAGS. */
static void drop_oldest(sst_registry *reg, PyObject **obj, SstTags **tags)
{
    sst_registry_entry *e = reg->table;
    HASH_DEL(reg->table, e);
    filter_remove(e->obj);
    *obj = e->obj;
    *tags = e->tags;
    entry_free(e);
    reg->dropped++;
    sst_rt.dropped++;
    sst_rt.tagged_total--;
}

int sst_registry_set(sst_registry *reg, PyObject *obj, SstTags *tags)
{
    sst_registry_entry *e = NULL;
    if (reg->table) HASH_FIND_PTR(reg->table, &obj, e);
    if (e) {
        SstTags *old = e->tags;
        Py_INCREF(tags);
        e->tags = tags;
        Py_DECREF(old);   /* a Tags holds only strings: no user code runs */
        return 0;
    }
    e = entry_alloc();
    if (!e) {
        PyErr_NoMemory();
        return -1;
    }
    e->obj = obj;
    e->tags = tags;
    HASH_ADD_PTR(reg->table, obj, e);
    if (!e->hh.tbl) {
        entry_free(e);
        PyErr_NoMemory();
        return -1;
    }
    Py_INCREF(obj);
    Py_INCREF(tags);
    filter_add(obj);
    sst_rt.tagged_total++;
    if ((Py_ssize_t)HASH_COUNT(reg->table) > reg->cap) {
        PyObject *gone;
        SstTags *gone_tags;
        drop_oldest(reg, &gone, &gone_tags);
        Py_DECREF(gone_tags);
        Py_DECREF(gone);   /* last: may run a __del__ that tags again */
    }
    return 0;
}

void sst_registry_set_cap(sst_registry *reg, Py_ssize_t cap)
{
    reg->cap = cap > 0 ? cap : 1;
    while ((Py_ssize_t)HASH_COUNT(reg->table) > reg->cap) {
        PyObject *gone;
        SstTags *gone_tags;
        drop_oldest(reg, &gone, &gone_tags);
        Py_DECREF(gone_tags);
        Py_DECREF(gone);
    }
}

void sst_registry_clear(sst_registry *reg)
{
    sst_registry_entry *table = reg->table;
    if (!table) return;
    reg->table = NULL;
    sst_rt.tagged_total -= (Py_ssize_t)HASH_COUNT(table);
    /* Detach everything first (the entries stay linked through hh.next):
     * the releases below may re-enter the runtime. */
    sst_registry_entry *chain = table;
    HASH_CLEAR(hh, table);
    while (chain) {
        sst_registry_entry *e = chain;
        chain = e->hh.next;
        PyObject *obj = e->obj;
        SstTags *tags = e->tags;
        filter_remove(obj);
        entry_free(e);
        Py_DECREF(tags);
        Py_DECREF(obj);
    }
}
