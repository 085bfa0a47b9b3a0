/* Value detectors of the sst runtime: a detector object holding the built-in
 * scanners (e-mail, phone, payment card, IBAN, national ids, IP addresses,
 * secrets) and custom pcre2 patterns from configuration, the mapping from
 * detector kinds to data categories, and the redacted previews of the audit log. */
#ifndef SST_DETECT_H
#define SST_DETECT_H

#include <stddef.h>
#include <stdint.h>

#include "sst/rewrite.h"   /* sst_error, SST_CAT_* */

#ifdef __cplusplus
extern "C" {
#endif

/* Only the first SST_DETECT_SCAN_MAX bytes of a value are examined: a match is
 * reported only when it lies entirely inside them. The built-in scanners read
 * up to SST_DETECT_PEEK bytes after that window to decide where a match ends
 * (so a card number cut by the window is not taken for a shorter one); custom
 * patterns see the window as if the value ended there (less a character cut
 * in two at its end). Built-in scanning is linear in the window and allocates
 * nothing. */
#define SST_DETECT_SCAN_MAX 4096
#define SST_DETECT_PEEK 16

/* Detector kinds, one bit each. sst_detector_scan returns a set of them.
 * Every built-in needs its match to stand alone (not glued to a word or to a
 * longer number) and checks what can be checked; scanners.c has the details.
 *   EMAIL    local@domain: practical local part (A-Z a-z 0-9 . _ % + -, UTF-8),
 *            two or more labels, a letter TLD (not an image suffix: icon@2x.png)
 *   PHONE    E.164 (+ and 8-15 digits, groups may be joined by space, '-', '.',
 *            parentheses); North American (415) 555-2671, 415-555-2671;
 *            national with a trunk 0 and separators, 10-12 digits:
 *            030 1234567, 020 7946 0958, 06-12345678. A bare run of digits,
 *            a date, a version or a decimal number is not a phone number.
 *   CARD     13-19 digits, bare or grouped by ' ' or '-', an issuer prefix with
 *            its lengths (Visa, Mastercard, Amex, Diners, Discover, JCB,
 *            UnionPay, Mir, Maestro), Luhn
 *   IBAN     country code with that country's length, groups of 4 or bare,
 *            mod-97 = 1; its digit groups are never also cards or phones
 *   US_SSN   AAA-GG-SSSS or AAA GG SSSS (area 001-899 but 666, group, serial
 *            not 0); nine bare digits only after "SSN" or "social security"
 *   UK_NINO  National Insurance number: prefix letter rules, six digits,
 *            suffix A-D (no check digit exists)
 *   ES_DNI   Spanish DNI (8 digits) and NIE (X/Y/Z + 7 digits) with the mod-23
 *            check letter
 *   NL_BSN   Dutch BSN: 9 digits passing the 11-proof, only after "BSN",
 *            "burgerservicenummer" or "sofinummer" (1 in 11 numbers passes)
 *   IPV4     dotted quad, octets 0-255 without leading zeros, first not 0;
 *            not the host of a URL ("http://10.0.0.5/": a server, not a user)
 *   IPV6     8 groups, or compressed with "::" (and shaped like an address,
 *            not like x[1::2]), optionally ending in a dotted quad
 *   BEARER   "Bearer" and a token of 16 or more characters with a digit
 *   API_KEY  sk-... (OpenAI-style), sk_live_/sk_test_/rk_... (Stripe), AKIA/ASIA
 *            (AWS key ids), AIza (Google), ghp_/gho_/ghu_/ghs_/ghr_/github_pat_
 *            (GitHub), xoxb-/xoxp-/... (Slack)
 *   JWT      eyJ<header>.eyJ<payload>.<signature>
 *   PRIVATE_KEY  a PEM "-----BEGIN ... PRIVATE KEY-----" line */
enum {
    SST_DETECT_EMAIL = 1u << 0,
    SST_DETECT_PHONE = 1u << 1,
    SST_DETECT_CARD = 1u << 2,
    SST_DETECT_IBAN = 1u << 3,
    SST_DETECT_US_SSN = 1u << 4,
    SST_DETECT_UK_NINO = 1u << 5,
    SST_DETECT_ES_DNI = 1u << 6,
    SST_DETECT_NL_BSN = 1u << 7,
    SST_DETECT_IPV4 = 1u << 8,
    SST_DETECT_IPV6 = 1u << 9,
    SST_DETECT_BEARER = 1u << 10,
    SST_DETECT_API_KEY = 1u << 11,
    SST_DETECT_JWT = 1u << 12,
    SST_DETECT_PRIVATE_KEY = 1u << 13,
    SST_DETECT_CUSTOM = 1u << 14,     /* one of the detector's custom patterns */
    SST_DETECT_BUILTIN = (1u << 14) - 1,
    SST_DETECT_KIND_COUNT = 15
};

/* "email", "phone", "card", ... for bit index i < SST_DETECT_KIND_COUNT, else NULL. */
const char *sst_detect_kind_name(unsigned index);
/* The SST_CAT_* bits the built-in kinds in KINDS stand for (CUSTOM maps to
 * nothing here: a custom pattern carries its own categories, see sst_match). */
uint32_t sst_detect_categories(uint32_t kinds);

/* Where the first match is, and what everything found means. */
typedef struct sst_match {
    uint32_t kind;        /* the one SST_DETECT_* bit of the first match, 0 if none */
    size_t start;         /* byte offset of the first match in the input */
    size_t len;           /* its length in bytes */
    int pattern;          /* kind == SST_DETECT_CUSTOM: index of the custom pattern, else -1 */
    uint32_t categories;  /* SST_CAT_* of every kind found, custom patterns' included */
} sst_match;

/* A compiled set of detectors: the built-ins plus custom patterns. Build it
 * once (new, add_pattern, set_kinds), then scan from any number of threads:
 * scanning only reads it. */
typedef struct sst_detector sst_detector;

#define SST_DETECT_NAME_MAX 64   /* longest custom pattern name */

int sst_detector_new(sst_detector **out, sst_error *err);
void sst_detector_free(sst_detector *detector);

/* Which built-in kinds to look for (default: SST_DETECT_BUILTIN). */
void sst_detector_set_kinds(sst_detector *detector, uint32_t kinds);

/* Adds a custom pattern: NAME is 1-64 characters of [A-Za-z0-9_.-], REGEX a
 * pcre2 pattern (UTF-8, compiled with JIT when available) that cannot match
 * the empty string, CATEGORIES a non-empty set of SST_CAT_* bits. A bad
 * pattern fails with SST_EINVAL and a message naming the pattern and the
 * offset of the problem. Matching is bounded by a match limit: a pattern that
 * hits it counts as not matching. */
int sst_detector_add_pattern(sst_detector *detector, const char *name, const char *regex,
                             uint32_t categories, sst_error *err);
size_t sst_detector_pattern_count(const sst_detector *detector);
const char *sst_detector_pattern_name(const sst_detector *detector, size_t index);

/* Scans the first SST_DETECT_SCAN_MAX bytes of UTF8 (any bytes; invalid UTF-8
 * never matches a custom pattern). Returns the set of kinds found. The first
 * match is the one that starts first; on a tie the longer one, then the lower
 * kind bit, then the lower pattern index. FIRST may be NULL; when given it is
 * always filled (kind 0 when nothing was found). */
uint32_t sst_detector_scan(const sst_detector *detector, const char *utf8, size_t len,
                           sst_match *first);

/* A redacted preview always fits in SST_REDACT_MAX bytes, its NUL included. */
#define SST_REDACT_MAX 48

/* Writes a preview of UTF8 that never contains the personal value: the first
 * match of a kind in KINDS (looked for with the built-in scanners) is shown as
 *   e-mail            j***@e***.com   (first character of each side, the TLD)
 *   card, phone       ************4242 (one star per hidden digit, at most 15,
 *                                       the last 4 digits; "***" under 8 digits)
 *   anything else     J***            (first character)
 * When no kind of KINDS matches, the whole value is shown in the digit style
 * if KINDS has card or phone and the value is number-shaped (only digits and
 * " -.()+/"), else as its first character: a text that merely holds numbers
 * (a prompt with amounts, tagged financial) shows none of them. Leading
 * white space is skipped; a first character that is a control or not valid
 * UTF-8 is left out ("***"). The output is valid UTF-8 and NUL-terminated when
 * CAP > 0 (cut at a character boundary if CAP is too small). Returns the
 * length of the full preview, without its NUL, like snprintf. */
size_t sst_redact(const char *utf8, size_t len, uint32_t kinds, char *out, size_t cap);

#ifdef __cplusplus
}
#endif
#endif
