#!/usr/bin/env bash
# bench/run.sh - zkswarm's benchmark (`make bench`; a measurement, never a test).
#
# Starts its own ZooKeeper (scripts/zk.sh, port 2199) and zkswarmd (a private
# copy of build/zkswarmd), and, for the end-to-end and DNS parts, a Docker engine
# if none answers (scripts/dockerd.sh); dnsmasq for the DNS section (Debian's
# dnsmasq-base; dnsperf, if installed, cross-checks dnsload there).  Measures the
# read path, the write path next to raw ZooKeeper writes, scale (10 / 1,000 /
# 10,000 volumes; a /16 pool at 1% and 90% fill), DNS answers next to dnsmasq's
# and Docker's, a configuration volume's change reaching 3 and 20 daemons next to
# a swarm config's update (on a one-node swarm of the engine), and end-to-end
# Docker operations against the engine's built-ins; profiles what misses its target (gdb stack sampling, valgrind's
# callgrind, ZooKeeper's packet counters); prints a table and writes
# BENCHMARKS.md.  Everything it starts is stopped at exit.
#
# Usage: bench/run.sh            (make bench builds the daemon and tools first)
#        bench/run.sh --report DIR   write the report again from a run kept with BENCH_KEEP=1
# Env:
#   BENCH_OUT          report file (default BENCHMARKS.md at the top of the checkout)
#   BENCH_WAIT_QUIET   seconds to wait at start for a 1-minute load average below
#                      BENCH_QUIET_LOAD (default 120; 0: do not wait)
#   BENCH_QUIET_LOAD   default 1.5
#   BENCH_SECS         measured seconds per load run (default 3, plus 1 s warm-up)
#   BENCH_E2E_N        iterations per end-to-end scenario (default 10)
#   BENCH_DOCKER       0 skips the end-to-end part (default 1)
#   BENCH_NOSYNC       0 skips the extra write runs on a forceSync=no ZooKeeper (default 1)
#   BENCH_PROFILE      auto (profile the misses; default), 1 (always), 0 (never)
#   BENCH_ZK_PORT      default 2199
#   BENCH_KEEP         1 keeps the work directory (raw results, logs, stack samples)
#   BENCH_BASELINE     another zkswarmd (an older build, say) that the burst section also
#                      runs, next to this one in the same run
#   BENCH_BURST_RECORDS  records of the burst (default 2000)
#   BENCH_DNS          0 skips the DNS section (default 1)
#   BENCH_DNS_N        names in the DNS section (default 1000)
#   BENCH_DNS_PORT     the daemon's DNS port (default 5397; dnsmasq's is the next one)
#   BENCH_CONFIG       0 skips the configuration section (default 1)
#   BENCH_CONFIG_N     puts per daemon count in the configuration section (default 30)
#   BENCH_CONFIG_SWARM_N  updates per Docker variant there (default 5)
#   BENCH_DASHBOARD    0 skips the dashboard section (default 1): build/bench/viewbuild (the
#                      cluster document at 1,000 and 10,000 volumes) and the page's first render
#                      in headless Chromium (tests/browser/bench_render.mjs; scripts/browser-deps.sh)
#   BENCH_SCALE        0 skips the cluster-scale section (default 1): bench/scale.sh, N standalone
#                      daemons on its own 3-server ensemble (ports 2230.., SCALE_* settings there)
#   BENCH_IMAGE        0 skips the image-volume section (default 1): bench/image.sh, fio into an
#                      image volume, a directory volume and Docker's local driver on one disk
#   BENCH_ONLY         dns, config, dashboard, scale or image: only that section; prints its part of the report (and writes
#                      it to BENCH_OUT only if BENCH_OUT is set), leaves BENCHMARKS.md alone
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
PROG=bench/run.sh
BUILD=${BUILD:-build}
LOADGEN=$top/$BUILD/bench/loadgen
ZKRAW=$top/$BUILD/bench/zkraw
DNSLOAD=$top/$BUILD/bench/dnsload
CFGWATCH=$top/$BUILD/bench/cfgwatch
VIEWBUILD=$top/$BUILD/bench/viewbuild
OUT=${BENCH_OUT:-$top/BENCHMARKS.md}
DO_DNS=${BENCH_DNS:-1}
DO_CONFIG=${BENCH_CONFIG:-1}
DO_DASHBOARD=${BENCH_DASHBOARD:-1}
DO_SCALE=${BENCH_SCALE:-1}
DO_IMAGE=${BENCH_IMAGE:-1}
ONLY=${BENCH_ONLY:-}
WAIT_QUIET=${BENCH_WAIT_QUIET:-120}
QUIET_LOAD=${BENCH_QUIET_LOAD:-1.5}
SECS=${BENCH_SECS:-3}
WARM=1
DUR=$((SECS + WARM))
E2E_N=${BENCH_E2E_N:-10}
DO_DOCKER=${BENCH_DOCKER:-1}
DO_NOSYNC=${BENCH_NOSYNC:-1}
PROFILE=${BENCH_PROFILE:-auto}
ZK_PORT=${BENCH_ZK_PORT:-2199}
ZK=127.0.0.1:$ZK_PORT
ROOT=/zkswarm-bench
NODE=bench-node
PLUGIN=zkswarm-bench
IMAGE=zkswarm-bb:latest
TUNNEL_IF=zkbnch0
TUNNEL_ADDR=198.18.3.77
NET_ZK_SUBNET=198.18.77.0/24
NET_BR_SUBNET=198.18.78.0/24
POOL_LOW=198.18.0.0/16  # 1% fill (a ZooKeeper record only: no kernel state)
POOL_HIGH=198.19.0.0/16 # write path, then 90% fill
CMDLINE="$0${*:+ $*}"
[ -z "${MAKELEVEL:-}" ] || CMDLINE="make bench ($CMDLINE)"
ENVLINE=$(env | grep -E '^BENCH_' | sort | tr '\n' ' ' || true)

log() { echo "[$(date +%H:%M:%S)] $*"; }
die() { echo "$PROG: $*" >&2; exit 1; }
case "$ONLY" in "" | dns | config | dashboard | scale | image) ;; *) die "BENCH_ONLY: dns, config, dashboard, scale or image, not $ONLY" ;; esac
now_ms() { date +%s%3N; }
load1() { cut -d' ' -f1 /proc/loadavg; }

REPORT_ONLY=""
if [ "${1:-}" = --report ]; then
	# Write the report again from a run kept with BENCH_KEEP=1 (its figures, not new ones).
	[ -f "${2:-}/meta.sh" ] || die "--report DIR: DIR must be a work directory kept with BENCH_KEEP=1"
	REPORT_ONLY=$(cd "$2" && pwd)
	BENCH_KEEP=1
	W=$REPORT_ONLY
	RESULTS=$W/results.jsonl
	NOTES=$W/notes.md
else
	for t in "$LOADGEN" "$ZKRAW" "$DNSLOAD" "$CFGWATCH" "$VIEWBUILD"; do [ -x "$t" ] || die "$t missing: run make bench-tools (or make bench)"; done
	[ -x "$BUILD/zkswarmd" ] || die "$BUILD/zkswarmd missing: run make"
	[ -x "$BUILD/zkswarmctl" ] || die "$BUILD/zkswarmctl missing: run make"
	[ "$(id -u)" = 0 ] || die "run as root (the daemon makes directories and, for Docker, links)"
	scripts/deps.sh --bench >/dev/null || die "scripts/deps.sh --bench failed"
	for c in jq gdb java; do command -v "$c" >/dev/null || die "$c is needed"; done
	W=$(mktemp -d /tmp/zkswarm-bench.XXXXXX)
	RESULTS=$W/results.jsonl
	NOTES=$W/notes.md
	: >"$RESULTS"
	: >"$NOTES"
	# A private copy of the daemon: build/ may be rebuilt by others while this runs.
	cp "$BUILD/zkswarmd" "$W/zkswarmd"
	cp "$BUILD/zkswarmctl" "$W/zkswarmctl"
	if [ -n "${BENCH_BASELINE:-}" ]; then
		cp "$BENCH_BASELINE" "$W/zkswarmd-baseline"
		"$W/zkswarmd-baseline" --version 2>&1 | head -n 1 >"$W/baseline-version" || true
	fi
	DAEMON_VERSION=$(git describe --always --dirty 2>/dev/null || echo unknown)
fi
DAEMON=$W/zkswarmd

# ---- cleanup ------------------------------------------------------------------------------
D_PID=""
ZK_DIR=""
ENGINE_STARTED=0
E2E_ACTIVE=0
engine_release() { # stop the engine this run started, unless someone else has started using it
	[ "$ENGINE_STARTED" = 1 ] || return 0
	if [ -z "$(docker ps -q 2>/dev/null)" ] && [ -z "$(docker plugin ls -q 2>/dev/null)" ]; then
		scripts/dockerd.sh stop --mark "$W/dockerd.started" >/dev/null 2>&1
	else
		echo "$PROG: leaving the Docker engine running: others use it now"
	fi
	ENGINE_STARTED=0
}
cleanup() {
	set +e
	[ -n "$D_PID" ] && daemon_stop
	declare -F dnsmasq_stop >/dev/null && dnsmasq_stop
	[ "${DNS_DOCKER_ACTIVE:-0}" = 1 ] && dns_docker_teardown
	[ "${#CFG_PIDS[@]}" -gt 0 ] && cfg_standalone_down
	[ "${CFG_ENGINE_ACTIVE:-0}" = 1 ] && cfg_engine_teardown
	[ "$E2E_ACTIVE" = 1 ] && e2e_teardown
	engine_release
	[ -n "$ZK_DIR" ] && scripts/zk.sh stop "$ZK_DIR" >/dev/null 2>&1
	if [ "${BENCH_KEEP:-0}" = 1 ]; then echo "$PROG: kept $W"; else rm -rf "$W"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---- ZooKeeper ------------------------------------------------------------------------------
zk_start() { # zk_start DIR [extra zoo.cfg lines]
	ZK_DIR=$1
	ZK_EXTRA_CFG=${2:-} scripts/zk.sh start "$ZK_DIR" --port "$ZK_PORT" --tick 2000 >/dev/null
}
zk_stop() { scripts/zk.sh stop "$ZK_DIR" >/dev/null; ZK_DIR=""; }
zk_mntr() { scripts/zk.sh mntr "$ZK_PORT" "$1" --timeout 10; } # zk_mntr KEY: its value, or nothing
zk_forcesync() { # what the running server's zoo.cfg says (ZooKeeper's default is yes)
	local v
	v=$(sed -n 's/^forceSync=//p' "$ZK_DIR/zoo.cfg" | tail -1)
	echo "${v:-yes (default; not set in zoo.cfg)}"
}

# ---- the daemon -----------------------------------------------------------------------------
D_SOCK=$W/zkswarm.sock
D_LOG=""
D_T0=0
D_N=0
# shellcheck disable=SC2086  # D_WRAP is a command prefix (valgrind ...), D_ENV more VAR=VALUE: split on purpose
daemon_start() { # daemon_start STATE_DIR [ZK_ROOT]: returns once the socket exists
	local st=$1 root=${2:-$ROOT}
	mkdir -p "$st" "$W/data" "$W/mnt"
	D_N=$((D_N + 1))
	D_LOG=$st/log.$D_N
	D_T0=$(now_ms)
	env ZK_HOSTS="$ZK" ZK_ROOT="$root" NODE_ID="$NODE" SOCKET="$D_SOCK" DATA_DIR="$W/data" \
		MOUNT_ROOT="$W/mnt" STATE_DIR="$st" REAPER_GRACE_MS=3600000 LOG_LEVEL=info \
		ZK_SESSION_TIMEOUT_MS=10000 ${D_ENV:-} ${D_WRAP:-} "$DAEMON" >"$D_LOG" 2>&1 &
	D_PID=$!
	for _ in $(seq 300); do [ -S "$D_SOCK" ] && return 0; sleep 0.02; done
	tail -5 "$D_LOG" >&2
	die "the daemon made no socket in 6 s"
}
# daemon_wait_synced TIMEOUT_S: wait until "mirror: synced" is logged; sets SYNC_WALL_MS (from exec)
# and SYNC_LOG_MS (the duration the line itself states); 1 on timeout (both "timeout").
SYNC_WALL_MS=""
SYNC_LOG_MS=""
daemon_wait_synced() {
	local deadline=$(($(now_ms) + $1 * 1000)) line
	SYNC_WALL_MS=timeout
	SYNC_LOG_MS=timeout
	while [ "$(now_ms)" -lt "$deadline" ]; do
		line=$(grep -a -m1 'mirror: synced' "$D_LOG" || true)
		if [ -n "$line" ]; then
			SYNC_WALL_MS=$(($(now_ms) - D_T0))
			SYNC_LOG_MS=$(sed -n 's/.* in \([0-9]*\) ms.*/\1/p' <<<"$line")
			return 0
		fi
		sleep 0.02
	done
	return 1
}
daemon_stop() {
	local pid=$D_PID
	[ -n "$pid" ] || return 0
	kill -TERM "$pid" 2>/dev/null || true
	for _ in $(seq 200); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
	kill -KILL "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
	D_PID=""
	rm -f "$D_SOCK"
}
rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$D_PID/status" 2>/dev/null || echo 0; }
# cpu_ms PID: user+system CPU time the process has used so far, in ms
cpu_ms() { awk -v hz="$(getconf CLK_TCK)" '{ printf "%d", ($14 + $15) * 1000 / hz }' "/proc/$1/stat" 2>/dev/null || echo 0; }
zk_pid() { cat "$ZK_DIR/pid" 2>/dev/null; }
# zk_mark: "PACKETS CPU_MS", ZooKeeper's counters now; zk_since MARK: what it did since, as JSON
zk_mark() {
	local p z
	p=$(zk_mntr zk_packets_received) z=$(cpu_ms "$(zk_pid)")
	echo "${p:-0} ${z:-0}"
}
zk_since() {
	local p0 z0 p1 z1
	read -r p0 z0 <<<"$1"
	read -r p1 z1 <<<"$(zk_mark)"
	printf '{"zk_packets":%d,"zk_cpu_ms":%d}' $((p1 - p0)) $((z1 - z0))
}

# one request, 0 on HTTP 200
call() { "$LOADGEN" -S "$D_SOCK" -n 1 --max-errors-shown 0 "$1 $2" >/dev/null 2>&1; }

# ms from the daemon's exec until a Get of NAME answers 200 (bounded by TIMEOUT_S)
until_get_ms() {
	local deadline=$(($(now_ms) + $2 * 1000))
	while [ "$(now_ms)" -lt "$deadline" ]; do
		if call VolumeDriver.Get "{\"Name\":\"$1\"}"; then echo $(($(now_ms) - D_T0)); return 0; fi
		sleep 0.02
	done
	echo "timeout"
}

# ---- load runs, recorded as JSON lines --------------------------------------------------------
# lg SECTION KEY LOADGEN-ARGS...: one loadgen run against the daemon, with the ZooKeeper packets
# and daemon CPU it took (PERF=1: also perf's software counters over the measured window).
lg() {
	local section=$1 key=$2 out mark zk c0 c1 perf_json='{}' perf_pid=""
	shift 2
	mark=$(zk_mark)
	c0=$(cpu_ms "$D_PID")
	if [ "${PERF:-0}" = 1 ] && [ "$HAVE_PERF" = 1 ]; then
		(sleep "$WARM"; perf stat -x, -e task-clock,context-switches -p "$D_PID" -- sleep "$SECS" \
			>/dev/null 2>"$W/perf.$key") &
		perf_pid=$!
	fi
	out=$("$LOADGEN" -S "$D_SOCK" --json --label "$key" "$@" 2>>"$W/loadgen.err") || true
	[ -n "$perf_pid" ] && wait "$perf_pid" 2>/dev/null
	c1=$(cpu_ms "$D_PID")
	zk=$(zk_since "$mark")
	if [ -z "$out" ]; then
		log "  $key: loadgen printed nothing (see below)"
		tail -3 "$W/loadgen.err"
		return 0
	fi
	if [ -n "$perf_pid" ] && [ -s "$W/perf.$key" ]; then
		perf_json=$(awk -F, '$3 == "task-clock" { tc = $1 } $3 == "context-switches" { cs = $1 }
			END { printf "{\"task_clock_ms\":%s,\"ctx_switches\":%s}", tc + 0, cs + 0 }' "$W/perf.$key")
	fi
	jq -c --arg s "$section" --argjson zk "$zk" --argjson cpu "$((c1 - c0))" \
		--argjson perf "$perf_json" --argjson load "$(load1)" \
		'. + {section: $s} + $zk + {daemon_cpu_ms: $cpu, perf: $perf, load1: $load}' \
		<<<"$out" >>"$RESULTS"
	jq -r '"  \(.label): \(.req_per_s) req/s, \(.iter_per_s) it/s, p50 \(.all.p50_us) us, p99 \(.all.p99_us) us, max \(.all.max_us) us, errors \(.errors)"' <<<"$out"
}
# raw SECTION KEY ZKRAW-ARGS...
raw() {
	local section=$1 key=$2 out mark zk
	shift 2
	mark=$(zk_mark)
	out=$("$ZKRAW" -z "$ZK" --json --label "$key" "$@" 2>>"$W/zkraw.err") || true
	zk=$(zk_since "$mark")
	if [ -z "$out" ]; then
		log "  $key: zkraw printed nothing"
		tail -3 "$W/zkraw.err"
		return 0
	fi
	jq -c --arg s "$section" --argjson zk "$zk" --argjson load "$(load1)" \
		'. + {section: $s} + $zk + {load1: $load}' <<<"$out" >>"$RESULTS"
	jq -r '"  \(.label): \(.ops_per_s) ops/s, \(.iter_per_s) it/s, p50 \(.all.p50_us) us, p99 \(.all.p99_us) us, errors \(.errors)"' <<<"$out"
}
rec() { # rec JSON: any other figure
	jq -c --argjson load "$(load1)" '. + {load1: $load}' <<<"$1" >>"$RESULTS"
}
# R KEY JQ-EXPR: a field of the last record with that label/key ("-" if none)
R() {
	local v
	v=$(jq -r --arg k "$1" "select(.label == \$k or .key == \$k) | $2" "$RESULTS" 2>/dev/null | tail -1) || true
	echo "${v:--}"
}

# the report's formats (a missing figure shows as "-")
verdict() { if [ "$1" = met ]; then echo "**met**"; else echo "**missed**"; fi; }
ms() { awk -v u="$1" 'BEGIN { if (u == "-" || u == "") print "-"; else if (u >= 100000) printf "%.0f", u / 1000; else if (u >= 1000) printf "%.1f", u / 1000; else printf "%.2f", u / 1000 }'; }
mb() { awk -v k="$1" 'BEGIN { if (k == "-" || k == "") print "-"; else printf "%.1f", k / 1024 }'; }
num() { awk -v x="$1" 'BEGIN { if (x == "-" || x == "") print "-"; else printf "%.0f", x }'; }

ratio_of() { # ratio_of DAEMON-KEY RAW-KEY: daemon iterations/s over raw iterations/s
	local a b
	a=$(R "$1" .iter_per_s)
	b=$(R "$2" .iter_per_s)
	awk -v a="$a" -v b="$b" 'BEGIN { if (a == "-" || b == "-" || b == 0) print "-"; else printf "%.2f", a / b }'
}

# ---- stack sampling (gdb), for what misses its target ----------------------------------------
# pmp PID SAMPLES OUT: collapsed stacks, one line per thread per sample:
#   "role :: innermost < caller < ..." (at most 10 frames; waiting primitives dropped), where role
#   is request (inside a handler), worker (the store's thread), zk-client (libzookeeper's threads),
#   or the thread's name
pmp() {
	local pid=$1 n=$2 out=$3
	: >"$out"
	for _ in $(seq "$n"); do
		timeout 30 gdb -batch -nx -p "$pid" /proc/"$pid"/exe -ex 'thread apply all bt 40' 2>/dev/null |
			awk '
			function flush(  role, s, i) {
				if (nf == 0) return
				role = name
				for (i = 1; i <= nf; i++) {
					if (fr[i] == "worker_main") role = "worker"
					else if (fr[i] == "zks_http_dispatch") role = "request"
					else if (fr[i] ~ /^(zookeeper_process|zookeeper_interest|do_io|do_completion)$/) role = "zk-client"
				}
				s = ""
				for (i = 1; i <= nf && i <= 10; i++) s = (s == "" ? fr[i] : s " < " fr[i])
				print role " :: " s
				nf = 0
			}
			/^Thread [0-9]+ / { flush(); match($0, /"[^"]*"/); name = substr($0, RSTART + 1, RLENGTH - 2); next }
			/^#[0-9]+ / { f = $0; sub(/^#[0-9]+ +(0x[0-9a-f]+ in )?/, "", f); sub(/ \(.*/, "", f)
				if (f ~ /^(__futex|__GI___futex|futex_|__pthread_cond_wait_common|___pthread_cond|pthread_cond_|__GI___pthread|___pthread_rwlock|__pthread_rwlock|start_thread|clone|clone3|__GI___clock_nanosleep|__GI___nanosleep|__libc_start|__lll_lock|lll_mutex)/) next
				fr[++nf] = f }
			END { flush() }' >>"$out"
		sleep 0.2
	done
}
# pmp_top FILE FILTER-REGEX N: the N most frequent stacks matching FILTER, with their share
pmp_top() { # [DEPTH]: cut stacks to their DEPTH innermost frames first (default 10)
	local total
	total=$(grep -cE "$2" "$1" || true)
	[ "${total:-0}" -gt 0 ] || { echo "    (no samples)"; return 0; }
	grep -E "$2" "$1" | sed 's/^[^:]*:: //' | awk -v d="${4:-10}" -F' < ' '{ s = $1; for (i = 2; i <= NF && i <= d; i++) s = s " < " $i; print s }' | sort | uniq -c | sort -rn | head -"$3" |
		awk -v t="$total" '{ c = $1; $1 = ""; printf "    %3d%% (%d/%d) %s\n", 100 * c / t, c, t, substr($0, 2) }'
}
pmp_share() { # pmp_share FILE FILTER-REGEX MATCH-REGEX: % of FILTER samples that match MATCH
	local total hit
	total=$(grep -cE "$2" "$1" || true)
	hit=$(grep -E "$2" "$1" | grep -cE "$3" || true)
	[ "${total:-0}" -gt 0 ] && echo $((100 * hit / total)) || echo 0
}
want_profile() { # want_profile VERDICT (missed/met; auto-...: whenever profiling is not off)
	[ "$PROFILE" = 1 ] || { [ "$PROFILE" = auto ] && { [ "$1" = missed ] || [ "${1#auto-}" != "$1" ]; }; }
}

# ---- DNS (issue 12): the daemon's DNS server next to dnsmasq and Docker's embedded DNS ---------
# DNS_N names, each with an A (bnI.zkswarm.) and an SRV (_80._tcp.bnI.zkswarm.) answer, in the
# daemon (records written into ZooKeeper by bench/dns_records.py, one kazoo session), in dnsmasq
# (--host-record, --srv-host; loopback only) and, as A only (network aliases; see the report),
# in Docker's embedded DNS (one container on a user-defined bridge network, the load run inside
# its network namespace against 127.0.0.11).  dnsload, A and SRV, at 1 and 8 clients each.
DNS_N=${BENCH_DNS_N:-1000}
DNS_PORT=${BENCH_DNS_PORT:-5397}
DNSMASQ_PORT=$((DNS_PORT + 1))
DNS_ROOT=$ROOT-dns
DNS_NET_SUBNET=198.18.79.0/24
DNSMASQ_PID=""
DNS_DOCKER_ACTIVE=0
DNS_DOCKER_STATUS="not measured (BENCH_DOCKER=0)"
# dns_answers SERVER FILE [PREFIX...]: 0 if every query of FILE is answered (one client, 0.3 s)
dns_answers() {
	local server=$1 file=$2
	shift 2
	"$@" "$DNSLOAD" -s "$server" -f "$file" -c 1 -d 0.3 -w 0 -T 200 >/dev/null 2>&1
}
# dns_wait TIMEOUT_S SERVER FILE [PREFIX...]: until dns_answers; 1 on timeout
dns_wait() {
	local deadline=$(($(now_ms) + $1 * 1000))
	shift
	while [ "$(now_ms)" -lt "$deadline" ]; do
		dns_answers "$@" && return 0
		sleep 0.1
	done
	return 1
}
# dl KEY SERVER FILE CLIENTS SERVER_PID [PREFIX...]: one dnsload run, recorded with the server's CPU
dl() {
	local key=$1 server=$2 file=$3 c=$4 spid=$5 out c0 c1
	shift 5
	c0=$(cpu_ms "$spid")
	out=$("$@" "$DNSLOAD" -s "$server" -f "$file" -c "$c" -d "$DUR" -w "$WARM" --json \
		--label "$key" 2>>"$W/dnsload.err") || true
	c1=$(cpu_ms "$spid")
	if [ -z "$out" ]; then
		log "  $key: dnsload printed nothing"
		tail -3 "$W/dnsload.err"
		return 0
	fi
	jq -c --argjson cpu "$((c1 - c0))" --argjson load "$(load1)" \
		'. + {section: "dns", server_cpu_ms: $cpu, load1: $load}' <<<"$out" >>"$RESULTS"
	jq -r '"  \(.label): \(.q_per_s) q/s, p50 \(.all.p50_us) us, p99 \(.all.p99_us) us, max \(.all.max_us) us, failures \(.failures)"' <<<"$out"
}
# dp KEY ADDR:PORT FILE [PREFIX...]: the cross-check, Debian's dnsperf (if installed) with 8 clients
# and 8 queries in flight, as dnsload at 8 clients; its queries/s, average and max latency
dp() {
	local key=$1 server=$2 file=$3 out
	shift 3
	command -v dnsperf >/dev/null || return 0
	out=$("$@" dnsperf -s "${server%:*}" -p "${server##*:}" -d "$file" -c 8 -q 8 -l "$SECS" 2>&1) || true
	awk -v k="$key" -v load="$(load1)" '
		/Queries sent:/ { sent = $3 } /Queries completed:/ { done = $3 } /Queries lost:/ { lost = $3 }
		/Queries per second:/ { qps = $4 }
		/Average Latency/ { avg = $4; max = $8; sub(/\)/, "", max) }
		END { if (qps != "") printf "{\"label\":\"%s\",\"section\":\"dns\",\"tool\":\"dnsperf\",\"sent\":%d,\"completed\":%d,\"lost\":%d,\"q_per_s\":%s,\"avg_us\":%d,\"max_us\":%d,\"load1\":%s}\n", k, sent, done, lost, qps, avg * 1e6, max * 1e6, load }' \
		<<<"$out" >>"$RESULTS"
	log "  $key (dnsperf): $(R "$key" .q_per_s) q/s, average $(R "$key" .avg_us) us, lost $(R "$key" .lost)"
}
dns_runs() { # dns_runs SERVER-TAG ADDR:PORT PID TYPES [PREFIX...]: each type in TYPES at 1 and 8 clients
	local tag=$1 server=$2 pid=$3 types=$4 t c
	shift 4
	for t in $types; do
		for c in 1 8; do dl "dns-$tag-$t-c$c" "$server" "$W/dns-$tag-$t.q" "$c" "$pid" "$@"; done
	done
	dp "dns-$tag-a-dnsperf" "$server" "$W/dns-$tag-a.q" "$@"
}
dnsmasq_stop() {
	[ -n "$DNSMASQ_PID" ] || return 0
	kill -TERM "$DNSMASQ_PID" 2>/dev/null || true
	wait "$DNSMASQ_PID" 2>/dev/null || true
	DNSMASQ_PID=""
}
dns_docker_teardown() {
	docker rm -f zkbench-dns >/dev/null 2>&1
	docker network rm zkbench-dns >/dev/null 2>&1
	DNS_DOCKER_ACTIVE=0
	return 0
}
# Docker's embedded DNS: one container with DNS_N network aliases dnI (A only: the engine has no SRV
# records for a container's exposed ports; probed once).  Leaves the engine running for the
# end-to-end part.
dns_docker() {
	local i args=() pid ns t0
	timeout 10 docker info >/dev/null 2>&1 || ENGINE_STARTED=1
	scripts/dockerd.sh start --mark "$W/dockerd.started" >/dev/null || return 1
	scripts/image.sh "$IMAGE" >/dev/null || return 1
	DNS_DOCKER_ACTIVE=1
	dns_docker_teardown
	DNS_DOCKER_ACTIVE=1
	docker network create -d bridge --subnet "$DNS_NET_SUBNET" zkbench-dns >/dev/null || return 1
	for ((i = 0; i < DNS_N; i++)); do args+=(--network-alias "dn$i"); done
	t0=$(now_ms)
	docker run -d --name zkbench-dns --network zkbench-dns "${args[@]}" "$IMAGE" sleep 3600 \
		>/dev/null || return 1
	pid=$(docker inspect -f '{{.State.Pid}}' zkbench-dns) || return 1
	ns=(nsenter "--net=/proc/$pid/ns/net")
	for ((i = 0; i < DNS_N; i++)); do echo "dn$i. A"; done >"$W/dns-docker-a.q"
	tail -n 1 "$W/dns-docker-a.q" >"$W/dns-docker-last.q"
	dns_wait 60 127.0.0.11:53 "$W/dns-docker-last.q" "${ns[@]}" || return 1
	log "  Docker: a container with $DNS_N aliases answered the last one $(($(now_ms) - t0)) ms after docker run"
	echo "_80._tcp.dn0. SRV" >"$W/dns-docker-srv1.q"
	if dns_answers 127.0.0.11:53 "$W/dns-docker-srv1.q" "${ns[@]}"; then DOCKER_SRV=yes; else DOCKER_SRV=no; fi
	dns_runs docker 127.0.0.11:53 "$(pidof dockerd | awk '{ print $1 }')" a "${ns[@]}"
	DOCKER_VERSION=$(docker version --format '{{.Server.Version}}' 2>/dev/null || echo unknown)
	dns_docker_teardown
}
dns_section() {
	local t0 last
	command -v dnsmasq >/dev/null || die "dnsmasq is needed for the DNS section (Debian: dnsmasq-base)"
	[ -x "$DNSLOAD" ] || die "$DNSLOAD missing: run make bench-tools"
	log "DNS: $DNS_N names (A and SRV) in the daemon, in dnsmasq and in Docker's embedded DNS"
	t0=$(now_ms)
	/usr/bin/python3 bench/dns_records.py "$ZK" "$DNS_ROOT" bench "$DNS_N" "$NODE" >"$W/dns-names" ||
		die "writing the DNS records failed"
	log "  wrote $DNS_N endpoint and name records in $(($(now_ms) - t0)) ms"
	awk '{ print $1 ".zkswarm. A" }' "$W/dns-names" >"$W/dns-zkswarm-a.q"
	awk '{ print "_80._tcp." $1 ".zkswarm. SRV" }' "$W/dns-names" >"$W/dns-zkswarm-srv.q"
	cp "$W/dns-zkswarm-a.q" "$W/dns-dnsmasq-a.q"
	cp "$W/dns-zkswarm-srv.q" "$W/dns-dnsmasq-srv.q"
	{ tail -n 1 "$W/dns-zkswarm-a.q"; tail -n 1 "$W/dns-zkswarm-srv.q"; } >"$W/dns-last.q"
	# the loopback listener only (DNS_NETWORKS=off: no listener on the bench network's gateway)
	D_ENV="DNS_LISTEN=127.0.0.1:$DNS_PORT DNS_NETWORKS=off" daemon_start "$W/st-dns" "$DNS_ROOT"
	daemon_wait_synced 60 || die "the daemon did not sync"
	dns_wait 30 "127.0.0.1:$DNS_PORT" "$W/dns-last.q" || die "the daemon's DNS does not answer the last name"
	log "  the daemon answers the last name $(($(now_ms) - D_T0)) ms after its start"
	dns_runs zkswarm "127.0.0.1:$DNS_PORT" "$D_PID" "a srv"
	daemon_stop
	awk '{ print "host-record=" $1 ".zkswarm," $2 "\nsrv-host=_80._tcp." $1 ".zkswarm," $1 ".zkswarm,80" }' \
		"$W/dns-names" >"$W/dnsmasq.conf"
	dnsmasq --keep-in-foreground --conf-file="$W/dnsmasq.conf" --port "$DNSMASQ_PORT" \
		--listen-address=127.0.0.1 --bind-interfaces --no-resolv --no-hosts --pid-file= \
		>"$W/dnsmasq.log" 2>&1 &
	DNSMASQ_PID=$!
	dns_wait 30 "127.0.0.1:$DNSMASQ_PORT" "$W/dns-last.q" || die "dnsmasq does not answer (see $W/dnsmasq.log)"
	DNSMASQ_VERSION=$(dnsmasq --version | awk 'NR == 1 { print "dnsmasq " $3 }')
	dns_runs dnsmasq "127.0.0.1:$DNSMASQ_PORT" "$DNSMASQ_PID" "a srv"
	dnsmasq_stop
	if [ "$DO_DOCKER" = 1 ]; then
		if dns_docker; then DNS_DOCKER_STATUS=ok; else
			DNS_DOCKER_STATUS="failed during set-up"
			dns_docker_teardown
		fi
	fi
	last=$(awk '$1 == "bn'"$((DNS_N - 1))"'" { print $2 }' "$W/dns-names")
	rec "{\"key\":\"dns\",\"names\":$DNS_N,\"last\":\"$last\",\"docker\":\"$DNS_DOCKER_STATUS\",\"docker_srv\":\"${DOCKER_SRV:-}\",\"dnsmasq\":\"${DNSMASQ_VERSION:-}\"}"
}

# dns_report: the DNS section of the report (markdown)
dns_report() {
	local s t c k rate p99 m tgt=met
	echo "## DNS: $(R dns .names) names, A and SRV"
	echo
	if [ "$(R dns .names)" = - ]; then
		echo "Not measured (BENCH_DNS=0)."
		return 0
	fi
	echo "| server | query | clients | queries/s | p50 µs | p99 µs | max µs | failures | server CPU ms/s | dnsload CPU s |"
	echo "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|"
	for s in "zkswarm|zkswarm (this daemon)" "dnsmasq|$(R dns .dnsmasq)" "docker|Docker's embedded DNS ($DOCKER_VERSION)"; do
		for t in a srv; do
			for c in 1 8; do
				k=dns-${s%%|*}-$t-c$c
				[ "$(R "$k" .clients)" != - ] || continue
				echo "| ${s#*|} | ${t^^} | $c | $(num "$(R "$k" .q_per_s)") | $(R "$k" .all.p50_us) | $(R "$k" .all.p99_us) | $(R "$k" .all.max_us) | $(R "$k" .failures) | $(jq -r --arg k "$k" 'select(.label == $k) | (.server_cpu_ms / (.window_s + '"$WARM"') | floor)' "$RESULTS" | tail -1) | $(R "$k" .dnsload_cpu_s) |"
			done
		done
	done
	echo
	echo "\`build/bench/dnsload\`: UDP, each client a thread with one query in flight, the $(R dns .names) names"
	echo "cycled through; $DUR s a run, the first $WARM s not counted; a query counts as answered with rcode"
	echo "NOERROR and an answer record (anything else, or no reply within 1 s, is a failure). Names:"
	echo "\`bnI.zkswarm.\` (A) and \`_80._tcp.bnI.zkswarm.\` (SRV), I < $(R dns .names), written into ZooKeeper"
	echo "(\`bench/dns_records.py\`) as endpoint and name records, and given to dnsmasq as \`host-record\` and"
	echo "\`srv-host\` (loopback, \`--no-resolv --no-hosts\`). Both servers are single-threaded."
	if [ "$(R dns .docker)" = ok ]; then
		echo "Docker's embedded DNS: one container on a user-defined bridge network with $(R dns .names)"
		echo "\`--network-alias\`es \`dnI\`, asked at 127.0.0.11 from inside the container's network namespace"
		echo "(\`nsenter --net\`). A only: the engine has no SRV records for a container's exposed ports"
		echo "(its SRV answers are for swarm services); probed in this run, \`_80._tcp.dn0\` SRV answered: $(R dns .docker_srv)."
		echo "*server CPU*: dockerd's, which also does its other work."
	else
		echo "Docker's embedded DNS: $(R dns .docker)."
	fi
	if [ "$(R dns-zkswarm-a-dnsperf .q_per_s)" != - ]; then
		echo
		echo "Cross-check with Debian's \`dnsperf\` (A, 8 clients on its default one thread, 8 queries in flight, $SECS s): zkswarm"
		echo "$(num "$(R dns-zkswarm-a-dnsperf .q_per_s)") q/s (average $(R dns-zkswarm-a-dnsperf .avg_us) µs), dnsmasq $(num "$(R dns-dnsmasq-a-dnsperf .q_per_s)") q/s ($(R dns-dnsmasq-a-dnsperf .avg_us) µs),"
		echo "Docker $(num "$(R dns-docker-a-dnsperf .q_per_s)") q/s ($(R dns-docker-a-dnsperf .avg_us) µs); lost $(R dns-zkswarm-a-dnsperf .lost), $(R dns-dnsmasq-a-dnsperf .lost), $(R dns-docker-a-dnsperf .lost)."
	fi
	echo
	local each=""
	for t in a srv; do
		for c in 1 8; do
			rate=$(R "dns-zkswarm-$t-c$c" .q_per_s) p99=$(R "dns-zkswarm-$t-c$c" .all.p99_us)
			m=$(R "dns-dnsmasq-$t-c$c" .q_per_s)
			each="$each ${t^^} at $c: $(num "$rate") against $(num "$m") q/s, p99 $p99 µs"
			if awk -v r="$rate" -v m="$m" -v p="$p99" \
				'BEGIN { exit !(r == "-" || m == "-" || r + 0 < m + 0 || p + 0 >= 1000) }'; then
				tgt=missed each="$each (missed);"
			else
				each="$each;"
			fi
		done
	done
	echo "Target (issue 12): at least dnsmasq's rate and p99 under 1 ms, A and SRV at 1 and 8 clients:"
	each=${each# }
	echo "$(verdict "$tgt") (${each%;})."
}

# ---- the plugin on the engine (the configuration and end-to-end parts) ------------------------
# plugin_up ZK_ROOT NODE_ID DIR: this daemon installed on the engine as the managed plugin $PLUGIN,
# as tests/e2e/plugin.sh does (its data and state under DIR; it advertises $TUNNEL_ADDR, on a
# veth of its own); plugin_down removes it, its volumes and the veth.
plugin_up() {
	local root=$1 node=$2 dir=$3
	plugin_down
	scripts/make-plugin.sh "$DAEMON" "$dir/bundle" >/dev/null || return 1
	echo "$PLUGIN $dir" >"$dir/bundle/rootfs/etc/zkswarm-bundle"
	ip link add "$TUNNEL_IF" type veth peer name "${TUNNEL_IF}p" && ip addr add "$TUNNEL_ADDR/32" dev "$TUNNEL_IF" &&
		ip link set "$TUNNEL_IF" up || return 1
	mkdir -p "$dir/data" "$dir/state"
	docker plugin create "$PLUGIN" "$dir/bundle" >/dev/null || return 1
	docker plugin set "$PLUGIN" ZK_HOSTS="$ZK" ZK_ROOT="$root" NODE_ID="$node" LOG_LEVEL=info \
		ADVERTISE_ADDR="$TUNNEL_ADDR" DEFAULT_POOL=198.19.240.0/20 data.source="$dir/data" \
		state.source="$dir/state" || return 1
	docker plugin enable "$PLUGIN" >/dev/null || return 1
}
plugin_down() {
	local v
	for v in $(docker volume ls -q --filter driver="$PLUGIN:latest" 2>/dev/null); do docker volume rm -f "$v" >/dev/null 2>&1; done
	docker plugin disable -f "$PLUGIN" >/dev/null 2>&1
	docker plugin rm -f "$PLUGIN" >/dev/null 2>&1
	ip link del "$TUNNEL_IF" 2>/dev/null
	return 0
}

# ---- configuration volumes (issue 13): a put's way to every node, next to a swarm config ------
# CONFIG_N puts of one file to a configuration volume that 3, then 20 standalone daemons (one
# ZooKeeper; each its own NODE_ID, socket, STATE_DIR, MOUNT_ROOT, DATA_DIR) have mounted through
# VolumeDriver.Mount.  build/bench/cfgwatch runs each `zkswarmctl config put` and times, from
# the command's start, when every node's mounted file has the new contents (inotify on each
# mount, a re-read every 10 ms as a safety net).  With Docker, on a one-node swarm of the
# bench's engine: 3 tasks of a service with a swarm config, updated CONFIG_SWARM_N times
# (`docker config create` + `docker service update --config-rm/--config-add`) at the default
# update settings and all at once; then 3 tasks of a service mounting a zkswarm configuration
# volume (the plugin on the engine), CONFIG_SWARM_N puts; both timed by bench/taskwatch.py.
CONFIG_N=${BENCH_CONFIG_N:-30}
CONFIG_SWARM_N=${BENCH_CONFIG_SWARM_N:-5}
CFG_ROOT=$ROOT-config
CFG_VOL=benchcfg
CFG_DIR=$W/cfg
CFG_PIDS=()
CFG_MOUNTED=() # "SOCKET ID" of each Mount made
CFG_ENGINE_ACTIVE=0
CFG_SWARM_INIT=0
CFG_GWBRIDGE_NEW=0
CFG_SVC_SW=zkbench-swcfg
CFG_SVC_ZK=zkbench-zkcfg
CFG_TASKS=3
# the tasks' command: idle, and gone at once on SIGTERM (sh as pid 1 ignores it untrapped)
CFG_TASK_CMD='trap "exit 0" TERM; while :; do sleep 1 & wait $!; done'
CFG_WHY="" # why the last part failed, for the notes
# cfg_fail MESSAGE: say why, and fail
cfg_fail() {
	CFG_WHY=$*
	log "  $*"
	return 1
}
ctl() { "$W/zkswarmctl" --zk-hosts "$ZK" "$@" 2>>"$CFG_DIR/ctl.err"; }
cfg_ctl_err() { grep -v '^Try ' "$CFG_DIR/ctl.err" | tail -1; } # the last error, not the usage hint
# cfg_content TAG: a configuration file of 40 lines (1.4 kB), different for every TAG
cfg_content() {
	local j
	echo "# zkswarm bench, put $1"
	for ((j = 1; j < 40; j++)); do printf 'setting_%02d = value-%s-%02d-abcdefgh\n' "$j" "$1" "$j"; done
}
# cfg_call SOCKET ENDPOINT JSON: POST to a daemon; prints the body; 0 for HTTP 200 with no Err
cfg_call() {
	local out code body
	out=$(curl -sS --max-time 30 --unix-socket "$1" -X POST --data-binary "$3" \
		-w '\n%{http_code}' "http://zkswarm/$2") || return 1
	code=${out##*$'\n'} body=${out%$'\n'*}
	printf '%s\n' "$body"
	[ "$code" = 200 ] && [ -z "$(jq -r '.Err // empty' <<<"$body" 2>/dev/null)" ]
}
# cfg_daemons FROM TO: start daemons cfgFROM..cfgTO, return once each has synced (60 s bound)
cfg_daemons() {
	local k i d
	for ((k = $1; k <= $2; k++)); do
		d=$CFG_DIR/d$k
		mkdir -p "$d/state" "$d/mnt" "$d/data"
		env ZK_HOSTS="$ZK" ZK_ROOT="$CFG_ROOT" NODE_ID="cfg$k" SOCKET="$d/s.sock" DATA_DIR="$d/data" \
			MOUNT_ROOT="$d/mnt" STATE_DIR="$d/state" REAPER_GRACE_MS=3600000 LOG_LEVEL=info \
			ZK_SESSION_TIMEOUT_MS=10000 "$DAEMON" >"$d/log" 2>&1 &
		CFG_PIDS+=($!)
	done
	for ((k = $1; k <= $2; k++)); do
		for ((i = 0; i < 300; i++)); do grep -q 'mirror: synced' "$CFG_DIR/d$k/log" && break; sleep 0.2; done
		[ "$i" -lt 300 ] || cfg_fail "daemon cfg$k did not sync in 60 s: $(tail -1 "$CFG_DIR/d$k/log")" || return 1
	done
}
# cfg_mount K: daemon K mounts the volume; appends the file's path in its mount to CFG_PATHS
cfg_mount() {
	local sock=$CFG_DIR/d$1/s.sock out mp
	out=$(cfg_call "$sock" VolumeDriver.Mount "{\"Name\":\"$CFG_VOL\",\"ID\":\"bench-$1\"}") ||
		cfg_fail "cfg$1: Mount failed: $out" || return 1
	CFG_MOUNTED+=("$sock bench-$1")
	mp=$(jq -r .Mountpoint <<<"$out")
	CFG_PATHS+=("$mp/app.conf")
}
# cfg_wait_current FILE: until every path in CFG_PATHS has FILE's contents (30 s bound)
cfg_wait_current() {
	local p i
	for p in "${CFG_PATHS[@]}"; do
		for ((i = 0; i < 300; i++)); do cmp -s "$p" "$1" && break; sleep 0.1; done
		[ "$i" -lt 300 ] || cfg_fail "$p did not have the contents put after 30 s" || return 1
	done
}
# cfg_puts TAG: CONFIG_N puts, each timed by cfgwatch on every path in CFG_PATHS
cfg_puts() {
	local tag=$1 i k out marks=()
	for ((k = 1; k <= tag; k++)); do marks[k]=$(wc -l <"$CFG_DIR/d$k/log"); done
	for ((i = 1; i <= CONFIG_N; i++)); do
		cfg_content "$tag-$i" >"$CFG_DIR/put.conf"
		# the head's znode (/configs/NAME under the root, configs.h): cfgwatch's own watch on it
		out=$("$CFGWATCH" --new "$CFG_DIR/put.conf" --label "cfg-$tag-$i" --zk "$ZK" \
			--znode "$CFG_ROOT/configs/$CFG_VOL" "${CFG_PATHS[@]}" -- \
			"$W/zkswarmctl" --zk-hosts "$ZK" --zk-root "$CFG_ROOT" config put "$CFG_VOL" \
			"app.conf=$CFG_DIR/put.conf" 2>>"$CFG_DIR/cfgwatch.err") || true
		[ -n "$out" ] || cfg_fail "cfg-$tag-$i: cfgwatch printed nothing: $(tail -1 "$CFG_DIR/cfgwatch.err")" || return 1
		jq -c --argjson load "$(load1)" --arg t "$tag" '. + {section: "config", set: $t, load1: $load}' \
			<<<"$out" >>"$RESULTS"
		# 0.3 s between puts: the next one starts after the nodes' reports of this one are written
		sleep 0.3
	done
	# each daemon's own account of each swap: `configs: ... (written in N ms)` (config_sync.c)
	for ((k = 1; k <= tag; k++)); do
		tail -n +$((marks[k] + 1)) "$CFG_DIR/d$k/log" | sed -n 's/.*configs: .* -> .*(written in \([0-9]*\) ms).*/\1/p'
	done | jq -sc --arg k "cfgw-$tag" --argjson load "$(load1)" '{key: $k, section: "config", written_ms: ., load1: $load}' >>"$RESULTS"
	log "  $tag: last node p50 $(cfg_stat "cfg-$tag-" '[.last_ms]' 50) ms, max $(cfg_stat "cfg-$tag-" '[.last_ms]' 100) ms; each node p99 $(cfg_stat "cfg-$tag-" '.nodes_ms' 99) ms"
}
# cfg_stat LABEL-PREFIX JQ-ARRAY P: the P-th percentile (100: max) of the values JQ-ARRAY gives over
# the records whose label starts with the prefix ("-" if none; "null" counts as missing)
cfg_stat() {
	jq -rs --arg k "$1" --argjson p "$3" 'map(select((.label // "") | startswith($k)) | '"$2"') | add // [] |
		map(select(. != null)) | sort | if length == 0 then "-" else
		.[(($p / 100 * (length - 1)) + 0.5 | floor)] | (. * 10 | round / 10 | tostring) end' "$RESULTS"
}
cfg_pcts() { echo "$(cfg_stat "$1" "$2" 50) / $(cfg_stat "$1" "$2" 99) / $(cfg_stat "$1" "$2" 100)"; } # p50 / p99 / max
cfg_written() { # cfg_written N: "p50 / p90 / max" of the daemons' own swap times with N daemons
	jq -r --arg k "cfgw-$1" 'select(.key == $k) | .written_ms | sort |
		if length == 0 then "-" else "\(.[length / 2 | floor]) / \(.[length * 9 / 10 | floor]) / \(.[-1])" end' "$RESULTS" | tail -1
}
cfg_sum() { # cfg_sum LABEL-PREFIX FIELD
	jq -rs --arg k "$1" --arg f "$2" 'map(select((.label // "") | startswith($k)) | .[$f] // 0) | add // 0' "$RESULTS"
}
cfg_count() { jq -rs --arg k "$1" 'map(select((.label // "") | startswith($k))) | length' "$RESULTS"; }
cfg_standalone_down() {
	local m p
	for m in "${CFG_MOUNTED[@]}"; do
		# shellcheck disable=SC2086  # "SOCKET ID"
		set -- $m
		cfg_call "$1" VolumeDriver.Unmount "{\"Name\":\"$CFG_VOL\",\"ID\":\"$2\"}" >/dev/null 2>&1
	done
	CFG_MOUNTED=()
	[ ${#CFG_PIDS[@]} -eq 0 ] ||
		cfg_call "$CFG_DIR/d1/s.sock" VolumeDriver.Remove "{\"Name\":\"$CFG_VOL\"}" >/dev/null 2>&1
	for p in "${CFG_PIDS[@]}"; do kill -TERM "$p" 2>/dev/null; done
	for p in "${CFG_PIDS[@]}"; do wait "$p" 2>/dev/null; done
	CFG_PIDS=()
	# whatever a daemon left mounted under the work directory (deepest first)
	awk -v d="$CFG_DIR/" 'index($2, d) == 1 { print $2 }' /proc/mounts | sort -r | xargs -r -n1 umount -l 2>/dev/null
	"$ZKRAW" -z "$ZK" rmr "$CFG_ROOT" >/dev/null 2>&1
	return 0
}
cfg_standalone() {
	local k
	CFG_PATHS=()
	cfg_daemons 1 3 || return 1
	cfg_call "$CFG_DIR/d1/s.sock" VolumeDriver.Create "{\"Name\":\"$CFG_VOL\",\"Opts\":{\"type\":\"config\"}}" >/dev/null ||
		cfg_fail "VolumeDriver.Create of a type=config volume failed" || return 1
	cfg_content initial >"$CFG_DIR/put.conf"
	ctl --zk-root "$CFG_ROOT" config put "$CFG_VOL" "app.conf=$CFG_DIR/put.conf" >/dev/null ||
		cfg_fail "zkswarmctl config put failed: $(cfg_ctl_err)" || return 1
	for k in 1 2 3; do cfg_mount "$k" || return 1; done
	cfg_wait_current "$CFG_DIR/put.conf" || return 1
	log "  3 daemons: $CONFIG_N puts"
	cfg_puts 3 || return 1
	cfg_daemons 4 20 || return 1
	for ((k = 4; k <= 20; k++)); do cfg_mount "$k" || return 1; done
	cfg_wait_current "$CFG_DIR/put.conf" || return 1
	log "  20 daemons: $CONFIG_N puts"
	cfg_puts 20 || return 1
}
# tw LABEL SERVICE NEW-FILE CMD...: one taskwatch run, recorded
tw() {
	local label=$1 svc=$2 new=$3 out
	shift 3
	out=$(/usr/bin/python3 bench/taskwatch.py --service "$svc" --tasks "$CFG_TASKS" --path /cfg/app.conf \
		--new "$new" --label "$label" -- "$@" 2>>"$CFG_DIR/taskwatch.err") || true
	[ -n "$out" ] || cfg_fail "$label: taskwatch printed nothing: $(tail -1 "$CFG_DIR/taskwatch.err")" || return 1
	jq -c --argjson load "$(load1)" '. + {section: "config", load1: $load}' <<<"$out" >>"$RESULTS"
	jq -r '"  \(.label): every task current after \(.last_ms) ms (command \(.cmd_ms) ms, rc \(.cmd_rc); \(.rounds) rounds of \(.round_ms) ms)"' <<<"$out"
	[ "$(jq -r .last_ms <<<"$out")" != null ] || cfg_fail "$label: not every task read the new contents within the bound"
}
cfg_svc_gone() { # cfg_svc_gone SERVICE: removed, and its containers gone (60 s bound)
	local i
	docker service rm "$1" >/dev/null 2>&1
	for ((i = 0; i < 300; i++)); do
		[ -z "$(docker ps -aq --filter "label=com.docker.swarm.service.name=$1")" ] && return 0
		sleep 0.2
	done
	return 1
}
# the engine's swarm: this engine's own one-node swarm (made here unless it is a manager already)
cfg_swarm_up() {
	case $(docker info --format '{{.Swarm.LocalNodeState}}') in
	active) [ "$(docker info --format '{{.Swarm.ControlAvailable}}')" = true ] ;;
	inactive)
		docker network inspect docker_gwbridge >/dev/null 2>&1 || CFG_GWBRIDGE_NEW=1
		docker swarm init --advertise-addr 127.0.0.1 --listen-addr 127.0.0.1:2377 \
			--default-addr-pool 198.19.252.0/22 >/dev/null || return 1
		CFG_SWARM_INIT=1
		;;
	*) return 1 ;;
	esac
}
cfg_swarm_configs() {
	local prev=zkbench-cfg-0 k=0 v i
	cfg_content sw-0 >"$CFG_DIR/sw-0.conf"
	docker config create "$prev" "$CFG_DIR/sw-0.conf" >/dev/null || cfg_fail "docker config create failed" || return 1
	tw cfgsw-create "$CFG_SVC_SW" "$CFG_DIR/sw-0.conf" docker service create --detach --quiet \
		--name "$CFG_SVC_SW" --replicas "$CFG_TASKS" --no-resolve-image --stop-grace-period 5s \
		--config "source=$prev,target=/cfg/app.conf,mode=0444" "$IMAGE" sh -c "$CFG_TASK_CMD" || return 1
	for v in default all; do
		[ "$v" = default ] || docker service update --detach --quiet --update-parallelism 0 \
			--update-order start-first "$CFG_SVC_SW" >/dev/null || return 1
		for ((i = 1; i <= CONFIG_SWARM_N; i++)); do
			k=$((k + 1))
			cfg_content "sw-$k" >"$CFG_DIR/sw-$k.conf"
			tw "cfgsw-$v-$i" "$CFG_SVC_SW" "$CFG_DIR/sw-$k.conf" sh -c "docker config create zkbench-cfg-$k '$CFG_DIR/sw-$k.conf' >/dev/null && docker service update --detach --quiet --config-rm $prev --config-add source=zkbench-cfg-$k,target=/cfg/app.conf,mode=0444 $CFG_SVC_SW >/dev/null" ||
				return 1
			docker config rm "$prev" >/dev/null 2>&1
			prev=zkbench-cfg-$k
		done
	done
	cfg_svc_gone "$CFG_SVC_SW"
}
cfg_engine_volume() {
	local vol=zkbench-ecfg i
	plugin_up "$CFG_ROOT-engine" bench-engine "$CFG_DIR/engine" || cfg_fail "installing the plugin failed" || return 1
	docker volume create -d "$PLUGIN:latest" -o type=config "$vol" >/dev/null 2>>"$CFG_DIR/ctl.err" ||
		cfg_fail "docker volume create -o type=config failed: $(cfg_ctl_err)" || return 1
	cfg_content e-0 >"$CFG_DIR/e-0.conf"
	ctl --zk-root "$CFG_ROOT-engine" config put "$vol" "app.conf=$CFG_DIR/e-0.conf" >/dev/null ||
		cfg_fail "zkswarmctl config put failed: $(cfg_ctl_err)" || return 1
	tw cfgzk-create "$CFG_SVC_ZK" "$CFG_DIR/e-0.conf" docker service create --detach --quiet \
		--name "$CFG_SVC_ZK" --replicas "$CFG_TASKS" --no-resolve-image --stop-grace-period 5s \
		--mount "type=volume,source=$vol,target=/cfg,volume-driver=$PLUGIN:latest,readonly" \
		"$IMAGE" sh -c "$CFG_TASK_CMD" || return 1
	for ((i = 1; i <= CONFIG_SWARM_N; i++)); do
		cfg_content "e-$i" >"$CFG_DIR/e-$i.conf"
		tw "cfgzk-put-$i" "$CFG_SVC_ZK" "$CFG_DIR/e-$i.conf" "$W/zkswarmctl" --zk-hosts "$ZK" \
			--zk-root "$CFG_ROOT-engine" config put "$vol" "app.conf=$CFG_DIR/e-$i.conf" || return 1
		sleep 0.3
	done
	cfg_svc_gone "$CFG_SVC_ZK"
}
cfg_engine_teardown() {
	local c
	cfg_svc_gone "$CFG_SVC_SW"
	cfg_svc_gone "$CFG_SVC_ZK"
	for c in $(docker config ls -q --filter name=zkbench-cfg- 2>/dev/null); do docker config rm "$c" >/dev/null 2>&1; done
	plugin_down
	"$ZKRAW" -z "$ZK" rmr "$CFG_ROOT-engine" >/dev/null 2>&1
	if [ "$CFG_SWARM_INIT" = 1 ]; then
		docker swarm leave --force >/dev/null 2>&1
		[ "$CFG_GWBRIDGE_NEW" = 0 ] || docker network rm docker_gwbridge >/dev/null 2>&1
		CFG_SWARM_INIT=0
	fi
	CFG_ENGINE_ACTIVE=0
	return 0
}
cfg_engine() {
	timeout 10 docker info >/dev/null 2>&1 || ENGINE_STARTED=1
	scripts/dockerd.sh start --mark "$W/dockerd.started" >/dev/null || return 1
	scripts/image.sh "$IMAGE" >/dev/null || return 1
	CFG_ENGINE_ACTIVE=1
	DOCKER_VERSION=$(docker version --format '{{.Server.Version}}' 2>/dev/null || echo unknown)
	cfg_swarm_up || cfg_fail "no one-node swarm on the engine (docker swarm init failed, or it is not a manager)" || return 1
	log "  a swarm config: $CFG_TASKS tasks, $CONFIG_SWARM_N updates at the default settings, $CONFIG_SWARM_N all at once"
	cfg_swarm_configs || return 1
	log "  a zkswarm configuration volume on the same engine: $CFG_TASKS tasks, $CONFIG_SWARM_N puts"
	cfg_engine_volume || return 1
}
config_section() {
	local st=ok est="BENCH_DOCKER=0"
	[ -x "$CFGWATCH" ] || die "$CFGWATCH missing: run make bench-tools"
	[ -x "$W/zkswarmctl" ] || die "$BUILD/zkswarmctl missing: run make"
	log "configuration volumes: $CONFIG_N puts with 3 and with 20 daemons"
	mkdir -p "$CFG_DIR"
	CFG_WHY=""
	cfg_standalone || st="failed: ${CFG_WHY:-see the log}"
	cfg_standalone_down || true
	if [ "$DO_DOCKER" = 1 ]; then
		CFG_WHY="" est=ok
		cfg_engine || est="failed: ${CFG_WHY:-see the log}"
		cfg_engine_teardown || true
	fi
	rec "$(jq -nc --argjson n "$CONFIG_N" --argjson sn "$CONFIG_SWARM_N" --argjson t "$CFG_TASKS" \
		--arg st "$st" --arg est "$est" --arg d "$DOCKER_VERSION" \
		'{key: "config", puts: $n, swarm_n: $sn, tasks: $t, standalone: $st, engine: $est, docker: $d}')"
}

# config_report: the configuration section of the report (markdown)
config_report() {
	local n p c
	echo "## Configuration volumes: from \`zkswarmctl config put\` to every node's file"
	echo
	if [ "$(R config .puts)" = - ]; then
		echo "Not measured (BENCH_CONFIG=0)."
		return 0
	fi
	echo "| daemons | puts | last node p50 / p99 / max ms | each node p50 / p99 / max ms | put command p50 / max ms | seen after an inotify event / a re-read | torn reads | never seen |"
	echo "|---:|---:|---:|---:|---:|---:|---:|---:|"
	for n in 3 20; do
		p=cfg-$n-
		[ "$(cfg_count "$p")" -gt 0 ] || continue
		echo "| $n | $(cfg_count "$p") | $(cfg_pcts "$p" '[.last_ms]') | $(cfg_pcts "$p" .nodes_ms) | $(cfg_stat "$p" '[.cmd_ms]' 50) / $(cfg_stat "$p" '[.cmd_ms]' 100) | $(cfg_sum "$p" via_inotify) / $(cfg_sum "$p" via_poll) | $(cfg_sum "$p" torn) | $(cfg_sum "$p" missing) |"
	done
	echo
	echo "The same puts from the moment ZooKeeper told a watcher of its own that the head had changed (the"
	echo "change committed; each node's mirror is told the same way), i.e. the nodes' part alone:"
	echo
	echo "| daemons | ZooKeeper's watch after the command's start p50 / max ms | last node after the watch p50 / p99 / max ms | each node after the watch p50 / p99 / max ms |"
	echo "|---:|---:|---:|---:|"
	for n in 3 20; do
		p=cfg-$n-
		[ "$(cfg_count "$p")" -gt 0 ] || continue
		# shellcheck disable=SC2016  # $z is jq's
		echo "| $n | $(cfg_stat "$p" '[.zk_ms]' 50) / $(cfg_stat "$p" '[.zk_ms]' 100) | $(cfg_pcts "$p" '[if .zk_ms and .last_ms then .last_ms - .zk_ms else null end]') | $(cfg_pcts "$p" '.zk_ms as $z | [.nodes_ms[] | if $z and . then . - $z else null end]') |"
	done
	echo
	echo "Standalone \`zkswarmd\` instances on one ZooKeeper (root \`$CFG_ROOT\`), each with its own NODE_ID,"
	echo "socket, STATE_DIR, MOUNT_ROOT and DATA_DIR, as in tests/integration/daemon.sh; the configuration"
	echo "volume made with VolumeDriver.Create (\`type=config\`) and mounted by every daemon with"
	echo "VolumeDriver.Mount over its socket; 3 daemons first, then 17 more. Each put is one"
	echo "\`zkswarmctl config put $CFG_VOL app.conf=FILE\` of a new 1.4 kB file (a new ZooKeeper session each,"
	echo "as an operator's command has). \`build/bench/cfgwatch\` starts the command and times, from"
	echo "just before it, when each node's file *in its mount* (MOUNT_ROOT/$CFG_VOL/app.conf) reads whole as the"
	echo "new contents: it watches every mount's directory with inotify and reads the files not yet new"
	echo "again on each event, and every 10 ms as a safety net (the column says which saw each node's"
	echo "file new first); the resolution is the wake-up after the event, tens of µs. *torn reads*: a"
	echo "read that gave neither the old nor the new contents (every read checked). *last node*: per"
	echo "put, the slowest of the nodes; *each node*: every node of every put. Puts are 0.3 s apart. The"
	echo "command's time includes its own ZooKeeper session (connect, read the head, upload the blob, commit"
	echo "one transaction; ZooKeeper fsyncs each write); the second table starts at the commit. With $(R config .puts)"
	echo "puts, a *last node* p99 is their largest. The daemons' own logs (\`configs: NAME version A -> B"
	echo "(written in N ms)\`: the blob read, the copy written, fsynced and swapped) said p50 / p90 / max"
	echo "$(cfg_written 3) ms over $(R cfgw-3 '.written_ms | length') swaps with 3 daemons, $(cfg_written 20) ms over $(R cfgw-20 '.written_ms | length') with 20: on $(nproc) cores,"
	echo "20 daemons write and fsync their copies at once (then each writes its report into ZooKeeper,"
	echo "which fsyncs it), next to ZooKeeper itself."
	local worst3 worst20 tgt=missed
	worst3=$(cfg_stat cfg-3- '[.last_ms]' 100) worst20=$(cfg_stat cfg-20- '[.last_ms]' 100)
	awk -v a="$worst3" -v b="$worst20" -v m="$(cfg_sum cfg- missing)" \
		'BEGIN { exit !(a != "-" && b != "-" && a < 1000 && b < 1000 && m == 0) }' && tgt=met
	echo
	echo "Target (issue 13): a change on every node within a second of the put: $(verdict "$tgt") (the slowest"
	echo "node of any put, from the command's start: $worst3 ms with 3 daemons, $worst20 ms with 20; never seen: $(cfg_sum cfg- missing))."
	[ "$(R config .standalone)" = ok ] || echo "Not complete: $(R config .standalone)"
	echo
	echo "### The same update through Docker, on a one-node swarm of the bench's engine"
	echo
	if [ "$(cfg_count cfgsw-)" = 0 ]; then
		echo "Not measured: $(R config .engine)"
		return 0
	fi
	[ "$(R config .engine)" = ok ] || { echo "Not complete: $(R config .engine)"; echo; }
	echo "| update | tasks | runs | every task reads it p50 / max ms | first task p50 ms | command p50 ms | poll round ms |"
	echo "|---|---:|---:|---:|---:|---:|---:|"
	for c in "cfgsw-default-|swarm config: \`docker config create\` + \`docker service update --config-rm/--config-add\`, default update settings (one task at a time, stop-first)" \
		"cfgsw-all-|swarm config, the same, all tasks at once (\`--update-parallelism 0 --update-order start-first\`)" \
		"cfgzk-put-|zkswarm configuration volume: \`zkswarmctl config put\` (the plugin on this engine)"; do
		p=${c%%|*}
		[ "$(cfg_count "$p")" -gt 0 ] || continue
		echo "| ${c#*|} | $(R config .tasks) | $(cfg_count "$p") | $(cfg_stat "$p" '[.last_ms]' 50) / $(cfg_stat "$p" '[.last_ms]' 100) | $(cfg_stat "$p" '[.tasks_ms | min]' 50) | $(cfg_stat "$p" '[.cmd_ms]' 50) | $(cfg_stat "$p" '[.round_ms]' 50) |"
	done
	echo
	echo "Docker $(R config .docker), its engine in a one-node swarm; $(R config .tasks) replicas of a busybox task (\`$IMAGE\`) that"
	echo "idles and exits at once on SIGTERM, so that no stop grace period is counted. The swarm config is"
	echo "mounted at /cfg/app.conf; the zkswarm volume at /cfg (\`--mount type=volume,...,volume-driver=$PLUGIN,readonly\`;"
	echo "the 3 tasks share the node's one copy). \`bench/taskwatch.py\` starts the command and polls until"
	echo "$(R config .tasks) running tasks of the service read the new contents and no other task runs: each round"
	echo "lists the service's running containers (the engine's API) and reads /cfg/app.conf through"
	echo "/proc/PID/root of each task's main process, i.e. in the task's own mount namespace (*poll round*:"
	echo "the mean length of a round, the resolution). A swarm update replaces every task (a new"
	echo "container with the new config); the zkswarm volume changes under the running tasks. Torn reads"
	echo "seen: $(cfg_sum cfgsw- torn) (swarm), $(cfg_sum cfgzk-put- torn) (zkswarm). The image is local and the"
	echo "machine has no registry: each new task's pull attempt fails at once (tens of ms, within the swarm"
	echo "figures) and the task runs the local image."
}

# ---- the dashboard (issue 14): one build of the cluster document, the page's first render -----
# dashboard_section: viewbuild at 1,000 and 10,000 volumes (50 nodes), then bench_render.mjs
# (10,000 volumes, 50 nodes, median of 5 cold loads in headless Chromium) if the browser
# tests' dependencies are there or can be installed.  Needs neither ZooKeeper nor the daemon.
dashboard_section() {
	local n out
	dashboard_readpath
	log "dashboard: the cluster document at scale (build/bench/viewbuild, best of 3)"
	for n in 1000 10000; do
		out=$("$VIEWBUILD" --volumes "$n" --nodes 50 --runs 3 --label "view-$n" 2>>"$W/viewbuild.err") ||
			log "  viewbuild at $n volumes: exit status $? ($(tail -1 "$W/viewbuild.err" 2>/dev/null))"
		[ -n "$out" ] || continue
		rec "$out"
		jq -r '"  \(.label): snapshot \(.take_ms) ms, view \(.build_ms) ms, text \(.print_ms) ms (\(.bytes) bytes), a change'"'"'s diff \(.diff_ms) ms"' <<<"$out"
	done
	log "dashboard: the page's first render in headless Chromium (tests/browser/bench_render.mjs)"
	if ! scripts/browser-deps.sh >"$W/browser-deps.log" 2>&1; then
		log "  not measured: scripts/browser-deps.sh failed ($(tail -1 "$W/browser-deps.log"))"
		return 0
	fi
	out=$(timeout 300 node tests/browser/bench_render.mjs --json --runs 5 --nodes 50 --volumes 10000 2>>"$W/render.err" | tail -1) || true
	if [ -z "$out" ] || ! jq -e . >/dev/null 2>&1 <<<"$out"; then
		log "  bench_render.mjs printed nothing usable: $(tail -1 "$W/render.err" 2>/dev/null)"
		return 0
	fi
	rec "$out"
	jq -r '"  first render: median \(.median_ms) ms (runs \(.runs | map(tostring) | join(", ")) ms)"' <<<"$out"
}

# dashboard_readpath: the plugin's read path (1,000 volumes) with no dashboard open, then with
# 20 open: each fetched the document once and keeps its event stream open and read, as a page
# does (the beats change the view every second while someone looks: a build and a change event
# to every stream each second).  A daemon of its own (DASHBOARD_ADDR on loopback).
dashboard_readpath() {
	local port=${BENCH_DASH_PORT:-9399} i c k th pids=() ev
	log "dashboard: the read path with 0 and 20 open dashboards (1,000 volumes)"
	D_ENV="DASHBOARD_ADDR=127.0.0.1:$port DASHBOARD_MAX_STREAMS=32" daemon_start "$W/st-dash" "$ROOT-dash"
	if ! daemon_wait_synced 30; then
		log "  the daemon did not sync: not measured"
		daemon_stop
		return 0
	fi
	"$LOADGEN" -S "$D_SOCK" -c 8 -t 2 -n 1000 'VolumeDriver.Create {"Name":"d%d"}' >/dev/null 2>>"$W/loadgen.err"
	for k in 0 20; do
		pids=()
		for ((i = 0; i < k; i++)); do
			curl -s --max-time 10 -o /dev/null "http://127.0.0.1:$port/api/v1/cluster"
			curl -sN --max-time 300 -o "$W/dash-stream.$i" "http://127.0.0.1:$port/api/v1/events" &
			pids+=($!)
		done
		for _ in $(seq 100); do
			[ "$k" = 0 ] || [ "$(grep -l 'event: hello' "$W"/dash-stream.* 2>/dev/null | wc -l)" -ge "$k" ] && break
			sleep 0.1
		done
		for c in 1 8; do
			th=1
			[ "$c" -gt 1 ] && th=2
			lg dashboard "dash-get-c$c-s$k" -c "$c" -t "$th" -d "$DUR" -w "$WARM" --rand 1000 'VolumeDriver.Get {"Name":"d%r"}'
			lg dashboard "dash-list-c$c-s$k" -c "$c" -t "$th" -d "$DUR" -w "$WARM" 'VolumeDriver.List {}'
		done
		if [ "$k" -gt 0 ]; then
			ev=$(cat "$W"/dash-stream.* | grep -c '^event: change' || true)
			rec "{\"key\":\"dash-streams\",\"streams\":$k,\"change_events\":$ev,\"open_at_end\":$(for p in "${pids[@]}"; do kill -0 "$p" 2>/dev/null && echo x; done | wc -l)}"
			log "  $k streams: $ev change events received in all"
			for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
			for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done # killed: 143
			rm -f "$W"/dash-stream.*
		fi
	done
	daemon_stop
}

# dashboard_report: the dashboard section of the report (markdown)
dashboard_report() {
	local n
	echo "## Dashboard: the cluster document and the page at scale"
	echo
	echo "| volumes | nodes | znodes | snapshot ms | view ms | text ms | document bytes | a change's diff ms | RSS MB |"
	echo "|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
	for n in 1000 10000; do
		echo "| $n | $(R "view-$n" .nodes) | $(R "view-$n" .znodes) | $(R "view-$n" .take_ms) | $(R "view-$n" .build_ms) | $(R "view-$n" .print_ms) | $(R "view-$n" .bytes) | $(R "view-$n" .diff_ms) | $(mb "$(R "view-$n" .rss_kb)") |"
	done
	echo
	echo "\`build/bench/viewbuild\` writes the cluster into the in-memory store (every node registered,"
	echo "with a membership, an endpoint, its name and an address in one network; every volume leased"
	echo "by one node, every 10th by two) and times, best of 3, what the dashboard's builder does on each"
	echo "change: the snapshot of the mirror (\`zks_snap_take\`), the document (\`zks_view_cluster\`), its"
	echo "text (served to every client), and the feed's diff of two documents one mount apart"
	echo "(\`zks_feed_diff\`, one item). The builder runs at most 4 times a second, off the request path."
	echo
	if [ "$(R render-10000 .median_ms)" != - ]; then
		echo "The page's first render at 10,000 volumes and 50 nodes in headless Chromium"
		echo "($(chromium --version 2>/dev/null | head -1 || echo chromium)): **median $(R render-10000 .median_ms) ms** from navigation start to the"
		echo "page's \`zks-rendered\` mark, 5 cold loads (a fresh browser context each; runs"
		echo "$(R render-10000 '.runs | map(tostring) | join(", ")') ms); medians: the document ($(R render-10000 .doc_bytes) bytes) asked at"
		echo "$(R render-10000 .doc_asked_ms) ms and received at $(R render-10000 .doc_received_ms) ms, app.js running at $(R render-10000 .script_ms) ms, the document"
		echo "parsed at $(R render-10000 .parsed_ms) ms. Served by tests/browser/fixture_server.py (the document the daemon's"
		echo "view makes, generated), so the figure is the page's, not the daemon's (\`tests/browser/bench_render.mjs\`)."
	else
		echo "The page's first render: not measured in this run (the browser tests' dependencies missing)."
	fi
	echo
	if [ "$(R dash-get-c1-s0 .req_per_s)" != - ]; then
		echo "The plugin's read path while dashboards are open (1,000 volumes; a daemon with \`DASHBOARD_ADDR\` on"
		echo "loopback; 20 open: each fetched the document once and reads its event stream, as a page does):"
		echo
		echo "| endpoint | conns | req/s, none open | req/s, 20 open | p50 µs (none / 20) | p99 µs (none / 20) | errors (none / 20) | daemon CPU µs/req (none / 20) |"
		echo "|---|---:|---:|---:|---:|---:|---:|---:|"
		local e c a b
		for e in get list; do
			for c in 1 8; do
				a=dash-$e-c$c-s0 b=dash-$e-c$c-s20
				echo "| VolumeDriver.${e^} | $c | $(num "$(R "$a" .req_per_s)") | $(num "$(R "$b" .req_per_s)") | $(R "$a" .all.p50_us) / $(R "$b" .all.p50_us) | $(R "$a" .all.p99_us) / $(R "$b" .all.p99_us) | $(R "$a" .errors) / $(R "$b" .errors) | $(jq -rs --arg a "$a" --arg b "$b" 'def u(k): (map(select(.label == k)) | last) as $r | if $r == null then "-" else ($r.daemon_cpu_ms * 1000 / ($r.req_per_s * '"$DUR"') | floor | tostring) end; "\(u($a)) / \(u($b))"' "$RESULTS") |"
			done
		done
		echo
		echo "The 20 streams received $(R dash-streams .change_events) change events in all over those runs (the beats change the"
		echo "view every second while someone looks); $(R dash-streams .open_at_end) of 20 were still open at the end."
	fi
}

HAVE_PERF=0
perf stat -e task-clock true >/dev/null 2>&1 && HAVE_PERF=1
HW_PERF="no"
if perf stat -x, -e instructions true 2>&1 | grep -q '^[0-9]'; then HW_PERF="yes"; fi

# =============================================================================================
if [ -z "$REPORT_ONLY" ]; then
log "zkswarm benchmark; work dir $W; daemon $DAEMON_VERSION"
LOAD_BEGIN=$(cut -d' ' -f1-3 /proc/loadavg)
WAITED=0
if [ "$WAIT_QUIET" -gt 0 ]; then
	t0=$(date +%s)
	while awk -v l="$(load1)" -v q="$QUIET_LOAD" 'BEGIN { exit !(l >= q) }'; do
		[ $(($(date +%s) - t0)) -lt "$WAIT_QUIET" ] || break
		log "load average $(load1) >= $QUIET_LOAD: waiting (at most ${WAIT_QUIET}s in all)"
		sleep 15
	done
	WAITED=$(($(date +%s) - t0))
fi
LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
T_BEGIN=$(date +%s)
DATE_START=$(date -u '+%Y-%m-%d %H:%M:%S UTC')
log "load average at start $LOAD_START (before waiting: $LOAD_BEGIN, waited ${WAITED}s)"

# The cluster-scale section runs its own ensemble and daemons (bench/scale.sh).
scale_section() {
	log "cluster scale (bench/scale.sh)"
	if ! SCALE_OUT="$W/scale.md" bench/scale.sh >"$W/scale.log" 2>&1; then
		tail -20 "$W/scale.log" >&2
		echo "bench/scale.sh failed (tail of its output above)" >"$W/scale.md"
	fi
}
scale_report() {
	echo "## Cluster scale"
	echo
	cat "$W/scale.md" 2>/dev/null || echo "(not measured)"
}
if [ "$ONLY" = scale ]; then
	scale_section
	scale_report >"$W/scale-section.md"
	[ -z "${BENCH_OUT:-}" ] || cp "$W/scale-section.md" "$BENCH_OUT"
	echo
	cat "$W/scale-section.md"
	exit 0
fi

# Image volumes' write throughput (bench/image.sh: its own ZooKeeper, daemon and fio runs).
image_section() {
	log "image volumes (bench/image.sh)"
	if ! bench/image.sh "$W/image.md" >"$W/image.log" 2>&1; then
		tail -20 "$W/image.log" >&2
		echo "bench/image.sh failed (tail of its output above)" >"$W/image.md"
	fi
}
if [ "$ONLY" = image ]; then
	image_section
	[ -z "${BENCH_OUT:-}" ] || cp "$W/image.md" "$BENCH_OUT"
	echo
	cat "$W/image.md"
	exit 0
fi

zk_start "$W/zk"
FORCESYNC=$(zk_forcesync)
log "ZooKeeper on $ZK, forceSync=$FORCESYNC"

if [ "$ONLY" = dashboard ]; then
	set +e
	dashboard_section
	zk_stop
	{
		dashboard_report
		echo
		echo "Measured on its own: \`$CMDLINE\`${ENVLINE:+ with \`$ENVLINE\`} (BENCH_ONLY=dashboard), $DATE_START to"
		echo "$(date -u '+%H:%M:%S UTC'); \`$DAEMON_VERSION\` (CFLAGS \`-O2 -g\`); $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //'),"
		echo "\`nproc\` = $(nproc). Load average $LOAD_START at the start, $(cut -d' ' -f1-3 /proc/loadavg) at the end (a shared 2-core machine)."
	} >"$W/dashboard.md"
	[ -z "${BENCH_OUT:-}" ] || cp "$W/dashboard.md" "$BENCH_OUT"
	echo
	cat "$W/dashboard.md"
	exit 0
fi

if [ "$ONLY" = dns ]; then
	DOCKER_VERSION="not measured"
	dns_section
	zk_stop
	set +e
	dns_report >"$W/dns.md"
	echo "(BENCH_ONLY=dns, $(date -u '+%Y-%m-%d %H:%M:%S UTC'), load average $(cut -d' ' -f1-3 /proc/loadavg))" >>"$W/dns.md"
	[ -z "${BENCH_OUT:-}" ] || cp "$W/dns.md" "$BENCH_OUT"
	echo
	cat "$W/dns.md"
	exit 0
fi
if [ "$ONLY" = config ]; then
	DOCKER_VERSION="not measured"
	config_section
	zk_stop
	set +e
	{
		config_report
		echo
		echo "Measured on its own: \`$CMDLINE\`${ENVLINE:+ with \`$ENVLINE\`} (BENCH_ONLY=config), $DATE_START to"
		echo "$(date -u '+%H:%M:%S UTC'); daemon and zkswarmctl \`$DAEMON_VERSION\` (CFLAGS \`-O2 -g\`); $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //'),"
		echo "\`nproc\` = $(nproc), kernel $(uname -r); ZooKeeper $(dpkg-query -W -f '${Version}' zookeeper 2>/dev/null || echo '?') (Debian) standalone on $ZK, forceSync=$FORCESYNC;"
		echo "Docker $DOCKER_VERSION. Load average $LOAD_START at the start, $(cut -d' ' -f1-3 /proc/loadavg) at the end (a shared 2-core machine)."
	} >"$W/config.md"
	[ -z "${BENCH_OUT:-}" ] || cp "$W/config.md" "$BENCH_OUT"
	echo
	cat "$W/config.md"
	exit 0
fi

# ---- read path --------------------------------------------------------------------------------
log "read path (10 volumes; $SECS s per run after ${WARM} s warm-up)"
daemon_start "$W/st-main"
daemon_wait_synced 30 || die "the daemon did not sync"
sleep 1
RSS_IDLE_EMPTY=$(rss_kb)
for i in $(seq 0 9); do call VolumeDriver.Create "{\"Name\":\"r$i\"}" || die "cannot create volume r$i"; done
sleep 1.5
RSS_IDLE=$(rss_kb)
rec "{\"key\":\"rss_idle\",\"rss_kb\":$RSS_IDLE,\"rss_empty_kb\":$RSS_IDLE_EMPTY}"
READS=(
	"get|VolumeDriver.Get {\"Name\":\"r%r\"}"
	"list|VolumeDriver.List {}"
	"path|VolumeDriver.Path {\"Name\":\"r%r\"}"
	"spaces|IpamDriver.GetDefaultAddressSpaces {}"
)
for r in "${READS[@]}"; do
	name=${r%%|*} step=${r#*|}
	for c in 1 8 64; do
		th=1
		[ "$c" -gt 1 ] && th=2
		PERF=1 lg read "read-$name-c$c" -c "$c" -t "$th" -d "$DUR" -w "$WARM" --rand 10 "$step"
	done
done
# At 1 connection every reply wakes the load tool on the other vCPU; on this VM an idle vCPU
# wakes slowly (perf: the daemon's samples in sendmsg's wake-up).  The same run with a busy
# loop keeping the other vCPU awake shows what that costs.
timeout $((DUR + 2)) sh -c 'while :; do :; done' &
spin=$!
lg read "read-get-c1-awake" -c 1 -t 1 -d "$DUR" -w "$WARM" --rand 10 'VolumeDriver.Get {"Name":"r%r"}'
kill "$spin" 2>/dev/null || true
wait "$spin" 2>/dev/null || true
echo "- At 1 connection, Get took p50 $(R read-get-c1 '.all.p50_us') µs ($(R read-get-c1 '.req_per_s | floor') req/s) on this VM; the same run with a busy loop keeping the other vCPU awake took p50 $(R read-get-c1-awake '.all.p50_us') µs ($(R read-get-c1-awake '.req_per_s | floor') req/s): each reply wakes the load tool, and waking an idle vCPU is what the difference costs (perf, on the daemon: a third of its samples in the wake-up inside \`sendmsg\`). Figures at 1 connection therefore depend on how busy the machine is." >>"$NOTES"
sleep 1
RSS_AFTER_READS=$(rss_kb)
rec "{\"key\":\"rss_after_reads\",\"rss_kb\":$RSS_AFTER_READS}"

# ---- write path -------------------------------------------------------------------------------
write_runs() { # write_runs SECTION TAG: daemon and raw ZooKeeper at 1, 8, 64
	local section=$1 tag=$2 c
	call IpamDriver.RequestPool "{\"Pool\":\"$POOL_HIGH\"}" || log "  RequestPool $POOL_HIGH failed"
	for c in 1 8 64; do
		lg "$section" "$tag-vol-c$c" -c "$c" -t 1 -d "$DUR" -w "$WARM" --tag "$tag$c" \
			'VolumeDriver.Create {"Name":"w%s-%d"}' 'VolumeDriver.Remove {"Name":"w%s-%d"}'
		raw "$section" "$tag-rawmulti-c$c" -c "$c" -d "$DUR" -w "$WARM" multipair "/zkraw-$tag-m$c-"
		lg "$section" "$tag-addr-c$c" -c "$c" -t 1 -d "$DUR" -w "$WARM" --capture Address \
			"IpamDriver.RequestAddress {\"PoolID\":\"$POOL_HIGH\"}" \
			"IpamDriver.ReleaseAddress {\"PoolID\":\"$POOL_HIGH\",\"Address\":\"%p\"}"
		raw "$section" "$tag-rawpair-c$c" -c "$c" -d "$DUR" -w "$WARM" --size 80 pair "/zkraw-$tag-p$c-"
	done
}
log "write path (forceSync=$FORCESYNC)"
write_runs write ws

# The verdict on writes decides whether they are profiled now, with this daemon.
WRITE_VERDICT=met
for c in 1 8 64; do
	for p in "vol rawmulti" "addr rawpair"; do
		# shellcheck disable=SC2086  # two words on purpose
		set -- $p
		r=$(ratio_of "ws-$1-c$c" "ws-$2-c$c")
		awk -v r="$r" 'BEGIN { exit !(r == "-" || r < 0.8) }' && WRITE_VERDICT=missed
	done
done
if want_profile "$WRITE_VERDICT"; then
	log "profiling the write path (gdb stack samples during Create+Remove at 8 connections)"
	"$LOADGEN" -S "$D_SOCK" -c 8 -d 14 --tag pw 'VolumeDriver.Create {"Name":"p%s-%d"}' \
		'VolumeDriver.Remove {"Name":"p%s-%d"}' >/dev/null 2>&1 &
	lgpid=$!
	sleep 1
	pmp "$D_PID" 10 "$W/pmp-write"
	wait "$lgpid" || true
fi
sleep 1
RSS_AFTER_WRITES=$(rss_kb)
rec "{\"key\":\"rss_after_writes\",\"rss_kb\":$RSS_AFTER_WRITES}"
daemon_stop

# ---- scale: volumes ---------------------------------------------------------------------------
log "scale: 10, 1,000 and 10,000 volumes"
have=10 # r0..r9 exist
for n in 10 1000 10000; do
	if [ "$n" -gt "$have" ]; then
		# b<i>, straight into ZooKeeper in the daemon's record format (the daemon is stopped)
		"$ZKRAW" -z "$ZK" -c 256 -n $((n - have)) --start $((have - 10)) fill-volumes "$ROOT" "$NODE" >/dev/null ||
			die "filling $n volumes failed"
		have=$n
	fi
	if [ "$n" = 10 ]; then last=r9 getstep='VolumeDriver.Get {"Name":"r%r"}' rand=10
	else last=b$((n - 11)) getstep='VolumeDriver.Get {"Name":"b%r"}' rand=$((n - 10)); fi
	# cold start: an empty state directory (no saved mirror), three times; the last one stays up
	colds=() cold_logs=() gets=() fenced=0 zkcpu=() dcpu=()
	for k in 1 2 3; do
		[ "$k" = 1 ] || daemon_stop
		zc0=$(cpu_ms "$(zk_pid)")
		daemon_start "$W/st-scale-$n-$k"
		daemon_wait_synced 120 || true
		# CPU used until synced: ZooKeeper's server and the daemon (both on this machine's cores)
		zkcpu+=($(($(cpu_ms "$(zk_pid)") - zc0))) dcpu+=("$(cpu_ms "$D_PID")")
		colds+=("$SYNC_WALL_MS") cold_logs+=("$SYNC_LOG_MS")
		gets+=("$(until_get_ms "$last" 30)")
		sleep 0.5
		fenced=$((fenced + $(grep -ac 'cut off for over' "$D_LOG" || true)))
	done
	sync_ms=$(printf '%s\n' "${colds[@]}" | sort -n | sed -n 2p)
	sync_log=$(printf '%s\n' "${cold_logs[@]}" | sort -n | sed -n 2p)
	get_ms=$(printf '%s\n' "${gets[@]}" | sort -n | sed -n 2p)
	rss_sync=$(rss_kb)
	log "  $n volumes: cold starts synced after ${colds[*]} ms (resync ${cold_logs[*]} ms), Get of $last after ${gets[*]} ms, RSS $rss_sync kB; CPU ms until synced: ZooKeeper ${zkcpu[*]}, daemon ${dcpu[*]}"
	lg scale "scale-get-$n" -c 1 -d "$DUR" -w "$WARM" --rand "$rand" "$getstep"
	lg scale "scale-list-$n" -c 1 -d "$DUR" -w "$WARM" 'VolumeDriver.List {}'
	lg scale "scale-write-$n" -c 1 -d "$DUR" -w "$WARM" --tag "s$n" \
		'VolumeDriver.Create {"Name":"s%s-%d"}' 'VolumeDriver.Remove {"Name":"s%s-%d"}'
	# Get while Create+Remove run on another connection (the mirror is saved, under its lock, while writes go on)
	"$LOADGEN" -S "$D_SOCK" -c 1 -d "$DUR" --tag "t$n" 'VolumeDriver.Create {"Name":"t%s-%d"}' \
		'VolumeDriver.Remove {"Name":"t%s-%d"}' >/dev/null 2>&1 &
	bg=$!
	lg scale "scale-getw-$n" -c 1 -d "$DUR" -w "$WARM" --rand "$rand" "$getstep"
	wait "$bg" || true
	sleep 1.2
	rss_load=$(rss_kb)
	daemon_stop
	# warm start: the same state directory, with the mirror saved by the last run
	daemon_start "$W/st-scale-$n-3"
	wget_ms=$(until_get_ms "$last" 30)
	daemon_wait_synced 120 || true
	wsync_ms=$SYNC_WALL_MS wsync_log=$SYNC_LOG_MS
	sleep 1
	rss_warm=$(rss_kb)
	sleep 0.5
	wfenced=$(grep -ac 'cut off for over' "$D_LOG" || true)
	log "  $n volumes: warm start answered Get after $wget_ms ms, synced after $wsync_ms ms, RSS $rss_warm kB"
	rec "{\"key\":\"scale-$n\",\"volumes\":$n,\"cold_sync_ms\":\"$sync_ms\",\"cold_sync_all\":\"${colds[*]}\",\"cold_resync_log_ms\":\"$sync_log\",\"cold_get_ms\":\"$get_ms\",\"cold_get_all\":\"${gets[*]}\",\"cold_zk_cpu_all\":\"${zkcpu[*]}\",\"cold_daemon_cpu_all\":\"${dcpu[*]}\",\"cold_fenced_logged\":$fenced,\"rss_sync_kb\":${rss_sync:-0},\"rss_load_kb\":${rss_load:-0},\"warm_get_ms\":\"$wget_ms\",\"warm_sync_ms\":\"$wsync_ms\",\"warm_resync_log_ms\":\"$wsync_log\",\"rss_warm_kb\":${rss_warm:-0},\"warm_fenced_logged\":${wfenced:-0}}"
	daemon_stop
done
STARTUP_MS=$(R scale-10000 .cold_sync_ms)
if want_profile "$(awk -v s="$STARTUP_MS" 'BEGIN { print (s == "timeout" || s + 0 >= 2000) ? "missed" : "met" }')"; then
	log "profiling the start-up with 10,000 volumes (gdb stack samples during the resync)"
	daemon_start "$W/st-prof-startup"
	sleep 0.3
	pmp "$D_PID" 8 "$W/pmp-startup"
	daemon_wait_synced 120 || true
	daemon_stop
fi

# ---- a burst: N mirrors while another client writes 2,000 volume records ----------------------
# (issue 10) N daemons mirror one root; zkraw writes BURST_RECORDS records (256 in flight);
# measured: until the slowest daemon lists them all, and how many fenced themselves.  With
# BENCH_BASELINE, that daemon runs the same bursts (key burst-base-N).
BURST_RECORDS=${BENCH_BURST_RECORDS:-2000}
burst_run() { # burst_run N DAEMON KEY
	local n=$1 bin=$2 key=$3 k pids=() socks=() t0 conv=() left i c fenced=0 zc0
	local root=/zkswarm-$key d=$W/$key
	for ((k = 1; k <= n; k++)); do
		mkdir -p "$d/d$k/mnt"
		env ZK_HOSTS="$ZK" ZK_ROOT="$root" NODE_ID="bn$k" SOCKET="$d/d$k/s.sock" \
			DATA_DIR="$W/data" MOUNT_ROOT="$d/d$k/mnt" STATE_DIR="$d/d$k" \
			REAPER_GRACE_MS=3600000 LOG_LEVEL=info ZK_SESSION_TIMEOUT_MS=4000 "$bin" \
			>"$d/d$k/log" 2>&1 &
		pids+=($!) socks+=("$d/d$k/s.sock")
	done
	for ((k = 1; k <= n; k++)); do # all synced (bounded: 60 s)
		for ((i = 0; i < 300; i++)); do grep -q 'mirror: synced' "$d/d$k/log" && break; sleep 0.2; done
	done
	zc0=$(cpu_ms "$(zk_pid)")
	t0=$(now_ms)
	"$ZKRAW" -z "$ZK" -c 256 -n "$BURST_RECORDS" --start 0 fill-volumes "$root" other >/dev/null ||
		log "  burst: zkraw failed"
	local wrote=$(($(now_ms) - t0))
	left=("${socks[@]}")
	for ((i = 0; i < 1500 && ${#left[@]} > 0; i++)); do # 200 ms apart: 300 s at most
		local still=()
		for k in "${left[@]}"; do
			c=$(curl -s --max-time 10 --unix-socket "$k" -X POST -d '{}' http://z/VolumeDriver.List | jq '.Volumes | length' 2>/dev/null)
			if [ "${c:-0}" -ge "$BURST_RECORDS" ]; then conv+=($(($(now_ms) - t0))); else still+=("$k"); fi
		done
		left=("${still[@]}")
		[ ${#left[@]} -eq 0 ] || sleep 0.2
	done
	local zkcpu=$(($(cpu_ms "$(zk_pid)") - zc0))
	for ((k = 1; k <= n; k++)); do
		fenced=$((fenced + $(grep -ac 'cut off for over' "$d/d$k/log" || true)))
	done
	for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null; done
	for p in "${pids[@]}"; do wait "$p" 2>/dev/null; done
	"$ZKRAW" -z "$ZK" rmr "$root" >/dev/null 2>&1 || true
	local sorted last median
	sorted=$(printf '%s\n' "${conv[@]}" | sort -n)
	last=$([ ${#left[@]} -eq 0 ] && tail -n 1 <<<"$sorted" || echo timeout)
	median=$(sed -n "$(( (${#conv[@]} + 1) / 2 ))p" <<<"$sorted")
	log "  $key: $BURST_RECORDS records written in $wrote ms; all mirrors converged after $last ms (median daemon ${median:-?} ms); fenced $fenced; ZooKeeper CPU $zkcpu ms"
	rec "{\"key\":\"$key\",\"daemons\":$n,\"records\":$BURST_RECORDS,\"write_ms\":$wrote,\"converged_ms\":\"$last\",\"median_ms\":\"${median:-}\",\"fenced_logged\":$fenced,\"zk_cpu_ms\":$zkcpu}"
}
log "burst: $BURST_RECORDS records while 1, 10 and 30 daemons mirror"
for n in 1 10 30; do
	burst_run "$n" "$DAEMON" "burst-$n"
	if [ -n "${BENCH_BASELINE:-}" ]; then burst_run "$n" "$W/zkswarmd-baseline" "burst-base-$n"; fi
done

# ---- scale: address allocation at 1% and 90% fill of a /16 -----------------------------------
log "scale: address allocation in a /16 at 1% and 90% fill"
IPROOT=$ROOT-ipam # its own root, without the 10,000 volumes
daemon_start "$W/st-ipam-0" "$IPROOT"
daemon_wait_synced 60 || die "no sync"
call IpamDriver.RequestPool "{\"Pool\":\"$POOL_LOW\"}" || die "RequestPool $POOL_LOW failed"
call IpamDriver.RequestPool "{\"Pool\":\"$POOL_HIGH\"}" || die "RequestPool $POOL_HIGH failed"
daemon_stop
# the lowest hosts taken, as serial allocation leaves a pool
t0=$(now_ms)
"$ZKRAW" -z "$ZK" -c 256 fill-addrs "$IPROOT" "$POOL_LOW" 1 "$NODE" first >/dev/null || die "fill 1% failed"
"$ZKRAW" -z "$ZK" -c 256 fill-addrs "$IPROOT" "$POOL_HIGH" 90 "$NODE" first >/dev/null || die "fill 90% failed"
log "  filled 655 + 58,982 address records in $(($(now_ms) - t0)) ms"
daemon_start "$W/st-ipam-1" "$IPROOT"
daemon_wait_synced 180 || true
isync_ms=$SYNC_WALL_MS
rss_ipam=$(rss_kb)
log "  daemon synced 59,637 address records after $isync_ms ms; RSS $rss_ipam kB"
rec "{\"key\":\"ipam-start\",\"sync_ms\":\"$isync_ms\",\"resync_log_ms\":\"$SYNC_LOG_MS\",\"rss_kb\":${rss_ipam:-0}}"
ipam_pairs() { # ipam_pairs POOL LOADGEN-ARGS...: RequestAddress+ReleaseAddress pairs in POOL
	local pool=$1
	shift
	"$@" --capture Address "IpamDriver.RequestAddress {\"PoolID\":\"$pool\"}" \
		"IpamDriver.ReleaseAddress {\"PoolID\":\"$pool\",\"Address\":\"%p\"}"
}
ipam_pairs "$POOL_LOW" lg ipam "ipam-1" -c 1 -d "$DUR"
# Profiled in the same order (1% first).
if want_profile auto-ipam; then
	log "profiling RequestAddress at 1% fill (gdb stack samples)"
	ipam_pairs "$POOL_LOW" "$LOADGEN" -S "$D_SOCK" -c 1 -d 10 >/dev/null 2>&1 &
	lgpid=$!
	sleep 0.5
	pmp "$D_PID" 8 "$W/pmp-ipam1"
	wait "$lgpid" || true
fi
# The first allocation after a start walks the cursor from the first host over the taken ones
# (one mirror lookup each), then the cursor stays past them: measured apart.
ipam_pairs "$POOL_HIGH" lg ipam "ipam-90-first" -c 1 -n 1
ipam_pairs "$POOL_HIGH" lg ipam "ipam-90" -c 1 -d "$DUR"
a1=$(R ipam-1 '.steps[0].latency.p50_us')
a90=$(R ipam-90 '.steps[0].latency.p50_us')
IPAM_VERDICT=$(awk -v a="$a1" -v b="$a90" 'BEGIN { print (a == "-" || b == "-" || b > 2 * a) ? "missed" : "met" }')
if want_profile "$IPAM_VERDICT"; then
	log "profiling RequestAddress at 90% fill (gdb stack samples)"
	ipam_pairs "$POOL_HIGH" "$LOADGEN" -S "$D_SOCK" -c 1 -n 4 >/dev/null 2>&1 &
	lgpid=$!
	sleep 0.5
	pmp "$D_PID" 8 "$W/pmp-ipam"
	wait "$lgpid" || true
else
	rm -f "$W/pmp-ipam1"
fi
daemon_stop

DOCKER_VERSION="not measured"
if [ "$DO_DNS" = 1 ]; then dns_section; fi
if [ "$DO_CONFIG" = 1 ]; then config_section; fi
if [ "$DO_DASHBOARD" = 1 ]; then dashboard_section; fi
if [ "$DO_SCALE" = 1 ]; then scale_section; fi
if [ "$DO_IMAGE" = 1 ]; then image_section; fi

# ---- end to end through Docker ---------------------------------------------------------------
e2e_teardown() {
	set +e
	docker network rm zkbench-net zkbench-bridge >/dev/null 2>&1
	plugin_down
	engine_release
	E2E_ACTIVE=0
	set -e
}
e2e_time() { # e2e_time KEY CMD...: ms of one run of CMD (shell code); "fail" on failure
	local t0
	t0=$(now_ms)
	if bash -c "$2" >>"$W/e2e.log" 2>&1; then echo $(($(now_ms) - t0)); else echo fail; fi
}
e2e_rec() { # e2e_rec KEY MS...: record the runs of one scenario with their median and mean
	local k=$1
	shift
	rec "$(printf '%s\n' "$@" | jq -Rsc --arg k "$k" 'split("\n") | map(select(length > 0)) |
		{key: $k, runs: ., ok: map(select(. != "fail") | tonumber) | sort} |
		. + {median_ms: (if (.ok | length) > 0 then .ok[(.ok | length) / 2 | floor] else null end),
		     mean_ms: (if (.ok | length) > 0 then ((.ok | add) / (.ok | length) | floor) else null end),
		     failures: ([.runs[] | select(. == "fail")] | length)}')"
}
e2e() {
	local i
	timeout 10 docker info >/dev/null 2>&1 || ENGINE_STARTED=1
	scripts/dockerd.sh start --mark "$W/dockerd.started" >/dev/null || return 1
	E2E_ACTIVE=1
	scripts/image.sh "$IMAGE" >/dev/null || return 1
	plugin_up "$ROOT-e2e" bench-e2e "$W/e2e" || return 1
	docker network create -d "$PLUGIN:latest" --ipam-driver "$PLUGIN:latest" --subnet "$NET_ZK_SUBNET" zkbench-net >/dev/null || return 1
	docker network create -d bridge --subnet "$NET_BR_SUBNET" zkbench-bridge >/dev/null || return 1
	# warm-up: one of each, not counted
	docker run --rm --network zkbench-net "$IMAGE" true >/dev/null 2>&1 || true
	docker run --rm --network zkbench-bridge "$IMAGE" true >/dev/null 2>&1 || true
	local vz=() vl=() nz=() nb=()
	for i in $(seq "$E2E_N"); do
		# interleaved, so that drift in the machine's load hits both sides alike
		vz+=("$(e2e_time vz "docker volume create -d $PLUGIN bz$i >/dev/null && docker run --rm --mount type=volume,source=bz$i,target=/data,volume-driver=$PLUGIN $IMAGE true && docker volume rm bz$i >/dev/null")")
		vl+=("$(e2e_time vl "docker volume create bl$i >/dev/null && docker run --rm --mount type=volume,source=bl$i,target=/data $IMAGE true && docker volume rm bl$i >/dev/null")")
		nz+=("$(e2e_time nz "docker run --rm --network zkbench-net $IMAGE true")")
		nb+=("$(e2e_time nb "docker run --rm --network zkbench-bridge $IMAGE true")")
	done
	e2e_rec e2e-vz "${vz[@]}"
	e2e_rec e2e-vl "${vl[@]}"
	e2e_rec e2e-nz "${nz[@]}"
	e2e_rec e2e-nb "${nb[@]}"
	DOCKER_VERSION=$(docker version --format '{{.Server.Version}}' 2>/dev/null || echo unknown)
	e2e_teardown
}
E2E_STATUS=skipped
if [ "$DO_DOCKER" = 1 ]; then
	log "end to end through Docker ($E2E_N iterations per scenario)"
	if e2e; then E2E_STATUS=ok; else
		E2E_STATUS="failed (see below)"
		echo "- The end-to-end part failed during set-up; last lines of its log: \`$(tail -3 "$W/e2e.log" 2>/dev/null | tr '\n`' '  ')\`" >>"$NOTES"
		e2e_teardown
	fi
	for v in vz vl nz nb; do log "  e2e-$v: median $(R "e2e-$v" .median_ms) ms ($(R "e2e-$v" .failures) failures)"; done
fi

# ---- read path under callgrind, if it missed -------------------------------------------------
g8=$(R read-get-c8 .req_per_s)
g8p99=$(R read-get-c8 .all.p99_us)
READ_VERDICT=$(awk -v r="$g8" -v p="$g8p99" 'BEGIN { print (r == "-" || r < 30000 || p >= 1000) ? "missed" : "met" }')
CALLGRIND=""
if want_profile "$READ_VERDICT" && command -v valgrind >/dev/null; then
	log "profiling the read path (callgrind: 20,000 Gets at 8 connections)"
	D_WRAP="valgrind --tool=callgrind --callgrind-out-file=$W/callgrind.out --collect-atstart=no" \
		daemon_start "$W/st-callgrind"
	if daemon_wait_synced 60; then
		for i in $(seq 0 9); do call VolumeDriver.Create "{\"Name\":\"r$i\"}" || true; done
		callgrind_control -i on "$D_PID" >/dev/null 2>&1 || true
		"$LOADGEN" -S "$D_SOCK" -c 8 -t 2 -n 20000 --rand 10 'VolumeDriver.Get {"Name":"r%r"}' >"$W/callgrind.lg" 2>&1 || true
		callgrind_control -i off "$D_PID" >/dev/null 2>&1 || true
	fi
	daemon_stop
	if [ -s "$W/callgrind.out" ]; then
		CALLGRIND=$W/callgrind.txt
		callgrind_annotate --threshold=95 "$W/callgrind.out" 2>/dev/null | head -60 >"$CALLGRIND" || true
	fi
fi

# ---- extra: writes on a ZooKeeper with forceSync=no -------------------------------------------
if [ "$DO_NOSYNC" = 1 ]; then
	log "extra: write path on a ZooKeeper with forceSync=no"
	zk_stop
	zk_start "$W/zk-nosync" "forceSync=no"
	daemon_start "$W/st-nosync"
	daemon_wait_synced 30 || die "no sync"
	write_runs nosync wn
	daemon_stop
fi
zk_stop
T_END=$(date +%s)
LOAD_END=$(cut -d' ' -f1-3 /proc/loadavg)
LOAD_MIN=$(jq -s 'map(.load1 // empty) | min' "$RESULTS")
LOAD_MAX=$(jq -s 'map(.load1 // empty) | max' "$RESULTS")
log "done in $((T_END - T_BEGIN)) s; load average now $LOAD_END"
# what the report needs besides results.jsonl, for --report
declare -p DATE_START T_BEGIN T_END CMDLINE ENVLINE DAEMON_VERSION LOAD_BEGIN LOAD_START LOAD_END \
	LOAD_MIN LOAD_MAX WAITED WAIT_QUIET QUIET_LOAD FORCESYNC DOCKER_VERSION E2E_STATUS E2E_N DO_NOSYNC \
	SECS WARM DUR RSS_IDLE RSS_IDLE_EMPTY RSS_AFTER_READS RSS_AFTER_WRITES STARTUP_MS WRITE_VERDICT \
	IPAM_VERDICT READ_VERDICT CALLGRIND a1 a90 g8 g8p99 HW_PERF >"$W/meta.sh"
else
	# shellcheck disable=SC1091
	. "$W/meta.sh"
	log "writing the report again from $W"
fi

# =============================================================================================
# The report (a missing figure shows as "-"; nothing here may end the run)
set +e
cpu_per_req() { # µs of daemon CPU per request (whole run, warm-up included)
	jq -r --arg k "$1" 'select(.label == $k) | if .requests_total > 0 then (.daemon_cpu_ms * 1000 / .requests_total | floor | tostring) else "-" end' "$RESULTS" | tail -1
}
lg_cpu() { jq -r --arg k "$1" 'select(.label == $k) | (.loadgen_cpu_s / .elapsed_s * 100 | floor | tostring) + "%"' "$RESULTS" | tail -1; }
csw_per_req() {
	jq -r --arg k "$1" 'select(.label == $k) | if (.perf.ctx_switches // 0) > 0 and .requests > 0 then (.perf.ctx_switches / .requests * 10 | floor / 10 | tostring) else "-" end' "$RESULTS" | tail -1
}

{
	echo "# zkswarm benchmarks"
	echo
	echo "Written by \`bench/run.sh\` (\`make bench\`); every figure below is from the run described here."
	echo "Figures are from a shared 2-core machine on which other work ran at the same time: read them"
	echo "as this run's, not as constants (see *How quiet the machine was*)."
	echo
	echo "## The run"
	echo
	echo "| | |"
	echo "|---|---|"
	echo "| date | $DATE_START ($((T_END - T_BEGIN)) s) |"
	echo "| command | \`$CMDLINE\`${ENVLINE:+ with \`$ENVLINE\`} |"
	echo "| daemon | \`$DAEMON_VERSION\` (\`$BUILD/zkswarmd\`, CFLAGS \`-O2 -g\`), LOG_LEVEL=info, session timeout 10 s |"
	echo "| CPU | $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //'), \`nproc\` = $(nproc) |"
	echo "| memory | $(free -h | awk '/^Mem:/ { print $2 " total, " $7 " available" }') |"
	echo "| kernel | $(uname -r) |"
	echo "| ZooKeeper | $(dpkg-query -W -f '${Version}' zookeeper 2>/dev/null || echo '?') (Debian), standalone on $ZK, tick 2000 ms, heap 256 MB, forceSync=$FORCESYNC |"
	echo "| Docker | $DOCKER_VERSION |"
	echo "| libraries | libzookeeper-mt2 $(dpkg-query -W -f '${Version}' libzookeeper-mt2 2>/dev/null), libmicrohttpd12 $(dpkg-query -W -f '${Version}' libmicrohttpd12 2>/dev/null), libcjson1 $(dpkg-query -W -f '${Version}' libcjson1 2>/dev/null), libcurl4 $(dpkg-query -W -f '${Version}' libcurl4 2>/dev/null) (load tool), $(cc --version | head -1) |"
	echo "| load average | $LOAD_BEGIN when called; $LOAD_START at start (after waiting ${WAITED} s for < $QUIET_LOAD, at most ${WAIT_QUIET} s); 1-minute value between $LOAD_MIN and $LOAD_MAX during the runs; $LOAD_END at the end |"
	echo "| tools | \`build/bench/loadgen\` (libcurl multi, keep-alive, over the unix socket; 1 thread at 1 connection, 2 threads above), \`build/bench/zkraw\` (one ZooKeeper handle, asynchronous calls, N in flight), \`build/bench/dnsload\` (DNS over UDP, one query in flight per client thread), \`build/bench/cfgwatch\` (inotify on every node's mounted config file around one command), \`bench/taskwatch.py\` (a swarm service's tasks' file through /proc/PID/root) |"
	echo
	echo "Each load run lasts $DUR s; the first $WARM s is not counted. Latencies are per request, measured by"
	echo "the load tool (send to reply). A *pair* is one iteration of two requests on one connection."
	echo

	echo "## Read path (10 volumes)"
	echo
	echo "| endpoint | conns | req/s | p50 µs | p99 µs | max µs | errors | daemon CPU µs/req | ctx switches/req | load tool CPU |"
	echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
	for r in "get|VolumeDriver.Get" "list|VolumeDriver.List" "path|VolumeDriver.Path" "spaces|IpamDriver.GetDefaultAddressSpaces"; do
		for c in 1 8 64; do
			k=read-${r%%|*}-c$c
			echo "| ${r#*|} | $c | $(num "$(R "$k" .req_per_s)") | $(R "$k" .all.p50_us) | $(R "$k" .all.p99_us) | $(R "$k" .all.max_us) | $(R "$k" .errors) | $(cpu_per_req "$k") | $(csw_per_req "$k") | $(lg_cpu "$k") |"
		done
	done
	echo
	echo "*daemon CPU µs/req*: the daemon's user+system time over the run divided by the requests; *load tool"
	echo "CPU*: the load generator's share of one core. Both processes share the machine's $(nproc) cores."
	echo

	write_table() { # write_table TAG
		local tag=$1 c
		echo "| pair | conns | daemon pairs/s | p50 ms (1st / 2nd) | p99 ms (1st / 2nd) | ZK packets/pair | raw ZK pairs/s | raw p50 / p99 ms | ratio |"
		echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|"
		for c in 1 8 64; do
			for p in "vol|rawmulti|Create+Remove volume|multi{create,create} + multi{delete,delete}" "addr|rawpair|RequestAddress+ReleaseAddress|create + delete"; do
				IFS='|' read -r d rw what rawwhat <<<"$p"
				k=$tag-$d-c$c
				rk=$tag-$rw-c$c
				pk=$(jq -r --arg k "$k" 'select(.label == $k) | if .requests_total > 0 then (.zk_packets / .requests_total * 2 * 10 | floor / 10 | tostring) else "-" end' "$RESULTS" | tail -1)
				echo "| $what | $c | $(num "$(R "$k" .iter_per_s)") | $(ms "$(R "$k" '.steps[0].latency.p50_us')") / $(ms "$(R "$k" '.steps[1].latency.p50_us')") | $(ms "$(R "$k" '.steps[0].latency.p99_us')") / $(ms "$(R "$k" '.steps[1].latency.p99_us')") | ${pk:--} | $(num "$(R "$rk" .iter_per_s)") ($rawwhat) | $(ms "$(R "$rk" .all.p50_us)") / $(ms "$(R "$rk" .all.p99_us)") | $(ratio_of "$k" "$rk") |"
			done
		done
	}
	echo "## Write path (forceSync=$FORCESYNC)"
	echo
	write_table ws
	echo
	echo "*raw ZK*: \`zkraw\` on the same ZooKeeper at the same concurrency, making the same writes the daemon"
	echo "makes for the pair (a volume's Create and Remove are one two-step transaction each; an address"
	echo "is claimed by one create and released by one delete). *ratio*: daemon pairs/s over raw pairs/s."
	echo "*ZK packets/pair*: requests ZooKeeper received per pair while the daemon ran it (\`mntr\`"
	echo "zk_packets_received; the raw pair is 2)."
	echo
	if [ "$DO_NOSYNC" = 1 ]; then
		echo "### Extra: the same on a ZooKeeper with forceSync=no (not the default; no fsync per write)"
		echo
		write_table wn
		echo
	fi

	echo "## Scale: volumes"
	echo
	echo "| volumes | Get p50 / p99 µs | Get p99 µs while writing | List p50 / p99 ms | Create+Remove pair p50 ms | cold start: synced ms (resync) | cold start: Get of the last volume ms | warm start: Get ms / synced ms | RSS MB after sync / after load / warm start |"
	echo "|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
	for n in 10 1000 10000; do
		k=scale-$n
		echo "| $n | $(R "scale-get-$n" .all.p50_us) / $(R "scale-get-$n" .all.p99_us) | $(R "scale-getw-$n" .all.p99_us) | $(ms "$(R "scale-list-$n" .all.p50_us)") / $(ms "$(R "scale-list-$n" .all.p99_us)") | $(ms "$(jq -r --arg k "scale-write-$n" 'select(.label == $k) | (.steps[0].latency.p50_us + .steps[1].latency.p50_us)' "$RESULTS" | tail -1)") | $(R "$k" .cold_sync_ms) ($(R "$k" .cold_resync_log_ms)) | $(R "$k" .cold_get_ms) | $(R "$k" .warm_get_ms) / $(R "$k" .warm_sync_ms) | $(mb "$(R "$k" .rss_sync_kb)") / $(mb "$(R "$k" .rss_load_kb)") / $(mb "$(R "$k" .rss_warm_kb)") |"
	done
	echo
	echo "Volumes beyond the first 10 are written straight into ZooKeeper by \`zkraw fill-volumes\` in the"
	echo "daemon's record format while the daemon is stopped. *cold start*: an empty state directory;"
	echo "*synced*: from exec until the log says \`mirror: synced N nodes ... in X ms\` (X in brackets);"
	echo "*warm start*: the same state directory, with the mirror the last run saved. *while writing*: Get at"
	echo "1 connection while Create+Remove pairs run on another. Idle RSS: $(mb "$RSS_IDLE_EMPTY") MB with no volume,"
	echo "$(mb "$RSS_IDLE") MB with 10; $(mb "$RSS_AFTER_READS") MB after the read runs (up to 64 connection threads), $(mb "$RSS_AFTER_WRITES") MB after the write runs."
	echo

	echo "## A burst: $(R burst-1 .records) volume records written by another client while N daemons mirror"
	echo
	echo "zkraw writes the records (256 in flight) under a root that 1, 10 or 30 daemons (session"
	echo "timeout 4 s) mirror; the time runs from the first write until the slowest daemon's List"
	echo "shows them all (issue 10: 4.6 s, 15 s, 42 s at 1, 10, 30 before reads were pipelined and"
	echo "every reply counted as contact)."
	echo
	echo "| daemon | daemons | written in | all mirrors converged | median daemon | fenced (log lines) | ZooKeeper CPU |"
	echo "|---|---:|---:|---:|---:|---:|---:|"
	for n in 1 10 30; do
		for key in "burst-$n" "burst-base-$n"; do
			[ "$(R "$key" .daemons)" != - ] || continue
			echo "| $([ "$key" = "burst-$n" ] && echo this || echo baseline) | $n | $(R "$key" .write_ms) ms | $(R "$key" .converged_ms) ms | $(R "$key" .median_ms) ms | $(R "$key" .fenced_logged) | $(R "$key" .zk_cpu_ms) ms |"
		done
	done
	if [ "$(R burst-base-1 .daemons)" != - ]; then
		echo
		echo "baseline: BENCH_BASELINE, $(cat "$W/baseline-version" 2>/dev/null || echo 'another build'), run in the same run."
	fi
	echo
	echo "## Scale: address allocation in a /16"
	echo
	echo "| fill | RequestAddress p50 ms | p99 ms | max ms | ReleaseAddress p50 ms | pairs/s |"
	echo "|---|---:|---:|---:|---:|---:|"
	for f in 1 90; do
		k=ipam-$f
		echo "| $f% ($([ "$f" = 1 ] && echo 655 || echo 58,982) of 65,534 hosts) | $(ms "$(R "$k" '.steps[0].latency.p50_us')") | $(ms "$(R "$k" '.steps[0].latency.p99_us')") | $(ms "$(R "$k" '.steps[0].latency.max_us')") | $(ms "$(R "$k" '.steps[1].latency.p50_us')") | $(R "$k" .iter_per_s) |"
	done
	echo
	echo "The pools are filled with \`zkraw fill-addrs\` (the lowest hosts, as serial allocation leaves a pool;"
	echo "records in the daemon's format, held by the daemon's own node) while the daemon is stopped; then"
	echo "one connection runs RequestAddress+ReleaseAddress pairs for $DUR s at each fill. The first allocation"
	echo "at 90% after the daemon's start, not counted above, took $(ms "$(R ipam-90-first '.steps[0].latency.p50_us')") ms: the per-subnet cursor starts at the"
	echo "first host and steps over the 58,982 taken ones (a mirror lookup each) once. The daemon's"
	echo "start-up with the 59,637 address records: synced after $(R ipam-start .sync_ms) ms, RSS $(mb "$(R ipam-start .rss_kb)") MB."
	echo

	dns_report
	echo
	config_report
	echo
	dashboard_report
	echo
	if [ "$DO_SCALE" = 1 ]; then
		scale_report
		echo
	fi
	if [ "$DO_IMAGE" = 1 ]; then
		cat "$W/image.md" 2>/dev/null || echo "## Image volumes: write throughput (not measured)"
		echo
	fi
	echo "## End to end through Docker"
	echo
	if [ "$E2E_STATUS" = ok ]; then
		echo "| scenario | zkswarm median ms (mean) | built-in median ms (mean) | ratio (medians) |"
		echo "|---|---:|---:|---:|"
		e2e_ratio() { awk -v a="$(R "$1" .median_ms)" -v b="$(R "$2" .median_ms)" 'BEGIN { if (a == "-" || b == "-" || a == "null" || b == "null" || b == 0) print "-"; else printf "%.2f", a / b }'; }
		echo "| \`docker volume create\` + \`docker run --rm --mount ...\` + \`docker volume rm\` (vs \`local\`) | $(R e2e-vz .median_ms) ($(R e2e-vz .mean_ms)) | $(R e2e-vl .median_ms) ($(R e2e-vl .mean_ms)) | $(e2e_ratio e2e-vz e2e-vl) |"
		echo "| \`docker run --rm ... true\` on a zkswarm network (vs a \`bridge\` network) | $(R e2e-nz .median_ms) ($(R e2e-nz .mean_ms)) | $(R e2e-nb .median_ms) ($(R e2e-nb .mean_ms)) | $(e2e_ratio e2e-nz e2e-nb) |"
		echo
		echo "$E2E_N iterations each, interleaved (zkswarm, local, zkswarm network, bridge network, repeat), after"
		echo "one unmeasured warm-up run; failures: $(R e2e-vz .failures), $(R e2e-vl .failures), $(R e2e-nz .failures), $(R e2e-nb .failures). Networks: zkswarm $NET_ZK_SUBNET,"
		echo "bridge $NET_BR_SUBNET; the plugin is installed as in tests/e2e/plugin.sh under the name \`$PLUGIN\`,"
		echo "on the same ZooKeeper (root \`$ROOT-e2e\`). Image: \`$IMAGE\` (static busybox)."
	else
		echo "Not measured: $E2E_STATUS."
	fi
	echo

	# ---- targets
	t_read=$READ_VERDICT
	t_write=$WRITE_VERDICT
	gp10=$(R scale-get-10 .all.p50_us) gp10k=$(R scale-get-10000 .all.p50_us)
	gq10=$(R scale-get-10 .all.p99_us) gq10k=$(R scale-get-10000 .all.p99_us)
	t_flat=$(awk -v a="$gp10" -v b="$gp10k" -v c="$gq10" -v d="$gq10k" 'BEGIN { print (a == "-" || b == "-" || b > 1.5 * a + 5 || d > 2 * c + 50) ? "missed" : "met" }')
	t_ipam=$IPAM_VERDICT
	t_rss_idle=$(awk -v k="$RSS_IDLE" 'BEGIN { print (k < 20 * 1024) ? "met" : "missed" }')
	rss10k=$(jq -r 'select(.key == "scale-10000") | [.rss_sync_kb, .rss_load_kb, .rss_warm_kb] | max' "$RESULTS" | tail -1)
	t_rss_10k=$(awk -v k="$rss10k" 'BEGIN { print (k != "" && k < 100 * 1024) ? "met" : "missed" }')
	t_start=$(awk -v s="$STARTUP_MS" 'BEGIN { print (s == "timeout" || s == "-" || s + 0 >= 2000) ? "missed" : "met" }')
	rv=$(awk -v a="$(R e2e-vz .median_ms)" -v b="$(R e2e-vl .median_ms)" 'BEGIN { if (a == "-" || b == "-" || a == "null" || b == "null" || b == 0) print "-"; else printf "%.2f", a / b }')
	rn=$(awk -v a="$(R e2e-nz .median_ms)" -v b="$(R e2e-nb .median_ms)" 'BEGIN { if (a == "-" || b == "-" || a == "null" || b == "null" || b == 0) print "-"; else printf "%.2f", a / b }')
	t_e2e=$(awk -v a="$rv" -v b="$rn" 'BEGIN { print (a == "-" || b == "-") ? "not measured" : (a <= 1.5 && b <= 1.5) ? "met" : "missed" }')
	wr=""
	for c in 1 8 64; do wr="$wr c$c: $(ratio_of "ws-vol-c$c" "ws-rawmulti-c$c") / $(ratio_of "ws-addr-c$c" "ws-rawpair-c$c");"; done
	echo "## Targets (issue 6)"
	echo
	echo "| target | measured | verdict |"
	echo "|---|---|---|"
	echo "| read path ≥ 30,000 req/s at 8 connections, p99 < 1 ms | Get $(num "$g8") req/s, p99 $g8p99 µs (List $(num "$(R read-list-c8 .req_per_s)"), Path $(num "$(R read-path-c8 .req_per_s)"), GetDefaultAddressSpaces $(num "$(R read-spaces-c8 .req_per_s)") req/s) | $(verdict "$t_read") |"
	echo "| writes ≥ 80% of raw ZooKeeper | daemon/raw, volume pairs / address pairs:$wr | $(verdict "$t_write") |"
	echo "| Get latency flat from 10 to 10,000 volumes | p50 $gp10 → $gp10k µs, p99 $gq10 → $gq10k µs (while writing: p99 $(R scale-getw-10 .all.p99_us) → $(R scale-getw-10000 .all.p99_us) µs) | $(verdict "$t_flat") |"
	echo "| allocation at 90% fill ≤ 2× the cost at 1% | RequestAddress p50 $(ms "$a1") ms at 1%, $(ms "$a90") ms at 90% | $(verdict "$t_ipam") |"
	echo "| idle RSS < 20 MB | $(mb "$RSS_IDLE") MB (10 volumes, just started) | $(verdict "$t_rss_idle") |"
	echo "| RSS < 100 MB at 10,000 volumes | $(mb "$rss10k") MB (highest of after sync, after load, warm start) | $(verdict "$t_rss_10k") |"
	echo "| start-up with 10,000 volumes < 2 s | cold: synced after $STARTUP_MS ms; warm (saved mirror): Get answered after $(R scale-10000 .warm_get_ms) ms, synced after $(R scale-10000 .warm_sync_ms) ms | $(verdict "$t_start") |"
	echo "| end-to-end within 1.5× of the built-ins | volume ${rv}×, container start ${rn}× | $(if [ "$t_e2e" = "not measured" ]; then echo "not measured"; else verdict "$t_e2e"; fi) |"
	echo

	# ---- evidence for the misses
	echo "## What bounds the misses (measured in this run)"
	echo
	echo "Hardware counters: $HW_PERF (\`perf stat -e instructions true\`); so the profiles are gdb stack"
	echo "samples of all threads (wall clock: where threads wait, not only where they compute), valgrind's"
	echo "callgrind for CPU, perf's software counters, and ZooKeeper's own request counters."
	echo
	if [ -s "$W/pmp-write" ]; then
		echo "### Writes"
		echo
		echo "Request threads (connection threads inside a handler) during Create+Remove at 8 connections,"
		echo "$(grep -c '^request ::' "$W/pmp-write" || true) thread samples:"
		echo
		echo '```'
		pmp_top "$W/pmp-write" '^request ::' 6
		echo '```'
		echo
		echo "The store's worker thread (\`worker_main\`), same samples:"
		echo
		echo '```'
		pmp_top "$W/pmp-write" '^worker ::' 6
		echo '```'
		echo
		pk() { jq -r --arg k "$1" 'select(.label == $k) | if .requests_total > 0 then (.zk_packets / .requests_total * 2 * 10 | floor / 10 | tostring) else "-" end' "$RESULTS" | tail -1; }
		zbusy() { jq -r --arg k "$1" 'select(.label == $k) | if (.zk_cpu_ms // 0) > 0 then (.zk_cpu_ms / 10 / ((.elapsed_s // '"$((SECS + WARM))"')) | floor | tostring) else "-" end' "$RESULTS" | tail -1; }
		echo "$(pmp_share "$W/pmp-write" "^request ::" zoo_multi)% of the request-thread samples are in \`zoo_multi\`, waiting for ZooKeeper to"
		echo "answer the write. A request does not wait for the store's worker thread: the writer applies its"
		echo "acknowledged write to the mirror itself (\`apply_write\`, src/store/zk.c), and a volume's Remove,"
		echo "an address's allocation and its release are one transaction each when the mirror is current."
		echo "What separates the daemon from raw ZooKeeper is the mirror's upkeep on the same session:"
		echo "ZooKeeper received $(pk ws-vol-c1) requests per volume pair and $(pk ws-addr-c1) per address pair at 1 connection"
		echo "(\`mntr\` zk_packets_received), where the writes are 2: after each write the worker reads every"
		echo "node it created (data and children, which arms both watches) and lists again every parent whose"
		echo "children changed (ZooKeeper's watches fire once, and only a read sets them again). The server"
		echo "was busy $(zbusy ws-vol-c8)% of a core during the daemon's volume pairs at 8 connections and $(zbusy ws-rawmulti-c8)% during the raw"
		echo "pairs, against $(zbusy ws-vol-c1)% and $(zbusy ws-rawmulti-c1)% at 1 connection (its CPU time over the run; $(nproc) cores"
		echo "shared with the daemon and the load tools)."
		# CPU per pair (ms) of a process over a run: its CPU time / the pairs made in the whole run
		per_pair() { jq -r --arg k "$1" --arg f "$2" 'select(.label == $k) | if (.[$f] // 0) > 0 then (.[$f] / (.iter_per_s * (.elapsed_s // '"$((SECS + WARM))"')) * 1000 | floor / 1000 | tostring) else "-" end' "$RESULTS" | tail -1; }
		echo "CPU per volume pair at 8 connections: ZooKeeper's server $(per_pair ws-vol-c8 zk_cpu_ms) ms (raw pair: $(per_pair ws-rawmulti-c8 zk_cpu_ms) ms),"
		echo "the daemon $(per_pair ws-vol-c8 daemon_cpu_ms) ms (HTTP, JSON, the volume's directory made and removed, the mirror),"
		echo "the load tool $(jq -r 'select(.label == "ws-vol-c8") | (.loadgen_cpu_s / (.iter_per_s * .elapsed_s) * 1000000 | floor / 1000 | tostring)' "$RESULTS" | tail -1) ms; per address pair (no directory) the daemon $(per_pair ws-addr-c8 daemon_cpu_ms) ms and the server"
		echo "$(per_pair ws-addr-c8 zk_cpu_ms) ms. On $(nproc) cores shared by all of them, that CPU per pair is what bounds pairs/s: raw"
		echo "ZooKeeper pays only the server's share (and zkraw's)."
		if [ "$DO_NOSYNC" = 1 ]; then
			echo "Without fsync in ZooKeeper (forceSync=no) raw pairs/s at 1 connection went from $(num "$(R ws-rawmulti-c1 .iter_per_s)") to"
			echo "$(num "$(R wn-rawmulti-c1 .iter_per_s)") and the daemon's from $(num "$(R ws-vol-c1 .iter_per_s)") to $(num "$(R wn-vol-c1 .iter_per_s)")."
		fi
		a64=$(pk ws-addr-c64) a1p=$(pk ws-addr-c1)
		if awk -v a="$a64" -v b="$a1p" 'BEGIN { exit !(a != "-" && b != "-" && a > 2 * b) }'; then
			echo "At 64 connections address pairs cost $a64 ZooKeeper requests each (against $a1p at 1): concurrent"
			echo "requests still collide on candidates (\`address_any\`, src/core/ipam.c) and retry after \`ZNODEEXISTS\`."
		fi
		echo
	fi
	if [ -s "$W/pmp-ipam" ]; then
		echo "### Allocation at 90% fill"
		echo
		echo "Worker thread during RequestAddress+ReleaseAddress at 90% fill:"
		echo
		echo '```'
		pmp_top "$W/pmp-ipam" '^worker ::' 5
		echo '```'
		echo
		echo "Request threads:"
		echo
		echo '```'
		pmp_top "$W/pmp-ipam" '^request ::' 4
		echo '```'
		echo
		if [ -s "$W/pmp-ipam1" ]; then
			echo "For comparison, the worker thread during pairs at 1% fill (same daemon, same mirror):"
			echo
			echo '```'
			pmp_top "$W/pmp-ipam1" '^worker ::' 5 10
			echo '```'
			echo
			ms_share=$(pmp_share "$W/pmp-ipam1" '^worker ::' mirror_save)
			rc_share=$(pmp_share "$W/pmp-ipam1" '^worker ::' refresh_children)
			echo "During the 1% run the daemon used $(jq -r 'select(.label == "ipam-1") | (.daemon_cpu_ms / 10 / .elapsed_s | floor)' "$RESULTS" | tail -1)% of a core; ${ms_share}% of these worker samples are in"
			echo "\`mirror_save\` (with 59,637 address records in the mirror, every second with a change re-encodes"
			echo "the whole mirror as one cJSON document and rewrites \`mirror.json\`) and ${rc_share}% in \`refresh_children\`."
			echo
		fi
		echo "Address records are grouped by /24, so each allocation or release makes the mirrors list at"
		echo "most 256 names again whatever the fill (before the grouping, 58,982 here: 31 ms a pair at"
		echo "90% against 1.3 ms at 1%). The samples above show where the rest of the difference goes."
		echo
	fi
	if [ -s "$W/pmp-startup" ]; then
		echo "### Start-up with 10,000 volumes"
		echo
		echo "Worker thread during the first resync (20,000-odd nodes):"
		echo
		echo '```'
		pmp_top "$W/pmp-startup" '^worker ::' 6 3
		echo '```'
		echo
		rs=$(R scale-10000 .cold_resync_log_ms)
		zc=$(R scale-10000 .cold_zk_cpu_all) dc=$(R scale-10000 .cold_daemon_cpu_all) ca=$(R scale-10000 .cold_sync_all)
		echo "\`resync\` (src/store/zk.c) reads the tree level by level with up to 512 asynchronous reads in"
		echo "flight, each arming the watch that keeps the mirror current afterwards: a volume's data and its"
		echo "\`leases\`' children (its children are named, not listed: docs/DESIGN.md, *What is watched*),"
		echo "~20,000 reads for 10,000 volumes; ${rs} ms"
		echo "here (the median of three cold starts: ${ca} ms until synced). Until synced, ZooKeeper's server"
		zper=$(awk -v l="$zc" 'BEGIN { n = split(l, a, " "); s = 0; for (i = 1; i <= n; i++) s += a[i]; if (n) printf "%.0f", s / n * 1000 / 20000; else print "?" }')
		echo "used ${zc} ms of CPU and the daemon ${dc} ms in those three starts, on $(nproc) cores: the"
		echo "server's ~${zper} µs of CPU per read, with the daemon beside it, is what bounds the resync here, not"
		echo "round trips (one synchronous read after another took 3,312 ms before the reads were pipelined)."
		echo "A warm start answers Get from the saved mirror at once (marked stale until synced). During the"
		echo "resync, each level ZooKeeper answers counts as contact for the fencing clock."
		fl=$(( $(R scale-10000 .cold_fenced_logged) + $(R scale-10000 .warm_fenced_logged) ))
		if [ "$fl" -gt 0 ]; then
			echo "The 10,000-volume starts logged \`cut off for over 2/3 of the session timeout\` $fl time(s)."
		fi
		echo
	fi
	if [ -n "$CALLGRIND" ] && [ -s "$CALLGRIND" ]; then
		echo "### Read path"
		echo
		echo "callgrind over 20,000 Gets at 8 connections (instructions, exclusive, by function; the"
		echo "daemon's process only):"
		echo
		echo '```'
		sed -n '/^-\+$/,$p' "$CALLGRIND" | grep -E '^ *[0-9,]+ ' | head -25
		echo '```'
		echo
		tot=$(grep -m1 -E '^ *[0-9,]+ .*PROGRAM TOTALS' "$CALLGRIND" | awk '{ gsub(",", "", $1); print $1 }')
		[ -n "$tot" ] && echo "$(awk -v t="$tot" 'BEGIN { printf "%.0f", t / 20000 }') instructions per Get in the daemon."
		echo "Per request the daemon also spent $(cpu_per_req read-get-c8) µs of CPU and $(csw_per_req read-get-c8) context switches (perf) at 8"
		echo "connections, and the load tool $(lg_cpu read-get-c8) of a core: on $(nproc) cores shared with the load tool"
		echo "(and with the others' work on this machine), that CPU per request is what bounds req/s."
		echo
	fi
	if [ -s "$NOTES" ]; then
		echo "## Notes"
		echo
		cat "$NOTES"
		echo
	fi
	echo "## How quiet the machine was"
	echo
	echo "Other engineers' tests ran on this 2-core machine at the same time. 1-minute load average:"
	echo "$LOAD_BEGIN when the run was called, $LOAD_START when it started (it waited ${WAITED} s for a value below"
	echo "$QUIET_LOAD, at most ${WAIT_QUIET} s), between $LOAD_MIN and $LOAD_MAX at the individual runs, $LOAD_END at the end."
	echo "Each record in the raw results carries the load average at its end."
} >"$OUT.tmp"
mv "$OUT.tmp" "$OUT"
log "wrote $OUT"
echo
sed -n '/^## Read path/,/^## What bounds/p' "$OUT" | sed '$d'
