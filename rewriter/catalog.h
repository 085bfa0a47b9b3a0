/* Internal catalogue queries used by resolution and planning. */
#ifndef SST_CATALOG_H
#define SST_CATALOG_H

#include <sst/rewrite.h>

/* True if PATH (LEN bytes) is a catalogue path or a dotted prefix of one, so
 * resolution can stop following a chain that leads nowhere. */
int sst_catalog_has_prefix(const sst_catalog *catalog, const char *path, size_t len);

#endif
