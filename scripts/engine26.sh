#!/usr/bin/env bash
# engine26.sh - Docker Engine 26 (Debian 13's docker.io) beside the host's 20.10,
# for tests: a trixie root built once and cached, and one dockerd 26 run from it
# in namespaces of its own (docs/ENGINE26.md says why each step is as it is).
#
# Usage:
#   scripts/engine26.sh build         the trixie root in $ZKSW_E26_ROOT (default
#                                     /var/cache/zkswarm/trixie-root), once: reused
#                                     when it is there (built in a temporary
#                                     directory and renamed at the end, under a lock)
#   scripts/engine26.sh start [DIR] [--mark FILE]
#                                     dockerd 26 (data in DIR, default
#                                     /run/zkswarm-e26) if none answers there yet;
#                                     --mark FILE as scripts/dockerd.sh's: FILE
#                                     records that this caller started it
#   scripts/engine26.sh stop [DIR] [--mark FILE]
#                                     kill the engine's processes (by its namespaces),
#                                     remove its network namespace and veth; with
#                                     --mark, only if FILE says this caller started it
#   scripts/engine26.sh env [DIR]     the lines to eval to reach it (DOCKER_HOST...), its
#                                     log, its dockerd's pid file (its paths are under
#                                     /proc/PID/root) and Debian 13's Compose v2 (runs on
#                                     the host)
#   scripts/engine26.sh status [DIR]
#
# The engine: network namespace zks-e26 with eth0 198.18.120.2/30, whose veth
# peer zks-e26h on the host has 198.18.120.1/30 (the address tests give the
# host's ZooKeeper); a private mount namespace whose root is the trixie root by
# pivot_root (chroot breaks docker exec), with DIR/lib as /var/lib/docker, a
# tmpfs on /run, the host's /tmp at /tmp (so paths under /tmp name the same
# directory for the host and for the engine, e.g. a plugin's data.source) and DIR
# at DIR (the socket DIR/docker.sock is the host's way in; /run/docker.sock
# inside is the plugin's); docker0 198.18.121.1/24, local networks from
# 198.18.122.0/23, no iptables rules, no masquerading.
# Env: ZKSW_E26_ROOT, ZKSW_E26_TIMEOUT (s, default 60).
set -euo pipefail

PROG=engine26.sh
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/scripts/nslib.sh"
ROOT=${ZKSW_E26_ROOT:-/var/cache/zkswarm/trixie-root}
TIMEOUT=${ZKSW_E26_TIMEOUT:-60}
NETNS=zks-e26
VETH=zks-e26h
HOST_ADDR=198.18.120.1
ENGINE_ADDR=198.18.120.2
PACKAGES="docker.io containerd runc tini iptables iproute2 busybox-static ca-certificates docker-compose"
DOCKER=docker
if [ -x /usr/bin/docker ]; then DOCKER=/usr/bin/docker; fi

usage() { sed -n '2,34p' "$0" | sed 's/^# \{0,1\}//'; }
die() { echo "$PROG: $*" >&2; exit 1; }
log() { echo "$PROG: $*"; }
now_ms() { date +%s%3N; }
secs() { awk -v ms="$1" 'BEGIN { printf "%.1fs", ms / 1000 }'; }

# ---- the root -------------------------------------------------------------------
# host_mirror: the Debian archive the host's apt uses (its sources, read now)
host_mirror() {
	{
		sed -n 's/^URIs:[[:space:]]*//p' /etc/apt/sources.list.d/*.sources 2>/dev/null || true
		sed -n 's/^deb[[:space:]]\+\(\[[^]]*\][[:space:]]\+\)\{0,1\}\([^[:space:]]*\)[[:space:]]\+[a-z]*[[:space:]].*/\2/p' \
			/etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null || true
	} | tr ' ' '\n' | grep -E '^https?://.*/debian/?$' | head -1 || true
}

# the stamp, written last, names the packages: a root of another list is built again
root_ready() { [ "$(sed -n 2p "$ROOT/.zkswarm-root-ok" 2>/dev/null)" = "$PACKAGES" ] && [ -x "$ROOT/usr/sbin/dockerd" ]; }

cmd_build() {
	local t0 mirror tmp
	t0=$(now_ms)
	mkdir -p "$(dirname "$ROOT")"
	exec 9>"$ROOT.lock"
	flock -w 900 9 || die "another build holds $ROOT.lock for 15 min"
	if root_ready; then
		log "root $ROOT ready ($(head -1 "$ROOT/.zkswarm-root-ok"))"
		return 0
	fi
	[ "$(id -u)" -eq 0 ] || die "root needed"
	command -v debootstrap >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -q debootstrap >/dev/null
	mirror=$(host_mirror)
	[ -n "$mirror" ] || die "no Debian archive in the host's apt sources"
	# a half-built root of a killed build goes: only a complete one is renamed to ROOT
	rm -rf "$ROOT.tmp"
	tmp=$ROOT.tmp
	log "debootstrap trixie from the host's archive into $tmp"
	debootstrap --variant=minbase trixie "$tmp" "$mirror" >"$ROOT.build.log" 2>&1 ||
		{ tail -n 20 "$ROOT.build.log" >&2; die "debootstrap failed (log $ROOT.build.log)"; }
	echo "deb $mirror trixie main" >"$tmp/etc/apt/sources.list"
	# shellcheck disable=SC2086  # PACKAGES is a word list
	chroot "$tmp" sh -c "apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
		--no-install-recommends $PACKAGES && apt-get clean" >>"$ROOT.build.log" 2>&1 ||
		{ tail -n 20 "$ROOT.build.log" >&2; die "apt-get in the root failed (log $ROOT.build.log)"; }
	mkdir -p "$tmp/.oldroot" "$tmp/var/lib/docker"
	# shellcheck disable=SC2016  # dpkg-query's format, not the shell's
	{ chroot "$tmp" dpkg-query -W -f 'docker.io ${Version}\n' docker.io && echo "$PACKAGES"; } >"$tmp/.zkswarm-root-ok"
	rm -rf "$ROOT"
	mv "$tmp" "$ROOT"
	log "root $ROOT built ($(head -1 "$ROOT/.zkswarm-root-ok")) in $(secs $(($(now_ms) - t0)))"
}

# ---- the engine -----------------------------------------------------------------
set_dir() {
	D=${1:-/run/zkswarm-e26}
	mkdir -p "$D"
	D=$(cd "$D" && pwd -P)
	[ ${#D} -le 80 ] || die "DIR too long for a unix socket path: $D"
	SOCK=unix://$D/docker.sock
}

answers() { timeout 10 "$DOCKER" -H "$SOCK" version >/dev/null 2>&1; }
engine_pids() { ns_pids "$(cat "$D/mntns" 2>/dev/null)" "$(cat "$D/netns" 2>/dev/null)"; }

net_up() {
	ip netns del "$NETNS" 2>/dev/null || true
	ip link del "$VETH" 2>/dev/null || true
	ip netns add "$NETNS"
	ip link add "$VETH" type veth peer name "$VETH-n"
	ip link set "$VETH-n" netns "$NETNS"
	ip -n "$NETNS" link set "$VETH-n" name eth0
	ip -n "$NETNS" addr add "$ENGINE_ADDR/30" dev eth0
	ip -n "$NETNS" link set eth0 up
	ip -n "$NETNS" link set lo up
	ip addr add "$HOST_ADDR/30" dev "$VETH"
	ip link set "$VETH" up
}

# The engine's mount namespace: private mounts, then pivot_root into the root.
# shellcheck disable=SC2016
ENGINE_SH='
set -e
R=$1 D=$2
mount --bind "$R" "$R"
mount -t proc proc "$R/proc"
mount --rbind /sys "$R/sys"
mount --rbind /dev "$R/dev"
mount -t tmpfs -o mode=0755 tmpfs "$R/run"
mount --bind "$D/lib" "$R/var/lib/docker"
mount --bind /tmp "$R/tmp"
mkdir -p "$R$D" && mount --bind "$D" "$R$D"
cd "$R"
pivot_root . .oldroot
umount -l /.oldroot
exec env PATH=/usr/sbin:/usr/bin:/sbin:/bin dockerd -H unix:///run/docker.sock -H "unix://$D/docker.sock" \
	--pidfile /run/docker.pid --iptables=false --ip-masq=false --bip=198.18.121.1/24 \
	--default-address-pool base=198.18.122.0/23,size=24
'

cmd_start() {
	local pid i t0 deadline
	t0=$(now_ms)
	if answers; then log "an engine answers on $SOCK already; using it"; return 0; fi
	[ -z "$(engine_pids)" ] || die "the engine of $D has processes but does not answer: stop it first"
	root_ready || cmd_build
	ip netns list | grep -q "^$NETNS\b" && [ "$(cat "$D/dir" 2>/dev/null)" != "$D" ] &&
		die "network namespace $NETNS exists (another engine 26: scripts/engine26.sh stop ITS_DIR)"
	rm -rf "${D:?}/lib" "$D/docker.sock"
	mkdir -p "$D/lib"
	echo "$D" >"$D/dir"
	net_up
	echo "=== $(date -Is) start" >>"$D/dockerd.log"
	setsid nsenter --net="/run/netns/$NETNS" unshare -m --propagation private \
		sh -c "$ENGINE_SH" _ "$ROOT" "$D" </dev/null >>"$D/dockerd.log" 2>&1 &
	pid=$!
	for ((i = 0; i < 50; i++)); do
		[ "$(cat "/proc/$pid/comm" 2>/dev/null)" != dockerd ] || break
		pid_alive "$pid" || break
		sleep 0.1
	done
	stat -L -c %i "/proc/$pid/ns/mnt" >"$D/mntns" 2>/dev/null || true
	stat -L -c %i "/proc/$pid/ns/net" >"$D/netns" 2>/dev/null || true
	echo "$pid" >"$D/dockerd.pid"
	[ -z "$MARK" ] || echo "$pid" >"$MARK"
	deadline=$(($(date +%s) + TIMEOUT))
	until answers; do
		if ! pid_alive "$pid" || [ "$(date +%s)" -ge "$deadline" ]; then
			tail -n 20 "$D/dockerd.log" >&2
			cmd_stop >/dev/null 2>&1 || true
			die "dockerd 26 did not answer on $SOCK"
		fi
		sleep 0.2
	done
	log "dockerd $("$DOCKER" -H "$SOCK" version -f '{{.Server.Version}}') pid $pid answers on $SOCK in $(secs $(($(now_ms) - t0)))"
}

cmd_stop() {
	local pids i rc=0
	if [ -n "$MARK" ]; then
		if [ ! -f "$MARK" ] || [ "$(cat "$MARK")" != "$(cat "$D/dockerd.pid" 2>/dev/null)" ]; then
			log "the engine was not started by this caller ($MARK); leaving it alone"
			rm -f "$MARK"
			return 0
		fi
		rm -f "$MARK"
	fi
	pids=$(engine_pids | tr '\n' ' ')
	if [ -n "${pids// /}" ] && pid_alive "$(cat "$D/dockerd.pid" 2>/dev/null || echo 0)"; then
		# shellcheck disable=SC2046
		kill -TERM "$(cat "$D/dockerd.pid")" 2>/dev/null || true
		for ((i = 0; i < 100; i++)); do
			pid_alive "$(cat "$D/dockerd.pid")" || break
			sleep 0.2
		done
	fi
	ns_kill_all engine_pids || rc=1
	ip netns del "$NETNS" 2>/dev/null || true
	ip link del "$VETH" 2>/dev/null || true
	rm -rf "${D:?}/lib" "$D/docker.sock" "$D/mntns" "$D/netns" "$D/dockerd.pid" "$D/dir"
	log "stopped"
	return $rc
}

cmd_env() {
	echo "DOCKER_HOST=$SOCK"
	echo "ZKSW_E26_NETNS=$NETNS"
	echo "ZKSW_E26_HOST_ADDR=$HOST_ADDR"
	echo "ZKSW_E26_ADDR=$ENGINE_ADDR"
	echo "ZKSW_E26_LOG=$D/dockerd.log"
	echo "ZKSW_E26_PID_FILE=$D/dockerd.pid"
	echo "ZKSW_E26_COMPOSE=$ROOT/usr/libexec/docker/cli-plugins/docker-compose"
}

cmd_status() {
	if answers; then
		log "$SOCK: dockerd $("$DOCKER" -H "$SOCK" version -f '{{.Server.Version}}'), $(engine_pids | wc -l) processes"
	else
		log "no engine answers on $SOCK ($(engine_pids | wc -l) processes)"
		return 1
	fi
}

main() {
	local c=${1:-}
	[ $# -eq 0 ] || shift
	MARK=""
	case $c in
	build) cmd_build; return ;;
	-h | --help | help) usage; return ;;
	start | stop | env | status) ;;
	*) usage >&2; exit 2 ;;
	esac
	local dir=""
	while [ $# -gt 0 ]; do
		case $1 in
		--mark) MARK=${2:?--mark needs a file}; shift 2 ;;
		-*) die "unknown option $1" ;;
		*) dir=$1; shift ;;
		esac
	done
	set_dir "$dir"
	"cmd_$c"
}
main "$@"
