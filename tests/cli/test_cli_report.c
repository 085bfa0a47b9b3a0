/* Tests of the static report (report.c, baseline.c): findings built from
 * hand-made sst_result values, the exact JSON text, fingerprints, "# sst:
 * ignore" comments, SARIF, the baseline and its errors, thread order.
 * `test_cli_report --sarif-sample FILE` writes the SARIF that test_sarif.py
 * validates against the schema. */
#include "helpers.h"

#include <pthread.h>
#include <xxhash.h>

#include "report.h"

/* A small catalogue of our own, so the tests do not move with the built-in one. */
static const char catalog_text[] =
    "service openai host=api.openai.com\n"
    "external openai.OpenAI().responses.create\n"
    "service requests\n"
    "external requests.post\n"
    "service sqlite3\n"
    "store sqlite3.connect().execute\n";

/* Kinds the catalogue text format gains with the catalogue work: written here
 * as the core hands them over (only kind, service and host are read). */
static const sst_entry log_entry = {
    .path = "logging.getLogger().info", .kind = SST_KIND_LOG, .service = "logging",
};
static const sst_entry config_entry = {
    .path = "sentry_sdk.init", .kind = SST_KIND_CONFIG, .service = "sentry", .host = "sentry.io",
};

static sst_catalog *catalog;

static const sst_entry *entry(const char *path)
{
    const sst_entry *e = sst_catalog_lookup(catalog, path);
    CU_ASSERT_PTR_NOT_NULL_FATAL(e);
    return e;
}

static sst_site site(sst_site_kind kind, unsigned line, unsigned column, const sst_entry *e,
                     uint32_t categories, const char *scope)
{
    sst_site s = {0};
    s.kind = kind;
    s.line = line;
    s.column = column;
    s.path = e ? e->path : NULL;
    s.entry = e;
    s.categories = categories;
    s.scope = scope;
    return s;
}

static sst_result result_of(sst_site *sites, size_t n)
{
    sst_result r;
    memset(&r, 0, sizeof r);
    r.status = SST_STATUS_INSTRUMENTED;
    r.sites = sites;
    r.nsites = n;
    strcpy(r.encoding, "utf-8");
    return r;
}

/* The fingerprint as docs/report.md defines it, computed here from scratch. */
static void fingerprint(char hex[17], const char *file, const char *kind, const char *api,
                        const char *scope, unsigned n)
{
    char text[1024];
    int len = snprintf(text, sizeof text, "%s%c%s%c%s%c%s%c%u", file, 0, kind, 0, api, 0, scope, 0, n);
    snprintf(hex, 17, "%016llx", (unsigned long long)XXH3_64bits(text, (size_t)len));
}

static void add(sst_report *r, const char *root, const char *file, const char *src,
                sst_site *sites, size_t n)
{
    sst_result res = result_of(sites, n);
    sst_error err = {0};
    CU_ASSERT_EQUAL_FATAL(sst_report_add_file(r, root, file, src, strlen(src), &res, &err), 0);
}

static char *json_of(sst_report *r)
{
    sst_buf b = {0};
    CU_ASSERT_EQUAL(sst_report_format_json(&b, r), 0);
    return b.data;
}

/* ---- the insight app: two files, four sites, two findings ----------------- */

static const char insight_py[] =
    "import openai\n"
    "class InsightService:\n"
    "    def explain(self, email, income):\n"
    "        client = openai.OpenAI()\n"
    "        return client.responses.create(input=f\"{email} {income}\")   \n"
    "    def save(self, db):\n"
    "        db.execute(\"insert\")\n";

static const char jobs_py[] =
    "import logging\n"
    "log = logging.getLogger(__name__)\n"
    "log.info(\"started\")\n";

static void add_insight(sst_report *r, const char *root)
{
    sst_site sites[] = {
        site(SST_SITE_PARAMS, 3, 4, NULL, SST_CAT_EMAIL | SST_CAT_FINANCIAL, "InsightService.explain"),
        site(SST_SITE_EXTERNAL, 5, 15, entry("openai.OpenAI().responses.create"),
             SST_CAT_FINANCIAL | SST_CAT_EMAIL, "InsightService.explain"),
        site(SST_SITE_FLOW, 5, 45, NULL, 0, "InsightService.explain"),
        site(SST_SITE_STORE, 7, 8, entry("sqlite3.connect().execute"), 0, "InsightService.save"),
    };
    add(r, root, "app/insight.py", insight_py, sites, 4);
}

static void add_jobs(sst_report *r, const char *root)
{
    sst_site sites[] = { site(SST_SITE_LOG, 3, 0, &log_entry, 0, "") };
    add(r, root, "jobs.py", jobs_py, sites, 1);
}

static const char expected_json[] =
    "{\n"
    "  \"tool\": {\n"
    "    \"name\": \"sst-rewrite\",\n"
    "    \"version\": \"" SST_VERSION "\"\n"
    "  },\n"
    "  \"format\": 1,\n"
    "  \"findings\": [\n"
    "    {\n"
    "      \"fingerprint\": \"%s\",\n"
    "      \"rule\": \"external/openai\",\n"
    "      \"kind\": \"external\",\n"
    "      \"service\": \"openai\",\n"
    "      \"api\": \"openai.OpenAI().responses.create\",\n"
    "      \"destination\": \"api.openai.com\",\n"
    "      \"categories\": [\n"
    "        \"email\",\n"
    "        \"financial\"\n"
    "      ],\n"
    "      \"file\": \"app/insight.py\",\n"
    "      \"line\": 5,\n"
    "      \"column\": 16,\n"
    "      \"scope\": \"InsightService.explain\",\n"
    "      \"suppressed\": false\n"
    "    },\n"
    "    {\n"
    "      \"fingerprint\": \"%s\",\n"
    "      \"rule\": \"store/sqlite3\",\n"
    "      \"kind\": \"store\",\n"
    "      \"service\": \"sqlite3\",\n"
    "      \"api\": \"sqlite3.connect().execute\",\n"
    "      \"destination\": null,\n"
    "      \"categories\": [],\n"
    "      \"file\": \"app/insight.py\",\n"
    "      \"line\": 7,\n"
    "      \"column\": 9,\n"
    "      \"scope\": \"InsightService.save\",\n"
    "      \"suppressed\": false\n"
    "    },\n"
    "    {\n"
    "      \"fingerprint\": \"%s\",\n"
    "      \"rule\": \"log/logging\",\n"
    "      \"kind\": \"log\",\n"
    "      \"service\": \"logging\",\n"
    "      \"api\": \"logging.getLogger().info\",\n"
    "      \"destination\": null,\n"
    "      \"categories\": [],\n"
    "      \"file\": \"jobs.py\",\n"
    "      \"line\": 3,\n"
    "      \"column\": 1,\n"
    "      \"scope\": \"\",\n"
    "      \"suppressed\": false\n"
    "    }\n"
    "  ],\n"
    "  \"summary\": {\n"
    "    \"files\": 3,\n"
    "    \"findings\": 3,\n"
    "    \"suppressed\": 0,\n"
    "    \"new\": 3\n"
    "  }\n"
    "}\n";

static void test_json_exact(void)
{
    sst_report *r;
    CU_ASSERT_EQUAL_FATAL(sst_report_new(&r), 0);
    add_jobs(r, NULL);                 /* added first, sorted last */
    sst_result empty = result_of(NULL, 0);
    sst_error err = {0};
    CU_ASSERT_EQUAL(sst_report_add_file(r, NULL, "app/__init__.py", "", 0, &empty, &err), 0);
    add_insight(r, NULL);

    char fp1[17], fp2[17], fp3[17], want[4096];
    fingerprint(fp1, "app/insight.py", "external", "openai.OpenAI().responses.create",
                "InsightService.explain", 0);
    fingerprint(fp2, "app/insight.py", "store", "sqlite3.connect().execute", "InsightService.save", 0);
    fingerprint(fp3, "jobs.py", "log", "logging.getLogger().info", "", 0);
    snprintf(want, sizeof want, expected_json, fp1, fp2, fp3);
    char *got = json_of(r);
    CU_ASSERT_STRING_EQUAL(got, want);
    if (strcmp(got, want)) fprintf(stderr, "\n--- got\n%s--- want\n%s", got, want);
    free(got);

    CU_ASSERT_EQUAL(sst_report_count(r), 3);
    const sst_finding *f = sst_report_finding(r, 0);
    CU_ASSERT_STRING_EQUAL(f->fingerprint, fp1);
    /* "        return client.responses.create(input=f\"{email} {income}\")" is 65 characters
     * once the trailing blanks are dropped: the region ends at column 66 */
    CU_ASSERT_EQUAL(f->end_column, 66);
    CU_ASSERT_EQUAL(sst_report_finding(r, 1)->end_column, 29);
    sst_report_counts counts;
    sst_report_counts_get(&counts, r);
    CU_ASSERT_EQUAL(counts.files, 3);
    CU_ASSERT_EQUAL(counts.fresh, 3);
    CU_ASSERT_EQUAL(counts.baselined, 0);
    CU_ASSERT_EQUAL(sst_report_gate(r), 3);
    sst_report_free(r);
}

static void test_json_empty(void)
{
    sst_report *r;
    CU_ASSERT_EQUAL_FATAL(sst_report_new(&r), 0);
    char *got = json_of(r);
    CU_ASSERT_STRING_EQUAL(got,
        "{\n  \"tool\": {\n    \"name\": \"sst-rewrite\",\n    \"version\": \"" SST_VERSION "\"\n  },\n"
        "  \"format\": 1,\n  \"findings\": [],\n"
        "  \"summary\": {\n    \"files\": 0,\n    \"findings\": 0,\n    \"suppressed\": 0,\n    \"new\": 0\n  }\n}\n");
    free(got);
    sst_report_free(r);
}

/* ---- fingerprints --------------------------------------------------------------- */

static const char *fp_of(sst_report *r, size_t k) { return sst_report_finding(r, k)->fingerprint; }

static void test_fingerprint_stable_under_line_shift(void)
{
    sst_report *a, *b;
    CU_ASSERT_EQUAL_FATAL(sst_report_new(&a), 0);
    CU_ASSERT_EQUAL_FATAL(sst_report_new(&b), 0);
    const sst_entry *post = entry("requests.post");
    sst_site before[] = { site(SST_SITE_EXTERNAL, 4, 4, post, SST_CAT_EMAIL, "signup") };
    sst_site after[] = { site(SST_SITE_EXTERNAL, 9, 8, post, SST_CAT_EMAIL, "signup") };
    add(a, NULL, "app/views.py", "import requests\n\ndef signup(email):\n    requests.post(u, json=email)\n",
        before, 1);
    add(b, NULL, "app/views.py",
        "import requests\n\n\n# a comment\n\n\ndef signup(email):\n    if email:\n        requests.post(u, json=email)\n",
        after, 1);
    char want[17];
    fingerprint(want, "app/views.py", "external", "requests.post", "signup", 0);
    CU_ASSERT_STRING_EQUAL(fp_of(a, 0), want);
    CU_ASSERT_STRING_EQUAL(fp_of(b, 0), want);
    CU_ASSERT_EQUAL(sst_report_finding(b, 0)->line, 9);
    sst_report_free(a);
    sst_report_free(b);
}

static void test_fingerprint_two_identical_calls(void)
{
    sst_report *r;
    CU_ASSERT_EQUAL_FATAL(sst_report_new(&r), 0);
    const sst_entry *post = entry("requests.post");
    /* listed out of order on purpose: N follows the position in the file */
    sst_site sites[] = {
        site(SST_SITE_EXTERNAL, 3, 4, post, 0, "notify"),
        site(SST_SITE_EXTERNAL, 2, 4, post, 0, "notify"),
        site(SST_SITE_EXTERNAL, 5, 4, post, 0, "other"),
    };
    add(r, NULL, "hooks.py",
        "def notify(u):\n    requests.post(u)\n    requests.post(u)\ndef other(u):\n    requests.post(u)\n",
        sites, 3);
    char first[17], second[17], other[17];
    fingerprint(first, "hooks.py", "external", "requests.post", "notify", 0);
    fingerprint(second, "hooks.py", "external", "requests.post", "notify", 1);
    fingerprint(other, "hooks.py", "external", "requests.post", "other", 0);
    CU_ASSERT_STRING_EQUAL(fp_of(r, 0), first);
    CU_ASSERT_STRING_EQUAL(fp_of(r, 1), second);
    CU_ASSERT_STRING_EQUAL(fp_of(r, 2), other);
    CU_ASSERT_STRING_NOT_EQUAL(first, second);
    CU_ASSERT_EQUAL(sst_report_finding(r, 0)->line, 2);
    sst_report_free(r);
}

/* ---- suppressions --------------------------------------------------------------- */

/* One requests.post finding on each line holding "requests.post(" (at its
 * column), every other line none; returns whether each finding is suppressed. */
static void suppressed_lines(const char *file, const char *src, int *out, size_t cap, size_t *count)
{
    sst_site sites[64];
    size_t n = 0;
    unsigned line = 1;
    const char *line_start = src;
    for (const char *p = src; *p && n < 64; p++) {
        if (*p == '\n' || (*p == '\r' && p[1] != '\n')) { line++; line_start = p + 1; continue; }
        if (!strncmp(p, "requests.post(", 14))
            sites[n++] = site(SST_SITE_EXTERNAL, line, (unsigned)(p - line_start),
                              entry("requests.post"), 0, "");
    }
    sst_report *r;
    CU_ASSERT_EQUAL_FATAL(sst_report_new(&r), 0);
    add(r, NULL, file, src, sites, n);
    *count = sst_report_count(r);
    for (size_t k = 0; k < *count && k < cap; k++) out[k] = sst_report_finding(r, k)->suppressed;
    sst_report_free(r);
}

static void test_suppressions(void)
{
    char fp[17], src[4096];
    /* the finding on line 11 is the 10th requests.post at module level: N = 9 */
    fingerprint(fp, "s.py", "external", "requests.post", "", 9);
    snprintf(src, sizeof src,
             "requests.post(u)  # sst: ignore\n"                          /* 1  yes: bare */
             "requests.post(u)  # sst: ignore[external/requests]\n"       /* 2  yes: rule */
             "requests.post(u)  # sst: ignore[openai]\n"                  /* 3  no: another service */
             "requests.post(u)  # sst: ignore[requests]\n"                /* 4  yes: service */
             "requests.post(u, data=\"# sst: ignore \")\n"                /* 5  no: in a string */
             "s = \"\"\"abc\n"                                            /* 6  */
             "# sst: ignore \"\"\"; requests.post(u)\n"                   /* 7  no: in a string */
             "requests.post(\"a\\\"# sst: ignore[requests]\")\n"          /* 8  no: escaped quote */
             "requests.post(f\"{x['#']} sst: ignore {y}\")\n"             /* 9  no: f-string */
             "requests.post(f\"{d[\"k\"]:{w}}\")  # sst: ignore\n"        /* 10 yes: nested quotes */
             "requests.post(u)  # sst: ignore[%s]\n"                      /* 11 yes: fingerprint */
             "requests.post(u)  # noqa # sst:ignore\n"                    /* 12 yes: no space */
             "requests.post(u)  # sst: ignored\n"                         /* 13 no: not the word */
             "requests.post(u)  # sst: ignore[openai, external/requests]\n" /* 14 yes: in a list */
             "requests.post(u)  # sst: ignore[external/requests\n"        /* 15 no: unclosed list */
             "requests.post(r\"\\\\\")  # sst: ignore because reviewed\n" /* 16 yes: raw string */
             "requests.post(u)  # sst: ignore [requests]\n"               /* 17 yes: list after a space */
             "requests.post(u)  # mysst: ignore\n"                        /* 18 no: not at a word start */
             "requests.post(f\"{'\"'}\")  # sst: ignore\n",               /* 19 yes: a quote in a field */
             fp);
    int got[32];
    size_t n;
    suppressed_lines("s.py", src, got, 32, &n);
    static const int want[] = { 1, 1, 0, 1, 0, 0, 0, 0, 1, 1, 1, 0, 1, 0, 1, 1, 0, 1 };
    CU_ASSERT_EQUAL_FATAL(n, sizeof want / sizeof *want);
    for (size_t k = 0; k < n; k++) {
        if (got[k] != want[k]) fprintf(stderr, "\nfinding %zu: suppressed %d, want %d\n", k, got[k], want[k]);
        CU_ASSERT_EQUAL(got[k], want[k]);
    }
}

static void test_suppressions_line_endings(void)
{
    /* CRLF and a lone CR end lines like LF: the comment is on the finding's line */
    int got[8];
    size_t n;
    suppressed_lines("crlf.py",
                     "x = '''a\r\nb'''\r\nrequests.post(u)  # sst: ignore\r\n"
                     "requests.post(u)\rrequests.post(u) # sst: ignore\r\n",
                     got, 8, &n);
    CU_ASSERT_EQUAL_FATAL(n, 3);
    CU_ASSERT_EQUAL(got[0], 1);
    CU_ASSERT_EQUAL(got[1], 0);
    CU_ASSERT_EQUAL(got[2], 1);
}

static void test_suppressed_counts(void)
{
    sst_report *r;
    CU_ASSERT_EQUAL_FATAL(sst_report_new(&r), 0);
    sst_site sites[] = {
        site(SST_SITE_EXTERNAL, 1, 0, entry("requests.post"), SST_CAT_EMAIL, ""),
        site(SST_SITE_EXTERNAL, 2, 0, entry("requests.post"), SST_CAT_EMAIL, ""),
    };
    add(r, NULL, "a.py", "requests.post(e)  # sst: ignore\nrequests.post(e)\n", sites, 2);
    sst_report_counts c;
    sst_report_counts_get(&c, r);
    CU_ASSERT_EQUAL(c.findings, 2);
    CU_ASSERT_EQUAL(c.suppressed, 1);
    CU_ASSERT_EQUAL(c.fresh, 1);
    CU_ASSERT_EQUAL(sst_report_gate(r), 1);
    char *json = json_of(r);
    CU_ASSERT_PTR_NOT_NULL(strstr(json, "\"suppressed\": true"));
    CU_ASSERT_PTR_NOT_NULL(strstr(json, "\"suppressed\": 1,\n    \"new\": 1\n"));
    free(json);
    sst_report_free(r);
}

/* ---- baseline ------------------------------------------------------------------- */

static const char baseline_src[] =
    "def signup(email, phone):\n"
    "    requests.post(u, json=email)\n"
    "    requests.post(u, json=phone)  # sst: ignore\n"
    "    analytics(email)\n";

/* Three findings in signup; CATS is what reaches the first one. */
static sst_report *baseline_report(uint32_t cats, int with_third)
{
    sst_report *r;
    CU_ASSERT_EQUAL_FATAL(sst_report_new(&r), 0);
    sst_site sites[] = {
        site(SST_SITE_EXTERNAL, 2, 4, entry("requests.post"), cats, "signup"),
        site(SST_SITE_EXTERNAL, 3, 4, entry("requests.post"), SST_CAT_PHONE, "signup"),
        site(SST_SITE_EXTERNAL, 4, 4, entry("openai.OpenAI().responses.create"), SST_CAT_EMAIL, "signup"),
    };
    add(r, NULL, "app/signup.py", baseline_src, sites, with_third ? 3 : 2);
    return r;
}

static void test_baseline_round_trip(void)
{
    sst_report *r = baseline_report(SST_CAT_EMAIL, 1);
    sst_buf b = {0};
    CU_ASSERT_EQUAL_FATAL(sst_baseline_format(&b, r), 0);
    char fp0[17], fp2[17], want[2048];
    fingerprint(fp0, "app/signup.py", "external", "requests.post", "signup", 0);
    fingerprint(fp2, "app/signup.py", "external", "openai.OpenAI().responses.create", "signup", 0);
    snprintf(want, sizeof want,
             "{\n  \"format\": 1,\n  \"findings\": [\n"
             "    {\"fingerprint\": \"%s\", \"rule\": \"external/requests\", \"api\": \"requests.post\", "
             "\"file\": \"app/signup.py\", \"scope\": \"signup\", \"categories\": [\"email\"]},\n"
             "    {\"fingerprint\": \"%s\", \"rule\": \"external/openai\", "
             "\"api\": \"openai.OpenAI().responses.create\", \"file\": \"app/signup.py\", "
             "\"scope\": \"signup\", \"categories\": [\"email\"]}\n"
             "  ]\n}\n",
             fp0, fp2);
    CU_ASSERT_STRING_EQUAL(b.data, want);

    sst_baseline *base = NULL;
    sst_error err = {0};
    CU_ASSERT_EQUAL_FATAL(sst_baseline_parse(&base, b.data, b.len, "sst-baseline.json", &err), 0);
    CU_ASSERT_EQUAL(sst_baseline_count(base), 2);   /* the suppressed one is not written */

    /* the same code: everything approved, the gate passes */
    CU_ASSERT_EQUAL(sst_report_apply_baseline(r, base), 0);
    CU_ASSERT_EQUAL(sst_report_finding(r, 0)->mark, SST_MARK_APPROVED);
    CU_ASSERT_EQUAL(sst_report_finding(r, 1)->mark, SST_MARK_NEW);   /* suppressed instead */
    CU_ASSERT_EQUAL(sst_report_finding(r, 2)->mark, SST_MARK_APPROVED);
    CU_ASSERT_EQUAL(sst_report_gate(r), 0);
    sst_report_counts c;
    sst_report_counts_get(&c, r);
    CU_ASSERT_EQUAL(c.approved, 2);
    CU_ASSERT_EQUAL(c.stale, 0);
    char *json = json_of(r);
    CU_ASSERT_PTR_NOT_NULL(strstr(json, "\"suppressed\": false,\n      \"baseline\": \"approved\"\n"));
    CU_ASSERT_PTR_NOT_NULL(strstr(json, "\"suppressed\": true,\n      \"baseline\": \"new\"\n"));
    CU_ASSERT_PTR_NOT_NULL(strstr(json, "\"new\": 0\n"));
    free(json);
    sst_report_free(r);

    /* phone now reaches the first call too: widened, so new */
    r = baseline_report(SST_CAT_EMAIL | SST_CAT_PHONE, 1);
    CU_ASSERT_EQUAL(sst_report_apply_baseline(r, base), 0);
    CU_ASSERT_EQUAL(sst_report_finding(r, 0)->mark, SST_MARK_WIDENED);
    CU_ASSERT_EQUAL(sst_report_finding(r, 2)->mark, SST_MARK_APPROVED);
    CU_ASSERT_EQUAL(sst_report_gate(r), 1);
    json = json_of(r);
    CU_ASSERT_PTR_NOT_NULL(strstr(json, "\"phone\"\n      ],\n      \"file\""));
    CU_ASSERT_PTR_NOT_NULL(strstr(json, "\"suppressed\": false,\n      \"baseline\": \"new\"\n"));
    free(json);
    sst_report_free(r);

    /* fewer categories than approved: still approved */
    r = baseline_report(0, 1);
    CU_ASSERT_EQUAL(sst_report_apply_baseline(r, base), 0);
    CU_ASSERT_EQUAL(sst_report_finding(r, 0)->mark, SST_MARK_APPROVED);
    sst_report_free(r);

    /* the openai call is gone: its entry is stale; and an empty baseline makes all new */
    r = baseline_report(SST_CAT_EMAIL, 0);
    CU_ASSERT_EQUAL(sst_report_apply_baseline(r, base), 0);
    sst_report_counts_get(&c, r);
    CU_ASSERT_EQUAL(c.stale, 1);
    CU_ASSERT_EQUAL(c.fresh, 0);
    sst_baseline *none = NULL;
    const char empty[] = "{\"format\": 1, \"findings\": []}";
    CU_ASSERT_EQUAL_FATAL(sst_baseline_parse(&none, empty, strlen(empty), "empty.json", &err), 0);
    CU_ASSERT_EQUAL(sst_report_apply_baseline(r, none), 0);
    CU_ASSERT_EQUAL(sst_report_finding(r, 0)->mark, SST_MARK_NEW);
    CU_ASSERT_EQUAL(sst_report_gate(r), 1);
    sst_baseline_free(none);
    sst_report_free(r);

    /* a new finding in a new place */
    r = baseline_report(SST_CAT_EMAIL, 1);
    sst_site more[] = { site(SST_SITE_EXTERNAL, 1, 0, entry("requests.post"), 0, "") };
    add(r, NULL, "app/extra.py", "requests.post(u)\n", more, 1);
    CU_ASSERT_EQUAL(sst_report_apply_baseline(r, base), 0);
    CU_ASSERT_EQUAL(sst_report_finding(r, 0)->mark, SST_MARK_NEW);   /* app/extra.py sorts first */
    CU_ASSERT_STRING_EQUAL(sst_report_finding(r, 0)->file, "app/extra.py");
    CU_ASSERT_EQUAL(sst_report_gate(r), 1);
    sst_report_free(r);

    sst_baseline_free(base);
    sst_buf_free(&b);
}

static void check_bad(const char *text, unsigned line, const char *fragment)
{
    sst_baseline *base = NULL;
    sst_error err = {0};
    int rc = sst_baseline_parse(&base, text, strlen(text), "ci/baseline.json", &err);
    CU_ASSERT_EQUAL(rc, SST_EINVAL);
    CU_ASSERT_PTR_NULL(base);
    CU_ASSERT_STRING_EQUAL(err.path, "ci/baseline.json");
    CU_ASSERT_EQUAL(err.line, line);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.message, fragment));
    if (err.line != line || !strstr(err.message, fragment))
        fprintf(stderr, "\n%s:%u: %s (wanted line %u, \"%s\")\n", err.path, err.line, err.message,
                line, fragment);
    sst_baseline_free(base);
}

#define GOOD_FP "0123456789abcdef"

static void test_baseline_errors(void)
{
    check_bad("{\"format\": 1,\n \"findings\": [\n  {\"fingerprint\": \"" GOOD_FP "\",}\n]}",
              3, "invalid JSON");
    check_bad("[]", 1, "expected an object");
    check_bad("{\"findings\": []}", 1, "no \"format\"");
    check_bad("{\n  \"format\": 2,\n  \"findings\": []\n}", 2, "unsupported \"format\"");
    check_bad("{\n  \"format\": 1,\n  \"findings\": {}\n}", 3, "\"findings\" must be a list");
    check_bad("{\n  \"format\": 1,\n  \"finding\": []\n}", 3, "unknown key \"finding\"");
    check_bad("{\"format\": 1, \"findings\": [\n"
              "  {\"fingerprint\": \"" GOOD_FP "\", \"categories\": []},\n"
              "  {\"fingerprint\": \"0123456789ABCDEF\", \"categories\": []}\n]}",
              3, "fingerprint \"0123456789ABCDEF\" is not 16 lowercase hex digits");
    check_bad("{\"format\": 1, \"findings\": [\n"
              "  {\"fingerprint\": \"" GOOD_FP "\", \"categories\": [\"email\", \"emali\"]}\n]}",
              2, "unknown category \"emali\"");
    check_bad("{\"format\": 1, \"findings\": [\n\n"
              "  {\"fingerprint\": \"" GOOD_FP "\", \"categories\": []},\n"
              "  {\"fingerprint\": \"" GOOD_FP "\", \"categories\": []}\n]}",
              4, "is listed twice (first on line 3)");
    check_bad("{\"format\": 1, \"findings\": [\n  {\"fingerprint\": \"" GOOD_FP "\"}\n]}",
              2, "no \"categories\"");
    check_bad("{\"format\": 1, \"findings\": [\n  {\"categories\": []}\n]}", 2, "no \"fingerprint\"");
    check_bad("{\"format\": 1, \"findings\": [\n  {\"fingerprint\": \"" GOOD_FP
              "\", \"categories\": [], \"line\": 3}\n]}",
              2, "unknown key \"line\" in a finding");
    check_bad("{\"format\": 1, \"findings\": [\n  {\"fingerprint\": \"" GOOD_FP
              "\", \"categories\": [], \"scope\": null}\n]}",
              2, "\"scope\" must be a string");
    check_bad("{\"format\": 1, \"findings\": [\n  \"" GOOD_FP "\"\n]}", 2, "must be an object");
    /* brackets and quotes inside strings do not confuse the line finder */
    check_bad("{\"format\": 1, \"findings\": [\n"
              "  {\"fingerprint\": \"" GOOD_FP "\", \"api\": \"a[\\\"]{\", \"categories\": []},\n"
              "  {\"fingerprint\": \"" GOOD_FP "x\", \"categories\": []}\n]}",
              3, "not 16 lowercase hex digits");
}

static void test_baseline_load(void)
{
    char *dir = scratch_dir();
    CU_ASSERT_PTR_NOT_NULL_FATAL(dir);
    char path[4200];
    put_file(dir, "b.json", "{\"format\": 1, \"findings\": [\n"
                            "  {\"fingerprint\": \"" GOOD_FP "\", \"categories\": [\"health\"]}\n]}\n", 0644);
    snprintf(path, sizeof path, "%s/b.json", dir);
    sst_baseline *base = NULL;
    sst_error err = {0};
    CU_ASSERT_EQUAL_FATAL(sst_baseline_load(&base, path, &err), 0);
    uint32_t cats = 0;
    size_t index = 9;
    CU_ASSERT_EQUAL(sst_baseline_lookup(base, GOOD_FP, &cats, &index), 1);
    CU_ASSERT_EQUAL(cats, SST_CAT_HEALTH);
    CU_ASSERT_EQUAL(index, 0);
    CU_ASSERT_EQUAL(sst_baseline_lookup(base, "fedcba9876543210", &cats, &index), 0);
    sst_baseline_free(base);
    snprintf(path, sizeof path, "%s/missing.json", dir);
    base = NULL;
    CU_ASSERT_NOT_EQUAL(sst_baseline_load(&base, path, &err), 0);
    CU_ASSERT_PTR_NULL(base);
    rm_tree(dir);
    free(dir);
}

/* ---- SARIF ---------------------------------------------------------------------- */

static const sst_json *at(const sst_json *v, size_t k)
{
    CU_ASSERT_FATAL(v && v->type == SST_JSON_ARRAY && k < v->nitems);
    return &v->items[k];
}

static const char *str(const sst_json *obj, const char *key)
{
    const sst_json *v = sst_json_get(obj, key);
    return v && v->type == SST_JSON_STRING ? v->string : "(missing)";
}

static double num(const sst_json *obj, const char *key)
{
    const sst_json *v = sst_json_get(obj, key);
    return v && v->type == SST_JSON_NUMBER ? v->number : -1;
}

/* The sample: every kind, a suppression, a baseline, a root and a file name
 * that needs escaping. */
static sst_report *sample_report(void)
{
    sst_report *r;
    CU_ASSERT_EQUAL_FATAL(sst_report_new(&r), 0);
    add_insight(r, "src");
    add_jobs(r, "./src/");
    sst_site conf[] = { site(SST_SITE_CONFIG, 2, 0, &config_entry, 0, "") };
    add(r, "src", "settings/prod #1.py", "import sentry_sdk\nsentry_sdk.init(dsn=D, send_default_pii=True)\n",
        conf, 1);
    sst_site more[] = {
        site(SST_SITE_EXTERNAL, 1, 0, entry("requests.post"), SST_CAT_PHONE, "sms"),
        site(SST_SITE_EXTERNAL, 2, 0, entry("requests.post"), SST_CAT_NAME, "sms"),
    };
    add(r, "/abs/src", "caf\xc3\xa9/sms.py", "requests.post(phone)\nrequests.post(name)  # sst: ignore\n", more, 2);
    char fp[17];
    fingerprint(fp, "app/insight.py", "external", "openai.OpenAI().responses.create",
                "InsightService.explain", 0);
    char text[200];
    snprintf(text, sizeof text, "{\"format\": 1, \"findings\": [{\"fingerprint\": \"%s\", \"categories\": [\"email\"]}]}", fp);
    sst_baseline *base = NULL;
    sst_error err = {0};
    CU_ASSERT_EQUAL_FATAL(sst_baseline_parse(&base, text, strlen(text), "b.json", &err), 0);
    sst_report_apply_baseline(r, base);   /* email approved, financial is not: updated */
    sst_baseline_free(base);
    return r;
}

static const sst_sarif_options sample_options = { "https://example.invalid/sst-rewrite", "file:///work/repo" };

static void test_sarif(void)
{
    sst_report *r = sample_report();
    sst_buf b = {0};
    CU_ASSERT_EQUAL_FATAL(sst_report_format_sarif(&b, r, &sample_options), 0);
    sst_json *doc = NULL;
    sst_error err = {0};
    CU_ASSERT_EQUAL_FATAL(sst_json_parse(&doc, b.data, b.len, "sarif", &err), 0);
    CU_ASSERT_STRING_EQUAL(str(doc, "version"), "2.1.0");
    const sst_json *run = at(sst_json_get(doc, "runs"), 0);
    const sst_json *driver = sst_json_get(sst_json_get(run, "tool"), "driver");
    CU_ASSERT_STRING_EQUAL(str(driver, "name"), "sst-rewrite");
    CU_ASSERT_STRING_EQUAL(str(driver, "informationUri"), "https://example.invalid/sst-rewrite");
    const sst_json *rules = sst_json_get(driver, "rules");
    CU_ASSERT_EQUAL_FATAL(rules->nitems, 5);
    static const char *const ids[] = { "config/sentry", "external/openai", "external/requests",
                                       "log/logging", "store/sqlite3" };
    for (size_t k = 0; k < 5; k++) CU_ASSERT_STRING_EQUAL(str(at(rules, k), "id"), ids[k]);
    CU_ASSERT_STRING_EQUAL(str(at(rules, 1), "name"), "ExternalOpenai");
    CU_ASSERT_STRING_EQUAL(str(sst_json_get(at(rules, 1), "shortDescription"), "text"),
                           "Data sent to openai (api.openai.com)");
    CU_ASSERT_STRING_EQUAL(str(sst_json_get(at(rules, 4), "defaultConfiguration"), "level"), "note");
    CU_ASSERT_STRING_EQUAL(str(sst_json_get(sst_json_get(run, "originalUriBaseIds"), "%SRCROOT%"), "uri"),
                           "file:///work/repo/");

    const sst_json *results = sst_json_get(run, "results");
    CU_ASSERT_EQUAL_FATAL(results->nitems, 6);
    /* sorted by file: "app/insight.py" (2), "café/sms.py" (2), "jobs.py", "settings/prod #1.py" */
    const sst_json *openai = at(results, 0);
    CU_ASSERT_STRING_EQUAL(str(openai, "ruleId"), "external/openai");
    CU_ASSERT_EQUAL(num(openai, "ruleIndex"), 1);
    CU_ASSERT_STRING_EQUAL(str(openai, "level"), "warning");
    CU_ASSERT_STRING_EQUAL(str(sst_json_get(openai, "message"), "text"),
                           "email, financial may reach openai (api.openai.com) through "
                           "openai.OpenAI().responses.create");
    CU_ASSERT_STRING_EQUAL(str(openai, "baselineState"), "updated");
    const sst_json *loc = sst_json_get(at(sst_json_get(openai, "locations"), 0), "physicalLocation");
    CU_ASSERT_STRING_EQUAL(str(sst_json_get(loc, "artifactLocation"), "uri"), "src/app/insight.py");
    CU_ASSERT_STRING_EQUAL(str(sst_json_get(loc, "artifactLocation"), "uriBaseId"), "%SRCROOT%");
    const sst_json *region = sst_json_get(loc, "region");
    CU_ASSERT_EQUAL(num(region, "startLine"), 5);
    CU_ASSERT_EQUAL(num(region, "startColumn"), 16);
    CU_ASSERT_EQUAL(num(region, "endLine"), 5);
    CU_ASSERT_EQUAL(num(region, "endColumn"), 66);
    char fp[17];
    fingerprint(fp, "app/insight.py", "external", "openai.OpenAI().responses.create",
                "InsightService.explain", 0);
    CU_ASSERT_STRING_EQUAL(str(sst_json_get(openai, "partialFingerprints"), SST_FINGERPRINT_KEY), fp);
    CU_ASSERT_PTR_NULL(sst_json_get(openai, "suppressions"));

    const sst_json *store = at(results, 1);
    CU_ASSERT_STRING_EQUAL(str(sst_json_get(store, "message"), "text"),
                           "Data may be stored by sqlite3 through sqlite3.connect().execute; "
                           "no personal-data category was found reaching it");
    CU_ASSERT_STRING_EQUAL(str(store, "baselineState"), "new");

    const sst_json *sms = at(results, 3);   /* the suppressed one, absolute root */
    CU_ASSERT_STRING_EQUAL(str(at(sst_json_get(sms, "suppressions"), 0), "kind"), "inSource");
    loc = sst_json_get(at(sst_json_get(sms, "locations"), 0), "physicalLocation");
    CU_ASSERT_STRING_EQUAL(str(sst_json_get(loc, "artifactLocation"), "uri"), "file:///abs/src/caf%C3%A9/sms.py");
    CU_ASSERT_PTR_NULL(sst_json_get(sst_json_get(loc, "artifactLocation"), "uriBaseId"));

    const sst_json *log = at(results, 4);
    loc = sst_json_get(at(sst_json_get(log, "locations"), 0), "physicalLocation");
    CU_ASSERT_STRING_EQUAL(str(sst_json_get(loc, "artifactLocation"), "uri"), "src/jobs.py");
    CU_ASSERT_STRING_EQUAL(str(sst_json_get(log, "message"), "text"),
                           "Data may be logged by logging through logging.getLogger().info; "
                           "no personal-data category was found reaching it");

    const sst_json *conf = at(results, 5);
    CU_ASSERT_STRING_EQUAL(str(sst_json_get(conf, "message"), "text"),
                           "sentry_sdk.init configures sentry (sentry.io) to send personal data");
    loc = sst_json_get(at(sst_json_get(conf, "locations"), 0), "physicalLocation");
    CU_ASSERT_STRING_EQUAL(str(sst_json_get(loc, "artifactLocation"), "uri"), "src/settings/prod%20%231.py");
    CU_ASSERT_EQUAL(num(conf, "ruleIndex"), 0);

    /* the same again: byte for byte */
    sst_buf again = {0};
    CU_ASSERT_EQUAL(sst_report_format_sarif(&again, r, &sample_options), 0);
    CU_ASSERT_STRING_EQUAL(again.data, b.data);
    sst_buf_free(&again);
    sst_json_free(doc);
    sst_buf_free(&b);
    sst_report_free(r);
}

/* ---- fixture expectations (section 5 of the issue-3 conventions) -------------------- */

static sst_report *expected_report(void)
{
    sst_report *r;
    CU_ASSERT_EQUAL_FATAL(sst_report_new(&r), 0);
    add_insight(r, NULL);
    add_jobs(r, NULL);
    sst_site sites[] = {
        site(SST_SITE_EXTERNAL, 1, 0, entry("requests.post"), SST_CAT_PHONE | SST_CAT_EMAIL, ""),
        site(SST_SITE_EXTERNAL, 1, 20, entry("requests.post"), 0, ""),
    };
    add(r, NULL, "hooks.py", "requests.post(p) or requests.post(q)  # sst: ignore\n", sites, 2);
    return r;
}

static void test_expected_projection(void)
{
    sst_report *r = expected_report();
    sst_buf b = {0};
    CU_ASSERT_EQUAL(sst_report_format_expected(&b, r), 0);
    CU_ASSERT_STRING_EQUAL(b.data,
        "app/insight.py:5 external openai.OpenAI().responses.create email,financial\n"
        "app/insight.py:7 store sqlite3.connect().execute -\n"
        "hooks.py:1 external requests.post email,phone suppressed\n"
        "hooks.py:1 external requests.post - suppressed\n"
        "jobs.py:3 log logging.getLogger().info -\n");
    sst_buf_free(&b);
    sst_report_free(r);
}

static size_t check(sst_report *r, const char *text, char **diff)
{
    size_t n = 99;
    sst_buf d = {0};
    sst_error err = {0};
    int rc = sst_report_check_expected(&n, &d, r, text, strlen(text), "p.expected", &err);
    CU_ASSERT_EQUAL(rc, 0);
    if (rc) fprintf(stderr, "\n%s:%u: %s\n", err.path, err.line, err.message);
    *diff = d.data ? d.data : strdup("");
    return n;
}

static void test_expected_check(void)
{
    sst_report *r = expected_report();
    char *diff;
    /* comments, blank lines, extra blanks, CRLF; same-line findings in any order */
    CU_ASSERT_EQUAL(check(r,
        "# the insight app\n"
        "\n"
        "app/insight.py:5   external openai.OpenAI().responses.create\temail,financial\n"
        "app/insight.py:7 store sqlite3.connect().execute -\r\n"
        "   # two calls on one line\n"
        "hooks.py:1 external requests.post - suppressed\n"
        "hooks.py:1 external requests.post email,phone suppressed\n"
        "jobs.py:3 log logging.getLogger().info -", &diff), 0);
    CU_ASSERT_STRING_EQUAL(diff, "");
    free(diff);

    CU_ASSERT_EQUAL(check(r,
        "app/insight.py:5 external openai.OpenAI().responses.create email\n"
        "app/insight.py:6 store sqlite3.connect().execute -\n"
        "hooks.py:1 external requests.post email,phone suppressed\n"
        "hooks.py:1 external requests.post -\n"
        "jobs.py:3 log logging.getLogger().info -\n"
        "zz.py:1 store builtins.print -\n", &diff), 7);
    CU_ASSERT_STRING_EQUAL(diff,
        "p.expected:1: expected, not reported: app/insight.py:5 external openai.OpenAI().responses.create email\n"
        "p.expected: reported, not expected: app/insight.py:5 external openai.OpenAI().responses.create email,financial\n"
        "p.expected:2: expected, not reported: app/insight.py:6 store sqlite3.connect().execute -\n"
        "p.expected: reported, not expected: app/insight.py:7 store sqlite3.connect().execute -\n"
        "p.expected:4: expected, not reported: hooks.py:1 external requests.post -\n"
        "p.expected: reported, not expected: hooks.py:1 external requests.post - suppressed\n"
        "p.expected:6: expected, not reported: zz.py:1 store builtins.print -\n");
    free(diff);
    sst_report_free(r);
}

static void check_bad_expected(const char *text, unsigned line, const char *fragment)
{
    sst_report *r;
    CU_ASSERT_EQUAL_FATAL(sst_report_new(&r), 0);
    size_t n = 0;
    sst_buf d = {0};
    sst_error err = {0};
    CU_ASSERT_EQUAL(sst_report_check_expected(&n, &d, r, text, strlen(text), "x.expected", &err),
                    SST_EINVAL);
    CU_ASSERT_STRING_EQUAL(err.path, "x.expected");
    CU_ASSERT_EQUAL(err.line, line);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.message, fragment));
    if (err.line != line || !strstr(err.message, fragment))
        fprintf(stderr, "\n%s:%u: %s (wanted line %u, \"%s\")\n", err.path, err.line, err.message,
                line, fragment);
    sst_buf_free(&d);
    sst_report_free(r);
}

static void test_expected_errors(void)
{
    check_bad_expected("# c\na.py:1 external requests.post\n", 2, "expected FILE:LINE KIND API CATEGORIES");
    check_bad_expected("a.py external requests.post -\n", 1, "'a.py' is not FILE:LINE");
    check_bad_expected("a.py:0 external requests.post -\n", 1, "is not FILE:LINE");
    check_bad_expected("a.py:x external requests.post -\n", 1, "is not FILE:LINE");
    check_bad_expected("a.py:3 sink requests.post -\n", 1, "unknown kind 'sink'");
    check_bad_expected("a.py:3 external requests.post emial\n", 1, "unknown category 'emial'");
    check_bad_expected("a.py:3 external requests.post phone,email\n", 1, "category 'email' out of order");
    check_bad_expected("a.py:3 external requests.post email,email\n", 1, "out of order");
    check_bad_expected("a.py:3 external requests.post email,\n", 1, "empty category");
    check_bad_expected("a.py:3 external requests.post - supressed\n", 1, "'supressed' where");
    check_bad_expected("a.py:3 external requests.post - suppressed x\n", 1, "too many fields");
    check_bad_expected("a.py:10 external requests.post -\na.py:9 external requests.post -\n", 2,
                       "out of order: a.py:9 comes after a.py:10");
    check_bad_expected("b.py:1 external requests.post -\n\na.py:9 external requests.post -\n", 3,
                       "out of order");
}

/* ---- order does not depend on threads -------------------------------------------- */

enum { NFILES = 40, NTHREADS = 4 };

/* Workers do not call CUnit (it is not thread-safe): they count failures. */
typedef struct job {
    sst_report *report;
    int start;
    int failures;
} job;

static char sources[NFILES][128];
static char names[NFILES][32];
static const sst_entry *post_entry, *execute_entry;

static int add_numbered(sst_report *r, int k)
{
    sst_site sites[] = {
        site(SST_SITE_EXTERNAL, 2, 4, post_entry, (uint32_t)k & 0xFFF, "f"),
        site(SST_SITE_STORE, 1, 0, execute_entry, 0, ""),
        site(SST_SITE_EXTERNAL, 2, 4, post_entry, 0, "f"),   /* same position: site order */
    };
    sst_result res = result_of(sites, 3);
    sst_error err = {0};
    return sst_report_add_file(r, NULL, names[k], sources[k], strlen(sources[k]), &res, &err);
}

static void *worker(void *arg)
{
    job *j = arg;
    for (int k = j->start; k < NFILES; k += NTHREADS)
        if (add_numbered(j->report, NFILES - 1 - k)) j->failures++;
    return NULL;
}

static void test_thread_order(void)
{
    for (int k = 0; k < NFILES; k++) {
        snprintf(names[k], sizeof names[k], "m/%02d.py", (k * 7) % NFILES);
        snprintf(sources[k], sizeof sources[k], "db.execute(q)\ndef f(x):\n    requests.post(x).post(x)\n");
    }
    post_entry = entry("requests.post");
    execute_entry = entry("sqlite3.connect().execute");
    sst_report *seq, *par;
    CU_ASSERT_EQUAL_FATAL(sst_report_new(&seq), 0);
    CU_ASSERT_EQUAL_FATAL(sst_report_new(&par), 0);
    for (int k = 0; k < NFILES; k++) CU_ASSERT_EQUAL(add_numbered(seq, k), 0);
    pthread_t t[NTHREADS];
    job jobs[NTHREADS];
    for (int i = 0; i < NTHREADS; i++) {
        jobs[i] = (job){ par, i, 0 };
        CU_ASSERT_EQUAL_FATAL(pthread_create(&t[i], NULL, worker, &jobs[i]), 0);
    }
    for (int i = 0; i < NTHREADS; i++) {
        pthread_join(t[i], NULL);
        CU_ASSERT_EQUAL(jobs[i].failures, 0);
    }
    char *a = json_of(seq), *b = json_of(par);
    CU_ASSERT_STRING_EQUAL(a, b);
    CU_ASSERT_EQUAL(sst_report_count(par), 3 * NFILES);
    CU_ASSERT_STRING_EQUAL(sst_report_finding(par, 0)->file, "m/00.py");
    CU_ASSERT_EQUAL(sst_report_finding(par, 0)->line, 1);
    CU_ASSERT_EQUAL(sst_report_finding(par, 1)->order, 0);
    CU_ASSERT_EQUAL(sst_report_finding(par, 2)->order, 2);
    sst_buf sa = {0}, sb = {0};
    CU_ASSERT_EQUAL(sst_report_format_sarif(&sa, seq, NULL), 0);
    CU_ASSERT_EQUAL(sst_report_format_sarif(&sb, par, NULL), 0);
    CU_ASSERT_STRING_EQUAL(sa.data, sb.data);
    sst_buf_free(&sa);
    sst_buf_free(&sb);
    free(a);
    free(b);
    sst_report_free(seq);
    sst_report_free(par);
}

/* --sarif-sample FILE: the sample's SARIF, written inside a CUnit test so a
 * failed assertion still fails the run. */
static const char *sample_path;

static void test_write_sample(void)
{
    sst_report *r = sample_report();
    sst_buf b = {0};
    CU_ASSERT_EQUAL_FATAL(sst_report_format_sarif(&b, r, &sample_options), 0);
    FILE *f = fopen(sample_path, "wb");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    CU_ASSERT_EQUAL(fwrite(b.data, 1, b.len, f), b.len);
    CU_ASSERT_EQUAL(fclose(f), 0);
    sst_buf_free(&b);
    sst_report_free(r);
}

int main(int argc, char **argv)
{
    sst_error err = {0};
    if (sst_catalog_load_builtin(&catalog, &err) ||
        sst_catalog_add_text(catalog, "test.cat", catalog_text, strlen(catalog_text), &err)) {
        fprintf(stderr, "catalogue: %s:%u: %s\n", err.path, err.line, err.message);
        return 2;
    }
    int rc;
    if (argc == 3 && !strcmp(argv[1], "--sarif-sample")) {
        static const test_case sample[] = { { "write the sample SARIF", test_write_sample }, { NULL, NULL } };
        sample_path = argv[2];
        rc = run_suite("sarif sample", sample);
    } else {
        static const test_case cases[] = {
            { "JSON report, exact text", test_json_exact },
            { "JSON report with no finding", test_json_empty },
            { "fingerprint survives a line shift", test_fingerprint_stable_under_line_shift },
            { "two identical calls in one function", test_fingerprint_two_identical_calls },
            { "sst: ignore comments, not strings", test_suppressions },
            { "suppressions with CRLF and CR", test_suppressions_line_endings },
            { "suppressed findings in the counts", test_suppressed_counts },
            { "baseline round trip, new, widened, stale", test_baseline_round_trip },
            { "bad baselines name file and line", test_baseline_errors },
            { "baseline from a file", test_baseline_load },
            { "SARIF content", test_sarif },
            { "fixture expectation projection", test_expected_projection },
            { "fixture expectation check", test_expected_check },
            { "bad fixture expectations", test_expected_errors },
            { "same output whatever the thread order", test_thread_order },
            { NULL, NULL },
        };
        rc = run_suite("report", cases);
    }
    sst_catalog_free(catalog);
    return rc;
}
