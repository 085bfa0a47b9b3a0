/* The symbol -> node kind table of kinds.h, computed once (pthread_once)
 * from the grammar's symbol names; read-only afterwards, so threads share it. */
#include "kinds.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

const TSLanguage *tree_sitter_python(void);

static const char *const kind_names[K_count] = {
    [K_aliased_import] = "aliased_import",
    [K_argument_list] = "argument_list",
    [K_as_pattern] = "as_pattern",
    [K_as_pattern_target] = "as_pattern_target",
    [K_assert_statement] = "assert_statement",
    [K_assignment] = "assignment",
    [K_attribute] = "attribute",
    [K_augmented_assignment] = "augmented_assignment",
    [K_block] = "block",
    [K_boolean_operator] = "boolean_operator",
    [K_break_statement] = "break_statement",
    [K_call] = "call",
    [K_case_clause] = "case_clause",
    [K_case_pattern] = "case_pattern",
    [K_class_definition] = "class_definition",
    [K_comment] = "comment",
    [K_concatenated_string] = "concatenated_string",
    [K_conditional_expression] = "conditional_expression",
    [K_continue_statement] = "continue_statement",
    [K_decorated_definition] = "decorated_definition",
    [K_decorator] = "decorator",
    [K_default_parameter] = "default_parameter",
    [K_delete_statement] = "delete_statement",
    [K_dict_pattern] = "dict_pattern",
    [K_dictionary_comprehension] = "dictionary_comprehension",
    [K_dictionary_splat_pattern] = "dictionary_splat_pattern",
    [K_dotted_name] = "dotted_name",
    [K_elif_clause] = "elif_clause",
    [K_else_clause] = "else_clause",
    [K_except_clause] = "except_clause",
    [K_except_group_clause] = "except_group_clause",
    [K_expression_list] = "expression_list",
    [K_expression_statement] = "expression_statement",
    [K_finally_clause] = "finally_clause",
    [K_float] = "float",
    [K_for_in_clause] = "for_in_clause",
    [K_for_statement] = "for_statement",
    [K_function_definition] = "function_definition",
    [K_future_import_statement] = "future_import_statement",
    [K_generator_expression] = "generator_expression",
    [K_global_statement] = "global_statement",
    [K_identifier] = "identifier",
    [K_if_clause] = "if_clause",
    [K_if_statement] = "if_statement",
    [K_import_from_statement] = "import_from_statement",
    [K_import_statement] = "import_statement",
    [K_integer] = "integer",
    [K_interpolation] = "interpolation",
    [K_keyword_argument] = "keyword_argument",
    [K_keyword_pattern] = "keyword_pattern",
    [K_lambda] = "lambda",
    [K_list_comprehension] = "list_comprehension",
    [K_list_splat_pattern] = "list_splat_pattern",
    [K_match_statement] = "match_statement",
    [K_module] = "module",
    [K_named_expression] = "named_expression",
    [K_none] = "none",
    [K_nonlocal_statement] = "nonlocal_statement",
    [K_parenthesized_expression] = "parenthesized_expression",
    [K_raise_statement] = "raise_statement",
    [K_return_statement] = "return_statement",
    [K_set_comprehension] = "set_comprehension",
    [K_splat_pattern] = "splat_pattern",
    [K_string] = "string",
    [K_subscript] = "subscript",
    [K_try_statement] = "try_statement",
    [K_tuple_pattern] = "tuple_pattern",
    [K_type] = "type",
    [K_typed_default_parameter] = "typed_default_parameter",
    [K_typed_parameter] = "typed_parameter",
    [K_while_statement] = "while_statement",
    [K_with_clause] = "with_clause",
    [K_with_item] = "with_item",
    [K_with_statement] = "with_statement",
    [K_yield] = "yield",
    [K_true] = "true",
    [K_false] = "false",
    [K_ellipsis] = "ellipsis",
    [K_comparison_operator] = "comparison_operator",
    [K_not_operator] = "not_operator",
    [K_pass_statement] = "pass_statement",
    [K_type_alias_statement] = "type_alias_statement",
};

enum { MAX_SYMBOLS = 1024 };
static uint8_t table[MAX_SYMBOLS];
const uint8_t *sst_kind_table = table;
static pthread_once_t once = PTHREAD_ONCE_INIT;

static void build(void)
{
    const TSLanguage *lang = tree_sitter_python();
    uint32_t n = ts_language_symbol_count(lang);
    for (uint32_t s = 0; s < n && s < MAX_SYMBOLS; s++) {
        const char *name = ts_language_symbol_name(lang, (TSSymbol)s);
        for (int k = 1; k < K_count; k++)
            if (name && !strcmp(name, kind_names[k])) {
                table[s] = (uint8_t)k;
                break;
            }
    }
}

void sst_kinds_init(void)
{
    pthread_once(&once, build);
}

size_t sst_kids_push(sst_kids *kids, TSNode node, uint32_t *count)
{
    size_t base = kids->n;
    *count = 0;
    if (ts_node_is_null(node) || !ts_node_child_count(node)) return base;
    if (!kids->has_cursor) {
        kids->cursor = ts_tree_cursor_new(node);
        kids->has_cursor = 1;
    } else {
        ts_tree_cursor_reset(&kids->cursor, node);
    }
    if (!ts_tree_cursor_goto_first_child(&kids->cursor)) return base;
    do {
        TSNode c = ts_tree_cursor_current_node(&kids->cursor);
        if (!ts_node_is_named(c)) continue;
        if (kids->n == kids->cap) {
            size_t cap = kids->cap ? kids->cap * 2 : 256;
            TSNode *v = realloc(kids->v, cap * sizeof *v);
            if (!v) {
                kids->n = base;
                *count = 0;
                return SIZE_MAX;
            }
            kids->v = v;
            kids->cap = cap;
        }
        kids->v[kids->n++] = c;
    } while (ts_tree_cursor_goto_next_sibling(&kids->cursor));
    *count = (uint32_t)(kids->n - base);
    return base;
}

void sst_kids_free(sst_kids *kids)
{
    free(kids->v);
    if (kids->has_cursor) ts_tree_cursor_delete(&kids->cursor);
    kids->v = NULL;
    kids->n = kids->cap = 0;
    kids->has_cursor = 0;
}
