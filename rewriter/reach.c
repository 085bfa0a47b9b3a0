/* Static categories of expressions. A variable carries the categories of
 * every value bound to it in its scope (flow-insensitive, computed once per
 * scope on first use by rounds until nothing changes); a name, attribute,
 * keyword or string key carries what its words mean; a source carries its
 * catalogue categories; a call of a project function carries what that
 * function's returns carry. */
#include "reach.h"

#include <stdlib.h>
#include <string.h>

#include "catalog.h"
#include "project.h"
#include "resolve.h"

enum { MAX_DEPTH = 200, MAX_ROUNDS = 8, KNOWN = 1u << 31, BUSY = 1u << 30 };
enum { CATS_NONE = 0, CATS_INDEXED, CATS_ROUNDS, CATS_DONE };

static uint32_t reach(sst_analysis *an, scope *sc, snode n, int depth);

static uint32_t name_cats(sst_analysis *an, uint32_t id)
{
    if (!an->name_cats) {
        an->name_cats = sst_arena_alloc(an->arena, (an->nnames + 1) * sizeof *an->name_cats);
        if (!an->name_cats) return 0;
    }
    if (!(an->name_cats[id] & KNOWN)) {
        size_t len;
        const char *text = sst_name_text(an, id, &len);
        an->name_cats[id] = KNOWN | sst_catalog_classify_name(an->catalog, text, len);
    }
    return an->name_cats[id] & ~KNOWN;
}

static uint32_t text_cats(sst_analysis *an, snode identifier)
{
    uint32_t id = sst_name_of(an, identifier);
    return id == UINT32_MAX ? 0 : name_cats(an, id);
}

/* The contents of a plain string literal, or NULL. */
static const char *plain_string(const sst_analysis *an, snode s, size_t *len)
{
    if (!sn_is(s, K_string) || sn_count(s) != 3) return NULL;
    snode content = sn_nth(s, 1);
    if (!sn_is(content, K_string_content)) return NULL;
    return sn_text(an->src, content, len);
}

static uint32_t key_cats(sst_analysis *an, snode key)
{
    size_t len;
    const char *text = plain_string(an, key, &len);
    return text ? sst_catalog_classify_name(an->catalog, text, len) : 0;
}

/* ---- variables ------------------------------------------------------------ */

static int bind(sst_analysis *an, scope *sc, snode target, uint32_t cats, int depth)
{
    if (!cats || depth > MAX_DEPTH) return 0;
    if (sn_is(target, K_identifier)) {
        uint32_t id = sst_name_of(an, target);
        if (id == UINT32_MAX || sst_scope_owner(sc, id) != sc) return 0;
        if ((sc->cats[id] | cats) == sc->cats[id]) return 0;
        sc->cats[id] |= cats;
        return 1;
    }
    if (sn_is(target, K_attribute) || sn_is(target, K_subscript)) return 0;
    int changed = 0;
    SN_FOR(c, target) changed |= bind(an, sc, c, cats, depth + 1);
    return changed;
}

/* Records VALUE as a binding of every name of TARGET that SC owns. */
static void index_binding(sst_analysis *an, scope *sc, snode target, snode value, int depth)
{
    if (depth > MAX_DEPTH || sn_is_null(value)) return;
    if (sn_is(target, K_identifier)) {
        uint32_t id = sst_name_of(an, target);
        if (id == UINT32_MAX || sst_scope_owner(sc, id) != sc) return;
        if (an->nvbinds == an->capvbinds) {
            size_t cap = an->capvbinds ? an->capvbinds * 2 : 256;
            sst_vbind *v = realloc(an->vbinds, cap * sizeof *v);
            if (!v) {
                an->arena->failed = 1;
                return;
            }
            an->vbinds = v;
            an->capvbinds = cap;
        }
        an->vbinds[an->nvbinds] = (sst_vbind){sc->heads[id], value.id};
        sc->heads[id] = (uint32_t)++an->nvbinds;
        return;
    }
    if (sn_is(target, K_attribute) || sn_is(target, K_subscript)) return;
    SN_FOR(c, target) index_binding(an, sc, c, value, depth + 1);
}

/* A binding of TARGET to VALUE: indexed (INDEXING), or its categories added
 * to the names (a round of the fixed point). Returns whether a name gained. */
static int bound_to(sst_analysis *an, scope *sc, snode target, snode value, int indexing)
{
    if (indexing) {
        index_binding(an, sc, target, value, 0);
        return 0;
    }
    return bind(an, sc, target, reach(an, sc, value, 0), 0);
}

/* One pass over the statements of SC (not into nested scopes). */
static int collect(sst_analysis *an, scope *sc, snode n, int depth, int indexing)
{
    if (sn_is_null(n) || depth > MAX_DEPTH) return 0;
    sst_node_kind k = sn_kind(n);
    int changed = 0;
    switch (k) {
    case K_function_definition:
    case K_class_definition:
    case K_decorated_definition:
    case K_lambda:
    case K_list_comprehension:
    case K_set_comprehension:
    case K_dictionary_comprehension:
    case K_generator_expression:
        return 0;
    case K_assignment: {
        snode right = sn_field(n, F_right);
        snode value = right;
        while (sn_is(value, K_assignment)) value = sn_field(value, F_right);
        if (!sn_is_null(value)) changed |= bound_to(an, sc, sn_field(n, F_left), value, indexing);
        return changed | collect(an, sc, right, depth + 1, indexing);
    }
    case K_augmented_assignment:
        return bound_to(an, sc, sn_field(n, F_left), sn_field(n, F_right), indexing);
    case K_for_statement:
        changed |= bound_to(an, sc, sn_field(n, F_left), sn_field(n, F_right), indexing);
        changed |= collect(an, sc, sn_field(n, F_body), depth + 1, indexing);
        return changed | collect(an, sc, sn_field(n, F_alternative), depth + 1, indexing);
    case K_named_expression:
        return bound_to(an, sc, sn_field(n, F_name), sn_field(n, F_value), indexing);
    case K_with_item: {
        snode value = sn_field(n, F_value);
        if (sn_is(value, K_as_pattern)) {
            snode alias = sn_field(value, F_alias);
            snode target = sn_is_null(sn_first(alias)) ? alias : sn_first(alias);
            return bound_to(an, sc, target, sn_first(value), indexing);
        }
        return 0;
    }
    default:
        SN_FOR(c, n) changed |= collect(an, sc, c, depth + 1, indexing);
        return changed;
    }
}

/* Every pass over SC's bindings: one to index them, or a round of the fixed point. */
static int pass_over(sst_analysis *an, scope *sc, int indexing)
{
    int changed = 0;
    if (sst_is_comprehension(sn_kind(sc->node))) {
        SN_FOR(c, sc->node)
            if (sn_is(c, K_for_in_clause))
                changed |= bound_to(an, sc, sn_field(c, F_left), sn_field(c, F_right), indexing);
    } else if (sc->kind != SCOPE_LAMBDA) {
        changed = collect(an, sc, sc->kind == SCOPE_MODULE ? sc->node : sn_field(sc->node, F_body), 0, indexing);
    }
    return changed;
}

/* The rounds of the fixed point over the whole scope: used when the names'
 * bindings refer to each other in a cycle (x = x + y). */
static void scope_rounds(sst_analysis *an, scope *sc)
{
    memset(sc->cats, 0, (an->nnames + 1) * sizeof *sc->cats);
    sc->cats_state = CATS_ROUNDS;
    for (int round = 0; round < MAX_ROUNDS && pass_over(an, sc, 0); round++) {
    }
    sc->cats_state = CATS_DONE;
}

/* A local variable's categories: those of every value bound to it in its
 * scope, each computed once, on demand (only what a sink reads is asked). */
static uint32_t var_cats(sst_analysis *an, scope *sc, uint32_t id)
{
    scope *owner = sst_scope_owner(sc, id);
    if (!owner) return 0;
    if (owner->cats_state == CATS_NONE) {
        owner->cats = sst_arena_alloc(an->arena, (an->nnames + 1) * sizeof *owner->cats);
        owner->heads = sst_arena_alloc(an->arena, (an->nnames + 1) * sizeof *owner->heads);
        if (!owner->cats || !owner->heads) return 0;
        owner->cats_state = CATS_INDEXED;
        pass_over(an, owner, 1);
    }
    if (owner->cats_state != CATS_INDEXED) return owner->cats[id] & ~(KNOWN | BUSY);
    uint32_t c = owner->cats[id];
    if (c & KNOWN) return c & ~KNOWN;
    if (c & BUSY) { /* a cycle: settled by rounds once the outermost question returns */
        owner->cycle = 1;
        return c & ~BUSY;
    }
    owner->cats[id] = BUSY;
    owner->depth++;
    uint32_t acc = 0;
    for (uint32_t k = owner->heads[id]; k; k = an->vbinds[k - 1].next)
        acc |= reach(an, owner, (snode){an->tree, an->vbinds[k - 1].value}, 0);
    owner->depth--;
    owner->cats[id] = acc | KNOWN;
    if (owner->cycle && !owner->depth) {
        scope_rounds(an, owner);
        return owner->cats[id];
    }
    return acc;
}

/* ---- expressions ---------------------------------------------------------- */

static void add_callee(sst_analysis *an, const char *path, size_t len)
{
    for (size_t i = 0; i < an->ncallees; i++)
        if (!strcmp(an->callees[i], path)) return;
    if (an->ncallees == an->capcallees) {
        size_t cap = an->capcallees ? an->capcallees * 2 : 8;
        const char **v = realloc(an->callees, cap * sizeof *v);
        if (!v) {
            an->arena->failed = 1;
            return;
        }
        an->callees = v;
        an->capcallees = cap;
    }
    an->callees[an->ncallees++] = sst_arena_strndup(an->arena, path, len);
}

static uint32_t source_cats(sst_analysis *an, scope *sc, snode expr)
{
    char buf[512];
    snode none = {0};
    const sst_entry *e = sst_resolve_entry(an, sc, expr, none, buf, sizeof buf);
    return e && e->kind == SST_KIND_SOURCE ? e->categories : 0;
}

static uint32_t call_cats(sst_analysis *an, scope *sc, snode n, int depth)
{
    snode fn = sn_field(n, F_function), args = sn_field(n, F_arguments);
    uint32_t cats = source_cats(an, sc, n) | reach(an, sc, args, depth + 1);
    if (sn_is(fn, K_attribute)) {
        cats |= reach(an, sc, sn_field(fn, F_object), depth + 1);
        size_t alen;
        const char *attr = sn_text(an->src, sn_field(fn, F_attribute), &alen);
        if ((alen == 3 && !memcmp(attr, "get", 3)) || (alen == 7 && !memcmp(attr, "getlist", 7)) ||
            (alen == 3 && !memcmp(attr, "pop", 3)))
            cats |= key_cats(an, sn_first(args));
    }
    char buf[512];
    size_t len = sst_resolve(an, sc, fn, buf, sizeof buf - 3);
    if (len && sst_project_is_first_party(an->project, buf, len)) {
        memcpy(buf + len, "()", 3);
        len += 2;
        if (an->collecting) add_callee(an, buf, len);
        else cats |= sst_project_summary(an->project, buf, 0);
    }
    return cats;
}

static uint32_t reach(sst_analysis *an, scope *sc, snode n, int depth)
{
    if (sn_is_null(n) || depth > MAX_DEPTH || !sc) return 0;
    uint32_t cats = 0;
    switch (sn_kind(n)) {
    case K_identifier: {
        uint32_t id = sst_name_of(an, n);
        if (id == UINT32_MAX) return 0;
        cats = name_cats(an, id) | var_cats(an, sc, id);
        char buf[512];
        size_t len = sst_resolve(an, sc, n, buf, sizeof buf);
        if (len && sst_project_is_first_party(an->project, buf, len))
            cats |= sst_project_inherited_source(an->project, buf, len, 0);
        return cats;
    }
    case K_attribute:
        return reach(an, sc, sn_field(n, F_object), depth + 1) | text_cats(an, sn_field(n, F_attribute)) |
               source_cats(an, sc, n);
    case K_subscript: {
        snode key = sn_field(n, F_subscript);
        return reach(an, sc, sn_field(n, F_value), depth + 1) | reach(an, sc, key, depth + 1) |
               key_cats(an, key) | source_cats(an, sc, sn_field(n, F_value));
    }
    case K_call:
        return call_cats(an, sc, n, depth);
    case K_keyword_argument:
        return text_cats(an, sn_field(n, F_name)) | reach(an, sc, sn_field(n, F_value), depth + 1);
    case K_pair:
        return key_cats(an, sn_field(n, F_key)) | reach(an, sc, sn_field(n, F_key), depth + 1) |
               reach(an, sc, sn_field(n, F_value), depth + 1);
    case K_string:
    case K_concatenated_string:
    case K_integer:
    case K_float:
    case K_true:
    case K_false:
    case K_none:
    case K_lambda:
    case K_comment:
        if (sn_kind(n) != K_string && sn_kind(n) != K_concatenated_string) return 0;
        SN_FOR(c, n)
            if (sn_is(c, K_interpolation) || sn_is(c, K_string)) cats |= reach(an, sc, c, depth + 1);
        return cats;
    case K_list_comprehension:
    case K_set_comprehension:
    case K_dictionary_comprehension:
    case K_generator_expression: {
        scope *k = sst_scope_of(an, n);
        SN_FOR(c, n) cats |= reach(an, k ? k : sc, c, depth + 1);
        return cats;
    }
    case K_for_in_clause:
        return reach(an, sc, sn_field(n, F_right), depth + 1);
    default:
        SN_FOR(c, n) cats |= reach(an, sc, c, depth + 1);
        return cats;
    }
}

uint32_t sst_reach(sst_analysis *an, scope *sc, snode expr)
{
    return reach(an, sc, expr, 0);
}

/* ---- summaries -------------------------------------------------------------- */

int sst_reach_summaries(sst_analysis *an)
{
    an->collecting = 1;
    for (size_t i = 0; i < an->ncands; i++) {
        const bind_candidate *c = &an->cands[i];
        if (c->kind != CAND_RETURN || !c->path) continue;
        an->ncallees = 0;
        uint32_t cats = reach(an, c->scope, c->value, 0);
        if (!cats && !an->ncallees) continue;
        sst_summary *s = NULL;
        for (size_t k = 0; k < an->nsummaries; k++)
            if (!strcmp(an->summaries[k].key, c->path)) s = &an->summaries[k];
        if (!s) {
            if (an->nsummaries == an->capsummaries) {
                size_t cap = an->capsummaries ? an->capsummaries * 2 : 8;
                sst_summary *v = realloc(an->summaries, cap * sizeof *v);
                if (!v) return SST_ENOMEM;
                an->summaries = v;
                an->capsummaries = cap;
            }
            s = &an->summaries[an->nsummaries++];
            memset(s, 0, sizeof *s);
            s->key = c->path;
        }
        s->categories |= cats;
        if (an->ncallees) {
            const char **v = sst_arena_alloc(an->arena, (s->ncallees + an->ncallees) * sizeof *v);
            if (!v) return SST_ENOMEM;
            if (s->ncallees) memcpy(v, s->callees, s->ncallees * sizeof *v);
            memcpy(v + s->ncallees, an->callees, an->ncallees * sizeof *v);
            s->callees = v;
            s->ncallees += an->ncallees;
        }
    }
    an->collecting = 0;
    /* what was computed without the project's summaries is computed again */
    scope *sc, *tmp;
    HASH_ITER(hh, an->scopes, sc, tmp) {
        sc->cats_state = CATS_NONE;
        sc->cycle = 0;
        sc->depth = 0;
    }
    an->nvbinds = 0;
    return an->arena->failed ? SST_ENOMEM : 0;
}
