/* Content hashes of the manifest: XXH3-64 (libxxhash), written as 16
 * lowercase hex digits. */
#include <xxhash.h>

#include "cli.h"

uint64_t sst_hash_bytes(const void *bytes, size_t len)
{
    return (uint64_t)XXH3_64bits(bytes, len);
}

void sst_hash_hex(char hex[17], uint64_t hash)
{
    static const char digits[] = "0123456789abcdef";
    for (int i = 15; i >= 0; i--) {
        hex[i] = digits[hash & 15];
        hash >>= 4;
    }
    hex[16] = '\0';
}

int sst_hash_parse(uint64_t *out, const char *hex)
{
    uint64_t value = 0;
    for (int i = 0; i < 16; i++) {
        char c = hex[i];
        unsigned d;
        if (c >= '0' && c <= '9') d = (unsigned)(c - '0');
        else if (c >= 'a' && c <= 'f') d = (unsigned)(c - 'a' + 10);
        else return SST_EINVAL;
        value = value << 4 | d;
    }
    if (hex[16] != '\0') return SST_EINVAL;
    *out = value;
    return 0;
}
