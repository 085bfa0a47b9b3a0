/* Replays files through the fuzz target's entry point without libFuzzer, so
 * the seed corpus and the golden fixtures run as an ordinary test (under
 * ASan/UBSan in the sanitizer build). Arguments: files or directories,
 * walked recursively in name order. */
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int replay_file(const char *path, size_t *count)
{
    FILE *fh = fopen(path, "rb");
    char *data = NULL;
    size_t len = 0, cap = 0;
    int rc = -1;
    if (!fh) {
        fprintf(stderr, "fuzz-replay: %s: %s\n", path, strerror(errno));
        goto done;
    }
    for (;;) {
        if (len == cap) {
            cap = cap ? cap * 2 : 4096;
            char *grown = realloc(data, cap);
            if (!grown) {
                fprintf(stderr, "fuzz-replay: %s: out of memory\n", path);
                goto done;
            }
            data = grown;
        }
        size_t n = fread(data + len, 1, cap - len, fh);
        len += n;
        if (n == 0)
            break;
    }
    if (ferror(fh)) {
        fprintf(stderr, "fuzz-replay: %s: read error\n", path);
        goto done;
    }
    LLVMFuzzerTestOneInput((const uint8_t *)data, len);
    (*count)++;
    rc = 0;
done:
    if (fh)
        fclose(fh);
    free(data);
    return rc;
}

static int by_name(const struct dirent **a, const struct dirent **b)
{
    return strcmp((*a)->d_name, (*b)->d_name);
}

static int replay_path(const char *path, size_t *count)
{
    struct stat st;
    if (stat(path, &st) != 0) {
        fprintf(stderr, "fuzz-replay: %s: %s\n", path, strerror(errno));
        return -1;
    }
    if (!S_ISDIR(st.st_mode))
        return replay_file(path, count);
    struct dirent **entries = NULL;
    int n = scandir(path, &entries, NULL, by_name);
    int rc = n < 0 ? -1 : 0;
    if (n < 0)
        fprintf(stderr, "fuzz-replay: %s: %s\n", path, strerror(errno));
    for (int i = 0; i < n; i++) {
        const char *name = entries[i]->d_name;
        if (rc == 0 && strcmp(name, ".") != 0 && strcmp(name, "..") != 0) {
            size_t size = strlen(path) + strlen(name) + 2;
            char *child = malloc(size);
            if (!child) {
                rc = -1;
            } else {
                snprintf(child, size, "%s/%s", path, name);
                rc = replay_path(child, count);
                free(child);
            }
        }
        free(entries[i]);
    }
    free(entries);
    return rc;
}

int main(int argc, char **argv)
{
    size_t count = 0;
    if (argc < 2) {
        fprintf(stderr, "usage: fuzz-replay FILE|DIR...\n");
        return 1;
    }
    for (int i = 1; i < argc; i++)
        if (replay_path(argv[i], &count) != 0)
            return 1;
    printf("fuzz-replay: %zu inputs replayed, no contract violation\n", count);
    return 0;
}
