/* Redacted previews (sst_redact): what the audit log shows in place of a
 * personal value. A preview holds at most one character of each side of an
 * e-mail and its top-level domain, the last four digits of a card or phone
 * number, or the first character of anything else; never the value itself. */
#include <stdbool.h>
#include <string.h>

#include "detect.h"
#include "scanners.h"

/* The output: LEN counts the whole preview, WRITTEN what fitted in CAP. */
typedef struct out {
    char *buf;
    size_t cap;
    size_t len;
    size_t written;
    bool cut;
} out;

/* Appends one whole character of N bytes, or nothing once one did not fit. */
static void emit(out *o, const unsigned char *c, size_t n)
{
    if (!o->cut && o->written + n < o->cap) {
        memcpy(o->buf + o->written, c, n);
        o->written += n;
    } else {
        o->cut = true;
    }
    o->len += n;
}

static void emit_ascii(out *o, const char *s)
{
    for (; *s; s++) emit(o, (const unsigned char *)s, 1);
}

static bool is_space(int c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }
static bool is_digit(int c) { return c >= '0' && c <= '9'; }

/* Length of the character at P (N bytes) if it is valid UTF-8 and printable
 * (not a control, not a space, not a line or paragraph separator), else 0. */
static size_t char_len(const unsigned char *p, size_t n)
{
    if (n == 0) return 0;
    unsigned c = p[0];
    if (c < 0x80) return c > 0x20 && c < 0x7F ? 1 : 0;
    size_t len;
    unsigned long cp, min;
    if (c >= 0xC2 && c <= 0xDF) {
        len = 2; cp = c & 0x1F; min = 0x80;
    } else if (c >= 0xE0 && c <= 0xEF) {
        len = 3; cp = c & 0x0F; min = 0x800;
    } else if (c >= 0xF0 && c <= 0xF4) {
        len = 4; cp = c & 0x07; min = 0x10000;
    } else {
        return 0;
    }
    if (n < len) return 0;
    for (size_t k = 1; k < len; k++) {
        if ((p[k] & 0xC0) != 0x80) return 0;
        cp = cp << 6 | (p[k] & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
    if (cp < 0xA0 || cp == 0x2028 || cp == 0x2029) return 0;
    return len;
}

/* J***: the first character after leading white space. */
static void first_char(out *o, const unsigned char *p, size_t n)
{
    while (n > 0 && is_space(*p)) {
        p++;
        n--;
    }
    size_t k = char_len(p, n);
    if (k) emit(o, p, k);
    emit_ascii(o, "***");
}

/* ************4242: a star per hidden digit (at most 15), the last four. */
static void digits(out *o, const unsigned char *p, size_t n)
{
    size_t count = 0;
    for (size_t k = 0; k < n; k++) count += is_digit(p[k]);
    if (count < 8) {
        emit_ascii(o, "***");
        return;
    }
    size_t stars = count - 4 > 15 ? 15 : count - 4;
    for (size_t k = 0; k < stars; k++) emit_ascii(o, "*");
    size_t from = n, seen = 0;
    while (seen < 4) {
        from--;
        seen += is_digit(p[from]);
    }
    for (; from < n; from++)
        if (is_digit(p[from])) emit(o, p + from, 1);
}

/* Whether the whole of P looks like one number, as a card or phone number
 * its detector did not match is written: digits and the separators between
 * them. A text that merely holds numbers (a prompt with amounts) is not. */
static bool number_shaped(const unsigned char *p, size_t n)
{
    for (size_t k = 0; k < n; k++) {
        int c = p[k];
        if (!is_digit(c) && c != ' ' && c != '-' && c != '.' && c != '(' && c != ')' && c != '+' && c != '/')
            return false;
    }
    return n > 0;
}

/* j***@e***.com: first character of each side, and the top-level domain
 * when it is 1-16 ASCII letters, digits or '-'. */
static void email(out *o, const unsigned char *p, size_t n)
{
    size_t at = n;
    while (at > 0 && p[at - 1] != '@') at--;
    if (at == 0) {
        first_char(o, p, n);
        return;
    }
    at--;
    size_t k = char_len(p, at);
    if (k) emit(o, p, k);
    emit_ascii(o, "***@");
    const unsigned char *dom = p + at + 1;
    size_t dn = n - at - 1;
    k = char_len(dom, dn);
    if (k) emit(o, dom, k);
    emit_ascii(o, "***");
    size_t dot = dn;
    while (dot > 0 && dom[dot - 1] != '.') dot--;
    if (dot == 0) return;
    size_t tn = dn - dot;
    if (tn == 0 || tn > 16) return;
    for (size_t q = dot; q < dn; q++) {
        int c = dom[q];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || is_digit(c) || c == '-')) return;
    }
    emit_ascii(o, ".");
    for (size_t q = dot; q < dn; q++) emit(o, dom + q, 1);
}

size_t sst_redact(const char *utf8, size_t len, uint32_t kinds, char *buf, size_t cap)
{
    const unsigned char *s = (const unsigned char *)utf8;
    out o = {buf, cap, 0, 0, false};
    if (!s) len = 0;
    size_t w = len < SST_DETECT_SCAN_MAX ? len : SST_DETECT_SCAN_MAX;
    sst_span found[SST_BUILTIN_COUNT];
    uint32_t got = len ? sst_scan_builtin(s, len, kinds, found) : 0;
    int b = sst_scan_first(got, found);
    if (b >= 0) {
        uint32_t kind = 1u << b;
        const unsigned char *p = s + found[b].start;
        size_t n = found[b].end - found[b].start;
        if (kind == SST_DETECT_EMAIL) email(&o, p, n);
        else if (kind == SST_DETECT_CARD || kind == SST_DETECT_PHONE) digits(&o, p, n);
        else first_char(&o, p, n);
    } else if ((kinds & (SST_DETECT_CARD | SST_DETECT_PHONE)) && number_shaped(s, w)) {
        digits(&o, s, w);
    } else {
        first_char(&o, s, w);
    }
    if (cap) buf[o.written] = '\0';
    return o.len;
}
