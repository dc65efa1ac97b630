#!/usr/bin/env bash
# Integration: the netlink module (src/sys/netlink.c) against the real kernel,
# through tests/netlink/netlink_driver, checked with ip(8) and bridge(8).
#
# Everything happens in network namespaces named zkstest-nl-<pid>-*, which
# this script creates and always deletes, on failure too.  All addresses are
# in 198.18.0.0/15 and all traffic stays between those namespaces.
#
# Shows: the default-route and address lookups; ensure_network creating,
# repairing and replacing the bridge and VXLAN device (VNI, local, dstport,
# nolearning, proxy, master, MTU); veth pairs (host end on the bridge and up,
# peer MAC/MTU, nothing left when creation fails); link listing and deletion;
# sync_remote adding, replacing and deleting FDB and neighbour entries;
# delete_network taking leftover veths along; concurrent callers; and a
# two-node data plane: containers ping across the VXLAN only once synced.
#
# Needs root and the vxlan, bridge and veth modules.
# Env: NETLINK_DRIVER (default build/tests/netlink_driver, built if missing;
# give build-asan/tests/netlink_driver for a sanitizer run: any ASan/UBSan/
# LSan report fails the test).
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/lib.sh"

P="zkstest-nl-$$"
T=$(mktemp -d /tmp/zkswarm-nl.XXXXXX)
on_exit "rm -rf '$T'"
# Every namespace with our prefix goes, whatever state the test died in.
on_exit "for ns in \$(ip netns list | awk '{print \$1}' | grep '^$P-'); do ip netns del \"\$ns\"; done"

if [ "$(id -u)" != 0 ]; then
	fail "needs root (network namespaces)"
	exit 1
fi

if [ -n "${NETLINK_DRIVER:-}" ]; then
	DRIVER=$NETLINK_DRIVER
else
	DRIVER=$top/build/tests/netlink_driver
	assert_ok "build the driver" make -C "$top" -s build/tests/netlink_driver || exit 1
fi
[ -x "$DRIVER" ] || { fail "no driver at $DRIVER"; exit 1; }

# Sanitizer reports go to files, so that none can hide in an expected failure.
export ASAN_OPTIONS="${ASAN_OPTIONS:-}${ASAN_OPTIONS:+:}log_path=$T/asan"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-}${UBSAN_OPTIONS:+:}log_path=$T/ubsan"

if command -v ping >/dev/null; then PING=(ping); else PING=(busybox ping); fi

ns() { printf '%s-%s' "$P" "$1"; }
ns_new() { # NAME: a namespace with lo up and IPv6 off (no stray traffic)
	ip netns add "$(ns "$1")" &&
		ip -n "$(ns "$1")" link set lo up &&
		ip netns exec "$(ns "$1")" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 \
			net.ipv6.conf.default.disable_ipv6=1
}
in_ns() { local n; n=$(ns "$1"); shift; timeout 30 ip netns exec "$n" "$@"; }
drv() { local n; n=$(ns "$1"); shift; timeout 60 ip netns exec "$n" "$DRIVER" "$@"; }
link_d() { in_ns "$1" ip -d link show "$2" 2>&1; }
is_up() { in_ns "$1" ip -o link show "$2" | grep -Eq '<([^>]*,)?UP[,>]'; }
no_link() { ! in_ns "$1" ip link show "$2" >/dev/null 2>&1; }
fdb() { in_ns "$1" bridge fdb show dev "$2" 2>&1; }
neigh() { in_ns "$1" ip neigh show dev "$2" 2>&1; }
ping_ok() { # FROM_NS ADDR: three echo replies within bounded time
	in_ns "$1" timeout 20 "${PING[@]}" -c 3 -W 2 "$2"
}
ping_fails() { # FROM_NS ADDR: no reply at all
	! in_ns "$1" timeout 20 "${PING[@]}" -c 2 -W 1 "$2"
}

MA=02:42:c6:12:40:02 MB=02:42:c6:12:40:03 MC=02:42:c6:12:40:04 MX=02:42:c6:12:40:99

# One namespace "a" for the single-node checks: underlay veth u0 (198.18.0.1)
# whose other end u1 stays in the same namespace, unaddressed.
t_begin "setup"
assert_ok "namespace a" ns_new a || exit 1
assert_ok "underlay u0/u1" sh -c "ip -n $(ns a) link add u0 type veth peer name u1 &&
	ip -n $(ns a) addr add 198.18.0.1/24 dev u0 && ip -n $(ns a) link set u0 up &&
	ip -n $(ns a) link set u1 up" || exit 1

t_begin "addresses"
assert_fails_with "no default route is an error" "no IPv4 default route" drv a default-address
assert_ok "default route via u0" in_ns a ip route add default via 198.18.0.254 metric 100
in_ns a ip addr add 198.18.0.5/24 dev u0
assert_ok "default-address" drv a default-address
assert_eq "$T_OUT" "198.18.0.1 u0 1500" "primary address, device and MTU of the default route"
assert_ok "a second uplink u2 (198.18.1.1) with a lower metric" sh -c "
	ip -n $(ns a) link add u2 mtu 1400 type veth peer name u3 &&
	ip -n $(ns a) addr add 198.18.1.1/24 dev u2 && ip -n $(ns a) link set u2 up &&
	ip -n $(ns a) link set u3 up &&
	ip -n $(ns a) route add default via 198.18.1.254 metric 5"
assert_ok "default-address" drv a default-address
assert_eq "$T_OUT" "198.18.1.1 u2 1400" "the lowest-metric default route wins"
u0_index=$(in_ns a cat /sys/class/net/u0/ifindex)
assert_ok "address-device 198.18.0.1" drv a address-device 198.18.0.1
assert_eq "$T_OUT" "u0 $u0_index 1500" "name, index and MTU of the holder"
assert_ok "address-device of a secondary address" drv a address-device 198.18.0.5
assert_eq "$T_OUT" "u0 $u0_index 1500" "secondary addresses count too"
assert_fails_with "an address nobody has" "no interface has the address 198.18.9.9" \
	drv a address-device 198.18.9.9

t_begin "ensure network"
assert_ok "ensure creates bridge and VXLAN device" drv a ensure zkbr1 zkvx1 4096 1450 198.18.0.1 u0
assert_ok "ensure again (idempotent)" drv a ensure zkbr1 zkvx1 4096 1450 198.18.0.1 u0
vx=$(link_d a zkvx1)
assert_contains "$vx" "vxlan id 4096 " "VNI 4096"
assert_contains "$vx" "local 198.18.0.1 " "local 198.18.0.1"
assert_contains "$vx" " dev u0 " "underlay device u0"
assert_contains "$vx" "dstport 4789 " "dstport 4789"
assert_contains "$vx" " nolearning " "learning off"
assert_contains "$vx" " proxy " "ARP proxy on"
assert_not_contains "$vx" "l2miss" "no l2miss"
assert_not_contains "$vx" "l3miss" "no l3miss"
assert_contains "$vx" "ttl auto" "default TTL"
assert_contains "$vx" "master zkbr1 " "a port of zkbr1"
assert_contains "$vx" "mtu 1450 " "MTU 1450"
assert_ok "VXLAN device up" is_up a zkvx1
br=$(link_d a zkbr1)
assert_contains "$br" "bridge forward_delay" "zkbr1 is a bridge"
assert_contains "$br" "mtu 1450 " "bridge MTU 1450"
assert_ok "bridge up" is_up a zkbr1
assert_not_contains "$(fdb a zkvx1)" "00:00:00:00:00:00" "no all-zeros (flooding) entry"
assert_eq "$(in_ns a ip -o link show | grep -c ': zkvx1[:@]')" 1 "one VXLAN device, not two"
vx_index=$(in_ns a cat /sys/class/net/zkvx1/ifindex)

assert_ok "drift: bridge down, VXLAN off the bridge, other MTUs" sh -c "
	ip -n $(ns a) link set zkvx1 nomaster && ip -n $(ns a) link set zkvx1 mtu 1400 &&
	ip -n $(ns a) link set zkbr1 mtu 1300 && ip -n $(ns a) link set zkbr1 down"
assert_ok "ensure repairs" drv a ensure zkbr1 zkvx1 4096 1450 198.18.0.1 u0
assert_ok "bridge up again" is_up a zkbr1
assert_contains "$(link_d a zkbr1)" "mtu 1450 " "bridge MTU back to 1450"
vx=$(link_d a zkvx1)
assert_contains "$vx" "master zkbr1 " "VXLAN device back on the bridge"
assert_contains "$vx" "mtu 1450 " "VXLAN MTU back to 1450"
assert_eq "$(in_ns a cat /sys/class/net/zkvx1/ifindex)" "$vx_index" "repaired in place, not recreated"

assert_ok "ensure with another VNI" drv a ensure zkbr1 zkvx1 4097 1450 198.18.0.1 u0
vx=$(link_d a zkvx1)
assert_contains "$vx" "vxlan id 4097 " "VXLAN device replaced: VNI 4097"
assert_contains "$vx" "master zkbr1 " "the new one is on the bridge"
assert_ok "ensure with another port" drv a ensure zkbr1 zkvx1 4097 1450 198.18.0.1 u0 4790
assert_contains "$(link_d a zkvx1)" "dstport 4790 " "replaced: dstport 4790"
assert_ok "ensure with another local address" drv a ensure zkbr1 zkvx1 4097 1450 198.18.0.5 u0 4790
assert_contains "$(link_d a zkvx1)" "local 198.18.0.5 " "replaced: local 198.18.0.5"
assert_ok "back to the first spec" drv a ensure zkbr1 zkvx1 4096 1450 198.18.0.1 u0
vx=$(link_d a zkvx1)
assert_contains "$vx" "vxlan id 4096 " "VNI 4096 again"
assert_contains "$vx" "dstport 4789 " "dstport 4789 again"
assert_contains "$vx" "local 198.18.0.1 " "local 198.18.0.1 again"
assert_contains "$vx" " nolearning " "still learning off"
assert_contains "$vx" " proxy " "still ARP proxy on"

t_begin "the bridge's gateway address and MAC"
assert_ok "ensure with gateway 10.9.0.1/24 and a fixed MAC" \
	drv a ensure-gw zkbr1 zkvx1 4096 1450 198.18.0.1 u0 10.9.0.1/24 02:7a:6b:00:10:00
assert_ok "ensure again (idempotent)" \
	drv a ensure-gw zkbr1 zkvx1 4096 1450 198.18.0.1 u0 10.9.0.1/24 02:7a:6b:00:10:00
assert_eq "$(in_ns a ip -o -4 addr show dev zkbr1 | awk '{print $4}')" "10.9.0.1/24" \
	"exactly the gateway on the bridge"
assert_eq "$(in_ns a cat /sys/class/net/zkbr1/address)" "02:7a:6b:00:10:00" "the fixed MAC"
assert_ok "a veth on the bridge" drv a veth zkgwh zkgwp zkbr1 02:42:0a:09:00:05 1450
assert_eq "$(in_ns a cat /sys/class/net/zkbr1/address)" "02:7a:6b:00:10:00" \
	"the MAC stays as ports come"
assert_ok "remove the veth" drv a delete-link zkgwh
assert_ok "an address left by an earlier network, by hand" in_ns a ip addr add 10.8.0.1/16 dev zkbr1
assert_ok "ensure with the new gateway" \
	drv a ensure-gw zkbr1 zkvx1 4096 1450 198.18.0.1 u0 10.9.0.254/24 02:7a:6b:00:10:00
assert_eq "$(in_ns a ip -o -4 addr show dev zkbr1 | awk '{print $4}')" "10.9.0.254/24" \
	"the old addresses went, the new gateway is there"
assert_ok "ensure without a gateway" \
	drv a ensure-gw zkbr1 zkvx1 4096 1450 198.18.0.1 u0 none 02:7a:6b:00:10:00
assert_eq "$(in_ns a ip -o -4 addr show dev zkbr1 | wc -l)" "0" "no address at all"
assert_fails_with "a group MAC is refused" "not unicast" \
	drv a ensure-gw zkbr1 zkvx1 4096 1450 198.18.0.1 u0 none 03:7a:6b:00:10:00
assert_ok "back to the first spec" drv a ensure zkbr1 zkvx1 4096 1450 198.18.0.1 u0

assert_ok "a device with learning on, by hand" sh -c "
	ip -n $(ns a) link add zkvx7 type vxlan id 4107 local 198.18.0.1 dev u0 dstport 4789 proxy"
assert_ok "ensure replaces it" drv a ensure zkbr7 zkvx7 4107 1450 198.18.0.1 u0
assert_contains "$(link_d a zkvx7)" " nolearning " "learning now off"
assert_ok "clean up zkbr7" drv a delete-network zkbr7 zkvx7

assert_ok "a veth named like our VXLAN device" in_ns a ip link add zkvxbad type veth peer name zkvxbadp
assert_fails_with "ensure refuses a non-VXLAN link of that name" "is not a VXLAN device" \
	drv a ensure zkbr2 zkvxbad 4200 1450 198.18.0.1 u0
assert_contains "$(link_d a zkvxbad)" "veth" "and leaves it alone"
assert_fails_with "ensure refuses a non-bridge link as the bridge" "is not a bridge" \
	drv a ensure zkvxbad zkvx2 4200 1450 198.18.0.1 u0
in_ns a ip link del zkvxbad
assert_ok "clean up zkbr2" drv a delete-network zkbr2 zkvx2
assert_fails_with "a VNI already used by another device" "already uses VNI 4096" \
	drv a ensure zkbr3 zkvx3 4096 1450 198.18.0.1 u0
assert_ok "no half-made VXLAN device" no_link a zkvx3
assert_ok "clean up zkbr3" drv a delete-network zkbr3 zkvx3
assert_fails_with "VNI 0 is refused" "out of range" drv a ensure zkbr4 zkvx4 0 1450 198.18.0.1
assert_fails_with "VNI 2^24 is refused" "out of range" drv a ensure zkbr4 zkvx4 16777216 1450 198.18.0.1
assert_fails_with "a 16-byte name is refused" "longer than 15" \
	drv a ensure zkbr4 zkvx456789012345 4200 1450 198.18.0.1
assert_fails_with "MTU 0 is refused" "out of range" drv a ensure zkbr4 zkvx4 4200 0 198.18.0.1
assert_fails_with "an MTU the underlay cannot carry" "MTU 1451 is too large for underlay \`u0\`" \
	drv a ensure zkbr4 zkvx4 4200 1451 198.18.0.1 u0
assert_ok "nothing made by refused requests" sh -c "! ip -n $(ns a) -o link show | grep -q zkbr4"

t_begin "veth"
assert_ok "create veth zkh1/zkp1 on zkbr1" drv a veth zkh1 zkp1 zkbr1 $MA 1450
assert_ok "again (idempotent)" drv a veth zkh1 zkp1 zkbr1 $MA 1450
h=$(link_d a zkh1)
assert_contains "$h" "master zkbr1 " "host end is a port of zkbr1"
assert_contains "$h" "mtu 1450 " "host end MTU 1450"
assert_contains "$h" "veth" "a veth"
assert_ok "host end up" is_up a zkh1
p=$(link_d a zkp1)
assert_contains "$p" "link/ether $MA " "peer has the MAC"
assert_contains "$p" "mtu 1450 " "peer MTU 1450"
assert_fails "peer stays down" is_up a zkp1
assert_not_contains "$p" "master" "peer is on no bridge"
assert_eq "$(in_ns a ip -o link show | grep -c ': zkh1[:@]')" 1 "one host end, not two"

assert_fails_with "a peer name that is taken" "zkp1" drv a veth zkh2 zkp1 zkbr1 $MC 1450
assert_ok "no host end left behind" no_link a zkh2
assert_fails "enslaving to a non-bridge fails" drv a veth zkh3 zkp3 u1 $MC 1450
assert_ok "no host end left behind" no_link a zkh3
assert_ok "no peer left behind" no_link a zkp3
assert_fails_with "a missing bridge" 'bridge `zkbr9` does not exist' drv a veth zkh3 zkp3 zkbr9 $MC 1450
assert_fails_with "a multicast MAC" "not a unicast" drv a veth zkh3 zkp3 zkbr1 01:00:5e:00:00:01 1450
assert_fails_with "an all-zeros MAC" "not a unicast" drv a veth zkh3 zkp3 zkbr1 00:00:00:00:00:00 1450
assert_fails_with "a non-veth of the host name" "is not a veth" drv a veth lo zkp3 zkbr1 $MC 1450

assert_ok "namespace c1 (a container)" ns_new c1
assert_ok "veth zkh4/zkp4" drv a veth zkh4 zkp4 zkbr1 $MC 1450
assert_ok "the engine moves zkp4 into c1 as eth0" sh -c "
	ip -n $(ns a) link set zkp4 netns $(ns c1) && ip -n $(ns c1) link set zkp4 name eth0"
assert_ok "create_veth again succeeds (host end exists)" drv a veth zkh4 zkp4 zkbr1 $MC 1450
assert_ok "and does not recreate the peer here" no_link a zkp4

t_begin "links"
assert_ok "exists zkh1" drv a exists zkh1
assert_fails "exists nosuch" drv a exists nosuch
assert_ok "list zkh" drv a list zkh
assert_eq "$(sort <<<"$T_OUT" | tr '\n' ' ')" "zkh1 zkh4 " "list by prefix"
assert_ok "list everything" drv a list ""
assert_contains "$T_OUT" "lo" "the empty prefix lists all"
assert_ok "delete-link zkh1" drv a delete-link zkh1
assert_ok "zkh1 gone" no_link a zkh1
assert_ok "its peer zkp1 gone" no_link a zkp1
assert_ok "delete-link zkh1 again (missing is fine)" drv a delete-link zkh1
assert_fails "exists zkh1 now false" drv a exists zkh1

t_begin "sync remote"
assert_ok "sync B and C" drv a sync zkvx1 "198.18.64.3,$MB,198.18.0.2" "198.18.64.4,$MC,198.18.0.3"
f=$(fdb a zkvx1)
assert_contains "$f" "$MB dst 198.18.0.2 self permanent" "FDB entry for B"
assert_contains "$f" "$MC dst 198.18.0.3 self permanent" "FDB entry for C"
n=$(neigh a zkvx1)
assert_contains "$n" "198.18.64.3 lladdr $MB PERMANENT" "neighbour entry for B"
assert_contains "$n" "198.18.64.4 lladdr $MC PERMANENT" "neighbour entry for C"
assert_ok "sync the same again" drv a sync zkvx1 "198.18.64.3,$MB,198.18.0.2" "198.18.64.4,$MC,198.18.0.3"
assert_eq "$(fdb a zkvx1)" "$f" "FDB unchanged"
assert_eq "$(neigh a zkvx1)" "$n" "neighbours unchanged"

assert_ok "entries made by others" sh -c "
	bridge -n $(ns a) fdb add $MX dev zkvx1 dst 198.18.0.77 self permanent &&
	ip -n $(ns a) neigh add 198.18.64.99 lladdr $MX dev zkvx1 nud permanent &&
	ip -n $(ns a) neigh add 198.18.64.98 lladdr $MX dev zkvx1 nud stale &&
	bridge -n $(ns a) fdb append 00:00:00:00:00:00 dev zkvx1 dst 198.18.0.66 self permanent &&
	bridge -n $(ns a) fdb append $MC dev zkvx1 dst 198.18.0.50 self permanent"
assert_ok "sync: B moves to 198.18.0.9, C goes, A comes" \
	drv a sync zkvx1 "198.18.64.3,$MB,198.18.0.9" "198.18.64.2,$MA,198.18.0.2"
f=$(fdb a zkvx1)
n=$(neigh a zkvx1)
assert_contains "$f" "$MB dst 198.18.0.9 self permanent" "B's forwarding entry replaced"
assert_not_contains "$f" "$MB dst 198.18.0.2" "B's old remote is gone"
assert_contains "$f" "$MA dst 198.18.0.2 self permanent" "A's forwarding entry added"
assert_not_contains "$f" "$MC" "C's forwarding entries (both remotes) deleted"
assert_not_contains "$f" "$MX" "a permanent entry not in the set is deleted"
assert_contains "$f" "00:00:00:00:00:00 dst 198.18.0.66 self permanent" "the all-zeros entry is left alone"
assert_contains "$f" "master zkbr1" "the bridge's own entries are left alone"
assert_contains "$n" "198.18.64.3 lladdr $MB PERMANENT" "B's neighbour kept"
assert_contains "$n" "198.18.64.2 lladdr $MA PERMANENT" "A's neighbour added"
assert_not_contains "$n" "198.18.64.4" "C's neighbour deleted"
assert_not_contains "$n" "198.18.64.99" "a permanent neighbour not in the set is deleted"
assert_contains "$n" "198.18.64.98" "a non-permanent neighbour is left alone"

assert_ok "A gets another MAC" drv a sync zkvx1 "198.18.64.3,$MB,198.18.0.9" "198.18.64.2,$MX,198.18.0.2"
f=$(fdb a zkvx1)
assert_contains "$(neigh a zkvx1)" "198.18.64.2 lladdr $MX PERMANENT" "A's neighbour entry replaced"
assert_contains "$f" "$MX dst 198.18.0.2 self permanent" "forwarding entry for the new MAC"
assert_not_contains "$f" "$MA" "forwarding entry for the old MAC deleted"

assert_ok "B gets a second remote by hand" \
	in_ns a bridge fdb append $MB dev zkvx1 dst 198.18.0.51 self permanent
assert_ok "sync" drv a sync zkvx1 "198.18.64.3,$MB,198.18.0.9" "198.18.64.2,$MX,198.18.0.2"
assert_eq "$(fdb a zkvx1 | grep -c "^$MB ")" 1 "B has one remote again"
assert_contains "$(fdb a zkvx1)" "$MB dst 198.18.0.9 self permanent" "the right one"
assert_ok "B's remote by hand replaced, with a second wrong one" sh -c "
	bridge -n $(ns a) fdb replace $MB dev zkvx1 dst 198.18.0.52 self permanent &&
	bridge -n $(ns a) fdb append $MB dev zkvx1 dst 198.18.0.53 self permanent"
assert_ok "sync" drv a sync zkvx1 "198.18.64.3,$MB,198.18.0.9" "198.18.64.2,$MX,198.18.0.2"
assert_eq "$(fdb a zkvx1 | grep "^$MB " | tr -s ' ')" "$MB dst 198.18.0.9 self permanent" \
	"one remote, the right one"

assert_fails_with "an all-zeros MAC is refused" "not unicast" \
	drv a sync zkvx1 "198.18.64.5,00:00:00:00:00:00,198.18.0.2"
assert_fails_with "one IP with two MACs is refused" "disagree" \
	drv a sync zkvx1 "198.18.64.5,$MA,198.18.0.2" "198.18.64.5,$MC,198.18.0.2"
assert_contains "$(fdb a zkvx1)" "$MB dst 198.18.0.9" "refused syncs change nothing"
assert_fails_with "a missing VXLAN device" 'VXLAN device `zkvx9` does not exist' drv a sync zkvx9
assert_fails_with "a link that is not VXLAN" "is not a VXLAN device" drv a sync zkbr1
assert_ok "sync to the empty set" drv a sync zkvx1
f=$(fdb a zkvx1)
assert_not_contains "$f" "$MB" "B gone"
assert_eq "$(grep -c ' self permanent' <<<"$f")" 1 "only the all-zeros entry is left"
assert_eq "$(neigh a zkvx1 | grep -c PERMANENT)" 0 "no permanent neighbours left"

t_begin "delete network"
assert_ok "a leftover veth zkh5 on zkbr1" drv a veth zkh5 zkp5 zkbr1 $MA 1450
assert_ok "delete-network zkbr1 zkvx1" drv a delete-network zkbr1 zkvx1
for l in zkbr1 zkvx1 zkh5 zkp5 zkh4; do
	assert_ok "$l gone" no_link a "$l"
done
assert_ok "the container's end of zkh4 went with it" no_link c1 eth0
assert_ok "delete-network again (missing is fine)" drv a delete-network zkbr1 zkvx1
assert_ok "the underlay is untouched" is_up a u0

t_begin "concurrent callers"
assert_ok "8 threads ensure one network and make veths at once" \
	drv a race zkbr5 zkvx5 4500 1450 198.18.0.1 8
assert_eq "$(in_ns a ip -o link show master zkbr5 | grep -c 'zkr[0-7]h@')" 8 "8 own veths on the bridge"
assert_eq "$(in_ns a ip -o link show | grep -c ': zkrsh@')" 1 "the shared veth exists once"
assert_eq "$(in_ns a ip -o link show | grep -c ': zkvx5[:@]')" 1 "one VXLAN device"
assert_ok "delete-network" drv a delete-network zkbr5 zkvx5
assert_eq "$(in_ns a ip -o link show | grep -c 'zkr')" 0 "every veth went with the network"

# Two nodes na, nb joined by an underlay veth; a container namespace on each.
t_begin "data plane"
for n in na nb ca cb; do assert_ok "namespace $n" ns_new $n || exit 1; done
assert_ok "underlay ua (198.18.0.1) <-> ub (198.18.0.2)" sh -c "
	ip -n $(ns na) link add ua type veth peer name ub netns $(ns nb) &&
	ip -n $(ns na) addr add 198.18.0.1/24 dev ua && ip -n $(ns na) link set ua up &&
	ip -n $(ns nb) addr add 198.18.0.2/24 dev ub && ip -n $(ns nb) link set ub up" || exit 1
assert_ok "underlay ping" ping_ok na 198.18.0.2
setup_node() { # NODE LOCAL UNDERLAY CONTAINER_NS MAC IP
	drv "$1" ensure zkbr9 zkvx9 9000 1450 "$2" "$3" &&
		drv "$1" veth zkh9 zkp9 zkbr9 "$5" 1450 &&
		ip -n "$(ns "$1")" link set zkp9 netns "$(ns "$4")" &&
		ip -n "$(ns "$4")" link set zkp9 name eth0 &&
		ip -n "$(ns "$4")" addr add "$6/24" dev eth0 &&
		ip -n "$(ns "$4")" link set eth0 up
}
assert_ok "node a: network, container A 198.18.64.2" setup_node na 198.18.0.1 ua ca $MA 198.18.64.2
assert_ok "node b: network, container B 198.18.64.3" setup_node nb 198.18.0.2 ub cb $MB 198.18.64.3
assert_ok "A cannot reach B before the sync" ping_fails ca 198.18.64.3
assert_ok "sync on a: B" drv na sync zkvx9 "198.18.64.3,$MB,198.18.0.2"
assert_ok "sync on b: A" drv nb sync zkvx9 "198.18.64.2,$MA,198.18.0.1"
assert_ok "A pings B across the VXLAN" ping_ok ca 198.18.64.3
assert_ok "B pings A" ping_ok cb 198.18.64.2
assert_ok "the reply came over UDP 4789 (VXLAN RX counter moved)" \
	sh -c "[ \"\$(ip netns exec $(ns na) cat /sys/class/net/zkvx9/statistics/rx_packets)\" -ge 3 ]"
assert_ok "sync on a: nobody" drv na sync zkvx9
assert_ok "sync on b: nobody" drv nb sync zkvx9
assert_ok "A cannot reach B once the entries are gone" ping_fails ca 198.18.64.3
assert_ok "sync on a: B again" drv na sync zkvx9 "198.18.64.3,$MB,198.18.0.2"
assert_ok "sync on b: A again" drv nb sync zkvx9 "198.18.64.2,$MA,198.18.0.1"
assert_ok "and reaches it again" ping_ok ca 198.18.64.3
assert_ok "delete-network on a" drv na delete-network zkbr9 zkvx9
assert_ok "container A lost its interface" no_link ca eth0

t_begin "sanitizers"
reports=$(cat "$T"/asan* "$T"/ubsan* 2>/dev/null)
if [ -z "$reports" ]; then ok "no ASan/UBSan/LSan reports"; else fail "sanitizer reports" "$reports"; fi

t_summary
