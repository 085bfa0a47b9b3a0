/* The static report of sst-rewrite: the findings of a run (every resolved
 * external, store, log and config site), their fingerprints and inline
 * "# sst: ignore" suppressions, the JSON and SARIF 2.1.0 writers (report.c),
 * and the baseline of approved findings that CI gates on (baseline.c). */
#ifndef SST_REPORT_H
#define SST_REPORT_H

#include <stddef.h>
#include <stdint.h>

#include "cli.h"

#define SST_REPORT_FORMAT 1
#define SST_BASELINE_FORMAT 1
/* The key of the fingerprint in a SARIF result's partialFingerprints. */
#define SST_FINGERPRINT_KEY "sstFinding/v1"

/* A finding's standing against a baseline. */
typedef enum {
    SST_MARK_NONE = 0,   /* no baseline was applied */
    SST_MARK_NEW,        /* its fingerprint is not in the baseline */
    SST_MARK_WIDENED,    /* in the baseline, but a category its entry lacks reaches it (new) */
    SST_MARK_APPROVED    /* in the baseline, with no category beyond the approved ones */
} sst_mark;

typedef struct sst_finding {
    char fingerprint[17];    /* 16 lowercase hex digits of XXH3-64, see report.c */
    const char *kind;        /* "external", "store", "log" or "config" */
    const char *rule;        /* KIND/SERVICE: "external/openai" */
    const char *service;     /* "openai" */
    const char *api;         /* "openai.OpenAI().responses.create" */
    const char *destination; /* fixed host of the catalogue entry, NULL if none */
    const char *file;        /* relative to its SRC argument, '/'-separated */
    const char *root;        /* prefix of FILE in SARIF locations ("" none), see add_file */
    const char *scope;       /* "InsightService.explain", "" at module level */
    uint32_t categories;     /* SST_CAT_* bits */
    unsigned line;           /* 1-based */
    unsigned column;         /* 1-based, in characters */
    unsigned end_column;     /* 1-based column just after the last non-blank character of
                                the line (SARIF region end), at least COLUMN + 1 */
    unsigned order;          /* index of its site in the file's sst_result (a tie-break) */
    int suppressed;          /* an "# sst: ignore" comment on its line matches it */
    sst_mark mark;
} sst_finding;

typedef struct sst_baseline sst_baseline;

/* The findings of a run. Files may be added from several threads at once;
 * whatever the order, readers see the findings sorted by file (bytes),
 * line, column and site order, so every output is the same byte for byte. */
typedef struct sst_report sst_report;

int sst_report_new(sst_report **out);

/* Adds the findings of one Python file: FILE is its path relative to its SRC
 * argument ('/'-separated; used in the report, the fingerprints and the
 * baseline), SRC/LEN its original bytes (for "# sst: ignore" comments and the
 * SARIF region end), RESULT what the core returned for it. Sites of kind
 * external, store, log and config are findings; the others are not. ROOT is
 * what SARIF prefixes to FILE so that its location is relative to the
 * directory the SARIF file is read against (the repository root on GitHub):
 * the SRC argument as given when it is a relative path ("src" for
 * `sst-rewrite src`), NULL or "" for none; an absolute ROOT makes file://
 * URIs. Counts the file in summary.files even when it has no finding.
 * Thread-safe. */
int sst_report_add_file(sst_report *report, const char *root, const char *file,
                        const char *src, size_t len, const sst_result *result,
                        sst_error *err);

/* The findings, sorted. These and every function below run on one thread,
 * after the last sst_report_add_file. */
size_t sst_report_count(sst_report *report);
const sst_finding *sst_report_finding(sst_report *report, size_t index);

typedef struct sst_report_counts {
    size_t files;          /* files added */
    size_t findings;
    size_t suppressed;
    size_t fresh;          /* unsuppressed findings that are new (or widened); with no
                              baseline applied, every unsuppressed finding */
    size_t approved;       /* unsuppressed findings the baseline approves */
    size_t stale;          /* baseline entries no finding matched */
    int baselined;         /* a baseline was applied */
} sst_report_counts;

void sst_report_counts_get(sst_report_counts *out, sst_report *report);

/* What `--fail-on new` checks: the number of unsuppressed new findings
 * (counts.fresh). Nonzero means exit 1. */
size_t sst_report_gate(sst_report *report);

/* Marks each finding new, widened or approved and counts the baseline's stale
 * entries. Applying another baseline replaces the marks. */
int sst_report_apply_baseline(sst_report *report, const sst_baseline *baseline);

/* The JSON report (docs/report.md), ending in a newline. */
int sst_report_format_json(sst_buf *buf, sst_report *report);

typedef struct sst_sarif_options {
    const char *information_uri;  /* tool.driver.informationUri; NULL: left out */
    const char *srcroot_uri;      /* absolute URI of the directory "%SRCROOT%" stands for
                                     (run.originalUriBaseIds); NULL: left out */
} sst_sarif_options;

/* SARIF 2.1.0 as GitHub code scanning reads it (docs/report.md). OPTIONS may be NULL. */
int sst_report_format_sarif(sst_buf *buf, sst_report *report, const sst_sarif_options *options);

/* The projection of the report that fixtures/projects/NAME.expected holds
 * (issue-3 spec, section 5): one line per finding, in the report's order,
 *     FILE:LINE KIND API CATEGORIES[ suppressed]
 * CATEGORIES comma-joined in catalogue order, or "-". */
int sst_report_format_expected(sst_buf *buf, sst_report *report);

/* Compares a hand-written expectation file (TEXT, named NAME in messages)
 * with REPORT. Blank lines and lines starting with '#' are skipped. A line
 * that is not in the format above, or out of the report's order (file, then
 * line), is SST_EINVAL naming NAME and its line. Otherwise returns 0 and sets
 * *DIFFERENCES to the number of lines that differ, each appended to DIFF as
 * "NAME:LINE: expected, not reported: TEXT" or "NAME: reported, not
 * expected: TEXT". */
int sst_report_check_expected(size_t *differences, sst_buf *diff, sst_report *report,
                              const char *text, size_t len, const char *name, sst_error *err);

void sst_report_free(sst_report *report);

/* ---- baseline.c ------------------------------------------------------------ */

/* Reads a baseline file (JSON, docs/report.md). Anything wrong is SST_EINVAL
 * with ERR naming NAME and the line of the bad finding. */
int sst_baseline_parse(sst_baseline **out, const char *text, size_t len, const char *name,
                       sst_error *err);
int sst_baseline_load(sst_baseline **out, const char *path, sst_error *err);
size_t sst_baseline_count(const sst_baseline *baseline);
void sst_baseline_free(sst_baseline *baseline);

/* The baseline that approves every unsuppressed finding of REPORT, ending in a
 * newline, for `--write-baseline` (write it atomically). */
int sst_baseline_format(sst_buf *buf, sst_report *report);

/* The entry with FINGERPRINT (16 hex digits): 1 and its approved categories
 * and its index (0 .. count-1), or 0 if there is none. */
int sst_baseline_lookup(const sst_baseline *baseline, const char *fingerprint,
                        uint32_t *categories, size_t *index);

#endif
