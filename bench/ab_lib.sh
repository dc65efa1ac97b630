#!/usr/bin/env bash
# bench/ab_lib.sh - what the benchmarks that start their own daemons (bench/writes_ab.sh,
# bench/cold_ab.sh, bench/sweep.sh) share: their checks, their temporary directory and its
# cleanup at exit (the daemon they run, by its pid in D_PID, and their ZooKeeper in $W/zk),
# starting and stopping a daemon and waiting for its log, the clock, a process's CPU time and
# the medians of their tables.  Sourced, not run.

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
	[ -z "$D_PID" ] || ab_stop "$D_PID"
	scripts/zk.sh stop "$W/zk" >/dev/null 2>&1 || true
	rm -rf "$W"
}

now_ms() { date +%s%3N; }

# ab_daemon BIN DIR NODE ROOT [ENV...]: zkswarmd BIN as node NODE under ROOT of the ZooKeeper at
# 127.0.0.1:$PORT, its socket (DIR/s.sock), data, mounts and state in DIR (emptied first) and
# its log in DIR/log; its pid in D_PID
ab_daemon() {
	local bin=$1 dir=$2 node=$3 root=$4
	shift 4
	rm -rf "$dir"
	mkdir -p "$dir"
	env ZK_HOSTS="127.0.0.1:$PORT" ZK_ROOT="$root" NODE_ID="$node" SOCKET="$dir/s.sock" \
		DATA_DIR="$dir/data" MOUNT_ROOT="$dir/mnt" STATE_DIR="$dir/st" REAPER_GRACE_MS=3600000 \
		LOG_LEVEL=info "$@" "$bin" >"$dir/log" 2>&1 &
	D_PID=$!
}

# ab_stop PID: stop a daemon and reap it (its exit status, 143 when killed, is not a failure)
ab_stop() {
	kill "$1" 2>/dev/null || true
	wait "$1" 2>/dev/null || true
}

# ab_logged_within FILE ERE MS: wait (bounded) for a line of FILE matching ERE; 1, with the
# file's tail on stderr, if none came in time
ab_logged_within() {
	local deadline=$(($(now_ms) + $3))
	until grep -Eq "$2" "$1" 2>/dev/null; do
		[ "$(now_ms)" -lt "$deadline" ] || { tail -5 "$1" >&2; return 1; }
		sleep 0.02
	done
}

# ab_synced_ms LOG: the ms a daemon's `mirror: synced ... in N ms` line gives
ab_synced_ms() { sed -n 's/.*mirror: synced .* in \([0-9]*\) ms.*/\1/p' "$1" | head -n1; }

# ab_order ROUND: the daemons to run in that round, in order: A first in odd rounds, B first
# in even ones (A alone without B).  The daemon that ran first in every round was the slower
# (writes_ab, one connection, 5 rounds, two builds either way round: 593 and 500 pairs/s
# first, 646 and 620 second; BENCHMARKS.md), so each takes both places; an even
# WRITES_ROUNDS or COLD_ROUNDS gives each the first place as often.
ab_order() {
	if [ -z "${B:-}" ]; then
		echo A
	elif [ $(($1 % 2)) = 1 ]; then
		echo A B
	else
		echo B A
	fi
}

# ab_med SELECT FIELD [SCALE]: the median of FIELD over the rows of $W/results that SELECT (a
# jq condition) picks, rounded to 1/SCALE when SCALE is given; "-" when no row has it.
ab_med() {
	jq -rs --argjson k "${3:-0}" "[.[] | select($1) | .$2] | sort | .[(length - 1) / 2 | floor] // null |
		if . == null then \"-\" elif \$k > 0 then (. * \$k | round / \$k) else . end" "$W/results"
}

# ab_all SELECT FIELD [SCALE]: FIELD of each row SELECT picks, comma-separated, rounded as ab_med.
ab_all() {
	jq -rs --argjson k "${3:-0}" "[.[] | select($1) | .$2 |
		if \$k > 0 then (. * \$k | round / \$k) else . end] | map(tostring) | join(\", \")" "$W/results"
}

cpu_ms() { # a process's user and system time in ms, its exited threads' included
	awk -v hz="$(getconf CLK_TCK)" '{ sub(/^.*\) /, ""); print ($12 + $13) * 1000 / hz }' "/proc/$1/stat"
}
