#!/usr/bin/env bash
# Integration: the dashboard's real page, in Chromium and Firefox at once (tests/browser/
# page_driver.mjs), served by a real daemon on a real ZooKeeper: two daemons with
# DASHBOARD_ADDR on loopback; n1's page shows both nodes; a volume created and mounted on n2
# (VolumeDriver.Create/Mount over n2's plugin socket) shows on n1's page with n2 as its holder
# within a second, without a reload (measured from the create's send, printed); n2 killed:
# cut off, then expired; ZooKeeper stopped: the page says stale; no console error, page error
# or failed request in either browser.  Also: the fixture server's document (tests/browser)
# has the real document's shape (the same fields in every object both have).
# Heavy (two browsers): run it under `flock /tmp/zks-cluster.lock` (and, for its ZooKeeper,
# /tmp/zks-integ.lock) outside CI.
# Env: ZKSWARMD (default build/zkswarmd; in CI run.sh passes its ASan build),
#      ZK_PORT (default 2232), DASH_PORT1/2 (default 2244, 2245),
#      ZKS_BROWSERS (default "chromium firefox"), DASH_SCREENSHOT (a PNG of n1's page, both
#      nodes connected, written by the first browser).
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/lib.sh"
in_private_mount_ns "$@" # n2's mount of pv1 goes with the namespace

ZKSWARMD=${ZKSWARMD:-$top/build/zkswarmd}
ZK_PORT=${ZK_PORT:-2232}
P1=${DASH_PORT1:-2244}
P2=${DASH_PORT2:-2245}
read -r -a BROWSERS <<<"${ZKS_BROWSERS:-chromium firefox}"
SESSION_MS=4000 # beats every second; cut off past 2 s, expired past the 4 s session
PY=/usr/bin/python3
T=$(mktemp -d /tmp/zkswarm-dashpage.XXXXXX)
on_exit "rm -rf '$T'"
on_exit "$top/scripts/zk.sh stop '$T/zk' >/dev/null"
. "$top/tests/integration/daemon.sh"
on_exit "stop_node n1 KILL"
on_exit "stop_node n2 KILL"
U1=http://127.0.0.1:$P1

declare -A page_pid page_in page_out answer
# shellcheck disable=SC2016 # expanded when the cleanup runs
on_exit 'for b in "${!page_pid[@]}"; do kill "${page_pid[$b]}" 2>/dev/null; done; for b in "${!page_pid[@]}"; do wait "${page_pid[$b]}" 2>/dev/null; done; true'

# start_page BROWSER: page_driver.mjs on n1's page, its stdin and stdout through FIFOs; in a
# network namespace of its own with n1's port carried in (tests/browser/viewer.sh: Chromium
# fails a fetch in flight when an address of its namespace changes, as others' may here).
start_page() {
	local b=$1 fd
	mkfifo "$T/$b.in" "$T/$b.out"
	mkdir -p "$T/$b.viewer"
	"$top/tests/browser/viewer.sh" "$T/$b.viewer" "$P1" \
		node "$top/tests/browser/page_driver.mjs" --url "$U1/" --browser "$b" \
		<"$T/$b.in" >"$T/$b.out" 2>"$T/$b.err" &
	page_pid[$b]=$!
	exec {fd}>"$T/$b.in"
	page_in[$b]=$fd
	exec {fd}<"$T/$b.out"
	page_out[$b]=$fd
}

# read_answer BROWSER SECONDS: its next line into answer[BROWSER]; 0 if it starts with ok/ready.
read_answer() {
	local line=""
	if ! read -r -t "$2" line <&"${page_out[$1]}"; then
		answer[$1]="no answer in $2 s ($(tail -2 "$T/$1.err" 2>/dev/null | tr '\n' ' '))"
		return 1
	fi
	answer[$1]=$line
	[[ $line == ok* || $line == ready ]]
}

# ask_all SECONDS COMMAND...: the command to every page at once, then each one's answer.
# Prints "browser: answer" lines; 0 only if every answer is ok.
ask_all() {
	local secs=$1 b rc=0
	shift
	for b in "${BROWSERS[@]}"; do page_line "$@" >&"${page_in[$b]}"; done
	for b in "${BROWSERS[@]}"; do
		read_answer "$b" "$secs" || rc=1
		echo "$b: ${answer[$b]}"
	done
	return $rc
}

# since_mark OUTPUT: each browser's since_mark_ms, space-separated.
since_mark() { sed -n 's/^\([a-z]*\): ok .*since_mark_ms=\([0-9]*\).*/\1 \2/p' <<<"$1" | tr '\n' ' '; }
# after_ms OUTPUT T_MS: each browser's answer time (at_ms) less T_MS (0 if before), space-separated.
after_ms() {
	sed -n 's/^\([a-z]*\): ok .*at_ms=\([0-9]*\).*/\1 \2/p' <<<"$1" |
		awk -v t="$2" '{ d = $2 - t; printf "%s %d ", $1, d < 0 ? 0 : d }'
}
max_of() { tr ' ' '\n' <<<"$1" | grep -E '^[0-9]+$' | sort -n | tail -1; }

t_begin "setup"
assert_ok "the browsers' dependencies (scripts/browser-deps.sh)" "$top/scripts/browser-deps.sh" || exit 1
assert_ok "ZooKeeper starts" "$top/scripts/zk.sh" start "$T/zk" --port "$ZK_PORT" --tick 1000 || exit 1
assert_ok "n1 starts with the dashboard on loopback" start_node n1 ADVERTISE_ADDR=127.0.0.1 \
	DASHBOARD_ADDR="127.0.0.1:$P1" || exit 1
assert_ok "n2 starts with the dashboard on loopback" start_node n2 ADVERTISE_ADDR=127.0.0.1 \
	DASHBOARD_ADDR="127.0.0.1:$P2" || exit 1
wait_until 15 "both synced" sh -c "grep -q 'mirror: synced' '$T/n1/log' && grep -q 'mirror: synced' '$T/n2/log'"
# n2 holds an address (persistent, names n2): once its session is gone it is 'expired'.
assert_ok "n2 takes a pool" call n2 IpamDriver.RequestPool '{"AddressSpace":"zkswarm-local","Pool":"198.18.9.0/24","V6":false}'
pool=$(jq -r .PoolID <<<"$T_OUT")
assert_ok "n2 takes an address" call n2 IpamDriver.RequestAddress "{\"PoolID\":\"$pool\",\"Address\":\"\",\"Options\":null}"
wait_until 10 "n1's document has both nodes" sh -c "curl -sS --max-time 5 $U1/api/v1/cluster | jq -e '[.nodes[].id] == [\"n1\", \"n2\"]' >/dev/null"
curl -sS --max-time 5 "$U1/api/v1/cluster" >"$T/real.json"
assert_ok "the fixture's document has the real one's shape" $PY "$top/tests/browser/shape_check.py" "$T/real.json"

t_begin "the page in ${BROWSERS[*]}"
for b in "${BROWSERS[@]}"; do start_page "$b"; done
for b in "${BROWSERS[@]}"; do
	assert_ok "$b: n1's page rendered" read_answer "$b" 90
done
assert_ok "both nodes shown, connected" ask_all 10 wait-node n2 connected 5000
assert_ok "n1 too" ask_all 10 wait-node n1 connected 5000
assert_ok "the overview draws two nodes" ask_all 10 wait '#g-nodes' '2' 2000
if [ -n "${DASH_SCREENSHOT:-}" ]; then
	echo "shot $DASH_SCREENSHOT" >&"${page_in[${BROWSERS[0]}]}"
	assert_ok "a screenshot of n1's page" read_answer "${BROWSERS[0]}" 20
fi

t_begin "a volume mounted on n2, on n1's page"
assert_ok "mark" ask_all 10 mark
on_exit "umount -l '$T/n2/mnt/pv1' 2>/dev/null; true" # n2 is killed holding it
t0=$(date +%s%3N)
assert_ok "n2 creates pv1" call n2 VolumeDriver.Create '{"Name":"pv1"}'
assert_ok "n2 mounts it" call n2 VolumeDriver.Mount '{"Name":"pv1","ID":"c0ffee01"}'
t1=$(date +%s%3N)
assert_ok "pv1 shown with n2 as holder" ask_all 10 wait-volume pv1 n2 5000
ms=$(after_ms "$T_OUT" "$t1")
echo "# create and mount answered $((t1 - t0)) ms after the create's send; pv1 with n2 as holder on n1's page"
echo "# $(since_mark "$T_OUT")ms after the create's send, $ms ms after the mount's answer"
assert_ok "within a second of the mount's answer in every browser ($ms ms)" test "$(max_of "$ms")" -lt 1000
assert_ok "without a reload" ask_all 10 same-page
assert_ok "the feed says it" ask_all 10 wait '#feed' 'pv1 mounted on n2' 2000

t_begin "n2 killed"
assert_ok "mark" ask_all 10 mark
stop_node n2 KILL
assert_ok "n2 shown cut off" ask_all 20 wait-node n2 cut_off 15000
echo "# cut off on the page after (ms): $(since_mark "$T_OUT")"
assert_ok "then expired (its session gone, its address left)" ask_all 40 wait-node n2 expired 30000
echo "# expired on the page after (ms): $(since_mark "$T_OUT")"

t_begin "ZooKeeper stopped"
assert_ok "mark" ask_all 10 mark
"$top/scripts/zk.sh" stop "$T/zk" >/dev/null
assert_ok "the page says stale" ask_all 30 stale 25000
echo "# stale on the page after (ms): $(since_mark "$T_OUT")"
assert_ok "no console error, page error or failed request" ask_all 10 problems
assert_ok "and still the same page" ask_all 10 same-page

t_begin "stop"
for b in "${BROWSERS[@]}"; do echo quit >&"${page_in[$b]}"; done
for b in "${BROWSERS[@]}"; do
	wait_until 20 "$b closed" sh -c "! kill -0 ${page_pid[$b]} 2>/dev/null"
done
stop_node n1
check_sanitizer_logs
t_summary
