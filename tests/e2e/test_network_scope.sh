#!/usr/bin/env bash
# End to end: NETWORK_SCOPE=global (the setting for swarms) on a standalone engine,
# where engines differ (tests/e2e/engine.sh picks one with ZKSW_ENGINE).  Engine
# 20.10 refuses the network ("not a swarm manager", after creating it through the
# plugin and removing it again); Engine 26 accepts it, with Scope global, and it works
# on that engine as a local one does.  The plugin answers the scope it is set to on
# both (a plugin does not know whether its engine is in a swarm when it is asked): the
# refusal on 20.10 must leave nothing behind, and on 26 the network must work.
# Env: ZK_PORT (default 2205).
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/lib.sh"
. "$top/tests/e2e/plugin.sh"
PLUGIN=${PLUGIN:-zkswarm-e2escope}
TUNNEL_IF=zkscope0

e2e_engine || exit 1
eip() { in_engine_net ip "$@"; }
eip link del "$TUNNEL_IF" 2>/dev/null
eip link add "$TUNNEL_IF" type veth peer name "${TUNNEL_IF}p" && eip addr add 198.18.6.1/32 dev "$TUNNEL_IF" &&
	eip link set "$TUNNEL_IF" up
on_exit "eip link del $TUNNEL_IF 2>/dev/null"
e2e_setup "$PLUGIN" "${ZK_PORT:-2205}" ADVERTISE_ADDR=198.18.6.1 NETWORK_SCOPE=global || exit 1
assert_eq "$(docker info -f '{{.Swarm.LocalNodeState}}')" inactive "the engine is standalone"

create() {
	docker network create -d "$PLUGIN:latest" --ipam-driver "$PLUGIN:latest" --subnet 198.18.68.0/24 gnet
}
case $ENGINE in
20)
	t_begin "Engine 20.10 refuses a global network outside a swarm"
	assert_fails_with "docker network create says why" "swarm manager" create
	assert_fails "no network gnet" docker network inspect gnet
	assert_eq "$(zk_ls /networks)" "[]" "no network record left in ZooKeeper"
	assert_eq "$(zk_ls /ipam/subnets)" "[]" "no subnet claim left in ZooKeeper"
	;;
26)
	t_begin "Engine 26 accepts a global network outside a swarm"
	assert_ok "docker network create" create
	assert_eq "$(docker network inspect -f '{{.Scope}}' gnet)" global "its scope is global"
	assert_contains "$(zk_ls /ipam/subnets)" "198.18.68.0-24" "the subnet is claimed in ZooKeeper"
	assert_ok "two containers on it" sh -c "docker run -d --label zkswarm-e2e=$PLUGIN --name gc1 --network gnet $IMAGE sleep 300 &&
		docker run -d --label zkswarm-e2e=$PLUGIN --name gc2 --network gnet $IMAGE sleep 300"
	ip2=$(docker inspect -f '{{(index .NetworkSettings.Networks "gnet").IPAddress}}' gc2)
	assert_contains "$ip2" 198.18.68. "gc2 has an address in the subnet ($ip2)"
	assert_contains "$(zk_ls /ipam/subnets/198.18.68.0-24/addrs/198.18.68.0-24)" "$ip2" "recorded in ZooKeeper"
	assert_ok "gc1 reaches gc2" docker exec gc1 ping -c 2 -W 2 "$ip2"
	assert_ok "remove the containers and the network" sh -c 'docker rm -f gc1 gc2 && docker network rm gnet'
	assert_eq "$(zk_ls /networks)" "[]" "no network record left in ZooKeeper"
	assert_eq "$(zk_ls /ipam/subnets)" "[]" "no subnet claim left in ZooKeeper"
	;;
esac
t_summary
