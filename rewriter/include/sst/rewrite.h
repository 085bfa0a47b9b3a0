/* Public API of the sst-rewrite core: one Python source buffer in, its
 * instrumented text, its sites and its problems out. Reentrant: no global
 * mutable state; a catalogue may be shared read-only by many threads. */
#ifndef SST_REWRITE_H
#define SST_REWRITE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define SST_VERSION "0.1.0"
/* Version of the injected-call ABI (docs/abi.md); sst_runtime checks it. */
#define SST_ABI_VERSION 1

enum {
    SST_OK = 0,
    SST_ENOMEM = -1,   /* out of memory */
    SST_EIO = -2,      /* a file could not be read or written */
    SST_EINVAL = -3,   /* bad input: bad option, bad catalogue line, undecodable source */
    SST_EBUG = -4      /* an internal invariant failed (overlapping edits...) */
};

/* Caller-owned error: filled by a failing call, never by a succeeding one. */
typedef struct sst_error {
    int code;
    char path[512];    /* file the problem is in, "" if none */
    unsigned line;     /* 1-based, 0 if none */
    char message[512];
} sst_error;

void sst_error_set(sst_error *err, int code, const char *path, unsigned line,
                   const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* ---- catalogue ---------------------------------------------------------- */

typedef struct sst_catalog sst_catalog;

typedef enum {
    SST_KIND_EXTERNAL = 0,   /* data leaves for a third party */
    SST_KIND_STORE,          /* data is written to a store (db, file, log) */
    SST_KIND_SOURCE,         /* an expression that yields personal data */
    SST_KIND_RETURNS,        /* fluent rule: calling PATH yields an object of TARGET */
    SST_KIND_LOG,            /* data is written to a log (wrapped like a store) */
    SST_KIND_CONFIG          /* a call that configures a library to send personal data
                                (reported, never wrapped), e.g. sentry_sdk.init(send_default_pii=True) */
} sst_kind;

const char *sst_kind_name(sst_kind kind);

/* The catalogue compiled into the binary. */
int sst_catalog_load_builtin(sst_catalog **out, sst_error *err);
/* Adds the entries of a catalogue file (same format as the built-in data). */
int sst_catalog_add_file(sst_catalog *catalog, const char *path, sst_error *err);
int sst_catalog_add_text(sst_catalog *catalog, const char *name, const char *text,
                         size_t len, sst_error *err);
void sst_catalog_free(sst_catalog *catalog);

typedef struct sst_entry {
    const char *path;        /* API path, e.g. "requests.post", "smtplib.SMTP().sendmail" */
    sst_kind kind;
    const char *service;     /* "requests", "openai", "smtp", "sqlite3"... */
    const char *host;        /* fixed destination host, or NULL */
    const char *target;      /* SST_KIND_RETURNS: the path the call result stands for */
    uint32_t categories;     /* SST_KIND_SOURCE: SST_CAT_* bits of what it yields */
    const char *args;        /* arguments that carry data, "1,2,json" (1-based positions
                                and keyword names); NULL: every argument */
    /* A condition on one literal argument of the call (returns, config): the
     * entry applies only when argument WHEN_INDEX (1-based positional, 0 none)
     * or keyword WHEN_KEYWORD (NULL none) is a literal whose value (a string's
     * contents, else its source text: True, 3) matches the fnmatch pattern
     * WHEN_GLOB. WHEN_GLOB NULL: unconditional. */
    unsigned when_index;
    const char *when_keyword;
    const char *when_glob;
    const struct sst_entry *next;  /* another entry for the same path: conditional ones
                                      first, in file order, the unconditional one last */
    const char *file;        /* catalogue file and line the entry comes from */
    unsigned line;
} sst_entry;

/* The first (or only) entry for PATH, NULL if none or disabled. Entries of
 * the same path with different conditions follow through NEXT. */
const sst_entry *sst_catalog_lookup(const sst_catalog *catalog, const char *path);
/* Every entry, in load order (overridden entries once, at their first place),
 * disabled ones included: for listing and coverage checks. */
size_t sst_catalog_count(const sst_catalog *catalog);
const sst_entry *sst_catalog_entry_at(const sst_catalog *catalog, size_t index);
/* Disables the entries whose path or service is WHAT. Returns how many, so a
 * configuration naming nothing can say so. */
size_t sst_catalog_disable(sst_catalog *catalog, const char *what);
int sst_catalog_is_disabled(const sst_catalog *catalog, const sst_entry *entry);

/* ---- data categories ---------------------------------------------------- */

enum {
    SST_CAT_EMAIL = 1u << 0,
    SST_CAT_PHONE = 1u << 1,
    SST_CAT_NAME = 1u << 2,
    SST_CAT_ADDRESS = 1u << 3,
    SST_CAT_BIRTH_DATE = 1u << 4,
    SST_CAT_GOVERNMENT_ID = 1u << 5,
    SST_CAT_FINANCIAL = 1u << 6,
    SST_CAT_HEALTH = 1u << 7,
    SST_CAT_CREDENTIALS = 1u << 8,
    SST_CAT_LOCATION = 1u << 9,
    SST_CAT_NETWORK_ID = 1u << 10,
    SST_CAT_USER_TEXT = 1u << 11,
    SST_CAT_COUNT = 12
};

/* "email", "phone"... for bit index i < SST_CAT_COUNT. */
const char *sst_category_name(unsigned index);
/* Categories an identifier (parameter, attribute, dict key) names, 0 if none. */
uint32_t sst_catalog_classify_name(const sst_catalog *catalog, const char *name, size_t len);

/* ---- rewriting ---------------------------------------------------------- */

typedef enum {
    SST_PROFILE_MINIMAL = 0, /* wrap sinks and stores only */
    SST_PROFILE_STANDARD,    /* + sources, personal-data parameters, flows */
    SST_PROFILE_FULL         /* + every parameter, value-checked at run time */
} sst_profile;

typedef struct sst_project sst_project;

typedef struct sst_options {
    const sst_catalog *catalog;   /* required */
    sst_profile profile;
    /* sst_rewrite_buffer only: the module's dotted name ("app.clients") and
     * whether it is a package's __init__; NULL: taken from the file name. */
    const char *module;
    int is_package;
} sst_options;

typedef enum {
    SST_STATUS_INSTRUMENTED = 0, /* output differs from input */
    SST_STATUS_UNCHANGED,        /* nothing to inject; output is the input */
    SST_STATUS_ALREADY,          /* already instrumented; output is the input */
    SST_STATUS_UNPARSEABLE       /* syntax error or Python 2; output is the input */
} sst_status;

const char *sst_status_name(sst_status status);

typedef enum {
    SST_SITE_EXTERNAL = 0,
    SST_SITE_STORE,
    SST_SITE_SOURCE,
    SST_SITE_PARAMS,
    SST_SITE_FLOW,
    SST_SITE_PROLOGUE,
    SST_SITE_LOG,        /* a log call, wrapped like a store */
    SST_SITE_CONFIG      /* a configuration finding: reported, nothing injected */
} sst_site_kind;

const char *sst_site_kind_name(sst_site_kind kind);

typedef struct sst_site {
    unsigned id;         /* 1-based, in order of position in the file */
    sst_site_kind kind;
    unsigned line;       /* 1-based line of the original construct */
    unsigned column;     /* 0-based, in characters of the original line */
    const char *path;    /* resolved API path (external, store, log, source, config), else NULL */
    const sst_entry *entry;  /* its catalogue entry (valid while the catalogue lives), else NULL */
    uint32_t categories; /* external, store, log: SST_CAT_* bits that can reach the data
                            arguments by the static flow; source: what it yields */
    const char *scope;   /* qualified name of the enclosing def or class ("Mailer.send"),
                            "" at module level */
} sst_site;

/* One insertion, as applied: where (in the original bytes) and what. */
typedef struct sst_insertion {
    size_t offset;       /* byte offset in the original input */
    const char *text;    /* inserted bytes, in the file's encoding */
    size_t len;
    unsigned site;       /* site id it belongs to */
} sst_insertion;

typedef struct sst_result {
    sst_status status;
    char *output;        /* the bytes to write; the input itself when not instrumented */
    size_t output_len;
    sst_site *sites;
    size_t nsites;
    sst_insertion *insertions;   /* sorted by offset */
    size_t ninsertions;
    unsigned *added_lines;       /* original lines before which a line was added */
    size_t nadded_lines;
    unsigned problem_line;       /* UNPARSEABLE: line of the first problem */
    char problem[256];           /* UNPARSEABLE: what it is */
    char encoding[32];           /* source encoding: "utf-8", "utf-8-sig", "latin-1"... */
} sst_result;

/* Rewrites one file's bytes. PATH is used in messages and for nothing else.
 * An unparseable file is not an error: it comes back with status UNPARSEABLE.
 * Errors are reserved for things the caller must see (bad encoding, no memory). */
int sst_rewrite_buffer(sst_result **out, const char *path, const char *src, size_t len,
                       const sst_options *options, sst_error *err);
void sst_result_free(sst_result *result);

/* ---- projects ------------------------------------------------------------ */

/* A project is analysed as a whole before any file is rewritten, so a client
 * made in one module and imported in another resolves:
 *
 *     sst_project_new(&p, catalog)
 *     sst_project_declare(p, "app.clients", 0) ...      every module, by name
 *     sst_module_load(&m, p, ...) ...                   parse + analyse (threads ok)
 *     sst_project_add(p, m) ...                         its exports (one thread)
 *     sst_project_link(p)                               resolve exports across modules
 *     sst_module_rewrite(&r, p, m, options) ...         plan + apply (threads ok)
 *
 * A module keeps its parsed tree between load and rewrite; a caller short of
 * memory may free it after sst_project_add and load it again before rewriting. */
typedef struct sst_module sst_module;

int sst_project_new(sst_project **out, const sst_catalog *catalog, sst_error *err);
/* MODULE is a dotted name; IS_PACKAGE: the module is a package's __init__. */
int sst_project_declare(sst_project *project, const char *module, int is_package, sst_error *err);
/* A top-level package name that is first-party though not in the tree. */
int sst_project_first_party(sst_project *project, const char *name, sst_error *err);
/* Another name the same module is imported by (a src/ layout, a namespace package). */
int sst_project_alias_module(sst_project *project, const char *alias, const char *module,
                             sst_error *err);
int sst_module_load(sst_module **out, const sst_project *project, const char *path,
                    const char *module, const char *src, size_t len, const sst_options *options,
                    sst_error *err);
/* The module's status if it will not be rewritten (unparseable, already), or INSTRUMENTED. */
sst_status sst_module_status(const sst_module *module);
/* Bytes the loaded module holds. */
size_t sst_module_footprint(const sst_module *module);
int sst_project_add(sst_project *project, const sst_module *module, sst_error *err);
int sst_project_link(sst_project *project, sst_error *err);
/* Rewriting a module ahead of the others, while its parse is still in the
 * caches: a fork shares PARENT's first-party names (declare every module
 * first) and holds one module's exports; sst_project_add, link and
 * sst_module_rewrite work on it as on any project, and it records every
 * question about a first-party path it answers. Once every module is added
 * to the parent (sst_project_merge, in the same order as sst_project_add
 * would) and the parent linked, sst_project_agrees says whether the parent
 * gives every recorded question the same answer: then the early rewrite is
 * the one the whole project would give, byte for byte. */
int sst_project_fork(sst_project **out, const sst_project *parent, sst_error *err);
int sst_project_merge(sst_project *into, const sst_project *from, sst_error *err);
int sst_project_agrees(const sst_project *full, const sst_project *fork);
/* A hash of everything the modules export: a module whose input is unchanged
 * rewrites to the same output while this is unchanged too. */
uint64_t sst_project_digest(const sst_project *project);
int sst_module_rewrite(sst_result **out, const sst_project *project, sst_module *module,
                       const sst_options *options, sst_error *err);
void sst_module_free(sst_module *module);
void sst_project_free(sst_project *project);

#ifdef __cplusplus
}
#endif
#endif
