/* The insertion buffer: edits are insertions only, added in source order and
 * applied in one pass. An edit out of order is a planner bug and is refused. */
#ifndef SST_EDITS_H
#define SST_EDITS_H

#include <stddef.h>

#include "source.h"

typedef struct sst_edit {
    size_t offset;       /* in the parsed UTF-8 text */
    const char *text;    /* UTF-8, no newline except an added line's own */
    size_t len;
    unsigned site;
} sst_edit;

typedef struct sst_edits {
    sst_edit *v;
    size_t n, cap;
    int out_of_order;    /* set when an edit came before the previous one */
} sst_edits;

int sst_edits_add(sst_edits *edits, size_t offset, const char *text, size_t len, unsigned site);
/* Applies the edits to the original bytes of SRC. OUT and INS are malloc'd. */
int sst_edits_apply(const sst_edits *edits, const sst_source *src, char **out, size_t *out_len,
                    sst_insertion **ins, sst_error *err);
void sst_edits_free(sst_edits *edits);

#endif
