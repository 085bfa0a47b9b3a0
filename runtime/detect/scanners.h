/* Internal interface of the built-in value scanners (scanners.c), shared by
 * the detector object (detect.c) and the redacted previews (redact.c). */
#ifndef SST_DETECT_SCANNERS_H
#define SST_DETECT_SCANNERS_H

#include <stddef.h>
#include <stdint.h>

#define SST_BUILTIN_COUNT 14   /* bits 0..13 of the SST_DETECT_* kinds */

typedef struct sst_span {
    size_t start;
    size_t end;
} sst_span;

/* Looks for the built-in kinds in MASK in the scan window of S (LEN bytes).
 * Returns the kinds found; FOUND[i] holds the leftmost match of kind bit i. */
uint32_t sst_scan_builtin(const unsigned char *s, size_t len, uint32_t mask,
                          sst_span found[SST_BUILTIN_COUNT]);

/* The bit index of the first of the matches in FOUND named by GOT (earliest
 * start, then longest, then lowest bit); -1 when GOT is empty. */
int sst_scan_first(uint32_t got, const sst_span found[SST_BUILTIN_COUNT]);

#endif
