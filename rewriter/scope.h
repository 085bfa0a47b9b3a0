/* Scopes and bindings of one module: which names each scope binds (Python's
 * locality rules), what each name is bound to when that resolves to a
 * catalogue path, and name sets as bit sets over the file's interned names. */
#ifndef SST_SCOPE_H
#define SST_SCOPE_H

#include <stdint.h>
#include <uthash.h>

#include "arena.h"
#include "flat.h"
#include "kinds.h"
#include "source.h"

typedef uint64_t sst_word;

typedef enum { SCOPE_MODULE, SCOPE_FUNCTION, SCOPE_CLASS, SCOPE_LAMBDA, SCOPE_COMPREHENSION } scope_kind;

typedef enum {
    BIND_NONE = 0,
    BIND_PATH,        /* bound to an API path (an import, or a value that resolves) */
    BIND_DEFINITION,  /* a def or class of the module: never a data source */
    BIND_UNKNOWN      /* bound to something we cannot resolve, or to several paths */
} bind_kind;

typedef struct binding {
    uint32_t name;
    bind_kind kind;
    int is_import;
    const char *path;         /* BIND_PATH */
    UT_hash_handle hh;
} binding;

typedef struct scope {
    scope_kind kind;
    uint64_t key;             /* start byte << 16 | symbol of its node */
    snode node;
    struct scope *parent;
    sst_word *locals;         /* names local to this scope */
    sst_word *declared;       /* names declared global or nonlocal here */
    sst_word *deleted;        /* names deleted by "del NAME" here */
    binding *bindings;
    int is_method_scope;      /* a function defined directly in a class body */
    UT_hash_handle hh;
} scope;

typedef struct name_rec {
    const char *text;
    size_t len;
    uint32_t id;
    UT_hash_handle hh;
} name_rec;

/* A pending binding: resolved after all scopes are known. */
typedef struct bind_candidate {
    scope *scope;
    uint32_t name;
    snode value;             /* expression to resolve, or a null node for an import */
    const char *import_path;  /* import: the module path bound */
    int is_definition;
} bind_candidate;

typedef struct sst_analysis {
    sst_arena *arena;
    const sst_source *src;
    const sst_tree *tree;
    const struct sst_catalog *catalog;
    name_rec *names;
    name_rec **by_id;
    uint32_t nnames, capnames;
    size_t nwords;            /* words in every name set */
    scope *scopes;
    scope *module;
    bind_candidate *cands;
    size_t ncands, capcands;
} sst_analysis;

int sst_analysis_build(sst_analysis *an, sst_arena *arena, const sst_source *src,
                       const struct sst_catalog *catalog, const sst_tree *tree);
void sst_analysis_free(sst_analysis *an);

/* The interned id of a name, or UINT32_MAX if the file never mentions it. */
uint32_t sst_name_lookup(const sst_analysis *an, const char *text, size_t len);
uint32_t sst_name_of(const sst_analysis *an, snode identifier);
const char *sst_name_text(const sst_analysis *an, uint32_t id, size_t *len);

scope *sst_scope_of(const sst_analysis *an, snode scope_node);
/* The scope a name read in SC resolves to (Python's rules), NULL for builtins. */
scope *sst_scope_owner(scope *sc, uint32_t name);
const binding *sst_scope_binding(scope *sc, uint32_t name);

/* Name sets. */
sst_word *sst_set_new(const sst_analysis *an);
static inline int sst_set_has(const sst_word *set, uint32_t id)
{
    return (int)((set[id >> 6] >> (id & 63)) & 1);
}
static inline void sst_set_add(sst_word *set, uint32_t id) { set[id >> 6] |= (sst_word)1 << (id & 63); }
static inline void sst_set_del(sst_word *set, uint32_t id) { set[id >> 6] &= ~((sst_word)1 << (id & 63)); }


static inline int sst_is_comprehension(sst_node_kind k)
{
    return k == K_list_comprehension || k == K_set_comprehension || k == K_dictionary_comprehension ||
           k == K_generator_expression;
}

#endif
