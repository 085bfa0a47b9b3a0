/* A Python source file as bytes: its encoding (BOM, PEP 263 cookie), the
 * UTF-8 text the parser sees, and the way back from text offsets to the
 * original bytes, so insertions land in the file exactly as it was. */
#ifndef SST_SOURCE_H
#define SST_SOURCE_H

#include <stddef.h>
#include <stdint.h>

#include <sst/rewrite.h>

typedef struct sst_source {
    const char *bytes;     /* the original file, not owned */
    size_t len;
    const char *text;      /* UTF-8 text to parse: into bytes, or owned_text */
    size_t text_len;
    size_t base;           /* untranscoded: original offset of text[0] (3 after a BOM) */
    uint32_t *map;         /* transcoded: original offset of each text offset, else NULL */
    char *owned_text;
    char encoding[32];     /* as Python names it: "utf-8", "utf-8-sig", "latin-1"... */
    char iconv_name[32];   /* for converting inserted text back; "" when UTF-8 */
    unsigned cookie_line;  /* 1 or 2 if a coding cookie is present, else 0 */
    int shebang;           /* line 1 starts with "#!" */
} sst_source;

/* Loads LEN bytes. A source Python itself could not decode (unknown
 * encoding, bytes invalid in the declared one) fails with SST_EINVAL and a
 * message; the caller copies such a file unchanged. */
int sst_source_load(sst_source *src, const char *bytes, size_t len, sst_error *err);
void sst_source_free(sst_source *src);

/* Original byte offset of a text offset. */
static inline size_t sst_source_offset(const sst_source *src, size_t text_offset)
{
    return src->map ? src->map[text_offset] : src->base + text_offset;
}

/* Converts UTF-8 inserted text to the file's encoding; returns a malloc'd
 * buffer (the caller frees) and its length, or NULL if not representable. */
char *sst_source_encode(const sst_source *src, const char *utf8, size_t len, size_t *out_len);

#endif
