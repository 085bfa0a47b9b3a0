/* CUnit suite for cli/walk.c: which files a run sees, in which order, and
 * what it says about the rest: skipped directories, --exclude, OUT inside
 * SRC, symlinks inside and outside SRC, loops, and SRC collisions. */
#include "helpers.h"

#include "cli.h"

static char *root;      /* scratch: root/src, root/outside */
static char src[4096];

static void build_tree(void)
{
    root = scratch_dir();
    snprintf(src, sizeof src, "%s/src", root);
    put_file(src, "a.py", "x = 1\n", 0644);
    put_file(src, "run.sh", "#!/bin/sh\n", 0755);
    put_file(src, "data/x.txt", "data\n", 0600);
    put_file(src, "pkg/__init__.py", "", 0644);
    put_file(src, "pkg/mod.py", "y = 2\n", 0644);
    put_file(src, "pkg/gui.pyw", "z = 3\n", 0644);
    put_file(src, "pkg/stub.pyi", "def f() -> int: ...\n", 0644);
    put_file(src, "pkg/gen_pb2.py", "g = 1\n", 0644);
    put_file(src, "pkg/__pycache__/mod.cpython-311.pyc", "\x01", 0644);
    put_file(src, ".git/HEAD", "ref\n", 0644);
    put_file(src, ".hg/x", "x", 0644);
    put_file(src, ".svn/x", "x", 0644);
    put_file(src, "node_modules/m.js", "m\n", 0644);
    put_file(src, "env/pyvenv.cfg", "home = /usr\n", 0644);
    put_file(src, "env/lib/site.py", "s = 1\n", 0644);
    put_file(src, "tests/test_a.py", "t = 1\n", 0644);
    put_file(src, "docs/build/x.py", "d = 1\n", 0644);
    put_file(src, "docs/conf.py", "c = 1\n", 0644);
    put_file(src, ".sst/manifest.json", "{}\n", 0644);
    put_file(src, "sub/.sst/keep.txt", "k\n", 0644);
    put_file(src, "out/old.py", "o = 1\n", 0644);
    put_file(root, "outside/secret.py", "s = 1\n", 0644);
    char p[4200], q[4200];
    snprintf(p, sizeof p, "%s/link_in.py", src);
    CU_ASSERT_EQUAL_FATAL(symlink("a.py", p), 0);
    snprintf(p, sizeof p, "%s/link_dir", src);
    CU_ASSERT_EQUAL_FATAL(symlink("pkg", p), 0);
    snprintf(p, sizeof p, "%s/link_out", src);
    snprintf(q, sizeof q, "%s/outside", root);
    CU_ASSERT_EQUAL_FATAL(symlink(q, p), 0);
    snprintf(p, sizeof p, "%s/link_out.py", src);
    CU_ASSERT_EQUAL_FATAL(symlink("../outside/secret.py", p), 0);
    snprintf(p, sizeof p, "%s/broken.py", src);
    CU_ASSERT_EQUAL_FATAL(symlink("missing.py", p), 0);
    snprintf(p, sizeof p, "%s/pkg/loop", src);
    CU_ASSERT_EQUAL_FATAL(symlink("..", p), 0);
    snprintf(p, sizeof p, "%s/fifo", src);
    CU_ASSERT_EQUAL_FATAL(mkfifo(p, 0644), 0);
}

static const char *note_for(const sst_walk *w, const char *rel, sst_note_level *level)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/%s", src, rel);
    for (size_t i = 0; i < w->nnotes; i++) {
        if (strcmp(w->notes[i].path, path) == 0) {
            *level = w->notes[i].level;
            return w->notes[i].message;
        }
    }
    return NULL;
}

static void test_tree(void)
{
    build_tree();
    char out[4200];
    snprintf(out, sizeof out, "%s/out", src);
    struct stat st;
    CU_ASSERT_EQUAL_FATAL(stat(out, &st), 0);
    const char *excludes[] = { "*_pb2.py", "tests", "docs/build" };
    sst_walk_options opts = {
        .excludes = excludes, .nexcludes = 3, .skip_out = 1, .out_dev = st.st_dev, .out_ino = st.st_ino};
    sst_walk w = {0};
    sst_error err = {0};
    CU_ASSERT_EQUAL_FATAL(sst_walk_add(&w, src, &opts, &err), 0);
    CU_ASSERT_EQUAL_FATAL(sst_walk_finish(&w, &err), 0);

    static const struct { const char *rel; mode_t mode; int python; } want[] = {
        { "a.py", 0644, 1 },
        { "data/x.txt", 0600, 0 },
        { "docs/conf.py", 0644, 1 },
        { "link_dir/__init__.py", 0644, 1 },
        { "link_dir/gui.pyw", 0644, 1 },
        { "link_dir/mod.py", 0644, 1 },
        { "link_dir/stub.pyi", 0644, 0 },
        { "link_in.py", 0644, 1 },
        { "pkg/__init__.py", 0644, 1 },
        { "pkg/gui.pyw", 0644, 1 },
        { "pkg/mod.py", 0644, 1 },
        { "pkg/stub.pyi", 0644, 0 },
        { "run.sh", 0755, 0 },
        { "sub/.sst/keep.txt", 0644, 0 },
    };
    size_t nwant = sizeof want / sizeof want[0];
    CU_ASSERT_EQUAL(w.nfiles, nwant);
    for (size_t i = 0; i < nwant && i < w.nfiles; i++) {
        char path[4200];
        snprintf(path, sizeof path, "%s/%s", src, want[i].rel);
        CU_ASSERT_STRING_EQUAL(w.files[i].rel, want[i].rel);
        CU_ASSERT_STRING_EQUAL(w.files[i].src, path);
        CU_ASSERT_EQUAL(w.files[i].mode, want[i].mode);
        CU_ASSERT_EQUAL(w.files[i].python, want[i].python);
    }

    static const struct { const char *rel; sst_note_level level; const char *msg; } notes[] = {
        { ".git", SST_NOTE_INFO, "skipped (.git)" },
        { ".hg", SST_NOTE_INFO, "skipped (.hg)" },
        { ".sst", SST_NOTE_INFO, "skipped (the name of the manifest directory)" },
        { ".svn", SST_NOTE_INFO, "skipped (.svn)" },
        { "broken.py", SST_NOTE_WARNING,
          "symlink to 'missing.py' cannot be resolved (No such file or directory); not followed" },
        { "docs/build", SST_NOTE_INFO, "skipped (--exclude)" },
        { "env", SST_NOTE_INFO, "skipped (a virtualenv: has pyvenv.cfg)" },
        { "fifo", SST_NOTE_WARNING, "not a regular file or directory; skipped" },
        { "link_dir/__pycache__", SST_NOTE_INFO, "skipped (__pycache__)" },
        { "link_dir/gen_pb2.py", SST_NOTE_INFO, "skipped (--exclude)" },
        { "link_dir/loop", SST_NOTE_WARNING,
          "symlink loop (a directory that contains it); not followed" },
        { "node_modules", SST_NOTE_INFO, "skipped (node_modules)" },
        { "out", SST_NOTE_INFO, "skipped (the output directory)" },
        { "pkg/__pycache__", SST_NOTE_INFO, "skipped (__pycache__)" },
        { "pkg/gen_pb2.py", SST_NOTE_INFO, "skipped (--exclude)" },
        { "pkg/loop", SST_NOTE_WARNING, "symlink loop (a directory that contains it); not followed" },
        { "tests", SST_NOTE_INFO, "skipped (--exclude)" },
    };
    for (size_t i = 0; i < sizeof notes / sizeof notes[0]; i++) {
        sst_note_level level = SST_NOTE_ERROR;
        const char *msg = note_for(&w, notes[i].rel, &level);
        CU_ASSERT_PTR_NOT_NULL(msg);
        if (!msg) {
            fprintf(stderr, "no note for %s\n", notes[i].rel);
            continue;
        }
        CU_ASSERT_STRING_EQUAL(msg, notes[i].msg);
        CU_ASSERT_EQUAL(level, notes[i].level);
    }
    /* the two symlinks out of SRC: warned about, naming the target */
    char real_out[4200];
    char *ro = realpath(root, NULL);
    snprintf(real_out, sizeof real_out,
             "symlink points outside the source tree (to %s/outside); not followed", ro);
    sst_note_level level = SST_NOTE_INFO;
    const char *msg = note_for(&w, "link_out", &level);
    CU_ASSERT_PTR_NOT_NULL_FATAL(msg);
    CU_ASSERT_STRING_EQUAL(msg, real_out);
    CU_ASSERT_EQUAL(level, SST_NOTE_WARNING);
    snprintf(real_out, sizeof real_out,
             "symlink points outside the source tree (to %s/outside/secret.py); not followed", ro);
    msg = note_for(&w, "link_out.py", &level);
    CU_ASSERT_PTR_NOT_NULL_FATAL(msg);
    CU_ASSERT_STRING_EQUAL(msg, real_out);
    free(ro);
    /* nothing else: every note is one of the above, sorted by path */
    CU_ASSERT_EQUAL(w.nnotes, sizeof notes / sizeof notes[0] + 2);
    for (size_t i = 0; i + 1 < w.nnotes; i++)
        CU_ASSERT(strcmp(w.notes[i].path, w.notes[i + 1].path) <= 0);
    sst_walk_free(&w);
}

static void test_out_not_skipped_when_not_given(void)
{
    sst_walk_options opts = {0};
    sst_walk w = {0};
    sst_error err = {0};
    char dir[4200];
    snprintf(dir, sizeof dir, "%s/out", src);
    CU_ASSERT_EQUAL(sst_walk_add(&w, dir, &opts, &err), 0);
    CU_ASSERT_EQUAL(sst_walk_finish(&w, &err), 0);
    CU_ASSERT_EQUAL_FATAL(w.nfiles, 1);
    CU_ASSERT_STRING_EQUAL(w.files[0].rel, "old.py");
    sst_walk_free(&w);
}

static void test_file_src_and_collisions(void)
{
    sst_walk_options opts = {0};
    sst_walk w = {0};
    sst_error err = {0};
    char a[4200], b[4200];
    /* a file SRC maps to its name; a trailing slash on a directory is fine */
    snprintf(a, sizeof a, "%s/pkg/mod.py", src);
    snprintf(b, sizeof b, "%s/data/", src);
    CU_ASSERT_EQUAL(sst_walk_add(&w, a, &opts, &err), 0);
    CU_ASSERT_EQUAL(sst_walk_add(&w, b, &opts, &err), 0);
    CU_ASSERT_EQUAL(sst_walk_finish(&w, &err), 0);
    CU_ASSERT_EQUAL_FATAL(w.nfiles, 2);
    CU_ASSERT_STRING_EQUAL(w.files[0].rel, "mod.py");
    CU_ASSERT_STRING_EQUAL(w.files[1].rel, "x.txt");
    snprintf(b, sizeof b, "%s/data/x.txt", src);
    CU_ASSERT_STRING_EQUAL(w.files[1].src, b);
    sst_walk_free(&w);

    /* two SRCs giving the same path in OUT */
    snprintf(b, sizeof b, "%s/link_dir/mod.py", src);
    CU_ASSERT_EQUAL(sst_walk_add(&w, a, &opts, &err), 0);
    CU_ASSERT_EQUAL(sst_walk_add(&w, b, &opts, &err), 0);
    CU_ASSERT_EQUAL(sst_walk_finish(&w, &err), SST_EINVAL);
    char want[9000];
    snprintf(want, sizeof want, "and %s both map to mod.py in the output", b);
    CU_ASSERT_STRING_EQUAL(err.message, want);
    CU_ASSERT_STRING_EQUAL(err.path, a);
    sst_walk_free(&w);

    /* a file SRC named like a directory another SRC fills */
    put_file(root, "two/pkg", "not a dir\n", 0644);
    snprintf(a, sizeof a, "%s/two/pkg", root);
    CU_ASSERT_EQUAL(sst_walk_add(&w, a, &opts, &err), 0);
    CU_ASSERT_EQUAL(sst_walk_add(&w, src, &opts, &err), 0);
    CU_ASSERT_EQUAL(sst_walk_finish(&w, &err), SST_EINVAL);
    CU_ASSERT_STRING_EQUAL(err.path, a);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "needs pkg to be a directory"));
    sst_walk_free(&w);
}

static void test_missing_src(void)
{
    sst_walk_options opts = {0};
    sst_walk w = {0};
    sst_error err = {0};
    char a[4200];
    snprintf(a, sizeof a, "%s/nope", root);
    CU_ASSERT_EQUAL(sst_walk_add(&w, a, &opts, &err), SST_EINVAL);
    CU_ASSERT_STRING_EQUAL(err.path, a);
    CU_ASSERT_STRING_EQUAL(err.message, "No such file or directory");
    snprintf(a, sizeof a, "%s/fifo", src);
    CU_ASSERT_EQUAL(sst_walk_add(&w, a, &opts, &err), SST_EINVAL);
    CU_ASSERT_STRING_EQUAL(err.message, "not a regular file or directory");
    CU_ASSERT_EQUAL(w.nfiles, 0);
    sst_walk_free(&w);
}

static void test_excluded(void)
{
    const char *pats[] = { "*_pb2.py", "build", "docs/*.txt", "t?st" };
    CU_ASSERT_TRUE(sst_walk_excluded("x/y/z_pb2.py", pats, 4));
    CU_ASSERT_TRUE(sst_walk_excluded("a/build/b.py", pats, 4));
    CU_ASSERT_TRUE(sst_walk_excluded("build", pats, 4));
    CU_ASSERT_TRUE(sst_walk_excluded("docs/a.txt", pats, 4));
    CU_ASSERT_TRUE(sst_walk_excluded("docs/sub/a.txt", pats, 4));   /* '*' crosses '/' */
    CU_ASSERT_TRUE(sst_walk_excluded("test/x.py", pats, 4));
    CU_ASSERT_FALSE(sst_walk_excluded("building/a.py", pats, 4));
    CU_ASSERT_FALSE(sst_walk_excluded("src/docs/a.txt", pats, 4));
    CU_ASSERT_FALSE(sst_walk_excluded("pb2.py", pats, 4));
    CU_ASSERT_FALSE(sst_walk_excluded("x.py", NULL, 0));
}

int main(void)
{
    static const test_case cases[] = {
        { "a tree: files, skips, excludes, symlinks", test_tree },
        { "OUT is skipped only when it is OUT", test_out_not_skipped_when_not_given },
        { "file SRCs, several SRCs and their collisions", test_file_src_and_collisions },
        { "a missing SRC is an error", test_missing_src },
        { "exclude patterns: path and components", test_excluded },
        { NULL, NULL },
    };
    int rc = run_suite("cli walk", cases);
    rm_tree(root);
    free(root);
    return rc;
}
