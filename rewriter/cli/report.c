/* The static report: findings made from the core's sites (fingerprints,
 * "# sst: ignore" comments read with a small Python lexer so that text in a
 * string is never taken for a comment), kept sorted across threads, marked
 * against a baseline, and written as JSON or as SARIF 2.1.0. */
#define _GNU_SOURCE   /* memmem */
#include "report.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

/* A finding and the one block holding its strings. */
typedef struct item {
    sst_finding f;
    char *mem;
} item;

struct sst_report {
    pthread_mutex_t mu;
    item *items;
    size_t nitems;
    size_t capitems;
    size_t files;
    int sorted;
    int baselined;
    size_t stale;
};

/* ---- comments: a lexer that knows Python's strings ------------------------- */

/* A comment on LINE whose text (after '#', to the end of the line) holds "sst:". */
typedef struct comment {
    unsigned line;
    size_t start;
    size_t end;
} comment;

/* A string being lexed: its quote, whether tripled, an f/t-string, raw. */
typedef struct quoting {
    unsigned char q;
    int triple;
    int fmt;
    int raw;
} quoting;

typedef struct lexer {
    const unsigned char *s;
    size_t n;
    size_t i;
    unsigned line;
    comment *comments;
    size_t ncomments;
    size_t cap;
    int oom;
} lexer;

enum { MAX_FSTRING_DEPTH = 64 };

static int is_nl(unsigned char c) { return c == '\n' || c == '\r'; }

static int is_word(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c >= 0x80;
}

/* Consumes one line break (\n, \r\n or a lone \r, as the core counts lines). */
static void lex_newline(lexer *lx)
{
    if (lx->s[lx->i] == '\r' && lx->i + 1 < lx->n && lx->s[lx->i + 1] == '\n') lx->i += 2;
    else lx->i++;
    lx->line++;
}

static void lex_comment(lexer *lx)
{
    size_t start = ++lx->i;
    while (lx->i < lx->n && !is_nl(lx->s[lx->i])) lx->i++;
    if (!memmem(lx->s + start, lx->i - start, "sst:", 4)) return;
    if (lx->ncomments == lx->cap) {
        size_t cap = lx->cap ? lx->cap * 2 : 16;
        comment *c = realloc(lx->comments, cap * sizeof *c);
        if (!c) { lx->oom = 1; return; }
        lx->comments = c;
        lx->cap = cap;
    }
    lx->comments[lx->ncomments++] = (comment){ lx->line, start, lx->i };
}

/* Whether the LEN letters at W are a string prefix (r, u, b, f, t and the
 * pairs of r with b, f or t, any case); sets what they mean. */
static int string_prefix(const unsigned char *w, size_t len, quoting *qt)
{
    int r = 0, u = 0, b = 0, f = 0;
    if (len == 0 || len > 2) return 0;
    for (size_t k = 0; k < len; k++) {
        switch (w[k] | 0x20) {
        case 'r': r++; break;
        case 'u': u++; break;
        case 'b': b++; break;
        case 'f': case 't': f++; break;
        default: return 0;
        }
    }
    if (r > 1 || u > 1 || b > 1 || f > 1 || (u && len > 1) || (b && f)) return 0;
    qt->raw = r;
    qt->fmt = f;
    return 1;
}

static void lex_string(lexer *lx, quoting qt, int depth);

/* Code: at top level (FIELD NULL), or inside a replacement field "{...}" of
 * the f-string FIELD, where it ends at the matching '}' or goes on into a
 * format spec at a ':' outside brackets. */
static void lex_code(lexer *lx, const quoting *field, int depth);

/* The body of a string, up to (not including) its closing quote. SPEC: the
 * format spec of a replacement field, which ends at (and consumes) a '}'. */
static void lex_body(lexer *lx, const quoting *qt, int spec, int depth)
{
    const unsigned char *s = lx->s;
    while (lx->i < lx->n) {
        unsigned char c = s[lx->i];
        if (c == '\\') {
            if (lx->i + 1 >= lx->n) { lx->i++; return; }
            unsigned char d = s[lx->i + 1];
            if (qt->fmt && (d == '{' || d == '}')) { lx->i++; continue; }
            if (qt->fmt && !qt->raw && d == 'N' && lx->i + 2 < lx->n && s[lx->i + 2] == '{') {
                lx->i += 3;    /* \N{NAME}: its braces are not a replacement field */
                while (lx->i < lx->n && s[lx->i] != '}' && !is_nl(s[lx->i])) lx->i++;
                if (lx->i < lx->n && s[lx->i] == '}') lx->i++;
                continue;
            }
            lx->i++;
            if (is_nl(d)) lex_newline(lx);
            else lx->i++;
            continue;
        }
        if (is_nl(c)) {
            if (!qt->triple) return;   /* unterminated: the line ends it */
            lex_newline(lx);
            continue;
        }
        if (c == qt->q) {
            if (!qt->triple) return;
            if (lx->i + 2 < lx->n && s[lx->i + 1] == c && s[lx->i + 2] == c) return;
            lx->i++;
            continue;
        }
        if (qt->fmt && c == '{') {
            if (!spec && lx->i + 1 < lx->n && s[lx->i + 1] == '{') { lx->i += 2; continue; }
            lx->i++;
            if (depth < MAX_FSTRING_DEPTH) lex_code(lx, qt, depth + 1);
            continue;
        }
        if (qt->fmt && c == '}') {
            lx->i++;
            if (spec) return;
            if (lx->i < lx->n && s[lx->i] == '}') lx->i++;
            continue;
        }
        lx->i++;
    }
}

static void lex_string(lexer *lx, quoting qt, int depth)
{
    size_t width = qt.triple ? 3 : 1;
    lx->i += width;
    lex_body(lx, &qt, 0, depth);
    if (lx->i < lx->n && lx->s[lx->i] == qt.q) lx->i += width;
}

static void lex_code(lexer *lx, const quoting *field, int depth)
{
    const unsigned char *s = lx->s;
    int brackets = 0;
    while (lx->i < lx->n) {
        unsigned char c = s[lx->i];
        if (c == '#') { lex_comment(lx); continue; }
        if (is_nl(c)) {
            if (field && !field->triple) return;   /* leaves the one-line f-string too */
            lex_newline(lx);
            continue;
        }
        if (c == '\\' && lx->i + 1 < lx->n && is_nl(s[lx->i + 1])) {
            lx->i++;
            lex_newline(lx);
            continue;
        }
        quoting qt = { 0, 0, 0, 0 };
        if (is_word(c)) {
            size_t w = lx->i;
            while (lx->i < lx->n && is_word(s[lx->i])) lx->i++;
            if (lx->i < lx->n && (s[lx->i] == '"' || s[lx->i] == '\'') &&
                string_prefix(s + w, lx->i - w, &qt))
                c = s[lx->i];
            else
                continue;
        }
        if (c == '"' || c == '\'') {
            qt.q = c;
            qt.triple = lx->i + 2 < lx->n && s[lx->i + 1] == c && s[lx->i + 2] == c;
            lex_string(lx, qt, depth);
            continue;
        }
        if (field) {
            if (c == '(' || c == '[' || c == '{') brackets++;
            else if ((c == ')' || c == ']') && brackets) brackets--;
            else if (c == '}') {
                if (!brackets) { lx->i++; return; }
                brackets--;
            } else if (c == ':' && !brackets) {
                lx->i++;
                lex_body(lx, field, 1, depth);
                return;
            }
        }
        lx->i++;
    }
}

/* The comments holding "sst:" of a whole file, in line order. */
static int find_comments(comment **out, size_t *count, const char *src, size_t len)
{
    lexer lx = { (const unsigned char *)src, len, 0, 1, NULL, 0, 0, 0 };
    *out = NULL;
    *count = 0;
    if (!src || !memmem(src, len, "sst:", 4)) return 0;   /* the common case: nothing to lex */
    if (len >= 3 && !memcmp(src, "\xEF\xBB\xBF", 3)) lx.i = 3;
    lex_code(&lx, NULL, 0);
    if (lx.oom) {
        free(lx.comments);
        return SST_ENOMEM;
    }
    *out = lx.comments;
    *count = lx.ncomments;
    return 0;
}

static const comment *comment_on(const comment *c, size_t n, unsigned line)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (c[mid].line < line) lo = mid + 1;
        else hi = mid;
    }
    return lo < n && c[lo].line == line ? &c[lo] : NULL;
}

static int id_matches(const char *id, size_t len, const char *value)
{
    return strlen(value) == len && !memcmp(id, value, len);
}

/* Whether the comment TEXT (LEN bytes) suppresses the finding F: a directive
 * "sst: ignore" alone, or "sst: ignore[ID, ...]" listing its rule, service
 * or fingerprint. A malformed list (no closing ']') suppresses nothing. */
static int suppresses(const char *text, size_t len, const sst_finding *f)
{
    const char *end = text + len;
    const char *p = text;
    while ((p = memmem(p, (size_t)(end - p), "sst:", 4))) {
        const char *q = p + 4;
        int boundary = p == text || !is_word((unsigned char)p[-1]);
        p = q;
        if (!boundary) continue;
        while (q < end && (*q == ' ' || *q == '\t')) q++;
        if (end - q < 6 || memcmp(q, "ignore", 6)) continue;
        q += 6;
        if (q < end && *q != '[' && *q != ' ' && *q != '\t' && *q != '#') continue; /* "ignored" */
        while (q < end && (*q == ' ' || *q == '\t')) q++;
        if (q == end || *q != '[') return 1;   /* bare: every finding on the line */
        const char *close = memchr(q, ']', (size_t)(end - q));
        if (!close) continue;
        for (const char *a = q + 1; a < close;) {
            const char *comma = memchr(a, ',', (size_t)(close - a));
            const char *b = comma ? comma : close;
            const char *x = a, *y = b;
            while (x < y && (*x == ' ' || *x == '\t')) x++;
            while (y > x && (y[-1] == ' ' || y[-1] == '\t')) y--;
            size_t n = (size_t)(y - x);
            if (n && (id_matches(x, n, f->rule) || id_matches(x, n, f->service) ||
                      id_matches(x, n, f->fingerprint)))
                return 1;
            a = b + 1;
        }
    }
    return 0;
}

/* ---- findings of one file ------------------------------------------------- */

static int is_finding(sst_site_kind kind)
{
    return kind == SST_SITE_EXTERNAL || kind == SST_SITE_STORE || kind == SST_SITE_LOG ||
           kind == SST_SITE_CONFIG;
}

/* What a finding is made of before its strings are packed. */
typedef struct draft {
    const char *kind;
    const char *api;
    const char *service;
    size_t service_len;
    const char *host;
    const char *scope;
    uint32_t categories;
    unsigned line;
    unsigned column;
    unsigned end_column;
    unsigned order;
    unsigned occurrence;   /* N of the fingerprint */
} draft;

static int cmp_position(const void *a, const void *b)
{
    const draft *x = a, *y = b;
    if (x->line != y->line) return x->line < y->line ? -1 : 1;
    if (x->column != y->column) return x->column < y->column ? -1 : 1;
    return x->order < y->order ? -1 : x->order > y->order;
}

/* Same kind, api and scope together, in file order within. */
static int cmp_group(const void *a, const void *b)
{
    const draft *x = *(const draft *const *)a, *y = *(const draft *const *)b;
    int c = strcmp(x->kind, y->kind);
    if (!c) c = strcmp(x->api, y->api);
    if (!c) c = strcmp(x->scope, y->scope);
    if (!c) c = cmp_position(x, y);
    return c;
}

/* Characters in S[0..N) of a file in ENCODING: code points for UTF-8,
 * otherwise bytes (the single-byte encodings Python source uses). */
static unsigned count_chars(const unsigned char *s, size_t n, int utf8)
{
    unsigned chars = 0;
    for (size_t k = 0; k < n; k++)
        if (!utf8 || (s[k] & 0xC0) != 0x80) chars++;
    return chars;
}

/* Fills END_COLUMN of the drafts (sorted by line) from the source lines. */
static void end_columns(draft *d, size_t nd, const char *src, size_t len, const char *encoding)
{
    const unsigned char *s = (const unsigned char *)src;
    if (!s) len = 0;
    int utf8 = !encoding || !*encoding || !strncmp(encoding, "utf-8", 5) || !strncmp(encoding, "utf8", 4);
    size_t pos = 0;
    unsigned line = 1;
    if (len >= 3 && !memcmp(s, "\xEF\xBB\xBF", 3)) pos = 3;
    for (size_t k = 0; k < nd; k++) {
        while (line < d[k].line && pos < len) {
            while (pos < len && !is_nl(s[pos])) pos++;
            if (pos < len) pos += (s[pos] == '\r' && pos + 1 < len && s[pos + 1] == '\n') ? 2 : 1;
            line++;
        }
        size_t end = pos;
        while (end < len && !is_nl(s[end])) end++;
        while (end > pos && (s[end - 1] == ' ' || s[end - 1] == '\t' || s[end - 1] == '\f')) end--;
        unsigned col = count_chars(s + pos, end - pos, utf8) + 1;
        d[k].end_column = col > d[k].column ? col : d[k].column + 1;
    }
}

/* The service when the site has no catalogue entry: the API path's first
 * name ("unknown" without a path; the core always gives one). */
static void fallback_service(draft *d)
{
    size_t n = strcspn(d->api, ".(");
    d->service = n ? d->api : "unknown";
    d->service_len = n ? n : strlen("unknown");
}

static char *put(char **cursor, const char *s, size_t n)
{
    char *start = *cursor;
    memcpy(start, s, n);
    start[n] = '\0';
    *cursor += n + 1;
    return start;
}

static int root_is_empty(const char *root)
{
    return !root || !*root || !strcmp(root, ".") || !strcmp(root, "./");
}

/* Packs a draft into an item: one allocation for all its strings. */
static int make_item(item *it, const draft *d, const char *root, const char *file, sst_buf *fp)
{
    size_t kind_len = strlen(d->kind), api_len = strlen(d->api), scope_len = strlen(d->scope);
    size_t file_len = strlen(file);
    size_t root_len = root_is_empty(root) ? 0 : strlen(root);
    size_t host_len = d->host ? strlen(d->host) : 0;
    size_t total = (kind_len + 1 + d->service_len + 1) + (d->service_len + 1) + (api_len + 1) +
                   (host_len + 1) + (file_len + 1) + (root_len + 1) + (scope_len + 1);
    char *mem = malloc(total);
    if (!mem) return SST_ENOMEM;
    char *cur = mem;
    memset(it, 0, sizeof *it);
    it->mem = mem;
    sst_finding *f = &it->f;
    f->kind = d->kind;   /* a static name */
    f->rule = cur;       /* KIND/SERVICE */
    memcpy(cur, d->kind, kind_len);
    cur += kind_len;
    *cur++ = '/';
    memcpy(cur, d->service, d->service_len);
    cur += d->service_len;
    *cur++ = '\0';
    f->service = put(&cur, d->service, d->service_len);
    f->api = put(&cur, d->api, api_len);
    f->destination = d->host ? put(&cur, d->host, host_len) : NULL;
    f->file = put(&cur, file, file_len);
    f->root = put(&cur, root_len ? root : "", root_len);
    f->scope = put(&cur, d->scope, scope_len);
    f->categories = d->categories;
    f->line = d->line;
    f->column = d->column;
    f->end_column = d->end_column;
    f->order = d->order;

    /* file \0 kind \0 api \0 scope \0 N */
    fp->len = 0;
    sst_buf_append(fp, file, file_len + 1);
    sst_buf_append(fp, d->kind, kind_len + 1);
    sst_buf_append(fp, d->api, api_len + 1);
    sst_buf_append(fp, d->scope, scope_len + 1);
    sst_buf_printf(fp, "%u", d->occurrence);
    if (fp->oom) return SST_ENOMEM;
    sst_hash_hex(f->fingerprint, sst_hash_bytes(fp->data, fp->len));
    return 0;
}

int sst_report_add_file(sst_report *report, const char *root, const char *file,
                        const char *src, size_t len, const sst_result *result,
                        sst_error *err)
{
    draft *drafts = NULL;
    draft **groups = NULL;
    item *items = NULL;
    comment *comments = NULL;
    size_t ncomments = 0, nd = 0, made = 0;
    sst_buf fp = {0};
    int rc = SST_ENOMEM;

    if (!file) file = "";
    for (size_t k = 0; result && k < result->nsites; k++)
        if (is_finding(result->sites[k].kind)) nd++;
    if (nd) {
        if (!(drafts = calloc(nd, sizeof *drafts)) || !(groups = calloc(nd, sizeof *groups)) ||
            !(items = calloc(nd, sizeof *items)))
            goto done;
        size_t j = 0;
        for (size_t k = 0; k < result->nsites; k++) {
            const sst_site *site = &result->sites[k];
            if (!is_finding(site->kind)) continue;
            draft *d = &drafts[j++];
            d->kind = sst_site_kind_name(site->kind);
            d->api = site->path ? site->path : site->entry ? site->entry->path : "";
            d->scope = site->scope ? site->scope : "";
            d->categories = site->categories;
            d->line = site->line;
            d->column = site->column + 1;
            d->order = (unsigned)k;
            if (site->entry && site->entry->service && *site->entry->service) {
                d->service = site->entry->service;
                d->service_len = strlen(d->service);
            } else {
                fallback_service(d);
            }
            d->host = site->entry ? site->entry->host : NULL;
        }
        qsort(drafts, nd, sizeof *drafts, cmp_position);
        for (size_t k = 0; k < nd; k++) groups[k] = &drafts[k];
        qsort(groups, nd, sizeof *groups, cmp_group);
        for (size_t k = 0; k < nd; k++) {
            const draft *prev = k ? groups[k - 1] : NULL;
            int same = prev && !strcmp(prev->kind, groups[k]->kind) &&
                       !strcmp(prev->api, groups[k]->api) && !strcmp(prev->scope, groups[k]->scope);
            groups[k]->occurrence = same ? prev->occurrence + 1 : 0;
        }
        end_columns(drafts, nd, src, len, result->encoding);
        if ((rc = find_comments(&comments, &ncomments, src, len))) goto done;
        rc = SST_ENOMEM;
        for (; made < nd; made++) {
            if ((rc = make_item(&items[made], &drafts[made], root, file, &fp))) {
                if (items[made].mem) made++;   /* its block is freed below */
                goto done;
            }
            sst_finding *f = &items[made].f;
            const comment *c = comment_on(comments, ncomments, f->line);
            f->suppressed = c && suppresses(src + c->start, c->end - c->start, f);
        }
    }

    pthread_mutex_lock(&report->mu);
    if (report->nitems + nd > report->capitems) {
        size_t cap = report->capitems ? report->capitems : 64;
        while (cap < report->nitems + nd) cap *= 2;
        item *grown = realloc(report->items, cap * sizeof *grown);
        if (!grown) {
            pthread_mutex_unlock(&report->mu);
            rc = SST_ENOMEM;
            goto done;
        }
        report->items = grown;
        report->capitems = cap;
    }
    if (nd) memcpy(report->items + report->nitems, items, nd * sizeof *items);
    report->nitems += nd;
    report->files++;
    report->sorted = 0;
    pthread_mutex_unlock(&report->mu);
    made = 0;   /* the report owns the blocks now */
    rc = 0;
done:
    for (size_t k = 0; k < made; k++) free(items[k].mem);
    if (rc == SST_ENOMEM) sst_error_set(err, SST_ENOMEM, file, 0, "out of memory");
    sst_buf_free(&fp);
    free(comments);
    free(items);
    free(groups);
    free(drafts);
    return rc;
}

/* ---- the collection ------------------------------------------------------- */

int sst_report_new(sst_report **out)
{
    sst_report *r = calloc(1, sizeof *r);
    if (!r) return SST_ENOMEM;
    if (pthread_mutex_init(&r->mu, NULL)) {
        free(r);
        return SST_ENOMEM;
    }
    r->sorted = 1;
    *out = r;
    return 0;
}

void sst_report_free(sst_report *report)
{
    if (!report) return;
    for (size_t k = 0; k < report->nitems; k++) free(report->items[k].mem);
    free(report->items);
    pthread_mutex_destroy(&report->mu);
    free(report);
}

static int cmp_item(const void *a, const void *b)
{
    const sst_finding *x = &((const item *)a)->f, *y = &((const item *)b)->f;
    int c = strcmp(x->file, y->file);
    if (c) return c;
    if (x->line != y->line) return x->line < y->line ? -1 : 1;
    if (x->column != y->column) return x->column < y->column ? -1 : 1;
    if (x->order != y->order) return x->order < y->order ? -1 : 1;
    c = strcmp(x->root, y->root);   /* the same file added twice: still one order */
    return c ? c : strcmp(x->fingerprint, y->fingerprint);
}

/* Readers call this first (one thread, after every add). */
static void sort_items(sst_report *report)
{
    if (report->sorted) return;
    if (report->nitems) qsort(report->items, report->nitems, sizeof *report->items, cmp_item);
    report->sorted = 1;
}

size_t sst_report_count(sst_report *report)
{
    return report->nitems;
}

const sst_finding *sst_report_finding(sst_report *report, size_t index)
{
    sort_items(report);
    return index < report->nitems ? &report->items[index].f : NULL;
}

static int is_fresh(const sst_finding *f)
{
    return !f->suppressed && f->mark != SST_MARK_APPROVED;
}

void sst_report_counts_get(sst_report_counts *out, sst_report *report)
{
    memset(out, 0, sizeof *out);
    out->files = report->files;
    out->findings = report->nitems;
    out->stale = report->stale;
    out->baselined = report->baselined;
    for (size_t k = 0; k < report->nitems; k++) {
        const sst_finding *f = &report->items[k].f;
        if (f->suppressed) out->suppressed++;
        else if (f->mark == SST_MARK_APPROVED) out->approved++;
        if (is_fresh(f)) out->fresh++;
    }
}

size_t sst_report_gate(sst_report *report)
{
    sst_report_counts counts;
    sst_report_counts_get(&counts, report);
    return counts.fresh;
}

int sst_report_apply_baseline(sst_report *report, const sst_baseline *baseline)
{
    size_t nb = sst_baseline_count(baseline);
    unsigned char *seen = calloc(nb ? nb : 1, 1);
    if (!seen) return SST_ENOMEM;
    for (size_t k = 0; k < report->nitems; k++) {
        sst_finding *f = &report->items[k].f;
        uint32_t approved;
        size_t index;
        if (!sst_baseline_lookup(baseline, f->fingerprint, &approved, &index)) {
            f->mark = SST_MARK_NEW;
            continue;
        }
        seen[index] = 1;
        f->mark = (f->categories & ~approved) ? SST_MARK_WIDENED : SST_MARK_APPROVED;
    }
    report->stale = 0;
    for (size_t k = 0; k < nb; k++)
        if (!seen[k]) report->stale++;
    report->baselined = 1;
    free(seen);
    return 0;
}

/* ---- writing JSON ----------------------------------------------------------- */

/* A pretty printer laid out like Python's json.dumps(indent=2): one member
 * or element a line, "[]" and "{}" when empty. */
enum { JW_MAX_DEPTH = 16 };

typedef struct jw {
    sst_buf *b;
    int depth;
    size_t count[JW_MAX_DEPTH];
} jw;

static void jw_next(jw *w)
{
    if (w->depth == 0) return;
    if (w->count[w->depth]++) sst_buf_append(w->b, ",", 1);
    sst_buf_printf(w->b, "\n%*s", 2 * w->depth, "");
}

static void jw_key(jw *w, const char *key)
{
    jw_next(w);
    sst_json_string(w->b, key, strlen(key));
    sst_buf_append(w->b, ": ", 2);
}

static void jw_open(jw *w, char bracket)
{
    sst_buf_append(w->b, &bracket, 1);
    w->depth++;
    w->count[w->depth] = 0;
}

static void jw_close(jw *w, char bracket)
{
    if (w->count[w->depth]) sst_buf_printf(w->b, "\n%*s", 2 * (w->depth - 1), "");
    w->depth--;
    sst_buf_append(w->b, &bracket, 1);
}

static void jw_str(jw *w, const char *s)
{
    if (s) sst_json_string(w->b, s, strlen(s));
    else sst_buf_puts(w->b, "null");
}

static void jw_kstr(jw *w, const char *key, const char *s)
{
    jw_key(w, key);
    jw_str(w, s);
}

static void jw_kuint(jw *w, const char *key, size_t v)
{
    jw_key(w, key);
    sst_buf_printf(w->b, "%zu", v);
}

static void jw_kobj(jw *w, const char *key)
{
    jw_key(w, key);
    jw_open(w, '{');
}

static void jw_karr(jw *w, const char *key)
{
    jw_key(w, key);
    jw_open(w, '[');
}

/* "categories": [...] in the order of the SST_CAT_* bits. */
static void jw_categories(jw *w, const char *key, uint32_t categories)
{
    jw_karr(w, key);
    for (unsigned k = 0; k < SST_CAT_COUNT; k++)
        if (categories & (1u << k)) {
            jw_next(w);
            jw_str(w, sst_category_name(k));
        }
    jw_close(w, ']');
}

static const char *mark_name(sst_mark mark)
{
    return mark == SST_MARK_APPROVED ? "approved" : "new";
}

int sst_report_format_json(sst_buf *buf, sst_report *report)
{
    jw w = { buf, 0, {0} };
    sst_report_counts counts;
    sort_items(report);
    sst_report_counts_get(&counts, report);
    jw_open(&w, '{');
    jw_kobj(&w, "tool");
    jw_kstr(&w, "name", "sst-rewrite");
    jw_kstr(&w, "version", SST_VERSION);
    jw_close(&w, '}');
    jw_kuint(&w, "format", SST_REPORT_FORMAT);
    jw_karr(&w, "findings");
    for (size_t k = 0; k < report->nitems; k++) {
        const sst_finding *f = &report->items[k].f;
        jw_next(&w);
        jw_open(&w, '{');
        jw_kstr(&w, "fingerprint", f->fingerprint);
        jw_kstr(&w, "rule", f->rule);
        jw_kstr(&w, "kind", f->kind);
        jw_kstr(&w, "service", f->service);
        jw_kstr(&w, "api", f->api);
        jw_kstr(&w, "destination", f->destination);
        jw_categories(&w, "categories", f->categories);
        jw_kstr(&w, "file", f->file);
        jw_kuint(&w, "line", f->line);
        jw_kuint(&w, "column", f->column);
        jw_kstr(&w, "scope", f->scope);
        jw_key(&w, "suppressed");
        sst_buf_puts(buf, f->suppressed ? "true" : "false");
        if (report->baselined) jw_kstr(&w, "baseline", mark_name(f->mark));
        jw_close(&w, '}');
    }
    jw_close(&w, ']');
    jw_kobj(&w, "summary");
    jw_kuint(&w, "files", counts.files);
    jw_kuint(&w, "findings", counts.findings);
    jw_kuint(&w, "suppressed", counts.suppressed);
    jw_kuint(&w, "new", counts.fresh);
    jw_close(&w, '}');
    jw_close(&w, '}');
    sst_buf_append(buf, "\n", 1);
    return buf->oom ? SST_ENOMEM : 0;
}

/* ---- writing SARIF ---------------------------------------------------------- */

#define SARIF_SCHEMA "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
#define SRCROOT "%SRCROOT%"

/* A rule: one per distinct finding rule id. */
typedef struct rule {
    const sst_finding *first;   /* a finding of the rule, for its kind and service */
    const char *host;           /* the destination all its findings share, else NULL */
} rule;

static int cmp_rule(const void *a, const void *b)
{
    return strcmp(((const rule *)a)->first->rule, ((const rule *)b)->first->rule);
}

static size_t rule_index(const rule *rules, size_t n, const char *id)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(rules[mid].first->rule, id);
        if (c == 0) return mid;
        if (c < 0) lo = mid + 1;
        else hi = mid;
    }
    return n;
}

/* "ExternalHttpClient" for "external/http.client". */
static void rule_name(sst_buf *b, const char *id)
{
    int upper = 1;
    for (const char *p = id; *p; p++) {
        char c = *p;
        int alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
        if (!alnum) { upper = 1; continue; }
        if (upper && c >= 'a' && c <= 'z') c = (char)(c - 'a' + 'A');
        sst_buf_append(b, &c, 1);
        upper = 0;
    }
}

/* "openai (api.openai.com)" or "openai". */
static void target(sst_buf *b, const char *service, const char *host)
{
    sst_buf_puts(b, service);
    if (host) sst_buf_printf(b, " (%s)", host);
}

static void category_list(sst_buf *b, uint32_t categories)
{
    const char *sep = "";
    for (unsigned k = 0; k < SST_CAT_COUNT; k++)
        if (categories & (1u << k)) {
            sst_buf_printf(b, "%s%s", sep, sst_category_name(k));
            sep = ", ";
        }
}

static void message(sst_buf *b, const sst_finding *f)
{
    const char *verb;
    if (!strcmp(f->kind, "config")) {
        sst_buf_printf(b, "%s configures ", f->api);
        target(b, f->service, f->destination);
        sst_buf_puts(b, " to send personal data");
        if (f->categories) {
            sst_buf_puts(b, " (");
            category_list(b, f->categories);
            sst_buf_puts(b, ")");
        }
        return;
    }
    if (!strcmp(f->kind, "store")) verb = "be stored by";
    else if (!strcmp(f->kind, "log")) verb = "be logged by";
    else verb = "reach";
    if (f->categories) category_list(b, f->categories);
    else sst_buf_puts(b, "Data");
    sst_buf_printf(b, " may %s ", verb);
    target(b, f->service, f->destination);
    sst_buf_printf(b, " through %s", f->api);
    if (!f->categories) sst_buf_puts(b, "; no personal-data category was found reaching it");
}

static void jw_text(jw *w, const char *key, const char *text)
{
    jw_kobj(w, key);
    jw_kstr(w, "text", text);
    jw_close(w, '}');
}

static const char *level_of(const char *kind)
{
    return !strcmp(kind, "store") || !strcmp(kind, "log") ? "note" : "warning";
}

static void put_rule(jw *w, sst_buf *t, const rule *r)
{
    const sst_finding *f = r->first;
    const char *kind = f->kind;
    int config = !strcmp(kind, "config");
    jw_next(w);
    jw_open(w, '{');
    jw_kstr(w, "id", f->rule);
    t->len = 0;
    rule_name(t, f->rule);
    jw_kstr(w, "name", t->data);

    t->len = 0;
    if (config) {
        target(t, f->service, r->host);
        sst_buf_puts(t, " configured to send personal data");
    } else {
        sst_buf_puts(t, !strcmp(kind, "store") ? "Data stored by "
                        : !strcmp(kind, "log") ? "Data logged by " : "Data sent to ");
        target(t, f->service, r->host);
    }
    jw_text(w, "shortDescription", t->data);

    static const char flow[] =
        " Each result names the personal-data categories that can reach the call's data arguments "
        "by the static flow of the code: names of parameters, variables, attributes and keys, "
        "request sources, and values derived from them.";
    t->len = 0;
    if (config) {
        sst_buf_puts(t, "A call that configures ");
        target(t, f->service, r->host);
        sst_buf_puts(t, " to collect and send personal data by itself, such as turning on its "
                        "personal-data option. Nothing is sent at this line; the setting applies "
                        "to everything the library reports afterwards.");
    } else if (!strcmp(kind, "store")) {
        sst_buf_puts(t, "A call that writes its arguments to ");
        target(t, f->service, r->host);
        sst_buf_printf(t, ", where they are kept at rest.%s", flow);
    } else if (!strcmp(kind, "log")) {
        sst_buf_puts(t, "A logging call through ");
        target(t, f->service, r->host);
        sst_buf_printf(t, ": whatever reaches its arguments is written to the logs.%s", flow);
    } else {
        sst_buf_puts(t, "A call that sends its arguments to the third party ");
        target(t, f->service, r->host);
        sst_buf_printf(t, ".%s", flow);
    }
    jw_text(w, "fullDescription", t->data);

    const char *check = config ? "Check whether %s%s%s should collect personal data by itself."
                               : "Check which personal data this call can hand to %s%s%s.";
    const char *fix = config ? "turn the option off"
                             : "remove, minimise or pseudonymise the personal data before the call";
    jw_kobj(w, "help");
    t->len = 0;
    sst_buf_printf(t, check, "", f->service, "");
    sst_buf_printf(t,
                   " If that is intended, approve it: record it in the baseline (sst-rewrite "
                   "--write-baseline FILE) or put the comment # sst: ignore[%s] on its line. "
                   "Otherwise %s.",
                   f->rule, fix);
    jw_kstr(w, "text", t->data);
    t->len = 0;
    sst_buf_printf(t, check, "**", f->service, "**");
    sst_buf_printf(t,
                   " If that is intended, approve it: record it in the baseline (`sst-rewrite "
                   "--write-baseline FILE`) or put `# sst: ignore[%s]` on its line. "
                   "Otherwise %s.",
                   f->rule, fix);
    jw_kstr(w, "markdown", t->data);
    jw_close(w, '}');

    jw_kobj(w, "defaultConfiguration");
    jw_kstr(w, "level", level_of(kind));
    jw_close(w, '}');
    jw_kobj(w, "properties");
    jw_karr(w, "tags");
    jw_next(w);
    jw_str(w, "privacy");
    jw_next(w);
    jw_str(w, "personal-data");
    jw_next(w);
    jw_str(w, kind);
    jw_close(w, ']');
    jw_kstr(w, "problem.severity", !strcmp(level_of(kind), "note") ? "recommendation" : "warning");
    jw_close(w, '}');
    jw_close(w, '}');
}

/* Appends S percent-encoded for a URI path: RFC 3986 unreserved characters,
 * sub-delimiters, '@' and '/' stay; everything else (':' included, so a
 * first segment never reads as a scheme) becomes %XX. */
static void uri_path(sst_buf *b, const char *s)
{
    static const char keep[] = "-._~!$&'()*+,;=@/";
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        unsigned char c = *p;
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
            (c && strchr(keep, c)))
            sst_buf_append(b, p, 1);
        else
            sst_buf_printf(b, "%%%02X", c);
    }
}

/* The artifact URI of F into T; returns whether it is relative to %SRCROOT%. */
static int artifact_uri(sst_buf *t, const sst_finding *f)
{
    const char *root = f->root;
    while (root[0] == '.' && root[1] == '/') {
        root += 2;
        while (*root == '/') root++;
    }
    size_t n = strlen(root);
    while (n > 1 && root[n - 1] == '/') n--;
    if (n == 1 && root[0] == '.') n = 0;
    int absolute = n && root[0] == '/';
    sst_buf path = {0};
    sst_buf_append(&path, root, n);
    if (n && root[n - 1] != '/') sst_buf_append(&path, "/", 1);
    sst_buf_puts(&path, f->file);
    t->len = 0;
    if (absolute) sst_buf_puts(t, "file://");
    if (path.data) uri_path(t, path.data);
    if (path.oom) t->oom = 1;
    sst_buf_free(&path);
    return !absolute;
}

static const char *baseline_state(sst_mark mark)
{
    switch (mark) {
    case SST_MARK_APPROVED: return "unchanged";
    case SST_MARK_WIDENED: return "updated";
    default: return "new";
    }
}

static void put_result(jw *w, sst_buf *t, const sst_finding *f, size_t index, int baselined)
{
    jw_next(w);
    jw_open(w, '{');
    jw_kstr(w, "ruleId", f->rule);
    jw_kuint(w, "ruleIndex", index);
    jw_kstr(w, "level", level_of(f->kind));
    t->len = 0;
    message(t, f);
    jw_text(w, "message", t->data);
    jw_karr(w, "locations");
    jw_next(w);
    jw_open(w, '{');
    jw_kobj(w, "physicalLocation");
    jw_kobj(w, "artifactLocation");
    int relative = artifact_uri(t, f);
    jw_kstr(w, "uri", t->data);
    if (relative) jw_kstr(w, "uriBaseId", SRCROOT);
    jw_close(w, '}');
    jw_kobj(w, "region");
    jw_kuint(w, "startLine", f->line);
    jw_kuint(w, "startColumn", f->column);
    jw_kuint(w, "endLine", f->line);
    jw_kuint(w, "endColumn", f->end_column);
    jw_close(w, '}');
    jw_close(w, '}');
    if (*f->scope) {
        jw_karr(w, "logicalLocations");
        jw_next(w);
        jw_open(w, '{');
        jw_kstr(w, "fullyQualifiedName", f->scope);
        jw_close(w, '}');
        jw_close(w, ']');
    }
    jw_close(w, '}');
    jw_close(w, ']');
    jw_kobj(w, "partialFingerprints");
    jw_kstr(w, SST_FINGERPRINT_KEY, f->fingerprint);
    jw_close(w, '}');
    if (baselined) jw_kstr(w, "baselineState", baseline_state(f->mark));
    if (f->suppressed) {
        jw_karr(w, "suppressions");
        jw_next(w);
        jw_open(w, '{');
        jw_kstr(w, "kind", "inSource");
        jw_close(w, '}');
        jw_close(w, ']');
    }
    jw_kobj(w, "properties");
    jw_kstr(w, "kind", f->kind);
    jw_kstr(w, "service", f->service);
    jw_kstr(w, "api", f->api);
    if (f->destination) jw_kstr(w, "destination", f->destination);
    jw_categories(w, "categories", f->categories);
    jw_kstr(w, "scope", f->scope);
    jw_close(w, '}');
    jw_close(w, '}');
}

int sst_report_format_sarif(sst_buf *buf, sst_report *report, const sst_sarif_options *options)
{
    jw w = { buf, 0, {0} };
    sst_buf t = {0};
    rule *rules = NULL;
    size_t nrules = 0;
    int rc = SST_ENOMEM;
    sort_items(report);

    if (report->nitems && !(rules = calloc(report->nitems, sizeof *rules))) goto done;
    for (size_t k = 0; k < report->nitems; k++) {
        const sst_finding *f = &report->items[k].f;
        size_t r;
        for (r = 0; r < nrules; r++)   /* few rules: a linear scan of the ones seen */
            if (!strcmp(rules[r].first->rule, f->rule)) break;
        if (r == nrules) {
            rules[nrules].first = f;
            rules[nrules].host = f->destination;
            nrules++;
        } else if (rules[r].host &&
                   (!f->destination || strcmp(rules[r].host, f->destination))) {
            rules[r].host = NULL;
        }
    }
    if (nrules) qsort(rules, nrules, sizeof *rules, cmp_rule);

    jw_open(&w, '{');
    jw_kstr(&w, "$schema", SARIF_SCHEMA);
    jw_kstr(&w, "version", "2.1.0");
    jw_karr(&w, "runs");
    jw_next(&w);
    jw_open(&w, '{');
    jw_kobj(&w, "tool");
    jw_kobj(&w, "driver");
    jw_kstr(&w, "name", "sst-rewrite");
    jw_kstr(&w, "version", SST_VERSION);
    jw_kstr(&w, "semanticVersion", SST_VERSION);
    if (options && options->information_uri) jw_kstr(&w, "informationUri", options->information_uri);
    jw_karr(&w, "rules");
    for (size_t r = 0; r < nrules; r++) put_rule(&w, &t, &rules[r]);
    jw_close(&w, ']');
    jw_close(&w, '}');
    jw_close(&w, '}');
    if (options && options->srcroot_uri) {
        jw_kobj(&w, "originalUriBaseIds");
        jw_kobj(&w, SRCROOT);
        size_t n = strlen(options->srcroot_uri);
        t.len = 0;
        sst_buf_puts(&t, options->srcroot_uri);
        if (!n || options->srcroot_uri[n - 1] != '/') sst_buf_puts(&t, "/");
        jw_kstr(&w, "uri", t.data);
        jw_close(&w, '}');
        jw_close(&w, '}');
    }
    jw_kstr(&w, "columnKind", "unicodeCodePoints");
    jw_karr(&w, "results");
    for (size_t k = 0; k < report->nitems; k++) {
        const sst_finding *f = &report->items[k].f;
        put_result(&w, &t, f, rule_index(rules, nrules, f->rule), report->baselined);
    }
    jw_close(&w, ']');
    jw_close(&w, '}');
    jw_close(&w, ']');
    jw_close(&w, '}');
    sst_buf_append(buf, "\n", 1);
    rc = buf->oom || t.oom ? SST_ENOMEM : 0;
done:
    free(rules);
    sst_buf_free(&t);
    return rc;
}

/* ---- fixture expectations ---------------------------------------------------- */

static void expected_text(sst_buf *b, const sst_finding *f)
{
    sst_buf_printf(b, "%s:%u %s %s ", f->file, f->line, f->kind, f->api);
    if (!f->categories) sst_buf_puts(b, "-");
    const char *sep = "";
    for (unsigned k = 0; k < SST_CAT_COUNT; k++)
        if (f->categories & (1u << k)) {
            sst_buf_printf(b, "%s%s", sep, sst_category_name(k));
            sep = ",";
        }
    if (f->suppressed) sst_buf_puts(b, " suppressed");
}

int sst_report_format_expected(sst_buf *buf, sst_report *report)
{
    sort_items(report);
    for (size_t k = 0; k < report->nitems; k++) {
        expected_text(buf, &report->items[k].f);
        sst_buf_append(buf, "\n", 1);
    }
    return buf->oom ? SST_ENOMEM : 0;
}

/* A line of the projection: where it sorts, its text, whether it is paired. */
typedef struct pline {
    char *text;       /* canonical: single blanks between the fields */
    char *file;
    unsigned line;
    unsigned at;      /* line in the .expected file, 0 for a reported one */
    int matched;
} pline;

static int cmp_key(const pline *a, const pline *b)
{
    int c = strcmp(a->file, b->file);
    if (c) return c;
    return a->line < b->line ? -1 : a->line > b->line;
}

static void plines_free(pline *p, size_t n)
{
    for (size_t k = 0; p && k < n; k++) {
        free(p[k].text);
        free(p[k].file);
    }
    free(p);
}

static int is_kind(const char *s)
{
    return !strcmp(s, "external") || !strcmp(s, "store") || !strcmp(s, "log") || !strcmp(s, "config");
}

/* Parses one line of an expectation file (in place: WORDS point into LINE). */
static int parse_expected(pline *out, char *line, const char *name, unsigned at, sst_error *err)
{
    char *words[6];
    int n = 0;
    for (char *save = NULL, *w = strtok_r(line, " \t", &save); w; w = strtok_r(NULL, " \t", &save)) {
        if (n == 5) {
            sst_error_set(err, SST_EINVAL, name, at,
                          "too many fields (FILE:LINE KIND API CATEGORIES [suppressed])");
            return SST_EINVAL;
        }
        words[n++] = w;
    }
    if (n < 4) {
        sst_error_set(err, SST_EINVAL, name, at, "expected FILE:LINE KIND API CATEGORIES [suppressed]");
        return SST_EINVAL;
    }
    char *colon = strrchr(words[0], ':');
    char *end = NULL;
    unsigned long lineno = colon && colon[1] >= '1' && colon[1] <= '9' ? strtoul(colon + 1, &end, 10) : 0;
    if (!colon || colon == words[0] || !end || *end || lineno == 0 || lineno > 0xFFFFFFFFul) {
        sst_error_set(err, SST_EINVAL, name, at, "'%s' is not FILE:LINE", words[0]);
        return SST_EINVAL;
    }
    if (!is_kind(words[1])) {
        sst_error_set(err, SST_EINVAL, name, at, "unknown kind '%s' (external, store, log, config)",
                      words[1]);
        return SST_EINVAL;
    }
    if (strcmp(words[3], "-")) {
        int last = -1;
        char *copy = strdup(words[3]);
        if (!copy) return SST_ENOMEM;
        for (char *save = NULL, *c = strtok_r(copy, ",", &save); c; c = strtok_r(NULL, ",", &save)) {
            int index = -1;
            for (unsigned k = 0; k < SST_CAT_COUNT; k++)
                if (!strcmp(sst_category_name(k), c)) index = (int)k;
            if (index < 0 || index <= last) {
                sst_error_set(err, SST_EINVAL, name, at,
                              index < 0 ? "unknown category '%s'"
                                        : "category '%s' out of order (write them once each, "
                                          "in the order of docs/catalogue.md)",
                              c);
                free(copy);
                return SST_EINVAL;
            }
            last = index;
        }
        free(copy);
        if (words[3][0] == ',' || words[3][strlen(words[3]) - 1] == ',' || strstr(words[3], ",,")) {
            sst_error_set(err, SST_EINVAL, name, at, "empty category in '%s'", words[3]);
            return SST_EINVAL;
        }
    }
    if (n == 5 && strcmp(words[4], "suppressed")) {
        sst_error_set(err, SST_EINVAL, name, at, "'%s' where 'suppressed' or nothing was expected",
                      words[4]);
        return SST_EINVAL;
    }
    sst_buf t = {0};
    for (int k = 0; k < n; k++) sst_buf_printf(&t, "%s%s", k ? " " : "", words[k]);
    out->file = strndup(words[0], (size_t)(colon - words[0]));
    out->text = t.data;
    out->line = (unsigned)lineno;
    out->at = at;
    if (t.oom || !out->file || !out->text) return SST_ENOMEM;
    return 0;
}

static void differ(sst_buf *diff, size_t *count, const char *name, const pline *p)
{
    if (p->at) sst_buf_printf(diff, "%s:%u: expected, not reported: %s\n", name, p->at, p->text);
    else sst_buf_printf(diff, "%s: reported, not expected: %s\n", name, p->text);
    (*count)++;
}

int sst_report_check_expected(size_t *differences, sst_buf *diff, sst_report *report,
                              const char *text, size_t len, const char *name, sst_error *err)
{
    pline *want = NULL, *got = NULL;
    size_t nwant = 0, capwant = 0, ngot = 0, count = 0;
    char *line = NULL;
    int rc = SST_ENOMEM;
    sort_items(report);

    /* the hand-written lines */
    unsigned at = 0;
    for (size_t i = 0; i < len;) {
        size_t j = i;
        while (j < len && text[j] != '\n') j++;
        at++;
        size_t n = j - i;
        if (n && text[i + n - 1] == '\r') n--;
        free(line);
        if (!(line = strndup(text + i, n))) goto done;
        i = j + 1;
        char *p = line;
        while (*p == ' ' || *p == '\t') p++;
        if (!*p || *p == '#') continue;
        if (nwant == capwant) {
            size_t cap = capwant ? capwant * 2 : 16;
            pline *grown = realloc(want, cap * sizeof *grown);
            if (!grown) goto done;
            want = grown;
            capwant = cap;
        }
        memset(&want[nwant], 0, sizeof *want);
        rc = parse_expected(&want[nwant], p, name, at, err);
        nwant++;
        if (rc) goto done;
        rc = SST_ENOMEM;
        if (nwant > 1 && cmp_key(&want[nwant - 2], &want[nwant - 1]) > 0) {
            sst_error_set(err, SST_EINVAL, name, at,
                          "out of order: %s:%u comes after %s:%u (sort by file, then line)",
                          want[nwant - 1].file, want[nwant - 1].line, want[nwant - 2].file,
                          want[nwant - 2].line);
            rc = SST_EINVAL;
            goto done;
        }
    }

    /* the reported ones */
    if (report->nitems && !(got = calloc(report->nitems, sizeof *got))) goto done;
    for (; ngot < report->nitems; ngot++) {
        const sst_finding *f = &report->items[ngot].f;
        sst_buf t = {0};
        expected_text(&t, f);
        got[ngot].text = t.data;
        got[ngot].file = strdup(f->file);
        got[ngot].line = f->line;
        if (t.oom || !got[ngot].text || !got[ngot].file) { ngot++; goto done; }
    }

    /* merge by (file, line); within one line, pair equal texts */
    size_t i = 0, j = 0;
    while (i < nwant || j < ngot) {
        int c = i == nwant ? 1 : j == ngot ? -1 : cmp_key(&want[i], &got[j]);
        if (c < 0) { differ(diff, &count, name, &want[i++]); continue; }
        if (c > 0) { differ(diff, &count, name, &got[j++]); continue; }
        size_t i2 = i, j2 = j;
        while (i2 < nwant && !cmp_key(&want[i2], &want[i])) i2++;
        while (j2 < ngot && !cmp_key(&got[j2], &got[j])) j2++;
        for (size_t a = i; a < i2; a++)
            for (size_t b = j; b < j2; b++)
                if (!got[b].matched && !strcmp(want[a].text, got[b].text)) {
                    want[a].matched = got[b].matched = 1;
                    break;
                }
        for (size_t a = i; a < i2; a++)
            if (!want[a].matched) differ(diff, &count, name, &want[a]);
        for (size_t b = j; b < j2; b++)
            if (!got[b].matched) differ(diff, &count, name, &got[b]);
        i = i2;
        j = j2;
    }
    if (diff->oom) goto done;
    *differences = count;
    rc = 0;
done:
    if (rc == SST_ENOMEM) sst_error_set(err, SST_ENOMEM, name, 0, "out of memory");
    free(line);
    plines_free(want, nwant);
    plines_free(got, ngot);
    return rc;
}
