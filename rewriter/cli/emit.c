/* File I/O of a run: reading inputs and writing the output tree. Every write
 * goes through a directory descriptor of OUT, component by component with
 * O_NOFOLLOW, into a temp file that is renamed over the target, so a reader
 * sees the old file or the new one, and nothing lands outside OUT. The
 * descriptor of each directory reached that way is kept for the run. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <uthash.h>

#include "cli.h"

typedef struct dir_entry {
    char *rel;              /* directory below OUT, without a trailing slash */
    int fd;
    UT_hash_handle hh;
} dir_entry;

struct sst_dircache {
    pthread_mutex_t lock;
    dir_entry *map;
    size_t n;
};

/* Beyond this many directories, descriptors are opened per write instead. */
enum { DIR_CACHE_MAX = 512 };

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
    out->dirs = calloc(1, sizeof *out->dirs);
    if (!out->dirs) {
        rc = SST_ENOMEM;
        goto done;
    }
    pthread_mutex_init(&out->dirs->lock, NULL);
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
    if (out->dirs) {
        dir_entry *e, *tmp;
        HASH_ITER(hh, out->dirs->map, e, tmp) {
            HASH_DEL(out->dirs->map, e);
            close(e->fd);
            free(e->rel);
            free(e);
        }
        pthread_mutex_destroy(&out->dirs->lock);
        free(out->dirs);
        out->dirs = NULL;
    }
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

/* Opens the directory DIR (LEN bytes, a path below OUT) component by
 * component with O_NOFOLLOW, creating them when CREATE. Returns a descriptor
 * or -1 with errno set and *FAILED_LEN the length of the prefix that failed. */
static int walk_dirs(const sst_out *out, const char *dir, size_t len, int create, size_t *failed_len)
{
    int fd = dup(out->dirfd);
    if (fd < 0) { *failed_len = 0; return -1; }
    const char *p = dir, *end = dir + len;
    while (p < end) {
        const char *slash = memchr(p, '/', (size_t)(end - p));
        if (!slash) slash = end;
        char comp[NAME_MAX + 1];
        size_t n = (size_t)(slash - p);
        memcpy(comp, p, n);
        comp[n] = '\0';
        if (create && mkdirat(fd, comp, 0777) != 0 && errno != EEXIST) {
            int e = errno;
            close(fd);
            errno = e;
            *failed_len = (size_t)(slash - dir);
            return -1;
        }
        int next = openat(fd, comp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        int e = errno;
        close(fd);
        if (next < 0) {
            errno = e == ELOOP ? ENOTDIR : e;
            *failed_len = (size_t)(slash - dir);
            return -1;
        }
        fd = next;
        p = slash + 1;
    }
    return fd;
}

/* The directory holding REL below OUT (created when CREATE), with *BASE
 * pointed at REL's last component. The descriptor is the cache's, or OUT's;
 * *OWNED says whether the caller must close it (the cache was full). Returns
 * -1 with errno set and *FAILED_LEN as walk_dirs does. */
static int open_parent(const sst_out *out, const char *rel, int create, const char **base,
                       size_t *failed_len, int *owned)
{
    *owned = 0;
    const char *slash = strrchr(rel, '/');
    if (!slash) {
        *base = rel;
        return out->dirfd;
    }
    *base = slash + 1;
    size_t len = (size_t)(slash - rel);
    struct sst_dircache *c = out->dirs;
    pthread_mutex_lock(&c->lock);
    dir_entry *e;
    HASH_FIND(hh, c->map, rel, len, e);
    int fd = e ? e->fd : walk_dirs(out, rel, len, create, failed_len);
    if (!e && fd >= 0) {
        e = c->n < DIR_CACHE_MAX ? calloc(1, sizeof *e) : NULL;
        if (e && (e->rel = strndup(rel, len))) {
            e->fd = fd;
            HASH_ADD_KEYPTR(hh, c->map, e->rel, len, e);
            c->n++;
        } else {
            free(e);
            *owned = 1;
        }
    }
    pthread_mutex_unlock(&c->lock);
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
    int owned;
    int dfd = open_parent(out, rel, 1, &base, &failed_len, &owned);
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
    if (owned) close(dfd);
    return rc;
}

int sst_out_hash(const sst_out *out, const char *rel, uint64_t *hash, mode_t *mode)
{
    if (!rel_ok(rel)) return SST_EINVAL;
    const char *base;
    size_t failed_len;
    int owned;
    int dfd = open_parent(out, rel, 0, &base, &failed_len, &owned);
    if (dfd < 0) return SST_EIO;
    int fd = openat(dfd, base, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
    if (owned) close(dfd);
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
    int owned;
    int dfd = open_parent(out, rel, 0, &base, &failed_len, &owned);
    if (dfd < 0) return SST_EIO;
    struct stat st;
    int rc = SST_EIO;
    if (fstatat(dfd, base, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode) &&
        unlinkat(dfd, base, 0) == 0)
        rc = 0;
    if (owned) close(dfd);
    return rc;
}
