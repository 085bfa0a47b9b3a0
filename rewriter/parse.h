/* The tree-sitter wrapper: parse a source's UTF-8 text and find the first
 * thing that makes it unfit to rewrite (a syntax error, Python 2 syntax). */
#ifndef SST_PARSE_H
#define SST_PARSE_H

#include <tree_sitter/api.h>

#include "source.h"

const TSLanguage *tree_sitter_python(void);

/* Parses with a caller-provided parser (one per thread). NULL on failure. */
TSTree *sst_parse(TSParser *parser, const sst_source *src);

/* 0 if the tree is clean Python 3; otherwise the 1-based line of the first
 * problem, with a description in WHAT. */
unsigned sst_parse_problem(TSNode root, const sst_source *src, char *what, size_t cap);

/* The node's text, in the parsed UTF-8. */
static inline const char *sst_node_text(const sst_source *src, TSNode node, size_t *len)
{
    uint32_t a = ts_node_start_byte(node), b = ts_node_end_byte(node);
    *len = b - a;
    return src->text + a;
}

#endif
