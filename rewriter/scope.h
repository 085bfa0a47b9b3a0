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
    const char *path;         /* BIND_PATH: the API path, first-party parts not yet
                                 followed; BIND_DEFINITION: the def's own path */
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
    int is_static, is_classmethod, is_property;   /* a method's decorators */
    uint32_t self_name;       /* a method's first parameter, UINT32_MAX if none */
    const char *qual;         /* Python's __qualname__ of its def or class, "" for the module */
    const char *path;         /* the def's, class's or module's API path: "app.x.C.m" */
    const char *prefix;       /* what names defined inside are prefixed with */
    struct scope *cls;        /* a method's class scope */
    uint32_t *cats;           /* reach.c: categories of each local name, once computed */
    uint32_t *heads;          /* reach.c: each name's first binding in the analysis' vbinds, +1 */
    int cats_state;           /* reach.c: none, indexed, in rounds, done */
    int cycle, depth;         /* reach.c: a name's bindings led back to it */
    UT_hash_handle hh;
} scope;

typedef struct name_rec {
    const char *text;
    size_t len;
    uint32_t id;
    UT_hash_handle hh;
} name_rec;

typedef enum {
    CAND_IMPORT,      /* NAME is bound to PATH (an import) */
    CAND_FIXED,       /* NAME is bound to PATH (self, cls, a framework's request) */
    CAND_DEFINITION,  /* NAME is a def or class whose own path is PATH */
    CAND_VALUE,       /* NAME is bound to the value of VALUE */
    CAND_INSTANCE,    /* NAME is bound to an instance of the class VALUE (a parameter's annotation) */
    CAND_EXPORT,      /* the project key PATH stands for VALUE (self.attr = v) */
    CAND_RETURN,      /* the project key PATH (a call of a function) stands for VALUE */
    CAND_BASE         /* the class PATH has the base class VALUE */
} cand_kind;

/* A pending binding: resolved after all scopes are known. */
typedef struct bind_candidate {
    cand_kind kind;
    scope *scope;            /* where NAME binds and VALUE is evaluated */
    uint32_t name;
    snode value;
    const char *path;
} bind_candidate;

/* A resolved export of the module: KEY stands for TARGET (NULL: it does not
 * resolve, so the key is ambiguous), or the class KEY has the base TARGET. */
typedef struct sst_export {
    const char *key;
    const char *target;
    int is_base;
} sst_export;

struct sst_project;
struct sst_summary;

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
    const struct sst_project *project;
    const char *module_name;  /* dotted */
    int is_package;
    int imports_django;       /* a view's "request" parameter is Django's */
    const char **stars;       /* modules of "from X import *" */
    size_t nstars;
    const char **all;         /* a literal __all__ */
    size_t nall;
    int has_all;
    sst_export *exports;
    size_t nexports, capexports;
    uint32_t *name_cats;      /* reach.c: classify_name of each interned name, bit 31 = known */
    struct sst_summary *summaries;   /* reach.c: what each function's returns carry */
    size_t nsummaries, capsummaries;
    const char **callees;     /* reach.c: first-party calls met while summarising */
    size_t ncallees, capcallees;
    int collecting;           /* reach.c: summarising (phase one) */
    struct sst_vbind *vbinds; /* reach.c: the values bound to each local name, as lists */
    size_t nvbinds, capvbinds;
    const char **resolved;    /* resolve.c, once the project is linked: each node's path,
                                 "" when it resolves to nothing, NULL not yet asked */
} sst_analysis;

typedef struct sst_vbind {
    uint32_t next;            /* the name's next binding, +1; 0 ends */
    uint32_t value;           /* node of the value */
} sst_vbind;

typedef struct sst_summary {
    const char *key;          /* "app.prompts.build()" */
    uint32_t categories;
    const char **callees;
    size_t ncallees;
} sst_summary;

int sst_analysis_build(sst_analysis *an, sst_arena *arena, const sst_source *src,
                       const struct sst_catalog *catalog, const sst_tree *tree,
                       const struct sst_project *project, const char *module_name, int is_package);
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
