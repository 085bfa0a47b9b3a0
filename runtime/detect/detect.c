/* The detector object: which built-in kinds to look for, the custom pcre2
 * patterns from configuration, and the scan that runs them all over the
 * bounded window of a value. Also the kind names and the kind -> data
 * category map. */
#include "detect.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "scanners.h"

/* Bounds on one custom pattern's work on one value. */
#define MATCH_LIMIT 100000u
#define DEPTH_LIMIT 10000u
#define HEAP_LIMIT_KIB 4096u
#define SUBJECT_MARGIN 64

typedef struct pattern {
    char name[SST_DETECT_NAME_MAX + 1];
    uint32_t categories;
    pcre2_code *code;
} pattern;

struct sst_detector {
    uint32_t kinds;
    pattern *patterns;
    size_t npatterns;
    size_t cap;
    pcre2_match_context *mctx;
};

static const char *const kind_names[SST_DETECT_KIND_COUNT] = {
    "email", "phone", "card", "iban", "us_ssn", "uk_nino", "es_dni", "nl_bsn",
    "ipv4", "ipv6", "bearer", "api_key", "jwt", "private_key", "custom",
};

static const uint32_t kind_categories[SST_DETECT_KIND_COUNT] = {
    SST_CAT_EMAIL, SST_CAT_PHONE, SST_CAT_FINANCIAL, SST_CAT_FINANCIAL,
    SST_CAT_GOVERNMENT_ID, SST_CAT_GOVERNMENT_ID, SST_CAT_GOVERNMENT_ID, SST_CAT_GOVERNMENT_ID,
    SST_CAT_NETWORK_ID, SST_CAT_NETWORK_ID,
    SST_CAT_CREDENTIALS, SST_CAT_CREDENTIALS, SST_CAT_CREDENTIALS, SST_CAT_CREDENTIALS,
    0,
};

__attribute__((format(printf, 3, 4)))
static void set_error(sst_error *err, int code, const char *fmt, ...)
{
    if (!err) return;
    va_list ap;
    err->code = code;
    err->path[0] = '\0';
    err->line = 0;
    va_start(ap, fmt);
    vsnprintf(err->message, sizeof err->message, fmt, ap);
    va_end(ap);
}

const char *sst_detect_kind_name(unsigned index)
{
    return index < SST_DETECT_KIND_COUNT ? kind_names[index] : NULL;
}

uint32_t sst_detect_categories(uint32_t kinds)
{
    uint32_t cats = 0;
    for (unsigned b = 0; b < SST_DETECT_KIND_COUNT; b++)
        if (kinds & (1u << b)) cats |= kind_categories[b];
    return cats;
}

int sst_detector_new(sst_detector **out, sst_error *err)
{
    int rc = SST_ENOMEM;
    sst_detector *d = calloc(1, sizeof *d);
    if (!d) goto done;
    d->kinds = SST_DETECT_BUILTIN;
    d->mctx = pcre2_match_context_create(NULL);
    if (!d->mctx) goto done;
    pcre2_set_match_limit(d->mctx, MATCH_LIMIT);
    pcre2_set_depth_limit(d->mctx, DEPTH_LIMIT);
    pcre2_set_heap_limit(d->mctx, HEAP_LIMIT_KIB);
    *out = d;
    d = NULL;
    rc = SST_OK;
done:
    if (rc) set_error(err, rc, "detector: out of memory");
    sst_detector_free(d);
    return rc;
}

void sst_detector_free(sst_detector *d)
{
    if (!d) return;
    for (size_t k = 0; k < d->npatterns; k++) pcre2_code_free(d->patterns[k].code);
    free(d->patterns);
    pcre2_match_context_free(d->mctx);
    free(d);
}

void sst_detector_set_kinds(sst_detector *d, uint32_t kinds)
{
    d->kinds = kinds & SST_DETECT_BUILTIN;
}

static bool name_ok(const char *name)
{
    size_t n = strlen(name);
    if (n == 0 || n > SST_DETECT_NAME_MAX) return false;
    for (const char *p = name; *p; p++) {
        char c = *p;
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '.' || c == '-'))
            return false;
    }
    return true;
}

int sst_detector_add_pattern(sst_detector *d, const char *name, const char *regex,
                             uint32_t categories, sst_error *err)
{
    int rc = SST_EINVAL;
    pcre2_code *code = NULL;
    pcre2_match_data *md = NULL;
    if (!d || !name || !regex) {
        set_error(err, rc, "custom pattern: a detector, a name and a pattern are required");
        goto done;
    }
    if (!name_ok(name)) {
        set_error(err, rc, "custom pattern name \"%.80s\": use 1 to %d characters of A-Z a-z 0-9 _ . -",
                  name, SST_DETECT_NAME_MAX);
        goto done;
    }
    for (size_t k = 0; k < d->npatterns; k++) {
        if (strcmp(d->patterns[k].name, name) == 0) {
            set_error(err, rc, "custom pattern '%s' is defined twice", name);
            goto done;
        }
    }
    if (categories == 0 || (categories & ~((1u << SST_CAT_COUNT) - 1))) {
        set_error(err, rc, "custom pattern '%s': categories 0x%x are not a non-empty set of data categories",
                  name, categories);
        goto done;
    }
    int ecode = 0;
    PCRE2_SIZE eoffset = 0;
    code = pcre2_compile((PCRE2_SPTR)regex, PCRE2_ZERO_TERMINATED,
                         PCRE2_UTF | PCRE2_MATCH_INVALID_UTF | PCRE2_NEVER_BACKSLASH_C,
                         &ecode, &eoffset, NULL);
    if (!code) {
        PCRE2_UCHAR msg[256];
        if (pcre2_get_error_message(ecode, msg, sizeof msg) < 0) strcpy((char *)msg, "invalid pattern");
        set_error(err, rc, "custom pattern '%s': %s at offset %zu", name, (const char *)msg, (size_t)eoffset);
        goto done;
    }
    (void)pcre2_jit_compile(code, PCRE2_JIT_COMPLETE); /* without JIT, the interpreter runs it */
    rc = SST_ENOMEM;
    md = pcre2_match_data_create(1, NULL);
    if (!md) {
        set_error(err, rc, "custom pattern '%s': out of memory", name);
        goto done;
    }
    if (pcre2_match(code, (PCRE2_SPTR) "", 0, 0, 0, md, d->mctx) >= 0) {
        rc = SST_EINVAL;
        set_error(err, rc, "custom pattern '%s': matches the empty string, so it would match every value",
                  name);
        goto done;
    }
    if (d->npatterns == d->cap) {
        size_t cap = d->cap ? d->cap * 2 : 4;
        pattern *grown = realloc(d->patterns, cap * sizeof *grown);
        if (!grown) {
            set_error(err, rc, "custom pattern '%s': out of memory", name);
            goto done;
        }
        d->patterns = grown;
        d->cap = cap;
    }
    pattern *p = &d->patterns[d->npatterns++];
    strcpy(p->name, name);
    p->categories = categories;
    p->code = code;
    code = NULL;
    rc = SST_OK;
done:
    pcre2_match_data_free(md);
    pcre2_code_free(code);
    return rc;
}

size_t sst_detector_pattern_count(const sst_detector *d) { return d->npatterns; }

const char *sst_detector_pattern_name(const sst_detector *d, size_t index)
{
    return index < d->npatterns ? d->patterns[index].name : NULL;
}

uint32_t sst_detector_scan(const sst_detector *d, const char *utf8, size_t len, sst_match *first)
{
    const unsigned char *s = (const unsigned char *)utf8;
    if (!s) len = 0;
    sst_span found[SST_BUILTIN_COUNT];
    uint32_t kinds = len ? sst_scan_builtin(s, len, d->kinds, found) : 0;
    uint32_t cats = sst_detect_categories(kinds);
    int b = sst_scan_first(kinds, found);
    sst_match best = {0, 0, 0, -1, 0};
    if (b >= 0) {
        best.kind = 1u << b;
        best.start = found[b].start;
        best.len = found[b].end - found[b].start;
    }

    if (d->npatterns && len) {
        /* The window, without a character cut in two at its end, copied
         * between zeroed margins: JIT code reads whole 16-byte blocks around
         * the subject, which must not lie outside the caller's memory. */
        size_t w = len < SST_DETECT_SCAN_MAX ? len : SST_DETECT_SCAN_MAX;
        while (w < len && w > 0 && SST_DETECT_SCAN_MAX - w < 3 && (s[w] & 0xC0) == 0x80) w--;
        _Alignas(64) unsigned char subject[SUBJECT_MARGIN + SST_DETECT_SCAN_MAX + SUBJECT_MARGIN];
        memset(subject, 0, SUBJECT_MARGIN);
        memcpy(subject + SUBJECT_MARGIN, s, w);
        memset(subject + SUBJECT_MARGIN + w, 0, SUBJECT_MARGIN);
        pcre2_match_data *md = pcre2_match_data_create(1, NULL);
        for (size_t k = 0; md && k < d->npatterns; k++) {
            if (pcre2_match(d->patterns[k].code, subject + SUBJECT_MARGIN, w, 0, 0, md, d->mctx) < 0)
                continue;
            PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);
            kinds |= SST_DETECT_CUSTOM;
            cats |= d->patterns[k].categories;
            size_t start = ov[0], n = ov[1] - ov[0];
            if (!best.kind || start < best.start || (start == best.start && n > best.len)) {
                best.kind = SST_DETECT_CUSTOM;
                best.start = start;
                best.len = n;
                best.pattern = (int)k;
            }
        }
        pcre2_match_data_free(md);
    }
    best.categories = cats;
    if (first) *first = best;
    return kinds;
}
