/* CUnit suite for source.c: UTF-8 with and without BOM, PEP 263 cookies on
 * line 1 and 2 (and not 3), LF/CRLF/CR line ends in cookie detection, latin-1
 * transcoding with its offset map back to the original bytes, the errors for
 * what Python could not decode, and re-encoding of inserted text. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <CUnit/Basic.h>

#include "expect.h"

#include "source.h"

/* Loads a string literal (its bytes without the terminator). */
#define LOAD(src, literal, err) sst_source_load((src), (literal), sizeof(literal) - 1, (err))

static void test_utf8_plain(void)
{
    const char bytes[] = "x = 1\ns = 'caf\xc3\xa9'\n";
    sst_source src;
    sst_error err = {0};
    EXPECT_INT(LOAD(&src, bytes, &err), 0);
    EXPECT_STR(src.encoding, "utf-8");
    EXPECT_STR(src.iconv_name, "");
    EXPECT_INT(src.base, 0);
    CU_ASSERT_PTR_NULL(src.map);
    CU_ASSERT_PTR_NULL(src.owned_text);
    CU_ASSERT(src.text == bytes); /* UTF-8 is parsed in place */
    EXPECT_INT(src.text_len, sizeof bytes - 1);
    EXPECT_INT(src.cookie_line, 0);
    EXPECT_INT(src.shebang, 0);
    EXPECT_INT(sst_source_offset(&src, 0), 0);
    EXPECT_INT(sst_source_offset(&src, 17), 17);
    EXPECT_INT(err.code, 0); /* a succeeding call leaves the error alone */
    sst_source_free(&src);
}

static void test_empty(void)
{
    sst_source src;
    sst_error err = {0};
    EXPECT_INT(sst_source_load(&src, "", 0, &err), 0);
    EXPECT_STR(src.encoding, "utf-8");
    EXPECT_INT(src.text_len, 0);
    EXPECT_INT(src.cookie_line, 0);
    sst_source_free(&src);
}

static void test_bom(void)
{
    const char bytes[] = "\xef\xbb\xbfx = 1\n";
    sst_source src;
    sst_error err = {0};
    EXPECT_INT(LOAD(&src, bytes, &err), 0);
    EXPECT_STR(src.encoding, "utf-8-sig");
    EXPECT_STR(src.iconv_name, "");
    EXPECT_INT(src.base, 3);
    CU_ASSERT(src.text == bytes + 3);
    EXPECT_INT(src.text_len, 6);
    CU_ASSERT_PTR_NULL(src.map);
    EXPECT_INT(src.cookie_line, 0);
    EXPECT_INT(sst_source_offset(&src, 0), 3);
    EXPECT_INT(sst_source_offset(&src, 4), 7);
    EXPECT_INT(sst_source_offset(&src, 6), 9);
    sst_source_free(&src);

    /* a BOM and a UTF-8 cookie agree */
    const char agree[] = "\xef\xbb\xbf# -*- coding: utf-8 -*-\nx = 1\n";
    EXPECT_INT(LOAD(&src, agree, &err), 0);
    EXPECT_STR(src.encoding, "utf-8-sig");
    EXPECT_INT(src.cookie_line, 1);
    EXPECT_INT(src.base, 3);
    sst_source_free(&src);
}

typedef struct cookie_case {
    const char *bytes;
    const char *encoding;
    const char *iconv_name;
    unsigned cookie_line;
} cookie_case;

static void check_cookies(const cookie_case *cases, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        sst_source src;
        sst_error err = {0};
        int rc = sst_source_load(&src, cases[i].bytes, strlen(cases[i].bytes), &err);
        int ok = rc == 0 && !strcmp(src.encoding, cases[i].encoding) &&
                 !strcmp(src.iconv_name, cases[i].iconv_name) && src.cookie_line == cases[i].cookie_line;
        if (!ok) {
            printf("\n    case %zu: rc %d, encoding \"%s\" (iconv \"%s\") cookie line %u; expected "
                   "\"%s\" (\"%s\") line %u\n", i, rc, src.encoding, src.iconv_name, src.cookie_line,
                   cases[i].encoding, cases[i].iconv_name, cases[i].cookie_line);
            show("input", cases[i].bytes, strlen(cases[i].bytes));
            if (rc) printf("      error: %s\n", err.message);
        }
        CU_ASSERT(ok);
        if (!rc) sst_source_free(&src);
    }
}

static void test_cookie_line1(void)
{
    static const cookie_case cases[] = {
        {"# -*- coding: latin-1 -*-\nx = 1\n", "latin-1", "ISO-8859-1", 1},
        {"# vim: set fileencoding=iso-8859-1 :\nx = 1\n", "latin-1", "ISO-8859-1", 1},
        {"#coding=Latin_1\n", "latin-1", "ISO-8859-1", 1},
        {"# This file's encoding: latin1\n", "latin-1", "ISO-8859-1", 1},
        {" \t\f# coding: utf8\nx = 1\n", "utf-8", "", 1},
        {"# coding: UTF-8\n", "utf-8", "", 1},
        {"# coding: ascii\nx = 1\n", "ascii", "ASCII", 1},
        /* not a comment line: no cookie */
        {"x = 1  # coding: latin-1\n", "utf-8", "", 0},
        /* "coding" without ':' or '=' */
        {"# coding latin-1\n", "utf-8", "", 0},
    };
    check_cookies(cases, sizeof cases / sizeof *cases);
}

static void test_cookie_line2(void)
{
    static const cookie_case cases[] = {
        {"#!/usr/bin/env python\n# -*- coding: latin-1 -*-\nx = 1\n", "latin-1", "ISO-8859-1", 2},
        {"\n# coding: latin-1\n", "latin-1", "ISO-8859-1", 2},
        {"   \t\n# coding: latin-1\n", "latin-1", "ISO-8859-1", 2},
        {"# just a comment\n# coding: latin-1\n", "latin-1", "ISO-8859-1", 2},
        /* line 1 is code: line 2 is not looked at */
        {"import os\n# coding: latin-1\n", "utf-8", "", 0},
        /* line 1 holds a cookie: it wins over line 2 */
        {"# coding: utf-8\n# coding: latin-1\n", "utf-8", "", 1},
    };
    check_cookies(cases, sizeof cases / sizeof *cases);

    sst_source src;
    sst_error err = {0};
    EXPECT_INT(LOAD(&src, "#!/usr/bin/env python\n# coding: latin-1\n", &err), 0);
    EXPECT_INT(src.shebang, 1);
    sst_source_free(&src);
}

/* Only lines 1 and 2 can hold a cookie: on line 3 it is an ordinary comment
 * and the file is UTF-8 (Python agrees). */
static void test_cookie_line3_ignored(void)
{
    static const cookie_case cases[] = {
        {"#!/usr/bin/env python\n# comment\n# coding: latin-1\nx = 1\n", "utf-8", "", 0},
        {"\n\n# coding: latin-1\n", "utf-8", "", 0},
    };
    check_cookies(cases, sizeof cases / sizeof *cases);
}

/* CRLF and a lone CR end lines as LF does. With "# hello\r# coding..." a
 * loader that ignored lone CRs would see one comment line holding the cookie
 * and report it on line 1. */
static void test_cookie_line_ends(void)
{
    static const cookie_case cases[] = {
        {"#!/usr/bin/env python\r\n# coding: latin-1\r\nx = 1\r\n", "latin-1", "ISO-8859-1", 2},
        {"# coding: latin-1\r\nx = 1\r\n", "latin-1", "ISO-8859-1", 1},
        {"# hello\r# coding: latin-1\rx = 1\r", "latin-1", "ISO-8859-1", 2},
        {"# coding: latin-1\rx = 1\r", "latin-1", "ISO-8859-1", 1},
        {"x = 1\r# coding: latin-1\r", "utf-8", "", 0},
        {"\r\n\r\n# coding: latin-1\r\n", "utf-8", "", 0},
        {"\r\r# coding: latin-1\r", "utf-8", "", 0},
    };
    check_cookies(cases, sizeof cases / sizeof *cases);

    /* the line ends survive transcoding byte for byte */
    const char crlf[] = "#!/usr/bin/env python\r\n# coding: latin-1\r\nx = '\xe9'\r\n";
    sst_source src;
    sst_error err = {0};
    EXPECT_INT(LOAD(&src, crlf, &err), 0);
    EXPECT_MEM(src.text, src.text_len, "#!/usr/bin/env python\r\n# coding: latin-1\r\nx = '\xc3\xa9'\r\n",
               sizeof crlf);
    sst_source_free(&src);
}

/* A latin-1 file is transcoded to UTF-8 for the parser; every text offset
 * maps back to the byte it came from, the end to the end. */
static void test_latin1_map(void)
{
    /* "# coding: latin-1\n" is 18 bytes; e-acute at byte 23, y-diaeresis at 24 */
    const char bytes[] = "# coding: latin-1\ns = '\xe9\xff'\n";
    size_t len = sizeof bytes - 1;
    sst_source src;
    sst_error err = {0};
    EXPECT_INT(LOAD(&src, bytes, &err), 0);
    EXPECT_STR(src.encoding, "latin-1");
    EXPECT_INT(src.cookie_line, 1);
    CU_ASSERT_PTR_NOT_NULL(src.owned_text);
    CU_ASSERT_PTR_NOT_NULL_FATAL(src.map);
    CU_ASSERT(src.text == src.owned_text);
    EXPECT_MEM(src.text, src.text_len, "# coding: latin-1\ns = '\xc3\xa9\xc3\xbf'\n", len + 2);
    CU_ASSERT_FATAL(src.text_len == len + 2);
    EXPECT_INT(src.text[src.text_len], 0);
    static const size_t expected[][2] = {
        {0, 0}, {17, 17}, {18, 18}, {22, 22}, /* ASCII before: one to one */
        {23, 23}, {24, 23},                   /* both bytes of e-acute */
        {25, 24}, {26, 24},                   /* both bytes of y-diaeresis */
        {27, 25}, {28, 26},                   /* quote and newline after */
        {29, 27},                             /* the end */
    };
    for (size_t i = 0; i < sizeof expected / sizeof *expected; i++) {
        size_t got = sst_source_offset(&src, expected[i][0]);
        if (got != expected[i][1])
            printf("\n    text offset %zu maps to %zu, expected %zu\n", expected[i][0], got, expected[i][1]);
        CU_ASSERT(got == expected[i][1]);
    }
    sst_source_free(&src);
    CU_ASSERT_PTR_NULL(src.map);
    CU_ASSERT_PTR_NULL(src.owned_text);
}

/* An ASCII cookie is transcoded too (checking every byte); the text is equal. */
static void test_ascii_cookie(void)
{
    const char bytes[] = "# coding: ascii\nx = 1\n";
    sst_source src;
    sst_error err = {0};
    EXPECT_INT(LOAD(&src, bytes, &err), 0);
    EXPECT_STR(src.encoding, "ascii");
    EXPECT_MEM(src.text, src.text_len, bytes, sizeof bytes - 1);
    EXPECT_INT(sst_source_offset(&src, 16), 16);
    sst_source_free(&src);
}

static void test_bom_contradicts_cookie(void)
{
    sst_source src;
    sst_error err = {0};
    EXPECT_INT(LOAD(&src, "\xef\xbb\xbf# coding: latin-1\nx = 1\n", &err), SST_EINVAL);
    EXPECT_INT(err.code, SST_EINVAL);
    EXPECT_INT(err.line, 1);
    EXPECT_STR(err.message, "a UTF-8 byte order mark contradicts the coding cookie 'latin-1'");
    sst_source_free(&src);

    sst_error err2 = {0};
    EXPECT_INT(LOAD(&src, "\xef\xbb\xbf#!/usr/bin/python\n# coding: iso-8859-1\n", &err2), SST_EINVAL);
    EXPECT_INT(err2.line, 2);
    EXPECT_STR(err2.message, "a UTF-8 byte order mark contradicts the coding cookie 'iso-8859-1'");
    sst_source_free(&src);
}

static void test_unknown_encoding(void)
{
    sst_source src;
    sst_error err = {0};
    EXPECT_INT(LOAD(&src, "# -*- coding: klingon -*-\nx = 1\n", &err), SST_EINVAL);
    EXPECT_INT(err.code, SST_EINVAL);
    EXPECT_STR(err.message, "unknown source encoding 'klingon'");
    sst_source_free(&src);
}

/* The error for an unknown encoding names the line of its cookie, like the
 * one for a cookie contradicting a BOM does. */
static void test_unknown_encoding_line(void)
{
    sst_source src;
    sst_error err = {0};
    EXPECT_INT(LOAD(&src, "# -*- coding: klingon -*-\n", &err), SST_EINVAL);
    EXPECT_INT(err.line, 1);
    sst_source_free(&src);
    sst_error err2 = {0};
    EXPECT_INT(LOAD(&src, "#!/usr/bin/python\n# -*- coding: klingon -*-\n", &err2), SST_EINVAL);
    EXPECT_INT(err2.line, 2);
    sst_source_free(&src);
}

static void test_invalid_in_declared(void)
{
    /* "# coding: ascii\n" 16 bytes, "x = 1\n" 6, then "y = '" puts 0xe9 at 27 */
    sst_source src;
    sst_error err = {0};
    EXPECT_INT(LOAD(&src, "# coding: ascii\nx = 1\ny = '\xe9'\n", &err), SST_EINVAL);
    EXPECT_INT(err.code, SST_EINVAL);
    EXPECT_INT(err.line, 3);
    EXPECT_STR(err.message, "byte 0xe9 at offset 27 is not valid ascii");
    CU_ASSERT_PTR_NULL(src.map);
    CU_ASSERT_PTR_NULL(src.owned_text);
    sst_source_free(&src);
}

/* The line an undecodable byte is on, counted with CRLF and lone CR ends. */
static void test_invalid_line_with_cr(void)
{
    sst_source src;
    sst_error err = {0};
    EXPECT_INT(LOAD(&src, "# coding: ascii\r\nx = 1\r\ny = '\xe9'\r\n", &err), SST_EINVAL);
    EXPECT_INT(err.line, 3);
    sst_source_free(&src);
    sst_error err2 = {0};
    EXPECT_INT(LOAD(&src, "# coding: ascii\rx = 1\ry = '\xe9'\r", &err2), SST_EINVAL);
    EXPECT_INT(err2.line, 3);
    EXPECT_STR(err2.message, "byte 0xe9 at offset 27 is not valid ascii");
    sst_source_free(&src);
}

/* A file with no cookie is UTF-8; Python cannot decode one that is not valid
 * UTF-8 ("SyntaxError: (unicode error) 'utf-8' codec can't decode byte 0xe9",
 * line 2 here), so the loader must refuse it (source.h: "bytes invalid in the
 * declared one"), in the same words as for other encodings. */
static void test_invalid_utf8(void)
{
    sst_source src;
    sst_error err = {0};
    int rc = LOAD(&src, "x = 1\ny = '\xe9'\n", &err);
    EXPECT_INT(rc, SST_EINVAL);
    EXPECT_INT(err.line, 2);
    EXPECT_STR(err.message, "byte 0xe9 at offset 11 is not valid utf-8");
    sst_source_free(&src);
    sst_error err2 = {0};
    rc = LOAD(&src, "# coding: utf-8\nx = '\xff'\n", &err2);
    EXPECT_INT(rc, SST_EINVAL);
    EXPECT_INT(err2.line, 2);
    sst_source_free(&src);
}

static void test_encode(void)
{
    sst_source latin, utf8, ascii;
    sst_error err = {0};
    CU_ASSERT_FATAL(LOAD(&latin, "# coding: latin-1\n", &err) == 0);
    CU_ASSERT_FATAL(LOAD(&utf8, "\xef\xbb\xbfx = 1\n", &err) == 0);
    CU_ASSERT_FATAL(LOAD(&ascii, "# coding: ascii\n", &err) == 0);
    size_t n = 0;

    char *out = sst_source_encode(&latin, "\xc3\xa9 = '\xc3\xbc'", 9, &n);
    EXPECT_MEM(out, n, "\xe9 = '\xfc'", 7);
    if (out) EXPECT_INT(out[n], 0);
    free(out);

    n = 12345;
    out = sst_source_encode(&latin, "x = '\xe2\x82\xac'", 9, &n); /* the euro sign */
    CU_ASSERT_PTR_NULL(out);
    free(out);

    out = sst_source_encode(&latin, "plain ascii", 11, &n);
    EXPECT_MEM(out, n, "plain ascii", 11);
    free(out);

    out = sst_source_encode(&ascii, "\xc3\xa9", 2, &n);
    CU_ASSERT_PTR_NULL(out);
    free(out);

    out = sst_source_encode(&utf8, "\xc3\xa9\xe2\x82\xac", 5, &n);
    EXPECT_MEM(out, n, "\xc3\xa9\xe2\x82\xac", 5);
    free(out);

    out = sst_source_encode(&utf8, "", 0, &n);
    EXPECT_MEM(out, n, "", 0);
    free(out);

    sst_source_free(&latin);
    sst_source_free(&utf8);
    sst_source_free(&ascii);
}

static void test_shebang(void)
{
    sst_source src;
    sst_error err = {0};
    EXPECT_INT(LOAD(&src, "#!/usr/bin/python3\nx = 1\n", &err), 0);
    EXPECT_INT(src.shebang, 1);
    sst_source_free(&src);
    EXPECT_INT(LOAD(&src, "# !/usr/bin/python3\n", &err), 0);
    EXPECT_INT(src.shebang, 0);
    sst_source_free(&src);
    EXPECT_INT(LOAD(&src, "#", &err), 0);
    EXPECT_INT(src.shebang, 0);
    sst_source_free(&src);
}

int main(void)
{
    static const sst_test tests[] = {
        {"utf8_plain", test_utf8_plain},
        {"empty", test_empty},
        {"bom", test_bom},
        {"cookie_line1", test_cookie_line1},
        {"cookie_line2", test_cookie_line2},
        {"cookie_line3_ignored", test_cookie_line3_ignored},
        {"cookie_line_ends", test_cookie_line_ends},
        {"latin1_map", test_latin1_map},
        {"ascii_cookie", test_ascii_cookie},
        {"bom_contradicts_cookie", test_bom_contradicts_cookie},
        {"unknown_encoding", test_unknown_encoding},
        {"unknown_encoding_line", test_unknown_encoding_line},
        {"invalid_in_declared", test_invalid_in_declared},
        {"invalid_line_with_cr", test_invalid_line_with_cr},
        {"invalid_utf8", test_invalid_utf8},
        {"encode", test_encode},
        {"shebang", test_shebang},
    };
    return run_suite("source", NULL, NULL, tests, sizeof tests / sizeof *tests, NULL);
}
