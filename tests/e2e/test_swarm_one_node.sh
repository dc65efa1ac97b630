#!/usr/bin/env bash
# End to end on Engine 26 (ZKSW_ENGINE=26, tests/e2e/engine.sh): a one-node swarm
# (`docker swarm init` in the engine's own network namespace, left at the end), the
# plugin with NETWORK_SCOPE=global, a swarm network of its own (IPAM by the plugin,
# attachable), a service on it with a zkswarm volume, a plain container reaching the
# task; and the engine's log files the plugin's info and debug lines at level info.
# Swarms of Engine 20.10 are tests/swarm's (the host's engine is not put in a swarm).
# Env: ZK_PORT (default 2206).
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/lib.sh"
. "$top/tests/e2e/plugin.sh"
PLUGIN=${PLUGIN:-zkswarm-e2eswarm}
SVC=zks-e2e-svc
if [ "$ENGINE" != 26 ]; then
	echo "test_swarm_one_node.sh: ZKSW_ENGINE=26 only (an engine of its own to put in a swarm)" >&2
	exit 2
fi
e2e_engine || exit 1
log_from=$(($(wc -l <"$ZKSW_E26_LOG") + 1))
t_begin "swarm"
assert_eq "$(docker info -f '{{.Swarm.LocalNodeState}}')" inactive "the engine is standalone"
assert_ok "docker swarm init" docker swarm init --advertise-addr "$ZKSW_E26_ADDR" --default-addr-pool 198.19.0.0/17
on_exit "docker swarm leave --force >/dev/null 2>&1 || true"
on_exit "docker service rm $SVC >/dev/null 2>&1 || true"
e2e_setup "$PLUGIN" "${ZK_PORT:-2206}" NETWORK_SCOPE=global ADVERTISE_ADDR="$ZKSW_E26_ADDR" || exit 1
DRV=$PLUGIN:latest

t_begin "swarm network and service"
assert_ok "docker network create --attachable (a swarm network)" \
	docker network create -d "$DRV" --ipam-driver "$DRV" --attachable --subnet 198.18.69.0/24 snet
assert_eq "$(docker network inspect -f '{{.Scope}} {{.IPAM.Driver}}' snet)" "swarm $DRV" "swarm scope, the plugin's IPAM"
assert_contains "$(zk_ls /ipam/subnets)" "198.18.69.0-24" "the subnet is claimed in ZooKeeper"
assert_ok "docker service create with a zkswarm volume" docker service create -d --no-resolve-image --name "$SVC" --stop-grace-period 1s \
	--network snet --mount "type=volume,source=svol,target=/data,volume-driver=$DRV" "$IMAGE" \
	sh -c 'echo from-the-task >/data/f && exec sleep 600'
task() { docker ps -q --filter "label=com.docker.swarm.service.name=$SVC"; }
task_running() { [ -n "$(task)" ]; }
wait_until 90 "its task runs" task_running
written() { [ "$(cat "$T/data/svol/f" 2>/dev/null)" = from-the-task ]; }
wait_until 20 "the task wrote to the volume's data directory" written
assert_eq "$(docker volume inspect -f '{{.Driver}}' svol)" "$DRV" "the volume is the plugin's"
ip=$(docker inspect -f '{{(index .NetworkSettings.Networks "snet").IPAddress}}' "$(task)")
assert_contains "$ip" 198.18.69. "the task has an address in the subnet ($ip)"
assert_contains "$(zk_ls /ipam/subnets/198.18.69.0-24/addrs/198.18.69.0-24)" "$ip" "recorded in ZooKeeper"
assert_ok "a plain container on the attachable network reaches the task" \
	docker run --rm --label "zkswarm-e2e=$PLUGIN" --network snet "$IMAGE" ping -c 2 -W 2 "$ip"

t_begin "remove"
assert_ok "docker service rm" docker service rm "$SVC"
no_task() { [ -z "$(task)" ] && [ -z "$(docker ps -aq --filter "label=com.docker.swarm.service.name=$SVC")" ]; }
wait_until 60 "its task is gone" no_task
# the swarm removes a network's last endpoints after the task: retry for a while
net_gone() { docker network rm snet >/dev/null 2>&1 || ! docker network inspect snet >/dev/null 2>&1; }
wait_until 30 "docker network rm" net_gone
assert_ok "docker volume rm" docker volume rm svol
assert_eq "$(zk_ls /networks)" "[]" "no network record left in ZooKeeper"
assert_eq "$(zk_ls /ipam/subnets)" "[]" "no subnet claim left in ZooKeeper"

t_begin "the engine's log"
id=$(docker plugin inspect -f '{{.Id}}' "$PLUGIN")
# this run's lines of this plugin (the log is the engine's, kept over runs)
tail -n "+$log_from" "$ZKSW_E26_LOG" | grep -F "plugin=$id" >"$T/plugin.log"
assert_ok "Engine 26 files the plugin's start line at level info" \
	grep -q 'level=info msg="[0-9T:.-]*Z info  zkswarmd: serving on' "$T/plugin.log"
assert_ok "and its requests' debug lines at level info" grep -q 'level=info msg="[0-9T:.-]*Z debug ' "$T/plugin.log"
assert_fails "none of its info or debug lines at level error" \
	grep -qE 'level=error msg="[0-9T:.-]*Z (info|debug) ' "$T/plugin.log"
t_summary
