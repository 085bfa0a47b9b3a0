/* ts-parse: the parse-only baseline of tools/bench/rewrite-throughput. Loads
 * every .py file under the given paths into memory, then parses them all with
 * tree-sitter-python on N threads and prints the wall time of the parsing.
 * Usage: ts-parse [-j N] PATH...   (prints: files=F bytes=B seconds=S errors=E) */
#define _XOPEN_SOURCE 700
#include <errno.h>
#include <ftw.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <tree_sitter/api.h>

const TSLanguage *tree_sitter_python(void);

typedef struct file {
    char *data;
    size_t len;
} file;

typedef struct corpus {
    file *files;
    size_t nfiles, cap;
    size_t bytes;
    atomic_size_t next;       /* next file to parse */
    atomic_size_t errors;     /* files whose tree has an error */
    int failed;
} corpus;

/* nftw() takes no user pointer: the corpus being loaded, main's only. */
static corpus *loading;

static int load_file(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
    (void)ftw;
    size_t n = strlen(path);
    if (type != FTW_F || n < 3 || strcmp(path + n - 3, ".py") != 0)
        return 0;
    if (strstr(path, "/__pycache__/"))
        return 0;
    FILE *fh = fopen(path, "rb");
    if (!fh) {
        fprintf(stderr, "ts-parse: %s: %s\n", path, strerror(errno));
        loading->failed = 1;
        return 0;
    }
    char *data = malloc((size_t)st->st_size + 1);
    size_t len = data ? fread(data, 1, (size_t)st->st_size, fh) : 0;
    fclose(fh);
    if (!data || (off_t)len != st->st_size) {
        fprintf(stderr, "ts-parse: %s: could not read\n", path);
        free(data);
        loading->failed = 1;
        return 0;
    }
    if (loading->nfiles == loading->cap) {
        size_t cap = loading->cap ? loading->cap * 2 : 256;
        file *grown = realloc(loading->files, cap * sizeof *grown);
        if (!grown) {
            free(data);
            loading->failed = 1;
            return 1;
        }
        loading->files = grown;
        loading->cap = cap;
    }
    loading->files[loading->nfiles++] = (file){ data, len };
    loading->bytes += len;
    return 0;
}

static void *parse_files(void *arg)
{
    corpus *c = arg;
    TSParser *parser = ts_parser_new();
    if (!parser || !ts_parser_set_language(parser, tree_sitter_python())) {
        fprintf(stderr, "ts-parse: cannot set up the parser\n");
        c->failed = 1;
        ts_parser_delete(parser);
        return NULL;
    }
    for (;;) {
        size_t i = atomic_fetch_add(&c->next, 1);
        if (i >= c->nfiles)
            break;
        TSTree *tree = ts_parser_parse_string(parser, NULL, c->files[i].data,
                                              (uint32_t)c->files[i].len);
        if (!tree || ts_node_has_error(ts_tree_root_node(tree)))
            atomic_fetch_add(&c->errors, 1);
        ts_tree_delete(tree);
    }
    ts_parser_delete(parser);
    return NULL;
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    corpus c;
    memset(&c, 0, sizeof c);
    int jobs = 2, first = 1, rc = 1;
    pthread_t *threads = NULL;
    if (argc > 2 && strcmp(argv[1], "-j") == 0) {
        jobs = atoi(argv[2]);
        first = 3;
    }
    if (jobs < 1 || first >= argc) {
        fprintf(stderr, "usage: ts-parse [-j N] PATH...\n");
        return 1;
    }
    loading = &c;
    for (int i = first; i < argc; i++) {
        if (nftw(argv[i], load_file, 32, FTW_PHYS) != 0) {
            fprintf(stderr, "ts-parse: %s: %s\n", argv[i], strerror(errno));
            goto done;
        }
    }
    if (c.failed)
        goto done;
    threads = calloc((size_t)jobs, sizeof *threads);
    if (!threads)
        goto done;
    double start = now();
    int started = 0;
    for (; started < jobs; started++)
        if (pthread_create(&threads[started], NULL, parse_files, &c) != 0)
            break;
    for (int i = 0; i < started; i++)
        pthread_join(threads[i], NULL);
    double seconds = now() - start;
    if (started == 0 || c.failed)
        goto done;
    printf("files=%zu bytes=%zu seconds=%.6f errors=%zu\n", c.nfiles, c.bytes, seconds,
           atomic_load(&c.errors));
    rc = 0;
done:
    for (size_t i = 0; i < c.nfiles; i++)
        free(c.files[i].data);
    free(c.files);
    free(threads);
    return rc;
}
