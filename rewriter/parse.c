/* Parsing with tree-sitter-python and telling clean Python 3 from the rest:
 * ERROR and MISSING nodes, and the Python 2 forms the grammar accepts for
 * compatibility (print and exec statements, <>, "except E, e", 10L, 0777). */
#include "parse.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

TSTree *sst_parse(TSParser *parser, const sst_source *src)
{
    if (!ts_parser_set_language(parser, tree_sitter_python())) return NULL;
    return ts_parser_parse_string(parser, NULL, src->text, (uint32_t)src->text_len);
}

static const char *python2_form(TSNode node, const sst_source *src)
{
    const char *type = ts_node_type(node);
    if (!strcmp(type, "print_statement")) return "a Python 2 print statement";
    if (!strcmp(type, "exec_statement")) return "a Python 2 exec statement";
    if (!ts_node_is_named(node)) {
        size_t len;
        const char *t = sst_node_text(src, node, &len);
        if (len == 2 && !memcmp(t, "<>", 2)) return "the Python 2 operator <>";
        if (len == 1 && t[0] == '`') return "Python 2 backticks";
        return NULL;
    }
    if (!strcmp(type, "string_start")) {
        size_t len;
        const char *t = sst_node_text(src, node, &len);
        if (len && t[0] == '`') return "Python 2 backticks";
        if (len > 1 && (t[0] == 'u' || t[0] == 'U') && (t[1] == 'r' || t[1] == 'R'))
            return "a Python 2 ur\"\" string";
        return NULL;
    }
    if (!strcmp(type, "integer")) {
        size_t len;
        const char *t = sst_node_text(src, node, &len);
        if (len > 1 && (t[len - 1] == 'l' || t[len - 1] == 'L')) return "a Python 2 long integer";
        if (len > 1 && t[0] == '0' && isdigit((unsigned char)t[1])) {
            for (size_t i = 1; i < len; i++)
                if (t[i] != '0' && t[i] != '_') return "a Python 2 octal integer";
        }
        return NULL;
    }
    if (!strcmp(type, "except_clause") || !strcmp(type, "except_group_clause")) {
        uint32_t n = ts_node_child_count(node);
        for (uint32_t i = 0; i < n; i++) {
            TSNode c = ts_node_child(node, i);
            if (!strcmp(ts_node_type(c), ":")) break;
            if (!strcmp(ts_node_type(c), ",")) return "a Python 2 'except E, name' clause";
        }
    }
    return NULL;
}

/* Depth first, in source order: the first node that is an error, missing, or
 * Python 2. ERROR subtrees are reported, not descended. */
static int first_problem(TSNode root, const sst_source *src, TSNode *where, const char **what)
{
    TSTreeCursor cur = ts_tree_cursor_new(root);
    int found = 0;
    for (;;) {
        TSNode node = ts_tree_cursor_current_node(&cur);
        const char *why = NULL;
        if (ts_node_is_missing(node))
            why = "a missing token";
        else if (ts_node_symbol(node) == (TSSymbol)-1)
            why = "a syntax error";
        else
            why = python2_form(node, src);
        if (why) {
            *where = node;
            *what = why;
            found = 1;
            break;
        }
        if (ts_tree_cursor_goto_first_child(&cur)) continue;
        while (!ts_tree_cursor_goto_next_sibling(&cur))
            if (!ts_tree_cursor_goto_parent(&cur)) goto done;
    }
done:
    ts_tree_cursor_delete(&cur);
    return found;
}

unsigned sst_parse_problem(TSNode root, const sst_source *src, char *what, size_t cap)
{
    TSNode where;
    const char *why;
    if (!first_problem(root, src, &where, &why)) return 0;
    snprintf(what, cap, "%s", why);
    return ts_node_start_point(where).row + 1;
}
