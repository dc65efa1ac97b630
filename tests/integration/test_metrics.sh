#!/usr/bin/env bash
# Integration: Prometheus metrics and the health check, scraped over HTTP
# from a daemon with METRICS_ADDR set, while ZooKeeper comes and goes (a configuration
# volume mounted there: its copy counted, and behind while ZooKeeper is away).
# Env: ZKSWARMD, ZK_PORT (default 2188), METRICS_PORT (default 9391).
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/lib.sh"
in_private_mount_ns "$@" # the configuration volume's bind mount vanishes with it

ZKSWARMD=${ZKSWARMD:-$top/build/zkswarmd}
ZK_PORT=${ZK_PORT:-2188}
METRICS_PORT=${METRICS_PORT:-9391}
SESSION_MS=4000
T=$(mktemp -d /tmp/zkswarm-metrics.XXXXXX)
on_exit "rm -rf '$T'"
on_exit "$top/scripts/zk.sh stop '$T/zk' >/dev/null"
. "$top/tests/integration/daemon.sh"
on_exit "stop_node n1 KILL"
scrape() { metrics_text "127.0.0.1:$METRICS_PORT"; }
metric() { metric_at "127.0.0.1:$METRICS_PORT" "$1"; }

t_begin "setup"
assert_ok "ZooKeeper starts" "$top/scripts/zk.sh" start "$T/zk" --port "$ZK_PORT" --tick 1000 || exit 1
assert_ok "daemon starts with metrics" start_node n1 ADVERTISE_ADDR=127.0.0.1 METRICS_ADDR=127.0.0.1:$METRICS_PORT
wait_until 10 "connected" grep -q "mirror: synced" "$T/n1/log"
# Outside Docker there is no engine mount: naming is off, and the log says so once (the start's
# main thread says it; "mirror: synced" above comes from the store's thread, in no set order).
naming_off_once() { [ "$(grep -c 'naming: off: no directory /run/zkswarm-engine for ENGINE_SOCKET' "$T/n1/log")" = 1 ]; }
wait_until 5 "the log says once that naming is off (no engine mount)" naming_off_once

t_begin "metrics"
assert_ok "/metrics answers" scrape
assert_contains "$T_OUT" "# TYPE zkswarm_request_duration_seconds histogram" "a latency histogram is declared"
assert_eq "$(metric zkswarm_zookeeper_connected)" 1 "ZooKeeper connected"
assert_eq "$(metric zkswarm_mirror_synced)" 1 "mirror synced"
before=$(metric 'zkswarm_requests_total{endpoint="VolumeDriver.Get",code="2xx"}')
call n1 VolumeDriver.Create '{"Name":"m1"}' >/dev/null
for _ in 1 2 3 4 5; do call n1 VolumeDriver.Get '{"Name":"m1"}' >/dev/null; done
call n1 VolumeDriver.Get '{"Name":"nope"}' >/dev/null
assert_eq "$(( $(metric 'zkswarm_requests_total{endpoint="VolumeDriver.Get",code="2xx"}') - before ))" 5 \
	"five successful Gets counted"
assert_ok "the failed Get is counted as 5xx" test "$(metric 'zkswarm_requests_total{endpoint="VolumeDriver.Get",code="5xx"}')" -ge 1
assert_ok "Create's latency recorded" test "$(metric 'zkswarm_request_duration_seconds_count{endpoint="VolumeDriver.Create"}')" -ge 1
assert_eq "$(metric 'zkswarm_request_duration_seconds_bucket{endpoint="VolumeDriver.Get",le="+Inf"}')" \
	"$(metric 'zkswarm_request_duration_seconds_count{endpoint="VolumeDriver.Get"}')" "+Inf bucket equals the count"
assert_eq "$(metric 'zkswarm_objects{kind="volume"}')" 1 "one volume in the mirror"
assert_ok "/health says ok" sh -c "curl -sf http://127.0.0.1:$METRICS_PORT/health | grep -q '\"status\":\"ok\"'"
assert_eq "$(metric zkswarm_config_copies)" 0 "no configuration copy kept yet"
CFG_ID=c$(printf '%063d' 1)
assert_ok "a configuration volume is created" call n1 VolumeDriver.Create '{"Name":"cfg","Opts":{"type":"config"}}'
assert_ok "and mounted" call n1 VolumeDriver.Mount "{\"Name\":\"cfg\",\"ID\":\"$CFG_ID\"}"
assert_eq "$(metric zkswarm_config_copies)" 1 "its copy is counted"
wait_until 5 "and current" sh -c "[ \"\$(curl -s http://127.0.0.1:$METRICS_PORT/metrics | awk '\$1 == \"zkswarm_config_copies_behind\" {print \$2}')\" = 0 ]"

t_begin "ZooKeeper away"
connects=$(metric zkswarm_zookeeper_connects_total)
sessions=$(metric zkswarm_zookeeper_sessions_total)
resyncs=$(metric zkswarm_mirror_resyncs_total)
catchups=$(metric zkswarm_mirror_catchups_total)
assert_ok "the first session's resync is counted" test "$resyncs" -ge 1
"$top/scripts/zk.sh" stop "$T/zk" >/dev/null
wait_until 10 "connected drops to 0" sh -c "curl -s http://127.0.0.1:$METRICS_PORT/metrics | grep -qx 'zkswarm_zookeeper_connected 0'"
assert_ok "/health answers 503" sh -c "[ \$(curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1:$METRICS_PORT/health) = 503 ]"
assert_eq "$(metric zkswarm_config_copies_behind)" 1 "the configuration copy is not current"
assert_ok "ZooKeeper back" "$top/scripts/zk.sh" start "$T/zk" --port "$ZK_PORT" --tick 1000
wait_until 15 "/health ok again" sh -c "curl -sf http://127.0.0.1:$METRICS_PORT/health >/dev/null"
assert_ok "a reconnect is counted" test "$(metric zkswarm_zookeeper_connects_total)" -gt "$connects"
# The server keeps sessions across its restart (its log), unless this one took longer than
# the session timeout: a kept session is caught up from its watches, a new one read whole.
wait_until 10 "the mirror is synced again (by a catch-up or a resync)" sh -c \
	"[ \$(( \$(curl -s http://127.0.0.1:$METRICS_PORT/metrics | awk '\$1 ~ /^zkswarm_mirror_(resyncs|catchups)_total\$/ {s += \$2} END {print s}') )) -gt $((resyncs + catchups)) ]"
if [ "$(metric zkswarm_zookeeper_sessions_total)" = "$sessions" ]; then
	assert_eq "$(metric zkswarm_mirror_resyncs_total)" "$resyncs" "the session was kept: no whole-tree resync"
	assert_eq "$(metric zkswarm_mirror_catchups_total)" $((catchups + 1)) "the session was kept: one catch-up"
else
	assert_eq "$(metric zkswarm_mirror_resyncs_total)" $((resyncs + 1)) "a new session: one resync"
fi
wait_until 5 "the configuration copy is current again" sh -c "curl -s http://127.0.0.1:$METRICS_PORT/metrics | grep -qx 'zkswarm_config_copies_behind 0'"

call n1 VolumeDriver.Remove '{"Name":"m1"}' >/dev/null
assert_ok "the configuration volume is unmounted" call n1 VolumeDriver.Unmount "{\"Name\":\"cfg\",\"ID\":\"$CFG_ID\"}"
assert_eq "$(metric zkswarm_config_copies)" 0 "then no copy is kept"
call n1 VolumeDriver.Remove '{"Name":"cfg"}' >/dev/null
stop_node n1 TERM
check_sanitizer_logs
t_summary
