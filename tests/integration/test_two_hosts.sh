#!/usr/bin/env bash
# Integration: two hosts, each a network namespace running its own zkswarmd,
# one ZooKeeper, and containers on both hosts that exchange traffic through
# the VXLAN devices the daemons programmed.  No Docker: this script plays the
# engine's part (docs/PROTOCOL.md §5, standalone engines with a shared
# `-o cluster-name`), calling the daemons' unix sockets with curl and doing
# what the engine does with the interface Join names (move it into the
# container's namespace, rename it eth0, set its MAC and address).
#
# Shows: both engines' networks become one network (same VNI, bridge and
# VXLAN device on each host); endpoints get distinct addresses; each host's
# reconciler programs the other host's endpoint (FDB entry with the remote
# tunnel address, neighbour entry) on its own; containers ping each other
# across hosts; a daemon killed with SIGKILL and restarted leaves running
# containers undisturbed and programs everything again; removing an endpoint
# removes its entries on the other host; removing one host's network leaves
# the other's; and after the engines' clean-up nothing is left, neither links
# in the hosts nor records in ZooKeeper.
#
# Topology (all in namespaces zkst-*-<pid>, nothing in the root namespace):
#   zkst-u   the underlay switch: bridge br0 198.18.0.1/24, and ZooKeeper on
#            198.18.0.1:$ZK_PORT
#   zkst-h1  host h1: ul0 198.18.0.11/24 (veth to br0), zkswarmd NODE_ID=h1
#   zkst-h2  host h2: ul0 198.18.0.12/24, zkswarmd NODE_ID=h2
#   zkst-c1, zkst-c2  the containers on h1 and h2; subnet 198.18.90.0/24
#
# Needs root and the vxlan, bridge and veth modules.
# Env: ZKSWARMD (default build/zkswarmd; tests/run.sh gives the ASan build, and
# any sanitizer report in the daemons' logs fails the test), ZK_PORT (default
# 2195, inside the test's own namespace, so it cannot clash with anything).
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/lib.sh"

ZKSWARMD=${ZKSWARMD:-$top/build/zkswarmd}
ZK_PORT=${ZK_PORT:-2195}
ZK_ADDR=198.18.0.1
ZK_ROOT=/zkswarm-it2
SESSION_MS=3000
POOL=198.18.90.0/24
T=$(mktemp -d /tmp/zkswarm-2h.XXXXXX)
on_exit "rm -rf '$T'"
# On failure, the daemons' last words (the directory goes with the rest).
on_exit 'if [ "$T_FAIL" -gt 0 ]; then for l in "$T"/h?/log; do echo "---- $l"; tail -n 40 "$l"; done; fi'
on_exit "for ns in \$(ip netns list | awk '{print \$1}' | grep '^zkst-[a-z0-9]*-$$\$'); do ip netns del \"\$ns\"; done"
on_exit "$top/scripts/zk.sh stop '$T/zk' >/dev/null"

. "$top/tests/integration/daemon.sh"
on_exit "stop_node h1 KILL; stop_node h2 KILL"
# Background pings, by pid (they are bounded by timeout(1) anyway).
on_exit 'for p in $BG_PIDS; do kill "$p" 2>/dev/null; done; true'
BG_PIDS=""

if [ "$(id -u)" != 0 ]; then
	fail "needs root (network namespaces)"
	exit 1
fi
[ -x "$ZKSWARMD" ] || { fail "no daemon at $ZKSWARMD (run make)"; exit 1; }
if command -v ping >/dev/null; then PING=(ping); else PING=(busybox ping); fi

ns() { printf 'zkst-%s-%s' "$1" "$$"; }
ns_new() { # NAME: a namespace with lo up and IPv6 off (no stray traffic)
	ip netns add "$(ns "$1")" &&
		ip netns exec "$(ns "$1")" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 \
			net.ipv6.conf.default.disable_ipv6=1 &&
		ip -n "$(ns "$1")" link set lo up
}
in_ns() { local n; n=$(ns "$1"); shift; timeout 30 ip netns exec "$n" "$@"; }
ping_ok() { in_ns "$1" timeout 20 "${PING[@]}" -c 3 -W 2 "$2"; }   # FROM ADDR: 3 replies
ping_fails() { ! in_ns "$1" timeout 20 "${PING[@]}" -c 2 -W 1 "$2"; } # FROM ADDR: none
hex64() { od -An -N32 -tx1 /dev/urandom | tr -d ' \n'; }
now_ms() { date +%s%3N; }
# zk_ls PATH: the children of PATH as ZooKeeper's CLI prints them, e.g. "[a, b]"
zk_ls() { zkcli_ls "$ZK_ADDR:$ZK_PORT" "$ZK_ROOT$1" ip netns exec "$(ns u)"; }
zk_get() { # zk_get PATH: the data of PATH (one line of JSON)
	in_ns u /usr/share/zookeeper/bin/zkCli.sh -server "$ZK_ADDR:$ZK_PORT" get "$ZK_ROOT$1" 2>/dev/null |
		grep '^{' | tail -1
}
# The kernel state a host shows.
zk_links() { in_ns "$1" ip -o link show | awk -F': ' '{print $2}' | sed 's/@.*//' | grep '^zk' || true; }
# Link names are the daemon's business: find them by what they are.
vxlan_of() { # HOST VNI: the name of HOST's VXLAN device with that VNI
	in_ns "$1" ip -d -o link show type vxlan | grep " vxlan id $2 " | awk -F': ' '{print $2}' | sed 's/@.*//'
}
master_of() { in_ns "$1" ip -o link show "$2" | sed -n 's/.* master \([^ ]*\) .*/\1/p'; }
host_end() { # CONTAINER HOST: the host end of the container's eth0
	local i
	i=$(in_ns "$1" cat /sys/class/net/eth0/iflink) || return 1
	in_ns "$2" ip -o link show | awk -F': ' -v i="$i" '$1 == i {print $2}' | sed 's/@.*//'
}
fdb() { in_ns "$1" bridge fdb show dev "$VX" 2>&1; }
neigh() { in_ns "$1" ip neigh show dev "$VX" 2>&1; }
has_remote() { # HOST MAC IP VTEP: FDB entry MAC -> VTEP and neighbour IP -> MAC
	fdb "$1" | grep -qi "^$2 .*dst $4\b" && neigh "$1" | grep -qi "^$3 .*lladdr $2\b"
}
lacks_remote() { # HOST MAC IP: neither entry (the bridge may still have learned MAC on the
	# VXLAN port: that is the kernel's, and leads nowhere without the VXLAN's own entry)
	! fdb "$1" | grep -qi "^$2 dst " && ! neigh "$1" | grep -q "^$3 "
}
log_ms() { # FILE REGEX: the time (epoch ms) of FILE's first line matching REGEX
	local ts
	ts=$(grep -m1 -- "$2" "$1" | cut -d' ' -f1) && [ -n "$ts" ] && date -d "$ts" +%s%3N
}
# latency WHAT FROM_FILE FROM_REGEX TO_FILE TO_REGEX: print the time between two log lines
latency() {
	local a b
	if a=$(log_ms "$2" "$3") && b=$(log_ms "$4" "$5"); then
		echo "  $1: $((b - a)) ms (daemon logs)"
	fi
}
daemon_start() { # HOST: its daemon, inside its namespace, as the managed plugin runs
	local h=$1 addr
	case $h in h1) addr=198.18.0.11 ;; h2) addr=198.18.0.12 ;; esac
	NETNS=$(ns "$h") start_node "$h" ZK_HOSTS="$ZK_ADDR:$ZK_PORT" ZK_ROOT="$ZK_ROOT" \
		ADVERTISE_ADDR="$addr" DEFAULT_POOL=198.18.160.0/19
}
# plumb HOST CONTAINER IFNAME MAC ADDRESS/LEN: what the engine does after Join
plumb() {
	local h c
	h=$(ns "$1") c=$(ns "$2")
	ip -n "$h" link set "$3" netns "$c" &&
		ip -n "$c" link set "$3" name eth0 &&
		ip -n "$c" link set eth0 address "$4" &&
		ip -n "$c" addr add "$5" dev eth0 &&
		ip -n "$c" link set eth0 up
}

NID1=$(hex64) NID2=$(hex64) # two standalone engines: two Docker IDs, one cluster network
EP1=$(hex64) EP2=$(hex64)

t_begin "setup"
for n in u h1 h2 c1 c2; do assert_ok "namespace $(ns $n)" ns_new $n || exit 1; done
assert_ok "underlay: br0 198.18.0.1/24, h1 198.18.0.11, h2 198.18.0.12" sh -c "
	ip -n $(ns u) link add br0 type bridge && ip -n $(ns u) addr add 198.18.0.1/24 dev br0 &&
	ip -n $(ns u) link set br0 up &&
	for h in h1 h2; do
		ip -n $(ns u) link add \$h type veth peer name ul0 netns zkst-\$h-$$ &&
		ip -n $(ns u) link set \$h master br0 up || exit 1
	done &&
	ip -n $(ns h1) addr add 198.18.0.11/24 dev ul0 && ip -n $(ns h1) link set ul0 up &&
	ip -n $(ns h2) addr add 198.18.0.12/24 dev ul0 && ip -n $(ns h2) link set ul0 up" || exit 1
assert_ok "h1 reaches h2 on the underlay" ping_ok h1 198.18.0.12 || exit 1
assert_ok "ZooKeeper starts on $ZK_ADDR:$ZK_PORT" \
	ip netns exec "$(ns u)" timeout 90 "$top/scripts/zk.sh" start "$T/zk" --port "$ZK_PORT" --tick 1000 --address "$ZK_ADDR" || exit 1
assert_ok "daemon h1 starts in its host namespace" daemon_start h1 || exit 1
assert_ok "daemon h2 starts in its host namespace" daemon_start h2 || exit 1
wait_until 15 "h1 connected to ZooKeeper" grep -q "mirror: synced" "$T/h1/log" || exit 1
wait_until 15 "h2 connected to ZooKeeper" grep -q "mirror: synced" "$T/h2/log" || exit 1
assert_contains "$(cat "$T/h1/log")" "tunnel address 198.18.0.11 on ul0" "h1 tunnels from ul0"
assert_contains "$(cat "$T/h2/log")" "tunnel address 198.18.0.12 on ul0" "h2 tunnels from ul0"

t_begin "docker network create on both engines"
for h in h1 h2; do
	assert_ok "$h: RequestPool $POOL" call $h IpamDriver.RequestPool \
		"{\"AddressSpace\":\"zkswarm-local\",\"Pool\":\"$POOL\",\"SubPool\":\"\",\"Options\":{},\"V6\":false}" || exit 1
	assert_eq "$(field .PoolID)" "$POOL" "$h: pool ID"
	assert_ok "$h: gateway RequestAddress" call $h IpamDriver.RequestAddress \
		"{\"PoolID\":\"$POOL\",\"Address\":\"\",\"Options\":{\"RequestAddressType\":\"com.docker.network.gateway\"}}" || exit 1
	eval "GW_$h=\$(field .Address)"
done
assert_eq "$GW_h2" "$GW_h1" "both engines get the one gateway of the subnet"
GW=$GW_h1
assert_contains "$GW" "198.18.90." "the gateway is in the subnet"
create_net() { # HOST NETWORK_ID
	call "$1" NetworkDriver.CreateNetwork "{\"NetworkID\":\"$2\",\"Options\":{\"com.docker.network.enable_ipv6\":false,
		\"com.docker.network.generic\":{\"cluster-name\":\"web\"}},
		\"IPv4Data\":[{\"AddressSpace\":\"zkswarm-local\",\"Pool\":\"$POOL\",\"Gateway\":\"$GW\"}],\"IPv6Data\":[]}"
}
assert_ok "h1: CreateNetwork (cluster-name web)" create_net h1 "$NID1" || exit 1
assert_ok "h2: CreateNetwork, another Docker ID, same cluster-name" create_net h2 "$NID2" || exit 1
assert_eq "$(zk_ls /networks)" "[web]" "one network in ZooKeeper, keyed by the cluster name"
assert_eq "$(zk_ls /networks/web/members | tr -d '[] ' | tr ',' '\n' | sort | paste -sd,)" \
	"$(printf 'h1:%s\nh2:%s\n' "$NID1" "$NID2" | sort | paste -sd,)" "with both engines' networks as members"
VNI=$(zk_get /networks/web | jq -r .vni)
assert_ok "the record has a VNI ($VNI)" test "$VNI" -ge 4096 || exit 1
VX=$(vxlan_of h1 "$VNI")
BR=$(master_of h1 "$VX")
assert_ok "h1 has a VXLAN device with VNI $VNI ($VX) on a bridge ($BR)" test -n "$VX" -a -n "$BR"
for h in h1 h2; do
	case $h in h1) a=198.18.0.11 ;; h2) a=198.18.0.12 ;; esac
	assert_eq "$(vxlan_of $h "$VNI")" "$VX" "$h has $VX"
	d=$(in_ns $h ip -d -o link show "$VX" 2>&1)
	assert_contains "$d" "vxlan id $VNI local $a dev ul0 " "$h: $VX has VNI $VNI, from $a on ul0"
	assert_contains "$d" "dstport 4789 nolearning" "$h: $VX on port 4789, no learning"
	assert_contains "$d" "master $BR " "$h: $VX is a port of $BR"
	assert_contains "$(in_ns $h ip -d -o link show "$BR" 2>&1)" " bridge " "$h: $BR is a bridge"
	assert_eq "$(in_ns $h ip -o link show type vxlan | wc -l)" 1 "$h has only that VXLAN device"
	assert_eq "$(zk_links $h | sort | paste -sd,)" "$(printf '%s\n' "$BR" "$VX" | sort | paste -sd,)" \
		"$h has no other zk* link"
done

t_begin "docker run on both engines"
# run HOST CONTAINER ENDPOINT_ID: RequestAddress, CreateEndpoint, Join, plumb; sets A_, M_, IF_
run_container() {
	local h=$1 c=$2 ep=$3 nid a mac ifn
	case $h in h1) nid=$NID1 ;; h2) nid=$NID2 ;; esac
	assert_ok "$h: RequestAddress" call "$h" IpamDriver.RequestAddress "{\"PoolID\":\"$POOL\",\"Address\":\"\",\"Options\":null}" || return 1
	a=$(field .Address)
	assert_ok "$h: CreateEndpoint $a" call "$h" NetworkDriver.CreateEndpoint "{\"NetworkID\":\"$nid\",\"EndpointID\":\"$ep\",
		\"Interface\":{\"Address\":\"$a\",\"AddressIPv6\":\"\",\"MacAddress\":\"\"},
		\"Options\":{\"com.docker.network.endpoint.exposedports\":[],\"com.docker.network.portmap\":[]}}" || return 1
	mac=$(field .Interface.MacAddress)
	assert_eq "$(field '.Interface | keys | join(",")')" "MacAddress" "$h: the reply fills in only the MAC"
	assert_ok "$h: Join" call "$h" NetworkDriver.Join "{\"NetworkID\":\"$nid\",\"EndpointID\":\"$ep\",
		\"SandboxKey\":\"/var/run/docker/netns/$c\",\"Options\":{}}" || return 1
	ifn=$(field .InterfaceName.SrcName)
	assert_eq "$(field .InterfaceName.DstPrefix)" eth "$h: DstPrefix eth"
	assert_ok "$h: $ifn exists in the host namespace" in_ns "$h" ip link show "$ifn" || return 1
	assert_ok "$h: the engine's part: $ifn becomes $c's eth0 with $mac, $a" plumb "$h" "$c" "$ifn" "$mac" "$a" || return 1
	eval "A_$c=\$a M_$c=\$mac IF_$c=\$ifn HOST_$c=\$(host_end $c $h)"
}
run_container h1 c1 "$EP1" || exit 1
run_container h2 c2 "$EP2" || exit 1
IP1=${A_c1%/*} IP2=${A_c2%/*}
assert_ok "the addresses differ ($IP1, $IP2)" test "$IP1" != "$IP2"
for a in "$A_c1" "$A_c2"; do
	assert_ok "$a is in $POOL, not the gateway" sh -c "case $a in 198.18.90.*/24) ! [ ${a%/*} = ${GW%/*} ] ;; *) false ;; esac"
done
assert_ok "the MACs differ ($M_c1, $M_c2)" test "$M_c1" != "$M_c2"
for h in h1 h2; do
	case $h in
	h1) nid=$NID1 ep=$EP1 a=$A_c1 m=$M_c1 veth=$HOST_c1 ;;
	h2) nid=$NID2 ep=$EP2 a=$A_c2 m=$M_c2 veth=$HOST_c2 ;;
	esac
	assert_ok "$h: EndpointOperInfo" call $h NetworkDriver.EndpointOperInfo "{\"NetworkID\":\"$nid\",\"EndpointID\":\"$ep\"}"
	assert_eq "$(field '.Value | [.address, .mac, .node, .network] | join(" ")')" "$a $m $h web" \
		"$h: it shows address, MAC, node and network"
	assert_ok "$h: the container's host end ($veth) is a zk* link" test "${veth#zk}" != "$veth"
	assert_contains "$(in_ns $h ip -o link show "$veth" 2>&1)" "master $BR state UP" "$h: it is up on $BR"
	assert_contains "$(in_ns $h ip -o link show "$VX")" "mtu 1450 " "$h: $VX has MTU 1450 (underlay 1500 - 50)"
done
assert_eq "$(zk_ls /networks/web/endpoints | tr -d '[] ' | tr ',' '\n' | sort | paste -sd,)" \
	"$(printf '%s\n' "$EP1" "$EP2" | sort | paste -sd,)" "ZooKeeper has both endpoints"
for c in c1 c2; do
	assert_contains "$(ip -n "$(ns $c)" -o link show eth0)" "mtu 1450 " "$c's eth0 has the network's MTU"
done

t_begin "each reconciler programs the other host"
wait_until 20 "h1 has c2 ($M_c2 -> 198.18.0.12, $IP2)" has_remote h1 "$M_c2" "$IP2" 198.18.0.12
latency "h2's CreateEndpoint answered -> h1 programmed c2" "$T/h2/log" "POST /NetworkDriver.CreateEndpoint" \
	"$T/h1/log" "netlink: FDB $M_c2"
wait_until 20 "h2 has c1 ($M_c1 -> 198.18.0.11, $IP1)" has_remote h2 "$M_c1" "$IP1" 198.18.0.11
latency "h1's CreateEndpoint answered -> h2 programmed c1" "$T/h1/log" "POST /NetworkDriver.CreateEndpoint" \
	"$T/h2/log" "netlink: FDB $M_c1"
assert_ok "h1 has no entry for its own container" lacks_remote h1 "$M_c1" "$IP1"
assert_ok "c1 pings c2 across the hosts" ping_ok c1 "$IP2"
assert_ok "c2 pings c1" ping_ok c2 "$IP1"
assert_ok "the replies came through h1's $VX" \
	sh -c "[ \"\$(ip netns exec $(ns h1) cat /sys/class/net/$VX/statistics/rx_packets)\" -ge 3 ]"

t_begin "h1's daemon killed and restarted"
# c1 pings c2 all the while: 60 pings, 0.2 s apart, in at most 30 s.
in_ns c1 timeout 30 "${PING[@]}" -c 60 -i 0.2 -W 2 "$IP2" >"$T/ping-restart" 2>&1 &
BG_PIDS="$BG_PIDS $!"
bg=$!
sleep 1
t_kill=$(now_ms)
{ stop_node h1 KILL; } 2>/dev/null # (without bash's "Killed" job report)
assert_ok "h1 restarts (same NODE_ID and STATE_DIR)" daemon_start h1 || exit 1
wait_until 20 "h1 connected again" sh -c "[ \$(grep -c 'mirror: synced' '$T/h1/log') -ge 2 ]"
echo "  h1 back and synced $(($(now_ms) - t_kill)) ms after the kill"
sleep 1 # at least one reconcile pass with the synced mirror (debounce 100 ms)
wait "$bg"
rx=$(sed -n 's/.* \([0-9]*\) packets received.*/\1/p' "$T/ping-restart")
echo "  during the restart: $(grep 'packets transmitted' "$T/ping-restart")"
assert_ok "c1 kept reaching c2 during the restart (${rx:-0} of 60 replies)" test "${rx:-0}" -ge 50
assert_eq "$(grep -c 'removing stale link' "$T/h1/log")" 0 "the restarted daemon removed no link"
assert_ok "c1's eth0 is still there and up" sh -c "ip -n $(ns c1) -o link show eth0 | grep -q 'state UP'"
assert_ok "its host end $HOST_c1 too" in_ns h1 ip link show "$HOST_c1"
wait_until 15 "h1 still has c2's entries" has_remote h1 "$M_c2" "$IP2" 198.18.0.12
assert_ok "h2 still has c1's entries" has_remote h2 "$M_c1" "$IP1" 198.18.0.11
# Whether the restarted daemon resumed the killed one's session or opened a
# new one, once the killed one's would have expired (SESSION_MS after the
# kill, taking its ephemeral records along) h1 must still be registered, or
# h2 would drop c1's entries.
sleep_left=$((t_kill + SESSION_MS + 1500 - $(now_ms)))
[ "$sleep_left" -le 0 ] || sleep "$(awk -v ms="$sleep_left" 'BEGIN { printf "%.1f", ms / 1000 }')"
assert_eq "$(zk_get /nodes/h1 | jq -r .address)" 198.18.0.11 \
	"after the old session expired, h1 is registered (with its tunnel address)"
sleep 0.5
assert_ok "h2 still has c1's entries then" has_remote h2 "$M_c1" "$IP1" 198.18.0.11
assert_ok "c1 pings c2 after the restart" ping_ok c1 "$IP2"
assert_ok "c2 pings c1" ping_ok c2 "$IP1"
assert_ok "h1: EndpointOperInfo after the restart" call h1 NetworkDriver.EndpointOperInfo \
	"{\"NetworkID\":\"$NID1\",\"EndpointID\":\"$EP1\"}"
assert_eq "$(field .Value.address)" "$A_c1" "same address"

t_begin "docker rm on h2, then docker network rm on h2"
assert_ok "h2: Leave" call h2 NetworkDriver.Leave "{\"NetworkID\":\"$NID2\",\"EndpointID\":\"$EP2\"}"
assert_ok "h2: DeleteEndpoint" call h2 NetworkDriver.DeleteEndpoint "{\"NetworkID\":\"$NID2\",\"EndpointID\":\"$EP2\"}"
assert_ok "h2: ReleaseAddress $IP2" call h2 IpamDriver.ReleaseAddress "{\"PoolID\":\"$POOL\",\"Address\":\"$IP2\"}"
wait_until 20 "h1's entries for c2 are gone" lacks_remote h1 "$M_c2" "$IP2"
latency "h2's DeleteEndpoint answered -> h1 removed c2" "$T/h2/log" "POST /NetworkDriver.DeleteEndpoint" \
	"$T/h1/log" "deleting FDB $M_c2"
assert_fails "h2's host end $HOST_c2 is gone" in_ns h2 ip link show "$HOST_c2"
assert_ok "c1 no longer reaches $IP2" ping_fails c1 "$IP2"
assert_ok "h2: DeleteNetwork" call h2 NetworkDriver.DeleteNetwork "{\"NetworkID\":\"$NID2\"}"
assert_ok "h2: gateway ReleaseAddress" call h2 IpamDriver.ReleaseAddress "{\"PoolID\":\"$POOL\",\"Address\":\"${GW%/*}\"}"
assert_ok "h2: ReleasePool" call h2 IpamDriver.ReleasePool "{\"PoolID\":\"$POOL\"}"
assert_eq "$(zk_links h2 | paste -sd,)" "" "h2 has no zk* link left"
assert_eq "$(zk_ls /networks/web/members)" "[h1:$NID1]" "the network keeps h1's member"
h1_links=$(printf '%s\n' "$BR" "$VX" "$HOST_c1" | sort | paste -sd,)
assert_eq "$(zk_links h1 | sort | paste -sd,)" "$h1_links" "h1 keeps its bridge, VXLAN device and veth"
sleep 0.5
assert_eq "$(zk_links h1 | sort | paste -sd,)" "$h1_links" "also after h1's reconciler ran"

t_begin "docker rm and docker network rm on h1"
assert_ok "h1: Leave" call h1 NetworkDriver.Leave "{\"NetworkID\":\"$NID1\",\"EndpointID\":\"$EP1\"}"
assert_ok "h1: DeleteEndpoint" call h1 NetworkDriver.DeleteEndpoint "{\"NetworkID\":\"$NID1\",\"EndpointID\":\"$EP1\"}"
assert_ok "h1: ReleaseAddress $IP1" call h1 IpamDriver.ReleaseAddress "{\"PoolID\":\"$POOL\",\"Address\":\"$IP1\"}"
assert_ok "h1: DeleteNetwork" call h1 NetworkDriver.DeleteNetwork "{\"NetworkID\":\"$NID1\"}"
assert_ok "h1: gateway ReleaseAddress" call h1 IpamDriver.ReleaseAddress "{\"PoolID\":\"$POOL\",\"Address\":\"${GW%/*}\"}"
assert_ok "h1: ReleasePool" call h1 IpamDriver.ReleasePool "{\"PoolID\":\"$POOL\"}"
assert_eq "$(zk_links h1 | paste -sd,)" "" "h1 has no zk* link left"
assert_eq "$(zk_links h2 | paste -sd,)" "" "neither has h2"
assert_eq "$(zk_ls /networks)" "[]" "no network left in ZooKeeper"
assert_eq "$(zk_ls /vnis)" "[]" "no VNI left"
assert_eq "$(zk_ls /ipam/subnets)" "[]" "no subnet left"
sleep 0.5
assert_eq "$(zk_links h1 | paste -sd,)$(zk_links h2 | paste -sd,)" "" "and the reconcilers add nothing back"

t_begin "shutdown"
stop_node h1 TERM
stop_node h2 TERM
assert_contains "$(tail -1 "$T/h1/log")" "stopped" "h1 stopped cleanly"
assert_contains "$(tail -1 "$T/h2/log")" "stopped" "h2 stopped cleanly"
check_sanitizer_logs
t_summary
