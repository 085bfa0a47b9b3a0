/* CUnit suite for cli/emit.c: atomic writes under OUT (directories made,
 * mode kept, no temp file left, old file replaced whole), and the guarantee
 * that nothing is written outside OUT, through a symlink or a bad path. */
#include "helpers.h"

#include "cli.h"

static char *root;

static void test_write_creates_dirs_and_keeps_mode(void)
{
    char outdir[4200], path[4300];
    snprintf(outdir, sizeof outdir, "%s/o1/deep/out", root);
    sst_out out;
    sst_error err = {0};
    CU_ASSERT_EQUAL_FATAL(sst_out_open(&out, outdir, 0, &err), 0);
    CU_ASSERT_EQUAL(sst_out_write(&out, "pkg/sub/run.py", "print(1)\n", 9, 0755, &err), 0);
    snprintf(path, sizeof path, "%s/pkg/sub/run.py", outdir);
    char *got = slurp(path);
    CU_ASSERT_STRING_EQUAL(got, "print(1)\n");
    free(got);
    struct stat st;
    CU_ASSERT_EQUAL(stat(path, &st), 0);
    CU_ASSERT_EQUAL(st.st_mode & 07777, 0755);
    CU_ASSERT_EQUAL(sst_out_write(&out, "pkg/data.bin", "\0\1", 2, 0600, &err), 0);
    snprintf(path, sizeof path, "%s/pkg/data.bin", outdir);
    CU_ASSERT_EQUAL(stat(path, &st), 0);
    CU_ASSERT_EQUAL(st.st_mode & 07777, 0600);
    CU_ASSERT_EQUAL(st.st_size, 2);

    /* replaced whole: a new inode under the old name, no temp file left */
    ino_t before = st.st_ino;
    CU_ASSERT_EQUAL(sst_out_write(&out, "pkg/data.bin", "new", 3, 0644, &err), 0);
    CU_ASSERT_EQUAL(stat(path, &st), 0);
    CU_ASSERT_NOT_EQUAL(st.st_ino, before);
    CU_ASSERT_EQUAL(st.st_size, 3);
    snprintf(path, sizeof path, "%s/pkg", outdir);
    CU_ASSERT_EQUAL(count_prefixed(path, ".sst-tmp-"), 0);
    snprintf(path, sizeof path, "%s/pkg/sub", outdir);
    CU_ASSERT_EQUAL(count_prefixed(path, ".sst-tmp-"), 0);

    uint64_t h;
    mode_t m;
    CU_ASSERT_EQUAL(sst_out_hash(&out, "pkg/data.bin", &h, &m), 0);
    CU_ASSERT_EQUAL(h, sst_hash_bytes("new", 3));
    CU_ASSERT_EQUAL(m, 0644);
    CU_ASSERT_EQUAL(sst_out_hash(&out, "pkg/none.bin", &h, &m), SST_EIO);
    CU_ASSERT_EQUAL(sst_out_remove(&out, "pkg/data.bin"), 0);
    CU_ASSERT_EQUAL(sst_out_hash(&out, "pkg/data.bin", &h, &m), SST_EIO);
    sst_out_close(&out);
}

static void test_no_write_through_symlinks(void)
{
    char outdir[4200], path[4300], target[4300];
    snprintf(outdir, sizeof outdir, "%s/o2", root);
    put_file(root, "elsewhere/keep.py", "keep\n", 0644);
    sst_out out;
    sst_error err = {0};
    CU_ASSERT_EQUAL_FATAL(sst_out_open(&out, outdir, 1, &err), 0);

    /* a directory symlink inside OUT is not entered */
    snprintf(path, sizeof path, "%s/evil", outdir);
    snprintf(target, sizeof target, "%s/elsewhere", root);
    CU_ASSERT_EQUAL_FATAL(symlink(target, path), 0);
    CU_ASSERT_EQUAL(sst_out_write(&out, "evil/x.py", "x\n", 2, 0644, &err), SST_EIO);
    snprintf(path, sizeof path, "%s/evil", outdir);
    CU_ASSERT_STRING_EQUAL(err.path, path);
    CU_ASSERT_STRING_EQUAL(err.message, "cannot create directory: exists and is not a directory");
    snprintf(path, sizeof path, "%s/elsewhere/x.py", root);
    CU_ASSERT_EQUAL(access(path, F_OK), -1);

    /* a file symlink inside OUT is replaced, its target left alone */
    snprintf(path, sizeof path, "%s/link.py", outdir);
    snprintf(target, sizeof target, "%s/elsewhere/keep.py", root);
    CU_ASSERT_EQUAL_FATAL(symlink(target, path), 0);
    CU_ASSERT_EQUAL(sst_out_write(&out, "link.py", "mine\n", 5, 0644, &err), 0);
    struct stat st;
    CU_ASSERT_EQUAL(lstat(path, &st), 0);
    CU_ASSERT_TRUE(S_ISREG(st.st_mode));
    char *got = slurp(target);
    CU_ASSERT_STRING_EQUAL(got, "keep\n");
    free(got);
    got = slurp(path);
    CU_ASSERT_STRING_EQUAL(got, "mine\n");
    free(got);

    /* paths that would leave OUT are refused before anything happens */
    CU_ASSERT_EQUAL(sst_out_write(&out, "../escape.py", "x", 1, 0644, &err), SST_EBUG);
    CU_ASSERT_EQUAL(sst_out_write(&out, "a/../../escape.py", "x", 1, 0644, &err), SST_EBUG);
    CU_ASSERT_EQUAL(sst_out_write(&out, "/tmp/escape.py", "x", 1, 0644, &err), SST_EBUG);
    CU_ASSERT_EQUAL(sst_out_write(&out, "a//b.py", "x", 1, 0644, &err), SST_EBUG);
    CU_ASSERT_EQUAL(sst_out_write(&out, "./b.py", "x", 1, 0644, &err), SST_EBUG);
    CU_ASSERT_EQUAL(sst_out_write(&out, "", "x", 1, 0644, &err), SST_EBUG);
    snprintf(path, sizeof path, "%s/escape.py", root);
    CU_ASSERT_EQUAL(access(path, F_OK), -1);
    CU_ASSERT_EQUAL(count_prefixed(outdir, ".sst-tmp-"), 0);
    sst_out_close(&out);
}

static void test_failure_leaves_no_temp(void)
{
    char outdir[4200], path[4300];
    snprintf(outdir, sizeof outdir, "%s/o3", root);
    sst_out out;
    sst_error err = {0};
    CU_ASSERT_EQUAL_FATAL(sst_out_open(&out, outdir, 0, &err), 0);
    snprintf(path, sizeof path, "%s/dir.py", outdir);
    put_file(path, "inside.txt", "i\n", 0644);   /* a non-empty directory in the way */
    CU_ASSERT_EQUAL(sst_out_write(&out, "dir.py", "x\n", 2, 0644, &err), SST_EIO);
    CU_ASSERT_STRING_EQUAL(err.path, path);
    CU_ASSERT_STRING_EQUAL(err.message, "cannot write (rename): a directory is in the way");
    CU_ASSERT_EQUAL(count_prefixed(outdir, ".sst-tmp-"), 0);
    /* a file where a directory is needed */
    put_file(outdir, "plain", "p\n", 0644);
    CU_ASSERT_EQUAL(sst_out_write(&out, "plain/x.py", "x\n", 2, 0644, &err), SST_EIO);
    CU_ASSERT_STRING_EQUAL(err.message, "cannot create directory: exists and is not a directory");
    sst_out_close(&out);

    /* OUT that cannot be a directory */
    snprintf(path, sizeof path, "%s/plain/sub", outdir);
    CU_ASSERT_EQUAL(sst_out_open(&out, path, 0, &err), SST_EIO);
    sst_out_close(&out);
}

static void test_read(void)
{
    char path[4300];
    snprintf(path, sizeof path, "%s/r/in.py", root);
    put_file(root, "r/in.py", "a = 1\r\nb = 2", 0644);
    char *bytes = NULL;
    size_t len = 0;
    sst_error err = {0};
    CU_ASSERT_EQUAL(sst_file_read(&bytes, &len, path, &err), 0);
    CU_ASSERT_EQUAL(len, 12);
    CU_ASSERT_EQUAL(memcmp(bytes, "a = 1\r\nb = 2", 12), 0);
    free(bytes);
    snprintf(path, sizeof path, "%s/r/none.py", root);
    CU_ASSERT_EQUAL(sst_file_read(&bytes, &len, path, &err), SST_EIO);
    CU_ASSERT_STRING_EQUAL(err.path, path);
    CU_ASSERT_STRING_EQUAL(err.message, "cannot read: No such file or directory");
}

int main(void)
{
    root = scratch_dir();
    static const test_case cases[] = {
        { "write: directories, modes, replace, no temp", test_write_creates_dirs_and_keeps_mode },
        { "nothing written outside OUT", test_no_write_through_symlinks },
        { "a failed write leaves no temp file", test_failure_leaves_no_temp },
        { "reading inputs", test_read },
        { NULL, NULL },
    };
    int rc = run_suite("cli emit", cases);
    rm_tree(root);
    free(root);
    return rc;
}
