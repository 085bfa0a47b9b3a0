/* Reading the calling frame. On CPython 3.11 the interpreter frame is read
 * directly (internal header, the layout of that exact minor version), which
 * costs no allocation; other versions use PyEval_GetFrame. */
#include "frame.h"

#if PY_VERSION_HEX >= 0x030B0000 && PY_VERSION_HEX < 0x030C0000
#define SST_FRAME_INTERNAL 1
#define Py_BUILD_CORE 1
#include <internal/pycore_frame.h>
#undef Py_BUILD_CORE
#else
#define SST_FRAME_INTERNAL 0
#endif

int sst_frame_current(sst_frame *out, int want_line)
{
#if SST_FRAME_INTERNAL
    PyThreadState *ts = PyThreadState_Get();
    _PyInterpreterFrame *f = ts->cframe ? ts->cframe->current_frame : NULL;
    while (f && _PyFrame_IsIncomplete(f)) f = f->previous;
    if (!f) return -1;
    out->code = f->f_code;
    out->id = f;
    out->line = want_line ? PyCode_Addr2Line(f->f_code, _PyInterpreterFrame_LASTI(f) * (int)sizeof(_Py_CODEUNIT))
                          : -1;
    return 0;
#else
    PyFrameObject *f = PyEval_GetFrame();
    if (!f) return -1;
    PyCodeObject *code = PyFrame_GetCode(f);
    out->code = code;
    Py_DECREF(code);   /* the frame holds it */
    out->id = f;
    out->line = want_line ? PyFrame_GetLineNumber(f) : -1;
    return 0;
#endif
}

PyObject *sst_code_qualname(PyCodeObject *code)
{
#if PY_VERSION_HEX >= 0x030B0000
    return code->co_qualname;
#else
    return code->co_name;
#endif
}
