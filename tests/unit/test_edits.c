/* CUnit suite for edits.c, the insertion buffer: insertions applied exactly
 * at their offsets, several at one offset kept in the order added, an
 * out-of-order insertion refused and reported, and offsets mapped back to the
 * original bytes of a BOM or latin-1 file with the text re-encoded. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <CUnit/Basic.h>

#include "expect.h"

#include "edits.h"
#include "source.h"

typedef struct applied {
    int rc;
    char *out;
    size_t out_len;
    sst_insertion *ins;
    size_t nins;
    sst_error err;
} applied;

static void apply(applied *a, const sst_edits *e, const sst_source *src)
{
    memset(a, 0, sizeof *a);
    a->rc = sst_edits_apply(e, src, &a->out, &a->out_len, &a->ins, &a->err);
    a->nins = a->rc ? 0 : e->n;
}

static void applied_free(applied *a)
{
    if (a->ins)
        for (size_t i = 0; i < a->nins; i++) free((char *)a->ins[i].text);
    free(a->ins);
    free(a->out);
}

static void add(sst_edits *e, size_t offset, const char *text, unsigned site)
{
    int rc = sst_edits_add(e, offset, text, strlen(text), site);
    EXPECT_INT(rc, 0);
}

static void test_in_order(void)
{
    const char bytes[] = "abc\ndef\n";
    sst_source src;
    sst_error err = {0};
    CU_ASSERT_FATAL(sst_source_load(&src, bytes, 8, &err) == 0);
    sst_edits e = {0};
    add(&e, 0, "<", 1);
    add(&e, 3, ">", 2);
    add(&e, 5, "[mid]", 3);
    add(&e, 8, "!", 4);
    EXPECT_INT(e.n, 4);
    EXPECT_INT(e.out_of_order, 0);
    applied a;
    apply(&a, &e, &src);
    EXPECT_INT(a.rc, 0);
    EXPECT_MEM(a.out, a.out_len, "<abc>\nd[mid]ef\n!", 16);
    if (a.out) EXPECT_INT(a.out[a.out_len], 0); /* terminated */
    if (!a.rc) {
        static const size_t offsets[] = {0, 3, 5, 8};
        static const char *const texts[] = {"<", ">", "[mid]", "!"};
        for (unsigned i = 0; i < 4; i++) {
            EXPECT_INT(a.ins[i].offset, offsets[i]);
            EXPECT_MEM(a.ins[i].text, a.ins[i].len, texts[i], strlen(texts[i]));
            EXPECT_INT(a.ins[i].site, i + 1);
        }
    }
    applied_free(&a);
    sst_edits_free(&e);
    EXPECT_INT(e.n, 0);
    CU_ASSERT_PTR_NULL(e.v);
    sst_source_free(&src);
}

/* Only part of each text is inserted when the length says so. */
static void test_length_not_terminator(void)
{
    const char bytes[] = "x = 1\n";
    sst_source src;
    sst_error err = {0};
    CU_ASSERT_FATAL(sst_source_load(&src, bytes, 6, &err) == 0);
    sst_edits e = {0};
    EXPECT_INT(sst_edits_add(&e, 4, "(2)-ignored", 3, 7), 0);
    applied a;
    apply(&a, &e, &src);
    EXPECT_INT(a.rc, 0);
    EXPECT_MEM(a.out, a.out_len, "x = (2)1\n", 9);
    if (!a.rc) EXPECT_INT(a.ins[0].len, 3);
    applied_free(&a);
    sst_edits_free(&e);
    sst_source_free(&src);
}

static void test_same_offset_order(void)
{
    const char bytes[] = "f(x)\n";
    sst_source src;
    sst_error err = {0};
    CU_ASSERT_FATAL(sst_source_load(&src, bytes, 5, &err) == 0);
    sst_edits e = {0};
    add(&e, 0, "first; ", 1);
    add(&e, 0, "second(", 2);
    add(&e, 0, "third(", 3);
    add(&e, 4, ")", 3);
    add(&e, 4, ")", 2);
    applied a;
    apply(&a, &e, &src);
    EXPECT_INT(a.rc, 0);
    EXPECT_MEM(a.out, a.out_len, "first; second(third(f(x)))\n", 27);
    if (!a.rc) {
        EXPECT_INT(a.ins[0].site, 1);
        EXPECT_INT(a.ins[1].site, 2);
        EXPECT_INT(a.ins[2].site, 3);
        EXPECT_INT(a.ins[3].offset, 4);
        EXPECT_INT(a.ins[4].offset, 4);
    }
    applied_free(&a);
    sst_edits_free(&e);
    sst_source_free(&src);
}

static void test_out_of_order(void)
{
    const char bytes[] = "abcdef\n";
    sst_source src;
    sst_error err = {0};
    CU_ASSERT_FATAL(sst_source_load(&src, bytes, 7, &err) == 0);
    sst_edits e = {0};
    add(&e, 5, "late", 1);
    EXPECT_INT(sst_edits_add(&e, 2, "early", 5, 2), SST_EBUG);
    EXPECT_INT(e.out_of_order, 1);
    EXPECT_INT(e.n, 1); /* the refused edit is not kept */
    /* later edits in order are still accepted, but the buffer stays marked */
    add(&e, 6, "more", 3);
    EXPECT_INT(e.out_of_order, 1);

    applied a;
    apply(&a, &e, &src);
    EXPECT_INT(a.rc, SST_EBUG);
    EXPECT_INT(a.err.code, SST_EBUG);
    EXPECT_STR(a.err.message, "internal error: an insertion was planned out of order");
    CU_ASSERT_PTR_NULL(a.out);
    CU_ASSERT_PTR_NULL(a.ins);
    applied_free(&a);
    sst_edits_free(&e);
    EXPECT_INT(e.out_of_order, 0);
    sst_source_free(&src);
}

static void test_nothing_to_apply(void)
{
    const char bytes[] = "x\r\ny\r\n";
    sst_source src;
    sst_error err = {0};
    CU_ASSERT_FATAL(sst_source_load(&src, bytes, 6, &err) == 0);
    sst_edits e = {0};
    applied a;
    apply(&a, &e, &src);
    EXPECT_INT(a.rc, 0);
    EXPECT_MEM(a.out, a.out_len, bytes, 6);
    CU_ASSERT(a.out != bytes);
    applied_free(&a);
    sst_source_free(&src);
}

/* Inserted text never joins a keyword or name beside it (`return-x`,
 * `match-x:`): a space goes between, as part of the insertion; two
 * insertions at one offset are kept apart too. A BOM is no name. */
static void test_names_never_join(void)
{
    const char bytes[] = "return-x\ny = a\nz = b\n";
    sst_source src;
    sst_error err = {0};
    CU_ASSERT_FATAL(sst_source_load(&src, bytes, 21, &err) == 0);
    sst_edits e = {0};
    add(&e, 6, "f(", 1);    /* after "return", before "-" */
    add(&e, 8, ")", 2);
    add(&e, 13, "g", 3);    /* before "a", then another insertion: " h(" keeps them apart */
    add(&e, 13, "h(", 4);
    add(&e, 14, ")", 5);
    add(&e, 19, "q", 6);    /* before "b": a space after it */
    applied a;
    apply(&a, &e, &src);
    EXPECT_INT(a.rc, 0);
    EXPECT_MEM(a.out, a.out_len, "return f(-x)\ny = g h(a)\nz = q b\n", 32);
    if (!a.rc) {
        static const char *const texts[] = {" f(", ")", "g", " h(", ")", "q "};
        for (unsigned i = 0; i < 6; i++) EXPECT_MEM(a.ins[i].text, a.ins[i].len, texts[i], strlen(texts[i]));
    }
    applied_free(&a);
    sst_edits_free(&e);
    sst_source_free(&src);
}

/* After a BOM the parsed text starts at byte 3: text offset 0 is byte 3. */
static void test_bom_offsets(void)
{
    const char bytes[] = "\xef\xbb\xbfx = 1\n";
    sst_source src;
    sst_error err = {0};
    CU_ASSERT_FATAL(sst_source_load(&src, bytes, 9, &err) == 0);
    sst_edits e = {0};
    add(&e, 0, "A; ", 1);
    add(&e, 4, "+", 2);
    applied a;
    apply(&a, &e, &src);
    EXPECT_INT(a.rc, 0);
    EXPECT_MEM(a.out, a.out_len, "\xef\xbb\xbf" "A; x = +1\n", 13);
    if (!a.rc) {
        EXPECT_INT(a.ins[0].offset, 3);
        EXPECT_INT(a.ins[1].offset, 7);
    }
    applied_free(&a);
    sst_edits_free(&e);
    sst_source_free(&src);
}

/* A latin-1 file: the parser sees UTF-8 (2 bytes per e-acute), the edits are
 * made at UTF-8 offsets, and apply puts them at the original byte offsets,
 * with non-ASCII inserted text converted to latin-1. */
static void test_latin1_offsets(void)
{
    /* line 1: 26 bytes; line 2 "x = 'ete'\n" with two e-acutes: 10 bytes
     * (12 in UTF-8); "y = 1\n" starts at byte 36 (text offset 38) */
    const char bytes[] = "# -*- coding: latin-1 -*-\nx = '\xe9t\xe9'\ny = 1\n";
    size_t len = sizeof bytes - 1;
    sst_source src;
    sst_error err = {0};
    CU_ASSERT_FATAL(sst_source_load(&src, bytes, len, &err) == 0);
    EXPECT_STR(src.encoding, "latin-1");
    EXPECT_INT(src.text_len, len + 2);
    CU_ASSERT_FATAL(src.text_len == len + 2);
    /* the text offsets used below are where the parser sees t, y and the end */
    CU_ASSERT(src.text[33] == 't' && src.text[38] == 'y');
    sst_edits e = {0};
    add(&e, 33, "<", 1);
    add(&e, 38, "z = '\xc3\xbc'; ", 2); /* u-umlaut in UTF-8 */
    add(&e, src.text_len, "# end\n", 3);
    applied a;
    apply(&a, &e, &src);
    EXPECT_INT(a.rc, 0);
    const char expected[] = "# -*- coding: latin-1 -*-\nx = '\xe9<t\xe9'\nz = '\xfc'; y = 1\n# end\n";
    EXPECT_MEM(a.out, a.out_len, expected, sizeof expected - 1);
    if (!a.rc) {
        EXPECT_INT(a.ins[0].offset, 32);
        EXPECT_INT(a.ins[1].offset, 36);
        EXPECT_MEM(a.ins[1].text, a.ins[1].len, "z = '\xfc'; ", 9);
        EXPECT_INT(a.ins[2].offset, len);
    }
    applied_free(&a);
    sst_edits_free(&e);
    sst_source_free(&src);
}

/* Text that the file's encoding cannot hold is an error, not mojibake. */
static void test_latin1_unrepresentable(void)
{
    const char bytes[] = "# coding: latin-1\nx = 1\n";
    sst_source src;
    sst_error err = {0};
    CU_ASSERT_FATAL(sst_source_load(&src, bytes, sizeof bytes - 1, &err) == 0);
    sst_edits e = {0};
    add(&e, 18, "euro = '\xe2\x82\xac'; ", 1);
    applied a;
    apply(&a, &e, &src);
    EXPECT_INT(a.rc, SST_EINVAL);
    EXPECT_INT(a.err.code, SST_EINVAL);
    EXPECT_STR(a.err.message, "inserted text is not representable in latin-1");
    CU_ASSERT_PTR_NULL(a.out);
    applied_free(&a);
    sst_edits_free(&e);
    sst_source_free(&src);
}

/* Growth past the first allocation keeps every edit. */
static void test_many(void)
{
    enum { N = 1000 };
    static char bytes[N + 1];
    memset(bytes, '.', N);
    sst_source src;
    sst_error err = {0};
    CU_ASSERT_FATAL(sst_source_load(&src, bytes, N, &err) == 0);
    sst_edits e = {0};
    int added = 1;
    for (size_t i = 0; i < N; i++) added &= sst_edits_add(&e, i, "#", 1, (unsigned)i) == 0;
    CU_ASSERT(added);
    EXPECT_INT(e.n, N);
    applied a;
    apply(&a, &e, &src);
    EXPECT_INT(a.rc, 0);
    EXPECT_INT(a.out_len, 2 * N);
    int ok = a.out != NULL;
    for (size_t i = 0; ok && i < N; i++) ok = a.out[2 * i] == '#' && a.out[2 * i + 1] == '.';
    CU_ASSERT(ok);
    applied_free(&a);
    sst_edits_free(&e);
    sst_source_free(&src);
}

int main(void)
{
    static const sst_test tests[] = {
        {"in_order", test_in_order},
        {"length_not_terminator", test_length_not_terminator},
        {"same_offset_order", test_same_offset_order},
        {"out_of_order", test_out_of_order},
        {"nothing_to_apply", test_nothing_to_apply},
        {"names_never_join", test_names_never_join},
        {"bom_offsets", test_bom_offsets},
        {"latin1_offsets", test_latin1_offsets},
        {"latin1_unrepresentable", test_latin1_unrepresentable},
        {"many", test_many},
    };
    return run_suite("edits", NULL, NULL, tests, sizeof tests / sizeof *tests, NULL);
}
