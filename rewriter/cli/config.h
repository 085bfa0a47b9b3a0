/* Configuration of sst-rewrite: finding sst.toml or the [tool.sst] table of
 * pyproject.toml, loading and checking its keys (every error names the file
 * and the line), and the include/exclude globs (PCRE2, compiled at load).
 * The TOML text is read by toml.cpp (cpptoml behind the C interface below). */
#ifndef SST_CONFIG_H
#define SST_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include <sst/rewrite.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- config.c: sst.toml and [tool.sst] ------------------------------------ */

typedef enum {
    SST_FAIL_ON_UNSET = 0,   /* the key is absent */
    SST_FAIL_ON_NEW,         /* exit 1 when an unsuppressed finding is new */
    SST_FAIL_ON_ANY,         /* exit 1 when there is any unsuppressed finding */
    SST_FAIL_ON_NEVER        /* findings never change the exit status */
} sst_fail_on;

/* One string of a list, with the line it is written on (for messages such as
 * "sst.toml:7: disable names nothing in the catalogue: 'x'"). */
typedef struct sst_config_item {
    char *value;
    unsigned line;
} sst_config_item;

typedef struct sst_config_list {
    sst_config_item *items;
    size_t count;
    unsigned line;           /* line of the key; 0 when the key is absent */
} sst_config_list;

typedef struct sst_config_globs sst_config_globs;

/* A loaded configuration. Every key is optional; an absent key leaves its
 * field zero (empty list, NULL, has_profile 0, SST_FAIL_ON_UNSET), so the
 * command line or the default decides. */
typedef struct sst_config {
    char *path;              /* the file, as given to sst_config_load */
    char *dir;               /* its directory, absolute: relative paths in it are resolved here */
    sst_config_list include; /* globs as written (see sst_config_selects) */
    sst_config_list exclude;
    int has_profile;
    sst_profile profile;
    unsigned profile_line;
    sst_config_list catalog; /* catalogue files: absolute, resolved, each an existing file */
    sst_config_list disable; /* catalogue entry paths or service names, as written */
    sst_config_list first_party; /* top-level package names (Python identifiers) */
    char *baseline;          /* absolute path (not checked: --write-baseline creates it); NULL absent */
    unsigned baseline_line;
    sst_fail_on fail_on;
    unsigned fail_on_line;
    sst_config_globs *globs; /* include and exclude, compiled */
} sst_config;

/* The configuration file for a run whose first SRC argument is START: from
 * START (a directory, or the directory of a file) upward, the nearest
 * directory holding an sst.toml, or a pyproject.toml with a [tool.sst] table
 * (one without is passed over). sst.toml wins over pyproject.toml in the same
 * directory. The search stops after a directory that holds .git, and at /.
 * *OUT is the absolute path (the caller frees it), or NULL when there is
 * none. SST_EIO when START cannot be resolved or a pyproject.toml on the way
 * cannot be read. */
int sst_config_find(char **out, const char *start, sst_error *err);

/* Reads PATH: a file named pyproject.toml gives its [tool.sst] table (an
 * error if it has none), any other file its top-level keys. Unknown keys,
 * wrong types and bad values are SST_EINVAL errors with ERR->path = PATH and
 * ERR->line = the line of the key (of the array element, for a bad element);
 * a TOML syntax error gives the line the parser reports. On error *OUT is
 * all zero (nothing to free); on success the caller frees it with
 * sst_config_free. */
int sst_config_load(sst_config *out, const char *path, sst_error *err);

/* Whether the run takes the file REL ('/'-separated, relative to its SRC
 * argument): 1 when it matches an include glob (or there is none) and no
 * exclude glob, else 0; negative on error (SST_ENOMEM; SST_EBUG if PCRE2
 * fails to match, which short paths never make it do). A NULL
 * CONFIG takes everything. Safe to call from several threads at once.
 * Globs: '*' and '?' and [abc], [!abc], [a-z] never match '/'; '**' as a
 * whole component matches any number of directories (none included); a
 * pattern without '/' matches a file or directory name at any depth, one
 * with '/' (a leading '/' is allowed) matches from the root; a pattern that
 * matches a directory matches everything below it; a trailing '/' matches
 * directories only; '\' makes the next character literal. */
int sst_config_selects(const sst_config *config, const char *rel);

void sst_config_free(sst_config *config);

/* ---- toml.cpp: a TOML document as a tree, with lines ---------------------- */

typedef enum {
    SST_TOML_STRING = 0,
    SST_TOML_INTEGER,
    SST_TOML_FLOAT,
    SST_TOML_BOOLEAN,
    SST_TOML_DATETIME,       /* any date, time or date-time */
    SST_TOML_ARRAY,          /* also an array of tables ([[x]] or [{...}, ...]) */
    SST_TOML_TABLE
} sst_toml_type;

typedef struct sst_toml {
    sst_toml_type type;
    /* Where it is written: a table member, the first line naming its key
     * (a key = value line, a dotted key, a [header]); an array element, the
     * line it starts on; an element of [[x]], its header's line. 0 for the
     * document itself. */
    unsigned line;
    char *string;            /* STRING: the value, NUL-terminated (may hold NULs: see len) */
    size_t len;
    int64_t integer;         /* INTEGER */
    double number;           /* FLOAT */
    int boolean;             /* BOOLEAN */
    struct sst_toml *items;  /* ARRAY elements, TABLE members (members in the order of their lines) */
    char **keys;             /* TABLE: member names, parallel to items */
    size_t nitems;
} sst_toml;

/* Parses TEXT (a UTF-8 BOM is skipped). A syntax error is SST_EINVAL with
 * ERR->path = NAME and the line cpptoml reports; out of memory SST_ENOMEM. */
int sst_toml_parse(sst_toml **out, const char *text, size_t len, const char *name,
                   sst_error *err);
/* Whether TEXT mentions the key DOTTED ("tool.sst": bare key names joined
 * with '.'): in a [header], a dotted key, a key of an inline table, or as a
 * key itself. 1 yes, 0 no, SST_ENOMEM. A scan only: the text need not be
 * valid TOML (a file cpptoml rejects can still be passed over). */
int sst_toml_mentions(const char *text, size_t len, const char *dotted);
/* The member KEY of TABLE, or NULL. */
const sst_toml *sst_toml_get(const sst_toml *table, const char *key);
/* "a string", "an integer", "an array"...: for messages. */
const char *sst_toml_type_phrase(sst_toml_type type);
void sst_toml_free(sst_toml *toml);

#ifdef __cplusplus
}
#endif

#endif
