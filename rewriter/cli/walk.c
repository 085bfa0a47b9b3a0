/* The tree walk: turns the SRC arguments into the sorted list of files a run
 * handles, each with the path to read and its path under OUT. Owns the skip
 * rules (VCS and cache directories, virtualenvs, OUT itself, --exclude) and
 * the symlink policy (followed only when the target stays inside SRC). */
#include <dirent.h>
#include <errno.h>
#include <fnmatch.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <uthash.h>

#include "cli.h"

/* Directory names never entered, wherever they are. */
static const char *const skip_names[] = {
    "__pycache__", ".git", ".hg", ".svn", "node_modules", NULL
};

typedef struct dir_id {
    dev_t dev;
    ino_t ino;
} dir_id;

typedef struct walker {
    sst_walk *walk;
    const sst_walk_options *options;
    const char *root_real;     /* realpath of the SRC directory */
    dir_id *stack;             /* directories being walked, to stop symlink loops */
    size_t depth;
    size_t capstack;
    int oom;
} walker;

static char *join(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    int slash = la > 0 && a[la - 1] != '/';
    char *s = malloc(la + slash + lb + 1);
    if (!s) return NULL;
    memcpy(s, a, la);
    if (slash) s[la] = '/';
    memcpy(s + la + slash, b, lb + 1);
    return s;
}

static int is_python(const char *name)
{
    size_t n = strlen(name);
    return (n > 3 && strcmp(name + n - 3, ".py") == 0) ||
           (n > 4 && strcmp(name + n - 4, ".pyw") == 0);
}

static int add_note(sst_walk *walk, sst_note_level level, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int add_note(sst_walk *walk, sst_note_level level, const char *path, const char *fmt, ...)
{
    if (walk->nnotes == walk->capnotes) {
        size_t cap = walk->capnotes ? walk->capnotes * 2 : 16;
        sst_walk_note *notes = realloc(walk->notes, cap * sizeof *notes);
        if (!notes) return SST_ENOMEM;
        walk->notes = notes;
        walk->capnotes = cap;
    }
    char msg[PATH_MAX + 256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    sst_walk_note *note = &walk->notes[walk->nnotes];
    note->level = level;
    note->path = strdup(path);
    note->message = strdup(msg);
    if (!note->path || !note->message) {
        free(note->path);
        free(note->message);
        return SST_ENOMEM;
    }
    walk->nnotes++;
    return 0;
}

static int add_file(sst_walk *walk, const char *src, const char *rel, const struct stat *st)
{
    if (walk->nfiles == walk->capfiles) {
        size_t cap = walk->capfiles ? walk->capfiles * 2 : 64;
        sst_walk_file *files = realloc(walk->files, cap * sizeof *files);
        if (!files) return SST_ENOMEM;
        walk->files = files;
        walk->capfiles = cap;
    }
    sst_walk_file *f = &walk->files[walk->nfiles];
    f->src = strdup(src);
    f->rel = strdup(rel);
    if (!f->src || !f->rel) {
        free(f->src);
        free(f->rel);
        return SST_ENOMEM;
    }
    f->mode = st->st_mode & 0777;
    f->size = (int64_t)st->st_size;
    f->mtime_ns = (int64_t)st->st_mtim.tv_sec * 1000000000 + st->st_mtim.tv_nsec;
    const char *base = strrchr(rel, '/');
    f->python = is_python(base ? base + 1 : rel);
    walk->nfiles++;
    return 0;
}

int sst_walk_excluded(const char *rel, const char *const *excludes, size_t nexcludes)
{
    for (size_t i = 0; i < nexcludes; i++) {
        const char *pat = excludes[i];
        if (fnmatch(pat, rel, 0) == 0) return 1;
        const char *p = rel;
        for (;;) {
            const char *slash = strchr(p, '/');
            size_t n = slash ? (size_t)(slash - p) : strlen(p);
            char comp[NAME_MAX + 1];
            if (n <= NAME_MAX) {
                memcpy(comp, p, n);
                comp[n] = '\0';
                if (fnmatch(pat, comp, 0) == 0) return 1;
            }
            if (!slash) break;
            p = slash + 1;
        }
    }
    return 0;
}

/* Whether the resolved path REAL is ROOT or below it. */
static int inside(const char *real, const char *root)
{
    size_t n = strlen(root);
    if (strcmp(root, "/") == 0) return 1;
    return strncmp(real, root, n) == 0 && (real[n] == '\0' || real[n] == '/');
}

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int walk_dir(walker *w, const char *dir, const char *prefix);

static int push_dir(walker *w, const struct stat *st)
{
    if (w->depth == w->capstack) {
        size_t cap = w->capstack ? w->capstack * 2 : 32;
        dir_id *stack = realloc(w->stack, cap * sizeof *stack);
        if (!stack) return SST_ENOMEM;
        w->stack = stack;
        w->capstack = cap;
    }
    w->stack[w->depth].dev = st->st_dev;
    w->stack[w->depth].ino = st->st_ino;
    w->depth++;
    return 0;
}

/* One directory entry: PATH to read, REL under OUT, NAME its last component. */
static int visit(walker *w, const char *path, const char *rel, const char *name, int top)
{
    sst_walk *walk = w->walk;
    for (const char *const *s = skip_names; *s; s++)
        if (strcmp(name, *s) == 0) return add_note(walk, SST_NOTE_INFO, path, "skipped (%s)", name);
    if (top && strcmp(name, SST_MANIFEST_DIR) == 0)
        return add_note(walk, SST_NOTE_INFO, path, "skipped (the name of the manifest directory)");
    if (sst_walk_excluded(rel, w->options->excludes, w->options->nexcludes))
        return add_note(walk, SST_NOTE_INFO, path, "skipped (--exclude)");

    struct stat st;
    if (lstat(path, &st) != 0)
        return add_note(walk, SST_NOTE_ERROR, path, "cannot read: %s", strerror(errno));
    if (S_ISLNK(st.st_mode)) {
        char *real = realpath(path, NULL);
        if (!real) {
            int e = errno;
            char target[PATH_MAX];
            ssize_t n = readlink(path, target, sizeof target - 1);
            target[n > 0 ? n : 0] = '\0';
            return add_note(walk, SST_NOTE_WARNING, path,
                            "symlink to '%s' cannot be resolved (%s); not followed", target,
                            strerror(e));
        }
        int in = inside(real, w->root_real);
        int rc = 0;
        if (!in)
            rc = add_note(walk, SST_NOTE_WARNING, path,
                          "symlink points outside the source tree (to %s); not followed", real);
        free(real);
        if (!in) return rc;
        if (stat(path, &st) != 0)
            return add_note(walk, SST_NOTE_ERROR, path, "cannot read: %s", strerror(errno));
    }
    if (S_ISDIR(st.st_mode)) {
        if (w->options->flat) return 0;
        if (w->options->skip_out && st.st_dev == w->options->out_dev &&
            st.st_ino == w->options->out_ino)
            return add_note(walk, SST_NOTE_INFO, path, "skipped (the output directory)");
        char *cfg = join(path, "pyvenv.cfg");
        if (!cfg) return SST_ENOMEM;
        struct stat cst;
        int venv = lstat(cfg, &cst) == 0;
        free(cfg);
        if (venv) return add_note(walk, SST_NOTE_INFO, path, "skipped (a virtualenv: has pyvenv.cfg)");
        for (size_t i = 0; i < w->depth; i++)
            if (w->stack[i].dev == st.st_dev && w->stack[i].ino == st.st_ino)
                return add_note(walk, SST_NOTE_WARNING, path,
                                "symlink loop (a directory that contains it); not followed");
        int rc = push_dir(w, &st);
        if (rc) return rc;
        rc = walk_dir(w, path, rel);
        w->depth--;
        return rc;
    }
    if (S_ISREG(st.st_mode)) return add_file(walk, path, rel, &st);
    return add_note(walk, SST_NOTE_WARNING, path, "not a regular file or directory; skipped");
}

static int walk_dir(walker *w, const char *dir, const char *prefix)
{
    DIR *d = opendir(dir);
    if (!d) return add_note(w->walk, SST_NOTE_ERROR, dir, "cannot read directory: %s", strerror(errno));
    char **names = NULL;
    size_t n = 0, cap = 0;
    int rc = 0;
    struct dirent *de;
    errno = 0;
    while ((de = readdir(d))) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0) continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 32;
            char **nn = realloc(names, cap * sizeof *nn);
            if (!nn) { rc = SST_ENOMEM; goto done; }
            names = nn;
        }
        if (!(names[n] = strdup(de->d_name))) { rc = SST_ENOMEM; goto done; }
        n++;
    }
    if (errno) {
        rc = add_note(w->walk, SST_NOTE_ERROR, dir, "cannot read directory: %s", strerror(errno));
        goto done;
    }
    qsort(names, n, sizeof *names, cmp_names);
    for (size_t i = 0; i < n && rc == 0; i++) {
        char *path = join(dir, names[i]);
        char *rel = *prefix ? join(prefix, names[i]) : strdup(names[i]);
        if (!path || !rel) rc = SST_ENOMEM;
        else rc = visit(w, path, rel, names[i], *prefix == '\0');
        free(path);
        free(rel);
    }
done:
    for (size_t i = 0; i < n; i++) free(names[i]);
    free(names);
    closedir(d);
    return rc;
}

int sst_walk_add(sst_walk *walk, const char *src, const sst_walk_options *options, sst_error *err)
{
    int rc;
    char *path = strdup(src);
    char *root_real = NULL;
    if (!path) { rc = SST_ENOMEM; goto done; }
    size_t n = strlen(path);
    while (n > 1 && path[n - 1] == '/') path[--n] = '\0';

    struct stat st;
    if (stat(path, &st) != 0) {
        sst_error_set(err, SST_EINVAL, src, 0, "%s", strerror(errno));
        rc = SST_EINVAL;
        goto done;
    }
    if (S_ISREG(st.st_mode)) {
        const char *base = strrchr(path, '/');
        base = base ? base + 1 : path;
        rc = add_file(walk, path, base, &st);
        goto done;
    }
    if (!S_ISDIR(st.st_mode)) {
        sst_error_set(err, SST_EINVAL, src, 0, "not a regular file or directory");
        rc = SST_EINVAL;
        goto done;
    }
    if (options->skip_out && st.st_dev == options->out_dev && st.st_ino == options->out_ino) {
        sst_error_set(err, SST_EINVAL, src, 0, "is the output directory");
        rc = SST_EINVAL;
        goto done;
    }
    if (!(root_real = realpath(path, NULL))) {
        sst_error_set(err, SST_EINVAL, src, 0, "%s", strerror(errno));
        rc = SST_EINVAL;
        goto done;
    }
    walker w = { walk, options, root_real, NULL, 0, 0, 0 };
    rc = push_dir(&w, &st);
    if (rc == 0) rc = walk_dir(&w, path, "");
    free(w.stack);
done:
    if (rc == SST_ENOMEM) sst_error_set(err, SST_ENOMEM, src, 0, "out of memory");
    free(root_real);
    free(path);
    return rc;
}

static int cmp_files(const void *a, const void *b)
{
    return strcmp(((const sst_walk_file *)a)->rel, ((const sst_walk_file *)b)->rel);
}

static int cmp_notes(const void *a, const void *b)
{
    const sst_walk_note *x = a, *y = b;
    int c = strcmp(x->path, y->path);
    return c ? c : strcmp(x->message, y->message);
}

typedef struct dir_entry {
    const char *rel;       /* points into a file's rel; length len */
    size_t len;
    const char *src;       /* a file below it, for the message */
    UT_hash_handle hh;
} dir_entry;

int sst_walk_finish(sst_walk *walk, sst_error *err)
{
    int rc = 0;
    dir_entry *dirs = NULL, *d, *tmp;
    if (walk->nfiles) qsort(walk->files, walk->nfiles, sizeof *walk->files, cmp_files);
    if (walk->nnotes) qsort(walk->notes, walk->nnotes, sizeof *walk->notes, cmp_notes);
    for (size_t i = 0; i + 1 < walk->nfiles; i++) {
        if (strcmp(walk->files[i].rel, walk->files[i + 1].rel) == 0) {
            sst_error_set(err, SST_EINVAL, walk->files[i].src, 0,
                          "and %s both map to %s in the output", walk->files[i + 1].src,
                          walk->files[i].rel);
            return SST_EINVAL;
        }
    }
    /* every directory a file lies in; a file of the same name is a conflict */
    for (size_t i = 0; i < walk->nfiles; i++) {
        const char *rel = walk->files[i].rel;
        for (const char *s = strchr(rel, '/'); s; s = strchr(s + 1, '/')) {
            size_t len = (size_t)(s - rel);
            HASH_FIND(hh, dirs, rel, len, d);
            if (d) continue;
            if (!(d = malloc(sizeof *d))) { rc = SST_ENOMEM; goto done; }
            d->rel = rel;
            d->len = len;
            d->src = walk->files[i].src;
            HASH_ADD_KEYPTR(hh, dirs, d->rel, d->len, d);
        }
    }
    for (size_t i = 0; i < walk->nfiles; i++) {
        HASH_FIND(hh, dirs, walk->files[i].rel, strlen(walk->files[i].rel), d);
        if (d) {
            sst_error_set(err, SST_EINVAL, walk->files[i].src, 0,
                          "is a file but %s needs %s to be a directory in the output", d->src,
                          walk->files[i].rel);
            rc = SST_EINVAL;
            goto done;
        }
    }
done:
    if (rc == SST_ENOMEM) sst_error_set(err, SST_ENOMEM, "", 0, "out of memory");
    HASH_ITER(hh, dirs, d, tmp) {
        HASH_DEL(dirs, d);
        free(d);
    }
    return rc;
}

void sst_walk_free(sst_walk *walk)
{
    for (size_t i = 0; i < walk->nfiles; i++) {
        free(walk->files[i].src);
        free(walk->files[i].rel);
    }
    for (size_t i = 0; i < walk->nnotes; i++) {
        free(walk->notes[i].path);
        free(walk->notes[i].message);
    }
    free(walk->files);
    free(walk->notes);
    memset(walk, 0, sizeof *walk);
}
