/* The symbol -> node kind table of kinds.h, computed once (pthread_once)
 * from the grammar's symbol names; read-only afterwards, so threads share it. */
#include "kinds.h"

#include <pthread.h>
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
    [K_string_start] = "string_start",
    [K_op_ne] = "<>",
    [K_comma] = ",",
    [K_colon] = ":",
    [K_print_statement] = "print_statement",
    [K_exec_statement] = "exec_statement",
    [K_parameters] = "parameters",
    [K_lambda_parameters] = "lambda_parameters",
    [K_string_content] = "string_content",
    [K_string_end] = "string_end",
    [K_escape_sequence] = "escape_sequence",
    [K_relative_import] = "relative_import",
    [K_import_prefix] = "import_prefix",
    [K_wildcard_import] = "wildcard_import",
    [K_pattern_list] = "pattern_list",
    [K_tuple] = "tuple",
    [K_list] = "list",
    [K_dictionary] = "dictionary",
    [K_pair] = "pair",
    [K_list_splat] = "list_splat",
    [K_dictionary_splat] = "dictionary_splat",
};

static const char *const field_names[F_count] = {
    [F_alias] = "alias",
    [F_alternative] = "alternative",
    [F_arguments] = "arguments",
    [F_attribute] = "attribute",
    [F_body] = "body",
    [F_condition] = "condition",
    [F_consequence] = "consequence",
    [F_definition] = "definition",
    [F_expression] = "expression",
    [F_function] = "function",
    [F_guard] = "guard",
    [F_left] = "left",
    [F_module_name] = "module_name",
    [F_name] = "name",
    [F_object] = "object",
    [F_parameters] = "parameters",
    [F_right] = "right",
    [F_subject] = "subject",
    [F_subscript] = "subscript",
    [F_superclasses] = "superclasses",
    [F_value] = "value",
    [F_type] = "type",
    [F_key] = "key",
};

static uint8_t table[SST_MAX_SYMBOLS];
static uint8_t fields[SST_MAX_FIELDS];
const uint8_t *sst_kind_table = table;
const uint8_t *sst_field_table = fields;
static pthread_once_t once = PTHREAD_ONCE_INIT;

static void build(void)
{
    const TSLanguage *lang = tree_sitter_python();
    uint32_t n = ts_language_symbol_count(lang);
    for (uint32_t s = 0; s < n && s < SST_MAX_SYMBOLS; s++) {
        const char *name = ts_language_symbol_name(lang, (TSSymbol)s);
        for (int k = 1; k < K_count; k++)
            if (name && !strcmp(name, kind_names[k])) {
                table[s] = (uint8_t)k;
                break;
            }
    }
    for (int f = 1; f < F_count; f++) {
        TSFieldId id = ts_language_field_id_for_name(lang, field_names[f], (uint32_t)strlen(field_names[f]));
        if (id && id < SST_MAX_FIELDS) fields[id] = (uint8_t)f;
    }
}

void sst_kinds_init(void)
{
    pthread_once(&once, build);
}

