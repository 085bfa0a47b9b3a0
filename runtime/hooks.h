/* What the C tracer (runtime/trace.c) uses from the runtime. The
 * tracer records events through the same sink check as the static wrappers,
 * marked as found by the tracer, and skips calls made while a statically
 * wrapped sink's callee runs on the same thread (no double event). */
#ifndef SST_RT_HOOKS_H
#define SST_RT_HOOKS_H

#include "sink.h"
#include "state.h"

/* Nonzero while the callee F of __sst__.external/store(ID, F, SOURCES)(...)
 * runs on this thread (set around the call, nested calls counted). Note: an
 * async callee returns a coroutine at once; its body runs after the flag is
 * cleared, so an async SDK's inner HTTP call is not covered by it. */
static inline int sst_in_static_sink(void)
{
    return sst_sink_depth > 0;
}

/* Records a tracer event for a call to the catalogue sink ID with the
 * vectorcall arguments ARGS: fill an sst_sink_call with .detection =
 * sst_rt.s_tracer, .sources = NULL, .frame = the caller's frame (the frame
 * that made the watched call, not the watched function's own) and call
 * sst_sink_check(). */

#endif
