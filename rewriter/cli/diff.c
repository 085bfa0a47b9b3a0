/* The --diff view: a unified diff (3 lines of context) of a file against its
 * rewrite. Edits are insertions only, so the changed lines come straight
 * from the insertion offsets: each is a "-" line and its "+" line, no general
 * diff algorithm needed. Optionally coloured, with the injected spans marked. */
#include <stdlib.h>
#include <string.h>

#include "cli.h"

enum { CONTEXT = 3 };

const sst_diff_colors sst_diff_ansi = {
    .header = "\033[1m",
    .hunk = "\033[36m",
    .del = "\033[31m",
    .add = "\033[32m",
    .span_on = "\033[1;7m",
    .span_off = "\033[22;27m",
    .reset = "\033[m",
};

typedef struct change {
    size_t line;    /* 0-based original line; nlines for text added after the last newline */
    size_t first;   /* its insertions: ins[first .. first + count) */
    size_t count;
} change;

/* One diff line: TAG, the bytes S[0..N) without their line ending, then the
 * line ending; MASK (may be NULL) marks injected bytes to highlight. */
static void emit_line(sst_buf *b, char tag, const char *s, size_t n, const unsigned char *mask,
                      const sst_diff_colors *c, const char *color)
{
    size_t body = n;
    if (body && s[body - 1] == '\n') {
        body--;
        if (body && s[body - 1] == '\r') body--;
    }
    if (c && color) sst_buf_puts(b, color);
    sst_buf_append(b, &tag, 1);
    if (c && color && mask) {
        int on = 0;
        size_t from = 0;
        for (size_t i = 0; i <= body; i++) {
            int m = i < body ? mask[i] : !on;
            if (m != on) {
                sst_buf_append(b, s + from, i - from);
                from = i;
                if (i < body) sst_buf_puts(b, m ? c->span_on : c->span_off);
                else if (on) sst_buf_puts(b, c->span_off);
                on = m;
            }
        }
    } else {
        sst_buf_append(b, s, body);
    }
    if (c && color) sst_buf_puts(b, c->reset);
    sst_buf_append(b, s + body, n - body);
    if (n == 0 || s[n - 1] != '\n') sst_buf_puts(b, "\n\\ No newline at end of file\n");
}

static void emit_range(sst_buf *b, char sign, size_t first, size_t count)
{
    if (count == 1) sst_buf_printf(b, "%c%zu", sign, first + 1);
    else if (count == 0) sst_buf_printf(b, "%c%zu,0", sign, first);
    else sst_buf_printf(b, "%c%zu,%zu", sign, first + 1, count);
}

int sst_diff_format(sst_buf *buf, const char *rel, const char *src, size_t len,
                    const sst_insertion *ins, size_t nins, const sst_diff_colors *colors)
{
    if (nins == 0) return 0;
    int rc = SST_ENOMEM;
    size_t *start = NULL;
    change *ch = NULL;
    sst_buf body = {0}, text = {0}, mask = {0};

    size_t nlines = 0;
    for (size_t i = 0; i < len; i++)
        if (src[i] == '\n') nlines++;
    if (len && src[len - 1] != '\n') nlines++;
    if (!(start = malloc((nlines + 2) * sizeof *start))) goto done;
    size_t l = 0;
    start[0] = 0;
    for (size_t i = 0; i < len; i++)
        if (src[i] == '\n') start[++l] = i + 1;
    start[nlines] = len;
    start[nlines + 1] = len;

    /* group the insertions by the line they fall in */
    if (!(ch = malloc(nins * sizeof *ch))) goto done;
    size_t nch = 0, line = 0;
    for (size_t k = 0; k < nins; k++) {
        size_t off = ins[k].offset;
        if (off > len || (k && off < ins[k - 1].offset)) { rc = SST_EBUG; goto done; }
        while (line < nlines && off >= start[line + 1] && !(off == len && line + 1 == nlines &&
                                                            src[len - 1] != '\n'))
            line++;
        if (nch && ch[nch - 1].line == line) ch[nch - 1].count++;
        else ch[nch++] = (change){ line, k, 1 };
    }

    sst_buf_puts(buf, colors ? colors->header : "");
    sst_buf_printf(buf, "--- a/%s", rel);
    sst_buf_puts(buf, colors ? colors->reset : "");
    sst_buf_puts(buf, "\n");
    sst_buf_puts(buf, colors ? colors->header : "");
    sst_buf_printf(buf, "+++ b/%s", rel);
    sst_buf_puts(buf, colors ? colors->reset : "");
    sst_buf_puts(buf, "\n");

    size_t extra = 0;   /* lines the changes before this hunk added */
    for (size_t i = 0; i < nch;) {
        size_t j = i;
        while (j + 1 < nch && ch[j + 1].line - ch[j].line - 1 <= 2 * CONTEXT) j++;
        size_t hstart = ch[i].line > CONTEXT ? ch[i].line - CONTEXT : 0;
        size_t hend = ch[j].line + CONTEXT + 1 < nlines ? ch[j].line + CONTEXT + 1 : nlines;
        size_t new_first = hstart + extra;
        size_t old_count = 0, new_count = 0;
        body.len = 0;
        size_t pos = hstart, k = i;
        while (pos < hend || (k <= j && ch[k].line == pos)) {
            if (!(k <= j && ch[k].line == pos)) {
                emit_line(&body, ' ', src + start[pos], start[pos + 1] - start[pos], NULL,
                          colors, NULL);
                old_count++;
                new_count++;
                pos++;
                continue;
            }
            size_t r = k;
            while (r + 1 <= j && ch[r + 1].line == ch[r].line + 1) r++;
            for (size_t m = k; m <= r; m++) {
                size_t L = ch[m].line;
                if (L >= nlines) continue;
                emit_line(&body, '-', src + start[L], start[L + 1] - start[L], NULL, colors,
                          colors ? colors->del : NULL);
                old_count++;
            }
            for (size_t m = k; m <= r; m++) {
                size_t L = ch[m].line;
                size_t a = start[L], e = L < nlines ? start[L + 1] : len;
                text.len = mask.len = 0;
                size_t at = a;
                for (size_t q = ch[m].first; q < ch[m].first + ch[m].count; q++) {
                    size_t off = ins[q].offset;
                    sst_buf_append(&text, src + at, off - at);
                    for (size_t z = at; z < off; z++) sst_buf_append(&mask, "\0", 1);
                    sst_buf_append(&text, ins[q].text, ins[q].len);
                    for (size_t z = 0; z < ins[q].len; z++) sst_buf_append(&mask, "\1", 1);
                    at = off;
                }
                sst_buf_append(&text, src + at, e - at);
                for (size_t z = at; z < e; z++) sst_buf_append(&mask, "\0", 1);
                if (text.oom || mask.oom) goto done;
                size_t made = 0, from = 0;
                for (size_t z = 0; z < text.len; z++) {
                    if (text.data[z] == '\n') {
                        emit_line(&body, '+', text.data + from, z + 1 - from,
                                  (unsigned char *)mask.data + from, colors,
                                  colors ? colors->add : NULL);
                        made++;
                        from = z + 1;
                    }
                }
                if (from < text.len) {
                    emit_line(&body, '+', text.data + from, text.len - from,
                              (unsigned char *)mask.data + from, colors, colors ? colors->add : NULL);
                    made++;
                }
                new_count += made;
                extra += made - (L < nlines ? 1 : 0);
            }
            pos = ch[r].line + 1;
            k = r + 1;
        }
        sst_buf_puts(buf, colors ? colors->hunk : "");
        sst_buf_puts(buf, "@@ ");
        emit_range(buf, '-', hstart, old_count);
        sst_buf_puts(buf, " ");
        emit_range(buf, '+', new_first, new_count);
        sst_buf_puts(buf, " @@");
        sst_buf_puts(buf, colors ? colors->reset : "");
        sst_buf_puts(buf, "\n");
        if (body.len) sst_buf_append(buf, body.data, body.len);
        i = j + 1;
    }
    rc = (buf->oom || body.oom) ? SST_ENOMEM : 0;
done:
    free(start);
    free(ch);
    sst_buf_free(&body);
    sst_buf_free(&text);
    sst_buf_free(&mask);
    return rc;
}
