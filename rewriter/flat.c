/* Flattening a tree-sitter tree into sst_tree in one cursor pass, checking
 * on the way every node (named or not) for what makes a module unfit to
 * rewrite: ERROR and MISSING nodes and the Python 2 forms the grammar accepts
 * for compatibility (print and exec statements, <>, backticks, ur'' strings,
 * "except E, e", 10L, 0777). */
#include "flat.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Python 3's hard keywords: never a name. The grammar's error recovery
 * sometimes takes one for an identifier ("def f(not, x):"). */
static int hard_keyword(const char *t, size_t len)
{
    static const char *const words[] = {
        "False", "None", "True", "and", "as", "assert", "async", "await", "break", "class",
        "continue", "def", "del", "elif", "else", "except", "finally", "for", "from", "global",
        "if", "import", "in", "is", "lambda", "nonlocal", "not", "or", "pass", "raise",
        "return", "try", "while", "with", "yield", NULL};
    if (len < 2 || len > 8) return 0;
    for (int i = 0; words[i]; i++)
        if (words[i][0] == t[0] && strlen(words[i]) == len && !memcmp(words[i], t, len)) return 1;
    return 0;
}

static const char *python2_form(sst_node_kind kind, int named, const sst_source *src, uint32_t a, uint32_t b,
                                sst_node_kind parent)
{
    const char *t = src->text + a;
    size_t len = b - a;
    switch (kind) {
    case K_identifier:
        return named && hard_keyword(t, len) ? "a syntax error (a keyword used as a name)" : NULL;
    case K_print_statement: return "a Python 2 print statement";
    case K_exec_statement: return "a Python 2 exec statement";
    case K_op_ne: return named ? NULL : "the Python 2 operator <>";
    case K_comma:
        return !named && (parent == K_except_clause || parent == K_except_group_clause)
                   ? "a Python 2 'except E, name' clause" : NULL;
    case K_string_start:
        if (len && t[0] == '`') return "Python 2 backticks";
        if (len > 1 && (t[0] == 'u' || t[0] == 'U') && (t[1] == 'r' || t[1] == 'R'))
            return "a Python 2 ur\"\" string";
        return NULL;
    case K_augmented_assignment:
        /* "r = n += 1": the grammar takes it, Python does not */
        return parent == K_assignment || parent == K_augmented_assignment ? "a syntax error" : NULL;
    case K_assignment:
        return parent == K_augmented_assignment ? "a syntax error" : NULL;
    case K_expression_list:
        return parent == K_raise_statement ? "a Python 2 'raise E, value' statement" : NULL;
    case K_tuple_pattern:
        return parent == K_parameters || parent == K_lambda_parameters || parent == K_default_parameter
                   ? "a Python 2 tuple parameter" : NULL;
    case K_integer:
        if (len > 1 && (t[len - 1] == 'j' || t[len - 1] == 'J')) return NULL; /* 0777j is imaginary */
        if (len > 1 && (t[len - 1] == 'l' || t[len - 1] == 'L')) return "a Python 2 long integer";
        if (len > 1 && t[0] == '0' && isdigit((unsigned char)t[1]))
            for (size_t i = 1; i < len; i++)
                if (t[i] != '0' && t[i] != '_') return "a Python 2 octal integer";
        return NULL;
    default:
        return NULL;
    }
}

/* Parents with a field the rewriter reads (from the grammar's node-types.json);
 * asking the cursor for a field id costs a table search, so other children
 * skip it. */
static const uint8_t has_fields[K_count] = {
    [K_aliased_import] = 1,
    [K_as_pattern] = 1,
    [K_assignment] = 1,
    [K_attribute] = 1,
    [K_augmented_assignment] = 1,
    [K_block] = 1,
    [K_boolean_operator] = 1,
    [K_call] = 1,
    [K_case_clause] = 1,
    [K_class_definition] = 1,
    [K_decorated_definition] = 1,
    [K_default_parameter] = 1,
    [K_dict_pattern] = 1,
    [K_dictionary_comprehension] = 1,
    [K_elif_clause] = 1,
    [K_else_clause] = 1,
    [K_except_clause] = 1,
    [K_for_in_clause] = 1,
    [K_for_statement] = 1,
    [K_function_definition] = 1,
    [K_future_import_statement] = 1,
    [K_generator_expression] = 1,
    [K_if_statement] = 1,
    [K_import_from_statement] = 1,
    [K_import_statement] = 1,
    [K_interpolation] = 1,
    [K_keyword_argument] = 1,
    [K_lambda] = 1,
    [K_list_comprehension] = 1,
    [K_match_statement] = 1,
    [K_named_expression] = 1,
    [K_set_comprehension] = 1,
    [K_subscript] = 1,
    [K_try_statement] = 1,
    [K_type_alias_statement] = 1,
    [K_typed_default_parameter] = 1,
    [K_typed_parameter] = 1,
    [K_pair] = 1,
    [K_while_statement] = 1,
    [K_with_item] = 1,
    [K_with_statement] = 1,
};

/* Nodes that never have children worth a visit: tokens. */
static int leaf(sst_node_kind kind, int named)
{
    switch (kind) {
    case K_identifier: case K_integer: case K_float: case K_comment: case K_string_start:
    case K_string_content: case K_string_end: case K_escape_sequence: case K_true: case K_false:
    case K_none: case K_ellipsis:
        return 1;
    default:
        return !named;
    }
}

/* A block with no statement (tree-sitter accepts "if x:\npass" that way;
 * Python raises IndentationError): the line of the first, or 0. */
static uint32_t empty_block(const sst_tree *t, char *what, size_t cap)
{
    for (uint32_t i = 1; i < t->n; i++) {
        if (t->v[i].kind != K_block) continue;
        uint32_t c = t->v[i].child;
        while (c && t->v[c].kind == K_comment) c = t->v[c].next;
        if (!c) {
            /* it sits at the end of its header's line; Python names the next line */
            snprintf(what, cap, "an empty block (expected an indented statement)");
            return t->v[i].row + 2;
        }
    }
    return 0;
}

static uint32_t push(sst_tree *t)
{
    if (t->n == t->cap) {
        uint32_t cap = t->cap ? t->cap * 2 : 1024;
        sst_fnode *v = realloc(t->v, cap * sizeof *v);
        if (!v) return 0;
        t->v = v;
        t->cap = cap;
    }
    memset(&t->v[t->n], 0, sizeof t->v[0]);
    return t->n++;
}

uint32_t sst_tree_build(sst_tree *t, TSNode root, const sst_source *src, char *what, size_t cap)
{
    memset(t, 0, sizeof *t);
    sst_kinds_init();
    push(t); /* v[0]: "no node" */
    if (!push(t)) return UINT32_MAX; /* v[1]: the module */
    t->v[1].kind = (uint16_t)sst_kind_of(root);
    t->v[1].start = ts_node_start_byte(root);
    t->v[1].end = ts_node_end_byte(root);

    /* stack[d]: the flat id of the named node that is the parent at depth d,
     * and the last child linked under it */
    uint32_t *parents = NULL, *lasts = NULL;
    size_t depth = 0, capd = 0;
    uint32_t line = 0;
    TSTreeCursor cur = ts_tree_cursor_new(root);
    const char *why = NULL;
    uint32_t parent = 1, last = 0;
    /* The root itself is an ERROR node when the parse failed as a whole (as
     * with 64 nested blocks): the walk below only looks at its children. */
    if (ts_node_symbol(root) == (TSSymbol)-1 || (ts_node_has_error(root) && t->v[1].kind != K_module)) {
        line = ts_node_start_point(root).row + 1;
        snprintf(what, cap, "a syntax error");
        goto done;
    }
    if (!ts_tree_cursor_goto_first_child(&cur)) goto done;
    for (;;) {
        TSNode node = ts_tree_cursor_current_node(&cur);
        TSSymbol sym = ts_node_symbol(node);
        int named = ts_node_is_named(node);
        sst_node_kind kind = sym < SST_MAX_SYMBOLS ? (sst_node_kind)sst_kind_table[sym] : K_other;
        uint32_t a = ts_node_start_byte(node), b = ts_node_end_byte(node);
        if (ts_node_is_missing(node)) why = "a missing token";
        else if (sym == (TSSymbol)-1) why = "a syntax error";
        else why = python2_form(kind, named, src, a, b, (sst_node_kind)t->v[parent].kind);
        if (why) {
            line = ts_node_start_point(node).row + 1;
            snprintf(what, cap, "%s", why);
            goto done;
        }
        uint32_t id = 0;
        if (named) {
            id = push(t);
            if (!id) {
                line = UINT32_MAX;
                goto done;
            }
            sst_fnode *f = &t->v[id];
            TSPoint p = ts_node_start_point(node);
            f->start = a;
            f->end = b;
            f->row = p.row;
            f->col = p.column;
            f->kind = (uint16_t)kind;
            if (has_fields[t->v[parent].kind]) {
                TSFieldId fid = ts_tree_cursor_current_field_id(&cur);
                f->field = fid < SST_MAX_FIELDS ? sst_field_table[fid] : F_none;
            }
            f->parent = parent;
            if (last) t->v[last].next = id;
            else t->v[parent].child = id;
            t->v[parent].nchild++;
            last = id;
        }
        if (!leaf(kind, named) && ts_tree_cursor_goto_first_child(&cur)) {
            if (depth == capd) {
                capd = capd ? capd * 2 : 64;
                uint32_t *p = realloc(parents, capd * sizeof *p), *l = p ? realloc(lasts, capd * sizeof *l) : NULL;
                if (p) parents = p;
                if (!p || !l) {
                    line = UINT32_MAX;
                    goto done;
                }
                lasts = l;
            }
            parents[depth] = parent;
            lasts[depth] = last;
            depth++;
            /* a named node becomes the parent of what is below it; an
             * anonymous or hidden one passes its children up */
            if (named) {
                parent = id;
                last = 0;
            }
            continue;
        }
        while (!ts_tree_cursor_goto_next_sibling(&cur)) {
            if (!depth || !ts_tree_cursor_goto_parent(&cur)) goto done;
            depth--;
            /* Back at a node's own level: after a named node its parent's
             * last child is that node; after an anonymous one (whose
             * children were linked to the same parent) the running last. */
            if (parent != parents[depth]) last = lasts[depth];
            parent = parents[depth];
        }
    }
done:
    ts_tree_cursor_delete(&cur);
    free(parents);
    free(lasts);
    if (!line) line = empty_block(t, what, cap);
    if (!line && ts_node_has_error(root)) { /* an error the walk did not meet: never rewrite it */
        line = 1;
        snprintf(what, cap, "a syntax error");
    }
    /* the tree is kept until the whole project is analysed: give back the slack */
    if (line != UINT32_MAX && t->n < t->cap) {
        sst_fnode *v = realloc(t->v, t->n * sizeof *v);
        if (v) {
            t->v = v;
            t->cap = t->n;
        }
    }
    return line;
}

void sst_tree_free(sst_tree *t)
{
    free(t->v);
    memset(t, 0, sizeof *t);
}
