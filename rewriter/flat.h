/* A parsed module as a flat array of its named nodes with parent, first
 * child, next sibling and field links, built in one cursor pass. Every later
 * pass (scopes, planning) navigates it in constant time per step, where
 * tree-sitter 0.20's own child and field lookups are linear. */
#ifndef SST_FLAT_H
#define SST_FLAT_H

#include <stddef.h>
#include <stdint.h>
#include <tree_sitter/api.h>

#include "kinds.h"
#include "source.h"

typedef struct sst_fnode {
    uint32_t start, end;        /* bytes of the parsed text */
    uint32_t row, col;          /* start point: 0-based row, byte column */
    uint32_t parent, child, next, nchild;
    uint16_t kind;              /* sst_node_kind */
    uint16_t field;             /* sst_field_kind of this node in its parent */
} sst_fnode;

typedef struct sst_tree {
    sst_fnode *v;               /* v[0] is unused: id 0 means "no node" */
    uint32_t n, cap;
} sst_tree;

/* A node handle, passed by value like TSNode. */
typedef struct snode {
    const sst_tree *t;
    uint32_t id;
} snode;

/* Flattens the tree. Returns 0, or the 1-based line of the first thing that
 * makes the module unfit to rewrite (syntax error, Python 2 form) with a
 * description in WHAT. Returns UINT32_MAX when out of memory. */
uint32_t sst_tree_build(sst_tree *t, TSNode root, const sst_source *src, char *what, size_t cap);
void sst_tree_free(sst_tree *t);
static inline snode sst_tree_root(const sst_tree *t) { return (snode){t, 1}; }

static inline int sn_is_null(snode n) { return n.id == 0; }
static inline const sst_fnode *sn_(snode n) { return &n.t->v[n.id]; }
static inline sst_node_kind sn_kind(snode n) { return n.id ? (sst_node_kind)sn_(n)->kind : K_other; }
static inline int sn_is(snode n, sst_node_kind k) { return n.id && sn_(n)->kind == k; }
static inline uint32_t sn_start(snode n) { return sn_(n)->start; }
static inline uint32_t sn_end(snode n) { return sn_(n)->end; }
static inline uint32_t sn_row(snode n) { return sn_(n)->row; }
static inline uint32_t sn_col(snode n) { return sn_(n)->col; }
static inline uint32_t sn_count(snode n) { return sn_(n)->nchild; }
static inline snode sn_first(snode n) { return (snode){n.t, n.id ? sn_(n)->child : 0}; }
static inline snode sn_next(snode n) { return (snode){n.t, n.id ? sn_(n)->next : 0}; }
static inline snode sn_parent(snode n) { return (snode){n.t, n.id ? sn_(n)->parent : 0}; }
static inline int sn_eq(snode a, snode b) { return a.id == b.id; }

static inline snode sn_nth(snode n, uint32_t i)
{
    snode c = sn_first(n);
    while (i-- && c.id) c = sn_next(c);
    return c;
}

static inline snode sn_field(snode n, sst_field_kind f)
{
    for (snode c = sn_first(n); c.id; c = sn_next(c))
        if (sn_(c)->field == f) return c;
    return (snode){n.t, 0};
}

static inline const char *sn_text(const sst_source *src, snode n, size_t *len)
{
    *len = sn_end(n) - sn_start(n);
    return src->text + sn_start(n);
}

#define SN_FOR(c, parent) for (snode c = sn_first(parent); !sn_is_null(c); c = sn_next(c))

#endif
