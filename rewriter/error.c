/* The caller-owned error record and the printable names of the public enums. */
#include <sst/rewrite.h>

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void sst_error_set(sst_error *err, int code, const char *path, unsigned line, const char *fmt, ...)
{
    if (!err) return;
    err->code = code;
    snprintf(err->path, sizeof err->path, "%s", path ? path : "");
    err->line = line;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->message, sizeof err->message, fmt, ap);
    va_end(ap);
}

const char *sst_kind_name(sst_kind kind)
{
    static const char *const names[] = {"external", "store", "source", "returns", "log", "config"};
    return (unsigned)kind < sizeof names / sizeof *names ? names[kind] : "?";
}

const char *sst_status_name(sst_status status)
{
    static const char *const names[] = {"instrumented", "unchanged", "already", "unparseable"};
    return (unsigned)status < sizeof names / sizeof *names ? names[status] : "?";
}

const char *sst_site_kind_name(sst_site_kind kind)
{
    static const char *const names[] = {"external", "store", "source", "params", "flow", "prologue", "log", "config"};
    return (unsigned)kind < sizeof names / sizeof *names ? names[kind] : "?";
}

const char *sst_category_name(unsigned index)
{
    static const char *const names[SST_CAT_COUNT] = {
        "email", "phone", "name", "address", "birth_date", "government_id",
        "financial", "health", "credentials", "location", "network_id", "user_text"};
    return index < SST_CAT_COUNT ? names[index] : NULL;
}
