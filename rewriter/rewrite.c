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
#include "project.h"
#include "reach.h"
#include "resolve.h"
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
    if (!plan->nsites) return 0;
    size_t bytes = plan->nsites * sizeof(sst_site);
    unsigned maxid = 0;
    for (size_t i = 0; i < plan->nsites; i++) {
        if (plan->sites[i].path) bytes += strlen(plan->sites[i].path) + 1;
        if (plan->sites[i].scope) bytes += strlen(plan->sites[i].scope) + 1;
        if (plan->sites[i].id > maxid) maxid = plan->sites[i].id;
    }
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
        if (plan->sites[i].scope) {
            size_t n = strlen(plan->sites[i].scope) + 1;
            memcpy(strings, plan->sites[i].scope, n);
            sites[i].scope = strings;
            strings += n;
        }
    }
    qsort(sites, plan->nsites, sizeof *sites, by_position);
    unsigned *renumber = calloc((size_t)maxid + 1, sizeof *renumber);
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

struct sst_module {
    char *path;
    char *name;
    int is_package;
    char *input;              /* the original bytes */
    size_t len;
    sst_status status;        /* INSTRUMENTED: parsed and analysed, to be planned */
    unsigned problem_line;
    char problem[256];
    char encoding[32];
    sst_source source;
    sst_tree flat;
    sst_arena arena;
    sst_analysis an;
    int analysed;
};

void sst_module_free(sst_module *m)
{
    if (!m) return;
    if (m->analysed) sst_analysis_free(&m->an);
    sst_arena_free(&m->arena);
    sst_tree_free(&m->flat);
    sst_source_free(&m->source);
    free(m->input);
    free(m->path);
    free(m->name);
    free(m);
}

sst_status sst_module_status(const sst_module *m) { return m->status; }

size_t sst_module_footprint(const sst_module *m)
{
    return m->len * 2 + (size_t)m->flat.cap * sizeof(sst_fnode) + (size_t)m->an.nnames * 64 +
           m->an.ncands * sizeof(bind_candidate);
}

/* A module name from a file name: "pkg/mod.py" -> "mod", "pkg/__init__.py" -> "pkg". */
static char *name_from_path(const char *path, int *is_package)
{
    const char *base = path ? strrchr(path, '/') : NULL;
    base = base ? base + 1 : (path ? path : "");
    size_t len = strcspn(base, ".");
    *is_package = 0;
    if (len == 8 && !memcmp(base, "__init__", 8) && path && base > path + 1) {
        const char *end = base - 1, *start = end;
        while (start > path && start[-1] != '/') start--;
        base = start;
        len = (size_t)(end - start);
        *is_package = 1;
    }
    char *name = malloc(len + 1 > 9 ? len + 1 : 9);
    if (!name) return NULL;
    if (!len) {
        strcpy(name, "__main__");
        return name;
    }
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)base[i];
        name[i] = (c == '_' || (c >= '0' && c <= '9' && i) || (unsigned)((c | 32) - 'a') < 26u || c >= 0x80) ? (char)c : '_';
    }
    name[len] = 0;
    return name;
}

int sst_module_load(sst_module **out, const sst_project *project, const char *path, const char *module,
                    const char *src, size_t len, const sst_options *options, sst_error *err)
{
    sst_module *m = calloc(1, sizeof *m);
    TSParser *parser = NULL;
    TSTree *tree = NULL;
    int rc = SST_ENOMEM;
    if (!m) goto done;
    sst_arena_init(&m->arena);
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
    if (module) {
        m->name = strdup(module);
        m->is_package = options->is_package;
    } else {
        m->name = name_from_path(path, &m->is_package);
    }
    m->path = strdup(path ? path : "");
    m->input = malloc(len + 1);
    if (!m->name || !m->path || !m->input) goto done;
    memcpy(m->input, src, len);
    m->input[len] = 0;
    m->len = len;

    sst_error load_err = {0};
    rc = sst_source_load(&m->source, m->input, len, &load_err);   /* its own copy: the caller's may go */
    snprintf(m->encoding, sizeof m->encoding, "%s", m->source.encoding);
    if (rc == SST_EINVAL) {
        m->status = SST_STATUS_UNPARSEABLE;
        m->problem_line = load_err.line ? load_err.line : 1;
        snprintf(m->problem, sizeof m->problem, "%.200s", load_err.message);
        rc = 0;
        goto finish;
    }
    if (rc) goto done;
    if (already_instrumented(src, len)) {
        m->status = SST_STATUS_ALREADY;
        goto finish;
    }

    rc = SST_ENOMEM;
    parser = ts_parser_new();
    if (!parser) goto done;
    tree = sst_parse(parser, &m->source);
    if (!tree) goto done;
    unsigned line = sst_tree_build(&m->flat, ts_tree_root_node(tree), &m->source, m->problem, sizeof m->problem);
    ts_tree_delete(tree);
    tree = NULL;
    if (line == UINT32_MAX) goto done;
    if (line) {
        m->status = SST_STATUS_UNPARSEABLE;
        m->problem_line = line;
        rc = 0;
        goto finish;
    }
    rc = sst_analysis_build(&m->an, &m->arena, &m->source, options->catalog, &m->flat, project, m->name,
                            m->is_package);
    m->analysed = 1;
    if (!rc) rc = sst_reach_summaries(&m->an);
    if (rc) goto done;
    m->status = SST_STATUS_INSTRUMENTED;
finish:
    *out = m;
    m = NULL;
    rc = 0;
done:
    if (rc == SST_ENOMEM) sst_error_set(err, rc, path, 0, "out of memory");
    if (tree) ts_tree_delete(tree);
    if (parser) ts_parser_delete(parser);
    sst_module_free(m);
    return rc;
}

int sst_project_add(sst_project *project, const sst_module *m, sst_error *err)
{
    if (m->status != SST_STATUS_INSTRUMENTED) return 0;
    return sst_project_add_analysis(project, &m->an, err);
}

int sst_module_rewrite(sst_result **out, const sst_project *project, sst_module *m, const sst_options *options,
                       sst_error *err)
{
    sst_result *r = calloc(1, sizeof *r);
    sst_plan plan = {0};
    int planned = 0;
    int rc = SST_ENOMEM;
    if (!r) goto done;
    snprintf(r->encoding, sizeof r->encoding, "%s", m->encoding);
    r->status = m->status;
    if (m->status != SST_STATUS_INSTRUMENTED) {
        r->problem_line = m->problem_line;
        snprintf(r->problem, sizeof r->problem, "%s", m->problem);
        rc = copy_input(r, m->input, m->len);
        goto finish;
    }
    m->an.project = project;
    if (project && project->linked && (rc = sst_resolve_cache(&m->an))) goto done;
    rc = sst_plan_build(&plan, &m->an, options);
    planned = 1;
    if (rc == SST_EBUG) {
        sst_error_set(err, rc, m->path, 0, "internal error: the planner produced an insertion out of order");
        goto done;
    }
    if (rc) goto done;
    if (!plan.injected) {
        r->status = SST_STATUS_UNCHANGED;
        rc = copy_input(r, m->input, m->len);
        /* nothing injected, but configuration findings are still reported */
        size_t keep = 0;
        for (size_t i = 0; i < plan.nsites; i++)
            if (plan.sites[i].kind == SST_SITE_CONFIG) plan.sites[keep++] = plan.sites[i];
        plan.nsites = keep;
        if (!rc && keep) rc = keep_sites(r, &plan);
        goto finish;
    }
    rc = sst_edits_apply(&plan.edits, &m->source, &r->output, &r->output_len, &r->insertions, err);
    if (rc) {
        if (err && !err->path[0]) snprintf(err->path, sizeof err->path, "%s", m->path);
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
    if (rc == SST_ENOMEM) sst_error_set(err, rc, m->path, 0, "out of memory");
    if (planned) sst_plan_free(&plan);
    sst_result_free(r);
    return rc;
}

int sst_rewrite_buffer(sst_result **out, const char *path, const char *src, size_t len,
                       const sst_options *options, sst_error *err)
{
    sst_project *project = NULL;
    sst_module *m = NULL;
    int rc;
    if (!options || !options->catalog) {
        sst_error_set(err, SST_EINVAL, path, 0, "no catalogue given");
        return SST_EINVAL;
    }
    /* one module is a project of one: its own functions and classes resolve */
    sst_options opt = *options;
    char *name = NULL;
    if (!opt.module) {
        name = name_from_path(path, &opt.is_package);
        if (!name) {
            sst_error_set(err, SST_ENOMEM, path, 0, "out of memory");
            return SST_ENOMEM;
        }
        opt.module = name;
    }
    if ((rc = sst_project_new(&project, options->catalog, err))) goto done;
    if ((rc = sst_project_declare(project, opt.module, opt.is_package, err)) ||
        (rc = sst_module_load(&m, project, path, opt.module, src, len, &opt, err)) ||
        (rc = sst_project_add(project, m, err)) || (rc = sst_project_link(project, err)))
        goto done;
    rc = sst_module_rewrite(out, project, m, options, err);
done:
    free(name);
    sst_module_free(m);
    sst_project_free(project);
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
