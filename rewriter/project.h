/* The project: what every module exports, so resolution can follow a name
 * from the module that uses it to the module that made it. Keys and targets
 * are API paths; a first-party path ("app.clients.ai") is rooted at a module
 * of the project and is rewritten to what it stands for ("openai.OpenAI()"). */
#ifndef SST_PROJECT_H
#define SST_PROJECT_H

#include <sst/rewrite.h>
#include <uthash.h>

#include "arena.h"

typedef struct proj_str {
    const char *s;
    UT_hash_handle hh;
} proj_str;

/* KEY stands for TARGET: a module-level name, a class or instance attribute,
 * what a project function returns. AMBIGUOUS: two different targets. */
typedef struct proj_alias {
    const char *key;
    const char *target;
    int ambiguous;
    UT_hash_handle hh;
} proj_alias;

typedef struct proj_class {
    const char *path;          /* "app.models.Customer" */
    const char **bases;        /* their paths as written (first-party or not) */
    size_t nbases;
    proj_str *members;         /* names the class body binds, attributes set on self */
    UT_hash_handle hh;
} proj_class;

typedef struct proj_module {
    const char *name;
    int is_package;
    const char **stars;        /* modules of "from X import *", in order */
    size_t nstars;
    proj_str *names;           /* names bound at module level */
    proj_str *all;             /* a literal __all__, or NULL */
    int has_all;
    UT_hash_handle hh;
} proj_module;

/* Static categories a project function's return value can carry. */
typedef struct proj_summary {
    const char *key;           /* "app.prompts.build()" */
    uint32_t categories;
    const char **callees;      /* project calls its returns read, resolved at use */
    size_t ncallees;
    UT_hash_handle hh;
} proj_summary;

/* A question a fork was asked and its answer (see sst_project_fork). */
typedef enum { ASK_CANON, ASK_SUMMARY, ASK_INHERITED } ask_kind;
typedef struct proj_ask {
    UT_hash_handle hh;         /* in ASKED_SET, by KEY: each question once */
    const char *key;           /* kind letter + path */
    ask_kind kind;
    const char *path;
    const char *answer;        /* ASK_CANON: the path it became ("" when it no longer fit) */
    uint32_t categories;       /* ASK_SUMMARY */
    const sst_entry *entry;    /* ASK_INHERITED */
} proj_ask;

struct sst_project {
    const sst_catalog *catalog;
    sst_arena arena;
    proj_str *roots;           /* first-party top-level names */
    int roots_shared;          /* a fork: ROOTS belong to its parent */
    proj_module *modules;
    proj_alias *aliases;
    proj_class *classes;
    proj_summary *summaries;
    int linked;
    int recording;             /* a fork: every question about a first-party path is kept */
    proj_ask *asked_set;       /* ... once, by question */
    size_t nasked;
    int has_stars;             /* some module has "from X import *" */
};

struct sst_analysis;
/* Records what an analysed module exports (one thread at a time). */
int sst_project_add_analysis(sst_project *p, const struct sst_analysis *an, sst_error *err);

int sst_project_is_first_party(const sst_project *p, const char *path, size_t len);
const proj_module *sst_project_module(const sst_project *p, const char *name, size_t len);

/* Rewrites the first-party parts of the path in BUF (LEN bytes, CAP
 * capacity) into what they stand for, and applies the catalogue's
 * unconditional returns rules, until nothing changes. Returns the new length
 * (0 if it no longer fits). Read-only on the project: threads may share it. */
size_t sst_project_canon(const sst_project *p, char *buf, size_t len, size_t cap);
/* The same when BUF[0..FROM) is already canonical and FROM is a boundary
 * (the length before a step appended ".name" or "()"). */
size_t sst_project_canon_from(const sst_project *p, char *buf, size_t len, size_t cap, size_t from);

/* The categories a call of the project function PATH returns, following the
 * functions it calls (depth-bounded). 0 for anything else. */
uint32_t sst_project_summary(const sst_project *p, const char *path, int depth);

/* An instance of a project class ("app.schemas.SignupIn()") whose bases lead
 * to a catalogue source (pydantic.BaseModel() of a handler): its categories. */
const sst_entry *sst_project_inherited_entry(const sst_project *p, const char *path, size_t len, int depth);
uint32_t sst_project_inherited_source(const sst_project *p, const char *path, size_t len, int depth);

#endif
