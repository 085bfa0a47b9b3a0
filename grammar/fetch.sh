#!/bin/sh
# Fetches the pinned tree-sitter-python tarball with `npm pack`, checks its
# sha512 integrity against grammar/tree-sitter-python.pin and unpacks it into
# DEST. A tarball already in DEST that matches the pin is reused (offline rebuilds).
# Usage: fetch.sh PINFILE DEST     (SST_GRAMMAR_TARBALL=path uses a local tarball)
set -eu
pin=$1 dest=$2
value() { sed -n "s/^$1=//p" "$pin"; }
name=$(value name) version=$(value version) want=$(value integrity)
[ -n "$name" ] && [ -n "$version" ] && [ -n "$want" ] || { echo "grammar: $pin lacks name, version or integrity" >&2; exit 1; }
tarball="$dest/$name-$version.tgz"
integrity() {
    /usr/bin/python3 -c 'import base64,hashlib,sys
print("sha512-" + base64.b64encode(hashlib.sha512(open(sys.argv[1], "rb").read()).digest()).decode())' "$1"
}
mkdir -p "$dest"
if [ -f "$tarball" ] && [ "$(integrity "$tarball")" = "$want" ] && [ -f "$dest/package/src/parser.c" ]; then
    exit 0
fi
rm -rf "$dest/package" "$tarball"
if [ -n "${SST_GRAMMAR_TARBALL:-}" ]; then
    cp "$SST_GRAMMAR_TARBALL" "$tarball" || { echo "grammar: cannot read SST_GRAMMAR_TARBALL=$SST_GRAMMAR_TARBALL" >&2; exit 1; }
else
    command -v npm >/dev/null || { echo "grammar: npm is needed to fetch $name@$version (apt-get install npm)" >&2; exit 1; }
    (cd "$dest" && npm pack --silent "$name@$version" >/dev/null 2>"$dest/npm.log") || {
        echo "grammar: 'npm pack $name@$version' failed; see $dest/npm.log" >&2; exit 1; }
fi
[ -f "$tarball" ] || { echo "grammar: npm did not produce $tarball" >&2; exit 1; }
got=$(integrity "$tarball")
if [ "$got" != "$want" ]; then
    rm -f "$tarball"
    echo "grammar: $name-$version.tgz has integrity $got, expected $want (from $pin); refusing to build with it" >&2
    exit 1
fi
tar -xzf "$tarball" -C "$dest" package/src package/LICENSE
grep -q '^#define LANGUAGE_VERSION 14$' "$dest/package/src/parser.c" || {
    echo "grammar: $name-$version parser.c is not parser ABI 14" >&2; exit 1; }
