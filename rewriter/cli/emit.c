/* File I/O of a run: reading inputs and writing the output tree. Every write
 * goes through a directory descriptor of OUT, component by component with
 * O_NOFOLLOW, into a temp file that is renamed over the target, so a reader
 * sees the old file or the new one, and nothing lands outside OUT. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"

#define TEMP_PREFIX ".sst-tmp-"

static int read_fd(int fd, char **bytes, size_t *len)
{
    struct stat st;
    size_t cap = 0, n = 0;
    char *data = NULL;
    if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0)
        cap = (size_t)st.st_size + 1;
    if (cap < 4096) cap = 4096;
    if (!(data = malloc(cap))) return SST_ENOMEM;
    for (;;) {
        if (n == cap) {
            char *d = realloc(data, cap * 2);
            if (!d) { free(data); return SST_ENOMEM; }
            data = d;
            cap *= 2;
        }
        ssize_t r = read(fd, data + n, cap - n);
        if (r < 0) {
            if (errno == EINTR) continue;
            int e = errno;
            free(data);
            errno = e;
            return SST_EIO;
        }
        if (r == 0) break;
        n += (size_t)r;
    }
    *bytes = data;
    *len = n;
    return 0;
}

int sst_file_read(char **bytes, size_t *len, const char *path, sst_error *err)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        sst_error_set(err, SST_EIO, path, 0, "cannot read: %s", strerror(errno));
        return SST_EIO;
    }
    int rc = read_fd(fd, bytes, len);
    if (rc == SST_EIO) sst_error_set(err, SST_EIO, path, 0, "cannot read: %s", strerror(errno));
    else if (rc) sst_error_set(err, rc, path, 0, "out of memory");
    close(fd);
    return rc;
}

int sst_out_open(sst_out *out, const char *path, int do_fsync, sst_error *err)
{
    memset(out, 0, sizeof *out);
    out->dirfd = -1;
    int rc = SST_ENOMEM;
    char *p = strdup(path);
    if (!p) goto done;
    /* mkdir -p: OUT and its parents are the caller's to name */
    for (char *s = p + 1; ; s++) {
        if (*s == '/' || *s == '\0') {
            char c = *s;
            *s = '\0';
            if (mkdir(p, 0777) != 0 && errno != EEXIST) {
                sst_error_set(err, SST_EIO, p, 0, "cannot create directory: %s", strerror(errno));
                rc = SST_EIO;
                goto done;
            }
            *s = c;
            if (c == '\0') break;
        }
    }
    out->dirfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (out->dirfd < 0) {
        sst_error_set(err, SST_EIO, path, 0, "cannot open the output directory: %s", strerror(errno));
        rc = SST_EIO;
        goto done;
    }
    out->path = p;
    p = NULL;
    out->fsync = do_fsync;
    rc = 0;
done:
    free(p);
    return rc;
}

void sst_out_close(sst_out *out)
{
    if (out->dirfd >= 0) close(out->dirfd);
    free(out->path);
    out->dirfd = -1;
    out->path = NULL;
}

/* A relative path we are willing to write: no absolute path, no empty, "."
 * or ".." component. The walk never makes anything else; this is the guard. */
static int rel_ok(const char *rel)
{
    if (!*rel || *rel == '/') return 0;
    const char *p = rel;
    for (;;) {
        const char *slash = strchr(p, '/');
        size_t n = slash ? (size_t)(slash - p) : strlen(p);
        if (n == 0 || n > NAME_MAX || (n == 1 && p[0] == '.') ||
            (n == 2 && p[0] == '.' && p[1] == '.'))
            return 0;
        if (!slash) return 1;
        p = slash + 1;
    }
}

/* Opens the directory holding REL below OUT (creating it when CREATE), and
 * points *BASE at REL's last component. Returns a descriptor to close (maybe
 * a dup of OUT's) or -1 with errno set and *FAILED_LEN the length of REL's
 * prefix that failed. */
static int open_parent(const sst_out *out, const char *rel, int create, const char **base,
                       size_t *failed_len)
{
    int fd = dup(out->dirfd);
    if (fd < 0) { *failed_len = 0; return -1; }
    const char *p = rel;
    for (;;) {
        const char *slash = strchr(p, '/');
        if (!slash) break;
        char comp[NAME_MAX + 1];
        size_t n = (size_t)(slash - p);
        memcpy(comp, p, n);
        comp[n] = '\0';
        if (create && mkdirat(fd, comp, 0777) != 0 && errno != EEXIST) {
            int e = errno;
            close(fd);
            errno = e;
            *failed_len = (size_t)(slash - rel);
            return -1;
        }
        int next = openat(fd, comp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        int e = errno;
        close(fd);
        if (next < 0) {
            errno = e == ELOOP ? ENOTDIR : e;
            *failed_len = (size_t)(slash - rel);
            return -1;
        }
        fd = next;
        p = slash + 1;
    }
    *base = p;
    return fd;
}

static int write_all(int fd, const char *bytes, size_t len)
{
    while (len) {
        ssize_t w = write(fd, bytes, len);
        if (w < 0) {
            if (errno == EINTR) continue;
            return -1;
        }
        bytes += w;
        len -= (size_t)w;
    }
    return 0;
}

int sst_out_write(sst_out *out, const char *rel, const void *bytes, size_t len, mode_t mode,
                  sst_error *err)
{
    char where[PATH_MAX];
    snprintf(where, sizeof where, "%s/%s", out->path, rel);
    if (!rel_ok(rel)) {
        sst_error_set(err, SST_EBUG, where, 0, "refusing to write a path that leaves the output");
        return SST_EBUG;
    }
    const char *base;
    size_t failed_len = 0;
    int dfd = open_parent(out, rel, 1, &base, &failed_len);
    if (dfd < 0) {
        int e = errno;
        snprintf(where, sizeof where, "%s/%.*s", out->path, (int)failed_len, rel);
        if (e == ENOTDIR)
            sst_error_set(err, SST_EIO, where, 0, "cannot create directory: exists and is not a directory");
        else
            sst_error_set(err, SST_EIO, where, 0, "cannot create directory: %s", strerror(e));
        return SST_EIO;
    }
    char tmp[64];
    int fd = -1, rc = SST_EIO, created = 0;
    for (int attempt = 0; attempt < 100 && fd < 0; attempt++) {
        unsigned long n = __atomic_fetch_add(&out->counter, 1, __ATOMIC_RELAXED);
        snprintf(tmp, sizeof tmp, TEMP_PREFIX "%ld-%lu", (long)getpid(), n);
        fd = openat(dfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (fd < 0 && errno != EEXIST) break;
    }
    if (fd < 0) {
        sst_error_set(err, SST_EIO, where, 0, "cannot create a temp file: %s", strerror(errno));
        goto done;
    }
    created = 1;
    const char *step = "write";
    if (write_all(fd, bytes, len) != 0) goto fail;
    step = "chmod";
    if (fchmod(fd, mode & 0777) != 0) goto fail;
    step = "fsync";
    if (out->fsync && fsync(fd) != 0) goto fail;
    step = "close";
    int c = close(fd);
    fd = -1;
    if (c != 0) goto fail;
    step = "rename";
    if (renameat(dfd, tmp, dfd, base) != 0) goto fail;
    created = 0;
    if (out->fsync) fsync(dfd);
    rc = 0;
    goto done;
fail:
    sst_error_set(err, SST_EIO, where, 0, "cannot write (%s): %s", step,
                  errno == EISDIR || errno == ENOTEMPTY ? "a directory is in the way" : strerror(errno));
done:
    if (fd >= 0) close(fd);
    if (created) unlinkat(dfd, tmp, 0);
    close(dfd);
    return rc;
}

int sst_out_hash(const sst_out *out, const char *rel, uint64_t *hash, mode_t *mode)
{
    if (!rel_ok(rel)) return SST_EINVAL;
    const char *base;
    size_t failed_len;
    int dfd = open_parent(out, rel, 0, &base, &failed_len);
    if (dfd < 0) return SST_EIO;
    int fd = openat(dfd, base, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
    close(dfd);
    if (fd < 0) return SST_EIO;
    struct stat st;
    char *bytes = NULL;
    size_t len = 0;
    int rc = SST_EIO;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) goto done;
    if ((rc = read_fd(fd, &bytes, &len))) goto done;
    *hash = sst_hash_bytes(bytes, len);
    *mode = st.st_mode & 0777;
done:
    free(bytes);
    close(fd);
    return rc;
}

int sst_out_remove(const sst_out *out, const char *rel)
{
    if (!rel_ok(rel)) return SST_EINVAL;
    const char *base;
    size_t failed_len;
    int dfd = open_parent(out, rel, 0, &base, &failed_len);
    if (dfd < 0) return SST_EIO;
    struct stat st;
    int rc = SST_EIO;
    if (fstatat(dfd, base, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode) &&
        unlinkat(dfd, base, 0) == 0)
        rc = 0;
    close(dfd);
    return rc;
}
