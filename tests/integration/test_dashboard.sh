#!/usr/bin/env bash
# Integration: the dashboard (DASHBOARD_ADDR) of two daemons on a real ZooKeeper: the document
# lists both nodes, a volume created on n2 shows in n1's document and n1's event stream within a
# second (measured), the beats are not mirrored, the token file, the streams' limit, hostile
# requests leaving the plugin's socket answering, n2 killed (cut off, then expired) and
# ZooKeeper stopped (the stream says stale).
# Env: ZKSWARMD, ZKSWARMCTL (default build/zkswarmd, build/zkswarmctl; in CI run.sh passes ASan builds),
#      ZKSWARMD_VALGRIND=1 (daemon.sh), ZK_PORT (default 2231), DASH_PORT1/2/3 (default 2241, 2242, 2243).
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/lib.sh"

ZKSWARMD=${ZKSWARMD:-$top/build/zkswarmd}
ZKSWARMCTL=${ZKSWARMCTL:-$top/build/zkswarmctl}
ZK_PORT=${ZK_PORT:-2231}
P1=${DASH_PORT1:-2241}
P2=${DASH_PORT2:-2242}
P3=${DASH_PORT3:-2243}
SESSION_MS=4000 # beats every second; cut off past 2 s
PY=/usr/bin/python3
T=$(mktemp -d /tmp/zkswarm-dash.XXXXXX)
on_exit "rm -rf '$T'"
on_exit "$top/scripts/zk.sh stop '$T/zk' >/dev/null"
. "$top/tests/integration/daemon.sh"
on_exit "stop_node n1 KILL"
on_exit "stop_node n2 KILL"
TOKEN=zkswarm-dashboard-token-0123
printf '%s\n' "$TOKEN" >"$T/token"
U1=http://127.0.0.1:$P1
U2=http://127.0.0.1:$P2
doc1() { curl -sS --max-time 5 "$U1/api/v1/cluster"; }
ensemble_mode() { doc1 | jq -e --arg m "$1" '.ensemble[0].mode == $m' >/dev/null; }
node_state() { doc1 | jq -e --arg n "$1" --arg s "$2" '.nodes[] | select(.id == $n) | .state == $s' >/dev/null; }
code() { curl -s -o /dev/null --max-time 5 -w '%{http_code}' "$@"; }
pids=()
bg() { "$@" & pids+=($!); }
# shellcheck disable=SC2016 # expanded when the cleanup runs
on_exit 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done; true'

t_begin "setup"
assert_ok "ZooKeeper starts" "$top/scripts/zk.sh" start "$T/zk" --port "$ZK_PORT" --tick 1000 || exit 1
assert_ok "n1 starts with the dashboard" start_node n1 ADVERTISE_ADDR=127.0.0.1 \
	DASHBOARD_ADDR="127.0.0.1:$P1" DASHBOARD_MAX_STREAMS=4
assert_ok "n2 starts with the dashboard and a token" start_node n2 ADVERTISE_ADDR=127.0.0.1 \
	DASHBOARD_ADDR="127.0.0.1:$P2" DASHBOARD_TOKEN_FILE="$T/token"
wait_until 15 "both synced" sh -c "grep -q 'mirror: synced' '$T/n1/log' && grep -q 'mirror: synced' '$T/n2/log'"
assert_not_contains "$(cat "$T/n2/log")" "$TOKEN" "the token is never logged"
# n2 holds an address (persistent, names n2): once its session is gone it is 'expired'.
assert_ok "n2 takes a pool" call n2 IpamDriver.RequestPool '{"AddressSpace":"zkswarm-local","Pool":"198.18.7.0/24","V6":false}'
pool=$(jq -r .PoolID <<<"$T_OUT")
assert_ok "n2 takes an address" call n2 IpamDriver.RequestAddress "{\"PoolID\":\"$pool\",\"Address\":\"\",\"Options\":null}"

t_begin "the document"
wait_until 10 "n1's document lists n1 connected" node_state n1 connected
wait_until 10 "n1's document lists n2 connected" node_state n2 connected
assert_ok "the document" doc1
assert_eq "$(jq -r '.self.node, .self.zookeeper.state, .self.stale' <<<"$T_OUT" | tr '\n' ' ')" \
	"n1 connected false " "self: n1, connected, not stale"
# srvr is asked on a thread of its own (at most every 5 s): the first documents may have none yet.
wait_until 10 "the ensemble from srvr" ensemble_mode standalone
# (the check used to read a here-string, which _t_run's </dev/null replaced: it checked nothing)
beat_known() { doc1 | jq -e '.nodes[] | select(.id == "n2") | .last_heard_ms | type == "number" and . >= 0' >/dev/null; }
wait_until 10 "n2's heartbeat age is known" beat_known
hdrs=$(curl -sS -D - -o /dev/null "$U1/api/v1/cluster")
assert_contains "$hdrs" "Cache-Control: no-store" "the document is not cached"
assert_contains "$hdrs" "X-Content-Type-Options: nosniff" "nosniff"
assert_contains "$hdrs" "Content-Security-Policy: default-src 'none'; script-src 'self'" "the CSP"
assert_contains "$hdrs" "Referrer-Policy: no-referrer" "no referrer"
etag=$(curl -sS -D - -o /dev/null "$U1/app.js" | sed -n 's/^ETag: //Ip' | tr -d '\r')
assert_eq "$(code -H "If-None-Match: $etag" "$U1/app.js")" 304 "app.js: 304 on its ETag ($etag)"
hdrs=$(curl -sS -I "$U1/")
assert_contains "$hdrs" "HTTP/1.1 200" "HEAD /: 200"
assert_contains "$hdrs" "Cache-Control: no-cache" "the page: no-cache, with its ETag"

t_begin "a change on n2 reaches n1's stream"
cat >"$T/latency.py" <<'PY'
# Open n1's event stream; for each name, create the volume on n2 and print the ms from the
# create's send to the change event naming it on n1's stream (fail after 10 s).
import http.client, json, subprocess, sys, time
port, sock, names = int(sys.argv[1]), sys.argv[2], sys.argv[3:]
c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
c.request("GET", "/api/v1/events")
r = c.getresponse()
assert r.status == 200, r.status
line = b""
while not line.startswith(b"event: hello"):
    line = r.fp.readline()
for name in names:
    t0 = time.monotonic()
    subprocess.run(["curl", "-sS", "--unix-socket", sock, "-X", "POST", "--data",
                    json.dumps({"Name": name}), "http://zkswarm/VolumeDriver.Create"],
                   check=True, stdout=subprocess.DEVNULL)
    event, seen = None, False
    while not seen and time.monotonic() - t0 < 10:
        line = r.fp.readline().decode()
        if line.startswith("event: "):
            event = line[7:].strip()
        elif line.startswith("data: ") and event == "change" and name in line:
            print(round((time.monotonic() - t0) * 1000))
            seen = True
    if not seen:
        sys.exit(1)
PY
assert_ok "five change events arrive" $PY "$T/latency.py" "$P1" "$T/n2/s.sock" dv1 dv1b dv1c dv1d dv1e
ms=$(sort -n <<<"$T_OUT" | tr '\n' ' ')
max=$(sort -n <<<"$T_OUT" | tail -1)
assert_ok "each within a second of the create's send (ms: $ms)" test "$max" -lt 1000
assert_ok "n1's document has the volume" sh -c "curl -sS $U1/api/v1/cluster | jq -e '.volumes[] | select(.name == \"dv1\")'"

t_begin "beats are not mirrored"
assert_ok "ZooKeeper holds both beats" $PY -c "
from kazoo.client import KazooClient
k = KazooClient(hosts='127.0.0.1:$ZK_PORT'); k.start(timeout=5)
kids = sorted(k.get_children('/zkswarm-it/heartbeats'))
d, st = k.get('/zkswarm-it/heartbeats/n2')
import json; b = json.loads(d); k.stop()
assert kids == ['n1', 'n2'], kids
assert b['every_ms'] == 1000, b
"
n_before=$(doc1 | jq .self.zookeeper.mirror_nodes)
wait_until 10 "n1's mirror is saved" test -s "$T/n1/state/mirror.json"
mirror_ok() { ! grep -q heartbeats "$T/n1/state/mirror.json"; }
assert_ok "n1's saved mirror has no heartbeat" mirror_ok
# Three more beats of each: the mirror's count does not move.
wait_until 10 "n2's beat written three more times" $PY -c "
import time
from kazoo.client import KazooClient
k = KazooClient(hosts='127.0.0.1:$ZK_PORT'); k.start(timeout=5)
v0 = k.get('/zkswarm-it/heartbeats/n2')[1].version
t0 = time.monotonic()
while k.get('/zkswarm-it/heartbeats/n2')[1].version < v0 + 3 and time.monotonic() - t0 < 8:
    time.sleep(0.2)
k.stop()
"
assert_eq "$(doc1 | jq .self.zookeeper.mirror_nodes)" "$n_before" "n1's mirror did not grow or change count ($n_before nodes)"
# zkswarmctl's snapshot reads what the daemons' mirrors read: the beats' subtree is skipped.
ctl_synced() { "$ZKSWARMCTL" -v --zk-hosts "127.0.0.1:$ZK_PORT" --zk-root /zkswarm-it status 2>&1 >/dev/null | sed -n 's/.*mirror: synced \([0-9]*\) nodes.*/\1/p'; }
assert_eq "$(ctl_synced)" "$(doc1 | jq .self.zookeeper.mirror_nodes)" "zkswarmctl's snapshot: as many nodes as n1's mirror (no beat read)"

t_begin "the token (n2)"
assert_eq "$(code "$U2/api/v1/cluster")" 401 "no token: 401"
assert_eq "$(code "$U2/")" 401 "the page without a token: 401"
assert_contains "$(curl -s "$U2/")" "/?token=" "the page says how"
assert_eq "$(code -H "Authorization: Bearer ${TOKEN}x" "$U2/api/v1/cluster")" 401 "a wrong token: 401"
assert_eq "$(code -H "Authorization: Bearer $TOKEN" "$U2/api/v1/cluster")" 200 "Bearer: 200"
hdrs=$(curl -sS -D - -o /dev/null "$U2/?token=$TOKEN")
assert_contains "$hdrs" "HTTP/1.1 303" "/?token=: 303"
assert_contains "$hdrs" "Location: /" "to /"
assert_contains "$hdrs" "Set-Cookie: zks_dashboard=$TOKEN; HttpOnly; SameSite=Strict; Path=/" "with the cookie"
assert_eq "$(code -b "zks_dashboard=$TOKEN" "$U2/app.js")" 200 "the cookie: 200"
assert_not_contains "$(curl -s -H "Authorization: Bearer $TOKEN" "$U2/api/v1/cluster")" "$TOKEN" "never the token in the document"
printf 'tooShort7\n' >"$T/bad-token"
assert_ok "n3 starts with a token file too short" start_node n3 ADVERTISE_ADDR=127.0.0.1 \
	DASHBOARD_ADDR="127.0.0.1:$P3" DASHBOARD_TOKEN_FILE="$T/bad-token"
on_exit "stop_node n3 KILL"
wait_until 10 "its log says it serves without the dashboard" grep -q "DASHBOARD_TOKEN_FILE.*serving without the dashboard" "$T/n3/log"
assert_eq "$(code "http://127.0.0.1:$P3/")" 000 "and nothing listens on its DASHBOARD_ADDR"
assert_ok "its plugin socket answers" call n3 VolumeDriver.List '{}'
assert_not_contains "$(cat "$T/n3/log")" "tooShort7" "the bad token is not logged"
stop_node n3

t_begin "the streams' limit (4 on n1)"
for i in 1 2 3 4; do bg curl -sN --max-time 60 "$U1/api/v1/events" >"$T/s$i"; done
wait_until 10 "four streams open" sh -c "grep -l 'event: hello' '$T'/s[1-4] | wc -l | grep -qx 4"
n503=0
for i in $(seq 20); do [ "$(code "$U1/api/v1/events")" = 503 ] && n503=$((n503 + 1)); done
assert_eq "$n503" 20 "20 more event streams: 503"
assert_eq "$(code "$U1/api/v1/cluster")" 200 "the document still answers"
call n2 VolumeDriver.Create '{"Name":"dv2"}' >/dev/null
wait_until 5 "the four open streams still get changes" sh -c "grep -l 'dv2' '$T'/s[1-4] | wc -l | grep -qx 4"

t_begin "hostile requests"
long=$(head -c 3000 /dev/zero | tr '\0' a)
assert_eq "$(code "$U1/?q=$long")" 414 "a URL over 2048 bytes: 414"
assert_contains "$(curl -s "$U1/?q=$long")" '{"error":' "JSON"
huge=$(head -c 100000 /dev/zero | tr '\0' a)
assert_ok "a 100 KB URL is refused" sh -c "[ \"\$(curl -s -o /dev/null -w '%{http_code}' '$U1/$huge')\" -ge 400 ]"
assert_eq "$(code "$U1/etc/passwd")" 404 "unknown path: 404"
assert_eq "$(code "$U1/../../etc/passwd")" 404 "dot-dot: 404"
assert_eq "$(code -X POST -d x "$U1/api/v1/cluster")" 405 "POST: 405"
assert_contains "$(curl -s -D - -o /dev/null -X DELETE "$U1/")" "Allow: GET, HEAD" "Allow: GET, HEAD"
# A client that never reads its stream (a raw socket, its receive buffer tiny).
bg $PY -c "
import socket, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1024)
s.connect(('127.0.0.1', $P1)); s.sendall(b'GET /api/v1/events HTTP/1.1\r\nHost: x\r\n\r\n')
time.sleep(60)
"
for i in $(seq 5); do curl -s --max-time 2 "$U1/api/v1/cluster" >/dev/null; done
assert_ok "the plugin's socket answers meanwhile" call n1 VolumeDriver.List '{}'
assert_ok "n1 is still running" kill -0 "$(cat "$T/n1/pid")"

t_begin "n2 killed"
for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
pids=()
stop_node n2 KILL
wait_until 10 "n1 shows n2 cut off" node_state n2 "cut off"
wait_until 20 "then expired (its session gone, its address left)" node_state n2 expired

t_begin "ZooKeeper stopped"
bg curl -sN --max-time 60 "$U1/api/v1/events" >"$T/stale"
wait_until 10 "a stream open" grep -q 'event: hello' "$T/stale"
"$top/scripts/zk.sh" stop "$T/zk" >/dev/null
wait_until 15 "the stream says stale" grep -q '"stale":true' "$T/stale"
assert_ok "the document says stale" sh -c "curl -sS $U1/api/v1/cluster | jq -e '.self.stale == true'"

t_begin "stop"
t0=$(date +%s%3N)
stop_node n1 TERM
assert_ok "n1 stops on SIGTERM with a stream open ($(($(date +%s%3N) - t0)) ms)" grep -q "zkswarmd: stopped" "$T/n1/log"
check_sanitizer_logs

t_summary
