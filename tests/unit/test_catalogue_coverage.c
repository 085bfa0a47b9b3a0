/* Every catalogue entry is exercised by real-shaped code: each
 * fixtures/catalogue/NAME.py is rewritten (profile standard) with the built-in
 * catalogue; its "# expect: KIND PATH[; KIND PATH]" comments must match the
 * sites found on their lines exactly, every external, store, log and config
 * site must be expected, and every external, store, log, source and config
 * entry of the catalogue must be expected somewhere. Run from the project root. */
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <CUnit/Basic.h>

#include <sst/rewrite.h>

#include "expect.h"

#define FIXTURE_GLOB "fixtures/catalogue/*.py"
#define MIN_FILES 30
#define MARK "# expect:"

typedef struct expectation {
    const char *file;
    unsigned line;
    sst_site_kind kind;
    char *path;
    int matched;
} expectation;

typedef struct found_site {
    const char *file;
    unsigned line;
    sst_site_kind kind;
    char *path;
    const sst_entry *entry;
    int matched;
} found_site;

/* Test-program state: filled once by the suite's set-up, read-only after. */
static sst_catalog *catalog;
static char **files;
static size_t nfiles;
static expectation *expects;
static size_t nexpects, capexpects;
static found_site *sites;
static size_t nsites, capsites;
static size_t nproblems;      /* unreadable files, bad annotations, rewrite errors */
static int init_failed;

static const struct {
    const char *name;
    sst_site_kind site;
    sst_kind entry;
} kinds[] = {
    {"external", SST_SITE_EXTERNAL, SST_KIND_EXTERNAL}, {"store", SST_SITE_STORE, SST_KIND_STORE},
    {"log", SST_SITE_LOG, SST_KIND_LOG},                {"source", SST_SITE_SOURCE, SST_KIND_SOURCE},
    {"config", SST_SITE_CONFIG, SST_KIND_CONFIG},
};

static int site_kind_of(const char *name, size_t len, sst_site_kind *out)
{
    for (size_t i = 0; i < sizeof kinds / sizeof *kinds; i++)
        if (strlen(kinds[i].name) == len && !memcmp(kinds[i].name, name, len)) {
            *out = kinds[i].site;
            return 1;
        }
    return 0;
}

static int checked_site(sst_site_kind kind)
{
    return kind == SST_SITE_EXTERNAL || kind == SST_SITE_STORE || kind == SST_SITE_LOG ||
           kind == SST_SITE_SOURCE || kind == SST_SITE_CONFIG;
}

static int read_all(const char *path, char **out, size_t *outlen)
{
    FILE *f = fopen(path, "rb");
    if (!f) return -1;
    char *data = NULL;
    size_t len = 0, cap = 0;
    int rc = -1;
    for (;;) {
        if (len == cap) {
            cap = cap ? cap * 2 : 8192;
            char *n = realloc(data, cap + 1);
            if (!n) goto done;
            data = n;
        }
        size_t got = fread(data + len, 1, cap - len, f);
        len += got;
        if (!got) break;
    }
    if (ferror(f)) goto done;
    data[len] = 0;
    *out = data;
    *outlen = len;
    data = NULL;
    rc = 0;
done:
    fclose(f);
    free(data);
    return rc;
}

static char *copy_string(const char *s)
{
    size_t len = strlen(s);
    char *p = malloc(len + 1);
    if (p) memcpy(p, s, len + 1);
    return p;
}

static int add_expectation(const char *file, unsigned line, sst_site_kind kind, const char *path, size_t len)
{
    if (nexpects == capexpects) {
        size_t cap = capexpects ? capexpects * 2 : 512;
        expectation *v = realloc(expects, cap * sizeof *v);
        if (!v) return -1;
        expects = v;
        capexpects = cap;
    }
    char *p = malloc(len + 1);
    if (!p) return -1;
    memcpy(p, path, len);
    p[len] = 0;
    expects[nexpects++] = (expectation){file, line, kind, p, 0};
    return 0;
}

static int add_site(const char *file, const sst_site *s)
{
    if (nsites == capsites) {
        size_t cap = capsites ? capsites * 2 : 512;
        found_site *v = realloc(sites, cap * sizeof *v);
        if (!v) return -1;
        sites = v;
        capsites = cap;
    }
    char *p = copy_string(s->path ? s->path : "(no path)");
    if (!p) return -1;
    sites[nsites++] = (found_site){file, s->line, s->kind, p, s->entry, 0};
    return 0;
}

/* Reads the "# expect:" comments of one file. A malformed one is a problem. */
static int parse_expectations(const char *file, const char *text, size_t len)
{
    unsigned line = 1;
    size_t i = 0;
    while (i < len) {
        size_t end = i;
        while (end < len && text[end] != '\n') end++;
        const char *mark = NULL;
        for (size_t k = i; k + strlen(MARK) <= end; k++)
            if (!memcmp(text + k, MARK, strlen(MARK))) {
                mark = text + k;
                break;
            }
        if (mark) {
            const char *p = mark + strlen(MARK), *stop = text + end;
            while (p < stop) {
                const char *semi = memchr(p, ';', (size_t)(stop - p));
                const char *item_end = semi ? semi : stop;
                /* KIND PATH, with spaces around */
                while (p < item_end && (*p == ' ' || *p == '\t')) p++;
                const char *kind = p;
                while (p < item_end && *p != ' ' && *p != '\t') p++;
                size_t klen = (size_t)(p - kind);
                while (p < item_end && (*p == ' ' || *p == '\t')) p++;
                const char *path = p;
                while (p < item_end && *p != ' ' && *p != '\t' && *p != '\r') p++;
                size_t plen = (size_t)(p - path);
                while (p < item_end && (*p == ' ' || *p == '\t' || *p == '\r')) p++;
                sst_site_kind sk;
                if (!klen || !plen || p != item_end || !site_kind_of(kind, klen, &sk)) {
                    printf("\n    %s:%u: malformed expectation \"%.*s\" (KIND PATH; KIND is external, store, log, "
                           "source or config)",
                           file, line, (int)(item_end - kind), kind);
                    nproblems++;
                } else if (add_expectation(file, line, sk, path, plen)) {
                    return -1;
                }
                p = semi ? semi + 1 : stop;
            }
        }
        i = end + 1;
        line++;
    }
    return 0;
}

static int run_file(const char *file)
{
    char *text = NULL;
    size_t len = 0;
    sst_result *result = NULL;
    int rc = -1;
    if (read_all(file, &text, &len)) {
        printf("\n    %s: cannot read", file);
        nproblems++;
        return 0;
    }
    if (parse_expectations(file, text, len)) goto done;
    sst_error err = {0};
    sst_options options = {.catalog = catalog, .profile = SST_PROFILE_STANDARD};
    if (sst_rewrite_buffer(&result, file, text, len, &options, &err)) {
        printf("\n    %s: sst_rewrite_buffer failed: %s:%u: %s", file, err.path, err.line, err.message);
        nproblems++;
        rc = 0;
        goto done;
    }
    if (result->status == SST_STATUS_UNPARSEABLE || result->status == SST_STATUS_ALREADY) {
        printf("\n    %s: status %s (line %u: %s)", file, sst_status_name(result->status), result->problem_line,
               result->problem);
        nproblems++;
    }
    for (size_t s = 0; s < result->nsites; s++)
        if (checked_site(result->sites[s].kind) && add_site(file, &result->sites[s])) goto done;
    rc = 0;
done:
    sst_result_free(result);
    free(text);
    return rc;
}

/* Pairs each expectation with a site: same file and line, same kind, exactly
 * that path; each site serves one expectation. Done once, in the set-up. */
static void match_all(void)
{
    for (size_t e = 0; e < nexpects; e++) {
        expectation *x = &expects[e];
        for (size_t s = 0; s < nsites && !x->matched; s++) {
            found_site *f = &sites[s];
            if (f->matched || f->line != x->line || f->kind != x->kind || strcmp(f->file, x->file) ||
                strcmp(f->path, x->path))
                continue;
            f->matched = x->matched = 1;
        }
    }
}

static int suite_init(void)
{
    sst_error err = {0};
    if (sst_catalog_load_builtin(&catalog, &err)) {
        fprintf(stderr, "built-in catalogue: %s:%u: %s\n", err.path, err.line, err.message);
        init_failed = 1;
        return 1;
    }
    glob_t g;
    int rc = glob(FIXTURE_GLOB, 0, NULL, &g);
    if (rc && rc != GLOB_NOMATCH) {
        init_failed = 1;
        return 1;
    }
    if (rc == 0) {
        files = calloc(g.gl_pathc, sizeof *files);
        for (size_t i = 0; files && i < g.gl_pathc; i++)
            if ((files[i] = copy_string(g.gl_pathv[i]))) nfiles++;
        if (!files || nfiles != g.gl_pathc) init_failed = 1;
        globfree(&g);
    }
    for (size_t i = 0; i < nfiles && !init_failed; i++)
        if (run_file(files[i])) init_failed = 1;
    match_all();
    return init_failed;
}

static int suite_clean(void)
{
    for (size_t i = 0; i < nexpects; i++) free(expects[i].path);
    for (size_t i = 0; i < nsites; i++) free(sites[i].path);
    for (size_t i = 0; i < nfiles; i++) free(files[i]);
    free(expects);
    free(sites);
    free(files);
    sst_catalog_free(catalog);
    return 0;
}

/* The sites of kinds checked here on FILE:LINE, for a message. */
static void print_sites_on(const char *file, unsigned line)
{
    int any = 0;
    for (size_t s = 0; s < nsites; s++) {
        if (sites[s].line != line || strcmp(sites[s].file, file)) continue;
        printf("%s%s %s", any ? "; " : "", sst_site_kind_name(sites[s].kind), sites[s].path);
        any = 1;
    }
    if (!any) printf("nothing");
}

/* Guards against a run from the wrong directory passing with nothing to check. */
static void test_files(void)
{
    printf("\n    %zu files, %zu expectations, %zu sites (external, store, log, source, config)\n", nfiles, nexpects,
           nsites);
    if (nfiles < MIN_FILES) printf("\n    %zu files match %s (need %d; run from the project root)", nfiles,
                                   FIXTURE_GLOB, MIN_FILES);
    CU_ASSERT(nfiles >= MIN_FILES);
    if (nproblems) printf("\n    %zu problems reading the fixtures (above)\n", nproblems);
    EXPECT_UINT(nproblems, 0);
}

static void test_expectations_met(void)
{
    size_t unmet = 0;
    for (size_t e = 0; e < nexpects; e++) {
        const expectation *x = &expects[e];
        if (x->matched) continue;
        printf("\n    %s:%u: expected %s %s, got ", x->file, x->line, sst_site_kind_name(x->kind), x->path);
        print_sites_on(x->file, x->line);
        unmet++;
    }
    if (unmet) printf("\n    %zu of %zu expectations unmet\n", unmet, nexpects);
    EXPECT_UINT(unmet, 0);
}

/* Every external, store, log and config site is expected (sources need not
 * be: a source inside a larger expression is fine unannounced). */
static void test_no_unexpected_sites(void)
{
    size_t extra = 0;
    for (size_t s = 0; s < nsites; s++) {
        const found_site *f = &sites[s];
        if (f->kind == SST_SITE_SOURCE || f->matched) continue;
        printf("\n    %s:%u: unexpected %s %s", f->file, f->line, sst_site_kind_name(f->kind), f->path);
        extra++;
    }
    if (extra) printf("\n    %zu unexpected sites\n", extra);
    EXPECT_UINT(extra, 0);
}

/* Every entry that makes a site is expected somewhere. An entry that shares
 * its path with others of its kind (config conditions) is told apart by the
 * site's entry: one of the matched sites must be it. */
static void test_every_entry_exercised(void)
{
    size_t missing = 0, n = sst_catalog_count(catalog), checked = 0;
    for (size_t i = 0; i < n; i++) {
        const sst_entry *e = sst_catalog_entry_at(catalog, i);
        sst_site_kind want;
        size_t k = 0;
        while (k < sizeof kinds / sizeof *kinds && kinds[k].entry != e->kind) k++;
        if (k == sizeof kinds / sizeof *kinds) continue; /* returns rules make no site */
        want = kinds[k].site;
        checked++;
        size_t same_kind = 0;
        for (const sst_entry *x = sst_catalog_lookup(catalog, e->path); x; x = x->next) same_kind += x->kind == e->kind;
        int found = 0;
        if (same_kind > 1) {
            for (size_t s = 0; s < nsites && !found; s++)
                found = sites[s].matched && sites[s].kind == want && sites[s].entry == e;
        } else {
            for (size_t x = 0; x < nexpects && !found; x++)
                found = expects[x].kind == want && !strcmp(expects[x].path, e->path);
        }
        if (!found) {
            printf("\n    %s:%u: %s %s", e->file, e->line, sst_kind_name(e->kind), e->path);
            if (e->when_glob) {
                printf(" when=");
                if (e->when_index) printf("%u%s", e->when_index, e->when_keyword ? "|" : "");
                printf("%s:%s", e->when_keyword ? e->when_keyword : "", e->when_glob);
            }
            printf(" is exercised by no fixture line");
            missing++;
        }
    }
    if (missing) printf("\n    %zu of %zu entries not exercised\n", missing, checked);
    EXPECT_UINT(missing, 0);
}

int main(void)
{
    static const sst_test tests[] = {
        {"files", test_files},
        {"expectations_met", test_expectations_met},
        {"no_unexpected_sites", test_no_unexpected_sites},
        {"every_entry_exercised", test_every_entry_exercised},
    };
    return run_suite("catalogue_coverage", suite_init, suite_clean, tests, sizeof tests / sizeof *tests,
                     &init_failed);
}
