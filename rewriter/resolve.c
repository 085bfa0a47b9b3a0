/* Expression -> API path: names through their scope's bindings, attributes
 * appended, "()" for calls with the catalogue's fluent return rules applied
 * (conditional ones matched on the call's literal arguments). Once the
 * project is linked, first-party parts are followed to what they stand for.
 * A chain stops as soon as it is neither first-party nor a prefix of any
 * catalogue path. */
#include "resolve.h"

#include <fnmatch.h>
#include <string.h>

#include "catalog.h"
#include "project.h"

static int keep(const sst_analysis *an, const char *buf, size_t len)
{
    return sst_project_is_first_party(an->project, buf, len) || sst_catalog_has_prefix(an->catalog, buf, len);
}

static size_t canon(const sst_analysis *an, char *buf, size_t len, size_t cap, size_t from)
{
    if (!an->project || !an->project->linked) return len;
    return sst_project_canon_from(an->project, buf, len, cap, from);
}

static size_t put(char *buf, size_t cap, const char *text, size_t len)
{
    if (len + 1 > cap) return 0;
    memcpy(buf, text, len);
    buf[len] = 0;
    return len;
}

/* The literal value of argument INDEX (1-based) or KEYWORD of CALL, into
 * OUT: a plain string's contents, else the source text of True, 3, None. */
static int literal_argument(const sst_analysis *an, snode call, unsigned index, const char *keyword,
                            char *out, size_t cap)
{
    snode args = sn_field(call, F_arguments);
    if (!sn_is(args, K_argument_list)) return 0;
    snode found = {0};
    unsigned pos = 0;
    int positional_ok = 1;
    SN_FOR(a, args) {
        if (sn_is(a, K_keyword_argument)) {
            size_t len;
            const char *name = sn_text(an->src, sn_field(a, F_name), &len);
            if (keyword && strlen(keyword) == len && !memcmp(name, keyword, len)) found = sn_field(a, F_value);
            continue;
        }
        if (sn_is(a, K_list_splat) || sn_is(a, K_dictionary_splat)) {
            positional_ok = 0;
            continue;
        }
        if (sn_is(a, K_comment)) continue;
        if (++pos == index && positional_ok && index) found = a;
    }
    if (sn_is_null(found)) return 0;
    sst_node_kind k = sn_kind(found);
    size_t len;
    const char *text;
    if (k == K_string) {
        if (sn_count(found) == 2) {
            text = "";
            len = 0;
        } else {
            snode content = sn_nth(found, 1);
            if (sn_count(found) != 3 || !sn_is(content, K_string_content)) return 0;
            text = sn_text(an->src, content, &len);
        }
    } else if (k == K_true || k == K_false || k == K_none || k == K_integer || k == K_float) {
        text = sn_text(an->src, found, &len);
    } else {
        return 0;
    }
    if (len + 1 > cap) return 0;
    memcpy(out, text, len);
    out[len] = 0;
    return 1;
}

int sst_entry_applies(const sst_analysis *an, const sst_entry *e, snode call)
{
    if (!e->when_glob) return 1;
    if (sn_is_null(call)) return 0;
    char value[256];
    if (!literal_argument(an, call, e->when_index, e->when_keyword, value, sizeof value)) return 0;
    return fnmatch(e->when_glob, value, 0) == 0;
}

static size_t resolve_cached(const sst_analysis *an, scope *sc, snode expr, char *buf, size_t cap, int depth);

static size_t resolve(const sst_analysis *an, scope *sc, snode expr, char *buf, size_t cap, int depth)
{
    if (depth > 64 || sn_is_null(expr)) return 0;
    sst_node_kind k = sn_kind(expr);
    size_t len = 0;
    if (k == K_identifier) {
        uint32_t id = sst_name_of(an, expr);
        if (id == UINT32_MAX) return 0;
        scope *owner = sst_scope_owner(sc, id);
        size_t nlen;
        const char *name = sst_name_text(an, id, &nlen);
        if (owner) {
            const binding *b = sst_scope_binding(owner, id);
            if (!b || (b->kind != BIND_PATH && b->kind != BIND_DEFINITION) || !b->path) return 0;
            len = put(buf, cap, b->path, strlen(b->path));
        } else if (an->nstars && !sst_catalog_has_prefix(an->catalog, name, nlen)) {
            /* maybe from "from X import *": the project follows module.name there */
            size_t mlen = strlen(an->module_name);
            if (mlen + 1 + nlen + 1 > cap) return 0;
            memcpy(buf, an->module_name, mlen);
            buf[mlen] = '.';
            len = put(buf + mlen + 1, cap - mlen - 1, name, nlen);
            if (len) len += mlen + 1;
        } else {
            /* a builtin such as print or open */
            len = put(buf, cap, name, nlen);
        }
        if (!len) return 0;
        len = canon(an, buf, len, cap, 0);
    } else if (k == K_attribute) {
        len = resolve_cached(an, sc, sn_field(expr, F_object), buf, cap, depth + 1);
        if (!len) return 0;
        size_t alen;
        const char *attr = sn_text(an->src, sn_field(expr, F_attribute), &alen);
        if (len + 1 + alen + 1 > cap) return 0;
        size_t before = len;
        buf[len++] = '.';
        memcpy(buf + len, attr, alen);
        len += alen;
        buf[len] = 0;
        len = canon(an, buf, len, cap, before);
    } else if (k == K_call) {
        len = resolve_cached(an, sc, sn_field(expr, F_function), buf, cap, depth + 1);
        if (!len || len + 3 > cap) return 0;
        size_t before = len;
        buf[len++] = '(';
        buf[len++] = ')';
        buf[len] = 0;
        /* a first-party name shadows the catalogue's: io.open of a project's own io.py */
        const sst_entry *first = sst_project_is_first_party(an->project, buf, len) ? NULL
                                                                                  : sst_catalog_lookup(an->catalog, buf);
        for (const sst_entry *e = first; e; e = e->next) {
            if (e->kind != SST_KIND_RETURNS || !sst_entry_applies(an, e, expr)) continue;
            len = put(buf, cap, e->target, strlen(e->target));
            before = 0;
            break;
        }
        len = canon(an, buf, len, cap, before);
    } else if (k == K_parenthesized_expression && sn_count(expr) == 1) {
        return resolve_cached(an, sc, sn_nth(expr, 0), buf, cap, depth + 1);
    } else {
        return 0;
    }
    if (!len) return 0;
    buf[len] = 0;
    return keep(an, buf, len) ? len : 0;
}

/* Bindings are final once the project is linked: each node is then resolved
 * once, whatever asks (the planner's sink, source and flow checks, reach). */
static size_t resolve_cached(const sst_analysis *an, scope *sc, snode expr, char *buf, size_t cap, int depth)
{
    const char **cache = an->resolved;
    if (!cache || sn_is_null(expr)) return resolve(an, sc, expr, buf, cap, depth);
    const char *hit = cache[expr.id];
    if (hit) return *hit ? put(buf, cap, hit, strlen(hit)) : 0;
    size_t len = resolve(an, sc, expr, buf, cap, depth);
    cache[expr.id] = len ? sst_arena_strndup(an->arena, buf, len) : "";
    if (!cache[expr.id]) cache[expr.id] = "";
    return len;
}

size_t sst_resolve(const sst_analysis *an, scope *sc, snode expr, char *buf, size_t cap)
{
    return resolve_cached(an, sc, expr, buf, cap, 0);
}

int sst_resolve_cache(sst_analysis *an)
{
    if (an->resolved) return 0;
    an->resolved = calloc(an->tree->n + 1, sizeof *an->resolved);
    return an->resolved ? 0 : SST_ENOMEM;
}

const sst_entry *sst_resolve_entry(const sst_analysis *an, scope *sc, snode expr, snode call, char *buf,
                                   size_t cap)
{
    size_t len = resolve_cached(an, sc, expr, buf, cap, 0);
    if (!len || sst_project_is_first_party(an->project, buf, len)) return NULL;
    for (const sst_entry *e = sst_catalog_lookup(an->catalog, buf); e; e = e->next)
        if (e->kind != SST_KIND_RETURNS && sst_entry_applies(an, e, call)) return e;
    return NULL;
}
