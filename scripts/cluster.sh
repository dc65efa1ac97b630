#!/usr/bin/env bash
# cluster.sh - a real multi-node Docker Swarm on this one machine, with the
# zkswarm plugin on every node and a 3-server ZooKeeper ensemble (for tests).
#
# Usage:
#   scripts/cluster.sh up DIR [--nodes N] [--no-swarm] [--live-restore] [--bundle B] [--set K=V]...
#                       N nodes (default 3, at most 9); --no-swarm: standalone
#                       engines; --live-restore: engines keep containers running
#                       over their own restart; --bundle: a plugin bundle
#                       (default: `make plugin`); --set: extra `docker plugin
#                       set` settings for every node, set after (so over) the defaults
#   scripts/cluster.sh down DIR [--purge]
#                       kill everything `up` started (also after a failed up);
#                       DIR keeps the logs unless --purge
#   scripts/cluster.sh status DIR
#   scripts/cluster.sh kill-node DIR K     power cut of node K: SIGKILL its engine,
#                       containerd, shims, containers and plugin, all at once
#   scripts/cluster.sh start-node DIR K    start node K's engine again (same data)
#   scripts/cluster.sh restart-engine DIR K  SIGTERM node K's engine and start it
#                       again (with --live-restore its containers stay up)
#   scripts/cluster.sh pids DIR K          pids of node K's processes, one a line
#   scripts/cluster.sh plugin-pid DIR K    pid of node K's zkswarmd
#   scripts/cluster.sh docker DIR K ARGS...  the docker CLI against node K
#
#   scripts/cluster.sh zk-hosts DIR        the ensemble's client addresses
#
# The layout (every address inside 198.18.0.0/15). A cluster takes the first
# free slot S (0 to 7) and leaves the others alone: clusters of other runs,
# users, or one left behind by a killed run (its own `down DIR` removes it)
# keep running beside it. The host names of the slot are in DIR/slot.
#   - underlay: bridge zkswS 198.18.S.1/24 on the host; node K is network
#     namespace zkswS-nodeK, with eth0 198.18.S.1K (a veth zkswS-hK on the
#     bridge), no default route;
#   - ZooKeeper: 3 servers on 198.18.S.1, client ports 2301-2303 (DIR/zk);
#   - node K: its own mount and UTS namespace (hostname zksw-nodeK) with its
#     own /var/lib/docker, /run/docker, /etc/docker (DIR/nodeK/...), and
#     dockerd -H unix://DIR/nodeK.sock --bridge=none --iptables=false
#     --ip-masq=false, local networks from 198.18.128.0/18, containers under
#     the cgroup parent zkswS-nodeK (relative to dockerd's); log DIR/nodeK.log;
#   - swarm (unless --no-swarm): node1 manager (advertise 198.18.S.11,
#     default address pool 198.19.0.0/17), the others workers;
#   - image zkswarm-bb:latest (scripts/image.sh) on every node;
#   - plugin `zkswarm` on every node: ZK_HOSTS the ensemble, ZK_ROOT
#     /zkswarm-cluster, NODE_ID nodeK, ADVERTISE_ADDR 198.18.S.1K,
#     DEFAULT_POOL 198.19.128.0/17, ZK_SESSION_TIMEOUT_MS 4000, data.source
#     DIR/data (one directory for all nodes: the shared storage), state.source
#     DIR/nodeK/state, engine.source DIR and ENGINE_SOCKET
#     /run/zkswarm-engine/nodeK.sock (its engine's API socket, for naming).
# Env: CLUSTER_START_TIMEOUT (s, default 60) bounds each wait.
set -euo pipefail

PROG=cluster.sh
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/scripts/nslib.sh"
SLOTS=8
ZK_BASE=2301
ZK_ROOT=/zkswarm-cluster
SWARM_POOL=198.19.0.0/17
PLUGIN_POOL=198.19.128.0/17
LOCAL_POOL=base=198.18.128.0/18,size=24
IMAGE=zkswarm-bb:latest
PLUGIN=zkswarm
TIMEOUT=${CLUSTER_START_TIMEOUT:-60}
DOCKER=${ZKSW_DOCKER:-}
if [ -z "$DOCKER" ]; then
	if [ -x /usr/bin/docker ]; then DOCKER=/usr/bin/docker; else DOCKER=docker; fi
fi

usage() { sed -n '2,48p' "$0" | sed 's/^# \{0,1\}//'; }
die() { echo "$PROG: $*" >&2; exit 1; }
log() { echo "$PROG: $*"; }
now_ms() { date +%s%3N; }
secs() { awk -v ms="$1" 'BEGIN { printf "%.1fs", ms / 1000 }'; }

# the host's names and addresses of slot S (set_slot), DIR/slot once up
set_slot() {
	SLOT=$1
	BRIDGE=zksw$SLOT
	BR_ADDR=198.18.$SLOT.1
}
ns() { echo "zksw$SLOT-node$1"; }
addr() { echo "198.18.$SLOT.1$1"; }
sock() { echo "unix://$D/node$1.sock"; }
dk() { local k=$1; shift; timeout 60 "$DOCKER" -H "$(sock "$k")" "$@"; }
zk_hosts() { echo "$BR_ADDR:$ZK_BASE,$BR_ADDR:$((ZK_BASE + 1)),$BR_ADDR:$((ZK_BASE + 2))"; }
nodes_of() { cat "$D/nodes" 2>/dev/null || echo 0; }

set_dir() {
	[ -n "${1:-}" ] || die "DIR required"
	mkdir -p "$1"
	D=$(cd "$1" && pwd -P)
	[ ${#D} -le 80 ] || die "DIR too long for unix socket paths: $D"
	SLOT="" BRIDGE="" BR_ADDR=""
	if [ -f "$D/slot" ]; then set_slot "$(cat "$D/slot")"; fi
}

# ---- the processes of node K ----------------------------------------------
# Node K's processes are those in its mount AND network namespace (dockerd,
# containerd, the shims: their inodes were recorded at start) and all their
# descendants (containers, the plugin).
node_pids() {
	ns_pids "$(cat "$D/node$1/mntns" 2>/dev/null)" "$(cat "$D/node$1/netns" 2>/dev/null)"
}

plugin_pid() {
	local k=$1 p
	for p in $(node_pids "$k"); do
		if [ "$(cat "/proc/$p/comm" 2>/dev/null)" = zkswarmd ]; then echo "$p"; return 0; fi
	done
	return 1
}

# kill_node K: SIGSTOP all of node K's processes, then SIGKILL them, until
# none is left (bounded); 0 if none is left.
kill_node() {
	local k=$1
	pids_of_k() { node_pids "$k"; }
	ns_kill_all pids_of_k || { echo "$PROG: node$k: still alive" >&2; return 1; }
}

# cgroup_cleanup K: remove the (now empty) cgroups of node K's containers
# (under the cgroup parent zkswS-nodeK, relative to dockerd's cgroup) and of
# its plugin (named by the plugin's ID, not under the cgroup parent).
cgroup_cleanup() {
	local k=$1 name d
	[ -n "$SLOT" ] || return 0
	for name in "$(ns "$k")" $(cat "$D/node$k/plugin-id" 2>/dev/null); do
		find /sys/fs/cgroup -maxdepth 5 -type d -name "$name" 2>/dev/null | while read -r d; do
			find "$d" -depth -type d -exec rmdir {} + 2>/dev/null || true
		done
	done
}

# ---- the underlay ------------------------------------------------------------
# slot_claim: take the first slot whose bridge and namespaces nobody has (the
# bridge's creation is the claim: of two at once, one fails and goes on).
slot_claim() {
	local s
	for ((s = 0; s < SLOTS; s++)); do
		if ip netns list 2>/dev/null | grep -q "^zksw$s-node"; then continue; fi
		if ip link add "zksw$s" type bridge 2>/dev/null; then
			set_slot "$s"
			echo "$s" >"$D/slot"
			return 0
		fi
	done
	die "no free slot: bridges zksw0 to zksw$((SLOTS - 1)) all exist (clusters of other runs: cluster.sh down DIR)"
}

# underlay_up N: the slot's bridge (claimed) gets its address, N namespaces their veths
underlay_up() {
	local n=$1 k
	ip addr add "$BR_ADDR/24" dev "$BRIDGE"
	ip link set "$BRIDGE" up
	for ((k = 1; k <= n; k++)); do
		ip netns add "$(ns "$k")"
		ip link add "$BRIDGE-h$k" type veth peer name "$BRIDGE-n$k"
		ip link set "$BRIDGE-h$k" master "$BRIDGE" up
		ip link set "$BRIDGE-n$k" netns "$(ns "$k")"
		ip -n "$(ns "$k")" link set "$BRIDGE-n$k" name eth0
		ip -n "$(ns "$k")" addr add "$(addr "$k")/24" dev eth0
		ip -n "$(ns "$k")" link set eth0 up
		ip -n "$(ns "$k")" link set lo up
	done
	# bridged traffic passes the FORWARD chain when br_netfilter is on: if another
	# engine set its policy to DROP, let the underlay through
	if command -v iptables >/dev/null && iptables -S FORWARD 2>/dev/null | grep -qx -- '-P FORWARD DROP'; then
		iptables -I FORWARD -i "$BRIDGE" -o "$BRIDGE" -j ACCEPT
		echo "-i $BRIDGE -o $BRIDGE -j ACCEPT" >"$D/iptables-rule"
		log "FORWARD policy is DROP: inserted an ACCEPT rule for $BRIDGE"
	fi
}

# underlay_down: this cluster's slot only (none if it never claimed one)
underlay_down() {
	local k
	[ -n "$SLOT" ] || return 0
	for ((k = 1; k <= 9; k++)); do
		ip netns del "$(ns "$k")" 2>/dev/null || true
		ip link del "$BRIDGE-h$k" 2>/dev/null || true
	done
	ip link del "$BRIDGE" 2>/dev/null || true
	if [ -f "$D/iptables-rule" ]; then
		# shellcheck disable=SC2046
		iptables -D FORWARD $(cat "$D/iptables-rule") 2>/dev/null || true
		rm -f "$D/iptables-rule"
	fi
	rm -f "$D/slot"
	SLOT="" BRIDGE="" BR_ADDR=""
}

# ---- engines -------------------------------------------------------------------
DOCKERD_CMD='exec env DOCKER_SERVICE_PREFER_OFFLINE_IMAGE=1 dockerd -H "$3" --pidfile "$4" \
	--bridge=none --iptables=false --ip-masq=false --default-address-pool "$5" --cgroup-parent "$1"'

# engine_start K [PID]: start node K's dockerd in new namespaces, or with PID in
# the namespaces of PID, a process of the node still running (its containerd,
# after an engine restart with live-restore): the node's processes stay those
# of one mount namespace.
engine_start() {
	local k=$1 join=${2:-} pid i
	local d=$D/node$k
	local args=("$(ns "$k")" "$d" "$(sock "$k")" "$D/node$k.pid" "$LOCAL_POOL" "zksw-node$k")
	mkdir -p "$d/lib" "$d/run" "$d/etc" "$d/containerd" "$d/state"
	[ -d /etc/docker ] || mkdir -p /etc/docker
	[ -d /var/lib/docker ] || mkdir -p /var/lib/docker
	[ -d /run/docker ] || mkdir -p /run/docker
	rm -f "$D/node$k.sock" "$D/node$k.pid"
	if [ -f "$D/live-restore" ]; then echo '{"live-restore": true}' >"$d/etc/daemon.json"; fi
	echo "=== $(date -Is) start" >>"$D/node$k.log"
	if [ -n "$join" ]; then
		# shellcheck disable=SC2016
		setsid nsenter --target "$join" --mount --uts --net sh -c "$DOCKERD_CMD" _ "${args[@]}" \
			</dev/null >>"$D/node$k.log" 2>&1 &
	else
		rm -f "$d/mntns" "$d/netns"
		# nsenter, not `ip netns exec` (which remounts /sys: no cgroups for dockerd);
		# a private mount namespace so that each engine has its own state (and the
		# managed plugin's pivot_root works); /run/containerd hidden so that dockerd
		# starts its own containerd even if the host runs one.
		# shellcheck disable=SC2016
		setsid nsenter --net="/run/netns/$(ns "$k")" unshare -m -u --propagation private sh -c '
			set -e
			hostname "$6"
			mount --bind "$2/lib" /var/lib/docker
			mount --bind "$2/run" /run/docker
			mount --bind "$2/etc" /etc/docker
			if [ -d /run/containerd ]; then mount --bind "$2/containerd" /run/containerd; fi
			'"$DOCKERD_CMD" _ "${args[@]}" </dev/null >>"$D/node$k.log" 2>&1 &
	fi
	pid=$!
	echo "$pid" >"$d/launcher.pid"
	# the namespaces' inodes identify the node's processes later
	for ((i = 0; i < 50; i++)); do
		if [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = dockerd ]; then break; fi
		pid_alive "$pid" || break
		sleep 0.1
	done
	if [ -z "$join" ]; then
		stat -L -c %i "/proc/$pid/ns/mnt" >"$d/mntns" 2>/dev/null || true
		stat -L -c %i "/proc/$pid/ns/net" >"$d/netns" 2>/dev/null || true
	fi
	[ "$(cat "/proc/$pid/comm" 2>/dev/null)" = dockerd ] || {
		tail -n 20 "$D/node$k.log" >&2; die "node$k: dockerd did not start"; }
}

engine_wait() {
	local k=$1 deadline pid
	deadline=$(($(date +%s) + TIMEOUT))
	pid=$(cat "$D/node$k/launcher.pid")
	until timeout 5 "$DOCKER" -H "$(sock "$k")" version >/dev/null 2>&1; do
		if ! pid_alive "$pid"; then
			tail -n 20 "$D/node$k.log" >&2; die "node$k: dockerd exited during start-up"
		fi
		[ "$(date +%s)" -lt "$deadline" ] || { tail -n 20 "$D/node$k.log" >&2; die "node$k: dockerd not answering after ${TIMEOUT}s"; }
		sleep 0.2
	done
}

# plugin_setup K [K=V...]: create, set and enable the plugin on node K.
# (Explicit &&: run_all's callers test its status, which turns off set -e here.)
plugin_setup() {
	local k=$1
	shift
	# A boot ID of the node's own, which a test can change to stand for a reboot
	# (used when the plugin is set with BOOT_ID_FILE=/var/lib/zkswarm/state/boot_id).
	echo "boot-1-node$k" >"$D/node$k/state/boot_id" &&
		dk "$k" plugin create "$PLUGIN" "$D/bundle" >/dev/null &&
		dk "$k" plugin inspect -f '{{.Id}}' "$PLUGIN" >"$D/node$k/plugin-id" &&
		dk "$k" plugin set "$PLUGIN" ZK_HOSTS="$(zk_hosts)" ZK_ROOT="$ZK_ROOT" NODE_ID="node$k" \
			ADVERTISE_ADDR="$(addr "$k")" DEFAULT_POOL="$PLUGIN_POOL" ZK_SESSION_TIMEOUT_MS=4000 \
			LOG_LEVEL=debug data.source="$D/data" state.source="$D/node$k/state" \
			engine.source="$D" ENGINE_SOCKET="/run/zkswarm-engine/node$k.sock" "$@" &&
		dk "$k" plugin enable "$PLUGIN" >/dev/null
}

# run_all N FUNC ARGS...: FUNC K ARGS... for K=1..N in parallel; fails if any failed
run_all() {
	local n=$1 f=$2 k rc=0 pids=()
	shift 2
	for ((k = 1; k <= n; k++)); do
		"$f" "$k" "$@" &
		pids+=($!)
	done
	for k in "${pids[@]}"; do wait "$k" || rc=1; done
	return $rc
}

# ---- commands ----------------------------------------------------------------
cmd_up() {
	local n=3 swarm=1 live=0 bundle="" sets=() jp=() t0 t k token
	set_dir "${1:-}"
	shift
	while [ $# -gt 0 ]; do
		case $1 in
		--nodes) n=${2:?}; shift 2 ;;
		--no-swarm) swarm=0; shift ;;
		--bundle) bundle=${2:?}; shift 2 ;;
		--set) sets+=("${2:?}"); shift 2 ;;
		--live-restore) live=1; shift ;;
		*) die "up: unknown option $1" ;;
		esac
	done
	[[ $n =~ ^[1-9]$ ]] || die "--nodes: 1 to 9"
	[ "$(id -u)" -eq 0 ] || die "root needed"
	[ -z "$SLOT" ] || die "$D is up already (slot $SLOT): run down first"
	for ((k = 1; k <= 9; k++)); do
		[ -z "$(node_pids "$k")" ] || die "node$k of $D still has processes: run down first"
	done
	t0=$(now_ms)
	# a fresh start: old state (after a down) goes, logs stay
	for ((k = 1; k <= 9; k++)); do rm -rf "$D/node$k"; done
	rm -rf "$D/zk" "$D/data" "$D/bundle" "$D/live-restore"
	mkdir -p "$D/data"
	if [ "$live" = 1 ]; then touch "$D/live-restore"; fi
	echo "$n" >"$D/nodes"
	log "cluster of $n nodes in $D"

	t=$(now_ms)
	if [ -z "$bundle" ]; then
		make -C "$top" -s plugin >/dev/null
		bundle=$top/plugin
	fi
	cp -a "$bundle" "$D/bundle"
	log "plugin bundle ready in $(secs $(($(now_ms) - t)))"

	t=$(now_ms)
	slot_claim
	[ "$SLOT" = 0 ] || log "slot $SLOT: zksw0 to zksw$((SLOT - 1)) belong to other clusters (left alone)"
	underlay_up "$n"
	log "underlay $BRIDGE $BR_ADDR/24 and $n namespaces in $(secs $(($(now_ms) - t)))"

	# ZooKeeper and the engines start at the same time: both are slow
	t=$(now_ms)
	"$top/scripts/zk.sh" ensemble-start "$D/zk" --base-port "$ZK_BASE" --address "$BR_ADDR" >"$D/zk.out" 2>&1 &
	local zkpid=$!
	for ((k = 1; k <= n; k++)); do engine_start "$k"; done
	run_all "$n" engine_wait
	log "$n engines answer in $(secs $(($(now_ms) - t)))"

	if [ "$swarm" = 1 ]; then
		t=$(now_ms)
		dk 1 swarm init --advertise-addr "$(addr 1)" --default-addr-pool "$SWARM_POOL" >/dev/null
		token=$(dk 1 swarm join-token -q worker)
		join() { dk "$1" swarm join --token "$token" --advertise-addr "$(addr "$1")" "$(addr 1):2377" >/dev/null; }
		jp=()
		for ((k = 2; k <= n; k++)); do join "$k" & jp+=($!); done
		wait_pids "${jp[@]}" || die "swarm join failed"
		log "swarm of $n nodes in $(secs $(($(now_ms) - t)))"
	fi

	t=$(now_ms)
	DOCKER_HOST=$(sock 1) "$top/scripts/image.sh" "$IMAGE" >/dev/null
	jp=()
	for ((k = 2; k <= n; k++)); do
		{ dk 1 save "$IMAGE" | dk "$k" load >/dev/null; } &
		jp+=($!)
	done
	wait_pids "${jp[@]}" || die "image load failed"
	log "image $IMAGE on every node in $(secs $(($(now_ms) - t)))"

	t=$(now_ms)
	if ! wait "$zkpid"; then cat "$D/zk.out" >&2; die "ZooKeeper ensemble did not start"; fi
	grep -h 'ensemble up' "$D/zk.out" | sed "s/^/$PROG: /" || true
	run_all "$n" plugin_setup "${sets[@]}" || die "plugin set-up failed"
	log "plugin $PLUGIN enabled on every node in $(secs $(($(now_ms) - t)))"
	log "up in $(secs $(($(now_ms) - t0)))"
}

# wait_pids PID...: wait for these background jobs; non-zero if any failed
wait_pids() {
	local rc=0 j
	for j in "$@"; do wait "$j" || rc=1; done
	return $rc
}

cmd_down() {
	local purge=0 k n t0 rc=0
	set_dir "${1:-}"
	shift
	[ "${1:-}" = --purge ] && purge=1
	t0=$(now_ms)
	n=$(nodes_of)
	for ((k = 1; k <= 9; k++)); do
		[ -d "$D/node$k" ] || continue
		kill_node "$k" || rc=1
		cgroup_cleanup "$k"
	done
	underlay_down
	if [ -d "$D/zk" ]; then "$top/scripts/zk.sh" stop "$D/zk" >/dev/null || rc=1; fi
	# the engines' state: nothing mounts it any more (private mount namespaces
	# that died with their processes)
	for ((k = 1; k <= 9; k++)); do
		rm -rf "$D/node$k" 2>/dev/null || rc=1
	done
	rm -rf "$D/data" "$D/bundle" "$D"/node*.sock
	if [ "$purge" = 1 ]; then rm -rf "$D"; fi
	log "down in $(secs $(($(now_ms) - t0))) ($n nodes)"
	return $rc
}

cmd_status() {
	local k n pid
	set_dir "${1:-}"
	n=$(nodes_of)
	if [ -d "$D/zk" ]; then "$top/scripts/zk.sh" status "$D/zk"; fi
	for ((k = 1; k <= n; k++)); do
		pid=$(cat "$D/node$k.pid" 2>/dev/null || echo -)
		if timeout 5 "$DOCKER" -H "$(sock "$k")" version >/dev/null 2>&1; then
			printf 'node%s %s dockerd=%s swarm=%s plugin=%s zkswarmd=%s\n' "$k" "$(addr "$k")" "$pid" \
				"$(dk "$k" info -f '{{.Swarm.LocalNodeState}}/{{.Swarm.ControlAvailable}}' 2>/dev/null)" \
				"$(dk "$k" plugin inspect -f '{{.Enabled}}' "$PLUGIN" 2>/dev/null || echo none)" \
				"$(plugin_pid "$k" || echo -)"
		else
			printf 'node%s %s down (processes: %s)\n' "$k" "$(addr "$k")" "$(node_pids "$k" | wc -l)"
		fi
	done
	if [ "$n" -gt 0 ] && timeout 5 "$DOCKER" -H "$(sock 1)" version >/dev/null 2>&1; then
		dk 1 node ls 2>/dev/null || true
	fi
}

cmd_kill_node() {
	local k t0
	set_dir "${1:-}"
	k=${2:?node number}
	t0=$(now_ms)
	[ -n "$(node_pids "$k")" ] || die "node$k has no processes"
	kill_node "$k"
	rm -f "$D/node$k.sock" "$D/node$k.pid"
	log "node$k killed in $(secs $(($(now_ms) - t0)))"
}

cmd_start_node() {
	local k t0
	set_dir "${1:-}"
	k=${2:?node number}
	[ -z "$(node_pids "$k")" ] || die "node$k is still running"
	t0=$(now_ms)
	cgroup_cleanup "$k"
	engine_start "$k"
	engine_wait "$k"
	log "node$k started in $(secs $(($(now_ms) - t0)))"
}

# restart-engine DIR K: SIGTERM node K's dockerd (bounded wait), then start it again.
# With live-restore (up --live-restore) its containers and plugin keep running, and
# the new engine joins their namespaces.
cmd_restart_engine() {
	local k pid i p join="" t0
	set_dir "${1:-}"
	k=${2:?node number}
	pid=$(cat "$D/node$k.pid" 2>/dev/null) || die "node$k: no dockerd pid file"
	[ "$(cat "/proc/$pid/comm" 2>/dev/null)" = dockerd ] || die "node$k: dockerd $pid is not running"
	t0=$(now_ms)
	kill -TERM "$pid"
	for ((i = 0; i < 300; i++)); do pid_alive "$pid" || break; sleep 0.1; done
	pid_alive "$pid" && die "node$k: dockerd $pid still running 30 s after SIGTERM"
	for p in $(node_pids "$k"); do
		if [ "$p" != "$pid" ] && pid_alive "$p"; then join=$p; break; fi
	done
	engine_start "$k" "$join"
	engine_wait "$k"
	log "node$k's engine restarted in $(secs $(($(now_ms) - t0)))${join:+ (joined the namespaces of pid $join)}"
}

main() {
	[ $# -ge 1 ] || { usage >&2; exit 2; }
	local c=$1
	shift
	case $c in
	-h | --help | help) usage ;;
	up) cmd_up "$@" ;;
	down) cmd_down "$@" ;;
	status) cmd_status "$@" ;;
	kill-node) cmd_kill_node "$@" ;;
	start-node) cmd_start_node "$@" ;;
	restart-engine) cmd_restart_engine "$@" ;;
	pids) set_dir "${1:-}"; node_pids "${2:?node number}" ;;
	plugin-pid) set_dir "${1:-}"; plugin_pid "${2:?node number}" ;;
	zk-hosts) set_dir "${1:-}"; [ -n "$SLOT" ] || die "$D is not up"; zk_hosts ;;
	docker) set_dir "${1:-}"; k=${2:?node number}; shift 2; exec "$DOCKER" -H "$(sock "$k")" "$@" ;;
	*) echo "$PROG: unknown command: $c" >&2; usage >&2; exit 2 ;;
	esac
}
main "$@"
