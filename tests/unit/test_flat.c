/* CUnit suite for flat.c (with parse.c and kinds.c under it): the flattened
 * tree's parent/child/next/nchild links and fields for small modules, and the
 * first thing that makes a module unfit to rewrite (syntax errors, missing
 * tokens, Python 2 forms) with its line, while the Python 3 forms that look
 * like them are accepted. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <CUnit/Basic.h>

#include "expect.h"

#include "flat.h"
#include "parse.h"

/* A node's text equals S. */
#define EXPECT_TEXT(p, node, s)                                                                  \
    do {                                                                                         \
        size_t n_;                                                                               \
        const char *t_ = sn_is_null(node) ? NULL : sn_text(&(p)->src, (node), &n_);              \
        int ok_ = t_ && n_ == strlen(s) && !memcmp(t_, (s), n_);                                 \
        if (!ok_) printf("\n    line %d: text of %s is \"%.*s\", expected \"%s\"\n", __LINE__, #node, \
                         t_ ? (int)n_ : 6, t_ ? t_ : "(null)", (s));                             \
        CU_ASSERT(ok_);                                                                          \
    } while (0)

typedef struct parsed {
    sst_source src;
    sst_tree tree;
    uint32_t line;       /* sst_tree_build's answer */
    char what[256];
} parsed;

/* Loads, parses and flattens CODE. Returns 0, or -1 (and fails the test). */
static int parse(parsed *p, const char *code)
{
    sst_error err = {0};
    memset(p, 0, sizeof *p);
    if (sst_source_load(&p->src, code, strlen(code), &err)) {
        printf("\n    cannot load: %s\n", err.message);
        CU_FAIL("source did not load");
        return -1;
    }
    TSParser *parser = ts_parser_new();
    TSTree *ts = parser ? sst_parse(parser, &p->src) : NULL;
    if (!ts) {
        if (parser) ts_parser_delete(parser);
        sst_source_free(&p->src);
        CU_FAIL("tree-sitter did not parse");
        return -1;
    }
    p->line = sst_tree_build(&p->tree, ts_tree_root_node(ts), &p->src, p->what, sizeof p->what);
    ts_tree_delete(ts);
    ts_parser_delete(parser);
    return 0;
}

static void parsed_free(parsed *p)
{
    sst_tree_free(&p->tree);
    sst_source_free(&p->src);
}

/* ---- links and fields ------------------------------------------------------ */

typedef struct expected_node {
    sst_node_kind kind;
    sst_field_kind field;
    uint32_t start, end, row, col;
    uint32_t parent, child, next, nchild;
} expected_node;

static void test_links(void)
{
    /* import os            ids 2-4
     * def f(a, b=1):       ids 5-11
     *     return a         ids 12-14 */
    static const char code[] = "import os\ndef f(a, b=1):\n    return a\n";
    static const expected_node want[] = {
        [1] = {K_module, F_none, 0, 38, 0, 0, 0, 2, 0, 2},
        [2] = {K_import_statement, F_none, 0, 9, 0, 0, 1, 3, 5, 1},
        [3] = {K_dotted_name, F_name, 7, 9, 0, 7, 2, 4, 0, 1},
        [4] = {K_identifier, F_none, 7, 9, 0, 7, 3, 0, 0, 0},
        [5] = {K_function_definition, F_none, 10, 37, 1, 0, 1, 6, 0, 3},
        [6] = {K_identifier, F_name, 14, 15, 1, 4, 5, 0, 7, 0},
        [7] = {K_parameters, F_parameters, 15, 23, 1, 5, 5, 8, 12, 2}, /* parameters */
        [8] = {K_identifier, F_none, 16, 17, 1, 6, 7, 0, 9, 0},
        [9] = {K_default_parameter, F_none, 19, 22, 1, 9, 7, 10, 0, 2},
        [10] = {K_identifier, F_name, 19, 20, 1, 9, 9, 0, 11, 0},
        [11] = {K_integer, F_value, 21, 22, 1, 11, 9, 0, 0, 0},
        [12] = {K_block, F_body, 29, 37, 2, 4, 5, 13, 0, 1},
        [13] = {K_return_statement, F_none, 29, 37, 2, 4, 12, 14, 0, 1},
        [14] = {K_identifier, F_none, 36, 37, 2, 11, 13, 0, 0, 0},
    };
    parsed p;
    if (parse(&p, code)) return;
    EXPECT_INT(p.line, 0);
    EXPECT_INT(p.tree.n, 15);
    CU_ASSERT_FATAL(p.tree.n == 15);
    int all = 1;
    for (uint32_t i = 1; i < 15; i++) {
        const sst_fnode *f = &p.tree.v[i];
        const expected_node *w = &want[i];
        int ok = f->kind == w->kind && f->field == w->field && f->start == w->start && f->end == w->end &&
                 f->row == w->row && f->col == w->col && f->parent == w->parent && f->child == w->child &&
                 f->next == w->next && f->nchild == w->nchild;
        if (!ok) {
            printf("\n    node %u: kind %u field %u [%u,%u) %u:%u parent %u child %u next %u nchild %u;"
                   "\n    expected kind %u field %u [%u,%u) %u:%u parent %u child %u next %u nchild %u\n",
                   i, f->kind, f->field, f->start, f->end, f->row, f->col, f->parent, f->child, f->next,
                   f->nchild, w->kind, w->field, w->start, w->end, w->row, w->col, w->parent, w->child,
                   w->next, w->nchild);
            all = 0;
        }
    }
    CU_ASSERT(all);

    /* the same through the navigation helpers */
    snode root = sst_tree_root(&p.tree);
    EXPECT_INT(root.id, 1);
    snode fn = sn_nth(root, 1);
    EXPECT_INT(sn_kind(fn), K_function_definition);
    EXPECT_TEXT(&p, sn_field(fn, F_name), "f");
    EXPECT_TEXT(&p, sn_field(fn, F_parameters), "(a, b=1)");
    EXPECT_INT(sn_field(fn, F_body).id, 12);
    snode dflt = sn_nth(sn_field(fn, F_parameters), 1);
    EXPECT_TEXT(&p, sn_field(dflt, F_value), "1");
    EXPECT_INT(sn_parent(sn_parent(dflt)).id, 5);
    CU_ASSERT(sn_is_null(sn_nth(root, 2)));
    CU_ASSERT(sn_is_null(sn_field(fn, F_value)));
    CU_ASSERT(sn_is_null(sn_next(fn)));
    EXPECT_INT(sn_kind(sn_first((snode){&p.tree, 0})), K_other); /* the null node leads nowhere */
    parsed_free(&p);
}

static void test_call_fields(void)
{
    static const char code[] = "# c\nr.post(u, json=p)  # x\nclass C(B):\n    x: int = 1\n";
    parsed p;
    if (parse(&p, code)) return;
    EXPECT_INT(p.line, 0);
    snode root = sst_tree_root(&p.tree);
    EXPECT_INT(sn_count(root), 4); /* comment, statement, comment, class */
    EXPECT_INT(sn_kind(sn_nth(root, 0)), K_comment);
    EXPECT_INT(sn_kind(sn_nth(root, 2)), K_comment);
    snode call = sn_nth(sn_nth(root, 1), 0);
    EXPECT_INT(sn_kind(call), K_call);
    snode fn = sn_field(call, F_function), args = sn_field(call, F_arguments);
    EXPECT_INT(sn_kind(fn), K_attribute);
    EXPECT_TEXT(&p, sn_field(fn, F_object), "r");
    EXPECT_TEXT(&p, sn_field(fn, F_attribute), "post");
    EXPECT_INT(sn_kind(args), K_argument_list);
    EXPECT_INT(sn_count(args), 2);
    snode kw = sn_nth(args, 1);
    EXPECT_INT(sn_kind(kw), K_keyword_argument);
    EXPECT_TEXT(&p, sn_field(kw, F_name), "json");
    EXPECT_TEXT(&p, sn_field(kw, F_value), "p");
    EXPECT_INT(sn_row(kw), 1);
    EXPECT_INT(sn_col(kw), 10);

    snode cls = sn_nth(root, 3);
    EXPECT_INT(sn_kind(cls), K_class_definition);
    EXPECT_TEXT(&p, sn_field(cls, F_name), "C");
    EXPECT_TEXT(&p, sn_field(cls, F_superclasses), "(B)");
    snode assign = sn_nth(sn_nth(sn_field(cls, F_body), 0), 0);
    EXPECT_INT(sn_kind(assign), K_assignment);
    EXPECT_TEXT(&p, sn_field(assign, F_left), "x");
    EXPECT_TEXT(&p, sn_field(assign, F_right), "1");
    EXPECT_INT(sn_kind(sn_nth(assign, 1)), K_type);
    EXPECT_INT(sn_row(assign), 3);
    EXPECT_INT(sn_col(assign), 4);
    parsed_free(&p);
}

/* Columns are bytes of the parsed UTF-8 text; rows count CRLF lines. */
static void test_positions(void)
{
    parsed p;
    if (parse(&p, "s = '\xc3\xa9'; t = 1\r\nu = 2\r\nv = 3\n")) return;
    EXPECT_INT(p.line, 0);
    snode root = sst_tree_root(&p.tree);
    EXPECT_INT(sn_count(root), 4);
    snode t = sn_nth(root, 1);
    EXPECT_TEXT(&p, t, "t = 1");
    EXPECT_INT(sn_row(t), 0);
    EXPECT_INT(sn_col(t), 10);
    EXPECT_INT(sn_row(sn_nth(root, 2)), 1);
    EXPECT_INT(sn_row(sn_nth(root, 3)), 2);
    EXPECT_INT(sn_start(sn_nth(root, 3)), 24);
    parsed_free(&p);
}

/* A lone CR ends a line for Python (compile(b"u = 2\rv = 3\r") gives two
 * assignments), and source.c and plan.c count it as a line end; the module
 * must not be reported as a syntax error. */
static void test_lone_cr_line_ends(void)
{
    parsed p;
    if (parse(&p, "u = 2\rv = 3\r")) return;
    if (p.line) printf("\n    \"u = 2\\rv = 3\\r\": line %u \"%s\"\n", p.line, p.what);
    EXPECT_INT(p.line, 0);
    snode root = sst_tree_root(&p.tree);
    EXPECT_INT(sn_count(root), 2);
    parsed_free(&p);
}

/* ---- problems ------------------------------------------------------------ */

typedef struct problem_case {
    const char *code;
    uint32_t line;
    const char *what;
} problem_case;

static void check_problems(const problem_case *cases, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        parsed p;
        if (parse(&p, cases[i].code)) continue;
        int ok = p.line == cases[i].line && !strcmp(p.what, cases[i].what);
        if (!ok)
            printf("\n    %s:\n      line %u \"%s\", expected line %u \"%s\"\n", cases[i].code, p.line, p.what,
                   cases[i].line, cases[i].what);
        CU_ASSERT(ok);
        parsed_free(&p);
    }
}

static void test_problems(void)
{
    static const problem_case cases[] = {
        {"x = 1\ny = (1 + 2\nz = 3\n", 2, "a syntax error"},
        {"x = 1\nfoo(a, b\n", 2, "a syntax error"},
        {"x = 1\ndef f(:\n    pass\n", 2, "a missing token"},
        {"x = 1\nprint \"hi\"\n", 2, "a Python 2 print statement"},
        {"print x,\n", 1, "a Python 2 print statement"},
        {"exec \"code\"\n", 1, "a Python 2 exec statement"},
        {"x = 1\n\nexec code in ns\n", 3, "a Python 2 exec statement"},
        {"if a <> b:\n    pass\n", 1, "the Python 2 operator <>"},
        {"x = 1\ny = `x`\n", 2, "Python 2 backticks"},
        {"x = ur'abc'\n", 1, "a Python 2 ur\"\" string"},
        {"x = UR\"abc\"\n", 1, "a Python 2 ur\"\" string"},
        {"x = uR'''abc'''\n", 1, "a Python 2 ur\"\" string"},
        {"try:\n    pass\nexcept E, e:\n    pass\n", 3, "a Python 2 'except E, name' clause"},
        {"try:\n    pass\nexcept (A, B), e:\n    pass\n", 3, "a Python 2 'except E, name' clause"},
        {"x = 10L\n", 1, "a Python 2 long integer"},
        {"x = 10l\n", 1, "a Python 2 long integer"},
        {"x = 0xFFL\n", 1, "a Python 2 long integer"},
        {"x = 0777\n", 1, "a Python 2 octal integer"},
        {"def f():\n    return 0644\n", 2, "a Python 2 octal integer"},
    };
    check_problems(cases, sizeof cases / sizeof *cases);
}

/* Only the first problem is reported. */
static void test_first_problem(void)
{
    static const problem_case cases[] = {
        {"x = 1\nprint 'a'\ny = 10L\nz = `y`\n", 2, "a Python 2 print statement"},
        {"x = 0777\nprint 'a'\n", 1, "a Python 2 octal integer"},
        {"def f(:\n    print 'a'\n", 1, "a missing token"},
    };
    check_problems(cases, sizeof cases / sizeof *cases);
}

/* Python 3 forms that look like the Python 2 ones are not problems. */
static void test_python3_lookalikes(void)
{
    static const problem_case cases[] = {
        {"x = 0\n", 0, ""},
        {"x = 00\n", 0, ""},
        {"x = 0_0\n", 0, ""},
        {"x = 0o777\n", 0, ""},
        {"x = 0O17\n", 0, ""},
        {"x = 0x1F + 0b101\n", 0, ""},
        {"x = 0j + 10j + 1e5\n", 0, ""},
        {"x = 07.5\n", 0, ""},
        {"print(x)\n", 0, ""},
        {"print('a', file=f)\n", 0, ""},
        {"print\n", 0, ""},
        {"exec('x = 1')\n", 0, ""},
        {"try:\n    pass\nexcept (A, B) as e:\n    pass\n", 0, ""},
        {"try:\n    pass\nexcept* (A, B) as e:\n    pass\n", 0, ""},
        {"x = rb'a'\n", 0, ""},
        {"x = Rb'a'\n", 0, ""},
        {"x = br'a' + BR'a' + rB'a'\n", 0, ""},
        {"x = u'a' + U'b' + r'c' + R'd' + f'{x}' + rf'{x}'\n", 0, ""},
        {"x = a != b\n", 0, ""},
        {"x = [a, b]\ny = 'e, f'\n", 0, ""},
        {"x = '`'\n", 0, ""},
    };
    check_problems(cases, sizeof cases / sizeof *cases);
}

/* Imaginary literals with leading zeros are valid Python 3 (Python: eval("0777j")
 * == 777j, eval("00j") == 0j; CPython's test_compile checks exactly this). */
static void test_imaginary_leading_zeros(void)
{
    static const problem_case cases[] = {
        {"x = 0777j\n", 0, ""},
        {"x = 00j\n", 0, ""},
    };
    check_problems(cases, sizeof cases / sizeof *cases);
}

/* Python 2 forms the grammar accepts without a special node: "raise E, msg"
 * and tuple parameters. Python 3 rejects both ("SyntaxError: invalid syntax",
 * "Function parameters cannot be parenthesized"); the file must come back
 * unparseable, with the line. */
static void test_python2_raise_and_tuple_parameters(void)
{
    static const problem_case cases[] = {
        {"x = 1\nraise ValueError, \"bad\"\n", 2, NULL},
        {"def f(a, (b, c)):\n    pass\n", 1, NULL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        parsed p;
        if (parse(&p, cases[i].code)) continue;
        if (p.line != cases[i].line)
            printf("\n    %s:\n      line %u \"%s\", expected a problem on line %u\n", cases[i].code, p.line,
                   p.what, cases[i].line);
        EXPECT_INT(p.line, cases[i].line);
        CU_ASSERT(p.what[0] != 0);
        parsed_free(&p);
    }
}

/* A block with no statement is a syntax error to Python ("IndentationError:
 * expected an indented block", line 2) that tree-sitter accepts as an empty
 * block with no ERROR node. */
static void test_empty_block(void)
{
    parsed p;
    if (parse(&p, "if x:\npass\n")) return;
    if (!p.line) printf("\n    \"if x:\\npass\" was accepted\n");
    EXPECT_INT(p.line, 2);
    CU_ASSERT(p.what[0] != 0);
    parsed_free(&p);
}

int main(void)
{
    static const sst_test tests[] = {
        {"links", test_links},
        {"call_fields", test_call_fields},
        {"positions", test_positions},
        {"lone_cr_line_ends", test_lone_cr_line_ends},
        {"problems", test_problems},
        {"first_problem", test_first_problem},
        {"python3_lookalikes", test_python3_lookalikes},
        {"imaginary_leading_zeros", test_imaginary_leading_zeros},
        {"python2_raise_and_tuple_parameters", test_python2_raise_and_tuple_parameters},
        {"empty_block", test_empty_block},
    };
    return run_suite("flat", NULL, NULL, tests, sizeof tests / sizeof *tests, NULL);
}
