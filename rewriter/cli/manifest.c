/* OUT/.sst/manifest.json: what a run produced, file by file (hashes, status,
 * sites, added lines), written deterministically so that the same inputs give
 * the same bytes, and read back so a re-run can skip files that are current. */
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static const char *const status_names[SST_ENTRY_COUNT] = {
    "instrumented", "unchanged", "already", "unparseable", "copied", "error"
};

const char *sst_entry_status_name(sst_entry_status status)
{
    return (unsigned)status < SST_ENTRY_COUNT ? status_names[status] : "?";
}

static void put_key(sst_buf *b, const char *indent, const char *key)
{
    sst_buf_printf(b, "%s\"%s\": ", indent, key);
}

static void put_str(sst_buf *b, const char *s)
{
    if (s) sst_json_string(b, s, strlen(s));
    else sst_buf_puts(b, "null");
}

static void put_hash(sst_buf *b, int has, uint64_t hash)
{
    char hex[17];
    if (!has) { sst_buf_puts(b, "null"); return; }
    sst_hash_hex(hex, hash);
    sst_buf_printf(b, "\"%s\"", hex);
}

int sst_manifest_format(sst_buf *b, const sst_manifest *m)
{
    sst_buf_puts(b, "{\n");
    sst_buf_printf(b, "  \"manifest\": %d,\n", SST_MANIFEST_FORMAT);
    sst_buf_puts(b, "  \"tool\": \"sst-rewrite\",\n");
    put_key(b, "  ", "version");
    put_str(b, m->version);
    sst_buf_printf(b, ",\n  \"abi\": %d,\n", m->abi);
    put_key(b, "  ", "options_hash");
    put_hash(b, 1, m->options_hash);
    sst_buf_puts(b, ",\n  \"options\": {\"profile\": ");
    put_str(b, m->profile);
    sst_buf_puts(b, "},\n  \"files\": [");
    for (size_t i = 0; i < m->nentries; i++) {
        const sst_manifest_entry *e = &m->entries[i];
        sst_buf_puts(b, i ? ",\n    {\n" : "\n    {\n");
        put_key(b, "      ", "path");
        put_str(b, e->path);
        sst_buf_puts(b, ",\n");
        put_key(b, "      ", "status");
        put_str(b, sst_entry_status_name(e->status));
        sst_buf_puts(b, ",\n");
        put_key(b, "      ", "encoding");
        put_str(b, e->encoding);
        sst_buf_puts(b, ",\n");
        put_key(b, "      ", "input_hash");
        put_hash(b, e->has_input_hash, e->input_hash);
        sst_buf_puts(b, ",\n");
        put_key(b, "      ", "output_hash");
        put_hash(b, e->has_output_hash, e->output_hash);
        sst_buf_puts(b, ",\n");
        put_key(b, "      ", "problem");
        if (e->problem) {
            sst_buf_printf(b, "{\"line\": %u, \"message\": ", e->problem_line);
            put_str(b, e->problem);
            sst_buf_puts(b, "}");
        } else {
            sst_buf_puts(b, "null");
        }
        sst_buf_puts(b, ",\n");
        put_key(b, "      ", "sites");
        sst_buf_puts(b, "[");
        for (size_t s = 0; s < e->nsites; s++) {
            const sst_manifest_site *site = &e->sites[s];
            sst_buf_printf(b, "%s\n        {\"id\": %u, \"kind\": ", s ? "," : "", site->id);
            put_str(b, site->kind);
            sst_buf_printf(b, ", \"line\": %u, \"column\": %u, \"path\": ", site->line,
                           site->column);
            put_str(b, site->path);
            sst_buf_puts(b, "}");
        }
        sst_buf_puts(b, e->nsites ? "\n      ],\n" : "],\n");
        put_key(b, "      ", "added_lines");
        sst_buf_puts(b, "[");
        for (size_t a = 0; a < e->nadded_lines; a++)
            sst_buf_printf(b, "%s%u", a ? ", " : "", e->added_lines[a]);
        sst_buf_puts(b, "]\n    }");
    }
    sst_buf_puts(b, m->nentries ? "\n  ]\n}\n" : "]\n}\n");
    return b->oom ? SST_ENOMEM : 0;
}

/* ---- reading ---------------------------------------------------------------- */

static int bad(sst_error *err, const char *what)
{
    sst_error_set(err, SST_EINVAL, SST_MANIFEST_PATH, 0, "not a valid manifest: %s", what);
    return SST_EINVAL;
}

static int get_uint(const sst_json *obj, const char *key, unsigned *out)
{
    const sst_json *v = sst_json_get(obj, key);
    if (!v || v->type != SST_JSON_NUMBER || v->number < 0 || v->number > 4294967295.0 ||
        v->number != (double)(unsigned)v->number)
        return SST_EINVAL;
    *out = (unsigned)v->number;
    return 0;
}

/* A string or null member: *OUT is a copy or NULL. Missing or other types fail. */
static int get_str(const sst_json *obj, const char *key, char **out, int nullable)
{
    const sst_json *v = sst_json_get(obj, key);
    *out = NULL;
    if (v && v->type == SST_JSON_NULL && nullable) return 0;
    if (!v || v->type != SST_JSON_STRING) return SST_EINVAL;
    if (!(*out = malloc(v->len + 1))) return SST_ENOMEM;
    memcpy(*out, v->string, v->len + 1);
    return 0;
}

static int get_hash(const sst_json *obj, const char *key, int *has, uint64_t *hash)
{
    const sst_json *v = sst_json_get(obj, key);
    *has = 0;
    if (v && v->type == SST_JSON_NULL) return 0;
    if (!v || v->type != SST_JSON_STRING || sst_hash_parse(hash, v->string)) return SST_EINVAL;
    *has = 1;
    return 0;
}

static int parse_entry(sst_manifest_entry *e, const sst_json *o)
{
    int rc;
    if (o->type != SST_JSON_OBJECT) return SST_EINVAL;
    if ((rc = get_str(o, "path", &e->path, 0))) return rc;
    const sst_json *st = sst_json_get(o, "status");
    if (!st || st->type != SST_JSON_STRING) return SST_EINVAL;
    e->status = SST_ENTRY_COUNT;
    for (int i = 0; i < SST_ENTRY_COUNT; i++)
        if (strcmp(st->string, status_names[i]) == 0) e->status = (sst_entry_status)i;
    if (e->status == SST_ENTRY_COUNT) return SST_EINVAL;
    if ((rc = get_str(o, "encoding", &e->encoding, 1))) return rc;
    if ((rc = get_hash(o, "input_hash", &e->has_input_hash, &e->input_hash))) return rc;
    if ((rc = get_hash(o, "output_hash", &e->has_output_hash, &e->output_hash))) return rc;
    const sst_json *pr = sst_json_get(o, "problem");
    if (!pr) return SST_EINVAL;
    if (pr->type == SST_JSON_OBJECT) {
        if ((rc = get_uint(pr, "line", &e->problem_line))) return rc;
        if ((rc = get_str(pr, "message", &e->problem, 0))) return rc;
    } else if (pr->type != SST_JSON_NULL) {
        return SST_EINVAL;
    }
    const sst_json *sites = sst_json_get(o, "sites");
    if (!sites || sites->type != SST_JSON_ARRAY) return SST_EINVAL;
    if (sites->nitems && !(e->sites = calloc(sites->nitems, sizeof *e->sites))) return SST_ENOMEM;
    for (size_t i = 0; i < sites->nitems; i++) {
        const sst_json *so = &sites->items[i];
        sst_manifest_site *s = &e->sites[i];
        e->nsites++;
        if (so->type != SST_JSON_OBJECT) return SST_EINVAL;
        if ((rc = get_uint(so, "id", &s->id)) || (rc = get_uint(so, "line", &s->line)) ||
            (rc = get_uint(so, "column", &s->column)) ||
            (rc = get_str(so, "kind", &s->kind, 0)) || (rc = get_str(so, "path", &s->path, 1)))
            return rc;
    }
    const sst_json *added = sst_json_get(o, "added_lines");
    if (!added || added->type != SST_JSON_ARRAY) return SST_EINVAL;
    if (added->nitems &&
        !(e->added_lines = calloc(added->nitems, sizeof *e->added_lines)))
        return SST_ENOMEM;
    for (size_t i = 0; i < added->nitems; i++) {
        const sst_json *a = &added->items[i];
        if (a->type != SST_JSON_NUMBER || a->number < 0 || a->number > 4294967295.0)
            return SST_EINVAL;
        e->added_lines[i] = (unsigned)a->number;
        e->nadded_lines++;
    }
    return 0;
}

static int cmp_entries(const void *a, const void *b)
{
    return strcmp(((const sst_manifest_entry *)a)->path, ((const sst_manifest_entry *)b)->path);
}

int sst_manifest_parse(sst_manifest **out, const char *text, size_t len, sst_error *err)
{
    sst_json *root = NULL;
    sst_manifest *m = calloc(1, sizeof *m);
    int rc = SST_ENOMEM;
    if (!m) goto done;
    if ((rc = sst_json_parse(&root, text, len, SST_MANIFEST_PATH, err))) goto done;
    unsigned format, abi;
    rc = SST_EINVAL;
    if (root->type != SST_JSON_OBJECT) { bad(err, "not an object"); goto done; }
    if (get_uint(root, "manifest", &format) || format != SST_MANIFEST_FORMAT) {
        bad(err, "unknown format version");
        goto done;
    }
    const sst_json *opts = sst_json_get(root, "options");
    if ((rc = get_str(root, "version", &m->version, 0)) || (rc = get_uint(root, "abi", &abi))) {
        if (rc == SST_EINVAL) bad(err, "no version or abi");
        goto done;
    }
    m->abi = (int)abi;
    int has;
    if (get_hash(root, "options_hash", &has, &m->options_hash) || !has || !opts ||
        get_str(opts, "profile", &m->profile, 0)) {
        rc = bad(err, "no options");
        goto done;
    }
    const sst_json *files = sst_json_get(root, "files");
    if (!files || files->type != SST_JSON_ARRAY) { rc = bad(err, "no files"); goto done; }
    if (files->nitems && !(m->entries = calloc(files->nitems, sizeof *m->entries))) {
        rc = SST_ENOMEM;
        goto done;
    }
    for (size_t i = 0; i < files->nitems; i++) {
        m->nentries++;
        if ((rc = parse_entry(&m->entries[i], &files->items[i]))) {
            if (rc == SST_EINVAL) bad(err, "a bad file entry");
            goto done;
        }
    }
    if (m->nentries) qsort(m->entries, m->nentries, sizeof *m->entries, cmp_entries);
    *out = m;
    m = NULL;
    rc = 0;
done:
    if (rc == SST_ENOMEM) sst_error_set(err, SST_ENOMEM, SST_MANIFEST_PATH, 0, "out of memory");
    sst_json_free(root);
    sst_manifest_free(m);
    return rc;
}

const sst_manifest_entry *sst_manifest_find(const sst_manifest *m, const char *path)
{
    size_t lo = 0, hi = m ? m->nentries : 0;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(m->entries[mid].path, path);
        if (c == 0) return &m->entries[mid];
        if (c < 0) lo = mid + 1;
        else hi = mid;
    }
    return NULL;
}

static int dup_str(char **dst, const char *src)
{
    *dst = NULL;
    if (!src) return 0;
    return (*dst = strdup(src)) ? 0 : SST_ENOMEM;
}

int sst_manifest_entry_copy(sst_manifest_entry *dst, const sst_manifest_entry *src)
{
    memset(dst, 0, sizeof *dst);
    int rc = SST_ENOMEM;
    dst->status = src->status;
    dst->has_input_hash = src->has_input_hash;
    dst->input_hash = src->input_hash;
    dst->has_output_hash = src->has_output_hash;
    dst->output_hash = src->output_hash;
    dst->problem_line = src->problem_line;
    if (dup_str(&dst->path, src->path) || dup_str(&dst->encoding, src->encoding) ||
        dup_str(&dst->problem, src->problem))
        goto done;
    if (src->nsites && !(dst->sites = calloc(src->nsites, sizeof *dst->sites))) goto done;
    for (size_t i = 0; i < src->nsites; i++) {
        dst->nsites++;
        dst->sites[i].id = src->sites[i].id;
        dst->sites[i].line = src->sites[i].line;
        dst->sites[i].column = src->sites[i].column;
        if (dup_str(&dst->sites[i].kind, src->sites[i].kind) ||
            dup_str(&dst->sites[i].path, src->sites[i].path))
            goto done;
    }
    if (src->nadded_lines) {
        if (!(dst->added_lines = malloc(src->nadded_lines * sizeof *dst->added_lines))) goto done;
        memcpy(dst->added_lines, src->added_lines, src->nadded_lines * sizeof *dst->added_lines);
        dst->nadded_lines = src->nadded_lines;
    }
    rc = 0;
done:
    if (rc) sst_manifest_entry_clear(dst);
    return rc;
}

void sst_manifest_entry_clear(sst_manifest_entry *e)
{
    free(e->path);
    free(e->encoding);
    free(e->problem);
    for (size_t i = 0; i < e->nsites; i++) {
        free(e->sites[i].kind);
        free(e->sites[i].path);
    }
    free(e->sites);
    free(e->added_lines);
    memset(e, 0, sizeof *e);
}

void sst_manifest_free(sst_manifest *m)
{
    if (!m) return;
    for (size_t i = 0; i < m->nentries; i++) sst_manifest_entry_clear(&m->entries[i]);
    free(m->entries);
    free(m->version);
    free(m->profile);
    free(m);
}
