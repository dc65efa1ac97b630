#!/usr/bin/env bash
# Integration: pacing of the mirror (MIRROR_PACE_MS; docs/DESIGN.md, "Pacing").
#
# Another client writes 300 volume records, one transaction each, 20 ms apart (6 s), while
# three daemons mirror them: np (MIRROR_PACE_MS=250, MIRROR_PACE_MAX_MS=2000: the pace grows
# while the burst goes on), nf (250 and 250: it stays) and n0 (MIRROR_PACE_MS=0); the metrics
# of each count the children it re-read for child events and the events that waited.
#
# - All converge: each lists every volume, the same list.
# - np and nf listed /volumes at most once per 250 ms: their re-reads for child events are at
#   most (the time from the burst's start until each listed them all) / 250 ms + 2; nf's are
#   fewer than n0's (which re-reads at each event it gets), and some events waited.
# - np's pace grew: it re-read fewer times than nf.
# - Two isolated changes, the first more than np's longest pace after the burst, the second
#   1 s after the first: both read at once (the quiet set np's pace back to 250): no event
#   waits.
# - np's own writes: with nf and n0 stopped, np creates and removes 200 volumes one after
#   another on one connection, and ZooKeeper receives at most 2.25 requests per pair: the
#   two writes, and few re-reads (the re-read of a volume np made is skipped once np's
#   delete of it is acknowledged: 2.03 per pair measured, 2.58 before).
#
# Env: ZKSWARMD, ZK_PORT (default 2219), METRICS_BASE (default 9396: np's; nf's + 1, n0's + 2).
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/lib.sh"
in_private_mount_ns "$@"

ZKSWARMD=${ZKSWARMD:-$top/build/zkswarmd}
ZK_PORT=${ZK_PORT:-2219}
MB=${METRICS_BASE:-9396}
SESSION_MS=10000
PACE=250
PACE_MAX=2000
WRITES=300
ROOT=/zkswarm-it # daemon.sh's
T=$(mktemp -d /tmp/zkswarm-pacing.XXXXXX)
on_exit "rm -rf '$T'"
on_exit "$top/scripts/zk.sh stop '$T/zk' >/dev/null"
. "$top/tests/integration/daemon.sh"
on_exit "stop_node np KILL; stop_node nf KILL; stop_node n0 KILL"
now_ms() { date +%s%3N; }
# metric NODE NAME: its value in NODE's /metrics (np: port MB, nf: MB + 1, n0: MB + 2)
metric() {
	local port=$MB
	[ "$1" = nf ] && port=$((MB + 1))
	[ "$1" = n0 ] && port=$((MB + 2))
	metric_at "127.0.0.1:$port" "$2"
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
assert_ok "np starts (MIRROR_PACE_MS=$PACE, MIRROR_PACE_MAX_MS=$PACE_MAX)" start_node np \
	MIRROR_PACE_MS=$PACE MIRROR_PACE_MAX_MS=$PACE_MAX METRICS_ADDR=127.0.0.1:$MB || exit 1
assert_ok "nf starts (MIRROR_PACE_MS=$PACE, MIRROR_PACE_MAX_MS=$PACE)" start_node nf \
	MIRROR_PACE_MS=$PACE MIRROR_PACE_MAX_MS=$PACE METRICS_ADDR=127.0.0.1:$((MB + 1)) || exit 1
assert_ok "n0 starts (MIRROR_PACE_MS=0)" start_node n0 MIRROR_PACE_MS=0 \
	METRICS_ADDR=127.0.0.1:$((MB + 2)) || exit 1
wait_until 30 "np creates the seed volume" call np VolumeDriver.Create '{"Name":"seed"}'
wait_until 30 "nf lists it" lists nf 1
wait_until 30 "n0 lists it" lists n0 1
for port in $MB $((MB + 1)) $((MB + 2)); do
	wait_until 10 "the metrics on :$port answer" \
		sh -c "curl -sf --max-time 5 http://127.0.0.1:$port/metrics >/dev/null"
done

t_begin "a burst of $WRITES writes, 20 ms apart"
reads() { metric "$1" zkswarm_mirror_child_reads_total; }
rp0=$(reads np) rf0=$(reads nf) r00=$(reads n0) wf0=$(metric nf zkswarm_mirror_paced_total)
t0=$(now_ms)
assert_ok "another client writes $WRITES volume records" write 1 "$WRITES" 0.02
wait_until 60 "nf lists all $((WRITES + 1))" lists nf $((WRITES + 1))
tf=$(now_ms)
wait_until 60 "np lists all $((WRITES + 1))" lists np $((WRITES + 1))
t1=$(now_ms)
wait_until 60 "n0 lists all $((WRITES + 1))" lists n0 $((WRITES + 1))
assert_eq "$(listed np)" "$(listed n0)" "np and n0 list the same volumes"
assert_eq "$(listed nf)" "$(listed n0)" "nf and n0 list the same volumes"
rp=$(($(reads np) - rp0)) rf=$(($(reads nf) - rf0)) r0=$(($(reads n0) - r00))
wf=$(($(metric nf zkswarm_mirror_paced_total) - wf0))
echo "    re-reads for child events: np $rp in $((t1 - t0)) ms; nf $rf in $((tf - t0)) ms" \
	"($wf events waited); n0 $r0"
bound=$(((t1 - t0) / PACE + 2))
assert_ok "np re-read children at most once per $PACE ms ($rp <= $bound)" test "$rp" -le "$bound"
bound=$(((tf - t0) / PACE + 2))
assert_ok "nf re-read children at most once per $PACE ms ($rf <= $bound)" test "$rf" -le "$bound"
assert_ok "nf re-read fewer than n0 ($rf < $r0)" test "$rf" -lt "$r0"
assert_ok "some of nf's events waited ($wf)" test "$wf" -ge 1
assert_eq "$(metric n0 zkswarm_mirror_paced_total)" 0 "n0 (pace 0) never waits"
assert_ok "np's pace grew in the burst: it re-read fewer than nf ($rp < $rf)" test "$rp" -lt "$rf"

t_begin "isolated changes after the burst"
# np's last re-read of /volumes began before t1, when it listed the burst's last record,
# and its pace is at most PACE_MAX; nothing has changed under /volumes since.
t_quiet=$((t1 + PACE_MAX + 500))
for _ in $(seq 100); do [ "$(now_ms)" -gt "$t_quiet" ] && break; sleep 0.05; done
wp1=$(metric np zkswarm_mirror_paced_total)
assert_ok "another client writes two more records, 1 s apart" write $((WRITES + 1)) 2 1
wait_until 30 "np lists them" lists np $((WRITES + 3))
assert_eq "$(metric np zkswarm_mirror_paced_total)" "$wp1" \
	"both were read at once (np's pace was back to $PACE ms): no event waited"

t_begin "this node's own Create+Remove pairs"
stop_node nf
stop_node n0 # only np asks ZooKeeper now
packets() { "$top/scripts/zk.sh" mntr "$ZK_PORT" zk_packets_received; }
# pairs N: np creates own<I> and removes it, for I in 1..N, one after another on one
# connection; fails at the first error
pairs() {
	PYTHONPATH="$top/tests${PYTHONPATH:+:$PYTHONPATH}" python3 - "$T/np/s.sock" "$1" <<-'PY'
	import sys
	from unixhttp import UnixHTTPConnection, post
	conn = UnixHTTPConnection(sys.argv[1], timeout=30)
	for i in range(1, int(sys.argv[2]) + 1):
	    for ep in ("Create", "Remove"):
	        status, reply = post(conn, "VolumeDriver." + ep, {"Name": "own%d" % i})
	        if status != 200 or reply.get("Err"):
	            sys.exit("%s own%d: %s %s" % (ep, i, status, reply))
	PY
}
PAIRS=200
k0=$(packets) m0=$(metric np zkswarm_mirror_moot_rereads_total) c0=$(reads np) ta=$(now_ms)
assert_ok "np creates and removes $PAIRS volumes, one after another" pairs $PAIRS
k=$(($(packets) - k0)) m=$(($(metric np zkswarm_mirror_moot_rereads_total) - m0))
echo "    ZooKeeper received $k requests for $PAIRS pairs in $(($(now_ms) - ta)) ms; np re-read children $(($(reads np) - c0)) times and skipped $m re-reads of its own writes"
assert_ok "at most 2.25 requests per pair ($k <= $((PAIRS * 9 / 4)))" test "$k" -le $((PAIRS * 9 / 4))
assert_eq "$(listed np)" "$(seq -f 'p%.0f' $((WRITES + 2)) | sort | tr '\n' ' ')seed" \
	"np lists none of them"

check_sanitizer_logs
t_summary
