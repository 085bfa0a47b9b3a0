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

#define PROG "sst-rewrite"
#define MAX_JOBS 256
#define THREAD_STACK (16u << 20)  /* deep syntax trees recurse deeply */

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
} cli_options;

/* What happened to one file; filled by a worker, printed by the main thread. */
typedef struct job {
    const sst_walk_file *file;
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
"(XXH3-64). When it was written by this version with the same --profile, a\n"
"file whose input is unchanged and whose output in OUT is still the one\n"
"recorded is left alone; a run where nothing changed writes nothing.\n"
"\n"
"Safety: each file is written to a temporary file (.sst-tmp-*) next to it and\n"
"renamed into place, so a file in OUT is always whole. Nothing is written\n"
"outside OUT: no symlink inside OUT is followed. One bad file does not stop\n"
"the run; every problem is listed at the end.\n"
"\n"
"Exit status:\n"
"  0  every file was rewritten or copied (there may be warnings)\n"
"  1  usage error (bad option, missing SRC, SRC inside OUT...); nothing written\n"
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
                if (strcmp(v, profile_names[p]) == 0) { o->profile = (sst_profile)p; found = 1; }
            if (!found) {
                usage_error("--profile wants minimal, standard or full, not '%s'", v);
                return SST_EXIT_USAGE;
            }
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
    if (!o->out && !o->diff) {
        usage_error("nothing to do: give -o OUT to write the instrumented tree, or --diff");
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

static void process(run *r, job *j)
{
    const sst_walk_file *f = j->file;
    sst_manifest_entry *e = &j->entry;
    char *input = NULL;
    size_t ilen = 0;
    sst_result *res = NULL;
    sst_error err = {0};

    if (!(e->path = strdup(f->rel))) goto oom;
    if (sst_file_read(&input, &ilen, f->src, &err)) {
        e->status = SST_ENTRY_ERROR;
        if (!(e->problem = strdup(err.message))) goto oom;
        note_line(&j->errors, f->src, 0, "error", err.message);
        j->failed = 1;
        goto done;
    }
    e->has_input_hash = 1;
    e->input_hash = sst_hash_bytes(input, ilen);

    /* up to date: same input, and OUT still holds what the manifest recorded */
    const sst_manifest_entry *old = sst_manifest_find(r->current, f->rel);
    if (r->out && old && old->status != SST_ENTRY_ERROR && old->has_input_hash &&
        old->has_output_hash && old->input_hash == e->input_hash &&
        (old->status == SST_ENTRY_COPIED) == !f->python) {
        uint64_t ohash;
        mode_t omode;
        if (sst_out_hash(r->out, f->rel, &ohash, &omode) == 0 && ohash == old->output_hash &&
            omode == f->mode)
            j->fresh = 1;
    }
    if (j->fresh && !r->o->diff) {
        sst_manifest_entry_clear(e);
        if (sst_manifest_entry_copy(e, old)) goto oom;
        if (e->status == SST_ENTRY_UNPARSEABLE) unparseable_note(r, j);
        goto done;
    }

    const char *output = input;
    size_t olen = ilen;
    if (!f->python) {
        e->status = SST_ENTRY_COPIED;
    } else if (sst_rewrite_buffer(&res, f->src, input, ilen, &r->rewrite, &err) != 0) {
        /* the core refused the file: copy it unchanged so OUT stays complete */
        char msg[600];
        e->status = SST_ENTRY_ERROR;
        e->problem_line = err.line;
        if (!(e->problem = strdup(err.message))) goto oom;
        snprintf(msg, sizeof msg, "%s; copied unchanged", err.message);
        note_line(&j->errors, f->src, err.line, "error", msg);
        j->failed = 1;
    } else {
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
    free(input);
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

static int run_all(const cli_options *o)
{
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
    sst_walk_options wopts = { o->excludes, o->nexcludes, 0, 0, 0 };
    if (o->out) {
        struct stat st;
        if (stat(o->out, &st) == 0) {
            if (!S_ISDIR(st.st_mode)) {
                usage_error("output '%s' exists and is not a directory", o->out);
                status = SST_EXIT_USAGE;
                goto done;
            }
            wopts.skip_out = 1;
            wopts.out_dev = st.st_dev;
            wopts.out_ino = st.st_ino;
            char *out_real = realpath(o->out, NULL);
            for (size_t i = 0; out_real && i < o->nsrcs; i++) {
                char *src_real = realpath(o->srcs[i], NULL);
                int bad = src_real && is_inside(src_real, out_real);
                free(src_real);
                if (bad) {
                    usage_error("'%s' is inside the output '%s': the output would overwrite it",
                                o->srcs[i], o->out);
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

    /* ---- set up: catalogue, output, previous manifest */
    if (sst_catalog_load_builtin(&catalog, &err) != 0) {
        fprintf(stderr, PROG ": cannot load the built-in catalogue: %s\n", err.message);
        status = SST_EXIT_FAILED;
        goto done;
    }
    r.rewrite.catalog = catalog;
    r.rewrite.profile = o->profile;
    int color = o->color == COLOR_ALWAYS;
    if (o->color == COLOR_AUTO) {
        const char *term = getenv("TERM"), *no_color = getenv("NO_COLOR");
        color = isatty(STDOUT_FILENO) && !(term && strcmp(term, "dumb") == 0) &&
                !(no_color && *no_color);
    }
    r.colors = color ? &sst_diff_ansi : NULL;
    uint64_t ohash = options_hash(o);
    if (o->out) {
        if (sst_out_open(&out, o->out, o->fsync, &err) != 0) {
            fprintf(stderr, "%s: error: %s\n", err.path, err.message);
            status = SST_EXIT_FAILED;
            goto done;
        }
        r.out = &out;
        if (!(manifest_path = join_path(o->out, SST_MANIFEST_PATH))) goto oom;
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

    /* ---- the files, on worker threads, printed in order */
    if (walk.nfiles && !(jobs = calloc(walk.nfiles, sizeof *jobs))) goto oom;
    for (size_t i = 0; i < walk.nfiles; i++) jobs[i].file = &walk.files[i];
    r.jobs = jobs;
    r.njobs = walk.nfiles;
    pthread_condattr_t cattr;
    pthread_condattr_init(&cattr);
    pthread_condattr_setclock(&cattr, CLOCK_MONOTONIC);
    pthread_mutex_init(&r.mu, NULL);
    pthread_cond_init(&r.cv, &cattr);
    pthread_condattr_destroy(&cattr);
    sync_ready = 1;

    long want = o->jobs;
    if (want <= 0) want = sysconf(_SC_NPROCESSORS_ONLN);
    if (want < 1) want = 1;
    if ((size_t)want > walk.nfiles) want = (long)walk.nfiles;
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

    /* ---- the manifest: written when it says something new */
    size_t failed = 0;
    if (o->out) {
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
                        o->out, rel);
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
    if (!o->quiet && (o->out || o->verbose)) {
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
        fprintf(stderr, "; %zu %s an added line\n", added,
                plural(added, "file needed", "files needed"));
        if (o->out) {
            if (written == 0 && fresh == n && n)
                fprintf(stderr, PROG ": nothing rewritten: all %zu %s up to date in %s\n", n,
                        plural(n, "file", "files"), o->out);
            else
                fprintf(stderr, PROG ": %zu %s written to %s, %zu up to date\n", written,
                        plural(written, "file", "files"), o->out, fresh);
        }
    }
    if (failed) {
        fprintf(stderr, PROG ": %zu %s\n", failed, plural(failed, "problem made the run fail",
                                                           "problems made the run fail"));
        status = SST_EXIT_FAILED;
    }
    goto done;
oom:
    fputs(PROG ": out of memory\n", stderr);
    status = SST_EXIT_FAILED;
done:
    if (jobs) {
        for (size_t i = 0; i < walk.nfiles; i++) {
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
    free(threads);
    free(jobs);
    sst_buf_free(&text);
    sst_manifest_free(old);
    free(old_text);
    free(manifest_path);
    sst_out_close(&out);
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
