/* CUnit suite for catalog.c: the built-in catalogue, lookups with kind,
 * service, host, target and categories, dotted prefixes, user text that adds
 * and overrides entries, every error message with its file and line, and the
 * classification of identifier names into data categories. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <CUnit/Basic.h>

#include "expect.h"

#include "catalog.h"

/* Loaded once before the tests: the built-in catalogue, read-only after. */
static sst_catalog *builtin;
static int init_failed;

static int suite_init(void)
{
    sst_error err = {0};
    if (sst_catalog_load_builtin(&builtin, &err)) {
        fprintf(stderr, "built-in catalogue: %s:%u: %s\n", err.path, err.line, err.message);
        init_failed = 1;
        return 1;
    }
    return 0;
}

static int suite_clean(void)
{
    sst_catalog_free(builtin);
    builtin = NULL;
    return 0;
}

/* A fresh catalogue for tests that add to it. */
static sst_catalog *fresh(void)
{
    sst_catalog *cat = NULL;
    sst_error err = {0};
    if (sst_catalog_load_builtin(&cat, &err)) return NULL;
    return cat;
}

static int add(sst_catalog *cat, const char *name, const char *text, sst_error *err)
{
    return sst_catalog_add_text(cat, name, text, strlen(text), err);
}

/* ---- the built-in catalogue ----------------------------------------------- */

typedef struct lookup_case {
    const char *path;
    sst_kind kind;
    const char *service;
    uint32_t categories;
} lookup_case;

static void test_builtin_lookups(void)
{
    static const lookup_case cases[] = {
        {"requests.post", SST_KIND_EXTERNAL, "requests", 0},
        {"requests.Session().post", SST_KIND_EXTERNAL, "requests", 0},
        {"urllib.request.urlopen", SST_KIND_EXTERNAL, "urllib", 0},
        {"http.client.HTTPSConnection().request", SST_KIND_EXTERNAL, "http.client", 0},
        {"smtplib.SMTP().sendmail", SST_KIND_EXTERNAL, "smtp", 0},
        {"smtplib.SMTP_SSL().send_message", SST_KIND_EXTERNAL, "smtp", 0},
        {"sqlite3.connect().execute", SST_KIND_STORE, "sqlite3", 0},
        {"logging.getLogger().info", SST_KIND_STORE, "logging", 0},
        {"print", SST_KIND_STORE, "stdout", 0},
        {"json.dump", SST_KIND_STORE, "serialization", 0},
        {"flask.request.form", SST_KIND_SOURCE, "flask", SST_CAT_USER_TEXT},
        {"flask.request.get_json()", SST_KIND_SOURCE, "flask", SST_CAT_USER_TEXT},
        {"flask.request.cookies", SST_KIND_SOURCE, "flask", SST_CAT_CREDENTIALS},
        {"flask.request.remote_addr", SST_KIND_SOURCE, "flask", SST_CAT_NETWORK_ID},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        const sst_entry *e = sst_catalog_lookup(builtin, cases[i].path);
        int ok = e && !strcmp(e->path, cases[i].path) && e->kind == cases[i].kind && e->service &&
                 !strcmp(e->service, cases[i].service) && !e->host && !e->target &&
                 e->categories == cases[i].categories;
        if (!ok) {
            if (!e) printf("\n    %s: not found\n", cases[i].path);
            else
                printf("\n    %s: kind %s service %s host %s categories %#x; expected %s %s (no host) %#x\n",
                       cases[i].path, sst_kind_name(e->kind), e->service ? e->service : "(null)",
                       e->host ? e->host : "(null)", e->categories, sst_kind_name(cases[i].kind),
                       cases[i].service, cases[i].categories);
        }
        CU_ASSERT(ok);
    }
}

static void test_builtin_misses(void)
{
    static const char *const misses[] = {
        "requests",            /* a prefix, not an entry */
        "requests.Session()",  /* likewise */
        "requests.nothing",
        "Requests.post",       /* case matters */
        "requests.post ",
        "",
        "smtplib.SMTP.sendmail", /* the method of the class, not of an instance */
    };
    for (size_t i = 0; i < sizeof misses / sizeof *misses; i++) {
        const sst_entry *e = sst_catalog_lookup(builtin, misses[i]);
        if (e) printf("\n    \"%s\" found as %s\n", misses[i], e->path);
        CU_ASSERT_PTR_NULL(e);
    }
}

typedef struct prefix_case {
    const char *path;
    size_t len;   /* 0: strlen */
    int expected;
} prefix_case;

static void test_has_prefix(void)
{
    static const prefix_case cases[] = {
        {"requests", 0, 1},
        {"requests.post", 0, 1},           /* a whole path is its own prefix */
        {"requests.Session", 0, 1},        /* cut at '(' */
        {"requests.Session()", 0, 1},      /* cut at '.' after the call */
        {"requests.Session().post", 0, 1},
        {"smtplib.SMTP", 0, 1},
        {"smtplib.SMTP()", 0, 1},
        {"smtplib.SMTP(", 0, 0},           /* not at a boundary */
        {"smtplib.SMT", 0, 0},
        {"request", 0, 0},
        {"requests.", 0, 0},
        {"requests.Sess", 0, 0},
        {"requests.post.x", 0, 0},
        {"flask", 0, 1},
        {"flask.request", 0, 1},
        {"flask.request.get_json", 0, 1},
        {"http", 0, 1},
        {"http.client.HTTPConnection()", 0, 1},
        {"os", 0, 0},
        {"", 0, 0},
        /* only LEN bytes count */
        {"requests.postXYZ", 13, 1},
        {"smtplib.SMTP().sendmail(", 23, 1},
        {"requests.post", 4, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        size_t len = cases[i].len ? cases[i].len : strlen(cases[i].path);
        int got = sst_catalog_has_prefix(builtin, cases[i].path, len);
        if (got != cases[i].expected)
            printf("\n    has_prefix(\"%.*s\") is %d, expected %d\n", (int)len, cases[i].path, got,
                   cases[i].expected);
        CU_ASSERT(got == cases[i].expected);
    }
}

/* ---- user text -------------------------------------------------------------- */

static void test_user_text(void)
{
    sst_catalog *cat = fresh();
    CU_ASSERT_PTR_NOT_NULL_FATAL(cat);
    sst_error err = {0};
    const char *text =
        "# a user catalogue\n"
        "service acme host=api.acme.test   # every entry goes to this host\n"
        "external acme.send\n"
        "external acme.Client().upload host=files.acme.test\n"
        "returns acme.connect() -> acme.Client()\n"
        "source acme.inbox categories=email,phone\n"
        "\n"
        "service mine\n"
        "store requests.post              # override: treated as a store now\n"
        "external mine.api.push\r\n";
    EXPECT_INT(add(cat, "user.cat", text, &err), 0);
    EXPECT_INT(err.code, 0);

    const sst_entry *e = sst_catalog_lookup(cat, "acme.send");
    CU_ASSERT_PTR_NOT_NULL_FATAL(e);
    EXPECT_INT(e->kind, SST_KIND_EXTERNAL);
    EXPECT_STR(e->service, "acme");
    EXPECT_STR(e->host, "api.acme.test");

    e = sst_catalog_lookup(cat, "acme.Client().upload");
    CU_ASSERT_PTR_NOT_NULL_FATAL(e);
    EXPECT_STR(e->host, "files.acme.test");

    e = sst_catalog_lookup(cat, "acme.connect()");
    CU_ASSERT_PTR_NOT_NULL_FATAL(e);
    EXPECT_INT(e->kind, SST_KIND_RETURNS);
    EXPECT_STR(e->target, "acme.Client()");

    e = sst_catalog_lookup(cat, "acme.inbox");
    CU_ASSERT_PTR_NOT_NULL_FATAL(e);
    EXPECT_INT(e->kind, SST_KIND_SOURCE);
    EXPECT_INT(e->categories, SST_CAT_EMAIL | SST_CAT_PHONE);

    /* the override: same path, the later line wins, the service is the new one
     * and the host of the old group does not leak into the new */
    e = sst_catalog_lookup(cat, "requests.post");
    CU_ASSERT_PTR_NOT_NULL_FATAL(e);
    EXPECT_INT(e->kind, SST_KIND_STORE);
    EXPECT_STR(e->service, "mine");
    CU_ASSERT_PTR_NULL(e->host);

    /* CRLF line: the path has no trailing CR */
    e = sst_catalog_lookup(cat, "mine.api.push");
    CU_ASSERT_PTR_NOT_NULL(e);

    CU_ASSERT(sst_catalog_has_prefix(cat, "acme", 4));
    CU_ASSERT(sst_catalog_has_prefix(cat, "acme.Client()", 13));
    CU_ASSERT(sst_catalog_has_prefix(cat, "mine.api", 8));
    /* the built-in entries are still there */
    e = sst_catalog_lookup(cat, "requests.get");
    CU_ASSERT_PTR_NOT_NULL(e);
    if (e) EXPECT_STR(e->service, "requests");
    /* and the built-in catalogue loaded separately is untouched */
    e = sst_catalog_lookup(builtin, "requests.post");
    CU_ASSERT_PTR_NOT_NULL(e);
    if (e) EXPECT_INT(e->kind, SST_KIND_EXTERNAL);
    CU_ASSERT_PTR_NULL(sst_catalog_lookup(builtin, "acme.send"));
    sst_catalog_free(cat);
}

static void test_add_file(void)
{
    char path[] = "/tmp/sst-test-catalog-XXXXXX";
    int fd = mkstemp(path);
    CU_ASSERT_FATAL(fd >= 0);
    const char text[] = "service filed\nexternal filed.send\nstore filed.keep\n";
    CU_ASSERT(write(fd, text, sizeof text - 1) == (ssize_t)(sizeof text - 1));
    close(fd);
    sst_catalog *cat = fresh();
    CU_ASSERT_PTR_NOT_NULL_FATAL(cat);
    sst_error err = {0};
    EXPECT_INT(sst_catalog_add_file(cat, path, &err), 0);
    const sst_entry *e = sst_catalog_lookup(cat, "filed.keep");
    CU_ASSERT_PTR_NOT_NULL(e);
    if (e) {
        EXPECT_INT(e->kind, SST_KIND_STORE);
        EXPECT_STR(e->service, "filed");
    }

    /* a bad line in a file: the error names the file and the line */
    FILE *f = fopen(path, "w");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    fputs("service filed\n\n# comment\nexternal filed.x extra=1\n", f);
    fclose(f);
    sst_error bad = {0};
    EXPECT_INT(sst_catalog_add_file(cat, path, &bad), SST_EINVAL);
    EXPECT_INT(bad.code, SST_EINVAL);
    EXPECT_STR(bad.path, path);
    EXPECT_INT(bad.line, 4);
    EXPECT_STR(bad.message, "unknown option 'extra=1' (host=, categories=)");
    unlink(path);

    sst_error missing = {0};
    EXPECT_INT(sst_catalog_add_file(cat, "/nonexistent/dir/x.cat", &missing), SST_EIO);
    EXPECT_INT(missing.code, SST_EIO);
    EXPECT_STR(missing.path, "/nonexistent/dir/x.cat");
    EXPECT_INT(missing.line, 0);
    EXPECT_STR(missing.message, "cannot open catalogue: No such file or directory");
    sst_catalog_free(cat);
}

/* ---- errors ------------------------------------------------------------------ */

typedef struct error_case {
    const char *text;
    unsigned line;
    const char *message;
} error_case;

static void test_errors(void)
{
    char long_line[1100];
    memset(long_line, 'x', sizeof long_line - 1);
    long_line[sizeof long_line - 1] = 0;
    memcpy(long_line, "# ", 2);
    const error_case cases[] = {
        {"service s\nfrobnicate a.b\n", 2,
         "unknown directive 'frobnicate' (service, external, store, source, returns, names, unless)"},
        {"# header\n\nexternal a.b\n", 3, "'external' before any 'service' line"},
        {"service s\nexternal a-b\n", 2, "'a-b' is not an API path (dotted names, '()' for a call)"},
        {"service s\nexternal .a\n", 2, "'.a' is not an API path (dotted names, '()' for a call)"},
        {"service s\nreturns a.b() -> a/b\n", 2, "'a/b' is not an API path (dotted names, '()' for a call)"},
        {"service s\nsource a.b categories=email,bogus\n", 2, "unknown data category 'bogus'"},
        {"names email: mail\nnames bogus: thing\n", 2, "unknown data category 'bogus'"},
        {"unless  : thing\n", 1, "unknown data category ''"},
        {"service s\nreturns a.b a.c\n", 2, "expected 'returns PATH -> PATH'"},
        {"service s\nreturns a.b ->\n", 2, "expected 'returns PATH -> PATH'"},
        {"service s\nexternal a.b port=443\n", 2, "unknown option 'port=443' (host=, categories=)"},
        {"service s dns=1\n", 1, "unknown option 'dns=1' (host=, categories=)"},
        {"names email: one two three four five\n", 1, "a phrase has at most 4 words"},
        {"unless email: two words\n", 1, "an 'unless' entry is a single word"},
        {"names email mail\n", 1, "expected 'CATEGORY: phrase, phrase...'"},
        {"service\n", 1, "'service' needs a name"},
        {"service s\n\n\nstore\n", 4, "'store' needs an API path"},
        {"service s\nexternal a b c d e f g h i\n", 2, "too many words on one line"},
        {"service s\r\nexternal a.b\r\nbogus\r\n", 3,
         "unknown directive 'bogus' (service, external, store, source, returns, names, unless)"},
        {long_line, 1, "line longer than 1023 bytes"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        sst_catalog *cat = fresh();
        CU_ASSERT_PTR_NOT_NULL_FATAL(cat);
        sst_error err = {0};
        int rc = add(cat, "user.cat", cases[i].text, &err);
        int ok = rc == SST_EINVAL && err.code == SST_EINVAL && !strcmp(err.path, "user.cat") &&
                 err.line == cases[i].line && !strcmp(err.message, cases[i].message);
        if (!ok)
            printf("\n    case %zu: rc %d, %s:%u: %s\n      expected user.cat:%u: %s\n", i, rc, err.path,
                   err.line, err.message, cases[i].line, cases[i].message);
        CU_ASSERT(ok);
        sst_catalog_free(cat);
    }
}

/* A host set by one "service" line does not carry over into the next one. */
static void test_service_groups(void)
{
    sst_catalog *cat = fresh();
    CU_ASSERT_PTR_NOT_NULL_FATAL(cat);
    sst_error err = {0};
    EXPECT_INT(add(cat, "a.cat", "service one host=one.test\nexternal one.send\n", &err), 0);
    /* a new text starts with no service: an entry first is an error */
    sst_error err2 = {0};
    EXPECT_INT(add(cat, "b.cat", "external two.send\n", &err2), SST_EINVAL);
    EXPECT_STR(err2.path, "b.cat");
    EXPECT_INT(err2.line, 1);
    EXPECT_INT(add(cat, "c.cat", "service three\nexternal three.send\n", &err), 0);
    const sst_entry *e = sst_catalog_lookup(cat, "three.send");
    CU_ASSERT_PTR_NOT_NULL_FATAL(e);
    CU_ASSERT_PTR_NULL(e->host);
    e = sst_catalog_lookup(cat, "one.send");
    CU_ASSERT_PTR_NOT_NULL_FATAL(e);
    EXPECT_STR(e->host, "one.test");
    sst_catalog_free(cat);
}

/* "#" starts a comment (docs/catalogue.md), whatever follows it: a user's
 * comment line "#file ..." is a comment too, not a switch to another file
 * name and service group. */
static void test_comment_starting_with_file(void)
{
    sst_catalog *cat = fresh();
    CU_ASSERT_PTR_NOT_NULL_FATAL(cat);
    sst_error err = {0};
    int rc = add(cat, "user.cat", "service acme\n#file of acme endpoints\nexternal acme.send\n", &err);
    if (rc) printf("\n    rc %d: %s:%u: %s\n", rc, err.path, err.line, err.message);
    EXPECT_INT(rc, 0);
    const sst_entry *e = sst_catalog_lookup(cat, "acme.send");
    CU_ASSERT_PTR_NOT_NULL(e);
    if (e) EXPECT_STR(e->service, "acme");
    sst_catalog_free(cat);
}

/* ---- names ------------------------------------------------------------------- */

typedef struct name_case {
    const char *name;
    uint32_t categories;
} name_case;

static void check_names(const sst_catalog *cat, const name_case *cases, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        uint32_t got = sst_catalog_classify_name(cat, cases[i].name, strlen(cases[i].name));
        if (got != cases[i].categories)
            printf("\n    classify(\"%s\") is %#x, expected %#x\n", cases[i].name, got, cases[i].categories);
        CU_ASSERT(got == cases[i].categories);
    }
}

static void test_classify_words(void)
{
    static const name_case cases[] = {
        /* snake_case */
        {"email", SST_CAT_EMAIL},
        {"user_email", SST_CAT_EMAIL},
        {"first_name", SST_CAT_NAME},
        {"date_of_birth", SST_CAT_BIRTH_DATE},
        {"home_address", SST_CAT_ADDRESS},
        {"_private_phone_", SST_CAT_PHONE},
        {"email2", SST_CAT_EMAIL},
        {"phone_1", SST_CAT_PHONE},
        /* camelCase and PascalCase */
        {"userEmail", SST_CAT_EMAIL},
        {"firstName", SST_CAT_NAME},
        {"DateOfBirth", SST_CAT_BIRTH_DATE},
        {"contactEmailAddress", SST_CAT_EMAIL}, /* "email" vetoes address */
        /* acronyms */
        {"HTTPServer", 0},
        {"userSSN", SST_CAT_GOVERNMENT_ID},
        {"SSNNumber", SST_CAT_GOVERNMENT_ID},
        {"EMAIL", SST_CAT_EMAIL},
        {"USER_PHONE", SST_CAT_PHONE},
        {"EMail", SST_CAT_EMAIL},              /* "e mail" */
        {"clientIPAddress", SST_CAT_NETWORK_ID},
        /* a phrase is words in order, whole words */
        {"name_first", 0},
        {"emailing", 0},
        {"tokenizer", 0},
        {"zipper", 0},
    };
    check_names(builtin, cases, sizeof cases / sizeof *cases);
}

static void test_classify_vetoes(void)
{
    static const name_case cases[] = {
        {"email_template", 0},
        {"emailTemplate", 0},
        {"EMAIL_BACKEND", 0},
        {"phone_count", 0},
        {"token_count", 0},
        {"file_name", 0},
        {"health_check", 0},
        {"ip_address", SST_CAT_NETWORK_ID},   /* address vetoed by "ip" */
        {"mail_address", SST_CAT_EMAIL},      /* address vetoed by "mail" */
        {"remote_addr", SST_CAT_NETWORK_ID},
        {"location_header", 0},
    };
    check_names(builtin, cases, sizeof cases / sizeof *cases);
}

static void test_classify_several(void)
{
    static const name_case cases[] = {
        {"email_and_phone", SST_CAT_EMAIL | SST_CAT_PHONE},
        {"firstNameAndEmail", SST_CAT_NAME | SST_CAT_EMAIL},
        {"billing_address_iban", SST_CAT_ADDRESS | SST_CAT_FINANCIAL},
        {"patient_name_diagnosis", SST_CAT_NAME | SST_CAT_HEALTH},
        {"salary_and_password", SST_CAT_FINANCIAL | SST_CAT_CREDENTIALS},
        /* the veto takes out its own category only */
        {"email_template_phone", SST_CAT_PHONE},
    };
    check_names(builtin, cases, sizeof cases / sizeof *cases);
}

static void test_classify_nothing(void)
{
    static const name_case cases[] = {
        {"", 0},
        {"x", 0},
        {"_", 0},
        {"__init__", 0},
        {"123", 0},
        {"counter", 0},
        {"self", 0},
        {"request", 0},
        {"data", 0},
        {"maxRetries", 0},
    };
    check_names(builtin, cases, sizeof cases / sizeof *cases);
    /* only LEN bytes are read */
    EXPECT_INT(sst_catalog_classify_name(builtin, "emailXYZ", 5), SST_CAT_EMAIL);
    EXPECT_INT(sst_catalog_classify_name(builtin, "email_template", 5), SST_CAT_EMAIL);
}

/* "names" and "unless" from a user text extend the built-in rules. */
static void test_classify_user_rules(void)
{
    sst_catalog *cat = fresh();
    CU_ASSERT_PTR_NOT_NULL_FATAL(cat);
    sst_error err = {0};
    EXPECT_INT(add(cat, "names.cat",
                   "names health: blood pressure, Heart Rate\n"
                   "unless email: draft\n", &err), 0);
    static const name_case cases[] = {
        {"bloodPressure", SST_CAT_HEALTH},
        {"resting_heart_rate", SST_CAT_HEALTH},  /* upper case in the file is folded */
        {"pressure_blood", 0},
        {"email_draft", 0},
        {"email", SST_CAT_EMAIL},
    };
    check_names(cat, cases, sizeof cases / sizeof *cases);
    /* the built-in catalogue does not see them */
    EXPECT_INT(sst_catalog_classify_name(builtin, "bloodPressure", 13), 0);
    EXPECT_INT(sst_catalog_classify_name(builtin, "email_draft", 11), SST_CAT_EMAIL);
    sst_catalog_free(cat);
}

static void test_names(void)
{
    EXPECT_STR(sst_kind_name(SST_KIND_EXTERNAL), "external");
    EXPECT_STR(sst_kind_name(SST_KIND_STORE), "store");
    EXPECT_STR(sst_kind_name(SST_KIND_SOURCE), "source");
    EXPECT_STR(sst_kind_name(SST_KIND_RETURNS), "returns");
    EXPECT_STR(sst_kind_name((sst_kind)99), "?");
    EXPECT_STR(sst_category_name(0), "email");
    EXPECT_STR(sst_category_name(6), "financial");
    EXPECT_STR(sst_category_name(SST_CAT_COUNT - 1), "user_text");
    CU_ASSERT_PTR_NULL(sst_category_name(SST_CAT_COUNT));
}

int main(void)
{
    static const sst_test tests[] = {
        {"builtin_lookups", test_builtin_lookups},
        {"builtin_misses", test_builtin_misses},
        {"has_prefix", test_has_prefix},
        {"user_text", test_user_text},
        {"add_file", test_add_file},
        {"errors", test_errors},
        {"service_groups", test_service_groups},
        {"comment_starting_with_file", test_comment_starting_with_file},
        {"classify_words", test_classify_words},
        {"classify_vetoes", test_classify_vetoes},
        {"classify_several", test_classify_several},
        {"classify_nothing", test_classify_nothing},
        {"classify_user_rules", test_classify_user_rules},
        {"names", test_names},
    };
    return run_suite("catalog", suite_init, suite_clean, tests, sizeof tests / sizeof *tests, &init_failed);
}
