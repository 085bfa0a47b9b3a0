/* The built-in value scanners: hand-written recognisers for e-mail, phone,
 * payment card, IBAN, national ids, IP addresses and secrets. Each one is a
 * pure function of the text and a start position, reads a bounded number of
 * bytes and never backtracks. sst_runtime/_detect.py mirrors this file. */
#include "scanners.h"

#include <stdbool.h>
#include <string.h>

#include "detect.h"

/* The bytes a scanner may look at: matches end at or before W; reads stop at
 * E (W plus the peek bytes, or the end of the value). */
typedef struct text {
    const unsigned char *s;
    size_t w;
    size_t e;
} text;

static inline int at(const text *t, size_t i) { return i < t->e ? t->s[i] : 0; }

/* Character classes of the bytes, as a constant table. */
enum {
    C_DIGIT = 1, C_UPPER = 2, C_LOWER = 4, C_HEX = 8, C_UNDERSCORE = 16,
    C_LOCAL = 32,   /* e-mail local part: alphanumeric, non-ASCII, . _ % + - */
    C_DOMAIN = 64,  /* e-mail domain: alphanumeric, non-ASCII, - . */
    C_TOKEN = 128   /* bearer token: alphanumeric, - . _ ~ + / */
};
#define IN(c, lo, hi) ((c) >= (lo) && (c) <= (hi))
#define ALNUM_(c) (IN(c, '0', '9') || IN(c, 'A', 'Z') || IN(c, 'a', 'z'))
#define CLASS(c)                                                                              \
    ((IN(c, '0', '9') ? C_DIGIT : 0) | (IN(c, 'A', 'Z') ? C_UPPER : 0) |                     \
     (IN(c, 'a', 'z') ? C_LOWER : 0) |                                                       \
     (IN(c, '0', '9') || IN(c, 'a', 'f') || IN(c, 'A', 'F') ? C_HEX : 0) |                   \
     ((c) == '_' ? C_UNDERSCORE : 0) |                                                       \
     (ALNUM_(c) || (c) >= 0x80 || (c) == '.' || (c) == '_' || (c) == '%' || (c) == '+' ||    \
              (c) == '-' ? C_LOCAL : 0) |                                                    \
     (ALNUM_(c) || (c) >= 0x80 || (c) == '-' || (c) == '.' ? C_DOMAIN : 0) |                 \
     (ALNUM_(c) || (c) == '-' || (c) == '.' || (c) == '_' || (c) == '~' || (c) == '+' ||     \
              (c) == '/' ? C_TOKEN : 0))
#define CLASS4(c) CLASS(c), CLASS((c) + 1), CLASS((c) + 2), CLASS((c) + 3)
#define CLASS16(c) CLASS4(c), CLASS4((c) + 4), CLASS4((c) + 8), CLASS4((c) + 12)
#define CLASS64(c) CLASS16(c), CLASS16((c) + 16), CLASS16((c) + 32), CLASS16((c) + 48)
static const unsigned char classes[256] = {CLASS64(0), CLASS64(64), CLASS64(128), CLASS64(192)};

static inline bool is_digit(int c) { return classes[c] & C_DIGIT; }
static inline bool is_upper(int c) { return classes[c] & C_UPPER; }
static inline bool is_alpha(int c) { return classes[c] & (C_UPPER | C_LOWER); }
static inline bool is_alnum(int c) { return classes[c] & (C_DIGIT | C_UPPER | C_LOWER); }
static inline bool is_word(int c) { return classes[c] & (C_DIGIT | C_UPPER | C_LOWER | C_UNDERSCORE); }
static inline bool is_b64url(int c) { return is_word(c) || c == '-'; }
static inline bool is_hex(int c) { return classes[c] & C_HEX; }
static inline int lower(int c) { return is_upper(c) ? c + 32 : c; }

/* Is C (not 0) one of the characters of SET? */
static inline bool one_of(int c, const char *set)
{
    for (; *set; set++)
        if (c == (unsigned char)*set) return true;
    return false;
}

/* Does the text at I start with the ASCII string P? */
static bool starts(const text *t, size_t i, const char *p)
{
    for (; *p; p++, i++)
        if (at(t, i) != (unsigned char)*p) return false;
    return true;
}

/* Length of the run of digits at I, counting at most MAX + 1 of them. */
static size_t digit_run(const text *t, size_t i, size_t max)
{
    size_t n = 0;
    while (n <= max && is_digit(at(t, i + n))) n++;
    return n;
}

static unsigned long digits_value(const text *t, size_t i, size_t n)
{
    unsigned long v = 0;
    for (size_t k = 0; k < n; k++) v = v * 10 + (unsigned long)(at(t, i + k) - '0');
    return v;
}

/* A number may start at I: it is not glued to a word, to a '+', or to a
 * number before it ("1.2", "7-8", "3/4", "12:30"). */
static bool num_left_ok(const text *t, size_t i)
{
    if (i == 0) return true;
    int c = t->s[i - 1];
    if (is_word(c) || c == '+') return false;
    if ((c == '.' || c == '-' || c == '/' || c == ':') && i >= 2 && is_digit(t->s[i - 2]))
        return false;
    return true;
}

/* A number may end at J: what follows is not a word character and does not
 * continue it ("-12", ".5", "/3", ":30"). */
static bool num_right_ok(const text *t, size_t j)
{
    int c = at(t, j);
    if (is_word(c)) return false;
    if ((c == '.' || c == '-' || c == '/' || c == ':') && is_digit(at(t, j + 1))) return false;
    return true;
}

/* Does a separator of SEPS followed by a digit come at J? */
static bool continues(const text *t, size_t j, const char *seps)
{
    int c = at(t, j);
    return c != 0 && one_of(c, seps) && is_digit(at(t, j + 1));
}

/* Groups of digits joined by one separator from SEPS, the same throughout,
 * read while the total stays within MAX digits. */
#define MAX_GROUPS 8
typedef struct groups {
    size_t start[MAX_GROUPS];
    size_t len[MAX_GROUPS];
    int n;
    size_t digits;
    int sep;
} groups;

static void read_groups(const text *t, size_t i, const char *seps, size_t max, groups *g)
{
    size_t j = i;
    g->n = 0;
    g->digits = 0;
    g->sep = 0;
    for (;;) {
        size_t n = digit_run(t, j, max);
        if (n == 0 || g->digits + n > max || g->n == MAX_GROUPS) return;
        g->start[g->n] = j;
        g->len[g->n] = n;
        g->n++;
        g->digits += n;
        j += n;
        int c = at(t, j);
        if (!continues(t, j, seps) || (g->sep && c != g->sep)) return;
        g->sep = c;
        j++;
    }
}

static size_t group_end(const groups *g, int k) { return g->start[k - 1] + g->len[k - 1]; }

/* Is there KEYWORD (lower case, not inside a longer word) in the 32 bytes
 * before I? Used where digits alone are too common to mean an id. */
static bool keyword_before(const text *t, size_t i, const char *const *words)
{
    size_t from = i > 32 ? i - 32 : 0;
    for (; *words; words++) {
        size_t n = strlen(*words);
        for (size_t p = from; p + n <= i; p++) {
            size_t k = 0;
            while (k < n && lower(t->s[p + k]) == (unsigned char)(*words)[k]) k++;
            if (k < n) continue;
            if (p > 0 && is_alpha(t->s[p - 1])) continue;
            if (is_alpha(t->s[p + n])) continue;
            return true;
        }
    }
    return false;
}

/* ---- e-mail ------------------------------------------------------------- */

static inline bool is_local(int c) { return classes[c] & C_LOCAL; }
static inline bool is_domain(int c) { return classes[c] & C_DOMAIN; }

/* The last label: letters (not an image file suffix, as in "icon@2x.png"),
 * an IDN "xn--" label, or all non-ASCII. */
static bool tld_ok(const unsigned char *p, size_t n)
{
    static const char *const images[] = {"png", "jpg", "jpeg", "gif", "svg", "webp", "bmp", "ico", NULL};
    if (n < 2) return false;
    if (n >= 5 && lower(p[0]) == 'x' && lower(p[1]) == 'n' && p[2] == '-' && p[3] == '-') return true;
    bool letters = true, high = true;
    for (size_t k = 0; k < n; k++) {
        if (!is_alpha(p[k])) letters = false;
        if (p[k] < 0x80) high = false;
    }
    if (high) return true;
    if (!letters) return false;
    for (const char *const *x = images; *x; x++) {
        if (strlen(*x) != n) continue;
        size_t k = 0;
        while (k < n && lower(p[k]) == (unsigned char)(*x)[k]) k++;
        if (k == n) return false;
    }
    return true;
}

static bool scan_email(const text *t, size_t i, sst_span *m)
{
    const unsigned char *s = t->s;
    size_t k = i, n = 0;
    while (k > 0 && is_local(s[k - 1])) {
        k--;
        if (++n > 64) return false;
    }
    while (k < i && s[k] == '.') k++;
    if (k == i || s[i - 1] == '.') return false;
    bool visible = false;
    for (size_t p = k; p < i; p++) {
        if (s[p] == '.' && s[p + 1] == '.') return false;
        if (is_alnum(s[p]) || s[p] >= 0x80) visible = true;
    }
    if (!visible) return false;

    size_t j = i + 1, d = 0;
    while (is_domain(at(t, j))) {
        j++;
        if (++d > 253) return false;
    }
    while (j > i + 1 && s[j - 1] == '.') j--;
    size_t label = i + 1, labels = 0, last = 0;
    for (size_t p = i + 1; p <= j; p++) {
        if (p < j && s[p] != '.') continue;
        size_t len = p - label;
        if (len == 0 || len > 63 || s[label] == '-' || s[p - 1] == '-') return false;
        labels++;
        last = label;
        label = p + 1;
    }
    if (labels < 2 || !tld_ok(s + last, j - last) || at(t, j) == '_') return false;
    m->start = k;
    m->end = j;
    return true;
}

/* ---- phone numbers ------------------------------------------------------ */

/* E.164: '+', a country code, 8 to 15 digits in all; groups may be joined by
 * a space, '-' or '.' (a '.' only after a first group of 1-3 digits, so that
 * "+35236450.6" stays a decimal number), and groups may be in parentheses:
 * +1 (415) 555-2671. */
static bool scan_e164(const text *t, size_t i, sst_span *m)
{
    if (i > 0 && (is_word(t->s[i - 1]) || t->s[i - 1] == '+')) return false;
    size_t j = i + 1, digits = 0;
    if (at(t, j) < '1' || at(t, j) > '9') return false;
    size_t first = digit_run(t, j, 15);
    for (;;) {
        size_t n = digit_run(t, j, 15);
        digits += n;
        j += n;
        if (digits > 15) return false;
        int c = at(t, j);
        if ((c == ' ' || c == '-' || (c == '.' && first <= 3)) && is_digit(at(t, j + 1))) {
            j++;
            continue;
        }
        size_t k = j + (c == ' ');
        if (at(t, k) != '(') break;
        size_t p = digit_run(t, k + 1, 5);
        if (p < 1 || p > 5 || at(t, k + 1 + p) != ')') break;
        k += p + 2;
        if ((at(t, k) == ' ' || at(t, k) == '-') && is_digit(at(t, k + 1))) k++;
        if (!is_digit(at(t, k))) break;
        digits += p;
        if (digits > 15) return false;
        j = k;
    }
    if (digits < 8 || !num_right_ok(t, j)) return false;
    m->start = i;
    m->end = j;
    return true;
}

/* Three digits of a North American area code or exchange: [2-9]dd. */
static bool nanp3(const text *t, size_t i)
{
    return at(t, i) >= '2' && at(t, i) <= '9' && is_digit(at(t, i + 1)) && is_digit(at(t, i + 2)) &&
           !is_digit(at(t, i + 3));
}
static bool is_sep3(int c) { return c == '-' || c == '.' || c == ' '; }

/* North American: [1 ](AAA) EEE-LLLL or [1-]AAA-EEE-LLLL with '-', '.' or ' '
 * used alike throughout; joined by spaces, not inside a list of numbers. */
static bool scan_nanp(const text *t, size_t i, sst_span *m)
{
    if (!num_left_ok(t, i)) return false;
    size_t j = i;
    int s1 = 0, s2 = 0;
    if (at(t, j) == '1' && is_sep3(at(t, j + 1))) {
        s1 = at(t, j + 1);
        j += 2;
    }
    if (at(t, j) == '(') {
        if (!nanp3(t, j + 1) || at(t, j + 4) != ')') return false;
        j += 5;
        if (at(t, j) == ' ') j++;
    } else {
        if (!nanp3(t, j)) return false;
        s2 = at(t, j + 3);
        if (!is_sep3(s2) || (s1 && s2 != s1)) return false;
        j += 4;
    }
    if (!nanp3(t, j)) return false;
    int s3 = at(t, j + 3);
    if (!is_sep3(s3) || (s2 && s3 != s2)) return false;
    j += 4;
    if (digit_run(t, j, 4) != 4) return false;
    j += 4;
    if (!num_right_ok(t, j)) return false;
    /* Joined by spaces, it is not one of a list of numbers ("6 384 768 1536 3072"). */
    bool spaced = s1 == ' ' || s2 == ' ' || s3 == ' ';
    if (spaced && ((i >= 2 && t->s[i - 1] == ' ' && is_digit(t->s[i - 2])) || continues(t, j, " ")))
        return false;
    m->start = i;
    m->end = j;
    return true;
}

/* National with a trunk 0: an area group 0[1-9]d{0,3}, in parentheses or
 * followed by ' ', '-' or '/', then groups of two or more digits joined by the
 * same separator, 10 to 12 digits in all: 030 1234567, (020) 7946 0958. It
 * does not start inside a run of digit groups ("4111 0532 0130 00"). */
static bool scan_trunk(const text *t, size_t i, sst_span *m)
{
    if (!num_left_ok(t, i) || (i >= 2 && t->s[i - 1] == ' ' && is_digit(t->s[i - 2]))) return false;
    size_t j = i;
    bool paren = at(t, j) == '(';
    if (paren) j++;
    if (at(t, j) != '0' || at(t, j + 1) < '1' || at(t, j + 1) > '9') return false;
    size_t area = digit_run(t, j, 5);
    if (area > 5) return false;
    j += area;
    const char *seps;
    if (paren) {
        if (at(t, j) != ')') return false;
        j++;
        if (at(t, j) == ' ') j++;
        if (!is_digit(at(t, j))) return false;
        seps = " -";
    } else {
        int c = at(t, j);
        if (!continues(t, j, " -/")) return false;
        seps = c == ' ' ? " " : c == '-' ? "-" : "/";
        j++;
    }
    groups g;
    read_groups(t, j, seps, 12 - area, &g);
    if (g.n < 1) return false;
    for (int k = 0; k < g.n; k++)
        if (g.len[k] < 2) return false;
    size_t digits = area + g.digits;
    size_t end = group_end(&g, g.n);
    if (digits < 10 || digits > 12 || continues(t, end, seps) || !num_right_ok(t, end)) return false;
    m->start = i;
    m->end = end;
    return true;
}

/* ---- payment cards ------------------------------------------------------ */

#define LEN(n) (1u << ((n) - 13))
#define LEN_14_19 (LEN(14) | LEN(15) | LEN(16) | LEN(17) | LEN(18) | LEN(19))
#define LEN_16_19 (LEN(16) | LEN(17) | LEN(18) | LEN(19))
#define LEN_13_19 (LEN(13) | LEN_14_19)

/* Issuer prefixes (IIN ranges over the first DIGITS digits) and the lengths
 * their cards have. */
static const struct iin {
    unsigned lo, hi;
    unsigned digits;
    unsigned lens;
} iins[] = {
    {4, 4, 1, LEN(13) | LEN(16) | LEN(19)},                 /* Visa */
    {51, 55, 2, LEN(16)},         {2221, 2720, 4, LEN(16)}, /* Mastercard */
    {34, 34, 2, LEN(15)},         {37, 37, 2, LEN(15)},     /* American Express */
    {300, 305, 3, LEN_14_19},     {36, 36, 2, LEN_14_19},   /* Diners Club */
    {38, 39, 2, LEN_14_19},
    {6011, 6011, 4, LEN_16_19},   {644, 649, 3, LEN_16_19}, /* Discover */
    {65, 65, 2, LEN_16_19},
    {3528, 3589, 4, LEN_16_19},                             /* JCB */
    {62, 62, 2, LEN_16_19},                                 /* UnionPay */
    {2200, 2204, 4, LEN_16_19},                             /* Mir */
    {5018, 5018, 4, LEN_13_19},   {5020, 5020, 4, LEN_13_19}, /* Maestro */
    {5038, 5038, 4, LEN_13_19},   {5893, 5893, 4, LEN_13_19},
    {6304, 6304, 4, LEN_13_19},   {6759, 6759, 4, LEN_13_19},
    {6761, 6763, 4, LEN_13_19},
};

static bool card_ok(const char *d, size_t n)
{
    bool known = false;
    for (size_t r = 0; r < sizeof iins / sizeof iins[0] && !known; r++) {
        unsigned p = 0;
        for (unsigned k = 0; k < iins[r].digits; k++) p = p * 10 + (unsigned)(d[k] - '0');
        known = p >= iins[r].lo && p <= iins[r].hi && (iins[r].lens & LEN(n));
    }
    if (!known) return false;
    unsigned sum = 0;
    for (size_t k = 0; k < n; k++) {
        unsigned v = (unsigned)(d[n - 1 - k] - '0');
        if (k & 1) v = v * 2 > 9 ? v * 2 - 9 : v * 2;
        sum += v;
    }
    return sum % 10 == 0;
}

/* 13-19 digits, bare or in groups joined by ' ' or '-' (first group of 4,
 * others of 3 to 8): the longest such prefix of the run that is a card. */
static bool scan_card(const text *t, size_t i, sst_span *m)
{
    if (!num_left_ok(t, i)) return false;
    groups g;
    read_groups(t, i, " -", 19, &g);
    for (int k = g.n; k >= 1; k--) {
        size_t digits = 0;
        bool shape = true;
        for (int q = 0; q < k; q++) {
            digits += g.len[q];
            if (k > 1 && (g.len[q] < 3 || g.len[q] > 8 || (q == 0 && g.len[q] != 4))) shape = false;
        }
        size_t end = group_end(&g, k);
        if (!shape || digits < 13 || digits > 19 || !num_right_ok(t, end)) continue;
        char d[19];
        size_t n = 0;
        for (int q = 0; q < k; q++)
            for (size_t p = 0; p < g.len[q]; p++) d[n++] = (char)at(t, g.start[q] + p);
        if (card_ok(d, n)) {
            m->start = i;
            m->end = end;
            return true;
        }
    }
    return false;
}

/* ---- IBAN --------------------------------------------------------------- */

/* Length of the IBAN of each country that has one (the IBAN registry). */
static const struct iban_country {
    char cc[3];
    unsigned char len;
} iban_countries[] = {
    {"AD", 24}, {"AE", 23}, {"AL", 28}, {"AT", 20}, {"AZ", 28}, {"BA", 20}, {"BE", 16},
    {"BG", 22}, {"BH", 22}, {"BI", 27}, {"BR", 29}, {"BY", 28}, {"CH", 21}, {"CR", 22},
    {"CY", 28}, {"CZ", 24}, {"DE", 22}, {"DJ", 27}, {"DK", 18}, {"DO", 28}, {"EE", 20},
    {"EG", 29}, {"ES", 24}, {"FI", 18}, {"FK", 18}, {"FO", 18}, {"FR", 27}, {"GB", 22},
    {"GE", 22}, {"GI", 23}, {"GL", 18}, {"GR", 27}, {"GT", 28}, {"HR", 21}, {"HU", 28},
    {"IE", 22}, {"IL", 23}, {"IQ", 23}, {"IS", 26}, {"IT", 27}, {"JO", 30}, {"KW", 30},
    {"KZ", 20}, {"LB", 28}, {"LC", 32}, {"LI", 21}, {"LT", 20}, {"LU", 20}, {"LV", 21},
    {"LY", 25}, {"MC", 27}, {"MD", 24}, {"ME", 22}, {"MK", 19}, {"MN", 20}, {"MR", 27},
    {"MT", 31}, {"MU", 30}, {"NI", 28}, {"NL", 18}, {"NO", 15}, {"OM", 23}, {"PK", 24},
    {"PL", 28}, {"PS", 29}, {"PT", 25}, {"QA", 29}, {"RO", 24}, {"RS", 22}, {"RU", 33},
    {"SA", 24}, {"SC", 31}, {"SD", 18}, {"SE", 24}, {"SI", 19}, {"SK", 24}, {"SM", 27},
    {"SO", 23}, {"ST", 25}, {"SV", 28}, {"TL", 23}, {"TN", 24}, {"TR", 26}, {"UA", 29},
    {"VA", 22}, {"VG", 24}, {"XK", 20}, {"YE", 30},
};

static size_t iban_length(int a, int b)
{
    for (size_t r = 0; r < sizeof iban_countries / sizeof iban_countries[0]; r++)
        if (iban_countries[r].cc[0] == a && iban_countries[r].cc[1] == b) return iban_countries[r].len;
    return 0;
}

/* Country code, check digits, upper-case BBAN of the country's length, bare
 * or in groups of four joined by single spaces; mod-97 of the rearranged
 * number is 1. */
static bool scan_iban(const text *t, size_t i, sst_span *m)
{
    if (i > 0 && is_word(t->s[i - 1])) return false;
    int a = at(t, i), b = at(t, i + 1);
    if (!is_upper(a) || !is_upper(b) || !is_digit(at(t, i + 2)) || !is_digit(at(t, i + 3))) return false;
    size_t len = iban_length(a, b);
    if (len == 0) return false;
    bool spaced = at(t, i + 4) == ' ';
    char buf[34];
    size_t n = 0, j = i;
    while (n < len) {
        if (spaced && n > 0 && n % 4 == 0) {
            if (at(t, j) != ' ') return false;
            j++;
        }
        int c = at(t, j);
        if (!is_upper(c) && !is_digit(c)) return false;
        buf[n++] = (char)c;
        j++;
    }
    if (is_word(at(t, j))) return false;
    unsigned r = 0;
    for (size_t k = 0; k < len; k++) {
        int c = buf[(k + 4) % len];
        if (is_digit(c)) r = (r * 10 + (unsigned)(c - '0')) % 97;
        else r = (r * 100 + (unsigned)(c - 'A' + 10)) % 97;
    }
    if (r != 1) return false;
    m->start = i;
    m->end = j;
    return true;
}

/* ---- national ids ------------------------------------------------------- */

static const char *const ssn_words[] = {"ssn", "social security", "social_security", NULL};
static const char *const bsn_words[] = {"bsn", "burgerservicenummer", "sofinummer", "sofi-nummer", NULL};

/* US SSN: AAA-GG-SSSS or AAA GG SSSS; nine bare digits only after a keyword
 * ("SSN", "social security"). Area 001-899 but 666, group and serial not 0,
 * and not the two numbers printed in advertising (078-05-1120, 219-09-9999). */
static bool scan_ssn(const text *t, size_t i, sst_span *m)
{
    if (!num_left_ok(t, i)) return false;
    groups g;
    read_groups(t, i, "- ", 9, &g);
    bool formatted = g.n == 3 && g.len[0] == 3 && g.len[1] == 2 && g.len[2] == 4;
    bool bare = g.n == 1 && g.len[0] == 9;
    if (!formatted && !bare) return false;
    size_t end = group_end(&g, g.n);
    if (!num_right_ok(t, end)) return false;
    unsigned long area, group, serial;
    if (formatted) {
        area = digits_value(t, g.start[0], 3);
        group = digits_value(t, g.start[1], 2);
        serial = digits_value(t, g.start[2], 4);
    } else {
        area = digits_value(t, i, 3);
        group = digits_value(t, i + 3, 2);
        serial = digits_value(t, i + 5, 4);
    }
    if (area == 0 || area == 666 || area >= 900 || group == 0 || serial == 0) return false;
    if ((area == 78 && group == 5 && serial == 1120) || (area == 219 && group == 9 && serial == 9999))
        return false;
    if (bare && !keyword_before(t, i, ssn_words)) return false;
    m->start = i;
    m->end = end;
    return true;
}

/* UK National Insurance number: two prefix letters (not D F I Q U V, the
 * second not O either, not BG GB KN NK NT TN ZZ), six digits, suffix A-D:
 * AB123456C, AB 12 34 56 C or AB 123456 C. It has no check digit. */
static bool scan_nino(const text *t, size_t i, sst_span *m)
{
    static const char bad[][3] = {"BG", "GB", "KN", "NK", "NT", "TN", "ZZ"};
    if (i > 0 && is_word(t->s[i - 1])) return false;
    int a = at(t, i), b = at(t, i + 1);
    if (!is_upper(a) || !is_upper(b) || one_of(a, "DFIQUV") || one_of(b, "DFIOQUV")) return false;
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++)
        if (bad[k][0] == a && bad[k][1] == b) return false;
    size_t j = i + 2;
    bool spaced = at(t, j) == ' ';
    if (spaced) j++;
    if (spaced && is_digit(at(t, j)) && is_digit(at(t, j + 1)) && at(t, j + 2) == ' ') {
        for (int p = 0; p < 3; p++) {
            if (!is_digit(at(t, j)) || !is_digit(at(t, j + 1)) || at(t, j + 2) != ' ') return false;
            j += 3;
        }
    } else {
        if (digit_run(t, j, 6) != 6) return false;
        j += 6;
        if (spaced) {
            if (at(t, j) != ' ') return false;
            j++;
        }
    }
    int c = at(t, j);
    if (c < 'A' || c > 'D' || is_word(at(t, j + 1))) return false;
    m->start = i;
    m->end = j + 1;
    return true;
}

/* Spanish DNI (8 digits) and NIE (X, Y or Z and 7 digits), then an optional
 * '-' and the check letter: the number mod 23 indexes TRWAGMYFPDXBNJZSQVHLCKE. */
static bool scan_dni(const text *t, size_t i, sst_span *m)
{
    static const char letters[] = "TRWAGMYFPDXBNJZSQVHLCKE";
    int c = at(t, i);
    size_t j = i, want = 8;
    unsigned long n = 0;
    if (c == 'X' || c == 'Y' || c == 'Z') {
        if (i > 0 && is_word(t->s[i - 1])) return false;
        n = (unsigned long)(c - 'X');
        j++;
        want = 7;
    } else if (!num_left_ok(t, i)) {
        return false;
    }
    if (digit_run(t, j, want) != want) return false;
    n = n * (want == 7 ? 10000000ul : 1ul) + digits_value(t, j, want);
    j += want;
    if (at(t, j) == '-') j++;
    if (at(t, j) != letters[n % 23] || is_word(at(t, j + 1))) return false;
    m->start = i;
    m->end = j + 1;
    return true;
}

/* Dutch BSN: nine digits passing the 11-proof (9a+8b+...+2h-i = 0 mod 11),
 * only after a keyword ("BSN", "burgerservicenummer", "sofinummer"): one
 * nine-digit number in eleven passes the proof by chance. */
static bool scan_bsn(const text *t, size_t i, sst_span *m)
{
    if (!num_left_ok(t, i) || digit_run(t, i, 9) != 9 || !num_right_ok(t, i + 9)) return false;
    long sum = 0;
    for (int k = 0; k < 8; k++) sum += (9 - k) * (at(t, i + (size_t)k) - '0');
    sum -= at(t, i + 8) - '0';
    if (sum == 0 || sum % 11 != 0 || !keyword_before(t, i, bsn_words)) return false;
    m->start = i;
    m->end = i + 9;
    return true;
}

/* ---- IP addresses ------------------------------------------------------- */

/* An octet at I: 0-255 without a leading zero. Returns its length, 0 if none. */
static size_t octet(const text *t, size_t i)
{
    size_t n = digit_run(t, i, 3);
    if (n == 0 || n > 3 || (n > 1 && at(t, i) == '0') || digits_value(t, i, n) > 255) return 0;
    return n;
}

/* End of the dotted quad at I, 0 if there is none. */
static size_t ipv4_end(const text *t, size_t i)
{
    size_t j = i;
    for (int q = 0; q < 4; q++) {
        if (q) {
            if (at(t, j) != '.') return 0;
            j++;
        }
        size_t n = octet(t, j);
        if (n == 0) return 0;
        j += n;
    }
    return j;
}

/* IPv4: four octets, the first not 0, not part of a longer dotted number. */
/* The host of a URL ("http://10.0.0.5:8080/", "//[::1]/") names the server
 * a call goes to, not a user: it is not a network id. */
static bool url_host(const text *t, size_t i)
{
    if (i >= 1 && t->s[i - 1] == '[') i--;
    return i >= 2 && t->s[i - 1] == '/' && t->s[i - 2] == '/';
}

static bool scan_ipv4(const text *t, size_t i, sst_span *m)
{
    if (i > 0 && (is_word(t->s[i - 1]) || t->s[i - 1] == '.')) return false;
    if (url_host(t, i)) return false;
    if (at(t, i) == '0') return false;
    size_t j = ipv4_end(t, i);
    if (j == 0 || is_word(at(t, j)) || (at(t, j) == '.' && is_digit(at(t, j + 1)))) return false;
    m->start = i;
    m->end = j;
    return true;
}

/* IPv6: eight groups of 1-4 hex digits, or fewer with one "::", optionally
 * ending in a dotted quad. A compressed form must look like an address and
 * not like a slice or a C++ name ("x[1::2]", "Bad::Add"): two groups or more,
 * one of at least three hex digits, a letter and a digit; or a dotted quad
 * after at least one group ("::ffff:192.0.2.1"). */
static bool scan_ipv6(const text *t, size_t i, sst_span *m)
{
    if (i > 0 && (is_word(t->s[i - 1]) || t->s[i - 1] == ':' || t->s[i - 1] == '.')) return false;
    if (url_host(t, i)) return false;
    if (at(t, i) != ':') {
        /* Without a leading "::", the first group is followed by ':'. */
        size_t n = 0;
        while (n < 5 && is_hex(at(t, i + n))) n++;
        if (n > 4 || at(t, i + n) != ':') return false;
    }
    size_t j = i, widest = 0;
    int groups = 0;
    bool dc = false, v4 = false, letter = false, digit = false;
    if (at(t, j) == ':') {
        if (at(t, j + 1) != ':') return false;
        dc = true;
        j += 2;
    }
    for (;;) {
        size_t n = 0;
        while (n < 5 && is_hex(at(t, j + n))) n++;
        if (n == 0) break;
        if (n > 4) return false;
        if (at(t, j + n) == '.') {
            size_t e = ipv4_end(t, j);
            if (e == 0 || groups > 6) return false;
            groups += 2;
            v4 = true;
            j = e;
            break;
        }
        for (size_t k = 0; k < n; k++) {
            if (is_digit(at(t, j + k))) digit = true;
            else letter = true;
        }
        if (n > widest) widest = n;
        if (++groups > 8) return false;
        j += n;
        if (at(t, j) == ':' && at(t, j + 1) == ':') {
            if (dc) return false;
            dc = true;
            j += 2;
        } else if (at(t, j) == ':' && is_hex(at(t, j + 1))) {
            j++;
        } else {
            break;
        }
    }
    if (!dc) {
        if (groups != 8) return false;
    } else if (groups > 7) {
        return false;
    } else if (v4 ? groups < 3 : (groups < 2 || widest < 3 || !letter || !digit)) {
        return false;
    }
    if (is_word(at(t, j)) || (at(t, j) == '.' && is_digit(at(t, j + 1)))) return false;
    m->start = i;
    m->end = j;
    return true;
}

/* ---- secrets ------------------------------------------------------------ */

static inline bool is_token(int c) { return classes[c] & C_TOKEN; }

/* "Bearer" (any case), 1-4 blanks, a token of 16 or more characters of
 * RFC 6750's token68 with at least one digit, then any '=' padding. */
static bool scan_bearer(const text *t, size_t i, sst_span *m)
{
    static const char word[] = "bearer";
    if (i > 0 && is_word(t->s[i - 1])) return false;
    for (size_t k = 0; k < 6; k++)
        if (lower(at(t, i + k)) != word[k]) return false;
    size_t j = i + 6, blanks = 0;
    while (blanks < 4 && (at(t, j) == ' ' || at(t, j) == '\t')) {
        j++;
        blanks++;
    }
    size_t s = j;
    bool digit = false;
    while (is_token(at(t, j))) {
        if (is_digit(at(t, j))) digit = true;
        j++;
    }
    if (blanks == 0 || j - s < 16 || !digit) return false;
    while (at(t, j) == '=') j++;
    m->start = i;
    m->end = j;
    return true;
}

/* Runs of key characters: CLASS 'a' alphanumeric, 'u' upper case and
 * digits, 'w' word characters, 'b' base64url, 's' alphanumeric and '-'. */
static bool in_class(int c, int cls)
{
    switch (cls) {
    case 'a': return is_alnum(c);
    case 'u': return is_upper(c) || is_digit(c);
    case 'w': return is_word(c);
    case 'b': return is_b64url(c);
    default: return is_alnum(c) || c == '-';
    }
}

typedef struct key_shape {
    const char *prefix;
    int cls;          /* characters of the body */
    size_t min, max;  /* body length */
    bool mixed;       /* the body has a letter and a digit */
} key_shape;

/* Common API key shapes: OpenAI-style "sk-", Stripe secret and restricted
 * keys, AWS access key ids, Google API keys, GitHub tokens, Slack tokens. */
static const key_shape key_shapes[] = {
    {"sk_live_", 'a', 16, 255, true}, {"sk_test_", 'a', 16, 255, true},
    {"rk_live_", 'a', 16, 255, true}, {"rk_test_", 'a', 16, 255, true},
    {"sk-", 'b', 20, 255, true},
    {"AKIA", 'u', 16, 16, false},     {"ASIA", 'u', 16, 16, false},
    {"AIza", 'b', 35, 35, false},
    {"github_pat_", 'w', 22, 255, false},
    {"ghp_", 'a', 36, 255, false},    {"gho_", 'a', 36, 255, false},
    {"ghu_", 'a', 36, 255, false},    {"ghs_", 'a', 36, 255, false},
    {"ghr_", 'a', 36, 255, false},
    {"xoxb-", 's', 10, 255, true},    {"xoxp-", 's', 10, 255, true},
    {"xoxa-", 's', 10, 255, true},    {"xoxr-", 's', 10, 255, true},
    {"xoxs-", 's', 10, 255, true},    {"xoxe-", 's', 10, 255, true},
};

static bool scan_api_key(const text *t, size_t i, sst_span *m)
{
    if (i > 0 && is_b64url(t->s[i - 1])) return false;
    int c1 = at(t, i + 1);
    if (c1 != 'k' && c1 != 'h' && c1 != 'i' && c1 != 'o' && c1 != 'K' && c1 != 'S' && c1 != 'I') return false;
    for (size_t r = 0; r < sizeof key_shapes / sizeof key_shapes[0]; r++) {
        const key_shape *k = &key_shapes[r];
        if (!starts(t, i, k->prefix)) continue;
        size_t j = i + strlen(k->prefix), n = 0;
        bool letter = false, digit = false;
        while (n <= k->max && in_class(at(t, j + n), k->cls)) {
            if (is_digit(at(t, j + n))) digit = true;
            if (is_alpha(at(t, j + n))) letter = true;
            n++;
        }
        if (n < k->min || n > k->max || (k->mixed && !(letter && digit)) || is_b64url(at(t, j + n)))
            return false;
        m->start = i;
        m->end = j + n;
        return true;
    }
    return false;
}

/* JWT: base64url header and payload that both start with "eyJ" (a JSON
 * object), at least 10 characters each, then a signature (possibly empty). */
static bool scan_jwt(const text *t, size_t i, sst_span *m)
{
    if (i > 0 && (is_b64url(t->s[i - 1]) || t->s[i - 1] == '.')) return false;
    size_t j = i;
    for (int part = 0; part < 2; part++) {
        if (!starts(t, j, "eyJ")) return false;
        size_t n = 0;
        while (is_b64url(at(t, j + n))) n++;
        if (n < 10 || at(t, j + n) != '.') return false;
        j += n + 1;
    }
    while (is_b64url(at(t, j))) j++;
    m->start = i;
    m->end = j;
    return true;
}

/* A PEM private key header: -----BEGIN [A-Z ]* PRIVATE KEY[A-Z ]*----- */
static bool scan_private_key(const text *t, size_t i, sst_span *m)
{
    if ((i > 0 && t->s[i - 1] == '-') || !starts(t, i, "-----BEGIN ")) return false;
    size_t s = i + 11, j = s;
    while (j - s < 40 && (is_upper(at(t, j)) || at(t, j) == ' ')) j++;
    if (!starts(t, j, "-----")) return false;
    bool named = false;
    for (size_t p = s; p + 11 <= j && !named; p++) named = starts(t, p, "PRIVATE KEY");
    if (!named) return false;
    m->start = i;
    m->end = j + 5;
    return true;
}

/* ---- the scan ----------------------------------------------------------- */

typedef bool (*scanner)(const text *t, size_t i, sst_span *m);

typedef struct state {
    const text *t;
    uint32_t want;
    uint32_t got;
    sst_span *found;
} state;

static void try_kind(state *st, unsigned bit, scanner scan, size_t i)
{
    sst_span m;
    if (!(st->want & (1u << bit)) || !scan(st->t, i, &m) || m.end > st->t->w) return;
    st->found[bit] = m;
    st->want &= ~(1u << bit);
    st->got |= 1u << bit;
}

enum {
    B_EMAIL, B_PHONE, B_CARD, B_IBAN, B_US_SSN, B_UK_NINO, B_ES_DNI, B_NL_BSN,
    B_IPV4, B_IPV6, B_BEARER, B_API_KEY, B_JWT, B_PRIVATE_KEY
};

/* A word starts at I: every scanner whose match can start with its character.
 * An IBAN is one token: nothing else is looked for inside it (its digit
 * groups are not card or phone numbers). Returns where scanning goes on. */
static size_t word_start(state *st, size_t i)
{
    int c = st->t->s[i];
    if (is_upper(c)) {
        sst_span m;
        if (scan_iban(st->t, i, &m)) {
            if ((st->want & (1u << B_IBAN)) && m.end <= st->t->w) {
                st->found[B_IBAN] = m;
                st->want &= ~(1u << B_IBAN);
                st->got |= 1u << B_IBAN;
            }
            return m.end;
        }
    }
    if (is_digit(c)) {
        /* Only the scanners that can match a first run of R digits followed by
         * NEXT (a shortcut: each scanner checks all of this itself). */
        size_t r = digit_run(st->t, i, 19);
        int next = at(st->t, i + r);
        if (r == 1 || r == 3) try_kind(st, B_PHONE, scan_nanp, i);
        if (c == '0' && r <= 5) try_kind(st, B_PHONE, scan_trunk, i);
        if (r == 4 || (r >= 13 && r <= 19)) try_kind(st, B_CARD, scan_card, i);
        if (r == 3 || r == 9) try_kind(st, B_US_SSN, scan_ssn, i);
        if (r == 8) try_kind(st, B_ES_DNI, scan_dni, i);
        if (r == 9) try_kind(st, B_NL_BSN, scan_bsn, i);
        if (r <= 3 && next == '.') try_kind(st, B_IPV4, scan_ipv4, i);
        if (r <= 4 && (next == ':' || is_hex(next))) try_kind(st, B_IPV6, scan_ipv6, i);
        return i + 1;
    }
    if (is_upper(c)) {
        try_kind(st, B_UK_NINO, scan_nino, i);
        if (c >= 'X') try_kind(st, B_ES_DNI, scan_dni, i);
    }
    if (c == 'b' || c == 'B') try_kind(st, B_BEARER, scan_bearer, i);
    if (c == 's' || c == 'r' || c == 'g' || c == 'x' || c == 'A') try_kind(st, B_API_KEY, scan_api_key, i);
    if (c == 'e') try_kind(st, B_JWT, scan_jwt, i);
    if (is_hex(c)) try_kind(st, B_IPV6, scan_ipv6, i);
    return i + 1;
}

uint32_t sst_scan_builtin(const unsigned char *s, size_t len, uint32_t mask,
                          sst_span found[SST_BUILTIN_COUNT])
{
    text t;
    t.s = s;
    t.w = len < SST_DETECT_SCAN_MAX ? len : SST_DETECT_SCAN_MAX;
    t.e = len < SST_DETECT_SCAN_MAX + SST_DETECT_PEEK ? len : SST_DETECT_SCAN_MAX + SST_DETECT_PEEK;
    state st = {&t, mask & SST_DETECT_BUILTIN, 0, found};
    size_t i = 0;
    while (i < t.w && st.want) {
        int c = s[i];
        if (is_alnum(c)) {
            /* A word starts here (what came before is not alphanumeric); the
             * rest of the word starts nothing. */
            i = word_start(&st, i);
            while (i < t.w && is_alnum(s[i])) i++;
            continue;
        }
        if (c == '@') {
            try_kind(&st, B_EMAIL, scan_email, i);
        } else if (c == '+') {
            try_kind(&st, B_PHONE, scan_e164, i);
        } else if (c == '(') {
            try_kind(&st, B_PHONE, scan_nanp, i);
            try_kind(&st, B_PHONE, scan_trunk, i);
        } else if (c == ':') {
            if (at(&t, i + 1) == ':') try_kind(&st, B_IPV6, scan_ipv6, i);
        } else if (c == '-') {
            try_kind(&st, B_PRIVATE_KEY, scan_private_key, i);
        }
        i++;
    }
    return st.got;
}

int sst_scan_first(uint32_t got, const sst_span found[SST_BUILTIN_COUNT])
{
    int best = -1;
    for (int b = 0; b < SST_BUILTIN_COUNT; b++) {
        if (!(got & (1u << b))) continue;
        if (best < 0 || found[b].start < found[best].start ||
            (found[b].start == found[best].start &&
             found[b].end - found[b].start > found[best].end - found[best].start))
            best = b;
    }
    return best;
}
