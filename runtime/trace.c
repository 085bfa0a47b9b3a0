/* The C call tracer: the watched functions of sst_runtime/trace.py's table, a
 * verdict per code object in its co_extra slot (an unwatched call costs that
 * one lookup), and on a watched call the static wrappers' sink check with
 * detection "tracer" (hooks.h). Two engines deliver the calls: a PEP 523
 * frame-evaluation function for the whole interpreter (CPython 3.11, the
 * default) and a profile function per thread. */
#include "hooks.h"
#include "state.h"

#include <dlfcn.h>
#include <stdatomic.h>
#include <stdint.h>

/* 3.12 renamed the co_extra functions; the 3.11 names stay as aliases there. */
#if PY_VERSION_HEX >= 0x030C0000
#define code_get_extra PyUnstable_Code_GetExtra
#define code_set_extra PyUnstable_Code_SetExtra
#define request_extra_index PyUnstable_Eval_RequestCodeExtraIndex
#else
#define code_get_extra _PyCode_GetExtra
#define code_set_extra _PyCode_SetExtra
#define request_extra_index _PyEval_RequestCodeExtraIndex
#endif

/* The frame engine reads the interpreter frame it is handed (internal header,
 * the layout of exactly this minor version, as frame.c does); elsewhere only
 * the profile engine exists. */
#if PY_VERSION_HEX >= 0x030B0000 && PY_VERSION_HEX < 0x030C0000
#define FRAME_ENGINE 1
#define Py_BUILD_CORE 1
#include <internal/pycore_frame.h>
#undef Py_BUILD_CORE
#else
#define FRAME_ENGINE 0
#endif

enum {
    MAX_UNWRAP = 8,        /* __wrapped__ links followed to a decorated function */
    MAX_SPREAD = 64,       /* items of *args / **kwargs handed to the check */
};

/* The engine running: read by every traced thread at every call. */
enum { ENGINE_OFF = 0, ENGINE_FRAME = 1, ENGINE_PROFILE = 2 };

/* One watched function: the catalogue sink it stands for and where it lives.
 * Rows are created once and never freed: code objects point at them. */
typedef struct watch_row {
    PyObject *id;        /* catalogue path of the sink (str) */
    PyObject *kind;      /* sst_rt.s_external or sst_rt.s_store */
    PyObject *module;    /* module the attribute path starts from */
    PyObject *attr;      /* attribute path in that module, "Session.request" */
    PyObject *parts;     /* attr split at the dots (tuple of str) */
    PyObject *package;   /* top-level package of module: calls from it are not the site */
    PyObject *func;      /* the function last resolved (strong), or NULL */
    int method;          /* attr names a class attribute: parameter 0 is the instance */
} watch_row;

/* Process-wide, guarded by the GIL (only `engine` is read without it). */
typedef struct tracer_state {
    Py_ssize_t extra_index;   /* co_extra slot of the verdicts, -1 until requested */
    uintptr_t unwatched;      /* the verdict "not watched", odd, changes with the table */
    watch_row **rows;
    Py_ssize_t nrows, caprows;
    PyObject *by_name;        /* dict: last attribute name -> list of row indexes */
    PyObject *tracer;         /* the Tracer: c_profileobj and threading's hook */
    PyObject *s_name;         /* "__name__" */
    PyObject *s_wrapped;      /* "__wrapped__" */
    PyObject *s_call;         /* "call" */
    uint64_t watched, recorded, skipped_static, skipped_nested, resumed;
} tracer_state;

static tracer_state T = {.extra_index = -1, .unwatched = 1};

/* ENGINE_OFF, _FRAME or _PROFILE. stop() clears it: the frame engine then
 * passes every frame on (and leaves the chain when it is on top of it), each
 * thread's profile function removes itself at its next event. */
static atomic_int engine;

static int profile(PyObject *obj, PyFrameObject *frame, int what, PyObject *arg);

/* ---- verdicts ----------------------------------------------------------- */

static int is_row(void *v)
{
    return v && !((uintptr_t)v & 1);
}

static void *code_extra(PyCodeObject *code)
{
    void *v = NULL;
    if (code_get_extra((PyObject *)code, T.extra_index, &v) < 0) {
        PyErr_Clear();
        return NULL;
    }
    return v;
}

/* The module's file is the code's: the code belongs to that module. */
static int same_file(PyObject *module, PyCodeObject *code)
{
    PyObject *file = PyModule_GetFilenameObject(module);
    if (!file) {
        PyErr_Clear();
        return 0;
    }
    int r = PyUnicode_Check(file) && PyUnicode_Compare(file, code->co_filename) == 0;
    if (PyErr_Occurred()) PyErr_Clear();
    Py_DECREF(file);
    return r;
}

/* The function behind OBJ: a bound method's function, a decorated function's
 * innermost __wrapped__; a new reference, or NULL if it is no Python function. */
static PyObject *unwrap(PyObject *obj)
{
    Py_INCREF(obj);
    for (int i = 0; i <= MAX_UNWRAP; i++) {
        if (PyMethod_Check(obj)) {
            PyObject *f = PyMethod_GET_FUNCTION(obj);
            Py_INCREF(f);
            Py_SETREF(obj, f);
        }
        PyObject *inner = NULL;
        if (i == MAX_UNWRAP || _PyObject_LookupAttr(obj, T.s_wrapped, &inner) <= 0) break;
        Py_SETREF(obj, inner);
    }
    if (PyErr_Occurred()) {
        if (!PyErr_ExceptionMatches(PyExc_Exception)) {
            Py_DECREF(obj);
            return NULL;
        }
        PyErr_Clear();
    }
    if (!PyFunction_Check(obj)) Py_CLEAR(obj);
    return obj;
}

/* Resolves ROW against sys.modules and marks its function's code. HINT, when
 * given, is code being judged: *AMBIGUOUS is set when ROW's module is still
 * importing (the attribute is missing yet) and HINT comes from its file.
 * Returns 1 when found, 0 when not, -1 with an exception that is not an
 * Exception. */
static int resolve_row(watch_row *row, PyCodeObject *hint, int *ambiguous)
{
    PyObject *mod = PyImport_GetModule(row->module);
    if (!mod) return PyErr_Occurred() ? sst_failure("tracer") : 0;
    PyObject *obj = mod;
    Py_INCREF(obj);
    int rc = 0;
    sst_busy++;
    for (Py_ssize_t i = 0; obj && i < PyTuple_GET_SIZE(row->parts); i++)
        Py_SETREF(obj, PyObject_GetAttr(obj, PyTuple_GET_ITEM(row->parts, i)));
    if (!obj) {
        if (!PyErr_ExceptionMatches(PyExc_Exception)) {
            rc = -1;
            goto done;
        }
        PyErr_Clear();
        if (hint && ambiguous && same_file(mod, hint)) *ambiguous = 1;
        goto done;
    }
    PyObject *func = unwrap(obj);
    if (!func) {
        if (PyErr_Occurred()) rc = -1;
        goto done;
    }
    PyObject *code = PyFunction_GET_CODE(func);
    if (!is_row(code_extra((PyCodeObject *)code)) && code_set_extra(code, T.extra_index, row) < 0)
        rc = sst_failure("tracer");
    else
        rc = 1;
    Py_XSETREF(row->func, func);
done:
    sst_busy--;
    Py_XDECREF(obj);
    Py_DECREF(mod);
    return rc;
}

/* The row CODE stands for, or NULL (not watched); V is its co_extra value.
 * Only the first call of a code object (or the first after the table changed)
 * gets past the lookup; it resolves the rows whose function has CODE's name,
 * which also catches a watched module imported after start(). Returns NULL
 * with an exception only for one that is not an Exception. */
static watch_row *verdict(PyCodeObject *code, void *v)
{
    if (is_row(v)) return v;
    if ((uintptr_t)v == T.unwatched || !T.by_name) return NULL;
    int ambiguous = 0;
    PyObject *list = PyDict_GetItemWithError(T.by_name, code->co_name);
    if (!list && PyErr_Occurred() && sst_failure("tracer") < 0) return NULL;
    for (Py_ssize_t i = 0; list && i < PyList_GET_SIZE(list); i++) {
        Py_ssize_t index = PyLong_AsSsize_t(PyList_GET_ITEM(list, i));
        if (index >= 0 && index < T.nrows && resolve_row(T.rows[index], code, &ambiguous) < 0) return NULL;
    }
    v = code_extra(code);
    if (is_row(v)) return v;
    /* A function of a module still being imported is judged again later. */
    if (!ambiguous && code_set_extra((PyObject *)code, T.extra_index, (void *)T.unwatched) < 0)
        sst_failure("tracer");   /* judged again at the next call */
    return NULL;
}

/* ---- a watched call ----------------------------------------------------- */

/* FRAME's module is PACKAGE or inside it. */
static int in_package(PyFrameObject *frame, PyObject *package)
{
    PyObject *globals = PyFrame_GetGlobals(frame);
    if (!globals) {
        PyErr_Clear();
        return 0;
    }
    int r = 0;
    PyObject *name = PyDict_Check(globals) ? PyDict_GetItemWithError(globals, T.s_name) : NULL;
    if (name && PyUnicode_Check(name)) {
        Py_ssize_t n = PyUnicode_GET_LENGTH(package);
        r = PyUnicode_Tailmatch(name, package, 0, n, -1) == 1 &&
            (PyUnicode_GET_LENGTH(name) == n || PyUnicode_READ_CHAR(name, n) == '.');
    }
    if (PyErr_Occurred()) PyErr_Clear();
    Py_DECREF(globals);
    return r;
}

/* Walks the callers of a watched call from FIRST, its caller (a reference
 * this function takes over, or NULL): sets *SITE (new reference, or NULL when
 * there is no caller) to the first frame outside ROW's package (the code that
 * called into the library; the direct caller when there is none) and returns
 * 1 when a caller is itself a watched call (the outer one reported it), 0 if
 * not, -1 with an exception. */
static int callers(PyFrameObject **site, PyFrameObject *first, const watch_row *row)
{
    PyFrameObject *f = first;
    Py_XINCREF(f);
    int nested = 0;
    *site = NULL;
    while (f) {
        PyCodeObject *code = PyFrame_GetCode(f);
        Py_DECREF(code);   /* the frame holds it */
        void *v = code_extra(code);
        if ((uintptr_t)v != T.unwatched && verdict(code, v)) {
            nested = 1;
            break;
        }
        if (PyErr_Occurred()) {
            nested = -1;
            break;
        }
        if (!*site && !in_package(f, row->package)) {
            *site = f;
            Py_INCREF(f);
        }
        PyFrameObject *back = PyFrame_GetBack(f);
        Py_DECREF(f);
        f = back;
    }
    Py_XDECREF(f);
    if (!*site && first) {
        *site = first;
        Py_INCREF(*site);
    }
    Py_XDECREF(first);
    return nested;
}

typedef struct call_args {
    PyObject *values[2 * MAX_SPREAD + 64];    /* strong references */
    Py_ssize_t nargs, nkw;
    PyObject *kwnames;                        /* tuple or NULL */
    PyObject *self;                           /* borrowed from the slots, or NULL */
} call_args;

static void call_args_clear(call_args *a)
{
    for (Py_ssize_t i = 0; i < a->nargs + a->nkw; i++) Py_DECREF(a->values[i]);
    a->nargs = a->nkw = 0;
    Py_CLEAR(a->kwnames);
}

/* The parameter slots of CODE: its named parameters, then *args and **kwargs. */
static Py_ssize_t param_slots(PyCodeObject *code)
{
    return code->co_argcount + code->co_kwonlyargcount + !!(code->co_flags & CO_VARARGS) +
           !!(code->co_flags & CO_VARKEYWORDS);
}

/* The parameters of a call just entered, in vectorcall form: the items of
 * *args positional ("args[i]"), named parameters and the items of **kwargs
 * as keywords ("kwargs['json']"); None values and a method's instance are
 * left out. SLOTS[i] is the value of parameter NAMES[i] (borrowed, NULL when
 * unbound), for the param_slots(CODE) first names. 0, or -1 with an exception. */
static int call_args_read(call_args *a, PyObject *const *slots, PyObject *names, PyCodeObject *code,
                          const watch_row *row)
{
    enum { CAP = sizeof a->values / sizeof *a->values };
    PyObject *kw = PyList_New(0);
    int rc = -1;
    if (!kw) goto done;
    Py_ssize_t named = code->co_argcount + code->co_kwonlyargcount, next = named;
    PyObject *star = (code->co_flags & CO_VARARGS) ? slots[next++] : NULL;
    PyObject *dstar = (code->co_flags & CO_VARKEYWORDS) ? slots[next] : NULL;
    Py_ssize_t first = 0;
    if (row->method && code->co_argcount > 0) {
        a->self = slots[0];
        first = 1;
    }
    if (star && PyTuple_Check(star))
        for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(star) && i < MAX_SPREAD; i++) {
            a->values[a->nargs] = PyTuple_GET_ITEM(star, i);
            Py_INCREF(a->values[a->nargs++]);
        }
    for (Py_ssize_t i = first; i < named && a->nargs + a->nkw < CAP - MAX_SPREAD; i++) {
        PyObject *v = slots[i];
        if (!v || v == Py_None) continue;
        if (PyList_Append(kw, PyTuple_GET_ITEM(names, i)) < 0) goto done;
        a->values[a->nargs + a->nkw++] = v;
        Py_INCREF(v);
    }
    if (dstar && PyDict_Check(dstar)) {
        PyObject *k, *v;
        Py_ssize_t pos = 0, n = 0;
        while (n < MAX_SPREAD && PyDict_Next(dstar, &pos, &k, &v)) {
            if (!PyUnicode_Check(k) || v == Py_None) continue;
            if (PyList_Append(kw, k) < 0) goto done;
            a->values[a->nargs + a->nkw++] = v;
            Py_INCREF(v);
            n++;
        }
    }
    if (a->nkw && !(a->kwnames = PyList_AsTuple(kw))) goto done;
    rc = 0;
done:
    Py_XDECREF(kw);
    return rc;
}

/* Inspects the arguments of a call of ROW's function CODE (SLOTS and NAMES as
 * for call_args_read) and records an event at the call site. CALLER: the
 * frame that made the call (a reference this function takes over, or NULL);
 * SELF: the watched call's own frame when there is one, the site when there
 * is no caller. 0, or -1 with an exception that must propagate
 * (KeyboardInterrupt). */
static int inspect_call(PyFrameObject *caller, PyFrameObject *self, PyCodeObject *code, watch_row *row,
                        PyObject *const *slots, PyObject *names)
{
    PyFrameObject *site = NULL;
    PyObject *func = NULL;
    call_args a = {.nargs = 0};
    int nested = callers(&site, caller, row);
    if (nested != 0) {
        T.skipped_nested += nested > 0;
        Py_XDECREF(site);
        return nested < 0 ? sst_failure("tracer") : 0;
    }
    int rc = 0;
    if (call_args_read(&a, slots, names, code, row) < 0) {
        rc = sst_failure("tracer");
        goto done;
    }
    if (a.self) {
        /* The instance for the destination (its base_url, host, _host). */
        func = PyMethod_New(row->func ? row->func : (PyObject *)code, a.self);
        if (!func) {
            rc = sst_failure("tracer");
            goto done;
        }
    }
    if (!site && self) {
        site = self;
        Py_INCREF(site);
    }
    /* Without any frame (a watched function called from C at the top of a
     * thread) the site is the function's own first line. */
    sst_frame where = {.code = code, .line = code->co_firstlineno, .id = code};
    if (site) {
        where.code = PyFrame_GetCode(site);
        Py_DECREF(where.code);   /* the frame holds it */
        where.line = PyFrame_GetLineNumber(site);
        where.id = site;
    }
    sst_sink_call call = {
        .kind = row->kind,
        .id = row->id,
        .func = func ? func : row->func,
        .args = a.values,
        .nargs = a.nargs,
        .kwnames = a.kwnames,
        .detection = sst_rt.s_tracer,
        .frame = &where,
    };
    rc = sst_sink_check(&call);
    if (rc > 0) T.recorded++;
    rc = rc < 0 ? -1 : 0;
done:
    call_args_clear(&a);
    Py_XDECREF(func);
    Py_XDECREF(site);
    return rc;
}

/* ---- the profile engine ------------------------------------------------- */

/* The first entry of CODE's frame, not a generator or coroutine resuming
 * (each resumption is a call event too). */
static int first_entry(PyFrameObject *frame, PyCodeObject *code)
{
    if (!(code->co_flags & (CO_GENERATOR | CO_COROUTINE | CO_ASYNC_GENERATOR | CO_ITERABLE_COROUTINE))) return 1;
    /* The call event comes at a RESUME; the first one is the entry. */
    return PyFrame_GetLasti(frame) == code->_co_firsttraceable * (int)sizeof(_Py_CODEUNIT);
}

/* The parameters from the frame's locals (the frame has started: its call
 * event comes at the first RESUME), then inspect_call. */
static int profile_inspect(PyFrameObject *frame, PyCodeObject *code, watch_row *row)
{
    Py_ssize_t n = param_slots(code);
    PyObject *varnames = PyCode_GetVarnames(code), *locals = NULL;
    PyObject **slots = PyMem_Calloc(n ? (size_t)n : 1, sizeof *slots);
    int rc = 0;
    if (!varnames || !slots || !(locals = PyFrame_GetLocals(frame))) {
        if (!slots) PyErr_NoMemory();
        rc = sst_failure("tracer");
        goto done;
    }
    if (!PyDict_Check(locals) || PyTuple_GET_SIZE(varnames) < n) goto done;
    for (Py_ssize_t i = 0; i < n; i++) {
        slots[i] = PyDict_GetItemWithError(locals, PyTuple_GET_ITEM(varnames, i));
        if (!slots[i] && PyErr_Occurred()) PyErr_Clear();
    }
    rc = inspect_call(PyFrame_GetBack(frame), frame, code, row, slots, varnames);
done:
    PyMem_Free(slots);
    Py_XDECREF(locals);
    Py_XDECREF(varnames);
    return rc;
}

static int watched_call(PyFrameObject *frame, PyCodeObject *code, void *v)
{
    watch_row *row = verdict(code, v);
    if (!row) return PyErr_Occurred() ? -1 : 0;
    if (!first_entry(frame, code)) {
        T.resumed++;
        return 0;
    }
    T.watched++;
    if (sst_in_static_sink()) {
        T.skipped_static++;
        return 0;
    }
    if (sst_busy) return 0;
    return profile_inspect(frame, code, row);
}

/* The profile function. Everything but a call returns at once; a call of an
 * unwatched function costs the co_extra lookup. */
static int profile(PyObject *obj, PyFrameObject *frame, int what, PyObject *arg)
{
    if (atomic_load_explicit(&engine, memory_order_relaxed) != ENGINE_PROFILE) {
        PyEval_SetProfile(NULL, NULL);   /* stopped: this thread removes its own */
        return 0;
    }
    if (what != PyTrace_CALL) return 0;
    PyCodeObject *code = PyFrame_GetCode(frame);
    Py_DECREF(code);   /* the frame holds it */
    void *v = NULL;
    if (code_get_extra((PyObject *)code, T.extra_index, &v) == 0 && (uintptr_t)v == T.unwatched) return 0;
    PyErr_Clear();
    return watched_call(frame, code, v);
}

/* ---- the Tracer object -------------------------------------------------- */

/* sys.getprofile() in a traced thread, and threading's profile hook: called
 * as a Python profile function in a new thread, it puts the C function in
 * its place and handles the event it was called for. */
static PyObject *tracer_call(PyObject *self, PyObject *args, PyObject *kwargs)
{
    PyObject *frame = NULL, *event = NULL, *arg = NULL;
    if (!PyArg_UnpackTuple(args, "Tracer", 3, 3, &frame, &event, &arg)) return NULL;
    if (atomic_load_explicit(&engine, memory_order_relaxed) != ENGINE_PROFILE) {
        if (PyThreadState_Get()->c_profileobj == self) PyEval_SetProfile(NULL, NULL);
        Py_RETURN_NONE;
    }
    PyEval_SetProfile(profile, self);
    if (PyFrame_Check(frame) && PyUnicode_Check(event) && PyUnicode_Compare(event, T.s_call) == 0 &&
        profile(self, (PyFrameObject *)frame, PyTrace_CALL, NULL) < 0)
        return NULL;
    if (PyErr_Occurred()) PyErr_Clear();
    Py_RETURN_NONE;
}

static PyObject *tracer_repr(PyObject *self)
{
    return PyUnicode_FromString("<sst_runtime tracer>");
}

static PyTypeObject Tracer_Type = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "sst_runtime.Tracer",
    .tp_basicsize = sizeof(PyObject),
    .tp_call = tracer_call,
    .tp_repr = tracer_repr,
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "The sst_runtime call tracer as a profile function (see sst_runtime.trace).",
};

/* The extra slot, the Tracer and the interned names; 0 or -1. */
static int ready(void)
{
    if (T.tracer) return 0;
    if (T.extra_index < 0 && (T.extra_index = request_extra_index(NULL)) < 0) {
        PyErr_SetString(PyExc_RuntimeError, "sst_runtime.trace: no code extra slot left");
        return -1;
    }
    if (!T.s_name && !(T.s_name = PyUnicode_InternFromString("__name__"))) return -1;
    if (!T.s_wrapped && !(T.s_wrapped = PyUnicode_InternFromString("__wrapped__"))) return -1;
    if (!T.s_call && !(T.s_call = PyUnicode_InternFromString("call"))) return -1;
    if (PyType_Ready(&Tracer_Type) < 0) return -1;
    T.tracer = PyType_GenericAlloc(&Tracer_Type, 0);
    return T.tracer ? 0 : -1;
}

/* ---- the frame engine --------------------------------------------------- */

#if FRAME_ENGINE

/* The interpreter's chain of frame-evaluation functions as the tracer knows
 * it; guarded by the GIL. */
typedef struct frame_chain {
    _PyFrameEvalFunction next;   /* the function the tracer's hands every frame to */
    int installed;               /* the tracer's function was put in the chain and not taken out by it */
    PyCodeObject *probe;         /* code sent through the chain to find the tracer's function, or NULL */
    int probe_seen;              /* the tracer's function saw the probe */
} frame_chain;

static frame_chain F;

static PyObject *frame_eval(PyThreadState *ts, _PyInterpreterFrame *frame, int throwflag);

/* Everything frame_eval does not hand on at once: the probe, a stopped
 * tracer, and the frames of code without a "not watched" verdict. Kept out
 * of line, so that frame_eval stays a lookup and a tail call. */
__attribute__((noinline)) static PyObject *frame_slow(PyThreadState *ts, _PyInterpreterFrame *frame, int throwflag, void *v)
{
    _PyFrameEvalFunction next = F.next;
    PyCodeObject *code = frame->f_code;
    if (code == F.probe) {
        F.probe_seen = 1;
        return next(ts, frame, throwflag);
    }
    if (atomic_load_explicit(&engine, memory_order_relaxed) != ENGINE_FRAME) {
        /* Stopped while another tool's function was above it, and back on
         * top now: leaves the chain. */
        if (_PyInterpreterState_GetEvalFrameFunc(ts->interp) == frame_eval) {
            _PyInterpreterState_SetEvalFrameFunc(ts->interp, next);
            F.installed = 0;
        }
        return next(ts, frame, throwflag);
    }
    /* A generator or coroutine resuming (or thrown into), a frame a frame
     * object owns, the runtime's own Python code: handed on, unjudged. */
    if (throwflag || frame->owner != FRAME_OWNED_BY_THREAD || sst_busy || PyErr_Occurred()) {
        if (frame->owner == FRAME_OWNED_BY_GENERATOR && is_row(v)) T.resumed++;
        return next(ts, frame, throwflag);
    }
    watch_row *row = verdict(code, v);
    if (!row) {
        /* KeyboardInterrupt and the like: the call raises it before its first
         * instruction (the caller clears and pops the frame). */
        if (PyErr_Occurred()) return NULL;
        return next(ts, frame, throwflag);
    }
    T.watched++;
    if (sst_in_static_sink()) {
        T.skipped_static++;
        return next(ts, frame, throwflag);
    }
    /* The frame has not run an instruction yet: its first slots hold the
     * arguments as the call bound them (no cell made yet), named by
     * co_localsplusnames. The caller is the thread's current frame, since
     * the new frame is linked in only when its evaluation starts. */
    if (inspect_call(PyThreadState_GetFrame(ts), NULL, code, row, frame->localsplus, code->co_localsplusnames) < 0)
        return NULL;
    return next(ts, frame, throwflag);
}

/* The frame-evaluation function: a frame of code judged "not watched" costs
 * the co_extra lookup and the engine flag before it is handed on. */
static PyObject *frame_eval(PyThreadState *ts, _PyInterpreterFrame *frame, int throwflag)
{
    void *v = NULL;
    if (code_get_extra((PyObject *)frame->f_code, T.extra_index, &v) == 0 && (uintptr_t)v == T.unwatched &&
        atomic_load_explicit(&engine, memory_order_relaxed) == ENGINE_FRAME)
        return F.next(ts, frame, throwflag);
    return frame_slow(ts, frame, throwflag, v);
}

/* "the_symbol in /path/of/library.so" for a frame-evaluation function, None
 * for CPython's own. */
static PyObject *describe_eval(_PyFrameEvalFunction fn)
{
    if (!fn || fn == _PyEval_EvalFrameDefault) Py_RETURN_NONE;
    Dl_info info;
    if (dladdr((void *)fn, &info) && info.dli_fname)
        return PyUnicode_FromFormat("%s in %s", info.dli_sname && info.dli_saddr == (void *)fn ? info.dli_sname
                                                                                              : "a function",
                                    info.dli_fname);
    return PyUnicode_FromFormat("the function at %p", (void *)fn);
}

/* Whether the tracer's function is still in the chain below TOP: calls PROBE
 * (a Python function) with its code marked for the tracer to notice. 1, 0, or
 * -1 with an exception. */
static int frame_probe(PyObject *probe)
{
    if (!PyFunction_Check(probe)) {
        PyErr_SetString(PyExc_TypeError, "the probe is a Python function");
        return -1;
    }
    PyCodeObject *code = (PyCodeObject *)PyFunction_GET_CODE(probe);
    if (code_set_extra((PyObject *)code, T.extra_index, NULL) < 0) return -1;
    F.probe = code;
    F.probe_seen = 0;
    PyObject *r = PyObject_CallNoArgs(probe);
    F.probe = NULL;
    if (!r) return -1;
    Py_DECREF(r);
    return F.probe_seen;
}

/* _trace_frame_start(probe) -> (status, the function the tracer hands frames
 * to or lies under, described, or None for CPython's). Status: "installed"
 * (on top of CPython's evaluation), "chained" (on top of another tool's
 * function), "already" (on top already), "below" (still in the chain, under
 * a function another tool installed after it). */
static PyObject *tr_frame_start(PyObject *module, PyObject *probe)
{
    if (ready() < 0) return NULL;
    PyInterpreterState *interp = PyInterpreterState_Get();
    atomic_store(&engine, ENGINE_FRAME);
    _PyFrameEvalFunction top = _PyInterpreterState_GetEvalFrameFunc(interp);
    if (top == frame_eval) return Py_BuildValue("(sO)", "already", Py_None);
    if (F.installed) {
        int seen = frame_probe(probe);
        if (seen < 0) {
            atomic_store(&engine, ENGINE_OFF);
            return NULL;
        }
        if (seen) return Py_BuildValue("(sN)", "below", describe_eval(top));
        F.installed = 0;   /* another tool took it out of the chain */
    }
    F.next = top ? top : _PyEval_EvalFrameDefault;
    _PyInterpreterState_SetEvalFrameFunc(interp, frame_eval);
    F.installed = 1;
    return Py_BuildValue("(sN)", F.next == _PyEval_EvalFrameDefault ? "installed" : "chained", describe_eval(top));
}

/* _trace_frame_stop(probe) -> (status, the function above the tracer's or
 * None). Status: "restored" (the function it found is the interpreter's
 * again), "kept" (another tool's function is above it and hands frames on to
 * it: it stays in that chain, handing every frame on), "absent" (not in the
 * chain, or taken out of it by another tool). */
static PyObject *tr_frame_stop(PyObject *module, PyObject *probe)
{
    if (!F.installed) return Py_BuildValue("(sO)", "absent", Py_None);
    PyInterpreterState *interp = PyInterpreterState_Get();
    _PyFrameEvalFunction top = _PyInterpreterState_GetEvalFrameFunc(interp);
    if (top == frame_eval) {
        _PyInterpreterState_SetEvalFrameFunc(interp, F.next);
        F.installed = 0;
        return Py_BuildValue("(sO)", "restored", Py_None);
    }
    int seen = top && top != _PyEval_EvalFrameDefault ? frame_probe(probe) : 0;
    if (seen < 0) return NULL;
    if (seen) return Py_BuildValue("(sN)", "kept", describe_eval(top));
    F.installed = 0;
    return Py_BuildValue("(sO)", "absent", Py_None);
}

/* _trace_frame_state(probe) -> (state, the interpreter's function described,
 * None for CPython's). State: "tracer" (the tracer's is the interpreter's
 * function), "below" (it runs under another tool's), "other" (another tool's
 * function, the tracer's not in its chain), "none" (CPython's evaluation). */
static PyObject *tr_frame_state(PyObject *module, PyObject *probe)
{
    _PyFrameEvalFunction top = _PyInterpreterState_GetEvalFrameFunc(PyInterpreterState_Get());
    if (top == frame_eval) return Py_BuildValue("(sO)", "tracer", Py_None);
    if (!top || top == _PyEval_EvalFrameDefault) return Py_BuildValue("(sO)", "none", Py_None);
    int seen = 0;
    if (F.installed && T.extra_index >= 0 && (seen = frame_probe(probe)) < 0) return NULL;
    return Py_BuildValue("(sN)", seen ? "below" : "other", describe_eval(top));
}

#else   /* no frame engine on this interpreter */

static PyObject *tr_frame_start(PyObject *module, PyObject *probe)
{
    PyErr_SetString(PyExc_RuntimeError, "sst_runtime.trace: the frame engine needs CPython 3.11");
    return NULL;
}

static PyObject *tr_frame_stop(PyObject *module, PyObject *probe)
{
    return Py_BuildValue("(sO)", "absent", Py_None);
}

static PyObject *tr_frame_state(PyObject *module, PyObject *probe)
{
    return Py_BuildValue("(sO)", "none", Py_None);
}

#endif

/* ---- the table ---------------------------------------------------------- */

static watch_row *row_new(PyObject *id, PyObject *kind, PyObject *module, PyObject *attr)
{
    watch_row *row = PyMem_Calloc(1, sizeof *row);
    if (!row) {
        PyErr_NoMemory();
        return NULL;
    }
    PyObject *dot = PyUnicode_FromString(".");
    PyObject *parts = dot ? PyUnicode_Split(attr, dot, -1) : NULL;
    row->parts = parts ? PyList_AsTuple(parts) : NULL;
    PyObject *top = dot ? PyUnicode_Split(module, dot, 1) : NULL;
    Py_XDECREF(parts);
    Py_XDECREF(dot);
    if (!row->parts || !top) {
        Py_XDECREF(row->parts);
        Py_XDECREF(top);
        PyMem_Free(row);
        return NULL;
    }
    row->package = PyList_GET_ITEM(top, 0);
    Py_INCREF(row->package);
    Py_DECREF(top);
    row->id = id;
    row->kind = kind;
    row->module = module;
    row->attr = attr;
    Py_INCREF(id);
    Py_INCREF(kind);
    Py_INCREF(module);
    Py_INCREF(attr);
    row->method = PyTuple_GET_SIZE(row->parts) > 1;
    return row;
}

static PyObject *row_name(const watch_row *row)
{
    return PyTuple_GET_ITEM(row->parts, PyTuple_GET_SIZE(row->parts) - 1);
}

static int row_same(const watch_row *row, PyObject *id, PyObject *module, PyObject *attr)
{
    return PyUnicode_Compare(row->id, id) == 0 && PyUnicode_Compare(row->module, module) == 0 &&
           PyUnicode_Compare(row->attr, attr) == 0;
}

static int by_name_add(Py_ssize_t index)
{
    PyObject *name = row_name(T.rows[index]);
    PyObject *list = PyDict_GetItemWithError(T.by_name, name);
    if (!list) {
        if (PyErr_Occurred() || !(list = PyList_New(0))) return -1;
        int r = PyDict_SetItem(T.by_name, name, list);
        Py_DECREF(list);
        if (r < 0) return -1;
    }
    PyObject *i = PyLong_FromSsize_t(index);
    int r = i ? PyList_Append(list, i) : -1;
    Py_XDECREF(i);
    return r;
}

static int add_row(PyObject *item)
{
    PyObject *id, *kind, *module, *attr;
    if (!PyTuple_Check(item) || !PyArg_ParseTuple(item, "UUUU", &id, &kind, &module, &attr)) {
        if (!PyErr_Occurred() || PyErr_ExceptionMatches(PyExc_TypeError)) {
            PyErr_Clear();
            PyErr_Format(PyExc_TypeError, "a watched function is (sink, kind, module, attribute), not %R", item);
        }
        return -1;
    }
    PyObject *k = PyUnicode_Compare(kind, sst_rt.s_external) == 0 ? sst_rt.s_external
                  : PyUnicode_Compare(kind, sst_rt.s_store) == 0  ? sst_rt.s_store
                                                                  : NULL;
    if (!k) {
        PyErr_Format(PyExc_ValueError, "watched function %R: kind is \"external\" or \"store\", not %R", id, kind);
        return -1;
    }
    if (PyUnicode_GET_LENGTH(module) == 0 || PyUnicode_GET_LENGTH(attr) == 0) {
        PyErr_Format(PyExc_ValueError, "watched function %R: empty module or attribute", id);
        return -1;
    }
    for (Py_ssize_t i = 0; i < T.nrows; i++)
        if (row_same(T.rows[i], id, module, attr)) return 0;
    if (T.nrows == T.caprows) {
        Py_ssize_t cap = T.caprows ? 2 * T.caprows : 32;
        watch_row **rows = PyMem_Realloc(T.rows, (size_t)cap * sizeof *rows);
        if (!rows) {
            PyErr_NoMemory();
            return -1;
        }
        T.rows = rows;
        T.caprows = cap;
    }
    watch_row *row = row_new(id, k, module, attr);
    if (!row) return -1;
    T.rows[T.nrows++] = row;
    /* Every "not watched" verdict is judged again against the new row. */
    T.unwatched += 2;
    return by_name_add(T.nrows - 1);
}

/* ---- the functions of sst_runtime._sst ---------------------------------- */

static PyObject *tr_watch(PyObject *module, PyObject *rows)
{
    if (ready() < 0) return NULL;
    if (!T.by_name && !(T.by_name = PyDict_New())) return NULL;
    PyObject *seq = PySequence_Fast(rows, "_trace_watch() takes a sequence of rows");
    if (!seq) return NULL;
    for (Py_ssize_t i = 0; i < PySequence_Fast_GET_SIZE(seq); i++)
        if (add_row(PySequence_Fast_GET_ITEM(seq, i)) < 0) {
            Py_DECREF(seq);
            return NULL;
        }
    Py_DECREF(seq);
    return PyLong_FromSsize_t(T.nrows);
}

static PyObject *tr_resolve(PyObject *module, PyObject *unused)
{
    PyObject *out = PyList_New(0);
    for (Py_ssize_t i = 0; out && i < T.nrows; i++) {
        watch_row *row = T.rows[i];
        int found = resolve_row(row, NULL, NULL);
        if (found < 0) {
            Py_CLEAR(out);
            break;
        }
        PyObject *where = Py_None;
        if (found && row->func) {
            PyCodeObject *code = (PyCodeObject *)PyFunction_GET_CODE(row->func);
            where = code_extra(code) == row ? sst_code_qualname(code) : Py_None;
        }
        PyObject *t = Py_BuildValue("(OOOO)", row->id, row->module, row->attr, where);
        if (!t || PyList_Append(out, t) < 0) Py_CLEAR(out);
        Py_XDECREF(t);
    }
    return out;
}

/* _trace_set_engine("frame" | "profile" | None): the flag every traced
 * thread checks at each call. */
static PyObject *tr_set_engine(PyObject *module, PyObject *name)
{
    int e = ENGINE_OFF;
    if (PyUnicode_Check(name) && PyUnicode_CompareWithASCIIString(name, "frame") == 0)
        e = ENGINE_FRAME;
    else if (PyUnicode_Check(name) && PyUnicode_CompareWithASCIIString(name, "profile") == 0)
        e = ENGINE_PROFILE;
    else if (name != Py_None) {
        PyErr_Format(PyExc_ValueError, "engine is \"frame\", \"profile\" or None, not %R", name);
        return NULL;
    }
    if (e != ENGINE_OFF && ready() < 0) return NULL;
    atomic_store(&engine, e);
    Py_RETURN_NONE;
}

static PyObject *tr_engine(PyObject *module, PyObject *unused)
{
    switch (atomic_load(&engine)) {
    case ENGINE_FRAME:
        return PyUnicode_FromString("frame");
    case ENGINE_PROFILE:
        return PyUnicode_FromString("profile");
    default:
        Py_RETURN_NONE;
    }
}

static PyObject *tr_frame_available(PyObject *module, PyObject *unused)
{
    return PyBool_FromLong(FRAME_ENGINE);
}

static int ours(PyThreadState *ts)
{
    return ts->c_profilefunc == profile || (T.tracer && ts->c_profileobj == T.tracer);
}

/* _trace_install(force) -> "installed", "already", "replaced" or "other". */
static PyObject *tr_install(PyObject *module, PyObject *force)
{
    int f = PyObject_IsTrue(force);
    if (f < 0 || ready() < 0) return NULL;
    PyThreadState *ts = PyThreadState_Get();
    if (ts->c_profilefunc == profile) return PyUnicode_FromString("already");
    int other = ts->c_profilefunc && !ours(ts);
    if (other && !f) return PyUnicode_FromString("other");
    PyEval_SetProfile(profile, T.tracer);
    if (ts->c_profilefunc != profile) {
        PyErr_SetString(PyExc_RuntimeError, "sst_runtime.trace: the profile function was refused (an audit hook?)");
        return NULL;
    }
    return PyUnicode_FromString(other ? "replaced" : "installed");
}

static PyObject *tr_uninstall(PyObject *module, PyObject *unused)
{
    PyThreadState *ts = PyThreadState_Get();
    if (!ours(ts)) Py_RETURN_FALSE;
    PyEval_SetProfile(NULL, NULL);
    Py_RETURN_TRUE;
}

/* _trace_profile_state() -> ("none" | "tracer" | "other", profile object). */
static PyObject *tr_profile_state(PyObject *module, PyObject *unused)
{
    PyThreadState *ts = PyThreadState_Get();
    const char *state = !ts->c_profilefunc ? "none" : ours(ts) ? "tracer" : "other";
    return Py_BuildValue("(sO)", state, ts->c_profileobj ? ts->c_profileobj : Py_None);
}

static PyObject *tr_object(PyObject *module, PyObject *unused)
{
    if (ready() < 0) return NULL;
    Py_INCREF(T.tracer);
    return T.tracer;
}

static PyObject *tr_stats(PyObject *module, PyObject *unused)
{
    return Py_BuildValue("{s:K,s:K,s:K,s:K,s:K,s:n}", "watched_calls", (unsigned long long)T.watched, "events",
                         (unsigned long long)T.recorded, "skipped_static", (unsigned long long)T.skipped_static,
                         "skipped_nested", (unsigned long long)T.skipped_nested, "resumed",
                         (unsigned long long)T.resumed, "rows", T.nrows);
}

PyMethodDef sst_trace_methods[] = {
    {"_trace_watch", (PyCFunction)tr_watch, METH_O,
     "_trace_watch(rows): adds (sink, kind, module, attribute) rows to the watched functions; returns their count."},
    {"_trace_resolve", (PyCFunction)tr_resolve, METH_NOARGS,
     "_trace_resolve() -> [(sink, module, attribute, qualname or None)]: resolves every row now."},
    {"_trace_set_engine", (PyCFunction)tr_set_engine, METH_O,
     "_trace_set_engine('frame' | 'profile' | None): the engine flag every traced thread checks at each call."},
    {"_trace_engine", (PyCFunction)tr_engine, METH_NOARGS, "The engine running: 'frame', 'profile' or None."},
    {"_trace_frame_available", (PyCFunction)tr_frame_available, METH_NOARGS,
     "True when the frame engine is built for this interpreter (CPython 3.11)."},
    {"_trace_frame_start", (PyCFunction)tr_frame_start, METH_O,
     "_trace_frame_start(probe) -> (status, other function or None): the frame engine on, its function in the "
     "interpreter's chain."},
    {"_trace_frame_stop", (PyCFunction)tr_frame_stop, METH_O,
     "_trace_frame_stop(probe) -> ('restored' | 'kept' | 'absent', function above it or None)."},
    {"_trace_frame_state", (PyCFunction)tr_frame_state, METH_O,
     "_trace_frame_state(probe) -> ('tracer' | 'below' | 'other' | 'none', the interpreter's function or None)."},
    {"_trace_install", (PyCFunction)tr_install, METH_O,
     "_trace_install(force) -> 'installed', 'already', 'replaced' or 'other': the profile function on this thread."},
    {"_trace_uninstall", (PyCFunction)tr_uninstall, METH_NOARGS,
     "Removes the tracer's profile function from this thread; True if it was there."},
    {"_trace_profile_state", (PyCFunction)tr_profile_state, METH_NOARGS,
     "-> ('none' | 'tracer' | 'other', the profile object) for this thread."},
    {"_trace_object", (PyCFunction)tr_object, METH_NOARGS, "The Tracer (threading's profile hook)."},
    {"_trace_stats", (PyCFunction)tr_stats, METH_NOARGS, "The tracer's counters."},
    {NULL, NULL, 0, NULL}};
