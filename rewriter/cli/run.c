/* The sst-rewrite command: option parsing, the run (walk, rewrite on N
 * threads, write, manifest) and everything it prints. Results are printed in
 * the sorted order of the files whatever thread finished first, so the
 * output of a run does not depend on -j. */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "config.h"
#include "report.h"

#define PROG "sst-rewrite"
#define MAX_JOBS 256
#define THREAD_STACK (16u << 20)  /* deep syntax trees recurse deeply */
#define MODULE_BUDGET ((size_t)2 << 30)  /* parsed modules held between the passes */

static const char *const profile_names[] = { "minimal", "standard", "full" };

typedef enum { COLOR_AUTO = 0, COLOR_ALWAYS, COLOR_NEVER } color_mode;

/* The parsed command line. Options that change the output bytes (a future
 * --config adding catalogue files, say) must also enter options_hash(), or
 * incremental runs would keep outputs made without them. */
typedef struct cli_options {
    const char **srcs;
    size_t nsrcs;
    const char *out;
    const char **excludes;
    size_t nexcludes;
    long jobs;
    int diff;
    color_mode color;
    sst_profile profile;
    int strict;
    int force;
    int quiet;
    int verbose;
    int fsync;
    int has_profile;
    const char *report;        /* "json" or "sarif": analyse and report, write no tree */
    const char *baseline;
    const char *write_baseline;
    sst_fail_on fail_on;
    const char *config;        /* --config FILE */
    int no_config;
} cli_options;

/* What happened to one file; filled by a worker, printed by the main thread. */
typedef struct job {
    const sst_walk_file *file;
    char *input;         /* the file's bytes, read in the first pass */
    size_t ilen;
    int read_failed;
    char read_error[512];
    int selected;        /* a Python file the configuration selects: analysed and rewritten */
    char *module_name;   /* dotted */
    int is_package;
    sst_module *module;  /* loaded in the first pass, rewritten in the second */
    sst_project *fork;   /* the module's own exports, and the questions its early rewrite asked */
    sst_result *early;   /* rewritten right after loading, while hot; kept if the project agrees */
    int again;           /* the early rewrite did not stand: rewritten with the whole project */
    sst_manifest_entry entry;
    int fresh;       /* up to date in OUT: not rewritten */
    int written;
    int failed;
    sst_buf warnings;   /* lines for the list at the end */
    sst_buf errors;
    sst_buf diff;
    int done;
} job;

typedef struct run {
    const cli_options *o;
    sst_options rewrite;
    sst_project *project;
    sst_report *report;            /* findings of every file */
    int two_pass;                  /* SST_TWO_PASS=1: no early rewrites (a check) */
    sst_out *out;
    const sst_manifest *current;   /* previous manifest, if it may vouch for outputs */
    const sst_diff_colors *colors;
    job *jobs;
    size_t njobs;
    size_t next;                   /* next job to take, atomically */
    size_t ndone;
    pthread_mutex_t mu;
    pthread_cond_t cv;
} run;

/* ---- help and option parsing -------------------------------------------- */

static const char help_text[] =
"Usage: " PROG " [OPTION]... SRC... -o OUT\n"
"       " PROG " [OPTION]... SRC... --diff\n"
"       " PROG " --report json|sarif [-o FILE] [OPTION]... SRC...\n"
"\n"
"Instruments Python source for server-side tracking. Every Python file under\n"
"SRC is rewritten with calls into the sst_runtime package (bound as __sst__ in\n"
"each module) that tag personal data and record where it leaves the\n"
"application: third-party calls (HTTP, AI APIs, e-mail...) and stores. Only\n"
"insertions are made and no line moves, so tracebacks keep their line numbers.\n"
"Every other file is copied as it is. OUT becomes a mirror of SRC, with\n"
"OUT/.sst/manifest.json recording what was done to each file.\n"
"\n"
"Input and output:\n"
"  -o, --output OUT    write the instrumented tree to OUT (created if needed).\n"
"                      A directory SRC's contents go directly under OUT\n"
"                      (with SRC=app, app/pkg/x.py goes to OUT/pkg/x.py); a\n"
"                      file SRC goes to OUT/ followed by its name. Several SRCs\n"
"                      are each mapped that way into the same OUT; two SRCs that\n"
"                      would give the same path in OUT are a usage error.\n"
"      --diff          print a unified diff of each changed file on stdout\n"
"                      (--- a/PATH, +++ b/PATH, PATH relative to OUT); without\n"
"                      -o nothing is written and only the diff and any\n"
"                      problems are printed\n"
"      --color WHEN    colour the diff: auto (the default: when stdout is a\n"
"                      terminal, TERM is not \"dumb\" and NO_COLOR is unset),\n"
"                      always or never. Injected text is highlighted.\n"
"      --exclude GLOB  skip what the walk finds whose path relative to SRC, or\n"
"                      any one component of that path, matches the fnmatch\n"
"                      pattern GLOB (* ? [...]; * also matches /). Repeatable.\n"
"                      A file named as a SRC is never excluded.\n"
"\n"
"  Always skipped: __pycache__, .git, .hg, .svn, node_modules, virtualenvs (a\n"
"  directory holding pyvenv.cfg), OUT itself when it is inside SRC, and .sst\n"
"  at the top of SRC. A symlink is followed only when its target lies inside\n"
"  SRC; one that points elsewhere is skipped with a warning. Python files are\n"
"  those ending in .py or .pyw.\n"
"\n"
"Rewriting:\n"
"      --profile NAME  what to inject: minimal (calls to third parties and\n"
"                      stores only), standard (the default: also sources of\n"
"                      personal data, parameters whose names mean personal\n"
"                      data, and flows), full (also every other parameter,\n"
"                      checked at run time)\n"
"      --strict        a Python file that cannot be parsed (syntax error,\n"
"                      Python 2) fails the run; by default it is copied\n"
"                      unchanged and reported as a warning with its line\n"
"      --force         ignore OUT/.sst/manifest.json: rewrite every file\n"
"      --fsync         flush each file to disk before it replaces the old one\n"
"\n"
"Reporting (docs/report.md):\n"
"      --report FMT    analyse only, write no tree: the static report of every\n"
"                      call that sends or stores data, json or sarif, on stdout\n"
"                      or to -o FILE. A tree run writes OUT/.sst/report.json.\n"
"      --baseline FILE mark findings new or approved against FILE\n"
"      --write-baseline FILE  write the baseline approving this run's findings\n"
"      --fail-on WHEN  new: exit 1 when an unsuppressed finding is not in the\n"
"                      baseline (or carries a category it lacks); any: when\n"
"                      there is any unsuppressed finding; never (the default)\n"
"      --config FILE   the configuration (docs/configuration.md); by default the\n"
"                      nearest sst.toml or pyproject.toml with [tool.sst] above\n"
"                      the first SRC\n"
"      --no-config     read no configuration file\n"
"\n"
"Running:\n"
"  -j, --jobs N        rewrite N files at a time (default, or 0: the number of\n"
"                      processors). Output and messages come in the sorted\n"
"                      order of the files, whatever N is.\n"
"  -q, --quiet         print errors only\n"
"  -v, --verbose       also print a line per file, and each skipped entry\n"
"  -h, --help          print this help and exit\n"
"      --version       print the version and the injection ABI version\n"
"\n"
"Messages, warnings and the summary go to stderr; the diff to stdout. On a\n"
"terminal a progress line is shown once a run takes more than a second.\n"
"\n"
"Incremental runs: the manifest holds each file's input and output hash\n"
"(XXH3-64). When it was written by this version with the same profile,\n"
"configuration, catalogue files and project exports, a file whose input is\n"
"unchanged and whose output in OUT is still the one recorded is left alone;\n"
"a run where nothing changed writes nothing.\n"
"\n"
"Safety: each file is written to a temporary file (.sst-tmp-*) next to it and\n"
"renamed into place, so a file in OUT is always whole. Nothing is written\n"
"outside OUT: no symlink inside OUT is followed. One bad file does not stop\n"
"the run; every problem is listed at the end.\n"
"\n"
"Exit status:\n"
"  0  every file was rewritten or copied (there may be warnings)\n"
"  1  usage error (bad option, missing SRC, SRC inside OUT, bad configuration\n"
"     or baseline...); nothing written. Also: --fail-on found what it fails on.\n"
"  2  some files failed: unreadable, not writable, undecodable, or unparseable\n"
"     under --strict (a file that failed is copied unchanged when it could be\n"
"     read); the other files were done\n"
"\n"
"Examples:\n"
"  " PROG " app -o build/app-sst          mirror app/ instrumented\n"
"  " PROG " app --diff | less -R          review what would be injected\n"
"  " PROG " app -o out --exclude tests --exclude '*_pb2.py'\n"
"  " PROG " manage.py app -o out          out/manage.py and app's contents\n"
"  " PROG " app -o out --strict -q        for CI: fail on any unparseable file\n";

static void usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void usage_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs(PROG ": ", stderr);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputs("\nTry '" PROG " --help' for more information.\n", stderr);
}

/* Matches "--name", "--name=VALUE" (with a value) or a short "-c" / "-cVALUE".
 * Returns 1 when ARG is this option; *VALUE is set for options that take one. */
static int match_opt(int argc, char **argv, int *i, const char *lng, char shrt, int takes,
                     const char **value, int *bad)
{
    const char *arg = argv[*i];
    const char *inline_value = NULL;
    if (arg[0] == '-' && arg[1] == '-' && lng) {
        size_t n = strlen(lng);
        if (strncmp(arg + 2, lng, n) != 0) return 0;
        if (arg[2 + n] == '=') inline_value = arg + 3 + n;
        else if (arg[2 + n] != '\0') return 0;
    } else if (arg[0] == '-' && shrt && arg[1] == shrt) {
        if (arg[2] != '\0') {
            if (!takes) return 0;
            inline_value = arg + 2;
        }
    } else {
        return 0;
    }
    if (!takes) {
        if (inline_value) {
            usage_error("option '--%s' takes no value", lng);
            *bad = 1;
        }
        return 1;
    }
    if (inline_value) {
        *value = inline_value;
    } else if (*i + 1 < argc) {
        *value = argv[++*i];
    } else {
        usage_error("option '%s' needs a value", arg);
        *bad = 1;
    }
    return 1;
}

/* Returns -1 to go on, or the exit status (0 after --help/--version, 1). */
static int parse_args(cli_options *o, int argc, char **argv)
{
    o->jobs = -1;
    o->profile = SST_PROFILE_STANDARD;
    o->srcs = calloc((size_t)argc, sizeof *o->srcs);
    o->excludes = calloc((size_t)argc, sizeof *o->excludes);
    if (!o->srcs || !o->excludes) {
        fputs(PROG ": out of memory\n", stderr);
        return SST_EXIT_FAILED;
    }
    int only_srcs = 0;
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i], *v = NULL;
        int bad = 0;
        if (only_srcs || arg[0] != '-' || arg[1] == '\0') {
            if (strcmp(arg, "-") == 0) {
                usage_error("reading from stdin is not supported; name files or directories");
                return SST_EXIT_USAGE;
            }
            if (*arg == '\0') {
                usage_error("an empty SRC argument");
                return SST_EXIT_USAGE;
            }
            o->srcs[o->nsrcs++] = arg;
            continue;
        }
        if (strcmp(arg, "--") == 0) {
            only_srcs = 1;
        } else if (match_opt(argc, argv, &i, "help", 'h', 0, &v, &bad)) {
            if (bad) return SST_EXIT_USAGE;
            fputs(help_text, stdout);
            return SST_EXIT_OK;
        } else if (match_opt(argc, argv, &i, "version", 0, 0, &v, &bad)) {
            if (bad) return SST_EXIT_USAGE;
            printf(PROG " %s (injection ABI %d)\n", SST_VERSION, SST_ABI_VERSION);
            return SST_EXIT_OK;
        } else if (match_opt(argc, argv, &i, "output", 'o', 1, &v, &bad)) {
            if (bad) return SST_EXIT_USAGE;
            if (o->out) {
                usage_error("-o/--output given twice");
                return SST_EXIT_USAGE;
            }
            if (*v == '\0') {
                usage_error("-o/--output needs a directory");
                return SST_EXIT_USAGE;
            }
            o->out = v;
        } else if (match_opt(argc, argv, &i, "jobs", 'j', 1, &v, &bad)) {
            if (bad) return SST_EXIT_USAGE;
            char *end;
            errno = 0;
            long n = strtol(v, &end, 10);
            if (*v == '\0' || *end != '\0' || errno || n < 0 || n > MAX_JOBS) {
                usage_error("-j/--jobs wants a number from 0 to %d, not '%s'", MAX_JOBS, v);
                return SST_EXIT_USAGE;
            }
            o->jobs = n;
        } else if (match_opt(argc, argv, &i, "diff", 0, 0, &v, &bad)) {
            if (bad) return SST_EXIT_USAGE;
            o->diff = 1;
        } else if (match_opt(argc, argv, &i, "color", 0, 1, &v, &bad)) {
            if (bad) return SST_EXIT_USAGE;
            if (strcmp(v, "auto") == 0) o->color = COLOR_AUTO;
            else if (strcmp(v, "always") == 0) o->color = COLOR_ALWAYS;
            else if (strcmp(v, "never") == 0) o->color = COLOR_NEVER;
            else {
                usage_error("--color wants auto, always or never, not '%s'", v);
                return SST_EXIT_USAGE;
            }
        } else if (match_opt(argc, argv, &i, "exclude", 0, 1, &v, &bad)) {
            if (bad) return SST_EXIT_USAGE;
            /* "./x" and "x/" mean x: the path is relative to SRC */
            while (v[0] == '.' && v[1] == '/') v += 2;
            char *tail = (char *)v + strlen(v);   /* argv strings are ours to modify */
            while (tail > v && tail[-1] == '/') *--tail = '\0';
            if (*v == '\0') {
                usage_error("--exclude needs a pattern");
                return SST_EXIT_USAGE;
            }
            o->excludes[o->nexcludes++] = v;
        } else if (match_opt(argc, argv, &i, "profile", 0, 1, &v, &bad)) {
            if (bad) return SST_EXIT_USAGE;
            int found = 0;
            for (int p = 0; p < 3; p++)
                if (strcmp(v, profile_names[p]) == 0) { o->profile = (sst_profile)p; found = 1; o->has_profile = 1; }
            if (!found) {
                usage_error("--profile wants minimal, standard or full, not '%s'", v);
                return SST_EXIT_USAGE;
            }
        } else if (match_opt(argc, argv, &i, "report", 0, 1, &v, &bad)) {
            if (bad) return SST_EXIT_USAGE;
            if (strcmp(v, "json") && strcmp(v, "sarif")) {
                usage_error("--report wants json or sarif, not '%s'", v);
                return SST_EXIT_USAGE;
            }
            o->report = v;
        } else if (match_opt(argc, argv, &i, "baseline", 0, 1, &v, &bad)) {
            if (bad) return SST_EXIT_USAGE;
            o->baseline = v;
        } else if (match_opt(argc, argv, &i, "write-baseline", 0, 1, &v, &bad)) {
            if (bad) return SST_EXIT_USAGE;
            o->write_baseline = v;
        } else if (match_opt(argc, argv, &i, "fail-on", 0, 1, &v, &bad)) {
            if (bad) return SST_EXIT_USAGE;
            if (!strcmp(v, "new")) o->fail_on = SST_FAIL_ON_NEW;
            else if (!strcmp(v, "any")) o->fail_on = SST_FAIL_ON_ANY;
            else if (!strcmp(v, "never")) o->fail_on = SST_FAIL_ON_NEVER;
            else {
                usage_error("--fail-on wants new, any or never, not '%s'", v);
                return SST_EXIT_USAGE;
            }
        } else if (match_opt(argc, argv, &i, "config", 0, 1, &v, &bad)) {
            if (bad) return SST_EXIT_USAGE;
            o->config = v;
        } else if (match_opt(argc, argv, &i, "no-config", 0, 0, &v, &bad)) {
            if (bad) return SST_EXIT_USAGE;
            o->no_config = 1;
        } else if (match_opt(argc, argv, &i, "strict", 0, 0, &v, &bad)) {
            if (bad) return SST_EXIT_USAGE;
            o->strict = 1;
        } else if (match_opt(argc, argv, &i, "force", 0, 0, &v, &bad)) {
            if (bad) return SST_EXIT_USAGE;
            o->force = 1;
        } else if (match_opt(argc, argv, &i, "fsync", 0, 0, &v, &bad)) {
            if (bad) return SST_EXIT_USAGE;
            o->fsync = 1;
        } else if (match_opt(argc, argv, &i, "quiet", 'q', 0, &v, &bad)) {
            if (bad) return SST_EXIT_USAGE;
            o->quiet = 1;
        } else if (match_opt(argc, argv, &i, "verbose", 'v', 0, &v, &bad)) {
            if (bad) return SST_EXIT_USAGE;
            o->verbose = 1;
        } else {
            usage_error("unknown option '%s'", arg);
            return SST_EXIT_USAGE;
        }
    }
    if (o->nsrcs == 0) {
        usage_error("no SRC given: name the files or directories to rewrite");
        return SST_EXIT_USAGE;
    }
    if (o->report && o->diff) {
        usage_error("--report and --diff exclude each other: a report run writes no tree");
        return SST_EXIT_USAGE;
    }
    if (o->config && o->no_config) {
        usage_error("--config and --no-config exclude each other");
        return SST_EXIT_USAGE;
    }
    if (!o->out && !o->diff && !o->report && !o->write_baseline && !o->baseline && !o->fail_on) {
        usage_error("nothing to do: give -o OUT to write the instrumented tree, --diff, or --report");
        return SST_EXIT_USAGE;
    }
    if (o->quiet && o->verbose) {
        usage_error("--quiet and --verbose exclude each other");
        return SST_EXIT_USAGE;
    }
    return -1;
}

/* ---- one file ------------------------------------------------------------- */

static void note_line(sst_buf *b, const char *path, unsigned line, const char *level,
                      const char *msg)
{
    if (line) sst_buf_printf(b, "%s:%u: %s: %s\n", path, line, level, msg);
    else sst_buf_printf(b, "%s: %s: %s\n", path, level, msg);
}

static void unparseable_note(const run *r, job *j)
{
    char msg[600];
    snprintf(msg, sizeof msg, "cannot parse (%s); copied unchanged",
             j->entry.problem ? j->entry.problem : "syntax error");
    if (r->o->strict) {
        note_line(&j->errors, j->file->src, j->entry.problem_line, "error", msg);
        j->failed = 1;
    } else {
        note_line(&j->warnings, j->file->src, j->entry.problem_line, "warning", msg);
    }
}

static int take_result(sst_manifest_entry *e, const sst_result *res)
{
    switch (res->status) {
    case SST_STATUS_INSTRUMENTED: e->status = SST_ENTRY_INSTRUMENTED; break;
    case SST_STATUS_UNCHANGED: e->status = SST_ENTRY_UNCHANGED; break;
    case SST_STATUS_ALREADY: e->status = SST_ENTRY_ALREADY; break;
    default: e->status = SST_ENTRY_UNPARSEABLE; break;
    }
    if (!(e->encoding = strdup(res->encoding))) return SST_ENOMEM;
    if (res->status == SST_STATUS_UNPARSEABLE) {
        e->problem_line = res->problem_line;
        if (!(e->problem = strdup(res->problem))) return SST_ENOMEM;
    }
    if (res->nsites && !(e->sites = calloc(res->nsites, sizeof *e->sites))) return SST_ENOMEM;
    for (size_t i = 0; i < res->nsites; i++) {
        const sst_site *s = &res->sites[i];
        sst_manifest_site *m = &e->sites[e->nsites++];
        m->id = s->id;
        m->line = s->line;
        m->column = s->column;
        if (!(m->kind = strdup(sst_site_kind_name(s->kind)))) return SST_ENOMEM;
        if (s->path && !(m->path = strdup(s->path))) return SST_ENOMEM;
    }
    if (res->nadded_lines) {
        if (!(e->added_lines = malloc(res->nadded_lines * sizeof *e->added_lines)))
            return SST_ENOMEM;
        memcpy(e->added_lines, res->added_lines, res->nadded_lines * sizeof *e->added_lines);
        e->nadded_lines = res->nadded_lines;
    }
    return 0;
}

/* The SRC argument a walked file came from, as given: its path minus the
 * relative path ("" for a file named as a SRC). */
static void root_of(const sst_walk_file *f, char *out, size_t cap)
{
    size_t ls = strlen(f->src), lr = strlen(f->rel);
    out[0] = 0;
    if (ls > lr + 1 && f->src[ls - lr - 1] == '/' && strcmp(f->src + ls - lr, f->rel) == 0 && ls - lr - 1 < cap) {
        memcpy(out, f->src, ls - lr - 1);
        out[ls - lr - 1] = 0;
    }
}

static void process(run *r, job *j)
{
    const sst_walk_file *f = j->file;
    sst_manifest_entry *e = &j->entry;
    const char *input = j->input;
    size_t ilen = j->ilen;
    sst_result *res = NULL;
    sst_error err = {0};

    if (!(e->path = strdup(f->rel))) goto oom;
    if (j->read_failed) {
        e->status = SST_ENTRY_ERROR;
        if (!(e->problem = strdup(j->read_error))) goto oom;
        note_line(&j->errors, f->src, 0, "error", j->read_error);
        j->failed = 1;
        goto done;
    }
    e->has_input_hash = 1;
    e->input_hash = sst_hash_bytes(input, ilen);

    /* up to date: same input, and OUT still holds what the manifest recorded */
    const sst_manifest_entry *old = sst_manifest_find(r->current, f->rel);
    if (r->out && old && old->status != SST_ENTRY_ERROR && old->has_input_hash &&
        old->has_output_hash && old->input_hash == e->input_hash &&
        (old->status == SST_ENTRY_COPIED) == !j->selected) {
        uint64_t ohash;
        mode_t omode;
        if (sst_out_hash(r->out, f->rel, &ohash, &omode) == 0 && ohash == old->output_hash &&
            omode == f->mode)
            j->fresh = 1;
    }
    /* a fresh file is still analysed (its findings are reported), not written */

    const char *output = input;
    size_t olen = ilen;
    int rc = 0;
    if (!j->selected) {
        e->status = SST_ENTRY_COPIED;
    } else if (j->early && sst_project_agrees(r->project, j->fork)) {
        res = j->early;
        j->early = NULL;
    } else {
        j->again = j->fork != NULL;
        if (!j->module) {
            /* freed after the first pass to save memory: load it again */
            sst_options opt = r->rewrite;
            opt.is_package = j->is_package;
            rc = sst_module_load(&j->module, r->project, f->src, j->module_name, input, ilen, &opt, &err);
        }
        if (!rc) rc = sst_module_rewrite(&res, r->project, j->module, &r->rewrite, &err);
        sst_module_free(j->module);
        j->module = NULL;
    }
    if (rc) {
        /* the core refused the file: copy it unchanged so OUT stays complete */
        char msg[600];
        e->status = SST_ENTRY_ERROR;
        e->problem_line = err.line;
        if (!(e->problem = strdup(err.message))) goto oom;
        snprintf(msg, sizeof msg, "%s; copied unchanged", err.message);
        note_line(&j->errors, f->src, err.line, "error", msg);
        j->failed = 1;
    } else if (res) {
        if (take_result(e, res)) goto oom;
        output = res->output;
        olen = res->output_len;
        if (e->status == SST_ENTRY_UNPARSEABLE) unparseable_note(r, j);
        if (r->o->diff && res->status == SST_STATUS_INSTRUMENTED &&
            sst_diff_format(&j->diff, f->rel, input, ilen, res->insertions, res->ninsertions,
                            r->colors) != 0) {
            note_line(&j->errors, f->src, 0, "error", "cannot make the diff (out of memory or "
                      "an insertion out of order)");
            j->failed = 1;
        }
        if (r->report) {
            char root[PATH_MAX];
            root_of(f, root, sizeof root);
            if (sst_report_add_file(r->report, root, f->rel, input, ilen, res, &err) != 0) {
                note_line(&j->errors, f->src, err.line, "error", err.message);
                j->failed = 1;
            }
        }
    }
    e->has_output_hash = 1;
    e->output_hash = sst_hash_bytes(output, olen);
    if (r->out && !j->fresh) {
        if (sst_out_write(r->out, f->rel, output, olen, f->mode, &err) != 0) {
            note_line(&j->errors, err.path, 0, "error", err.message);
            j->failed = 1;
            e->status = SST_ENTRY_ERROR;
            e->has_output_hash = 0;
            free(e->problem);
            if (!(e->problem = strdup(err.message))) goto oom;
            e->problem_line = 0;
        } else {
            j->written = 1;
        }
    }
    goto done;
oom:
    note_line(&j->errors, f->src, 0, "error", "out of memory");
    j->failed = 1;
    e->status = SST_ENTRY_ERROR;
done:
    sst_result_free(res);
    free(j->input);
    j->input = NULL;
}

/* ---- the first pass: read every file, load every Python module ------------ */

typedef struct pass {
    run *r;
    size_t next;
    void (*fn)(run *r, job *j);
} pass;

static void *pass_worker(void *arg)
{
    pass *p = arg;
    for (;;) {
        size_t i = __atomic_fetch_add(&p->next, 1, __ATOMIC_RELAXED);
        if (i >= p->r->njobs) break;
        p->fn(p->r, &p->r->jobs[i]);
    }
    return NULL;
}

/* Runs FN on every job on N threads (or here) and waits for them all. */
static void run_pass(run *r, long n, void (*fn)(run *r, job *j))
{
    pass p = {r, 0, fn};
    pthread_t threads[MAX_JOBS];
    long started = 0;
    pthread_attr_t tattr;
    pthread_attr_init(&tattr);
    pthread_attr_setstacksize(&tattr, THREAD_STACK);
    for (long t = 0; t < n && t < MAX_JOBS; t++)
        if (pthread_create(&threads[started], &tattr, pass_worker, &p) == 0) started++;
    pthread_attr_destroy(&tattr);
    if (!started) pass_worker(&p);
    for (long t = 0; t < started; t++) pthread_join(threads[t], NULL);
}

static void read_job(run *r, job *j)
{
    (void)r;
    sst_error err = {0};
    if (sst_file_read(&j->input, &j->ilen, j->file->src, &err)) {
        j->read_failed = 1;
        snprintf(j->read_error, sizeof j->read_error, "%s", err.message);
    }
}

static void load_job(run *r, job *j)
{
    if (j->read_failed || !j->selected) return;
    sst_error err = {0};
    sst_options opt = r->rewrite;
    opt.is_package = j->is_package;
    /* a failure here is met again, and reported, in the second pass */
    if (sst_module_load(&j->module, r->project, j->file->src, j->module_name, j->input, j->ilen, &opt, &err)) {
        j->module = NULL;
        return;
    }
    if (r->two_pass) return;
    /* Rewritten at once against its own exports, while its tree is hot; the
     * second pass keeps this unless the whole project answers otherwise. */
    if (sst_project_fork(&j->fork, r->project, &err) || sst_project_add(j->fork, j->module, &err) ||
        sst_project_link(j->fork, &err) || sst_module_rewrite(&j->early, j->fork, j->module, &r->rewrite, &err)) {
        sst_project_free(j->fork);   /* keep the module: the second pass rewrites it */
        j->fork = NULL;
        return;
    }
    sst_module_free(j->module);
    j->module = NULL;
    if (!r->o->diff) { /* the insertions are for the diff only: give them back now */
        for (size_t i = 0; i < j->early->ninsertions; i++) free((char *)j->early->insertions[i].text);
        free(j->early->insertions);
        j->early->insertions = NULL;
        j->early->ninsertions = 0;
    }
}

/* The dotted name Python imports a file by: its directory chain up to the
 * first directory without an __init__.py, then its stem ("app/clients.py"
 * in a package app is "app.clients"; "app/__init__.py" is "app"). */
static char *module_name_of(const char *path, int *is_package)
{
    char *copy = strdup(path);
    if (!copy) return NULL;
    char *slash = strrchr(copy, '/');
    const char *base = slash ? slash + 1 : copy;
    size_t stem = strcspn(base, ".");
    *is_package = stem == 8 && !strncmp(base, "__init__", 8);
    char name[PATH_MAX];
    size_t nlen = 0;
    if (!*is_package && stem < sizeof name) {
        memcpy(name, base, stem);
        nlen = stem;
    }
    name[nlen] = 0;
    char real[PATH_MAX];
    if (slash) *slash = 0;
    if (realpath(slash ? (copy[0] ? copy : "/") : ".", real)) {
        for (;;) {
            char probe[PATH_MAX + 16];
            struct stat st;
            snprintf(probe, sizeof probe, "%s/__init__.py", real);
            if (stat(probe, &st) != 0 || !S_ISREG(st.st_mode)) break;
            char *cut = strrchr(real, '/');
            if (!cut || !cut[1]) break;
            size_t plen = strlen(cut + 1);
            if (plen + 1 + nlen + 1 > sizeof name) break;
            memmove(name + plen + (nlen ? 1 : 0), name, nlen + 1);
            memcpy(name, cut + 1, plen);
            if (nlen) name[plen] = '.';
            nlen += plen + (nlen ? 1 : 0);
            *cut = 0;
            if (!real[0]) break;
        }
    }
    free(copy);
    return strdup(nlen ? name : "__main__");
}

/* The name the file has relative to its SRC ("pkg/mod.py" -> "pkg.mod"). */
static char *rel_module_name(const char *rel)
{
    size_t len = strlen(rel);
    char *s = strdup(rel);
    if (!s) return NULL;
    char *dot = strrchr(s, '.');
    if (dot && !strchr(dot, '/')) *dot = 0;
    len = strlen(s);
    if (len >= 9 && !strcmp(s + len - 9, "/__init__")) s[len - 9] = 0;
    for (char *c = s; *c; c++)
        if (*c == '/') *c = '.';
    return s;
}

static void *worker(void *arg)
{
    run *r = arg;
    for (;;) {
        size_t i = __atomic_fetch_add(&r->next, 1, __ATOMIC_RELAXED);
        if (i >= r->njobs) break;
        process(r, &r->jobs[i]);
        pthread_mutex_lock(&r->mu);
        r->jobs[i].done = 1;
        r->ndone++;
        pthread_cond_broadcast(&r->cv);
        pthread_mutex_unlock(&r->mu);
    }
    return NULL;
}

/* ---- printing ---------------------------------------------------------------- */

typedef struct progress {
    int enabled;
    int shown;
    struct timespec start;
    struct timespec last;
} progress;

static double seconds_between(const struct timespec *a, const struct timespec *b)
{
    return (double)(b->tv_sec - a->tv_sec) + (double)(b->tv_nsec - a->tv_nsec) / 1e9;
}

static void progress_clear(progress *p)
{
    if (p->shown) {
        fputs("\r\033[K", stderr);
        fflush(stderr);
        p->shown = 0;
    }
}

static void progress_update(progress *p, size_t done, size_t total)
{
    if (!p->enabled) return;
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    if (seconds_between(&p->start, &now) < 1.0) return;
    if (p->shown && seconds_between(&p->last, &now) < 0.1) return;
    p->last = now;
    fprintf(stderr, "\r" PROG ": %zu/%zu files (%zu%%)\033[K", done, total,
            total ? done * 100 / total : 100);
    fflush(stderr);
    p->shown = 1;
}

static void print_verbose(const job *j)
{
    const sst_manifest_entry *e = &j->entry;
    fprintf(stderr, "%-12s %s", sst_entry_status_name(e->status), j->file->rel);
    const char *sep = " (";
    if (e->nsites) {
        fprintf(stderr, "%s%zu site%s", sep, e->nsites, e->nsites == 1 ? "" : "s");
        sep = "; ";
    }
    if (e->nadded_lines) {
        fprintf(stderr, "%s%zu added line%s", sep, e->nadded_lines, e->nadded_lines == 1 ? "" : "s");
        sep = "; ";
    }
    if (e->status == SST_ENTRY_UNPARSEABLE && e->problem_line) {
        fprintf(stderr, "%sline %u", sep, e->problem_line);
        sep = "; ";
    }
    if (j->fresh) {
        fprintf(stderr, "%sup to date", sep);
        sep = "; ";
    }
    fputs(sep[0] == ';' ? ")\n" : "\n", stderr);
}

static const char *plural(size_t n, const char *one, const char *many)
{
    return n == 1 ? one : many;
}

/* ---- the run ------------------------------------------------------------------ */

static int is_inside(const char *path, const char *dir)
{
    size_t n = strlen(dir);
    if (strcmp(dir, "/") == 0) return 1;
    return strncmp(path, dir, n) == 0 && (path[n] == '\0' || path[n] == '/');
}

static uint64_t options_hash(const cli_options *o)
{
    /* everything that changes the output bytes besides the tool version;
     * documented in docs/cli.md (the manifest's options_hash) */
    char text[64];
    int n = snprintf(text, sizeof text, "profile=%s\n", profile_names[o->profile]);
    return sst_hash_bytes(text, (size_t)n);
}

static char *join_path(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    char *s = malloc(la + lb + 2);
    if (!s) return NULL;
    memcpy(s, a, la);
    s[la] = '/';
    memcpy(s + la + 1, b, lb + 1);
    return s;
}

/* Writes PATH whole or not at all: a temporary file beside it, then rename. */
static int write_file_atomic(const char *path, const char *data, size_t len, sst_error *err)
{
    char tmp[PATH_MAX];
    snprintf(tmp, sizeof tmp, "%s.sst-tmp-%ld", path, (long)getpid());
    FILE *f = fopen(tmp, "wb");
    if (!f) {
        sst_error_set(err, SST_EIO, path, 0, "cannot write: %s", strerror(errno));
        return SST_EIO;
    }
    int ok = fwrite(data, 1, len, f) == len;
    ok = (fclose(f) == 0) && ok;
    if (!ok || rename(tmp, path) != 0) {
        sst_error_set(err, SST_EIO, path, 0, "cannot write: %s", strerror(errno));
        unlink(tmp);
        return SST_EIO;
    }
    return 0;
}

static int run_all(cli_options *o)
{
    /* with --report, -o names the report file and no tree is written */
    const char *tree = o->report ? NULL : o->out;
    const char *report_file = o->report ? o->out : NULL;
    sst_config config = {0};
    int have_config = 0;
    sst_project *project = NULL;
    sst_report *report = NULL;
    sst_baseline *baseline = NULL;
    int status = SST_EXIT_OK;
    sst_walk walk = {0};
    sst_error err = {0};
    sst_catalog *catalog = NULL;
    sst_out out = { .dirfd = -1 };
    sst_manifest *old = NULL;
    char *old_text = NULL, *manifest_path = NULL;
    size_t old_len = 0;
    job *jobs = NULL;
    pthread_t *threads = NULL;
    size_t nthreads = 0;
    int sync_ready = 0;
    sst_buf text = {0};
    run r = { .o = o };

    /* ---- checks that make a usage error: nothing is written before them */
    sst_walk_options wopts = { .excludes = o->excludes, .nexcludes = o->nexcludes };
    if (tree) {
        struct stat st;
        if (stat(tree, &st) == 0) {
            if (!S_ISDIR(st.st_mode)) {
                usage_error("output '%s' exists and is not a directory", tree);
                status = SST_EXIT_USAGE;
                goto done;
            }
            wopts.skip_out = 1;
            wopts.out_dev = st.st_dev;
            wopts.out_ino = st.st_ino;
            char *out_real = realpath(tree, NULL);
            for (size_t i = 0; out_real && i < o->nsrcs; i++) {
                char *src_real = realpath(o->srcs[i], NULL);
                int bad = src_real && is_inside(src_real, out_real);
                free(src_real);
                if (bad) {
                    usage_error("'%s' is inside the output '%s': the output would overwrite it",
                                o->srcs[i], tree);
                    status = SST_EXIT_USAGE;
                    break;
                }
            }
            free(out_real);
            if (status) goto done;
        }
    }
    for (size_t i = 0; i < o->nsrcs; i++) {
        if (sst_walk_add(&walk, o->srcs[i], &wopts, &err) != 0) {
            if (err.code == SST_ENOMEM) {
                fprintf(stderr, PROG ": out of memory\n");
                status = SST_EXIT_FAILED;
            } else {
                usage_error("%s: %s", err.path, err.message);
                status = SST_EXIT_USAGE;
            }
            goto done;
        }
    }
    if (sst_walk_finish(&walk, &err) != 0) {
        usage_error("%s %s", err.path, err.message);
        status = err.code == SST_ENOMEM ? SST_EXIT_FAILED : SST_EXIT_USAGE;
        goto done;
    }
    for (size_t i = 0; i < walk.nfiles; i++) {
        const char *rel = walk.files[i].rel;
        if (strcmp(rel, SST_MANIFEST_DIR) == 0 ||
            strncmp(rel, SST_MANIFEST_DIR "/", sizeof SST_MANIFEST_DIR) == 0) {
            usage_error("%s: the name " SST_MANIFEST_DIR " is reserved for the manifest in OUT",
                        walk.files[i].src);
            status = SST_EXIT_USAGE;
            goto done;
        }
    }

    /* ---- configuration: --config, or the nearest sst.toml / [tool.sst] */
    if (!o->no_config) {
        char *found = NULL;
        if (o->config) {
            found = strdup(o->config);
        } else {
            struct stat st;
            char *start = strdup(o->srcs[0]);
            if (start && stat(start, &st) == 0 && !S_ISDIR(st.st_mode)) {
                char *slash = strrchr(start, '/');
                if (slash) *slash = 0;
                else strcpy(start, ".");
            }
            if (start && sst_config_find(&found, start, &err) != 0) {
                free(start);
                fprintf(stderr, "%s: error: %s\n", err.path[0] ? err.path : o->srcs[0], err.message);
                status = SST_EXIT_USAGE;
                goto done;
            }
            free(start);
        }
        if (found) {
            int rc = sst_config_load(&config, found, &err);
            free(found);
            if (rc) {
                if (err.line) fprintf(stderr, "%s:%u: error: %s\n", err.path, err.line, err.message);
                else fprintf(stderr, "%s: error: %s\n", err.path, err.message);
                status = SST_EXIT_USAGE;
                goto done;
            }
            have_config = 1;
            if (o->verbose) fprintf(stderr, "%s: configuration\n", config.path);
            if (!o->has_profile && config.has_profile) o->profile = config.profile;
            if (!o->baseline && config.baseline) o->baseline = config.baseline;
            if (!o->fail_on && config.fail_on) o->fail_on = config.fail_on;
        }
    }

    /* ---- set up: catalogue, output, previous manifest */
    if (sst_catalog_load_builtin(&catalog, &err) != 0) {
        fprintf(stderr, PROG ": cannot load the built-in catalogue: %s\n", err.message);
        status = SST_EXIT_FAILED;
        goto done;
    }
    for (size_t i = 0; have_config && i < config.catalog.count; i++) {
        if (sst_catalog_add_file(catalog, config.catalog.items[i].value, &err) != 0) {
            fprintf(stderr, "%s:%u: error: %s\n", err.path, err.line, err.message);
            status = SST_EXIT_USAGE;
            goto done;
        }
    }
    for (size_t i = 0; have_config && i < config.disable.count; i++) {
        const sst_config_item *it = &config.disable.items[i];
        if (sst_catalog_disable(catalog, it->value) == 0) {
            fprintf(stderr, "%s:%u: error: disable names nothing in the catalogue: '%s'\n", config.path,
                    it->line, it->value);
            status = SST_EXIT_USAGE;
            goto done;
        }
    }
    r.rewrite.catalog = catalog;
    r.rewrite.profile = o->profile;
    if (o->baseline && sst_baseline_load(&baseline, o->baseline, &err) != 0) {
        if (err.line) fprintf(stderr, "%s:%u: error: %s\n", err.path, err.line, err.message);
        else fprintf(stderr, "%s: error: %s\n", err.path, err.message);
        status = SST_EXIT_USAGE;
        goto done;
    }
    if (sst_report_new(&report) != 0 || sst_project_new(&project, catalog, &err) != 0) goto oom;
    r.report = report;
    r.project = project;

    /* ---- the project: every selected Python file by the name it is imported by */
    if (walk.nfiles && !(jobs = calloc(walk.nfiles, sizeof *jobs))) goto oom;
    for (size_t i = 0; i < walk.nfiles; i++) {
        job *j = &jobs[i];
        j->file = &walk.files[i];
        if (!j->file->python) continue;
        int sel = have_config ? sst_config_selects(&config, j->file->rel) : 1;
        if (sel < 0) goto oom;
        j->selected = sel;
        if (!sel) continue;
        if (!(j->module_name = module_name_of(j->file->src, &j->is_package))) goto oom;
        char *rel_name = rel_module_name(j->file->rel);
        if (!rel_name) goto oom;
        int rc = sst_project_declare(project, j->module_name, j->is_package, &err);
        if (!rc && rel_name[0] && strcmp(rel_name, j->module_name))
            rc = sst_project_alias_module(project, rel_name, j->module_name, &err);
        free(rel_name);
        if (rc) goto oom;
    }
    for (size_t i = 0; have_config && i < config.first_party.count; i++)
        if (sst_project_first_party(project, config.first_party.items[i].value, &err) != 0) goto oom;
    r.jobs = jobs;
    r.njobs = walk.nfiles;
    long want = o->jobs;
    if (want <= 0) want = sysconf(_SC_NPROCESSORS_ONLN);
    if (want < 1) want = 1;
    if ((size_t)want > walk.nfiles) want = (long)walk.nfiles;
    run_pass(&r, want, read_job);
    /* ---- the first pass: every module parsed and analysed, then the project linked */
    {
        const char *two = getenv("SST_TWO_PASS");
        r.two_pass = two && strcmp(two, "1") == 0;
    }
    run_pass(&r, want, load_job);
    {
        size_t held = 0;
        for (size_t i = 0; i < walk.nfiles; i++) {
            job *j = &jobs[i];
            if (j->fork) {
                if (sst_project_merge(project, j->fork, &err) != 0) goto oom;
                continue;
            }
            if (!j->module) continue;
            if (sst_project_add(project, j->module, &err) != 0) goto oom;
            held += sst_module_footprint(j->module);
            if (held > MODULE_BUDGET) { /* loaded again in the second pass */
                sst_module_free(j->module);
                j->module = NULL;
            }
        }
        if (sst_project_link(project, &err) != 0) goto oom;
    }

    int color = o->color == COLOR_ALWAYS;
    if (o->color == COLOR_AUTO) {
        const char *term = getenv("TERM"), *no_color = getenv("NO_COLOR");
        color = isatty(STDOUT_FILENO) && !(term && strcmp(term, "dumb") == 0) &&
                !(no_color && *no_color);
    }
    r.colors = color ? &sst_diff_ansi : NULL;
    /* The options, the configuration and what the project's modules export:
     * the manifest vouches for an output only when all three are the same. */
    uint64_t ohash = options_hash(o);
    {
        sst_buf digest = {0};
        sst_buf_printf(&digest, "%016llx\n", (unsigned long long)ohash);
        if (have_config) {
            char *text = NULL;
            size_t tlen = 0;
            if (sst_file_read(&text, &tlen, config.path, &err) == 0)
                sst_buf_printf(&digest, "config %016llx\n", (unsigned long long)sst_hash_bytes(text, tlen));
            free(text);
            for (size_t i = 0; i < config.catalog.count; i++)
                if (sst_file_read(&text, &tlen, config.catalog.items[i].value, &err) == 0) {
                    sst_buf_printf(&digest, "catalog %016llx\n", (unsigned long long)sst_hash_bytes(text, tlen));
                    free(text);
                }
        }
        /* what the modules export: a change there can change any file's output */
        sst_buf_printf(&digest, "project %016llx\n", (unsigned long long)sst_project_digest(project));
        if (digest.oom) goto oom;
        ohash = sst_hash_bytes(digest.data, digest.len);
        sst_buf_free(&digest);
    }
    if (tree) {
        if (sst_out_open(&out, tree, o->fsync, &err) != 0) {
            fprintf(stderr, "%s: error: %s\n", err.path, err.message);
            status = SST_EXIT_FAILED;
            goto done;
        }
        r.out = &out;
        if (!(manifest_path = join_path(tree, SST_MANIFEST_PATH))) goto oom;
        struct stat st;
        if (!o->force && stat(manifest_path, &st) == 0) {
            if (sst_file_read(&old_text, &old_len, manifest_path, &err) != 0 ||
                sst_manifest_parse(&old, old_text, old_len, &err) != 0) {
                if (!o->quiet)
                    fprintf(stderr, "%s:%u: warning: %s; rewriting every file\n", manifest_path,
                            err.line, err.message);
            } else if (strcmp(old->version, SST_VERSION) != 0 || old->abi != SST_ABI_VERSION ||
                       old->options_hash != ohash) {
                if (o->verbose)
                    fprintf(stderr, "%s: written by version %s (ABI %d, profile %s): rewriting "
                            "every file\n", manifest_path, old->version, old->abi, old->profile);
            } else {
                r.current = old;
            }
        }
    }

    /* ---- skipped entries, for --verbose */
    if (o->verbose)
        for (size_t i = 0; i < walk.nnotes; i++)
            if (walk.notes[i].level == SST_NOTE_INFO)
                fprintf(stderr, "%s: %s\n", walk.notes[i].path, walk.notes[i].message);

    /* ---- the second pass: the files rewritten on worker threads, printed in order */
    pthread_condattr_t cattr;
    pthread_condattr_init(&cattr);
    pthread_condattr_setclock(&cattr, CLOCK_MONOTONIC);
    pthread_mutex_init(&r.mu, NULL);
    pthread_cond_init(&r.cv, &cattr);
    pthread_condattr_destroy(&cattr);
    sync_ready = 1;

    if (want && !(threads = calloc((size_t)want, sizeof *threads))) goto oom;
    pthread_attr_t tattr;
    pthread_attr_init(&tattr);
    pthread_attr_setstacksize(&tattr, THREAD_STACK);
    for (long t = 0; t < want; t++) {
        if (pthread_create(&threads[nthreads], &tattr, worker, &r) != 0) break;
        nthreads++;
    }
    pthread_attr_destroy(&tattr);
    if (nthreads == 0 && walk.nfiles) worker(&r);   /* no thread to be had: do it here */

    progress prog = { .enabled = isatty(STDERR_FILENO) && !o->quiet };
    clock_gettime(CLOCK_MONOTONIC, &prog.start);
    for (size_t i = 0; i < walk.nfiles; i++) {
        job *j = &jobs[i];
        pthread_mutex_lock(&r.mu);
        while (!j->done) {
            if (prog.enabled) {
                struct timespec until;
                clock_gettime(CLOCK_MONOTONIC, &until);
                until.tv_nsec += 100 * 1000 * 1000;
                if (until.tv_nsec >= 1000000000L) { until.tv_sec++; until.tv_nsec -= 1000000000L; }
                pthread_cond_timedwait(&r.cv, &r.mu, &until);
                size_t ndone = r.ndone;
                pthread_mutex_unlock(&r.mu);
                progress_update(&prog, ndone, walk.nfiles);
                pthread_mutex_lock(&r.mu);
            } else {
                pthread_cond_wait(&r.cv, &r.mu);
            }
        }
        pthread_mutex_unlock(&r.mu);
        if (o->verbose || j->diff.len) progress_clear(&prog);
        if (o->verbose) print_verbose(j);
        if (j->diff.len) {
            fwrite(j->diff.data, 1, j->diff.len, stdout);
            if (prog.enabled) fflush(stdout);
        }
        sst_buf_free(&j->diff);
        progress_update(&prog, i + 1, walk.nfiles);
    }
    for (size_t t = 0; t < nthreads; t++) pthread_join(threads[t], NULL);
    progress_clear(&prog);
    fflush(stdout);

    /* ---- the findings: report, baseline, gate */
    size_t gate_hits = 0;
    sst_buf findings_line = {0};
    {
        if (baseline && sst_report_apply_baseline(report, baseline) != 0) goto oom;
        sst_buf rtext = {0};
        int rc = 0;
        if (o->report && !strcmp(o->report, "sarif")) {
            rc = sst_report_format_sarif(&rtext, report, NULL);
        } else if (o->report || tree) {
            rc = sst_report_format_json(&rtext, report);
        }
        if (rc) {
            sst_buf_free(&rtext);
            goto oom;
        }
        if (o->report && report_file) {
            if (write_file_atomic(report_file, rtext.data, rtext.len, &err) != 0) {
                fprintf(stderr, "%s: error: %s\n", err.path, err.message);
                status = SST_EXIT_FAILED;
            }
        } else if (o->report) {
            fwrite(rtext.data, 1, rtext.len, stdout);
            fflush(stdout);
        } else if (tree) {
            uint64_t have;
            mode_t hmode;
            int same = sst_out_hash(&out, SST_REPORT_PATH, &have, &hmode) == 0 &&
                       have == sst_hash_bytes(rtext.data, rtext.len);
            if (!same && sst_out_write(&out, SST_REPORT_PATH, rtext.data, rtext.len, 0644, &err) != 0) {
                fprintf(stderr, "%s: error: %s\n", err.path, err.message);
                status = SST_EXIT_FAILED;
            }
        }
        sst_buf_free(&rtext);
        if (o->write_baseline) {
            if (sst_baseline_format(&rtext, report) != 0) goto oom;
            if (write_file_atomic(o->write_baseline, rtext.data, rtext.len, &err) != 0) {
                fprintf(stderr, "%s: error: %s\n", err.path, err.message);
                status = SST_EXIT_FAILED;
            }
            sst_buf_free(&rtext);
        }
        sst_report_counts counts;
        sst_report_counts_get(&counts, report);
        if (o->fail_on == SST_FAIL_ON_NEW) gate_hits = sst_report_gate(report);
        else if (o->fail_on == SST_FAIL_ON_ANY) gate_hits = counts.findings - counts.suppressed;
        if (tree || o->report || o->baseline || o->fail_on || o->write_baseline) {
            sst_buf_printf(&findings_line, PROG ": %zu %s", counts.findings,
                           plural(counts.findings, "finding", "findings"));
            if (counts.suppressed) sst_buf_printf(&findings_line, ", %zu suppressed", counts.suppressed);
            if (counts.baselined)
                sst_buf_printf(&findings_line, "; against the baseline %s: %zu new, %zu approved, %zu stale",
                               o->baseline, counts.fresh, counts.approved, counts.stale);
            sst_buf_puts(&findings_line, "\n");
        }
    }

    /* ---- the manifest: written when it says something new */
    size_t failed = 0;
    if (tree) {
        sst_manifest m = { (char *)SST_VERSION, SST_ABI_VERSION, ohash,
                           (char *)profile_names[o->profile], NULL, 0 };
        if (walk.nfiles && !(m.entries = malloc(walk.nfiles * sizeof *m.entries))) goto oom;
        for (size_t i = 0; i < walk.nfiles; i++) m.entries[i] = jobs[i].entry;
        m.nentries = walk.nfiles;
        int rc = sst_manifest_format(&text, &m);
        free(m.entries);
        if (rc) goto oom;
        uint64_t mh, now_hash = sst_hash_bytes(text.data, text.len);
        mode_t mmode;
        int same = !o->force && old_text && sst_hash_bytes(old_text, old_len) == now_hash &&
                   sst_out_hash(&out, SST_MANIFEST_PATH, &mh, &mmode) == 0 && mh == now_hash;
        if (!same && sst_out_write(&out, SST_MANIFEST_PATH, text.data, text.len, 0644, &err) != 0) {
            fprintf(stderr, "%s: error: %s\n", err.path, err.message);
            failed++;
        }
        /* files a previous run wrote that are no longer in the sources */
        for (size_t i = 0; old && !o->quiet && i < old->nentries; i++) {
            const char *rel = old->entries[i].path;
            size_t lo = 0, hi = walk.nfiles;
            int found = 0;
            while (lo < hi && !found) {
                size_t mid = lo + (hi - lo) / 2;
                int c = strcmp(walk.files[mid].rel, rel);
                if (c == 0) found = 1;
                else if (c < 0) lo = mid + 1;
                else hi = mid;
            }
            uint64_t h;
            mode_t md;
            if (!found && sst_out_hash(&out, rel, &h, &md) == 0)
                fprintf(stderr, "%s/%s: warning: no longer in the sources; left in place\n",
                        tree, rel);
        }
    }

    /* ---- every problem, in file order, then the summary */
    for (size_t i = 0; i < walk.nnotes; i++) {
        const sst_walk_note *n = &walk.notes[i];
        if (n->level == SST_NOTE_ERROR) {
            fprintf(stderr, "%s: error: %s\n", n->path, n->message);
            failed++;
        } else if (n->level == SST_NOTE_WARNING && !o->quiet) {
            fprintf(stderr, "%s: warning: %s\n", n->path, n->message);
        }
    }
    size_t count[SST_ENTRY_COUNT] = {0}, added = 0, written = 0, fresh = 0;
    for (size_t i = 0; i < walk.nfiles; i++) {
        const job *j = &jobs[i];
        if (j->warnings.len && !o->quiet) fputs(j->warnings.data, stderr);
        if (j->errors.len) fputs(j->errors.data, stderr);
        if (j->failed) failed++;
        count[j->entry.status]++;
        if (j->entry.nadded_lines) added++;
        written += (size_t)j->written;
        fresh += (size_t)j->fresh;
    }
    /* the summary; --diff alone prints the diff (and problems) only */
    if (!o->quiet && (tree || o->verbose)) {
        size_t n = walk.nfiles;
        fprintf(stderr, PROG ": %zu %s: %zu instrumented, %zu unchanged, %zu unparseable", n,
                plural(n, "file", "files"), count[SST_ENTRY_INSTRUMENTED],
                count[SST_ENTRY_UNCHANGED], count[SST_ENTRY_UNPARSEABLE]);
        if (count[SST_ENTRY_ALREADY])
            fprintf(stderr, ", %zu already instrumented", count[SST_ENTRY_ALREADY]);
        if (count[SST_ENTRY_COPIED])
            fprintf(stderr, ", %zu other %s copied", count[SST_ENTRY_COPIED],
                    plural(count[SST_ENTRY_COPIED], "file", "files"));
        if (count[SST_ENTRY_ERROR]) fprintf(stderr, ", %zu failed", count[SST_ENTRY_ERROR]);
        if (o->verbose) {
            size_t again = 0;
            for (size_t i = 0; i < walk.nfiles; i++) again += (size_t)jobs[i].again;
            fprintf(stderr, "; %zu rewritten again once the project was linked", again);
        }
        fprintf(stderr, "; %zu %s an added line\n", added,
                plural(added, "file needed", "files needed"));
        if (tree) {
            if (written == 0 && fresh == n && n)
                fprintf(stderr, PROG ": nothing rewritten: all %zu %s up to date in %s\n", n,
                        plural(n, "file", "files"), tree);
            else
                fprintf(stderr, PROG ": %zu %s written to %s, %zu up to date\n", written,
                        plural(written, "file", "files"), tree, fresh);
        }
    }
    if (findings_line.len && !o->quiet) fputs(findings_line.data, stderr);
    if (failed) {
        fprintf(stderr, PROG ": %zu %s\n", failed, plural(failed, "problem made the run fail",
                                                           "problems made the run fail"));
        status = SST_EXIT_FAILED;
    } else if (gate_hits && status == SST_EXIT_OK) {
        fprintf(stderr, PROG ": --fail-on %s: %zu %s\n", o->fail_on == SST_FAIL_ON_NEW ? "new" : "any", gate_hits,
                o->fail_on == SST_FAIL_ON_NEW ? plural(gate_hits, "finding is not in the baseline",
                                                       "findings are not in the baseline")
                                              : plural(gate_hits, "finding", "findings"));
        status = SST_EXIT_GATE;
    }
    goto done;
oom:
    fputs(PROG ": out of memory\n", stderr);
    status = SST_EXIT_FAILED;
done:
    if (jobs) {
        for (size_t i = 0; i < walk.nfiles; i++) {
            free(jobs[i].input);
            free(jobs[i].module_name);
            sst_module_free(jobs[i].module);
            sst_project_free(jobs[i].fork);
            sst_result_free(jobs[i].early);
            sst_manifest_entry_clear(&jobs[i].entry);
            sst_buf_free(&jobs[i].warnings);
            sst_buf_free(&jobs[i].errors);
            sst_buf_free(&jobs[i].diff);
        }
    }
    if (sync_ready) {
        pthread_mutex_destroy(&r.mu);
        pthread_cond_destroy(&r.cv);
    }
    sst_buf_free(&findings_line);
    free(threads);
    free(jobs);
    sst_buf_free(&text);
    sst_manifest_free(old);
    free(old_text);
    free(manifest_path);
    sst_out_close(&out);
    sst_project_free(project);
    sst_report_free(report);
    sst_baseline_free(baseline);
    if (have_config) sst_config_free(&config);
    sst_catalog_free(catalog);
    sst_walk_free(&walk);
    return status;
}

int sst_cli_main(int argc, char **argv)
{
    cli_options o = {0};
    int status = parse_args(&o, argc, argv);
    if (status < 0) status = run_all(&o);
    fflush(stdout);
    free(o.srcs);
    free(o.excludes);
    return status;
}
