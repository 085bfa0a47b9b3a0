/* Builds the scopes of a module: interned names, which names each scope
 * binds, declares global/nonlocal or deletes, and what module-level and
 * local names are bound to (imports, values that resolve to API paths). */
#define _GNU_SOURCE
#include "scope.h"

#include <stdlib.h>
#include <string.h>

#include "catalog.h"
#include "kinds.h"
#include "resolve.h"

enum { MAX_DEPTH = 1500 };



static uint64_t scope_key(snode node)
{
    return node.id;
}

/* ---- names ---------------------------------------------------------------- */

static uint32_t intern(sst_analysis *an, const char *text, size_t len)
{
    name_rec *rec;
    HASH_FIND(hh, an->names, text, len, rec);
    if (rec) return rec->id;
    if (an->nnames == an->capnames) {
        uint32_t cap = an->capnames ? an->capnames * 2 : 256;
        name_rec **ids = realloc(an->by_id, cap * sizeof *ids);
        if (!ids) {
            an->arena->failed = 1;
            return 0;
        }
        an->by_id = ids;
        an->capnames = cap;
    }
    rec = sst_arena_alloc(an->arena, sizeof *rec);
    if (!rec) return 0;
    rec->text = text;
    rec->len = len;
    rec->id = an->nnames++;
    an->by_id[rec->id] = rec;
    HASH_ADD_KEYPTR(hh, an->names, rec->text, rec->len, rec);
    return rec->id;
}

uint32_t sst_name_lookup(const sst_analysis *an, const char *text, size_t len)
{
    name_rec *rec;
    HASH_FIND(hh, an->names, text, len, rec);
    return rec ? rec->id : UINT32_MAX;
}

uint32_t sst_name_of(const sst_analysis *an, snode identifier)
{
    size_t len;
    const char *text = sn_text(an->src, identifier, &len);
    return sst_name_lookup(an, text, len);
}

const char *sst_name_text(const sst_analysis *an, uint32_t id, size_t *len)
{
    *len = an->by_id[id]->len;
    return an->by_id[id]->text;
}

static void intern_all(sst_analysis *an)
{
    const sst_tree *t = an->tree;
    for (uint32_t i = 1; i < t->n; i++)
        if (t->v[i].kind == K_identifier) intern(an, an->src->text + t->v[i].start, t->v[i].end - t->v[i].start);
}

sst_word *sst_set_new(const sst_analysis *an)
{
    return sst_arena_alloc(an->arena, an->nwords * sizeof(sst_word));
}

/* ---- scopes --------------------------------------------------------------- */

/* NAME_NODE: the def's or class's name, a null node for other scopes, which
 * take their parent's names (a lambda's calls belong to the enclosing def). */
static scope *scope_new(sst_analysis *an, scope_kind kind, snode node, scope *parent, snode name_node)
{
    scope *sc = sst_arena_alloc(an->arena, sizeof *sc);
    if (!sc) return NULL;
    sc->kind = kind;
    sc->node = node;
    sc->key = scope_key(node);
    sc->parent = parent;
    sc->self_name = UINT32_MAX;
    if (!parent) {
        sc->qual = "";
        sc->path = sc->prefix = an->module_name;
    } else if (sn_is_null(name_node)) {
        sc->qual = parent->qual;
        sc->path = parent->path;
        sc->prefix = parent->prefix;
    } else {
        size_t len;
        const char *name = sn_text(an->src, name_node, &len);
        int in_function = parent->kind != SCOPE_MODULE && parent->kind != SCOPE_CLASS;
        sc->qual = parent->qual[0] ? sst_arena_printf(an->arena, "%s%s.%.*s", parent->qual,
                                                      in_function ? ".<locals>" : "", (int)len, name)
                                   : sst_arena_strndup(an->arena, name, len);
        sc->path = sst_arena_printf(an->arena, "%s.%.*s", parent->prefix, (int)len, name);
        sc->prefix = kind == SCOPE_CLASS ? sc->path : sst_arena_printf(an->arena, "%s.<locals>", sc->path);
        if (!sc->qual || !sc->path || !sc->prefix) return NULL;
    }
    sc->locals = sst_set_new(an);
    sc->declared = sst_set_new(an);
    sc->deleted = sst_set_new(an);
    if (!sc->locals || !sc->declared || !sc->deleted) return NULL;
    HASH_ADD(hh, an->scopes, key, sizeof sc->key, sc);
    return sc;
}

scope *sst_scope_of(const sst_analysis *an, snode node)
{
    uint64_t key = scope_key(node);
    scope *sc;
    HASH_FIND(hh, an->scopes, &key, sizeof key, sc);
    return sc;
}

static scope *function_owner(scope *s, uint32_t name)
{
    for (; s && s->kind != SCOPE_MODULE; s = s->parent)
        if (s->kind != SCOPE_CLASS && sst_set_has(s->locals, name) && !sst_set_has(s->declared, name))
            return s;
    return NULL;
}

scope *sst_scope_owner(scope *sc, uint32_t name)
{
    scope *module = sc;
    while (module->parent) module = module->parent;
    if (sst_set_has(sc->declared, name)) {
        /* global or nonlocal: nonlocal names live in an enclosing function */
        scope *f = function_owner(sc->parent, name);
        return f ? f : (sst_set_has(module->locals, name) ? module : NULL);
    }
    if (sst_set_has(sc->locals, name)) return sc;
    for (scope *p = sc->parent; p; p = p->parent) {
        if (p->kind == SCOPE_CLASS) continue;
        if (sst_set_has(p->declared, name) && p->kind != SCOPE_MODULE) return sst_scope_owner(p, name);
        if (sst_set_has(p->locals, name)) return p;
    }
    return NULL;
}

const binding *sst_scope_binding(scope *sc, uint32_t name)
{
    binding *b;
    HASH_FIND(hh, sc->bindings, &name, sizeof name, b);
    return b;
}

/* ---- the walk --------------------------------------------------------------- */

typedef struct walker {
    sst_analysis *an;
} walker;

static void walk(walker *w, snode node, scope *sc, int depth);

static void add_candidate(sst_analysis *an, cand_kind kind, scope *sc, uint32_t name, snode value,
                          const char *path)
{
    if (an->ncands == an->capcands) {
        size_t cap = an->capcands ? an->capcands * 2 : 64;
        bind_candidate *c = realloc(an->cands, cap * sizeof *c);
        if (!c) {
            an->arena->failed = 1;
            return;
        }
        an->cands = c;
        an->capcands = cap;
    }
    bind_candidate *c = &an->cands[an->ncands++];
    c->kind = kind;
    c->scope = sc;
    c->name = name;
    c->value = value;
    c->path = path;
}

/* The scope a name assigned in SC binds in: SC itself, or for a name SC
 * declares global or nonlocal, the scope that owns it (the module when it
 * is assigned nowhere else). */
static scope *binding_scope(walker *w, scope *sc, uint32_t id)
{
    if (!sst_set_has(sc->declared, id)) return sc;
    scope *owner = sst_scope_owner(sc, id);
    return owner ? owner : w->an->module;
}

static void bind_name(walker *w, scope *sc, snode identifier)
{
    uint32_t id = sst_name_of(w->an, identifier);
    if (id == UINT32_MAX) return;
    sst_set_add(sc->locals, id);
    scope *target = binding_scope(w, sc, id);
    if (target != sc) sst_set_add(target->locals, id);
}

/* Walrus targets bind in the nearest enclosing non-comprehension scope. */
static scope *walrus_scope(scope *sc)
{
    while (sc->kind == SCOPE_COMPREHENSION && sc->parent) sc = sc->parent;
    return sc;
}

static void bind_targets(walker *w, snode target, scope *sc, int depth)
{
    if (depth > MAX_DEPTH) return;
    sst_node_kind k = sn_kind(target);
    if (k == K_identifier) {
        bind_name(w, sc, target);
    } else if (k == K_attribute) {
        walk(w, sn_field(target, F_object), sc, depth + 1);
    } else if (k == K_subscript) {
        walk(w, target, sc, depth + 1);
    } else {
        /* pattern_list, tuple_pattern, list_pattern, splats, parentheses */
        uint32_t n = sn_count(target);
        for (uint32_t i = 0; i < n; i++) bind_targets(w, sn_nth(target, i), sc, depth + 1);
    }
}

/* ---- what names and exports are bound to ------------------------------------ */

static int text_is(walker *w, snode n, const char *word)
{
    size_t len;
    const char *t = sn_text(w->an->src, n, &len);
    return strlen(word) == len && !memcmp(t, word, len);
}

/* A literal __all__ = [...] or (...) of plain strings. */
static void record_all(walker *w, snode value)
{
    sst_analysis *an = w->an;
    an->has_all = 0;
    if (!sn_is(value, K_list) && !sn_is(value, K_tuple)) return;
    uint32_t n = sn_count(value);
    const char **v = sst_arena_alloc(an->arena, (n + 1) * sizeof *v);
    if (!v) return;
    size_t k = 0;
    SN_FOR(c, value) {
        if (!sn_is(c, K_string)) return;
        snode content = sn_nth(c, 1);
        if (sn_count(c) != 3 || !sn_is(content, K_string_content)) return;
        size_t len;
        const char *t = sn_text(an->src, content, &len);
        v[k++] = sst_arena_strndup(an->arena, t, len);
    }
    an->all = v;
    an->nall = k;
    an->has_all = 1;
}

/* The method scope whose first parameter NAME is ("self.x = ..." in it or
 * in a lambda or comprehension inside it), or NULL. */
static scope *method_of_self(scope *sc, uint32_t name)
{
    while (sc && (sc->kind == SCOPE_LAMBDA || sc->kind == SCOPE_COMPREHENSION)) sc = sc->parent;
    if (!sc || sc->kind != SCOPE_FUNCTION || !sc->is_method_scope || sc->is_static) return NULL;
    return sc->self_name == name ? sc : NULL;
}

static void assign_candidates(walker *w, scope *sc, snode left, snode value, int depth)
{
    sst_analysis *an = w->an;
    if (depth > MAX_DEPTH) return;
    if (sn_is(left, K_identifier)) {
        uint32_t id = sst_name_of(an, left);
        if (id == UINT32_MAX) return;
        add_candidate(an, CAND_VALUE, binding_scope(w, sc, id), id, value, NULL);
        if (sc == an->module && text_is(w, left, "__all__")) record_all(w, value);
        return;
    }
    if (sn_is(left, K_attribute)) {
        snode obj = sn_field(left, F_object);
        if (!sn_is(obj, K_identifier)) return;
        scope *m = method_of_self(sc, sst_name_of(an, obj));
        if (!m) return;
        size_t len;
        const char *attr = sn_text(an->src, sn_field(left, F_attribute), &len);
        const char *key = sst_arena_printf(an->arena, "%s%s.%.*s", m->cls->path, m->is_classmethod ? "" : "()",
                                           (int)len, attr);
        if (key) add_candidate(an, CAND_EXPORT, sc, UINT32_MAX, value, key);
        return;
    }
    /* a, b = X(), Y(): simple unpacking, element by element */
    if ((sn_is(left, K_pattern_list) || sn_is(left, K_tuple_pattern)) &&
        (sn_is(value, K_expression_list) || sn_is(value, K_tuple)) && sn_count(left) == sn_count(value)) {
        SN_FOR(c, value)
            if (sn_is(c, K_list_splat)) return;
        snode v = sn_first(value);
        SN_FOR(t, left) {
            if (sn_is(t, K_list_splat_pattern)) return;
            assign_candidates(w, sc, t, v, depth + 1);
            v = sn_next(v);
        }
    }
}

/* "return v" in function F: what calling F (or reading it, for a property) stands for. */
static void return_candidates(walker *w, scope *f, snode value)
{
#define add_candidate(an, kind, sc, name, value, path) add_candidate(an, CAND_RETURN, sc, name, value, path)
    sst_analysis *an = w->an;
    if (sn_is(value, K_none)) return;
    size_t len;
    const char *name = sn_text(an->src, sn_field(f->node, F_name), &len);
    if (!f->is_method_scope) {
        add_candidate(an, CAND_EXPORT, f, UINT32_MAX, value, sst_arena_printf(an->arena, "%s()", f->path));
        return;
    }
    const char *cls = f->cls->path;
    if (f->is_property) {
        add_candidate(an, CAND_EXPORT, f, UINT32_MAX, value,
                      sst_arena_printf(an->arena, "%s().%.*s", cls, (int)len, name));
        return;
    }
    add_candidate(an, CAND_EXPORT, f, UINT32_MAX, value,
                  sst_arena_printf(an->arena, "%s().%.*s()", cls, (int)len, name));
    if (f->is_static || f->is_classmethod)
        add_candidate(an, CAND_EXPORT, f, UINT32_MAX, value,
                      sst_arena_printf(an->arena, "%s.%.*s()", cls, (int)len, name));
#undef add_candidate
}

static void read_decorators(walker *w, snode def, scope *f)
{
    snode parent = sn_parent(def);
    if (!sn_is(parent, K_decorated_definition)) return;
    SN_FOR(d, parent) {
        if (!sn_is(d, K_decorator)) continue;
        snode e = sn_first(d);
        if (sn_is(e, K_call)) e = sn_field(e, F_function);
        if (sn_is(e, K_attribute)) e = sn_field(e, F_attribute);
        if (!sn_is(e, K_identifier)) continue;
        if (text_is(w, e, "staticmethod")) f->is_static = 1;
        else if (text_is(w, e, "classmethod")) f->is_classmethod = 1;
        else if (text_is(w, e, "property") || text_is(w, e, "cached_property")) f->is_property = 1;
    }
}

static snode param_name(snode p)
{
    if (sn_is(p, K_identifier)) return p;
    if (sn_is(p, K_default_parameter) || sn_is(p, K_typed_default_parameter)) {
        snode n = sn_field(p, F_name);
        return sn_is(n, K_identifier) ? n : (snode){p.t, 0};
    }
    if (sn_is(p, K_typed_parameter)) {
        snode n = sn_first(p);
        return sn_is(n, K_identifier) ? n : (snode){p.t, 0};
    }
    return (snode){p.t, 0};
}

/* self and cls of a method; parameters annotated with a class; a Django
 * view's request. */
static void parameter_candidates(walker *w, scope *f, snode params)
{
    sst_analysis *an = w->an;
    snode none = {0};
    uint32_t index = 0;
    SN_FOR(p, params) {
        snode name = param_name(p);
        uint32_t id = sn_is_null(name) ? UINT32_MAX : sst_name_of(an, name);
        if (id == UINT32_MAX) {
            index++;
            continue;
        }
        if (index == 0 && f->is_method_scope && !f->is_static) {
            f->self_name = id;
            const char *path = f->is_classmethod ? f->cls->path : sst_arena_printf(an->arena, "%s()", f->cls->path);
            if (path) add_candidate(an, CAND_FIXED, f, id, none, path);
        } else if (sn_is(p, K_typed_parameter) || sn_is(p, K_typed_default_parameter)) {
            snode type = sn_field(p, F_type);
            snode t = sn_first(type);
            if (sn_is(t, K_identifier) || sn_is(t, K_attribute)) add_candidate(an, CAND_INSTANCE, f, id, t, NULL);
        } else if (an->imports_django && sn_is(p, K_identifier) && text_is(w, p, "request") &&
                   index == (f->is_method_scope ? 1u : 0u)) {
            add_candidate(an, CAND_FIXED, f, id, none, "django.http.HttpRequest()");
        }
        index++;
    }
}

static void walk_children(walker *w, snode node, scope *sc, int depth)
{
    SN_FOR(c, node) walk(w, c, sc, depth + 1);
}

static void walk_parameters(walker *w, snode params, scope *outer, scope *inner, int depth)
{
    uint32_t n = sn_count(params);
    for (uint32_t i = 0; i < n; i++) {
        snode p = sn_nth(params, i);
        sst_node_kind k = sn_kind(p);
        if (k == K_identifier) {
            bind_name(w, inner, p);
        } else if (k == K_default_parameter || k == K_typed_default_parameter) {
            bind_targets(w, sn_field(p, F_name), inner, depth + 1);
            walk(w, sn_field(p, F_value), outer, depth + 1);
        } else if (k == K_typed_parameter) {
            for (uint32_t k = 0; k < sn_count(p); k++) {
                snode c = sn_nth(p, k);
                if (!sn_is(c, K_type)) bind_targets(w, c, inner, depth + 1);
            }
        } else if (k == K_list_splat_pattern || k == K_dictionary_splat_pattern ||
                   k == K_tuple_pattern) {
            bind_targets(w, p, inner, depth + 1);
        }
    }
}

static char *dotted_text(walker *w, snode node)
{
    size_t len;
    const char *text = sn_text(w->an->src, node, &len);
    char *out = sst_arena_alloc(w->an->arena, len + 1);
    if (!out) return NULL;
    size_t k = 0;
    for (size_t i = 0; i < len; i++)
        if (text[i] != ' ' && text[i] != '\t' && text[i] != '\\' && text[i] != '\n' && text[i] != '\r')
            out[k++] = text[i];
    out[k] = 0;
    return out;
}

/* The absolute module a relative import names: "from ..x import y" in
 * module a.b.c is a.x. NULL when it climbs above the top package. */
static const char *relative_module(walker *w, snode rel)
{
    const sst_analysis *an = w->an;
    snode prefix = sn_first(rel);
    size_t dots = 0, len;
    const char *t = sn_text(an->src, prefix, &len);
    for (size_t i = 0; i < len; i++) dots += t[i] == '.';
    if (!dots) return NULL;
    /* the package the module is in: itself for an __init__ */
    size_t base = strlen(an->module_name);
    if (!an->is_package) {
        const char *dot = strrchr(an->module_name, '.');
        if (!dot) base = 0;
        else base = (size_t)(dot - an->module_name);
    }
    for (size_t up = 1; up < dots; up++) {
        const char *d = base ? memrchr(an->module_name, '.', base) : NULL;
        if (!d) return NULL; /* beyond the top-level package */
        base = (size_t)(d - an->module_name);
    }
    snode name = sn_next(prefix);
    const char *rest = sn_is(name, K_dotted_name) ? dotted_text(w, name) : NULL;
    if (!base && !rest) return NULL;
    if (!base) return rest;
    if (!rest) return sst_arena_strndup(w->an->arena, an->module_name, base);
    return sst_arena_printf(w->an->arena, "%.*s.%s", (int)base, an->module_name, rest);
}

static void add_star(sst_analysis *an, const char *module)
{
    const char **v = sst_arena_alloc(an->arena, (an->nstars + 1) * sizeof *v);
    if (!v) return;
    if (an->nstars) memcpy(v, an->stars, an->nstars * sizeof *v);
    v[an->nstars++] = module;
    an->stars = v;
}

static void walk_import(walker *w, snode node, scope *sc)
{
    int from = sn_is(node, K_import_from_statement);
    const char *module = NULL;
    if (from) {
        snode m = sn_field(node, F_module_name);
        if (sn_is(m, K_dotted_name)) module = dotted_text(w, m);
        else if (sn_is(m, K_relative_import)) module = relative_module(w, m);
    }
    uint32_t n = sn_count(node);
    for (uint32_t i = 0; i < n; i++) {
        snode c = sn_nth(node, i);
        snode name = c, alias = {0};
        if (sn_is(c, K_wildcard_import)) {
            if (module && sc == w->an->module) add_star(w->an, module);
            continue;
        }
        if (sn_is(c, K_aliased_import)) {
            name = sn_field(c, F_name);
            alias = sn_field(c, F_alias);
        } else if (!sn_is(c, K_dotted_name)) {
            continue;
        }
        if (from && sn_eq(c, sn_field(node, F_module_name)))
            continue; /* the module name itself */
        const char *dotted = dotted_text(w, name);
        if (!dotted) return;
        if (!strncmp(dotted, "django", 6) || (module && !strncmp(module, "django", 6)))
            w->an->imports_django = 1;
        snode bound = sn_is_null(alias) ? sn_nth(name, 0) : alias;
        uint32_t id = sst_name_of(w->an, bound);
        if (id == UINT32_MAX) continue;
        sst_set_add(sc->locals, id);
        const char *path;
        if (from)
            path = module ? sst_arena_printf(w->an->arena, "%s.%s", module, dotted) : NULL;
        else
            path = sn_is_null(alias) ? sst_arena_strndup(w->an->arena, dotted, strcspn(dotted, "."))
                                          : dotted;
        snode none = {0};
        add_candidate(w->an, CAND_IMPORT, sc, id, none, path ? path : "");
    }
}

static void walk_comprehension(walker *w, snode node, scope *sc, int depth)
{
    snode none = {0};
    scope *k = scope_new(w->an, SCOPE_COMPREHENSION, node, sc, none);
    if (!k) return;
    int first = 1;
    uint32_t n = sn_count(node);
    /* Clauses first (they bind), then the body, which reads their targets. */
    for (uint32_t i = 0; i < n; i++) {
        snode c = sn_nth(node, i);
        if (sn_is(c, K_for_in_clause)) {
            bind_targets(w, sn_field(c, F_left), k, depth + 1);
            snode right = sn_field(c, F_right);
            walk(w, right, first ? sc : k, depth + 1);
            first = 0;
        } else if (sn_is(c, K_if_clause)) {
            walk_children(w, c, k, depth + 1);
        }
    }
    walk(w, sn_field(node, F_body), k, depth + 1);
}

static void walk(walker *w, snode node, scope *sc, int depth)
{
    if (sn_is_null(node) || depth > MAX_DEPTH || !sc) return;
    sst_node_kind k = sn_kind(node);
    if (k == K_assignment) {
        snode left = sn_field(node, F_left);
        snode right = sn_field(node, F_right);
        bind_targets(w, left, sc, depth + 1);
        snode value = right;
        while (sn_is(value, K_assignment)) value = sn_field(value, F_right);
        if (!sn_is_null(value)) assign_candidates(w, sc, left, value, depth + 1);
        walk(w, right, sc, depth + 1);
        return;
    }
    if (k == K_return_statement) {
        snode value = sn_first(node);
        if (!sn_is_null(value) && sc->kind == SCOPE_FUNCTION) return_candidates(w, sc, value);
        walk_children(w, node, sc, depth);
        return;
    }
    if (k == K_augmented_assignment) {
        bind_targets(w, sn_field(node, F_left), sc, depth + 1);
        walk(w, sn_field(node, F_right), sc, depth + 1);
        return;
    }
    if (k == K_class_definition) {
        snode name = sn_field(node, F_name);
        bind_name(w, sc, name);
        uint32_t id = sst_name_of(w->an, name);
        snode none = {0};
        scope *c = scope_new(w->an, SCOPE_CLASS, node, sc, name);
        if (!c) return;
        if (id != UINT32_MAX) add_candidate(w->an, CAND_DEFINITION, sc, id, none, c->path);
        snode supers = sn_field(node, F_superclasses);
        SN_FOR(b, supers)
            if (sn_is(b, K_identifier) || sn_is(b, K_attribute))
                add_candidate(w->an, CAND_BASE, sc, UINT32_MAX, b, c->path);
        walk(w, supers, sc, depth + 1);
        walk(w, sn_field(node, F_body), c, depth + 1);
        return;
    }
    if (k == K_delete_statement) {
        snode target = sn_nth(node, 0);
        uint32_t n = sn_is(target, K_expression_list) ? sn_count(target) : 1;
        for (uint32_t i = 0; i < n; i++) {
            snode c = sn_is(target, K_expression_list) ? sn_nth(target, i) : target;
            if (sn_is(c, K_identifier)) {
                uint32_t id = sst_name_of(w->an, c);
                if (id != UINT32_MAX) {
                    sst_set_add(sc->deleted, id);
                    sst_set_add(sc->locals, id);
                }
            } else {
                walk(w, c, sc, depth + 1);
            }
        }
        return;
    }
    if (k == K_dictionary_comprehension) {
        walk_comprehension(w, node, sc, depth);
        return;
    }
    if (k == K_except_clause || k == K_except_group_clause) {
        snode alias = sn_field(node, F_alias);
        if (!sn_is_null(alias)) bind_targets(w, alias, sc, depth + 1);
        uint32_t n = sn_count(node);
        for (uint32_t i = 0; i < n; i++) {
            snode c = sn_nth(node, i);
            if (sn_is_null(alias) || !sn_eq(c, alias)) walk(w, c, sc, depth + 1);
        }
        return;
    }
    if (k == K_function_definition) {
        snode name = sn_field(node, F_name);
        bind_name(w, sc, name);
        uint32_t id = sst_name_of(w->an, name);
        snode none = {0};
        scope *f = scope_new(w->an, SCOPE_FUNCTION, node, sc, name);
        if (!f) return;
        if (id != UINT32_MAX) add_candidate(w->an, CAND_DEFINITION, sc, id, none, f->path);
        f->is_method_scope = sc->kind == SCOPE_CLASS;
        if (f->is_method_scope) {
            f->cls = sc;
            read_decorators(w, node, f);
        }
        snode params = sn_field(node, F_parameters);
        walk_parameters(w, params, sc, f, depth + 1);
        parameter_candidates(w, f, params);
        walk(w, sn_field(node, F_body), f, depth + 1);
        return;
    }
    if (k == K_for_statement) {
        bind_targets(w, sn_field(node, F_left), sc, depth + 1);
        walk(w, sn_field(node, F_right), sc, depth + 1);
        walk(w, sn_field(node, F_body), sc, depth + 1);
        walk(w, sn_field(node, F_alternative), sc, depth + 1);
        return;
    }
    if (k == K_future_import_statement) return;
    if (k == K_global_statement) {
        uint32_t n = sn_count(node);
        for (uint32_t i = 0; i < n; i++) {
            uint32_t id = sst_name_of(w->an, sn_nth(node, i));
            if (id != UINT32_MAX) sst_set_add(sc->declared, id);
        }
        return;
    }
    if (k == K_generator_expression) {
        walk_comprehension(w, node, sc, depth);
        return;
    }
    if (k == K_import_statement || k == K_import_from_statement) {
        walk_import(w, node, sc);
        return;
    }
    if (k == K_lambda) {
        snode none = {0};
        scope *l = scope_new(w->an, SCOPE_LAMBDA, node, sc, none);
        if (!l) return;
        snode params = sn_field(node, F_parameters);
        if (!sn_is_null(params)) walk_parameters(w, params, sc, l, depth + 1);
        walk(w, sn_field(node, F_body), l, depth + 1);
        return;
    }
    if (k == K_list_comprehension) {
        walk_comprehension(w, node, sc, depth);
        return;
    }
    if (k == K_named_expression) {
        bind_targets(w, sn_field(node, F_name), walrus_scope(sc), depth + 1);
        walk(w, sn_field(node, F_value), sc, depth + 1);
        return;
    }
    if (k == K_nonlocal_statement) {
        uint32_t n = sn_count(node);
        for (uint32_t i = 0; i < n; i++) {
            uint32_t id = sst_name_of(w->an, sn_nth(node, i));
            if (id != UINT32_MAX) sst_set_add(sc->declared, id);
        }
        return;
    }
    if (k == K_set_comprehension) {
        walk_comprehension(w, node, sc, depth);
        return;
    }
    if (k == K_with_item) {
        snode value = sn_field(node, F_value);
        if (sn_is(value, K_as_pattern)) {
            snode expr = sn_nth(value, 0);
            snode alias = sn_field(value, F_alias);
            walk(w, expr, sc, depth + 1);
            if (!sn_is_null(alias)) {
                snode target = sn_nth(alias, 0);
                if (sn_is_null(target)) target = alias;
                bind_targets(w, target, sc, depth + 1);
                if (sn_is(target, K_identifier)) {
                    uint32_t id = sst_name_of(w->an, target);
                    if (id != UINT32_MAX) add_candidate(w->an, CAND_VALUE, binding_scope(w, sc, id), id, expr, NULL);
                }
            }
            return;
        }
    }
    if (k == K_case_pattern) {
        /* Capture patterns bind; treat every plain name in a pattern as bound. */
        uint32_t n = sn_count(node);
        for (uint32_t i = 0; i < n; i++) {
            snode c = sn_nth(node, i);
            if (sn_is(c, K_identifier)) bind_name(w, sc, c);
            else walk(w, c, sc, depth + 1);
        }
        return;
    }
    if (k == K_keyword_pattern || k == K_as_pattern) {
        uint32_t n = sn_count(node);
        for (uint32_t i = 0; i < n; i++) {
            snode c = sn_nth(node, i);
            if (sn_is(c, K_identifier) || sn_is(c, K_as_pattern_target)) bind_targets(w, c, sc, depth + 1);
            else walk(w, c, sc, depth + 1);
        }
        return;
    }
    if (k == K_splat_pattern || k == K_dict_pattern) {
        uint32_t n = sn_count(node);
        for (uint32_t i = 0; i < n; i++) {
            snode c = sn_nth(node, i);
            if (sn_is(c, K_identifier)) bind_name(w, sc, c);
            else walk(w, c, sc, depth + 1);
        }
        return;
    }
    walk_children(w, node, sc, depth);
}

/* ---- binding resolution ------------------------------------------------------ */

static void merge(sst_analysis *an, scope *sc, uint32_t name, bind_kind kind, const char *path, int is_import)
{
    binding *b;
    HASH_FIND(hh, sc->bindings, &name, sizeof name, b);
    if (!b) {
        b = sst_arena_alloc(an->arena, sizeof *b);
        if (!b) return;
        b->name = name;
        b->kind = kind;
        b->path = path;
        b->is_import = is_import;
        HASH_ADD(hh, sc->bindings, name, sizeof b->name, b);
        return;
    }
    if (b->kind == kind && (kind != BIND_PATH || !strcmp(b->path, path))) return;
    b->kind = BIND_UNKNOWN;
    b->is_import = b->is_import && is_import;
}

static void add_export(sst_analysis *an, const char *key, const char *target, int is_base)
{
    if (an->nexports == an->capexports) {
        size_t cap = an->capexports ? an->capexports * 2 : 16;
        sst_export *v = realloc(an->exports, cap * sizeof *v);
        if (!v) {
            an->arena->failed = 1;
            return;
        }
        an->exports = v;
        an->capexports = cap;
    }
    an->exports[an->nexports++] = (sst_export){key, target, is_base};
}

static void resolve_candidates(sst_analysis *an)
{
    /* Imports and definitions first: values are resolved through them. */
    for (size_t i = 0; i < an->ncands; i++) {
        bind_candidate *c = &an->cands[i];
        if (c->kind == CAND_IMPORT)
            merge(an, c->scope, c->name, c->path[0] ? BIND_PATH : BIND_UNKNOWN, c->path, 1);
        else if (c->kind == CAND_FIXED)
            merge(an, c->scope, c->name, BIND_PATH, c->path, 0);
        else if (c->kind == CAND_DEFINITION)
            merge(an, c->scope, c->name, BIND_DEFINITION, c->path, 0);
    }
    /* Values in rounds until nothing new resolves, so a use above the
     * binding it goes through (c = client in a function, client = ... at the
     * end of the module) resolves too; what never resolves is unknown. */
    char buf[512];
    char *done = calloc(an->ncands ? an->ncands : 1, 1);
    if (!done) {
        an->arena->failed = 1;
        return;
    }
    for (int progress = 1; progress;) {
        progress = 0;
        for (size_t i = 0; i < an->ncands; i++) {
            bind_candidate *c = &an->cands[i];
            if (done[i] || (c->kind != CAND_VALUE && c->kind != CAND_INSTANCE)) continue;
            if (sn_is(c->value, K_none)) { /* "client = None" until set up */
                done[i] = 1;
                continue;
            }
            size_t len = sst_resolve(an, c->scope, c->value, buf, sizeof buf);
            if (!len) continue;
            if (c->kind == CAND_INSTANCE) {
                if (len + 3 > sizeof buf) continue;
                memcpy(buf + len, "()", 3);
                len += 2;
            }
            const char *path = sst_arena_strndup(an->arena, buf, len);
            if (path) merge(an, c->scope, c->name, BIND_PATH, path, 0);
            done[i] = 1;
            progress = 1;
        }
    }
    for (size_t i = 0; i < an->ncands; i++) {
        bind_candidate *c = &an->cands[i];
        /* an annotation that names no known class says nothing */
        if (!done[i] && c->kind == CAND_VALUE) merge(an, c->scope, c->name, BIND_UNKNOWN, NULL, 0);
    }
    free(done);
    /* What the module exports: attributes set on self, what functions
     * return, base classes. An export that does not resolve makes its key
     * ambiguous in the project. */
    for (size_t i = 0; i < an->ncands; i++) {
        bind_candidate *c = &an->cands[i];
        if (c->kind != CAND_EXPORT && c->kind != CAND_RETURN && c->kind != CAND_BASE) continue;
        if (!c->path) continue;
        if (sn_is(c->value, K_none)) continue;
        size_t len = sst_resolve(an, c->scope, c->value, buf, sizeof buf);
        const char *target = len ? sst_arena_strndup(an->arena, buf, len) : NULL;
        if (c->kind == CAND_BASE && !target) continue;
        add_export(an, c->path, target, c->kind == CAND_BASE);
    }
}

int sst_analysis_build(sst_analysis *an, sst_arena *arena, const sst_source *src,
                       const sst_catalog *catalog, const sst_tree *tree,
                       const struct sst_project *project, const char *module_name, int is_package)
{
    memset(an, 0, sizeof *an);
    an->arena = arena;
    an->project = project;
    an->module_name = module_name;
    an->is_package = is_package;
    an->src = src;
    an->tree = tree;
    snode root = sst_tree_root(tree);
    an->catalog = catalog;
    intern_all(an);
    an->nwords = (an->nnames + 63) / 64 + 1;
    snode none = {0};
    an->module = scope_new(an, SCOPE_MODULE, root, NULL, none);
    if (!an->module) return SST_ENOMEM;
    walker w = {an};
    walk_children(&w, root, an->module, 0);
    resolve_candidates(an);
    return arena->failed ? SST_ENOMEM : 0;
}

void sst_analysis_free(sst_analysis *an)
{
    scope *sc, *tmp;
    HASH_ITER(hh, an->scopes, sc, tmp) {
        HASH_CLEAR(hh, sc->bindings);
    }
    HASH_CLEAR(hh, an->scopes);
    HASH_CLEAR(hh, an->names);
    free(an->by_id);
    free(an->cands);
    free(an->exports);
    free(an->summaries);
    free(an->callees);
    free(an->resolved);
    free(an->vbinds);
    memset(an, 0, sizeof *an);
}
