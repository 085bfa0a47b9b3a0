/* Internal interface of the sst-rewrite command line tool: the byte buffer,
 * the JSON writer/reader, the tree walk, the output tree (atomic writes), the
 * diff view and the manifest. All I/O policy lives here; the core does none. */
#ifndef SST_CLI_H
#define SST_CLI_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include <sst/rewrite.h>

/* The whole command: parses ARGV, runs, returns the exit status (0, 1, 2). */
int sst_cli_main(int argc, char **argv);

enum {
    SST_EXIT_OK = 0,      /* every file done (warnings allowed) */
    SST_EXIT_USAGE = 1,   /* bad command line: nothing was written */
    SST_EXIT_FAILED = 2,  /* the run finished but some files failed */
    SST_EXIT_GATE = 1     /* --fail-on: a finding the gate does not allow */
};

/* ---- buf.c: growable byte buffer ---------------------------------------- */

typedef struct sst_buf {
    char *data;     /* always NUL-terminated when non-NULL */
    size_t len;
    size_t cap;
    int oom;        /* set once an allocation failed; later appends do nothing */
} sst_buf;

int sst_buf_append(sst_buf *buf, const void *bytes, size_t len);
int sst_buf_puts(sst_buf *buf, const char *str);
int sst_buf_printf(sst_buf *buf, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void sst_buf_free(sst_buf *buf);

/* 16 lowercase hex digits of XXH3-64 of BYTES, into HEX (17 bytes). */
uint64_t sst_hash_bytes(const void *bytes, size_t len);
void sst_hash_hex(char hex[17], uint64_t hash);
int sst_hash_parse(uint64_t *out, const char *hex);

/* ---- json.c: JSON text out and in ---------------------------------------- */

/* Appends BYTES as a JSON string literal. Valid UTF-8 passes through; each
 * byte of an invalid sequence becomes \udcXX (as Python's surrogateescape),
 * so any file name round-trips and the output is always valid JSON text. */
int sst_json_string(sst_buf *buf, const char *bytes, size_t len);

typedef enum {
    SST_JSON_NULL = 0,
    SST_JSON_FALSE,
    SST_JSON_TRUE,
    SST_JSON_NUMBER,
    SST_JSON_STRING,
    SST_JSON_ARRAY,
    SST_JSON_OBJECT
} sst_json_type;

typedef struct sst_json {
    sst_json_type type;
    double number;
    char *string;            /* STRING: bytes (\udcXX decoded back to byte XX), NUL-terminated */
    size_t len;
    struct sst_json *items;  /* ARRAY elements, OBJECT values */
    char **keys;             /* OBJECT keys, parallel to items */
    size_t nitems;
} sst_json;

/* Parses TEXT; on a syntax error fills ERR with the line and returns SST_EINVAL. */
int sst_json_parse(sst_json **out, const char *text, size_t len, const char *name, sst_error *err);
const sst_json *sst_json_get(const sst_json *object, const char *key);
void sst_json_free(sst_json *json);

/* ---- walk.c: the list of files a run handles ------------------------------ */

typedef struct sst_walk_file {
    char *src;        /* path to read: the SRC argument joined with the relative path */
    char *rel;        /* path under OUT, '/'-separated, never absolute, no "." or ".." */
    mode_t mode;      /* permission bits of the source (mode & 0777) */
    int python;       /* a .py or .pyw file: rewritten; anything else is copied */
    int64_t size;     /* size and modification time (ns) when walked: the */
    int64_t mtime_ns; /* import hook's stamp of a package (runtime/hook.c) */
} sst_walk_file;

typedef enum { SST_NOTE_INFO = 0, SST_NOTE_WARNING, SST_NOTE_ERROR } sst_note_level;

typedef struct sst_walk_note {
    sst_note_level level;
    char *path;
    char *message;
} sst_walk_note;

typedef struct sst_walk {
    sst_walk_file *files;
    size_t nfiles;
    size_t capfiles;
    sst_walk_note *notes;   /* skipped entries and unreadable directories */
    size_t nnotes;
    size_t capnotes;
} sst_walk;

typedef struct sst_walk_options {
    const char *const *excludes;   /* fnmatch patterns */
    size_t nexcludes;
    int skip_out;                  /* OUT exists: skip the directory with this identity */
    dev_t out_dev;
    ino_t out_ino;
    int flat;                      /* a SRC directory's own files only: no subdirectory */
} sst_walk_options;

/* Adds the files of one SRC argument. A missing SRC or one that is neither a
 * file nor a directory is an SST_EINVAL error; problems below it are notes. */
int sst_walk_add(sst_walk *walk, const char *src, const sst_walk_options *options,
                 sst_error *err);
/* Sorts files by relative path (bytes) and notes by path; two SRCs that map
 * to the same OUT path (or a file onto a directory) are an SST_EINVAL error. */
int sst_walk_finish(sst_walk *walk, sst_error *err);
void sst_walk_free(sst_walk *walk);
/* Whether REL (relative path) or one of its components matches a pattern. */
int sst_walk_excluded(const char *rel, const char *const *excludes, size_t nexcludes);

/* ---- emit.c: reading inputs, atomic writes under OUT ---------------------- */

typedef struct sst_out {
    int dirfd;              /* OUT, opened once; every write is relative to it */
    char *path;             /* OUT as given, for messages */
    int fsync;              /* fsync files and directories before rename returns */
    unsigned long counter;  /* temp-name counter, atomically incremented */
    struct sst_dircache *dirs; /* descriptors of directories below OUT, opened once */
} sst_out;

/* Creates OUT (and its parents) if needed and opens it. */
int sst_out_open(sst_out *out, const char *path, int do_fsync, sst_error *err);
/* Writes OUT/REL atomically: a temp file in the same directory, then rename.
 * Directories are created below OUT; no symlink below OUT is followed, so
 * nothing is written outside it. */
int sst_out_write(sst_out *out, const char *rel, const void *bytes, size_t len, mode_t mode,
                  sst_error *err);
/* XXH3 of OUT/REL and its permission bits; SST_EIO if missing or not a
 * regular file (symlinks are not followed). */
int sst_out_hash(const sst_out *out, const char *rel, uint64_t *hash, mode_t *mode);
/* Removes OUT/REL if it is a regular file (no symlink followed). */
int sst_out_remove(const sst_out *out, const char *rel);
void sst_out_close(sst_out *out);

/* Reads a whole file. */
int sst_file_read(char **bytes, size_t *len, const char *path, sst_error *err);

/* ---- diff.c: unified diff of an insertion-only rewrite -------------------- */

typedef struct sst_diff_colors {
    const char *header;   /* "--- a/", "+++ b/" lines */
    const char *hunk;     /* "@@" lines */
    const char *del;      /* "-" lines */
    const char *add;      /* "+" lines */
    const char *span_on;  /* inside a "+" line: start of an injected span */
    const char *span_off; /* ... and its end */
    const char *reset;
} sst_diff_colors;

extern const sst_diff_colors sst_diff_ansi;

/* Appends to BUF the unified diff (3 lines of context) between SRC and SRC
 * with INS applied (sorted by offset). Nothing when NINS is 0. COLORS NULL
 * means plain text. Lines are copied as bytes, line endings included. */
int sst_diff_format(sst_buf *buf, const char *rel, const char *src, size_t len,
                    const sst_insertion *ins, size_t nins, const sst_diff_colors *colors);

/* ---- manifest.c: OUT/.sst/manifest.json ----------------------------------- */

#define SST_MANIFEST_DIR ".sst"
#define SST_MANIFEST_PATH ".sst/manifest.json"
#define SST_REPORT_PATH ".sst/report.json"
#define SST_MANIFEST_FORMAT 1

typedef enum {
    SST_ENTRY_INSTRUMENTED = 0,
    SST_ENTRY_UNCHANGED,
    SST_ENTRY_ALREADY,
    SST_ENTRY_UNPARSEABLE,
    SST_ENTRY_COPIED,        /* not Python: copied as it is */
    SST_ENTRY_ERROR,         /* failed: never counted as up to date */
    SST_ENTRY_COUNT
} sst_entry_status;

const char *sst_entry_status_name(sst_entry_status status);

typedef struct sst_manifest_site {
    unsigned id;
    char *kind;
    unsigned line;
    unsigned column;
    char *path;              /* NULL: no API path */
} sst_manifest_site;

typedef struct sst_manifest_entry {
    char *path;              /* relative path under OUT */
    sst_entry_status status;
    char *encoding;          /* Python files only, else NULL */
    int has_input_hash;
    uint64_t input_hash;
    int has_output_hash;
    uint64_t output_hash;
    unsigned problem_line;   /* unparseable or error: 0 if no line */
    char *problem;           /* unparseable or error: what, else NULL */
    sst_manifest_site *sites;
    size_t nsites;
    unsigned *added_lines;
    size_t nadded_lines;
} sst_manifest_entry;

typedef struct sst_manifest {
    char *version;           /* tool version that wrote it */
    int abi;
    uint64_t options_hash;
    char *profile;
    sst_manifest_entry *entries;   /* sorted by path */
    size_t nentries;
} sst_manifest;

/* The manifest as JSON text (deterministic: no time, entries in order). */
int sst_manifest_format(sst_buf *buf, const sst_manifest *manifest);
int sst_manifest_parse(sst_manifest **out, const char *text, size_t len, sst_error *err);
/* Binary search by path (entries must be sorted). */
const sst_manifest_entry *sst_manifest_find(const sst_manifest *manifest, const char *path);
/* Deep copy of SRC into DST. */
int sst_manifest_entry_copy(sst_manifest_entry *dst, const sst_manifest_entry *src);
void sst_manifest_entry_clear(sst_manifest_entry *entry);
void sst_manifest_free(sst_manifest *manifest);

#endif
