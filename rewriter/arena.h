/* A bump allocator for per-file analysis memory: everything one rewrite
 * allocates is freed at once when the arena is freed. */
#ifndef SST_ARENA_H
#define SST_ARENA_H

#include <stddef.h>

typedef struct sst_arena_block sst_arena_block;
typedef struct sst_arena {
    sst_arena_block *head;
    int failed;              /* an allocation failed; callers check once at the end */
} sst_arena;

void sst_arena_init(sst_arena *arena);
void *sst_arena_alloc(sst_arena *arena, size_t size);     /* zeroed, 16-byte aligned */
char *sst_arena_strndup(sst_arena *arena, const char *s, size_t len);
char *sst_arena_printf(sst_arena *arena, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void sst_arena_free(sst_arena *arena);

#endif
