#!/usr/bin/env bash
# bench/ab_lib.sh - what the side-by-side benchmarks (bench/writes_ab.sh, bench/cold_ab.sh)
# share: their checks, their temporary directory and its cleanup at exit (the daemon they
# run, by its pid in D_PID, and their ZooKeeper in $W/zk), the clock and a process's CPU
# time.  Sourced, not run.

# ab_setup NAME EXECUTABLE...: each must be there; makes W (/tmp/zkswarm-NAME.*) and D_PID.
ab_setup() {
	local name=$1 f
	shift
	for f in "$@"; do
		[ -x "$f" ] || { echo "$name: $f is missing (make all bench-tools)" >&2; exit 2; }
	done
	W=$(mktemp -d "/tmp/zkswarm-$name.XXXXXX")
	D_PID=""
	trap ab_cleanup EXIT
}

ab_cleanup() {
	[ -z "$D_PID" ] || { kill "$D_PID" 2>/dev/null; wait "$D_PID" 2>/dev/null; }
	scripts/zk.sh stop "$W/zk" >/dev/null 2>&1 || true
	rm -rf "$W"
}

now_ms() { date +%s%3N; }

cpu_ms() { # a process's user and system time in ms, its exited threads' included
	awk -v hz="$(getconf CLK_TCK)" '{ sub(/^.*\) /, ""); print ($12 + $13) * 1000 / hz }' "/proc/$1/stat"
}
