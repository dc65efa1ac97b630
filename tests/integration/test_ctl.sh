#!/usr/bin/env bash
# Integration: zkswarmctl against a real ZooKeeper and two daemons.
#
# The daemons make volumes, leases, pools, addresses and a network with an
# endpoint on each node (each daemon in a network namespace of its own, as
# in test_reaper.sh); every command's table and --json output is checked
# against what they made.  Then orphans are planted with zkCli.sh: `repair`
# must find exactly those, `repair --yes` must remove exactly those (and make
# a missing VNI claim again) and leave every other record as it was, and a
# second repair must find nothing.  Name records (issue 12) are written into
# the real ZooKeeper by a zkCli.sh session, as the naming service will: `names`
# lists them (stale, unreadable, filters), repair reports the stale one, the
# daemons' reaper removes an empty name set of a network that is gone, and the
# names go with their session.  Last, ZooKeeper is stopped: exit code 3.
#
# Env: ZKSWARMD (default build/zkswarmd), ZKSWARMCTL (default build/zkswarmctl;
# run.sh passes the ASan build), ZK_PORT (default 2200).
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/lib.sh"

ZKSWARMD=${ZKSWARMD:-$top/build/zkswarmd}
ZKSWARMCTL=${ZKSWARMCTL:-$top/build/zkswarmctl}
ZK_PORT=${ZK_PORT:-2200}
ZK_ADDR=198.18.13.1
ROOT=/zkswarm-it
SESSION_MS=4000
T=$(mktemp -d /tmp/zkswarm-ctl.XXXXXX)
BR=zc$$br
on_exit "rm -rf '$T'"
. "$top/tests/integration/daemon.sh"
mkdir -p "$T/ctl"

# ctl ARGS...: zkswarmctl on the test's cluster; its stderr is kept in $T/ctl/log too,
# where check_sanitizer_logs looks.
ctl() {
	local rc=0
	"$ZKSWARMCTL" --zk-hosts "$ZK_ADDR:$ZK_PORT" --zk-root "$ROOT" "$@" 2>"$T/ctl/err" || rc=$?
	cat "$T/ctl/err" >>"$T/ctl/log"
	cat "$T/ctl/err" >&2
	return $rc
}
# ctlj ARGS...: the --json document alone (stdout), for jq
ctlj() { ctl --json "$@" 2>/dev/null; }
# assert_rc CODE DESC CMD...: CMD exits with CODE
assert_rc() {
	local want=$1 desc=$2
	shift 2
	_t_run "$@"
	if [ "$T_RC" -eq "$want" ]; then ok "$desc"; else fail "$desc" "$(_t_out "exit $T_RC, wanted $want: $*")"; fi
}
zkcli() { /usr/share/zookeeper/bin/zkCli.sh -server "$ZK_ADDR:$ZK_PORT" "$@" 2>/dev/null; }
zk_exists() { zkcli stat "$ROOT$1" | grep -q '^cZxid'; }
net_id() { printf '%064d' "$1"; }
ep_id() { printf 'e%063d' "$1"; }

t_begin "setup"
assert_ok "underlay bridge" sh -c "ip link add $BR type bridge && ip addr add $ZK_ADDR/24 dev $BR && ip link set $BR up"
on_exit "ip link del $BR 2>/dev/null"
for k in 1 2; do
	ns=zc-$$-n$k
	assert_ok "namespace of n$k" sh -c "ip netns add $ns && ip link add zc$$a$k type veth peer name zc$$b$k &&
		ip link set zc$$b$k netns $ns && ip link set zc$$a$k master $BR up &&
		ip -n $ns addr add 198.18.13.1$k/24 dev zc$$b$k && ip -n $ns link set zc$$b$k up && ip -n $ns link set lo up"
	on_exit "ip netns del $ns 2>/dev/null"
done
assert_ok "ZooKeeper starts" "$top/scripts/zk.sh" start "$T/zk" --port "$ZK_PORT" --tick 1000 --address $ZK_ADDR
on_exit "$top/scripts/zk.sh stop '$T/zk' >/dev/null"
on_exit "stop_node n1 KILL; stop_node n2 KILL"
for k in 1 2; do
	# No reaper during the test: the orphans planted below must stay until repair.
	NETNS=zc-$$-n$k assert_ok "node n$k starts" start_node "n$k" ZK_HOSTS=$ZK_ADDR:$ZK_PORT \
		ADVERTISE_ADDR=198.18.13.1$k REAPER_GRACE_MS=3600000
done
for n in n1 n2; do wait_until 10 "$n registered" grep -q "mirror: synced" "$T/$n/log"; done
both_registered() { ctlj status | jq -e '[.nodes[] | select(.state == "registered")] | length == 2' >/dev/null; }
wait_until 10 "zkswarmctl sees both nodes" both_registered

t_begin "command line"
assert_ok "--help" ctl --help
assert_contains "$T_OUT" "repair" "--help lists the commands"
assert_contains "$T_OUT" "Exit status" "--help explains the exit codes"
for cmd in status volumes volume networks network pools pool names repair; do
	assert_ok "$cmd --help" ctl "$cmd" --help
	assert_contains "$T_OUT" "SYNOPSIS" "$cmd --help is a manual page"
	assert_contains "$T_OUT" "EXIT STATUS" "$cmd --help gives its exit codes"
done
assert_ok "help repair" ctl help repair
assert_contains "$T_OUT" "vni-missing" "help repair names the kinds of orphans"
assert_rc 2 "unknown command: 2" ctl frobnicate
assert_rc 2 "no command: 2" ctl
assert_rc 2 "missing argument: 2" ctl volume
assert_rc 2 "extra argument: 2" ctl volumes db
assert_rc 2 "--yes outside repair: 2" ctl volumes --yes
assert_rc 2 "--yes with --dry-run: 2" ctl repair --yes --dry-run
assert_rc 2 "unknown option: 2" ctl status --frob
assert_rc 2 "bad --timeout: 2" ctl status --timeout soon
assert_rc 2 "missing ZK_AUTH_FILE: 2" ctl volumes --zk-auth-file "$T/nonexistent"
assert_rc 2 "bad ZK_ROOT: 2" ctl volumes --zk-root relative
assert_ok "--version" ctl --version

t_begin "the daemons make records"
assert_ok "n1 creates db" call n1 VolumeDriver.Create '{"Name":"db","Opts":{"mode":"0700"}}'
assert_ok "n1 creates shared" call n1 VolumeDriver.Create '{"Name":"shared","Opts":{"access":"multi-node"}}'
assert_ok "n1 mounts db" call n1 VolumeDriver.Mount '{"Name":"db","ID":"mountdb1"}'
assert_ok "n1 mounts shared" call n1 VolumeDriver.Mount '{"Name":"shared","ID":"mounts1"}'
assert_ok "n2 mounts shared" call n2 VolumeDriver.Mount '{"Name":"shared","ID":"mounts2"}'
assert_ok "n2 mounts shared again" call n2 VolumeDriver.Mount '{"Name":"shared","ID":"mounts3"}'
for k in 1 2; do
	n=n$k
	assert_ok "$n requests the pool" call "$n" IpamDriver.RequestPool '{"Pool":"198.18.41.0/24"}'
	assert_ok "$n creates the network" call "$n" NetworkDriver.CreateNetwork \
		"{\"NetworkID\":\"$(net_id $k)\",\"Options\":{\"com.docker.network.generic\":{\"cluster-name\":\"web\"}},\"IPv4Data\":[{\"Pool\":\"198.18.41.0/24\"}]}"
	assert_ok "$n gets an address" call "$n" IpamDriver.RequestAddress '{"PoolID":"198.18.41.0/24","Address":""}'
	addr=$(field .Address)
	echo "$addr" >"$T/$n.addr"
	assert_ok "$n creates an endpoint" call "$n" NetworkDriver.CreateEndpoint \
		"{\"NetworkID\":\"$(net_id $k)\",\"EndpointID\":\"$(ep_id $k)\",\"Interface\":{\"Address\":\"$addr\"}}"
done
a1=$(cat "$T/n1.addr") a2=$(cat "$T/n2.addr")
assert_ok "n1 requests a second pool" call n1 IpamDriver.RequestPool '{"Pool":"198.18.42.0/24"}'
assert_ok "n1 takes its gateway" call n1 IpamDriver.RequestAddress \
	'{"PoolID":"198.18.42.0/24","Address":"","Options":{"RequestAddressType":"com.docker.network.gateway"}}'
assert_ok "n1 takes an address in it" call n1 IpamDriver.RequestAddress '{"PoolID":"198.18.42.0/24","Address":"198.18.42.7"}'

t_begin "status"
assert_ok "status" ctl status
assert_contains "$T_OUT" "connected (session 0x" "says it is connected"
assert_contains "$T_OUT" "standalone" "shows the server's mode (srvr)"
assert_contains "$T_OUT" "198.18.13.11" "shows n1's tunnel address"
assert_contains "$T_OUT" "198.18.13.12" "shows n2's tunnel address"
assert_contains "$T_OUT" "Records: 2 volumes (3 leases), 1 network (2 endpoints), 2 pools (4 addresses), 1 VNI, 2 nodes" "counts the records"
s=$(ctlj status)
assert_eq "$(jq -r '[.nodes[] | select(.state == "registered") | .id] | sort | join(" ")' <<<"$s")" "n1 n2" "--json: two registered nodes"
assert_eq "$(jq -r '.nodes[] | select(.id == "n2") | .address' <<<"$s")" "198.18.13.12" "--json: n2's address"
assert_eq "$(jq -r '.nodes[] | select(.id == "n1") | .session | test("^0x[0-9a-f]+$")' <<<"$s")" true "--json: n1's session"
assert_eq "$(jq -r '.nodes[] | select(.id == "n1") | .started_at != null and .version != null' <<<"$s")" true "--json: started_at and version"
assert_eq "$(jq -r '.reaper.leader | test("^n[12]$")' <<<"$s")" true "--json: a reaper leader"
assert_eq "$(jq -c '.counts | [.volumes, .leases, .networks, .endpoints, .pools, .addresses, .vnis]' <<<"$s")" "[2,3,1,2,2,4,1]" "--json: counts"
assert_eq "$(jq -r '.zookeeper.servers[0] | [.reachable, .srvr, .mode] | join(" ")' <<<"$s")" "true true standalone" "--json: srvr"
assert_ok "status --socket" ctl status --socket "$T/n1/s.sock"
assert_contains "$T_OUT" "implements VolumeDriver, NetworkDriver, IpamDriver" "the daemon answers Activate"
assert_contains "$T_OUT" "its view: 2 volumes; ZooKeeper connected" "the daemon's own view"
s=$(ctlj status --socket "$T/n2/s.sock")
assert_eq "$(jq -r '.daemon | [.answered, .volumes, .zookeeper, .stale] | join(" ")' <<<"$s")" "true 2 connected false" "--json: the daemon's answer"
assert_rc 1 "status --socket on a dead socket: 1" ctl status --socket "$T/nothing.sock"
assert_contains "$T_OUT" "NO ANSWER" "and says so"

t_begin "volumes"
assert_ok "volumes" ctl volumes
assert_eq "$(awk '$1 == "db" {print $2, $3, $6, $7}' <<<"$T_OUT")" "single-node mode=0700 n1:1 n1" "db: access, options, holder, exclusive"
assert_eq "$(awk '$1 == "shared" {print $2, $3, $6, $7, $8}' <<<"$T_OUT")" "multi-node - n1:1 n2:2 -" "shared: holders with mount counts"
v=$(ctlj volumes)
assert_eq "$(jq -r '.[] | select(.name == "db") | [.options.mode, .created_by, .exclusive_holder] | join(" ")' <<<"$v")" "0700 n1 n1" "--json: db"
assert_eq "$(jq -c '[.[] | select(.name == "shared") | .holders[] | [.node, .mounts, .exclusive]]' <<<"$v")" '[["n1",1,false],["n2",2,false]]' "--json: shared's holders"
assert_ok "volume shared" ctl volume shared
assert_contains "$T_OUT" "mounts2,mounts3" "shows the mount IDs"
assert_eq "$(ctlj volume shared | jq -c '[.holders[] | .mount_ids]')" '[["mounts1"],["mounts2","mounts3"]]' "--json: mount IDs per lease"
assert_eq "$(ctlj volume db | jq -r '.holders[0] | [.ephemeral, .registered] | join(" ")')" "true true" "--json: the lease is ephemeral, its node registered"
assert_rc 1 "volume nope: 1" ctl volume nope
assert_contains "$T_OUT" "no such volume" "and says so"

t_begin "networks"
assert_ok "networks" ctl networks
vni=$(ctlj networks | jq -r '.[] | select(.key == "web") | .vni')
assert_eq "$(awk '$1 == "web" {print $2, $3, $5, $6, $7, $8}' <<<"$T_OUT")" "198.18.41.0/24 $vni n1:1 n2:1 n1:1 n2:1" "web: subnet, VNI, members and endpoints per node"
assert_eq "$(ctlj networks | jq -r '.[] | select(.key == "web") | [.vni_claimed, (.mtu > 0)] | join(" ")')" "true true" "--json: VNI claimed, MTU"
assert_ok "network web" ctl network web
assert_contains "$T_OUT" "$a1" "shows n1's endpoint address"
assert_contains "$T_OUT" "$a2" "shows n2's endpoint address"
n=$(ctlj network web)
assert_eq "$(jq -r '.endpoints[] | select(.id == "'"$(ep_id 2)"'") | [.node, .address, (.mac | test("^([0-9a-f]{2}:){5}[0-9a-f]{2}$"))] | join(" ")' <<<"$n")" "n2 $a2 true" "--json: an endpoint's node, address and MAC"
assert_eq "$(jq -r '[.members[] | .node + ":" + .network_id[-1:]] | join(" ")' <<<"$n")" "n1:1 n2:2" "--json: members with their Docker network IDs"
assert_rc 1 "network nope: 1" ctl network nope

t_begin "pools"
assert_ok "pools" ctl pools
assert_eq "$(awk '$1 == "198.18.41.0/24" {print $2, $3, $4, $5, $6}' <<<"$T_OUT")" "n1:1 n2:1 2/254 - web" "198.18.41.0/24: refs, use, networks"
assert_eq "$(awk '$1 == "198.18.42.0/24" {print $2, $3, $4}' <<<"$T_OUT")" "n1:1 2/254 198.18.42.1" "198.18.42.0/24: refs, use, gateway"
p=$(ctlj pools)
assert_eq "$(jq -c '.[] | select(.subnet == "198.18.41.0/24") | [.refs, .addresses_used, .usable_hosts, .networks]' <<<"$p")" '[{"n1":1,"n2":1},2,254,["web"]]' "--json: pools"
assert_ok "pool 198.18.42.0/24" ctl pool 198.18.42.0/24
assert_eq "$(awk '$1 == "198.18.42.1" {print $2, $3}' <<<"$T_OUT")" "gateway n1:1" "the gateway and its holder"
assert_eq "$(ctlj pool 198.18.41.0/24 | jq -r '.addresses[] | select(.address == "'"${a2%/*}"'") | [.kind, .holders.n2, .endpoint.network, .endpoint.node] | join(" ")')" "address 1 web n2" "--json: an address, its holder and its endpoint"
assert_ok "pool by record name" ctl pool 198.18.42.0-24
assert_rc 1 "pool not claimed: 1" ctl pool 198.18.99.0/24
assert_rc 2 "pool not a subnet: 2" ctl pool banana

t_begin "repair on a clean cluster"
assert_ok "repair finds nothing" ctl repair
assert_contains "$T_OUT" "No problems found" "and says so"
ctlj volumes >"$T/volumes.before"
ctlj networks >"$T/networks.before"
ctlj pools >"$T/pools.before"

t_begin "orphans"
cat >"$T/plant" <<EOF
create $ROOT/ipam/subnets/198.18.41.0-24/addrs/198.18.41.0-24/198.18.41.200 '{"holders":{"ghost":1},"kind":"address","swarm":false}'
create $ROOT/ipam/subnets/198.18.41.0-24/addrs/198.18.41.0-24/198.18.41.201 '{"holders":{},"kind":"address","swarm":false}'
create $ROOT/ipam/subnets/198.18.41.0-24/addrs/198.18.41.0-24/198.18.41.202 '{"holders":{"ghost":1},"kind":"address","swarm":false}'
create $ROOT/networks/web/members/ghost:0abc '{}'
create $ROOT/networks/web/endpoints/eghost '{"node":"ghost","address":"198.18.41.202/24","mac":"02:42:c6:12:29:ca","network":"0abc"}'
create $ROOT/networks/web/endpoints/ebad 'garbage{'
delete $ROOT/vnis/$vni
create $ROOT/vnis/4242 '{"network":"nonexistent"}'
create $ROOT/volumes/junk 'not json'
create $ROOT/volumes/junk/leases
create $ROOT/volumes/shared/leases/ghost '{"node":"ghost","mounts":["x"]}'
create $ROOT/ipam/subnets/198.18.43.0-24 '{"cidr":"198.18.43.0/24","refs":{}}'
create $ROOT/ipam/subnets/198.18.43.0-24/addrs
create $ROOT/ipam/subnets/198.18.43.0-24/addrs/198.18.43.0-24
create $ROOT/networks/dead '{"key":"dead","subnet":"198.18.43.0/24","vni":6000,"mtu":1450}'
create $ROOT/networks/dead/members
create $ROOT/networks/dead/endpoints
create $ROOT/vnis/6000 '{"network":"dead"}'
create $ROOT/nodes/phantom '{"address":""}'
quit
EOF
plant() {
	/usr/share/zookeeper/bin/zkCli.sh -server "$ZK_ADDR:$ZK_PORT" <"$T/plant" >"$T/zkcli.out" 2>&1
	grep -v '^$\|SLF4J\|WATCHER\|WatchedEvent' "$T/zkcli.out"
	[ "$(grep -c '^Created' "$T/zkcli.out")" -eq 18 ] && ! zk_exists "/vnis/$vni"
}
assert_ok "plant orphans with zkCli.sh (and delete web's VNI claim)" plant
cat >"$T/expected" <<EOF
address $ROOT/ipam/subnets/198.18.41.0-24/addrs/198.18.41.0-24/198.18.41.200
address $ROOT/ipam/subnets/198.18.41.0-24/addrs/198.18.41.0-24/198.18.41.201
address $ROOT/ipam/subnets/198.18.41.0-24/addrs/198.18.41.0-24/198.18.41.202
endpoint $ROOT/networks/web/endpoints/eghost
invalid $ROOT/networks/web/endpoints/ebad
invalid $ROOT/volumes/junk
lease $ROOT/volumes/shared/leases/ghost
member $ROOT/networks/web/members/ghost:0abc
network $ROOT/networks/dead
registration $ROOT/nodes/phantom
subnet $ROOT/ipam/subnets/198.18.43.0-24
vni $ROOT/vnis/4242
vni-missing $ROOT/networks/web
EOF
assert_rc 1 "repair without a terminal: a dry run that finds them (1)" ctl repair
assert_contains "$T_OUT" "Dry run: nothing changed" "says it changed nothing"
assert_contains "$T_OUT" "Found 13 problems" "counts them"
r=$(ctlj repair)
assert_eq "$(jq -r '.found[] | .kind + " " + .path' <<<"$r" | sort)" "$(sort "$T/expected")" "finds exactly the planted orphans"
assert_eq "$(jq -r '[.found[] | select(.fixable | not)] | length' <<<"$r")" 0 "all of them fixable"
assert_eq "$(jq -r '.dry_run' <<<"$r")" true "--json: a dry run"
assert_eq "$(jq -r '[.found[] | select(.kind == "member" or .kind == "endpoint") | .reaper] | all' <<<"$r")" true "members and endpoints of gone nodes are the reaper's"
assert_contains "$(jq -r '.found[] | select(.kind == "address" and (.path | endswith(".202"))) | .reason' <<<"$r")" "unregistered \`ghost\`" "an address whose endpoint goes too"
assert_ok "the dry run left them" zk_exists /vnis/4242
assert_eq "$(ctlj networks | jq -r '.[] | select(.key == "web") | .vni_claimed')" false "networks shows web's claim missing"
assert_ok "status shows the gone node" ctl status
assert_eq "$(awk '$1 == "ghost" {print $2}' <<<"$T_OUT")" "gone" "ghost is gone"
assert_eq "$(awk '$1 == "phantom" {print $2}' <<<"$T_OUT")" "persistent!" "phantom's registration is persistent"

t_begin "repair --yes"
r=$(ctlj repair --yes)
assert_eq "$(jq -r '.found[] | .kind + " " + .path' <<<"$r" | sort)" "$(sort "$T/expected")" "fixes exactly the planted orphans"
assert_eq "$(jq -r '[.found[] | .result] | unique | join(" ")' <<<"$r")" "created removed" "all removed, the claim created"
assert_eq "$(jq -r '[.fixed, .failed, .unfixable] | join(" ")' <<<"$r")" "13 0 0" "--json: counts"
while read -r kind path; do
	[ "$kind" = vni-missing ] && continue
	if zk_exists "${path#"$ROOT"}"; then fail "$path is still there"; else ok "$kind $path is gone"; fi
done <"$T/expected"
assert_contains "$(zkcli get "$ROOT/vnis/$vni")" '"network":"web"' "web's VNI claim is back"
assert_eq "$(ctlj volumes)" "$(cat "$T/volumes.before")" "volumes as before"
assert_eq "$(ctlj networks)" "$(cat "$T/networks.before")" "networks as before"
assert_eq "$(ctlj pools)" "$(cat "$T/pools.before")" "pools as before"
assert_ok "a second repair finds nothing" ctl repair
assert_contains "$T_OUT" "No problems found" "and says so"
assert_ok "the daemons still serve db" call n1 VolumeDriver.Get '{"Name":"db"}'

t_begin "repair on a terminal"
# ask ANSWER: repair on a pseudo-terminal (script(1)), answering ANSWER to its question
ask() {
	printf '%s\n' "$1" | script -qec "'$ZKSWARMCTL' --zk-hosts $ZK_ADDR:$ZK_PORT --zk-root $ROOT repair" /dev/null \
		>"$T/ctl/tty" 2>&1
	local rc=$?
	cat "$T/ctl/tty" >>"$T/ctl/log"
	cat "$T/ctl/tty"
	return $rc
}
assert_ok "plant one orphan" sh -c "printf 'create $ROOT/vnis/4343 {\"network\":\"gone\"}\nquit\n' |
	/usr/share/zookeeper/bin/zkCli.sh -server $ZK_ADDR:$ZK_PORT 2>&1 | grep -q '^Created'"
assert_rc 1 "answering no: 1" ask n
assert_contains "$T_OUT" "Fix this record? [y/N]" "it asks"
assert_contains "$T_OUT" "Not confirmed: nothing changed" "no changes nothing"
assert_ok "the orphan is still there" zk_exists /vnis/4343
assert_rc 0 "answering yes: 0" ask y
assert_contains "$T_OUT" "Fixed 1 of 1" "yes fixes it"
if zk_exists /vnis/4343; then fail "the orphan is gone"; else ok "the orphan is gone"; fi

t_begin "a live session's lease"
# A zkCli.sh session holds an ephemeral lease of a node that is not registered:
# repair reports it but leaves it, since a daemon registers just after taking leases.
mkfifo "$T/fifo"
/usr/share/zookeeper/bin/zkCli.sh -server "$ZK_ADDR:$ZK_PORT" <"$T/fifo" >"$T/zkcli.eph" 2>&1 &
eph=$!
on_exit "kill $eph 2>/dev/null || true"
exec 7>"$T/fifo"
echo "create -e $ROOT/volumes/shared/leases/ghost2 {\"node\":\"ghost2\",\"mounts\":[\"x\"]}" >&7
lease_there() { zk_exists /volumes/shared/leases/ghost2; }
lease_gone() { ! zk_exists /volumes/shared/leases/ghost2; }
wait_until 15 "an ephemeral lease of an unregistered node" lease_there
r=$(ctlj repair --yes)
assert_eq "$(jq -r '.found[] | [.kind, .fixable, (.action | startswith("none yet"))] | join(" ")' <<<"$r")" "lease false true" "repair --yes reports it and leaves it"
assert_ok "it is still there" lease_there
echo quit >&7
exec 7>&-
wait "$eph" 2>/dev/null
wait_until 10 "it goes with its session" lease_gone

t_begin "names"
assert_ok "the daemons made /names (the skeleton)" zk_exists /names
# A zkCli.sh session writes the records, ephemeral, as a node's naming service would.
mkfifo "$T/fifo-names"
/usr/share/zookeeper/bin/zkCli.sh -server "$ZK_ADDR:$ZK_PORT" <"$T/fifo-names" >"$T/zkcli.names" 2>&1 &
names_cli=$!
on_exit "kill $names_cli 2>/dev/null || true"
exec 8>"$T/fifo-names"
e1=$(ep_id 1) e2=$(ep_id 2)
cat >&8 <<EOF
create $ROOT/names/web
create -e $ROOT/names/web/$e1 '{"name":"web-1","aliases":["web","www"],"endpoint":"$e1","network":"$(net_id 1)","network_name":"front","address":"$a1","node":"n1","service":"app_web","task":"app_web.1.x","ports":[{"port":80,"proto":"tcp"},{"port":53,"proto":"udp"}]}'
create -e $ROOT/names/web/$e2 '{"name":"db-1","endpoint":"$e2","network_name":"front","address":"$a2","node":"n2"}'
create -e $ROOT/names/web/egone '{"name":"ghost-1","endpoint":"egone","address":"198.18.41.99/24","node":"n2"}'
create -e $ROOT/names/web/ebad '{"name":"bad","endpoint":"ebad","node":"n1","address":"nowhere"}'
EOF
four_names() { [ "$(ctlj names | jq length)" = 4 ]; }
wait_until 15 "zkswarmctl sees the four names" four_names
assert_ok "names" ctl names
row=$(grep '^web-1 ' <<<"$T_OUT")
for cell in "front (web)" "$a1" " n1 " "web,www" "app_web/app_web.1.x" "80/tcp,53/udp" "${e1:0:12}"; do
	assert_contains "$row" "$cell" "web-1's row shows $cell"
done
assert_eq "$(awk '$1 == "web-1" || $1 == "db-1" || $1 == "ghost-1" {print $1 ":" $NF}' <<<"$T_OUT" | sort | tr '\n' ' ')" "db-1:ok ghost-1:stale web-1:ok " "states: ghost-1 has no endpoint record"
assert_contains "$T_OUT" "(unreadable record)" "the unreadable record is listed"
n=$(ctlj names)
assert_eq "$(jq -r '.[] | select(.name == "web-1") | [.key, .endpoint == "'"$e1"'", .registered, .stale, (.session | test("^0x"))] | join(" ")' <<<"$n")" "web true true false true" "--json: web-1's key, endpoint, node registered, not stale, ephemeral"
assert_eq "$(jq -c '.[] | select(.name == "web-1") | [.aliases, .ports]' <<<"$n")" '[["web","www"],[{"port":80,"proto":"tcp"},{"port":53,"proto":"udp"}]]' "--json: aliases and ports"
assert_eq "$(jq -r '.[] | select(.endpoint == "ebad") | [.valid, (.error | contains("a.b.c.d/len"))] | join(" ")' <<<"$n")" "false true" "--json: why ebad is unreadable"
assert_eq "$(ctlj names --node n2 | jq -r '[.[] | .endpoint] | sort | join(" ")')" "$e2 ebad egone" "--node n2 (and the unreadable one)"
assert_eq "$(ctlj names --service app_web | jq -r '[.[] | .endpoint] | sort | join(" ")')" "$e1 ebad" "--service app_web"
assert_eq "$(ctlj names --network front | jq -r '[.[] | .name] | sort | join(" ")')" "db-1 web-1" "--network by the engine's name"
assert_eq "$(ctlj names --network nope | jq length)" 0 "--network of no names"
assert_rc 2 "--network outside names: 2" ctl networks --network web
# The reaper's leader removes an empty name set of a network that is gone, and only that.
assert_ok "plant an empty name set of no network" sh -c "printf 'create $ROOT/names/gone\nquit\n' |
	/usr/share/zookeeper/bin/zkCli.sh -server $ZK_ADDR:$ZK_PORT 2>&1 | grep -q '^Created'"
set_gone() { ! zk_exists /names/gone; }
wait_until 15 "the reaper removes it" set_gone
assert_ok "web's name set stays" zk_exists /names/web
r=$(ctlj repair)
assert_eq "$(jq -r '.found[] | .kind + " " + (.path | sub(".*/"; "")) + " " + (.fixable | tostring)' <<<"$r" | sort | tr '\n' ';')" "invalid ebad false;name egone false;" "repair reports the stale name and the unreadable one (ephemeral: left)"
echo quit >&8
exec 8>&-
wait "$names_cli" 2>/dev/null
no_names() { [ "$(ctlj names | jq length)" = 0 ]; }
wait_until 15 "the names go with their session" no_names

t_begin "ZooKeeper ACLs"
echo "ops:s3cret" >"$T/auth" && chmod 600 "$T/auth"
echo "ops:wrong" >"$T/auth.wrong"
assert_ok "n3 starts with ZK_AUTH_FILE on its own root" start_node n3 ZK_HOSTS=$ZK_ADDR:$ZK_PORT \
	ZK_ROOT=/zkswarm-it-acl ZK_AUTH_FILE="$T/auth" ADVERTISE_ADDR=$ZK_ADDR
on_exit "stop_node n3 KILL"
wait_until 10 "n3 connected" grep -q "mirror: synced" "$T/n3/log"
assert_ok "n3 creates a volume" call n3 VolumeDriver.Create '{"Name":"secret"}'
assert_rc 1 "without credentials: 1" ctl volumes --zk-root /zkswarm-it-acl
assert_contains "$T_OUT" "refused access" "says access was refused"
assert_rc 1 "with wrong credentials: 1" ctl volumes --zk-root /zkswarm-it-acl --zk-auth-file "$T/auth.wrong"
assert_ok "with --zk-auth-file" ctl volumes --zk-root /zkswarm-it-acl --zk-auth-file "$T/auth"
assert_eq "$(awk 'NR == 2 {print $1, $5}' <<<"$T_OUT")" "secret n3" "lists the volume"
auth_from_env() { ZK_AUTH_FILE="$T/auth" ctl --zk-root /zkswarm-it-acl volumes; }
assert_ok "with ZK_AUTH_FILE" auth_from_env
assert_contains "$T_OUT" "secret" "lists the volume"
assert_ok "repair with credentials" ctl repair --zk-root /zkswarm-it-acl --zk-auth-file "$T/auth"
assert_contains "$T_OUT" "No problems found" "nothing to repair there"
stop_node n3 TERM

t_begin "ZooKeeper down"
"$top/scripts/zk.sh" stop "$T/zk" >/dev/null
t0=$(date +%s%3N)
assert_rc 3 "status: 3" ctl status --timeout 2
assert_contains "$T_OUT" "UNREACHABLE" "status says ZooKeeper is unreachable"
assert_eq "$(( ($(date +%s%3N) - t0) < 6000 ))" 1 "within the timeout"
s=$(ctlj status --timeout 1 --socket "$T/n1/s.sock")
assert_eq "$(jq -r '[.zookeeper.reachable, .zookeeper.servers[0].reachable, .daemon.answered] | join(" ")' <<<"$s")" "false false true" "--json: ZooKeeper and its server unreachable, the daemon answers"
assert_rc 3 "volumes: 3" ctl volumes --timeout 1
assert_contains "$T_OUT" "ZooKeeper is unreachable" "volumes says why"
assert_rc 3 "repair: 3" ctl repair --yes --timeout 1
assert_rc 3 "pool: 3" ctl pool 198.18.41.0/24 --timeout 1

t_begin "cleanup"
for n in n1 n2; do stop_node "$n" TERM; done
check_sanitizer_logs
t_summary
