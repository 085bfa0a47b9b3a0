/* Loading a source: BOM and PEP 263 cookie detection, transcoding of
 * non-UTF-8 files to UTF-8 with an offset map back to the original bytes. */
#include "source.h"

#include <ctype.h>
#include <errno.h>
#include <iconv.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The end of the line starting at *pos (before its line break); moves *pos
 * past the break. A break is LF, CRLF or a lone CR, as Python reads them. */
static size_t line_end(const char *s, size_t len, size_t *pos)
{
    size_t i = *pos;
    while (i < len && s[i] != '\n' && s[i] != '\r') i++;
    size_t end = i;
    if (i < len) i += (s[i] == '\r' && i + 1 < len && s[i + 1] == '\n') ? 2 : 1;
    *pos = i;
    return end;
}

/* 1-based line of OFFSET: LF, CRLF and a lone CR each end a line. */
static unsigned line_of(const char *s, size_t offset)
{
    unsigned line = 1;
    for (size_t i = 0; i < offset; i++)
        if (s[i] == '\n' || (s[i] == '\r' && s[i + 1] != '\n')) line++;
    return line;
}

/* Offset of the first byte that is not well-formed UTF-8 (overlong forms,
 * surrogates and code points past U+10FFFF included), or LEN. */
static size_t invalid_utf8(const unsigned char *s, size_t len)
{
    size_t i = 0;
    while (i < len) {
        unsigned char c = s[i];
        if (c < 0x80) {
            i++;
            continue;
        }
        size_t n;
        unsigned char lo = 0x80, hi = 0xBF;
        if (c >= 0xC2 && c <= 0xDF) n = 1;
        else if (c == 0xE0) n = 2, lo = 0xA0;
        else if (c == 0xED) n = 2, hi = 0x9F;
        else if (c >= 0xE1 && c <= 0xEF) n = 2;
        else if (c == 0xF0) n = 3, lo = 0x90;
        else if (c == 0xF4) n = 3, hi = 0x8F;
        else if (c >= 0xF1 && c <= 0xF3) n = 3;
        else return i;
        if (i + n >= len) return i;
        if (s[i + 1] < lo || s[i + 1] > hi) return i;
        for (size_t k = 2; k <= n; k++)
            if (s[i + k] < 0x80 || s[i + k] > 0xBF) return i;
        i += n + 1;
    }
    return len;
}

/* PEP 263: "^[ \t\f]*#.*?coding[:=][ \t]*([-\w.]+)" on one line. */
static int find_cookie(const char *s, size_t len, char *name, size_t cap)
{
    size_t i = 0;
    while (i < len && (s[i] == ' ' || s[i] == '\t' || s[i] == '\f')) i++;
    if (i >= len || s[i] != '#') return 0;
    for (; i + 6 < len; i++) {
        if (memcmp(s + i, "coding", 6) != 0) continue;
        size_t j = i + 6;
        if (j >= len || (s[j] != ':' && s[j] != '=')) continue;
        j++;
        while (j < len && (s[j] == ' ' || s[j] == '\t')) j++;
        size_t k = 0;
        while (j < len && k + 1 < cap &&
               (isalnum((unsigned char)s[j]) || s[j] == '-' || s[j] == '_' || s[j] == '.'))
            name[k++] = s[j++];
        name[k] = 0;
        return k > 0;
    }
    return 0;
}

static int blank_or_comment(const char *s, size_t len)
{
    size_t i = 0;
    while (i < len && (s[i] == ' ' || s[i] == '\t' || s[i] == '\f')) i++;
    return i == len || s[i] == '#';
}

/* Python's codec name normalisation, enough to tell UTF-8 and latin-1 apart
 * and to give iconv a name it knows. */
static void normalise(const char *name, char *python, size_t pcap, char *iconv_name, size_t icap)
{
    char low[32];
    size_t n = 0;
    for (; name[n] && n + 1 < sizeof low; n++)
        low[n] = name[n] == '_' ? '-' : (char)tolower((unsigned char)name[n]);
    low[n] = 0;
    if (!strcmp(low, "utf-8") || !strncmp(low, "utf-8-", 6) || !strcmp(low, "utf8")) {
        snprintf(python, pcap, "utf-8");
        iconv_name[0] = 0;
    } else if (!strcmp(low, "latin-1") || !strcmp(low, "iso-8859-1") || !strcmp(low, "iso-latin-1") ||
               !strncmp(low, "latin-1-", 8) || !strncmp(low, "iso-8859-1-", 11) || !strcmp(low, "latin1")) {
        snprintf(python, pcap, "latin-1");
        snprintf(iconv_name, icap, "ISO-8859-1");
    } else {
        snprintf(python, pcap, "%s", low);
        snprintf(iconv_name, icap, "%s", low);
        if (!strcmp(low, "ascii") || !strcmp(low, "us-ascii")) snprintf(iconv_name, icap, "ASCII");
    }
}

/* Decodes src->bytes[from..] from iconv_name to UTF-8, one character at a
 * time, recording where each UTF-8 byte came from. */
static int transcode(sst_source *src, size_t from, sst_error *err)
{
    iconv_t cd = iconv_open("UTF-8", src->iconv_name);
    if (cd == (iconv_t)-1) {
        sst_error_set(err, SST_EINVAL, NULL, src->cookie_line, "unknown source encoding '%s'", src->encoding);
        return SST_EINVAL;
    }
    size_t cap = (src->len - from) * 4 + 1;
    char *out = malloc(cap);
    uint32_t *map = malloc((cap + 1) * sizeof *map);
    int rc = SST_ENOMEM;
    if (!out || !map) goto done;
    size_t o = 0, i = from;
    while (i < src->len) {
        size_t take = 1, got = 0;
        for (;;) {
            char *in = (char *)src->bytes + i;
            size_t inleft = take;
            char *op = out + o;
            size_t outleft = cap - o;
            size_t r = iconv(cd, &in, &inleft, &op, &outleft);
            if (r != (size_t)-1) {
                got = (size_t)(op - (out + o));
                break;
            }
            if (errno == EINVAL && i + take < src->len && take < 8) {
                take++;
                iconv(cd, NULL, NULL, NULL, NULL);
                continue;
            }
            rc = SST_EINVAL;
            unsigned line = line_of(src->bytes, i);
            sst_error_set(err, SST_EINVAL, NULL, line, "byte 0x%02x at offset %zu is not valid %s",
                          (unsigned char)src->bytes[i], i, src->encoding);
            goto done;
        }
        for (size_t k = 0; k < got; k++) map[o + k] = (uint32_t)i;
        o += got;
        i += take;
    }
    map[o] = (uint32_t)src->len;
    out[o] = 0;
    src->owned_text = out;
    src->text = out;
    src->text_len = o;
    src->map = map;
    out = NULL;
    map = NULL;
    rc = 0;
done:
    free(out);
    free(map);
    iconv_close(cd);
    return rc;
}

/* Python ends a line at a lone CR; tree-sitter does not. The parser gets LF
 * there instead: the same length, so offsets map one to one. */
static int lone_cr_to_lf(sst_source *src)
{
    const char *t = src->text;
    size_t n = src->text_len, i = 0;
    for (; i < n; i++)
        if (t[i] == '\r' && (i + 1 == n || t[i + 1] != '\n')) break;
    if (i == n) return 0;
    char *copy = src->owned_text;
    if (!copy) {
        copy = malloc(n + 1);
        if (!copy) return SST_ENOMEM;
        memcpy(copy, t, n);
        copy[n] = 0;
        src->owned_text = copy;
        src->text = copy;
    }
    for (; i < n; i++)
        if (copy[i] == '\r' && (i + 1 == n || copy[i + 1] != '\n')) copy[i] = '\n';
    return 0;
}

int sst_source_load(sst_source *src, const char *bytes, size_t len, sst_error *err)
{
    memset(src, 0, sizeof *src);
    src->bytes = bytes;
    src->len = len;
    src->text = bytes;
    src->text_len = len;
    snprintf(src->encoding, sizeof src->encoding, "utf-8");
    if (len >= 2 && bytes[0] == '#' && bytes[1] == '!') src->shebang = 1;

    size_t pos = 0, l1_end = line_end(bytes, len, &pos);
    size_t l2_start = pos, l2_end = line_end(bytes, len, &pos);
    char cookie[64];
    int bom = len >= 3 && !memcmp(bytes, "\xef\xbb\xbf", 3);
    size_t first = bom ? 3 : 0;
    if (find_cookie(bytes + first, l1_end - first, cookie, sizeof cookie))
        src->cookie_line = 1;
    else if (blank_or_comment(bytes + first, l1_end - first) && l2_start < len &&
             find_cookie(bytes + l2_start, l2_end - l2_start, cookie, sizeof cookie))
        src->cookie_line = 2;

    if (src->cookie_line)
        normalise(cookie, src->encoding, sizeof src->encoding, src->iconv_name, sizeof src->iconv_name);
    if (bom) {
        if (src->iconv_name[0]) {
            sst_error_set(err, SST_EINVAL, NULL, src->cookie_line,
                          "a UTF-8 byte order mark contradicts the coding cookie '%s'", cookie);
            return SST_EINVAL;
        }
        snprintf(src->encoding, sizeof src->encoding, "utf-8-sig");
        src->base = 3;
        src->text = bytes + 3;
        src->text_len = len - 3;
    } else if (src->iconv_name[0]) {
        int rc = transcode(src, 0, err);
        if (rc) return rc;
    }
    if (!src->map) {
        size_t bad = invalid_utf8((const unsigned char *)src->text, src->text_len);
        if (bad < src->text_len) {
            size_t at = src->base + bad;
            sst_error_set(err, SST_EINVAL, NULL, line_of(bytes, at),
                          "byte 0x%02x at offset %zu is not valid utf-8", (unsigned char)bytes[at], at);
            return SST_EINVAL;
        }
    }
    return lone_cr_to_lf(src);
}

void sst_source_free(sst_source *src)
{
    free(src->owned_text);
    free(src->map);
    src->owned_text = NULL;
    src->map = NULL;
}

char *sst_source_encode(const sst_source *src, const char *utf8, size_t len, size_t *out_len)
{
    int ascii = 1;
    for (size_t i = 0; i < len && ascii; i++) ascii = (unsigned char)utf8[i] < 0x80;
    if (!src->iconv_name[0] || ascii) {
        char *copy = malloc(len + 1);
        if (!copy) return NULL;
        memcpy(copy, utf8, len);
        copy[len] = 0;
        *out_len = len;
        return copy;
    }
    iconv_t cd = iconv_open(src->iconv_name, "UTF-8");
    if (cd == (iconv_t)-1) return NULL;
    size_t cap = len * 4 + 1;
    char *out = malloc(cap), *op = out, *in = (char *)utf8;
    size_t inleft = len, outleft = cap;
    if (out && iconv(cd, &in, &inleft, &op, &outleft) == (size_t)-1) {
        free(out);
        out = NULL;
    }
    iconv_close(cd);
    if (out) {
        *out_len = (size_t)(op - out);
        *op = 0;
    }
    return out;
}
