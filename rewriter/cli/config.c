/* Configuration files of sst-rewrite: where the file is (an sst.toml, or a
 * pyproject.toml with [tool.sst], upward from the first SRC), what its keys
 * mean and whether they are valid (every error names the file and line),
 * and the include/exclude globs, translated to PCRE2 and compiled at load. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "cli.h"
#include "config.h"

struct sst_config_globs {
    pcre2_code *include;     /* NULL: no include globs, everything is included */
    pcre2_code *exclude;     /* NULL: no exclude globs */
};

typedef enum {
    KEY_INCLUDE = 0,
    KEY_EXCLUDE,
    KEY_PROFILE,
    KEY_CATALOG,
    KEY_DISABLE,
    KEY_FIRST_PARTY,
    KEY_BASELINE,
    KEY_FAIL_ON,
    KEY_COUNT
} key_id;

static const char *const key_names[KEY_COUNT] = {
    "include", "exclude", "profile", "catalog", "disable", "first-party", "baseline", "fail-on"};
#define KEY_LIST "include, exclude, profile, catalog, disable, first-party, baseline, fail-on"

static const char *const profile_names[] = {"minimal", "standard", "full"};
static const char *const fail_on_names[] = {"new", "any", "never"};  /* SST_FAIL_ON_NEW... */

/* Python's keywords: not package names. (Soft keywords such as match are.) */
static const char *const python_keywords[] = {
    "False", "None", "True", "and", "as", "assert", "async", "await", "break", "class",
    "continue", "def", "del", "elif", "else", "except", "finally", "for", "from", "global",
    "if", "import", "in", "is", "lambda", "nonlocal", "not", "or", "pass", "raise",
    "return", "try", "while", "with", "yield"};

#define COUNT(a) (sizeof (a) / sizeof *(a))

/* What a load needs to say where a problem is. */
typedef struct loader {
    const char *path;        /* the file, for messages */
    const char *dir;         /* its directory, absolute */
    sst_error *err;
} loader;

static int bad(const loader *ld, unsigned line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int bad(const loader *ld, unsigned line, const char *fmt, ...)
{
    char message[sizeof ld->err->message];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(message, sizeof message, fmt, ap);
    va_end(ap);
    sst_error_set(ld->err, SST_EINVAL, ld->path, line, "%s", message);
    return SST_EINVAL;
}

static int oom(const loader *ld)
{
    sst_error_set(ld->err, SST_ENOMEM, ld->path, 0, "out of memory");
    return SST_ENOMEM;
}

static char *join_path(const char *dir, const char *name)
{
    size_t n = strlen(dir);
    const char *sep = n && dir[n - 1] == '/' ? "" : "/";
    size_t size = n + strlen(sep) + strlen(name) + 1;
    char *path = malloc(size);
    if (path) snprintf(path, size, "%s%s%s", dir, sep, name);
    return path;
}

static int is_file(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* ---- discovery ------------------------------------------------------------ */

/* 1 when DIR/pyproject.toml exists and mentions [tool.sst], 0 when it does
 * not (or there is no such file), negative on error. */
static int pyproject_has_table(const char *path, sst_error *err)
{
    if (!is_file(path)) return 0;
    char *text = NULL;
    size_t len = 0;
    int rc = sst_file_read(&text, &len, path, err);
    if (rc) return rc;
    rc = sst_toml_mentions(text, len, "tool.sst");
    if (rc < 0) sst_error_set(err, rc, path, 0, "out of memory");
    free(text);
    return rc;
}

int sst_config_find(char **out, const char *start, sst_error *err)
{
    *out = NULL;
    struct stat st;
    char *dir = NULL, *path = NULL;
    int rc = SST_EIO;
    if (stat(start, &st) != 0 || !(dir = realpath(start, NULL))) {
        sst_error_set(err, SST_EIO, start, 0, "cannot look for sst.toml or pyproject.toml from here: %s",
                      strerror(errno));
        goto done;
    }
    if (!S_ISDIR(st.st_mode)) {
        char *slash = strrchr(dir, '/');
        if (slash == dir) slash[1] = '\0';
        else if (slash) *slash = '\0';
    }
    for (;;) {
        rc = SST_ENOMEM;
        if (!(path = join_path(dir, "sst.toml"))) goto oom;
        if (is_file(path)) break;
        free(path);
        if (!(path = join_path(dir, "pyproject.toml"))) goto oom;
        rc = pyproject_has_table(path, err);
        if (rc < 0) goto done;
        if (rc == 1) break;
        free(path);
        if (!(path = join_path(dir, ".git"))) goto oom;
        int repo_root = lstat(path, &st) == 0;
        free(path);
        path = NULL;
        char *slash = strrchr(dir, '/');
        if (repo_root || !slash || dir[1] == '\0') {
            rc = 0;
            goto done;
        }
        if (slash == dir) slash[1] = '\0';
        else *slash = '\0';
    }
    *out = path;
    path = NULL;
    rc = 0;
    goto done;
oom:
    sst_error_set(err, SST_ENOMEM, start, 0, "out of memory");
done:
    free(path);
    free(dir);
    return rc;
}

/* ---- globs ------------------------------------------------------------------ */

/* One UTF-8 character other than '/' (or one stray byte): what '?' matches. */
#define ONE_CHAR "(?:[^/\\x80-\\xbf][\\x80-\\xbf]*|[\\x80-\\xbf])"

/* Appends to RE the regular expression of GLOB (see sst_config_selects for
 * the syntax). A GLOB that is not one: SST_EINVAL and *WHY says why. */
static int glob_regex(sst_buf *re, const char *glob, const char **why)
{
    const char *g = glob;
    int anchored = 0;
    while (g[0] == '.' && g[1] == '/') {  /* "./app" is "/app" */
        g += 2;
        anchored = 1;
    }
    while (*g == '/') {
        g++;
        anchored = 1;
    }
    size_t n = strlen(g);
    int dir_only = 0;
    while (n && g[n - 1] == '/') {
        n--;
        dir_only = 1;
    }
    if (n == 0) {
        *why = "it names no file or directory";
        return SST_EINVAL;
    }
    if (memchr(g, '/', n)) anchored = 1;
    if (!anchored) sst_buf_puts(re, "(?:.*/)?");
    for (size_t i = 0; i < n;) {
        unsigned char c = (unsigned char)g[i];
        int whole = (i == 0 || g[i - 1] == '/') && i + 1 < n && g[i + 1] == '*' &&
                    (i + 2 == n || g[i + 2] == '/');
        if (c == '*' && whole) {
            /* "**" as a whole component: any number of directories */
            if (i + 2 == n) {
                sst_buf_puts(re, ".*");
                i += 2;
            } else {
                sst_buf_puts(re, "(?:[^/]*/)*");
                i += 3;
            }
        } else if (c == '*') {
            while (i < n && g[i] == '*') i++;
            sst_buf_puts(re, "[^/]*");
        } else if (c == '?') {
            sst_buf_puts(re, ONE_CHAR);
            i++;
        } else if (c == '[') {
            size_t j = i + 1;
            int negate = j < n && (g[j] == '!' || g[j] == '^');
            if (negate) j++;
            size_t first = j;
            if (j < n && g[j] == ']') j++;   /* a ']' first is a member */
            while (j < n && g[j] != ']') j++;
            if (j >= n) {
                *why = "'[' has no closing ']'";
                return SST_EINVAL;
            }
            sst_buf_puts(re, negate ? "[^/" : "(?!/)[");
            for (size_t k = first; k < j; k++) {
                unsigned char d = (unsigned char)g[k];
                if (d >= 0x80) {
                    *why = "a [...] set may hold ASCII characters only";
                    return SST_EINVAL;
                }
                if (d == '\\' || d == '[' || d == ']' || d == '^') sst_buf_puts(re, "\\");
                sst_buf_append(re, &d, 1);
            }
            sst_buf_puts(re, "]");
            i = j + 1;
        } else {
            if (c == '\\') {
                if (i + 1 >= n) {
                    *why = "it ends with '\\' (which makes the next character literal)";
                    return SST_EINVAL;
                }
                c = (unsigned char)g[++i];
            }
            int plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                        c >= 0x80;
            if (!plain) sst_buf_puts(re, "\\");
            sst_buf_append(re, &c, 1);
            i++;
        }
    }
    /* what matches a directory matches everything below it */
    sst_buf_puts(re, dir_only ? "/.+" : "(?:/.*)?");
    return re->oom ? SST_ENOMEM : 0;
}

static pcre2_code *compile(const char *regex, int *code, size_t *offset)
{
    PCRE2_SIZE off = 0;
    pcre2_code *re = pcre2_compile((PCRE2_SPTR)regex, PCRE2_ZERO_TERMINATED, PCRE2_DOTALL, code,
                                   &off, NULL);
    *offset = off;
    if (re) pcre2_jit_compile(re, PCRE2_JIT_COMPLETE);  /* the interpreter is the fallback */
    return re;
}

/* The globs of LIST as one regex, each checked on its own first so that a
 * bad one is reported at its line. */
static int compile_list(pcre2_code **out, const sst_config_list *list, const char *key,
                        const loader *ld)
{
    sst_buf all = {0}, one = {0};
    pcre2_code *re = NULL;
    int rc = 0, code = 0;
    size_t offset = 0;
    sst_buf_puts(&all, "^(?:");
    for (size_t i = 0; i < list->count; i++) {
        const sst_config_item *item = &list->items[i];
        const char *why = NULL;
        one.len = 0;
        sst_buf_puts(&one, "^(?:");
        rc = glob_regex(&one, item->value, &why);
        if (rc == SST_EINVAL) {
            rc = bad(ld, item->line, "bad pattern '%s' in '%s': %s", item->value, key, why);
            goto done;
        }
        sst_buf_puts(&one, ")\\z");
        if (rc || one.oom) goto nomem;
        if (!(re = compile(one.data, &code, &offset))) {
            PCRE2_UCHAR text[256];
            pcre2_get_error_message(code, text, sizeof text);
            rc = bad(ld, item->line, "bad pattern '%s' in '%s': %s", item->value, key, (char *)text);
            goto done;
        }
        pcre2_code_free(re);
        re = NULL;
        if (i) sst_buf_puts(&all, "|");
        sst_buf_append(&all, one.data + 4, one.len - 4 - 3);   /* without ^(?: and )\z */
    }
    sst_buf_puts(&all, ")\\z");
    if (all.oom) goto nomem;
    if (!(re = compile(all.data, &code, &offset))) {
        rc = SST_EBUG;
        sst_error_set(ld->err, rc, ld->path, list->line, "the patterns of '%s' do not compile together", key);
        goto done;
    }
    *out = re;
    re = NULL;
    rc = 0;
    goto done;
nomem:
    rc = oom(ld);
done:
    pcre2_code_free(re);
    sst_buf_free(&one);
    sst_buf_free(&all);
    return rc;
}

/* 1 when REL matches RE, 0 when not, negative on error. */
static int matches(const pcre2_code *re, const char *rel)
{
    pcre2_match_data *md = pcre2_match_data_create_from_pattern(re, NULL);
    if (!md) return SST_ENOMEM;
    int rc = pcre2_match(re, (PCRE2_SPTR)rel, strlen(rel), 0, 0, md, NULL);
    pcre2_match_data_free(md);
    if (rc >= 0) return 1;
    return rc == PCRE2_ERROR_NOMATCH ? 0 : SST_EBUG;
}

int sst_config_selects(const sst_config *config, const char *rel)
{
    if (!config || !config->globs) return 1;
    while (rel[0] == '.' && rel[1] == '/') rel += 2;
    int rc;
    if (config->globs->include && (rc = matches(config->globs->include, rel)) != 1) return rc;
    if (config->globs->exclude && (rc = matches(config->globs->exclude, rel)) != 0)
        return rc < 0 ? rc : 0;
    return 1;
}

/* ---- keys ------------------------------------------------------------------- */

/* V as a string, or NULL after reporting why not. */
static const char *string_value(const loader *ld, const sst_toml *v, const char *key, unsigned line)
{
    if (v->type != SST_TOML_STRING) {
        bad(ld, line, "'%s' must be a string, not %s", key, sst_toml_type_phrase(v->type));
        return NULL;
    }
    if (strlen(v->string) != v->len) {
        bad(ld, line, "'%s' must not contain a NUL character", key);
        return NULL;
    }
    return v->string;
}

/* LIST from V, an array of non-empty strings. */
static int string_list(sst_config_list *list, const loader *ld, const sst_toml *v,
                       const char *key, unsigned line)
{
    if (v->type != SST_TOML_ARRAY)
        return bad(ld, line, "'%s' must be an array of strings, not %s", key,
                   sst_toml_type_phrase(v->type));
    list->line = line;
    if (!(list->items = calloc(v->nitems ? v->nitems : 1, sizeof *list->items))) return oom(ld);
    for (size_t i = 0; i < v->nitems; i++) {
        const sst_toml *e = &v->items[i];
        unsigned at = e->line ? e->line : line;
        if (e->type != SST_TOML_STRING)
            return bad(ld, at, "'%s' must be an array of strings, but element %zu is %s", key, i + 1,
                       sst_toml_type_phrase(e->type));
        if (strlen(e->string) != e->len)
            return bad(ld, at, "'%s' must not contain a NUL character (element %zu)", key, i + 1);
        if (!e->string[0]) return bad(ld, at, "'%s' has an empty string (element %zu)", key, i + 1);
        if (!(list->items[i].value = strdup(e->string))) return oom(ld);
        list->items[i].line = at;
        list->count = i + 1;
    }
    return 0;
}

/* The index of V in NAMES (N of them), or -1 after reporting it. */
static int one_of(const loader *ld, const sst_toml *v, const char *key, unsigned line,
                  const char *const *names, size_t n)
{
    const char *s = string_value(ld, v, key, line);
    if (!s) return -1;
    for (size_t i = 0; i < n; i++)
        if (strcmp(s, names[i]) == 0) return (int)i;
    char allowed[128] = "";
    for (size_t i = 0; i < n; i++) {
        size_t len = strlen(allowed);
        snprintf(allowed + len, sizeof allowed - len, "%s%s", i ? ", " : "", names[i]);
    }
    bad(ld, line, "'%s' must be one of %s, not '%s'", key, allowed, s);
    return -1;
}

static int is_identifier(const char *s)
{
    for (const unsigned char *u = (const unsigned char *)s; *u; u++) {
        int letter = (*u >= 'a' && *u <= 'z') || (*u >= 'A' && *u <= 'Z') || *u == '_' || *u >= 0x80;
        int digit = *u >= '0' && *u <= '9';
        if (!letter && !(digit && u != (const unsigned char *)s)) return 0;
    }
    return *s != '\0';
}

static int is_keyword(const char *s)
{
    for (size_t i = 0; i < COUNT(python_keywords); i++)
        if (strcmp(s, python_keywords[i]) == 0) return 1;
    return 0;
}

/* The catalogue files: resolved against the config's directory, existing. */
static int resolve_catalogs(sst_config_list *list, const loader *ld)
{
    for (size_t i = 0; i < list->count; i++) {
        sst_config_item *item = &list->items[i];
        char *full = item->value[0] == '/' ? strdup(item->value) : join_path(ld->dir, item->value);
        if (!full) return oom(ld);
        char *real = realpath(full, NULL);
        int found = real && is_file(real);
        int e = errno;
        if (!found) {
            int rc = real ? bad(ld, item->line, "catalogue file '%s' is not a regular file (%s)",
                                item->value, real)
                          : bad(ld, item->line, "catalogue file '%s' not found (%s: %s)",
                                item->value, full, strerror(e));
            free(real);
            free(full);
            return rc;
        }
        free(full);
        free(item->value);
        item->value = real;
    }
    return 0;
}

static int check_first_party(const sst_config_list *list, const loader *ld)
{
    for (size_t i = 0; i < list->count; i++) {
        const sst_config_item *item = &list->items[i];
        if (!is_identifier(item->value))
            return bad(ld, item->line,
                       "'first-party' entry '%s' is not a top-level package name "
                       "(a Python identifier: letters, digits, '_', no dots)", item->value);
        if (is_keyword(item->value))
            return bad(ld, item->line, "'first-party' entry '%s' is a Python keyword, not a package name",
                       item->value);
    }
    return 0;
}

static int read_key(sst_config *c, const loader *ld, key_id id, const sst_toml *v, unsigned line)
{
    const char *key = key_names[id];
    int rc, i;
    switch (id) {
    case KEY_INCLUDE:
    case KEY_EXCLUDE: {
        sst_config_list *list = id == KEY_INCLUDE ? &c->include : &c->exclude;
        if ((rc = string_list(list, ld, v, key, line))) return rc;
        if (!list->count) return 0;   /* include = []: everything, exclude = []: nothing */
        if (!c->globs && !(c->globs = calloc(1, sizeof *c->globs))) return oom(ld);
        return compile_list(id == KEY_INCLUDE ? &c->globs->include : &c->globs->exclude, list, key, ld);
    }
    case KEY_PROFILE:
        if ((i = one_of(ld, v, key, line, profile_names, COUNT(profile_names))) < 0) return SST_EINVAL;
        c->has_profile = 1;
        c->profile = (sst_profile)i;
        c->profile_line = line;
        return 0;
    case KEY_CATALOG:
        if ((rc = string_list(&c->catalog, ld, v, key, line))) return rc;
        return resolve_catalogs(&c->catalog, ld);
    case KEY_DISABLE:
        return string_list(&c->disable, ld, v, key, line);
    case KEY_FIRST_PARTY:
        if ((rc = string_list(&c->first_party, ld, v, key, line))) return rc;
        return check_first_party(&c->first_party, ld);
    case KEY_BASELINE: {
        const char *s = string_value(ld, v, key, line);
        if (!s) return SST_EINVAL;
        if (!*s) return bad(ld, line, "'baseline' must name a file, not be empty");
        if (!(c->baseline = s[0] == '/' ? strdup(s) : join_path(ld->dir, s))) return oom(ld);
        c->baseline_line = line;
        return 0;
    }
    case KEY_FAIL_ON:
        if ((i = one_of(ld, v, key, line, fail_on_names, COUNT(fail_on_names))) < 0) return SST_EINVAL;
        c->fail_on = (sst_fail_on)(SST_FAIL_ON_NEW + i);
        c->fail_on_line = line;
        return 0;
    case KEY_COUNT:
        break;
    }
    return SST_EBUG;
}

/* The members of TABLE in the order of their lines (WHERE: "[tool.sst]", or
 * NULL for the top level of a file of its own). */
static int read_table(sst_config *c, const loader *ld, const sst_toml *table, unsigned table_line,
                      const char *where)
{
    for (size_t m = 0; m < table->nitems; m++) {
        const char *name = table->keys[m];
        const sst_toml *v = &table->items[m];
        unsigned line = v->line ? v->line : table_line;
        size_t id = 0;
        while (id < KEY_COUNT && strcmp(name, key_names[id]) != 0) id++;
        if (id == KEY_COUNT) {
            if (!where && strcmp(name, "tool") == 0 && sst_toml_get(v, "sst")) {
                const char *base = strrchr(ld->path, '/');
                return bad(ld, line, "%s takes its keys at the top level, without [tool.sst]",
                           base ? base + 1 : ld->path);
            }
            return bad(ld, line, "unknown key '%s'%s%s (" KEY_LIST ")", name, where ? " in " : "",
                       where ? where : "");
        }
        int rc = read_key(c, ld, (key_id)id, v, line);
        if (rc) return rc;
    }
    return 0;
}

static int is_pyproject(const char *path)
{
    const char *base = strrchr(path, '/');
    return strcmp(base ? base + 1 : path, "pyproject.toml") == 0;
}

/* The absolute directory of PATH. */
static char *directory_of(const char *path)
{
    char *dir = strdup(path);
    if (!dir) return NULL;
    char *slash = strrchr(dir, '/');
    if (!slash) strcpy(dir, ".");
    else if (slash == dir) slash[1] = '\0';
    else *slash = '\0';
    char *real = realpath(dir, NULL);
    free(dir);
    return real;
}

int sst_config_load(sst_config *out, const char *path, sst_error *err)
{
    sst_config c = {0};
    char *text = NULL;
    size_t len = 0;
    sst_toml *doc = NULL;
    loader ld = {path, NULL, err};
    memset(out, 0, sizeof *out);
    int rc = sst_file_read(&text, &len, path, err);
    if (rc) goto done;
    if ((rc = sst_toml_parse(&doc, text, len, path, err))) goto done;
    if (!(c.path = strdup(path))) {
        rc = oom(&ld);
        goto done;
    }
    if (!(c.dir = directory_of(path))) {
        rc = errno == ENOMEM ? oom(&ld) : SST_EIO;
        if (rc == SST_EIO) sst_error_set(err, rc, path, 0, "cannot resolve its directory: %s", strerror(errno));
        goto done;
    }
    ld.dir = c.dir;
    const sst_toml *table = doc;
    const char *where = NULL;
    if (is_pyproject(path)) {
        const sst_toml *sst = sst_toml_get(sst_toml_get(doc, "tool"), "sst");
        if (!sst) {
            rc = bad(&ld, 0, "no [tool.sst] table: sst-rewrite reads its settings from [tool.sst] in pyproject.toml");
            goto done;
        }
        if (sst->type != SST_TOML_TABLE) {
            rc = bad(&ld, sst->line, "[tool.sst] must be a table, not %s", sst_toml_type_phrase(sst->type));
            goto done;
        }
        table = sst;
        where = "[tool.sst]";
    }
    if ((rc = read_table(&c, &ld, table, table->line, where))) goto done;
    *out = c;
    memset(&c, 0, sizeof c);
done:
    sst_config_free(&c);
    sst_toml_free(doc);
    free(text);
    return rc;
}

static void list_free(sst_config_list *list)
{
    for (size_t i = 0; i < list->count; i++) free(list->items[i].value);
    free(list->items);
}

void sst_config_free(sst_config *config)
{
    if (!config) return;
    free(config->path);
    free(config->dir);
    list_free(&config->include);
    list_free(&config->exclude);
    list_free(&config->catalog);
    list_free(&config->disable);
    list_free(&config->first_party);
    free(config->baseline);
    if (config->globs) {
        pcre2_code_free(config->globs->include);
        pcre2_code_free(config->globs->exclude);
        free(config->globs);
    }
    memset(config, 0, sizeof *config);
}
