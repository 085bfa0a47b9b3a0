/* CUnit suite for arena.c, the per-file bump allocator: 16-byte alignment,
 * zeroed memory, strndup and printf, many allocations spread over blocks,
 * allocations larger than a block, and a size that cannot be allocated. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <CUnit/Basic.h>

#include "expect.h"

#include "arena.h"

/* A size this suite asks for on purpose must fail with NULL, not abort the
 * AddressSanitizer build. Ignored by the normal build. */
const char *__asan_default_options(void);
const char *__asan_default_options(void) { return "allocator_may_return_null=1"; }

static int all_bytes(const void *p, size_t n, unsigned char value)
{
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++)
        if (b[i] != value) return 0;
    return 1;
}

static void test_init(void)
{
    sst_arena a;
    memset(&a, 0x5a, sizeof a);
    sst_arena_init(&a);
    CU_ASSERT_PTR_NULL(a.head);
    EXPECT_UINT(a.failed, 0);
    sst_arena_free(&a); /* freeing an empty arena is fine */
    CU_ASSERT_PTR_NULL(a.head);
}

/* Every size from 1 to 64 comes back 16-byte aligned, writable over its
 * whole size, and clear of the allocation before it. */
static void test_alignment(void)
{
    sst_arena a;
    sst_arena_init(&a);
    int aligned = 1, apart = 1;
    unsigned char *prev = NULL;
    size_t prev_size = 0;
    for (size_t size = 1; size <= 64; size++) {
        unsigned char *p = sst_arena_alloc(&a, size);
        if (!p) {
            CU_FAIL("allocation failed");
            break;
        }
        if ((uintptr_t)p % 16) {
            printf("\n    size %zu: %p is not 16-byte aligned\n", size, (void *)p);
            aligned = 0;
        }
        if (prev && p < prev + prev_size && p + size > prev) {
            printf("\n    size %zu: %p overlaps %p (size %zu)\n", size, (void *)p, (void *)prev, prev_size);
            apart = 0;
        }
        memset(p, 0xee, size); /* ASan: the whole size is ours */
        prev = p;
        prev_size = size;
    }
    CU_ASSERT(aligned);
    CU_ASSERT(apart);
    EXPECT_UINT(a.failed, 0);
    sst_arena_free(&a);
}

/* Memory is zeroed even when malloc hands back memory that held something:
 * the first arena is filled with 0xff and freed, the second reuses it. */
static void test_zeroed(void)
{
    enum { N = 200, SIZE = 300 };
    sst_arena a;
    sst_arena_init(&a);
    for (int i = 0; i < N; i++) {
        unsigned char *p = sst_arena_alloc(&a, SIZE);
        if (!p) break;
        memset(p, 0xff, SIZE);
    }
    sst_arena_free(&a);
    CU_ASSERT_PTR_NULL(a.head);

    sst_arena_init(&a);
    int zero = 1;
    for (int i = 0; i < N; i++) {
        unsigned char *p = sst_arena_alloc(&a, SIZE);
        if (!p || !all_bytes(p, SIZE, 0)) zero = 0;
    }
    CU_ASSERT(zero);
    unsigned char *big = sst_arena_alloc(&a, 200000);
    CU_ASSERT_PTR_NOT_NULL(big);
    if (big) CU_ASSERT(all_bytes(big, 200000, 0));
    sst_arena_free(&a);
}

static void test_strndup(void)
{
    sst_arena a;
    sst_arena_init(&a);
    const char text[] = {'h', 'e', 'l', 'l', 'o', ' ', 'w', 'o', 'r', 'l', 'd'}; /* no terminator */
    char *s = sst_arena_strndup(&a, text, 5);
    EXPECT_STR(s, "hello");
    char *all = sst_arena_strndup(&a, text, sizeof text);
    EXPECT_STR(all, "hello world");
    char *empty = sst_arena_strndup(&a, text, 0);
    EXPECT_STR(empty, "");
    /* embedded NUL bytes are copied as they are */
    char *nul = sst_arena_strndup(&a, "a\0b", 3);
    CU_ASSERT_PTR_NOT_NULL(nul);
    if (nul) CU_ASSERT(!memcmp(nul, "a\0b\0", 4));
    CU_ASSERT(s != all && all != empty);
    sst_arena_free(&a);
}

static void test_printf(void)
{
    sst_arena a;
    sst_arena_init(&a);
    EXPECT_STR(sst_arena_printf(&a, "%s-%d-%zu", "abc", -42, (size_t)7), "abc--42-7");
    EXPECT_STR(sst_arena_printf(&a, "%s", ""), "");
    EXPECT_STR(sst_arena_printf(&a, "%.*s|%5s|", 3, "abcdef", "x"), "abc|    x|");

    /* a result longer than a block */
    size_t n = 100000;
    char *big = malloc(n + 1);
    CU_ASSERT_PTR_NOT_NULL_FATAL(big);
    for (size_t i = 0; i < n; i++) big[i] = (char)('a' + i % 26);
    big[n] = 0;
    char *copy = sst_arena_printf(&a, "<%s>", big);
    CU_ASSERT_PTR_NOT_NULL(copy);
    if (copy) {
        EXPECT_UINT(strlen(copy), n + 2);
        CU_ASSERT(copy[0] == '<' && copy[n + 1] == '>' && !memcmp(copy + 1, big, n));
    }
    free(big);
    EXPECT_UINT(a.failed, 0);
    sst_arena_free(&a);
}

/* 20 000 allocations of 100 bytes (2 MB, about 35 blocks of 64 KB): each keeps
 * its own pattern, so none overlaps another or is lost at a block change. */
static void test_many_blocks(void)
{
    enum { N = 20000, SIZE = 100 };
    sst_arena a;
    sst_arena_init(&a);
    unsigned char **ptrs = calloc(N, sizeof *ptrs);
    CU_ASSERT_PTR_NOT_NULL_FATAL(ptrs);
    int ok = 1;
    for (int i = 0; i < N; i++) {
        ptrs[i] = sst_arena_alloc(&a, SIZE);
        if (!ptrs[i] || (uintptr_t)ptrs[i] % 16) {
            ok = 0;
            break;
        }
        memset(ptrs[i], i % 251, SIZE);
    }
    CU_ASSERT(ok);
    int intact = ok;
    for (int i = 0; ok && i < N; i++)
        if (!all_bytes(ptrs[i], SIZE, (unsigned char)(i % 251))) {
            printf("\n    allocation %d was overwritten\n", i);
            intact = 0;
            break;
        }
    CU_ASSERT(intact);
    EXPECT_UINT(a.failed, 0);
    free(ptrs);
    sst_arena_free(&a);
    CU_ASSERT_PTR_NULL(a.head);
}

/* An allocation larger than the block size gets a block of its own; small
 * allocations after it still work and do not land inside it. */
static void test_large(void)
{
    enum { BIG = 3 * 1024 * 1024 };
    sst_arena a;
    sst_arena_init(&a);
    unsigned char *small = sst_arena_alloc(&a, 10);
    unsigned char *big = sst_arena_alloc(&a, BIG);
    unsigned char *after = sst_arena_alloc(&a, 10);
    CU_ASSERT_PTR_NOT_NULL_FATAL(small);
    CU_ASSERT_PTR_NOT_NULL_FATAL(big);
    CU_ASSERT_PTR_NOT_NULL_FATAL(after);
    EXPECT_UINT((uintptr_t)big % 16, 0);
    CU_ASSERT(all_bytes(big, BIG, 0));
    memset(big, 0x77, BIG); /* ASan: all of it is ours */
    memset(small, 0x11, 10);
    memset(after, 0x22, 10);
    CU_ASSERT(after + 10 <= big || after >= big + BIG);
    CU_ASSERT(small + 10 <= big || small >= big + BIG);
    CU_ASSERT(all_bytes(big, BIG, 0x77));
    CU_ASSERT(all_bytes(small, 10, 0x11));
    EXPECT_UINT(a.failed, 0);
    sst_arena_free(&a);
}

/* A size that cannot be allocated returns NULL and sets failed, so a caller
 * checking once at the end sees it. SIZE_MAX - 7 must not wrap to 0 when
 * rounded up to 16. */
static void test_impossible_size(void)
{
    sst_arena a;
    sst_arena_init(&a);
    void *p = sst_arena_alloc(&a, SIZE_MAX - 7);
    if (p) printf("\n    sst_arena_alloc(SIZE_MAX - 7) returned %p instead of NULL\n", p);
    CU_ASSERT_PTR_NULL(p);
    EXPECT_UINT(a.failed, 1);
    sst_arena_free(&a);
}

int main(void)
{
    static const sst_test tests[] = {
        {"init", test_init},
        {"alignment", test_alignment},
        {"zeroed", test_zeroed},
        {"strndup", test_strndup},
        {"printf", test_printf},
        {"many_blocks", test_many_blocks},
        {"large", test_large},
        {"impossible_size", test_impossible_size},
    };
    return run_suite("arena", NULL, NULL, tests, sizeof tests / sizeof *tests, NULL);
}
