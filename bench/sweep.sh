#!/usr/bin/env bash
# bench/sweep.sh - an upgraded cluster's empty `leases` deleted by the reaper's leader
# (docs/DESIGN.md, "A record without children"), and what that gives a cold start.
#
# One standalone ZooKeeper (scripts/zk.sh) holding SWEEP_VOLUMES volume records as daemons of
# layout 1 made them (each with its empty `leases`: `zkraw --layout 1 fill-volumes`), and a
# registration of a layout-1 node that holds the sweep back while the daemons start.  Then:
#   1. n1 starts cold (an empty state directory): until its log says `mirror: synced`;
#   2. n2 starts (a mirror, with metrics);
#   3. the layout-1 registration goes: the leader (n1) sweeps until it logs `none left`; the
#      sweep's time, n2's mirror reads meanwhile (zkswarm_mirror_reads_total), ZooKeeper's
#      CPU and its watch count (mntr zk_watch_count) before and after;
#   4. n3 starts cold on the swept records, and n1 again (its state directory emptied).
# Prints a markdown table.
#
# Usage: bench/sweep.sh      (make all bench-tools first)
# Env: SWEEP_DAEMON (default build/zkswarmd), SWEEP_VOLUMES (10000), SWEEP_ZK_PORT (2398),
#      SWEEP_METRICS_PORT (2396).
# Everything it starts (ZooKeeper, daemons) is stopped by pid at exit.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
BIN=${SWEEP_DAEMON:-$top/build/zkswarmd}
N=${SWEEP_VOLUMES:-10000}
PORT=${SWEEP_ZK_PORT:-2398}
MPORT=${SWEEP_METRICS_PORT:-2396}
ZKRAW=$top/build/bench/zkraw
ROOT=/zksweep
# shellcheck source=bench/ab_lib.sh
. "$top/bench/ab_lib.sh"
ab_setup sweep "$BIN" "$ZKRAW"
PIDS=()
sweep_cleanup() {
	local p
	for p in "${PIDS[@]}"; do
		ab_stop "$p"
	done
	ab_cleanup
}
trap sweep_cleanup EXIT

# start NODE [ENV...]: a daemon in $W/NODE (ab_daemon); its pid in PID_<NODE>
start() {
	local node=$1
	shift
	ab_daemon "$BIN" "$W/$node" "$node" "$ROOT" "$@"
	PIDS+=("$D_PID")
	printf -v "PID_$node" %s "$D_PID"
	D_PID=""
}
stop() {
	local pid_var="PID_$1"
	ab_stop "${!pid_var}"
}
# cold NODE: a cold start; COLD_MS until synced by the clock, COLD_LOG by its log
cold() {
	local t0
	t0=$(now_ms)
	start "$1"
	ab_logged_within "$W/$1/log" 'mirror: synced' 120000
	COLD_MS=$(($(now_ms) - t0)) COLD_LOG=$(ab_synced_ms "$W/$1/log")
}
zk_multi() { # zk_multi JSON: one transaction of ["create", PATH, DATA] / ["delete", PATH]
	python3 "$top/tests/faults/zkread.py" "127.0.0.1:$PORT" --root "$ROOT" multi "$1"
}
watches() { scripts/zk.sh mntr "$PORT" zk_watch_count; }
reads() { curl -sS --max-time 5 "http://127.0.0.1:$MPORT/metrics" | awk '$1 == "zkswarm_mirror_reads_total" { print $2 }'; }

scripts/zk.sh start "$W/zk" --port "$PORT" --tick 500 >/dev/null
ZK_PID=$(cat "$W/zk/pid")
# The skeleton, made by a daemon, then the records and the layout-1 node, straight into ZooKeeper.
start n0
ab_logged_within "$W/n0/log" 'mirror: synced' 30000
stop n0
"$ZKRAW" -z "127.0.0.1:$PORT" -c 256 -n "$N" --layout 1 fill-volumes "$ROOT" n0 >/dev/null
zk_multi '[["create","/nodes/layout1","{\"address\":\"\"}"]]'
DATE_START=$(date -u '+%Y-%m-%d %H:%M:%S UTC')

cold n1
before=$COLD_MS before_log=$COLD_LOG
start n2 METRICS_ADDR="127.0.0.1:$MPORT"
ab_logged_within "$W/n2/log" 'mirror: synced' 120000
w0=$(watches) r0=$(reads) z0=$(cpu_ms "$ZK_PID") t0=$(now_ms)
zk_multi '[["delete","/nodes/layout1"]]'
ab_logged_within "$W/n1/log" 'empty `leases` deleted; none left' $((N * 1000 / 20 + 60000))
t1=$(now_ms) z1=$(cpu_ms "$ZK_PID") r1=$(reads)
# The count once steady: the deletions' watch events may still be on their way to n2.
w1=$(watches)
for _ in $(seq 50); do
	sleep 0.2
	w=$(watches)
	[ "$w" != "$w1" ] || break
	w1=$w
done
left=$(python3 - "$top/tests/faults" "127.0.0.1:$PORT" "$ROOT" <<'EOF'
import sys
sys.path.insert(0, sys.argv[1])
import zkread
with zkread.ZkReader([sys.argv[2]], timeout=30.0) as z:
    v = sys.argv[3] + "/volumes"
    print(sum(1 for n in z.get_children(v) if z.get(v + "/" + n)[1]["numChildren"] > 0))
EOF
)
cold n3
after=$COLD_MS after_log=$COLD_LOG
stop n1
cold n1
again=$COLD_MS again_log=$COLD_LOG
DATE_END=$(date -u '+%Y-%m-%d %H:%M:%S UTC')

sweep_ms=$((t1 - t0))
echo "| what | figure |"
echo "|---|---|"
echo "| cold start on $N layout-1 records (n1), until synced | $before ms (log: $before_log ms) |"
echo "| the sweep, from the layout-1 node's leaving to \`none left\` | $sweep_ms ms ($(awk -v n="$N" -v ms="$sweep_ms" 'BEGIN { printf "%.1f", n * 1000 / ms }') \`leases\`/s) |"
echo "| records left with a child | $left |"
echo "| n2's mirror reads during the sweep | $((r1 - r0)) |"
echo "| ZooKeeper CPU during the sweep | $(awk -v a="$z0" -v b="$z1" 'BEGIN { print b - a }') ms |"
echo "| ZooKeeper's watches (n1 and n2), before / after | $w0 / $w1 |"
echo "| cold start after the sweep (n3), until synced | $after ms (log: $after_log ms) |"
echo "| cold start after the sweep (n1 again), until synced | $again ms (log: $again_log ms) |"
echo
echo "\`bench/sweep.sh\` (SWEEP_VOLUMES=$N), daemon $BIN ($(git describe --always --dirty)); $DATE_START to $DATE_END; load average $(cut -d' ' -f1-3 /proc/loadavg) at the end"
