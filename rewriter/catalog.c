/* The catalogue: which API paths are egress, stores, sources and fluent
 * returns, and which identifier names mean which data category. Loaded from
 * the data files in rewriter/catalog/ (compiled in) and from user files;
 * indexed with uthash. See docs/catalogue.md for the format. */
#include "catalog.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uthash.h>

#include "arena.h"

extern const char sst_catalog_builtin_data[];
extern const size_t sst_catalog_builtin_size;

typedef struct entry_rec {
    sst_entry entry;
    UT_hash_handle hh;
} entry_rec;

typedef struct prefix_rec {
    const char *path;
    UT_hash_handle hh;
} prefix_rec;

enum { MAX_TOKENS = 4 };

typedef struct name_rule {
    uint32_t category;
    int exclude;                 /* an "unless" rule: a token that vetoes the category */
    unsigned ntokens;
    const char *tokens[MAX_TOKENS];
} name_rule;

struct sst_catalog {
    sst_arena arena;
    entry_rec *by_path;
    prefix_rec *prefixes;
    name_rule *rules;
    size_t nrules, caprules;
};

static uint32_t category_bit(const char *name, size_t len)
{
    for (unsigned i = 0; i < SST_CAT_COUNT; i++) {
        const char *c = sst_category_name(i);
        if (strlen(c) == len && !memcmp(c, name, len)) return 1u << i;
    }
    return 0;
}

static void add_prefixes(sst_catalog *cat, const char *path)
{
    size_t len = strlen(path);
    for (size_t i = 1; i <= len; i++) {
        if (i < len && path[i] != '.' && path[i] != '(') continue;
        prefix_rec *p;
        HASH_FIND(hh, cat->prefixes, path, i, p);
        if (p) continue;
        p = sst_arena_alloc(&cat->arena, sizeof *p);
        if (!p) return;
        p->path = sst_arena_strndup(&cat->arena, path, i);
        if (!p->path) return;
        HASH_ADD_KEYPTR(hh, cat->prefixes, p->path, i, p);
    }
}

/* Splits S into whitespace separated words, in place; returns their count. */
static int split_words(char *s, char **words, int cap)
{
    int n = 0;
    while (*s) {
        while (*s && isspace((unsigned char)*s)) *s++ = 0;
        if (!*s) break;
        if (n == cap) return -1;
        words[n++] = s;
        while (*s && !isspace((unsigned char)*s)) s++;
    }
    return n;
}

static int add_rules(sst_catalog *cat, char *spec, int exclude, const char *file, unsigned line,
                     sst_error *err)
{
    char *colon = strchr(spec, ':');
    if (!colon) {
        sst_error_set(err, SST_EINVAL, file, line, "expected 'CATEGORY: phrase, phrase...'");
        return SST_EINVAL;
    }
    char *name = spec;
    while (isspace((unsigned char)*name)) name++;
    size_t nlen = (size_t)(colon - name);
    while (nlen && isspace((unsigned char)name[nlen - 1])) nlen--;
    uint32_t bit = category_bit(name, nlen);
    if (!bit) {
        sst_error_set(err, SST_EINVAL, file, line, "unknown data category '%.*s'", (int)nlen, name);
        return SST_EINVAL;
    }
    char *save = NULL;
    for (char *phrase = strtok_r(colon + 1, ",", &save); phrase; phrase = strtok_r(NULL, ",", &save)) {
        char *words[MAX_TOKENS + 1];
        int n = split_words(phrase, words, MAX_TOKENS);
        if (n < 0 || (exclude && n > 1)) {
            sst_error_set(err, SST_EINVAL, file, line,
                          exclude ? "an 'unless' entry is a single word" : "a phrase has at most %d words",
                          MAX_TOKENS);
            return SST_EINVAL;
        }
        if (n == 0) continue;
        if (cat->nrules == cat->caprules) {
            size_t cap = cat->caprules ? cat->caprules * 2 : 64;
            name_rule *r = realloc(cat->rules, cap * sizeof *r);
            if (!r) return SST_ENOMEM;
            cat->rules = r;
            cat->caprules = cap;
        }
        name_rule *r = &cat->rules[cat->nrules++];
        r->category = bit;
        r->exclude = exclude;
        r->ntokens = (unsigned)n;
        for (int i = 0; i < n; i++) {
            for (char *c = words[i]; *c; c++) *c = (char)tolower((unsigned char)*c);
            r->tokens[i] = sst_arena_strndup(&cat->arena, words[i], strlen(words[i]));
            if (!r->tokens[i]) return SST_ENOMEM;
        }
    }
    return 0;
}

static int valid_path(const char *p)
{
    if (!*p || *p == '.') return 0;
    for (; *p; p++)
        if (!(isalnum((unsigned char)*p) || *p == '_' || *p == '.' || *p == '(' || *p == ')')) return 0;
    return 1;
}

static int add_entry(sst_catalog *cat, sst_kind kind, const char *path, const char *service,
                     const char *host, const char *target, uint32_t categories,
                     const char *file, unsigned line, sst_error *err)
{
    if (!valid_path(path) || (target && !valid_path(target))) {
        sst_error_set(err, SST_EINVAL, file, line, "'%s' is not an API path (dotted names, '()' for a call)",
                      valid_path(path) ? target : path);
        return SST_EINVAL;
    }
    entry_rec *rec;
    HASH_FIND_STR(cat->by_path, path, rec);
    if (!rec) {
        rec = sst_arena_alloc(&cat->arena, sizeof *rec);
        if (!rec || !(rec->entry.path = sst_arena_strndup(&cat->arena, path, strlen(path))))
            return SST_ENOMEM;
        HASH_ADD_KEYPTR(hh, cat->by_path, rec->entry.path, strlen(rec->entry.path), rec);
    }
    /* A later file overrides an earlier one: user catalogues refine the built-in. */
    rec->entry.kind = kind;
    rec->entry.service = service ? sst_arena_strndup(&cat->arena, service, strlen(service)) : NULL;
    rec->entry.host = host ? sst_arena_strndup(&cat->arena, host, strlen(host)) : NULL;
    rec->entry.target = target ? sst_arena_strndup(&cat->arena, target, strlen(target)) : NULL;
    rec->entry.categories = categories;
    add_prefixes(cat, path);
    return cat->arena.failed ? SST_ENOMEM : 0;
}

/* Parses "key=value" options after the path; known keys: host, categories. */
static int parse_options(char **words, int n, const char **host, uint32_t *cats,
                         const char *file, unsigned line, sst_error *err)
{
    for (int i = 0; i < n; i++) {
        char *eq = strchr(words[i], '=');
        if (eq && !strncmp(words[i], "host=", 5)) {
            *host = eq + 1;
        } else if (eq && !strncmp(words[i], "categories=", 11)) {
            char *save = NULL;
            for (char *c = strtok_r(eq + 1, ",", &save); c; c = strtok_r(NULL, ",", &save)) {
                uint32_t bit = category_bit(c, strlen(c));
                if (!bit) {
                    sst_error_set(err, SST_EINVAL, file, line, "unknown data category '%s'", c);
                    return SST_EINVAL;
                }
                *cats |= bit;
            }
        } else {
            sst_error_set(err, SST_EINVAL, file, line, "unknown option '%s' (host=, categories=)", words[i]);
            return SST_EINVAL;
        }
    }
    return 0;
}

static int parse_line(sst_catalog *cat, char *text, const char *file, unsigned line,
                      char *service, size_t service_cap, char *host, size_t host_cap, sst_error *err)
{
    char *hash = strchr(text, '#');
    if (hash) *hash = 0;
    char *p = text;
    while (isspace((unsigned char)*p)) p++;
    if (!*p) return 0;
    if (!strncmp(p, "names ", 6)) return add_rules(cat, p + 6, 0, file, line, err);
    if (!strncmp(p, "unless ", 7)) return add_rules(cat, p + 7, 1, file, line, err);

    char *words[8];
    int n = split_words(p, words, 8);
    if (n < 0) {
        sst_error_set(err, SST_EINVAL, file, line, "too many words on one line");
        return SST_EINVAL;
    }
    const char *opt_host = NULL;
    uint32_t cats = 0;
    if (!strcmp(words[0], "service")) {
        if (n < 2) {
            sst_error_set(err, SST_EINVAL, file, line, "'service' needs a name");
            return SST_EINVAL;
        }
        int rc = parse_options(words + 2, n - 2, &opt_host, &cats, file, line, err);
        if (rc) return rc;
        snprintf(service, service_cap, "%s", words[1]);
        snprintf(host, host_cap, "%s", opt_host ? opt_host : "");
        return 0;
    }
    sst_kind kind;
    if (!strcmp(words[0], "external")) kind = SST_KIND_EXTERNAL;
    else if (!strcmp(words[0], "store")) kind = SST_KIND_STORE;
    else if (!strcmp(words[0], "source")) kind = SST_KIND_SOURCE;
    else if (!strcmp(words[0], "returns")) kind = SST_KIND_RETURNS;
    else {
        sst_error_set(err, SST_EINVAL, file, line,
                      "unknown directive '%s' (service, external, store, source, returns, names, unless)",
                      words[0]);
        return SST_EINVAL;
    }
    if (n < 2) {
        sst_error_set(err, SST_EINVAL, file, line, "'%s' needs an API path", words[0]);
        return SST_EINVAL;
    }
    if (!service[0]) {
        sst_error_set(err, SST_EINVAL, file, line, "'%s' before any 'service' line", words[0]);
        return SST_EINVAL;
    }
    const char *target = NULL;
    int first_opt = 2;
    if (kind == SST_KIND_RETURNS) {
        if (n < 4 || strcmp(words[2], "->")) {
            sst_error_set(err, SST_EINVAL, file, line, "expected 'returns PATH -> PATH'");
            return SST_EINVAL;
        }
        target = words[3];
        first_opt = 4;
    }
    int rc = parse_options(words + first_opt, n - first_opt, &opt_host, &cats, file, line, err);
    if (rc) return rc;
    if (!opt_host && host[0]) opt_host = host;
    return add_entry(cat, kind, words[1], service, opt_host, target, cats, file, line, err);
}

/* EMBEDDED: the built-in data, where "#file NAME" lines separate the files
 * it was made from; in a user's file such a line is a comment like any other. */
static int add_text(sst_catalog *cat, const char *name, const char *text, size_t len, int embedded,
                    sst_error *err)
{
    char service[64] = "", host[128] = "", file[512];
    snprintf(file, sizeof file, "%.500s", name);
    unsigned line = 0;
    size_t i = 0;
    char buf[1024];
    while (i < len) {
        size_t j = i;
        while (j < len && text[j] != '\n') j++;
        line++;
        size_t n = j - i;
        if (n >= sizeof buf) {
            sst_error_set(err, SST_EINVAL, file, line, "line longer than %zu bytes", sizeof buf - 1);
            return SST_EINVAL;
        }
        memcpy(buf, text + i, n);
        buf[n] = 0;
        if (n && buf[n - 1] == '\r') buf[n - 1] = 0;
        i = j + 1;
        if (embedded && !strncmp(buf, "#file ", 6)) { /* marker between embedded files */
            snprintf(file, sizeof file, "%.100s", buf + 6);
            line = 0;
            service[0] = host[0] = 0;
            continue;
        }
        int rc = parse_line(cat, buf, file, line, service, sizeof service, host, sizeof host, err);
        if (rc) return rc;
    }
    return 0;
}

int sst_catalog_add_text(sst_catalog *cat, const char *name, const char *text, size_t len,
                         sst_error *err)
{
    return add_text(cat, name, text, len, 0, err);
}

static sst_catalog *catalog_new(void)
{
    sst_catalog *cat = calloc(1, sizeof *cat);
    if (cat) sst_arena_init(&cat->arena);
    return cat;
}

int sst_catalog_load_builtin(sst_catalog **out, sst_error *err)
{
    sst_catalog *cat = catalog_new();
    int rc = SST_ENOMEM;
    if (!cat) goto done;
    rc = add_text(cat, "builtin", sst_catalog_builtin_data, sst_catalog_builtin_size, 1, err);
    if (rc) goto done;
    *out = cat;
    cat = NULL;
done:
    if (rc == SST_ENOMEM) sst_error_set(err, rc, NULL, 0, "out of memory loading the catalogue");
    sst_catalog_free(cat);
    return rc;
}

int sst_catalog_add_file(sst_catalog *cat, const char *path, sst_error *err)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        sst_error_set(err, SST_EIO, path, 0, "cannot open catalogue: %s", strerror(errno));
        return SST_EIO;
    }
    char *text = NULL;
    size_t len = 0, cap = 0;
    int rc = 0;
    for (;;) {
        if (len + 4096 > cap) {
            cap = cap ? cap * 2 : 8192;
            char *t = realloc(text, cap);
            if (!t) { rc = SST_ENOMEM; break; }
            text = t;
        }
        size_t got = fread(text + len, 1, cap - len, f);
        len += got;
        if (got == 0) break;
    }
    if (!rc && ferror(f)) {
        sst_error_set(err, SST_EIO, path, 0, "cannot read catalogue");
        rc = SST_EIO;
    }
    fclose(f);
    if (!rc) rc = sst_catalog_add_text(cat, path, text ? text : "", len, err);
    free(text);
    return rc;
}

void sst_catalog_free(sst_catalog *cat)
{
    if (!cat) return;
    HASH_CLEAR(hh, cat->by_path);
    HASH_CLEAR(hh, cat->prefixes);
    free(cat->rules);
    sst_arena_free(&cat->arena);
    free(cat);
}

const sst_entry *sst_catalog_lookup(const sst_catalog *cat, const char *path)
{
    entry_rec *rec;
    HASH_FIND_STR(cat->by_path, path, rec);
    return rec ? &rec->entry : NULL;
}

int sst_catalog_has_prefix(const sst_catalog *cat, const char *path, size_t len)
{
    prefix_rec *p;
    HASH_FIND(hh, cat->prefixes, path, len, p);
    return p != NULL;
}

/* Lower-case words of an identifier: snake_case, camelCase and digits split. */
static unsigned tokenize(const char *name, size_t len, char words[][24], unsigned cap)
{
    unsigned n = 0;
    size_t i = 0;
    while (i < len && n < cap) {
        while (i < len && (name[i] == '_' || isdigit((unsigned char)name[i]))) i++;
        if (i >= len) break;
        size_t k = 0;
        int upper_run = isupper((unsigned char)name[i]);
        words[n][k++] = (char)tolower((unsigned char)name[i++]);
        while (i < len && name[i] != '_' && !isdigit((unsigned char)name[i])) {
            int up = isupper((unsigned char)name[i]);
            /* "userEmail" splits before E; "HTTPServer" splits before "Se". */
            if (up && !upper_run) break;
            if (!up && upper_run && k > 1) {
                k--;
                i--;
                break;
            }
            if (!up) upper_run = 0;
            if (k + 1 < 24) words[n][k++] = (char)tolower((unsigned char)name[i]);
            i++;
        }
        words[n][k] = 0;
        n++;
    }
    return n;
}

uint32_t sst_catalog_classify_name(const sst_catalog *cat, const char *name, size_t len)
{
    char words[8][24];
    unsigned n = tokenize(name, len, words, 8);
    if (!n) return 0;
    uint32_t found = 0, vetoed = 0;
    for (size_t r = 0; r < cat->nrules; r++) {
        const name_rule *rule = &cat->rules[r];
        for (unsigned start = 0; start + rule->ntokens <= n; start++) {
            unsigned k = 0;
            while (k < rule->ntokens && !strcmp(words[start + k], rule->tokens[k])) k++;
            if (k == rule->ntokens) {
                if (rule->exclude) vetoed |= rule->category;
                else found |= rule->category;
                break;
            }
        }
    }
    return found & ~vetoed;
}
