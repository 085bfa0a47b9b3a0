/* Static categories: which personal-data categories an expression can carry,
 * from the names it mentions, the variables it reads (every binding of them
 * in their scope), the sources it reads and the project functions it calls
 * (docs/catalogue.md, "Static categories"). */
#ifndef SST_REACH_H
#define SST_REACH_H

#include "scope.h"

/* The SST_CAT_* bits EXPR, evaluated in SC, can carry. */
uint32_t sst_reach(sst_analysis *an, scope *sc, snode expr);

/* Phase one: records in AN->summaries what each function's returns carry,
 * with the project functions they call, for the project table. */
int sst_reach_summaries(sst_analysis *an);

#endif
