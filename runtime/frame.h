/* The calling Python frame of an injected function: its code object and
 * line, read without materialising a frame object where the interpreter
 * allows it (CPython 3.11), through the public API elsewhere. */
#ifndef SST_RT_FRAME_H
#define SST_RT_FRAME_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>

typedef struct sst_frame {
    PyCodeObject *code;   /* borrowed: alive while the frame runs */
    int line;             /* -1 when not asked for or unknown */
    const void *id;       /* identity of the running frame */
} sst_frame;

/* Fills OUT with the innermost running Python frame of this thread (the code
 * that called the C function running now). WANT_LINE: compute the line.
 * Returns 0, or -1 (no exception) when no Python frame runs. */
int sst_frame_current(sst_frame *out, int want_line);

/* co_qualname (co_name before 3.11) of CODE, borrowed. */
PyObject *sst_code_qualname(PyCodeObject *code);

#endif
