/* Tags: what the runtime knows about one value. A set of data categories
 * (SST_CAT_* bits) and a short list of origins, each an immutable
 * sst_runtime.Origin (kind, source, key, file, line). Tags objects are
 * immutable and shared between values that carry the same knowledge. */
#ifndef SST_RT_TAGS_H
#define SST_RT_TAGS_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>

/* At most this many origins are kept per value: the first ones seen. */
#define SST_MAX_ORIGINS 8

typedef struct {
    PyObject_HEAD
    uint32_t cats;
    PyObject *origins;   /* tuple of Origin, 0..SST_MAX_ORIGINS */
} SstTags;

extern PyTypeObject SstTags_Type;
extern PyTypeObject *SstOrigin_Type;

/* Creates the Origin struct sequence type; 0 or -1 with an exception. */
int sst_tags_init_types(void);

/* New Origin; SOURCE, KEY, FILE may be NULL (stored as None). */
PyObject *sst_origin_new(PyObject *kind, PyObject *source, PyObject *key,
                         PyObject *file, int line);

/* True when origins X and O have the same kind, source and key (where they
 * were seen does not count: the first place is kept). */
int sst_origin_same(PyObject *x, PyObject *o);

/* New Tags with CATS and the origins of the tuple ORIGINS (borrowed). */
SstTags *sst_tags_new(uint32_t cats, PyObject *origins);
/* New Tags with CATS and the single origin ORIGIN (borrowed). */
SstTags *sst_tags_new1(uint32_t cats, PyObject *origin);

/* True when A already says everything B says. */
int sst_tags_covers(const SstTags *a, const SstTags *b);

/* The union of A and B (either may be NULL): a new reference, which is A or
 * B itself when one covers the other. NULL with an exception on failure,
 * NULL without one when both are NULL. */
SstTags *sst_tags_union(SstTags *a, SstTags *b);

/* Tuple of the category names of CATS, in bit order. */
PyObject *sst_categories_tuple(uint32_t cats);
/* Bits of the category names in ITERABLE (or one str); -1 with ValueError. */
int sst_categories_parse(PyObject *names, uint32_t *out);

#endif
