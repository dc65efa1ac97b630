#!/usr/bin/env bash
# Faults: three zkswarmd instances on a 3-server ZooKeeper ensemble (loopback,
# client ports 2201-2203, tick 500 ms, session timeout 4 s) run a mixed
# workload of volume and IPAM requests while one fault is injected per
# scenario:
#   1. the ZooKeeper leader killed (kill -9) and restarted, three times;
#   2. a follower, then the leader, frozen (SIGSTOP) past the session timeout,
#      then resumed;
#   3. the whole ensemble stopped for longer than the session timeout, then
#      started again;
#   4. plugin instances killed (SIGKILL) in the middle of a write request and
#      restarted with the same STATE_DIR and NODE_ID.
# The workload, its history and the samplers are tests/faults/workload.py; the
# invariants are judged by tests/faults/check_invariants.py (see its header),
# each one a test here, per scenario, with the scenario's figures printed.
#
# No networks are created (the daemons share the host's network namespace and
# would program its kernel): volumes and IPAM only.  Mounts are bind mounts, so
# the whole test runs in a private mount namespace that takes them away.
#
# Env: ZKSWARMD (default build/zkswarmd), ZK_BASE_PORT (default 2201: client
# ports P..P+2, peer P+100.., election P+200..), FAULTS_OPS (requests per
# instance and scenario at most, default 1500), FAULTS_SECONDS (time cap, default 180),
# FAULTS_SEED (default 1), FAULTS_ONLY (e.g. "1 3": run only those scenarios),
# FAULTS_KEEP=1 (keep the test directory, with histories and logs, also when
# every test passed).
set -uo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/lib.sh"
in_private_mount_ns "$@"

ZKSWARMD=${ZKSWARMD:-$top/build/zkswarmd}
ZK_BASE_PORT=${ZK_BASE_PORT:-2201}
ZK_PORT=$ZK_BASE_PORT # daemon.sh's default, overridden by ZK_HOSTS below
ZK_HOSTS=127.0.0.1:$ZK_BASE_PORT,127.0.0.1:$((ZK_BASE_PORT + 1)),127.0.0.1:$((ZK_BASE_PORT + 2))
ZK_ROOT=/zkswarm-faults
SESSION_MS=4000
# The workload ends when the fault does (its stop file); these only bound it.  A fixed
# 40 s once ended it before a slow ensemble restart on a loaded machine was over, and
# the checks of what came after the fault had nothing to judge.
OPS=${FAULTS_OPS:-1500}
SECONDS_CAP=${FAULTS_SECONDS:-180}
SEED=${FAULTS_SEED:-1}
ONLY=${FAULTS_ONLY:-"1 2 3 4"}
NODES="n1 n2 n3"
FAULTS=$top/tests/faults
ZKSH=$top/scripts/zk.sh

T=$(mktemp -d /tmp/zkswarm-faults.XXXXXX)
ZKDIR=$T/zk
WL_PID=""
# The directory (histories, samples, logs) is kept when a test failed, or with FAULTS_KEEP=1.
on_exit "if [ \$T_FAIL -eq 0 ] && [ '${FAULTS_KEEP:-0}' != 1 ]; then rm -rf '$T'; else echo 'test directory kept: $T'; fi"
# Bind mounts left by the daemons go before the directory does (they are ours only:
# this mount namespace is private).
on_exit "awk -v p='$T/' 'index(\$5, p) == 1 {print \$5}' /proc/self/mountinfo | sort -r | xargs -r -n1 umount -l"
on_exit "$ZKSH stop '$ZKDIR' >/dev/null"
. "$top/tests/integration/daemon.sh"
# shellcheck disable=SC2016 # expanded when the cleanup runs
on_exit 'for n in $NODES; do stop_node $n KILL; done'
# shellcheck disable=SC2016
on_exit '[ -z "$WL_PID" ] || { kill "$WL_PID" 2>/dev/null; wait "$WL_PID" 2>/dev/null; }'

node_env=(ZK_HOSTS="$ZK_HOSTS" ZK_ROOT="$ZK_ROOT" ADVERTISE_ADDR=127.0.0.1)
export PYTHONDONTWRITEBYTECODE=1 # no __pycache__ in the tree
now() { date +%s.%N; }

# event OUT NAME [KEY=VALUE...]: one line of the fault's timeline in OUT/faults.jsonl
event() {
	local out=$1 name=$2 kv json
	shift 2
	json="{\"t\": $(now), \"event\": \"$name\""
	for kv in "$@"; do json+=", \"${kv%%=*}\": \"${kv#*=}\""; done
	echo "$json}" >>"$out/faults.jsonl"
	echo "    $(date +%T.%3N) $name $*"
}

# leader: the current leader's number, waiting (bounded) for an election to finish
leader() {
	local i l
	for ((i = 0; i < 100; i++)); do
		l=$("$ZKSH" leader "$ZKDIR" 2>/dev/null) && { echo "$l"; return 0; }
		sleep 0.2
	done
	return 1
}

zk_pid() { cat "$ZKDIR/zk$1/pid" 2>/dev/null; }
# alive NODE: the daemon recorded in T/NODE/pid runs
alive() { local p; p=$(cat "$T/$1/pid" 2>/dev/null) && kill -0 "$p" 2>/dev/null; }

# heal: every ZooKeeper server running and thawed, every daemon running
heal() {
	local k n
	for k in 1 2 3; do
		if pid=$(zk_pid "$k") && kill -0 "$pid" 2>/dev/null; then
			kill -CONT "$pid" 2>/dev/null
		fi
	done
	for k in 1 2 3; do
		if "$ZKSH" status "$ZKDIR" | grep -q "^zk$k .*pid=-"; then
			echo "    restarting zk$k (it was not running)"
			"$ZKSH" restart "$ZKDIR" "$k" >/dev/null
		fi
	done
	for n in $NODES; do
		if ! alive "$n"; then
			echo "    restarting $n (it was not running)"
			rm -f "$T/$n/s.sock"
			start_node "$n" "${node_env[@]}"
		fi
	done
}

# synced NODE: the instance is connected and its mirror synced (Get of the anchor volume)
synced() {
	call "$1" VolumeDriver.Get '{"Name":"anchor"}' 2>/dev/null |
		jq -e '.Volume.Status.zookeeper == "connected" and (.Volume.Status.stale | not)' >/dev/null
}
all_synced() { local n; for n in $NODES; do synced "$n" || return 1; done; }
# stale_connecting NODE: its Get answers from the mirror, marked stale, ZooKeeper connecting
stale_connecting() {
	call "$1" VolumeDriver.Get '{"Name":"anchor"}' |
		jq -e '.Volume.Status.stale == true and .Volume.Status.zookeeper == "connecting"'
}

# restart_killed OUT NODE: once workload.py has killed NODE, reap it and start it again
restart_killed() {
	local out=$1 n=$2 pid i
	for ((i = 0; i < 300; i++)); do [ -e "$T/$n/killed" ] && break; sleep 0.1; done
	[ -e "$T/$n/killed" ] || { event "$out" kill-missed node="$n"; return 1; }
	pid=$(cat "$T/$n/pid")
	wait "$pid" 2>/dev/null
	rm -f "$T/$n/pid" "$T/$n/killed" "$T/$n/s.sock"
	event "$out" plugin-killed node="$n"
	sleep 1
	event "$out" plugin-restarting node="$n"
	start_node "$n" "${node_env[@]}" && event "$out" plugin-restarted node="$n"
}

# ---- the faults (each runs while the workload does) --------------------------------------------
fault_leader_kill() {
	local out=$1 l i
	sleep 3
	for i in 1 2 3; do
		l=$(leader) || { event "$out" no-leader; return 1; }
		"$ZKSH" kill "$ZKDIR" "$l" KILL >/dev/null || return 1
		event "$out" leader-killed server="zk$l" round="$i"
		sleep 2
		"$ZKSH" restart "$ZKDIR" "$l" >/dev/null || return 1
		event "$out" server-restarted server="zk$l"
		sleep 3
	done
}

fault_freeze() {
	local out=$1 l f k
	sleep 3
	l=$(leader) || return 1
	for k in 1 2 3; do [ "$k" != "$l" ] && { f=$k; break; }; done
	"$ZKSH" kill "$ZKDIR" "$f" STOP >/dev/null || return 1
	event "$out" follower-frozen server="zk$f"
	sleep 5.5
	"$ZKSH" kill "$ZKDIR" "$f" CONT >/dev/null || return 1
	event "$out" follower-resumed server="zk$f"
	sleep 3
	l=$(leader) || return 1
	"$ZKSH" kill "$ZKDIR" "$l" STOP >/dev/null || return 1
	event "$out" leader-frozen server="zk$l"
	sleep 5.5
	"$ZKSH" kill "$ZKDIR" "$l" CONT >/dev/null || return 1
	event "$out" leader-resumed server="zk$l"
	leader >/dev/null && event "$out" leader-elected server="zk$(leader)"
	sleep 3
}

fault_outage() {
	local out=$1 n t0 t1
	sleep 4
	event "$out" ensemble-stopping
	"$ZKSH" stop "$ZKDIR" >/dev/null || return 1
	event "$out" ensemble-stopped
	# while there is no quorum: Get and List from the mirror, writes refused.  Each instance
	# learns of the lost connection a moment later (at once on a quiet machine): waited for.
	for n in $NODES; do
		wait_until 10 "$n: Get answers from the mirror" call "$n" VolumeDriver.Get '{"Name":"anchor"}'
		wait_until 10 "$n: marked stale, ZooKeeper connecting" stale_connecting "$n"
		assert_ok "$n: List answers from the mirror" call "$n" VolumeDriver.List '{}'
		t0=$(date +%s%3N)
		assert_fails_with "$n: a Create fails, saying ZooKeeper is unreachable" "ZooKeeper is unreachable" \
			call "$n" VolumeDriver.Create '{"Name":"outage-probe"}'
		t1=$(date +%s%3N)
		echo "    $n: Create refused in $((t1 - t0)) ms"
	done
	sleep 3 # no quorum for well over the 4 s session timeout
	event "$out" ensemble-starting
	"$ZKSH" ensemble-start "$ZKDIR" --base-port "$ZK_BASE_PORT" --tick 500 >/dev/null || return 1
	event "$out" ensemble-started
	t0=$(date +%s%3N)
	for n in $NODES; do
		wait_until 30 "$n: writes work again by themselves" \
			call "$n" VolumeDriver.Create '{"Name":"anchor","Opts":{"access":"multi-node"}}'
	done
	echo "    every instance writes again $(($(date +%s%3N) - t0)) ms after the quorum returned"
	sleep 3
}

fault_plugin_kill() {
	local out=$1
	restart_killed "$out" n2 || return 1
	restart_killed "$out" n3 || return 1
	sleep 3
}

# ---- one scenario -------------------------------------------------------------------------------
# scenario K NAME FAULT [WORKLOAD ARGS...]
scenario() {
	local k=$1 name=$2 fault=$3 out pool n rc i extra=()
	shift 3
	out=$T/s$k
	pool=198.19.$((100 + k)).0/26
	mkdir -p "$out"
	t_begin "scenario $k: $name"
	for n in $NODES; do
		call "$n" IpamDriver.RequestPool "{\"Pool\":\"$pool\"}" >/dev/null ||
			fail "$n: RequestPool $pool before the fault" || true
	done
	[ "$fault" = fault_outage ] && extra=(--outage)
	python3 "$FAULTS/workload.py" --dir "$T" --out "$out" --nodes "${NODES// /,}" --tag "f$k" \
		--pool "$pool" --ops "$OPS" --seconds "$SECONDS_CAP" --seed "$((SEED * 10 + k))" \
		--stop-file "$out/stop" --zk-hosts "$ZK_HOSTS" --zk-root "$ZK_ROOT" "$@" \
		>"$out/workload.log" 2>&1 &
	WL_PID=$!
	"$fault" "$out"
	rc=$?
	[ "$rc" = 0 ] || fail "the fault was injected as planned (exit $rc)" || true
	touch "$out/stop"
	# the workload stops at once but may wait for requests in flight (15 s each at most)
	for ((i = 0; i < 300; i++)); do kill -0 "$WL_PID" 2>/dev/null || break; sleep 0.1; done
	if kill "$WL_PID" 2>/dev/null; then fail "the workload ended by itself" "killed after 30 s" || true; fi
	wait "$WL_PID" 2>/dev/null
	WL_PID=""
	for n in $NODES; do # before heal, which would start a crashed one again
		assert_ok "$n still running (not crashed)" alive "$n" || true
	done
	heal
	wait_until 30 "every instance connected and synced again" all_synced || true
	python3 "$FAULTS/check_invariants.py" --dir "$T" --out "$out" --zk-hosts "$ZK_HOSTS" \
		--zk-root "$ZK_ROOT" "${extra[@]}" | tee "$out/check.txt" | grep -v '^  \[\(ok\|FAIL\)\]'
	judge "$out/results.json" "" "$out/check.txt"
}

# judge RESULTS PREFIX LOG: each result of the checker is a test
judge() {
	local okv desc detail
	if [ ! -s "$1" ]; then
		fail "${2}the checker produced results" "$(tail -20 "$3")" || true
		return
	fi
	while IFS=$'\t' read -r okv desc detail; do
		if [ "$okv" = true ]; then ok "$2$desc"; else fail "$2$desc" "$(printf '%b' "$detail")" || true; fi
	done < <(jq -r '.[] | [.ok, .name, .detail] | @tsv' "$1")
}

t_begin "setup"
assert_ok "a 3-server ZooKeeper ensemble starts (tick 500 ms)" \
	"$ZKSH" ensemble-start "$ZKDIR" --base-port "$ZK_BASE_PORT" --tick 500
for n in $NODES; do
	assert_ok "instance $n starts" start_node "$n" "${node_env[@]}"
done
for n in $NODES; do wait_until 20 "$n connected" grep -q "mirror: synced" "$T/$n/log"; done
assert_ok "anchor volume for the probes" call n1 VolumeDriver.Create '{"Name":"anchor","Opts":{"access":"multi-node"}}'
wait_until 10 "every instance sees it, synced" all_synced

for k in $ONLY; do
	case $k in
	1) scenario 1 "ZooKeeper leader killed (kill -9) and restarted, 3 times" fault_leader_kill ;;
	2) scenario 2 "a follower, then the leader, frozen (SIGSTOP) for 5.5 s, then resumed" fault_freeze ;;
	3) scenario 3 "the whole ensemble stopped for longer than the session timeout, then started" fault_outage ;;
	4) scenario 4 "plugin instances killed (SIGKILL) mid-request and restarted" fault_plugin_kill \
		--kill n2@5 --kill n3@14 ;;
	esac
done

# Mounts and addresses of the earlier scenarios are still held while the later faults
# strike: once everything is quiet, each scenario's final state is judged again.
t_begin "end"
heal
wait_until 30 "every instance connected and synced" all_synced || true
for k in $ONLY; do
	[ -s "$T/s$k/workload.json" ] || continue
	python3 "$FAULTS/check_invariants.py" --dir "$T" --out "$T/s$k" --zk-hosts "$ZK_HOSTS" \
		--zk-root "$ZK_ROOT" --final-only --results final.json | tee "$T/s$k/final.txt" |
		grep -v '^  \[\(ok\|FAIL\)\]'
	judge "$T/s$k/final.json" "scenario $k, at the end of the test: " "$T/s$k/final.txt"
done
# Unmount everything still mounted, so that each daemon closes its session and frees
# everything on SIGTERM (with volumes mounted it leaves the session to expire and
# exits at once), and LeakSanitizer looks at the whole run.
for n in $NODES; do
	jq -r '.mounts | to_entries[] | .key as $v | .value[] | [$v, .] | @tsv' "$T/$n/state/mounts.json" |
		while IFS=$'\t' read -r v id; do
			call "$n" VolumeDriver.Unmount "{\"Name\":\"$v\",\"ID\":\"$id\"}" >/dev/null ||
				echo "$n: unmount $v $id failed"
		done >"$T/$n/unmount-errors"
	assert_eq "$(cat "$T/$n/unmount-errors")" "" "$n: everything unmounted at the end"
done
for n in $NODES; do stop_node "$n" TERM; done
for n in $NODES; do
	assert_contains "$(tail -3 "$T/$n/log")" "zkswarmd: stopped" "$n closed its session and stopped cleanly"
done
check_sanitizer_logs
t_summary
