/* Resolution of expressions to catalogue API paths ("requests.post",
 * "smtplib.SMTP().sendmail") through the bindings of their scope. */
#ifndef SST_RESOLVE_H
#define SST_RESOLVE_H

#include "scope.h"

/* Writes the API path EXPR stands for into BUF and returns its length, or
 * returns 0 when it resolves to nothing the catalogue knows. */
size_t sst_resolve(const sst_analysis *an, scope *sc, snode expr, char *buf, size_t cap);

/* The catalogue entry (not a returns rule) EXPR resolves to, with its
 * condition matched against CALL's arguments (a null node: only
 * unconditional entries), or NULL; first-party paths have none. The path is
 * left in BUF. */
const sst_entry *sst_resolve_entry(const sst_analysis *an, scope *sc, snode expr, snode call, char *buf,
                                   size_t cap);

/* From now on (the project linked, bindings final) each node is resolved
 * once and remembered. */
int sst_resolve_cache(sst_analysis *an);

/* Whether entry E's condition (when=) holds for CALL. */
int sst_entry_applies(const sst_analysis *an, const sst_entry *e, snode call);

#endif
