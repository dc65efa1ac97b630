#!/usr/bin/env bash
# bench/writes_ab.sh - one daemon's volume writes against raw ZooKeeper, two daemons side by
# side: interleaved rounds on one standalone ZooKeeper (scripts/zk.sh, forceSync default),
# each round running daemon A, daemon B (if given; A first in odd rounds, B in even ones:
# ab_order) and raw `zkraw multipair` (the same two transactions per pair the daemon makes)
# at each concurrency, so that the machine's drift between rounds falls on all three alike.
#
# Per round, daemon and concurrency: Create+Remove pairs per second (build/bench/loadgen,
# WRITES_SECS measured after a 1 s warm-up) and ZooKeeper's requests per pair (mntr
# zk_packets_received over the whole run, warm-up included, over the pairs made); per round
# and concurrency: raw pairs per second.  Also the daemon's CPU per pair (user and system time
# of all its threads, /proc/PID/stat, over the whole run as the requests are), and how many
# of the machine's cores each process kept busy over the run (its CPU time over the run's
# wall time): the daemon, ZooKeeper and loadgen; ZooKeeper and zkraw for the raw pairs.
# They all share the machine's cores.  Prints a markdown table (medians over the rounds,
# and each round's figures).
#
# Usage: bench/writes_ab.sh      (make bench-tools and build/zkswarmd first)
# Env: WRITES_A (default build/zkswarmd), WRITES_B (a second daemon, e.g. an older build;
#      default none), WRITES_ENV (extra settings for both daemons, e.g. "MIRROR_PACE_MS=0"),
#      WRITES_ROUNDS (3), WRITES_CONNS ("1 8 64"), WRITES_SECS (4), WRITES_ZK_PORT (2395),
#      WRITES_PIN=1 (ZooKeeper's threads on CPU 0, everything else this script starts on CPU 1:
#      the daemon with its load generator, and zkraw, each against a server with a core of its
#      own, as on a cluster whose ensemble runs on other machines; default 0: all share).
# Everything it starts (ZooKeeper, daemons) is stopped by pid at exit.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
A=${WRITES_A:-$top/build/zkswarmd}
B=${WRITES_B:-}
ROUNDS=${WRITES_ROUNDS:-3}
CONNS=${WRITES_CONNS:-1 8 64}
SECS=${WRITES_SECS:-4}
PORT=${WRITES_ZK_PORT:-2395}
LOADGEN=$top/build/bench/loadgen
ZKRAW=$top/build/bench/zkraw
# shellcheck source=bench/ab_lib.sh
. "$top/bench/ab_lib.sh"
ab_setup writes_ab "$A" ${B:+"$B"} "$LOADGEN" "$ZKRAW"
packets() { # ZooKeeper's zk_packets_received; fails (set -e: the run stops) without an answer
	local v
	v=$(scripts/zk.sh mntr "$PORT" zk_packets_received)
	[ -n "$v" ] || { echo "writes_ab: no mntr answer from ZooKeeper on port $PORT" >&2; return 1; }
	echo "$v"
}

scripts/zk.sh start "$W/zk" --port "$PORT" --tick 500 >/dev/null
ZK_PID=$(cat "$W/zk/pid")
PIN=${WRITES_PIN:-0}
if [ "$PIN" = 1 ]; then # the server's threads on CPU 0; this shell, so all it starts from now, on CPU 1
	taskset -a -p -c 0 "$ZK_PID" >/dev/null
	taskset -p -c 1 $$ >/dev/null
fi
since() { awk -v a="$1" -v b="$2" 'BEGIN { print b - a }'; } # since A B: B - A (CPU ms, fractional)
DATE_START=$(date -u '+%Y-%m-%d %H:%M:%S UTC')
: >"$W/results"
for round in $(seq "$ROUNDS"); do
	for which in $(ab_order "$round"); do
		bin=$A
		[ "$which" = A ] || bin=$B
		st=$W/st-$which-$round
		# shellcheck disable=SC2086  # WRITES_ENV: words on purpose
		ab_daemon "$bin" "$st" n1 "/zkw-$which" ${WRITES_ENV:-}
		ab_logged_within "$st/log" 'mirror: synced' 30000
		for c in $CONNS; do
			k0=$(packets) u0=$(cpu_ms "$D_PID") z0=$(cpu_ms "$ZK_PID") t0=$(now_ms)
			out=$("$LOADGEN" -S "$st/s.sock" -c "$c" -d $((SECS + 1)) -w 1 --json \
				--tag "$which$round-$c" 'VolumeDriver.Create {"Name":"w%s-%d"}' \
				'VolumeDriver.Remove {"Name":"w%s-%d"}')
			k1=$(packets) u1=$(cpu_ms "$D_PID") z1=$(cpu_ms "$ZK_PID") t1=$(now_ms)
			jq -c --arg w "$which" --argjson r "$round" --argjson c "$c" --argjson k $((k1 - k0)) \
				--argjson u "$(since "$u0" "$u1")" \
				--argjson z "$(since "$z0" "$z1")" --argjson t $((t1 - t0)) \
				'(.requests_total / 2) as $p | {who: $w, round: $r, c: $c, pairs_s: .iter_per_s,
				  per_pair: ($k / $p), cpu_us_per_pair: ($u * 1000 / $p),
				  cores: ($u / $t), zk_cores: ($z / $t), tool_cores: (.loadgen_cpu_s * 1000 / $t)}' \
				<<<"$out" >>"$W/results"
		done
		ab_stop "$D_PID"
		D_PID=""
	done
	for c in $CONNS; do
		z0=$(cpu_ms "$ZK_PID") t0=$(now_ms)
		out=$("$ZKRAW" -z "127.0.0.1:$PORT" -c "$c" -d $((SECS + 1)) -w 1 --json multipair "/zkraw-$round-$c-")
		z1=$(cpu_ms "$ZK_PID") t1=$(now_ms)
		jq -c --argjson r "$round" --argjson c "$c" --argjson t $((t1 - t0)) \
			--argjson z "$(since "$z0" "$z1")" \
			'{who: "raw", round: $r, c: $c, pairs_s: .iter_per_s, zk_cores: ($z / $t),
			  tool_cores: (.cpu_s * 1000 / $t)}' <<<"$out" >>"$W/results"
	done
done
DATE_END=$(date -u '+%Y-%m-%d %H:%M:%S UTC')

med() { ab_med ".who == \"$1\" and .c == $2" "$3" 100; }
all() { ab_all ".who == \"$1\" and .c == $2" "$3" 10; }
echo "| daemon | conns | pairs/s (median; each round) | ZK requests per pair | daemon CPU µs per pair | cores busy: daemon / ZooKeeper / loadgen | raw pairs/s (median; each round) | cores busy: ZooKeeper / zkraw | ratio of medians |"
echo "|---|---:|---|---:|---:|---|---|---|---:|"
for which in A ${B:+B}; do
	for c in $CONNS; do
		d=$(med "$which" "$c" pairs_s) r=$(med raw "$c" pairs_s)
		echo "| $which | $c | $d ($(all "$which" "$c" pairs_s)) | $(med "$which" "$c" per_pair) | $(med "$which" "$c" cpu_us_per_pair | cut -d. -f1) | $(med "$which" "$c" cores) / $(med "$which" "$c" zk_cores) / $(med "$which" "$c" tool_cores) | $r ($(all raw "$c" pairs_s)) | $(med raw "$c" zk_cores) / $(med raw "$c" tool_cores) | $(awk -v d="$d" -v r="$r" 'BEGIN { printf "%.2f", d / r }') |"
	done
done
echo
echo "\`bench/writes_ab.sh\` (WRITES_ROUNDS=$ROUNDS WRITES_SECS=$SECS WRITES_PIN=$PIN${WRITES_ENV:+ WRITES_ENV=\"$WRITES_ENV\"}), A: $A${B:+, B: $B}; $DATE_START to $DATE_END; load average $(cut -d' ' -f1-3 /proc/loadavg) at the end"
