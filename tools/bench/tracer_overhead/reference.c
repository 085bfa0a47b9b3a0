/* Reference points for tools/bench/tracer-overhead, compiled by the benchmark
 * at run time (not part of the product): a profile function that does nothing
 * (what any profile-function tracer costs on this interpreter before it does
 * any work) and a PEP 523 frame-evaluation hook doing the tracer's per-call
 * work, the co_extra verdict lookup (the alternative design). CPython 3.11. */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#define Py_BUILD_CORE 1
#include <internal/pycore_frame.h>
#undef Py_BUILD_CORE

static Py_ssize_t extra_index = -1;
static const uintptr_t UNWATCHED = 1;

static int noop_profile(PyObject *obj, PyFrameObject *frame, int what, PyObject *arg)
{
    return 0;
}

static PyObject *frame_eval(PyThreadState *ts, _PyInterpreterFrame *frame, int throwflag)
{
    void *v = NULL;
    if (_PyCode_GetExtra((PyObject *)frame->f_code, extra_index, &v) == 0 && (uintptr_t)v != UNWATCHED)
        _PyCode_SetExtra((PyObject *)frame->f_code, extra_index, (void *)UNWATCHED);
    return _PyEval_EvalFrameDefault(ts, frame, throwflag);
}

static PyObject *noop_start(PyObject *m, PyObject *unused)
{
    PyEval_SetProfile(noop_profile, NULL);
    Py_RETURN_NONE;
}

static PyObject *noop_stop(PyObject *m, PyObject *unused)
{
    PyEval_SetProfile(NULL, NULL);
    Py_RETURN_NONE;
}

static PyObject *frame_eval_start(PyObject *m, PyObject *unused)
{
    if (extra_index < 0 && (extra_index = _PyEval_RequestCodeExtraIndex(NULL)) < 0)
        return PyErr_Format(PyExc_RuntimeError, "no code extra slot");
    _PyInterpreterState_SetEvalFrameFunc(PyInterpreterState_Get(), frame_eval);
    Py_RETURN_NONE;
}

static PyObject *frame_eval_stop(PyObject *m, PyObject *unused)
{
    _PyInterpreterState_SetEvalFrameFunc(PyInterpreterState_Get(), _PyEval_EvalFrameDefault);
    Py_RETURN_NONE;
}

static PyMethodDef methods[] = {
    {"noop_start", noop_start, METH_NOARGS, "Installs a profile function that does nothing on this thread."},
    {"noop_stop", noop_stop, METH_NOARGS, "Removes it."},
    {"frame_eval_start", frame_eval_start, METH_NOARGS, "Installs the PEP 523 hook (every thread)."},
    {"frame_eval_stop", frame_eval_stop, METH_NOARGS, "Restores the default frame evaluation."},
    {NULL, NULL, 0, NULL}};

static struct PyModuleDef module_def = {
    PyModuleDef_HEAD_INIT, .m_name = "tracer_reference", .m_size = -1, .m_methods = methods};

PyMODINIT_FUNC PyInit_tracer_reference(void)
{
    return PyModule_Create(&module_def);
}
