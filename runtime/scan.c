/* The walk over a sink's arguments (see scan.h): identity set against cycles
 * and duplicates, location paths such as kwargs['json']['email'] that never
 * show a personal value, text handed to the detectors as a bounded UTF-8
 * window on the stack, redacted previews. Runs no Python code. */
#include "scan.h"

#include <stdio.h>
#include <string.h>

#include <sst/rewrite.h>

#include "detect/detect.h"
#include "state.h"

#define WINDOW (SST_DETECT_SCAN_MAX + SST_DETECT_PEEK)
#define RAW_MAX 1024   /* characters of a raw value written with values=True */
#define EVENT_MAX_ORIGINS 16

int sst_taggable(PyObject *v)
{
    if (v == Py_None || v == Py_True || v == Py_False || v == Py_Ellipsis || v == Py_NotImplemented) return 0;
    if (PyUnicode_Check(v)) return PyUnicode_GET_LENGTH(v) > 1 && !PyUnicode_CHECK_INTERNED(v);
    if (PyLong_CheckExact(v)) {
        Py_ssize_t size = Py_SIZE(v);
        if (size < -1 || size > 1) return 1;
        int overflow;
        long x = PyLong_AsLongAndOverflow(v, &overflow);
        return overflow || x < -5 || x > 256;
    }
    if (PyBytes_Check(v)) return PyBytes_GET_SIZE(v) > 1;
    if (PyTuple_Check(v)) return PyTuple_GET_SIZE(v) > 0;
    if (PyFrozenSet_Check(v)) return PySet_GET_SIZE(v) > 0;
    if (PyType_Check(v) || PyModule_Check(v) || PyFunction_Check(v) || PyCFunction_Check(v) || PyMethod_Check(v) ||
        PyCode_Check(v))
        return 0;
    return 1;
}

/* ---- text --------------------------------------------------------------- */

/* UTF-8 of the first WINDOW bytes of V (str: surrogates written as
 * "surrogatepass" would; bytes as they are). Points *OUT at the data, which
 * is V's own buffer or BUF. Returns the length, or -1 if V is not text. */
static Py_ssize_t text_window(PyObject *v, char *buf, const char **out)
{
    if (PyBytes_Check(v)) {
        Py_ssize_t n = PyBytes_GET_SIZE(v);
        *out = PyBytes_AS_STRING(v);
        return n < WINDOW ? n : WINDOW;
    }
    if (!PyUnicode_Check(v) || PyUnicode_READY(v) < 0) return -1;
    Py_ssize_t n = PyUnicode_GET_LENGTH(v);
    if (PyUnicode_IS_ASCII(v)) {
        *out = (const char *)PyUnicode_DATA(v);
        return n < WINDOW ? n : WINDOW;
    }
    int kind = PyUnicode_KIND(v);
    const void *data = PyUnicode_DATA(v);
    Py_ssize_t len = 0;
    for (Py_ssize_t i = 0; i < n && len < WINDOW; i++) {
        Py_UCS4 c = PyUnicode_READ(kind, data, i);
        if (c < 0x80) {
            buf[len++] = (char)c;
        } else if (c < 0x800) {
            buf[len++] = (char)(0xC0 | (c >> 6));
            buf[len++] = (char)(0x80 | (c & 0x3F));
        } else if (c < 0x10000) {
            buf[len++] = (char)(0xE0 | (c >> 12));
            buf[len++] = (char)(0x80 | ((c >> 6) & 0x3F));
            buf[len++] = (char)(0x80 | (c & 0x3F));
        } else {
            buf[len++] = (char)(0xF0 | (c >> 18));
            buf[len++] = (char)(0x80 | ((c >> 12) & 0x3F));
            buf[len++] = (char)(0x80 | ((c >> 6) & 0x3F));
            buf[len++] = (char)(0x80 | (c & 0x3F));
        }
    }
    *out = buf;
    return len < WINDOW ? len : WINDOW;
}

uint32_t sst_detect_value(PyObject *v, uint32_t *cats, int *custom_pattern)
{
    char buf[WINDOW + 4];
    const char *text;
    *cats = 0;
    if (!sst_rt.detector) return 0;
    Py_ssize_t n = text_window(v, buf, &text);
    if (n <= 0) return 0;
    sst_match m;
    uint32_t kinds = sst_detector_scan(sst_rt.detector, text, (size_t)n, &m);
    *cats = m.categories;
    if (custom_pattern) *custom_pattern = m.kind == SST_DETECT_CUSTOM ? m.pattern : -1;
    return kinds;
}

PyObject *sst_detect_kind_str(unsigned index, int custom_pattern)
{
    static PyObject *names[SST_DETECT_KIND_COUNT];
    if ((1u << index) == SST_DETECT_CUSTOM && custom_pattern >= 0 && sst_rt.detector) {
        const char *name = sst_detector_pattern_name(sst_rt.detector, (size_t)custom_pattern);
        if (name) return PyUnicode_FromString(name);
    }
    if (index >= SST_DETECT_KIND_COUNT) return NULL;
    if (!names[index]) names[index] = PyUnicode_InternFromString(sst_detect_kind_name(index));
    Py_XINCREF(names[index]);
    return names[index];
}

/* Detector kinds a preview looks for in a value tagged with CATS. */
static uint32_t kinds_of_categories(uint32_t cats)
{
    uint32_t k = 0;
    if (cats & SST_CAT_EMAIL) k |= SST_DETECT_EMAIL;
    if (cats & SST_CAT_PHONE) k |= SST_DETECT_PHONE;
    if (cats & SST_CAT_FINANCIAL) k |= SST_DETECT_CARD | SST_DETECT_IBAN;
    if (cats & SST_CAT_GOVERNMENT_ID) k |= SST_DETECT_US_SSN | SST_DETECT_UK_NINO | SST_DETECT_ES_DNI | SST_DETECT_NL_BSN;
    if (cats & SST_CAT_NETWORK_ID) k |= SST_DETECT_IPV4 | SST_DETECT_IPV6;
    if (cats & SST_CAT_CREDENTIALS) k |= SST_DETECT_BEARER | SST_DETECT_API_KEY | SST_DETECT_JWT | SST_DETECT_PRIVATE_KEY;
    return k;
}

/* ---- the walk ----------------------------------------------------------- */

size_t sst_format_index(char *out, size_t cap, const char *prefix, Py_ssize_t i, const char *suffix)
{
    char digits[24];
    size_t nd = 0, n = 0;
    size_t ui = i < 0 ? (size_t)0 - (size_t)i : (size_t)i;
    do {
        digits[nd++] = (char)('0' + ui % 10);
        ui /= 10;
    } while (ui);
    if (i < 0) digits[nd++] = '-';
    if (!cap) return 0;
    for (const char *p = prefix; *p && n + 1 < cap; p++) out[n++] = *p;
    while (nd && n + 1 < cap) out[n++] = digits[--nd];
    for (const char *p = suffix; *p && n + 1 < cap; p++) out[n++] = *p;
    out[n] = 0;
    return n;
}

void sst_scan_init(sst_scan *s, SstContext *ctx)
{
    s->ctx = ctx;
    s->use_tags = ctx && !ctx->closed && sst_registry_count(&ctx->reg) > 0;
    s->cats = 0;
    s->origins = NULL;
    s->kinds = 0;
    s->nkind_order = 0;
    s->custom_pattern = -1;
    s->found = 0;
    s->nvalues = 0;
    s->nodes = 0;
    s->nseen = 0;
    s->seen_hashed = 0;
    s->wlen = 0;
    s->where[0] = 0;
    s->failed = 0;
    s->sources = 0;
    s->quiet = 0;
}

void sst_scan_release(sst_scan *s)
{
    Py_CLEAR(s->origins);
    for (size_t i = 0; i < s->nvalues; i++) Py_CLEAR(s->values[i].raw);
    s->nvalues = 0;
}

static int seen_insert(sst_scan *s, const void *v)
{
    size_t mask = SST_SCAN_SEEN_SLOTS - 1;
    size_t i = (size_t)(((uintptr_t)v >> 4) * 0x9E3779B97F4A7C15ull >> 40) & mask;
    while (s->seen[i]) {
        if (s->seen[i] == v) return 0;
        i = (i + 1) & mask;
    }
    if (s->nseen < SST_SCAN_SEEN_SLOTS * 3 / 4) {
        s->seen[i] = v;
        s->nseen++;
    }
    return 1;
}

/* Adds V to the identity set; 0 if it was there already. A short linear
 * list serves small calls; it becomes a hash table when it fills up. */
static int seen_add(sst_scan *s, const void *v)
{
    if (s->seen_hashed) return seen_insert(s, v);
    for (size_t i = 0; i < s->nseen; i++)
        if (s->seen[i] == v) return 0;
    if (s->nseen < SST_SCAN_SEEN_LINEAR) {
        s->seen[s->nseen++] = v;
        return 1;
    }
    const void *list[SST_SCAN_SEEN_LINEAR];
    memcpy(list, s->seen, sizeof list);
    memset(s->seen, 0, sizeof s->seen);
    s->nseen = 0;
    s->seen_hashed = 1;
    for (size_t i = 0; i < SST_SCAN_SEEN_LINEAR; i++) seen_insert(s, list[i]);
    return seen_insert(s, v);
}

/* Appends to the location path; returns the old length to restore. The path
 * is cut at a character boundary when it would not fit. */
static size_t where_push(sst_scan *s, const char *seg, size_t n)
{
    size_t old = s->wlen, room = SST_WHERE_MAX - 1 - s->wlen;
    if (n > room) {
        n = room;
        while (n && ((unsigned char)seg[n] & 0xC0) == 0x80) n--;
    }
    memcpy(s->where + s->wlen, seg, n);
    s->wlen += n;
    s->where[s->wlen] = 0;
    return old;
}

static void where_pop(sst_scan *s, size_t old)
{
    s->wlen = old;
    s->where[old] = 0;
}

static void add_origins(sst_scan *s, PyObject *origins)
{
    Py_ssize_t n = PyTuple_GET_SIZE(origins);
    if (!n) return;
    if (!s->origins && !(s->origins = PyList_New(0))) {
        s->failed = 1;
        return;
    }
    for (Py_ssize_t i = 0; i < n && PyList_GET_SIZE(s->origins) < EVENT_MAX_ORIGINS; i++) {
        PyObject *o = PyTuple_GET_ITEM(origins, i);
        int dup = 0;
        for (Py_ssize_t j = 0; j < PyList_GET_SIZE(s->origins) && !dup; j++)
            dup = sst_origin_same(PyList_GET_ITEM(s->origins, j), o);
        if (!dup && PyList_Append(s->origins, o) < 0) s->failed = 1;
    }
}

static void type_preview(PyObject *v, char *out)
{
    const char *name = Py_TYPE(v)->tp_name;
    const char *dot = strrchr(name, '.');
    if (dot) name = dot + 1;
    Py_ssize_t len = PyDict_Check(v) ? PyDict_GET_SIZE(v)
                     : PyList_Check(v) ? PyList_GET_SIZE(v)
                     : PyTuple_Check(v) ? PyTuple_GET_SIZE(v)
                     : PyAnySet_Check(v) ? PySet_GET_SIZE(v) : -1;
    if (len >= 0)
        snprintf(out, SST_PREVIEW_MAX, "<%.40s len=%zd>", name, len);
    else
        snprintf(out, SST_PREVIEW_MAX, "<%.40s>", name);
}

static PyObject *raw_value(PyObject *v)
{
    if (PyUnicode_Check(v)) return PyUnicode_Substring(v, 0, RAW_MAX);
    if (PyBytes_Check(v)) {
        Py_ssize_t n = PyBytes_GET_SIZE(v);
        return PyUnicode_DecodeUTF8(PyBytes_AS_STRING(v), n < RAW_MAX ? n : RAW_MAX, "replace");
    }
    if (PyLong_Check(v) || PyFloat_Check(v)) return PyObject_Str(v);
    return NULL;
}

/* Records V at the current location: CATS found, preview in KINDS style. */
static void add_value(sst_scan *s, PyObject *v, uint32_t cats, uint32_t kinds, const char *suffix)
{
    s->found = 1;
    s->cats |= cats;
    if (s->nvalues >= SST_MAX_VALUES) return;
    sst_value_item *item = &s->values[s->nvalues];
    size_t old = where_push(s, suffix, strlen(suffix));
    memcpy(item->where, s->where, s->wlen + 1);
    where_pop(s, old);
    item->cats = cats;
    item->raw = NULL;
    char buf[WINDOW + 4];
    const char *text;
    Py_ssize_t n = text_window(v, buf, &text);
    if (n >= 0) sst_redact(text, (size_t)n, kinds, item->preview, sizeof item->preview < SST_REDACT_MAX ? sizeof item->preview : SST_REDACT_MAX);
    else type_preview(v, item->preview);
    if (sst_rt.values) {
        item->raw = raw_value(v);
        if (!item->raw && PyErr_Occurred()) PyErr_Clear();
    }
    s->nvalues++;
}

static void note_kinds(sst_scan *s, uint32_t kinds, int custom_pattern)
{
    for (unsigned i = 0; i < SST_DETECT_KIND_COUNT; i++) {
        uint32_t bit = 1u << i;
        if (!(kinds & bit) || (s->kinds & bit)) continue;
        s->kinds |= bit;
        s->kind_order[s->nkind_order++] = (uint8_t)i;
        if (bit == SST_DETECT_CUSTOM) s->custom_pattern = custom_pattern;
    }
}

/* Tags and detector matches of V itself; 1 if something was found. Text is
 * always given to the detectors: a tagged free-text field may still hold an
 * e-mail address, which its tags alone would not say. */
static int check_leaf(sst_scan *s, PyObject *v, int text, const char *suffix)
{
    SstTags *t = s->use_tags ? sst_context_tags(s->ctx, v) : NULL;
    uint32_t cats = 0, kinds = 0;
    int custom = -1;
    if (text) {
        kinds = sst_detect_value(v, &cats, &custom);
        /* A match that says nothing the tags do not is not news. */
        if (t && (cats & ~t->cats) == 0) kinds = cats = 0;
        if (kinds) note_kinds(s, kinds, custom);
    }
    if (!t && !kinds) return 0;
    if (t) {
        /* Held: the allocations below may run a collection whose finalizers
         * change the registry. */
        Py_INCREF(t);
        add_origins(s, t->origins);
        cats |= t->cats;
        kinds |= kinds_of_categories(t->cats);
        Py_DECREF(t);
    }
    add_value(s, v, cats, kinds, suffix);
    return 1;
}

static int has_instance_dict(PyObject *v)
{
    PyTypeObject *tp = Py_TYPE(v);
    return (tp->tp_flags & Py_TPFLAGS_HEAPTYPE) && tp->tp_dictoffset != 0 && !PyType_Check(v);
}

size_t sst_concat3(char *out, size_t cap, const char *a, const char *b, size_t n, const char *c)
{
    const char *parts[3] = {a, b, c};
    size_t lens[3] = {strlen(a), n, strlen(c)};
    size_t total = lens[0] + lens[1] + lens[2], len = total;
    if (!cap) return 0;
    if (len > cap - 1) {
        len = cap - 1;
        /* Back off while the first byte left out continues a character. */
        for (;;) {
            size_t i = len, k = 0;
            while (k < 3 && i >= lens[k]) i -= lens[k++];
            if (!len || k == 3 || ((unsigned char)parts[k][i] & 0xC0) != 0x80) break;
            len--;
        }
    }
    size_t done = 0;
    for (int k = 0; k < 3 && done < len; k++) {
        size_t take = lens[k] < len - done ? lens[k] : len - done;
        memcpy(out + done, parts[k], take);
        done += take;
    }
    out[len] = 0;
    return len;
}

static void visit(sst_scan *s, PyObject *v, int depth);

/* Visits V, an item of a container: V is held meanwhile, as the walk may
 * allocate, a collection may run finalizers, and they may change the
 * container. */
static void visit_child(sst_scan *s, PyObject *v, int depth, const char *seg, size_t n)
{
    size_t old = where_push(s, seg, n);
    Py_INCREF(v);
    visit(s, v, depth);
    Py_DECREF(v);
    where_pop(s, old);
}

static void visit_dict_items(sst_scan *s, PyObject *d, int depth, int attrs)
{
    Py_ssize_t pos = 0, count = 0;
    PyObject *k, *val;
    char seg[200];
    while (count < SST_SCAN_MAX_ITEMS && PyDict_Next(d, &pos, &k, &val)) {
        count++;
        if (attrs) {
            Py_ssize_t len;
            const char *name = PyUnicode_Check(k) ? PyUnicode_AsUTF8AndSize(k, &len) : NULL;
            if (!name) {
                PyErr_Clear();
                continue;
            }
            /* "_headers" is data (email.message keeps its headers there);
             * "__x__" and name-mangled "__x" are the class's machinery */
            if ((name[0] == '_' && name[1] == '_') || len > 40) continue;
            size_t n = sst_concat3(seg, sizeof seg, ".", name, (size_t)len, "");
            visit_child(s, val, depth, seg, n);
            continue;
        }
        int key_hit = 0;
        int text = PyUnicode_Check(k) || PyBytes_Check(k);
        Py_INCREF(k);
        Py_INCREF(val);
        if (text || s->use_tags) {
            /* A key is data too (a dict keyed by e-mail address). */
            key_hit = check_leaf(s, k, text && !s->quiet, "{key}");
        }
        size_t n;
        Py_ssize_t klen;
        const char *kname = NULL;
        if (!key_hit && PyUnicode_Check(k) && PyUnicode_GET_LENGTH(k) <= 40 && PyUnicode_IsIdentifier(k) == 1)
            kname = PyUnicode_AsUTF8AndSize(k, &klen);
        if (kname) n = sst_concat3(seg, sizeof seg, "['", kname, (size_t)klen, "']");
        else n = sst_concat3(seg, sizeof seg, "[?]", "", 0, "");
        if (PyErr_Occurred()) PyErr_Clear();
        visit_child(s, val, depth, seg, n);
        Py_DECREF(val);
        Py_DECREF(k);
    }
}

static void visit(sst_scan *s, PyObject *v, int depth)
{
    if (s->nodes >= SST_SCAN_MAX_NODES || s->failed) return;
    int text = PyUnicode_Check(v) || PyBytes_Check(v);
    int seq = PyList_Check(v) || PyTuple_Check(v);
    int dict = PyDict_Check(v);
    int set = PyAnySet_Check(v);
    int obj = !text && !seq && !dict && !set && has_instance_dict(v);
    if (!text && !seq && !dict && !set && !obj) {
        if (!s->use_tags) return;
        s->nodes++;
        check_leaf(s, v, 0, "");
        return;
    }
    s->nodes++;
    if (!seen_add(s, v)) return;
    check_leaf(s, v, text && !s->quiet, "");
    if (text || depth >= SST_SCAN_MAX_DEPTH) return;
    char seg[32];
    if (seq) {
        /* The size is read again each time: a list may shrink meanwhile. */
        for (Py_ssize_t i = 0; i < (PyList_Check(v) ? PyList_GET_SIZE(v) : PyTuple_GET_SIZE(v)) &&
                               i < SST_SCAN_MAX_ITEMS;
             i++) {
            PyObject *item = PyList_Check(v) ? PyList_GET_ITEM(v, i) : PyTuple_GET_ITEM(v, i);
            size_t len = sst_format_index(seg, sizeof seg, "[", i, "]");
            visit_child(s, item, depth + 1, seg, len);
        }
    } else if (dict) {
        visit_dict_items(s, v, depth + 1, 0);
    } else if (set) {
        Py_ssize_t pos = 0, count = 0;
        PyObject *key;
        Py_hash_t hash;
        while (count++ < SST_SCAN_MAX_ITEMS && _PySet_NextEntry(v, &pos, &key, &hash))
            visit_child(s, key, depth + 1, "{}", 2);
    } else {
        /* The attributes of an object a static source names (`settings` of
         * `print(settings.port)`) are not what the call sends: only their
         * tags count there, not what the detectors would find in them. */
        if (s->sources && !s->use_tags) return;
        PyObject *d = PyObject_GenericGetDict(v, NULL);
        if (!d) {
            PyErr_Clear();
            return;
        }
        s->quiet += s->sources;
        if (PyDict_Check(d)) visit_dict_items(s, d, depth + 1, 1);
        s->quiet -= s->sources;
        Py_DECREF(d);
    }
}

void sst_scan_root(sst_scan *s, PyObject *v, const char *label)
{
    s->wlen = 0;
    s->where[0] = 0;
    where_push(s, label, strlen(label));
    visit(s, v, 0);
    where_pop(s, 0);
}

int sst_scan_finish(sst_scan *s, PyObject *key, PyObject *file, int line)
{
    if (s->failed) return -1;
    for (int i = 0; i < s->nkind_order; i++) {
        PyObject *name = sst_detect_kind_str(s->kind_order[i], s->custom_pattern);
        if (!name) return -1;
        PyObject *o = sst_origin_new(sst_rt.s_pattern, name, key, file, line);
        Py_DECREF(name);
        if (!o) return -1;
        PyObject *t = PyTuple_Pack(1, o);
        Py_DECREF(o);
        if (!t) return -1;
        add_origins(s, t);
        Py_DECREF(t);
        if (s->failed) return -1;
    }
    return 0;
}
