/* CUnit suite for cli/config.c and cli/toml.cpp: finding sst.toml or
 * [tool.sst] upward from a SRC, every key and its line, every error with its
 * exact message and line, the include/exclude glob semantics, and a
 * realistic pyproject.toml around [tool.sst]. */
#include "helpers.h"

#include "cli.h"
#include "config.h"

/* ---- helpers ---------------------------------------------------------------- */

static char *real_dir;   /* a scratch directory, symlinks resolved */

static void fresh_scratch(void)
{
    char *dir = scratch_dir();
    CU_ASSERT_PTR_NOT_NULL_FATAL(dir);
    free(real_dir);
    real_dir = realpath(dir, NULL);
    free(dir);
    CU_ASSERT_PTR_NOT_NULL_FATAL(real_dir);
}

static void drop_scratch(void)
{
    rm_tree(real_dir);
    free(real_dir);
    real_dir = NULL;
}

static const char *in_scratch(const char *rel)
{
    static char path[4096];   /* test code: one path at a time */
    snprintf(path, sizeof path, "%s/%s", real_dir, rel);
    return path;
}

static void make_dir(const char *rel)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", real_dir, rel);
    for (char *s = path + strlen(real_dir) + 1; ; s++) {
        if (*s == '/' || *s == '\0') {
            char c = *s;
            *s = '\0';
            mkdir(path, 0777);
            *s = c;
            if (!c) break;
        }
    }
}

/* Runs sst_config_find from REL (under the scratch directory). Returns the
 * found path relative to the scratch directory ("" when none), or NULL when
 * it failed or found something outside. */
static char found[4096];
static const char *find_from(const char *rel)
{
    char *out = (char *)1;
    sst_error err = {0};
    char start[4096];
    snprintf(start, sizeof start, "%s/%s", real_dir, rel);
    if (sst_config_find(&out, start, &err) != 0) return NULL;
    if (!out) return "";
    size_t n = strlen(real_dir);
    if (strncmp(out, real_dir, n) != 0 || out[n] != '/') {
        free(out);
        return NULL;
    }
    snprintf(found, sizeof found, "%s", out + n + 1);
    free(out);
    return found;
}

/* Writes TEXT as scratch/NAME and loads it. */
static int load_text(sst_config *c, const char *name, const char *text, sst_error *err)
{
    put_file(real_dir, name, text, 0644);
    return sst_config_load(c, in_scratch(name), err);
}

/* The config is all zero (nothing half-filled after an error). */
static int all_zero(const sst_config *c)
{
    static const sst_config zero;
    return memcmp(c, &zero, sizeof zero) == 0;
}

/* Loads TEXT as NAME and expects an SST_EINVAL error at LINE with MESSAGE. */
#define EXPECT_ERROR(name, text, line_, message_) do {                       \
        sst_config c_;                                                       \
        memset(&c_, 0xA5, sizeof c_);                                        \
        sst_error e_ = {0};                                                  \
        CU_ASSERT_EQUAL(load_text(&c_, name, text, &e_), SST_EINVAL);        \
        CU_ASSERT_EQUAL(e_.code, SST_EINVAL);                                \
        CU_ASSERT_STRING_EQUAL(e_.path, in_scratch(name));                   \
        CU_ASSERT_EQUAL(e_.line, line_);                                     \
        CU_ASSERT_STRING_EQUAL(e_.message, message_);                        \
        if (strcmp(e_.message, message_) != 0 || e_.line != (line_))         \
            fprintf(stderr, "\n  got %u: %s\n", e_.line, e_.message);        \
        CU_ASSERT_TRUE(all_zero(&c_));                                       \
    } while (0)

/* ---- discovery ------------------------------------------------------------- */

static void test_find_nested(void)
{
    fresh_scratch();
    make_dir("repo/.git");
    put_file(real_dir, "repo/sst.toml", "", 0644);
    make_dir("repo/app/pkg/sub");
    put_file(real_dir, "repo/app/pkg/mod.py", "x = 1\n", 0644);
    CU_ASSERT_STRING_EQUAL(find_from("repo/app/pkg/sub"), "repo/sst.toml");
    CU_ASSERT_STRING_EQUAL(find_from("repo/app/pkg/mod.py"), "repo/sst.toml");
    CU_ASSERT_STRING_EQUAL(find_from("repo"), "repo/sst.toml");
    /* the nearest wins */
    put_file(real_dir, "repo/app/sst.toml", "", 0644);
    CU_ASSERT_STRING_EQUAL(find_from("repo/app/pkg/sub"), "repo/app/sst.toml");
    CU_ASSERT_STRING_EQUAL(find_from("repo/app"), "repo/app/sst.toml");
    /* a directory named sst.toml is not a file */
    make_dir("repo/app/pkg/sst.toml");
    CU_ASSERT_STRING_EQUAL(find_from("repo/app/pkg/mod.py"), "repo/app/sst.toml");
    /* a SRC given through a relative path with .. */
    CU_ASSERT_STRING_EQUAL(find_from("repo/app/pkg/sub/../../pkg"), "repo/app/sst.toml");
    drop_scratch();
}

static void test_find_git_stops(void)
{
    fresh_scratch();
    make_dir(".git");   /* bounds every search of this test */
    put_file(real_dir, "outer/sst.toml", "", 0644);
    make_dir("outer/repo/.git");
    make_dir("outer/repo/app");
    CU_ASSERT_STRING_EQUAL(find_from("outer/repo/app"), "");
    /* the directory holding .git is still searched */
    put_file(real_dir, "outer/repo/pyproject.toml", "[tool.sst]\n", 0644);
    CU_ASSERT_STRING_EQUAL(find_from("outer/repo/app"), "outer/repo/pyproject.toml");
    /* .git as a file (a worktree or submodule) stops too */
    put_file(real_dir, "outer/sub/.git", "gitdir: ../.git/modules/sub\n", 0644);
    make_dir("outer/sub/src");
    CU_ASSERT_STRING_EQUAL(find_from("outer/sub/src"), "");
    /* without .git the search goes on upward */
    make_dir("outer/plain/src");
    CU_ASSERT_STRING_EQUAL(find_from("outer/plain/src"), "outer/sst.toml");
    drop_scratch();
}

static void test_find_pyproject(void)
{
    fresh_scratch();
    make_dir(".git");
    put_file(real_dir, "pyproject.toml",
             "[project]\nname = \"shop\"\n\n[tool.sst]\nprofile = \"minimal\"\n", 0644);
    /* no [tool.sst]: passed over */
    put_file(real_dir, "app/pyproject.toml", "[project]\nname = \"app\"\n[tool.ruff]\nline-length = 100\n", 0644);
    /* a table whose name only starts like it */
    put_file(real_dir, "app/a/pyproject.toml", "[tool.sstx]\nprofile = \"full\"\n[tool.\"sst.x\"]\n", 0644);
    /* a file cpptoml rejects (a mixed array, valid TOML 1.0) without [tool.sst] */
    put_file(real_dir, "app/a/b/pyproject.toml", "[tool.other]\nmixed = [1, \"x\"]\n", 0644);
    make_dir("app/a/b/c");
    CU_ASSERT_STRING_EQUAL(find_from("app/a/b/c"), "pyproject.toml");
    /* [tool.sst] written as dotted keys, or as [tool] with sst.KEY, or inline */
    put_file(real_dir, "app/a/b/pyproject.toml", "tool.sst.profile = \"full\"\n", 0644);
    CU_ASSERT_STRING_EQUAL(find_from("app/a/b/c"), "app/a/b/pyproject.toml");
    put_file(real_dir, "app/a/b/pyproject.toml", "[tool]\nsst.profile = \"full\"\n", 0644);
    CU_ASSERT_STRING_EQUAL(find_from("app/a/b/c"), "app/a/b/pyproject.toml");
    put_file(real_dir, "app/a/b/pyproject.toml", "[tool]\nsst = { profile = \"full\" }\n", 0644);
    CU_ASSERT_STRING_EQUAL(find_from("app/a/b/c"), "app/a/b/pyproject.toml");
    /* a sub-table alone ([tool.sst.x]) also defines [tool.sst] */
    put_file(real_dir, "app/a/b/pyproject.toml", "[tool.sst.x]\n", 0644);
    CU_ASSERT_STRING_EQUAL(find_from("app/a/b/c"), "app/a/b/pyproject.toml");
    /* "tool.sst" only inside a string or a comment is not the table */
    put_file(real_dir, "app/a/b/pyproject.toml",
             "# [tool.sst]\ndoc = \"\"\"\n[tool.sst]\n\"\"\"\nx = '[tool.sst]'\n", 0644);
    CU_ASSERT_STRING_EQUAL(find_from("app/a/b/c"), "pyproject.toml");
    /* sst.toml wins over pyproject.toml in the same directory */
    put_file(real_dir, "app/a/b/pyproject.toml", "[tool.sst]\n", 0644);
    put_file(real_dir, "app/a/b/sst.toml", "", 0644);
    CU_ASSERT_STRING_EQUAL(find_from("app/a/b/c"), "app/a/b/sst.toml");
    drop_scratch();
}

static void test_find_errors(void)
{
    fresh_scratch();
    char *out = (char *)1;
    sst_error err = {0};
    CU_ASSERT_EQUAL(sst_config_find(&out, in_scratch("missing/dir"), &err), SST_EIO);
    CU_ASSERT_PTR_NULL(out);
    CU_ASSERT_STRING_EQUAL(err.path, in_scratch("missing/dir"));
    CU_ASSERT_STRING_EQUAL(err.message,
                           "cannot look for sst.toml or pyproject.toml from here: No such file or directory");
    drop_scratch();
}

/* ---- keys -------------------------------------------------------------------- */

static void test_every_key(void)
{
    fresh_scratch();
    put_file(real_dir, "cat/extra.cat", "external acme.Client().send service=acme\n", 0644);
    const char *text =
        "# sst-rewrite settings\n"                                 /* 1 */
        "include = [\"app/**\", \"*.py\"]\n"                       /* 2 */
        "exclude = [\n"                                            /* 3 */
        "    \"**/tests/**\",  # test code\n"                      /* 4 */
        "    'migrations',\n"                                      /* 5 */
        "]\n"                                                      /* 6 */
        "profile = \"full\"\n"                                     /* 7 */
        "catalog = [\"cat/extra.cat\"]\n"                          /* 8 */
        "disable = [\n"                                            /* 9 */
        "  \"openai\",\n"                                          /* 10 */
        "\n"                                                       /* 11 */
        "  \"requests.post\", \"x\"\n"                             /* 12 */
        "]\n"                                                      /* 13 */
        "first-party = [\"shop\", \"_internal\", \"caf\xc3\xa9\"]\n" /* 14 */
        "baseline = \"ci/sst-baseline.json\"\n"                    /* 15 */
        "fail-on = \"new\"\n";                                     /* 16 */
    sst_config c;
    sst_error err = {0};
    CU_ASSERT_EQUAL_FATAL(load_text(&c, "sst.toml", text, &err), 0);
    CU_ASSERT_STRING_EQUAL(c.path, in_scratch("sst.toml"));
    CU_ASSERT_STRING_EQUAL(c.dir, real_dir);

    CU_ASSERT_EQUAL_FATAL(c.include.count, 2);
    CU_ASSERT_EQUAL(c.include.line, 2);
    CU_ASSERT_STRING_EQUAL(c.include.items[0].value, "app/**");
    CU_ASSERT_STRING_EQUAL(c.include.items[1].value, "*.py");
    CU_ASSERT_EQUAL(c.include.items[1].line, 2);

    CU_ASSERT_EQUAL_FATAL(c.exclude.count, 2);
    CU_ASSERT_EQUAL(c.exclude.line, 3);
    CU_ASSERT_STRING_EQUAL(c.exclude.items[0].value, "**/tests/**");
    CU_ASSERT_EQUAL(c.exclude.items[0].line, 4);
    CU_ASSERT_STRING_EQUAL(c.exclude.items[1].value, "migrations");
    CU_ASSERT_EQUAL(c.exclude.items[1].line, 5);

    CU_ASSERT_EQUAL(c.has_profile, 1);
    CU_ASSERT_EQUAL(c.profile, SST_PROFILE_FULL);
    CU_ASSERT_EQUAL(c.profile_line, 7);

    CU_ASSERT_EQUAL_FATAL(c.catalog.count, 1);
    CU_ASSERT_STRING_EQUAL(c.catalog.items[0].value, in_scratch("cat/extra.cat"));
    CU_ASSERT_EQUAL(c.catalog.items[0].line, 8);

    CU_ASSERT_EQUAL_FATAL(c.disable.count, 3);
    CU_ASSERT_EQUAL(c.disable.line, 9);
    CU_ASSERT_STRING_EQUAL(c.disable.items[0].value, "openai");
    CU_ASSERT_EQUAL(c.disable.items[0].line, 10);
    CU_ASSERT_STRING_EQUAL(c.disable.items[1].value, "requests.post");
    CU_ASSERT_EQUAL(c.disable.items[1].line, 12);
    CU_ASSERT_STRING_EQUAL(c.disable.items[2].value, "x");
    CU_ASSERT_EQUAL(c.disable.items[2].line, 12);

    CU_ASSERT_EQUAL_FATAL(c.first_party.count, 3);
    CU_ASSERT_STRING_EQUAL(c.first_party.items[0].value, "shop");
    CU_ASSERT_STRING_EQUAL(c.first_party.items[1].value, "_internal");
    CU_ASSERT_STRING_EQUAL(c.first_party.items[2].value, "caf\xc3\xa9");
    CU_ASSERT_EQUAL(c.first_party.line, 14);

    CU_ASSERT_STRING_EQUAL(c.baseline, in_scratch("ci/sst-baseline.json"));
    CU_ASSERT_EQUAL(c.baseline_line, 15);
    CU_ASSERT_EQUAL(c.fail_on, SST_FAIL_ON_NEW);
    CU_ASSERT_EQUAL(c.fail_on_line, 16);

    CU_ASSERT_EQUAL(sst_config_selects(&c, "app/views.py"), 1);
    CU_ASSERT_EQUAL(sst_config_selects(&c, "setup.py"), 1);
    CU_ASSERT_EQUAL(sst_config_selects(&c, "README.md"), 0);
    CU_ASSERT_EQUAL(sst_config_selects(&c, "app/tests/test_views.py"), 0);
    CU_ASSERT_EQUAL(sst_config_selects(&c, "app/migrations/0001_initial.py"), 0);
    sst_config_free(&c);
    CU_ASSERT_TRUE(all_zero(&c));
    drop_scratch();
}

static void test_values_and_defaults(void)
{
    fresh_scratch();
    sst_config c;
    sst_error err = {0};
    /* an empty file: every key absent */
    CU_ASSERT_EQUAL_FATAL(load_text(&c, "sst.toml", "# nothing yet\n", &err), 0);
    CU_ASSERT_EQUAL(c.include.count, 0);
    CU_ASSERT_EQUAL(c.include.line, 0);
    CU_ASSERT_EQUAL(c.exclude.count, 0);
    CU_ASSERT_EQUAL(c.has_profile, 0);
    CU_ASSERT_EQUAL(c.catalog.count, 0);
    CU_ASSERT_EQUAL(c.disable.count, 0);
    CU_ASSERT_EQUAL(c.first_party.count, 0);
    CU_ASSERT_PTR_NULL(c.baseline);
    CU_ASSERT_EQUAL(c.fail_on, SST_FAIL_ON_UNSET);
    CU_ASSERT_PTR_NULL(c.globs);
    CU_ASSERT_EQUAL(sst_config_selects(&c, "anything/at/all.py"), 1);
    sst_config_free(&c);

    /* the other values of the enumerations; absolute paths stay as written */
    put_file(real_dir, "abs.cat", "", 0644);
    char text[8192];
    snprintf(text, sizeof text,
             "profile = \"minimal\"\nfail-on = \"any\"\nbaseline = \"/srv/ci/base.json\"\n"
             "catalog = [\"%s\"]\ninclude = []\nexclude = []\n", in_scratch("abs.cat"));
    CU_ASSERT_EQUAL_FATAL(load_text(&c, "conf/custom.toml", text, &err), 0);
    CU_ASSERT_EQUAL(c.profile, SST_PROFILE_MINIMAL);
    CU_ASSERT_EQUAL(c.fail_on, SST_FAIL_ON_ANY);
    CU_ASSERT_STRING_EQUAL(c.baseline, "/srv/ci/base.json");
    CU_ASSERT_STRING_EQUAL(c.catalog.items[0].value, in_scratch("abs.cat"));
    CU_ASSERT_STRING_EQUAL(c.dir, in_scratch("conf"));
    CU_ASSERT_EQUAL(c.include.line, 5);
    CU_ASSERT_EQUAL(c.include.count, 0);
    CU_ASSERT_EQUAL(sst_config_selects(&c, "x.py"), 1);
    sst_config_free(&c);

    CU_ASSERT_EQUAL_FATAL(load_text(&c, "sst.toml", "profile = \"standard\"\nfail-on = \"never\"\n", &err), 0);
    CU_ASSERT_EQUAL(c.has_profile, 1);
    CU_ASSERT_EQUAL(c.profile, SST_PROFILE_STANDARD);
    CU_ASSERT_EQUAL(c.fail_on, SST_FAIL_ON_NEVER);
    sst_config_free(&c);

    /* relative paths are relative to the config file, not to the cwd */
    put_file(real_dir, "proj/rules/local.cat", "", 0644);
    CU_ASSERT_EQUAL_FATAL(load_text(&c, "proj/sst.toml",
                                    "catalog = [\"rules/local.cat\", \"./rules/../rules/local.cat\"]\n"
                                    "baseline = \"base.json\"\n", &err), 0);
    CU_ASSERT_EQUAL_FATAL(c.catalog.count, 2);
    CU_ASSERT_STRING_EQUAL(c.catalog.items[0].value, in_scratch("proj/rules/local.cat"));
    CU_ASSERT_STRING_EQUAL(c.catalog.items[1].value, in_scratch("proj/rules/local.cat"));
    CU_ASSERT_STRING_EQUAL(c.baseline, in_scratch("proj/base.json"));
    sst_config_free(&c);

    /* a config given by a relative path: its directory is made absolute */
    char cwd[4096];
    CU_ASSERT_PTR_NOT_NULL_FATAL(getcwd(cwd, sizeof cwd));
    CU_ASSERT_EQUAL_FATAL(chdir(in_scratch("proj")), 0);
    CU_ASSERT_EQUAL(sst_config_load(&c, "sst.toml", &err), 0);
    CU_ASSERT_STRING_EQUAL(c.path, "sst.toml");
    CU_ASSERT_STRING_EQUAL(c.dir, in_scratch("proj"));
    CU_ASSERT_STRING_EQUAL(c.catalog.items[0].value, in_scratch("proj/rules/local.cat"));
    sst_config_free(&c);
    CU_ASSERT_EQUAL_FATAL(chdir(cwd), 0);
    drop_scratch();
}

/* A pyproject.toml as projects write them, [tool.sst] among other tables. */
static const char realistic_pyproject[] =
    "[build-system]\n"                                              /* 1 */
    "requires = [\"poetry-core>=1.0.0\"]\n"                         /* 2 */
    "build-backend = \"poetry.core.masonry.api\"\n"                 /* 3 */
    "\n"                                                            /* 4 */
    "[project]\n"                                                   /* 5 */
    "name = \"shop\"\n"                                             /* 6 */
    "version = \"2.3.0\"\n"                                         /* 7 */
    "description = \"\"\"An online shop.\n"                         /* 8 */
    "profile = \"not a key: inside a string\"\n"                    /* 9 */
    "\"\"\"\n"                                                      /* 10 */
    "authors = [{name = \"Ada\", email = \"ada@example.org\"}]\n"   /* 11 */
    "dependencies = [\n"                                            /* 12 */
    "  \"flask>=2.2\",\n"                                           /* 13 */
    "  \"openai>=1.0\",  # the assistant\n"                         /* 14 */
    "]\n"                                                           /* 15 */
    "\n"                                                            /* 16 */
    "[tool.poetry.dependencies]\n"                                  /* 17 */
    "python = \"^3.11\"\n"                                          /* 18 */
    "\n"                                                            /* 19 */
    "[tool.ruff]\n"                                                 /* 20 */
    "line-length = 100\n"                                           /* 21 */
    "exclude = [\"build\"]\n"                                       /* 22 */
    "\n"                                                            /* 23 */
    "[tool.sst]  # server-side tracking\n"                          /* 24 */
    "profile = \"minimal\"\n"                                       /* 25 */
    "first-party = [\"shop\"]\n"                                    /* 26 */
    "exclude = [\n"                                                 /* 27 */
    "  \"**/tests/**\",\n"                                          /* 28 */
    "  \"shop/migrations\",\n"                                      /* 29 */
    "]\n"                                                           /* 30 */
    "disable = [\"posthog\",\n"                                     /* 31 */
    "           'sentry_sdk.set_user']\n"                           /* 32 */
    "fail-on = \"new\"\n"                                           /* 33 */
    "\n"                                                            /* 34 */
    "[tool.pytest.ini_options]\n"                                   /* 35 */
    "addopts = \"-q\"\n"                                            /* 36 */
    "\n"                                                            /* 37 */
    "[[tool.mypy.overrides]]\n"                                     /* 38 */
    "module = \"shop.legacy.*\"\n"                                  /* 39 */
    "ignore_errors = true\n";                                       /* 40 */

static void test_realistic_pyproject(void)
{
    fresh_scratch();
    sst_config c;
    sst_error err = {0};
    CU_ASSERT_EQUAL_FATAL(load_text(&c, "pyproject.toml", realistic_pyproject, &err), 0);
    CU_ASSERT_EQUAL(c.profile, SST_PROFILE_MINIMAL);
    CU_ASSERT_EQUAL(c.profile_line, 25);
    CU_ASSERT_EQUAL_FATAL(c.first_party.count, 1);
    CU_ASSERT_STRING_EQUAL(c.first_party.items[0].value, "shop");
    CU_ASSERT_EQUAL(c.first_party.items[0].line, 26);
    CU_ASSERT_EQUAL_FATAL(c.exclude.count, 2);
    CU_ASSERT_EQUAL(c.exclude.line, 27);
    CU_ASSERT_EQUAL(c.exclude.items[0].line, 28);
    CU_ASSERT_EQUAL(c.exclude.items[1].line, 29);
    CU_ASSERT_EQUAL_FATAL(c.disable.count, 2);
    CU_ASSERT_STRING_EQUAL(c.disable.items[0].value, "posthog");
    CU_ASSERT_EQUAL(c.disable.items[0].line, 31);
    CU_ASSERT_STRING_EQUAL(c.disable.items[1].value, "sentry_sdk.set_user");
    CU_ASSERT_EQUAL(c.disable.items[1].line, 32);
    CU_ASSERT_EQUAL(c.fail_on, SST_FAIL_ON_NEW);
    CU_ASSERT_EQUAL(c.fail_on_line, 33);
    CU_ASSERT_EQUAL(c.include.count, 0);   /* [tool.ruff]'s exclude is not ours */
    CU_ASSERT_EQUAL(sst_config_selects(&c, "shop/views.py"), 1);
    CU_ASSERT_EQUAL(sst_config_selects(&c, "shop/migrations/0002_auto.py"), 0);
    CU_ASSERT_EQUAL(sst_config_selects(&c, "legacy/shop/migrations/0002_auto.py"), 1);
    CU_ASSERT_EQUAL(sst_config_selects(&c, "shop/tests/test_cart.py"), 0);
    sst_config_free(&c);

    /* the same file with a typo in [tool.sst]: the line is found after the
     * multi-line string and arrays above it */
    char typo[sizeof realistic_pyproject + 16];
    snprintf(typo, sizeof typo, "%s", realistic_pyproject);
    char *p = strstr(typo, "fail-on = ");
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    memcpy(p, "fail_on", 7);
    EXPECT_ERROR("pyproject.toml", typo, 33,
                 "unknown key 'fail_on' in [tool.sst] "
                 "(include, exclude, profile, catalog, disable, first-party, baseline, fail-on)");
    drop_scratch();
}

/* [tool.sst] written without a [tool.sst] header: all accepted, with lines. */
static void test_pyproject_dotted(void)
{
    fresh_scratch();
    sst_config c;
    sst_error err = {0};
    CU_ASSERT_EQUAL_FATAL(load_text(&c, "pyproject.toml",
                                    "tool.sst.profile = \"full\"\n"
                                    "tool . sst . \"disable\" = [\"openai\"]\n"
                                    "[project]\n"
                                    "name = \"x\"\n", &err), 0);
    CU_ASSERT_EQUAL(c.profile, SST_PROFILE_FULL);
    CU_ASSERT_EQUAL(c.profile_line, 1);
    CU_ASSERT_EQUAL_FATAL(c.disable.count, 1);
    CU_ASSERT_EQUAL(c.disable.items[0].line, 2);
    sst_config_free(&c);

    CU_ASSERT_EQUAL_FATAL(load_text(&c, "pyproject.toml",
                                    "[tool.black]\nline-length = 88\n"
                                    "[tool]\n"
                                    "sst.profile = \"standard\"\n"
                                    "sst.fail-on = \"never\"\n", &err), 0);
    CU_ASSERT_EQUAL(c.profile, SST_PROFILE_STANDARD);
    CU_ASSERT_EQUAL(c.profile_line, 4);
    CU_ASSERT_EQUAL(c.fail_on_line, 5);
    sst_config_free(&c);

    CU_ASSERT_EQUAL_FATAL(load_text(&c, "pyproject.toml",
                                    "[tool]\n"
                                    "sst = { profile = \"full\", exclude = [\"a\",\n"
                                    "  \"b\"] }\n", &err), 0);
    CU_ASSERT_EQUAL(c.profile_line, 2);
    CU_ASSERT_EQUAL_FATAL(c.exclude.count, 2);
    CU_ASSERT_EQUAL(c.exclude.items[0].line, 2);
    CU_ASSERT_EQUAL(c.exclude.items[1].line, 3);
    sst_config_free(&c);

    /* errors in the dotted forms name the right line */
    EXPECT_ERROR("pyproject.toml", "[project]\nname = \"x\"\n[tool]\nsst.profil = \"full\"\n", 4,
                 "unknown key 'profil' in [tool.sst] "
                 "(include, exclude, profile, catalog, disable, first-party, baseline, fail-on)");
    EXPECT_ERROR("pyproject.toml", "name = 1\ntool.sst.fail-on = 1\n", 2,
                 "'fail-on' must be a string, not an integer");
    drop_scratch();
}

/* ---- errors ------------------------------------------------------------------ */

#define UNKNOWN_TAIL "(include, exclude, profile, catalog, disable, first-party, baseline, fail-on)"

static void test_unknown_keys(void)
{
    fresh_scratch();
    EXPECT_ERROR("pyproject.toml", "[project]\nname = \"x\"\n\n[tool.sst]\nprofile = \"full\"\nprofil = \"full\"\n",
                 6, "unknown key 'profil' in [tool.sst] " UNKNOWN_TAIL);
    EXPECT_ERROR("sst.toml", "\n\nprofile = \"full\"\nexcludes = []\n",
                 4, "unknown key 'excludes' " UNKNOWN_TAIL);
    /* underscores are not dashes */
    EXPECT_ERROR("sst.toml", "first_party = [\"x\"]\n", 1, "unknown key 'first_party' " UNKNOWN_TAIL);
    /* a sub-table is an unknown key, at its header's line */
    EXPECT_ERROR("pyproject.toml", "[tool.sst]\nprofile = \"full\"\n\n[tool.sst.catalogue]\nx = 1\n",
                 4, "unknown key 'catalogue' in [tool.sst] " UNKNOWN_TAIL);
    /* the first problem in the file is reported, whatever the key order */
    EXPECT_ERROR("sst.toml", "zzz = 1\naaa = 2\n", 1, "unknown key 'zzz' " UNKNOWN_TAIL);
    EXPECT_ERROR("sst.toml", "profile = 3\nbogus = 1\n", 1, "'profile' must be a string, not an integer");
    /* [tool.sst] inside an sst.toml */
    EXPECT_ERROR("sst.toml", "# settings\n[tool.sst]\nprofile = \"full\"\n", 2,
                 "sst.toml takes its keys at the top level, without [tool.sst]");
    drop_scratch();
}

static void test_type_errors(void)
{
    fresh_scratch();
    EXPECT_ERROR("sst.toml", "include = \"app/**\"\n", 1, "'include' must be an array of strings, not a string");
    EXPECT_ERROR("sst.toml", "\nexclude = { a = 1 }\n", 2, "'exclude' must be an array of strings, not a table");
    EXPECT_ERROR("sst.toml", "disable = [\n  1,\n  2,\n]\n", 2,
                 "'disable' must be an array of strings, but element 1 is an integer");
    EXPECT_ERROR("sst.toml", "catalog = [[\"a\"], [\"b\"]]\n", 1,
                 "'catalog' must be an array of strings, but element 1 is an array");
    EXPECT_ERROR("sst.toml", "first-party = [true]\n", 1,
                 "'first-party' must be an array of strings, but element 1 is a boolean");
    EXPECT_ERROR("sst.toml", "profile = [\"full\"]\n", 1, "'profile' must be a string, not an array");
    EXPECT_ERROR("sst.toml", "baseline = 1.5\n", 1, "'baseline' must be a string, not a float");
    EXPECT_ERROR("sst.toml", "fail-on = 1979-05-27\n", 1, "'fail-on' must be a string, not a date-time");
    EXPECT_ERROR("sst.toml", "disable = [\"a\", \"\"]\n", 1, "'disable' has an empty string (element 2)");
    EXPECT_ERROR("sst.toml", "exclude = [\"a\\u0000b\"]\n", 1,
                 "'exclude' must not contain a NUL character (element 1)");
    /* [tool.sst] itself of the wrong kind */
    EXPECT_ERROR("pyproject.toml", "[project]\nname = \"x\"\n[tool]\nsst = 1\n", 4,
                 "[tool.sst] must be a table, not an integer");
    EXPECT_ERROR("pyproject.toml", "[[tool.sst]]\nprofile = \"full\"\n", 1,
                 "[tool.sst] must be a table, not an array");
    drop_scratch();
}

static void test_value_errors(void)
{
    fresh_scratch();
    EXPECT_ERROR("sst.toml", "profile = \"fast\"\n", 1,
                 "'profile' must be one of minimal, standard, full, not 'fast'");
    EXPECT_ERROR("sst.toml", "\n\nfail-on = \"always\"\n", 3, "'fail-on' must be one of new, any, never, not 'always'");
    EXPECT_ERROR("sst.toml", "baseline = \"\"\n", 1, "'baseline' must name a file, not be empty");
    EXPECT_ERROR("sst.toml", "first-party = [\n \"shop\",\n \"shop.core\",\n]\n", 3,
                 "'first-party' entry 'shop.core' is not a top-level package name "
                 "(a Python identifier: letters, digits, '_', no dots)");
    EXPECT_ERROR("sst.toml", "first-party = [\"2fa\"]\n", 1,
                 "'first-party' entry '2fa' is not a top-level package name "
                 "(a Python identifier: letters, digits, '_', no dots)");
    EXPECT_ERROR("sst.toml", "first-party = [\"my-app\"]\n", 1,
                 "'first-party' entry 'my-app' is not a top-level package name "
                 "(a Python identifier: letters, digits, '_', no dots)");
    EXPECT_ERROR("sst.toml", "first-party = [\"class\"]\n", 1,
                 "'first-party' entry 'class' is a Python keyword, not a package name");

    /* catalogue files must exist, relative to the config file */
    make_dir("sub");
    char message[4400];
    snprintf(message, sizeof message,
             "catalogue file 'extra.cat' not found (%s: No such file or directory)", in_scratch("sub/extra.cat"));
    EXPECT_ERROR("sub/sst.toml", "catalog = [\n  \"extra.cat\",\n]\n", 2, message);
    make_dir("sub/dir.cat");
    snprintf(message, sizeof message, "catalogue file 'dir.cat' is not a regular file (%s)", in_scratch("sub/dir.cat"));
    EXPECT_ERROR("sub/sst.toml", "catalog = [\"dir.cat\"]\n", 1, message);

    /* bad globs, at the line of the pattern */
    EXPECT_ERROR("sst.toml", "exclude = [\n  \"ok\",\n  \"app/[abc\",\n]\n", 3,
                 "bad pattern 'app/[abc' in 'exclude': '[' has no closing ']'");
    EXPECT_ERROR("sst.toml", "include = [\"/\"]\n", 1,
                 "bad pattern '/' in 'include': it names no file or directory");
    EXPECT_ERROR("sst.toml", "include = ['app\\']\n", 1,
                 "bad pattern 'app\\' in 'include': it ends with '\\' (which makes the next character literal)");
    EXPECT_ERROR("sst.toml", "include = [\"[\xc3\xa9]\"]\n", 1,
                 "bad pattern '[\xc3\xa9]' in 'include': a [...] set may hold ASCII characters only");
    EXPECT_ERROR("sst.toml", "include = [\"[z-a].py\"]\n", 1,
                 "bad pattern '[z-a].py' in 'include': range out of order in character class");

    /* a pyproject.toml given directly must have the table */
    EXPECT_ERROR("pyproject.toml", "[project]\nname = \"x\"\n", 0,
                 "no [tool.sst] table: sst-rewrite reads its settings from [tool.sst] in pyproject.toml");
    drop_scratch();
}

static void test_syntax_errors(void)
{
    fresh_scratch();
    EXPECT_ERROR("sst.toml", "profile = \"full\"\nexclude = [\"a]\n", 2,
                 "TOML syntax error: Unterminated string literal");
    EXPECT_ERROR("sst.toml", "# one\nprofile = \"full\"\n\nprofile = \"minimal\"\n", 4,
                 "TOML syntax error: Key profile already present");
    /* an array left open at the end of the file: its last line */
    EXPECT_ERROR("sst.toml", "profile = \"full\"\nexclude = [\n  \"a\",\n", 3, "TOML syntax error: Unclosed array");
    EXPECT_ERROR("pyproject.toml", "[tool.sst]\nprofile = \"full\"\n[tool.sst]\n", 3,
                 "TOML syntax error: Redefinition of table tool.sst");
    EXPECT_ERROR("sst.toml", "profile =\n", 1, "TOML syntax error: Failed to parse value type");
    /* a byte order mark is allowed; CRLF too */
    sst_config c;
    sst_error err = {0};
    CU_ASSERT_EQUAL(load_text(&c, "sst.toml", "\xef\xbb\xbfprofile = \"full\"\r\n\r\nfail-on = \"any\"\r\n", &err), 0);
    CU_ASSERT_EQUAL(c.profile, SST_PROFILE_FULL);
    CU_ASSERT_EQUAL(c.fail_on_line, 3);
    sst_config_free(&c);
    /* a missing file */
    memset(&c, 0xA5, sizeof c);
    CU_ASSERT_EQUAL(sst_config_load(&c, in_scratch("nope.toml"), &err), SST_EIO);
    CU_ASSERT_STRING_EQUAL(err.path, in_scratch("nope.toml"));
    CU_ASSERT_STRING_EQUAL(err.message, "cannot read: No such file or directory");
    CU_ASSERT_TRUE(all_zero(&c));
    drop_scratch();
}

/* ---- globs ------------------------------------------------------------------ */

typedef struct glob_case {
    const char *rel;
    int taken;
} glob_case;

/* Loads an sst.toml of TEXT and checks every case. */
static void check_globs(const char *text, const glob_case *cases)
{
    sst_config c;
    sst_error err = {0};
    CU_ASSERT_EQUAL_FATAL(load_text(&c, "sst.toml", text, &err), 0);
    for (const glob_case *k = cases; k->rel; k++) {
        int got = sst_config_selects(&c, k->rel);
        CU_ASSERT_EQUAL(got, k->taken);
        if (got != k->taken) fprintf(stderr, "\n  %s: %s gave %d\n", text, k->rel, got);
    }
    sst_config_free(&c);
}

static void test_glob_semantics(void)
{
    fresh_scratch();
    check_globs("exclude = [\"**/tests/**\"]\n", (const glob_case[]){
        {"tests/test_a.py", 0}, {"app/tests/test_a.py", 0}, {"app/tests/unit/test_b.py", 0},
        {"tests", 1}, {"app/tests.py", 1}, {"app/mytests/a.py", 1}, {"app/tests_old/a.py", 1},
        {"app/a.py", 1}, {NULL, 0}});
    check_globs("include = [\"*.py\"]\n", (const glob_case[]){
        {"a.py", 1}, {"app/x/a.py", 1}, {".hidden.py", 1}, {"a.pyw", 0}, {"a.py.orig", 0},
        {"apy", 0}, {"README.md", 0}, {"pkg.py/data.txt", 1}, {NULL, 0}});
    check_globs("exclude = [\"migrations\"]\n", (const glob_case[]){
        {"migrations/0001.py", 0}, {"app/migrations/0001_initial.py", 0}, {"app/migrations", 0},
        {"app/migrations_old/x.py", 1}, {"app/my_migrations/x.py", 1}, {"app/models.py", 1},
        {NULL, 0}});
    check_globs("include = [\"app/*/views.py\"]\n", (const glob_case[]){
        {"app/users/views.py", 1}, {"app/.x/views.py", 1}, {"app/users/admin/views.py", 0},
        {"app/views.py", 0}, {"lib/app/users/views.py", 0}, {"app/users/views.pyc", 0},
        {NULL, 0}});
    /* anchored at the root: a leading '/' or './' */
    check_globs("include = [\"/setup.py\", \"./manage.py\"]\n", (const glob_case[]){
        {"setup.py", 1}, {"manage.py", 1}, {"pkg/setup.py", 0}, {"pkg/manage.py", 0}, {NULL, 0}});
    /* a trailing '/' matches directories only */
    check_globs("exclude = [\"build/\"]\n", (const glob_case[]){
        {"build/x.py", 0}, {"app/build/lib/x.py", 0}, {"build", 1}, {"builder/x.py", 1}, {NULL, 0}});
    /* '**' in the middle: zero or more directories */
    check_globs("include = [\"a/**/b.py\"]\n", (const glob_case[]){
        {"a/b.py", 1}, {"a/x/b.py", 1}, {"a/x/y/b.py", 1}, {"c/a/b.py", 0}, {"a/xb.py", 0},
        {NULL, 0}});
    /* '**' not a whole component is '*' */
    check_globs("include = [\"app**.py\"]\n", (const glob_case[]){
        {"app_x.py", 1}, {"app/x.py", 0}, {NULL, 0}});
    /* '?' is one character (UTF-8 aware), never '/' */
    check_globs("include = [\"test_?.py\"]\n", (const glob_case[]){
        {"test_1.py", 1}, {"test_\xc3\xa9.py", 1}, {"test_12.py", 0}, {"test_.py", 0},
        {"test_/.py", 0}, {NULL, 0}});
    /* sets, negated sets, literal metacharacters, escapes */
    check_globs("include = [\"[!_]*.py\", \"data[0-9].csv\", \"a+b(c).txt\", \"\\\\*.md\"]\n",
                (const glob_case[]){
        {"views.py", 1}, {"_private.py", 0}, {"data3.csv", 1}, {"dataX.csv", 0},
        {"a+b(c).txt", 1}, {"aab(c).txt", 0}, {"abc.txt", 0}, {"*.md", 1}, {"x.md", 0},
        {NULL, 0}});
    /* include and exclude together */
    check_globs("include = [\"app/**\", \"manage.py\"]\nexclude = [\"**/tests/**\", \"migrations\", \"*_pb2.py\"]\n",
                (const glob_case[]){
        {"app/views.py", 1}, {"app/api/v1/users.py", 1}, {"manage.py", 1}, {"./app/views.py", 1},
        {"app/tests/test_views.py", 0}, {"app/migrations/0001.py", 0}, {"app/proto/user_pb2.py", 0},
        {"lib/x.py", 0}, {"setup.py", 0}, {NULL, 0}});
    CU_ASSERT_EQUAL(sst_config_selects(NULL, "any.py"), 1);
    drop_scratch();
}

/* ---- the TOML tree itself --------------------------------------------------- */

static int mentions(const char *text, const char *dotted)
{
    return sst_toml_mentions(text, strlen(text), dotted);
}

static void test_toml_tree(void)
{
    static const char text[] =
        "title = \"t\"\n"                          /* 1 */
        "[a]\n"                                    /* 2 */
        "x = 1\n"                                  /* 3 */
        "\"quoted key\" = [\n"                     /* 4 */
        "  '''\n"                                  /* 5 */
        "one''',\n"                               /* 6 */
        "  \"two\",\n"                             /* 7 */
        "]\n"                                      /* 8 */
        "[[b]]\n"                                  /* 9 */
        "n = 1\n"                                  /* 10 */
        "[[b]]\n"                                  /* 11 */
        "n = 2\n"                                  /* 12 */
        "[b.c]\n"                                  /* 13 */
        "d = 1979-05-27 07:32:00\n"                /* 14 */
        "e = [1979-05-27 07:32:00, 1980-01-01 00:00:00]\n"  /* 15 */
        "f = true\n";                              /* 16 */
    sst_toml *doc = NULL;
    sst_error err = {0};
    CU_ASSERT_EQUAL_FATAL(sst_toml_parse(&doc, text, sizeof text - 1, "t.toml", &err), 0);
    CU_ASSERT_EQUAL_FATAL(doc->nitems, 3);
    /* members in the order of their lines */
    CU_ASSERT_STRING_EQUAL(doc->keys[0], "title");
    CU_ASSERT_STRING_EQUAL(doc->keys[1], "a");
    CU_ASSERT_STRING_EQUAL(doc->keys[2], "b");
    const sst_toml *a = sst_toml_get(doc, "a");
    CU_ASSERT_EQUAL(a->type, SST_TOML_TABLE);
    CU_ASSERT_EQUAL(a->line, 2);
    CU_ASSERT_EQUAL(sst_toml_get(a, "x")->line, 3);
    CU_ASSERT_EQUAL(sst_toml_get(a, "x")->integer, 1);
    const sst_toml *q = sst_toml_get(a, "quoted key");
    CU_ASSERT_PTR_NOT_NULL_FATAL(q);
    CU_ASSERT_EQUAL(q->line, 4);
    CU_ASSERT_EQUAL_FATAL(q->nitems, 2);
    CU_ASSERT_STRING_EQUAL(q->items[0].string, "one");  /* the line break after ''' is trimmed */
    CU_ASSERT_EQUAL(q->items[0].line, 5);
    CU_ASSERT_EQUAL(q->items[1].line, 7);
    const sst_toml *b = sst_toml_get(doc, "b");
    CU_ASSERT_EQUAL_FATAL(b->type, SST_TOML_ARRAY);
    CU_ASSERT_EQUAL_FATAL(b->nitems, 2);
    CU_ASSERT_EQUAL(b->items[0].line, 9);
    CU_ASSERT_EQUAL(b->items[1].line, 11);
    CU_ASSERT_EQUAL(sst_toml_get(&b->items[1], "n")->line, 12);
    const sst_toml *c = sst_toml_get(&b->items[1], "c");
    CU_ASSERT_PTR_NOT_NULL_FATAL(c);
    CU_ASSERT_EQUAL(c->line, 13);
    CU_ASSERT_EQUAL(sst_toml_get(c, "d")->type, SST_TOML_DATETIME);
    CU_ASSERT_EQUAL(sst_toml_get(c, "e")->items[1].line, 15);
    CU_ASSERT_EQUAL(sst_toml_get(c, "f")->line, 16);
    CU_ASSERT_EQUAL(sst_toml_get(c, "f")->boolean, 1);
    CU_ASSERT_PTR_NULL(sst_toml_get(&b->items[0], "c"));
    sst_toml_free(doc);

    CU_ASSERT_EQUAL(mentions("[tool.sst]\n", "tool.sst"), 1);
    CU_ASSERT_EQUAL(mentions("[tool.sst]\n", "tool.ss"), 0);
    CU_ASSERT_EQUAL(mentions("[tool.sst]\n", "tool"), 1);
    CU_ASSERT_EQUAL(mentions("[\"tool\".'sst' ]\n", "tool.sst"), 1);
    CU_ASSERT_EQUAL(mentions("[[tool.sst]]\n", "tool.sst"), 1);
    CU_ASSERT_EQUAL(mentions("[tool]\nsst = 1\n", "tool.sst"), 1);
    CU_ASSERT_EQUAL(mentions("[tool.x]\nsst = 1\n", "tool.sst"), 0);
    CU_ASSERT_EQUAL(mentions("x = \"\"\"\n[tool.sst]\n\"\"\"\n", "tool.sst"), 0);
    CU_ASSERT_EQUAL(mentions("x = '''\n[tool.sst]\n'''\n", "tool.sst"), 0);
    CU_ASSERT_EQUAL(mentions("x = [\n# [tool.sst]\n]\n", "tool.sst"), 0);
    /* garbage does not stop the scan */
    CU_ASSERT_EQUAL(mentions("= = [[[\n}{\n\"\n[tool.sst]\n", "tool.sst"), 1);
}

int main(void)
{
    static const test_case cases[] = {
        {"find: nested directories, nearest wins", test_find_nested},
        {"find: .git stops the search", test_find_git_stops},
        {"find: pyproject.toml with and without [tool.sst]", test_find_pyproject},
        {"find: errors", test_find_errors},
        {"load: every key, with lines", test_every_key},
        {"load: defaults, values, relative paths", test_values_and_defaults},
        {"load: realistic pyproject.toml", test_realistic_pyproject},
        {"load: [tool.sst] as dotted keys and inline", test_pyproject_dotted},
        {"errors: unknown keys", test_unknown_keys},
        {"errors: wrong types", test_type_errors},
        {"errors: bad values", test_value_errors},
        {"errors: TOML syntax", test_syntax_errors},
        {"globs: semantics", test_glob_semantics},
        {"toml: tree and lines", test_toml_tree},
        {NULL, NULL}};
    int rc = run_suite("cli/config", cases);
    free(real_dir);
    return rc;
}
