/* Assertions shared by the CUnit suites: each prints the actual value next to
 * the expected one before failing, so a red run says what went wrong. */
#ifndef SST_TEST_EXPECT_H
#define SST_TEST_EXPECT_H

#include <stdio.h>
#include <string.h>

#include <CUnit/Basic.h>

/* Prints N bytes readably: escapes for control and non-ASCII bytes. */
static inline void show(const char *label, const char *s, size_t n)
{
    printf("      %s (%zu):\n        ", label, n);
    if (!s) {
        printf("(null)\n");
        return;
    }
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '\n') printf("\\n\n        ");
        else if (c == '\r') printf("\\r");
        else if (c < 0x20 || c >= 0x7f) printf("\\x%02x", c);
        else putchar(c);
    }
    putchar('\n');
}

#define EXPECT_INT(actual, expected)                                                             \
    do {                                                                                         \
        long long a_ = (long long)(actual), e_ = (long long)(expected);                          \
        if (a_ != e_) printf("\n    line %d: %s is %lld, expected %lld\n", __LINE__, #actual, a_, e_); \
        CU_ASSERT(a_ == e_);                                                                     \
    } while (0)

#define EXPECT_UINT(actual, expected)                                                            \
    do {                                                                                         \
        unsigned long long a_ = (unsigned long long)(actual), e_ = (unsigned long long)(expected); \
        if (a_ != e_) printf("\n    line %d: %s is %llu, expected %llu\n", __LINE__, #actual, a_, e_); \
        CU_ASSERT(a_ == e_);                                                                     \
    } while (0)

#define EXPECT_STR(actual, expected)                                                             \
    do {                                                                                         \
        const char *a_ = (actual), *e_ = (expected);                                             \
        int ok_ = a_ && !strcmp(a_, e_);                                                         \
        if (!ok_) printf("\n    line %d: %s is \"%s\", expected \"%s\"\n", __LINE__, #actual,      \
                         a_ ? a_ : "(null)", e_);                                                \
        CU_ASSERT(ok_);                                                                          \
    } while (0)

/* Bytes with a length, compared exactly (they may hold NUL or non-UTF-8). */
#define EXPECT_MEM(actual, alen, expected, elen)                                                 \
    do {                                                                                         \
        const char *a_ = (actual), *e_ = (expected);                                             \
        size_t al_ = (alen), el_ = (elen);                                                       \
        int ok_ = a_ && al_ == el_ && !memcmp(a_, e_, el_);                                      \
        if (!ok_) {                                                                              \
            printf("\n    line %d: %s differs\n", __LINE__, #actual);                            \
            show("expected", e_, el_);                                                           \
            show("actual  ", a_, al_);                                                           \
        }                                                                                        \
        CU_ASSERT(ok_);                                                                          \
    } while (0)

typedef struct sst_test {
    const char *name;
    CU_TestFunc fn;
} sst_test;

/* Runs one suite verbosely; the exit status is 0 only if every test passed
 * and INIT_FAILED (if given) is still 0 after the suite's set-up. */
static inline int run_suite(const char *name, CU_InitializeFunc init, CU_CleanupFunc clean,
                            const sst_test *tests, size_t n, const int *init_failed)
{
    int status = 1;
    if (CU_initialize_registry() != CUE_SUCCESS) return 1;
    CU_pSuite suite = CU_add_suite(name, init, clean);
    if (!suite) goto done;
    for (size_t i = 0; i < n; i++)
        if (!CU_add_test(suite, tests[i].name, tests[i].fn)) goto done;
    CU_basic_set_mode(CU_BRM_VERBOSE);
    CU_basic_run_tests();
    status = CU_get_number_of_failures() != 0 || CU_get_error() != CUE_SUCCESS || (init_failed && *init_failed);
done:
    CU_cleanup_registry();
    return status;
}

#endif
