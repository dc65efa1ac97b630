#!/usr/bin/env bash
# The dashboard (issue 14) on a real 2-node cluster through engines: scripts/cluster.sh with
# two standalone engines in their own namespaces, the ZooKeeper ensemble and the plugin on
# both with DASHBOARD_ADDR=127.0.0.1:9325 (inside each node's network namespace), node1's
# page in headless Chromium (tests/browser/page_driver.mjs, run in node1's namespace):
# both nodes connected; a volume created and used by a container on node2 shown with node2
# as its holder, without a reload (measured from the container's start); a zkswarm network
# with containers on both nodes: its endpoints per node (by name) and its pool's fill; a
# screenshot (in the cluster's directory, or DASH_SCREENSHOT); node2's power cut (its engine,
# containers and plugin SIGKILLed): cut off, then expired, then its endpoints reclaimed by
# node1's reaper; the ensemble stopped: the page says stale, and live again by itself once it
# is back; no console error, page error or failed request.
#
# Env: CLUSTER_DIR (default: a new /tmp/zkswarm-dash.XXXXXX, removed at the end unless a
# check failed), ZKSW_DOCKER (the docker CLI), DASH_SCREENSHOT (default
# $CLUSTER_DIR/dashboard.png; "" for none; docs/dashboard.png, the README's, is remade with
# DASH_SCREENSHOT=docs/dashboard.png: a run of the suite never writes into
# the checkout), ZKS_BROWSER (default chromium).
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/lib.sh"

C=${CLUSTER_DIR:-$(mktemp -d /tmp/zkswarm-dash.XXXXXX)}
IMAGE=zkswarm-bb:latest
DRV=zkswarm:latest
NET=198.19.231.0/24
PORT=9325
SHOT=${DASH_SCREENSHOT-$C/dashboard.png}
BROWSER=${ZKS_BROWSER:-chromium}
REAPER_GRACE_S=5
DOCKER=${ZKSW_DOCKER:-}
if [ -z "$DOCKER" ]; then
	if [ -x /usr/bin/docker ]; then DOCKER=/usr/bin/docker; else DOCKER=docker; fi
fi
export ZKSW_DOCKER=$DOCKER
dk() { local k=$1; shift; timeout 60 "$DOCKER" -H "unix://$C/node$k.sock" "$@"; }
now_ms() { date +%s%3N; }

on_exit "if [ \"\$T_FAIL\" -eq 0 ]; then rm -rf '$C'; else echo 'logs kept in $C'; fi"
on_exit "'$top/scripts/cluster.sh' down '$C'"
# shellcheck disable=SC2016 # expanded when the cleanup runs
on_exit '[ -z "${PAGE_PID:-}" ] || { kill "$PAGE_PID" 2>/dev/null; wait "$PAGE_PID" 2>/dev/null; }; true'

# ask SECONDS COMMAND...: the command to the page, its answer line printed; 0 if "ok".
ask() {
	local secs=$1 line=""
	shift
	page_line "$@" >&"$PAGE_IN"
	if ! read -r -t "$secs" line <&"$PAGE_OUT"; then
		echo "no answer in $secs s: $(tail -3 "$C/page.err" 2>/dev/null | tr '\n' ' ')"
		return 1
	fi
	echo "$line"
	[[ $line == ok* ]]
}
answer_text() { sed -n 's/^ok ms=[0-9]* since_mark_ms=[0-9]* at_ms=[0-9]* //p' <<<"$1"; }
at_ms() { sed -n 's/^ok .*at_ms=\([0-9]*\).*/\1/p' <<<"$1"; }
# endpoints_are WANT: the page's endpoints of network dash are WANT ("node1:a1,a2 node2:b1")
endpoints_are() { local o; o=$(ask 10 endpoints dash) && [ "$(answer_text "$o")" = "$1" ]; }
# pool_used: the number of addresses the page shows used in $NET's pool
pool_used() {
	local o
	o=$(ask 10 text "#pools-body") || return 1
	answer_text "$o" | grep -o "${NET//./\\.}[^/]*/[0-9]*[^0-9].*" | grep -o '[0-9]* / 254' | head -1 | cut -d' ' -f1
}
pool_used_is() { [ "$(pool_used)" = "$1" ]; }
pool_used_at_least() { local u; u=$(pool_used) && [ -n "$u" ] && [ "$u" -ge "$1" ]; }

t_begin "setup"
assert_ok "the browsers' dependencies (scripts/browser-deps.sh)" "$top/scripts/browser-deps.sh" || exit 1
assert_ok "scripts/cluster.sh up (2 standalone engines, the dashboard on node1 and node2)" \
	"$top/scripts/cluster.sh" up "$C" --nodes 2 --no-swarm --set DASHBOARD_ADDR=127.0.0.1:$PORT \
	--set REAPER_GRACE_MS=$((REAPER_GRACE_S * 1000)) || exit 1
NS1=zksw$(cat "$C/slot")-node1
wait_until 30 "node1's dashboard answers in its namespace" \
	ip netns exec "$NS1" curl -sf --max-time 5 -o /dev/null "http://127.0.0.1:$PORT/api/v1/cluster"
mkfifo "$C/page.in" "$C/page.out"
# The browser in a namespace of its own, node1's port carried into it (tests/browser/viewer.sh):
# in node1's, the addresses that docker networks and containers add made Chromium fail a fetch
# in flight now and then (net::ERR_NETWORK_CHANGED).
ip netns exec "$NS1" "$top/tests/browser/viewer.sh" "$C" "$PORT" \
	node "$top/tests/browser/page_driver.mjs" --url "http://127.0.0.1:$PORT/" \
	--browser "$BROWSER" <"$C/page.in" >"$C/page.out" 2>"$C/page.err" &
PAGE_PID=$!
exec {PAGE_IN}>"$C/page.in"
exec {PAGE_OUT}<"$C/page.out"
line=""
read -r -t 90 line <&"$PAGE_OUT"
assert_eq "$line" ready "node1's page renders in $BROWSER" || exit 1
assert_ok "node1 connected" ask 15 wait-node node1 connected 10000
assert_ok "node2 connected" ask 15 wait-node node2 connected 10000

t_begin "a volume used on node2"
assert_ok "node2: docker volume create -d $DRV dv" dk 2 volume create -d "$DRV" dv
t0=$(now_ms)
assert_ok "node2: a container with dv mounted" dk 2 run -d --name vc -v dv:/data "$IMAGE" sleep 600
t1=$(now_ms)
assert_ok "dv shown with node2 as holder" ask 15 wait-volume dv node2 10000
ms=$(($(at_ms "$T_OUT") - t1))
[ "$ms" -ge 0 ] || ms=0
echo "    (docker run answered after $((t1 - t0)) ms; dv with node2 on node1's page $ms ms later)"
assert_ok "within a second of docker run's answer ($ms ms)" test "$ms" -lt 1000
assert_ok "without a reload" ask 10 same-page

t_begin "a network with containers on both nodes"
for k in 1 2; do
	assert_ok "node$k: docker network create -o cluster-name=dash --subnet $NET" \
		dk "$k" network create -d "$DRV" --ipam-driver "$DRV" --subnet "$NET" -o cluster-name=dash n
done
assert_ok "node1: a1" dk 1 run -d --name a1 --network n "$IMAGE" sleep 600
assert_ok "node1: a2" dk 1 run -d --name a2 --network n "$IMAGE" sleep 600
assert_ok "node2: b1" dk 2 run -d --name b1 --network n "$IMAGE" sleep 600
assert_ok "the networks tab" ask 10 tab networks
wait_until 20 "endpoints per node: node1 a1 a2, node2 b1" endpoints_are "node1:a1,a2 node2:b1"
assert_ok "the feed names them (their names came after them)" ask 10 wait "#feed" "b1 joined dash on node2" 5000
wait_until 10 "the pool's fill counts the three (at least 3 of 254 used)" pool_used_at_least 3
USED=$(pool_used)
echo "    (the page shows $USED of 254 addresses of $NET used: the three containers' and the gateway's)"
assert_ok "the pool's fill bar drawn" ask 10 wait "#pools-body tr" "${NET//./\\.}.*addresses used" 2000
assert_ok "node1's document saved" sh -c "ip netns exec '$NS1' curl -sf --max-time 10 http://127.0.0.1:$PORT/api/v1/cluster >'$C/real.json'"
assert_ok "the fixture's document (tests/browser) has the real one's shape" \
	/usr/bin/python3 "$top/tests/browser/shape_check.py" "$C/real.json"
if [ -n "$SHOT" ]; then
	assert_ok "the overview" ask 10 tab overview
	assert_ok "a screenshot of node1's page ($SHOT)" ask 30 shot "$SHOT"
	assert_ok "written, a PNG" sh -c "file '$SHOT' | grep -q 'PNG image data'"
fi

t_begin "node2's power cut"
assert_ok "mark" ask 10 mark
assert_ok "node2: power cut (engine, containers, plugin SIGKILLed)" "$top/scripts/cluster.sh" kill-node "$C" 2
assert_ok "node2 shown cut off" ask 20 wait-node node2 cut_off 15000
echo "    (cut off on the page $(sed -n 's/.*since_mark_ms=\([0-9]*\).*/\1/p' <<<"$T_OUT") ms after the cut)"
assert_ok "then expired (its records left)" ask 40 wait-node node2 expired 30000
echo "    (expired on the page $(sed -n 's/.*since_mark_ms=\([0-9]*\).*/\1/p' <<<"$T_OUT") ms after the cut)"
assert_ok "the networks tab" ask 10 tab networks
wait_until $((REAPER_GRACE_S + 40)) "then its endpoint reclaimed: node1 a1 a2 only" endpoints_are "node1:a1,a2"
wait_until 10 "and its address: the pool's fill one less ($((USED - 1)))" pool_used_is $((USED - 1))
assert_ok "the feed says an endpoint left dash on node2" ask 10 wait "#feed" "left dash on node2" 5000
assert_ok "no console error, page error or failed request" ask 10 problems

t_begin "ZooKeeper stopped, then started again"
assert_ok "the page is live before" ask 10 live 5000
assert_ok "the ensemble's three servers stopped" "$top/scripts/zk.sh" stop "$C/zk"
assert_ok "the page says stale (node1 serves its mirror, marked so)" ask 30 stale 25000
assert_ok "and still shows the cluster as node1 last saw it" ask 10 wait "#nodes-body" "node1" 2000
for n in 1 2 3; do
	assert_ok "ZooKeeper server $n started again" "$top/scripts/zk.sh" restart "$C/zk" "$n"
done
assert_ok "the page is live again by itself" ask 70 live 60000

assert_ok "no console error, page error or failed request" ask 10 problems
assert_ok "and the same page all along" ask 10 same-page

t_begin "stop"
echo quit >&"$PAGE_IN"
wait_until 20 "the browser closed" sh -c "! kill -0 $PAGE_PID 2>/dev/null"
PAGE_PID=
t_summary
