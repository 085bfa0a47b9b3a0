/* CUnit suite for whole-project analysis through the public API
 * (sst_project_*, sst_module_*): what a module exports reaches the modules
 * that import it, cycles end, star imports honour __all__, base classes
 * lend their attributes, and the digest follows exports, not bodies. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <CUnit/Basic.h>

#include "expect.h"

#include <sst/rewrite.h>

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

typedef struct file {
    const char *module;
    int is_package;
    const char *text;
} file;

enum { MAX_FILES = 8 };

/* Analyses FILES as one project and rewrites each; results[i] for files[i].
 * Returns the project's digest (0 on failure). */
static uint64_t analyse(const file *files, size_t n, sst_result **results)
{
    sst_project *p = NULL;
    sst_module *m[MAX_FILES] = {0};
    sst_error err = {0};
    uint64_t digest = 0;
    sst_options opt = {.catalog = catalog, .profile = SST_PROFILE_STANDARD};
    CU_ASSERT_FATAL(n <= MAX_FILES);
    if (sst_project_new(&p, catalog, &err)) goto done;
    for (size_t i = 0; i < n; i++)
        if (sst_project_declare(p, files[i].module, files[i].is_package, &err)) goto done;
    for (size_t i = 0; i < n; i++) {
        opt.is_package = files[i].is_package;
        if (sst_module_load(&m[i], p, files[i].module, files[i].module, files[i].text, strlen(files[i].text),
                            &opt, &err))
            goto done;
    }
    for (size_t i = 0; i < n; i++)
        if (sst_project_add(p, m[i], &err)) goto done;
    if (sst_project_link(p, &err)) goto done;
    for (size_t i = 0; i < n; i++)
        if (sst_module_rewrite(&results[i], p, m[i], &opt, &err)) goto done;
    digest = sst_project_digest(p);
done:
    if (err.code) printf("\n    %s:%u: %s\n", err.path, err.line, err.message);
    CU_ASSERT(err.code == 0);
    for (size_t i = 0; i < n; i++) sst_module_free(m[i]);
    sst_project_free(p);
    return digest;
}

/* The sinks of a result as "LINE KIND PATH CATEGORIES SCOPE" lines. */
static void sinks(char *out, size_t cap, const sst_result *r)
{
    size_t len = 0;
    out[0] = 0;
    for (size_t i = 0; r && i < r->nsites; i++) {
        const sst_site *s = &r->sites[i];
        if (s->kind != SST_SITE_EXTERNAL && s->kind != SST_SITE_STORE && s->kind != SST_SITE_LOG &&
            s->kind != SST_SITE_CONFIG)
            continue;
        len += (size_t)snprintf(out + len, cap - len, "%u %s %s ", s->line, sst_site_kind_name(s->kind), s->path);
        int any = 0;
        for (unsigned c = 0; c < SST_CAT_COUNT; c++)
            if (s->categories & (1u << c))
                len += (size_t)snprintf(out + len, cap - len, "%s%s", any++ ? "," : "", sst_category_name(c));
        len += (size_t)snprintf(out + len, cap - len, "%s [%s]\n", any ? "" : "-", s->scope);
    }
}

static void expect_sinks(const sst_result *r, const char *expected)
{
    char got[4096];
    sinks(got, sizeof got, r);
    EXPECT_STR(got, expected);
}

static void free_all(sst_result **r, size_t n)
{
    for (size_t i = 0; i < n; i++) sst_result_free(r[i]);
}

static void test_client_through_reexports(void)
{
    static const file files[] = {
        {"app", 1, "from .clients import ai\n"},
        {"app.clients", 0, "from openai import OpenAI\nai = OpenAI()\n"},
        {"app.views", 0,
         "from app import ai\n"
         "\n"
         "def explain(income):\n"
         "    return ai.responses.create(input=f'{income}')\n"},
    };
    sst_result *r[3] = {0};
    analyse(files, 3, r);
    expect_sinks(r[2], "4 external openai.OpenAI().responses.create financial [explain]\n");
    free_all(r, 3);
}

static void test_import_cycle_ends(void)
{
    static const file files[] = {
        {"a", 0, "from b import x\ny = x\nx.send(1)\n"},
        {"b", 0, "from a import y as x\n"},
    };
    sst_result *r[2] = {0};
    analyse(files, 2, r);
    expect_sinks(r[0], "");
    EXPECT_INT(r[0]->status, SST_STATUS_UNCHANGED);
    free_all(r, 2);
}

static void test_star_import_honours_all(void)
{
    static const file files[] = {
        {"sdk", 0,
         "import requests\n"
         "__all__ = ['session']\n"
         "session = requests.Session()\n"
         "hidden = requests.Session()\n"},
        {"use", 0,
         "from sdk import *\n"
         "session.post('https://x', data=email)\n"
         "hidden.post('https://x', data=email)\n"},
    };
    sst_result *r[2] = {0};
    analyse(files, 2, r);
    expect_sinks(r[1], "2 external requests.Session().post email []\n");
    free_all(r, 2);
}

static void test_base_class_and_self_attribute(void)
{
    static const file files[] = {
        {"base", 0,
         "import smtplib\n"
         "class Notifier:\n"
         "    def __init__(self, host):\n"
         "        self.smtp = smtplib.SMTP(host)\n"},
        {"reminders", 0,
         "from base import Notifier\n"
         "class Reminder(Notifier):\n"
         "    def remind(self, phone):\n"
         "        self.smtp.sendmail('a', 'b', phone)\n"},
    };
    sst_result *r[2] = {0};
    analyse(files, 2, r);
    expect_sinks(r[1], "4 external smtplib.SMTP().sendmail phone [Reminder.remind]\n");
    free_all(r, 2);
}

static void test_function_result_and_summary(void)
{
    static const file files[] = {
        {"factory", 0,
         "from anthropic import Anthropic\n"
         "def get_client():\n"
         "    return Anthropic()\n"
         "def prompt_for(user):\n"
         "    return f'Hello {user.full_name}'\n"},
        {"job", 0,
         "from factory import get_client, prompt_for\n"
         "def run(user):\n"
         "    get_client().messages.create(messages=[prompt_for(user)])\n"},
    };
    sst_result *r[2] = {0};
    analyse(files, 2, r);
    expect_sinks(r[1], "3 external anthropic.Anthropic().messages.create name [run]\n");
    free_all(r, 2);
}

static void test_digest_follows_exports(void)
{
    file files[] = {
        {"clients", 0, "import requests\nhttp = requests.Session()\ndef f():\n    return 1\n"},
    };
    sst_result *r[1] = {0};
    uint64_t first = analyse(files, 1, r);
    free_all(r, 1);
    uint64_t again = analyse(files, 1, r);
    free_all(r, 1);
    files[0].text = "import requests\nhttp = requests.Session()\ndef f():\n    x = 2\n    return 1\n";
    uint64_t body = analyse(files, 1, r);
    free_all(r, 1);
    files[0].text = "import requests\nhttp = requests.Session()\nmore = 1\ndef f():\n    return 1\n";
    uint64_t exports = analyse(files, 1, r);
    free_all(r, 1);
    CU_ASSERT(first != 0);
    EXPECT_UINT(again, first);
    EXPECT_UINT(body, first);     /* a function body is not an export */
    CU_ASSERT(exports != first);  /* a new module-level name is */
}

int main(void)
{
    static const sst_test tests[] = {
        {"client_through_reexports", test_client_through_reexports},
        {"import_cycle_ends", test_import_cycle_ends},
        {"star_import_honours_all", test_star_import_honours_all},
        {"base_class_and_self_attribute", test_base_class_and_self_attribute},
        {"function_result_and_summary", test_function_result_and_summary},
        {"digest_follows_exports", test_digest_follows_exports},
    };
    return run_suite("project", suite_init, suite_clean, tests, sizeof tests / sizeof *tests, &init_failed);
}
