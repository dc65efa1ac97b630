#!/usr/bin/env bash
# Integration: the DNS server (issue 12, step 3) of two zkswarmd instances (nodes n1, n2)
# against one real ZooKeeper, outside Docker, each with DNS_LISTEN on its own loopback port.
# Name and endpoint records are written into ZooKeeper by another client (python3-kazoo,
# tests/integration/dns_tool.py), as the network and naming services will write them, and
# both daemons are asked with dnspython and drill.
#
# Shows: A by name, alias and across networks, SRV, PTR, NXDOMAIN, REFUSED, on both nodes;
# a removed name (or its endpoint record) gone on both within a second; a large answer
# truncated over UDP and whole over TCP; answers during a ZooKeeper outage; hostile packets
# and a flood of idle TCP connections, after each of which a good query is answered.
#
# Run it under `flock /tmp/zks-integ.lock` (its ZooKeeper's port is fixed).
# Env: ZKSWARMD (default build/zkswarmd), ZK_PORT (default 2193), DNS_PORT1/2 (5391/5392).
# No private mount namespace: nothing here mounts.
set -uo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/lib.sh"

ZKSWARMD=${ZKSWARMD:-$top/build/zkswarmd}
ZK_PORT=${ZK_PORT:-2193}
P1=${DNS_PORT1:-5391}
P2=${DNS_PORT2:-5392}
SESSION_MS=4000
T=$(mktemp -d /tmp/zkswarm-it.XXXXXX)
on_exit "rm -rf '$T'"
on_exit "$top/scripts/zk.sh stop '$T/zk' >/dev/null"

. "$top/tests/integration/daemon.sh"
on_exit "stop_node n1 KILL; stop_node n2 KILL"
tool() { /usr/bin/python3 "$top/tests/integration/dns_tool.py" "$@"; }
rec() { tool "127.0.0.1:$ZK_PORT" /zkswarm-it "$@"; }
ask() { tool ask "$@"; }
# answers PORT NAME TYPE [OPTS] EXPECTED: the reply, as dns_tool.py describes it, is EXPECTED.
answers() {
	local got want=${*: -1}
	got=$(ask "${@:1:$#-1}") || return 1
	[ "$got" = "$want" ] || { printf 'got:\n%s\n' "$got"; return 1; }
}
# tcp_count PORT NAME N: over TCP, NAME has N A records and no TC.
tcp_count() { local out; out=$(ask "$1" "$2" A tcp) && [ "${out%%$'\n'*}" = "NOERROR flags=AA n=$3" ]; }

t_begin "setup"
assert_ok "ZooKeeper starts" "$top/scripts/zk.sh" start "$T/zk" --port "$ZK_PORT" --tick 1000 || exit 1
assert_ok "node n1 starts with DNS on 127.0.0.1:$P1" start_node n1 DNS_LISTEN=127.0.0.1:$P1
assert_ok "node n2 starts with DNS on 127.0.0.1:$P2, TTL 2" start_node n2 DNS_LISTEN=127.0.0.1:$P2 DNS_TTL=2
wait_until 10 "n1 connected to ZooKeeper" grep -q "mirror: synced" "$T/n1/log"
wait_until 10 "n2 connected to ZooKeeper" grep -q "mirror: synced" "$T/n2/log"
# (the start's main thread logs it; "mirror: synced" comes from the store's thread, in no set order)
wait_until 5 "n1 logs its DNS listener" grep -q "DNS for zkswarm. on 127.0.0.1:$P1" "$T/n1/log"
assert_ok "a non-loopback DNS_LISTEN is refused, the daemon serves on" start_node n3 DNS_LISTEN=10.1.2.3:53
assert_ok "n3 says DNS is off and why" grep -q "DNS_LISTEN .10.1.2.3:53. is not a loopback address.*serving without DNS" "$T/n3/log"
stop_node n3 TERM

t_begin "records written by another ZooKeeper client"
assert_ok "network front" rec network front 10.9.0.0/24
assert_ok "network with a Docker ID for key" rec network 4f2a9c1e0b7d6a5f3e2c1b0a9f8e7d6c5b4a39281706f5e4d3c2b1a098765432 10.8.0.0/24
assert_ok "web-1 with alias web and port 80/tcp" rec name front e1 web-1 10.9.0.7/24 \
	'{"aliases":["web"],"network_name":"front","ports":[{"port":80,"proto":"tcp"}]}'
assert_ok "web-2 with port 80/tcp" rec name front e2 web-2 10.9.0.8/24 '{"ports":[{"port":80,"proto":"tcp"}]}'
assert_ok "db on the other network (engine name back)" rec name \
	4f2a9c1e0b7d6a5f3e2c1b0a9f8e7d6c5b4a39281706f5e4d3c2b1a098765432 e3 db 10.8.0.4/24 '{"network_name":"back"}'
assert_ok "a service of 100 tasks" rec service front big 100 10.9.0.100
wait_until 5 "n1 answers the last task" answers "$P1" big-99.zkswarm. A \
	"$(printf 'NOERROR flags=AA n=1\nbig-99.zkswarm. 1 A 10.9.0.199')"
wait_until 5 "n2 answers the last task" answers "$P2" big-99.zkswarm. A \
	"$(printf 'NOERROR flags=AA n=1\nbig-99.zkswarm. 2 A 10.9.0.199')"

t_begin "answers"
assert_ok "n1: A of web-1.front.zkswarm." answers "$P1" web-1.front.zkswarm. A \
	"$(printf 'NOERROR flags=AA n=1\nweb-1.front.zkswarm. 1 A 10.9.0.7')"
assert_ok "n2: the same" answers "$P2" web-1.front.zkswarm. A \
	"$(printf 'NOERROR flags=AA n=1\nweb-1.front.zkswarm. 2 A 10.9.0.7')"
assert_ok "n1: A of the alias, any case" answers "$P1" WEB.zkswarm. A "$(printf 'NOERROR flags=AA n=1\nWEB.zkswarm. 1 A 10.9.0.7')"
assert_ok "n2: A of the alias, TTL 2" answers "$P2" web.zkswarm. A "$(printf 'NOERROR flags=AA n=1\nweb.zkswarm. 2 A 10.9.0.7')"
assert_ok "n1: single label" answers "$P1" web. A "$(printf 'NOERROR flags=AA n=1\nweb. 1 A 10.9.0.7')"
assert_ok "n1: the network labelled by its engine name" answers "$P1" db.back.zkswarm. A \
	"$(printf 'NOERROR flags=AA n=1\ndb.back.zkswarm. 1 A 10.8.0.4')"
assert_ok "n1: SRV" answers "$P1" _80._tcp.web-2.zkswarm. SRV \
	"$(printf 'NOERROR flags=AA n=1\n_80._tcp.web-2.zkswarm. 1 SRV 0 0 80 web-2.front.zkswarm.')"
assert_ok "n2: PTR" answers "$P2" 7.0.9.10.in-addr.arpa. PTR \
	"$(printf 'NOERROR flags=AA n=1\n7.0.9.10.in-addr.arpa. 2 PTR web-1.front.zkswarm.')"
assert_ok "n1: NXDOMAIN with AA for an unknown name of the zone" answers "$P1" nope.zkswarm. A "NXDOMAIN flags=AA n=0"
assert_ok "n2: NODATA for AAAA" answers "$P2" web.zkswarm. AAAA "NOERROR flags=AA n=0"
assert_ok "n1: REFUSED outside the zone" answers "$P1" example.com. A "REFUSED flags= n=0"
assert_ok "drill agrees: SRV of web-1's port 80" \
	bash -c "drill -p $P1 @127.0.0.1 SRV _80._tcp.web-1.front.zkswarm. | grep -q 'SRV.*0 0 80 web-1.front.zkswarm.'"

t_begin "truncation"
assert_ok "n1: 100 A records over UDP: TC, no answer" answers "$P1" big.zkswarm. A "NOERROR flags=AA,TC n=0"
assert_ok "n1: with EDNS 4096: still TC (more than 1232 bytes)" answers "$P1" big.zkswarm. A edns=4096 "NOERROR flags=AA,TC n=0"
assert_ok "n1: over TCP: all 100" tcp_count "$P1" big.zkswarm. 100
assert_ok "drill over TCP gets 100" \
	bash -c "[ \$(drill -t -p $P1 @127.0.0.1 A big.zkswarm. | grep -c '^big.zkswarm.*IN.*A.*10.9') = 100 ]"

t_begin "a name that goes is gone everywhere within a second"
T_OUT=$(rec rm-and-wait /names/front/e2 web-2.zkswarm. "$P1" "$P2")
assert_ok "web-2's name record removed: NXDOMAIN on both in ${T_OUT:-?} ms" test "${T_OUT:-9999}" -le 1000
T_OUT=$(rec rm-and-wait /networks/front/endpoints/e1 web-1.front.zkswarm. "$P1" "$P2")
assert_ok "web-1's endpoint record removed: NXDOMAIN on both in ${T_OUT:-?} ms" test "${T_OUT:-9999}" -le 1000
assert_ok "n2: its alias went with it" answers "$P2" web.zkswarm. A "NXDOMAIN flags=AA n=0"

t_begin "ZooKeeper outage"
"$top/scripts/zk.sh" stop "$T/zk" >/dev/null
wait_until 10 "n1 notices" grep -q "connection lost" "$T/n1/log"
assert_ok "n1 still answers from the mirror" answers "$P1" db.back.zkswarm. A \
	"$(printf 'NOERROR flags=AA n=1\ndb.back.zkswarm. 1 A 10.8.0.4')"
assert_ok "n2 too" answers "$P2" db.zkswarm. A "$(printf 'NOERROR flags=AA n=1\ndb.zkswarm. 2 A 10.8.0.4')"

t_begin "hostile packets"
assert_ok "hostile UDP and TCP, a flood of idle connections; a good query answered after each" tool hostile "$P1"
echo "$T_OUT" | sed 's/^/    /'
assert_ok "n1 still runs" kill -0 "$(cat "$T/n1/pid")"

stop_node n1 TERM
stop_node n2 TERM
assert_contains "$(tail -1 "$T/n1/log")" "stopped" "n1 stopped cleanly"
check_sanitizer_logs
t_summary
