/* The pipeline for one buffer: load -> parse -> analyse -> plan -> apply.
 * Anything unfit to rewrite (undecodable, syntax errors, Python 2, already
 * instrumented, nothing to inject) comes back as the input, unchanged. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sst/rewrite.h>

#include "edits.h"
#include "flat.h"
#include "kinds.h"
#include "parse.h"
#include "plan.h"
#include "scope.h"
#include "source.h"

#define MARKER "import sst_runtime as __sst__"

static int copy_input(sst_result *r, const char *src, size_t len)
{
    r->output = malloc(len + 1);
    if (!r->output) return SST_ENOMEM;
    memcpy(r->output, src, len);
    r->output[len] = 0;
    r->output_len = len;
    return 0;
}

static int already_instrumented(const char *src, size_t len)
{
    return memmem(src, len, MARKER, sizeof MARKER - 1) != NULL;
}

static int by_position(const void *a, const void *b)
{
    const sst_site *x = a, *y = b;
    if (x->line != y->line) return x->line < y->line ? -1 : 1;
    if (x->column != y->column) return x->column < y->column ? -1 : 1;
    return x->id < y->id ? -1 : x->id > y->id;
}

/* Copies the plan's sites out of the arena into one malloc'd block, numbered
 * in order of position (the planner makes some, like a flow around an
 * unpacking, after what they contain), and renumbers the insertions. */
static int keep_sites(sst_result *r, const sst_plan *plan)
{
    size_t bytes = plan->nsites * sizeof(sst_site);
    for (size_t i = 0; i < plan->nsites; i++)
        if (plan->sites[i].path) bytes += strlen(plan->sites[i].path) + 1;
    if (!plan->nsites) return 0;
    char *block = malloc(bytes);
    if (!block) return SST_ENOMEM;
    sst_site *sites = (sst_site *)block;
    char *strings = block + plan->nsites * sizeof(sst_site);
    for (size_t i = 0; i < plan->nsites; i++) {
        sites[i] = plan->sites[i];
        if (plan->sites[i].path) {
            size_t n = strlen(plan->sites[i].path) + 1;
            memcpy(strings, plan->sites[i].path, n);
            sites[i].path = strings;
            strings += n;
        }
    }
    qsort(sites, plan->nsites, sizeof *sites, by_position);
    unsigned *renumber = malloc((plan->nsites + 1) * sizeof *renumber);
    if (!renumber) {
        free(block);
        return SST_ENOMEM;
    }
    for (size_t i = 0; i < plan->nsites; i++) {
        renumber[sites[i].id] = (unsigned)i + 1;
        sites[i].id = (unsigned)i + 1;
    }
    for (size_t i = 0; i < r->ninsertions; i++) r->insertions[i].site = renumber[r->insertions[i].site];
    free(renumber);
    r->sites = sites;
    r->nsites = plan->nsites;
    return 0;
}

int sst_rewrite_buffer(sst_result **out, const char *path, const char *src, size_t len,
                       const sst_options *options, sst_error *err)
{
    sst_result *r = calloc(1, sizeof *r);
    sst_source source = {0};
    TSParser *parser = NULL;
    TSTree *tree = NULL;
    sst_arena arena;
    sst_analysis an = {0};
    sst_plan plan = {0};
    sst_tree flat = {0};
    int analysed = 0, planned = 0;
    int rc = SST_ENOMEM;
    sst_arena_init(&arena);
    if (!r) goto done;
    if (!options || !options->catalog) {
        rc = SST_EINVAL;
        sst_error_set(err, rc, path, 0, "no catalogue given");
        goto done;
    }
    if (len > UINT32_MAX / 2) {
        rc = SST_EINVAL;
        sst_error_set(err, rc, path, 0, "file too large (%zu bytes)", len);
        goto done;
    }

    sst_error load_err = {0};
    rc = sst_source_load(&source, src, len, &load_err);
    snprintf(r->encoding, sizeof r->encoding, "%s", source.encoding);
    if (rc == SST_EINVAL) {
        r->status = SST_STATUS_UNPARSEABLE;
        r->problem_line = load_err.line ? load_err.line : 1;
        snprintf(r->problem, sizeof r->problem, "%.200s", load_err.message);
        rc = copy_input(r, src, len);
        goto finish;
    }
    if (rc) goto done;
    if (already_instrumented(src, len)) {
        r->status = SST_STATUS_ALREADY;
        rc = copy_input(r, src, len);
        goto finish;
    }

    rc = SST_ENOMEM;
    parser = ts_parser_new();
    if (!parser) goto done;
    tree = sst_parse(parser, &source);
    if (!tree) goto done;
    unsigned line = sst_tree_build(&flat, ts_tree_root_node(tree), &source, r->problem, sizeof r->problem);
    ts_tree_delete(tree);
    tree = NULL;
    if (line == UINT32_MAX) goto done;
    if (line) {
        r->status = SST_STATUS_UNPARSEABLE;
        r->problem_line = line;
        rc = copy_input(r, src, len);
        goto finish;
    }

    rc = sst_analysis_build(&an, &arena, &source, options->catalog, &flat);
    analysed = 1;
    if (rc) goto done;
    rc = sst_plan_build(&plan, &an, options);
    planned = 1;
    if (rc == SST_EBUG) {
        sst_error_set(err, rc, path, 0, "internal error: the planner produced an insertion out of order");
        goto done;
    }
    if (rc) goto done;
    if (!plan.injected) {
        r->status = SST_STATUS_UNCHANGED;
        rc = copy_input(r, src, len);
        goto finish;
    }
    rc = sst_edits_apply(&plan.edits, &source, &r->output, &r->output_len, &r->insertions, err);
    if (rc) {
        if (err && !err->path[0]) snprintf(err->path, sizeof err->path, "%s", path ? path : "");
        goto done;
    }
    r->ninsertions = plan.edits.n;
    r->status = SST_STATUS_INSTRUMENTED;
    r->added_lines = plan.added_lines;
    r->nadded_lines = plan.nadded_lines;
    plan.added_lines = NULL;
    rc = keep_sites(r, &plan);
finish:
    if (!rc) {
        *out = r;
        r = NULL;
    }
done:
    if (rc == SST_ENOMEM) sst_error_set(err, rc, path, 0, "out of memory");
    if (planned) sst_plan_free(&plan);
    if (analysed) sst_analysis_free(&an);
    sst_arena_free(&arena);
    sst_tree_free(&flat);
    if (tree) ts_tree_delete(tree);
    if (parser) ts_parser_delete(parser);
    sst_source_free(&source);
    sst_result_free(r);
    return rc;
}

void sst_result_free(sst_result *r)
{
    if (!r) return;
    free(r->output);
    free(r->sites);
    for (size_t i = 0; i < r->ninsertions; i++) free((char *)r->insertions[i].text);
    free(r->insertions);
    free(r->added_lines);
    free(r);
}
