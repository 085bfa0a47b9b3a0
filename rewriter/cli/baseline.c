/* The baseline: the findings a team has approved, by fingerprint and with the
 * categories approved for each. Written from a report (one finding a line,
 * so a review diff shows what is being approved), read back strictly: a bad
 * file is an error naming the file and the line of the bad entry. */
#include "report.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uthash.h>

typedef struct bentry {
    uint64_t hash;
    uint32_t categories;
    size_t index;
    unsigned line;
    UT_hash_handle hh;
} bentry;

struct sst_baseline {
    bentry *entries;
    size_t nentries;
    bentry *by_hash;
};

/* ---- writing ---------------------------------------------------------------- */

int sst_baseline_format(sst_buf *buf, sst_report *report)
{
    size_t n = sst_report_count(report), written = 0;
    sst_buf_printf(buf, "{\n  \"format\": %d,\n  \"findings\": [", SST_BASELINE_FORMAT);
    for (size_t k = 0; k < n; k++) {
        const sst_finding *f = sst_report_finding(report, k);
        if (f->suppressed) continue;   /* approved in the code already */
        sst_buf_puts(buf, written++ ? ",\n    {" : "\n    {");
        sst_buf_printf(buf, "\"fingerprint\": \"%s\", \"rule\": ", f->fingerprint);
        sst_json_string(buf, f->rule, strlen(f->rule));
        sst_buf_puts(buf, ", \"api\": ");
        sst_json_string(buf, f->api, strlen(f->api));
        sst_buf_puts(buf, ", \"file\": ");
        sst_json_string(buf, f->file, strlen(f->file));
        sst_buf_puts(buf, ", \"scope\": ");
        sst_json_string(buf, f->scope, strlen(f->scope));
        sst_buf_puts(buf, ", \"categories\": [");
        const char *sep = "";
        for (unsigned c = 0; c < SST_CAT_COUNT; c++)
            if (f->categories & (1u << c)) {
                sst_buf_printf(buf, "%s\"%s\"", sep, sst_category_name(c));
                sep = ", ";
            }
        sst_buf_puts(buf, "]}");
    }
    sst_buf_puts(buf, written ? "\n  ]\n}\n" : "]\n}\n");
    return buf->oom ? SST_ENOMEM : 0;
}

/* ---- reading ---------------------------------------------------------------- */

/* Where things are in TEXT, which sst_json_parse has accepted: the line of
 * each key of the root object, and of each element of its "findings" array.
 * Lines are counted at '\n', as the JSON reader counts them. */
typedef struct places {
    unsigned *keys;
    size_t nkeys;
    unsigned *elements;
    size_t nelements;
} places;

static int locate(places *pl, const char *text, size_t len, size_t nkeys, size_t nelements)
{
    pl->keys = calloc(nkeys ? nkeys : 1, sizeof *pl->keys);
    pl->elements = calloc(nelements ? nelements : 1, sizeof *pl->elements);
    if (!pl->keys || !pl->elements) return SST_ENOMEM;
    unsigned line = 1;
    int depth = 0, want_key = 0, findings_key = 0, in_findings = 0, want_element = 0;
    for (size_t i = 0; i < len; i++) {
        char c = text[i];
        if (c == '\n') { line++; continue; }
        if (c == ' ' || c == '\t' || c == '\r') continue;
        int value_start = c != ',' && c != ':' && c != '}' && c != ']';
        if (in_findings && depth == 2 && want_element && value_start) {
            if (pl->nelements < nelements) pl->elements[pl->nelements++] = line;
            want_element = 0;
        }
        if (c == '"') {
            size_t start = i + 1;
            for (i++; i < len && text[i] != '"'; i++)
                if (text[i] == '\\') i++;
            if (depth == 1 && want_key) {
                if (pl->nkeys < nkeys) pl->keys[pl->nkeys++] = line;
                findings_key = i - start == 8 && !memcmp(text + start, "findings", 8);
                want_key = 0;
            }
            continue;
        }
        switch (c) {
        case '{':
        case '[':
            if (depth == 1 && c == '[' && findings_key) {
                in_findings = 1;
                want_element = 1;
            }
            depth++;
            if (depth == 1) want_key = 1;
            break;
        case '}':
        case ']':
            depth--;
            if (depth == 1) in_findings = 0;
            break;
        case ',':
            if (depth == 1) want_key = 1;
            if (depth == 2 && in_findings) want_element = 1;
            break;
        default:
            break;
        }
    }
    return 0;
}

static int bad(sst_error *err, const char *name, unsigned line, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int bad(sst_error *err, const char *name, unsigned line, const char *fmt, ...)
{
    char message[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(message, sizeof message, fmt, ap);
    va_end(ap);
    sst_error_set(err, SST_EINVAL, name, line, "bad baseline: %s", message);
    return SST_EINVAL;
}

static const char *const entry_keys[] = { "fingerprint", "rule", "api", "file", "scope", "categories" };

static int category_bit(const char *name, uint32_t *bit)
{
    for (unsigned c = 0; c < SST_CAT_COUNT; c++)
        if (!strcmp(sst_category_name(c), name)) {
            *bit = 1u << c;
            return 1;
        }
    return 0;
}

static int read_entry(sst_baseline *b, const sst_json *v, unsigned line, const char *name,
                      sst_error *err)
{
    if (v->type != SST_JSON_OBJECT)
        return bad(err, name, line, "a finding must be an object");
    for (size_t k = 0; k < v->nitems; k++) {
        size_t e;
        for (e = 0; e < sizeof entry_keys / sizeof *entry_keys; e++)
            if (!strcmp(v->keys[k], entry_keys[e])) break;
        if (e == sizeof entry_keys / sizeof *entry_keys)
            return bad(err, name, line,
                       "unknown key \"%s\" in a finding (fingerprint, rule, api, file, scope, "
                       "categories)", v->keys[k]);
        if (strcmp(v->keys[k], "categories") && v->items[k].type != SST_JSON_STRING)
            return bad(err, name, line, "\"%s\" must be a string", v->keys[k]);
    }
    const sst_json *fp = sst_json_get(v, "fingerprint");
    const sst_json *cats = sst_json_get(v, "categories");
    uint64_t hash;
    if (!fp) return bad(err, name, line, "a finding has no \"fingerprint\"");
    if (strlen(fp->string) != fp->len || sst_hash_parse(&hash, fp->string))
        return bad(err, name, line, "fingerprint \"%s\" is not 16 lowercase hex digits", fp->string);
    if (!cats) return bad(err, name, line, "a finding has no \"categories\"");
    if (cats->type != SST_JSON_ARRAY)
        return bad(err, name, line, "\"categories\" must be a list of category names");
    uint32_t categories = 0;
    for (size_t k = 0; k < cats->nitems; k++) {
        uint32_t bit;
        if (cats->items[k].type != SST_JSON_STRING)
            return bad(err, name, line, "\"categories\" must be a list of category names");
        if (!category_bit(cats->items[k].string, &bit))
            return bad(err, name, line, "unknown category \"%s\"", cats->items[k].string);
        categories |= bit;
    }
    bentry *dup;
    HASH_FIND(hh, b->by_hash, &hash, sizeof hash, dup);
    if (dup)
        return bad(err, name, line, "fingerprint \"%s\" is listed twice (first on line %u)",
                   fp->string, dup->line);
    bentry *e = &b->entries[b->nentries];
    e->hash = hash;
    e->categories = categories;
    e->index = b->nentries++;
    e->line = line;
    HASH_ADD(hh, b->by_hash, hash, sizeof e->hash, e);
    return 0;
}

int sst_baseline_parse(sst_baseline **out, const char *text, size_t len, const char *name,
                       sst_error *err)
{
    sst_json *root = NULL;
    sst_baseline *b = NULL;
    places pl = {0};
    int rc = sst_json_parse(&root, text, len, name, err);
    if (rc) goto done;
    rc = SST_ENOMEM;
    if (!(b = calloc(1, sizeof *b))) goto done;
    if (root->type != SST_JSON_OBJECT) {
        rc = bad(err, name, 1, "expected an object {\"format\": 1, \"findings\": [...]}");
        goto done;
    }
    const sst_json *list = sst_json_get(root, "findings");
    size_t nelements = list && list->type == SST_JSON_ARRAY ? list->nitems : 0;
    if ((rc = locate(&pl, text, len, root->nitems, nelements))) goto done;
    for (size_t k = 0; k < root->nitems; k++)
        if (strcmp(root->keys[k], "format") && strcmp(root->keys[k], "findings")) {
            rc = bad(err, name, k < pl.nkeys ? pl.keys[k] : 1,
                     "unknown key \"%s\" (format, findings)", root->keys[k]);
            goto done;
        }
    const sst_json *format = sst_json_get(root, "format");
    if (!format) {
        rc = bad(err, name, 1, "no \"format\"");
        goto done;
    }
    if (format->type != SST_JSON_NUMBER || format->number != SST_BASELINE_FORMAT) {
        unsigned at = 1;
        for (size_t k = 0; k < root->nitems && k < pl.nkeys; k++)
            if (!strcmp(root->keys[k], "format")) at = pl.keys[k];
        rc = bad(err, name, at, "unsupported \"format\" (this sst-rewrite reads format %d)", SST_BASELINE_FORMAT);
        goto done;
    }
    if (!list || list->type != SST_JSON_ARRAY) {
        unsigned at = 1;
        for (size_t k = 0; k < root->nitems && k < pl.nkeys; k++)
            if (!strcmp(root->keys[k], "findings")) at = pl.keys[k];
        rc = bad(err, name, at, "\"findings\" must be a list");
        goto done;
    }
    rc = SST_ENOMEM;
    if (!(b->entries = calloc(list->nitems ? list->nitems : 1, sizeof *b->entries))) goto done;
    for (size_t k = 0; k < list->nitems; k++) {
        unsigned line = k < pl.nelements ? pl.elements[k] : 1;
        if ((rc = read_entry(b, &list->items[k], line, name, err))) goto done;
    }
    *out = b;
    b = NULL;
    rc = 0;
done:
    if (rc == SST_ENOMEM) sst_error_set(err, SST_ENOMEM, name, 0, "out of memory");
    free(pl.keys);
    free(pl.elements);
    sst_baseline_free(b);
    sst_json_free(root);
    return rc;
}

int sst_baseline_load(sst_baseline **out, const char *path, sst_error *err)
{
    char *text = NULL;
    size_t len = 0;
    int rc = sst_file_read(&text, &len, path, err);
    if (rc) return rc;
    rc = sst_baseline_parse(out, text, len, path, err);
    free(text);
    return rc;
}

size_t sst_baseline_count(const sst_baseline *baseline)
{
    return baseline ? baseline->nentries : 0;
}

int sst_baseline_lookup(const sst_baseline *baseline, const char *fingerprint,
                        uint32_t *categories, size_t *index)
{
    uint64_t hash;
    bentry *e;
    if (!baseline || sst_hash_parse(&hash, fingerprint)) return 0;
    HASH_FIND(hh, baseline->by_hash, &hash, sizeof hash, e);
    if (!e) return 0;
    *categories = e->categories;
    *index = e->index;
    return 1;
}

void sst_baseline_free(sst_baseline *baseline)
{
    if (!baseline) return;
    HASH_CLEAR(hh, baseline->by_hash);
    free(baseline->entries);
    free(baseline);
}
