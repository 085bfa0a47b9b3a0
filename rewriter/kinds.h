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
    K_string_start,
    K_op_ne,
    K_comma,
    K_colon,
    K_print_statement,
    K_exec_statement,
    K_parameters,
    K_lambda_parameters,
    K_string_content,
    K_string_end,
    K_escape_sequence,
    K_relative_import,
    K_import_prefix,
    K_wildcard_import,
    K_pattern_list,
    K_tuple,
    K_list,
    K_dictionary,
    K_pair,
    K_list_splat,
    K_dictionary_splat,
    K_count
} sst_node_kind;

/* The fields the rewriter reads, likewise. */
typedef enum {
    F_none = 0,
    F_alias,
    F_alternative,
    F_arguments,
    F_attribute,
    F_body,
    F_condition,
    F_consequence,
    F_definition,
    F_expression,
    F_function,
    F_guard,
    F_left,
    F_module_name,
    F_name,
    F_object,
    F_parameters,
    F_right,
    F_subject,
    F_subscript,
    F_superclasses,
    F_value,
    F_type,
    F_key,
    F_count
} sst_field_kind;

enum { SST_MAX_SYMBOLS = 1024, SST_MAX_FIELDS = 256 };
extern const uint8_t *sst_kind_table;   /* by grammar symbol */
extern const uint8_t *sst_field_table;  /* by grammar field id */
void sst_kinds_init(void);

static inline sst_node_kind sst_kind_of(TSNode node)
{
    TSSymbol s = ts_node_symbol(node);
    return s < SST_MAX_SYMBOLS ? (sst_node_kind)sst_kind_table[s] : K_other;
}

#endif
