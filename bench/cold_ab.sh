#!/usr/bin/env bash
# bench/cold_ab.sh - cold starts with many volumes, two daemons side by side, against the floor
# of their reads: interleaved rounds on one standalone ZooKeeper (scripts/zk.sh) holding
# COLD_VOLUMES volume records (`zkraw fill-volumes`, the daemon's format: COLD_LAYOUT 2, the
# record alone, as layout 2 leaves a volume nothing mounts; 1, each with its `leases` parent,
# as daemons of layout 1 made them), each round running daemon A, daemon B (if given; A first in odd rounds,
# B in even ones: ab_order) and `zkraw read-volumes`
# with 3 (layout 1 only), 2 and 1 watched reads per volume (pipelined, 512 in flight, on a new session: the
# reads of a cold start with each layout, and nothing else), so that the machine's drift
# between rounds falls on all alike.
#
# Per round: a daemon's cold start (an empty state directory) from exec until its log says
# `mirror: synced`, the time that line gives, its CPU and ZooKeeper's over the start; zkraw's
# wall time and ZooKeeper's CPU.  Prints a markdown table (medians over the rounds, and each
# round's figures).
#
# Usage: bench/cold_ab.sh      (make all bench-tools first)
# Env: COLD_A (default build/zkswarmd), COLD_B (a second daemon, e.g. an older build; default
#      none), COLD_ROUNDS (3), COLD_VOLUMES (10000), COLD_LAYOUT (2), COLD_ZK_PORT (2399).
# Everything it starts (ZooKeeper, daemons) is stopped by pid at exit.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
A=${COLD_A:-$top/build/zkswarmd}
B=${COLD_B:-}
ROUNDS=${COLD_ROUNDS:-3}
N=${COLD_VOLUMES:-10000}
LAYOUT=${COLD_LAYOUT:-2}
RAWS="2 1" # watched reads per volume zkraw makes; layout 2's records have no `leases` to read
[ "$LAYOUT" = 2 ] || RAWS="3 2 1"
PORT=${COLD_ZK_PORT:-2399}
ZKRAW=$top/build/bench/zkraw
ROOT=/zkcold
# shellcheck source=bench/ab_lib.sh
. "$top/bench/ab_lib.sh"
ab_setup cold_ab "$A" ${B:+"$B"} "$ZKRAW"
scripts/zk.sh start "$W/zk" --port "$PORT" --tick 500 >/dev/null
ZK_PID=$(cat "$W/zk/pid")
# The skeleton, made by a daemon, then the records, written straight into ZooKeeper.
ab_daemon "$A" "$W/st0" n1 "$ROOT"
ab_logged_within "$W/st0/log" 'mirror: synced' 30000
ab_stop "$D_PID"
D_PID=""
"$ZKRAW" -z "127.0.0.1:$PORT" -c 256 -n "$N" --layout "$LAYOUT" fill-volumes "$ROOT" n0 >/dev/null
DATE_START=$(date -u '+%Y-%m-%d %H:%M:%S UTC')
: >"$W/results"
for round in $(seq "$ROUNDS"); do
	for which in $(ab_order "$round") $RAWS; do
		z0=$(cpu_ms "$ZK_PID") t0=$(now_ms)
		case $which in
		A | B)
			bin=$A
			[ "$which" = A ] || bin=$B
			ab_daemon "$bin" "$W/st" n1 "$ROOT"
			ab_logged_within "$W/st/log" 'mirror: synced' 120000
			t1=$(now_ms) z1=$(cpu_ms "$ZK_PID") d=$(cpu_ms "$D_PID")
			logged=$(ab_synced_ms "$W/st/log")
			ab_stop "$D_PID"
			D_PID=""
			;;
		*)
			"$ZKRAW" -z "127.0.0.1:$PORT" -c 512 -n "$N" read-volumes "$ROOT" "$which" >/dev/null
			t1=$(now_ms) z1=$(cpu_ms "$ZK_PID") d=0 logged=0
			;;
		esac
		jq -nc --arg w "$which" --argjson r "$round" --argjson ms $((t1 - t0)) \
			--argjson log "${logged:-0}" --argjson d "$d" \
			--argjson z "$(awk -v a="$z0" -v b="$z1" 'BEGIN { print b - a }')" \
			'{who: $w, round: $r, ms: $ms, log_ms: $log, daemon_cpu_ms: $d, zk_cpu_ms: $z}' >>"$W/results"
	done
done
DATE_END=$(date -u '+%Y-%m-%d %H:%M:%S UTC')

med() { ab_med ".who == \"$1\"" "$2"; }
all() { ab_all ".who == \"$1\"" "$2"; }
echo "| what | until synced ms (median; each round) | by the daemon's log ms | daemon CPU ms | ZooKeeper CPU ms (median; each round) |"
echo "|---|---|---:|---:|---|"
for which in A ${B:+B}; do
	echo "| daemon $which | $(med "$which" ms) ($(all "$which" ms)) | $(med "$which" log_ms) | $(med "$which" daemon_cpu_ms) | $(med "$which" zk_cpu_ms) ($(all "$which" zk_cpu_ms)) |"
done
for k in $RAWS; do
	echo "| raw, $k watched read$([ "$k" = 1 ] || echo s) per volume | $(med "$k" ms) ($(all "$k" ms)) | - | - | $(med "$k" zk_cpu_ms) ($(all "$k" zk_cpu_ms)) |"
done
echo
echo "\`bench/cold_ab.sh\` (COLD_ROUNDS=$ROUNDS COLD_VOLUMES=$N COLD_LAYOUT=$LAYOUT), A: $A${B:+, B: $B}; $DATE_START to $DATE_END; load average $(cut -d' ' -f1-3 /proc/loadavg) at the end"
