/* The project table: modules, first-party roots, aliases (what module-level
 * names, class and instance attributes and function results stand for),
 * classes with their bases and members. Filled one module at a time, then
 * read by many threads: canonicalisation never writes. */
#include "project.h"

#include <stdlib.h>
#include <xxhash.h>
#include <string.h>

#include "catalog.h"
#include "scope.h"

/* Every table here is hashed only in this file: keys are paths that share
 * long prefixes, asked for at each dot, so a fast hash pays. */
#undef HASH_FUNCTION
#define HASH_FUNCTION(keyptr, keylen, hashv) ((hashv) = (unsigned)XXH3_64bits((keyptr), (keylen)))

enum { MAX_STEPS = 32 };

int sst_project_new(sst_project **out, const sst_catalog *catalog, sst_error *err)
{
    sst_project *p = calloc(1, sizeof *p);
    if (!p) {
        sst_error_set(err, SST_ENOMEM, NULL, 0, "out of memory");
        return SST_ENOMEM;
    }
    sst_arena_init(&p->arena);
    p->catalog = catalog;
    *out = p;
    return 0;
}

static const char *keep_str(sst_project *p, const char *s, size_t len)
{
    return sst_arena_strndup(&p->arena, s, len);
}

static int add_str(sst_project *p, proj_str **set, const char *s, size_t len)
{
    proj_str *e;
    HASH_FIND(hh, *set, s, len, e);
    if (e) return 0;
    e = sst_arena_alloc(&p->arena, sizeof *e);
    if (!e || !(e->s = keep_str(p, s, len))) return SST_ENOMEM;
    HASH_ADD_KEYPTR(hh, *set, e->s, len, e);
    return 0;
}

static int has_str(const proj_str *set, const char *s, size_t len)
{
    proj_str *e;
    HASH_FIND(hh, set, s, len, e);
    return e != NULL;
}

static size_t root_len(const char *path, size_t len)
{
    size_t i = 0;
    while (i < len && path[i] != '.' && path[i] != '(') i++;
    return i;
}

static int oom(sst_error *err)
{
    sst_error_set(err, SST_ENOMEM, NULL, 0, "out of memory");
    return SST_ENOMEM;
}

static proj_module *module_get(sst_project *p, const char *name, size_t len)
{
    proj_module *m;
    HASH_FIND(hh, p->modules, name, len, m);
    if (m) return m;
    m = sst_arena_alloc(&p->arena, sizeof *m);
    if (!m || !(m->name = keep_str(p, name, len))) return NULL;
    HASH_ADD_KEYPTR(hh, p->modules, m->name, len, m);
    return m;
}

int sst_project_declare(sst_project *p, const char *module, int is_package, sst_error *err)
{
    size_t len = strlen(module);
    if (!len) {
        sst_error_set(err, SST_EINVAL, NULL, 0, "a module needs a name");
        return SST_EINVAL;
    }
    proj_module *m = module_get(p, module, len);
    if (!m || add_str(p, &p->roots, module, root_len(module, len))) return oom(err);
    m->is_package = is_package;
    return 0;
}

int sst_project_first_party(sst_project *p, const char *name, sst_error *err)
{
    size_t len = strlen(name);
    if (!len || root_len(name, len) != len) {
        sst_error_set(err, SST_EINVAL, NULL, 0, "'%s' is not a top-level package name", name);
        return SST_EINVAL;
    }
    return add_str(p, &p->roots, name, len) ? oom(err) : 0;
}

static int alias_add(sst_project *p, const char *key, size_t klen, const char *target)
{
    proj_alias *a;
    HASH_FIND(hh, p->aliases, key, klen, a);
    if (a) {
        if (!a->ambiguous && (!target || !a->target || strcmp(a->target, target))) a->ambiguous = 1;
        return 0;
    }
    if (target && strlen(target) == klen && !memcmp(key, target, klen)) return 0;
    a = sst_arena_alloc(&p->arena, sizeof *a);
    if (!a || !(a->key = keep_str(p, key, klen))) return SST_ENOMEM;
    if (target) {
        if (!(a->target = keep_str(p, target, strlen(target)))) return SST_ENOMEM;
    } else {
        a->ambiguous = 1;
    }
    HASH_ADD_KEYPTR(hh, p->aliases, a->key, klen, a);
    return 0;
}

int sst_project_alias_module(sst_project *p, const char *alias, const char *module, sst_error *err)
{
    size_t len = strlen(alias);
    if (add_str(p, &p->roots, alias, root_len(alias, len)) || alias_add(p, alias, len, module)) return oom(err);
    return 0;
}

int sst_project_is_first_party(const sst_project *p, const char *path, size_t len)
{
    if (!p) return 0;
    return has_str(p->roots, path, root_len(path, len));
}

const proj_module *sst_project_module(const sst_project *p, const char *name, size_t len)
{
    proj_module *m;
    HASH_FIND(hh, p->modules, name, len, m);
    return m;
}

static proj_class *class_get(sst_project *p, const char *path)
{
    size_t len = strlen(path);
    proj_class *c;
    HASH_FIND(hh, p->classes, path, len, c);
    if (c) return c;
    c = sst_arena_alloc(&p->arena, sizeof *c);
    if (!c || !(c->path = keep_str(p, path, len))) return NULL;
    HASH_ADD_KEYPTR(hh, p->classes, c->path, len, c);
    return c;
}

static int class_add_base(sst_project *p, proj_class *c, const char *base)
{
    const char **v = sst_arena_alloc(&p->arena, (c->nbases + 1) * sizeof *v);
    if (!v) return SST_ENOMEM;
    if (c->nbases) memcpy(v, c->bases, c->nbases * sizeof *v);
    if (!(v[c->nbases] = keep_str(p, base, strlen(base)))) return SST_ENOMEM;
    c->bases = v;
    c->nbases++;
    return 0;
}

/* The names a scope binds, from its locals set. */
static int add_locals(sst_project *p, const sst_analysis *an, const scope *sc, proj_str **set)
{
    for (uint32_t id = 0; id < an->nnames; id++) {
        if (!sst_set_has(sc->locals, id)) continue;
        size_t len;
        const char *name = sst_name_text(an, id, &len);
        if (add_str(p, set, name, len)) return SST_ENOMEM;
    }
    return 0;
}

/* Bindings of a module or class scope become aliases of PREFIX.NAME (and of
 * PREFIX().NAME for a class, as instances see class attributes). */
static int add_bindings(sst_project *p, const sst_analysis *an, const scope *sc, const char *prefix, int is_class)
{
    char key[512];
    const binding *b, *tmp;
    HASH_ITER(hh, sc->bindings, b, tmp) {
        if (b->kind != BIND_PATH && b->kind != BIND_UNKNOWN) continue;
        size_t len;
        const char *name = sst_name_text(an, b->name, &len);
        const char *target = b->kind == BIND_PATH ? b->path : NULL;
        int n = snprintf(key, sizeof key, "%s.%.*s", prefix, (int)len, name);
        if (n < 0 || (size_t)n >= sizeof key) continue;
        if (alias_add(p, key, (size_t)n, target)) return SST_ENOMEM;
        if (!is_class) continue;
        n = snprintf(key, sizeof key, "%s().%.*s", prefix, (int)len, name);
        if (n < 0 || (size_t)n >= sizeof key) continue;
        if (alias_add(p, key, (size_t)n, target)) return SST_ENOMEM;
    }
    return 0;
}

/* What a function's returns carry, added to KEY's summary. */
static int summary_add(sst_project *p, const char *key, uint32_t categories, const char *const *callees,
                       size_t ncallees)
{
    size_t klen = strlen(key);
    proj_summary *s;
    HASH_FIND(hh, p->summaries, key, klen, s);
    if (!s) {
        s = sst_arena_alloc(&p->arena, sizeof *s);
        if (!s || !(s->key = keep_str(p, key, klen))) return SST_ENOMEM;
        HASH_ADD_KEYPTR(hh, p->summaries, s->key, klen, s);
    }
    s->categories |= categories;
    if (!ncallees) return 0;
    const char **v = sst_arena_alloc(&p->arena, (s->ncallees + ncallees) * sizeof *v);
    if (!v) return SST_ENOMEM;
    if (s->ncallees) memcpy(v, s->callees, s->ncallees * sizeof *v);
    for (size_t k = 0; k < ncallees; k++)
        if (!(v[s->ncallees + k] = keep_str(p, callees[k], strlen(callees[k])))) return SST_ENOMEM;
    s->callees = v;
    s->ncallees += ncallees;
    return 0;
}

int sst_project_add_analysis(sst_project *p, const sst_analysis *an, sst_error *err)
{
    proj_module *m = module_get(p, an->module_name, strlen(an->module_name));
    if (!m) return oom(err);
    m->is_package = an->is_package;
    if (an->nstars) {
        const char **v = sst_arena_alloc(&p->arena, an->nstars * sizeof *v);
        if (!v) return oom(err);
        for (size_t i = 0; i < an->nstars; i++)
            if (!(v[i] = keep_str(p, an->stars[i], strlen(an->stars[i])))) return oom(err);
        m->stars = v;
        m->nstars = an->nstars;
        p->has_stars = 1;
    }
    if (an->has_all) {
        m->has_all = 1;
        for (size_t i = 0; i < an->nall; i++)
            if (add_str(p, &m->all, an->all[i], strlen(an->all[i]))) return oom(err);
    }
    if (add_locals(p, an, an->module, &m->names) || add_bindings(p, an, an->module, an->module_name, 0))
        return oom(err);
    scope *sc, *tmp;
    HASH_ITER(hh, an->scopes, sc, tmp) {
        if (sc->kind != SCOPE_CLASS) continue;
        proj_class *c = class_get(p, sc->path);
        if (!c || add_locals(p, an, sc, &c->members) || add_bindings(p, an, sc, sc->path, 1)) return oom(err);
    }
    for (size_t i = 0; i < an->nsummaries; i++) {
        const sst_summary *x = &an->summaries[i];
        if (summary_add(p, x->key, x->categories, x->callees, x->ncallees)) return oom(err);
    }
    for (size_t i = 0; i < an->nexports; i++) {
        const sst_export *x = &an->exports[i];
        if (x->is_base) {
            proj_class *c = class_get(p, x->key);
            if (!c || class_add_base(p, c, x->target)) return oom(err);
            continue;
        }
        if (alias_add(p, x->key, strlen(x->key), x->target)) return oom(err);
        /* "C().attr" set on self: attr is a member of C */
        const char *dot = strrchr(x->key, '.');
        if (dot && dot - x->key > 2 && dot[-1] == ')' && dot[-2] == '(' && dot[1] && !strchr(dot, '(')) {
            char cls[512];
            size_t clen = (size_t)(dot - x->key) - 2;
            if (clen >= sizeof cls) continue;
            memcpy(cls, x->key, clen);
            cls[clen] = 0;
            proj_class *c = class_get(p, cls);
            if (!c || add_str(p, &c->members, dot + 1, strlen(dot + 1))) return oom(err);
        }
    }
    return 0;
}

int sst_project_link(sst_project *p, sst_error *err)
{
    (void)err;
    p->linked = 1;
    return 0;
}

void sst_project_free(sst_project *p)
{
    if (!p) return;
    if (!p->roots_shared) HASH_CLEAR(hh, p->roots);
    HASH_CLEAR(hh, p->asked_set);
    proj_module *m, *mt;
    HASH_ITER(hh, p->modules, m, mt) {
        HASH_CLEAR(hh, m->names);
        HASH_CLEAR(hh, m->all);
    }
    HASH_CLEAR(hh, p->modules);
    HASH_CLEAR(hh, p->aliases);
    proj_class *c, *ct;
    HASH_ITER(hh, p->classes, c, ct) HASH_CLEAR(hh, c->members);
    HASH_CLEAR(hh, p->classes);
    HASH_CLEAR(hh, p->summaries);
    sst_arena_free(&p->arena);
    free(p);
}

/* ---- forks: one module analysed ahead of the others ------------------------- */

int sst_project_fork(sst_project **out, const sst_project *parent, sst_error *err)
{
    int rc = sst_project_new(out, parent->catalog, err);
    if (rc) return rc;
    (*out)->roots = parent->roots;   /* complete before any module is loaded; read only */
    (*out)->roots_shared = 1;
    (*out)->recording = 1;
    return 0;
}

/* Records a question a fork answered, once. Single-threaded: a fork belongs
 * to the thread rewriting its module. Out of memory: the fork can no longer
 * vouch for anything (sst_project_agrees says no). */
static void ask(const sst_project *cp, ask_kind kind, const char *path, size_t len, const char *answer,
                size_t alen, uint32_t categories, const sst_entry *entry)
{
    sst_project *p = (sst_project *)cp;
    if (!p->recording) return;
    char key[520];
    if (len + 2 > sizeof key) {
        p->arena.failed = 1;
        return;
    }
    key[0] = (char)('0' + kind);
    memcpy(key + 1, path, len);
    proj_ask *a;
    HASH_FIND(hh, p->asked_set, key, len + 1, a);
    if (a) return;   /* the same question has the same answer */
    a = sst_arena_alloc(&p->arena, sizeof *a);
    if (!a || !(a->key = keep_str(p, key, len + 1))) {
        p->arena.failed = 1;
        return;
    }
    a->kind = kind;
    a->path = a->key + 1;
    a->answer = answer ? keep_str(p, answer, alen) : NULL;
    a->categories = categories;
    a->entry = entry;
    HASH_ADD_KEYPTR(hh, p->asked_set, a->key, len + 1, a);
    p->nasked++;
}

int sst_project_merge(sst_project *into, const sst_project *from, sst_error *err)
{
    for (const proj_module *m = from->modules; m; m = m->hh.next) {
        proj_module *t = module_get(into, m->name, strlen(m->name));
        if (!t) return oom(err);
        t->is_package = m->is_package;
        if (m->nstars) {
            const char **v = sst_arena_alloc(&into->arena, m->nstars * sizeof *v);
            if (!v) return oom(err);
            for (size_t i = 0; i < m->nstars; i++)
                if (!(v[i] = keep_str(into, m->stars[i], strlen(m->stars[i])))) return oom(err);
            t->stars = v;
            t->nstars = m->nstars;
            into->has_stars = 1;
        }
        for (const proj_str *n = m->names; n; n = n->hh.next)
            if (add_str(into, &t->names, n->s, strlen(n->s))) return oom(err);
        t->has_all = t->has_all || m->has_all;
        for (const proj_str *n = m->all; n; n = n->hh.next)
            if (add_str(into, &t->all, n->s, strlen(n->s))) return oom(err);
    }
    for (const proj_alias *a = from->aliases; a; a = a->hh.next) {
        if (alias_add(into, a->key, strlen(a->key), a->ambiguous ? NULL : a->target)) return oom(err);
    }
    for (const proj_class *c = from->classes; c; c = c->hh.next) {
        proj_class *t = class_get(into, c->path);
        if (!t) return oom(err);
        for (size_t i = 0; i < c->nbases; i++)
            if (class_add_base(into, t, c->bases[i])) return oom(err);
        for (const proj_str *n = c->members; n; n = n->hh.next)
            if (add_str(into, &t->members, n->s, strlen(n->s))) return oom(err);
    }
    for (const proj_summary *x = from->summaries; x; x = x->hh.next)
        if (summary_add(into, x->key, x->categories, x->callees, x->ncallees)) return oom(err);
    return into->arena.failed ? oom(err) : 0;
}

static int inert(const sst_project *p, const char *path, size_t len)
{
    return sst_project_is_first_party(p, path, len) || !sst_catalog_has_prefix(p->catalog, path, len);
}

int sst_project_agrees(const sst_project *full, const sst_project *fork)
{
    if (fork->arena.failed || !full->linked) return 0;
    char buf[512];
    for (const proj_ask *a = fork->asked_set; a; a = a->hh.next) {
        if (!a->path) return 0;
        size_t len = strlen(a->path);
        switch (a->kind) {
        case ASK_CANON: {
            if (!a->answer || len + 1 > sizeof buf) return 0;
            memcpy(buf, a->path, len + 1);
            size_t n = sst_project_canon(full, buf, len, sizeof buf);
            if (strlen(a->answer) == n && !memcmp(buf, a->answer, n)) break;
            /* Two answers that lead nowhere in the catalogue make the same
             * decisions: no entry is matched on a first-party path, a path that
             * is no catalogue prefix resolves to nothing, and every later step
             * from the fork's answer was asked, and is checked, on its own. */
            if (n && a->answer[0] && inert(full, buf, n) && inert(full, a->answer, strlen(a->answer))) break;
            return 0;
        }
        case ASK_SUMMARY:
            if (sst_project_summary(full, a->path, 0) != a->categories) return 0;
            break;
        case ASK_INHERITED:
            if (sst_project_inherited_entry(full, a->path, len, 0) != a->entry) return 0;
            break;
        }
    }
    return 1;
}

/* ---- canonicalisation ----------------------------------------------------- */

/* Replaces BUF[0..B) by TEXT (TLEN bytes) followed by SUFFIX. */
static size_t splice(char *buf, size_t len, size_t cap, size_t b, const char *text, size_t tlen,
                     const char *suffix)
{
    size_t slen = strlen(suffix);
    size_t n = tlen + slen + (len - b);
    if (n + 1 > cap) return 0;
    memmove(buf + tlen + slen, buf + b, len - b + 1);
    memcpy(buf, text, tlen);
    memcpy(buf + tlen, suffix, slen);
    return n;
}

/* "pkg.name" where pkg is a module with star imports that do not bind name
 * itself: the star import that provides it, last first. */
static const char *star_source(const sst_project *p, const char *buf, size_t b)
{
    const char *dot = NULL;
    for (size_t i = b; i > 0; i--)
        if (buf[i - 1] == '.') {
            dot = buf + i - 1;
            break;
        }
    if (!dot || memchr(buf, '(', b)) return NULL;
    size_t mlen = (size_t)(dot - buf);
    const proj_module *m = sst_project_module(p, buf, mlen);
    if (!m || !m->nstars) return NULL;
    const char *name = dot + 1;
    size_t nlen = b - mlen - 1;
    if (has_str(m->names, name, nlen)) return NULL;
    for (size_t i = m->nstars; i-- > 0;) {
        const char *s = m->stars[i];
        size_t slen = strlen(s);
        if (sst_project_is_first_party(p, s, slen)) {
            const proj_module *src = sst_project_module(p, s, slen);
            if (!src) continue;
            int exported = src->has_all ? has_str(src->all, name, nlen)
                                        : (name[0] != '_' && has_str(src->names, name, nlen));
            if (exported) return s;
        } else {
            char probe[512];
            int n = snprintf(probe, sizeof probe, "%s.%.*s", s, (int)nlen, name);
            if (n > 0 && (size_t)n < sizeof probe && sst_catalog_has_prefix(p->catalog, probe, (size_t)n))
                return s;
        }
    }
    return NULL;
}

/* "C.attr" or "C().attr" on a project class that does not define attr: the
 * first base class (in order) that is first-party or leads into the
 * catalogue. Writes the replacement prefix into OUT. */
static int base_for(const sst_project *p, const char *buf, size_t b, char *out, size_t cap)
{
    const char *dot = NULL;
    for (size_t i = b; i > 0; i--)
        if (buf[i - 1] == '.') {
            dot = buf + i - 1;
            break;
        }
    if (!dot) return 0;
    size_t clen = (size_t)(dot - buf);
    int instance = clen > 2 && buf[clen - 1] == ')' && buf[clen - 2] == '(';
    if (instance) clen -= 2;
    proj_class *c;
    HASH_FIND(hh, p->classes, buf, clen, c);
    if (!c || !c->nbases) return 0;
    const char *attr = dot + 1;
    size_t alen = b - (size_t)(attr - buf);
    if (has_str(c->members, attr, alen)) return 0;
    for (size_t i = 0; i < c->nbases; i++) {
        int n = snprintf(out, cap, "%s%s.%.*s", c->bases[i], instance ? "()" : "", (int)alen, attr);
        if (n < 0 || (size_t)n >= cap) continue;
        if (sst_project_is_first_party(p, out, (size_t)n) || sst_catalog_has_prefix(p->catalog, out, (size_t)n))
            return n;
    }
    return 0;
}

size_t sst_project_canon(const sst_project *p, char *buf, size_t len, size_t cap)
{
    return sst_project_canon_from(p, buf, len, cap, 0);
}

static size_t canon_from(const sst_project *p, char *buf, size_t len, size_t cap, size_t from);

size_t sst_project_canon_from(const sst_project *p, char *buf, size_t len, size_t cap, size_t from)
{
    if (!p->recording || !sst_project_is_first_party(p, buf, len)) return canon_from(p, buf, len, cap, from);
    char in[512];
    size_t inlen = len < sizeof in ? len : 0;
    memcpy(in, buf, inlen);
    size_t n = canon_from(p, buf, len, cap, from);
    if (!inlen) {
        ((sst_project *)p)->arena.failed = 1;   /* cannot record it: vouch for nothing */
        return n;
    }
    ask(p, ASK_CANON, in, inlen, n ? buf : "", n, 0, NULL);
    return n;
}

static size_t canon_from(const sst_project *p, char *buf, size_t len, size_t cap, size_t from)
{
    char tmp[512];
    for (int step = 0; step < MAX_STEPS; step++) {
        int changed = 0;
        int first_party = sst_project_is_first_party(p, buf, len);
        size_t b = root_len(buf, len);
        /* the prefixes up to FROM were already followed: start at FROM's boundary */
        if (from > b && from <= len) b = from;
        from = 0;
        for (;;) {
            if (first_party) {
                proj_alias *a;
                HASH_FIND(hh, p->aliases, buf, b, a);
                if (a) {
                    if (a->ambiguous) return len;
                    len = splice(buf, len, cap, b, a->target, strlen(a->target), "");
                    changed = 1;
                    break;
                }
                const char *star = p->has_stars ? star_source(p, buf, b) : NULL;
                if (star) {
                    size_t nstart = b;
                    while (nstart > 0 && buf[nstart - 1] != '.') nstart--;
                    int n = snprintf(tmp, sizeof tmp, "%s.%.*s", star, (int)(b - nstart), buf + nstart);
                    if (n < 0 || (size_t)n >= sizeof tmp) return 0;
                    len = splice(buf, len, cap, b, tmp, (size_t)n, "");
                    changed = 1;
                    break;
                }
                int n = p->classes ? base_for(p, buf, b, tmp, sizeof tmp) : 0;
                if (n) {
                    len = splice(buf, len, cap, b, tmp, (size_t)n, "");
                    changed = 1;
                    break;
                }
            } else if (b >= 2 && buf[b - 1] == ')') {
                char save = buf[b];
                buf[b] = 0;
                const sst_entry *e = sst_catalog_lookup(p->catalog, buf);
                buf[b] = save;
                for (; e; e = e->next) {
                    if (e->kind != SST_KIND_RETURNS || e->when_glob) continue;
                    len = splice(buf, len, cap, b, e->target, strlen(e->target), "");
                    changed = 1;
                    break;
                }
                if (changed) break;
            }
            if (b >= len) break;
            /* the next boundary: after ".name" or after "()" */
            if (buf[b] == '(') {
                b += 2;
            } else {
                b++;
                while (b < len && buf[b] != '.' && buf[b] != '(') b++;
            }
            if (b > len) break;
        }
        if (!len) return 0;
        if (!changed) return len;
    }
    return len;
}

static uint32_t summary(const sst_project *p, const char *path, int depth);

uint32_t sst_project_summary(const sst_project *p, const char *path, int depth)
{
    uint32_t cats = summary(p, path, depth);
    if (p && p->recording && depth == 0) ask(p, ASK_SUMMARY, path, strlen(path), NULL, 0, cats, NULL);
    return cats;
}

static uint32_t summary(const sst_project *p, const char *path, int depth)
{
    if (!p || depth > 8) return 0;
    char buf[512];
    size_t len = strlen(path);
    if (len + 1 > sizeof buf) return 0;
    memcpy(buf, path, len + 1);
    /* "app.views.build()" imported from app.prompts is app.prompts.build() */
    if (p->linked) {
        size_t head = len - 2;
        buf[head] = 0;
        head = sst_project_canon(p, buf, head, sizeof buf - 3);
        if (!head) return 0;
        memcpy(buf + head, "()", 3);
    }
    proj_summary *s;
    HASH_FIND_STR(p->summaries, buf, s);
    if (!s) return 0;
    uint32_t cats = s->categories;
    for (size_t i = 0; i < s->ncallees; i++) cats |= summary(p, s->callees[i], depth + 1);
    return cats;
}

static const sst_entry *inherited_entry(const sst_project *p, const char *path, size_t len, int depth);

const sst_entry *sst_project_inherited_entry(const sst_project *p, const char *path, size_t len, int depth)
{
    const sst_entry *e = inherited_entry(p, path, len, depth);
    if (p && p->recording && depth == 0) ask(p, ASK_INHERITED, path, len, NULL, 0, 0, e);
    return e;
}

static const sst_entry *inherited_entry(const sst_project *p, const char *path, size_t len, int depth)
{
    if (!p || depth > 8 || len < 3 || path[len - 1] != ')' || path[len - 2] != '(') return NULL;
    proj_class *c;
    HASH_FIND(hh, p->classes, path, len - 2, c);
    if (!c) return NULL;
    char buf[512];
    for (size_t i = 0; i < c->nbases; i++) {
        int n = snprintf(buf, sizeof buf, "%s()", c->bases[i]);
        if (n < 0 || (size_t)n >= sizeof buf) continue;
        size_t blen = (size_t)n;
        if (p->linked) blen = sst_project_canon(p, buf, blen, sizeof buf);
        if (!blen) continue;
        const sst_entry *e;
        if (sst_project_is_first_party(p, buf, blen)) e = inherited_entry(p, buf, blen, depth + 1);
        else e = sst_catalog_lookup(p->catalog, buf);
        if (e && e->kind == SST_KIND_SOURCE) return e;
    }
    return NULL;
}

uint32_t sst_project_inherited_source(const sst_project *p, const char *path, size_t len, int depth)
{
    const sst_entry *e = sst_project_inherited_entry(p, path, len, depth);
    return e ? e->categories : 0;
}

static void digest_str(XXH3_state_t *st, const char *s)
{
    XXH3_64bits_update(st, s ? s : "\1", s ? strlen(s) + 1 : 1);
}

uint64_t sst_project_digest(const sst_project *p)
{
    XXH3_state_t *st = XXH3_createState();
    if (!st) return 0;
    XXH3_64bits_reset(st);
    /* tables are filled in the caller's (sorted) order, so iteration is deterministic */
    for (const proj_str *r = p->roots; r; r = r->hh.next) digest_str(st, r->s);
    for (const proj_module *m = p->modules; m; m = m->hh.next) {
        digest_str(st, m->name);
        XXH3_64bits_update(st, &m->is_package, sizeof m->is_package);
        for (size_t i = 0; i < m->nstars; i++) digest_str(st, m->stars[i]);
        for (const proj_str *n = m->names; n; n = n->hh.next) digest_str(st, n->s);
        digest_str(st, m->has_all ? "__all__" : NULL);
        for (const proj_str *n = m->all; n; n = n->hh.next) digest_str(st, n->s);
    }
    for (const proj_alias *a = p->aliases; a; a = a->hh.next) {
        digest_str(st, a->key);
        digest_str(st, a->ambiguous ? NULL : a->target);
    }
    for (const proj_class *c = p->classes; c; c = c->hh.next) {
        digest_str(st, c->path);
        for (size_t i = 0; i < c->nbases; i++) digest_str(st, c->bases[i]);
        for (const proj_str *n = c->members; n; n = n->hh.next) digest_str(st, n->s);
    }
    for (const proj_summary *x = p->summaries; x; x = x->hh.next) {
        digest_str(st, x->key);
        XXH3_64bits_update(st, &x->categories, sizeof x->categories);
        for (size_t i = 0; i < x->ncallees; i++) digest_str(st, x->callees[i]);
    }
    uint64_t h = XXH3_64bits_digest(st);
    XXH3_freeState(st);
    return h;
}
