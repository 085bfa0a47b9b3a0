/* JSON for the manifest: a string writer that always yields valid JSON text
 * whatever bytes a file name holds, and a small recursive reader (a tree of
 * sst_json values) for reading a previous manifest back. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

/* Length of the valid UTF-8 sequence at S (at most N bytes), 0 if invalid. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
    unsigned char c = s[0];
    if (c < 0x80) return 1;
    size_t need;
    unsigned char lo = 0x80, hi = 0xBF;
    if (c >= 0xC2 && c <= 0xDF) need = 2;
    else if (c >= 0xE0 && c <= 0xEF) {
        need = 3;
        if (c == 0xE0) lo = 0xA0;
        if (c == 0xED) hi = 0x9F;  /* no UTF-16 surrogates */
    } else if (c >= 0xF0 && c <= 0xF4) {
        need = 4;
        if (c == 0xF0) lo = 0x90;
        if (c == 0xF4) hi = 0x8F;
    } else return 0;
    if (n < need) return 0;
    if (s[1] < lo || s[1] > hi) return 0;
    for (size_t i = 2; i < need; i++)
        if (s[i] < 0x80 || s[i] > 0xBF) return 0;
    return need;
}

int sst_json_string(sst_buf *buf, const char *bytes, size_t len)
{
    const unsigned char *s = (const unsigned char *)bytes;
    sst_buf_append(buf, "\"", 1);
    size_t i = 0;
    while (i < len) {
        unsigned char c = s[i];
        if (c == '"' || c == '\\') {
            char esc[2] = { '\\', (char)c };
            sst_buf_append(buf, esc, 2);
            i++;
        } else if (c < 0x20) {
            switch (c) {
            case '\n': sst_buf_append(buf, "\\n", 2); break;
            case '\r': sst_buf_append(buf, "\\r", 2); break;
            case '\t': sst_buf_append(buf, "\\t", 2); break;
            case '\b': sst_buf_append(buf, "\\b", 2); break;
            case '\f': sst_buf_append(buf, "\\f", 2); break;
            default: sst_buf_printf(buf, "\\u%04x", c); break;
            }
            i++;
        } else {
            size_t n = utf8_len(s + i, len - i);
            if (n == 0) {
                sst_buf_printf(buf, "\\udc%02x", c);
                i++;
            } else {
                sst_buf_append(buf, s + i, n);
                i += n;
            }
        }
    }
    return sst_buf_append(buf, "\"", 1);
}

/* ---- reader -------------------------------------------------------------- */

enum { MAX_DEPTH = 64 };

typedef struct reader {
    const char *p;
    const char *end;
    const char *start;
    const char *name;
    sst_error *err;
} reader;

static unsigned line_of(const reader *r)
{
    unsigned line = 1;
    for (const char *q = r->start; q < r->p; q++)
        if (*q == '\n') line++;
    return line;
}

static int fail(reader *r, const char *what)
{
    sst_error_set(r->err, SST_EINVAL, r->name, line_of(r), "invalid JSON: %s", what);
    return SST_EINVAL;
}

static void skip_ws(reader *r)
{
    while (r->p < r->end && (*r->p == ' ' || *r->p == '\t' || *r->p == '\n' || *r->p == '\r'))
        r->p++;
}

static int literal(reader *r, const char *word)
{
    size_t n = strlen(word);
    if ((size_t)(r->end - r->p) < n || memcmp(r->p, word, n) != 0) return fail(r, "unexpected text");
    r->p += n;
    return 0;
}

static int hex4(reader *r, unsigned *out)
{
    if (r->end - r->p < 4) return fail(r, "short \\u escape");
    unsigned v = 0;
    for (int i = 0; i < 4; i++) {
        char c = r->p[i];
        unsigned d;
        if (c >= '0' && c <= '9') d = (unsigned)(c - '0');
        else if (c >= 'a' && c <= 'f') d = (unsigned)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F') d = (unsigned)(c - 'A' + 10);
        else return fail(r, "bad \\u escape");
        v = v << 4 | d;
    }
    r->p += 4;
    *out = v;
    return 0;
}

static void put_utf8(sst_buf *b, unsigned cp)
{
    char u[4];
    size_t n;
    if (cp < 0x80) { u[0] = (char)cp; n = 1; }
    else if (cp < 0x800) { u[0] = (char)(0xC0 | cp >> 6); u[1] = (char)(0x80 | (cp & 0x3F)); n = 2; }
    else if (cp < 0x10000) {
        u[0] = (char)(0xE0 | cp >> 12); u[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        u[2] = (char)(0x80 | (cp & 0x3F)); n = 3;
    } else {
        u[0] = (char)(0xF0 | cp >> 18); u[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
        u[2] = (char)(0x80 | ((cp >> 6) & 0x3F)); u[3] = (char)(0x80 | (cp & 0x3F)); n = 4;
    }
    sst_buf_append(b, u, n);
}

static int parse_string(reader *r, char **out, size_t *outlen)
{
    sst_buf b = {0};
    int rc = SST_EINVAL;
    r->p++; /* opening quote */
    for (;;) {
        if (r->p >= r->end) { rc = fail(r, "unterminated string"); goto done; }
        unsigned char c = (unsigned char)*r->p;
        if (c == '"') { r->p++; break; }
        if (c < 0x20) { rc = fail(r, "control character in string"); goto done; }
        if (c != '\\') { sst_buf_append(&b, r->p, 1); r->p++; continue; }
        r->p++;
        if (r->p >= r->end) { rc = fail(r, "unterminated string"); goto done; }
        char e = *r->p++;
        switch (e) {
        case '"': sst_buf_append(&b, "\"", 1); break;
        case '\\': sst_buf_append(&b, "\\", 1); break;
        case '/': sst_buf_append(&b, "/", 1); break;
        case 'b': sst_buf_append(&b, "\b", 1); break;
        case 'f': sst_buf_append(&b, "\f", 1); break;
        case 'n': sst_buf_append(&b, "\n", 1); break;
        case 'r': sst_buf_append(&b, "\r", 1); break;
        case 't': sst_buf_append(&b, "\t", 1); break;
        case 'u': {
            unsigned cp;
            if ((rc = hex4(r, &cp))) goto done;
            if (cp >= 0xDC80 && cp <= 0xDCFF) {          /* an escaped raw byte */
                char raw = (char)(cp & 0xFF);
                sst_buf_append(&b, &raw, 1);
            } else if (cp >= 0xD800 && cp <= 0xDBFF) {   /* a surrogate pair */
                unsigned lo;
                if (r->end - r->p < 2 || r->p[0] != '\\' || r->p[1] != 'u') {
                    rc = fail(r, "lone surrogate");
                    goto done;
                }
                r->p += 2;
                if ((rc = hex4(r, &lo))) goto done;
                if (lo < 0xDC00 || lo > 0xDFFF) { rc = fail(r, "lone surrogate"); goto done; }
                put_utf8(&b, 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00));
            } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
                rc = fail(r, "lone surrogate");
                goto done;
            } else {
                put_utf8(&b, cp);
            }
            break;
        }
        default: rc = fail(r, "bad escape"); goto done;
        }
    }
    if (sst_buf_append(&b, "", 0)) { rc = SST_ENOMEM; goto done; }
    *outlen = b.len;
    *out = b.data;
    b.data = NULL;
    rc = 0;
done:
    sst_buf_free(&b);
    return rc;
}

static int parse_value(reader *r, sst_json *v, int depth);

static int push(sst_json *v, size_t *cap, char *key)
{
    if (v->nitems == *cap) {
        size_t ncap = *cap ? *cap * 2 : 8;
        sst_json *items = realloc(v->items, ncap * sizeof *items);
        if (!items) return SST_ENOMEM;
        v->items = items;
        if (v->type == SST_JSON_OBJECT) {
            char **keys = realloc(v->keys, ncap * sizeof *keys);
            if (!keys) return SST_ENOMEM;
            v->keys = keys;
        }
        *cap = ncap;
    }
    memset(&v->items[v->nitems], 0, sizeof v->items[0]);
    if (v->type == SST_JSON_OBJECT) v->keys[v->nitems] = key;
    v->nitems++;
    return 0;
}

static int parse_container(reader *r, sst_json *v, int depth)
{
    char close = v->type == SST_JSON_ARRAY ? ']' : '}';
    size_t cap = 0;
    int rc;
    r->p++;
    skip_ws(r);
    if (r->p < r->end && *r->p == close) { r->p++; return 0; }
    for (;;) {
        char *key = NULL;
        skip_ws(r);
        if (v->type == SST_JSON_OBJECT) {
            size_t klen;
            if (r->p >= r->end || *r->p != '"') return fail(r, "expected a key");
            if ((rc = parse_string(r, &key, &klen))) return rc;
            skip_ws(r);
            if (r->p >= r->end || *r->p != ':') { free(key); return fail(r, "expected ':'"); }
            r->p++;
        }
        if ((rc = push(v, &cap, key))) { free(key); return rc; }
        if ((rc = parse_value(r, &v->items[v->nitems - 1], depth + 1))) return rc;
        skip_ws(r);
        if (r->p >= r->end) return fail(r, "unterminated container");
        if (*r->p == ',') { r->p++; continue; }
        if (*r->p == close) { r->p++; return 0; }
        return fail(r, "expected ',' or a closing bracket");
    }
}

static int parse_value(reader *r, sst_json *v, int depth)
{
    if (depth > MAX_DEPTH) return fail(r, "nested too deeply");
    skip_ws(r);
    if (r->p >= r->end) return fail(r, "unexpected end");
    char c = *r->p;
    switch (c) {
    case '{': v->type = SST_JSON_OBJECT; return parse_container(r, v, depth);
    case '[': v->type = SST_JSON_ARRAY; return parse_container(r, v, depth);
    case '"': v->type = SST_JSON_STRING; return parse_string(r, &v->string, &v->len);
    case 'n': v->type = SST_JSON_NULL; return literal(r, "null");
    case 't': v->type = SST_JSON_TRUE; return literal(r, "true");
    case 'f': v->type = SST_JSON_FALSE; return literal(r, "false");
    default: break;
    }
    if (c == '-' || (c >= '0' && c <= '9')) {
        /* strtod needs a terminated string: copy the token */
        char tok[64];
        size_t n = 0;
        while (r->p + n < r->end && n < sizeof tok - 1 &&
               strchr("+-0123456789.eE", r->p[n]))
            n++;
        memcpy(tok, r->p, n);
        tok[n] = '\0';
        char *endp;
        double d = strtod(tok, &endp);
        if (endp != tok + n || n == 0 || !isfinite(d)) return fail(r, "bad number");
        v->type = SST_JSON_NUMBER;
        v->number = d;
        r->p += n;
        return 0;
    }
    return fail(r, "unexpected character");
}

static void clear(sst_json *v)
{
    free(v->string);
    for (size_t i = 0; i < v->nitems; i++) {
        clear(&v->items[i]);
        if (v->keys) free(v->keys[i]);
    }
    free(v->items);
    free(v->keys);
}

int sst_json_parse(sst_json **out, const char *text, size_t len, const char *name, sst_error *err)
{
    reader r = { text, text + len, text, name, err };
    sst_json *v = calloc(1, sizeof *v);
    int rc = SST_ENOMEM;
    if (!v) goto done;
    if ((rc = parse_value(&r, v, 0))) goto done;
    skip_ws(&r);
    if (r.p != r.end) { rc = fail(&r, "text after the value"); goto done; }
    *out = v;
    v = NULL;
done:
    if (rc == SST_ENOMEM) sst_error_set(err, SST_ENOMEM, name, 0, "out of memory");
    sst_json_free(v);
    return rc;
}

const sst_json *sst_json_get(const sst_json *object, const char *key)
{
    if (!object || object->type != SST_JSON_OBJECT) return NULL;
    for (size_t i = 0; i < object->nitems; i++)
        if (strcmp(object->keys[i], key) == 0) return &object->items[i];
    return NULL;
}

void sst_json_free(sst_json *json)
{
    if (!json) return;
    clear(json);
    free(json);
}
