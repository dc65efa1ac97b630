#!/usr/bin/env bash
# End to end on Engine 26 (ZKSW_ENGINE=26, tests/e2e/engine.sh): a one-node swarm
# (`docker swarm init` in the engine's own network namespace, left at the end), the
# plugin with NETWORK_SCOPE=global, a swarm network of its own (IPAM by the plugin,
# attachable), a service on it with a zkswarm volume, a plain container reaching the
# task; `docker stack deploy` of a stack file with zkswarm volumes (driver_opts, labels,
# an image volume with a size, an external one made beforehand) and a zkswarm network
# (driver_opts mtu, the plugin's IPAM with a subnet, a service alias), `docker stack rm`
# and nothing of it left in ZooKeeper; and the engine's log files the plugin's info and
# debug lines at level info.
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
snet_ipam_is() { [ "$(docker network inspect -f '{{.Scope}} {{.IPAM.Driver}}' snet)" = "swarm $DRV" ]; }
# The manager's allocator asks the plugin for the pool after the create returns; until
# then inspect shows the network without an IPAM driver (a CI run saw 'swarm ').
wait_until 20 "swarm scope, the plugin's IPAM" snet_ipam_is
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
# The manager's allocator releases its pool (the plugin's ReleasePool) after the removal returns.
no_subnet() { [ "$(zk_ls /ipam/subnets)" = "[]" ]; }
wait_until 20 "no subnet claim left in ZooKeeper" no_subnet

t_begin "docker stack deploy"
# A stack file as a user writes one: a zkswarm volume with driver_opts and labels, an image
# volume (type image, a size), an external volume made beforehand, a swarm network of the
# plugin's with an mtu, the plugin's IPAM and a subnet, and the service's alias on it
# (endpoint_mode dnsrr: the engine builds a VIP's load balancer only for overlay, README).
STACK=zks-st
EXT=zks-st-ext
STACK_NET=198.18.78.0/24
stack_tasks() { docker ps -aq --filter "label=com.docker.stack.namespace=$STACK"; }
# cleanup on failure: the stack, then (bounded) its containers, so its volumes can go
stack_cleanup() {
	docker stack rm "$STACK" >/dev/null 2>&1
	for _ in $(seq 100); do
		[ -n "$(stack_tasks)" ] || break
		sleep 0.3
	done
	docker volume rm -f "${STACK}_vol" "${STACK}_img" "$EXT" >/dev/null 2>&1
	return 0
}
on_exit stack_cleanup
assert_ok "the external volume is made beforehand (docker volume create -d)" docker volume create -d "$DRV" "$EXT"
assert_ok "a container writes to it" docker run --rm --label "zkswarm-e2e=$PLUGIN" \
	--mount "type=volume,source=$EXT,target=/ext,volume-driver=$DRV" "$IMAGE" sh -c 'echo made-before >/ext/note'
mkdir -p "$T/stack"
cat >"$T/stack/stack.yml" <<YML
version: "3.8"
services:
  app:
    image: $IMAGE
    command: ["sh", "-c", "echo from-the-stack >/data/f && echo in-the-image >/img/f && cat /ext/note >/ext/seen && exec sleep 600"]
    stop_grace_period: 1s
    volumes:
      # nocopy: the image has /data, and the engine would copy that directory's mode (0755)
      # onto the empty volume at its first mount, over the volume's mode option
      - {type: volume, source: vol, target: /data, volume: {nocopy: true}}
      - img:/img
      - ext:/ext
    networks:
      net: {aliases: [store]}
    deploy:
      endpoint_mode: dnsrr
volumes:
  vol:
    driver: $DRV
    driver_opts: {mode: "0770"}
    labels: {com.example.team: storage}
  img:
    driver: $DRV
    driver_opts: {type: image, size: 32M}
  ext:
    external: true
    name: $EXT
networks:
  net:
    driver: $DRV
    attachable: true
    driver_opts: {mtu: "1400"}
    ipam:
      driver: $DRV
      config:
        - subnet: $STACK_NET
YML
assert_ok "docker stack deploy" docker stack deploy --resolve-image never -c "$T/stack/stack.yml" "$STACK"
stask() { docker ps -q --filter "label=com.docker.swarm.service.name=${STACK}_app"; }
stask_wrote() { [ -n "$(stask)" ] && docker exec "$(stask)" cat /data/f /img/f /ext/seen 2>/dev/null | tr '\n' ' ' | grep -qx 'from-the-stack in-the-image made-before '; }
wait_until 60 "its task runs and writes to its three volumes (the external one's data seen)" stask_wrote
st=$(stask)
assert_ok "docker volume inspect ${STACK}_vol" docker volume inspect "${STACK}_vol"
assert_eq "$(jq -r '.[0].Driver + " " + .[0].Status.options.mode' <<<"$T_OUT")" "$DRV 0770" "the plugin's, with the file's driver_opts (mode 0770)"
assert_eq "$(jq -r '.[0].Labels["com.example.team"] + " " + .[0].Labels["com.docker.stack.namespace"]' <<<"$T_OUT")" \
	"storage $STACK" "the file's label and the stack's"
assert_eq "$(stat -c %a "$T/data/${STACK}_vol")" 770 "its data directory has mode 0770"
assert_ok "docker volume inspect ${STACK}_img" docker volume inspect "${STACK}_img"
assert_eq "$(jq -r '.[0].Status.options.type + " " + .[0].Status.options.size + " " + .[0].Status.fence + ", " + .[0].Status.used_measured_on' <<<"$T_OUT")" \
	"image 32M live, the mounted filesystem" "an image volume of 32M, fenced, live, mounted"
# Status.size is then the mounted ext4's (less than the image: its journal and tables)
fs_size=$(jq -r '.[0].Status.size_bytes' <<<"$T_OUT")
assert_ok "its filesystem's size ($(jq -r '.[0].Status.size' <<<"$T_OUT")) is within the 32M" \
	test "$fs_size" -gt $((16 << 20)) -a "$fs_size" -le $((32 << 20))
assert_eq "$(stat -c %s "$T/data/${STACK}_img/disk.img")" $((32 << 20)) "a 32M image on the data source"
assert_fails_with "the task writing 40M to it gets ENOSPC" "No space left on device" \
	docker exec "$st" dd if=/dev/zero of=/img/big bs=1M count=40
assert_ok "docker network inspect ${STACK}_net" docker network inspect "${STACK}_net"
assert_eq "$(jq -r '.[0].Scope + " " + .[0].Driver + " " + .[0].IPAM.Driver + " " + .[0].IPAM.Config[0].Subnet + " mtu=" + .[0].Options.mtu' <<<"$T_OUT")" \
	"swarm $DRV $DRV $STACK_NET mtu=1400" "swarm scope, driver, IPAM driver, subnet and mtu as in the file"
sip=$(docker inspect -f "{{(index .NetworkSettings.Networks \"${STACK}_net\").IPAddress}}" "$st")
assert_contains "$sip" 198.18.78. "the task has an address in $STACK_NET ($sip)"
assert_ok "its interface on the network" docker exec "$st" sh -c "ip -o link show \$(ip -4 -o addr show | grep -F ' $sip/' | awk '{print \$2}')"
assert_contains "$T_OUT" "mtu 1400" "has the network's mtu 1400"
vols=$(zk_ls /volumes)
assert_ok "the three volumes are in ZooKeeper" test -n "$(grep -F "${STACK}_vol" <<<"$vols" | grep -F "${STACK}_img" | grep -F "$EXT")"
assert_contains "$(zk_ls /ipam/subnets)" "198.18.78.0-24" "the subnet is claimed in ZooKeeper"
assert_contains "$(zk_ls /ipam/subnets/198.18.78.0-24/addrs/198.18.78.0-24)" "$sip" "the task's address recorded"
# resolves CMD...: CMD's nslookup of the alias store (the engine's DNS) answers the task's address
resolves() {
	local out
	out=$("$@" nslookup store 2>&1) # busybox: non-zero when AAAA has no answer
	[[ $out == *"Name:"*"store"*"Address"*"$sip"* ]]
}
wait_until 15 "the task resolves its alias store to $sip" resolves docker exec "$st"
assert_ok "and reaches it" docker exec "$st" ping -c 1 -W 2 store
wait_until 15 "a container on the attachable network resolves store to $sip" \
	resolves docker run --rm --label "zkswarm-e2e=$PLUGIN" --network "${STACK}_net" "$IMAGE"
assert_ok "and reaches it" docker run --rm --label "zkswarm-e2e=$PLUGIN" --network "${STACK}_net" "$IMAGE" ping -c 1 -W 2 store

t_begin "docker stack rm"
# Its network may be refused as still in use by a task the orchestrator has not yet marked
# for removal (moby/moby#31068): the CLI then fails; a user runs it again, and so does this.
wait_until 30 "docker stack rm (again if its network was refused as in use)" docker stack rm "$STACK"
stack_gone() {
	[ -z "$(docker service ls -q --filter "label=com.docker.stack.namespace=$STACK")" ] && [ -z "$(stack_tasks)" ] &&
		! docker network inspect "${STACK}_net" >/dev/null 2>&1
}
wait_until 45 "its service, task and network are gone" stack_gone
assert_eq "$(docker volume ls -q --filter "label=com.docker.stack.namespace=$STACK" | sort | tr '\n' ' ')" \
	"${STACK}_img ${STACK}_vol " "its volumes stay (as docker stack rm leaves them)"
assert_ok "docker volume rm of its volumes and the external one" docker volume rm "${STACK}_vol" "${STACK}_img" "$EXT"
assert_fails "the image volume's image is deleted" test -e "$T/data/${STACK}_img"
assert_eq "$(zk_ls /volumes)" "[]" "no volume record left in ZooKeeper"
assert_eq "$(zk_ls /networks)" "[]" "no network record left in ZooKeeper"
wait_until 20 "no subnet claim left in ZooKeeper" no_subnet

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
