/* Builds the scopes of a module: interned names, which names each scope
 * binds, declares global/nonlocal or deletes, and what module-level and
 * local names are bound to (imports, values that resolve to API paths). */
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

static scope *scope_new(sst_analysis *an, scope_kind kind, snode node, scope *parent)
{
    scope *sc = sst_arena_alloc(an->arena, sizeof *sc);
    if (!sc) return NULL;
    sc->kind = kind;
    sc->node = node;
    sc->key = scope_key(node);
    sc->parent = parent;
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

static void add_candidate(sst_analysis *an, scope *sc, uint32_t name, snode value,
                          const char *import_path, int is_definition)
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
    c->scope = sc;
    c->name = name;
    c->value = value;
    c->import_path = import_path;
    c->is_definition = is_definition;
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

static void walk_import(walker *w, snode node, scope *sc)
{
    int from = sn_is(node, K_import_from_statement);
    const char *module = NULL;
    if (from) {
        snode m = sn_field(node, F_module_name);
        if (sn_is(m, K_dotted_name)) module = dotted_text(w, m);
    }
    uint32_t n = sn_count(node);
    for (uint32_t i = 0; i < n; i++) {
        snode c = sn_nth(node, i);
        snode name = c, alias = {0};
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
        add_candidate(w->an, sc, id, none, path ? path : "", 0);
    }
}

static void walk_comprehension(walker *w, snode node, scope *sc, int depth)
{
    scope *k = scope_new(w->an, SCOPE_COMPREHENSION, node, sc);
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
        if (sn_is(left, K_identifier) && !sn_is_null(right)) {
            uint32_t id = sst_name_of(w->an, left);
            snode value = right;
            while (sn_is(value, K_assignment)) value = sn_field(value, F_right);
            if (id != UINT32_MAX) add_candidate(w->an, binding_scope(w, sc, id), id, value, NULL, 0);
        }
        walk(w, right, sc, depth + 1);
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
        if (id != UINT32_MAX) add_candidate(w->an, sc, id, none, NULL, 1);
        walk(w, sn_field(node, F_superclasses), sc, depth + 1);
        scope *c = scope_new(w->an, SCOPE_CLASS, node, sc);
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
        if (id != UINT32_MAX) add_candidate(w->an, sc, id, none, NULL, 1);
        scope *f = scope_new(w->an, SCOPE_FUNCTION, node, sc);
        if (!f) return;
        f->is_method_scope = sc->kind == SCOPE_CLASS;
        walk_parameters(w, sn_field(node, F_parameters), sc, f, depth + 1);
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
        scope *l = scope_new(w->an, SCOPE_LAMBDA, node, sc);
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
                    if (id != UINT32_MAX) add_candidate(w->an, binding_scope(w, sc, id), id, expr, NULL, 0);
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

static void resolve_candidates(sst_analysis *an)
{
    /* Imports and definitions first: values are resolved through them. */
    for (size_t i = 0; i < an->ncands; i++) {
        bind_candidate *c = &an->cands[i];
        if (c->import_path)
            merge(an, c->scope, c->name, c->import_path[0] ? BIND_PATH : BIND_UNKNOWN, c->import_path, 1);
        else if (c->is_definition)
            merge(an, c->scope, c->name, BIND_DEFINITION, NULL, 0);
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
            if (done[i] || c->import_path || c->is_definition) continue;
            if (sn_is(c->value, K_none)) { /* "client = None" until set up */
                done[i] = 1;
                continue;
            }
            size_t len = sst_resolve(an, c->scope, c->value, buf, sizeof buf);
            if (!len) continue;
            const char *path = sst_arena_strndup(an->arena, buf, len);
            if (path) merge(an, c->scope, c->name, BIND_PATH, path, 0);
            done[i] = 1;
            progress = 1;
        }
    }
    for (size_t i = 0; i < an->ncands; i++) {
        bind_candidate *c = &an->cands[i];
        if (!done[i] && !c->import_path && !c->is_definition) merge(an, c->scope, c->name, BIND_UNKNOWN, NULL, 0);
    }
    free(done);
}

int sst_analysis_build(sst_analysis *an, sst_arena *arena, const sst_source *src,
                       const sst_catalog *catalog, const sst_tree *tree)
{
    memset(an, 0, sizeof *an);
    an->arena = arena;
    an->src = src;
    an->tree = tree;
    snode root = sst_tree_root(tree);
    an->catalog = catalog;
    intern_all(an);
    an->nwords = (an->nnames + 63) / 64 + 1;
    an->module = scope_new(an, SCOPE_MODULE, root, NULL);
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
    memset(an, 0, sizeof *an);
}
