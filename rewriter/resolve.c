/* Expression -> API path: names through their scope's bindings, attributes
 * appended, "()" for calls with the catalogue's fluent return rules applied.
 * A chain stops as soon as it is no prefix of any catalogue path. */
#include "resolve.h"

#include <string.h>

#include "catalog.h"

static size_t resolve(const sst_analysis *an, scope *sc, snode expr, char *buf, size_t cap, int depth)
{
    if (depth > 64 || sn_is_null(expr)) return 0;
    sst_node_kind k = sn_kind(expr);
    size_t len = 0;
    if (k == K_identifier) {
        uint32_t id = sst_name_of(an, expr);
        if (id == UINT32_MAX) return 0;
        scope *owner = sst_scope_owner(sc, id);
        if (owner) {
            const binding *b = sst_scope_binding(owner, id);
            if (!b || b->kind != BIND_PATH) return 0;
            len = strlen(b->path);
            if (len + 1 > cap) return 0;
            memcpy(buf, b->path, len);
        } else {
            /* a builtin such as print or open */
            const char *name = sst_name_text(an, id, &len);
            if (len + 1 > cap) return 0;
            memcpy(buf, name, len);
        }
    } else if (k == K_attribute) {
        len = resolve(an, sc, sn_field(expr, F_object), buf, cap, depth + 1);
        if (!len) return 0;
        size_t alen;
        const char *attr = sn_text(an->src, sn_field(expr, F_attribute), &alen);
        if (len + 1 + alen + 1 > cap) return 0;
        buf[len++] = '.';
        memcpy(buf + len, attr, alen);
        len += alen;
    } else if (k == K_call) {
        len = resolve(an, sc, sn_field(expr, F_function), buf, cap, depth + 1);
        if (!len || len + 3 > cap) return 0;
        buf[len++] = '(';
        buf[len++] = ')';
        buf[len] = 0;
        const sst_entry *e = sst_catalog_lookup(an->catalog, buf);
        if (e && e->kind == SST_KIND_RETURNS) {
            len = strlen(e->target);
            if (len + 1 > cap) return 0;
            memcpy(buf, e->target, len);
        }
    } else if (k == K_parenthesized_expression && sn_count(expr) == 1) {
        return resolve(an, sc, sn_nth(expr, 0), buf, cap, depth + 1);
    } else {
        return 0;
    }
    buf[len] = 0;
    return sst_catalog_has_prefix(an->catalog, buf, len) ? len : 0;
}

size_t sst_resolve(const sst_analysis *an, scope *sc, snode expr, char *buf, size_t cap)
{
    return resolve(an, sc, expr, buf, cap, 0);
}
