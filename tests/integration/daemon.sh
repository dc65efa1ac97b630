# shellcheck shell=bash
# tests/integration/daemon.sh - sourced by the integration tests after
# tests/lib.sh: run zkswarmd instances outside Docker against a test ZooKeeper.
#
#   start_node NAME [ENV=VALUE...]   start an instance (node id NAME) in $T/NAME;
#                                    with NETNS=NS set (e.g. `NETNS=ns1 start_node
#                                    n1`), inside network namespace NS
#   stop_node NAME [SIGNAL]          stop it (TERM by default) and wait for it
#   call NODE ENDPOINT JSON          POST to it; prints the body; 0 only for HTTP 200
#   field JQ                         jq over the last assertion's output
#   synced_count NAME                its `mirror: synced` lines (one per full read of
#                                    the tree): take it before a restart or a new session
#   synced_since NAME COUNT          it has more than COUNT (wait_until ... synced_since)
#   metrics_text ADDR                the /metrics served at ADDR (host:port, the node's
#                                    METRICS_ADDR)
#   metric_at ADDR NAME              NAME's value there; empty if it is not there
#   mount_id N                       the engine's mount ID number N (64 digits)
#   got NODE VOLUME JQ               NODE's Get of VOLUME through JQ
#   shows NODE VOLUME JQ EXPECTED    that is EXPECTED (else it prints it); another node's
#                                    change reaches a mirror a moment later: wait_until it
#   lists NODE VOLUME                NODE's List names VOLUME
#   HOLDERS, EXCLUSIVE               JQ for the nodes holding a volume, "n1,n2" (EXCLUSIVE:
#                                    the single-node volume's `holder` marked "n1*")
#   watches                          ZooKeeper's count of watches (mntr zk_watch_count)
#   watches_settled                  it read twice, 1 s apart, is the same; left in $W
# Needs: top (the checkout), T (a temporary directory), ZK_PORT, ZKSWARMD, SESSION_MS.
# With ZKSWARMD_VALGRIND=1 each daemon runs under valgrind's memcheck; its report
# goes to $T/NAME/valgrind.log and check_sanitizer_logs fails on any error or leak.

start_node() {
	local n=$1 in_ns=() vg=()
	shift
	[ -z "${NETNS:-}" ] || in_ns=(ip netns exec "$NETNS") # it execs: $! is still the daemon
	[ "${ZKSWARMD_VALGRIND:-0}" = 0 ] || vg=(valgrind --quiet --leak-check=full
		--errors-for-leak-kinds=definite --log-file="$T/$n/valgrind.%p.log")
	mkdir -p "$T/$n/state" "$T/$n/mnt"
	"${in_ns[@]}" env ZK_HOSTS=127.0.0.1:$ZK_PORT ZK_ROOT=/zkswarm-it NODE_ID=$n \
		ZK_SESSION_TIMEOUT_MS=$SESSION_MS LOG_LEVEL=debug SOCKET="$T/$n/s.sock" \
		DATA_DIR="$T/data" MOUNT_ROOT="$T/$n/mnt" STATE_DIR="$T/$n/state" "$@" \
		"${vg[@]}" "$ZKSWARMD" >>"$T/$n/log" 2>&1 &
	echo $! >"$T/$n/pid"
	for _ in $(seq 150); do [ -S "$T/$n/s.sock" ] && return 0; sleep 0.1; done
	echo "node $n did not create its socket; log:" >&2
	tail -20 "$T/$n/log" >&2
	return 1
}

stop_node() {
	local pid
	pid=$(cat "$T/$1/pid" 2>/dev/null) || return 0
	kill "-${2:-TERM}" "$pid" 2>/dev/null
	for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
	kill -KILL "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	rm -f "$T/$1/pid"
	return 0
}

call() {
	local out code
	out=$(curl -sS --max-time 30 --unix-socket "$T/$1/s.sock" -X POST --data-binary "$3" \
		-w '\n%{http_code}' "http://zkswarm/$2") || return 2
	code=${out##*$'\n'}
	printf '%s\n' "${out%$'\n'*}"
	[ "$code" = 200 ]
}

field() { jq -r "$1" <<<"$T_OUT"; }

synced_count() { grep -c 'mirror: synced' "$T/$1/log" 2>/dev/null || true; }
synced_since() { [ "$(synced_count "$1")" -gt "$2" ]; }
metrics_text() { curl -sS --max-time 5 "http://$1/metrics"; }
metric_at() { metrics_text "$1" | awk -v m="$2" '$1 == m { print $2 }'; }

mount_id() { printf '%064d' "$1"; }
got() { call "$1" VolumeDriver.Get "{\"Name\":\"$2\"}" | jq -r "$3"; }
shows() { local v; v=$(got "$1" "$2" "$3"); [ "$v" = "$4" ] || { echo "$1 shows: $v"; return 1; }; }
lists() { call "$1" VolumeDriver.List '{}' | jq -e --arg v "$2" 'any(.Volumes[]; .Name == $v)' >/dev/null; }
# shellcheck disable=SC2034 # for the tests' shows
HOLDERS='[.Volume.Status.holders[].node] | sort | join(",")'
# shellcheck disable=SC2034
EXCLUSIVE='[.Volume.Status.holders[] | .node + (if .exclusive then "*" else "" end)] | sort | join(",")'
watches() { "${top:?}/scripts/zk.sh" mntr "$ZK_PORT" zk_watch_count; }
watches_settled() {
	local a
	a=$(watches) && [ -n "$a" ] && sleep 1 && W=$(watches) && [ "$W" = "$a" ]
}

# Fail the test if a sanitizer reported anything in the daemons' logs.
check_sanitizer_logs() {
	local vgerr
	# --quiet: a log with anything in it is an error or a leak.
	vgerr=$(find "$T" -name 'valgrind.*.log' -size +0 2>/dev/null)
	if [ -n "$vgerr" ]; then
		fail "valgrind reports in the daemons" "$(head -60 $vgerr)"
	elif ls "$T"/*/valgrind.*.log >/dev/null 2>&1; then
		ok "valgrind's memcheck: no errors and no leaks in $(ls "$T"/*/valgrind.*.log | wc -l) daemon runs"
	fi
	if grep -q "ERROR: AddressSanitizer\|ERROR: LeakSanitizer\|runtime error:" "$T"/*/log 2>/dev/null; then
		fail "sanitizer reports in the daemon logs" \
			"$(grep -A8 "Sanitizer\|runtime error" "$T"/*/log | head -60)"
	else
		ok "no sanitizer reports in the daemon logs"
	fi
}
