/* A growable byte buffer for building output text (diffs, the manifest,
 * messages) before it is written in one piece. An allocation failure is
 * sticky: the buffer keeps what it had and reports SST_ENOMEM from then on. */
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static int reserve(sst_buf *buf, size_t extra)
{
    if (buf->oom) return SST_ENOMEM;
    if (buf->len + extra + 1 <= buf->cap) return 0;
    size_t cap = buf->cap ? buf->cap : 256;
    while (cap < buf->len + extra + 1) {
        if (cap > SIZE_MAX / 2) { buf->oom = 1; return SST_ENOMEM; }
        cap *= 2;
    }
    char *data = realloc(buf->data, cap);
    if (!data) { buf->oom = 1; return SST_ENOMEM; }
    buf->data = data;
    buf->cap = cap;
    return 0;
}

int sst_buf_append(sst_buf *buf, const void *bytes, size_t len)
{
    if (reserve(buf, len)) return SST_ENOMEM;
    if (len) memcpy(buf->data + buf->len, bytes, len);
    buf->len += len;
    buf->data[buf->len] = '\0';
    return 0;
}

int sst_buf_puts(sst_buf *buf, const char *str)
{
    return sst_buf_append(buf, str, strlen(str));
}

int sst_buf_printf(sst_buf *buf, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char small[256];
    int n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (n < 0) return SST_EINVAL;
    if ((size_t)n < sizeof small) return sst_buf_append(buf, small, (size_t)n);
    if (reserve(buf, (size_t)n)) return SST_ENOMEM;
    va_start(ap, fmt);
    vsnprintf(buf->data + buf->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    buf->len += (size_t)n;
    return 0;
}

void sst_buf_free(sst_buf *buf)
{
    free(buf->data);
    memset(buf, 0, sizeof *buf);
}
