#!/usr/bin/env bash
# Integration: pacing of the mirror (MIRROR_PACE_MS; docs/DESIGN.md, "Pacing").
#
# Another client writes 300 volume records, one transaction each, 20 ms apart (6 s), while
# np (MIRROR_PACE_MS=250) and n0 (MIRROR_PACE_MS=0) mirror them; the metrics of each count
# the children it re-read for child events and the events that waited.
#
# - Both converge: each lists every volume, the same list.
# - np listed /volumes at most once per 250 ms: its re-reads for child events are at most
#   (the time from the burst's start until it listed them all) / 250 ms + 2, fewer than
#   n0's (which re-reads at each event it gets), and some events waited.
# - An isolated change, more than 250 ms after the last, is read at once: no event waits.
#
# Env: ZKSWARMD, ZK_PORT (default 2219), METRICS_BASE (default 9396: np's, and n0's + 1).
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/lib.sh"
in_private_mount_ns "$@"

ZKSWARMD=${ZKSWARMD:-$top/build/zkswarmd}
ZK_PORT=${ZK_PORT:-2219}
MB=${METRICS_BASE:-9396}
SESSION_MS=10000
PACE=250
WRITES=300
ROOT=/zkswarm-it # daemon.sh's
T=$(mktemp -d /tmp/zkswarm-pacing.XXXXXX)
on_exit "rm -rf '$T'"
on_exit "$top/scripts/zk.sh stop '$T/zk' >/dev/null"
. "$top/tests/integration/daemon.sh"
on_exit "stop_node np KILL; stop_node n0 KILL"
now_ms() { date +%s%3N; }
# metric NODE NAME: its value in NODE's /metrics (np: port MB, n0: MB + 1)
metric() {
	local port=$MB
	[ "$1" = np ] || port=$((MB + 1))
	curl -sS --max-time 5 "http://127.0.0.1:$port/metrics" | awk -v m="$2" '$1 == m { print $2 }'
}
listed() { call "$1" VolumeDriver.List '{}' | jq -r '[.Volumes[].Name] | sort | join(" ")'; }
lists() { [ "$(call "$1" VolumeDriver.List '{}' | jq '.Volumes | length')" = "$2" ]; }
# write FIRST COUNT GAP_S: volume records p<FIRST>.. in the daemon's format (copied from
# `seed`), with their leases, one transaction each, GAP_S apart
write() {
	python3 - "$top/tests/faults" "127.0.0.1:$ZK_PORT" "$ROOT/volumes" "$@" <<-'PY'
	import json, sys, time
	sys.path.insert(0, sys.argv[1])
	import zkread
	v, first, count, gap = sys.argv[3], int(sys.argv[4]), int(sys.argv[5]), float(sys.argv[6])
	with zkread.ZkReader([sys.argv[2]], timeout=30.0) as zk:
	    rec = json.loads(zk.get(v + "/seed")[0])
	    for i in range(first, first + count):
	        rec["name"] = "p%d" % i
	        zk.multi([("create", "%s/p%d" % (v, i), json.dumps(rec).encode()),
	                  ("create", "%s/p%d/leases" % (v, i), b"")])
	        time.sleep(gap)
	PY
}

t_begin "setup"
assert_ok "ZooKeeper starts" env ZK_EXTRA_CFG=forceSync=no "$top/scripts/zk.sh" start "$T/zk" \
	--port "$ZK_PORT" --tick 500 || exit 1
assert_ok "np starts (MIRROR_PACE_MS=$PACE)" start_node np MIRROR_PACE_MS=$PACE \
	METRICS_ADDR=127.0.0.1:$MB || exit 1
assert_ok "n0 starts (MIRROR_PACE_MS=0)" start_node n0 MIRROR_PACE_MS=0 \
	METRICS_ADDR=127.0.0.1:$((MB + 1)) || exit 1
wait_until 30 "np creates the seed volume" call np VolumeDriver.Create '{"Name":"seed"}'
wait_until 30 "n0 lists it" lists n0 1
wait_until 10 "np's metrics answer" sh -c "curl -sf --max-time 5 http://127.0.0.1:$MB/metrics >/dev/null"

t_begin "a burst of $WRITES writes, 20 ms apart"
rp0=$(metric np zkswarm_mirror_child_reads_total) wp0=$(metric np zkswarm_mirror_paced_total)
r00=$(metric n0 zkswarm_mirror_child_reads_total)
t0=$(now_ms)
assert_ok "another client writes $WRITES volume records" write 1 "$WRITES" 0.02
wait_until 60 "np lists all $((WRITES + 1))" lists np $((WRITES + 1))
t1=$(now_ms)
wait_until 60 "n0 lists all $((WRITES + 1))" lists n0 $((WRITES + 1))
assert_eq "$(listed np)" "$(listed n0)" "np and n0 list the same volumes"
rp=$(($(metric np zkswarm_mirror_child_reads_total) - rp0))
wp=$(($(metric np zkswarm_mirror_paced_total) - wp0))
r0=$(($(metric n0 zkswarm_mirror_child_reads_total) - r00))
bound=$(((t1 - t0) / PACE + 2))
echo "    np: $rp re-reads for child events ($wp events waited) in $((t1 - t0)) ms; n0: $r0"
assert_ok "np re-read children at most once per $PACE ms ($rp <= $bound)" test "$rp" -le "$bound"
assert_ok "np re-read fewer than n0 ($rp < $r0)" test "$rp" -lt "$r0"
assert_ok "some of np's events waited ($wp)" test "$wp" -ge 1
assert_eq "$(metric n0 zkswarm_mirror_paced_total)" 0 "n0 (pace 0) never waits"

t_begin "an isolated change"
# np's last re-read of /volumes began before t1, when it listed the burst's last record;
# nothing has changed under /volumes since.
t_quiet=$((t1 + 2 * PACE))
for _ in $(seq 100); do [ "$(now_ms)" -gt "$t_quiet" ] && break; sleep 0.05; done
wp1=$(metric np zkswarm_mirror_paced_total)
assert_ok "another client writes one more record" write $((WRITES + 1)) 1 0
wait_until 30 "np lists it" lists np $((WRITES + 2))
assert_eq "$(metric np zkswarm_mirror_paced_total)" "$wp1" "it was read at once: no event waited"

check_sanitizer_logs
t_summary
