/* CUnit suite for cli/diff.c: the unified diff built from insertions, byte
 * for byte: context, hunk merging, CRLF, missing final newline, added lines,
 * colour with highlighted injected spans. */
#include "helpers.h"

#include "cli.h"

static char *diff_of(const char *rel, const char *src, const sst_insertion *ins, size_t nins,
                     const sst_diff_colors *colors, int *rc)
{
    sst_buf b = {0};
    *rc = sst_diff_format(&b, rel, src, strlen(src), ins, nins, colors);
    if (!b.data) return strdup("");
    return b.data;
}

static size_t at(const char *src, const char *needle)
{
    return (size_t)(strstr(src, needle) - src);
}

static void test_one_change_with_context(void)
{
    const char *src = "l1\nl2\nl3\nl4\nx = f(a)\nl6\nl7\nl8\nl9\nl10\n";
    sst_insertion ins[] = {
        { at(src, "f(a)"), "W(", 2, 1 },
        { at(src, "f(a)") + 4, ")", 1, 1 },
    };
    int rc;
    char *d = diff_of("m.py", src, ins, 2, NULL, &rc);
    CU_ASSERT_EQUAL(rc, 0);
    CU_ASSERT_STRING_EQUAL(d,
        "--- a/m.py\n"
        "+++ b/m.py\n"
        "@@ -2,7 +2,7 @@\n"
        " l2\n l3\n l4\n"
        "-x = f(a)\n"
        "+x = W(f(a))\n"
        " l6\n l7\n l8\n");
    free(d);
}

static void test_hunks_merge_within_six_lines(void)
{
    /* changes on lines 1 and 8: six unchanged lines between, one hunk */
    const char *src = "a1\na2\na3\na4\na5\na6\na7\na8\na9\na10\na11\na12\n";
    sst_insertion ins[] = { { 0, "#", 1, 1 }, { at(src, "a8"), "#", 1, 2 } };
    int rc;
    char *d = diff_of("m.py", src, ins, 2, NULL, &rc);
    CU_ASSERT_EQUAL(rc, 0);
    CU_ASSERT_STRING_EQUAL(d,
        "--- a/m.py\n+++ b/m.py\n"
        "@@ -1,11 +1,11 @@\n"
        "-a1\n+#a1\n"
        " a2\n a3\n a4\n a5\n a6\n a7\n"
        "-a8\n+#a8\n"
        " a9\n a10\n a11\n");
    free(d);
}

static void test_hunks_split_beyond_six_lines(void)
{
    /* changes on lines 1 and 9: seven unchanged lines between, two hunks */
    const char *src = "a1\na2\na3\na4\na5\na6\na7\na8\na9\na10\n";
    sst_insertion ins[] = { { 0, "#", 1, 1 }, { at(src, "a9"), "#", 1, 2 } };
    int rc;
    char *d = diff_of("m.py", src, ins, 2, NULL, &rc);
    CU_ASSERT_EQUAL(rc, 0);
    CU_ASSERT_STRING_EQUAL(d,
        "--- a/m.py\n+++ b/m.py\n"
        "@@ -1,4 +1,4 @@\n"
        "-a1\n+#a1\n a2\n a3\n a4\n"
        "@@ -6,5 +6,5 @@\n"
        " a6\n a7\n a8\n-a9\n+#a9\n a10\n");
    free(d);
}

static void test_consecutive_lines_group(void)
{
    const char *src = "p\nq\nr\n";
    sst_insertion ins[] = { { 0, "1", 1, 1 }, { 2, "2", 1, 2 } };
    int rc;
    char *d = diff_of("g.py", src, ins, 2, NULL, &rc);
    CU_ASSERT_STRING_EQUAL(d,
        "--- a/g.py\n+++ b/g.py\n"
        "@@ -1,3 +1,3 @@\n"
        "-p\n-q\n+1p\n+2q\n r\n");
    free(d);
}

static void test_crlf_and_no_final_newline(void)
{
    const char *src = "a\r\nb\r\nc";
    sst_insertion ins[] = { { strlen(src), "X", 1, 1 } };
    int rc;
    char *d = diff_of("w.py", src, ins, 1, NULL, &rc);
    CU_ASSERT_EQUAL(rc, 0);
    CU_ASSERT_STRING_EQUAL(d,
        "--- a/w.py\n+++ b/w.py\n"
        "@@ -1,3 +1,3 @@\n"
        " a\r\n b\r\n"
        "-c\n\\ No newline at end of file\n"
        "+cX\n\\ No newline at end of file\n");
    free(d);
}

static void test_added_line_shifts_later_hunks(void)
{
    const char *src = "l1\nl2\nl3\nl4\nl5\nl6\nl7\nl8\nl9\nl10\nl11\nl12\n";
    sst_insertion ins[] = {
        { at(src, "l2"), "import z\n", 9, 1 },
        { at(src, "l12"), "#", 1, 2 },
    };
    int rc;
    char *d = diff_of("n.py", src, ins, 2, NULL, &rc);
    CU_ASSERT_EQUAL(rc, 0);
    CU_ASSERT_STRING_EQUAL(d,
        "--- a/n.py\n+++ b/n.py\n"
        "@@ -1,5 +1,6 @@\n"
        " l1\n-l2\n+import z\n+l2\n l3\n l4\n l5\n"
        "@@ -9,4 +10,4 @@\n"
        " l9\n l10\n l11\n-l12\n+#l12\n");
    free(d);
}

static void test_text_after_last_newline(void)
{
    int rc;
    sst_insertion ins[] = { { 2, "b\n", 2, 1 } };
    char *d = diff_of("e.py", "a\n", ins, 1, NULL, &rc);
    CU_ASSERT_EQUAL(rc, 0);
    CU_ASSERT_STRING_EQUAL(d, "--- a/e.py\n+++ b/e.py\n@@ -1 +1,2 @@\n a\n+b\n");
    free(d);
    sst_insertion ins2[] = { { 0, "x\n", 2, 1 } };
    d = diff_of("z.py", "", ins2, 1, NULL, &rc);
    CU_ASSERT_EQUAL(rc, 0);
    CU_ASSERT_STRING_EQUAL(d, "--- a/z.py\n+++ b/z.py\n@@ -0,0 +1 @@\n+x\n");
    free(d);
}

static void test_colour_marks_injected_spans(void)
{
    const char *src = "x = f(a)\n";
    sst_insertion ins[] = { { 4, "W(", 2, 1 }, { 8, ")", 1, 1 } };
    int rc;
    char *d = diff_of("c.py", src, ins, 2, &sst_diff_ansi, &rc);
    CU_ASSERT_EQUAL(rc, 0);
    CU_ASSERT_STRING_EQUAL(d,
        "\033[1m--- a/c.py\033[m\n"
        "\033[1m+++ b/c.py\033[m\n"
        "\033[36m@@ -1 +1 @@\033[m\n"
        "\033[31m-x = f(a)\033[m\n"
        "\033[32m+x = \033[1;7mW(\033[22;27mf(a)\033[1;7m)\033[22;27m\033[m\n");
    free(d);
}

static void test_colour_keeps_crlf_outside(void)
{
    const char *src = "k\r\n";
    sst_insertion ins[] = { { 0, "J", 1, 1 } };
    int rc;
    char *d = diff_of("r.py", src, ins, 1, &sst_diff_ansi, &rc);
    CU_ASSERT_STRING_EQUAL(d,
        "\033[1m--- a/r.py\033[m\n\033[1m+++ b/r.py\033[m\n\033[36m@@ -1 +1 @@\033[m\n"
        "\033[31m-k\033[m\r\n"
        "\033[32m+\033[1;7mJ\033[22;27mk\033[m\r\n");
    free(d);
}

static void test_nothing_inserted_nothing_printed(void)
{
    int rc;
    char *d = diff_of("u.py", "a\n", NULL, 0, NULL, &rc);
    CU_ASSERT_EQUAL(rc, 0);
    CU_ASSERT_STRING_EQUAL(d, "");
    free(d);
}

static void test_out_of_order_is_a_bug(void)
{
    sst_insertion ins[] = { { 3, "a", 1, 1 }, { 1, "b", 1, 2 } };
    int rc;
    char *d = diff_of("o.py", "abcdef\n", ins, 2, NULL, &rc);
    CU_ASSERT_EQUAL(rc, SST_EBUG);
    free(d);
    sst_insertion past[] = { { 99, "a", 1, 1 } };
    d = diff_of("o.py", "abc\n", past, 1, NULL, &rc);
    CU_ASSERT_EQUAL(rc, SST_EBUG);
    free(d);
}

int main(void)
{
    static const test_case cases[] = {
        { "one change with three lines of context", test_one_change_with_context },
        { "changes six lines apart share a hunk", test_hunks_merge_within_six_lines },
        { "changes seven lines apart get two hunks", test_hunks_split_beyond_six_lines },
        { "consecutive changed lines: all - then all +", test_consecutive_lines_group },
        { "CRLF lines and no final newline", test_crlf_and_no_final_newline },
        { "an added line shifts the later hunk", test_added_line_shifts_later_hunks },
        { "text after the last newline, empty file", test_text_after_last_newline },
        { "colour marks injected spans", test_colour_marks_injected_spans },
        { "colour keeps CRLF outside escapes", test_colour_keeps_crlf_outside },
        { "no insertion, no diff", test_nothing_inserted_nothing_printed },
        { "insertions out of order are a bug", test_out_of_order_is_a_bug },
        { NULL, NULL },
    };
    return run_suite("cli diff", cases);
}
