/* Parsing with tree-sitter-python. What makes a tree unfit to rewrite is
 * found while flattening it (flat.c). */
#include "parse.h"

TSTree *sst_parse(TSParser *parser, const sst_source *src)
{
    if (!ts_parser_set_language(parser, tree_sitter_python())) return NULL;
    return ts_parser_parse_string(parser, NULL, src->text, (uint32_t)src->text_len);
}
