#!/usr/bin/env bash
# Integration: malformed and hostile requests over the daemon's real socket.
#
# One zkswarmd against a real ZooKeeper, both in a private network (and mount)
# namespace, so that nothing here touches the host's links or mounts and only
# loopback and the unix socket are used.  Every case must get a clear error
# (HTTP 4xx/5xx with {"Err": ...}; IpamDriver errors also carry "Error") or a
# closed connection, and the daemon must go on serving: truncated and huge
# bodies, deep nesting, wrong types, hostile names, bad CIDRs and addresses,
# unknown IDs, chunked encoding, HTTP/1.0, other methods, garbage, pipelining,
# slow clients and more connections than the daemon's limit.  Memory must stay
# bounded, nothing may be created by a refused request or outside DATA_DIR.
# Prints the figures (requests, answers by kind, latencies, RSS).  The raw HTTP clients are
# tests/integration/hostile.py.
#
# Env: ZKSWARMD (default build/zkswarmd), ZK_PORT (default 2197), PYTHON (python3),
# KEEP_LOGS (a directory to keep the logs in).
set -uo pipefail

if [ -z "${ZKS_IN_NET_NS:-}" ]; then
	exec unshare -m -n --propagation private env ZKS_IN_NET_NS=1 bash "$0" "$@"
fi
ip link set lo up
# The tunnel's underlay: a veth pair with an address (a namespace with nothing but lo also
# confuses the ZooKeeper client, whose address lookups use AI_ADDRCONFIG).
ip link add zkh0 type veth peer name zkh1 && ip addr add 192.0.2.1/24 dev zkh0 &&
	ip link set zkh0 up && ip link set zkh1 up || { echo "cannot make the underlay veth" >&2; exit 1; }
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/lib.sh"

ZKSWARMD=${ZKSWARMD:-$top/build/zkswarmd}
case "$ZKSWARMD" in /*) ;; *) ZKSWARMD=$PWD/$ZKSWARMD ;; esac
ZK_PORT=${ZK_PORT:-2197}
SESSION_MS=6000
PY=${PYTHON:-python3}
HOSTILE=$top/tests/integration/hostile.py
T=$(mktemp -d /tmp/zkswarm-hostile.XXXXXX)
on_exit "rm -rf '$T'"
# KEEP_LOGS=DIR keeps the daemon's and ZooKeeper's logs there.
[ -z "${KEEP_LOGS:-}" ] || on_exit "mkdir -p '$KEEP_LOGS' && cp '$T/n1/log' '$KEEP_LOGS/n1.log' && cp '$T/zk/zookeeper.log' '$KEEP_LOGS/'"
on_exit "$top/scripts/zk.sh stop '$T/zk' >/dev/null"
. "$top/tests/integration/daemon.sh"
on_exit "stop_node n1 KILL"
on_exit "umount -R '$T'/n1/mnt/* 2>/dev/null || true" # what a bug may have mounted (private namespace)
SOCK=$T/n1/s.sock
ESCAPE=/tmp/zkswarm-hostile-escape-$$ # must never appear
NET=7e57000000000000000000000000000000000000000000000000000000000001
EP=e0000000000000000000000000000000000000000000000000000000000000e1

# ---- requests, outcomes and figures -------------------------------------------------------------

N_SENT=0 N_OK=0 N_ERR=0 N_ERR_OTHER=0 N_CLOSED=0 N_TIMEOUT=0 N_BAD=0
R="" # the last result: hostile.py's JSON

# outcome RESULT: ok (200 + JSON object), err (4xx/5xx + {"Err": non-empty}), err-other
# (4xx/5xx without it: the HTTP library's own refusals), closed, timeout, bad (anything else,
# and hostile.py's own failure: never taken for a closed connection)
outcome() {
	jq -r '(try (.body | fromjson) catch null) as $b
		| if has("harness_error") then "bad"
		  elif .timeout then "timeout"
		  elif .status == null then "closed"
		  elif .status == 200 then (if ($b | type) == "object" then "ok" else "bad" end)
		  elif .status >= 400 and .status < 600 then
			(if ($b | type) == "object" and ($b.Err | type) == "string" and $b.Err != "" then "err"
			 else "err-other" end)
		  else "bad" end' <<<"$1"
}

tally() {
	N_SENT=$((N_SENT + 1))
	case "$1" in
	ok) N_OK=$((N_OK + 1)) ;;
	err) N_ERR=$((N_ERR + 1)) ;;
	err-other) N_ERR_OTHER=$((N_ERR_OTHER + 1)) ;;
	closed) N_CLOSED=$((N_CLOSED + 1)) ;;
	timeout) N_TIMEOUT=$((N_TIMEOUT + 1)) ;;
	*) N_BAD=$((N_BAD + 1)) ;;
	esac
}

# expect DESC ALLOWED: the last result's outcome is one of ALLOWED ("err", "ok|err", ...)
expect() {
	local desc=$1 allowed=$2 o why
	o=$(outcome "$R")
	tally "$o"
	why=$(jq -r '[(.status // "no answer" | tostring),
		((try (.body | fromjson | .Err) catch null) // (.body // "" | .[0:60]) | tostring | .[0:90])]
		| join(" ")' <<<"$R")
	if [[ "|$allowed|" == *"|$o|"* ]]; then
		ok "$desc ($o: $why)"
	else
		fail "$desc: got $o, wanted $allowed" "$R"
	fi
}

# hostile COMMAND ARGS...: hostile.py's answer (one JSON line) to one command, from the one
# `hostile.py serve` started at setup (a process per request cost 0.3 s each: 400 of them);
# fails if it gives no answer in 300 s (more than any command's own timeout)
hostile_start() {
	coproc HOSTILE_CO { exec "$PY" "$HOSTILE" serve; }
	on_exit "kill $HOSTILE_CO_PID 2>/dev/null || true"
}
hostile() {
	local line
	printf '%s\0' "$#" "$@" >&"${HOSTILE_CO[1]}" &&
		IFS= read -r -t 300 line <&"${HOSTILE_CO[0]}" && printf '%s\n' "$line"
}

# send MODE DESC ALLOWED ARGS...: one hostile.py client (req or raw) over the socket, then expect
send() {
	local mode=$1 desc=$2 allowed=$3
	shift 3
	R=$(hostile "$mode" "$SOCK" "$@") ||
		R='{"harness_error":"no answer from hostile.py"}'
	expect "$desc" "$allowed"
}

# hreq DESC ALLOWED METHOD PATH [hostile.py req options]
hreq() { send req "$@"; }

# post DESC ALLOWED ENDPOINT BODY [options]: a well-formed POST; IpamDriver errors must say it twice
post() {
	local desc=$1 allowed=$2 ep=$3 body=$4
	shift 4
	hreq "$desc" "$allowed" POST "/$ep" --body "$body" "$@"
	if [[ $ep == IpamDriver.* ]] && [ "$(outcome "$R")" = err ]; then
		[ "$(jq -r '.body | fromjson | (.Error == .Err)' <<<"$R")" = true ] ||
			fail "$desc: IpamDriver error without the same \"Error\"" "$R"
	fi
}

# raw DESC ALLOWED BYTES [--half-close] [--timeout S]: bytes with Python escapes, as is
raw() { send raw "$@"; }

pid() { cat "$T/n1/pid"; }
rss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/$(pid)/status"; }
hwm_kb() { awk '/^VmHWM:/ {print $2}' "/proc/$(pid)/status"; }
threads() { awk '/^Threads:/ {print $2}' "/proc/$(pid)/status"; }

# still_serving: the daemon is alive and answers a List at once
still_serving() {
	local r
	if ! kill -0 "$(pid)" 2>/dev/null; then
		fail "daemon is alive" "$(tail -30 "$T/n1/log")"
		return 1
	fi
	r=$(hostile req "$SOCK" POST /VolumeDriver.List --body '{}' --timeout 5)
	if [ "$(R=$r outcome "$r")" = ok ]; then
		ok "still serving (List in $(jq -r .elapsed <<<"$r") s)"
	else
		fail "still serving" "$r"
	fi
}

volumes() { curl -s --max-time 10 --unix-socket "$SOCK" -d '{}' http://z/VolumeDriver.List | jq -r '[.Volumes[].Name] | sort | join(",")'; }
long() { head -c "$1" /dev/zero | tr '\0' "${2:-a}"; }

t_begin "setup"
assert_ok "ZooKeeper starts (in a private network namespace)" \
	"$top/scripts/zk.sh" start "$T/zk" --port "$ZK_PORT" --tick 1000
assert_ok "node n1 starts" start_node n1 ADVERTISE_ADDR=192.0.2.1 DEFAULT_POOL=198.18.160.0/19 \
	DEFAULT_POOL_SIZE=24
wait_until 15 "n1 connected to ZooKeeper" grep -q "mirror: synced" "$T/n1/log"
hostile_start
assert_ok "a volume to work on" call n1 VolumeDriver.Create '{"Name":"keep","Opts":null}'
assert_ok "a pool" call n1 IpamDriver.RequestPool \
	'{"AddressSpace":"zkswarm-local","Pool":"198.18.99.0/24","SubPool":"","Options":{},"V6":false}'
assert_ok "its gateway" call n1 IpamDriver.RequestAddress \
	'{"PoolID":"198.18.99.0/24","Address":"","Options":{"RequestAddressType":"com.docker.network.gateway"}}'
assert_ok "a network on it" call n1 NetworkDriver.CreateNetwork \
	"{\"NetworkID\":\"$NET\",\"Options\":{\"com.docker.network.generic\":{}},\"IPv4Data\":[{\"AddressSpace\":\"zkswarm-local\",\"Gateway\":\"198.18.99.1/24\",\"Pool\":\"198.18.99.0/24\"}],\"IPv6Data\":[]}"
RSS0=$(rss_kb)
echo "  daemon RSS at start: $((RSS0 / 1024)) MB, $(threads) threads"

t_begin "truncated bodies"
hreq "Content-Length 1000, 15 bytes sent, then closed" "closed" POST /VolumeDriver.Create \
	--content-length 1000 --body '{"Name":"trunc1' --close-after-send
hreq "Content-Length 1000, 15 bytes sent, then half-closed: no answer but a close" "closed|err|err-other" \
	POST /VolumeDriver.Create --content-length 1000 --body '{"Name":"trunc2' --half-close --timeout 10
hreq "Content-Length 1000, 15 bytes, then silence: nothing is done with half a body" "timeout|closed|err|err-other" \
	POST /VolumeDriver.Create --content-length 1000 --body '{"Name":"trunc3' --timeout 2
hreq "a complete JSON value cut short by Content-Length" "err" POST /VolumeDriver.Create \
	--content-length 10 --body '{"Name":"trunc4"}'
raw "headers cut in the middle, then half-closed" "closed|err-other" \
	'POST /VolumeDriver.Create HTTP/1.1\r\nHost: z\r\nContent-Le' --half-close --timeout 5
raw "request line only, then half-closed" "closed|err-other" 'POST /VolumeDriver.List HTTP/1.1\r\n' --half-close --timeout 5
hreq "Content-Length -1" "closed|err-other" POST /VolumeDriver.Create --content-length -1 --body '{}' --timeout 5
hreq "Content-Length 2^64+1" "closed|err-other|err" POST /VolumeDriver.Create \
	--content-length 18446744073709551617 --body '{}' --timeout 5
hreq "Content-Length not a number" "closed|err-other" POST /VolumeDriver.Create --content-length 12abc --body '{}' --timeout 5
assert_eq "$(volumes)" keep "no truncated request created anything"
still_serving

t_begin "huge bodies"
HWM0=$(hwm_kb) RSS1=$(rss_kb)
hreq "10 MB body is refused" "err" POST /VolumeDriver.Create --body-repeat a 10485760 --timeout 60
assert_contains "$(jq -r .body <<<"$R")" "too large" "the error says the body is too large"
hreq "10 MB JSON string as a name is refused" "err" POST /VolumeDriver.Create \
	--body-repeat '\x20' 10485760 --timeout 60
hreq "10 MB chunked is refused" "err" POST /IpamDriver.RequestPool --chunked --body-repeat b 10485760 --timeout 60
hreq "100 MB announced, 1 MB sent, then closed" "closed" POST /VolumeDriver.Create \
	--content-length 104857600 --body-repeat a 1048576 --close-after-send
hreq "1 MB of headers" "closed|err-other" POST /VolumeDriver.List --big-header 1048576 \
	--body '{}' --timeout 20
hreq "a 100 KB URL" "closed|err-other|err" POST "/VolumeDriver.$(long 102400 L)" --body '{}' --timeout 20
RSS2=$(rss_kb) HWM2=$(hwm_kb)
echo "  RSS before ${RSS1} kB, after ${RSS2} kB (+$(((RSS2 - RSS1) / 1024)) MB); peak ${HWM0} kB -> ${HWM2} kB"
assert_ok "RSS grew by less than 50 MB with 30 MB of bodies sent" test $((RSS2 - RSS1)) -lt 51200
assert_ok "peak RSS stayed under 100 MB above the start" test $((HWM2 - RSS0)) -lt 102400
assert_eq "$(volumes)" keep "nothing created by huge bodies"
still_serving

t_begin "deep nesting and odd JSON"
post "100,000 [" "err" VolumeDriver.Create "$(long 100000 '[')"
post "100,000 { \"a\": (nested objects)" "err" VolumeDriver.Create "$(printf '{"a":%.0s' $(seq 20000))"
post "nesting inside a field" "err" VolumeDriver.Create "{\"Name\":$(long 5000 '[')"
post "1,000 nested arrays, closed (valid JSON, not an object)" "err" VolumeDriver.Create \
	"$(long 1000 '[')$(long 1000 ']')"
post "a top-level array" "err" VolumeDriver.Create '[{"Name":"arr"}]'
post "a top-level string" "err" VolumeDriver.Create '"Name"'
post "a top-level number" "err" IpamDriver.RequestPool '42'
post "null" "err" VolumeDriver.Create 'null'
post "two JSON values" "err" VolumeDriver.Create '{"Name":"two1"}{"Name":"two2"}'
post "trailing garbage" "err" VolumeDriver.Create '{"Name":"tg"} x'
post "unterminated string" "err" VolumeDriver.Create '{"Name":"unterminated'
post "invalid escape" "err" VolumeDriver.Create '{"Name":"a\q"}'
post "lone surrogate escape" "err|ok" VolumeDriver.Get '{"Name":"\ud800"}'
post "5,000 unknown keys are ignored" "ok" VolumeDriver.Get "{$(for i in $(seq 5000); do printf '"k%d":1,' "$i"; done)\"Name\":\"keep\"}"
post "65 options (over the 64 cap)" "err" VolumeDriver.Create \
	"{\"Name\":\"manyopts\",\"Opts\":{$(for i in $(seq 65); do printf '"o%d":"v",' "$i"; done)\"mode\":\"0755\"}}"
post "duplicate keys" "err|ok" VolumeDriver.Get '{"Name":"keep","Name":"../x"}'
post "number 1e999" "err" VolumeDriver.Create '{"Name":1e999}'
hreq "body with a NUL byte" "err" POST /VolumeDriver.Create --body-esc '{"Name":"nul\x00byte"}'
hreq "body not UTF-8" "err" POST /VolumeDriver.Create --body-esc '{"Name":"\xff\xfe"}'
assert_eq "$(volumes)" keep "nothing created by odd JSON"
still_serving

t_begin "wrong types"
for v in 5 true null '[]' '{}' '["db"]' '{"a":"b"}' 1.5 '""'; do
	post "VolumeDriver.Create Name=$v" "err" VolumeDriver.Create "{\"Name\":$v}"
done
for v in '"x"' 5 true '[]' '["a=b"]' '{"mode":5}' '{"mode":null}' '{"mode":{}}' '{"mode":["0755"]}'; do
	post "VolumeDriver.Create Opts=$v" "err" VolumeDriver.Create "{\"Name\":\"wt\",\"Opts\":$v}"
done
for v in 5 true '[]' '{}' '""'; do
	post "VolumeDriver.Mount ID=$v" "err" VolumeDriver.Mount "{\"Name\":\"keep\",\"ID\":$v}"
	post "VolumeDriver.Unmount ID=$v" "err" VolumeDriver.Unmount "{\"Name\":\"keep\",\"ID\":$v}"
	post "VolumeDriver.Get Name=$v" "err" VolumeDriver.Get "{\"Name\":$v}"
done
for f in AddressSpace Pool SubPool; do
	for v in 5 true '[]' '{}'; do
		post "IpamDriver.RequestPool $f=$v" "err" IpamDriver.RequestPool "{\"$f\":$v}"
	done
done
for v in '"x"' 5 '[]' '{"com.docker.x":5}'; do
	post "IpamDriver.RequestPool Options=$v" "err" IpamDriver.RequestPool "{\"Pool\":\"198.18.98.0/24\",\"Options\":$v}"
done
for v in '"true"' 1 '[]'; do
	post "IpamDriver.RequestPool V6=$v" "err" IpamDriver.RequestPool "{\"Pool\":\"198.18.98.0/24\",\"V6\":$v}"
done
for v in 5 true '[]' '{}' null '""'; do
	post "IpamDriver.RequestAddress PoolID=$v" "err" IpamDriver.RequestAddress "{\"PoolID\":$v}"
	post "IpamDriver.ReleaseAddress Address=$v" "err" IpamDriver.ReleaseAddress \
		"{\"PoolID\":\"198.18.99.0/24\",\"Address\":$v}"
done
for v in 5 '[]' '{}'; do
	post "IpamDriver.RequestAddress Address=$v" "err" IpamDriver.RequestAddress \
		"{\"PoolID\":\"198.18.99.0/24\",\"Address\":$v}"
done
for v in 5 true '[]' '{}' '""'; do
	post "NetworkDriver.CreateNetwork NetworkID=$v" "err" NetworkDriver.CreateNetwork \
		"{\"NetworkID\":$v,\"IPv4Data\":[{\"Pool\":\"198.18.99.0/24\"}]}"
done
for v in null '{}' '"198.18.99.0/24"' '[]' '[5]' '[{"Pool":5}]' '[{"Pool":"198.18.99.0/24"},{"Pool":"198.18.98.0/24"}]' \
	'[{"Pool":"198.18.99.0/24","Gateway":5}]' '[[]]'; do
	post "NetworkDriver.CreateNetwork IPv4Data=$v" "err" NetworkDriver.CreateNetwork \
		"{\"NetworkID\":\"badv4\",\"IPv4Data\":$v}"
done
for v in '"x"' 5 '[{"Pool":"fd00::/64"}]'; do
	post "NetworkDriver.CreateNetwork IPv6Data=$v" "err" NetworkDriver.CreateNetwork \
		"{\"NetworkID\":\"badv6\",\"IPv4Data\":[{\"Pool\":\"198.18.99.0/24\"}],\"IPv6Data\":$v}"
done
for v in '"x"' 5 '[]' '{"com.docker.network.generic":5}' '{"com.docker.network.generic":{"mtu":1400}}'; do
	post "NetworkDriver.CreateNetwork Options=$v" "err" NetworkDriver.CreateNetwork \
		"{\"NetworkID\":\"badopt\",\"Options\":$v,\"IPv4Data\":[{\"Pool\":\"198.18.99.0/24\"}]}"
done
for v in '"x"' 5 '[]' '{"Address":5}' '{"MacAddress":[]}' '{"AddressIPv6":true}'; do
	post "NetworkDriver.CreateEndpoint Interface=$v" "err" NetworkDriver.CreateEndpoint \
		"{\"NetworkID\":\"$NET\",\"EndpointID\":\"badif\",\"Interface\":$v}"
done
for ep in Join Leave DeleteEndpoint EndpointOperInfo; do
	post "NetworkDriver.$ep EndpointID=5" "err" "NetworkDriver.$ep" "{\"NetworkID\":\"$NET\",\"EndpointID\":5}"
	post "NetworkDriver.$ep NetworkID=[]" "err" "NetworkDriver.$ep" "{\"NetworkID\":[],\"EndpointID\":\"$EP\"}"
done
post "NetworkDriver.AllocateNetwork Options={\"k\":1}" "err" NetworkDriver.AllocateNetwork '{"NetworkID":"a","Options":{"k":1}}'
still_serving

t_begin "hostile names"
names=('..' '.' '../keep' "../../../..${ESCAPE}" 'a/b' '/etc' 'a/../../b'
	'a\u0001b' 'tab\there' 'new\nline' 'cr\rhere' 'del\u007f' 'esc\u001b[31m' ' lead' 'trail ' '-dash'
	'*' '$(id)' '`id`' 'a;b' 'ü' '\ud83d\ude00' "$(long 10240)" "$(long 256 b)" '')
for nm in "${names[@]}"; do
	short=$(printf '%s' "$nm" | cut -c1-40)
	[ ${#nm} -le 40 ] || short="$short... (${#nm} bytes)"
	post "Create name \"$short\"" "err" VolumeDriver.Create "{\"Name\":\"$nm\",\"Opts\":null}"
	post "Mount name \"$short\"" "err" VolumeDriver.Mount "{\"Name\":\"$nm\",\"ID\":\"$EP\"}"
done
post "a name of 255 bytes is fine" "ok" VolumeDriver.Create "{\"Name\":\"$(long 255 c)\"}"
post "and removable" "ok" VolumeDriver.Remove "{\"Name\":\"$(long 255 c)\"}"
post "mount ID with /" "err" VolumeDriver.Mount '{"Name":"keep","ID":"../../x"}'
post "mount ID of 10 KB" "err" VolumeDriver.Mount "{\"Name\":\"keep\",\"ID\":\"$(long 10240)\"}"
for id in '..' 'a/b' "$(long 10240)" 'a b' 'a\nb' 'ü'; do
	short=$(printf '%s' "$id" | cut -c1-20)
	post "CreateNetwork id \"$short\"" "err" NetworkDriver.CreateNetwork \
		"{\"NetworkID\":\"$id\",\"IPv4Data\":[{\"Pool\":\"198.18.99.0/24\"}]}"
	post "CreateEndpoint id \"$short\"" "err" NetworkDriver.CreateEndpoint \
		"{\"NetworkID\":\"$NET\",\"EndpointID\":\"$id\",\"Interface\":{\"Address\":\"198.18.99.9/24\"}}"
	post "Join endpoint \"$short\"" "err" NetworkDriver.Join "{\"NetworkID\":\"$NET\",\"EndpointID\":\"$id\"}"
done
for nm in '../../x' 'a/b' "$(long 10240)" 'x y'; do
	short=$(printf '%s' "$nm" | cut -c1-20)
	post "cluster-name \"$short\"" "err" NetworkDriver.CreateNetwork \
		"{\"NetworkID\":\"cn1\",\"Options\":{\"com.docker.network.generic\":{\"cluster-name\":\"$nm\"}},\"IPv4Data\":[{\"Pool\":\"198.18.99.0/24\"}]}"
done
for o in '"mode":"99999"' '"mode":"-1"' '"uid":"-1"' '"uid":"4294967296"' '"gid":"1e3"' '"access":"all"' \
	'"readonly":"maybe"' '"on-remove":"../x"'; do
	post "option {$o}" "err" VolumeDriver.Create "{\"Name\":\"opt\",\"Opts\":{$o}}"
done
for o in '"vni":"0"' '"vni":"16777216"' '"vni":"-5"' '"vni":"abc"' '"mtu":"10"' '"mtu":"70000"' '"mtu":"1e3"' '"bogus":"1"'; do
	post "network option {$o}" "err" NetworkDriver.CreateNetwork \
		"{\"NetworkID\":\"opt1\",\"Options\":{\"com.docker.network.generic\":{$o}},\"IPv4Data\":[{\"Pool\":\"198.18.99.0/24\"}]}"
done
assert_eq "$(volumes)" keep "no hostile name was created"
assert_eq "$(ls -A "$T/data" | tr '\n' ',')" "keep," "DATA_DIR holds only what was created"
assert_fails "nothing was made outside DATA_DIR ($ESCAPE)" test -e "$ESCAPE"
assert_eq "$(ls -A "$T/n1/mnt" | tr '\n' ',')" "" "nothing mounted under MOUNT_ROOT"
still_serving

t_begin "CIDRs"
for c in 0.0.0.0/0 300.1.1.1/24 198.18.0.0/33 1.2.3.4/24 198.18.0.0/-1 198.18.0.0 198.18.0.0/ /24 \
	198.18.0.0/24/24 ' 198.18.0.0/24' '198.18.0.0/24 ' 0x0a.0.0.0/8 010.0.0.0/8 198.018.0.0/16 \
	1.2.3/24 1.2.3.4.5/24 '198.18.0.0/2 4' 198.18.0.0/024 ::/0 fd00::/64 \
	"$(long 10240 1)/24" 198.18.99.0/25 198.18.0.0/16; do
	post "RequestPool \"$(printf '%s' "$c" | cut -c1-30)\"" "err" IpamDriver.RequestPool \
		"{\"AddressSpace\":\"zkswarm-local\",\"Pool\":\"$c\",\"SubPool\":\"\",\"Options\":{},\"V6\":false}"
done
post "SubPool outside the pool" "err" IpamDriver.RequestPool '{"Pool":"198.18.97.0/24","SubPool":"198.18.96.0/25"}'
post "SubPool larger than the pool" "err" IpamDriver.RequestPool '{"Pool":"198.18.97.0/25","SubPool":"198.18.97.0/24"}'
post "SubPool without a Pool" "err" IpamDriver.RequestPool '{"Pool":"","SubPool":"198.18.97.0/25"}'
post "unknown address space" "err" IpamDriver.RequestPool '{"AddressSpace":"../x","Pool":"198.18.97.0/24"}'
post "IPAM option that is not ours" "err" IpamDriver.RequestPool '{"Pool":"198.18.97.0/24","Options":{"evil":"1"}}'
post "CreateNetwork on a pool never requested" "err" NetworkDriver.CreateNetwork \
	'{"NetworkID":"np1","IPv4Data":[{"Pool":"198.18.120.0/24"}]}'
post "CreateNetwork on 0.0.0.0/0" "err" NetworkDriver.CreateNetwork '{"NetworkID":"np2","IPv4Data":[{"Pool":"0.0.0.0/0"}]}'
still_serving

t_begin "addresses"
for a in 10.0.0.5 198.18.98.5 198.18.99.0 198.18.99.255 198.18.99.256 198.18.99 198.18.99.5/24 \
	' 198.18.99.5' 0.0.0.0 255.255.255.255 ::1 "$(long 1000 9)"; do
	post "RequestAddress \"$(printf '%s' "$a" | cut -c1-30)\"" "err" IpamDriver.RequestAddress \
		"{\"PoolID\":\"198.18.99.0/24\",\"Address\":\"$a\",\"Options\":null}"
done
for p in 198.18.123.0/24 198.18.99.0/25 '198.18.99.0/24@198.18.98.0/25' '198.18.99.0/24@' x '' "$(long 10240 p)" \
	'198.18.99.0/24@198.18.99.0/24@198.18.99.0/24' '../../ipam'; do
	post "RequestAddress from pool \"$(printf '%s' "$p" | cut -c1-30)\"" "err" IpamDriver.RequestAddress \
		"{\"PoolID\":\"$p\",\"Address\":\"\"}"
done
post "the gateway asked for again by value is refused or shared" "err|ok" IpamDriver.RequestAddress \
	'{"PoolID":"198.18.99.0/24","Address":"198.18.99.1","Options":null}'
post "an address" "ok" IpamDriver.RequestAddress '{"PoolID":"198.18.99.0/24","Address":"198.18.99.20","Options":null}'
post "the same address again" "err" IpamDriver.RequestAddress \
	'{"PoolID":"198.18.99.0/24","Address":"198.18.99.20","Options":null}'
post "CreateEndpoint with an address outside the subnet" "err" NetworkDriver.CreateEndpoint \
	"{\"NetworkID\":\"$NET\",\"EndpointID\":\"$EP\",\"Interface\":{\"Address\":\"10.1.1.1/24\",\"AddressIPv6\":\"\",\"MacAddress\":\"\"}}"
for m in 'zz:zz:zz:zz:zz:zz' '02:42:c6' '02:42:c6:12:63:03:04' '02:42:c6:12:63:03x' '02-42-c6-12-63-03'; do
	post "CreateEndpoint with MAC $m" "err" NetworkDriver.CreateEndpoint \
		"{\"NetworkID\":\"$NET\",\"EndpointID\":\"$EP\",\"Interface\":{\"Address\":\"198.18.99.20/24\",\"AddressIPv6\":\"\",\"MacAddress\":\"$m\"}}"
done
post "CreateEndpoint with an IPv6 address" "err" NetworkDriver.CreateEndpoint \
	"{\"NetworkID\":\"$NET\",\"EndpointID\":\"$EP\",\"Interface\":{\"Address\":\"198.18.99.20/24\",\"AddressIPv6\":\"fd00::2/64\"}}"
post "release an address never given" "ok|err" IpamDriver.ReleaseAddress '{"PoolID":"198.18.99.0/24","Address":"198.18.99.77"}'
post "release an address outside the pool" "ok|err" IpamDriver.ReleaseAddress '{"PoolID":"198.18.99.0/24","Address":"10.9.9.9"}'
post "release a pool never requested" "ok|err" IpamDriver.ReleasePool '{"PoolID":"198.18.124.0/24"}'
post "release a pool ID that is garbage" "err" IpamDriver.ReleasePool '{"PoolID":"../../x"}'
post "the address is released" "ok" IpamDriver.ReleaseAddress '{"PoolID":"198.18.99.0/24","Address":"198.18.99.20"}'
still_serving

t_begin "unknown IDs"
U=0000000000000000000000000000000000000000000000000000000000000bad
post "CreateEndpoint on an unknown network" "err" NetworkDriver.CreateEndpoint \
	"{\"NetworkID\":\"$U\",\"EndpointID\":\"$EP\",\"Interface\":{\"Address\":\"198.18.99.21/24\"}}"
post "Join an unknown endpoint" "err" NetworkDriver.Join "{\"NetworkID\":\"$NET\",\"EndpointID\":\"$U\"}"
post "Join on an unknown network" "err" NetworkDriver.Join "{\"NetworkID\":\"$U\",\"EndpointID\":\"$U\"}"
post "EndpointOperInfo of an unknown endpoint" "err" NetworkDriver.EndpointOperInfo "{\"NetworkID\":\"$NET\",\"EndpointID\":\"$U\"}"
post "Leave an unknown endpoint (idempotent)" "ok|err" NetworkDriver.Leave "{\"NetworkID\":\"$NET\",\"EndpointID\":\"$U\"}"
post "DeleteEndpoint of an unknown endpoint (idempotent)" "ok|err" NetworkDriver.DeleteEndpoint \
	"{\"NetworkID\":\"$U\",\"EndpointID\":\"$U\"}"
post "DeleteNetwork of an unknown network (idempotent)" "ok|err" NetworkDriver.DeleteNetwork "{\"NetworkID\":\"$U\"}"
post "Mount an unknown volume" "err" VolumeDriver.Mount "{\"Name\":\"nosuch\",\"ID\":\"$EP\"}"
post "Unmount an unknown volume" "ok|err" VolumeDriver.Unmount "{\"Name\":\"nosuch\",\"ID\":\"$EP\"}"
post "Unmount an ID never mounted" "ok|err" VolumeDriver.Unmount "{\"Name\":\"keep\",\"ID\":\"$U\"}"
post "Get an unknown volume" "err" VolumeDriver.Get '{"Name":"nosuch"}'
post "Path of an unknown volume" "err" VolumeDriver.Path '{"Name":"nosuch"}'
post "Remove an unknown volume (idempotent)" "ok|err" VolumeDriver.Remove '{"Name":"nosuch"}'
still_serving

t_begin "HTTP itself"
hreq "chunked body is read" "ok" POST /VolumeDriver.Get --chunked --body '{"Name":"keep"}'
hreq "chunked and Content-Length together" "ok|err|err-other|closed" POST /VolumeDriver.Get --chunked \
	--header 'Content-Length: 3' --body '{"Name":"keep"}' --timeout 5
raw "bad chunk size" "closed|err-other|err" \
	'POST /VolumeDriver.Get HTTP/1.1\r\nHost: z\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n' --timeout 5
raw "chunk size over 2^64" "closed|err-other|err" \
	'POST /VolumeDriver.Get HTTP/1.1\r\nHost: z\r\nTransfer-Encoding: chunked\r\n\r\nfffffffffffffffffff\r\n{}\r\n0\r\n\r\n' --timeout 5
hreq "HTTP/1.0" "ok" POST /VolumeDriver.List --http10 --body '{}'
raw "HTTP/0.9 style" "closed|err-other" 'GET /VolumeDriver.List\r\n\r\n' --timeout 5
raw "HTTP/2 preface" "closed|err-other" 'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n' --timeout 5
raw "HTTP/1.1 without Host" "ok|err-other|closed" 'POST /VolumeDriver.List HTTP/1.1\r\nContent-Length: 2\r\n\r\n{}' --timeout 5
hreq "GET of an endpoint" "err" GET /VolumeDriver.List
hreq "PUT of an endpoint" "err" PUT /VolumeDriver.Create --body '{"Name":"put1"}'
hreq "DELETE of an endpoint" "err" DELETE /VolumeDriver.Remove --body '{"Name":"keep"}'
hreq "HEAD of an endpoint" "err|err-other|closed" HEAD /VolumeDriver.List --timeout 3
hreq "OPTIONS *" "err|err-other" OPTIONS '*'
hreq "GET /" "err" GET /
hreq "unknown endpoint" "err" POST /VolumeDriver.Frobnicate --body '{}'
hreq "path with .." "err" POST /VolumeDriver.List/../../etc --body '{}'
hreq "path with a query" "err|ok" POST '/VolumeDriver.List?x=1' --body '{}'
hreq "path with %00 (decoded, so the path ends there)" "err|ok" POST '/VolumeDriver.List%00' --body '{}'
hreq "header with a control byte" "ok|err|err-other|closed" POST /VolumeDriver.List --header $'X-A: b\x01c' --body '{}' --timeout 5
hreq "Expect: 100-continue" "ok" POST /VolumeDriver.List --header 'Expect: 100-continue' --body '{}'
raw "garbage that is not HTTP" "closed|err-other" '\x00\x01\x02\x03 hello \xff\xfe\r\n\r\n' --half-close --timeout 5
raw "a request line that starts with NUL (libmicrohttpd waits for more; see the report)" \
	"closed|err-other|timeout" '\x00 GET / HTTP/1.1\r\n\r\n' --timeout 3
raw "an empty line then garbage" "closed|err-other" '\r\n\r\n\r\nzzz\r\n\r\n' --timeout 5
raw "random bytes, no line end, half-closed" "closed|err-other" "$(head -c 3000 /dev/urandom | base64 -w0)" --half-close --timeout 5
R=$("$PY" "$HOSTILE" pipeline "$SOCK" 100)
echo "  pipeline: $R"
assert_eq "$(jq -r '"\(.answered) \(.statuses)"' <<<"$R")" "100 [200]" "100 pipelined requests on one connection, all answered"
N_SENT=$((N_SENT + 100)) N_OK=$((N_OK + $(jq -r .answered <<<"$R")))
still_serving

t_begin "slow clients"
R=$("$PY" "$HOSTILE" slow "$SOCK" 50 10)
echo "  slow clients: $R"
assert_eq "$(jq -r .slow_alive <<<"$R")" 50 "50 clients sending a byte a second are all still connected"
assert_eq "$(jq -r '.normal_ok == .normal_sent and .normal_sent >= 10' <<<"$R")" true \
	"every normal request meanwhile answered ($(jq -r '"\(.normal_ok)/\(.normal_sent)"' <<<"$R"))"
assert_eq "$(jq -r '.normal_max_s < 2' <<<"$R")" true "within 2 s (slowest $(jq -r .normal_max_s <<<"$R") s)"
N_SENT=$((N_SENT + $(jq -r .normal_sent <<<"$R"))) N_OK=$((N_OK + $(jq -r .normal_ok <<<"$R")))
still_serving

t_begin "more connections than the limit"
TH0=$(threads)
"$PY" "$HOSTILE" idle "$SOCK" 300 8 >"$T/idle.json" &
idle_pid=$!
sleep 5
TH1=$(threads)
assert_ok "the daemon is alive with 300 connections open" kill -0 "$(pid)"
wait "$idle_pid"
R=$(cat "$T/idle.json")
echo "  300 idle connections: $R; daemon threads before $TH0, while held $TH1"
assert_eq "$(jq -r .opened <<<"$R")" 300 "300 connections opened (those over the limit wait in the backlog)"
assert_ok "the daemon took at most its limit of 256 (threads while held: $TH1)" test "$TH1" -le $((TH0 + 256 + 4))
echo "  a request while the limit is reached: $(jq -r 'if .probe_during_ok then "answered" else "waited (not accepted)" end' <<<"$R") in $(jq -r .probe_during_s <<<"$R") s"
assert_eq "$(jq -r .probe_after_ok <<<"$R")" true \
	"serving again once they close ($(jq -r .probe_after_s <<<"$R") s)"
wait_until 10 "the daemon's threads go back down (had $TH0)" test "$(threads)" -le $((TH0 + 8))
N_SENT=$((N_SENT + 2))
if [ "$(jq -r .probe_during_ok <<<"$R")" = true ]; then N_OK=$((N_OK + 1)); else N_TIMEOUT=$((N_TIMEOUT + 1)); fi
if [ "$(jq -r .probe_after_ok <<<"$R")" = true ]; then N_OK=$((N_OK + 1)); else N_BAD=$((N_BAD + 1)); fi
still_serving

# ---- what cJSON and sscanf would let through ---------------------------------------------------

t_begin "NUL escapes"
# cJSON decodes \u0000 into a NUL byte inside valuestring, which would cut every string field
# at it ("a\u0000b" taken as "a"): zks_http_dispatch refuses the escape as it does raw NULs.
post "Create name \"a\\u0000b\"" "err" VolumeDriver.Create '{"Name":"a\u0000b","Opts":null}'
post "Mount name \"keep\\u0000/../../x\"" "err" VolumeDriver.Mount "{\"Name\":\"keep\\u0000/../../x\",\"ID\":\"$EP\"}"
post "Get name \"keep\\u0000x\"" "err" VolumeDriver.Get '{"Name":"keep\u0000x"}'
post "mount ID \"abc\\u0000def\"" "err" VolumeDriver.Mount '{"Name":"keep","ID":"abc\u0000def"}'
post "option mode \"0755\\u0000x\"" "err" VolumeDriver.Create '{"Name":"optnul","Opts":{"mode":"0755\u0000x"}}'
post "pool \"198.18.97.0/24\\u0000\"" "err" IpamDriver.RequestPool '{"Pool":"198.18.97.0/24\u0000"}'
post "address \"198.18.99.5\\u0000\"" "err" IpamDriver.RequestAddress \
	'{"PoolID":"198.18.99.0/24","Address":"198.18.99.5\u0000","Options":null}'
post "network ID \"a\\u0000b\"" "err" NetworkDriver.CreateNetwork \
	'{"NetworkID":"a\u0000b","IPv4Data":[{"Pool":"198.18.99.0/24"}]}'
post "cluster-name \"a\\u0000b\"" "err" NetworkDriver.CreateNetwork \
	'{"NetworkID":"cn2","Options":{"com.docker.network.generic":{"cluster-name":"a\u0000b"}},"IPv4Data":[{"Pool":"198.18.99.0/24"}]}'
assert_eq "$(volumes)" keep "nothing was created by them"
still_serving

t_begin "gateways"
# The Gateway of IPv4Data goes into the network record: it must be an address of the subnet,
# not its network or broadcast address, written with the subnet's prefix length.
for g in 198.18.98.1/24 300.0.0.1/24 198.18.99.1 198.18.99.0/24 198.18.99.255/24 x '\u001b[2J'; do
	post "CreateNetwork with gateway $g" "err" NetworkDriver.CreateNetwork \
		"{\"NetworkID\":\"gw1\",\"IPv4Data\":[{\"Pool\":\"198.18.99.0/24\",\"Gateway\":\"$g\"}]}"
	call n1 NetworkDriver.DeleteNetwork '{"NetworkID":"gw1"}' >/dev/null 2>&1
done
# ...and what Docker sends is taken (so the refusals above are the gateways' doing).
post "CreateNetwork with gateway 198.18.99.254/24" "ok" NetworkDriver.CreateNetwork \
	'{"NetworkID":"gw1","IPv4Data":[{"Pool":"198.18.99.0/24","Gateway":"198.18.99.254/24"}]}'
assert_ok "and DeleteNetwork" call n1 NetworkDriver.DeleteNetwork '{"NetworkID":"gw1"}'
still_serving

t_begin "MAC addresses"
# An endpoint's MAC reaches every node's FDB and neighbour entries and the veth: multicast,
# broadcast and zero MACs are refused, and so is what sscanf's %2x would take ("-1", " 2").
i=0
for m in '01:00:5e:00:00:01' 'ff:ff:ff:ff:ff:ff' '00:00:00:00:00:00' '-1:-1:-1:-1:-1:-1' ' 2:42:c6:12:63:03'; do
	i=$((i + 1))
	ep=$(printf 'e%063d' "$i")
	post "CreateEndpoint with MAC \"$m\"" "err" NetworkDriver.CreateEndpoint \
		"{\"NetworkID\":\"$NET\",\"EndpointID\":\"$ep\",\"Interface\":{\"Address\":\"198.18.99.$((40 + i))/24\",\"AddressIPv6\":\"\",\"MacAddress\":\"$m\"}}"
	call n1 NetworkDriver.DeleteEndpoint "{\"NetworkID\":\"$NET\",\"EndpointID\":\"$ep\"}" >/dev/null 2>&1
done
post "CreateEndpoint with MAC \"02:42:C6:12:63:2F\"" "ok" NetworkDriver.CreateEndpoint \
	"{\"NetworkID\":\"$NET\",\"EndpointID\":\"$EP\",\"Interface\":{\"Address\":\"198.18.99.47/24\",\"AddressIPv6\":\"\",\"MacAddress\":\"02:42:C6:12:63:2F\"}}"
post "the same again (a replay)" "ok" NetworkDriver.CreateEndpoint \
	"{\"NetworkID\":\"$NET\",\"EndpointID\":\"$EP\",\"Interface\":{\"Address\":\"198.18.99.47/24\",\"AddressIPv6\":\"\",\"MacAddress\":\"02:42:c6:12:63:2f\"}}"
post "the same ID with another MAC" "err" NetworkDriver.CreateEndpoint \
	"{\"NetworkID\":\"$NET\",\"EndpointID\":\"$EP\",\"Interface\":{\"Address\":\"198.18.99.47/24\",\"AddressIPv6\":\"\",\"MacAddress\":\"02:42:c6:12:63:30\"}}"
assert_ok "and DeleteEndpoint" call n1 NetworkDriver.DeleteEndpoint "{\"NetworkID\":\"$NET\",\"EndpointID\":\"$EP\"}"
still_serving

t_begin "end"
RSS3=$(rss_kb)
echo "  daemon RSS: start $((RSS0 / 1024)) MB, end $((RSS3 / 1024)) MB, peak $(($(hwm_kb) / 1024)) MB; $(threads) threads"
# AddressSanitizer keeps per-thread state and a quarantine: the 256 connection threads above
# leave ~90 MB with it, ~2 MB without.
END_MB=100
if grep -q -a __asan_init "$ZKSWARMD"; then END_MB=200; fi
assert_ok "RSS at the end within $END_MB MB of the start" test $((RSS3 - RSS0)) -lt $((END_MB * 1024))
assert_eq "$(volumes)" keep "only the volume made on purpose exists"
assert_ok "an address for an endpoint" call n1 IpamDriver.RequestAddress \
	'{"PoolID":"198.18.99.0/24","Address":"198.18.99.30","Options":null}'
assert_ok "an endpoint on the network made at the start" call n1 NetworkDriver.CreateEndpoint \
	"{\"NetworkID\":\"$NET\",\"EndpointID\":\"$EP\",\"Interface\":{\"Address\":\"198.18.99.30/24\",\"AddressIPv6\":\"\",\"MacAddress\":\"\"}}"
assert_ok "its record reads back" call n1 NetworkDriver.EndpointOperInfo "{\"NetworkID\":\"$NET\",\"EndpointID\":\"$EP\"}"
assert_eq "$(field .Value.address)" 198.18.99.30/24 "with its address"
assert_ok "and it goes" call n1 NetworkDriver.DeleteEndpoint "{\"NetworkID\":\"$NET\",\"EndpointID\":\"$EP\"}"
echo "  figures: $N_SENT requests: $N_OK answered 200, $N_ERR refused with {\"Err\"}, $N_ERR_OTHER refused by the HTTP layer, $N_CLOSED closed without an answer, $N_TIMEOUT left unanswered (by design), $N_BAD malformed answers"
assert_eq "$N_BAD" 0 "no malformed answer"
stop_node n1 TERM
assert_contains "$(tail -1 "$T/n1/log")" "stopped" "n1 stops cleanly"
check_sanitizer_logs
t_summary
