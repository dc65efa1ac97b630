#!/usr/bin/env bash
# Swarm's own service discovery on a zkswarm network, beside an overlay network,
# on the project's 3-node swarm (scripts/cluster.sh, NETWORK_SCOPE=global):
# a service's name (its VIP), tasks.NAME and --endpoint-mode dnsrr, each looked
# up and connected to from an attachable container of the same network.  What
# the engine does differently on a remote driver's network is asserted as it
# is, and docs/PROTOCOL.md ("Swarm's service discovery on zkswarm networks")
# says why.  On the zkswarm network the plugin's own DNS (at its gateway) answers a
# service with every task, as the name registry has them.
#
# Env: CLUSTER_DIR (default: a new /tmp/zkswarm-sdns.XXXXXX, removed at the
# end unless a check failed), ZKSW_DOCKER (the docker CLI).
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/lib.sh"

C=${CLUSTER_DIR:-$(mktemp -d /tmp/zkswarm-sdns.XXXXXX)}
IMAGE=zkswarm-bb:latest
DRV=zkswarm:latest
OV_NET=198.19.240.0/24 # the overlay network
ZN_NET=198.19.241.0/24 # the zkswarm network
ZN_GW=198.19.241.1     # its gateway: the plugin's DNS on every node
DOCKER=${ZKSW_DOCKER:-}
if [ -z "$DOCKER" ]; then
	if [ -x /usr/bin/docker ]; then DOCKER=/usr/bin/docker; else DOCKER=docker; fi
fi
export ZKSW_DOCKER=$DOCKER
dk() { local k=$1; shift; timeout 60 "$DOCKER" -H "unix://$C/node$k.sock" "$@"; }

# A server that answers every connection on port 80 with its own host name.
SERVER='while :; do hostname | nc -l -p 80; done'
service() { # service NAME NET ARGS...: 2 replicas of the server on NET
	local name=$1 net=$2
	shift 2
	dk 1 service create -d --name "$name" --no-resolve-image --restart-delay 1s \
		--stop-grace-period 1s --replicas 2 --network "$net" "$@" "$IMAGE" sh -c "$SERVER"
}
# running SVC: its 2 tasks run
running() {
	local k n=0
	for k in 1 2 3; do
		n=$((n + $(dk "$k" ps -q --filter "label=com.docker.swarm.service.name=$1" --filter status=running | wc -l)))
	done
	[ "$n" -eq 2 ]
}
# addrs NET NAME: the addresses NAME resolves to, from NET's client (sorted, space-separated)
addrs() {
	dk 1 exec "cli-$1" nslookup "$2" 2>/dev/null | sed -n '/^Name:/,$p' |
		grep -Eo '([0-9]+\.){3}[0-9]+' | sort -V | tr '\n' ' '
}
# plugin_addrs NAME: what the plugin's DNS at zn's gateway answers for NAME, from zn's client
plugin_addrs() {
	dk 1 exec cli-zn nslookup "$1" "$ZN_GW" 2>/dev/null | sed -n '/^Name:/,$p' |
		grep -Eo '([0-9]+\.){3}[0-9]+' | sort -V | tr '\n' ' '
}
plugin_resolves_as() { [ "$(plugin_addrs "$1")" = "$2" ]; }
resolves_as() { [ "$(addrs "$1" "$2")" = "$3" ]; } # resolves_as NET NAME "A B "
resolves_to_n() { local a; a=$(addrs "$1" "$2"); [ "$(wc -w <<<"$a")" -eq "$3" ]; }
# task_addrs SVC NET: the tasks' addresses on NET, as the engines show them
task_addrs() {
	local k c
	for k in 1 2 3; do
		for c in $(dk "$k" ps -q --filter "label=com.docker.swarm.service.name=$1"); do
			dk "$k" inspect -f "{{(index .NetworkSettings.Networks \"$2\").IPAddress}}" "$c"
		done
	done | sort -V | tr '\n' ' '
}
# answers NET TARGET: a connection from NET's client to TARGET:80 gets a host name
answers() { dk 1 exec "cli-$1" sh -c "nc -w 3 $2 80 </dev/null" | grep -q .; }

on_exit "if [ \"\$T_FAIL\" -eq 0 ]; then rm -rf '$C'; else echo 'logs kept in $C'; fi"
on_exit "'$top/scripts/cluster.sh' down '$C'"
assert_ok "scripts/cluster.sh up (3 nodes, NETWORK_SCOPE=global)" \
	"$top/scripts/cluster.sh" up "$C" --nodes 3 --set NETWORK_SCOPE=global || exit 1

t_begin "networks"
assert_ok "an overlay network ov ($OV_NET)" \
	dk 1 network create -d overlay --attachable --subnet "$OV_NET" ov
assert_ok "a zkswarm network zn ($ZN_NET)" \
	dk 1 network create -d "$DRV" --ipam-driver "$DRV" --attachable --scope swarm --subnet "$ZN_NET" \
		--gateway "$ZN_GW" zn
for net in ov zn; do
	assert_ok "$net: service vip-$net (2 replicas, VIP)" service "vip-$net" "$net"
	assert_ok "$net: service rr-$net (2 replicas, dnsrr)" service "rr-$net" "$net" --endpoint-mode dnsrr
	assert_ok "$net: an attachable client on node1" dk 1 run -d --name "cli-$net" --network "$net" "$IMAGE" sleep 900
done
for net in ov zn; do
	wait_until 60 "$net: vip-$net runs 2 tasks" running "vip-$net"
	wait_until 60 "$net: rr-$net runs 2 tasks" running "rr-$net"
done

for net in ov zn; do
	t_begin "$net"
	vip=$(dk 1 service inspect -f "{{range .Endpoint.VirtualIPs}}{{.Addr}} {{end}}" "vip-$net")
	echo "    (vip-$net's virtual IPs: $vip)"
	tasks=$(task_addrs "vip-$net" "$net")
	rr=$(task_addrs "rr-$net" "$net")
	wait_until 20 "tasks.vip-$net resolves to its 2 tasks ($tasks)" resolves_as "$net" "tasks.vip-$net" "$tasks"
	wait_until 20 "rr-$net (dnsrr) resolves to its 2 tasks ($rr)" resolves_as "$net" "rr-$net" "$rr"
	for a in $rr; do
		wait_until 20 "rr-$net's task $a answers" answers "$net" "$a"
	done
	wait_until 20 "rr-$net answers by name" answers "$net" "rr-$net"
	wait_until 20 "vip-$net resolves to one address, its VIP" resolves_to_n "$net" "vip-$net" 1
	got=$(addrs "$net" "vip-$net")
	assert_eq "$got" "${vip%%/*} " "vip-$net resolves to its VIP"
	if [ "$net" = ov ]; then
		# A VIP is IPVS in the network's load-balancer sandbox: a kernel without IPVS
		# (this test machine's has none: no /proc/net/ip_vs) answers on no VIP at all.
		if [ -e /proc/net/ip_vs ]; then
			wait_until 20 "vip-$net answers through its VIP" answers "$net" "vip-$net"
		else
			echo "    (not checked: vip-$net through its VIP; this kernel has no IPVS)"
		fi
	else
		# The engine builds the VIP's load balancer only for the overlay driver: on any
		# other driver the VIP is allocated and resolves, and the engine says it has no
		# load-balancing endpoint for the network (docs/PROTOCOL.md).
		id=$(dk 1 network inspect -f '{{.Id}}' "$net")
		# The plugin's own DNS (the name registry) answers a service with every task.
		wait_until 20 "the plugin's DNS at $ZN_GW: vip-$net.zkswarm -> its 2 tasks ($tasks)" \
			plugin_resolves_as "vip-$net.zkswarm" "$tasks"
		wait_until 20 "the plugin's DNS at $ZN_GW: rr-$net.zkswarm -> its 2 tasks ($rr)" \
			plugin_resolves_as "rr-$net.zkswarm" "$rr"
		wait_until 20 "the engine says: no load-balancing endpoint for $net ($id)" \
			grep -q "Unable to find load balancing endpoint for network $id" "$C"/node*.log
		assert_fails "vip-$net does not answer through its VIP" answers "$net" "vip-$net"
	fi
done

t_begin "clean up"
for net in ov zn; do
	dk 1 rm -f "cli-$net" >/dev/null 2>&1
	assert_ok "$net: services removed" dk 1 service rm "vip-$net" "rr-$net"
done
t_summary
