/* Bump allocation in growing blocks; see arena.h. A failed allocation sets
 * arena->failed and returns NULL, so a long analysis checks for ENOMEM once. */
#include "arena.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct sst_arena_block {
    sst_arena_block *next;
    size_t used, cap;
    _Alignas(16) unsigned char data[];
};

/* Blocks grow from 4 KiB to 64 KiB: small arenas (a project fork holding one
 * module's exports) stay small, big ones allocate rarely. */
enum { BLOCK_FIRST = 4 * 1024, BLOCK_MIN = 64 * 1024 };

void sst_arena_init(sst_arena *arena)
{
    arena->head = NULL;
    arena->failed = 0;
}

void *sst_arena_alloc(sst_arena *arena, size_t size)
{
    if (size > SIZE_MAX - sizeof(sst_arena_block) - 16) {
        arena->failed = 1;
        return NULL;
    }
    size = (size + 15) & ~(size_t)15;
    sst_arena_block *b = arena->head;
    if (!b || b->cap - b->used < size) {
        size_t grow = b ? (b->cap < BLOCK_MIN ? b->cap * 2 : BLOCK_MIN) : BLOCK_FIRST;
        size_t cap = size > grow ? size : grow;
        b = malloc(sizeof *b + cap);
        if (!b) {
            arena->failed = 1;
            return NULL;
        }
        b->used = 0;
        b->cap = cap;
        b->next = arena->head;
        arena->head = b;
    }
    void *p = b->data + b->used;
    b->used += size;
    memset(p, 0, size);
    return p;
}

char *sst_arena_strndup(sst_arena *arena, const char *s, size_t len)
{
    char *p = sst_arena_alloc(arena, len + 1);
    if (p) memcpy(p, s, len);
    return p;
}

char *sst_arena_printf(sst_arena *arena, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0) return NULL;
    char *p = sst_arena_alloc(arena, (size_t)n + 1);
    if (!p) return NULL;
    va_start(ap, fmt);
    vsnprintf(p, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return p;
}

void sst_arena_free(sst_arena *arena)
{
    sst_arena_block *b = arena->head;
    while (b) {
        sst_arena_block *next = b->next;
        free(b);
        b = next;
    }
    arena->head = NULL;
}
