/* Tags (categories + origins) and the Origin record: creation, union and
 * the category-name conversions. Tags are immutable, so a flow that adds
 * nothing new shares the source's Tags object instead of making one. */
#include "tags.h"

#include <sst/rewrite.h>

#include "state.h"

PyTypeObject *SstOrigin_Type;

static PyStructSequence_Field origin_fields[] = {
    {"kind", "request, parameter, pattern, store or manual"},
    {"source", "catalogue path, function, detector or store the value came from"},
    {"key", "request field, parameter name or None"},
    {"file", "file of the code that tagged the value"},
    {"line", "line of that code"},
    {NULL, NULL}};

static PyStructSequence_Desc origin_desc = {
    "sst_runtime.Origin", "Where a tagged value came from.", origin_fields, 5};

int sst_tags_init_types(void)
{
    if (!SstOrigin_Type) {
        SstOrigin_Type = PyStructSequence_NewType(&origin_desc);
        if (!SstOrigin_Type) return -1;
    }
    return PyType_Ready(&SstTags_Type);
}

static PyObject *or_none(PyObject *o)
{
    o = o ? o : Py_None;
    Py_INCREF(o);
    return o;
}

PyObject *sst_origin_new(PyObject *kind, PyObject *source, PyObject *key, PyObject *file, int line)
{
    PyObject *o = PyStructSequence_New(SstOrigin_Type);
    if (!o) return NULL;
    PyObject *ln = PyLong_FromLong(line);
    if (!ln) {
        Py_DECREF(o);
        return NULL;
    }
    PyStructSequence_SET_ITEM(o, 0, or_none(kind));
    PyStructSequence_SET_ITEM(o, 1, or_none(source));
    PyStructSequence_SET_ITEM(o, 2, or_none(key));
    PyStructSequence_SET_ITEM(o, 3, or_none(file));
    PyStructSequence_SET_ITEM(o, 4, ln);
    return o;
}

SstTags *sst_tags_new(uint32_t cats, PyObject *origins)
{
    SstTags *t = PyObject_New(SstTags, &SstTags_Type);
    if (!t) return NULL;
    t->cats = cats;
    t->origins = origins;
    Py_INCREF(origins);
    return t;
}

SstTags *sst_tags_new1(uint32_t cats, PyObject *origin)
{
    PyObject *tuple = PyTuple_Pack(1, origin);
    if (!tuple) return NULL;
    SstTags *t = sst_tags_new(cats, tuple);
    Py_DECREF(tuple);
    return t;
}

int sst_origin_same(PyObject *x, PyObject *o)
{
    if (x == o) return 1;
    /* The same kind, source and key is the same origin: the first place it
     * was seen (file, line) is kept. Items are str, int or None, so the
     * comparison runs no user code. */
    for (Py_ssize_t k = 0; k < 3; k++) {
        PyObject *a = PyTuple_GET_ITEM(x, k), *b = PyTuple_GET_ITEM(o, k);
        if (a == b) continue;
        int eq = PyObject_RichCompareBool(a, b, Py_EQ);
        if (eq < 0) PyErr_Clear();
        if (eq <= 0) return 0;
    }
    return 1;
}

/* Index of the same origin as O in the tuple T, or -1. */
static Py_ssize_t origin_index(PyObject *t, PyObject *o)
{
    Py_ssize_t n = PyTuple_GET_SIZE(t);
    for (Py_ssize_t i = 0; i < n; i++)
        if (sst_origin_same(PyTuple_GET_ITEM(t, i), o)) return i;
    return -1;
}

int sst_tags_covers(const SstTags *a, const SstTags *b)
{
    if (a == b) return 1;
    if ((a->cats | b->cats) != a->cats) return 0;
    Py_ssize_t na = PyTuple_GET_SIZE(a->origins), nb = PyTuple_GET_SIZE(b->origins);
    if (b->origins == a->origins || nb == 0) return 1;
    for (Py_ssize_t i = 0; i < nb; i++)
        if (origin_index(a->origins, PyTuple_GET_ITEM(b->origins, i)) < 0)
            /* A full list drops newcomers anyway: it covers them. */
            if (na < SST_MAX_ORIGINS) return 0;
    return 1;
}

SstTags *sst_tags_union(SstTags *a, SstTags *b)
{
    if (!a || !b || sst_tags_covers(a, b)) {
        SstTags *r = a ? a : b;
        Py_XINCREF(r);
        return r;
    }
    if (sst_tags_covers(b, a)) {
        Py_INCREF(b);
        return b;
    }
    PyObject *items[SST_MAX_ORIGINS];
    Py_ssize_t n = 0;
    Py_ssize_t na = PyTuple_GET_SIZE(a->origins), nb = PyTuple_GET_SIZE(b->origins);
    for (Py_ssize_t i = 0; i < na && n < SST_MAX_ORIGINS; i++) items[n++] = PyTuple_GET_ITEM(a->origins, i);
    for (Py_ssize_t i = 0; i < nb && n < SST_MAX_ORIGINS; i++) {
        PyObject *o = PyTuple_GET_ITEM(b->origins, i);
        if (origin_index(a->origins, o) < 0) items[n++] = o;
    }
    PyObject *tuple = PyTuple_New(n);
    if (!tuple) return NULL;
    for (Py_ssize_t i = 0; i < n; i++) {
        Py_INCREF(items[i]);
        PyTuple_SET_ITEM(tuple, i, items[i]);
    }
    SstTags *t = sst_tags_new(a->cats | b->cats, tuple);
    Py_DECREF(tuple);
    return t;
}

PyObject *sst_categories_tuple(uint32_t cats)
{
    PyObject *t = PyTuple_New(__builtin_popcount(cats & ((1u << SST_CAT_COUNT) - 1)));
    Py_ssize_t n = 0;
    for (unsigned i = 0; t && i < SST_CAT_COUNT; i++) {
        if (!(cats & (1u << i))) continue;
        PyObject *name = PyUnicode_InternFromString(sst_category_name(i));
        if (!name) Py_CLEAR(t);
        else PyTuple_SET_ITEM(t, n++, name);
    }
    return t;
}

static int category_bit(PyObject *name, uint32_t *out)
{
    const char *s = PyUnicode_Check(name) ? PyUnicode_AsUTF8(name) : NULL;
    if (!s) {
        PyErr_Clear();
        PyErr_Format(PyExc_TypeError, "a data category is a str, not %.100s", Py_TYPE(name)->tp_name);
        return -1;
    }
    for (unsigned i = 0; i < SST_CAT_COUNT; i++)
        if (!strcmp(s, sst_category_name(i))) {
            *out |= 1u << i;
            return 0;
        }
    PyErr_Format(PyExc_ValueError, "unknown data category '%s'", s);
    return -1;
}

int sst_categories_parse(PyObject *names, uint32_t *out)
{
    *out = 0;
    if (PyUnicode_Check(names)) return category_bit(names, out);
    PyObject *it = PyObject_GetIter(names);
    if (!it) return -1;
    PyObject *item;
    int rc = 0;
    while (!rc && (item = PyIter_Next(it))) {
        rc = category_bit(item, out);
        Py_DECREF(item);
    }
    Py_DECREF(it);
    return rc || PyErr_Occurred() ? -1 : 0;
}

/* ---- the Tags type ------------------------------------------------------ */

static void tags_dealloc(SstTags *self)
{
    Py_XDECREF(self->origins);
    PyObject_Free(self);
}

static PyObject *tags_get_categories(SstTags *self, void *closure)
{
    return sst_categories_tuple(self->cats);
}

static PyObject *tags_get_bits(SstTags *self, void *closure)
{
    return PyLong_FromUnsignedLong(self->cats);
}

static PyObject *tags_get_origins(SstTags *self, void *closure)
{
    Py_INCREF(self->origins);
    return self->origins;
}

static PyObject *tags_repr(SstTags *self)
{
    PyObject *cats = sst_categories_tuple(self->cats);
    if (!cats) return NULL;
    PyObject *r = PyUnicode_FromFormat("Tags(categories=%R, origins=%R)", cats, self->origins);
    Py_DECREF(cats);
    return r;
}

static PyGetSetDef tags_getset[] = {
    {"categories", (getter)tags_get_categories, NULL, "data category names, in a fixed order", NULL},
    {"bits", (getter)tags_get_bits, NULL, "the categories as SST_CAT_* bits", NULL},
    {"origins", (getter)tags_get_origins, NULL, "tuple of Origin, oldest first", NULL},
    {NULL, NULL, NULL, NULL, NULL}};

PyTypeObject SstTags_Type = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "sst_runtime.Tags",
    .tp_basicsize = sizeof(SstTags),
    .tp_dealloc = (destructor)tags_dealloc,
    .tp_repr = (reprfunc)tags_repr,
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "The data categories and origins of a tagged value (immutable).",
    .tp_getset = tags_getset,
};
