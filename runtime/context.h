/* Contexts: one per request (a contextvars.ContextVar, so threads and asyncio
 * tasks each see their own), a default one for scripts. A context owns the
 * tag registry of its request and the request's description for events. */
#ifndef SST_RT_CONTEXT_H
#define SST_RT_CONTEXT_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include "registry.h"

struct SstContext {
    PyObject_HEAD
    sst_registry reg;
    PyObject *request_id, *method, *path, *endpoint;   /* str or NULL */
    PyObject *token;     /* contextvars Token while entered, else NULL */
    int is_default;      /* the scripts' context: no request */
    int closed;          /* exited: tags nothing more */
};
typedef struct SstContext SstContext;

extern PyTypeObject SstContext_Type;

/* The default context (a new reference), -1/NULL with an exception. */
SstContext *sst_context_new_default(Py_ssize_t cap);

/* The context open in the caller's contextvars context, or the default one:
 * a new reference. Allocates nothing. */
SstContext *sst_context_current(void);

/* Adds TAGS to what OBJ already has in CTX (union); 0 or -1. */
int sst_context_add(SstContext *ctx, PyObject *obj, SstTags *tags);

/* Tags of OBJ in CTX (borrowed) or NULL. */
static inline SstTags *sst_context_tags(SstContext *ctx, PyObject *obj)
{
    return sst_registry_get(&ctx->reg, obj);
}

#endif
