#!/usr/bin/env bash
# tests/fuzz/make-corpus.sh - build fuzz_request's seed corpus from seeds.txt.
#
# Usage: tests/fuzz/make-corpus.sh [OUT_DIR]   (default tests/fuzz/corpus)
#
# Each line of seeds.txt, `[down:][b:]ENDPOINT BODY`, becomes one file: a
# selector byte, then BODY and Go's trailing newline (nothing for an empty
# body).  The selector is what fuzz_request.c reads: route index + node * N
# (+ 6 * N with the store down), N the number of routes and the route index
# ENDPOINT's position in zks_routes (src/api/routes.c, read here in table
# order).  Rerun it after changing the route table.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
out=${1:-$here/corpus}

mapfile -t routes < <(grep -o '^[[:space:]]*{"/[A-Za-z.]*"' "$top/src/api/routes.c" | sed 's/.*"\/\(.*\)"/\1/')
[ "${#routes[@]}" -gt 0 ] || { echo "make-corpus: no routes found in src/api/routes.c" >&2; exit 1; }
index_of() {
	local i
	for i in "${!routes[@]}"; do [ "${routes[i]}" = "$1" ] && { echo "$i"; return 0; }; done
	return 1
}

mkdir -p "$out"
rm -f "$out"/seed-*
n=0
while IFS= read -r line || [ -n "$line" ]; do
	case "$line" in '' | '#'*) continue ;; esac
	node=0 down=0
	case "$line" in down:*) down=1 line=${line#down:} ;; esac
	case "$line" in b:*) node=1 line=${line#b:} ;; esac
	ep=${line%% *}
	body=""
	[ "$ep" = "$line" ] || body=${line#* }
	idx=$(index_of "$ep") || { echo "make-corpus: unknown endpoint $ep" >&2; exit 1; }
	sel=$((idx + node * ${#routes[@]} + down * 6 * ${#routes[@]}))
	[ "$sel" -le 255 ] || { echo "make-corpus: too many routes for the selector byte" >&2; exit 1; }
	n=$((n + 1))
	file=$(printf '%s/seed-%03d-%s' "$out" "$n" "$ep")
	{
		printf "\\$(printf '%03o' "$sel")"
		[ -z "$body" ] || printf '%s\n' "$body"
	} >"$file"
done <"$here/seeds.txt"
echo "make-corpus: $n seeds in $out (${#routes[@]} routes)"
