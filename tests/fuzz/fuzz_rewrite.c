/* libFuzzer target for sst_rewrite_buffer: any bytes in, no crash and no
 * sanitizer report, and a result that keeps the contract of rewrite.h: the
 * output is the input with the insertions applied at their offsets, in order;
 * clean input parses clean after; an instrumented output is passed through. */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <tree_sitter/api.h>

#include "sst/rewrite.h"

const TSLanguage *tree_sitter_python(void);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fail(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void fail(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("fuzz_rewrite: contract violated: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    abort();
}

/* The built-in catalogue, loaded on the first call and kept: acceptable in a
 * fuzz target, never in the library. */
static const sst_catalog *builtin_catalog(void)
{
    static sst_catalog *catalog;
    if (!catalog) {
        sst_error err;
        memset(&err, 0, sizeof err);
        if (sst_catalog_load_builtin(&catalog, &err) != SST_OK)
            fail("the built-in catalogue does not load: %s", err.message);
    }
    return catalog;
}

static int parses_cleanly(const char *text, size_t len)
{
    TSParser *parser = ts_parser_new();
    TSTree *tree = NULL;
    int clean = 0;
    if (!parser || !ts_parser_set_language(parser, tree_sitter_python()))
        fail("tree-sitter parser cannot be set up");
    tree = ts_parser_parse_string(parser, NULL, text, (uint32_t)len);
    if (tree)
        clean = !ts_node_has_error(ts_tree_root_node(tree));
    ts_tree_delete(tree);
    ts_parser_delete(parser);
    return clean;
}

/* Line breaks as Python counts them: LF, CRLF and a lone CR. */
static size_t count_breaks(const char *text, size_t len)
{
    size_t breaks = 0;
    for (size_t i = 0; i < len; i++)
        if (text[i] == '\n' || (text[i] == '\r' && (i + 1 == len || text[i + 1] != '\n')))
            breaks++;
    return breaks;
}

static size_t count_lines(const char *text, size_t len)
{
    return count_breaks(text, len) + 1;
}

/* Output = input with the insertions applied in order; sites and added lines
 * in range. */
static void check_insertions(const char *src, size_t len, const sst_result *res)
{
    size_t in = 0, out = 0, newlines = 0, prev = 0;
    for (size_t i = 0; i < res->ninsertions; i++) {
        const sst_insertion *ins = &res->insertions[i];
        if (ins->offset > len)
            fail("insertion %zu at offset %zu past the input (%zu bytes)", i, ins->offset, len);
        if (ins->offset < prev)
            fail("insertion %zu at offset %zu before the previous one (%zu)", i, ins->offset, prev);
        if (!ins->text || ins->len == 0)
            fail("insertion %zu at offset %zu is empty", i, ins->offset);
        if (ins->site < 1 || ins->site > res->nsites)
            fail("insertion %zu names site %u of %zu", i, ins->site, res->nsites);
        prev = ins->offset;
        size_t keep = ins->offset - in;
        if (out + keep + ins->len > res->output_len)
            fail("the insertions do not fit in output_len %zu", res->output_len);
        if (memcmp(res->output + out, src + in, keep) != 0)
            fail("original bytes %zu..%zu differ in the output", in, ins->offset);
        out += keep;
        in = ins->offset;
        if (memcmp(res->output + out, ins->text, ins->len) != 0)
            fail("insertion %zu is not in the output at %zu", i, out);
        out += ins->len;
        newlines += count_breaks(ins->text, ins->len);
    }
    if (out + (len - in) != res->output_len)
        fail("output_len %zu, but input %zu + insertions make %zu", res->output_len, len,
             out + (len - in));
    if (memcmp(res->output + out, src + in, len - in) != 0)
        fail("the tail of the input differs in the output");
    if (newlines != res->nadded_lines)
        fail("the insertions hold %zu newlines but %zu added lines are recorded", newlines,
             res->nadded_lines);
    size_t lines = count_lines(src, len);
    for (size_t i = 0; i < res->nadded_lines; i++)
        if (res->added_lines[i] < 1 || res->added_lines[i] > lines)
            fail("added line before line %u of a %zu-line input", res->added_lines[i], lines);
    for (size_t i = 0; i < res->nsites; i++) {
        if (res->sites[i].id != i + 1)
            fail("site %zu has id %u", i, res->sites[i].id);
        if (res->sites[i].line < 1 || res->sites[i].line > lines)
            fail("site %u on line %u of a %zu-line input", res->sites[i].id,
                 res->sites[i].line, lines);
    }
}

static sst_result *rewrite(const char *src, size_t len, sst_profile profile)
{
    sst_options options = { .catalog = builtin_catalog(), .profile = profile };
    sst_result *res = NULL;
    sst_error err;
    memset(&err, 0, sizeof err);
    int rc = sst_rewrite_buffer(&res, "fuzz.py", src, len, &options, &err);
    if (rc == SST_EINVAL)
        return NULL;    /* undecodable source: a reported error, not a bug */
    if (rc != SST_OK)
        fail("sst_rewrite_buffer returned %d (line %u: %s)", rc, err.line, err.message);
    if (!res || !res->output)
        fail("sst_rewrite_buffer succeeded without a result");
    return res;
}

static void check_one(const char *src, size_t len, sst_profile profile)
{
    sst_result *res = rewrite(src, len, profile);
    if (!res)
        return;
    switch (res->status) {
    case SST_STATUS_INSTRUMENTED:
        if (res->ninsertions == 0)
            fail("INSTRUMENTED without insertions");
        check_insertions(src, len, res);
        if (parses_cleanly(src, len) && !parses_cleanly(res->output, res->output_len))
            fail("the input parses cleanly, the instrumented output does not");
        /* Idempotence: the output is recognised and passed through. */
        sst_result *again = rewrite(res->output, res->output_len, profile);
        if (!again)
            fail("the instrumented output is rejected as undecodable");
        if (again->status != SST_STATUS_ALREADY || again->output_len != res->output_len ||
            memcmp(again->output, res->output, res->output_len) != 0)
            fail("rewriting the output again gives status %s, not ALREADY with the same bytes",
                 sst_status_name(again->status));
        sst_result_free(again);
        break;
    case SST_STATUS_UNCHANGED:
    case SST_STATUS_ALREADY:
    case SST_STATUS_UNPARSEABLE:
        if (res->ninsertions != 0 || res->output_len != len ||
            memcmp(res->output, src, len) != 0)
            fail("status %s but the output is not the input", sst_status_name(res->status));
        if (res->status == SST_STATUS_UNPARSEABLE &&
            (res->problem_line < 1 || res->problem[0] == '\0'))
            fail("UNPARSEABLE without the line (%u) and text of the problem", res->problem_line);
        break;
    default:
        fail("unknown status %d", (int)res->status);
    }
    sst_result_free(res);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* A copy that is exactly SIZE bytes long, so an overread is reported. */
    char *src = malloc(size ? size : 1);
    if (!src)
        return 0;
    memcpy(src, data, size);
    check_one(src, size, SST_PROFILE_FULL);
    check_one(src, size, SST_PROFILE_STANDARD);
    check_one(src, size, SST_PROFILE_MINIMAL);
    free(src);
    return 0;
}
