/* The planner: walks a parsed, analysed module in source order and plans
 * every insertion of docs/abi.md, tracking which names are certainly bound. */
#ifndef SST_PLAN_H
#define SST_PLAN_H

#include "edits.h"
#include "scope.h"

typedef struct sst_plan {
    sst_edits edits;
    sst_site *sites;
    size_t nsites, capsites;
    unsigned *added_lines;    /* original lines before which a line was added */
    size_t nadded_lines;
    int injected;             /* something besides the prologue was planned */
} sst_plan;

int sst_plan_build(sst_plan *plan, sst_analysis *an, const sst_options *options);
void sst_plan_free(sst_plan *plan);

#endif
