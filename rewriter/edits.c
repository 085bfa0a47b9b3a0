/* Insertions only: the original bytes are copied through in order, with each
 * edit's text (converted to the file's encoding) spliced in at its offset. */
#include "edits.h"

#include <stdlib.h>
#include <string.h>

int sst_edits_add(sst_edits *e, size_t offset, const char *text, size_t len, unsigned site)
{
    if (e->n && offset < e->v[e->n - 1].offset) {
        e->out_of_order = 1;
        return SST_EBUG;
    }
    if (e->n == e->cap) {
        size_t cap = e->cap ? e->cap * 2 : 32;
        sst_edit *v = realloc(e->v, cap * sizeof *v);
        if (!v) return SST_ENOMEM;
        e->v = v;
        e->cap = cap;
    }
    e->v[e->n++] = (sst_edit){offset, text, len, site};
    return 0;
}

/* A byte of a keyword or ASCII name: letters, digits, '_'. (Injected text
 * meets a name only at keywords, `return-x`, and a BOM is no name.) */
static int name_byte(unsigned char c)
{
    return c == '_' || (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z');
}

/* TEXT (LEN bytes, malloc'ed) with a space before and/or after it; frees
 * TEXT. NULL when out of memory. */
static char *pad(char *text, size_t *len, int before, int after)
{
    char *t = malloc(*len + 3);
    if (t) {
        size_t n = 0;
        if (before) t[n++] = ' ';
        memcpy(t + n, text, *len);
        n += *len;
        if (after) t[n++] = ' ';
        t[n] = 0;
        *len = n;
    }
    free(text);
    return t;
}

int sst_edits_apply(const sst_edits *e, const sst_source *src, char **out, size_t *out_len,
                    sst_insertion **ins_out, sst_error *err)
{
    if (e->out_of_order) {
        sst_error_set(err, SST_EBUG, NULL, 0, "internal error: an insertion was planned out of order");
        return SST_EBUG;
    }
    char **texts = calloc(e->n ? e->n : 1, sizeof *texts);
    size_t *lens = calloc(e->n ? e->n : 1, sizeof *lens);
    sst_insertion *ins = calloc(e->n ? e->n : 1, sizeof *ins);
    char *buf = NULL;
    int rc = SST_ENOMEM;
    if (!texts || !lens || !ins) goto done;
    size_t total = src->len;
    for (size_t i = 0; i < e->n; i++) {
        texts[i] = sst_source_encode(src, e->v[i].text, e->v[i].len, &lens[i]);
        if (!texts[i]) {
            rc = SST_EINVAL;
            sst_error_set(err, rc, NULL, 0, "inserted text is not representable in %s", src->encoding);
            goto done;
        }
        total += lens[i] + 2;   /* room for the spaces below */
    }
    buf = malloc(total + 1);
    if (!buf) goto done;
    size_t from = 0, o = 0;
    for (size_t i = 0; i < e->n; i++) {
        size_t at = sst_source_offset(src, e->v[i].offset);
        memcpy(buf + o, src->bytes + from, at - from);
        o += at - from;
        /* Text that starts or ends a name must not run into the name or
         * keyword beside it (`match-x:`, `return-x`): a space between. The
         * next insertion at the same offset sees this text's end as its
         * neighbour; the space is part of the insertion. */
        if (lens[i]) {
            int before = o && name_byte((unsigned char)buf[o - 1]) && name_byte((unsigned char)texts[i][0]);
            int after = (i + 1 == e->n || sst_source_offset(src, e->v[i + 1].offset) != at) && at < src->len &&
                        name_byte((unsigned char)src->bytes[at]) && name_byte((unsigned char)texts[i][lens[i] - 1]);
            if ((before || after) && !(texts[i] = pad(texts[i], &lens[i], before, after))) goto done;
        }
        memcpy(buf + o, texts[i], lens[i]);
        ins[i] = (sst_insertion){at, texts[i], lens[i], e->v[i].site};
        texts[i] = NULL;
        o += lens[i];
        from = at;
    }
    memcpy(buf + o, src->bytes + from, src->len - from);
    o += src->len - from;
    buf[o] = 0;
    *out = buf;
    *out_len = o;
    *ins_out = ins;
    buf = NULL;
    ins = NULL;
    rc = 0;
done:
    if (texts)
        for (size_t i = 0; i < e->n; i++) free(texts[i]);
    if (ins)
        for (size_t i = 0; i < e->n; i++) free((char *)ins[i].text);
    free(texts);
    free(lens);
    free(ins);
    free(buf);
    return rc;
}

void sst_edits_free(sst_edits *e)
{
    free(e->v);
    memset(e, 0, sizeof *e);
}
