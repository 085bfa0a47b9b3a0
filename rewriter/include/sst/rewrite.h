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
    SST_KIND_RETURNS         /* fluent rule: calling PATH yields an object of TARGET */
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
} sst_entry;

const sst_entry *sst_catalog_lookup(const sst_catalog *catalog, const char *path);

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

typedef struct sst_options {
    const sst_catalog *catalog;   /* required */
    sst_profile profile;
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
    SST_SITE_PROLOGUE
} sst_site_kind;

const char *sst_site_kind_name(sst_site_kind kind);

typedef struct sst_site {
    unsigned id;         /* 1-based, in order of position in the file */
    sst_site_kind kind;
    unsigned line;       /* 1-based line of the original construct */
    unsigned column;     /* 0-based, in characters of the original line */
    const char *path;    /* resolved API path (external, store, source), else NULL */
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

#ifdef __cplusplus
}
#endif
#endif
