#!/usr/bin/env bash
# make-plugin.sh - assemble the managed plugin bundle: DIR/config.json and
# DIR/rootfs (the skeleton in rootfs/, the daemon, the tools it runs, and every
# shared library they load, found with ldd), ready for `docker plugin create NAME DIR`.
#
# Tools: mke2fs (e2fsprogs), which makes image volumes' filesystems, with its
# /etc/mke2fs.conf.
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
# The tools at their own paths (the daemon runs them by absolute path: fs.h ZKS_MKFS).
tools=(/usr/sbin/mke2fs)
for t in "${tools[@]}"; do
	[ -x "$t" ] || { echo "make-plugin: $t missing (apt-get install e2fsprogs)" >&2; exit 1; }
	cp -L --parents "$t" "$out/rootfs/"
done
cp -L --parents /etc/mke2fs.conf "$out/rootfs/"
# The loader and each library, at the path the binary or a tool asks for.
for b in "$bin" "${tools[@]}"; do ldd "$b"; done |
	awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }' | sort -u |
	while read -r lib; do
		cp -L --parents "$lib" "$out/rootfs/"
	done
cp "$top/config.json" "$out/config.json"
echo "make-plugin: $out ($(du -sh "$out/rootfs" | cut -f1) rootfs, $(find "$out/rootfs" -name '*.so*' | wc -l) libraries)"
