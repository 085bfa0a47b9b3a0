/* Node kinds: the tree-sitter-python node types the rewriter looks at, as
 * small integers, so a type test is a table lookup instead of a string
 * compare. The table is built once from the grammar and never changes. */
#ifndef SST_KINDS_H
#define SST_KINDS_H

#include <stddef.h>
#include <stdint.h>
#include <tree_sitter/api.h>

typedef enum {
    K_other = 0,
    K_aliased_import,
    K_argument_list,
    K_as_pattern,
    K_as_pattern_target,
    K_assert_statement,
    K_assignment,
    K_attribute,
    K_augmented_assignment,
    K_block,
    K_boolean_operator,
    K_break_statement,
    K_call,
    K_case_clause,
    K_case_pattern,
    K_class_definition,
    K_comment,
    K_concatenated_string,
    K_conditional_expression,
    K_continue_statement,
    K_decorated_definition,
    K_decorator,
    K_default_parameter,
    K_delete_statement,
    K_dict_pattern,
    K_dictionary_comprehension,
    K_dictionary_splat_pattern,
    K_dotted_name,
    K_elif_clause,
    K_else_clause,
    K_except_clause,
    K_except_group_clause,
    K_expression_list,
    K_expression_statement,
    K_finally_clause,
    K_float,
    K_for_in_clause,
    K_for_statement,
    K_function_definition,
    K_future_import_statement,
    K_generator_expression,
    K_global_statement,
    K_identifier,
    K_if_clause,
    K_if_statement,
    K_import_from_statement,
    K_import_statement,
    K_integer,
    K_interpolation,
    K_keyword_argument,
    K_keyword_pattern,
    K_lambda,
    K_list_comprehension,
    K_list_splat_pattern,
    K_match_statement,
    K_module,
    K_named_expression,
    K_none,
    K_nonlocal_statement,
    K_parenthesized_expression,
    K_raise_statement,
    K_return_statement,
    K_set_comprehension,
    K_splat_pattern,
    K_string,
    K_subscript,
    K_try_statement,
    K_tuple_pattern,
    K_type,
    K_typed_default_parameter,
    K_typed_parameter,
    K_while_statement,
    K_with_clause,
    K_with_item,
    K_with_statement,
    K_yield,
    K_true,
    K_false,
    K_ellipsis,
    K_comparison_operator,
    K_not_operator,
    K_pass_statement,
    K_type_alias_statement,
    K_count
} sst_node_kind;

extern const uint8_t *sst_kind_table;
void sst_kinds_init(void);

static inline sst_node_kind sst_kind_of(TSNode node)
{
    return (sst_node_kind)sst_kind_table[ts_node_symbol(node)];
}

/* Named children, collected with one reusable cursor: tree-sitter's
 * ts_node_named_child(n, i) walks from the first child, so indexing in a loop
 * is quadratic. Pushes are stack-like: collect, use by index, then pop. */
typedef struct sst_kids {
    TSNode *v;
    size_t n, cap;
    TSTreeCursor cursor;
    int has_cursor;
} sst_kids;

/* Pushes NODE's named children; returns the index of the first. *COUNT gets
 * how many. Returns SIZE_MAX when out of memory. */
size_t sst_kids_push(sst_kids *kids, TSNode node, uint32_t *count);
static inline void sst_kids_pop(sst_kids *kids, size_t base) { kids->n = base; }
void sst_kids_free(sst_kids *kids);

#endif
