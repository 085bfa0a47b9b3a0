/* The catalogue: which API paths are egress, stores, logs, configuration
 * findings, sources and fluent returns, and which identifier names mean which
 * data category. Loaded from the data files in rewriter/catalog/ (compiled
 * in) and from user files; indexed with uthash. Format: docs/catalogue.md. */
#include "catalog.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uthash.h>

#include "arena.h"

extern const char sst_catalog_builtin_data[];
extern const size_t sst_catalog_builtin_size;

/* One entry. ENTRY comes first, so the sst_entry pointer handed out is the
 * record's own address (sst_catalog_is_disabled relies on it). */
typedef struct entry_rec {
    sst_entry entry;
    struct entry_rec *chain;   /* the next entry of the same path, disabled or not */
    int disabled;
} entry_rec;

/* Every entry of one path: conditional ones in load order, then the
 * unconditional one. LIVE is the first that is not disabled. */
typedef struct path_rec {
    const char *path;
    entry_rec *first;
    entry_rec *live;
    UT_hash_handle hh;
} path_rec;

typedef struct prefix_rec {
    const char *path;
    UT_hash_handle hh;
} prefix_rec;

enum { MAX_TOKENS = 4, MAX_WORDS = 10 };

typedef struct name_rule {
    uint32_t category;
    int exclude;                 /* an "unless" rule: a token that vetoes the category */
    unsigned ntokens;
    const char *tokens[MAX_TOKENS];
} name_rule;

/* The rules whose phrase starts with one word: classifying a name looks up
 * each of its words instead of trying every rule. */
typedef struct first_rec {
    const char *word;
    size_t *rules;               /* indices into sst_catalog.rules */
    size_t n, cap;
    UT_hash_handle hh;
} first_rec;

struct sst_catalog {
    sst_arena arena;
    first_rec *by_first;
    path_rec *by_path;
    prefix_rec *prefixes;
    entry_rec **order;           /* every entry in load order */
    size_t nentries, capentries;
    name_rule *rules;
    size_t nrules, caprules;
};

/* Where a line is and what group it is in, while a text is read. */
typedef struct reader {
    sst_catalog *cat;
    const char *file;            /* arena copy, shared by the entries of the file */
    unsigned line;
    char service[64];
    char host[128];
    sst_error *err;
} reader;

#define DIRECTIVES "service, external, store, log, config, source, returns, names, unless"
#define OPTIONS "host=, categories=, args=, when="

static int fail(reader *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(reader *r, const char *fmt, ...)
{
    char msg[sizeof r->err->message];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    sst_error_set(r->err, SST_EINVAL, r->file, r->line, "%s", msg);
    return SST_EINVAL;
}

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

/* ---- names ------------------------------------------------------------------ */

static int add_rules(reader *r, char *spec, int exclude)
{
    sst_catalog *cat = r->cat;
    char *colon = strchr(spec, ':');
    if (!colon) return fail(r, "expected 'CATEGORY: phrase, phrase...'");
    char *name = spec;
    while (isspace((unsigned char)*name)) name++;
    size_t nlen = (size_t)(colon - name);
    while (nlen && isspace((unsigned char)name[nlen - 1])) nlen--;
    uint32_t bit = category_bit(name, nlen);
    if (!bit) return fail(r, "unknown data category '%.*s'", (int)nlen, name);
    char *save = NULL;
    for (char *phrase = strtok_r(colon + 1, ",", &save); phrase; phrase = strtok_r(NULL, ",", &save)) {
        char *words[MAX_TOKENS + 1];
        int n = split_words(phrase, words, MAX_TOKENS);
        if (n < 0 || (exclude && n > 1))
            return exclude ? fail(r, "an 'unless' entry is a single word")
                           : fail(r, "a phrase has at most %d words", MAX_TOKENS);
        if (n == 0) continue;
        if (cat->nrules == cat->caprules) {
            size_t cap = cat->caprules ? cat->caprules * 2 : 64;
            name_rule *v = realloc(cat->rules, cap * sizeof *v);
            if (!v) return SST_ENOMEM;
            cat->rules = v;
            cat->caprules = cap;
        }
        name_rule *rule = &cat->rules[cat->nrules++];
        rule->category = bit;
        rule->exclude = exclude;
        rule->ntokens = (unsigned)n;
        for (int i = 0; i < n; i++) {
            for (char *c = words[i]; *c; c++) *c = (char)tolower((unsigned char)*c);
            rule->tokens[i] = sst_arena_strndup(&cat->arena, words[i], strlen(words[i]));
            if (!rule->tokens[i]) return SST_ENOMEM;
        }
        first_rec *f;
        HASH_FIND_STR(cat->by_first, rule->tokens[0], f);
        if (!f) {
            f = sst_arena_alloc(&cat->arena, sizeof *f);
            if (!f) return SST_ENOMEM;
            f->word = rule->tokens[0];
            HASH_ADD_KEYPTR(hh, cat->by_first, f->word, strlen(f->word), f);
        }
        if (f->n == f->cap) {
            size_t cap = f->cap ? f->cap * 2 : 4;
            size_t *v = realloc(f->rules, cap * sizeof *v);
            if (!v) return SST_ENOMEM;
            f->rules = v;
            f->cap = cap;
        }
        f->rules[f->n++] = cat->nrules - 1;
    }
    return 0;
}

/* ---- validation --------------------------------------------------------------- */

static int is_ident_start(char c)
{
    return isalpha((unsigned char)c) || c == '_';
}

static int is_ident_char(char c)
{
    return isalnum((unsigned char)c) || c == '_';
}

/* Dotted identifiers, each followed by any number of "()": "a.B().c()()". */
static int valid_path(const char *p)
{
    for (;;) {
        if (!is_ident_start(*p)) return 0;
        while (is_ident_char(*p)) p++;
        while (p[0] == '(' && p[1] == ')') p += 2;
        if (!*p) return 1;
        if (*p != '.') return 0;
        p++;
    }
}

static int valid_ident(const char *p)
{
    if (!is_ident_start(*p)) return 0;
    while (is_ident_char(*p)) p++;
    return !*p;
}

/* A positive decimal without a leading zero; 0 if S is not one. */
static unsigned parse_position(const char *s, size_t len)
{
    if (!len || len > 3 || *s == '0') return 0;
    unsigned v = 0;
    for (size_t i = 0; i < len; i++) {
        if (!isdigit((unsigned char)s[i])) return 0;
        v = v * 10 + (unsigned)(s[i] - '0');
    }
    return v;
}

static int valid_service(const char *s)
{
    if (!*s) return 0;
    for (; *s; s++)
        if (!(isalnum((unsigned char)*s) || *s == '_' || *s == '-' || *s == '.')) return 0;
    return 1;
}

static int valid_host(const char *s)
{
    if (!*s || *s == '.' || *s == '-') return 0;
    for (; *s; s++)
        if (!(isalnum((unsigned char)*s) || *s == '-' || *s == '.')) return 0;
    return 1;
}

/* "1,2,json": positions and keyword names, none twice. */
static int check_args(reader *r, const char *spec)
{
    if (!*spec) return fail(r, "'args=' needs a list of positions and keywords");
    const char *p = spec;
    while (*p) {
        size_t len = strcspn(p, ",");
        char item[128];
        if (!len || len >= sizeof item) return fail(r, "'args=%s': an empty or overlong item", spec);
        memcpy(item, p, len);
        item[len] = 0;
        if (!parse_position(item, len) && !valid_ident(item))
            return fail(r, "'args=%s': '%s' is neither a position (1, 2...) nor a keyword", spec, item);
        /* none twice: compare with the items before this one */
        for (const char *q = spec; q < p;) {
            size_t qlen = strcspn(q, ",");
            if (qlen == len && !memcmp(q, item, len)) return fail(r, "'args=%s': '%s' is listed twice", spec, item);
            q += qlen + 1;
        }
        p += len;
        if (*p == ',') {
            p++;
            if (!*p) return fail(r, "'args=%s': an empty or overlong item", spec);
        }
    }
    return 0;
}

typedef struct condition {
    unsigned index;
    const char *keyword;
    const char *glob;
} condition;

/* "when=ARG:GLOB", ARG "N", "keyword" or "N|keyword"; cuts SPEC in place. */
static int parse_when(reader *r, char *spec, condition *c)
{
    char *colon = strchr(spec, ':');
    if (!colon) return fail(r, "'when=%s': expected ARG:GLOB (ARG is N, keyword or N|keyword)", spec);
    *colon = 0;
    char *glob = colon + 1, *bar = strchr(spec, '|');
    if (bar) *bar = 0;
    unsigned index = parse_position(spec, strlen(spec));
    const char *keyword = NULL;
    int ok;
    if (bar) {
        keyword = bar + 1;
        ok = index && valid_ident(keyword);
    } else if (index) {
        ok = 1;
    } else {
        keyword = spec;
        ok = valid_ident(keyword);
    }
    if (bar) *bar = '|';
    if (!ok) return fail(r, "'when=%s:%s': expected ARG:GLOB (ARG is N, keyword or N|keyword)", spec, glob);
    if (!*glob) return fail(r, "'when=%s:': the pattern is empty", spec);
    /* every '[' of the pattern has its ']' (fnmatch would take it literally) */
    for (const char *g = glob; *g; g++) {
        if (*g != '[') continue;
        const char *q = g + 1;
        if (*q == '!' || *q == '^') q++;
        if (*q == ']') q++;
        while (*q && *q != ']') q++;
        if (!*q) return fail(r, "'when=%s:%s': '[' without its ']'", spec, glob);
        g = q;
    }
    c->index = index;
    c->keyword = keyword;
    c->glob = glob;
    return 0;
}

/* ---- entries ------------------------------------------------------------------ */

static int same_condition(const sst_entry *e, const condition *c)
{
    if (!e->when_glob || !c->glob) return !e->when_glob && !c->glob;
    if (e->when_index != c->index || strcmp(e->when_glob, c->glob)) return 0;
    if (!e->when_keyword || !c->keyword) return !e->when_keyword && !c->keyword;
    return !strcmp(e->when_keyword, c->keyword);
}

/* Points every entry of the path at the next live one, and the path at its
 * first live one. Chains are a few entries long. */
static void relink(path_rec *p)
{
    p->live = NULL;
    for (entry_rec *e = p->first; e; e = e->chain) {
        const entry_rec *n = e->chain;
        while (n && n->disabled) n = n->chain;
        e->entry.next = n ? &n->entry : NULL;
        if (!p->live && !e->disabled) p->live = e;
    }
}

static char *copy_str(sst_catalog *cat, const char *s)
{
    return s ? sst_arena_strndup(&cat->arena, s, strlen(s)) : NULL;
}

typedef struct entry_spec {
    sst_kind kind;
    const char *path, *host, *target, *args;
    uint32_t categories;
    condition when;
} entry_spec;

static int add_entry(reader *r, const entry_spec *s)
{
    sst_catalog *cat = r->cat;
    path_rec *p;
    HASH_FIND_STR(cat->by_path, s->path, p);
    if (!p) {
        p = sst_arena_alloc(&cat->arena, sizeof *p);
        if (!p || !(p->path = copy_str(cat, s->path))) return SST_ENOMEM;
        HASH_ADD_KEYPTR(hh, cat->by_path, p->path, strlen(p->path), p);
    }
    entry_rec *rec = NULL, **link = &p->first;
    for (entry_rec *e = p->first; e; e = e->chain)
        if (same_condition(&e->entry, &s->when)) rec = e;
    if (!rec) {
        if (cat->nentries == cat->capentries) {
            size_t cap = cat->capentries ? cat->capentries * 2 : 256;
            entry_rec **v = realloc(cat->order, cap * sizeof *v);
            if (!v) return SST_ENOMEM;
            cat->order = v;
            cat->capentries = cap;
        }
        rec = sst_arena_alloc(&cat->arena, sizeof *rec);
        if (!rec) return SST_ENOMEM;
        rec->entry.path = p->path;
        /* conditional: after the other conditional ones; unconditional: last */
        while (*link && (*link)->entry.when_glob) link = &(*link)->chain;
        if (!s->when.glob)
            while (*link) link = &(*link)->chain;
        rec->chain = *link;
        *link = rec;
        cat->order[cat->nentries++] = rec;
        rec->entry.when_index = s->when.index;
        rec->entry.when_keyword = copy_str(cat, s->when.keyword);
        rec->entry.when_glob = copy_str(cat, s->when.glob);
    }
    /* A later line or file overrides an earlier one: user catalogues refine the built-in. */
    rec->disabled = 0;
    rec->entry.kind = s->kind;
    rec->entry.service = copy_str(cat, r->service);
    rec->entry.host = copy_str(cat, s->host);
    rec->entry.target = copy_str(cat, s->target);
    rec->entry.categories = s->categories;
    rec->entry.args = copy_str(cat, s->args);
    rec->entry.file = r->file;
    rec->entry.line = r->line;
    relink(p);
    add_prefixes(cat, s->path);
    return cat->arena.failed ? SST_ENOMEM : 0;
}

/* ---- lines -------------------------------------------------------------------- */

/* Options "key=value" after the path. ALLOWED: the keys this directive takes. */
enum { OPT_HOST = 1, OPT_CATEGORIES = 2, OPT_ARGS = 4, OPT_WHEN = 8 };

static int parse_options(reader *r, char **words, int n, unsigned allowed, const char *directive,
                         entry_spec *s)
{
    static const struct {
        const char *key;
        unsigned bit;
        const char *what;   /* which directives take it */
    } keys[] = {
        {"host=", OPT_HOST, "service, external, config"},
        {"categories=", OPT_CATEGORIES, "source"},
        {"args=", OPT_ARGS, "external, store, log"},
        {"when=", OPT_WHEN, "returns, config"},
    };
    unsigned seen = 0;
    for (int i = 0; i < n; i++) {
        unsigned k = 0;
        while (k < sizeof keys / sizeof *keys && strncmp(words[i], keys[k].key, strlen(keys[k].key))) k++;
        if (k == sizeof keys / sizeof *keys) return fail(r, "unknown option '%s' (" OPTIONS ")", words[i]);
        if (!(allowed & keys[k].bit))
            return fail(r, "'%s' takes no '%s' (it is for: %s)", directive, keys[k].key, keys[k].what);
        if (seen & keys[k].bit) return fail(r, "'%s' is given twice", keys[k].key);
        seen |= keys[k].bit;
        char *value = words[i] + strlen(keys[k].key);
        int rc = 0;
        switch (keys[k].bit) {
        case OPT_HOST:
            if (!valid_host(value)) return fail(r, "'%s' is not a host name", value);
            s->host = value;
            break;
        case OPT_CATEGORIES: {
            if (!*value) return fail(r, "'categories=' needs a list of data categories");
            char *save = NULL;
            for (char *c = strtok_r(value, ",", &save); c; c = strtok_r(NULL, ",", &save)) {
                uint32_t bit = category_bit(c, strlen(c));
                if (!bit) return fail(r, "unknown data category '%s'", c);
                s->categories |= bit;
            }
            break;
        }
        case OPT_ARGS:
            rc = check_args(r, value);
            s->args = value;
            break;
        case OPT_WHEN:
            rc = parse_when(r, value, &s->when);
            break;
        }
        if (rc) return rc;
    }
    return 0;
}

static int parse_line(reader *r, char *text)
{
    char *hash = strchr(text, '#');
    if (hash) *hash = 0;
    char *p = text;
    while (isspace((unsigned char)*p)) p++;
    if (!*p) return 0;
    if (!strncmp(p, "names ", 6)) return add_rules(r, p + 6, 0);
    if (!strncmp(p, "unless ", 7)) return add_rules(r, p + 7, 1);

    char *words[MAX_WORDS];
    int n = split_words(p, words, MAX_WORDS);
    if (n < 0) return fail(r, "too many words on one line");
    entry_spec s = {0};
    if (!strcmp(words[0], "service")) {
        if (n < 2) return fail(r, "'service' needs a name");
        if (!valid_service(words[1]))
            return fail(r, "'%s' is not a service name (letters, digits, '_', '-', '.')", words[1]);
        int rc = parse_options(r, words + 2, n - 2, OPT_HOST, "service", &s);
        if (rc) return rc;
        if (strlen(words[1]) >= sizeof r->service)
            return fail(r, "service name longer than %zu bytes", sizeof r->service - 1);
        if (s.host && strlen(s.host) >= sizeof r->host)
            return fail(r, "host longer than %zu bytes", sizeof r->host - 1);
        snprintf(r->service, sizeof r->service, "%s", words[1]);
        snprintf(r->host, sizeof r->host, "%s", s.host ? s.host : "");
        return 0;
    }
    static const struct {
        const char *name;
        sst_kind kind;
        unsigned options;
    } directives[] = {
        {"external", SST_KIND_EXTERNAL, OPT_HOST | OPT_ARGS},
        {"store", SST_KIND_STORE, OPT_ARGS},
        {"log", SST_KIND_LOG, OPT_ARGS},
        {"config", SST_KIND_CONFIG, OPT_HOST | OPT_WHEN},
        {"source", SST_KIND_SOURCE, OPT_CATEGORIES},
        {"returns", SST_KIND_RETURNS, OPT_WHEN},
    };
    size_t d = 0;
    while (d < sizeof directives / sizeof *directives && strcmp(words[0], directives[d].name)) d++;
    if (d == sizeof directives / sizeof *directives)
        return fail(r, "unknown directive '%s' (" DIRECTIVES ")", words[0]);
    s.kind = directives[d].kind;
    if (n < 2) return fail(r, "'%s' needs an API path", words[0]);
    if (!r->service[0]) return fail(r, "'%s' before any 'service' line", words[0]);
    s.path = words[1];
    int first_opt = 2;
    if (s.kind == SST_KIND_RETURNS) {
        if (n < 4 || strcmp(words[2], "->")) return fail(r, "expected 'returns PATH -> PATH'");
        s.target = words[3];
        first_opt = 4;
    }
    if (!valid_path(s.path) || (s.target && !valid_path(s.target)))
        return fail(r, "'%s' is not an API path (dotted names, '()' for a call)",
                    valid_path(s.path) ? s.target : s.path);
    if (s.kind == SST_KIND_RETURNS && !strcmp(s.path, s.target))
        return fail(r, "'%s' returns itself", s.path);
    if (s.kind == SST_KIND_RETURNS && s.path[strlen(s.path) - 1] != ')')
        return fail(r, "'returns %s': the path of a returns rule ends in '()'", s.path);
    int rc = parse_options(r, words + first_opt, n - first_opt, directives[d].options, words[0], &s);
    if (rc) return rc;
    if (!s.host && r->host[0] && (directives[d].options & OPT_HOST)) s.host = r->host;
    return add_entry(r, &s);
}

/* EMBEDDED: the built-in data, where "#file NAME" lines separate the files
 * it was made from; in a user's file such a line is a comment like any other. */
static int add_text(sst_catalog *cat, const char *name, const char *text, size_t len, int embedded,
                    sst_error *err)
{
    reader r = {.cat = cat, .err = err};
    r.file = sst_arena_strndup(&cat->arena, name, strlen(name));
    if (!r.file) return SST_ENOMEM;
    size_t i = 0;
    char buf[1024];
    while (i < len) {
        size_t j = i;
        while (j < len && text[j] != '\n') j++;
        r.line++;
        size_t n = j - i;
        if (n >= sizeof buf) return fail(&r, "line longer than %zu bytes", sizeof buf - 1);
        if (memchr(text + i, 0, n)) return fail(&r, "a NUL byte in the line");
        memcpy(buf, text + i, n);
        buf[n] = 0;
        if (n && buf[n - 1] == '\r') buf[n - 1] = 0;
        i = j + 1;
        if (embedded && !strncmp(buf, "#file ", 6)) { /* marker between embedded files */
            r.file = sst_arena_strndup(&cat->arena, buf + 6, strlen(buf + 6));
            if (!r.file) return SST_ENOMEM;
            r.line = 0;
            r.service[0] = r.host[0] = 0;
            continue;
        }
        int rc = parse_line(&r, buf);
        if (rc) return rc;
    }
    return cat->arena.failed ? SST_ENOMEM : 0;
}

int sst_catalog_add_text(sst_catalog *cat, const char *name, const char *text, size_t len,
                         sst_error *err)
{
    int rc = add_text(cat, name, text, len, 0, err);
    if (rc == SST_ENOMEM) sst_error_set(err, rc, name, 0, "out of memory loading the catalogue");
    return rc;
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
    if (rc == SST_ENOMEM) sst_error_set(err, rc, path, 0, "out of memory reading the catalogue");
    if (!rc) rc = sst_catalog_add_text(cat, path, text ? text : "", len, err);
    free(text);
    return rc;
}

void sst_catalog_free(sst_catalog *cat)
{
    if (!cat) return;
    HASH_CLEAR(hh, cat->by_path);
    HASH_CLEAR(hh, cat->prefixes);
    free(cat->order);
    free(cat->rules);
    first_rec *f, *ftmp;
    HASH_ITER(hh, cat->by_first, f, ftmp) {
        HASH_DEL(cat->by_first, f);
        free(f->rules);
    }
    sst_arena_free(&cat->arena);
    free(cat);
}

/* ---- queries ------------------------------------------------------------------ */

const sst_entry *sst_catalog_lookup(const sst_catalog *cat, const char *path)
{
    path_rec *p;
    HASH_FIND_STR(cat->by_path, path, p);
    return p && p->live ? &p->live->entry : NULL;
}

int sst_catalog_has_prefix(const sst_catalog *cat, const char *path, size_t len)
{
    prefix_rec *p;
    HASH_FIND(hh, cat->prefixes, path, len, p);
    return p != NULL;
}

size_t sst_catalog_count(const sst_catalog *cat)
{
    return cat->nentries;
}

const sst_entry *sst_catalog_entry_at(const sst_catalog *cat, size_t index)
{
    return index < cat->nentries ? &cat->order[index]->entry : NULL;
}

size_t sst_catalog_disable(sst_catalog *cat, const char *what)
{
    size_t count = 0;
    path_rec *p;
    HASH_FIND_STR(cat->by_path, what, p);
    if (p) {
        for (entry_rec *e = p->first; e; e = e->chain) {
            e->disabled = 1;
            count++;
        }
        relink(p);
    }
    for (size_t i = 0; i < cat->nentries; i++) {
        entry_rec *e = cat->order[i];
        if (!e->entry.service || strcmp(e->entry.service, what)) continue;
        if (p && !strcmp(e->entry.path, what)) continue; /* counted above */
        e->disabled = 1;
        count++;
        path_rec *owner;
        HASH_FIND_STR(cat->by_path, e->entry.path, owner);
        if (owner) relink(owner);
    }
    return count;
}

int sst_catalog_is_disabled(const sst_catalog *cat, const sst_entry *entry)
{
    (void)cat;
    const entry_rec *rec = (const entry_rec *)(const void *)((const char *)entry - offsetof(entry_rec, entry));
    return rec->disabled;
}

/* ---- name classification -------------------------------------------------------- */

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
    for (unsigned start = 0; start < n; start++) {
        first_rec *f;
        HASH_FIND_STR(cat->by_first, words[start], f);
        for (size_t i = 0; f && i < f->n; i++) {
            const name_rule *rule = &cat->rules[f->rules[i]];
            if (start + rule->ntokens > n) continue;
            unsigned k = 1;
            while (k < rule->ntokens && !strcmp(words[start + k], rule->tokens[k])) k++;
            if (k < rule->ntokens) continue;
            if (rule->exclude) vetoed |= rule->category;
            else found |= rule->category;
        }
    }
    return found & ~vetoed;
}
