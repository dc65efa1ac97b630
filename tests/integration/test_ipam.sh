#!/usr/bin/env bash
# Integration: three zkswarmd instances allocate from one real ZooKeeper at
# the same time.  Shows that subnets and addresses are never given twice,
# that overlapping claims lose cleanly, that Swarm's "manager allocates,
# worker asks again by value, both release" pattern works, and that nothing
# leaks, also when ZooKeeper is killed in the middle of the allocations.
#
# Env: ZKSWARMD (default build/zkswarmd), ZK_PORT (default 2194).
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/lib.sh"

ZKSWARMD=${ZKSWARMD:-$top/build/zkswarmd}
ZK_PORT=${ZK_PORT:-2194}
SESSION_MS=6000
T=$(mktemp -d /tmp/zkswarm-ipam.XXXXXX)
on_exit "rm -rf '$T'"
on_exit "$top/scripts/zk.sh stop '$T/zk' >/dev/null"
. "$top/tests/integration/daemon.sh"
on_exit "stop_node n1 KILL; stop_node n2 KILL; stop_node n3 KILL"
NODES="n1 n2 n3"

# parallel OUT ENDPOINT JSON NODE... : one request per NODE at once; "node rc body" lines in OUT
parallel() {
	local out=$1 ep=$2 body=$3 n i=0 pids=()
	shift 3
	: >"$out"
	for n in "$@"; do
		i=$((i + 1))
		(r=$(call "$n" "$ep" "$body" 2>&1); echo "$n $? $r" >"$out.$i") &
		pids+=($!)
	done
	wait "${pids[@]}" # not the daemons, which are children too
	cat "$out".* >>"$out" 2>/dev/null
	rm -f "$out".*
}

# allocate NODE COUNT POOL OUT: COUNT address requests, 8 at a time; successes in OUT
allocate() {
	local node=$1 count=$2 pool=$3 out=$4
	seq "$count" | xargs -P 8 -I{} sh -c \
		"curl -s --max-time 60 --unix-socket '$T/$node/s.sock' -X POST \
		 -d '{\"PoolID\":\"$pool\",\"Address\":\"\",\"Options\":null}' http://z/IpamDriver.RequestAddress \
		 | jq -r '.Address // (\"ERR \" + (.Err // \"?\"))'" >"$out"
}

t_begin "setup"
assert_ok "ZooKeeper starts" "$top/scripts/zk.sh" start "$T/zk" --port "$ZK_PORT" --tick 1000 || exit 1
for n in $NODES; do
	assert_ok "node $n starts" start_node "$n" ADVERTISE_ADDR=127.0.0.1 DEFAULT_POOL=198.18.160.0/19 \
		DEFAULT_POOL_SIZE=26
done
for n in $NODES; do wait_until 10 "$n connected" grep -q "mirror: synced" "$T/$n/log"; done

t_begin "pools"
parallel "$T/same" IpamDriver.RequestPool '{"AddressSpace":"zkswarm-local","Pool":"198.18.70.0/24","V6":false}' $NODES
assert_eq "$(awk '$2 == 0' "$T/same" | wc -l)" 3 "the same subnet from three nodes at once: all get it"
assert_eq "$(awk '{print $3}' "$T/same" | jq -r .PoolID | sort -u)" "198.18.70.0/24" "as one pool"
parallel "$T/overlap" IpamDriver.RequestPool '{"Pool":"198.18.72.0/23"}' n1
parallel "$T/o1" IpamDriver.RequestPool '{"Pool":"198.18.74.0/24"}' n1 & p1=$!
parallel "$T/o2" IpamDriver.RequestPool '{"Pool":"198.18.74.0/23"}' n2 & p2=$!
parallel "$T/o3" IpamDriver.RequestPool '{"Pool":"198.18.74.128/25"}' n3 & p3=$!
wait $p1 $p2 $p3
cat "$T/o1" "$T/o2" "$T/o3" >"$T/overlaps"
assert_eq "$(awk '$2 == 0' "$T/overlaps" | wc -l)" 1 "three overlapping subnets at once: exactly one wins"
assert_eq "$(grep -c 'overlaps' "$T/overlaps")" 2 "the others are told it overlaps"
for k in 1 2 3 4 5; do
	parallel "$T/dyn$k" IpamDriver.RequestPool '{"Pool":""}' $NODES
done
cat "$T"/dyn? >"$T/dyn"
assert_eq "$(awk '$2 == 0' "$T/dyn" | wc -l)" 15 "15 subnets without --subnet, 3 at a time: all given"
awk '{print $3}' "$T/dyn" | jq -r .Pool | sort >"$T/dyn.pools"
assert_eq "$(sort -u "$T/dyn.pools" | wc -l)" 15 "all distinct"
assert_eq "$(grep -vc '^198\.18\.1[6-9][0-9]\..*/26$' "$T/dyn.pools")" 0 "all /26 inside DEFAULT_POOL 198.18.160.0/19"

t_begin "addresses"
pids=()
for n in $NODES; do allocate "$n" 60 198.18.70.0/24 "$T/addr.$n" & pids+=($!); done
wait "${pids[@]}"
cat "$T"/addr.n? >"$T/addr"
assert_eq "$(grep -c '^198\.18\.70\.' "$T/addr")" 180 "180 requests, 24 at a time from 3 nodes: all answered"
assert_eq "$(sort -u "$T/addr" | wc -l)" 180 "no address given twice"
assert_eq "$(grep -c '^198\.18\.70\.\(0\|255\)/' "$T/addr")" 0 "never the network or broadcast address"
parallel "$T/x" IpamDriver.RequestPool '{"Pool":"198.18.76.0/28"}' n1
pids=()
for n in $NODES; do allocate "$n" 8 198.18.76.0/28 "$T/small.$n" & pids+=($!); done
wait "${pids[@]}"
cat "$T"/small.n? >"$T/small"
assert_eq "$(grep -c '^198\.18\.76\.' "$T/small")" 14 "a /28 gives exactly its 14 hosts to 24 requests"
assert_eq "$(sort -u "$T/small" | grep -c '^198')" 14 "all distinct"
assert_eq "$(grep -c 'no free address' "$T/small")" 10 "the other 10 are told the pool is full"

t_begin "swarm's pattern"
assert_ok "manager allocates (serial)" call n1 IpamDriver.RequestAddress \
	'{"PoolID":"198.18.72.0/23","Address":"","Options":{"com.docker.network.ipam.serial":"true"}}'
a=$(field .Address); a=${a%/*}
assert_ok "worker asks for it by value" call n2 IpamDriver.RequestAddress "{\"PoolID\":\"198.18.72.0/23\",\"Address\":\"$a\",\"Options\":null}"
assert_ok "non-swarm address" call n1 IpamDriver.RequestAddress '{"PoolID":"198.18.72.0/23","Address":"198.18.72.100"}'
assert_fails_with "another node asking for it by value is refused, naming the holder" 'held by node `n1`' \
	call n3 IpamDriver.RequestAddress '{"PoolID":"198.18.72.0/23","Address":"198.18.72.100"}'
assert_ok "worker releases" call n2 IpamDriver.ReleaseAddress "{\"PoolID\":\"198.18.72.0/23\",\"Address\":\"$a\"}"
assert_fails_with "still held by the manager" "in use" \
	call n3 IpamDriver.RequestAddress "{\"PoolID\":\"198.18.72.0/23\",\"Address\":\"198.18.72.100\"}"
assert_ok "manager releases" call n1 IpamDriver.ReleaseAddress "{\"PoolID\":\"198.18.72.0/23\",\"Address\":\"$a\"}"
assert_ok "then it is free for anyone" call n3 IpamDriver.RequestAddress "{\"PoolID\":\"198.18.72.0/23\",\"Address\":\"$a\"}"
call n3 IpamDriver.ReleaseAddress "{\"PoolID\":\"198.18.72.0/23\",\"Address\":\"$a\"}" >/dev/null
call n1 IpamDriver.ReleaseAddress '{"PoolID":"198.18.72.0/23","Address":"198.18.72.100"}' >/dev/null
gw='{"PoolID":"198.18.70.0/24","Address":"","Options":{"RequestAddressType":"com.docker.network.gateway"}}'
parallel "$T/gw" IpamDriver.RequestAddress "$gw" $NODES
assert_eq "$(awk '$2 == 0' "$T/gw" | wc -l)" 3 "every node's gateway request is answered"
assert_eq "$(awk '{print $3}' "$T/gw" | jq -r .Address | sort -u | wc -l)" 1 "with one gateway for the subnet"
gwaddr=$(awk '{print $3}' "$T/gw" | jq -r .Address | head -1)
gwaddr=${gwaddr%/*}

t_begin "ZooKeeper killed during allocations"
parallel "$T/x" IpamDriver.RequestPool '{"Pool":"198.18.80.0/22"}' n1 n2
pids=()
for n in n1 n2; do allocate "$n" 80 198.18.80.0/22 "$T/kill.$n" & pids+=($!); done
sleep 0.3
"$top/scripts/zk.sh" kill "$T/zk" >/dev/null
sleep 1
assert_ok "ZooKeeper restarts" "$top/scripts/zk.sh" restart "$T/zk"
wait "${pids[@]}"
cat "$T"/kill.n? >"$T/kill"
good=$(grep -c '^198\.18\.8[0-3]\.' "$T/kill")
echo "  $good of 160 allocations succeeded across the kill; $(grep -c '^ERR' "$T/kill") failed with an error"
grep '^ERR' "$T/kill" | sort | uniq -c | head -5
assert_eq "$(grep '^198' "$T/kill" | sort | uniq -d)" "" "no address given twice"
wait_until 20 "ZooKeeper answers again" call n1 IpamDriver.RequestPool '{"Pool":"198.18.80.0/22"}'
call n1 IpamDriver.ReleasePool '{"PoolID":"198.18.80.0/22"}' >/dev/null
zkcli() { /usr/share/zookeeper/bin/zkCli.sh -server 127.0.0.1:$ZK_PORT "$@" 2>/dev/null | grep '^\[' | tail -1; }
# zkaddrs SUBNET-NAME: the address records in ZooKeeper (addrs/<a.b.c.0-24>/<a.b.c.d>), one a line
zkaddrs() {
	/usr/share/zookeeper/bin/zkCli.sh -server 127.0.0.1:$ZK_PORT ls -R "/zkswarm-it/ipam/subnets/$1/addrs" 2>/dev/null |
		grep -E '/addrs/[^/]+/[^/]+$' | sed 's|.*/||'
}
stored=$(zkaddrs 198.18.80.0-22 | grep -c .)
assert_eq "$stored" "$good" "ZooKeeper holds exactly the addresses that were acknowledged (nothing leaked)"

t_begin "release everything"
# Each address goes back through the node that got it.
for n in $NODES; do
	for f in "$T/addr.$n" "$T/small.$n" "$T/kill.$n"; do [ -f "$f" ] && grep '^198' "$f"; done | while read -r a; do
		case "$a" in 198.18.70.*) p=198.18.70.0/24 ;; 198.18.76.*) p=198.18.76.0/28 ;; *) p=198.18.80.0/22 ;; esac
		call "$n" IpamDriver.ReleaseAddress "{\"PoolID\":\"$p\",\"Address\":\"${a%/*}\"}" >/dev/null || echo "release of $a failed"
	done
done >"$T/release-errors"
assert_eq "$(cat "$T/release-errors")" "" "every release succeeds"
for p in 198.18.70.0/24 198.18.76.0/28 198.18.80.0/22; do
	name=$(echo "$p" | tr / -)
	left=$(zkaddrs "$name" | paste -sd, -)
	case $p in 198.18.70.0/24) exp=$gwaddr ;; *) exp="" ;; esac # the gateway is still held
	assert_eq "$left" "$exp" "no address of $p left but the gateway"
done
for n in $NODES; do call "$n" IpamDriver.ReleaseAddress "{\"PoolID\":\"198.18.70.0/24\",\"Address\":\"$gwaddr\"}" >/dev/null; done
for p in 198.18.70.0/24; do for n in $NODES; do call "$n" IpamDriver.ReleasePool "{\"PoolID\":\"$p\"}" >/dev/null; done; done
for p in 198.18.72.0/23 198.18.76.0/28 198.18.80.0/22; do call n1 IpamDriver.ReleasePool "{\"PoolID\":\"$p\"}" >/dev/null; done
call n2 IpamDriver.ReleasePool '{"PoolID":"198.18.80.0/22"}' >/dev/null
grep -h '"PoolID"' "$T/o1" "$T/o2" "$T/o3" | awk '$2 == 0 {print $1, $3}' | while read -r n body; do
	call "$n" IpamDriver.ReleasePool "$(jq -c '{PoolID}' <<<"$body")" >/dev/null
done
while read -r n rc body; do
	call "$n" IpamDriver.ReleasePool "$(jq -c '{PoolID}' <<<"$body")" >/dev/null
done <"$T/dyn"
call n1 IpamDriver.ReleasePool '{"PoolID":"198.18.72.0/23"}' >/dev/null
assert_eq "$(zkcli ls /zkswarm-it/ipam/subnets)" "[]" "every subnet released: nothing left in ZooKeeper"
assert_ok "releasing twice is harmless" call n1 IpamDriver.ReleasePool '{"PoolID":"198.18.70.0/24"}'

for n in $NODES; do stop_node "$n" TERM; done
check_sanitizer_logs
t_summary
