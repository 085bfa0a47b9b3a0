/* CUnit suite for the public entry sst_rewrite_buffer (rewrite.c, and the
 * names of error.c): statuses, the errors a caller must see, sites with their
 * ids, kinds, lines, character columns and paths, insertions that rebuild the
 * output from the input, added lines, encodings, and the three profiles. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <CUnit/Basic.h>

#include "expect.h"

#include <sst/rewrite.h>

/* A string literal and its length without the terminator. */
#define LIT(s) (s), (sizeof(s) - 1)

/* Loaded once; shared read-only by every test. */
static sst_catalog *catalog;
static int init_failed;

static int suite_init(void)
{
    sst_error err = {0};
    if (sst_catalog_load_builtin(&catalog, &err)) {
        fprintf(stderr, "built-in catalogue: %s:%u: %s\n", err.path, err.line, err.message);
        init_failed = 1;
        return 1;
    }
    return 0;
}

static int suite_clean(void)
{
    sst_catalog_free(catalog);
    catalog = NULL;
    return 0;
}

/* An error record no successful call may touch. */
static void untouched_error(sst_error *err)
{
    memset(err, 0, sizeof *err);
    err->code = 12345;
    snprintf(err->message, sizeof err->message, "untouched");
}

/* Rewrites INPUT with PROFILE; the call must succeed and leave ERR alone. */
static sst_result *rewrite(const char *input, size_t len, sst_profile profile)
{
    sst_options options = {.catalog = catalog, .profile = profile};
    sst_result *r = NULL;
    sst_error err;
    untouched_error(&err);
    int rc = sst_rewrite_buffer(&r, "app.py", input, len, &options, &err);
    if (rc) printf("\n    sst_rewrite_buffer: %d: %s:%u: %s\n", rc, err.path, err.line, err.message);
    CU_ASSERT(rc == 0);
    CU_ASSERT(err.code == 12345 && !strcmp(err.message, "untouched"));
    if (rc) return NULL;
    CU_ASSERT_PTR_NOT_NULL(r);
    if (r) CU_ASSERT(r->output && r->output[r->output_len] == 0);
    return r;
}

static size_t count_lines(const char *s, size_t len)
{
    size_t lines = 0;
    for (size_t i = 0; i < len; i++)
        if (s[i] == '\n' || (s[i] == '\r' && (i + 1 == len || s[i + 1] != '\n'))) lines++;
    return lines + (len && s[len - 1] != '\n' && s[len - 1] != '\r');
}

/* The insertions, applied to the input in order, give the output exactly;
 * they are sorted, belong to existing sites, and only added lines change the
 * line count. */
static void check_consistent(const char *input, size_t len, const sst_result *r)
{
    size_t total = len;
    int sorted = 1, known_sites = 1;
    for (size_t i = 0; i < r->ninsertions; i++) {
        total += r->insertions[i].len;
        if (i && r->insertions[i].offset < r->insertions[i - 1].offset) sorted = 0;
        if (r->insertions[i].offset > len) sorted = 0;
        if (r->insertions[i].site < 1 || r->insertions[i].site > r->nsites) known_sites = 0;
    }
    CU_ASSERT(sorted);
    CU_ASSERT(known_sites);
    char *rebuilt = malloc(total + 1);
    CU_ASSERT_PTR_NOT_NULL_FATAL(rebuilt);
    size_t from = 0, o = 0;
    for (size_t i = 0; sorted && i < r->ninsertions; i++) {
        size_t at = r->insertions[i].offset;
        memcpy(rebuilt + o, input + from, at - from);
        o += at - from;
        memcpy(rebuilt + o, r->insertions[i].text, r->insertions[i].len);
        o += r->insertions[i].len;
        from = at;
    }
    memcpy(rebuilt + o, input + from, len - from);
    o += len - from;
    if (sorted) EXPECT_MEM(rebuilt, o, r->output, r->output_len);
    free(rebuilt);
    EXPECT_INT(count_lines(r->output, r->output_len), count_lines(input, len) + r->nadded_lines);
    for (size_t i = 0; i < r->nsites; i++) EXPECT_INT(r->sites[i].id, i + 1);
}

typedef struct expected_site {
    sst_site_kind kind;
    unsigned line, column;
    const char *path;
} expected_site;

static void check_sites(const sst_result *r, const expected_site *want, size_t n)
{
    EXPECT_INT(r->nsites, n);
    for (size_t i = 0; i < n && i < r->nsites; i++) {
        const sst_site *s = &r->sites[i];
        int ok = s->id == i + 1 && s->kind == want[i].kind && s->line == want[i].line &&
                 s->column == want[i].column &&
                 (want[i].path ? s->path && !strcmp(s->path, want[i].path) : !s->path);
        if (!ok)
            printf("\n    site %zu: id %u %s %u:%u %s; expected %s %u:%u %s\n", i + 1, s->id,
                   sst_site_kind_name(s->kind), s->line, s->column, s->path ? s->path : "-",
                   sst_site_kind_name(want[i].kind), want[i].line, want[i].column,
                   want[i].path ? want[i].path : "-");
        CU_ASSERT(ok);
    }
}

/* Rewrites INPUT in PROFILE and checks the output byte for byte, the sites,
 * and that the insertions rebuild the output. */
static void expect_rewrite(const char *input, size_t len, sst_profile profile, const char *expected,
                           size_t elen, const expected_site *sites, size_t nsites)
{
    sst_result *r = rewrite(input, len, profile);
    if (!r) return;
    EXPECT_MEM(r->output, r->output_len, expected, elen);
    check_sites(r, sites, nsites);
    check_consistent(input, len, r);
    sst_result_free(r);
}

typedef struct expected_insertion {
    size_t offset;
    const char *text;
    unsigned site;
} expected_insertion;

static void check_insertions(const sst_result *r, const expected_insertion *want, size_t n)
{
    EXPECT_INT(r->ninsertions, n);
    for (size_t i = 0; i < n && i < r->ninsertions; i++) {
        const sst_insertion *in = &r->insertions[i];
        size_t wlen = strlen(want[i].text);
        int ok = in->offset == want[i].offset && in->site == want[i].site && in->len == wlen &&
                 !memcmp(in->text, want[i].text, wlen);
        if (!ok) {
            printf("\n    insertion %zu: offset %zu site %u; expected offset %zu site %u\n", i, in->offset,
                   in->site, want[i].offset, want[i].site);
            show("expected", want[i].text, wlen);
            show("actual  ", in->text, in->len);
        }
        CU_ASSERT(ok);
    }
}

/* ---- names and errors -------------------------------------------------------- */

static void test_names(void)
{
    EXPECT_STR(sst_status_name(SST_STATUS_INSTRUMENTED), "instrumented");
    EXPECT_STR(sst_status_name(SST_STATUS_UNCHANGED), "unchanged");
    EXPECT_STR(sst_status_name(SST_STATUS_ALREADY), "already");
    EXPECT_STR(sst_status_name(SST_STATUS_UNPARSEABLE), "unparseable");
    EXPECT_STR(sst_status_name((sst_status)9), "?");
    EXPECT_STR(sst_site_kind_name(SST_SITE_EXTERNAL), "external");
    EXPECT_STR(sst_site_kind_name(SST_SITE_STORE), "store");
    EXPECT_STR(sst_site_kind_name(SST_SITE_SOURCE), "source");
    EXPECT_STR(sst_site_kind_name(SST_SITE_PARAMS), "params");
    EXPECT_STR(sst_site_kind_name(SST_SITE_FLOW), "flow");
    EXPECT_STR(sst_site_kind_name(SST_SITE_PROLOGUE), "prologue");
    EXPECT_STR(sst_site_kind_name((sst_site_kind)-1), "?");
}

static void test_no_catalogue(void)
{
    const char input[] = "import requests\nrequests.post(u)\n";
    sst_result *r = NULL;
    sst_error err = {0};
    EXPECT_INT(sst_rewrite_buffer(&r, "app.py", LIT(input), NULL, &err), SST_EINVAL);
    CU_ASSERT_PTR_NULL(r);
    EXPECT_INT(err.code, SST_EINVAL);
    EXPECT_STR(err.path, "app.py");
    EXPECT_INT(err.line, 0);
    EXPECT_STR(err.message, "no catalogue given");

    sst_options options = {.catalog = NULL, .profile = SST_PROFILE_STANDARD};
    sst_error err2 = {0};
    EXPECT_INT(sst_rewrite_buffer(&r, "pkg/mod.py", LIT(input), &options, &err2), SST_EINVAL);
    CU_ASSERT_PTR_NULL(r);
    EXPECT_STR(err2.path, "pkg/mod.py");
    EXPECT_STR(err2.message, "no catalogue given");
    sst_result_free(NULL); /* freeing nothing is fine */
}

/* ---- statuses --------------------------------------------------------------- */

static void test_instrumented(void)
{
    const char input[] =
        "import requests\n"
        "def send(email, url):\n"
        "    requests.post(url, json=email)\n";
    const char expected[] =
        "import sst_runtime as __sst__; __sst__.abi(1); import requests\n"
        "def send(email, url):\n"
        "    __sst__.params((\"email\",), email); "
        "__sst__.external(\"requests.post\", requests.post, (url, email))(url, json=email)\n";
    sst_result *r = rewrite(LIT(input), SST_PROFILE_STANDARD);
    if (!r) return;
    EXPECT_INT(r->status, SST_STATUS_INSTRUMENTED);
    EXPECT_STR(r->encoding, "utf-8");
    EXPECT_MEM(r->output, r->output_len, expected, sizeof expected - 1);
    static const expected_site sites[] = {
        {SST_SITE_PROLOGUE, 1, 0, NULL},
        {SST_SITE_PARAMS, 2, 0, NULL},
        {SST_SITE_EXTERNAL, 3, 4, "requests.post"},
    };
    check_sites(r, sites, 3);
    /* "    requests.post" starts at byte 42, its callee ends at 55 */
    static const expected_insertion ins[] = {
        {0, "import sst_runtime as __sst__; __sst__.abi(1); ", 1},
        {42, "__sst__.params((\"email\",), email); ", 2},
        {42, "__sst__.external(\"requests.post\", ", 3},
        {55, ", (url, email))", 3},
    };
    check_insertions(r, ins, 4);
    EXPECT_INT(r->nadded_lines, 0);
    CU_ASSERT_PTR_NULL(r->added_lines);
    EXPECT_INT(r->problem_line, 0);
    EXPECT_STR(r->problem, "");
    check_consistent(LIT(input), r);

    /* the output is recognised as instrumented: rewriting it again is a no-op */
    sst_result *again = rewrite(r->output, r->output_len, SST_PROFILE_STANDARD);
    if (again) {
        EXPECT_INT(again->status, SST_STATUS_ALREADY);
        EXPECT_MEM(again->output, again->output_len, r->output, r->output_len);
    }
    sst_result_free(again);
    sst_result_free(r);
}

static void check_passed_through(const sst_result *r, const char *input, size_t len, sst_status status)
{
    EXPECT_INT(r->status, status);
    EXPECT_MEM(r->output, r->output_len, input, len);
    CU_ASSERT(r->output != input);
    EXPECT_INT(r->nsites, 0);
    CU_ASSERT_PTR_NULL(r->sites);
    EXPECT_INT(r->ninsertions, 0);
    CU_ASSERT_PTR_NULL(r->insertions);
    EXPECT_INT(r->nadded_lines, 0);
    CU_ASSERT_PTR_NULL(r->added_lines);
}

static void test_unchanged(void)
{
    const char plain[] = "x = 1\n";
    sst_result *r = rewrite(LIT(plain), SST_PROFILE_FULL);
    if (r) {
        check_passed_through(r, LIT(plain), SST_STATUS_UNCHANGED);
        EXPECT_STR(r->encoding, "utf-8");
        EXPECT_INT(r->problem_line, 0);
    }
    sst_result_free(r);

    /* minimal profile, a function and no sink: the prologue alone is not worth it */
    const char def[] = "def f(email):\n    return g(email)\n";
    r = rewrite(LIT(def), SST_PROFILE_MINIMAL);
    if (r) check_passed_through(r, LIT(def), SST_STATUS_UNCHANGED);
    sst_result_free(r);

    /* an empty file */
    r = rewrite("", 0, SST_PROFILE_STANDARD);
    if (r) {
        EXPECT_INT(r->status, SST_STATUS_UNCHANGED);
        EXPECT_INT(r->output_len, 0);
    }
    sst_result_free(r);
}

static void test_already(void)
{
    const char input[] =
        "import sst_runtime as __sst__; __sst__.abi(1); import requests\n"
        "requests.post(u)\n";
    sst_result *r = rewrite(LIT(input), SST_PROFILE_STANDARD);
    if (r) check_passed_through(r, LIT(input), SST_STATUS_ALREADY);
    sst_result_free(r);
}

typedef struct unparseable_case {
    const char *input;
    unsigned line;
    const char *problem;
    const char *encoding;
} unparseable_case;

static void test_unparseable(void)
{
    static const unparseable_case cases[] = {
        {"import requests\nprint 'hello'\nrequests.post(u)\n", 2, "a Python 2 print statement", "utf-8"},
        {"import requests\nx = (1 + 2\nrequests.post(u)\n", 2, "a syntax error", "utf-8"},
        {"import requests\n\ndef f(:\n    requests.post(u)\n", 3, "a missing token", "utf-8"},
        {"# -*- coding: klingon -*-\nimport requests\nrequests.post(u)\n", 1,
         "unknown source encoding 'klingon'", "klingon"},
        {"\xef\xbb\xbf# coding: latin-1\nimport requests\nrequests.post(u)\n", 1,
         "a UTF-8 byte order mark contradicts the coding cookie 'latin-1'", "latin-1"},
        {"# coding: ascii\nimport requests\nrequests.post('\xe9')\n", 3,
         "byte 0xe9 at offset 47 is not valid ascii", "ascii"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        size_t len = strlen(cases[i].input);
        sst_result *r = rewrite(cases[i].input, len, SST_PROFILE_STANDARD);
        if (!r) continue;
        check_passed_through(r, cases[i].input, len, SST_STATUS_UNPARSEABLE);
        int ok = r->problem_line == cases[i].line && !strcmp(r->problem, cases[i].problem) &&
                 !strcmp(r->encoding, cases[i].encoding);
        if (!ok)
            printf("\n    case %zu: line %u \"%s\" (encoding %s); expected line %u \"%s\" (%s)\n", i,
                   r->problem_line, r->problem, r->encoding, cases[i].line, cases[i].problem,
                   cases[i].encoding);
        CU_ASSERT(ok);
        sst_result_free(r);
    }
}

/* ---- sites, columns, encodings -------------------------------------------------- */

/* The column of a site counts characters: "é" before it is one column. */
static void test_columns_in_characters(void)
{
    const char input[] = "import requests\nx = \"h\xc3\xa9llo\"; requests.post(x)\n";
    const char expected[] =
        "import sst_runtime as __sst__; __sst__.abi(1); import requests\n"
        "x = \"h\xc3\xa9llo\"; __sst__.external(\"requests.post\", requests.post, (x,))(x)\n";
    sst_result *r = rewrite(LIT(input), SST_PROFILE_STANDARD);
    if (!r) return;
    EXPECT_INT(r->status, SST_STATUS_INSTRUMENTED);
    EXPECT_MEM(r->output, r->output_len, expected, sizeof expected - 1);
    static const expected_site sites[] = {
        {SST_SITE_PROLOGUE, 1, 0, NULL},
        {SST_SITE_EXTERNAL, 2, 13, "requests.post"}, /* byte 14 of its line */
    };
    check_sites(r, sites, 2);
    check_consistent(LIT(input), r);
    sst_result_free(r);
}

/* A latin-1 file: columns in characters, insertions at the original byte
 * offsets, the output still latin-1 byte for byte. */
static void test_latin1(void)
{
    const char input[] =
        "# -*- coding: latin-1 -*-\n"
        "import requests\n"
        "x = '\xe9t\xe9'; requests.post(x)\n";
    const char expected[] =
        "# -*- coding: latin-1 -*-\n"
        "import sst_runtime as __sst__; __sst__.abi(1); import requests\n"
        "x = '\xe9t\xe9'; __sst__.external(\"requests.post\", requests.post, (x,))(x)\n";
    sst_result *r = rewrite(LIT(input), SST_PROFILE_STANDARD);
    if (!r) return;
    EXPECT_INT(r->status, SST_STATUS_INSTRUMENTED);
    EXPECT_STR(r->encoding, "latin-1");
    EXPECT_MEM(r->output, r->output_len, expected, sizeof expected - 1);
    static const expected_site sites[] = {
        {SST_SITE_PROLOGUE, 2, 0, NULL},             /* not on the cookie line */
        {SST_SITE_EXTERNAL, 3, 11, "requests.post"},
    };
    check_sites(r, sites, 2);
    /* line 3 starts at byte 42; "requests" is 11 bytes into it in latin-1 */
    static const expected_insertion ins[] = {
        {26, "import sst_runtime as __sst__; __sst__.abi(1); ", 1},
        {53, "__sst__.external(\"requests.post\", ", 2},
        {66, ", (x,))", 2},
    };
    check_insertions(r, ins, 3);
    check_consistent(LIT(input), r);
    sst_result_free(r);
}

/* Identifiers copied into injected text are written back in the file's
 * encoding: a latin-1 parameter name stays one byte per character. The
 * cookie line cannot take the prologue and the def cannot, so a line is added. */
static void test_latin1_identifier(void)
{
    const char input[] =
        "# coding: latin-1\n"
        "def f(\xe9mail):\n"
        "    return g(\xe9mail)\n";
    const char expected[] =
        "# coding: latin-1\n"
        "import sst_runtime as __sst__; __sst__.abi(1)\n"
        "def f(\xe9mail):\n"
        "    __sst__.params((\"\xe9mail\",), \xe9mail); return __sst__.flow((g(\xe9mail)), \xe9mail)\n";
    sst_result *r = rewrite(LIT(input), SST_PROFILE_FULL);
    if (!r) return;
    EXPECT_INT(r->status, SST_STATUS_INSTRUMENTED);
    EXPECT_STR(r->encoding, "latin-1");
    EXPECT_MEM(r->output, r->output_len, expected, sizeof expected - 1);
    static const expected_insertion ins[] = {
        {18, "import sst_runtime as __sst__; __sst__.abi(1)\n", 1},
        {36, "__sst__.params((\"\xe9mail\",), \xe9mail); ", 2},
        {43, "__sst__.flow((", 3},
        {51, "), \xe9mail)", 3},
    };
    check_insertions(r, ins, 4);
    static const expected_site sites[] = {
        {SST_SITE_PROLOGUE, 2, 0, NULL},
        {SST_SITE_PARAMS, 2, 0, NULL},
        {SST_SITE_FLOW, 3, 11, NULL},
    };
    check_sites(r, sites, 3);
    EXPECT_INT(r->nadded_lines, 1);
    if (r->nadded_lines == 1) EXPECT_INT(r->added_lines[0], 2);
    check_consistent(LIT(input), r);
    sst_result_free(r);
}

static void test_bom(void)
{
    const char input[] = "\xef\xbb\xbfimport requests\nrequests.get(u)\n";
    const char expected[] =
        "\xef\xbb\xbfimport sst_runtime as __sst__; __sst__.abi(1); import requests\n"
        "__sst__.external(\"requests.get\", requests.get, ())(u)\n";
    sst_result *r = rewrite(LIT(input), SST_PROFILE_STANDARD);
    if (!r) return;
    EXPECT_INT(r->status, SST_STATUS_INSTRUMENTED);
    EXPECT_STR(r->encoding, "utf-8-sig");
    EXPECT_MEM(r->output, r->output_len, expected, sizeof expected - 1);
    static const expected_site sites[] = {
        {SST_SITE_PROLOGUE, 1, 0, NULL},
        {SST_SITE_EXTERNAL, 2, 0, "requests.get"},
    };
    check_sites(r, sites, 2);
    static const expected_insertion ins[] = {
        {3, "import sst_runtime as __sst__; __sst__.abi(1); ", 1},
        {19, "__sst__.external(\"requests.get\", ", 2},
        {31, ", ())", 2},
    };
    check_insertions(r, ins, 3);
    check_consistent(LIT(input), r);
    sst_result_free(r);
}

/* A file whose first statement is a def on line 1: the prologue needs a line
 * of its own, in the file's own line ending, and the result says so. */
static void test_added_line_def_first(void)
{
    const char lf[] = "def f(email):\n    return email\n";
    const char lf_expected[] =
        "import sst_runtime as __sst__; __sst__.abi(1)\n"
        "def f(email):\n"
        "    __sst__.params((\"email\",), email); return email\n";
    sst_result *r = rewrite(LIT(lf), SST_PROFILE_STANDARD);
    if (r) {
        EXPECT_INT(r->status, SST_STATUS_INSTRUMENTED);
        EXPECT_MEM(r->output, r->output_len, lf_expected, sizeof lf_expected - 1);
        EXPECT_INT(r->nadded_lines, 1);
        if (r->nadded_lines == 1) EXPECT_INT(r->added_lines[0], 1);
        static const expected_site sites[] = {
            {SST_SITE_PROLOGUE, 1, 0, NULL},
            {SST_SITE_PARAMS, 1, 0, NULL},
        };
        check_sites(r, sites, 2);
        check_consistent(LIT(lf), r);
    }
    sst_result_free(r);

    const char crlf[] = "def f(email):\r\n    return email\r\n";
    const char crlf_expected[] =
        "import sst_runtime as __sst__; __sst__.abi(1)\r\n"
        "def f(email):\r\n"
        "    __sst__.params((\"email\",), email); return email\r\n";
    r = rewrite(LIT(crlf), SST_PROFILE_STANDARD);
    if (r) {
        EXPECT_MEM(r->output, r->output_len, crlf_expected, sizeof crlf_expected - 1);
        EXPECT_INT(r->nadded_lines, 1);
        if (r->nadded_lines == 1) EXPECT_INT(r->added_lines[0], 1);
        check_consistent(LIT(crlf), r);
    }
    sst_result_free(r);

    /* with a comment line above the def, no line is added */
    const char comment[] = "# helpers\ndef f(email):\n    return email\n";
    const char comment_expected[] =
        "import sst_runtime as __sst__; __sst__.abi(1) # helpers\n"
        "def f(email):\n"
        "    __sst__.params((\"email\",), email); return email\n";
    r = rewrite(LIT(comment), SST_PROFILE_STANDARD);
    if (r) {
        EXPECT_MEM(r->output, r->output_len, comment_expected, sizeof comment_expected - 1);
        EXPECT_INT(r->nadded_lines, 0);
        check_consistent(LIT(comment), r);
    }
    sst_result_free(r);
}

/* ---- profiles ------------------------------------------------------------------ */

static const char profile_input[] =
    "import requests\n"
    "def send(email, note, url):\n"
    "    body = f\"hi {email}\"\n"
    "    requests.post(url, data=body)\n";

static void test_profile_minimal(void)
{
    const char expected[] =
        "import sst_runtime as __sst__; __sst__.abi(1); import requests\n"
        "def send(email, note, url):\n"
        "    body = f\"hi {email}\"\n"
        "    __sst__.external(\"requests.post\", requests.post, (url, body))(url, data=body)\n";
    static const expected_site sites[] = {
        {SST_SITE_PROLOGUE, 1, 0, NULL},
        {SST_SITE_EXTERNAL, 4, 4, "requests.post"},
    };
    expect_rewrite(LIT(profile_input), SST_PROFILE_MINIMAL, expected, sizeof expected - 1, sites, 2);
}

static void test_profile_standard(void)
{
    const char expected[] =
        "import sst_runtime as __sst__; __sst__.abi(1); import requests\n"
        "def send(email, note, url):\n"
        "    __sst__.params((\"email\",), email); body = __sst__.flow((f\"hi {email}\"), email)\n"
        "    __sst__.external(\"requests.post\", requests.post, (url, body))(url, data=body)\n";
    static const expected_site sites[] = {
        {SST_SITE_PROLOGUE, 1, 0, NULL},
        {SST_SITE_PARAMS, 2, 0, NULL},
        {SST_SITE_FLOW, 3, 11, NULL},
        {SST_SITE_EXTERNAL, 4, 4, "requests.post"},
    };
    expect_rewrite(LIT(profile_input), SST_PROFILE_STANDARD, expected, sizeof expected - 1, sites, 4);
}

static void test_profile_full(void)
{
    const char expected[] =
        "import sst_runtime as __sst__; __sst__.abi(1); import requests\n"
        "def send(email, note, url):\n"
        "    __sst__.params((\"email\", \"note\", \"url\"), email, note, url); "
        "body = __sst__.flow((f\"hi {email}\"), email)\n"
        "    __sst__.external(\"requests.post\", requests.post, (url, body))(url, data=body)\n";
    static const expected_site sites[] = {
        {SST_SITE_PROLOGUE, 1, 0, NULL},
        {SST_SITE_PARAMS, 2, 0, NULL},
        {SST_SITE_FLOW, 3, 11, NULL},
        {SST_SITE_EXTERNAL, 4, 4, "requests.post"},
    };
    expect_rewrite(LIT(profile_input), SST_PROFILE_FULL, expected, sizeof expected - 1, sites, 4);
}

/* Sources (standard profile) and a store, with their paths. */
static void test_sources_and_store(void)
{
    const char input[] =
        "from flask import request\n"
        "def view():\n"
        "    email = request.form[\"email\"]\n"
        "    print(email)\n"
        "    return request.args.get(\"q\")\n";
    const char expected[] =
        "import sst_runtime as __sst__; __sst__.abi(1); from flask import request\n"
        "def view():\n"
        "    email = __sst__.source((\"flask.request.form\", \"email\"), request.form[\"email\"])\n"
        "    __sst__.store(\"print\", print, (email,))(email)\n"
        "    return __sst__.source((\"flask.request.args\", \"q\"), request.args.get(\"q\"))\n";
    static const expected_site sites[] = {
        {SST_SITE_PROLOGUE, 1, 0, NULL},
        {SST_SITE_SOURCE, 3, 12, "flask.request.form"},
        {SST_SITE_LOG, 4, 4, "print"},
        {SST_SITE_SOURCE, 5, 11, "flask.request.args"},
    };
    expect_rewrite(LIT(input), SST_PROFILE_STANDARD, expected, sizeof expected - 1, sites, 4);

    /* minimal: no sources, the store still */
    sst_result *r = rewrite(LIT(input), SST_PROFILE_MINIMAL);
    if (!r) return;
    static const expected_site minimal[] = {
        {SST_SITE_PROLOGUE, 1, 0, NULL},
        {SST_SITE_LOG, 4, 4, "print"},
    };
    check_sites(r, minimal, 2);
    check_consistent(LIT(input), r);
    sst_result_free(r);
}

/* ---- threads ------------------------------------------------------------------ */

enum { THREADS = 4, ROUNDS = 40 };

/* Each thread rewrites the profile input ROUNDS times with the shared
 * catalogue; every result must equal the single-threaded one. */
static void *rewrite_many(void *arg)
{
    const sst_result *reference = arg;
    sst_options options = {.catalog = catalog, .profile = SST_PROFILE_STANDARD};
    intptr_t mismatches = 0;
    for (int i = 0; i < ROUNDS; i++) {
        sst_result *r = NULL;
        sst_error err = {0};
        if (sst_rewrite_buffer(&r, "app.py", profile_input, sizeof profile_input - 1, &options, &err) ||
            r->output_len != reference->output_len ||
            memcmp(r->output, reference->output, r->output_len) || r->nsites != reference->nsites ||
            r->ninsertions != reference->ninsertions)
            mismatches++;
        sst_result_free(r);
    }
    return (void *)mismatches;
}

static void test_threads(void)
{
    sst_result *reference = rewrite(profile_input, sizeof profile_input - 1, SST_PROFILE_STANDARD);
    if (!reference) return;
    pthread_t threads[THREADS];
    int started = 0;
    for (; started < THREADS; started++)
        if (pthread_create(&threads[started], NULL, rewrite_many, reference)) break;
    EXPECT_INT(started, THREADS);
    intptr_t mismatches = 0;
    for (int i = 0; i < started; i++) {
        void *ret = NULL;
        pthread_join(threads[i], &ret);
        mismatches += (intptr_t)ret;
    }
    EXPECT_INT(mismatches, 0);
    sst_result_free(reference);
}

/* ---- what the core gets wrong ---------------------------------------------------- */

/* Site ids are "in order of position in the file" (rewrite.h). The derive of
 * a tuple assignment is the statement at column 4; the call in its value is
 * at column 11 and must come after it. */
static void test_site_ids_in_position_order(void)
{
    const char input[] =
        "import requests\n"
        "def f(email):\n"
        "    a, b = requests.post(email)\n";
    sst_result *r = rewrite(LIT(input), SST_PROFILE_STANDARD);
    if (!r) return;
    EXPECT_INT(r->status, SST_STATUS_INSTRUMENTED);
    static const expected_site sites[] = {
        {SST_SITE_PROLOGUE, 1, 0, NULL},
        {SST_SITE_PARAMS, 2, 0, NULL},
        {SST_SITE_FLOW, 3, 4, NULL},
        {SST_SITE_EXTERNAL, 3, 11, "requests.post"},
    };
    check_sites(r, sites, 4);
    int ordered = 1;
    for (size_t i = 1; i < r->nsites; i++)
        if (r->sites[i].line < r->sites[i - 1].line ||
            (r->sites[i].line == r->sites[i - 1].line && r->sites[i].column < r->sites[i - 1].column))
            ordered = 0;
    CU_ASSERT(ordered);
    sst_result_free(r);
}

/* A file with lone CR line ends (Python reads them as line ends): the call
 * on line 2 is reported on line 2, column 0. */
static void test_lone_cr_site_lines(void)
{
    const char input[] = "import requests\rrequests.post(u)\r";
    sst_result *r = rewrite(LIT(input), SST_PROFILE_STANDARD);
    if (!r) return;
    EXPECT_INT(r->status, SST_STATUS_INSTRUMENTED);
    static const expected_site sites[] = {
        {SST_SITE_PROLOGUE, 1, 0, NULL},
        {SST_SITE_EXTERNAL, 2, 0, "requests.post"},
    };
    check_sites(r, sites, 2);
    sst_result_free(r);
}

/* A file with no cookie that is not valid UTF-8: Python cannot decode it
 * ("(unicode error) 'utf-8' codec can't decode byte 0xe9", line 2), so it
 * is not instrumented but reported. */
static void test_invalid_utf8_unparseable(void)
{
    const char input[] = "import requests\nrequests.post('\xe9')\n";
    sst_result *r = rewrite(LIT(input), SST_PROFILE_STANDARD);
    if (!r) return;
    EXPECT_INT(r->status, SST_STATUS_UNPARSEABLE);
    EXPECT_INT(r->problem_line, 2);
    EXPECT_MEM(r->output, r->output_len, input, sizeof input - 1);
    sst_result_free(r);
}

int main(void)
{
    static const sst_test tests[] = {
        {"names", test_names},
        {"no_catalogue", test_no_catalogue},
        {"instrumented", test_instrumented},
        {"unchanged", test_unchanged},
        {"already", test_already},
        {"unparseable", test_unparseable},
        {"columns_in_characters", test_columns_in_characters},
        {"latin1", test_latin1},
        {"latin1_identifier", test_latin1_identifier},
        {"bom", test_bom},
        {"added_line_def_first", test_added_line_def_first},
        {"profile_minimal", test_profile_minimal},
        {"profile_standard", test_profile_standard},
        {"profile_full", test_profile_full},
        {"sources_and_store", test_sources_and_store},
        {"threads", test_threads},
        {"site_ids_in_position_order", test_site_ids_in_position_order},
        {"lone_cr_site_lines", test_lone_cr_site_lines},
        {"invalid_utf8_unparseable", test_invalid_utf8_unparseable},
    };
    return run_suite("rewrite", suite_init, suite_clean, tests, sizeof tests / sizeof *tests, &init_failed);
}
