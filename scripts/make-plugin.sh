#!/usr/bin/env bash
# make-plugin.sh - assemble the managed plugin bundle: DIR/config.json and
# DIR/rootfs (the skeleton in rootfs/, the daemon, and every shared library
# it loads, found with ldd), ready for `docker plugin create NAME DIR`.
#
# Usage: scripts/make-plugin.sh BINARY DIR
set -euo pipefail

if [[ $# -ne 2 || $1 == --help ]]; then
	echo "usage: $0 BINARY DIR" >&2
	exit 2
fi
bin=$1 out=$2
top=$(cd "$(dirname "$0")/.." && pwd)

rm -rf "$out"
mkdir -p "$out/rootfs"
cp -a "$top/rootfs/." "$out/rootfs/"
find "$out/rootfs" -name .keep -delete
install -D -m 0755 "$bin" "$out/rootfs/usr/bin/zkswarmd"
# The loader and each library, at the path the binary asks for.
ldd "$bin" | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }' | sort -u |
	while read -r lib; do
		cp -L --parents "$lib" "$out/rootfs/"
	done
cp "$top/config.json" "$out/config.json"
echo "make-plugin: $out ($(du -sh "$out/rootfs" | cut -f1) rootfs, $(find "$out/rootfs" -name '*.so*' | wc -l) libraries)"
