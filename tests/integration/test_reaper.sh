#!/usr/bin/env bash
# Integration: a dead node's endpoints, network memberships, pool references
# and addresses are reclaimed once its registration has been gone for the
# grace period, by one elected daemon only; a live node's are never touched.
#
# Each node runs in a network namespace of its own (its bridges and VXLAN
# devices live there), joined to ZooKeeper by a bridge; all addresses are in
# 198.18.7.0/24.  Env: ZKSWARMD, ZK_PORT (default 2196).
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/lib.sh"

ZKSWARMD=${ZKSWARMD:-$top/build/zkswarmd}
ZK_PORT=${ZK_PORT:-2196}
ZK_ADDR=198.18.7.1
SESSION_MS=3000
GRACE_MS=2000
T=$(mktemp -d /tmp/zkswarm-reaper.XXXXXX)
BR=zr$$br
on_exit "rm -rf '$T'"
. "$top/tests/integration/daemon.sh"
zkls() { /usr/share/zookeeper/bin/zkCli.sh -server $ZK_ADDR:$ZK_PORT ls "/zkswarm-it$1" 2>/dev/null | grep '^\[' | tail -1; }
net_id() { printf '%064d' "$1"; }
ep_id() { printf 'e%063d' "$1"; }

t_begin "setup"
assert_ok "underlay bridge" sh -c "ip link add $BR type bridge && ip addr add $ZK_ADDR/24 dev $BR && ip link set $BR up"
on_exit "ip link del $BR 2>/dev/null"
for k in 1 2 3; do
	ns=zr-$$-n$k
	assert_ok "namespace of n$k" sh -c "ip netns add $ns && ip link add zr$$a$k type veth peer name zr$$b$k &&
		ip link set zr$$b$k netns $ns && ip link set zr$$a$k master $BR up &&
		ip -n $ns addr add 198.18.7.1$k/24 dev zr$$b$k && ip -n $ns link set zr$$b$k up && ip -n $ns link set lo up"
	on_exit "ip netns del $ns 2>/dev/null"
done
assert_ok "ZooKeeper starts" "$top/scripts/zk.sh" start "$T/zk" --port "$ZK_PORT" --tick 1000 --address $ZK_ADDR || exit 1
on_exit "$top/scripts/zk.sh stop '$T/zk' >/dev/null"
on_exit "stop_node n1 KILL; stop_node n2 KILL; stop_node n3 KILL"
for k in 1 2 3; do
	NETNS=zr-$$-n$k assert_ok "node n$k starts" start_node "n$k" ZK_HOSTS=$ZK_ADDR:$ZK_PORT \
		ADVERTISE_ADDR=198.18.7.1$k REAPER_GRACE_MS=$GRACE_MS
done
for n in n1 n2 n3; do wait_until 10 "$n registered" grep -q "mirror: synced" "$T/$n/log"; done

t_begin "n2 and n3 join a network"
pool='{"Pool":"198.18.110.0/24"}'
for n in n1 n2 n3; do
	assert_ok "$n requests the pool" call "$n" IpamDriver.RequestPool "$pool"
	assert_ok "$n creates the network" call "$n" NetworkDriver.CreateNetwork \
		"{\"NetworkID\":\"$(net_id ${n#n})\",\"Options\":{\"com.docker.network.generic\":{\"cluster-name\":\"web\"}},\"IPv4Data\":[{\"Pool\":\"198.18.110.0/24\"}]}"
	assert_ok "$n gets an address" call "$n" IpamDriver.RequestAddress '{"PoolID":"198.18.110.0/24","Address":""}'
	addr=$(field .Address)
	echo "$addr" >"$T/$n.addr"
	assert_ok "$n creates an endpoint" call "$n" NetworkDriver.CreateEndpoint \
		"{\"NetworkID\":\"$(net_id ${n#n})\",\"EndpointID\":\"$(ep_id ${n#n})\",\"Interface\":{\"Address\":\"$addr\"}}"
done
assert_eq "$(zkls /networks/web/endpoints | tr -d '[] ' | tr ',' '\n' | grep -c .)" 3 "three endpoints recorded"

t_begin "n2 dies"
t0=$(date +%s%3N)
stop_node n2 KILL
wait_until 20 "n2's endpoint is reclaimed" sh -c "! /usr/share/zookeeper/bin/zkCli.sh -server $ZK_ADDR:$ZK_PORT ls /zkswarm-it/networks/web/endpoints 2>/dev/null | grep -q '$(ep_id 2)'"
echo "  reclaimed $(( $(date +%s%3N) - t0 )) ms after the kill (session timeout $SESSION_MS ms + grace $GRACE_MS ms)"
a2=$(cat "$T/n2.addr")
# The leader reclaims the endpoint first, then the membership, then (the IPAM service) the
# addresses: one ZooKeeper write after another, which the wait above saw only the first of.
addr_free() { local l; l=$(zkls /ipam/subnets/198.18.110.0-24/addrs/198.18.110.0-24) && [ -n "$l" ] && [[ $l != *"${a2%/*}"* ]]; }
wait_until 10 "its address is free again" addr_free
assert_not_contains "$(zkls /networks/web/members)" "n2:" "its membership is gone"
assert_contains "$(zkls /networks/web/endpoints)" "$(ep_id 1)" "n1's endpoint is untouched"
assert_contains "$(zkls /networks/web/endpoints)" "$(ep_id 3)" "n3's endpoint is untouched"
a1=$(cat "$T/n1.addr")
assert_contains "$(zkls /ipam/subnets/198.18.110.0-24/addrs/198.18.110.0-24)" "${a1%/*}" "n1's address is untouched"
assert_eq "$(grep -l "reclaiming what it held" "$T"/n*/log | wc -l)" 1 "exactly one node reclaimed it"
assert_ok "n2's address can be given again" call n3 IpamDriver.RequestAddress "{\"PoolID\":\"198.18.110.0/24\",\"Address\":\"${a2%/*}\"}"

t_begin "the network can go"
for n in n1 n3; do
	assert_ok "$n deletes its endpoint" call "$n" NetworkDriver.DeleteEndpoint "{\"NetworkID\":\"$(net_id ${n#n})\",\"EndpointID\":\"$(ep_id ${n#n})\"}"
	assert_ok "$n deletes the network" call "$n" NetworkDriver.DeleteNetwork "{\"NetworkID\":\"$(net_id ${n#n})\"}"
done
assert_eq "$(zkls /networks)" "[]" "the network is gone although n2 never deleted it"
for n in n1 n3; do
	while read -r a; do call "$n" IpamDriver.ReleaseAddress "{\"PoolID\":\"198.18.110.0/24\",\"Address\":\"${a%/*}\"}" >/dev/null; done <"$T/$n.addr"
	call "$n" IpamDriver.ReleasePool '{"PoolID":"198.18.110.0/24"}' >/dev/null
done
call n3 IpamDriver.ReleaseAddress "{\"PoolID\":\"198.18.110.0/24\",\"Address\":\"${a2%/*}\"}" >/dev/null
call n3 IpamDriver.ReleasePool '{"PoolID":"198.18.110.0/24"}' >/dev/null
assert_eq "$(zkls /ipam/subnets)" "[]" "and the pool, although n2 never released it"

t_begin "leadership moves"
leaders=$(grep -l "now reclaims" "$T"/n1/log "$T"/n3/log | xargs -n1 dirname | xargs -n1 basename | tr '\n' ' ')
assert_eq "$(echo $leaders | wc -w)" 1 "one live reaper ($leaders)"
leader=$(echo $leaders)
other=$([ "$leader" = n1 ] && echo n3 || echo n1)
stop_node "$leader" TERM
wait_until 15 "$other takes over when $leader stops" grep -q "now reclaims" "$T/$other/log"
for n in n1 n3; do stop_node "$n" TERM; done
check_sanitizer_logs
t_summary
