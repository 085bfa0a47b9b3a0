/* Resolution of expressions to catalogue API paths ("requests.post",
 * "smtplib.SMTP().sendmail") through the bindings of their scope. */
#ifndef SST_RESOLVE_H
#define SST_RESOLVE_H

#include "scope.h"

/* Writes the API path EXPR stands for into BUF and returns its length, or
 * returns 0 when it resolves to nothing the catalogue knows. */
size_t sst_resolve(const sst_analysis *an, scope *sc, snode expr, char *buf, size_t cap);

#endif
