/* bench-detect: throughput of sst_detector_scan on a few MB of mixed text
 * (prose, code, log lines, JSON records with personal data), cut into values
 * of 64 to 4096 bytes; optionally on files given as arguments, one value a
 * line. With --show, prints every first match found in the files. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "detect.h"

static unsigned long rng = 88172645463325252ul;
static unsigned next(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (unsigned)(rng >> 11);
}

static const char *const words[] = {
    "the", "request", "user", "order", "value", "return", "self", "data", "from", "import",
    "config", "def", "class", "if", "else", "None", "for", "in", "while", "with", "payment",
    "email", "phone", "status", "error", "2024-01-15", "v1.2.3", "0x7fff", "len(items)", "42",
    "x[1:3]", "std::vector", "Dear", "customer", "invoice", "total:", "EUR", "12.50", "http://example.org/a",
};
static const char *const secrets[] = {
    "jane.doe@example.com", "+4915112345678", "(415) 555-2671", "4242 4242 4242 4242",
    "DE89 3704 0044 0532 0130 00", "203.0.113.7", "2001:db8::7", "123-45-6789",
    "Bearer abcdef0123456789abcdef", "sk_live_4eC39HqLyjWDarjtT1zdp7dc", "030 1234567",
};

static size_t make_text(char *buf, size_t cap)
{
    size_t n = 0;
    while (n + 64 < cap) {
        unsigned r = next() % 100;
        const char *w;
        if (r < 2) w = secrets[next() % (sizeof secrets / sizeof secrets[0])];
        else w = words[next() % (sizeof words / sizeof words[0])];
        size_t len = strlen(w);
        memcpy(buf + n, w, len);
        n += len;
        r = next() % 12;
        buf[n++] = r == 0 ? '\n' : r == 1 ? ',' : r == 2 ? '(' : ' ';
    }
    return n;
}

/* CPU time of this process: the machine may be shared. */
static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

typedef struct value {
    const char *p;
    size_t n;
} value;

static void run(const char *label, const sst_detector *d, const value *v, size_t nv)
{
    double best = 1e9;
    size_t bytes = 0, hits = 0;
    for (int rep = 0; rep < 7; rep++) {
        bytes = 0;
        hits = 0;
        double t0 = now();
        for (size_t k = 0; k < nv; k++) {
            sst_match m;
            hits += sst_detector_scan(d, v[k].p, v[k].n, &m) != 0;
            bytes += v[k].n < SST_DETECT_SCAN_MAX ? v[k].n : SST_DETECT_SCAN_MAX;
        }
        double t = now() - t0;
        if (t < best) best = t;
    }
    printf("%-40s %8zu values %6.2f MB scanned %7.1f MB/s (CPU) %9.0f values/s  %zu with a match\n", label, nv,
           (double)bytes / 1e6, (double)bytes / 1e6 / best, (double)nv / best, hits);
}

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)n + 1);
    if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
        free(buf);
        buf = NULL;
    }
    fclose(f);
    *len = (size_t)n;
    return buf;
}

int main(int argc, char **argv)
{
    sst_detector *plain = NULL, *custom = NULL;
    sst_error err;
    if (sst_detector_new(&plain, &err) || sst_detector_new(&custom, &err) ||
        sst_detector_add_pattern(custom, "employee", "\\bEMP-[0-9]{6}\\b", SST_CAT_GOVERNMENT_ID, &err) ||
        sst_detector_add_pattern(custom, "ticket", "(?i)ticket #?[0-9]{5,8}", SST_CAT_USER_TEXT, &err)) {
        fprintf(stderr, "bench-detect: %s\n", err.message);
        return 1;
    }
    size_t cap = 4u << 20;
    char *text = malloc(cap);
    size_t len = make_text(text, cap);
    value *v = malloc(sizeof *v * (len / 64 + 1));
    size_t nv = 0;
    for (size_t off = 0; off < len;) {
        size_t n = 64u << (next() % 7); /* 64 .. 4096 */
        if (off + n > len) n = len - off;
        v[nv].p = text + off;
        v[nv].n = n;
        nv++;
        off += n;
    }
    run("mixed text, built-ins", plain, v, nv);
    run("mixed text, built-ins + 2 pcre2 patterns", custom, v, nv);

    int show = 0;
    for (int a = 1; a < argc; a++) {
        if (strcmp(argv[a], "--show") == 0) {
            show = 1;
            continue;
        }
        size_t flen;
        char *file = slurp(argv[a], &flen);
        if (!file) {
            fprintf(stderr, "bench-detect: %s: cannot read\n", argv[a]);
            return 1;
        }
        value *lines = malloc(sizeof *lines * (flen + 1));
        size_t nl = 0;
        for (size_t off = 0; off < flen;) {
            char *nlp = memchr(file + off, '\n', flen - off);
            size_t end = nlp ? (size_t)(nlp - file) : flen;
            lines[nl].p = file + off;
            lines[nl].n = end - off;
            nl++;
            off = end + 1;
        }
        char label[64];
        snprintf(label, sizeof label, "%.30s, lines", strrchr(argv[a], '/') ? strrchr(argv[a], '/') + 1 : argv[a]);
        run(label, plain, lines, nl);
        if (show) {
            for (size_t k = 0; k < nl; k++) {
                sst_match m;
                uint32_t kinds = sst_detector_scan(plain, lines[k].p, lines[k].n, &m);
                if (!kinds) continue;
                for (unsigned b = 0; b < SST_DETECT_KIND_COUNT; b++)
                    if (kinds & (1u << b)) printf("%s ", sst_detect_kind_name(b));
                printf("| %.*s\n", (int)m.len, lines[k].p + m.start);
            }
        }
        free(lines);
        free(file);
    }
    free(v);
    free(text);
    sst_detector_free(plain);
    sst_detector_free(custom);
    return 0;
}
