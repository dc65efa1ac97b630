#!/usr/bin/env bash
# The name registry (issue 12) through real engines: scripts/cluster.sh with
# two standalone engines in their own namespaces, the ZooKeeper ensemble, the
# plugin on both with its `engine` mount and DNS_LISTEN=127.0.0.1:5353 (in each
# node's network namespace).  Containers on one zkswarm network get their names
# in ZooKeeper, read from outside Docker with kazoo (scripts/names-watch.py,
# the documented example client): name, aliases, address, node, exposed ports;
# every node's DNS server answers the other node's names (A, alias, SRV, PTR),
# also while the ensemble is down, and so does each network's gateway to
# containers started with --dns GW (nslookup, SRV, ping by name, REFUSED for
# names not ours); a watch sees names come and go; a stopped,
# renamed, disconnected container's record follows; a plugin restart keeps
# them; a node's power cut takes its names with its session.
#
# Env: CLUSTER_DIR (default: a new /tmp/zkswarm-names.XXXXXX, removed at the
# end unless a check failed), ZKSW_DOCKER (the docker CLI).
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/lib.sh"

C=${CLUSTER_DIR:-$(mktemp -d /tmp/zkswarm-names.XXXXXX)}
IMAGE=zkswarm-bb:latest
DRV=zkswarm:latest
ROOT=/zkswarm-cluster
NET=198.19.230.0/24
SESSION_S=4 # cluster.sh's ZK_SESSION_TIMEOUT_MS=4000
DOCKER=${ZKSW_DOCKER:-}
if [ -z "$DOCKER" ]; then
	if [ -x /usr/bin/docker ]; then DOCKER=/usr/bin/docker; else DOCKER=docker; fi
fi
export ZKSW_DOCKER=$DOCKER
dk() { local k=$1; shift; timeout 60 "$DOCKER" -H "unix://$C/node$k.sock" "$@"; }
now_ms() { date +%s%3N; }
secs_since() { awk -v ms=$(($(now_ms) - $1)) 'BEGIN { printf "%.2f", ms / 1000 }'; }

# names: every name record, one JSON object a line (kazoo, from outside Docker)
names() { timeout 40 /usr/bin/python3 "$top/scripts/names-watch.py" --zk "$ZK" --root "$ROOT" list; }
# rec NAME: the record of container NAME ("" if none)
rec() { names | jq -c --arg n "$1" 'select(.name == $n)'; }
has_name() { [ -n "$(rec "$1")" ]; }
lacks_name() { local all; all=$(names) || return 1; [ -z "$(jq -c --arg n "$1" 'select(.name == $n)' <<<"$all")" ]; }
# rec_is NAME JQ WANT: jq over NAME's record prints WANT
rec_is() { local r; r=$(rec "$1") && [ -n "$r" ] && [ "$(jq -r "$2" <<<"$r")" = "$3" ]; }
# owner EP: the session that owns the record of endpoint EP
owner() { timeout 30 /usr/share/zookeeper/bin/zkCli.sh -server "$ZK" stat "$ROOT/names/names/$1" 2>/dev/null | sed -n 's/^ephemeralOwner = //p'; }
owner_is_not() { local o; o=$(owner "$1") && [ -n "$o" ] && [ "$o" != 0x0 ] && [ "$o" != "$2" ]; }
ip_in() { dk "$1" inspect -f '{{(index .NetworkSettings.Networks "n").IPAddress}}' "$2"; }
ep_of() { dk "$1" inspect -f '{{(index .NetworkSettings.Networks "n").EndpointID}}' "$2"; }
# ask K NAME TYPE: node K's DNS server's answer ("RCODE flags=AA n=N", then one line per record)
ask() {
	ip netns exec "zksw$(cat "$C/slot")-node$1" timeout 10 /usr/bin/python3 \
		"$top/tests/integration/dns_tool.py" ask 5353 "$2" "$3"
}
# answers K NAME TYPE WANT: node K answers NOERROR with a record containing WANT
answers() { local a; a=$(ask "$1" "$2" "$3") && [[ $a == "NOERROR "* ]] && grep -q -- "$4" <<<"$a"; }
nxdomain() { local a; a=$(ask "$1" "$2" "$3") && [[ $a == "NXDOMAIN "* ]]; }
followed() { grep -q "$1" "$C/follow.out"; } # followed PATTERN: the watch printed it
# node_lacks NODE: no record names NODE
node_lacks() { local all; all=$(names) || return 1; [ -z "$(jq -c --arg n "$1" 'select(.node == $n)' <<<"$all")" ]; }
# has TEXT ERE: TEXT has a line matching ERE
has() { grep -Eq -- "$2" <<<"$1"; }
# From inside a container (busybox nslookup through Docker's embedded resolver, which
# forwards what it does not know to --dns GW):
# lookup K CTR NAME [ARGS]: nslookup's output
lookup() { dk "$1" exec "$2" timeout 10 nslookup "${@:4}" "$3" 2>&1; }
# resolves K CTR NAME WANT [ARGS]: nslookup succeeds and prints WANT
resolves() { local o; o=$(lookup "$1" "$2" "$3" "${@:5}") && grep -q -- "$4" <<<"$o"; }
# cant_find K CTR NAME RCODE: nslookup fails with RCODE
cant_find() { local o; o=$(lookup "$1" "$2" "$3"); [ $? -ne 0 ] && grep -q "can't find.*$4" <<<"$o"; }

on_exit "if [ \"\$T_FAIL\" -eq 0 ]; then rm -rf '$C'; else echo 'logs kept in $C'; fi"
on_exit "'$top/scripts/cluster.sh' down '$C'"
on_exit '[ -z "${FOLLOW_PID:-}" ] || kill "$FOLLOW_PID" 2>/dev/null'
assert_ok "scripts/cluster.sh up (2 standalone engines)" \
	"$top/scripts/cluster.sh" up "$C" --nodes 2 --no-swarm --set DNS_LISTEN=127.0.0.1:5353 || exit 1
ZK=$("$top/scripts/cluster.sh" zk-hosts "$C")

t_begin "registry"
for k in 1 2; do
	assert_ok "node$k: docker network create -o cluster-name=names --subnet $NET" \
		dk "$k" network create -d "$DRV" --ipam-driver "$DRV" --subnet "$NET" -o cluster-name=names n
done
assert_ok "node1: web1 (alias web, exposes 80 and 53/udp)" \
	dk 1 run -d --name web1 --network n --network-alias web --expose 80 --expose 53/udp "$IMAGE" sleep 600
assert_ok "node2: db2 (alias db, exposes 5432)" \
	dk 2 run -d --name db2 --network n --network-alias db --expose 5432 "$IMAGE" sleep 600
wait_until 20 "kazoo reads web1's record" has_name web1
wait_until 20 "kazoo reads db2's record" has_name db2
IP1=$(ip_in 1 web1)
IP2=$(ip_in 2 db2)
assert_ok "web1: node1, its address $IP1/24, endpoint, network key" \
	rec_is web1 '"\(.node) \(.address) \(.endpoint) \(.key) \(.network_name)"' \
	"node1 $IP1/24 $(ep_of 1 web1) names n"
assert_ok "web1: alias web, ports 53/udp 80/tcp" \
	rec_is web1 '"\(.aliases | join(",")) \([.ports[] | "\(.port)/\(.proto)"] | sort | join(" "))"' \
	"web 53/udp 80/tcp"
assert_ok "db2: node2, $IP2/24, alias db, port 5432/tcp" \
	rec_is db2 '"\(.node) \(.address) \(.aliases | join(",")) \([.ports[] | "\(.port)/\(.proto)"] | join(" "))"' \
	"node2 $IP2/24 db 5432/tcp"
assert_ok "the record is ephemeral (owned by a session)" owner_is_not "$(ep_of 1 web1)" 0x0

t_begin "DNS on every node"
for k in 1 2; do
	wait_until 20 "node$k: web1.zkswarm. A $IP1" answers "$k" web1.zkswarm. A "A $IP1\$"
	wait_until 20 "node$k: db2.names.zkswarm. A $IP2 (qualified by the network's key)" answers "$k" db2.names.zkswarm. A "A $IP2\$"
	assert_ok "node$k: the alias db.zkswarm. A $IP2" answers "$k" db.zkswarm. A "A $IP2\$"
	assert_ok "node$k: _80._tcp.web1.zkswarm. SRV port 80" answers "$k" _80._tcp.web1.zkswarm. SRV " 80 web1"
	assert_ok "node$k: _5432._tcp.db.zkswarm. SRV port 5432" answers "$k" _5432._tcp.db.zkswarm. SRV " 5432 "
	rev=$(awk -F. '{print $4"."$3"."$2"."$1".in-addr.arpa."}' <<<"$IP2")
	assert_ok "node$k: $rev PTR db2" answers "$k" "$rev" PTR "PTR db2"
	assert_ok "node$k: nope.zkswarm. is NXDOMAIN" nxdomain "$k" nope.zkswarm. A
done
assert_ok "the answers are authoritative, TTL 1 s" sh -c \
	"$(declare -f ask); C='$C' top='$top'; ask 1 db2.zkswarm. A | grep -q '^NOERROR flags=AA' &&
	 ask 1 db2.zkswarm. A | grep -q ' 1 A $IP2\$'"

t_begin "DNS from containers, at the network's gateway (--dns GW)"
# The gateway as the plugin put it on each node's bridge (docker network inspect shows it
# only when --gateway was given; zkswarmctl pool SUBNET shows it too).
bridge_addr() { ip netns exec "zksw$(cat "$C/slot")-node$1" ip -o -4 addr show | awk '$2 ~ /^zk...b/ { print $4 }'; }
bridge_mac() { ip netns exec "zksw$(cat "$C/slot")-node$1" sh -c 'cat /sys/class/net/zk???b*/address'; }
GWLEN=$(bridge_addr 1)
GW=${GWLEN%/*}
assert_ok "node1's bridge carries the network's gateway ($GWLEN)" has "$GWLEN" '^198\.19\.230\.[0-9]+/24$'
assert_eq "$(bridge_addr 2)" "$GWLEN" "node2's bridge carries the same"
assert_ok "node1's bridge MAC is the fixed 02:7a:6b:... ($(bridge_mac 1))" has "$(bridge_mac 1)" '^02:7a:6b:'
assert_eq "$(bridge_mac 2)" "$(bridge_mac 1)" "node2's bridge has the same MAC"
assert_ok "node1: client1 --dns $GW" dk 1 run -d --name client1 --network n --dns "$GW" "$IMAGE" sleep 600
assert_ok "node2: client2 --dns $GW" dk 2 run -d --name client2 --network n --dns "$GW" "$IMAGE" sleep 600
wait_until 20 "client1: nslookup db2 -> $IP2 (node2's container)" resolves 1 client1 db2 "$IP2"
assert_ok "client1: nslookup db (node2's alias) -> $IP2" resolves 1 client1 db "$IP2"
assert_ok "client1: nslookup db2.zkswarm -> $IP2" resolves 1 client1 db2.zkswarm "$IP2"
wait_until 20 "client2: nslookup web1 -> $IP1 (node1's container)" resolves 2 client2 web1 "$IP1"
o=$(lookup 1 client1 _5432._tcp.db -type=SRV)
echo "$o" | sed 's/^/    | /'
assert_ok "client1: nslookup -type=SRV _5432._tcp.db: port 5432 on db2" \
	has "$o" "5432 db2\.names\.zkswarm"
assert_ok "client1: ping -c 1 db2 (by name, across hosts)" dk 1 exec client1 ping -c 1 -W 3 db2
o=$(dk 1 exec client1 timeout 10 nslookup example.invalid "$GW" 2>&1)
echo "$o" | sed 's/^/    | /'
assert_ok "client1: example.invalid asked at $GW itself is REFUSED (not ours)" \
	has "$o" "can't find example.invalid: REFUSED"
# Docker's resolver waits 4 s for a server that does not answer; REFUSED makes it give up at
# once. Bounded inside the container (3 s), so docker exec's own time does not count.
o=$(dk 1 exec client1 timeout 3 nslookup example.invalid 2>&1)
echo "$o" | sed 's/^/    | /'
assert_ok "client1: example.invalid through Docker's resolver fails at once (an answer within 3 s)" \
	has "$o" "can't find example.invalid"

t_begin "DNS while ZooKeeper is away"
assert_ok "the ensemble stops" "$top/scripts/zk.sh" stop "$C/zk"
for k in 1 2; do
	assert_ok "node$k: db2.zkswarm. A $IP2 still" answers "$k" db2.zkswarm. A "A $IP2\$"
	assert_ok "node$k: web1.zkswarm. A $IP1 still" answers "$k" web1.zkswarm. A "A $IP1\$"
done
assert_ok "client1: nslookup db2 -> $IP2 still" resolves 1 client1 db2 "$IP2"
assert_ok "client2: nslookup web1 -> $IP1 still" resolves 2 client2 web1 "$IP1"
assert_ok "the ensemble starts again" sh -c \
	"for n in 1 2 3; do '$top/scripts/zk.sh' restart '$C/zk' \$n || exit 1; done"
wait_until 30 "kazoo reads the registry again" has_name db2

t_begin "watched from outside Docker"
/usr/bin/python3 "$top/scripts/names-watch.py" --zk "$ZK" --root "$ROOT" follow --seconds 120 >"$C/follow.out" 2>"$C/follow.err" &
FOLLOW_PID=$!
wait_until 20 "the watch lists the current names" followed '"name": "db2"'
assert_ok "node2: web3 starts" dk 2 run -d --name web3 --network n "$IMAGE" sleep 600
wait_until 20 "the watch sees web3 added" followed '"event": "added".*"name": "web3"'
assert_ok "node2: web3 stops" dk 2 stop -t 1 web3
t0=$(now_ms)
wait_until 20 "the watch sees web3 removed" followed '"event": "removed".*"name": "web3"'
wait_until 20 "web3 is gone from the registry" lacks_name web3
echo "    (web3's record went $(secs_since "$t0") s after docker stop returned)"
for k in 1 2; do
	wait_until 10 "node$k: web3.zkswarm. is NXDOMAIN" nxdomain "$k" web3.zkswarm. A
done
wait_until 10 "client1 (node1): web3.zkswarm is NXDOMAIN" cant_find 1 client1 web3.zkswarm NXDOMAIN
assert_ok "client1: the bare web3 is not found either" cant_find 1 client1 web3 ""

t_begin "a container's changes"
assert_ok "docker rename web1 webone" dk 1 rename web1 webone
wait_until 20 "the record says webone" rec_is webone .node node1
assert_ok "docker network disconnect n webone" dk 1 network disconnect n webone
wait_until 20 "webone's record is gone" lacks_name webone
assert_ok "docker network connect --alias api n webone" dk 1 network connect --alias api n webone
wait_until 20 "webone is back, alias api, its new address" rec_is webone \
	'"\(.aliases | join(",")) \(.address)"' "api $(ip_in 1 webone)/24"
assert_ok "docker rm -f db2" dk 2 rm -f db2
wait_until 20 "db2's record is gone" lacks_name db2
assert_ok "node2: db2 again" dk 2 run -d --name db2 --network n --network-alias db "$IMAGE" sleep 600
wait_until 20 "db2 is back" rec_is db2 .node node2

t_begin "plugin restart"
ep=$(ep_of 1 webone)
before=$(owner "$ep")
assert_ok "node1: the plugin restarts (disable -f, enable)" sh -c \
	"$(printf '%q ' "$top/scripts/cluster.sh" docker "$C" 1) plugin disable -f zkswarm &&
	 $(printf '%q ' "$top/scripts/cluster.sh" docker "$C" 1) plugin enable zkswarm"
wait_until 30 "webone's record is written again by the new session" owner_is_not "$ep" "$before"
assert_ok "webone's record: same endpoint" rec_is webone .endpoint "$ep"
assert_ok "node2: web4 starts after node1's restart" dk 2 run -d --name web4 --network n "$IMAGE" sleep 600
wait_until 20 "web4 is registered" has_name web4
assert_ok "node1: web5 starts after its plugin's restart" dk 1 run -d --name web5 --network n "$IMAGE" sleep 600
wait_until 20 "web5 is registered (the restarted plugin follows the engine)" rec_is web5 .node node1

t_begin "power cut"
assert_ok "node2: power cut" "$top/scripts/cluster.sh" kill-node "$C" 2
t0=$(now_ms)
wait_until $((SESSION_S * 5)) "node2's names (db2, web4) go with its session" node_lacks node2
wait_until 10 "node1: db2.zkswarm. is NXDOMAIN" nxdomain 1 db2.zkswarm. A
echo "    (node2's names went $(secs_since "$t0") s after the power cut; session timeout ${SESSION_S} s)"
assert_ok "webone is still registered" has_name webone
assert_ok "web5 is still registered" has_name web5

t_begin "clean up"
kill "$FOLLOW_PID" 2>/dev/null
wait "$FOLLOW_PID" 2>/dev/null
FOLLOW_PID=
assert_ok "docker rm -f webone web5 client1" dk 1 rm -f webone web5 client1
wait_until 20 "no name of node1 left" node_lacks node1
t_summary
