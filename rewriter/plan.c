/* Plans the insertions of docs/abi.md for one module. One walk in source
 * order: statements carry the set of names certainly bound at that point
 * (parameters, unconditional assignments, imports, definitions), which
 * decides what injected code may read; expressions are searched for sink,
 * store and source calls; assignments and returns get flows. */
#include "plan.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalog.h"
#include "project.h"
#include "reach.h"
#include "resolve.h"

#define PROLOGUE "import sst_runtime as __sst__; __sst__.abi(1)"

enum { MAX_DEPTH = 1500 };

typedef struct pending_params {
    const char *text;        /* "__sst__.params((...), ...)" */
    unsigned site;
    int active;              /* still looking for a statement to carry it */
    snode header;           /* a compound statement's header expression carries it */
    int header_set;
    const sst_word *names;   /* the parameters it reads */
} pending_params;

typedef struct idlist {
    uint32_t *v;
    size_t n, cap;
} idlist;

typedef struct planner {
    sst_analysis *an;
    const sst_source *src;
    const sst_options *opt;
    sst_plan *plan;
    int flows;               /* standard and full: sources, flows, derive */
    uint32_t id_self, id_cls, id_sst;
    sst_word *deleted_any;   /* names deleted anywhere: never certainly bound */
    sst_word *seen;          /* scratch for deduplicating reads */
    sst_word **free_sets;
    size_t nfree, capfree;
    const sst_word *class_base; /* bound set where the class being walked began */
    char path[512];
} planner;

/* ---- small helpers ---------------------------------------------------------- */

static int is(snode node, sst_node_kind kind) { return sn_is(node, kind); }

static int fail(planner *P) { return P->an->arena->failed || P->plan->edits.out_of_order; }

static sst_word *set_copy(planner *P, const sst_word *from)
{
    sst_word *s = P->nfree ? P->free_sets[--P->nfree] : sst_set_new(P->an);
    if (s) memcpy(s, from, P->an->nwords * sizeof *s);
    return s;
}

static void set_release(planner *P, sst_word *s)
{
    if (!s) return;
    if (P->nfree == P->capfree) {
        size_t cap = P->capfree ? P->capfree * 2 : 32;
        sst_word **v = realloc(P->free_sets, cap * sizeof *v);
        if (!v) return;
        P->free_sets = v;
        P->capfree = cap;
    }
    P->free_sets[P->nfree++] = s;
}

static void set_and(planner *P, sst_word *a, const sst_word *b)
{
    for (size_t i = 0; i < P->an->nwords; i++) a[i] &= b[i];
}

static void set_or(planner *P, sst_word *a, const sst_word *b)
{
    for (size_t i = 0; i < P->an->nwords; i++) a[i] |= b[i];
}

static void bind(planner *P, sst_word *bound, snode identifier)
{
    uint32_t id = sst_name_of(P->an, identifier);
    if (id != UINT32_MAX && !sst_set_has(P->deleted_any, id)) sst_set_add(bound, id);
}

static void bind_targets(planner *P, sst_word *bound, snode target)
{
    if (sn_is_null(target)) return;
    if (is(target, K_identifier)) {
        bind(P, bound, target);
        return;
    }
    if (is(target, K_attribute) || is(target, K_subscript)) return;
    uint32_t n = sn_count(target);
    for (uint32_t i = 0; i < n; i++) bind_targets(P, bound, sn_nth(target, i));
}

static void list_add(planner *P, idlist *l, uint32_t id)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 8;
        uint32_t *v = realloc(l->v, cap * sizeof *v);
        if (!v) {
            P->an->arena->failed = 1;
            return;
        }
        l->v = v;
        l->cap = cap;
    }
    l->v[l->n++] = id;
}

static void list_add_unique(planner *P, idlist *l, uint32_t id)
{
    for (size_t i = 0; i < l->n; i++)
        if (l->v[i] == id) return;
    list_add(P, l, id);
}

static unsigned new_site(planner *P, sst_site_kind kind, snode node, const char *path)
{
    sst_plan *plan = P->plan;
    if (plan->nsites == plan->capsites) {
        size_t cap = plan->capsites ? plan->capsites * 2 : 16;
        sst_site *v = realloc(plan->sites, cap * sizeof *v);
        if (!v) {
            P->an->arena->failed = 1;
            return 0;
        }
        plan->sites = v;
        plan->capsites = cap;
    }
    uint32_t start = sn_start(node);
    unsigned col = 0;
    for (uint32_t i = start - sn_col(node); i < start; i++)
        col += ((unsigned char)P->src->text[i] & 0xC0) != 0x80;
    sst_site *s = &plan->sites[plan->nsites++];
    s->id = (unsigned)plan->nsites;
    s->kind = kind;
    s->line = sn_row(node) + 1;
    s->column = col;
    s->path = path ? sst_arena_strndup(P->an->arena, path, strlen(path)) : NULL;
    s->entry = NULL;
    s->categories = 0;
    s->scope = "";
    if (kind != SST_SITE_PROLOGUE && kind != SST_SITE_CONFIG) plan->injected = 1;
    return s->id;
}

static int carries_data(planner *P, const char *args, snode a, unsigned index);

/* Records a sink's catalogue entry, static categories and enclosing def. */
static void note_site(planner *P, unsigned id, scope *sc, const sst_entry *e, uint32_t categories)
{
    if (!id) return;
    sst_site *s = &P->plan->sites[id - 1];
    s->entry = e;
    s->categories = categories;
    s->scope = sc->qual;
}

/* The categories that can reach the data arguments of a call to entry E. */
static uint32_t sites_categories(planner *P, scope *sc, snode args, const sst_entry *e)
{
    if (!is(args, K_argument_list)) return sst_reach(P->an, sc, args);
    uint32_t cats = 0;
    unsigned index = 0;
    SN_FOR(a, args) {
        if (is(a, K_comment)) continue;
        if (!is(a, K_keyword_argument) && !is(a, K_list_splat) && !is(a, K_dictionary_splat)) index++;
        if (carries_data(P, e->args, a, index)) cats |= sst_reach(P->an, sc, a);
    }
    return cats;
}

static void insert(planner *P, uint32_t offset, const char *text, unsigned site)
{
    if (!text) return;
    sst_edits_add(&P->plan->edits, offset, text, strlen(text), site);
}

static void insertf(planner *P, uint32_t offset, unsigned site, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void insertf(planner *P, uint32_t offset, unsigned site, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0) return;
    char *text = sst_arena_alloc(P->an->arena, (size_t)n + 1);
    if (!text) return;
    va_start(ap, fmt);
    vsnprintf(text, (size_t)n + 1, fmt, ap);
    va_end(ap);
    sst_edits_add(&P->plan->edits, offset, text, (size_t)n, site);
}

/* "a, b" for a list of names, or "" */
static char *join_names(planner *P, const idlist *l, int tuple)
{
    size_t cap = 4;
    for (size_t i = 0; i < l->n; i++) {
        size_t len;
        sst_name_text(P->an, l->v[i], &len);
        cap += len + 2;
    }
    char *out = sst_arena_alloc(P->an->arena, cap);
    if (!out) return NULL;
    size_t o = 0;
    if (tuple) out[o++] = '(';
    for (size_t i = 0; i < l->n; i++) {
        size_t len;
        const char *t = sst_name_text(P->an, l->v[i], &len);
        if (i) {
            out[o++] = ',';
            out[o++] = ' ';
        }
        memcpy(out + o, t, len);
        o += len;
    }
    if (tuple && l->n == 1) out[o++] = ',';
    if (tuple) out[o++] = ')';
    out[o] = 0;
    return out;
}


/* ---- reads: the names an expression loads --------------------------------- */

static void reads(planner *P, snode n, int unconditional, idlist *out, int depth)
{
    if (sn_is_null(n) || depth > MAX_DEPTH) return;
    sst_node_kind k = sn_kind(n);
    if (k == K_identifier) {
        uint32_t id = sst_name_of(P->an, n);
        if (id != UINT32_MAX && !sst_set_has(P->seen, id)) {
            sst_set_add(P->seen, id);
            list_add(P, out, id);
        }
        return;
    }
    if (k == K_attribute) {
        reads(P, sn_field(n, F_object), unconditional, out, depth + 1);
        return;
    }
    if (k == K_keyword_argument || k == K_named_expression) {
        reads(P, sn_field(n, F_value), unconditional, out, depth + 1);
        return;
    }
    if (k == K_lambda) return;
    if (sst_is_comprehension(sn_kind(n))) {
        uint32_t k = sn_count(n);
        for (uint32_t i = 0; i < k; i++) {
            snode c = sn_nth(n, i);
            if (is(c, K_for_in_clause)) {
                reads(P, sn_field(c, F_right), unconditional, out, depth + 1);
                return;
            }
        }
        return;
    }
    if (k == K_string) {
        uint32_t k = sn_count(n);
        for (uint32_t i = 0; i < k; i++) {
            snode c = sn_nth(n, i);
            if (is(c, K_interpolation)) reads(P, sn_field(c, F_expression), unconditional, out, depth + 1);
        }
        return;
    }
    if (k == K_boolean_operator) {
        reads(P, sn_field(n, F_left), unconditional, out, depth + 1);
        if (!unconditional) reads(P, sn_field(n, F_right), unconditional, out, depth + 1);
        return;
    }
    if (k == K_conditional_expression) {
        if (unconditional) {
            reads(P, sn_nth(n, 1), unconditional, out, depth + 1);
            return;
        }
    }
    if (k == K_yield) return;
    SN_FOR(c, n) reads(P, c, unconditional, out, depth + 1);
}

/* A name bound to a third party's client or module (not first-party, not a
 * value read from a source). */
static int is_client(planner *P, const binding *b)
{
    size_t len = strlen(b->path);
    if (len + 1 > sizeof P->path) return 0;
    memcpy(P->path, b->path, len + 1);
    const sst_project *project = P->an->project;
    if (project && project->linked) len = sst_project_canon(project, P->path, len, sizeof P->path);
    if (!len || sst_project_is_first_party(project, P->path, len)) return 0;
    if (!sst_catalog_has_prefix(P->an->catalog, P->path, len)) return 0;
    const sst_entry *e = sst_catalog_lookup(P->an->catalog, P->path);
    return !e || e->kind != SST_KIND_SOURCE;
}

/* The data-carrying names among the reads: not the runtime, self or cls, not
 * builtins, imports, definitions or clients; with BOUND, only names
 * certainly bound. Returns the list (caller frees its v). */
static idlist data_reads(planner *P, snode n, scope *sc, int unconditional, const sst_word *bound)
{
    idlist all = {0}, out = {0};
    reads(P, n, unconditional, &all, 0);
    for (size_t i = 0; i < all.n; i++) {
        uint32_t id = all.v[i];
        sst_set_del(P->seen, id);
        if (id == P->id_self || id == P->id_cls || id == P->id_sst) continue;
        if (bound && !sst_set_has(bound, id)) continue;
        scope *owner = sst_scope_owner(sc, id);
        if (!owner) continue;
        const binding *b = sst_scope_binding(owner, id);
        if (b && (b->kind == BIND_DEFINITION || b->is_import)) continue;
        if (b && b->kind == BIND_PATH && is_client(P, b)) continue; /* a client is not data */
        list_add(P, &out, id);
    }
    free(all.v);
    return out;
}

/* ---- expressions ------------------------------------------------------------ */

static void walk_expr(planner *P, snode n, scope *sc, const sst_word *bound, int depth);

static const sst_entry *lookup(planner *P, scope *sc, snode expr, sst_kind want)
{
    snode none = {0};
    const sst_entry *e = sst_resolve_entry(P->an, sc, expr, none, P->path, sizeof P->path);
    return e && e->kind == want ? e : NULL;
}

/* The sink of a call: an external, store, log or config entry whose
 * condition the call's arguments meet. */
static const sst_entry *lookup_sink(planner *P, scope *sc, snode call)
{
    const sst_entry *e = sst_resolve_entry(P->an, sc, sn_field(call, F_function), call, P->path, sizeof P->path);
    if (!e) return NULL;
    sst_kind k = e->kind;
    return k == SST_KIND_EXTERNAL || k == SST_KIND_STORE || k == SST_KIND_LOG || k == SST_KIND_CONFIG ? e : NULL;
}

/* Whether argument A (the INDEX-th positional one, 1-based, or a keyword
 * argument) is among the data arguments ARGS ("1,2,json") of an entry. */
static int carries_data(planner *P, const char *args, snode a, unsigned index)
{
    if (!args) return 1;
    char want[64];
    size_t wlen;
    if (sn_is(a, K_keyword_argument)) {
        const char *name = sn_text(P->src, sn_field(a, F_name), &wlen);
        if (wlen >= sizeof want) return 0;
        memcpy(want, name, wlen);
    } else if (sn_is(a, K_list_splat) || sn_is(a, K_dictionary_splat)) {
        return 1; /* cannot tell which arguments it fills */
    } else {
        wlen = (size_t)snprintf(want, sizeof want, "%u", index);
    }
    for (const char *p = args; *p;) {
        size_t n = strcspn(p, ",");
        if (n == wlen && !memcmp(p, want, n)) return 1;
        p += n + (p[n] == ',');
    }
    return 0;
}

/* The raw text of a plain one-line string literal, usable as a key constant. */
static const char *key_literal(planner *P, snode n)
{
    if (!is(n, K_string)) return "None";
    uint32_t k = sn_count(n);
    for (uint32_t i = 0; i < k; i++)
        if (is(sn_nth(n, i), K_interpolation)) return "None";
    size_t len;
    const char *text = sn_text(P->src, n, &len);
    for (size_t i = 0; i < len; i++) {
        if (text[i] == '\n' || text[i] == '\r') return "None";
        if (text[i] == '"' || text[i] == '\'') break;
        if (text[i] == 'f' || text[i] == 'F' || text[i] == 'b' || text[i] == 'B') return "None";
    }
    return sst_arena_strndup(P->an->arena, text, len);
}

/* The categories a key constant ("'email'", or "None") names. */
static uint32_t key_categories(planner *P, const char *key)
{
    size_t len = strlen(key);
    if (len < 2 || (key[len - 1] != '"' && key[len - 1] != '\'')) return 0;
    const char *q = key;
    while (*q && *q != '"' && *q != '\'') q++;  /* past a prefix such as r or u */
    size_t quote = strspn(q, "\"'");
    if (len < (size_t)(q - key) + 2 * quote) return 0;
    return sst_catalog_classify_name(P->an->catalog, q + quote, len - (size_t)(q - key) - 2 * quote);
}

/* A read of a source: `request.form["email"]`, `request.args.get("q")`,
 * `request.get_json()`, `request.json`, or a field of a project class built
 * on a source (a handler's pydantic model, `body.email`). */
typedef struct source_read {
    const sst_entry *entry;   /* the catalogue's source entry the read stands for */
    const char *key;          /* the key constant, or "None" */
    uint32_t cats;            /* the entry's categories and those the key names */
    snode inner;              /* what inside the read is walked: the key, the call's arguments */
} source_read;

/* Whether N is a source read (filled in *OUT). */
static int source_at(planner *P, scope *sc, snode n, source_read *out)
{
    *out = (source_read){.key = "None"};
    if (is(n, K_call)) {
        snode fn = sn_field(n, F_function), args = sn_field(n, F_arguments);
        out->inner = args;
        if (is(fn, K_attribute)) {
            size_t alen;
            const char *attr = sn_text(P->src, sn_field(fn, F_attribute), &alen);
            if ((alen == 3 && !memcmp(attr, "get", 3)) || (alen == 7 && !memcmp(attr, "getlist", 7))) {
                out->entry = lookup(P, sc, sn_field(fn, F_object), SST_KIND_SOURCE);
                if (out->entry && is(args, K_argument_list)) out->key = key_literal(P, sn_nth(args, 0));
            }
        }
        if (!out->entry) out->entry = lookup(P, sc, n, SST_KIND_SOURCE);
    } else if (is(n, K_subscript)) {
        out->inner = sn_field(n, F_subscript);
        out->entry = lookup(P, sc, sn_field(n, F_value), SST_KIND_SOURCE);
        if (out->entry) out->key = key_literal(P, out->inner);
    } else if (is(n, K_attribute)) {
        out->entry = lookup(P, sc, n, SST_KIND_SOURCE);
        snode obj = sn_field(n, F_object);
        size_t olen = out->entry || !is(obj, K_identifier) ? 0 : sst_resolve(P->an, sc, obj, P->path, sizeof P->path);
        const sst_entry *base = olen && sst_project_is_first_party(P->an->project, P->path, olen)
                                    ? sst_project_inherited_entry(P->an->project, P->path, olen, 0)
                                    : NULL;
        if (base) {
            size_t alen;
            const char *attr = sn_text(P->src, sn_field(n, F_attribute), &alen);
            out->entry = base;
            out->key = sst_arena_printf(P->an->arena, "\"%.*s\"", (int)alen, attr);
            out->cats = base->categories | sst_catalog_classify_name(P->an->catalog, attr, alen);
            if (!out->key) out->key = "None";
            return 1;
        }
    }
    if (!out->entry) return 0;
    if (!out->key) out->key = "None";   /* out of memory: the arena's failure ends the plan */
    out->cats = out->entry->categories | key_categories(P, out->key);
    return 1;
}

/* Methods whose result is the receiver's data in another form: a source read
 * followed by them (`request.form["email"].strip().lower()`) is tagged as a
 * whole, so that the value the program keeps is the tagged one. */
static int derives_value(planner *P, snode fn)
{
    static const char *const names[] = {"strip", "lstrip", "rstrip", "lower", "upper", "casefold", "title",
                                        "capitalize", "swapcase", "replace", "split", "rsplit", "splitlines",
                                        "partition", "rpartition", "removeprefix", "removesuffix", "encode",
                                        "decode", "zfill", "center", "ljust", "rjust", "expandtabs", NULL};
    size_t len;
    const char *t = sn_text(P->src, sn_field(fn, F_attribute), &len);
    for (int i = 0; names[i]; i++)
        if (strlen(names[i]) == len && !memcmp(names[i], t, len)) return 1;
    return 0;
}

/* Wraps WHOLE, the source read READ or a chain of value methods called on
 * it, in __sst__.source(...), and walks what it contains: the read's key or
 * arguments and the chain's arguments. */
static void wrap_source(planner *P, snode whole, snode read, const source_read *sr, scope *sc, const sst_word *bound,
                        int depth)
{
    unsigned site = new_site(P, SST_SITE_SOURCE, whole, sr->entry->path);
    note_site(P, site, sc, sr->entry, sr->cats);
    insertf(P, sn_start(whole), site, "__sst__.source((\"%s\", %s), ", sr->entry->path, sr->key);
    walk_expr(P, sr->inner, sc, bound, depth + 1);
    for (snode c = whole; !sn_eq(c, read); c = sn_field(sn_field(c, F_function), F_object))
        walk_expr(P, sn_field(c, F_arguments), sc, bound, depth + 1);
    insert(P, sn_end(whole), ")", site);
}

/* With flows on, wraps N when it is a source read or a chain of value
 * methods called on one; returns whether it did. */
static int walk_source(planner *P, snode n, scope *sc, const sst_word *bound, int depth)
{
    snode read = n;
    while (is(read, K_call) && is(sn_field(read, F_function), K_attribute) &&
           derives_value(P, sn_field(read, F_function)))
        read = sn_field(sn_field(read, F_function), F_object);
    source_read sr;
    if (!source_at(P, sc, read, &sr)) {
        if (sn_eq(read, n) || !source_at(P, sc, n, &sr)) return 0;
        read = n;   /* a source whose own name is a value method */
    }
    wrap_source(P, n, read, &sr, sc, bound, depth);
    return 1;
}

static int never_wrapped(planner *P, snode callee)
{
    static const char *const names[] = {"super", "locals", "globals", "vars", "eval", "exec",
                                        "__import__", "breakpoint", NULL};
    if (!is(callee, K_identifier)) return 0;
    size_t len;
    const char *t = sn_text(P->src, callee, &len);
    for (int i = 0; names[i]; i++)
        if (strlen(names[i]) == len && !memcmp(names[i], t, len)) return 1;
    return 0;
}

static void walk_call(planner *P, snode n, scope *sc, const sst_word *bound, int depth)
{
    snode fn = sn_field(n, F_function), args = sn_field(n, F_arguments);
    if (P->flows && walk_source(P, n, sc, bound, depth)) return;
    const sst_entry *e = never_wrapped(P, fn) ? NULL : lookup_sink(P, sc, n);
    if (e && e->kind == SST_KIND_CONFIG) {
        unsigned site = new_site(P, SST_SITE_CONFIG, n, P->path);
        note_site(P, site, sc, e, sites_categories(P, sc, args, e));
        e = NULL;
    }
    if (!e) {
        walk_expr(P, fn, sc, bound, depth + 1);
        walk_expr(P, args, sc, bound, depth + 1);
        return;
    }
    int external = e->kind == SST_KIND_EXTERNAL;
    sst_site_kind kind = external ? SST_SITE_EXTERNAL : e->kind == SST_KIND_LOG ? SST_SITE_LOG : SST_SITE_STORE;
    unsigned site = new_site(P, kind, n, P->path);
    note_site(P, site, sc, e, sites_categories(P, sc, args, e));
    idlist srcs = {0};
    if (sc->kind != SCOPE_CLASS) {
        if (!e->args) {
            srcs = data_reads(P, args, sc, 0, bound);
        } else if (is(args, K_argument_list)) {
            unsigned index = 0;
            SN_FOR(a, args) {
                if (is(a, K_comment)) continue;
                if (!is(a, K_keyword_argument) && !is(a, K_list_splat) && !is(a, K_dictionary_splat)) index++;
                if (!carries_data(P, e->args, a, index)) continue;
                idlist part = data_reads(P, a, sc, 0, bound);
                for (size_t i = 0; i < part.n; i++) list_add_unique(P, &srcs, part.v[i]);
                free(part.v);
            }
        }
    }
    char *tuple = join_names(P, &srcs, 1);
    free(srcs.v);
    insertf(P, sn_start(fn), site, "__sst__.%s(\"%s\", ", external ? "external" : "store", e->path);
    walk_expr(P, fn, sc, bound, depth + 1);
    insertf(P, sn_end(fn), site, ", %s)", tuple ? tuple : "()");
    walk_expr(P, args, sc, bound, depth + 1);
}

static void walk_lambda(planner *P, snode n, scope *sc, const sst_word *bound, int depth)
{
    scope *l = sst_scope_of(P->an, n);
    snode params = sn_field(n, F_parameters);
    if (!sn_is_null(params)) {
        uint32_t k = sn_count(params);
        for (uint32_t i = 0; i < k; i++) {
            snode p = sn_nth(params, i);
            if (is(p, K_default_parameter) || is(p, K_typed_default_parameter))
                walk_expr(P, sn_field(p, F_value), sc, bound, depth + 1);
        }
    }
    if (!l) return;
    sst_word *b = set_copy(P, bound);
    if (!b) return;
    for (size_t i = 0; i < P->an->nwords; i++) b[i] &= ~l->locals[i];
    if (!sn_is_null(params)) bind_targets(P, b, params);
    if (!sn_is_null(params)) {
        uint32_t k = sn_count(params);
        for (uint32_t i = 0; i < k; i++) {
            snode p = sn_nth(params, i);
            if (is(p, K_default_parameter) || is(p, K_typed_default_parameter)) bind(P, b, sn_field(p, F_name));
        }
    }
    walk_expr(P, sn_field(n, F_body), l, b, depth + 1);
    set_release(P, b);
}

static void walk_comprehension(planner *P, snode n, scope *sc, const sst_word *bound, int depth)
{
    scope *k = sst_scope_of(P->an, n);
    sst_word *b = k ? set_copy(P, bound) : NULL;
    if (!b) return;
    for (size_t i = 0; i < P->an->nwords; i++) b[i] &= ~k->locals[i];
    int first = 1;
    uint32_t count = sn_count(n);
    for (uint32_t i = 0; i < count; i++) {
        snode c = sn_nth(n, i);
        if (is(c, K_for_in_clause)) {
            if (first) walk_expr(P, sn_field(c, F_right), sc, bound, depth + 1);
            else walk_expr(P, sn_field(c, F_right), k, b, depth + 1);
            first = 0;
            bind_targets(P, b, sn_field(c, F_left));
        } else if (is(c, K_if_clause)) {
            walk_expr(P, sn_nth(c, 0), k, b, depth + 1);
        }
    }
    walk_expr(P, sn_field(n, F_body), k, b, depth + 1);
    set_release(P, b);
}

static void walk_expr(planner *P, snode n, scope *sc, const sst_word *bound, int depth)
{
    if (sn_is_null(n) || depth > MAX_DEPTH || fail(P)) return;
    sst_node_kind k = sn_kind(n);
    if (k == K_string || k == K_concatenated_string || k == K_identifier) return;
    if (k == K_call) {
        walk_call(P, n, sc, bound, depth);
        return;
    }
    if (k == K_lambda) {
        walk_lambda(P, n, sc, bound, depth);
        return;
    }
    if (sst_is_comprehension(sn_kind(n))) {
        walk_comprehension(P, n, sc, bound, depth);
        return;
    }
    if (P->flows && (k == K_subscript || k == K_attribute) && walk_source(P, n, sc, bound, depth)) return;
    if (k == K_keyword_argument || k == K_named_expression) {
        walk_expr(P, sn_field(n, F_value), sc, bound, depth + 1);
        return;
    }
    SN_FOR(c, n) walk_expr(P, c, sc, bound, depth + 1);
}

/* ---- flows -------------------------------------------------------------------- */

static int has_interpolation(snode n)
{
    SN_FOR(c, n)
        if (sn_is(c, K_interpolation) || has_interpolation(c)) return 1;
    return 0;
}

/* Values that are not worth a flow: names and constants keep their identity,
 * comparisons and these builtins make values that cannot carry a tag. */
static int flow_worthy(planner *P, scope *sc, snode v)
{
    static const sst_node_kind plain[] = {
        K_identifier, K_integer, K_float, K_true, K_false, K_none, K_ellipsis, K_yield,
        K_comparison_operator, K_not_operator, K_boolean_operator, K_conditional_expression,
        K_lambda, K_other};
    sst_node_kind k = sn_kind(v);
    if (k == K_parenthesized_expression)
        return sn_count(v) == 1 && flow_worthy(P, sc, sn_nth(v, 0));
    for (int i = 0; plain[i] != K_other; i++)
        if (k == plain[i]) return 0;
    if (k == K_string || k == K_concatenated_string) {
        /* only f-strings build new values from names */
        return has_interpolation(v);
    }
    if (k == K_call) {
        /* a third party's answer is not the user's data */
        snode callee = sn_field(v, F_function);
        if (lookup(P, sc, callee, SST_KIND_EXTERNAL) || lookup(P, sc, callee, SST_KIND_STORE))
            return 0;
        static const char *const untaggable[] = {"len", "isinstance", "issubclass", "hasattr", "callable",
                                                 "id", "hash", "bool", "ord", "range", "enumerate",
                                                 "zip", "iter", "type", "getattr", "next", "reversed",
                                                 "super", "object", NULL};
        snode fn = sn_field(v, F_function);
        if (is(fn, K_identifier)) {
            size_t len;
            const char *name = sn_text(P->src, fn, &len);
            for (int i = 0; untaggable[i]; i++)
                if (strlen(untaggable[i]) == len && !memcmp(untaggable[i], name, len)) return 0;
        }
    }
    return 1;
}

/* Wraps VALUE in a flow when it is worth one, walking it in between. */
static void walk_value(planner *P, snode value, scope *sc, const sst_word *bound, int depth)
{
    if (P->flows && sc->kind != SCOPE_CLASS && flow_worthy(P, sc, value)) {
        idlist srcs = data_reads(P, value, sc, 1, NULL);
        if (srcs.n) {
            char *names = join_names(P, &srcs, 0);
            unsigned site = new_site(P, SST_SITE_FLOW, value, NULL);
            insert(P, sn_start(value), "__sst__.flow((", site);
            walk_expr(P, value, sc, bound, depth + 1);
            insertf(P, sn_end(value), site, "), %s)", names ? names : "");
            free(srcs.v);
            return;
        }
        free(srcs.v);
    }
    walk_expr(P, value, sc, bound, depth + 1);
}

static int plain_names(snode target, idlist *out, planner *P)
{
    if (is(target, K_identifier)) {
        uint32_t id = sst_name_of(P->an, target);
        if (id != UINT32_MAX && !sst_set_has(P->seen, id)) {
            sst_set_add(P->seen, id);
            list_add(P, out, id);
        }
        return 1;
    }
    if (is(target, K_attribute) || is(target, K_subscript)) return 0;
    uint32_t n = sn_count(target);
    int all = 1;
    for (uint32_t i = 0; i < n; i++) all &= plain_names(sn_nth(target, i), out, P);
    return all;
}

static void walk_assignment(planner *P, snode a, scope *sc, sst_word *bound, int depth)
{
    /* a = b = value: the targets, then the value once */
    snode value = sn_field(a, F_right);
    int unpack = 0;
    snode node = a;
    idlist targets = {0};
    for (;;) {
        snode left = sn_field(node, F_left);
        if (!is(left, K_identifier) && !is(left, K_attribute) && !is(left, K_subscript)) {
            unpack = 1;
            plain_names(left, &targets, P);
        }
        if (!is(value, K_assignment)) break;
        node = value;
        value = sn_field(node, F_right);
    }
    for (size_t i = 0; i < targets.n; i++) sst_set_del(P->seen, targets.v[i]);
    if (sn_is_null(value)) { /* x: int */
        free(targets.v);
        return;
    }
    if (unpack && P->flows && sc->kind != SCOPE_CLASS && targets.n && !is(value, K_yield)) {
        walk_expr(P, value, sc, bound, depth + 1);
        idlist srcs = data_reads(P, value, sc, 1, NULL);
        if (srcs.n) {
            char *s = join_names(P, &srcs, 1), *t = join_names(P, &targets, 0);
            unsigned site = new_site(P, SST_SITE_FLOW, a, NULL);
            insertf(P, sn_end(a), site, "; __sst__.derive(%s, %s)", s ? s : "()", t ? t : "");
        }
        free(srcs.v);
    } else if (unpack) {
        walk_expr(P, value, sc, bound, depth + 1);
    } else {
        walk_value(P, value, sc, bound, depth);
    }
    free(targets.v);
    for (node = a; is(node, K_assignment); node = sn_field(node, F_right)) bind_targets(P, bound, sn_field(node, F_left));
}

static void walk_augmented(planner *P, snode a, scope *sc, sst_word *bound, int depth)
{
    snode left = sn_field(a, F_left), value = sn_field(a, F_right);
    int tracked = P->flows && sc->kind != SCOPE_CLASS && is(left, K_identifier) && !is(value, K_integer) &&
                  !is(value, K_float) && !is(value, K_yield);
    if (!tracked) {
        walk_expr(P, value, sc, bound, depth + 1);
        return;
    }
    size_t len;
    const char *name = sn_text(P->src, left, &len);
    unsigned site = new_site(P, SST_SITE_FLOW, a, NULL);
    insertf(P, sn_start(a), site, "__sst__.carry(%.*s); ", (int)len, name);
    walk_expr(P, value, sc, bound, depth + 1);
    idlist srcs = data_reads(P, value, sc, 1, NULL);
    char *s = join_names(P, &srcs, 1);
    free(srcs.v);
    insertf(P, sn_end(a), site, "; __sst__.derive(%s, %.*s)", s ? s : "()", (int)len, name);
}

/* ---- statements ------------------------------------------------------------- */

static int walk_block(planner *P, snode block, scope *sc, sst_word *bound, pending_params *pp, int depth);
static int is_simple_statement(snode s);
static snode header_of(snode stmt);

/* The kind of the statement of BLOCK that will carry pending params (see
 * place_params), or K_other when none can. */
static sst_node_kind carrier(planner *P, snode block, const sst_word *names, int depth)
{
    for (snode s = sn_first(block); !sn_is_null(s) && depth < MAX_DEPTH; s = sn_next(s)) {
        if (sn_is(s, K_comment)) continue;
        if (is_simple_statement(s) || !sn_is_null(header_of(s))) return sn_kind(s);
        if (sn_is(s, K_try_statement)) {
            sst_node_kind k = carrier(P, sn_field(s, F_body), names, depth + 1);
            if (k != K_other) return k;
        }
        if (sn_is(s, K_function_definition) || sn_is(s, K_class_definition) || sn_is(s, K_decorated_definition)) {
            snode def = sn_is(s, K_decorated_definition) ? sn_field(s, F_definition) : s;
            uint32_t id = sst_name_of(P->an, sn_field(def, F_name));
            if (id != UINT32_MAX && sst_set_has(names, id)) return K_other;
        }
    }
    return K_other;
}

static void add_line(planner *P, unsigned line)
{
    sst_plan *plan = P->plan;
    unsigned *v = realloc(plan->added_lines, (plan->nadded_lines + 1) * sizeof *v);
    if (!v) {
        P->an->arena->failed = 1;
        return;
    }
    plan->added_lines = v;
    v[plan->nadded_lines++] = line;
}

/* The line break for the rare added line: CRLF in a file whose first break
 * is CRLF, else LF. Never a lone CR: Python takes it as a break but a parser
 * that does not (tree-sitter) would join the added line to the next. */
static const char *newline_of(const sst_source *src)
{
    for (size_t i = 0; i < src->len; i++)
        if (src->bytes[i] == '\n' || src->bytes[i] == '\r')
            return src->bytes[i] == '\r' && i + 1 < src->len && src->bytes[i + 1] == '\n' ? "\r\n" : "\n";
    return "\n";
}

static void walk_function(planner *P, snode fn, scope *sc, sst_word *bound, int depth);

static int is_docstring(snode stmt)
{
    if (!is(stmt, K_expression_statement) || sn_count(stmt) != 1) return 0;
    snode c = sn_nth(stmt, 0);
    return is(c, K_string) || is(c, K_concatenated_string);
}

static int is_simple_statement(snode s)
{
    static const sst_node_kind simple[] = {
        K_expression_statement, K_return_statement, K_pass_statement, K_break_statement,
        K_continue_statement, K_raise_statement, K_assert_statement, K_import_statement,
        K_import_from_statement, K_global_statement, K_nonlocal_statement, K_delete_statement,
        K_type_alias_statement, K_future_import_statement, K_other};
    for (int i = 0; simple[i] != K_other; i++)
        if (is(s, simple[i])) return 1;
    return 0;
}

static snode header_of(snode stmt)
{
    snode none = {0};
    if (is(stmt, K_if_statement) || is(stmt, K_while_statement)) return sn_field(stmt, F_condition);
    if (is(stmt, K_for_statement)) return sn_field(stmt, F_right);
    if (is(stmt, K_match_statement)) return sn_field(stmt, F_subject);
    if (is(stmt, K_with_statement)) {
        snode clause = sn_nth(stmt, 0);
        if (!is(clause, K_with_clause)) return none;
        snode item = sn_nth(clause, 0);
        snode value = sn_field(item, F_value);
        if (is(value, K_as_pattern)) value = sn_nth(value, 0);
        return value;
    }
    return none;
}

/* Offers STMT (in a function body, in order) to carry the pending params. */
static void place_params(planner *P, snode stmt, pending_params *pp, int first)
{
    if (!pp || !pp->active) return;
    if (first && is_docstring(stmt)) {
        insertf(P, sn_end(stmt), pp->site, "; %s", pp->text);
        pp->active = 0;
        return;
    }
    if (is_simple_statement(stmt)) {
        insertf(P, sn_start(stmt), pp->site, "%s; ", pp->text);
        pp->active = 0;
        return;
    }
    snode header = header_of(stmt);
    if (!sn_is_null(header)) {
        pp->header = header;
        pp->header_set = 1;
        pp->active = 0;
        return;
    }
    if (is(stmt, K_function_definition) || is(stmt, K_class_definition) || is(stmt, K_decorated_definition)) {
        snode def = is(stmt, K_decorated_definition) ? sn_field(stmt, F_definition) : stmt;
        uint32_t id = sst_name_of(P->an, sn_field(def, F_name));
        if (id != UINT32_MAX && sst_set_has(pp->names, id)) pp->active = 0; /* a parameter is rebound */
    }
    /* try: the first statement of its body carries it (walk_block does it) */
}

/* Walks a header expression; wraps it when it carries the pending params. */
static void walk_header(planner *P, snode expr, snode last, scope *sc, const sst_word *bound,
                        pending_params *pp, int depth)
{
    int wrap = pp && pp->header_set && sn_eq(pp->header, expr);
    if (wrap) {
        insertf(P, sn_start(expr), pp->site, "%s or (", pp->text);
        pp->header_set = 0;
    }
    walk_expr(P, expr, sc, bound, depth + 1);
    for (snode n = sn_next(expr); !sn_is_null(last) && !sn_is_null(n) &&
                                                     sn_start(n) <= sn_start(last);
         n = sn_next(n))
        walk_expr(P, n, sc, bound, depth + 1);
    if (wrap) insert(P, sn_end(sn_is_null(last) ? expr : last), ")", pp->site);
}

static void intersect_into(planner *P, sst_word **acc, sst_word *branch)
{
    if (!*acc) {
        *acc = branch;
        return;
    }
    set_and(P, *acc, branch);
    set_release(P, branch);
}

static int walk_if(planner *P, snode s, scope *sc, sst_word *bound, pending_params *pp, int depth)
{
    walk_header(P, sn_field(s, F_condition), (snode){0}, sc, bound, pp, depth);
    sst_word *acc = NULL;
    int has_else = 0;
    sst_word *b = set_copy(P, bound);
    if (!b) return 0;
    if (!walk_block(P, sn_field(s, F_consequence), sc, b, NULL, depth + 1)) intersect_into(P, &acc, b);
    else set_release(P, b);
    uint32_t n = sn_count(s);
    for (uint32_t i = 0; i < n; i++) {
        snode c = sn_nth(s, i);
        snode body;
        if (is(c, K_elif_clause)) {
            walk_expr(P, sn_field(c, F_condition), sc, bound, depth + 1);
            body = sn_field(c, F_consequence);
        } else if (is(c, K_else_clause)) {
            has_else = 1;
            body = sn_field(c, F_body);
        } else {
            continue;
        }
        b = set_copy(P, bound);
        if (!b) return 0;
        if (!walk_block(P, body, sc, b, NULL, depth + 1)) intersect_into(P, &acc, b);
        else set_release(P, b);
    }
    if (!acc) return has_else; /* every branch leaves: what follows is unreachable from here */
    if (has_else) memcpy(bound, acc, P->an->nwords * sizeof *bound);
    else set_and(P, bound, acc);
    set_release(P, acc);
    return 0;
}

static int walk_try(planner *P, snode s, scope *sc, sst_word *bound, pending_params *pp, int depth)
{
    /* Clauses in source order: body, handlers, else (continuing from the body), finally. */
    sst_word *acc = NULL, *body = set_copy(P, bound);
    if (!body) return 0;
    int body_term = walk_block(P, sn_field(s, F_body), sc, body, pp, depth + 1);
    int all_leave = 1;
    snode finally = {0};
    uint32_t n = sn_count(s);
    for (uint32_t i = 0; i < n; i++) {
        snode c = sn_nth(s, i);
        if (is(c, K_finally_clause)) {
            finally = c;
        } else if (is(c, K_else_clause)) {
            if (!body_term) body_term = walk_block(P, sn_field(c, F_body), sc, body, NULL, depth + 1);
        } else if (is(c, K_except_clause) || is(c, K_except_group_clause)) {
            sst_word *h = set_copy(P, bound);
            if (!h) return 0;
            snode alias = sn_field(c, F_alias), block = {0};
            uint32_t k = sn_count(c);
            for (uint32_t j = 0; j < k; j++) {
                snode x = sn_nth(c, j);
                if (is(x, K_block)) block = x;
                else if (sn_is_null(alias) || !sn_eq(x, alias)) walk_expr(P, x, sc, bound, depth + 1);
            }
            if (!sn_is_null(alias)) bind_targets(P, h, alias);
            int hterm = walk_block(P, block, sc, h, NULL, depth + 1);
            /* Python deletes the "as" name when the handler ends */
            if (is(alias, K_identifier)) {
                uint32_t id = sst_name_of(P->an, alias);
                if (id != UINT32_MAX) sst_set_del(h, id);
            }
            if (!hterm) intersect_into(P, &acc, h);
            else set_release(P, h);
            all_leave &= hterm;
        }
    }
    if (!body_term) intersect_into(P, &acc, body);
    else set_release(P, body);
    all_leave &= body_term;
    if (acc) {
        memcpy(bound, acc, P->an->nwords * sizeof *bound);
        set_release(P, acc);
    }
    if (!sn_is_null(finally)) {
        sst_word *f = set_copy(P, bound);
        if (!f) return 0;
        int fterm = walk_block(P, sn_nth(finally, 0), sc, f, NULL, depth + 1);
        set_or(P, bound, f);
        set_release(P, f);
        if (fterm) return 1;
    }
    return all_leave;
}

static int walk_stmt(planner *P, snode s, scope *sc, sst_word *bound, pending_params *pp, int depth)
{
    if (depth > MAX_DEPTH || fail(P)) return 0;
    sst_node_kind k = sn_kind(s);
    if (k == K_expression_statement) {
        uint32_t n = sn_count(s);
        for (uint32_t i = 0; i < n; i++) {
            snode c = sn_nth(s, i);
            if (is(c, K_assignment)) walk_assignment(P, c, sc, bound, depth);
            else if (is(c, K_augmented_assignment)) walk_augmented(P, c, sc, bound, depth);
            else walk_expr(P, c, sc, bound, depth + 1);
        }
        return 0;
    }
    if (k == K_return_statement) {
        snode v = sn_nth(s, 0);
        if (!sn_is_null(v)) walk_value(P, v, sc, bound, depth);
        return 1;
    }
    if (k == K_raise_statement) {
        uint32_t n = sn_count(s);
        for (uint32_t i = 0; i < n; i++) walk_expr(P, sn_nth(s, i), sc, bound, depth + 1);
        return 1;
    }
    if (k == K_break_statement || k == K_continue_statement) return 1;
    if (k == K_assert_statement) {
        uint32_t n = sn_count(s);
        for (uint32_t i = 0; i < n; i++) walk_expr(P, sn_nth(s, i), sc, bound, depth + 1);
        return 0;
    }
    if (k == K_import_statement || k == K_import_from_statement) {
        uint32_t n = sn_count(s);
        snode module = sn_field(s, F_module_name);
        for (uint32_t i = 0; i < n; i++) {
            snode c = sn_nth(s, i);
            if (!sn_is_null(module) && sn_eq(c, module)) continue;
            if (is(c, K_aliased_import)) bind(P, bound, sn_field(c, F_alias));
            else if (is(c, K_dotted_name)) bind(P, bound, sn_nth(c, 0));
        }
        return 0;
    }
    if (k == K_delete_statement) {
        snode target = sn_nth(s, 0);
        uint32_t n = is(target, K_expression_list) ? sn_count(target) : 1;
        for (uint32_t i = 0; i < n; i++) {
            snode c = is(target, K_expression_list) ? sn_nth(target, i) : target;
            uint32_t id = is(c, K_identifier) ? sst_name_of(P->an, c) : UINT32_MAX;
            if (id != UINT32_MAX) sst_set_del(bound, id);
        }
        return 0;
    }
    if (k == K_if_statement) return walk_if(P, s, sc, bound, pp, depth);
    if (k == K_try_statement) return walk_try(P, s, sc, bound, pp, depth);
    if (k == K_while_statement || k == K_for_statement) {
        int is_for = k == K_for_statement;
        walk_header(P, sn_field(s, is_for ? F_right : F_condition), (snode){0}, sc, bound, pp, depth);
        sst_word *b = set_copy(P, bound);
        if (!b) return 0;
        if (is_for) bind_targets(P, b, sn_field(s, F_left));
        walk_block(P, sn_field(s, F_body), sc, b, NULL, depth + 1);
        set_release(P, b);
        snode alt = sn_field(s, F_alternative);
        if (!sn_is_null(alt)) {
            b = set_copy(P, bound);
            if (!b) return 0;
            walk_block(P, sn_field(alt, F_body), sc, b, NULL, depth + 1);
            set_release(P, b);
        }
        return 0;
    }
    if (k == K_with_statement) {
        snode clause = sn_nth(s, 0);
        uint32_t n = sn_count(clause);
        for (uint32_t i = 0; i < n; i++) {
            snode value = sn_field(sn_nth(clause, i), F_value);
            snode alias = {0};
            if (is(value, K_as_pattern)) {
                alias = sn_field(value, F_alias);
                value = sn_nth(value, 0);
            }
            if (i == 0) walk_header(P, value, (snode){0}, sc, bound, pp, depth);
            else walk_expr(P, value, sc, bound, depth + 1);
            if (!sn_is_null(alias)) bind_targets(P, bound, sn_nth(alias, 0));
        }
        sst_word *b = set_copy(P, bound);
        if (!b) return 0;
        int term = walk_block(P, sn_field(s, F_body), sc, b, NULL, depth + 1);
        set_release(P, b);
        return term;
    }
    if (k == K_match_statement) {
        snode first = sn_field(s, F_subject), last = first;
        for (snode n = sn_next(first); !sn_is_null(n) && !is(n, K_block);
             n = sn_next(n))
            if (!is(n, K_comment)) last = n;
        walk_header(P, first, last, sc, bound, pp, depth);
        snode body = sn_field(s, F_body);
        uint32_t n = sn_count(body);
        for (uint32_t i = 0; i < n; i++) {
            snode c = sn_nth(body, i);
            if (!is(c, K_case_clause)) continue;
            sst_word *b = set_copy(P, bound);
            if (!b) return 0;
            snode guard = sn_field(c, F_guard);
            if (!sn_is_null(guard)) walk_expr(P, guard, sc, b, depth + 1);
            walk_block(P, sn_field(c, F_consequence), sc, b, NULL, depth + 1);
            set_release(P, b);
        }
        return 0;
    }
    if (k == K_function_definition) {
        walk_function(P, s, sc, bound, depth);
        return 0;
    }
    if (k == K_decorated_definition) {
        snode def = sn_field(s, F_definition);
        return walk_stmt(P, def, sc, bound, NULL, depth + 1);
    }
    if (k == K_class_definition) {
        walk_expr(P, sn_field(s, F_superclasses), sc, bound, depth + 1);
        scope *c = sst_scope_of(P->an, s);
        sst_word *b = c ? set_copy(P, bound) : NULL;
        if (b) {
            const sst_word *saved = P->class_base;
            P->class_base = bound;
            walk_block(P, sn_field(s, F_body), c, b, NULL, depth + 1);
            P->class_base = saved;
            set_release(P, b);
        }
        bind(P, bound, sn_field(s, F_name));
        return 0;
    }
    return 0;
}

static int walk_block(planner *P, snode block, scope *sc, sst_word *bound, pending_params *pp, int depth)
{
    if (sn_is_null(block) || depth > MAX_DEPTH) return 0;
    int first = 1, term = 0;
    for (snode s = sn_first(block); !sn_is_null(s) && !fail(P); s = sn_next(s)) {
        if (is(s, K_comment)) continue;
        place_params(P, s, pp, first);
        first = 0;
        if (walk_stmt(P, s, sc, bound, is(s, K_try_statement) ? pp : pp && pp->header_set ? pp : NULL, depth + 1))
            term = 1;
    }
    return term;
}

/* ---- functions and parameters ------------------------------------------------ */

static int is_staticmethod(planner *P, snode fn)
{
    snode parent = sn_parent(fn);
    if (!is(parent, K_decorated_definition)) return 0;
    uint32_t n = sn_count(parent);
    for (uint32_t i = 0; i < n; i++) {
        snode d = sn_nth(parent, i);
        if (!is(d, K_decorator)) continue;
        size_t len;
        const char *t = sn_text(P->src, d, &len);
        if (len == 13 && !memcmp(t, "@staticmethod", 13)) return 1;
    }
    return 0;
}

static snode param_name(snode p)
{
    snode none = {0};
    if (is(p, K_identifier)) return p;
    if (is(p, K_default_parameter) || is(p, K_typed_default_parameter)) {
        snode name = sn_field(p, F_name);
        return is(name, K_identifier) ? name : none;
    }
    if (is(p, K_typed_parameter)) p = sn_nth(p, 0);
    if (is(p, K_identifier)) return p;
    if (is(p, K_list_splat_pattern) || is(p, K_dictionary_splat_pattern)) {
        snode c = sn_nth(p, 0);
        return is(c, K_identifier) ? c : none;
    }
    return none;
}

static void walk_function(planner *P, snode fn, scope *sc, sst_word *bound, int depth)
{
    snode params = sn_field(fn, F_parameters);
    uint32_t np = sn_count(params);
    for (uint32_t i = 0; i < np; i++) {
        snode p = sn_nth(params, i);
        if (is(p, K_default_parameter) || is(p, K_typed_default_parameter))
            walk_expr(P, sn_field(p, F_value), sc, bound, depth + 1);
    }
    bind(P, bound, sn_field(fn, F_name));
    scope *f = sst_scope_of(P->an, fn);
    const sst_word *base = sc->kind == SCOPE_CLASS && P->class_base ? P->class_base : bound;
    sst_word *b = f ? set_copy(P, base) : NULL;
    sst_word *names = b ? sst_set_new(P->an) : NULL;
    if (!names) return;
    for (size_t i = 0; i < P->an->nwords; i++) b[i] &= ~f->locals[i];

    idlist pass = {0};
    int skip_first = f->is_method_scope && !is_staticmethod(P, fn);
    for (uint32_t i = 0; i < np; i++) {
        snode name = param_name(sn_nth(params, i));
        if (sn_is_null(name)) continue;
        bind(P, b, name);
        uint32_t id = sst_name_of(P->an, name);
        if (skip_first) {
            skip_first = 0;
            continue;
        }
        if (id == UINT32_MAX || P->opt->profile == SST_PROFILE_MINIMAL) continue;
        if (P->opt->profile == SST_PROFILE_STANDARD) {
            size_t len;
            const char *text = sst_name_text(P->an, id, &len);
            if (!sst_catalog_classify_name(P->an->catalog, text, len)) continue;
        }
        if (!sst_set_has(names, id)) {
            sst_set_add(names, id);
            list_add(P, &pass, id);
        }
    }
    snode body = sn_field(fn, F_body);
    sst_node_kind carried_by = pass.n ? carrier(P, body, names, 0) : K_other;
    if (carried_by == K_while_statement) {
        /* a while header runs on every iteration: a deleted parameter could
         * be read after its "del" */
        size_t kept = 0;
        for (size_t i = 0; i < pass.n; i++)
            if (!sst_set_has(P->deleted_any, pass.v[i])) pass.v[kept++] = pass.v[i];
        pass.n = kept;
    }
    pending_params pp = {0};
    if (pass.n) {
        char *values = join_names(P, &pass, 0);
        size_t cap = 32 + pass.n * 4;
        for (size_t i = 0; i < pass.n; i++) {
            size_t len;
            sst_name_text(P->an, pass.v[i], &len);
            cap += len;
        }
        char *tuple = sst_arena_alloc(P->an->arena, cap);
        if (tuple && values) {
            size_t o = 0;
            tuple[o++] = '(';
            for (size_t i = 0; i < pass.n; i++) {
                size_t len;
                const char *t = sst_name_text(P->an, pass.v[i], &len);
                o += (size_t)sprintf(tuple + o, "%s\"%.*s\"", i ? ", " : "", (int)len, t);
            }
            o += (size_t)sprintf(tuple + o, "%s)", pass.n == 1 ? "," : "");
            pp.text = sst_arena_printf(P->an->arena, "__sst__.params(%s, %s)", tuple, values);
            pp.site = new_site(P, SST_SITE_PARAMS, fn, NULL);
            pp.active = pp.text != NULL;
            pp.names = names;
        }
    }
    free(pass.v);
    if (pp.active && carried_by == K_other) {
        /* Only definitions follow: give the params a line of their own. */
        snode first = sn_nth(body, 0);
        while (is(first, K_comment)) first = sn_next(first);
        if (!sn_is_null(first) && sn_row(first) > sn_row(fn)) {
            uint32_t start = sn_start(first), col = sn_col(first);
            insertf(P, start, pp.site, "%s%s%.*s", pp.text, newline_of(P->src), (int)col, P->src->text + start - col);
            add_line(P, sn_row(first) + 1);
        }
        pp.active = 0;
    }
    const sst_word *saved = P->class_base;
    P->class_base = NULL;
    walk_block(P, body, f, b, pp.active ? &pp : NULL, depth + 1);
    P->class_base = saved;
    set_release(P, b);
}

/* ---- the prologue -------------------------------------------------------------- */

static int line_is_free(planner *P, uint32_t row)
{
    if (row == 0 && P->src->shebang) return 0;
    if (P->src->cookie_line && (row + 1 == P->src->cookie_line || (row == 0 && P->src->cookie_line == 2)))
        return 0;
    return 1;
}

/* Byte offset of the start of ROW in the text. */
static uint32_t row_start(planner *P, uint32_t row)
{
    const char *t = P->src->text;
    size_t i = 0, len = P->src->text_len;
    for (uint32_t r = 0; r < row && i < len; i++)
        if (t[i] == '\n' || (t[i] == '\r' && (i + 1 >= len || t[i + 1] != '\n'))) r++;
    return (uint32_t)i;
}

static void plan_prologue(planner *P, snode root)
{
    uint32_t n = sn_count(root);
    snode first = {0}, after = {0};
    for (uint32_t i = 0; i < n; i++) {
        snode s = sn_nth(root, i);
        if (is(s, K_comment)) continue;
        if (sn_is_null(first)) {
            first = s;
            if (is_docstring(s)) {
                after = s;
                continue;
            }
        }
        if (is(s, K_future_import_statement)) {
            after = s;
            continue;
        }
        break;
    }
    if (sn_is_null(first)) return;
    if (!sn_is_null(after)) {
        unsigned site = new_site(P, SST_SITE_PROLOGUE, after, NULL);
        insert(P, sn_end(after), "; " PROLOGUE, site);
        return;
    }
    if (is_simple_statement(first)) {
        unsigned site = new_site(P, SST_SITE_PROLOGUE, first, NULL);
        insert(P, sn_start(first), PROLOGUE "; ", site);
        return;
    }
    /* A compound first statement: use a blank or comment line above it. */
    uint32_t row = sn_row(first);
    for (uint32_t r = row; r-- > 0;) {
        if (!line_is_free(P, r)) continue;
        unsigned site = new_site(P, SST_SITE_PROLOGUE, first, NULL);
        uint32_t at = row_start(P, r);
        char c = at < P->src->text_len ? P->src->text[at] : '\n';
        insert(P, at, c == '\n' || c == '\r' ? PROLOGUE : PROLOGUE " ", site);
        return;
    }
    /* None: the one case where a line is added. */
    unsigned site = new_site(P, SST_SITE_PROLOGUE, first, NULL);
    insertf(P, row_start(P, row), site, "%s%s", PROLOGUE, newline_of(P->src));
    add_line(P, row + 1);
}

int sst_plan_build(sst_plan *plan, sst_analysis *an, const sst_options *options)
{
    snode root = sst_tree_root(an->tree);
    memset(plan, 0, sizeof *plan);
    planner P = {0};
    P.an = an;
    P.src = an->src;
    P.opt = options;
    P.plan = plan;
    P.flows = options->profile != SST_PROFILE_MINIMAL;
    P.id_self = sst_name_lookup(an, "self", 4);
    P.id_cls = sst_name_lookup(an, "cls", 3);
    P.id_sst = sst_name_lookup(an, "__sst__", 7);
    P.seen = sst_set_new(an);
    P.deleted_any = sst_set_new(an);
    sst_word *bound = sst_set_new(an);
    int rc = SST_ENOMEM;
    if (!P.seen || !P.deleted_any || !bound) goto done;
    scope *sc, *tmp;
    HASH_ITER(hh, an->scopes, sc, tmp) {
        for (size_t i = 0; i < an->nwords; i++) P.deleted_any[i] |= sc->deleted[i];
    }
    plan_prologue(&P, root);
    walk_block(&P, root, an->module, bound, NULL, 0);
    if (an->arena->failed) goto done;
    rc = plan->edits.out_of_order ? SST_EBUG : 0;
done:
    free(P.free_sets);
    return rc;
}

void sst_plan_free(sst_plan *plan)
{
    sst_edits_free(&plan->edits);
    free(plan->sites);
    free(plan->added_lines);
    memset(plan, 0, sizeof *plan);
}
