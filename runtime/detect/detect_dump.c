/* detect-dump: what the C detectors make of values read on stdin, one
 * request a line, so the Python mirror's test can compare answers. Requests:
 *   P NAME CATEGORIES HEXREGEX   add a custom pattern ("ok" or "error MESSAGE")
 *   S HEXVALUE                   scan: KINDS FIRSTKIND START LEN PATTERN CATEGORIES HEXPREVIEW
 *   R KINDS HEXVALUE             preview with explicit kinds: HEXPREVIEW
 * Numbers are decimal; the preview of S uses the kinds the scan found. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "detect.h"

static size_t unhex(const char *hex, char *out)
{
    size_t n = 0;
    for (; hex[0] && hex[1] && hex[0] != '\n'; hex += 2) {
        unsigned v;
        if (sscanf(hex, "%2x", &v) != 1) break;
        out[n++] = (char)v;
    }
    return n;
}

static void put_hex(const char *s, size_t n)
{
    if (n == 0) fputc('-', stdout);
    for (size_t k = 0; k < n; k++) printf("%02x", (unsigned char)s[k]);
}

int main(void)
{
    sst_detector *d = NULL;
    sst_error err;
    if (sst_detector_new(&d, &err)) {
        fprintf(stderr, "detect-dump: %s\n", err.message);
        return 1;
    }
    size_t cap = 1 << 20;
    char *line = malloc(cap), *value = malloc(cap);
    if (!line || !value) return 1;
    while (fgets(line, (int)cap, stdin)) {
        char out[SST_REDACT_MAX];
        if (line[0] == 'P') {
            char name[128];
            unsigned cats;
            int used = 0;
            if (sscanf(line, "P %127s %u %n", name, &cats, &used) < 2) return 1;
            size_t n = unhex(line + used, value);
            value[n] = '\0';
            if (sst_detector_add_pattern(d, name, value, cats, &err)) printf("error %s\n", err.message);
            else printf("ok\n");
        } else if (line[0] == 'S') {
            size_t n = unhex(line + 2, value);
            sst_match m;
            unsigned kinds = sst_detector_scan(d, value, n, &m);
            size_t r = sst_redact(value, n, kinds, out, sizeof out);
            printf("%u %u %zu %zu %d %u ", kinds, m.kind, m.start, m.len, m.pattern, m.categories);
            put_hex(out, r);
            fputc('\n', stdout);
        } else if (line[0] == 'R') {
            unsigned kinds;
            int used = 0;
            if (sscanf(line, "R %u %n", &kinds, &used) < 1) return 1;
            size_t n = unhex(line + used, value);
            size_t r = sst_redact(value, n, kinds, out, sizeof out);
            put_hex(out, r);
            fputc('\n', stdout);
        } else {
            return 1;
        }
        fflush(stdout);
    }
    free(line);
    free(value);
    sst_detector_free(d);
    return 0;
}
