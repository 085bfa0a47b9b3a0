/* The tree-sitter wrapper: parse a source's UTF-8 text with the pinned
 * tree-sitter-python grammar. */
#ifndef SST_PARSE_H
#define SST_PARSE_H

#include <tree_sitter/api.h>

#include "source.h"

const TSLanguage *tree_sitter_python(void);

/* Parses with a caller-provided parser (one per thread). NULL on failure. */
TSTree *sst_parse(TSParser *parser, const sst_source *src);

#endif
