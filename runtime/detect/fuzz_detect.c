/* libFuzzer target of the value detectors: any bytes through scan and
 * redact, with the invariants checked (match inside the window, preview
 * bounded, NUL-terminated and valid UTF-8). Built with -DSST_FUZZ=ON. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "detect.h"

static int valid_utf8(const unsigned char *p, size_t n)
{
    size_t k = 0;
    while (k < n) {
        unsigned c = p[k];
        size_t len = c < 0x80 ? 1 : (c >= 0xC2 && c <= 0xDF) ? 2 : (c >= 0xE0 && c <= 0xEF) ? 3
                   : (c >= 0xF0 && c <= 0xF4) ? 4 : 0;
        if (len == 0 || k + len > n) return 0;
        for (size_t q = 1; q < len; q++)
            if ((p[k + q] & 0xC0) != 0x80) return 0;
        if (len == 3 && ((c == 0xE0 && p[k + 1] < 0xA0) || (c == 0xED && p[k + 1] >= 0xA0))) return 0;
        if (len == 4 && ((c == 0xF0 && p[k + 1] < 0x90) || (c == 0xF4 && p[k + 1] >= 0x90))) return 0;
        k += len;
    }
    return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    sst_detector *d = NULL;
    sst_error err;
    if (sst_detector_new(&d, &err) ||
        sst_detector_add_pattern(d, "ref", "(?i)ref[ :-]*[0-9]{4,}", SST_CAT_USER_TEXT, &err))
        abort();
    const char *s = (const char *)data;
    sst_match m;
    uint32_t kinds = sst_detector_scan(d, s, size, &m);
    size_t window = size < SST_DETECT_SCAN_MAX ? size : SST_DETECT_SCAN_MAX;
    if ((kinds == 0) != (m.kind == 0) || (m.kind && !(kinds & m.kind))) abort();
    if (m.kind && (m.start + m.len > window || (m.kind != SST_DETECT_CUSTOM && m.len == 0))) abort();
    uint32_t want = size ? (uint32_t)data[0] << 8 | (size > 1 ? data[1] : 0) : kinds;
    char out[SST_REDACT_MAX];
    size_t n = sst_redact(s, size, want, out, sizeof out);
    if (n >= SST_REDACT_MAX || strlen(out) != n || !valid_utf8((const unsigned char *)out, n)) abort();
    sst_detector_free(d);
    return 0;
}
