/* CUnit suite of the value detectors: every case of the shared table
 * tests/detect_cases.json (which the Python mirror's test checks too), then
 * the API: kind names and categories, custom pattern errors, the scan limit on
 * hostile input, first-match ties, preview truncation and UTF-8 validity. */
#include <CUnit/Basic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "detect.h"

/* ---- a small JSON reader, enough for the case table ----------------------- */

typedef enum { J_NULL, J_BOOL, J_NUM, J_STR, J_ARR, J_OBJ } jtype;

typedef struct jval {
    jtype type;
    long num;
    char *str;            /* J_STR: bytes, NUL-terminated; len may count NULs */
    size_t len;
    struct jval *items;   /* J_ARR, J_OBJ */
    char **keys;          /* J_OBJ */
    size_t n;
} jval;

typedef struct jparser {
    const char *path;
    const char *s;
    size_t len, pos;
    unsigned line;
    char error[256];
} jparser;

static bool jfail(jparser *p, const char *what)
{
    if (!p->error[0]) snprintf(p->error, sizeof p->error, "%s:%u: %s", p->path, p->line, what);
    return false;
}

static void jskip(jparser *p)
{
    while (p->pos < p->len && strchr(" \t\r\n", p->s[p->pos])) {
        if (p->s[p->pos] == '\n') p->line++;
        p->pos++;
    }
}

static void jfree(jval *v)
{
    if (!v) return;
    free(v->str);
    for (size_t k = 0; k < v->n; k++) {
        jfree(&v->items[k]);
        if (v->keys) free(v->keys[k]);
    }
    free(v->items);
    free(v->keys);
}

static bool jvalue(jparser *p, jval *v, int depth);

static void put_utf8(char *out, size_t *n, unsigned long cp)
{
    if (cp < 0x80) {
        out[(*n)++] = (char)cp;
    } else if (cp < 0x800) {
        out[(*n)++] = (char)(0xC0 | cp >> 6);
        out[(*n)++] = (char)(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        out[(*n)++] = (char)(0xE0 | cp >> 12);
        out[(*n)++] = (char)(0x80 | ((cp >> 6) & 0x3F));
        out[(*n)++] = (char)(0x80 | (cp & 0x3F));
    } else {
        out[(*n)++] = (char)(0xF0 | cp >> 18);
        out[(*n)++] = (char)(0x80 | ((cp >> 12) & 0x3F));
        out[(*n)++] = (char)(0x80 | ((cp >> 6) & 0x3F));
        out[(*n)++] = (char)(0x80 | (cp & 0x3F));
    }
}

static bool jhex4(jparser *p, unsigned long *cp)
{
    *cp = 0;
    for (int k = 0; k < 4; k++) {
        if (p->pos >= p->len) return jfail(p, "unfinished \\u escape");
        char c = p->s[p->pos++];
        int v = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10
              : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
        if (v < 0) return jfail(p, "bad \\u escape");
        *cp = *cp * 16 + (unsigned long)v;
    }
    return true;
}

static bool jstring(jparser *p, char **out, size_t *outlen)
{
    p->pos++; /* the quote */
    char *buf = malloc(p->len - p->pos + 1);
    size_t n = 0;
    if (!buf) return jfail(p, "out of memory");
    for (;;) {
        if (p->pos >= p->len) {
            free(buf);
            return jfail(p, "unterminated string");
        }
        unsigned char c = (unsigned char)p->s[p->pos++];
        if (c == '"') break;
        if (c < 0x20) {
            free(buf);
            return jfail(p, "control character in string");
        }
        if (c != '\\') {
            buf[n++] = (char)c;
            continue;
        }
        if (p->pos >= p->len) break;
        char e = p->s[p->pos++];
        unsigned long cp;
        switch (e) {
        case '"': buf[n++] = '"'; break;
        case '\\': buf[n++] = '\\'; break;
        case '/': buf[n++] = '/'; break;
        case 'b': buf[n++] = '\b'; break;
        case 'f': buf[n++] = '\f'; break;
        case 'n': buf[n++] = '\n'; break;
        case 'r': buf[n++] = '\r'; break;
        case 't': buf[n++] = '\t'; break;
        case 'u':
            if (!jhex4(p, &cp)) {
                free(buf);
                return false;
            }
            if (cp >= 0xD800 && cp <= 0xDBFF) {
                unsigned long lo;
                if (p->pos + 2 > p->len || p->s[p->pos] != '\\' || p->s[p->pos + 1] != 'u') {
                    free(buf);
                    return jfail(p, "lone surrogate in string");
                }
                p->pos += 2;
                if (!jhex4(p, &lo) || lo < 0xDC00 || lo > 0xDFFF) {
                    free(buf);
                    return jfail(p, "bad surrogate pair in string");
                }
                cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
            } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
                free(buf);
                return jfail(p, "lone surrogate in string");
            }
            put_utf8(buf, &n, cp);
            break;
        default:
            free(buf);
            return jfail(p, "bad escape in string");
        }
    }
    buf[n] = '\0';
    *out = buf;
    *outlen = n;
    return true;
}

static bool jlist(jparser *p, jval *v, int depth, bool object)
{
    char close = object ? '}' : ']';
    size_t cap = 0;
    p->pos++;
    jskip(p);
    if (p->pos < p->len && p->s[p->pos] == close) {
        p->pos++;
        return true;
    }
    for (;;) {
        if (v->n == cap) {
            cap = cap ? cap * 2 : 8;
            jval *items = realloc(v->items, cap * sizeof *items);
            if (!items) return jfail(p, "out of memory");
            v->items = items;
            if (object) {
                char **keys = realloc(v->keys, cap * sizeof *keys);
                if (!keys) return jfail(p, "out of memory");
                v->keys = keys;
            }
        }
        jval *item = &v->items[v->n];
        memset(item, 0, sizeof *item);
        if (object) {
            size_t klen;
            jskip(p);
            if (p->pos >= p->len || p->s[p->pos] != '"') return jfail(p, "expected a key");
            if (!jstring(p, &v->keys[v->n], &klen)) return false;
            jskip(p);
            if (p->pos >= p->len || p->s[p->pos] != ':') {
                free(v->keys[v->n]);
                return jfail(p, "expected ':'");
            }
            p->pos++;
        }
        v->n++;
        if (!jvalue(p, item, depth + 1)) return false;
        jskip(p);
        if (p->pos < p->len && p->s[p->pos] == ',') {
            p->pos++;
            continue;
        }
        if (p->pos < p->len && p->s[p->pos] == close) {
            p->pos++;
            return true;
        }
        return jfail(p, object ? "expected ',' or '}'" : "expected ',' or ']'");
    }
}

static bool jvalue(jparser *p, jval *v, int depth)
{
    if (depth > 32) return jfail(p, "nested too deeply");
    jskip(p);
    if (p->pos >= p->len) return jfail(p, "unexpected end of file");
    char c = p->s[p->pos];
    if (c == '"') {
        v->type = J_STR;
        return jstring(p, &v->str, &v->len);
    }
    if (c == '[' || c == '{') {
        v->type = c == '[' ? J_ARR : J_OBJ;
        return jlist(p, v, depth, c == '{');
    }
    if (c == '-' || (c >= '0' && c <= '9')) {
        char *end;
        v->type = J_NUM;
        v->num = strtol(p->s + p->pos, &end, 10);
        p->pos = (size_t)(end - p->s);
        return true;
    }
    static const struct { const char *word; jtype type; long num; } words[] = {
        {"null", J_NULL, 0}, {"true", J_BOOL, 1}, {"false", J_BOOL, 0}};
    for (size_t k = 0; k < 3; k++) {
        size_t n = strlen(words[k].word);
        if (p->pos + n <= p->len && memcmp(p->s + p->pos, words[k].word, n) == 0) {
            v->type = words[k].type;
            v->num = words[k].num;
            p->pos += n;
            return true;
        }
    }
    return jfail(p, "unexpected character");
}

static const jval *jget(const jval *obj, const char *key)
{
    if (!obj || obj->type != J_OBJ) return NULL;
    for (size_t k = 0; k < obj->n; k++)
        if (strcmp(obj->keys[k], key) == 0) return &obj->items[k];
    return NULL;
}

/* ---- the table ---------------------------------------------------------- */

static jval table;
static char table_error[512];

static const char *const category_names[SST_CAT_COUNT] = {
    "email", "phone", "name", "address", "birth_date", "government_id",
    "financial", "health", "credentials", "location", "network_id", "user_text",
};

static uint32_t kind_bit(const char *name)
{
    for (unsigned b = 0; b < SST_DETECT_KIND_COUNT; b++)
        if (strcmp(sst_detect_kind_name(b), name) == 0) return 1u << b;
    fprintf(stderr, "\ncase table: unknown kind \"%s\"\n", name);
    return 1u << 31;
}

static uint32_t category_bit(const char *name)
{
    for (unsigned b = 0; b < SST_CAT_COUNT; b++)
        if (strcmp(category_names[b], name) == 0) return 1u << b;
    fprintf(stderr, "\ncase table: unknown category \"%s\"\n", name);
    return 1u << 31;
}

static uint32_t bits_of(const jval *list, uint32_t (*bit)(const char *))
{
    uint32_t bits = 0;
    for (size_t k = 0; list && k < list->n; k++) bits |= bit(list->items[k].str);
    return bits;
}

/* The value of a case: "pad" copies of "pad_with" (default a space), then "input". */
static char *case_input(const jval *c, size_t *len)
{
    const jval *in = jget(c, "input"), *pad = jget(c, "pad"), *with = jget(c, "pad_with");
    size_t npad = pad ? (size_t)pad->num : 0;
    const char *w = with ? with->str : " ";
    size_t wl = with ? with->len : 1;
    *len = npad * wl + in->len;
    char *buf = malloc(*len + 1);
    for (size_t k = 0; k < npad; k++) memcpy(buf + k * wl, w, wl);
    memcpy(buf + npad * wl, in->str, in->len);
    buf[*len] = '\0';
    return buf;
}

static void describe(const char *section, size_t index, const char *input, size_t len)
{
    fprintf(stderr, "\n  %s case %zu: \"%.*s\"", section, index, len > 60 ? 60 : (int)len,
            len > 60 ? input + len - 60 : input);
}

/* Checks one scan case; returns the number of mismatches. */
static int check_scan_case(const sst_detector *d, const char *section, size_t index, const jval *c)
{
    int bad = 0;
    size_t len;
    char *input = case_input(c, &len);
    sst_match m;
    uint32_t kinds = sst_detector_scan(d, input, len, &m);
    uint32_t want = bits_of(jget(c, "kinds"), kind_bit);
    const jval *first = jget(c, "first"), *match = jget(c, "match"), *red = jget(c, "redacted");
    const jval *pat = jget(c, "pattern"), *cats = jget(c, "categories");
    if (kinds != want) {
        describe(section, index, input, len);
        fprintf(stderr, " kinds 0x%x, expected 0x%x", kinds, want);
        bad++;
    }
    uint32_t want_first = first && first->type == J_STR ? kind_bit(first->str) : 0;
    if (m.kind != want_first) {
        describe(section, index, input, len);
        fprintf(stderr, " first kind 0x%x, expected 0x%x", m.kind, want_first);
        bad++;
    }
    if (match && (m.len != match->len || memcmp(input + m.start, match->str, m.len) != 0)) {
        describe(section, index, input, len);
        fprintf(stderr, " first match \"%.*s\", expected \"%s\"", (int)m.len, input + m.start, match->str);
        bad++;
    }
    if (pat) {
        const char *name = m.pattern >= 0 ? sst_detector_pattern_name(d, (size_t)m.pattern) : "";
        if (!name || strcmp(name, pat->str) != 0) {
            describe(section, index, input, len);
            fprintf(stderr, " pattern \"%s\", expected \"%s\"", name ? name : "", pat->str);
            bad++;
        }
    } else if (m.kind != SST_DETECT_CUSTOM && m.pattern != -1) {
        describe(section, index, input, len);
        fprintf(stderr, " pattern index %d on a built-in match", m.pattern);
        bad++;
    }
    if (cats && m.categories != bits_of(cats, category_bit)) {
        describe(section, index, input, len);
        fprintf(stderr, " categories 0x%x, expected 0x%x", m.categories, bits_of(cats, category_bit));
        bad++;
    }
    if (!cats && m.categories != sst_detect_categories(kinds)) {
        describe(section, index, input, len);
        fprintf(stderr, " categories 0x%x do not map the kinds", m.categories);
        bad++;
    }
    if (red) {
        char out[SST_REDACT_MAX];
        size_t n = sst_redact(input, len, kinds, out, sizeof out);
        if (n != red->len || strcmp(out, red->str) != 0) {
            describe(section, index, input, len);
            fprintf(stderr, " redacted \"%s\", expected \"%s\"", out, red->str);
            bad++;
        }
    }
    free(input);
    return bad;
}

static void test_table_scan(void)
{
    sst_detector *d = NULL;
    sst_error err;
    CU_ASSERT_EQUAL_FATAL(sst_detector_new(&d, &err), SST_OK);
    const jval *cases = jget(&table, "scan");
    CU_ASSERT_FATAL(cases != NULL && cases->n > 0);
    for (size_t k = 0; k < cases->n; k++) CU_ASSERT_EQUAL(check_scan_case(d, "scan", k, &cases->items[k]), 0);
    sst_detector_free(d);
}

static void test_table_redact(void)
{
    const jval *cases = jget(&table, "redact");
    CU_ASSERT_FATAL(cases != NULL && cases->n > 0);
    for (size_t k = 0; k < cases->n; k++) {
        const jval *c = &cases->items[k];
        size_t len;
        char *input = case_input(c, &len);
        char out[SST_REDACT_MAX];
        const jval *red = jget(c, "redacted");
        size_t n = sst_redact(input, len, bits_of(jget(c, "kinds"), kind_bit), out, sizeof out);
        bool ok = n == red->len && strcmp(out, red->str) == 0;
        if (!ok) {
            describe("redact", k, input, len);
            fprintf(stderr, " redacted \"%s\", expected \"%s\"", out, red->str);
        }
        CU_ASSERT_TRUE(ok);
        free(input);
    }
}

static void test_table_custom(void)
{
    sst_detector *d = NULL;
    sst_error err;
    CU_ASSERT_EQUAL_FATAL(sst_detector_new(&d, &err), SST_OK);
    const jval *custom = jget(&table, "custom");
    const jval *patterns = jget(custom, "patterns"), *cases = jget(custom, "scan");
    CU_ASSERT_FATAL(patterns != NULL && cases != NULL && cases->n > 0);
    for (size_t k = 0; k < patterns->n; k++) {
        const jval *p = &patterns->items[k];
        int rc = sst_detector_add_pattern(d, jget(p, "name")->str, jget(p, "regex")->str,
                                          bits_of(jget(p, "categories"), category_bit), &err);
        if (rc) fprintf(stderr, "\n  %s", err.message);
        CU_ASSERT_EQUAL(rc, SST_OK);
    }
    CU_ASSERT_EQUAL(sst_detector_pattern_count(d), patterns->n);
    for (size_t k = 0; k < cases->n; k++) CU_ASSERT_EQUAL(check_scan_case(d, "custom", k, &cases->items[k]), 0);
    sst_detector_free(d);
}

/* ---- the API ------------------------------------------------------------ */

static void test_kind_names(void)
{
    CU_ASSERT_STRING_EQUAL(sst_detect_kind_name(0), "email");
    CU_ASSERT_STRING_EQUAL(sst_detect_kind_name(2), "card");
    CU_ASSERT_STRING_EQUAL(sst_detect_kind_name(7), "nl_bsn");
    CU_ASSERT_STRING_EQUAL(sst_detect_kind_name(13), "private_key");
    CU_ASSERT_STRING_EQUAL(sst_detect_kind_name(14), "custom");
    CU_ASSERT_PTR_NULL(sst_detect_kind_name(SST_DETECT_KIND_COUNT));
}

static void test_categories(void)
{
    CU_ASSERT_EQUAL(sst_detect_categories(SST_DETECT_EMAIL), SST_CAT_EMAIL);
    CU_ASSERT_EQUAL(sst_detect_categories(SST_DETECT_PHONE), SST_CAT_PHONE);
    CU_ASSERT_EQUAL(sst_detect_categories(SST_DETECT_CARD | SST_DETECT_IBAN), SST_CAT_FINANCIAL);
    CU_ASSERT_EQUAL(sst_detect_categories(SST_DETECT_US_SSN), SST_CAT_GOVERNMENT_ID);
    CU_ASSERT_EQUAL(sst_detect_categories(SST_DETECT_UK_NINO | SST_DETECT_ES_DNI | SST_DETECT_NL_BSN),
                    SST_CAT_GOVERNMENT_ID);
    CU_ASSERT_EQUAL(sst_detect_categories(SST_DETECT_IPV4 | SST_DETECT_IPV6), SST_CAT_NETWORK_ID);
    CU_ASSERT_EQUAL(sst_detect_categories(SST_DETECT_BEARER | SST_DETECT_API_KEY | SST_DETECT_JWT |
                                          SST_DETECT_PRIVATE_KEY),
                    SST_CAT_CREDENTIALS);
    CU_ASSERT_EQUAL(sst_detect_categories(SST_DETECT_CUSTOM), 0);
    CU_ASSERT_EQUAL(sst_detect_categories(SST_DETECT_EMAIL | SST_DETECT_CARD | SST_DETECT_IPV6),
                    SST_CAT_EMAIL | SST_CAT_FINANCIAL | SST_CAT_NETWORK_ID);
}

static void test_pattern_errors(void)
{
    sst_detector *d = NULL;
    sst_error err;
    CU_ASSERT_EQUAL_FATAL(sst_detector_new(&d, &err), SST_OK);

    memset(&err, 0, sizeof err);
    CU_ASSERT_EQUAL(sst_detector_add_pattern(d, "order_ref", "ORD-(\\d{4}", SST_CAT_USER_TEXT, &err), SST_EINVAL);
    CU_ASSERT_EQUAL(err.code, SST_EINVAL);
    CU_ASSERT_STRING_EQUAL(err.message,
                           "custom pattern 'order_ref': missing closing parenthesis at offset 10");

    CU_ASSERT_EQUAL(sst_detector_add_pattern(d, "bad_class", "[a-", SST_CAT_USER_TEXT, &err), SST_EINVAL);
    CU_ASSERT_STRING_EQUAL(err.message,
                           "custom pattern 'bad_class': missing terminating ] for character class at offset 3");

    CU_ASSERT_EQUAL(sst_detector_add_pattern(d, "any", "x*", SST_CAT_USER_TEXT, &err), SST_EINVAL);
    CU_ASSERT_STRING_EQUAL(err.message,
                           "custom pattern 'any': matches the empty string, so it would match every value");

    CU_ASSERT_EQUAL(sst_detector_add_pattern(d, "has space", "abc", SST_CAT_USER_TEXT, &err), SST_EINVAL);
    CU_ASSERT_STRING_EQUAL(err.message,
                           "custom pattern name \"has space\": use 1 to 64 characters of A-Z a-z 0-9 _ . -");
    CU_ASSERT_EQUAL(sst_detector_add_pattern(d, "", "abc", SST_CAT_USER_TEXT, &err), SST_EINVAL);

    CU_ASSERT_EQUAL(sst_detector_add_pattern(d, "nocat", "abc", 0, &err), SST_EINVAL);
    CU_ASSERT_STRING_EQUAL(err.message,
                           "custom pattern 'nocat': categories 0x0 are not a non-empty set of data categories");
    CU_ASSERT_EQUAL(sst_detector_add_pattern(d, "badcat", "abc", 1u << SST_CAT_COUNT, &err), SST_EINVAL);

    CU_ASSERT_EQUAL(sst_detector_add_pattern(d, "dup", "abc", SST_CAT_USER_TEXT, &err), SST_OK);
    CU_ASSERT_EQUAL(sst_detector_add_pattern(d, "dup", "def", SST_CAT_USER_TEXT, &err), SST_EINVAL);
    CU_ASSERT_STRING_EQUAL(err.message, "custom pattern 'dup' is defined twice");
    CU_ASSERT_EQUAL(sst_detector_pattern_count(d), 1);
    CU_ASSERT_STRING_EQUAL(sst_detector_pattern_name(d, 0), "dup");
    CU_ASSERT_PTR_NULL(sst_detector_pattern_name(d, 1));

    /* A failed call leaves the detector as it was. */
    sst_match m;
    CU_ASSERT_EQUAL(sst_detector_scan(d, "xx def abc", 10, &m), SST_DETECT_CUSTOM);
    CU_ASSERT_EQUAL(m.start, 7);
    CU_ASSERT_EQUAL(m.pattern, 0);
    sst_detector_free(d);
}

/* A pattern that backtracks catastrophically hits the match limit and counts
 * as not matching; the built-ins still report. */
static void test_pattern_match_limit(void)
{
    sst_detector *d = NULL;
    sst_error err;
    CU_ASSERT_EQUAL_FATAL(sst_detector_new(&d, &err), SST_OK);
    CU_ASSERT_EQUAL(sst_detector_add_pattern(d, "slow", "^(a+)+$", SST_CAT_USER_TEXT, &err), SST_OK);
    char buf[64];
    memset(buf, 'a', 40);
    memcpy(buf + 40, "! a@b.io", 8);
    sst_match m;
    CU_ASSERT_EQUAL(sst_detector_scan(d, buf, 48, &m), SST_DETECT_EMAIL);
    CU_ASSERT_EQUAL(m.kind, SST_DETECT_EMAIL);
    CU_ASSERT_EQUAL(m.start, 42);
    CU_ASSERT_EQUAL(m.categories, SST_CAT_EMAIL);
    CU_ASSERT_EQUAL(sst_detector_scan(d, buf, 40, &m), SST_DETECT_CUSTOM);
    CU_ASSERT_EQUAL(m.len, 40);
    sst_detector_free(d);
}

static void test_set_kinds(void)
{
    sst_detector *d = NULL;
    sst_error err;
    CU_ASSERT_EQUAL_FATAL(sst_detector_new(&d, &err), SST_OK);
    const char *v = "ip 203.0.113.7 mail a@b.io";
    sst_match m;
    CU_ASSERT_EQUAL(sst_detector_scan(d, v, strlen(v), &m), SST_DETECT_IPV4 | SST_DETECT_EMAIL);
    CU_ASSERT_EQUAL(m.kind, SST_DETECT_IPV4);
    sst_detector_set_kinds(d, SST_DETECT_BUILTIN & ~SST_DETECT_IPV4);
    CU_ASSERT_EQUAL(sst_detector_scan(d, v, strlen(v), &m), SST_DETECT_EMAIL);
    CU_ASSERT_EQUAL(m.kind, SST_DETECT_EMAIL);
    CU_ASSERT_EQUAL(m.start, 20);
    CU_ASSERT_EQUAL(m.len, 6);
    CU_ASSERT_EQUAL(m.pattern, -1);
    sst_detector_set_kinds(d, 0);
    CU_ASSERT_EQUAL(sst_detector_scan(d, v, strlen(v), &m), 0);
    CU_ASSERT_EQUAL(m.kind, 0);
    CU_ASSERT_EQUAL(m.categories, 0);
    CU_ASSERT_EQUAL(sst_detector_scan(d, v, strlen(v), NULL), 0);
    sst_detector_free(d);
}

/* 10 MB of digits, of '@', of e-mail-like runs: only the window is read. */
static void test_hostile_input(void)
{
    size_t n = 10u << 20;
    char *big = malloc(n);
    CU_ASSERT_FATAL(big != NULL);
    sst_detector *d = NULL;
    sst_error err;
    CU_ASSERT_EQUAL_FATAL(sst_detector_new(&d, &err), SST_OK);
    CU_ASSERT_EQUAL(sst_detector_add_pattern(d, "ticket", "TCK-[0-9]+", SST_CAT_USER_TEXT, &err), SST_OK);
    sst_match m;
    char out[SST_REDACT_MAX];

    memset(big, '7', n);
    CU_ASSERT_EQUAL(sst_detector_scan(d, big, n, &m), 0);
    CU_ASSERT_EQUAL(m.kind, 0);
    CU_ASSERT_EQUAL(sst_redact(big, n, SST_DETECT_CARD, out, sizeof out), 19);
    CU_ASSERT_STRING_EQUAL(out, "***************7777");

    memset(big, '@', n);
    CU_ASSERT_EQUAL(sst_detector_scan(d, big, n, &m), 0);

    for (size_t k = 0; k < n; k++) big[k] = "a@b.co "[k % 7];
    CU_ASSERT_EQUAL(sst_detector_scan(d, big, n, &m), SST_DETECT_EMAIL);
    CU_ASSERT_EQUAL(m.start, 0);
    CU_ASSERT_EQUAL(m.len, 6);

    for (size_t k = 0; k < n; k++) big[k] = "1 "[k % 2];
    CU_ASSERT_EQUAL(sst_detector_scan(d, big, n, &m), 0);

    memset(big, ':', n);
    CU_ASSERT_EQUAL(sst_detector_scan(d, big, n, &m), 0);

    /* A custom pattern sees the window as if the value ended there. */
    memset(big, ' ', n);
    memcpy(big + 4090, "TCK-12", 6);
    CU_ASSERT_EQUAL(sst_detector_scan(d, big, n, &m), SST_DETECT_CUSTOM);
    CU_ASSERT_EQUAL(m.start, 4090);
    CU_ASSERT_EQUAL(m.len, 6);
    memset(big, ' ', n);
    memcpy(big + 4091, "TCK-12", 6);
    CU_ASSERT_EQUAL(sst_detector_scan(d, big, n, &m), SST_DETECT_CUSTOM);
    CU_ASSERT_EQUAL(m.start, 4091);
    CU_ASSERT_EQUAL(m.len, 5);
    memset(big, ' ', n);
    memcpy(big + 4093, "TCK-12", 6);
    CU_ASSERT_EQUAL(sst_detector_scan(d, big, n, &m), 0);

    sst_detector_free(d);
    free(big);
}

/* Ties: the same start goes to the longer match, then to the lower kind bit;
 * a custom pattern with a built-in's exact span loses to it. */
static void test_first_match_ties(void)
{
    sst_detector *d = NULL;
    sst_error err;
    CU_ASSERT_EQUAL_FATAL(sst_detector_new(&d, &err), SST_OK);
    CU_ASSERT_EQUAL(sst_detector_add_pattern(d, "short", "ab", SST_CAT_NAME, &err), SST_OK);
    CU_ASSERT_EQUAL(sst_detector_add_pattern(d, "long", "ab@cd", SST_CAT_ADDRESS, &err), SST_OK);
    CU_ASSERT_EQUAL(sst_detector_add_pattern(d, "mail", "ab@cd\\.io", SST_CAT_HEALTH, &err), SST_OK);
    sst_match m;
    CU_ASSERT_EQUAL(sst_detector_scan(d, "ab@cd.io", 8, &m), SST_DETECT_EMAIL | SST_DETECT_CUSTOM);
    CU_ASSERT_EQUAL(m.kind, SST_DETECT_EMAIL);
    CU_ASSERT_EQUAL(m.len, 8);
    CU_ASSERT_EQUAL(m.pattern, -1);
    CU_ASSERT_EQUAL(m.categories, SST_CAT_EMAIL | SST_CAT_NAME | SST_CAT_ADDRESS | SST_CAT_HEALTH);
    CU_ASSERT_EQUAL(sst_detector_scan(d, "ab@cd.io_", 9, &m), SST_DETECT_CUSTOM);
    CU_ASSERT_EQUAL(m.pattern, 2);
    CU_ASSERT_EQUAL(m.len, 8);
    CU_ASSERT_EQUAL(sst_detector_scan(d, "ab@cd", 5, &m), SST_DETECT_CUSTOM);
    CU_ASSERT_EQUAL(m.pattern, 1);
    CU_ASSERT_EQUAL(m.categories, SST_CAT_NAME | SST_CAT_ADDRESS);
    sst_detector_free(d);
}

/* Custom patterns run on UTF-8 by characters; invalid UTF-8 never matches. */
static void test_pattern_utf8(void)
{
    sst_detector *d = NULL;
    sst_error err;
    CU_ASSERT_EQUAL_FATAL(sst_detector_new(&d, &err), SST_OK);
    CU_ASSERT_EQUAL(sst_detector_add_pattern(d, "kunde", "Kundennr\\.? ?\\d{3}.\\d", SST_CAT_USER_TEXT, &err),
                    SST_OK);
    sst_match m;
    const char *v = "Größe: Kundennr 123ü4";
    CU_ASSERT_EQUAL(sst_detector_scan(d, v, strlen(v), &m), SST_DETECT_CUSTOM);
    CU_ASSERT_EQUAL(m.start, 9);
    CU_ASSERT_EQUAL(m.len, 15);
    const char bad[] = "Kundennr 123\xff" "4";
    CU_ASSERT_EQUAL(sst_detector_scan(d, bad, sizeof bad - 1, &m), 0);
    sst_detector_free(d);
}

static bool valid_utf8(const unsigned char *p, size_t n)
{
    size_t k = 0;
    while (k < n) {
        unsigned c = p[k];
        size_t len = c < 0x80 ? 1 : (c >= 0xC2 && c <= 0xDF) ? 2 : (c >= 0xE0 && c <= 0xEF) ? 3
                   : (c >= 0xF0 && c <= 0xF4) ? 4 : 0;
        if (len == 0 || k + len > n) return false;
        for (size_t q = 1; q < len; q++)
            if ((p[k + q] & 0xC0) != 0x80) return false;
        if (len == 3 && ((c == 0xE0 && p[k + 1] < 0xA0) || (c == 0xED && p[k + 1] >= 0xA0))) return false;
        if (len == 4 && ((c == 0xF0 && p[k + 1] < 0x90) || (c == 0xF4 && p[k + 1] >= 0x90))) return false;
        k += len;
    }
    return true;
}

static void test_redact_truncation(void)
{
    char out[SST_REDACT_MAX];
    const char *v = "ümit@bücher.de";
    CU_ASSERT_EQUAL(sst_redact(v, strlen(v), SST_DETECT_EMAIL, out, sizeof out), 13);
    CU_ASSERT_STRING_EQUAL(out, "ü***@b***.de");
    /* Cut at a character boundary: "ü" does not fit in 2 bytes with its NUL. */
    memset(out, 'Z', sizeof out);
    CU_ASSERT_EQUAL(sst_redact(v, strlen(v), SST_DETECT_EMAIL, out, 2), 13);
    CU_ASSERT_STRING_EQUAL(out, "");
    CU_ASSERT_EQUAL(sst_redact(v, strlen(v), SST_DETECT_EMAIL, out, 6), 13);
    CU_ASSERT_STRING_EQUAL(out, "ü***");
    CU_ASSERT_EQUAL(sst_redact(v, strlen(v), SST_DETECT_EMAIL, out, 7), 13);
    CU_ASSERT_STRING_EQUAL(out, "ü***@");
    /* CAP 0 writes nothing. */
    out[0] = 'Z';
    CU_ASSERT_EQUAL(sst_redact(v, strlen(v), SST_DETECT_EMAIL, out, 0), 13);
    CU_ASSERT_EQUAL(out[0], 'Z');
    /* NULL value. */
    CU_ASSERT_EQUAL(sst_redact(NULL, 5, 0, out, sizeof out), 3);
    CU_ASSERT_STRING_EQUAL(out, "***");
}

/* Whatever the bytes, a preview is valid UTF-8, fits SST_REDACT_MAX and
 * holds no run of 5 bytes of the value but the ones the styles keep. */
static void test_redact_random(void)
{
    static const char *const pieces[] = {
        "a@b.io", "ü", "\xff", "\xc3", "4242 4242 4242 4242", " ", "+49 151 1234567", "@", ".",
        "\xe2\x80\xa8", "\x01", "DE89370400440532013000", "Bearer abcdef0123456789", "\xf0\x9f\x98\x80",
    };
    unsigned long seed = 12345;
    char value[256], out[SST_REDACT_MAX];
    int bad = 0;
    for (int round = 0; round < 20000; round++) {
        size_t len = 0;
        while (len < 200) {
            seed = seed * 6364136223846793005ul + 1442695040888963407ul;
            const char *p = pieces[(seed >> 33) % (sizeof pieces / sizeof pieces[0])];
            size_t n = strlen(p);
            if (len + n > sizeof value) break;
            memcpy(value + len, p, n);
            len += n;
            if ((seed >> 20) % 5 == 0) break;
        }
        uint32_t kinds = (uint32_t)(seed >> 40) & (SST_DETECT_BUILTIN | SST_DETECT_CUSTOM);
        size_t n = sst_redact(value, len, kinds, out, sizeof out);
        if (n >= SST_REDACT_MAX || strlen(out) != n || !valid_utf8((const unsigned char *)out, n)) bad++;
    }
    CU_ASSERT_EQUAL(bad, 0);
}

static char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap);
    size_t got;
    while (buf && (got = fread(buf + n, 1, cap - n, f)) > 0) {
        n += got;
        if (n == cap) {
            char *grown = realloc(buf, cap *= 2);
            if (!grown) {
                free(buf);
                buf = NULL;
            }
            buf = grown;
        }
    }
    fclose(f);
    *len = n;
    return buf;
}

static bool load_table(const char *path)
{
    size_t len;
    char *text = read_file(path, &len);
    if (!text) {
        snprintf(table_error, sizeof table_error, "%s: cannot read the case table", path);
        return false;
    }
    jparser p = {path, text, len, 0, 1, ""};
    bool ok = jvalue(&p, &table, 0);
    if (ok) {
        jskip(&p);
        if (p.pos != p.len) ok = jfail(&p, "text after the end of the table");
    }
    if (!ok) snprintf(table_error, sizeof table_error, "%s", p.error);
    free(text);
    return ok;
}

int main(int argc, char **argv)
{
    const char *path = argc > 1 ? argv[1] : "tests/detect_cases.json";
    if (!load_table(path)) {
        fprintf(stderr, "test_detect: %s\n", table_error);
        jfree(&table);
        return 2;
    }
    if (CU_initialize_registry() != CUE_SUCCESS) return 2;
    CU_pSuite table_suite = CU_add_suite("detect_table", NULL, NULL);
    CU_add_test(table_suite, "scan cases", test_table_scan);
    CU_add_test(table_suite, "redact cases", test_table_redact);
    CU_add_test(table_suite, "custom pattern cases", test_table_custom);
    CU_pSuite api = CU_add_suite("detect_api", NULL, NULL);
    CU_add_test(api, "kind names", test_kind_names);
    CU_add_test(api, "kind categories", test_categories);
    CU_add_test(api, "custom pattern errors", test_pattern_errors);
    CU_add_test(api, "custom pattern match limit", test_pattern_match_limit);
    CU_add_test(api, "custom patterns and UTF-8", test_pattern_utf8);
    CU_add_test(api, "set kinds", test_set_kinds);
    CU_add_test(api, "hostile input and the scan limit", test_hostile_input);
    CU_add_test(api, "first match ties", test_first_match_ties);
    CU_add_test(api, "redact truncation", test_redact_truncation);
    CU_add_test(api, "redact random bytes", test_redact_random);
    CU_basic_set_mode(CU_BRM_VERBOSE);
    CU_basic_run_tests();
    unsigned failed = CU_get_number_of_failures();
    CU_cleanup_registry();
    jfree(&table);
    return failed ? 1 : 0;
}
