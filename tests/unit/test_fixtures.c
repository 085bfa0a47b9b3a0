/* The golden rewrite fixtures: every fixtures/rewrite/NAME/input.py is
 * rewritten with the built-in catalogue and must give NAME/expected.py byte
 * for byte, with the status and the line count that follow from it. One CUnit
 * test per fixture, named after it; run from the project root. */
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <CUnit/Basic.h>

#include <sst/rewrite.h>

#define FIXTURE_DIR "fixtures/rewrite"
#define MIN_FIXTURES 40
#define MAX_FIXTURES 256

typedef struct fixture {
    char name[128];
    char dir[256];
} fixture;

/* Test-program state: filled once before the suite runs, read-only after. */
static fixture fixtures[MAX_FIXTURES];
static size_t nfixtures;
static size_t nfound;   /* directories found, even past MAX_FIXTURES */
static sst_catalog *catalog;

typedef struct buffer {
    char *data;
    size_t len;
} buffer;

/* Reads a whole file; returns 0, or -1 with nothing allocated. */
static int read_file(buffer *out, const char *path)
{
    FILE *f = fopen(path, "rb");
    char *data = NULL;
    size_t len = 0, cap = 0;
    int rc = -1;
    if (!f) goto done;
    for (;;) {
        if (len == cap) {
            size_t ncap = cap ? cap * 2 : 4096;
            char *n = realloc(data, ncap + 1);
            if (!n) goto done;
            data = n;
            cap = ncap;
        }
        size_t got = fread(data + len, 1, cap - len, f);
        len += got;
        if (got == 0) break;
    }
    if (ferror(f)) goto done;
    data[len] = 0;
    out->data = data;
    out->len = len;
    data = NULL;
    rc = 0;
done:
    if (f) fclose(f);
    free(data);
    return rc;
}

static int file_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

/* Lines as Python counts them: LF, CRLF and a lone CR each end one; a last
 * line without an ending counts too. */
static size_t count_lines(const char *s, size_t len)
{
    size_t lines = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] == '\n' || (s[i] == '\r' && (i + 1 == len || s[i + 1] != '\n'))) lines++;
    }
    if (len && s[len - 1] != '\n' && s[len - 1] != '\r') lines++;
    return lines;
}

/* Prints one line starting at S, with CR, tabs and non-ASCII bytes made visible. */
static void print_line(const char *label, const char *s, const char *end)
{
    printf("      %s: ", label);
    if (s >= end) {
        printf("<end of file>\n");
        return;
    }
    for (; s < end && *s != '\n'; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '\r') printf("\\r");
        else if (c == '\t') printf("\\t");
        else if (c < 0x20 || c >= 0x7f) printf("\\x%02x", c);
        else putchar(c);
    }
    printf("%s\n", s < end ? "\\n" : " <no newline>");
}

static void print_first_difference(const char *name, const buffer *expected, const char *actual,
                                   size_t actual_len)
{
    size_t i = 0, line_start = 0;
    unsigned line = 1;
    while (i < expected->len && i < actual_len && expected->data[i] == actual[i]) {
        if (expected->data[i] == '\n') {
            line++;
            line_start = i + 1;
        }
        i++;
    }
    printf("\n    fixture %s: output differs from expected.py at line %u\n", name, line);
    print_line("expected", expected->data + line_start, expected->data + expected->len);
    print_line("actual  ", actual + line_start, actual + actual_len);
}

/* The profile named in NAME/profile (one word), standard when there is none. */
static int read_profile(sst_profile *out, const fixture *fx)
{
    char path[300];
    buffer text = {0};
    snprintf(path, sizeof path, "%s/profile", fx->dir);
    *out = SST_PROFILE_STANDARD;
    if (!file_exists(path)) return 0;
    if (read_file(&text, path)) {
        printf("\n    %s: cannot read\n", path);
        return -1;
    }
    size_t n = text.len;
    while (n && (text.data[n - 1] == '\n' || text.data[n - 1] == '\r' || text.data[n - 1] == ' ')) n--;
    text.data[n] = 0;
    int rc = 0;
    if (!strcmp(text.data, "minimal")) *out = SST_PROFILE_MINIMAL;
    else if (!strcmp(text.data, "standard")) *out = SST_PROFILE_STANDARD;
    else if (!strcmp(text.data, "full")) *out = SST_PROFILE_FULL;
    else {
        printf("\n    %s:1: unknown profile \"%s\" (minimal, standard or full)\n", path, text.data);
        rc = -1;
    }
    free(text.data);
    return rc;
}

static void run_fixture(size_t index)
{
    char path[300];
    buffer input = {0}, expected = {0};
    sst_result *result = NULL;
    sst_error err = {0};
    sst_profile profile;
    if (index >= nfixtures) {
        CU_FAIL("no fixture for this test slot");
        return;
    }
    const fixture *fx = &fixtures[index];

    snprintf(path, sizeof path, "%s/input.py", fx->dir);
    if (read_file(&input, path)) {
        printf("\n    %s: cannot read\n", path);
        CU_FAIL("input.py unreadable");
        goto done;
    }
    snprintf(path, sizeof path, "%s/expected.py", fx->dir);
    if (read_file(&expected, path)) {
        printf("\n    %s: cannot read\n", path);
        CU_FAIL("expected.py unreadable");
        goto done;
    }
    if (read_profile(&profile, fx)) {
        CU_FAIL("bad profile file");
        goto done;
    }
    snprintf(path, sizeof path, "%s/adds-line", fx->dir);
    int adds_line = file_exists(path);

    snprintf(path, sizeof path, "%s/input.py", fx->dir);
    sst_options options = {.catalog = catalog, .profile = profile};
    int rc = sst_rewrite_buffer(&result, path, input.data, input.len, &options, &err);
    if (rc) {
        printf("\n    fixture %s: sst_rewrite_buffer failed (%d): %s:%u: %s\n", fx->name, rc, err.path,
               err.line, err.message);
        CU_FAIL("sst_rewrite_buffer failed");
        goto done;
    }

    int same = result->output_len == expected.len && !memcmp(result->output, expected.data, expected.len);
    if (!same) print_first_difference(fx->name, &expected, result->output, result->output_len);
    CU_ASSERT(same);

    /* Unchanged expectations must come back as not instrumented, and the reverse. */
    int expect_unchanged = expected.len == input.len && !memcmp(expected.data, input.data, input.len);
    if (expect_unchanged) {
        if (result->status == SST_STATUS_INSTRUMENTED)
            printf("\n    fixture %s: expected.py equals input.py but the status is %s\n", fx->name,
                   sst_status_name(result->status));
        CU_ASSERT(result->status != SST_STATUS_INSTRUMENTED);
    } else {
        if (result->status != SST_STATUS_INSTRUMENTED)
            printf("\n    fixture %s: expected an instrumented file, status is %s (line %u: %s)\n",
                   fx->name, sst_status_name(result->status), result->problem_line, result->problem);
        CU_ASSERT(result->status == SST_STATUS_INSTRUMENTED);
    }

    /* Lines are kept, except where the fixture says one is added (and the
     * result records it). */
    size_t in_lines = count_lines(input.data, input.len);
    size_t out_lines = count_lines(result->output, result->output_len);
    if (adds_line) {
        if (result->nadded_lines == 0 || out_lines != in_lines + result->nadded_lines)
            printf("\n    fixture %s: adds-line: %zu lines in, %zu out, %zu recorded as added\n", fx->name,
                   in_lines, out_lines, result->nadded_lines);
        CU_ASSERT(result->nadded_lines > 0);
        CU_ASSERT(out_lines == in_lines + result->nadded_lines);
    } else {
        if (out_lines != in_lines || result->nadded_lines)
            printf("\n    fixture %s: %zu lines in, %zu out, %zu recorded as added\n", fx->name, in_lines,
                   out_lines, result->nadded_lines);
        CU_ASSERT(out_lines == in_lines);
        CU_ASSERT(result->nadded_lines == 0);
    }

done:
    sst_result_free(result);
    free(input.data);
    free(expected.data);
}

/* One test function per slot, so each CUnit test knows its fixture without
 * depending on the order tests run in: fx_00 ... fx_ff. */
#define SLOT(hi, lo) \
    static void fx_##hi##lo(void) { run_fixture(0x##hi##lo); }
#define SLOT_ROW(hi)                                                                              \
    SLOT(hi, 0) SLOT(hi, 1) SLOT(hi, 2) SLOT(hi, 3) SLOT(hi, 4) SLOT(hi, 5) SLOT(hi, 6)         \
    SLOT(hi, 7) SLOT(hi, 8) SLOT(hi, 9) SLOT(hi, a) SLOT(hi, b) SLOT(hi, c) SLOT(hi, d)         \
    SLOT(hi, e) SLOT(hi, f)
SLOT_ROW(0) SLOT_ROW(1) SLOT_ROW(2) SLOT_ROW(3) SLOT_ROW(4) SLOT_ROW(5) SLOT_ROW(6) SLOT_ROW(7)
SLOT_ROW(8) SLOT_ROW(9) SLOT_ROW(a) SLOT_ROW(b) SLOT_ROW(c) SLOT_ROW(d) SLOT_ROW(e) SLOT_ROW(f)

#define ENTRY(hi, lo) fx_##hi##lo,
#define ENTRY_ROW(hi)                                                                             \
    ENTRY(hi, 0) ENTRY(hi, 1) ENTRY(hi, 2) ENTRY(hi, 3) ENTRY(hi, 4) ENTRY(hi, 5) ENTRY(hi, 6)  \
    ENTRY(hi, 7) ENTRY(hi, 8) ENTRY(hi, 9) ENTRY(hi, a) ENTRY(hi, b) ENTRY(hi, c) ENTRY(hi, d)  \
    ENTRY(hi, e) ENTRY(hi, f)
static CU_TestFunc const slots[MAX_FIXTURES] = {
    ENTRY_ROW(0) ENTRY_ROW(1) ENTRY_ROW(2) ENTRY_ROW(3) ENTRY_ROW(4) ENTRY_ROW(5) ENTRY_ROW(6) ENTRY_ROW(7)
    ENTRY_ROW(8) ENTRY_ROW(9) ENTRY_ROW(a) ENTRY_ROW(b) ENTRY_ROW(c) ENTRY_ROW(d) ENTRY_ROW(e) ENTRY_ROW(f)};

/* Guards against a run from the wrong directory passing with no tests. */
static void test_fixture_count(void)
{
    if (nfound < MIN_FIXTURES || nfound > MAX_FIXTURES)
        printf("\n    %zu fixtures under %s/ (need %d to %d; run from the project root)\n", nfound,
               FIXTURE_DIR, MIN_FIXTURES, MAX_FIXTURES);
    CU_ASSERT(nfound >= MIN_FIXTURES);
    CU_ASSERT(nfound <= MAX_FIXTURES);
}

/* Sorted list of fixture directories (glob sorts). */
static int find_fixtures(void)
{
    glob_t g;
    int rc = glob(FIXTURE_DIR "/*/", GLOB_MARK, NULL, &g);
    if (rc == GLOB_NOMATCH) return 0;
    if (rc) return -1;
    for (size_t i = 0; i < g.gl_pathc; i++) {
        const char *dir = g.gl_pathv[i];
        size_t len = strlen(dir);
        nfound++;
        if (nfixtures == MAX_FIXTURES) continue;
        while (len && dir[len - 1] == '/') len--;
        const char *base = dir + len;
        while (base > dir && base[-1] != '/') base--;
        fixture *fx = &fixtures[nfixtures];
        if ((size_t)(dir + len - base) >= sizeof fx->name || len >= sizeof fx->dir) {
            fprintf(stderr, "%.*s: fixture path too long\n", (int)len, dir);
            globfree(&g);
            return -1;
        }
        snprintf(fx->name, sizeof fx->name, "%.*s", (int)(dir + len - base), base);
        snprintf(fx->dir, sizeof fx->dir, "%.*s", (int)len, dir);
        nfixtures++;
    }
    globfree(&g);
    return 0;
}

int main(void)
{
    sst_error err = {0};
    int status = 1;
    if (sst_catalog_load_builtin(&catalog, &err)) {
        fprintf(stderr, "built-in catalogue: %s:%u: %s\n", err.path, err.line, err.message);
        return 1;
    }
    if (find_fixtures()) {
        fprintf(stderr, "%s: cannot list the fixtures\n", FIXTURE_DIR);
        goto done;
    }
    if (CU_initialize_registry() != CUE_SUCCESS) goto done;
    CU_pSuite suite = CU_add_suite("fixtures", NULL, NULL);
    if (!suite || !CU_add_test(suite, "fixture_count", test_fixture_count)) goto cleanup;
    for (size_t i = 0; i < nfixtures; i++)
        if (!CU_add_test(suite, fixtures[i].name, slots[i])) goto cleanup;
    CU_basic_set_mode(CU_BRM_VERBOSE);
    CU_basic_run_tests();
    status = CU_get_number_of_failures() != 0 || CU_get_error() != CUE_SUCCESS;
cleanup:
    CU_cleanup_registry();
done:
    sst_catalog_free(catalog);
    return status;
}
