/* CUnit suite for cli/manifest.c and cli/json.c: the manifest text byte for
 * byte, JSON escaping of any file name, reading it back to the same entries,
 * and clear errors for a damaged manifest. */
#include "helpers.h"

#include "cli.h"

static sst_manifest_site sites[] = {
    { 1, "prologue", 1, 0, NULL },
    { 2, "external", 4, 11, "requests.post" },
};
static unsigned added[] = { 3 };

static sst_manifest sample(sst_manifest_entry *entries)
{
    memset(entries, 0, 3 * sizeof *entries);
    entries[0] = (sst_manifest_entry){
        .path = "app/views.py", .status = SST_ENTRY_INSTRUMENTED, .encoding = "utf-8",
        .has_input_hash = 1, .input_hash = 0x0123456789abcdefULL,
        .has_output_hash = 1, .output_hash = 0xfedcba9876543210ULL,
        .sites = sites, .nsites = 2, .added_lines = added, .nadded_lines = 1,
    };
    entries[1] = (sst_manifest_entry){
        .path = "bad \"q\"\\\x01.py", .status = SST_ENTRY_UNPARSEABLE, .encoding = "latin-1",
        .has_input_hash = 1, .input_hash = 1, .has_output_hash = 1, .output_hash = 1,
        .problem_line = 7, .problem = "print statement (Python 2)",
    };
    entries[2] = (sst_manifest_entry){
        .path = "d\xe9j\xe0/caf\xc3\xa9.txt", .status = SST_ENTRY_COPIED,
        .has_input_hash = 1, .input_hash = 0xa, .has_output_hash = 1, .output_hash = 0xa,
    };
    return (sst_manifest){ "0.1.0", 1, 0x00000000deadbeefULL, "standard", entries, 3 };
}

static const char expected[] =
    "{\n"
    "  \"manifest\": 1,\n"
    "  \"tool\": \"sst-rewrite\",\n"
    "  \"version\": \"0.1.0\",\n"
    "  \"abi\": 1,\n"
    "  \"options_hash\": \"00000000deadbeef\",\n"
    "  \"options\": {\"profile\": \"standard\"},\n"
    "  \"files\": [\n"
    "    {\n"
    "      \"path\": \"app/views.py\",\n"
    "      \"status\": \"instrumented\",\n"
    "      \"encoding\": \"utf-8\",\n"
    "      \"input_hash\": \"0123456789abcdef\",\n"
    "      \"output_hash\": \"fedcba9876543210\",\n"
    "      \"problem\": null,\n"
    "      \"sites\": [\n"
    "        {\"id\": 1, \"kind\": \"prologue\", \"line\": 1, \"column\": 0, \"path\": null},\n"
    "        {\"id\": 2, \"kind\": \"external\", \"line\": 4, \"column\": 11, \"path\": \"requests.post\"}\n"
    "      ],\n"
    "      \"added_lines\": [3]\n"
    "    },\n"
    "    {\n"
    "      \"path\": \"bad \\\"q\\\"\\\\\\u0001.py\",\n"
    "      \"status\": \"unparseable\",\n"
    "      \"encoding\": \"latin-1\",\n"
    "      \"input_hash\": \"0000000000000001\",\n"
    "      \"output_hash\": \"0000000000000001\",\n"
    "      \"problem\": {\"line\": 7, \"message\": \"print statement (Python 2)\"},\n"
    "      \"sites\": [],\n"
    "      \"added_lines\": []\n"
    "    },\n"
    "    {\n"
    "      \"path\": \"d\\udce9j\\udce0/caf\xc3\xa9.txt\",\n"
    "      \"status\": \"copied\",\n"
    "      \"encoding\": null,\n"
    "      \"input_hash\": \"000000000000000a\",\n"
    "      \"output_hash\": \"000000000000000a\",\n"
    "      \"problem\": null,\n"
    "      \"sites\": [],\n"
    "      \"added_lines\": []\n"
    "    }\n"
    "  ]\n"
    "}\n";

static void test_format_exact(void)
{
    sst_manifest_entry entries[3];
    sst_manifest m = sample(entries);
    sst_buf b = {0};
    CU_ASSERT_EQUAL(sst_manifest_format(&b, &m), 0);
    CU_ASSERT_STRING_EQUAL(b.data, expected);
    sst_buf_free(&b);

    sst_manifest empty = { "0.1.0", 1, 5, "full", NULL, 0 };
    CU_ASSERT_EQUAL(sst_manifest_format(&b, &empty), 0);
    CU_ASSERT_STRING_EQUAL(b.data,
        "{\n  \"manifest\": 1,\n  \"tool\": \"sst-rewrite\",\n  \"version\": \"0.1.0\",\n"
        "  \"abi\": 1,\n  \"options_hash\": \"0000000000000005\",\n"
        "  \"options\": {\"profile\": \"full\"},\n  \"files\": []\n}\n");
    sst_buf_free(&b);
}

static void test_parse_round_trip(void)
{
    sst_manifest *m = NULL;
    sst_error err = {0};
    CU_ASSERT_EQUAL_FATAL(sst_manifest_parse(&m, expected, strlen(expected), &err), 0);
    CU_ASSERT_STRING_EQUAL(m->version, "0.1.0");
    CU_ASSERT_EQUAL(m->abi, 1);
    CU_ASSERT_EQUAL(m->options_hash, 0xdeadbeefULL);
    CU_ASSERT_STRING_EQUAL(m->profile, "standard");
    CU_ASSERT_EQUAL_FATAL(m->nentries, 3);
    const sst_manifest_entry *e = sst_manifest_find(m, "d\xe9j\xe0/caf\xc3\xa9.txt");
    CU_ASSERT_PTR_NOT_NULL_FATAL(e);
    CU_ASSERT_EQUAL(e->status, SST_ENTRY_COPIED);
    CU_ASSERT_PTR_NULL(e->encoding);
    e = sst_manifest_find(m, "bad \"q\"\\\x01.py");
    CU_ASSERT_PTR_NOT_NULL_FATAL(e);
    CU_ASSERT_EQUAL(e->problem_line, 7);
    CU_ASSERT_STRING_EQUAL(e->problem, "print statement (Python 2)");
    e = sst_manifest_find(m, "app/views.py");
    CU_ASSERT_PTR_NOT_NULL_FATAL(e);
    CU_ASSERT_EQUAL(e->input_hash, 0x0123456789abcdefULL);
    CU_ASSERT_EQUAL_FATAL(e->nsites, 2);
    CU_ASSERT_STRING_EQUAL(e->sites[1].path, "requests.post");
    CU_ASSERT_EQUAL(e->sites[1].column, 11);
    CU_ASSERT_PTR_NULL(e->sites[0].path);
    CU_ASSERT_EQUAL_FATAL(e->nadded_lines, 1);
    CU_ASSERT_EQUAL(e->added_lines[0], 3);
    CU_ASSERT_PTR_NULL(sst_manifest_find(m, "app/none.py"));

    /* a copy formats to the same text */
    sst_manifest_entry copies[3];
    for (int i = 0; i < 3; i++) CU_ASSERT_EQUAL(sst_manifest_entry_copy(&copies[i], &m->entries[i]), 0);
    sst_manifest again = { "0.1.0", 1, 0xdeadbeefULL, "standard", copies, 3 };
    sst_buf b = {0};
    /* parse sorted the entries by bytes; the sample is in that order already */
    CU_ASSERT_EQUAL(sst_manifest_format(&b, &again), 0);
    CU_ASSERT_STRING_EQUAL(b.data, expected);
    sst_buf_free(&b);
    for (int i = 0; i < 3; i++) sst_manifest_entry_clear(&copies[i]);
    sst_manifest_free(m);
}

static void test_json_strings(void)
{
    sst_buf b = {0};
    sst_json_string(&b, "tab\there\nnl\r\x7f\x1f", 14);
    CU_ASSERT_STRING_EQUAL(b.data, "\"tab\\there\\nnl\\r\x7f\\u001f\"");
    sst_buf_free(&b);
    /* truncated, overlong, surrogate and out-of-range UTF-8 are escaped bytes */
    const char bad[] = "\xc3|\xc0\xaf|\xed\xa0\x80|\xf4\x90\x80\x80|\xf0\x9f\x98\x80";
    sst_json_string(&b, bad, sizeof bad - 1);
    CU_ASSERT_STRING_EQUAL(b.data,
        "\"\\udcc3|\\udcc0\\udcaf|\\udced\\udca0\\udc80|\\udcf4\\udc90\\udc80\\udc80|\xf0\x9f\x98\x80\"");
    sst_json *v = NULL;
    sst_error err = {0};
    CU_ASSERT_EQUAL_FATAL(sst_json_parse(&v, b.data, b.len, "t", &err), 0);
    CU_ASSERT_EQUAL(v->type, SST_JSON_STRING);
    CU_ASSERT_EQUAL(v->len, sizeof bad - 1);
    CU_ASSERT_EQUAL(memcmp(v->string, bad, sizeof bad - 1), 0);
    sst_json_free(v);
    sst_buf_free(&b);
    /* standard escapes and surrogate pairs read back */
    const char *text = "[\"\\u00e9\\ud83d\\ude00\\/\\b\", 1.5e1, true, false, null, {}]";
    CU_ASSERT_EQUAL_FATAL(sst_json_parse(&v, text, strlen(text), "t", &err), 0);
    CU_ASSERT_EQUAL_FATAL(v->nitems, 6);
    CU_ASSERT_STRING_EQUAL(v->items[0].string, "\xc3\xa9\xf0\x9f\x98\x80/\b");
    CU_ASSERT_EQUAL(v->items[1].number, 15.0);
    CU_ASSERT_EQUAL(v->items[2].type, SST_JSON_TRUE);
    CU_ASSERT_EQUAL(v->items[4].type, SST_JSON_NULL);
    CU_ASSERT_EQUAL(v->items[5].type, SST_JSON_OBJECT);
    sst_json_free(v);
}

static void test_damaged(void)
{
    sst_manifest *m = NULL;
    sst_error err = {0};
    const char *t1 = "{\"manifest\": 1,\n \"version\": tru}";
    CU_ASSERT_EQUAL(sst_manifest_parse(&m, t1, strlen(t1), &err), SST_EINVAL);
    CU_ASSERT_EQUAL(err.line, 2);
    CU_ASSERT_STRING_EQUAL(err.message, "invalid JSON: unexpected text");
    const char *t2 = "{\"manifest\": 1, \"version\": \"0.1.0\", \"abi\": 1}";
    CU_ASSERT_EQUAL(sst_manifest_parse(&m, t2, strlen(t2), &err), SST_EINVAL);
    CU_ASSERT_STRING_EQUAL(err.message, "not a valid manifest: no options");
    const char *t3 = "{\"manifest\": 2}";
    CU_ASSERT_EQUAL(sst_manifest_parse(&m, t3, strlen(t3), &err), SST_EINVAL);
    CU_ASSERT_STRING_EQUAL(err.message, "not a valid manifest: unknown format version");
    /* a truncated manifest (a run killed mid-write could not do this, but a disk could) */
    CU_ASSERT_EQUAL(sst_manifest_parse(&m, expected, strlen(expected) - 10, &err), SST_EINVAL);
    CU_ASSERT_STRING_EQUAL(err.message, "invalid JSON: unterminated container");
    CU_ASSERT_EQUAL(err.line, 41);   /* the end of the text */
    char deep[200];
    memset(deep, '[', sizeof deep);
    CU_ASSERT_EQUAL(sst_manifest_parse(&m, deep, sizeof deep, &err), SST_EINVAL);
    CU_ASSERT_STRING_EQUAL(err.message, "invalid JSON: nested too deeply");
    CU_ASSERT_PTR_NULL(m);
}

static void test_hash_hex(void)
{
    char hex[17];
    sst_hash_hex(hex, 0xabcULL);
    CU_ASSERT_STRING_EQUAL(hex, "0000000000000abc");
    uint64_t h = 0;
    CU_ASSERT_EQUAL(sst_hash_parse(&h, "fedcba9876543210"), 0);
    CU_ASSERT_EQUAL(h, 0xfedcba9876543210ULL);
    CU_ASSERT_EQUAL(sst_hash_parse(&h, "FEDCBA9876543210"), SST_EINVAL);
    CU_ASSERT_EQUAL(sst_hash_parse(&h, "123"), SST_EINVAL);
    /* XXH3-64 of "" and "abc" (reference values of the algorithm) */
    CU_ASSERT_EQUAL(sst_hash_bytes("", 0), 0x2d06800538d394c2ULL);
    CU_ASSERT_EQUAL(sst_hash_bytes("abc", 3), 0x78af5f94892f3950ULL);
}

int main(void)
{
    static const test_case cases[] = {
        { "manifest text, byte for byte", test_format_exact },
        { "manifest read back", test_parse_round_trip },
        { "JSON strings: escapes and raw bytes", test_json_strings },
        { "a damaged manifest is a clear error", test_damaged },
        { "hashes as hex", test_hash_hex },
        { NULL, NULL },
    };
    return run_suite("cli manifest", cases);
}
