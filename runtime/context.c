/* The Context type (`with sst_runtime.context(method=..., path=...)`), the
 * ContextVar that holds the open one, and the default context. Exiting a
 * context flushes the audit log and releases every reference it held. */
#include "context.h"

#include <structmember.h>

#include "inject.h"
#include "state.h"

SstContext *sst_context_current(void)
{
    PyObject *ctx = NULL;
    if (PyContextVar_Get(sst_rt.contextvar, NULL, &ctx) < 0) {
        PyErr_Clear();
        ctx = NULL;
    }
    if (!ctx) {
        ctx = (PyObject *)sst_rt.default_ctx;
        Py_INCREF(ctx);
    }
    return (SstContext *)ctx;
}

int sst_context_add(SstContext *ctx, PyObject *obj, SstTags *tags)
{
    if (ctx->closed) return 0;
    SstTags *old = sst_registry_get(&ctx->reg, obj);
    if (!old) return sst_registry_set(&ctx->reg, obj, tags);
    if (sst_tags_covers(old, tags)) return 0;
    Py_INCREF(old);   /* the union allocates: a collection may change the registry */
    SstTags *u = sst_tags_union(old, tags);
    Py_DECREF(old);
    if (!u) return -1;
    int rc = sst_registry_set(&ctx->reg, obj, u);
    Py_DECREF(u);
    return rc;
}

static int str_or_none(PyObject *o, PyObject **out, const char *what)
{
    if (!o || o == Py_None) {
        *out = NULL;
        return 0;
    }
    if (!PyUnicode_Check(o)) {
        PyErr_Format(PyExc_TypeError, "context(): %s must be a str or None, not %.100s", what,
                     Py_TYPE(o)->tp_name);
        return -1;
    }
    Py_INCREF(o);
    *out = o;
    return 0;
}

static PyObject *context_new(PyTypeObject *type, PyObject *args, PyObject *kwds)
{
    static char *kwlist[] = {"method", "path", "endpoint", "request_id", "max_tags", NULL};
    PyObject *method = NULL, *path = NULL, *endpoint = NULL, *rid = NULL;
    Py_ssize_t cap = -1;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "|OOOOn:context", kwlist, &method, &path, &endpoint,
                                     &rid, &cap))
        return NULL;
    SstContext *self = (SstContext *)type->tp_alloc(type, 0);
    if (!self) return NULL;
    sst_registry_init(&self->reg, cap > 0 ? cap : sst_rt.max_tags);
    if (str_or_none(method, &self->method, "method") || str_or_none(path, &self->path, "path") ||
        str_or_none(endpoint, &self->endpoint, "endpoint") ||
        str_or_none(rid, &self->request_id, "request_id")) {
        Py_DECREF(self);
        return NULL;
    }
    return (PyObject *)self;
}

SstContext *sst_context_new_default(Py_ssize_t cap)
{
    SstContext *self = PyObject_New(SstContext, &SstContext_Type);
    if (!self) return NULL;
    sst_registry_init(&self->reg, cap);
    self->request_id = self->method = self->path = self->endpoint = NULL;
    self->token = NULL;
    self->is_default = 1;
    self->closed = 0;
    return self;
}

static void context_dealloc(SstContext *self)
{
    sst_registry_clear(&self->reg);
    Py_CLEAR(self->request_id);
    Py_CLEAR(self->method);
    Py_CLEAR(self->path);
    Py_CLEAR(self->endpoint);
    Py_CLEAR(self->token);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static PyObject *context_enter(SstContext *self, PyObject *unused)
{
    if (self->is_default) {
        PyErr_SetString(PyExc_RuntimeError, "the default context is always open");
        return NULL;
    }
    if (self->token || self->closed) {
        PyErr_SetString(PyExc_RuntimeError,
                        self->closed ? "this request context was closed" : "this request context is already open");
        return NULL;
    }
    self->token = PyContextVar_Set(sst_rt.contextvar, (PyObject *)self);
    if (!self->token) return NULL;
    Py_INCREF(self);
    return (PyObject *)self;
}

/* Closes the context: the ContextVar goes back to what it was (when exited
 * in the contextvars context it was entered in), the audit log is flushed,
 * and every tagged object is released. */
static PyObject *context_close(SstContext *self, PyObject *unused)
{
    if (self->is_default || self->closed) Py_RETURN_NONE;
    self->closed = 1;
    if (self->token) {
        PyObject *token = self->token;
        self->token = NULL;
        if (PyContextVar_Reset(sst_rt.contextvar, token) < 0) PyErr_Clear();  /* other task */
        Py_DECREF(token);
    }
    sst_writer_flush(&sst_rt.writer);
    sst_carry_clear();   /* a carry() whose derive() an exception skipped */
    sst_registry_clear(&self->reg);
    Py_RETURN_NONE;
}

static PyObject *context_exit(SstContext *self, PyObject *const *args, Py_ssize_t nargs)
{
    PyObject *r = context_close(self, NULL);
    if (!r) return NULL;
    Py_DECREF(r);
    Py_RETURN_FALSE;
}

static PyObject *get_opt(PyObject *o)
{
    o = o ? o : Py_None;
    Py_INCREF(o);
    return o;
}

static PyObject *context_get_request(SstContext *self, void *closure)
{
    if (self->is_default) Py_RETURN_NONE;
    return Py_BuildValue("{s:N,s:N,s:N,s:N}", "id", get_opt(self->request_id), "method", get_opt(self->method),
                         "path", get_opt(self->path), "endpoint", get_opt(self->endpoint));
}

static PyObject *context_get_tagged(SstContext *self, void *closure)
{
    return PyLong_FromSsize_t(sst_registry_count(&self->reg));
}

static PyObject *context_get_dropped(SstContext *self, void *closure)
{
    return PyLong_FromUnsignedLongLong(self->reg.dropped);
}

static PyObject *context_get_max_tags(SstContext *self, void *closure)
{
    return PyLong_FromSsize_t(self->reg.cap);
}

static PyObject *context_get_closed(SstContext *self, void *closure)
{
    return PyBool_FromLong(self->closed);
}

static PyObject *context_repr(SstContext *self)
{
    if (self->is_default) return PyUnicode_FromString("<sst_runtime.context default>");
#define B(o) ((o) ? (o) : Py_None)
    return PyUnicode_FromFormat("<sst_runtime.context %R %R id=%R%s>", B(self->method), B(self->path),
                                B(self->request_id), self->closed ? " closed" : "");
#undef B
}

static PyMethodDef context_methods[] = {
    {"__enter__", (PyCFunction)context_enter, METH_NOARGS, "Opens the context in the current contextvars context."},
    {"__exit__", (PyCFunction)(void (*)(void))context_exit, METH_FASTCALL, "Closes the context."},
    {"close", (PyCFunction)context_close, METH_NOARGS,
     "Closes the context: flushes the audit log, releases every tagged value."},
    {NULL, NULL, 0, NULL}};

static PyGetSetDef context_getset[] = {
    {"request", (getter)context_get_request, NULL, "dict: id, method, path, endpoint (None: default context)", NULL},
    {"tagged", (getter)context_get_tagged, NULL, "number of values tagged in this context", NULL},
    {"dropped", (getter)context_get_dropped, NULL, "tags dropped because the context was full", NULL},
    {"max_tags", (getter)context_get_max_tags, NULL, "most values tagged at once", NULL},
    {"closed", (getter)context_get_closed, NULL, "True once exited", NULL},
    {NULL, NULL, NULL, NULL, NULL}};

PyTypeObject SstContext_Type = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "sst_runtime.context",
    .tp_basicsize = sizeof(SstContext),
    .tp_dealloc = (destructor)context_dealloc,
    .tp_repr = (reprfunc)context_repr,
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "context(method=None, path=None, endpoint=None, request_id=None, max_tags=None)\n\n"
              "A request context: `with sst_runtime.context(...):` tags and events inside\n"
              "belong to this request; leaving it flushes the log and drops its tags.",
    .tp_methods = context_methods,
    .tp_getset = context_getset,
    .tp_new = context_new,
};
