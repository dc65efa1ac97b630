#!/usr/bin/env bash
# End to end through a real Docker engine: networks and addresses from the
# plugin's NetworkDriver and IpamDriver, checked with the docker CLI, the
# kernel (ip link) and ZooKeeper itself.
#
# The tunnel address is on a veth pair this test makes (198.18.3.1; this
# kernel has no dummy interfaces): no VXLAN traffic leaves the machine.  Env: ZK_PORT (default 2193).
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/lib.sh"
. "$top/tests/e2e/plugin.sh"
PLUGIN=${PLUGIN:-zkswarm-e2enet}
TUNNEL_IF=zkse2e0

# the links are where the engine is: in Engine 26's own network namespace (tests/e2e/engine.sh)
e2e_engine || exit 1
eip() { in_engine_net ip "$@"; }
eip link del "$TUNNEL_IF" 2>/dev/null
eip link add "$TUNNEL_IF" type veth peer name "${TUNNEL_IF}p" && eip addr add 198.18.3.1/32 dev "$TUNNEL_IF" &&
	eip link set "$TUNNEL_IF" up
on_exit "eip link del $TUNNEL_IF 2>/dev/null"

e2e_setup "$PLUGIN" "${ZK_PORT:-2193}" ADVERTISE_ADDR=198.18.3.1 DEFAULT_POOL=198.19.0.0/17 \
	DEFAULT_POOL_SIZE=24 || exit 1

run() { docker run --label "zkswarm-e2e=$PLUGIN" "$@"; }
ip_of() { docker inspect -f "{{(index .NetworkSettings.Networks \"$2\").IPAddress}}" "$1"; }
# Our links are zk<tag><kind>...: bridge b, VXLAN v, veth ends h and c, where the tag is
# ZK_ROOT's (src/core/networks.c zks_networks_link_tag: FNV-1a, three base-36 digits).
# Another zkswarm on this host (another ZK_ROOT) has other links: not this test's to judge.
TAG=$(python3 -c '
import sys
h = 2166136261
for b in sys.argv[1].encode():
    h = ((h ^ b) * 16777619) & 0xffffffff
print("".join("0123456789abcdefghijklmnopqrstuvwxyz"[h // 36 ** i % 36] for i in range(3)))' "$ZK_ROOT")
zk_links() { eip -o link show | grep -Eo ": zk${TAG}[bvhc][0-9a-f]+" | sed 's/^: //' | sort | tr '\n' ' '; }
links_before=$(zk_links)
# Another cluster's bridge appears while the test runs (as another instance's would).
OTHER=zk$([ "$TAG" = zzz ] && echo yyy || echo zzz)b4242
eip link del "$OTHER" 2>/dev/null
on_exit "eip link del $OTHER 2>/dev/null"
assert_ok "another cluster's bridge $OTHER appears" eip link add "$OTHER" type bridge

t_begin "network create"
assert_ok "docker network create with --subnet" docker network create -d "$PLUGIN:latest" --ipam-driver "$PLUGIN:latest" \
	--subnet 198.18.64.0/24 n1
assert_eq "$(docker network inspect -f '{{(index .IPAM.Config 0).Subnet}}' n1)" 198.18.64.0/24 "inspect shows the subnet"
assert_contains "$(zk_ls /ipam/subnets)" "198.18.64.0-24" "the subnet is claimed in ZooKeeper"
assert_ok "docker network create without --subnet" docker network create -d "$PLUGIN:latest" --ipam-driver "$PLUGIN:latest" n2
assert_contains "$(docker network inspect -f '{{(index .IPAM.Config 0).Subnet}}' n2)" "198.19." \
	"a subnet carved from DEFAULT_POOL"
assert_fails_with "an overlapping subnet is refused, naming it" "overlaps 198.18.64.0/24" \
	docker network create -d "$PLUGIN:latest" --ipam-driver "$PLUGIN:latest" --subnet 198.18.64.0/23 n3
assert_fails_with "an absurd subnet is refused" "too large" \
	docker network create -d "$PLUGIN:latest" --ipam-driver "$PLUGIN:latest" --subnet 0.0.0.0/0 n3
assert_fails_with "an unknown option is refused, listing the accepted ones" "accepted options" \
	docker network create -d "$PLUGIN:latest" --ipam-driver "$PLUGIN:latest" -o bogus=1 n3
assert_fails_with "the default IPAM is refused, saying why" "--ipam-driver" \
	docker network create -d "$PLUGIN:latest" --subnet 198.18.65.0/24 n3
# The plugin learns the name it is installed under from the engine once naming has reconciled.
says_installed_name() {
	local out
	out=$(docker network create -d "$PLUGIN:latest" --subnet 198.18.65.0/24 n3 2>&1)
	[[ $out == *"--ipam-driver $PLUGIN:latest (addresses"* ]]
}
wait_until 15 "and says it with the name the plugin is installed under ($PLUGIN:latest)" says_installed_name
assert_eq "$(zk_ls /ipam/subnets | grep -o '198\.18\.65\.0-24')" "" "the refused network left no subnet claim"

t_begin "containers"
assert_ok "first container" run -d --name c1 --network n1 "$IMAGE" sleep 600
assert_ok "second container" run -d --name c2 --network n1 "$IMAGE" sleep 600
ip1=$(ip_of c1 n1) ip2=$(ip_of c2 n1)
assert_contains "$ip1" "198.18.64." "c1 has an address in the subnet ($ip1)"
assert_contains "$ip2" "198.18.64." "c2 has an address in the subnet ($ip2)"
assert_ok "the addresses differ" test "$ip1" != "$ip2"
assert_contains "$(zk_ls /ipam/subnets/198.18.64.0-24/addrs/198.18.64.0-24)" "$ip1" "c1's address is recorded in ZooKeeper"
assert_ok "c1 reaches c2" docker exec c1 ping -c 2 -W 2 "$ip2"
assert_ok "c2 reaches c1" docker exec c2 ping -c 2 -W 2 "$ip1"
assert_ok "network inspect lists both" sh -c "docker network inspect n1 | jq -e '.[0].Containers | length == 2'"
assert_ok "--ip gives that address" run --rm --network n1 --ip 198.18.64.40 "$IMAGE" ip -4 addr
assert_contains "$T_OUT" "198.18.64.40/24" "the container has 198.18.64.40"
assert_fails_with "--ip of an address in use is refused" "in use" run --rm --network n1 --ip "$ip1" "$IMAGE" true
assert_ok "a container on the carved subnet" run --rm --network n2 "$IMAGE" ip -4 addr
assert_contains "$T_OUT" "198.19." "it has an address there"
links=$(zk_links)
assert_ok "a bridge, a VXLAN device and host veths with this cluster's tag $TAG exist ($links)" \
	sh -c "echo '$links' | grep -q 'zk${TAG}b' && echo '$links' | grep -q 'zk${TAG}v' && echo '$links' | grep -q 'zk${TAG}h'"

t_begin "network rm"
assert_ok "remove the containers" docker rm -f c1 c2
assert_ok "docker network rm" docker network rm n1 n2
assert_eq "$(zk_links)" "$links_before" "no bridge, VXLAN device or veth left"
assert_eq "$(zk_ls /networks)" "[]" "no network record left in ZooKeeper"
assert_eq "$(zk_ls /ipam/subnets)" "[]" "no subnet claim left in ZooKeeper"
assert_eq "$(zk_ls /vnis)" "[]" "no VXLAN identifier left in ZooKeeper"
t_summary
