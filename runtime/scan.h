/* Inspection of the values a sink receives: tags found in the context's
 * registry and matches of the value detectors, walked through containers to
 * a bounded depth and size. The fast path (nothing tagged, no match)
 * allocates nothing. */
#ifndef SST_RT_SCAN_H
#define SST_RT_SCAN_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>

#include "context.h"
#include "events.h"

#define SST_SCAN_MAX_DEPTH 4     /* containers inside containers, below the arguments */
#define SST_SCAN_MAX_ITEMS 64    /* items looked at in one container */
#define SST_SCAN_MAX_NODES 512   /* values looked at in one call */
#define SST_SCAN_SEEN_SLOTS 1024 /* identity set of visited values (power of 2) */
#define SST_SCAN_SEEN_LINEAR 16  /* a short list first: most calls need no more */

typedef struct sst_scan {
    SstContext *ctx;          /* borrowed */
    int use_tags;             /* the context has tags to look up */
    uint32_t cats;            /* everything found */
    PyObject *origins;        /* list of Origin, NULL until the first find */
    uint32_t kinds;           /* detector kinds matched, in no order */
    uint8_t kind_order[32];   /* detector kinds (bit index) in order of first match */
    int nkind_order;
    int custom_pattern;       /* pattern index of the first custom match, -1 */
    int found;
    sst_value_item values[SST_MAX_VALUES];
    size_t nvalues;
    int nodes;
    size_t nseen;             /* values in the identity set */
    int seen_hashed;          /* seen[] is a hash table (beyond SST_SCAN_SEEN_LINEAR) */
    const void *seen[SST_SCAN_SEEN_SLOTS];
    char where[SST_WHERE_MAX];
    size_t wlen;
    int failed;               /* an allocation failed: exception pending */
    int sources;              /* walking the static sources (docs/abi.md), not the arguments */
    int quiet;                /* >0 inside an object's attributes reached from a static source:
                               * tags are looked up, the detectors are not run */
} sst_scan;

void sst_scan_init(sst_scan *s, SstContext *ctx);
/* Writes PREFIX, the decimal I and SUFFIX into OUT (CAP bytes, NUL-terminated,
 * cut to fit); returns the length. Faster than snprintf on the hot path. */
size_t sst_format_index(char *out, size_t cap, const char *prefix, Py_ssize_t i, const char *suffix);
/* Writes A, the N bytes of B and C into OUT, cut at a UTF-8 character
 * boundary to fit CAP with the NUL; returns the length. */
size_t sst_concat3(char *out, size_t cap, const char *a, const char *b, size_t n, const char *c);
/* Inspects V, an argument labelled LABEL ("args[0]", "kwargs['json']"...). */
void sst_scan_root(sst_scan *s, PyObject *v, const char *label);
/* Adds one origin per detector kind matched (kind "pattern", KEY, FILE, LINE).
 * 0, or -1 with an exception. */
int sst_scan_finish(sst_scan *s, PyObject *key, PyObject *file, int line);
void sst_scan_release(sst_scan *s);

/* True when V may be tagged: not None, a bool, a small int, an interned or
 * 1-character string, an empty str/bytes/tuple/frozenset, nor a type,
 * module, function or code object. */
int sst_taggable(PyObject *v);

/* Runs the detectors on V when it is text (str or bytes); returns the
 * detector kinds found and, through CATS, their categories. */
uint32_t sst_detect_value(PyObject *v, uint32_t *cats, int *custom_pattern);

/* Detector kind names as interned str (index < SST_DETECT_KIND_COUNT). */
PyObject *sst_detect_kind_str(unsigned index, int custom_pattern);

#endif
