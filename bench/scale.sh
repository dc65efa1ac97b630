#!/usr/bin/env bash
# bench/scale.sh - the cost of a growing cluster (bench/run.sh's scale section, BENCH_ONLY=scale):
# N standalone zkswarmd instances (each its own NODE_ID, socket and state directory; no
# engine) on one 3-server ZooKeeper ensemble (scripts/zk.sh), at each N of SCALE_NS.
#
# Per N it measures, and prints as markdown tables:
#   propagation   a volume create and a lease on node 1 until every other node's mirror
#                 shows it (bench/scale_probe.py polls each node's socket, or reads the
#                 node's own log line), p50/p99/max;
#                 each write on its own (rounds SCALE_PAUSE_MS apart, beyond the daemons'
#                 MIRROR_PACE_MS: a write within it of the last under one parent waits);
#   load          node 1's write throughput (Create+Remove pairs, build/bench/loadgen) while
#                 the others mirror, and ZooKeeper's requests (mntr zk_packets_received, all
#                 three servers) and CPU per write, per mirroring node;
#   storms        all N holding a mirror of SCALE_VOLUMES volumes: (c) a cold start of all N
#                 at once, (a) the leader killed, (b) the whole ensemble stopped for
#                 SCALE_OUTAGE_S and started again: time until every node logged
#                 "mirror: synced" again, ZooKeeper's CPU and per-second request peak,
#                 sessions lost (new sessions established, "expired" warnings);
#   memory        RSS per daemon at SCALE_VOLUMES volumes, ZooKeeper's watch count (wchs,
#                 summed over the servers) and heap (jcmd GC.heap_info, used).
#
# Usage: bench/scale.sh          (make bench-tools and build/zkswarmd first; root)
# Env: SCALE_NS (default "1 10 50"), SCALE_VOLUMES (10000), SCALE_ROUNDS (propagation
#      rounds, 20), SCALE_PAUSE_MS (between rounds, 300), SCALE_SECS (throughput run, 5),
#      SCALE_IDLE_S (the idle window, 5), SCALE_OUTAGE_S (30), SCALE_SESSION_MS
#      (10000), SCALE_ZK_PORT (client ports P..P+2, default 2230), SCALE_PEER_BASE (quorum
#      ports Q..Q+2 and election ports Q+100..; default 32230), SCALE_ZK_HEAP (1g),
#      SCALE_METRICS_BASE (node I's /metrics on 127.0.0.1:BASE+I, default 29100),
#      SCALE_OUT (also write the report there), SCALE_DAEMON (the zkswarmd to run; default
#      build/zkswarmd), SCALE_KEEP=1 (keep the work directory; its prop-N.jsonl holds each
#      write's per-node times: scale_probe.py --trace), SCALE_PARTS ("small storms": which
#      measurements), SCALE_STORMS ("leader outage": the storms after the cold start and the
#      memory figures), SCALE_PRIOR (a results.jsonl of an
#      earlier run whose records the report includes, for the parts not run now),
#      SCALE_JUTE_MAXBUFFER (the servers' jute.maxbuffer, default ZooKeeper's own, 1048575:
#      a reconnect re-sends every watch in one request that must fit it; at 4 watches per
#      volume a daemon mirroring 10,000 volumes could not reconnect, at 3 it can: see
#      BENCHMARKS.md and docs/ZOOKEEPER.md §1.9), SCALE_OBSERVERS (K, default 0: K ZooKeeper
#      observers beside the 3 voting members, client ports P+3..; every node but node 1, the
#      writer, connects to the observers only, node 1 to the voting members; with K > 0 only
#      the small part runs, and the ZooKeeper figures are summed over all 3 + K servers).
# Everything it starts (ZooKeeper, daemons, samplers) is stopped by pid at exit.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
PROG=bench/scale.sh
BUILD=${BUILD:-build}
LOADGEN=$top/$BUILD/bench/loadgen
PROBE=$top/bench/scale_probe.py
NS=${SCALE_NS:-1 10 50}
VOLS=${SCALE_VOLUMES:-10000}
ROUNDS=${SCALE_ROUNDS:-20}
PAUSE=${SCALE_PAUSE_MS:-300}
SECS=${SCALE_SECS:-5}
IDLE=${SCALE_IDLE_S:-5} # the idle window: heartbeats and probes come in rounds every 2.5 and 3.3 s
OUTAGE=${SCALE_OUTAGE_S:-30}
SESSION=${SCALE_SESSION_MS:-10000}
METRICS_BASE=${SCALE_METRICS_BASE:-29100} # node I serves /metrics on 127.0.0.1:METRICS_BASE+I
PORT=${SCALE_ZK_PORT:-2230}
PEER=${SCALE_PEER_BASE:-32230}
export ZK_HEAP=${SCALE_ZK_HEAP:-1g}
JUTE=${SCALE_JUTE_MAXBUFFER:-1048575}
export ZK_JAVA_OPTS="-Djute.maxbuffer=$JUTE"
PARTS=${SCALE_PARTS:-small storms}
STORMS=${SCALE_STORMS:-leader outage} # after the cold start (always run: it makes the mirrors)
OBSERVERS=${SCALE_OBSERVERS:-0}
[[ $OBSERVERS =~ ^[0-4]$ ]] || { echo "$0: SCALE_OBSERVERS: 0 to 4" >&2; exit 1; }
MEMBERS=$((3 + OBSERVERS))
ZKH=127.0.0.1:$PORT,127.0.0.1:$((PORT + 1)),127.0.0.1:$((PORT + 2))
ZKO=$(for ((o = 3; o < MEMBERS; o++)); do echo "127.0.0.1:$((PORT + o))"; done | paste -sd,)
PY=/usr/bin/python3

log() { echo "[$(date +%H:%M:%S)] $*" >&2; }
die() { echo "$PROG: $*" >&2; exit 1; }
now_ms() { date +%s%3N; }
DAEMON=${SCALE_DAEMON:-$BUILD/zkswarmd}
for t in "$LOADGEN" "$DAEMON"; do [ -x "$t" ] || die "$t missing: make bench-tools build/zkswarmd"; done
[ "$(id -u)" = 0 ] || die "run as root"
command -v jq >/dev/null || die "jq is needed"

if [ "${1:-}" = --report ]; then # the report again, from a work directory kept with SCALE_KEEP=1
	[ -f "${2:-}/meta.sh" ] || die "--report DIR: a work directory kept with SCALE_KEEP=1"
	W=$(cd "$2" && pwd) R=$W/results.jsonl
	# shellcheck disable=SC1091
	. "$W/meta.sh"
	MEMBERS=$((3 + ${OBSERVERS:-0}))
	REPORT_ONLY=1
else
	REPORT_ONLY=0
	[ "$OBSERVERS" = 0 ] || [[ " $PARTS " != *" storms "* ]] || die "SCALE_OBSERVERS: the small part only (SCALE_PARTS=small)"
	W=$(mktemp -d /tmp/zkswarm-scale.XXXXXX)
	cp "$DAEMON" "$W/zkswarmd" # a private copy: build/ may be rebuilt meanwhile
	R=$W/results.jsonl
	: >"$R"
fi
ZKD=$W/zk
[ "$REPORT_ONLY" = 1 ] || [ -z "${SCALE_PRIOR:-}" ] || grep -E '"key":"(prop|write)"|"at":"(propagation|throughput)' "$SCALE_PRIOR" | sed 's/}$/,"prior":true}/' >>"$R"
SAMPLER=""
cleanup() {
	set +e
	[ -n "$SAMPLER" ] && kill "$SAMPLER" 2>/dev/null && wait "$SAMPLER" 2>/dev/null
	nodes_stop
	[ -d "$ZKD" ] && scripts/zk.sh stop "$ZKD" >/dev/null 2>&1
	if [ "${SCALE_KEEP:-0}" = 1 ] || [ "$REPORT_ONLY" = 1 ]; then echo "$PROG: kept $W" >&2; else rm -rf "$W"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---- ZooKeeper --------------------------------------------------------------------------------
zk_pids() { for n in $(seq "$MEMBERS"); do cat "$ZKD/zk$n/pid" 2>/dev/null || true; done; }
mntr() { # mntr N: the mntr of member N (empty if it does not answer)
	scripts/zk.sh mntr $((PORT + $1 - 1))
}
mntr_sum() { # mntr_sum KEY: summed over the members that answer
	local s=0 v n
	for n in $(seq "$MEMBERS"); do
		v=$(mntr "$n" | awk -v k="$1" '$1 == k { print $2 }')
		s=$((s + ${v:-0}))
	done
	echo "$s"
}
cpu_ms() { awk -v hz="$(getconf CLK_TCK)" '{ printf "%d", ($14 + $15) * 1000 / hz }' "/proc/$1/stat" 2>/dev/null || echo 0; }
zk_cpu() { local s=0 p; for p in $(zk_pids); do s=$((s + $(cpu_ms "$p"))); done; echo "$s"; }
# node_metric I NAME: node I's metric NAME (its /metrics); empty if it does not say
node_metric() {
	curl -sS --max-time 2 "http://127.0.0.1:$((METRICS_BASE + $1))/metrics" 2>/dev/null |
		awk -v k="$2" '$1 == k { print $2 }'
}
# the reads nodes 2..N's mirrors had answered (zkswarm_mirror_reads_total), summed; empty if
# a node does not say (its metrics port taken, or a build before the metric)
others_reads() {
	local i v sum=0
	for i in $(seq 2 "$NODES"); do
		v=$(node_metric "$i" zkswarm_mirror_reads_total)
		[ -n "$v" ] || return 0
		sum=$((sum + v))
	done
	echo "$sum"
}
# R1: others_reads once it is steady (the mirrors done with the last change: two sums 200 ms
# apart alike, at most 5 s), counting from R0 ($1); empty if they do not say
settle_reads() {
	local prev="" _
	R1=""
	[ -n "$1" ] || return 0
	for _ in $(seq 25); do
		R1=$(others_reads)
		[ -n "$R1" ] && [ "$R1" = "$prev" ] && return 0
		prev=$R1
		sleep 0.2
	done
}
# others_cpu_us: the CPU time of nodes 2..N, in µs, summed over their threads (schedstat: ns,
# not the 10 ms ticks of stat)
others_cpu_us() {
	local i
	for i in $(seq 2 "$NODES"); do cat "/proc/$(cat "$(nd "$i")/pid")/task/"*/schedstat 2>/dev/null || true; done |
		awk '{ s += $1 } END { printf "%.0f\n", s / 1000 }'
}
zk_heap_mb() { # used heap (young and old generations) summed over the members (jcmd GC.heap_info)
	local s=0 p u
	for p in $(zk_pids); do
		u=$(timeout 20 jcmd "$p" GC.heap_info 2>/dev/null | awk '/generation/ { for (i = 1; i <= NF; i++) if ($i == "used") { v = $(i + 1); sub("K,?", "", v); s += v } } END { print s + 0 }')
		s=$((s + ${u:-0}))
	done
	echo $((s / 1024))
}
# sampler FILE: every half second "ms cpu1 cpu2 cpu3 packets1 packets2 packets3" (per member:
# a dead one reads 0, a restarted one counts from 0 again) until sampler_stop
sampler_start() {
	SAMPLE_FILE=$1
	(while :; do sample; sleep 0.5; done) >"$1" 2>/dev/null &
	SAMPLER=$!
}
member_cpu() { local p; p=$(cat "$ZKD/zk$1/pid" 2>/dev/null) && cpu_ms "$p" || echo 0; }
member_packets() { local v; v=$(mntr "$1" | awk '$1 == "zk_packets_received" { print $2 }'); echo "${v:-0}"; }
sample() { echo "$(now_ms) $(member_cpu 1) $(member_cpu 2) $(member_cpu 3) $(member_packets 1) $(member_packets 2) $(member_packets 3)"; }
sampler_stop() {
	[ -z "$SAMPLER" ] || kill "$SAMPLER" 2>/dev/null || true
	wait "$SAMPLER" 2>/dev/null || true
	SAMPLER=""
	sample >>"$SAMPLE_FILE"
}
# sampler_peaks FILE: "peak_cpu_pct peak_req_per_s total_cpu_ms" over the three members.  A 0
# is a member that did not answer (mntr timed out under load) or is down: no delta; a counter
# that went down otherwise is a restarted member, counting from 0.  Under heavy load the reads
# of one line are spread over up to a few seconds, so the peaks are rough; the total is not.
sampler_peaks() {
	awk 'NR == 1 { t = $1; for (i = 2; i <= 7; i++) if ($i != 0) v[i] = $i; next }
		{ dt = ($1 - t) / 1000; if (dt <= 0) next; dc = 0; dp = 0
		  for (i = 2; i <= 7; i++) {
			if ($i == 0) continue                  # down, or no answer: no delta
			d = (!(i in v) || $i < v[i]) ? $i : $i - v[i] # (re)started: from 0
			v[i] = $i; if (i <= 4) dc += d; else dp += d
		  }
		  if (dc / dt / 10 > mc) mc = dc / dt / 10; if (dp / dt > mp) mp = dp / dt; tc += dc; t = $1 }
		END { printf "%.0f %.0f %d\n", mc, mp, tc }' "$1"
}

# ---- the daemons --------------------------------------------------------------------------------
NODES=0
nd() { echo "$W/n/$1"; }
node_start() { # node_start I ROOT [LOG_LEVEL]
	local d
	d=$(nd "$1")
	mkdir -p "$d/state" "$d/mnt" "$W/data"
	env ZK_HOSTS="$([ "$1" = 1 ] || [ -z "$ZKO" ] && echo "$ZKH" || echo "$ZKO")" ZK_ROOT="$2" NODE_ID="s$1" SOCKET="$d/s.sock" DATA_DIR="$W/data" \
		MOUNT_ROOT="$d/mnt" STATE_DIR="$d/state" REAPER_GRACE_MS=3600000 LOG_LEVEL="${3:-info}" \
		ZK_SESSION_TIMEOUT_MS="$SESSION" METRICS_ADDR="127.0.0.1:$((METRICS_BASE + $1))" \
		"$W/zkswarmd" >>"$d/log" 2>&1 &
	echo $! >"$d/pid"
}
# nodes_start N ROOT [LOG_LEVEL]: all at once (LOG_LEVEL, default info, for all but node 1, which
# stays at info); returns once every socket exists
nodes_start() {
	local i t
	NODES=$1
	for i in $(seq "$1"); do
		rm -rf "$(nd "$i")"
		node_start "$i" "$2" "$([ "$i" = 1 ] && echo info || echo "${3:-info}")"
	done
	for i in $(seq "$1"); do
		for t in $(seq 600); do [ -S "$(nd "$i")/s.sock" ] && break; sleep 0.05; done
		[ -S "$(nd "$i")/s.sock" ] || die "node $i made no socket in 30 s: $(tail -3 "$(nd "$i")/log")"
	done
}
nodes_stop() {
	local i p
	for i in $(seq "$NODES"); do
		p=$(cat "$(nd "$i")/pid" 2>/dev/null) || continue
		kill -TERM "$p" 2>/dev/null || true
	done
	for i in $(seq "$NODES"); do
		p=$(cat "$(nd "$i")/pid" 2>/dev/null) || continue
		for _ in $(seq 100); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$p" 2>/dev/null || true
		wait "$p" 2>/dev/null || true
		rm -f "$(nd "$i")/pid"
	done
	NODES=0
}
logs() { for i in $(seq "$NODES"); do echo "$(nd "$i")/log"; done; }
# marks: the per-node counts before an event (synced lines, sessions, expired warnings)
# shellcheck disable=SC2046
mark() { read -r M_SYNCED M_SESS M_EXP <<<"$($PY "$PROBE" count $(logs))"; }
# wait_synced SINCE_MS TIMEOUT_S: JSON of scale_probe.py synced
wait_synced() {
	# shellcheck disable=SC2046
	$PY "$PROBE" synced --since-ms "$1" --timeout-s "$2" --counts "$M_SYNCED" \
		--sessions "$M_SESS" --expired "$M_EXP" $(logs)
}
# wait_settled TIMEOUT_S: until every node's mirror holds as many znodes as every other's
# (`zkswarm_mirror_nodes`), unchanged over 1.2 s (longer than the pace's maximum, 1 s); "not
# settled" in the log if not within TIMEOUT_S.  Synced is not settled: the others'
# registrations come as a burst under /nodes that the pace spreads over a second or two, and
# a change made meanwhile waits behind it (docs/DESIGN.md, *Pacing*): the first write after a
# start of 50 reached some nodes 500-700 ms late.  Propagation is timed once settled.
wait_settled() {
	local k i cur prev="" same=0
	for ((k = 0; k < $1 * 10 / 3; k++)); do
		cur=$(for i in $(seq "$NODES"); do node_metric "$i" zkswarm_mirror_nodes; done |
			sort -u | paste -sd' ')
		if [ -n "$cur" ] && [ "${cur// /}" = "$cur" ] && [ "$cur" = "$prev" ]; then
			same=$((same + 1))
			[ "$same" -lt 4 ] || return 0
		else
			same=0
		fi
		prev=$cur
		sleep 0.3
	done
	log "not settled within $1 s: mirrors hold ${cur:-?} znodes"
}
rss_list() { for i in $(seq "$NODES"); do awk '/^VmRSS:/ { print $2 }' "/proc/$(cat "$(nd "$i")/pid")/status" 2>/dev/null || echo 0; done; }
rec() { echo "$1" >>"$R"; }
uptime_rec() { rec "{\"key\":\"uptime\",\"at\":\"$1\",\"uptime\":\"$(uptime | sed 's/^ *//')\"}"; log "uptime ($1): $(uptime)"; }
load1() { cut -d' ' -f1 /proc/loadavg; }
stats() { # stats: p50 p99 max over a JSON array on stdin
	jq -r 'sort | if length == 0 then "- - -" else
		"\(.[((length - 1) * 0.5 | floor)] | . * 10 | round / 10) \(.[((length - 1) * 0.99 | ceil)] | . * 10 | round / 10) \(.[-1] | . * 10 | round / 10)" end'
}

# ---- measurements ---------------------------------------------------------------------------------
# propagation and load at N (a fresh small tree)
small_tree() {
	local n=$1 root=/scale-p$1 socks=() out c0 p0 c1 p1 d0 d1 t0 t1 idle_p idle_c idle_d
	log "N=$n: starting $n daemons (small tree $root)"
	nodes_start "$n" "$root" debug # the others' "mirror: ... new nodes" lines time propagation
	mark_fresh
	wait_synced "$(now_ms)" 120 >/dev/null
	wait_settled 60
	for i in $(seq "$n"); do socks+=("$(nd "$i")/s.sock"); done
	uptime_rec "propagation N=$n"
	if [ "$n" -gt 1 ]; then
		out=$($PY "$PROBE" propagate --rounds "$ROUNDS" --pause-ms "$PAUSE" --node-id s1 --prefix "p$n" --trace "$W/prop-$n.jsonl" --logs-beside "${socks[@]}")
		rec "$(jq -c --argjson n "$n" --argjson l "$(load1)" '{key: "prop", n: $n, volume: (.volume_ms | sort), lease: (.lease_ms | sort), missing, sweep_ms,
			log_volume: (.log_volume_ms | sort), log_lease: (.log_lease_ms | sort), log_missing,
			create: (.create_ms | sort), mount: (.mount_ms | sort), load1: $l}' <<<"$out")"
	fi
	# idle: heartbeats and probes only
	c0=$(zk_cpu) p0=$(mntr_sum zk_packets_received) d0=$(others_cpu_us) t0=$(now_ms)
	sleep "$IDLE"
	c1=$(zk_cpu) p1=$(mntr_sum zk_packets_received) d1=$(others_cpu_us) t1=$(now_ms)
	idle_p=$(awk -v p=$((p1 - p0)) -v t=$((t1 - t0)) 'BEGIN { printf "%.2f", p * 1000 / t }')
	idle_c=$(awk -v c=$((c1 - c0)) -v t=$((t1 - t0)) 'BEGIN { printf "%.4f", c / t }')
	idle_d=$(awk -v d=$((d1 - d0)) -v t=$((t1 - t0)) 'BEGIN { printf "%.4f", d / t }')
	# what following isolated changes costs each other node (beyond its idle, and beyond what
	# they cost at N = 1), nobody polling: one kind at a time (ROUNDS volumes made, then
	# mounted, unmounted, removed)
	uptime_rec "changes N=$n"
	for kind in Create Mount Unmount Remove; do
		r0=$(others_reads)
		t0=$(now_ms) c0=$(zk_cpu) p0=$(mntr_sum zk_packets_received) d0=$(others_cpu_us)
		out=$($PY "$PROBE" changes --rounds "$ROUNDS" --pause-ms "$PAUSE" --kind "$kind" --prefix "c$n" "${socks[0]}")
		c1=$(zk_cpu) p1=$(mntr_sum zk_packets_received) d1=$(others_cpu_us) t1=$(now_ms)
		settle_reads "$r0"
		# the idle figures are taken off over the whole window (t0..t1), not the probe's own
		# time (ms): at N = 50 the counters take about a second to read on each side
		rec "$(jq -c --argjson n "$n" --arg kind "$kind" --argjson d $((d1 - d0)) --argjson p $((p1 - p0)) \
			--argjson c $((c1 - c0)) --argjson id "$idle_d" --argjson ip "$idle_p" --argjson w $((t1 - t0)) \
			--argjson r "$([ -n "$r0" ] && [ -n "$R1" ] && echo $((R1 - r0)) || echo null)" \
			'{key: "changes", n: $n, kind: $kind, changes, ms, window_ms: $w, others_cpu_us: $d, zk_packets: $p,
			zk_cpu_ms: $c, idle_others_us_per_ms: $id, idle_packets_per_s: $ip, others_reads: $r}' <<<"$out")"
	done
	uptime_rec "throughput N=$n"
	c0=$(zk_cpu) p0=$(mntr_sum zk_packets_received) t0=$(now_ms)
	out=$("$LOADGEN" -S "${socks[0]}" -c 4 -d $((SECS + 1)) -w 1 --json --tag "n$n" --max-errors-shown 0 \
		'VolumeDriver.Create {"Name":"w%s-%d"}' 'VolumeDriver.Remove {"Name":"w%s-%d"}')
	c1=$(zk_cpu) p1=$(mntr_sum zk_packets_received) t1=$(now_ms)
	rec "$(jq -c --argjson n "$n" --argjson p $((p1 - p0)) --argjson c $((c1 - c0)) --argjson t $((t1 - t0)) \
		--argjson ip "$idle_p" --argjson ic "$idle_c" --argjson l "$(load1)" \
		'{key: "write", n: $n, iter_per_s, errors, requests_total, elapsed_ms: $t, zk_packets: $p, zk_cpu_ms: $c,
		  idle_packets_per_s: $ip, idle_cpu_ms_per_ms: $ic, load1: $l}' <<<"$out")"
	nodes_stop
}
mark_fresh() { M_SYNCED=$(seq "$NODES" | sed 's/.*/0/' | paste -sd,) M_SESS=$M_SYNCED M_EXP=$M_SYNCED; }

# the big tree, made once by one daemon
big_tree() {
	log "making $VOLS volumes under /scale-big (one daemon)"
	nodes_start 1 /scale-big
	mark_fresh
	wait_synced "$(now_ms)" 60 >/dev/null
	"$LOADGEN" -S "$(nd 1)/s.sock" -c 16 -n "$VOLS" --json --max-errors-shown 3 \
		'VolumeDriver.Create {"Name":"big-%d"}' | jq -c '{key: "big-create", iter_per_s, errors}' >>"$R"
	nodes_stop
}

storm_rec() { # storm_rec N KIND SINCE_MS SYNCED_JSON SAMPLES
	local pk
	read -r -a pk <<<"$(sampler_peaks "$5")"
	rec "$(jq -c --argjson n "$1" --arg k "$2" --argjson cpu "${pk[0]}" --argjson req "${pk[1]}" --argjson tc "${pk[2]}" \
		--argjson l "$(load1)" '{key: "storm", n: $n, kind: $k, synced: (.synced_ms | map(select(. != null)) | sort),
		 unsynced: (.synced_ms | map(select(. == null)) | length), caught_up: (.caught_up // 0), sessions_new, expired,
		 zk_cpu_peak_pct: $cpu, zk_req_peak_per_s: $req, zk_cpu_ms: $tc, load1: $l}' <<<"$4")"
}

storms() {
	local n=$1 t0 js rss
	# (c) cold start of all N at once
	uptime_rec "cold start N=$n"
	sampler_start "$W/samp-c$n"
	t0=$(now_ms)
	nodes_start "$n" /scale-big
	mark_fresh
	js=$(wait_synced "$t0" 600)
	sampler_stop
	storm_rec "$n" cold "$t0" "$js" "$W/samp-c$n"
	sleep 3 # the mirrors saved, the watch counts settled
	rss=$(rss_list | jq -sc 'sort')
	rec "$(jq -nc --argjson n "$n" --argjson rss "$rss" --argjson w "$(mntr_sum zk_watch_count)" \
		--argjson h "$(zk_heap_mb)" --argjson c "$(mntr_sum zk_num_alive_connections)" \
		'{key: "mem", n: $n, rss_kb: $rss, zk_watches: $w, zk_heap_mb: $h, zk_connections: $c}')"
	if [[ " $STORMS " == *" leader "* ]]; then storm_leader "$n"; fi
	if [[ " $STORMS " == *" outage "* ]]; then storm_outage "$n"; fi
	nodes_stop
}

storm_leader() { # (a) the leader killed
	local n=$1 t0 js lead
	uptime_rec "leader kill N=$n"
	lead=$(scripts/zk.sh leader "$ZKD")
	mark
	sampler_start "$W/samp-a$n"
	t0=$(now_ms)
	scripts/zk.sh kill "$ZKD" "$lead" KILL >/dev/null
	js=$(wait_synced "$t0" 180)
	sampler_stop
	storm_rec "$n" leader "$t0" "$js" "$W/samp-a$n"
	scripts/zk.sh restart "$ZKD" "$lead" >/dev/null
	sleep 2
}

storm_outage() { # (b) the whole ensemble stopped for OUTAGE s, then started; synced from quorum
	local n=$1 js tq
	uptime_rec "ensemble outage N=$n"
	scripts/zk.sh stop "$ZKD" >/dev/null
	# marked once all are down: while the members stop one by one the daemons move to the
	# survivors and may resync there
	mark
	sleep "$OUTAGE"
	sampler_start "$W/samp-b$n"
	scripts/zk.sh restart "$ZKD" 1 >/dev/null # alone: no quorum yet
	scripts/zk.sh restart "$ZKD" 2 >/dev/null &
	local rpid=$! k
	tq=""
	for k in $(seq 1200); do # quorum: the first member to serve (50 ms polls, 60 s)
		if mntr 1 | grep -q '^zk_server_state\s\(leader\|follower\)' ||
			mntr 2 | grep -q '^zk_server_state\s\(leader\|follower\)'; then
			tq=$(now_ms)
			break
		fi
		sleep 0.05
	done
	wait "$rpid" || die "zk2 did not restart"
	[ -n "$tq" ] || die "no quorum 60 s after the restart"
	scripts/zk.sh restart "$ZKD" 3 >/dev/null
	js=$(wait_synced "$tq" 180)
	sampler_stop
	storm_rec "$n" outage "$tq" "$js" "$W/samp-b$n"
}

# ---- the report ---------------------------------------------------------------------------------
q() { jq -r "$1" "$R"; }
# what following isolated changes cost at N, per kind and for all kinds together (kind "all"):
# JSON lines {kind, changes, total (ZK requests per change, beyond idle: node 1's and the
# others'), requests (per change per mirroring node: beyond idle and beyond node 1's own,
# the same kind's total at N = 1; null at N = 1 or without it), reads (the mirroring
# nodes' own count of their reads, per change per node; null if one did not say), us (the
# others' CPU per change per mirroring node, beyond idle), zk_ms (per change, 3 servers)}
changes_cost() {
	jq -s -c --argjson n "$1" '
		def cost($k; $c): ($c | map(.changes) | add) as $m | {kind: $k, changes: $m,
			total: (($c | map(.zk_packets - .idle_packets_per_s * (.window_ms // .ms) / 1000) | add) / $m),
			us: (if $n > 1 then ($c | map(.others_cpu_us - .idle_others_us_per_ms * (.window_ms // .ms)) | add) / $m / ($n - 1) | round else null end),
			zk_ms: (($c | map(.zk_cpu_ms) | add) / $m * 10 | round / 10),
			reads: (if $n > 1 and all($c[]; .others_reads != null) then ($c | map(.others_reads) | add) / $m / ($n - 1) * 100 | round / 100 else null end)};
		def costs($c): if $c == [] then []
			elif all($c[]; .kind != null) then ($c | map(cost(.kind; [.]))) + [cost("all"; $c)]
			else [cost("all"; $c)] end;
		map(select(.key == "changes")) as $all |
		(costs($all | map(select(.n == 1))) | map({key: .kind, value: .total}) | from_entries) as $base |
		costs($all | map(select(.n == $n)))[] |
		.requests = (if $n > 1 and $base[.kind] != null then (.total - $base[.kind]) / ($n - 1) * 100 | round / 100 else null end) |
		.total |= (. * 100 | round / 100)' "$R"
}
verdict() { if awk "BEGIN { exit !($1) }"; then echo "**met**"; else echo "**missed**"; fi; }
# targets: issue 17's, at the largest N, as ratios against the first N where they are ratios
targets() {
	local top_n p99 wr pn so ss
	top_n=$(echo "$NS" | awk '{ print $NF }')
	echo "### Targets at N = $top_n (issue 17)"
	echo
	echo "| target | measured | verdict |"
	echo "|---|---|---|"
	p99=$(q "select(.key == \"prop\" and .n == $top_n) | .volume + .lease" | jq -s 'add // []' | stats | awk '{ print $2 }')
	[ -n "$p99" ] && [ "$p99" != - ] && echo "| propagation p99 < 100 ms, polled | $p99 ms (volume creates and leases together) | $(verdict "$p99 < 100") |"
	p99=$(q "select(.key == \"prop\" and .n == $top_n) | (.log_volume // []) + (.log_lease // [])" | jq -s 'add // []' | stats | awk '{ print $2 }')
	[ -n "$p99" ] && [ "$p99" != - ] && echo "| propagation p99 < 100 ms, stamped | $p99 ms (volume creates and leases together) | $(verdict "$p99 < 100") |"
	wr=""
	[ "$b" = null ] || wr=$(q "select(.key == \"write\" and .n == $top_n) | .iter_per_s / $b" | head -1)
	[ -n "$wr" ] && echo "| one node's writes ≥ 0.8 of N = $base_n | $(printf %.2f "$wr") | $(verdict "$wr >= 0.8") |"
	pn=""
	[ "$bp" = null ] || [ "$top_n" = 1 ] || pn=$(q "select(.key == \"write\" and .n == $top_n) | ((.zk_packets - .idle_packets_per_s * .elapsed_ms / 1000) / .requests_total - $bp) / (.n - 1)" | head -1)
	[ -n "$pn" ] && echo "| ZK requests per change ≤ 2 per mirroring node, during node 1's writes | $(printf %.2f "$pn") | $(verdict "$pn <= 2") |"
	pn=""
	[ "$top_n" = 1 ] || pn=$(changes_cost "$top_n" | jq -r 'select(.kind == "all") | .requests // empty')
	[ -n "$pn" ] && echo "| ZK requests per change ≤ 2 per mirroring node, isolated changes, by \`mntr\` | $(printf %.2f "$pn") | $(verdict "$pn <= 2") |"
	pn=""
	[ "$top_n" = 1 ] || pn=$(changes_cost "$top_n" | jq -r 'select(.kind == "all") | .reads // empty')
	[ -n "$pn" ] && echo "| ZK requests per change ≤ 2 per mirroring node, isolated changes, as the mirrors count their reads | $(printf %.2f "$pn") | $(verdict "$pn <= 2") |"
	so=$(q "select(.key == \"storm\" and .n == $top_n and .kind == \"outage\") | if .unsynced > 0 then 1e9 else (.synced[-1] // 1e9) end" | head -1)
	ss=$(q "select(.key == \"storm\" and .n == $top_n and .kind == \"outage\") | .sessions_new + .expired" | head -1)
	if [ -n "$so" ]; then
		echo "| after a ${OUTAGE} s outage every node synced within 10 s of quorum, no session lost | last node $(awk -v x="$so" 'BEGIN { if (x >= 1e9) print "not synced"; else printf "%.1f s", x / 1000 }'), $ss session(s) lost | $(verdict "$so <= 10000 && $ss == 0") |"
	fi
	echo
}
base_n=$(echo "$NS" | awk '{ print $1 }')
report() {
	echo "### Propagation (ms from the write's start on node 1 until each other node's mirror shows it)"
	echo
	echo "Each write on its own: rounds ${PAUSE} ms apart, daemons' MIRROR_PACE_MS ${MIRROR_PACE_MS:-100, the default}."
	echo "Every other round is *polled*: each other node's socket asked, List or Get, until it"
	echo "shows it, each node on its own keep-alive connection and asked again as soon as it says"
	echo "not yet (at most every 10 ms); a node's time is its own answer's. The rounds"
	echo "between poll nothing and are *stamped*: each other node's time is the stamp"
	echo "of its own log line (LOG_LEVEL=debug) naming the new volume or lease, as it read it."
	echo "Both include the write's own time on node 1 (last column). Timed once every mirror"
	echo "holds the whole small tree (the registrations read), after one round not counted."
	echo
	echo "| N | how | volume create p50 / p99 / max | lease p50 / p99 / max | samples | not seen | one ask | node 1's Create / Mount p50 / p99 |"
	echo "|---|---|---|---|---|---|---|---|"
	for n in $NS; do
		[ "$n" -gt 1 ] || continue
		for how in polled stamped; do
			local pre="" miss=missing sweep
			[ $how = polled ] || pre=log_ miss=log_missing
			v=$(q "select(.key == \"prop\" and .n == $n) | .${pre}volume // []" | jq -s 'add // []' | stats)
			l=$(q "select(.key == \"prop\" and .n == $n) | .${pre}lease // []" | jq -s 'add // []' | stats)
			sweep=$(q "select(.key == \"prop\" and .n == $n) | .sweep_ms | . * 10 | round / 10")
			[ $how = polled ] && sweep="$sweep ms" || sweep="-"
			w=$(q "select(.key == \"prop\" and .n == $n) | \"\(.create // [] | tostring) \(.mount // [] | tostring)\"" | head -1)
			echo "| $n | $how | ${v// / / } | ${l// / / } | $(q "select(.key == \"prop\" and .n == $n) | (.${pre}volume // [] | length) + (.${pre}lease // [] | length)") | $(q "select(.key == \"prop\" and .n == $n) | .$miss // \"-\"") | $sweep | $(stats <<<"${w%% *}" | awk '{ print $1 " / " $2 }') ; $(stats <<<"${w##* }" | awk '{ print $1 " / " $2 }') |"
		done
	done
	echo
	echo "### What following a change costs (node 1: ${ROUNDS} Creates, then as many Mounts, Unmounts and Removes, ${PAUSE} ms apart; nobody polls)"
	echo
	echo "Each kind on its own: ${ROUNDS} volumes made, then mounted, unmounted and removed, one change"
	echo "every ${PAUSE} ms; the idle figures (heartbeats, probes, pings) are taken off. Per mirroring node:"
	echo "beyond what the same change costs at N = 1 (node 1's write and its own reads), over N - 1;"
	echo "and as the mirroring daemons count their own reads (\`zkswarm_mirror_reads_total\`), which"
	echo "leaves out the heartbeats and probes that the idle figures only estimate."
	echo
	echo "| N | change | changes | ZK requests per change (all clients) | ZK requests per change per mirroring node (beyond N = 1's) | reads per change per mirroring node (the daemons' own count) | daemon CPU µs per change per mirroring node | ZK CPU ms per change ($MEMBERS servers) |"
	echo "|---|---|---|---|---|---|---|---|"
	for n in $NS; do
		changes_cost "$n" | jq -r --argjson n "$n" '"| \($n) | \(.kind) | \(.changes) | \(.total) | \(.requests // "-") | \(.reads // "-") | \(.us // "-") | \(.zk_ms) |"'
	done
	echo
	echo "### Load per change (node 1: Create+Remove pairs at 4 connections, ${SECS} s; the others mirror)"
	echo
	echo "| N | pairs/s | vs N=$base_n | ZK requests per write | per write per mirroring node | ZK CPU ms per write | idle ZK requests/s (heartbeats) |"
	echo "|---|---|---|---|---|---|---|"
	b=$(q "select(.key == \"write\" and .n == $base_n) | .iter_per_s" | head -1)
	bp=$(q "select(.key == \"write\" and .n == $base_n) | (.zk_packets - .idle_packets_per_s * .elapsed_ms / 1000) / (.requests_total)" | head -1)
	b=${b:-null} bp=${bp:-null} # no write runs (SCALE_PARTS without small): the rows below are empty
	for n in $NS; do
		q "select(.key == \"write\" and .n == $n)" | jq -r --argjson b "$b" --argjson bp "$bp" \
			'((.zk_packets - .idle_packets_per_s * .elapsed_ms / 1000) / .requests_total) as $pw |
			"| \(.n) | \(.iter_per_s) | \(.iter_per_s / $b * 100 | round / 100) | \($pw * 100 | round / 100) | \(if .n > 1 then (($pw - $bp) / (.n - 1) * 100 | round / 100) else "-" end) | \(.zk_cpu_ms / .requests_total * 100 | round / 100) | \(.idle_packets_per_s) |"'
	done
	echo
	echo "### Restart storms ($VOLS volumes mirrored by every node; ms until every node logged \`mirror: synced\` or \`mirror: caught up\`)"
	echo
	echo "| N | event | synced p50 / p99 / max | not synced | caught up (not resynced) | new sessions | expired | ZK CPU peak (% of a core, 3 servers) | ZK requests/s peak | ZK CPU total ms |"
	echo "|---|---|---|---|---|---|---|---|---|---|"
	for n in $NS; do
		for k in cold leader outage; do
			s=$(q "select(.key == \"storm\" and .n == $n and .kind == \"$k\") | .synced" | stats)
			q "select(.key == \"storm\" and .n == $n and .kind == \"$k\")" | jq -r --arg s "${s// / / }" \
				'"| \(.n) | \(.kind) | \($s) | \(.unsynced) | \(.caught_up // "-") | \(.sessions_new) | \(.expired) | \(.zk_cpu_peak_pct) | \(.zk_req_peak_per_s) | \(.zk_cpu_ms) |"'
		done
	done
	echo
	echo "cold: all N started at once (from the start); leader: the leader killed (from the kill);"
	echo "outage: the ensemble stopped ${OUTAGE} s, then started (member 1, then 2, then 3; times from the"
	echo "moment the first member served again as leader or follower, polled every 50 ms: quorum)."
	echo
	echo "### Memory ($VOLS volumes)"
	echo
	echo "| N | daemon RSS MB p50 / max | ZK watches (wchs, 3 servers) | ZK heap used MB (3 servers) | ZK connections |"
	echo "|---|---|---|---|---|"
	for n in $NS; do
		q "select(.key == \"mem\" and .n == $n)" | jq -r '"| \(.n) | \(.rss_kb[((.rss_kb | length) / 2 | floor)] / 1024 | . * 10 | round / 10) / \(.rss_kb[-1] / 1024 | . * 10 | round / 10) | \(.zk_watches) | \(.zk_heap_mb) | \(.zk_connections) |"'
	done
	echo
	targets
	echo "Uptime before each measurement (a shared machine):"
	echo
	q 'select(.key == "uptime") | "- \(.at): \(.uptime)"'
	echo
	[ -z "${SCALE_PRIOR:-}" ] || echo "Records marked prior (those of the parts not run now: $(jq -r 'select(.prior) | .key' "$R" | sort -u | paste -sd' ')) come from an earlier run, $SCALE_PRIOR."
	echo "\`bench/scale.sh\` (SCALE_NS=\"$NS\" SCALE_VOLUMES=$VOLS SCALE_PARTS=\"$PARTS\" SCALE_OBSERVERS=${OBSERVERS:-0} SCALE_PAUSE_MS=$PAUSE MIRROR_PACE_MS=${MIRROR_PACE_MS:-100}; servers' jute.maxbuffer=$JUTE), $DATE_START to $DATE_END; load average"
	local here ran
	here=$(git describe --always --dirty 2>/dev/null)
	ran=${SCALE_DAEMON:+$DAEMON (SCALE_DAEMON; this script from $here)}
	echo "$LOAD_START at the start, $LOAD_END at the end; daemon ${ran:-$here}."
}

# ---- the run ---------------------------------------------------------------------------------
if [ "$REPORT_ONLY" = 0 ]; then
	DATE_START=$(date -u '+%Y-%m-%d %H:%M:%S UTC')
	LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
	uptime_rec start
	log "ensemble: client ports $PORT-$((PORT + MEMBERS - 1)) ($OBSERVERS observers), quorum/election $PEER.. (heap $ZK_HEAP)"
	scripts/zk.sh ensemble-start "$ZKD" --base-port "$PORT" --peer-base "$PEER" --observers "$OBSERVERS" >&2
	if [[ " $PARTS " == *" small "* ]]; then for n in $NS; do small_tree "$n"; done; fi
	if [[ " $PARTS " == *" storms "* ]]; then
		big_tree
		for n in $NS; do storms "$n"; done
	fi
	scripts/zk.sh stop "$ZKD" >/dev/null
	DATE_END=$(date -u '+%H:%M:%S UTC')
	LOAD_END=$(cut -d' ' -f1-3 /proc/loadavg)
	declare -p NS VOLS PARTS JUTE OUTAGE SECS OBSERVERS DATE_START DATE_END LOAD_START LOAD_END | sed 's/^declare -- //' >"$W/meta.sh"
fi
report >"$W/scale.md"
[ -z "${SCALE_OUT:-}" ] || cp "$W/scale.md" "$SCALE_OUT"
cp "$R" "${SCALE_OUT:-$W/scale.md}.jsonl" 2>/dev/null || true
cat "$W/scale.md"
